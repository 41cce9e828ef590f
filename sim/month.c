/*
 * month.c: a month's cost (see month.h). Each hour of the normal day is a
 * world built at t = 0 with that hour's replicas and read, never run: the
 * provisioner's own initial placement and settling decide the nodes.
 */
#include "month.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "plan.h"
#include "sim.h"
#include "sink.h"
#include "world.h"

/* The cluster sc's provisioner keeps for `replicas` (per service) at t = 0:
 * its rate, spot part and nodes into *h; each service's requested part of
 * the rate added to share[] (may be NULL), the rest returned. */
static double hour_of(const struct scenario *sc, const int *replicas, struct month_hour *h, double *share)
{
	struct scenario copy = *sc;
	copy.services = xcalloc(sc->n_services, sizeof *copy.services);
	for (size_t i = 0; i < sc->n_services; i++) {
		copy.services[i] = sc->services[i];
		copy.services[i].replicas = replicas[i];
	}
	struct sink none = {0};
	struct sim s;
	sim_init(&s, sc->seed, sc->duration);
	struct world *w = world_new(&s, &copy, &none);
	h->usd = node_rate(w, &h->spot_usd);
	h->nodes = (int)w->n_nodes;
	double rest = h->usd;
	for (size_t k = 0; share && k < w->n_nodes; k++) {
		const struct wnode *n = w->wnodes[k];
		double alloc = w->nodes[k].alloc_cpu;
		if (!(alloc > 0))
			continue;
		for (uint32_t j = 0; j < n->n_hosted; j++) {
			const struct pod *p = n->pods[j];
			double part = n->price_hour * p->svc->cfg->cpu_request / alloc;
			share[p->svc - w->svcs] += part;
			rest -= part;
		}
	}
	world_free(w);
	sim_release(&s);
	free(copy.services);
	return rest;
}

/* Each service's replicas at `factor` x its normal traffic into r: what its
 * HPA settles on, never below minReplicas; replicas without an HPA. */
static void replicas_at(const struct scenario *sc, double factor, struct plan_baseline *b, int *r)
{
	plan_baselines_at(sc, factor, b);
	for (size_t i = 0; i < sc->n_services; i++) {
		const struct scn_service *s = &sc->services[i];
		r[i] = s->hpa.enabled ? (int)HR_MAX((int64_t)s->hpa.min_replicas, (int64_t)b[i].replicas) : s->replicas;
	}
}

void month_day(const struct scenario *sc, struct month_day *d)
{
	size_t ns = sc->n_services;
	*d = (struct month_day){.cluster = sc->cluster.enabled};
	d->replicas = xcalloc(SCN_HOURS * ns, sizeof *d->replicas);
	d->share = xcalloc(ns, sizeof *d->share);
	struct plan_baseline *b = xcalloc(ns, sizeof *b);
	for (int h = 0; h < SCN_HOURS; h++) {
		int *r = &d->replicas[(size_t)h * ns];
		d->hour[h].factor = sc->cost.day[h];
		replicas_at(sc, sc->cost.day[h], b, r);
		if (!d->cluster)
			continue;
		d->unrequested += hour_of(sc, r, &d->hour[h], d->share);
		d->day_usd += d->hour[h].usd;
		d->day_spot_usd += d->hour[h].spot_usd;
		d->node_hours += d->hour[h].nodes;
	}
	if (d->cluster) {
		int *r = xcalloc(ns, sizeof *r); /* the run's start: the services' replicas */
		for (size_t i = 0; i < ns; i++)
			r[i] = sc->services[i].replicas;
		struct month_hour start;
		hour_of(sc, r, &start, NULL);
		d->start_nodes = start.nodes;
		free(r);
	}
	free(b);
}

void month_day_free(struct month_day *d)
{
	free(d->replicas);
	free(d->share);
	d->replicas = NULL;
	d->share = NULL;
}

struct month_event month_event_of(double cost_usd, double spot_usd, double node_hours, double hours,
				  double start_usd_hour, double start_spot_usd_hour, double start_nodes)
{
	return (struct month_event){
		.usd = cost_usd - hours * start_usd_hour,
		.spot_usd = spot_usd - hours * start_spot_usd_hour,
		.node_hours = node_hours - hours * start_nodes,
	};
}

void month_cost(const struct scn_cost *c, const struct month_day *d, struct month_event ev, struct month_cost *out)
{
	*out = (struct month_cost){0};
	if (!d->cluster) {
		out->total = NAN;
		return;
	}
	bool events = c->event_days > 0 && !isnan(ev.usd);
	double e = events ? c->event_days : 0;
	double on_demand = MONTH_DAYS * (d->day_usd - d->day_spot_usd) + (events ? e * (ev.usd - ev.spot_usd) : 0);
	out->normal = MONTH_DAYS * d->day_usd;
	out->events = events ? e * ev.usd : 0;
	out->discount = -c->discount * on_demand;
	out->control_plane = c->control_plane * c->clusters * MONTH_HOURS;
	out->node_hours = MONTH_DAYS * d->node_hours + (events ? e * ev.node_hours : 0);
	out->volumes = out->node_hours / MONTH_HOURS * c->root_volume_gib * c->volume_price;
	out->total = out->normal + out->events + out->discount + out->control_plane + out->volumes;
}
