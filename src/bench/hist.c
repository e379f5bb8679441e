#include "bench/hist.h"

#include <math.h>
#include <string.h>

void bench_hist_init(struct bench_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned bench_hist_index(uint64_t us)
{
	if (us < 2 * HIST_SUB)
		return (unsigned)us;
	unsigned msb = 63u - (unsigned)__builtin_clzll(us);
	if (msb > HIST_MAX_MSB)
		return HIST_BUCKETS - 1;
	unsigned shift = msb - HIST_SUB_BITS;	 /* >= 1 */
	unsigned mant = (unsigned)(us >> shift); /* [128, 256) */
	return 2 * HIST_SUB + (shift - 1) * HIST_SUB + (mant - HIST_SUB);
}

uint64_t bench_hist_bucket_high(unsigned idx)
{
	if (idx < 2 * HIST_SUB)
		return idx;
	unsigned shift = (idx - 2 * HIST_SUB) / HIST_SUB + 1;
	uint64_t mant = HIST_SUB + (idx - 2 * HIST_SUB) % HIST_SUB;
	return ((mant + 1) << shift) - 1;
}

void bench_hist_record_us(struct bench_hist *h, uint64_t us)
{
	h->buckets[bench_hist_index(us)]++;
	h->count++;
	h->sum += us;
	if (us > h->max)
		h->max = us;
	if (us < h->min)
		h->min = us;
}

void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	if (!src->count)
		return;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->max > dst->max)
		dst->max = src->max;
	if (src->min < dst->min)
		dst->min = src->min;
}

uint64_t bench_hist_percentile(const struct bench_hist *h, double p)
{
	if (!h->count)
		return 0;
	if (p >= 100.0)
		return h->max;
	uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank) {
			uint64_t v = bench_hist_bucket_high(i);
			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}
