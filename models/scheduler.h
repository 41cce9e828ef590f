/*
 * scheduler.h: where kube-scheduler puts a pod (its node choice, nothing else).
 *
 * The model is the default scheduling profile reduced to what depends on
 * resources: the Filter plugins NodeUnschedulable / TaintToleration (a node
 * that is cordoned, not ready or being deleted takes no new pod) and
 * NodeResourcesFit (cpu, memory, pod count), then the Score plugins
 * NodeResourcesFit (LeastAllocated by default, or MostAllocated; resource
 * weights cpu 1, memory 1; plugin weight 1) and
 * NodeResourcesBalancedAllocation (plugin weight 1), summed as the framework
 * sums weighted plugin scores (neither plugin has a NormalizeScore), and
 * selectHost: the highest total wins, ties are broken uniformly by reservoir
 * sampling. sched_pick_placed adds the placement plugins of
 * models/placement.h in the default profile's order and weights: filters
 * TaintToleration and NodeAffinity before NodeResourcesFit,
 * PodTopologySpread and InterPodAffinity after it; scores TaintToleration
 * (weight 3), NodeAffinity (2), PodTopologySpread (2, with the system
 * default constraints for a pod without any) and InterPodAffinity (2),
 * each normalized over the feasible nodes (NormalizeScore) before it is
 * weighted. ImageLocality is left out.
 *
 * Sources (kubernetes/kubernetes): pkg/scheduler/framework/plugins/
 * noderesources/{fit.go, least_allocated.go, most_allocated.go,
 * balanced_allocation.go (commit 02d7708a), resource_allocation.go};
 * pkg/scheduler/schedule_one.go (numFeasibleNodesToFind,
 * findNodesThatPassFilters, selectHost); pkg/scheduler/framework/types.go
 * (FitError.Error). Allocatable: aws/karpenter-provider-aws
 * pkg/providers/instancetype/types.go.
 *
 * Units: CPU in cores, memory in bytes, as doubles. Scoring and filtering
 * happen in the scheduler's own integers: CPU rounded to the nearest
 * millicore, memory to the nearest byte, then int64 arithmetic with Go's
 * truncating division, so scores equal Kubernetes' to the unit.
 *
 * Two sums per node, as NodeInfo keeps them: `req_*` (the requests as
 * written; Filter and BalancedAllocation use them) and `nz_*` ("non-zero"
 * requests: a container without a cpu request counts 100m, without a memory
 * request 200 MiB; the Fit scorers use them). A DaemonSet pod is a pod like
 * any other: bind it to the node.
 *
 * Invariants: 0 <= req_* and nz_* (within rounding), 0 <= n_pods; a node
 * may be over-committed (requests above allocatable) if the caller binds
 * past Filter, as the kubelet does for static pods.
 *
 * percentageOfNodesToScore: a cluster of fewer than 100 nodes is always
 * searched whole. From 100 nodes on, the search stops after
 * numFeasibleNodesToFind feasible nodes (adaptive 50 - nodes/125 percent,
 * at least 5 percent and at least 100 nodes) and starts where the previous
 * search stopped (nextStartNodeIndex), sequentially rather than in parallel.
 */
#ifndef HEADROOM_SCHEDULER_H
#define HEADROOM_SCHEDULER_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_MAX_SCORE 100                           /* framework.MaxNodeScore */
#define SCHED_DEFAULT_CPU 0.1                         /* cores: schedutil.DefaultMilliCPURequest */
#define SCHED_DEFAULT_MEM (200.0 * 1024 * 1024)       /* bytes: schedutil.DefaultMemoryRequest */
#define SCHED_MIB (1024.0 * 1024.0)                   /* bytes per MiB */
#define SCHED_WHY_LEN 512                             /* a reason buffer that is always long enough */

enum sched_strategy {
	SCHED_LEAST_ALLOCATED = 0, /* spread: the default scoringStrategy */
	SCHED_MOST_ALLOCATED = 1   /* bin-pack */
};

/* Why a node takes no new pod, in the order the default filters run. */
enum sched_block {
	SCHED_OPEN = 0,       /* schedulable */
	SCHED_CORDONED = 1,   /* spec.unschedulable: "node(s) were unschedulable" */
	SCHED_NOT_READY = 2,  /* taint node.kubernetes.io/not-ready:NoSchedule */
	SCHED_DISRUPTING = 3, /* taint karpenter.sh/disruption=disrupting:NoSchedule (being deleted) */
	SCHED_UNREACHABLE = 4 /* taint node.kubernetes.io/unreachable:NoSchedule (its kubelet went silent) */
};

/* A pod's requests as the scheduler sees them. */
struct sched_pod {
	double cpu;    /* cores requested (effective: max of init containers and the sum of containers) */
	double mem;    /* bytes requested */
	double nz_cpu; /* cores for scoring: cpu, with 0.1 for each container that sets no cpu request */
	double nz_mem; /* bytes for scoring: mem, with 200 MiB for each container that sets no memory request */
	int32_t priority; /* spec.priority (0 without a PriorityClass) */
	uint64_t uid;  /* the pod, for nominations (0: anonymous) */
};

/*
 * A pod nominated to a node by a preemption (status.nominatedNodeName) and
 * not bound yet. The filters count it on that node for every pod of no
 * higher priority but itself (RunFilterPluginsWithNominatedPods adds the
 * nominated pods of priority >= the pod's), so the room its victims free
 * is kept for it.
 */
struct sched_nominee {
	double cpu;       /* cores requested */
	double mem;       /* bytes requested */
	int32_t priority; /* its priority */
	uint64_t uid;     /* the pod */
};

struct sched_node {
	double alloc_cpu;       /* cores allocatable (capacity - kube-reserved - system-reserved) */
	double alloc_mem;       /* bytes allocatable (capacity - reserved - eviction threshold) */
	int alloc_pods;         /* max pods */
	double req_cpu;         /* cores: sum of requests of bound pods, DaemonSets included */
	double req_mem;         /* bytes: same */
	double nz_cpu;          /* cores: sum of non-zero requests (NodeInfo.NonZeroRequested) */
	double nz_mem;          /* bytes: same */
	int n_pods;             /* pods bound, DaemonSets included */
	enum sched_block block; /* SCHED_OPEN unless cordoned, not ready or being deleted */
	const struct sched_nominee *nom; /* pods nominated to it (borrowed), n_nom of them */
	uint32_t n_nom;
};

/* A node's allocatable resources. */
struct sched_alloc {
	double cpu; /* cores */
	double mem; /* bytes */
	int pods;   /* max pods */
};

/* What EC2 reports for an instance type. */
struct sched_instance {
	int vcpu;         /* vCPUs (DefaultVCpus) */
	double mem_mib;   /* MiB (MemoryInfo.SizeInMiB) */
	int max_pods;     /* kubelet maxPods (ENI-limited on EKS) */
	bool arm64;       /* Graviton: 64 MiB of CMA memory are not usable */
};

struct sched {
	enum sched_strategy strategy; /* NodeResourcesFit scoringStrategy.type */
	int64_t w_cpu;                /* scoringStrategy.resources cpu weight, 1..100 */
	int64_t w_mem;                /* memory weight, 1..100 */
	int64_t w_fit;                /* NodeResourcesFit plugin weight */
	int64_t w_balanced;           /* NodeResourcesBalancedAllocation plugin weight */
	int pct_to_score;             /* percentageOfNodesToScore, 0 = adaptive, 1..100 */
	bool preemption_msg;          /* end the reason with DefaultPreemption's " preemption: ..." */
	size_t next_start;            /* nextStartNodeIndex: where the next filter pass starts */
};

/* The default profile with the given strategy: weights 1, adaptive
 * percentage, the preemption part of the message on (as kubectl shows it
 * with the default profile, where every pod has the same priority). */
void sched_init(struct sched *s, enum sched_strategy strategy);

/* Sets the Fit resource weights. Returns 0, or -1 when a weight is outside
 * 1..100 (ValidateNodeResourcesFitArgs), leaving s unchanged. */
int sched_set_weights(struct sched *s, int64_t w_cpu, int64_t w_mem);

/* A pod with one container requesting cpu cores and mem bytes; a request of
 * 0 means "not set", so the scorer's defaults apply to it. For a request
 * explicitly set to 0, or a pod of several containers, fill the struct. */
struct sched_pod sched_pod_make(double cpu, double mem);

/* An empty, open node with allocatable a. */
void sched_node_init(struct sched_node *nd, struct sched_alloc a);

/* Counts pod p on node nd (requests, non-zero requests, pod count), without
 * checking that it fits. sched_unbind removes it; it must have been bound. */
void sched_bind(struct sched_node *nd, const struct sched_pod *p);
void sched_unbind(struct sched_node *nd, const struct sched_pod *p);

/*
 * The allocatable of an EKS node as Karpenter computes it (AL2023 /
 * Bottlerocket defaults, no system-reserved):
 *   memory capacity = (MiB - 64 on arm64) - ceil(that * vm_overhead) MiB;
 *   kube-reserved memory = 11 * max_pods + 255 MiB; eviction-hard 100 MiB;
 *   kube-reserved cpu = 6 % of the first core, 1 % of the second, 0.5 % of
 *   cores 3-4, 0.25 % of the rest, truncated to millicores per band.
 * vm_overhead is VM_MEMORY_OVERHEAD_PERCENT, 0.075 by default.
 * m5.large: 1.93 cores, 6903 MiB, 29 pods.
 */
struct sched_alloc sched_eks_allocatable(const struct sched_instance *it, double vm_overhead);

/* What remains of a for other pods once the n DaemonSet pods ds run on the
 * node (their requests and one pod slot each): Karpenter's view when it
 * sizes a node. May go negative; the caller decides what that means. */
struct sched_alloc sched_alloc_after_daemonsets(struct sched_alloc a, const struct sched_pod *ds, size_t n);

#define SCHED_SCORE_ROWS 5 /* int64 rows of scratch sched_pick_placed needs per node */
#define SCHED_W_TAINT 3     /* TaintToleration's weight in the default profile */
#define SCHED_W_AFFINITY 2  /* NodeAffinity's */
#define SCHED_W_SPREAD 2    /* PodTopologySpread's */
#define SCHED_W_INTERPOD 2  /* InterPodAffinity's */

/* Filter reasons, as bits of sched_filter's result. */
enum {
	SCHED_R_PODS = 1u << 0,       /* "Too many pods" */
	SCHED_R_CPU = 1u << 1,        /* "Insufficient cpu" */
	SCHED_R_MEM = 1u << 2,        /* "Insufficient memory" */
	SCHED_R_CORDONED = 1u << 3,   /* "node(s) were unschedulable" */
	SCHED_R_NOT_READY = 1u << 4,  /* "node(s) had untolerated taint {node.kubernetes.io/not-ready: }" */
	SCHED_R_DISRUPTING = 1u << 5, /* "node(s) had untolerated taint {karpenter.sh/disruption: disrupting}" */
	SCHED_R_UNREACHABLE = 1u << 6 /* "node(s) had untolerated taint {node.kubernetes.io/unreachable: }" */
};

/* Why pod p cannot go on node nd: 0 if it can, else SCHED_R_* bits. A
 * blocked node reports only its block (the first failing filter plugin
 * ends the node's check); Fit reports every insufficient resource. The
 * node's nominees of priority >= p's, other than p, count as bound. */
unsigned sched_filter(const struct sched_node *nd, const struct sched_pod *p);

/* The NodeResourcesFit score of p on nd under s's strategy, 0..100. */
int64_t sched_score_fit(const struct sched *s, const struct sched_node *nd, const struct sched_pod *p);
/* The NodeResourcesBalancedAllocation score, 0..100; 0 for a best-effort
 * pod (no requests at all), for which the plugin is skipped. */
int64_t sched_score_balanced(const struct sched_node *nd, const struct sched_pod *p);
/* The weighted sum of both. */
int64_t sched_score(const struct sched *s, const struct sched_node *nd, const struct sched_pod *p);

/*
 * One scheduling cycle for pod p over nodes[0..n): the index of the chosen
 * node, or -1 when no node passes the filters. Ties among the best scores
 * are broken by draws from r (a stream made by rng_stream), so the choice
 * is deterministic for a given stream; r is not touched when the best score
 * is unique (it may then be NULL). Advances s->next_start. Does not
 * bind: call sched_bind on the chosen node.
 *
 * When why is not NULL and the result is -1, writes kube-scheduler's
 * message (at most why_len bytes, NUL included; SCHED_WHY_LEN is enough):
 *   "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient
 *   cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful
 *   for scheduling, 2 No preemption victims found for incoming pod."
 * (reasons counted over nodes, "<count> <reason>" sorted as strings), or
 * "no nodes available to schedule pods" when n is 0. No allocation.
 */
int sched_pick(struct sched *s, const struct sched_node *nodes, size_t n, const struct sched_pod *p, gsl_rng *r,
	       char *why, size_t why_len);

struct place;
struct place_node;

/* What sched_pick_placed needs beyond sched_pick's: the placement state, the
 * nodes as it sees them (parallel to the scheduler's), the pod's group,
 * and scratch (feasible: n entries; scores: SCHED_SCORE_ROWS x n). */
struct sched_placement {
	struct place *pl;
	const struct place_node *nodes;
	int group;
	uint32_t *feasible;
	int64_t *scores;
};

/*
 * sched_pick with placement: each node passes the block check,
 * TaintToleration, NodeAffinity, NodeResourcesFit, PodTopologySpread and
 * InterPodAffinity in that order (the first failing plugin ends the node's
 * check); the feasible nodes are then scored by every plugin, each plugin's
 * scores normalized over them, and the weighted sums compared with the same
 * tie-breaking as sched_pick. With one feasible node there is no scoring
 * (as schedulePod). The message names the placement reasons too
 * ("node(s) had untolerated taint {dedicated: pci}", "node(s) didn't match
 * pod topology spread constraints", ...). No allocation.
 */
int sched_pick_placed(struct sched *s, const struct sched_node *nodes, size_t n, const struct sched_pod *p,
		      const struct sched_placement *sp, gsl_rng *r, char *why, size_t why_len);

/* numFeasibleNodesToFind: how many feasible nodes a search over n nodes
 * stops at. */
size_t sched_feasible_to_find(const struct sched *s, size_t n);

/* Whether pod p passes every filter on node idx (sp NULL: resources and
 * the block only): a pod with a nominated node tries it first
 * (evaluateNominatedNode). Runs placement's PreFilter when needed; does
 * not touch s->next_start. */
bool sched_fits(const struct sched_node *nodes, size_t n, const struct sched_pod *p,
		const struct sched_placement *sp, size_t idx);

/*
 * ---- preemption: DefaultPreemption's PostFilter ----
 *
 * When a pod fits no node, kube-scheduler looks for a node where evicting
 * pods of lower priority makes it fit, every other filter (taints, node
 * affinity, topology spread, pod anti-affinity) still applying
 * (pkg/scheduler/framework/preemption/preemption.go Preempt,
 * DryRunPreemption, SelectCandidate, pickOneNodeForPreemption;
 * plugins/defaultpreemption/default_preemption.go SelectVictimsOnNode,
 * PodEligibleToPreemptOthers, filterPodsWithPDBViolation;
 * pkg/scheduler/util MoreImportantPod, GetEarliestPodStartTime).
 *
 * On each node whose failure preemption may resolve (not a block, taint,
 * node affinity or missing topology label), every pod of lower priority is
 * removed; if the pod still does not fit, the node is no candidate.
 * Otherwise the removed pods are put back one at a time, most important
 * first (higher priority, then the earlier start), those whose PDB the
 * eviction would violate before the others; a pod whose return makes the
 * preemptor not fit is a victim. The node is then the one with the fewest
 * PDB violations, then the lowest highest-victim priority, the smallest
 * sum of victim priorities (each + 2^31), the fewest victims, the latest
 * earliest start among the highest-priority victims; remaining ties go to
 * a draw from r (upstream: the first of a Go map's candidates). The dry
 * run stops once it has a candidate that violates no PDB and at least
 * max(10 % of the potential nodes, 100) candidates, starting at a random
 * offset (drawn only when that cuts the search short).
 */

/* A pod bound to a node, as preemption sees it. */
struct sched_bound {
	struct sched_pod req;  /* its requests and priority */
	int64_t start;         /* status.startTime, ns: of two pods of one priority, the earlier is kept */
	int group;             /* its placement group (sp->nodes' counts), -1: none */
	int pdb;               /* the PDB selecting it (index into pdb_allowed), -1: none */
	bool terminating;      /* being deleted: placement counts it bound, not live */
	bool by_preemption;    /* deleted by a preemption (condition DisruptionTarget, PreemptionByScheduler) */
};

/* The cluster as preemption sees it, and the preemptor's policy. */
struct sched_preemption {
	const struct sched_bound *pods; /* node i's pods: pods[start[i] .. start[i + 1]) (DaemonSets left out) */
	const uint32_t *start;          /* n + 1 offsets */
	const int32_t *pdb_allowed;     /* per PDB: status.disruptionsAllowed */
	size_t n_pdbs;
	bool never;                     /* the preemptor's preemptionPolicy is Never */
	int nominated;                  /* the preemptor's nominated node, -1: none */
	struct place_node *pnodes;      /* sp->nodes, writable: a victim leaves its node's counts while
	                                 * the dry run tries the node without it (restored after) */
	uint32_t *scratch;              /* 4 x the most pods on one node */
	int32_t *pdb_left;              /* n_pdbs */
};

enum {
	SCHED_PREEMPT_NONE = -1,      /* no candidate: the preemptor's nomination is cleared */
	SCHED_PREEMPT_INELIGIBLE = -2 /* not eligible (Never, or its victims still terminating): it keeps its
	                               * nomination */
};

/* The chosen node's victims. */
struct sched_victims {
	uint32_t *idx;      /* indices into pre->pods, most important first (caller's: the most pods on a node) */
	size_t n;
	int pdb_violations; /* victims whose PDB their eviction violates */
};

/*
 * DefaultPreemption for pod p after a cycle over nodes[0..n) found no node
 * (sched_pick or sched_pick_placed, with the same sp): the index of the
 * node to nominate p to, its victims in *v; or SCHED_PREEMPT_NONE or
 * SCHED_PREEMPT_INELIGIBLE. When it returns no node and why is not NULL,
 * appends the PostFilter's message to why (why_len bytes in all): "
 * preemption: 0/3 nodes are available: 1 Insufficient cpu, 2 No
 * preemption victims found for incoming pod." or " preemption: not
 * eligible due to preemptionPolicy=Never." No allocation; placement
 * counts are as they were on return.
 */
int sched_preempt(const struct sched_node *nodes, size_t n, const struct sched_pod *p,
		  const struct sched_placement *sp, const struct sched_preemption *pre, gsl_rng *r,
		  struct sched_victims *v, char *why, size_t why_len);


#endif
