/*
 * preempt.c: kube-scheduler's preemption as the world runs it.
 *
 * A pending pod that fits no node asks DefaultPreemption (sched_preempt,
 * models/scheduler.h) over the world's bound pods: their priorities, start
 * times and PodDisruptionBudgets as the disruption controller would count
 * them now. When it finds a node, the pod is nominated to it
 * (status.nominatedNodeName: the filters keep the room for it against
 * pods of no higher priority, and the provisioners leave it alone), the
 * lower-priority pods nominated there lose their nomination
 * (getLowerPriorityNominatedPods), and the victims are deleted gracefully
 * (their terminationGracePeriodSeconds; a pause container is gone at
 * once). Their ReplicaSets create replacements, which go Pending. When
 * the victims are gone, the pending pods are tried again: the nominated
 * pod tries its node first and binds there.
 *
 * Sources (kubernetes/kubernetes): pkg/scheduler/framework/preemption/
 * preemption.go (Preempt, prepareCandidate), pkg/scheduler/schedule_one.go
 * (evaluateNominatedNode, handleSchedulingFailure),
 * pkg/scheduler/backend/queue/nominator.go.
 *
 * No allocation per event: the scratch grows with the cluster and stays.
 */
#include "world.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "evict.h"

bool preempt_may(const struct world *w, const struct pod *p)
{
	const struct scn_service *c = p->svc->cfg;
	return c->preempt_never || c->priority > w->prio_min;
}

/* ---- nominations ---- */

static void nominate(struct world *w, struct pod *p, struct wnode *n)
{
	assert(!p->nominated);
	if (n->n_nominees == n->cap_nominees) {
		n->cap_nominees = n->cap_nominees ? 2 * n->cap_nominees : 4;
		n->nominees = xrealloc(n->nominees, n->cap_nominees * sizeof *n->nominees);
		n->nominee_pods = xrealloc(n->nominee_pods, n->cap_nominees * sizeof *n->nominee_pods);
	}
	struct sched_pod sp = pod_sched(p);
	n->nominees[n->n_nominees] = (struct sched_nominee){sp.cpu, sp.mem, sp.priority, sp.uid};
	n->nominee_pods[n->n_nominees] = p;
	p->nominated = n;
	p->nominee_pos = n->n_nominees++;
	w->nodes[n->idx].nom = n->nominees;
	w->nodes[n->idx].n_nom = n->n_nominees;
}

void preempt_clear(struct world *w, struct pod *p)
{
	struct wnode *n = p->nominated;
	if (!n)
		return;
	uint32_t i = p->nominee_pos, last = --n->n_nominees;
	assert(n->nominee_pods[i] == p);
	if (i != last) {
		n->nominees[i] = n->nominees[last];
		n->nominee_pods[i] = n->nominee_pods[last];
		n->nominee_pods[i]->nominee_pos = i;
	}
	p->nominated = NULL;
	w->nodes[n->idx].n_nom = n->n_nominees;
}

void preempt_node_gone(struct world *w, struct wnode *n)
{
	while (n->n_nominees)
		preempt_clear(w, n->nominee_pods[n->n_nominees - 1]);
}

/* ---- the state sched_preempt reads ---- */

static void grow(struct world *w, size_t pods, size_t nodes, size_t per_node)
{
	if (pods > w->cap_pre_pods) {
		w->cap_pre_pods = HR_MAX(pods, 2 * w->cap_pre_pods);
		w->pre_pods = xrealloc(w->pre_pods, w->cap_pre_pods * sizeof *w->pre_pods);
		w->pre_ref = xrealloc(w->pre_ref, w->cap_pre_pods * sizeof *w->pre_ref);
	}
	if (nodes + 1 > w->cap_pre_start) {
		w->cap_pre_start = HR_MAX(nodes + 1, 2 * w->cap_pre_start);
		w->pre_start = xrealloc(w->pre_start, w->cap_pre_start * sizeof *w->pre_start);
	}
	if (5 * per_node > w->cap_pre_scratch) {
		w->cap_pre_scratch = HR_MAX(5 * per_node, 2 * w->cap_pre_scratch);
		w->pre_scratch = xrealloc(w->pre_scratch, w->cap_pre_scratch * sizeof *w->pre_scratch);
	}
	if (!w->pre_pdb)
		w->pre_pdb = xcalloc(2 * w->sc->n_pdbs + 1, sizeof *w->pre_pdb);
}

/* Every node's bound pods (DaemonSets aside), node by node, and the PDBs'
 * disruptionsAllowed now. */
static struct sched_preemption snapshot(struct world *w, const struct pod *p)
{
	size_t total = 0, most = 0;
	for (size_t i = 0; i < w->n_nodes; i++) {
		total += w->wnodes[i]->n_hosted;
		most = HR_MAX(most, (size_t)w->wnodes[i]->n_hosted);
	}
	grow(w, total, w->n_nodes, most);
	size_t k = 0;
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *n = w->wnodes[i];
		w->pre_start[i] = (uint32_t)k;
		for (uint32_t j = 0; j < n->n_hosted; j++, k++) {
			const struct pod *q = n->pods[j];
			w->pre_ref[k] = n->pods[j];
			w->pre_pods[k] = (struct sched_bound){pod_sched(q), q->start_time, q->svc->idx, q->svc->cfg->pdb,
							     q->phase == POD_TERMINATING, q->preempted};
		}
	}
	w->pre_start[w->n_nodes] = (uint32_t)k;
	for (size_t i = 0; i < w->sc->n_pdbs; i++)
		w->pre_pdb[i] = evict_pdb_status(w, (int)i).allowed;
	return (struct sched_preemption){
		.pods = w->pre_pods,
		.start = w->pre_start,
		.pdb_allowed = w->pre_pdb,
		.n_pdbs = w->sc->n_pdbs,
		.never = p->svc->cfg->preempt_never,
		.nominated = p->nominated ? (int)p->nominated->idx : -1,
		.pnodes = w->pnodes,
		.scratch = w->pre_scratch,
		.pdb_left = w->pre_pdb + w->sc->n_pdbs,
	};
}

/* ---- carrying it out ---- */

static void pod_name(const struct pod *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s-%u", p->svc->cfg->name, p->num);
}

/* "node N: preempting a-1 (priority -20), a-2 (priority -20)", the
 * victims (v: indices into pre_ref) cut after the first 8. */
static void nominated_detail(const struct world *w, const struct wnode *n, const struct sched_victims *v, char *buf,
			     size_t size)
{
	size_t at = (size_t)snprintf(buf, size, "node %s: preempting ", n->name);
	for (size_t i = 0; i < v->n && i < 8 && at < size; i++) {
		const struct pod *q = w->pre_ref[v->idx[i]];
		char name[96];
		pod_name(q, name, sizeof name);
		at += (size_t)snprintf(buf + at, size - at, "%s%s (priority %d)", i ? ", " : "", name,
				       q->svc->cfg->priority);
	}
	if (v->n > 8 && at < size)
		snprintf(buf + at, size - at, " and %zu more", v->n - 8);
}

int preempt_pod(struct world *w, struct pod *p, const struct sched_pod *sp, const struct sched_placement *pl,
		char *why, size_t len)
{
	if (p->svc->cfg->preempt_never) { /* no snapshot needed to say so */
		struct sched_preemption never = {.never = true};
		struct sched_victims none = {NULL, 0, 0};
		sched_preempt(w->nodes, w->n_nodes, sp, pl, &never, w->r_sched, &none, why, len);
		return -1;
	}
	struct sched_preemption pre = snapshot(w, p);
	uint32_t *victims = w->pre_scratch + 4 * (w->cap_pre_scratch / 5);
	struct sched_victims v = {victims, 0, 0};
	int at = sched_preempt(w->nodes, w->n_nodes, sp, pl, &pre, w->r_sched, &v, why, len);
	if (at == SCHED_PREEMPT_NONE)
		preempt_clear(w, p); /* NominatedNodeName "" */
	if (at < 0)
		return -1;
	struct wnode *n = w->wnodes[at];
	pod_log_unschedulable(w, p, why);
	/* The lower-priority pods nominated there may no longer fit. */
	for (uint32_t i = n->n_nominees; i-- > 0;)
		if (n->nominees[i].priority < sp->priority)
			preempt_clear(w, n->nominee_pods[i]);
	preempt_clear(w, p);
	nominate(w, p, n);
	char detail[600], by[240], name[96];
	nominated_detail(w, n, &v, detail, sizeof detail);
	pod_log(w, p, "nominated", detail);
	pod_name(p, name, sizeof name);
	snprintf(by, sizeof by, "preempted by %s (priority %d) on node %s", name, sp->priority, n->name);
	/* Deletions retry the pending pods; they wait for the last victim. The
	 * victims are the snapshot's (pre_ref): nothing takes another one
	 * before they are all deleted. */
	enum { FEW = 16 };
	uint16_t svcs[FEW]; /* the victims' services, up to FEW of them (more: every service) */
	size_t n_svcs = 0;
	bool was = w->retrying;
	w->retrying = true;
	for (size_t i = 0; i < v.n; i++) {
		struct pod *q = w->pre_ref[v.idx[i]];
		size_t j = 0;
		while (j < n_svcs && j < FEW && svcs[j] != q->svc->idx)
			j++;
		if (j == n_svcs && n_svcs++ < FEW)
			svcs[j] = q->svc->idx;
		pod_preempted(w, q, by);
	}
	/* Their ReplicaSets replace them; the placing may preempt again (and
	 * take its own snapshot). */
	for (size_t k = 0; k < w->n_svcs; k++) {
		bool hit = n_svcs > FEW;
		for (size_t j = 0; !hit && j < n_svcs; j++)
			hit = svcs[j] == w->order[k];
		if (hit)
			pod_replace(w, &w->svcs[w->order[k]]);
	}
	w->retrying = was;
	return at;
}

void preempt_free(struct world *w)
{
	free(w->pre_pods);
	free(w->pre_ref);
	free(w->pre_start);
	free(w->pre_scratch);
	free(w->pre_pdb);
}
