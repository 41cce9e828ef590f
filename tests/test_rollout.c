/*
 * Progressive delivery (models/rollout.h, sim/scn_rollout.c) against
 * hand-computed cases and Argo Rollouts' own tables:
 *   - replica counts: trafficWeightToReplicas and
 *     CalculateReplicaCountsForTrafficRoutedCanary, and the examples in the
 *     comment above CalculateReplicaCountsForCanary
 *     (argoproj/argo-rollouts utils/replicaset/canary.go);
 *   - the abort weight with dynamicStableScale
 *     (rollout/trafficrouting.go calculateDesiredWeightOnAbortOrStableRollback);
 *   - a measurement's verdict (utils/evaluate/evaluate.go) and a metric's
 *     phase with failureLimit, inconclusiveLimit, consecutiveErrorLimit
 *     (analysis/analysis.go assessMetricStatus);
 *   - runs: the weight waits for the canary pods (AR#1029), an abort puts
 *     every request back on the stable version, and the canary's observed
 *     share of requests is within the binomial 99.9 % bounds of its weight
 *     (Envoy's per-request weighted cluster draw);
 *   - the rollout's extra node-hours and cost: 2 canary pods for 90 s on
 *     nodes of a known allocatable CPU and price, by hand to 1e-9;
 *   - bad input: file:line:col.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "harness.h"
#include "rollout.h"
#include "run.h"
#include "scn_rollout.h"

/* ---- replica counts ---- */

Test(rollout, routed_counts_at_10_50_100_percent)
{
	/* ceil(w x N / 100): 4 replicas -> 1, 2, 4; 10 -> 1, 5, 10; the stable set stays N. */
	const int32_t w[] = {10, 50, 100}, of4[] = {1, 2, 4}, of10[] = {1, 5, 10};
	for (int i = 0; i < 3; i++) {
		struct ro_counts a = ro_routed_counts(4, w[i], -1, false, false);
		struct ro_counts b = ro_routed_counts(10, w[i], -1, false, false);
		cr_expect_eq(a.canary, of4[i], "4 at %d%%: %d", w[i], a.canary);
		cr_expect_eq(a.stable, 4);
		cr_expect_eq(b.canary, of10[i], "10 at %d%%: %d", w[i], b.canary);
		cr_expect_eq(b.stable, 10);
	}
	cr_expect_eq(ro_weight_replicas(10, 0), 0);
	cr_expect_eq(ro_weight_replicas(3, 1), 1); /* 0.03 rounds up */
}

Test(rollout, dynamic_stable_scale_counts)
{
	/* stable = ceil((100 - w) N / 100), but no less than its weight now needs. */
	struct ro_counts c = ro_routed_counts(10, 50, 50, true, false);
	cr_expect_eq(c.canary, 5);
	cr_expect_eq(c.stable, 5);
	/* going up from 10 % to 50 %: the stable set keeps 9 until the weight moves */
	c = ro_routed_counts(10, 50, 10, true, false);
	cr_expect_eq(c.stable, 9);
	/* aborted at weight 50: desired 0, but the canary keeps what 50 % needs, the stable set goes to 10 */
	c = ro_routed_counts(10, 0, 50, true, true);
	cr_expect_eq(c.canary, 5);
	cr_expect_eq(c.stable, 10);
}

/* Reaches the end state of weight w from (canary, stable) by repeated
 * reconciles with every pod available at once; returns the last counts and
 * checks the surge and availability bounds on the way. */
static struct ro_counts converge(int32_t n, int32_t w, struct ro_counts c, int32_t surge, int32_t unavail)
{
	for (int k = 0; k < 50; k++) {
		struct ro_counts next =
			ro_basic_counts(n, w, (struct ro_rs){c.canary, c.canary}, (struct ro_rs){c.stable, c.stable}, surge,
					unavail);
		bool extra = (int64_t)n * w % 100 != 0;
		cr_expect_leq(next.canary + next.stable, n + surge + extra, "more than N + maxSurge pods");
		cr_expect_geq(HR_MIN(next.canary, c.canary) + HR_MIN(next.stable, c.stable), n - unavail,
			      "fewer than N - maxUnavailable available");
		if (next.canary == c.canary && next.stable == c.stable)
			return c;
		c = next;
	}
	cr_assert_fail("no fixed point");
	return c;
}

Test(rollout, basic_counts_at_10_50_100_percent)
{
	/* Without a router both sets round up: 4 -> canary 1, 2, 4 with stable 4, 2, 0; 10 -> 1, 5, 10 / 9, 5, 0. */
	const int32_t w[] = {10, 50, 100}, c4[] = {1, 2, 4}, s4[] = {4, 2, 0}, c10[] = {1, 5, 10}, s10[] = {9, 5, 0};
	struct ro_counts a = {0, 4}, b = {0, 10};
	for (int i = 0; i < 3; i++) {
		a = converge(4, w[i], a, 1, 1); /* 25 % of 4 */
		b = converge(10, w[i], b, 3, 2); /* 25 % of 10: surge rounds up, unavailable down */
		cr_expect_eq(a.canary, c4[i], "4 at %d%%: canary %d", w[i], a.canary);
		cr_expect_eq(a.stable, s4[i], "4 at %d%%: stable %d", w[i], a.stable);
		cr_expect_eq(b.canary, c10[i], "10 at %d%%: canary %d", w[i], b.canary);
		cr_expect_eq(b.stable, s10[i], "10 at %d%%: stable %d", w[i], b.stable);
	}
}

Test(rollout, basic_counts_upstream_examples)
{
	/* The examples above CalculateReplicaCountsForCanary (utils/replicaset/canary.go). */
	struct {
		int32_t n, w, surge, unavail, canary, stable;
	} t[] = {
		{10, 10, 1, 1, 1, 9}, {10, 30, 3, 0, 3, 10}, {10, 30, 0, 5, 0, 7},
		{10, 5, 1, 1, 1, 10}, {1, 5, 1, 0, 1, 1},    {1, 95, 1, 0, 1, 1},
	};
	/* (The comment gives 10 at 5 % as 1 and 9; the function's own rule rounds the stable count
	 * ceil(9.5) = 10 and its surge allows 10 + 1, so it returns 1 and 10: the code is followed.) */
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		struct ro_counts c = ro_basic_counts(t[i].n, t[i].w, (struct ro_rs){0, 0},
						     (struct ro_rs){t[i].n, t[i].n}, t[i].surge, t[i].unavail);
		cr_expect_eq(c.canary, t[i].canary, "case %zu: canary %d", i, c.canary);
		cr_expect_eq(c.stable, t[i].stable, "case %zu: stable %d", i, c.stable);
	}
}

Test(rollout, abort_weight_steps_back_with_stable_availability)
{
	cr_expect_eq(ro_abort_weight(10, 0, 50, false), 0); /* no dynamic scaling: the stable set is full */
	/* 100 - 100 x available / N, never above the weight now */
	cr_expect_eq(ro_abort_weight(10, 5, 50, true), 50);
	cr_expect_eq(ro_abort_weight(10, 6, 50, true), 40);
	cr_expect_eq(ro_abort_weight(10, 8, 40, true), 20);
	cr_expect_eq(ro_abort_weight(10, 10, 20, true), 0);
	cr_expect_eq(ro_abort_weight(10, 9, 20, true), 10);
	cr_expect_eq(ro_abort_weight(3, 1, 100, true), 67); /* 100 - 33 (integer division) */
	cr_expect_eq(ro_abort_weight(10, 2, 10, true), 10); /* flapping availability never raises it */
}

/* ---- the canary's next move ---- */

static struct scn_delivery one_step(bool router, bool dynamic)
{
	static struct ro_step steps[2];
	steps[0] = (struct ro_step){RO_STEP_WEIGHT, 10, 0, 0, 0};
	steps[1] = (struct ro_step){RO_STEP_PAUSE, 0, SIM_FOREVER, 0, 0};
	struct scn_delivery d = {0};
	d.steps = steps;
	d.n_steps = 2;
	d.traffic_routing = router;
	d.dynamic_stable_scale = dynamic;
	d.abort_scale_down_delay = 30 * SIM_S;
	d.max_surge = d.max_unavailable = (struct scn_intpct){true, 25};
	return d;
}

Test(rollout, weight_waits_for_the_canary_pods)
{
	struct scn_delivery d = one_step(true, false);
	struct ro_state st = {.n = 10, .step = 0, .weight = 0, .canary = {0, 0}, .stable = {10, 10}};
	struct ro_plan p = ro_canary_plan(&d, &st, 0);
	cr_expect_eq(p.rs.canary, 1);
	cr_expect_eq(p.rs.stable, 10);
	cr_expect_eq(p.weight, 0, "weight before the canary pod exists");
	cr_expect_not(p.advance);
	st.canary = (struct ro_rs){1, 0}; /* created, not Ready */
	p = ro_canary_plan(&d, &st, SIM_S);
	cr_expect_eq(p.weight, 0, "weight before the canary pod is available");
	cr_expect_not(p.advance);
	st.canary = (struct ro_rs){1, 1};
	p = ro_canary_plan(&d, &st, 2 * SIM_S);
	cr_expect_eq(p.weight, 10);
	cr_expect(p.advance);
	/* the pause without a duration never completes */
	st.step = 1;
	st.weight = 10;
	p = ro_canary_plan(&d, &st, SIM_HOUR);
	cr_expect_not(p.advance);
	cr_expect_eq(p.weight, 10);
}

Test(rollout, abort_keeps_the_canary_for_its_delay)
{
	struct scn_delivery d = one_step(true, false);
	struct ro_state st = {.n = 10, .step = 1, .weight = 10, .aborted = true, .aborted_at = 100 * SIM_S,
			      .canary = {1, 1}, .stable = {10, 10}};
	struct ro_plan p = ro_canary_plan(&d, &st, 100 * SIM_S);
	cr_expect_eq(p.weight, 0, "the stable set takes all traffic at once");
	cr_expect_eq(p.rs.canary, 1, "the canary stays for abortScaleDownDelaySeconds");
	p = ro_canary_plan(&d, &st, 130 * SIM_S);
	cr_expect_eq(p.rs.canary, 0);
	cr_expect_eq(p.rs.stable, 10);
	cr_expect_not(p.advance);
	/* abortScaleDownDelaySeconds: 0 keeps the canary pods (argo-rollouts
	 * pkg/apis/rollouts/v1alpha1/types.go: "0 means canary pods are not scaled down") */
	d.abort_scale_down_delay = 0;
	p = ro_canary_plan(&d, &st, SIM_HOUR);
	cr_expect_eq(p.rs.canary, 1, "abortScaleDownDelaySeconds 0: the canary is not scaled down");
	cr_expect_eq(p.weight, 0);
}

Test(rollout, dynamic_abort_steps_back_as_stable_pods_come)
{
	struct scn_delivery d = one_step(true, true);
	d.steps[0].weight = 50;
	/* at 50 %: stable scaled to 5; aborted, stable back to 10 as its pods come up */
	struct ro_state st = {.n = 10, .step = 1, .weight = 50, .aborted = true, .canary = {5, 5}, .stable = {5, 5}};
	int32_t expect_w[] = {50, 40, 30, 20, 10, 0}, expect_c[] = {5, 4, 3, 2, 1, 0};
	for (int k = 0; k <= 5; k++) {
		st.stable = (struct ro_rs){10, 5 + k};
		struct ro_plan p = ro_canary_plan(&d, &st, k * SIM_S);
		cr_expect_eq(p.rs.stable, 10);
		cr_expect_eq(p.weight, expect_w[k], "stable %d available: weight %d", 5 + k, p.weight);
		st.weight = p.weight;
		p = ro_canary_plan(&d, &st, k * SIM_S);
		cr_expect_eq(p.rs.canary, expect_c[k], "weight %d: canary %d", st.weight, p.rs.canary);
	}
}

/* ---- analysis ---- */

static struct am_metric metric(int32_t failure_limit)
{
	struct am_metric m = {0};
	m.failure_limit = failure_limit;
	m.consecutive_error_limit = 4;
	m.failure = (struct am_cond){1, false, {AM_GT}, {0.03}};
	m.interval = 60 * SIM_S;
	return m;
}

Test(rollout, failure_limit_0_fails_on_one)
{
	struct am_metric m = metric(0);
	struct am_tally t = {0};
	am_tally_add(&t, am_evaluate(&m, 0.01));
	cr_expect_eq(am_metric_phase(&m, &t), AM_RUNNING);
	am_tally_add(&t, am_evaluate(&m, 0.05));
	cr_expect_eq(am_metric_phase(&m, &t), AM_FAILED);
}

Test(rollout, failure_limit_3_needs_a_fourth)
{
	struct am_metric m = metric(3);
	struct am_tally t = {0};
	for (int k = 1; k <= 3; k++) {
		am_tally_add(&t, am_evaluate(&m, 0.2));
		cr_expect_eq(am_metric_phase(&m, &t), AM_RUNNING, "after %d failures", k);
	}
	am_tally_add(&t, am_evaluate(&m, 0.2));
	cr_expect_eq(am_metric_phase(&m, &t), AM_FAILED);
}

Test(rollout, measurement_verdicts)
{
	/* utils/evaluate: failureCondition alone, successCondition alone, both, none; NaN is no data. */
	struct am_metric f = metric(0), s = {0}, both = {0}, none = {0};
	s.success = (struct am_cond){1, false, {AM_LE}, {200}};
	both.success = (struct am_cond){1, false, {AM_LT}, {0.01}};
	both.failure = (struct am_cond){1, false, {AM_GT}, {0.03}};
	cr_expect_eq(am_evaluate(&f, 0.03), AM_SUCCESSFUL);
	cr_expect_eq(am_evaluate(&f, 0.031), AM_FAILED);
	cr_expect_eq(am_evaluate(&s, 200), AM_SUCCESSFUL);
	cr_expect_eq(am_evaluate(&s, 201), AM_FAILED);
	cr_expect_eq(am_evaluate(&both, 0.005), AM_SUCCESSFUL);
	cr_expect_eq(am_evaluate(&both, 0.05), AM_FAILED);
	cr_expect_eq(am_evaluate(&both, 0.02), AM_INCONCLUSIVE);
	cr_expect_eq(am_evaluate(&none, 7), AM_SUCCESSFUL);
	cr_expect_eq(am_evaluate(&f, NAN), AM_ERROR);
	/* terms joined by || and && */
	struct am_metric o = {0};
	o.failure = (struct am_cond){2, true, {AM_LT, AM_GT}, {0, 1}};
	cr_expect_eq(am_evaluate(&o, 2), AM_FAILED);
	cr_expect_eq(am_evaluate(&o, 0.5), AM_SUCCESSFUL);
	o.failure.any = false;
	cr_expect_eq(am_evaluate(&o, 2), AM_SUCCESSFUL);
}

Test(rollout, limits_on_inconclusive_and_errors)
{
	struct am_metric m = metric(0);
	m.success = (struct am_cond){1, false, {AM_LT}, {0.01}};
	m.inconclusive_limit = 1;
	struct am_tally t = {0};
	am_tally_add(&t, am_evaluate(&m, 0.02));
	cr_expect_eq(am_metric_phase(&m, &t), AM_RUNNING);
	am_tally_add(&t, am_evaluate(&m, 0.02));
	cr_expect_eq(am_metric_phase(&m, &t), AM_INCONCLUSIVE);
	/* consecutiveErrorLimit 4: the fifth error in a row; a success in between resets the run */
	struct am_tally e = {0};
	for (int k = 0; k < 4; k++)
		am_tally_add(&e, AM_ERROR);
	am_tally_add(&e, AM_SUCCESSFUL);
	for (int k = 0; k < 4; k++)
		am_tally_add(&e, AM_ERROR);
	cr_expect_eq(am_metric_phase(&m, &e), AM_RUNNING);
	am_tally_add(&e, AM_ERROR);
	cr_expect_eq(am_metric_phase(&m, &e), AM_ERROR);
	/* count reached: Successful */
	m.count = 3;
	struct am_tally c = {0};
	for (int k = 0; k < 3; k++)
		am_tally_add(&c, AM_SUCCESSFUL);
	cr_expect_eq(am_metric_phase(&m, &c), AM_SUCCESSFUL);
}

Test(rollout, query_values)
{
	struct ro_vstats *v = calloc(2, sizeof *v);
	cr_assert(v);
	v[1].c.served = 97;
	v[1].c.errors = 3;
	for (int i = 0; i < 100; i++) {
		hist_add(&v[0].h, 100 * SIM_MS);
		hist_add(&v[1].h, 350 * SIM_MS);
	}
	v[0].c.served = 100;
	cr_expect_float_eq(am_value(AM_CANARY_ERROR_RATE, &v[0], &v[1]), 0.03, 1e-12);
	cr_expect_float_eq(am_value(AM_STABLE_ERROR_RATE, &v[0], &v[1]), 0, 1e-12);
	cr_expect_float_eq(am_value(AM_P99_DELTA, &v[0], &v[1]), 250, 250 / 128.0);
	struct ro_vstats empty = {0};
	cr_expect(isnan(am_value(AM_CANARY_ERROR_RATE, &v[0], &empty)));
	free(v);
}

/* ---- runs ---- */

#define MAX_VROWS 4000
static struct row_version vrows[MAX_VROWS];
static size_t n_vrows;

static void keep_version(void *ctx, const struct row_version *r)
{
	(void)ctx;
	if (n_vrows < MAX_VROWS)
		vrows[n_vrows++] = *r;
}

struct drow {
	double t;
	char event[24];
	int weight;
	char detail[200];
};
#define MAX_DROWS 4000
static struct drow drows[MAX_DROWS];
static size_t n_drows;

static void keep_decision(void *ctx, const struct row_decision *r)
{
	(void)ctx;
	if (strcmp(r->kind, "rollout") || n_drows == MAX_DROWS)
		return;
	struct drow *d = &drows[n_drows++];
	d->t = r->t_s;
	snprintf(d->event, sizeof d->event, "%s", r->event);
	snprintf(d->detail, sizeof d->detail, "%s", r->detail ? r->detail : "");
	d->weight = r->raw;
}

static void run_text(const char *text, uint64_t seed)
{
	char dir[] = "/tmp/hr-rollout-XXXXXX";
	cr_assert(mkdtemp(dir));
	struct scenario sc;
	harness_load(&sc, harness_put(dir, "s.yaml", text));
	n_vrows = n_drows = 0;
	struct sink out = {.decision = keep_decision, .version = keep_version};
	struct run_stats rs;
	run_once(&sc, seed, &out, NULL, &rs);
	scn_free(&sc);
	char cmd[80];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static double first(const char *event)
{
	for (size_t i = 0; i < n_drows; i++)
		if (!strcmp(drows[i].event, event))
			return drows[i].t;
	return -1;
}

#define SCN_HEAD                                                                                           \
	"name: r\nseed: 5\nduration: 12m\nsample_interval: 10s\n"                                          \
	"services:\n"                                                                                      \
	"  pay:\n"                                                                                         \
	"    replicas: 4\n"                                                                                \
	"    resources: {requests: {cpu: '1'}}\n"                                                          \
	"    cpu_per_request: {distribution: exponential, mean: 10ms}\n"                                   \
	"    traffic: {rate: 100rps}\n"                                                                    \
	"    startup: {image_pull: {first: 1s, cached: 1s}, container_start: 1s, app_start: 20s,\n"        \
	"              readinessProbe: {initialDelaySeconds: 0, periodSeconds: 5}}\n"                     \
	"    rollout:\n"                                                                                   \
	"      at: 1m\n"

#define SCN_ANALYSIS                                                                                     \
	"      analysis:\n"                                                                                \
	"        - apiVersion: argoproj.io/v1alpha1\n"                                                     \
	"          kind: AnalysisTemplate\n"                                                               \
	"          metadata: {name: errors}\n"                                                             \
	"          spec:\n"                                                                                \
	"            metrics:\n"                                                                           \
	"              - {name: error-rate, interval: 1m, failureCondition: 'result[0] > 0.03',\n"       \
	"                 provider: {headroom: {query: canary-error-rate}}}\n"

#define SCN_ROLLOUT(steps)                                                                               \
	"      manifest:\n"                                                                                \
	"        apiVersion: argoproj.io/v1alpha1\n"                                                       \
	"        kind: Rollout\n"                                                                          \
	"        metadata: {name: pay}\n"                                                                  \
	"        spec:\n"                                                                                  \
	"          strategy:\n"                                                                            \
	"            canary:\n"                                                                            \
	"              trafficRouting: {istio: {virtualService: {name: pay}}}\n"                           \
	"              analysis: {templates: [{templateName: errors}]}\n"                                  \
	"              steps: " steps "\n"

Test(rollout, run_weight_after_canary_ready_and_binomial_share)
{
	run_text(SCN_HEAD "      version: {}\n" SCN_ANALYSIS SCN_ROLLOUT("[{setWeight: 20}, {pause: {}}]"), 5);
	double start = first("started"), weight = first("weight");
	cr_assert_float_eq(start, 60, 1e-9, "started at %.17g (%zu rollout rows)", start, n_drows);
	/* the canary pod needs 1 + 1 + 20 s and its first probe after that: no weight before */
	cr_expect_geq(weight, 60 + 22, "weight set at %g, before the canary pod could be Ready", weight);
	cr_expect_leq(weight, 60 + 22 + 6);
	cr_expect_eq(first("aborted"), -1);
	/* after the weight: the canary's share of the requests that ended on either version */
	int64_t can = 0, all = 0;
	for (size_t i = 0; i < n_vrows; i++) {
		if (vrows[i].t_s <= weight + 10)
			continue;
		all += vrows[i].requests;
		if (vrows[i].version == 1)
			can += vrows[i].requests;
	}
	cr_assert_gt(all, 50000);
	double p = 0.2, sd = sqrt(p * (1 - p) / (double)all), share = (double)can / (double)all;
	/* 99.9 % two-sided: z = 3.29 */
	cr_expect(fabs(share - p) <= 3.29 * sd, "share %.4f, weight 0.2 +- %.4f over %lld requests", share, 3.29 * sd,
		  (long long)all);
}

Test(rollout, run_bad_release_is_aborted_and_the_stable_set_takes_all)
{
	run_text(SCN_HEAD "      version: {error_rate: 10%}\n" SCN_ANALYSIS SCN_ROLLOUT("[{setWeight: 50}, {pause: {}}]"), 5);
	double abort = first("aborted"), back = first("rolled-back");
	cr_assert_gt(abort, 60);
	cr_expect_eq(back, abort, "without dynamicStableScale the weight goes to 0 at once");
	/* the first measurement: one interval after the start */
	cr_expect_float_eq(abort, 120, 1e-9, "aborted at %.17g", abort);
	int64_t after = 0, stable_after = 0;
	for (size_t i = 0; i < n_vrows; i++) {
		if (vrows[i].t_s <= abort + 10)
			continue;
		if (vrows[i].version == 1) {
			after += vrows[i].requests;
			cr_expect_eq(vrows[i].weight, 0);
		} else {
			stable_after += vrows[i].requests;
		}
	}
	cr_expect_eq(after, 0, "%lld requests on the canary after the rollback", (long long)after);
	cr_expect_gt(stable_after, 0);
	/* abortScaleDownDelaySeconds 30: the canary pods go then */
	for (size_t i = 0; i < n_vrows; i++)
		if (vrows[i].version == 1 && vrows[i].t_s >= abort + 40)
			cr_expect_eq(vrows[i].pods, 0, "canary pods at %g", vrows[i].t_s);
}

Test(rollout, run_good_release_is_promoted)
{
	run_text(SCN_HEAD "      version: {}\n" SCN_ANALYSIS SCN_ROLLOUT("[{setWeight: 50}, {pause: {duration: 2m}}]"), 5);
	double promoted = first("promoted");
	cr_assert_gt(promoted, 60 + 120);
	cr_expect_eq(first("aborted"), -1);
	/* after promotion and scaleDownDelaySeconds (30 s) only the new version has pods */
	for (size_t i = 0; i < n_vrows; i++)
		if (vrows[i].t_s >= promoted + 40)
			cr_expect_eq(vrows[i].pods, vrows[i].version ? 4 : 0, "version %d at %g: %d pods",
				     vrows[i].version, vrows[i].t_s, vrows[i].pods);
}

Test(rollout, run_added_latency_shows_in_the_delta)
{
	/* every request of the new version takes 300 ms longer: canary p99 - stable p99 is 300 ms give or
	 * take the spread of 10 ms exponential CPU work (p99 of Exp(10 ms) is 46 ms) and the histogram's 1/128 */
	const char *text = SCN_HEAD "      version: {latency: 300ms}\n"
				    "      analysis:\n"
				    "        - apiVersion: argoproj.io/v1alpha1\n"
				    "          kind: AnalysisTemplate\n"
				    "          metadata: {name: errors}\n"
				    "          spec:\n"
				    "            metrics:\n"
				    "              - {name: slower, interval: 1m, count: 3, provider: {headroom: {query: "
				    "canary-p99-delta}}}\n" SCN_ROLLOUT("[{setWeight: 50}, {pause: {}}]");
	char dir[] = "/tmp/hr-rollout-XXXXXX";
	cr_assert(mkdtemp(dir));
	struct scenario sc;
	harness_load(&sc, harness_put(dir, "s.yaml", text));
	struct memsink m = memsink_run(&sc, NULL);
	int seen = 0;
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (strcmp(r->kind, "rollout") || strcmp(r->event, "measurement") || r->t_s < 150)
			continue;
		double v = NAN;
		const char *p = strstr(r->metrics, "\"value\":");
		cr_assert(p);
		v = strtod(p + 8, NULL);
		cr_expect(v > 300 - 50 && v < 300 + 50, "delta %g ms at %g s", v, r->t_s);
		seen++;
	}
	cr_expect_eq(seen, 2, "measurements after the weight: %d", seen);
	memsink_free(&m);
	scn_free(&sc);
	char cmd[80];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(rollout, run_blue_green_holds_twice_the_pods_until_after_the_switch)
{
	run_text(SCN_HEAD "      version: {}\n"
			  "      manifest:\n"
			  "        apiVersion: argoproj.io/v1alpha1\n"
			  "        kind: Rollout\n"
			  "        spec:\n"
			  "          strategy:\n"
			  "            blueGreen: {activeService: pay, previewService: pay-preview, scaleDownDelaySeconds: 30}\n",
		 5);
	double ready = first("preview-ready"), sw = first("switched"), promoted = first("promoted");
	cr_assert_gt(ready, 60);
	cr_expect_float_eq(sw, ready, 1e-9, "the full preview is available: the switch at once");
	cr_expect_float_eq(promoted, sw, 1e-9, "no analysis: promoted at the switch");
	for (size_t i = 0; i < n_vrows; i++) {
		const struct row_version *v = &vrows[i];
		if (v->t_s > sw + 5 && v->t_s < sw + 25) /* both sets: 2N */
			cr_expect_eq(v->pods, 4, "version %d at %g: %d pods", v->version, v->t_s, v->pods);
		if (v->t_s > sw + 5)
			cr_expect_eq(v->weight, v->version ? 100 : 0);
		if (v->t_s > sw + 40)
			cr_expect_eq(v->pods, v->version ? 4 : 0, "version %d at %g: %d pods", v->version, v->t_s,
				     v->pods);
		if (v->t_s < ready - 1 && v->t_s > 60 && v->version == 1)
			cr_expect_eq(v->requests, 0, "the preview takes no traffic");
	}
}

Test(rollout, run_blue_green_abort_scales_the_new_set_down_after_its_delay)
{
	/* 10 % 5xx: the post-promotion analysis fails at its first measurement, the active service goes
	 * back to the old version, and the new set is scaled down after the blueGreen's own
	 * abortScaleDownDelaySeconds (a BlueGreenStrategy field, argo-rollouts
	 * pkg/apis/rollouts/v1alpha1/types.go): 5 s here, not the default 30 s; and 0 keeps it ("0 means
	 * not to scale down"). */
	for (int delay = 5; delay >= 0; delay -= 5) {
		char text[4096];
		snprintf(text, sizeof text,
			 SCN_HEAD "      version: {error_rate: 10%%}\n" SCN_ANALYSIS
				  "      manifest:\n"
				  "        apiVersion: argoproj.io/v1alpha1\n"
				  "        kind: Rollout\n"
				  "        spec:\n"
				  "          strategy:\n"
				  "            blueGreen: {activeService: pay, previewService: pay-preview, "
				  "abortScaleDownDelaySeconds: %d,\n"
				  "                        postPromotionAnalysis: {templates: [{templateName: errors}]}}\n",
			 delay);
		run_text(text, 5);
		double sw = first("switched"), abort = first("aborted"), back = first("rolled-back");
		cr_assert_gt(sw, 60);
		cr_expect_float_eq(abort, sw + 60, 1e-9, "the first measurement one interval after the switch: %g", abort);
		cr_expect_float_eq(back, abort, 1e-9);
		cr_expect_eq(first("promoted"), -1);
		int seen = 0;
		for (size_t i = 0; i < n_vrows; i++) {
			const struct row_version *v = &vrows[i];
			if (v->version == 1 && v->t_s >= abort + 15) {
				seen++;
				cr_expect_eq(v->pods, delay ? 0 : 4, "delay %d: new version at %g (abort at %g): %d pods", delay,
					     v->t_s, abort, v->pods);
				cr_expect_eq(v->weight, 0);
			}
		}
		cr_expect_gt(seen, 0);
	}
}

/* The client's error rate after the weight is set, from the service's samples. */
static double client_error_rate(const struct memsink *m, double after, int64_t *ended)
{
	int64_t errors = 0;
	double served = 0;
	for (size_t i = 0; i < m->n_samples; i++) {
		const struct row_sample *r = &m->samples[i];
		if (r->t_s <= after)
			continue;
		errors += r->errors;
		served += r->served_rps * 10; /* sample_interval 10 s */
	}
	*ended = errors + (int64_t)llround(served);
	return (double)errors / (double)*ended;
}

Test(rollout, run_istio_retries_hide_canary_errors_from_the_client)
{
	/* Canary at 50 % of 4 replicas (2 canary pods, 4 stable) answering half its requests 5xx: a
	 * first attempt goes to a given canary pod with probability 1/4 and fails with 1/2 x 1/2 = 1/4.
	 * A retry draws again, rejecting the pod that failed up to 5 times (previous_hosts): it lands on
	 * the other canary pod with probability 1/4 (1 + 1/4 + ... + 1/4^4), or on the same one after 5
	 * rejected draws with 1/4^5, and fails with half that: q = 0.16699. With 2 retries the client
	 * sees 1/4 x q^2 = 0.00697 of its requests fail (without: 1/4), while the canary's own 5xx share
	 * stays 1/2 (what the destination reports). */
	const char *text = SCN_HEAD "      version: {error_rate: 50%}\n"
				    "      manifest:\n"
				    "        apiVersion: argoproj.io/v1alpha1\n"
				    "        kind: Rollout\n"
				    "        spec:\n"
				    "          strategy:\n"
				    "            canary:\n"
				    "              trafficRouting: {istio: {virtualService: {name: pay}}}\n"
				    "              steps: [{setWeight: 50}, {pause: {}}]\n";
	const double q = 0.5 * (0.25 * (1 - pow(0.25, 5)) / 0.75 + pow(0.25, 5)), want[] = {0.25, 0.25 * q * q};
	for (int retries = 0; retries <= 2; retries += 2) {
		char dir[] = "/tmp/hr-rollout-XXXXXX", buf[4096];
		cr_assert(mkdtemp(dir));
		snprintf(buf, sizeof buf, "%s      retries: {attempts: %d}\n", text, retries);
		struct scenario sc;
		harness_load(&sc, harness_put(dir, "s.yaml", buf));
		struct memsink m = memsink_run(&sc, NULL);
		double weight = memsink_first(&m, "weight", NULL, NULL);
		cr_assert_gt(weight, 60);
		int64_t n;
		double rate = client_error_rate(&m, weight + 10, &n), p = want[retries / 2];
		double sd = sqrt(p * (1 - p) / (double)n);
		cr_expect(fabs(rate - p) <= 3.29 * sd, "retries %d: client error rate %.4f, want %.4f +- %.4f (%lld requests)",
			  retries, rate, p, 3.29 * sd, (long long)n);
		memsink_free(&m);
		scn_free(&sc);
		char cmd[80];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		cr_assert_eq(system(cmd), 0);
	}
}

Test(rollout, run_dynamic_stable_scale_abort_steps_back_with_the_stable_pods)
{
	/* At 50 % of 4 with dynamicStableScale the stable set is 2 pods. The abort (its first measurement)
	 * scales it back to 4, and the weight may only drop as they become available: 100 - 100 x available
	 * / 4, so it stays at 50 until a new stable pod is Ready (20 s of app start at least), and all
	 * traffic is back on the stable version only once all four are. */
	char text[4096];
	snprintf(text, sizeof text, "%s",
		 SCN_HEAD "      version: {error_rate: 10%}\n" SCN_ANALYSIS SCN_ROLLOUT("[{setWeight: 50}, {pause: {}}]"));
	char *tr = strstr(text, "              trafficRouting");
	cr_assert(tr);
	const char *dyn = "              dynamicStableScale: true\n";
	memmove(tr + strlen(dyn), tr, strlen(tr) + 1);
	memcpy(tr, dyn, strlen(dyn));
	char *app = strstr(text, "app_start: 20s");
	cr_assert(app);
	const char *spread = "app_start: {distribution: uniform, mean: 20s, cv: 0.5}";
	memmove(app + strlen(spread), app + strlen("app_start: 20s"), strlen(app + strlen("app_start: 20s")) + 1);
	memcpy(app, spread, strlen(spread));
	run_text(text, 5);
	double abort = first("aborted"), back = first("rolled-back");
	cr_assert_gt(abort, 60);
	cr_expect_geq(back, abort + 10 - 1e-9, "rolled back at %g, aborted at %g: before a stable pod could start", back,
		      abort);
	int last = 50, drops = 0;
	for (size_t i = 0; i < n_drows; i++) {
		if (drows[i].t < abort || strcmp(drows[i].event, "weight"))
			continue;
		cr_expect_leq(drows[i].weight, last, "the weight went up at %g: %d after %d", drows[i].t, drows[i].weight,
			      last);
		cr_expect(drows[i].weight == 25 || drows[i].weight == 0, "weight %d at %g", drows[i].weight, drows[i].t);
		last = drows[i].weight;
		drops++;
	}
	cr_expect_eq(last, 0);
	cr_expect_geq(drops, 1);
}

Test(rollout, run_without_a_router_weights_by_pods)
{
	/* No trafficRouting: 50 % of 4 is 2 canary and 2 stable pods (both rounded up, reached within
	 * maxSurge 1 and maxUnavailable 1 of 4), and every Ready pod is equally likely: the canary takes
	 * half the requests, within the binomial 99.9 % bounds. */
	run_text(SCN_HEAD "      version: {}\n"
			  "      manifest:\n"
			  "        apiVersion: argoproj.io/v1alpha1\n"
			  "        kind: Rollout\n"
			  "        spec:\n"
			  "          strategy:\n"
			  "            canary:\n"
			  "              steps: [{setWeight: 50}, {pause: {}}]\n",
		 5);
	double step = -1;
	for (size_t i = 0; i < n_drows; i++)
		if (!strcmp(drows[i].event, "step") && strstr(drows[i].detail, "pause"))
			step = drows[i].t;
	cr_assert_gt(step, 60, "the setWeight step never completed");
	int64_t can = 0, all = 0;
	int max_total = 0;
	for (size_t i = 0; i + 1 < n_vrows; i += 2) {
		const struct row_version *a = &vrows[i], *b = &vrows[i + 1];
		cr_assert(a->version == 0 && b->version == 1 && a->t_s == b->t_s);
		max_total = HR_MAX(max_total, a->pods + b->pods);
		if (a->t_s <= step + 10)
			continue;
		cr_expect_eq(a->pods, 2);
		cr_expect_eq(b->pods, 2);
		all += a->requests + b->requests;
		can += b->requests;
	}
	cr_expect_leq(max_total, 4 + 1, "more than N + maxSurge pods");
	cr_assert_gt(all, 40000);
	double sd = sqrt(0.25 / (double)all), share = (double)can / (double)all;
	cr_expect(fabs(share - 0.5) <= 3.29 * sd, "share %.4f +- %.4f", share, 3.29 * sd);
}

Test(rollout, run_inconclusive_pauses)
{
	/* 2 % errors: neither below 1 % (success) nor above 5 % (failure): Inconclusive, and with
	 * inconclusiveLimit 0 the first one pauses the rollout; its steps stop at 20 %. */
	char text[4096];
	snprintf(text, sizeof text, "%s",
		 SCN_HEAD "      version: {error_rate: 2%}\n" SCN_ANALYSIS
			  SCN_ROLLOUT("[{setWeight: 20}, {pause: {duration: 3m}}, {setWeight: 60}]"));
	char *f = strstr(text, "failureCondition: 'result[0] > 0.03'");
	cr_assert(f);
	const char *both = "successCondition: 'result[0] < 0.01', failureCondition: 'result[0] > 0.05'";
	const char *rest = f + strlen("failureCondition: 'result[0] > 0.03'");
	memmove(f + strlen(both), rest, strlen(rest) + 1);
	memcpy(f, both, strlen(both));
	run_text(text, 5);
	double paused = first("paused");
	cr_assert_gt(paused, 60);
	cr_expect_eq(first("aborted"), -1);
	cr_expect_eq(first("promoted"), -1);
	for (size_t i = 0; i < n_drows; i++)
		if (!strcmp(drows[i].event, "weight"))
			cr_expect_eq(drows[i].weight, 20, "weight %d at %g", drows[i].weight, drows[i].t);
}

Test(rollout, run_count_0_without_interval_is_one_measurement)
{
	/* Argo's Metric.EffectiveCount (pkg/apis/rollouts/v1alpha1/analysis_types.go): count 0 or none
	 * without an interval is one measurement, 1 minute after the analysis starts here; not a
	 * measurement every reconcile. */
	char text[4096];
	snprintf(text, sizeof text, "%s",
		 SCN_HEAD "      version: {}\n" SCN_ANALYSIS SCN_ROLLOUT("[{setWeight: 20}, {pause: {}}]"));
	char *f = strstr(text, "interval: 1m");
	cr_assert(f);
	memcpy(f, "count: 0    ", 12);
	run_text(text, 5);
	int n = 0;
	for (size_t i = 0; i < n_drows; i++)
		n += !strcmp(drows[i].event, "measurement");
	cr_expect_eq(n, 1, "%d measurements", n);
	cr_expect_eq(first("aborted"), -1);
}

Test(rollout, run_dry_run_metric_is_measured_not_acted_on)
{
	/* 10 % 5xx fails the error-rate metric at every measurement; a template's spec.dryRun naming it
	 * (a regular expression, argo-rollouts utils/analysis/helpers.go GetDryRunMetrics) keeps its
	 * verdicts out of the rollout's: Failed measurements, no abort, and the release is promoted. */
	char text[4096];
	snprintf(text, sizeof text, "%s",
		 SCN_HEAD "      version: {error_rate: 10%}\n" SCN_ANALYSIS
			  SCN_ROLLOUT("[{setWeight: 50}, {pause: {duration: 3m}}]"));
	char *f = strstr(text, "            metrics:\n");
	cr_assert(f);
	const char *dry = "            dryRun: [{metricName: 'error-.*'}]\n";
	memmove(f + strlen(dry), f, strlen(f) + 1);
	memcpy(f, dry, strlen(dry));
	run_text(text, 5);
	int failed = 0;
	for (size_t i = 0; i < n_drows; i++)
		if (!strcmp(drows[i].event, "measurement")) {
			cr_expect(strstr(drows[i].detail, "Failed (dryRun"), "%s", drows[i].detail);
			failed++;
		}
	cr_expect_geq(failed, 1);
	cr_expect_eq(first("aborted"), -1);
	cr_expect_gt(first("promoted"), 60);
}

Test(rollout, run_inconclusive_ends_the_analysis)
{
	/* 2 % errors: error-rate (success below 1 %, failure above 5 %) is Inconclusive at its first
	 * measurement, 60 s after the start; a second metric failing above 1.5 % would measure 10 s
	 * later (initialDelay 10s). An Inconclusive metric terminates the AnalysisRun (argo-rollouts
	 * utils/analysis/helpers.go IsTerminating): the second never measures, and the rollout stays
	 * paused rather than aborting. */
	char text[4096];
	snprintf(text, sizeof text, "%s",
		 SCN_HEAD "      version: {error_rate: 2%}\n" SCN_ANALYSIS
			  SCN_ROLLOUT("[{setWeight: 50}, {pause: {duration: 5m}}]"));
	char *f = strstr(text, "failureCondition: 'result[0] > 0.03'");
	cr_assert(f);
	const char *both = "successCondition: 'result[0] < 0.01', failureCondition: 'result[0] > 0.05'";
	const char *rest = f + strlen("failureCondition: 'result[0] > 0.03'");
	memmove(f + strlen(both), rest, strlen(rest) + 1);
	memcpy(f, both, strlen(both));
	char *m = strstr(text, "                 provider: {headroom: {query: canary-error-rate}}}\n");
	cr_assert(m);
	m += strlen("                 provider: {headroom: {query: canary-error-rate}}}\n");
	const char *second = "              - {name: strict, interval: 1m, initialDelay: 10s, failureCondition: 'result[0] > 0.015',\n"
			     "                 provider: {headroom: {query: canary-error-rate}}}\n";
	memmove(m + strlen(second), m, strlen(m) + 1);
	memcpy(m, second, strlen(second));
	run_text(text, 5);
	double paused = first("paused");
	cr_assert_gt(paused, 60);
	cr_expect_eq(first("aborted"), -1, "aborted at %g after the pause at %g", first("aborted"), paused);
	int after = 0;
	for (size_t i = 0; i < n_drows; i++)
		after += !strcmp(drows[i].event, "measurement") && drows[i].t > paused;
	cr_expect_eq(after, 0, "%d measurements after the analysis ended", after);
}

Test(rollout, run_new_versions_cpu)
{
	/* 100 rps at 50 %: the stable half needs 50 x 10 ms = 0.5 cores; the new half 50 x 30 ms = 1.5
	 * cores, whether as cpu_factor 3 over the stable draws or as its own constant 30 ms. Over the
	 * last 8 minutes (compound Poisson: variance 50 x 480 x (2 x 10 ms^2 + 30 ms^2) core-s^2) the
	 * mean is 2.0 cores within 0.011 (one standard deviation); 4 of them are allowed. */
	const char *versions[] = {"{cpu_factor: 3}", "{cpu_per_request: 30ms}"};
	for (int k = 0; k < 2; k++) {
		char dir[] = "/tmp/hr-rollout-XXXXXX", text[4096];
		cr_assert(mkdtemp(dir));
		snprintf(text, sizeof text,
			 SCN_HEAD "      version: %s\n"
				  "      manifest:\n"
				  "        apiVersion: argoproj.io/v1alpha1\n"
				  "        kind: Rollout\n"
				  "        spec:\n"
				  "          strategy:\n"
				  "            canary:\n"
				  "              trafficRouting: {istio: {virtualService: {name: pay}}}\n"
				  "              steps: [{setWeight: 50}, {pause: {}}]\n",
			 versions[k]);
		struct scenario sc;
		harness_load(&sc, harness_put(dir, "s.yaml", text));
		struct memsink m = memsink_run(&sc, NULL);
		double sum = 0;
		int n = 0;
		for (size_t i = 0; i < m.n_samples; i++)
			if (m.samples[i].t_s > 245) {
				sum += m.samples[i].cpu_cores;
				n++;
			}
		cr_assert_eq(n, 48, "%d samples after 240 s", n);
		cr_expect(fabs(sum / n - 2.0) < 4 * 0.011, "%s: %.4f cores", versions[k], sum / n);
		memsink_free(&m);
		scn_free(&sc);
		char cmd[80];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		cr_assert_eq(system(cmd), 0);
	}
}

/* ---- the rollout's extra node-hours and cost (docs/rollouts.md) ---- */

Test(rollout, extra_share_is_the_extra_pods_mean_share)
{
	/* 6 live pods, spec.replicas 4: the 2 above it charged 2/6 of what the 6 hold */
	cr_expect_float_eq(ro_extra_share(6, 4, 1.2), 0.4, 1e-15);
	cr_expect_eq(ro_extra_share(4, 4, 1.2), 0);
	cr_expect_eq(ro_extra_share(3, 4, 1.2), 0, "fewer pods than spec.replicas: nothing extra, not a credit");
}

static struct row_rollout ro_row;
static int n_ro_rows;

static void keep_rollout(void *ctx, const struct row_rollout *r)
{
	(void)ctx;
	ro_row = *r;
	n_ro_rows++;
}

/* Two static nodes of a test catalog's type, 4 vCPU at 0.2 USD an hour:
 * Karpenter's allocatable CPU (and so headroom's) is 4 less kube-reserved,
 * 6 % of the first core, 1 % of the second, 0.5 % of the third and fourth
 * (karpenter-provider-aws pkg/providers/instancetype/types.go,
 * kubeReservedResources; models/scheduler.h sched_eks_allocatable):
 * 4 - 0.06 - 0.01 - 0.005 - 0.005 = 3.92 cores. */
#define EXTRA_PRICE 0.2
#define EXTRA_ALLOC 3.92
#define SCN_CLUSTER_HEAD                                                                                   \
	"name: r\nseed: 5\nduration: 4m\nsample_interval: 10s\n"                                           \
	"cluster:\n"                                                                                       \
	"  catalog: cat.csv\n"                                                                             \
	"  nodes: [{name: base, count: 2, instance: m5.xlarge}]\n"                                        \
	"services:\n"                                                                                      \
	"  pay:\n"                                                                                         \
	"    replicas: 4\n"                                                                                \
	"    resources: {requests: {cpu: '1'}}\n"                                                          \
	"    cpu_per_request: {distribution: exponential, mean: 10ms}\n"                                   \
	"    traffic: {rate: 100rps}\n"                                                                    \
	"    startup: {image_pull: {first: 1s, cached: 1s}, container_start: 1s, app_start: 20s,\n"        \
	"              readinessProbe: {initialDelaySeconds: 0, periodSeconds: 5}}\n"                     \
	"    rollout:\n"                                                                                   \
	"      at: 1m\n"

Test(rollout, run_extra_node_hours_and_cost_by_hand)
{
	/* The bad release of run_bad_release_is_aborted...: at 60 s the canary at 50 % of 4 replicas gets
	 * ceil(50 x 4 / 100) = 2 pods beside the 4 stable ones (both nodes have room: 3 pods of 1 core on
	 * each of 3.92); the first measurement at 120 s fails, and abortScaleDownDelaySeconds (30 s) later,
	 * at 150 s, the 2 go. So 2 pods above spec.replicas for 90 s: 2 x 90 / 3600 = 0.05 pod-hours,
	 * each holding 1 / 3.92 of a node: 0.05 / 3.92 node-hours, at 0.2 USD an hour: 0.05 x 0.2 / 3.92 USD. */
	char dir[] = "/tmp/hr-rollout-XXXXXX";
	cr_assert(mkdtemp(dir));
	harness_put(dir, "cat.csv",
		    "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
		    "m5.xlarge,amd64,4,16384,58,0.2\n");
	struct scenario sc;
	harness_load(&sc, harness_put(dir, "s.yaml",
				      SCN_CLUSTER_HEAD "      version: {error_rate: 10%}\n" SCN_ANALYSIS SCN_ROLLOUT(
					      "[{setWeight: 50}, {pause: {}}]") "expect:\n"
									      "  - pay.rollout.extra_pod_hours <= 3m\n"
									      "  - pay.rollout.extra_pod_hours < 0.05\n"
									      "  - pay.rollout.extra_node_hours <= 0.0128\n"
									      "  - pay.rollout.extra_node_hours < 0.0127\n"
									      "  - pay.rollout.extra_cost <= 0.0026\n"
									      "  - pay.rollout.extra_cost < 0.0025\n"));
	cr_assert_eq(sc.n_expects, 6);
	n_drows = n_ro_rows = 0;
	struct sink keep = {.decision = keep_decision, .rollout = keep_rollout};
	struct exp_results er;
	expect_results_init(&er, &sc, &keep);
	struct sink out = expect_sink(&er);
	struct run_stats rs;
	run_once(&sc, sc.seed, &out, NULL, &rs);
	/* the expectations read the same figures: 0.05 pod-hours, 0.012755 node-hours, 0.002551 USD */
	for (size_t i = 0; i < 6; i++) {
		double a;
		cr_expect_eq(expect_eval(&sc.expects[i], &er, &a), i % 2 == 0, "%s: actual %.17g", sc.expects[i].text, a);
	}
	char fmt[32];
	expect_fmt(fmt, sizeof fmt, EXP_USD, 0.05 * EXTRA_PRICE / EXTRA_ALLOC);
	cr_expect_str_eq(fmt, "0.00255 USD", "a rollout's cents are shown, not 0.00");
	expect_results_release(&er);
	scn_free(&sc);
	cr_assert_eq(n_ro_rows, 1);
	cr_assert_str_eq(ro_row.outcome, "aborted");
	cr_expect_float_eq(first("aborted"), 120, 1e-9);
	cr_expect_eq(ro_row.max_pods, 6);
	cr_expect_float_eq(ro_row.extra_pod_hours, 0.05, 1e-12, "%.17g pod-hours", ro_row.extra_pod_hours);
	cr_expect_float_eq(ro_row.extra_node_hours, 0.05 / EXTRA_ALLOC, 1e-12, "%.17g node-hours",
			   ro_row.extra_node_hours);
	cr_expect_float_eq(ro_row.extra_cost_usd, 0.05 * EXTRA_PRICE / EXTRA_ALLOC, 1e-9, "%.17g USD",
			   ro_row.extra_cost_usd);
	char cmd[80];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(rollout, run_without_a_cluster_has_no_extra_cost)
{
	char dir[] = "/tmp/hr-rollout-XXXXXX";
	cr_assert(mkdtemp(dir));
	struct scenario sc;
	harness_load(&sc, harness_put(dir, "s.yaml",
				      SCN_HEAD "      version: {error_rate: 10%}\n" SCN_ANALYSIS SCN_ROLLOUT(
					      "[{setWeight: 50}, {pause: {}}]")));
	n_ro_rows = 0;
	struct sink out = {.rollout = keep_rollout};
	struct run_stats rs;
	run_once(&sc, sc.seed, &out, NULL, &rs);
	scn_free(&sc);
	cr_assert_eq(n_ro_rows, 1);
	cr_expect_float_eq(ro_row.extra_pod_hours, 0.05, 1e-12, "the pods above spec.replicas are counted");
	cr_expect(isnan(ro_row.extra_node_hours) && isnan(ro_row.extra_cost_usd), "no nodes: no node-hours, no cost");
	char cmd[80];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* ---- expectations (headroom check) over a rollout ---- */

Test(rollout, expectations_read_the_outcome)
{
	/* the bad release of run_bad_release_is_aborted...: rolled back 60 s after its start */
	char dir[] = "/tmp/hr-rollout-XXXXXX", text[6000];
	cr_assert(mkdtemp(dir));
	snprintf(text, sizeof text, "%s%s",
		 SCN_HEAD "      version: {error_rate: 10%}\n" SCN_ANALYSIS SCN_ROLLOUT("[{setWeight: 50}, {pause: {}}]"),
		 "expect:\n"
		 "  - pay.rollout.rolled_back == true\n"
		 "  - pay.rollout.promoted == false\n"
		 "  - pay.rollout.rollback <= 60s\n"
		 "  - pay.rollout.rollback < 60s\n");
	struct scenario sc;
	harness_load(&sc, harness_put(dir, "s.yaml", text));
	cr_assert_eq(sc.n_expects, 4);
	struct exp_results r;
	expect_results_init(&r, &sc, NULL);
	struct sink out = expect_sink(&r);
	struct run_stats rs;
	run_once(&sc, sc.seed, &out, NULL, &rs);
	const bool want[] = {true, true, true, false};
	for (size_t i = 0; i < 4; i++) {
		double a;
		cr_expect_eq(expect_eval(&sc.expects[i], &r, &a), want[i], "%s: actual %g", sc.expects[i].text, a);
	}
	expect_results_release(&r);
	scn_free(&sc);
	char cmd[80];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* ---- bad input ---- */

static void load_fails(const char *text, const char *where, const char *what)
{
	char dir[] = "/tmp/hr-rollout-XXXXXX";
	cr_assert(mkdtemp(dir));
	struct scenario sc;
	struct herr e;
	const char *path = harness_put(dir, "s.yaml", text);
	int rc = scn_load(&sc, path, NULL, 0, &e);
	cr_expect_eq(rc, -1, "loaded: %s", text);
	if (!rc)
		scn_free(&sc);
	char want[300];
	snprintf(want, sizeof want, "%s/s.yaml:%s: ", dir, where);
	cr_expect(!strncmp(e.msg, want, strlen(want)), "got '%s', want '%s...'", e.msg, want);
	cr_expect(strstr(e.msg, what), "'%s' does not say '%s'", e.msg, what);
	char cmd[80];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(rollout, bad_input)
{
	/* SCN_HEAD has 14 lines; `version:` is line 15, the analysis 16-23, the manifest from 24 (steps: 33) */
	load_fails(SCN_HEAD "      version: {}\n" SCN_ANALYSIS SCN_ROLLOUT("[{setWeight: 50}, {setWeight: 10}]"), "33:52",
		   "weights may not go down");
	load_fails(SCN_HEAD "      version: {}\n" SCN_ANALYSIS SCN_ROLLOUT("[{setWeight: 101}]"), "33:35",
		   "out of range");
	load_fails(SCN_HEAD SCN_ANALYSIS SCN_ROLLOUT("[{setWeight: 10}]"), "14:7", "needs a second version");
	const char *bad_query = SCN_HEAD "      version: {}\n" SCN_ANALYSIS SCN_ROLLOUT("[{setWeight: 10}]");
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", bad_query);
	char *q = strstr(buf, "canary-error-rate");
	cr_assert(q);
	memcpy(q, "canary-errors-rat", 17); /* a metric that does not exist */
	load_fails(buf, "23:47", "canary-errors-rat");
	load_fails(SCN_HEAD "      version: {}\n" SCN_ROLLOUT("[{setWeight: 10}]"), "24:53",
		   "no AnalysisTemplate 'errors'");
	snprintf(buf, sizeof buf, "%s", SCN_HEAD "      version: {}\n" SCN_ANALYSIS SCN_ROLLOUT("[{setWeight: 10}]"));
	char *at = strstr(buf, "at: 1m");
	cr_assert(at);
	memcpy(at, "at: 9h", 6); /* after the 12 minutes of the run */
	load_fails(buf, "14:11", "not before the end of the run");
	/* A metric name twice in the flattened templates: Argo refuses it (utils/analysis/helpers.go,
	 * flattenMetrics: "two metrics have the same name"). */
	snprintf(buf, sizeof buf, "%s",
		 SCN_HEAD "      version: {}\n" SCN_ANALYSIS SCN_ROLLOUT("[{setWeight: 10}]"));
	char *tn = strstr(buf, "[{templateName: errors}]");
	cr_assert(tn);
	char tail[2048];
	snprintf(tail, sizeof tail, "%s", tn + strlen("[{templateName: errors}]"));
	snprintf(tn, sizeof buf - (size_t)(tn - buf), "[{templateName: errors}, {templateName: errors}]%s", tail);
	load_fails(buf, "32:77", "two metrics have the same name 'error-rate'");
	/* A dryRun rule matching no metric is refused, as GetDryRunMetrics does; so is one that is not a
	 * regular expression. The rule is line 21, before the metrics. */
	const char *good = SCN_HEAD "      version: {}\n" SCN_ANALYSIS SCN_ROLLOUT("[{setWeight: 10}]");
	const char *dry[2] = {"            dryRun: [{metricName: latency}]\n", "            dryRun: [{metricName: '('}]\n"};
	const char *why[2] = {"dryRun[0]: Rule didn't match any metric name(s)", "not a regular expression"};
	const char *pos[2] = {"21:35", "21:36"}; /* a quoted scalar's place is its text's */
	for (int i = 0; i < 2; i++) {
		snprintf(buf, sizeof buf, "%s", good);
		char *mt = strstr(buf, "            metrics:\n");
		cr_assert(mt);
		memmove(mt + strlen(dry[i]), mt, strlen(mt) + 1);
		memcpy(mt, dry[i], strlen(dry[i]));
		load_fails(buf, pos[i], why[i]);
	}
	/* Argo's canary validation (pkg/apis/rollouts/validation/validation.go): dynamicStableScale
	 * with scaleDownDelaySeconds is refused; abortScaleDownDelaySeconds without a router is
	 * accepted (not applicable to a basic canary), scaleDownDelaySeconds is not. */
	snprintf(buf, sizeof buf, "%s", good);
	char *an = strstr(buf, "              analysis: {templates");
	cr_assert(an);
	const char *dss = "              dynamicStableScale: true\n              scaleDownDelaySeconds: 30\n";
	memmove(an + strlen(dss), an, strlen(an) + 1);
	memcpy(an, dss, strlen(dss));
	load_fails(buf, "32:35", "cannot be used with scaleDownDelaySeconds");
	for (int i = 0; i < 2; i++) {
		snprintf(buf, sizeof buf, "%s", good);
		char *tr = strstr(buf, "              trafficRouting: {istio: {virtualService: {name: pay}}}\n");
		cr_assert(tr);
		const char *basic = i ? "              scaleDownDelaySeconds: 30\n" : "              abortScaleDownDelaySeconds: 30\n";
		const char *rest = tr + strlen("              trafficRouting: {istio: {virtualService: {name: pay}}}\n");
		memmove(tr + strlen(basic), rest, strlen(rest) + 1);
		memcpy(tr, basic, strlen(basic));
		if (i) {
			load_fails(buf, "31:38", "can only be used with traffic routing");
			continue;
		}
		struct scenario sc;
		struct herr e;
		cr_expect_eq(scn_parse(&sc, "ok.yaml", buf, strlen(buf), &e), 0, "%s", e.msg);
		scn_free(&sc);
	}
	/* Expectations on a rollout that is not there, or on its cost without a cluster, are refused as
	 * the Kafka ones are (a run would only say "no data"). */
	snprintf(buf, sizeof buf, "%sexpect: [pay.rollout.extra_cost <= 1]\n", good);
	load_fails(buf, "34:10", "needs a cluster");
	char *rv = strstr(buf, "    rollout:\n");
	cr_assert(rv);
	snprintf(rv, sizeof buf - (size_t)(rv - buf), "expect: [pay.rollout.promoted == true]\n");
	load_fails(buf, "13:10", "service 'pay' has no rollout");
	/* The same Service as canary and stable (or active and preview): refused, as Argo's validation does */
	snprintf(buf, sizeof buf, "%s", good);
	char *cs = strstr(buf, "              trafficRouting:");
	cr_assert(cs);
	const char *svcs = "              canaryService: pay\n              stableService: pay\n";
	memmove(cs + strlen(svcs), cs, strlen(cs) + 1);
	memcpy(cs, svcs, strlen(svcs));
	load_fails(buf, "32:30", "the same as canaryService");
	/* spec.paused: true would hold the rollout for ever (a person resumes it): refused, not ignored */
	snprintf(buf, sizeof buf, "%s", good);
	char *sp = strstr(buf, "          strategy:\n");
	cr_assert(sp);
	const char *paused = "          paused: true\n";
	memmove(sp + strlen(paused), sp, strlen(sp) + 1);
	memcpy(sp, paused, strlen(paused));
	load_fails(buf, "29:19", "paused: true holds the rollout");
	/* progressDeadlineAbort: true would abort a stuck rollout, which the model does not: refused */
	snprintf(buf, sizeof buf, "%s", good);
	sp = strstr(buf, "          strategy:\n");
	cr_assert(sp);
	const char *pda = "          progressDeadlineAbort: true\n";
	memmove(sp + strlen(pda), sp, strlen(sp) + 1);
	memcpy(sp, pda, strlen(pda));
	load_fails(buf, "29:34", "progressDeadlineAbort: true");
	/* An HPA of a Deployment beside a rollout: the Rollout replaces the Deployment and its HPA scales
	 * the Rollout (argo-rollouts docs/features/hpa-support.md); refused at the rollout (line 15 once the
	 * one-line HPA is in), and accepted with kind Rollout. */
	const char *hpa = "    hpa: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: pay}, spec: "
			  "{scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: pay}, minReplicas: 4, "
			  "maxReplicas: 8}}\n";
	for (int i = 0; i < 2; i++) {
		snprintf(buf, sizeof buf, "%s", good);
		char *ro = strstr(buf, "    rollout:\n");
		cr_assert(ro);
		memmove(ro + strlen(hpa), ro, strlen(ro) + 1);
		memcpy(ro, hpa, strlen(hpa));
		if (i == 0) {
			load_fails(buf, "15:7", "scaleTargetRef is a Deployment");
			continue;
		}
		char *k = strstr(buf, "apiVersion: apps/v1, kind: Deployment");
		cr_assert(k);
		const char *rk = "apiVersion: argoproj.io/v1alpha1, kind: Rollout";
		memmove(k + strlen(rk), k + strlen("apiVersion: apps/v1, kind: Deployment"),
			strlen(k + strlen("apiVersion: apps/v1, kind: Deployment")) + 1);
		memcpy(k, rk, strlen(rk));
		struct scenario sc;
		struct herr e;
		cr_expect_eq(scn_parse(&sc, "ok.yaml", buf, strlen(buf), &e), 0, "%s", e.msg);
		scn_free(&sc);
	}
}

/* The Rollout's minReadySeconds is accepted with a warning at its value: it
 * is not modelled (the canary's pods count as available once Ready). */
Test(rollout, min_ready_seconds_warns)
{
	char text[4096];
	snprintf(text, sizeof text, "%s",
		 SCN_HEAD "      version: {}\n" SCN_ANALYSIS SCN_ROLLOUT("[{setWeight: 20}, {pause: {}}]"));
	char *spec = strstr(text, "        spec:\n          strategy:");
	cr_assert(spec);
	char out[4200];
	size_t head = (size_t)(spec - text) + strlen("        spec:\n");
	snprintf(out, sizeof out, "%.*s          minReadySeconds: 10\n%s", (int)head, text, text + head);
	char dir[] = "/tmp/hr-rollout-XXXXXX";
	cr_assert(mkdtemp(dir));
	struct scenario sc;
	harness_load(&sc, harness_put(dir, "s.yaml", out));
	bool warned = false;
	for (size_t i = 0; i < sc.n_warnings; i++)
		warned |= strstr(sc.warnings[i], "warning: minReadySeconds is not modelled") != NULL;
	cr_expect(warned, "no warning for the Rollout's minReadySeconds: 10");
	scn_free(&sc);
	char cmd[80];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}
