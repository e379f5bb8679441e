/* hist.h — log-linear latency histogram (HdrHistogram-like), microsecond
 * resolution, relative error below 1/128 (< 0.8 %). Values 0..255 us are exact;
 * above, each power of two is split into 128 linear sub-buckets. One per thread,
 * merged at the end (merge = add the bucket arrays). No allocation. */
#ifndef MQLB_BENCH_HIST_H
#define MQLB_BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB      (1u << HIST_SUB_BITS) /* 128 */
#define HIST_MAX_MSB  40		    /* 2^41 us ~ 25 days: larger values clamp */
#define HIST_BUCKETS  (2 * HIST_SUB + (HIST_MAX_MSB - HIST_SUB_BITS) * HIST_SUB)

struct bench_hist {
	uint64_t count;
	uint64_t max; /* exact, us */
	uint64_t min; /* exact, us; UINT64_MAX when empty */
	uint64_t sum; /* us, for the mean */
	uint64_t buckets[HIST_BUCKETS];
};

/* An empty histogram (min UINT64_MAX); it owns no memory. */
void bench_hist_init(struct bench_hist *h);
/* Bucket index of a value in us (exposed for tests and serialisation). */
unsigned bench_hist_index(uint64_t us);
/* Highest value (us) that falls in bucket idx ("highest equivalent value"). */
uint64_t bench_hist_bucket_high(unsigned idx);
/* Counts one value in us (any size: the top bucket takes the rest). */
void bench_hist_record_us(struct bench_hist *h, uint64_t us);
static inline void bench_hist_record_ns(struct bench_hist *h, uint64_t ns)
{
	bench_hist_record_us(h, ns / 1000u);
}
/* dst += src */
void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);
/* Value at percentile p (0 < p <= 100): the highest equivalent value of the
 * bucket holding the ceil(p/100 * count)-th value, capped at max. 0 if empty. */
uint64_t bench_hist_percentile(const struct bench_hist *h, double p);

#endif
