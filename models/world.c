/*
 * world.c: builds the world of a scenario, drives its periodic events and
 * turns its counters into rows.
 *
 * Periodic events: one arrival generator per entry service (re-armed with
 * the next arrival time), the sampler (every sample_interval, and once more
 * at the end for a short last interval) and the SLO window judge (likewise).
 * Samplers run at PRIO_SAMPLE, before anything else at the same instant, so
 * an interval is [t - dt, t).
 */
#include "alb.h"
#include "world.h"
#include "rollout.h"

#include "kafka.h"
#include "outage.h"
#include "spot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static simtime arrival_ev(struct sim *s, void *obj, uint64_t arg)
{
	struct world *w = obj;
	struct service *sv = &w->svcs[arg];
	svc_arrive(w, sv, REQ_NONE);
	simtime next = traffic_next(sv->traffic, s->now);
	if (next > s->end) {
		sv->arrivals = EVH_NONE;
		return SIM_DONE;
	}
	return next - s->now;
}

/* The delay to the next boundary of a period, cut at the end of the run. */
static simtime next_tick(const struct sim *s, simtime period)
{
	if (s->now >= s->end)
		return SIM_DONE;
	return HR_MIN(period, s->end - s->now);
}

/* Cores the service's ready pods can count on now: each pod's share of its
 * node when every pod there wants its limit (full_share, set by the
 * sampler), capped by its limit; without a node, its own cores. */
static double capacity(const struct service *sv)
{
	double c = 0;
	for (uint32_t i = 0; i < sv->n_ready; i++) {
		const struct pod *p = sv->pods[sv->ready[i]];
		c += p->host ? p->full_share : p->cores;
	}
	return c;
}

/* One row per pod whose containers ran in the interval (svc_cpu brought
 * their accounting up to now). */
static void emit_pod_samples(struct world *w, struct service *sv, simtime dt)
{
	for (uint32_t i = 0; i < sv->n_pods; i++) {
		struct pod *p = sv->pods[i];
		if (p->slot_free || (p->phase != POD_RUNNING && p->phase != POD_TERMINATING && p->cpu_used == p->mark_cpu))
			continue;
		char name[96];
		snprintf(name, sizeof name, "%s-%u", sv->cfg->name, p->num);
		double cores = (p->cpu_used - p->mark_cpu) / (double)dt;
		struct row_pod_sample r = {
			.t_s = sim_to_s(w->s->now),
			.service = sv->cfg->name,
			.pod = name,
			.node = p->host ? p->host->name : NULL,
			.cpu_cores = cores,
			.cpu_util = cores / sv->cfg->cpu_request,
			.cpu_throttled = (p->throttled - p->mark_thr) / (double)dt,
			.cpu_pressure = (p->pressure - p->mark_prs) / (double)dt,
		};
		w->out.pod_sample(w->out.ctx, &r);
		p->mark_cpu = p->cpu_used;
		p->mark_thr = p->throttled;
		p->mark_prs = p->pressure;
	}
}

static void emit_sample(struct world *w, struct service *sv, simtime dt)
{
	const struct slo_counts *c = &sv->slo.iv;
	const struct hist *h = &sv->slo.h_iv;
	double secs = sim_to_s(dt);
	struct svc_cpu cpu = svc_cpu(w, sv);
	double used = cpu.used;
	svc_account(sv, w->s->now);
	double asked = sv->asked - sv->asked_mark;
	sv->asked_mark = sv->asked;
	/* Running pod-ns in the interval: requested core-ns over the request. */
	double ran = asked / sv->cfg->cpu_request;
	static const double le_ms[SINK_N_LE] = SINK_LE_MS;
	double le_ns[SINK_N_LE];
	uint64_t le_counts[SINK_N_LE];
	for (size_t j = 0; j < SINK_N_LE; j++)
		le_ns[j] = le_ms[j] * 1e6;
	hist_count_le(h, le_ns, SINK_N_LE, le_counts);
	struct row_sample r = {
		.t_s = sim_to_s(w->s->now),
		.service = sv->cfg->name,
		.offered_rps = (double)c->arrived / secs,
		.served_rps = (double)c->served / secs,
		.errors = c->errors,
		.timeouts = c->timeouts,
		.rejected = c->rejected,
		.mean_ms = h->n ? h->sum / (double)h->n * 1e-6 : NAN,
		.p50_ms = hist_percentile(h, 50) * 1e-6,
		.p99_ms = hist_percentile(h, 99) * 1e-6,
		.replicas = sv->n_live,
		.ready = (int)sv->n_ready,
		.in_flight = (int)svc_in_flight(sv),
		.cpu_util = asked > 0 ? (used - sv->cpu_mark) / asked : 0,
		.desired = sv->desired,
		.pending = sv->n_pending,
		.hpa_cpu_util = sv->hpa_util,
		.cpu_cores = (used - sv->cpu_mark) / (double)dt,
		.cpu_throttled = ran > 0 ? (cpu.throttled - sv->thr_mark) / ran : NAN,
		.cpu_pressure = ran > 0 ? (cpu.pressure - sv->prs_mark) / ran : NAN,
		.cpu_capacity = capacity(sv),
		.latency_le = le_counts,
	};
	sv->cpu_mark = used;
	sv->thr_mark = cpu.throttled;
	sv->prs_mark = cpu.pressure;
	if (w->out.sample)
		w->out.sample(w->out.ctx, &r);
	if (w->out.pod_sample)
		emit_pod_samples(w, sv, dt);
	slo_close_interval(&sv->slo);
}

static void emit_samples(struct world *w, simtime dt)
{
	/* Each node's cost over the interval, shared by its pods' CPU requests
	 * over its allocatable CPU (as the pods were at the interval's end). */
	double hours = sim_to_s(dt) / 3600;
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *n = w->wnodes[i];
		double alloc = w->nodes[i].alloc_cpu;
		for (uint32_t j = 0; alloc > 0 && j < n->n_hosted; j++)
			n->pods[j]->svc->cost_usd += hours * n->price_hour * n->pods[j]->svc->cfg->cpu_request / alloc;
	}
	for (size_t i = 0; i < w->n_nodes; i++)
		svc_node_full_shares(w, w->wnodes[i]);
	for (size_t i = 0; i < w->n_svcs; i++)
		emit_sample(w, &w->svcs[i], dt);
	for (size_t i = 0; i < w->n_svcs; i++)
		if (w->svcs[i].ro)
			rollout_sample(w, w->svcs[i].ro, sim_to_s(w->s->now), sim_to_s(dt));
}

static const char *pool_name(const struct world *w, const struct wnode *n)
{
	const struct scn_cluster *c = &w->sc->cluster;
	if (n->static_node || n->pool < 0)
		return "static";
	if (c->provisioner == PROV_KARPENTER)
		return c->karpenter.pools[n->pool].name;
	if (c->provisioner == PROV_CLUSTER_AUTOSCALER)
		return c->ca.groups[n->pool].name;
	return "static";
}

/* One nodes row per (pool, instance type) alive now. */
static void emit_nodes(struct world *w)
{
	if (!w->out.nodes || !w->cluster)
		return;
	if (w->cap_nrows < w->n_nodes) {
		w->cap_nrows = 2 * w->n_nodes;
		w->nrows = xrealloc(w->nrows, w->cap_nrows * sizeof *w->nrows);
	}
	size_t n = 0;
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *nd = w->wnodes[i];
		const char *pool = pool_name(w, nd);
		size_t j = 0;
		while (j < n && (strcmp(w->nrows[j].pool, pool) || strcmp(w->nrows[j].instance_type, nd->type)))
			j++;
		if (j == n)
			w->nrows[n++] = (struct row_nodes){.t_s = sim_to_s(w->s->now), .pool = pool, .instance_type = nd->type};
		struct row_nodes *r = &w->nrows[j];
		r->launching += nd->state == NODE_LAUNCHING;
		r->registered += nd->state == NODE_REGISTERED;
		r->ready += nd->state == NODE_READY;
		r->draining += nd->state == NODE_DRAINING || nd->state == NODE_NOT_READY; /* tainted, going */
		r->cost_per_hour += nd->price_hour;
		r->drifted += nd->drifted;
	}
	for (size_t j = 0; j < n; j++)
		w->out.nodes(w->out.ctx, &w->nrows[j]);
}

static simtime sample_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)arg;
	struct world *w = obj;
	simtime dt = s->now - w->last_sample;
	if (dt > 0) {
		emit_samples(w, dt);
		emit_nodes(w);
		if (w->kafka)
			kafka_sample(w, dt);
		w->last_sample = s->now;
	}
	return next_tick(s, w->sc->sample_interval);
}

static simtime window_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)arg;
	struct world *w = obj;
	simtime len = s->now - w->last_window;
	if (len > 0)
		for (size_t i = 0; i < w->n_svcs; i++)
			slo_close_window(&w->svcs[i].slo, len);
	w->last_window = s->now;
	return next_tick(s, w->sc->slo_window);
}

/* The static nodes of the cluster, Ready from the start. */
static void build_cluster(struct world *w)
{
	const struct scn_cluster *c = &w->sc->cluster;
	sched_init(&w->sched, c->strategy == SCN_MOST_ALLOCATED ? SCHED_MOST_ALLOCATED : SCHED_LEAST_ALLOCATED);
	w->r_sched = rng_stream(w->s->seed, RNG_CONTROL, 1);
	w->cluster = c->enabled;
	for (size_t g = 0; g < c->n_groups; g++) {
		const struct scn_nodes *ng = &c->groups[g];
		for (int i = 0; i < ng->count; i++) {
			struct node_spec spec = {node_group_zone(w, &ng->meta, -1, true), &ng->meta, NULL, false};
			struct wnode *n = node_add(w, ng->name, ng->instance, -1,
						   (struct sched_alloc){ng->cpu, ng->memory, ng->max_pods}, ng->price_hour,
						   NODE_READY, &spec);
			n->static_node = true;
			n->cached = ng->image_cached;
		}
	}
}

/* The services by descending priority, stable (the scheduling queue's
 * order; the pods of t = 0 are placed in it too), and the lowest. */
static void order_services(struct world *w)
{
	w->order = xcalloc(w->n_svcs + 1, sizeof *w->order);
	w->prio_min = INT32_MAX;
	for (size_t i = 0; i < w->n_svcs; i++) {
		int32_t pr = w->svcs[i].cfg->priority;
		size_t j = i;
		for (; j > 0 && w->svcs[w->order[j - 1]].cfg->priority < pr; j--)
			w->order[j] = w->order[j - 1];
		w->order[j] = (uint16_t)i;
		w->prio_min = HR_MIN(w->prio_min, pr);
	}
}

struct world *world_new(struct sim *s, const struct scenario *sc, const struct sink *out)
{
	struct world *w = xcalloc(1, sizeof *w);
	w->s = s;
	w->sc = sc;
	w->out = *out;
	w->free_req = REQ_NONE;
	w->n_svcs = sc->n_services;
	w->svcs = xcalloc(w->n_svcs, sizeof *w->svcs);
	for (size_t i = 0; i < w->n_svcs; i++)
		svc_init(w, &w->svcs[i], &sc->services[i], (uint16_t)i);
	order_services(w);
	place_init(&w->place, sc);
	build_cluster(w);
	if (sc->cluster.provisioner == PROV_KARPENTER)
		karp_start(w);
	else if (sc->cluster.provisioner == PROV_CLUSTER_AUTOSCALER) ca_start(w);
	for (size_t i = 0; i < w->n_svcs; i++)
		pod_initial(w, &w->svcs[w->order[i]]);
	for (size_t i = 0; i < w->n_svcs; i++)
		if (sc->services[i].delivery)
			w->svcs[i].ro = rollout_new(w, &w->svcs[i]);
	if (w->prov.initial) {
		w->prov.initial(w, w->prov.self);
		for (size_t i = 0; i < w->n_svcs; i++)
			pod_initial_retry(w, &w->svcs[w->order[i]]);
		if (w->prov.settle) {
			w->prov.settle(w, w->prov.self);
			/* Nodes the settling removed were never up: the run starts here. */
			w->max_nodes = (int)w->n_nodes;
		}
	} else if (w->cluster) {
		for (size_t i = 0; i < w->n_svcs; i++)
			pod_initial_retry(w, &w->svcs[w->order[i]]);
	}
	w->start_usd_hour = node_rate(w, &w->start_spot_usd_hour);
	spot_start(w);
	outage_start(w);
	kafka_new(w);
	control_start(w);
	w->alb = alb_new(w);
	for (size_t i = 0; i < w->n_svcs; i++) {
		struct service *sv = &w->svcs[i];
		if (!sv->cfg->traffic.enabled)
			continue;
		sv->traffic = traffic_new(&sv->cfg->traffic, s->seed, (int)i);
		simtime first = traffic_next(sv->traffic, s->now);
		if (first <= s->end)
			sv->arrivals = sim_at(s, first, PRIO_REQUEST, arrival_ev, w, i);
	}
	sim_at(s, HR_MIN(sc->sample_interval, s->end), PRIO_SAMPLE, sample_ev, w, 0);
	sim_at(s, HR_MIN(sc->slo_window, s->end), PRIO_SAMPLE, window_ev, w, 0);
	return w;
}

static void emit_summary(struct world *w, struct service *sv)
{
	const struct slo_tracker *t = &sv->slo;
	const struct slo_counts *c = &t->run;
	const struct hist *h = &t->h_run;
	struct svc_cpu cpu = svc_cpu(w, sv);
	svc_account(sv, w->s->now);
	double asked = sv->asked, ran = asked / sv->cfg->cpu_request;
	int64_t ended = c->served + c->errors;
	struct slo_terms terms = slo_terms(t);
	struct row_summary r = {
		.service = sv->cfg->name,
		.requests = c->arrived,
		.served = c->served,
		.errors = c->errors,
		.timeouts = c->timeouts,
		.rejected = c->rejected,
		.mean_ms = h->n ? h->sum / (double)h->n * 1e-6 : NAN,
		.p50_ms = hist_percentile(h, 50) * 1e-6,
		.p90_ms = hist_percentile(h, 90) * 1e-6,
		.p99_ms = hist_percentile(h, 99) * 1e-6,
		.p999_ms = hist_percentile(h, 99.9) * 1e-6,
		.max_ms = h->n ? (double)h->max * 1e-6 : NAN,
		.error_rate = slo_error_rate(c),
		.timeout_rate = ended ? (double)c->timeouts / (double)ended : 0,
		.cpu_util = asked > 0 ? cpu.used / asked : 0,
		.violation_minutes = sim_to_s(t->violated) / 60.0,
		.slo_met = slo_met(t),
		.latency_met = terms.latency,
		.errors_met = terms.errors,
		.violation_met = terms.violation,
		.pods_started = (int64_t)sv->start_hist.n,
		.pod_start_p50_s = hist_percentile(&sv->start_hist, 50) * 1e-9,
		.pod_start_p99_s = hist_percentile(&sv->start_hist, 99) * 1e-9,
		.cpu_throttled = ran > 0 ? cpu.throttled / ran : NAN,
		.cpu_pressure = ran > 0 ? cpu.pressure / ran : NAN,
		.cost_usd = w->cluster ? sv->cost_usd : NAN,
	};
	if (w->kafka) /* a consumer group's slo is its service's too (docs/kafka.md) */
		r.slo_met = kafka_service_slo(w, sv, r.slo_met);
	if (w->out.summary)
		w->out.summary(w->out.ctx, &r);
}

void world_finish(struct world *w)
{
	/* The sampler and the judge fire at the end themselves; this catches a
	 * run that was interrupted before it. */
	simtime dt = w->s->now - w->last_sample;
	if (dt > 0) {
		emit_samples(w, dt);
		if (w->kafka)
			kafka_sample(w, dt);
		w->last_sample = w->s->now;
	}
	for (size_t i = 0; i < w->n_svcs; i++)
		emit_summary(w, &w->svcs[i]);
	for (size_t i = 0; i < w->n_svcs; i++)
		if (w->svcs[i].ro)
			rollout_finish(w, w->svcs[i].ro);
	if (w->kafka)
		kafka_finish(w);
	if (w->cluster && w->out.cost) {
		double secs = w->node_seconds, hours = sim_to_s(w->s->now) / 3600;
		for (size_t i = 0; i < w->n_nodes; i++)
			secs += sim_to_s(w->s->now - w->wnodes[i]->launched);
		double cost = node_cost(w);
		struct row_cost r = {cost,	     hours > 0 ? cost / hours * 730 : 0, secs / 3600, w->max_nodes,
				     node_cost_spot(w), w->start_usd_hour,		     w->start_spot_usd_hour};
		w->out.cost(w->out.ctx, &r);
	}
	alb_finish(w);
}

void world_free(struct world *w)
{
	if (!w)
		return;
	control_free(w);
	kafka_free(w->kafka);
	w->kafka = NULL;
	alb_free(w->alb);
	for (size_t i = 0; i < w->n_svcs; i++) {
		rollout_free(w->svcs[i].ro);
		svc_release(&w->svcs[i]);
	}
	free(w->svcs);
	spot_free(w);
	outage_free(w);
	if (w->prov.free)
		w->prov.free(w->prov.self);
	node_free_all(w);
	preempt_free(w);
	free(w->order);
	place_release(&w->place);
	free(w->hpa_buf);
	free(w->cpu_buf);
	free(w->cpu_order);
	free(w->nrows);
	free(w->text);
	if (w->r_sched)
		gsl_rng_free(w->r_sched);
	free(w->reqs);
	free(w);
}
