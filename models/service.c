/*
 * service.c: requests through pods.
 *
 * A request that reaches a service is sent by the balancer to a ready pod.
 * The pod serves up to `workers` requests at once (its thread pool); the rest
 * wait in a FIFO accept queue of `queue` places, and a request finding it
 * full is refused at once (a 503). A served request first does its own CPU
 * work, sharing the pod's cores with the other running requests (processor
 * sharing), then makes the service's downstream calls in order, holding its
 * worker while each call runs, then answers.
 *
 * Timeouts follow the client. A caller that is itself a request waits for
 * each downstream call until the callee's timeout: then the caller stops
 * waiting (the call counts as a timeout at the callee, the caller fails),
 * and the callee's request goes on to use its worker and CPU, unaware, as a
 * servlet does. The deadlines of calls to one service are queued in arrival
 * order behind a single event (see struct callwait), not one timer each. An
 * entry request's client holds nothing in the model, so its timeout is found
 * lazily: a request still queued at its deadline is dropped when it reaches
 * the head of the queue, and one answered after its deadline counts as a
 * timeout, not a success. Latency percentiles are over successful answers;
 * timeouts, refusals and failed downstream calls count as errors.
 */
#include "alb.h"
#include "world.h"

#include "cpu.h"
#include "rollout.h"
#include "kafka.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Tags within this many CPU-ns of virtual time finish together. */
#define TAG_EPS 0.5

static inline struct req *R(struct world *w, uint32_t id) { return &w->reqs[id]; }

static void grow_pool(struct world *w)
{
	uint32_t ncap = w->cap_reqs ? w->cap_reqs * 2 : 1024;
	assert(ncap > w->cap_reqs);
	w->reqs = xrealloc(w->reqs, (size_t)ncap * sizeof *w->reqs);
	for (uint32_t i = ncap; i-- > w->cap_reqs;) {
		w->reqs[i].state = REQ_FREE;
		w->reqs[i].gen = 0;
		w->reqs[i].next_free = w->free_req;
		w->free_req = i;
	}
	w->cap_reqs = ncap;
}

/* A request from the pool. It may move the pool: re-fetch pointers after. */
static inline uint32_t req_new(struct world *w)
{
	if (w->free_req == REQ_NONE)
		grow_pool(w);
	uint32_t id = w->free_req;
	w->free_req = w->reqs[id].next_free;
	w->reqs[id].gen++;
	w->reqs[id].msg = 0;
	w->n_reqs++;
	w->requests++;
	return id;
}

static void req_free(struct world *w, uint32_t id)
{
	struct req *r = R(w, id);
	assert(r->state != REQ_FREE);
	r->state = REQ_FREE;
	r->next_free = w->free_req;
	w->free_req = id;
	w->n_reqs--;
}

/* ---- processor sharing ---- */

/* Brings the pod's virtual time and CPU accounting up to now. */
static inline void ps_advance(struct pod *p, simtime now)
{
	simtime dt = now - p->vt_at;
	if (dt > 0 && p->n_cpu) {
		p->vt += p->rate * (double)dt;
		p->cpu_used += p->rate * (double)p->n_cpu * (double)dt;
		if (p->cpu_state == CPU_THROTTLED)
			p->throttled += (double)dt;
		else if (p->cpu_state == CPU_PRESSURE)
			p->pressure += (double)dt;
	}
	p->vt_at = now;
}

/* The pod gets `alloc` cores for its running requests. */
static inline void ps_apply(struct pod *p, double alloc)
{
	double n = (double)p->n_cpu;
	p->alloc = alloc;
	p->rate = n > 0 ? alloc / n : 0;
	p->cpu_state = alloc < p->demand * (1 - 1e-9) ? CPU_PRESSURE : n > p->cores ? CPU_THROTTLED : CPU_OK;
}

static void node_rebalance(struct world *w, struct wnode *n, const struct pod *self);

/* The pod's running set changed (its vt is up to date): its demand, and
 * with it maybe its node's split, and its rate. Without a node, or on a
 * node with room for every demand, this is O(1); only a change on a
 * saturated node (or one that saturates it) divides the node again. */
static inline void ps_set_rate(struct world *w, struct pod *p)
{
	double n = (double)p->n_cpu, d = n < p->cores ? n : p->cores;
	struct wnode *h = p->host;
	if (!h) { /* unshared: the hot path of runs without a cluster */
		p->demand = p->alloc = d;
		if (n > p->cores) {
			p->rate = d / n;
			p->cpu_state = CPU_THROTTLED;
		} else {
			p->rate = n > 0 ? 1 : 0;
			p->cpu_state = CPU_OK;
		}
		return;
	}
	double old = p->demand;
	p->demand = d;
	if (d == old) { /* the split depends on demands only */
		ps_apply(p, p->alloc);
		return;
	}
	h->demand += d - old;
	if (!h->saturated && h->demand <= h->cpu * (1 + 1e-12)) {
		ps_apply(p, d);
		return;
	}
	node_rebalance(w, h, p);
}

/* Nanoseconds until the first tag finishes at the current rate. */
static inline simtime ps_next_delay(const struct pod *p)
{
	assert(p->rate > 0);
	double d = (p->tag[0] - p->vt) / p->rate;
	if (!(d > 0))
		return 0;
	simtime t = (simtime)d; /* ceil without the call: d > 0 */
	return t + ((double)t < d);
}

static inline void ps_push(struct pod *p, double tag, uint32_t id)
{
	if (p->n_cpu == p->cap_cpu) {
		p->cap_cpu = p->cap_cpu ? p->cap_cpu * 2 : 8;
		p->tag = xrealloc(p->tag, p->cap_cpu * sizeof *p->tag);
		p->tag_req = xrealloc(p->tag_req, p->cap_cpu * sizeof *p->tag_req);
	}
	uint32_t i = p->n_cpu++;
	while (i > 0) {
		uint32_t up = (i - 1) / 2;
		if (p->tag[up] <= tag)
			break;
		p->tag[i] = p->tag[up];
		p->tag_req[i] = p->tag_req[up];
		i = up;
	}
	p->tag[i] = tag;
	p->tag_req[i] = id;
}

static uint32_t ps_pop(struct pod *p)
{
	uint32_t top = p->tag_req[0];
	uint32_t n = --p->n_cpu, i = 0;
	double tag = p->tag[n];
	uint32_t id = p->tag_req[n];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && p->tag[c + 1] < p->tag[c])
			c++;
		if (tag <= p->tag[c])
			break;
		p->tag[i] = p->tag[c];
		p->tag_req[i] = p->tag_req[c];
		i = c;
	}
	if (n) {
		p->tag[i] = tag;
		p->tag_req[i] = id;
	}
	return top;
}

static simtime pod_done_ev(struct sim *s, void *obj, uint64_t arg);

/* Re-times the pod's completion event after its running set changed, unless
 * the change happens inside that event's own callback, which re-times it on
 * return. */
static void pod_kick(struct world *w, struct pod *p)
{
	if (p->firing)
		return;
	if (!p->n_cpu) {
		if (p->done != EVH_NONE)
			sim_cancel(w->s, p->done);
		p->done = EVH_NONE;
		return;
	}
	simtime t = w->s->now + ps_next_delay(p);
	if (p->done == EVH_NONE)
		p->done = sim_at(w->s, t, PRIO_REQUEST, pod_done_ev, p, 0);
	else if (evq_time(&w->s->q, p->done) != t)
		sim_move(w->s, p->done, t);
}

/* ---- a node's CPU, shared ---- */

/* Scratch for a split of n pods: demands, weights, shares and an order. */
static double *split_buf(struct world *w, size_t n)
{
	if (w->cap_cpu_buf < n) {
		w->cap_cpu_buf = n < 16 ? 16 : 2 * n;
		w->cpu_buf = xrealloc(w->cpu_buf, 3 * w->cap_cpu_buf * sizeof *w->cpu_buf);
		w->cpu_order = xrealloc(w->cpu_order, w->cap_cpu_buf * sizeof *w->cpu_order);
	}
	return w->cpu_buf;
}

/* Divides node n's CPU again after a demand on it changed. Pods whose share
 * moved are brought up to now first and re-timed after; `self`, the pod
 * whose change caused it, is up to date already and re-timed by its caller. */
static void node_rebalance(struct world *w, struct wnode *n, const struct pod *self)
{
	size_t k = n->n_hosted;
	double *d = split_buf(w, k);
	size_t cap = w->cap_cpu_buf;
	double *wt = d + cap, *a = d + 2 * cap, sum = 0;
	for (size_t i = 0; i < k; i++) {
		d[i] = n->pods[i]->demand;
		wt[i] = n->pods[i]->weight;
		sum += d[i];
	}
	n->demand = sum; /* exact again: no drift from the running sum */
	n->saturated = cpu_split(k, d, wt, n->cpu, a, w->cpu_order);
	for (size_t i = 0; i < k; i++) {
		struct pod *q = n->pods[i];
		if (q == self) {
			ps_apply(q, a[i]);
		} else if (a[i] != q->alloc) {
			ps_advance(q, w->s->now);
			ps_apply(q, a[i]);
			pod_kick(w, q);
		}
	}
}

void svc_pod_host(struct world *w, struct pod *p, struct wnode *n)
{
	(void)w;
	assert(!p->host && p->n_cpu == 0);
	if (n->n_hosted == n->cap_hosted) {
		n->cap_hosted = n->cap_hosted ? 2 * n->cap_hosted : 8;
		n->pods = xrealloc(n->pods, n->cap_hosted * sizeof *n->pods);
	}
	p->host = n;
	p->host_pos = n->n_hosted;
	n->pods[n->n_hosted++] = p;
	p->demand = p->alloc = 0;
}

void svc_pod_unhost(struct world *w, struct pod *p)
{
	struct wnode *n = p->host;
	if (!n)
		return;
	ps_advance(p, w->s->now);
	struct pod *q = n->pods[--n->n_hosted];
	n->pods[p->host_pos] = q;
	q->host_pos = p->host_pos;
	p->host = NULL;
	n->demand -= p->demand;
	if (p->demand > 0 && n->saturated)
		node_rebalance(w, n, NULL);
	ps_set_rate(w, p); /* its last requests run unshared */
	pod_kick(w, p);
}

void svc_node_full_shares(struct world *w, struct wnode *n)
{
	size_t k = n->n_hosted;
	double *d = split_buf(w, k);
	size_t cap = w->cap_cpu_buf;
	double *wt = d + cap, *a = d + 2 * cap;
	for (size_t i = 0; i < k; i++) {
		const struct pod *p = n->pods[i];
		/* A pod still pulling or starting its containers uses no CPU. */
		bool runs = p->phase == POD_RUNNING || p->phase == POD_TERMINATING;
		d[i] = runs ? fmin(p->cores, n->cpu) : 0;
		wt[i] = p->weight;
	}
	cpu_split(k, d, wt, n->cpu, a, w->cpu_order);
	for (size_t i = 0; i < k; i++)
		n->pods[i]->full_share = a[i];
}

/* The request takes a worker and starts its CPU work. */
static void start(struct world *w, struct pod *p, uint32_t id)
{
	struct service *sv = p->svc;
	const struct scn_service *cfg = sv->cfg;
	simtime now = w->s->now;
	double work = R(w, id)->work;
	if (cfg->warmup_factor > 1)
		work *= 1 + (cfg->warmup_factor - 1) * exp(-(double)(now - p->born) / (double)cfg->warmup_duration);
	R(w, id)->state = REQ_CPU;
	p->n_busy++;
	ps_advance(p, now);
	double old_rate = p->rate, tag = p->vt + work;
	ps_push(p, tag, id);
	ps_set_rate(w, p);
	/* Only a new first tag or a new rate moves the completion time. */
	if (p->n_cpu == 1 || p->rate != old_rate || p->tag_req[0] == id)
		pod_kick(w, p);
}

/* ---- the accept queue ---- */

static void enqueue(struct pod *p, uint32_t id)
{
	if (p->q_len == p->q_cap) {
		uint32_t ncap = p->q_cap ? p->q_cap * 2 : 16;
		uint32_t *nq = xmalloc(ncap * sizeof *nq);
		for (uint32_t i = 0; i < p->q_len; i++)
			nq[i] = p->q[(p->q_head + i) % p->q_cap];
		free(p->q);
		p->q = nq;
		p->q_head = 0;
		p->q_cap = ncap;
	}
	p->q[(p->q_head + p->q_len++) % p->q_cap] = id;
}

static uint32_t dequeue(struct pod *p)
{
	uint32_t id = p->q[p->q_head];
	p->q_head = (p->q_head + 1) % p->q_cap;
	p->q_len--;
	return id;
}

/* Marks a request whose caller gave up: it goes on, but its end is not
 * counted again and nobody is told. */
#define ABANDONED (SIM_FOREVER - 1)

/* Whether a queued request's client is gone. An entry request found so is
 * counted as a timeout here; an abandoned call was counted when its caller
 * gave up. */
static bool gone(struct world *w, struct service *sv, uint32_t id)
{
	const struct req *r = R(w, id);
	if (r->deadline == ABANDONED)
		return true;
	if (r->parent == REQ_NONE && r->deadline <= w->s->now) {
		slo_done(&sv->slo, SLO_TIMEOUT, 0);
		return true;
	}
	return false;
}

/* A worker is free: the queue's head takes it. */
static inline void release_worker(struct world *w, struct pod *p)
{
	p->n_busy--;
	const struct scn_service *cfg = p->svc->cfg;
	while (p->q_len && p->n_busy < (uint32_t)cfg->workers) {
		uint32_t id = dequeue(p);
		if (gone(w, p->svc, id)) {
			req_free(w, id);
			continue;
		}
		start(w, p, id);
	}
}

/* ---- the life of a request ---- */

static void proceed(struct world *w, uint32_t id);

static HR_COLD bool retry(struct world *w, struct service *sv, struct pod *p, uint32_t id);

static inline void finish(struct world *w, uint32_t id)
{
	struct req *r = R(w, id);
	struct service *sv = &w->svcs[r->svc];
	struct pod *p = sv->pods[r->pod];
	simtime now = w->s->now;
	if (HR_RARELY(r->injected) && r->deadline != ABANDONED && sv->ro && retry(w, sv, p, id))
		return;
	uint32_t parent = r->parent;
	enum slo_outcome o = SLO_SERVED;
	if (r->deadline == ABANDONED)
		parent = REQ_NONE;
	else if (r->failed)
		o = SLO_FAILED;
	else if (parent == REQ_NONE && now > r->deadline)
		o = SLO_TIMEOUT;
	if (r->deadline != ABANDONED) {
		slo_done(&sv->slo, o, now - r->arrival);
		if (HR_RARELY(sv->ro != NULL))
			rollout_done(sv->ro, p->version, o, now - r->arrival);
	}
	if (HR_RARELY(w->kafka != NULL))
		kafka_request_done(w, sv, o == SLO_SERVED, r->arrival);
	req_free(w, id);
	release_worker(w, p);
	if (p->phase >= POD_TERMINATING && svc_pod_drained(p))
		pod_quiet(w, p);
	if (parent == REQ_NONE)
		return;
	struct req *pr = R(w, parent);
	assert(pr->state == REQ_WAITING && pr->child == id);
	pr->child = REQ_NONE;
	pr->failed = o != SLO_SERVED;
	proceed(w, parent);
}

/* A Ready pod other than `prev` when one is drawn within 5 tries (Envoy's
 * previous_hosts retry predicate, host_selection_retry_max_attempts 5 as
 * Istio sets it); else the last draw. */
static HR_COLD uint32_t pick_other(struct service *sv, uint32_t prev)
{
	uint32_t pi = UINT32_MAX;
	for (int k = 0; k < 5; k++)
		if ((pi = bal_pick(sv)) != prev)
			break;
	return pi;
}

static bool full(const struct pod *p, const struct scn_service *cfg)
{
	return p->n_busy >= (uint32_t)cfg->workers && cfg->queue >= 0 && p->q_len >= (uint64_t)cfg->queue;
}

static void start(struct world *w, struct pod *p, uint32_t id);

/* Istio's retry of a 5xx answer (rollout.retries): the attempt ends on its
 * pod, where the destination's metrics count it (the analysis sees it),
 * and the request goes again to a pod drawn anew, another one preferred,
 * with its work as that pod's version needs it; the caller sees only the
 * last attempt. No backoff (Envoy's 25 ms base interval is left out).
 * Returns whether the request was sent again. */
static HR_COLD bool retry(struct world *w, struct service *sv, struct pod *p, uint32_t id)
{
	struct req *r = R(w, id);
	const struct scn_service *cfg = sv->cfg;
	if (r->attempts >= rollout_retries(sv->ro))
		return false;
	uint32_t pi = pick_other(sv, r->pod);
	struct pod *q = pi == UINT32_MAX ? NULL : sv->pods[pi];
	if (!q || q->lost || full(q, cfg))
		return false;
	rollout_done(sv->ro, p->version, SLO_FAILED, w->s->now - r->arrival);
	r->attempts++;
	r->work = rollout_retry_work(sv->ro, p->version, q->version, r->work);
	r->failed = r->injected = rollout_fails(sv->ro, q->version);
	r->delayed = false;
	r->next_call = 0;
	r->pod = pi;
	release_worker(w, p);
	if (p->phase >= POD_TERMINATING && svc_pod_drained(p))
		pod_quiet(w, p);
	q->received += 1;
	if (q->n_busy < (uint32_t)cfg->workers) {
		start(w, q, id);
	} else {
		R(w, id)->state = REQ_QUEUED;
		enqueue(q, id);
	}
	return true;
}

/* The coin of a request's call i: uniform on [0, 1), a hash of the coin it
 * drew at arrival, so whether a call is made does not depend on when the
 * request got to it. */
static inline double fan_u01(uint64_t fan, uint32_t i)
{
	return (double)(rng_splitmix64(fan + i * 0x9e3779b97f4a7c15ULL) >> 11) * 0x1.0p-53;
}

/* A request's added latency (its version's) is over: it answers. */
static simtime delayed_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	finish(obj, (uint32_t)arg);
	return SIM_DONE;
}

/* A request of a service with a rollout: when its version adds latency, it
 * waits that long (holding its worker) before it answers. Returns whether it
 * waits. */
static HR_COLD bool delay(struct world *w, uint32_t id)
{
	struct req *r = R(w, id);
	const struct service *sv = &w->svcs[r->svc];
	simtime extra = r->delayed ? 0 : rollout_latency(sv->ro, sv->pods[r->pod]->version);
	if (extra <= 0)
		return false;
	r->delayed = true;
	r->state = REQ_WAITING;
	sim_at(w->s, w->s->now + extra, PRIO_REQUEST, delayed_ev, w, id);
	return true;
}

/* After its CPU work, or when a downstream call returns: the next call, or
 * the answer (after the new version's added latency, holding its worker). */
static void proceed(struct world *w, uint32_t id)
{
	for (;;) {
		struct req *r = R(w, id);
		struct service *sv = &w->svcs[r->svc];
		const struct scn_service *cfg = sv->cfg;
		if (r->failed || r->next_call >= cfg->n_calls)
			break;
		const struct scn_call *call = &cfg->calls[r->next_call++];
		if (call->probability < 1 && fan_u01(r->fan, r->next_call) >= call->probability)
			continue;
		r->state = REQ_WAITING;
		uint32_t c = svc_arrive(w, &w->svcs[call->service], id);
		r = R(w, id); /* the pool may have moved */
		if (c == REQ_NONE) {
			r->failed = true;
			break;
		}
		r->child = c;
		return;
	}
	if (HR_RARELY(w->svcs[R(w, id)->svc].ro != NULL) && delay(w, id))
		return;
	finish(w, id);
}

/* The caller of request id gives up on it: a timeout at its service, a
 * failure for the caller, which goes on. */
static void abandon(struct world *w, uint32_t id)
{
	struct req *r = R(w, id);
	uint32_t parent = r->parent;
	slo_done(&w->svcs[r->svc].slo, SLO_TIMEOUT, 0);
	r->parent = REQ_NONE;
	r->deadline = ABANDONED;
	struct req *pr = R(w, parent);
	assert(pr->state == REQ_WAITING && pr->child == id);
	pr->child = REQ_NONE;
	pr->failed = true;
	proceed(w, parent);
}

static inline bool cw_live(struct world *w, const struct callwait *c)
{
	const struct req *r = R(w, c->id);
	return r->gen == c->gen && r->state != REQ_FREE && r->parent != REQ_NONE;
}

/* Drops stale entries at the head of the ring. */
static void cw_trim(struct world *w, struct service *sv)
{
	while (sv->cw_len && !cw_live(w, &sv->cw[sv->cw_head])) {
		sv->cw_head = (sv->cw_head + 1) % sv->cw_cap;
		sv->cw_len--;
	}
}

/* Deadlines fall due: every live call at the head past its deadline is
 * abandoned; the event then waits for the next live head. */
static simtime callwait_ev(struct sim *s, void *obj, uint64_t arg)
{
	struct world *w = obj;
	struct service *sv = &w->svcs[arg];
	for (cw_trim(w, sv); sv->cw_len && sv->cw[sv->cw_head].deadline <= s->now; cw_trim(w, sv)) {
		uint32_t id = sv->cw[sv->cw_head].id;
		sv->cw_head = (sv->cw_head + 1) % sv->cw_cap;
		sv->cw_len--;
		abandon(w, id);
	}
	if (!sv->cw_len) {
		sv->cw_ev = EVH_NONE;
		return SIM_DONE;
	}
	return sv->cw[sv->cw_head].deadline - s->now;
}

static void cw_push(struct world *w, struct service *sv, uint32_t id)
{
	if (sv->cw_len == sv->cw_cap)
		cw_trim(w, sv);
	if (sv->cw_len == sv->cw_cap) {
		uint32_t ncap = sv->cw_cap ? sv->cw_cap * 2 : 64;
		struct callwait *n = xmalloc(ncap * sizeof *n);
		for (uint32_t i = 0; i < sv->cw_len; i++)
			n[i] = sv->cw[(sv->cw_head + i) % sv->cw_cap];
		free(sv->cw);
		sv->cw = n;
		sv->cw_head = 0;
		sv->cw_cap = ncap;
	}
	const struct req *r = R(w, id);
	sv->cw[(sv->cw_head + sv->cw_len++) % sv->cw_cap] = (struct callwait){r->deadline, id, r->gen};
	if (sv->cw_ev == EVH_NONE)
		sv->cw_ev = sim_at(w->s, r->deadline, PRIO_REQUEST, callwait_ev, w, sv->idx);
}

/* A Kafka delivery's CPU work is done: the consumer model goes on. */
static HR_COLD void msg_done(struct world *w, struct pod *p, uint32_t id)
{
	uint32_t msg = R(w, id)->msg;
	req_free(w, id);
	p->n_msg--;
	kafka_msg_done(w, p, msg);
	if (p->phase >= POD_TERMINATING && svc_pod_drained(p))
		pod_quiet(w, p);
}

/* The first running request of the pod has finished its CPU work (and any
 * that finish at the same virtual time). */
static simtime pod_done_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)arg;
	struct pod *p = obj;
	struct world *w = p->svc->w;
	ps_advance(p, s->now);
	p->firing = true;
	do {
		uint32_t id = ps_pop(p);
		ps_set_rate(w, p);
		if (HR_RARELY(R(w, id)->msg != 0))
			msg_done(w, p, id);
		else
			proceed(w, id);
	} while (p->n_cpu && p->tag[0] <= p->vt + TAG_EPS);
	p->firing = false;
	if (!p->n_cpu) {
		p->vt = 0; /* no tag is left: restart virtual time, keeping it small */
		p->done = EVH_NONE;
		return SIM_DONE;
	}
	return ps_next_delay(p);
}

/* Several clusters: the copy of sv the request goes to (models/alb.h), or
 * NULL when no target group is registered (the ALB's 503, counted here). */
static HR_COLD struct service *route(struct world *w, struct service *sv, uint32_t parent)
{
	struct service *to = alb_route(w, sv, parent);
	if (!to) {
		slo_arrived(&sv->slo);
		slo_done(&sv->slo, SLO_REJECTED, 0);
	}
	return to;
}

/* Istio retries a 503 of a full pod on another (rollout.retries): *pi and
 * *p become the pod that takes the request (NULL: none, or still full).
 * Returns false when the pod drawn is lost (the request failed, counted). */
static HR_COLD bool retry_full(struct service *sv, uint32_t *pi, struct pod **p)
{
	const struct scn_service *cfg = sv->cfg;
	for (int32_t a = 0; *p && a < rollout_retries(sv->ro) && full(*p, cfg); a++) {
		rollout_done(sv->ro, (*p)->version, SLO_REJECTED, 0);
		*pi = pick_other(sv, *pi);
		*p = *pi == UINT32_MAX ? NULL : sv->pods[*pi];
		if (*p && (*p)->lost) {
			slo_done(&sv->slo, SLO_FAILED, 0);
			return false;
		}
	}
	return true;
}

/* A request to the new version of a rollout: its CPU, and its 5xx share
 * (answered after its work). */
static HR_COLD void new_version(const struct service *sv, const struct pod *p, struct req *r)
{
	r->work = rollout_work(sv->ro, p->version, r->work);
	r->failed = r->injected = rollout_fails(sv->ro, p->version);
}

uint32_t svc_arrive(struct world *w, struct service *sv, uint32_t parent)
{
	if (HR_RARELY(w->alb != NULL) && !(sv = route(w, sv, parent)))
		return REQ_NONE;
	const struct scn_service *cfg = sv->cfg;
	slo_arrived(&sv->slo);
	/* Drawn for every arrival, refused or not, in arrival order, so runs
	 * that differ in their pods (a plan's variants) give the same
	 * requests the same work and the same downstream calls. */
	double work = dist_draw(&sv->demand, sv->r_demand) * 1e9;
	uint64_t fan = sv->random_calls ? rng_next(sv->r_fanout) : 0;
	if (w->arrival_hook)
		w->arrival_hook(w->hook_ctx, sv, w->s->now, work);
	uint32_t pi = bal_pick(sv);
	struct pod *p = pi == UINT32_MAX ? NULL : sv->pods[pi];
	if (p && p->lost) { /* its node is gone: the connection fails (at once here, not at a connect timeout) */
		slo_done(&sv->slo, SLO_FAILED, 0);
		return REQ_NONE;
	}
	if (HR_RARELY(sv->ro != NULL) && p && !retry_full(sv, &pi, &p))
		return REQ_NONE;
	if (!p || (p->n_busy >= (uint32_t)cfg->workers && cfg->queue >= 0 && p->q_len >= (uint64_t)cfg->queue)) {
		slo_done(&sv->slo, SLO_REJECTED, 0);
		if (p && sv->ro)
			rollout_done(sv->ro, p->version, SLO_REJECTED, 0);
		return REQ_NONE;
	}
	simtime now = w->s->now;
	p->received += 1;
	uint32_t id = req_new(w);
	struct req *r = R(w, id);
	r->arrival = now;
	r->work = work;
	r->fan = fan;
	r->deadline = cfg->timeout ? now + cfg->timeout : SIM_FOREVER;
	r->parent = parent;
	r->child = REQ_NONE;
	r->pod = pi;
	r->svc = sv->idx;
	r->next_call = 0;
	r->failed = false;
	r->delayed = false;
	r->injected = false;
	r->attempts = 0;
	if (HR_RARELY(sv->ro != NULL) && p->version)
		new_version(sv, p, r);
	if (parent != REQ_NONE && cfg->timeout)
		cw_push(w, sv, id);
	if (p->n_busy < (uint32_t)cfg->workers) {
		start(w, p, id);
	} else {
		r->state = REQ_QUEUED;
		enqueue(p, id);
	}
	return id;
}

bool svc_cut(struct world *w, uint32_t id)
{
	struct req *r = R(w, id);
	if (r->deadline == ABANDONED)
		return false;
	uint32_t parent = r->parent;
	slo_done(&w->svcs[r->svc].slo, SLO_FAILED, 0);
	r->parent = REQ_NONE;
	r->deadline = ABANDONED;
	if (parent == REQ_NONE)
		return true;
	struct req *pr = R(w, parent);
	assert(pr->state == REQ_WAITING && pr->child == id);
	pr->child = REQ_NONE;
	pr->failed = true;
	proceed(w, parent);
	return true;
}

/* ---- set-up and accounting ---- */

static void pod_release(struct pod *p)
{
	free(p->tag);
	free(p->tag_req);
	free(p->q);
	free(p);
}

void svc_init(struct world *w, struct service *sv, const struct scn_service *cfg, uint16_t idx)
{
	uint64_t seed = w->s->seed;
	memset(sv, 0, sizeof *sv);
	sv->w = w;
	sv->cfg = cfg;
	sv->idx = idx;
	sv->free_pod = UINT32_MAX;
	sv->desired = cfg->replicas;
	dist_prepare(&sv->demand, &cfg->cpu_per_request);
	dist_prepare(&sv->pull_first, &cfg->startup.image_pull_first);
	dist_prepare(&sv->pull_cached, &cfg->startup.image_pull_cached);
	dist_prepare(&sv->container_start, &cfg->startup.container_start);
	dist_prepare(&sv->app_start, &cfg->startup.app_start);
	sv->r_demand = rng_stream(seed, RNG_DEMAND, idx);
	sv->r_lb = rng_stream(seed, RNG_BALANCER, idx);
	sv->r_fanout = rng_stream(seed, RNG_FANOUT, idx);
	sv->r_pod = rng_stream(seed, RNG_POD, idx);
	for (size_t i = 0; i < cfg->n_calls; i++)
		sv->random_calls |= cfg->calls[i].probability < 1;
	sv->arrivals = EVH_NONE;
	sv->cw_ev = EVH_NONE;
	sv->hpa_util = NAN;
	slo_init(&sv->slo, &cfg->slo);
	bal_init(sv);
}

struct pod *svc_pod_new(struct world *w, struct service *sv)
{
	const struct scn_service *cfg = sv->cfg;
	uint32_t i = sv->free_pod;
	struct pod *p;
	if (i != UINT32_MAX) {
		p = sv->pods[i];
		sv->free_pod = p->next_free;
		assert(p->slot_free && svc_pod_drained(p));
		/* Keep the grown buffers; reset the rest. */
		double *tag = p->tag;
		uint32_t *tag_req = p->tag_req, *q = p->q, cap_cpu = p->cap_cpu, q_cap = p->q_cap;
		memset(p, 0, sizeof *p);
		p->tag = tag;
		p->tag_req = tag_req;
		p->cap_cpu = cap_cpu;
		p->q = q;
		p->q_cap = q_cap;
	} else {
		if (sv->n_pods == sv->cap_pods) {
			sv->cap_pods = sv->cap_pods ? 2 * sv->cap_pods : 16;
			sv->pods = xrealloc(sv->pods, sv->cap_pods * sizeof *sv->pods);
			sv->ready = xrealloc(sv->ready, sv->cap_pods * sizeof *sv->ready);
		}
		i = sv->n_pods++;
		p = sv->pods[i] = xcalloc(1, sizeof *p);
	}
	p->svc = sv;
	p->idx = i;
	p->num = sv->next_num++;
	p->node = -1;
	p->created = w->s->now;
	p->born = w->s->now;
	p->vt_at = w->s->now;
	/* No limit: no quota on a node; without a cluster, the request (as before nodes shared CPU). */
	p->cores = cfg->cpu_limit > 0 ? cfg->cpu_limit : w->cluster ? INFINITY : cfg->cpu_request;
	p->weight = cpu_weight(w->sc->cluster.cpu_weights, cfg->cpu_request);
	p->full_share = p->cores;
	p->done = EVH_NONE;
	p->life = EVH_NONE;
	bal_ep_init(&p->lb);
	return p;
}

bool svc_pod_drained(const struct pod *p)
{
	return p->n_busy == 0 && p->q_len == 0 && p->n_msg == 0;
}

/* A Gone, drained pod gives its slot back. */
void svc_pod_free(struct service *sv, struct pod *p)
{
	assert(p->phase == POD_GONE && svc_pod_drained(p) && !p->slot_free);
	svc_pod_advance(sv->w, p);
	sv->cpu_retired += p->cpu_used;
	sv->thr_retired += p->throttled;
	sv->prs_retired += p->pressure;
	p->cpu_used = p->throttled = p->pressure = 0;
	p->slot_free = true;
	p->next_free = sv->free_pod;
	sv->free_pod = p->idx;
}

void svc_set_ready(struct service *sv, struct pod *p, bool ready)
{
	if (p->ready == ready)
		return;
	p->ready = ready;
	if (sv->w->kafka)
		kafka_members_changed(sv->w, sv);
	if (ready) {
		p->ready_pos = sv->n_ready;
		sv->ready[sv->n_ready++] = p->idx;
		bal_add(sv, p);
		return;
	}
	uint32_t last = sv->ready[--sv->n_ready];
	sv->ready[p->ready_pos] = last;
	sv->pods[last]->ready_pos = p->ready_pos;
	bal_remove(sv, p);
}

void svc_release(struct service *sv)
{
	for (uint32_t i = 0; i < sv->n_pods; i++)
		pod_release(sv->pods[i]);
	free(sv->pods);
	free(sv->ready);
	free(sv->cw);
	bal_release(sv);
	gsl_rng_free(sv->r_demand);
	gsl_rng_free(sv->r_lb);
	gsl_rng_free(sv->r_fanout);
	gsl_rng_free(sv->r_pod);
	traffic_free(sv->traffic);
}

void svc_pod_advance(struct world *w, struct pod *p)
{
	ps_advance(p, w->s->now);
}

void svc_account(struct service *sv, simtime now)
{
	sv->asked += sv->cfg->cpu_request * sv->n_running * (double)(now - sv->asked_at);
	sv->asked_at = now;
}

struct svc_cpu svc_cpu(struct world *w, struct service *sv)
{
	struct svc_cpu c = {sv->cpu_retired, sv->thr_retired, sv->prs_retired};
	for (uint32_t i = 0; i < sv->n_pods; i++) {
		struct pod *p = sv->pods[i];
		if (p->slot_free)
			continue;
		ps_advance(p, w->s->now);
		c.used += p->cpu_used;
		c.throttled += p->throttled;
		c.pressure += p->pressure;
	}
	return c;
}

double svc_cpu_used(struct world *w, struct service *sv)
{
	double sum = sv->cpu_retired;
	for (uint32_t i = 0; i < sv->n_pods; i++) {
		struct pod *p = sv->pods[i];
		if (p->slot_free)
			continue;
		ps_advance(p, w->s->now);
		sum += p->cpu_used;
	}
	return sum;
}

uint32_t svc_in_flight(const struct service *sv)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < sv->n_pods; i++)
		n += sv->pods[i]->n_busy + sv->pods[i]->q_len;
	return n;
}

void svc_msg_start(struct world *w, struct pod *p, double work, uint32_t msg)
{
	assert(msg > 0);
	const struct scn_service *cfg = p->svc->cfg;
	simtime now = w->s->now;
	if (cfg->warmup_factor > 1)
		work *= 1 + (cfg->warmup_factor - 1) * exp(-(double)(now - p->born) / (double)cfg->warmup_duration);
	uint32_t id = req_new(w);
	w->requests--; /* a delivery is no request (runs.requests counts requests) */
	struct req *r = R(w, id);
	r->arrival = now;
	r->work = work;
	r->fan = 0;
	r->deadline = SIM_FOREVER;
	r->parent = r->child = REQ_NONE;
	r->pod = p->idx;
	r->svc = p->svc->idx;
	r->next_call = 0;
	r->failed = false;
	r->delayed = r->injected = false;
	r->attempts = 0;
	r->msg = msg;
	r->state = REQ_CPU;
	p->n_msg++;
	ps_advance(p, now);
	double old_rate = p->rate;
	ps_push(p, p->vt + work, id);
	ps_set_rate(w, p);
	if (p->n_cpu == 1 || p->rate != old_rate || p->tag_req[0] == id)
		pod_kick(w, p);
}
