/*
 * pdb.h: PodDisruptionBudget arithmetic, as Kubernetes does it.
 *
 * Two pure decisions over a policy/v1 PodDisruptionBudget (struct scn_pdb,
 * read by the scenario loader): what the disruption controller writes into
 * its status (how many disruptions it allows now), and whether the eviction
 * API lets one pod go. Nothing here keeps state or knows a clock; the caller
 * counts pods and remembers which evictions it has approved.
 *
 * Sources (kubernetes/kubernetes): pkg/controller/disruption/disruption.go
 * (getExpectedPodCount, getExpectedScale, countHealthyPods, updatePdbStatus);
 * staging/src/k8s.io/apimachinery/pkg/util/intstr/intstr.go
 * (GetScaledValueFromIntOrPercent: a percentage of a total is
 * ceil(pct x total / 100) in float64 when rounding up, which the controller
 * always asks for); pkg/registry/core/pod/storage/eviction.go (Create,
 * canIgnorePDB, checkAndDecrement). docs/model.md, PodDisruptionBudgets.
 *
 * Counts are pods. "Healthy" is Ready (countHealthyPods: IsPodReady), not
 * being deleted, and not among the pods whose eviction was approved less
 * than 2 minutes ago (status.disruptedPods) — the caller leaves those out.
 */
#ifndef HEADROOM_PDB_H
#define HEADROOM_PDB_H

#include "common.h"
#include "scn.h"

/* What the disruption controller writes into a PDB's status. */
struct pdb_status {
	int32_t expected;        /* expectedPods: the controllers' scale, or the pods (integer minAvailable) */
	int32_t desired_healthy; /* desiredHealthy: healthy pods the budget keeps */
	int32_t current_healthy; /* currentHealthy: healthy pods now */
	int32_t allowed;         /* disruptionsAllowed: max(0, current - desired), 0 when expected is 0 */
};

/*
 * The status the disruption controller computes for pdb (trySync):
 *   scale    the sum of spec.replicas of the Deployments whose pods pdb
 *            selects (getExpectedScale), >= 0;
 *   n_pods   the pods pdb selects, whatever their state (Pending, not
 *            Ready, being deleted all count), >= 0;
 *   healthy  those of them that are healthy (see above), 0..n_pods.
 * maxUnavailable: expected = scale, desired = max(0, scale - v), v the
 * integer or ceil(pct x scale). minAvailable as a percentage: expected =
 * scale, desired = ceil(pct x scale). Integer minAvailable: expected =
 * n_pods, desired = the integer. A negative argument fails an assert.
 */
struct pdb_status pdb_status(const struct scn_pdb *pdb, int32_t scale, int32_t n_pods, int32_t healthy);

/* pdb_status(...).allowed: the disruptions pdb allows now, >= 0. */
int32_t pdb_disruptions_allowed(const struct scn_pdb *pdb, int32_t scale, int32_t n_pods, int32_t healthy);

/* The eviction API's answer for one pod. */
enum pdb_eviction {
	PDB_EVICT_REFUSED, /* 429 Too Many Requests (or 500 for a pod under two PDBs): retry later */
	PDB_EVICT_COUNTED, /* evicted, spending one of the PDB's disruptions: the caller lowers
	                    * st->allowed by one and, until the pod is gone, leaves it out of healthy */
	PDB_EVICT_FREE     /* evicted without touching the budget */
};

/*
 * Whether the eviction API evicts a pod (EvictionREST.Create):
 *   pdb, st   the PDB selecting the pod and its current status (unread
 *             when n_pdbs is 0; st->allowed already lowered for the
 *             evictions approved since the controller last synced);
 *   n_pdbs    how many PDBs select the pod;
 *   running   the pod is in phase Running and not being deleted (a Pending,
 *             finished or terminating pod is deleted without a look at any
 *             PDB: canIgnorePDB);
 *   ready     the pod is Ready.
 * Then: more than one PDB is refused (500); none is free; a pod that is not
 * Ready goes free under AlwaysAllow, or under IfHealthyBudget when
 * currentHealthy >= desiredHealthy > 0; otherwise it is counted when
 * disruptionsAllowed > 0 and refused when it is 0.
 */
enum pdb_eviction pdb_eviction(const struct scn_pdb *pdb, const struct pdb_status *st, int n_pdbs, bool running,
			       bool ready);

/* pdb_eviction(...) != PDB_EVICT_REFUSED. */
bool pdb_eviction_allowed(const struct scn_pdb *pdb, const struct pdb_status *st, int n_pdbs, bool running,
			  bool ready);

#endif
