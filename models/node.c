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

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void node_log(struct world *w, const struct wnode *n, const char *event, const char *detail)
{
	if (!w->out.decision)
		return;
	struct row_decision r = {
		.t_s = sim_to_s(w->s->now),
		.service = "",
		.kind = "node",
		.pod = n->name,
		.event = event,
		.replicas = (int)w->n_nodes,
		.desired = n->n_pods,
		.raw = -1,
		.stabilized = -1,
		.limited = -1,
		.detail = detail,
	};
	w->out.decision(w->out.ctx, &r);
}

static enum sched_block block_of(enum node_state st)
{
	switch (st) {
	case NODE_READY:
		return SCHED_OPEN;
	case NODE_DRAINING:
		return SCHED_DISRUPTING;
	default:
		return SCHED_NOT_READY;
	}
}

struct wnode *node_add(struct world *w, const char *prefix, const char *type, int pool, struct sched_alloc a,
		       double price_hour, enum node_state st)
{
	const struct scn_cluster *c = &w->sc->cluster;
	if (w->n_nodes == w->cap_nodes) {
		w->cap_nodes = w->cap_nodes ? 2 * w->cap_nodes : 16;
		w->nodes = xrealloc(w->nodes, w->cap_nodes * sizeof *w->nodes);
		w->wnodes = xrealloc(w->wnodes, w->cap_nodes * sizeof *w->wnodes);
	}
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
	n->state = st;
	n->cpu = a.cpu > c->daemonset_cpu ? a.cpu - c->daemonset_cpu : 0;
	sched_node_init(&w->nodes[i], a);
	w->nodes[i].block = block_of(st);
	if (c->daemonset_cpu > 0 || c->daemonset_memory > 0) {
		struct sched_pod ds = sched_pod_make(c->daemonset_cpu, c->daemonset_memory);
		sched_bind(&w->nodes[i], &ds);
	}
	char detail[96];
	snprintf(detail, sizeof detail, "%s%s%.2f USD/h", n->type, n->type[0] ? ", " : "", price_hour);
	node_log(w, n, st == NODE_READY ? "ready" : "launched", detail);
	return n;
}

void node_retype(struct world *w, struct wnode *n, const char *type, struct sched_alloc a, double price_hour)
{
	const struct scn_cluster *c = &w->sc->cluster;
	struct sched_node *sn = &w->nodes[n->idx];
	assert(n->state == NODE_READY && sn->req_cpu <= a.cpu + 1e-9 && sn->req_mem <= a.mem + 1e-3 &&
	       sn->n_pods <= a.pods);
	snprintf(n->type, sizeof n->type, "%s", type);
	n->price_hour = price_hour;
	sn->alloc_cpu = a.cpu;
	sn->alloc_mem = a.mem;
	sn->alloc_pods = a.pods;
	n->cpu = a.cpu > c->daemonset_cpu ? a.cpu - c->daemonset_cpu : 0;
}

void node_set_state(struct world *w, struct wnode *n, enum node_state st, const char *detail)
{
	static const char *const names[] = {"launched", "registered", "ready", "draining"};
	n->state = st;
	w->nodes[n->idx].block = block_of(st);
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

/* Takes node n out of the arrays; the last node moves into its place. */
static void node_remove(struct world *w, struct wnode *n)
{
	if (n->ev != EVH_NONE) { /* a drain's retry */
		sim_cancel(w->s, n->ev);
		n->ev = EVH_NONE;
	}
	assert(n->n_pods == 0);
	w->cost_usd += sim_to_s(w->s->now - n->launched) / 3600 * n->price_hour;
	if (n->spot)
		w->spot_cost_usd += sim_to_s(w->s->now - n->launched) / 3600 * n->price_hour;
	w->node_seconds += sim_to_s(w->s->now - n->launched);
	node_log(w, n, "deleted", NULL);
	size_t i = n->idx, last = --w->n_nodes;
	if (i != last) {
		w->nodes[i] = w->nodes[last];
		w->wnodes[i] = w->wnodes[last];
		struct wnode *moved = w->wnodes[i];
		moved->idx = (uint32_t)i;
		for (uint32_t j = 0; j < moved->n_hosted; j++)
			moved->pods[j]->node = (int)i;
	}
	free(n->pulled);
	free(n->pods);
	free(n);
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
			if (held(w, p, forced, why, sizeof why)) {
				refused++;
				if (!p->evict_refusals++) {
					p->evict_first_refused = now;
					pod_log(w, p, "eviction-refused", why);
				}
			} else if (before && !forced && p->phase != POD_RUNNING) {
				char d[128];
				snprintf(d, sizeof d, "after %d refused attempts over %.1f s", before,
					 sim_to_s(now - p->evict_first_refused));
				pod_log(w, p, "evicted-late", d);
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
	for (size_t i = 0; i < w->n_nodes; i++) {
		free(w->wnodes[i]->pulled);
		free(w->wnodes[i]->pods);
		free(w->wnodes[i]);
	}
	free(w->nodes);
	free(w->wnodes);
	w->nodes = NULL;
	w->wnodes = NULL;
	w->n_nodes = 0;
}
