/*
 * sink.h: rows a run produces, and where they go.
 *
 * Models emit plain rows through a struct sink; they never know whether the
 * rows land in SQLite (the store), in memory (tests) or on the terminal.
 * Emitting cannot fail from the model's point of view: a sink that cannot
 * write remembers its first error and reports it when the run is committed.
 * Times are seconds from the start of the run; latencies are milliseconds.
 */
#ifndef HEADROOM_SINK_H
#define HEADROOM_SINK_H

#include "common.h"

/* One service over one sample interval [t_s - interval, t_s). */
struct row_sample {
	double t_s;           /* end of the interval, s */
	const char *service;  /* service name (borrowed) */
	double offered_rps;   /* requests that arrived at the service, per s */
	double served_rps;    /* requests answered successfully, per s */
	int64_t errors;       /* requests that failed in the interval (all causes) */
	int64_t timeouts;     /* of which the client timed out */
	int64_t rejected;     /* of which were refused (503: queue full or no ready pod) */
	double mean_ms;       /* mean latency of the interval's answered requests, ms (NaN if none) */
	double p50_ms;        /* median latency, ms (NaN if none) */
	double p99_ms;        /* 99th percentile latency, ms (NaN if none) */
	int replicas;         /* pods of the service at t_s */
	int ready;            /* of which ready to serve */
	int in_flight;        /* requests held by the service's pods at t_s (working, waiting, queued) */
	double cpu_util;      /* CPU used / CPU requested over the interval, fraction */
	int desired;          /* replicas the Deployment asks for at t_s (the HPA's last decision) */
	int pending;          /* pods not yet running: unscheduled, pulling or starting */
	double hpa_cpu_util;  /* mean CPU utilisation of the pods as the HPA last saw it (metrics-server), fraction; NaN if no HPA sync yet or no CPU metric */
	double cpu_cores;     /* cores the service's pods used, mean over the interval */
	double cpu_throttled; /* share of the running pods' time spent at their CPU limit with more work
	                       * than it allows (CFS quota throttling), fraction; NaN if no pod ran */
	double cpu_pressure;  /* share of the running pods' time spent wanting CPU their node did not have
	                       * (PSI cpu.pressure), fraction; NaN if no pod ran */
	double cpu_capacity;  /* cores the ready pods can count on at t_s: each pod's share of its node
	                       * when every pod there wants its limit, capped by its limit (without a
	                       * cluster: its limit, or its request without one) */
	const uint64_t *latency_le; /* answered requests of the interval with latency <= SINK_LE_MS[j],
	                             * cumulative, SINK_N_LE of them (NULL: not counted) */
};

/* The bounds of row_sample.latency_le, ms: Envoy's default histogram
 * buckets (source/common/stats/histogram_impl.cc, defaultBuckets), which
 * Istio's istio_request_duration_milliseconds uses. */
#define SINK_N_LE 19
#define SINK_LE_MS                                                                                                 \
	{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,  \
	 3600000}

/* One pod over one sample interval [t_s - interval, t_s), for every pod that
 * ran (held its containers) during the interval. */
struct row_pod_sample {
	double t_s;           /* end of the interval, s */
	const char *service;  /* borrowed */
	const char *pod;      /* pod name, e.g. "order-7" (borrowed) */
	const char *node;     /* node name, NULL without a cluster (borrowed) */
	double cpu_cores;     /* cores used, mean over the interval */
	double cpu_util;      /* cores used / CPU request: what the HPA reads, may exceed 1 */
	double cpu_throttled; /* share of the interval spent throttled at the CPU limit, fraction */
	double cpu_pressure;  /* share of the interval spent wanting CPU the node did not have, fraction */
};

/* One service over the whole run. */
struct row_summary {
	const char *service;  /* borrowed */
	int64_t requests;     /* arrived */
	int64_t served;       /* answered successfully */
	int64_t errors;       /* failed, all causes */
	int64_t timeouts;     /* of which timed out */
	int64_t rejected;     /* of which refused (503) */
	double mean_ms, p50_ms, p90_ms, p99_ms, p999_ms, max_ms; /* latency of answered requests */
	double error_rate;    /* errors / (served + errors): of the requests that ended */
	double timeout_rate;  /* timeouts / (served + errors) */
	double cpu_util;      /* CPU used / CPU requested over the run */
	double violation_minutes; /* SLO windows in violation, minutes */
	int slo_met;          /* 1 met, 0 missed, -1 no objective declared */
	int64_t pods_started; /* pods created during the run that became Ready */
	double pod_start_p50_s, pod_start_p99_s; /* their Pending-to-Ready time, s (NaN if none) */
	double cpu_throttled; /* share of the running pods' time throttled at their CPU limit, fraction (NaN if none ran) */
	double cpu_pressure;  /* share of the running pods' time wanting CPU their node did not have (NaN if none ran) */
	int latency_met, errors_met, violation_met; /* each term of the SLO alone (slo_terms in models/slo.h):
	                                             * 1 met, 0 missed, -1 not declared */
	double cost_usd;      /* its pods' share of their nodes' cost over the run, by CPU request over each node's
	                       * allocatable CPU, at each sample interval, USD (NaN: no cluster) */
};

/* The nodes of one instance type (and pool) at a sample time. */
struct row_nodes {
	double t_s;            /* s */
	const char *pool;      /* NodePool or node group; "static" for cluster.nodes (borrowed) */
	const char *instance_type; /* "" when the node has none (borrowed) */
	int launching;         /* launched, not registered */
	int registered;        /* registered, not Ready */
	int ready;             /* Ready */
	int draining;          /* being deleted */
	double cost_per_hour;  /* USD per hour of these nodes (all states) */
	int drifted;           /* of them, Karpenter nodes Drifted (cluster.drifts), in any state */
};

/* The cluster's cost over the run (once, at the end). */
struct row_cost {
	double cost_usd;       /* node-seconds x hourly price / 3600, all nodes */
	double monthly_usd;    /* at the run's average rate, for 730 hours */
	double node_hours;     /* node-hours */
	int max_nodes;         /* the most nodes alive at once */
	double spot_usd;       /* of cost_usd, spot instances' */
	double start_usd_hour; /* the cluster's USD per hour at t = 0 (the settled start) */
	double start_spot_usd_hour; /* of which spot instances' */
};

/*
 * One decision of the control plane, so a user can ask "why did it not
 * scale up at t = 95 s?": every HPA sync (kind "hpa") and every change of a
 * pod's state (kind "pod"). Strings are borrowed for the call.
 */
struct row_decision {
	double t_s;           /* when, s */
	const char *service;  /* the service (borrowed); "" for node rows */
	const char *kind;     /* "hpa", "pod" or "node" */
	const char *pod;      /* pod name, e.g. "order-7" (kind pod), node name (kind node), NULL for hpa */
	const char *event;    /* hpa: "sync"; pod: "created", "scheduled", "unschedulable", "unprovisionable",
	                       * "pulled", "started", "app-started", "ready" (detail: where the start-up time
	                       * went), "evicted", "eviction-refused", "evicted-late", "eviction-forced", "terminating", "deleted";
	                       * node: "launched", "registered", "ready", "disruption-skipped", "scale-down-skipped",
	                       * "disruption-candidate", "replacing", "draining", "launch-timeout", "registration-timeout", "deleted",
	                       * "scale-up" (Cluster Autoscaler's decision), "backoff", "scale-up-limited" (CA: a limit
	                       * kept it from scaling up; named "cluster-autoscaler") */
	int replicas;         /* hpa: spec.replicas before the sync; pod: the service's pods after the event;
	                       * node: nodes in the cluster */
	int desired;          /* hpa: the final desired replicas; pod: the Deployment's desired replicas;
	                       * node: pods bound to the node */
	int raw;              /* hpa: the largest metric proposal (-1 if none) */
	int stabilized;       /* hpa: after stabilization (-1 if not reached) */
	int limited;          /* hpa: after rate limits and min/max (-1 if not reached) */
	const char *bound;    /* hpa: the rule that decided the result (e.g. "tolerance", "scale_up_limit"), NULL if none */
	const char *metrics;  /* hpa: per metric, JSON: [{"metric":"cpu","current":93,"target":70,"ratio":1.33,"proposal":14,"ready":10,"unready":0,"missing":0,"ignored":0}] */
	const char *detail;   /* free text: a node name, "0/3 nodes are available: 3 Insufficient cpu.", ... (NULL if none) */
};

/* One version of a service with a rollout over one sample interval
 * (models/rollout.h): version 0 the stable one it starts with, 1 the new. */
struct row_version {
	double t_s;           /* end of the interval, s */
	const char *service;  /* borrowed */
	int version;          /* 0 or 1 */
	int pods;             /* its live pods at t_s (not terminating) */
	int ready;            /* of which Ready */
	int target;           /* its ReplicaSet's spec.replicas */
	int weight;           /* its share of the traffic as routed at t_s, percent */
	int64_t requests;     /* requests that ended on its pods in the interval */
	int64_t errors;       /* of which failed (5xx, timeouts, refusals) */
	double error_rate;    /* errors / requests (NaN if none) */
	double p99_ms;        /* p99 latency of its answered requests, ms (NaN if none) */
};

/* A rollout's outcome, once per run. */
struct row_rollout {
	const char *service;  /* borrowed */
	const char *strategy; /* "canary" or "blueGreen" */
	const char *outcome;  /* "promoted", "aborted", "paused", "progressing" (still at the end), "pending" (not begun) */
	double started_s;     /* when the new version was applied, s */
	double ended_s;       /* when it was promoted or aborted, s (NaN: neither) */
	double rollback_s;    /* aborted: from the start to all traffic back on the stable version, s (NaN: not) */
	int measurements;     /* analysis measurements taken */
	int failed;           /* of which Failed */
	int errors;           /* of which Error (no data) */
	double extra_pod_hours; /* pod-hours of live pods above spec.replicas, over the run */
	int max_pods;         /* the most live pods of both versions at once */
	double extra_node_hours; /* node-hours the pods above spec.replicas held, by CPU share (NaN: no cluster) */
	double extra_cost_usd; /* what that share of their nodes cost, USD (NaN: no cluster) */
};

/*
 * Kafka (models/kafka.h): one row per consumer group per sample interval,
 * one per group at the end, and the run's sagas. Strings are borrowed for
 * the call. Times of messages are from produce to commit.
 */
struct row_kafka {
	double t_s;             /* end of the interval, s */
	const char *group;      /* group.id */
	const char *topic;
	const char *service;    /* the consuming service */
	int partitions;
	int members;            /* consumers in the group now (Ready pods x concurrency) */
	int64_t lag;            /* produced and not committed, now, all partitions */
	int64_t max_partition_lag; /* the largest partition's lag now */
	int paused;             /* partitions stopped by a rebalance now */
	int64_t produced, consumed, dlt, rebalances; /* in the interval */
	double latency_mean_ms, latency_p99_ms; /* of the messages committed in the interval; NaN: none */
	double keda_metric;     /* what KEDA's metrics server serves now; NaN without a keda trigger */
};
struct row_kafka_summary {
	const char *group, *topic, *service;
	int64_t produced, consumed, deliveries, failures, dlt, rebalances, max_lag;
	double paused_s;        /* partition-seconds stopped by rebalances */
	double latency_mean_ms, latency_p50_ms, latency_p99_ms, latency_max_ms; /* NaN: none committed */
	int slo_met;            /* its `slo:` met (1) or not (0), the messages left uncommitted counted at
	                         * their age; -1 without one */
};
/* One partition of a consumer group at the end of a sample interval. */
struct row_kafka_partition {
	double t_s;             /* end of the interval, s */
	const char *group, *topic;
	int partition;          /* 0-based */
	int64_t lag;            /* produced and not committed, now */
	int64_t produced;       /* produced to it in the interval */
	int member;             /* its owner (0-based, by pod number), -1: none */
	int paused;             /* stopped by a rebalance now: 1, else 0 */
};
/* The run's sagas over one sample interval. */
struct row_saga_sample {
	double t_s;             /* end of the interval, s */
	int64_t started, completed, failed; /* in the interval */
	int64_t open;           /* in flight at its end */
	double p50_s, p99_s;    /* completion of the sagas completed in the interval; NaN: none */
};
struct row_sagas {
	int64_t started, completed, failed; /* failed: a message of it went to a DLT */
	int64_t open;           /* still in flight at the end */
	double mean_s, p50_s, p99_s, max_s; /* completion: request to the last commit; NaN: none */
};

/* With clusters: (models/alb.h): one ALB target group over one sample
 * interval. */
struct row_tg {
	double t_s;            /* end of the interval, s */
	const char *rule;      /* the listener rule (borrowed) */
	const char *target_group; /* borrowed */
	const char *cluster;   /* the cluster it forwards to (borrowed) */
	double weight;         /* its weight at t_s, 0..999 (0 when deregistered; fractional during a linear shift) */
	double share;          /* weight / the rule's total weight at t_s, fraction */
	int registered;        /* 1: its targets are registered; 0: deregistered (draining, then cut) */
	int64_t requests;      /* requests the ALB sent to it in the interval */
	int64_t cut;           /* in-flight requests cut at the end of its deregistration delay, in the interval */
};

/* With clusters: one cluster over one sample interval. */
struct row_kcluster {
	double t_s;            /* end of the interval, s */
	const char *cluster;   /* borrowed */
	const char *version;   /* its Kubernetes version (borrowed; "" not given) */
	int nodes;             /* its nodes at t_s, any state */
	int ready;             /* of which Ready */
	double cost_per_hour;  /* USD per hour of its nodes at t_s */
	int64_t requests;      /* requests that ended at its services in the interval */
	int64_t errors;        /* of which failed (all causes) */
};

/* With clusters: one cluster over the whole run. */
struct row_kcluster_total {
	const char *cluster;   /* borrowed */
	const char *version;   /* borrowed */
	double node_hours;     /* its nodes' lifetimes, h */
	double cost_usd;       /* node-seconds x hourly price / 3600 of its nodes; the clusters' sum is the cost row's */
	int max_nodes;         /* the most of its nodes alive at a sample time */
	int64_t requests;      /* requests that ended at its services */
	int64_t errors;        /* of which failed */
	int services;          /* services (copies) deployed to it */
	int slo_met;           /* 1: every SLO of its services met; 0: one missed; -1: none declared */
};

struct sink {
	void *ctx;
	void (*sample)(void *ctx, const struct row_sample *r);
	void (*summary)(void *ctx, const struct row_summary *r);
	void (*decision)(void *ctx, const struct row_decision *r); /* may be NULL */
	void (*nodes)(void *ctx, const struct row_nodes *r);       /* may be NULL */
	void (*cost)(void *ctx, const struct row_cost *r);         /* may be NULL */
	void (*pod_sample)(void *ctx, const struct row_pod_sample *r); /* may be NULL */
	void (*version)(void *ctx, const struct row_version *r);       /* may be NULL */
	void (*rollout)(void *ctx, const struct row_rollout *r);       /* may be NULL */
	void (*kafka)(void *ctx, const struct row_kafka *r);           /* may be NULL */
	void (*kafka_summary)(void *ctx, const struct row_kafka_summary *r); /* may be NULL */
	void (*sagas)(void *ctx, const struct row_sagas *r);           /* may be NULL */
	void (*kafka_partition)(void *ctx, const struct row_kafka_partition *r); /* may be NULL */
	void (*saga_sample)(void *ctx, const struct row_saga_sample *r); /* may be NULL */
	void (*target_group)(void *ctx, const struct row_tg *r);       /* may be NULL */
	void (*kcluster)(void *ctx, const struct row_kcluster *r);     /* may be NULL */
	void (*kcluster_total)(void *ctx, const struct row_kcluster_total *r); /* may be NULL */
};

#endif
