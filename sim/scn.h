/*
 * scn.h: a scenario, as plain data.
 *
 * scn_load reads a YAML scenario file (libfyaml), applies --set overrides,
 * resolves every unit (durations to simtime ns, CPU to cores, memory to bytes,
 * rates to requests per second, percentages to fractions), checks every
 * value, and reads the files a scenario names (traffic traces, catalogs,
 * Kubernetes manifests: HPAs, Deployments, PodDisruptionBudgets) relative to
 * the scenario's folder. What comes out is validated: models read it and never
 * see YAML or open a file. Every error is "file:line:col: what is wrong".
 * The format is documented in scenarios/README.md (the scenario reference).
 */
#ifndef HEADROOM_SCN_H
#define HEADROOM_SCN_H

#include "catalog.h"
#include "common.h"
#include "cron.h"

/* A distribution of a positive quantity, by its mean and coefficient of
 * variation (cv = standard deviation / mean). */
enum dist_kind {
	DIST_CONSTANT,    /* always the mean (cv ignored, 0) */
	DIST_EXPONENTIAL, /* cv is 1 by definition */
	DIST_LOGNORMAL,   /* by mean and cv */
	DIST_GAMMA,       /* by mean and cv: shape 1/cv^2, scale mean*cv^2 */
	DIST_UNIFORM      /* on [mean*(1-cv*sqrt3), mean*(1+cv*sqrt3)], cv <= 1/sqrt3 */
};
struct dist {
	enum dist_kind kind;
	double mean; /* in the unit of the field it describes (seconds for times) */
	double cv;   /* coefficient of variation, >= 0 */
};

/* A traffic trace: rps at times, linearly interpolated (or, with `step`,
 * constant over each row's interval), held after the end (sim/trace.h). */
struct trace {
	double *t;   /* seconds from the first row (t[0] == 0), strictly increasing */
	double *rps; /* requests per second at t[i], >= 0 */
	size_t n;    /* rows, >= 1 */
	bool step;        /* rps[i] holds over [t[i], t[i+1]), the last over [t[n-1], end); false: linear */
	double end;       /* where the trace's data ends, s from t[0] (>= t[n-1]) */
	double epoch;     /* Unix time of t = 0, s */
	size_t n_filled;  /* points filled under the gap policy */
	size_t n_series;  /* series summed */
};
/* Its reading, for the loader and the traffic model alike (sim/trace.c): the
 * index of the first row with time > s (0..n), by binary search; and its rate
 * s seconds after t = 0 (held at its ends; linear between rows read as
 * points, constant over intervals). */
size_t trace_upper(const struct trace *t, double s);
double trace_value(const struct trace *t, double s);

enum pattern_kind {
	PATTERN_CONSTANT, /* 1 */
	PATTERN_DIURNAL,  /* 1 + amplitude * cos(2 pi (clock - peak) / 24 h) */
	PATTERN_TRACE     /* trace rps at t, times traffic.rate (the scenario's pattern.scale) */
};
struct pattern {
	enum pattern_kind kind;
	double amplitude; /* diurnal: relative swing, 0 <= a < 1 */
	double peak_s;    /* diurnal: time of day of the peak, seconds after midnight */
	double start_s;   /* diurnal: time of day at t = 0, seconds after midnight */
	struct trace trace; /* trace: the rows, owned */
};

/* A multiplicative spike: 1 until start, linear ramp to factor, hold, linear
 * decay back to 1. */
struct spike {
	simtime start, ramp, hold, decay; /* ns */
	double factor;                    /* peak multiplier, > 0 */
};

struct scn_traffic {
	bool enabled;     /* false: the service gets calls only from other services */
	double rate;      /* base rate, requests per second (scale, for a trace) */
	struct pattern pattern;
	struct spike *spikes; /* owned */
	size_t n_spikes;
	double dispersion_cv;       /* over-dispersion: cv of a gamma rate factor; 0 = Poisson */
	simtime dispersion_interval;/* how long one factor holds, ns */
};

/* A downstream call made by every request of a service, with a probability. */
struct scn_call {
	int service;        /* index into scenario.services */
	double probability; /* 0 < p <= 1 */
};

enum balancer_kind {
	BALANCER_RANDOM,        /* kube-proxy iptables: uniform over ready pods (weighted when weights differ) */
	BALANCER_ROUND_ROBIN,   /* kube-proxy IPVS rr, Envoy ROUND_ROBIN (EDF when weights differ) */
	BALANCER_LEAST_REQUEST  /* Envoy/Istio LEAST_REQUEST: two random choices (EDF when weights differ) */
};

/* A new endpoint's ramp (models/balancer.h), from when it becomes Ready. */
enum slow_start_kind {
	SLOW_START_NONE,  /* full weight at once */
	SLOW_START_ENVOY, /* Envoy slow_start_config (Istio warmup): max(min, (t / window)^(1 / aggression)) */
	SLOW_START_ALB    /* ALB slow_start.duration_seconds: t / window, only beside a target not ramping */
};
struct scn_slow_start {
	enum slow_start_kind kind;
	simtime window;    /* Envoy slow_start_window, ALB slow_start.duration_seconds; ns, > 0 unless NONE */
	double aggression; /* Envoy aggression, > 0 (1: linear) */
	double min_weight; /* Envoy min_weight_percent as a fraction, 0 to 1 (0.1) */
};

enum slo_eval {
	SLO_EVAL_RUN,    /* met if the whole run's percentile and error rate are within */
	SLO_EVAL_WINDOWS /* met if violation time <= allowed_violation */
};
struct scn_slo {
	bool has_latency;   /* a latency objective is set */
	double percentile;  /* e.g. 99 for p99, in (0, 100) */
	simtime threshold;  /* the percentile must be <= this, ns */
	bool has_errors;    /* an error-rate objective is set */
	double error_budget;/* max error rate, fraction, e.g. 0.001 */
	enum slo_eval eval;
	simtime allowed_violation; /* windows mode: tolerated violation time, ns */
};

/*
 * A HorizontalPodAutoscaler (autoscaling/v2) and the kube-controller-manager
 * flags that govern it (docs/model.md, HorizontalPodAutoscaler). Read from a
 * manifest pasted into the scenario; units resolved (utilisation in percent,
 * CPU in cores, memory in bytes, times in ns).
 */
enum hpa_metric_kind {
	HPA_METRIC_RESOURCE, /* type: Resource (cpu or memory, from metrics-server) */
	HPA_METRIC_PODS,     /* type: Pods (a per-pod custom metric, e.g. requests per second) */
	HPA_METRIC_EXTERNAL  /* type: External (external.metrics.k8s.io: scenario.external_metrics) */
};
enum hpa_resource { HPA_RES_CPU, HPA_RES_MEMORY };
enum hpa_target_kind {
	HPA_TARGET_UTILIZATION,   /* averageUtilization: percent of the pods' request */
	HPA_TARGET_AVERAGE_VALUE, /* averageValue: per pod, in the metric's unit */
	HPA_TARGET_VALUE          /* value: the metric's total (External metrics) */
};
struct scn_hpa_metric {
	enum hpa_metric_kind kind;
	enum hpa_resource resource; /* Resource metrics */
	char *name;                 /* Pods and External metrics: the metric name (owned); a Pods metric is
	                             * each pod's requests per second whatever its name */
	enum hpa_target_kind target;
	int32_t utilization;        /* Utilization target, percent (e.g. 70) */
	double average_value;       /* AverageValue target: cores (cpu), bytes (memory), or per-pod metric units */
	double value;               /* Value target (External): the metric's total, in its unit */
	int *series;                /* External: indices into scenario.external_metrics of the series its name
	                             * and selector match, >= 1 of them (owned) */
	size_t n_series;
	int line, col;              /* where the metric is defined */
};
enum hpa_policy_kind { HPA_POLICY_PODS, HPA_POLICY_PERCENT };
struct scn_hpa_policy {
	enum hpa_policy_kind kind;
	int32_t value;  /* pods, or percent */
	simtime period; /* periodSeconds, ns */
};
enum hpa_select { HPA_SELECT_MAX, HPA_SELECT_MIN, HPA_SELECT_DISABLED };
struct scn_hpa_rules {
	bool has_stabilization;  /* stabilizationWindowSeconds given (scaleDown: else the controller flag) */
	simtime stabilization;   /* ns */
	enum hpa_select select;
	struct scn_hpa_policy *policies; /* owned */
	size_t n_policies;
	bool has_tolerance;      /* tolerance given (else the controller flag) */
	double tolerance;        /* fraction */
};
struct scn_hpa {
	bool enabled;            /* the service has an HPA */
	char *name;              /* metadata.name (owned), for messages and the decisions table */
	int32_t min_replicas;    /* >= 1 (default 1) */
	int32_t max_replicas;    /* >= min_replicas */
	struct scn_hpa_metric *metrics; /* owned; default: cpu at 80 % utilisation */
	size_t n_metrics;
	bool has_behavior;       /* spec.behavior given: the behavior path, else the legacy path */
	struct scn_hpa_rules up, down; /* with Kubernetes' defaults filled in when has_behavior */
	/* kube-controller-manager flags (--horizontal-pod-autoscaler-...) */
	simtime sync_period;     /* 15 s */
	double tolerance;        /* 0.1 */
	simtime downscale_stabilization; /* 5 min */
	simtime cpu_initialization_period; /* 5 min */
	simtime initial_readiness_delay;   /* 30 s */
	double scale_up_limit_factor;  /* legacy path: 2.0 (the Kubernetes tests use 8) */
	double scale_up_limit_minimum; /* legacy path: 4.0 */
	int ref_kind;            /* spec.scaleTargetRef.kind: 1 + its place in Deployment, StatefulSet,
	                          * ReplicaSet, Rollout; 0: no manifest */
};

/*
 * How a new pod of a service comes up and goes away (models/pod.c). Times
 * are distributions in seconds. Readiness follows the kubelet's probe: the
 * first probe runs initial_delay after the container starts, then every
 * period; a probe succeeds once the application is up, and the pod is Ready
 * after success_threshold successes in a row.
 */
struct scn_startup {
	struct dist image_pull_first;  /* pulling the image on a node that has never run it, s */
	struct dist image_pull_cached; /* on a node that has it already, s */
	struct dist container_start;   /* creating and starting the container, s */
	struct dist app_start;         /* from container start until the application answers, s */
	simtime probe_initial_delay;   /* readinessProbe.initialDelaySeconds, ns */
	simtime probe_period;          /* readinessProbe.periodSeconds, ns */
	int probe_success_threshold;   /* readinessProbe.successThreshold */
	int probe_failure_threshold;   /* readinessProbe.failureThreshold (recorded; probes of a running app do not fail) */
	simtime termination_grace;     /* terminationGracePeriodSeconds: drain time before the kill, ns */
};

/* A label (of a pod or a node) or a matchLabels pair (both strings owned). */
struct scn_label {
	char *key;   /* e.g. app.kubernetes.io/name */
	char *value; /* may be empty */
};

/* A node taint (core/v1 Taint); kube-scheduler's TaintToleration reads
 * its effect: NoSchedule and NoExecute filter, PreferNoSchedule scores. */
enum taint_effect { EFFECT_NO_SCHEDULE, EFFECT_PREFER_NO_SCHEDULE, EFFECT_NO_EXECUTE };
struct scn_taint {
	char *key;                /* a qualified name (owned) */
	char *value;              /* a label value, may be "" (owned) */
	enum taint_effect effect;
};

/* A pod's toleration (core/v1 Toleration; operators Equal and Exists). */
struct scn_toleration {
	char *key;     /* owned; "" (with Exists) tolerates every key */
	bool exists;   /* operator Exists: any value (else Equal: value must match) */
	char *value;   /* owned; "" with Exists */
	int effect;    /* enum taint_effect, or -1: every effect */
	bool has_seconds; /* tolerationSeconds given (NoExecute only); else a tolerated NoExecute taint never evicts */
	int64_t seconds;  /* tolerationSeconds, s (<= 0: evicted at once) */
};

#define SCN_MAX_ZONES 32 /* zones a cluster may name (masks are 32 bits) */

/*
 * Where a node group's nodes are and what they carry: a zone of
 * cluster.zones, labels and taints. Shared by static node groups,
 * Karpenter NodePools (template.metadata.labels, template.spec.taints,
 * fixed requirement values) and Cluster Autoscaler node groups.
 */
struct scn_node_meta {
	int zone;                 /* index into cluster.zones; -1: see the owner (round-robin, or the pool's zones) */
	uint32_t zones;           /* NodePool: bit z set when its requirements allow zone z (all bits: no requirement) */
	struct scn_label *labels; /* owned; user labels (not the well-known ones headroom sets itself) */
	size_t n_labels;
	struct scn_taint *taints; /* owned */
	size_t n_taints;
};

/* A group of identical static nodes (cluster.nodes): Ready from the start,
 * never removed; provisioners add and remove nodes beside them. */
struct scn_nodes {
	char *name;          /* node group name (owned); nodes are name-0, name-1, ... */
	int count;           /* nodes in the group */
	double cpu;          /* allocatable cores per node (after reserved and eviction overheads) */
	double memory;       /* allocatable bytes per node */
	int max_pods;        /* pods per node */
	bool image_cached;   /* every service's image is on these nodes already */
	char instance[32];   /* instance type from the catalog ("" if allocatable was given) */
	double price_hour;   /* USD per node-hour (0 if unknown) */
	struct scn_node_meta meta; /* zone (-1: the nodes go round-robin over cluster.zones), labels, taints */
};
enum scn_strategy { SCN_LEAST_ALLOCATED, SCN_MOST_ALLOCATED };

/* How a pod's CPU request (cgroup v1 cpu.shares) becomes the weight the
 * kernel divides a busy node's CPU by (models/cpu.h). */
enum scn_cpu_weights {
	SCN_CPU_V2_LOG_QUADRATIC, /* cgroup v2, runc >= 1.3.2 / crun >= 1.23 / kubelet's opencontainers/cgroups (default) */
	SCN_CPU_V2_LINEAR,        /* cgroup v2, older runtimes: 1 + (shares - 2) x 9999 / 262142 */
	SCN_CPU_V1                /* cgroup v1: the shares themselves */
};

/* A NodePool requirement (a NodeSelectorRequirement over instance labels). */
enum req_op { REQ_IN, REQ_NOT_IN, REQ_EXISTS, REQ_DOES_NOT_EXIST, REQ_GT, REQ_LT };
struct scn_requirement {
	char *key;        /* e.g. karpenter.k8s.aws/instance-family (owned) */
	enum req_op op;
	char **values;    /* owned */
	size_t n_values;
	int min_values;   /* minValues, 0 if not given */
	int *value_ids;   /* with min_values, in a NodePool: per catalog index, a number for the type's
	                   * value of key (equal values, equal numbers; 0..catalog n - 1) (owned) */
};

/*
 * A metav1.LabelSelector: a pod's labels are selected when every matchLabels
 * pair is among them and every expression holds (op In, NotIn, Exists or
 * DoesNotExist; min_values unused). An empty selector (neither) selects
 * every pod. See scn_selector_matches.
 */
struct scn_selector {
	struct scn_label *match;        /* matchLabels (owned) */
	size_t n_match;
	struct scn_requirement *exprs;  /* matchExpressions (owned) */
	size_t n_exprs;
};

/*
 * Where a service's pods may and would rather run (the pod template's
 * nodeSelector, affinity, tolerations and topologySpreadConstraints), as
 * models/placement.h evaluates it. Topology keys are the two headroom's
 * nodes carry: kubernetes.io/hostname and topology.kubernetes.io/zone.
 */
enum scn_topo { SCN_TOPO_HOSTNAME, SCN_TOPO_ZONE };

/* A NodeSelectorTerm: its matchExpressions, all of which must hold (an
 * empty term matches no node), and a weight when it is preferred. */
struct scn_node_term {
	struct scn_requirement *exprs; /* owned (min_values and value_ids unused) */
	size_t n_exprs;
	int32_t weight;                /* preferredDuringScheduling...: 1..100; required terms: 0 */
};

/* A topologySpreadConstraint, with Kubernetes' defaults filled in. */
struct scn_spread {
	int32_t max_skew;        /* >= 1 */
	enum scn_topo key;       /* topologyKey */
	bool hard;               /* whenUnsatisfiable DoNotSchedule (a filter), else ScheduleAnyway (a score) */
	bool has_selector;       /* labelSelector given; without one it selects no pod */
	struct scn_selector selector;
	int32_t min_domains;     /* minDomains, default 1 (DoNotSchedule only) */
	bool honor_affinity;     /* nodeAffinityPolicy: Honor (default) or Ignore */
	bool honor_taints;       /* nodeTaintsPolicy: Honor or Ignore (default) */
	bool own_revision;       /* matchLabelKeys has pod-template-hash: only this Deployment's pods count */
	int line, col;
};

/* A pod (anti-)affinity term, required or preferred (weighted). */
struct scn_pod_term {
	bool anti;               /* podAntiAffinity, else podAffinity */
	int32_t weight;          /* preferredDuringScheduling...: 1..100; requiredDuringScheduling...: 0 */
	enum scn_topo key;       /* topologyKey */
	bool has_selector;       /* labelSelector given; without one it selects no pod */
	struct scn_selector selector; /* over pods of the pod's own namespace */
	int line, col;
};

struct scn_placement {
	struct scn_label *node_selector;  /* nodeSelector (owned) */
	size_t n_node_selector;
	bool has_required;                /* nodeAffinity.requiredDuringScheduling... given */
	struct scn_node_term *required;   /* its nodeSelectorTerms, ORed (owned) */
	size_t n_required;
	struct scn_node_term *preferred;  /* nodeAffinity.preferredDuringScheduling... (owned) */
	size_t n_preferred;
	struct scn_pod_term *pod_terms;   /* podAffinity and podAntiAffinity terms, required and preferred (owned) */
	size_t n_pod_terms;
	struct scn_toleration *tolerations; /* owned */
	size_t n_tolerations;
	struct scn_spread *spread;        /* topologySpreadConstraints (owned); none: kube-scheduler's defaults */
	size_t n_spread;
};

/* A DaemonSet: one pod on every node it selects and tolerates. */
struct scn_daemonset {
	char *name;                   /* owned */
	double cpu;                   /* cores requested by its pod */
	double memory;                /* bytes requested by its pod */
	struct scn_label *node_selector; /* owned; its pods' nodeSelector */
	size_t n_node_selector;
	struct scn_toleration *tolerations; /* owned */
	size_t n_tolerations;
	bool everywhere;              /* the single-mapping form: on every node, taints or not */
};

/* Kubernetes' IntOrString as maxSurge, maxUnavailable and minAvailable use
 * it: a count of pods, or a percentage of some total that the user of the
 * value rounds (a PDB rounds up, see models/pdb.h). */
struct scn_intpct {
	bool pct;      /* written as a percentage ("25%"), else an integer */
	int32_t value; /* pods, or percent (>= 0; <= 100 where Kubernetes bounds it) */
};

/* A Deployment's spec.strategy (apps/v1). */
enum rollout_kind { ROLLOUT_ROLLING_UPDATE, ROLLOUT_RECREATE };
struct scn_rollout {
	enum rollout_kind kind;         /* RollingUpdate (default) or Recreate */
	struct scn_intpct max_surge;    /* rollingUpdate.maxSurge, default 25 % (RollingUpdate only) */
	struct scn_intpct max_unavailable; /* rollingUpdate.maxUnavailable, default 25 %, <= 100 % */
};

/*
 * A policy/v1 PodDisruptionBudget, resolved to the services whose pods its
 * selector selects. models/pdb.h computes its disruptionsAllowed and
 * whether an eviction may go ahead.
 */
enum pdb_budget { PDB_MIN_AVAILABLE, PDB_MAX_UNAVAILABLE };
enum pdb_unhealthy {
	PDB_IF_HEALTHY_BUDGET, /* unhealthyPodEvictionPolicy IfHealthyBudget (the default) */
	PDB_ALWAYS_ALLOW       /* AlwaysAllow: a Running pod that is not Ready may always be evicted */
};
struct scn_pdb {
	char *name;               /* metadata.name (owned; "pdbs[i]" when not given) */
	char *namespace;          /* metadata.namespace (owned); NULL: not given (any namespace) */
	enum pdb_budget budget;   /* which of minAvailable and maxUnavailable is given (exactly one) */
	struct scn_intpct value;  /* its value; a percentage is <= 100 */
	enum pdb_unhealthy unhealthy;
	struct scn_selector selector; /* spec.selector */
	int *services;            /* indices into scenario.services it selects, ascending (owned), n_services >= 1 */
	size_t n_services;
	int line, col;            /* its item of `pdbs:` in the scenario file */
	bool alias;               /* with clusters: this PDB in a further cluster (sim/scn_alb.c): only services owned */
};

/*
 * A scheduling.k8s.io/v1 PriorityClass (`priorityClasses:`). A pod naming
 * it gets its value as spec.priority; a pod naming none gets the
 * globalDefault class's, or 0 without one (plugin/pkg/admission/priority).
 * The built-in system-cluster-critical (2000000000) and
 * system-node-critical (2000001000) need not be listed.
 */
#define SCN_MAX_USER_PRIORITY 1000000000 /* HighestUserDefinablePriority */
struct scn_priority_class {
	char *name;          /* metadata.name (owned) */
	int32_t value;       /* value, <= SCN_MAX_USER_PRIORITY for a user's class */
	bool global_default; /* globalDefault */
	bool never;          /* preemptionPolicy: Never (default PreemptLowerPriority) */
	int line, col;       /* its item of `priorityClasses:` */
};

enum consolidation_policy { CONSOLIDATE_WHEN_EMPTY, CONSOLIDATE_WHEN_EMPTY_OR_UNDERUTILIZED };

/* The kubelet settings of a karpenter.k8s.aws/v1 EC2NodeClass that change
 * a node's allocatable (the rest of an EC2NodeClass has no effect here). */
struct scn_nodeclass {
	char *name;                 /* metadata.name (owned) */
	int max_pods;               /* kubelet.maxPods; 0: the ENI limit of the type */
	double kube_reserved_cpu;   /* cores; < 0: Karpenter's tiered default */
	double kube_reserved_mem;   /* bytes; < 0: 11 x maxPods + 255 MiB */
	double system_reserved_cpu; /* cores (default 0) */
	double system_reserved_mem; /* bytes (default 0) */
	double eviction_mem;        /* evictionHard memory.available, bytes (default 100 MiB) */
};

/* The values of karpenter.sh/capacity-type headroom models, as bits. */
enum { SCN_ON_DEMAND = 1, SCN_SPOT = 2 };

/*
 * One disruption budget of a NodePool (spec.disruption.budgets[i];
 * kubernetes-sigs/karpenter pkg/apis/v1/nodepool.go Budget). It caps the
 * nodes of the pool disrupting at once for the reasons it names, while it
 * is active: always without a schedule, else from each time its cron
 * schedule fires (UTC) for its duration. models/karpenter.h
 * karp_budget_allowed_at computes it.
 */
enum scn_disruption_reason {       /* pkg/apis/v1 DisruptionReason, as bits */
	SCN_REASON_UNDERUTILIZED = 1,  /* consolidation of a non-empty node */
	SCN_REASON_EMPTY = 2,          /* an empty node */
	SCN_REASON_DRIFTED = 4         /* a drifted node (cluster.drifts) */
};
#define SCN_REASONS_ALL 7          /* a budget without `reasons`: every well-known reason */
#define SCN_MAX_BUDGETS 50         /* +kubebuilder:validation:MaxItems=50 */
struct scn_budget {
	double pct;         /* nodes as a percentage, 0..100; -1: a count */
	int nodes;          /* nodes as a count; -1: a percentage */
	unsigned reasons;   /* SCN_REASON_* bits it applies to (SCN_REASONS_ALL without `reasons`) */
	bool scheduled;     /* has schedule and duration (both or neither, as upstream requires) */
	struct cron schedule; /* when it becomes active (UTC unless CRON_TZ=), descriptors expanded */
	simtime duration;   /* how long it stays active after each firing, ns */
	int line, col;
};

/* A NodePool's node class changed at a time (cluster.drifts): the pool's
 * nodes launched before are Drifted, and Karpenter replaces them
 * (models/karpenter.h, drift). */
struct scn_drift {
	simtime at;         /* ns after the start, > 0 */
	int pool;           /* index into karpenter.pools */
	char *nodeclass;    /* what the nodes change to, for people (an AMI, a Kubernetes version; owned) */
	int line, col;
};

/* A karpenter.sh/v1 NodePool, resolved against the catalog. */
struct scn_nodepool {
	char *name;                 /* metadata.name (owned) */
	int weight;                 /* spec.weight, 0..100 */
	struct scn_requirement *reqs; /* owned */
	size_t n_reqs;
	int *types;                 /* catalog indices the requirements allow and that have an offering of one of
	                             * its capacity types in one of its zones, cheapest offering first (owned) */
	size_t n_types;
	int nodeclass;              /* index of its EC2NodeClass in karpenter.nodeclasses, -1: defaults */
	struct scn_node_meta meta;  /* its nodes' zones (zone -1; the zones mask), labels and taints */
	double *alloc_cpu;          /* per catalog index: allocatable cores with the pool's node class (owned) */
	double *alloc_mem;          /* ... bytes (owned) */
	int *alloc_pods;            /* ... pods (owned) */
	uint8_t capacity;           /* the capacity types its requirements allow: SCN_ON_DEMAND | SCN_SPOT bits, >= 1 */
	double limit_cpu;           /* spec.limits.cpu, cores; <= 0: none */
	double limit_memory;        /* bytes; <= 0: none */
	int limit_nodes;            /* nodes; <= 0: none */
	enum consolidation_policy policy;
	bool consolidation_off;     /* consolidateAfter: Never */
	simtime consolidate_after;  /* ns */
	double budget_pct;          /* the tightest of the budgets in percent of the pool's nodes (default 10;
	                             * -1: none given as a percentage) */
	int budget_nodes;           /* ... or in nodes (-1: none given as a count) */
	simtime expire_after;       /* template.spec.expireAfter, ns; 0: Never */
	simtime termination_grace;  /* template.spec.terminationGracePeriod, ns: how long a drain waits on
	                             * PDBs and do-not-disrupt before it deletes the pods; 0: unset (it waits) */
	int line, col;
	struct scn_budget *budgets; /* spec.disruption.budgets (owned), in file order; default one of 10 % */
	size_t n_budgets;
};

/* Latencies of one instance family (karpenter.k8s.aws/instance-family). */
struct scn_family_latency {
	char family[16];
	struct dist launch, registration, initialization; /* s */
};

/* Karpenter's controller settings and the cloud's latencies. */
struct scn_karpenter {
	simtime batch_idle;         /* --batch-idle-duration, 1 s */
	simtime batch_max;          /* --batch-max-duration, 10 s */
	struct scn_nodepool *pools; /* owned */
	size_t n_pools;
	struct scn_nodeclass *classes; /* owned */
	size_t n_classes;
	struct dist launch;         /* create call until the instance runs, s */
	struct dist registration;   /* instance running until the Node registers, s */
	struct dist initialization; /* registered until Ready and initialized, s */
	struct scn_family_latency *families; /* per instance family overrides (owned) */
	size_t n_families;
	simtime launch_timeout;       /* 5 min: not Launched by then, the NodeClaim is deleted and retried */
	simtime registration_timeout; /* 15 min: not Registered by then, likewise */
	simtime poll;               /* disruption polling, 10 s */
	simtime validation;         /* a consolidation command's re-validation delay, 15 s */
};

/* A Cluster Autoscaler node group (one instance type, an ASG). */
struct scn_nodegroup {
	char *name;       /* owned */
	int type;         /* catalog index */
	int min, max;     /* ASG bounds */
	int initial;      /* nodes at t = 0 (Ready) */
	struct scn_node_meta meta; /* zone (-1: it spans the zones of the zones mask, its nodes going where
	                            * it has fewest), labels, taints */
};
/* --expander; price is refused at load (no pricing on AWS: docs/cluster-autoscaler.md). */
enum ca_expander { CA_LEAST_WASTE, CA_RANDOM, CA_MOST_PODS };
#define SCN_CA_MAX_CORES ((int64_t)5000 * 64)          /* config.DefaultMaxClusterCores, cores */
#define SCN_CA_MAX_MEMORY ((int64_t)5000 * 64 * 20 << 30) /* config.DefaultMaxClusterMemory (GiB), bytes */
struct scn_ca {
	struct scn_nodegroup *groups; /* owned */
	size_t n_groups;
	enum ca_expander expander;    /* --expander, least-waste */
	simtime scan_interval;        /* --scan-interval, 10 s */
	simtime max_node_provision_time; /* 15 min */
	simtime scale_down_unneeded_time; /* 10 min */
	simtime scale_down_delay_after_add; /* 10 min */
	simtime scale_down_delay_after_failure; /* 3 min */
	double scale_down_utilization_threshold; /* 0.5 */
	int max_nodes_per_scaleup;    /* 1000 */
	int max_scale_down_parallelism; /* 10 */
	simtime initial_backoff, max_backoff; /* 5 min, 30 min */
	bool scale_down_enabled;      /* --scale-down-enabled, true */
	bool ignore_daemonsets_utilization; /* --ignore-daemonsets-utilization, false */
	int max_nodes_total;          /* --max-nodes-total, nodes; 0: no limit */
	int64_t cores_min, cores_max; /* --cores-total "min:max", cores (0:SCN_CA_MAX_CORES) */
	int64_t memory_min, memory_max; /* --memory-total "min:max" (given in GiB), bytes (0:SCN_CA_MAX_MEMORY) */
	bool balance_similar_node_groups; /* --balance-similar-node-groups, false */
	char **balancing_ignore_labels; /* --balancing-ignore-label, each a label key (owned) */
	size_t n_balancing_ignore_labels;
	int32_t expendable_cutoff;    /* --expendable-pods-priority-cutoff, -10: pods of a lower priority neither
	                               * scale up nor count on nodes (FilterOutExpendablePods) */
	struct dist boot;             /* ASG request until the Node registers, s */
	struct dist initialization;   /* registered until Ready, s */
};

/*
 * Spot interruptions (cluster.interruptions; models/spot.h). A spot node is
 * interrupted at a constant hazard of its type's rate, and/or at the given
 * times. A rate is the Spot Instance Advisor's "frequency of interruption":
 * the share p of instances interrupted within a 730-hour month; the hazard
 * that interrupts that share of instances running the whole month is
 * -ln(1 - p) / 730 per node-hour.
 */
struct scn_spot_rate {
	int type;             /* catalog index, or -1 */
	char family[16];      /* karpenter.k8s.aws/instance-family, or "" (neither: every other spot type) */
	double share;         /* share of instances interrupted per month, 0 <= share < 1 */
	double per_hour;      /* the hazard: -ln(1 - share) / 730, per node-hour */
	int line, col;
};
struct scn_spot_at {
	simtime at;           /* when the notice comes, ns (> 0, within the run) */
	char *node;           /* the node's name (owned), or NULL: the first spot node the rest selects */
	int type;             /* catalog index, or -1: any */
	char family[16];      /* or "": any */
	int zone;             /* index into cluster.zones, or -1: any */
	int line, col;
};
struct scn_interruptions {
	struct scn_spot_rate *rates; /* owned; the most specific that matches a node applies (type, family,
	                              * then the one without either) */
	size_t n_rates;
	struct scn_spot_at *at;      /* owned, in file order */
	size_t n_at;
};

/* A zone lost (cluster.outages; models/outage.h): at start its instances
 * stop, the node lifecycle controller finds them NotReady, and after
 * remove_after they are removed. */
struct scn_outage {
	int zone;             /* index into cluster.zones */
	simtime start;        /* ns, > 0 */
	simtime remove_after; /* ns after start, > 0; SIM_FOREVER: not within the run */
	int line, col;
};

/* A window of insufficient capacity (cluster.capacity): launching one of
 * the offerings it covers fails from start to end (sim/scn_offer.c). */
struct scn_shortage {
	simtime start, end; /* ns, end > start (SIM_FOREVER: to the end of the run) */
	uint32_t zones;     /* the cluster zones it covers, bit z */
	uint8_t capacity;   /* the capacity types it covers: SCN_ON_DEMAND | SCN_SPOT bits */
	bool *types;        /* per catalog type: covered (owned) */
	int line, col;      /* its item in the scenario */
};

enum provisioner_kind { PROV_NONE, PROV_KARPENTER, PROV_CLUSTER_AUTOSCALER };
struct scn_cluster {
	bool enabled;         /* false: unlimited room, one image cache for all pods */
	struct scn_nodes *groups; /* owned */
	size_t n_groups;
	enum scn_strategy strategy;  /* kube-scheduler scoring: LeastAllocated (default) or MostAllocated */
	bool default_spread;    /* PodTopologySpread defaultingType System (default): pods without constraints
	                         * spread by hostname (maxSkew 3) and zone (5), ScheduleAnyway; false: List, none */
	char **zones;           /* the zones nodes may be in (owned), default us-east-1a, -1b, -1c */
	size_t n_zones;         /* 1..SCN_MAX_ZONES with a cluster */
	struct scn_daemonset *daemonsets; /* owned */
	size_t n_daemonsets;
	double daemonset_cpu;   /* cores of all DaemonSets together (a node running every one of them) */
	double daemonset_memory;/* bytes, likewise */
	enum scn_cpu_weights cpu_weights; /* cluster.cpu_weight_mapping */
	enum provisioner_kind provisioner;
	struct catalog catalog; /* instance types (loaded when the cluster names a catalog), and cluster.offerings */
	double *offer_price;    /* with a catalog: per type x zone x capacity type (0 on-demand, 1 spot), USD per
	                         * hour, 0 where not offered (catalog_offer_table; owned); see scn_offer_price */
	struct scn_shortage *shortages; /* cluster.capacity, in file order (owned) */
	size_t n_shortages;
	struct scn_karpenter karpenter;
	struct scn_ca ca;
	struct scn_interruptions interruptions; /* spot interruptions (models/spot.h) */
	struct scn_outage *outages; /* zones lost (owned; models/outage.h), in file order */
	size_t n_outages;
	struct scn_drift *drifts;   /* NodePools' node classes changed (cluster.drifts; owned), by time */
	size_t n_drifts;
};

/* The control plane's timing (kube-controller-manager and metrics-server). */
struct scn_control {
	simtime metric_resolution; /* metrics-server --metric-resolution (manifests: 15 s; binary default 60 s) */
	simtime scrape_offset;     /* the first scrape, ns after t = 0; -1: drawn per run in [0, resolution) */
	simtime hpa_offset;        /* the first HPA sync, ns after t = 0; -1: drawn per run in [0, sync period) */
	simtime sync_period;       /* --horizontal-pod-autoscaler-sync-period, 15 s */
	double tolerance;          /* --horizontal-pod-autoscaler-tolerance, 0.1 */
	simtime downscale_stabilization;   /* 5 min */
	simtime cpu_initialization_period; /* 5 min */
	simtime initial_readiness_delay;   /* 30 s */
	simtime node_monitor_grace;        /* --node-monitor-grace-period: a node silent this long is NotReady, 50 s */
	double node_eviction_rate;         /* --node-eviction-rate: NoExecute taints per second in a zone, 0.1 */
	int64_t unreachable_toleration;    /* kube-apiserver --default-unreachable-toleration-seconds, 300 */
};

struct scn_service {
	char *name;            /* owned; [A-Za-z0-9_-]{1,63}, unique */
	int line, col;         /* where it is defined, for later error messages */
	int replicas;          /* pods at the start (the Deployment's spec.replicas), >= 1 */
	double cpu_request;    /* cores per pod, > 0 */
	double cpu_limit;      /* cores per pod; 0 = no limit (the pod gets its request) */
	double memory_request; /* bytes per pod, 0 if not given */
	double memory_limit;   /* bytes per pod, 0 if not given */
	int workers;           /* concurrent requests a pod serves (thread pool), >= 1 */
	int64_t queue;         /* accept queue length behind the workers; -1 = unbounded */
	simtime timeout;       /* client timeout of a request to this service, ns; 0 = none */
	struct dist cpu_per_request; /* CPU seconds a request needs on a warm pod */
	double warmup_factor;  /* CPU multiplier of a fresh pod (>= 1; 1 = no warm-up) */
	simtime warmup_duration; /* time constant of its exponential decay to 1, ns */
	enum balancer_kind balancer;
	double active_request_bias;  /* least-request: EDF weight / (active + 1)^bias when weights differ (1) */
	struct scn_slow_start slow_start; /* kind NONE: off */
	struct scn_call *calls; /* owned; made in order after the request's own CPU work */
	size_t n_calls;
	struct scn_traffic traffic;
	struct scn_slo slo;
	struct scn_startup startup;
	struct scn_hpa hpa;          /* hpa.enabled false: replicas stay fixed */
	double memory_base;          /* working set of an idle pod, bytes (memory metrics) */
	double memory_per_request;   /* working set added by each request in the pod, bytes */
	double buffer;               /* minReplicas = ceil(baseline x buffer), a fraction (1.3 = 130 %); 0: none
	                              * (sim/scn_sweep.c, the baseline is plan_baselines' in sim/plan.h) */
	/* The workload as a Deployment describes it (sim/scn_deploy.c). With
	 * `deployment:` these come from the manifest (and replicas, resources,
	 * the readiness probe and the grace period above too); without it they
	 * are the defaults noted. */
	bool has_deployment;         /* the service gives an apps/v1 Deployment manifest */
	char *deployment_name;       /* its metadata.name (owned); NULL without a Deployment */
	char *namespace;             /* its metadata.namespace (owned); NULL: not given (any namespace) */
	struct scn_label *labels;    /* pod labels, spec.template.metadata.labels (owned); without: {app: NAME} */
	size_t n_labels;
	struct scn_selector selector; /* spec.selector; without: matchLabels {app: NAME} */
	struct scn_rollout rollout;  /* spec.strategy; without: RollingUpdate, 25 % / 25 % */
	char *priority_class;        /* spec.template.spec.priorityClassName (owned); NULL: none given */
	int32_t priority;            /* the pods' spec.priority as the Priority admission plugin sets it: their
	                              * class's value, else the globalDefault class's, else 0 (sim/scn_priority.c) */
	bool preempt_never;          /* spec.preemptionPolicy Never (from the class): the pods preempt no one */
	bool placeholder;            /* every container runs a pause image (registry.k8s.io/pause ...): a
	                              * placeholder holding room for others; no traffic, no callers */
	bool do_not_disrupt;         /* pod annotation karpenter.sh/do-not-disrupt: "true" */
	bool safe_to_evict;          /* pod annotation cluster-autoscaler.kubernetes.io/safe-to-evict is not "false" */
	int pdb;                     /* index into scenario.pdbs of the PDB selecting its pods; -1: none */
	struct scn_placement placement; /* the pod template's nodeSelector, affinity, tolerations and spread */
	struct scn_delivery *delivery; /* `rollout:` (sim/scn_rollout.h, owned); NULL: none */
	/* Several clusters (`clusters:`, sim/scn_alb.c): a service deployed to
	 * several is one copy per cluster, `name@cluster`, the first at the
	 * service's own index, the others appended (aliases of its fields). */
	int kcluster;                /* index into scenario.multi->clusters; -1: no `clusters:` */
	int logical;                 /* the index of the service as written (its first copy); itself without clusters */
	bool alias;                  /* a copy appended by the expansion: its pointer fields are borrowed */
};

/* One variant of a `compare:` scenario: a name and the overrides that make
 * it, as --set strings ("cluster.provisioner=karpenter"). */
struct scn_variant {
	char *name;   /* owned */
	char **sets;  /* owned, n_sets strings "dotted.key=yaml" */
	size_t n_sets;
	char **values; /* a sweep's variant: its value of each axis as written (sweep.n_axes, owned); else NULL */
	int line, col; /* where the variant is named */
};

/* A `sweep:` section: axes of values whose Cartesian product makes the
 * variants (in scenario.variants, first axis slowest, named by their
 * values); see sim/scn_sweep.c. */
struct scn_sweep {
	bool enabled;         /* the scenario has a sweep: its variants come from it */
	size_t n_axes;        /* axes (keys that move together count once) */
	int64_t replications; /* runs per variant a plan makes; 0: not given */
	double target;        /* the P(SLO met) a plan asks for, fraction in (0, 1); 0: not given */
	int line, col;        /* where sweep: is */
	char **axes;          /* the axes' names (n_axes, owned): the key, or the group's name */
	bool adaptive;        /* `adaptive: true`: a plan stops each variant once its test decides (plan_seq.h) */
	char *search;         /* `search: AXIS`: a plan bisects this numeric axis (owned); NULL: none */
};

/*
 * An external metric (top-level `external_metrics:`, sim/scn_ext.c): one
 * series of the external metrics API (external.metrics.k8s.io) as KEDA's
 * metrics server serves a trigger, by name and labels. An HPA's External
 * metric sums the series its metric.name and selector match. Its value over
 * the run is resolved at load: piecewise constant, steps[k].value from
 * steps[k].t until the next step's t.
 */
struct scn_ext_step {
	simtime t;    /* ns: after the run's start (steps) or the month's (month) */
	double value; /* the metric's value, in its unit (a cron trigger's: replicas) */
};
struct scn_ext_metric {
	char *name;               /* the metric's name (owned) */
	struct scn_label *labels; /* its labels (owned), matched by an HPA metric's selector */
	size_t n_labels;
	struct scn_ext_step *steps; /* over the run, steps[0].t == 0, ascending, no two equal values in a row (owned) */
	size_t n_steps;
	struct scn_ext_step *month; /* cron: over the month from 00:00 UTC of the scenario's start (730 h), t from
	                             * the month's start (owned); NULL for run-relative windows */
	size_t n_month;	int kafka;                /* 1 + the index in scenario.kafka.consumers of the consumer group whose lag
	                           * feeds it (KEDA's kafka trigger, sim/scn_kafka.c); 0: its steps */
};

/*
 * Kafka (top-level `kafka:`, sim/scn_kafka.c; models/kafka.h, docs/kafka.md):
 * topics of partitions, services producing to them on their requests'
 * outcomes or on messages they consume, and consumer groups (a service's
 * pods consuming one topic), with their error handling and KEDA's kafka
 * trigger. Indices refer to scenario.services and kafka.topics.
 */
#define SCN_KAFKA_MAX_PARTITIONS 10000
enum scn_kafka_keys {
	KAFKA_KEYS_UNIFORM, /* every key equally likely: partitions get equal shares */
	KAFKA_KEYS_ZIPF     /* partition k (0-based) gets a share proportional to 1 / (k + 1)^skew */
};
struct scn_kafka_topic {
	char *name;              /* owned */
	int partitions;          /* 1 to SCN_KAFKA_MAX_PARTITIONS */
	enum scn_kafka_keys keys;
	double skew;             /* zipf exponent (keys: zipf), > 0 */
	int line, col;
};
enum scn_kafka_on {
	KAFKA_ON_SUCCESS, /* a request answered successfully, or a message processed */
	KAFKA_ON_FAILURE  /* a request failed (error, timeout, refusal), or a message sent to the DLT */
};
struct scn_kafka_producer {
	int service;             /* the producing service */
	int topic;               /* the topic it publishes to */
	int from;                /* -1: on the service's requests; else on its messages of this topic (a consumer) */
	enum scn_kafka_on on;
	double probability;      /* of publishing one event per such outcome, (0, 1] */
	int line, col;
};
enum scn_kafka_assignor {
	KAFKA_ASSIGN_RANGE,             /* RangeAssignor: an eager protocol, every member stops */
	KAFKA_ASSIGN_COOPERATIVE_STICKY /* CooperativeStickyAssignor: only moved partitions stop */
};
struct scn_kafka_consumer {
	int service;             /* the consuming service (its Ready pods are the group's members) */
	int topic;
	char *group;             /* group.id (owned; default: the service's name) */
	int concurrency;         /* consumers (listener threads, members) per pod, default 1 */
	enum scn_kafka_assignor assignor;
	struct dist rebalance_pause; /* how long a rebalance stops the partitions it stops, s */
	bool has_cpu;            /* cpu_per_message given (else the service's cpu_per_request) */
	struct dist cpu_per_message; /* CPU seconds per delivery, on the pod's processor sharing */
	double transient;        /* probability a delivery fails and a redelivery may succeed, [0, 1) */
	double logical;          /* probability a message fails every delivery (a poison message), [0, 1] */
	simtime backoff_interval;/* FixedBackOff interval between deliveries of a failing message, ns (0) */
	int max_retries;         /* FixedBackOff maxAttempts: redeliveries before the DLT (9: 10 deliveries) */
	bool keda;               /* a KEDA kafka trigger scales the service on this group's lag */
	int64_t lag_threshold;   /* lagThreshold (10), > 0 */
	int64_t activation_lag;  /* activationLagThreshold (0) */
	bool allow_idle;         /* allowIdleConsumers (false) */
	bool limit_to_lag;       /* limitToPartitionsWithLag (false) */
	int series;              /* its series in scenario.external_metrics (keda), else -1 */
	int line, col;
	bool has_slo;            /* `slo:` given: an objective on produce-to-commit time over the run */
	double slo_percentile;   /* e.g. 99 for p99 */
	simtime slo_threshold;   /* the percentile must be <= this, ns */
	simtime session_timeout; /* session.timeout.ms: a consumer on a lost node leaves the group this long
	                          * after, ns (45 s) */
	bool retry_topics;       /* `retryable_topic:` (@RetryableTopic): failures go to TOPIC-retry, not retried
	                          * in place */
	int retry_attempts;      /* its attempts: deliveries in all, the first included (3) */
	simtime retry_delay;     /* its backoff delay before each redelivery from TOPIC-retry, ns (1 s) */
	int64_t min_replica_count; /* keda: the ScaledObject's minReplicaCount; 0 scales to zero; -1: not given
	                            * (the HPA's minReplicas stands) */
	simtime cooldown_period; /* keda: cooldownPeriod, ns (300 s): inactive that long before zero */
	simtime polling_interval;/* keda: pollingInterval, ns (30 s): how often KEDA checks activity */
	bool value_target;       /* keda: the trigger's metricType is Value (its HPA targets the total lag),
	                          * else AverageValue (the default) */
};
struct scn_kafka {
	struct scn_kafka_topic *topics;       /* owned */
	size_t n_topics;
	struct scn_kafka_producer *producers; /* owned */
	size_t n_producers;
	struct scn_kafka_consumer *consumers; /* owned */
	size_t n_consumers;
};

struct expect; /* one line of `expect:` (sim/expect.h) */
struct scn_delivery; /* a service's `rollout:` (sim/scn_rollout.h) */

/* `cost:`, what a month costs beyond the simulated event (docs/cost.md,
 * sim/month.h). Every figure is USD. */
#define SCN_HOURS 24
struct scn_cost {
	double day[SCN_HOURS];   /* the normal day: each hour's traffic as a factor of the normal traffic
	                          * (the baseline's), hour 0 = 00:00-01:00; all 1 without normal_day */
	bool has_day;            /* normal_day was given */
	double event_days;       /* event days a month, 0 to 31 (default 0) */
	double control_plane;    /* USD per cluster-hour (EKS standard support 0.10; default 0.10 with a cluster) */
	int clusters;            /* clusters paying it (default 1) */
	double root_volume_gib;  /* each node's root volume, GiB (default 20, Karpenter's AL2023 default) */
	double volume_price;     /* USD per GB-month of that volume (gp3 0.08) */
	double discount;         /* commitment discount on on-demand instances, 0 to 1 (default 0) */
};

struct scenario {
	char *path;      /* the file it was read from, owned */
	char *name;      /* owned */
	char *text;      /* the YAML text as read (before --set), owned */
	char *overrides; /* the --set list as "k=v\n..." (empty if none), owned */
	uint64_t seed;   /* default run seed */
	simtime duration;        /* simulated time, ns */
	simtime sample_interval; /* samples rows every this, ns */
	simtime slo_window;      /* SLO judgement window, ns */
	struct scn_service *services; /* owned */
	size_t n_services;
	struct scn_pdb *pdbs;         /* `pdbs:` (owned), in file order; each selects >= 1 service */
	size_t n_pdbs;
	struct scn_priority_class *priority_classes; /* `priorityClasses:` (owned), in file order */
	size_t n_priority_classes;
	struct scn_cluster cluster;
	struct scn_control control;
	struct scn_cost cost;         /* `cost:` (defaults without it) */
	bool has_start;               /* `start:` given: the run's absolute start */
	int64_t start_unix;           /* the run's start, Unix seconds (UTC) */
	int64_t month_unix;           /* the month model's start: 00:00 UTC of start's date, Unix seconds */
	struct scn_ext_metric *external_metrics; /* `external_metrics:` (owned), in file order */
	size_t n_external_metrics;
	char *sandbox;   /* files the scenario names must resolve inside this folder (owned; NULL: anywhere) */
	struct scn_variant *variants; /* `compare:` (owned); none: a single run */
	size_t n_variants;
	struct scn_sweep sweep;       /* sweep.enabled: the variants above are the sweep's */
	struct expect *expects;       /* `expect:` (owned; sim/expect.h), in file order */
	size_t n_expects;
	char **warnings;              /* "file:line:col: ..." for what loads but a real cluster would also
	                               * only warn about (owned), in file order */
	size_t n_warnings;
	struct scn_kafka kafka;       /* `kafka:` (owned; sim/scn_kafka.c), empty without it */
	struct scn_multi *multi;      /* `clusters:` and `alb:` (sim/scn_alb.c, owned); NULL: one cluster */
};

/* The price of instance type `type` (catalog index) in zone `zone` (index
 * into c->zones) as spot (else on-demand), USD per hour; 0 when the cluster
 * has no such offering. */
static inline double scn_offer_price(const struct scn_cluster *c, int type, int zone, bool spot)
{
	return c->offer_price[((size_t)type * c->n_zones + (size_t)zone) * 2 + spot];
}

/* The price of the cheapest offering of type t (catalog index) in pool
 * np's zones with a capacity type it allows, as listed (OrderByPrice's
 * price before any launch fails), USD per hour; 0: none. */
double scn_pool_price(const struct scn_cluster *c, const struct scn_nodepool *np, int t);

/* Whether cluster.capacity makes the offering (type, zone, spot) short of
 * capacity at time t: a launch into it fails. */
bool scn_short_of(const struct scn_cluster *c, int type, int zone, bool spot, simtime t);

/*
 * Reads and validates the scenario at `path`, after applying the overrides
 * `sets` (n_sets strings "dotted.path=value", as from --set; a path names a
 * key of the YAML, e.g. services.payment.replicas=8). On success fills *out
 * (caller frees with scn_free) and returns 0. On failure returns -1 with
 * e->msg "file:line:col: message" and *out untouched.
 */
int scn_load(struct scenario *out, const char *path, const char *const *sets, size_t n_sets, struct herr *e);
/* scn_load, with every file the scenario names (traces, catalogs, HPA
 * manifests) required to resolve, symbolic links followed, inside the
 * folder `sandbox` (NULL: no restriction). For CI systems running scenario
 * files from untrusted pull requests. */
int scn_load_sandboxed(struct scenario *out, const char *path, const char *const *sets, size_t n_sets,
		       const char *sandbox, struct herr *e);
/* scn_load on YAML text in memory (len bytes), named `name` in messages;
 * files it names resolve against name's folder. For tests and fuzzing. */
int scn_parse(struct scenario *out, const char *name, const char *text, size_t len, struct herr *e);
/* Loads variant v of sc's `compare:` (sc's file with `sets` and then the
 * variant's overrides) into *out. Returns 0, or -1 with e set. */
int scn_load_variant(struct scenario *out, const struct scenario *sc, size_t v, const char *const *sets,
		     size_t n_sets, struct herr *e);
void scn_free(struct scenario *sc);
/* The Unix time of t = 0 (s): the first traced entry service's trace's
 * epoch (sim/trace.h), NaN when no service replays a trace. */
double scn_epoch(const struct scenario *sc);
/* External metric m's value at t (ns after the run's start; its steps). */
double scn_ext_value(const struct scn_ext_metric *m, simtime t);
/* Its value at t (ns after the month's start; its month steps), 0 without them. */
double scn_ext_month_value(const struct scn_ext_metric *m, simtime t);
/* The index of the service called name, or -1. */
int scn_service_index(const struct scenario *sc, const char *name);
/* Whether sel selects a pod with these labels (n of them), as
 * metav1.LabelSelectorAsSelector's Matches does: In needs the key with one
 * of the values, NotIn the key absent or with none of them, Exists the key,
 * DoesNotExist its absence. An empty selector selects everything. */
bool scn_selector_matches(const struct scn_selector *sel, const struct scn_label *labels, size_t n);

/*
 * Several clusters behind an AWS Application Load Balancer (`clusters:`
 * and `alb:`, sim/scn_alb.c; docs/clusters.md). A cluster is a partition
 * of the one simulated world: its nodes are those of the static node
 * groups, NodePools and CA node groups labelled SCN_CLUSTER_LABEL with its
 * name, and a service deployed to it is a copy pinned there (a nodeSelector
 * on that label). An ALB listener rule forwards the requests of the
 * services it names to weighted target groups, one per cluster; the
 * weights change on a schedule (models/alb.h computes them at a time).
 */
#define SCN_CLUSTER_LABEL "headroom.io/cluster"
#define SCN_MAX_CLUSTERS 16
#define SCN_ALB_MAX_WEIGHT 999        /* a forward action's TargetGroupTuple Weight: 0..999 */
#define SCN_ALB_MAX_TGS 5             /* target groups in one forward action (ALB quota) */
struct scn_kcluster {
	char *name;                       /* owned; the value of SCN_CLUSTER_LABEL on its nodes */
	char *version;                    /* its Kubernetes version, for people (owned; "" not given) */
	int line, col;
};
struct scn_tg {
	char *name;                       /* owned */
	int cluster;                      /* index into multi->clusters */
	int weight;                       /* the forward action's weight at t = 0, 0..999 */
	simtime dereg_delay;              /* deregistration_delay.timeout_seconds, ns (300 s; 0..3600 s) */
	simtime slow_start;               /* slow_start.duration_seconds, ns (0: off; 30..900 s) */
	int line, col;
};
struct scn_alb_step {
	simtime at;                       /* ns after the start */
	simtime over;                     /* 0: the weights change at `at`; else linearly until at + over, ns */
	int weight[SCN_ALB_MAX_TGS];      /* the weights it sets, per target group; -1: unchanged */
	uint32_t deregister;              /* bit g: target group g's targets are deregistered at `at` (draining) */
	uint32_t reregister;              /* bit g: registered again at `at` */
	int line, col;
};
struct scn_alb_rule {
	char *name;                       /* owned */
	int *services;                    /* logical services (their first copies' indices) it forwards (owned) */
	size_t n_services;
	struct scn_tg tgs[SCN_ALB_MAX_TGS];
	size_t n_tgs;                     /* 1..SCN_ALB_MAX_TGS */
	struct scn_alb_step *steps;       /* owned, by time */
	size_t n_steps;
	int line, col;
};
struct scn_multi {
	struct scn_kcluster *clusters;    /* owned, in file order */
	size_t n_clusters;                /* 1..SCN_MAX_CLUSTERS */
	struct scn_alb_rule *rules;       /* alb.rules (owned) */
	size_t n_rules;
	size_t n_logical;                 /* services as written (the first n_logical of scenario.services) */
	int *copy;                        /* [logical x n_clusters + c]: the service index of its copy in
	                                   * cluster c, -1: not deployed there (owned) */
	int *rule_of;                     /* per logical service: the alb rule forwarding it, -1: none (owned) */
	int *pool_cluster;                /* per Karpenter NodePool or CA node group: its cluster (owned) */
	int *group_cluster;               /* per static node group: its cluster (owned) */
};

#endif
