/*
 * kafka.c: topics, consumer groups, rebalances, retries, DLTs and sagas
 * (kafka.h has the model; docs/kafka.md the rules and their sources).
 *
 * Events: a delivery's end comes from the pod's processor sharing
 * (kafka_msg_done); a group's rebalance runs in one event at the instant
 * its members change (or a lost member's session times out); a group's
 * wake-up event fires when a rebalance's pause, a member's back-off or a
 * retry topic's delay ends; KEDA's operator polls the services that scale
 * to zero. Nothing is allocated per message: the partitions' rings grow
 * with the lag, the saga pool with the sagas in flight.
 */
#include "kafka.h"

#include "world.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- decisions ---- */

int64_t keda_kafka_metric(const struct keda_kafka *k, const int64_t *lag, size_t n, bool *active)
{
	assert(k->lag_threshold > 0);
	int64_t total = 0, with_lag = 0;
	for (size_t i = 0; i < n; i++) {
		total += lag[i];
		with_lag += lag[i] > 0;
	}
	if (active)
		*active = total > k->activation_lag;
	if (!k->allow_idle || k->limit_to_lag) {
		int64_t upper = k->limit_to_lag ? with_lag : (int64_t)n;
		if (total / k->lag_threshold > upper)
			total = upper * k->lag_threshold;
	}
	return total;
}

void kafka_assign_range(uint32_t n_parts, uint32_t n_members, uint32_t *owner)
{
	if (!n_members) {
		for (uint32_t p = 0; p < n_parts; p++)
			owner[p] = KAFKA_NONE;
		return;
	}
	/* RangeAssignor.assignPartitions: numPartitionsPerConsumer, consumersWithExtraPartition. */
	uint32_t per = n_parts / n_members, extra = n_parts % n_members, p = 0;
	for (uint32_t m = 0; m < n_members; m++) {
		uint32_t len = per + (m < extra);
		for (uint32_t j = 0; j < len; j++)
			owner[p++] = m;
	}
	assert(p == n_parts);
}

void kafka_assign_sticky(uint32_t n_parts, uint32_t n_members, const uint32_t *prev, uint32_t *owner,
			 uint32_t *count)
{
	if (!n_members) {
		kafka_assign_range(n_parts, 0, owner);
		return;
	}
	uint32_t min = n_parts / n_members, extra = n_parts % n_members, used = 0;
	memset(count, 0, n_members * sizeof *count);
	/* Each member keeps what it owned up to its quota; then up to one more
	 * while members may still take one more. */
	for (uint32_t p = 0; p < n_parts; p++) {
		uint32_t m = prev[p];
		owner[p] = KAFKA_NONE;
		if (m != KAFKA_NONE && m < n_members && count[m] < min) {
			owner[p] = m;
			count[m]++;
		}
	}
	for (uint32_t p = 0; p < n_parts; p++) {
		uint32_t m = prev[p];
		if (owner[p] == KAFKA_NONE && m != KAFKA_NONE && m < n_members && count[m] == min && used < extra) {
			owner[p] = m;
			count[m]++;
			used++;
		}
	}
	for (uint32_t p = 0; p < n_parts; p++) {
		if (owner[p] != KAFKA_NONE)
			continue;
		uint32_t best = 0;
		for (uint32_t m = 1; m < n_members; m++)
			if (count[m] < count[best])
				best = m;
		assert(count[best] < min || (count[best] == min && used < extra));
		used += count[best] == min;
		owner[p] = best;
		count[best]++;
	}
}

/* ---- the model's state ---- */

struct kmsg {
	simtime t;     /* produced, ns */
	simtime due;   /* a retry topic's message: not delivered before, ns (0: at once) */
	uint32_t saga; /* its saga's slot, KAFKA_NONE: none */
	uint32_t gen;  /* the slot's generation then */
	int16_t deliveries; /* deliveries of it so far (on its topic and retry topic) */
	int8_t poison; /* it fails every delivery: 1, not: 0, not drawn yet: -1 */
};

struct kpart {
	struct kmsg *ring; /* produced, not committed: [head, head + len) */
	uint32_t head, len, cap;
	uint32_t owner;    /* member index, KAFKA_NONE: unassigned */
	simtime paused_until; /* a rebalance stops it until then, ns */
	bool busy;         /* a delivery of its head is in flight */
	int64_t iv_produced; /* produced to it this sample interval */
};

struct kmember {
	uint32_t pod;      /* slot in the service */
	uint32_t num;      /* the pod's number (member order) */
	uint32_t thread;   /* 0 .. concurrency - 1 */
	uint32_t busy;     /* the partition it delivers from now, KAFKA_NONE: idle */
	uint32_t cursor;   /* where its round over its partitions goes on (an index into its list) */
	uint32_t first, n_owned; /* its partitions: mparts[first .. first + n_owned) */
	simtime blocked_until; /* its thread sleeps in a backoff until then, ns */
};

struct kgroup {
	struct kafka *k;
	const struct scn_kafka_consumer *cfg;
	uint32_t idx;
	struct service *sv;
	struct kpart *parts;
	uint32_t n_parts;
	struct kmember *members, *old;
	uint32_t n_members, n_old, cap_members;
	uint32_t *prev, *owner, *count; /* assignment scratch: n_parts, n_parts, cap_members */
	int64_t *lagbuf;   /* the partitions' lags, for the metric (n_parts) */
	uint32_t *mparts;  /* the partitions by owner, in order (n_parts): the members' lists */
	bool formed;       /* its first assignment is made (the group exists before the run) */
	evh rebalance_ev, wake_ev;
	evh expire_ev;     /* a lost consumer's session times out (then the group rebalances) */
	struct dist_sampler work, pause;
	gsl_rng *r;
	struct kafka_stats st;
	int64_t iv_produced, iv_consumed, iv_dlt, iv_rebalances; /* this sample interval */
	struct hist iv_latency;
	const char *topic; /* the topic's name (borrowed), or TOPIC-retry (retry_name) */
	char *retry_name;  /* owned, for a retry group */
	int retry;         /* a main group with retryable_topic: the index of its retry group; else -1 */
};

struct saga {
	simtime origin;
	uint32_t outstanding; /* messages of it not yet committed or recovered */
	uint32_t gen;
	uint32_t next_free;
	bool failed;
};

/* A ScaledObject with minReplicaCount 0: KEDA's operator scales its
 * target to zero after cooldownPeriod inactive, and back to one when a
 * trigger is active (pkg/scaling/executor/scale_scaledobjects.go:
 * scaleToZeroOrIdle, scaleFromZeroOrIdle). */
struct kscaler {
	struct kafka *k;
	struct service *sv;
	const struct scn_kafka_consumer *cfg; /* its first keda trigger (they agree on the spec) */
	simtime last_active; /* status.lastActiveTime, ns */
};

struct ktopic {
	double *cum;       /* zipf: cumulative shares of the partitions, NULL: uniform */
	uint32_t *groups;  /* the groups consuming it */
	uint32_t n_groups;
};

struct kafka {
	struct world *w;
	const struct scn_kafka *cfg;
	struct ktopic *topics;
	struct kgroup *groups;
	size_t n_groups;
	struct saga *sagas;
	uint32_t n_sagas, cap_sagas, free_saga;
	struct kafka_sagas sg;
	struct kafka_sagas iv; /* this sample interval's (completion: of the sagas completed in it) */
	gsl_rng *r_keys;   /* partition keys and producers' coins */
	struct kscaler *scalers; /* KEDA's activity loop, per service scaling to zero (n_scalers) */
	size_t n_scalers;
	bool *svc_produces;/* per service: it has request producers */
};

#define MSG_TAG(g, p) (1u + (uint32_t)(g) * SCN_KAFKA_MAX_PARTITIONS + (p))

/* ---- sagas ---- */

static uint32_t saga_new(struct kafka *k, simtime origin)
{
	if (k->free_saga == KAFKA_NONE) {
		uint32_t ncap = k->cap_sagas ? 2 * k->cap_sagas : 256;
		k->sagas = xrealloc(k->sagas, ncap * sizeof *k->sagas);
		for (uint32_t i = ncap; i-- > k->cap_sagas;) {
			k->sagas[i].gen = 0;
			k->sagas[i].next_free = k->free_saga;
			k->free_saga = i;
		}
		k->cap_sagas = ncap;
	}
	uint32_t s = k->free_saga;
	struct saga *sg = &k->sagas[s];
	k->free_saga = sg->next_free;
	sg->gen++;
	sg->origin = origin;
	sg->outstanding = 0;
	sg->failed = false;
	k->n_sagas++;
	k->sg.started++;
	k->iv.started++;
	return s;
}

/* One message of saga s is settled: committed, or recovered to a DLT. */
static void saga_settle(struct kafka *k, uint32_t s, bool failed, simtime now)
{
	if (s == KAFKA_NONE)
		return;
	struct saga *sg = &k->sagas[s];
	assert(sg->outstanding > 0);
	sg->failed |= failed;
	if (--sg->outstanding)
		return;
	if (sg->failed) {
		k->sg.failed++;
		k->iv.failed++;
	} else {
		k->sg.completed++;
		k->iv.completed++;
		hist_add(&k->sg.completion, now - sg->origin);
		hist_add(&k->iv.completion, now - sg->origin);
	}
	sg->next_free = k->free_saga;
	k->free_saga = s;
	k->n_sagas--;
}

/* ---- producing ---- */

static uint32_t pick_partition(struct kafka *k, int topic)
{
	const struct scn_kafka_topic *t = &k->cfg->topics[topic];
	double u = rng_u01(k->r_keys);
	if (!k->topics[topic].cum)
		return (uint32_t)(u * t->partitions);
	const double *c = k->topics[topic].cum;
	uint32_t lo = 0, hi = (uint32_t)t->partitions - 1;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (u < c[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void group_kick(struct kgroup *g);
static void member_kick(struct kgroup *g, uint32_t mi);

static void ring_push(struct kpart *pt, struct kmsg m)
{
	if (pt->len == pt->cap) {
		uint32_t ncap = pt->cap ? 2 * pt->cap : 16;
		struct kmsg *n = xmalloc(ncap * sizeof *n);
		for (uint32_t i = 0; i < pt->len; i++)
			n[i] = pt->ring[(pt->head + i) % pt->cap];
		free(pt->ring);
		pt->ring = n;
		pt->head = 0;
		pt->cap = ncap;
	}
	pt->ring[(pt->head + pt->len++) % pt->cap] = m;
}

/* One event on topic `topic`, of saga s (KAFKA_NONE: none), to every group
 * consuming it. */
static void publish(struct kafka *k, int topic, uint32_t s)
{
	const struct ktopic *t = &k->topics[topic];
	uint32_t part = pick_partition(k, topic);
	simtime now = k->w->s->now;
	for (uint32_t i = 0; i < t->n_groups; i++) {
		struct kgroup *g = &k->groups[t->groups[i]];
		struct kpart *pt = &g->parts[part];
		if (s != KAFKA_NONE)
			k->sagas[s].outstanding++;
		ring_push(pt, (struct kmsg){now, 0, s, s == KAFKA_NONE ? 0 : k->sagas[s].gen, 0, -1});
		pt->iv_produced++;
		g->st.produced++;
		g->iv_produced++;
		if (++g->st.lag > g->st.max_lag)
			g->st.max_lag = g->st.lag;
		if (pt->len == 1 && pt->owner != KAFKA_NONE)
			member_kick(g, pt->owner);
	}
}

/* The producers of (service, from, on) are alternatives: one coin, the
 * first whose cumulative probability passes it publishes (at most one
 * event per outcome). *s is the saga (started on the first event of a
 * request, KAFKA_NONE until then). */
static void produce(struct kafka *k, int service, int from, enum scn_kafka_on on, uint32_t *s, simtime origin)
{
	const struct scn_kafka *c = k->cfg;
	double u = -1, acc = 0;
	for (size_t i = 0; i < c->n_producers; i++) {
		const struct scn_kafka_producer *p = &c->producers[i];
		if (p->service != service || p->from != from || p->on != on)
			continue;
		if (u < 0)
			u = rng_u01(k->r_keys);
		acc += p->probability;
		if (u >= acc)
			continue;
		if (*s == KAFKA_NONE && k->topics[p->topic].n_groups)
			*s = saga_new(k, origin);
		publish(k, p->topic, *s);
		return;
	}
}

void kafka_request_done(struct world *w, struct service *sv, bool ok, simtime arrival)
{
	struct kafka *k = w->kafka;
	if (!k->svc_produces[sv->idx])
		return;
	uint32_t s = KAFKA_NONE;
	produce(k, sv->idx, -1, ok ? KAFKA_ON_SUCCESS : KAFKA_ON_FAILURE, &s, arrival);
	if (s != KAFKA_NONE && !k->sagas[s].outstanding)
		saga_settle(k, s, false, w->s->now); /* nobody consumes: never happens (n_groups checked) */
}

/* ---- consuming ---- */

static void decision(struct kgroup *g, const char *event, const char *detail)
{
	struct world *w = g->k->w;
	if (!w->out.decision)
		return;
	struct row_decision r = {
		.t_s = sim_to_s(w->s->now),
		.service = g->sv->cfg->name,
		.kind = "kafka",
		.event = event,
		.replicas = (int)g->n_members,
		.desired = -1,
		.raw = -1,
		.stabilized = -1,
		.limited = -1,
		.pod = g->cfg->group,
		.detail = detail,
	};
	w->out.decision(w->out.ctx, &r);
}

static simtime wake_ev(struct sim *s, void *obj, uint64_t arg);

static void wake_at(struct kgroup *g, simtime t)
{
	struct sim *s = g->k->w->s;
	if (t > s->end)
		return;
	if (g->wake_ev == EVH_NONE)
		g->wake_ev = sim_at(s, t, PRIO_REQUEST, wake_ev, g, 0);
	else if (evq_time(&s->q, g->wake_ev) > t)
		sim_move(s, g->wake_ev, t);
}

/* Member mi starts its next delivery, if it is free and one of its
 * partitions has a message it may deliver. */
static void member_kick(struct kgroup *g, uint32_t mi)
{
	struct world *w = g->k->w;
	struct kmember *m = &g->members[mi];
	simtime now = w->s->now;
	if (m->busy != KAFKA_NONE)
		return;
	if (m->blocked_until > now) {
		wake_at(g, m->blocked_until);
		return;
	}
	struct pod *pod = g->sv->pods[m->pod];
	if (!pod->ready || pod->lost)
		return;
	for (uint32_t j = 0; j < m->n_owned; j++) {
		uint32_t k = (m->cursor + j) % m->n_owned, p = g->mparts[m->first + k];
		struct kpart *pt = &g->parts[p];
		assert(pt->owner == mi);
		if (!pt->len || pt->busy)
			continue;
		if (pt->paused_until > now) {
			wake_at(g, pt->paused_until);
			continue;
		}
		/* A retry topic's head not yet due: the partition is paused until
		 * then (KafkaBackoffAwareMessageListenerAdapter). */
		struct kmsg *head = &pt->ring[pt->head];
		if (head->due > now) {
			wake_at(g, head->due);
			continue;
		}
		m->cursor = k; /* a redelivery comes first; a success moves the cursor on */
		m->busy = p;
		pt->busy = true;
		head->deliveries++;
		g->st.deliveries++;
		double work = dist_draw(&g->work, g->r) * 1e9;
		svc_msg_start(w, pod, work, MSG_TAG(g->idx, p));
		return;
	}
}

static void group_kick(struct kgroup *g)
{
	for (uint32_t i = 0; i < g->n_members; i++)
		member_kick(g, i);
}

static simtime wake_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	(void)arg;
	struct kgroup *g = obj;
	g->wake_ev = EVH_NONE;
	group_kick(g);
	return SIM_DONE;
}

/* The head of partition pt is settled: committed (ok) or recovered. */
static void settle_head(struct kgroup *g, struct kpart *pt, bool ok)
{
	struct kafka *k = g->k;
	simtime now = k->w->s->now;
	struct kmsg m = pt->ring[pt->head];
	pt->head = (pt->head + 1) % pt->cap;
	pt->len--;
	g->st.lag--;
	if (ok) {
		g->st.consumed++;
		g->iv_consumed++;
		hist_add(&g->st.latency, now - m.t);
		hist_add(&g->iv_latency, now - m.t);
	} else {
		g->st.dlt++;
		g->iv_dlt++;
	}
	uint32_t s = m.saga != KAFKA_NONE && k->sagas[m.saga].gen == m.gen ? m.saga : KAFKA_NONE;
	/* What it leads to is published before it settles, so its saga stays open. */
	produce(k, g->cfg->service, g->cfg->topic, ok ? KAFKA_ON_SUCCESS : KAFKA_ON_FAILURE, &s, m.t);
	if (s != KAFKA_NONE && s == m.saga)
		saga_settle(k, s, !ok, now);
}

/* @RetryableTopic: the failed head of pt (partition p) is published to
 * TOPIC-retry (the same partition: the retry topic is made with as many),
 * due after the delay, and committed here; the partition goes on. The
 * retry topic's own failures are published to it again (the same topic:
 * one delay), until the attempts are spent: then TOPIC-dlt. Its saga stays
 * open. */
static void to_retry(struct kgroup *g, struct kpart *pt, uint32_t p)
{
	struct kafka *k = g->k;
	struct kgroup *rg = g->retry >= 0 ? &k->groups[g->retry] : g;
	struct kmsg m = pt->ring[pt->head];
	pt->head = (pt->head + 1) % pt->cap;
	pt->len--;
	g->st.lag--;
	m.due = k->w->s->now + g->cfg->retry_delay;
	struct kpart *rp = &rg->parts[p % rg->n_parts];
	ring_push(rp, m);
	rp->iv_produced++;
	rg->st.produced++;
	rg->iv_produced++;
	if (++rg->st.lag > rg->st.max_lag)
		rg->st.max_lag = rg->st.lag;
	if (rp->len == 1 && rp->owner != KAFKA_NONE && rg != g)
		member_kick(rg, rp->owner);
}

static uint32_t member_running(const struct kgroup *g, uint32_t p)
{
	for (uint32_t i = 0; i < g->n_members; i++)
		if (g->members[i].busy == p)
			return i;
	return KAFKA_NONE;
}

void kafka_msg_done(struct world *w, struct pod *pod, uint32_t msg)
{
	struct kafka *k = w->kafka;
	uint32_t gi = (msg - 1) / SCN_KAFKA_MAX_PARTITIONS, p = (msg - 1) % SCN_KAFKA_MAX_PARTITIONS;
	assert(gi < k->n_groups);
	struct kgroup *g = &k->groups[gi];
	struct kpart *pt = &g->parts[p];
	const struct scn_kafka_consumer *c = g->cfg;
	assert(pt->busy && pt->len);
	pt->busy = false;
	uint32_t mi = member_running(g, p);
	if (mi != KAFKA_NONE)
		g->members[mi].busy = KAFKA_NONE;
	if (pod->lost) { /* its result never reached the broker: redelivered */
		if (pt->owner != KAFKA_NONE)
			member_kick(g, pt->owner);
		return;
	}
	struct kmsg *head = &pt->ring[pt->head];
	if (head->poison < 0)
		head->poison = c->logical > 0 && rng_u01(g->r) < c->logical;
	bool failed = head->poison || (c->transient > 0 && rng_u01(g->r) < c->transient);
	if (!failed) {
		settle_head(g, pt, true);
		if (mi != KAFKA_NONE)
			g->members[mi].cursor++;
	} else if (c->retry_topics) {
		g->st.failures++;
		if (head->deliveries >= c->retry_attempts)
			settle_head(g, pt, false);
		else
			to_retry(g, pt, p);
		if (mi != KAFKA_NONE)
			g->members[mi].cursor++;
	} else {
		g->st.failures++;
		if (!kafka_redeliver(head->deliveries, c->max_retries)) {
			settle_head(g, pt, false);
		} else if (mi != KAFKA_NONE && c->backoff_interval > 0) {
			g->members[mi].blocked_until = w->s->now + c->backoff_interval;
		}
	}
	/* The member that delivered it is free; the partition's owner (another
	 * member, after a rebalance) may take it up. */
	if (mi != KAFKA_NONE)
		member_kick(g, mi);
	if (pt->owner != KAFKA_NONE && pt->owner != mi)
		member_kick(g, pt->owner);
}

/* ---- rebalances ---- */

static int member_cmp(const void *a, const void *b)
{
	const struct kmember *x = a, *y = b;
	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return x->thread < y->thread ? -1 : x->thread > y->thread;
}

static uint32_t find_member(const struct kmember *v, uint32_t n, uint32_t num, uint32_t thread)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i].num == num && v[i].thread == thread)
			return i;
	return KAFKA_NONE;
}

/* The group's members now: the consumers of its Ready pods. */
static void collect_members(struct kgroup *g)
{
	struct service *sv = g->sv;
	uint32_t conc = (uint32_t)g->cfg->concurrency, n = 0;
	uint32_t need = sv->n_ready * conc;
	if (need > g->cap_members) {
		g->cap_members = need < 16 ? 16 : 2 * need;
		g->members = xrealloc(g->members, g->cap_members * sizeof *g->members);
		g->old = xrealloc(g->old, g->cap_members * sizeof *g->old);
		g->count = xrealloc(g->count, g->cap_members * sizeof *g->count);
	}
	for (uint32_t i = 0; i < sv->n_ready; i++) {
		const struct pod *p = sv->pods[sv->ready[i]];
		if (p->lost)
			continue;
		for (uint32_t t = 0; t < conc; t++)
			g->members[n++] = (struct kmember){.pod = p->idx, .num = p->num, .thread = t, .busy = KAFKA_NONE};
	}
	qsort(g->members, n, sizeof *g->members, member_cmp);
	g->n_members = n;
}

static bool same_members(const struct kgroup *g)
{
	if (g->n_members != g->n_old)
		return false;
	for (uint32_t i = 0; i < g->n_members; i++)
		if (g->members[i].num != g->old[i].num || g->members[i].thread != g->old[i].thread)
			return false;
	return true;
}

/* Each member's partitions, in order, as one list (a counting sort). */
static void owned_lists(struct kgroup *g)
{
	for (uint32_t i = 0; i < g->n_members; i++)
		g->members[i].n_owned = 0;
	for (uint32_t p = 0; p < g->n_parts; p++)
		if (g->parts[p].owner != KAFKA_NONE)
			g->members[g->parts[p].owner].n_owned++;
	uint32_t at = 0;
	for (uint32_t i = 0; i < g->n_members; i++) {
		g->members[i].first = at;
		at += g->members[i].n_owned;
		g->members[i].n_owned = 0;
	}
	for (uint32_t p = 0; p < g->n_parts; p++) {
		uint32_t o = g->parts[p].owner;
		if (o != KAFKA_NONE)
			g->mparts[g->members[o].first + g->members[o].n_owned++] = p;
	}
}

static void rebalance(struct kgroup *g)
{
	struct world *w = g->k->w;
	simtime now = w->s->now;
	if (g->n_members)
		memcpy(g->old, g->members, g->n_members * sizeof *g->members);
	g->n_old = g->n_members;
	collect_members(g);
	if (g->formed && same_members(g))
		return;
	/* Members that stay keep their delivery in flight, backoff and round. */
	for (uint32_t i = 0; i < g->n_members; i++) {
		uint32_t o = find_member(g->old, g->n_old, g->members[i].num, g->members[i].thread);
		if (o != KAFKA_NONE) {
			g->members[i].busy = g->old[o].busy;
			g->members[i].cursor = g->old[o].cursor;
			g->members[i].blocked_until = g->old[o].blocked_until;
		}
	}
	for (uint32_t p = 0; p < g->n_parts; p++) {
		uint32_t o = g->parts[p].owner;
		g->prev[p] = o == KAFKA_NONE ? KAFKA_NONE : find_member(g->members, g->n_members, g->old[o].num, g->old[o].thread);
	}
	if (g->cfg->assignor == KAFKA_ASSIGN_RANGE)
		kafka_assign_range(g->n_parts, g->n_members, g->owner);
	else
		kafka_assign_sticky(g->n_parts, g->n_members, g->prev, g->owner, g->count);
	simtime pause = 0;
	if (g->formed && g->n_members)
		pause = (simtime)(dist_draw(&g->pause, g->r) * 1e9);
	uint32_t moved = 0;
	for (uint32_t p = 0; p < g->n_parts; p++) {
		struct kpart *pt = &g->parts[p];
		bool move = g->owner[p] != g->prev[p];
		moved += move;
		/* Eager: every partition is revoked and waits for the new
		 * assignment; cooperative: only those changing owner. */
		if (pause > 0 && (move || g->cfg->assignor == KAFKA_ASSIGN_RANGE) && g->owner[p] != KAFKA_NONE) {
			simtime until = now + pause;
			if (until > pt->paused_until) {
				g->st.paused += until - (pt->paused_until > now ? pt->paused_until : now);
				pt->paused_until = until;
			}
		}
		pt->owner = g->owner[p];
	}
	owned_lists(g);
	if (g->formed) {
		g->st.rebalances++;
		g->iv_rebalances++;
		char d[400];
		snprintf(d, sizeof d, "%s on %s: %u members, %u of %u partitions moved, pause %.3fs", g->cfg->group,
			 g->topic, g->n_members, moved, g->n_parts, sim_to_s(pause));
		decision(g, "rebalance", d);
	}
	g->formed = true;
	group_kick(g);
}

static simtime rebalance_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	(void)arg;
	struct kgroup *g = obj;
	g->rebalance_ev = EVH_NONE;
	rebalance(g);
	return SIM_DONE;
}

void kafka_members_changed(struct world *w, struct service *sv)
{
	struct kafka *k = w->kafka;
	for (size_t i = 0; i < k->n_groups; i++) {
		struct kgroup *g = &k->groups[i];
		if (g->sv != sv || g->rebalance_ev != EVH_NONE || w->s->now > w->s->end)
			continue;
		g->rebalance_ev = sim_at(w->s, w->s->now, PRIO_REQUEST, rebalance_ev, g, 0);
	}
}

static simtime expire_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	(void)arg;
	struct kgroup *g = obj;
	g->expire_ev = EVH_NONE;
	rebalance(g);
	return SIM_DONE;
}

void kafka_pod_lost(struct world *w, struct pod *p)
{
	struct kafka *k = w->kafka;
	for (size_t i = 0; i < k->n_groups; i++) {
		struct kgroup *g = &k->groups[i];
		if (g->sv != p->svc || find_member(g->members, g->n_members, p->num, 0) == KAFKA_NONE)
			continue;
		/* The broker hears no heartbeat: the group notices at the session
		 * timeout (a later loss keeps the earlier event; one rebalance
		 * drops every lost member then). */
		simtime t = w->s->now + g->cfg->session_timeout;
		if (g->expire_ev == EVH_NONE && t <= w->s->end)
			g->expire_ev = sim_at(w->s, t, PRIO_REQUEST, expire_ev, g, 0);
	}
}

/* Whether any keda trigger of service sv is active now. */
static bool service_active(const struct kafka *k, const struct service *sv)
{
	for (size_t i = 0; i < k->cfg->n_consumers; i++) {
		const struct kgroup *g = &k->groups[i];
		if (g->sv != sv || !g->cfg->keda)
			continue;
		struct keda_kafka kk = {g->cfg->lag_threshold, g->cfg->activation_lag, g->cfg->allow_idle,
					g->cfg->limit_to_lag};
		for (uint32_t p = 0; p < g->n_parts; p++)
			g->lagbuf[p] = g->parts[p].len;
		bool active = false;
		keda_kafka_metric(&kk, g->lagbuf, g->n_parts, &active);
		if (active)
			return true;
	}
	return false;
}

static void keda_log(struct kscaler *sc, const char *event, int from, int to)
{
	struct world *w = sc->k->w;
	if (!w->out.decision)
		return;
	char d[160];
	snprintf(d, sizeof d, "ScaledObject %s: %d -> %d replicas (%s)", sc->sv->cfg->name, from, to,
		 to ? "a trigger is active" : "no trigger active for the cooldown period");
	struct row_decision r = {
		.t_s = sim_to_s(w->s->now),
		.service = sc->sv->cfg->name,
		.kind = "keda",
		.event = event,
		.replicas = from,
		.desired = to,
		.raw = -1,
		.stabilized = -1,
		.limited = -1,
		.detail = d,
	};
	w->out.decision(w->out.ctx, &r);
}

/* KEDA's operator, every pollingInterval (RequestScale). */
static simtime keda_poll_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)arg;
	struct kscaler *sc = obj;
	struct world *w = sc->k->w;
	int from = sc->sv->desired;
	if (service_active(sc->k, sc->sv)) {
		sc->last_active = s->now;
		if (from == 0) {
			int to = sc->cfg->min_replica_count > 0 ? (int)sc->cfg->min_replica_count : 1;
			keda_log(sc, "activate", from, to);
			pod_scale(w, sc->sv, to);
		}
	} else if (from > 0 && sc->last_active + sc->cfg->cooldown_period < s->now) {
		keda_log(sc, "deactivate", from, 0);
		pod_scale(w, sc->sv, 0);
	}
	return s->now >= s->end ? SIM_DONE : sc->cfg->polling_interval;
}

static void scalers_start(struct kafka *k)
{
	struct world *w = k->w;
	k->scalers = xcalloc(w->n_svcs, sizeof *k->scalers);
	for (size_t i = 0; i < k->cfg->n_consumers; i++) {
		const struct scn_kafka_consumer *c = &k->cfg->consumers[i];
		bool seen = false;
		for (size_t j = 0; j < k->n_scalers; j++)
			seen |= k->scalers[j].sv == &w->svcs[c->service];
		if (!c->keda || c->min_replica_count != 0 || seen)
			continue;
		/* The ScaledObject was there before the run, its target up:
		 * active until the start. */
		struct kscaler *sc = &k->scalers[k->n_scalers++];
		*sc = (struct kscaler){k, &w->svcs[c->service], c, 0};
		if (c->polling_interval <= w->s->end)
			sim_at(w->s, c->polling_interval, PRIO_CONTROL, keda_poll_ev, sc, 0);
	}
}

/* ---- the metric, the accessors ---- */

double kafka_metric(const struct world *w, int c)
{
	const struct kgroup *g = &w->kafka->groups[c];
	const struct scn_kafka_consumer *cfg = g->cfg;
	struct keda_kafka kk = {cfg->lag_threshold, cfg->activation_lag, cfg->allow_idle, cfg->limit_to_lag};
	for (uint32_t p = 0; p < g->n_parts; p++)
		g->lagbuf[p] = g->parts[p].len;
	return (double)keda_kafka_metric(&kk, g->lagbuf, g->n_parts, NULL);
}

const struct kafka_stats *kafka_stats(const struct world *w, int c) { return &w->kafka->groups[c].st; }

int64_t kafka_partition_lag(const struct world *w, int c, uint32_t part)
{
	return w->kafka->groups[c].parts[part].len;
}

bool kafka_partition_paused(const struct world *w, int c, uint32_t part)
{
	return w->kafka->groups[c].parts[part].paused_until > w->s->now;
}

uint32_t kafka_partition_owner(const struct world *w, int c, uint32_t part)
{
	return w->kafka->groups[c].parts[part].owner;
}

const struct kafka_sagas *kafka_sagas(const struct world *w) { return &w->kafka->sg; }

/* ---- set-up ---- */

static void topic_init(struct kafka *k, size_t t)
{
	const struct scn_kafka_topic *c = &k->cfg->topics[t];
	struct ktopic *kt = &k->topics[t];
	if (c->keys == KAFKA_KEYS_ZIPF) {
		kt->cum = xmalloc((size_t)c->partitions * sizeof *kt->cum);
		double sum = 0;
		for (int p = 0; p < c->partitions; p++)
			sum += pow(p + 1.0, -c->skew);
		double acc = 0;
		for (int p = 0; p < c->partitions; p++) {
			acc += pow(p + 1.0, -c->skew) / sum;
			kt->cum[p] = acc;
		}
		kt->cum[c->partitions - 1] = 1.0;
	}
	kt->groups = xcalloc(k->cfg->n_consumers ? k->cfg->n_consumers : 1, sizeof *kt->groups);
}

/* Group i: consumer ci's group on its topic, or (retry) on its TOPIC-retry. */
static void group_init(struct kafka *k, size_t i, size_t ci, bool retry)
{
	struct world *w = k->w;
	const struct scn_kafka_consumer *c = &k->cfg->consumers[ci];
	struct kgroup *g = &k->groups[i];
	g->retry = -1;
	g->topic = k->cfg->topics[c->topic].name;
	if (retry) {
		size_t n = strlen(g->topic) + 8;
		g->retry_name = xmalloc(n);
		snprintf(g->retry_name, n, "%s-retry", g->topic);
		g->topic = g->retry_name;
	}
	g->k = k;
	g->cfg = c;
	g->idx = (uint32_t)i;
	g->sv = &w->svcs[c->service];
	g->n_parts = (uint32_t)k->cfg->topics[c->topic].partitions;
	g->parts = xcalloc(g->n_parts, sizeof *g->parts);
	for (uint32_t p = 0; p < g->n_parts; p++)
		g->parts[p].owner = KAFKA_NONE;
	g->prev = xmalloc(g->n_parts * sizeof *g->prev);
	g->owner = xmalloc(g->n_parts * sizeof *g->owner);
	g->lagbuf = xmalloc(g->n_parts * sizeof *g->lagbuf);
	g->mparts = xmalloc(g->n_parts * sizeof *g->mparts);
	g->rebalance_ev = g->wake_ev = g->expire_ev = EVH_NONE;
	dist_prepare(&g->work, c->has_cpu ? &c->cpu_per_message : &w->sc->services[c->service].cpu_per_request);
	dist_prepare(&g->pause, &c->rebalance_pause);
	g->r = rng_stream(w->s->seed, KAFKA_RNG_MODEL, 1 + i);
	if (retry)
		return; /* nothing publishes to it but its main group */
	struct ktopic *kt = &k->topics[c->topic];
	kt->groups[kt->n_groups++] = (uint32_t)i;
}

struct kafka *kafka_new(struct world *w)
{
	const struct scn_kafka *c = &w->sc->kafka;
	if (!c->n_topics)
		return NULL;
	struct kafka *k = xcalloc(1, sizeof *k);
	k->w = w;
	k->cfg = c;
	k->free_saga = KAFKA_NONE;
	k->r_keys = rng_stream(w->s->seed, KAFKA_RNG_MODEL, 0);
	k->topics = xcalloc(c->n_topics, sizeof *k->topics);
	for (size_t t = 0; t < c->n_topics; t++)
		topic_init(k, t);
	/* The consumers' groups, then a retry group for each with retryable_topic. */
	k->n_groups = c->n_consumers;
	for (size_t i = 0; i < c->n_consumers; i++)
		k->n_groups += c->consumers[i].retry_topics;
	k->groups = xcalloc(k->n_groups ? k->n_groups : 1, sizeof *k->groups);
	size_t r = c->n_consumers;
	for (size_t i = 0; i < c->n_consumers; i++) {
		group_init(k, i, i, false);
		if (c->consumers[i].retry_topics) {
			group_init(k, r, i, true);
			k->groups[i].retry = (int)r++;
		}
	}
	k->svc_produces = xcalloc(w->n_svcs, sizeof *k->svc_produces);
	for (size_t i = 0; i < c->n_producers; i++)
		if (c->producers[i].from < 0)
			k->svc_produces[c->producers[i].service] = true;
	w->kafka = k;
	/* The groups form on the pods Ready at t = 0, without a pause. */
	for (size_t i = 0; i < k->n_groups; i++)
		rebalance(&k->groups[i]);
	scalers_start(k);
	return k;
}

void kafka_free(struct kafka *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n_groups; i++) {
		struct kgroup *g = &k->groups[i];
		for (uint32_t p = 0; p < g->n_parts; p++)
			free(g->parts[p].ring);
		free(g->parts);
		free(g->members);
		free(g->old);
		free(g->prev);
		free(g->owner);
		free(g->lagbuf);
		free(g->mparts);
		free(g->count);
		free(g->retry_name);
		gsl_rng_free(g->r);
	}
	for (size_t t = 0; t < k->cfg->n_topics; t++) {
		free(k->topics[t].cum);
		free(k->topics[t].groups);
	}
	free(k->topics);
	free(k->groups);
	free(k->sagas);
	free(k->svc_produces);
	free(k->scalers);
	gsl_rng_free(k->r_keys);
	free(k);
}

void kafka_sample(struct world *w, simtime dt)
{
	(void)dt;
	struct kafka *k = w->kafka;
	simtime now = w->s->now;
	for (size_t i = 0; i < k->n_groups; i++) {
		struct kgroup *g = &k->groups[i];
		if (w->out.kafka) {
			int64_t maxlag = 0;
			int paused = 0;
			for (uint32_t p = 0; p < g->n_parts; p++) {
				maxlag = g->parts[p].len > maxlag ? g->parts[p].len : maxlag;
				paused += g->parts[p].paused_until > now;
			}
			const struct hist *h = &g->iv_latency;
			struct row_kafka r = {
				.t_s = sim_to_s(now),
				.group = g->cfg->group,
				.topic = g->topic,
				.service = g->sv->cfg->name,
				.partitions = (int)g->n_parts,
				.members = (int)g->n_members, /* as of the last rebalance */
				.lag = g->st.lag,
				.max_partition_lag = maxlag,
				.paused = paused,
				.produced = g->iv_produced,
				.consumed = g->iv_consumed,
				.dlt = g->iv_dlt,
				.rebalances = g->iv_rebalances,
				.latency_mean_ms = h->n ? h->sum / (double)h->n * 1e-6 : NAN,
				.latency_p99_ms = hist_percentile(h, 99) * 1e-6,
				.keda_metric = g->cfg->keda && !g->retry_name ? kafka_metric(w, (int)i) : NAN,
			};
			w->out.kafka(w->out.ctx, &r);
		}
		const char *topic = g->topic;
		for (uint32_t p = 0; p < g->n_parts; p++) {
			struct kpart *pt = &g->parts[p];
			if (w->out.kafka_partition) {
				struct row_kafka_partition r = {
					.t_s = sim_to_s(now),
					.group = g->cfg->group,
					.topic = topic,
					.partition = (int)p,
					.lag = pt->len,
					.produced = pt->iv_produced,
					.member = pt->owner == KAFKA_NONE ? -1 : (int)pt->owner,
					.paused = pt->paused_until > now,
				};
				w->out.kafka_partition(w->out.ctx, &r);
			}
			pt->iv_produced = 0;
		}
		g->iv_produced = g->iv_consumed = g->iv_dlt = g->iv_rebalances = 0;
		hist_clear(&g->iv_latency);
	}
	if (w->out.saga_sample && k->sg.started) {
		struct row_saga_sample r = {
			.t_s = sim_to_s(now),
			.started = k->iv.started,
			.completed = k->iv.completed,
			.failed = k->iv.failed,
			.open = (int64_t)k->n_sagas,
			.p50_s = hist_percentile(&k->iv.completion, 50) * 1e-9,
			.p99_s = hist_percentile(&k->iv.completion, 99) * 1e-9,
		};
		w->out.saga_sample(w->out.ctx, &r);
	}
	k->iv.started = k->iv.completed = k->iv.failed = 0;
	hist_clear(&k->iv.completion);
}

int kafka_slo_met(const struct world *w, int c)
{
	const struct kgroup *g = &w->kafka->groups[c];
	if (!g->cfg->has_slo)
		return -1;
	/* The committed messages' times, and the age of every message still
	 * waiting: its time will be at least that. */
	struct hist *h = xmalloc(sizeof *h);
	*h = g->st.latency;
	simtime now = w->s->now;
	for (uint32_t p = 0; p < g->n_parts; p++) {
		const struct kpart *pt = &g->parts[p];
		for (uint32_t i = 0; i < pt->len; i++)
			hist_add(h, now - pt->ring[(pt->head + i) % pt->cap].t);
	}
	double v = hist_percentile(h, g->cfg->slo_percentile);
	free(h);
	return isnan(v) || v <= (double)g->cfg->slo_threshold;
}

int kafka_service_slo(const struct world *w, const struct service *sv, int met)
{
	const struct kafka *k = w->kafka;
	for (size_t i = 0; i < k->n_groups; i++) {
		if (k->groups[i].sv != sv)
			continue;
		int g = kafka_slo_met(w, (int)i);
		if (g >= 0)
			met = met < 0 ? g : met && g;
	}
	return met;
}

void kafka_finish(struct world *w)
{
	struct kafka *k = w->kafka;
	for (size_t i = 0; i < k->n_groups && w->out.kafka_summary; i++) {
		const struct kgroup *g = &k->groups[i];
		const struct hist *h = &g->st.latency;
		struct row_kafka_summary r = {
			.group = g->cfg->group,
			.topic = g->topic,
			.service = g->sv->cfg->name,
			.produced = g->st.produced,
			.consumed = g->st.consumed,
			.deliveries = g->st.deliveries,
			.failures = g->st.failures,
			.dlt = g->st.dlt,
			.rebalances = g->st.rebalances,
			.max_lag = g->st.max_lag,
			.paused_s = sim_to_s(g->st.paused),
			.latency_mean_ms = h->n ? h->sum / (double)h->n * 1e-6 : NAN,
			.latency_p50_ms = hist_percentile(h, 50) * 1e-6,
			.latency_p99_ms = hist_percentile(h, 99) * 1e-6,
			.latency_max_ms = h->n ? (double)h->max * 1e-6 : NAN,
			.slo_met = kafka_slo_met(w, (int)i),
		};
		w->out.kafka_summary(w->out.ctx, &r);
	}
	if (w->out.sagas && k->sg.started) {
		const struct hist *h = &k->sg.completion;
		struct row_sagas r = {
			.started = k->sg.started,
			.completed = k->sg.completed,
			.failed = k->sg.failed,
			.open = (int64_t)k->n_sagas,
			.mean_s = h->n ? h->sum / (double)h->n * 1e-9 : NAN,
			.p50_s = hist_percentile(h, 50) * 1e-9,
			.p99_s = hist_percentile(h, 99) * 1e-9,
			.max_s = h->n ? (double)h->max * 1e-9 : NAN,
		};
		w->out.sagas(w->out.ctx, &r);
	}
}
