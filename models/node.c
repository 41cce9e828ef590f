/*
 * node.c: the nodes of the cluster, static or provisioned.
 *
 * A provisioned node starts Launching (the cloud provider's create call),
 * becomes Registered when its kubelet joins, and Ready when it is
 * initialized; only a Ready node is open to kube-scheduler (a Launching or
 * Registered node carries the not-ready taint). Deleting a node taints it,
 * evicts its pods (each terminates gracefully and its ReplicaSet makes a
 * replacement, which may need a node itself), and removes it once the last
 * pod is gone. Its cost runs from launch to removal at the instance's
 * hourly price.
 */
#include "world.h"

#include "evict.h"
#include "spot.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void node_log_as(struct world *w, const char *name, int pods, const char *event, const char *detail)
{
	if (!w->out.decision)
		return;
	struct row_decision r = {
		.t_s = sim_to_s(w->s->now),
		.service = "",
		.kind = "node",
		.pod = name,
		.event = event,
		.replicas = (int)w->n_nodes,
		.desired = pods,
		.raw = -1,
		.stabilized = -1,
		.limited = -1,
		.detail = detail,
	};
	w->out.decision(w->out.ctx, &r);
}

void node_log(struct world *w, const struct wnode *n, const char *event, const char *detail)
{
	node_log_as(w, n->name, n->n_pods, event, detail);
}

static enum sched_block block_of(enum node_state st)
{
	switch (st) {
	case NODE_READY:
		return SCHED_OPEN;
	case NODE_DRAINING:
		return SCHED_DISRUPTING;
	case NODE_NOT_READY:
		return SCHED_UNREACHABLE;
	default:
		return SCHED_NOT_READY;
	}
}

bool node_runs_daemonset(const struct scn_daemonset *d, const struct place_label *labels, size_t n_labels,
			 const struct scn_taint *taints, size_t n_taints)
{
	if (d->everywhere)
		return true;
	for (size_t i = 0; i < d->n_node_selector; i++) {
		const char *v = place_label_get(labels, n_labels, d->node_selector[i].key);
		if (!v || strcmp(v, d->node_selector[i].value))
			return false;
	}
	return place_untolerated(d->tolerations, d->n_tolerations, taints, n_taints) < 0;
}

/* Binds (delta +1) or unbinds (-1) the pods of the DaemonSets that run on
 * node n, one pod each (the single-mapping form with no requests binds
 * none, as before DaemonSets were a list); returns their CPU. */
static double bind_daemonsets(struct world *w, struct wnode *n, int delta)
{
	const struct scn_cluster *c = &w->sc->cluster;
	const struct scn_node_meta *m = n->meta;
	struct sched_node *sn = &w->nodes[n->idx];
	double cpu = 0;
	for (size_t i = 0; i < c->n_daemonsets; i++) {
		const struct scn_daemonset *d = &c->daemonsets[i];
		if ((d->everywhere && d->cpu <= 0 && d->memory <= 0) ||
		    !node_runs_daemonset(d, n->labels, n->n_labels, m ? m->taints : NULL, m ? m->n_taints : 0))
			continue;
		struct sched_pod ds = sched_pod_make(d->cpu, d->memory);
		if (delta > 0)
			sched_bind(sn, &ds);
		else
			sched_unbind(sn, &ds);
		cpu += d->cpu;
	}
	return cpu;
}

struct sched_alloc node_daemonsets(const struct world *w, const char *type, const struct node_spec *spec,
				   struct sched_node *tmpl)
{
	const struct scenario *sc = w->sc;
	const struct scn_node_meta *m = spec ? spec->meta : NULL;
	struct place_label labels[PLACE_NODE_LABELS + 64];
	char buf[PLACE_LABEL_BUF];
	struct place_node_desc d = {
		.zone = spec && spec->zone >= 0 ? sc->cluster.zones[spec->zone] : NULL,
		.type = type && type[0] ? catalog_find(&sc->cluster.catalog, type) : NULL,
		.nodepool = spec ? spec->nodepool : NULL,
		.capacity = spec && spec->nodepool ? spec->spot : -1,
		.labels = m ? m->labels : NULL,
		.n_labels = m && m->n_labels <= 64 ? m->n_labels : 0,
	};
	size_t n = place_node_labels(&d, labels, buf);
	struct sched_alloc sum = {0, 0, 0};
	for (size_t i = 0; i < sc->cluster.n_daemonsets; i++) {
		const struct scn_daemonset *ds = &sc->cluster.daemonsets[i];
		if ((ds->everywhere && ds->cpu <= 0 && ds->memory <= 0) ||
		    !node_runs_daemonset(ds, labels, n, m ? m->taints : NULL, m ? m->n_taints : 0))
			continue;
		sum.cpu += ds->cpu;
		sum.mem += ds->memory;
		sum.pods++;
		if (tmpl) {
			struct sched_pod dp = sched_pod_make(ds->cpu, ds->memory);
			sched_bind(tmpl, &dp);
		}
	}
	return sum;
}

/* Node n's labels (from its type, zone, group) and its fit for each service. */
static void node_labels(struct world *w, struct wnode *n, const char *nodepool, bool spot)
{
	const struct scenario *sc = w->sc;
	const struct scn_node_meta *m = n->meta;
	struct place_node_desc d = {
		.hostname = n->name,
		.zone = n->zone >= 0 ? sc->cluster.zones[n->zone] : NULL,
		.type = n->type[0] ? catalog_find(&sc->cluster.catalog, n->type) : NULL,
		.nodepool = nodepool,
		.capacity = nodepool ? spot : -1,
		.labels = m ? m->labels : NULL,
		.n_labels = m ? m->n_labels : 0,
	};
	if (!n->labels)
		n->labels = xcalloc(d.n_labels + PLACE_NODE_LABELS, sizeof *n->labels);
	n->n_labels = place_node_labels(&d, n->labels, n->label_buf);
	for (size_t g = 0; g < w->n_svcs; g++)
		n->fit[g] = place_node_fit(&sc->services[g].placement, n->labels, n->n_labels, m ? m->taints : NULL,
					   m ? m->n_taints : 0);
}

/* Grows the node arrays and the scheduler's scratch to hold one more node. */
static void grow(struct world *w)
{
	if (w->n_nodes < w->cap_nodes)
		return;
	w->cap_nodes = w->cap_nodes ? 2 * w->cap_nodes : 16;
	w->nodes = xrealloc(w->nodes, w->cap_nodes * sizeof *w->nodes);
	w->pnodes = xrealloc(w->pnodes, w->cap_nodes * sizeof *w->pnodes);
	w->wnodes = xrealloc(w->wnodes, w->cap_nodes * sizeof *w->wnodes);
	w->sched_feasible = xrealloc(w->sched_feasible, w->cap_nodes * sizeof *w->sched_feasible);
	w->sched_scores = xrealloc(w->sched_scores, SCHED_SCORE_ROWS * w->cap_nodes * sizeof *w->sched_scores);
}

struct wnode *node_add(struct world *w, const char *prefix, const char *type, int pool, struct sched_alloc a,
		       double price_hour, enum node_state st, const struct node_spec *spec)
{
	grow(w);
	size_t i = w->n_nodes++;
	if ((int)w->n_nodes > w->max_nodes)
		w->max_nodes = (int)w->n_nodes;
	struct wnode *n = xcalloc(1, sizeof *n);
	n->pulled = xcalloc(w->n_svcs ? w->n_svcs : 1, sizeof *n->pulled);
	w->wnodes[i] = n;
	n->w = w;
	n->idx = (uint32_t)i;
	n->num = w->next_node_num++;
	snprintf(n->name, sizeof n->name, "%.40s-%u", prefix, n->num);
	snprintf(n->type, sizeof n->type, "%s", type ? type : "");
	n->pool = pool;
	n->price_hour = price_hour;
	n->launched = w->s->now;
	n->ready_at = st == NODE_READY ? w->s->now : SIM_FOREVER;
	n->last_pod_event = w->s->now;
	n->unneeded_since = -1;
	n->ev = EVH_NONE;
	n->spot_ev = EVH_NONE;
	n->reclaim_at = SIM_FOREVER;
	n->state = st;
	n->zone = spec ? spec->zone : PLACE_ZONE_NONE;
	n->meta = spec ? spec->meta : NULL;
	n->spot = spec && spec->spot;
	n->place_counts = xcalloc(2 * w->n_svcs + 1, sizeof *n->place_counts);
	n->fit = xcalloc(w->n_svcs + 1, sizeof *n->fit);
	node_labels(w, n, spec ? spec->nodepool : NULL, n->spot);
	sched_node_init(&w->nodes[i], a);
	w->nodes[i].block = block_of(st);
	w->pnodes[i] = (struct place_node){
		.zone = n->zone,
		.open = st == NODE_READY,
		.taints = n->meta ? n->meta->taints : NULL,
		.n_taints = n->meta ? n->meta->n_taints : 0,
		.live = n->place_counts,
		.bound = n->place_counts + w->n_svcs,
		.fit = n->fit,
	};
	if (st != NODE_LAUNCHING)
		place_node_counted(&w->place, &w->pnodes[i], true);
	n->ds_cpu = bind_daemonsets(w, n, +1);
	n->cpu = a.cpu > n->ds_cpu ? a.cpu - n->ds_cpu : 0;
	char detail[160];
	snprintf(detail, sizeof detail, "%s%s%.2f USD/h%s%s", n->type, n->type[0] ? ", " : "", price_hour,
		 n->zone >= 0 ? ", " : "", n->zone >= 0 ? w->sc->cluster.zones[n->zone] : "");
	node_log(w, n, st == NODE_READY ? "ready" : "launched", detail);
	if (w->spot)
		spot_node_added(w, n);
	return n;
}

int node_group_zone(const struct world *w, const struct scn_node_meta *m, int pool, bool static_group)
{
	size_t nz = w->sc->cluster.n_zones;
	if (!nz)
		return PLACE_ZONE_NONE;
	if (m->zone >= 0)
		return m->zone;
	int count[SCN_MAX_ZONES] = {0};
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *n = w->wnodes[i];
		bool mine = static_group ? n->static_node && n->meta == m : !n->static_node && n->pool == pool;
		if (mine && n->zone >= 0)
			count[n->zone]++;
	}
	/* An ASG launches in its zones still up (its nodes being drained are
	 * still instances); all lost: its first, where the provisioner then
	 * launches nothing. */
	int best = -1, first = -1;
	for (size_t z = 0; z < nz; z++) {
		if (!(m->zones >> z & 1u))
			continue;
		first = first < 0 ? (int)z : first;
		if (!node_zone_down(w, (int)z) && (best < 0 || count[z] < count[best]))
			best = (int)z;
	}
	return best < 0 ? first : best;
}

void node_retype(struct world *w, struct wnode *n, const char *type, struct sched_alloc a, double price_hour)
{
	struct sched_node *sn = &w->nodes[n->idx];
	bind_daemonsets(w, n, -1);
	snprintf(n->type, sizeof n->type, "%s", type);
	node_labels(w, n, place_label_get(n->labels, n->n_labels, "karpenter.sh/nodepool"), n->spot);
	n->price_hour = price_hour;
	sn->alloc_cpu = a.cpu;
	sn->alloc_mem = a.mem;
	sn->alloc_pods = a.pods;
	n->ds_cpu = bind_daemonsets(w, n, +1);
	assert(n->state == NODE_READY && sn->req_cpu <= a.cpu + 1e-9 && sn->req_mem <= a.mem + 1e-3 &&
	       sn->n_pods <= a.pods);
	n->cpu = a.cpu > n->ds_cpu ? a.cpu - n->ds_cpu : 0;
}

void node_pod_placed(struct world *w, const struct pod *p, int i, int delta, bool live)
{
	place_pod_add(&w->place, &w->pnodes[i], p->svc->idx, delta, live);
}

void node_pod_terminating(struct world *w, const struct pod *p)
{
	assert(p->bound && p->node >= 0);
	place_pod_terminating(&w->place, &w->pnodes[p->node], p->svc->idx);
}

void node_set_state(struct world *w, struct wnode *n, enum node_state st, const char *detail)
{
	static const char *const names[] = {"launched", "registered", "ready", "draining", "not-ready"};
	struct place_node *pn = &w->pnodes[n->idx];
	n->state = st;
	w->nodes[n->idx].block = block_of(st);
	pn->open = st == NODE_READY;
	if (st != NODE_LAUNCHING && !pn->counted) /* the Node object exists from registration on */
		place_node_counted(&w->place, pn, true);
	if (st == NODE_READY) {
		n->ready_at = w->s->now;
		n->last_pod_event = w->s->now;
		n->nom_cpu = n->nom_mem = 0;
		n->nom_pods = 0;
	}
	node_log(w, n, names[st], detail);
	if (st == NODE_READY)
		pod_retry_pending(w);
}

static void free_node(struct wnode *n)
{
	free(n->nominees);
	free(n->nominee_pods);
	free(n->pulled);
	free(n->pods);
	free(n->labels);
	free(n->place_counts);
	free(n->fit);
	free(n);
}

/* Takes node n out of the arrays; the last node moves into its place. */
static void node_remove(struct world *w, struct wnode *n)
{
	if (n->ev != EVH_NONE) { /* a drain's retry */
		sim_cancel(w->s, n->ev);
		n->ev = EVH_NONE;
	}
	if (n->spot_ev != EVH_NONE) { /* its interruption, or the end of its notice */
		sim_cancel(w->s, n->spot_ev);
		n->spot_ev = EVH_NONE;
	}
	assert(n->n_pods == 0);
	w->cost_usd += sim_to_s(w->s->now - n->launched) / 3600 * n->price_hour;
	if (n->spot)
		w->spot_cost_usd += sim_to_s(w->s->now - n->launched) / 3600 * n->price_hour;
	w->node_seconds += sim_to_s(w->s->now - n->launched);
	node_log(w, n, "deleted", NULL);
	if (w->prov.node_removed)
		w->prov.node_removed(w, w->prov.self, n);
	preempt_node_gone(w, n);
	place_node_counted(&w->place, &w->pnodes[n->idx], false);
	size_t i = n->idx, last = --w->n_nodes;
	if (i != last) {
		w->nodes[i] = w->nodes[last];
		w->pnodes[i] = w->pnodes[last];
		w->wnodes[i] = w->wnodes[last];
		struct wnode *moved = w->wnodes[i];
		moved->idx = (uint32_t)i;
		for (uint32_t j = 0; j < moved->n_hosted; j++)
			moved->pods[j]->node = (int)i;
	}
	free_node(n);
}

/* Karpenter's terminator retries refused evictions 100 ms, 200 ms, ...
 * up to 10 s apart. */
static simtime drain_backoff(int tries)
{
	simtime d = 100 * SIM_MS;
	for (int i = 1; i < tries && d < 10 * SIM_S; i++)
		d *= 2;
	return HR_MIN(d, 10 * SIM_S);
}

static simtime drain_ev(struct sim *s, void *obj, uint64_t arg);

/* Whether the drain must wait for pod p: a do-not-disrupt pod on a
 * Karpenter cluster, or an eviction the API refuses (then p is evicted
 * when it is not). Writes the reason. */
static bool held(struct world *w, struct pod *p, bool forced, char *why, size_t n)
{
	if (forced) {
		pod_log(w, p, "eviction-forced", "terminationGracePeriod of the NodePool elapsed: deleted regardless of PDBs");
		pod_evict(w, p);
		return false;
	}
	if (p->svc->cfg->do_not_disrupt && w->sc->cluster.provisioner == PROV_KARPENTER) {
		snprintf(why, n, "pod has karpenter.sh/do-not-disrupt");
		return true;
	}
	return !evict_pod(w, p, why, n);
}

/* One round of evictions over node n's pods. */
static void drain_round(struct world *w, struct wnode *n)
{
	simtime now = w->s->now;
	bool forced = now >= n->drain_deadline;
	int refused = 0;
	/* Evicting a pod that holds no request unbinds it at once; the node
	 * stays (not removed, its list in place) until every pod was asked.
	 * The list shrinks by swapping its last pod into the gap, so a slot is
	 * looked at again when its pod left. */
	n->evicting = true;
	for (uint32_t i = 0; i < n->n_hosted;) {
		struct pod *p = n->pods[i];
		char why[EVICT_WHY_LEN];
		if (p->phase == POD_PENDING) {
			pod_evict(w, p);
		} else if (p->phase == POD_RUNNING) {
			int before = p->evict_refusals;
			struct pod was = *p; /* an evicted idle pod is gone at once, and its slot reused */
			if (held(w, p, forced, why, sizeof why)) {
				refused++;
				if (!p->evict_refusals++) {
					p->evict_first_refused = now;
					pod_log(w, p, "eviction-refused", why);
				}
			} else if (before && !forced) {
				char d[128];
				snprintf(d, sizeof d, "after %d refused attempts over %.1f s", before,
					 sim_to_s(now - was.evict_first_refused));
				pod_log(w, &was, "evicted-late", d);
			}
		}
		if (i < n->n_hosted && n->pods[i] == p)
			i++;
	}
	n->evicting = false;
	if (n->n_pods == 0) {
		node_remove(w, n);
		return;
	}
	if (refused) {
		simtime at = now + drain_backoff(++n->drain_tries);
		if (at > n->drain_deadline)
			at = n->drain_deadline;
		n->ev = sim_at(w->s, at, PRIO_CONTROL, drain_ev, n, 0);
	}
}

static simtime drain_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	(void)arg;
	struct wnode *n = obj;
	n->ev = EVH_NONE;
	drain_round(n->w, n);
	return SIM_DONE;
}

void node_drain_grace(struct world *w, struct wnode *n, const char *reason, simtime grace)
{
	if (n->state == NODE_DRAINING)
		return;
	if (n->ev != EVH_NONE) {
		sim_cancel(w->s, n->ev);
		n->ev = EVH_NONE;
	}
	node_set_state(w, n, NODE_DRAINING, reason);
	n->drain_start = w->s->now;
	n->drain_deadline = grace >= SIM_FOREVER - w->s->now ? SIM_FOREVER : w->s->now + grace;
	n->drain_tries = 0;
	drain_round(w, n);
}

void node_drain(struct world *w, struct wnode *n, const char *reason)
{
	node_drain_grace(w, n, reason, SIM_FOREVER);
}

void node_lose(struct world *w, struct wnode *n, const char *detail)
{
	if (n->lost)
		return;
	n->lost = true;
	for (uint32_t i = 0; i < n->n_hosted; i++)
		pod_node_lost(w, n->pods[i]);
	if ((n->state == NODE_LAUNCHING || n->state == NODE_REGISTERED) && n->ev != EVH_NONE) {
		sim_cancel(w->s, n->ev); /* its next step will not come */
		n->ev = EVH_NONE;
		if (w->prov.node_lost)
			w->prov.node_lost(w, w->prov.self, n);
	}
	node_log(w, n, "lost", detail);
}

void node_not_ready(struct world *w, struct wnode *n, const char *detail)
{
	if (n->state == NODE_READY)
		node_set_state(w, n, NODE_NOT_READY, detail);
	else if (n->state == NODE_DRAINING)
		node_log(w, n, "not-ready", detail);
	else
		return; /* never Ready: tainted not-ready already, holding no pod */
	for (uint32_t i = 0; i < n->n_hosted; i++)
		pod_mark_not_ready(w, n->pods[i]);
	pod_retry_pending(w); /* a taint added is a cluster event that requeues pods (nodeTaintsPolicy) */
}

void node_reclaim(struct world *w, struct wnode *n, const char *reason)
{
	/* No pod goes onto it meanwhile: the pods' replacements are placed
	 * (and pending pods retried) as each pod goes. */
	w->nodes[n->idx].block = SCHED_DISRUPTING;
	w->pnodes[n->idx].open = false;
	n->evicting = true;
	while (n->n_hosted)
		pod_kill(w, n->pods[0], reason);
	n->evicting = false;
	node_log(w, n, "reclaimed", reason);
	node_remove(w, n);
	pod_retry_pending(w); /* a Node deleted is a cluster event that requeues pods (fewer domains) */
}

void node_pod_bound(struct world *w, int i)
{
	struct wnode *n = w->wnodes[i];
	n->n_pods++;
	n->last_pod_event = w->s->now;
}

void node_pod_unbound(struct world *w, int i)
{
	struct wnode *n = w->wnodes[i];
	assert(n->n_pods > 0);
	n->n_pods--;
	n->last_pod_event = w->s->now;
	if (n->state == NODE_DRAINING && n->n_pods == 0 && !n->evicting)
		node_remove(w, n);
}

double node_cost(const struct world *w)
{
	double c = w->cost_usd;
	for (size_t i = 0; i < w->n_nodes; i++)
		c += sim_to_s(w->s->now - w->wnodes[i]->launched) / 3600 * w->wnodes[i]->price_hour;
	return c;
}

double node_cost_spot(const struct world *w)
{
	double c = w->spot_cost_usd;
	for (size_t i = 0; i < w->n_nodes; i++)
		if (w->wnodes[i]->spot)
			c += sim_to_s(w->s->now - w->wnodes[i]->launched) / 3600 * w->wnodes[i]->price_hour;
	return c;
}

double node_rate(const struct world *w, double *spot)
{
	double r = 0, s = 0;
	for (size_t i = 0; i < w->n_nodes; i++) {
		r += w->wnodes[i]->price_hour;
		s += w->wnodes[i]->spot ? w->wnodes[i]->price_hour : 0;
	}
	if (spot)
		*spot = s;
	return r;
}

void node_free_all(struct world *w)
{
	for (size_t i = 0; i < w->n_nodes; i++)
		free_node(w->wnodes[i]);
	free(w->nodes);
	free(w->pnodes);
	free(w->wnodes);
	free(w->sched_feasible);
	free(w->sched_scores);
	w->nodes = NULL;
	w->pnodes = NULL;
	w->wnodes = NULL;
	w->sched_feasible = NULL;
	w->sched_scores = NULL;
	w->n_nodes = 0;
}
