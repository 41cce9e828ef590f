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

double dist_draw_slow(const struct dist_sampler *ds, gsl_rng *r)
{
	switch (ds->kind) {
	case DIST_LOGNORMAL:
		/* GSL's lognormal draws its normal by the polar method (a log, a
		 * square root and rejections); the ziggurat is about 3x faster. */
		return exp(ds->a + ds->b * gsl_ran_gaussian_ziggurat(r, 1.0));
	case DIST_GAMMA:
		return gsl_ran_gamma(r, ds->a, ds->b);
	case DIST_UNIFORM:
		return ds->a + ds->b * rng_u01(r);
	default:
		return ds->mean;
	}
}
