/*
 * dist.h: drawing from a struct dist (see scn.h) on an RNG stream.
 *
 * Parameterised by mean and coefficient of variation, the way capacity
 * planners describe latencies and CPU costs ("20 ms, cv 0.5"):
 *   lognormal: sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2;
 *   gamma:     shape k = 1 / cv^2, scale theta = mean * cv^2;
 *   uniform:   mean * (1 + cv * sqrt(3) * (2u - 1)).
 * Draws are >= 0 and in the unit of the mean.
 */
#ifndef HEADROOM_DIST_H
#define HEADROOM_DIST_H

#include <gsl/gsl_rng.h>

#include "rng.h"
#include "scn.h"

/* Precomputed parameters of a distribution, for drawing fast. */
struct dist_sampler {
	enum dist_kind kind;
	double mean; /* the mean */
	double a, b; /* lognormal: mu, sigma; gamma: shape, scale; uniform: low, width */
	double d, c; /* gamma: Marsaglia-Tsang's d = k' - 1/3 and c = 1 / sqrt(9 d), k' = max(shape, shape + 1 if < 1) */
};

void dist_prepare(struct dist_sampler *ds, const struct dist *d);

/* The draws that go through GSL (lognormal, gamma, uniform). */
double dist_draw_slow(const struct dist_sampler *ds, gsl_rng *r);

/* One draw; constant and exponential inline, the rest through GSL. */
static inline double dist_draw(const struct dist_sampler *ds, gsl_rng *r)
{
	switch (ds->kind) {
	case DIST_CONSTANT:
		return ds->mean;
	case DIST_EXPONENTIAL:
		return rng_exp(r, ds->mean);
	default:
		break;
	}
	return dist_draw_slow(ds, r);
}

#endif
