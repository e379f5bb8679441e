/* Unit tests for src/lab/stats: the t distribution against closed forms
 * (df 1 and 2) and tabled quantiles, the confidence interval of a mean, and
 * Welch's t-test against values integrated numerically outside this code
 * (Simpson's rule over the t density); runs grouped into points and the
 * verdict on the study's direction (points.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include <string.h>

#include "lab/points.h"
#include "lab/stats.h"

#define near(a, b, eps) assert_true(fabs((a) - (b)) < (eps))

static void test_t_cdf_closed_forms(void **state)
{
	(void)state;
	for (double t = -6; t <= 6; t += 0.25) {
		near(lab_t_cdf(t, 1), 0.5 + atan(t) / M_PI, 1e-9);	      /* Cauchy */
		near(lab_t_cdf(t, 2), 0.5 + t / (2 * sqrt(2 + t * t)), 1e-9); /* df 2 */
	}
	near(lab_t_cdf(0, 3.7), 0.5, 1e-12);
	assert_true(lab_t_cdf(INFINITY, 3) == 1 && lab_t_cdf(-INFINITY, 3) == 0);
	assert_true(isnan(lab_t_cdf(1, 0)));
}

static void test_t_quantiles(void **state)
{
	(void)state;
	static const double df[] = {1, 2, 4, 10, 30};
	static const double q975[] = {12.7062047, 4.3026527, 2.7764451, 2.2281389, 2.0422725};
	for (int i = 0; i < 5; i++)
		near(lab_t_quantile(0.975, df[i]), q975[i], 1e-6);
	near(lab_t_quantile(0.025, 4), -2.7764451, 1e-6);
	assert_true(isnan(lab_t_quantile(1, 4)));
}

static void test_stat_of(void **state)
{
	(void)state;
	struct lab_stat s;
	const double x[] = {3, 1, 2};
	lab_stat_of(x, 3, &s);
	near(s.mean, 2, 1e-12);
	near(s.sd, 1, 1e-12);
	assert_true(s.min == 1 && s.max == 3 && s.n == 3);
	near(s.half_width, 4.3026527 / sqrt(3), 1e-6);
	lab_stat_of(x, 1, &s); /* one repeat: a mean, no interval */
	assert_true(s.mean == 3 && isnan(s.sd) && isnan(s.half_width));
	lab_stat_of(x, 0, &s);
	assert_true(s.n == 0 && isnan(s.mean));
}

static void test_welch(void **state)
{
	(void)state;
	struct lab_stat a, b;
	struct lab_welch w;
	/* equal spread, equal n: df is exactly 4 */
	const double x[] = {1, 2, 3}, y[] = {3, 4, 5};
	lab_stat_of(x, 3, &a);
	lab_stat_of(y, 3, &b);
	assert_int_equal(lab_welch(&a, &b, &w), 0);
	near(w.diff, -2, 1e-12);
	near(w.t, -2.4494897, 1e-6);
	near(w.df, 4, 1e-9);
	near(w.p, 0.0704840, 1e-6);
	near(w.half_width, 2.7764451 * sqrt(2.0 / 3), 1e-6);
	/* unequal spread (a textbook pair of 15 + 15 samples) */
	const double p[] = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
			    21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4};
	const double q[] = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
			    24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4};
	lab_stat_of(p, 15, &a);
	lab_stat_of(q, 15, &b);
	assert_int_equal(lab_welch(&a, &b, &w), 0);
	near(w.t, -2.4553564, 1e-6);
	near(w.df, 24.9885293, 1e-6);
	near(w.p, 0.0213780, 1e-6);
	/* the same values twice: no difference at all */
	lab_welch(&a, &a, &w);
	near(w.t, 0, 1e-12);
	near(w.p, 1, 1e-9);
	/* too few repeats, or no spread on either side: no test */
	const double c[] = {5, 5, 5};
	lab_stat_of(c, 3, &a);
	assert_int_equal(lab_welch(&a, &a, &w), -1);
	assert_true(isnan(w.p) && w.diff == 0);
	lab_stat_of(x, 1, &b);
	assert_int_equal(lab_welch(&a, &b, &w), -1);
}

static struct lab_row row(const char *topology, int qos, unsigned rep, uint64_t lost)
{
	struct lab_row r;
	memset(&r, 0, sizeof(r));
	snprintf(r.topology, sizeof(r.topology), "%s", topology);
	r.qos = qos, r.repeat = rep;
	r.publishers = r.subscribers = 240;
	r.expected = 100000, r.lost = lost;
	r.loss_ratio = lab_loss_ratio(lost, r.expected);
	r.p99_us = 1000000;
	r.n_brokers = 3;
	r.conns[0] = r.conns[1] = r.conns[2] = 160;
	r.jain_index = 1;
	return r;
}

/* Interleaved rows (A B A B) grouped by point; the figures as in
 * tests/integration/lab_report.sh, computed outside this code (Python,
 * Simpson's rule): 10,12,14 % vs 20,21,22 % -> -9.00 +- 4.155, p 0.00646. */
static void test_points_verdict(void **state)
{
	(void)state;
	struct lab_row rows[9];
	int n = 0;
	for (unsigned k = 1; k <= 3; k++) {
		rows[n++] = row("distributed", 1, k, 8000 + 2000 * k);
		rows[n++] = row("centralized", 1, k, 19000 + 1000 * k);
		rows[n++] = row("centralized", 0, k, 0);
	}
	struct lab_point pts[LAB_MAX_POINTS];
	assert_int_equal(lab_points(rows, n, pts, LAB_MAX_POINTS), 3);
	const struct lab_point *a = lab_point_find(pts, 3, "distributed", 1, 480);
	const struct lab_point *b = lab_point_find(pts, 3, "centralized", 1, 480);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(lab_point_find(pts, 3, "distributed", 0, 480));
	assert_int_equal(a->n, 3);
	near(a->loss.mean, 12, 1e-9);
	near(a->loss.half_width, 4.9683, 1e-4);
	near(a->loss.min, 10, 1e-9);
	near(a->loss.max, 14, 1e-9);
	near(a->p99_ms.mean, 1000, 1e-9);
	struct lab_welch w;
	assert_int_equal(lab_verdict_of(&a->loss, &b->loss, &w), LAB_VERDICT_HOLDS);
	near(w.diff, -9, 1e-9);
	near(w.half_width, 4.1554, 1e-4);
	near(w.p, 0.00646, 1e-5);
	assert_int_equal(lab_verdict_of(&b->loss, &a->loss, &w), LAB_VERDICT_REVERSED);
	/* QoS 0: every run lost 0 on both sides: cannot be told apart */
	const struct lab_point *z = lab_point_find(pts, 3, "centralized", 0, 480);
	assert_int_equal(lab_verdict_of(&z->loss, &z->loss, &w), LAB_VERDICT_UNCLEAR);
	/* overlapping: 30,33,36 vs 31,32,33 -> +1.00 +- 6.645, p 0.630 */
	double x[] = {30, 33, 36}, y[] = {31, 32, 33};
	struct lab_stat sx, sy;
	lab_stat_of(x, 3, &sx);
	lab_stat_of(y, 3, &sy);
	assert_int_equal(lab_verdict_of(&sx, &sy, &w), LAB_VERDICT_UNCLEAR);
	near(w.p, 0.62994, 1e-4);
	/* one run a side: no interval */
	lab_stat_of(x, 1, &sx);
	assert_int_equal(lab_verdict_of(&sx, &sy, &w), LAB_VERDICT_UNKNOWN);
	/* no spread, different means */
	double c1[] = {5, 5}, c2[] = {7, 7};
	lab_stat_of(c1, 2, &sx);
	lab_stat_of(c2, 2, &sy);
	assert_int_equal(lab_verdict_of(&sx, &sy, &w), LAB_VERDICT_NO_SPREAD);
	/* pooled over the QoS levels per repeat: centralized (20+q0 0)/2 = 10, 10.5, 11 */
	struct lab_stat pooled;
	assert_int_equal(lab_pooled_loss(rows, n, "centralized", 480, &pooled), 3);
	near(pooled.mean, 10.5, 1e-9);
	near(pooled.half_width, 1.2421, 1e-4);
	assert_int_equal(lab_pooled_loss(rows, n, "distributed-lc", 480, &pooled), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_t_cdf_closed_forms),
	    cmocka_unit_test(test_t_quantiles),
	    cmocka_unit_test(test_stat_of),
	    cmocka_unit_test(test_welch),
	    cmocka_unit_test(test_points_verdict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
