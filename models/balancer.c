/*
 * balancer.c: which Ready pod takes the next request (balancer.h has the
 * rules). Upstream: envoyproxy/envoy
 * source/extensions/load_balancing_policies/common/load_balancer_impl.cc
 * (EdfLoadBalancerBase: refresh, applySlowStartFactor; earlier in
 * source/common/upstream/load_balancer_impl.cc), round_robin/round_robin_lb.h,
 * least_request/least_request_lb.cc (hostWeight, unweightedHostPickNChoices)
 * and source/common/upstream/edf_scheduler.h; the AWS ALB user guide, target
 * group attributes, "Slow start mode".
 */
#include "balancer.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

/* A lost pod's EDF weight under least request is divided by this: the
 * requests sent to a host that does not answer stay active in Envoy's count
 * until they time out (headroom fails them at once, so its own count would
 * say the opposite), and the host's weight sinks under them. */
#define LOST_ACTIVE 1e6

static inline simtime now_of(const struct service *sv) { return sv->w->s->now; }

void bal_ep_init(struct bal_ep *e)
{
	*e = (struct bal_ep){1, BAL_WARM, BAL_WARM, 0, 0};
}

static void group_init(struct bal_group *g, double weight)
{
	memset(g, 0, sizeof *g);
	g->weight = weight;
}

void bal_init(struct service *sv)
{
	sv->lb.groups = xmalloc(sizeof *sv->lb.groups);
	sv->lb.n_groups = 1;
	group_init(&sv->lb.groups[0], 1);
}

void bal_release(struct service *sv)
{
	for (uint16_t i = 0; i < sv->lb.n_groups; i++) {
		struct bal_group *g = &sv->lb.groups[i];
		free(g->eps);
		free(g->heap);
		free(g->cum);
	}
	free(sv->lb.groups);
	sv->lb.groups = NULL;
	sv->lb.n_groups = 0;
}

/* Group g, created (with its predecessors) at weight 0 if it is new. */
static struct bal_group *group_at(struct service *sv, uint16_t g)
{
	struct bal *b = &sv->lb;
	if (g >= b->n_groups) {
		b->groups = xrealloc(b->groups, ((size_t)g + 1) * sizeof *b->groups);
		for (uint32_t i = b->n_groups; i <= g; i++)
			group_init(&b->groups[i], 0);
		b->n_groups = (uint16_t)(g + 1);
	}
	return &b->groups[g];
}

/* ---- slow start ---- */

static inline bool ramping(const struct scn_slow_start *ss, simtime since, simtime now)
{
	return since != BAL_WARM && now - since < ss->window;
}

/* Envoy's applySlowStartFactor (the time factor at least 1 ms; aggression
 * 1 or a full window leaves it linear), or an ALB's linear ramp. */
double bal_ramp(const struct service *sv, const struct pod *p, simtime now)
{
	const struct scn_slow_start *ss = &sv->cfg->slow_start;
	if (ss->kind == SLOW_START_NONE || !ramping(ss, p->lb.since, now))
		return 1;
	simtime dt = now - p->lb.since;
	double f = (double)(dt > SIM_MS ? dt : SIM_MS) / (double)ss->window;
	if (ss->kind == SLOW_START_ALB)
		return f;
	if (ss->aggression != 1)
		f = pow(f, 1 / ss->aggression);
	return f > ss->min_weight ? f : ss->min_weight;
}

/* When a pod becoming Ready now in group g starts ramping. Envoy: at once
 * (without active health checks its slow start begins when the host joins
 * the cluster, and Istio adds a pod to the endpoints when it is Ready). An
 * ALB: only beside a target Ready before now and not in slow start ("newly
 * registered targets enter slow start mode only when there is at least one
 * healthy target that is not in slow start mode"). */
static simtime ramp_start(const struct service *sv, const struct bal_group *g)
{
	const struct scn_slow_start *ss = &sv->cfg->slow_start;
	simtime now = now_of(sv);
	if (ss->kind == SLOW_START_NONE || sv->w->initial)
		return BAL_WARM;
	if (ss->kind == SLOW_START_ENVOY)
		return now;
	for (uint32_t i = 0; i < g->n_eps; i++) {
		const struct bal_ep *q = &sv->pods[g->eps[i]]->lb;
		if (q->joined < now && !ramping(ss, q->since, now))
			return now;
	}
	return BAL_WARM;
}

/* ---- the EDF schedule (Envoy's EdfScheduler) ---- */

static inline bool before(const struct bal_edf *a, const struct bal_edf *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->order < b->order);
}

static void edf_sift(struct bal_edf *h, uint32_t n, uint32_t i)
{
	struct bal_edf x = h[i];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && before(&h[c + 1], &h[c]))
			c++;
		if (!before(&h[c], &x))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

static void heapify(struct bal_edf *h, uint32_t n)
{
	for (uint32_t i = n / 2; i-- > 0;)
		edf_sift(h, n, i);
}

/* Pod p's EDF weight now: Envoy's hostWeight. */
static double edf_weight(const struct service *sv, const struct pod *p, simtime now)
{
	const struct scn_service *cfg = sv->cfg;
	double w = p->lb.weight;
	if (cfg->balancer == BALANCER_LEAST_REQUEST) {
		double a = (double)(p->n_busy + p->q_len) + 1, bias = cfg->active_request_bias;
		if (p->lost)
			a *= LOST_ACTIVE;
		if (bias == 1)
			w /= a;
		else if (bias != 0)
			w /= pow(a, bias);
	}
	return w * bal_ramp(sv, p, now);
}

/* A fresh schedule: every endpoint added in list order at time 0, due at
 * 1 / (weight + 1e-13). That is Envoy's EdfScheduler::createWithPicks,
 * which adds 1e-13 to each weight so that weights that are multiples of
 * each other do not tie (envoyproxy/envoy#31592), then makes a number of
 * picks drawn once per Envoy, so that a fleet of proxies does not start in
 * step: headroom models one balancer and makes none. */
static void edf_build(struct service *sv, struct bal_group *g, simtime now)
{
	g->vt = 0;
	for (uint32_t i = 0; i < g->n_eps; i++) {
		double w = edf_weight(sv, sv->pods[g->eps[i]], now);
		g->heap[i] = (struct bal_edf){1 / (w + 1e-13), w, i, g->eps[i]};
	}
	g->order = g->n_eps;
	heapify(g->heap, g->n_eps);
	g->ramp_at = now + BAL_RAMP_STEP;
}

/* The earliest deadline takes the request and is due again 1 / its weight
 * now later: Envoy's pickAndAdd (pop and push as one sift). */
static uint32_t edf_pick(struct service *sv, struct bal_group *g, simtime now)
{
	struct bal_edf *top = &g->heap[0];
	uint32_t pod = top->pod;
	double w = edf_weight(sv, sv->pods[pod], now);
	g->vt = top->deadline;
	*top = (struct bal_edf){g->vt + 1 / w, w, g->order++, pod};
	edf_sift(g->heap, g->n_eps, 0);
	return pod;
}

/* ALB: the ramping targets' weights brought up to now, each one's wait for
 * its next turn scaled by old / new weight (what is left of its 1 / old
 * weight becomes the same share of 1 / new weight). With none ramping any
 * more the schedule is rebuilt at the next pick (round robin again). */
static void alb_ramp(struct service *sv, struct bal_group *g, simtime now)
{
	const struct scn_slow_start *ss = &sv->cfg->slow_start;
	bool any = false;
	for (uint32_t i = 0; i < g->n_eps; i++) {
		struct bal_edf *e = &g->heap[i];
		const struct pod *p = sv->pods[e->pod];
		if (p->lb.since == BAL_WARM)
			continue;
		double w = edf_weight(sv, p, now);
		e->deadline = g->vt + (e->deadline - g->vt) * e->w / w;
		e->w = w;
		any |= ramping(ss, p->lb.since, now);
	}
	heapify(g->heap, g->n_eps);
	g->ramp_at = now + BAL_RAMP_STEP;
	if (!any)
		g->mode = BAL_STALE;
}

/* ---- picks ---- */

/* Rebuilds g's schedule after a change, and decides whether it is used:
 * only when the endpoints' weights differ or one of them ramps (Envoy's
 * hostWeightsAreEqual and noHostsAreInSlowStart). */
static void refresh(struct service *sv, struct bal_group *g)
{
	const struct scn_service *cfg = sv->cfg;
	simtime now = now_of(sv);
	double w0 = sv->pods[g->eps[0]]->lb.weight;
	bool equal = true, ramp = false;
	for (uint32_t i = 0; i < g->n_eps; i++) {
		const struct pod *p = sv->pods[g->eps[i]];
		equal &= p->lb.weight == w0;
		ramp |= cfg->slow_start.kind != SLOW_START_NONE && ramping(&cfg->slow_start, p->lb.since, now);
	}
	if (equal && !ramp) {
		static const uint8_t plain[] = {[BALANCER_RANDOM] = BAL_UNIFORM, [BALANCER_ROUND_ROBIN] = BAL_RR,
						[BALANCER_LEAST_REQUEST] = BAL_P2C};
		g->mode = plain[cfg->balancer];
		return;
	}
	if (cfg->balancer != BALANCER_RANDOM) {
		g->mode = BAL_EDF;
		edf_build(sv, g, now);
		return;
	}
	g->mode = BAL_WRANDOM;
	double sum = 0;
	for (uint32_t i = 0; i < g->n_eps; i++)
		g->cum[i] = sum += sv->pods[g->eps[i]]->lb.weight;
}

/* Weighted random: the first endpoint whose prefix sum passes u x sum. */
static uint32_t random_pick(struct service *sv, const struct bal_group *g)
{
	double u = rng_u01(sv->r_lb) * g->cum[g->n_eps - 1];
	uint32_t lo = 0, hi = g->n_eps - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (g->cum[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return g->eps[lo];
}

/* Power of two choices (Envoy's unweightedHostPickNChoices, choice_count
 * 2): two draws with replacement, the second wins only with strictly fewer
 * requests in flight. A pod whose node is lost (models/outage.h) loses to
 * any other: see LOST_ACTIVE. */
static inline uint32_t p2c_pick(struct service *sv, const struct bal_group *g)
{
	uint32_t n = g->n_eps;
	uint32_t a = g->eps[rng_below(sv->r_lb, n)], b = g->eps[rng_below(sv->r_lb, n)];
	const struct pod *pa = sv->pods[a], *pb = sv->pods[b];
	if (pa->lost != pb->lost)
		return pa->lost ? b : a;
	return pb->n_busy + pb->q_len < pa->n_busy + pa->q_len ? b : a;
}

/* The group that takes the request, in proportion to the groups' weights;
 * NULL when every weight is 0. */
static __attribute__((noinline)) struct bal_group *group_pick(struct service *sv)
{
	struct bal *b = &sv->lb;
	double sum = 0;
	for (uint16_t i = 0; i < b->n_groups; i++)
		sum += b->groups[i].weight;
	if (!(sum > 0))
		return NULL;
	double u = rng_u01(sv->r_lb) * sum;
	struct bal_group *last = NULL;
	for (uint16_t i = 0; i < b->n_groups; i++) {
		struct bal_group *g = &b->groups[i];
		if (!(g->weight > 0))
			continue;
		if (u < g->weight)
			return g;
		u -= g->weight;
		last = g;
	}
	return last; /* rounding */
}

/* A group's pick by its mode; `n` is its endpoints' count, 2 or more. */
static inline uint32_t mode_pick(struct service *sv, struct bal_group *g, uint32_t n);

/* A pick from a group that is stale or weighted. Out of line, as is
 * group_pick, so that the unweighted picks save no registers they do not
 * need (inlined, they cost every pick a dozen instructions). */
static __attribute__((noinline)) uint32_t slow_pick(struct service *sv, struct bal_group *g)
{
	if (g->mode == BAL_STALE) {
		refresh(sv, g);
		return mode_pick(sv, g, g->n_eps);
	}
	if (g->mode == BAL_WRANDOM)
		return random_pick(sv, g);
	simtime now = now_of(sv);
	if (sv->cfg->slow_start.kind == SLOW_START_ALB && now >= g->ramp_at)
		alb_ramp(sv, g, now);
	if (g->mode == BAL_STALE) /* the ramp is over: round robin again */
		return slow_pick(sv, g);
	return edf_pick(sv, g, now);
}

static inline uint32_t mode_pick(struct service *sv, struct bal_group *g, uint32_t n)
{
	switch (g->mode) {
	case BAL_RR:
		if (g->rr >= n)
			g->rr = 0;
		return g->eps[g->rr++];
	case BAL_P2C:
		return p2c_pick(sv, g);
	case BAL_UNIFORM:
		return g->eps[rng_below(sv->r_lb, n)];
	default:
		return slow_pick(sv, g);
	}
}

/* A pick among two or more Ready pods, or groups. */
static __attribute__((noinline)) uint32_t pick_many(struct service *sv)
{
	struct bal_group *g;
	uint32_t n = sv->n_ready;
	if (sv->lb.n_groups == 1) {
		g = sv->lb.groups;
	} else {
		g = group_pick(sv);
		if (!g || g->n_eps == 0)
			return UINT32_MAX;
		n = g->n_eps;
		if (n == 1)
			return g->eps[0];
	}
	return mode_pick(sv, g, n);
}

/* The one-pod case stays a handful of instructions (a tail call for the
 * rest: with it inlined, every pick saved the registers pick_many needs). */
uint32_t bal_pick(struct service *sv)
{
	if (sv->n_ready <= 1 && sv->lb.n_groups == 1)
		return sv->n_ready ? sv->ready[0] : UINT32_MAX; /* the same list as group 0's */
	if (sv->n_ready == 0)
		return UINT32_MAX;
	return pick_many(sv);
}

/* ---- endpoints come and go ---- */

void bal_add(struct service *sv, struct pod *p)
{
	struct bal_group *g = group_at(sv, p->lb.group);
	if (g->n_eps == g->cap_eps) {
		g->cap_eps = g->cap_eps ? 2 * g->cap_eps : 16;
		g->eps = xrealloc(g->eps, g->cap_eps * sizeof *g->eps);
		g->heap = xrealloc(g->heap, g->cap_eps * sizeof *g->heap);
		g->cum = xrealloc(g->cum, g->cap_eps * sizeof *g->cum);
	}
	p->lb.since = ramp_start(sv, g);
	p->lb.joined = sv->w->initial ? BAL_WARM : now_of(sv);
	p->lb.pos = g->n_eps;
	g->eps[g->n_eps++] = p->idx;
	g->mode = BAL_STALE;
}

void bal_remove(struct service *sv, struct pod *p)
{
	struct bal_group *g = &sv->lb.groups[p->lb.group];
	assert(g->n_eps > 0 && g->eps[p->lb.pos] == p->idx);
	uint32_t last = g->eps[--g->n_eps];
	g->eps[p->lb.pos] = last;
	sv->pods[last]->lb.pos = p->lb.pos;
	p->lb.since = BAL_WARM;
	g->mode = BAL_STALE;
}

void bal_set_weight(struct service *sv, struct pod *p, double w)
{
	assert(w > 0 && isfinite(w));
	if (p->lb.weight == w)
		return;
	p->lb.weight = w;
	if (p->ready)
		sv->lb.groups[p->lb.group].mode = BAL_STALE;
}

void bal_set_group_weight(struct service *sv, uint16_t g, double w)
{
	assert(w >= 0 && isfinite(w));
	group_at(sv, g)->weight = w;
}

void bal_set_group(struct service *sv, struct pod *p, uint16_t g)
{
	if (p->lb.group == g)
		return;
	group_at(sv, g);
	/* In another group it is a new endpoint (a host of another Envoy
	 * cluster, a target of another target group): it ramps anew. */
	if (p->ready)
		bal_remove(sv, p);
	p->lb.group = g;
	if (p->ready)
		bal_add(sv, p);
}

void bal_refresh(struct service *sv, uint16_t g)
{
	struct bal_group *grp = group_at(sv, g);
	grp->mode = BAL_STALE;
	if (grp->n_eps >= 2)
		refresh(sv, grp);
}
