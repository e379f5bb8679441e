/* Unit tests for src/bench/pace: the pause after a busy loop iteration (bounded
 * by --coalesce and by 1/16 of the latency just measured, so latency runs stay
 * exact) and a publisher's wake-up time (one timer per 100 us batch at high
 * rates, the exact slot time at latency rates). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bench/pace.h"
#include "common/time.h"

#define US NS_PER_US
#define MS NS_PER_MS

/* an iteration with fewer than 16 packets (a latency run at 1000 msg/s reads
 * one at a time) never pauses, whatever the cap */
static void test_not_busy_no_pause(void **state)
{
	for (uint64_t pkts = 0; pkts < BENCH_COALESCE_MIN; pkts++)
		assert_true(bench_coalesce_pause_ns(3 * MS, pkts, UINT64_MAX, UINT64_MAX) == 0);
	assert_true(bench_coalesce_pause_ns(3 * MS, BENCH_COALESCE_MIN, UINT64_MAX, UINT64_MAX) ==
		    3 * MS);
	/* --coalesce 0: never */
	assert_true(bench_coalesce_pause_ns(0, 100000, UINT64_MAX, UINT64_MAX) == 0);
}

/* busy: the cap under a backlog (latency of seconds), 1/16 of the smallest
 * latency when that is less, 0 when the latency is below 16 ns */
static void test_pause_relative_to_latency(void **state)
{
	assert_true(bench_coalesce_pause_ns(3 * MS, 500, 2000 * MS, UINT64_MAX) == 3 * MS);
	assert_true(bench_coalesce_pause_ns(3 * MS, 500, 48 * MS, UINT64_MAX) == 3 * MS);
	assert_true(bench_coalesce_pause_ns(3 * MS, 500, 16 * MS, UINT64_MAX) == 1 * MS);
	assert_true(bench_coalesce_pause_ns(3 * MS, 500, 1 * MS, UINT64_MAX) == 62500);
	assert_true(bench_coalesce_pause_ns(3 * MS, 500, 15, UINT64_MAX) == 0);
	/* no latency measured (acks only, a pub-only worker): the cap */
	assert_true(bench_coalesce_pause_ns(300 * US, 17, UINT64_MAX, UINT64_MAX) == 300 * US);
	/* the bound holds for any latency: pause * 16 <= latency, pause <= cap */
	for (uint64_t lat = 0; lat < 100 * MS; lat += 997 * US + 13) {
		uint64_t p = bench_coalesce_pause_ns(3 * MS, 64, lat, UINT64_MAX);
		assert_true(p <= 3 * MS);
		assert_true(p * BENCH_COALESCE_LAT_DIV <= lat);
	}
}

/* a full QoS 1/2 window: the pause stays below the time the broker needs to
 * acknowledge half of it, so the publisher is never left idle by it */
static void test_window_bound(void **state)
{
	/* 100 in flight, 25,000 acks/s: half the window lasts 2 ms */
	assert_true(bench_window_ns(100, 2500, 100 * MS) == 2 * MS);
	assert_true(bench_coalesce_pause_ns(20 * MS, 500, 5000 * MS, 2 * MS) == 2 * MS);
	/* 5 x 100 in flight, 300 acks/s (fan-out to 200): 0.83 s, the cap rules */
	assert_true(bench_window_ns(500, 30, 100 * MS) == 833333333);
	assert_true(bench_coalesce_pause_ns(20 * MS, 500, 5000 * MS, 833333333) == 20 * MS);
	/* no window (QoS 0) or no acks yet: no bound */
	assert_true(bench_window_ns(0, 100, 100 * MS) == UINT64_MAX);
	assert_true(bench_window_ns(100, 0, 100 * MS) == UINT64_MAX);
	/* large figures do not overflow */
	assert_true(bench_window_ns(65535u * 1000, 1, UINT64_MAX / 2) == UINT64_MAX);
	assert_true(bench_window_ns(4, 1, UINT64_MAX) == UINT64_MAX);
}

/* latency rates (interval >= 100 us): the slot's own time, to the ns */
static void test_wake_exact_at_low_rates(void **state)
{
	assert_true(bench_pub_wake_ns(1234567, 1 * MS) == 1234567);
	assert_true(bench_pub_wake_ns(1234567, BENCH_PUB_BATCH_NS) == 1234567);
}

/* high rates: the next multiple of 100 us at or after the slot, so every
 * publisher of a worker wakes together; a slot on the grid is not moved */
static void test_wake_on_grid_at_high_rates(void **state)
{
	assert_true(bench_pub_wake_ns(1234567, 10 * US) == 1300000);
	assert_true(bench_pub_wake_ns(1300000, 10 * US) == 1300000);
	assert_true(bench_pub_wake_ns(1300001, 1) == 1400000);
	for (uint64_t t = 5 * MS; t < 6 * MS; t += 7919) {
		uint64_t w = bench_pub_wake_ns(t, 33 * US);
		assert_true(w >= t && w - t < BENCH_PUB_BATCH_NS);
		assert_true(w % BENCH_PUB_BATCH_NS == 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_not_busy_no_pause),
	    cmocka_unit_test(test_pause_relative_to_latency),
	    cmocka_unit_test(test_window_bound),
	    cmocka_unit_test(test_wake_exact_at_low_rates),
	    cmocka_unit_test(test_wake_on_grid_at_high_rates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
