/*
 * scn_rollout.h: a service's progressive delivery, as plain data
 * (scenario key `rollout:`, sim/scn_rollout.c; docs/rollouts.md).
 *
 * A rollout brings a second version of the service (its behaviour given
 * under `version:`) at a time of the run, by an Argo Rollouts `Rollout`
 * manifest (strategy canary or blueGreen) and the `AnalysisTemplate`s its
 * analysis names. Units are resolved: times in ns, weights in percent
 * (Argo's and Istio's integers), shares as fractions, latencies of
 * measurements in ms.
 */
#ifndef HEADROOM_SCN_ROLLOUT_H
#define HEADROOM_SCN_ROLLOUT_H

#include "scn.h"

/* How the new version differs from the stable one. */
struct scn_version {
	double cpu_factor;   /* CPU per request, as a multiple of the stable version's (same draws: common
	                      * random numbers), > 0 (1) */
	simtime latency;     /* added to each request's time in the pod, holding its worker, ns (0) */
	double error_rate;   /* share of its requests answered 5xx after their CPU work, 0 to 1 (0) */
	bool has_cpu;        /* cpu_per_request given (instead of cpu_factor) */
	struct dist cpu_per_request; /* its own CPU seconds per request (drawn from a stream of its own) */
	bool has_app_start;  /* app_start given, else the service's */
	struct dist app_start; /* its application's start-up time, s */
};

enum ro_strategy { RO_CANARY, RO_BLUE_GREEN };
enum ro_step_kind { RO_STEP_WEIGHT, RO_STEP_PAUSE };
struct ro_step {
	enum ro_step_kind kind;
	int32_t weight;      /* setWeight, percent 0..100 */
	simtime pause;       /* pause.duration, ns; SIM_FOREVER: until promoted (never, in a run) */
	int line, col;
};

/* What a measurement measures over its window (since the metric's last
 * measurement), from the simulated requests of the service. */
enum am_query {
	AM_CANARY_ERROR_RATE, /* canary-error-rate: the new version's 5xx share of the requests that ended */
	AM_STABLE_ERROR_RATE, /* stable-error-rate */
	AM_CANARY_P99,        /* canary-p99: the new version's p99 latency, ms */
	AM_STABLE_P99,        /* stable-p99 */
	AM_P99_DELTA          /* canary-p99-delta: canary p99 minus stable p99, ms */
};

/* A condition `result OP number`, or several joined by one of && and ||;
 * result may be written result[0]. */
enum am_op { AM_LT, AM_LE, AM_GT, AM_GE, AM_EQ, AM_NE };
#define AM_MAX_TERMS 4
struct am_cond {
	int n;               /* terms, 0: no condition */
	bool any;            /* joined by ||, else && */
	enum am_op op[AM_MAX_TERMS];
	double value[AM_MAX_TERMS];
};

/* A metric of an AnalysisTemplate (argoproj.io/v1alpha1), with Argo's
 * defaults filled in. */
struct am_metric {
	char *name;                /* owned */
	char *tmpl;                /* its template's metadata.name (owned) */
	enum am_query query;       /* provider.headroom.query */
	simtime interval;          /* ns; 0: one measurement */
	simtime initial_delay;     /* initialDelay, ns (0) */
	int32_t count;             /* measurements to take; 0: until the rollout ends (with an interval), 1 without */
	int32_t failure_limit;     /* failureLimit (0) */
	int32_t inconclusive_limit;/* inconclusiveLimit (0) */
	int32_t consecutive_error_limit; /* consecutiveErrorLimit (4) */
	struct am_cond success, failure; /* successCondition, failureCondition */
	int line, col;
	bool dry_run;              /* a template's spec.dryRun matches its name: measured, never aborts or pauses */
};

struct scn_delivery {
	simtime at;                /* when the new version is applied, ns after the start */
	struct scn_version version;
	char *name;                /* the Rollout's metadata.name (owned) */
	enum ro_strategy strategy;
	/* canary */
	struct ro_step *steps;     /* owned; none: straight to 100 % */
	size_t n_steps;
	bool traffic_routing;      /* trafficRouting given (Istio): weights by the mesh, else by pod counts */
	bool dynamic_stable_scale; /* dynamicStableScale */
	simtime abort_scale_down_delay; /* abortScaleDownDelaySeconds, ns (30 s) */
	struct scn_intpct max_surge, max_unavailable; /* without a router (25 %, 25 %) */
	int32_t starting_step;     /* analysis.startingStep (0) */
	/* blue/green */
	int32_t preview_replicas;  /* previewReplicaCount; -1: spec.replicas */
	bool auto_promotion;       /* autoPromotionEnabled (true) */
	simtime auto_promotion_after; /* autoPromotionSeconds, ns; 0: as soon as the preview is available */
	/* both */
	simtime scale_down_delay;  /* scaleDownDelaySeconds, ns (30 s) */
	struct am_metric *metrics; /* the analysis's metrics (canary.analysis, blueGreen.postPromotionAnalysis), owned */
	size_t n_metrics;
	int line, col;             /* the `rollout:` key */
	int32_t retries;           /* retries.attempts: Istio retries of a 5xx or refused request on another
	                            * host (0: none) */
};

#endif
