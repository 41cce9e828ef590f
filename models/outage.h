/*
 * outage.h: a zone lost (cluster.outages; docs/model.md, "Spot
 * interruptions and lost zones").
 *
 * At `start` the zone's instances stop (node_lose): their pods answer
 * nothing (a request the balancer sends to one fails), nodes not yet Ready
 * never will be, and no provisioner launches in the zone for the rest of
 * the run (w->zones_down: Karpenter's provisioning simulation and Cluster
 * Autoscaler consult it). The control plane finds out as
 * kube-controller-manager's node lifecycle controller does
 * (kubernetes/kubernetes pkg/controller/nodelifecycle/
 * node_lifecycle_controller.go):
 *   - --node-monitor-grace-period (50 s) after the last heartbeat
 *     (tryUpdateNodeHealth), each node of the zone is Ready Unknown: it is
 *     tainted node.kubernetes.io/unreachable:NoSchedule
 *     (doNoScheduleTaintingPass) and its pods are marked not Ready
 *     (MarkPodsNotReady), out of the endpoints;
 *   - the NoExecute taint node.kubernetes.io/unreachable follows through
 *     the zone's rate-limited queue (doNoExecuteTaintingPass): one node at
 *     once (the token bucket's burst of 1), then one every 1 /
 *     --node-eviction-rate (0.1 a second: 10 s). A zone whose nodes are all
 *     down is in FullDisruption, whose rate is that same one
 *     (HealthyQPSFunc), unless every zone is fully disrupted: then no
 *     NoExecute taint at all (handleDisruption), and no pod is evicted;
 *   - the taint eviction controller deletes each pod of a tainted node
 *     once its toleration of that taint runs out (pod_noexecute): the
 *     tolerationSeconds of the pod's own toleration, else the 300 s the
 *     DefaultTolerationSeconds admission plugin gives every pod
 *     (--default-unreachable-toleration-seconds). Its ReplicaSet replaces
 *     it at once; the deleted pod stays Terminating (no kubelet confirms
 *     its end) until its node is removed.
 * After remove_after the zone's nodes are removed with their pods
 * (node_reclaim: the instances are terminated, their Nodes and NodeClaims
 * deleted). Decision rows: "zone-lost" (named after the zone), then per
 * node "lost", "not-ready", "tainted", "reclaimed" and "deleted".
 */
#ifndef HEADROOM_OUTAGE_H
#define HEADROOM_OUTAGE_H

#include "world.h"

/* Schedules the outages of w's scenario (w->outages stays NULL without). */
void outage_start(struct world *w);
void outage_free(struct world *w);

#endif
