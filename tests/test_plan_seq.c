/*
 * Enough runs and adaptive plans (sim/plan_seq.h): the runs a target needs
 * against the Wilson formula, the sequential test's error rates on
 * synthetic Bernoulli variants of known probability, the hold that keeps
 * runs in replication order whatever order they finish in, the recommendation
 * by verdict, and the bisection.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plan_seq.h"
#include "rng.h"

Test(plan_seq, runs_needed_against_wilson)
{
	cr_assert_eq(plan_runs_needed(0.95, PLAN_Z95), 73);
	double lo, hi;
	/* The claim of the warning: 20/20 gives 83.9 %, 72/72 is not enough, 73/73 is. */
	plan_wilson(20, 20, PLAN_Z95, &lo, &hi);
	cr_assert(fabs(lo - 0.839) < 5e-4, "20/20: %g", lo);
	plan_wilson(72, 72, PLAN_Z95, &lo, &hi);
	cr_assert(lo < 0.95, "72/72: %g", lo);
	plan_wilson(73, 73, PLAN_Z95, &lo, &hi);
	cr_assert(lo >= 0.95, "73/73: %g", lo);
	/* Every target: the smallest n with n / (n + z^2) >= target. */
	for (double t = 0.05; t < 0.9995; t += 0.0125) {
		int64_t n = plan_runs_needed(t, PLAN_Z95);
		double z2 = PLAN_Z95 * PLAN_Z95;
		cr_assert(n >= 1);
		cr_assert((double)n / ((double)n + z2) >= t - 1e-12, "target %g: n %lld", t, (long long)n);
		cr_assert(n == 1 || (double)(n - 1) / ((double)(n - 1) + z2) < t + 1e-12, "target %g: n %lld", t,
			  (long long)n);
	}
	cr_assert_eq(plan_runs_needed(0.99, PLAN_Z95), 381);
}

Test(plan_seq, runs_warning_text)
{
	char buf[200];
	cr_assert(plan_runs_warning(20, 0.95, buf, sizeof buf));
	cr_assert_str_eq(buf, "20 replications cannot show 95%: even 20/20 has a lower bound of 83.9%; at least 73 "
			      "are needed");
	cr_assert_not(plan_runs_warning(73, 0.95, buf, sizeof buf));
	cr_assert_not(plan_runs_warning(6, 0.6, buf, sizeof buf)); /* 6/6: 0.61 */
}

/* One synthetic variant of probability p through the test, runs drawn from
 * stream `seed`: its verdict, and *runs the runs it took. */
static enum plan_seq_verdict one_variant(const struct plan_sprt *t, double p, uint64_t seed, int64_t *runs)
{
	gsl_rng *r = rng_stream(seed, 77, 1);
	struct plan_seq s = {0};
	while (plan_seq_add(&s, t, rng_u01(r) < p) == PLAN_SEQ_OPEN)
		;
	gsl_rng_free(r);
	*runs = s.runs;
	return s.verdict;
}

struct rates {
	double pass, mean_runs, undecided;
};

static struct rates error_run(double target, int64_t max_runs, double p, int seeds)
{
	struct plan_sprt t;
	plan_sprt_init(&t, target, plan_sprt_delta(target), PLAN_SEQ_ALPHA, PLAN_SEQ_BETA, max_runs);
	int pass = 0, undecided = 0;
	double runs = 0;
	for (int k = 1; k <= seeds; k++) {
		int64_t n;
		enum plan_seq_verdict v = one_variant(&t, p, (uint64_t)k, &n);
		pass += plan_seq_passes(v);
		undecided += v == PLAN_SEQ_MAX_PASS || v == PLAN_SEQ_MAX_FAIL;
		runs += (double)n;
	}
	return (struct rates){(double)pass / seeds, runs / seeds, (double)undecided / seeds};
}

/* Wald's bounds: "above" at p0 at most alpha/(1-beta), "below" at p1 at most
 * beta/(1-alpha), both 5.26 % here. 2,000 variants each: the binomial
 * standard error at 5 % is 0.49 %, so the bound plus 2 standard errors is
 * what a correct test stays under. With no cap on the runs (max_runs far
 * away), the test is Wald's own. */
#define SEEDS 2000
#define WALD (PLAN_SEQ_ALPHA / (1 - PLAN_SEQ_BETA))
#define SLACK (2 * sqrt(WALD * (1 - WALD) / SEEDS))

static void check_errors(double target, int64_t max_runs, double extra)
{
	double d = plan_sprt_delta(target);
	struct rates lo = error_run(target, max_runs, target - d, SEEDS);
	struct rates hi = error_run(target, max_runs, target + d, SEEDS);
	printf("plan_seq: target %g%% +- %g%%, at most %lld runs: P(pass | p0) = %.2f%% (%.1f runs), P(fail | p1) = "
	       "%.2f%% (%.1f runs; %.1f%% undecided at the cap)\n",
	       100 * target, 100 * d, (long long)max_runs, 100 * lo.pass, lo.mean_runs, 100 * (1 - hi.pass),
	       hi.mean_runs, 100 * hi.undecided);
	cr_assert(lo.pass <= WALD + SLACK, "target %g: passes at p0 = %g: %.2f%%", target, target - d, 100 * lo.pass);
	cr_assert(1 - hi.pass <= WALD + SLACK + extra, "target %g: fails at p1 = %g: %.2f%%", target, target + d,
		  100 * (1 - hi.pass));
}

Test(plan_seq, error_rates_uncapped)
{
	check_errors(0.95, 1000000, 0);
	check_errors(0.80, 1000000, 0);
	check_errors(0.60, 1000000, 0);
}

/* Capped at a plan's N, undecided variants are judged by the grid's rule:
 * the wrong "above" stays within Wald's bound (the cap only removes
 * "above"s the grid would not give); the wrong "below" grows by the share
 * left undecided at the cap, which is what the cap costs. */
Test(plan_seq, error_rates_capped)
{
	struct rates hi = error_run(0.95, 200, 0.975, SEEDS);
	check_errors(0.95, 200, hi.undecided);
	check_errors(0.95, 100, error_run(0.95, 100, 0.975, SEEDS).undecided);
}

/* Far from the target the test stops early: the point of it. */
Test(plan_seq, stops_early_far_from_target)
{
	struct rates good = error_run(0.95, 200, 0.995, 500), bad = error_run(0.95, 200, 0.80, 500);
	cr_assert(good.pass > 0.99 && good.mean_runs < 100, "p 99.5%%: pass %g, %g runs", good.pass, good.mean_runs);
	cr_assert(bad.pass < 0.01 && bad.mean_runs < 30, "p 80%%: pass %g, %g runs", bad.pass, bad.mean_runs);
}

Test(plan_seq, cap_uses_the_grid_rule)
{
	struct plan_sprt t;
	plan_sprt_init(&t, 0.6, 0.05, 0.05, 0.05, 6);
	struct plan_seq s = {0};
	for (int i = 0; i < 5; i++)
		cr_assert_eq(plan_seq_add(&s, &t, true), PLAN_SEQ_OPEN);
	cr_assert_eq(plan_seq_add(&s, &t, true), PLAN_SEQ_MAX_PASS); /* 6/6: lower bound 61 % */
	struct plan_seq f = {0};
	for (int i = 0; i < 5; i++)
		plan_seq_add(&f, &t, i % 2);
	cr_assert_eq(plan_seq_add(&f, &t, true), PLAN_SEQ_MAX_FAIL);
}

/* ---- The hold: the same counts whatever order runs finish in ---- */

struct sink_log {
	int n;
	int order[64]; /* variant * 100 + replication, in commit order */
};

static bool commit(void *ctx, struct plan_result *r)
{
	struct sink_log *L = ctx;
	L->order[L->n++] = r->job.variant * 100 + r->job.replication;
	plan_result_free(r);
	return true;
}

static struct plan_result *fake(int variant, int replication, bool met)
{
	struct plan_result *r = xcalloc(1, sizeof *r);
	r->job = (struct plan_job){variant, replication, 0};
	r->n_services = 1;
	r->has_summary = xcalloc(1, sizeof *r->has_summary);
	r->sums = xcalloc(1, sizeof *r->sums);
	r->has_summary[0] = true;
	r->sums[0].slo_met = met;
	return r;
}

Test(plan_seq, hold_keeps_replication_order)
{
	/* 0.6 +- 0.05: 12 straight successes stop it (12 x log(0.65/0.55) = 2.0 < 2.94; 18: 3.0). */
	struct plan_sprt t;
	plan_sprt_init(&t, 0.6, 0.05, 0.05, 0.05, 40);
	int perm[40];
	for (int trial = 0; trial < 3; trial++) {
		plan_adapt *a = plan_adapt_new(1, &t);
		struct sink_log L = {0};
		for (int i = 0; i < 40; i++)
			perm[i] = i + 1;
		gsl_rng *g = rng_stream(9, 1, (uint64_t)trial);
		for (int i = 39; trial && i > 0; i--) { /* trial 0 in order, then shuffled */
			int j = (int)(rng_u01(g) * (i + 1)), x = perm[i];
			perm[i] = perm[j];
			perm[j] = x;
		}
		gsl_rng_free(g);
		for (int i = 0; i < 40; i++)
			plan_adapt_offer(a, fake(1, perm[i], true), commit, &L);
		const struct plan_seq *s = plan_adapt_seq(a, 1);
		cr_assert_eq(s->verdict, PLAN_SEQ_ABOVE);
		cr_assert_eq(s->runs, 18, "trial %d: %lld runs", trial, (long long)s->runs);
		cr_assert_eq(L.n, 18);
		for (int i = 0; i < 18; i++)
			cr_assert_eq(L.order[i], 101 + i, "trial %d: commit %d is %d", trial, i, L.order[i]);
		cr_assert(atomic_load(&plan_adapt_skip(a)[0]));
		plan_adapt_free(a);
	}
}

Test(plan_seq, hold_counts_stored_runs_first)
{
	struct plan_sprt t;
	plan_sprt_init(&t, 0.6, 0.05, 0.05, 0.05, 40);
	plan_adapt *a = plan_adapt_new(2, &t);
	struct sink_log L = {0};
	for (int r = 1; r <= 10; r++)
		if (r != 4)
			plan_adapt_stored(a, 1, r, true);
	plan_adapt_settle(a);
	cr_assert_eq(plan_adapt_seq(a, 1)->runs, 3);
	plan_adapt_offer(a, fake(1, 4, true), commit, &L);
	cr_assert_eq(plan_adapt_seq(a, 1)->runs, 10);
	cr_assert_eq(L.n, 1); /* only the new one is committed */
	cr_assert_eq(plan_adapt_seq(a, 2)->runs, 0);
	plan_adapt_free(a);
}

Test(plan_seq, recommend_by_verdict)
{
	struct plan_choice v[4] = {{20, 20, 1, 0, 0, 0}, {30, 30, 2, 0, 0, 0}, {15, 2, 0.5, 0, 0, 0}, {0, 0, 0.1, 0, 0, 0}};
	bool passes[4] = {true, true, false, false};
	int ru;
	int rec = plan_seq_recommend(v, 4, passes, &ru);
	cr_assert_eq(rec, 0);
	cr_assert_eq(ru, 1);
	cr_assert_eq(v[2].verdict, PLAN_FAILS);
	cr_assert_eq(v[3].verdict, PLAN_NO_RUNS);
	cr_assert(v[0].lo < 0.95); /* 20/20 passes by the test, though its interval is wide */
}

/* The bisection finds the first pass of every monotone pattern. */
Test(plan_seq, bisect_finds_the_first_pass)
{
	for (int n = 1; n <= 9; n++)
		for (int first = 0; first <= n; first++) {
			struct plan_bisect b;
			plan_bisect_init(&b, n);
			int probes = 0, i;
			while ((i = plan_bisect_next(&b)) >= 0) {
				plan_bisect_told(&b, i, i >= first);
				probes++;
			}
			cr_assert_eq(b.hi, first, "n %d first %d", n, first);
			cr_assert(probes <= (int)ceil(log2(n + 1)), "n %d: %d probes", n, probes);
		}
}
