/*
 * The control plane end to end, on scenarios/hpa-spike.yaml: a 5x spike at
 * t = 300 s on a service behind a CPU HPA (legacy path), metrics-server
 * scraping at 0, 15, 30 s ... and the HPA syncing at 5, 20, 35 s ...
 * Every assertion is a time or a count derived from the configured delays
 * and the Kubernetes rules, checked against the decisions and samples the
 * run emits.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define EPS 1e-6

static struct memsink run_spike(const char *const *sets, size_t n_sets, struct scenario *sc)
{
	struct herr e;
	cr_assert_eq(scn_load(sc, "scenarios/hpa-spike.yaml", sets, n_sets, &e), 0, "%s", e.msg);
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct run_stats st;
	run_once(sc, sc->seed, &out, NULL, &st);
	return m;
}

static bool is(const struct mem_decision *d, const char *kind, const char *event)
{
	return !strcmp(d->r.kind, kind) && !strcmp(d->r.event, event);
}

/* The time of pod `pod`'s event, or -1. */
static double pod_event(const struct memsink *m, const char *pod, const char *event)
{
	for (size_t i = 0; i < m->n_decisions; i++)
		if (is(&m->decisions[i], "pod", event) && !strcmp(m->decisions[i].r.pod, pod))
			return m->decisions[i].r.t_s;
	return -1;
}

/* The HPA reacts on the first sync after metrics-server saw the spike: the
 * spike starts at 300 s, the scrape at 300 s still covers [285, 300), the
 * one at 315 s covers the spike, the sync at 320 s acts on it. Before, every
 * sync holds 4 replicas. On the legacy path no sync goes past
 * max(2 x current, 4). */
Test(control, hpa_reacts_on_first_sync_after_the_scrape_sees_the_spike)
{
	struct scenario sc;
	struct memsink m = run_spike(NULL, 0, &sc);
	double first_up = -1;
	int syncs = 0;
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (strcmp(r->kind, "hpa"))
			continue;
		syncs++;
		cr_expect(fabs(fmod(r->t_s - 5, 15)) < EPS, "a sync at %.3f s, not on the 15 s grid from 5 s", r->t_s);
		cr_expect(r->desired <= (r->replicas * 2 > 4 ? r->replicas * 2 : 4),
			  "legacy scale-up limit broken at %.0f s: %d -> %d", r->t_s, r->replicas, r->desired);
		cr_expect(r->desired >= 4 && r->desired <= 30, "outside [min, max] at %.0f s: %d", r->t_s, r->desired);
		if (r->desired > r->replicas && first_up < 0)
			first_up = r->t_s;
		if (r->t_s < 300)
			cr_expect_eq(r->desired, 4, "scaled before the spike, at %.0f s", r->t_s);
	}
	cr_expect_eq(syncs, 80, "20 min of 15 s syncs from 5 s");
	cr_expect(fabs(first_up - 320) < EPS, "first scale-up at %.3f s, want 320 s", first_up);
	/* It doubled: 4 -> 8 at 320 s (bound by the scale-up limit, raw 12). */
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (is(&m.decisions[i], "hpa", "sync") && fabs(r->t_s - 320) < EPS) {
			cr_expect_eq(r->replicas, 4);
			cr_expect_eq(r->desired, 8);
			cr_expect_str_eq(r->bound, "scale_up_limit");
		}
	}
	memsink_free(&m);
	scn_free(&sc);
}

/* Every new pod goes through the configured start-up: scheduled when
 * created (the nodes have room), image pulled in 10 s on a node that never
 * ran it or 1 s on one that did, container started 1 s later, application
 * up 20-30 s after that, Ready at the first readiness probe (5 s after the
 * container start, then every 5 s) that finds it up. */
Test(control, pods_start_up_with_the_configured_delays)
{
	struct scenario sc;
	struct memsink m = run_spike(NULL, 0, &sc);
	int checked = 0;
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct mem_decision *d = &m.decisions[i];
		if (!is(d, "pod", "created") || d->r.t_s <= 0)
			continue;
		const char *pod = d->r.pod;
		double created = d->r.t_s, sched = pod_event(&m, pod, "scheduled"), pulled = pod_event(&m, pod, "pulled"),
		       started = pod_event(&m, pod, "started"), app = pod_event(&m, pod, "app-started"),
		       ready = pod_event(&m, pod, "ready");
		if (ready < 0)
			continue; /* deleted before it came up, or the run ended */
		checked++;
		cr_expect(fabs(sched - created) < EPS, "%s scheduled %.3f s after creation", pod, sched - created);
		double pull = pulled - sched;
		cr_expect(fabs(pull - 1) < EPS || fabs(pull - 10) < EPS, "%s pulled in %.3f s", pod, pull);
		cr_expect(fabs(started - pulled - 1) < EPS, "%s container start %.3f s", pod, started - pulled);
		cr_expect(app - started >= 20 - EPS && app - started <= 30 + EPS, "%s app start %.3f s", pod,
			  app - started);
		double probes = (ready - started - 5) / 5;
		cr_expect(fabs(probes - round(probes)) < EPS && probes >= 0, "%s ready off the probe grid: %.3f s", pod,
			  ready - started);
		cr_expect(ready >= app - EPS && ready - app < 5 + EPS, "%s ready %.3f s after its app", pod, ready - app);
	}
	cr_expect(checked >= 10, "only %d pods came up", checked);
	memsink_free(&m);
	scn_free(&sc);
}

/* Ready capacity lags the decision by the start-up time, and p99 breaks the
 * SLO (250 ms) during the lag; it held before the spike. */
Test(control, ready_capacity_lags_and_p99_suffers_meanwhile)
{
	struct scenario sc;
	struct memsink m = run_spike(NULL, 0, &sc);
	double first_ready = 1e18;
	for (size_t i = 0; i < m.n_decisions; i++)
		if (is(&m.decisions[i], "pod", "ready") && m.decisions[i].r.t_s > 0 && m.decisions[i].r.t_s < first_ready)
			first_ready = m.decisions[i].r.t_s;
	/* Decided at 320 s; pull >= 1 s, container 1 s, app >= 20 s, then a probe. */
	cr_expect(first_ready >= 320 + 1 + 1 + 20 - EPS, "a pod was ready at %.3f s", first_ready);
	for (size_t i = 0; i < m.n_samples; i++) {
		const struct row_sample *r = &m.samples[i];
		if (r->t_s <= 300)
			cr_expect(r->p99_ms < 250, "p99 %.1f ms before the spike at %.0f s", r->p99_ms, r->t_s);
		if (r->t_s > 305 && r->t_s <= first_ready) {
			cr_expect(r->p99_ms > 250, "p99 %.1f ms during the lag at %.0f s", r->p99_ms, r->t_s);
			cr_expect_eq(r->ready, 4, "ready %d during the lag at %.0f s", r->ready, r->t_s);
		}
		if (r->t_s > 320 && r->t_s <= first_ready)
			cr_expect(r->desired > r->ready, "at %.0f s desired %d, ready %d", r->t_s, r->desired, r->ready);
	}
	memsink_free(&m);
	scn_free(&sc);
}

/* Legacy downscale: each sync's result is the largest recommendation of the
 * last 300 s (inclusive; the first sync records the current count as one),
 * so after the spike ends (780 s) replicas hold until the last high
 * recommendation is 300 s old, then fall on the next sync. */
Test(control, downscale_holds_for_the_stabilization_window)
{
	struct scenario sc;
	struct memsink m = run_spike(NULL, 0, &sc);
	double t[200];
	int raw[200], n = 0, at_end = -1;
	for (size_t i = 0; i < m.n_decisions && n < 200; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (!is(&m.decisions[i], "hpa", "sync"))
			continue;
		t[n] = r->t_s;
		raw[n] = n == 0 ? 4 : r->raw; /* the initial recommendation */
		if (r->raw >= 0) {
			int stab = r->raw;
			for (int j = 0; j < n; j++)
				if (t[j] >= r->t_s - 300 - EPS && raw[j] > stab)
					stab = raw[j];
			cr_expect_eq(r->stabilized, stab, "at %.0f s stabilized %d, max of the window %d", r->t_s,
				     r->stabilized, stab);
		}
		if (r->t_s < 780)
			at_end = r->desired;
		n++;
	}
	cr_assert(at_end > 4, "the spike did not scale up");
	double last_high = -1, first_down = -1;
	for (int j = 0; j < n; j++)
		if (t[j] < 800 && raw[j] >= at_end)
			last_high = t[j];
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (is(&m.decisions[i], "hpa", "sync") && r->t_s >= 780 && r->desired < at_end) {
			first_down = r->t_s;
			break;
		}
	}
	/* 300 s after it is a sync that still counts it (the window is
	 * inclusive): the next sync is the first that may go lower. */
	cr_expect(fabs(first_down - (last_high + 315)) < EPS,
		  "%d replicas at the end of the spike; the last recommendation of that many at %.0f s; first scale-down "
		  "below at %.0f s, want %.0f s",
		  at_end, last_high, first_down, last_high + 315);
	memsink_free(&m);
	scn_free(&sc);
}

/* With behavior, a scale-down policy of 2 pods per 60 s and a 60 s window:
 * no scale-down removes more than 2 pods in any 60 s. */
Test(control, behavior_scale_down_within_policy_limits)
{
	const char *sets[] = {"services.order.hpa.spec.behavior={scaleDown: {stabilizationWindowSeconds: 60, "
			      "policies: [{type: Pods, value: 2, periodSeconds: 60}]}}"};
	struct scenario sc;
	struct memsink m = run_spike(sets, 1, &sc);
	double when[200];
	int removed[200], n = 0;
	for (size_t i = 0; i < m.n_decisions && n < 200; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (!is(&m.decisions[i], "hpa", "sync") || r->desired >= r->replicas)
			continue;
		when[n] = r->t_s;
		removed[n] = r->replicas - r->desired;
		int in_period = 0;
		for (int j = 0; j <= n; j++)
			if (when[j] > r->t_s - 60 + EPS)
				in_period += removed[j];
		cr_expect(in_period <= 2, "%d pods removed in the 60 s up to %.0f s", in_period, r->t_s);
		n++;
	}
	cr_expect(n >= 3, "only %d scale-downs", n);
	memsink_free(&m);
	scn_free(&sc);
}

/* Same scenario, same seed: the same decisions, row for row. */
Test(control, deterministic)
{
	struct scenario a, b;
	struct memsink ma = run_spike(NULL, 0, &a), mb = run_spike(NULL, 0, &b);
	cr_assert_eq(ma.n_decisions, mb.n_decisions);
	for (size_t i = 0; i < ma.n_decisions; i++) {
		cr_assert_eq(ma.decisions[i].r.t_s, mb.decisions[i].r.t_s);
		cr_assert_str_eq(ma.decisions[i].r.event, mb.decisions[i].r.event);
		cr_assert_eq(ma.decisions[i].r.desired, mb.decisions[i].r.desired);
	}
	memsink_free(&ma);
	memsink_free(&mb);
	scn_free(&a);
	scn_free(&b);
}

/* One node with room for 6 pods of 500m: the HPA asks for 8 at 320 s, two
 * stay Pending with kube-scheduler's message, and the samples count them. */
Test(control, unschedulable_pods_stay_pending_with_the_scheduler_message)
{
	const char *sets[] = {"cluster.nodes.0.count=1", "cluster.nodes.0.allocatable.cpu=3"};
	struct scenario sc;
	struct memsink m = run_spike(sets, 2, &sc);
	int unsched = 0;
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct mem_decision *d = &m.decisions[i];
		if (!is(d, "pod", "unschedulable"))
			continue;
		if (!unsched)
			cr_expect(fabs(d->r.t_s - 320) < EPS, "first unschedulable pod at %.0f s", d->r.t_s);
		unsched++;
		cr_expect(!strncmp(d->r.detail, "0/1 nodes are available: 1 Insufficient cpu.", 44), "%s", d->r.detail);
		cr_expect(pod_event(&m, d->r.pod, "ready") < 0, "%s became ready", d->r.pod);
	}
	cr_expect(unsched >= 2, "%d unschedulable pods", unsched);
	int ready_max = 0;
	for (size_t i = 0; i < m.n_samples; i++) {
		const struct row_sample *r = &m.samples[i];
		if (r->ready > ready_max)
			ready_max = r->ready;
		if (r->t_s > 325 && r->t_s < 340)
			cr_expect_eq(r->pending, 2, "pending %d at %.0f s", r->pending, r->t_s);
	}
	cr_expect_eq(ready_max, 6, "at most 6 pods fit, %d were ready", ready_max);
	memsink_free(&m);
	scn_free(&sc);
}

/* A Pods metric (requests per second per pod, target 40): the HPA sees the
 * rate of requests each pod accepted between the last two scrapes. Before
 * the spike that is 140 / 4 = 35 rps (Poisson: 2,100 arrivals in 15 s, sd
 * of the per-pod mean 0.76 rps; 4.5 sd allowed) and 4 replicas hold
 * (minReplicas). In the spike the pods accept what they can (refusals are
 * never seen by the application), and the proposal is ceil(current / 40 x 4). */
Test(control, pods_metric_is_requests_per_second_per_pod)
{
	const char *sets[] = {"services.order.hpa.spec.metrics=[{type: Pods, pods: {metric: {name: "
			      "http_requests_per_second}, target: {type: AverageValue, averageValue: \"40\"}}}]"};
	struct scenario sc;
	struct memsink m = run_spike(sets, 1, &sc);
	int seen = 0;
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (!is(&m.decisions[i], "hpa", "sync") || (fabs(r->t_s - 305) > EPS && fabs(r->t_s - 320) > EPS))
			continue;
		seen++;
		double cur = -1;
		int prop = -1;
		const char *c = strstr(r->metrics, "\"current\":"), *p = strstr(r->metrics, "\"proposal\":");
		cr_assert(c && p, "%s", r->metrics);
		sscanf(c, "\"current\":%lf", &cur);
		sscanf(p, "\"proposal\":%d", &prop);
		cr_expect(strstr(r->metrics, "\"metric\":\"http_requests_per_second\"") != NULL, "%s", r->metrics);
		if (r->t_s < 310) {
			cr_expect(fabs(cur - 35) < 4.5 * 0.76, "per-pod rate %.2f rps before the spike, want 35", cur);
			cr_expect_eq(r->desired, 4);
		} else {
			cr_expect(cur > 100 && cur <= 175, "per-pod rate %.2f rps in the spike", cur);
			cr_expect_eq(prop, (int)ceil(cur / 40 * 4 - 1e-9), "proposal %d for %.3f rps", prop, cur);
			cr_expect_eq(r->desired, 8); /* the legacy limit */
		}
	}
	cr_expect_eq(seen, 2);
	memsink_free(&m);
	scn_free(&sc);
}

/* Scale-down: a deleted pod leaves the endpoints at once (the ready count
 * drops with the decision) and is gone once drained, within the grace
 * period (30 s); the newest-ready pods go first. */
Test(control, terminating_pods_drain_within_the_grace_period)
{
	struct scenario sc;
	struct memsink m = run_spike(NULL, 0, &sc);
	int n = 0;
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct mem_decision *d = &m.decisions[i];
		if (!is(d, "pod", "terminating"))
			continue;
		n++;
		double gone = pod_event(&m, d->r.pod, "deleted");
		cr_expect(gone >= d->r.t_s - EPS && gone <= d->r.t_s + 30 + EPS, "%s terminating at %.3f, gone at %.3f",
			  d->r.pod, d->r.t_s, gone);
	}
	cr_expect(n > 0, "no pod was deleted");
	/* The initial pods (ready since before t = 0) are never chosen while
	 * pods that became ready later are alive: they outrank them. */
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct mem_decision *d = &m.decisions[i];
		if (is(d, "pod", "terminating"))
			cr_expect(strcmp(d->r.pod, "order-0") && strcmp(d->r.pod, "order-1") && strcmp(d->r.pod, "order-2") &&
					  strcmp(d->r.pod, "order-3"),
				  "an initial pod (%s) was deleted first", d->r.pod);
	}
	memsink_free(&m);
	scn_free(&sc);
}

/*
 * scenarios/scheduled-floor.yaml: KEDA's cron trigger (08:00-08:35 in
 * Berlin, 10 replicas, AverageValue 1) and cpu at 50 % of 1 core, from
 * 07:50 Berlin. 160 rps x 10 ms is 1.6 cores: 40 % over 4 pods, so the CPU
 * holds 4 (minReplicas) and the floor reports 0 until 08:00, t = 600 s.
 * The sync at 605 s reads 10: ceil(10 / 1) = 10, held to max(2 x 4, 4) = 8
 * by the legacy scale-up limit; at 620 s 10. At 1200 s a 5x spike makes 8
 * cores; the scrape at 1215 s covers it and the sync at 1220 s reads 80 %
 * over 10 pods: ceil(1.6 x 10) = 16, above the floor, which holds until
 * 08:35, t = 2700 s: never below 10 from 620 s to then. The spike ends at
 * 1800 s; from the sync at 2705 s the floor reports 0.
 */
Test(control, cron_floor_raises_replicas_at_its_start_and_cpu_scales_above_it)
{
	struct scenario sc;
	struct herr e;
	cr_assert_eq(scn_load(&sc, "scenarios/scheduled-floor.yaml", NULL, 0, &e), 0, "%s", e.msg);
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct run_stats st;
	run_once(&sc, sc.seed, &out, NULL, &st);
	int syncs = 0;
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (!is(&m.decisions[i], "hpa", "sync"))
			continue;
		syncs++;
		if (r->t_s < 600)
			cr_expect_eq(r->desired, 4, "at %.0f s: %d before the floor", r->t_s, r->desired);
		if (fabs(r->t_s - 605) < EPS) {
			cr_expect_eq(r->raw, 10);
			cr_expect_eq(r->desired, 8);
			cr_expect_str_eq(r->bound, "scale_up_limit");
		}
		if (fabs(r->t_s - 620) < EPS)
			cr_expect_eq(r->desired, 10);
		if (r->t_s >= 620 && r->t_s < 2700)
			cr_expect_geq(r->desired, 10, "at %.0f s: %d, below the floor", r->t_s, r->desired);
		if (r->t_s > 2600 && r->t_s < 2800) {
			bool open = r->t_s < 2700;
			cr_expect(strstr(r->metrics, open ? "\"proposal\":10," : "\"proposal\":0,"),
				  "at %.0f s the floor should be %s: %s", r->t_s, open ? "open" : "shut", r->metrics);
		}
		if (r->t_s > 620 && r->t_s < 1200)
			cr_expect_eq(r->desired, 10, "at %.0f s: %d", r->t_s, r->desired);
		if (fabs(r->t_s - 1220) < EPS) {
			cr_expect_eq(r->raw, 16, "the CPU asks for 16 at 1220 s, got %d", r->raw);
			cr_expect_eq(r->desired, 16);
			cr_expect(strstr(r->metrics, "\"metric\":\"cpu\",\"current\":80,\"target\":50,\"ratio\":1.6,"
						     "\"proposal\":16"),
				  "%s", r->metrics);
		}
	}
	cr_expect_eq(syncs, 200, "50 min of 15 s syncs from 5 s");
	memsink_free(&m);
	scn_free(&sc);
}
