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

/* ---- scheduled floors ---- */

/* Whether some HPA reads an External metric with a recurring (cron)
 * series: only those repeat outside the run. */
static bool has_floors(const struct scenario *sc)
{
	for (size_t i = 0; i < sc->n_services; i++)
		for (size_t k = 0; sc->services[i].hpa.enabled && k < sc->services[i].hpa.n_metrics; k++) {
			const struct scn_hpa_metric *m = &sc->services[i].hpa.metrics[k];
			for (size_t j = 0; m->kind == HPA_METRIC_EXTERNAL && j < m->n_series; j++)
				if (sc->external_metrics[m->series[j]].month)
					return true;
		}
	return false;
}

/*
 * What service s's External metrics ask for at month time t, the HPA's
 * steady state on them: an AverageValue target asks ceil(total / target)
 * (a cron floor of desiredReplicas against 1 asks desiredReplicas); a
 * Value target, whose ratio does not fall as pods are added, drives the
 * count to maxReplicas when above the tolerance and asks nothing below
 * it. Run-relative windows are the event's, not a normal day's: 0.
 */
static int floor_at(const struct scenario *sc, const struct scn_service *s, simtime t)
{
	const struct scn_hpa *h = &s->hpa;
	double tol = h->up.has_tolerance ? h->up.tolerance : h->tolerance;
	int best = 0;
	for (size_t k = 0; k < h->n_metrics; k++) {
		const struct scn_hpa_metric *m = &h->metrics[k];
		if (m->kind != HPA_METRIC_EXTERNAL)
			continue;
		double total = 0;
		for (size_t j = 0; j < m->n_series; j++)
			total += scn_ext_month_value(&sc->external_metrics[m->series[j]], t);
		double want = m->target == HPA_TARGET_VALUE ? (total > m->value * (1 + tol) ? h->max_replicas : 0)
							    : ceil(total / m->average_value - 1e-9);
		best = (int)HR_MAX((double)best, HR_MIN(want, (double)h->max_replicas));
	}
	return best;
}

/* The replica vectors hour h of the month's days runs, with the minutes
 * each holds: the base (no floor) raised by the floors that hold. */
struct mix {
	int *r;        /* [n x services] */
	size_t *count; /* minutes of each */
	size_t n, total;
};

static void mix_of(const struct scenario *sc, int h, const int *base, struct mix *x)
{
	size_t ns = sc->n_services, cap = 4;
	int *v = xcalloc(ns, sizeof *v);
	*x = (struct mix){xcalloc(cap * ns, sizeof *x->r), xcalloc(cap, sizeof *x->count), 0, 0};
	for (int64_t m = (int64_t)h * 60; m < (int64_t)MONTH_HOURS * 60; m += SCN_HOURS * 60)
		for (int64_t k = m; k < m + 60; k++, x->total++) {
			for (size_t i = 0; i < ns; i++) {
				const struct scn_service *s = &sc->services[i];
				v[i] = s->hpa.enabled ? HR_MAX(base[i], floor_at(sc, s, k * SIM_MIN)) : base[i];
			}
			size_t j = 0;
			while (j < x->n && memcmp(&x->r[j * ns], v, ns * sizeof *v))
				j++;
			if (j == x->n) {
				if (x->n == cap) {
					cap *= 2;
					x->r = xrealloc(x->r, cap * ns * sizeof *x->r);
					x->count = xrealloc(x->count, cap * sizeof *x->count);
				}
				memcpy(&x->r[j * ns], v, ns * sizeof *v);
				x->count[x->n++] = 0;
			}
			x->count[j]++;
		}
	free(v);
}

/* Hour h with its floors: each replica vector's cost weighted by its
 * share of the hour's minutes over the month. Returns the unrequested part. */
static double hour_mixed(const struct scenario *sc, int h, const int *base, struct month_hour *out, double *share)
{
	size_t ns = sc->n_services;
	struct mix x;
	mix_of(sc, h, base, &x);
	double *part = xcalloc(ns, sizeof *part), rest = 0, nodes = 0;
	double factor = out->factor;
	*out = (struct month_hour){.factor = factor};
	for (size_t j = 0; j < x.n; j++) {
		double w = (double)x.count[j] / (double)x.total;
		struct month_hour one;
		memset(part, 0, ns * sizeof *part);
		rest += w * hour_of(sc, &x.r[j * ns], &one, part);
		out->usd += w * one.usd;
		out->spot_usd += w * one.spot_usd;
		nodes += w * one.nodes;
		for (size_t i = 0; i < ns; i++)
			share[i] += w * part[i];
		if (memcmp(&x.r[j * ns], base, ns * sizeof *base))
			out->floor_share += w;
	}
	out->node_mean = nodes;
	out->nodes = (int)lround(nodes);
	free(part);
	free(x.r);
	free(x.count);
	return rest;
}

void month_day(const struct scenario *sc, struct month_day *d)
{
	size_t ns = sc->n_services;
	bool floors = has_floors(sc);
	*d = (struct month_day){.cluster = sc->cluster.enabled};
	d->replicas = xcalloc(SCN_HOURS * ns, sizeof *d->replicas);
	d->share = xcalloc(ns, sizeof *d->share);
	struct plan_baseline *b = xcalloc(ns, sizeof *b);
	for (int h = 0; h < SCN_HOURS; h++) {
		int *r = &d->replicas[(size_t)h * ns];
		struct month_hour *mh = &d->hour[h];
		mh->factor = sc->cost.day[h];
		replicas_at(sc, sc->cost.day[h], b, r);
		if (!d->cluster)
			continue;
		if (floors) {
			d->unrequested += hour_mixed(sc, h, r, mh, d->share);
		} else {
			d->unrequested += hour_of(sc, r, mh, d->share);
			mh->node_mean = mh->nodes;
		}
		d->day_usd += mh->usd;
		d->day_spot_usd += mh->spot_usd;
		d->node_hours += mh->node_mean;
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
