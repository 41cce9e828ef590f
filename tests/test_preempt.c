/*
 * kube-scheduler's preemption (sched_preempt, models/scheduler.h) on
 * states built by hand: cases ported from kubernetes/kubernetes
 * pkg/scheduler/framework/plugins/defaultpreemption/default_preemption_test.go,
 * each named as there (TestPostFilter, TestDryRunPreemption,
 * TestSelectBestCandidate; expected nodes, victims and messages as there),
 * and hand-computed ones for what those leave out (nominated pods, the
 * eligibility rules). The topology spread case is in test_placement.c.
 *
 * Upstream's resources: nodes of veryLargeRes (500m cpu, 500 bytes of
 * memory, 32 pods); pods small 100m/100, medium 200m/200, large 300m/300,
 * veryLarge 500m/500; priorities neg -100, low 0, mid 100, high 1000,
 * veryHigh 10000. A pod without a StartTime starts "now" upstream, all at
 * one time: here 0.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "rng.h"
#include "scheduler.h"

enum { NEG = -100, LOW = 0, MID = 100, HIGH = 1000, VHIGH = 10000 };
enum { SMALL = 1, MEDIUM = 2, LARGE = 3, VLARGE = 5, NOREQ = 0 };
enum { MAXN = 6, MAXP = 16 };

/* A pod of a case: its node (1-based, as upstream names them), priority,
 * size (hundreds of millicores and of bytes), start time, PDB. */
struct tp {
	const char *name;
	int node;
	int32_t prio;
	int size;
	int64_t start;
	int pdb; /* -1: none */
};

struct cluster {
	struct sched_node nd[MAXN];
	struct sched_bound pods[MAXP];
	const char *names[MAXP];
	uint32_t start[MAXN + 1];
	size_t n;
	uint32_t scratch[4 * MAXP], victims[MAXP];
	int32_t allowed[2], left[2];
	struct sched_preemption pre;
};

static struct sched_pod pod_of(int size, int32_t prio)
{
	struct sched_pod p = sched_pod_make(size * 0.1, size * 100.0);
	p.priority = prio;
	return p;
}

/* n nodes of allocatable a, the pods bound to them (any order; grouped
 * by node here), PDB budgets allowed[0..1]. */
static void build(struct cluster *c, size_t n, struct sched_alloc a, const struct tp *pods, size_t np,
		  const int32_t *allowed)
{
	memset(c, 0, sizeof *c);
	c->n = n;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		sched_node_init(&c->nd[i], a);
		c->start[i] = (uint32_t)k;
		for (size_t j = 0; j < np; j++) {
			if (pods[j].node != (int)i + 1)
				continue;
			c->pods[k] = (struct sched_bound){pod_of(pods[j].size, pods[j].prio), pods[j].start, -1, pods[j].pdb,
							  false, false};
			c->names[k++] = pods[j].name;
			sched_bind(&c->nd[i], &c->pods[k - 1].req);
		}
	}
	c->start[n] = (uint32_t)k;
	if (allowed)
		memcpy(c->allowed, allowed, sizeof c->allowed);
	c->pre = (struct sched_preemption){c->pods, c->start, c->allowed, 2, false, -1, NULL, c->scratch, c->left};
}

static const struct sched_alloc VERY_LARGE = {0.5, 500, 32};

/* Runs the preemption for p: the chosen node (1-based, 0: none), its
 * victims' names joined by spaces into names, the message after
 * "preemption:" into why. */
static int preempt(struct cluster *c, struct sched_pod p, gsl_rng *r, char *names, size_t size, char *why,
		   size_t why_len)
{
	struct sched_victims v = {c->victims, 0, 0};
	why[0] = '\0';
	int got = sched_preempt(c->nd, c->n, &p, NULL, &c->pre, r, &v, why, why_len);
	size_t at = 0;
	names[0] = '\0';
	for (size_t i = 0; got >= 0 && i < v.n && at < size; i++)
		at += (size_t)snprintf(names + at, size - at, "%s%s", i ? " " : "", c->names[v.idx[i]]);
	return got >= 0 ? got + 1 : 0;
}

/* ---- TestSelectBestCandidate ---- */

struct best_case {
	const char *name;
	size_t nodes;
	int32_t prio;
	int size;
	struct tp pods[MAXP];
	int want; /* 1-based */
};

Test(preempt, select_best_candidate)
{
	static const struct best_case cases[] = {
		{"node with min highest priority pod is picked", 3, HIGH, VLARGE,
		 {{"p1.1", 1, MID, MEDIUM, 0, -1}, {"p1.2", 1, MID, LARGE, 0, -1}, {"p2.1", 2, MID, MEDIUM, 0, -1},
		  {"p2.2", 2, LOW, MEDIUM, 0, -1}, {"p3.1", 3, LOW, MEDIUM, 0, -1}, {"p3.2", 3, LOW, MEDIUM, 0, -1}},
		 3},
		{"when highest priorities are the same, minimum sum of priorities is picked", 3, HIGH, VLARGE,
		 {{"p1.1", 1, MID, MEDIUM, 0, -1}, {"p1.2", 1, MID, LARGE, 0, -1}, {"p2.1", 2, MID, LARGE, 0, -1},
		  {"p2.2", 2, LOW, MEDIUM, 0, -1}, {"p3.1", 3, MID, MEDIUM, 0, -1}, {"p3.2", 3, MID, MEDIUM, 0, -1}},
		 2},
		{"when highest priority and sum are the same, minimum number of pods is picked", 3, HIGH, VLARGE,
		 {{"p1.1", 1, MID, SMALL, 0, -1}, {"p1.2", 1, NEG, SMALL, 0, -1}, {"p1.3", 1, MID, SMALL, 0, -1},
		  {"p1.4", 1, NEG, SMALL, 0, -1}, {"p2.1", 2, MID, LARGE, 0, -1}, {"p2.2", 2, NEG, MEDIUM, 0, -1},
		  {"p3.1", 3, MID, MEDIUM, 0, -1}, {"p3.2", 3, NEG, SMALL, 0, -1}, {"p3.3", 3, LOW, SMALL, 0, -1}},
		 2},
		{"sum of adjusted priorities is considered", 3, HIGH, VLARGE,
		 {{"p1.1", 1, MID, SMALL, 0, -1}, {"p1.2", 1, NEG, SMALL, 0, -1}, {"p1.3", 1, NEG, SMALL, 0, -1},
		  {"p2.1", 2, MID, LARGE, 0, -1}, {"p2.2", 2, NEG, MEDIUM, 0, -1}, {"p3.1", 3, MID, MEDIUM, 0, -1},
		  {"p3.2", 3, NEG, SMALL, 0, -1}, {"p3.3", 3, LOW, SMALL, 0, -1}},
		 2},
		{"non-overlapping lowest high priority, sum priorities, and number of pods", 4, VHIGH, VLARGE,
		 {{"p1.1", 1, MID, SMALL, 0, -1}, {"p1.2", 1, LOW, SMALL, 0, -1}, {"p1.3", 1, LOW, SMALL, 0, -1},
		  {"p2.1", 2, HIGH, LARGE, 0, -1}, {"p3.1", 3, MID, MEDIUM, 0, -1}, {"p3.2", 3, LOW, SMALL, 0, -1},
		  {"p3.3", 3, LOW, SMALL, 0, -1}, {"p3.4", 3, LOW, MEDIUM, 0, -1}, {"p4.1", 4, MID, MEDIUM, 0, -1},
		  {"p4.2", 4, MID, SMALL, 0, -1}, {"p4.3", 4, MID, SMALL, 0, -1}, {"p4.4", 4, NEG, SMALL, 0, -1}},
		 1},
		{"same priority, same number of victims, different start time for each node's pod", 3, HIGH, VLARGE,
		 {{"p1.1", 1, MID, MEDIUM, 2, -1}, {"p1.2", 1, MID, MEDIUM, 2, -1}, {"p2.1", 2, MID, MEDIUM, 3, -1},
		  {"p2.2", 2, MID, MEDIUM, 3, -1}, {"p3.1", 3, MID, MEDIUM, 1, -1}, {"p3.2", 3, MID, MEDIUM, 1, -1}},
		 2},
		{"same priority, same number of victims, different start time for all pods", 3, HIGH, VLARGE,
		 {{"p1.1", 1, MID, MEDIUM, 4, -1}, {"p1.2", 1, MID, MEDIUM, 2, -1}, {"p2.1", 2, MID, MEDIUM, 5, -1},
		  {"p2.2", 2, MID, MEDIUM, 1, -1}, {"p3.1", 3, MID, MEDIUM, 3, -1}, {"p3.2", 3, MID, MEDIUM, 6, -1}},
		 3},
		{"different priority, same number of victims, different start time for all pods", 3, HIGH, VLARGE,
		 {{"p1.1", 1, LOW, MEDIUM, 4, -1}, {"p1.2", 1, MID, MEDIUM, 2, -1}, {"p2.1", 2, MID, MEDIUM, 6, -1},
		  {"p2.2", 2, LOW, MEDIUM, 1, -1}, {"p3.1", 3, LOW, MEDIUM, 3, -1}, {"p3.2", 3, MID, MEDIUM, 5, -1}},
		 2},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct best_case *k = &cases[i];
		size_t np = 0;
		while (np < MAXP && k->pods[np].name)
			np++;
		struct cluster c;
		build(&c, k->nodes, VERY_LARGE, k->pods, np, NULL);
		char names[200], why[SCHED_WHY_LEN];
		int got = preempt(&c, pod_of(k->size, k->prio), NULL, names, sizeof names, why, sizeof why);
		cr_expect_eq(got, k->want, "\"%s\": node%d, Kubernetes node%d", k->name, got, k->want);
	}
}

/* "a pod that fits on both nodes when lower priority pods are preempted":
 * either node (upstream: any of the items is valid); the tie is a draw. */
Test(preempt, tie_is_a_draw)
{
	static const struct tp pods[] = {{"p1", 1, MID, LARGE, 0, -1}, {"p2", 2, MID, LARGE, 0, -1}};
	gsl_rng *r = rng_stream(1, RNG_CONTROL, 1);
	int seen[3] = {0};
	for (int t = 0; t < 200; t++) {
		struct cluster c;
		build(&c, 2, VERY_LARGE, pods, 2, NULL);
		char names[64], why[SCHED_WHY_LEN];
		int got = preempt(&c, pod_of(LARGE, HIGH), r, names, sizeof names, why, sizeof why);
		cr_assert(got == 1 || got == 2);
		cr_expect_str_eq(names, got == 1 ? "p1" : "p2");
		seen[got]++;
	}
	cr_expect(seen[1] > 70 && seen[2] > 70, "a fair draw: %d / %d", seen[1], seen[2]);
	gsl_rng_free(r);
}

/* ---- TestDryRunPreemption: the victims on the chosen node ---- */

Test(preempt, dry_run_victims)
{
	static const struct {
		const char *name;
		size_t nodes;
		int32_t prio;
		int size;
		struct tp pods[6];
		int32_t allowed;
		int want;            /* 1-based, 0: none */
		const char *victims; /* sorted by importance */
		int violations;
	} cases[] = {
		{"medium priority pod is preempted, but lower priority one stays as it is small", 2, HIGH, LARGE,
		 {{"p1.1", 1, LOW, SMALL, 0, -1}, {"p1.2", 1, MID, LARGE, 0, -1}, {"p2", 2, MID, LARGE, -1, -1}},
		 0, 1, "p1.2", 0},
		{"mixed priority pods are preempted", 2, HIGH, LARGE,
		 {{"p1.1", 1, MID, SMALL, 0, -1}, {"p1.2", 1, LOW, SMALL, 0, -1}, {"p1.3", 1, MID, MEDIUM, 0, -1},
		  {"p1.4", 1, HIGH, SMALL, 0, -1}, {"p2", 2, HIGH, LARGE, 0, -1}},
		 0, 1, "p1.3 p1.2", 0},
		{"mixed priority pods are preempted, pick later StartTime one when priorities are equal", 2, HIGH, LARGE,
		 {{"p1.1", 1, LOW, SMALL, 5, -1}, {"p1.2", 1, LOW, SMALL, 4, -1}, {"p1.3", 1, MID, MEDIUM, 3, -1},
		  {"p1.4", 1, HIGH, SMALL, 2, -1}, {"p2", 2, HIGH, LARGE, 1, -1}},
		 0, 1, "p1.3 p1.1", 0},
		{"preemption with violation of same pdb", 1, HIGH, VLARGE,
		 {{"p1.1", 1, MID, MEDIUM, 0, 0}, {"p1.2", 1, MID, MEDIUM, 0, 0}}, 1, 1, "p1.1 p1.2", 1},
		{"a pod that would fit on the nodes, but other pods running are higher priority, no preemption would "
		 "happen",
		 2, LOW, LARGE, {{"p1", 1, MID, LARGE, 0, -1}, {"p2", 2, MID, LARGE, 0, -1}}, 0, 0, "", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t np = 0;
		while (np < 6 && cases[i].pods[np].name)
			np++;
		struct cluster c;
		int32_t allowed[2] = {cases[i].allowed, 0};
		build(&c, cases[i].nodes, VERY_LARGE, cases[i].pods, np, allowed);
		char names[64], why[SCHED_WHY_LEN];
		struct sched_victims v = {c.victims, 0, 0};
		struct sched_pod p = pod_of(cases[i].size, cases[i].prio);
		int got = sched_preempt(c.nd, c.n, &p, NULL, &c.pre, NULL, &v, why, sizeof why) + 1;
		cr_expect_eq(got, cases[i].want, "\"%s\": node%d", cases[i].name, got);
		preempt(&c, p, NULL, names, sizeof names, why, sizeof why);
		cr_expect_str_eq(names, cases[i].victims, "\"%s\"", cases[i].name);
		cr_expect_eq(v.pdb_violations, cases[i].violations, "\"%s\"", cases[i].name);
	}
}

/* ---- TestPostFilter: the node, or the message ---- */

Test(preempt, post_filter)
{
	const struct sched_alloc one_pod = {0, 0, 1}, node_res = {0.2, 400, 32};
	const struct {
		const char *name;
		size_t nodes;
		struct sched_alloc alloc[4];
		bool unresolvable[4]; /* the node's filter status is UnschedulableAndUnresolvable (a block here) */
		int32_t prio;
		int size;
		struct tp pods[4];
		int32_t allowed[2];
		int want;
		const char *msg;
	} cases[] = {
		{"pod with higher priority can be made schedulable", 1, {one_pod}, {false}, HIGH, NOREQ,
		 {{"p1", 1, LOW, NOREQ, 0, -1}}, {0, 0}, 1, ""},
		{"pod with tied priority is still unschedulable", 1, {one_pod}, {false}, LOW, NOREQ,
		 {{"p1", 1, LOW, NOREQ, 0, -1}}, {0, 0}, 0,
		 " preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."},
		{"preemption should respect filteredNodesStatuses", 1, {one_pod}, {true}, HIGH, NOREQ,
		 {{"p1", 1, LOW, NOREQ, 0, -1}}, {0, 0}, 0,
		 " preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."},
		{"pod can be made schedulable on one node", 2, {one_pod, one_pod}, {false}, MID, NOREQ,
		 {{"p1", 1, HIGH, NOREQ, 0, -1}, {"p2", 2, LOW, NOREQ, 0, -1}}, {0, 0}, 2, ""},
		{"pod can be made schedulable on minHighestPriority node", 2, {one_pod, one_pod}, {false}, VHIGH, NOREQ,
		 {{"p1", 1, HIGH, NOREQ, 0, 1}, {"p2", 1, LOW, NOREQ, 0, 0}, {"p3", 2, MID, NOREQ, 0, 0}},
		 {0, INT32_MAX}, 2, ""},
		{"no candidate nodes found, no enough resource after removing low priority pods", 2, {node_res, node_res},
		 {false}, HIGH, LARGE, {{"p1", 1, LOW, NOREQ, 0, -1}, {"p2", 2, LOW, NOREQ, 0, -1}}, {0, 0}, 0,
		 " preemption: 0/2 nodes are available: 2 Insufficient cpu."},
		{"no candidate nodes found with mixed reasons, no lower priority pod and no enough CPU resource", 3,
		 {one_pod, node_res, one_pod}, {false}, HIGH, LARGE,
		 {{"p1", 1, HIGH, NOREQ, 0, -1}, {"p2", 2, LOW, NOREQ, 0, -1}, {"p3", 3, HIGH, NOREQ, 0, -1}}, {0, 0}, 0,
		 " preemption: 0/3 nodes are available: 1 Insufficient cpu, 2 No preemption victims found for incoming "
		 "pod."},
		{"no candidate nodes found with mixed reason, 2 UnschedulableAndUnresolvable nodes and 2 nodes don't "
		 "have enough CPU resource",
		 4, {node_res, node_res, node_res, node_res}, {false, false, true, true}, HIGH, LARGE,
		 {{"p1", 1, LOW, NOREQ, 0, -1}, {"p2", 2, LOW, NOREQ, 0, -1}}, {0, 0}, 0,
		 " preemption: 0/4 nodes are available: 2 Insufficient cpu, 2 Preemption is not helpful for "
		 "scheduling."},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t np = 0;
		while (np < 4 && cases[i].pods[np].name)
			np++;
		struct cluster c;
		build(&c, cases[i].nodes, cases[i].alloc[0], cases[i].pods, np, cases[i].allowed);
		for (size_t j = 0; j < cases[i].nodes; j++) {
			/* per-node allocatable, the pods bound as build bound them */
			c.nd[j].alloc_cpu = cases[i].alloc[j].cpu;
			c.nd[j].alloc_mem = cases[i].alloc[j].mem;
			c.nd[j].alloc_pods = cases[i].alloc[j].pods;
			if (cases[i].unresolvable[j])
				c.nd[j].block = SCHED_CORDONED;
		}
		char names[64], why[SCHED_WHY_LEN];
		int got = preempt(&c, pod_of(cases[i].size, cases[i].prio), NULL, names, sizeof names, why, sizeof why);
		cr_expect_eq(got, cases[i].want, "\"%s\": node%d", cases[i].name, got);
		cr_expect_str_eq(why, cases[i].msg, "\"%s\"", cases[i].name);
	}
}

/* ---- hand-computed ---- */

/* Placeholders at -20 on node1, a pod of priority 0 on node2: a pod of
 * priority 1000 that fits no node preempts the placeholders, lowest
 * priority first, and only as many as it needs (two of three 1-core
 * placeholders on a 4-core node half full). */
Test(preempt, lowest_priority_first_and_no_more_than_needed)
{
	static const struct tp pods[] = {
		{"payment-0", 1, 1000, 10, 0, -1},    /* 1 core */
		{"placeholder-0", 1, -20, 10, 0, -1}, /* 1 core each */
		{"placeholder-1", 1, -20, 10, 5, -1},
		{"placeholder-2", 1, -20, 10, 9, -1},
		{"batch-0", 2, 0, 30, 0, -1},         /* 3 cores */
		{"batch-1", 2, 0, 10, 0, -1},
	};
	struct cluster c;
	build(&c, 2, (struct sched_alloc){4, 4000, 32}, pods, 6, NULL);
	char names[80], why[SCHED_WHY_LEN];
	/* 2 cores: node1 has 0 free (1 + 3 x 1 = 4), node2 0 (3 + 1). Node1:
	 * without the placeholders 3 free (payment-0, of the same priority,
	 * stays); placeholder-0 (the earliest start: the most important) comes
	 * back (2 free), placeholder-1 would leave 1: victims placeholder-1
	 * and -2. Node2: without both 4 free; batch-0 back leaves 1: a victim;
	 * batch-1 back leaves 3: it stays. Node2's highest victim priority (0)
	 * is above node1's (-20): node1, though it loses two pods to one. */
	int got = preempt(&c, pod_of(20, 1000), NULL, names, sizeof names, why, sizeof why);
	cr_expect_eq(got, 1);
	cr_expect_str_eq(names, "placeholder-1 placeholder-2");
}

/* A nominated pod keeps its room against pods of no higher priority, not
 * against a higher one, and not against itself. */
Test(preempt, nominated_pods_reserve_their_room)
{
	struct sched_node nd;
	sched_node_init(&nd, (struct sched_alloc){2, 4e9, 10});
	struct sched_nominee nom = {1.5, 1e9, 1000, 42};
	nd.nom = &nom;
	nd.n_nom = 1;
	struct sched_pod lower = pod_of(10, 0), same = pod_of(10, 1000), higher = pod_of(10, 2000), self = same;
	self.uid = 42;
	cr_expect_eq(sched_filter(&nd, &lower), SCHED_R_CPU, "1 core: 2 - 1.5 left");
	cr_expect_eq(sched_filter(&nd, &same), SCHED_R_CPU, "equal priority: nominated first");
	cr_expect_eq(sched_filter(&nd, &higher), 0u, "a higher priority may take it");
	cr_expect_eq(sched_filter(&nd, &self), 0u, "the nominee itself");
}

/* PodEligibleToPreemptOthers: preemptionPolicy Never, and a pod whose
 * nominated node still has its victims terminating, do not preempt. */
Test(preempt, eligibility)
{
	static const struct tp pods[] = {{"v", 1, -20, 10, 0, -1}, {"w", 2, -20, 10, 5, -1}};
	struct cluster c;
	build(&c, 2, (struct sched_alloc){1, 4000, 32}, pods, 2, NULL);
	char names[64], why[SCHED_WHY_LEN];
	c.pre.never = true;
	cr_expect_eq(preempt(&c, pod_of(10, 0), NULL, names, sizeof names, why, sizeof why), 0);
	cr_expect_str_eq(why, " preemption: not eligible due to preemptionPolicy=Never.");
	struct sched_victims v = {c.victims, 0, 0};
	struct sched_pod p = pod_of(10, 0);
	cr_expect_eq(sched_preempt(c.nd, c.n, &p, NULL, &c.pre, NULL, &v, NULL, 0), SCHED_PREEMPT_INELIGIBLE);
	c.pre.never = false;
	c.pods[0].terminating = c.pods[0].by_preemption = true;
	c.pre.nominated = 0;
	cr_expect_eq(preempt(&c, pod_of(10, 0), NULL, names, sizeof names, why, sizeof why), 0);
	cr_expect_str_eq(why, " preemption: not eligible due to a terminating pod on the nominated node.");
	c.pre.nominated = 1; /* its nomination elsewhere: it may preempt (node2's w) */
	cr_expect_eq(preempt(&c, pod_of(10, 0), NULL, names, sizeof names, why, sizeof why), 2);
	cr_expect_str_eq(names, "w");
}
