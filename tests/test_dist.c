/*
 * Distributions by mean and cv: the sample mean and variance of 400,000
 * draws on a fixed stream must match the requested mean and cv within 4.5
 * standard errors (the error of the sample variance from each shape's own
 * fourth moment: Var(s^2) ~ (mu4 - sigma^4) / n). 4.5 sigma over the 12
 * checks below fails by chance with probability < 1e-4.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "dist.h"
#include "rng.h"

#define N 400000

/* kurt: mu4 / sigma^4 of the shape. */
static void moments(struct dist d, double kurt, uint64_t seed)
{
	struct dist_sampler ds;
	dist_prepare(&ds, &d);
	gsl_rng *r = rng_stream(seed, RNG_DEMAND, 0);
	double sum = 0, sum2 = 0;
	for (int i = 0; i < N; i++) {
		double x = dist_draw(&ds, r);
		cr_assert(x >= 0);
		sum += x;
		sum2 += x * x;
	}
	gsl_rng_free(r);
	double mean = sum / N, var = sum2 / N - mean * mean;
	double sd = d.mean * d.cv, want_var = sd * sd;
	double se_mean = sd / sqrt(N), se_var = want_var * sqrt((kurt - 1) / N);
	cr_expect(fabs(mean - d.mean) <= 4.5 * se_mean, "kind %d: mean %.6g, want %.6g +- %.2g", d.kind, mean, d.mean,
		  4.5 * se_mean);
	cr_expect(fabs(var - want_var) <= 4.5 * se_var, "kind %d: variance %.6g, want %.6g +- %.2g", d.kind, var,
		  want_var, 4.5 * se_var);
}

Test(dist, exponential) { moments((struct dist){DIST_EXPONENTIAL, 0.02, 1}, 9, 11); }
Test(dist, gamma_cv_half) { moments((struct dist){DIST_GAMMA, 0.02, 0.5}, 3 + 6 * 0.25, 12); }
/* Shape 1 / 1.5^2 = 0.44 < 1: the boosted path. */
Test(dist, gamma_cv_1_5) { moments((struct dist){DIST_GAMMA, 0.005, 1.5}, 3 + 6 * 2.25, 15); }
Test(dist, gamma_cv_0_1) { moments((struct dist){DIST_GAMMA, 0.1, 0.1}, 3 + 6 * 0.01, 16); }
Test(dist, lognormal_cv_0_6)
{
	double w = 1 + 0.36;
	moments((struct dist){DIST_LOGNORMAL, 0.015, 0.6}, w * w * w * w + 2 * w * w * w + 3 * w * w - 3, 13);
}
Test(dist, uniform_cv_0_3) { moments((struct dist){DIST_UNIFORM, 0.01, 0.3}, 1.8, 14); }

Test(dist, constant_is_exact)
{
	struct dist_sampler ds;
	dist_prepare(&ds, &(struct dist){DIST_CONSTANT, 0.025, 0});
	gsl_rng *r = rng_stream(1, RNG_DEMAND, 0);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(dist_draw(&ds, r), 0.025);
	gsl_rng_free(r);
}
