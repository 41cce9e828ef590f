/*
 * karpenter.h: Karpenter's consolidation decision as a function of the
 * cluster's state (models/karpenter.c runs it every poll, 10 s, and carries
 * the command out after the 15 s validation). Its provisioning scheduling
 * simulation is in karp_sched.h.
 *
 * The decision looks at the world as it is: its nodes (state, pool, type,
 * price, last pod event), the pods bound to them, and the NodePools'
 * disruption settings and budgets. It returns the one consolidation
 * command Karpenter would issue, in the order of disruption/controller.go
 * NewMethods (Drift, between 1 and 2, is not consolidation: the live
 * controller runs it when emptiness finds nothing, docs/drift.md):
 *   1. Emptiness: empty nodes, as many as the budgets allow;
 *   2. MultiNodeConsolidation: the longest prefix (at least 2) of the
 *      candidates sorted by savings ratio whose pods all fit on the other
 *      Ready nodes plus at most one new NodeClaim cheaper than the prefix
 *      together: deleted, or replaced by that one NodeClaim;
 *   3. SingleNodeConsolidation: the one underutilized node whose deletion
 *      saves the most per pod it disrupts and whose pods fit on the other
 *      Ready nodes, else the node that one cheaper instance type can
 *      replace with the largest saving.
 * A node is a candidate once it is Ready, not static, in a pool with
 * consolidation on, not already being replaced, no pod of it protected
 * (do-not-disrupt, a PDB allowing no disruption), and `consolidateAfter`
 * has passed since its last pod event; consolidation (2, 3) takes only
 * non-empty nodes of WhenEmptyOrUnderutilized pools. Expiration is not a
 * consolidation and is not part of it. Each method counts against the
 * budgets of its reason (Empty for 1, Underutilized for 2 and 3).
 */
#ifndef HEADROOM_KARPENTER_H
#define HEADROOM_KARPENTER_H

#include "karp_sched.h"
#include "world.h"

enum karp_cmd_kind {
	KARP_CMD_NONE,         /* nothing to consolidate */
	KARP_CMD_DELETE_EMPTY, /* delete empty nodes (one or more, within the budgets) */
	KARP_CMD_DELETE,       /* delete underutilized nodes (one, or several: multi-node) whose pods fit
	                        * on the other Ready nodes */
	KARP_CMD_REPLACE       /* replace nodes (one, or several: multi-node) with one new node of a
	                        * cheaper type, their pods on it and on the other Ready nodes */
};

#define KARP_MULTI_MAX 100 /* multinodeconsolidation.go: candidates of one binary search (its bounds let
                            * a prefix take one more, 101, when there are more than 100) */
#define KARP_CMD_MAX 128   /* nodes in one command (emptiness takes at most this many at once) */
#define KARP_SPOT_TO_SPOT_MIN 15 /* MinInstanceTypesForSpotToSpotConsolidation (single-node only) */

struct karp_cmd {
	enum karp_cmd_kind kind;
	int n;                      /* nodes in num[] (0 with KARP_CMD_NONE); > 1 for a consolidation
	                             * (DELETE, REPLACE) only when multi-node found it */
	uint32_t num[KARP_CMD_MAX]; /* the nodes to delete or replace, by struct wnode num */
	int replace;                /* KARP_CMD_REPLACE: the replacement's type (catalog index); else -1 */
	int pool;                   /* KARP_CMD_REPLACE: the replacement's NodePool; else -1 */
	const char *reason;         /* "empty", "underutilized", "replace with a cheaper node", or multi-node's
	                             * "underutilized (multi-node)", "replace several nodes with one cheaper
	                             * node"; NULL with none */
};

/* The consolidation command Karpenter would issue over the current state of
 * w (a world whose provisioner is Karpenter) at time now: the world's clock
 * for the live controller, or a later time to ask what it would do once
 * consolidateAfter has passed with nothing changed meanwhile. Reads w only:
 * no rows, no events, nothing kept. */
struct karp_cmd karp_consolidation_plan(const struct world *w, simtime now);

/* The same for one cluster's Karpenter (`clusters:`, docs/clusters.md):
 * each cluster has its own installation, and its decision takes only that
 * cluster's nodes as candidates and as room for their pods. `cluster`
 * indexes scenario.multi->clusters (0 without `clusters:`, where
 * karp_consolidation_plan is this with 0). Writes only the provisioner's
 * scratch. */
struct karp_cmd karp_cluster_plan(const struct world *w, int cluster, simtime now);

/* The instance type a new NodeClaim of pool `pool` of w (Karpenter's)
 * launches as for pods requesting (cpu cores, mem bytes, pods) beside the
 * DaemonSets: the cheapest of the pool's types that holds them within the
 * limits left by the pool's active nodes (those not being deleted), the
 * first option of karp_claim_options; -1 when none does, or when those that
 * do keep fewer than minValues values of a key (the claim fails, and a
 * pod that would make it so goes to another claim). */
int karp_claim_type(const struct world *w, int pool, double cpu, double mem, int pods);

/* The disruptions a NodePool's budgets that apply to every reason and have
 * no schedule allow over n_nodes nodes (np->budget_pct, budget_nodes):
 * each percent budget allows ceil(pct x n_nodes / 100)
 * (GetScaledValueFromIntOrPercent rounding up, so 5 % of 10 nodes allows
 * 1), each count its count, and the pool the least of them (INT32_MAX with
 * none). karp_budget_allowed_at is the whole rule. */
int karp_budget_allowed(const struct scn_nodepool *np, int n_nodes);

/* Budget.IsActive (pkg/apis/v1/nodepool.go) at unix_ns (Unix time, ns): a
 * budget without a schedule always; else when its schedule, read in UTC,
 * fires at or before unix_ns at its first firing after unix_ns - duration
 * (!Next(now - duration).After(now)). */
bool karp_budget_active(const struct scn_budget *b, int64_t unix_ns);

/* NodePool.GetAllowedDisruptionsByReason (pkg/apis/v1/nodepool.go) over
 * n_nodes nodes at unix_ns (Unix time, ns), for `reason` (one
 * SCN_REASON_* bit): the least of what the active budgets that apply to
 * it allow (a budget without reasons applies to every one), each a count
 * or ceil(pct x n_nodes / 100); INT32_MAX when none is active. Pure. */
int karp_budget_allowed_at(const struct scn_nodepool *np, unsigned reason, int n_nodes, int64_t unix_ns);

/* The disruptions for `reason` (an SCN_REASON_* bit) NodePool `pool` of w
 * (Karpenter's) may start now, as disruption/helpers.go
 * BuildDisruptionBudgetMapping counts them: the budget for the reason at
 * the world's time (the scenario's start plus the clock) over the pool's
 * initialized nodes only (a node launched or registered but not yet
 * initialized counts neither in the total nor as disrupting), minus those
 * of them not Ready (deleting, NotReady) or MarkedForDeletion (a command's
 * candidate waiting for its replacement), at least 0. */
int karp_disruptions_allowed_for(const struct world *w, int pool, unsigned reason);
/* The least of karp_disruptions_allowed_for over the three reasons. */
int karp_disruptions_allowed(const struct world *w, int pool);

/*
 * The provisioning batch window, as pkg/controllers/provisioning/batcher.go
 * keeps it. The first trigger opens a window; it closes `idle` after the
 * last trigger by an element (a pod) that had not triggered in this window
 * yet, or `max` after it opened, whichever comes first. A pod that triggers
 * again within the same window (its scheduling retried while it waits) does
 * not extend it: Batcher.Trigger returns early when `b.elems.Has(elem)`,
 * before it arms the channel that resets the idle timer; the set is cleared
 * when Wait returns, so the same pod is new again in the next window.
 * Elements are marked by the window they last triggered (a uint64_t the
 * caller keeps with the element, 0 at first); a trigger with no mark
 * (TriggerNow: no dedupe key) always extends.
 */
struct karp_batch {
	bool open;        /* a window is open */
	uint64_t window;  /* number of the open (or last) window, from 1 */
	simtime opened;   /* ns: the trigger that opened it */
	simtime last_new; /* ns: the last trigger by an element new to the window */
};

/* A trigger at time now by the element whose mark is *mark (NULL: no dedupe
 * key). Updates b and *mark; returns whether it opened a window. */
bool karp_batch_trigger(struct karp_batch *b, simtime now, uint64_t *mark);
/* When the open window b closes: min(last_new + idle, opened + max) (ns). */
simtime karp_batch_closes(const struct karp_batch *b, simtime idle, simtime max);
/* Closes b's window: every element is new again in the next. */
void karp_batch_close(struct karp_batch *b);

#endif
