/*
 * Latency histograms and SLO judgement, against exact computations.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_randist.h>

#include "rng.h"
#include "slo.h"

/* Every value falls in its bucket, and buckets are at most 1/64 of their
 * lower edge wide (exact below 128 ns). */
Test(hist, buckets_contain_their_values)
{
	gsl_rng *g = rng_stream(1, 99, 1);
	for (int i = 0; i < 200000; i++) {
		int64_t v = (int64_t)exp(rng_u01(g) * log((double)HIST_MAX_NS));
		unsigned k = hist_index(v);
		int64_t lo, w;
		hist_bucket(k, &lo, &w);
		cr_assert(lo <= v && v < lo + w, "v=%lld bucket %u [%lld, +%lld)", (long long)v, k, (long long)lo,
			  (long long)w);
		cr_assert(v < 128 ? w == 1 : w * 64 <= lo);
		cr_assert_lt(k, HIST_BUCKETS);
	}
	gsl_rng_free(g);
}

Test(hist, bucket_edges_are_contiguous)
{
	int64_t lo, w, lo2, w2;
	for (unsigned k = 0; k + 1 < HIST_BUCKETS; k++) {
		hist_bucket(k, &lo, &w);
		hist_bucket(k + 1, &lo2, &w2);
		cr_assert_eq(lo + w, lo2, "bucket %u ends at %lld, next starts at %lld", k, (long long)(lo + w),
			     (long long)lo2);
	}
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Percentiles are within 1/128 of the exact nearest-rank sample quantile. */
Test(hist, percentiles_within_one_percent)
{
	enum { N = 100000 };
	static int64_t v[N];
	static struct hist h;
	hist_clear(&h);
	gsl_rng *g = rng_stream(2, 99, 2);
	for (int i = 0; i < N; i++) {
		v[i] = (int64_t)(20e6 * exp(0.8 * gsl_ran_ugaussian(g)));
		hist_add(&h, v[i]);
	}
	qsort(v, N, sizeof v[0], cmp64);
	static const double ps[] = {1, 10, 50, 90, 99, 99.9, 100};
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
		size_t rank = (size_t)ceil(ps[i] / 100 * N);
		double exact = (double)v[rank - 1], got = hist_percentile(&h, ps[i]);
		cr_assert(fabs(got - exact) <= exact / 128 + 1, "p%g: %g vs exact %g", ps[i], got, exact);
	}
	cr_assert_eq(h.n, (uint64_t)N);
	cr_assert_eq(h.min, v[0]);
	cr_assert_eq(h.max, v[N - 1]);
	gsl_rng_free(g);
}

Test(hist, small_values_exact_and_empty_is_nan)
{
	static struct hist h;
	hist_clear(&h);
	cr_assert(isnan(hist_percentile(&h, 50)));
	for (int64_t x = 1; x <= 100; x++)
		hist_add(&h, x);
	cr_assert_float_eq(hist_percentile(&h, 50), 50, 0);
	cr_assert_float_eq(hist_percentile(&h, 99), 99, 0);
	cr_assert_float_eq(hist_percentile(&h, 100), 100, 0);
	cr_assert_float_eq(h.sum, 5050, 0);
}

Test(hist, merge_adds_counts)
{
	static struct hist a, b;
	hist_clear(&a);
	hist_clear(&b);
	hist_add(&a, 1000);
	hist_add(&b, 5);
	hist_add(&b, 1000000);
	hist_merge(&a, &b);
	cr_assert_eq(a.n, 3u);
	cr_assert_eq(a.min, 5);
	cr_assert_eq(a.max, 1000000);
	cr_assert_float_eq(a.sum, 1001005, 0);
}

/* Windows: p99 <= 200 ms and errors <= 1 %; hand-made windows. */
Test(slo, windows_judged_by_percentile_and_errors)
{
	struct scn_slo obj = {.has_latency = true, .percentile = 99, .threshold = 200 * SIM_MS,
			      .has_errors = true, .error_budget = 0.01, .eval = SLO_EVAL_WINDOWS,
			      .allowed_violation = SIM_MIN};
	static struct slo_tracker t;
	slo_init(&t, &obj);
	/* Window 1: 100 requests at 50 ms: fine. */
	for (int i = 0; i < 100; i++) {
		slo_arrived(&t);
		slo_done(&t, SLO_SERVED, 50 * SIM_MS);
	}
	cr_assert_not(slo_close_window(&t, SIM_MIN));
	/* Window 2: 98 fast, 2 at 300 ms: p99 (rank 99) is 300 ms: violation. */
	for (int i = 0; i < 100; i++) {
		slo_arrived(&t);
		slo_done(&t, SLO_SERVED, i < 98 ? 50 * SIM_MS : 300 * SIM_MS);
	}
	cr_assert(slo_close_window(&t, SIM_MIN));
	/* Window 3: 99 served fast, 1 timeout: error rate 1 % is within budget. */
	for (int i = 0; i < 100; i++) {
		slo_arrived(&t);
		slo_done(&t, i ? SLO_SERVED : SLO_TIMEOUT, 50 * SIM_MS);
	}
	cr_assert_not(slo_close_window(&t, SIM_MIN));
	/* Window 4: 2 rejections in 100: 2 % > 1 %: violation. */
	for (int i = 0; i < 100; i++) {
		slo_arrived(&t);
		slo_done(&t, i < 2 ? SLO_REJECTED : SLO_SERVED, 50 * SIM_MS);
	}
	cr_assert(slo_close_window(&t, 30 * SIM_S)); /* a short last window */
	/* Empty window: no violation. */
	cr_assert_not(slo_close_window(&t, SIM_MIN));
	cr_assert_eq(t.windows_violated, 2);
	cr_assert_eq(t.violated, SIM_MIN + 30 * SIM_S);
	/* 90 s of violation > 60 s allowed. */
	cr_assert_eq(slo_met(&t), 0);
	/* Each term alone: 60 s too slow (window 2), 30 s too many errors
	 * (window 4): both within the 60 s allowed, but not together. */
	cr_assert_eq(t.violated_latency, SIM_MIN);
	cr_assert_eq(t.violated_errors, 30 * SIM_S);
	struct slo_terms m = slo_terms(&t);
	cr_expect_eq(m.latency, 1);
	cr_expect_eq(m.errors, 1);
	cr_expect_eq(m.violation, 0);
	obj.allowed_violation = 45 * SIM_S; /* now the latency term alone fails too */
	m = slo_terms(&t);
	cr_expect(m.latency == 0 && m.errors == 1 && m.violation == 0);
	obj.allowed_violation = 90 * SIM_S;
	cr_assert_eq(slo_met(&t), 1);
	m = slo_terms(&t);
	cr_expect(m.latency == 1 && m.errors == 1 && m.violation == 1);
}

Test(slo, run_evaluation_and_no_objective)
{
	struct scn_slo obj = {.has_latency = true, .percentile = 50, .threshold = 100 * SIM_MS};
	static struct slo_tracker t;
	slo_init(&t, &obj);
	for (int i = 0; i < 10; i++) {
		slo_arrived(&t);
		slo_done(&t, SLO_SERVED, (i < 6 ? 150 : 50) * SIM_MS);
	}
	slo_close_interval(&t);
	cr_assert_eq(t.run.served, 10);
	cr_assert_eq(slo_met(&t), 0); /* median is 150 ms */
	struct slo_terms m = slo_terms(&t);
	cr_expect(m.latency == 0 && m.errors == -1 && m.violation == -1, "%d %d %d", m.latency, m.errors, m.violation);
	obj.threshold = 200 * SIM_MS;
	cr_assert_eq(slo_met(&t), 1);
	obj.has_errors = true; /* no error in 10: within any budget */
	m = slo_terms(&t);
	cr_expect(m.latency == 1 && m.errors == 1 && m.violation == -1);
	struct scn_slo none = {0};
	t.obj = &none;
	cr_assert_eq(slo_met(&t), -1);
	m = slo_terms(&t);
	cr_expect(m.latency == -1 && m.errors == -1 && m.violation == -1);
}
