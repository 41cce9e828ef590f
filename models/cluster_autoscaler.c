/*
 * cluster_autoscaler.c: the Kubernetes Cluster Autoscaler on AWS node groups
 * (ASGs of one instance type), as kubernetes/autoscaler cluster-autoscaler
 * behaves with its default flags (docs/model.md, Cluster Autoscaler).
 *
 * The loop (core/static_autoscaler.go RunOnce) runs every scan-interval,
 * first at t = scan-interval, and does in order:
 *
 * 1. Scale-up requests (clusterstate updateScaleRequests). A group whose
 *    requested nodes are all Ready has finished its scale-up: its backoff is
 *    removed. A group with nodes still Launching or Registered after
 *    request time + max-node-provision-time (strictly after, at a scan) has
 *    failed: its unregistered nodes are deleted and the group is backed off,
 *    5 min at first, doubling up to 30 min while failures follow each other
 *    (a failure more than 3 h after the last one starts again at 5 min).
 *
 * 2. Scale-up. The unschedulable pods (Pending, not bound) are first packed
 *    onto the room the Ready nodes have left and onto the nodes CA launched
 *    that are not Ready yet, counted as empty nodes of their group
 *    (filterOutSchedulable with upcoming nodes), so a scan never scales up
 *    twice for the same pods; a pod goes only where the node's taints and
 *    labels admit it and no pod repels it (required anti-affinity on
 *    hostname). With --max-nodes-total, when the Ready nodes reach it
 *    nothing scales up (shouldScaleUp). If all the pods left are younger
 *    than 2 s (unschedulablePodTimeBuffer), CA waits one loop (and deletes
 *    no node in it). Otherwise the groups that may scale up are those not
 *    backed off, below their max and with room for one node in the quota
 *    of --cores-total and --memory-total (the cluster's nodes' vCPUs and
 *    memory, upcoming ones included: filterValidScaleUpNodeGroups). Each
 *    group's template is in one zone: its own, or for a group spanning
 *    zones a Ready node's, else the last one's, else its first zone
 *    (template_zones). Each gets an option from the binpacking estimator
 *    (ca_estimate): of the pods its template admits (taints tolerated;
 *    nodeSelector and required node affinity matching the group's labels,
 *    the instance type's and that zone: SchedulablePodGroups), largest CPU
 *    first (then memory), each goes first-fit onto new nodes of the
 *    group's template (the instance's allocatable with the DaemonSets that
 *    run there bound) where its hostname anti-affinity and hard spread
 *    constraints allow (zone ones counting the cluster's pods per zone,
 *    those packed onto nodes above, and the estimate's, all new nodes in
 *    that zone), at most as many nodes as the estimator's thresholds allow
 *    (ca_limit_min of --max-nodes-per-scaleup, the room below max of the
 *    group and, with --balance-similar-node-groups, of its similar groups,
 *    and --max-nodes-total less the cluster's nodes); a pod that fits no
 *    node is left out. The expander (ca_expand) picks one option:
 *      least-waste: the smallest (capacity - requests) / capacity of CPU
 *        plus the same of memory over the option's nodes, the node capacity
 *        being the instance's vCPUs and memory, as expander/waste/waste.go;
 *      most-pods: the most pods placed;
 *      random: any.
 *    Ties go to a uniform draw among the tied options (CA's fallback
 *    expander is random). The price expander is refused at load: CA's AWS
 *    provider implements no pricing model, and CA exits at start with it.
 *    Its node count is capped by --max-nodes-total and the quota, then
 *    (with balancing) split over the group and its similar groups
 *    (ca_similar of their templates, fixed at start; ca_similar_groups:
 *    those that may scale up and admit every pod group the chosen one
 *    does) by ca_balance, each share capped by what the quota has left
 *    (capScaleUpsByQuota). Each group's ASG grows at once: each node goes
 *    to the group's zone, or the one of its zones where it has fewest
 *    instances (asg_zone: Availability Zone balancing), Launches, registers
 *    after the `boot` latency and is Ready after `initialization`. A pod
 *    that no group's template admits (resources, taints, node affinity,
 *    the template's zone) is reported once as unprovisionable, with the
 *    reasons of that loop. When a limit is why nothing scales up, a
 *    "scale-up-limited" row says so, once for each new reason.
 *
 * 3. Scale-down, when enabled and no scale-up happened in this loop. The
 *    candidates are the Ready nodes of groups above their min size.
 *    Utilisation (ca_utilization, ca_eligibility) is max(sum of cpu
 *    requests / allocatable cpu, the same for memory), DaemonSet pods
 *    included, or with --ignore-daemonsets-utilization (false by default)
 *    left out of both the requests and the allocatable
 *    (simulator/utilization/info.go). A candidate at or below
 *    scale-down-utilization-threshold whose pods (Pending-bound or Running)
 *    all fit, first-fit largest first, on the room the other Ready nodes
 *    have left (where their taints and labels admit the pod and no pod
 *    repels it on hostname) is unneeded; a node found unneeded is no
 *    destination for the next candidates (planner.go categorizeNodes). A
 *    node stays unneeded since the first loop it was found so
 *    (wnode.unneeded_since) until a loop finds it needed. Unless CA is in
 *    cooldown (a scale-up less than scale-down-delay-after-add ago, or a
 *    failed scale-down less than scale-down-delay-after-failure ago; at
 *    start both lie an hour back), nodes unneeded for more than
 *    scale-down-unneeded-time are deleted (node_drain), empty ones first,
 *    oldest unneeded first, keeping each group at or above its min and the
 *    cluster at or above the minimums of --cores-total and --memory-total
 *    (a min quota over every node, those being deleted included, as
 *    release 1.37 counts them), at most max-scale-down-parallelism
 *    deletions in progress and at most one non-empty node draining at a
 *    time (--max-drain-parallelism 1).
 *
 * Not modelled: the cluster health check, GPU limits and CapacityQuota
 * objects, --balancing-label, scale-down-unready-time, the 5 min recheck
 * timeout of nodes found unremovable, the node-delete delay after the
 * taint, scale-down-delay-after-failure (a node whose pods
 * PodDisruptionBudgets or annotations protect is skipped before its drain,
 * evict_ca_blocked, so no scale-down fails part-way), pods of ongoing
 * drains taking room in the scale-down simulation, and an ASG's
 * AZRebalance after CA deletes a node. Placement in the simulations is
 * the static fit and hostname anti-affinity only (no spread, zone
 * anti-affinity or pod affinity), and in the estimator no required pod
 * affinity (docs/cluster-autoscaler.md).
 *
 * Randomness: latencies from RNG_NODES instance 1, expander draws from
 * RNG_NODES instance 2; a run is a function of the seed.
 *
 * Several clusters (`clusters:`, docs/clusters.md): each runs its own
 * Cluster Autoscaler of the one configuration (struct ca_ctl). Each scan
 * runs steps 2 and 3 once per cluster, over that cluster's node groups,
 * nodes and pods only (k->cur): its own scale-up per loop, its own
 * --max-nodes-total and resource limits, its own scale-down budgets and
 * cooldown. The draws of every cluster's loop come from the same streams,
 * cluster by cluster in the order of `clusters:`.
 */
#include "cluster_autoscaler.h"
#include "alb.h"
#include "world.h"
#include "evict.h"
#include "rng.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POD_TIME_BUFFER (2 * SIM_S)   /* unschedulablePodTimeBuffer */
#define BACKOFF_RESET (3 * SIM_HOUR)  /* --node-group-backoff-reset-timeout */
#define MAX_DRAIN_PARALLELISM 1       /* --max-drain-parallelism */
#define STABILIZATION (60 * SIM_S)    /* a node Ready for longer is a template candidate (stabilizationDelay) */
#define GIB (1024.0 * SCHED_MIB)

enum { EV_REGISTER, EV_READY };

struct group {
	const struct scn_nodegroup *cfg;
	const struct instance_type *type;
	struct sched_node *tmpl;/* per zone (one without zones): an empty new node of the group there,
	                         * allocatable with the DaemonSets that run there bound */
	int tmpl_zone;          /* its template's zone (template_zones), or PLACE_ZONE_NONE */
	int64_t res[CA_N_RESOURCES]; /* a node's capacity as the limits count it: vCPUs, memory bytes, 1 */
	int size;               /* target size: nodes of the group not being deleted (scratch of a loop) */
	simtime req_at;         /* the open scale-up request, ns; -1: none */
	int req_nodes;          /* nodes that request asked for */
	simtime backoff_until;  /* no scale-up of the group before this, ns */
	simtime backoff_len;    /* the last backoff's length, ns; 0: no backoff on record */
	simtime last_fail;      /* the last failed scale-up, ns */
	struct place_fit *fit;  /* per zone (one row without zones) and service: its template's fit */
};

struct cpod {                /* a pod in a simulation */
	struct pod *p;
	struct sched_pod sp;
	uint32_t node;           /* scale-down: the node it is bound to */
};

struct del {                 /* a node scale-down may delete */
	struct wnode *n;
	bool empty;              /* no pod to move */
};

/* One cluster's Cluster Autoscaler (docs/clusters.md): what a separate
 * installation keeps for itself. Without `clusters:` there is one. */
struct ca_ctl {
	int cluster;             /* index into multi->clusters; -1: no `clusters:` (every group) */
	simtime last_up;         /* lastScaleUpTime, ns */
	simtime last_down_fail;  /* lastScaleDownFailTime, ns (never set: drains do not fail here) */
	char limited[320];       /* the last scale-up-limited row's detail ("" none since) */
};

struct ca {
	struct world *w;
	const struct scn_ca *cfg;
	gsl_rng *r_lat;          /* latencies (RNG_NODES, instance 1) */
	gsl_rng *r_exp;          /* expander draws (RNG_NODES, instance 2) */
	struct dist_sampler boot, initialization;
	struct group *g;         /* one per node group */
	size_t n_g;
	struct ca_scale_down sd; /* what scale-down eligibility reads of the flags */
	int64_t max_limit[CA_N_RESOURCES], min_limit[CA_N_RESOURCES]; /* --cores-total, --memory-total (-1: none) */
	/* Per node group, scratch of a scale-up (n_g each). */
	bool *ready;             /* it may scale up: not backed off, below its max, within the quota */
	unsigned *skip;          /* why not: SKIP_* bits, and the quota's exceeded resources << SKIP_RES */
	bool *similar;           /* n_g x n_g: ca_similar of their templates (fixed; with balancing only) */
	bool *admits;            /* n_g x n_svcs: its template admits the service's pending pods */
	size_t *sim;             /* a group's similar groups (ca_similar_groups) */
	struct ca_group_size *sizes; /* the balanced scale-up */
	/* Scratch, grown on demand: memory follows the cluster. */
	struct cpod *pods;
	struct sched_pod *sps;   /* the pods' requests, for the estimator */
	size_t *order;           /* the estimator's order of them */
	size_t cap_pods;
	struct sched_node *bins;
	size_t cap_bins;
	struct ca_option *opt;   /* n_g */
	size_t *best;            /* n_g: the expander's best options */
	struct wnode **cand;
	size_t *start;           /* scale-down: the first of each node's pods in `pods` */
	unsigned char *gone;     /* scale-down: found unneeded in this loop */
	struct del *del;         /* scale-down: the nodes to delete */
	size_t cap_nodes;
	/* Placement: what each service's pods (a pod group) need of new nodes
	 * (the estimator's constraints) and of nodes (the simulations). */
	size_t n_svcs;
	struct ca_group *cg;     /* per service, as the node group being estimated sees it */
	struct ca_spread *cs;    /* per service, PLACE_MAX_TERMS: its hard spread constraints */
	int *anti;               /* per service, 2 x n_svcs: its anti_host list, then its anti_zone list */
	int *zcnt;               /* per service and hard spread constraint: each zone's count, -1 where the
	                          * zone is no domain (n_zones + 1 each; this scan's) */
	bool *pending;           /* per service: it has pods in this scan's estimate */
	int *pgrp;               /* per pod in `pods`: its service (cap_pods) */
	size_t *touched;         /* a simulation's pods, as sim_count entries, bin x n_svcs + service (cap_pods) */
	size_t n_filtered;       /* touched's entries from this scan's filter_schedulable */
	int *est_count;          /* the estimator's counts ((cap_bins + 1) x n_svcs) */
	uint32_t *bin_node;      /* a simulation's bin: the world node it copies (cap_bins) */
	int *sim_count;          /* a simulation's pods put on each bin, per service (cap_bins x n_svcs;
	                          * zero between simulations) */
	struct ca_ctl *ctl;      /* one installation per cluster (n_ctl; owned) */
	size_t n_ctl;
	size_t cur;              /* the installation whose loop runs: it sees its cluster only */
};

/* The installation whose loop runs now. */
static struct ca_ctl *ctl(const struct ca *k) { return &k->ctl[k->cur]; }

/* Whether node group gi is the running installation's (its cluster's). */
static bool my_group(const struct ca *k, size_t gi)
{
	return k->n_ctl == 1 || (size_t)k->w->sc->multi->pool_cluster[gi] == k->cur;
}

/* Whether node n is in the running installation's cluster. */
static bool mine(const struct ca *k, const struct wnode *n)
{
	if (k->n_ctl == 1)
		return true;
	if (!n->static_node && n->pool >= 0)
		return my_group(k, (size_t)n->pool);
	return alb_node_cluster(k->w, n) == ctl(k)->cluster;
}

/* The nodes of the running installation's cluster. */
static int my_nodes(const struct ca *k)
{
	int n = 0;
	for (size_t i = 0; i < k->w->n_nodes; i++)
		n += mine(k, k->w->wnodes[i]);
	return n;
}

static const char *const expander_names[] = {"least-waste", "random", "most-pods"};

/* ---- the decisions (cluster_autoscaler.h) ---- */

/* qsort, which must not see a NULL array even when it is empty. */
static void sort(void *a, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(a, n, size, cmp);
}

/* A pod's size against the template: cpu / allocatable cpu + memory /
 * allocatable memory (estimator/decreasing_pod_orderer.go calculatePodScore). */
static double pod_score(const struct sched_node *t, const struct sched_pod *p)
{
	return (t->alloc_cpu > 0 ? p->cpu / t->alloc_cpu : 0) + (t->alloc_mem > 0 ? p->mem / t->alloc_mem : 0);
}

/* Whether pod a goes before pod b: the larger score first, as upstream's
 * DecreasingPodOrderer; equal scores (upstream's sort.Slice leaves their
 * order unspecified) by larger cpu, then memory, then the earlier in the
 * input, so pods of one shape stay together. */
static bool goes_before(const struct sched_node *t, const struct sched_pod *p, size_t a, size_t b)
{
	double sa = pod_score(t, &p[a]), sb = pod_score(t, &p[b]);
	if (sa != sb)
		return sa > sb;
	if (p[a].cpu != p[b].cpu)
		return p[a].cpu > p[b].cpu;
	if (p[a].mem != p[b].mem)
		return p[a].mem > p[b].mem;
	return a < b;
}

static void sift_down(size_t *o, size_t i, size_t n, const struct sched_node *t, const struct sched_pod *p)
{
	for (size_t c; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && goes_before(t, p, o[c], o[c + 1]))
			c++;
		if (!goes_before(t, p, o[i], o[c]))
			return;
		size_t x = o[i];
		o[i] = o[c];
		o[c] = x;
	}
}

/* o[0..n) = the pods' indices in estimation order (a heapsort: qsort has
 * no context argument, and the order is total, so stability is moot). */
static void order_pods(size_t *o, size_t n, const struct sched_node *t, const struct sched_pod *p)
{
	for (size_t i = 0; i < n; i++)
		o[i] = i;
	for (size_t i = n / 2; i-- > 0;)
		sift_down(o, i, n, t, p);
	for (size_t m = n; m-- > 1;) {
		size_t x = o[0];
		o[0] = o[m];
		o[m] = x;
		sift_down(o, 0, m, t, p);
	}
}

/* One estimate's state. */
struct est {
	const struct sched_node *tmpl;
	struct sched_node *bins;          /* the new nodes, nodes of them opened */
	int nodes, max_nodes;
	const struct ca_constraints *c;   /* NULL: resources only */
	int *total;                       /* with c: the pods of each group placed (c->count's first row) */
};

/* The counts row[] of the groups sel lists, summed; 0 without a row. */
static int sum_sel(const int *row, const int *sel, size_t n)
{
	int s = 0;
	for (size_t i = 0; row && i < n; i++)
		s += row[sel[i]];
	return s;
}

/* New node j's row of counts (with c). */
static int *row_of(const struct est *st, size_t j)
{
	return st->c->count + (j + 1) * st->c->n_groups;
}

/* Whether pod group pg's pods may still go into the node group's zone,
 * total[] (NULL: none) of each group placed there by the estimate: no pod
 * a zone anti-affinity keeps apart there, and each zone constraint's
 * count there + self - the least count over its domains within maxSkew. */
static bool zone_fits(const struct ca_group *pg, const int *total)
{
	if (pg->zone_held || sum_sel(total, pg->anti_zone, pg->n_anti_zone) > 0)
		return false;
	for (size_t i = 0; i < pg->n_spread; i++) {
		const struct ca_spread *s = &pg->spread[i];
		if (s->key != SCN_TOPO_ZONE)
			continue;
		int cnt = s->in_zone + sum_sel(total, s->sel, s->n_sel);
		int min = s->n_domains && s->min < cnt ? s->min : cnt;
		if (s->n_domains + 1 < s->min_domains)
			min = 0;
		if ((long)cnt + s->self - min > s->max_skew)
			return false;
	}
	return true;
}

static bool zone_ok(const struct est *st, int g)
{
	return zone_fits(&st->c->groups[g], st->total);
}

/* Each hostname constraint's least count over its domains (the cluster's
 * and the new nodes; 0 below minDomains) as a pod of group g is placed:
 * into min[i] for g's constraint i. */
static void host_minima(const struct est *st, int g, int *min)
{
	const struct ca_group *pg = &st->c->groups[g];
	assert(pg->n_spread <= PLACE_MAX_TERMS);
	for (size_t i = 0; i < pg->n_spread; i++) {
		const struct ca_spread *s = &pg->spread[i];
		if (s->key != SCN_TOPO_HOSTNAME)
			continue;
		min[i] = s->n_domains ? s->min : INT32_MAX;
		if (s->n_domains + st->nodes < s->min_domains)
			min[i] = 0;
		for (int j = 0; j < st->nodes && min[i] > 0; j++) {
			int cnt = sum_sel(row_of(st, (size_t)j), s->sel, s->n_sel);
			min[i] = cnt < min[i] ? cnt : min[i];
		}
	}
}

/* Whether new node j takes a pod of group g beside resources: no pod
 * there that a hostname anti-affinity keeps apart from it, and each
 * hostname constraint's count there + self - min within maxSkew. */
static bool host_ok(const struct est *st, size_t j, int g, const int *min)
{
	const struct ca_group *pg = &st->c->groups[g];
	const int *row = row_of(st, j);
	if (sum_sel(row, pg->anti_host, pg->n_anti_host) > 0)
		return false;
	for (size_t i = 0; i < pg->n_spread; i++) {
		const struct ca_spread *s = &pg->spread[i];
		if (s->key == SCN_TOPO_HOSTNAME && (long)sum_sel(row, s->sel, s->n_sel) + s->self - min[i] > s->max_skew)
			return false;
	}
	return true;
}

/* Whether group g has a hostname spread constraint: its minima may rise
 * as pods are placed, so a node that refused one of its pods may take the
 * next. */
static bool host_spread(const struct ca_constraints *c, int g)
{
	for (size_t i = 0; c && i < c->groups[g].n_spread; i++)
		if (c->groups[g].spread[i].key == SCN_TOPO_HOSTNAME)
			return true;
	return false;
}

/* The first new node from `from` on that takes pod p (of group g with
 * c), or st->nodes. */
static size_t first_node(const struct est *st, const struct sched_pod *p, int g, size_t from)
{
	int min[PLACE_MAX_TERMS];
	if (st->c)
		host_minima(st, g, min);
	for (size_t j = from; j < (size_t)st->nodes; j++)
		if (!sched_filter(&st->bins[j], p) && (!st->c || host_ok(st, j, g, min)))
			return j;
	return (size_t)st->nodes;
}

/* Opens a new node (an empty one takes any pod the template admits:
 * its hostname counts are 0, and so is then every minimum). */
static size_t open_node(struct est *st)
{
	size_t j = (size_t)st->nodes++;
	st->bins[j] = *st->tmpl;
	if (st->c)
		memset(row_of(st, j), 0, st->c->n_groups * sizeof(int));
	return j;
}

static void put(struct est *st, size_t j, const struct sched_pod *p, int g)
{
	sched_bind(&st->bins[j], p);
	if (st->c) {
		row_of(st, j)[g]++;
		st->total[g]++;
	}
}

/* Where pod p of group g goes: a new node's index, or st->nodes (left
 * out). from: the first node worth trying. */
static size_t place_one(struct est *st, const struct sched_pod *p, int g, size_t from)
{
	if (sched_filter(st->tmpl, p) || (st->c && (!st->c->groups[g].admitted || !zone_ok(st, g))))
		return (size_t)st->nodes;
	size_t j = first_node(st, p, g, from);
	if (j == (size_t)st->nodes) {
		if (st->nodes >= st->max_nodes)
			return j;
		j = open_node(st);
	}
	put(st, j, p, g);
	return j;
}

/*
 * Upstream packs the pod equivalence groups in turn: each pod of a group
 * first tries the nodes added so far (tryToScheduleOnExistingNodes, up to
 * the group's first failure), then the last node added, then a new one if
 * the limiter allows (tryToScheduleOnNewNodes), where a pod that an empty
 * new node refuses ends its group. For pods of one shape that is
 * first-fit, and the model's equivalence group is a service (one shape),
 * so first-fit over the ordered pods gives the same counts: a pod refused
 * by an empty node here is refused by the zone checks (zone_ok), which
 * refuse the rest of its group as well. Upstream scans the nodes from the
 * one after its last match (lastIndexOrderMapping), not from the first:
 * with several shapes its placement, and rarely its count, may differ.
 */
struct ca_estimate ca_estimate(const struct sched_node *tmpl, const struct sched_pod *pods, size_t n, int max_nodes,
			       struct sched_node *bins, size_t *order, bool *placed, const struct ca_constraints *c)
{
	assert(max_nodes >= 0);
	struct est st = {tmpl, bins, 0, max_nodes, c, c ? c->count : NULL};
	struct ca_estimate e = {0};
	size_t hint = 0; /* where the previous pod went (or st.nodes: nowhere) */
	if (c)
		memset(st.total, 0, c->n_groups * sizeof *st.total);
	order_pods(order, n, tmpl, pods);
	for (size_t i = 0; i < n; i++) {
		const struct sched_pod *sp = &pods[order[i]];
		int g = c ? c->group[order[i]] : 0;
		assert(!c || (g >= 0 && (size_t)g < c->n_groups));
		/* A pod of the same requests (and group) as the one before cannot
		 * fit the nodes before the one that pod went to: they did not take
		 * it and have only filled up since (unless a hostname spread's
		 * minimum rose meanwhile). Starting there gives first-fit's answer
		 * in O(pods + nodes) for pods of one shape. */
		const struct sched_pod *prev = i ? &pods[order[i - 1]] : NULL;
		bool same = prev && prev->cpu == sp->cpu && prev->mem == sp->mem &&
			    (!c || (c->group[order[i - 1]] == g && !host_spread(c, g)));
		hint = place_one(&st, sp, g, same ? hint : 0);
		bool ok = hint < (size_t)st.nodes;
		if (placed)
			placed[order[i]] = ok;
		if (!ok)
			continue;
		e.pods++;
		e.cpu_m += llround(sp->cpu * 1000);
		e.mem += llround(sp->mem);
	}
	e.nodes = st.nodes;
	return e;
}

double ca_expander_score(enum ca_expander e, const struct ca_option *o)
{
	switch (e) {
	case CA_LEAST_WASTE: {
		assert(o->nodes > 0 && o->node_cpu_m > 0 && o->node_mem > 0);
		int64_t cpu = o->node_cpu_m * o->nodes, mem = o->node_mem * o->nodes;
		return (double)(cpu - o->cpu_m) / (double)cpu + (double)(mem - o->mem) / (double)mem;
	}
	case CA_MOST_PODS:
		return -(double)o->pods;
	case CA_RANDOM:
		break;
	}
	return 0;
}

size_t ca_expander_best(enum ca_expander e, const struct ca_option *opt, size_t n, size_t *best)
{
	size_t nb = 0;
	double low = 0;
	for (size_t i = 0; i < n; i++) {
		double s = ca_expander_score(e, &opt[i]);
		if (!nb || s < low) {
			low = s;
			nb = 0;
		}
		if (s == low)
			best[nb++] = i;
	}
	return nb;
}

size_t ca_expand(enum ca_expander e, const struct ca_option *opt, size_t n, size_t *best, gsl_rng *r)
{
	assert(n >= 1);
	size_t nb = ca_expander_best(e, opt, n, best);
	return nb < 2 ? best[0] : best[rng_below(r, (uint32_t)nb)];
}

int ca_limit_min(int base, int target)
{
	if (base < 0 || target < 0)
		return -1;
	if ((base == 0 || base > target) && target > 0)
		return target;
	return base;
}

int ca_cluster_capacity(int max_nodes_total, int n_nodes)
{
	if (max_nodes_total == 0)
		return 0;
	if (max_nodes_total < 0 || max_nodes_total <= n_nodes)
		return -1;
	return max_nodes_total - n_nodes;
}

int ca_groups_capacity(const struct ca_group_size *g, size_t n)
{
	assert(n >= 1);
	int room = 0;
	for (size_t i = 0; i < n; i++)
		room += g[i].max > g[i].current ? g[i].max - g[i].current : 0;
	return room > 0 ? room : -1;
}

int ca_capped_new_nodes(int new_nodes, int n_nodes, int max_nodes_total)
{
	if (max_nodes_total > 0 && new_nodes + n_nodes > max_nodes_total)
		return max_nodes_total - n_nodes;
	return new_nodes;
}

void ca_quota_init(struct ca_quota *q, const int64_t *limit, const int64_t *usage, bool min)
{
	for (int r = 0; r < CA_N_RESOURCES; r++) {
		int64_t d = min ? usage[r] - limit[r] : limit[r] - usage[r];
		q->left[r] = limit[r] < 0 ? -1 : d > 0 ? d : 0;
	}
}

int ca_quota_check(const struct ca_quota *q, const int64_t *node, int delta, unsigned *exceeded)
{
	assert(delta >= 0);
	int allowed = delta;
	unsigned ex = 0;
	for (int r = 0; r < CA_N_RESOURCES; r++) {
		if (node[r] <= 0 || q->left[r] < 0 || q->left[r] >= node[r] * delta)
			continue;
		int64_t fit = q->left[r] / node[r];
		allowed = fit < allowed ? (int)fit : allowed;
		ex |= 1u << r;
	}
	if (exceeded)
		*exceeded = ex;
	return allowed;
}

int ca_quota_consume(struct ca_quota *q, const int64_t *node, int delta, unsigned *exceeded)
{
	int allowed = ca_quota_check(q, node, delta, exceeded);
	if (allowed != delta)
		return allowed;
	for (int r = 0; r < CA_N_RESOURCES; r++)
		if (q->left[r] >= 0)
			q->left[r] = HR_MAX(q->left[r] - node[r] * delta, 0);
	return allowed;
}

/* resourceListWithinTolerance: larger - smaller <= larger x ratio, on
 * upstream's float64s of the milli-values. */
static bool within(int64_t a, int64_t b, double ratio)
{
	double x = (double)a, y = (double)b, larger = x > y ? x : y, smaller = x > y ? y : x;
	return larger - smaller <= larger * ratio;
}

/* BasicIgnoredLabels and CreateAwsNodeInfoComparator's additions. */
static const char *const ignored_labels[] = {
	"kubernetes.io/hostname", "failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region",
	"topology.kubernetes.io/zone", "topology.kubernetes.io/region", "beta.kubernetes.io/fluentd-ds-ready",
	"kops.k8s.io/instancegroup", "alpha.eksctl.io/instance-id", "alpha.eksctl.io/nodegroup-name",
	"eks.amazonaws.com/nodegroup", "k8s.amazonaws.com/eniConfig", "lifecycle", "topology.ebs.csi.aws.com/zone",
	"topology.k8s.aws/zone-id", NULL};

static bool ignored(const char *key, const char *const *extra, size_t n_extra)
{
	for (size_t i = 0; ignored_labels[i]; i++)
		if (!strcmp(key, ignored_labels[i]))
			return true;
	for (size_t i = 0; i < n_extra; i++)
		if (!strcmp(key, extra[i]))
			return true;
	return false;
}

/* Whether every label of a that is not ignored is on b with its value. */
static bool labels_in(const struct ca_template *a, const struct ca_template *b, const char *const *ign, size_t n_ign)
{
	for (size_t i = 0; i < a->n_labels; i++) {
		const struct place_label *l = &a->labels[i];
		const char *v = ignored(l->key, ign, n_ign) ? l->value : place_label_get(b->labels, b->n_labels, l->key);
		if (!v || strcmp(v, l->value))
			return false;
	}
	return true;
}

bool ca_similar(const struct ca_template *a, const struct ca_template *b, const struct ca_ratios *r,
		const char *const *ignore, size_t n_ignore)
{
	/* Capacity: memory within its ratio, the rest exactly. */
	if (a->cap_cpu_m != b->cap_cpu_m || a->cap_pods != b->cap_pods ||
	    !within(a->cap_mem, b->cap_mem, r->capacity_memory))
		return false;
	if (!within(a->alloc_cpu_m, b->alloc_cpu_m, r->allocatable) || !within(a->alloc_mem, b->alloc_mem, r->allocatable) ||
	    !within(a->alloc_pods, b->alloc_pods, r->allocatable))
		return false;
	/* Free: allocatable less the requests (pods take no pod slots in
	 * NodeInfo.Requested, so free pods are the allocatable's). */
	if (!within(a->alloc_cpu_m - a->req_cpu_m, b->alloc_cpu_m - b->req_cpu_m, r->free) ||
	    !within(a->alloc_mem - a->req_mem, b->alloc_mem - b->req_mem, r->free) ||
	    !within(a->alloc_pods, b->alloc_pods, r->free))
		return false;
	return labels_in(a, b, ignore, n_ignore) && labels_in(b, a, ignore, n_ignore);
}

size_t ca_similar_groups(size_t best, size_t n_groups, const bool *similar, const bool *ready,
			 const bool *admits, size_t n_pod_groups, size_t *out)
{
	const bool *mine = admits + best * n_pod_groups;
	bool any = false;
	for (size_t p = 0; p < n_pod_groups; p++)
		any |= mine[p];
	if (!any)
		return 0;
	size_t n = 0;
	for (size_t j = 0; j < n_groups; j++) {
		if (j == best || !similar[best * n_groups + j] || !ready[j])
			continue;
		bool all = true;
		for (size_t p = 0; p < n_pod_groups && all; p++)
			all = !mine[p] || admits[j * n_pod_groups + p];
		if (all)
			out[n++] = j;
	}
	return n;
}

/*
 * Upstream's loop, kept as it is: the groups sorted by size, a node to the
 * group at `cur` (or, when that is full, the group swapped out of the
 * range [start, m)), then on to the next group when it is smaller, else
 * back to the start of the range. Every group in [start, cur) has the same
 * new size, so the nodes go level by level to the smallest groups.
 */
size_t ca_balance(struct ca_group_size *g, size_t n, int new_nodes)
{
	size_t m = 0;
	int room = 0;
	for (size_t i = 0; i < n; i++) {
		if (g[i].current == g[i].max)
			continue; /* already maxed */
		room += g[i].max > g[i].current ? g[i].max - g[i].current : 0;
		g[i].new_size = g[i].current;
		g[m++] = g[i];
	}
	new_nodes = HR_MIN(new_nodes, room);
	for (size_t i = 1; i < m; i++) {
		struct ca_group_size x = g[i];
		size_t j = i;
		for (; j > 0 && g[j - 1].current > x.current; j--)
			g[j] = g[j - 1];
		g[j] = x;
	}
	for (size_t start = 0, cur = 0; new_nodes > 0;) {
		struct ca_group_size *c = &g[cur];
		if (c->new_size < c->max) {
			c->new_size++;
			new_nodes--;
		} else {
			struct ca_group_size x = g[start];
			g[start++] = *c;
			*c = x;
		}
		cur = cur + 1 < m && c->new_size > g[cur + 1].new_size ? cur + 1 : start;
	}
	size_t k = 0;
	for (size_t i = 0; i < m; i++)
		if (g[i].new_size != g[i].current)
			g[k++] = g[i];
	return k;
}

int ca_utilization(const struct sched_node *nd, const struct sched_pod *ds, bool ignore_ds, struct ca_util *u)
{
	int64_t ds_cpu = 0, ds_mem = 0;
	if (ds && ignore_ds) {
		ds_cpu = llround(ds->cpu * 1000);
		ds_mem = llround(ds->mem);
	}
	int64_t cpu = llround(nd->alloc_cpu * 1000) - ds_cpu, mem = llround(nd->alloc_mem) - ds_mem;
	*u = (struct ca_util){0};
	if (cpu <= 0 || mem <= 0)
		return -1;
	u->cpu = (double)(llround(nd->req_cpu * 1000) - ds_cpu) / (double)cpu;
	u->mem = (double)(llround(nd->req_mem) - ds_mem) / (double)mem;
	u->cpu_max = u->cpu > u->mem;
	u->util = u->cpu_max ? u->cpu : u->mem;
	return 0;
}

enum ca_unremovable ca_eligibility(const struct ca_node_view *v, const struct ca_scale_down *o, struct ca_util *u)
{
	struct ca_util got, spare;
	if (!u)
		u = &spare;
	*u = (struct ca_util){0};
	if (v->deleting)
		return CA_BEING_DELETED;
	if (!v->autoscaled)
		return CA_NOT_AUTOSCALED;
	if (ca_utilization(v->sn, &o->ds, o->ignore_ds, &got))
		return CA_UNEXPECTED_ERROR;
	if (!o->unready_enabled && !v->ready)
		return CA_UNREADY_DISABLED;
	*u = got;
	return got.util > o->threshold ? CA_NOT_UNDERUTILIZED : CA_REMOVABLE;
}

/* ---- scratch ---- */

static void need_pods(struct ca *k, size_t n)
{
	if (n > k->cap_pods) {
		k->cap_pods = HR_MAX(n, 2 * k->cap_pods);
		k->pods = xrealloc(k->pods, k->cap_pods * sizeof *k->pods);
		k->sps = xrealloc(k->sps, k->cap_pods * sizeof *k->sps);
		k->order = xrealloc(k->order, k->cap_pods * sizeof *k->order);
		k->pgrp = xrealloc(k->pgrp, k->cap_pods * sizeof *k->pgrp);
		k->touched = xrealloc(k->touched, k->cap_pods * sizeof *k->touched);
	}
}

static void need_bins(struct ca *k, size_t n)
{
	if (n > k->cap_bins) {
		size_t was = k->cap_bins, ns = k->n_svcs;
		k->cap_bins = HR_MAX(n, 2 * k->cap_bins);
		k->bins = xrealloc(k->bins, k->cap_bins * sizeof *k->bins);
		k->bin_node = xrealloc(k->bin_node, k->cap_bins * sizeof *k->bin_node);
		k->est_count = xrealloc(k->est_count, (k->cap_bins + 1) * ns * sizeof *k->est_count + 1);
		k->sim_count = xrealloc(k->sim_count, k->cap_bins * ns * sizeof *k->sim_count + 1);
		memset(k->sim_count + was * ns, 0, (k->cap_bins - was) * ns * sizeof *k->sim_count);
	}
}

static void need_nodes(struct ca *k, size_t n)
{
	if (n + 1 > k->cap_nodes) {
		k->cap_nodes = HR_MAX(n + 1, 2 * k->cap_nodes);
		k->cand = xrealloc(k->cand, k->cap_nodes * sizeof *k->cand);
		k->start = xrealloc(k->start, k->cap_nodes * sizeof *k->start);
		k->gone = xrealloc(k->gone, k->cap_nodes * sizeof *k->gone);
		k->del = xrealloc(k->del, k->cap_nodes * sizeof *k->del);
	}
}

/* ---- helpers ---- */

static bool ca_node(const struct wnode *n) { return !n->static_node && n->pool >= 0; }

/* A pod below --expendable-pods-priority-cutoff: CA leaves it out of its
 * snapshot (FilterOutExpendablePods): it neither scales up nor holds room
 * on a node, and a node it alone is on is empty to CA. */
static bool expendable(const struct ca *k, const struct pod *p)
{
	return p->svc->cfg->priority < k->cfg->expendable_cutoff;
}

/*
 * Node i as CA's snapshot holds it: without its expendable pods, and with
 * the pods nominated to it by a preemption, which wait for their victims
 * there (FilterOutExpendableAndSplit: "waiting for lower priority
 * preemption"; they are added to the snapshot on their nominated node).
 * Nominations are bound here, so the copy lists none.
 */
static struct sched_node view(const struct ca *k, size_t i)
{
	const struct world *w = k->w;
	const struct wnode *n = w->wnodes[i];
	struct sched_node v = w->nodes[i];
	v.nom = NULL;
	v.n_nom = 0;
	for (uint32_t j = 0; w->prio_min < k->cfg->expendable_cutoff && j < n->n_hosted; j++)
		if (expendable(k, n->pods[j])) {
			struct sched_pod sp = pod_sched(n->pods[j]);
			sched_unbind(&v, &sp);
		}
	for (uint32_t j = 0; j < n->n_nominees; j++)
		if (!expendable(k, n->nominee_pods[j])) {
			struct sched_pod sp = pod_sched(n->nominee_pods[j]);
			sched_bind(&v, &sp);
		}
	return v;
}

static bool upcoming(const struct wnode *n)
{
	return ca_node(n) && (n->state == NODE_LAUNCHING || n->state == NODE_REGISTERED);
}

/* Largest CPU first, then memory, then the oldest; a total order. */
static int ffd_cmp(const void *a, const void *b)
{
	const struct cpod *x = a, *y = b;
	if (x->sp.cpu != y->sp.cpu)
		return x->sp.cpu > y->sp.cpu ? -1 : 1;
	if (x->sp.mem != y->sp.mem)
		return x->sp.mem > y->sp.mem ? -1 : 1;
	if (x->p->created != y->p->created)
		return x->p->created < y->p->created ? -1 : 1;
	if (x->p->svc->idx != y->p->svc->idx)
		return x->p->svc->idx < y->p->svc->idx ? -1 : 1;
	return x->p->num < y->p->num ? -1 : x->p->num > y->p->num;
}

/* By node, then largest first. */
static int node_cmp(const void *a, const void *b)
{
	const struct cpod *x = a, *y = b;
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	return ffd_cmp(a, b);
}

/* A decision of CA's: a "node" row named `who`, with the nodes in the
 * cluster and `desired`. */
static void ca_log(struct ca *k, const char *who, int desired, const char *event, const char *detail)
{
	struct world *w = k->w;
	if (!w->out.decision)
		return;
	struct row_decision r = {
		.t_s = sim_to_s(w->s->now),
		.service = "",
		.kind = "node",
		.pod = who,
		.event = event,
		.replicas = (int)w->n_nodes,
		.desired = desired,
		.raw = -1,
		.stabilized = -1,
		.limited = -1,
		.detail = detail,
	};
	w->out.decision(w->out.ctx, &r);
}

/* A decision about node group gi: named after it, desired its target size. */
static void group_log(struct ca *k, size_t gi, const char *event, const char *detail)
{
	ca_log(k, k->g[gi].cfg->name, k->g[gi].size, event, detail);
}

/* Each spanning group's template zone (mixed_nodeinfos_processor.go): a
 * template is built from a node of the group that has been Ready for over
 * a minute and is not being deleted (upstream: the first the node lister
 * returns; here: the first in the world's list), and kept when the group
 * has none; before it ever had one, from the ASG, in its first zone. */
static void template_zones(struct ca *k)
{
	const struct world *w = k->w;
	for (size_t gi = 0; gi < k->n_g; gi++)
		for (size_t i = 0; k->g[gi].cfg->meta.zone < 0 && i < w->n_nodes; i++) {
			const struct wnode *n = w->wnodes[i];
			if (ca_node(n) && n->pool == (int)gi && n->state == NODE_READY && n->zone >= 0 &&
			    (n->ready_at <= 0 || n->ready_at + STABILIZATION < w->s->now)) {
				k->g[gi].tmpl_zone = n->zone;
				break;
			}
		}
}

/* Target sizes: the nodes of each group that are not being deleted. */
static void count_sizes(struct ca *k)
{
	for (size_t i = 0; i < k->n_g; i++)
		k->g[i].size = 0;
	for (size_t i = 0; i < k->w->n_nodes; i++) {
		const struct wnode *n = k->w->wnodes[i];
		if (ca_node(n) && n->state != NODE_DRAINING)
			k->g[n->pool].size++;
	}
}

/* ---- placement ---- */

/* Refusals beside placement.h's filter reasons. */
enum { R_RESOURCES = 1u << 16 }; /* NodeResourcesFit: the template's room beside the DaemonSets */

static size_t add_once(int *v, size_t n, int g)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == g)
			return n;
	v[n] = g;
	return n + 1;
}

/* The groups whose pods a required anti-affinity term on key keeps apart
 * from group g's: those g's own terms select, and those whose terms select
 * g (InterPodAffinity checks both sides). Returns how many, in out. */
static size_t anti_list(const struct place *pl, size_t g, enum scn_topo key, int *out)
{
	const struct place_group *pg = &pl->groups[g];
	size_t n = 0;
	for (size_t i = 0; i < pg->n_terms; i++) {
		const struct place_term *t = &pg->terms[i];
		for (size_t j = 0; t->anti && !t->weight && t->key == key && j < t->n_sel; j++)
			n = add_once(out, n, t->sel[j]);
	}
	for (size_t r = 0; r < pg->n_repel; r++)
		if (pg->repel[r].key == key)
			n = add_once(out, n, pg->repel[r].group);
	return n;
}

/* Service s's pod group: its anti-affinity lists (a zone term matters
 * only where nodes have zones) and hard spread constraints, from the
 * world's placement state. */
static void init_pod_group(struct ca *k, size_t s)
{
	const struct place *pl = &k->w->place;
	const struct place_group *pg = &pl->groups[s];
	struct ca_group *cg = &k->cg[s];
	int *host = k->anti + 2 * s * k->n_svcs;
	cg->anti_host = host;
	cg->n_anti_host = anti_list(pl, s, SCN_TOPO_HOSTNAME, host);
	cg->anti_zone = host + k->n_svcs;
	cg->n_anti_zone = pl->n_zones ? anti_list(pl, s, SCN_TOPO_ZONE, host + k->n_svcs) : 0;
	struct ca_spread *cs = &k->cs[s * PLACE_MAX_TERMS];
	cg->spread = cs;
	for (size_t i = 0; i < pg->n_spread; i++) {
		const struct place_spread *c = &pg->spread[i];
		if (c->hard)
			cs[cg->n_spread++] = (struct ca_spread){c->key, c->max_skew, c->min_domains, c->self, c->sel,
								c->n_sel, 0, 0, 0};
	}
}

/* The services' pod groups (the scratch sized by the services). */
static void init_place(struct ca *k)
{
	size_t ns = k->w->n_svcs, nz = k->w->place.n_zones;
	k->n_svcs = ns;
	k->cg = xcalloc(ns + 1, sizeof *k->cg);
	k->cs = xcalloc(ns * PLACE_MAX_TERMS + 1, sizeof *k->cs);
	k->anti = xcalloc(2 * ns * ns + 1, sizeof *k->anti);
	k->zcnt = xcalloc(ns * PLACE_MAX_TERMS * (nz + 1) + 1, sizeof *k->zcnt);
	k->pending = xcalloc(ns + 1, sizeof *k->pending);
	for (size_t s = 0; s < ns; s++)
		init_pod_group(k, s);
}

/* Node group g's template fit for every service in every zone (one row
 * without zones): its labels are a new node's of the group in that zone,
 * without a hostname. */
static void init_template_fit(struct ca *k, struct group *g)
{
	const struct scenario *sc = k->w->sc;
	const struct scn_node_meta *m = &g->cfg->meta;
	size_t nz = k->w->place.n_zones, ns = k->n_svcs;
	struct place_label *labels = xcalloc(m->n_labels + PLACE_NODE_LABELS, sizeof *labels);
	char buf[PLACE_LABEL_BUF];
	g->fit = xcalloc((nz ? nz : 1) * ns + 1, sizeof *g->fit);
	for (size_t z = 0; z < (nz ? nz : 1); z++) {
		struct place_node_desc d = {NULL, nz ? sc->cluster.zones[z] : NULL, g->type, NULL, -1, m->labels, m->n_labels};
		size_t n = place_node_labels(&d, labels, buf);
		for (size_t s = 0; s < ns; s++)
			g->fit[z * ns + s] = place_node_fit(&sc->services[s].placement, labels, n, m->taints, m->n_taints);
	}
	free(labels);
}

static bool zone_spread(const struct ca_group *cg)
{
	for (size_t i = 0; i < cg->n_spread; i++)
		if (cg->spread[i].key == SCN_TOPO_ZONE)
			return true;
	return false;
}

/* Group g's template in zone z (PLACE_ZONE_NONE: none). */
static const struct sched_node *tmpl_of(const struct group *g, int z)
{
	return &g->tmpl[z < 0 ? 0 : z];
}

/* Why node group g's template in zone z (PLACE_ZONE_NONE: none) refuses
 * service s's pods, in kube-scheduler's filter order: PLACE_R_TAINT,
 * PLACE_R_AFFINITY, R_RESOURCES (only when sp, their requests, is given),
 * PLACE_R_SPREAD_LABEL (a hard zone constraint on a template without a
 * zone); 0 when it admits them. */
static unsigned tmpl_refuses(const struct ca *k, const struct group *g, int z, size_t s, const struct sched_pod *sp)
{
	const struct place_fit *f = &g->fit[(z < 0 ? 0 : (size_t)z) * k->n_svcs + s];
	if (f->taint >= 0)
		return PLACE_R_TAINT;
	if (!f->affinity)
		return PLACE_R_AFFINITY;
	if (sp && sched_filter(tmpl_of(g, z), sp))
		return R_RESOURCES;
	return z < 0 && zone_spread(&k->cg[s]) ? PLACE_R_SPREAD_LABEL : 0;
}

static bool has(const int *v, size_t n, size_t g)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == (int)g)
			return true;
	return false;
}

/* Service s's zone constraint c counts, in zc, the pods filter_schedulable
 * put on nodes (upstream's snapshot holds them, upcoming nodes included):
 * a node's zone whose policies include it becomes a domain. */
static void add_filtered(const struct ca *k, size_t s, const struct place_spread *c, int *zc)
{
	for (size_t e = 0; e < k->n_filtered; e++) {
		size_t b = k->touched[e] / k->n_svcs, g = k->touched[e] % k->n_svcs;
		const struct wnode *n = k->w->wnodes[k->bin_node[b]];
		if (n->zone < 0 || !has(c->sel, c->n_sel, g) || (c->honor_affinity && !n->fit[s].affinity) ||
		    (c->honor_taints && n->fit[s].taint >= 0))
			continue;
		zc[n->zone] = (zc[n->zone] < 0 ? 0 : zc[n->zone]) + 1;
	}
}

/* The cluster's side of the hard spread constraints of the services with
 * pods to estimate: PodTopologySpread's PreFilter over the world's nodes
 * (place_cycle_begin: the domains and counts of the counted nodes the
 * constraint includes), kept as hostname domains and minimum, and each
 * zone's count with the pods filter_schedulable put on nodes. */
static void spread_begin(struct ca *k)
{
	struct world *w = k->w;
	struct place *pl = &w->place;
	size_t nz = pl->n_zones;
	for (size_t s = 0; s < k->n_svcs; s++) {
		if (!k->pending[s] || !k->cg[s].n_spread)
			continue;
		place_cycle_begin(pl, (int)s, w->pnodes, w->n_nodes);
		const struct place_group *pg = &pl->groups[s];
		for (size_t i = 0, j = 0; i < pg->n_spread; i++) {
			if (!pg->spread[i].hard)
				continue;
			struct ca_spread *cs = &k->cs[s * PLACE_MAX_TERMS + j];
			int *zc = k->zcnt + (s * PLACE_MAX_TERMS + j++) * (nz + 1);
			cs->n_domains = pl->n_dom[i];
			cs->min = pl->min[i];
			if (cs->key != SCN_TOPO_ZONE)
				continue;
			for (size_t z = 0; z < nz; z++)
				zc[z] = pl->dom[i * (nz + 1) + z] ? pl->cnt[i * (nz + 1) + z] : -1;
			add_filtered(k, s, &pg->spread[i], zc);
		}
	}
}

/* Service s's zone constraints for new nodes in zone z: the count there,
 * the other zones' domains and least count; whether a pod an anti-affinity
 * keeps apart is in the zone already (bound, terminating too). */
static void zone_view(struct ca *k, size_t s, int z)
{
	const struct place *pl = &k->w->place;
	size_t nz = pl->n_zones;
	struct ca_group *cg = &k->cg[s];
	for (size_t j = 0; j < cg->n_spread; j++) {
		struct ca_spread *cs = &k->cs[s * PLACE_MAX_TERMS + j];
		const int *zc = k->zcnt + (s * PLACE_MAX_TERMS + j) * (nz + 1);
		if (cs->key != SCN_TOPO_ZONE)
			continue;
		cs->n_domains = cs->min = cs->in_zone = 0;
		for (size_t o = 0; o < nz; o++) {
			if (zc[o] < 0)
				continue;
			if ((int)o == z)
				cs->in_zone = zc[o];
			else
				cs->min = cs->n_domains++ ? HR_MIN(cs->min, zc[o]) : zc[o];
		}
	}
	cg->zone_held = false;
	for (size_t i = 0; z >= 0 && i < cg->n_anti_zone; i++)
		cg->zone_held |= pl->zone_bound[(size_t)z * k->n_svcs + (size_t)cg->anti_zone[i]] > 0;
}

/* Whether bin b (a copy of world node k->bin_node[b]) takes pod c in a
 * simulation: resources, the node's static fit (taints, node affinity),
 * and no pod there, bound or put by the simulation, that a hostname
 * anti-affinity keeps apart from it. */
static bool bin_takes(const struct ca *k, size_t b, const struct cpod *c)
{
	size_t i = k->bin_node[b], g = c->p->svc->idx;
	const struct place_fit *f = &k->w->wnodes[i]->fit[g];
	if (sched_filter(&k->bins[b], &c->sp) || f->taint >= 0 || !f->affinity)
		return false;
	const struct ca_group *cg = &k->cg[g];
	const int *bound = k->w->pnodes[i].bound, *put = k->sim_count + b * k->n_svcs;
	for (size_t j = 0; j < cg->n_anti_host; j++)
		if (bound[cg->anti_host[j]] + put[cg->anti_host[j]] > 0)
			return false;
	return true;
}

/* Puts pod c on the first of bins[0..nb) that takes it; false if none.
 * *n_touched counts the pods put, logged in touched (sim_clear zeroes
 * their sim_count entries and keeps the log). */
static bool sim_fit(struct ca *k, size_t nb, const struct cpod *c, size_t *n_touched)
{
	for (size_t b = 0; b < nb; b++) {
		if (!bin_takes(k, b, c))
			continue;
		size_t at = b * k->n_svcs + c->p->svc->idx;
		sched_bind(&k->bins[b], &c->sp);
		k->sim_count[at]++;
		k->touched[(*n_touched)++] = at;
		return true;
	}
	return false;
}

static void sim_clear(struct ca *k, size_t n_touched)
{
	for (size_t i = 0; i < n_touched; i++)
		k->sim_count[k->touched[i]] = 0;
}

/* ---- node lifecycle ---- */

static simtime draw(struct ca *k, const struct dist_sampler *d)
{
	double s = dist_draw(d, k->r_lat);
	return s > 0 ? (simtime)llround(s * 1e9) : 0;
}

static simtime node_ev(struct sim *s, void *obj, uint64_t arg)
{
	struct wnode *n = obj;
	struct world *w = n->w;
	struct ca *k = w->prov.self;
	n->ev = EVH_NONE;
	if (arg == EV_REGISTER) {
		node_set_state(w, n, NODE_REGISTERED, NULL);
		n->ev = sim_at(s, s->now + draw(k, &k->initialization), PRIO_CONTROL, node_ev, n, EV_READY);
	} else {
		node_set_state(w, n, NODE_READY, NULL);
	}
	return SIM_DONE;
}

/* ---- 1. scale-up requests ---- */

/* The group's scale-up timed out: its unregistered nodes go, it backs off
 * (utils/backoff/exponential_backoff.go). */
static void scale_up_failed(struct ca *k, size_t gi)
{
	struct world *w = k->w;
	struct group *g = &k->g[gi];
	simtime now = w->s->now, len = k->cfg->initial_backoff;
	if (g->backoff_len > 0)
		len = g->backoff_until < now ? HR_MIN(2 * g->backoff_len, k->cfg->max_backoff) : g->backoff_len;
	g->backoff_len = len;
	g->backoff_until = now + len;
	g->last_fail = now;
	int deleted = 0;
	/* Downwards: a removed node's slot takes the last node, already seen. */
	for (size_t i = w->n_nodes; i-- > 0;) {
		struct wnode *n = w->wnodes[i];
		if (!ca_node(n) || n->pool != (int)gi || n->state != NODE_LAUNCHING)
			continue;
		node_log(w, n, "registration-timeout", "cluster-autoscaler: not registered within max-node-provision-time");
		node_drain(w, n, "cluster-autoscaler: failed scale-up");
		deleted++;
	}
	count_sizes(k);
	char detail[256];
	snprintf(detail, sizeof detail,
		 "%s: scale-up of %d node(s) at %.0f s not Ready within max-node-provision-time %.0f s; "
		 "%d unregistered node(s) deleted; backed off %.0f s, until %.0f s",
		 g->cfg->name, g->req_nodes, sim_to_s(g->req_at), sim_to_s(k->cfg->max_node_provision_time), deleted,
		 sim_to_s(len), sim_to_s(g->backoff_until));
	group_log(k, gi, "backoff", detail);
	g->req_at = -1;
	g->req_nodes = 0;
}

static void update_requests(struct ca *k)
{
	struct world *w = k->w;
	simtime now = w->s->now;
	for (size_t gi = 0; gi < k->n_g; gi++) {
		struct group *g = &k->g[gi];
		if (g->backoff_len > 0 && g->last_fail + BACKOFF_RESET < now)
			g->backoff_len = 0; /* RemoveStaleBackoffData */
		if (g->req_at < 0)
			continue;
		int n_up = 0;
		for (size_t i = 0; i < w->n_nodes; i++)
			n_up += upcoming(w->wnodes[i]) && w->wnodes[i]->pool == (int)gi;
		if (!n_up) { /* done: RemoveBackoff */
			g->req_at = -1;
			g->req_nodes = 0;
			g->backoff_len = 0;
			g->backoff_until = 0;
		} else if (g->req_at + k->cfg->max_node_provision_time < now) {
			scale_up_failed(k, gi);
		}
	}
}

/* ---- 2. scale-up ---- */

/* The unschedulable pods, largest first. Returns how many. */
static size_t collect_unschedulable(struct ca *k)
{
	struct world *w = k->w;
	size_t n = 0;
	for (size_t i = 0; i < w->n_svcs; i++) {
		struct service *sv = &w->svcs[i];
		if (!sv->n_pending || (k->n_ctl > 1 && sv->cfg->kcluster != ctl(k)->cluster))
			continue;
		struct sched_pod sp = sched_pod_make(sv->cfg->cpu_request, sv->cfg->memory_request);
		for (uint32_t j = 0; j < sv->n_pods; j++) {
			struct pod *p = sv->pods[j];
			/* Not expendable pods, nor those waiting for their victims
			 * (FilterOutExpendableAndSplit). */
			if (p->slot_free || p->phase != POD_PENDING || p->bound || expendable(k, p) || p->nominated)
				continue;
			need_pods(k, n + 1);
			k->pods[n++] = (struct cpod){p, sp, 0};
		}
	}
	sort(k->pods, n, sizeof *k->pods, ffd_cmp);
	return n;
}

/* Drops the pods that fit on the room left on Ready nodes or on upcoming
 * nodes (as if Ready), where the node's taints and labels admit them and
 * no pod there repels them (bin_takes). Returns how many are left, in
 * order. */
static size_t filter_schedulable(struct ca *k, size_t n)
{
	struct world *w = k->w;
	size_t nb = 0, left = 0, touched = 0;
	need_bins(k, w->n_nodes);
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *wn = w->wnodes[i];
		if ((wn->state != NODE_READY && !upcoming(wn)) || !mine(k, wn))
			continue;
		k->bins[nb] = view(k, i);
		k->bin_node[nb] = (uint32_t)i;
		if (upcoming(wn))
			k->bins[nb].block = SCHED_OPEN;
		nb++;
	}
	for (size_t i = 0; i < n; i++)
		if (!sim_fit(k, nb, &k->pods[i], &touched))
			k->pods[left++] = k->pods[i];
	sim_clear(k, touched);
	k->n_filtered = touched;
	return left;
}

/* ---- the limits ---- */

/* Why a node group may not scale up in this loop (filterValidScaleUpNodeGroups),
 * in k->skip; with SKIP_QUOTA the resources exceeded, 1 << ca_resource,
 * shifted left by SKIP_RES. */
enum { SKIP_BACKOFF = 1u, SKIP_MAX = 2u, SKIP_QUOTA = 4u, SKIP_ZONE = 8u };
#define SKIP_RES 4

static const char *const res_names[] = {"cpu", "memory", "nodes"}; /* upstream's resource names */

/* Node n's resources as the limits count them (GetNodeCoresAndMemory:
 * status.capacity, whole cores; and 1 node): its instance type's vCPUs
 * and memory, or, a static node given by its allocatable, that rounded up
 * to whole cores (Quantity.Value). */
static void node_res(const struct ca *k, const struct wnode *n, int64_t *r)
{
	if (ca_node(n)) {
		memcpy(r, k->g[n->pool].res, sizeof k->g[n->pool].res);
		return;
	}
	const struct instance_type *t = n->type[0] ? catalog_find(&k->w->sc->cluster.catalog, n->type) : NULL;
	const struct sched_node *sn = &k->w->nodes[n->idx];
	r[CA_CORES] = t ? t->vcpu : (int64_t)ceil(sn->alloc_cpu - 1e-9);
	r[CA_MEMORY] = t ? llround(t->memory_mib * SCHED_MIB) : llround(sn->alloc_mem);
	r[CA_NODES] = 1;
}

/* The resources of every node in the cluster: the quota trackers count
 * the snapshot's nodes, upcoming and being-deleted ones included. */
static void cluster_usage(const struct ca *k, int64_t *u)
{
	memset(u, 0, CA_N_RESOURCES * sizeof *u);
	for (size_t i = 0; i < k->w->n_nodes; i++) {
		if (!mine(k, k->w->wnodes[i]))
			continue;
		int64_t r[CA_N_RESOURCES];
		node_res(k, k->w->wnodes[i], r);
		for (int j = 0; j < CA_N_RESOURCES; j++)
			u[j] += r[j];
	}
}

/* The Ready and schedulable nodes (ReadyNodeLister): CA's drains taint a
 * node, they do not cordon it. */
static int ready_nodes(const struct ca *k)
{
	int n = 0;
	for (size_t i = 0; i < k->w->n_nodes; i++)
		n += (k->w->wnodes[i]->state == NODE_READY || k->w->wnodes[i]->state == NODE_DRAINING) &&
		     mine(k, k->w->wnodes[i]);
	return n;
}

/* Appends to buf (size bytes, *len of them written) as printf would;
 * output past the end is dropped. */
static void addf(char *buf, size_t size, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void addf(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	size_t at = HR_MIN(*len, size - 1);
	va_start(ap, fmt);
	int n = vsnprintf(buf + at, size - at, fmt, ap);
	va_end(ap);
	*len = at + (n > 0 ? (size_t)n : 0);
}

/* "cpu, memory" for the resources in bits, into buf. */
static const char *res_list(unsigned bits, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = 0;
	for (int r = 0; r < CA_N_RESOURCES; r++)
		if (bits >> r & 1u)
			addf(buf, size, &n, "%s%s", n ? ", " : "", res_names[r]);
	return buf;
}

/* The flags behind the resources in bits, with the cluster's usage u:
 * "cores-total 0:8 (8 in the cluster; 2 a node)". */
static const char *limits_text(const struct ca *k, unsigned bits, const int64_t *u, const int64_t *node, char *buf,
			       size_t size)
{
	const struct scn_ca *c = k->cfg;
	size_t n = 0;
	buf[0] = 0;
	if (bits >> CA_CORES & 1u)
		addf(buf, size, &n, "cores-total %lld:%lld (%lld in the cluster, %lld a node)", (long long)c->cores_min,
		     (long long)c->cores_max, (long long)u[CA_CORES], (long long)node[CA_CORES]);
	if (bits >> CA_MEMORY & 1u)
		addf(buf, size, &n, "%smemory-total %lld:%lld (%.0f GiB in the cluster, %.3g a node)", n ? ", " : "",
		     (long long)(c->memory_min >> 30), (long long)(c->memory_max >> 30), (double)u[CA_MEMORY] / GIB,
		     (double)node[CA_MEMORY] / GIB);
	return buf;
}

/* A row "scale-up-limited" with this detail, when it is not the last one's. */
static void limited(struct ca *k, const char *why)
{
	if (!strcmp(why, ctl(k)->limited))
		return;
	snprintf(ctl(k)->limited, sizeof ctl(k)->limited, "%s", why);
	ca_log(k, "cluster-autoscaler", (int)k->w->n_nodes, "scale-up-limited", why);
}

/* The zone an ASG launches its next instance in: the group's own, or of
 * the zones it spans the one up with the fewest of its instances
 * (Availability Zone balancing: node_group_zone). */
static int asg_zone(const struct ca *k, size_t gi)
{
	return node_group_zone(k->w, &k->g[gi].cfg->meta, (int)gi, false);
}

/* filterValidScaleUpNodeGroups for group gi, against the max quota q:
 * k->ready[gi], else the reason in k->skip[gi]. */
static void check_group(struct ca *k, size_t gi, const struct ca_quota *q)
{
	const struct group *g = &k->g[gi];
	unsigned ex = 0, why = 0;
	if (!my_group(k, gi)) {
		k->skip[gi] = 0; /* another cluster's: not this installation's to scale */
		k->ready[gi] = false;
		return;
	}
	if (g->backoff_until > k->w->s->now)
		why = SKIP_BACKOFF;
	else if (g->size >= g->cfg->max)
		why = SKIP_MAX;
	else if (node_zone_down(k->w, asg_zone(k, gi)))
		why = SKIP_ZONE; /* every zone it may launch in is lost */
	else if (ca_quota_check(q, g->res, 1, &ex), ex)
		why = SKIP_QUOTA | ex << SKIP_RES;
	k->skip[gi] = why;
	k->ready[gi] = !why;
}

/* Group gi's template, in its zone, against each service with pods to
 * place (SchedulablePodGroups: CheckPredicates of a pod on the template
 * node in the snapshot): its taints, labels and zone, the pods' size, and
 * their zone constraints as the cluster stands, into k->admits; and
 * k->cg as that group's estimate reads it. */
static void admit_group(struct ca *k, size_t gi)
{
	const struct group *g = &k->g[gi];
	bool *a = k->admits + gi * k->n_svcs;
	for (size_t s = 0; s < k->n_svcs; s++) {
		a[s] = false;
		if (!k->pending[s])
			continue;
		const struct scn_service *sv = k->w->svcs[s].cfg;
		struct sched_pod sp = sched_pod_make(sv->cpu_request, sv->memory_request);
		k->cg[s].admitted = !tmpl_refuses(k, g, g->tmpl_zone, s, NULL);
		zone_view(k, s, g->tmpl_zone);
		a[s] = !tmpl_refuses(k, g, g->tmpl_zone, s, &sp) && zone_fits(&k->cg[s], NULL);
	}
}

/* Group gi's similar groups into k->sim (none without
 * --balance-similar-node-groups); returns how many. */
static size_t similar_of(struct ca *k, size_t gi)
{
	if (!k->cfg->balance_similar_node_groups)
		return 0;
	return ca_similar_groups(gi, k->n_g, k->similar, k->ready, k->admits, k->n_svcs, k->sim);
}

static struct ca_group_size size_of(const struct ca *k, size_t gi)
{
	const struct group *g = &k->g[gi];
	return (struct ca_group_size){(int)gi, g->size, g->size, g->cfg->max};
}

/* The estimator's node limit for group gi with its n_sim similar groups
 * in k->sim, the cluster having n_nodes nodes: the static threshold
 * (--max-nodes-per-scaleup), the similar groups' room and the cluster's
 * (--max-nodes-total), folded by ca_limit_min. */
static int node_limit(struct ca *k, size_t gi, size_t n_sim, int n_nodes)
{
	k->sizes[0] = size_of(k, gi);
	for (size_t i = 0; i < n_sim; i++)
		k->sizes[i + 1] = size_of(k, k->sim[i]);
	int l = ca_limit_min(k->cfg->max_nodes_per_scaleup, ca_groups_capacity(k->sizes, n_sim + 1));
	l = ca_limit_min(l, ca_cluster_capacity(k->cfg->max_nodes_total, n_nodes));
	assert(l != 0); /* max-nodes-per-scaleup is >= 1 */
	return l;
}

/* Group gi's option for the n pods left (their requests in k->sps,
 * their services in k->pgrp), the cluster having n_nodes nodes: false
 * when the estimator places none. Its new nodes are taken to be in its
 * template's zone. */
static bool option(struct ca *k, size_t gi, size_t n, int n_nodes, struct ca_option *o)
{
	const struct group *g = &k->g[gi];
	admit_group(k, gi);
	int cap = node_limit(k, gi, similar_of(k, gi), n_nodes);
	if (cap < 0)
		return false;
	need_bins(k, n);
	struct ca_constraints c = {k->pgrp, k->cg, k->n_svcs, k->est_count};
	struct ca_estimate e = ca_estimate(tmpl_of(g, g->tmpl_zone), k->sps, n, cap, k->bins, k->order, NULL, &c);
	*o = (struct ca_option){
		.group = (int)gi,
		.nodes = e.nodes,
		.pods = e.pods,
		.cpu_m = e.cpu_m,
		.mem = e.mem,
		.node_cpu_m = (int64_t)g->type->vcpu * 1000,
		.node_mem = llround(g->type->memory_mib * SCHED_MIB),
	};
	return e.nodes > 0 && e.pods > 0;
}

/* Group gi grows by `nodes` for option o (note: what limited or split it). */
static void launch(struct ca *k, const struct ca_option *o, size_t gi, int nodes, const char *note)
{
	struct world *w = k->w;
	struct group *g = &k->g[gi];
	const struct instance_type *t = g->type;
	char detail[640];
	int from = g->size;
	g->size += nodes;
	snprintf(detail, sizeof detail, "%s: +%d node(s) of %s (%d -> %d) for %d pod(s); expander %s (score %.4g)%s",
		 g->cfg->name, nodes, t->name, from, g->size, o->pods, expander_names[k->cfg->expander],
		 ca_expander_score(k->cfg->expander, o), note);
	group_log(k, gi, "scale-up", detail);
	for (int i = 0; i < nodes; i++) {
		struct node_spec spec = {asg_zone(k, gi), &g->cfg->meta, NULL, false};
		struct wnode *n = node_add(w, g->cfg->name, t->name, (int)gi,
					   (struct sched_alloc){t->alloc_cpu, t->alloc_mem, t->alloc_pods}, t->price_hour,
					   NODE_LAUNCHING, &spec);
		n->ev = sim_at(w->s, w->s->now + draw(k, &k->boot), PRIO_CONTROL, node_ev, n, EV_REGISTER);
	}
	/* RegisterScaleUp: a request already open grows and restarts its clock. */
	g->req_at = w->s->now;
	g->req_nodes += nodes;
	ctl(k)->last_up = w->s->now;
}

/* The scale-up's targets into k->sizes: o's group, then its similar
 * groups that the quota q leaves room for one node of (balanceScaleUps);
 * returns how many. */
static size_t targets(struct ca *k, size_t gi, const struct ca_quota *q)
{
	size_t n_sim = similar_of(k, gi), n = 0;
	k->sizes[n++] = size_of(k, gi);
	for (size_t i = 0; i < n_sim; i++) {
		unsigned ex;
		if (ca_quota_check(q, k->g[k->sim[i]].res, 1, &ex), !ex)
			k->sizes[n++] = size_of(k, k->sim[i]);
	}
	return n;
}

/* capScaleUpsByQuota: each balanced group's nodes within what the quota
 * has left, consumed in turn; the groups left with none dropped. Returns
 * how many groups still grow. */
static size_t cap_by_quota(struct ca *k, size_t m, struct ca_quota *q)
{
	size_t kept = 0;
	for (size_t i = 0; i < m; i++) {
		struct ca_group_size *z = &k->sizes[i];
		const int64_t *res = k->g[z->group].res;
		int allowed = ca_quota_check(q, res, z->new_size - z->current, NULL);
		z->new_size = z->current + allowed;
		if (allowed > 0) {
			ca_quota_consume(q, res, allowed, NULL);
			k->sizes[kept++] = *z;
		}
	}
	return kept;
}

/* Carries out option o (prepareScaleUp from the expander's choice on):
 * its nodes capped by --max-nodes-total over the cluster's n_nodes and by
 * the quota q (usage u), then split over its similar groups. Returns
 * whether a node was added. */
static bool scale(struct ca *k, const struct ca_option *o, int n_nodes, struct ca_quota *q, const int64_t *u)
{
	size_t gi = (size_t)o->group, len = 0;
	const struct group *g = &k->g[gi];
	char note[400], buf[160];
	note[0] = 0;
	int room = ca_cluster_capacity(k->cfg->max_nodes_total, n_nodes);
	if (room > 0 && o->nodes >= room)
		addf(note, sizeof note, &len, "; max-nodes-total %d reached (%d node(s) before)", k->cfg->max_nodes_total,
		     n_nodes);
	int want = ca_capped_new_nodes(o->nodes, n_nodes, k->cfg->max_nodes_total);
	if (want < 1)
		return false;
	unsigned ex;
	int new_nodes = ca_quota_check(q, g->res, want, &ex);
	if (new_nodes < want)
		addf(note, sizeof note, &len, "; capped from %d to %d node(s) by %s", want, new_nodes,
		     limits_text(k, ex, u, g->res, buf, sizeof buf));
	size_t n = targets(k, gi, q);
	if (n > 1) {
		addf(note, sizeof note, &len, "; balanced over");
		for (size_t i = 0; i < n; i++)
			addf(note, sizeof note, &len, "%s %s", i ? "," : "", k->g[k->sizes[i].group].cfg->name);
		addf(note, sizeof note, &len, " (%d node(s))", new_nodes);
	}
	size_t m = cap_by_quota(k, ca_balance(k->sizes, n, new_nodes), q);
	for (size_t i = 0; i < m; i++)
		launch(k, o, (size_t)k->sizes[i].group, k->sizes[i].new_size - k->sizes[i].current, note);
	return m > 0;
}

/* The reasons no node group's template (in its zone) admits pod c
 * (upstream's NotTriggerScaleUp event counts the node groups per
 * predicate failure), into why; false when one admits it. */
static bool refusals(const struct ca *k, const struct cpod *c, char *why, size_t size)
{
	size_t s = c->p->svc->idx;
	int taint = 0, aff = 0, res = 0, label = 0;
	const struct scn_taint *t = NULL;
	for (size_t gi = 0; gi < k->n_g; gi++) {
		const struct group *g = &k->g[gi];
		unsigned r = tmpl_refuses(k, g, g->tmpl_zone, s, &c->sp);
		if (!r)
			return false;
		if (r == PLACE_R_TAINT && !taint++)
			t = &g->cfg->meta.taints[g->fit[(size_t)HR_MAX(g->tmpl_zone, 0) * k->n_svcs + s].taint];
		aff += r == PLACE_R_AFFINITY;
		res += r == R_RESOURCES;
		label += r == PLACE_R_SPREAD_LABEL;
	}
	size_t n = 0;
	addf(why, size, &n, "Cluster Autoscaler: pod didn't trigger scale-up:");
	const char *sep = "";
	if (taint) {
		addf(why, size, &n, " %d node group(s) had untolerated taint {%s: %s}", taint, t->key, t->value);
		sep = ",";
	}
	if (aff) {
		addf(why, size, &n, "%s %d didn't match Pod's node affinity/selector", sep, aff);
		sep = ",";
	}
	if (res) {
		addf(why, size, &n, "%s %d can't hold %.3g cores and %.0f MiB beside the DaemonSets", sep, res, c->sp.cpu,
		     c->sp.mem / SCHED_MIB);
		sep = ",";
	}
	if (label)
		addf(why, size, &n, "%s %d have no zone for its topology spread constraint", sep, label);
	return true;
}

static void report_unprovisionable(struct ca *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct cpod *c = &k->pods[i];
		char why[256];
		if (c->p->prov_logged || !refusals(k, c, why, sizeof why))
			continue;
		pod_log(k->w, c->p, "unprovisionable", why);
		c->p->prov_logged = true;
	}
}

/* The estimator's input: the pods' requests and services, the services
 * with pods in it, and their spread constraints' counts. */
static void estimate_begin(struct ca *k, size_t n)
{
	memset(k->pending, 0, k->n_svcs * sizeof *k->pending);
	for (size_t i = 0; i < n; i++) {
		k->sps[i] = k->pods[i].sp;
		k->pgrp[i] = k->pods[i].p->svc->idx;
		k->pending[k->pgrp[i]] = true;
	}
	spread_begin(k);
}

/* No option: a row when a limit is why (the limits' share of upstream's
 * NotTriggerScaleUp: the node groups skipped, counted per reason, and
 * --max-nodes-total counting the upcoming nodes). */
static void no_option(struct ca *k, size_t n, int n_nodes, const int64_t *u)
{
	int per_res[1u << CA_N_RESOURCES] = {0}, max = 0, backoff = 0;
	unsigned all = 0;
	const int64_t *res = NULL; /* a node of the first group the quota skipped */
	for (size_t gi = 0; gi < k->n_g; gi++) {
		unsigned w = k->skip[gi];
		if (w & SKIP_QUOTA) {
			per_res[w >> SKIP_RES]++;
			all |= w >> SKIP_RES;
			res = res ? res : k->g[gi].res;
		}
		max += !!(w & SKIP_MAX);
		backoff += !!(w & SKIP_BACKOFF);
	}
	bool full = ca_cluster_capacity(k->cfg->max_nodes_total, n_nodes) < 0;
	if (!res && !full)
		return;
	char why[320], buf[160];
	size_t len = 0;
	const char *sep = "";
	addf(why, sizeof why, &len, "%zu pod(s) didn't trigger scale-up:", n);
	if (full) {
		addf(why, sizeof why, &len, " max-nodes-total %d reached (%d node(s), upcoming ones included)",
		     k->cfg->max_nodes_total, n_nodes);
		sep = ",";
	}
	for (unsigned r = 1; r < ARRAY_LEN(per_res); r++)
		if (per_res[r]) {
			addf(why, sizeof why, &len, "%s %d exceeded quota: \"cluster-wide\", resources: %s", sep, per_res[r],
			     res_list(r, buf, sizeof buf));
			sep = ",";
		}
	if (max) {
		addf(why, sizeof why, &len, "%s %d max node group size reached", sep, max);
		sep = ",";
	}
	if (backoff)
		addf(why, sizeof why, &len, "%s %d in backoff after failed scale-up", sep, backoff);
	if (res)
		addf(why, sizeof why, &len, " [%s]", limits_text(k, all, u, res, buf, sizeof buf));
	limited(k, why);
}

/* Returns whether it scaled up; *hold says to delete no node in this loop. */
static bool scale_up(struct ca *k, bool *hold)
{
	struct world *w = k->w;
	simtime now = w->s->now;
	size_t n = filter_schedulable(k, collect_unschedulable(k));
	int n_nodes = k->n_ctl == 1 ? (int)w->n_nodes : my_nodes(k);
	if (!n) {
		ctl(k)->limited[0] = 0;
		return false;
	}
	if (k->cfg->max_nodes_total > 0 && ready_nodes(k) >= k->cfg->max_nodes_total) {
		char why[160];
		snprintf(why, sizeof why, "%zu pod(s) didn't trigger scale-up: max total nodes in cluster reached "
					  "(max-nodes-total %d, %d Ready node(s))",
			 n, k->cfg->max_nodes_total, ready_nodes(k));
		limited(k, why);
		return false;
	}
	simtime oldest = SIM_FOREVER;
	for (size_t i = 0; i < n; i++)
		oldest = HR_MIN(oldest, k->pods[i].p->created);
	if (oldest + POD_TIME_BUFFER > now) {
		*hold = true; /* all pods very new: wait one loop for more */
		return false;
	}
	report_unprovisionable(k, n);
	estimate_begin(k, n);
	int64_t u[CA_N_RESOURCES];
	struct ca_quota q;
	cluster_usage(k, u);
	ca_quota_init(&q, k->max_limit, u, false);
	for (size_t gi = 0; gi < k->n_g; gi++)
		check_group(k, gi, &q);
	/* With balancing, every group's admits before the options: a group's
	 * similar groups must admit what it does (option redoes its own, for
	 * its estimate's view of the pod groups). */
	for (size_t gi = 0; k->cfg->balance_similar_node_groups && gi < k->n_g; gi++)
		if (k->ready[gi])
			admit_group(k, gi);
	size_t n_opt = 0;
	for (size_t gi = 0; gi < k->n_g; gi++)
		if (k->ready[gi])
			n_opt += option(k, gi, n, n_nodes, &k->opt[n_opt]);
	if (!n_opt) {
		no_option(k, n, n_nodes, u);
		return false;
	}
	if (!scale(k, &k->opt[ca_expand(k->cfg->expander, k->opt, n_opt, k->best, k->r_exp)], n_nodes, &q, u))
		return false;
	ctl(k)->limited[0] = 0;
	return true;
}

/* ---- 3. scale-down ---- */

/* The requests of the DaemonSet pods on node n, summed (the pods
 * bind_daemonsets binds there). */
static struct sched_pod node_ds(const struct world *w, const struct wnode *n)
{
	const struct scn_cluster *c = &w->sc->cluster;
	const struct scn_node_meta *m = n->meta;
	double cpu = 0, mem = 0;
	for (size_t i = 0; i < c->n_daemonsets; i++) {
		const struct scn_daemonset *d = &c->daemonsets[i];
		if (!(d->everywhere && d->cpu <= 0 && d->memory <= 0) &&
		    node_runs_daemonset(d, n->labels, n->n_labels, m ? m->taints : NULL, m ? m->n_taints : 0)) {
			cpu += d->cpu;
			mem += d->memory;
		}
	}
	return sched_pod_make(cpu, mem);
}

/* Scale-down eligibility of node n (eligibility.go), with
 * --ignore-daemonsets-utilization as configured. The model's candidates
 * are Ready nodes of its groups above their min, so only the utilization
 * decides; u gets it. */
static enum ca_unremovable eligibility(const struct ca *k, const struct wnode *n, struct ca_util *u)
{
	struct sched_node sn = view(k, n->idx);
	struct ca_node_view v = {
		.sn = &sn,
		.autoscaled = ca_node(n),
		.deleting = n->state == NODE_DRAINING,
		.ready = n->state == NODE_READY,
	};
	struct ca_scale_down sd = k->sd;
	if (sd.ignore_ds)
		sd.ds = node_ds(k->w, n);
	return ca_eligibility(&v, &sd, u);
}

/* The pods bound to each node that would have to move (not terminating),
 * grouped by node, largest first: node i's are pods[start[i] .. start[i+1]). */
static void collect_bound(struct ca *k)
{
	struct world *w = k->w;
	size_t n = 0;
	for (size_t i = 0; i < w->n_svcs; i++) {
		struct service *sv = &w->svcs[i];
		struct sched_pod sp = sched_pod_make(sv->cfg->cpu_request, sv->cfg->memory_request);
		for (uint32_t j = 0; j < sv->n_pods; j++) {
			struct pod *p = sv->pods[j];
			if (p->slot_free || !p->bound || p->node < 0 || p->phase > POD_RUNNING || expendable(k, p))
				continue;
			need_pods(k, n + 1);
			k->pods[n++] = (struct cpod){p, sp, (uint32_t)p->node};
		}
	}
	sort(k->pods, n, sizeof *k->pods, node_cmp);
	size_t j = 0;
	for (size_t i = 0; i <= w->n_nodes; i++) {
		k->start[i] = j;
		while (j < n && k->pods[j].node == i)
			j++;
	}
}

/* Whether node c's pods all fit on the other Ready nodes not found
 * unneeded, where those nodes' taints and labels admit them and no pod
 * there repels them (bin_takes). */
static bool pods_fit_elsewhere(struct ca *k, const struct wnode *c)
{
	struct world *w = k->w;
	size_t a = k->start[c->idx], b = k->start[c->idx + 1], nb = 0, touched = 0;
	if (a == b)
		return true;
	need_bins(k, w->n_nodes);
	for (size_t i = 0; i < w->n_nodes; i++)
		if (i != c->idx && !k->gone[i] && w->wnodes[i]->state == NODE_READY && w->nodes[i].block == SCHED_OPEN &&
		    mine(k, w->wnodes[i])) {
			k->bin_node[nb] = (uint32_t)i;
			k->bins[nb++] = view(k, i);
		}
	bool ok = true;
	for (size_t i = a; i < b && ok; i++)
		ok = sim_fit(k, nb, &k->pods[i], &touched);
	sim_clear(k, touched);
	return ok;
}

/* Previously unneeded first (longest first), then by number. */
static int cand_cmp(const void *a, const void *b)
{
	const struct wnode *x = *(const struct wnode *const *)a, *y = *(const struct wnode *const *)b;
	bool ux = x->unneeded_since >= 0, uy = y->unneeded_since >= 0;
	if (ux != uy)
		return ux ? -1 : 1;
	if (ux && x->unneeded_since != y->unneeded_since)
		return x->unneeded_since < y->unneeded_since ? -1 : 1;
	return x->num < y->num ? -1 : x->num > y->num;
}

/* Marks the unneeded nodes (k->gone) and keeps their since times. Returns
 * the number of candidates, left in k->cand. */
static size_t find_unneeded(struct ca *k)
{
	struct world *w = k->w;
	size_t nc = 0;
	need_nodes(k, w->n_nodes);
	collect_bound(k);
	for (size_t i = 0; i < w->n_nodes; i++) {
		struct wnode *n = w->wnodes[i];
		k->gone[i] = 0;
		if (!mine(k, n))
			continue; /* another installation's: its own loop keeps its unneeded times */
		if (ca_node(n) && n->state == NODE_READY && k->g[n->pool].size > k->g[n->pool].cfg->min)
			k->cand[nc++] = n;
		else
			n->unneeded_since = -1;
	}
	sort(k->cand, nc, sizeof *k->cand, cand_cmp);
	for (size_t i = 0; i < nc; i++) {
		struct wnode *n = k->cand[i];
		/* A node with a pod CA cannot move is not removable (drainability:
		 * safe-to-evict "false", or a PDB without the disruptions). */
		char why[EVICT_WHY_LEN] = "";
		struct ca_util u;
		bool low = eligibility(k, n, &u) == CA_REMOVABLE;
		if (low && evict_ca_blocked(w, n, why, sizeof why)) {
			n->unneeded_since = -1;
			if (strcmp(why, n->blocked)) {
				snprintf(n->blocked, sizeof n->blocked, "%s", why);
				node_log(w, n, "scale-down-skipped", why);
			}
			continue;
		}
		if (low && pods_fit_elsewhere(k, n)) {
			k->gone[n->idx] = 1; /* its `blocked` is delete_unneeded's now */
			if (n->unneeded_since < 0)
				n->unneeded_since = w->s->now;
		} else {
			n->unneeded_since = -1;
			n->blocked[0] = 0;
		}
	}
	return nc;
}

static bool in_cooldown(const struct ca *k)
{
	simtime now = k->w->s->now;
	return ctl(k)->last_up + k->cfg->scale_down_delay_after_add > now ||
	       ctl(k)->last_down_fail + k->cfg->scale_down_delay_after_failure > now;
}

/* Empty first, then the longest unneeded, then by number. */
static int del_cmp(const void *a, const void *b)
{
	const struct del *x = a, *y = b;
	if (x->empty != y->empty)
		return x->empty ? -1 : 1;
	if (x->n->unneeded_since != y->n->unneeded_since)
		return x->n->unneeded_since < y->n->unneeded_since ? -1 : 1;
	return x->n->num < y->n->num ? -1 : x->n->num > y->n->num;
}

/* Node c, unneeded long enough, stays: removing it would cross the
 * minimums of the resources in `ex` (MinimalResourceLimitExceeded). A
 * row when that is news. */
static void kept_by_min(struct ca *k, struct wnode *c, unsigned ex, const int64_t *u)
{
	char why[sizeof c->blocked], buf[160];
	int64_t r[CA_N_RESOURCES];
	node_res(k, c, r);
	snprintf(why, sizeof why, "cluster-autoscaler: would cross the minimum of %s",
		 limits_text(k, ex, u, r, buf, sizeof buf));
	if (strcmp(why, c->blocked)) {
		snprintf(c->blocked, sizeof c->blocked, "%s", why);
		node_log(k->w, c, "scale-down-skipped", why);
	}
}

/* NodesToDelete and the budgets (budgets.go CropNodes): the nodes unneeded
 * long enough, empty ones first, within the group minimums and the
 * minimums of --cores-total and --memory-total (a min quota over every
 * node of the cluster, each removal taking its capacity off), at most
 * max-scale-down-parallelism deletions and MAX_DRAIN_PARALLELISM drains of
 * non-empty nodes in progress. */
static void delete_unneeded(struct ca *k, size_t nc)
{
	struct world *w = k->w;
	simtime now = w->s->now;
	int busy = 0;
	for (size_t i = 0; i < w->n_nodes; i++)
		busy += ca_node(w->wnodes[i]) && w->wnodes[i]->state == NODE_DRAINING && mine(k, w->wnodes[i]);
	int budget = k->cfg->max_scale_down_parallelism - busy, drains = MAX_DRAIN_PARALLELISM - busy;
	size_t n = 0, m = 0;
	for (size_t i = 0; i < nc; i++) {
		struct wnode *c = k->cand[i];
		if (k->gone[c->idx] && c->unneeded_since + k->cfg->scale_down_unneeded_time < now)
			k->del[n++] = (struct del){c, k->start[c->idx] == k->start[c->idx + 1]};
		else if (k->gone[c->idx])
			c->blocked[0] = 0;
	}
	sort(k->del, n, sizeof *k->del, del_cmp);
	int64_t use[CA_N_RESOURCES];
	struct ca_quota q;
	cluster_usage(k, use);
	ca_quota_init(&q, k->min_limit, use, true);
	for (size_t i = 0; i < n && budget > 0; i++) {
		struct wnode *c = k->del[i].n;
		struct group *g = &k->g[c->pool];
		unsigned ex;
		if ((!k->del[i].empty && drains <= 0) || g->size <= g->cfg->min)
			continue;
		if (ca_quota_consume(&q, g->res, 1, &ex) < 1) {
			kept_by_min(k, c, ex, use);
			continue;
		}
		c->blocked[0] = 0;
		g->size--;
		budget--;
		drains -= !k->del[i].empty;
		k->del[m++] = k->del[i];
	}
	/* Drain only once all are chosen: evictions move nodes in the arrays. */
	for (size_t i = 0; i < m; i++) {
		struct wnode *c = k->del[i].n;
		struct ca_util u;
		char why[160];
		struct sched_pod ds = node_ds(w, c);
		struct sched_node sn = view(k, c->idx);
		ca_utilization(&sn, &ds, k->sd.ignore_ds, &u);
		snprintf(why, sizeof why, "cluster-autoscaler: unneeded since %.0f s (utilisation %.2f <= %.2f%s)",
			 sim_to_s(c->unneeded_since), u.util, k->sd.threshold, k->del[i].empty ? ", empty" : "");
		node_drain(w, c, why);
	}
}

/* ---- the loop ---- */

static simtime scan_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)arg;
	struct ca *k = obj;
	count_sizes(k);
	template_zones(k);
	update_requests(k);
	for (k->cur = 0; k->cur < k->n_ctl; k->cur++) { /* each cluster's installation, its own limits */
		bool hold = false;
		if (!scale_up(k, &hold) && k->cfg->scale_down_enabled) {
			size_t nc = find_unneeded(k);
			if (!hold && !in_cooldown(k))
				delete_unneeded(k, nc);
		}
	}
	k->cur = 0;
	return s->now >= s->end ? SIM_DONE : k->cfg->scan_interval;
}

static void unschedulable(struct world *w, void *self, struct pod *p)
{
	/* CA does not watch pods: its next scan finds them. */
	(void)w;
	(void)self;
	(void)p;
}

static void ca_free(void *self)
{
	struct ca *k = self;
	if (!k)
		return;
	gsl_rng_free(k->r_lat);
	gsl_rng_free(k->r_exp);
	free(k->ctl);
	for (size_t i = 0; i < k->n_g; i++) {
		free(k->g[i].fit);
		free(k->g[i].tmpl);
	}
	free(k->g);
	free(k->ready);
	free(k->skip);
	free(k->similar);
	free(k->admits);
	free(k->sim);
	free(k->sizes);
	free(k->opt);
	free(k->best);
	free(k->pods);
	free(k->sps);
	free(k->order);
	free(k->bins);
	free(k->cand);
	free(k->start);
	free(k->gone);
	free(k->del);
	free(k->cg);
	free(k->cs);
	free(k->anti);
	free(k->zcnt);
	free(k->pending);
	free(k->pgrp);
	free(k->touched);
	free(k->est_count);
	free(k->bin_node);
	free(k->sim_count);
	free(k);
}

/* Node group gi's configuration, zones, templates (one a zone: the
 * DaemonSets that select and tolerate its nodes there) and their fit. */
static void init_group(struct ca *k, size_t gi)
{
	const struct world *w = k->w;
	size_t nz = w->sc->cluster.n_zones;
	struct group *g = &k->g[gi];
	g->cfg = &k->cfg->groups[gi];
	g->type = &w->sc->cluster.catalog.types[g->cfg->type];
	g->req_at = -1;
	/* Until a node of it is Ready: its own zone, else its first. */
	uint32_t zones = g->cfg->meta.zone >= 0 ? 1u << g->cfg->meta.zone : g->cfg->meta.zones;
	g->tmpl_zone = PLACE_ZONE_NONE;
	for (size_t z = nz; z-- > 0;)
		g->tmpl_zone = zones >> z & 1u ? (int)z : g->tmpl_zone;
	assert(!nz || g->tmpl_zone >= 0);
	g->res[CA_CORES] = g->type->vcpu;
	g->res[CA_MEMORY] = llround(g->type->memory_mib * SCHED_MIB);
	g->res[CA_NODES] = 1;
	g->tmpl = xcalloc(nz ? nz : 1, sizeof *g->tmpl);
	for (size_t z = 0; z < (nz ? nz : 1); z++) {
		struct node_spec spec = {nz ? (int)z : PLACE_ZONE_NONE, &g->cfg->meta, NULL, false};
		sched_node_init(&g->tmpl[z], (struct sched_alloc){g->type->alloc_cpu, g->type->alloc_mem, g->type->alloc_pods});
		node_daemonsets(w, g->type->name, &spec, &g->tmpl[z]);
	}
	init_template_fit(k, g);
}

/* Group gi's template as ca_similar reads it, in its template zone;
 * labels has room for its labels and PLACE_NODE_LABELS, buf
 * PLACE_LABEL_BUF bytes. */
static struct ca_template template_view(const struct ca *k, size_t gi, struct place_label *labels, char *buf)
{
	const struct group *g = &k->g[gi];
	const struct scn_node_meta *m = &g->cfg->meta;
	const struct sched_node *t = tmpl_of(g, g->tmpl_zone);
	struct place_node_desc d = {NULL, g->tmpl_zone >= 0 ? k->w->sc->cluster.zones[g->tmpl_zone] : NULL, g->type, NULL, -1,
				    m->labels, m->n_labels};
	return (struct ca_template){
		.cap_cpu_m = (int64_t)g->type->vcpu * 1000,
		.cap_mem = g->res[CA_MEMORY],
		.cap_pods = g->type->max_pods,
		.alloc_cpu_m = llround(t->alloc_cpu * 1000),
		.alloc_mem = llround(t->alloc_mem),
		.alloc_pods = t->alloc_pods,
		.req_cpu_m = llround(t->req_cpu * 1000),
		.req_mem = llround(t->req_mem),
		.labels = labels,
		.n_labels = place_node_labels(&d, labels, buf),
	};
}

/* The scratch of a scale-up per group, and with
 * --balance-similar-node-groups which groups are similar: their
 * templates do not change, so once. */
static void init_balancing(struct ca *k)
{
	size_t ng = k->n_g ? k->n_g : 1;
	k->ready = xcalloc(ng, sizeof *k->ready);
	k->skip = xcalloc(ng, sizeof *k->skip);
	k->admits = xcalloc(ng * k->n_svcs + 1, sizeof *k->admits);
	k->sim = xcalloc(ng, sizeof *k->sim);
	k->sizes = xcalloc(ng, sizeof *k->sizes);
	k->similar = xcalloc(ng * ng, sizeof *k->similar);
	if (!k->cfg->balance_similar_node_groups)
		return;
	size_t most = 0;
	for (size_t i = 0; i < k->n_g; i++)
		most = HR_MAX(most, k->g[i].cfg->meta.n_labels);
	struct place_label *la = xcalloc(2 * (most + PLACE_NODE_LABELS), sizeof *la), *lb = la + most + PLACE_NODE_LABELS;
	char ba[PLACE_LABEL_BUF], bb[PLACE_LABEL_BUF];
	const struct scn_ca *c = k->cfg;
	for (size_t i = 0; i < k->n_g; i++)
		for (size_t j = i + 1; j < k->n_g; j++) {
			struct ca_template a = template_view(k, i, la, ba), b = template_view(k, j, lb, bb);
			bool sim = ca_similar(&a, &b, &CA_DEFAULT_RATIOS, (const char *const *)c->balancing_ignore_labels,
					      c->n_balancing_ignore_labels);
			k->similar[i * k->n_g + j] = k->similar[j * k->n_g + i] = sim;
		}
	free(la);
}

void ca_start(struct world *w)
{
	const struct scn_cluster *c = &w->sc->cluster;
	struct ca *k = xcalloc(1, sizeof *k);
	k->w = w;
	k->cfg = &c->ca;
	k->r_lat = rng_stream(w->s->seed, RNG_NODES, 1);
	k->r_exp = rng_stream(w->s->seed, RNG_NODES, 2);
	dist_prepare(&k->boot, &k->cfg->boot);
	dist_prepare(&k->initialization, &k->cfg->initialization);
	/* One installation per cluster; each starts with its last scale-up
	 * and failure an hour back. */
	k->n_ctl = w->sc->multi ? w->sc->multi->n_clusters : 1;
	k->ctl = xcalloc(k->n_ctl, sizeof *k->ctl);
	for (size_t i = 0; i < k->n_ctl; i++)
		k->ctl[i] = (struct ca_ctl){.cluster = w->sc->multi ? (int)i : -1,
					    .last_up = w->s->now - SIM_HOUR,
					    .last_down_fail = w->s->now - SIM_HOUR};
	k->n_g = k->cfg->n_groups;
	k->g = xcalloc(k->n_g ? k->n_g : 1, sizeof *k->g);
	init_place(k);
	k->opt = xcalloc(k->n_g ? k->n_g : 1, sizeof *k->opt);
	k->best = xcalloc(k->n_g ? k->n_g : 1, sizeof *k->best);
	/* --scale-down-unready-enabled is true upstream; the model's
	 * candidates are Ready nodes only (scale-down-unready-time is not
	 * modelled), which is what false gives. */
	k->sd = (struct ca_scale_down){
		.threshold = k->cfg->scale_down_utilization_threshold,
		.ignore_ds = k->cfg->ignore_daemonsets_utilization,
		.unready_enabled = false,
	};
	/* The flags' limits; nodes is no flag's (--max-nodes-total is checked
	 * on its own, as upstream does). */
	k->max_limit[CA_CORES] = k->cfg->cores_max;
	k->max_limit[CA_MEMORY] = k->cfg->memory_max;
	k->min_limit[CA_CORES] = k->cfg->cores_min;
	k->min_limit[CA_MEMORY] = k->cfg->memory_min;
	k->max_limit[CA_NODES] = k->min_limit[CA_NODES] = -1;
	/* No `initial` hook: the groups start at their configured sizes, and
	 * pods of t = 0 that do not fit wait for the first scan. */
	w->prov = (struct provisioner){.self = k, .pod_unschedulable = unschedulable, .free = ca_free};
	for (size_t i = 0; i < k->n_g; i++) {
		init_group(k, i);
		struct group *g = &k->g[i];
		for (int j = 0; j < g->cfg->initial; j++) {
			struct node_spec spec = {asg_zone(k, i), &g->cfg->meta, NULL, false};
			node_add(w, g->cfg->name, g->type->name, (int)i,
				 (struct sched_alloc){g->type->alloc_cpu, g->type->alloc_mem, g->type->alloc_pods},
				 g->type->price_hour, NODE_READY, &spec);
		}
	}
	init_balancing(k);
	sim_at(w->s, k->cfg->scan_interval, PRIO_CONTROL, scan_ev, k, 0);
}
