/* msstat.c — raw millisecond samples and their percentiles (see msstat.h). */
#include "bench/msstat.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static int grow(struct bench_msstat *s, size_t need)
{
	if (need <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap : 16;
	while (cap < need)
		cap *= 2;
	uint64_t *v = realloc(s->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->cap = cap;
	return 0;
}

int bench_msstat_add(struct bench_msstat *s, uint64_t ms)
{
	if (grow(s, s->n + 1) < 0)
		return -ENOMEM;
	s->v[s->n++] = ms;
	return 0;
}

int bench_msstat_join(struct bench_msstat *dst, const struct bench_msstat *src)
{
	if (grow(dst, dst->n + src->n) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < src->n; i++)
		dst->v[dst->n++] = src->v[i];
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void bench_msstat_sort(struct bench_msstat *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
}

uint64_t bench_msstat_percentile(const struct bench_msstat *s, double p)
{
	if (!s->n)
		return 0;
	double r = ceil(p * (double)s->n / 100.0); /* p * n is exact for small n */
	size_t rank = r < 1 ? 1 : r > (double)s->n ? s->n : (size_t)r;
	return s->v[rank - 1];
}

uint64_t bench_msstat_max(const struct bench_msstat *s)
{
	return s->n ? s->v[s->n - 1] : 0;
}

void bench_msstat_free(struct bench_msstat *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
