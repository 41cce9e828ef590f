#include "scheduler.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "placement.h"
#include "rng.h"

/* The scheduler's integers: millicores and bytes. */
static int64_t milli(double cores) { return (int64_t)llround(cores * 1e3); }
static int64_t bytes(double b) { return (int64_t)llround(b); }

void sched_init(struct sched *s, enum sched_strategy strategy)
{
	assert(strategy == SCHED_LEAST_ALLOCATED || strategy == SCHED_MOST_ALLOCATED);
	*s = (struct sched){
		.strategy = strategy,
		.w_cpu = 1,
		.w_mem = 1,
		.w_fit = 1,
		.w_balanced = 1,
		.pct_to_score = 0,
		.preemption_msg = true,
		.next_start = 0,
	};
}

int sched_set_weights(struct sched *s, int64_t w_cpu, int64_t w_mem)
{
	if (w_cpu < 1 || w_cpu > SCHED_MAX_SCORE || w_mem < 1 || w_mem > SCHED_MAX_SCORE)
		return -1;
	s->w_cpu = w_cpu;
	s->w_mem = w_mem;
	return 0;
}

struct sched_pod sched_pod_make(double cpu, double mem)
{
	assert(cpu >= 0 && mem >= 0);
	return (struct sched_pod){
		.cpu = cpu,
		.mem = mem,
		.nz_cpu = cpu > 0 ? cpu : SCHED_DEFAULT_CPU,
		.nz_mem = mem > 0 ? mem : SCHED_DEFAULT_MEM,
	};
}

void sched_node_init(struct sched_node *nd, struct sched_alloc a)
{
	assert(a.cpu >= 0 && a.mem >= 0 && a.pods >= 0);
	*nd = (struct sched_node){.alloc_cpu = a.cpu, .alloc_mem = a.mem, .alloc_pods = a.pods, .block = SCHED_OPEN};
}

void sched_bind(struct sched_node *nd, const struct sched_pod *p)
{
	assert(p->cpu >= 0 && p->mem >= 0 && p->nz_cpu >= 0 && p->nz_mem >= 0);
	nd->req_cpu += p->cpu;
	nd->req_mem += p->mem;
	nd->nz_cpu += p->nz_cpu;
	nd->nz_mem += p->nz_mem;
	nd->n_pods++;
}

void sched_unbind(struct sched_node *nd, const struct sched_pod *p)
{
	assert(nd->n_pods > 0);
	nd->req_cpu -= p->cpu;
	nd->req_mem -= p->mem;
	nd->nz_cpu -= p->nz_cpu;
	nd->nz_mem -= p->nz_mem;
	nd->n_pods--;
	/* Sums of doubles leave crumbs; a negative request is a caller's bug. */
	assert(milli(nd->req_cpu) >= 0 && bytes(nd->req_mem) >= 0);
	assert(milli(nd->nz_cpu) >= 0 && bytes(nd->nz_mem) >= 0);
	if (nd->n_pods == 0)
		nd->req_cpu = nd->req_mem = nd->nz_cpu = nd->nz_mem = 0;
}

/*
 * kube-reserved CPU by bands of millicores, each band's share truncated to
 * whole millicores (kubeReservedResources in Karpenter's AWS provider, after
 * the GKE / Bottlerocket table).
 */
static int64_t kube_reserved_milli(int64_t cpu)
{
	static const struct {
		int64_t start, end;
		double pct;
	} band[] = {{0, 1000, 0.06}, {1000, 2000, 0.01}, {2000, 4000, 0.005}, {4000, (int64_t)1 << 31, 0.0025}};
	int64_t sum = 0;
	for (size_t i = 0; i < ARRAY_LEN(band); i++) {
		if (cpu < band[i].start)
			continue;
		double r = (double)(cpu < band[i].end ? cpu - band[i].start : band[i].end - band[i].start);
		sum += (int64_t)(r * band[i].pct);
	}
	return sum;
}

struct sched_alloc sched_eks_allocatable(const struct sched_instance *it, double vm_overhead)
{
	assert(it->vcpu > 0 && it->mem_mib > 0 && it->max_pods > 0);
	assert(vm_overhead >= 0 && vm_overhead < 1);
	int64_t cpu = (int64_t)it->vcpu * 1000;
	int64_t mib = (int64_t)llround(it->mem_mib) - (it->arm64 ? 64 : 0);
	mib -= (int64_t)ceil((double)mib * vm_overhead);
	int64_t reserved_mib = 11 * (int64_t)it->max_pods + 255 + 100; /* kube-reserved + eviction-hard */
	return (struct sched_alloc){
		.cpu = (double)(cpu - kube_reserved_milli(cpu)) / 1e3,
		.mem = (double)(mib - reserved_mib) * SCHED_MIB,
		.pods = it->max_pods,
	};
}

struct sched_alloc sched_alloc_after_daemonsets(struct sched_alloc a, const struct sched_pod *ds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		a.cpu -= ds[i].cpu;
		a.mem -= ds[i].mem;
		a.pods--;
	}
	return a;
}

unsigned sched_filter(const struct sched_node *nd, const struct sched_pod *p)
{
	switch (nd->block) {
	case SCHED_OPEN:
		break;
	case SCHED_CORDONED:
		return SCHED_R_CORDONED;
	case SCHED_NOT_READY:
		return SCHED_R_NOT_READY;
	case SCHED_DISRUPTING:
		return SCHED_R_DISRUPTING;
	case SCHED_UNREACHABLE:
		return SCHED_R_UNREACHABLE;
	}
	/* The nominated pods that come before p (addNominatedPods), then
	 * fitsRequest in fit.go. */
	int64_t used_cpu = milli(nd->req_cpu), used_mem = bytes(nd->req_mem);
	int pods = nd->n_pods;
	for (uint32_t i = 0; i < nd->n_nom; i++) {
		const struct sched_nominee *o = &nd->nom[i];
		if (o->priority < p->priority || (o->uid == p->uid && p->uid))
			continue;
		used_cpu += milli(o->cpu);
		used_mem += bytes(o->mem);
		pods++;
	}
	unsigned why = 0;
	if (pods + 1 > nd->alloc_pods)
		why |= SCHED_R_PODS;
	int64_t cpu = milli(p->cpu), mem = bytes(p->mem);
	if (cpu == 0 && mem == 0)
		return why;
	if (cpu > 0 && cpu > milli(nd->alloc_cpu) - used_cpu)
		why |= SCHED_R_CPU;
	if (mem > 0 && mem > bytes(nd->alloc_mem) - used_mem)
		why |= SCHED_R_MEM;
	return why;
}

/* leastRequestedScore / mostRequestedScore */
static int64_t least_requested(int64_t req, int64_t cap)
{
	if (cap == 0 || req > cap)
		return 0;
	return (cap - req) * SCHED_MAX_SCORE / cap;
}

static int64_t most_requested(int64_t req, int64_t cap)
{
	if (cap == 0)
		return 0;
	if (req > cap) /* pods without requests count the defaults */
		req = cap;
	return req * SCHED_MAX_SCORE / cap;
}

/*
 * NodeResourcesFit's score: per resource, from the node's non-zero requests
 * plus the pod's; a resource the node has none of drops out of the mean
 * with its weight (resource_allocation.go, least_allocated.go).
 */
int64_t sched_score_fit(const struct sched *s, const struct sched_node *nd, const struct sched_pod *p)
{
	int64_t alloc[2] = {milli(nd->alloc_cpu), bytes(nd->alloc_mem)};
	int64_t req[2] = {milli(nd->nz_cpu) + milli(p->nz_cpu), bytes(nd->nz_mem) + bytes(p->nz_mem)};
	int64_t w[2] = {s->w_cpu, s->w_mem};
	int64_t score = 0, wsum = 0;
	for (int i = 0; i < 2; i++) {
		if (alloc[i] == 0)
			continue;
		int64_t r = s->strategy == SCHED_MOST_ALLOCATED ? most_requested(req[i], alloc[i])
								 : least_requested(req[i], alloc[i]);
		score += r * w[i];
		wsum += w[i];
	}
	return wsum == 0 ? 0 : score / wsum;
}

/*
 * BalancedAllocation (balanced_allocation.go): the fractions
 * requested / allocatable of cpu and memory, from the requests as written
 * (useRequested), each capped at 1; with two of them the standard deviation
 * is |f_cpu - f_mem| / 2, with fewer it is 0. Score (1 - std) * 100,
 * truncated. Skipped (0) for a best-effort pod.
 */
int64_t sched_score_balanced(const struct sched_node *nd, const struct sched_pod *p)
{
	int64_t pod_req[2] = {milli(p->cpu), bytes(p->mem)};
	if (pod_req[0] == 0 && pod_req[1] == 0)
		return 0;
	int64_t alloc[2] = {milli(nd->alloc_cpu), bytes(nd->alloc_mem)};
	int64_t req[2] = {milli(nd->req_cpu) + pod_req[0], bytes(nd->req_mem) + pod_req[1]};
	double f[2];
	int nf = 0;
	for (int i = 0; i < 2; i++) {
		if (alloc[i] == 0)
			continue;
		double fr = (double)req[i] / (double)alloc[i];
		f[nf++] = fr > 1 ? 1 : fr;
	}
	double std = nf == 2 ? fabs((f[0] - f[1]) / 2) : 0.0;
	return (int64_t)((1 - std) * (double)SCHED_MAX_SCORE);
}

int64_t sched_score(const struct sched *s, const struct sched_node *nd, const struct sched_pod *p)
{
	return s->w_fit * sched_score_fit(s, nd, p) + s->w_balanced * sched_score_balanced(nd, p);
}

size_t sched_feasible_to_find(const struct sched *s, size_t n)
{
	enum { MIN_NODES = 100, MIN_PCT = 5 }; /* minFeasibleNodesToFind, minFeasibleNodesPercentageToFind */
	if (n < MIN_NODES)
		return n;
	long pct = s->pct_to_score;
	if (pct == 0) {
		pct = 50 - (long)(n / 125);
		if (pct < MIN_PCT)
			pct = MIN_PCT;
	}
	size_t k = n * (size_t)pct / 100;
	return k < MIN_NODES ? MIN_NODES : k;
}

/* ---- the "0/N nodes are available" message (FitError.Error) ---- */

/* The reasons: sched_filter's bits, then placement's (PLACE_R_* shifted by
 * N_SCHED_REASONS); an untolerated taint is told with its key and value
 * (the taint table below). */
enum { N_SCHED_REASONS = 7 };
static const char *const reason_text[] = {
	"Too many pods",
	"Insufficient cpu",
	"Insufficient memory",
	"node(s) were unschedulable",
	"node(s) had untolerated taint {node.kubernetes.io/not-ready: }",
	"node(s) had untolerated taint {karpenter.sh/disruption: disrupting}",
	"node(s) had untolerated taint {node.kubernetes.io/unreachable: }",
	NULL, /* PLACE_R_TAINT: per taint */
	"node(s) didn't match Pod's node affinity/selector",
	"node(s) didn't match pod topology spread constraints",
	"node(s) didn't match pod topology spread constraints (missing required label)",
	"node(s) didn't satisfy existing pods anti-affinity rules",
	"node(s) didn't match pod affinity rules",
	"node(s) didn't match pod anti-affinity rules",
};
enum { N_REASONS = ARRAY_LEN(reason_text), MAX_TAINTS = 8, ITEM_LEN = 200 };

/* Distinct untolerated taints and how many nodes each stopped; past
 * MAX_TAINTS distinct ones, the last slot takes the rest. */
struct taint_tally {
	const struct scn_taint *t[MAX_TAINTS];
	int count[MAX_TAINTS];
	size_t n;
};

static void tally_taint(struct taint_tally *tt, const struct scn_taint *t)
{
	size_t i = 0;
	while (i < tt->n && (strcmp(tt->t[i]->key, t->key) || strcmp(tt->t[i]->value, t->value)))
		i++;
	if (i == tt->n) {
		if (tt->n == MAX_TAINTS)
			i = MAX_TAINTS - 1;
		else
			tt->t[tt->n++] = t;
	}
	tt->count[i]++;
}

/* Appends to buf (capacity len, *at bytes used) like snprintf, truncating. */
static void put(char *buf, size_t len, size_t *at, const char *s)
{
	if (*at + 1 >= len)
		return;
	int w = snprintf(buf + *at, len - *at, "%s", s);
	*at += (size_t)w < len - *at ? (size_t)w : len - *at - 1;
}

/* Keeps "<count> <text>" in sorted order (insertion) among k items. */
static void add_item(char (*item)[ITEM_LEN], const char **sorted, size_t *k, int count, const char *text)
{
	char *it = item[*k];
	snprintf(it, ITEM_LEN, "%d %s", count, text);
	size_t j = (*k)++;
	for (; j > 0 && strcmp(sorted[j - 1], it) > 0; j--)
		sorted[j] = sorted[j - 1];
	sorted[j] = it;
}

/* Preemption's own statuses of a node. */
enum { PRE_NO_VICTIMS, PRE_NOT_HELPFUL, N_PRE };
static const char *const pre_text[N_PRE] = {"No preemption victims found for incoming pod",
					    "Preemption is not helpful for scheduling"};

/*
 * " <c1> <r1>, <c2> <r2>." for the reasons with a non-zero count (the
 * filters' reasons, the taints, then preemption's statuses pre, which may
 * be NULL), the "<count> <reason>" strings sorted bytewise as Go's
 * sort.Strings sorts them (so "10 X" comes before "2 Y").
 */
static void put_histogram(char *buf, size_t len, size_t *at, const int *count, const char *const *text, size_t n,
			  const struct taint_tally *tt, const int *pre)
{
	char item[N_REASONS + MAX_TAINTS + N_PRE][ITEM_LEN];
	const char *sorted[N_REASONS + MAX_TAINTS + N_PRE];
	size_t k = 0;
	assert(n <= N_REASONS);
	for (size_t i = 0; i < n; i++)
		if (count[i] && text[i])
			add_item(item, sorted, &k, count[i], text[i]);
	for (size_t i = 0; pre && i < N_PRE; i++)
		if (pre[i])
			add_item(item, sorted, &k, pre[i], pre_text[i]);
	for (size_t i = 0; tt && i < tt->n; i++) {
		char t[ITEM_LEN];
		snprintf(t, sizeof t, "node(s) had untolerated taint {%s: %s}", tt->t[i]->key, tt->t[i]->value);
		add_item(item, sorted, &k, tt->count[i], t);
	}
	for (size_t i = 0; i < k; i++) {
		put(buf, len, at, i == 0 ? " " : ", ");
		put(buf, len, at, sorted[i]);
	}
	if (k > 0)
		put(buf, len, at, ".");
}

static void explain(const struct sched *s, size_t n, const int *count, const struct taint_tally *tt, int unresolvable,
		    char *why, size_t len)
{
	size_t at = 0;
	char head[64];
	why[0] = '\0';
	if (n == 0) {
		put(why, len, &at, "no nodes available to schedule pods");
		return;
	}
	snprintf(head, sizeof head, "0/%zu nodes are available:", n);
	put(why, len, &at, head);
	put_histogram(why, len, &at, count, reason_text, N_REASONS, tt, NULL);
	if (!s->preemption_msg)
		return;
	/* DefaultPreemption with no pod of a lower priority anywhere: the nodes
	 * that failed a resolvable filter (Fit, spread, anti-affinity) have no
	 * victims; for the others (cordoned, tainted, node affinity) preemption
	 * cannot help. */
	int pre[N_PRE] = {(int)n - unresolvable, unresolvable};
	put(why, len, &at, " preemption: ");
	put(why, len, &at, head);
	put_histogram(why, len, &at, NULL, reason_text, 0, NULL, pre);
}

/* Why node idx takes no pod p: sched_filter's bits, then placement's
 * shifted by N_SCHED_REASONS (sp NULL: resources only). */
static unsigned check_node(const struct sched_node *nd, const struct sched_pod *p, const struct sched_placement *sp,
			   size_t idx, bool active)
{
	if (nd->block != SCHED_OPEN || !sp)
		return sched_filter(nd, p);
	const struct place_node *pn = &sp->nodes[idx];
	unsigned r = place_filter_static(pn, sp->group);
	if (r)
		return r << N_SCHED_REASONS;
	r = sched_filter(nd, p);
	if (r || !active)
		return r;
	return place_filter(sp->pl, sp->group, pn) << N_SCHED_REASONS;
}

/* Counts a failed node's reasons; returns whether preemption cannot help it. */
static bool count_reasons(unsigned bad, int *count, struct taint_tally *tt, const struct sched_node *nd,
			  const struct sched_placement *sp, size_t idx)
{
	for (unsigned b = 0; b < N_REASONS; b++)
		count[b] += (bad >> b) & 1u;
	if (bad & (PLACE_R_TAINT << N_SCHED_REASONS)) {
		const struct place_node *pn = &sp->nodes[idx];
		tally_taint(tt, &pn->taints[pn->fit[sp->group].taint]);
	}
	return nd->block != SCHED_OPEN || place_unresolvable(bad >> N_SCHED_REASONS);
}

/* Keeps the best of (idx, score) so far; ties broken by reservoir sampling
 * (selectHost: the k-th node tying the best so far replaces it with
 * probability 1/k). */
static void keep_best(int *best, int64_t *best_score, uint32_t *ties, size_t idx, int64_t score, gsl_rng *r)
{
	if (*best < 0 || score > *best_score) {
		*best = (int)idx;
		*best_score = score;
		*ties = 1;
	} else if (score == *best_score) {
		assert(r != NULL);
		if (rng_below(r, ++*ties) == 0)
			*best = (int)idx;
	}
}

/*
 * The placement plugins' scores of the feasible nodes, normalized and
 * weighted, added to total (the resource scores already there).
 */
static void score_placement(const struct sched_placement *sp, size_t n, size_t nf, int64_t *total)
{
	const struct place_node *pn = sp->nodes;
	const uint32_t *f = sp->feasible;
	int g = sp->group;
	int64_t *taint = sp->scores + nf, *aff = sp->scores + 2 * nf, *spread = sp->scores + 3 * nf,
		*ipa = sp->scores + 4 * nf;
	bool do_spread = place_scores_spread(sp->pl, g), do_ipa = place_scores_affinity(sp->pl, g);
	if (do_spread)
		place_score_begin(sp->pl, g, pn, n, f, nf);
	for (size_t i = 0; i < nf; i++) {
		const struct place_node *nd = &pn[f[i]];
		taint[i] = nd->fit[g].soft_taints;
		aff[i] = nd->fit[g].preferred;
		spread[i] = do_spread ? place_spread_raw(sp->pl, g, nd) : 0;
		ipa[i] = do_ipa ? place_affinity_raw(sp->pl, g, nd) : 0;
	}
	place_normalize_default(taint, nf, true);
	place_normalize_default(aff, nf, false);
	if (do_spread)
		place_normalize_spread(spread, nf);
	if (do_ipa)
		place_normalize_affinity(ipa, nf);
	for (size_t i = 0; i < nf; i++)
		total[i] += SCHED_W_TAINT * taint[i] + SCHED_W_AFFINITY * aff[i] + SCHED_W_SPREAD * spread[i] +
			    SCHED_W_INTERPOD * ipa[i];
}

/*
 * One cycle: filter from s->next_start on, stop after
 * sched_feasible_to_find feasible nodes. Without placement each feasible
 * node is scored as it is found and the best kept, so no list of feasible
 * nodes is needed; with it, the feasible nodes are listed first, as
 * normalizing needs them all.
 */
static int pick(struct sched *s, const struct sched_node *nodes, size_t n, const struct sched_pod *p,
		const struct sched_placement *sp, gsl_rng *r, char *why, size_t why_len)
{
	assert(n == 0 || nodes != NULL);
	assert(why == NULL || why_len > 0);
	int count[N_REASONS] = {0};
	struct taint_tally tt = {.n = 0};
	int unresolvable = 0;
	size_t want = sched_feasible_to_find(s, n), found = 0, processed = 0;
	int best = -1;
	int64_t best_score = 0;
	uint32_t ties = 0;
	bool active = sp && place_active(sp->pl, sp->group);
	if (active)
		place_cycle_begin(sp->pl, sp->group, sp->nodes, n);
	for (size_t i = 0; i < n && found < want; i++) {
		size_t idx = (s->next_start + i) % n;
		const struct sched_node *nd = &nodes[idx];
		processed++;
		unsigned bad = check_node(nd, p, sp, idx, active);
		if (bad) {
			unresolvable += count_reasons(bad, count, &tt, nd, sp, idx);
			continue;
		}
		if (sp)
			sp->feasible[found] = (uint32_t)idx;
		else
			keep_best(&best, &best_score, &ties, idx, sched_score(s, nd, p), r);
		found++;
	}
	if (n > 0)
		s->next_start = (s->next_start + processed) % n;
	if (sp && found == 1)
		best = (int)sp->feasible[0];
	else if (sp && found > 1) {
		int64_t *total = sp->scores;
		for (size_t i = 0; i < found; i++)
			total[i] = sched_score(s, &nodes[sp->feasible[i]], p);
		score_placement(sp, n, found, total);
		for (size_t i = 0; i < found; i++)
			keep_best(&best, &best_score, &ties, sp->feasible[i], total[i], r);
	}
	if (best < 0 && why)
		explain(s, n, count, &tt, unresolvable, why, why_len);
	return best;
}

int sched_pick(struct sched *s, const struct sched_node *nodes, size_t n, const struct sched_pod *p, gsl_rng *r,
	       char *why, size_t why_len)
{
	return pick(s, nodes, n, p, NULL, r, why, why_len);
}

int sched_pick_placed(struct sched *s, const struct sched_node *nodes, size_t n, const struct sched_pod *p,
		      const struct sched_placement *sp, gsl_rng *r, char *why, size_t why_len)
{
	return pick(s, nodes, n, p, sp, r, why, why_len);
}

bool sched_fits(const struct sched_node *nodes, size_t n, const struct sched_pod *p,
		const struct sched_placement *sp, size_t idx)
{
	assert(idx < n);
	bool active = sp && place_active(sp->pl, sp->group);
	if (active)
		place_cycle_begin(sp->pl, sp->group, sp->nodes, n);
	return check_node(&nodes[idx], p, sp, idx, active) == 0;
}

/* ---- preemption (DefaultPreemption) ---- */

/* One preemption's inputs, as the helpers below share them. */
struct dry {
	const struct sched_node *nodes;
	size_t n;
	const struct sched_pod *p;
	const struct sched_placement *sp;
	const struct sched_preemption *pre;
	bool active;      /* placement's cycle applies to p */
	size_t max_pods;  /* room of each scratch list */
};

/* MoreImportantPod: the higher priority, then the earlier start; the
 * index breaks what is left (sort.Slice is not stable upstream). */
static bool more_important(const struct sched_bound *pods, uint32_t a, uint32_t b)
{
	const struct sched_bound *x = &pods[a], *y = &pods[b];
	if (x->req.priority != y->req.priority)
		return x->req.priority > y->req.priority;
	if (x->start != y->start)
		return x->start < y->start;
	return a < b;
}

static void sort_important(const struct sched_bound *pods, uint32_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint32_t x = v[i];
		size_t j = i;
		for (; j > 0 && more_important(pods, x, v[j - 1]); j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Pod i of node idx leaves (delta -1) or comes back to (+1) the copy nd
 * and placement's counts. */
static void move_pod(const struct dry *d, struct sched_node *nd, size_t idx, uint32_t i, int delta)
{
	const struct sched_bound *b = &d->pre->pods[i];
	if (delta < 0)
		sched_unbind(nd, &b->req);
	else
		sched_bind(nd, &b->req);
	if (d->active && b->group >= 0)
		place_pod_add(d->sp->pl, &d->pre->pnodes[idx], b->group, delta, !b->terminating);
}

/* The filters on the copy nd of node idx (RunFilterPluginsWithNominatedPods);
 * the static ones passed already. */
static unsigned refilter(const struct dry *d, const struct sched_node *nd, size_t idx)
{
	unsigned r = sched_filter(nd, d->p);
	if (r || !d->active)
		return r;
	place_cycle_begin(d->sp->pl, d->sp->group, d->sp->nodes, d->n);
	return place_filter(d->sp->pl, d->sp->group, &d->sp->nodes[idx]) << N_SCHED_REASONS;
}

/* Puts back each pod of list[0..k) that lets p fit still; the others are
 * victims, appended to out. Returns how many victims. */
static size_t reprieve(const struct dry *d, struct sched_node *nd, size_t idx, const uint32_t *list, size_t k,
		       uint32_t *out, size_t *n_out)
{
	size_t victims = 0;
	for (size_t j = 0; j < k; j++) {
		move_pod(d, nd, idx, list[j], +1);
		if (!refilter(d, nd, idx))
			continue;
		move_pod(d, nd, idx, list[j], -1);
		out[(*n_out)++] = list[j];
		victims++;
	}
	return victims;
}

enum { VICTIMS_FOUND, VICTIMS_NONE, VICTIMS_NOT_ENOUGH };

/* The pods of list[0..k) come back to node idx (copy nd); placement's
 * cycle is the cluster's again, for the next node's dry run. */
static void restore(const struct dry *d, struct sched_node *nd, size_t idx, const uint32_t *list, size_t k)
{
	for (size_t j = 0; j < k; j++)
		move_pod(d, nd, idx, list[j], +1);
	if (d->active)
		place_cycle_begin(d->sp->pl, d->sp->group, d->sp->nodes, d->n);
}

/*
 * SelectVictimsOnNode for node idx: VICTIMS_FOUND with the victims in
 * out[0..*n_out), most important first, and *viol of them violating
 * their PDB; VICTIMS_NONE when no pod has a lower priority; or
 * VICTIMS_NOT_ENOUGH with *bad the filters' reasons once every such pod
 * is gone. Placement's counts and cycle are restored on return.
 */
static int victims_on(const struct dry *d, size_t idx, uint32_t *out, size_t *n_out, int *viol, unsigned *bad)
{
	const struct sched_preemption *pre = d->pre;
	uint32_t *pot = pre->scratch, *bad_list = pot + d->max_pods, *ok_list = bad_list + d->max_pods;
	size_t k = 0, n_bad = 0, n_ok = 0;
	struct sched_node nd = d->nodes[idx];
	for (uint32_t i = pre->start[idx]; i < pre->start[idx + 1]; i++)
		if (pre->pods[i].req.priority < d->p->priority)
			pot[k++] = i;
	if (!k)
		return VICTIMS_NONE;
	for (size_t j = 0; j < k; j++)
		move_pod(d, &nd, idx, pot[j], -1);
	if ((*bad = refilter(d, &nd, idx))) {
		restore(d, &nd, idx, pot, k);
		return VICTIMS_NOT_ENOUGH;
	}
	/* filterPodsWithPDBViolation over the pods most important first: each
	 * spends one of its PDB's disruptions, and violates it past zero. */
	sort_important(pre->pods, pot, k);
	for (size_t i = 0; i < pre->n_pdbs; i++)
		pre->pdb_left[i] = pre->pdb_allowed[i];
	for (size_t j = 0; j < k; j++) {
		int b = pre->pods[pot[j]].pdb;
		if (b >= 0 && --pre->pdb_left[b] < 0)
			bad_list[n_bad++] = pot[j];
		else
			ok_list[n_ok++] = pot[j];
	}
	*n_out = 0;
	*viol = (int)reprieve(d, &nd, idx, bad_list, n_bad, out, n_out);
	reprieve(d, &nd, idx, ok_list, n_ok, out, n_out);
	if (n_bad && n_ok)
		sort_important(pre->pods, out, *n_out);
	restore(d, &nd, idx, out, *n_out);
	return VICTIMS_FOUND;
}

/* What pickOneNodeForPreemption compares of a candidate. */
struct cand {
	int viol;       /* PDB violations */
	int32_t top;    /* the highest victim priority */
	int64_t sum;    /* the victims' priorities, each + 2^31 */
	size_t n;       /* victims */
	int64_t start;  /* the earliest start among the victims of priority top */
};

static struct cand summarize(const struct sched_bound *pods, const uint32_t *v, size_t n, int viol)
{
	struct cand c = {.viol = viol, .top = pods[v[0]].req.priority, .n = n, .start = pods[v[0]].start};
	for (size_t i = 0; i < n; i++) {
		const struct sched_bound *b = &pods[v[i]];
		c.sum += (int64_t)b->req.priority + ((int64_t)INT32_MAX + 1);
		if (b->req.priority == c.top && b->start < c.start)
			c.start = b->start;
	}
	return c;
}

/* > 0 when a is the better node to preempt on, < 0 when b is, 0 on a tie:
 * fewer PDB violations, a lower highest priority, a smaller sum, fewer
 * victims, a later earliest start. */
static int cand_cmp(const struct cand *a, const struct cand *b)
{
	if (a->viol != b->viol)
		return a->viol < b->viol ? 1 : -1;
	if (a->top != b->top)
		return a->top < b->top ? 1 : -1;
	if (a->sum != b->sum)
		return a->sum < b->sum ? 1 : -1;
	if (a->n != b->n)
		return a->n < b->n ? 1 : -1;
	if (a->start != b->start)
		return a->start > b->start ? 1 : -1;
	return 0;
}

/* Whether node idx is one preemption might help: a failure of Fit,
 * topology spread or pod anti-affinity, not of its block, taints, node
 * affinity or a missing label (nodesWherePreemptionMightHelp). */
static bool potential(const struct dry *d, size_t idx, unsigned *bad)
{
	const struct sched_node *nd = &d->nodes[idx];
	*bad = check_node(nd, d->p, d->sp, idx, d->active);
	return *bad && nd->block == SCHED_OPEN && !(d->sp && place_unresolvable(*bad >> N_SCHED_REASONS));
}

/* PodEligibleToPreemptOthers' second rule: a pod whose nominated node
 * still has a lower-priority pod terminating by preemption waits for it,
 * unless the node no longer suits it at all. */
static bool waits_on_victims(const struct dry *d)
{
	const struct sched_preemption *pre = d->pre;
	int at = pre->nominated;
	unsigned bad;
	if (at < 0 || (size_t)at >= d->n || (!potential(d, (size_t)at, &bad) && bad))
		return false;
	for (uint32_t i = pre->start[at]; i < pre->start[at + 1]; i++)
		if (pre->pods[i].by_preemption && pre->pods[i].req.priority < d->p->priority)
			return true;
	return false;
}

/* calculateNumCandidates: 10 % of the potential nodes, at least 100, at most all. */
static size_t num_candidates(size_t potential_nodes)
{
	size_t k = potential_nodes * 10 / 100;
	k = k < 100 ? 100 : k;
	return k < potential_nodes ? k : potential_nodes;
}

/* The node the dry run starts at: the off-th potential node, off drawn
 * only when the search may stop before it has seen them all; *want, how
 * many candidates it looks for. */
static size_t first_node(const struct dry *d, gsl_rng *r, size_t *want)
{
	size_t n_pot = 0;
	unsigned bad;
	for (size_t i = 0; i < d->n; i++)
		n_pot += potential(d, i, &bad);
	*want = num_candidates(n_pot);
	if (*want >= n_pot)
		return 0;
	assert(r != NULL);
	size_t off = rng_below(r, (uint32_t)n_pot);
	for (size_t i = 0; i < d->n; i++)
		if (potential(d, i, &bad) && off-- == 0)
			return i;
	return 0;
}

int sched_preempt(const struct sched_node *nodes, size_t n, const struct sched_pod *p,
		  const struct sched_placement *sp, const struct sched_preemption *pre, gsl_rng *r,
		  struct sched_victims *v, char *why, size_t why_len)
{
	size_t at = why ? strlen(why) : 0;
	if (pre->never) {
		if (why)
			put(why, why_len, &at, " preemption: not eligible due to preemptionPolicy=Never.");
		return SCHED_PREEMPT_INELIGIBLE;
	}
	struct dry d = {nodes, n, p, sp, pre, sp && place_active(sp->pl, sp->group), 0};
	for (size_t i = 0; i < n; i++)
		d.max_pods = HR_MAX(d.max_pods, (size_t)(pre->start[i + 1] - pre->start[i]));
	if (d.active)
		place_cycle_begin(sp->pl, sp->group, sp->nodes, n);
	if (waits_on_victims(&d)) {
		if (why)
			put(why, why_len, &at, " preemption: not eligible due to a terminating pod on the nominated node.");
		return SCHED_PREEMPT_INELIGIBLE;
	}
	int count[N_REASONS] = {0}, pre_count[N_PRE] = {0};
	uint32_t *cur = pre->scratch + 3 * d.max_pods;
	size_t want, first = first_node(&d, r, &want), found = 0, found_ok = 0;
	unsigned bad;
	int best = SCHED_PREEMPT_NONE;
	struct cand best_c = {0};
	uint32_t ties = 0;
	v->n = 0;
	for (size_t i = 0; i < n && !(found_ok && found >= want); i++) {
		size_t idx = (first + i) % n, k = 0;
		int viol = 0;
		if (!potential(&d, idx, &bad)) {
			pre_count[PRE_NOT_HELPFUL]++;
			continue;
		}
		int got = victims_on(&d, idx, cur, &k, &viol, &bad);
		if (got == VICTIMS_NONE || (got == VICTIMS_FOUND && !k)) {
			pre_count[PRE_NO_VICTIMS]++;
			continue;
		}
		if (got == VICTIMS_NOT_ENOUGH) {
			for (unsigned b = 0; b < N_REASONS; b++)
				count[b] += (bad >> b) & 1u;
			continue;
		}
		found++;
		found_ok += viol == 0;
		struct cand c = summarize(pre->pods, cur, k, viol);
		int cmp = best < 0 ? 1 : cand_cmp(&c, &best_c);
		if (cmp == 0) {
			assert(r != NULL);
			cmp = rng_below(r, ++ties) == 0 ? 1 : -1;
		} else if (cmp > 0) {
			ties = 1;
		}
		if (cmp < 0)
			continue;
		best = (int)idx;
		best_c = c;
		memcpy(v->idx, cur, k * sizeof *cur);
		v->n = k;
		v->pdb_violations = viol;
	}
	if (best >= 0 || !why)
		return best;
	char head[64];
	snprintf(head, sizeof head, " preemption: 0/%zu nodes are available:", n);
	put(why, why_len, &at, head);
	put_histogram(why, why_len, &at, count, reason_text, N_REASONS, NULL, pre_count);
	return best;
}
