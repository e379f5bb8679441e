/* csv.c — the CSV files of mqlb's writers (summary.csv, monitor, bench --csv),
 * loaded whole: they are small (one row per sample or per run). A user can
 * hand `lab report` any folder, so the split is also reachable from a buffer
 * (lab_csv_parse) and fuzzed: tests/fuzz/fuzz_lab_csv.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab.h"
#include "lab/readbuf.h"

char *lab_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	if (!buf) {
		errno = ENOMEM;
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

void lab_csv_free(struct lab_csv *c)
{
	for (unsigned i = 0; c->rows && i < c->n_rows; i++)
		free(c->rows[i]);
	free(c->rows);
	free(c->n_fields);
	free(c->text);
	memset(c, 0, sizeof(*c));
}

/* Splits one line (NUL-terminated, modified in place) into a malloc'd array. */
static char **split_line(char *line, unsigned *n)
{
	unsigned cnt = 1;
	for (char *p = line; *p; p++)
		cnt += *p == ',';
	char **f = malloc(cnt * sizeof(*f));
	if (!f)
		return NULL;
	unsigned i = 0;
	char *p = line;
	for (;;) {
		f[i++] = p;
		char *comma = strchr(p, ',');
		if (!comma)
			break;
		*comma = '\0';
		p = comma + 1;
	}
	*n = i;
	return f;
}

/* Splits c->text (owned, NUL-terminated; its first NUL ends the data) into
 * rows. 0 or -ENOMEM (c freed). */
static int csv_split(struct lab_csv *c)
{
	unsigned lines = 1;
	for (char *p = c->text; *p; p++)
		lines += *p == '\n';
	c->rows = calloc(lines, sizeof(*c->rows));
	c->n_fields = calloc(lines, sizeof(*c->n_fields));
	if (!c->rows || !c->n_fields) {
		lab_csv_free(c);
		return -ENOMEM;
	}
	char *line = c->text;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		size_t l = strlen(line);
		if (l && line[l - 1] == '\r')
			line[l - 1] = '\0';
		if (*line) { /* blank lines carry nothing */
			c->rows[c->n_rows] = split_line(line, &c->n_fields[c->n_rows]);
			if (!c->rows[c->n_rows]) {
				lab_csv_free(c);
				return -ENOMEM;
			}
			c->n_rows++;
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

int lab_csv_load(const char *path, struct lab_csv *c)
{
	memset(c, 0, sizeof(*c));
	c->text = lab_read_file(path, NULL);
	if (!c->text)
		return -errno;
	return csv_split(c);
}

int lab_csv_parse(const char *buf, size_t len, struct lab_csv *c)
{
	memset(c, 0, sizeof(*c));
	c->text = malloc(len + 1); /* as lab_read_file leaves it: NUL-terminated */
	if (!c->text)
		return -ENOMEM;
	if (len)
		memcpy(c->text, buf, len);
	c->text[len] = '\0';
	return csv_split(c);
}

int lab_csv_col(const struct lab_csv *c, const char *name)
{
	if (c->n_rows == 0)
		return -1;
	for (unsigned i = 0; i < c->n_fields[0]; i++)
		if (strcmp(c->rows[0][i], name) == 0)
			return (int)i;
	return -1;
}

int lab_csv_col_like(const struct lab_csv *c, const char *const *words)
{
	if (c->n_rows == 0)
		return -1;
	for (unsigned i = 0; i < c->n_fields[0]; i++) {
		int all = 1;
		for (const char *const *w = words; *w && all; w++)
			all = strstr(c->rows[0][i], *w) != NULL;
		if (all)
			return (int)i;
	}
	return -1;
}

const char *lab_csv_get(const struct lab_csv *c, unsigned row, int col)
{
	if (row >= c->n_rows || col < 0 || (unsigned)col >= c->n_fields[row])
		return "";
	return c->rows[row][col];
}
