/*
 * plan_rollout.h: what a plan says about the rollouts of its runs
 * (docs/rollouts.md): per variant, the share of runs whose rollout was
 * rolled back, with its Wilson interval (P(bad release caught) for a bad
 * release, P(good release rolled back) for a good one), the time from the
 * start to the rollback, and the pod-hours held above spec.replicas with
 * their nodes' share of node-hours and cost (means over the runs).
 */
#ifndef HEADROOM_PLAN_ROLLOUT_H
#define HEADROOM_PLAN_ROLLOUT_H

#include <stdio.h>

#include "sink.h"
#include "store.h"

/* One variant's rollouts. */
struct plan_ro {
	int runs;             /* runs with a rollout row */
	int aborted;          /* of which aborted */
	int promoted;         /* of which promoted */
	double *rollback_s;   /* the aborted runs' rollback_s (owned, `aborted` of them) */
	double extra_pod_hours; /* summed over the runs */
	int max_pods;         /* the most over the runs */
	double extra_node_hours; /* rollouts.extra_node_hours summed over the runs that have it */
	double extra_cost_usd; /* rollouts.extra_cost_usd summed over the runs that have it */
	int costed;           /* runs with extra_cost_usd (a cluster) */
};

/* Adds one run's row to a. */
void plan_ro_add(struct plan_ro *a, const struct row_rollout *r);
void plan_ro_free(struct plan_ro *a);

/* Reads the rollouts of plan `plan_id` (variants 1..n_var, replications
 * 1..reps) and prints their table to out under the variants' labels
 * (label(ctx, v), v from 1); prints nothing when no run has a rollout.
 * Returns 0 or -1 with e set. */
int plan_rollout_print(FILE *out, store *st, int64_t plan_id, int n_var, int reps,
		       const char *(*label)(const void *ctx, int v), const void *ctx, struct herr *e);

#endif
