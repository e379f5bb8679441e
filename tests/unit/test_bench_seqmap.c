/* Unit tests for src/bench/seqmap: in-order counter, gaps, duplicates,
 * window sliding, intersection, export/import; checked against a plain bitmap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/seqmap.h"

static void test_in_order(void **state)
{
	struct bench_seqmap m;
	bench_seqmap_init(&m);
	for (uint64_t s = 0; s < 1000; s++)
		assert_int_equal(bench_seqmap_set(&m, s), 1);
	assert_null(m.win); /* no allocation when in order */
	assert_true(m.count == 1000 && m.top == 1000 && bench_seqmap_prefix(&m) == 1000);
	assert_int_equal(bench_seqmap_set(&m, 999), 0);
	assert_int_equal(bench_seqmap_set(&m, 0), 0);
	assert_true(bench_seqmap_has(&m, 0) && bench_seqmap_has(&m, 999));
	assert_false(bench_seqmap_has(&m, 1000));
	assert_int_equal(bench_seqmap_set(&m, BENCH_SEQ_MAX + 1), -ERANGE);
	bench_seqmap_free(&m);
}

static void test_gap_then_fill(void **state)
{
	struct bench_seqmap m;
	bench_seqmap_init(&m);
	/* boundary table of gaps around word edges */
	static const uint64_t order[] = {0, 1, 2, 5, 63, 64, 65, 3, 4, 200, 127, 128};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		assert_int_equal(bench_seqmap_set(&m, order[i]), 1);
	assert_non_null(m.win);
	assert_int_equal(m.count, 12);
	assert_int_equal(m.top, 201);
	assert_int_equal(bench_seqmap_set(&m, 63), 0);
	for (uint64_t s = 0; s <= 200; s++)
		bench_seqmap_set(&m, s);
	assert_null(m.win); /* gap closed: back to a counter */
	assert_int_equal(m.base, 201);
	assert_int_equal(m.count, 201);
	bench_seqmap_free(&m);
}

/* Random arrivals (with duplicates and permanent gaps) against a plain bitmap. */
static void test_random_vs_reference(void **state)
{
	enum { N = 20000 };
	uint8_t *ref = calloc(N, 1);
	struct bench_seqmap m;
	bench_seqmap_init(&m);
	srand(42);
	uint64_t distinct = 0;
	for (int k = 0; k < 3 * N; k++) {
		/* mostly near a moving front, sometimes far behind */
		uint64_t front = (uint64_t)k / 3;
		uint64_t s = rand() % 10 ? front + (uint64_t)(rand() % 50) : (uint64_t)(rand() % N);
		if (s >= N || s % 997 == 13) /* some seqs are never seen */
			continue;
		int r = bench_seqmap_set(&m, s);
		assert_int_equal(r, ref[s] ? 0 : 1);
		if (!ref[s])
			distinct++;
		ref[s] = 1;
	}
	assert_int_equal(m.count, distinct);
	for (uint64_t s = 0; s < N + 100; s++)
		assert_int_equal(bench_seqmap_has(&m, s), s < N && ref[s]);
	/* export/import preserves the set */
	uint64_t prefix;
	char *hex;
	assert_int_equal(bench_seqmap_export(&m, &prefix, &hex), 0);
	struct bench_seqmap c;
	assert_int_equal(bench_seqmap_import(&c, prefix, hex), 0);
	assert_int_equal(c.count, m.count);
	assert_int_equal(c.top, m.top);
	for (uint64_t s = 0; s < N; s++)
		assert_int_equal(bench_seqmap_has(&c, s), ref[s]);
	free(hex);
	bench_seqmap_free(&c);
	bench_seqmap_free(&m);
	free(ref);
}

static void test_common(void **state)
{
	struct bench_seqmap a, b;
	bench_seqmap_init(&a);
	bench_seqmap_init(&b);
	assert_int_equal(bench_seqmap_common(&a, &b), 0);
	for (uint64_t s = 0; s < 1000; s++) {
		if (s % 7)
			bench_seqmap_set(&a, s);
		if (s < 900)
			bench_seqmap_set(&b, s);
	}
	uint64_t want = 0;
	for (uint64_t s = 0; s < 900; s++)
		want += s % 7 != 0;
	assert_int_equal(bench_seqmap_common(&a, &b), want);
	assert_int_equal(bench_seqmap_common(&b, &a), want);
	assert_int_equal(bench_seqmap_common(&b, &b), 900);
	bench_seqmap_free(&a);
	bench_seqmap_free(&b);
}

static void test_import_rejects(void **state)
{
	struct bench_seqmap m;
	assert_int_equal(bench_seqmap_import(&m, 0, "xyz"), -EINVAL);
	assert_int_equal(bench_seqmap_import(&m, 0, "000000000000000g"), -EINVAL);
	assert_int_equal(bench_seqmap_import(&m, 3, "0000000000000001"), -EINVAL);
	assert_int_equal(bench_seqmap_import(&m, 5, ""), 0);
	assert_int_equal(m.count, 5);
	bench_seqmap_free(&m);
	assert_int_equal(bench_seqmap_import(&m, 64, "0000000000000005"), 0);
	assert_int_equal(m.count, 66);
	assert_true(bench_seqmap_has(&m, 64) && !bench_seqmap_has(&m, 65) &&
		    bench_seqmap_has(&m, 66));
	bench_seqmap_free(&m);
}

/* A bogus seq far past the highest seen (2^37: a 16 GiB bitmap) is refused
 * before anything is allocated; the largest jump accepted still works. */
static void test_jump_bound(void **state)
{
	struct bench_seqmap m;
	bench_seqmap_init(&m);
	for (uint64_t s = 0; s < 10; s++)
		bench_seqmap_set(&m, s);
	assert_int_equal(bench_seqmap_set(&m, 1ull << 37), -ERANGE);
	assert_int_equal(bench_seqmap_set(&m, 10 + BENCH_SEQ_JUMP), -ERANGE);
	assert_null(m.win);
	assert_true(m.count == 10 && m.top == 10);
	assert_int_equal(bench_seqmap_set(&m, 9 + BENCH_SEQ_JUMP), 1);
	assert_true(bench_seqmap_heap(&m) <= BENCH_SEQ_JUMP / 8 * 2); /* doubling growth */
	/* from the new top on, the next jump is measured again */
	assert_int_equal(bench_seqmap_set(&m, 9 + 2 * BENCH_SEQ_JUMP), 1);
	assert_int_equal(bench_seqmap_set(&m, 10 + 3 * BENCH_SEQ_JUMP), -ERANGE);
	assert_int_equal(m.count, 12);
	bench_seqmap_free(&m);
	/* an empty map: the first seq is bounded too */
	bench_seqmap_init(&m);
	assert_int_equal(bench_seqmap_set(&m, BENCH_SEQ_JUMP), -ERANGE);
	assert_null(m.win);
	bench_seqmap_free(&m);
}

static void test_count_below(void **state)
{
	struct bench_seqmap m;
	bench_seqmap_init(&m);
	for (uint64_t s = 0; s < 100; s++)
		bench_seqmap_set(&m, s);
	assert_int_equal(bench_seqmap_count_below(&m, 0), 0);
	assert_int_equal(bench_seqmap_count_below(&m, 50), 50);
	assert_int_equal(bench_seqmap_count_below(&m, 1000), 100);
	static const uint64_t more[] = {130, 131, 200, 263};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		bench_seqmap_set(&m, more[i]);
	assert_non_null(m.win);
	/* every n against a plain count */
	for (uint64_t n = 0; n < 300; n++) {
		uint64_t want = 0;
		for (uint64_t s = 0; s < n; s++)
			want += bench_seqmap_has(&m, s);
		assert_int_equal(bench_seqmap_count_below(&m, n), want);
	}
	bench_seqmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_order),
	    cmocka_unit_test(test_gap_then_fill),
	    cmocka_unit_test(test_random_vs_reference),
	    cmocka_unit_test(test_common),
	    cmocka_unit_test(test_import_rejects),
	    cmocka_unit_test(test_jump_bound),
	    cmocka_unit_test(test_count_below),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
