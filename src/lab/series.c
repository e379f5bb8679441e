/* series.c — time series per broker (or per column) out of the monitor's and
 * bench's CSV files, which the report plots. Both "long" files (one row per
 * broker per sample, with a broker column) and "wide" files (one column per
 * broker) are read, so the report depends on column names, not on layout.
 * From a file or a buffer (lab_series_parse, fuzzed by fuzz_lab_series.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lab/readbuf.h"
#include "lab/series.h"

static const char *const time_names[] = {"elapsed_s", "seconds", "elapsed", "t_s",
					 "second",    "t",	 "time_s",  NULL};
static const char *const key_names[] = {"broker", "name", "target", "backend", "id", NULL};

static int find_first(const struct lab_csv *c, const char *const *names)
{
	for (const char *const *n = names; *n; n++) {
		int col = lab_csv_col(c, *n);
		if (col >= 0)
			return col;
	}
	return -1;
}

static struct lab_series *series_get(struct lab_series_set *set, const char *name)
{
	for (unsigned i = 0; i < set->n; i++)
		if (strcmp(set->s[i].name, name) == 0)
			return &set->s[i];
	if (set->n == LAB_MAX_SERIES)
		return NULL;
	struct lab_series *s = &set->s[set->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	return s;
}

int lab_series_push(struct lab_series *s, double t, double v)
{
	if (s->n == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 64;
		double *nt = realloc(s->t, cap * sizeof(double));
		if (!nt)
			return -ENOMEM;
		s->t = nt;
		double *nv = realloc(s->v, cap * sizeof(double));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	s->t[s->n] = t;
	s->v[s->n] = v;
	s->n++;
	return 0;
}

void lab_series_free(struct lab_series_set *set)
{
	for (unsigned i = 0; i < set->n; i++) {
		free(set->s[i].t);
		free(set->s[i].v);
	}
	memset(set, 0, sizeof(*set));
}

static int numeric(const char *s, double *out)
{
	char *end;
	if (!*s)
		return 0;
	double v = strtod(s, &end);
	if (end == s || *end)
		return 0;
	*out = v;
	return 1;
}

/* The series of c (loaded; freed here, whatever happens) into set (zeroed). */
static int series_from_csv(struct lab_csv c, const char *const *words, const char *const *avoid,
			   struct lab_series_set *set)
{
	int tcol = find_first(&c, time_names);
	int kcol = find_first(&c, key_names);
	/* value columns: contain every word, none of the avoid words */
	int vcols[LAB_MAX_SERIES], nv = 0;
	for (unsigned i = 0; c.n_rows && i < c.n_fields[0] && nv < LAB_MAX_SERIES; i++) {
		const char *h = c.rows[0][i];
		int good = (int)i != tcol && (int)i != kcol;
		for (const char *const *w = words; good && *w; w++)
			good = strstr(h, *w) != NULL;
		for (const char *const *a = avoid; good && a && *a; a++)
			good = strstr(h, *a) == NULL;
		if (good)
			vcols[nv++] = (int)i;
	}
	if (nv == 0) {
		lab_csv_free(&c);
		return -ENOENT;
	}
	if (kcol >= 0) /* long: the first matching column, one series per key */
		nv = 1;
	for (unsigned r = 1; r < c.n_rows; r++) {
		double t = (double)(r - 1), v;
		if (tcol >= 0 && !numeric(lab_csv_get(&c, r, tcol), &t))
			continue;
		for (int k = 0; k < nv; k++) {
			if (!numeric(lab_csv_get(&c, r, vcols[k]), &v))
				continue;
			const char *name =
			    kcol >= 0 ? lab_csv_get(&c, r, kcol) : c.rows[0][vcols[k]];
			char label[64];
			/* the monitor numbers its brokers: "1" reads better as "broker1" */
			if (kcol >= 0 && strcmp(c.rows[0][kcol], "broker") == 0 && *name &&
			    strspn(name, "0123456789") == strlen(name)) {
				snprintf(label, sizeof(label), "broker%s", name);
				name = label;
			}
			struct lab_series *s = series_get(set, name);
			if (s && lab_series_push(s, t, v) < 0) {
				lab_csv_free(&c);
				lab_series_free(set);
				return -ENOMEM;
			}
		}
	}
	lab_csv_free(&c);
	return (int)set->n;
}

int lab_series_load(const char *path, const char *const *words, const char *const *avoid,
		    struct lab_series_set *set)
{
	struct lab_csv c;
	memset(set, 0, sizeof(*set));
	int ret = lab_csv_load(path, &c);
	if (ret < 0)
		return ret;
	return series_from_csv(c, words, avoid, set);
}

int lab_series_parse(const char *buf, size_t len, const char *const *words,
		     const char *const *avoid, struct lab_series_set *set)
{
	struct lab_csv c;
	memset(set, 0, sizeof(*set));
	int ret = lab_csv_parse(buf, len, &c);
	if (ret < 0)
		return ret;
	return series_from_csv(c, words, avoid, set);
}

double lab_series_max(const struct lab_series *s)
{
	double m = 0;
	for (unsigned i = 0; i < s->n; i++)
		if (s->v[i] > m)
			m = s->v[i];
	return m;
}

double lab_series_delta(const struct lab_series *s)
{
	if (s->n == 0)
		return 0;
	/* counters only grow; a broker restart would reset: take the max rise */
	double lo = s->v[0], d = 0;
	for (unsigned i = 0; i < s->n; i++) {
		if (s->v[i] < lo)
			lo = s->v[i];
		if (s->v[i] - lo > d)
			d = s->v[i] - lo;
	}
	return d;
}
