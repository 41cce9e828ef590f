/*
 * Karpenter's provisioning scheduling simulation (models/karp_sched.h)
 * against cases ported from kubernetes-sigs/karpenter at the docs/model.md
 * commit, each naming its file and Describe / Context / It:
 *   pkg/controllers/provisioning/scheduling/suite_test.go      ("suite")
 *   pkg/controllers/provisioning/scheduling/instance_selection_test.go
 *   pkg/controllers/provisioning/suite_test.go                 ("provisioning")
 * The state is built here directly: NodePools from YAML (through the
 * loader, as a scenario gives them), pods and nodes as structs.
 *
 * Upstream's fake cloud provider (pkg/cloudprovider/fake) is rebuilt as
 * test catalogs: the same capacities, prices from PriceFromResources (0.1
 * per vCPU plus 0.1 per 10^9 bytes, plus 1.0 for a GPU resource), and its
 * overhead (kube-reserved 100m and 10Mi) in place of Karpenter's EKS
 * allocatable: fake_overhead() sets every type's allocatable to capacity
 * less that. Names are written family.size, as the catalog wants them
 * (default-instance-type is default.type). What the catalogs cannot carry,
 * and the cases left out for it, are listed in scenarios/README.md
 * (Karpenter, "Ported upstream cases").
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "karp_sched.h"
#include "scn.h"

#define GI 1073741824.0
#define MI 1048576.0

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/hr-ksched-XXXXXX");
	cr_assert(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(karp_sched, .init = setup, .fini = teardown);

/* fake.GetInstanceTypes' default list. The two GPU types' GPUs are not
 * modelled: for pods that ask for none they are 4-core types at 1.83. */
static const char fake_types[] = "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
				 "default.type,amd64,4,4096,5,0.8294967296\n"
				 "small.type,amd64,2,2048,5,0.4147483648\n"
				 "gpu-a.type,amd64,4,4096,5,1.8294967296\n"
				 "gpu-b.type,amd64,4,4096,5,1.8294967296\n"
				 "arm.type,arm64,16,131072,5,15.3438953472\n"
				 "single-pod.type,amd64,4,4096,1,0.8294967296\n";

/* fake.InstanceTypes(5): fake-it-i has i + 1 vCPUs, 2(i + 1) GiB, 10(i + 1) pods. */
static const char fake_five[] = "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
				"fake.it0,amd64,1,2048,10,0.3147483648\n"
				"fake.it1,amd64,2,4096,20,0.6294967296\n"
				"fake.it2,amd64,3,6144,30,0.9442450944\n"
				"fake.it3,amd64,4,8192,40,1.2589934592\n"
				"fake.it4,amd64,5,10240,50,1.573741824\n";

/* A NodePool item of `nodepools:`, spec lines given (indented 10). */
#define NP(name, spec)                                                                                                 \
	"      - apiVersion: karpenter.sh/v1\n        kind: NodePool\n        metadata: {name: " name "}\n"          \
	"        spec:\n" spec
#define REQS(r) "          template: {spec: {requirements: " r "}}\n"
#define ANY "          template: {spec: {}}\n"

static void write_file(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f, "cannot write %s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

/* Every type's allocatable, in every pool, is its capacity less the fake
 * provider's overhead (100m, 10Mi); its pods, its max_pods. */
static void fake_overhead(struct scenario *sc)
{
	const struct catalog *cat = &sc->cluster.catalog;
	for (size_t p = 0; p < sc->cluster.karpenter.n_pools; p++) {
		struct scn_nodepool *np = &sc->cluster.karpenter.pools[p];
		for (size_t t = 0; t < cat->n; t++) {
			np->alloc_cpu[t] = cat->types[t].vcpu - 0.1;
			np->alloc_mem[t] = cat->types[t].memory_mib * MI - 10 * MI;
			np->alloc_pods[t] = cat->types[t].max_pods;
		}
	}
}

/* Loads a scenario of catalog `types` and NodePools `pools` into sc;
 * returns scn_load's result (e the error). */
static int try_load(struct scenario *sc, const char *types, const char *pools, struct herr *e)
{
	char yaml[8192], path[128];
	write_file("cat.csv", types);
	snprintf(yaml, sizeof yaml,
		 "name: ks\nduration: 1m\n"
		 "cluster:\n  catalog: cat.csv\n  provisioner: karpenter\n  karpenter:\n    nodepools:\n%s"
		 "services:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 10m, memory: 10Mi}}\n"
		 "    cpu_per_request: 1ms\n    traffic: {rate: 1rps}\n",
		 pools);
	write_file("s.yaml", yaml);
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	return scn_load(sc, path, NULL, 0, e);
}

static void load(struct scenario *sc, const char *types, const char *pools)
{
	struct herr e;
	cr_assert_eq(try_load(sc, types, pools, &e), 0, "%s", e.msg);
	fake_overhead(sc);
}

/* A solve of pods[0..n) over nodes[0..nn), with sc's pools. */
struct fix {
	struct karp_state st;
	struct karp_solver *s;
	struct karp_result r;
};

/* f's state: pods[0..n) over nodes[0..nn), with sc's pools (a solver made
 * at first). */
static void fix_state(struct fix *f, const struct scenario *sc, const struct karp_pod *pods, size_t n,
		      const struct karp_node *nodes, size_t nn, const struct karp_usage *used)
{
	if (!f->s)
		f->s = karp_solver_new();
	f->st = (struct karp_state){.cfg = &sc->cluster.karpenter,
				    .cat = &sc->cluster.catalog,
				    .pods = pods,
				    .n_pods = n,
				    .nodes = nodes,
				    .n_nodes = nn,
				    .used = used};
}

static struct karp_result solve(struct fix *f, const struct scenario *sc, const struct karp_pod *pods, size_t n,
				const struct karp_node *nodes, size_t nn, const struct karp_usage *used)
{
	fix_state(f, sc, pods, n, nodes, nn, used);
	return f->r = karp_solve(f->s, &f->st);
}

static void pods_of(struct karp_pod *p, size_t n, double cpu, double mem)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (struct karp_pod){cpu, mem, (simtime)i, 0, NULL};
}

static const char *tname(const struct scenario *sc, int t) { return sc->cluster.catalog.types[t].name; }

/* The type claim c launches as. */
static const char *launches(const struct scenario *sc, const struct karp_result *r, size_t c)
{
	cr_assert(c < r->n_claims && r->claims[c].n_types >= 1);
	return tname(sc, r->claims[c].types[0]);
}

static bool has_option(const struct scenario *sc, const struct karp_claim *c, const char *name)
{
	for (size_t i = 0; i < c->n_types; i++)
		if (!strcmp(tname(sc, c->types[i]), name))
			return true;
	return false;
}

/* The catalog price of the type claim c launches as. */
static double launch_price(const struct scenario *sc, const struct karp_claim *c)
{
	return sc->cluster.catalog.types[c->types[0]].price_hour;
}

static int count_dest(const struct karp_result *r, size_t n, enum karp_dest_kind kind)
{
	int k = 0;
	for (size_t i = 0; i < n; i++)
		k += r->dest[i].kind == kind;
	return k;
}

/* ---- suite: Describe "Binpacking" ---- */

/* suite, Binpacking, It "should schedule a small pod on the smallest
 * instance" (100M of memory) and It "should schedule a small pod on the
 * smallest possible instance type" (2000M: small.type's 2Gi - 10Mi still
 * holds it). */
Test(karp_sched, binpacking_a_small_pod_goes_on_the_smallest_type)
{
	struct scenario sc;
	load(&sc, fake_types, NP("default", ANY));
	const double mem[] = {100e6, 2000e6};
	for (size_t i = 0; i < 2; i++) {
		struct karp_pod pod = {0, mem[i], 0, 0, NULL};
		struct fix f = {0};
		struct karp_result r = solve(&f, &sc, &pod, 1, NULL, 0, NULL);
		cr_expect_eq(r.n_claims, 1);
		cr_expect_eq(r.dest[0].kind, KARP_DEST_CLAIM);
		cr_expect_str_eq(launches(&sc, &r, 0), "small.type", "%.0f bytes", mem[i]);
		karp_solver_free(f.s);
	}
	scn_free(&sc);
}

/* suite, Binpacking, It "should schedule multiple small pods on the
 * smallest possible instance type": five pods of 10M on one small.type. */
Test(karp_sched, binpacking_multiple_small_pods_share_the_smallest_type)
{
	struct scenario sc;
	load(&sc, fake_types, NP("default", ANY));
	struct karp_pod pods[5];
	pods_of(pods, 5, 0, 10e6);
	struct fix f = {0};
	struct karp_result r = solve(&f, &sc, pods, 5, NULL, 0, NULL);
	cr_expect_eq(r.n_claims, 1);
	cr_expect_eq(count_dest(&r, 5, KARP_DEST_CLAIM), 5);
	cr_expect_str_eq(launches(&sc, &r, 0), "small.type");
	cr_expect_eq(r.claims[0].pods, 5);
	karp_solver_free(f.s);
	scn_free(&sc);
}

/* suite, Binpacking, It "should create new nodes when a node is at
 * capacity": 40 pods of 1.8G, two to a default.type, so 20 NodeClaims of
 * default.type; and It "should pack small and large pods together": 20
 * pods of 400M more fill the room left on those 20. The pods select arch
 * amd64 upstream; pod requirements are not modelled, so the NodePool asks
 * for it. */
Test(karp_sched, binpacking_new_nodes_at_capacity_and_small_with_large)
{
	struct scenario sc;
	load(&sc, fake_types, NP("default", REQS("[{key: kubernetes.io/arch, operator: In, values: [amd64]}]")));
	struct karp_pod pods[60];
	pods_of(pods, 40, 0, 1.8e9);
	for (size_t i = 40; i < 60; i++)
		pods[i] = (struct karp_pod){0, 400e6, (simtime)i, 0, NULL};
	for (size_t n = 40; n <= 60; n += 20) {
		struct fix f = {0};
		struct karp_result r = solve(&f, &sc, pods, n, NULL, 0, NULL);
		cr_expect_eq(r.n_claims, 20, "%zu pods: %zu claims", n, r.n_claims);
		cr_expect_eq(count_dest(&r, n, KARP_DEST_CLAIM), (int)n);
		for (size_t c = 0; c < r.n_claims; c++)
			cr_expect_str_eq(launches(&sc, &r, c), "default.type", "%zu pods, claim %zu", n, c);
		karp_solver_free(f.s);
	}
	scn_free(&sc);
}

/* suite, Binpacking, It "should pack nodes tightly" (fake.InstanceTypes(5)):
 * a 4.5-core pod takes fake-it-4, the only type with room; the 1-core pod
 * does not fit beside it and gets a smaller type. */
Test(karp_sched, binpacking_packs_nodes_tightly)
{
	struct scenario sc;
	load(&sc, fake_five, NP("default", ANY));
	struct karp_pod pods[2] = {{4.5, 0, 0, 0, NULL}, {1, 0, 1, 0, NULL}};
	struct fix f = {0};
	struct karp_result r = solve(&f, &sc, pods, 2, NULL, 0, NULL);
	cr_assert_eq(r.n_claims, 2);
	cr_expect_str_eq(launches(&sc, &r, (size_t)r.dest[0].idx), "fake.it4");
	cr_expect_str_eq(launches(&sc, &r, (size_t)r.dest[1].idx), "fake.it1");
	karp_solver_free(f.s);
	scn_free(&sc);
}

/* suite, Binpacking, It "should not schedule pods that exceed every
 * instance type's capacity" (2Ti of memory), and Describe "Instance Type
 * Compatibility", It "should not schedule if requesting more resources than
 * any instance type has" (512 cores): no NodeClaim, the pod stays pending. */
Test(karp_sched, a_pod_larger_than_every_type_stays_pending)
{
	struct scenario sc;
	load(&sc, fake_types, NP("default", ANY));
	struct karp_pod pods[2] = {{0, 2.0 * 1024 * GI, 0, 0, NULL}, {512, 0, 1, 0, NULL}};
	for (size_t i = 0; i < 2; i++) {
		struct fix f = {0};
		struct karp_result r = solve(&f, &sc, &pods[i], 1, NULL, 0, NULL);
		cr_expect_eq(r.n_claims, 0, "pod %zu", i);
		cr_expect_eq(r.dest[0].kind, KARP_DEST_NONE);
		cr_expect_eq(r.dest[0].idx, -1);
		karp_solver_free(f.s);
	}
	scn_free(&sc);
}

/* suite, Binpacking, It "should create new nodes when a node is at capacity
 * due to pod limits per node": 25 pods of 1m / 1m, every type holds 5
 * pods, so five small.type. */
Test(karp_sched, binpacking_pod_slots_cap_a_node)
{
	struct scenario sc;
	load(&sc, fake_types, NP("default", REQS("[{key: kubernetes.io/arch, operator: In, values: [amd64]}]")));
	struct karp_pod pods[25];
	pods_of(pods, 25, 0.001, 0.001);
	struct fix f = {0};
	struct karp_result r = solve(&f, &sc, pods, 25, NULL, 0, NULL);
	cr_expect_eq(r.n_claims, 5);
	for (size_t c = 0; c < r.n_claims; c++) {
		cr_expect_str_eq(launches(&sc, &r, c), "small.type");
		cr_expect_eq(r.claims[c].pods, 5);
	}
	karp_solver_free(f.s);
	scn_free(&sc);
}

/* suite, Binpacking, It "should select for valid instance types, regardless
 * of price": medium (2 cores, 3.00), small (1, 2.00), large (4, 1.00); a
 * pod of 1m and 1Mi goes on large, the cheapest, and all three are options. */
Test(karp_sched, binpacking_all_valid_types_are_options_cheapest_first)
{
	struct scenario sc;
	load(&sc,
	     "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
	     "x.medium,amd64,2,2048,5,3.00\nx.small,amd64,1,1024,5,2.00\nx.large,amd64,4,4096,5,1.00\n",
	     NP("default", ANY));
	struct karp_pod pod = {0.001, MI, 0, 0, NULL};
	struct fix f = {0};
	struct karp_result r = solve(&f, &sc, &pod, 1, NULL, 0, NULL);
	cr_assert_eq(r.n_claims, 1);
	cr_expect_eq(r.claims[0].n_types, 3);
	cr_expect_str_eq(launches(&sc, &r, 0), "x.large");
	cr_expect_str_eq(tname(&sc, r.claims[0].types[1]), "x.small");
	cr_expect_str_eq(tname(&sc, r.claims[0].types[2]), "x.medium");
	karp_solver_free(f.s);
	scn_free(&sc);
}

/* suite, Describe "Instance Type Compatibility", It "should exclude
 * instance types that are not supported by the provider constraints
 * (arch)": an amd64 pool and a 14-core pod: only arm.type has the room. */
Test(karp_sched, the_pool_requirements_exclude_the_only_type_with_room)
{
	struct scenario sc;
	load(&sc, fake_types, NP("default", REQS("[{key: kubernetes.io/arch, operator: In, values: [amd64]}]")));
	struct karp_pod pod = {14, 0, 0, 0, NULL};
	struct fix f = {0};
	struct karp_result r = solve(&f, &sc, &pod, 1, NULL, 0, NULL);
	cr_expect_eq(r.n_claims, 0);
	cr_expect_eq(r.dest[0].kind, KARP_DEST_NONE);
	karp_solver_free(f.s);
	scn_free(&sc);
}

/* ---- suite: Describe "In-Flight Nodes" and "Existing Nodes" ---- */

/* suite, In-Flight Nodes, It "should not launch a second node if there is
 * an in-flight node that can support the pod" (10m pods: the first is on a
 * small.type in flight, 1.9 cores) and It "... (#2011)" (the same pod
 * again, not bound yet: it is placed on its node again, no second node);
 * It "should launch a second node if a pod won't fit on the existingNodes
 * node" (1001m there, then a 1-core pod). */
Test(karp_sched, in_flight_nodes_take_pods_before_new_claims)
{
	struct scenario sc;
	load(&sc, fake_types, NP("default", ANY));
	struct karp_pod pod = {0.01, 0, 0, 0, NULL};
	struct karp_node small = {1.9 - 0.01, 2048 * MI - 10 * MI, 4, true, NULL};
	struct fix f = {0};
	struct karp_result r = solve(&f, &sc, &pod, 1, &small, 1, NULL);
	cr_expect_eq(r.n_claims, 0);
	cr_expect(r.dest[0].kind == KARP_DEST_NODE && r.dest[0].idx == 0);
	small = (struct karp_node){1.9, 2048 * MI - 10 * MI, 5, true, NULL}; /* #2011: the pod is not bound */
	r = solve(&f, &sc, &pod, 1, &small, 1, NULL);
	cr_expect(r.n_claims == 0 && r.dest[0].kind == KARP_DEST_NODE, "#2011: %zu claims", r.n_claims);
	small = (struct karp_node){1.9 - 1.001, 2048 * MI - 10 * MI, 4, true, NULL};
	pod.cpu = 1;
	r = solve(&f, &sc, &pod, 1, &small, 1, NULL);
	cr_expect_eq(r.n_claims, 1);
	cr_expect_eq(r.dest[0].kind, KARP_DEST_CLAIM);
	karp_solver_free(f.s);
	scn_free(&sc);
}

/* suite, In-Flight Nodes, It "should pack in-flight nodes before launching
 * new nodes": one type, "medium" (4.25 cores, 4 pods), batches of 1-core
 * pods of sizes drawn upstream by rand.Intn(10) (fixed here), each batch's
 * pods bound where they were placed, its NodeClaims becoming nodes in
 * flight: at the end at most one node has a core free. */
Test(karp_sched, in_flight_nodes_are_packed_before_launching)
{
	struct scenario sc;
	load(&sc, "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\nx.medium,amd64,5,4096,4,0.8\n",
	     NP("default", ANY));
	sc.cluster.karpenter.pools[0].alloc_cpu[0] = 4.25 - 0.1;
	static const int batch[] = {7, 3, 9, 0, 5, 1, 8, 2, 6, 4};
	struct karp_node nodes[64];
	size_t nn = 0;
	struct karp_pod pods[10];
	struct fix f = {0};
	for (size_t b = 0; b < sizeof batch / sizeof batch[0]; b++) {
		pods_of(pods, (size_t)batch[b], 1, 0);
		struct karp_result r = solve(&f, &sc, pods, (size_t)batch[b], nodes, nn, NULL);
		for (int i = 0; i < batch[b]; i++) {
			cr_assert_neq(r.dest[i].kind, KARP_DEST_NONE);
			if (r.dest[i].kind == KARP_DEST_NODE) {
				nodes[r.dest[i].idx].cpu -= 1;
				nodes[r.dest[i].idx].pods -= 1;
			}
		}
		for (size_t c = 0; c < r.n_claims; c++) {
			cr_assert(nn < 64);
			nodes[nn++] = (struct karp_node){4.15 - r.claims[c].cpu, 4086 * MI, 4 - r.claims[c].pods, true, NULL};
		}
	}
	int free_core = 0;
	for (size_t i = 0; i < nn; i++)
		free_core += nodes[i].cpu >= 1 && nodes[i].pods >= 1;
	cr_expect_leq(free_core, 1, "%d of %zu nodes have a core free", free_core, nn);
	cr_expect_eq(nn, 12, "45 pods, 4 a node"); /* ceil(45 / 4) */
	karp_solver_free(f.s);
	scn_free(&sc);
}

/* suite, In-Flight Nodes, It "should order initialized nodes for scheduling
 * uninitialized nodes when all other nodes are inflight", and Existing
 * Nodes, It "should order initialized nodes for scheduling uninitialized
 * nodes": 100 nodes with room, one initialized (upstream picks it with
 * rand.Intn(100); 37 here): the pod goes there. */
Test(karp_sched, initialized_nodes_are_tried_before_nodes_in_flight)
{
	struct scenario sc;
	load(&sc, fake_types, NP("default", ANY));
	struct karp_node nodes[100];
	for (size_t i = 0; i < 100; i++)
		nodes[i] = (struct karp_node){3.9, 4086 * MI, 5, i != 37, NULL};
	struct karp_pod pod = {0, 0, 0, 0, NULL};
	struct fix f = {0};
	struct karp_result r = solve(&f, &sc, &pod, 1, nodes, 100, NULL);
	cr_expect(r.dest[0].kind == KARP_DEST_NODE && r.dest[0].idx == 37, "node %d", r.dest[0].idx);
	karp_solver_free(f.s);
	scn_free(&sc);
}

/* suite, Existing Nodes, It "should schedule a pod to an existing node
 * unowned by Karpenter" and It "should schedule multiple pods to an existing
 * node unowned by Karpenter": a node of 10 cores, 100Gi, 110 pods (a static
 * node here) takes 1, then 100, pods of 10m. */
Test(karp_sched, existing_nodes_take_pods_first)
{
	struct scenario sc;
	load(&sc, fake_types, NP("default", ANY));
	struct karp_node node = {10, 100 * GI, 110, false, NULL};
	struct karp_pod pods[100];
	pods_of(pods, 100, 0.01, 0);
	struct fix f = {0};
	for (size_t n = 1; n <= 100; n += 99) {
		struct karp_result r = solve(&f, &sc, pods, n, &node, 1, NULL);
		cr_expect_eq(r.n_claims, 0);
		cr_expect_eq(count_dest(&r, n, KARP_DEST_NODE), (int)n, "%zu pods", n);
	}
	karp_solver_free(f.s);
	scn_free(&sc);
}

/* ---- provisioning: Context "Resource Limits" ---- */

#define CPU_LIMIT(n) NP("default", ANY "          limits: {cpu: \"" n "\"}\n")

/* provisioning suite_test.go, Context "Resource Limits":
 *   "should not schedule when limits are exceeded": limit 20 cores, a
 *     NodeClaim of 100 cores in the pool already;
 *   "should schedule if limits would be met": limit 2, a 1.75-core pod
 *     (small.type, 2 vCPUs, is within it);
 *   "should not schedule if limits would be exceeded": limit 2, 2.1 cores;
 *   "should partially schedule if limits would be exceeded": limit 3, two
 *     1.5-core pods (upstream keeps them apart with anti-affinity; here no
 *     type within the limit holds both): one placed, one not;
 *   "should not schedule to a nodepool after a scheduling round if limits
 *     would be exceeded": limit 2, the small.type of the first round counts. */
Test(karp_sched, limits_stop_a_claim)
{
	static const struct {
		const char *it, *limit;
		double used_cpu; /* vCPUs of the pool's nodes */
		int used_nodes;
		int n_pods;
		double cpu; /* per pod */
		int placed;
	} rows[] = {
		{"should not schedule when limits are exceeded", "20", 100, 1, 1, 0, 0},
		{"should schedule if limits would be met", "2", 0, 0, 1, 1.75, 1},
		{"should not schedule if limits would be exceeded", "2", 0, 0, 1, 2.1, 0},
		{"should partially schedule if limits would be exceeded", "3", 0, 0, 2, 1.5, 1},
		{"should not schedule to a nodepool after a scheduling round (round 2)", "2", 2, 1, 1, 1.75, 0},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char pools[512];
		snprintf(pools, sizeof pools, NP("default", ANY "          limits: {cpu: \"%s\"}\n"), rows[i].limit);
		struct scenario sc;
		load(&sc, fake_types, pools);
		struct karp_pod pods[2];
		pods_of(pods, (size_t)rows[i].n_pods, rows[i].cpu, 0);
		struct karp_usage used = {rows[i].used_cpu, 0, rows[i].used_nodes};
		struct fix f = {0};
		struct karp_result r = solve(&f, &sc, pods, (size_t)rows[i].n_pods, NULL, 0, &used);
		cr_expect_eq(count_dest(&r, (size_t)rows[i].n_pods, KARP_DEST_CLAIM), rows[i].placed, "%s", rows[i].it);
		for (size_t c = 0; c < r.n_claims; c++)
			cr_expect_str_eq(launches(&sc, &r, c), "small.type", "%s", rows[i].it);
		karp_solver_free(f.s);
		scn_free(&sc);
	}
}

/* provisioning suite_test.go, Resource Limits, It "should not schedule if
 * limits would be exceeded (node)": limit 2 nodes, a pod per round:
 * rounds 1 and 2 launch, round 3 (2 nodes in the pool) does not. Within one
 * batch of three such pods the same: two NodeClaims, one pod left (here a
 * NodeClaim takes its node of the limit at once; upstream's scheduler
 * counts only existing nodes and Provisioner.Create refuses what goes
 * over). Upstream keeps the pods apart with anti-affinity; here they are of
 * 2.5 cores in an amd64 pool, where no type holds two. */
Test(karp_sched, a_nodes_limit_stops_claims)
{
	struct scenario sc;
	load(&sc, fake_types,
	     NP("default", REQS("[{key: kubernetes.io/arch, operator: In, values: [amd64]}]") "          limits: {nodes: 2}\n"));
	struct karp_pod pods[3];
	pods_of(pods, 3, 2.5, 0);
	struct fix f = {0};
	for (int round = 0; round < 3; round++) {
		struct karp_usage used = {2.0 * round, 2048 * MI * round, round};
		struct karp_result r = solve(&f, &sc, pods, 1, NULL, 0, &used);
		cr_expect_eq(r.n_claims, round < 2 ? 1u : 0u, "round %d", round + 1);
	}
	struct karp_result r = solve(&f, &sc, pods, 3, NULL, 0, NULL);
	cr_expect_eq(r.n_claims, 2);
	cr_expect_eq(count_dest(&r, 3, KARP_DEST_NONE), 1);
	karp_solver_free(f.s);
	scn_free(&sc);
}

/* scheduler.go subtractMax: a new NodeClaim takes the largest capacity
 * among its options off what the limits leave, not the type it launches
 * as. Limit 10 cores on fake.InstanceTypes(5), three pods of 2.5 cores (two
 * need 5, more than fake-it-4's 4.9): the first claim's options are
 * fake-it-2 to 4 (3 to 5 vCPUs), so 5 come off; the second's the same, 5
 * more; the third pod finds nothing within 0, though the two claims launch
 * as fake-it-2 (3 vCPUs each) and a third would fit the limit. */
Test(karp_sched, limits_shrink_by_the_largest_option)
{
	struct scenario sc;
	load(&sc, fake_five, CPU_LIMIT("10"));
	struct karp_pod pods[3];
	pods_of(pods, 3, 2.5, 0);
	struct fix f = {0};
	struct karp_result r = solve(&f, &sc, pods, 3, NULL, 0, NULL);
	cr_expect_eq(r.n_claims, 2);
	cr_expect_eq(count_dest(&r, 3, KARP_DEST_NONE), 1);
	for (size_t c = 0; c < r.n_claims; c++) {
		cr_expect_str_eq(launches(&sc, &r, c), "fake.it2");
		cr_expect_eq(r.claims[c].n_types, 3);
	}
	karp_solver_free(f.s);
	scn_free(&sc);
}

/* ---- provisioning: Weighted NodePools, Daemonsets ---- */

/* provisioning suite_test.go, Context "Multiple NodePools", Context
 * "Weighted NodePools", It "should schedule to the nodepool with the
 * highest priority always": weights none, 20 and 100: every pod to the
 * 100. And OrderByWeight (pkg/utils/nodepool/nodepool.go): equal weights
 * go by name, descending. */
Test(karp_sched, the_highest_weight_pool_takes_the_pods)
{
	struct scenario sc;
	load(&sc, fake_types,
	     NP("a", ANY) NP("b", ANY "          weight: 20\n") NP("c", ANY "          weight: 100\n"));
	struct karp_pod pods[3];
	pods_of(pods, 3, 0, 0);
	struct fix f = {0};
	struct karp_result r = solve(&f, &sc, pods, 3, NULL, 0, NULL);
	cr_expect_eq(count_dest(&r, 3, KARP_DEST_CLAIM), 3);
	for (size_t c = 0; c < r.n_claims; c++)
		cr_expect_str_eq(sc.cluster.karpenter.pools[r.claims[c].pool].name, "c");
	scn_free(&sc);
	load(&sc, fake_types, NP("a", ANY "          weight: 5\n") NP("b", ANY "          weight: 5\n"));
	r = solve(&f, &sc, pods, 1, NULL, 0, NULL);
	cr_expect_str_eq(sc.cluster.karpenter.pools[r.claims[0].pool].name, "b", "equal weights: name descending");
	karp_solver_free(f.s);
	scn_free(&sc);
}

/* provisioning suite_test.go, Context "Daemonsets", It "should account for
 * daemonsets" (DaemonSet 2 cores and 2Gi, a pod of 1 core and 1Gi: a type
 * of 4 vCPUs and 4Gi, not small.type) and It "should not schedule if
 * daemonset overhead is too large". */
Test(karp_sched, daemonsets_take_room_on_new_nodes)
{
	struct scenario sc;
	load(&sc, fake_types, NP("default", ANY));
	struct karp_pod pod = {1, GI, 0, 0, NULL};
	struct fix f = {0};
	f.s = karp_solver_new();
	f.st = (struct karp_state){.cfg = &sc.cluster.karpenter, .cat = &sc.cluster.catalog, .ds_cpu = 2, .ds_mem = 2 * GI,
				   .pods = &pod, .n_pods = 1};
	struct karp_result r = karp_solve(f.s, &f.st);
	cr_assert_eq(r.n_claims, 1);
	const struct instance_type *t = &sc.cluster.catalog.types[r.claims[0].types[0]];
	cr_expect(t->vcpu == 4 && t->memory_mib == 4096, "%s", t->name);
	cr_expect(!has_option(&sc, &r.claims[0], "small.type"), "2 cores and 2Gi hold no DaemonSet and pod");
	f.st.ds_cpu = 10000;
	f.st.ds_mem = 10000 * GI;
	r = karp_solve(f.s, &f.st);
	cr_expect_eq(r.n_claims, 0);
	cr_expect_eq(r.dest[0].kind, KARP_DEST_NONE);
	karp_solver_free(f.s);
	scn_free(&sc);
}

/* ---- instance_selection_test.go ---- */

/* fake.InstanceTypesAssorted(): 1 to 64 vCPUs by 1 to 128 GiB, amd64 and
 * arm64 (its zones, capacity types and operating systems are one type
 * here: zones and OS are not modelled), spot at the on-demand price. */
static void assorted(char *buf, size_t size)
{
	static const int cpus[] = {1, 2, 4, 8, 16, 32, 64}, mems[] = {1, 2, 4, 8, 16, 32, 64, 128};
	size_t n = (size_t)snprintf(buf, size, "name,arch,vcpu,memory_mib,max_pods,price_usd_hour,spot_price_usd_hour\n");
	for (size_t c = 0; c < 7; c++)
		for (size_t m = 0; m < 8; m++)
			for (int arm = 0; arm < 2; arm++) {
				double price = 0.1 * cpus[c] + 0.1 * mems[m] * GI / 1e9;
				n += (size_t)snprintf(buf + n, size - n, "c%dm%d.%s,%s,%d,%d,5,%.10f,%.10f\n", cpus[c], mems[m],
						      arm ? "arm" : "amd", arm ? "arm64" : "amd64", cpus[c], mems[m] * 1024,
						      price, price);
				cr_assert_lt(n, size);
			}
}

#define MIN_PRICE (0.1 + 0.1 * GI / 1e9) /* getMinPrice: 1 vCPU, 1Gi */

/* Instance Type Selection, It "should schedule on one of the cheapest
 * instances" and the NodePool variants "(prov arch = amd64)", "(prov arch =
 * arm64)", "(prov ct = spot)": the type launched has the least price, and
 * every option passed on has the pool's label. */
Test(karp_sched, instance_selection_the_cheapest_type_within_the_requirements)
{
	static const struct {
		const char *it, *reqs, *arch; /* arch every option must have, or NULL */
	} rows[] = {
		{"should schedule on one of the cheapest instances", "[]", NULL},
		{"(prov arch = amd64)", "[{key: kubernetes.io/arch, operator: In, values: [amd64]}]", "amd64"},
		{"(prov arch = arm64)", "[{key: kubernetes.io/arch, operator: In, values: [arm64]}]", "arm64"},
		{"(prov ct = spot)", "[{key: karpenter.sh/capacity-type, operator: In, values: [spot]}]", NULL},
	};
	static char cat[16384];
	assorted(cat, sizeof cat);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char pools[512];
		snprintf(pools, sizeof pools, NP("default", "          template: {spec: {requirements: %s}}\n"), rows[i].reqs);
		struct scenario sc;
		load(&sc, cat, pools);
		struct karp_pod pod = {0, 0, 0, 0, NULL};
		struct fix f = {0};
		struct karp_result r = solve(&f, &sc, &pod, 1, NULL, 0, NULL);
		cr_assert_eq(r.n_claims, 1, "%s", rows[i].it);
		cr_expect(fabs(launch_price(&sc, &r.claims[0]) - MIN_PRICE) < 1e-9, "%s: %s", rows[i].it,
			  launches(&sc, &r, 0));
		for (size_t t = 0; rows[i].arch && t < r.claims[0].n_types; t++) {
			bool arm = sc.cluster.catalog.types[r.claims[0].types[t]].arm64;
			cr_expect_str_eq(arm ? "arm64" : "amd64", rows[i].arch, "%s: option %zu", rows[i].it, t);
		}
		karp_solver_free(f.s);
		scn_free(&sc);
	}
}

/* Instance Type Selection, It "should schedule on cheaper on-demand instance
 * even when spot price ordering would place other instance types first":
 * test-instance1 (on-demand 1.0, spot 0.2) and test-instance2 (1.3, 0.1);
 * an on-demand pool launches test-instance1. The mirror, a spot pool,
 * launches test-instance2. */
Test(karp_sched, instance_selection_orders_by_the_pools_capacity_type)
{
	static const char cat[] = "name,arch,vcpu,memory_mib,max_pods,price_usd_hour,spot_price_usd_hour\n"
				  "test.instance1,amd64,1,1024,5,1.0,0.2\n"
				  "test.instance2,amd64,1,1024,5,1.3,0.1\n";
	static const char *const ct[] = {"on-demand", "spot"}, *const want[] = {"test.instance1", "test.instance2"};
	for (size_t i = 0; i < 2; i++) {
		char pools[512];
		snprintf(pools, sizeof pools,
			 NP("default", REQS("[{key: karpenter.sh/capacity-type, operator: In, values: [%s]}]")), ct[i]);
		struct scenario sc;
		load(&sc, cat, pools);
		struct karp_pod pod = {0, 0, 0, 0, NULL};
		struct fix f = {0};
		struct karp_result r = solve(&f, &sc, &pod, 1, NULL, 0, NULL);
		cr_assert_eq(r.n_claims, 1);
		cr_expect_str_eq(launches(&sc, &r, 0), want[i], "%s", ct[i]);
		karp_solver_free(f.s);
		scn_free(&sc);
	}
}

/* Instance Type Selection, It "should schedule on an instance with enough
 * resources": for cpu in {0.1, 1, 2, 2.5, 4, 8, 16} and memory in {0.1, 1,
 * 2, 4, 8, 16, 32} Gi, three such pods share one NodeClaim, and every
 * option's capacity exceeds their requests plus the overhead. */
Test(karp_sched, instance_selection_every_option_has_enough_resources)
{
	static const double cpus[] = {0.1, 1, 2, 2.5, 4, 8, 16}, mems[] = {0.1, 1, 2, 4, 8, 16, 32};
	static char cat[16384];
	assorted(cat, sizeof cat);
	struct scenario sc;
	load(&sc, cat, NP("default", ANY));
	struct fix f = {0};
	for (size_t c = 0; c < 7; c++)
		for (size_t m = 0; m < 7; m++) {
			struct karp_pod pods[3];
			pods_of(pods, 3, cpus[c], mems[m] * GI);
			struct karp_result r = solve(&f, &sc, pods, 3, NULL, 0, NULL);
			cr_assert_eq(r.n_claims, 1, "%g cores, %g Gi", cpus[c], mems[m]);
			cr_expect_eq(r.claims[0].pods, 3);
			for (size_t t = 0; t < r.claims[0].n_types; t++) {
				const struct instance_type *it = &sc.cluster.catalog.types[r.claims[0].types[t]];
				cr_expect_lt(3 * cpus[c] + 0.1, it->vcpu, "%s", it->name);
				cr_expect_lt(3 * mems[m] * GI + 10 * MI, it->memory_mib * MI, "%s", it->name);
			}
		}
	karp_solver_free(f.s);
	scn_free(&sc);
}

/* Instance Type Selection, Context "MinValues". The types are
 * instance-type-N of the upstream cases, with the custom numerical label
 * "karpenter/numerical-value" as karpenter.k8s.aws/instance-generation (the
 * digit in the names below). Each time two pods of 0.9 cores and 0.9Gi
 * would share the one type that holds both, but a NodeClaim of that type
 * alone keeps fewer than minValues values: two NodeClaims, each with at
 * least 2 options. */
Test(karp_sched, min_values_keep_two_pods_apart)
{
	static const char two[] = "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
				  "a2.it1,arm64,1,1024,5,0.52\na3.it2,arm64,4,4096,5,1.0\n";
	static const char gen3[] = "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
				   "a2.it1,arm64,1,1024,5,0.52\na3.it2,arm64,1,1024,5,1.0\na4.it3,arm64,4,4096,5,1.2\n";
	static const char lt[] = "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
				 "a2.it1,arm64,1,1024,5,0.52\na3.it2,arm64,2,2048,5,1.0\na4.it3,arm64,4,4096,5,1.2\n";
	static const char in_notin[] = "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
				       "a2.it1,arm64,1,1024,5,0.52\na3.it2,arm64,2,2048,5,1.0\na4.it3,arm64,4,4096,5,1.2\n";
	static const char gt_lt[] = "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
				    "a2.it1,arm64,1,1024,5,0.52\na3.it2,arm64,1,1024,5,1.0\n"
				    "a4.it3,arm64,4,4096,5,1.2\na5.it4,arm64,4,4096,5,1.2\n";
	static const char arches[] = "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
				     "a2.it1,arm64,1,1024,5,0.52\na3.it2,amd64,4,4096,5,1.0\n";
#define GEN "karpenter.k8s.aws/instance-generation"
#define ITYPE "node.kubernetes.io/instance-type"
	static const struct {
		const char *it, *types, *reqs;
	} rows[] = {
		{"should schedule respecting the minValues from instance-type requirements", two,
		 "[{key: " ITYPE ", operator: In, values: [a2.it1, a3.it2], minValues: 2}]"},
		{"should schedule respecting the minValues in Gt operator", gen3,
		 "[{key: " GEN ", operator: Gt, values: [\"2\"], minValues: 2}]"},
		{"should schedule respecting the minValues in Lt operator", lt,
		 "[{key: " GEN ", operator: Lt, values: [\"4\"], minValues: 2}]"},
		{"should schedule considering the max of the minValues of In and NotIn operators in the instance-type "
		 "requirements",
		 in_notin,
		 "[{key: " ITYPE ", operator: In, values: [a2.it1, a3.it2, a4.it3], minValues: 1}, {key: " ITYPE
		 ", operator: NotIn, values: [a4.it3], minValues: 2}]"},
		{"should schedule considering the max of the minValues of Gt and Lt operators.", gt_lt,
		 "[{key: " GEN ", operator: Gt, values: [\"2\"], minValues: 1}, {key: " GEN
		 ", operator: Lt, values: [\"5\"], minValues: 2}]"},
		{"should schedule and pick the max of minValues of InstanceTypes if multiple operators are used for the "
		 "same requirement.",
		 two,
		 "[{key: " ITYPE ", operator: Exists, minValues: 1}, {key: " ITYPE
		 ", operator: In, values: [a2.it1, a3.it2], minValues: 2}]"},
		{"should schedule and respect multiple requirement keys with minValues", arches,
		 "[{key: kubernetes.io/arch, operator: Exists, minValues: 2}, {key: " ITYPE
		 ", operator: In, values: [a2.it1, a3.it2], minValues: 1}]"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char pools[1024];
		snprintf(pools, sizeof pools, NP("default", "          template: {spec: {requirements: %s}}\n"),
			 rows[i].reqs);
		struct scenario sc;
		load(&sc, rows[i].types, pools);
		struct karp_pod pods[2];
		pods_of(pods, 2, 0.9, 0.9 * GI);
		struct fix f = {0};
		struct karp_result r = solve(&f, &sc, pods, 2, NULL, 0, NULL);
		cr_expect_eq(r.n_claims, 2, "%s: %zu claims", rows[i].it, r.n_claims);
		cr_expect(r.dest[0].kind == KARP_DEST_CLAIM && r.dest[1].kind == KARP_DEST_CLAIM &&
				  r.dest[0].idx != r.dest[1].idx,
			  "%s: two nodes", rows[i].it);
		for (size_t c = 0; c < r.n_claims; c++)
			cr_expect_geq(r.claims[c].n_types, 2, "%s: claim %zu", rows[i].it, c);
		/* Without minValues the two share the type that holds both. */
		for (size_t p = 0; p < sc.cluster.karpenter.n_pools; p++)
			for (size_t q = 0; q < sc.cluster.karpenter.pools[p].n_reqs; q++)
				sc.cluster.karpenter.pools[p].reqs[q].min_values = 0;
		r = solve(&f, &sc, pods, 2, NULL, 0, NULL);
		cr_expect_eq(r.n_claims, 1, "%s without minValues", rows[i].it);
		karp_solver_free(f.s);
		scn_free(&sc);
	}
#undef GEN
#undef ITYPE
}

/* Instance Type Selection, MinValues, It "scheduler should fail if the
 * minValues in Lt operator is not satisfied" (Lt 4 leaves one type, minValues
 * 2) and It "schedule should fail if minimum number of InstanceTypes is not
 * met as per the minValues in the requirement" (10 types, minValues 11):
 * upstream skips the NodePool and the pods stay pending; here the loader
 * refuses such a NodePool, naming it. */
Test(karp_sched, min_values_no_pool_can_meet_is_refused_at_load)
{
	static const char lt[] = "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
				 "a2.it1,arm64,2,2048,5,0.52\na4.it2,arm64,4,4096,5,1.2\n";
	struct scenario sc;
	struct herr e;
	cr_expect_neq(try_load(&sc, lt,
			       NP("default", REQS("[{key: karpenter.k8s.aws/instance-generation, operator: Lt, values: "
						  "[\"4\"], minValues: 2}]")),
			       &e),
		      0);
	cr_expect(strstr(e.msg, "minValues 2") && strstr(e.msg, "have 1"), "%s", e.msg);
	char ten[1024];
	size_t n = (size_t)snprintf(ten, sizeof ten, "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n");
	for (int i = 0; i < 10; i++)
		n += (size_t)snprintf(ten + n, sizeof ten - n, "t.s%d,amd64,%d,2048,5,%d.0\n", i, i + 1, i + 1);
	cr_expect_neq(try_load(&sc, ten,
			       NP("default", REQS("[{key: node.kubernetes.io/instance-type, operator: Exists, "
						  "minValues: 11}]")),
			       &e),
		      0);
	cr_expect(strstr(e.msg, "minValues 11") && strstr(e.msg, "have 10"), "%s", e.msg);
}

/* karp_claim_options: what a new NodeClaim could be, in the order it would
 * launch (the live model's karp_claim_type is its first). */
Test(karp_sched, claim_options_are_cheapest_first_within_limits)
{
	struct scenario sc;
	load(&sc, fake_five, CPU_LIMIT("4"));
	struct karp_state st = {.cfg = &sc.cluster.karpenter, .cat = &sc.cluster.catalog};
	int out[8];
	size_t n = karp_claim_options(&st, 0, NULL, 1.5, 0, 1, out);
	cr_expect_eq(n, 3, "fake-it-1 to 3: 4 is over the limit");
	cr_expect_str_eq(tname(&sc, out[0]), "fake.it1");
	struct karp_usage used = {2, 0, 1};
	n = karp_claim_options(&st, 0, &used, 1.5, 0, 1, out);
	cr_expect(n == 1 && !strcmp(tname(&sc, out[0]), "fake.it1"), "2 vCPUs left: %zu", n);
	cr_expect_eq(karp_claim_options(&st, 0, &used, 2, 0, 1, out), 0);
	scn_free(&sc);
}

/* ---- placement: taints, node requirements, topology ----
 *
 * Ported from pkg/controllers/provisioning/scheduling/topology_test.go
 * ("topology") and suite_test.go, or computed by hand where marked. The
 * fake provider's zones are test-zone-1..3, every type offered in each.
 * Each service is a Deployment whose pods carry app: <name>; the groups
 * are the services in the order given. */

#define ZONES "  zones: [test-zone-1, test-zone-2, test-zone-3]\n"

/* A service `name` whose pod asks `cpu`, with pod-spec lines `spec`
 * (indented 12). */
#define SVC(name, cpu, spec)                                                                                           \
	"  " name ":\n    cpu_per_request: 1ms\n    traffic: {rate: 1rps}\n"                                       \
	"    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n"                                       \
	"      spec:\n        replicas: 1\n        selector: {matchLabels: {app: " name "}}\n"                       \
	"        template:\n          metadata: {labels: {app: " name "}}\n          spec:\n"                       \
	"            containers: [{name: c, image: c, resources: {requests: {cpu: " cpu "}},\n"                     \
	"                          readinessProbe: {tcpSocket: {port: 80}}}]\n" spec
#define SPREAD(key, skew, when, app, extra)                                                                            \
	"            topologySpreadConstraints: [{maxSkew: " skew ", topologyKey: " key ", whenUnsatisfiable: " when   \
	", labelSelector: {matchLabels: {app: " app "}}" extra "}]\n"
#define ZONE_KEY "topology.kubernetes.io/zone"
#define HOST_KEY "kubernetes.io/hostname"
#define ZONES_REQ(vals) REQS("[{key: topology.kubernetes.io/zone, operator: In, values: " vals "}]")

/* A placed solve's world: the scenario, its placement state and fits, and
 * up to 4 existing nodes. */
struct pw {
	struct scenario sc;
	struct place pl;
	struct karp_fits kf;
	struct place_node pn[4];
	struct place_fit fit[4][8];
	int counts[4][16];
	struct karp_node nodes[4];
	size_t nn;
	struct fix f;
	struct karp_offers off; /* with pw_offers: the scenario's offerings and a cache */
	simtime now;            /* the time the cache is read at */
	uint64_t down;          /* zone slots lost: the state's zones_down */
};

static void pw_load(struct pw *w, const char *types, const char *pools, const char *svcs)
{
	char yaml[16384], path[128];
	write_file("cat.csv", types);
	snprintf(yaml, sizeof yaml,
		 "name: ks\nduration: 1m\ncluster:\n  catalog: cat.csv\n" ZONES
		 "  provisioner: karpenter\n  karpenter:\n    nodepools:\n%sservices:\n%s",
		 pools, svcs);
	write_file("s.yaml", yaml);
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	struct herr e;
	cr_assert_eq(scn_load(&w->sc, path, NULL, 0, &e), 0, "%s", e.msg);
	fake_overhead(&w->sc);
	place_init(&w->pl, &w->sc);
	karp_fits_init(&w->kf, &w->sc);
	cr_assert(w->sc.n_services <= 8);
}

/* An existing counted node in zone z (0-based) with room for cpu cores,
 * holding `pods` pods of group g; every group tolerates and selects it. */
static void pw_node(struct pw *w, int z, double cpu, int g, int pods)
{
	size_t i = w->nn++;
	for (size_t k = 0; k < w->sc.n_services; k++)
		w->fit[i][k] = (struct place_fit){.affinity = true, .taint = -1, .top_preferred = true};
	w->pn[i] = (struct place_node){.zone = z, .open = true, .live = w->counts[i], .bound = w->counts[i] + 8,
				       .fit = w->fit[i]};
	place_node_counted(&w->pl, &w->pn[i], true);
	for (int k = 0; k < pods; k++)
		place_pod_add(&w->pl, &w->pn[i], g, +1, true);
	w->nodes[i] = (struct karp_node){cpu, 100 * GI, 100, false, &w->pn[i]};
}

static struct karp_result pw_solve(struct pw *w, const struct karp_pod *pods, size_t n)
{
	fix_state(&w->f, &w->sc, pods, n, w->nodes, w->nn, NULL);
	w->f.st.fits = &w->kf;
	w->f.st.pl = &w->pl;
	w->f.st.offers = w->off.price ? &w->off : NULL;
	w->f.st.now = w->now;
	w->f.st.zones_down = w->down;
	return w->f.r = karp_solve(w->f.s, &w->f.st);
}

/* The solves of w read the scenario's offerings, with an empty cache. */
static void pw_offers(struct pw *w)
{
	const struct scn_cluster *c = &w->sc.cluster;
	w->off = (struct karp_offers){c->catalog.n, c->n_zones, c->offer_price,
				      xcalloc(c->catalog.n * c->n_zones * 2, sizeof(simtime))};
}

static void pw_free(struct pw *w)
{
	free(w->off.until);
	karp_solver_free(w->f.s);
	karp_fits_release(&w->kf);
	place_release(&w->pl);
	scn_free(&w->sc);
}

/* n pods of group g asking cpu cores. */
static void group_pods(struct karp_pod *p, size_t n, double cpu, int g)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (struct karp_pod){cpu, 0, (simtime)i, g, NULL};
}

/* Where the pods went, per zone (0..2), existing nodes counted too; *none
 * gets the pods placed nowhere. */
static void per_zone(const struct pw *w, const struct karp_result *r, size_t n, int out[3], int *none)
{
	out[0] = out[1] = out[2] = 0;
	*none = 0;
	for (size_t i = 0; i < n; i++) {
		int z = -1;
		if (r->dest[i].kind == KARP_DEST_CLAIM)
			z = r->claims[r->dest[i].idx].zone;
		else if (r->dest[i].kind == KARP_DEST_NODE)
			z = w->pn[r->dest[i].idx].zone;
		else
			(*none)++;
		if (z >= 0)
			out[z]++;
	}
}

/* n pods of group 0 asking cpu cores, solved; where they went per zone
 * into z, *none those placed nowhere. */
static void solve_group0(struct pw *w, size_t n, double cpu, int z[3], int *none)
{
	struct karp_pod pods[16];
	cr_assert(n <= 16);
	group_pods(pods, n, cpu, 0);
	struct karp_result r = pw_solve(w, pods, n);
	per_zone(w, &r, n, z, none);
}

static int icmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* The counts a..c sorted ascending equal x <= y <= z (Gomega's ConsistOf). */
static void expect_skew(int c[3], int x, int y, int z)
{
	int s[3] = {c[0], c[1], c[2]};
	qsort(s, 3, sizeof *s, icmp);
	cr_expect(s[0] == x && s[1] == y && s[2] == z, "zones hold %d/%d/%d, want %d/%d/%d (any order)", c[0], c[1],
		  c[2], x, y, z);
}

/* topology, Zonal, It "should balance pods across zones (match labels)";
 * and the three zones, maxSkew 1, seven pods: 3/2/2. */
Test(karp_sched, topology_zonal_balances_pods_across_zones)
{
	size_t counts[] = {4, 7};
	int want[][3] = {{1, 1, 2}, {2, 2, 3}};
	for (size_t k = 0; k < 2; k++) {
		struct pw w = {0};
		pw_load(&w, fake_types, NP("default", ANY),
			SVC("web", "10m", SPREAD(ZONE_KEY, "1", "DoNotSchedule", "web", "")));
		struct karp_pod pods[7];
		group_pods(pods, counts[k], 0.01, 0);
		struct karp_result r = pw_solve(&w, pods, counts[k]);
		int z[3], none;
		per_zone(&w, &r, counts[k], z, &none);
		expect_skew(z, want[k][0], want[k][1], want[k][2]);
		cr_expect_eq(none, 0);
		pw_free(&w);
	}
}

/* topology, Zonal, It "should respect minDomains constraints": two zones
 * the pool allows, minDomains 3: the global minimum stays 0, one pod per
 * zone; and "satisfied minDomains constraints (equal)": three zones, 11
 * pods, 4/4/3. */
Test(karp_sched, topology_zonal_min_domains)
{
	struct pw w = {0};
	pw_load(&w, fake_types, NP("default", ZONES_REQ("[test-zone-1, test-zone-2]")),
		SVC("web", "10m", SPREAD(ZONE_KEY, "1", "DoNotSchedule", "web", ", minDomains: 3")));
	int z[3], none;
	solve_group0(&w, 3, 0.01, z, &none);
	cr_expect(z[0] == 1 && z[1] == 1 && z[2] == 0 && none == 1, "%d/%d/%d, %d nowhere", z[0], z[1], z[2], none);
	pw_free(&w);

	struct pw v = {0};
	pw_load(&v, fake_types, NP("default", ZONES_REQ("[test-zone-1, test-zone-2, test-zone-3]")),
		SVC("web", "10m", SPREAD(ZONE_KEY, "1", "DoNotSchedule", "web", ", minDomains: 3")));
	solve_group0(&v, 11, 0.01, z, &none);
	expect_skew(z, 3, 4, 4);
	cr_expect_eq(none, 0);
	pw_free(&v);
}

/* topology, Zonal, It "should not violate max-skew when unsat = do not
 * schedule": a pod in test-zone-1 (on a full node), the pool now allows
 * zones 2 and 3 only: of 10 pods 2 go to each, the rest nowhere. */
Test(karp_sched, topology_zonal_does_not_violate_max_skew)
{
	struct pw w = {0};
	pw_load(&w, fake_types, NP("default", ZONES_REQ("[test-zone-2, test-zone-3]")),
		SVC("web", "1100m", SPREAD(ZONE_KEY, "1", "DoNotSchedule", "web", "")));
	pw_node(&w, 0, 0.5, 0, 1);
	int z[3], none;
	solve_group0(&w, 10, 1.1, z, &none);
	cr_expect(z[0] == 0 && z[1] == 2 && z[2] == 2 && none == 6, "%d/%d/%d new, %d nowhere", z[0], z[1], z[2], none);
	pw_free(&w);
}

/* topology, Zonal, It "should schedule to the non-minimum domain if its all
 * that's available": a pod in each of zones 1 and 2, the pool allows zone 3
 * only, maxSkew 5: 6 of 10 pods go there (6 - 1 <= 5). */
Test(karp_sched, topology_zonal_non_minimum_domain_when_all_there_is)
{
	struct pw w = {0};
	pw_load(&w, fake_types, NP("default", ZONES_REQ("[test-zone-3]")),
		SVC("web", "1100m", SPREAD(ZONE_KEY, "5", "DoNotSchedule", "web", "")));
	pw_node(&w, 0, 0, 0, 1);
	pw_node(&w, 1, 0, 0, 1);
	int z[3], none;
	solve_group0(&w, 10, 1.1, z, &none);
	cr_expect(z[2] == 6 && none == 4, "zone 3 takes %d, %d nowhere", z[2], none);
	pw_free(&w);
}

/* topology, Zonal, It "should only schedule to minimum domains if already
 * violating max skew": zone 1 holds 3 pods (its nodes full); 3 more go
 * to zones 2 and 3, 2 and 1 (3/1/2 in upstream's any-order terms). */
Test(karp_sched, topology_zonal_only_minimum_domains_when_violating)
{
	struct pw w = {0};
	pw_load(&w, fake_types, NP("default", ANY), SVC("web", "1100m", SPREAD(ZONE_KEY, "1", "DoNotSchedule", "web", "")));
	pw_node(&w, 0, 0, 0, 3);
	int z[3], none;
	solve_group0(&w, 3, 1.1, z, &none);
	cr_expect(z[0] == 0 && z[1] + z[2] == 3 && abs(z[1] - z[2]) == 1 && none == 0, "%d/%d/%d", z[0], z[1], z[2]);
	pw_free(&w);
}

/* Hand-computed: Karpenter launches in the zone the spread needs. Zones
 * hold 2, 2 and 1 pods: the next pod's NodeClaim goes to test-zone-3. */
Test(karp_sched, topology_launches_in_the_zone_spread_needs)
{
	struct pw w = {0};
	pw_load(&w, fake_types, NP("default", ANY), SVC("web", "1100m", SPREAD(ZONE_KEY, "1", "DoNotSchedule", "web", "")));
	pw_node(&w, 0, 0, 0, 2);
	pw_node(&w, 1, 0, 0, 2);
	pw_node(&w, 2, 0, 0, 1);
	struct karp_pod pod = {1.1, 0, 0, 0, NULL};
	struct karp_result r = pw_solve(&w, &pod, 1);
	cr_assert_eq(r.n_claims, 1);
	cr_expect_eq(r.claims[0].zone, 2, "launched in zone %d", r.claims[0].zone);
	cr_expect_eq(r.claims[0].zones, 1u << 2);
	pw_free(&w);
}

/* Hand-computed, a lost zone (zones_down): as above, zones hold 2, 2 and
 * 1 pods, and test-zone-3 is lost. With DoNotSchedule the next pod needs
 * test-zone-3 (still a domain), where nothing launches: no NodeClaim, the
 * pod is placed nowhere. With ScheduleAnyway, required first and then
 * relaxed, it gets a NodeClaim of test-zone-1 and -2 only. */
Test(karp_sched, topology_launches_nothing_in_a_lost_zone)
{
	const char *when[] = {"DoNotSchedule", "ScheduleAnyway"};
	for (int k = 0; k < 2; k++) {
		char svc[2048];
		snprintf(svc, sizeof svc, "%s",
			 k ? SVC("web", "1100m", SPREAD(ZONE_KEY, "1", "ScheduleAnyway", "web", "")) :
			     SVC("web", "1100m", SPREAD(ZONE_KEY, "1", "DoNotSchedule", "web", "")));
		struct pw w = {0};
		pw_load(&w, fake_types, NP("default", ANY), svc);
		pw_node(&w, 0, 0, 0, 2);
		pw_node(&w, 1, 0, 0, 2);
		pw_node(&w, 2, 0, 0, 1);
		w.down = 1u << 2;
		struct karp_pod pod = {1.1, 0, 0, 0, NULL};
		struct karp_result r = pw_solve(&w, &pod, 1);
		if (!k) {
			cr_expect(r.n_claims == 0 && r.dest[0].kind == KARP_DEST_NONE, "%s: %zu claims", when[k],
				  r.n_claims);
		} else {
			cr_assert_eq(r.n_claims, 1, "%s", when[k]);
			cr_expect(r.claims[0].zones == 3u && r.claims[0].zone == 0, "%s: zones %#llx, zone %d", when[k],
				  (unsigned long long)r.claims[0].zones, r.claims[0].zone);
		}
		pw_free(&w);
	}
}

/* topology, Hostname, It "should balance pods across nodes" (maxSkew 1:
 * four pods, four nodes) and It "should balance pods on the same hostname
 * up to maxskew" (maxSkew 4: one node). */
Test(karp_sched, topology_hostname_spread)
{
	const char *skew[] = {"1", "4"};
	size_t want[] = {4, 1};
	for (size_t k = 0; k < 2; k++) {
		char svc[2048];
		snprintf(svc, sizeof svc, "%s",
			 k ? SVC("web", "10m", SPREAD(HOST_KEY, "4", "DoNotSchedule", "web", "")) :
			     SVC("web", "10m", SPREAD(HOST_KEY, "1", "DoNotSchedule", "web", "")));
		struct pw w = {0};
		pw_load(&w, fake_types, NP("default", ANY), svc);
		struct karp_pod pods[4];
		group_pods(pods, 4, 0.01, 0);
		struct karp_result r = pw_solve(&w, pods, 4);
		cr_expect_eq(r.n_claims, want[k], "maxSkew %s: %zu nodes", skew[k], r.n_claims);
		cr_expect_eq(count_dest(&r, 4, KARP_DEST_CLAIM), 4);
		pw_free(&w);
	}
}

#define ANTI(key, app)                                                                                                 \
	"            affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: " key   \
	", labelSelector: {matchLabels: {app: " app "}}}]}}\n"
#define AFFINE(key, app)                                                                                               \
	"            affinity: {podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: " key       \
	", labelSelector: {matchLabels: {app: " app "}}}]}}\n"

/* topology, Pod Affinity/Anti-Affinity, It "should separate nodes using
 * simple pod anti-affinity on hostname" (one pod per node, however small),
 * It "should respect self pod affinity (hostname)" (all on one node) and
 * It "should respect self pod affinity (zone)" (all in one zone). */
Test(karp_sched, topology_pod_affinity_and_anti_affinity_on_hostname_and_zone)
{
	struct pw w = {0};
	pw_load(&w, fake_types, NP("default", ANY),
		SVC("anti", "10m", ANTI(HOST_KEY, "anti")) SVC("host", "10m", AFFINE(HOST_KEY, "host"))
			SVC("zone", "1100m", AFFINE(ZONE_KEY, "zone")));
	struct karp_pod pods[12];
	group_pods(pods, 4, 0.01, 0);
	group_pods(pods + 4, 4, 0.01, 1);
	group_pods(pods + 8, 4, 1.1, 2);
	for (size_t i = 0; i < 12; i++)
		pods[i].created = (simtime)i;
	struct karp_result r = pw_solve(&w, pods, 12);
	int host_claim = -1, zone = -1;
	bool anti_apart = true, host_one = true, zone_one = true;
	for (size_t i = 0; i < 12; i++) {
		cr_assert_eq(r.dest[i].kind, KARP_DEST_CLAIM, "pod %zu placed nowhere", i);
		const struct karp_claim *c = &r.claims[r.dest[i].idx];
		if (i < 4) {
			for (size_t j = 0; j < i; j++)
				anti_apart &= r.dest[j].idx != r.dest[i].idx;
		} else if (i < 8) {
			host_one &= host_claim < 0 || host_claim == r.dest[i].idx;
			host_claim = r.dest[i].idx;
		} else {
			zone_one &= zone < 0 || zone == c->zone;
			zone = c->zone;
		}
	}
	cr_expect(anti_apart, "anti-affinity on hostname: one pod a node");
	cr_expect(host_one, "self affinity on hostname: one node");
	cr_expect(zone_one, "self affinity on zone: one zone");
	pw_free(&w);
}

/* topology, Pod Affinity/Anti-Affinity, It "should support pod
 * anti-affinity with a zone topology": three pods that avoid each other's
 * zone. A batch places one: its NodeClaim may land in any zone, so it
 * blocks them all (Record; "late committal"). Once its node exists in a
 * zone, the next batch places one more elsewhere, then the third; then
 * none. */
Test(karp_sched, topology_anti_affinity_on_zone_one_pod_a_batch)
{
	struct pw w = {0};
	pw_load(&w, fake_types, NP("default", ANY), SVC("web", "10m", ANTI(ZONE_KEY, "web")));
	bool used[3] = {false};
	for (int batch = 0; batch < 4; batch++) {
		struct karp_pod pods[3];
		group_pods(pods, 3, 0.01, 0);
		struct karp_result r = pw_solve(&w, pods, 3);
		int z[3], none;
		per_zone(&w, &r, 3, z, &none);
		cr_expect_eq(none, batch < 3 ? 2 : 3, "batch %d: %d placed nowhere", batch, none);
		if (batch == 3)
			break;
		cr_assert_eq(r.n_claims, 1);
		int at = r.claims[0].zone;
		cr_assert(at >= 0 && !used[at], "batch %d: zone %d", batch, at);
		used[at] = true;
		pw_node(&w, at, 0, 0, 1); /* the node is created in that zone, the pod bound */
	}
	pw_free(&w);
}

#define TAINTED(spec) "          template: {spec: {taints: [{key: test-key, value: test-value, effect: NoSchedule}]" spec "}}\n"
#define TOL(t) "            tolerations: [" t "]\n"

/* suite (Taints), It "should schedule pods that tolerate NodePool
 * constraints": with Exists and with Equal the pods get a node; without a
 * toleration, with another key, or with Equal and no value, none. */
Test(karp_sched, taints_only_tolerating_pods_get_a_tainted_pools_node)
{
	struct pw w = {0};
	pw_load(&w, fake_types, NP("default", TAINTED("")),
		SVC("exists", "10m", TOL("{key: test-key, operator: Exists, effect: NoSchedule}"))
			SVC("equal", "10m", TOL("{key: test-key, value: test-value, operator: Equal, effect: NoSchedule}"))
				SVC("none", "10m", "") SVC("other", "10m", TOL("{key: invalid, operator: Exists}"))
					SVC("novalue", "10m", TOL("{key: test-key, operator: Equal, effect: NoSchedule}")));
	struct karp_pod pods[5];
	for (int g = 0; g < 5; g++)
		pods[g] = (struct karp_pod){0.01, 0, g, g, NULL};
	struct karp_result r = pw_solve(&w, pods, 5);
	cr_expect_eq(r.dest[0].kind, KARP_DEST_CLAIM);
	cr_expect_eq(r.dest[1].kind, KARP_DEST_CLAIM);
	for (int g = 2; g < 5; g++)
		cr_expect_eq(r.dest[g].kind, KARP_DEST_NONE, "pod %d", g);
	pw_free(&w);
}

/* Hand-computed: a tainted, labelled PCI pool (weight 10) beside a general
 * one: card pods (tolerating, selecting workload: pci) go to the PCI pool,
 * web pods (neither) to the general pool though the PCI one weighs more. */
Test(karp_sched, taints_and_node_selector_split_pools)
{
	struct pw w = {0};
	pw_load(&w, fake_types,
		NP("pci", "          weight: 10\n          template: {metadata: {labels: {workload: pci}}, spec: {taints: "
			  "[{key: workload, value: pci, effect: NoSchedule}]}}\n") NP("general", ANY),
		SVC("card", "10m",
		    "            nodeSelector: {workload: pci}\n" TOL("{key: workload, value: pci, effect: NoSchedule}"))
			SVC("web", "10m", ""));
	struct karp_pod pods[2] = {{0.01, 0, 0, 0, NULL}, {0.01, 0, 1, 1, NULL}};
	struct karp_result r = pw_solve(&w, pods, 2);
	cr_assert_eq(r.n_claims, 2);
	cr_expect_str_eq(w.sc.cluster.karpenter.pools[r.claims[r.dest[0].idx].pool].name, "pci");
	cr_expect_str_eq(w.sc.cluster.karpenter.pools[r.claims[r.dest[1].idx].pool].name, "general");
	pw_free(&w);
}

/* Hand-computed: a nodeSelector on the zone and one on the architecture
 * narrow one NodeClaim's zone and options: both pods share a node of the
 * only arm64 type, in test-zone-2. */
Test(karp_sched, node_selector_narrows_zone_and_types)
{
	struct pw w = {0};
	pw_load(&w, fake_types, NP("default", ANY),
		SVC("z2", "10m", "            nodeSelector: {topology.kubernetes.io/zone: test-zone-2}\n")
			SVC("arm", "10m", "            nodeSelector: {kubernetes.io/arch: arm64}\n"));
	struct karp_pod pods[2] = {{0.01, 0, 0, 0, NULL}, {0.01, 0, 1, 1, NULL}};
	struct karp_result r = pw_solve(&w, pods, 2);
	cr_assert_eq(r.n_claims, 1);
	const struct karp_claim *a = &r.claims[0];
	cr_expect_eq(a->zone, 1);
	cr_expect_eq(a->zones, 1u << 1);
	cr_expect_eq(a->n_types, 1);
	cr_expect_str_eq(tname(&w.sc, a->types[0]), "arm.type");
	/* alone, the zone-pinned pod takes the cheapest type that holds it */
	r = pw_solve(&w, pods, 1);
	cr_expect_str_eq(launches(&w.sc, &r, 0), "small.type");
	cr_expect_eq(r.claims[0].zone, 1);
	pw_free(&w);
}

/* Hand-computed, preferences: a ScheduleAnyway zone spread is first taken
 * as required (preferences.go), then relaxed. The pool allows test-zone-1
 * only; an empty node in test-zone-2 makes it a domain. With
 * DoNotSchedule one pod of three is placed; with ScheduleAnyway all three,
 * in test-zone-1. A preferred zone is taken when a pool allows it, and
 * dropped when none does. */
Test(karp_sched, preferences_are_required_first_then_relaxed)
{
	const char *when[] = {"DoNotSchedule", "ScheduleAnyway"};
	for (int k = 0; k < 2; k++) {
		char svc[2048];
		snprintf(svc, sizeof svc, "%s",
			 k ? SVC("web", "10m", SPREAD(ZONE_KEY, "1", "ScheduleAnyway", "web", "")) :
			     SVC("web", "10m", SPREAD(ZONE_KEY, "1", "DoNotSchedule", "web", "")));
		struct pw w = {0};
		pw_load(&w, fake_types, NP("default", ZONES_REQ("[test-zone-1]")), svc);
		pw_node(&w, 1, 0, 0, 0);
		struct karp_pod pods[3];
		group_pods(pods, 3, 0.01, 0);
		struct karp_result r = pw_solve(&w, pods, 3);
		int z[3], none;
		per_zone(&w, &r, 3, z, &none);
		cr_expect_eq(z[0], k ? 3 : 1, "%s: %d in test-zone-1", when[k], z[0]);
		pw_free(&w);
	}
#define PREFER_Z2                                                                                                      \
	"            affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 50, preference: " \
	"{matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [test-zone-2]}]}}]}}\n"
	const char *pools[] = {NP("default", ANY), NP("default", ZONES_REQ("[test-zone-1, test-zone-3]"))};
	int want[] = {1, 0};
	for (int k = 0; k < 2; k++) {
		struct pw w = {0};
		pw_load(&w, fake_types, pools[k], SVC("web", "10m", PREFER_Z2));
		struct karp_pod pod = {0.01, 0, 0, 0, NULL};
		struct karp_result r = pw_solve(&w, &pod, 1);
		cr_assert_eq(r.n_claims, 1);
		cr_expect_eq(r.claims[0].zone, want[k]);
		pw_free(&w);
	}
}

/* Hand-computed: of several preferred node affinity terms Karpenter first
 * requires the heaviest (preferences.go), the first of the heaviest on a
 * tie: test-zone-3 at weight 10 and test-zone-2 at 50 make a NodeClaim of
 * test-zone-2; at 50 and 50, test-zone-3, the first. */
#define PREFER_TERM(w, zone)                                                                                           \
	"{weight: " w ", preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [" zone \
	"]}]}}"
#define PREFER_2(w3, w2)                                                                                               \
	"            affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: ["                     \
	PREFER_TERM(w3, "test-zone-3") ", " PREFER_TERM(w2, "test-zone-2") "]}}\n"
Test(karp_sched, preferences_the_heaviest_node_term_first)
{
	const char *svcs[] = {SVC("web", "10m", PREFER_2("10", "50")), SVC("web", "10m", PREFER_2("50", "50"))};
	int want[] = {1, 2};
	for (int k = 0; k < 2; k++) {
		struct pw w = {0};
		pw_load(&w, fake_types, NP("default", ANY), svcs[k]);
		struct karp_pod pod = {0.01, 0, 0, 0, NULL};
		struct karp_result r = pw_solve(&w, &pod, 1);
		cr_assert_eq(r.n_claims, 1);
		cr_expect_eq(r.claims[0].zone, want[k], "case %d: zone %d", k, r.claims[0].zone);
		pw_free(&w);
	}
}

/* ---- offerings (karp_offer.h) ----
 *
 * The launch's choice among offerings, ported from aws/karpenter-provider-
 * aws (commit in docs/model.md): pkg/providers/instancetype/suite_test.go
 * ("instancetype suite": Context "CapacityType", "Insufficient Capacity
 * Error Cache") and pkg/providers/instance/filter/filter.go, and from
 * instance_selection_test.go; the rest hand-computed. */

/* Offerings built by hand: nt types in nz zones, prices p[t][z][k]. */
struct offx {
	double price[32];
	simtime until[32];
	struct karp_offers o;
};

static void offx_init(struct offx *x, size_t nt, size_t nz, const double *p)
{
	cr_assert(nt * nz * 2 <= 32);
	memcpy(x->price, p, nt * nz * 2 * sizeof *p);
	memset(x->until, 0, sizeof x->until);
	x->o = (struct karp_offers){nt, nz, x->price, x->until};
}

static void expect_pick(struct karp_pick p, int type, int zone, int k, double price, const char *what)
{
	cr_expect(p.type == type && (type < 0 || (p.zone == zone && p.k == k && fabs(p.price - price) < 1e-12)),
		  "%s: got type %d zone %d %s %g, want type %d zone %d %s %g", what, p.type, p.zone,
		  p.k ? "spot" : "on-demand", p.price, type, zone, k ? "spot" : "on-demand", price);
}

#define BOTH (SCN_ON_DEMAND | SCN_SPOT)

/* instancetype suite, Context "CapacityType", It "should launch spot
 * capacity if flexible to both spot and on demand"; then, hand-computed,
 * the cheapest available offering wins, an offering marked unavailable
 * (an insufficient-capacity error) is passed over for 3 minutes to the
 * next cheapest, spot before on-demand while any spot is left, and comes
 * back when the TTL ends. Type 0: on-demand 1.0, spot 0.3 in zone 0 and
 * 0.25 in zone 1; type 1: on-demand 0.8, spot 0.35. */
Test(karp_sched, offerings_the_cheapest_available_wins_spot_first)
{
	static const double p[] = {1.0, 0.3, 1.0, 0.25, 0.8, 0.35, 0.8, 0.35};
	const int both[] = {0, 1};
	struct offx x;
	offx_init(&x, 2, 2, p);
	struct karp_offers *o = &x.o;
	expect_pick(karp_offer_pick(o, both, 2, 3, BOTH, false, 0), 0, 1, KARP_SPOT, 0.25, "both allowed");
	expect_pick(karp_offer_pick(o, both, 2, 3, SCN_ON_DEMAND, false, 0), 1, 0, KARP_OD, 0.8, "on-demand only");
	expect_pick(karp_offer_pick(o, both, 2, 1, SCN_SPOT, false, 0), 0, 0, KARP_SPOT, 0.3, "spot in zone 0");
	cr_expect_eq(karp_offer_min(o, 0, 3, BOTH, 0), 0.25);
	cr_expect_eq(karp_offer_worst(o, 0, 3, BOTH, 0), 0.3, "WorstLaunchPrice: the dearest spot offering");
	cr_expect_eq(karp_offer_worst(o, 0, 3, SCN_ON_DEMAND, 0), 1.0);
	simtime t = 90 * SIM_S;
	karp_offer_mark(o, 0, 1, KARP_SPOT, t);
	expect_pick(karp_offer_pick(o, both, 2, 3, BOTH, false, t), 0, 0, KARP_SPOT, 0.3, "type 0 spot in zone 1 out");
	karp_offer_mark(o, 0, 0, KARP_SPOT, t);
	expect_pick(karp_offer_pick(o, both, 2, 3, BOTH, false, t), 1, 0, KARP_SPOT, 0.35, "type 0 spot out");
	karp_offer_mark(o, 1, 0, KARP_SPOT, t);
	karp_offer_mark(o, 1, 1, KARP_SPOT, t);
	expect_pick(karp_offer_pick(o, both, 2, 3, BOTH, false, t), 1, 0, KARP_OD, 0.8, "no spot left: on-demand");
	expect_pick(karp_offer_pick(o, both, 2, 3, SCN_SPOT, false, t), -1, 0, 0, 0, "spot only: nothing");
	cr_expect(!karp_offer_any(o, 1, 3, SCN_SPOT, t));
	simtime ttl = t + 3 * SIM_MIN;
	expect_pick(karp_offer_pick(o, both, 2, 3, BOTH, false, ttl - 1), 1, 0, KARP_OD, 0.8, "1 ns before the TTL");
	expect_pick(karp_offer_pick(o, both, 2, 3, BOTH, false, ttl), 0, 1, KARP_SPOT, 0.25, "3 minutes later");
}

/* pkg/providers/instance/filter/filter.go SpotOfferingFilter, as the
 * instancetype suite's It "should order the instance types by price and
 * only consider the spot types that are cheaper than the cheapest
 * on-demand" has it: with both capacity types allowed, spot offerings
 * dearer than the cheapest on-demand one (0.5) are left out, so the
 * launch is on-demand; with minValues, or spot alone allowed, the filter
 * does not apply. Type 0: on-demand 0.5, spot 0.6; type 1: 1.0, 0.55. */
Test(karp_sched, offerings_spot_dearer_than_on_demand_is_left_out)
{
	static const double p[] = {0.5, 0.6, 1.0, 0.55};
	const int both[] = {0, 1};
	struct offx x;
	offx_init(&x, 2, 1, p);
	cr_expect_eq(karp_offer_spot_cap(&x.o, both, 2, 1, BOTH, false, 0), 0.5);
	expect_pick(karp_offer_pick(&x.o, both, 2, 1, BOTH, false, 0), 0, 0, KARP_OD, 0.5, "filtered");
	expect_pick(karp_offer_pick(&x.o, both, 2, 1, BOTH, true, 0), 1, 0, KARP_SPOT, 0.55, "minValues");
	expect_pick(karp_offer_pick(&x.o, both, 2, 1, SCN_SPOT, false, 0), 1, 0, KARP_SPOT, 0.55, "spot only");
}

/* A pool item with requirements r and the test's offerings in zones. */
#define OFFER_ZONES "  zones: [test-zone-1, test-zone-2, test-zone-3]\n"

/* instance_selection_test.go, Instance Type Selection, the cases with
 * zones and capacity types: "(prov zone = test-zone-2)", "(pod zone =
 * test-zone-2)", "(prov ct = spot)", "(pod ct = spot)", "(prov ct =
 * ondemand, prov zone = test-zone-1)", "(pod ct = spot, pod zone =
 * test-zone-1)", "(prov ct = spot, pod zone = test-zone-2)", over
 * fake.InstanceTypesAssorted (every type offered as spot and on-demand in
 * the three zones at PriceFromResources; the upstream list has one
 * offering per name, the same set): the claim launches at the least price,
 * into an offering of the zone and capacity type asked for, and its zones
 * and capacity types (what Create is given) are those. The BeforeEach pool
 * allows spot and on-demand. Hand-computed, "(pod ct = on-demand)": a pod
 * asking for on-demand keeps its claim on-demand although spot would come
 * first. */
Test(karp_sched, offerings_instance_selection_zones_and_capacity_types)
{
#define CT_KEY "karpenter.sh/capacity-type"
	static const struct {
		const char *it, *reqs, *pod;
		int zone;        /* -1: any */
		int k;
		unsigned cts;
	} rows[] = {
		{"(prov zone = test-zone-2)", "[{key: " ZONE_KEY ", operator: In, values: [test-zone-2]}]", "", 1, KARP_SPOT,
		 BOTH},
		{"(pod zone = test-zone-2)", "[{key: " CT_KEY ", operator: In, values: [spot, on-demand]}]",
		 "            nodeSelector: {" ZONE_KEY ": test-zone-2}\n", 1, KARP_SPOT, BOTH},
		{"(prov ct = spot)", "[{key: " CT_KEY ", operator: In, values: [spot]}]", "", -1, KARP_SPOT, SCN_SPOT},
		{"(pod ct = spot)", "[{key: " CT_KEY ", operator: In, values: [spot, on-demand]}]",
		 "            nodeSelector: {" CT_KEY ": spot}\n", -1, KARP_SPOT, SCN_SPOT},
		{"(prov ct = ondemand, prov zone = test-zone-1)",
		 "[{key: " CT_KEY ", operator: In, values: [on-demand]}, {key: " ZONE_KEY ", operator: In, values: "
		 "[test-zone-1]}]",
		 "", 0, KARP_OD, SCN_ON_DEMAND},
		{"(pod ct = spot, pod zone = test-zone-1)", "[{key: " CT_KEY ", operator: In, values: [spot, on-demand]}]",
		 "            nodeSelector: {" CT_KEY ": spot, " ZONE_KEY ": test-zone-1}\n", 0, KARP_SPOT, SCN_SPOT},
		{"(prov ct = spot, pod zone = test-zone-2)", "[{key: " CT_KEY ", operator: In, values: [spot]}]",
		 "            nodeSelector: {" ZONE_KEY ": test-zone-2}\n", 1, KARP_SPOT, SCN_SPOT},
		{"(pod ct = on-demand), hand-computed", "[{key: " CT_KEY ", operator: In, values: [spot, on-demand]}]",
		 "            nodeSelector: {" CT_KEY ": on-demand}\n", -1, KARP_OD, SCN_ON_DEMAND},
	};
	static char cat[16384];
	assorted(cat, sizeof cat);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char pools[512], svc[2048];
		snprintf(pools, sizeof pools, NP("default", "          template: {spec: {requirements: %s}}\n"), rows[i].reqs);
		snprintf(svc, sizeof svc, SVC("web", "10m", "%s"), rows[i].pod);
		struct pw w = {0};
		pw_load(&w, cat, pools, svc);
		pw_offers(&w);
		struct karp_pod pod = {0, 0, 0, 0, NULL};
		struct karp_result r = pw_solve(&w, &pod, 1);
		cr_assert_eq(r.n_claims, 1, "%s", rows[i].it);
		const struct karp_claim *c = &r.claims[0];
		cr_expect(fabs(c->offer.price - MIN_PRICE) < 1e-9, "%s: %s at %g", rows[i].it, tname(&w.sc, c->offer.type),
			  c->offer.price);
		cr_expect_eq(c->offer.k, rows[i].k, "%s: capacity type", rows[i].it);
		cr_expect_eq(c->cts, rows[i].cts, "%s: the claim's capacity types", rows[i].it);
		if (rows[i].zone >= 0) {
			cr_expect_eq(c->zone, rows[i].zone, "%s: zone", rows[i].it);
			cr_expect_eq(karp_claim_zones(&w.f.st, c->pool, c->zones), 1u << rows[i].zone, "%s: zones", rows[i].it);
		}
		for (size_t t = 0; t < c->n_types; t++)
			cr_expect(karp_offer_any(&w.off, c->types[t], karp_claim_zones(&w.f.st, c->pool, c->zones), c->cts, 0),
				  "%s: option %s has no offering there", rows[i].it, tname(&w.sc, c->types[t]));
		pw_free(&w);
	}
}

/* Two on-demand types, and spot at 30 % of it (fake overhead). */
static const char m5_two[] = "name,arch,vcpu,memory_mib,max_pods,price_usd_hour,spot_price_usd_hour\n"
			     "m5.large,amd64,2,8192,29,0.096,0.0288\n"
			     "m5.xlarge,amd64,4,16384,58,0.192,0.0576\n";

#define OD_POOL NP("default", REQS("[{key: " CT_KEY ", operator: In, values: [on-demand]}]"))

/* instancetype suite, Context "Insufficient Capacity Error Cache", It
 * "should launch smaller instances than optimal if larger instance launch
 * results in Insufficient Capacity Error": two pods of 1 core pinned to
 * test-zone-1 share one m5.xlarge; with m5.xlarge on-demand in test-zone-1
 * marked unavailable, the next solve gives each its own m5.large. */
Test(karp_sched, offerings_ice_smaller_types_when_the_larger_is_out)
{
	struct pw w = {0};
	pw_load(&w, m5_two, OD_POOL, SVC("web", "1", "            nodeSelector: {" ZONE_KEY ": test-zone-1}\n"));
	pw_offers(&w);
	struct karp_pod pods[2];
	group_pods(pods, 2, 1, 0);
	struct karp_result r = pw_solve(&w, pods, 2);
	cr_assert_eq(r.n_claims, 1);
	cr_expect_str_eq(tname(&w.sc, r.claims[0].offer.type), "m5.xlarge");
	karp_offer_mark(&w.off, r.claims[0].offer.type, 0, KARP_OD, 0);
	w.now = SIM_S;
	r = pw_solve(&w, pods, 2);
	cr_assert_eq(r.n_claims, 2);
	for (size_t c = 0; c < 2; c++) {
		cr_expect_str_eq(tname(&w.sc, r.claims[c].offer.type), "m5.large");
		cr_expect_eq(r.claims[c].n_types, 1, "m5.xlarge is no option");
		cr_expect_eq(r.claims[c].zone, 0);
	}
	pw_free(&w);
}

/* instancetype suite, "Insufficient Capacity Error Cache", It "should
 * launch instances in a different zone on second reconciliation attempt
 * with Insufficient Capacity Error Cache fallback": a pod pinned to
 * m5.xlarge that prefers test-zone-1 gets it there; with that offering
 * marked unavailable its preference is relaxed and it goes to test-zone-2.
 * It "should launch instances on later reconciliation attempt with
 * Insufficient Capacity Error Cache expiry": 3 minutes later, test-zone-1
 * again. */
Test(karp_sched, offerings_ice_another_zone_then_back_after_the_ttl)
{
#define PREFER_Z1                                                                                                      \
	"            affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1, preference: "  \
	"{matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [test-zone-1]}]}}]}}\n"
	struct pw w = {0};
	pw_load(&w, m5_two, OD_POOL,
		SVC("web", "1", "            nodeSelector: {node.kubernetes.io/instance-type: m5.xlarge}\n" PREFER_Z1));
	pw_offers(&w);
	struct karp_pod pod = {1, 0, 0, 0, NULL};
	struct karp_result r = pw_solve(&w, &pod, 1);
	cr_assert_eq(r.n_claims, 1);
	cr_expect_eq(r.claims[0].zone, 0);
	int t = r.claims[0].offer.type;
	karp_offer_mark(&w.off, t, 0, KARP_OD, 0);
	w.now = SIM_S;
	r = pw_solve(&w, &pod, 1);
	cr_assert_eq(r.n_claims, 1);
	cr_expect_eq(r.claims[0].zone, 1, "test-zone-2 once test-zone-1 is out");
	cr_expect_str_eq(tname(&w.sc, r.claims[0].offer.type), "m5.xlarge");
	w.now = 3 * SIM_MIN;
	r = pw_solve(&w, &pod, 1);
	cr_expect_eq(r.claims[0].zone, 0, "the cache entry expired");
	pw_free(&w);
}

/* instancetype suite, "Insufficient Capacity Error Cache", It "should
 * launch on-demand capacity if flexible to both spot and on-demand, but
 * spot is unavailable": a pool of test-zone-1 allowing both; every type's
 * spot offering there marked unavailable, the claim is on-demand. */
Test(karp_sched, offerings_ice_on_demand_when_spot_is_out)
{
	struct pw w = {0};
	pw_load(&w, m5_two,
		NP("default", REQS("[{key: " CT_KEY ", operator: In, values: [spot, on-demand]}, {key: " ZONE_KEY
				   ", operator: In, values: [test-zone-1]}]")),
		SVC("web", "1", ""));
	pw_offers(&w);
	struct karp_pod pod = {1, 0, 0, 0, NULL};
	struct karp_result r = pw_solve(&w, &pod, 1);
	cr_assert_eq(r.n_claims, 1);
	cr_expect_eq(r.claims[0].offer.k, KARP_SPOT);
	cr_expect_eq(r.claims[0].offer.price, 0.0288);
	for (int t = 0; t < 2; t++)
		karp_offer_mark(&w.off, t, 0, KARP_SPOT, 0);
	r = pw_solve(&w, &pod, 1);
	cr_assert_eq(r.n_claims, 1);
	cr_expect_eq(r.claims[0].offer.k, KARP_OD);
	cr_expect_eq(r.claims[0].offer.price, 0.096);
	cr_expect_eq(r.claims[0].zone, 0);
	pw_free(&w);
}
