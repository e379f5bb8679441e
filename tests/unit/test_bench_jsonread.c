/* Unit tests for src/bench/jsonread: the reader `bench merge` uses on JSON
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

#include "bench/jsonread.h"

/* The number in "[N]" as u64, or def when the document does not parse. */
static uint64_t u64_of(const char *num, uint64_t def)
{
	char text[128], err[128];
	snprintf(text, sizeof(text), "[%s]", num);
	struct bjson *v = bjson_parse(text, err, sizeof(err));
	if (!v)
		return def;
	uint64_t u = bjson_u64(&v->items[0], def - 1);
	bjson_free(v);
	return u;
}

static bool parses(const char *text)
{
	char err[128];
	struct bjson *v = bjson_parse(text, err, sizeof(err));
	bjson_free(v);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact_integers),
	    cmocka_unit_test(test_out_of_range_clamps),
	    cmocka_unit_test(test_rfc8259_numbers_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
