/*
 * hpa.h: the Kubernetes HorizontalPodAutoscaler controller (autoscaling/v2),
 * ported from kube-controller-manager's pkg/controller/podautoscaler
 * (replica_calculator.go, horizontal.go, metrics/utilization.go) as pure C.
 *
 * Two layers:
 *   - a replica calculator (hpa_resource_replicas, hpa_resource_average_replicas,
 *     hpa_pods_metric_replicas, and for External metrics, whose value the
 *     caller gives, hpa_external_average_replicas and
 *     hpa_external_value_replicas): a pure function from one metric spec, the
 *     current replica count and the pods as the controller sees them at a sync
 *     to a proposed replica count. It groups pods exactly as groupPods does
 *     (ignored, unready, missing, ready, with the CPU readiness rules), works in
 *     integer milli-units as the Go code does (Quantity.MilliValue rounds up;
 *     utilisation percent is truncated), and fills in missing and unready pods
 *     on the same rules.
 *   - a stateful controller (hpa_new, hpa_sync): reconcileAutoscaler for one
 *     HPA. It keeps the unstabilized recommendations and, on the behavior path,
 *     the scale events, each in an array whose stale slots are reused as the
 *     Go code reuses them, so memory is bounded by (window or longest policy
 *     period) / sync period and nothing is allocated per sync in steady state.
 *
 * Units: times are simtime ns, CPU in cores, memory in bytes, a Pods metric in
 * its own unit (headroom: requests per second). Time `now` is a parameter
 * where Go calls time.Now(); it must never go backwards for one controller.
 * The rules and their sources: docs/model.md, HorizontalPodAutoscaler.
 */
#ifndef HEADROOM_HPA_H
#define HEADROOM_HPA_H

#include "common.h"
#include "scn.h"

/* What the controller sees of one pod at a sync (as the lister and metrics
 * API show it). A Ready condition of status Unknown cannot be expressed: the
 * simulator's pods are either ready or not. */
struct hpa_pod {
	bool pending;            /* status.phase == Pending */
	bool ignored;            /* deletionTimestamp set, or phase Failed */
	bool has_ready_condition;/* a Ready condition exists */
	bool ready;              /* Ready condition status True (else False) */
	bool has_start_time;     /* status.startTime set */
	simtime start_time;      /* status.startTime, ns */
	simtime ready_transition;/* Ready condition lastTransitionTime, ns */
	double cpu_request;      /* cores (sum over containers); <= 0 = a container has no request */
	double memory_request;   /* bytes; <= 0 = not set */
	bool has_sample;         /* metrics-server has a sample for this pod */
	double cpu;              /* cores: rate over [sample_time - window, sample_time] */
	double memory;           /* bytes, working set */
	simtime sample_time;     /* the sample's timestamp, ns */
	simtime window;          /* the sample's window, ns */
	bool has_custom;         /* the Pods metric has a value for this pod */
	double custom;           /* the Pods metric (e.g. requests per second of this pod) */
};

/* Why a metric gave no proposal (the controller then treats it as invalid). */
enum hpa_error {
	HPA_ERR_NONE,            /* a proposal was computed */
	HPA_ERR_NO_PODS,         /* "no pods returned by selector" */
	HPA_ERR_NO_METRICS,      /* "did not receive metrics for targeted pods (pods might be unready)" */
	HPA_ERR_MISSING_REQUEST, /* "missing request for <resource>" on some pod (even an ignored one) */
	HPA_ERR_NO_REQUESTS,     /* the requests of the pods with metrics sum to zero */
	HPA_ERR_NO_EXTERNAL      /* "unable to get external metric": no series of that name and selector */
};

/* The rule that bound a sync's result, for "why did it (not) scale?". */
enum hpa_bound {
	HPA_BOUND_NONE,             /* the metrics' proposal went through unchanged */
	HPA_BOUND_TOLERANCE,        /* the winning metric held the count (within tolerance, or the fill-in would flip direction) */
	HPA_BOUND_MIN_REPLICAS,     /* clamped up to minReplicas (or spec below min: set to min) */
	HPA_BOUND_MAX_REPLICAS,     /* clamped down to maxReplicas (or spec above max: set to max) */
	HPA_BOUND_SCALE_UP_LIMIT,   /* legacy path: max(factor * current, minimum) */
	HPA_BOUND_STABILIZATION,    /* a stabilization window held the count back */
	HPA_BOUND_POLICY_UP,        /* behavior: scale-up policies limited the rate */
	HPA_BOUND_POLICY_DOWN,      /* behavior: scale-down policies limited the rate */
	HPA_BOUND_DISABLED_SELECT,  /* behavior: selectPolicy Disabled in that direction */
	HPA_BOUND_PARTIAL_DATA,     /* some metric invalid and the rest propose a scale-down: no change */
	HPA_BOUND_NO_METRICS,       /* every metric invalid: no change */
	HPA_BOUND_SCALING_DISABLED  /* spec.replicas == 0 and minReplicas != 0: autoscaling off */
};

/* One metric's computation at a sync. */
struct hpa_metric_result {
	enum hpa_metric_kind kind;     /* Resource, Pods or External */
	enum hpa_resource resource;    /* Resource metrics: cpu or memory */
	enum hpa_target_kind target_kind;
	bool valid;                    /* a proposal was computed */
	enum hpa_error error;          /* why not, when !valid */
	double current;                /* Utilization: percent, truncated to an integer as Kubernetes does;
					* AverageValue / Pods: average per ready pod with a sample, in the
					* metric's unit (cores, bytes, or the Pods metric's unit);
					* External AverageValue: the total / status replicas, rounded up to a
					* milli-unit (the HPA's status); External Value: the total */
	double average;                /* average per ready pod with a sample, metric unit (cores/bytes for Utilization) */
	double target;                 /* Utilization: percent; else the per-pod average target, metric unit */
	double ratio;                  /* current / target over ready pods, before any fill-in */
	int32_t proposal;              /* proposed replicas (valid only) */
	bool held;                     /* the proposal is the current count because of the tolerance or because
					* filling in missing/unready pods would flip the direction */
	int32_t n_ready;               /* pods counted with their own sample; External AverageValue: the
					* status replicas, Value: the Running and Ready pods (when counted) */
	int32_t n_unready;             /* pending, or (CPU) not ready / too fresh a sample */
	int32_t n_missing;             /* no sample */
	int32_t n_ignored;             /* being deleted or Failed */
};

#define HPA_MAX_METRICS 8 /* metrics recorded in a decision (all are computed) */

/* Everything a sync saw and decided. */
struct hpa_decision {
	simtime now;                   /* ns */
	int32_t spec_replicas;         /* the target's scale.spec.replicas (the "current" count) */
	size_t n_metrics;              /* metrics computed (metric[] holds the first HPA_MAX_METRICS) */
	struct hpa_metric_result metric[HPA_MAX_METRICS];
	int winner;                    /* index into the HPA's metrics of the winning proposal (its metric[]
					* entry when < HPA_MAX_METRICS), -1 if none */
	int32_t raw;                   /* max over valid proposals (spec_replicas when not computed) */
	int32_t stabilized;            /* after the stabilization window(s) */
	int32_t limited;               /* after min/max and rate limits */
	int32_t desired;               /* the result hpa_sync returned */
	enum hpa_bound bound;          /* the rule that bound the result */
};

/* Short snake_case names for the database: "none", "tolerance", ... */
const char *hpa_bound_name(enum hpa_bound b);
const char *hpa_error_name(enum hpa_error e);

/*
 * The replica calculator (ReplicaCalculator in replica_calculator.go).
 */
struct hpa_calc_params {
	simtime cpu_initialization_period; /* ns (--horizontal-pod-autoscaler-cpu-initialization-period) */
	simtime initial_readiness_delay;   /* ns (--horizontal-pod-autoscaler-initial-readiness-delay) */
	double tol_up;                     /* ratio <= 1 + tol_up is within tolerance */
	double tol_down;                   /* ratio >= 1 - tol_down is within tolerance */
};

/*
 * GetResourceReplicas: a Utilization target (percent of the pods' request) of
 * cpu or memory. Returns the proposal, or -1 with out->error set. Fills *out
 * (kind, counts, current utilisation, average, ratio, proposal). Borrows pods.
 */
int32_t hpa_resource_replicas(const struct hpa_calc_params *p, simtime now, int32_t current,
			      int32_t target_utilization, enum hpa_resource res, const struct hpa_pod *pods,
			      size_t n_pods, struct hpa_metric_result *out);
/* GetRawResourceReplicas: an AverageValue target per pod (cores or bytes);
 * missing pods are assumed at the target on a scale-down. */
int32_t hpa_resource_average_replicas(const struct hpa_calc_params *p, simtime now, int32_t current,
				      double target_average, enum hpa_resource res, const struct hpa_pod *pods,
				      size_t n_pods, struct hpa_metric_result *out);
/* GetMetricReplicas: a Pods metric with an AverageValue target (the pod's
 * `custom` value); no readiness checks apply to it. */
int32_t hpa_pods_metric_replicas(const struct hpa_calc_params *p, simtime now, int32_t current,
				 double target_average, const struct hpa_pod *pods, size_t n_pods,
				 struct hpa_metric_result *out);
/*
 * GetExternalPerPodMetricReplicas: an External metric with an AverageValue
 * target. `usage` is the metric's total (the sum of its series, in its
 * unit), `status_replicas` the target's scale.status.replicas (its pods not
 * being deleted, ready or not: no readiness rules). Outside the tolerance of
 * usage / (target x status_replicas) the proposal is ceil(usage / target),
 * whatever the current count; within it, status_replicas. Never fails.
 */
int32_t hpa_external_average_replicas(const struct hpa_calc_params *p, int32_t status_replicas, double usage,
				      double target_average, struct hpa_metric_result *out);
/*
 * GetExternalMetricReplicas: an External metric with a Value target.
 * ratio = usage / target; with current (scale.spec.replicas) != 0, within
 * the tolerance the proposal is current, else ceil(ratio x the pods that are
 * Running and Ready); with current 0, ceil(ratio). Returns -1
 * (HPA_ERR_NO_PODS) when the pods must be counted and there are none.
 * Borrows pods.
 */
int32_t hpa_external_value_replicas(const struct hpa_calc_params *p, int32_t current, double usage, double target,
				    const struct hpa_pod *pods, size_t n_pods, struct hpa_metric_result *out);

/*
 * The controller.
 */
typedef struct hpa hpa;

/* Fills the production kube-controller-manager flag defaults (sync 15 s,
 * tolerance 0.1, downscale stabilization 5 min, CPU initialization 5 min,
 * initial readiness delay 30 s, legacy scale-up limit 2.0 x / 4) and
 * minReplicas 1, overwriting those fields. Metrics and behavior untouched. */
void hpa_spec_defaults(struct scn_hpa *spec);

/* When spec->has_behavior, fills the missing parts as
 * pkg/apis/autoscaling/v2/defaults.go does: a direction whose n_policies is 0
 * gets the default policies (scaleUp [Pods 4 / 15 s, Percent 100 / 15 s],
 * scaleDown [Percent 100 / 15 s]; arrays from xmalloc, owned by the spec);
 * scaleUp without a window gets 0; scaleDown without a window gets
 * spec->downscale_stabilization (maybeInitScaleDownStabilizationWindow).
 * selectPolicy cannot be "unset" in struct scn_hpa_rules: its zero value is
 * Max, the default. Tolerances are left unset. No-op without behavior. */
void hpa_behavior_defaults(struct scn_hpa *spec);

/*
 * A controller for one HPA. Borrows spec, which must outlive it and not
 * change. No metrics means cpu at 80 % utilisation. With behavior, a
 * direction with n_policies == 0 uses the default policies and a missing
 * window its default (as hpa_behavior_defaults would), so a spec that was not
 * defaulted still behaves as Kubernetes would. Per-direction tolerance:
 * spec->up.has_tolerance ? spec->up.tolerance : spec->tolerance (likewise
 * down), on both paths. A Pods metric always uses its average_value (Pods
 * metrics take only AverageValue targets). At most HPA_MAX_METRICS metrics
 * are recorded in a decision; all are computed. Free with hpa_free.
 */
hpa *hpa_new(const struct scn_hpa *spec);
void hpa_free(hpa *h);

/*
 * One reconcile (reconcileAutoscaler) at time now, with the target's
 * scale.spec.replicas and the pods the selector matches. Returns the desired
 * replicas; the caller applies it (a write that succeeds). When it differs
 * from spec_replicas and the HPA has behavior, the scale event is recorded
 * here (storeScaleEvent). d may be NULL; else it is filled.
 */
int32_t hpa_sync(hpa *h, simtime now, int32_t spec_replicas, const struct hpa_pod *pods, size_t n_pods,
		 struct hpa_decision *d);
/*
 * hpa_sync with the External metrics' values: external[i] is the total of
 * metric i (the sum of the series its name and selector match, in its unit)
 * when metric i is External, NaN when the metrics API has no series for it
 * (the metric is then invalid). external may be NULL: every External metric
 * is invalid. Borrows external.
 */
int32_t hpa_sync_ext(hpa *h, simtime now, int32_t spec_replicas, const struct hpa_pod *pods, size_t n_pods,
		     const double *external, struct hpa_decision *d);

/*
 * The normalization steps hpa_sync composes, exposed for tests and tools.
 */
struct hpa_rec {
	int32_t replicas; /* an unstabilized recommendation */
	simtime t;        /* when it was made, ns */
};
struct hpa_scale_event {
	int32_t change;   /* replicas added (up list) or removed (down list), > 0 */
	simtime t;        /* ns */
	bool outdated;    /* older than the direction's longest policy period when last checked: reusable */
};

/* Appends a recommendation to the history, as if made at t. Marks the
 * history started, so the first sync records no initial recommendation. */
void hpa_add_recommendation(hpa *h, int32_t replicas, simtime t);
/* Marks the history started while empty: the first sync then records no
 * initial recommendation (the Go tests' empty, non-nil slice). */
void hpa_start_history(hpa *h);
/* Appends a scale event to the up (up = true) or down list. */
void hpa_add_scale_event(hpa *h, bool up, int32_t change, simtime t);
/* The stored recommendations / events (borrowed, valid until the next call
 * that changes them); returns their count. */
size_t hpa_recommendations(const hpa *h, const struct hpa_rec **out);
size_t hpa_scale_events(const hpa *h, bool up, const struct hpa_scale_event **out);

/* stabilizeRecommendation (legacy) or stabilizeRecommendationWithBehaviors:
 * returns the stabilized count and stores `desired` with `now`. */
int32_t hpa_stabilize(hpa *h, simtime now, int32_t current, int32_t desired);
/* convertDesiredReplicasWithRules (legacy) or
 * convertDesiredReplicasWithBehaviorRate: the count allowed from `desired`
 * (already stabilized). *bound (may be NULL) gets the limiting rule, or
 * HPA_BOUND_NONE when the result equals desired. */
int32_t hpa_rate_limit(const hpa *h, simtime now, int32_t current, int32_t desired, enum hpa_bound *bound);
/* storeScaleEvent: records a rescale from prev to next (no-op without behavior). */
void hpa_store_scale_event(hpa *h, simtime now, int32_t prev, int32_t next);
/* getReplicasChangePerPeriod: sum of the up or down list's changes strictly
 * newer than now - period. */
int32_t hpa_replicas_change(const hpa *h, bool up, simtime now, simtime period);

#endif
