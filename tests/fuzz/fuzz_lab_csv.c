/* fuzz_lab_csv.c — libFuzzer target for the lab's CSV split (lab_csv_parse,
 * lab/readbuf.h; lab_csv_load is the same after reading the file), which
 * `lab report` runs on any folder a user names. Invariants: the rows joined
 * back with ',' and '\n' are the input up to its first NUL with blank lines
 * and one trailing '\r' per line dropped (nothing lost, nothing invented);
 * lab_csv_get is "" past a row's end, and the column lookups agree with it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab/readbuf.h"

/* The text the split should have read: data up to the first NUL, per line
 * one trailing '\r' off, blank lines out, every line ended by '\n'. */
static size_t expected(const char *in, size_t len, char *out)
{
	size_t o = 0, n = strnlen(in, len);
	for (size_t s = 0; s < n;) {
		const char *nl = memchr(in + s, '\n', n - s);
		size_t e = nl ? (size_t)(nl - in) : n, l = e - s;
		if (l && in[s + l - 1] == '\r')
			l--;
		if (l) {
			memcpy(out + o, in + s, l);
			o += l;
			out[o++] = '\n';
		}
		s = e + 1;
	}
	return o;
}

static void check(const struct lab_csv *c, const char *in, size_t len)
{
	char *want = malloc(len + 2), *got = malloc(len + 2);
	size_t wl = expected(in, len, want), gl = 0;
	if (!want || !got)
		abort();
	for (unsigned r = 0; r < c->n_rows; r++) {
		if (c->n_fields[r] == 0)
			abort();
		for (unsigned f = 0; f < c->n_fields[r]; f++) {
			const char *v = c->rows[r][f];
			size_t l = strlen(v);
			if (strchr(v, ',') || strchr(v, '\n') || gl + l + 1 > len + 1)
				abort();
			if (r && strcmp(lab_csv_get(c, r, (int)f), v) != 0)
				abort();
			memcpy(got + gl, v, l);
			gl += l;
			got[gl++] = f + 1 < c->n_fields[r] ? ',' : '\n';
		}
		if (*lab_csv_get(c, r, (int)c->n_fields[r]) || *lab_csv_get(c, r, -1))
			abort();
	}
	if (gl != wl || memcmp(got, want, gl) != 0)
		abort();
	free(want);
	free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lab_csv c;
	const char *in = (const char *)data;
	if (lab_csv_parse(in, size, &c) != 0)
		abort(); /* only -ENOMEM, which a fuzz input cannot cause */
	check(&c, in, size);
	if (c.n_rows) {
		int col = lab_csv_col(&c, c.rows[0][c.n_fields[0] - 1]);
		if (col < 0 || strcmp(c.rows[0][col], c.rows[0][c.n_fields[0] - 1]) != 0)
			abort();
		const char *const words[] = {c.rows[0][0], NULL};
		if (lab_csv_col_like(&c, words) != 0)
			abort(); /* the first column contains its own name */
	}
	if (*lab_csv_get(&c, c.n_rows, 0))
		abort();
	lab_csv_free(&c);
	return 0;
}
