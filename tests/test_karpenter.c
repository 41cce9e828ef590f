/*
 * Karpenter against hand-computed cases, on a small catalog written by the
 * test (prices chosen so the cheapest fitting type is known):
 *
 *   type       vCPU  MiB    pods  USD/h   allocatable (Karpenter, EKS)
 *   c5.large   2     4096   29    0.085   1.930 cores
 *   m5.large   2     8192   29    0.096   1.930 cores
 *   m5.xlarge  4     16384  58    0.192   3.920 cores
 *   m5.2xlarge 8     32768  58    0.384   7.910 cores
 *
 * No DaemonSets; the service's pods request 1 core and 1 GiB, so a
 * c5.large (3,199 MiB allocatable) holds 1 pod, an m5.large 1 (1.93 cores),
 * an m5.xlarge 3, an m5.2xlarge 7.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "karpenter.h"
#include "plan.h"
#include "sim.h"
#include "world.h"

#define EPS 1e-6

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/hr-karp-XXXXXX");
	cr_assert(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof path, "%s/cat.csv", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
	      "c5.large,amd64,2,4096,29,0.085\n"
	      "m5.large,amd64,2,8192,29,0.096\n"
	      "m5.xlarge,amd64,4,16384,58,0.192\n"
	      "m5.2xlarge,amd64,8,32768,58,0.384\n",
	      f);
	fclose(f);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(karpenter, .init = setup, .fini = teardown);

/* A scenario of `replicas` pods of 1 core / 1 GiB and no traffic to speak
 * of, Karpenter with one NodePool; `extra` is appended to the NodePool's
 * spec, `lat` replaces the latencies. */
static void load(struct scenario *sc, int replicas, const char *extra, const char *duration)
{
	char path[128], yaml[4096];
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	snprintf(yaml, sizeof yaml,
		 "name: k\nduration: %s\nsample_interval: 10s\n"
		 "cluster:\n  catalog: cat.csv\n  provisioner: karpenter\n  karpenter:\n"
		 "    latency: {launch: 2s, registration: 30s, initialization: 5s}\n"
		 "    nodepools:\n      - apiVersion: karpenter.sh/v1\n        kind: NodePool\n"
		 "        metadata: {name: pool}\n        spec:\n%s%s"
		 "services:\n  a:\n    replicas: %d\n    resources: {requests: {cpu: \"1\", memory: 1Gi}}\n"
		 "    cpu_per_request: 1ms\n    traffic: {rate: 1rps}\n"
		 "    startup: {image_pull: {first: 0s}, container_start: 0s, app_start: 0s,"
		 " readinessProbe: {periodSeconds: 1}}\n",
		 duration, strstr(extra, "template:") ? "" : "          template: {spec: {}}\n", extra, replicas);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(yaml, f);
	fclose(f);
	struct herr e;
	cr_assert_eq(scn_load(sc, path, NULL, 0, &e), 0, "%s", e.msg);
}

static int scale_to;

static simtime scale_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct world *w = obj;
	pod_scale(w, &w->svcs[0], (int)arg);
	return SIM_DONE;
}

static simtime trigger_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)arg;
	struct world *w = obj;
	w->prov.pod_unschedulable(w, w->prov.self, NULL);
	return s->now < 25 * SIM_S ? SIM_S / 2 : SIM_DONE;
}

/* Runs sc: the Deployment goes to `scale_to` replicas at 10 s (its pods
 * of t = 0 are on nodes made before the run); with `poke`, a pod trigger
 * every 0.5 s from 10.5 s to 25 s; with `empty_at` > 0, 0 replicas then. */
static struct memsink run2(const struct scenario *sc, bool poke, double empty_at)
{
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct sim s;
	sim_init(&s, sc->seed, sc->duration);
	struct world *w = world_new(&s, sc, &out);
	if (scale_to > 0)
		sim_at(&s, 10 * SIM_S, PRIO_CONTROL, scale_ev, w, (uint64_t)scale_to);
	if (poke)
		sim_at(&s, 10 * SIM_S + SIM_S / 2, PRIO_CONTROL, trigger_ev, w, 0);
	if (empty_at > 0)
		sim_at(&s, (simtime)(empty_at * 1e9), PRIO_CONTROL, scale_ev, w, 0);
	sim_run(&s);
	world_finish(w);
	world_free(w);
	sim_release(&s);
	return m;
}

static struct memsink run(const struct scenario *sc, bool poke) { return run2(sc, poke, 0); }

/* The time of the n-th (from 0) event of a kind, or -1. */
static double nth(const struct memsink *m, const char *kind, const char *event, int k)
{
	for (size_t i = 0; i < m->n_decisions; i++) {
		const struct row_decision *r = &m->decisions[i].r;
		if (!strcmp(r->kind, kind) && !strcmp(r->event, event) && k-- == 0)
			return r->t_s;
	}
	return -1;
}

static int count(const struct memsink *m, const char *kind, const char *event, double *first, char *detail,
		 size_t dlen)
{
	int n = 0;
	for (size_t i = 0; i < m->n_decisions; i++) {
		const struct row_decision *r = &m->decisions[i].r;
		if (strcmp(r->kind, kind) || strcmp(r->event, event))
			continue;
		if (!n && first)
			*first = r->t_s;
		if (!n && detail)
			snprintf(detail, dlen, "%s", r->detail ? r->detail : "");
		n++;
	}
	return n;
}

/* One pod at t = 0 sits on a c5.large made before the run (the cheapest
 * type for it). At 10 s three more pods fit nowhere: the batch closes 1 s
 * after the trigger (idle) and one claim takes all three: its options are
 * the types holding 3 cores and 3 GiB, m5.xlarge and m5.2xlarge, and it
 * launches the cheapest, named with them in its row. It registers 2 + 30 s
 * later and is Ready 5 s after that. */
Test(karpenter, batch_closes_after_idle_and_launches_the_cheapest_fit)
{
	struct scenario sc;
	load(&sc, 1, "", "2m");
	scale_to = 4;
	struct memsink m = run(&sc, false);
	double t = -1;
	char detail[128];
	cr_expect_eq(count(&m, "node", "ready", &t, detail, sizeof detail), 2);
	cr_expect(t == 0 && !strncmp(detail, "c5.large", 8), "the node of t = 0: %s at %.3f s", detail, t);
	cr_expect_eq(count(&m, "node", "launched", &t, detail, sizeof detail), 1);
	cr_expect(fabs(t - 11) < EPS, "launched at %.3f s, want 11 s (idle 1 s after the trigger at 10 s)", t);
	cr_expect_str_eq(detail, "m5.xlarge, 0.19 USD/h; cheapest of 2 compatible types: m5.xlarge, m5.2xlarge",
			 "the NodeClaim's options, cheapest first");
	cr_expect(fabs(nth(&m, "node", "registered", 0) - 43) < EPS, "registered at %.3f s, want 43 s",
		  nth(&m, "node", "registered", 0));
	cr_expect(fabs(nth(&m, "node", "ready", 1) - 48) < EPS, "ready at %.3f s, want 48 s", nth(&m, "node", "ready", 1));
	cr_expect_eq(count(&m, "pod", "ready", NULL, NULL, 0), 3);
	memsink_free(&m);
	scn_free(&sc);
}

/* Triggers every 0.5 s keep the window open: it closes 10 s after it opened. */
Test(karpenter, batch_closes_at_max_duration)
{
	struct scenario sc;
	load(&sc, 1, "", "2m");
	scale_to = 4;
	struct memsink m = run(&sc, true);
	double t = -1;
	cr_expect_eq(count(&m, "node", "launched", &t, NULL, 0), 1);
	cr_expect(fabs(t - 20) < EPS, "launched at %.3f s, want 20 s (batch-max-duration after 10 s)", t);
	memsink_free(&m);
	scn_free(&sc);
}

/* The batch window over a state built directly (batcher.go): idle 5 s,
 * max 10 s. Pod a opens it at 0 s; a triggers again at 3 s: the window
 * still closes at 5 s (a is not new to it; resetting on every trigger
 * would close it at 8 s). Pod b, new, at 4 s: it closes at 9 s. Pods
 * triggering every 2 s without end: 10 s after it opened. Closed, a is new
 * again in the next window. A trigger with no dedupe key (NULL) always
 * extends. */
Test(karpenter, batch_window_resets_idle_only_on_new_triggers)
{
	const simtime idle = 5 * SIM_S, max = 10 * SIM_S;
	struct karp_batch b = {0};
	uint64_t a = 0, pb = 0, more[8] = {0};
	cr_expect(karp_batch_trigger(&b, 0, &a), "the first trigger opens the window");
	cr_expect_eq(karp_batch_closes(&b, idle, max), 5 * SIM_S);
	cr_expect(!karp_batch_trigger(&b, 3 * SIM_S, &a));
	cr_expect_eq(karp_batch_closes(&b, idle, max), 5 * SIM_S, "closes at %.3f s, want 5 s",
		     (double)karp_batch_closes(&b, idle, max) / SIM_S);
	karp_batch_trigger(&b, 4 * SIM_S, &pb);
	cr_expect_eq(karp_batch_closes(&b, idle, max), 9 * SIM_S);
	for (int i = 0; i < 8; i++)
		karp_batch_trigger(&b, (simtime)(4 + 2 * i) * SIM_S, &more[i]);
	cr_expect_eq(karp_batch_closes(&b, idle, max), 10 * SIM_S, "batch-max-duration");
	karp_batch_close(&b);
	cr_expect(karp_batch_trigger(&b, 12 * SIM_S, &a), "a new window");
	cr_expect(!karp_batch_trigger(&b, 14 * SIM_S, &a));
	cr_expect_eq(karp_batch_closes(&b, idle, max), 17 * SIM_S);
	cr_expect(!karp_batch_trigger(&b, 15 * SIM_S, NULL));
	cr_expect_eq(karp_batch_closes(&b, idle, max), 20 * SIM_S, "TriggerNow extends");
}

static simtime retrigger_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	(void)arg;
	struct world *w = obj;
	struct service *sv = &w->svcs[0];
	for (uint32_t j = 0; j < sv->n_pods; j++)
		if (!sv->pods[j]->slot_free && !sv->pods[j]->bound) {
			w->prov.pod_unschedulable(w, w->prov.self, sv->pods[j]);
			break;
		}
	return SIM_DONE;
}

/* The same in a run, idle 5 s: one pod pending at 10 s opens the window;
 * at 13 s it is tried again (still no room) and triggers again: the claim
 * launches at 15 s, not 18 s. A new pod at 13 s instead: 18 s. */
Test(karpenter, a_pod_triggering_again_does_not_extend_the_batch)
{
	for (int pass = 0; pass < 2; pass++) {
		struct scenario sc;
		load(&sc, 1, "", "1m");
		sc.cluster.karpenter.batch_idle = 5 * SIM_S;
		struct memsink m;
		struct sink out = memsink_init(&m);
		struct sim s;
		sim_init(&s, sc.seed, sc.duration);
		struct world *w = world_new(&s, &sc, &out);
		sim_at(&s, 10 * SIM_S, PRIO_CONTROL, scale_ev, w, 2);
		if (pass)
			sim_at(&s, 13 * SIM_S, PRIO_CONTROL, scale_ev, w, 3);
		else
			sim_at(&s, 13 * SIM_S, PRIO_CONTROL, retrigger_ev, w, 0);
		sim_run(&s);
		world_finish(w);
		world_free(w);
		sim_release(&s);
		double t = -1, want = pass ? 18 : 15;
		cr_expect_eq(count(&m, "node", "launched", &t, NULL, 0), 1, "pass %d", pass);
		cr_expect(fabs(t - want) < EPS, "pass %d: launched at %.3f s, want %.0f s", pass, t, want);
		memsink_free(&m);
		scn_free(&sc);
	}
}

/* One more pod: the cheapest type that holds 1 core and 1 GiB is c5.large. */
Test(karpenter, one_pod_gets_the_cheapest_type)
{
	struct scenario sc;
	load(&sc, 1, "", "1m");
	scale_to = 2;
	struct memsink m = run(&sc, false);
	char detail[128];
	cr_expect_eq(count(&m, "node", "launched", NULL, detail, sizeof detail), 1);
	cr_expect(!strncmp(detail, "c5.large", 8), "launched %s, want c5.large", detail);
	memsink_free(&m);
	scn_free(&sc);
}

/* A cpu limit of 6 vCPU: the c5.large of t = 0 counts 2; the claim for 5
 * more pods could only be an m5.2xlarge (8 vCPU: over), so it shrinks to
 * what fits the limit: an m5.xlarge (4 vCPU) with 3 pods; 2 pods cannot be
 * provisioned. Without the limit the 5 go on one m5.2xlarge. */
Test(karpenter, limits_stop_a_launch)
{
	struct scenario sc;
	load(&sc, 1, "          limits: {cpu: \"6\"}\n", "1m");
	scale_to = 6;
	struct memsink m = run(&sc, false);
	char detail[128];
	cr_expect_eq(count(&m, "node", "launched", NULL, detail, sizeof detail), 1);
	cr_expect(!strncmp(detail, "m5.xlarge", 9), "launched %s", detail);
	cr_expect_eq(count(&m, "pod", "unprovisionable", NULL, NULL, 0), 2);
	cr_expect_eq(count(&m, "pod", "ready", NULL, NULL, 0), 3);
	memsink_free(&m);
	scn_free(&sc);
	load(&sc, 1, "", "1m");
	m = run(&sc, false);
	cr_expect_eq(count(&m, "node", "launched", NULL, detail, sizeof detail), 1);
	cr_expect(!strncmp(detail, "m5.2xlarge", 10), "launched %s", detail);
	memsink_free(&m);
	scn_free(&sc);
}

static struct memsink run_emptied(const struct scenario *sc) { return run2(sc, false, 60); }

/* The node of t = 0 (an m5.xlarge for 3 pods) empties at 60 s; with
 * consolidateAfter 1m it is Consolidatable at 120 s, found by the poll at
 * 120 s (polls every 10 s), and deleted after the 15 s validation, at 135 s
 * (emptiness_test.go, It "should wait for the node TTL for empty nodes
 * before consolidating": the command waits out the validation delay). */
Test(karpenter, empty_node_consolidated_after_consolidate_after)
{
	struct scenario sc;
	load(&sc, 3, "          disruption: {consolidationPolicy: WhenEmpty, consolidateAfter: 1m}\n", "5m");
	scale_to = 0;
	struct memsink m = run_emptied(&sc);
	double cand = -1, gone = -1;
	cr_expect_eq(count(&m, "node", "disruption-candidate", &cand, NULL, 0), 1);
	cr_expect(fabs(cand - 120) < EPS, "candidate at %.3f s, want 120 s", cand);
	cr_expect_eq(count(&m, "node", "deleted", &gone, NULL, 0), 1);
	cr_expect(fabs(gone - 135) < EPS, "deleted at %.3f s, want 135 s", gone);
	memsink_free(&m);
	scn_free(&sc);
}

/* Ten c5.large nodes of t = 0, emptied at 60 s: the default budget (10 %, rounded up: 1 node)
 * deletes one per command, each 15 s after it was planned; a 50 % budget
 * deletes 5 at once. */
Test(karpenter, budgets_limit_nodes_disrupted_at_once)
{
	static const char *pool = "          template: {spec: {requirements: [{key: node.kubernetes.io/instance-type, "
				  "operator: In, values: [c5.large]}]}}\n";
	char extra[512];
	struct scenario sc;
	for (int pass = 0; pass < 2; pass++) {
		snprintf(extra, sizeof extra, "%s          disruption: {consolidateAfter: 1m%s}\n", pool,
			 pass ? ", budgets: [{nodes: \"50%\"}]" : "");
		load(&sc, 10, extra, "10m");
		scale_to = 0;
		struct memsink m = run_emptied(&sc);
		cr_assert_eq(count(&m, "node", "ready", NULL, NULL, 0), 10);
		double t[16];
		int n = 0;
		for (size_t i = 0; i < m.n_decisions && n < 16; i++)
			if (!strcmp(m.decisions[i].r.kind, "node") && !strcmp(m.decisions[i].r.event, "deleted"))
				t[n++] = m.decisions[i].r.t_s;
		cr_expect_eq(n, 10, "pass %d: %d nodes deleted", pass, n);
		int first = 0;
		for (int i = 0; i < n; i++)
			first += fabs(t[i] - t[0]) < EPS;
		cr_expect_eq(first, pass ? 5 : 1, "pass %d: %d nodes deleted in the first command", pass, first);
		cr_expect(fabs(t[0] - 135) < EPS, "first deletion at %.3f s", t[0]);
		for (int i = 1; i < n; i++)
			cr_expect(fabs(t[i] - t[i - 1]) < EPS || t[i] - t[i - 1] >= 15 - EPS,
				  "pass %d: deletions at %.3f and %.3f s", pass, t[i - 1], t[i]);
		memsink_free(&m);
		scn_free(&sc);
	}
}

/* A pod larger than any instance type the pool allows (16 cores; the
 * largest is 8 vCPU): reported as unprovisionable, never launched for, and
 * the run goes on. */
Test(karpenter, a_pod_larger_than_any_instance_is_reported_not_a_crash)
{
	char path[128];
	snprintf(path, sizeof path, "%s/big.yaml", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("name: big\nduration: 2m\ncluster:\n  catalog: cat.csv\n  provisioner: karpenter\n  nodes:\n"
	      "    - {name: base, instance: m5.large}\n  karpenter:\n    nodepools:\n"
	      "      - {apiVersion: karpenter.sh/v1, kind: NodePool, metadata: {name: p}, spec: {template: {spec: {}}}}\n"
	      "services:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: \"16\"}}\n    cpu_per_request: 1ms\n"
	      "    traffic: {rate: 1rps}\n",
	      f);
	fclose(f);
	struct scenario sc;
	struct herr e;
	cr_assert_eq(scn_load(&sc, path, NULL, 0, &e), 0, "%s", e.msg);
	scale_to = 0;
	struct memsink m = run(&sc, false);
	char detail[256];
	cr_expect_eq(count(&m, "pod", "unprovisionable", NULL, detail, sizeof detail), 1);
	cr_expect(strstr(detail, "16 cores") != NULL, "%s", detail);
	cr_expect_eq(count(&m, "node", "launched", NULL, NULL, 0), 0);
	cr_expect_eq(m.n_summaries, 1);
	cr_expect_eq(m.summaries[0].served, 0);
	memsink_free(&m);
	scn_free(&sc);
}

/* A scenario whose cluster is the catalog, then `head`, then `cluster`
 * must fail to load with `want` after "DIR/bad.yaml:", or, when want
 * starts with OFFBAD, in that CSV. In want, CAT stands for the catalog's
 * path, OFF for off.csv's, OFFBAD for bad.csv's, DIR/ for the test's
 * folder. */
static void expect_bad_cluster(const char *head, const char *cluster, const char *want_in, size_t row)
{
	char path[128], yaml[2048], want[1024], full[1200];
	snprintf(path, sizeof path, "%s/bad.yaml", dir);
	snprintf(yaml, sizeof yaml,
		 "name: bad\nduration: 1m\ncluster:\n  catalog: cat.csv\n%s%s"
		 "services:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 1}}\n    cpu_per_request: 1ms\n"
		 "    traffic: {rate: 1rps}\n",
		 head, cluster);
	FILE *y = fopen(path, "w");
	cr_assert(y);
	fputs(yaml, y);
	fclose(y);
	static const char *const keys[] = {"OFFBAD", "CAT", "OFF", "DIR/"};
	static const char *const vals[] = {"/bad.csv", "/cat.csv", "/off.csv", "/"};
	snprintf(want, sizeof want, "%s", want_in);
	for (size_t k = 0; k < 4; k++) {
		char *at = strstr(want, keys[k]), tail[1024];
		if (!at)
			continue;
		snprintf(tail, sizeof tail, "%s", at + strlen(keys[k]));
		snprintf(at, sizeof want - (size_t)(at - want), "%s%s%s", dir, vals[k], tail);
	}
	if (!strncmp(want, dir, strlen(dir)))
		snprintf(full, sizeof full, "%s", want); /* located in a CSV */
	else
		snprintf(full, sizeof full, "%s:%s", path, want);
	struct scenario sc;
	struct herr e;
	int rc = scn_load(&sc, path, NULL, 0, &e);
	cr_expect_eq(rc, -1, "row %zu loaded", row);
	if (rc == 0) {
		scn_free(&sc);
		return;
	}
	cr_expect_str_eq(e.msg, full, "row %zu:\n got  %s\n want %s", row, e.msg, full);
}

/* Bad input: a type missing from the catalog (with a suggestion), a
 * NodePool whose requirements match nothing, an unknown requirement key. */
Test(karpenter, bad_catalog_and_nodepool_input)
{
	static const struct {
		const char *cluster;
		const char *want;
	} rows[] = {
		{"  nodes: [{name: base, instance: m5.larg}]\n",
		 "6:34: instance: no instance type 'm5.larg' in CAT; did you mean 'm5.large'?"},
		{"  provisioner: karpenter\n  karpenter:\n    nodepools:\n      - apiVersion: karpenter.sh/v1\n"
		 "        kind: NodePool\n        metadata: {name: gpu}\n        spec:\n          template:\n"
		 "            spec:\n              requirements:\n"
		 "                - {key: karpenter.k8s.aws/instance-family, operator: In, values: [p5]}\n",
		 "16:17: NodePool 'gpu': its requirements match no instance type in CAT"},
		{"  provisioner: karpenter\n  karpenter:\n    nodepools:\n      - apiVersion: karpenter.sh/v1\n"
		 "        kind: NodePool\n        metadata: {name: p}\n        spec:\n          template:\n"
		 "            spec:\n              requirements:\n"
		 "                - {key: karpenter.k8s.aws/instance-familly, operator: In, values: [m5]}\n",
		 "16:25: key: 'karpenter.k8s.aws/instance-familly' is not a label headroom models; did you mean "
		 "'karpenter.k8s.aws/instance-family'?"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) /* row 0's bad type replaces the good node list */
		expect_bad_cluster(i ? "  nodes: [{name: n, instance: m5.large}]\n" : "  provisioner: none\n", rows[i].cluster,
				   rows[i].want, i);
}

/* Latencies per instance family: m5 registers in 50 s instead of 30 s. */
Test(karpenter, latency_per_instance_family)
{
	struct scenario sc;
	load(&sc, 1, "", "2m");
	const char *sets[] = {"cluster.karpenter.latency={launch: 2s, registration: 30s, initialization: 5s, "
			      "families: {m5: {registration: 50s}}}"};
	scn_free(&sc);
	char path[128];
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	struct herr e;
	cr_assert_eq(scn_load(&sc, path, sets, 1, &e), 0, "%s", e.msg);
	scale_to = 4;
	struct memsink m = run(&sc, false);
	cr_expect(fabs(nth(&m, "node", "registered", 0) - 63) < EPS, "registered at %.3f s, want 11 + 2 + 50 s",
		  nth(&m, "node", "registered", 0));
	cr_expect(fabs(nth(&m, "node", "ready", 1) - 68) < EPS, "ready at %.3f s", nth(&m, "node", "ready", 1));
	memsink_free(&m);
	scn_free(&sc);
	/* A family the catalog does not have is refused where it is named, with
	 * the catalog's nearest family. */
	const char *bad[] = {"cluster.karpenter.latency={families: {m55: {registration: 50s}}}"};
	cr_assert_neq(scn_load(&sc, path, bad, 1, &e), 0);
	cr_expect(strstr(e.msg, "families: no instance family 'm55' in ") && strstr(e.msg, "did you mean 'm5'?"), "%s",
		  e.msg);
}

/* An EC2NodeClass with kubelet maxPods 2: three more pods no longer fit one
 * m5.xlarge; the claim for the first two becomes an m5.xlarge (2 cores),
 * the third gets a c5.large. */
Test(karpenter, ec2nodeclass_kubelet_max_pods_changes_the_choice)
{
	struct scenario sc;
	load(&sc, 1, "", "2m");
	scn_free(&sc);
	const char *sets[] = {"cluster.karpenter.nodeclasses=[{apiVersion: karpenter.k8s.aws/v1, kind: EC2NodeClass, "
			      "metadata: {name: small}, spec: {amiFamily: AL2023, role: KarpenterNodeRole, kubelet: {maxPods: 2}}}]",
			      "cluster.karpenter.nodepools.0.spec.template.spec={nodeClassRef: {group: karpenter.k8s.aws, kind: "
			      "EC2NodeClass, name: small}}"};
	char path[128];
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	struct herr e;
	cr_assert_eq(scn_load(&sc, path, sets, 2, &e), 0, "%s", e.msg);
	scale_to = 4;
	struct memsink m = run(&sc, false);
	char types[256] = "";
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (!strcmp(r->kind, "node") && !strcmp(r->event, "launched"))
			strncat(types, r->detail, sizeof types - strlen(types) - 2), strcat(types, ";");
	}
	cr_expect(strstr(types, "m5.xlarge") && strstr(types, "c5.large") && count(&m, "node", "launched", NULL, NULL, 0) == 2,
		  "launched: %s", types);
	memsink_free(&m);
	scn_free(&sc);
	/* A NodePool naming a node class that is not there. */
	const char *bad[] = {sets[0], "cluster.karpenter.nodepools.0.spec.template.spec={nodeClassRef: {name: big}}"};
	cr_assert_eq(scn_load(&sc, path, bad, 2, &e), -1);
	cr_expect(strstr(e.msg, "no EC2NodeClass 'big'") != NULL, "%s", e.msg);
}

/* Liveness: a registration that takes 20 min is cut at the 15 min
 * registration timeout (the claim is deleted and a new batch launches the
 * next); a launch of 6 min at the 5 min launch timeout. */
Test(karpenter, liveness_timeouts_delete_and_retry)
{
	static const struct {
		const char *latency, *event;
		double at;
	} rows[] = {{"{launch: 2s, registration: 20m, initialization: 5s}", "registration-timeout", 11 + 900},
		    {"{launch: 6m, registration: 30s, initialization: 5s}", "launch-timeout", 11 + 300}};
	for (size_t i = 0; i < 2; i++) {
		struct scenario sc;
		char path[128], set[160];
		load(&sc, 1, "", "20m");
		scn_free(&sc);
		snprintf(path, sizeof path, "%s/s.yaml", dir);
		snprintf(set, sizeof set, "cluster.karpenter.latency=%s", rows[i].latency);
		const char *sets[] = {set};
		struct herr e;
		cr_assert_eq(scn_load(&sc, path, sets, 1, &e), 0, "%s", e.msg);
		scale_to = 2;
		struct memsink m = run(&sc, false);
		double t = nth(&m, "node", rows[i].event, 0);
		cr_expect(fabs(t - rows[i].at) < EPS, "%s at %.3f s, want %.0f s", rows[i].event, t, rows[i].at);
		/* The next claim is launched one batch later. */
		cr_expect(fabs(nth(&m, "node", "launched", 1) - (rows[i].at + 1)) < EPS, "relaunch at %.3f s",
			  nth(&m, "node", "launched", 1));
		memsink_free(&m);
		scn_free(&sc);
	}
}

/* Single-node replacement: 7 pods at t = 0 make one m5.2xlarge (0.384
 * USD/h). At 60 s the Deployment shrinks to 2: their 2 cores fit no other
 * node, but an m5.xlarge (0.192 USD/h) holds them. Consolidatable at 120 s,
 * the command runs at 135 s: the m5.xlarge launches, is Ready at 135 + 2 +
 * 30 + 5 = 172 s, and then the m5.2xlarge drains. */
Test(karpenter, replaces_a_node_with_a_cheaper_one)
{
	struct scenario sc;
	load(&sc, 7, "          disruption: {consolidateAfter: 1m}\n", "6m");
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct sim s;
	sim_init(&s, sc.seed, sc.duration);
	struct world *w = world_new(&s, &sc, &out);
	sim_at(&s, 60 * SIM_S, PRIO_CONTROL, scale_ev, w, 2);
	sim_run(&s);
	world_finish(w);
	world_free(w);
	sim_release(&s);
	char detail[128];
	cr_expect_eq(count(&m, "node", "launched", NULL, detail, sizeof detail), 1);
	cr_expect(!strncmp(detail, "m5.xlarge", 9), "replacement %s", detail);
	cr_expect(fabs(nth(&m, "node", "replacing", 0) - 135) < EPS, "replacing at %.3f s", nth(&m, "node", "replacing", 0));
	cr_expect(fabs(nth(&m, "node", "launched", 0) - 135) < EPS);
	cr_expect(fabs(nth(&m, "node", "draining", 0) - 172) < EPS, "old node drains at %.3f s",
		  nth(&m, "node", "draining", 0));
	cr_expect_eq(count(&m, "node", "deleted", NULL, NULL, 0), 1);
	memsink_free(&m);
	scn_free(&sc);
}

/* The same, every launch taking 6 min: the replacement of 135 s is
 * deleted at the launch timeout (435 s) and the m5.2xlarge is a candidate
 * again (the failed command gives it back): replaced anew at 440 + 15 s.
 * (It used to stay marked as being replaced for good.) */
Test(karpenter, a_replacement_that_times_out_gives_the_node_back)
{
	struct scenario sc;
	char path[128];
	load(&sc, 7, "          disruption: {consolidateAfter: 1m}\n", "10m");
	scn_free(&sc);
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	const char *sets[] = {"cluster.karpenter.latency={launch: 6m, registration: 30s, initialization: 5s}"};
	struct herr e;
	cr_assert_eq(scn_load(&sc, path, sets, 1, &e), 0, "%s", e.msg);
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct sim s;
	sim_init(&s, sc.seed, sc.duration);
	struct world *w = world_new(&s, &sc, &out);
	sim_at(&s, 60 * SIM_S, PRIO_CONTROL, scale_ev, w, 2);
	sim_run(&s);
	world_finish(w);
	world_free(w);
	sim_release(&s);
	cr_expect(fabs(nth(&m, "node", "launch-timeout", 0) - 435) < EPS, "timeout at %.3f s",
		  nth(&m, "node", "launch-timeout", 0));
	cr_expect_eq(count(&m, "node", "replacing", NULL, NULL, 0), 2);
	cr_expect(fabs(nth(&m, "node", "replacing", 1) - 455) < EPS, "replaced again at %.3f s",
		  nth(&m, "node", "replacing", 1));
	memsink_free(&m);
	scn_free(&sc);
}

/* ---- the consolidation decision, over states built directly ---- */

/* A world of sc at t = 0 (no run); free with drop(). */
struct w0 {
	struct memsink m;
	struct sim s;
	struct world *w;
};

static void build(struct w0 *x, const struct scenario *sc, uint64_t seed)
{
	struct sink out = memsink_init(&x->m);
	sim_init(&x->s, seed, sc->duration);
	x->w = world_new(&x->s, sc, &out);
}

static void drop(struct w0 *x)
{
	world_free(x->w);
	sim_release(&x->s);
	memsink_free(&x->m);
}

/* A Ready node of the test catalog's type `type` in NodePool 0, empty. */
static struct wnode *add_node(struct world *w, const char *type)
{
	const struct scn_cluster *c = &w->sc->cluster;
	const struct instance_type *it = catalog_find(&c->catalog, type);
	cr_assert(it);
	size_t t = (size_t)(it - c->catalog.types);
	const struct scn_nodepool *np = &c->karpenter.pools[0];
	return node_add(w, "extra", type, 0, (struct sched_alloc){np->alloc_cpu[t], np->alloc_mem[t], np->alloc_pods[t]},
			it->price_hour, NODE_READY, NULL);
}

static const struct wnode *node_of(const struct world *w, const char *type, int nth)
{
	for (size_t i = 0; i < w->n_nodes; i++)
		if (!strcmp(w->wnodes[i]->type, type) && nth-- == 0)
			return w->wnodes[i];
	return NULL;
}

/* One pod on the c5.large of t = 0 and an empty m5.large beside it: the
 * empty node goes, once consolidateAfter (1 min) has passed, and not
 * before. */
Test(karpenter, decision_deletes_an_empty_node)
{
	struct scenario sc;
	load(&sc, 1, "          disruption: {consolidateAfter: 1m}\n", "5m");
	struct w0 x;
	build(&x, &sc, 1);
	struct wnode *n = add_node(x.w, "m5.large");
	struct karp_cmd c = karp_consolidation_plan(x.w, 0);
	cr_expect_eq(c.kind, KARP_CMD_NONE, "at 0 s: kind %d", c.kind);
	c = karp_consolidation_plan(x.w, 60 * SIM_S);
	cr_expect_eq(c.kind, KARP_CMD_DELETE_EMPTY);
	cr_expect(c.n == 1 && c.num[0] == n->num, "%d nodes, the first %u (want %u)", c.n, c.num[0], n->num);
	cr_expect_str_eq(c.reason, "empty");
	cr_expect_eq(c.replace, -1);
	drop(&x);
	scn_free(&sc);
}

/* Four pods on the m5.2xlarge of t = 0 (3.91 cores left), an m5.xlarge
 * beside it, and a fifth pod, which kube-scheduler (LeastAllocated) puts
 * on the m5.xlarge. That pod fits on the m5.2xlarge: the m5.xlarge is
 * deleted as underutilized (it saves 0.192 / 2 per pod disrupted, the
 * m5.2xlarge 0.384 / 5, and the m5.2xlarge's pods would not fit anyway). */
Test(karpenter, decision_deletes_an_underutilized_node_whose_pods_fit_elsewhere)
{
	struct scenario sc;
	load(&sc, 4, "          disruption: {consolidateAfter: 1m}\n", "5m");
	struct w0 x;
	build(&x, &sc, 1);
	const struct wnode *big = node_of(x.w, "m5.2xlarge", 0), *small = add_node(x.w, "m5.xlarge");
	cr_assert(big && big->n_pods == 4, "the node of t = 0");
	pod_scale(x.w, &x.w->svcs[0], 5);
	cr_assert_eq(small->n_pods, 1);
	struct karp_cmd c = karp_consolidation_plan(x.w, 60 * SIM_S);
	cr_expect_eq(c.kind, KARP_CMD_DELETE);
	cr_expect(c.n == 1 && c.num[0] == small->num, "%d nodes, the first %u (want %u)", c.n, c.num[0], small->num);
	cr_expect_str_eq(c.reason, "underutilized");
	drop(&x);
	scn_free(&sc);
}

/* Seven pods make one m5.2xlarge at t = 0; five go. The two left (2 cores,
 * 2 GiB) fit no other node, and an m5.xlarge (0.192 USD/h, half the
 * price) holds them: replace with it, unless the pool says otherwise. */
Test(karpenter, decision_replaces_a_node_one_cheaper_type_holds_unless_the_pool_forbids)
{
	static const struct {
		const char *disruption;
		enum karp_cmd_kind want;
	} rows[] = {
		{"{consolidateAfter: 1m}", KARP_CMD_REPLACE},
		{"{consolidationPolicy: WhenEmpty, consolidateAfter: 1m}", KARP_CMD_NONE},
		{"{consolidateAfter: Never}", KARP_CMD_NONE},
		{"{consolidateAfter: 1m, budgets: [{nodes: \"0\"}]}", KARP_CMD_NONE},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char extra[160];
		snprintf(extra, sizeof extra, "          disruption: %s\n", rows[i].disruption);
		struct scenario sc;
		load(&sc, 7, extra, "5m");
		struct w0 x;
		build(&x, &sc, 1);
		const struct wnode *n = node_of(x.w, "m5.2xlarge", 0);
		cr_assert(n && n->n_pods == 7, "row %zu: the node of t = 0", i);
		pod_scale(x.w, &x.w->svcs[0], 2);
		cr_assert_eq(n->n_pods, 2);
		struct karp_cmd c = karp_consolidation_plan(x.w, 1000 * SIM_HOUR);
		cr_expect_eq(c.kind, rows[i].want, "row %zu (%s): kind %d", i, rows[i].disruption, c.kind);
		if (rows[i].want == KARP_CMD_REPLACE) {
			cr_expect(c.n == 1 && c.num[0] == n->num);
			cr_expect(c.replace >= 0 && !strcmp(sc.cluster.catalog.types[c.replace].name, "m5.xlarge"),
				  "replacement %d", c.replace);
			cr_expect_str_eq(c.reason, "replace with a cheaper node");
		} else {
			cr_expect(c.n == 0 && c.reason == NULL);
		}
		drop(&x);
		scn_free(&sc);
	}
}

/* ---- minValues ---- */

#define MV_POOL                                                                                                        \
	"          template: {spec: {requirements: [{key: karpenter.k8s.aws/instance-family, operator: In, values: [c5, " \
	"m5], minValues: 2}]}}\n"

/* minValues 2 on instance-family (c5 and m5): a claim for one pod (1 core,
 * 1 GiB) has all four types as options, two families, and launches the
 * cheapest, a c5.large. For two pods only m5.xlarge and m5.2xlarge hold
 * them: one family, so no such claim (without minValues: an m5.xlarge).
 * For 8 cores nothing holds them at all. */
Test(karpenter, min_values_decides_the_claim_type)
{
	struct scenario sc;
	const struct catalog *cat = &sc.cluster.catalog;
	for (int pass = 0; pass < 2; pass++) {
		load(&sc, 1, pass ? "" : MV_POOL, "1m");
		struct w0 x;
		build(&x, &sc, 1);
		int one = karp_claim_type(x.w, 0, 1, 1073741824.0, 1), two = karp_claim_type(x.w, 0, 2, 2147483648.0, 2);
		cr_expect(one >= 0 && !strcmp(cat->types[one].name, "c5.large"), "pass %d: one pod: %d", pass, one);
		if (pass)
			cr_expect(two >= 0 && !strcmp(cat->types[two].name, "m5.xlarge"), "two pods without minValues: %d", two);
		else
			cr_expect_eq(two, -1, "two pods with minValues 2: %s", two >= 0 ? cat->types[two].name : "-");
		cr_expect_eq(karp_claim_type(x.w, 0, 8, 1073741824.0, 1), -1);
		const struct scn_nodepool *np = &sc.cluster.karpenter.pools[0];
		int m5[2] = {np->types[1], np->types[2]}, mixed[2] = {np->types[0], np->types[3]};
		cr_expect(karp_min_values_ok(np, mixed, 2), "pass %d: c5.large + m5.2xlarge", pass);
		cr_expect_eq(karp_min_values_ok(np, m5, 2), pass == 1, "pass %d: m5 only", pass);
		drop(&x);
		scn_free(&sc);
	}
}

/* In a run: at 10 s two pods more. With minValues 2 they cannot share a
 * claim, so two claims launch, each a c5.large (two families among its
 * options); without it one m5.xlarge takes both. */
Test(karpenter, min_values_keeps_two_pods_on_two_claims)
{
	for (int pass = 0; pass < 2; pass++) {
		struct scenario sc;
		load(&sc, 1, pass ? "" : MV_POOL, "1m");
		scale_to = 3;
		struct memsink m = run(&sc, false);
		char detail[128];
		int n = count(&m, "node", "launched", NULL, detail, sizeof detail);
		cr_expect_eq(n, pass ? 1 : 2, "pass %d: %d launched, the first %s", pass, n, detail);
		cr_expect(!strncmp(detail, pass ? "m5.xlarge" : "c5.large", pass ? 9 : 8), "pass %d: launched %s", pass,
			  detail);
		cr_expect_eq(count(&m, "pod", "ready", NULL, NULL, 0), 2, "pass %d", pass);
		memsink_free(&m);
		scn_free(&sc);
	}
}

/* Limits count the pool's active nodes only (provisioner.go passes
 * nodes.Active() to the scheduler): a limit of 1 node, the c5.large of
 * t = 0 in the pool, and no claim can be made; once that node is being
 * replaced (marked for deletion) it no longer counts. */
Test(karpenter, limits_count_only_nodes_not_being_deleted)
{
	struct scenario sc;
	load(&sc, 1, "          limits: {nodes: 1}\n", "1m");
	struct w0 x;
	build(&x, &sc, 1);
	cr_assert_eq(x.w->n_nodes, 1);
	cr_expect_eq(karp_claim_type(x.w, 0, 1, 1073741824.0, 1), -1);
	x.w->wnodes[0]->replaced_by = 100;
	int t = karp_claim_type(x.w, 0, 1, 1073741824.0, 1);
	cr_expect(t >= 0 && !strcmp(sc.cluster.catalog.types[t].name, "c5.large"), "%d", t);
	x.w->wnodes[0]->replaced_by = 0;
	drop(&x);
	scn_free(&sc);
}

/* ---- disruption budgets ---- */

/* Budget.GetAllowedDisruptions and NodePool's minimum over its budgets,
 * against kubernetes-sigs/karpenter pkg/apis/v1/nodepool_budgets_test.go
 * (Describe "Budgets"; every budget there is active unless the case makes
 * it inactive, and inactive budgets are left out here, as headroom has no
 * schedules) and the rounding rule in pkg/apis/v1/nodepool.go. The budgets
 * go through the scenario loader, which keeps the tightest percent and the
 * tightest count. */
Test(karpenter, budgets_match_the_upstream_table)
{
	static const struct {
		const char *from;    /* the upstream test (Context / It) or source */
		const char *budgets; /* spec.disruption.budgets; NULL: not given (default 10 %) */
		int nodes;           /* numNodes */
		int want;
	} rows[] = {
		{"AllowedDisruptions / should return the int value when a budget is active", "[{nodes: \"10\"}]", 100, 10},
		{"AllowedDisruptions / should return the string value when a budget is active", "[{nodes: \"100%\"}]", 100,
		 100},
		{"GetAllowedDisruptionsByReason / should return the budget for all disruption reasons when undefined",
		 "[{nodes: \"10\"}]", 100, 10},
		{"GetAllowedDisruptionsByReason / should ignore reason-defined budgets when inactive (budgets 0-2)",
		 "[{nodes: \"10\"}, {nodes: \"100\"}, {nodes: \"100%\"}]", 100, 10},
		{"nodepool.go GetAllowedDisruptions comment: 5% of 10 nodes allows 1", "[{nodes: \"5%\"}]", 10, 1},
		{"docs/model.md, budgets: 10% of 10 allows 1", "[{nodes: \"10%\"}]", 10, 1},
		{"docs/model.md, budgets: 20% of 19 allows 4 (rounded up)", "[{nodes: \"20%\"}]", 19, 4},
		{"default budget (nodepool.go +kubebuilder:default nodes 10%) over 11 nodes", NULL, 11, 2},
		{"default budget over 0 nodes", NULL, 0, 0},
		{"a count above the nodes is not cut to them", "[{nodes: \"5\"}]", 2, 5},
		{"100% and 5 over 2 nodes: the least", "[{nodes: \"100%\"}, {nodes: \"5\"}]", 2, 2},
		{"0 blocks", "[{nodes: \"0\"}, {nodes: \"50%\"}]", 100, 0},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char extra[256] = "";
		if (rows[i].budgets)
			snprintf(extra, sizeof extra, "          disruption: {budgets: %s}\n", rows[i].budgets);
		struct scenario sc;
		load(&sc, 1, extra, "1m");
		int got = karp_budget_allowed(&sc.cluster.karpenter.pools[0], rows[i].nodes);
		cr_expect_eq(got, rows[i].want, "%s: %d allowed, want %d", rows[i].from, got, rows[i].want);
		scn_free(&sc);
	}
}

static struct wnode *add_node_in(struct world *w, const char *type, enum node_state st)
{
	const struct scn_cluster *c = &w->sc->cluster;
	const struct instance_type *it = catalog_find(&c->catalog, type);
	cr_assert(it);
	size_t t = (size_t)(it - c->catalog.types);
	const struct scn_nodepool *np = &c->karpenter.pools[0];
	return node_add(w, "extra", type, 0, (struct sched_alloc){np->alloc_cpu[t], np->alloc_mem[t], np->alloc_pods[t]},
			it->price_hour, st, NULL);
}

/* BuildDisruptionBudgetMapping counts only initialized nodes. A 20 %
 * budget; the c5.large of t = 0 (one pod), 9 empty Ready c5.large beside
 * it and 2 launching: 10 initialized nodes allow 2, so two empty nodes go
 * (counting the 2 launching as nodes and as disrupting would allow
 * ceil(0.2 x 12) - 2 = 1). Once the 2 are Ready: ceil(0.2 x 12) = 3. An
 * initialized node draining counts in both: ceil(0.2 x 12) - 1 = 2. */
Test(karpenter, budgets_count_only_initialized_nodes)
{
	struct scenario sc;
	load(&sc, 1,
	     "          template: {spec: {requirements: [{key: node.kubernetes.io/instance-type, operator: In, values: "
	     "[c5.large]}]}}\n          disruption: {consolidateAfter: 1m, budgets: [{nodes: \"20%\"}]}\n",
	     "5m");
	struct w0 x;
	build(&x, &sc, 1);
	for (int i = 0; i < 9; i++)
		add_node_in(x.w, "c5.large", NODE_READY);
	struct wnode *l1 = add_node_in(x.w, "c5.large", NODE_LAUNCHING);
	struct wnode *l2 = add_node_in(x.w, "c5.large", NODE_REGISTERED);
	cr_expect_eq(karp_disruptions_allowed(x.w, 0), 2);
	struct karp_cmd c = karp_consolidation_plan(x.w, 60 * SIM_S);
	cr_expect_eq(c.kind, KARP_CMD_DELETE_EMPTY);
	cr_expect_eq(c.n, 2, "%d empty nodes deleted, want 2", c.n);
	node_set_state(x.w, l1, NODE_READY, NULL);
	node_set_state(x.w, l2, NODE_READY, NULL);
	cr_expect_eq(karp_disruptions_allowed(x.w, 0), 3);
	l1->state = NODE_DRAINING; /* the state as a drain leaves it (ready_at kept) */
	cr_expect_eq(karp_disruptions_allowed(x.w, 0), 2);
	l1->state = NODE_READY;
	drop(&x);
	scn_free(&sc);
}

/* ---- a settled start ---- */

/* The time at which consolidateAfter has passed in every pool of sc. */
static simtime all_passed(const struct scenario *sc)
{
	simtime t = 0;
	for (size_t i = 0; i < sc->cluster.karpenter.n_pools; i++)
		t = HR_MAX(t, sc->cluster.karpenter.pools[i].consolidate_after);
	return t;
}

/* Whether the start of sc (one variant) with this seed is settled: the
 * decision has nothing to do once consolidateAfter has passed, and every
 * pod of t = 0 is on a node. */
static void expect_settled(const struct scenario *sc, const char *what, uint64_t seed)
{
	struct sim s;
	sim_init(&s, seed, sc->duration);
	struct world *w = world_new(&s, sc, &(struct sink){0});
	struct karp_cmd c = karp_consolidation_plan(w, all_passed(sc));
	char nodes[512] = "";
	for (size_t i = 0; i < w->n_nodes; i++)
		snprintf(nodes + strlen(nodes), sizeof nodes - strlen(nodes), " %s(%s, %d pods)", w->wnodes[i]->name,
			 w->wnodes[i]->type, w->wnodes[i]->n_pods);
	cr_expect_eq(c.kind, KARP_CMD_NONE, "%s, seed %llu: %s of node %u at t = 0:%s", what, (unsigned long long)seed,
		     c.reason, c.num[0], nodes);
	for (size_t i = 0; i < w->n_svcs; i++)
		cr_expect_eq(w->svcs[i].n_pending, 0, "%s, seed %llu: %s has %d pods pending at t = 0", what,
			     (unsigned long long)seed, w->svcs[i].cfg->name, w->svcs[i].n_pending);
	world_free(w);
	sim_release(&s);
}

static void check_start(const struct scenario *sc, const char *what, size_t v, void *ctx)
{
	if (sc->cluster.provisioner != PROV_KARPENTER)
		return;
	expect_settled(sc, what, sc->seed);
	for (int r = 1; r <= 3; r++)
		expect_settled(sc, what, plan_seed(sc->seed, (int)v + 1, r));
	++*(int *)ctx;
}

/* Every shipped scenario, and every variant of its compare: or sweep:,
 * whose provisioner is Karpenter starts from a cluster Karpenter would
 * keep: with the scenario's seed and the seeds of a plan's first three
 * replications (kube-scheduler's tie-breaks, and so where the pods of
 * t = 0 land, depend on the seed). */
Test(karpenter, every_shipped_scenario_starts_settled)
{
	int checked = 0;
	shipped_each(check_start, &checked);
	cr_expect_geq(checked, 12, "%d scenarios and variants with Karpenter", checked);
}

static int rows_of(const struct memsink *m, const char *kind, const char *pod, const char *event, char *last,
		   size_t len)
{
	int n = 0;
	for (size_t i = 0; i < m->n_decisions; i++) {
		const struct row_decision *r = &m->decisions[i].r;
		if (strcmp(r->kind, kind) || strcmp(r->event, event) || (pod && strcmp(r->pod, pod)))
			continue;
		if (last)
			snprintf(last, len, "%s", r->detail ? r->detail : "");
		n++;
	}
	return n;
}

/* bench/karpenter-day: 95 pods of 60 cores and 100 GiB over three zones.
 * payment's 25 pods spread by zone (DoNotSchedule, maxSkew 1: 9/8/8), and
 * order's and product's too (ScheduleAnyway, which Karpenter takes as
 * required while it can): the batch plans one NodeClaim a zone, each about
 * 20 cores and 33 GiB, whose cheapest type is a c6i.8xlarge (32 vCPU,
 * 64 GiB, 1.36 USD/h). Settled (nothing to consolidate: each zone needs
 * its node), the run starts with three, one in each zone, each told once,
 * Ready at t = 0, every pod bound. */
Test(karpenter, the_start_of_karpenter_day_is_a_c6i_8xlarge_a_zone)
{
	struct scenario sc;
	struct herr e;
	cr_assert_eq(scn_load(&sc, "scenarios/bench/karpenter-day.yaml", NULL, 0, &e), 0, "%s", e.msg);
	struct w0 x;
	build(&x, &sc, sc.seed);
	cr_expect_eq(x.w->n_nodes, 3);
	unsigned zones = 0;
	for (size_t i = 0; i < x.w->n_nodes; i++) {
		cr_expect_str_eq(x.w->wnodes[i]->type, "c6i.8xlarge");
		zones |= 1u << x.w->wnodes[i]->zone;
	}
	cr_expect_eq(zones, 7u, "nodes in zones %#x", zones);
	int bound = 0;
	for (size_t g = 0; g < x.w->n_svcs; g++)
		for (uint32_t j = 0; j < x.w->svcs[g].n_pods; j++)
			bound += !x.w->svcs[g].pods[j]->slot_free && x.w->svcs[g].pods[j]->bound;
	cr_expect_eq(bound, 95);
	char detail[128];
	cr_expect_eq(rows_of(&x.m, "node", NULL, "ready", NULL, 0), 3);
	cr_expect_eq(rows_of(&x.m, "node", "default-0", "ready", detail, sizeof detail), 1);
	cr_expect_str_eq(detail, "c6i.8xlarge, 1.36 USD/h");
	cr_expect_eq(rows_of(&x.m, "node", NULL, "deleted", NULL, 0) + rows_of(&x.m, "node", NULL, "draining", NULL, 0), 0);
	cr_expect_eq(x.w->max_nodes, 3);
	drop(&x);
	scn_free(&sc);
}

/* A start kube-scheduler packs otherwise than the batch planned (test
 * catalog, MostAllocated without the default spread constraints, which
 * would spread the pods instead; a: 3 pods of 1 core and 2 GiB, listed first;
 * b: 4 pods of 3 cores and 1 GiB). The batch, largest first, plans two
 * m5.2xlarge (b b a, b b a) and a c5.large (a). kube-scheduler places a's
 * pods first, on the most allocated node that fits: one on the c5.large,
 * two on an m5.2xlarge; then b's: one beside them, two on the other
 * m5.2xlarge, and the fourth fits nowhere. Settling: the c5.large goes
 * (its pod fits beside the other a's), an m5.xlarge is launched for the
 * b pod left out, and nothing is left to consolidate. */
Test(karpenter, settling_moves_pods_and_launches_for_the_pods_left_out)
{
	char path[128];
	snprintf(path, sizeof path, "%s/mv.yaml", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("name: mv\nduration: 5m\nsample_interval: 10s\n"
	      "cluster:\n  catalog: cat.csv\n"
	      "  scheduler: {scoringStrategy: MostAllocated, defaultingType: List}\n  provisioner: karpenter\n"
	      "  karpenter:\n    nodepools:\n      - apiVersion: karpenter.sh/v1\n        kind: NodePool\n"
	      "        metadata: {name: pool}\n        spec:\n          template: {spec: {}}\n"
	      "          disruption: {consolidateAfter: 1m}\n"
	      "services:\n"
	      "  a:\n    replicas: 3\n    resources: {requests: {cpu: \"1\", memory: 2Gi}}\n    cpu_per_request: 1ms\n"
	      "    traffic: {rate: 1rps}\n"
	      "  b:\n    replicas: 4\n    resources: {requests: {cpu: \"3\", memory: 1Gi}}\n    cpu_per_request: 1ms\n",
	      f);
	fclose(f);
	struct scenario sc;
	struct herr e;
	cr_assert_eq(scn_load(&sc, path, NULL, 0, &e), 0, "%s", e.msg);
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct w0 x;
		build(&x, &sc, seed);
		struct karp_cmd c = karp_consolidation_plan(x.w, SIM_HOUR);
		cr_expect_eq(c.kind, KARP_CMD_NONE, "seed %llu: kind %d", (unsigned long long)seed, c.kind);
		cr_expect_eq(x.w->svcs[0].n_pending + x.w->svcs[1].n_pending, 0);
		const struct wnode *m1 = node_of(x.w, "m5.2xlarge", 0), *m2 = node_of(x.w, "m5.2xlarge", 1),
				   *s = node_of(x.w, "m5.xlarge", 0);
		cr_assert(x.w->n_nodes == 3 && m1 && m2 && s, "seed %llu: %zu nodes", (unsigned long long)seed, x.w->n_nodes);
		cr_expect_eq(s->n_pods, 1);
		cr_expect_eq(m1->n_pods + m2->n_pods, 6);
		/* Told: the three nodes kept, Ready at t = 0, nothing deleted; the
		 * pod moved off the c5.large has a second row naming its node. */
		cr_expect_eq(rows_of(&x.m, "node", NULL, "ready", NULL, 0), 3);
		cr_expect_eq(rows_of(&x.m, "node", NULL, "deleted", NULL, 0), 0);
		cr_expect_eq(rows_of(&x.m, "pod", "b-3", "scheduled", NULL, 0), 1);
		for (uint32_t j = 0; j < x.w->svcs[0].n_pods; j++) {
			const struct pod *p = x.w->svcs[0].pods[j];
			char name[32], last[64];
			snprintf(name, sizeof name, "a-%u", p->num);
			cr_expect_geq(rows_of(&x.m, "pod", name, "scheduled", last, sizeof last), 1);
			cr_expect_str_eq(last, x.w->wnodes[p->node]->name, "%s", name);
		}
		cr_expect_eq(node_cost(x.w), 0);
		cr_expect_eq(x.w->max_nodes, 3);
		drop(&x);
	}
	scn_free(&sc);
}

/* ---- multi-node consolidation, over states built directly ----
 *
 * Ported from kubernetes-sigs/karpenter pkg/controllers/disruption/
 * consolidation_test.go (at the commit docs/model.md names), with the test catalog for
 * its instance types: its "most expensive instance" is our m5.2xlarge
 * (0.384 USD/h, 7 pods of 1 core), its pods our 1 core / 1 GiB pods. Its
 * NodePool's budget is 100 % ("Disrupt away!"), and so is ours here. */

#define AFTER_1M "          disruption: {consolidateAfter: 1m, budgets: [{nodes: \"100%\"}]}\n"

/* load() with no pods at t = 0, hence no nodes: the test adds its own. The
 * loader asks for 1 replica at least; the scenario is plain data, and a
 * world starts from 0 as well. */
static void load0(struct scenario *sc, const char *extra, const char *duration)
{
	load(sc, 1, extra, duration);
	for (size_t i = 0; i < sc->n_services; i++)
		sc->services[i].replicas = 0;
}

/* n Ready nodes of `type`, empty at first, one pod of the service put on
 * each by kube-scheduler (LeastAllocated: a new pod goes to the empty
 * node); w's service starts with no replicas. */
static void one_pod_each(struct world *w, const char *type, int n, struct wnode **out)
{
	for (int i = 0; i < n; i++) {
		out[i] = add_node(w, type);
		pod_scale(w, &w->svcs[0], w->svcs[0].desired + 1);
		cr_assert_eq(out[i]->n_pods, 1, "node %d", i);
	}
}

static bool in_cmd(const struct karp_cmd *c, const struct wnode *n)
{
	for (int i = 0; i < c->n; i++)
		if (c->num[i] == n->num)
			return true;
	return false;
}

static const char *type_name(const struct scenario *sc, int t)
{
	return t >= 0 ? sc->cluster.catalog.types[t].name : "-";
}

/* consolidation_test.go, Context "Multi-NodeClaim", DescribeTable "can
 * merge 3 nodes into 1", Entry "if the candidate is on-demand node": three
 * m5.2xlarge with a pod each. Sorted by savings ratio (all 0.384 / 2), the
 * binary search tries 2 (their pods fit on the third: a deletion), then
 * 3: no node is left, so one new NodeClaim takes the 3 pods; the
 * cheapest type for them is an m5.xlarge (0.192 < 3 x 0.384, and below
 * the m5.2xlarge the candidates are, which is among the options), so the
 * three are replaced by it. Single-node consolidation alone (the code
 * before multi-node) deleted one node. */
Test(karpenter, multi_node_merges_3_nodes_into_1)
{
	struct scenario sc;
	load0(&sc, AFTER_1M, "5m");
	struct w0 x;
	build(&x, &sc, 1);
	struct wnode *n[3];
	one_pod_each(x.w, "m5.2xlarge", 3, n);
	struct karp_cmd c = karp_consolidation_plan(x.w, 60 * SIM_S);
	cr_expect_eq(c.kind, KARP_CMD_REPLACE, "kind %d, %d nodes (%s)", c.kind, c.n, c.reason);
	cr_expect_eq(c.n, 3);
	for (int i = 0; i < 3; i++)
		cr_expect(in_cmd(&c, n[i]), "node %d in the command", i);
	cr_expect_str_eq(type_name(&sc, c.replace), "m5.xlarge");
	cr_expect_eq(c.pool, 0);
	cr_expect_str_eq(c.reason, "replace several nodes with one cheaper node");
	drop(&x);
	scn_free(&sc);
}

/* consolidation_test.go, Context "Multi-NodeClaim", DescribeTable "won't
 * merge 2 nodes into 1 of the same type" (on-demand entry): two m5.xlarge,
 * one with a pod, one with two. Their 3 pods need an m5.xlarge, the type of
 * the candidates: filterOutSameInstanceType leaves no option (replacing
 * both by one of them is deleting one), so multi-node finds nothing and
 * single-node deletes the node with the fewest pods, whose pod fits on
 * the other. */
Test(karpenter, multi_node_wont_merge_2_nodes_into_1_of_the_same_type)
{
	struct scenario sc;
	load0(&sc, AFTER_1M, "5m");
	struct w0 x;
	build(&x, &sc, 1);
	struct wnode *a = add_node(x.w, "m5.xlarge"), *b = add_node(x.w, "m5.xlarge");
	pod_scale(x.w, &x.w->svcs[0], 3);
	struct wnode *one = a->n_pods == 1 ? a : b;
	cr_assert(a->n_pods + b->n_pods == 3 && one->n_pods == 1);
	struct karp_cmd c = karp_consolidation_plan(x.w, 60 * SIM_S);
	cr_expect_eq(c.kind, KARP_CMD_DELETE, "kind %d (%s)", c.kind, c.reason);
	cr_expect(c.n == 1 && c.num[0] == one->num, "%d nodes", c.n);
	cr_expect_str_eq(c.reason, "underutilized");
	drop(&x);
	scn_free(&sc);
}

/* consolidation_test.go, Context "Budgets", It "should only allow 3 nodes
 * to be deleted in multi node consolidation delete": ten m5.2xlarge with a
 * pod each, a 30 % budget: the candidates are cut to the 3 the budget
 * allows before the search, and their pods fit on the other 7, so 3 go.
 * With 100 % (derived by hand, same rules): 2 to 9 candidates all hold;
 * 9 leave 6 pods of room on the tenth, so 3 pods take a new m5.xlarge:
 * nine replaced by one m5.xlarge; ten would need two NodeClaims. A budget
 * of 0 allows nothing. */
Test(karpenter, multi_node_takes_what_the_budget_allows)
{
	static const struct {
		const char *budget;
		enum karp_cmd_kind kind;
		int n;
		const char *replace;
	} rows[] = {
		{"30%", KARP_CMD_DELETE, 3, "-"},
		{"100%", KARP_CMD_REPLACE, 9, "m5.xlarge"},
		{"0", KARP_CMD_NONE, 0, "-"},
	};
	for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
		char extra[160];
		snprintf(extra, sizeof extra, "          disruption: {consolidateAfter: 1m, budgets: [{nodes: \"%s\"}]}\n",
			 rows[r].budget);
		struct scenario sc;
		load0(&sc, extra, "5m");
		struct w0 x;
		build(&x, &sc, 1);
		struct wnode *n[10];
		one_pod_each(x.w, "m5.2xlarge", 10, n);
		struct karp_cmd c = karp_consolidation_plan(x.w, 60 * SIM_S);
		cr_expect_eq(c.kind, rows[r].kind, "budget %s: kind %d (%s)", rows[r].budget, c.kind, c.reason);
		cr_expect_eq(c.n, rows[r].n, "budget %s: %d nodes", rows[r].budget, c.n);
		cr_expect_str_eq(type_name(&sc, c.replace), rows[r].replace, "budget %s", rows[r].budget);
		if (rows[r].kind == KARP_CMD_DELETE)
			cr_expect_str_eq(c.reason, "underutilized (multi-node)");
		drop(&x);
		scn_free(&sc);
	}
}

/* consolidation_test.go, Context "Multi-NodeClaim", DescribeTable "should
 * wait for the node TTL for non-empty nodes before consolidating
 * (multi-node)" (on-demand entry): two m5.2xlarge, 3 pods between them,
 * consolidateAfter 1 min: nothing at 30 s; at 60 s both are replaced by one
 * smaller node (an m5.xlarge holds the 3 pods). */
Test(karpenter, multi_node_waits_for_consolidate_after)
{
	struct scenario sc;
	load0(&sc, AFTER_1M, "5m");
	struct w0 x;
	build(&x, &sc, 1);
	struct wnode *a = add_node(x.w, "m5.2xlarge"), *b = add_node(x.w, "m5.2xlarge");
	pod_scale(x.w, &x.w->svcs[0], 3);
	cr_assert(a->n_pods && b->n_pods);
	struct karp_cmd c = karp_consolidation_plan(x.w, 30 * SIM_S);
	cr_expect_eq(c.kind, KARP_CMD_NONE, "at 30 s: kind %d", c.kind);
	c = karp_consolidation_plan(x.w, 60 * SIM_S);
	cr_expect_eq(c.kind, KARP_CMD_REPLACE, "at 60 s: kind %d (%s)", c.kind, c.reason);
	cr_expect(c.n == 2 && in_cmd(&c, a) && in_cmd(&c, b), "%d nodes", c.n);
	cr_expect_str_eq(type_name(&sc, c.replace), "m5.xlarge");
	drop(&x);
	scn_free(&sc);
}

/* A scenario of 50 s of two services, a (1 core, 1 GiB) and b (the same,
 * its pods protected as `b_meta` says), no replicas at first, on the test
 * catalog. */
static void load_two(struct scenario *sc, const char *b_meta, const char *pdbs)
{
	char path[128], yaml[4096];
	snprintf(path, sizeof path, "%s/two.yaml", dir);
	snprintf(yaml, sizeof yaml,
		 "name: two\nduration: 50s\nsample_interval: 10s\n"
		 "cluster:\n  catalog: cat.csv\n  provisioner: karpenter\n  karpenter:\n"
		 "    nodepools:\n      - apiVersion: karpenter.sh/v1\n        kind: NodePool\n"
		 "        metadata: {name: pool}\n        spec:\n          template: {spec: {}}\n%s"
		 "services:\n"
		 "  a:\n    replicas: 1\n    resources: {requests: {cpu: \"1\", memory: 1Gi}}\n"
		 "    cpu_per_request: 1ms\n    traffic: {rate: 1rps}\n"
		 "  b:\n    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: b}\n"
		 "      spec:\n        replicas: 1\n        selector: {matchLabels: {app: b}}\n        template:\n"
		 "          metadata: {labels: {app: b}%s}\n          spec:\n            containers:\n"
		 "              - name: b\n                image: b:1\n"
		 "                readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 1}\n"
		 "                resources: {requests: {cpu: \"1\", memory: 1Gi}}\n"
		 "    cpu_per_request: 1ms\n%s",
		 AFTER_1M, b_meta, pdbs);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(yaml, f);
	fclose(f);
	struct herr e;
	cr_assert_eq(scn_load(sc, path, NULL, 0, &e), 0, "%s", e.msg);
	for (size_t i = 0; i < sc->n_services; i++)
		sc->services[i].replicas = 0;
}

/* consolidation_test.go, DescribeTable "can replace nodes, considers
 * karpenter.sh/do-not-disrupt set to true on pods", and It "can delete
 * nodes, considers PDB", with three nodes: m5.2xlarge with a pod of a
 * each on two, and a pod of b, protected, on the third (the pods run for
 * 50 s: only a running pod protects its node). That node is no candidate;
 * the other two are, and their pods fit on it: both deleted, the
 * protected node kept. */
Test(karpenter, multi_node_leaves_protected_nodes_out)
{
	static const struct {
		const char *what, *b_meta, *pdbs;
	} rows[] = {
		{"do-not-disrupt", ", annotations: {karpenter.sh/do-not-disrupt: \"true\"}", ""},
		{"a PDB allowing no disruption", "",
		 "pdbs:\n  - apiVersion: policy/v1\n    kind: PodDisruptionBudget\n    metadata: {name: b}\n"
		 "    spec: {maxUnavailable: 0, selector: {matchLabels: {app: b}}}\n"},
	};
	for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
		struct scenario sc;
		load_two(&sc, rows[r].b_meta, rows[r].pdbs);
		struct w0 x;
		build(&x, &sc, 1);
		struct wnode *n[2];
		one_pod_each(x.w, "m5.2xlarge", 2, n);
		struct wnode *p = add_node(x.w, "m5.2xlarge");
		pod_scale(x.w, &x.w->svcs[1], 1);
		cr_assert_eq(p->n_pods, 1);
		sim_run(&x.s);
		cr_assert_eq(x.w->svcs[1].n_running, 1);
		struct karp_cmd c = karp_consolidation_plan(x.w, 120 * SIM_S);
		cr_expect_eq(c.kind, KARP_CMD_DELETE, "%s: kind %d (%s)", rows[r].what, c.kind, c.reason);
		cr_expect(c.n == 2 && in_cmd(&c, n[0]) && in_cmd(&c, n[1]) && !in_cmd(&c, p), "%s: %d nodes",
			  rows[r].what, c.n);
		drop(&x);
		scn_free(&sc);
	}
}

/* The catalog with spot prices at 30 % of on-demand: c5.large 0.0255,
 * m5.large 0.0288, m5.xlarge 0.0576, m5.2xlarge 0.1152. */
static void spot_catalog(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/cat.csv", dir); /* this test's catalog */
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("name,arch,vcpu,memory_mib,max_pods,price_usd_hour,spot_price_usd_hour\n"
	      "c5.large,amd64,2,4096,29,0.085,0.0255\n"
	      "m5.large,amd64,2,8192,29,0.096,0.0288\n"
	      "m5.xlarge,amd64,4,16384,58,0.192,0.0576\n"
	      "m5.2xlarge,amd64,8,32768,58,0.384,0.1152\n",
	      f);
	fclose(f);
}

/* Spot: the same catalog with spot prices, a pool that allows only spot. */
static void load_spot(struct scenario *sc)
{
	spot_catalog();
	load0(sc,
	     "          template: {spec: {requirements: [{key: karpenter.sh/capacity-type, operator: In, values: "
	     "[spot]}]}}\n" AFTER_1M,
	     "5m");
	cr_assert_eq(sc->cluster.karpenter.pools[0].capacity, SCN_SPOT);
	sc->services[0].replicas = 0;
}

/* A spot node of `type` in pool 0 at its spot price. */
static struct wnode *add_spot(struct world *w, const char *type)
{
	struct wnode *n = add_node(w, type);
	n->price_hour = catalog_find(&w->sc->cluster.catalog, type)->spot_price_hour;
	n->spot = true;
	return n;
}

/* Spot to spot. consolidation_test.go, Context "Multi-NodeClaim",
 * DescribeTable "can merge 3 nodes into 1", Entry "if the candidate is spot
 * node": three spot m5.2xlarge with a pod each merge into one spot
 * m5.xlarge (multi-node asks for no 15 cheaper options:
 * computeSpotToSpotConsolidation returns before that check when there are
 * several candidates). It "cannot replace spot with spot if less than
 * minimum InstanceTypes flexibility": one spot m5.2xlarge with 2 pods,
 * whose only cheaper options holding them are 1 (m5.xlarge), fewer than
 * 15: not replaced (on-demand it would be, as
 * decision_replaces_a_node_one_cheaper_type_holds... shows). */
Test(karpenter, spot_to_spot_needs_15_options_for_one_node_only)
{
	struct scenario sc;
	load_spot(&sc);
	struct w0 x;
	build(&x, &sc, 1);
	struct wnode *n[3];
	for (int i = 0; i < 3; i++) {
		n[i] = add_spot(x.w, "m5.2xlarge");
		pod_scale(x.w, &x.w->svcs[0], i + 1);
		cr_assert_eq(n[i]->n_pods, 1);
	}
	struct karp_cmd c = karp_consolidation_plan(x.w, 60 * SIM_S);
	cr_expect_eq(c.kind, KARP_CMD_REPLACE, "kind %d (%s)", c.kind, c.reason);
	cr_expect_eq(c.n, 3);
	cr_expect_str_eq(type_name(&sc, c.replace), "m5.xlarge");
	drop(&x);
	build(&x, &sc, 1);
	struct wnode *one = add_spot(x.w, "m5.2xlarge");
	pod_scale(x.w, &x.w->svcs[0], 2);
	cr_assert_eq(one->n_pods, 2);
	c = karp_consolidation_plan(x.w, 60 * SIM_S);
	cr_expect_eq(c.kind, KARP_CMD_NONE, "one spot node: kind %d (%s)", c.kind, c.reason);
	drop(&x);
	scn_free(&sc);
}

/* A run of 21 pods at t = 0 (three m5.2xlarge), 3 from 60 s; with at > 0,
 * one pod more at `at` s, gone again 1 s later. */
static struct memsink run_three(const struct scenario *sc, double at)
{
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct sim s;
	sim_init(&s, sc->seed, sc->duration);
	struct world *w = world_new(&s, sc, &out);
	cr_assert_eq(w->n_nodes, 3);
	sim_at(&s, 60 * SIM_S, PRIO_CONTROL, scale_ev, w, 3);
	if (at > 0) {
		sim_at(&s, (simtime)llround(at * 1e9), PRIO_CONTROL, scale_ev, w, 4);
		sim_at(&s, (simtime)llround((at + 1) * 1e9), PRIO_CONTROL, scale_ev, w, 3);
	}
	sim_run(&s);
	world_finish(w);
	world_free(w);
	sim_release(&s);
	return m;
}

/* In a run: 21 pods at t = 0 fill three m5.2xlarge (7 each). At 60 s the
 * Deployment keeps 3, one on each node (the ReplicaSet deletes the
 * highest-numbered pods first, and kube-scheduler spread pods 0, 1 and 2
 * over the three nodes at t = 0). Once consolidateAfter has passed,
 * multi-node consolidation replaces the three with one m5.xlarge: one
 * command, three "replacing" rows naming the one new node, launched 15 s
 * after the candidates were chosen; the three drain when it is Ready
 * (launch 2 s + registration 30 s + initialization 5 s later) and go. */
Test(karpenter, multi_node_replaces_three_nodes_with_one_in_a_run)
{
	struct scenario sc;
	load(&sc, 21, AFTER_1M, "6m");
	struct memsink m = run_three(&sc, 0);
	char detail[128], first[64] = "";
	cr_expect_eq(count(&m, "node", "launched", NULL, detail, sizeof detail), 1);
	cr_expect(!strncmp(detail, "m5.xlarge", 9), "replacement %s", detail);
	cr_expect_eq(count(&m, "node", "disruption-candidate", NULL, detail, sizeof detail), 3);
	cr_expect_str_eq(detail, "replace several nodes with one cheaper node");
	int replacing = 0;
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (strcmp(r->event, "replacing"))
			continue;
		if (!replacing++)
			snprintf(first, sizeof first, "%s", r->detail);
		cr_expect_str_eq(r->detail, first, "each names the one replacement");
	}
	cr_expect_eq(replacing, 3);
	double chosen = nth(&m, "node", "disruption-candidate", 0), launched = nth(&m, "node", "launched", 0);
	cr_expect(fabs(launched - (chosen + 15)) < EPS, "chosen at %.3f s, launched at %.3f s", chosen, launched);
	double ready = nth(&m, "node", "ready", 3); /* the three of t = 0, then the replacement */
	cr_expect(fabs(ready - (launched + 37)) < EPS, "ready at %.3f s", ready);
	for (int i = 0; i < 3; i++)
		cr_expect(fabs(nth(&m, "node", "draining", i) - ready) < EPS, "drain %d at %.3f s", i,
			  nth(&m, "node", "draining", i));
	cr_expect_eq(count(&m, "node", "deleted", NULL, NULL, 0), 3);
	memsink_free(&m);
	scn_free(&sc);
}

/* validation.go, all or nothing: the same run, and 5 s after the three
 * nodes were chosen one more pod, which kube-scheduler binds to one of
 * them, deleted 1 s later (not Ready yet, the ReplicaSet's first victim).
 * The simulation would come to the same replacement, but at the
 * validation, 15 s after the choice, that node has had pod events within
 * consolidateAfter: it is no candidate, and the whole command is dropped;
 * nothing launches, is replaced or drains then. */
Test(karpenter, multi_node_command_dropped_when_a_node_is_no_longer_a_candidate)
{
	struct scenario sc;
	load(&sc, 21, AFTER_1M, "6m");
	struct memsink m = run_three(&sc, 0);
	double chosen = nth(&m, "node", "disruption-candidate", 0);
	cr_assert(chosen > 60, "chosen at %.3f s", chosen);
	memsink_free(&m);
	m = run_three(&sc, chosen + 5);
	cr_expect_eq(nth(&m, "node", "disruption-candidate", 0), chosen);
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		bool acted = !strcmp(r->event, "launched") || !strcmp(r->event, "replacing") ||
			     !strcmp(r->event, "draining");
		cr_expect(!(acted && fabs(r->t_s - (chosen + 15)) < EPS), "%s at %.3f s", r->event, r->t_s);
	}
	memsink_free(&m);
	scn_free(&sc);
}

/* scenarios/consolidation.yaml does what its comment says: after the
 * sale, one multi-node command replaces three nodes with one m5.2xlarge,
 * cheaper than the three together, which drain once it is Ready; the SLOs
 * hold. */
Test(karpenter, the_consolidation_scenario_replaces_three_nodes_with_one)
{
	struct scenario sc;
	struct herr e;
	cr_assert_eq(scn_load(&sc, "scenarios/consolidation.yaml", NULL, 0, &e), 0, "%s", e.msg);
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct sim s;
	sim_init(&s, sc.seed, sc.duration);
	struct world *w = world_new(&s, &sc, &out);
	sim_run(&s);
	world_finish(w);
	world_free(w);
	sim_release(&s);
	/* The first command that replaces several nodes. */
	double at = -1;
	int n = 0;
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (strcmp(r->event, "disruption-candidate") || strcmp(r->detail, "replace several nodes with one cheaper node"))
			continue;
		if (at < 0)
			at = r->t_s;
		n += r->t_s == at;
	}
	cr_expect(at > 900, "after the sale (it ends at 15 min): %.0f s", at);
	cr_expect_eq(n, 3, "nodes in the command at %.0f s", at);
	char name[64] = "", detail[128] = "";
	int replacing = 0;
	double sum = 0;
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (r->t_s != at + 15 || strcmp(r->event, "replacing"))
			continue;
		if (!replacing++)
			snprintf(name, sizeof name, "%s", r->detail);
		cr_expect_str_eq(r->detail, name);
		/* each replaced node's price, from its "launched" row */
		for (size_t j = 0; j < m.n_decisions; j++) {
			const struct row_decision *q = &m.decisions[j].r;
			if (!strcmp(q->event, "launched") && !strcmp(q->pod, r->pod))
				sum += atof(strchr(q->detail, ',') + 1);
		}
	}
	cr_expect_eq(replacing, 3);
	for (size_t j = 0; j < m.n_decisions; j++) {
		const struct row_decision *q = &m.decisions[j].r;
		if (!strcmp(q->event, "launched") && !strcmp(q->pod, name))
			snprintf(detail, sizeof detail, "%s", q->detail);
	}
	cr_expect(!strncmp(detail, "m5.2xlarge", 10), "the replacement: %s", detail);
	cr_expect(detail[0] && atof(strchr(detail, ',') + 1) < sum, "%s against %.2f USD/h", detail, sum);
	cr_expect_eq(count(&m, "node", "draining", NULL, NULL, 0) >= 3, 1);
	for (size_t i = 0; i < m.n_summaries; i++)
		cr_expect_eq(m.summaries[i].slo_met, 1, "%s", m.summaries[i].service);
	memsink_free(&m);
	scn_free(&sc);
}

/* Settling the start with a multi-node command (found by a search over
 * random starts): 1 pod of 1.5 cores and 256 MiB, 9 more of them, and 8
 * of 0.25 cores and 6 GiB, DaemonSets of 200m and 256 MiB, on the test
 * catalog. The batch launches four nodes; as kube-scheduler spreads the
 * pods, two of them are replaced together by one m5.xlarge (node 4, made
 * while settling): three nodes are told, Ready at t = 0, none deleted,
 * nothing paid, and nothing is left to consolidate. */
Test(karpenter, settling_carries_out_a_multi_node_command)
{
	char path[128];
	snprintf(path, sizeof path, "%s/mn.yaml", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("name: mn\nduration: 1m\n"
	      "cluster:\n  catalog: cat.csv\n  daemonsets: {cpu: 200m, memory: 256Mi}\n  provisioner: karpenter\n"
	      "  karpenter:\n    nodepools:\n      - apiVersion: karpenter.sh/v1\n        kind: NodePool\n"
	      "        metadata: {name: pool}\n        spec:\n          template: {spec: {}}\n"
	      "          disruption: {consolidateAfter: 1m, budgets: [{nodes: \"100%\"}]}\n"
	      "services:\n"
	      "  s0:\n    replicas: 1\n    resources: {requests: {cpu: 1500m, memory: 256Mi}}\n    cpu_per_request: 1ms\n"
	      "    traffic: {rate: 1rps}\n"
	      "  s1:\n    replicas: 9\n    resources: {requests: {cpu: 1500m, memory: 256Mi}}\n    cpu_per_request: 1ms\n"
	      "  s2:\n    replicas: 8\n    resources: {requests: {cpu: 250m, memory: 6Gi}}\n    cpu_per_request: 1ms\n",
	      f);
	fclose(f);
	struct scenario sc;
	struct herr e;
	cr_assert_eq(scn_load(&sc, path, NULL, 0, &e), 0, "%s", e.msg);
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct w0 x;
		build(&x, &sc, seed);
		struct karp_cmd c = karp_consolidation_plan(x.w, SIM_HOUR);
		cr_expect_eq(c.kind, KARP_CMD_NONE, "seed %llu: kind %d (%s)", (unsigned long long)seed, c.kind, c.reason);
		for (size_t i = 0; i < x.w->n_svcs; i++)
			cr_expect_eq(x.w->svcs[i].n_pending, 0);
		cr_expect_eq(x.w->n_nodes, 3, "seed %llu", (unsigned long long)seed);
		const struct wnode *r = node_of(x.w, "m5.xlarge", 0);
		cr_expect(r && r->num == 4, "seed %llu: the replacement made while settling", (unsigned long long)seed);
		cr_expect_eq(rows_of(&x.m, "node", NULL, "ready", NULL, 0), 3);
		cr_expect_eq(rows_of(&x.m, "node", NULL, "deleted", NULL, 0), 0);
		cr_expect_eq(node_cost(x.w), 0);
		cr_expect_eq(x.w->max_nodes, 3);
		drop(&x);
	}
	scn_free(&sc);
}

/* ---- emptiness, against pkg/controllers/disruption/emptiness_test.go ---- */

/* A scenario of n_pools NodePools p0, p1, ... (disruption `disruption`,
 * WhenEmpty as upstream's Describe "Emptiness" has it), `cluster_extra`
 * under cluster:, and one service of 1 core / 1 GiB with no replicas: the
 * test adds its nodes. */
static void load_pools(struct scenario *sc, int n_pools, const char *disruption, const char *cluster_extra)
{
	char path[128], yaml[16384];
	size_t n = (size_t)snprintf(yaml, sizeof yaml,
				    "name: e\nduration: 5m\ncluster:\n  catalog: cat.csv\n%s  provisioner: karpenter\n"
				    "  karpenter:\n    nodepools:\n",
				    cluster_extra);
	for (int p = 0; p < n_pools; p++)
		n += (size_t)snprintf(yaml + n, sizeof yaml - n,
				      "      - apiVersion: karpenter.sh/v1\n        kind: NodePool\n"
				      "        metadata: {name: p%d}\n        spec:\n          template: {spec: {}}\n"
				      "          disruption: {consolidationPolicy: WhenEmpty, %s}\n",
				      p, disruption);
	snprintf(yaml + n, sizeof yaml - n,
		 "services:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: \"1\", memory: 1Gi}}\n"
		 "    cpu_per_request: 1ms\n    traffic: {rate: 1rps}\n");
	snprintf(path, sizeof path, "%s/e.yaml", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(yaml, f);
	fclose(f);
	struct herr e;
	cr_assert_eq(scn_load(sc, path, NULL, 0, &e), 0, "%s", e.msg);
	sc->services[0].replicas = 0;
}

/* A Ready node of `type` in NodePool `pool`, empty. */
static struct wnode *add_in_pool(struct world *w, const char *type, int pool)
{
	const struct scn_cluster *c = &w->sc->cluster;
	const struct instance_type *it = catalog_find(&c->catalog, type);
	cr_assert(it);
	size_t t = (size_t)(it - c->catalog.types);
	const struct scn_nodepool *np = &c->karpenter.pools[pool];
	return node_add(w, np->name, type, pool,
			(struct sched_alloc){np->alloc_cpu[t], np->alloc_mem[t], np->alloc_pods[t]}, it->price_hour,
			NODE_READY, NULL);
}

/* emptiness_test.go, Context "Budgets": empty c5.large nodes (the least
 * expensive type), every one Consolidatable; the NodePools' allowed
 * disruptions (karpenter_nodepools_allowed_disruptions) and how many nodes
 * the one emptiness command deletes. */
Test(karpenter, emptiness_budgets_match_the_upstream_table)
{
	static const struct {
		const char *it, *disruption;
		int pools, per_pool, allowed, deleted;
	} rows[] = {
		{"should allow all empty nodes to be disrupted", "consolidateAfter: 0s, budgets: [{nodes: \"100%\"}]", 1, 10,
		 10, 10},
		{"should allow no empty nodes to be disrupted", "consolidateAfter: 0s, budgets: [{nodes: \"0%\"}]", 1, 10, 0,
		 0},
		{"should only allow 3 empty nodes to be disrupted", "consolidateAfter: 0s, budgets: [{nodes: \"30%\"}]", 1,
		 10, 3, 3},
		{"should allow 2 nodes from each nodePool to be deleted", "consolidateAfter: 30s, budgets: [{nodes: \"50%\"}]",
		 10, 3, 2, 20},
		{"should allow all nodes from each nodePool to be deleted",
		 "consolidateAfter: 30s, budgets: [{nodes: \"100%\"}]", 10, 3, 3, 30},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct scenario sc;
		load_pools(&sc, rows[i].pools, rows[i].disruption, "");
		struct w0 x;
		build(&x, &sc, 1);
		for (int p = 0; p < rows[i].pools; p++)
			for (int k = 0; k < rows[i].per_pool; k++)
				add_in_pool(x.w, "c5.large", p);
		for (int p = 0; p < rows[i].pools; p++)
			cr_expect_eq(karp_disruptions_allowed(x.w, p), rows[i].allowed, "%s: pool %d", rows[i].it, p);
		struct karp_cmd c = karp_consolidation_plan(x.w, 60 * SIM_S);
		cr_expect_eq(c.kind, rows[i].deleted ? KARP_CMD_DELETE_EMPTY : KARP_CMD_NONE, "%s", rows[i].it);
		cr_expect_eq(c.n, rows[i].deleted, "%s: %d nodes", rows[i].it, c.n);
		drop(&x);
		scn_free(&sc);
	}
}

/* emptiness_test.go, Context "Emptiness" and the Its after it (a 100 %
 * budget, consolidateAfter 0s): It "can delete empty nodes", It "can delete
 * multiple empty nodes" (in one command), It "should ignore nodes that have
 * pods", It "should ignore nodes with the consolidatable status condition
 * set to false" (consolidateAfter 1m not passed yet), It "will consider a
 * node with a DaemonSet pod as empty". */
Test(karpenter, emptiness_deletes_empty_nodes_only)
{
	static const char *const budget = "budgets: [{nodes: \"100%\"}]";
	char d[128];
	struct scenario sc;
	struct w0 x;
	snprintf(d, sizeof d, "consolidateAfter: 0s, %s", budget);
	for (int n = 1; n <= 2; n++) {
		load_pools(&sc, 1, d, "");
		build(&x, &sc, 1);
		struct wnode *a = add_in_pool(x.w, "c5.large", 0), *b = n == 2 ? add_in_pool(x.w, "c5.large", 0) : NULL;
		struct karp_cmd c = karp_consolidation_plan(x.w, 0);
		cr_expect(c.kind == KARP_CMD_DELETE_EMPTY && c.n == n && in_cmd(&c, a) && (!b || in_cmd(&c, b)),
			  "%d empty nodes: kind %d, %d nodes", n, c.kind, c.n);
		cr_expect_str_eq(c.reason, "empty");
		drop(&x);
		scn_free(&sc);
	}
	load_pools(&sc, 1, d, "");
	build(&x, &sc, 1);
	struct wnode *a = add_in_pool(x.w, "m5.large", 0);
	pod_scale(x.w, &x.w->svcs[0], 1);
	cr_assert_eq(a->n_pods, 1);
	cr_expect_eq(karp_consolidation_plan(x.w, SIM_HOUR).kind, KARP_CMD_NONE, "a node with a pod");
	drop(&x);
	scn_free(&sc);
	snprintf(d, sizeof d, "consolidateAfter: 1m, %s", budget);
	load_pools(&sc, 1, d, "");
	build(&x, &sc, 1);
	add_in_pool(x.w, "c5.large", 0);
	cr_expect_eq(karp_consolidation_plan(x.w, 30 * SIM_S).kind, KARP_CMD_NONE, "not Consolidatable yet");
	cr_expect_eq(karp_consolidation_plan(x.w, 60 * SIM_S).kind, KARP_CMD_DELETE_EMPTY, "Consolidatable");
	drop(&x);
	scn_free(&sc);
	snprintf(d, sizeof d, "consolidateAfter: 0s, %s", budget);
	load_pools(&sc, 1, d, "  daemonsets: {cpu: 200m, memory: 256Mi}\n");
	build(&x, &sc, 1);
	a = add_in_pool(x.w, "c5.large", 0);
	cr_assert_eq(x.w->nodes[a->idx].n_pods, 1, "the DaemonSet pod is bound");
	struct karp_cmd c = karp_consolidation_plan(x.w, 0);
	cr_expect(c.kind == KARP_CMD_DELETE_EMPTY && c.n == 1, "a node with only a DaemonSet pod: kind %d", c.kind);
	drop(&x);
	scn_free(&sc);
}

/* emptiness_test.go, It "will consider a node with terminating Deployment
 * pods as empty": the node of t = 0 holds the 3 pods of t = 0; each gets a
 * request, and the Deployment goes to 0: the pods terminate, draining their
 * requests, still bound. Nothing of the node would have to move: empty. A
 * pod going terminating is a pod event (nodeclaim/podevents), so with
 * consolidateAfter 1m the node is Consolidatable a minute after that, not
 * a minute after the pods are gone. */
Test(karpenter, emptiness_counts_terminating_pods_out)
{
	struct scenario sc;
	load(&sc, 3, "          disruption: {consolidationPolicy: WhenEmpty, consolidateAfter: 1m}\n", "5m");
	struct w0 x;
	build(&x, &sc, 1);
	cr_assert_eq(x.w->n_nodes, 1);
	struct wnode *n = x.w->wnodes[0];
	cr_assert_eq(n->n_pods, 3);
	x.s.now = 30 * SIM_S; /* by hand (the run is not started): the requests and deletions at 30 s */
	for (int i = 0; i < 3; i++)
		svc_arrive(x.w, &x.w->svcs[0], REQ_NONE);
	pod_scale(x.w, &x.w->svcs[0], 0);
	int terminating = 0;
	for (uint32_t j = 0; j < n->n_hosted; j++)
		terminating += n->pods[j]->phase == POD_TERMINATING;
	cr_assert_gt(terminating, 0, "pods holding a request terminate, still bound");
	cr_expect_eq(n->last_pod_event, 30 * SIM_S);
	cr_expect_eq(karp_consolidation_plan(x.w, 89 * SIM_S).kind, KARP_CMD_NONE);
	struct karp_cmd c = karp_consolidation_plan(x.w, 90 * SIM_S);
	cr_expect(c.kind == KARP_CMD_DELETE_EMPTY && c.n == 1 && c.num[0] == n->num, "kind %d", c.kind);
	drop(&x);
	scn_free(&sc);
}

/* ---- placement: scenarios/pci-zones.yaml ---- */

struct pci_seen {
	int checks;
	int wrong_pool;    /* pods on the other pool's nodes */
	int worst_skew;    /* payment's and tokenizer's bound pods: max - min over the zones */
	unsigned pci_zones; /* zones with a pci node (bits) */
	int most_pci_pods; /* payment pods bound at once */
};
static struct pci_seen seen;

static simtime pci_check(struct sim *s, void *obj, uint64_t arg)
{
	(void)arg;
	const struct world *w = obj;
	seen.checks++;
	for (size_t i = 0; i < w->n_nodes; i++)
		if (w->wnodes[i]->pool == 0 && !w->wnodes[i]->static_node && w->wnodes[i]->zone >= 0)
			seen.pci_zones |= 1u << w->wnodes[i]->zone;
	for (size_t g = 0; g < w->n_svcs; g++) {
		const struct service *sv = &w->svcs[g];
		bool card = g < 2; /* payment, tokenizer: the pci pool (index 0) */
		int per_zone[3] = {0}, bound = 0;
		for (uint32_t j = 0; j < sv->n_pods; j++) {
			const struct pod *p = sv->pods[j];
			if (p->slot_free || !p->bound)
				continue;
			const struct wnode *n = w->wnodes[p->node];
			seen.wrong_pool += (n->pool == 0) != card;
			if (p->phase <= POD_RUNNING && n->zone >= 0) {
				per_zone[n->zone]++;
				bound++;
			}
		}
		if (card) {
			int lo = HR_MIN(per_zone[0], HR_MIN(per_zone[1], per_zone[2]));
			int hi = HR_MAX(per_zone[0], HR_MAX(per_zone[1], per_zone[2]));
			if (s->now <= 20 * 60 * SIM_S) /* before the HPAs scale down */
				seen.worst_skew = HR_MAX(seen.worst_skew, hi - lo);
			if (g == 0)
				seen.most_pci_pods = HR_MAX(seen.most_pci_pods, bound);
		}
	}
	return s->now + 5 * SIM_S < s->end ? 5 * SIM_S : SIM_DONE; /* a delay */
}

/* The shipped PCI scenario: card pods only on the tainted, labelled pci
 * NodePool's nodes and the rest only on the general pool's, all run long;
 * Karpenter launches pci nodes in every zone, and the card services' zone
 * spread (maxSkew 1, DoNotSchedule) holds at every check (every 5 s) while
 * they scale up and hold, consolidation moving pods included (the HPAs'
 * scale-down from about 23 min may leave a skew: a ReplicaSet removes pods
 * without regard to zones, and Kubernetes allows it); no pod is ever
 * unprovisionable. */
Test(karpenter, pci_zones_keeps_card_pods_apart_and_spread)
{
	struct scenario sc;
	struct herr e;
	cr_assert_eq(scn_load(&sc, "scenarios/pci-zones.yaml", NULL, 0, &e), 0, "%s", e.msg);
	cr_assert_str_eq(sc.cluster.karpenter.pools[0].name, "pci");
	cr_assert_str_eq(sc.services[0].name, "payment");
	cr_assert_str_eq(sc.services[1].name, "tokenizer");
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct sim s;
	sim_init(&s, sc.seed, sc.duration);
	struct world *w = world_new(&s, &sc, &out);
	seen = (struct pci_seen){0};
	sim_at(&s, SIM_S, PRIO_CONTROL, pci_check, w, 0);
	sim_run(&s);
	world_finish(w);
	cr_expect_gt(seen.checks, 300);
	cr_expect_eq(seen.wrong_pool, 0, "%d pod-checks on the other pool's nodes", seen.wrong_pool);
	cr_expect_leq(seen.worst_skew, 1, "payment/tokenizer zone skew %d", seen.worst_skew);
	cr_expect_eq(seen.pci_zones, 7u, "pci nodes in zones %#x", seen.pci_zones);
	cr_expect_geq(seen.most_pci_pods, 6, "payment scaled to %d", seen.most_pci_pods);
	cr_expect_lt(nth(&m, "pod", "unprovisionable", 0), 0, "a pod was unprovisionable");
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	scn_free(&sc);
}

/* ---- spot, offerings and insufficient capacity ---- */

static struct row_cost kept_cost;
static void keep_cost(void *ctx, const struct row_cost *r)
{
	(void)ctx;
	kept_cost = *r;
}

/* Runs sc with the service scaled to scale[i].n at scale[i].t seconds. */
struct step {
	double t;
	int n;
};
static struct memsink run_steps(const struct scenario *sc, const struct step *steps, size_t n)
{
	struct memsink m;
	struct sink out = memsink_init(&m);
	out.cost = keep_cost;
	struct sim s;
	sim_init(&s, sc->seed, sc->duration);
	struct world *w = world_new(&s, sc, &out);
	for (size_t i = 0; i < n; i++)
		sim_at(&s, (simtime)(steps[i].t * 1e9), PRIO_CONTROL, scale_ev, w, (uint64_t)steps[i].n);
	sim_run(&s);
	world_finish(w);
	world_free(w);
	sim_release(&s);
	return m;
}

/* The k-th "launched" row of a node: its time and detail. */
static double launched(const struct memsink *m, int k, char *detail, size_t len)
{
	for (size_t i = 0; i < m->n_decisions; i++) {
		const struct row_decision *r = &m->decisions[i].r;
		if (!strcmp(r->kind, "node") && !strcmp(r->event, "launched") && k-- == 0) {
			snprintf(detail, len, "%s", r->detail);
			return r->t_s;
		}
	}
	return -1;
}

#define SPOT_OR_OD                                                                                                     \
	"          template: {spec: {requirements: [{key: karpenter.sh/capacity-type, operator: In, values: [spot, "   \
	"on-demand]}]}}\n          disruption: {consolidateAfter: Never}\n"

/*
 * Hand-computed, a whole run (the AWS provider's behaviour, karp_offer.h:
 * instance.go getCapacityType and updateUnavailableOfferingsCache,
 * lifecycle/launch.go deleting the NodeClaim, UnavailableOfferingsTTL 3
 * min). A pool allowing spot and on-demand; cluster.capacity makes spot
 * short everywhere from 60 s to 120 s. t = 0: one pod on a spot c5.large
 * (0.0255). 90 s: a second pod; its batch closes at 91 s and tries spot,
 * cheapest first: its 9 spot offerings (3 types in 3 zones; m5.2xlarge's
 * 0.1152 is above the cheapest on-demand price, 0.085, and
 * SpotOfferingFilter leaves it out) fail, each marked unavailable until
 * 271 s, and the NodeClaim is deleted (an
 * "insufficient-capacity" row, no node). Its pod triggers a batch, which
 * closes at 92 s: no spot offering is available any more, so on-demand:
 * a c5.large at 0.085. 200 s: a third pod, batch at 201 s: spot is still
 * marked (the window ended at 120 s, but Karpenter has not looked since),
 * on-demand again, without an error. 280 s: a fourth pod, batch at 281 s:
 * the marks have expired, spot again. Each node costs its own offering's
 * price from its launch to the end (360 s).
 */
Test(karpenter, insufficient_capacity_falls_back_to_on_demand_and_spot_returns_after_3_minutes)
{
	spot_catalog();
	struct scenario sc;
	load(&sc, 1, SPOT_OR_OD, "6m");
	const char *sets[] = {"cluster.capacity=[{start: 60s, end: 120s, capacity_type: spot}]"};
	char path[128];
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	scn_free(&sc);
	struct herr e;
	cr_assert_eq(scn_load(&sc, path, sets, 1, &e), 0, "%s", e.msg);
	const struct step steps[] = {{90, 2}, {200, 3}, {280, 4}};
	struct memsink m = run_steps(&sc, steps, 3);
	char detail[256];
	cr_expect_eq(count(&m, "node", "insufficient-capacity", NULL, detail, sizeof detail), 1);
	cr_expect(fabs(nth(&m, "node", "insufficient-capacity", 0) - 91) < EPS, "at %.3f s",
		  nth(&m, "node", "insufficient-capacity", 0));
	cr_expect_str_eq(detail, "spot: c5.large in us-east-1a, c5.large in us-east-1b, c5.large in us-east-1c, m5.large "
				 "in us-east-1a, m5.large in us-east-1b and 4 other(s) short of capacity, unavailable for "
				 "3m; NodeClaim deleted, pods wait for the next batch");
	static const struct {
		double t;
		const char *detail;
	} want[] = {
		/* OrderByPrice over what is available: m5.2xlarge's spot offering (0.1152) was never tried */
		{92, "c5.large, 0.09 USD/h; cheapest of 4 compatible types: c5.large, m5.large, m5.2xlarge, m5.xlarge"},
		{201, "c5.large, 0.09 USD/h; cheapest of 4 compatible types: c5.large, m5.large, m5.2xlarge, m5.xlarge"},
		{281, "c5.large, spot, 0.03 USD/h; cheapest of 4 compatible types: c5.large, m5.large, m5.xlarge, "
		      "m5.2xlarge"},
	};
	for (int k = 0; k < 3; k++) {
		double t = launched(&m, k, detail, sizeof detail);
		cr_expect(fabs(t - want[k].t) < EPS, "launch %d at %.3f s, want %g s", k, t, want[k].t);
		cr_expect_str_eq(detail, want[k].detail, "launch %d", k);
	}
	cr_expect_eq(launched(&m, 3, detail, sizeof detail), -1);
	cr_expect_eq(count(&m, "pod", "ready", NULL, NULL, 0), 3);
	/* Σ node-hours x each node's own offering price */
	double spot = (0.0255 * 360 + 0.0255 * (360 - 281)) / 3600;
	double od = (0.085 * (360 - 92) + 0.085 * (360 - 201)) / 3600;
	cr_expect(fabs(kept_cost.cost_usd - (spot + od)) < 1e-9, "cost %.9f, want %.9f", kept_cost.cost_usd, spot + od);
	cr_expect(fabs(kept_cost.spot_usd - spot) < 1e-9, "spot %.9f, want %.9f", kept_cost.spot_usd, spot);
	cr_expect(fabs(kept_cost.node_hours - (360 + 268 + 159 + 79) / 3600.0) < 1e-9, "%.6f node-hours",
		  kept_cost.node_hours);
	cr_expect(fabs(kept_cost.start_spot_usd_hour - 0.0255) < 1e-12);
	memsink_free(&m);
	scn_free(&sc);
}

/* Hand-computed: the same run with on-demand short too, 60 s to 120 s. At
 * 91 s spot fails as above; the batch of 92 s, spot marked, tries
 * on-demand, whose offerings fail as well: its row names on-demand, the
 * capacity type it tried (not spot, which the claim also allows). */
Test(karpenter, insufficient_capacity_names_the_capacity_type_tried)
{
	spot_catalog();
	struct scenario sc;
	load(&sc, 1, SPOT_OR_OD, "6m");
	const char *sets[] = {"cluster.capacity=[{start: 60s, end: 120s}]"};
	char path[128];
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	scn_free(&sc);
	struct herr e;
	cr_assert_eq(scn_load(&sc, path, sets, 1, &e), 0, "%s", e.msg);
	const struct step steps[] = {{90, 2}};
	struct memsink m = run_steps(&sc, steps, 1);
	const char *want[] = {"spot: ", "on-demand: "};
	double at[] = {91, 92};
	int k = 0;
	for (size_t i = 0; i < m.n_decisions && k < 2; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (strcmp(r->kind, "node") || strcmp(r->event, "insufficient-capacity"))
			continue;
		cr_expect(fabs(r->t_s - at[k]) < EPS, "row %d at %.3f s", k, r->t_s);
		cr_expect(!strncmp(r->detail, want[k], strlen(want[k])), "row %d: %s", k, r->detail);
		k++;
	}
	cr_expect_eq(k, 2);
	memsink_free(&m);
	scn_free(&sc);
}

/* Bad input about offerings and capacity, each with its file:line:col:
 * a spot-only NodePool over a catalog with no spot price (and, as the
 * instancetype suite's It "should fail to launch capacity when there is
 * no zonal availability for spot" has it, spot offered only outside the
 * pool's zone: upstream leaves the pod pending, headroom refuses the
 * scenario), a capacity type headroom does not model, an offerings file
 * that is missing or wrong, and the capacity script's unknown zone, type
 * and family, a window that ends before it starts, both lists given, and
 * a capacity type it does not know. */
Test(karpenter, bad_offerings_and_capacity_input)
{
#define POOL_REQS(r)                                                                                                   \
	"  provisioner: karpenter\n  karpenter:\n    nodepools:\n      - apiVersion: karpenter.sh/v1\n"                \
	"        kind: NodePool\n        metadata: {name: p}\n        spec:\n          template:\n"                    \
	"            spec:\n              requirements:\n                - " r "\n"
#define SPOT_ONLY POOL_REQS("{key: karpenter.sh/capacity-type, operator: In, values: [spot]}")
#define OD_ONLY POOL_REQS("{key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}")
	static const struct {
		const char *cluster;
		const char *want; /* CAT: the catalog's path; OFF: the offerings file's */
	} rows[] = {
		{SPOT_ONLY,
		 "16:19: NodePool 'p': none of the 4 instance types its requirements allow has a spot offering in its zones: "
		 "CAT gives no spot_price_usd_hour; name an offerings file with cluster.offerings (e.g. "
		 "catalogs/ec2-us-east-1-spot.csv) or allow on-demand"},
		{"  offerings: off.csv\n" SPOT_ONLY
		 "                - {key: topology.kubernetes.io/zone, operator: In, values: [us-east-1b]}\n",
		 "17:19: NodePool 'p': none of the 4 instance types its requirements allow has a spot offering in its zones: "
		 "cluster.offerings (OFF) lists none for them"},
		{POOL_REQS("{key: karpenter.sh/capacity-type, operator: In, values: [reserved]}"),
		 "16:19: karpenter.sh/capacity-type: the NodePool's requirements allow neither on-demand nor spot (reserved "
		 "capacity is not modelled)"},
		{"  offerings: nope.csv\n" OD_ONLY, "6:14: offerings: DIR/nope.csv: cannot open: No such file or directory"},
		{"  offerings: bad.csv\n" OD_ONLY, "OFFBAD:2:11: capacity_type 'spit' is not on-demand or spot (the values of "
						   "karpenter.sh/capacity-type)"},
		{"  capacity: [{zones: [us-east-1d]}]\n" OD_ONLY,
		 "6:23: zones: 'us-east-1d' is not one of the cluster's zones (us-east-1a, us-east-1b, us-east-1c); list it "
		 "in cluster.zones"},
		{"  capacity: [{instance_types: [m5.larg]}]\n" OD_ONLY,
		 "6:32: instance_types: no instance type 'm5.larg' in CAT; did you mean 'm5.large'?"},
		{"  capacity: [{families: [m55]}]\n" OD_ONLY, "6:26: families: no instance family 'm55' in CAT; did you mean 'm5'?"},
		{"  capacity: [{start: 10m, end: 5m}]\n" OD_ONLY,
		 "6:32: end: 5m is not after start (10m): a window ends after it begins"},
		{"  capacity: [{families: [m5], instance_types: [m5.large]}]\n" OD_ONLY,
		 "6:47: instance_types: give families or instance_types, not both"},
		{"  capacity: [{capacity_type: reserved}]\n" OD_ONLY,
		 "6:30: capacity_type: 'reserved' is not one of on-demand, spot"},
	};
	char p[128];
	snprintf(p, sizeof p, "%s/off.csv", dir);
	FILE *f = fopen(p, "w");
	cr_assert(f);
	fputs("name,zone,capacity_type,price_usd_hour\n", f);
	for (int t = 0; t < 4; t++)
		fprintf(f, "%s,us-east-1a,spot,0.01\n", (const char *[]){"c5.large", "m5.large", "m5.xlarge", "m5.2xlarge"}[t]);
	fclose(f);
	snprintf(p, sizeof p, "%s/bad.csv", dir);
	f = fopen(p, "w");
	cr_assert(f);
	fputs("name,zone,capacity_type,price_usd_hour\nm5.large,,spit,0.01\n", f);
	fclose(f);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		expect_bad_cluster("  nodes: [{name: n, instance: m5.large}]\n", rows[i].cluster, rows[i].want, i);
}
