/* Unit tests for src/bench/pidset: the QoS 2 receiver's set of packet ids
 * awaiting PUBREL (MQTT §4.3.3). Boundary ids, order, growth past the first
 * allocation, clear vs free; checked against a plain 65536-entry table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bench/pidset.h"

static void test_boundaries(void **state)
{
	(void)state;
	struct bench_pidset s;
	bench_pidset_init(&s);
	assert_false(bench_pidset_has(&s, 0));
	assert_false(bench_pidset_del(&s, 1));
	assert_null(s.ids); /* nothing allocated before the first id */
	static const uint16_t ids[] = {1, 65535, 2, 256, 255, 32768, 0};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_int_equal(bench_pidset_add(&s, ids[i]), 1);
		assert_int_equal(bench_pidset_add(&s, ids[i]), 0); /* the same id again */
	}
	assert_int_equal(s.n, 7);
	for (uint32_t i = 1; i < s.n; i++)
		assert_true(s.ids[i - 1] < s.ids[i]);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		assert_true(bench_pidset_has(&s, ids[i]));
	assert_false(bench_pidset_has(&s, 3));
	assert_false(bench_pidset_has(&s, 65534));
	assert_true(bench_pidset_del(&s, 65535));
	assert_false(bench_pidset_del(&s, 65535));
	assert_false(bench_pidset_has(&s, 65535));
	assert_true(bench_pidset_del(&s, 0));
	assert_int_equal(s.n, 5);
	bench_pidset_clear(&s); /* a new session: empty, memory kept */
	assert_int_equal(s.n, 0);
	assert_false(bench_pidset_has(&s, 1));
	assert_int_equal(bench_pidset_add(&s, 1), 1);
	bench_pidset_free(&s);
	assert_null(s.ids);
	assert_int_equal(bench_pidset_add(&s, 7), 1); /* usable after free */
	bench_pidset_free(&s);
}

/* PUBLISH/PUBREL in a broker-like pattern against a plain table. */
static void test_against_table(void **state)
{
	(void)state;
	struct bench_pidset s;
	bench_pidset_init(&s);
	bool *ref = calloc(65536, sizeof(*ref));
	assert_non_null(ref);
	uint32_t n = 0, x = 12345;
	for (int k = 0; k < 200000; k++) {
		x = x * 1103515245u + 12345u;
		uint16_t id = (uint16_t)(x >> 8) % 3000; /* small id space: many repeats */
		if ((x >> 30) & 1) {
			int r = bench_pidset_add(&s, id);
			assert_int_equal(r, ref[id] ? 0 : 1);
			n += !ref[id];
			ref[id] = true;
		} else {
			assert_int_equal(bench_pidset_del(&s, id), ref[id]);
			n -= ref[id];
			ref[id] = false;
		}
		assert_int_equal(s.n, n);
	}
	for (uint32_t id = 0; id < 65536; id++)
		assert_int_equal(bench_pidset_has(&s, (uint16_t)id), ref[id]);
	/* every id at once: the largest set a session can hold */
	for (uint32_t id = 0; id < 65536; id++)
		assert_true(bench_pidset_add(&s, (uint16_t)id) >= 0);
	assert_int_equal(s.n, 65536);
	free(ref);
	bench_pidset_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_boundaries),
	    cmocka_unit_test(test_against_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
