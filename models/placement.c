#include "placement.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- a node's labels ---- */

size_t place_node_labels(const struct place_node_desc *d, struct place_label *out, char *buf)
{
	size_t n = 0, used = 0;
	for (size_t i = 0; i < d->n_labels; i++)
		out[n++] = (struct place_label){d->labels[i].key, d->labels[i].value};
	if (d->hostname)
		out[n++] = (struct place_label){"kubernetes.io/hostname", d->hostname};
	if (d->zone)
		out[n++] = (struct place_label){"topology.kubernetes.io/zone", d->zone};
	if (d->type) {
		for (size_t k = 0; catalog_label_keys[k]; k++) {
			const char *v = catalog_label(d->type, catalog_label_keys[k], buf + used, PLACE_LABEL_BUF - used);
			if (v == buf + used)
				used += strlen(v) + 1;
			assert(used <= PLACE_LABEL_BUF);
			out[n++] = (struct place_label){catalog_label_keys[k], v};
		}
	} else {
		out[n++] = (struct place_label){"kubernetes.io/os", "linux"};
		out[n++] = (struct place_label){"kubernetes.io/arch", "amd64"};
	}
	if (d->nodepool)
		out[n++] = (struct place_label){"karpenter.sh/nodepool", d->nodepool};
	if (d->capacity >= 0)
		out[n++] = (struct place_label){"karpenter.sh/capacity-type", d->capacity ? "spot" : "on-demand"};
	assert(n <= d->n_labels + PLACE_NODE_LABELS);
	return n;
}

/* ---- matching ---- */

const char *place_label_get(const struct place_label *labels, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(labels[i].key, key))
			return labels[i].value;
	return NULL;
}

/* A label value as Gt and Lt read it (strconv.ParseInt base 10). */
static bool as_int(const char *s, long long *out)
{
	char *end;
	if (!s || !*s)
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return !*end && errno == 0;
}

bool place_requirement_matches(const struct scn_requirement *r, const struct place_label *labels, size_t n)
{
	const char *v = place_label_get(labels, n, r->key);
	bool in = false;
	long long a, b;
	for (size_t i = 0; v && i < r->n_values; i++)
		in |= !strcmp(v, r->values[i]);
	switch (r->op) {
	case REQ_IN:
		return in;
	case REQ_NOT_IN:
		return !in;
	case REQ_EXISTS:
		return v != NULL;
	case REQ_DOES_NOT_EXIST:
		return v == NULL;
	case REQ_GT:
		return r->n_values == 1 && as_int(v, &a) && as_int(r->values[0], &b) && a > b;
	case REQ_LT:
		return r->n_values == 1 && as_int(v, &a) && as_int(r->values[0], &b) && a < b;
	}
	return false;
}

bool place_term_matches(const struct scn_node_term *t, const struct place_label *labels, size_t n)
{
	if (!t->n_exprs)
		return false;
	for (size_t i = 0; i < t->n_exprs; i++)
		if (!place_requirement_matches(&t->exprs[i], labels, n))
			return false;
	return true;
}

bool place_node_affinity(const struct scn_placement *p, const struct place_label *labels, size_t n)
{
	for (size_t i = 0; i < p->n_node_selector; i++) {
		const char *v = place_label_get(labels, n, p->node_selector[i].key);
		if (!v || strcmp(v, p->node_selector[i].value))
			return false;
	}
	if (!p->has_required)
		return true;
	for (size_t i = 0; i < p->n_required; i++)
		if (place_term_matches(&p->required[i], labels, n))
			return true;
	return false;
}

int32_t place_node_preferred(const struct scn_placement *p, const struct place_label *labels, size_t n)
{
	int32_t sum = 0;
	for (size_t i = 0; i < p->n_preferred; i++)
		if (place_term_matches(&p->preferred[i], labels, n))
			sum += p->preferred[i].weight;
	return sum;
}

bool place_tolerates(const struct scn_toleration *t, const struct scn_taint *taint)
{
	if (t->effect >= 0 && (enum taint_effect)t->effect != taint->effect)
		return false;
	if (t->key[0] && strcmp(t->key, taint->key))
		return false;
	return t->exists || !strcmp(t->value, taint->value);
}

static bool tolerated(const struct scn_toleration *tol, size_t n_tol, const struct scn_taint *taint)
{
	for (size_t i = 0; i < n_tol; i++)
		if (place_tolerates(&tol[i], taint))
			return true;
	return false;
}

int place_untolerated(const struct scn_toleration *tol, size_t n_tol, const struct scn_taint *taints, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (taints[i].effect != EFFECT_PREFER_NO_SCHEDULE && !tolerated(tol, n_tol, &taints[i]))
			return (int)i;
	return -1;
}

int place_prefer_no_schedule(const struct scn_toleration *tol, size_t n_tol, const struct scn_taint *taints, size_t n)
{
	int count = 0;
	for (size_t i = 0; i < n; i++) {
		if (taints[i].effect != EFFECT_PREFER_NO_SCHEDULE)
			continue;
		/* Only tolerations with effect PreferNoSchedule or none take part
		 * (getAllTolerationPreferNoSchedule). */
		bool ok = false;
		for (size_t k = 0; k < n_tol && !ok; k++)
			ok = (tol[k].effect < 0 || tol[k].effect == EFFECT_PREFER_NO_SCHEDULE) &&
			     place_tolerates(&tol[k], &taints[i]);
		count += !ok;
	}
	return count;
}

/* Whether p's heaviest preferred node affinity term (the first of the
 * heaviest, as a stable sort by weight descending leaves it) matches; true
 * without preferred terms. */
static bool top_preferred(const struct scn_placement *p, const struct place_label *labels, size_t n_labels)
{
	size_t top = 0;
	for (size_t k = 1; k < p->n_preferred; k++)
		if (p->preferred[k].weight > p->preferred[top].weight)
			top = k;
	return !p->n_preferred || place_term_matches(&p->preferred[top], labels, n_labels);
}

struct place_fit place_node_fit(const struct scn_placement *p, const struct place_label *labels, size_t n_labels,
				const struct scn_taint *taints, size_t n_taints)
{
	return (struct place_fit){
		.top_preferred = top_preferred(p, labels, n_labels),
		.affinity = place_node_affinity(p, labels, n_labels),
		.taint = (int16_t)place_untolerated(p->tolerations, p->n_tolerations, taints, n_taints),
		.preferred = place_node_preferred(p, labels, n_labels),
		.soft_taints = place_prefer_no_schedule(p->tolerations, p->n_tolerations, taints, n_taints),
	};
}

/* ---- normalizers ---- */

void place_normalize_default(int64_t *scores, size_t n, bool reverse)
{
	int64_t max = 0;
	for (size_t i = 0; i < n; i++)
		if (scores[i] > max)
			max = scores[i];
	for (size_t i = 0; i < n; i++) {
		int64_t s = max == 0 ? 0 : 100 * scores[i] / max;
		scores[i] = reverse ? 100 - s : s;
	}
}

/* -1 marks a node the plugin ignores (invalidScore): it gets 0 and takes no
 * part in the minimum and maximum. */
void place_normalize_spread(int64_t *scores, size_t n)
{
	int64_t min = INT64_MAX, max = 0;
	for (size_t i = 0; i < n; i++) {
		if (scores[i] < 0)
			continue;
		min = scores[i] < min ? scores[i] : min;
		max = scores[i] > max ? scores[i] : max;
	}
	for (size_t i = 0; i < n; i++) {
		if (scores[i] < 0)
			scores[i] = 0;
		else if (max == 0)
			scores[i] = 100;
		else
			scores[i] = 100 * (max + min - scores[i]) / max;
	}
}

/* ---- the state ---- */

/* Whether a pod of sc's service a and one of service b share a namespace
 * (a service that names none is taken to share any). */
static bool same_ns(const struct scn_service *a, const struct scn_service *b)
{
	return !a->namespace || !b->namespace || !strcmp(a->namespace, b->namespace);
}

/* The groups sel selects (from service `of`'s namespace) into out; returns
 * their count. */
static size_t resolve(const struct scenario *sc, size_t of, bool has, const struct scn_selector *sel, int *out)
{
	size_t k = 0;
	for (size_t g = 0; has && g < sc->n_services; g++) {
		const struct scn_service *s = &sc->services[g];
		if (same_ns(&sc->services[of], s) && scn_selector_matches(sel, s->labels, s->n_labels))
			out[k++] = (int)g;
	}
	return k;
}

static bool has_group(const int *v, size_t n, size_t g)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == (int)g)
			return true;
	return false;
}

/* kube-scheduler's system default constraints (PodTopologySpreadArgs
 * defaultingType System): hostname maxSkew 3 and zone maxSkew 5, both
 * ScheduleAnyway, selecting the pods of the pod's own ReplicaSet. */
static void default_spread(struct place_group *pg, int *own)
{
	pg->n_spread = 2;
	pg->defaulted = true;
	pg->spread = xcalloc(2, sizeof *pg->spread);
	pg->spread[0] = (struct place_spread){SCN_TOPO_HOSTNAME, 3, 1, false, true, false, own, 1, true};
	pg->spread[1] = (struct place_spread){SCN_TOPO_ZONE, 5, 1, false, true, false, own, 1, true};
}

static void init_group(struct place *pl, const struct scenario *sc, size_t g, int **store)
{
	const struct scn_placement *p = &sc->services[g].placement;
	struct place_group *pg = &pl->groups[g];
	size_t ns = sc->n_services;
	assert(p->n_spread <= PLACE_MAX_TERMS && p->n_pod_terms <= PLACE_MAX_TERMS);
	int *own = (*store)++;
	*own = (int)g;
	pg->node_rules = p->n_node_selector || p->has_required;
	if (!p->n_spread && sc->cluster.default_spread)
		default_spread(pg, own);
	if (p->n_spread) {
		pg->spread = xcalloc(p->n_spread, sizeof *pg->spread);
		pg->n_spread = p->n_spread;
	}
	for (size_t i = 0; i < p->n_spread; i++) {
		const struct scn_spread *c = &p->spread[i];
		struct place_spread *d = &pg->spread[i];
		*d = (struct place_spread){c->key, c->max_skew, c->min_domains, c->hard, c->honor_affinity,
					   c->honor_taints, *store, 0, false};
		d->n_sel = resolve(sc, g, c->has_selector, &c->selector, *store);
		d->self = has_group(d->sel, d->n_sel, g);
		if (c->own_revision) { /* pod-template-hash: this ReplicaSet's pods only */
			d->n_sel = d->self ? 1 : 0;
			(*store)[0] = (int)g;
		}
		*store += d->n_sel;
	}
	pg->terms = xcalloc(p->n_pod_terms ? p->n_pod_terms : 1, sizeof *pg->terms);
	for (size_t i = 0; i < p->n_pod_terms; i++) {
		const struct scn_pod_term *t = &p->pod_terms[i];
		struct place_term *d = &pg->terms[pg->n_terms++];
		*d = (struct place_term){t->key, t->anti, t->weight, *store, 0, false};
		d->n_sel = resolve(sc, g, t->has_selector, &t->selector, *store);
		d->self = has_group(d->sel, d->n_sel, g);
		*store += d->n_sel;
	}
	/* The groups every required affinity term selects (podMatchesAllAffinityTerms). */
	pg->aff_sel = *store;
	bool any = false;
	for (size_t x = 0; x < ns; x++) {
		bool all = true;
		for (size_t i = 0; i < pg->n_terms; i++)
			if (!pg->terms[i].anti && !pg->terms[i].weight) {
				any = true;
				all &= has_group(pg->terms[i].sel, pg->terms[i].n_sel, x);
			}
		if (all)
			pg->aff_sel[pg->n_aff_sel++] = (int)x;
	}
	if (!any)
		pg->n_aff_sel = 0;
	pg->aff_self = any && has_group(pg->aff_sel, pg->n_aff_sel, g);
	*store += pg->n_aff_sel;
}

/*
 * What the groups' terms make of each other. Group g is repelled by every
 * group whose required anti-affinity selects it (the existing pods' side
 * of InterPodAffinity's filter). Its score on a node sums, over the pods
 * in the node's domains, the weights InterPodAffinity's PreScore gives
 * them: +-weight for each of g's preferred terms selecting the pod, and
 * for each term of the pod's own group that selects g, +1
 * (hardPodAffinityWeight) for a required affinity term and +-weight for a
 * preferred one.
 */
static void init_cross(struct place *pl, const struct scenario *sc, size_t g)
{
	struct place_group *pg = &pl->groups[g];
	size_t ns = sc->n_services;
	pg->repel = xcalloc(PLACE_MAX_TERMS * ns + 1, sizeof *pg->repel);
	pg->w_host = xcalloc(2 * ns + 1, sizeof *pg->w_host);
	pg->w_zone = pg->w_host + ns;
	for (size_t i = 0; i < pg->n_terms; i++) {
		const struct place_term *t = &pg->terms[i];
		int32_t *w = t->key == SCN_TOPO_ZONE ? pg->w_zone : pg->w_host;
		for (size_t k = 0; t->weight && k < t->n_sel; k++)
			w[t->sel[k]] += t->anti ? -t->weight : t->weight;
	}
	for (size_t o = 0; o < ns; o++) {
		const struct place_group *other = &pl->groups[o];
		for (size_t i = 0; i < other->n_terms; i++) {
			const struct place_term *t = &other->terms[i];
			if (!has_group(t->sel, t->n_sel, g))
				continue;
			int32_t *w = t->key == SCN_TOPO_ZONE ? pg->w_zone : pg->w_host;
			if (t->anti && !t->weight)
				pg->repel[pg->n_repel++] = (struct place_repel){(int)o, t->key};
			else if (!t->anti && !t->weight)
				w[o] += 1;
			else
				w[o] += t->anti ? -t->weight : t->weight;
		}
	}
	for (size_t o = 0; o < ns; o++)
		pg->ipa_scores |= pg->w_host[o] || pg->w_zone[o];
}

void place_init(struct place *pl, const struct scenario *sc)
{
	size_t ns = sc->n_services, nz = sc->cluster.n_zones;
	memset(pl, 0, sizeof *pl);
	pl->n_groups = ns;
	pl->n_zones = nz;
	pl->cycle_group = -1;
	pl->groups = xcalloc(ns ? ns : 1, sizeof *pl->groups);
	/* Each group: itself, then each term's list and the affinity list, each
	 * at most ns long. */
	pl->sel_store = xcalloc(ns * (1 + (2 * PLACE_MAX_TERMS + 1) * ns) + 1, sizeof *pl->sel_store);
	int *store = pl->sel_store;
	for (size_t g = 0; g < ns; g++)
		init_group(pl, sc, g, &store);
	for (size_t g = 0; g < ns; g++)
		init_cross(pl, sc, g);
	pl->zone_live = xcalloc((nz + 1) * (ns ? ns : 1), sizeof *pl->zone_live);
	pl->zone_bound = xcalloc((nz + 1) * (ns ? ns : 1), sizeof *pl->zone_bound);
	pl->zone_nodes = xcalloc(nz + 1, sizeof *pl->zone_nodes);
	pl->cnt = xcalloc(PLACE_MAX_TERMS * (nz + 1), sizeof *pl->cnt);
	pl->dom = xcalloc(PLACE_MAX_TERMS * (nz + 1), sizeof *pl->dom);
	pl->repelled = xcalloc(nz + 1, sizeof *pl->repelled);
}

void place_release(struct place *pl)
{
	for (size_t g = 0; g < pl->n_groups; g++) {
		free(pl->groups[g].spread);
		free(pl->groups[g].terms);
		free(pl->groups[g].repel);
		free(pl->groups[g].w_host);
	}
	free(pl->groups);
	free(pl->sel_store);
	free(pl->zone_live);
	free(pl->zone_bound);
	free(pl->zone_nodes);
	free(pl->cnt);
	free(pl->dom);
	free(pl->repelled);
	memset(pl, 0, sizeof *pl);
}

/* The row of zone z in the per-zone arrays (nodes without one: the last). */
static size_t zrow(const struct place *pl, int z)
{
	assert(z == PLACE_ZONE_NONE || (z >= 0 && (size_t)z < pl->n_zones));
	return z < 0 ? pl->n_zones : (size_t)z;
}

void place_node_counted(struct place *pl, struct place_node *nd, bool counted)
{
	if (nd->counted == counted)
		return;
	for (size_t g = 0; g < pl->n_groups; g++)
		assert(nd->bound[g] == 0);
	nd->counted = counted;
	pl->zone_nodes[zrow(pl, nd->zone)] += counted ? 1 : -1;
}

void place_pod_add(struct place *pl, struct place_node *nd, int g, int delta, bool live)
{
	size_t at = zrow(pl, nd->zone) * pl->n_groups + (size_t)g;
	assert(nd->counted && (delta == 1 || delta == -1));
	nd->bound[g] += delta;
	pl->zone_bound[at] += delta;
	if (live) {
		nd->live[g] += delta;
		pl->zone_live[at] += delta;
	}
	assert(nd->bound[g] >= 0 && nd->live[g] >= 0 && nd->live[g] <= nd->bound[g]);
}

void place_pod_terminating(struct place *pl, struct place_node *nd, int g)
{
	size_t at = zrow(pl, nd->zone) * pl->n_groups + (size_t)g;
	assert(nd->live[g] > 0);
	nd->live[g]--;
	pl->zone_live[at]--;
}

/* ---- the cycle ---- */

bool place_unresolvable(unsigned reason)
{
	return reason & (PLACE_R_TAINT | PLACE_R_AFFINITY | PLACE_R_SPREAD_LABEL | PLACE_R_POD_AFFINITY);
}

bool place_active(const struct place *pl, int g)
{
	const struct place_group *pg = &pl->groups[g];
	return pg->n_spread || pg->n_terms || pg->n_repel || pg->ipa_scores;
}

bool place_scores_spread(const struct place *pl, int g)
{
	const struct place_group *pg = &pl->groups[g];
	for (size_t i = 0; i < pg->n_spread; i++)
		if (!pg->spread[i].hard)
			return true;
	return false;
}

static int sum_over(const int *counts, const int *sel, size_t n_sel)
{
	int s = 0;
	for (size_t i = 0; i < n_sel; i++)
		s += counts[sel[i]];
	return s;
}

/* matchNodeInclusionPolicies: whether nd counts for constraint c of a pod
 * of group g. */
static bool included(const struct place_spread *c, const struct place_node *nd, int g)
{
	const struct place_fit *f = &nd->fit[g];
	if (c->honor_affinity && !f->affinity)
		return false;
	return !c->honor_taints || (f->taint < 0 && nd->open);
}

/* Whether a node lacks a topology key of the group's constraints of the
 * given kind (hard, or soft): only the zone can be missing. */
static bool lacks_key(const struct place_group *pg, const struct place_node *nd, bool hard)
{
	if (nd->zone != PLACE_ZONE_NONE)
		return false;
	for (size_t i = 0; i < pg->n_spread; i++)
		if (pg->spread[i].hard == hard && pg->spread[i].key == SCN_TOPO_ZONE)
			return true;
	return false;
}

/* A hard zone constraint's counts: from the zones' running counts when
 * every counted node is included, else from a pass over the nodes. */
static void hard_zone(struct place *pl, size_t i, int g, const struct place_node *nodes, size_t n)
{
	const struct place_group *pg = &pl->groups[g];
	const struct place_spread *c = &pg->spread[i];
	size_t nz = pl->n_zones;
	int *cnt = pl->cnt + i * (nz + 1);
	bool *dom = pl->dom + i * (nz + 1);
	memset(cnt, 0, (nz + 1) * sizeof *cnt);
	memset(dom, 0, (nz + 1) * sizeof *dom);
	if (!c->honor_taints && (!c->honor_affinity || !pg->node_rules)) {
		for (size_t z = 0; z < nz; z++) {
			dom[z] = pl->zone_nodes[z] > 0;
			cnt[z] = sum_over(pl->zone_live + z * pl->n_groups, c->sel, c->n_sel);
		}
	} else {
		for (size_t k = 0; k < n; k++) {
			const struct place_node *nd = &nodes[k];
			if (!nd->counted || lacks_key(pg, nd, true) || !included(c, nd, g))
				continue;
			dom[zrow(pl, nd->zone)] = true;
			cnt[zrow(pl, nd->zone)] += sum_over(nd->live, c->sel, c->n_sel);
		}
	}
	pl->min[i] = INT32_MAX;
	pl->n_dom[i] = 0;
	for (size_t z = 0; z < nz; z++)
		if (dom[z]) {
			pl->n_dom[i]++;
			pl->min[i] = cnt[z] < pl->min[i] ? cnt[z] : pl->min[i];
		}
}

/* A hard hostname constraint: each included node is a domain. */
static void hard_host(struct place *pl, size_t i, int g, const struct place_node *nodes, size_t n)
{
	const struct place_group *pg = &pl->groups[g];
	const struct place_spread *c = &pg->spread[i];
	pl->min[i] = INT32_MAX;
	pl->n_dom[i] = 0;
	for (size_t k = 0; k < n; k++) {
		const struct place_node *nd = &nodes[k];
		if (!nd->counted || lacks_key(pg, nd, true) || !included(c, nd, g))
			continue;
		int s = sum_over(nd->live, c->sel, c->n_sel);
		pl->n_dom[i]++;
		pl->min[i] = s < pl->min[i] ? s : pl->min[i];
	}
}

/* The zones that hold a pod of a group whose anti-affinity repels g, and
 * the pods that match every affinity term of g, cluster-wide. */
static void affinity_begin(struct place *pl, int g)
{
	const struct place_group *pg = &pl->groups[g];
	size_t nz = pl->n_zones, ng = pl->n_groups;
	memset(pl->repelled, 0, (nz + 1) * sizeof *pl->repelled);
	for (size_t r = 0; r < pg->n_repel; r++) {
		if (pg->repel[r].key != SCN_TOPO_ZONE)
			continue;
		for (size_t z = 0; z < nz; z++)
			pl->repelled[z] |= pl->zone_bound[z * ng + (size_t)pg->repel[r].group] > 0;
	}
	pl->aff_total = 0;
	for (size_t z = 0; z <= nz; z++)
		pl->aff_total += sum_over(pl->zone_bound + z * ng, pg->aff_sel, pg->n_aff_sel);
}

void place_cycle_begin(struct place *pl, int g, const struct place_node *nodes, size_t n)
{
	const struct place_group *pg = &pl->groups[g];
	pl->cycle_group = g;
	for (size_t i = 0; i < pg->n_spread; i++) {
		if (!pg->spread[i].hard)
			continue;
		if (pg->spread[i].key == SCN_TOPO_ZONE)
			hard_zone(pl, i, g, nodes, n);
		else
			hard_host(pl, i, g, nodes, n);
	}
	affinity_begin(pl, g);
}

unsigned place_filter_static(const struct place_node *nd, int g)
{
	if (nd->fit[g].taint >= 0)
		return PLACE_R_TAINT;
	return nd->fit[g].affinity ? 0 : PLACE_R_AFFINITY;
}

/* PodTopologySpread's Filter: existing + self - global minimum <= maxSkew. */
static unsigned spread_filter(const struct place *pl, int g, const struct place_node *nd)
{
	const struct place_group *pg = &pl->groups[g];
	size_t nz = pl->n_zones;
	for (size_t i = 0; i < pg->n_spread; i++) {
		const struct place_spread *c = &pg->spread[i];
		if (!c->hard)
			continue;
		if (c->key == SCN_TOPO_ZONE && nd->zone == PLACE_ZONE_NONE)
			return PLACE_R_SPREAD_LABEL;
		int match;
		if (c->key == SCN_TOPO_ZONE) {
			size_t z = zrow(pl, nd->zone);
			match = pl->dom[i * (nz + 1) + z] ? pl->cnt[i * (nz + 1) + z] : 0;
		} else {
			bool domain = nd->counted && !lacks_key(pg, nd, true) && included(c, nd, g);
			match = domain ? sum_over(nd->live, c->sel, c->n_sel) : 0;
		}
		int min = pl->n_dom[i] < c->min_domains ? 0 : pl->min[i];
		if ((long)match + c->self - (long)min > c->max_skew)
			return PLACE_R_SPREAD;
	}
	return 0;
}

/* The pods of groups sel in nd's domain of key. */
static int in_domain(const struct place *pl, const struct place_node *nd, enum scn_topo key, const int *sel, size_t n,
		     bool live)
{
	if (key == SCN_TOPO_HOSTNAME)
		return sum_over(live ? nd->live : nd->bound, sel, n);
	if (nd->zone == PLACE_ZONE_NONE)
		return 0;
	const int *row = (live ? pl->zone_live : pl->zone_bound) + (size_t)nd->zone * pl->n_groups;
	return sum_over(row, sel, n);
}

/* InterPodAffinity's Filter: existing pods' anti-affinity, then the pod's
 * own affinity (every term needs a matching pod in the node's domain, but
 * the first pod of a group that matches its own terms goes anywhere), then
 * its anti-affinity (no term may see a matching pod in the domain). */
static unsigned affinity_filter(const struct place *pl, int g, const struct place_node *nd)
{
	const struct place_group *pg = &pl->groups[g];
	for (size_t r = 0; r < pg->n_repel; r++) {
		const struct place_repel *rp = &pg->repel[r];
		bool hit = rp->key == SCN_TOPO_ZONE ? nd->zone != PLACE_ZONE_NONE && pl->repelled[nd->zone]
						    : nd->bound[rp->group] > 0;
		if (hit)
			return PLACE_R_EXISTING_ANTI;
	}
	bool ok = true;
	for (size_t i = 0; i < pg->n_terms && ok; i++) {
		const struct place_term *t = &pg->terms[i];
		if (!t->anti && !t->weight) /* a node without the zone label has no such domain: 0 */
			ok = in_domain(pl, nd, t->key, pg->aff_sel, pg->n_aff_sel, false) > 0;
	}
	if (!ok && !(pl->aff_total == 0 && pg->aff_self))
		return PLACE_R_POD_AFFINITY;
	for (size_t i = 0; i < pg->n_terms; i++) {
		const struct place_term *t = &pg->terms[i];
		if (t->anti && !t->weight && in_domain(pl, nd, t->key, t->sel, t->n_sel, false) > 0)
			return PLACE_R_POD_ANTI;
	}
	return 0;
}

unsigned place_filter(const struct place *pl, int g, const struct place_node *nd)
{
	assert(pl->cycle_group == g);
	unsigned r = spread_filter(pl, g, nd);
	return r ? r : affinity_filter(pl, g, nd);
}

/* ---- scoring ---- */

/* Whether a node is left out of the soft constraints' scoring
 * (requireAllTopologies: the pod's own constraints need every key). */
static bool ignored(const struct place_group *pg, const struct place_node *nd)
{
	return !pg->defaulted && lacks_key(pg, nd, false);
}

void place_score_begin(struct place *pl, int g, const struct place_node *nodes, size_t n, const uint32_t *feasible,
		       size_t n_feasible)
{
	const struct place_group *pg = &pl->groups[g];
	size_t nz = pl->n_zones, kept = 0;
	for (size_t f = 0; f < n_feasible; f++)
		kept += !ignored(pg, &nodes[feasible[f]]);
	for (size_t i = 0; i < pg->n_spread; i++) {
		const struct place_spread *c = &pg->spread[i];
		if (c->hard)
			continue;
		if (c->key == SCN_TOPO_HOSTNAME) {
			pl->weight[i] = log((double)kept + 2);
			continue;
		}
		int *cnt = pl->cnt + i * (nz + 1);
		bool *dom = pl->dom + i * (nz + 1);
		memset(cnt, 0, (nz + 1) * sizeof *cnt);
		memset(dom, 0, (nz + 1) * sizeof *dom);
		size_t size = 0;
		for (size_t f = 0; f < n_feasible; f++) {
			const struct place_node *nd = &nodes[feasible[f]];
			if (ignored(pg, nd) || dom[zrow(pl, nd->zone)])
				continue;
			dom[zrow(pl, nd->zone)] = true;
			size++;
		}
		pl->weight[i] = log((double)size + 2);
		if (!c->honor_taints && (!c->honor_affinity || !pg->node_rules)) {
			/* every counted node is included: the zones' running counts */
			for (size_t z = 0; z <= nz; z++)
				cnt[z] = dom[z] ? sum_over(pl->zone_live + z * pl->n_groups, c->sel, c->n_sel) : 0;
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			const struct place_node *nd = &nodes[k];
			if (!nd->counted || ignored(pg, nd) || !dom[zrow(pl, nd->zone)] || !included(c, nd, g))
				continue;
			cnt[zrow(pl, nd->zone)] += sum_over(nd->live, c->sel, c->n_sel);
		}
	}
}

int64_t place_spread_raw(const struct place *pl, int g, const struct place_node *nd)
{
	const struct place_group *pg = &pl->groups[g];
	size_t nz = pl->n_zones;
	if (ignored(pg, nd))
		return -1;
	double score = 0;
	for (size_t i = 0; i < pg->n_spread; i++) {
		const struct place_spread *c = &pg->spread[i];
		if (c->hard)
			continue;
		int cnt;
		if (c->key == SCN_TOPO_HOSTNAME)
			cnt = sum_over(nd->live, c->sel, c->n_sel);
		else if (nd->zone == PLACE_ZONE_NONE)
			continue; /* no zone label: the constraint gives this node nothing */
		else
			cnt = pl->cnt[i * (nz + 1) + (size_t)nd->zone];
		score += (double)cnt * pl->weight[i] + (double)(c->max_skew - 1);
	}
	return (int64_t)llround(score);
}

bool place_scores_affinity(const struct place *pl, int g)
{
	return pl->groups[g].ipa_scores;
}

int64_t place_affinity_raw(const struct place *pl, int g, const struct place_node *nd)
{
	const struct place_group *pg = &pl->groups[g];
	int64_t s = 0;
	const int *zone = nd->zone == PLACE_ZONE_NONE ? NULL : pl->zone_bound + (size_t)nd->zone * pl->n_groups;
	for (size_t o = 0; o < pl->n_groups; o++) {
		s += (int64_t)pg->w_host[o] * nd->bound[o];
		if (zone)
			s += (int64_t)pg->w_zone[o] * zone[o];
	}
	return s;
}

void place_normalize_affinity(int64_t *scores, size_t n)
{
	int64_t min = INT64_MAX, max = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		min = scores[i] < min ? scores[i] : min;
		max = scores[i] > max ? scores[i] : max;
	}
	for (size_t i = 0; i < n; i++)
		scores[i] = max > min ? (int64_t)(100.0 * ((double)(scores[i] - min) / (double)(max - min))) : 0;
}
