/* series.h — (t, value) series read from CSV files (series.c). */
#ifndef MQLB_LAB_SERIES_H
#define MQLB_LAB_SERIES_H

#include "lab/lab.h"

#define LAB_MAX_SERIES 32

struct lab_series {
	char name[64];
	unsigned n, cap;
	double *t, *v; /* owned */
};

struct lab_series_set {
	struct lab_series s[LAB_MAX_SERIES];
	unsigned n;
};

/* Reads path: the time column (elapsed_s, seconds, ...; else the row number),
 * and the value column(s) whose header contains every string in words (NULL
 * terminated) and none in avoid (NULL or NULL terminated). With a broker/name
 * column, one series per distinct name; otherwise one per matching column,
 * named by its header. Returns the number of series (set owns memory; free
 * with lab_series_free), -ENOENT when no column matches, or -errno. */
int lab_series_load(const char *path, const char *const *words, const char *const *avoid,
		    struct lab_series_set *set);
/* lab_series_load on buf[0..len) instead of a file (the same parse; data
 * ends at the first NUL). Same returns. */
int lab_series_parse(const char *buf, size_t len, const char *const *words,
		     const char *const *avoid, struct lab_series_set *set);
void lab_series_free(struct lab_series_set *set);
int lab_series_push(struct lab_series *s, double t, double v);
double lab_series_max(const struct lab_series *s);
/* Largest rise of a counter over the series (last - first, robust to resets). */
double lab_series_delta(const struct lab_series *s);

#endif
