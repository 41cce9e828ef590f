/*
 * balancer.c: which ready pod takes the next request.
 *
 *   random         kube-proxy in iptables mode: each ready endpoint with equal
 *                  probability;
 *   round-robin    kube-proxy in IPVS mode (rr): ready endpoints in turn;
 *   least-request  Envoy's (and so Istio's) default LEAST_REQUEST: two
 *                  distinct endpoints drawn at random, the one with fewer
 *                  requests in flight wins (power of two choices), ties to
 *                  the first drawn. A pod whose node is lost (models/
 *                  outage.h) loses to any other: requests pile up on a host
 *                  that does not answer, and Envoy counts them as active
 *                  until they time out (headroom fails them at once instead,
 *                  so their count would say the opposite).
 */
#include "world.h"

uint32_t balancer_pick(struct service *sv)
{
	uint32_t n = sv->n_ready;
	if (n == 0)
		return UINT32_MAX;
	if (n == 1)
		return sv->ready[0];
	switch (sv->cfg->balancer) {
	case BALANCER_ROUND_ROBIN:
		if (sv->rr >= n)
			sv->rr = 0;
		return sv->ready[sv->rr++];
	case BALANCER_LEAST_REQUEST: {
		uint32_t a = rng_below(sv->r_lb, n), b = rng_below(sv->r_lb, n - 1);
		if (b >= a)
			b++;
		const struct pod *pa = sv->pods[sv->ready[a]], *pb = sv->pods[sv->ready[b]];
		if (pa->lost != pb->lost)
			return pa->lost ? sv->ready[b] : sv->ready[a];
		return pb->n_busy + pb->q_len < pa->n_busy + pa->q_len ? sv->ready[b] : sv->ready[a];
	}
	case BALANCER_RANDOM:
	default:
		return sv->ready[rng_below(sv->r_lb, n)];
	}
}
