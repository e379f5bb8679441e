/* Unit tests for src/lab/stats: the t distribution against closed forms
 * (df 1 and 2) and tabled quantiles, the confidence interval of a mean, and
 * Welch's t-test against values integrated numerically outside this code
 * (Simpson's rule over the t density). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_t_cdf_closed_forms),
	    cmocka_unit_test(test_t_quantiles),
	    cmocka_unit_test(test_stat_of),
	    cmocka_unit_test(test_welch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
