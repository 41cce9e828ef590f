/*
 * pod.c: pods coming up and going away, and the Deployment that asks for
 * them.
 *
 * A new pod is Pending until kube-scheduler binds it to a node (at once when
 * one fits; otherwise it waits, and every pod deletion retries the waiting
 * pods in creation order, as the scheduler's queue does on a node change).
 * Bound, it pulls its image (slow the first time on a node, cached after),
 * starts its container (the pod is then Running), starts its application
 * (its JVM warm-up begins there), and becomes Ready at the first readiness
 * probe after the application is up, plus successThreshold - 1 periods:
 * probes run every periodSeconds from initialDelaySeconds after the
 * container started. Only then does it enter the endpoints and take
 * requests. One lifecycle event is pending per pod at a time.
 *
 * A deleted pod leaves the endpoints at once and drains: the requests it
 * holds finish (the application's graceful shutdown), and it is gone when
 * it is empty or when terminationGracePeriodSeconds ends. Simplification: a
 * request still inside at the end of the grace period is not killed; it
 * finishes on the Gone pod, which no longer counts as a replica nor holds
 * node resources. Endpoint propagation delays are not modelled.
 *
 * Scale-down picks pods as the ReplicaSet controller ranks them
 * (controller_utils.go ActivePodsWithRanks): unscheduled before scheduled,
 * Pending before Running, not ready before ready, the most recently ready
 * first, then the newest; the logarithmic bucketing of times and the
 * co-location rank are left out.
 */
#include "world.h"

#include "rollout.h"
#include "kafka.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum life_stage { LIFE_PULLED, LIFE_STARTED, LIFE_APP, LIFE_READY, LIFE_GRACE, LIFE_NOEXECUTE };

static simtime draw_ns(struct service *sv, const struct dist_sampler *d)
{
	double s = dist_draw(d, sv->r_pod);
	return s > 0 ? (simtime)llround(s * 1e9) : 0;
}

void pod_log(struct world *w, const struct pod *p, const char *event, const char *detail)
{
	if (!w->out.decision)
		return;
	const struct service *sv = p->svc;
	char name[96];
	snprintf(name, sizeof name, "%s-%u", sv->cfg->name, p->num);
	struct row_decision r = {
		.t_s = sim_to_s(w->s->now),
		.service = sv->cfg->name,
		.kind = "pod",
		.pod = name,
		.event = event,
		.replicas = sv->n_live,
		.desired = sv->desired,
		.raw = -1,
		.stabilized = -1,
		.limited = -1,
		.detail = detail,
	};
	w->out.decision(w->out.ctx, &r);
}

static simtime life_ev(struct sim *s, void *obj, uint64_t arg);
static void evict(struct world *w, struct pod *p, const char *why);

static void life_at(struct world *w, struct pod *p, simtime delay, enum life_stage stage)
{
	assert(p->life == EVH_NONE);
	p->life = sim_at(w->s, w->s->now + delay, PRIO_CONTROL, life_ev, p, stage);
}

static struct sched_pod pod_req(const struct service *sv)
{
	return sched_pod_make(sv->cfg->cpu_request, sv->cfg->memory_request);
}

struct sched_pod pod_sched(const struct pod *p)
{
	struct sched_pod sp = pod_req(p->svc);
	sp.priority = p->svc->cfg->priority;
	sp.uid = (uint64_t)(p->svc->idx + 1) << 32 | p->num;
	return sp;
}

void pod_log_unschedulable(struct world *w, struct pod *p, const char *why)
{
	if (!p->unsched_logged)
		pod_log(w, p, "unschedulable", why);
	p->unsched_logged = true;
}

/*
 * kube-scheduler's cycle for p: its nominated node first when it has one
 * (evaluateNominatedNode), else every node. The preemption part of the
 * message is sched_pick's when no pod has a lower priority (pods of one
 * priority never preempt each other), else the dry run's.
 */
static int pick_node(struct world *w, struct pod *p, const struct sched_pod *sp, const struct sched_placement *pl,
		     char *why, size_t len)
{
	if (p->nominated && sched_fits(w->nodes, w->n_nodes, sp, pl, p->nominated->idx))
		return (int)p->nominated->idx;
	bool msg = w->sched.preemption_msg;
	w->sched.preemption_msg = msg && !preempt_may(w, p);
	int n = sched_pick_placed(&w->sched, w->nodes, w->n_nodes, sp, pl, w->r_sched, why, len);
	w->sched.preemption_msg = msg;
	return n;
}

/* Binds p to a node, or leaves it waiting: it may preempt pods of lower
 * priority (and wait for them, nominated), else it tells the provisioner.
 * Returns whether it was bound. */
static bool place(struct world *w, struct pod *p)
{
	struct service *sv = p->svc;
	bool cached;
	p->n_launched = p->n_ready = -1;
	if (w->cluster) {
		char why[SCHED_WHY_LEN];
		struct sched_pod sp = pod_sched(p);
		struct sched_placement pl = {&w->place, w->pnodes, sv->idx, w->sched_feasible, w->sched_scores};
		int n = pick_node(w, p, &sp, &pl, why, sizeof why);
		if (n < 0) {
			if (w->initial)
				return false;
			bool was = w->retrying;
			if (preempt_may(w, p) && preempt_pod(w, p, &sp, &pl, why, sizeof why) >= 0) {
				/* Its victims going retried nothing; now they may. */
				if (!was && w->retry_again)
					pod_retry_pending(w);
				return p->bound;
			}
			pod_log_unschedulable(w, p, why);
			/* A pod waiting on its victims is none of the provisioners' business. */
			if (w->prov.self && !p->nominated)
				w->prov.pod_unschedulable(w, w->prov.self, p);
			return false;
		}
		preempt_clear(w, p);
		struct wnode *wn = w->wnodes[n];
		sched_bind(&w->nodes[n], &sp);
		node_pod_bound(w, n);
		node_pod_placed(w, p, n, +1, true);
		svc_pod_host(w, p, wn);
		p->node = n;
		cached = wn->cached || (p->version ? rollout_image_cached(sv->ro, wn->num) : wn->pulled[sv->idx]);
		pod_note_node(p, wn->launched, wn->ready_at);
	} else {
		cached = p->version ? rollout_image_cached(sv->ro, UINT32_MAX) : sv->pulled_any;
	}
	p->bound = true;
	p->start_time = p->ready_change = p->t_sched = w->s->now;
	pod_log(w, p, "scheduled", w->cluster ? w->wnodes[p->node]->name : NULL);
	if (w->cluster && w->wnodes[p->node]->lost) {
		p->lost = true; /* bound to a node whose kubelet is gone: it never starts */
		return true;
	}
	life_at(w, p, draw_ns(sv, cached ? &sv->pull_cached : &sv->pull_first), LIFE_PULLED);
	return true;
}

/* One pass over the pending pods, the services by descending priority
 * (the scheduling queue's PrioritySort), each service's by slot: oldest
 * first, but for a new pod in the slot of one gone. */
static void retry_pass(struct world *w)
{
	for (size_t k = 0; k < w->n_svcs; k++) {
		struct service *sv = &w->svcs[w->order[k]];
		if (!sv->n_pending)
			continue;
		for (uint32_t j = 0; j < sv->n_pods; j++) {
			struct pod *p = sv->pods[j];
			if (p->slot_free || p->phase != POD_PENDING || p->bound)
				continue;
			/* Identical pods of this service will not fit either (nor
			 * preempt, unless this one did); with a provisioner each is
			 * still reported, as each stays pending. */
			if (!place(w, p) && !w->prov.self && !p->nominated)
				break;
		}
	}
}

void pod_retry_pending(struct world *w)
{
	if (!w->cluster)
		return;
	if (w->retrying) {
		w->retry_again = true; /* a preemption's victims went: once more after this pass */
		return;
	}
	w->retrying = true;
	do {
		w->retry_again = false;
		retry_pass(w);
	} while (w->retry_again);
	w->retrying = false;
}

/* The pod is gone: its node has room again. */
static void gone(struct world *w, struct pod *p)
{
	struct service *sv = p->svc;
	if (p->phase == POD_RUNNING || p->phase == POD_TERMINATING) {
		svc_account(sv, w->s->now);
		sv->n_running--;
	}
	if (p->phase == POD_PENDING) {
		sv->n_pending--;
		sv->n_live--;
		sv->v_live[p->version]--;
	}
	if (p->life != EVH_NONE) {
		sim_cancel(w->s, p->life);
		p->life = EVH_NONE;
	}
	preempt_clear(w, p);
	svc_set_ready(sv, p, false);
	bool was_live = p->phase != POD_TERMINATING;
	p->phase = POD_GONE;
	bool had_node = p->bound && p->node >= 0;
	pod_log(w, p, "deleted", NULL);
	if (svc_pod_drained(p))
		svc_pod_free(sv, p);
	if (had_node) {
		struct sched_pod sp = pod_req(sv);
		int n = p->node;
		svc_pod_unhost(w, p);
		p->node = -1;
		p->bound = false;
		sched_unbind(&w->nodes[n], &sp);
		node_pod_placed(w, p, n, -1, was_live);
		node_pod_unbound(w, n);
		pod_retry_pending(w);
	}
}

static void ready_time(struct world *w, struct pod *p)
{
	const struct scn_startup *st = &p->svc->cfg->startup;
	simtime now = w->s->now, period = st->probe_period, t = p->probe_base;
	if (t < now)
		t += (now - t + period - 1) / period * period;
	t += (simtime)(st->probe_success_threshold - 1) * period;
	life_at(w, p, t - now, LIFE_READY);
}

/*
 * A pod waited for its node when the node became Ready after the pod was
 * created: launched after it (for it, or for another pod of the batch) or
 * just before it and still starting. The wait then splits at the later of
 * the launch and the pod's creation: provisioning before, node start after.
 * A node not Ready yet (SIM_FOREVER) leaves the wait as scheduling.
 */
void pod_note_node(struct pod *p, simtime launched, simtime ready_at)
{
	p->n_launched = p->n_ready = -1;
	if (ready_at > p->created && ready_at != SIM_FOREVER) {
		p->n_launched = HR_MAX(launched, p->created);
		p->n_ready = ready_at;
	}
}

/*
 * Where a new pod's Pending-to-Ready time went, for its "ready" row:
 * "38.2s: provisioning 1.0s, node start 30.2s, scheduling 0.0s, image pull
 * 1.0s, container 1.0s, app 25.1s, probe 0.9s; dominant: node start". When
 * the pod waited for its node (pod_note_node), the wait splits into the
 * provisioner's reaction (batch window or scan) and the node's start-up;
 * otherwise it is scheduling.
 */
void pod_start_breakdown(const struct pod *p, simtime now, char *buf, size_t size)
{
	static const char *const names[] = {"provisioning", "node start", "scheduling", "image pull",
					    "container", "app", "probe"};
	double part[7] = {0};
	if (p->n_launched >= 0) {
		part[0] = sim_to_s(p->n_launched - p->created);
		part[1] = sim_to_s(p->n_ready - p->n_launched);
		part[2] = sim_to_s(p->t_sched - p->n_ready);
	} else {
		part[2] = sim_to_s(p->t_sched - p->created);
	}
	part[3] = sim_to_s(p->t_pulled - p->t_sched);
	part[4] = sim_to_s(p->t_started - p->t_pulled);
	part[5] = sim_to_s(p->t_app - p->t_started);
	part[6] = sim_to_s(now - p->t_app);
	int top = 0;
	size_t k = (size_t)snprintf(buf, size, "%.1fs:", sim_to_s(now - p->created));
	for (int i = 0; i < 7 && k < size; i++) {
		if (part[i] > part[top])
			top = i;
		k += (size_t)snprintf(buf + k, size - k, "%s %s %.1fs", i ? "," : "", names[i], part[i]);
	}
	if (k < size)
		snprintf(buf + k, size - k, "; dominant: %s", names[top]);
}

static simtime life_ev(struct sim *s, void *obj, uint64_t arg)
{
	struct pod *p = obj;
	struct service *sv = p->svc;
	struct world *w = sv->w;
	p->life = EVH_NONE;
	switch ((enum life_stage)arg) {
	case LIFE_PULLED:
		if (p->version) /* the new version's image is a new image */
			rollout_image_pulled(sv->ro, w->cluster ? w->wnodes[p->node]->num : UINT32_MAX);
		else if (w->cluster)
			w->wnodes[p->node]->pulled[sv->idx] = true;
		if (!p->version)
			sv->pulled_any = true;
		p->t_pulled = s->now;
		pod_log(w, p, "pulled", NULL);
		life_at(w, p, draw_ns(sv, &sv->container_start), LIFE_STARTED);
		break;
	case LIFE_STARTED:
		svc_account(sv, s->now);
		sv->n_running++;
		sv->n_pending--;
		p->phase = POD_RUNNING;
		p->probe_base = s->now + sv->cfg->startup.probe_initial_delay;
		p->t_started = s->now;
		pod_log(w, p, "started", NULL);
		const struct dist_sampler *as = sv->ro ? rollout_app_start(sv->ro, p->version) : NULL;
		life_at(w, p, draw_ns(sv, as ? as : &sv->app_start), LIFE_APP);
		break;
	case LIFE_APP:
		p->born = s->now;
		p->t_app = s->now;
		pod_log(w, p, "app-started", NULL);
		ready_time(w, p);
		break;
	case LIFE_READY: {
		char why[320];
		p->ready_change = s->now;
		svc_set_ready(sv, p, true);
		hist_add(&sv->start_hist, s->now - p->created);
		pod_start_breakdown(p, s->now, why, sizeof why);
		pod_log(w, p, "ready", why);
		break;
	}
	case LIFE_GRACE:
		gone(w, p);
		break;
	case LIFE_NOEXECUTE:
		evict(w, p, "taint node.kubernetes.io/unreachable:NoExecute outlived its tolerationSeconds "
			    "(taint-eviction-controller)");
		break;
	}
	return SIM_DONE;
}

/* A new pod of version v's ReplicaSet (v 0: the Deployment's). */
static struct pod *create_v(struct world *w, struct service *sv, int v)
{
	struct pod *p = svc_pod_new(w, sv);
	p->phase = POD_PENDING;
	p->version = (uint8_t)v;
	p->lb.group = (uint16_t)v; /* its Istio subset; it joins the endpoints when Ready */
	sv->v_live[v]++;
	sv->n_live++;
	sv->n_pending++;
	pod_log(w, p, "created", NULL);
	return p;
}

static struct pod *create(struct world *w, struct service *sv) { return create_v(w, sv, 0); }

/* Running pod p is deleted: out of the endpoints, no further start-up
 * step, no longer live. */
static void to_terminating(struct world *w, struct pod *p)
{
	struct service *sv = p->svc;
	if (p->life != EVH_NONE) {
		sim_cancel(w->s, p->life);
		p->life = EVH_NONE;
	}
	svc_set_ready(sv, p, false);
	p->phase = POD_TERMINATING;
	p->deleted = w->s->now;
	/* Going terminating is a pod event on its node, as binding and leaving
	 * are (Karpenter's nodeclaim/podevents: bound, terminal or terminating). */
	if (w->cluster && p->bound && p->node >= 0)
		w->wnodes[p->node]->last_pod_event = w->s->now;
	if (p->bound && p->node >= 0) /* kube-scheduler's spreading no longer counts it */
		node_pod_terminating(w, p);
	sv->n_live--;
	sv->v_live[p->version]--;
}

static void delete_pod(struct world *w, struct pod *p)
{
	struct service *sv = p->svc;
	if (p->phase == POD_PENDING) {
		gone(w, p);
		return;
	}
	assert(p->phase == POD_RUNNING);
	to_terminating(w, p);
	pod_log(w, p, "terminating", NULL);
	if (p->lost)
		return; /* no kubelet confirms its end: it stays until its node is removed */
	if (svc_pod_drained(p))
		gone(w, p);
	else
		life_at(w, p, sv->cfg->startup.termination_grace, LIFE_GRACE);
}

void pod_quiet(struct world *w, struct pod *p)
{
	if (p->phase == POD_TERMINATING && !p->lost)
		gone(w, p);
	else if (p->phase == POD_GONE && !p->slot_free)
		svc_pod_free(p->svc, p);
}

/* Up long before the run: Running, Ready, warm, image cached. */
static void make_up(struct world *w, struct pod *p)
{
	struct service *sv = p->svc;
	sim_cancel(w->s, p->life);
	p->life = EVH_NONE;
	if (w->cluster)
		w->wnodes[p->node]->pulled[sv->idx] = true;
	sv->pulled_any = true;
	p->start_time = p->ready_change = p->created = -SIM_HOUR;
	p->born = INT64_MIN / 4;
	p->phase = POD_RUNNING;
	sv->n_pending--;
	sv->n_running++;
	svc_set_ready(sv, p, true);
}

void pod_initial(struct world *w, struct service *sv)
{
	w->initial = true;
	for (int i = 0; i < sv->cfg->replicas; i++) {
		struct pod *p = create(w, sv);
		if (place(w, p))
			make_up(w, p);
	}
	w->initial = false;
}

void pod_initial_retry(struct world *w, struct service *sv)
{
	w->initial = true;
	for (uint32_t j = 0; j < sv->n_pods; j++) {
		struct pod *p = sv->pods[j];
		if (!p->slot_free && p->phase == POD_PENDING && !p->bound && place(w, p))
			make_up(w, p);
	}
	w->initial = false;
	/* Those that still fit nowhere wait like any pending pod. */
	for (uint32_t j = 0; j < sv->n_pods; j++) {
		struct pod *p = sv->pods[j];
		if (!p->slot_free && p->phase == POD_PENDING && !p->bound)
			place(w, p);
	}
}

void pod_initial_move(struct world *w, struct pod *p, struct wnode *to)
{
	struct service *sv = p->svc;
	struct sched_pod sp = pod_req(sv);
	int from = p->node;
	assert(p->bound && from >= 0 && p->phase == POD_RUNNING && svc_pod_drained(p) && to->state == NODE_READY);
	svc_pod_unhost(w, p);
	sched_unbind(&w->nodes[from], &sp);
	node_pod_placed(w, p, from, -1, true);
	node_pod_unbound(w, from);
	sched_bind(&w->nodes[to->idx], &sp);
	node_pod_bound(w, (int)to->idx);
	node_pod_placed(w, p, (int)to->idx, +1, true);
	svc_pod_host(w, p, to);
	p->node = (int)to->idx;
	to->pulled[sv->idx] = true;
	pod_log(w, p, "scheduled", to->name);
}

/* ActivePodsWithRanks: < 0 when a should be deleted before b. */
static int victim_cmp(const void *pa, const void *pb)
{
	const struct pod *a = *(const struct pod *const *)pa, *b = *(const struct pod *const *)pb;
	if (a->bound != b->bound)
		return a->bound ? 1 : -1;
	if (a->phase != b->phase)
		return a->phase == POD_PENDING ? -1 : 1;
	if (a->ready != b->ready)
		return a->ready ? 1 : -1;
	if (a->ready && a->ready_change != b->ready_change)
		return a->ready_change > b->ready_change ? -1 : 1;
	if (a->created != b->created)
		return a->created > b->created ? -1 : 1;
	return a->num > b->num ? -1 : 1;
}

/* Deletes p, told as evicted for `why`; its ReplicaSet replaces it. */
static void evict(struct world *w, struct pod *p, const char *why)
{
	struct service *sv = p->svc;
	pod_log(w, p, "evicted", why);
	delete_pod(w, p);
	pod_replace(w, sv); /* the ReplicaSet still wants its replicas: a replacement, at once */
}

void pod_preempted(struct world *w, struct pod *p, const char *detail)
{
	if (p->phase != POD_PENDING && p->phase != POD_RUNNING)
		return; /* being deleted already: no second API call */
	p->preempted = true;
	pod_log(w, p, "preempted", detail);
	delete_pod(w, p);
}

void pod_replace(struct world *w, struct service *sv)
{
	if (sv->ro) { /* each version's ReplicaSet */
		for (int v = 0; v < 2; v++)
			while (sv->v_live[v] < sv->v_target[v])
				place(w, create_v(w, sv, v));
		return;
	}
	while (sv->n_live < sv->desired)
		place(w, create(w, sv));
}

void pod_evict(struct world *w, struct pod *p)
{
	char why[160];
	snprintf(why, sizeof why, "node %s: %s", p->node >= 0 ? w->wnodes[p->node]->name : "none",
		 p->node >= 0 && w->wnodes[p->node]->state == NODE_DRAINING ? "draining" : "evicted");
	evict(w, p, why);
}

void pod_node_lost(struct world *w, struct pod *p)
{
	p->lost = true;
	if (w->kafka)
		kafka_pod_lost(w, p);
	/* Its kubelet is gone: no further start-up step, and the end of a
	 * terminating pod is never confirmed (it stays until its node goes). */
	if (p->life != EVH_NONE) {
		sim_cancel(w->s, p->life);
		p->life = EVH_NONE;
	}
}

void pod_mark_not_ready(struct world *w, struct pod *p)
{
	if (!p->ready)
		return;
	svc_set_ready(p->svc, p, false);
	p->ready_change = w->s->now;
	pod_log(w, p, "not-ready", "its node is NotReady: marked not Ready (node lifecycle controller)");
}

/* The pod's toleration of the unreachable NoExecute taint, in seconds
 * (tainteviction getMinTolerationTime over the tolerations that match):
 * the least tolerationSeconds among its own matching tolerations, -1 when
 * they give none (tolerated forever); without one, the admission plugin's
 * default. */
static int64_t toleration_seconds(const struct scn_placement *pl, int64_t dflt)
{
	static const struct scn_taint unreachable = {(char *)"node.kubernetes.io/unreachable", (char *)"",
						     EFFECT_NO_EXECUTE};
	bool matched = false;
	int64_t least = INT64_MAX;
	for (size_t i = 0; i < pl->n_tolerations; i++) {
		const struct scn_toleration *t = &pl->tolerations[i];
		if (!place_tolerates(t, &unreachable))
			continue;
		matched = true;
		if (t->has_seconds)
			least = HR_MIN(least, HR_MAX(t->seconds, 0));
	}
	if (!matched)
		return dflt;
	return least == INT64_MAX ? -1 : least;
}

void pod_noexecute(struct world *w, struct pod *p, simtime at, int64_t dflt)
{
	if (p->phase == POD_TERMINATING || p->phase == POD_GONE)
		return;
	int64_t secs = toleration_seconds(&p->svc->cfg->placement, dflt);
	if (secs < 0)
		return;
	simtime when = HR_MAX(w->s->now, at + secs * SIM_S);
	if (p->life != EVH_NONE)
		sim_cancel(w->s, p->life);
	p->life = EVH_NONE;
	life_at(w, p, when - w->s->now, LIFE_NOEXECUTE);
}

void pod_kill(struct world *w, struct pod *p, const char *why)
{
	struct service *sv = p->svc;
	bool live = p->phase == POD_PENDING || p->phase == POD_RUNNING;
	pod_log(w, p, "killed", why);
	if (p->phase == POD_RUNNING)
		to_terminating(w, p); /* as delete_pod does, without the grace period */
	gone(w, p);
	if (live)
		pod_replace(w, sv);
}

/* The live pods of version v (any, when v < 0) ranked for deletion, into
 * the world's scratch; returns how many. */
static size_t ranked(struct world *w, struct service *sv, int v, struct pod ***out)
{
	size_t need = sv->n_pods * sizeof(struct pod *);
	if (w->text_cap < need) {
		w->text = xrealloc(w->text, need);
		w->text_cap = need;
	}
	struct pod **vp = (struct pod **)(void *)w->text;
	size_t n = 0;
	for (uint32_t i = 0; i < sv->n_pods; i++) {
		struct pod *p = sv->pods[i];
		if (!p->slot_free && (p->phase == POD_PENDING || p->phase == POD_RUNNING) && (v < 0 || p->version == v))
			vp[n++] = p;
	}
	qsort(vp, n, sizeof *vp, victim_cmp);
	*out = vp;
	return n;
}

void pod_scale_version(struct world *w, struct service *sv, int v, int target)
{
	assert(target >= 0 && v >= 0 && v < 2 && sv->ro);
	sv->v_target[v] = target;
	sv->desired = sv->v_target[0] + sv->v_target[1];
	pod_replace(w, sv);
	if (sv->v_live[v] <= target)
		return;
	struct pod **vp;
	size_t n = ranked(w, sv, v, &vp);
	for (size_t i = 0; i < n && sv->v_live[v] > target; i++)
		if (vp[i]->phase == POD_PENDING || vp[i]->phase == POD_RUNNING)
			delete_pod(w, vp[i]);
}

void pod_scale(struct world *w, struct service *sv, int desired)
{
	assert(desired >= 0);
	if (sv->ro) { /* the HPA scales the Rollout; its ReplicaSets follow */
		rollout_scale(w, sv->ro, desired);
		return;
	}
	sv->desired = desired;
	pod_replace(w, sv);
	if (sv->n_live <= desired)
		return;
	/* The live pods, ranked; the scratch buffer is the world's. */
	size_t need = sv->n_pods * sizeof(struct pod *);
	if (w->text_cap < need) {
		w->text = xrealloc(w->text, need);
		w->text_cap = need;
	}
	struct pod **v = (struct pod **)(void *)w->text;
	size_t n = 0;
	for (uint32_t i = 0; i < sv->n_pods; i++) {
		struct pod *p = sv->pods[i];
		if (!p->slot_free && (p->phase == POD_PENDING || p->phase == POD_RUNNING))
			v[n++] = p;
	}
	qsort(v, n, sizeof *v, victim_cmp);
	/* delete_pod may log (using no scratch) and retry pending pods, which
	 * does not touch v but may preempt one of its pods: deleted already,
	 * it is skipped (no replacement comes while the service has too many). */
	for (size_t i = 0; i < n && sv->n_live > desired; i++)
		if (v[i]->phase == POD_PENDING || v[i]->phase == POD_RUNNING)
			delete_pod(w, v[i]);
}
