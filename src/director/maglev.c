/* maglev.c — Maglev lookup table with weights (see maglev.h). */
#include "director/maglev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Seeds of the three independent hashes: slot of a key, offset and skip of a
 * backend's permutation. Fixed forever: changing them remaps every ClientID. */
#define SEED_KEY    0x6d716c622d6b6579ULL /* "mqlb-key" */
#define SEED_OFFSET 0x6d716c622d6f6666ULL /* "mqlb-off" */
#define SEED_SKIP   0x6d716c622d736b70ULL /* "mqlb-skp" */
#define SEED_STRIDE 0x6d716c622d737472ULL /* "mqlb-str" */

uint64_t maglev_hash(const void *p, size_t len, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	/* MurmurHash3 fmix64: FNV alone mixes the last bytes poorly. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static const uint32_t primes[] = {1021, 2039, 4093, 8191, 16381, 32749, 65521};

uint32_t maglev_size_for(unsigned n)
{
	for (size_t i = 0; i < sizeof(primes) / sizeof(primes[0]); i++)
		if (primes[i] > 100u * n)
			return primes[i];
	return primes[sizeof(primes) / sizeof(primes[0]) - 1];
}

struct turn {
	uint64_t key; /* order of turns: hash of the name, then the name */
	const char *name;
	unsigned idx;
};

static int turn_cmp(const void *a, const void *b)
{
	const struct turn *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->name, y->name);
}

int maglev_build(struct maglev *mg, const char *const *names, const unsigned *w, unsigned n)
{
	struct turn order[MAGLEV_MAX_BACKENDS];
	uint32_t offset[MAGLEV_MAX_BACKENDS], skip[MAGLEV_MAX_BACKENDS], next[MAGLEV_MAX_BACKENDS];
	unsigned wmax = 0;
	if (n == 0 || n > MAGLEV_MAX_BACKENDS)
		return -EINVAL;
	uint32_t m = maglev_size_for(n);
	uint8_t *t = malloc(m);
	if (!t)
		return -ENOMEM;
	memset(t, MAGLEV_EMPTY, m);
	for (unsigned i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		order[i] = (struct turn){maglev_hash(names[i], len, SEED_KEY), names[i], i};
		offset[i] = (uint32_t)(maglev_hash(names[i], len, SEED_OFFSET) % m);
		skip[i] = (uint32_t)(maglev_hash(names[i], len, SEED_SKIP) % (m - 1)) + 1;
		next[i] = 0;
		if (w[i] > wmax)
			wmax = w[i];
	}
	qsort(order, n, sizeof(order[0]), turn_cmp);
	if (wmax) {
		uint32_t filled = 0;
		for (uint64_t r = 0; filled < m; r++) {
			for (unsigned k = 0; k < n && filled < m; k++) {
				unsigned i = order[k].idx;
				/* A turn in round r when floor((r+1)w/wmax) grows: w/wmax turns
				 * per round on average, the heaviest backend every round. */
				if ((r + 1) * w[i] / wmax == r * w[i] / wmax)
					continue;
				uint32_t c;
				do {
					c = (uint32_t)((offset[i] + (uint64_t)next[i] * skip[i]) %
						       m);
					next[i]++;
				} while (t[c] != MAGLEV_EMPTY);
				t[c] = (uint8_t)i;
				filled++;
			}
		}
	}
	free(mg->table);
	mg->table = t;
	mg->m = m;
	mg->n = n;
	return 0;
}

void maglev_free(struct maglev *mg)
{
	free(mg->table);
	mg->table = NULL;
	mg->m = 0;
	mg->n = 0;
}

uint32_t maglev_slot(const struct maglev *mg, const void *key, size_t len)
{
	return mg->m ? (uint32_t)(maglev_hash(key, len, SEED_KEY) % mg->m) : 0;
}

int maglev_lookup(const struct maglev *mg, const void *key, size_t len, uint64_t up)
{
	if (!mg->table || up == 0)
		return -1;
	uint32_t s = maglev_slot(mg, key, len);
	uint8_t b = mg->table[s];
	if (b != MAGLEV_EMPTY && (up >> b & 1))
		return b;
	/* Fallback: the key's own probe order (double hashing; m is prime so the
	 * stride visits every slot). Plain "next slot" would be uneven: Maglev
	 * fills in runs, so a slot's neighbour is often the same backend. */
	uint32_t stride = (uint32_t)(maglev_hash(key, len, SEED_STRIDE) % (mg->m - 1)) + 1;
	for (uint32_t k = 1; k < mg->m; k++) {
		s = (uint32_t)(((uint64_t)s + stride) % mg->m);
		b = mg->table[s];
		if (b != MAGLEV_EMPTY && (up >> b & 1))
			return b;
	}
	return -1;
}
