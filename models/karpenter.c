/*
 * karpenter.c: Karpenter's provisioning and disruption, as
 * kubernetes-sigs/karpenter and aws/karpenter-provider-aws behave
 * (docs/model.md, Karpenter).
 *
 * Provisioning. A pod that fits no node triggers a batch: the window closes
 * when no pod new to the window triggered for batch_idle (1 s), or batch_max
 * (10 s) after it opened (karp_batch_trigger: a pod tried again while it
 * waits does not extend it). Then the scheduling simulation (karp_solve,
 * karp_sched.h) places every pending pod, largest first: on a node with
 * room (Ready nodes, then those in flight), on a NodeClaim planned in this
 * batch, or on a new NodeClaim from the highest-weight NodePool that can
 * take it within its limits and minValues, all as the pods' placement
 * allows (taints, node requirements, topology spread and pod affinity:
 * karp_sched.h; the pool's template fits come from karp_fits, built once).
 * Each NodeClaim carries its
 * options, the types that hold all its pods and have an available
 * offering, cheapest first; its "launched" row names them. The nomination
 * of pods to nodes in flight is recomputed from scratch at every batch, so
 * pods waiting for a node in flight never launch a second one.
 *
 * Launch (the AWS provider's Create and EC2 Fleet, karp_offer.h): spot when
 * the claim allows it and an option has an available spot offering, else
 * on-demand; then that capacity type's offerings among the options and the
 * claim's zones, cheapest first. One that cluster.capacity makes short now
 * fails with an insufficient-capacity error, is marked unavailable for 3
 * minutes and the next is tried; the node is priced at, and labelled with
 * the zone and capacity type of, the offering that launched. When none is
 * left the NodeClaim is deleted ("insufficient-capacity" row) and its pods
 * trigger a new batch, which sees the marks (on-demand fallback).
 *
 * A NodeClaim is a node in state Launching: it registers after the launch
 * and registration latencies, is Ready after initialization; kube-scheduler
 * then binds the pending pods. A claim not registered within
 * launch_timeout (5 min) or not registered within registration_timeout
 * (15 min) is deleted and its pods trigger a new batch.
 *
 * Disruption, polled every 10 s: expiration (forceful, not budgeted), then
 * emptiness, drift (cluster.drifts: section "drift" below), multi-node and
 * single-node consolidation for nodes that have
 * been Consolidatable for consolidateAfter (no pod bound or unbound since).
 * A consolidation command waits 15 s and is validated again before it
 * runs. Budgets allow ceil(pct x initialized nodes of the pool)
 * disruptions minus those of them deleting, not Ready or waiting for their
 * replacement, per reason and when active (karp_disruptions_allowed_for). Multi-node
 * consolidation deletes several nodes whose pods fit on the other Ready
 * nodes, or replaces them with one cheaper NodeClaim that takes the pods
 * left over; single-node consolidation deletes a node whose pods fit on
 * the other Ready nodes, or else replaces one node with the cheapest
 * cheaper instance type that holds its pods. Prices are launch prices
 * (WorstLaunchPrice over the available offerings, spot first where the pool
 * allows it), and a replacement in a pool that allows spot launches as
 * spot. A replacement launches; the nodes it replaces drain when it is
 * Ready (one that finds no capacity leaves them as they are). The decision
 * is a function of the state (karpenter.h); before the run it settles the
 * cluster of t = 0 (karp_settle), so that a run starts from a cluster
 * Karpenter would keep.
 *
 * Several clusters (`clusters:`, docs/clusters.md): each runs its own
 * Karpenter of the one configuration (struct karp_ctl: its batch window,
 * its pending command, its unavailable-offerings cache), and each decision
 * sees the nodes and pods of the cluster of the installation acting
 * (k->cur) only; the event handlers set it from the pod, the node or the
 * event they run for.
 */
#include "karpenter.h"
#include "alb.h"
#include "evict.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EV_REGISTER, EV_INITIALIZE, EV_REG_TIMEOUT, EV_LAUNCH_TIMEOUT };

struct claim {        /* a NodeClaim to launch */
	int pool;
	double cpu, mem;  /* requests of its pods */
	int pods;
	int type;         /* a consolidation's replacement: the one type it launches as (catalog index);
	                   * -1: the cheapest available offering of its options */
	const int *opts;  /* its options, cheapest first (borrowed), for its "launched" row and, without
	                   * type, for the launch; NULL: just type */
	size_t n_opts;
	uint64_t zones;   /* the cluster zones it may launch in (bit z) */
	unsigned cts;     /* the capacity types it may launch as (SCN_ON_DEMAND | SCN_SPOT bits) */
};

struct pend {         /* a pod a consolidation simulation moves */
	struct pod *p;
	double cpu, mem;
};

struct ranked;

/* Scratch of the consolidation decision (and the nodes of a batch's
 * simulation), reused from poll to poll so that it allocates nothing once
 * the cluster has been this large. The decision reads the world only;
 * these are its workspace. */
struct scratch {
	struct pend *pods;   /* the pods a simulation moves, largest first */
	struct karp_pod *kpods; /* the same as karp_solve takes them */
	int *dest;           /* where each goes: a node index, or -1: the new NodeClaim */
	size_t n_pods, cap_pods, cap_kpods, cap_dest;
	struct karp_node *knodes; /* the nodes that may take pods, as karp_solve takes them ... */
	uint32_t *kidx;      /* ... and their indices in the world */
	bool *skip;          /* per node index: a candidate of the simulation */
	size_t cap_knodes, cap_kidx, cap_skip;
	struct wnode **cands; /* multi-node candidates, in order */
	struct ranked *ranked; /* the same with their savings ratios, to sort */
	size_t cap_cands, cap_ranked;
	int *left;           /* 2 per pool: disruptions left, and multi-node's own copy */
	struct wnode **drifted; /* drift's candidates, oldest Drifted first */
	size_t cap_drifted;
};

/* An upgrade by drift of one NodePool: from its first drift until no
 * drifted node of it is left (cluster.drifts). */
struct drift_run {
	int gen;             /* drifts of the pool so far: its nodes launched with fewer are Drifted */
	bool open;           /* drifted nodes of it are left */
	simtime first;       /* the first drift of this run, ns */
	const char *to;      /* the node class of the last drift (borrowed from the scenario) */
	int gone;            /* drifted nodes gone since */
	double node_s, usd;  /* the pool's nodes gone since: their seconds and cost after `first` */
};

/* One cluster's Karpenter installation (docs/clusters.md): what a
 * separate controller process keeps for itself. Without `clusters:` there
 * is one, for the whole world. */
struct karp_ctl {
	int cluster;         /* index into multi->clusters; -1: no `clusters:` (every pool) */
	struct karp_batch batch; /* its provisioning batch window */
	evh batch_ev;        /* closes the window */
	bool pending;        /* a consolidation command waits for validation */
	struct karp_cmd cmd; /* that command */
	struct karp_offers offers; /* its unavailable-offerings cache (an in-memory cache of the process;
	                      * its until owned here) */
};

struct karp {
	struct world *w;
	const struct scn_karpenter *cfg;
	const struct catalog *cat;
	gsl_rng *r;          /* latencies (RNG_NODES, instance 0) */
	struct dist_sampler launch, registration, initialization;
	bool up;             /* launching the nodes of t = 0: Ready at once */
	evh poll_ev;         /* disruption polling */
	struct scratch *x;   /* the decision's workspace */
	struct karp_solver *solver; /* the provisioning simulation's workspace */
	struct pod **pend;   /* a batch's pending pods ... */
	struct karp_pod *kpods; /* ... as the simulation sees them */
	size_t cap_pend;
	struct karp_usage *used; /* per pool: what its active nodes take of its limits */
	int *opts;           /* scratch: a claim's instance-type options (catalog n) */
	struct sched_alloc *ds; /* per pool x catalog type: the DaemonSet pods its node would run */
	struct karp_fits fits;  /* what each service's pods make of each pool's nodes */
	struct drift_run *drift; /* per pool (owned) */
	struct karp_ctl *ctl; /* one installation per cluster (n_ctl; owned) */
	size_t n_ctl;
	size_t cur;          /* the installation acting now: every decision sees its cluster only */
};

/* ---- helpers ---- */


static const struct instance_type *T(const struct karp *k, int i) { return &k->cat->types[i]; }

/* The installation acting now, and its offerings cache. */
static struct karp_ctl *ctl(const struct karp *k) { return &k->ctl[k->cur]; }
static struct karp_offers *offers(const struct karp *k) { return &k->ctl[k->cur].offers; }

/* The installation managing pool `pool` (NodePool index): that of its cluster. */
static size_t pool_ctl(const struct karp *k, int pool)
{
	const struct scn_multi *m = k->w->sc->multi;
	return m && pool >= 0 ? (size_t)m->pool_cluster[pool] : 0;
}

/* Whether node n is in the cluster of the installation acting now (a
 * separate Karpenter sees its own cluster's nodes only). */
static bool mine(const struct karp *k, const struct wnode *n)
{
	if (k->n_ctl == 1)
		return true;
	if (n->pool >= 0 && !n->static_node)
		return pool_ctl(k, n->pool) == k->cur;
	return alb_node_cluster(k->w, n) == ctl(k)->cluster;
}

/* The zones of pool `pool` (a mask of cluster zones). */
static uint64_t pool_zones(const struct karp *k, int pool)
{
	size_t nz = k->w->sc->cluster.n_zones;
	return k->cfg->pools[pool].meta.zones & (nz >= 32 ? UINT32_MAX : (1u << nz) - 1);
}

/* The zones of node n's replacement: its own (a single-node replacement
 * launches where the node is), or its pool's when it has none. */
static uint64_t node_zones(const struct karp *k, const struct wnode *n)
{
	return n->zone >= 0 ? (uint64_t)1 << n->zone : pool_zones(k, n->pool);
}

/* The capacity types a consolidation's replacement of type t in zones
 * launches as (consolidation.go: a claim that may be spot or on-demand is
 * made spot, so that a replacement priced as spot never launches as
 * on-demand; spot-to-spot likewise): spot when the pool allows it and t
 * has a spot offering there (the NodeClaim's capacity types are those of
 * its options' available offerings, nodeclaimtemplate.go), else on-demand. */
static unsigned replace_cts(const struct karp *k, int pool, int t, uint64_t zones)
{
	bool spot = k->cfg->pools[pool].capacity & SCN_SPOT &&
		    karp_offer_any(offers(k), t, zones, SCN_SPOT, k->w->s->now);
	return spot ? SCN_SPOT : SCN_ON_DEMAND;
}

/* What a replacement of type t in zones would cost, as consolidation
 * prices it: its WorstLaunchPrice (karp_offer.h) among the capacity types
 * of its pool; 0: not available there now. */
static double launch_price(const struct karp *k, int pool, int t, uint64_t zones)
{
	return karp_offer_worst(offers(k), t, zones, k->cfg->pools[pool].capacity, k->w->s->now);
}

/* Whether node n is being deleted as Karpenter's state sees it
 * (MarkedForDeletion): draining, or the candidate of a command whose
 * replacement is starting. Such nodes neither take pods in the provisioning
 * simulation nor count against the limits (provisioner.go Schedule passes
 * nodes.Active()). */
static bool marked_for_deletion(const struct wnode *n) { return n->state == NODE_DRAINING || n->replaced_by; }

/* What the active nodes of each pool take of its limits, into k->used:
 * their types' vCPUs and MiB (capacity), and their number. */
static void pool_usage(struct karp *k)
{
	memset(k->used, 0, k->cfg->n_pools * sizeof *k->used);
	for (size_t i = 0; i < k->w->n_nodes; i++) {
		const struct wnode *n = k->w->wnodes[i];
		if (n->pool < 0 || n->static_node || marked_for_deletion(n))
			continue;
		struct karp_usage *u = &k->used[n->pool];
		const struct instance_type *t = catalog_find(k->cat, n->type);
		if (t) {
			u->cpu += t->vcpu;
			u->mem += t->memory_mib * 1048576.0;
		}
		u->nodes++;
	}
}

/* The provisioning simulation's view of the world, without pods or nodes
 * (the caller adds them). */
static struct karp_state karp_view(const struct karp *k)
{
	return (struct karp_state){.cfg = k->cfg,
				   .cat = k->cat,
				   .ds = k->ds,
				   .used = k->used,
				   .fits = &k->fits,
				   .pl = &k->w->place,
				   .zones_down = k->w->zones_down,
				   .offers = offers(k),
				   .now = k->w->s->now};
}

/* Whether type t, with the pool's node class, holds requests (cpu, mem,
 * pods) beside the DaemonSets. */
static bool type_fits(const struct karp *k, int pool, int t, double cpu, double mem, int pods)
{
	struct karp_state st = karp_view(k);
	return karp_type_holds(&st, pool, t, cpu, mem, pods);
}

int karp_claim_type(const struct world *w, int pool, double cpu, double mem, int pods)
{
	assert(w->sc->cluster.provisioner == PROV_KARPENTER && w->prov.self);
	struct karp *k = w->prov.self;
	size_t cur = k->cur;
	k->cur = pool_ctl(k, pool); /* the offerings cache of the pool's cluster's Karpenter */
	pool_usage(k);
	struct karp_state st = karp_view(k);
	int t = karp_claim_options(&st, pool, &k->used[pool], cpu, mem, pods, k->opts) ? k->opts[0] : -1;
	k->cur = cur;
	return t;
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

/* The nodes replacement r was launched for: drained now that r is Ready
 * (drain), or, r deleted before it was, candidates again (the command
 * failed: the orchestration queue gives its candidates back). */
static void release_replaced(struct world *w, const struct wnode *r, bool drain)
{
	for (size_t i = 0; i < w->n_nodes; i++) {
		struct wnode *o = w->wnodes[i];
		if (o->replaced_by != r->num + 1)
			continue;
		o->replaced_by = 0;
		if (drain && o->state == NODE_READY) {
			node_drain(w, o, o->drifted ? "drifted" : "replaced by a cheaper node");
			i = (size_t)-1; /* an empty node goes at once and the arrays change: start over */
		}
	}
}

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
	case EV_INITIALIZE:
		node_set_state(w, n, NODE_READY, NULL);
		release_replaced(w, n, true);
		break;
	default: { /* a liveness timeout: deleted; its pods ask again */
		bool launch = arg == EV_LAUNCH_TIMEOUT;
		node_log(w, n, launch ? "launch-timeout" : "registration-timeout",
			 launch ? "not launched within the launch timeout: deleted" :
				  "not registered within the registration timeout: deleted");
		release_replaced(w, n, false);
		k->cur = pool_ctl(k, n->pool);
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

static void pend_grow(struct karp *k, size_t n)
{
	if (n < k->cap_pend)
		return;
	k->cap_pend = k->cap_pend ? 2 * k->cap_pend : 64;
	k->pend = xrealloc(k->pend, k->cap_pend * sizeof *k->pend);
	k->kpods = xrealloc(k->kpods, k->cap_pend * sizeof *k->kpods);
}

/* IsCurrentlyReschedulable (pkg/utils/pdb): a pod of a node being deleted
 * that Karpenter provisions for before it goes: Running and not being
 * deleted, without karpenter.sh/do-not-disrupt, and not under a fully
 * blocking PDB (maxUnavailable 0 or "0%", minAvailable "100%"), which
 * would keep it there indefinitely. */
static bool reschedulable(const struct world *w, const struct pod *p)
{
	const struct scn_service *cfg = p->svc->cfg;
	if (p->phase != POD_RUNNING || cfg->do_not_disrupt)
		return false;
	if (cfg->pdb < 0)
		return true;
	const struct scn_pdb *b = &w->sc->pdbs[cfg->pdb];
	bool blocking = b->budget == PDB_MAX_UNAVAILABLE ? b->value.value == 0
							 : b->value.pct && b->value.value == 100;
	return !blocking;
}

/* The pods of interrupted nodes (draining until their instance goes) that
 * the batch places too, from n on: upstream's provisioner schedules the
 * reschedulable pods of every node marked for deletion
 * (provisioner.go Schedule, nodes.Deleting()), so their capacity is
 * launched before the pods are evicted. Here only interrupted nodes' pods
 * join (other drains: docs/model.md, Karpenter). */
static size_t collect_interrupted(struct karp *k, size_t n)
{
	struct world *w = k->w;
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *nd = w->wnodes[i];
		if (nd->reclaim_at == SIM_FOREVER || nd->state != NODE_DRAINING || !mine(k, nd))
			continue;
		for (uint32_t j = 0; j < nd->n_hosted; j++) {
			struct pod *p = nd->pods[j];
			if (!reschedulable(w, p))
				continue;
			pend_grow(k, n);
			k->pend[n] = p;
			k->kpods[n++] = (struct karp_pod){p->svc->cfg->cpu_request, p->svc->cfg->memory_request, p->created,
							  (int)p->svc->idx, &w->pnodes[i]};
		}
	}
	return n;
}

/* The pending pods not bound yet, and the pods of interrupted nodes, into
 * k->pend and k->kpods; returns how many. */
static size_t collect_pending(struct karp *k)
{
	struct world *w = k->w;
	size_t n = 0;
	for (size_t i = 0; i < w->n_svcs; i++) {
		struct service *sv = &w->svcs[i];
		if (!sv->n_pending || (k->n_ctl > 1 && sv->cfg->kcluster != ctl(k)->cluster))
			continue;
		for (uint32_t j = 0; j < sv->n_pods; j++) {
			struct pod *p = sv->pods[j];
			/* IsProvisionable: not a pod nominated by a preemption (IsPreempting) */
			if (p->slot_free || p->phase != POD_PENDING || p->bound || p->nominated)
				continue;
			pend_grow(k, n);
			k->pend[n] = p;
			k->kpods[n++] = (struct karp_pod){sv->cfg->cpu_request, sv->cfg->memory_request, p->created, (int)i,
							  NULL};
		}
	}
	return collect_interrupted(k, n);
}

/* The nodes a simulation may place pods on, as karp_solve takes them, in
 * the world's order, into k->x->knodes (kidx their indices in the world):
 * every node but c[0..n) not being deleted, Ready (initialized) or, with
 * in_flight, launched or registered, with the room it has left (a NotReady
 * node's unreachable taint takes no pod); returns how many. */
static size_t sim_nodes(const struct karp *k, const struct wnode *const *c, size_t n, bool in_flight)
{
	const struct world *w = k->w;
	struct scratch *x = k->x;
	x->skip = xgrow(x->skip, &x->cap_skip, w->n_nodes, sizeof *x->skip);
	x->knodes = xgrow(x->knodes, &x->cap_knodes, w->n_nodes, sizeof *x->knodes);
	x->kidx = xgrow(x->kidx, &x->cap_kidx, w->n_nodes, sizeof *x->kidx);
	memset(x->skip, 0, w->n_nodes * sizeof *x->skip);
	for (size_t j = 0; j < n; j++)
		x->skip[c[j]->idx] = true;
	size_t nn = 0;
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *nd = w->wnodes[i];
		const struct sched_node *sn = &w->nodes[i];
		if (x->skip[i] || marked_for_deletion(nd) || nd->state == NODE_NOT_READY ||
		    (!in_flight && nd->state != NODE_READY) || !mine(k, nd))
			continue;
		x->knodes[nn] = (struct karp_node){sn->alloc_cpu - sn->req_cpu, sn->alloc_mem - sn->req_mem,
						   sn->alloc_pods - sn->n_pods, nd->state != NODE_READY, &w->pnodes[i]};
		x->kidx[nn++] = (uint32_t)i;
	}
	return nn;
}

/* The detail of a NodeClaim's "launched" row: its type, capacity type
 * when spot, and price, then its options as provisioner.go logs them
 * ("instance-types": the first 5 and "and N other(s)"), e.g. "m5.xlarge,
 * 0.19 USD/h; cheapest of 12 compatible types: m5.xlarge, c5.2xlarge,
 * m5a.xlarge, m6i.xlarge, c6i.2xlarge and 7 other(s)". */
static void launch_detail(const struct karp *k, const struct claim *c, const struct karp_pick *at, char *buf,
			  size_t size)
{
	int n = snprintf(buf, size, "%s, %s%.2f USD/h", T(k, at->type)->name, at->k == KARP_SPOT ? "spot, " : "",
			 at->price);
	if (!c->opts || n < 0 || (size_t)n >= size)
		return;
	size_t len = (size_t)n;
	len += (size_t)snprintf(buf + len, size - len, "; cheapest of %zu compatible type%s: ", c->n_opts,
				c->n_opts == 1 ? "" : "s");
	for (size_t i = 0; i < c->n_opts && len < size; i++) {
		if (i == 5) {
			snprintf(buf + len, size - len, " and %zu other(s)", c->n_opts - 5);
			break;
		}
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", T(k, c->opts[i])->name);
	}
}

/* Appends ", TYPE in ZONE" (the first 5, then a count) to the list of the
 * offerings an insufficient-capacity error names. */
static void note_ice(const struct karp *k, const struct karp_pick *p, int n, char *buf, size_t size)
{
	size_t len = strlen(buf);
	if (len + 1 >= size)
		return;
	if (n < 5)
		snprintf(buf + len, size - len, "%s%s in %s", n ? ", " : "", T(k, p->type)->name,
			 k->w->sc->cluster.zones[p->zone]);
}

/*
 * EC2 Fleet for claim c (instance.go Create, karp_offer.h): the capacity
 * type once (spot when the claim allows it and an option has an available
 * spot offering), then its offerings of that capacity type tried cheapest
 * first. One that cluster.capacity makes short of capacity now fails (an
 * insufficient-capacity error in CreateFleet's Errors), is marked
 * unavailable for 3 minutes (updateUnavailableOfferingsCache) and the next
 * is tried, as Fleet goes on to the next override. Returns the offering
 * launched, type -1 when none was left (k still the capacity type tried);
 * *n_ice gets the errors and ice their list.
 */
static struct karp_pick fleet(struct karp *k, const struct claim *c, int *n_ice, char *ice, size_t size)
{
	const struct scn_cluster *cl = &k->w->sc->cluster;
	const int *types = c->type >= 0 ? &c->type : c->opts;
	size_t n = c->type >= 0 ? 1 : c->n_opts;
	simtime now = k->w->s->now;
	uint64_t zones = c->zones;
	/* No instance starts in a lost zone, and none is asked for: karp_solve
	 * leaves lost zones out of a new NodeClaim's (zones_down), and a
	 * single-node replacement is not launched in its node's lost zone. */
	assert(!(zones & k->w->zones_down));
	bool min_values = karp_has_min_values(&k->cfg->pools[c->pool]);
	double cap = karp_offer_spot_cap(offers(k), types, n, zones, c->cts, min_values, now);
	int ct = karp_offer_capacity(offers(k), types, n, zones, c->cts, cap, now);
	*n_ice = 0;
	ice[0] = '\0';
	for (;;) {
		struct karp_pick p = karp_offer_cheapest(offers(k), types, n, zones, ct, cap, now);
		if (p.type < 0 || !scn_short_of(cl, p.type, p.zone, p.k == KARP_SPOT, now))
			return p;
		karp_offer_mark(offers(k), p.type, p.zone, p.k, now);
		note_ice(k, &p, (*n_ice)++, ice, size);
	}
}

/* The "insufficient-capacity" row of a launch whose Fleet call met n_ice
 * errors: launched (into node `as`) or not (the NodeClaim is deleted). */
static void tell_ice(struct karp *k, const struct claim *c, int ct, int n_ice, const char *ice, const char *as)
{
	struct world *w = k->w;
	char detail[400], name[64];
	char more[32] = "";
	if (n_ice > 5)
		snprintf(more, sizeof more, " and %d other(s)", n_ice - 5);
	snprintf(detail, sizeof detail, "%s: %s%s short of capacity, unavailable for 3m; %s",
		 ct == KARP_SPOT ? "spot" : "on-demand", ice, more,
		 as ? "launched the next cheapest" :
		 c->type >= 0 ? "NodeClaim deleted, its nodes stay" : "NodeClaim deleted, pods wait for the next batch");
	if (!as)
		snprintf(name, sizeof name, "%.40s-%u", k->cfg->pools[c->pool].name, w->next_node_num++);
	node_log_as(w, as ? as : name, c->pods, "insufficient-capacity", detail);
}

/* Launches claim c into the offering Fleet gives it (nodes of t = 0 Ready
 * at once, their rows held back until the start is settled). Returns the
 * node, or NULL when every offering failed: the NodeClaim is deleted
 * (lifecycle/launch.go) and a new batch will place its pods. */
static struct wnode *launch(struct karp *k, const struct claim *c)
{
	struct world *w = k->w;
	const struct scn_nodepool *np = &k->cfg->pools[c->pool];
	int n_ice;
	char ice[240];
	struct karp_pick at = fleet(k, c, &n_ice, ice, sizeof ice); /* at.k: the capacity type tried, launched or not */
	if (at.type < 0) {
		if (!k->up)
			tell_ice(k, c, at.k, n_ice, ice, NULL);
		return NULL;
	}
	const struct instance_type *t = T(k, at.type);
	struct node_spec spec = {at.zone, &np->meta, np->name, at.k == KARP_SPOT};
	/* node_add's row says less than launch_detail; a node of t = 0 is told
	 * once the start is settled (karp_settle). */
	struct sink out = w->out;
	w->out.decision = NULL;
	struct wnode *n = node_add(w, np->name, t->name, c->pool,
				   (struct sched_alloc){np->alloc_cpu[at.type], np->alloc_mem[at.type], np->alloc_pods[at.type]},
				   at.price, k->up ? NODE_READY : NODE_LAUNCHING, &spec);
	w->out = out;
	n->gen = k->drift[c->pool].gen;
	if (k->up)
		return n;
	if (n_ice)
		tell_ice(k, c, at.k, n_ice, ice, n->name);
	char detail[320];
	launch_detail(k, c, &at, detail, sizeof detail);
	node_log(w, n, "launched", detail);
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

/* Whether some NodePool has taints group g's pods tolerate and, in some
 * zone, a type whose labels their node requirements accept. */
static bool admitted(const struct karp *k, int g)
{
	for (size_t p = 0; p < k->cfg->n_pools; p++)
		if (k->fits.slots[2 * (p * k->fits.n_groups + (size_t)g)])
			return true;
	return false;
}

/* A batch: the provisioning simulation over the pending pods and the
 * nodes, then its NodeClaims launched. Pods it puts on a node in flight
 * are nominated to it (nom_*, recomputed from scratch at every batch, as
 * every pending pod is placed again); pods it puts on a Ready node wait
 * for kube-scheduler; a pod it cannot place is reported once. */
static void provision(struct karp *k)
{
	struct world *w = k->w;
	pool_usage(k);
	struct karp_state st = karp_view(k);
	st.n_pods = collect_pending(k);
	st.pods = k->kpods;
	st.n_nodes = sim_nodes(k, NULL, 0, true);
	st.nodes = k->x->knodes;
	struct karp_result r = karp_solve(k->solver, &st);
	for (size_t i = 0; i < st.n_nodes; i++) {
		struct wnode *nd = w->wnodes[k->x->kidx[i]];
		nd->nom_cpu = nd->nom_mem = 0;
		nd->nom_pods = 0;
	}
	for (size_t i = 0; i < st.n_pods; i++) {
		struct pod *p = k->pend[i];
		if (r.dest[i].kind == KARP_DEST_NODE) {
			struct wnode *nd = w->wnodes[k->x->kidx[r.dest[i].idx]];
			if (nd->state != NODE_READY) {
				nd->nom_cpu += st.pods[i].cpu;
				nd->nom_mem += st.pods[i].mem;
				nd->nom_pods++;
			}
		} else if (r.dest[i].kind == KARP_DEST_NONE && !p->prov_logged) {
			char why[240];
			if (!admitted(k, st.pods[i].group))
				snprintf(why, sizeof why,
					 "Karpenter: no NodePool admits the pod: none has taints it tolerates and "
					 "labels its nodeSelector and node affinity accept");
			else
				snprintf(why, sizeof why,
					 "Karpenter: no NodePool can launch a node for %.3g cores and %.0f MiB within its "
					 "requirements and limits and the pod's topology spread and pod affinity",
					 st.pods[i].cpu, st.pods[i].mem / 1048576.0);
			pod_log(w, p, "unprovisionable", why);
			p->prov_logged = true;
		}
	}
	bool failed = false;
	for (size_t i = 0; i < r.n_claims; i++) {
		const struct karp_claim *c = &r.claims[i];
		struct claim cl = {c->pool, c->cpu, c->mem, c->pods, -1, c->types, c->n_types,
				   karp_claim_zones(&st, c->pool, c->zones), c->cts};
		failed |= !launch(k, &cl);
	}
	if (failed && !k->up)
		trigger(w, k, NULL); /* the deleted NodeClaims' pods: a new batch, other offerings */
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
	struct karp_ctl *c = &k->ctl[arg];
	simtime close = karp_batch_closes(&c->batch, k->cfg->batch_idle, k->cfg->batch_max);
	if (s->now < close)
		return close - s->now; /* a new trigger came meanwhile */
	karp_batch_close(&c->batch);
	c->batch_ev = EVH_NONE;
	k->cur = arg;
	provision(k);
	return SIM_DONE;
}

/* A pod that fits no node (p: its cluster's installation), or a NodeClaim
 * deleted (p NULL: no dedupe key; the installation acting now). */
static void trigger(struct world *w, void *self, struct pod *p)
{
	struct karp *k = self;
	simtime now = w->s->now;
	size_t i = p && k->n_ctl > 1 ? (size_t)p->svc->cfg->kcluster : k->cur;
	struct karp_ctl *c = &k->ctl[i];
	if (!karp_batch_trigger(&c->batch, now, p ? &p->batch_mark : NULL))
		return;
	c->batch_ev = sim_at(w->s, karp_batch_closes(&c->batch, k->cfg->batch_idle, k->cfg->batch_max), PRIO_CONTROL,
			     batch_ev, k, i);
}

/* ---- interruptions and lost zones ---- */

/*
 * A spot interruption notice (models/spot.h), as the AWS provider's
 * interruption controller handles a SpotInterruption message
 * (pkg/controllers/interruption/utils.go: actionForMessage CordonAndDrain,
 * deleteNodeClaim): the NodeClaim is deleted at once, so the termination
 * controller taints and drains the node through the eviction API (PDBs
 * and do-not-disrupt honoured; no disruption budget: deletion is not a
 * disruption method), waiting at most the pool's terminationGracePeriod;
 * and the provisioner is triggered (its NodeController triggers on a node
 * with the disrupted taint), placing the node's reschedulable pods
 * (collect_interrupted) as well as the evicted pods' replacements. What is
 * left when the notice ends goes with the instance (spot.h). The
 * controller also marks the node's spot offering (its type in its zone)
 * unavailable for 3 minutes (controller.go: MarkUnavailable with the
 * SpotInterruption reason), so the replacement goes to another offering.
 */
static void interrupted(struct world *w, void *self, struct wnode *n)
{
	struct karp *k = self;
	if (n->static_node || n->pool < 0)
		return;
	k->cur = pool_ctl(k, n->pool);
	const struct instance_type *it = catalog_find(k->cat, n->type);
	if (it && n->spot && n->zone >= 0)
		karp_offer_mark(offers(k), (int)(it - k->cat->types), n->zone, KARP_SPOT, w->s->now);
	simtime tgp = k->cfg->pools[n->pool].termination_grace;
	release_replaced(w, n, false); /* a replacement in flight: its candidates are candidates again */
	trigger(w, k, NULL);
	node_drain_grace(w, n, "spot interruption", tgp > 0 ? tgp : SIM_FOREVER); /* n may be gone */
}

/* A NodeClaim whose instance was lost before it registered (a lost zone):
 * it never will, so liveness deletes it at its registration timeout
 * (nodeclaim/lifecycle/liveness.go), and its pods ask again then. One
 * registered but not initialized stays until its zone's nodes go. */
static void node_lost(struct world *w, void *self, struct wnode *n)
{
	struct karp *k = self;
	if (n->static_node || n->pool < 0 || n->ev != EVH_NONE || n->state != NODE_LAUNCHING)
		return; /* a registered one waits for its zone's nodes to be removed */
	simtime at = HR_MAX(w->s->now, n->launched + k->cfg->registration_timeout);
	node_at(k, n, at - w->s->now, EV_REG_TIMEOUT);
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

bool karp_budget_active(const struct scn_budget *b, int64_t unix_ns)
{
	if (!b->scheduled)
		return true;
	struct tz utc;
	tz_utc(&utc);
	int64_t hit = cron_next(&b->schedule, &utc, unix_ns - b->duration);
	return hit != CRON_NEVER && hit * SIM_S <= unix_ns;
}

int karp_budget_allowed_at(const struct scn_nodepool *np, unsigned reason, int n_nodes, int64_t unix_ns)
{
	assert(n_nodes >= 0 && reason);
	int a = INT32_MAX;
	for (size_t i = 0; i < np->n_budgets; i++) {
		const struct scn_budget *b = &np->budgets[i];
		if (!(b->reasons & reason) || !karp_budget_active(b, unix_ns))
			continue; /* another reason's, or inactive: MaxInt32 */
		/* GetScaledValueFromIntOrPercent(..., roundUp true): ceil(pct x n / 100), in integers */
		int v = b->pct >= 0 ? (int)(((int64_t)n_nodes * (int64_t)b->pct + 99) / 100) : b->nodes;
		a = HR_MIN(a, v);
	}
	return a;
}

/* The Unix time of the world's clock, ns: the scenario's start plus now. */
static int64_t unix_now(const struct world *w) { return w->sc->start_unix * SIM_S + w->s->now; }

int karp_disruptions_allowed_for(const struct world *w, int pool, unsigned reason)
{
	assert(w->sc->cluster.provisioner == PROV_KARPENTER);
	const struct scn_nodepool *np = &w->sc->cluster.karpenter.pools[pool];
	int nodes = 0, disrupting = 0;
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *n = w->wnodes[i];
		if (n->pool != pool || n->static_node || !initialized(n))
			continue;
		nodes++;
		if (n->state != NODE_READY || n->replaced_by) /* NotReady, or MarkedForDeletion */
			disrupting++;
	}
	return HR_MAX(karp_budget_allowed_at(np, reason, nodes, unix_now(w)) - disrupting, 0);
}

int karp_disruptions_allowed(const struct world *w, int pool)
{
	int a = INT32_MAX;
	for (unsigned r = SCN_REASON_UNDERUTILIZED; r <= SCN_REASON_DRIFTED; r <<= 1)
		a = HR_MIN(a, karp_disruptions_allowed_for(w, pool, r));
	return a;
}

static int allowed(const struct karp *k, int pool, unsigned reason)
{
	return karp_disruptions_allowed_for(k->w, pool, reason);
}

/* Whether node n may be consolidated at time now, PDBs and do-not-disrupt aside. */
static bool consolidatable_at(const struct karp *k, const struct wnode *n, simtime now)
{
	if (n->static_node || n->pool < 0 || n->state != NODE_READY || n->replaced_by)
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
	return consolidatable_at(k, n, now) && mine(k, n) && !evict_karpenter_blocked(k->w, n, why, sizeof why);
}

/* A drifted node drift may take (PDBs and do-not-disrupt aside). */
static bool drift_ready(const struct wnode *n)
{
	return n->drifted && !n->static_node && n->pool >= 0 && n->state == NODE_READY && !n->replaced_by;
}

/* A decision row for each node that would be a candidate but is protected,
 * when its reason changes (not every 10 s poll). */
static void note_blocked(struct karp *k)
{
	struct world *w = k->w;
	for (size_t i = 0; i < w->n_nodes; i++) {
		struct wnode *n = w->wnodes[i];
		char why[EVICT_WHY_LEN] = "";
		if (consolidatable_at(k, n, w->s->now) || drift_ready(n))
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

static bool pods_fit_elsewhere(const struct karp *k, const struct wnode *n);

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

/* The cheapest type of pool `pool` that holds requests (cpu, mem, pods)
 * beside the DaemonSets and, launched in `zones`, costs less than `below`
 * USD/h (INFINITY: any) at its launch price (launch_price: only types with
 * an available offering there), or -1; -1 too when the types that do (the
 * options) keep fewer than minValues values of a key (consolidation.go
 * filters the options by price with
 * RemoveInstanceTypeOptionsByPriceAndMinValues). Ties go to the pool's
 * order. The pool's limits are not looked at. The options are left in
 * k->opts, in the pool's order; with n_opts, *n_opts gets their number. */
static int cheapest_below(const struct karp *k, int pool, double cpu, double mem, int pods, double below,
			  uint64_t zones, size_t *n_opts)
{
	const struct scn_nodepool *np = &k->cfg->pools[pool];
	int best = -1;
	double best_p = 0;
	size_t n_ok = 0;
	for (size_t i = 0; i < np->n_types; i++) {
		int t = np->types[i];
		double p = launch_price(k, pool, t, zones);
		if (p <= 0 || p >= below - 1e-9 || !type_fits(k, pool, t, cpu, mem, pods))
			continue;
		if (best < 0 || p < best_p) {
			best = t;
			best_p = p;
		}
		k->opts[n_ok++] = t;
	}
	if (n_opts)
		*n_opts = n_ok;
	return karp_min_values_ok(np, k->opts, n_ok) ? best : -1;
}

/* Single-node replacement: the cheapest type of n's pool that holds n's
 * pods and costs less than n, or -1. Spot to spot
 * (consolidation.go computeSpotToSpotConsolidation, single node) needs at
 * least 15 such options: then n is not among the 15 cheapest, and the
 * launch, limited to those 15, cannot land on a type that a next
 * consolidation would replace again. With opts, the options are left in
 * k->opts and *opts says how many. */
static int cheaper_replacement(const struct karp *k, const struct wnode *n, size_t *opts)
{
	double cpu, mem;
	int pods;
	node_load(k->w, n, &cpu, &mem, &pods);
	size_t n_opts;
	uint64_t zones = node_zones(k, n);
	int t = cheapest_below(k, n->pool, cpu, mem, pods, n->price_hour, zones, &n_opts);
	if (opts)
		*opts = n_opts;
	if (t >= 0 && n->spot && replace_cts(k, n->pool, t, zones) == SCN_SPOT && n_opts < KARP_SPOT_TO_SPOT_MIN)
		return -1;
	return t;
}

static struct wnode *by_num(const struct world *w, uint32_t num)
{
	for (size_t i = 0; i < w->n_nodes; i++)
		if (w->wnodes[i]->num == num)
			return w->wnodes[i];
	return NULL;
}

/* ---- multi-node consolidation ----
 *
 * disruption/multinodeconsolidation.go ComputeCommands at the docs/model.md
 * commit. The candidates (consolidatable, not empty: Emptiness takes
 * those, in a WhenEmptyOrUnderutilized pool, no pod protected) are sorted
 * by savings ratio, price over disruption cost, highest first
 * (consolidation.go sortCandidates; the disruption cost is 1 plus each
 * pod's EvictionCost, 1 for a pod without a deletion cost or priority, so
 * price / (1 + pods)). Releases before it sorted by disruption cost,
 * lowest first; this follows the newer code. In that order, a candidate
 * whose pool has no disruption left in its budget is passed over, the
 * others each take one. firstNConsolidationOption then binary-searches the
 * prefix length over [2, min(n, 100)] as its bounds are written (min 1,
 * max = min(n, 100), or n - 1 when n <= 100, a prefix being mid + 1 long:
 * with more than 100 candidates the longest prefix tried is 101). A prefix
 * holds when computeConsolidation finds a command for it, and the search
 * keeps the last that held.
 *
 * computeConsolidation through SimulateScheduling, which runs the
 * provisioning simulation (karp_solve, karp_sched.h) over the prefix's
 * pods: largest CPU then memory first, first fit onto the room the Ready
 * nodes outside the prefix (and not being replaced) have left, then onto
 * new NodeClaims; a second NodeClaim fails the prefix ("we're not going to
 * turn a single node into multiple candidates"), and so does a pod that
 * fits nowhere. With no
 * NodeClaim the prefix is deleted. With one it is replaced by the cheapest
 * type that holds the claim's pods, costs less than the prefix's nodes
 * together, and (filterOutSameInstanceType) less than each candidate whose
 * own type is among those options, minValues kept: replacing two nodes
 * with one of the same type as one of them is deleting the other, which
 * single-node consolidation does with less disruption. Spot to spot needs
 * no 15 options here: computeSpotToSpotConsolidation returns multi-node
 * commands before that check. Not modelled: pending pods and pods of
 * nodes already deleting joining the simulation, pods that would land on
 * a node still initializing (upstream fails the command; here those nodes
 * take none), and NodePool limits on the replacement.
 */

/* Whether pod p on node n would be moved (bound there, not terminating). */
static bool moves(const struct pod *p, const struct wnode *n)
{
	return !p->slot_free && p->bound && p->node == (int)n->idx && p->phase <= POD_RUNNING;
}

static int moving_pods(const struct wnode *n)
{
	int c = 0;
	for (uint32_t j = 0; j < n->n_hosted; j++)
		c += moves(n->pods[j], n);
	return c;
}

/* Empty: no pod of it would have to move. Pods terminating do not count
 * (emptiness.go takes candidates without reschedulable pods, and a
 * terminating Deployment pod is not one: emptiness_test.go "will consider
 * a node with terminating Deployment pods as empty"); DaemonSet pods are
 * not among n's pods at all. */
static bool empty_node(const struct wnode *n) { return n->n_pods == 0 || moving_pods(n) == 0; }

/* A multi-node candidate at time now (ShouldDisrupt): a candidate with
 * pods to move, in a pool that consolidates underutilized nodes (the
 * PDB and do-not-disrupt look, the dearest, last). */
static bool multi_candidate(const struct karp *k, const struct wnode *n, simtime now)
{
	return consolidatable_at(k, n, now) &&
	       k->cfg->pools[n->pool].policy == CONSOLIDATE_WHEN_EMPTY_OR_UNDERUTILIZED && moving_pods(n) > 0 &&
	       candidate_at(k, n, now);
}

struct ranked {
	double ratio;    /* Candidate.SavingsRatio: USD/h per unit of disruption cost */
	struct wnode *n;
};

/* Savings ratio, highest first; then by number. */
static int ratio_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->ratio != y->ratio)
		return x->ratio > y->ratio ? -1 : 1;
	return (x->n->num > y->n->num) - (x->n->num < y->n->num);
}

enum { MSIM_NONE, MSIM_DELETE, MSIM_REPLACE };

struct msim {      /* the new NodeClaim of a simulation */
	int pool;      /* its pool, -1: none needed */
	double cpu, mem; /* its pods' requests: cores, bytes */
	int pods;
	int type;      /* the replacement (MSIM_REPLACE), catalog index; else -1 */
	uint64_t zones; /* the cluster zones it may launch in */
};

static bool pool_has(const struct scn_nodepool *np, int t)
{
	for (size_t i = 0; i < np->n_types; i++)
		if (np->types[i] == t)
			return true;
	return false;
}

/* What the replacement of nodes c[0..n) must cost less than, USD/h: their
 * prices together, and each one's whose type is among the claim's options
 * (filterOutSameInstanceType). */
static double replacement_below(const struct karp *k, const struct wnode *const *c, size_t n, const struct msim *m)
{
	const struct scn_nodepool *np = &k->cfg->pools[m->pool];
	double sum = 0;
	for (size_t j = 0; j < n; j++)
		sum += c[j]->price_hour;
	double below = sum;
	for (size_t j = 0; j < n; j++) {
		const struct instance_type *it = catalog_find(k->cat, c[j]->type);
		int t = it ? (int)(it - k->cat->types) : -1;
		double p = t >= 0 ? launch_price(k, m->pool, t, m->zones) : 0;
		if (t >= 0 && c[j]->price_hour < below && p > 0 && p < sum - 1e-9 && pool_has(np, t) &&
		    type_fits(k, m->pool, t, m->cpu, m->mem, m->pods))
			below = c[j]->price_hour;
	}
	return below;
}

/* The pods of nodes c[0..n) that would move, largest first, into k->x->pods
 * (and kpods); returns how many. */
static size_t candidate_pods(const struct karp *k, const struct wnode *const *c, size_t n)
{
	struct scratch *x = k->x;
	size_t np = 0;
	for (size_t j = 0; j < n; j++) {
		x->pods = xgrow(x->pods, &x->cap_pods, np + c[j]->n_hosted, sizeof *x->pods);
		for (uint32_t i = 0; i < c[j]->n_hosted; i++) {
			struct pod *p = c[j]->pods[i];
			if (moves(p, c[j]))
				x->pods[np++] = (struct pend){p, p->svc->cfg->cpu_request, p->svc->cfg->memory_request};
		}
	}
	if (np > 1)
		qsort(x->pods, np, sizeof *x->pods, pend_cmp);
	x->kpods = xgrow(x->kpods, &x->cap_kpods, np, sizeof *x->kpods);
	for (size_t a = 0; a < np; a++)
		x->kpods[a] = (struct karp_pod){x->pods[a].cpu, x->pods[a].mem, x->pods[a].p->created,
						(int)x->pods[a].p->svc->idx, &k->w->pnodes[x->pods[a].p->node]};
	return np;
}

/* SimulateScheduling and computeConsolidation over nodes c[0..n): the
 * provisioning simulation (karp_solve) places their pods on the other Ready
 * nodes and on new NodeClaims, NodePool limits aside; more than one
 * NodeClaim fails the command. Where the pods would go goes into k->x->pods
 * and dest; returns whether that deletes the nodes (MSIM_DELETE), replaces
 * them (MSIM_REPLACE, *m the replacement) or does neither (MSIM_NONE). */
static int simulate(const struct karp *k, const struct wnode *const *c, size_t n, struct msim *m)
{
	struct scratch *x = k->x;
	struct karp_state st = karp_view(k);
	st.used = NULL;
	st.n_pods = candidate_pods(k, c, n);
	st.pods = x->kpods;
	st.n_nodes = sim_nodes(k, c, n, false);
	st.nodes = x->knodes;
	struct karp_result r = karp_solve(k->solver, &st);
	*m = (struct msim){.pool = -1, .type = -1, .zones = 0};
	if (r.n_claims > 1)
		return MSIM_NONE; /* "we're not going to turn a single node into multiple candidates" */
	x->dest = xgrow(x->dest, &x->cap_dest, st.n_pods, sizeof *x->dest);
	x->n_pods = st.n_pods;
	for (size_t a = 0; a < st.n_pods; a++) {
		if (r.dest[a].kind == KARP_DEST_NONE)
			return MSIM_NONE;
		x->dest[a] = r.dest[a].kind == KARP_DEST_NODE ? (int)x->kidx[r.dest[a].idx] : -1;
	}
	if (!r.n_claims)
		return MSIM_DELETE;
	const struct karp_claim *cl = &r.claims[0];
	*m = (struct msim){cl->pool, cl->cpu, cl->mem, cl->pods, -1, karp_claim_zones(&st, cl->pool, cl->zones)};
	m->type = cheapest_below(k, m->pool, m->cpu, m->mem, m->pods, replacement_below(k, c, n, m), m->zones, NULL);
	return m->type >= 0 ? MSIM_REPLACE : MSIM_NONE;
}

/* Whether node n's pods all fit on the other Ready nodes (not being
 * replaced), as the provisioning simulation places them: resources,
 * taints, node requirements and topology (SimulateScheduling with no new
 * NodeClaim). Where each goes is left in k->x->pods and dest. */
static bool pods_fit_elsewhere(const struct karp *k, const struct wnode *n)
{
	struct msim m;
	return simulate(k, &n, 1, &m) == MSIM_DELETE;
}

/* Multi-node consolidation: the longest prefix of the candidates that a
 * simulation deletes or replaces with one node, as c (nothing when none). */
static void plan_multi(const struct karp *k, simtime now, const int *left, struct karp_cmd *c)
{
	const struct world *w = k->w;
	struct scratch *x = k->x;
	int *budget = x->left + k->cfg->n_pools;
	memcpy(budget, left, k->cfg->n_pools * sizeof *budget);
	x->cands = xgrow(x->cands, &x->cap_cands, w->n_nodes, sizeof *x->cands);
	x->ranked = xgrow(x->ranked, &x->cap_ranked, w->n_nodes, sizeof *x->ranked);
	size_t n = 0;
	for (size_t i = 0; i < w->n_nodes; i++) {
		struct wnode *nd = w->wnodes[i];
		if (multi_candidate(k, nd, now))
			x->ranked[n++] = (struct ranked){nd->price_hour / (1 + moving_pods(nd)), nd};
	}
	if (n > 1)
		qsort(x->ranked, n, sizeof *x->ranked, ratio_cmp);
	size_t kept = 0;
	for (size_t i = 0; i < n; i++)
		if (budget[x->ranked[i].n->pool] > 0) {
			budget[x->ranked[i].n->pool]--;
			x->cands[kept++] = x->ranked[i].n;
		}
	if (kept < 2)
		return;
	size_t lo = 1, hi = HR_MIN(kept, (size_t)KARP_MULTI_MAX), best = 0;
	if (kept <= hi)
		hi = kept - 1;
	int best_r = MSIM_NONE;
	struct msim best_m = {.pool = -1, .type = -1};
	while (lo <= hi) {
		size_t mid = (lo + hi) / 2;
		struct msim m;
		int r = simulate(k, (const struct wnode *const *)x->cands, mid + 1, &m);
		if (r != MSIM_NONE) {
			best = mid + 1;
			best_r = r;
			best_m = m;
			lo = mid + 1;
		} else {
			hi = mid - 1; /* mid >= 1 */
		}
	}
	if (!best)
		return;
	assert(best <= KARP_CMD_MAX);
	c->kind = best_r == MSIM_DELETE ? KARP_CMD_DELETE : KARP_CMD_REPLACE;
	for (size_t i = 0; i < best; i++)
		c->num[c->n++] = x->cands[i]->num;
	c->replace = best_m.type;
	c->pool = best_m.pool;
	c->reason = best_r == MSIM_DELETE ? "underutilized (multi-node)" :
					    "replace several nodes with one cheaper node";
}

/* The nodes of command c, found again by number into k->x->cands: false
 * when one is gone. */
static bool cmd_nodes(const struct karp *k, const struct karp_cmd *c)
{
	struct scratch *x = k->x;
	x->cands = xgrow(x->cands, &x->cap_cands, (size_t)c->n, sizeof *x->cands);
	for (int i = 0; i < c->n; i++)
		if (!(x->cands[i] = by_num(k->w, c->num[i])))
			return false;
	return true;
}

/* A multi-node command found 15 s ago, validated as
 * validation.go ConsolidationValidator does it, all or nothing: every
 * node still a candidate within its pool's budget, and the simulation
 * over them still coming to the same: a deletion, or one NodeClaim in the
 * same pool that the chosen type still holds (its options a superset of
 * the command's). Then the nodes drain, or the replacement launches and
 * they drain once it is Ready. */
static void execute_multi(struct karp *k)
{
	struct world *w = k->w;
	const struct karp_cmd *c = &ctl(k)->cmd;
	struct scratch *x = k->x;
	if (!cmd_nodes(k, c))
		return;
	for (size_t p = 0; p < k->cfg->n_pools; p++)
		x->left[p] = allowed(k, (int)p, SCN_REASON_UNDERUTILIZED);
	for (int i = 0; i < c->n; i++)
		if (!multi_candidate(k, x->cands[i], w->s->now) || x->left[x->cands[i]->pool]-- <= 0)
			return;
	struct msim m;
	int r = simulate(k, (const struct wnode *const *)x->cands, (size_t)c->n, &m);
	if (r == MSIM_NONE || (r == MSIM_DELETE) != (c->kind == KARP_CMD_DELETE))
		return;
	if (r == MSIM_DELETE) {
		for (int i = 0; i < c->n; i++)
			node_drain(w, x->cands[i], c->reason);
		return;
	}
	if (m.pool != c->pool || !type_fits(k, m.pool, c->replace, m.cpu, m.mem, m.pods))
		return;
	size_t n_opts;
	cheapest_below(k, m.pool, m.cpu, m.mem, m.pods,
		       replacement_below(k, (const struct wnode *const *)x->cands, (size_t)c->n, &m), m.zones, &n_opts);
	struct claim cl = {m.pool, m.cpu, m.mem, m.pods, c->replace, k->opts, n_opts, m.zones,
			   replace_cts(k, m.pool, c->replace, m.zones)};
	struct wnode *r_node = launch(k, &cl);
	if (!r_node)
		return; /* insufficient capacity: the command fails, its nodes stay */
	for (int i = 0; i < c->n; i++) {
		struct wnode *n = x->cands[i];
		n->replaced_by = r_node->num + 1;
		node_log(w, n, "replacing", r_node->name);
	}
}

/* Runs the command found 15 s ago if it still holds. */
static void execute(struct karp *k)
{
	struct world *w = k->w;
	const struct karp_cmd *c = &ctl(k)->cmd;
	ctl(k)->pending = false;
	if (c->kind != KARP_CMD_DELETE_EMPTY && c->n > 1) {
		execute_multi(k);
		return;
	}
	for (int i = 0; i < c->n; i++) {
		struct wnode *n = by_num(w, c->num[i]);
		if (!n || !consolidatable(k, n) ||
		    allowed(k, n->pool, c->kind == KARP_CMD_DELETE_EMPTY ? SCN_REASON_EMPTY : SCN_REASON_UNDERUTILIZED) < 1)
			continue; /* no longer valid: dropped */
		bool empty = empty_node(n);
		if (c->replace >= 0) {
			/* Replace: launch the cheaper node; n is drained once it is Ready. */
			size_t n_opts;
			if (empty || pods_fit_elsewhere(k, n) || cheaper_replacement(k, n, &n_opts) != c->replace ||
			    node_zone_down(w, n->zone)) /* its zone is lost: the launch would fail */
				continue;
			uint64_t zones = node_zones(k, n);
			struct claim cl = {n->pool, 0, 0, 0, c->replace, k->opts, n_opts, zones,
					   replace_cts(k, n->pool, c->replace, zones)};
			node_load(w, n, &cl.cpu, &cl.mem, &cl.pods);
			struct wnode *r = launch(k, &cl);
			if (!r)
				continue; /* insufficient capacity: n stays */
			n->replaced_by = r->num + 1;
			node_log(w, n, "replacing", r->name);
			continue;
		}
		if (!empty && !pods_fit_elsewhere(k, n))
			continue;
		node_drain(w, n, c->reason);
	}
}

static simtime exec_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct karp *k = obj;
	k->cur = arg;
	execute(k);
	return SIM_DONE;
}

/* Empty nodes of consolidatable pools, as many as the budgets left allow. */
static void plan_empty(const struct karp *k, simtime now, int *left, struct karp_cmd *c)
{
	const struct world *w = k->w;
	for (size_t i = 0; i < w->n_nodes && c->n < KARP_CMD_MAX; i++) {
		const struct wnode *n = w->wnodes[i];
		if (candidate_at(k, n, now) && empty_node(n) && left[n->pool] > 0) {
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
		int t = cheaper_replacement(k, n, NULL);
		double saving = t >= 0 ? n->price_hour - launch_price(k, n->pool, t, node_zones(k, n)) : 0;
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
		c->pool = best->pool;
		c->reason = "replace with a cheaper node";
	}
}

/* Emptiness (empty: within the budgets for reason Empty), or else the
 * consolidation methods (within those for Underutilized). */
static struct karp_cmd plan_stage(const struct karp *k, simtime now, bool empty)
{
	struct karp_cmd c = {.kind = KARP_CMD_NONE, .replace = -1, .pool = -1};
	int *left = k->x->left;
	for (size_t p = 0; p < k->cfg->n_pools; p++)
		left[p] = allowed(k, (int)p, empty ? SCN_REASON_EMPTY : SCN_REASON_UNDERUTILIZED);
	if (empty) {
		plan_empty(k, now, left, &c);
		return c;
	}
	plan_multi(k, now, left, &c);
	if (c.kind == KARP_CMD_NONE)
		plan_delete(k, now, left, &c);
	if (c.kind == KARP_CMD_NONE)
		plan_replace(k, now, left, &c);
	return c;
}

struct karp_cmd karp_cluster_plan(const struct world *w, int cluster, simtime now)
{
	assert(w->sc->cluster.provisioner == PROV_KARPENTER && w->prov.self);
	struct karp *k = w->prov.self; /* its scratch and the installation acting: the decision's workspace */
	assert(cluster >= 0 && (size_t)cluster < k->n_ctl);
	k->cur = (size_t)cluster;
	struct karp_cmd c = plan_stage(k, now, true);
	return c.kind == KARP_CMD_NONE ? plan_stage(k, now, false) : c;
}

struct karp_cmd karp_consolidation_plan(const struct world *w, simtime now) { return karp_cluster_plan(w, 0, now); }

static bool drift_step(struct karp *k);

/* The decision now, in the methods' order (Emptiness, Drift, then
 * consolidation): drift's commands are carried out at once; a
 * consolidation's is kept for validation: logged, and run 15 s later. */
static void plan_consolidation(struct karp *k)
{
	struct world *w = k->w;
	struct karp_cmd c = plan_stage(k, w->s->now, true);
	if (c.kind == KARP_CMD_NONE && drift_step(k))
		return;
	if (c.kind == KARP_CMD_NONE)
		c = plan_stage(k, w->s->now, false);
	if (c.kind == KARP_CMD_NONE)
		return;
	ctl(k)->cmd = c;
	ctl(k)->pending = true;
	for (int i = 0; i < c.n; i++)
		node_log(w, by_num(w, c.num[i]), "disruption-candidate", c.reason);
	sim_at(w->s, w->s->now + k->cfg->validation, PRIO_CONTROL, exec_ev, k, k->cur);
}

/* ---- drift ----
 *
 * cluster.drifts changes a NodePool's node class at a time (an AMI, a
 * Kubernetes version): its nodes launched before are Drifted from then on
 * (the NodeClaim condition, its lastTransitionTime the drift), and the
 * nodes it launches afterwards are not. The Drift method
 * (kubernetes-sigs/karpenter pkg/controllers/disruption/drift.go
 * ComputeCommand) takes the candidates, oldest Drifted first, passes over
 * empty ones (left to Emptiness, so that the Drifted budget is not spent
 * on them) and those of pools with no Drifted disruption left, and makes a
 * command of the first whose pods the scheduling simulation places: on
 * the other Ready nodes and on new NodeClaims of the pool as it is now
 * (the new class). The command runs at once, not after a validation: its
 * replacements launch, the node is MarkedForDeletion (it counts against
 * the budgets as disrupting), and it drains once its replacement is Ready
 * (with no replacement needed, at once). The controller then asks again
 * at once (RequeueImmediately), so one poll may start several commands,
 * one node each, as far as the budgets allow. A node is a candidate as for
 * consolidation: initialized, Ready, not being replaced, no pod protected
 * by karpenter.sh/do-not-disrupt or a PDB allowing no disruption.
 * Not modelled: pods landing on nodes in flight (they take none here, as
 * in consolidation), NodePool limits on the replacements, and several
 * replacements each holding the drain: the node drains once the last one
 * launched is Ready.
 */

static bool drift_candidate(const struct karp *k, const struct wnode *n)
{
	char why[EVICT_WHY_LEN];
	return drift_ready(n) && mine(k, n) && initialized(n) && moving_pods(n) > 0 &&
	       !evict_karpenter_blocked(k->w, n, why, sizeof why);
}

/* Oldest Drifted first (the condition's lastTransitionTime), then by number. */
static int drifted_cmp(const void *a, const void *b)
{
	const struct wnode *x = *(const struct wnode *const *)a, *y = *(const struct wnode *const *)b;
	if (x->drifted_at != y->drifted_at)
		return x->drifted_at < y->drifted_at ? -1 : 1;
	return (x->num > y->num) - (x->num < y->num);
}

/* The command for drifted node n: its pods placed by the simulation, its
 * replacements launched. Returns whether it started (false: a pod fits
 * nowhere, or no replacement could launch). */
static bool drift_replace(struct karp *k, struct wnode *n)
{
	struct world *w = k->w;
	struct karp_state st = karp_view(k);
	st.used = NULL;
	st.n_pods = candidate_pods(k, (const struct wnode *const *)&n, 1);
	st.pods = k->x->kpods;
	st.n_nodes = sim_nodes(k, (const struct wnode *const *)&n, 1, false);
	st.nodes = k->x->knodes;
	struct karp_result r = karp_solve(k->solver, &st);
	for (size_t a = 0; a < st.n_pods; a++)
		if (r.dest[a].kind == KARP_DEST_NONE)
			return false; /* AllNonPendingPodsScheduled fails: disruptionevents.Blocked */
	node_log(w, n, "disruption-candidate", "drifted");
	if (!r.n_claims) {
		node_drain(w, n, "drifted");
		return true;
	}
	struct wnode *last = NULL;
	for (size_t i = 0; i < r.n_claims; i++) {
		const struct karp_claim *c = &r.claims[i];
		struct claim cl = {c->pool, c->cpu, c->mem, c->pods, -1, c->types, c->n_types,
				   karp_claim_zones(&st, c->pool, c->zones), c->cts};
		struct wnode *rn = launch(k, &cl);
		last = rn ? rn : last;
	}
	if (!last)
		return false; /* insufficient capacity: the command fails, n stays */
	n->replaced_by = last->num + 1;
	node_log(w, n, "replacing", last->name);
	return true;
}

/* One Drift command, if one can start now. */
static bool drift_once(struct karp *k)
{
	struct world *w = k->w;
	struct scratch *x = k->x;
	x->drifted = xgrow(x->drifted, &x->cap_drifted, w->n_nodes, sizeof *x->drifted);
	size_t n = 0;
	for (size_t i = 0; i < w->n_nodes; i++)
		if (drift_candidate(k, w->wnodes[i]))
			x->drifted[n++] = w->wnodes[i];
	if (n > 1)
		qsort(x->drifted, n, sizeof *x->drifted, drifted_cmp);
	for (size_t p = 0; p < k->cfg->n_pools; p++) /* BuildDisruptionBudgetMapping, once a command */
		x->left[p] = n ? allowed(k, (int)p, SCN_REASON_DRIFTED) : 0;
	for (size_t i = 0; i < n; i++) {
		struct wnode *nd = x->drifted[i];
		if (x->left[nd->pool] >= 1 && drift_replace(k, nd))
			return true;
	}
	return false;
}

/* Drift's commands until none can start; whether one did. */
static bool drift_step(struct karp *k)
{
	bool any = false;
	for (size_t i = 0; i <= k->w->n_nodes && drift_once(k); i++)
		any = true;
	return any;
}

/* Node n's seconds alive since `since`, and their cost. */
static void alive_since(const struct wnode *n, simtime since, simtime now, double *node_s, double *usd)
{
	double sec = sim_to_s(now - HR_MAX(n->launched, since));
	*node_s += sec;
	*usd += sec / 3600 * n->price_hour;
}

/* The upgrade of pool p is over when no drifted node of it is left
 * (`leaving` is about to go): a "drift-complete" row named after the pool,
 * with how long it took, the drifted nodes gone, and the pool's node-hours
 * and cost from the first drift to now. */
static void drift_check(struct karp *k, int p, const struct wnode *leaving)
{
	struct world *w = k->w;
	struct drift_run *d = &k->drift[p];
	if (!d->open)
		return;
	double node_s = d->node_s, usd = d->usd;
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *n = w->wnodes[i];
		if (n == leaving || n->pool != p || n->static_node)
			continue;
		if (n->drifted)
			return;
		alive_since(n, d->first, w->s->now, &node_s, &usd);
	}
	d->open = false;
	char detail[240];
	simtime took = w->s->now - d->first;
	snprintf(detail, sizeof detail,
		 "NodePool %s on %s: %.0f s (%.1f min) from the first drift to the last drifted node gone, %d "
		 "drifted node(s) gone; the pool's nodes meanwhile: %.3g node-hours, %.3g USD",
		 k->cfg->pools[p].name, d->to, sim_to_s(took), sim_to_s(took) / 60, d->gone, node_s / 3600, usd);
	node_log_as(w, k->cfg->pools[p].name, -1, "drift-complete", detail);
}

static void node_removed(struct world *w, void *self, const struct wnode *n)
{
	struct karp *k = self;
	if (n->static_node || n->pool < 0 || !k->drift[n->pool].open)
		return;
	struct drift_run *d = &k->drift[n->pool];
	alive_since(n, d->first, w->s->now, &d->node_s, &d->usd);
	d->gone += n->drifted;
	if (n->drifted)
		drift_check(k, n->pool, n);
}

/* A drift of cluster.drifts[arg]: the pool's nodes launched before it are Drifted. */
static simtime drift_ev(struct sim *s, void *obj, uint64_t arg)
{
	struct karp *k = obj;
	struct world *w = k->w;
	const struct scn_drift *dr = &w->sc->cluster.drifts[arg];
	struct drift_run *d = &k->drift[dr->pool];
	d->gen++;
	d->to = dr->nodeclass;
	char detail[200];
	snprintf(detail, sizeof detail, "NodePool %s: node class changed to %s", k->cfg->pools[dr->pool].name,
		 dr->nodeclass);
	node_log_as(w, k->cfg->pools[dr->pool].name, -1, "drift", detail);
	if (!d->open)
		*d = (struct drift_run){.gen = d->gen, .open = true, .first = s->now, .to = d->to};
	for (size_t i = 0; i < w->n_nodes; i++) {
		struct wnode *n = w->wnodes[i];
		if (n->pool != dr->pool || n->static_node || n->drifted || n->gen >= d->gen)
			continue;
		n->drifted = true;
		n->drifted_at = s->now;
		node_log(w, n, "drifted", detail);
	}
	drift_check(k, dr->pool, NULL);
	return SIM_DONE;
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
	for (k->cur = 0; k->cur < k->n_ctl; k->cur++) /* each installation's own loop, one command each */
		if (!ctl(k)->pending)
			plan_consolidation(k);
	k->cur = 0;
	return s->now >= s->end ? SIM_DONE : k->cfg->poll;
}

/* The cluster before the run: Ready nodes for the pods of t = 0, chosen
 * as one batch would choose them (karp_settle then settles it). */
static void karp_initial(struct world *w, void *self)
{
	(void)w;
	struct karp *k = self;
	k->up = true;
	for (k->cur = 0; k->cur < k->n_ctl; k->cur++)
		provision(k);
	k->cur = 0;
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

/* Empty node n goes before the run: never paid for, never told. */
static void settle_remove(struct world *w, struct wnode *n)
{
	assert(n->n_pods == 0);
	struct sink out = w->out;
	w->out.decision = NULL;
	node_drain(w, n, "settled before the run"); /* empty: removed at once */
	w->out = out;
}

/* Node n goes before the run, its pods moved first fit onto the other
 * Ready nodes (the decision saw them fit there): never paid for, never told. */
static void settle_delete(struct karp *k, struct wnode *n)
{
	struct world *w = k->w;
	bool fit = pods_fit_elsewhere(k, n);
	assert(fit);
	for (size_t i = 0; i < k->x->n_pods && fit; i++)
		pod_initial_move(w, k->x->pods[i].p, w->wnodes[k->x->dest[i]]);
	settle_remove(w, n);
}

/* A multi-node command before the run: the replacement (if any) made
 * Ready at once, the nodes' pods moved where the simulation put them, and
 * the nodes removed, all untold. */
static void settle_multi(struct karp *k, const struct karp_cmd *c)
{
	struct world *w = k->w;
	struct scratch *x = k->x;
	bool found = cmd_nodes(k, c);
	assert(found);
	struct msim m;
	int r = simulate(k, (const struct wnode *const *)x->cands, (size_t)c->n, &m);
	assert(r != MSIM_NONE && (r == MSIM_REPLACE) == (c->kind == KARP_CMD_REPLACE));
	struct wnode *to = NULL;
	if (r == MSIM_REPLACE) {
		struct claim cl = {m.pool, m.cpu, m.mem, m.pods, c->replace, NULL, 0, m.zones,
				   replace_cts(k, m.pool, c->replace, m.zones)};
		k->up = true;
		to = launch(k, &cl);
		k->up = false;
		if (!to)
			return; /* short of capacity at t = 0: the offerings are marked, the decision changes */
	}
	for (size_t a = 0; a < x->n_pods; a++)
		pod_initial_move(w, x->pods[a].p, x->dest[a] >= 0 ? w->wnodes[x->dest[a]] : to);
	for (int i = 0; i < c->n && found; i++)
		settle_remove(w, x->cands[i]);
}

static void settle_apply(struct karp *k, const struct karp_cmd *c)
{
	struct world *w = k->w;
	if (c->kind != KARP_CMD_DELETE_EMPTY && c->n > 1) {
		settle_multi(k, c);
		return;
	}
	for (int i = 0; i < c->n; i++) {
		struct wnode *n = by_num(w, c->num[i]);
		assert(n);
		if (c->kind != KARP_CMD_REPLACE) {
			settle_delete(k, n);
			continue;
		}
		const struct scn_nodepool *np = &k->cfg->pools[n->pool];
		int t = c->replace;
		uint64_t zones = node_zones(k, n);
		struct karp_pick at = karp_offer_pick(offers(k), &t, 1, zones, replace_cts(k, n->pool, t, zones), false,
						      w->s->now);
		assert(at.type == t);
		n->spot = at.k == KARP_SPOT;
		node_retype(w, n, T(k, t)->name, (struct sched_alloc){np->alloc_cpu[t], np->alloc_mem[t], np->alloc_pods[t]},
			    at.price);
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
	for (size_t i = 0; i < k->n_ctl; i++)
		for (size_t round = 0;; round++) {
			struct karp_cmd c = karp_cluster_plan(w, (int)i, later);
			if (c.kind == KARP_CMD_NONE)
				break;
			assert(round < most && "settling the cluster of t = 0 ends: each command makes it smaller or cheaper");
			settle_apply(k, &c);
		}
	k->cur = 0;
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
		for (k->cur = 0; k->cur < k->n_ctl; k->cur++)
			provision(k);
		k->cur = 0;
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
	karp_solver_free(k->solver);
	free(k->pend);
	free(k->kpods);
	free(k->used);
	free(k->opts);
	free(k->x->kpods);
	free(k->x->knodes);
	free(k->x->kidx);
	free(k->x->skip);
	free(k->x->pods);
	free(k->x->dest);
	free(k->x->cands);
	free(k->x->ranked);
	free(k->x->left);
	free(k->x->drifted);
	free(k->x);
	free(k->drift);
	free(k->ds);
	for (size_t i = 0; i < k->n_ctl; i++)
		free(k->ctl[i].offers.until);
	free(k->ctl);
	karp_fits_release(&k->fits);
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
	k->solver = karp_solver_new();
	karp_fits_init(&k->fits, w->sc);
	k->used = xcalloc(k->cfg->n_pools ? k->cfg->n_pools : 1, sizeof *k->used);
	k->x = xcalloc(1, sizeof *k->x);
	k->x->left = xcalloc(2 * k->cfg->n_pools + 1, sizeof *k->x->left);
	k->drift = xcalloc(k->cfg->n_pools + 1, sizeof *k->drift);
	/* One installation per cluster, each with its own batch window,
	 * command and unavailable-offerings cache (docs/clusters.md). */
	k->n_ctl = w->sc->multi ? w->sc->multi->n_clusters : 1;
	k->ctl = xcalloc(k->n_ctl, sizeof *k->ctl);
	size_t n_offers = k->cat->n * c->n_zones * 2;
	for (size_t i = 0; i < k->n_ctl; i++)
		k->ctl[i] = (struct karp_ctl){
			.cluster = w->sc->multi ? (int)i : -1,
			.batch_ev = EVH_NONE,
			.offers = {k->cat->n, c->n_zones, c->offer_price, xcalloc(n_offers + 1, sizeof(simtime))}};
	k->ds = xcalloc(k->cfg->n_pools * k->cat->n + 1, sizeof *k->ds);
	for (size_t p = 0; p < k->cfg->n_pools; p++)
		for (size_t t = 0; t < k->cat->n; t++) {
			const struct scn_nodepool *np = &k->cfg->pools[p];
			uint64_t zones = pool_zones(k, (int)p);
			/* a DaemonSet may select on the capacity type: spot where
			 * the pool allows it and t has a spot offering */
			struct node_spec spec = {zones ? __builtin_ctzll(zones) : PLACE_ZONE_NONE, &np->meta, np->name,
						 replace_cts(k, (int)p, (int)t, zones) == SCN_SPOT};
			k->ds[p * k->cat->n + t] = node_daemonsets(w, k->cat->types[t].name, &spec, NULL);
		}
	k->r = rng_stream(w->s->seed, RNG_NODES, 0);
	dist_prepare(&k->launch, &k->cfg->launch);
	dist_prepare(&k->registration, &k->cfg->registration);
	dist_prepare(&k->initialization, &k->cfg->initialization);
	w->prov = (struct provisioner){
		.self = k,
		.pod_unschedulable = trigger,
		.initial = karp_initial,
		.settle = karp_settle,
		.interrupted = interrupted,
		.node_lost = node_lost,
		.free = karp_free,
		.node_removed = node_removed,
	};
	k->poll_ev = sim_at(w->s, k->cfg->poll, PRIO_CONTROL, poll_ev, k, 0);
	for (size_t i = 0; i < c->n_drifts; i++)
		sim_at(w->s, c->drifts[i].at, PRIO_CONTROL, drift_ev, k, i);
}
