/*
 * outage.c: zones lost, and the node lifecycle controller's answer
 * (outage.h). Each outage is one event that does what falls due at its
 * time (the zone lost, its nodes NotReady, the next NoExecute taint, the
 * nodes removed) and returns the delay to the next.
 */
#include "outage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct outage {
	struct world *w;
	const struct scn_outage *cfg;
	bool noticed, removed; /* what has happened (lost: its zone's bit in w->zones_down) */
	uint32_t *nums;   /* the nodes found NotReady, by num, in the order they are tainted (owned) */
	size_t n_nums, next; /* how many, and the next to taint */
	simtime t_noticed; /* when they were found NotReady, ns */
	bool taints;      /* NoExecute taints go on (not every zone fully disrupted) */
};

struct outages {
	struct outage *v; /* one per cluster.outages (owned) */
	size_t n;
};

static simtime when_removed(const struct outage *o)
{
	const struct scn_outage *c = o->cfg;
	return c->remove_after >= SIM_FOREVER - c->start ? SIM_FOREVER : c->start + c->remove_after;
}

static simtime when_noticed(const struct outage *o)
{
	return o->cfg->start + o->w->sc->control.node_monitor_grace;
}

/* When the next NoExecute taint goes on: one at once, then one per
 * 1 / node-eviction-rate seconds. */
static simtime when_tainted(const struct outage *o)
{
	double gap = 1.0 / o->w->sc->control.node_eviction_rate;
	return o->t_noticed + sim_from_s(gap * (double)o->next);
}

/* The time of the next step, SIM_FOREVER when none is left. */
static simtime next_step(const struct outage *o)
{
	if (o->removed)
		return SIM_FOREVER;
	simtime t = when_removed(o);
	if (!o->noticed)
		return HR_MIN(t, when_noticed(o));
	if (o->taints && o->next < o->n_nums)
		return HR_MIN(t, when_tainted(o));
	return t;
}

/* The zone's instances stop; nothing launches there any more. */
static void lose(struct outage *o)
{
	struct world *w = o->w;
	int z = o->cfg->zone;
	w->zones_down |= 1u << z;
	node_log_as(w, w->sc->cluster.zones[z], -1, "zone-lost",
		 "its instances stopped; nothing launches in it for the rest of the run");
	for (size_t i = 0; i < w->n_nodes; i++)
		if (w->wnodes[i]->zone == z)
			node_lose(w, w->wnodes[i], "its zone is lost: the instance answers nothing");
}

/* handleDisruption: when no node anywhere is Ready, every zone is fully
 * disrupted and the controller stops all NoExecute tainting. */
static bool any_ready(const struct world *w)
{
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *n = w->wnodes[i];
		if (!n->lost && (n->state == NODE_READY || n->state == NODE_DRAINING))
			return true;
	}
	return false;
}

/* node-monitor-grace-period after the last heartbeat: the zone's Nodes are
 * NotReady (those that ever were Ready), queued for the NoExecute taint in
 * the order of their numbers. */
static void notice(struct outage *o)
{
	struct world *w = o->w;
	int z = o->cfg->zone;
	char detail[160];
	o->noticed = true;
	o->t_noticed = w->s->now;
	o->nums = xcalloc(w->n_nodes ? w->n_nodes : 1, sizeof *o->nums);
	snprintf(detail, sizeof detail, "no heartbeat for %.0f s: Ready Unknown, tainted node.kubernetes.io/unreachable:"
		 "NoSchedule", sim_to_s(w->sc->control.node_monitor_grace));
	for (size_t i = 0; i < w->n_nodes; i++) {
		struct wnode *n = w->wnodes[i];
		if (n->zone != z || !n->lost || (n->state != NODE_READY && n->state != NODE_DRAINING))
			continue;
		node_not_ready(w, n, detail);
		o->nums[o->n_nums++] = n->num;
	}
	/* The nodes' indices are no order: their numbers are. */
	for (size_t i = 1; i < o->n_nums; i++)
		for (size_t j = i; j > 0 && o->nums[j - 1] > o->nums[j]; j--) {
			uint32_t t = o->nums[j];
			o->nums[j] = o->nums[j - 1];
			o->nums[j - 1] = t;
		}
	o->taints = any_ready(w);
	if (!o->taints)
		node_log_as(w, w->sc->cluster.zones[z], -1, "no-noexecute",
			 "every zone is fully disrupted: the node lifecycle controller adds no NoExecute taint");
}

static struct wnode *by_num(const struct world *w, uint32_t num)
{
	for (size_t i = 0; i < w->n_nodes; i++)
		if (w->wnodes[i]->num == num)
			return w->wnodes[i];
	return NULL;
}

/* The next queued node gets the NoExecute taint: its pods' tolerations
 * start to run out. */
static void taint_next(struct outage *o)
{
	struct world *w = o->w;
	struct wnode *n = by_num(w, o->nums[o->next++]);
	if (!n)
		return;
	char detail[160];
	snprintf(detail, sizeof detail, "node.kubernetes.io/unreachable:NoExecute; its pods are deleted when their "
		 "toleration runs out (%lld s unless their own says otherwise)",
		 (long long)w->sc->control.unreachable_toleration);
	node_log(w, n, "tainted", detail);
	for (uint32_t i = 0; i < n->n_hosted; i++)
		pod_noexecute(w, n->pods[i], w->s->now, w->sc->control.unreachable_toleration);
}

/* The zone's lost nodes go, with their pods. */
static void remove_nodes(struct outage *o)
{
	struct world *w = o->w;
	o->removed = true;
	for (size_t i = 0; i < w->n_nodes;) {
		struct wnode *n = w->wnodes[i];
		if (n->zone == o->cfg->zone && n->lost)
			node_reclaim(w, n, "its zone is lost: the instance was terminated and its Node deleted");
		else
			i++; /* a removed node's place is taken by the last one */
	}
}

static simtime outage_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)arg;
	struct outage *o = obj;
	simtime now = s->now;
	if (!node_zone_down(o->w, o->cfg->zone))
		lose(o);
	if (!o->noticed && when_noticed(o) <= now && when_removed(o) > now)
		notice(o);
	while (o->noticed && o->taints && o->next < o->n_nums && when_tainted(o) <= now && when_removed(o) > now)
		taint_next(o);
	if (!o->removed && when_removed(o) <= now)
		remove_nodes(o);
	simtime t = next_step(o);
	return t > s->end ? SIM_DONE : t - now;
}

void outage_start(struct world *w)
{
	const struct scn_cluster *c = &w->sc->cluster;
	if (!c->n_outages)
		return;
	w->outages = xcalloc(1, sizeof *w->outages);
	w->outages->v = xcalloc(c->n_outages, sizeof *w->outages->v);
	w->outages->n = c->n_outages;
	for (size_t i = 0; i < c->n_outages; i++) {
		struct outage *o = &w->outages->v[i];
		*o = (struct outage){.w = w, .cfg = &c->outages[i]};
		sim_at(w->s, o->cfg->start, PRIO_CONTROL, outage_ev, o, 0);
	}
}

void outage_free(struct world *w)
{
	if (!w->outages)
		return;
	for (size_t i = 0; i < w->outages->n; i++)
		free(w->outages->v[i].nums);
	free(w->outages->v);
	free(w->outages);
	w->outages = NULL;
}
