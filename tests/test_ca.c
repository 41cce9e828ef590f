/*
 * Cluster Autoscaler (models/cluster_autoscaler.c) end to end: scenarios
 * written here, run with a memory sink, every expectation a time or a
 * count worked out by hand from the flags (FACTS.md section 3).
 *
 * The test catalog has four types with made-up prices (m5.xlarge is
 * cheaper than m5.large: no expander here looks at prices). Allocatable follows Karpenter's EKS formula: an m5.large
 * holds 1.93 cores, an m5.xlarge and a c5.xlarge 3.92, an m5.2xlarge 7.91,
 * so a 1.5-core pod takes a whole m5.large and two fit the 4-vCPU types.
 * Latencies are constant: boot 100 s, initialization 10 s. Scans run every
 * 10 s from t = 10 s unless a test says otherwise.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "world.h"

#define EPS 1e-6

static const char catalog[] = "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
			      "m5.large,amd64,2,8192,29,0.096\n"
			      "m5.xlarge,amd64,4,16384,58,0.080\n"
			      "c5.xlarge,amd64,4,8192,58,0.170\n"
			      "m5.2xlarge,amd64,8,32768,58,0.384\n";

/* A scenario: `ca` is extra cluster_autoscaler keys (one per line, indented
 * 4), `groups` the node_groups list items, then `services` as YAML. */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert(f, "cannot write %s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

/* Loads the scenario into sc; returns scn_load's result (e the error). */
static int load(const char *duration, const char *ca, const char *groups, const char *services, struct scenario *sc,
		struct herr *e)
{
	char dir[] = "/tmp/test_ca.XXXXXX", path[64], yaml[4096];
	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/catalog.csv", dir);
	write_file(path, catalog);
	snprintf(yaml, sizeof yaml,
		 "name: ca-test\n"
		 "seed: 7\n"
		 "duration: %s\n"
		 "sample_interval: 10s\n"
		 "cluster:\n"
		 "  catalog: catalog.csv\n"
		 "  provisioner: cluster-autoscaler\n"
		 "  cluster_autoscaler:\n"
		 "    latency: {boot: 100s, initialization: 10s}\n"
		 "%s"
		 "    node_groups:\n"
		 "%s"
		 "services:\n"
		 "%s",
		 duration, ca, groups, services);
	snprintf(path, sizeof path, "%s/scenario.yaml", dir);
	write_file(path, yaml);
	int rc = scn_load(sc, path, NULL, 0, e);
	unlink(path);
	snprintf(path, sizeof path, "%s/catalog.csv", dir);
	unlink(path);
	rmdir(dir);
	return rc;
}

static struct memsink run(const char *duration, const char *ca, const char *groups, const char *services,
			  struct scenario *sc)
{
	struct herr e;
	cr_assert_eq(load(duration, ca, groups, services, sc, &e), 0, "%s", e.msg);
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct run_stats st;
	run_once(sc, sc->seed, &out, NULL, &st);
	return m;
}

/* n replicas of 1.5 cores and 1 GiB, taking 1 request a second. */
static const char *web(int n)
{
	static char buf[512];
	snprintf(buf, sizeof buf,
		 "  web:\n"
		 "    replicas: %d\n"
		 "    resources: {requests: {cpu: 1500m, memory: 1Gi}}\n"
		 "    cpu_per_request: 1ms\n"
		 "    traffic: {rate: 1rps}\n",
		 n);
	return buf;
}

static bool is(const struct mem_decision *d, const char *event) { return !strcmp(d->r.event, event); }

/* The i-th (from 0) decision with this event whose pod/node/group name
 * starts with `who`, or NULL. */
static const struct row_decision *nth(const struct memsink *m, const char *event, const char *who, int i)
{
	for (size_t j = 0; j < m->n_decisions; j++)
		if (is(&m->decisions[j], event) && !strncmp(m->decisions[j].r.pod, who, strlen(who)) && i-- == 0)
			return &m->decisions[j].r;
	return NULL;
}

static int count(const struct memsink *m, const char *event, const char *who)
{
	int n = 0;
	while (nth(m, event, who, n))
		n++;
	return n;
}

static double t_of(const struct row_decision *r) { return r ? r->t_s : -1; }

/* One node of 1.5 cores fits the initial m5.large; the second pod waits
 * from t = 0. With a 30 s scan the scale-up waits for the scan at 30 s;
 * the node registers at 30 + 100 s, is Ready at 140 s, and the pod is
 * bound then. Scans at 60..120 s count the upcoming node: no second
 * scale-up. */
Test(ca, waits_for_its_scan_then_boot_and_initialization)
{
	struct scenario sc;
	struct memsink m = run("300s", "    scan-interval: 30s\n", "      - {name: ng, instance: m5.large, min: 0, max: 10, size: 1}\n",
			       web(2), &sc);
	cr_expect_eq(count(&m, "scale-up", "ng"), 1);
	const struct row_decision *up = nth(&m, "scale-up", "ng", 0);
	cr_expect(fabs(t_of(up) - 30) < EPS, "scale-up at %.3f s, want 30 s", t_of(up));
	cr_expect(up && strstr(up->detail, "ng: +1 node(s) of m5.large (1 -> 2) for 1 pod(s)"), "%s", up ? up->detail : "");
	cr_expect(fabs(t_of(nth(&m, "launched", "ng-1", 0)) - 30) < EPS);
	cr_expect(fabs(t_of(nth(&m, "registered", "ng-1", 0)) - 130) < EPS);
	cr_expect(fabs(t_of(nth(&m, "ready", "ng-1", 0)) - 140) < EPS);
	cr_expect(fabs(t_of(nth(&m, "scheduled", "web-1", 0)) - 140) < EPS, "web-1 bound at %.3f s",
		  t_of(nth(&m, "scheduled", "web-1", 0)));
	memsink_free(&m);
	scn_free(&sc);
}

/* Pods younger than 2 s wait one loop (unschedulablePodTimeBuffer): with a
 * 1 s scan, the pods of t = 0 are too new at 1 s and scaled for at 2 s. */
Test(ca, very_new_pods_wait_one_loop)
{
	struct scenario sc;
	struct memsink m = run("30s", "    scan-interval: 1s\n", "      - {name: ng, instance: m5.large, min: 0, max: 10, size: 0}\n",
			       web(1), &sc);
	cr_expect_eq(count(&m, "scale-up", "ng"), 1);
	cr_expect(fabs(t_of(nth(&m, "scale-up", "ng", 0)) - 2) < EPS, "scale-up at %.3f s, want 2 s",
		  t_of(nth(&m, "scale-up", "ng", 0)));
	memsink_free(&m);
	scn_free(&sc);
}

/* 5 pending pods, one m5.large each, at most 2 nodes per scale-up: +2 at
 * 10 s, +2 at 20 s (the 2 upcoming nodes hold 2 pods), +1 at 30 s, then
 * nothing while the 5 nodes boot. All 5 are Ready at 120, 130, 140 s. */
Test(ca, upcoming_nodes_hold_pods_and_max_nodes_per_scaleup_caps)
{
	struct scenario sc;
	struct memsink m = run("200s", "    max-nodes-per-scaleup: 2\n",
			       "      - {name: ng, instance: m5.large, min: 0, max: 10, size: 0}\n", web(5), &sc);
	cr_expect_eq(count(&m, "scale-up", "ng"), 3);
	double want[] = {10, 20, 30};
	const char *what[] = {"(0 -> 2) for 2 pod(s)", "(2 -> 4) for 2 pod(s)", "(4 -> 5) for 1 pod(s)"};
	for (int i = 0; i < 3; i++) {
		const struct row_decision *r = nth(&m, "scale-up", "ng", i);
		cr_expect(fabs(t_of(r) - want[i]) < EPS, "scale-up %d at %.3f s, want %.0f s", i, t_of(r), want[i]);
		cr_expect(r && strstr(r->detail, what[i]), "scale-up %d: %s", i, r ? r->detail : "");
	}
	cr_expect_eq(count(&m, "ready", "ng-"), 5);
	cr_expect(fabs(t_of(nth(&m, "ready", "ng-", 4)) - 140) < EPS);
	memsink_free(&m);
	scn_free(&sc);
}

/* max 3: one scale-up of 3 nodes for the 5 pods; 2 pods stay pending and
 * never cause another. */
Test(ca, max_size_caps_the_scale_up)
{
	struct scenario sc;
	struct memsink m = run("400s", "", "      - {name: ng, instance: m5.large, min: 0, max: 3, size: 0}\n", web(5), &sc);
	cr_expect_eq(count(&m, "scale-up", "ng"), 1);
	const struct row_decision *r = nth(&m, "scale-up", "ng", 0);
	cr_expect(r && strstr(r->detail, "+3 node(s) of m5.large (0 -> 3) for 3 pod(s)"), "%s", r ? r->detail : "");
	cr_expect_eq(count(&m, "launched", "ng-"), 3);
	cr_expect_eq(count(&m, "scheduled", "web-"), 3);
	memsink_free(&m);
	scn_free(&sc);
}

/* 2 pods of 1.5 cores and 1 GiB (DaemonSets 200m and 256Mi do not change
 * the count: 1.73 and 3.72 cores left). Waste, capacity minus requests
 * over capacity, CPU plus memory:
 *   ng-l  2 x m5.large  (4000m, 16384 MiB): 0.25 + 14336/16384 = 1.125
 *   ng-m  1 x m5.xlarge (4000m, 16384 MiB): 0.25 + 0.875       = 1.125
 *   ng-c  1 x c5.xlarge (4000m,  8192 MiB): 0.25 + 6144/8192   = 1.0
 * least-waste picks ng-c. */
Test(ca, least_waste_picks_the_smallest_waste)
{
	struct scenario sc;
	struct memsink m = run("60s", "",
			       "      - {name: ng-l, instance: m5.large, min: 0, max: 10, size: 0}\n"
			       "      - {name: ng-m, instance: m5.xlarge, min: 0, max: 10, size: 0}\n"
			       "      - {name: ng-c, instance: c5.xlarge, min: 0, max: 10, size: 0}\n",
			       web(2), &sc);
	cr_expect_eq(count(&m, "scale-up", "ng"), 1);
	const struct row_decision *r = nth(&m, "scale-up", "ng", 0);
	cr_expect(r && !strcmp(r->pod, "ng-c"), "picked %s", r ? r->pod : "none");
	cr_expect(r && strstr(r->detail, "+1 node(s) of c5.xlarge (0 -> 1) for 2 pod(s); expander least-waste (score 1)"),
		  "%s", r ? r->detail : "");
	memsink_free(&m);
	scn_free(&sc);
}

/* One pod: least-waste takes ng-l, 0.25 + 7168/8192 = 1.125, over ng-m,
 * 2500/4000 + 15360/16384 = 1.5625, although the test catalog makes
 * m5.xlarge the cheaper node: no expander here reads prices. */
Test(ca, least_waste_ignores_prices)
{
	const char *groups = "      - {name: ng-l, instance: m5.large, min: 0, max: 10, size: 0}\n"
			     "      - {name: ng-m, instance: m5.xlarge, min: 0, max: 10, size: 0}\n";
	struct scenario sc;
	struct memsink m = run("60s", "", groups, web(1), &sc);
	const struct row_decision *r = nth(&m, "scale-up", "ng", 0);
	cr_expect(r && !strcmp(r->pod, "ng-l"), "least-waste picked %s", r ? r->pod : "none");
	memsink_free(&m);
	scn_free(&sc);
}

/* --expander=price needs the cloud provider's pricing, which CA's AWS
 * provider does not implement (cloudprovider/aws/aws_cloud_provider.go
 * Pricing returns ErrNotImplemented; expander/factory stops CA at start):
 * the loader refuses it where it is written. */
Test(ca, the_price_expander_is_refused_on_aws)
{
	struct scenario sc;
	struct herr e;
	cr_assert_eq(load("60s", "    expander: price\n", "      - {name: ng, instance: m5.large, min: 0, max: 10, size: 0}\n",
			  web(1), &sc, &e),
		     -1);
	cr_expect(strstr(e.msg, "/scenario.yaml:10:15: expander: 'price' is not available on AWS: Cluster Autoscaler's AWS "
				"provider has no pricing model, so CA exits at start with --expander=price; use least-waste "
				"(the default), most-pods or random"),
		  "%s", e.msg);
}

/* 2 pods, both groups at most 1 node. most-pods: ng-2xl holds 2, ng-l 1:
 * ng-2xl. least-waste: ng-l 1.125 against ng-2xl 5000/8000 + 30720/32768
 * = 1.5625: ng-l at 10 s, and at 20 s, ng-l at its max, ng-2xl for the
 * other pod. */
Test(ca, most_pods_picks_the_option_that_places_most)
{
	const char *groups = "      - {name: ng-l, instance: m5.large, min: 0, max: 1, size: 0}\n"
			     "      - {name: ng-2xl, instance: m5.2xlarge, min: 0, max: 1, size: 0}\n";
	struct scenario sc;
	struct memsink m = run("60s", "    expander: most-pods\n", groups, web(2), &sc);
	cr_expect_eq(count(&m, "scale-up", "ng"), 1);
	const struct row_decision *r = nth(&m, "scale-up", "ng", 0);
	cr_expect(r && !strcmp(r->pod, "ng-2xl"), "most-pods picked %s", r ? r->pod : "none");
	cr_expect(r && strstr(r->detail, "for 2 pod(s)"), "%s", r ? r->detail : "");
	memsink_free(&m);
	scn_free(&sc);
	m = run("60s", "", groups, web(2), &sc);
	cr_expect_eq(count(&m, "scale-up", "ng"), 2);
	cr_expect_str_eq(nth(&m, "scale-up", "ng", 0)->pod, "ng-l");
	cr_expect(fabs(t_of(nth(&m, "scale-up", "ng", 0)) - 10) < EPS);
	cr_expect_str_eq(nth(&m, "scale-up", "ng", 1)->pod, "ng-2xl");
	cr_expect(fabs(t_of(nth(&m, "scale-up", "ng", 1)) - 20) < EPS);
	memsink_free(&m);
	scn_free(&sc);
}

/* A 16-core pod fits no template: reported once, never scaled for. */
Test(ca, a_pod_no_template_holds_is_unprovisionable)
{
	struct scenario sc;
	struct memsink m = run("120s", "", "      - {name: ng, instance: m5.2xlarge, min: 0, max: 10, size: 1}\n",
			       "  web:\n"
			       "    replicas: 1\n"
			       "    resources: {requests: {cpu: \"16\", memory: 1Gi}}\n"
			       "    cpu_per_request: 1ms\n"
			       "    traffic: {rate: 1rps}\n",
			       &sc);
	cr_expect_eq(count(&m, "scale-up", "ng"), 0);
	cr_expect_eq(count(&m, "unprovisionable", "web-0"), 1);
	const struct row_decision *r = nth(&m, "unprovisionable", "web-0", 0);
	cr_expect(fabs(t_of(r) - 10) < EPS);
	cr_expect(r && strstr(r->detail, "Cluster Autoscaler") && strstr(r->detail, "16 cores"), "%s", r ? r->detail : "");
	memsink_free(&m);
	scn_free(&sc);
}

/* 3 m5.large, 2 pods of 1.5 cores: LeastAllocated spreads them, one node
 * stays empty (utilisation 0 < 0.5; the others 1.5/1.93 = 0.78). It is
 * unneeded from the scan at 10 s; with a 5 min unneeded time it may go
 * once 10 + 300 < now: at 320 s, not at 310 s. */
Test(ca, scale_down_after_the_unneeded_time)
{
	struct scenario sc;
	struct memsink m = run("600s", "    scale-down-unneeded-time: 5m\n",
			       "      - {name: ng, instance: m5.large, min: 0, max: 10, size: 3}\n", web(2), &sc);
	cr_expect_eq(count(&m, "draining", "ng-"), 1);
	const struct row_decision *r = nth(&m, "draining", "ng-", 0);
	cr_expect(fabs(t_of(r) - 320) < EPS, "drained at %.3f s, want 320 s", t_of(r));
	cr_expect(r && r->desired == 0, "the drained node had %d pods", r ? r->desired : -1);
	cr_expect(r && strstr(r->detail, "unneeded since 10 s") && strstr(r->detail, "empty"), "%s", r ? r->detail : "");
	cr_expect_eq(count(&m, "deleted", "ng-"), 1);
	memsink_free(&m);
	scn_free(&sc);
}

/* The group at its min keeps its empty node. */
Test(ca, scale_down_keeps_the_group_min)
{
	struct scenario sc;
	struct memsink m = run("900s", "    scale-down-unneeded-time: 5m\n",
			       "      - {name: ng, instance: m5.large, min: 3, max: 10, size: 3}\n", web(2), &sc);
	cr_expect_eq(count(&m, "draining", "ng-"), 0);
	memsink_free(&m);
	scn_free(&sc);
}

/* As above, plus a 3-core pod that only an m5.xlarge holds: a scale-up of
 * ng-x at 10 s. That loop does no scale-down, so the empty m5.large is
 * unneeded from 20 s and long enough from 330 s, but the delay after add
 * (10 min) holds scale-down until 10 + 600 = 610 s. */
Test(ca, no_scale_down_within_the_delay_after_add)
{
	struct scenario sc;
	char services[1024];
	snprintf(services, sizeof services,
		 "%s"
		 "  big:\n"
		 "    replicas: 1\n"
		 "    resources: {requests: {cpu: \"3\", memory: 1Gi}}\n"
		 "    cpu_per_request: 1ms\n",
		 web(2));
	struct memsink m = run("900s", "    scale-down-unneeded-time: 5m\n",
			       "      - {name: ng, instance: m5.large, min: 0, max: 10, size: 3}\n"
			       "      - {name: ng-x, instance: m5.xlarge, min: 0, max: 10, size: 0}\n",
			       services, &sc);
	cr_expect_eq(count(&m, "scale-up", "ng-x"), 1);
	cr_expect(fabs(t_of(nth(&m, "scale-up", "ng-x", 0)) - 10) < EPS);
	cr_expect_eq(count(&m, "draining", "ng-"), 1);
	const struct row_decision *r = nth(&m, "draining", "ng-", 0);
	cr_expect(fabs(t_of(r) - 610) < EPS, "drained at %.3f s, want 610 s", t_of(r));
	cr_expect(r && strstr(r->detail, "unneeded since 20 s"), "%s", r ? r->detail : "");
	memsink_free(&m);
	scn_free(&sc);
}

/* Boot 100 s against max-node-provision-time 60 s: the scale-up at 10 s is
 * due at 70 s and found failed at the scan at 80 s: the node is deleted and
 * ng backs off 5 min, to 380 s, where it scales up again; that fails at
 * 450 s and the backoff doubles to 10 min: the next try is at 1050 s. */
Test(ca, a_failed_scale_up_backs_the_group_off)
{
	struct scenario sc;
	struct memsink m = run("1100s", "    max-node-provision-time: 60s\n",
			       "      - {name: ng, instance: m5.large, min: 0, max: 10, size: 0}\n", web(1), &sc);
	double ups[] = {10, 380, 1050}, offs[] = {80, 450};
	cr_expect_eq(count(&m, "scale-up", "ng"), 3);
	for (int i = 0; i < 3; i++)
		cr_expect(fabs(t_of(nth(&m, "scale-up", "ng", i)) - ups[i]) < EPS, "scale-up %d at %.3f s, want %.0f s", i,
			  t_of(nth(&m, "scale-up", "ng", i)), ups[i]);
	cr_expect_eq(count(&m, "backoff", "ng"), 2);
	const char *len[] = {"backed off 300 s, until 380 s", "backed off 600 s, until 1050 s"};
	for (int i = 0; i < 2; i++) {
		const struct row_decision *r = nth(&m, "backoff", "ng", i);
		cr_expect(fabs(t_of(r) - offs[i]) < EPS, "backoff %d at %.3f s, want %.0f s", i, t_of(r), offs[i]);
		cr_expect(r && strstr(r->detail, len[i]), "%s", r ? r->detail : "");
	}
	cr_expect_eq(count(&m, "registration-timeout", "ng-"), 2);
	cr_expect_eq(count(&m, "registered", "ng-"), 0);
	cr_expect_eq(count(&m, "scheduled", "web-0"), 0);
	memsink_free(&m);
	scn_free(&sc);
}

/* scenarios/ca-spike.yaml twice with one seed: the same decisions. */
Test(ca, runs_repeat_bit_for_bit)
{
	struct memsink m[2];
	struct scenario sc[2];
	for (int i = 0; i < 2; i++) {
		struct herr e;
		cr_assert_eq(scn_load(&sc[i], "scenarios/ca-spike.yaml", NULL, 0, &e), 0, "%s", e.msg);
		struct sink out = memsink_init(&m[i]);
		struct run_stats st;
		run_once(&sc[i], sc[i].seed, &out, NULL, &st);
	}
	cr_assert_eq(m[0].n_decisions, m[1].n_decisions);
	cr_expect_gt(count(&m[0], "scale-up", "general"), 0, "the spike should scale the group up");
	cr_expect_gt(count(&m[0], "draining", "general-"), 0, "and back down after it");
	for (size_t i = 0; i < m[0].n_decisions; i++) {
		const struct row_decision *a = &m[0].decisions[i].r, *b = &m[1].decisions[i].r;
		cr_assert(a->t_s == b->t_s && !strcmp(a->event, b->event) && !strcmp(a->pod ? a->pod : "", b->pod ? b->pod : ""),
			  "decision %zu differs", i);
	}
	for (int i = 0; i < 2; i++) {
		memsink_free(&m[i]);
		scn_free(&sc[i]);
	}
}

/* The nodes of t = 0 of a shipped scenario with the Cluster Autoscaler:
 * CA only ever scales a group down above its min, and then only nodes
 * under scale-down-utilization-threshold, so a node of a group above its
 * min is at or over the threshold with the pods of t = 0 (else CA would
 * take it away after scale-down-unneeded-time, as a real one would do to
 * an ASG whose desired size was set above what its pods need). */
static void check_ca_start(const struct scenario *sc, const char *what, size_t v, void *ctx)
{
	(void)v;
	if (sc->cluster.provisioner != PROV_CLUSTER_AUTOSCALER)
		return;
	const struct scn_ca *ca = &sc->cluster.ca;
	struct sim s;
	sim_init(&s, sc->seed, sc->duration);
	struct world *w = world_new(&s, sc, &(struct sink){0});
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *n = w->wnodes[i];
		const struct sched_node *sn = &w->nodes[i];
		if (n->static_node || n->pool < 0 || ca->groups[n->pool].initial <= ca->groups[n->pool].min)
			continue;
		double u = fmax(sn->req_cpu / sn->alloc_cpu, sn->req_mem / sn->alloc_mem);
		cr_expect_geq(u, ca->scale_down_utilization_threshold, "%s: %s at %.2f of its allocatable at t = 0", what,
			      n->name, u);
	}
	world_free(w);
	sim_release(&s);
	++*(int *)ctx;
}

Test(ca, no_shipped_start_is_scaled_down)
{
	int checked = 0;
	shipped_each(check_ca_start, &checked);
	cr_expect_geq(checked, 2, "%d scenarios and variants with the Cluster Autoscaler", checked);
}
