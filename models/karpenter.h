/*
 * karpenter.h: Karpenter's consolidation decision as a function of the
 * cluster's state (models/karpenter.c runs it every poll, 10 s, and carries
 * the command out after the 15 s validation).
 *
 * The decision looks at the world as it is: its nodes (state, pool, type,
 * price, last pod event), the pods bound to them, and the NodePools'
 * disruption settings and budgets. It returns the one command Karpenter
 * would issue, in the order of disruption/controller.go: empty nodes first
 * (as many as the budgets allow), else the one underutilized node whose
 * deletion saves the most per pod it disrupts and whose pods fit on the
 * other Ready nodes, else the node that one cheaper instance type can
 * replace with the largest saving. A node is a candidate once it is Ready,
 * not static, in a pool with consolidation on, and `consolidateAfter` has
 * passed since its last pod event; expiration is not a consolidation and is
 * not part of it.
 */
#ifndef HEADROOM_KARPENTER_H
#define HEADROOM_KARPENTER_H

#include "world.h"

enum karp_cmd_kind {
	KARP_CMD_NONE,         /* nothing to consolidate */
	KARP_CMD_DELETE_EMPTY, /* delete empty nodes (one or more, within the budgets) */
	KARP_CMD_DELETE,       /* delete one underutilized node: its pods fit on the other Ready nodes */
	KARP_CMD_REPLACE       /* replace one node with a node of a cheaper type that holds its pods */
};

#define KARP_CMD_MAX 64 /* nodes in one command */

struct karp_cmd {
	enum karp_cmd_kind kind;
	int n;                      /* nodes in num[] (0 with KARP_CMD_NONE) */
	uint32_t num[KARP_CMD_MAX]; /* the nodes to delete or replace, by struct wnode num */
	int replace;                /* KARP_CMD_REPLACE: the replacement's type (catalog index); else -1 */
	const char *reason;         /* "empty", "underutilized", "replace with a cheaper node"; NULL with none */
};

/* The consolidation command Karpenter would issue over the current state of
 * w (a world whose provisioner is Karpenter) at time now: the world's clock
 * for the live controller, or a later time to ask what it would do once
 * consolidateAfter has passed with nothing changed meanwhile. Reads w only:
 * no rows, no events, nothing kept. */
struct karp_cmd karp_consolidation_plan(const struct world *w, simtime now);

#endif
