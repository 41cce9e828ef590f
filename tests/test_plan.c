/*
 * The planner (sim/plan.h, sim/scn_sweep.c): the Wilson interval against
 * published values, nearest-rank percentiles, the recommendation rule on
 * synthetic results, the baseline against hand computation, buffers,
 * sweeps (variants, names, overrides, every class of bad input), seeds, and
 * the runner: the same results whatever the number of threads, each equal
 * to a run made alone, and a clean stop when interrupted.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"
#include "rng.h"

static char dir[64];

static void mkdir_tmp(void)
{
	strcpy(dir, "/tmp/hr-plan-XXXXXX");
	cr_assert(mkdtemp(dir));
}

static void rm_tmp(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(plan, .init = mkdir_tmp, .fini = rm_tmp);

/* Writes text to dir/name and returns the path (static buffer). */
static const char *put(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void load_ok(struct scenario *sc, const char *name, const char *text)
{
	struct herr e;
	cr_assert_eq(scn_load(sc, put(name, text), NULL, 0, &e), 0, "%s", e.msg);
}

/* Loading fails with a message that ends with `tail` (after file:line:col). */
static void load_fails(const char *text, const char *where, const char *tail)
{
	struct scenario sc;
	struct herr e = {""};
	const char *p = put("bad.yaml", text);
	cr_assert_neq(scn_load(&sc, p, NULL, 0, &e), 0, "loaded: %s", text);
	char want[1024];
	snprintf(want, sizeof want, "%s:%s: %s", p, where, tail);
	cr_expect_str_eq(e.msg, want);
}

/* ---- Wilson score interval -------------------------------------------------
 *
 * Newcombe, R. G. (1998), "Two-sided confidence intervals for the single
 * proportion: comparison of seven methods", Statistics in Medicine 17,
 * 857-872, Table I, method 3 (Wilson's score method without continuity
 * correction, from Wilson 1927), to the 4 decimals published. */

static const struct {
	int64_t k, n;
	double lo, hi;
} newcombe[] = {
	{81, 263, 0.2553, 0.3662}, /* example (a) */
	{15, 148, 0.0624, 0.1605}, /* (b) */
	{0, 20, 0.0000, 0.1611},   /* (c) */
	{1, 29, 0.0061, 0.1718},   /* (d) */
	{29, 29, 0.8830, 1.0000},  /* (e) */
};

Test(plan, wilson_matches_newcombe_1998_table_1)
{
	for (size_t i = 0; i < ARRAY_LEN(newcombe); i++) {
		double lo, hi;
		plan_wilson(newcombe[i].k, newcombe[i].n, PLAN_Z95, &lo, &hi);
		cr_expect(fabs(lo - newcombe[i].lo) < 0.5e-4, "%lld/%lld: lower %.5f, published %.4f",
			  (long long)newcombe[i].k, (long long)newcombe[i].n, lo, newcombe[i].lo);
		cr_expect(fabs(hi - newcombe[i].hi) < 0.5e-4, "%lld/%lld: upper %.5f, published %.4f",
			  (long long)newcombe[i].k, (long long)newcombe[i].n, hi, newcombe[i].hi);
	}
}

Test(plan, wilson_edges_and_closed_forms)
{
	double lo, hi;
	/* k = n: the lower bound is n / (n + z^2) exactly, the upper 1. */
	plan_wilson(200, 200, PLAN_Z95, &lo, &hi);
	cr_expect(fabs(lo - 200 / (200 + PLAN_Z95 * PLAN_Z95)) < 1e-12 && hi == 1);
	plan_wilson(0, 200, PLAN_Z95, &lo, &hi);
	cr_expect(lo == 0 && fabs(hi - PLAN_Z95 * PLAN_Z95 / (200 + PLAN_Z95 * PLAN_Z95)) < 1e-12);
	plan_wilson(0, 0, PLAN_Z95, &lo, &hi);
	cr_expect(lo == 0 && hi == 1, "no trial: no information");
	/* What a plan of 200 replications needs for a 95 % target: 197 of 200. */
	plan_wilson(196, 200, PLAN_Z95, &lo, &hi);
	cr_expect(lo < 0.95, "196/200: %.5f", lo);
	plan_wilson(197, 200, PLAN_Z95, &lo, &hi);
	cr_expect(lo >= 0.95, "197/200: %.5f", lo);
	/* Symmetric: k of n and n - k of n mirror each other. */
	double lo2, hi2;
	plan_wilson(7, 30, PLAN_Z95, &lo, &hi);
	plan_wilson(23, 30, PLAN_Z95, &lo2, &hi2);
	cr_expect(fabs(lo - (1 - hi2)) < 1e-12 && fabs(hi - (1 - lo2)) < 1e-12);
}

/* ---- Percentiles ----------------------------------------------------------- */

Test(plan, nearest_rank_percentiles)
{
	/* The nearest-rank examples of the definition: 15 20 35 40 50. */
	static const struct {
		double p, want;
	} cases[] = {{5, 15}, {30, 20}, {40, 20}, {50, 35}, {95, 50}, {100, 50}};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		double v[] = {50, 35, 15, 40, 20};
		cr_expect_eq(plan_percentile(v, ARRAY_LEN(v), cases[i].p), cases[i].want, "p%g", cases[i].p);
	}
	double one[] = {7};
	cr_expect_eq(plan_percentile(one, 1, 50), 7);
	cr_expect(isnan(plan_percentile(NULL, 0, 50)));
	/* 20 values 1..20: the median is the 10th, the 95th percentile the 19th. */
	double v[20];
	for (int i = 0; i < 20; i++)
		v[i] = 20 - i;
	cr_expect_eq(plan_percentile(v, 20, 50), 10);
	cr_expect_eq(plan_percentile(v, 20, 95), 19);
}

/* ---- The recommendation rule on synthetic results --------------------------- */

Test(plan, recommends_the_cheapest_that_meets_the_target)
{
	/* Buffers 100 % .. 200 %: costs grow, and so does P(SLO met). */
	struct plan_choice v[] = {
		{200, 120, 500, 0, 0, 0}, /* 60 %: fails */
		{200, 180, 560, 0, 0, 0}, /* 90 %: fails */
		{200, 196, 570, 0, 0, 0}, /* 98 %, lower bound 0.9497: fails, just */
		{200, 198, 600, 0, 0, 0}, /* 99 %, lower bound 0.964: the one */
		{200, 200, 990, 0, 0, 0}, /* 100 %: runner-up */
		{200, 200, 995, 0, 0, 0}, /* meets, costs more */
	};
	int ru = -9;
	int rec = plan_recommend(v, ARRAY_LEN(v), 0.95, &ru);
	cr_expect_eq(rec, 3);
	cr_expect_eq(ru, 4);
	enum plan_verdict want[] = {PLAN_FAILS, PLAN_FAILS, PLAN_FAILS, PLAN_RECOMMENDED, PLAN_RUNNER_UP, PLAN_MEETS};
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		cr_expect_eq(v[i].verdict, want[i], "variant %zu: %s", i, plan_verdict_name(v[i].verdict));
		double lo, hi;
		plan_wilson(v[i].met, v[i].runs, PLAN_Z95, &lo, &hi);
		cr_expect(v[i].lo == lo && v[i].hi == hi);
	}
	cr_expect_str_eq(plan_verdict_name(PLAN_RUNNER_UP), "runner-up");
}

Test(plan, ranks_by_cost_not_by_order)
{
	/* The cheapest meeting variant wins wherever it is listed; equal costs
	 * go to the lower index; an unknown cost ranks last. */
	struct plan_choice v[] = {
		{100, 100, NAN, 0, 0, 0}, /* meets, cost unknown: last */
		{100, 100, 900, 0, 0, 0}, /* meets */
		{100, 100, 300, 0, 0, 0}, /* meets, cheapest: recommended */
		{100, 100, 300, 0, 0, 0}, /* the same cost, later: runner-up */
		{100, 10, 100, 0, 0, 0},  /* cheapest of all, fails */
		{0, 0, 50, 0, 0, 0},      /* no runs */
	};
	int ru;
	cr_expect_eq(plan_recommend(v, ARRAY_LEN(v), 0.9, &ru), 2);
	cr_expect_eq(ru, 3);
	cr_expect_eq(v[0].verdict, PLAN_MEETS);
	cr_expect_eq(v[1].verdict, PLAN_MEETS);
	cr_expect_eq(v[4].verdict, PLAN_FAILS);
	cr_expect_eq(v[5].verdict, PLAN_NO_RUNS);
}

Test(plan, none_meets_a_target_the_data_cannot_show)
{
	/* 20 of 20 has a lower bound of 0.839: below 95 %, whatever the cost. */
	struct plan_choice v[] = {{20, 20, 1, 0, 0, 0}, {20, 19, 2, 0, 0, 0}};
	int ru;
	cr_expect_eq(plan_recommend(v, 2, 0.95, &ru), -1);
	cr_expect_eq(ru, -1);
	cr_expect(v[0].verdict == PLAN_FAILS && v[1].verdict == PLAN_FAILS);
	/* The same at 80 %: the cheaper one. */
	cr_expect_eq(plan_recommend(v, 2, 0.80, &ru), 0);
	cr_expect_eq(ru, -1, "19/20 has a lower bound of 0.764");
}

/* ---- Baseline ------------------------------------------------------------------ */

#define HPA(name, min, max, metrics)                                                                              \
	"    hpa:\n      apiVersion: autoscaling/v2\n      kind: HorizontalPodAutoscaler\n      metadata: {name: " name \
	"}\n      spec:\n        scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: " name "}\n"          \
	"        minReplicas: " #min "\n        maxReplicas: " #max "\n" metrics

#define CPU_UTIL(u) "        metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: " #u "}}}]\n"

/* order 200 rps (diurnal: 200 x (1 + 0.5 cos(...)) at the spike's start), calls payment 60 %. */
static const char TWO[] =
	"name: two\nduration: 10m\n"
	"services:\n"
	"  order:\n"
	"    replicas: 3\n"
	"    resources: {requests: {cpu: 500m}}\n"
	"    cpu_per_request: 15ms\n"
	"    calls: [{service: payment, probability: 60%}]\n"
	"    traffic:\n"
	"      rate: 200rps\n"
	"      spikes: [{start: 5m, ramp: 1m, factor: 5, hold: 1m}]\n"
	HPA("order", 2, 30, CPU_UTIL(60))
	"  payment:\n"
	"    replicas: 2\n"
	"    resources: {requests: {cpu: \"1\"}}\n"
	"    cpu_per_request: {distribution: exponential, mean: 25ms}\n"
	HPA("payment", 1, 40, CPU_UTIL(60));

Test(plan, baseline_is_rps_times_cpu_over_request_times_target)
{
	struct scenario sc;
	load_ok(&sc, "two.yaml", TWO);
	struct plan_baseline b[2];
	plan_baselines(&sc, b);
	/* order: 200 x 0.015 / (0.5 x 0.6) = 10; payment: 120 x 0.025 / (1 x 0.6) = 5. */
	cr_expect(b[0].has_hpa && b[1].has_hpa);
	cr_expect(fabs(b[0].rps - 200) < 1e-9 && fabs(b[1].rps - 120) < 1e-9, "%g %g", b[0].rps, b[1].rps);
	cr_expect(fabs(b[0].exact - 10) < 1e-9 && b[0].replicas == 10, "order %g", b[0].exact);
	cr_expect(fabs(b[1].exact - 5) < 1e-9 && b[1].replicas == 5, "payment %g", b[1].exact);
	cr_expect_str_eq(b[0].formula, "200.0 rps x 15 ms CPU / (0.5 cores x 60%) = 10.00");
	cr_expect_str_eq(b[1].formula, "120.0 rps x 25 ms CPU / (1 cores x 60%) = 5.00");
	cr_expect_eq(plan_normal_time(&sc), 5 * SIM_MIN);
	scn_free(&sc);
}

Test(plan, baseline_of_other_metrics_takes_the_largest)
{
	/* rps 100, cpu 20 ms = 2 cores of work:
	 *   cpu AverageValue 250m  -> 8
	 *   Pods 30 rps per pod     -> 3.33
	 *   default (no metrics): cpu 80 % of 0.5 cores -> 5
	 *   memory AverageValue 600Mi, idle 100Mi, 10Mi per request held, held
	 *     20 ms: 2 requests held -> 20Mi / 500Mi = 0.04 */
	static const char text[] =
		"name: m\nduration: 10m\n"
		"services:\n"
		"  a:\n"
		"    replicas: 1\n"
		"    resources: {requests: {cpu: 500m, memory: 1Gi}}\n"
		"    cpu_per_request: 20ms\n"
		"    memory_usage: {idle: 100Mi, per_request: 10Mi}\n"
		"    traffic: {rate: 100rps}\n"
		HPA("a", 1, 50,
		    "        metrics:\n"
		    "          - {type: Resource, resource: {name: cpu, target: {type: AverageValue, averageValue: 250m}}}\n"
		    "          - {type: Pods, pods: {metric: {name: rps}, target: {type: AverageValue, averageValue: \"30\"}}}\n"
		    "          - {type: Resource, resource: {name: memory, target: {type: AverageValue, averageValue: 600Mi}}}\n")
		"  b:\n"
		"    replicas: 1\n"
		"    resources: {requests: {cpu: 500m}}\n"
		"    cpu_per_request: 20ms\n"
		"    traffic: {rate: 100rps}\n"
		HPA("b", 1, 3, "")
		"  c:\n"
		"    replicas: 2\n"
		"    resources: {requests: {cpu: 500m}}\n"
		"    cpu_per_request: 20ms\n"
		"    traffic: {rate: 100rps}\n";
	struct scenario sc;
	load_ok(&sc, "m.yaml", text);
	struct plan_baseline b[3];
	plan_baselines(&sc, b);
	cr_expect(fabs(b[0].exact - 8) < 1e-9 && b[0].replicas == 8, "a: %g (%s)", b[0].exact, b[0].formula);
	cr_expect_str_eq(b[0].formula, "100.0 rps x 20 ms CPU / 0.25 cores = 8.00");
	/* b: the default metric asks for 5, maxReplicas caps it at 3. */
	cr_expect(fabs(b[1].exact - 5) < 1e-9 && b[1].replicas == 3, "b: %g", b[1].exact);
	cr_expect(!b[2].has_hpa && fabs(b[2].rps - 100) < 1e-9);
	scn_free(&sc);
}

Test(plan, baseline_takes_the_pattern_at_the_first_spike)
{
	/* Diurnal, peak at 14:00, starting at 08:00; the spike at 3 h is 11:00:
	 * 100 x (1 + 0.5 cos(2 pi (11 - 14) / 24)) = 100 x (1 + 0.5 cos(-pi/4)). */
	static const char text[] =
		"name: d\nduration: 4h\n"
		"services:\n"
		"  a:\n"
		"    replicas: 1\n"
		"    resources: {requests: {cpu: \"1\"}}\n"
		"    cpu_per_request: 10ms\n"
		"    traffic:\n"
		"      rate: 100rps\n"
		"      pattern: {type: diurnal, amplitude: 50%, peak: \"14:00\", start: \"08:00\"}\n"
		"      spikes: [{start: 3h, factor: 4, hold: 5m}]\n"
		HPA("a", 1, 100, CPU_UTIL(50));
	struct scenario sc;
	load_ok(&sc, "d.yaml", text);
	struct plan_baseline b;
	plan_baselines(&sc, &b);
	double rps = 100 * (1 + 0.5 * cos(-M_PI / 4));
	cr_expect(fabs(b.rps - rps) < 1e-6, "%g, want %g", b.rps, rps);
	cr_expect_eq(b.replicas, (int)ceil(rps * 0.01 / 0.5));
	scn_free(&sc);
}

/* ---- Buffers ------------------------------------------------------------------- */

static void buffers(const char *order, const char *payment, int *min_o, int *min_p, int *rep_o, int *rep_p)
{
	struct scenario sc;
	struct herr e;
	char a[64], b[64];
	snprintf(a, sizeof a, "services.order.buffer=%s", order);
	snprintf(b, sizeof b, "services.payment.buffer=%s", payment);
	const char *sets[] = {a, b};
	cr_assert_eq(scn_load(&sc, put("two.yaml", TWO), sets, 2, &e), 0, "%s", e.msg);
	*min_o = sc.services[0].hpa.min_replicas;
	*min_p = sc.services[1].hpa.min_replicas;
	*rep_o = sc.services[0].replicas;
	*rep_p = sc.services[1].replicas;
	scn_free(&sc);
}

Test(plan, a_buffer_sets_min_replicas_and_the_starting_replicas)
{
	int mo, mp, ro, rp;
	buffers("130%", "130%", &mo, &mp, &ro, &rp);
	cr_expect(mo == 13 && mp == 7, "ceil(10 x 1.3) = 13, ceil(5 x 1.3) = 7: %d %d", mo, mp);
	cr_expect(ro == 13 && rp == 7, "the Deployment starts at minReplicas: %d %d", ro, rp);
	/* 10 x 1.4 is 14.000000000000002 in binary: still 14. */
	buffers("140%", "1.4", &mo, &mp, &ro, &rp);
	cr_expect(mo == 14 && mp == 7, "%d %d", mo, mp);
	buffers("100%", "200%", &mo, &mp, &ro, &rp);
	cr_expect(mo == 10 && mp == 10, "%d %d", mo, mp);
	/* Below 100 %: minReplicas below the baseline, the start at the baseline. */
	buffers("50%", "10%", &mo, &mp, &ro, &rp);
	cr_expect(mo == 5 && mp == 1 && ro == 10 && rp == 5, "%d %d %d %d", mo, mp, ro, rp);
	cr_expect_eq(plan_buffered(10, 1.4), 14);
	cr_expect_eq(plan_buffered(3, 1.01), 4);
	cr_expect_eq(plan_buffered(1, 0.1), 1);
}

Test(plan, buffer_errors)
{
	static const char no_hpa[] = "name: x\nduration: 1m\nservices:\n  a:\n    replicas: 1\n"
				     "    resources: {requests: {cpu: 1}}\n    cpu_per_request: 10ms\n"
				     "    traffic: {rate: 10rps}\n    buffer: 130%\n";
	load_fails(no_hpa, "4:3", "service 'a': a buffer sets the HPA's minReplicas; give the service an hpa");
	static const char bad[] = "name: x\nduration: 1m\nservices:\n  a:\n    replicas: 1\n"
				  "    resources: {requests: {cpu: 1}}\n    cpu_per_request: 10ms\n"
				  "    traffic: {rate: 10rps}\n    buffer: -5%\n";
	load_fails(bad, "9:13", "buffer: -5% is out of range: it must be > 0 and <= 10000%");
	/* payment: 5 x 900 % = 45 > maxReplicas 40. */
	char over[sizeof TWO + 64];
	snprintf(over, sizeof over, "%s    buffer: 900%%\n", TWO);
	load_fails(over, "21:3",
		   "service 'payment': buffer 900% gives minReplicas 45 (baseline 5 x 900%), above maxReplicas 40; "
		   "raise maxReplicas or lower the buffer");
}

/* ---- Sweeps --------------------------------------------------------------------- */

static const char SWEEP[] =
	"sweep:\n"
	"  replications: 7\n"
	"  target: 99%\n"
	"  axes:\n"
	"    buffer:\n"
	"      services.order.buffer: [100%, 150%]\n"
	"      services.payment.buffer: [100%, 200%]\n"
	"    services.order.traffic.spikes.0.factor: [3, 5, 8]\n";

Test(plan, a_sweep_is_the_product_of_its_axes)
{
	char text[sizeof TWO + sizeof SWEEP];
	snprintf(text, sizeof text, "%s%s", TWO, SWEEP);
	struct scenario sc;
	load_ok(&sc, "s.yaml", text);
	cr_assert(sc.sweep.enabled);
	cr_expect_eq(sc.sweep.n_axes, 2);
	cr_expect_eq(sc.sweep.replications, 7);
	cr_expect(fabs(sc.sweep.target - 0.99) < 1e-12);
	cr_assert_eq(plan_n_variants(&sc), 6);
	/* The first axis slowest; a group shows one value per key that differs. */
	static const char *const names[] = {
		"buffer=100% services.order.traffic.spikes.0.factor=3", "buffer=100% services.order.traffic.spikes.0.factor=5",
		"buffer=100% services.order.traffic.spikes.0.factor=8", "buffer=150%/200% services.order.traffic.spikes.0.factor=3",
		"buffer=150%/200% services.order.traffic.spikes.0.factor=5", "buffer=150%/200% services.order.traffic.spikes.0.factor=8",
	};
	for (size_t v = 0; v < 6; v++)
		cr_expect_str_eq(sc.variants[v].name, names[v]);
	cr_assert_eq(sc.variants[4].n_sets, 3);
	cr_expect_str_eq(sc.variants[4].sets[0], "services.order.buffer=150%");
	cr_expect_str_eq(sc.variants[4].sets[1], "services.payment.buffer=200%");
	cr_expect_str_eq(sc.variants[4].sets[2], "services.order.traffic.spikes.0.factor=5");
	/* Variant 5 (1-based) as a plan loads it. */
	struct scenario vs;
	struct herr e;
	cr_assert_eq(plan_load_variant(&vs, &sc, 5, NULL, 0, &e), 0, "%s", e.msg);
	cr_expect_eq(vs.services[0].hpa.min_replicas, 15);
	cr_expect_eq(vs.services[1].hpa.min_replicas, 10);
	cr_expect_eq(vs.services[0].traffic.spikes[0].factor, 5);
	scn_free(&vs);
	scn_free(&sc);
	/* A scenario without variants is its own variant 1. */
	load_ok(&sc, "two.yaml", TWO);
	cr_expect_eq(plan_n_variants(&sc), 1);
	cr_assert_eq(plan_load_variant(&vs, &sc, 1, NULL, 0, &e), 0, "%s", e.msg);
	cr_expect_eq(vs.services[0].hpa.min_replicas, 2);
	scn_free(&vs);
	scn_free(&sc);
}

static void sweep_fails(const char *sweep, const char *where, const char *tail)
{
	char text[4096];
	snprintf(text, sizeof text, "%s%s", TWO, sweep);
	load_fails(text, where, tail);
}

Test(plan, sweep_errors)
{
	sweep_fails("sweep:\n  axes:\n    services.order.buffer: 130%\n", "36:28",
		    "sweep: 'services.order.buffer' needs a list of values (e.g. [100%, 130%]), not '130%'");
	sweep_fails("sweep:\n  axes:\n    g:\n      services.order.buffer: [1, 2]\n      services.payment.buffer: [1]\n",
		    "38:32", "sweep: 'services.payment.buffer' has 1 values and 'services.order.buffer' 2; keys of one "
			     "group move together");
	sweep_fails("sweep:\n  axes:\n    services.order.buffer: [1]\n    g: {services.order.buffer: [2]}\n", "37:9",
		    "sweep: 'services.order.buffer' is in two axes");
	sweep_fails("sweep:\n  axes:\n    sweep.replications: [1, 2]\n", "36:5", "sweep: an axis cannot set 'sweep.replications'");
	sweep_fails("sweep:\n  replicatons: 5\n  axes: {duration: [1m]}\n", "35:3",
		    "unknown key 'replicatons' in sweep; did you mean 'replications'?");
	sweep_fails("sweep:\n  target: 100%\n  axes: {duration: [1m]}\n", "35:11",
		    "target: 100%: a probability below 100% (e.g. 95%)");
	sweep_fails("sweep:\n  replications: 5\n", "35:3", "sweep needs 'axes'");
	/* A bad value is found when its variant is loaded, and named. */
	struct scenario sc;
	struct herr e = {""};
	char text[4096];
	snprintf(text, sizeof text, "%ssweep:\n  axes:\n    services.order.buffer: [100%%, 900%%]\n", TWO);
	const char *p = put("v.yaml", text);
	cr_assert_neq(scn_load(&sc, p, NULL, 0, &e), 0);
	cr_expect(strstr(e.msg, "variant 'services.order.buffer=900%': ") && strstr(e.msg, "above maxReplicas 30"), "%s",
		  e.msg);
	static const char cmp[] = "compare:\n  a: {duration: 2m}\nsweep:\n  axes: {duration: [1m]}\n";
	sweep_fails(cmp, "36:1", "sweep: a scenario has compare: or sweep:, not both (a sweep axis can set what a "
				 "compare variant sets)");
}

/* ---- Seeds ----------------------------------------------------------------------- */

/* Common random numbers: the seed depends on the plan's seed and the
 * replication, not on the variant. */
Test(plan, seeds_derive_from_seed_and_replication_shared_by_variants)
{
	cr_expect_eq(plan_seed(7, 3, 11), rng_key(7, 0, 11));
	cr_expect_neq(plan_seed(7, 3, 11), plan_seed(7, 3, 12));
	cr_expect_eq(plan_seed(7, 3, 11), plan_seed(7, 4, 11));
	cr_expect_neq(plan_seed(7, 3, 11), plan_seed(8, 3, 11));
	cr_expect_neq(plan_seed(7, 1, 2), plan_seed(7, 2, 1));
}

/* ---- The runner -------------------------------------------------------------------- */

/* A short sweep: two buffers of two services with a spike, 2 minutes. */
static const char SMALL[] =
	"name: small\nduration: 2m\nsample_interval: 5s\n"
	"services:\n"
	"  order:\n"
	"    replicas: 2\n"
	"    resources: {requests: {cpu: 500m}, limits: {cpu: \"1\"}}\n"
	"    timeout: 1s\n"
	"    cpu_per_request: {distribution: lognormal, mean: 10ms, cv: 0.5}\n"
	"    calls: [{service: payment, probability: 50%}]\n"
	"    traffic: {rate: 60rps, spikes: [{start: 30s, ramp: 10s, factor: 4, hold: 30s}]}\n"
	"    slo: {p99: 200ms, error_rate: 1%}\n"
	HPA("order", 1, 20, CPU_UTIL(60))
	"  payment:\n"
	"    replicas: 1\n"
	"    resources: {requests: {cpu: 500m}}\n"
	"    cpu_per_request: 15ms\n"
	HPA("payment", 1, 20, CPU_UTIL(60))
	"sweep:\n  axes: {services.order.buffer: [100%, 200%], services.payment.buffer: [100%, 150%]}\n";

struct collected {
	struct plan_result *r[64];
	size_t n;
	size_t stop_after; /* interrupt after this many (0: never) */
	atomic_int *interrupt;
};

static void collect(void *ctx, struct plan_result *r)
{
	struct collected *c = ctx;
	cr_assert_lt(c->n, ARRAY_LEN(c->r));
	c->r[c->n++] = r;
	if (c->stop_after && c->n == c->stop_after)
		*c->interrupt = 1;
}

static int by_job(const void *a, const void *b)
{
	const struct plan_result *x = *(struct plan_result *const *)a, *y = *(struct plan_result *const *)b;
	if (x->job.variant != y->job.variant)
		return x->job.variant - y->job.variant;
	return x->job.replication - y->job.replication;
}

static size_t make_jobs(const struct scenario *sc, int reps, struct plan_job *jobs)
{
	size_t n = 0;
	for (int v = 1; v <= plan_n_variants(sc); v++)
		for (int r = 1; r <= reps; r++)
			jobs[n++] = (struct plan_job){v, r, plan_seed(sc->seed, v, r)};
	return n;
}

static void run_all(const struct scenario *sc, int threads, struct collected *c)
{
	struct plan_job jobs[64];
	size_t n = make_jobs(sc, 3, jobs);
	atomic_int stop = 0;
	c->interrupt = &stop;
	struct plan_runner r = {sc, NULL, 0, threads, &stop, collect, NULL, c, NULL, NULL};
	struct herr e;
	cr_assert_eq(plan_run(&r, jobs, n, &e), 0);
	cr_assert_eq(c->n, n);
	qsort(c->r, c->n, sizeof *c->r, by_job);
}

static void expect_same_result(const struct plan_result *a, const struct plan_result *b)
{
	cr_expect(a->job.variant == b->job.variant && a->job.replication == b->job.replication && a->job.seed == b->job.seed);
	cr_expect_eq(a->st.events, b->st.events);
	cr_expect_eq(a->st.requests, b->st.requests);
	cr_assert_eq(a->n_services, b->n_services);
	for (size_t i = 0; i < a->n_services; i++) {
		cr_expect(a->has_summary[i] && b->has_summary[i]);
		const struct row_summary *x = &a->sums[i], *y = &b->sums[i];
		cr_expect(x->requests == y->requests && x->served == y->served && x->errors == y->errors &&
			  x->slo_met == y->slo_met && memcmp(&x->p99_ms, &y->p99_ms, sizeof x->p99_ms) == 0,
			  "variant %d replication %d service %zu", a->job.variant, a->job.replication, i);
	}
}

Test(plan, results_do_not_depend_on_threads_and_equal_a_run_alone)
{
	struct scenario sc;
	load_ok(&sc, "small.yaml", SMALL);
	struct collected one = {.n = 0}, three = {.n = 0};
	run_all(&sc, 1, &one);
	run_all(&sc, 3, &three);
	for (size_t i = 0; i < one.n; i++)
		expect_same_result(one.r[i], three.r[i]);
	/* Variant 4, replication 2 on its own, as `headroom run --variant 4 --replication 2`. */
	const struct plan_result *want = one.r[3 * 3 + 1];
	cr_assert(want->job.variant == 4 && want->job.replication == 2);
	struct scenario vs;
	struct herr e;
	cr_assert_eq(plan_load_variant(&vs, &sc, 4, NULL, 0, &e), 0, "%s", e.msg);
	struct collected alone = {.n = 0};
	struct plan_job j = {4, 2, plan_seed(sc.seed, 4, 2)};
	atomic_int stop = 0;
	struct plan_runner r = {&sc, NULL, 0, 1, &stop, collect, NULL, &alone, NULL, NULL};
	cr_assert_eq(plan_run(&r, &j, 1, &e), 0);
	cr_assert_eq(alone.n, 1);
	expect_same_result(alone.r[0], want);
	/* The buffers reached the model: variant 4 starts order at 2 x its baseline. */
	struct plan_baseline b[2];
	plan_baselines(&vs, b);
	cr_expect_eq(vs.services[0].hpa.min_replicas, 2 * b[0].replicas);
	plan_result_free(alone.r[0]);
	scn_free(&vs);
	for (size_t i = 0; i < one.n; i++) {
		plan_result_free(one.r[i]);
		plan_result_free(three.r[i]);
	}
	scn_free(&sc);
}

Test(plan, an_interrupted_runner_stops_and_hands_over_only_whole_runs)
{
	struct scenario sc;
	load_ok(&sc, "small.yaml", SMALL);
	struct plan_job jobs[64];
	size_t n = make_jobs(&sc, 3, jobs);
	atomic_int stop = 0;
	struct collected c = {.n = 0, .stop_after = 2, .interrupt = &stop};
	struct plan_runner r = {&sc, NULL, 0, 2, &stop, collect, NULL, &c, NULL, NULL};
	struct herr e;
	cr_expect_eq(plan_run(&r, jobs, n, &e), 1);
	cr_expect(c.n >= 2 && c.n < n, "%zu results of %zu", c.n, n);
	for (size_t i = 0; i < c.n; i++) {
		cr_expect(!c.r[i]->st.interrupted);
		cr_expect(fabs(c.r[i]->st.sim_s - 120) < 1e-9);
		plan_result_free(c.r[i]);
	}
	scn_free(&sc);
}

Test(plan, a_variant_that_cannot_load_stops_the_runner)
{
	struct scenario sc;
	load_ok(&sc, "small.yaml", SMALL);
	/* The file changes under the plan: variants no longer load. */
	put("small.yaml", "name: small\n");
	struct plan_job jobs[64];
	size_t n = make_jobs(&sc, 2, jobs);
	atomic_int stop = 0;
	struct collected c = {.n = 0, .interrupt = &stop};
	struct plan_runner r = {&sc, NULL, 0, 2, &stop, collect, NULL, &c, NULL, NULL};
	struct herr e = {""};
	cr_expect_eq(plan_run(&r, jobs, n, &e), -1);
	cr_expect(strstr(e.msg, "variant 'services.order.buffer=100% services.payment.buffer=100%'"), "%s", e.msg);
	cr_expect_eq(c.n, 0);
	scn_free(&sc);
}
