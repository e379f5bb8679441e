/* Unit tests for src/bench/backoff (reconnect delays) and src/bench/msstat
 * (reconnect times and their percentiles, joined exactly by merge). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "bench/backoff.h"
#include "bench/msstat.h"
#include "common/time.h"

#define MS NS_PER_MS

/* rnd 0 gives the low end d/2, rnd = d - d/2 the high end d (uniform in between) */
static void test_doubling_and_cap(void **state)
{
	const uint64_t min = 100 * MS, max = 5000 * MS;
	static const uint64_t want[] = {100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000};
	for (uint32_t a = 0; a < sizeof(want) / sizeof(want[0]); a++) {
		uint64_t d = want[a] * MS;
		assert_true(bench_backoff_ns(a, min, max, 0) == d / 2);
		assert_true(bench_backoff_ns(a, min, max, d - d / 2) == d);
		assert_true(bench_backoff_ns(a, min, max, d - d / 2 + 1) == d / 2); /* wraps */
	}
	/* huge attempt numbers neither overflow nor pass the cap */
	assert_true(bench_backoff_ns(UINT32_MAX, min, max, UINT64_MAX) <= max);
	assert_true(bench_backoff_ns(1000, 1, UINT64_MAX / 3, 0) == UINT64_MAX / 3 / 2);
	/* min == max: a fixed delay, jittered */
	assert_true(bench_backoff_ns(7, MS * 10, MS * 10, 0) == MS * 5);
	/* a max that is not min * 2^k is reached exactly */
	assert_true(bench_backoff_ns(3, 100 * MS, 700 * MS, 350 * MS) == 700 * MS);
	/* 1 ns: [0, 1] */
	assert_true(bench_backoff_ns(0, 1, 1, 0) == 0);
	assert_true(bench_backoff_ns(0, 1, 1, 1) == 1);
}

/* the jitter spreads clients: over many draws, both halves of [d/2, d] are
 * used and nothing falls outside */
static void test_jitter_spread(void **state)
{
	uint64_t rng = 42, lo = 0, hi = 0;
	const uint64_t d = 1600 * MS;
	for (int i = 0; i < 10000; i++) {
		uint64_t v = bench_backoff_ns(4, 100 * MS, 5000 * MS, bench_rand_next(&rng));
		assert_true(v >= d / 2 && v <= d);
		if (v < d * 3 / 4)
			lo++;
		else
			hi++;
	}
	assert_true(lo > 4500 && hi > 4500);
	uint64_t z = 0; /* a zero state does not stick at zero */
	assert_true(bench_rand_next(&z) != 0 && z != 0);
}

static void test_percentiles(void **state)
{
	struct bench_msstat s = {0};
	assert_true(bench_msstat_percentile(&s, 50) == 0 && bench_msstat_max(&s) == 0);
	static const uint64_t v[] = {2300, 2100, 2900, 2050, 2500};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(bench_msstat_add(&s, v[i]), 0);
	bench_msstat_sort(&s);
	assert_int_equal(bench_msstat_percentile(&s, 50), 2300); /* 3rd of 5 */
	assert_int_equal(bench_msstat_percentile(&s, 99), 2900);
	assert_int_equal(bench_msstat_percentile(&s, 20), 2050); /* exactly 1st */
	assert_int_equal(bench_msstat_percentile(&s, 21), 2100);
	assert_int_equal(bench_msstat_max(&s), 2900);
	bench_msstat_free(&s);
	/* 100 values 1..100: p99 is the 99th, p50 the 50th */
	for (uint64_t i = 100; i >= 1; i--)
		bench_msstat_add(&s, i);
	bench_msstat_sort(&s);
	assert_int_equal(bench_msstat_percentile(&s, 99), 99);
	assert_int_equal(bench_msstat_percentile(&s, 50), 50);
	assert_int_equal(bench_msstat_percentile(&s, 100), 100);
	bench_msstat_free(&s);
}

/* merge: the percentiles of two joined lists are those of one list holding
 * every value */
static void test_join(void **state)
{
	struct bench_msstat a = {0}, b = {0}, all = {0};
	uint64_t rng = 7;
	for (int i = 0; i < 1000; i++) {
		uint64_t x = bench_rand_next(&rng) % 10000;
		bench_msstat_add(i % 3 ? &a : &b, x);
		bench_msstat_add(&all, x);
	}
	struct bench_msstat m = {0};
	assert_int_equal(bench_msstat_join(&m, &a), 0);
	assert_int_equal(bench_msstat_join(&m, &b), 0);
	bench_msstat_sort(&m);
	bench_msstat_sort(&all);
	assert_int_equal(m.n, 1000);
	static const double ps[] = {1, 50, 90, 99, 99.9, 100};
	for (int i = 0; i < 6; i++)
		assert_int_equal(bench_msstat_percentile(&m, ps[i]),
				 bench_msstat_percentile(&all, ps[i]));
	bench_msstat_free(&a);
	bench_msstat_free(&b);
	bench_msstat_free(&all);
	bench_msstat_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_doubling_and_cap),
	    cmocka_unit_test(test_jitter_spread),
	    cmocka_unit_test(test_percentiles),
	    cmocka_unit_test(test_join),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
