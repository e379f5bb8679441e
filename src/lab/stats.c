/* stats.c — confidence intervals and Welch's t-test (see stats.h). The t
 * distribution comes from the regularized incomplete beta function, evaluated
 * by its continued fraction (modified Lentz), which converges fast for the
 * small degrees of freedom the lab has. */
#include "lab/stats.h"

#include <math.h>

void lab_stat_of(const double *x, size_t n, struct lab_stat *s)
{
	s->n = n;
	s->mean = s->sd = s->min = s->max = s->half_width = NAN;
	if (n == 0)
		return;
	double sum = 0;
	s->min = s->max = x[0];
	for (size_t i = 0; i < n; i++) {
		sum += x[i];
		s->min = fmin(s->min, x[i]);
		s->max = fmax(s->max, x[i]);
	}
	s->mean = sum / (double)n;
	if (n < 2)
		return;
	double ss = 0; /* two passes: no cancellation for values far from 0 */
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - s->mean) * (x[i] - s->mean);
	s->sd = sqrt(ss / (double)(n - 1));
	s->half_width = lab_t_quantile(0.975, (double)(n - 1)) * s->sd / sqrt((double)n);
}

/* Continued fraction of the incomplete beta function I_x(a, b), for
 * x < (a + 1) / (a + b + 2), where it converges quickly. */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300, eps = 1e-15;
	double c = 1, d = 1 - (a + b) * x / (a + 1);
	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	double h = d;
	for (int m = 1; m <= 300; m++) {
		for (int odd = 0; odd < 2; odd++) {
			double num =
			    odd ? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
				: m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
			d = 1 + num * d;
			if (fabs(d) < tiny)
				d = tiny;
			c = 1 + num / c;
			if (fabs(c) < tiny)
				c = tiny;
			d = 1 / d;
			h *= d * c;
			if (odd && fabs(d * c - 1) < eps)
				return h;
		}
	}
	return h;
}

/* Regularized incomplete beta I_x(a, b), 0 <= x <= 1. */
static double beta_inc(double a, double b, double x)
{
	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	double ln = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
	double front = exp(ln);
	if (x < (a + 1) / (a + b + 2))
		return front * beta_cf(a, b, x) / a;
	return 1 - front * beta_cf(b, a, 1 - x) / b; /* symmetry I_x(a,b) = 1 - I_1-x(b,a) */
}

double lab_t_cdf(double t, double df)
{
	if (isnan(t) || !(df > 0))
		return NAN;
	if (isinf(t))
		return t > 0 ? 1 : 0;
	/* P(|T| > |t|) = I_{df/(df+t^2)}(df/2, 1/2) */
	double tail = beta_inc(df / 2, 0.5, df / (df + t * t)) / 2;
	return t > 0 ? 1 - tail : tail;
}

double lab_t_quantile(double p, double df)
{
	if (!(p > 0 && p < 1) || !(df > 0))
		return NAN;
	/* bisection on the monotone CDF: 200 halvings of [-1e6, 1e6] is far below
	 * double precision; the lab asks for a handful of quantiles per report */
	double lo = -1e6, hi = 1e6;
	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2;
		if (lab_t_cdf(mid, df) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

int lab_welch(const struct lab_stat *a, const struct lab_stat *b, struct lab_welch *w)
{
	w->diff = a->n && b->n ? a->mean - b->mean : NAN;
	w->half_width = w->t = w->df = w->p = NAN;
	if (a->n < 2 || b->n < 2)
		return -1;
	double va = a->sd * a->sd / (double)a->n, vb = b->sd * b->sd / (double)b->n;
	double se2 = va + vb;
	if (!(se2 > 0))
		return -1; /* both without spread: identical repeats, nothing to test */
	w->t = w->diff / sqrt(se2);
	w->df = se2 * se2 / (va * va / (double)(a->n - 1) + vb * vb / (double)(b->n - 1));
	w->p = 2 * lab_t_cdf(-fabs(w->t), w->df);
	w->half_width = lab_t_quantile(0.975, w->df) * sqrt(se2);
	return 0;
}
