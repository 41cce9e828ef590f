/*
 * Validation of the service model against queueing theory.
 *
 * One pod with c cores and c workers, an unbounded queue, Poisson arrivals
 * and exponential CPU demand is an M/M/c queue: its mean response time is
 * Erlang C's mean wait plus the mean service time. With one core, one
 * worker and constant demand it is M/D/1 (Pollaczek-Khinchine). With one core
 * and unlimited workers every request shares the core: M/G/1 processor
 * sharing, whose mean response time is E[S] / (1 - rho) whatever the demand's
 * distribution (insensitivity). Each case asserts that the theoretical mean
 * lies inside the run's own confidence interval (batch means over 20 batches
 * of consecutive sample intervals). Seeds are fixed, so each assertion is
 * deterministic; each case has its own seed (cores x 1000 + rho%, or a
 * small constant), so no two cases share their draws.
 *
 * The level: the N_CASES cases below form one family, and the family is held
 * to 95 %: each case's interval is at 1 - 0.05 / N_CASES (Bonferroni), so an
 * unbiased simulator passes the whole file with probability >= 95 % for any
 * seed. (Checked over 30 seeds per case while writing this: the mean of the
 * standardised errors was within 0.2 of 0, no bias.) Per-case 95 % intervals
 * would fail one of 13 cases half the time by chance alone.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "harness.h"

/* Erlang C: the probability that an arrival waits in M/M/c with offered load a. */
static double erlang_c(int c, double a)
{
	double term = 1, sum = 1; /* a^k / k! for k = 0 */
	for (int k = 1; k < c; k++) {
		term *= a / k;
		sum += term;
	}
	double last = term * a / c * c / (c - a); /* a^c / c! x c / (c - a) */
	return last / (sum + last);
}

/* Mean response time (s) of M/M/c with arrival rate lambda and service rate mu. */
static double mmc_response(int c, double lambda, double mu)
{
	double a = lambda / mu;
	return erlang_c(c, a) / (c * mu - lambda) + 1 / mu;
}

struct qcase {
	int cores, workers;
	struct dist d;
	double rho;
	double n_requests;
};

#define N_CASES 13
#define LEVEL (1 - 0.05 / N_CASES)

/* Runs the case and checks the theory mean (ms) against the run's interval. */
static void check(struct qcase q, double theory_ms, uint64_t seed)
{
	double mean_s = q.d.mean;
	double lambda = q.rho * q.cores / mean_s;
	simtime dur = sim_from_s(q.n_requests / lambda);
	struct scenario *sc = test_scn(1, q.cores, q.workers, q.d, lambda, dur, dur / 400);
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct run_stats st;
	run_once(sc, seed, &out, NULL, &st);
	double mean, half;
	batch_means(&m, "s0", 20, LEVEL, &mean, &half);
	const struct row_summary *s = memsink_summary(&m, "s0");
	cr_assert(s && s->served > q.n_requests * 0.95, "served %lld", s ? (long long)s->served : -1LL);
	cr_assert_eq(s->errors, 0);
	/* The batch-means grand mean is the run's mean latency. */
	cr_assert_float_eq(mean, s->mean_ms, 1e-6 * s->mean_ms);
	cr_expect(fabs(mean - theory_ms) <= half,
		  "c=%d rho=%.2f: simulated %.4f ms +- %.4f (%.2f %%), theory %.4f ms (off by %.2f half-widths)", q.cores,
		  q.rho, mean, half, 100 * LEVEL, theory_ms, fabs(mean - theory_ms) / half);
	/* The interval is narrow enough to mean something: under 4 % of the mean. */
	cr_expect(half < 0.04 * theory_ms, "half-width %.4f ms too wide for %.4f ms", half, theory_ms);
	memsink_free(&m);
	test_scn_free(sc);
}

static const struct dist exp10ms = {DIST_EXPONENTIAL, 0.010, 1};

#define MMC_TEST(C, RHO, N)                                                  \
	Test(queueing, mmc_##C##_rho_##RHO)                                  \
	{                                                                    \
		struct qcase q = {C, C, exp10ms, RHO / 100.0, N};            \
		double lambda = q.rho * C / 0.010;                           \
		check(q, 1e3 * mmc_response(C, lambda, 100.0), 1000 * C + RHO);          \
	}

MMC_TEST(1, 50, 1e6)
MMC_TEST(1, 90, 4e6)
MMC_TEST(4, 50, 1e6)
MMC_TEST(4, 90, 4e6)
MMC_TEST(16, 50, 1e6)
MMC_TEST(16, 90, 4e6)

/* M/D/1: W = 1/mu + rho / (2 mu (1 - rho)). */
static void md1(double rho, double n)
{
	struct qcase q = {1, 1, {DIST_CONSTANT, 0.010, 0}, rho, n};
	double mu = 100.0;
	check(q, 1e3 * (1 / mu + rho / (2 * mu * (1 - rho))), 12);
}
Test(queueing, md1_rho_50) { md1(0.5, 1e6); }
Test(queueing, md1_rho_80) { md1(0.8, 2e6); }

/* M/G/1-PS: W = E[S] / (1 - rho) for exponential, constant and lognormal demand. */
static void ps(struct dist d, double rho, double n)
{
	struct qcase q = {1, 1000000, d, rho, n};
	check(q, 1e3 * d.mean / (1 - rho), 13);
}
Test(queueing, mm1_ps_rho_50) { ps(exp10ms, 0.5, 1e6); }
Test(queueing, mm1_ps_rho_80) { ps(exp10ms, 0.8, 2e6); }
Test(queueing, md1_ps_rho_80) { ps((struct dist){DIST_CONSTANT, 0.010, 0}, 0.8, 2e6); }
Test(queueing, mg1_ps_lognormal_cv2_rho_70) { ps((struct dist){DIST_LOGNORMAL, 0.010, 2}, 0.7, 4e6); }

/* Processor sharing over several cores: with 2 cores and unlimited workers
 * the response time of M/M/2-PS equals M/M/2's mean queue length / lambda
 * (Little), since PS over c servers has the same number-in-system
 * distribution as FCFS M/M/c with exponential demand. */
Test(queueing, mm2_ps_rho_80)
{
	struct qcase q = {2, 1000000, exp10ms, 0.8, 2e6};
	double lambda = 0.8 * 2 / 0.010;
	check(q, 1e3 * mmc_response(2, lambda, 100.0), 14);
}
