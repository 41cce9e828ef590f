#include "dist.h"

#include <gsl/gsl_randist.h>
#include <math.h>

void dist_prepare(struct dist_sampler *ds, const struct dist *d)
{
	ds->kind = d->kind;
	ds->mean = d->mean;
	ds->a = ds->b = 0;
	double cv = d->cv;
	switch (d->kind) {
	case DIST_LOGNORMAL: {
		double s2 = log1p(cv * cv);
		ds->a = log(d->mean) - s2 / 2;
		ds->b = sqrt(s2);
		break;
	}
	case DIST_GAMMA:
		ds->a = 1 / (cv * cv);
		ds->b = d->mean * cv * cv;
		ds->d = (ds->a < 1 ? ds->a + 1 : ds->a) - 1.0 / 3;
		ds->c = 1 / sqrt(9 * ds->d);
		break;
	case DIST_UNIFORM:
		ds->a = d->mean * (1 - cv * sqrt(3.0));
		ds->b = 2 * d->mean * cv * sqrt(3.0);
		break;
	default:
		break;
	}
	/* A degenerate spread is a constant (cv 0 gamma would divide by zero). */
	if ((d->kind == DIST_LOGNORMAL || d->kind == DIST_GAMMA || d->kind == DIST_UNIFORM) && cv <= 0)
		ds->kind = DIST_CONSTANT;
}

/*
 * Gamma by Marsaglia and Tsang (2000), as GSL's gsl_ran_gamma, with the
 * constants precomputed and, for a shape k < 1, the boost
 * Gamma(k) = Gamma(k + 1) U^(1/k) written as exp(-E / k) with E exponential
 * (-ln U is Exp(1)): one ziggurat draw and an exp instead of a pow.
 */
static double gamma_mt(const struct dist_sampler *ds, gsl_rng *r)
{
	double x, v;
	for (;;) {
		do {
			x = gsl_ran_gaussian_ziggurat(r, 1.0);
			v = 1 + ds->c * x;
		} while (v <= 0);
		v = v * v * v;
		double u = rng_u01_pos(r), x2 = x * x;
		if (u < 1 - 0.0331 * x2 * x2 || log(u) < 0.5 * x2 + ds->d * (1 - v + log(v)))
			break;
	}
	double g = ds->d * v;
	if (ds->a < 1)
		g *= exp(-rng_exp1(r) / ds->a);
	return g * ds->b;
}

double dist_draw_slow(const struct dist_sampler *ds, gsl_rng *r)
{
	switch (ds->kind) {
	case DIST_LOGNORMAL:
		/* GSL's lognormal draws its normal by the polar method (a log, a
		 * square root and rejections); the ziggurat is about 3x faster. */
		return exp(ds->a + ds->b * gsl_ran_gaussian_ziggurat(r, 1.0));
	case DIST_GAMMA:
		return gamma_mt(ds, r);
	case DIST_UNIFORM:
		return ds->a + ds->b * rng_u01(r);
	default:
		return ds->mean;
	}
}
