/*
 * cluster_autoscaler.h: Cluster Autoscaler's decisions as functions of a
 * state a test builds directly; models/cluster_autoscaler.c calls them at
 * every scan over the world's nodes and pods.
 *
 * The decisions, each after the kubernetes/autoscaler code it follows
 * (cluster-autoscaler/, release 1.37):
 *   - the binpacking estimator (estimator/binpacking_estimator.go): how
 *     many new nodes of a node group's template the pending pods need,
 *     with the scheduler predicates that matter on new nodes of one group
 *     (the pods the template admits, hostname anti-affinity, hard topology
 *     spread: struct ca_constraints);
 *   - the expanders (expander/waste, mostpods, random, and the chain of
 *     expander/factory that ends in a random choice): which node group's
 *     option a scale-up takes;
 *   - the limits on a scale-up (the estimator's thresholds: how many nodes
 *     the estimator may open; resourcequotas/tracker.go: --cores-total and
 *     --memory-total, and on scale-down their minimums;
 *     core/scaleup/orchestrator: --max-nodes-total);
 *   - balancing (processors/nodegroupset: which node groups are similar,
 *     and how a scale-up is split between them, with
 *     --balance-similar-node-groups);
 *   - scale-down eligibility (core/scaledown/eligibility/eligibility.go and
 *     simulator/utilization/info.go): a node's utilization, and why a node
 *     is not a candidate for scale-down.
 * The upstream tests these are checked against, and the cases left out for
 * concepts headroom lacks, are listed in docs/cluster-autoscaler.md.
 *
 * Units as in scheduler.h: cores and bytes as doubles in the structs; where
 * upstream compares resource.Quantity values (MilliValue, Value), the
 * functions round to millicores and bytes and compare int64s.
 *
 * Nothing here allocates or keeps state; scratch arrays are the caller's.
 * Only ca_expand draws a random number, and only to break a tie.
 */
#ifndef HEADROOM_CLUSTER_AUTOSCALER_H
#define HEADROOM_CLUSTER_AUTOSCALER_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "placement.h"
#include "scheduler.h"
#include "scn.h"

/* ---- scale-up: the binpacking estimator ---- */

/* What the estimator found for one node group. */
struct ca_estimate {
	int nodes;     /* new nodes that hold at least one pod */
	int pods;      /* pods placed on them */
	int64_t cpu_m; /* the placed pods' cpu requests, millicores (each pod's rounded) */
	int64_t mem;   /* their memory requests, bytes (each pod's rounded) */
};

/*
 * What the estimator checks beyond resources, after the scheduler
 * predicates upstream's estimator runs on the cluster snapshot with the
 * new template nodes added (PodTopologySpread and InterPodAffinity
 * filters; simulator/clustersnapshot, SchedulePod). Pods come in pod groups
 * (a service: one template, one placement); only hard constraints
 * restrict: ScheduleAnyway spread, preferred terms and kube-scheduler's
 * default spreading are scores, which the estimator does not run.
 */

/*
 * A hard (DoNotSchedule) topology spread constraint of a pod group, on the
 * new nodes of one node group. Counts are PodTopologySpread's: the live
 * pods of the groups `sel` lists, on the constraint's domains (the
 * cluster's, as place_cycle_begin finds them, plus the new nodes):
 *   hostname: each new node is a domain of its own;
 *   zone: every new node is in the node group's zone, which is a domain as
 *     soon as the template joins the snapshot.
 * A pod goes where count + self - min <= max_skew, min being the least
 * count over the domains, or 0 when there are fewer than min_domains.
 */
struct ca_spread {
	enum scn_topo key;
	int max_skew;     /* >= 1 */
	int min_domains;  /* >= 1 */
	bool self;        /* it selects the pod's own group: the pod counts itself */
	const int *sel;   /* the pod groups whose pods it counts (borrowed) */
	size_t n_sel;
	int n_domains;    /* the cluster's domains besides the new nodes (hostname), or besides the
	                   * node group's zone (zone), before the estimate */
	int min;          /* the least count over those domains (unused when n_domains is 0) */
	int in_zone;      /* zone: the count in the node group's zone before the estimate */
};

/* A pod group as the estimator sees it for one node group. */
struct ca_group {
	bool admitted;                  /* the template admits its pods beside resources: its taints tolerated,
	                                 * node affinity and nodeSelector matching its labels and zone (else
	                                 * its pods are left out, as SchedulablePodGroups drops them) */
	const int *anti_host;           /* pod groups none of whose pods may share a node with one of this
	                                 * group's: a required anti-affinity term on kubernetes.io/hostname,
	                                 * this group's or theirs, selects the other (borrowed) */
	size_t n_anti_host;
	const int *anti_zone;           /* the same on topology.kubernetes.io/zone (borrowed) */
	size_t n_anti_zone;
	bool zone_held;                 /* the node group's zone holds a pod of an anti_zone group already */
	const struct ca_spread *spread; /* its hard spread constraints, at most placement.h's
	                                 * PLACE_MAX_TERMS (borrowed) */
	size_t n_spread;
};

struct ca_constraints {
	const int *group;               /* per pod: its pod group, < n_groups */
	const struct ca_group *groups;
	size_t n_groups;
	int *count;                     /* scratch, (min(n, max_nodes) + 1) x n_groups: the pods of each group
	                                 * placed in all and on each new node */
};

/*
 * BinpackingNodeEstimator.Estimate (first-fit decreasing) for the pending
 * pods pods[0..n) and an empty new node of the group, tmpl (its
 * allocatable, with the DaemonSet pods bound to it).
 *
 * The pods are taken largest first by cpu / tmpl's allocatable cpu +
 * memory / its allocatable memory (DecreasingPodOrderer), ties by cpu,
 * then memory, then input order. A pod that does not fit tmpl itself, or
 * whose group c does not admit, is left out (the orchestrator's
 * SchedulablePodGroups drops such pods before it estimates). Each other
 * pod goes on the first new node it fits (Filter: cpu, memory, pod count,
 * and with c its group's constraints); if none, on a new node, unless
 * max_nodes nodes exist already (the threshold limiter: the caller passes
 * min(max size - target size, --max-nodes-per-scaleup)), in which case it
 * is left out and later pods still try the nodes there are. With c, a pod
 * whose zone constraints refuse the node group's zone is left out too (a
 * new node would not take it either).
 *
 * Owned by the caller: bins, scratch with room for min(n, max_nodes)
 * nodes; order, n indices, on return the pods in the order they were taken
 * (DecreasingPodOrderer's); placed, NULL or n flags: placed[i] tells
 * whether pods[i] was placed; c, NULL (resources only) or the constraints,
 * borrowed, its count written. max_nodes >= 0. No allocation.
 */
struct ca_estimate ca_estimate(const struct sched_node *tmpl, const struct sched_pod *pods, size_t n, int max_nodes,
			       struct sched_node *bins, size_t *order, bool *placed, const struct ca_constraints *c);

/* ---- scale-up: the expanders ---- */

/* A scale-up option (expander.Option): a node group, the nodes the
 * estimator asks of it and the pods they would hold. */
struct ca_option {
	int group;          /* the node group (index) */
	int nodes;          /* NodeCount: new nodes, >= 1 */
	int pods;           /* len(Pods): pods they would hold */
	int64_t cpu_m;      /* the pods' cpu requests, millicores */
	int64_t mem;        /* the pods' memory requests, bytes */
	int64_t node_cpu_m; /* one node's cpu capacity (status.capacity, not allocatable), millicores, > 0 */
	int64_t node_mem;   /* one node's memory capacity, bytes, > 0 */
};

/*
 * The expander's score of option o; lower is better.
 *   least-waste (expander/waste/waste.go): the wasted fraction of cpu plus
 *     that of memory, (capacity x nodes - requests) / (capacity x nodes),
 *     over the node capacity (not the allocatable);
 *   most-pods (expander/mostpods): minus the pods;
 *   random: 0 (every option is as good).
 */
double ca_expander_score(enum ca_expander e, const struct ca_option *o);

/*
 * expander.Filter.BestOptions: writes to best[] the indices, in increasing
 * order, of the options opt[0..n) with the lowest score (exact equality
 * ties them, as upstream compares float64s) and returns how many (0 only
 * when n is 0). best has room for n. For random every option is returned:
 * the chain's random strategy then picks among them.
 */
size_t ca_expander_best(enum ca_expander e, const struct ca_option *opt, size_t n, size_t *best);

/*
 * The expander chain (expander/factory: the filter, then the random
 * strategy as fallback): the index of the option a scale-up takes among
 * opt[0..n), n >= 1. With several best options one is drawn uniformly from
 * r (rng_below); r is not touched when there is one. best is scratch for n
 * indices.
 */
size_t ca_expand(enum ca_expander e, const struct ca_option *opt, size_t n, size_t *best, gsl_rng *r);

/* ---- scale-up: limits ---- */

/*
 * The estimator's node limit (estimator/threshold_based_limiter.go): each
 * threshold gives a limit, > 0 a number of nodes, 0 none, < 0 no node at
 * all; ca_limit_min is getMinLimit, folding one into another (-1 when
 * either is negative, else the smaller of those set, 0 when neither is).
 */
int ca_limit_min(int base, int target);

/* clusterCapacityThreshold (estimator/cluster_capacity_threshold.go):
 * --max-nodes-total minus the nodes in the cluster (all of them, upcoming
 * ones included), 0 without a limit (max_nodes_total 0), -1 when none is
 * left or the limit is negative. */
int ca_cluster_capacity(int max_nodes_total, int n_nodes);

/* A node group's size in a scale-up (nodegroupset.ScaleUpInfo). */
struct ca_group_size {
	int group;    /* the node group (index) */
	int current;  /* CurrentSize: its target size before */
	int new_size; /* NewSize: after */
	int max;      /* MaxSize */
};

/* sngCapacityThreshold (estimator/sng_capacity_threshold.go): the room
 * max - current of group g[0] and of its similar groups g[1..n), each
 * counted when positive; -1 when that is 0. n >= 1. */
int ca_groups_capacity(const struct ca_group_size *g, size_t n);

/* ScaleUpOrchestrator.GetCappedNewNodeCount: new_nodes, or what
 * --max-nodes-total leaves of it over the cluster's n_nodes (which may be
 * < 1: upstream then fails the scale-up, "max node total count already
 * reached"). max_nodes_total 0: no limit. */
int ca_capped_new_nodes(int new_nodes, int n_nodes, int max_nodes_total);

/* The resources a limit may name: cores (a node's capacity, whole cores),
 * memory (its capacity, bytes) and nodes (1 a node). --cores-total and
 * --memory-total limit the first two; nodes is there for the upstream
 * cases (CapacityQuota objects may limit it; the flags do not). */
enum ca_resource { CA_CORES, CA_MEMORY, CA_NODES, CA_N_RESOURCES };

/*
 * One quota as resourcequotas.Tracker holds it (quotaStatus.limitsLeft),
 * the cluster-wide one --cores-total and --memory-total make: what may be
 * added (a max tracker, for scale-up) or taken away (a min tracker, for
 * scale-down) before a limit is crossed.
 */
struct ca_quota {
	int64_t left[CA_N_RESOURCES]; /* per resource; -1: no limit on it */
};

/*
 * newQuotasTracker for one quota: limit[r] (< 0: none) against usage[r],
 * the sum over the cluster's nodes (every node the snapshot holds, upcoming
 * and being-deleted ones included); left is max(0, limit - usage), or with
 * min (a min tracker) max(0, usage - limit).
 */
void ca_quota_init(struct ca_quota *q, const int64_t *limit, const int64_t *usage, bool min);

/*
 * Tracker.CheckQuota: how many of delta >= 0 nodes, each with the
 * resources node[r], fit in what q has left: delta, or the least
 * left / node[r] over the resources it exceeds (a resource of 0 a node
 * never does). *exceeded (may be NULL) gets a bit 1 << r per resource
 * exceeded, 0 when delta fits.
 */
int ca_quota_check(const struct ca_quota *q, const int64_t *node, int delta, unsigned *exceeded);

/* Tracker.ConsumeQuota: ca_quota_check, and when all delta nodes fit their
 * resources leave q (never below 0); q is untouched otherwise. */
int ca_quota_consume(struct ca_quota *q, const int64_t *node, int delta, unsigned *exceeded);

/* ---- scale-up: balancing similar node groups ---- */

/* A node group's template as the balancing comparator reads it (the
 * framework.NodeInfo of a template node: its status and its pods, which
 * on a template are the DaemonSets'). */
struct ca_template {
	int64_t cap_cpu_m, cap_mem, cap_pods;       /* status.capacity: millicores, bytes, pods */
	int64_t alloc_cpu_m, alloc_mem, alloc_pods; /* status.allocatable */
	int64_t req_cpu_m, req_mem;                 /* its pods' requests: millicores, bytes */
	const struct place_label *labels;           /* its labels (borrowed) */
	size_t n_labels;
};

/* config.NodeGroupDifferenceRatios: how far two similar groups' templates
 * may differ, as a fraction of the larger value. */
struct ca_ratios {
	double capacity_memory; /* MaxCapacityMemoryDifferenceRatio, 0.015 */
	double allocatable;     /* MaxAllocatableDifferenceRatio, 0.05 */
	double free;            /* MaxFreeDifferenceRatio (allocatable - requests), 0.05 */
};
#define CA_DEFAULT_RATIOS ((struct ca_ratios){0.015, 0.05, 0.05})

/*
 * IsCloudProviderNodeInfoSimilar with the AWS comparator's labels
 * (processors/nodegroupset/compare_nodegroups.go, aws_nodegroups.go):
 * whether two node groups are similar. Capacity cpu and pods equal,
 * capacity memory within r->capacity_memory; allocatable and free
 * (allocatable less the requests) within r->allocatable and r->free; and
 * the same labels with the same values, except those upstream ignores
 * (hostname, zone and region, beta.kubernetes.io/fluentd-ds-ready,
 * kops.k8s.io/instancegroup, and on AWS alpha.eksctl.io/instance-id,
 * alpha.eksctl.io/nodegroup-name, eks.amazonaws.com/nodegroup,
 * k8s.amazonaws.com/eniConfig, lifecycle, topology.ebs.csi.aws.com/zone,
 * topology.k8s.aws/zone-id) and ignore[0..n_ignore) (--balancing-ignore-label).
 */
bool ca_similar(const struct ca_template *a, const struct ca_template *b, const struct ca_ratios *r,
		const char *const *ignore, size_t n_ignore);

/*
 * ScaleUpOrchestrator.ComputeSimilarNodeGroups for node group `best` of
 * n_groups, with --balance-similar-node-groups: the groups j != best that
 * ca_similar finds similar (similar[best * n_groups + j]), that may scale
 * up (ready[j]: not backed off, below their max, within the quotas: the
 * groups upstream has schedulable pod groups for) and whose template
 * admits every pod group best's admits (admits: n_groups x n_pod_groups
 * flags; matchingSchedulablePodGroups), into out in increasing order.
 * Returns how many; 0 when best admits none. out has room for n_groups.
 */
size_t ca_similar_groups(size_t best, size_t n_groups, const bool *similar, const bool *ready,
			 const bool *admits, size_t n_pod_groups, size_t *out);

/*
 * BalancingNodeGroupSetProcessor.BalanceScaleUpBetweenGroups: splits
 * new_nodes over the groups g[0..n) (current and max set; g[0] the
 * expander's choice, then its similar groups), each node to the smallest,
 * each group within its max, the total capped at their room. Groups
 * already at their max are left out; the others are sorted by current size
 * (stably: upstream's sort.Slice is an insertion sort, stable, up to 12
 * groups) and their new_size set. Returns m: g[0..m) are the groups that
 * grow, in the order the algorithm leaves them; g is reordered. No
 * allocation.
 */
size_t ca_balance(struct ca_group_size *g, size_t n, int new_nodes);

/* ---- scale-down: utilization and eligibility ---- */

/* A node's utilization (utilization.Info, nodes without GPUs or DRA). */
struct ca_util {
	double cpu;   /* CpuUtil: pods' cpu requests / allocatable cpu */
	double mem;   /* MemUtil: the same for memory */
	double util;  /* Utilization: the larger of the two */
	bool cpu_max; /* ResourceName: cpu when cpu > mem, else memory */
};

/*
 * utilization.Calculate: each resource's requests over the node's
 * allocatable, from nd's sums (the pods bound to it, DaemonSet pods
 * included). ds is the DaemonSet pods' requests on the node, summed (NULL:
 * none). With ignore_ds (--ignore-daemonsets-utilization) they leave both
 * the requests and the allocatable: (requests - ds) / (allocatable - ds).
 * Returns 0, or -1 (u zeroed) when a resource's allocatable, less the
 * DaemonSets' when ignored, is not positive: upstream fails on an
 * allocatable of 0 ("cpu is 0 at node").
 */
int ca_utilization(const struct sched_node *nd, const struct sched_pod *ds, bool ignore_ds, struct ca_util *u);

/* Why a node is not a scale-down candidate: the simulator.UnremovableReason
 * values eligibility.go returns, in the order it checks them. */
enum ca_unremovable {
	CA_REMOVABLE = 0,       /* NoReason: utilization at or below the threshold */
	CA_BEING_DELETED,       /* CurrentlyBeingDeleted: tainted ToBeDeleted (draining) */
	CA_NOT_AUTOSCALED,      /* NotAutoscaled: in no node group */
	CA_UNEXPECTED_ERROR,    /* UnexpectedError: its utilization cannot be computed */
	CA_UNREADY_DISABLED,    /* ScaleDownUnreadyDisabled: not Ready, --scale-down-unready-enabled=false */
	CA_NOT_UNDERUTILIZED    /* NotUnderutilized: utilization above the threshold */
};

/* What eligibility reads of a node. */
struct ca_node_view {
	const struct sched_node *sn; /* allocatable and requests of its pods, DaemonSets included */
	bool autoscaled;             /* in a node group (not a static node) */
	bool deleting;               /* being deleted (drained) */
	bool ready;                  /* Ready condition true */
};

/* The scale-down flags eligibility reads. */
struct ca_scale_down {
	double threshold;       /* --scale-down-utilization-threshold, 0..1 (0.5) */
	bool ignore_ds;         /* --ignore-daemonsets-utilization (false) */
	bool unready_enabled;   /* --scale-down-unready-enabled (true upstream) */
	struct sched_pod ds;    /* the DaemonSet pods' requests on every node, summed */
};

/*
 * Checker.unremovableReasonAndNodeUtilization: CA_REMOVABLE when node v is
 * a candidate for scale-down (its utilization at or below the threshold:
 * upstream rules a node out only when Utilization > threshold), else the
 * first reason it is not. u (may be NULL) gets the utilization with
 * CA_REMOVABLE and CA_NOT_UNDERUTILIZED, zeros otherwise (upstream returns
 * no utilization with the other reasons). The scale-down-disabled annotation is not modelled, and the node
 * group's min size is the planner's check, not this one.
 */
enum ca_unremovable ca_eligibility(const struct ca_node_view *v, const struct ca_scale_down *o, struct ca_util *u);

#endif
