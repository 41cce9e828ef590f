/*
 * placement.h: where a pod may go and where it would rather go, beyond
 * resources: kube-scheduler's TaintToleration, NodeAffinity,
 * PodTopologySpread and InterPodAffinity (required terms) plugins, as pure
 * functions over a state that a caller (the world, or a test) builds.
 *
 * The model. Pods come in groups: every pod of a service has the same
 * labels, namespace and placement (the pod template), so a group is a
 * service and what a pod needs is its group's. A node is a zone (an index
 * into the cluster's zones, or -1 for none), labels and taints, and two
 * counts per group: `live` pods (bound, not terminating; what
 * PodTopologySpread counts, as it bypasses terminating pods) and `bound`
 * pods (terminating ones too; what InterPodAffinity counts). What depends
 * on the node's labels and taints alone (the node affinity verdict, the
 * first untolerated taint, the preferred weights) never changes, so it is
 * computed once per node and group (place_node_fit) and the scheduling
 * cycle reads it. The zones' counts are kept as pods come and go
 * (place_pod_add), so a cycle walks the nodes at most once more, and only
 * for what a pass needs (hostname minima, node-affinity-restricted
 * domains): no allocation per pod placement.
 *
 * Topology domains are the two keys headroom's nodes carry:
 * kubernetes.io/hostname (a node) and topology.kubernetes.io/zone. A
 * "counted" node is a Node object (registered, Ready or being deleted; a
 * NodeClaim still launching is not one): only counted nodes make domains
 * and count pods, as kube-scheduler's snapshot holds only Nodes.
 *
 * Sources (kubernetes/kubernetes, pkg/scheduler/framework/plugins/):
 * podtopologyspread/{common.go, filtering.go, scoring.go},
 * tainttoleration/taint_toleration.go, nodeaffinity/node_affinity.go,
 * interpodaffinity/filtering.go, helper/normalize_score.go;
 * k8s.io/component-helpers scheduling/corev1/nodeaffinity (matching,
 * Gt/Lt as integers); core/v1 toleration.go (ToleratesTaint).
 */
#ifndef HEADROOM_PLACEMENT_H
#define HEADROOM_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scn.h"

#define PLACE_MAX_TERMS 8  /* spread constraints, or pod (anti-)affinity terms, per pod (the loader's bound) */
#define PLACE_ZONE_NONE (-1)

/* A node label; both strings are borrowed from the node's owner. */
struct place_label {
	const char *key;
	const char *value;
};

/* What gives a node its labels. */
struct place_node_desc {
	const char *hostname;              /* kubernetes.io/hostname; NULL: not known yet (a template) */
	const char *zone;                  /* topology.kubernetes.io/zone; NULL: none */
	const struct instance_type *type;  /* its instance type's well-known labels; NULL: none */
	const char *nodepool;              /* karpenter.sh/nodepool (a Karpenter node); NULL: none */
	int capacity;                      /* karpenter.sh/capacity-type: -1 none, 0 on-demand, 1 spot */
	const struct scn_label *labels;    /* the group's or NodePool's own labels, borrowed */
	size_t n_labels;
};
#define PLACE_NODE_LABELS 16  /* well-known labels a node may have, beyond its own */
#define PLACE_LABEL_BUF 64    /* text place_node_labels may need for numbers */

/* A node's labels into out (room for d->n_labels + PLACE_NODE_LABELS):
 * its own labels first (they win), then hostname, zone, the instance
 * type's, the NodePool's and capacity type; numbers are written into buf
 * (PLACE_LABEL_BUF bytes), the other strings are borrowed. Returns the
 * count. */
size_t place_node_labels(const struct place_node_desc *d, struct place_label *out, char *buf);

/* ---- matching (pure, no state) ---- */

/* The value of key in labels[0..n), or NULL when the node has no such label. */
const char *place_label_get(const struct place_label *labels, size_t n, const char *key);
/* Whether a NodeSelectorRequirement holds on a node with these labels: In
 * needs the label with one of the values, NotIn its absence or none of
 * them, Exists and DoesNotExist its presence or absence, Gt and Lt the
 * label parsed as an integer compared with the one value (a label that is
 * not an integer matches neither). */
bool place_requirement_matches(const struct scn_requirement *r, const struct place_label *labels, size_t n);
/* Whether every expression of term t holds; an empty term matches nothing. */
bool place_term_matches(const struct scn_node_term *t, const struct place_label *labels, size_t n);
/* NodeAffinity's filter: every nodeSelector pair is among the labels and,
 * when required node affinity is given, one of its terms matches. */
bool place_node_affinity(const struct scn_placement *p, const struct place_label *labels, size_t n);
/* NodeAffinity's raw score: the sum of the weights of the preferred terms
 * that match. */
int32_t place_node_preferred(const struct scn_placement *p, const struct place_label *labels, size_t n);
/* Toleration.ToleratesTaint: the effect matches (or the toleration names
 * none), the key matches (or the toleration's is empty), and with Equal
 * the value matches. */
bool place_tolerates(const struct scn_toleration *t, const struct scn_taint *taint);
/* The index of the first taint with effect NoSchedule or NoExecute that no
 * toleration tolerates (FindMatchingUntoleratedTaint), or -1. */
int place_untolerated(const struct scn_toleration *tol, size_t n_tol, const struct scn_taint *taints, size_t n);
/* How many PreferNoSchedule taints no toleration with effect
 * PreferNoSchedule or none tolerates (TaintToleration's raw score). */
int place_prefer_no_schedule(const struct scn_toleration *tol, size_t n_tol, const struct scn_taint *taints, size_t n);

/* ---- score normalizers (pure; NormalizeScore) ---- */

/* helper.DefaultNormalizeScore: scores scaled to 0..100 by the largest
 * (all 0 stay 0, or become 100 when reversed); reversed: 100 - that. */
void place_normalize_default(int64_t *scores, size_t n, bool reverse);
/* PodTopologySpread's NormalizeScore: 100 x (max + min - s) / max, or 100
 * for all when max is 0. */
void place_normalize_spread(int64_t *scores, size_t n);

/* ---- the state ---- */

/* A topology spread constraint, resolved to groups. */
struct place_spread {
	enum scn_topo key;
	int max_skew;          /* >= 1 */
	int min_domains;       /* >= 1 */
	bool hard;             /* DoNotSchedule: a filter (else ScheduleAnyway: a score) */
	bool honor_affinity;   /* nodeAffinityPolicy Honor: only nodes the pod's node affinity allows count */
	bool honor_taints;     /* nodeTaintsPolicy Honor: only nodes whose taints the pod tolerates count */
	const int *sel;        /* the groups whose pods its selector selects (same namespace) */
	size_t n_sel;
	bool self;             /* it selects the pod's own group */
};

/* A pod (anti-)affinity term, resolved to groups. */
struct place_term {
	enum scn_topo key;
	bool anti;
	int32_t weight;        /* preferred: 1..100 (a score); required: 0 (a filter) */
	const int *sel;        /* the groups whose pods it selects */
	size_t n_sel;
	bool self;
};

/* Another group g2 whose required anti-affinity term on key selects this
 * group's pods: no pod of this group in a domain that holds one of g2's. */
struct place_repel {
	int group;
	enum scn_topo key;
};

struct place_group {
	struct place_spread *spread; /* the pod's constraints, or kube-scheduler's defaults (owned) */
	size_t n_spread;
	bool defaulted;              /* spread holds the system defaults (the pod gave none) */
	bool node_rules;             /* a nodeSelector or required node affinity (else every node passes it) */
	struct place_term *terms;    /* pod affinity and anti-affinity, required and preferred (owned) */
	size_t n_terms;
	int *aff_sel;                /* groups matching every required affinity term (in sel_store) */
	size_t n_aff_sel;
	bool aff_self;               /* the group matches all its own affinity terms */
	struct place_repel *repel;   /* (owned) */
	size_t n_repel;
	int32_t *w_host, *w_zone;    /* per group: InterPodAffinity's weight of one of its pods in the node's
	                              * hostname or zone domain (owned: w_zone points into w_host's block) */
	bool ipa_scores;             /* some weight is not 0: InterPodAffinity scores */
};

/* What a group's pods make of a node's labels and taints (place_node_fit). */
struct place_fit {
	bool affinity;        /* NodeAffinity's filter passes */
	int16_t taint;        /* the first untolerated NoSchedule/NoExecute taint, -1: none */
	int32_t preferred;    /* NodeAffinity's raw score */
	int32_t soft_taints;  /* TaintToleration's raw score */
	bool top_preferred;   /* the heaviest preferred node affinity term (the first of the heaviest) matches,
	                       * or there is none: what Karpenter asks before it relaxes preferences */
};

/* A node as placement sees it. The arrays are the caller's, n_groups long. */
struct place_node {
	int zone;                         /* index into the zones, or PLACE_ZONE_NONE */
	bool counted;                     /* a Node object: a topology domain that counts pods */
	bool open;                        /* no taint of its own state (not-ready, disrupting): for Honor */
	const struct scn_taint *taints;   /* borrowed */
	size_t n_taints;
	int *live;                        /* per group: pods bound, not terminating */
	int *bound;                       /* per group: pods bound, terminating ones too */
	const struct place_fit *fit;      /* per group */
};

struct place {
	size_t n_groups;
	size_t n_zones;
	struct place_group *groups;  /* owned */
	int *sel_store;              /* every group list above points into it (owned) */
	int *zone_live;              /* (n_zones + 1) x n_groups: pods on counted nodes of each zone (the last row:
	                              * nodes without a zone) */
	int *zone_bound;             /* same, terminating pods too */
	int *zone_nodes;             /* counted nodes per zone (n_zones + 1) */
	/* one cycle's scratch, sized once (place_init) */
	int *cnt;                    /* PLACE_MAX_TERMS x (n_zones + 1) */
	bool *dom;                   /* same shape: the zone is a domain of the constraint */
	int min[PLACE_MAX_TERMS];    /* a hard constraint's global minimum (INT32_MAX: no domain) */
	int n_dom[PLACE_MAX_TERMS];  /* its domains */
	double weight[PLACE_MAX_TERMS]; /* a soft constraint's topologyNormalizingWeight */
	bool *repelled;              /* per zone (+1): an existing pod's anti-affinity forbids it */
	int aff_total;               /* pods matching every affinity term of the cycle's pod, cluster-wide */
	int cycle_group;             /* the group place_cycle_begin prepared, -1: none */
};

/* Builds the state for the scenario's services (groups) and zones:
 * resolves selectors to groups (PLACE_MAX_TERMS terms a pod at most, as the
 * loader checks), and kube-scheduler's default constraints for a pod
 * without any when sc->cluster.default_spread. Counts start at 0. */
void place_init(struct place *pl, const struct scenario *sc);
void place_release(struct place *pl);

/* The fit of group g's pods (placement p) on a node with these labels and
 * taints. */
struct place_fit place_node_fit(const struct scn_placement *p, const struct place_label *labels, size_t n_labels,
				const struct scn_taint *taints, size_t n_taints);

/* A node becomes counted (registered) or stops being counted (removed);
 * it must hold no pod then. */
void place_node_counted(struct place *pl, struct place_node *nd, bool counted);
/* A pod of group g is bound to nd (delta +1) or unbound (-1); `live` says
 * whether it counts as live (not terminating). place_pod_terminating
 * moves a bound pod from live to terminating. */
void place_pod_add(struct place *pl, struct place_node *nd, int g, int delta, bool live);
void place_pod_terminating(struct place *pl, struct place_node *nd, int g);

/* ---- one scheduling cycle of a pod of group g ---- */

/* Filter reasons (bits), in the order the plugins run. */
enum {
	PLACE_R_TAINT = 1u << 0,         /* "node(s) had untolerated taint {k: v}" (unresolvable) */
	PLACE_R_AFFINITY = 1u << 1,      /* "node(s) didn't match Pod's node affinity/selector" (unresolvable) */
	PLACE_R_SPREAD = 1u << 2,        /* "node(s) didn't match pod topology spread constraints" */
	PLACE_R_SPREAD_LABEL = 1u << 3,  /* "... (missing required label)" (unresolvable) */
	PLACE_R_EXISTING_ANTI = 1u << 4, /* "node(s) didn't satisfy existing pods anti-affinity rules" */
	PLACE_R_POD_AFFINITY = 1u << 5,  /* "node(s) didn't match pod affinity rules" (unresolvable) */
	PLACE_R_POD_ANTI = 1u << 6       /* "node(s) didn't match pod anti-affinity rules" */
};
/* Whether a reason makes the node UnschedulableAndUnresolvable (preemption
 * cannot help). */
bool place_unresolvable(unsigned reason);

/* Whether group g's pods need the cycle at all: a spread constraint, a pod
 * (anti-)affinity term, or another group repelling them. */
bool place_active(const struct place *pl, int g);

/* PreFilter over nodes[0..n): the hard constraints' domains, counts and
 * minima, the domains existing pods' anti-affinity forbids, the pods the
 * affinity terms see. */
void place_cycle_begin(struct place *pl, int g, const struct place_node *nodes, size_t n);
/* The static filters (TaintToleration, NodeAffinity): 0 or one reason. */
unsigned place_filter_static(const struct place_node *nd, int g);
/* PodTopologySpread then InterPodAffinity on nd (after place_cycle_begin):
 * 0 or one reason. */
unsigned place_filter(const struct place *pl, int g, const struct place_node *nd);

/* PreScore: the soft constraints' domains and counts, given the feasible
 * nodes (indices into nodes). */
void place_score_begin(struct place *pl, int g, const struct place_node *nodes, size_t n, const uint32_t *feasible,
		       size_t n_feasible);
/* PodTopologySpread's raw score of nd (round of the sum over the soft
 * constraints of count x weight + maxSkew - 1); 0 without soft ones. */
int64_t place_spread_raw(const struct place *pl, int g, const struct place_node *nd);
/* Whether group g has soft constraints (PodTopologySpread scores). */
bool place_scores_spread(const struct place *pl, int g);
/* InterPodAffinity: whether it scores group g's pods, the raw score of nd
 * (the weights of the pods in nd's domains), and its NormalizeScore:
 * 100 x (s - min) / (max - min), truncated, or 0 for all when max = min. */
bool place_scores_affinity(const struct place *pl, int g);
int64_t place_affinity_raw(const struct place *pl, int g, const struct place_node *nd);
void place_normalize_affinity(int64_t *scores, size_t n);

#endif
