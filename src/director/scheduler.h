/* scheduler.h — user-space schedulers: which backend gets a new connection.
 * One implementation for every user-space consumer (the proxy dataplane, tests,
 * the fuzz target). Kernel dataplanes use their kernel's schedulers instead.
 *
 *   rr        round robin over the backends that are up (shared ticket: exact
 *             across threads when they share one struct sched_shared)
 *   wrr       smooth weighted round robin (nginx), by effective weight
 *   lc        least active connections (ties: rotating start)
 *   wlc       least active/weight (IPVS wlc)
 *   p2c       power of two choices: two random backends (weighted draw), the
 *             one with fewer active/weight wins (Mitzenmacher 2001)
 *   sh        source address hash (IP only, not port) on the Maglev table
 *   clientid  Maglev consistent hash of the MQTT ClientID (sh when it is empty)
 *
 * Inputs: configured weights (the Maglev table; a change rebuilds it) and
 * effective weights (0 = drained or down: never chosen) via sched_set_weights();
 * active connection counts per pick (local + peers = the global view), only
 * when sched_needs_active() says so.
 *
 * Threads: a struct sched belongs to one thread (no locks inside). Threads that
 * share a struct sched_shared follow one rr sequence together. */
#ifndef MQLB_DIRECTOR_SCHEDULER_H
#define MQLB_DIRECTOR_SCHEDULER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "director/maglev.h"

#define SCHED_MAX_BACKENDS MAGLEV_MAX_BACKENDS
#define SCHED_NAME_MAX	   64 /* a backend name: "ADDR:PORT" */

enum sched_kind {
	SCHED_KIND_RR = 0,
	SCHED_KIND_WRR,
	SCHED_KIND_LC,
	SCHED_KIND_WLC,
	SCHED_KIND_P2C,
	SCHED_KIND_SH,
	SCHED_KIND_CLIENTID,
	SCHED_KIND_COUNT
};

/* State shared by the threads of one director (rr ticket). Zero-initialised. */
struct sched_shared {
	atomic_uint_fast64_t ticket;
};

/* What a connection offers to choose by. Everything borrowed, may be NULL/0. */
struct sched_key {
	const uint8_t *clientid; /* MQTT ClientID bytes (a view into the CONNECT) */
	size_t clientid_len;
	const struct sockaddr_storage *src; /* client address (sh; clientid fallback) */
};

struct sched {
	enum sched_kind kind;
	unsigned n;
	unsigned cfg_w[SCHED_MAX_BACKENDS]; /* table weights (configured) */
	unsigned eff_w[SCHED_MAX_BACKENDS]; /* 0 = not eligible */
	uint64_t up;			    /* bit i: eff_w[i] > 0 */
	char names[SCHED_MAX_BACKENDS][SCHED_NAME_MAX];
	struct sched_shared *shared; /* borrowed; NULL = this struct's own */
	struct sched_shared own;
	long long wrr_cur[SCHED_MAX_BACKENDS]; /* smooth wrr state */
	unsigned lc_start;		       /* rotating tie-break */
	uint64_t rng;			       /* xorshift64* state (p2c) */
	struct maglev mg;		       /* sh, clientid */
	int mg_dirty;			       /* table weights changed since the build */
};

/* Name of a kind ("rr" ...), "?" if out of range. */
const char *sched_kind_name(enum sched_kind k);
/* Parses a scheduler name. Returns 0 with *out set, or -EINVAL. */
int sched_kind_parse(const char *name, enum sched_kind *out);
/* "rr, wrr, lc, wlc, p2c, sh, clientid" (static). */
const char *sched_kind_list(void);

/* Initialises s for n backends (1..SCHED_MAX_BACKENDS) named names[i] (copied;
 * "ADDR:PORT" — Maglev permutations come from these, so all directors must use
 * the same spelling). Weights start at 1 (all up). shared may be NULL. rng_seed
 * seeds p2c. Returns 0, -EINVAL, or -ENOMEM. Free with sched_free(). */
int sched_init(struct sched *s, enum sched_kind kind, const char *const *names, unsigned n,
	       struct sched_shared *shared, uint64_t rng_seed);
void sched_free(struct sched *s);

/* New weights: cfg[i] configured (Maglev table), eff[i] effective (0 = skip).
 * Cheap when nothing changed; rebuilds the Maglev table lazily on the next pick
 * when cfg changed. */
void sched_set_weights(struct sched *s, const unsigned *cfg, const unsigned *eff);

/* Does this kind look at active counts? (lc, wlc, p2c) */
int sched_needs_active(const struct sched *s);

/* Chooses a backend for key, never one in exclude (bit i = backend i; e.g. one
 * whose connect just failed). active[i]: connections open to backend i (global
 * view), read only when sched_needs_active(); may be NULL otherwise.
 * Returns the index, or -EAGAIN when no backend is eligible. (Should a table
 * rebuild fail for memory, the old table is kept, used, and rebuilt next time.) */
int sched_pick(struct sched *s, const struct sched_key *key, const uint64_t *active,
	       uint64_t exclude);

#endif
