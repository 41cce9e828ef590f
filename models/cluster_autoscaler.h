/*
 * cluster_autoscaler.h: Cluster Autoscaler's decisions as functions of a
 * state a test builds directly; models/cluster_autoscaler.c calls them at
 * every scan over the world's nodes and pods.
 *
 * Three decisions, each after the kubernetes/autoscaler code it follows
 * (cluster-autoscaler/, release 1.37):
 *   - the binpacking estimator (estimator/binpacking_estimator.go): how
 *     many new nodes of a node group's template the pending pods need,
 *     with the scheduler predicates that matter on new nodes of one group
 *     (the pods the template admits, hostname anti-affinity, hard topology
 *     spread: struct ca_constraints);
 *   - the expanders (expander/waste, mostpods, random, and the chain of
 *     expander/factory that ends in a random choice): which node group's
 *     option a scale-up takes;
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
