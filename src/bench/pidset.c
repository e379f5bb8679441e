/* pidset.c — sorted set of packet ids (see pidset.h). */
#include "bench/pidset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void bench_pidset_init(struct bench_pidset *s)
{
	memset(s, 0, sizeof(*s));
}

void bench_pidset_free(struct bench_pidset *s)
{
	free(s->ids);
	bench_pidset_init(s);
}

void bench_pidset_clear(struct bench_pidset *s)
{
	s->n = 0;
}

/* Index of the first element >= id (n if none). */
static uint32_t lower_bound(const struct bench_pidset *s, uint16_t id)
{
	uint32_t lo = 0, hi = s->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool bench_pidset_has(const struct bench_pidset *s, uint16_t id)
{
	uint32_t i = lower_bound(s, id);
	return i < s->n && s->ids[i] == id;
}

int bench_pidset_add(struct bench_pidset *s, uint16_t id)
{
	uint32_t i = lower_bound(s, id);
	if (i < s->n && s->ids[i] == id)
		return 0;
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 8; /* 65536 ids at most: 128 KiB */
		uint16_t *ids = realloc(s->ids, cap * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		s->ids = ids;
		s->cap = cap;
	}
	memmove(s->ids + i + 1, s->ids + i, (s->n - i) * sizeof(*s->ids));
	s->ids[i] = id;
	s->n++;
	return 1;
}

bool bench_pidset_del(struct bench_pidset *s, uint16_t id)
{
	uint32_t i = lower_bound(s, id);
	if (i >= s->n || s->ids[i] != id)
		return false;
	memmove(s->ids + i, s->ids + i + 1, (s->n - i - 1) * sizeof(*s->ids));
	s->n--;
	return true;
}
