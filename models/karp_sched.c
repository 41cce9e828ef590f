/*
 * karp_sched.c: Karpenter's provisioning scheduling simulation (see
 * karp_sched.h for the rules and the upstream files they follow).
 *
 * The solver keeps every array it needs and grows them only when a solve
 * is larger than any before: a batch allocates nothing once the cluster
 * has been this large. A NodeClaim's options live in one shared array, a
 * slice of the pool's size per claim; they only narrow, in place.
 */
#include "karp_sched.h"
#include "scheduler.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CPU_EPS 1e-9 /* cores */
#define MEM_EPS 1e-3 /* bytes */

struct order {        /* a pod in the queue */
	double cpu, mem;  /* its requests */
	simtime created;
	size_t i;         /* its index in the state */
	int group;        /* its group, -1 without placement */
};

struct claim_x {      /* what the solver keeps of a NodeClaim besides the public part */
	size_t off;       /* its options: types[off .. off + n) */
	double max_cpu;   /* the most room among its options: cores, bytes, pods (beside the DaemonSets) */
	double max_mem;
	int max_pods;
	uint64_t zones;   /* the zone slots its pods allow */
	unsigned cts;     /* the capacity types its pool and pods allow */
};

struct remaining {    /* a pool's limits left: INFINITY / INT_MAX where it has none */
	double cpu, mem;  /* vCPUs, bytes of capacity */
	int nodes;
};

struct karp_solver {
	struct order *queue;      /* the pods, largest first */
	size_t cap_queue;
	struct karp_dest *dest;   /* per pod */
	size_t cap_dest;
	size_t *node_order;       /* existing nodes: initialized first */
	size_t cap_nodes;
	double *room;             /* 3 per node (by state index): cores, bytes, pods left */
	size_t cap_room;
	struct karp_claim *claims;
	struct claim_x *cx;
	size_t *by_pods;          /* claim indices, fewest pods first (ties: older first) */
	size_t n_claims, cap_claims;
	int *types;               /* the claims' options */
	size_t n_types, cap_types;
	int *scratch;             /* one candidate list (catalog n) */
	size_t cap_scratch;
	struct remaining *left;   /* per pool */
	size_t cap_left;
	int *pools;               /* pools by weight, then name, descending */
	size_t cap_pools;
	/* placement (with the state's fits and pl) */
	size_t ng, ns;            /* groups, zone slots */
	int *zadd, *zmay;         /* slots x groups: pods this solve put in a slot, for sure or among several */
	size_t cap_zadd, cap_zmay;
	int *nadd;                /* existing nodes x groups: pods this solve put on each */
	size_t cap_nadd;
	int *cadd;                /* claims x groups: pods on each claim */
	size_t cap_cadd;
	uint64_t *dom;            /* groups x PLACE_MAX_TERMS: the domains of each zone spread constraint */
	uint64_t *pdom;           /* groups: the slots the group's node requirements allow somewhere */
	bool *prefs;              /* groups: preferences Karpenter first takes as required */
	size_t cap_dom, cap_pdom, cap_prefs;
};

struct karp_solver *karp_solver_new(void) { return xcalloc(1, sizeof(struct karp_solver)); }

void karp_solver_free(struct karp_solver *s)
{
	if (!s)
		return;
	free(s->queue);
	free(s->dest);
	free(s->node_order);
	free(s->room);
	free(s->claims);
	free(s->cx);
	free(s->by_pods);
	free(s->types);
	free(s->scratch);
	free(s->left);
	free(s->pools);
	free(s->zadd);
	free(s->zmay);
	free(s->nadd);
	free(s->cadd);
	free(s->dom);
	free(s->pdom);
	free(s->prefs);
	free(s);
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

bool karp_has_min_values(const struct scn_nodepool *np)
{
	for (size_t r = 0; r < np->n_reqs; r++)
		if (np->reqs[r].min_values)
			return true;
	return false;
}

/* ---- placement: what a group's pods make of a pool's nodes ---- */

static uint64_t bit(size_t slot) { return (uint64_t)1 << slot; }

/* The zone slots a pool's nodes may have: the zones its requirements allow,
 * or "no zone" when the cluster names none. */
static uint64_t pool_slots(const struct scn_nodepool *np, size_t nz)
{
	return nz ? np->meta.zones & (bit(nz) - 1) : 1;
}

/* What each group makes of a node of pool p, type t, as capacity type k,
 * in slot z (labels and buf: scratch for its labels). */
static void fit_type(struct karp_fits *f, const struct scenario *sc, size_t p, size_t z, int t, int k,
		     struct place_label *labels, char *buf)
{
	const struct scn_nodepool *pool = &sc->cluster.karpenter.pools[p];
	size_t ng = f->n_groups, ns = f->n_zones + 1, nt = f->n_types;
	struct place_node_desc d = {
		.zone = z < f->n_zones ? sc->cluster.zones[z] : NULL,
		.type = &sc->cluster.catalog.types[t],
		.nodepool = pool->name,
		.capacity = k == KARP_SPOT,
		.labels = pool->meta.labels,
		.n_labels = pool->meta.n_labels,
	};
	size_t n = place_node_labels(&d, labels, buf);
	uint8_t ct = k == KARP_SPOT ? SCN_SPOT : SCN_ON_DEMAND;
	for (size_t g = 0; g < ng; g++) {
		size_t pgi = p * ng + g;
		struct place_fit fit = place_node_fit(&sc->services[g].placement, labels, n, NULL, 0);
		uint8_t b = fit.affinity ? KARP_FIT_AFFINITY | (fit.top_preferred ? KARP_FIT_PREFERRED : 0) : 0;
		f->ok[((pgi * ns + z) * nt + (size_t)t) * 2 + (size_t)k] = b;
		if (b & KARP_FIT_AFFINITY) {
			f->aff_slots[pgi] |= bit(z);
			f->cts[2 * pgi] |= ct;
		}
		if (b & KARP_FIT_PREFERRED && f->tolerates[pgi]) {
			f->slots[2 * pgi + 1] |= bit(z);
			f->cts[2 * pgi + 1] |= ct;
		}
		if (b != (KARP_FIT_AFFINITY | KARP_FIT_PREFERRED))
			f->open[pgi] = false;
	}
}

void karp_fits_init(struct karp_fits *f, const struct scenario *sc)
{
	const struct scn_karpenter *cfg = &sc->cluster.karpenter;
	const struct catalog *cat = &sc->cluster.catalog;
	size_t np = cfg->n_pools, ng = sc->n_services, nz = sc->cluster.n_zones, ns = nz + 1, nt = cat->n;
	*f = (struct karp_fits){.n_pools = np, .n_groups = ng, .n_zones = nz, .n_types = nt};
	size_t pg = np * ng, cells = pg * ns * nt;
	if (!pg)
		pg = 1;
	f->ok = xcalloc(cells ? 2 * cells : 1, 1);
	f->cts = xcalloc(2 * pg, 1);
	f->tolerates = xcalloc(pg, sizeof *f->tolerates);
	f->slots = xcalloc(2 * pg, sizeof *f->slots);
	f->aff_slots = xcalloc(pg, sizeof *f->aff_slots);
	f->open = xcalloc(pg, sizeof *f->open);
	f->preferred = xcalloc(ng ? ng : 1, sizeof *f->preferred);
	for (size_t g = 0; g < ng; g++)
		f->preferred[g] = sc->services[g].placement.n_preferred > 0;
	size_t max_l = 0;
	for (size_t p = 0; p < np; p++)
		max_l = HR_MAX(max_l, cfg->pools[p].meta.n_labels);
	struct place_label *labels = xmalloc((max_l + PLACE_NODE_LABELS) * sizeof *labels);
	char buf[PLACE_LABEL_BUF];
	for (size_t p = 0; p < np; p++) {
		const struct scn_nodepool *pool = &cfg->pools[p];
		uint64_t pm = pool_slots(pool, nz);
		for (size_t g = 0; g < ng; g++) {
			const struct scn_placement *pp = &sc->services[g].placement;
			f->tolerates[p * ng + g] = place_untolerated(pp->tolerations, pp->n_tolerations, pool->meta.taints,
								     pool->meta.n_taints) < 0;
			f->open[p * ng + g] = f->tolerates[p * ng + g];
		}
		for (size_t z = 0; z < ns; z++) {
			if (!(pm & bit(z)))
				continue;
			for (size_t i = 0; i < pool->n_types; i++)
				for (int k = 0; k < 2; k++)
					if (pool->capacity & (k == KARP_SPOT ? SCN_SPOT : SCN_ON_DEMAND))
						fit_type(f, sc, p, z, pool->types[i], k, labels, buf);
		}
		for (size_t g = 0; g < ng; g++) {
			size_t pgi = p * ng + g;
			f->slots[2 * pgi] = f->tolerates[pgi] ? f->aff_slots[pgi] : 0;
			if (!f->tolerates[pgi])
				f->cts[2 * pgi] = f->cts[2 * pgi + 1] = 0;
		}
	}
	free(labels);
}

void karp_fits_release(struct karp_fits *f)
{
	free(f->ok);
	free(f->cts);
	free(f->tolerates);
	free(f->slots);
	free(f->aff_slots);
	free(f->open);
	free(f->preferred);
	*f = (struct karp_fits){0};
}

static bool placing(const struct karp_state *st) { return st->fits && st->pl; }

/* Whether type t of pool p as capacity type k in slot z admits group g's
 * pods (strict: their preferred node affinity too). */
static bool type_ok(const struct karp_state *st, int p, int g, size_t z, int t, int k, bool strict)
{
	const struct karp_fits *f = st->fits;
	uint8_t need = strict ? KARP_FIT_AFFINITY | KARP_FIT_PREFERRED : KARP_FIT_AFFINITY;
	size_t pgi = (size_t)p * f->n_groups + (size_t)g;
	return (f->ok[((pgi * (f->n_zones + 1) + z) * f->n_types + (size_t)t) * 2 + (size_t)k] & need) == need;
}

/* Whether type t of pool p admits group g's pods in one of the slots zm as
 * one of the capacity types cm. */
static bool type_ok_in(const struct karp_state *st, int p, int g, uint64_t zm, unsigned cm, int t, bool strict)
{
	if (st->fits->open[(size_t)p * st->fits->n_groups + (size_t)g])
		return true;
	for (size_t z = 0; zm >> z; z++)
		for (int k = 0; k < 2 && zm & bit(z); k++)
			if (cm & (k == KARP_SPOT ? SCN_SPOT : SCN_ON_DEMAND) && type_ok(st, p, g, z, t, k, strict))
				return true;
	return false;
}

uint64_t karp_claim_zones(const struct karp_state *st, int pool, uint64_t slots)
{
	size_t nz = st->offers ? st->offers->n_zones : st->fits ? st->fits->n_zones : SCN_MAX_ZONES;
	uint64_t all = nz >= 64 ? ~(uint64_t)0 : bit(nz) - 1, zm = slots & all;
	return zm ? zm : st->cfg->pools[pool].meta.zones & all;
}

/* Whether type t has an available offering for a claim of pool p in slots
 * zm as one of the capacity types cm (always, without offerings). */
static bool offered(const struct karp_state *st, int p, int t, uint64_t zm, unsigned cm)
{
	return !st->offers || karp_offer_any(st->offers, t, karp_claim_zones(st, p, zm), cm, st->now);
}

/* The pods this solve and the cluster count in slot z of the groups
 * sel[0..n); with may, those placed where z was one of several zones too. */
static int zcount(const struct karp_solver *s, const struct karp_state *st, size_t z, const int *sel, size_t n,
		  bool may)
{
	int c = 0;
	for (size_t i = 0; i < n; i++) {
		size_t at = z * s->ng + (size_t)sel[i];
		c += st->pl->zone_live[at] + s->zadd[at] + (may ? s->zmay[at] : 0);
	}
	return c;
}

/* A destination's hostname domain: the pods bound to it (NULL: none) and
 * those this solve put there, per group. */
struct host {
	const int *base;
	const int *add;
};

static int hcount(const struct host *h, const int *sel, size_t n)
{
	int c = 0;
	for (size_t i = 0; i < n; i++)
		c += (h->base ? h->base[sel[i]] : 0) + h->add[sel[i]];
	return c;
}

/* Whether any pod of the groups sel[0..n) is counted, in the cluster or in
 * this solve, in a slot of zm. */
static bool any_in(const struct karp_solver *s, const struct karp_state *st, uint64_t zm, const int *sel, size_t n)
{
	for (size_t z = 0; z < s->ns; z++)
		if (zm & bit(z) && zcount(s, st, z, sel, n, true) > 0)
			return true;
	return false;
}

/*
 * Topology.AddRequirements for a pod of group g at a destination of zone
 * slots zm and hostname domain h: the slots left (0: it may not go there).
 * strict: the pod's preferences count as required.
 */
static uint64_t topo_slots(const struct karp_solver *s, const struct karp_state *st, int g, bool strict, uint64_t zm,
			   const struct host *h)
{
	const struct place_group *pg = &st->pl->groups[g];
	size_t nz = st->pl->n_zones;
	uint64_t zones = nz ? bit(nz) - 1 : 0; /* the slots that are zones */
	for (size_t c = 0; c < pg->n_spread && zm && !pg->defaulted; c++) {
		const struct place_spread *sp = &pg->spread[c];
		if (!sp->hard && !strict)
			continue;
		if (sp->key == SCN_TOPO_HOSTNAME) {
			if (hcount(h, sp->sel, sp->n_sel) + sp->self > sp->max_skew)
				return 0;
			continue;
		}
		uint64_t dom = s->dom[(size_t)g * PLACE_MAX_TERMS + c], pd = dom & s->pdom[g];
		int min = INT_MAX, n_dom = 0;
		for (size_t z = 0; z < nz; z++)
			if (pd & bit(z)) {
				n_dom++;
				min = HR_MIN(min, zcount(s, st, z, sp->sel, sp->n_sel, false));
			}
		if (n_dom < sp->min_domains)
			min = 0;
		int best = -1, best_n = INT_MAX;
		for (size_t z = 0; z < nz; z++) {
			if (!(zm & dom & bit(z)))
				continue;
			int n = zcount(s, st, z, sp->sel, sp->n_sel, false) + sp->self;
			if (n - min <= sp->max_skew && n < best_n) {
				best = (int)z;
				best_n = n;
			}
		}
		if (best < 0)
			return 0;
		zm = bit((size_t)best);
	}
	for (size_t k = 0; k < pg->n_terms && zm; k++) {
		const struct place_term *t = &pg->terms[k];
		if (t->weight && !strict)
			continue;
		if (t->key == SCN_TOPO_HOSTNAME) {
			int n = hcount(h, t->sel, t->n_sel);
			if (t->anti ? n > 0 : n == 0 && !(t->self && !any_in(s, st, ~(uint64_t)0, t->sel, t->n_sel)))
				return 0;
			continue;
		}
		uint64_t keep = 0;
		for (size_t z = 0; z < nz; z++)
			if (zm & bit(z) && (zcount(s, st, z, t->sel, t->n_sel, t->anti) > 0) != t->anti)
				keep |= bit(z);
		if (t->anti) {
			zm = keep | (zm & ~zones); /* a node without a zone is in no zone domain */
		} else if (keep) {
			zm = keep;
		} else if (t->self && !any_in(s, st, s->pdom[g], t->sel, t->n_sel)) {
			uint64_t first = zm & zones & s->pdom[g];
			zm = first ? first & -first : 0; /* the first pod: a zone to bootstrap in */
		} else {
			return 0;
		}
	}
	for (size_t r = 0; r < pg->n_repel && zm; r++) {
		const struct place_repel *rp = &pg->repel[r];
		if (rp->key == SCN_TOPO_HOSTNAME) {
			if (hcount(h, &rp->group, 1) > 0)
				return 0;
			continue;
		}
		for (size_t z = 0; z < nz; z++)
			if (zm & bit(z) && zcount(s, st, z, &rp->group, 1, true) > 0)
				zm &= ~bit(z);
	}
	return zm;
}

/* Counts a pod of group g placed at a destination of slots zm (its
 * hostname counts `add`). */
static void record(struct karp_solver *s, int g, uint64_t zm, int *add)
{
	add[g]++;
	int *into = (zm & (zm - 1)) ? s->zmay : s->zadd;
	for (size_t z = 0; z < s->ns; z++)
		if (zm & bit(z))
			into[z * s->ng + (size_t)g]++;
}

/* The slot of an existing node. */
static size_t node_slot(const struct karp_solver *s, const struct karp_node *nd)
{
	return nd->pn && nd->pn->zone >= 0 ? (size_t)nd->pn->zone : s->ns - 1;
}

/* Whether a pod of group g may go on existing node i (resources aside):
 * its taints tolerated, its labels admitting it, the topology allowing it. */
static bool node_admits(const struct karp_solver *s, const struct karp_state *st, size_t i, int g, bool strict)
{
	const struct karp_node *nd = &st->nodes[i];
	if (nd->pn) {
		const struct place_fit *ft = &nd->pn->fit[g];
		if (ft->taint >= 0 || !ft->affinity || (strict && !ft->top_preferred))
			return false;
	}
	struct host h = {nd->pn ? nd->pn->live : NULL, &s->nadd[i * s->ng]};
	return topo_slots(s, st, g, strict, bit(node_slot(s, nd)), &h) != 0;
}

/* The domains of each group's zone spread constraints (ForEachDomain and
 * countDomains): the zones of the pools whose taints the pod tolerates
 * (nodeTaintsPolicy Honor) or all pools (Ignore), where a type meets its
 * node requirements (nodeAffinityPolicy Honor) or any (Ignore), and those of
 * the counted nodes that pass the same; and the slots its requirements
 * allow somewhere. */
static void domains(struct karp_solver *s, const struct karp_state *st)
{
	const struct karp_fits *f = st->fits;
	size_t ng = s->ng, nz = st->pl->n_zones;
	for (size_t g = 0; g < ng; g++) {
		const struct place_group *pg = &st->pl->groups[g];
		uint64_t pd = 0;
		for (size_t p = 0; p < f->n_pools; p++)
			pd |= f->aff_slots[p * ng + g];
		for (size_t i = 0; i < st->n_nodes; i++)
			if (st->nodes[i].pn && st->nodes[i].pn->fit[g].affinity)
				pd |= bit(node_slot(s, &st->nodes[i]));
		s->pdom[g] = pd;
		s->prefs[g] = f->preferred[g];
		for (size_t k = 0; k < pg->n_terms; k++)
			s->prefs[g] |= pg->terms[k].weight > 0;
		if (pg->defaulted)
			continue;
		for (size_t c = 0; c < pg->n_spread; c++) {
			const struct place_spread *sp = &pg->spread[c];
			s->prefs[g] |= !sp->hard;
			if (sp->key != SCN_TOPO_ZONE)
				continue;
			uint64_t d = 0;
			for (size_t p = 0; p < f->n_pools; p++) {
				size_t pgi = p * ng + g;
				if (sp->honor_taints && !f->tolerates[pgi])
					continue;
				d |= sp->honor_affinity ? f->aff_slots[pgi] : pool_slots(&st->cfg->pools[p], nz);
			}
			for (size_t i = 0; i < st->n_nodes; i++) {
				const struct place_node *pn = st->nodes[i].pn;
				if (!pn || !pn->counted || pn->zone < 0 || (sp->honor_affinity && !pn->fit[g].affinity) ||
				    (sp->honor_taints && pn->fit[g].taint >= 0))
					continue;
				d |= bit((size_t)pn->zone);
			}
			s->dom[g * PLACE_MAX_TERMS + c] = d & (nz ? bit(nz) - 1 : 0);
		}
	}
}

/* ---- instance types ---- */

/* Room type t of pool np has for pods beside the DaemonSets. */
static const struct sched_alloc *ds_of(const struct karp_state *st, const struct scn_nodepool *np, int t)
{
	return &st->ds[(size_t)(np - st->cfg->pools) * st->cat->n + (size_t)t];
}
static double room_cpu(const struct karp_state *st, const struct scn_nodepool *np, int t)
{
	return np->alloc_cpu[t] - (st->ds ? ds_of(st, np, t)->cpu : st->ds_cpu);
}
static double room_mem(const struct karp_state *st, const struct scn_nodepool *np, int t)
{
	return np->alloc_mem[t] - (st->ds ? ds_of(st, np, t)->mem : st->ds_mem);
}
static int room_pods(const struct karp_state *st, const struct scn_nodepool *np, int t)
{
	return np->alloc_pods[t] - (st->ds ? ds_of(st, np, t)->pods : (st->ds_cpu > 0 || st->ds_mem > 0));
}

static bool holds(const struct karp_state *st, const struct scn_nodepool *np, int t, double cpu, double mem, int pods)
{
	return room_cpu(st, np, t) >= cpu - CPU_EPS && room_mem(st, np, t) >= mem - MEM_EPS && room_pods(st, np, t) >= pods;
}

bool karp_type_holds(const struct karp_state *st, int pool, int t, double cpu, double mem, int pods)
{
	assert(pool >= 0 && (size_t)pool < st->cfg->n_pools);
	return holds(st, &st->cfg->pools[pool], t, cpu, mem, pods);
}

static double cap_mem(const struct karp_state *st, int t) { return st->cat->types[t].memory_mib * 1048576.0; }

/* filterByRemainingResources: t's capacity within what is left. */
static bool within(const struct karp_state *st, const struct remaining *r, int t)
{
	return st->cat->types[t].vcpu <= r->cpu + CPU_EPS && cap_mem(st, t) <= r->mem + MEM_EPS;
}

static struct remaining remaining_of(const struct scn_nodepool *np, const struct karp_usage *used)
{
	struct karp_usage u = used ? *used : (struct karp_usage){0, 0, 0};
	return (struct remaining){
		.cpu = np->limit_cpu > 0 ? np->limit_cpu - u.cpu : INFINITY,
		.mem = np->limit_memory > 0 ? np->limit_memory - u.mem : INFINITY,
		.nodes = np->limit_nodes > 0 ? np->limit_nodes - u.nodes : INT_MAX,
	};
}


/* What a pod of group g (-1: any pod) wants of a node's type: to admit it
 * in one of the slots zm (strict: its preferences too). */
struct want {
	int g;
	uint64_t zm;  /* zone slots (0: any of the pool's) */
	unsigned cm;  /* capacity types */
	bool strict;
};

/* A new NodeClaim's options: np's types within r that hold the requests
 * and admit the pod (w), into out; 0 when none, or when they break
 * minValues. */
static size_t new_options(const struct karp_state *st, const struct scn_nodepool *np, const struct remaining *r,
			  double cpu, double mem, int pods, int *out, const struct want *w)
{
	if (r->nodes <= 0)
		return 0; /* "node limits have been exhausted for nodepool" */
	size_t n = 0;
	int p = (int)(np - st->cfg->pools);
	for (size_t i = 0; i < np->n_types; i++) {
		int t = np->types[i];
		if (within(st, r, t) && holds(st, np, t, cpu, mem, pods) &&
		    (w->g < 0 || type_ok_in(st, p, w->g, w->zm, w->cm, t, w->strict)) && offered(st, p, t, w->zm, w->cm))
			out[n++] = t;
	}
	return n && karp_min_values_ok(np, out, n) ? n : 0;
}

/* OrderByPrice: types[0..n) of a claim of pool p, slots zm and capacity
 * types cm, by their cheapest available offering (stable: the pool's order
 * breaks ties). Without offerings the pool's order stands. */
static void order_options(const struct karp_state *st, int p, int *types, size_t n, uint64_t zm, unsigned cm)
{
	if (!st->offers)
		return;
	uint64_t zones = karp_claim_zones(st, p, zm);
	for (size_t i = 1; i < n; i++) {
		int x = types[i];
		double px = karp_offer_min(st->offers, x, zones, cm, st->now);
		size_t j = i;
		for (; j > 0 && karp_offer_min(st->offers, types[j - 1], zones, cm, st->now) > px; j--)
			types[j] = types[j - 1];
		types[j] = x;
	}
}

size_t karp_claim_options(const struct karp_state *st, int pool, const struct karp_usage *used, double cpu, double mem,
			  int pods, int *out)
{
	assert(pool >= 0 && (size_t)pool < st->cfg->n_pools);
	const struct scn_nodepool *np = &st->cfg->pools[pool];
	struct remaining r = remaining_of(np, used);
	size_t n = new_options(st, np, &r, cpu, mem, pods, out, &(struct want){-1, 0, np->capacity, false});
	order_options(st, pool, out, n, 0, np->capacity);
	return n;
}

/* ---- the queue and the existing nodes ---- */

/* byCPUAndMemoryDescending; then creationTimestamp, then input order (for
 * upstream's UID). */
static int order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	if (x->cpu != y->cpu)
		return x->cpu > y->cpu ? -1 : 1;
	if (x->mem != y->mem)
		return x->mem > y->mem ? -1 : 1;
	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

static void build_queue(struct karp_solver *s, const struct karp_state *st)
{
	s->queue = xgrow(s->queue, &s->cap_queue, st->n_pods, sizeof *s->queue);
	for (size_t i = 0; i < st->n_pods; i++)
		s->queue[i] = (struct order){st->pods[i].cpu, st->pods[i].mem, st->pods[i].created, i,
					     placing(st) ? st->pods[i].group : -1};
	if (st->n_pods > 1)
		qsort(s->queue, st->n_pods, sizeof *s->queue, order_cmp);
}

/* sortExistingNodes: initialized nodes before those in flight (stable). */
static void build_nodes(struct karp_solver *s, const struct karp_state *st)
{
	s->node_order = xgrow(s->node_order, &s->cap_nodes, st->n_nodes, sizeof *s->node_order);
	s->room = xgrow(s->room, &s->cap_room, 3 * st->n_nodes, sizeof *s->room);
	for (size_t i = 0; i < st->n_nodes; i++) {
		s->room[3 * i] = st->nodes[i].cpu;
		s->room[3 * i + 1] = st->nodes[i].mem;
		s->room[3 * i + 2] = st->nodes[i].pods;
	}
	size_t k = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < st->n_nodes; i++)
			if (st->nodes[i].in_flight == (pass == 1))
				s->node_order[k++] = i;
}

static int to_existing(struct karp_solver *s, const struct karp_state *st, const struct order *o, bool strict)
{
	for (size_t k = 0; k < st->n_nodes; k++) {
		size_t i = s->node_order[k];
		double *r = &s->room[3 * i];
		if (r[0] >= o->cpu - CPU_EPS && r[1] >= o->mem - MEM_EPS && r[2] >= 1 &&
		    (o->group < 0 || node_admits(s, st, i, o->group, strict))) {
			r[0] -= o->cpu;
			r[1] -= o->mem;
			r[2] -= 1;
			if (o->group >= 0)
				record(s, o->group, bit(node_slot(s, &st->nodes[i])), &s->nadd[i * s->ng]);
			return (int)i;
		}
	}
	return -1;
}

/* ---- NodeClaims planned in this solve ---- */

static void note_max(struct karp_solver *s, const struct karp_state *st, size_t c)
{
	const struct karp_claim *cl = &s->claims[c];
	const struct scn_nodepool *np = &st->cfg->pools[cl->pool];
	struct claim_x *x = &s->cx[c];
	x->max_cpu = x->max_mem = -INFINITY;
	x->max_pods = INT_MIN;
	for (size_t i = 0; i < cl->n_types; i++) {
		int t = s->types[x->off + i];
		x->max_cpu = fmax(x->max_cpu, room_cpu(st, np, t));
		x->max_mem = fmax(x->max_mem, room_mem(st, np, t));
		x->max_pods = HR_MAX(x->max_pods, room_pods(st, np, t));
	}
}

/* Claim c takes pod o if a type among its options still holds all its pods
 * (nodeclaim.go CanAdd and Add): its options narrow to those. */
static bool claim_add(struct karp_solver *s, const struct karp_state *st, size_t c, const struct order *o, bool strict)
{
	struct karp_claim *cl = &s->claims[c];
	struct claim_x *x = &s->cx[c];
	double cpu = cl->cpu + o->cpu, mem = cl->mem + o->mem;
	int pods = cl->pods + 1;
	if (x->max_cpu < cpu - CPU_EPS || x->max_mem < mem - MEM_EPS || x->max_pods < pods)
		return false; /* no option holds them: the common refusal, without a pass */
	int g = o->group;
	uint64_t zm = x->zones;
	unsigned cm = x->cts;
	if (g >= 0) {
		size_t pgi = (size_t)cl->pool * s->ng + (size_t)g;
		struct host h = {NULL, &s->cadd[c * s->ng]};
		zm = x->zones & st->fits->slots[2 * pgi + strict];
		cm = x->cts & st->fits->cts[2 * pgi + strict];
		if (!zm || !cm || !(zm = topo_slots(s, st, g, strict, zm, &h)))
			return false;
	}
	const struct scn_nodepool *np = &st->cfg->pools[cl->pool];
	int *opts = &s->types[x->off];
	/* Every option has an offering in the claim's zones and capacity
	 * types: asked again only where this pod narrows them. */
	bool narrows = zm != x->zones || cm != x->cts;
	size_t n = 0;
	for (size_t i = 0; i < cl->n_types; i++)
		if (holds(st, np, opts[i], cpu, mem, pods) &&
		    (g < 0 || type_ok_in(st, cl->pool, g, zm, cm, opts[i], strict)) &&
		    (!narrows || offered(st, cl->pool, opts[i], zm, cm)))
			s->scratch[n++] = opts[i];
	if (!n || !karp_min_values_ok(np, s->scratch, n))
		return false;
	if (g >= 0) {
		x->zones = zm;
		x->cts = cm;
		record(s, g, zm, &s->cadd[c * s->ng]);
	}
	memcpy(opts, s->scratch, n * sizeof *opts);
	cl->n_types = n;
	cl->cpu = cpu;
	cl->mem = mem;
	cl->pods = pods;
	note_max(s, st, c);
	return true;
}

/* Whether claim a comes before claim b: fewer pods, or as many and older
 * (scheduler.go sorts by pod count before each pod; ties here keep the
 * order the claims were opened in). */
static bool before(const struct karp_solver *s, size_t a, size_t b)
{
	return s->claims[a].pods < s->claims[b].pods || (s->claims[a].pods == s->claims[b].pods && a < b);
}

/* The claim at position pos of by_pods, new or with one pod more, moves to
 * its place: one insertion step, the rest being in order. */
static void claim_place(struct karp_solver *s, size_t pos)
{
	size_t c = s->by_pods[pos];
	for (; pos > 0 && before(s, c, s->by_pods[pos - 1]); pos--)
		s->by_pods[pos] = s->by_pods[pos - 1];
	for (; pos + 1 < s->n_claims && before(s, s->by_pods[pos + 1], c); pos++)
		s->by_pods[pos] = s->by_pods[pos + 1];
	s->by_pods[pos] = c;
}

static int to_planned(struct karp_solver *s, const struct karp_state *st, const struct order *o, bool strict)
{
	for (size_t k = 0; k < s->n_claims; k++) {
		size_t c = s->by_pods[k];
		if (claim_add(s, st, c, o, strict)) {
			claim_place(s, k);
			return (int)c;
		}
	}
	return -1;
}

/* subtractMax: the pool's limits left shrink by the largest capacity among
 * the new claim's options, and by its node. */
static void subtract_max(const struct karp_state *st, struct remaining *r, const int *opts, size_t n)
{
	double cpu = 0, mem = 0;
	for (size_t i = 0; i < n; i++) {
		cpu = fmax(cpu, st->cat->types[opts[i]].vcpu);
		mem = fmax(mem, cap_mem(st, opts[i]));
	}
	r->cpu -= cpu;
	r->mem -= mem;
	if (r->nodes != INT_MAX)
		r->nodes--;
}

static int to_new(struct karp_solver *s, const struct karp_state *st, const struct order *o, bool strict)
{
	for (size_t k = 0; k < st->cfg->n_pools; k++) {
		int p = s->pools[k];
		const struct scn_nodepool *np = &st->cfg->pools[p];
		size_t c = s->n_claims;
		struct want w = {o->group, 0, np->capacity, strict};
		if (w.g >= 0) {
			s->cadd = xgrow(s->cadd, &s->cap_cadd, (c + 1) * s->ng, sizeof *s->cadd);
			memset(&s->cadd[c * s->ng], 0, s->ng * sizeof *s->cadd);
			struct host h = {NULL, &s->cadd[c * s->ng]};
			size_t pgi = (size_t)p * s->ng + (size_t)w.g;
			w.zm = st->fits->slots[2 * pgi + strict];
			w.cm &= st->fits->cts[2 * pgi + strict];
			if (!w.zm || !w.cm || !(w.zm = topo_slots(s, st, w.g, strict, w.zm, &h)) ||
			    !(w.zm &= ~st->zones_down))
				continue;
		}
		s->types = xgrow(s->types, &s->cap_types, s->n_types + np->n_types, sizeof *s->types);
		size_t n = new_options(st, np, &s->left[p], o->cpu, o->mem, 1, &s->types[s->n_types], &w);
		if (!n)
			continue;
		if (c == s->cap_claims) {
			s->cap_claims = s->cap_claims ? 2 * s->cap_claims : 16;
			s->claims = xrealloc(s->claims, s->cap_claims * sizeof *s->claims);
			s->cx = xrealloc(s->cx, s->cap_claims * sizeof *s->cx);
			s->by_pods = xrealloc(s->by_pods, s->cap_claims * sizeof *s->by_pods);
		}
		s->claims[c] = (struct karp_claim){.pool = p, .cpu = o->cpu, .mem = o->mem, .pods = 1, .n_types = n};
		s->cx[c].off = s->n_types;
		s->cx[c].zones = w.zm;
		s->cx[c].cts = w.cm;
		if (w.g >= 0)
			record(s, w.g, w.zm, &s->cadd[c * s->ng]);
		s->n_types += np->n_types; /* room to narrow in; never widens */
		note_max(s, st, c);
		subtract_max(st, &s->left[p], &s->types[s->cx[c].off], n);
		s->n_claims++;
		s->by_pods[c] = c;
		claim_place(s, c); /* one pod: after the claims of one pod, before the rest */
		return (int)c;
	}
	return -1;
}

/* OrderByWeight: weight descending, then name descending. */
static void order_pools(struct karp_solver *s, const struct karp_state *st)
{
	const struct scn_nodepool *pools = st->cfg->pools;
	for (size_t i = 0; i < st->cfg->n_pools; i++) {
		size_t j = i;
		while (j > 0) {
			const struct scn_nodepool *a = &pools[s->pools[j - 1]], *b = &pools[i];
			if (a->weight > b->weight || (a->weight == b->weight && strcmp(a->name, b->name) > 0))
				break;
			s->pools[j] = s->pools[j - 1];
			j--;
		}
		s->pools[j] = (int)i;
	}
}

static void begin(struct karp_solver *s, const struct karp_state *st)
{
	size_t np = st->cfg->n_pools;
	s->left = xgrow(s->left, &s->cap_left, np, sizeof *s->left);
	s->pools = xgrow(s->pools, &s->cap_pools, np, sizeof *s->pools);
	for (size_t p = 0; p < np; p++)
		s->left[p] = remaining_of(&st->cfg->pools[p], st->used ? &st->used[p] : NULL);
	order_pools(s, st);
	s->scratch = xgrow(s->scratch, &s->cap_scratch, st->cat->n, sizeof *s->scratch);
	s->dest = xgrow(s->dest, &s->cap_dest, st->n_pods, sizeof *s->dest);
	build_queue(s, st);
	build_nodes(s, st);
	s->n_claims = s->n_types = 0;
	if (!placing(st))
		return;
	assert(st->fits->n_groups == st->pl->n_groups && st->fits->n_zones == st->pl->n_zones);
	s->ng = st->pl->n_groups;
	s->ns = st->pl->n_zones + 1;
	s->zadd = xgrow(s->zadd, &s->cap_zadd, s->ns * s->ng, sizeof *s->zadd);
	s->zmay = xgrow(s->zmay, &s->cap_zmay, s->ns * s->ng, sizeof *s->zmay);
	memset(s->zadd, 0, s->ns * s->ng * sizeof *s->zadd);
	memset(s->zmay, 0, s->ns * s->ng * sizeof *s->zmay);
	s->nadd = xgrow(s->nadd, &s->cap_nadd, st->n_nodes * s->ng, sizeof *s->nadd);
	if (st->n_nodes) /* no nodes yet: nadd may still be NULL */
		memset(s->nadd, 0, st->n_nodes * s->ng * sizeof *s->nadd);
	s->dom = xgrow(s->dom, &s->cap_dom, s->ng * PLACE_MAX_TERMS, sizeof *s->dom);
	s->pdom = xgrow(s->pdom, &s->cap_pdom, s->ng, sizeof *s->pdom);
	s->prefs = xgrow(s->prefs, &s->cap_prefs, s->ng, sizeof *s->prefs);
	domains(s, st);
	for (size_t i = 0; i < st->n_pods; i++) {
		const struct place_node *from = st->pods[i].from;
		if (from && from->counted)
			s->zadd[(from->zone >= 0 ? (size_t)from->zone : s->ns - 1) * s->ng + (size_t)st->pods[i].group]--;
	}
}

/* A claim's public part once its pods are placed: its options ordered by
 * their offerings, and the offering it would launch, whose zone is its
 * zone (without offerings: its first option in the first of its zones). */
static void finish_claim(struct karp_solver *s, const struct karp_state *st, size_t c)
{
	struct karp_claim *cl = &s->claims[c];
	int *types = &s->types[s->cx[c].off];
	cl->types = types;
	cl->zones = s->cx[c].zones;
	cl->cts = s->cx[c].cts;
	if (st->offers) {
		order_options(st, cl->pool, types, cl->n_types, cl->zones, cl->cts);
		cl->offer = karp_offer_pick(st->offers, types, cl->n_types, karp_claim_zones(st, cl->pool, cl->zones), cl->cts,
					    karp_has_min_values(&st->cfg->pools[cl->pool]), st->now);
		cl->zone = cl->offer.type >= 0 ? cl->offer.zone : PLACE_ZONE_NONE;
		return;
	}
	cl->zone = PLACE_ZONE_NONE;
	if (cl->zones && (cl->zones & -cl->zones) < bit(s->ns - 1))
		cl->zone = __builtin_ctzll(cl->zones);
	cl->offer = (struct karp_pick){types[0], cl->zone, KARP_OD, 0};
}

struct karp_result karp_solve(struct karp_solver *s, const struct karp_state *st)
{
	begin(s, st);
	for (size_t k = 0; k < st->n_pods; k++) {
		const struct order *o = &s->queue[k];
		struct karp_dest *d = &s->dest[o->i];
		/* With preferences, first as if they were required; then, if
		 * that places the pod nowhere, without them (Relax). */
		bool strict = o->group >= 0 && s->prefs[o->group];
		for (;;) {
			int i;
			if ((i = to_existing(s, st, o, strict)) >= 0)
				*d = (struct karp_dest){KARP_DEST_NODE, i};
			else if ((i = to_planned(s, st, o, strict)) >= 0 || (i = to_new(s, st, o, strict)) >= 0)
				*d = (struct karp_dest){KARP_DEST_CLAIM, i};
			else
				*d = (struct karp_dest){KARP_DEST_NONE, -1};
			if (d->kind != KARP_DEST_NONE || !strict)
				break;
			strict = false;
		}
	}
	for (size_t c = 0; c < s->n_claims; c++)
		finish_claim(s, st, c);
	return (struct karp_result){s->dest, s->claims, s->n_claims};
}
