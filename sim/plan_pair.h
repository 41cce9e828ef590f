/*
 * plan_pair.h: paired comparisons of two variants of a plan.
 *
 * Under common random numbers (plan_seed) replication R of every variant
 * sees the same traffic, so two variants are compared run by run: the
 * difference in P(SLO met) from the 2x2 table of outcomes of the same
 * replications, and the median difference in p99. Paired intervals are
 * narrower than two independent ones when the outcomes are correlated,
 * which common random numbers make them.
 *
 * Methods: the difference of paired proportions by Newcombe (1998),
 * "Improving the confidence interval for the difference between binomial
 * proportions based on paired data", Statistics in Medicine 17, method 10
 * (Wilson score intervals of the two margins, combined with the phi
 * correlation of the 2x2 table); the median of differences with the
 * distribution-free interval from order statistics (the binomial(n, 1/2)
 * quantiles, normal approximation).
 */
#ifndef HEADROOM_PLAN_PAIR_H
#define HEADROOM_PLAN_PAIR_H

#include <stddef.h>
#include <stdint.h>

/* P(SLO met) of variant b minus variant a over the replications both ran. */
struct plan_pair {
	int64_t n;          /* replications in the comparison */
	int64_t both, only_a, only_b, neither; /* the 2x2 table of met / not met */
	double diff;        /* P(b) - P(a) = (only_b - only_a) / n */
	double lo, hi;      /* its 95 % interval (Newcombe's method 10); [-1, 1] when n is 0 */
};

/* met_a[i], met_b[i]: whether replication i met its SLO in a and in b. */
struct plan_pair plan_pair_met(const unsigned char *met_a, const unsigned char *met_b, size_t n, double z);

/* The median of d[0..n) with its distribution-free interval at normal
 * quantile z: the k-th smallest and the k-th largest, k = floor((n - z
 * sqrt(n)) / 2), at least the 1st. Sorts d. NaN (all three) when n is 0. */
void plan_median_ci(double *d, size_t n, double z, double *median, double *lo, double *hi);

#endif
