/* stats.h — what the lab needs to tell a finding from noise (issue 16): the
 * mean of a few repeats with a 95 % confidence interval, and Welch's t-test for
 * the difference of two such means.
 *
 * Why Welch's t-test: the lab repeats each point a few times (3 to 5), and the
 * two topologies need not vary alike, so the test must not assume equal
 * variances. A permutation test assumes less, but with 3 + 3 repeats there are
 * only 20 ways to split the six values, so its smallest two-sided p-value is
 * 0.1: it could never call anything significant at 95 %. The t-test's
 * assumption (roughly normal loss figures per point) is the price; the report
 * shows every repeat as a point, so a reader can judge it. */
#ifndef MQLB_LAB_STATS_H
#define MQLB_LAB_STATS_H

#include <stddef.h>

/* Summary of n values. With n < 2 the spread is unknown: sd, half_width are NAN
 * (and the interval is just the mean). */
struct lab_stat {
	size_t n;
	double mean, sd; /* sample standard deviation (n - 1) */
	double min, max;
	double half_width; /* 95 % CI of the mean: mean +- half_width (Student t) */
};
/* Fills s from x[0..n-1]. n = 0 gives n 0 and NAN everywhere else. */
void lab_stat_of(const double *x, size_t n, struct lab_stat *s);

/* Welch's two-sample t-test of mean(a) - mean(b). */
struct lab_welch {
	double diff;	   /* mean(a) - mean(b) */
	double half_width; /* 95 % CI of diff: diff +- half_width */
	double t, df;	   /* statistic, Welch-Satterthwaite degrees of freedom */
	double p;	   /* two-sided p-value; NAN when it cannot be computed */
};
/* Returns 0, or -1 when either side has fewer than 2 values or both have no
 * spread at all (w->p NAN then; w->diff is still set when both have a mean). */
int lab_welch(const struct lab_stat *a, const struct lab_stat *b, struct lab_welch *w);

/* Student's t distribution with df > 0 degrees of freedom: P(T <= t). */
double lab_t_cdf(double t, double df);
/* Its quantile: the t with lab_t_cdf(t, df) = p, for 0 < p < 1. */
double lab_t_quantile(double p, double df);

#endif
