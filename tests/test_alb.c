/*
 * Several clusters behind an ALB (docs/clusters.md; models/alb.h,
 * sim/scn_alb.c).
 *
 * The rules come from AWS's Elastic Load Balancing documentation: a
 * forward action's target groups weigh 0 to 999 and a request goes to one
 * of them in proportion to the weights; a deregistering target gets no
 * new request, and its in-flight requests complete until the
 * deregistration delay is over (Target groups for your Application Load
 * Balancers: "Deregistration delay"). The weight schedule is checked at
 * hand-computed times; the share of requests against the binomial bounds;
 * draining against the arrivals counted one by one.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alb.h"
#include "harness.h"
#include "sim.h"
#include "world.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/hr-alb-XXXXXX");
	cr_assert(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(alb, .init = setup, .fini = teardown);

/* ---- the pure functions ---- */

Test(alb, pick_by_cumulative_weight)
{
	const double w13[] = {1, 3};
	cr_expect_eq(alb_pick(w13, 2, 0.0), 0);
	cr_expect_eq(alb_pick(w13, 2, 0.2499), 0);
	cr_expect_eq(alb_pick(w13, 2, 0.25), 1);
	cr_expect_eq(alb_pick(w13, 2, 0.9999999), 1);
	const double w0[] = {0, 999, 0};
	cr_expect_eq(alb_pick(w0, 3, 0.0), 1, "a weight of 0 never takes a request");
	cr_expect_eq(alb_pick(w0, 3, 0.99999), 1);
	const double none[] = {0, 0};
	cr_expect_eq(alb_pick(none, 2, 0.5), -1, "no weight: no target group (the ALB answers 503)");
}

/* Steps at 10 s, a linear shift from 20 s to 30 s, a deregistration at 40 s
 * and a registration at 50 s, by hand. */
Test(alb, weights_follow_the_schedule)
{
	struct scn_alb_step steps[4] = {
		{.at = 10 * SIM_S, .weight = {900, 100, -1, -1, -1}},
		{.at = 20 * SIM_S, .over = 10 * SIM_S, .weight = {0, 999, -1, -1, -1}},
		{.at = 40 * SIM_S, .weight = {-1, -1, -1, -1, -1}, .deregister = 2},
		{.at = 50 * SIM_S, .weight = {500, 500, -1, -1, -1}, .reregister = 2},
	};
	struct scn_alb_rule r = {.name = "r", .n_tgs = 2, .steps = steps, .n_steps = 4};
	r.tgs[0].weight = 999;
	r.tgs[1].weight = 0;
	static const struct {
		double t_s, w0, w1;
		bool reg1;
	} want[] = {
		{0, 999, 0, true},	   {9.999, 999, 0, true},    {10, 900, 100, true},   {19.999, 900, 100, true},
		{20, 900, 100, true},	   {25, 450, 549.5, true},   {27.5, 225, 774.25, true}, {30, 0, 999, true},
		{39.999, 0, 999, true},	   {40, 0, 0, false},	     {49.999, 0, 0, false},    {50, 500, 500, true},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		double w[SCN_ALB_MAX_TGS];
		simtime t = (simtime)llround(want[i].t_s * 1e9);
		alb_weights_at(&r, t, w);
		cr_expect(fabs(w[0] - want[i].w0) < 1e-6 && fabs(w[1] - want[i].w1) < 1e-6,
			  "at %.3f s: weights %.4f, %.4f; want %.4f, %.4f", want[i].t_s, w[0], w[1], want[i].w0, want[i].w1);
		cr_expect_eq(alb_registered_at(&r, 1, t), want[i].reg1, "at %.3f s", want[i].t_s);
		cr_expect(alb_registered_at(&r, 0, t));
	}
}

/* ---- runs ---- */

/* Two clusters a and b of one static node each (32 cores), service s in
 * both (one pod of 1 core, limit 16, 100 workers), its traffic `rate` rps
 * of `work` CPU each forwarded by rule r to target groups a and b, with
 * `tgs` extra keys and `schedule`. */
static const char *two_clusters(double rate, const char *work, const char *tga, const char *tgb, const char *schedule,
				const char *duration)
{
	static char yaml[4096];
	snprintf(yaml, sizeof yaml,
		 "name: alb\nduration: %s\nsample_interval: 10s\nseed: 3\n"
		 "cluster:\n  nodes:\n"
		 "    - {name: na, count: 1, allocatable: {cpu: 32, memory: 64Gi}, labels: {headroom.io/cluster: a}}\n"
		 "    - {name: nb, count: 1, allocatable: {cpu: 32, memory: 64Gi}, labels: {headroom.io/cluster: b}}\n"
		 "clusters: [{name: a, version: \"1.31\"}, {name: b, version: \"1.32\"}]\n"
		 "alb:\n  rules:\n    - name: r\n      services: [s]\n      target_groups:\n"
		 "        - {name: a, cluster: a%s}\n        - {name: b, cluster: b%s}\n"
		 "      schedule: %s\n"
		 "services:\n  s:\n    replicas: 1\n    resources: {requests: {cpu: 1}, limits: {cpu: 16}}\n"
		 "    workers: 100\n    queue: unbounded\n    timeout: 60s\n"
		 "    cpu_per_request: %s\n    traffic: {rate: %grps}\n",
		 duration, tga, tgb, schedule, work, rate);
	return harness_put(dir, "alb.yaml", yaml);
}

/* The target group rows of a run, summed. */
struct tg_sums {
	int64_t req[2], cut[2];
	int64_t req_after[2]; /* in intervals ending after `after` s + one interval */
	double after;
	struct sink next;
	double cost[4];
	int max_nodes[4];
	size_t n_cost;
	double total_cost;
};

static void on_tg(void *ctx, const struct row_tg *r)
{
	struct tg_sums *t = ctx;
	int g = !strcmp(r->target_group, "b");
	t->req[g] += r->requests;
	t->cut[g] += r->cut;
	if (r->t_s > t->after + 10)
		t->req_after[g] += r->requests;
}

static void on_total(void *ctx, const struct row_kcluster_total *r)
{
	struct tg_sums *t = ctx;
	cr_assert_lt(t->n_cost, 4);
	t->max_nodes[t->n_cost] = r->max_nodes;
	t->cost[t->n_cost++] = r->cost_usd;
}

static void on_cost(void *ctx, const struct row_cost *r)
{
	struct tg_sums *t = ctx;
	t->total_cost = r->cost_usd;
}

static void on_sample(void *ctx, const struct row_sample *r)
{
	struct tg_sums *t = ctx;
	t->next.sample(t->next.ctx, r);
}
static void on_summary(void *ctx, const struct row_summary *r)
{
	struct tg_sums *t = ctx;
	t->next.summary(t->next.ctx, r);
}

/* Accepted arrivals at service `svc` (the copy in cluster a) in (from, to] s. */
struct arrivals {
	int svc;
	double from, to;
	int64_t n;
};

static void count_arrival(void *ctx, const struct service *sv, simtime t, double work)
{
	(void)work;
	struct arrivals *a = ctx;
	double ts = sim_to_s(t);
	if (sv->idx == a->svc && ts > a->from && ts <= a->to)
		a->n++;
}

static void run(const struct scenario *sc, struct tg_sums *t, struct memsink *m, struct arrivals *a)
{
	t->next = memsink_init(m);
	struct sink out = {.ctx = t,
			   .sample = on_sample,
			   .summary = on_summary,
			   .cost = on_cost,
			   .target_group = on_tg,
			   .kcluster_total = on_total};
	struct sim s;
	sim_init(&s, sc->seed, sc->duration);
	struct world *w = world_new(&s, sc, &out);
	if (a) {
		w->arrival_hook = count_arrival;
		w->hook_ctx = a;
	}
	sim_run(&s);
	world_finish(w);
	world_free(w);
	sim_release(&s);
}

/* Weights 1:3: a quarter of the requests to a. Each request draws its
 * target group alone, so a's count is binomial(N, 1/4): within
 * N/4 +- 3.29 sqrt(N x 1/4 x 3/4) (99.9 %, two-sided) with the seed. */
Test(alb, weights_1_to_3_give_a_quarter)
{
	struct scenario sc;
	harness_load(&sc, two_clusters(200, "1ms", ", weight: 1", ", weight: 3", "[]", "5m"));
	cr_assert_eq(sc.n_services, 2, "s@a and s@b");
	cr_expect_str_eq(sc.services[0].name, "s@a");
	cr_expect_str_eq(sc.services[1].name, "s@b");
	struct tg_sums t = {.after = 1e9};
	struct memsink m;
	run(&sc, &t, &m, NULL);
	double n = (double)(t.req[0] + t.req[1]), half = 3.29 * sqrt(n * 0.25 * 0.75);
	cr_expect_gt(n, 55000, "about 60000 requests in 5 min at 200 rps: %.0f", n);
	cr_expect(fabs((double)t.req[0] - n / 4) <= half, "a took %lld of %.0f: outside %.0f +- %.0f",
		  (long long)t.req[0], n, n / 4, half);
	/* every request the ALB sent arrived at its copy */
	cr_expect_eq(memsink_summary(&m, "s@a")->requests, t.req[0]);
	cr_expect_eq(memsink_summary(&m, "s@b")->requests, t.req[1]);
	memsink_free(&m);
	scn_free(&sc);
}

/* Draining: a is deregistered at 60 s. Each request takes 2 s of CPU on a
 * pod with cores to spare, so exactly 2 s. With a delay of 300 s every
 * request in flight finishes and a takes no new one; with 0 s the ALB cuts
 * every request in flight at 60 s: those that arrived in (58, 60] s. */
Test(alb, draining_keeps_in_flight_and_takes_no_new)
{
	const char *sched = "[{at: 60s, deregister: [a]}]";
	struct scenario sc;
	harness_load(&sc, two_clusters(4, "2s", ", weight: 1, deregistration_delay: 300", ", weight: 1", sched, "3m"));
	struct tg_sums t = {.after = 60};
	struct memsink m;
	run(&sc, &t, &m, NULL);
	const struct row_summary *a = memsink_summary(&m, "s@a");
	cr_expect_gt(t.req[0], 100, "a took about half of 240 requests before 60 s: %lld", (long long)t.req[0]);
	cr_expect_eq(t.req_after[0], 0, "no new request after the deregistration");
	cr_expect_gt(t.req_after[1], 400);
	cr_expect_eq(t.cut[0], 0);
	cr_expect_eq(a->errors, 0, "in-flight requests finish within the delay");
	cr_expect_eq(a->served, a->requests);
	memsink_free(&m);
	scn_free(&sc);

	harness_load(&sc, two_clusters(4, "2s", ", weight: 1, deregistration_delay: 0", ", weight: 1", sched, "3m"));
	struct arrivals in = {0, 58, 60, 0};
	t = (struct tg_sums){.after = 60};
	run(&sc, &t, &m, &in);
	a = memsink_summary(&m, "s@a");
	cr_expect_gt(in.n, 1, "a few requests in flight at 60 s: %lld", (long long)in.n);
	cr_expect_eq(t.cut[0], in.n, "cut %lld, in flight %lld", (long long)t.cut[0], (long long)in.n);
	cr_expect_eq(a->errors, in.n, "each cut request is an error for its client");
	cr_expect_eq(a->served + a->errors, a->requests);
	memsink_free(&m);
	scn_free(&sc);
}

/* Deregistered at 60 s, registered again at 62 s, deregistered again at
 * 70 s, with a delay of 15 s: the cut is due at 70 + 15 = 85 s, not at
 * 60 + 15 = 75 s (the first deregistration's, which the register ended).
 * Each request takes 8 s of CPU on a pod with cores to spare, so the last
 * ones a takes (by 70 s) finish by 78 s, before 85 s: none is cut. */
Test(alb, a_second_deregistration_has_its_own_delay)
{
	const char *sched = "[{at: 60s, deregister: [a]}, {at: 62s, register: [a]}, {at: 70s, deregister: [a]}]";
	struct scenario sc;
	harness_load(&sc, two_clusters(4, "8s", ", weight: 1, deregistration_delay: 15", ", weight: 1", sched, "2m"));
	struct arrivals in = {0, 67, 70, 0};
	struct tg_sums t = {.after = 1e9};
	struct memsink m;
	run(&sc, &t, &m, &in);
	const struct row_summary *a = memsink_summary(&m, "s@a");
	cr_expect_gt(in.n, 1, "a took requests in (67, 70] s, in flight at 75 s: %lld", (long long)in.n);
	cr_expect_eq(t.cut[0], 0, "cut %lld: the first deregistration's delay ended at 75 s", (long long)t.cut[0]);
	cr_expect_eq(a->errors, 0);
	cr_expect_eq(a->served, a->requests);
	memsink_free(&m);
	scn_free(&sc);
}

/* The clusters' costs add up to the cluster's (the cost row). */
Test(alb, cluster_costs_sum_to_the_total)
{
	struct scenario sc;
	harness_load(&sc, "scenarios/cluster-upgrade.yaml");
	struct tg_sums t = {.after = 1e9};
	struct memsink m;
	run(&sc, &t, &m, NULL);
	cr_assert_eq(t.n_cost, 2);
	cr_expect_gt(t.cost[0], 0);
	cr_expect_gt(t.cost[1], 0);
	cr_expect(fabs(t.cost[0] + t.cost[1] - t.total_cost) < 1e-9 * t.total_cost, "%.12f + %.12f != %.12f",
		  t.cost[0], t.cost[1], t.total_cost);
	/* calls stay in their cluster: payment@green gets requests only from
	 * order@green, so none before green's first weight (20 min), and
	 * payment@blue none while blue is deregistered (42 to 70 min; the
	 * samples from one interval after) */
	double green_before = 0, blue_drained = 0;
	for (size_t i = 0; i < m.n_samples; i++) {
		const struct row_sample *r = &m.samples[i];
		if (!strcmp(r->service, "payment@green") && r->t_s <= 1200)
			green_before += r->offered_rps;
		if (!strcmp(r->service, "payment@blue") && r->t_s > 2530 && r->t_s <= 4200)
			blue_drained += r->offered_rps;
	}
	cr_expect_eq(green_before, 0);
	cr_expect_eq(blue_drained, 0);
	memsink_free(&m);
	scn_free(&sc);
}

/* The expansion: a PDB per cluster over that cluster's copies, and a
 * target group's slow start on its cluster's copies. */
Test(alb, expansion_splits_pdbs_and_sets_slow_start)
{
	struct scenario sc;
	harness_load(&sc, "scenarios/cluster-upgrade.yaml");
	cr_assert_eq(sc.n_services, 4);
	cr_assert_eq(sc.n_pdbs, 4, "order and payment, in blue and in green");
	for (size_t k = 0; k < sc.n_pdbs; k++) {
		cr_assert_eq(sc.pdbs[k].n_services, 1);
		int s = sc.pdbs[k].services[0];
		cr_expect_eq(sc.services[s].pdb, (int)k, "%s", sc.services[s].name);
	}
	int og = scn_service_index(&sc, "order@green"), ob = scn_service_index(&sc, "order");
	cr_expect_str_eq(sc.services[ob].name, "order@blue", "a name as written is its first copy");
	cr_expect_neq(sc.services[og].pdb, sc.services[ob].pdb);
	scn_free(&sc);
	harness_load(&sc, two_clusters(10, "1ms", ", weight: 1", ", weight: 1, slow_start: 60", "[]", "1m"));
	cr_expect_eq(sc.services[0].slow_start.kind, SLOW_START_NONE);
	cr_expect_eq(sc.services[1].slow_start.kind, SLOW_START_ALB);
	cr_expect_eq(sc.services[1].slow_start.window, 60 * SIM_S);
	cr_expect_str_eq(sc.services[1].placement.node_selector[0].key, "headroom.io/cluster");
	cr_expect_str_eq(sc.services[1].placement.node_selector[0].value, "b");
	scn_free(&sc);
}

/* Cluster Autoscaler node groups as clusters: each cluster's pods start
 * nodes of its own group only (two groups of one m5.large, each copy's 3
 * pods of 1 core need two more in its cluster). */
Test(alb, ca_node_groups_per_cluster)
{
	harness_put(dir, "cat.csv",
		    "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
		    "m5.large,amd64,2,8192,29,0.096\n");
	struct scenario sc;
	harness_load(&sc, harness_put(dir, "ca.yaml",
		"name: ca\nduration: 10m\nsample_interval: 10s\n"
		"cluster:\n  catalog: cat.csv\n  provisioner: cluster-autoscaler\n  cluster_autoscaler:\n"
		"    node_groups:\n"
		"      - {name: ga, instance: m5.large, min: 1, max: 5, size: 1, labels: {headroom.io/cluster: a}}\n"
		"      - {name: gb, instance: m5.large, min: 1, max: 5, size: 1, labels: {headroom.io/cluster: b}}\n"
		"clusters: [{name: a}, {name: b}]\n"
		"alb: {rules: [{services: [s], target_groups: [{name: a, cluster: a}, {name: b, cluster: b}]}]}\n"
		"services:\n  s:\n    replicas: 3\n    resources: {requests: {cpu: 1, memory: 1Gi}}\n"
		"    cpu_per_request: 1ms\n    traffic: {rate: 10rps}\n"));
	struct tg_sums t = {.after = 1e9};
	struct memsink m;
	run(&sc, &t, &m, NULL);
	cr_assert_eq(t.n_cost, 2);
	/* one 1-core pod per m5.large: three nodes in each cluster (its group's
	 * one and two CA adds for its own pods), so between two nodes for the
	 * 10 min (0.032 USD) and three (0.048 USD) */
	for (int c = 0; c < 2; c++) {
		cr_expect_eq(t.max_nodes[c], 3, "cluster %d: %d nodes", c, t.max_nodes[c]);
		cr_expect(t.cost[c] > 0.032 && t.cost[c] <= 0.048 + 1e-12, "cluster %d: %.6f USD", c, t.cost[c]);
	}
	cr_expect(fabs(t.cost[0] + t.cost[1] - t.total_cost) < 1e-9 * t.total_cost);
	memsink_free(&m);
	scn_free(&sc);
}

/* ---- bad input ---- */

static void expect_bad(const char *yaml, const char *want)
{
	struct scenario sc;
	struct herr e;
	const char *path = harness_put(dir, "bad.yaml", yaml);
	char full[1024];
	snprintf(full, sizeof full, "%s:%s", path, want);
	cr_expect_eq(scn_load(&sc, path, NULL, 0, &e), -1, "loaded: %s", want);
	cr_expect_str_eq(e.msg, full);
}

static const char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	cr_assert(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(alb, bad_input_says_where)
{
	/* target_groups' list is line 15, column 9; its second item line 16; the schedule line 17 */
	expect_bad(slurp(two_clusters(10, "1ms", ", weight: 0", ", weight: 0", "[]", "1m")),
		   "15:9: target_groups: the weights are all 0; a forward action needs a weight above 0 somewhere "
		   "(0 to 999 each)");
	expect_bad(slurp(two_clusters(10, "1ms", ", weight: 1", ", weight: 1", "[{at: 10s, weights: {a: 0, b: 0}}]", "1m")),
		   "17:37: weights: every target group of rule 'r' would weigh 0; a forward action needs a weight above 0 "
		   "somewhere (deregister a target group to drain it)");
	char yaml[4096];
	snprintf(yaml, sizeof yaml, "%s", slurp(two_clusters(10, "1ms", "", "", "[]", "1m")));
	char *b = strstr(yaml, "{name: b, cluster: b}");
	cr_assert(b);
	memcpy(b, "{name: b, cluster: c}", 21);
	expect_bad(yaml, "16:30: cluster: 'c' names no cluster of clusters: (a, b)");
	/* a node group without its cluster; a call from a cluster where a
	 * multi-cluster callee does not run, with no rule forwarding it */
	expect_bad("name: alb\nduration: 1m\ncluster:\n  nodes:\n"
		   "    - {name: na, count: 1, allocatable: {cpu: 32, memory: 64Gi}}\n"
		   "clusters: [{name: a}]\nservices:\n  s: {replicas: 1, resources: {requests: {cpu: 1}}, "
		   "cpu_per_request: 1ms, traffic: {rate: 1rps}}\n",
		   "4:3: node group 'na' has no label headroom.io/cluster: with clusters: every node group and NodePool "
		   "names its cluster (template.metadata.labels of a NodePool, labels of a node group)");
	expect_bad("name: alb\nduration: 1m\ncluster:\n  nodes:\n"
		   "    - {name: na, count: 1, allocatable: {cpu: 32, memory: 64Gi}, labels: {headroom.io/cluster: a}}\n"
		   "    - {name: nb, count: 1, allocatable: {cpu: 32, memory: 64Gi}, labels: {headroom.io/cluster: b}}\n"
		   "    - {name: nc, count: 1, allocatable: {cpu: 32, memory: 64Gi}, labels: {headroom.io/cluster: c}}\n"
		   "clusters: [{name: a}, {name: b}, {name: c}]\nservices:\n"
		   "  s: {clusters: [c], replicas: 1, resources: {requests: {cpu: 1}}, cpu_per_request: 1ms, "
		   "traffic: {rate: 1rps}, calls: [{service: t}]}\n"
		   "  t: {clusters: [a, b], replicas: 1, resources: {requests: {cpu: 1}}, cpu_per_request: 1ms}\n",
		   "10:3: service 's' calls 't' from cluster 'c', where it does not run, and no alb rule forwards 't'");
	/* a cluster named twice in a service's clusters: */
	expect_bad("name: alb\nduration: 1m\ncluster:\n  nodes:\n"
		   "    - {name: na, count: 1, allocatable: {cpu: 32, memory: 64Gi}, labels: {headroom.io/cluster: a}}\n"
		   "clusters: [{name: a}]\nservices:\n"
		   "  s: {clusters: [a, a], replicas: 1, resources: {requests: {cpu: 1}}, cpu_per_request: 1ms, "
		   "traffic: {rate: 1rps}}\n",
		   "8:21: clusters: 'a' is named twice");
	/* a service pinned to a zone that no node of its cluster is in */
	expect_bad("name: alb\nduration: 1m\n"
		   "cluster:\n  nodes:\n"
		   "    - {name: na, count: 1, allocatable: {cpu: 32, memory: 64Gi}, zone: us-east-1a, "
		   "labels: {headroom.io/cluster: a}}\n"
		   "    - {name: nb, count: 1, allocatable: {cpu: 32, memory: 64Gi}, zone: us-east-1c, "
		   "labels: {headroom.io/cluster: b}}\n"
		   "clusters: [{name: a}, {name: b}]\n"
		   "services:\n  s:\n    clusters: [a]\n    cpu_per_request: 1ms\n    traffic: {rate: 1rps}\n"
		   "    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: s}\n"
		   "      spec:\n        replicas: 1\n        selector: {matchLabels: {app: s}}\n        template:\n"
		   "          metadata: {labels: {app: s}}\n          spec:\n"
		   "            nodeSelector: {topology.kubernetes.io/zone: us-east-1c}\n"
		   "            containers: [{name: s, image: s, resources: {requests: {cpu: 1}}, "
		   "readinessProbe: {httpGet: {path: /, port: 80}}}]\n",
		   "9:3: service 's': no node group or NodePool of cluster 'a' admits its pods (their nodeSelector, zone, "
		   "affinity and tolerations against the cluster's nodes)");
}
