/* fuzz_lab_summary.c — libFuzzer target for summary.csv's reader
 * (lab_summary_parse, lab/readbuf.h; lab_summary_read after reading the
 * file), which `lab report DIR` runs on any folder. Invariants: every row read
 * has labels that pass lab_label_ok (they reach gnuplot), qos 0..2, repeat >=
 * 1, at most LAB_MAX_BROKERS brokers; and the rows written back with
 * lab_row_write (to memory) read back to the same text (write, read, write is
 * stable). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/readbuf.h"

/* rows[0..n) as summary.csv text (header and rows) in a malloc'd buffer. */
static char *write_rows(const struct lab_row *rows, int n, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		abort();
	fputs(LAB_SUMMARY_HEADER_REPEAT "\n", f);
	for (int i = 0; i < n; i++)
		lab_row_write(f, &rows[i]);
	if (fclose(f) != 0)
		abort();
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lab_row *rows, *again;
	int n = lab_summary_parse((const char *)data, size, &rows);
	if (n < 0) {
		if (rows)
			abort(); /* nothing to free on failure */
		return 0;
	}
	for (int i = 0; i < n; i++) {
		const struct lab_row *r = &rows[i];
		if (!lab_label_ok(r->topology) || !lab_label_ok(r->dataplane) ||
		    !lab_label_ok(r->scheduler) || r->qos < 0 || r->qos > 2 || r->repeat < 1 ||
		    r->n_brokers > LAB_MAX_BROKERS)
			abort();
	}
	size_t l1, l2;
	char *t1 = write_rows(rows, n, &l1);
	int m = lab_summary_parse(t1, l1, &again);
	if (m != n)
		abort();
	char *t2 = write_rows(again, m, &l2);
	if (l1 != l2 || memcmp(t1, t2, l1) != 0)
		abort();
	free(t1);
	free(t2);
	free(again);
	free(rows);
	return 0;
}
