/*
 * evict.h: voluntary disruption as the API server and the autoscalers see
 * it: the status of each PodDisruptionBudget now, the eviction API's answer
 * for one pod, and whether a provisioner may pick a node for disruption.
 *
 * The PDB arithmetic is models/pdb.h's; this file counts the pods of the
 * world for it. A PDB's status is computed when asked, from the live
 * state: an approved eviction deletes the pod at once (it leaves the
 * endpoints and stops being healthy), so no disruptedPods map is needed.
 *
 * Sources: kubernetes/kubernetes pkg/registry/core/pod/storage/eviction.go;
 * kubernetes-sigs/karpenter pkg/controllers/disruption/helpers.go and
 * pkg/utils/pdb (a candidate whose pod a PDB allowing no disruption selects,
 * or with a karpenter.sh/do-not-disrupt pod, is not disrupted);
 * kubernetes/autoscaler cluster-autoscaler/simulator/drainability and
 * core/scaledown/pdb/basic.go (the remaining disruptions of each PDB are
 * spent by the node's pods; safe-to-evict "false" pins a pod).
 */
#ifndef HEADROOM_EVICT_H
#define HEADROOM_EVICT_H

#include "pdb.h"
#include "world.h"

#define EVICT_WHY_LEN 160

/* The status the disruption controller would write for PDB i now. */
struct pdb_status evict_pdb_status(const struct world *w, int i);

/* The eviction API for pod p. Returns true when the pod was evicted (it
 * terminates gracefully and its ReplicaSet makes a replacement), false when
 * it was refused (429: the PDB allows no disruption), with the API's
 * reason in why. Pods that are not Running go without a look at any PDB. */
bool evict_pod(struct world *w, struct pod *p, char *why, size_t n);

/* Why Karpenter may not disrupt node n voluntarily (a pod of it has
 * karpenter.sh/do-not-disrupt, or its PDB allows no disruption now):
 * writes the reason and returns true; false when it may. */
bool evict_karpenter_blocked(const struct world *w, const struct wnode *n, char *why, size_t size);

/* Why Cluster Autoscaler may not remove node n (a pod with safe-to-evict
 * "false", or more of a PDB's pods on it than the PDB allows to go). */
bool evict_ca_blocked(const struct world *w, const struct wnode *n, char *why, size_t size);

#endif
