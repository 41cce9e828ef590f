/*
 * spot.c: spot interruptions, at a constant hazard per spot node and at
 * given times (spot.h).
 */
#include "spot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EV_INTERRUPT, EV_RECLAIM };

struct spot {
	gsl_rng *r; /* times to interruption (RNG_SPOT, instance 0) */
};

double spot_rate(const struct scenario *sc, const char *type)
{
	const struct scn_interruptions *in = &sc->cluster.interruptions;
	const struct catalog *cat = &sc->cluster.catalog;
	const struct instance_type *t = type && type[0] ? catalog_find(cat, type) : NULL;
	int ti = t ? (int)(t - cat->types) : -1;
	const struct scn_spot_rate *family = NULL, *any = NULL;
	for (size_t i = 0; i < in->n_rates; i++) {
		const struct scn_spot_rate *r = &in->rates[i];
		if (r->type >= 0 && r->type == ti)
			return r->per_hour; /* the most specific */
		if (r->type < 0 && r->family[0] && t && !strcmp(r->family, t->family))
			family = r;
		else if (r->type < 0 && !r->family[0])
			any = r;
	}
	return family ? family->per_hour : any ? any->per_hour : 0;
}

static simtime node_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct wnode *n = obj;
	n->spot_ev = EVH_NONE;
	if (arg == EV_RECLAIM)
		node_reclaim(n->w, n, "spot instance reclaimed: its 2-minute interruption notice ended");
	else
		spot_interrupt(n->w, n, "spot interruption (at the rate of its instance type)");
	return SIM_DONE; /* n may be gone */
}

void spot_node_added(struct world *w, struct wnode *n)
{
	if (!n->spot)
		return;
	double rate = spot_rate(w->sc, n->type);
	if (rate <= 0)
		return;
	/* Drawn whether or not it falls within the run: the stream's draws go
	 * one per spot node, in the order nodes are made. */
	double hours = rng_exp1(w->spot->r) / rate;
	double left = sim_to_s(w->s->end - w->s->now) / 3600;
	if (hours <= left)
		n->spot_ev = sim_at(w->s, w->s->now + sim_from_s(hours * 3600), PRIO_CONTROL, node_ev, n, EV_INTERRUPT);
}

void spot_interrupt(struct world *w, struct wnode *n, const char *why)
{
	if (n->reclaim_at != SIM_FOREVER)
		return;
	n->reclaim_at = w->s->now + SPOT_NOTICE;
	if (n->spot_ev != EVH_NONE)
		sim_cancel(w->s, n->spot_ev);
	n->spot_ev = sim_at(w->s, n->reclaim_at, PRIO_CONTROL, node_ev, n, EV_RECLAIM);
	char detail[200];
	snprintf(detail, sizeof detail, "%s; 2-minute notice: the instance goes at %.1f s", why, sim_to_s(n->reclaim_at));
	node_log(w, n, "interruption-notice", detail);
	if (w->prov.interrupted)
		w->prov.interrupted(w, w->prov.self, n);
}

/* Whether node n is what given time `a` selects (beside its name). */
static bool selects(const struct world *w, const struct scn_spot_at *a, const struct wnode *n)
{
	const struct catalog *cat = &w->sc->cluster.catalog;
	const struct instance_type *t = n->type[0] ? catalog_find(cat, n->type) : NULL;
	if (a->type >= 0 && (!t || t != &cat->types[a->type]))
		return false;
	if (a->family[0] && (!t || strcmp(t->family, a->family)))
		return false;
	return a->zone < 0 || n->zone == a->zone;
}

/* Given time i: the named node, or the oldest live spot node it selects
 * that has no notice yet. */
static simtime at_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct world *w = obj;
	const struct scn_spot_at *a = &w->sc->cluster.interruptions.at[arg];
	struct wnode *pick = NULL;
	char detail[200];
	for (size_t i = 0; i < w->n_nodes; i++) {
		struct wnode *n = w->wnodes[i];
		if (a->node ? !strcmp(n->name, a->node) : n->spot && n->reclaim_at == SIM_FOREVER && selects(w, a, n))
			if (!pick || n->num < pick->num)
				pick = n;
	}
	if (!pick) {
		snprintf(detail, sizeof detail, "interruption at line %d: %s", a->line,
			 a->node ? "no such node now" : "no spot node without a notice matches now");
		node_log_as(w, a->node ? a->node : "", -1, "interruption-skipped", detail);
	} else if (!pick->spot) {
		snprintf(detail, sizeof detail, "interruption at line %d: not a spot instance (on-demand gets no notice)",
			 a->line);
		node_log_as(w, pick->name, pick->n_pods, "interruption-skipped", detail);
	} else if (pick->reclaim_at != SIM_FOREVER) {
		snprintf(detail, sizeof detail, "interruption at line %d: it has a notice already", a->line);
		node_log_as(w, pick->name, pick->n_pods, "interruption-skipped", detail);
	} else {
		snprintf(detail, sizeof detail, "spot interruption (given at line %d)", a->line);
		spot_interrupt(w, pick, detail);
	}
	return SIM_DONE;
}

void spot_start(struct world *w)
{
	const struct scn_interruptions *in = &w->sc->cluster.interruptions;
	if (!in->n_rates && !in->n_at)
		return;
	w->spot = xcalloc(1, sizeof *w->spot);
	w->spot->r = rng_stream(w->s->seed, RNG_SPOT, 0);
	for (size_t i = 0; i < w->n_nodes; i++)
		spot_node_added(w, w->wnodes[i]);
	for (size_t i = 0; i < in->n_at; i++)
		sim_at(w->s, in->at[i].at, PRIO_CONTROL, at_ev, w, i);
}

void spot_free(struct world *w)
{
	if (!w->spot)
		return;
	gsl_rng_free(w->spot->r);
	free(w->spot);
	w->spot = NULL;
}
