/* summary.c — summary.csv (DESIGN.md "mqlb lab run --out DIR"): one row per run,
 * the figures every later table and plot is made from. Read from a file or a
 * buffer (lab_summary_parse, fuzzed by tests/fuzz/fuzz_lab_summary.c). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "lab/lab.h"
#include "lab/readbuf.h"

double lab_jain(const uint64_t *x, unsigned n)
{
	double sum = 0, sq = 0;
	for (unsigned i = 0; i < n; i++) {
		sum += (double)x[i];
		sq += (double)x[i] * (double)x[i];
	}
	if (n == 0 || sq == 0)
		return 0;
	return sum * sum / ((double)n * sq);
}

double lab_loss_ratio(uint64_t lost, uint64_t expected)
{
	return expected ? (double)lost / (double)expected : 0;
}

void lab_run_dirname(const struct lab_row *r, char *buf, size_t len)
{
	int w = snprintf(buf, len, "%s-c%" PRIu64 "-q%d", r->topology,
			 r->publishers + r->subscribers, r->qos);
	if (r->repeat > 1 && w > 0 && (size_t)w < len)
		snprintf(buf + w, len - (size_t)w, "-r%u", r->repeat);
}

void lab_row_write(FILE *f, const struct lab_row *r)
{
	fprintf(f,
		"%s,%s,%s,%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
		",%" PRIu64 ",%.6f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.4f,",
		r->topology, r->dataplane, r->scheduler, r->qos, r->publishers, r->subscribers,
		r->burst, r->published, r->expected, r->unique, r->lost, r->loss_ratio,
		r->duplicates, r->p50_us, r->p99_us, r->jain_index);
	for (unsigned i = 0; i < r->n_brokers; i++)
		fprintf(f, "%s%" PRIu64, i ? "/" : "", r->conns[i]);
	fputc(',', f);
	for (const char *p = r->setup; *p; p++) /* no quoting in our CSV: no ',' or '\n' */
		fputc(*p == ',' ? ';' : *p == '\n' ? ' ' : *p, f);
	fprintf(f, ",%u\n", r->repeat ? r->repeat : 1);
}

int lab_conns_parse(const char *s, struct lab_row *r)
{
	char buf[512], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", s);
	r->n_brokers = 0;
	for (char *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (r->n_brokers == LAB_MAX_BROKERS ||
		    parse_u64(t, 0, UINT64_MAX, &r->conns[r->n_brokers]) < 0)
			return -EINVAL;
		r->n_brokers++;
	}
	return 0;
}

static int field_u64(const char *s, uint64_t *out)
{
	return parse_u64(s, 0, UINT64_MAX, out);
}

static int field_double(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int lab_label_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.:+=/-", *s))
			return 0;
	return 1;
}

/* fields = 17 (DESIGN.md's columns), 18 (+ setup) or 19 (+ repeat). */
static int row_parse(const struct lab_csv *c, unsigned i, unsigned fields, struct lab_row *r)
{
	char *const *f = c->rows[i];
	int q;
	memset(r, 0, sizeof(*r));
	if (c->n_fields[i] != fields)
		return -EINVAL;
	if (fields >= 18)
		snprintf(r->setup, sizeof(r->setup), "%s", f[17]);
	r->repeat = 1;
	if (fields == 19 && parse_int(f[18], 1, 1000000, &q) < 0)
		return -EINVAL;
	if (fields == 19)
		r->repeat = (unsigned)q;
	/* these names reach the gnuplot script (titles, tics) and file names:
	 * refuse anything but the characters mqlb writes into them */
	if (!lab_label_ok(f[0]) || !lab_label_ok(f[1]) || !lab_label_ok(f[2]))
		return -EINVAL; /* (the setup label is only ever printed, never plotted) */
	snprintf(r->topology, sizeof(r->topology), "%s", f[0]);
	snprintf(r->dataplane, sizeof(r->dataplane), "%s", f[1]);
	snprintf(r->scheduler, sizeof(r->scheduler), "%s", f[2]);
	if (parse_int(f[3], 0, 2, &q) < 0)
		return -EINVAL;
	r->qos = q;
	uint64_t *u[] = {&r->publishers, &r->subscribers, &r->burst, &r->published,
			 &r->expected,	 &r->unique,	  &r->lost};
	for (unsigned k = 0; k < 7; k++)
		if (field_u64(f[4 + k], u[k]) < 0)
			return -EINVAL;
	if (field_double(f[11], &r->loss_ratio) < 0 || field_u64(f[12], &r->duplicates) < 0 ||
	    field_u64(f[13], &r->p50_us) < 0 || field_u64(f[14], &r->p99_us) < 0 ||
	    field_double(f[15], &r->jain_index) < 0)
		return -EINVAL;
	return lab_conns_parse(f[16], r);
}

/* The rows of summary.csv out of c (loaded; freed here, whatever happens). */
static int summary_rows(struct lab_csv c, struct lab_row **rows)
{
	/* The header must be exactly the contract (with or without the setup
	 * column added after it): a renamed column is a bug. */
	char header[256] = "";
	for (unsigned i = 0; c.n_rows && i < c.n_fields[0]; i++) {
		strncat(header, i ? "," : "", sizeof(header) - strlen(header) - 1);
		strncat(header, c.rows[0][i], sizeof(header) - strlen(header) - 1);
	}
	unsigned fields = 0;
	if (c.n_rows && strcmp(header, LAB_SUMMARY_HEADER) == 0)
		fields = 17;
	else if (c.n_rows && strcmp(header, LAB_SUMMARY_HEADER_SETUP) == 0)
		fields = 18;
	else if (c.n_rows && strcmp(header, LAB_SUMMARY_HEADER_REPEAT) == 0)
		fields = 19;
	if (!fields) {
		lab_csv_free(&c);
		return -EINVAL;
	}
	int n = (int)c.n_rows - 1;
	*rows = calloc(n ? (size_t)n : 1, sizeof(**rows));
	if (!*rows) {
		lab_csv_free(&c);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		if (row_parse(&c, (unsigned)i + 1, fields, &(*rows)[i]) < 0) {
			free(*rows);
			*rows = NULL;
			lab_csv_free(&c);
			return -EINVAL;
		}
	}
	lab_csv_free(&c);
	return n;
}

int lab_summary_read(const char *path, struct lab_row **rows)
{
	struct lab_csv c;
	int ret = lab_csv_load(path, &c);
	*rows = NULL;
	if (ret < 0)
		return ret;
	return summary_rows(c, rows);
}

int lab_summary_parse(const char *buf, size_t len, struct lab_row **rows)
{
	struct lab_csv c;
	int ret = lab_csv_parse(buf, len, &c);
	*rows = NULL;
	if (ret < 0)
		return ret;
	return summary_rows(c, rows);
}

void lab_summary_print(FILE *f, const struct lab_row *rows, int n)
{
	fprintf(f, "%-18s %3s %3s %7s %9s %10s %10s %10s %7s %6s %9s %9s %5s  %s\n", "topology",
		"qos", "rep", "clients", "published", "expected", "unique", "lost", "loss%", "dups",
		"p50_us", "p99_us", "jain", "conns/broker");
	for (int i = 0; i < n; i++) {
		const struct lab_row *r = &rows[i];
		char conns[256] = "";
		for (unsigned b = 0; b < r->n_brokers; b++) {
			char one[32];
			snprintf(one, sizeof(one), "%s%" PRIu64, b ? "/" : "", r->conns[b]);
			strncat(conns, one, sizeof(conns) - strlen(conns) - 1);
		}
		fprintf(f,
			"%-18s %3d %3u %7" PRIu64 " %9" PRIu64 " %10" PRIu64 " %10" PRIu64
			" %10" PRIu64 " %6.2f%% %6" PRIu64 " %9" PRIu64 " %9" PRIu64 " %5.3f  %s\n",
			r->topology, r->qos, r->repeat ? r->repeat : 1,
			r->publishers + r->subscribers, r->published, r->expected, r->unique,
			r->lost, 100 * r->loss_ratio, r->duplicates, r->p50_us, r->p99_us,
			r->jain_index, conns);
	}
}
