/* Unit tests for the lab's readers on a buffer (lab/readbuf.h, series.h):
 * lab_csv_parse, lab_summary_parse and lab_series_parse read a buffer exactly
 * as lab_csv_load, lab_summary_read and lab_series_load read the same bytes
 * from a file (the fuzz targets go through the buffer, `lab report` through
 * the file), NUL bytes and CRLF included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/readbuf.h"
#include "lab/series.h"

/* Writes buf[0..len) to a new temporary file; its path into path. */
static void put_file(char *path, const char *buf, size_t len)
{
	strcpy(path, "/tmp/mqlb-test-readbuf-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static const char csv_text[] =
    "t_s,broker,cpu_percent\r\n0.0,1,5\n\n0.4,1,7\n0.4,2\n1.0,2,9\0,3,4\n";

static void test_csv_same(void **state)
{
	char path[64];
	size_t len = sizeof(csv_text) - 1;
	put_file(path, csv_text, len);
	struct lab_csv a, b;
	assert_int_equal(lab_csv_load(path, &a), 0);
	assert_int_equal(lab_csv_parse(csv_text, len, &b), 0);
	unlink(path);
	assert_int_equal(a.n_rows, 5); /* blank line out; the data ends at the NUL */
	assert_int_equal(b.n_rows, a.n_rows);
	for (unsigned r = 0; r < a.n_rows; r++) {
		assert_int_equal(b.n_fields[r], a.n_fields[r]);
		for (unsigned f = 0; f < a.n_fields[r]; f++)
			assert_string_equal(b.rows[r][f], a.rows[r][f]);
	}
	assert_string_equal(lab_csv_get(&b, 4, 2), "9");
	lab_csv_free(&a);
	lab_csv_free(&b);
	assert_int_equal(lab_csv_parse("", 0, &b), 0);
	assert_int_equal(b.n_rows, 0);
	lab_csv_free(&b);
}

static void test_summary_same(void **state)
{
	static const char ok[] = LAB_SUMMARY_HEADER_REPEAT
	    "\r\n"
	    "distributed,nft,rr,1,10,10,400,400,4000,4000,0,0.000000,0,2079,"
	    "44031,0.9804,8/6/6,thesis,2\n";
	static const char bad[] =
	    LAB_SUMMARY_HEADER_REPEAT "\n"
				      "dist\"; system(\"id\"),nft,rr,0,1,1,1,1,"
				      "1,1,0,0.0,0,1,1,1.0,1,x,1\n";
	char path[64];
	struct lab_row *a, *b;
	put_file(path, ok, sizeof(ok) - 1);
	assert_int_equal(lab_summary_read(path, &a), 1);
	unlink(path);
	assert_int_equal(lab_summary_parse(ok, sizeof(ok) - 1, &b), 1);
	assert_string_equal(b[0].topology, "distributed");
	assert_int_equal(b[0].repeat, 2);
	assert_int_equal(b[0].n_brokers, 3);
	assert_int_equal(b[0].p99_us, 44031);
	assert_memory_equal(a, b, sizeof(*a));
	free(a);
	free(b);
	/* a label that would reach gnuplot with a quote: refused either way */
	put_file(path, bad, sizeof(bad) - 1);
	assert_int_equal(lab_summary_read(path, &a), -EINVAL);
	unlink(path);
	assert_int_equal(lab_summary_parse(bad, sizeof(bad) - 1, &b), -EINVAL);
	assert_null(b);
	assert_int_equal(lab_summary_parse("", 0, &b), -EINVAL);
	assert_null(b);
}

static void test_series_same(void **state)
{
	static const char *const w[] = {"cpu", NULL};
	static const char *const none[] = {"nothing", NULL};
	char path[64];
	size_t len = sizeof(csv_text) - 1;
	struct lab_series_set a, b;
	put_file(path, csv_text, len);
	assert_int_equal(lab_series_load(path, w, NULL, &a), 2);
	assert_int_equal(lab_series_load(path, none, NULL, &b), -ENOENT);
	unlink(path);
	assert_int_equal(lab_series_parse(csv_text, len, w, NULL, &b), 2);
	for (unsigned i = 0; i < a.n; i++) {
		assert_string_equal(b.s[i].name, a.s[i].name);
		assert_int_equal(b.s[i].n, a.s[i].n);
		assert_memory_equal(b.s[i].t, a.s[i].t, a.s[i].n * sizeof(double));
		assert_memory_equal(b.s[i].v, a.s[i].v, a.s[i].n * sizeof(double));
	}
	assert_string_equal(b.s[1].name, "broker2");
	assert_int_equal(b.s[1].n, 1); /* "0.4,2" has no value */
	lab_series_free(&a);
	lab_series_free(&b);
	assert_int_equal(lab_series_parse(csv_text, len, none, NULL, &b), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csv_same),
	    cmocka_unit_test(test_summary_same),
	    cmocka_unit_test(test_series_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
