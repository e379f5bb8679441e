/* maglev.h — Maglev consistent hashing (Eisenbud et al., NSDI 2016, §3.4), with
 * weights, as the proxy's `clientid` and `sh` schedulers use it.
 *
 * The lookup table has M slots, M a prime > 100 x N (as Cilium sizes it), each
 * holding a backend index. Every backend has a permutation of the slots derived
 * only from its NAME (e.g. "127.0.0.1:1883"): offset = h1 % M, skip = h2 % (M-1) + 1.
 * Backends take turns claiming their next free preferred slot; with weights a
 * backend takes a turn in round r when floor((r+1)w/wmax) > floor(r w/wmax), so
 * its share of slots is proportional to w. Turns go in the order of the names'
 * hashes, not the order given: two directors configured with the same backends
 * (in any order) build the same table and map every key identically, without
 * talking to each other.
 *
 * Health is not part of the table: a key whose slot names a backend that is
 * down walks on through the table in its own probe order (a per-key stride,
 * the same in every director) until a slot names one that is up, so only the
 * keys of the down backend move, and they spread evenly over the others. */
#ifndef MQLB_DIRECTOR_MAGLEV_H
#define MQLB_DIRECTOR_MAGLEV_H

#include <stddef.h>
#include <stdint.h>

#define MAGLEV_MAX_BACKENDS 64 /* = DIRECTOR_MAX_BACKENDS; indexes fit a byte */
#define MAGLEV_EMPTY	    0xFF

struct maglev {
	uint32_t m;	/* table size (prime), 0 before the first build */
	uint8_t *table; /* m backend indexes; owned, MAGLEV_EMPTY when no backend has weight */
	unsigned n;	/* backends the table was built for */
};

/* Deterministic 64-bit hash of (p, len) with a seed (FNV-1a folded through the
 * MurmurHash3 64-bit finalizer). The same on every host and build. */
uint64_t maglev_hash(const void *p, size_t len, uint64_t seed);

/* Smallest table size this module uses for n backends: a prime > 100 n (>= 1021). */
uint32_t maglev_size_for(unsigned n);

/* (Re)builds mg for n backends (1..MAGLEV_MAX_BACKENDS) named names[i] (borrowed,
 * NUL-terminated, distinct) with weights w[i] (0 = no slots). Returns 0, -EINVAL
 * (n out of range), or -ENOMEM (mg left as it was). All weights 0: every slot
 * MAGLEV_EMPTY. */
int maglev_build(struct maglev *mg, const char *const *names, const unsigned *w, unsigned n);

/* Frees the table (mg may be zeroed or built). */
void maglev_free(struct maglev *mg);

/* Slot of a key: maglev_hash(key) % m. */
uint32_t maglev_slot(const struct maglev *mg, const void *key, size_t len);

/* Backend for key: the backend in the key's slot if it is in up (bit i =
 * backend i usable), else the first usable one along the key's probe order
 * (slot + k * stride(key) mod m). Callers remove excluded backends from up.
 * Returns the index, or -1 when none is usable (or the table is not built). */
int maglev_lookup(const struct maglev *mg, const void *key, size_t len, uint64_t up);

#endif
