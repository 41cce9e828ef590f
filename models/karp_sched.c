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
};

struct claim_x {      /* what the solver keeps of a NodeClaim besides the public part */
	size_t off;       /* its options: types[off .. off + n) */
	double max_cpu;   /* the most room among its options: cores, bytes, pods (beside the DaemonSets) */
	double max_mem;
	int max_pods;
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
};

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t c = *cap ? *cap : 16;
	while (c < need)
		c *= 2;
	*cap = c;
	return xrealloc(p, c * size);
}

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

static bool has_min_values(const struct scn_nodepool *np)
{
	for (size_t r = 0; r < np->n_reqs; r++)
		if (np->reqs[r].min_values)
			return true;
	return false;
}

/* A new NodeClaim's options: np's types within r that hold the requests,
 * into out; 0 when none, or when they break minValues. */
static size_t new_options(const struct karp_state *st, const struct scn_nodepool *np, const struct remaining *r,
			  double cpu, double mem, int pods, int *out)
{
	if (r->nodes <= 0)
		return 0; /* "node limits have been exhausted for nodepool" */
	size_t n = 0;
	for (size_t i = 0; i < np->n_types; i++) {
		int t = np->types[i];
		if (within(st, r, t) && holds(st, np, t, cpu, mem, pods))
			out[n++] = t;
	}
	return n && (!has_min_values(np) || karp_min_values_ok(np, out, n)) ? n : 0;
}

size_t karp_claim_options(const struct karp_state *st, int pool, const struct karp_usage *used, double cpu, double mem,
			  int pods, int *out)
{
	assert(pool >= 0 && (size_t)pool < st->cfg->n_pools);
	const struct scn_nodepool *np = &st->cfg->pools[pool];
	struct remaining r = remaining_of(np, used);
	return new_options(st, np, &r, cpu, mem, pods, out);
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
	s->queue = grow(s->queue, &s->cap_queue, st->n_pods, sizeof *s->queue);
	for (size_t i = 0; i < st->n_pods; i++)
		s->queue[i] = (struct order){st->pods[i].cpu, st->pods[i].mem, st->pods[i].created, i};
	if (st->n_pods > 1)
		qsort(s->queue, st->n_pods, sizeof *s->queue, order_cmp);
}

/* sortExistingNodes: initialized nodes before those in flight (stable). */
static void build_nodes(struct karp_solver *s, const struct karp_state *st)
{
	s->node_order = grow(s->node_order, &s->cap_nodes, st->n_nodes, sizeof *s->node_order);
	s->room = grow(s->room, &s->cap_room, 3 * st->n_nodes, sizeof *s->room);
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

static int to_existing(struct karp_solver *s, const struct karp_state *st, const struct order *o)
{
	for (size_t k = 0; k < st->n_nodes; k++) {
		double *r = &s->room[3 * s->node_order[k]];
		if (r[0] >= o->cpu - CPU_EPS && r[1] >= o->mem - MEM_EPS && r[2] >= 1) {
			r[0] -= o->cpu;
			r[1] -= o->mem;
			r[2] -= 1;
			return (int)s->node_order[k];
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
static bool claim_add(struct karp_solver *s, const struct karp_state *st, size_t c, const struct order *o)
{
	struct karp_claim *cl = &s->claims[c];
	struct claim_x *x = &s->cx[c];
	double cpu = cl->cpu + o->cpu, mem = cl->mem + o->mem;
	int pods = cl->pods + 1;
	if (x->max_cpu < cpu - CPU_EPS || x->max_mem < mem - MEM_EPS || x->max_pods < pods)
		return false; /* no option holds them: the common refusal, without a pass */
	const struct scn_nodepool *np = &st->cfg->pools[cl->pool];
	int *opts = &s->types[x->off];
	size_t n = 0;
	for (size_t i = 0; i < cl->n_types; i++)
		if (holds(st, np, opts[i], cpu, mem, pods))
			s->scratch[n++] = opts[i];
	if (!n || (has_min_values(np) && !karp_min_values_ok(np, s->scratch, n)))
		return false;
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

static int to_planned(struct karp_solver *s, const struct karp_state *st, const struct order *o)
{
	for (size_t k = 0; k < s->n_claims; k++) {
		size_t c = s->by_pods[k];
		if (claim_add(s, st, c, o)) {
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

static int to_new(struct karp_solver *s, const struct karp_state *st, const struct order *o)
{
	for (size_t k = 0; k < st->cfg->n_pools; k++) {
		int p = s->pools[k];
		const struct scn_nodepool *np = &st->cfg->pools[p];
		size_t c = s->n_claims;
		s->types = grow(s->types, &s->cap_types, s->n_types + np->n_types, sizeof *s->types);
		size_t n = new_options(st, np, &s->left[p], o->cpu, o->mem, 1, &s->types[s->n_types]);
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
	s->left = grow(s->left, &s->cap_left, np, sizeof *s->left);
	s->pools = grow(s->pools, &s->cap_pools, np, sizeof *s->pools);
	for (size_t p = 0; p < np; p++)
		s->left[p] = remaining_of(&st->cfg->pools[p], st->used ? &st->used[p] : NULL);
	order_pools(s, st);
	s->scratch = grow(s->scratch, &s->cap_scratch, st->cat->n, sizeof *s->scratch);
	s->dest = grow(s->dest, &s->cap_dest, st->n_pods, sizeof *s->dest);
	build_queue(s, st);
	build_nodes(s, st);
	s->n_claims = s->n_types = 0;
}

struct karp_result karp_solve(struct karp_solver *s, const struct karp_state *st)
{
	begin(s, st);
	for (size_t k = 0; k < st->n_pods; k++) {
		const struct order *o = &s->queue[k];
		struct karp_dest *d = &s->dest[o->i];
		int i;
		if ((i = to_existing(s, st, o)) >= 0)
			*d = (struct karp_dest){KARP_DEST_NODE, i};
		else if ((i = to_planned(s, st, o)) >= 0 || (i = to_new(s, st, o)) >= 0)
			*d = (struct karp_dest){KARP_DEST_CLAIM, i};
		else
			*d = (struct karp_dest){KARP_DEST_NONE, -1};
	}
	for (size_t c = 0; c < s->n_claims; c++)
		s->claims[c].types = &s->types[s->cx[c].off];
	return (struct karp_result){s->dest, s->claims, s->n_claims};
}
