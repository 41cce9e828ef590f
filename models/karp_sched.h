/*
 * karp_sched.h: Karpenter's provisioning scheduling simulation as a function
 * of a state a test builds directly; models/karpenter.c calls it when a
 * batch window closes, over the pending pods and the world's nodes.
 *
 * It follows kubernetes-sigs/karpenter pkg/controllers/provisioning/
 * scheduling/ at the commit docs/model.md names (Karpenter): scheduler.go (Solve, add,
 * addToExistingNode, addToInflightNode, addToNewNodeClaim, subtractMax,
 * filterByRemainingResources), nodeclaim.go (CanAdd, Add,
 * filterInstanceTypesByRequirements), existingnode.go (CanAdd), queue.go
 * (byCPUAndMemoryDescending). The pods, sorted by cpu then memory
 * descending (then older first, then input order), each go to the first
 * place that holds them:
 *   1. an existing node: initialized (Ready) nodes first, then those in
 *      flight (launched, not yet initialized), each in the order given,
 *      first fit on the room it has left (cpu, memory, pod slots);
 *   2. a NodeClaim planned in this solve, fewest pods first (ties: the
 *      older claim), that still has an instance type holding all of its
 *      pods and this one (its options narrow to those types, and must keep
 *      minValues distinct values of every key that has one, else the pod
 *      does not join it);
 *   3. a new NodeClaim from the first NodePool, by weight descending and
 *      then name descending (nodepoolutils.OrderByWeight), that has one:
 *      its options are the pool's types within its remaining limits that
 *      hold the pod beside the DaemonSets, minValues kept. The pool's
 *      remaining cpu and memory then shrink by the largest capacity among
 *      those options (subtractMax: pessimistic, so a batch near a limit may
 *      take several rounds), and its remaining nodes by one.
 * A pod that fits nowhere gets no destination (upstream's PodErrors).
 *
 * Offerings (with the state's `offers`, karp_offer.h). A type is an option
 * of a NodeClaim only when it has an available offering in one of the
 * claim's zones with one of its capacity types (nodeclaim.go fits:
 * Offerings.Available().Compatible); a NodeClaim carries its options, the
 * types that hold all of its pods, cheapest available offering first
 * (cloudprovider OrderByPrice over the claim's zones and capacity types),
 * and the offering it would launch (karp_offer_pick: spot before on-demand
 * when it allows both, the cheapest available of that capacity type), whose
 * zone is the claim's zone. A claim's capacity types are its pool's,
 * narrowed like its zones by its pods' node requirements on
 * karpenter.sh/capacity-type. Without `offers` every type of a pool counts
 * as available at the pool's order, and a claim launches its first option.
 *
 * Limits (spec.limits) count the capacity of the pool's active nodes (the
 * caller's `used`: not being deleted), as scheduler.go's
 * updateRemainingResources does: cpu as vCPUs, memory as the catalog's MiB.
 * Where upstream's scheduler leaves the `nodes` limit to existing nodes and
 * lets Provisioner.Create refuse what goes over, here each new NodeClaim
 * takes one node of it at once, so a batch never plans past it.
 *
 * Placement (when the state has `fits` and `pl`; else every pod may go
 * anywhere its requests fit). A pod belongs to a group (a service: one pod
 * template); where it may go follows scheduling/topology.go,
 * topologygroup.go, nodeclaim.go and existingnode.go:
 *   - taints: a NodePool whose template taints the pod does not tolerate
 *     (NoSchedule, NoExecute) launches nothing for it; an existing node
 *     takes it only if it tolerates the node's taints;
 *   - node requirements: nodeSelector and required node affinity hold on
 *     the labels a node would have (the pool's labels, the type's
 *     well-known labels, zone, nodepool, capacity type): a NodeClaim's
 *     options, zones and capacity types narrow to those its pods allow;
 *   - topology (Topology.AddRequirements), counting the pods of each group
 *     bound to Node objects (not terminating; the caller's `pl`) plus those
 *     this solve placed: a topology spread constraint on zone takes the
 *     zone of the fewest matching pods among the destination's zones where
 *     count + 1 - min <= maxSkew (nextDomainTopologySpread: the minimum
 *     over the constraint's domains, every zone a NodePool the pod may use
 *     allows and every zone of a counted node, 0 with fewer than minDomains
 *     of them; ties to the first zone, where upstream walks a Go map); on
 *     hostname, count on the node + 1 <= maxSkew (a new node is always a
 *     domain of 0); a required pod anti-affinity term keeps the domains
 *     without matching pods (a pod placed on a NodeClaim of several zones
 *     blocks them all, as Record does), and another group's anti-affinity
 *     term that selects the pod does likewise; a required pod affinity
 *     term needs a domain with matching pods, or none anywhere when the
 *     term selects the pod itself (the first pod goes anywhere);
 *   - preferences: a pod is placed first as if its preferences were
 *     required (ScheduleAnyway constraints, preferred pod (anti-)affinity
 *     terms, the heaviest preferred node affinity term); if that places it
 *     nowhere, again without them. Upstream relaxes them one at a time
 *     (preferences.go Relax) and retries the pod later in the queue; here
 *     all at once and at once. kube-scheduler's default spread constraints
 *     are not the pod's: Karpenter does not see them.
 *
 * Not modelled: hostPort, extended resources and GPUs, volumes, reserved
 * capacity, several required node affinity terms tried one at a time (here
 * ORed at once), and minValuesPolicy BestEffort (the policy is Strict).
 * Pods of nodes being deleted are not added here: the caller passes the
 * pods it wants placed.
 *
 * Units: cores and bytes as doubles; the comparisons allow 1e-9 cores and
 * 1e-3 bytes of rounding. The solver allocates only when a solve is larger
 * than any before it; its results live until the next solve or its free.
 */
#ifndef HEADROOM_KARP_SCHED_H
#define HEADROOM_KARP_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "karp_offer.h"
#include "placement.h"
#include "scn.h"
#include "sim.h"

/* A pod to place. */
struct karp_pod {
	double cpu;      /* cores requested */
	double mem;      /* bytes requested */
	simtime created; /* creationTimestamp, ns: the older goes first among equal requests */
	int group;       /* its group (service) in the state's fits and pl; unused without them */
	const struct place_node *from; /* the node it is bound to now (a consolidation moves it), NULL: pending;
	                                * its count there is left out (topology.go excludes the pods it
	                                * schedules) */
};

/* An existing node, Karpenter's or not. */
struct karp_node {
	double cpu;     /* cores free: allocatable less the requests of the pods bound (DaemonSets included) */
	double mem;     /* bytes free, likewise */
	int pods;       /* pod slots free */
	bool in_flight; /* launched, not yet initialized: tried after the initialized nodes */
	const struct place_node *pn; /* its zone, taints' and labels' fit and pods per group (borrowed); NULL:
	                              * no zone, any pod fits, no pods counted */
};

/* What a NodePool's active nodes take of its limits. */
struct karp_usage {
	double cpu; /* vCPUs of their instance types */
	double mem; /* bytes: the catalog's MiB of their types */
	int nodes;  /* nodes */
};

/* The state a solve reads (all borrowed). */
struct karp_state {
	const struct scn_karpenter *cfg; /* the NodePools, their types (cheapest first), limits and minValues */
	const struct catalog *cat;       /* the instance types the pools' indices name */
	double ds_cpu, ds_mem;           /* cores and bytes the DaemonSets take on a new node; either > 0: they
	                                  * take a pod slot too */
	const struct sched_alloc *ds;    /* NULL, or per pool x catalog type the DaemonSet pods such a node would
	                                  * run (those that select and tolerate it): then ds_cpu, ds_mem unused */
	const struct karp_pod *pods;     /* the pods to place */
	size_t n_pods;
	const struct karp_node *nodes;   /* the existing nodes */
	size_t n_nodes;
	const struct karp_usage *used;   /* per pool (cfg->n_pools); NULL: nothing used */
	const struct karp_fits *fits;    /* what each group makes of each pool's nodes; NULL: no placement */
	const struct place *pl;          /* the groups' constraints and their pods per zone; with fits */
	uint64_t zones_down;             /* zone slots where nothing launches now (a lost zone), with fits and pl:
	                                  * left out of a new NodeClaim's zones, so one whose pods' topology
	                                  * needs only them fails, as no instance type has an available offering
	                                  * there (nodeclaim.go filterInstanceTypesByRequirements); they stay
	                                  * topology domains */
	const struct karp_offers *offers;/* the offerings and the unavailable-offerings cache; NULL: every type
	                                  * of a pool available, in the pool's order */
	simtime now;                     /* the time the cache is read at, ns */
};

/* What the pods of each group (service) make of the nodes a NodePool would
 * launch: per pool, group, zone slot and type, whether the taints are
 * tolerated and the node requirements hold. Zone slots are the cluster's
 * zones and one more, n_zones, for "no zone" (the only one when the cluster
 * names none); capacity types k are KARP_OD and KARP_SPOT (the label
 * karpenter.sh/capacity-type). Built once from the scenario (karp_fits_init). */
enum { KARP_FIT_AFFINITY = 1, KARP_FIT_PREFERRED = 2 };
struct karp_fits {
	size_t n_pools, n_groups, n_zones, n_types; /* n_types: the catalog's */
	uint8_t *ok;          /* per pool x group x zone slot x catalog type x capacity type (0 for types and
	                       * capacity types not the pool's): KARP_FIT_AFFINITY: nodeSelector and required
	                       * node affinity hold; KARP_FIT_PREFERRED: the heaviest preferred term too (or
	                       * none); taints aside */
	uint8_t *cts;         /* per pool x group x 2: the capacity types (SCN_ON_DEMAND | SCN_SPOT bits) with
	                       * a type of KARP_FIT_AFFINITY, then of both bits, in some slot */
	bool *tolerates;      /* per pool x group: every NoSchedule/NoExecute taint of the template tolerated */
	uint64_t *slots;      /* per pool x group x 2: the slots with a type of KARP_FIT_AFFINITY, then with
	                       * one of both bits (0 when the taints are not tolerated) */
	uint64_t *aff_slots;  /* per pool x group: the pool's slots with a type of KARP_FIT_AFFINITY, taints
	                       * aside (the domains of a spread constraint that ignores taints) */
	bool *open;           /* per pool x group: taints tolerated and every type of every slot and capacity
	                       * type of both bits */
	bool *preferred;      /* per group: preferred node affinity terms (Karpenter first requires the heaviest) */
};
void karp_fits_init(struct karp_fits *f, const struct scenario *sc);
void karp_fits_release(struct karp_fits *f);

enum karp_dest_kind {
	KARP_DEST_NONE,  /* fits nowhere: stays pending */
	KARP_DEST_NODE,  /* an existing node: index into state nodes[] */
	KARP_DEST_CLAIM  /* a new NodeClaim: index into the result's claims[] */
};

struct karp_dest {
	enum karp_dest_kind kind;
	int idx; /* node or claim index; -1 with KARP_DEST_NONE */
};

/* A new NodeClaim. */
struct karp_claim {
	int pool;         /* its NodePool (index into cfg->pools) */
	double cpu, mem;  /* requests of its pods: cores, bytes */
	int pods;         /* its pods */
	const int *types; /* its options: catalog indices of the types holding its pods, cheapest available
	                   * offering first (borrowed from the solver) */
	size_t n_types;   /* >= 1 */
	uint64_t zones;   /* the zone slots its pods allow (bit z, slot n_zones: no zone); 0 without fits */
	unsigned cts;     /* the capacity types its pool and pods allow: SCN_ON_DEMAND | SCN_SPOT bits */
	struct karp_pick offer; /* with offers: the offering it would launch (karp_offer_pick over its options,
	                   * zones and capacity types); else type types[0], zone as below, k KARP_OD, price
	                   * 0 */
	int zone;         /* where it launches: its offer's zone; without offers the first of its zones
	                   * (index into the cluster's zones), or PLACE_ZONE_NONE (no zones, or no fits: the
	                   * caller's choice) */
};

struct karp_result {
	const struct karp_dest *dest;    /* per pod, in the state's order (borrowed from the solver) */
	const struct karp_claim *claims; /* in the order they were opened (borrowed from the solver) */
	size_t n_claims;
};

struct karp_solver;

/* A solver: scratch reused from solve to solve. Free with karp_solver_free. */
struct karp_solver *karp_solver_new(void);
void karp_solver_free(struct karp_solver *s);

/* Places st's pods (see above) and returns where each goes and the new
 * NodeClaims; the result is s's, valid until s solves again or is freed.
 * Reads st only. */
struct karp_result karp_solve(struct karp_solver *s, const struct karp_state *st);

/* Whether the instance types types[0..n) (catalog indices) keep at least
 * minValues distinct values of the key of every requirement of np that
 * has minValues (cloudprovider/types.go InstanceTypes.SatisfiesMinValues). */
bool karp_min_values_ok(const struct scn_nodepool *np, const int *types, size_t n);

/* Whether np has a requirement with minValues. */
bool karp_has_min_values(const struct scn_nodepool *np);

/* Whether type t (a catalog index) of pool `pool` holds requests (cpu
 * cores, mem bytes, pods pods) beside the DaemonSets, as st counts them. */
bool karp_type_holds(const struct karp_state *st, int pool, int t, double cpu, double mem, int pods);

/* The options a new NodeClaim of pool `pool` would have for requests (cpu
 * cores, mem bytes, pods pods) beside the DaemonSets, with the pool's
 * usage `used` (NULL: none): its types within the remaining limits that
 * hold them and have an available offering in its zones, cheapest first,
 * into out (room for the pool's n_types).
 * Returns how many; 0 when none does or when those that do keep fewer than
 * minValues values of a key (nodeclaim.go: the claim fails). */
size_t karp_claim_options(const struct karp_state *st, int pool, const struct karp_usage *used, double cpu, double mem,
			  int pods, int *out);

/* The zones (a mask of cluster zones) a claim of pool `pool` with zone
 * slots `slots` may launch in: those slots that are zones, or all of the
 * pool's when none is (no fits, or a cluster without zones). */
uint64_t karp_claim_zones(const struct karp_state *st, int pool, uint64_t slots);

#endif
