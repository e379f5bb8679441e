/* points.h — the runs of a lab folder grouped by point (issue 16): a point is
 * one (client count, topology, QoS); with --repeat N it holds N runs. Per
 * point the mean, 95 % interval, min and max of the loss % and of the p99
 * latency (stats.h); per pair of points the difference and Welch's test; and
 * the verdict on the study's direction (distributed loses less). The report
 * (report.c, compare.c) and the plots (plot.c) read them from here. */
#ifndef MQLB_LAB_POINTS_H
#define MQLB_LAB_POINTS_H

#include <stdint.h>
#include <stdio.h>

#include "lab/lab.h"
#include "lab/stats.h"

#define LAB_MAX_POINTS	       64
#define LAB_MAX_RUNS_PER_POINT 20 /* --repeat's limit (run.h LAB_MAX_REPEAT) */

struct lab_point {
	char topology[32];
	int qos;
	uint64_t clients;
	int n;			       /* runs (repeats) of this point */
	int first;		       /* index of its first row */
	struct lab_stat loss;	       /* loss % (100 * lost / expected) per run */
	struct lab_stat p99_ms;	       /* p99 latency per run, ms */
	struct lab_stat jain;	       /* Jain's index of the connections per run */
	double conns[LAB_MAX_BROKERS]; /* mean connections per broker over the runs */
	unsigned n_brokers;
};

/* Groups rows[0..n-1] into pts (cap entries) in the order points first
 * appear. Returns the number of points (at most cap; rows of further points
 * are left out). */
int lab_points(const struct lab_row *rows, int n, struct lab_point *pts, int cap);
/* The point (topology, qos, clients) in pts, or NULL. */
const struct lab_point *lab_point_find(const struct lab_point *pts, int n, const char *topology,
				       int qos, uint64_t clients);
/* Loss % of topology per repeat pooled over its QoS levels (sum lost / sum
 * expected of the runs with that repeat at `clients` clients, the study's
 * pooled figure) into s. Returns the number of repeats found. */
int lab_pooled_loss(const struct lab_row *rows, int n, const char *topology, uint64_t clients,
		    struct lab_stat *s);

/* What the runs say about the study's direction, a - b < 0 ("a loses less"). */
enum lab_verdict {
	LAB_VERDICT_UNKNOWN = 0, /* fewer than 2 runs on a side: no interval */
	LAB_VERDICT_HOLDS,	 /* the 95 % interval of a - b lies below 0 */
	LAB_VERDICT_REVERSED,	 /* it lies above 0 */
	LAB_VERDICT_UNCLEAR,	 /* it contains 0, or both sides have no spread and
				    lost the same: cannot be told apart */
	LAB_VERDICT_NO_SPREAD	 /* no spread on either side but different means: the
				    t-test cannot be computed */
};
/* Welch's test of a - b into w, and the verdict. */
enum lab_verdict lab_verdict_of(const struct lab_stat *a, const struct lab_stat *b,
				struct lab_welch *w);
/* The verdict in words: "holds at 95 %", "is reversed at 95 %", "cannot be
 * told apart", ... */
const char *lab_verdict_words(enum lab_verdict v);

/* compare.c: the report's sections from the points. */
/* "## Summary": per point runs, loss % mean ± 95 % CI, min, max, p99 mean ±
 * CI, connections per broker and Jain (means), then the sentence on the
 * study's direction. */
void lab_write_points(FILE *f, const struct lab_row *rows, int n);
/* "## Topologies compared": per (clients, QoS) every pair of topologies, the
 * difference of loss % and of p99 with their intervals and Welch's p; then
 * which runs are the study's mechanism (lc, one view per director) and which
 * are not. */
void lab_write_compare(FILE *f, const struct lab_row *rows, int n);

#endif
