/*
 * rollout.h: progressive delivery of a service's new version, as Argo
 * Rollouts does it (canary, with or without a traffic router, and
 * blue/green), with analysis over the simulated requests (docs/rollouts.md).
 *
 * A service with `rollout:` has two versions: 0, the stable one it starts
 * with, and 1, the new one applied at `at`. Each is a ReplicaSet of its own
 * (v_target, v_live in struct service) and an Istio subset: balancer group
 * v (models/balancer.h), version 1 weighted `weight` percent and version 0
 * the rest, at Envoy's 1 % granularity (a per-request draw). Without a
 * traffic router the groups are weighted by their Ready pods, so every
 * Ready pod is equally likely, as kube-proxy makes it.
 *
 * The decisions are functions of a state a test builds (ro_*, am_*); the
 * controller (rollout_new) reconciles once a second and whenever the HPA
 * scales the Rollout, and logs its steps, weights, measurements, abort and
 * promotion as `decisions` rows of kind "rollout".
 */
#ifndef HEADROOM_ROLLOUT_H
#define HEADROOM_ROLLOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "dist.h"
#include "scn_rollout.h"
#include "slo.h"

/* The RNG stream of a rollout's error coins (rng.h's enum, numbered after the issue). */
#define RNG_ROLLOUT 18

/* trafficWeightToReplicas (argo-rollouts utils/replicaset/canary.go):
 * ceil(weight x replicas / 100). */
int32_t ro_weight_replicas(int32_t replicas, int32_t weight);

/* What the two ReplicaSets should have. */
struct ro_counts {
	int32_t canary, stable;
};

/* CalculateReplicaCountsForTrafficRoutedCanary: with a router, canary
 * ceil(w N / 100) and the stable set N; with dynamicStableScale the stable
 * set is ceil((100 - w) N / 100), but no less than the traffic it holds now
 * (actual_w, the canary's weight in the mesh; < 0: none set yet) needs,
 * and when aborted the canary no less than its own traffic needs. */
struct ro_counts ro_routed_counts(int32_t n, int32_t w, int32_t actual_w, bool dynamic, bool aborted);

/* A ReplicaSet's spec.replicas and available pods. */
struct ro_rs {
	int32_t spec, available;
};
/* CalculateReplicaCountsForCanary, without a router: both counts rounded
 * up (canary ceil(w N / 100), stable ceil((100 - w) N / 100)), reached
 * within N + maxSurge pods (plus one when both round up) and no fewer than
 * N - maxUnavailable available; the stable set first when scaling up, the
 * canary first when scaling down. max_surge and max_unavail are pods. */
struct ro_counts ro_basic_counts(int32_t n, int32_t w, struct ro_rs canary, struct ro_rs stable, int32_t max_surge,
				 int32_t max_unavail);

/* calculateDesiredWeightOnAbortOrStableRollback (rollout/trafficrouting.go):
 * 0 at once, or with dynamicStableScale 100 - 100 x available stable / N
 * (integer division), never above the weight now. */
int32_t ro_abort_weight(int32_t n, int32_t stable_available, int32_t weight, bool dynamic);

/* A canary rollout's state, as its controller sees it at one instant. */
struct ro_state {
	int32_t n;            /* spec.replicas (the HPA's) */
	int32_t step;         /* the current step, n_steps once every step is done */
	simtime step_since;   /* when the current step began, ns */
	int32_t weight;       /* the canary's weight in the mesh now, percent (-1: none set yet) */
	bool aborted;
	simtime aborted_at;   /* ns, when aborted */
	bool paused;          /* an inconclusive analysis paused it: no step completes */
	struct ro_rs canary, stable;
};
/* What the controller does next. */
struct ro_plan {
	struct ro_counts rs;  /* the ReplicaSets' spec.replicas */
	int32_t weight;       /* the canary's weight to set (router), or its share of the Ready pods (none) */
	bool advance;         /* the current step is complete (after the last: promote) */
};
/*
 * The next move of canary rollout d at `now` (rollout/canary.go,
 * reconcileCanaryReplicaSets and the traffic router's reconcile): the
 * ReplicaSets' counts for the current step's weight (100 after the last
 * step; 0 once aborted); with a router the weight is set only when the
 * canary pods are all available (AR#1029), and an abort sets it back to 0
 * (or by stable availability, with dynamicStableScale) while the canary
 * stays up for abortScaleDownDelaySeconds. A setWeight step completes once
 * its weight is set (a router) or both sets are at their counts and
 * available (none); a pause once its duration is over.
 */
struct ro_plan ro_canary_plan(const struct scn_delivery *d, const struct ro_state *st, simtime now);

/* An analysis measurement's or metric's phase (AnalysisPhase). */
enum am_phase { AM_RUNNING, AM_SUCCESSFUL, AM_FAILED, AM_INCONCLUSIVE, AM_ERROR };
const char *am_phase_name(enum am_phase p);

/* A measurement's verdict from its value (utils/evaluate EvaluateResult): NaN
 * (no data) is an Error; a failureCondition that holds is Failed; a
 * successCondition that holds is Successful, one that does not is Failed
 * when no failureCondition is given; neither holding, both given, is
 * Inconclusive; no condition at all is Successful. */
enum am_phase am_evaluate(const struct am_metric *m, double value);

/* A metric's measurements so far. */
struct am_tally {
	int32_t count, successful, failed, inconclusive, errors, consecutive_errors;
};
void am_tally_add(struct am_tally *t, enum am_phase verdict);
/* The metric's phase (analysis/analysis.go assessMetricStatus): Failed when
 * failed > failureLimit, Inconclusive when inconclusive > inconclusiveLimit,
 * Error when consecutive errors > consecutiveErrorLimit, Successful once
 * count measurements are taken (count > 0), else Running. */
enum am_phase am_metric_phase(const struct am_metric *m, const struct am_tally *t);

/* A version's requests over a span: counts and latencies. */
struct ro_vstats {
	struct slo_counts c;
	struct hist h;
};
/* A query's value over a window (stats of versions 0 and 1): NaN when the
 * version it needs had no request end in it. */
double am_value(enum am_query q, const struct ro_vstats *stable, const struct ro_vstats *canary);

/* The pods above spec.replicas n, charged the mean of the live pods'
 * shares (docs/rollouts.md, "Extra node-hours and cost"): (live - n) / live
 * x `all`, where `all` is the live pods' shares summed (a cost rate, USD
 * per hour, or node shares); 0 when live <= n. */
double ro_extra_share(int32_t live, int32_t n, double all);

struct world;
struct service;
struct pod;
struct rollout;

/* The rollout of service sv (sv->cfg->delivery), started at its `at`. */
struct rollout *rollout_new(struct world *w, struct service *sv);
void rollout_free(struct rollout *ro);
/* The Rollout's spec.replicas (what its HPA scales). */
int32_t rollout_replicas(const struct rollout *ro);
/* The HPA sets spec.replicas to n: the ReplicaSets follow at once. */
void rollout_scale(struct world *w, struct rollout *ro, int32_t n);
/* A request on a pod of version v ended (o, latency as slo_done's). */
void rollout_done(struct rollout *ro, int v, enum slo_outcome o, simtime latency);
/* Whether a request accepted by a version-v pod is answered 5xx (a draw). */
bool rollout_fails(struct rollout *ro, int v);
/* The retries a request to the service gets (rollout.retries.attempts). */
int32_t rollout_retries(const struct rollout *ro);
/* The CPU a request needs on a version-v pod, ns, given the stable
 * version's draw `work` (the stable draw itself for v 0; times cpu_factor,
 * or a draw of the version's own cpu_per_request, for v 1). */
double rollout_work(struct rollout *ro, int v, double work);
/* A retry moves a request from a version-`from` pod to a version-`to` one:
 * its work there, from its work on the first (a stable draw of the
 * rollout's own stream when the new version's own distribution gave it). */
double rollout_retry_work(struct rollout *ro, int from, int to, double work);
/* Version v's added latency (ns), app start (NULL: the service's). */
simtime rollout_latency(const struct rollout *ro, int v);
const struct dist_sampler *rollout_app_start(const struct rollout *ro, int v);
/* Whether the new version's image is on node `num` (wnode.num; UINT32_MAX:
 * without a cluster, whether it was pulled anywhere): its own image, pulled
 * once per node like the service's. */
bool rollout_image_cached(const struct rollout *ro, uint32_t num);
void rollout_image_pulled(struct rollout *ro, uint32_t num);
/* Per-version rows at a sample (models/world.c calls it). */
void rollout_sample(struct world *w, struct rollout *ro, double t_s, double interval_s);
/* Figures at the end of the run (summary). */
void rollout_finish(struct world *w, struct rollout *ro);

#endif
