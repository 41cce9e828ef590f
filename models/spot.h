/*
 * spot.h: spot interruptions (cluster.interruptions; docs/model.md, "Spot
 * interruptions and lost zones").
 *
 * EC2 reclaims a spot instance with a 2-minute notice. A spot node
 * (wnode->spot) is interrupted at a constant hazard: the rate of its
 * instance type, else of its family, else the rate given for neither,
 * else none. A rate is written as the Spot Instance Advisor writes it, the
 * share p of instances interrupted within a month, and becomes a hazard of
 * -ln(1 - p) / 730 per node-hour (a month is 730 hours): an instance that
 * runs the whole month is then interrupted within it with probability p
 * exactly. (p / 730 agrees to first order and falls short as p grows: at
 * 20 % a month it would interrupt 18.1 %.) The time to a node's
 * interruption is drawn when the node is made (for the nodes of t = 0,
 * when the run starts: the hazard is memoryless, so a node up long before
 * the run is no different), from one stream of its own (RNG_SPOT, in the
 * order nodes are made), so no other draw of the run changes and the run
 * stays a function of the seed. Given times ({at, node} or {at, type,
 * family, zone}) interrupt the named node, or the oldest live spot node
 * that matches and has no notice yet; when there is none, a decision row
 * says so ("interruption-skipped").
 *
 * A notice is a decision row ("interruption-notice"). The provisioner's
 * `interrupted` hook acts on it (Karpenter's interruption controller:
 * models/karpenter.c); whatever it does, the instance is gone at the end
 * of the notice (node_reclaim: the pods still on it are deleted, the node
 * removed). A node has at most one notice, and none after its removal.
 */
#ifndef HEADROOM_SPOT_H
#define HEADROOM_SPOT_H

#include "world.h"

#define SPOT_NOTICE (2 * SIM_MIN) /* EC2's Spot Instance interruption notice */

/* The hazard of a spot instance of the named type ("" or unknown: a node
 * without one) under sc's cluster.interruptions, per node-hour; 0 when no
 * rate applies. */
double spot_rate(const struct scenario *sc, const char *type);

/* Starts the interruptions of w's scenario once the cluster of t = 0 is
 * settled: every spot node's time to interruption, and the given times.
 * Does nothing (w->spot stays NULL) when the scenario has none. */
void spot_start(struct world *w);
/* A new node (node_add calls it once spot_start ran): a spot node's time
 * to interruption is drawn. */
void spot_node_added(struct world *w, struct wnode *n);
/* Spot node n gets its 2-minute notice now (nothing when it has one
 * already): a decision row with `why`, the provisioner told, the instance
 * reclaimed at the end of the notice. n may be gone when this returns. */
void spot_interrupt(struct world *w, struct wnode *n, const char *why);
void spot_free(struct world *w);

#endif
