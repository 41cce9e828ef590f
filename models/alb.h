/*
 * alb.h: several clusters behind an AWS Application Load Balancer
 * (scenario `clusters:` and `alb:`, sim/scn_alb.c; docs/clusters.md).
 *
 * A listener rule forwards the requests of the services it names to
 * weighted target groups, one per cluster. Each request draws one target
 * group with probability weight / sum of weights (alb_pick), among the
 * target groups whose targets are registered; the weights at a time come
 * from the rule's schedule (alb_weights_at: steps, or linear shifts). A
 * deregistered target group takes no new request; the requests already in
 * it finish until its deregistration_delay is over, and then the ALB cuts
 * them (their clients see an error).
 *
 * Which copy of a service a request goes to (alb_route): a call from a
 * cluster where the service runs stays in it; otherwise (entry traffic,
 * or a call from a cluster where it does not run) it crosses the ALB if a
 * rule forwards it, else goes to its one copy.
 */
#ifndef HEADROOM_ALB_H
#define HEADROOM_ALB_H

#include "scn.h"

struct world;
struct service;
struct wnode;
struct alb;

/* The weights of rule r's target groups at time t (ns), into w[0..n_tgs):
 * the weights at t = 0, then each step's at its `at` (a step with `over`
 * moves each weight it names linearly from its value then to the new one
 * by at + over). A target group deregistered at t weighs 0. */
void alb_weights_at(const struct scn_alb_rule *r, simtime t, double *w);
/* Whether target group g of r has its targets registered at t (ns). */
bool alb_registered_at(const struct scn_alb_rule *r, size_t g, simtime t);
/* The target group a request with uniform draw u in [0, 1) goes to: the
 * first g with u x sum(w) < w[0] + ... + w[g]; -1 when every weight is 0. */
int alb_pick(const double *w, size_t n, double u);

/* The ALB of the world's scenario (NULL without `clusters:`): its draws,
 * counters, deregistration cuts and sample rows. */
struct alb *alb_new(struct world *w);
void alb_free(struct alb *a);
/* The copy of service sv (as a call or entry names it) that a request
 * from parent (REQ_NONE: entry traffic) goes to; NULL when the ALB has no
 * registered target group of weight above 0 for it (a 503). */
struct service *alb_route(struct world *w, struct service *sv, uint32_t parent);
/* Node n leaves the world: its cost goes to its cluster. */
void alb_node_gone(struct world *w, const struct wnode *n);
/* At the end: the per-cluster totals. */
void alb_finish(struct world *w);
/* The cluster of node n (index into multi->clusters), -1: none. */
int alb_node_cluster(const struct world *w, const struct wnode *n);

#endif
