/* Unit tests for src/common/jsonread: the reader `bench merge` (and the lab,
 * the monitor, the nft dataplane) uses on JSON
 * that another process, maybe on another host, wrote. Numbers follow RFC 8259
 * exactly (no hex floats, no leading zeros, no bare '.'), integers up to
 * UINT64_MAX are exact, and reading a number that does not fit a u64 clamps
 * instead of converting out of range (undefined behaviour, issue 14.8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonread.h"

/* The number in "[N]" as u64, or def when the document does not parse. */
static uint64_t u64_of(const char *num, uint64_t def)
{
	char text[128], err[128];
	snprintf(text, sizeof(text), "[%s]", num);
	struct jr_value *v = jr_parse(text, err, sizeof(err));
	if (!v)
		return def;
	uint64_t u = jr_u64(&v->items[0], def - 1);
	jr_free(v);
	return u;
}

static bool parses(const char *text)
{
	char err[128];
	struct jr_value *v = jr_parse(text, err, sizeof(err));
	jr_free(v);
	return v != NULL;
}

static void test_exact_integers(void **state)
{
	(void)state;
	assert_true(u64_of("0", 7) == 0);
	assert_true(u64_of("9007199254740993", 7) == 9007199254740993ULL); /* 2^53 + 1 */
	assert_true(u64_of("18446744073709551615", 7) == UINT64_MAX);
}

static void test_out_of_range_clamps(void **state)
{
	(void)state;
	assert_true(u64_of("1e30", 7) == UINT64_MAX);
	assert_true(u64_of("18446744073709551616", 7) == UINT64_MAX); /* 2^64 */
	assert_true(u64_of("1.8446744073709552e19", 7) == UINT64_MAX);
	assert_true(u64_of("-5", 7) == 0);
	assert_true(u64_of("-1e30", 7) == 0);
	assert_true(u64_of("2.9", 7) == 2);
	assert_true(u64_of("1e3", 7) == 1000);
}

static void test_rfc8259_numbers_only(void **state)
{
	(void)state;
	static const char *const bad[] = {"[0x10]", "[0x1p3]", "[01]",	   "[1.]",  "[.5]",
					  "[1e]",   "[1e+]",   "[-]",	   "[+1]",  "[inf]",
					  "[nan]",  "[-0x1]",  "[1.5e3x]", "[--1]", NULL};
	for (int i = 0; bad[i]; i++)
		if (parses(bad[i]))
			fail_msg("%s parsed", bad[i]);
	static const char *const good[] = {"[-0]",	"[0.5]", "[1E+2]", "[1e-2]",
					   "[-12.5e3]", "[0e0]", NULL};
	for (int i = 0; good[i]; i++)
		if (!parses(good[i]))
			fail_msg("%s refused", good[i]);
}

/* Every value knows where it is in the text: the lab reports numbers "as
 * written" (1.50 stays 1.50, 1e3 stays 1e3) from these spans. */
static void test_spans(void **state)
{
	const char *t = "{ \"a\" : 1.50 , \"b\":[true, \"x\\\"y\", 1e3] }";
	struct jr_value *v = jr_parse(t, NULL, 0);
	assert_non_null(v);
	assert_int_equal(v->off, 0);
	assert_int_equal(v->len, strlen(t));
	const struct jr_value *a = jr_get(v, "a");
	assert_memory_equal(t + a->off, "1.50", a->len);
	assert_int_equal(a->len, 4);
	const struct jr_value *b = jr_get(v, "b");
	assert_int_equal(b->n, 3);
	assert_memory_equal(t + b->items[0].off, "true", 4);
	assert_int_equal(b->items[1].len, 6); /* the quotes and the escape included */
	assert_string_equal(b->items[1].str, "x\"y");
	assert_memory_equal(t + b->items[2].off, "1e3", b->items[2].len);
	jr_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact_integers),
	    cmocka_unit_test(test_out_of_range_clamps),
	    cmocka_unit_test(test_rfc8259_numbers_only),
	    cmocka_unit_test(test_spans),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
