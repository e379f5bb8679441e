/* Unit tests for src/bench/hist: log-linear histogram, percentiles, merge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/hist.h"

static void test_index_boundaries(void **state)
{
	static const struct {
		uint64_t us;
		unsigned idx;
	} rows[] = {
	    {0, 0},	{1, 1},	    {127, 127}, {255, 255}, {256, 256},	 {257, 256},  {258, 257},
	    {511, 383}, {512, 384}, {515, 384}, {516, 385}, {1023, 511}, {1024, 512},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(bench_hist_index(rows[i].us), rows[i].idx);
	/* huge values clamp to the last bucket */
	assert_int_equal(bench_hist_index(UINT64_MAX), HIST_BUCKETS - 1);
	assert_int_equal(bench_hist_index(1ull << HIST_MAX_MSB), HIST_BUCKETS - HIST_SUB);
}

static void test_bucket_bounds(void **state)
{
	/* every bucket's high maps back to it and high+1 to the next one; the
	 * relative width stays below 1/128 */
	for (unsigned i = 0; i + 1 < HIST_BUCKETS; i++) {
		uint64_t hi = bench_hist_bucket_high(i);
		assert_int_equal(bench_hist_index(hi), i);
		assert_int_equal(bench_hist_index(hi + 1), i + 1);
		if (i >= 2 * HIST_SUB) {
			uint64_t lo = bench_hist_bucket_high(i - 1) + 1;
			assert_true((double)(hi - lo + 1) / (double)lo <= 1.0 / 128 + 1e-12);
		}
	}
}

static void test_percentiles(void **state)
{
	struct bench_hist *h = malloc(sizeof(*h));
	bench_hist_init(h);
	assert_int_equal(bench_hist_percentile(h, 50), 0);
	for (uint64_t v = 1; v <= 1000; v++)
		bench_hist_record_us(h, v);
	assert_int_equal(h->count, 1000);
	assert_int_equal(h->min, 1);
	assert_int_equal(h->max, 1000);
	uint64_t p50 = bench_hist_percentile(h, 50);
	uint64_t p99 = bench_hist_percentile(h, 99);
	uint64_t p999 = bench_hist_percentile(h, 99.9);
	assert_true(p50 >= 500 && p50 <= 504);
	assert_true(p99 >= 990 && p99 <= 998);
	assert_true(p999 >= 999 && p999 <= 1000);
	assert_int_equal(bench_hist_percentile(h, 100), 1000);
	/* single value: every percentile is it */
	bench_hist_init(h);
	bench_hist_record_ns(h, 1234567); /* 1234 us */
	assert_int_equal(bench_hist_percentile(h, 50), 1234);
	assert_int_equal(bench_hist_percentile(h, 0.001), 1234);
	free(h);
}

static void test_merge(void **state)
{
	struct bench_hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)),
			  *all = malloc(sizeof(*all));
	bench_hist_init(a);
	bench_hist_init(b);
	bench_hist_init(all);
	for (uint64_t v = 0; v < 5000; v++) {
		uint64_t x = v * 37 % 100000;
		bench_hist_record_us(v % 2 ? a : b, x);
		bench_hist_record_us(all, x);
	}
	struct bench_hist *m = malloc(sizeof(*m));
	bench_hist_init(m);
	bench_hist_merge(m, a);
	bench_hist_merge(m, b);
	assert_int_equal(m->count, all->count);
	assert_int_equal(m->max, all->max);
	assert_int_equal(m->min, all->min);
	assert_memory_equal(m->buckets, all->buckets, sizeof(m->buckets));
	static const double ps[] = {50, 90, 99, 99.9};
	for (int i = 0; i < 4; i++)
		assert_int_equal(bench_hist_percentile(m, ps[i]),
				 bench_hist_percentile(all, ps[i]));
	free(a);
	free(b);
	free(all);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_index_boundaries),
	    cmocka_unit_test(test_bucket_bounds),
	    cmocka_unit_test(test_percentiles),
	    cmocka_unit_test(test_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
