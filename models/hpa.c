/*
 * hpa.c: the HorizontalPodAutoscaler controller, a port of kubernetes/kubernetes
 * pkg/controller/podautoscaler (replica_calculator.go, horizontal.go,
 * metrics/utilization.go) and pkg/apis/autoscaling/v2/defaults.go.
 * Function comments name the Go function each one mirrors.
 */
#include "hpa.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------- names ---------- */

const char *hpa_bound_name(enum hpa_bound b)
{
	switch (b) {
	case HPA_BOUND_NONE: return "none";
	case HPA_BOUND_TOLERANCE: return "tolerance";
	case HPA_BOUND_MIN_REPLICAS: return "min_replicas";
	case HPA_BOUND_MAX_REPLICAS: return "max_replicas";
	case HPA_BOUND_SCALE_UP_LIMIT: return "scale_up_limit";
	case HPA_BOUND_STABILIZATION: return "stabilization";
	case HPA_BOUND_POLICY_UP: return "policy_up";
	case HPA_BOUND_POLICY_DOWN: return "policy_down";
	case HPA_BOUND_DISABLED_SELECT: return "disabled_select";
	case HPA_BOUND_PARTIAL_DATA: return "partial_data_no_scale_down";
	case HPA_BOUND_NO_METRICS: return "no_metrics";
	case HPA_BOUND_SCALING_DISABLED: return "scaling_disabled";
	}
	return "unknown";
}

const char *hpa_error_name(enum hpa_error e)
{
	switch (e) {
	case HPA_ERR_NONE: return "none";
	case HPA_ERR_NO_PODS: return "no_pods";
	case HPA_ERR_NO_METRICS: return "no_metrics";
	case HPA_ERR_MISSING_REQUEST: return "missing_request";
	case HPA_ERR_NO_REQUESTS: return "no_requests";
	case HPA_ERR_NO_EXTERNAL: return "no_external_metric";
	}
	return "unknown";
}

/* ---------- numbers as the Go code has them ---------- */

/*
 * A quantity in milli-units, as resource.Quantity.MilliValue() gives it: it
 * rounds up. A double that is an integer number of milli-units up to float
 * noise (0.1 * 3 cores) counts as that integer, not the next one.
 */
static int64_t to_milli(double v)
{
	double x = v * 1000.0;
	double r = nearbyint(x);
	if (fabs(x - r) <= 1e-9 * fmax(1.0, fabs(x)))
		x = r;
	else
		x = ceil(x);
	if (x >= 9e18)
		return INT64_MAX / 4;
	if (x <= -9e18)
		return INT64_MIN / 4;
	return (int64_t)x;
}

/* int32(math.Ceil(x)), saturating instead of undefined when out of range. */
static int32_t ceil_i32(double x)
{
	double c = ceil(x);
	if (!(c < (double)INT32_MAX))
		return INT32_MAX;
	if (c < (double)INT32_MIN)
		return INT32_MIN;
	return (int32_t)c;
}

/* int32(x) for a float64 x: truncation toward zero, saturating. */
static int32_t trunc_i32(double x)
{
	if (!(x < (double)INT32_MAX))
		return INT32_MAX;
	if (x < (double)INT32_MIN)
		return INT32_MIN;
	return (int32_t)x;
}

static int32_t clamp_i32(int64_t v)
{
	return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

/* Tolerances.isWithin */
static bool within(const struct hpa_calc_params *p, double ratio)
{
	return (1.0 - p->tol_down) <= ratio && ratio <= (1.0 + p->tol_up);
}

/* ---------- the replica calculator ---------- */

enum group { G_READY, G_UNREADY, G_MISSING, G_IGNORED };

/*
 * groupPods' CPU rule. Inside the initialization period after startTime a pod
 * is unready if Ready is False, or if its sample does not yet cover a full
 * window after the Ready transition. After it, only a pod that is not ready
 * and never was (startTime + initial-readiness-delay > transition) is unready.
 */
static bool cpu_unready(const struct hpa_pod *pod, simtime now, const struct hpa_calc_params *p)
{
	if (!pod->has_ready_condition || !pod->has_start_time)
		return true;
	if (pod->start_time + p->cpu_initialization_period > now)
		return !pod->ready || pod->sample_time < pod->ready_transition + pod->window;
	return !pod->ready && pod->start_time + p->initial_readiness_delay > pod->ready_transition;
}

/* What a metric reads from a pod. */
enum source { SRC_CPU, SRC_MEMORY, SRC_CUSTOM };

static bool has_value(const struct hpa_pod *pod, enum source s)
{
	return s == SRC_CUSTOM ? pod->has_custom : pod->has_sample;
}

static int64_t value_milli(const struct hpa_pod *pod, enum source s)
{
	switch (s) {
	case SRC_CPU: return to_milli(pod->cpu);
	case SRC_MEMORY: return to_milli(pod->memory);
	case SRC_CUSTOM: return to_milli(pod->custom);
	}
	return 0;
}

/* The pod's request in milli-units, or -1 when a container has none. */
static int64_t request_milli(const struct hpa_pod *pod, enum source s)
{
	double r = s == SRC_CPU ? pod->cpu_request : pod->memory_request;
	return r > 0 ? to_milli(r) : -1;
}

/* groupPods, for one pod. */
static enum group group_pod(const struct hpa_pod *pod, enum source s, simtime now, const struct hpa_calc_params *p)
{
	if (pod->ignored)
		return G_IGNORED;
	if (pod->pending)
		return G_UNREADY;
	if (!has_value(pod, s))
		return G_MISSING;
	if (s == SRC_CPU && cpu_unready(pod, now, p))
		return G_UNREADY;
	return G_READY;
}

/* Counts the groups into out and sums the ready pods' values. */
static int64_t group_all(const struct hpa_pod *pods, size_t n, enum source s, simtime now,
			 const struct hpa_calc_params *p, struct hpa_metric_result *out)
{
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		switch (group_pod(&pods[i], s, now, p)) {
		case G_READY:
			out->n_ready++;
			sum += value_milli(&pods[i], s);
			break;
		case G_UNREADY: out->n_unready++; break;
		case G_MISSING: out->n_missing++; break;
		case G_IGNORED: out->n_ignored++; break;
		}
	}
	return sum;
}

static void result_init(struct hpa_metric_result *out, enum hpa_metric_kind kind, enum hpa_resource res,
			enum hpa_target_kind tk, double target)
{
	memset(out, 0, sizeof *out);
	out->kind = kind;
	out->resource = res;
	out->target_kind = tk;
	out->target = target;
	out->error = HPA_ERR_NONE;
}

static int32_t fail(struct hpa_metric_result *out, enum hpa_error e)
{
	out->valid = false;
	out->error = e;
	out->proposal = -1;
	return -1;
}

static int32_t propose(struct hpa_metric_result *out, int32_t replicas, bool held)
{
	out->valid = true;
	out->proposal = replicas;
	out->held = held;
	return replicas;
}

/* The closing rule shared by both calculators: hold the current count when
 * the filled-in ratio is within tolerance or on the other side of 1, or when
 * the count it gives moves the other way. */
static int32_t fill_in_result(const struct hpa_calc_params *p, struct hpa_metric_result *out, int32_t current,
			      double ratio, double new_ratio, int64_t n_filled)
{
	if (within(p, new_ratio) || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0))
		return propose(out, current, true);
	int32_t r = ceil_i32(new_ratio * (double)n_filled);
	if ((new_ratio < 1.0 && r > current) || (new_ratio > 1.0 && r < current))
		return propose(out, current, true);
	return propose(out, r, false);
}

/*
 * GetResourceReplicas with GetResourceUtilizationRatio: utilisation is
 * int((sum of usage * 100) / sum of requests) over the ready pods with
 * samples. Missing pods on a scale-down are assumed to use
 * max(100, target) % of their request, on a scale-up 0; unready pods count
 * as 0 on a scale-up only.
 */
int32_t hpa_resource_replicas(const struct hpa_calc_params *p, simtime now, int32_t current,
			      int32_t target_utilization, enum hpa_resource res, const struct hpa_pod *pods,
			      size_t n_pods, struct hpa_metric_result *out)
{
	assert(p && out && (pods || n_pods == 0));
	assert(target_utilization > 0);
	enum source s = res == HPA_RES_CPU ? SRC_CPU : SRC_MEMORY;
	result_init(out, HPA_METRIC_RESOURCE, res, HPA_TARGET_UTILIZATION, (double)target_utilization);
	if (n_pods == 0)
		return fail(out, HPA_ERR_NO_PODS);
	int64_t use = group_all(pods, n_pods, s, now, p, out);
	if (out->n_ready == 0)
		return fail(out, HPA_ERR_NO_METRICS);
	int64_t req = 0;
	for (size_t i = 0; i < n_pods; i++) {
		int64_t r = request_milli(&pods[i], s);
		if (r < 0)
			return fail(out, HPA_ERR_MISSING_REQUEST);
		if (group_pod(&pods[i], s, now, p) == G_READY)
			req += r;
	}
	if (req == 0)
		return fail(out, HPA_ERR_NO_REQUESTS);

	int32_t util = (int32_t)(use * 100 / req);
	double ratio = (double)util / (double)target_utilization;
	out->current = util;
	out->average = (double)(use / out->n_ready) / 1000.0;
	out->ratio = ratio;

	bool up_unready = out->n_unready > 0 && ratio > 1.0;
	if (!up_unready && out->n_missing == 0) {
		if (within(p, ratio))
			return propose(out, current, true);
		return propose(out, ceil_i32(ratio * out->n_ready), false);
	}

	int64_t fallback = target_utilization > 100 ? target_utilization : 100;
	int64_t n_filled = out->n_ready;
	for (size_t i = 0; i < n_pods; i++) {
		enum group g = group_pod(&pods[i], s, now, p);
		int64_t r = request_milli(&pods[i], s);
		if (g == G_MISSING && ratio != 1.0) {
			use += ratio < 1.0 ? r * fallback / 100 : 0;
			req += r;
			n_filled++;
		} else if (g == G_UNREADY && up_unready) {
			req += r;
			n_filled++;
		}
	}
	double new_ratio = (double)(int32_t)(use * 100 / req) / (double)target_utilization;
	return fill_in_result(p, out, current, ratio, new_ratio, n_filled);
}

/*
 * calcPlainMetricReplicas with GetMetricUsageRatio: the average is the
 * integer milli-unit mean over the ready pods with samples; missing pods are
 * assumed at the target on a scale-down and at 0 on a scale-up.
 */
static int32_t plain_replicas(const struct hpa_calc_params *p, simtime now, int32_t current, int64_t target,
			      enum source s, const struct hpa_pod *pods, size_t n_pods, struct hpa_metric_result *out)
{
	assert(target > 0);
	if (n_pods == 0)
		return fail(out, HPA_ERR_NO_PODS);
	int64_t use = group_all(pods, n_pods, s, now, p, out);
	if (out->n_ready == 0)
		return fail(out, HPA_ERR_NO_METRICS);

	int64_t usage = use / out->n_ready;
	double ratio = (double)usage / (double)target;
	out->current = (double)usage / 1000.0;
	out->average = out->current;
	out->ratio = ratio;

	bool up_unready = out->n_unready > 0 && ratio > 1.0;
	if (!up_unready && out->n_missing == 0) {
		if (within(p, ratio))
			return propose(out, current, true);
		return propose(out, ceil_i32(ratio * out->n_ready), false);
	}

	int64_t n_filled = out->n_ready;
	if (ratio != 1.0) {
		use += ratio < 1.0 ? out->n_missing * target : 0;
		n_filled += out->n_missing;
	}
	if (up_unready)
		n_filled += out->n_unready;
	double new_ratio = (double)(use / n_filled) / (double)target;
	return fill_in_result(p, out, current, ratio, new_ratio, n_filled);
}

/* GetRawResourceReplicas: the CPU readiness rules apply for cpu. */
int32_t hpa_resource_average_replicas(const struct hpa_calc_params *p, simtime now, int32_t current,
				      double target_average, enum hpa_resource res, const struct hpa_pod *pods,
				      size_t n_pods, struct hpa_metric_result *out)
{
	assert(p && out && (pods || n_pods == 0));
	result_init(out, HPA_METRIC_RESOURCE, res, HPA_TARGET_AVERAGE_VALUE, target_average);
	return plain_replicas(p, now, current, to_milli(target_average), res == HPA_RES_CPU ? SRC_CPU : SRC_MEMORY,
			      pods, n_pods, out);
}

/* GetMetricReplicas: no readiness rules for custom metrics. */
int32_t hpa_pods_metric_replicas(const struct hpa_calc_params *p, simtime now, int32_t current,
				 double target_average, const struct hpa_pod *pods, size_t n_pods,
				 struct hpa_metric_result *out)
{
	assert(p && out && (pods || n_pods == 0));
	result_init(out, HPA_METRIC_PODS, HPA_RES_CPU, HPA_TARGET_AVERAGE_VALUE, target_average);
	return plain_replicas(p, now, current, to_milli(target_average), SRC_CUSTOM, pods, n_pods, out);
}

/*
 * GetExternalPerPodMetricReplicas. The ratio divides by the status
 * replicas as Go does, so 0 of them gives an infinite (or NaN) ratio,
 * never within the tolerance; the reported per-pod usage is then 0
 * (getPerPodUsage).
 */
int32_t hpa_external_average_replicas(const struct hpa_calc_params *p, int32_t status_replicas, double usage,
				      double target_average, struct hpa_metric_result *out)
{
	assert(p && out && status_replicas >= 0);
	result_init(out, HPA_METRIC_EXTERNAL, HPA_RES_CPU, HPA_TARGET_AVERAGE_VALUE, target_average);
	int64_t use = to_milli(usage), target = to_milli(target_average);
	assert(target > 0);
	double ratio = (double)use / ((double)target * (double)status_replicas);
	out->ratio = ratio;
	out->n_ready = status_replicas;
	out->current = status_replicas ? ceil((double)use / (double)status_replicas) / 1000.0 : 0;
	out->average = out->current;
	if (within(p, ratio))
		return propose(out, status_replicas, true);
	return propose(out, ceil_i32((double)use / (double)target), false);
}

/* getReadyPodsCount: phase Running and Ready. A pod being deleted that is
 * still Ready counts in Go; `ignored` pods are left out here, as the
 * simulator's terminating pods are never Ready and Failed ones never are. */
static int32_t ready_pods(const struct hpa_pod *pods, size_t n)
{
	int32_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += !pods[i].pending && !pods[i].ignored && pods[i].has_ready_condition && pods[i].ready;
	return k;
}

/* GetExternalMetricReplicas with getUsageRatioReplicaCount. */
int32_t hpa_external_value_replicas(const struct hpa_calc_params *p, int32_t current, double usage, double target,
				    const struct hpa_pod *pods, size_t n_pods, struct hpa_metric_result *out)
{
	assert(p && out && (pods || n_pods == 0) && current >= 0);
	result_init(out, HPA_METRIC_EXTERNAL, HPA_RES_CPU, HPA_TARGET_VALUE, target);
	int64_t use = to_milli(usage), t = to_milli(target);
	assert(t > 0);
	double ratio = (double)use / (double)t;
	out->ratio = ratio;
	out->current = out->average = (double)use / 1000.0;
	if (current == 0)
		return propose(out, ceil_i32(ratio), false);
	if (within(p, ratio))
		return propose(out, current, true);
	if (n_pods == 0)
		return fail(out, HPA_ERR_NO_PODS);
	out->n_ready = ready_pods(pods, n_pods);
	return propose(out, ceil_i32(ratio * (double)out->n_ready), false);
}

/* ---------- defaults ---------- */

/* pkg/apis/autoscaling/v2/defaults.go */
static const struct scn_hpa_policy default_up_policies[] = {
	{HPA_POLICY_PODS, 4, 15 * SIM_S},
	{HPA_POLICY_PERCENT, 100, 15 * SIM_S},
};
static const struct scn_hpa_policy default_down_policies[] = {
	{HPA_POLICY_PERCENT, 100, 15 * SIM_S},
};

void hpa_spec_defaults(struct scn_hpa *spec)
{
	assert(spec);
	spec->min_replicas = 1;
	spec->sync_period = 15 * SIM_S;
	spec->tolerance = 0.1;
	spec->downscale_stabilization = 5 * SIM_MIN;
	spec->cpu_initialization_period = 5 * SIM_MIN;
	spec->initial_readiness_delay = 30 * SIM_S;
	spec->scale_up_limit_factor = 2.0;
	spec->scale_up_limit_minimum = 4.0;
}

static void default_policies(struct scn_hpa_rules *r, const struct scn_hpa_policy *def, size_t n)
{
	if (r->n_policies > 0)
		return;
	r->policies = xmalloc(n * sizeof *def);
	memcpy(r->policies, def, n * sizeof *def);
	r->n_policies = n;
}

void hpa_behavior_defaults(struct scn_hpa *spec)
{
	assert(spec);
	if (!spec->has_behavior)
		return;
	default_policies(&spec->up, default_up_policies, ARRAY_LEN(default_up_policies));
	default_policies(&spec->down, default_down_policies, ARRAY_LEN(default_down_policies));
	if (!spec->up.has_stabilization) {
		spec->up.has_stabilization = true;
		spec->up.stabilization = 0;
	}
	if (!spec->down.has_stabilization) {
		spec->down.has_stabilization = true;
		spec->down.stabilization = spec->downscale_stabilization;
	}
}

/* ---------- the controller ---------- */

/* A direction's scaling rules, resolved against the defaults. */
struct rules {
	const struct scn_hpa_policy *policies; /* borrowed from the spec or the defaults */
	size_t n_policies;
	enum hpa_select select;
	simtime window; /* stabilization window, ns */
};

/* A growable array of scale events of one direction. */
struct events {
	struct hpa_scale_event *e;
	size_t n, cap;
};

struct hpa {
	const struct scn_hpa *spec;             /* borrowed */
	struct scn_hpa_metric default_metric;   /* cpu at 80 %, when the spec has no metrics */
	const struct scn_hpa_metric *metrics;   /* the spec's, or &default_metric */
	size_t n_metrics;
	struct hpa_calc_params calc;            /* flags and per-direction tolerances */
	struct rules up, down;                  /* behavior path only */
	bool started;                           /* the recommendations exist (Go: map entry non-nil) */
	struct hpa_rec *recs;                   /* unstabilized recommendations; stale slots reused */
	size_t n_recs, cap_recs;
	struct events ev[2];                    /* [0] scale-down events, [1] scale-up events */
	bool synced;                            /* a sync happened (last_now valid) */
	simtime last_now;                       /* ns, for the monotone-clock assertion */
};

static void resolve_rules(struct rules *out, const struct scn_hpa_rules *r, const struct scn_hpa_policy *def,
			  size_t n_def, simtime default_window)
{
	out->policies = r->n_policies > 0 ? r->policies : def;
	out->n_policies = r->n_policies > 0 ? r->n_policies : n_def;
	out->select = r->select;
	out->window = r->has_stabilization ? r->stabilization : default_window;
}

hpa *hpa_new(const struct scn_hpa *spec)
{
	assert(spec);
	assert(spec->max_replicas >= spec->min_replicas && spec->min_replicas >= 0);
	hpa *h = xcalloc(1, sizeof *h);
	h->spec = spec;
	h->default_metric = (struct scn_hpa_metric){
		.kind = HPA_METRIC_RESOURCE,
		.resource = HPA_RES_CPU,
		.target = HPA_TARGET_UTILIZATION,
		.utilization = 80,
	};
	h->metrics = spec->n_metrics > 0 ? spec->metrics : &h->default_metric;
	h->n_metrics = spec->n_metrics > 0 ? spec->n_metrics : 1;
	h->calc = (struct hpa_calc_params){
		.cpu_initialization_period = spec->cpu_initialization_period,
		.initial_readiness_delay = spec->initial_readiness_delay,
		.tol_up = spec->up.has_tolerance ? spec->up.tolerance : spec->tolerance,
		.tol_down = spec->down.has_tolerance ? spec->down.tolerance : spec->tolerance,
	};
	resolve_rules(&h->up, &spec->up, default_up_policies, ARRAY_LEN(default_up_policies), 0);
	resolve_rules(&h->down, &spec->down, default_down_policies, ARRAY_LEN(default_down_policies),
		      spec->downscale_stabilization);
	return h;
}

void hpa_free(hpa *h)
{
	if (!h)
		return;
	free(h->recs);
	free(h->ev[0].e);
	free(h->ev[1].e);
	free(h);
}

/* ---------- history ---------- */

static void push_rec(hpa *h, int32_t replicas, simtime t)
{
	if (h->n_recs == h->cap_recs) {
		h->cap_recs = h->cap_recs ? 2 * h->cap_recs : 8;
		h->recs = xrealloc(h->recs, h->cap_recs * sizeof *h->recs);
	}
	h->recs[h->n_recs++] = (struct hpa_rec){replicas, t};
}

static void push_event(struct events *ev, struct hpa_scale_event e)
{
	if (ev->n == ev->cap) {
		ev->cap = ev->cap ? 2 * ev->cap : 8;
		ev->e = xrealloc(ev->e, ev->cap * sizeof *ev->e);
	}
	ev->e[ev->n++] = e;
}

void hpa_add_recommendation(hpa *h, int32_t replicas, simtime t)
{
	assert(h);
	push_rec(h, replicas, t);
	h->started = true;
}

void hpa_start_history(hpa *h)
{
	assert(h);
	h->started = true;
}

void hpa_add_scale_event(hpa *h, bool up, int32_t change, simtime t)
{
	assert(h);
	push_event(&h->ev[up], (struct hpa_scale_event){change, t, false});
}

size_t hpa_recommendations(const hpa *h, const struct hpa_rec **out)
{
	assert(h && out);
	*out = h->recs;
	return h->n_recs;
}

size_t hpa_scale_events(const hpa *h, bool up, const struct hpa_scale_event **out)
{
	assert(h && out);
	*out = h->ev[up].e;
	return h->ev[up].n;
}

/* Stores a recommendation in the stale slot `old` if found, else appends. */
static void store_rec(hpa *h, bool found, size_t old, int32_t replicas, simtime now)
{
	if (found)
		h->recs[old] = (struct hpa_rec){replicas, now};
	else
		push_rec(h, replicas, now);
}

/* ---------- stabilization ---------- */

/*
 * stabilizeRecommendation: the max of desired and every recommendation no
 * older than the downscale window (inclusive: only one strictly before
 * now - window is stale); the last stale slot is reused.
 */
static int32_t stabilize_legacy(hpa *h, simtime now, int32_t desired)
{
	int32_t best = desired;
	bool found = false;
	size_t old = 0;
	simtime cutoff = now - h->spec->downscale_stabilization;
	for (size_t i = 0; i < h->n_recs; i++) {
		if (h->recs[i].t < cutoff) {
			found = true;
			old = i;
		} else if (h->recs[i].replicas > best) {
			best = h->recs[i].replicas;
		}
	}
	store_rec(h, found, old, desired, now);
	return best;
}

/*
 * stabilizeRecommendationWithBehaviors: up = min of desired and the
 * recommendations strictly newer than now - up window, down = max likewise
 * over the down window; start from current, raise to up, lower to down. A
 * recommendation strictly older than both cutoffs is stale; the last such
 * slot is reused.
 */
static int32_t stabilize_behavior(hpa *h, simtime now, int32_t current, int32_t desired)
{
	int32_t up_rec = desired, down_rec = desired;
	simtime up_cut = now - h->up.window, down_cut = now - h->down.window;
	bool found = false;
	size_t old = 0;
	for (size_t i = 0; i < h->n_recs; i++) {
		const struct hpa_rec *r = &h->recs[i];
		if (r->t > up_cut && r->replicas < up_rec)
			up_rec = r->replicas;
		if (r->t > down_cut && r->replicas > down_rec)
			down_rec = r->replicas;
		if (r->t < up_cut && r->t < down_cut) {
			found = true;
			old = i;
		}
	}
	int32_t rec = current;
	if (rec < up_rec)
		rec = up_rec;
	if (rec > down_rec)
		rec = down_rec;
	store_rec(h, found, old, desired, now);
	return rec;
}

int32_t hpa_stabilize(hpa *h, simtime now, int32_t current, int32_t desired)
{
	assert(h);
	return h->spec->has_behavior ? stabilize_behavior(h, now, current, desired) : stabilize_legacy(h, now, desired);
}

/* ---------- rate limits ---------- */

/* convertDesiredReplicasWithRules with calculateScaleUpLimit. */
static int32_t limit_legacy(const hpa *h, int32_t current, int32_t desired, enum hpa_bound *bound)
{
	const struct scn_hpa *s = h->spec;
	int32_t up_limit = trunc_i32(fmax(s->scale_up_limit_factor * (double)current, s->scale_up_limit_minimum));
	int32_t max_allowed = s->max_replicas;
	enum hpa_bound over = HPA_BOUND_MAX_REPLICAS;
	if (s->max_replicas > up_limit) {
		max_allowed = up_limit;
		over = HPA_BOUND_SCALE_UP_LIMIT;
	}
	if (desired < s->min_replicas) {
		*bound = HPA_BOUND_MIN_REPLICAS;
		return s->min_replicas;
	}
	if (desired > max_allowed) {
		*bound = over;
		return max_allowed;
	}
	*bound = HPA_BOUND_NONE;
	return desired;
}

int32_t hpa_replicas_change(const hpa *h, bool up, simtime now, simtime period)
{
	assert(h);
	const struct events *ev = &h->ev[up];
	simtime cutoff = now - period;
	int64_t sum = 0;
	for (size_t i = 0; i < ev->n; i++)
		if (ev->e[i].t > cutoff)
			sum += ev->e[i].change;
	return clamp_i32(sum);
}

/* The replica count at the start of a policy's period, from both lists. */
static int64_t period_start(const hpa *h, simtime now, simtime period, int32_t current)
{
	return (int64_t)current - hpa_replicas_change(h, true, now, period) + hpa_replicas_change(h, false, now, period);
}

/* calculateScaleUpLimitWithScalingRules */
static int32_t scale_up_limit(const hpa *h, simtime now, int32_t current)
{
	const struct rules *r = &h->up;
	if (r->select == HPA_SELECT_DISABLED)
		return current;
	bool pick_min = r->select == HPA_SELECT_MIN;
	int32_t result = pick_min ? INT32_MAX : INT32_MIN;
	for (size_t i = 0; i < r->n_policies; i++) {
		const struct scn_hpa_policy *pol = &r->policies[i];
		int64_t start = period_start(h, now, pol->period, current);
		int32_t proposed = pol->kind == HPA_POLICY_PODS
					   ? clamp_i32(start + pol->value)
					   : ceil_i32((double)start * (1.0 + (double)pol->value / 100.0));
		result = pick_min ? HR_MIN(result, proposed) : HR_MAX(result, proposed);
	}
	return result;
}

/* calculateScaleDownLimitWithBehaviors: a Percent policy truncates. */
static int32_t scale_down_limit(const hpa *h, simtime now, int32_t current)
{
	const struct rules *r = &h->down;
	if (r->select == HPA_SELECT_DISABLED)
		return current;
	bool pick_min_change = r->select == HPA_SELECT_MIN;
	int32_t result = pick_min_change ? INT32_MIN : INT32_MAX;
	for (size_t i = 0; i < r->n_policies; i++) {
		const struct scn_hpa_policy *pol = &r->policies[i];
		int64_t start = period_start(h, now, pol->period, current);
		int32_t proposed = pol->kind == HPA_POLICY_PODS
					   ? clamp_i32(start - pol->value)
					   : trunc_i32((double)start * (1.0 - (double)pol->value / 100.0));
		result = pick_min_change ? HR_MAX(result, proposed) : HR_MIN(result, proposed);
	}
	return result;
}

/* convertDesiredReplicasWithBehaviorRate */
static int32_t limit_behavior(const hpa *h, simtime now, int32_t current, int32_t desired, enum hpa_bound *bound)
{
	const struct scn_hpa *s = h->spec;
	*bound = HPA_BOUND_NONE;
	if (desired > current) {
		int32_t limit = scale_up_limit(h, now, current);
		if (limit < current)
			limit = current; /* no more scale-up until the events age out */
		int32_t max_allowed = s->max_replicas;
		enum hpa_bound over = HPA_BOUND_MAX_REPLICAS;
		if (max_allowed > limit) {
			max_allowed = limit;
			over = h->up.select == HPA_SELECT_DISABLED ? HPA_BOUND_DISABLED_SELECT : HPA_BOUND_POLICY_UP;
		}
		if (desired > max_allowed) {
			*bound = over;
			return max_allowed;
		}
	} else if (desired < current) {
		int32_t limit = scale_down_limit(h, now, current);
		if (limit > current)
			limit = current; /* no more scale-down until the events age out */
		int32_t min_allowed = s->min_replicas;
		enum hpa_bound under = HPA_BOUND_MIN_REPLICAS;
		if (min_allowed < limit) {
			min_allowed = limit;
			under = h->down.select == HPA_SELECT_DISABLED ? HPA_BOUND_DISABLED_SELECT : HPA_BOUND_POLICY_DOWN;
		}
		if (desired < min_allowed) {
			*bound = under;
			return min_allowed;
		}
	}
	return desired;
}

int32_t hpa_rate_limit(const hpa *h, simtime now, int32_t current, int32_t desired, enum hpa_bound *bound)
{
	assert(h);
	enum hpa_bound b;
	int32_t r = h->spec->has_behavior ? limit_behavior(h, now, current, desired, &b)
					  : limit_legacy(h, current, desired, &b);
	if (bound)
		*bound = r == desired ? HPA_BOUND_NONE : b;
	return r;
}

/* ---------- scale events ---------- */

/* getLongestPolicyPeriod */
static simtime longest_period(const struct rules *r)
{
	simtime longest = 0;
	for (size_t i = 0; i < r->n_policies; i++)
		if (r->policies[i].period > longest)
			longest = r->policies[i].period;
	return longest;
}

/*
 * storeScaleEvent with markScaleEventsOutdated: events strictly older than
 * the direction's longest policy period are marked outdated; the last
 * outdated slot takes the new event, else it is appended. A rescale to the
 * same count goes to the down list with change 0, as in Go.
 */
void hpa_store_scale_event(hpa *h, simtime now, int32_t prev, int32_t next)
{
	assert(h);
	if (!h->spec->has_behavior)
		return;
	bool up = next > prev;
	struct events *ev = &h->ev[up];
	simtime cutoff = now - longest_period(up ? &h->up : &h->down);
	bool found = false;
	size_t old = 0;
	for (size_t i = 0; i < ev->n; i++) {
		if (ev->e[i].t < cutoff)
			ev->e[i].outdated = true;
		if (ev->e[i].outdated) {
			found = true;
			old = i;
		}
	}
	struct hpa_scale_event e = {up ? next - prev : prev - next, now, false};
	if (found)
		ev->e[old] = e;
	else
		push_event(ev, e);
}

/* ---------- reconcile ---------- */

/* What one sync reads besides the metrics' specs. */
struct inputs {
	simtime now;
	int32_t current;          /* scale.spec.replicas */
	int32_t status;           /* scale.status.replicas: the pods not being deleted */
	const struct hpa_pod *pods;
	size_t n_pods;
	const double *external;   /* per metric: an External metric's total, NaN: none (may be NULL) */
};

/* computeReplicasForMetric: the calculator the metric's type and target call for. */
static int32_t metric_replicas(const hpa *h, size_t i, const struct inputs *in, struct hpa_metric_result *out)
{
	const struct scn_hpa_metric *m = &h->metrics[i];
	if (m->kind == HPA_METRIC_EXTERNAL) {
		double usage = in->external ? in->external[i] : NAN;
		if (isnan(usage)) {
			result_init(out, HPA_METRIC_EXTERNAL, HPA_RES_CPU, m->target,
				    m->target == HPA_TARGET_VALUE ? m->value : m->average_value);
			return fail(out, HPA_ERR_NO_EXTERNAL);
		}
		if (m->target == HPA_TARGET_VALUE)
			return hpa_external_value_replicas(&h->calc, in->current, usage, m->value, in->pods, in->n_pods,
							   out);
		return hpa_external_average_replicas(&h->calc, in->status, usage, m->average_value, out);
	}
	if (m->kind == HPA_METRIC_PODS)
		return hpa_pods_metric_replicas(&h->calc, in->now, in->current, m->average_value, in->pods, in->n_pods,
						out);
	if (m->target == HPA_TARGET_UTILIZATION)
		return hpa_resource_replicas(&h->calc, in->now, in->current, m->utilization, m->resource, in->pods,
					     in->n_pods, out);
	return hpa_resource_average_replicas(&h->calc, in->now, in->current, m->average_value, m->resource, in->pods,
					     in->n_pods, out);
}

/*
 * computeReplicasForMetrics: the largest valid proposal wins (a first valid
 * proposal of 0 is replaced by any later one). Returns -1, with d->bound set,
 * when every metric is invalid or some are and the rest propose a scale-down.
 */
static int32_t compute_metrics(const hpa *h, const struct inputs *in, struct hpa_decision *d)
{
	int32_t replicas = 0, current = in->current;
	size_t invalid = 0;
	d->n_metrics = h->n_metrics;
	for (size_t i = 0; i < h->n_metrics; i++) {
		struct hpa_metric_result r;
		int32_t prop = metric_replicas(h, i, in, &r);
		if (i < HPA_MAX_METRICS)
			d->metric[i] = r;
		if (prop < 0) {
			invalid++;
			continue;
		}
		if (replicas == 0 || prop > replicas) {
			replicas = prop;
			d->winner = (int)i;
		}
	}
	if (invalid >= h->n_metrics) {
		d->bound = HPA_BOUND_NO_METRICS;
		return -1;
	}
	if (invalid > 0 && replicas < current) {
		d->bound = HPA_BOUND_PARTIAL_DATA;
		return -1;
	}
	return replicas;
}

static bool winner_held(const struct hpa_decision *d)
{
	return d->winner >= 0 && d->winner < HPA_MAX_METRICS && d->metric[d->winner].held;
}

/* normalizeDesiredReplicas / normalizeDesiredReplicasWithBehaviors */
static int32_t normalize(hpa *h, simtime now, int32_t current, int32_t raw, struct hpa_decision *d)
{
	enum hpa_bound b;
	d->raw = raw;
	d->stabilized = hpa_stabilize(h, now, current, raw);
	d->limited = hpa_rate_limit(h, now, current, d->stabilized, &b);
	if (d->limited != d->stabilized)
		d->bound = b;
	else if (d->stabilized != raw)
		d->bound = HPA_BOUND_STABILIZATION;
	else if (d->limited == current && raw == current && winner_held(d))
		d->bound = HPA_BOUND_TOLERANCE;
	else
		d->bound = HPA_BOUND_NONE;
	return d->limited;
}

static int32_t settle(struct hpa_decision *d, int32_t desired, enum hpa_bound bound)
{
	d->raw = d->stabilized = d->limited = d->desired = desired;
	d->bound = bound;
	return desired;
}

/* reconcileAutoscaler without External metrics' values. */
int32_t hpa_sync(hpa *h, simtime now, int32_t spec_replicas, const struct hpa_pod *pods, size_t n_pods,
		 struct hpa_decision *d)
{
	return hpa_sync_ext(h, now, spec_replicas, pods, n_pods, NULL, d);
}

/*
 * reconcileAutoscaler: record the initial recommendation on first sight;
 * spec 0 with min != 0 disables autoscaling; a count above max or below min
 * is set to the bound without reading metrics; else the metrics' proposal is
 * stabilized and limited; the status replicas (for External AverageValue
 * targets) are the pods not being deleted. A change is recorded as a scale event (behavior).
 */
int32_t hpa_sync_ext(hpa *h, simtime now, int32_t spec_replicas, const struct hpa_pod *pods, size_t n_pods,
		     const double *external, struct hpa_decision *d)
{
	struct hpa_decision local;
	assert(h && spec_replicas >= 0 && (pods || n_pods == 0));
	assert(!h->synced || now >= h->last_now);
	h->synced = true;
	h->last_now = now;
	if (!d)
		d = &local;
	memset(d, 0, sizeof *d);
	d->now = now;
	d->spec_replicas = spec_replicas;
	d->winner = -1;

	const struct scn_hpa *s = h->spec;
	int32_t current = spec_replicas, desired;
	if (!h->started)
		hpa_add_recommendation(h, current, now);
	if (current == 0 && s->min_replicas != 0)
		return settle(d, current, HPA_BOUND_SCALING_DISABLED);
	if (current > s->max_replicas) {
		desired = settle(d, s->max_replicas, HPA_BOUND_MAX_REPLICAS);
	} else if (current < s->min_replicas) {
		desired = settle(d, s->min_replicas, HPA_BOUND_MIN_REPLICAS);
	} else {
		struct inputs in = {now, current, 0, pods, n_pods, external};
		for (size_t i = 0; i < n_pods; i++)
			in.status += !pods[i].ignored;
		int32_t raw = compute_metrics(h, &in, d);
		if (raw < 0)
			return settle(d, current, d->bound);
		desired = normalize(h, now, current, raw, d);
		d->desired = desired;
	}
	if (desired != current)
		hpa_store_scale_event(h, now, current, desired);
	return desired;
}
