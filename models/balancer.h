/*
 * balancer.h: which Ready pod takes a service's next request, by weight.
 *
 * A service's endpoints are its Ready pods. Each endpoint has a weight
 * (Envoy's load_balancing_weight, an ALB target's weight; 1 unless a
 * controller sets it) and belongs to one group (an Istio subset, that is an
 * Envoy cluster of its own; an ALB target group; group 0 unless a controller
 * moves it), and each group has a weight too. A pick first draws a group in
 * proportion to the groups' weights, as Envoy's weighted_clusters and an
 * ALB's weighted forward action do (no draw while the service has one
 * group; a group drawn with no Ready pod refuses the request, as "no healthy
 * upstream"), then one of the group's endpoints by the service's policy:
 *
 *   random         equal weights: each endpoint with equal probability
 *                  (kube-proxy iptables, Envoy RANDOM); unequal: with
 *                  probability weight / sum (ALB weighted_random).
 *   round-robin    equal weights: in turn (kube-proxy IPVS rr, Envoy
 *                  ROUND_ROBIN); unequal: Envoy's earliest deadline first
 *                  (EDF) schedule, each endpoint due again 1 / weight after
 *                  its turn, ties to the earlier insertion.
 *   least-request  equal weights: two endpoints drawn at random with
 *                  replacement, the one with fewer requests in flight wins,
 *                  ties to the first (Envoy's N_CHOICES with choice_count 2,
 *                  power of two choices); unequal: EDF by weight /
 *                  (active + 1)^active_request_bias, active counted when the
 *                  endpoint is put back after its turn.
 *
 * Slow start (scn_slow_start) scales a new endpoint's weight from when it
 * becomes Ready: Envoy's by max(min_weight, (t / window)^(1 / aggression)),
 * t at least 1 ms, for round robin and least request; an ALB's by t / window
 * for round robin, and only when the target group has a target Ready before
 * then and not in slow start (targets that become Ready together in an
 * empty group do not ramp). Pods Ready at t = 0 were up long before the run and do
 * not ramp. While any endpoint of a group ramps, the group uses its EDF
 * schedule even with equal weights, as Envoy does.
 *
 * As in Envoy (EdfLoadBalancerBase::refresh), a group's schedule is built
 * afresh whenever its endpoints or their weights change (here lazily, at the
 * next pick), and whether it is weighted at all is decided then; an
 * endpoint's EDF weight is computed when it is (re)inserted, so a weight
 * that moves with time or load takes effect at the endpoint's next turn. An
 * ALB's internals are not public: its ramp is modelled as the same EDF
 * schedule with the ramping targets' weights brought up to date every
 * BAL_RAMP_STEP (their remaining wait scaled by old / new weight).
 *
 * Invariants: group g's endpoint list holds exactly its Ready pods, pod p at
 * p->lb.pos; while the service has one group its list is in the same order
 * as the service's `ready` array. Cost of a pick: O(1) unweighted, O(log n)
 * for EDF (a binary heap) and weighted random (a binary search of prefix
 * sums); rebuilding a schedule is O(n) and happens only after a change. No
 * allocation per pick: arrays grow when endpoints are added.
 */
#ifndef HEADROOM_BALANCER_H
#define HEADROOM_BALANCER_H

#include <stdbool.h>
#include <stdint.h>

#include "sim.h"

/* lb.since of an endpoint that is not ramping. */
#define BAL_WARM (INT64_MIN / 4)
/* How often an ALB's ramping targets' weights are brought up to date, ns. */
#define BAL_RAMP_STEP SIM_S

/* A pod's part (embedded in struct pod). */
struct bal_ep {
	double weight;  /* endpoint weight, > 0 (1 unless a controller sets it) */
	simtime since;  /* when its slow start began, ns; BAL_WARM: none */
	simtime joined; /* when it last became Ready, ns (BAL_WARM: before the run) */
	uint32_t pos;   /* its index in its group's endpoint list, while Ready */
	uint16_t group; /* its group (0 unless a controller moves it) */
};

/* One entry of an EDF schedule. */
struct bal_edf {
	double deadline; /* the schedule's time of its next turn */
	double w;        /* the weight it was given then */
	uint64_t order;  /* insertion order: ties go to the earlier */
	uint32_t pod;    /* pod slot */
};

/* How a group picks, decided when its schedule is built. */
enum bal_mode {
	BAL_STALE,   /* endpoints or weights changed since: rebuild at the next pick */
	BAL_RR,      /* unweighted: round robin's cursor */
	BAL_P2C,     /* unweighted: two random choices */
	BAL_UNIFORM, /* unweighted: uniform */
	BAL_EDF,     /* the EDF schedule (weighted round robin, weighted least request) */
	BAL_WRANDOM  /* weighted random */
};

struct bal_group {
	double weight;         /* its share of the service's requests, relative to the other groups' (>= 0) */
	uint32_t *eps;         /* slots of its Ready pods (owned) */
	uint32_t n_eps, cap_eps;
	uint32_t rr;           /* round-robin cursor, unweighted */
	uint8_t mode;          /* enum bal_mode */
	struct bal_edf *heap;  /* EDF schedule, a binary min-heap of n_eps entries (owned, cap_eps) */
	double vt;             /* the schedule's time (Envoy's current_time_) */
	uint64_t order;        /* the next insertion order */
	double *cum;           /* weighted random: prefix sums of the endpoints' weights (owned, cap_eps) */
	simtime ramp_at;       /* ALB: when the ramping targets' weights are next brought up to date, ns */
};

/* A service's balancer (embedded in struct service). */
struct bal {
	struct bal_group *groups; /* owned; group 0 always exists */
	uint16_t n_groups;
};

struct service;
struct pod;

/* Sets up sv's balancer: one group of weight 1, no endpoints. */
void bal_init(struct service *sv);
void bal_release(struct service *sv);
/* A new pod's part: weight 1, group 0, not ramping. */
void bal_ep_init(struct bal_ep *e);

/* Pod p became Ready (svc_set_ready): it joins its group's endpoints and,
 * with slow start, begins its ramp. */
void bal_add(struct service *sv, struct pod *p);
/* Pod p is no longer Ready: it leaves its group's endpoints (and its ramp). */
void bal_remove(struct service *sv, struct pod *p);

/* The slot of the Ready pod that takes the next request, or UINT32_MAX
 * when none can (no Ready pod, or the group drawn has none). O(log n). */
uint32_t bal_pick(struct service *sv);

/* For controllers (canary and multi-cluster routing). Each takes effect at
 * the next pick and costs O(1) (plus the O(n) rebuild it causes). */
/* Pod p's endpoint weight becomes w (> 0). */
void bal_set_weight(struct service *sv, struct pod *p, double w);
/* Group g's weight becomes w (>= 0); groups up to g are created (weight 0,
 * except group 0's 1) as needed. */
void bal_set_group_weight(struct service *sv, uint16_t g, double w);
/* Pod p moves to group g (created as by bal_set_group_weight if needed). */
void bal_set_group(struct service *sv, struct pod *p, uint16_t g);
/* Group g's schedule is rebuilt now, as Envoy rebuilds it on any host set
 * update (endpoint changes are applied at the next pick instead, so that
 * many at one instant cost one rebuild); what a controller calls after
 * changing what the weights depend on, and tests to mirror Envoy's
 * runCallbacks. */
void bal_refresh(struct service *sv, uint16_t g);

/* The factor, in (0, 1], by which the service's slow start scales pod p's
 * weight at `now`. */
double bal_ramp(const struct service *sv, const struct pod *p, simtime now);

#endif
