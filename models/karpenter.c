/*
 * karpenter.c: Karpenter's provisioning and disruption, as
 * kubernetes-sigs/karpenter and aws/karpenter-provider-aws behave
 * (../shared/FACTS.md section 2).
 *
 * Provisioning. A pod that fits no node triggers a batch: the window closes
 * when no pod new to the window triggered for batch_idle (1 s), or batch_max
 * (10 s) after it opened (karp_batch_trigger: a pod tried again while it
 * waits does not extend it). Then every pending pod, sorted by CPU then memory descending, is
 * placed in the first place that works: a NodeClaim in flight (launched,
 * not yet Ready) with room left after the pods already nominated to it,
 * then a NodeClaim planned in this batch (fewest pods first) whose
 * remaining instance types can still hold it, then a new NodeClaim from the
 * highest-weight NodePool with an instance type that fits it within the
 * pool's limits, and whose options (the types that hold its pods) keep
 * minValues distinct values of every key that has one. Each new NodeClaim
 * launches as the cheapest instance type that holds all its pods; the pool's remaining
 * limits shrink by the largest type the claim could have been (subtractMax).
 * The nomination is recomputed from scratch at every batch, so pods waiting
 * for a node in flight never launch a second one.
 *
 * A NodeClaim is a node in state Launching: it registers after the launch
 * and registration latencies, is Ready after initialization; kube-scheduler
 * then binds the pending pods. A claim not registered within
 * launch_timeout (5 min) or not registered within registration_timeout
 * (15 min) is deleted and its pods trigger a new batch.
 *
 * Disruption, polled every 10 s: expiration (forceful, not budgeted), then
 * emptiness and single-node consolidation for nodes that have been
 * Consolidatable for consolidateAfter (no pod bound or unbound since). A
 * command waits 15 s and is validated again before it runs. Budgets allow
 * ceil(pct x initialized nodes of the pool) disruptions minus those of them
 * deleting or not Ready (karp_disruptions_allowed). Consolidation deletes a node whose pods fit on the other Ready
 * nodes, or else replaces one node with the cheapest cheaper instance type
 * that holds its pods (the replacement launches; the old node drains when
 * it is Ready). Multi-node consolidation is not modelled. The decision is
 * a function of the state (karpenter.h); before the run it settles the
 * cluster of t = 0 (karp_settle), so that a run starts from a cluster
 * Karpenter would keep.
 */
#include "karpenter.h"
#include "evict.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EV_REGISTER, EV_INITIALIZE, EV_REG_TIMEOUT, EV_LAUNCH_TIMEOUT };

struct claim {        /* a NodeClaim planned in the current batch */
	int pool;
	double cpu, mem;  /* requests of its pods */
	int pods;
	int type;         /* the cheapest type that holds them (catalog index) */
};

struct pend {         /* a pending pod in a batch */
	struct pod *p;
	double cpu, mem;
};

struct karp {
	struct world *w;
	const struct scn_karpenter *cfg;
	const struct catalog *cat;
	gsl_rng *r;          /* latencies (RNG_NODES, instance 0) */
	struct dist_sampler launch, registration, initialization;
	bool up;             /* launching the nodes of t = 0: Ready at once */
	struct karp_batch batch; /* the provisioning batch window */
	evh batch_ev;        /* closes the window */
	evh poll_ev;         /* disruption polling */
	/* a consolidation command waiting for validation */
	bool cmd;
	uint32_t cmd_num[KARP_CMD_MAX]; /* nodes to delete, by number */
	int cmd_n;
	int cmd_replace;     /* the replacement's type for a replace command, -1: delete */
	const char *cmd_reason;
	simtime cmd_at;
	struct pend *pend;   /* scratch */
	size_t cap_pend;
	struct claim *claims;
	size_t n_claims, cap_claims;
	int *opts;           /* scratch: a claim's instance-type options (catalog n) */
	struct sched_alloc *ds; /* per pool x catalog type: the DaemonSet pods its node would run */
};

/* ---- helpers ---- */


static const struct instance_type *T(const struct karp *k, int i) { return &k->cat->types[i]; }

static double price(const struct karp *k, int pool, int type)
{
	const struct instance_type *t = T(k, type);
	return k->cfg->pools[pool].spot && t->spot_price_hour > 0 ? t->spot_price_hour : t->price_hour;
}

static bool is_spot(const struct karp *k, int pool, int type)
{
	return k->cfg->pools[pool].spot && T(k, type)->spot_price_hour > 0;
}

/* Whether type t, with the pool's node class, holds requests (cpu, mem,
 * pods) beside the DaemonSets. */
static bool type_fits(const struct karp *k, int pool, int t, double cpu, double mem, int pods)
{
	const struct scn_nodepool *np = &k->cfg->pools[pool];
	const struct sched_alloc *ds = &k->ds[(size_t)pool * k->cat->n + (size_t)t]; /* a pod slot each */
	return np->alloc_cpu[t] - ds->cpu >= cpu - 1e-9 && np->alloc_mem[t] - ds->mem >= mem - 1e-3 &&
	       np->alloc_pods[t] - ds->pods >= pods;
}

/* Capacity of a pool's launched and in-flight nodes (limits count capacity). */
static void pool_usage(const struct karp *k, int pool, double *cpu, double *mem, int *nodes)
{
	*cpu = *mem = 0;
	*nodes = 0;
	for (size_t i = 0; i < k->w->n_nodes; i++) {
		const struct wnode *n = k->w->wnodes[i];
		if (n->pool != pool || n->static_node)
			continue;
		const struct instance_type *t = catalog_find(k->cat, n->type);
		if (t) {
			*cpu += t->vcpu;
			*mem += t->memory_mib * 1048576.0;
		}
		(*nodes)++;
	}
}

static bool within_limits(const struct scn_nodepool *np, double cpu, double mem, int nodes)
{
	return (np->limit_cpu <= 0 || cpu <= np->limit_cpu + 1e-9) &&
	       (np->limit_memory <= 0 || mem <= np->limit_memory + 1e-3) && (np->limit_nodes <= 0 || nodes <= np->limit_nodes);
}

bool karp_min_values_ok(const struct scn_nodepool *np, const int *types, size_t n)
{
	for (size_t r = 0; r < np->n_reqs; r++) {
		const struct scn_requirement *q = &np->reqs[r];
		if (!q->min_values)
			continue;
		size_t distinct = 0;
		for (size_t a = 0; a < n && distinct < (size_t)q->min_values; a++) {
			bool seen = false;
			for (size_t b = 0; b < a && !seen; b++)
				seen = q->value_ids[types[a]] == q->value_ids[types[b]];
			distinct += !seen;
		}
		if (distinct < (size_t)q->min_values)
			return false;
	}
	return true;
}

/* Whether the pool has a requirement with minValues. */
static bool has_min_values(const struct scn_nodepool *np)
{
	for (size_t r = 0; r < np->n_reqs; r++)
		if (np->reqs[r].min_values)
			return true;
	return false;
}

/* The cheapest type of the pool that holds (cpu, mem, pods) within the
 * limits left (the pool's types are sorted cheapest first), or -1; -1 too
 * when the types that do keep fewer than minValues values of a key
 * (scheduling/nodeclaim.go filterInstanceTypesByRequirements: the
 * remaining options must SatisfiesMinValues, or there are none). */
static int cheapest(const struct karp *k, int pool, double cpu, double mem, int pods, const double used[2],
		    int used_nodes)
{
	const struct scn_nodepool *np = &k->cfg->pools[pool];
	bool mv = has_min_values(np);
	int first = -1;
	size_t n_ok = 0;
	for (size_t i = 0; i < np->n_types; i++) {
		int t = np->types[i];
		if (!type_fits(k, pool, t, cpu, mem, pods))
			continue;
		if (!within_limits(np, used[0] + T(k, t)->vcpu, used[1] + T(k, t)->memory_mib * 1048576.0, used_nodes + 1))
			continue;
		if (first < 0)
			first = t;
		if (!mv)
			break;
		k->opts[n_ok++] = t;
	}
	return !mv || karp_min_values_ok(np, k->opts, n_ok) ? first : -1;
}

int karp_claim_type(const struct world *w, int pool, double cpu, double mem, int pods)
{
	assert(w->sc->cluster.provisioner == PROV_KARPENTER && w->prov.self);
	const struct karp *k = w->prov.self;
	double used[2];
	int used_nodes;
	pool_usage(k, pool, &used[0], &used[1], &used_nodes);
	return cheapest(k, pool, cpu, mem, pods, used, used_nodes);
}

/* ---- node lifecycle ---- */

static simtime draw(struct karp *k, const struct dist_sampler *d)
{
	double s = dist_draw(d, k->r);
	return s > 0 ? (simtime)llround(s * 1e9) : 0;
}

static simtime node_ev(struct sim *s, void *obj, uint64_t arg);

static void node_at(struct karp *k, struct wnode *n, simtime delay, int what)
{
	n->ev = sim_at(k->w->s, k->w->s->now + delay, PRIO_CONTROL, node_ev, n, (uint64_t)what);
}

static void trigger(struct world *w, void *self, struct pod *p);
static struct wnode *by_num(const struct world *w, uint32_t num);

static simtime node_ev(struct sim *s, void *obj, uint64_t arg)
{
	struct wnode *n = obj;
	struct world *w = n->w;
	struct karp *k = w->prov.self;
	n->ev = EVH_NONE;
	switch (arg) {
	case EV_REGISTER: {
		node_set_state(w, n, NODE_REGISTERED, NULL);
		struct dist_sampler init = k->initialization;
		if (n->fam)
			dist_prepare(&init, &((const struct scn_family_latency *)n->fam)->initialization);
		node_at(k, n, draw(k, &init), EV_INITIALIZE);
		break;
	}
	case EV_INITIALIZE: {
		uint32_t old = n->replaces;
		n->replaces = 0;
		node_set_state(w, n, NODE_READY, NULL);
		struct wnode *o = old ? by_num(w, old - 1) : NULL;
		if (o && o->state == NODE_READY)
			node_drain(w, o, "replaced by a cheaper node");
		break;
	}
	default: { /* a liveness timeout: deleted; its pods ask again */
		bool launch = arg == EV_LAUNCH_TIMEOUT;
		node_log(w, n, launch ? "launch-timeout" : "registration-timeout",
			 launch ? "not launched within the launch timeout: deleted" :
				  "not registered within the registration timeout: deleted");
		node_drain(w, n, launch ? "launch timeout" : "registration timeout");
		trigger(w, k, NULL);
		break;
	}
	}
	(void)s;
	return SIM_DONE;
}

/* ---- batches ---- */

static int pend_cmp(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;
	if (x->cpu != y->cpu)
		return x->cpu > y->cpu ? -1 : 1;
	if (x->mem != y->mem)
		return x->mem > y->mem ? -1 : 1;
	return x->p->created < y->p->created ? -1 : x->p->created > y->p->created;
}

static size_t collect_pending(struct karp *k)
{
	struct world *w = k->w;
	size_t n = 0;
	for (size_t i = 0; i < w->n_svcs; i++) {
		struct service *sv = &w->svcs[i];
		for (uint32_t j = 0; j < sv->n_pods; j++) {
			struct pod *p = sv->pods[j];
			if (p->slot_free || p->phase != POD_PENDING || p->bound)
				continue;
			if (n == k->cap_pend) {
				k->cap_pend = k->cap_pend ? 2 * k->cap_pend : 64;
				k->pend = xrealloc(k->pend, k->cap_pend * sizeof *k->pend);
			}
			k->pend[n++] = (struct pend){p, sv->cfg->cpu_request, sv->cfg->memory_request};
		}
	}
	if (n > 1)
		qsort(k->pend, n, sizeof *k->pend, pend_cmp);
	return n;
}

/* An in-flight node with room for the pod after its nominations. */
static bool to_inflight(struct karp *k, const struct pend *pp)
{
	struct world *w = k->w;
	for (size_t i = 0; i < w->n_nodes; i++) {
		struct wnode *n = w->wnodes[i];
		const struct sched_node *sn = &w->nodes[i];
		if (n->state != NODE_LAUNCHING && n->state != NODE_REGISTERED)
			continue;
		if (sn->alloc_cpu - sn->req_cpu - n->nom_cpu >= pp->cpu - 1e-9 &&
		    sn->alloc_mem - sn->req_mem - n->nom_mem >= pp->mem - 1e-3 &&
		    sn->alloc_pods - sn->n_pods - n->nom_pods >= 1) {
			n->nom_cpu += pp->cpu;
			n->nom_mem += pp->mem;
			n->nom_pods++;
			return true;
		}
	}
	return false;
}

static int claim_cmp(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;
	return x->pods - y->pods;
}

/* A claim planned in this batch that can still hold the pod. */
static bool to_planned(struct karp *k, const struct pend *pp, double (*used)[2], int *used_nodes)
{
	if (k->n_claims > 1)
		qsort(k->claims, k->n_claims, sizeof *k->claims, claim_cmp);
	for (size_t i = 0; i < k->n_claims; i++) {
		struct claim *c = &k->claims[i];
		double u[2] = {used[c->pool][0] - T(k, c->type)->vcpu, used[c->pool][1] - T(k, c->type)->memory_mib * 1048576.0};
		int t = cheapest(k, c->pool, c->cpu + pp->cpu, c->mem + pp->mem, c->pods + 1, u, used_nodes[c->pool] - 1);
		if (t < 0)
			continue;
		used[c->pool][0] = u[0] + T(k, t)->vcpu;
		used[c->pool][1] = u[1] + T(k, t)->memory_mib * 1048576.0;
		c->cpu += pp->cpu;
		c->mem += pp->mem;
		c->pods++;
		c->type = t;
		return true;
	}
	return false;
}

/* A new claim from the highest-weight pool that can hold the pod. */
static bool to_new(struct karp *k, const struct pend *pp, double (*used)[2], int *used_nodes)
{
	int best = -1, best_t = -1;
	for (size_t i = 0; i < k->cfg->n_pools; i++) {
		if (best >= 0 && k->cfg->pools[i].weight <= k->cfg->pools[best].weight)
			continue;
		int t = cheapest(k, (int)i, pp->cpu, pp->mem, 1, used[i], used_nodes[i]);
		if (t >= 0) {
			best = (int)i;
			best_t = t;
		}
	}
	if (best < 0)
		return false;
	if (k->n_claims == k->cap_claims) {
		k->cap_claims = k->cap_claims ? 2 * k->cap_claims : 16;
		k->claims = xrealloc(k->claims, k->cap_claims * sizeof *k->claims);
	}
	k->claims[k->n_claims++] = (struct claim){best, pp->cpu, pp->mem, 1, best_t};
	used[best][0] += T(k, best_t)->vcpu;
	used[best][1] += T(k, best_t)->memory_mib * 1048576.0;
	used_nodes[best]++;
	return true;
}

/*
 * The zone of a new NodeClaim of pool `pool`: for now the first of the
 * cluster's zones its requirements allow. Part 2 (issue 14) fills this in
 * with the zone the pods' topology spread needs, counting every zone the
 * pool allows.
 */
static int claim_zone(const struct karp *k, int pool)
{
	const struct scn_cluster *c = &k->w->sc->cluster;
	uint32_t allowed = k->cfg->pools[pool].meta.zones;
	for (size_t z = 0; z < c->n_zones; z++)
		if (allowed >> z & 1u)
			return (int)z;
	return PLACE_ZONE_NONE;
}

static struct node_spec claim_spec(const struct karp *k, int pool, int type)
{
	const struct scn_nodepool *np = &k->cfg->pools[pool];
	return (struct node_spec){claim_zone(k, pool), &np->meta, np->name, is_spot(k, pool, type)};
}

static struct wnode *launch(struct karp *k, const struct claim *c)
{
	struct world *w = k->w;
	const struct instance_type *t = T(k, c->type);
	const struct scn_nodepool *np = &k->cfg->pools[c->pool];
	struct node_spec spec = claim_spec(k, c->pool, c->type);
	/* A node of t = 0 is told once the start is settled (karp_settle). */
	struct sink out = w->out;
	if (k->up)
		w->out.decision = NULL;
	struct wnode *n = node_add(w, np->name, t->name, c->pool,
				   (struct sched_alloc){np->alloc_cpu[c->type], np->alloc_mem[c->type], np->alloc_pods[c->type]},
				   price(k, c->pool, c->type),
				   k->up ? NODE_READY : NODE_LAUNCHING, &spec);
	n->spot = is_spot(k, c->pool, c->type);
	w->out = out;
	if (k->up)
		return n;
	n->nom_cpu = c->cpu;
	n->nom_mem = c->mem;
	n->nom_pods = c->pods;
	simtime launch_t, reg;
	const struct scn_family_latency *fl = NULL;
	for (size_t i = 0; i < k->cfg->n_families; i++)
		if (!strcmp(k->cfg->families[i].family, t->family))
			fl = &k->cfg->families[i];
	if (fl) {
		struct dist_sampler a, b;
		dist_prepare(&a, &fl->launch);
		dist_prepare(&b, &fl->registration);
		launch_t = draw(k, &a);
		reg = launch_t + draw(k, &b);
		n->fam = fl;
	} else {
		launch_t = draw(k, &k->launch);
		reg = launch_t + draw(k, &k->registration);
	}
	/* liveness.go: not Launched within the launch timeout, or not
	 * Registered within the registration timeout: deleted and retried. */
	if (launch_t > k->cfg->launch_timeout)
		node_at(k, n, k->cfg->launch_timeout, EV_LAUNCH_TIMEOUT);
	else if (reg > k->cfg->registration_timeout)
		node_at(k, n, k->cfg->registration_timeout, EV_REG_TIMEOUT);
	else
		node_at(k, n, reg, EV_REGISTER);
	return n;
}

static void provision(struct karp *k)
{
	struct world *w = k->w;
	size_t np = k->cfg->n_pools, n = collect_pending(k);
	double (*used)[2] = xcalloc(np ? np : 1, sizeof *used);
	int *used_nodes = xcalloc(np ? np : 1, sizeof *used_nodes);
	for (size_t i = 0; i < np; i++) {
		double cpu, mem;
		pool_usage(k, (int)i, &cpu, &mem, &used_nodes[i]);
		used[i][0] = cpu;
		used[i][1] = mem;
	}
	for (size_t i = 0; i < w->n_nodes; i++) {
		struct wnode *nd = w->wnodes[i];
		if (nd->state == NODE_LAUNCHING || nd->state == NODE_REGISTERED) {
			nd->nom_cpu = nd->nom_mem = 0;
			nd->nom_pods = 0;
		}
	}
	k->n_claims = 0;
	for (size_t i = 0; i < n; i++) {
		const struct pend *pp = &k->pend[i];
		if (to_inflight(k, pp) || to_planned(k, pp, used, used_nodes) || to_new(k, pp, used, used_nodes))
			continue;
		if (!pp->p->prov_logged) {
			char why[200];
			snprintf(why, sizeof why,
				 "Karpenter: no NodePool can launch a node for %.3g cores and %.0f MiB within its "
				 "requirements and limits",
				 pp->cpu, pp->mem / 1048576.0);
			pod_log(w, pp->p, "unprovisionable", why);
			pp->p->prov_logged = true;
		}
	}
	for (size_t i = 0; i < k->n_claims; i++)
		launch(k, &k->claims[i]);
	free(used);
	free(used_nodes);
}

bool karp_batch_trigger(struct karp_batch *b, simtime now, uint64_t *mark)
{
	bool opens = !b->open;
	if (opens) {
		b->open = true;
		b->window++;
		b->opened = b->last_new = now;
	} else if (mark && *mark == b->window) {
		return false; /* b.elems.Has(elem): the idle timer is not reset */
	}
	assert(now >= b->last_new);
	b->last_new = now;
	if (mark)
		*mark = b->window;
	return opens;
}

simtime karp_batch_closes(const struct karp_batch *b, simtime idle, simtime max)
{
	assert(b->open);
	return HR_MIN(b->last_new + idle, b->opened + max);
}

void karp_batch_close(struct karp_batch *b) { b->open = false; }

static simtime batch_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)arg;
	struct karp *k = obj;
	simtime close = karp_batch_closes(&k->batch, k->cfg->batch_idle, k->cfg->batch_max);
	if (s->now < close)
		return close - s->now; /* a new trigger came meanwhile */
	karp_batch_close(&k->batch);
	k->batch_ev = EVH_NONE;
	provision(k);
	return SIM_DONE;
}

/* A pod that fits no node (p), or a NodeClaim deleted (p NULL: no dedupe key). */
static void trigger(struct world *w, void *self, struct pod *p)
{
	struct karp *k = self;
	simtime now = w->s->now;
	if (!karp_batch_trigger(&k->batch, now, p ? &p->batch_mark : NULL))
		return;
	k->batch_ev = sim_at(w->s, karp_batch_closes(&k->batch, k->cfg->batch_idle, k->cfg->batch_max), PRIO_CONTROL,
			     batch_ev, k, 0);
}

/* ---- disruption ---- */

int karp_budget_allowed(const struct scn_nodepool *np, int n_nodes)
{
	assert(n_nodes >= 0);
	int a = INT32_MAX; /* no budget: unbounded */
	if (np->budget_pct >= 0) /* GetScaledValueFromIntOrPercent(..., roundUp true) */
		a = (int)ceil(n_nodes * np->budget_pct / 100 - 1e-9);
	if (np->budget_nodes >= 0 && np->budget_nodes < a)
		a = np->budget_nodes;
	return a;
}

/* Initialized: Ready once (ready_at is set at the NODE_READY transition). */
static bool initialized(const struct wnode *n) { return n->ready_at != SIM_FOREVER; }

int karp_disruptions_allowed(const struct world *w, int pool)
{
	assert(w->sc->cluster.provisioner == PROV_KARPENTER);
	const struct scn_nodepool *np = &w->sc->cluster.karpenter.pools[pool];
	int nodes = 0, disrupting = 0;
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *n = w->wnodes[i];
		if (n->pool != pool || n->static_node || !initialized(n))
			continue;
		nodes++;
		if (n->state != NODE_READY)
			disrupting++;
	}
	return HR_MAX(karp_budget_allowed(np, nodes) - disrupting, 0);
}

static int allowed(const struct karp *k, int pool) { return karp_disruptions_allowed(k->w, pool); }

/* Whether node n may be consolidated at time now, PDBs and do-not-disrupt aside. */
static bool consolidatable_at(const struct karp *k, const struct wnode *n, simtime now)
{
	if (n->static_node || n->pool < 0 || n->state != NODE_READY || n->being_replaced)
		return false;
	const struct scn_nodepool *np = &k->cfg->pools[n->pool];
	if (np->consolidation_off)
		return false;
	simtime since = HR_MAX(n->ready_at, n->last_pod_event);
	return now - since >= np->consolidate_after;
}

/* A consolidation candidate at time now: consolidatable, and no pod of it
 * protected by karpenter.sh/do-not-disrupt or by a PDB that allows no
 * disruption now (Karpenter's disruption helpers skip such nodes; evict.h). */
static bool candidate_at(const struct karp *k, const struct wnode *n, simtime now)
{
	char why[EVICT_WHY_LEN];
	return consolidatable_at(k, n, now) && !evict_karpenter_blocked(k->w, n, why, sizeof why);
}

/* A decision row for each node that would be a candidate but is protected,
 * when its reason changes (not every 10 s poll). */
static void note_blocked(struct karp *k)
{
	struct world *w = k->w;
	for (size_t i = 0; i < w->n_nodes; i++) {
		struct wnode *n = w->wnodes[i];
		char why[EVICT_WHY_LEN] = "";
		if (consolidatable_at(k, n, w->s->now))
			evict_karpenter_blocked(w, n, why, sizeof why);
		if (strcmp(why, n->blocked)) {
			snprintf(n->blocked, sizeof n->blocked, "%s", why);
			if (why[0])
				node_log(w, n, "disruption-skipped", why);
		}
	}
}

static bool consolidatable(const struct karp *k, const struct wnode *n)
{
	return candidate_at(k, n, k->w->s->now);
}

/* The pods of node n that would have to move (bound, not terminating),
 * largest first, in a new array (caller frees); *count says how many. */
static struct pend *pods_of(const struct wnode *n, size_t *count)
{
	size_t k = 0;
	struct pend *pend = xmalloc((n->n_hosted ? n->n_hosted : 1) * sizeof *pend);
	for (uint32_t j = 0; j < n->n_hosted; j++) {
		struct pod *p = n->pods[j];
		if (p->slot_free || !p->bound || p->node != (int)n->idx || p->phase > POD_RUNNING)
			continue;
		pend[k++] = (struct pend){p, p->svc->cfg->cpu_request, p->svc->cfg->memory_request};
	}
	if (k > 1)
		qsort(pend, k, sizeof *pend, pend_cmp);
	*count = k;
	return pend;
}

/* First fit of pods[0..n) (largest first) on the room the Ready nodes other
 * than `skip` have left: whether all fit; with `dest`, the index of the
 * node each goes to. */
static bool first_fit_elsewhere(const struct world *w, const struct wnode *skip, const struct pend *pods, size_t n,
				int *dest)
{
	double *room = xmalloc(3 * (w->n_nodes ? w->n_nodes : 1) * sizeof *room);
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct sched_node *sn = &w->nodes[i];
		bool open = w->wnodes[i]->state == NODE_READY && w->wnodes[i] != skip;
		room[3 * i] = open ? sn->alloc_cpu - sn->req_cpu : -1;
		room[3 * i + 1] = open ? sn->alloc_mem - sn->req_mem : -1;
		room[3 * i + 2] = open ? sn->alloc_pods - sn->n_pods : -1;
	}
	bool ok = true;
	for (size_t a = 0; a < n && ok; a++) {
		ok = false;
		for (size_t i = 0; i < w->n_nodes; i++) {
			if (room[3 * i] >= pods[a].cpu - 1e-9 && room[3 * i + 1] >= pods[a].mem - 1e-3 &&
			    room[3 * i + 2] >= 1) {
				room[3 * i] -= pods[a].cpu;
				room[3 * i + 1] -= pods[a].mem;
				room[3 * i + 2] -= 1;
				if (dest)
					dest[a] = (int)i;
				ok = true;
				break;
			}
		}
	}
	free(room);
	return ok;
}

/* Whether the pods of node `skip` fit on the other Ready nodes (first fit,
 * largest first, on what the other nodes have left). */
static bool pods_fit_elsewhere(const struct karp *k, const struct wnode *skip)
{
	size_t n;
	struct pend *pods = pods_of(skip, &n);
	bool ok = first_fit_elsewhere(k->w, skip, pods, n, NULL);
	free(pods);
	return ok;
}

/* The requests of the pods on node n (not terminating). */
static void node_load(const struct world *w, const struct wnode *n, double *cpu, double *mem, int *pods)
{
	*cpu = *mem = 0;
	*pods = 0;
	for (size_t i = 0; i < w->n_svcs; i++) {
		const struct service *sv = &w->svcs[i];
		for (uint32_t j = 0; j < sv->n_pods; j++) {
			const struct pod *p = sv->pods[j];
			if (p->slot_free || !p->bound || p->node != (int)n->idx || p->phase > POD_RUNNING)
				continue;
			*cpu += sv->cfg->cpu_request;
			*mem += sv->cfg->memory_request;
			(*pods)++;
		}
	}
}

/* Single-node replacement: the cheapest type of n's pool that holds n's
 * pods and costs less than n, or -1 (pool types are cheapest first); -1
 * too when the cheaper types that hold them keep fewer than minValues
 * values of a key (disruption/consolidation.go filters the options by
 * price with RemoveInstanceTypeOptionsByPriceAndMinValues). */
static int cheaper_replacement(const struct karp *k, const struct wnode *n)
{
	const struct scn_nodepool *np = &k->cfg->pools[n->pool];
	double cpu, mem;
	int pods;
	node_load(k->w, n, &cpu, &mem, &pods);
	bool mv = has_min_values(np);
	int first = -1;
	size_t n_ok = 0;
	for (size_t i = 0; i < np->n_types; i++) {
		int t = np->types[i];
		if (price(k, n->pool, t) >= n->price_hour - 1e-9)
			break;
		if (!type_fits(k, n->pool, t, cpu, mem, pods))
			continue;
		if (first < 0)
			first = t;
		if (!mv)
			break;
		k->opts[n_ok++] = t;
	}
	return !mv || karp_min_values_ok(np, k->opts, n_ok) ? first : -1;
}

static struct wnode *by_num(const struct world *w, uint32_t num)
{
	for (size_t i = 0; i < w->n_nodes; i++)
		if (w->wnodes[i]->num == num)
			return w->wnodes[i];
	return NULL;
}

/* Runs the command found 15 s ago if it still holds. */
static void execute(struct karp *k)
{
	struct world *w = k->w;
	k->cmd = false;
	for (int i = 0; i < k->cmd_n; i++) {
		struct wnode *n = by_num(w, k->cmd_num[i]);
		if (!n || !consolidatable(k, n) || allowed(k, n->pool) < 1)
			continue; /* no longer valid: dropped */
		bool empty = n->n_pods == 0;
		if (k->cmd_replace >= 0) {
			/* Replace: launch the cheaper node; n is drained once it is Ready. */
			if (empty || pods_fit_elsewhere(k, n) || cheaper_replacement(k, n) != k->cmd_replace)
				continue;
			struct claim c = {n->pool, 0, 0, 0, k->cmd_replace};
			node_load(w, n, &c.cpu, &c.mem, &c.pods);
			struct wnode *r = launch(k, &c);
			r->replaces = n->num + 1;
			n->being_replaced = true;
			node_log(w, n, "replacing", r->name);
			continue;
		}
		if (!empty && !pods_fit_elsewhere(k, n))
			continue;
		node_drain(w, n, k->cmd_reason);
	}
}

static simtime exec_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	(void)arg;
	execute(obj);
	return SIM_DONE;
}

/* Empty nodes of consolidatable pools, as many as the budgets left allow. */
static void plan_empty(const struct karp *k, simtime now, int *left, struct karp_cmd *c)
{
	const struct world *w = k->w;
	for (size_t i = 0; i < w->n_nodes && c->n < KARP_CMD_MAX; i++) {
		const struct wnode *n = w->wnodes[i];
		if (candidate_at(k, n, now) && n->n_pods == 0 && left[n->pool] > 0) {
			left[n->pool]--;
			c->num[c->n++] = n->num;
		}
	}
	if (c->n) {
		c->kind = KARP_CMD_DELETE_EMPTY;
		c->reason = "empty";
	}
}

/* Whether n may be consolidated for being underutilized (not only empty). */
static bool underutilized_ok(const struct karp *k, const struct wnode *n, simtime now, const int *left)
{
	return candidate_at(k, n, now) && left[n->pool] >= 1 &&
	       k->cfg->pools[n->pool].policy == CONSOLIDATE_WHEN_EMPTY_OR_UNDERUTILIZED;
}

/* The node whose deletion saves the most per pod it disrupts, among those
 * whose pods fit on the other Ready nodes. */
static void plan_delete(const struct karp *k, simtime now, const int *left, struct karp_cmd *c)
{
	const struct world *w = k->w;
	const struct wnode *best = NULL;
	double best_score = 0;
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *n = w->wnodes[i];
		if (!underutilized_ok(k, n, now, left))
			continue;
		double score = n->price_hour / (1 + n->n_pods);
		if ((!best || score > best_score) && pods_fit_elsewhere(k, n)) {
			best = n;
			best_score = score;
		}
	}
	if (best) {
		c->kind = KARP_CMD_DELETE;
		c->num[c->n++] = best->num;
		c->reason = "underutilized";
	}
}

/* The node that one cheaper instance type can replace, the largest saving
 * first. */
static void plan_replace(const struct karp *k, simtime now, const int *left, struct karp_cmd *c)
{
	const struct world *w = k->w;
	const struct wnode *best = NULL;
	int best_t = -1;
	double best_saving = 0;
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *n = w->wnodes[i];
		if (!underutilized_ok(k, n, now, left))
			continue;
		int t = cheaper_replacement(k, n);
		double saving = t >= 0 ? n->price_hour - price(k, n->pool, t) : 0;
		if (t >= 0 && saving > best_saving) {
			best = n;
			best_t = t;
			best_saving = saving;
		}
	}
	if (best) {
		c->kind = KARP_CMD_REPLACE;
		c->num[c->n++] = best->num;
		c->replace = best_t;
		c->reason = "replace with a cheaper node";
	}
}

struct karp_cmd karp_consolidation_plan(const struct world *w, simtime now)
{
	assert(w->sc->cluster.provisioner == PROV_KARPENTER && w->prov.self);
	const struct karp *k = w->prov.self;
	struct karp_cmd c = {.kind = KARP_CMD_NONE, .replace = -1};
	int *left = xcalloc(k->cfg->n_pools ? k->cfg->n_pools : 1, sizeof *left);
	for (size_t p = 0; p < k->cfg->n_pools; p++)
		left[p] = allowed(k, (int)p);
	plan_empty(k, now, left, &c);
	if (c.kind == KARP_CMD_NONE)
		plan_delete(k, now, left, &c);
	if (c.kind == KARP_CMD_NONE)
		plan_replace(k, now, left, &c);
	free(left);
	return c;
}

/* The decision now, kept for validation: logged, and run 15 s later. */
static void plan_consolidation(struct karp *k)
{
	struct world *w = k->w;
	struct karp_cmd c = karp_consolidation_plan(w, w->s->now);
	if (c.kind == KARP_CMD_NONE)
		return;
	k->cmd_n = c.n;
	memcpy(k->cmd_num, c.num, (size_t)c.n * sizeof *c.num);
	k->cmd_replace = c.replace;
	k->cmd_reason = c.reason;
	k->cmd = true;
	k->cmd_at = w->s->now + k->cfg->validation;
	for (int i = 0; i < k->cmd_n; i++)
		node_log(w, by_num(w, k->cmd_num[i]), "disruption-candidate", k->cmd_reason);
	sim_at(w->s, k->cmd_at, PRIO_CONTROL, exec_ev, k, 0);
}

static simtime poll_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)arg;
	struct karp *k = obj;
	struct world *w = k->w;
	/* Expiration: forceful, outside the budgets. */
	for (size_t i = 0; i < w->n_nodes; i++) {
		struct wnode *n = w->wnodes[i];
		if (n->static_node || n->pool < 0 || n->state == NODE_DRAINING)
			continue;
		simtime exp = k->cfg->pools[n->pool].expire_after;
		if (exp > 0 && s->now - n->launched >= exp) {
			/* Forceful: outside budgets and PDB checks, but its evictions
			 * wait on PDBs until the pool's terminationGracePeriod. */
			simtime tgp = k->cfg->pools[n->pool].termination_grace;
			node_drain_grace(w, n, "expired", tgp > 0 ? tgp : SIM_FOREVER);
			i = (size_t)-1; /* the arrays changed: start over */
		}
	}
	note_blocked(k);
	if (!k->cmd)
		plan_consolidation(k);
	return s->now >= s->end ? SIM_DONE : k->cfg->poll;
}

/* The cluster before the run: Ready nodes for the pods of t = 0, chosen
 * as one batch would choose them (karp_settle then settles it). */
static void karp_initial(struct world *w, void *self)
{
	(void)w;
	struct karp *k = self;
	k->up = true;
	provision(k);
	k->up = false;
}

/* ---- the cluster of t = 0, settled ----
 *
 * The batch of t = 0 packs the pods onto claims, largest first, and each
 * claim gets the cheapest type for the pods planned on it; kube-scheduler
 * then places the same pods service by service, its own way. So a node can
 * end up with pods that a cheaper type would hold, or that the other nodes
 * could take, and a pod can find the room planned for it taken. A real
 * cluster was up long before the run, and Karpenter would long since have
 * consolidated the one and launched a node for the other. So before the
 * run its own consolidation decision is asked, as if consolidateAfter had
 * passed (budgets as they are at t = 0), and its command is carried out at
 * once, until it has nothing to do: a node to replace is of the cheaper
 * type from the start (same name, same pods); a node to delete goes, its
 * pods moved where the decision found room for them. Pods still pending
 * then get nodes as a batch would launch them, Ready at once, and the
 * decision is asked again. Nothing of this is paid for or evicted, and the
 * nodes kept are told ("ready" at t = 0) only once it is done. Each command
 * leaves the cluster with fewer nodes, or as many and cheaper, so the
 * consolidation ends; static nodes are never touched. */

/* The time at which every pool's consolidateAfter has passed for the nodes
 * of now, nothing having changed. */
static simtime all_consolidatable(const struct karp *k)
{
	simtime after = 0;
	for (size_t i = 0; i < k->cfg->n_pools; i++)
		after = HR_MAX(after, k->cfg->pools[i].consolidate_after);
	return k->w->s->now + after;
}

/* Node n goes before the run, its pods moved first fit onto the other
 * Ready nodes (the decision saw them fit there): never paid for, never told. */
static void settle_delete(struct world *w, struct wnode *n)
{
	size_t np;
	struct pend *pods = pods_of(n, &np);
	int *dest = xmalloc((np ? np : 1) * sizeof *dest);
	bool fit = first_fit_elsewhere(w, n, pods, np, dest);
	assert(fit);
	for (size_t i = 0; i < np && fit; i++)
		pod_initial_move(w, pods[i].p, w->wnodes[dest[i]]);
	free(dest);
	free(pods);
	assert(n->n_pods == 0);
	struct sink out = w->out;
	w->out.decision = NULL;
	node_drain(w, n, "settled before the run"); /* empty: removed at once */
	w->out = out;
}

static void settle_apply(struct karp *k, const struct karp_cmd *c)
{
	struct world *w = k->w;
	for (int i = 0; i < c->n; i++) {
		struct wnode *n = by_num(w, c->num[i]);
		assert(n);
		if (c->kind != KARP_CMD_REPLACE) {
			settle_delete(w, n);
			continue;
		}
		const struct scn_nodepool *np = &k->cfg->pools[n->pool];
		int t = c->replace;
		node_retype(w, n, T(k, t)->name, (struct sched_alloc){np->alloc_cpu[t], np->alloc_mem[t], np->alloc_pods[t]},
			    price(k, n->pool, t));
		n->spot = is_spot(k, n->pool, t);
	}
}

static int num_cmp(const void *a, const void *b)
{
	const struct wnode *x = *(const struct wnode *const *)a, *y = *(const struct wnode *const *)b;
	return (x->num > y->num) - (x->num < y->num);
}

/* The nodes Karpenter keeps at t = 0, told in the order they were made. */
static void tell_nodes(struct karp *k)
{
	struct world *w = k->w;
	struct wnode **v = xmalloc((w->n_nodes ? w->n_nodes : 1) * sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < w->n_nodes; i++)
		if (!w->wnodes[i]->static_node && w->wnodes[i]->pool >= 0)
			v[n++] = w->wnodes[i];
	qsort(v, n, sizeof *v, num_cmp);
	for (size_t i = 0; i < n; i++) {
		char detail[96];
		snprintf(detail, sizeof detail, "%s, %.2f USD/h", v[i]->type, v[i]->price_hour);
		node_log(w, v[i], "ready", detail);
	}
	free(v);
}

/* Carries out the decision's commands until it has none. */
static void settle_consolidation(struct karp *k)
{
	struct world *w = k->w;
	simtime later = all_consolidatable(k);
	/* Each node can go, or get cheaper once per type: a bound, not a guess. */
	size_t most = w->n_nodes * (k->cat->n + 1) + 1;
	for (size_t round = 0;; round++) {
		struct karp_cmd c = karp_consolidation_plan(w, later);
		if (c.kind == KARP_CMD_NONE)
			break;
		assert(round < most && "settling the cluster of t = 0 ends: each command makes it smaller or cheaper");
		settle_apply(k, &c);
	}
}

static int pods_pending(const struct world *w)
{
	int n = 0;
	for (size_t i = 0; i < w->n_svcs; i++)
		n += w->svcs[i].n_pending;
	return n;
}

/* Launches for pods of t = 0 left pending, at most, before the run; pods
 * still pending then (no pool can take them) wait as any pending pod does,
 * for the batch their scheduling attempt opened at t = 0. */
#define SETTLE_LAUNCHES 8

static void karp_settle(struct world *w, void *self)
{
	struct karp *k = self;
	settle_consolidation(k);
	for (int i = 0; i < SETTLE_LAUNCHES && pods_pending(w); i++) {
		size_t before = w->n_nodes;
		k->up = true;
		provision(k);
		k->up = false;
		if (w->n_nodes == before)
			break;
		for (size_t j = 0; j < w->n_svcs; j++)
			pod_initial_retry(w, &w->svcs[j]);
		settle_consolidation(k);
	}
	tell_nodes(k);
}

static void karp_free(void *self)
{
	struct karp *k = self;
	if (!k)
		return;
	gsl_rng_free(k->r);
	free(k->pend);
	free(k->claims);
	free(k->opts);
	free(k->ds);
	free(k);
}

void karp_start(struct world *w)
{
	const struct scn_cluster *c = &w->sc->cluster;
	struct karp *k = xcalloc(1, sizeof *k);
	k->w = w;
	k->cfg = &c->karpenter;
	k->cat = &c->catalog;
	k->opts = xcalloc(k->cat->n ? k->cat->n : 1, sizeof *k->opts);
	k->ds = xcalloc(k->cfg->n_pools * k->cat->n + 1, sizeof *k->ds);
	for (size_t p = 0; p < k->cfg->n_pools; p++)
		for (size_t t = 0; t < k->cat->n; t++) {
			struct node_spec spec = claim_spec(k, (int)p, (int)t);
			k->ds[p * k->cat->n + t] = node_daemonsets(w, k->cat->types[t].name, &spec, NULL);
		}
	k->r = rng_stream(w->s->seed, RNG_NODES, 0);
	dist_prepare(&k->launch, &k->cfg->launch);
	dist_prepare(&k->registration, &k->cfg->registration);
	dist_prepare(&k->initialization, &k->cfg->initialization);
	k->batch_ev = EVH_NONE;
	w->prov = (struct provisioner){
		.self = k, .pod_unschedulable = trigger, .initial = karp_initial, .settle = karp_settle, .free = karp_free};
	k->poll_ev = sim_at(w->s, k->cfg->poll, PRIO_CONTROL, poll_ev, k, 0);
}
