/*
 * The scheduler's node choice against Kubernetes' own tables: the scoring
 * cases of least_allocated_test.go, most_allocated_test.go and
 * balanced_allocation_test.go (kubernetes/kubernetes,
 * pkg/scheduler/framework/plugins/noderesources/, names and expected scores
 * as there; the extended-resource, DRA and GPU cases are left out), the
 * NodeResourcesFit filter cases of fit_test.go, the "0/N nodes are
 * available" message, tie-breaking (determinism and a chi-square test of
 * uniformity), spreading against packing, and Karpenter's allocatable.
 *
 * In the Go tables a capacity "cpu": "4000" is 4000 cores and memory is in
 * bytes; only ratios matter, so the numbers are copied as they are.
 */
#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <string.h>

#include "rng.h"
#include "scheduler.h"

#define GIB (1024.0 * SCHED_MIB)

/* Pods as the Go tests build them (no priority, anonymous). */
#define REQ(c, m) ((struct sched_pod){.cpu = (c), .mem = (m), .nz_cpu = (c), .nz_mem = (m)}) /* every request set */
#define NONE ((struct sched_pod){.cpu = 0}) /* st.MakePod().Obj(): no containers */
#define CONTAINER ((struct sched_pod){.nz_cpu = SCHED_DEFAULT_CPU, .nz_mem = SCHED_DEFAULT_MEM}) /* one, no requests */

struct placed {
	int node; /* 0 or 1; the entry is unused when pod is all zero and node is -1 */
	struct sched_pod pod;
};

struct score_case {
	const char *name;
	struct sched_pod pod;      /* the incoming pod */
	double cpu[2], mem[2];     /* allocatable of node1, node2: cores, bytes */
	struct placed existing[4]; /* pods already bound */
	int n_existing;
	int64_t w_cpu, w_mem; /* 0: the defaults (1, 1) */
	int64_t want[2];      /* expected scores of node1, node2 */
};

static void build(const struct score_case *c, struct sched_node nd[2])
{
	for (int i = 0; i < 2; i++)
		sched_node_init(&nd[i], (struct sched_alloc){c->cpu[i], c->mem[i], 110});
	for (int k = 0; k < c->n_existing; k++)
		sched_bind(&nd[c->existing[k].node], &c->existing[k].pod);
}

enum scorer { FIT_LEAST, FIT_MOST, BALANCED };

static void run_table(const struct score_case *cases, size_t n, enum scorer which)
{
	for (size_t i = 0; i < n; i++) {
		const struct score_case *c = &cases[i];
		struct sched s;
		sched_init(&s, which == FIT_MOST ? SCHED_MOST_ALLOCATED : SCHED_LEAST_ALLOCATED);
		if (c->w_cpu)
			cr_assert_eq(sched_set_weights(&s, c->w_cpu, c->w_mem), 0);
		struct sched_node nd[2];
		build(c, nd);
		for (int k = 0; k < 2; k++) {
			int64_t got = which == BALANCED ? sched_score_balanced(&nd[k], &c->pod)
							: sched_score_fit(&s, &nd[k], &c->pod);
			cr_expect_eq(got, c->want[k], "\"%s\": node%d scored %lld, Kubernetes %lld", c->name, k + 1,
				     (long long)got, (long long)c->want[k]);
		}
	}
}

/* least_allocated_test.go, TestLeastAllocatedScoringStrategy */
Test(scheduler, least_allocated_table)
{
	static const struct score_case cases[] = {
		{"nothing scheduled, nothing requested", NONE, {4000, 4000}, {10000, 10000}, {{0}}, 0, 0, 0, {100, 100}},
		{"nothing scheduled, resources requested, differently sized nodes", REQ(3000, 5000), {4000, 6000},
		 {10000, 10000}, {{0}}, 0, 0, 0, {37, 50}},
		{"no resources requested, pods scheduled",
		 NONE,
		 {4000, 4000},
		 {10000, 10000},
		 {{0, NONE}, {0, NONE}, {1, NONE}, {1, NONE}},
		 4,
		 0,
		 0,
		 {100, 100}},
		{"no resources requested, pods scheduled with resources",
		 NONE,
		 {10000, 10000},
		 {20000, 20000},
		 {{0, REQ(3000, 0)}, {0, REQ(3000, 0)}, {1, REQ(3000, 0)}, {1, REQ(3000, 5000)}},
		 4,
		 0,
		 0,
		 {70, 57}},
		{"resources requested, pods scheduled with resources",
		 REQ(3000, 5000),
		 {10000, 10000},
		 {20000, 20000},
		 {{0, REQ(3000, 0)}, {1, REQ(3000, 5000)}},
		 2,
		 0,
		 0,
		 {57, 45}},
		{"resources requested, pods scheduled with resources, differently sized nodes",
		 REQ(3000, 5000),
		 {10000, 10000},
		 {20000, 50000},
		 {{0, REQ(3000, 0)}, {1, REQ(3000, 5000)}},
		 2,
		 0,
		 0,
		 {57, 60}},
		{"requested resources exceed node capacity",
		 REQ(3000, 0),
		 {4000, 4000},
		 {10000, 10000},
		 {{0, REQ(3000, 0)}, {1, REQ(3000, 5000)}},
		 2,
		 0,
		 0,
		 {50, 25}},
		{"zero node resources, pods scheduled with resources",
		 NONE,
		 {0, 0},
		 {0, 0},
		 {{0, REQ(3000, 0)}, {1, REQ(3000, 5000)}},
		 2,
		 0,
		 0,
		 {0, 0}},
		{"nothing scheduled, resources requested with different weight on CPU and memory, differently sized nodes",
		 REQ(3000, 5000), {4000, 6000}, {10000, 10000}, {{0}}, 0, 1, 2, {41, 50}},
	};
	run_table(cases, ARRAY_LEN(cases), FIT_LEAST);
}

/* most_allocated_test.go, TestMostAllocatedScoringStrategy */
Test(scheduler, most_allocated_table)
{
	static const struct score_case cases[] = {
		{"nothing scheduled, nothing requested", NONE, {4000, 4000}, {10000, 10000}, {{0}}, 0, 0, 0, {0, 0}},
		{"nothing scheduled, resources requested, differently sized nodes", REQ(3000, 5000), {4000, 6000},
		 {10000, 10000}, {{0}}, 0, 0, 0, {62, 50}},
		{"no resources requested, pods scheduled with resources",
		 NONE,
		 {10000, 10000},
		 {20000, 20000},
		 {{0, REQ(3000, 0)}, {0, REQ(3000, 0)}, {1, REQ(3000, 0)}, {1, REQ(3000, 5000)}},
		 4,
		 0,
		 0,
		 {30, 42}},
		{"resources requested, pods scheduled with resources",
		 REQ(3000, 5000),
		 {10000, 10000},
		 {20000, 20000},
		 {{0, REQ(3000, 0)}, {1, REQ(3000, 5000)}},
		 2,
		 0,
		 0,
		 {42, 55}},
		{"resources requested equal node capacity", REQ(5000, 9000), {5000, 10000}, {10000, 9000}, {{0}}, 0, 0, 0,
		 {95, 75}},
		{"nothing scheduled, resources requested, differently sized nodes (memory weight 2)", REQ(3000, 5000),
		 {4000, 6000}, {10000, 10000}, {{0}}, 0, 1, 2, {58, 50}},
		{"no resources requested, pods scheduled, nonzero request for resource",
		 CONTAINER,
		 {0.25, 0.25},
		 {1000 * SCHED_MIB, 1000 * SCHED_MIB},
		 {{0, CONTAINER}, {0, CONTAINER}},
		 2,
		 0,
		 0,
		 {80, 30}},
	};
	run_table(cases, ARRAY_LEN(cases), FIT_MOST);
}

/* balanced_allocation_test.go, TestNodeResourcesBalancedAllocation; makeNode
 * takes millicores, written here in cores. */
Test(scheduler, balanced_allocation_table)
{
	const struct sched_pod cpu_and_memory = REQ(3, 5000), cpu_only = REQ(3, 0);
	const struct score_case cases[] = {
		{"nothing scheduled, nothing requested, skip in PreScore", NONE, {4, 4}, {10000, 10000}, {{0}}, 0, 0, 0,
		 {0, 0}},
		{"nothing scheduled, resources requested, differently sized nodes", cpu_and_memory, {4, 6},
		 {10000, 10000}, {{0}}, 0, 0, 0, {87, 100}},
		{"resources requested, pods scheduled with resources",
		 cpu_and_memory,
		 {10, 10},
		 {20000, 20000},
		 {{0, cpu_only}, {1, cpu_and_memory}},
		 2,
		 0,
		 0,
		 {82, 95}},
		{"resources requested, pods scheduled with resources, differently sized nodes",
		 cpu_and_memory,
		 {10, 10},
		 {20000, 50000},
		 {{0, cpu_only}, {1, cpu_and_memory}},
		 2,
		 0,
		 0,
		 {82, 80}},
		{"requested resources at node capacity",
		 cpu_only,
		 {6, 6},
		 {10000, 10000},
		 {{0, cpu_only}, {1, cpu_and_memory}},
		 2,
		 0,
		 0,
		 {50, 75}},
		{"node without the scalar resource should skip the scalar resource", cpu_and_memory, {3.5, 3.5},
		 {40000, 40000}, {{0}}, 0, 0, 0, {63, 63}},
		{"resources requested, pods scheduled with resources if PreScore not called",
		 cpu_and_memory,
		 {10, 10},
		 {20000, 20000},
		 {{0, cpu_only}, {1, cpu_and_memory}},
		 2,
		 0,
		 0,
		 {82, 95}},
	};
	run_table(cases, ARRAY_LEN(cases), BALANCED);
}

/* The weight cases of both scoring tables: ValidateNodeResourcesFitArgs. */
Test(scheduler, resource_weights_validated)
{
	struct sched s;
	sched_init(&s, SCHED_LEAST_ALLOCATED);
	cr_expect_eq(sched_set_weights(&s, 1, -1), -1, "resource with negative weight");
	cr_expect_eq(sched_set_weights(&s, 0, 1), -1, "resource with zero weight");
	cr_expect_eq(sched_set_weights(&s, 101, 1), -1, "resource weight larger than MaxNodeScore");
	cr_expect_eq(sched_set_weights(&s, 1, 101), -1, "resource weight larger than MaxNodeScore (memory)");
	cr_expect(s.w_cpu == 1 && s.w_mem == 1, "a rejected setting leaves the weights alone");
	cr_expect_eq(sched_set_weights(&s, 1, 2), 0);
	cr_expect(s.w_cpu == 1 && s.w_mem == 2);
}

/* The total is the weighted sum of both plugins (no NormalizeScore). */
Test(scheduler, total_is_weighted_sum)
{
	struct sched s;
	sched_init(&s, SCHED_LEAST_ALLOCATED);
	struct sched_node nd;
	sched_node_init(&nd, (struct sched_alloc){4000, 10000, 110});
	struct sched_pod p = REQ(3000, 5000);
	cr_expect_eq(sched_score(&s, &nd, &p), 37 + 87);
	s.w_fit = 3;
	s.w_balanced = 2;
	cr_expect_eq(sched_score(&s, &nd, &p), 3 * 37 + 2 * 87);
}

/* fit_test.go, TestEnoughRequests (the cpu and memory cases): allocatable
 * 10m cpu, 20 bytes memory, 32 pods; one pod already bound. */
Test(scheduler, fit_enough_requests)
{
	static const struct {
		const char *name;
		struct sched_pod pod;
		double used_milli, used_mem;
		unsigned want;
	} cases[] = {
		{"no resources requested always fits", NONE, 10, 20, 0},
		{"too many resources fails", REQ(0.001, 1), 10, 20, SCHED_R_CPU | SCHED_R_MEM},
		{"both resources fit", REQ(0.001, 1), 5, 5, 0},
		{"one resource memory fits", REQ(0.002, 1), 9, 5, SCHED_R_CPU},
		{"one resource cpu fits", REQ(0.001, 2), 5, 19, SCHED_R_MEM},
		{"equal edge case", REQ(0.005, 1), 5, 19, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct sched_node nd;
		sched_node_init(&nd, (struct sched_alloc){0.010, 20, 32});
		struct sched_pod used = REQ(cases[i].used_milli / 1e3, cases[i].used_mem);
		sched_bind(&nd, &used);
		cr_expect_eq(sched_filter(&nd, &cases[i].pod), cases[i].want, "\"%s\"", cases[i].name);
	}
}

/* fit_test.go, TestNotEnoughRequests: "even without specified resources,
 * predicate fails when there's no space for additional pod" (1 pod allowed). */
Test(scheduler, fit_too_many_pods)
{
	struct sched_node nd;
	sched_node_init(&nd, (struct sched_alloc){0.010, 20, 1});
	struct sched_pod used = REQ(0.010, 20), p = NONE;
	sched_bind(&nd, &used);
	cr_expect_eq(sched_filter(&nd, &p), SCHED_R_PODS);
	p = REQ(0.001, 1);
	cr_expect_eq(sched_filter(&nd, &p), SCHED_R_PODS | SCHED_R_CPU | SCHED_R_MEM);
	sched_unbind(&nd, &used);
	cr_expect_eq(sched_filter(&nd, &p), 0u);
	cr_expect(nd.req_cpu == 0 && nd.nz_mem == 0 && nd.n_pods == 0);
}

/* A blocked node reports only why it is blocked, whatever it holds. */
Test(scheduler, blocked_nodes)
{
	struct sched_node nd;
	sched_node_init(&nd, (struct sched_alloc){1, GIB, 1});
	struct sched_pod big = sched_pod_make(8, 8 * GIB);
	nd.block = SCHED_CORDONED;
	cr_expect_eq(sched_filter(&nd, &big), SCHED_R_CORDONED);
	nd.block = SCHED_NOT_READY;
	cr_expect_eq(sched_filter(&nd, &big), SCHED_R_NOT_READY);
	nd.block = SCHED_DISRUPTING;
	cr_expect_eq(sched_filter(&nd, &big), SCHED_R_DISRUPTING);
}

/* Unset requests score as 100m / 200 MiB but filter as zero. */
Test(scheduler, pod_make_defaults)
{
	struct sched_pod p = sched_pod_make(0, 0);
	cr_expect(p.cpu == 0 && p.mem == 0);
	cr_expect(p.nz_cpu == SCHED_DEFAULT_CPU && p.nz_mem == SCHED_DEFAULT_MEM);
	p = sched_pod_make(0.25, 0);
	cr_expect(p.nz_cpu == 0.25 && p.nz_mem == 200 * SCHED_MIB);
}

static gsl_rng *stream(uint64_t seed) { return rng_stream(seed, RNG_CONTROL, 7); }

static void nodes_like(struct sched_node *nd, size_t n, double cpu, double mem, int pods)
{
	for (size_t i = 0; i < n; i++)
		sched_node_init(&nd[i], (struct sched_alloc){cpu, mem, pods});
}

Test(scheduler, message_insufficient_cpu)
{
	struct sched s;
	sched_init(&s, SCHED_LEAST_ALLOCATED);
	struct sched_node nd[3];
	nodes_like(nd, 3, 2, 8 * GIB, 110);
	struct sched_pod p = sched_pod_make(4, GIB);
	char why[SCHED_WHY_LEN];
	cr_assert_eq(sched_pick(&s, nd, 3, &p, NULL, why, sizeof why), -1);
	cr_expect_str_eq(why, "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
			      "3 No preemption victims found for incoming pod.");
	s.preemption_msg = false;
	cr_assert_eq(sched_pick(&s, nd, 3, &p, NULL, why, sizeof why), -1);
	cr_expect_str_eq(why, "0/3 nodes are available: 3 Insufficient cpu.");
}

/* Every reason, counted per node (a node may give two), sorted as strings:
 * "10 ..." before "2 ...". */
Test(scheduler, message_sorted_histogram)
{
	struct sched s;
	sched_init(&s, SCHED_LEAST_ALLOCATED);
	enum { N = 16 };
	struct sched_node nd[N];
	nodes_like(nd, N, 4, 4 * GIB, 2);
	struct sched_pod p = sched_pod_make(1, 2 * GIB), hog = sched_pod_make(0.5, 3 * GIB);
	for (int i = 0; i < 10; i++) /* 10: memory */
		sched_bind(&nd[i], &hog);
	for (int i = 10; i < 12; i++) { /* 2: pods and memory */
		sched_bind(&nd[i], &hog);
		sched_bind(&nd[i], &hog);
	}
	nd[12].block = SCHED_CORDONED;
	nd[13].block = SCHED_NOT_READY;
	nd[14].block = SCHED_DISRUPTING;
	nd[15].block = SCHED_CORDONED;
	char why[SCHED_WHY_LEN];
	cr_assert_eq(sched_pick(&s, nd, N, &p, NULL, why, sizeof why), -1);
	cr_expect_str_eq(why, "0/16 nodes are available: 1 node(s) had untolerated taint {karpenter.sh/disruption: "
			      "disrupting}, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, "
			      "12 Insufficient memory, 2 Too many pods, 2 node(s) were unschedulable. "
			      "preemption: 0/16 nodes are available: 12 No preemption victims found for incoming pod, "
			      "4 Preemption is not helpful for scheduling.");
}

Test(scheduler, message_no_nodes_and_truncation)
{
	struct sched s;
	sched_init(&s, SCHED_LEAST_ALLOCATED);
	struct sched_pod p = sched_pod_make(1, GIB);
	char why[SCHED_WHY_LEN];
	cr_assert_eq(sched_pick(&s, NULL, 0, &p, NULL, why, sizeof why), -1);
	cr_expect_str_eq(why, "no nodes available to schedule pods");
	struct sched_node nd[3];
	nodes_like(nd, 3, 0.5, GIB, 110);
	char small[20];
	memset(small, 'x', sizeof small);
	cr_assert_eq(sched_pick(&s, nd, 3, &p, NULL, small, sizeof small), -1);
	cr_expect_str_eq(small, "0/3 nodes are avail");
	cr_expect_eq(sched_pick(&s, nd, 3, &p, NULL, NULL, 0), -1, "why may be NULL");
}

/* A unique best needs no draw (r may be NULL); a feasible node beats a
 * better-scoring infeasible one. */
Test(scheduler, unique_best_wins)
{
	struct sched s;
	sched_init(&s, SCHED_LEAST_ALLOCATED);
	struct sched_node nd[3];
	nodes_like(nd, 3, 4, 16 * GIB, 110);
	struct sched_pod p = sched_pod_make(1, GIB), used = sched_pod_make(1, GIB);
	sched_bind(&nd[0], &used);
	sched_bind(&nd[2], &used);
	cr_expect_eq(sched_pick(&s, nd, 3, &p, NULL, NULL, 0), 1);
	nd[1].block = SCHED_CORDONED;
	sched_bind(&nd[2], &used);
	cr_expect_eq(sched_pick(&s, nd, 3, &p, NULL, NULL, 0), 0);
}

/* Equal nodes: the same stream gives the same choices. */
Test(scheduler, ties_deterministic)
{
	struct sched s1, s2;
	sched_init(&s1, SCHED_LEAST_ALLOCATED);
	sched_init(&s2, SCHED_LEAST_ALLOCATED);
	struct sched_node nd[7];
	nodes_like(nd, 7, 4, 16 * GIB, 110);
	struct sched_pod p = sched_pod_make(0.5, GIB);
	gsl_rng *a = stream(42), *b = stream(42), *c = stream(43);
	int differ = 0;
	for (int i = 0; i < 200; i++) {
		int x = sched_pick(&s1, nd, 7, &p, a, NULL, 0);
		int y = sched_pick(&s2, nd, 7, &p, b, NULL, 0);
		int z = sched_pick(&s1, nd, 7, &p, c, NULL, 0);
		cr_assert_eq(x, y, "draw %d", i);
		cr_assert(x >= 0 && x < 7 && z >= 0 && z < 7);
		differ += x != z;
	}
	cr_expect_gt(differ, 100, "another seed, other choices (%d of 200 differ)", differ);
	gsl_rng_free(a);
	gsl_rng_free(b);
	gsl_rng_free(c);
}

/*
 * Uniformity of selectHost's reservoir sampling: 5 equal nodes, 100000
 * cycles without binding. Pearson's statistic against equal counts must stay
 * under the chi-square quantile with 4 degrees of freedom at level 0.001
 * (18.47), fixed seed. Some cycles start elsewhere (next_start moves), which
 * must not bias the choice either.
 */
Test(scheduler, ties_uniform_chi_square)
{
	enum { K = 5, DRAWS = 100000 };
	struct sched s;
	sched_init(&s, SCHED_MOST_ALLOCATED);
	struct sched_node nd[K];
	nodes_like(nd, K, 2, 8 * GIB, 110);
	struct sched_pod p = sched_pod_make(0.25, 0);
	gsl_rng *r = stream(2024);
	long count[K] = {0};
	for (int i = 0; i < DRAWS; i++) {
		s.next_start = (size_t)(i % K);
		int x = sched_pick(&s, nd, K, &p, r, NULL, 0);
		cr_assert(x >= 0 && x < K);
		count[x]++;
	}
	double e = (double)DRAWS / K, chi2 = 0;
	for (int k = 0; k < K; k++)
		chi2 += ((double)count[k] - e) * ((double)count[k] - e) / e;
	double crit = gsl_cdf_chisq_Qinv(0.001, K - 1);
	cr_expect_lt(chi2, crit, "chi2 = %.2f >= %.2f: counts %ld %ld %ld %ld %ld", chi2, crit, count[0], count[1],
		     count[2], count[3], count[4]);
	gsl_rng_free(r);
}

/* Places pods one by one (binding each) and records the node chosen. */
static void place(struct sched *s, struct sched_node *nd, size_t n, const struct sched_pod *p, int *got, int k,
		  gsl_rng *r)
{
	for (int i = 0; i < k; i++) {
		got[i] = sched_pick(s, nd, n, p, r, NULL, 0);
		if (got[i] >= 0)
			sched_bind(&nd[got[i]], p);
	}
}

/*
 * node0: 2 cores, 4 GiB; node1: 2 cores, 16 GiB; pods of 0.5 core, 1 GiB.
 * LeastAllocated, first pod: node0 fit (75 + 75) / 2 = 75, balanced 100,
 * total 175; node1 fit (75 + 93) / 2 = 84, balanced (1 - |.25 - .0625| / 2)
 * * 100 = 90, total 174: node0. Second: node0 50 + 100 = 150 < 174: node1.
 * Third: node0 150 > node1 fit (50 + 87) / 2 = 68, balanced 81, 149: node0.
 * And so on: 0 1 0 1 0 1 0 1, and the ninth fits nowhere.
 * MostAllocated: node0 25 + 100 = 125 against node1 15 + 90 = 105; then
 * node0 climbs 150, 175, 200 until it is full, and the rest go to node1.
 */
Test(scheduler, least_spreads_most_packs)
{
	struct sched s;
	struct sched_node nd[2];
	struct sched_pod p = sched_pod_make(0.5, GIB);
	int got[9];
	static const int least[9] = {0, 1, 0, 1, 0, 1, 0, 1, -1};
	static const int most[9] = {0, 0, 0, 0, 1, 1, 1, 1, -1};

	sched_init(&s, SCHED_LEAST_ALLOCATED);
	sched_node_init(&nd[0], (struct sched_alloc){2, 4 * GIB, 110});
	sched_node_init(&nd[1], (struct sched_alloc){2, 16 * GIB, 110});
	cr_expect_eq(sched_score(&s, &nd[0], &p), 175);
	cr_expect_eq(sched_score(&s, &nd[1], &p), 174);
	place(&s, nd, 2, &p, got, 9, NULL);
	for (int i = 0; i < 9; i++)
		cr_expect_eq(got[i], least[i], "LeastAllocated pod %d went to %d, expected %d", i, got[i], least[i]);
	char why[SCHED_WHY_LEN];
	cr_expect_eq(sched_pick(&s, nd, 2, &p, NULL, why, sizeof why), -1);
	cr_expect_str_eq(why, "0/2 nodes are available: 1 Insufficient memory, 2 Insufficient cpu. preemption: 0/2 "
			      "nodes are available: 2 No preemption victims found for incoming pod.");

	sched_init(&s, SCHED_MOST_ALLOCATED);
	sched_node_init(&nd[0], (struct sched_alloc){2, 4 * GIB, 110});
	sched_node_init(&nd[1], (struct sched_alloc){2, 16 * GIB, 110});
	cr_expect_eq(sched_score(&s, &nd[0], &p), 125);
	cr_expect_eq(sched_score(&s, &nd[1], &p), 105);
	place(&s, nd, 2, &p, got, 9, NULL);
	for (int i = 0; i < 9; i++)
		cr_expect_eq(got[i], most[i], "MostAllocated pod %d went to %d, expected %d", i, got[i], most[i]);
}

/* Three equal nodes: whatever the ties decide, LeastAllocated keeps the
 * counts level and MostAllocated fills one node before the next. */
Test(scheduler, equal_nodes_spread_and_pack)
{
	struct sched s;
	struct sched_node nd[3];
	struct sched_pod p = sched_pod_make(1, 2 * GIB);
	gsl_rng *r = stream(7);
	int got[12];

	sched_init(&s, SCHED_LEAST_ALLOCATED);
	nodes_like(nd, 3, 4, 16 * GIB, 110);
	place(&s, nd, 3, &p, got, 12, r);
	for (int i = 0; i < 12; i++)
		cr_assert_geq(got[i], 0);
	for (int k = 0; k < 3; k++)
		cr_expect_eq(nd[k].n_pods, 4, "LeastAllocated: node %d has %d pods", k, nd[k].n_pods);

	sched_init(&s, SCHED_MOST_ALLOCATED);
	nodes_like(nd, 3, 4, 16 * GIB, 110);
	place(&s, nd, 3, &p, got, 8, r);
	for (int i = 1; i < 4; i++)
		cr_expect_eq(got[i], got[0], "MostAllocated keeps filling node %d", got[0]);
	for (int i = 5; i < 8; i++)
		cr_expect_eq(got[i], got[4]);
	cr_expect_neq(got[4], got[0]);
	gsl_rng_free(r);
}

Test(scheduler, feasible_nodes_to_find)
{
	struct sched s;
	sched_init(&s, SCHED_LEAST_ALLOCATED);
	cr_expect_eq(sched_feasible_to_find(&s, 50), 50u);
	cr_expect_eq(sched_feasible_to_find(&s, 99), 99u);
	cr_expect_eq(sched_feasible_to_find(&s, 100), 100u);
	cr_expect_eq(sched_feasible_to_find(&s, 1000), 420u);  /* 50 - 8 = 42 % */
	cr_expect_eq(sched_feasible_to_find(&s, 5000), 500u);  /* 50 - 40 = 10 % */
	cr_expect_eq(sched_feasible_to_find(&s, 6000), 300u);  /* 50 - 48 = 2 %, raised to 5 % */
	s.pct_to_score = 100;
	cr_expect_eq(sched_feasible_to_find(&s, 6000), 6000u);
	s.pct_to_score = 1;
	cr_expect_eq(sched_feasible_to_find(&s, 6000), 100u);
}

/* 300 equal nodes with percentageOfNodesToScore 10: each cycle stops after
 * 100 feasible nodes (10 % is 30, raised to the minimum of 100) and the next
 * starts where it stopped, so the choices rotate through the cluster. */
Test(scheduler, search_rotates)
{
	enum { N = 300 };
	static struct sched_node nd[N];
	struct sched s;
	sched_init(&s, SCHED_LEAST_ALLOCATED);
	s.pct_to_score = 10;
	nodes_like(nd, N, 4, 16 * GIB, 110);
	struct sched_pod p = sched_pod_make(1, GIB);
	gsl_rng *r = stream(1);
	for (int k = 0; k < 3; k++) {
		int x = sched_pick(&s, nd, N, &p, r, NULL, 0);
		cr_expect(x >= 100 * k && x < 100 * (k + 1), "cycle %d chose node %d", k, x);
		cr_expect_eq(s.next_start, (size_t)(100 * (k + 1)) % N);
	}
	/* Infeasible nodes count as processed too: with the first 150 full the
	 * cycle that starts at 0 looks at 250 nodes. */
	for (int i = 0; i < 150; i++)
		nd[i].block = SCHED_CORDONED;
	int x = sched_pick(&s, nd, N, &p, r, NULL, 0);
	cr_expect(x >= 150 && x < 250, "chose %d", x);
	cr_expect_eq(s.next_start, 250u);
	gsl_rng_free(r);
}

/*
 * Karpenter's allocatable for a few rows of the catalog (vcpu, memory_mib,
 * arch, Karpenter's allocatable cpu and memory, max_pods, from the table the
 * catalog was made from: scenarios/catalogs/README.md), the figures of
 * aws/karpenter-provider-aws's generated instance-type docs.
 */
Test(scheduler, eks_allocatable_matches_karpenter)
{
	static const struct {
		const char *name;
		struct sched_instance it;
		int cpu_milli;
		int mem_mib;
	} rows[] = {
		{"m5.large", {2, 8192, 29, false}, 1930, 6903},      {"m5.xlarge", {4, 16384, 58, false}, 3920, 14162},
		{"m5.2xlarge", {8, 32768, 58, false}, 7910, 29317},  {"m5.4xlarge", {16, 65536, 234, false}, 15890, 57691},
		{"m5.8xlarge", {32, 131072, 234, false}, 31850, 118312}, {"c5.large", {2, 4096, 29, false}, 1930, 3114},
		{"c5.4xlarge", {16, 32768, 234, false}, 15890, 27381}, {"t3.large", {2, 8192, 35, false}, 1930, 6837},
		{"m6g.large", {2, 8192, 29, true}, 1930, 6844},      {"c6g.xlarge", {4, 8192, 58, true}, 3920, 6525},
		{"m7g.8xlarge", {32, 131072, 234, true}, 31850, 118253},
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		struct sched_alloc a = sched_eks_allocatable(&rows[i].it, 0.075);
		cr_expect_eq(llround(a.cpu * 1000), rows[i].cpu_milli, "%s cpu %.3f", rows[i].name, a.cpu);
		cr_expect_eq(a.mem, rows[i].mem_mib * SCHED_MIB, "%s memory %.1f MiB", rows[i].name, a.mem / SCHED_MIB);
		cr_expect_eq(a.pods, rows[i].it.max_pods, "%s pods", rows[i].name);
	}
}

/* m5.large with two DaemonSets (100m / 128 MiB and 25m, no memory): Karpenter
 * sees 1.805 cores, 6775 MiB, 27 pods left; the scheduler, which binds the
 * DaemonSet pods, filters the same room. */
Test(scheduler, daemonset_overhead)
{
	struct sched_instance m5 = {2, 8192, 29, false};
	struct sched_alloc a = sched_eks_allocatable(&m5, 0.075);
	struct sched_pod ds[2] = {sched_pod_make(0.1, 128 * SCHED_MIB), sched_pod_make(0.025, 0)};
	struct sched_alloc left = sched_alloc_after_daemonsets(a, ds, 2);
	cr_expect_eq(llround(left.cpu * 1000), 1805);
	cr_expect_eq(left.mem, 6775 * SCHED_MIB);
	cr_expect_eq(left.pods, 27);

	struct sched_node nd;
	sched_node_init(&nd, a);
	sched_bind(&nd, &ds[0]);
	sched_bind(&nd, &ds[1]);
	struct sched_pod fits = REQ(1.805, 6775 * SCHED_MIB), over_cpu = REQ(1.806, SCHED_MIB),
			 over_mem = REQ(0.001, 6775 * SCHED_MIB + 1);
	cr_expect_eq(sched_filter(&nd, &fits), 0u);
	cr_expect_eq(sched_filter(&nd, &over_cpu), SCHED_R_CPU);
	cr_expect_eq(sched_filter(&nd, &over_mem), SCHED_R_MEM);
	/* The 25m DaemonSet with no memory request counts 200 MiB for scoring. */
	cr_expect_eq(nd.nz_mem, (128 + 200) * SCHED_MIB);
}
