/*
 * alb.c: several clusters behind an ALB (models/alb.h; docs/clusters.md).
 *
 * AWS documents the forward action's weighted target groups (0-999 each,
 * ForwardActionConfig), a target group's deregistration delay ("Elastic
 * Load Balancing stops sending requests to targets that are
 * deregistering ... in-flight requests ... complete", then the
 * connections are closed; deregistration_delay.timeout_seconds, 300 s) and
 * slow start (the balancer's SLOW_START_ALB, applied to each copy by the
 * loader). How an ALB spreads requests over weighted target groups is not
 * published beyond "distributes traffic ... based on the weight"; a
 * per-request draw in proportion to the weights is the model here.
 */
#include "alb.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "sim.h"
#include "world.h"

#define RNG_ALB 20 /* a model id of rng_stream (beside enum rng_model's), instance: the rule */

struct alb {
	struct world *w;
	const struct scn_multi *m;
	gsl_rng **r;          /* per rule: the target group draws */
	int64_t *req, *cut;   /* per rule x SCN_ALB_MAX_TGS: requests sent, requests cut, in the interval */
	double *gone_usd;     /* per cluster: cost of its nodes already gone, USD */
	double *gone_secs;    /* per cluster: their lifetimes, s */
	int *max_nodes;       /* per cluster: the most nodes at a sample */
	int64_t *mark_ended, *mark_errors; /* per cluster: requests ended and failed at the last sample */
	double w_buf[SCN_ALB_MAX_TGS];
};

void alb_weights_at(const struct scn_alb_rule *r, simtime t, double *w)
{
	for (size_t g = 0; g < r->n_tgs; g++)
		w[g] = r->tgs[g].weight;
	for (size_t k = 0; k < r->n_steps && r->steps[k].at <= t; k++) {
		const struct scn_alb_step *st = &r->steps[k];
		double f = st->over && t < st->at + st->over ? (double)(t - st->at) / (double)st->over : 1;
		for (size_t g = 0; g < r->n_tgs; g++)
			if (st->weight[g] >= 0)
				w[g] += f * (st->weight[g] - w[g]);
	}
	for (size_t g = 0; g < r->n_tgs; g++)
		if (!alb_registered_at(r, g, t))
			w[g] = 0;
}

bool alb_registered_at(const struct scn_alb_rule *r, size_t g, simtime t)
{
	bool reg = true;
	for (size_t k = 0; k < r->n_steps && r->steps[k].at <= t; k++) {
		if (r->steps[k].deregister >> g & 1)
			reg = false;
		if (r->steps[k].reregister >> g & 1)
			reg = true;
	}
	return reg;
}

int alb_pick(const double *w, size_t n, double u)
{
	double sum = 0;
	for (size_t g = 0; g < n; g++)
		sum += w[g];
	if (!(sum > 0))
		return -1;
	double x = u * sum, acc = 0;
	int last = -1;
	for (size_t g = 0; g < n; g++) {
		if (w[g] <= 0)
			continue;
		acc += w[g];
		last = (int)g;
		if (x < acc)
			return last;
	}
	return last; /* rounding: u x sum at the very top */
}

int alb_node_cluster(const struct world *w, const struct wnode *n)
{
	const struct scn_multi *m = w->sc->multi;
	if (!m || !n->meta)
		return -1;
	for (size_t i = 0; i < n->meta->n_labels; i++)
		if (!strcmp(n->meta->labels[i].key, SCN_CLUSTER_LABEL))
			for (size_t c = 0; c < m->n_clusters; c++)
				if (!strcmp(m->clusters[c].name, n->meta->labels[i].value))
					return (int)c;
	return -1;
}

struct service *alb_route(struct world *w, struct service *sv, uint32_t parent)
{
	struct alb *a = w->alb;
	const struct scn_multi *m = a->m;
	size_t lg = (size_t)sv->cfg->logical, nc = m->n_clusters;
	int from = parent == REQ_NONE ? -1 : w->svcs[w->reqs[parent].svc].cfg->kcluster;
	if (from >= 0 && m->copy[lg * nc + (size_t)from] >= 0)
		return &w->svcs[m->copy[lg * nc + (size_t)from]]; /* in-cluster calls stay in their cluster */
	int ri = m->rule_of[lg];
	if (ri < 0)
		return sv; /* deployed to one cluster (the loader checked): its one copy */
	const struct scn_alb_rule *r = &m->rules[ri];
	alb_weights_at(r, w->s->now, a->w_buf);
	int g = alb_pick(a->w_buf, r->n_tgs, rng_u01(a->r[ri]));
	if (g < 0)
		return NULL;
	a->req[(size_t)ri * SCN_ALB_MAX_TGS + (size_t)g]++;
	return &w->svcs[m->copy[lg * nc + (size_t)r->tgs[g].cluster]];
}

/* A request reached its copy through the ALB: from outside, or from another cluster. */
static bool through_alb(const struct world *w, const struct req *q, int cluster)
{
	return q->parent == REQ_NONE || w->svcs[w->reqs[q->parent].svc].cfg->kcluster != cluster;
}

/* Target group g of rule `arg >> 8` has been deregistered for its delay:
 * the ALB closes the connections of the requests still in it. */
static simtime cut_ev(struct sim *s, void *obj, uint64_t arg)
{
	struct alb *a = obj;
	struct world *w = a->w;
	size_t ri = arg >> 8, g = arg & 0xff;
	const struct scn_alb_rule *r = &a->m->rules[ri];
	/* Due only for the deregistration still in force: one that a later
	 * register ended (and a later deregister restarted) has no cut. */
	simtime since = -1;
	for (size_t k = 0; k < r->n_steps && r->steps[k].at <= s->now; k++) {
		if (r->steps[k].reregister >> g & 1)
			since = -1;
		else if (r->steps[k].deregister >> g & 1 && since < 0)
			since = r->steps[k].at;
	}
	if (since < 0 || since + r->tgs[g].dereg_delay != s->now)
		return SIM_DONE;
	int c = r->tgs[g].cluster;
	for (uint32_t id = 0; id < w->cap_reqs; id++) {
		const struct req *q = &w->reqs[id];
		if (q->state == REQ_FREE)
			continue;
		const struct scn_service *cfg = w->svcs[q->svc].cfg;
		if (cfg->kcluster != c || a->m->rule_of[cfg->logical] != (int)ri || !through_alb(w, q, c))
			continue;
		if (svc_cut(w, id))
			a->cut[ri * SCN_ALB_MAX_TGS + g]++;
	}
	return SIM_DONE;
}

static void emit_tgs(struct alb *a, double t_s)
{
	struct world *w = a->w;
	for (size_t ri = 0; ri < a->m->n_rules; ri++) {
		const struct scn_alb_rule *r = &a->m->rules[ri];
		double wt[SCN_ALB_MAX_TGS], sum = 0;
		alb_weights_at(r, w->s->now, wt);
		for (size_t g = 0; g < r->n_tgs; g++)
			sum += wt[g];
		for (size_t g = 0; g < r->n_tgs; g++) {
			size_t k = ri * SCN_ALB_MAX_TGS + g;
			struct row_tg row = {t_s,
					     r->name,
					     r->tgs[g].name,
					     a->m->clusters[r->tgs[g].cluster].name,
					     wt[g],
					     sum > 0 ? wt[g] / sum : 0,
					     alb_registered_at(r, g, w->s->now),
					     a->req[k],
					     a->cut[k]};
			if (w->out.target_group)
				w->out.target_group(w->out.ctx, &row);
			a->req[k] = a->cut[k] = 0;
		}
	}
}

/* Requests ended and failed so far at cluster c's services. */
static void ended(const struct world *w, int c, int64_t *n, int64_t *err)
{
	*n = *err = 0;
	for (size_t i = 0; i < w->n_svcs; i++) {
		const struct slo_tracker *t = &w->svcs[i].slo;
		if (w->svcs[i].cfg->kcluster != c)
			continue;
		*n += t->run.served + t->run.errors + t->iv.served + t->iv.errors;
		*err += t->run.errors + t->iv.errors;
	}
}

static void emit_clusters(struct alb *a, double t_s)
{
	struct world *w = a->w;
	for (size_t c = 0; c < a->m->n_clusters; c++) {
		struct row_kcluster row = {t_s, a->m->clusters[c].name, a->m->clusters[c].version, 0, 0, 0, 0, 0};
		for (size_t i = 0; i < w->n_nodes; i++) {
			const struct wnode *n = w->wnodes[i];
			if (alb_node_cluster(w, n) != (int)c)
				continue;
			row.nodes++;
			row.ready += n->state == NODE_READY;
			row.cost_per_hour += n->price_hour;
		}
		if (row.nodes > a->max_nodes[c])
			a->max_nodes[c] = row.nodes;
		int64_t n, err;
		ended(w, (int)c, &n, &err);
		row.requests = n - a->mark_ended[c];
		row.errors = err - a->mark_errors[c];
		a->mark_ended[c] = n;
		a->mark_errors[c] = err;
		if (w->out.kcluster)
			w->out.kcluster(w->out.ctx, &row);
	}
}

/* Every sample interval (after the world's sampler at the same time). */
static simtime sample_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)arg;
	struct alb *a = obj;
	double t_s = sim_to_s(s->now);
	emit_tgs(a, t_s);
	emit_clusters(a, t_s);
	simtime dt = a->w->sc->sample_interval;
	return s->now >= s->end ? SIM_DONE : HR_MIN(dt, s->end - s->now);
}

struct alb *alb_new(struct world *w)
{
	const struct scn_multi *m = w->sc->multi;
	if (!m)
		return NULL;
	struct alb *a = xcalloc(1, sizeof *a);
	a->w = w;
	a->m = m;
	a->r = xcalloc(m->n_rules + 1, sizeof *a->r);
	a->req = xcalloc((m->n_rules + 1) * SCN_ALB_MAX_TGS, sizeof *a->req);
	a->cut = xcalloc((m->n_rules + 1) * SCN_ALB_MAX_TGS, sizeof *a->cut);
	a->gone_usd = xcalloc(m->n_clusters, sizeof *a->gone_usd);
	a->gone_secs = xcalloc(m->n_clusters, sizeof *a->gone_secs);
	a->max_nodes = xcalloc(m->n_clusters, sizeof *a->max_nodes);
	a->mark_ended = xcalloc(m->n_clusters, sizeof *a->mark_ended);
	a->mark_errors = xcalloc(m->n_clusters, sizeof *a->mark_errors);
	for (size_t ri = 0; ri < m->n_rules; ri++) {
		const struct scn_alb_rule *r = &m->rules[ri];
		a->r[ri] = rng_stream(w->s->seed, RNG_ALB, ri);
		for (size_t k = 0; k < r->n_steps; k++)
			for (size_t g = 0; g < r->n_tgs; g++) {
				simtime at = r->steps[k].at + r->tgs[g].dereg_delay;
				if (r->steps[k].deregister >> g & 1 && at <= w->s->end)
					sim_at(w->s, at, PRIO_CONTROL, cut_ev, a, ri << 8 | g);
			}
	}
	simtime first = HR_MIN(w->sc->sample_interval, w->s->end);
	sim_at(w->s, first, PRIO_SAMPLE, sample_ev, a, 0);
	return a;
}

void alb_free(struct alb *a)
{
	if (!a)
		return;
	for (size_t ri = 0; ri < a->m->n_rules; ri++)
		gsl_rng_free(a->r[ri]);
	free(a->r);
	free(a->req);
	free(a->cut);
	free(a->gone_usd);
	free(a->gone_secs);
	free(a->max_nodes);
	free(a->mark_ended);
	free(a->mark_errors);
	free(a);
}

void alb_node_gone(struct world *w, const struct wnode *n)
{
	int c = alb_node_cluster(w, n);
	if (!w->alb || c < 0)
		return;
	double secs = sim_to_s(w->s->now - n->launched);
	w->alb->gone_secs[c] += secs;
	w->alb->gone_usd[c] += secs / 3600 * n->price_hour;
}

void alb_finish(struct world *w)
{
	struct alb *a = w->alb;
	if (!a)
		return;
	for (size_t c = 0; c < a->m->n_clusters; c++) {
		double secs = a->gone_secs[c], usd = a->gone_usd[c];
		for (size_t i = 0; i < w->n_nodes; i++) {
			const struct wnode *n = w->wnodes[i];
			if (alb_node_cluster(w, n) != (int)c)
				continue;
			double s = sim_to_s(w->s->now - n->launched);
			secs += s;
			usd += s / 3600 * n->price_hour;
		}
		struct row_kcluster_total row = {a->m->clusters[c].name, a->m->clusters[c].version, secs / 3600, usd,
						 a->max_nodes[c], 0, 0, 0, -1};
		ended(w, (int)c, &row.requests, &row.errors);
		for (size_t i = 0; i < w->n_svcs; i++) {
			if (w->svcs[i].cfg->kcluster != (int)c)
				continue;
			row.services++;
			int met = slo_met(&w->svcs[i].slo);
			if (met >= 0)
				row.slo_met = row.slo_met < 0 ? met : row.slo_met && met;
		}
		if (w->out.kcluster_total)
			w->out.kcluster_total(w->out.ctx, &row);
	}
}
