/*
 * Cluster Autoscaler (models/cluster_autoscaler.c) end to end: scenarios
 * written here, run with a memory sink, every expectation a time or a
 * count worked out by hand from the flags (docs/model.md, Cluster Autoscaler).
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

#include "cluster_autoscaler.h"
#include "harness.h"
#include "rng.h"
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

/* Loads the scenario into sc, `cluster` extra cluster keys (one per line,
 * indented 2); returns scn_load's result (e the error). */
static int load_with(const char *duration, const char *cluster, const char *ca, const char *groups,
		     const char *services, struct scenario *sc, struct herr *e)
{
	char dir[] = "/tmp/test_ca.XXXXXX", path[64], yaml[8192];
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
		 "%s"
		 "  cluster_autoscaler:\n"
		 "    latency: {boot: 100s, initialization: 10s}\n"
		 "%s"
		 "    node_groups:\n"
		 "%s"
		 "services:\n"
		 "%s",
		 duration, cluster, ca, groups, services);
	snprintf(path, sizeof path, "%s/scenario.yaml", dir);
	write_file(path, yaml);
	int rc = scn_load(sc, path, NULL, 0, e);
	unlink(path);
	snprintf(path, sizeof path, "%s/catalog.csv", dir);
	unlink(path);
	rmdir(dir);
	return rc;
}

static int load(const char *duration, const char *ca, const char *groups, const char *services, struct scenario *sc,
		struct herr *e)
{
	return load_with(duration, "", ca, groups, services, sc, e);
}

static struct memsink run_with(const char *duration, const char *cluster, const char *ca, const char *groups,
			       const char *services, struct scenario *sc)
{
	struct herr e;
	cr_assert_eq(load_with(duration, cluster, ca, groups, services, sc, &e), 0, "%s", e.msg);
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct run_stats st;
	run_once(sc, sc->seed, &out, NULL, &st);
	return m;
}

static struct memsink run(const char *duration, const char *ca, const char *groups, const char *services,
			  struct scenario *sc)
{
	return run_with(duration, "", ca, groups, services, sc);
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

/* The threshold is inclusive (eligibility.go: a node is kept when its
 * utilization is above it): at threshold 0 the empty node (utilisation 0)
 * still goes, at 320 s as above. With `<` it stayed for ever. */
Test(ca, scale_down_at_the_threshold)
{
	struct scenario sc;
	struct memsink m = run("600s", "    scale-down-unneeded-time: 5m\n    scale-down-utilization-threshold: 0\n",
			       "      - {name: ng, instance: m5.large, min: 0, max: 10, size: 3}\n", web(2), &sc);
	cr_expect_eq(count(&m, "draining", "ng-"), 1);
	const struct row_decision *r = nth(&m, "draining", "ng-", 0);
	cr_expect(fabs(t_of(r) - 320) < EPS, "drained at %.3f s, want 320 s", t_of(r));
	cr_expect(r && strstr(r->detail, "(utilisation 0.00 <= 0.00, empty)"), "%s", r ? r->detail : "");
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
 * CA only ever scales a group down above its min, and then only nodes at
 * or under scale-down-utilization-threshold, so a node of a group above its
 * min is over the threshold with the pods of t = 0 (else CA would
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
		cr_expect_gt(u, ca->scale_down_utilization_threshold, "%s: %s at %.2f of its allocatable at t = 0", what,
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

/* ==== Placement in the scan loop ====
 *
 * The node groups' taints, labels and zones, and the pods' placement,
 * in a whole run: which group a scale-up takes, what the estimator packs,
 * which room filterOutSchedulable and the scale-down simulation count. */

/* Service `name`: a Deployment of n replicas of `cpu` (a quantity) and
 * 1 GiB taking 1 request a second, with `spec` added to its pod spec
 * (lines indented 12), written into buf. */
static const char *dep(char *buf, size_t size, const char *name, int n, const char *cpu, const char *spec)
{
	snprintf(buf, size,
		 "  %s:\n"
		 "    cpu_per_request: 1ms\n"
		 "    traffic: {rate: 1rps}\n"
		 "    deployment:\n"
		 "      apiVersion: apps/v1\n"
		 "      kind: Deployment\n"
		 "      spec:\n"
		 "        replicas: %d\n"
		 "        selector: {matchLabels: {app: %s}}\n"
		 "        template:\n"
		 "          metadata: {labels: {app: %s}}\n"
		 "          spec:\n"
		 "            containers: [{name: app, image: app, resources: {requests: {cpu: %s, memory: 1Gi}},\n"
		 "                          readinessProbe: {tcpSocket: {port: 80}}}]\n"
		 "%s",
		 name, n, name, name, cpu, spec);
	return buf;
}

#define TOLERATES_PCI "            tolerations: [{key: workload, operator: Equal, value: pci, effect: NoSchedule}]\n"
#define ANTI_SELF(app)                                                                                   \
	"            affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [\n"    \
	"              {labelSelector: {matchLabels: {app: " app "}}, topologyKey: kubernetes.io/hostname}]}}\n"

/* The scale-up's group and detail, or NULL; no other group scaled up. */
static const struct row_decision *only_scale_up(const struct memsink *m, const char *group, const char *detail)
{
	const struct row_decision *r = nth(m, "scale-up", "", 0);
	cr_expect_eq(count(m, "scale-up", ""), 1, "scale-ups: %d", count(m, "scale-up", ""));
	cr_expect(r && !strcmp(r->pod, group), "scaled up %s, want %s", r ? r->pod : "nothing", group);
	cr_expect(r && strstr(r->detail, detail), "%s", r ? r->detail : "");
	return r;
}

/* web, n pods of 1.5 cores with `spec` in their pod spec, on these groups
 * for `duration`: one scale-up, of `group`, its detail holding `detail`.
 * Returns how many pods were scheduled, and *unprov (may be NULL) the
 * unprovisionable rows. */
static int scales_up(const char *duration, const char *groups, int n, const char *spec, const char *group,
		     const char *detail, int *unprov)
{
	char svc[2048];
	struct scenario sc;
	struct memsink m = run(duration, "", groups, dep(svc, sizeof svc, "web", n, "1500m", spec), &sc);
	only_scale_up(&m, group, detail);
	int scheduled = count(&m, "scheduled", "web-");
	if (unprov)
		*unprov = count(&m, "unprovisionable", "web-");
	memsink_free(&m);
	scn_free(&sc);
	return scheduled;
}

/* least-waste prefers ng-c's c5.xlarge for 2 pods of 1.5 cores (1.0
 * against 1.125, least_waste_picks_the_smallest_waste), but its taint
 * refuses pods that do not tolerate it: ng-l takes them; pods that
 * tolerate it go to ng-c. */
Test(ca, a_tainted_group_scales_up_only_for_pods_that_tolerate_it)
{
	const char *groups = "      - {name: ng-c, instance: c5.xlarge, min: 0, max: 10, size: 0,\n"
			     "         taints: [{key: workload, value: pci, effect: NoSchedule}]}\n"
			     "      - {name: ng-l, instance: m5.large, min: 0, max: 10, size: 0}\n";
	int unprov;
	scales_up("60s", groups, 2, "", "ng-l", "+2 node(s) of m5.large (0 -> 2) for 2 pod(s)", &unprov);
	cr_expect_eq(unprov, 0);
	scales_up("60s", groups, 2, TOLERATES_PCI, "ng-c", "+1 node(s) of c5.xlarge (0 -> 1) for 2 pod(s)", NULL);
}

/* A nodeSelector on a group's label: ng-l, not the smaller waste of ng-c. */
Test(ca, a_node_selector_picks_the_group_with_the_label)
{
	scales_up("60s",
		  "      - {name: ng-c, instance: c5.xlarge, min: 0, max: 10, size: 0, labels: {team: a}}\n"
		  "      - {name: ng-l, instance: m5.large, min: 0, max: 10, size: 0, labels: {team: b}}\n",
		  2, "            nodeSelector: {team: b}\n", "ng-l", "+2 node(s) of m5.large (0 -> 2) for 2 pod(s)", NULL);
}

/* A pod whose required node affinity names zone us-east-1b: the template
 * of ng-c (us-east-1a) does not admit it, ng-l's (us-east-1b) does. Its
 * nodes are in us-east-1b, and the pods run there. */
Test(ca, a_zone_pinned_pod_scales_the_group_in_its_zone)
{
	const char *groups = "      - {name: ng-c, instance: c5.xlarge, min: 0, max: 10, size: 0, zone: us-east-1a}\n"
			     "      - {name: ng-l, instance: m5.large, min: 0, max: 10, size: 0, zone: us-east-1b}\n";
	char svc[2048];
	struct scenario sc;
	struct memsink m = run("200s", "", groups,
			       dep(svc, sizeof svc, "web", 2, "1500m",
				   "            affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution:\n"
				   "              {nodeSelectorTerms: [{matchExpressions: [{key: topology.kubernetes.io/zone,\n"
				   "                operator: In, values: [us-east-1b]}]}]}}}\n"),
			       &sc);
	only_scale_up(&m, "ng-l", "+2 node(s) of m5.large (0 -> 2) for 2 pod(s)");
	cr_expect_eq(count(&m, "scheduled", "web-"), 2);
	const struct row_decision *r = nth(&m, "launched", "ng-l", 0);
	cr_expect(r && strstr(r->detail, "us-east-1b"), "%s", r ? r->detail : "");
	memsink_free(&m);
	scn_free(&sc);
}

/* No template admits the pod: ng-t's taint is not tolerated, ng-a's label
 * is not the nodeSelector's. One row says why, and nothing scales up. */
Test(ca, unprovisionable_says_which_predicate_refused)
{
	const char *groups = "      - {name: ng-t, instance: m5.large, min: 0, max: 10, size: 0,\n"
			     "         taints: [{key: workload, value: pci, effect: NoSchedule}]}\n"
			     "      - {name: ng-a, instance: m5.large, min: 0, max: 10, size: 0, labels: {team: a}}\n";
	char svc[2048];
	struct scenario sc;
	struct memsink m =
		run("60s", "", groups, dep(svc, sizeof svc, "web", 1, "500m", "            nodeSelector: {team: b}\n"), &sc);
	cr_expect_eq(count(&m, "scale-up", ""), 0);
	cr_expect_eq(count(&m, "unprovisionable", "web-"), 1);
	const struct row_decision *r = nth(&m, "unprovisionable", "web-", 0);
	cr_expect(r && !strcmp(r->detail, "Cluster Autoscaler: pod didn't trigger scale-up: 1 node group(s) had "
					  "untolerated taint {workload: pci}, 1 didn't match Pod's node affinity/selector"),
		  "%s", r ? r->detail : "");
	memsink_free(&m);
	scn_free(&sc);
}

/* The reasons are cut at the row's 255 characters: a taint key as long
 * as a prefixed key may be (a 194-character prefix here), then a second
 * reason (the reasons were once appended past the buffer, which SAN=1
 * reports). */
Test(ca, unprovisionable_reasons_are_cut_to_the_row)
{
	const char *key = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
			  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
			  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.com/workload";
	char g[1024], svc[2048];
	snprintf(g, sizeof g,
		 "      - {name: ng-t, instance: m5.large, min: 0, max: 10, size: 0,\n"
		 "         taints: [{key: %s, value: pci, effect: NoSchedule}]}\n"
		 "      - {name: ng-a, instance: m5.large, min: 0, max: 10, size: 0, labels: {team: a}}\n",
		 key);
	struct scenario sc;
	struct memsink m =
		run("60s", "", g, dep(svc, sizeof svc, "web", 1, "500m", "            nodeSelector: {team: b}\n"), &sc);
	const struct row_decision *r = nth(&m, "unprovisionable", "web-", 0);
	cr_assert(r);
	char want[512];
	snprintf(want, sizeof want,
		 "Cluster Autoscaler: pod didn't trigger scale-up: 1 node group(s) had untolerated taint {%s: pci}, 1 "
		 "didn't match Pod's node affinity/selector",
		 key);
	want[255] = 0;
	cr_expect_str_eq(r->detail, want);
	memsink_free(&m);
	scn_free(&sc);
}

/* 5 pods of 500m that repel each other on hostname (3 would fit an
 * m5.large): one scale-up of 5 nodes at 10 s, and when they are Ready the
 * 5 pods run on 5 nodes, one each. */
Test(ca, anti_affinity_scales_up_a_node_a_pod)
{
	char svc[2048];
	struct scenario sc;
	struct memsink m = run("300s", "", "      - {name: ng, instance: m5.large, min: 0, max: 10, size: 0}\n",
			       dep(svc, sizeof svc, "web", 5, "500m", ANTI_SELF("web")), &sc);
	const struct row_decision *up = only_scale_up(&m, "ng", "+5 node(s) of m5.large (0 -> 5) for 5 pod(s)");
	cr_expect(fabs(t_of(up) - 10) < EPS);
	cr_expect_eq(count(&m, "launched", "ng-"), 5);
	cr_expect_eq(count(&m, "scheduled", "web-"), 5);
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < i; j++) {
			const struct row_decision *a = nth(&m, "scheduled", "web-", i), *b = nth(&m, "scheduled", "web-", j);
			cr_expect(a && b && strcmp(a->detail, b->detail), "two pods on %s", a ? a->detail : "?");
		}
	memsink_free(&m);
	scn_free(&sc);
}

/* The same with at most 2 nodes a scale-up: the upcoming nodes hold one
 * pod each (filterOutSchedulable checks the anti-affinity too), so the
 * scans at 10, 20 and 30 s add 2, 2 and 1. */
Test(ca, upcoming_nodes_hold_one_pod_each_under_anti_affinity)
{
	char svc[2048];
	struct scenario sc;
	struct memsink m = run("200s", "    max-nodes-per-scaleup: 2\n",
			       "      - {name: ng, instance: m5.large, min: 0, max: 10, size: 0}\n",
			       dep(svc, sizeof svc, "web", 5, "500m", ANTI_SELF("web")), &sc);
	cr_expect_eq(count(&m, "scale-up", "ng"), 3);
	const char *what[] = {"(0 -> 2) for 2 pod(s)", "(2 -> 4) for 2 pod(s)", "(4 -> 5) for 1 pod(s)"};
	for (int i = 0; i < 3; i++) {
		const struct row_decision *r = nth(&m, "scale-up", "ng", i);
		cr_expect(fabs(t_of(r) - 10 * (i + 1)) < EPS, "scale-up %d at %.3f s", i, t_of(r));
		cr_expect(r && strstr(r->detail, what[i]), "scale-up %d: %s", i, r ? r->detail : "");
	}
	cr_expect_eq(count(&m, "scheduled", "web-"), 5);
	memsink_free(&m);
	scn_free(&sc);
}

/* Three m5.large groups, one a zone, each with a node at t = 0 (ng-b's
 * and ng-c's max max_bc), and 6 pods of 1.5 cores (one an m5.large) with
 * a hard zone spread, maxSkew 1: 3 pods run at t = 0, one a zone. */
static struct memsink zone_spread_run(int max_bc, struct scenario *sc)
{
	char groups[512], svc[2048];
	snprintf(groups, sizeof groups,
		 "      - {name: ng-a, instance: m5.large, min: 1, max: 5, size: 1, zone: us-east-1a}\n"
		 "      - {name: ng-b, instance: m5.large, min: 1, max: %d, size: 1, zone: us-east-1b}\n"
		 "      - {name: ng-c, instance: m5.large, min: 1, max: %d, size: 1, zone: us-east-1c}\n",
		 max_bc, max_bc);
	return run("300s", "", groups,
		   dep(svc, sizeof svc, "web", 6, "1500m",
		       "            topologySpreadConstraints:\n"
		       "              - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone,\n"
		       "                 whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}\n"),
		   sc);
}

/* Each of the 3 pending pods: every option places 1 (1 + 1 - 1), and once
 * a scale-up's pod is packed onto its upcoming node its zone counts 2 and
 * that group offers none. So the three scale-ups go to the three groups,
 * and the 6 pods run 2 a zone. */
Test(ca, zone_spread_scales_each_zone_once)
{
	struct scenario sc;
	struct memsink m = zone_spread_run(5, &sc);
	cr_expect_eq(count(&m, "scale-up", "ng-"), 3);
	cr_expect_eq(count(&m, "scale-up", "ng-a"), 1);
	cr_expect_eq(count(&m, "scale-up", "ng-b"), 1);
	cr_expect_eq(count(&m, "scale-up", "ng-c"), 1);
	for (int i = 0; i < 3; i++) {
		const struct row_decision *r = nth(&m, "scale-up", "ng-", i);
		cr_expect(r && strstr(r->detail, "+1 node(s) of m5.large"), "%s", r ? r->detail : "");
	}
	cr_expect_eq(count(&m, "scheduled", "web-"), 6);
	memsink_free(&m);
	scn_free(&sc);
}

/* As above with ng-b and ng-c at their max: ng-a scales up at 10 s; at
 * 20 s the pod packed onto its upcoming node makes zone a count 2 (as in
 * upstream's snapshot), 2 + 1 - 1 > 1, and nothing scales up again. The
 * node takes one of the 3 pending pods; 2 stay Pending. */
Test(ca, zone_spread_counts_the_pods_on_upcoming_nodes)
{
	struct scenario sc;
	struct memsink m = zone_spread_run(1, &sc);
	const struct row_decision *up = only_scale_up(&m, "ng-a", "+1 node(s) of m5.large (1 -> 2) for 1 pod(s)");
	cr_expect(fabs(t_of(up) - 10) < EPS);
	cr_expect_eq(count(&m, "scheduled", "web-"), 4);
	memsink_free(&m);
	scn_free(&sc);
}

/* ng-t's node has room for the pod but a taint it does not tolerate:
 * filterOutSchedulable does not count that room, so ng-l scales up. */
Test(ca, room_on_a_node_the_pod_may_not_use_is_no_room)
{
	int scheduled = scales_up("200s",
				  "      - {name: ng-t, instance: m5.xlarge, min: 1, max: 10, size: 1,\n"
				  "         taints: [{key: workload, value: pci, effect: NoSchedule}]}\n"
				  "      - {name: ng-l, instance: m5.large, min: 0, max: 10, size: 0}\n",
				  1, "", "ng-l", "+1 node(s) of m5.large (0 -> 1) for 1 pod(s)", NULL);
	cr_expect_eq(scheduled, 1);
}

/* n pods of web (1.5 cores, its pod spec `spec`) on these groups for
 * 15 min, with a 5 min unneeded time: no node of group gen is drained and
 * nothing scales up. */
static void gen_kept(const char *groups, int n, const char *spec)
{
	char svc[2048];
	struct scenario sc;
	struct memsink m = run("900s", "    scale-down-unneeded-time: 5m\n", groups,
			       dep(svc, sizeof svc, "web", n, "1500m", spec), &sc);
	cr_expect_eq(count(&m, "draining", "gen-"), 0);
	cr_expect_eq(count(&m, "scale-up", ""), 0);
	memsink_free(&m);
	scn_free(&sc);
}

/* gen's node is under the threshold (1.5 / 3.92 cores) and its pod would
 * fit the empty tnt node by resources, but not its taint: the pod has
 * nowhere to go, so the node is not unneeded and stays. */
Test(ca, scale_down_needs_a_node_the_pods_may_use)
{
	gen_kept("      - {name: gen, instance: m5.xlarge, min: 0, max: 10, size: 1}\n"
		 "      - {name: tnt, instance: m5.xlarge, min: 1, max: 10, size: 1,\n"
		 "         taints: [{key: workload, value: pci, effect: NoSchedule}]}\n",
		 1, "");
}

/* Two nodes under the threshold, each with one of two pods that repel
 * each other on hostname: neither pod may move to the other node, so
 * neither node is unneeded. */
Test(ca, scale_down_keeps_pods_that_repel_each_other_apart)
{
	gen_kept("      - {name: gen, instance: m5.xlarge, min: 0, max: 10, size: 2}\n", 2, ANTI_SELF("web"));
}

/* ==== Zones, balancing and limits ==== */

/* The int after `key` in r's detail, or -1. */
static int int_after(const struct row_decision *r, const char *key)
{
	const char *p = r && r->detail ? strstr(r->detail, key) : NULL;
	return p ? atoi(p + strlen(key)) : -1;
}

static const char zonal3[] = "      - {name: ng-a, instance: m5.large, min: 0, max: 10, size: 0, zone: us-east-1a}\n"
			     "      - {name: ng-b, instance: m5.large, min: 0, max: 10, size: 0, zone: us-east-1b}\n"
			     "      - {name: ng-c, instance: m5.large, min: 0, max: 10, size: 0, zone: us-east-1c}\n";

/* The three scale-up rows of a 5-node scale-up split 2/2/1 at 10 s: the
 * expander's group first (least-waste ties the three, the draw picks),
 * then the others in their order (a stable sort of sizes all 0), each row
 * naming the three; each group's nodes in its zone. */
static void expect_2_2_1(const struct memsink *m, const char *prefix)
{
	cr_assert_eq(count(m, "scale-up", prefix), 3);
	const int want[] = {2, 2, 1};
	for (int i = 0; i < 3; i++) {
		const struct row_decision *r = nth(m, "scale-up", prefix, i);
		cr_expect(fabs(t_of(r) - 10) < EPS);
		cr_expect_eq(int_after(r, ": +"), want[i], "%s", r->detail);
		cr_expect(strstr(r->detail, "(5 node(s))") && strstr(r->detail, "; balanced over "), "%s", r->detail);
		cr_expect(strstr(r->detail, "for 5 pod(s)"), "%s", r->detail);
	}
	cr_expect_eq(count(m, "scheduled", "web-"), 5);
	for (int i = 0; i < 5; i++) {
		const struct row_decision *r = nth(m, "launched", prefix, i);
		cr_assert(r);
		char zone[16];
		snprintf(zone, sizeof zone, "us-east-1%c", r->pod[strlen(prefix)]);
		cr_expect(strstr(r->detail, zone), "%s in %s", r->pod, r->detail);
	}
}

/* Three zonal m5.large groups, empty, and 5 pods of 1.5 cores (one an
 * m5.large). With --balance-similar-node-groups the groups are similar
 * (same type and labels but the zone) and admit the same pods: each
 * option is 5 nodes (the estimator's limit being the three groups' room,
 * 30), and the chosen one is split 2/2/1. Without it, one group takes 5. */
Test(ca, balance_similar_node_groups_splits_5_nodes_2_2_1)
{
	struct scenario sc;
	struct memsink m = run("300s", "    balance-similar-node-groups: true\n", zonal3, web(5), &sc);
	expect_2_2_1(&m, "ng-");
	memsink_free(&m);
	scn_free(&sc);
	m = run("300s", "", zonal3, web(5), &sc);
	const struct row_decision *r = nth(&m, "scale-up", "ng-", 0);
	cr_expect_eq(count(&m, "scale-up", "ng-"), 1);
	cr_expect(r && strstr(r->detail, "+5 node(s) of m5.large (0 -> 5) for 5 pod(s)") && !strstr(r->detail, "balanced"),
		  "%s", r ? r->detail : "");
	memsink_free(&m);
	scn_free(&sc);
}

/* per_zone: one item, three ASGs (NAME-ZONE, one a zone, each its
 * min/max/size): the same 2/2/1 as zonal3 written out. */
Test(ca, per_zone_makes_an_asg_a_zone)
{
	struct scenario sc;
	struct memsink m = run("300s", "    balance-similar-node-groups: true\n",
			       "      - {name: ng, instance: m5.large, min: 0, max: 10, size: 0, per_zone: true}\n", web(5),
			       &sc);
	cr_assert_eq(sc.cluster.ca.n_groups, 3);
	for (size_t i = 0; i < 3; i++) {
		char name[32];
		snprintf(name, sizeof name, "ng-us-east-1%c", (char)('a' + i));
		cr_expect_str_eq(sc.cluster.ca.groups[i].name, name);
		cr_expect_eq(sc.cluster.ca.groups[i].meta.zone, (int)i);
		cr_expect_eq(sc.cluster.ca.groups[i].max, 10);
	}
	expect_2_2_1(&m, "ng-us-east-1");
	memsink_free(&m);
	scn_free(&sc);
}

/* A group over two zones (an ASG over two subnets): its 4 new nodes go
 * where it has fewest, the first zone on ties: a, b, a, b. */
Test(ca, a_group_over_two_zones_launches_where_it_has_fewest)
{
	struct scenario sc;
	struct memsink m = run("60s", "",
			       "      - {name: ng, instance: m5.large, min: 0, max: 10, size: 0,\n"
			       "         zones: [us-east-1b, us-east-1a]}\n",
			       web(4), &sc);
	cr_expect_eq(sc.cluster.ca.groups[0].meta.zone, -1);
	cr_expect_eq(sc.cluster.ca.groups[0].meta.zones, 3u);
	cr_assert_eq(count(&m, "launched", "ng-"), 4);
	for (int i = 0; i < 4; i++) {
		const struct row_decision *r = nth(&m, "launched", "ng-", i);
		cr_expect(strstr(r->detail, i % 2 ? "us-east-1b" : "us-east-1a"), "node %d: %s", i, r->detail);
	}
	memsink_free(&m);
	scn_free(&sc);
}

/* The estimator takes a spanning group's new nodes to be in its
 * template's zone, the first of its zones while it has no node (the ASG
 * template's): a pod that needs us-east-1b does not fit the template of
 * a group over [a, b], so CA does not scale it up, and says why
 * (upstream's FAQ: one group a zone for zonal scheduling). */
Test(ca, a_spanning_group_estimates_in_its_templates_zone)
{
	int unprov = 0;
	char svc[2048];
	struct scenario sc;
	struct memsink m = run("60s", "",
			       "      - {name: ng, instance: m5.large, min: 0, max: 10, size: 0,\n"
			       "         zones: [us-east-1a, us-east-1b]}\n",
			       dep(svc, sizeof svc, "web", 1, "500m", "            nodeSelector: {topology.kubernetes.io/zone: us-east-1b}\n"),
			       &sc);
	cr_expect_eq(count(&m, "scale-up", ""), 0);
	unprov = count(&m, "unprovisionable", "web-");
	cr_expect_eq(unprov, 1);
	const struct row_decision *r = nth(&m, "unprovisionable", "web-", 0);
	cr_expect(r && strstr(r->detail, "1 didn't match Pod's node affinity/selector"), "%s", r ? r->detail : "");
	memsink_free(&m);
	scn_free(&sc);
}

/* web's 5 pods of 1.5 cores on an empty m5.large group ng, with the
 * cluster_autoscaler keys `ca`, for 300 s: one scale-up, its detail
 * holding `up` and `note`; then n scale-up-limited rows, row i at t[i] s
 * with detail why[i]; `scheduled` pods run. */
static void limited_run(const char *ca, const char *up, const char *note, int n, const double *t,
			const char *const *why, int scheduled)
{
	struct scenario sc;
	struct memsink m = run("300s", ca, "      - {name: ng, instance: m5.large, min: 0, max: 10, size: 0}\n", web(5), &sc);
	const struct row_decision *r = only_scale_up(&m, "ng", up);
	cr_expect(r && strstr(r->detail, note), "%s", r ? r->detail : "");
	cr_assert_eq(count(&m, "scale-up-limited", "cluster-autoscaler"), n);
	for (int i = 0; i < n; i++) {
		r = nth(&m, "scale-up-limited", "cluster-autoscaler", i);
		cr_expect(fabs(t_of(r) - t[i]) < EPS, "row %d at %.3f s", i, t_of(r));
		cr_expect_str_eq(r->detail, why[i]);
	}
	cr_expect_eq(count(&m, "scheduled", "web-"), scheduled);
	memsink_free(&m);
	scn_free(&sc);
}

/* --max-nodes-total 3. At 10 s the estimator may open 3 - 0 nodes: +3 for
 * 3 pods, the row saying the limit is reached. At 20 s the 3 upcoming
 * nodes count: no option, and a scale-up-limited row says so; once they
 * are Ready (120 s) the Ready nodes reach the limit: another row,
 * upstream's "max total nodes in cluster reached". 3 pods run, 2 stay
 * Pending. */
Test(ca, max_nodes_total_caps_the_scale_up_and_says_why)
{
	static const double t[] = {20, 120};
	static const char *const why[] = {
		"2 pod(s) didn't trigger scale-up: max-nodes-total 3 reached (3 node(s), upcoming ones included)",
		"2 pod(s) didn't trigger scale-up: max total nodes in cluster reached (max-nodes-total 3, 3 Ready node(s))"};
	limited_run("    max-nodes-total: 3\n", "+3 node(s) of m5.large (0 -> 3) for 3 pod(s)",
		    "; max-nodes-total 3 reached (0 node(s) before)", 2, t, why, 3);
}

/* --cores-total 0:6 and m5.large nodes (2 vCPUs): at 10 s the option is 5
 * nodes and the quota leaves 6 / 2 = 3 of them; at 20 s the cluster has
 * its 6 cores (the upcoming nodes count), the group is skipped for the
 * quota and nothing else scales: a row with upstream's reason. */
Test(ca, cores_total_caps_the_scale_up)
{
	static const double t[] = {20};
	static const char *const why[] = {"2 pod(s) didn't trigger scale-up: 1 exceeded quota: \"cluster-wide\", resources: "
					  "cpu [cores-total 0:6 (6 in the cluster, 2 a node)]"};
	limited_run("    cores-total: \"0:6\"\n", "+3 node(s) of m5.large (0 -> 3) for 5 pod(s)",
		    "; capped from 5 to 3 node(s) by cores-total 0:6 (0 in the cluster, 2 a node)", 1, t, why, 3);
}

/* --memory-total in GiB: 0:20 and m5.large nodes of 8 GiB: 2 of the 5;
 * then the group is skipped for memory. */
Test(ca, memory_total_caps_the_scale_up)
{
	static const double t[] = {20};
	static const char *const why[] = {"3 pod(s) didn't trigger scale-up: 1 exceeded quota: \"cluster-wide\", resources: "
					  "memory [memory-total 0:20 (16 GiB in the cluster, 8 a node)]"};
	limited_run("    memory-total: 0:20\n", "+2 node(s) of m5.large (0 -> 2) for 5 pod(s)",
		    "; capped from 5 to 2 node(s) by memory-total 0:20 (0 GiB in the cluster, 8 a node)", 1, t, why, 2);
}

/* --cores-total 8:100 and three m5.xlarge (4 vCPUs, 12 cores), one pod of
 * 1.5 cores: all three are under the threshold and unneeded from 10 s, and
 * the min quota leaves 12 - 8 = 4 cores to take away, one node. With a
 * 1 min unneeded time an empty one goes at 80 s; the other two stay, with
 * scale-down-skipped rows saying why. */
Test(ca, cores_total_keeps_its_minimum_on_scale_down)
{
	struct scenario sc;
	struct memsink m = run("600s", "    scale-down-unneeded-time: 1m\n    cores-total: 8:100\n",
			       "      - {name: ng, instance: m5.xlarge, min: 0, max: 10, size: 3}\n", web(1), &sc);
	cr_expect_eq(count(&m, "draining", "ng-"), 1);
	cr_expect(fabs(t_of(nth(&m, "draining", "ng-", 0)) - 80) < EPS, "at %.3f s", t_of(nth(&m, "draining", "ng-", 0)));
	const struct row_decision *r = nth(&m, "scale-down-skipped", "ng-", 0);
	cr_expect(r && strstr(r->detail, "would cross the minimum of cores-total 8:100 (12 in the cluster, 4 a node)"),
		  "%s", r ? r->detail : "");
	memsink_free(&m);
	scn_free(&sc);
}

/* Two m5.xlarge (3.92 cores) with a DaemonSet of 1 core each and a pod of
 * 1.2 cores each: counting the DaemonSet a node is at (1.2 + 1) / 3.92 =
 * 0.56 > 0.5 and stays; with --ignore-daemonsets-utilization at
 * 1.2 / 2.92 = 0.41, and the first node's pod fits on the second: it is
 * unneeded, and goes after 5 min. */
Test(ca, ignore_daemonsets_utilization_changes_the_verdict)
{
	char svc[2048];
	const char *groups = "      - {name: ng, instance: m5.xlarge, min: 0, max: 10, size: 2}\n";
	const char *cluster = "  daemonsets: {cpu: 1, memory: 100Mi}\n";
	dep(svc, sizeof svc, "web", 2, "1200m", "");
	for (int ignore = 0; ignore < 2; ignore++) {
		struct scenario sc;
		char ca[128];
		snprintf(ca, sizeof ca, "    scale-down-unneeded-time: 5m\n    ignore-daemonsets-utilization: %s\n",
			 ignore ? "true" : "false");
		struct memsink m = run_with("900s", cluster, ca, groups, svc, &sc);
		cr_expect_eq(sc.cluster.ca.ignore_daemonsets_utilization, ignore);
		cr_expect_eq(count(&m, "draining", "ng-"), ignore, "ignore %d", ignore);
		if (ignore) {
			const struct row_decision *r = nth(&m, "draining", "ng-", 0);
			cr_expect(r && strstr(r->detail, "(utilisation 0.41 <= 0.50)"), "%s", r ? r->detail : "");
		}
		memsink_free(&m);
		scn_free(&sc);
	}
}

/* The loader's errors, where they are written. */
static void load_fails(const char *ca, const char *groups, const char *want)
{
	struct scenario sc;
	struct herr e;
	cr_assert_eq(load("60s", ca, groups, web(1), &sc, &e), -1, "loaded: %s | %s", ca, groups);
	cr_expect(strstr(e.msg, want), "got: %s\nwant: %s", e.msg, want);
}

Test(ca, limits_and_zones_refuse_bad_input)
{
	const char *ng = "      - {name: ng, instance: m5.large, min: 0, max: 10, size: 0}\n";
	load_fails("    cores-total: 8\n", ng,
		   "/scenario.yaml:10:18: cores-total: '8' is not <min>:<max>, two whole numbers from 0 to 100000000 "
		   "(e.g. 0:320000)");
	load_fails("    cores-total: a:b\n", ng, ":10:18: cores-total: 'a:b' is not <min>:<max>");
	load_fails("    cores-total: 1:2:3\n", ng, "cores-total: '1:2:3' is not <min>:<max>");
	load_fails("    memory-total: \"-1:5\"\n", ng, "memory-total: '-1:5' is not <min>:<max>, two whole numbers from 0 "
						    "to 1000000000 (e.g. 0:6400000)");
	load_fails("    cores-total: \"10:5\"\n", ng, ":10:19: cores-total: max 5 must be >= min 10");
	load_fails("    max-nodes-total: -1\n", ng, "max-nodes-total");
	load_fails("", "      - {name: ng, instance: m5.large, min: 0, max: 10, zone: us-east-1z}\n",
		   ":11:63: zone: 'us-east-1z' is not one of the cluster's zones (us-east-1a, us-east-1b, us-east-1c); "
		   "list it in cluster.zones");
	load_fails("", "      - {name: ng, instance: m5.large, min: 0, max: 10, zones: [us-east-1a, us-east-1z]}\n",
		   ":11:77: zones: 'us-east-1z' is not one of the cluster's zones");
	load_fails("", "      - {name: ng, instance: m5.large, min: 0, max: 10, zones: [us-east-1a, us-east-1a]}\n",
		   "zones: 'us-east-1a' is listed twice");
	load_fails("", "      - {name: ng, instance: m5.large, min: 0, max: 10, zones: []}\n",
		   "zones: give at least one of the cluster's zones");
	load_fails("", "      - {name: ng, instance: m5.large, min: 0, max: 10, zone: us-east-1a, zones: [us-east-1b]}\n",
		   "zones: give zone (one zone) or zones (a list), not both");
	load_fails("", "      - {name: ng, instance: m5.large, min: 0, max: 10, zone: us-east-1a, per_zone: true}\n",
		   "per_zone: a group with one zone is one ASG already");
	load_fails("", "      - {name: ng-us-east-1a, instance: m5.large, max: 1}\n"
		       "      - {name: ng, instance: m5.large, max: 1, per_zone: true}\n",
		   ":12:16: name: a node group 'ng-us-east-1a' is defined twice");
	load_fails("    balancing-ignore-label: [\"a b\"]\n", ng, "balancing-ignore-label: 'a b' is not a valid key");
}

/* ==== Upstream tables ====
 *
 * Cases of kubernetes/autoscaler's own tests (cluster-autoscaler/,
 * release 1.37), ported to the decision functions of
 * models/cluster_autoscaler.h; each test names the file and the Go test it
 * ports. Their nodes and pods are written in upstream's units: millicores
 * and bytes (BuildTestPod(name, millicpu, bytes), BuildTestNode(name,
 * millicpu, bytes) with 100 pods). Cases needing what headroom does not
 * model (GPUs, DRA, hostPort, mirror pods, node annotations) are listed in
 * docs/cluster-autoscaler.md, not here. */

static struct sched_pod mpod(int64_t millicpu, int64_t bytes)
{
	return sched_pod_make((double)millicpu / 1000, (double)bytes);
}

static struct sched_node mnode(int64_t millicpu, int64_t bytes, int pods)
{
	struct sched_node nd;
	sched_node_init(&nd, (struct sched_alloc){(double)millicpu / 1000, (double)bytes, pods});
	return nd;
}

/* An option of one node of this capacity holding `pods` pods of 500m and
 * 1000 MiB (waste_test.go's pod). */
static struct ca_option waste_option(int group, int64_t node_cpu_m, int64_t node_mem, int pods)
{
	return (struct ca_option){.group = group, .nodes = 1, .pods = pods, .cpu_m = 500 * pods,
				  .mem = 1000LL * 1024 * 1024 * pods, .node_cpu_m = node_cpu_m, .node_mem = node_mem};
}

/* expander/waste/waste_test.go TestLeastWaste. Capacities in multiples of
 * the pod (500m, 1000 MiB): balanced 16 x 16, highmem 16 x 32, lowcpu 8 x
 * 16. With one pod, waste = 15/16 + 15/16 (balanced), 15/16 + 31/32
 * (highmem), 7/8 + 15/16 (lowcpu): lowcpu is least. */
Test(ca_upstream, waste_test_least_waste)
{
	const int64_t c = 500, m = 1000LL * 1024 * 1024;
	size_t best[3];
	/* "Test without any pods, one node info" */
	struct ca_option opt[3] = {waste_option(0, 16 * c, 16 * m, 0)};
	cr_expect_eq(ca_expander_best(CA_LEAST_WASTE, opt, 1, best), 1);
	cr_expect_eq(best[0], 0);
	cr_expect_float_eq(ca_expander_score(CA_LEAST_WASTE, &opt[0]), 2.0, 1e-12);
	/* "Test with one pod, one node info" */
	opt[0] = waste_option(0, 16 * c, 16 * m, 1);
	cr_expect_eq(ca_expander_best(CA_LEAST_WASTE, opt, 1, best), 1);
	cr_expect_eq(best[0], 0);
	/* "Test with one pod, two node infos, one that has lots of RAM one that has less" */
	opt[1] = waste_option(1, 16 * c, 32 * m, 1);
	cr_expect_eq(ca_expander_best(CA_LEAST_WASTE, opt, 2, best), 1);
	cr_expect_eq(best[0], 0, "balanced, not highmem");
	/* "Test with one pod, three node infos, one that has lots of RAM one that has less, and one that has less CPU" */
	opt[2] = waste_option(2, 8 * c, 16 * m, 1);
	cr_expect_eq(ca_expander_best(CA_LEAST_WASTE, opt, 3, best), 1);
	cr_expect_eq(best[0], 2, "lowcpu");
	cr_expect_float_eq(ca_expander_score(CA_LEAST_WASTE, &opt[2]), 7.0 / 8 + 15.0 / 16, 1e-12);
}

/* expander/mostpods/mostpods_test.go TestMostPods: EO0 holds no pod, EO1
 * and EO1b one each. */
Test(ca_upstream, mostpods_test_most_pods)
{
	struct ca_option eo[3] = {{.nodes = 1}, {.nodes = 1, .pods = 1}, {.nodes = 1, .pods = 1}};
	size_t best[3];
	cr_expect_eq(ca_expander_best(CA_MOST_PODS, eo, 1, best), 1);
	cr_expect_eq(best[0], 0);
	cr_expect_eq(ca_expander_best(CA_MOST_PODS, eo, 2, best), 1);
	cr_expect_eq(best[0], 1);
	cr_assert_eq(ca_expander_best(CA_MOST_PODS, eo, 3, best), 2);
	cr_expect(best[0] == 1 && best[1] == 2, "EO1 and EO1b, got %zu %zu", best[0], best[1]);
}

/* expander/random/random_test.go TestRandomExpander: one option is that
 * option, two are either, none is nothing. Random keeps every option as
 * best and ca_expand draws among them; over many draws both come up. */
Test(ca_upstream, random_test_random_expander)
{
	struct ca_option eo[2] = {{.nodes = 1}, {.nodes = 1}};
	size_t best[2];
	gsl_rng *r = rng_stream(1, RNG_NODES, 2);
	cr_expect_eq(ca_expand(CA_RANDOM, eo, 1, best, r), 0);
	int seen[2] = {0, 0};
	for (int i = 0; i < 200; i++) {
		size_t k = ca_expand(CA_RANDOM, eo, 2, best, r);
		cr_assert_lt(k, 2);
		seen[k]++;
	}
	cr_expect(seen[0] > 0 && seen[1] > 0, "EO1a %d times, EO1b %d times", seen[0], seen[1]);
	cr_expect_eq(ca_expander_best(CA_RANDOM, eo, 0, best), 0);
	gsl_rng_free(r);
}

/* Runs the estimator over groups of identical pods (upstream's pod
 * equivalence groups), pods[g] x count[g] in that order, on a template of
 * (millicpu, MiB, pods). */
struct bp_case {
	const char *name;
	int64_t millicores, mib; /* the template node: makeNode(cpu, mem * MiB, 10) */
	int max_nodes;           /* 0: the limiter sets none */
	int64_t pod_cpu[2], pod_mem[2]; /* millicores, bytes */
	int count[2];
	int want_nodes, want_pods;
};

static struct ca_estimate bp_run(const struct bp_case *c, struct sched_pod *pods, bool *placed, size_t *n)
{
	size_t k = 0;
	for (int g = 0; g < 2; g++)
		for (int i = 0; i < c->count[g]; i++)
			pods[k++] = mpod(c->pod_cpu[g], c->pod_mem[g]);
	struct sched_node tmpl = mnode(c->millicores, c->mib * 1024 * 1024, 10);
	static struct sched_node bins[64];
	static size_t order[64];
	*n = k;
	return ca_estimate(&tmpl, pods, k, c->max_nodes ? c->max_nodes : INT32_MAX, bins, order, placed, NULL);
}

/* estimator/binpacking_estimator_test.go TestBinpackingEstimate, the cases
 * without hostPort or topology spread (the spread cases follow; hostPort is
 * in docs/cluster-autoscaler.md). Pod memory is in bytes there, node
 * memory in MiB, so memory never binds. */
Test(ca_upstream, binpacking_estimator_test_binpacking_estimate)
{
	static const struct bp_case cases[] = {
		{"simple resource-based binpacking", 350 * 3 - 50, 2 * 1000, 0, {350}, {1000}, {10}, 5, 10},
		{"pods-per-node bound binpacking", 10000, 20000, 0, {10}, {100}, {20}, 2, 20},
		{"limiter cuts binpacking", 1000, 5000, 5, {500}, {1000}, {20}, 5, 10},
		{"decreasing ordered pods are processed first", 1000, 5000, 5, {50, 500}, {1000, 1000}, {10, 10}, 5, 10},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sched_pod pods[64];
		bool placed[64];
		size_t n;
		struct ca_estimate e = bp_run(&cases[i], pods, placed, &n);
		cr_expect_eq(e.nodes, cases[i].want_nodes, "%s: %d nodes", cases[i].name, e.nodes);
		cr_expect_eq(e.pods, cases[i].want_pods, "%s: %d pods", cases[i].name, e.pods);
	}
	/* expectProcessedPods: highResourcePodGroup.Pods, the second group. */
	struct sched_pod pods[64];
	bool placed[64];
	size_t n;
	bp_run(&cases[3], pods, placed, &n);
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(placed[i], i >= 10, "pod %zu of the %s group", i, i >= 10 ? "500m" : "50m");
}

/* ---- the estimator with placement (struct ca_constraints) ---- */

static const int G0[] = {0}, G1[] = {1}, G01[] = {0, 1};

/* A hard constraint of pod group 0 selecting its own pods, and the
 * cluster's domains besides the new nodes: n_domains, their least count
 * min, and (zone) the count in the node group's zone. */
static struct ca_spread own_spread(enum scn_topo key, int max_skew, int min_domains, int n_domains, int min, int in_zone)
{
	return (struct ca_spread){key, max_skew, min_domains, true, G0, 1, n_domains, min, in_zone};
}

/* n pods of (millicpu, bytes), the first n0 of pod group 0 and the rest of
 * group 1, on a template of (millicpu, MiB, pods), at most max_nodes new
 * nodes, with the groups' constraints (NULL: none). placed may be NULL. */
struct est_case {
	int64_t node_m, node_mib;
	int node_pods;
	int64_t pod_m, pod_bytes;
	size_t n, n0;
	int max_nodes;
};

static struct ca_estimate est_run(const struct est_case *k, const struct ca_group *groups, size_t n_groups, bool *placed)
{
	enum { N = 64 };
	static struct sched_pod pods[N];
	static struct sched_node bins[N];
	static size_t order[N];
	static int group[N], count[(N + 1) * 2];
	cr_assert(k->n <= N && n_groups <= 2);
	for (size_t i = 0; i < k->n; i++) {
		pods[i] = mpod(k->pod_m, k->pod_bytes);
		group[i] = i < k->n0 ? 0 : 1;
	}
	struct sched_node tmpl = mnode(k->node_m, k->node_mib * 1024 * 1024, k->node_pods);
	struct ca_constraints c = {group, groups, n_groups, count};
	return ca_estimate(&tmpl, pods, k->n, k->max_nodes ? k->max_nodes : N, bins, order, placed, groups ? &c : NULL);
}

/* estimator/binpacking_estimator_test.go TestBinpackingEstimate, the
 * topology spread cases. The pods select their own group (WithMaxSkew:
 * DoNotSchedule, app: estimatee); the snapshot holds "oldnode" in
 * zone-jupiter without pods: a hostname domain and a zone domain of count
 * 0, too small (100m) for the 200m pods. The template is in zone-mars. */
Test(ca_upstream, binpacking_estimator_test_topology_spreading)
{
	/* "hostname topology spreading with maxSkew=2 forces 2 pods/node": 8
	 * pods of 200m and 200 B; oldnode keeps the minimum at 0, so each new
	 * node takes 2 of the 5 its cpu holds. */
	struct ca_spread s = own_spread(SCN_TOPO_HOSTNAME, 2, 1, 1, 0, 0);
	struct ca_group pg = {.admitted = true, .spread = &s, .n_spread = 1};
	struct ca_estimate e = est_run(&(struct est_case){1000, 5000, 10, 200, 200, 8, 8, 0}, &pg, 1, NULL);
	cr_expect(e.nodes == 4 && e.pods == 8, "maxSkew=2 hostname: %d nodes, %d pods", e.nodes, e.pods);
	/* "zonal topology spreading with maxSkew=2 only allows 2 pods to
	 * schedule": 8 pods of 20m and 100 B; zone-jupiter holds 0, so
	 * zone-mars takes 2. */
	s = own_spread(SCN_TOPO_ZONE, 2, 1, 1, 0, 0);
	e = est_run(&(struct est_case){1000, 5000, 10, 20, 100, 8, 8, 0}, &pg, 1, NULL);
	cr_expect(e.nodes == 1 && e.pods == 2, "maxSkew=2 zone: %d nodes, %d pods", e.nodes, e.pods);
	/* "hostname topology spreading with maxSkew=1 with a large scaleup
	 * handles scheduling pods retroactively": 12 pods of 20m and 100 B,
	 * minDomains 3. Upstream's estimator lets a pod that a hostname
	 * constraint refuses on the last new node try every other node, and
	 * puts 4 of the 12 on oldnode, which it counts among its 3 nodes;
	 * headroom's places pods on new nodes only. Without oldnode, 3 new
	 * nodes level at 4 pods each (below 3 domains the minimum is 0, then
	 * it rises with the nodes): upstream's counts. */
	s = own_spread(SCN_TOPO_HOSTNAME, 1, 3, 0, 0, 0);
	bool placed[64];
	e = est_run(&(struct est_case){1000, 5000, 10, 20, 100, 12, 12, 0}, &pg, 1, placed);
	cr_expect(e.nodes == 3 && e.pods == 12, "maxSkew=1 minDomains=3: %d nodes, %d pods", e.nodes, e.pods);
	/* With oldnode as an empty domain and never a destination, the
	 * minimum stays 0: one pod a node (the departure in
	 * docs/cluster-autoscaler.md). */
	s = own_spread(SCN_TOPO_HOSTNAME, 1, 3, 1, 0, 0);
	e = est_run(&(struct est_case){1000, 5000, 10, 20, 100, 12, 12, 0}, &pg, 1, NULL);
	cr_expect(e.nodes == 12 && e.pods == 12, "with oldnode: %d nodes, %d pods", e.nodes, e.pods);
}

/* core/scaleup/orchestrator/orchestrator_test.go
 * TestWillConsiderGpuAndStandardPoolForPodWhichDoesNotRequireGpu, its
 * taint side (GPUs are not modelled): gpu-pool's node carries
 * nvidia.com/gpu=present:NoSchedule (AddGpusToNode), std-pool's nothing,
 * both 2000m and 1000 MiB; extra-std-pod (2000m, 1000 MiB) tolerates
 * nvidia.com/gpu (TolerateGpuForPod: Exists). Both templates admit it
 * (place_node_fit, as the scan loop asks it of each template): the
 * expansion options are std-pool +1 and gpu-pool +1. Without the
 * toleration (headroom's addition) gpu-pool's template leaves it out. */
Test(ca_upstream, orchestrator_test_will_consider_gpu_and_standard_pool_taint_side)
{
	struct scn_taint gpu = {(char *)(uintptr_t)"nvidia.com/gpu", (char *)(uintptr_t)"present", EFFECT_NO_SCHEDULE};
	struct scn_toleration tol = {.key = (char *)(uintptr_t)"nvidia.com/gpu", .exists = true,
				     .value = (char *)(uintptr_t)"", .effect = -1};
	struct scn_placement pod = {.tolerations = &tol, .n_tolerations = 1};
	for (int tolerates = 1; tolerates >= 0; tolerates--) {
		pod.n_tolerations = (size_t)tolerates;
		for (int pool = 0; pool < 2; pool++) { /* 0: std-pool, 1: gpu-pool */
			struct place_fit f = place_node_fit(&pod, NULL, 0, &gpu, (size_t)pool);
			struct ca_group pg = {.admitted = f.taint < 0 && f.affinity};
			struct ca_estimate e = est_run(&(struct est_case){2000, 1000, 110, 2000, 1000LL << 20, 1, 1, 0}, &pg, 1,
						       NULL);
			int want = pool == 0 || tolerates;
			cr_expect(e.nodes == want && e.pods == want, "%s, %s: %d nodes, %d pods", pool ? "gpu-pool" : "std-pool",
				  tolerates ? "tolerating" : "not tolerating", e.nodes, e.pods);
		}
	}
}

/* Pods of 100m and 100 MiB on a 4-core, 16 GiB template of 110 pods:
 * resources take 40 a node, so only placement binds below. */
#define SMALL(n, n0) (&(struct est_case){4000, 16384, 110, 100, 100LL << 20, (n), (n0), 0})

/* A required anti-affinity on hostname selecting its own group: one pod a
 * new node, 5 pods on 5 nodes. */
Test(ca, estimate_anti_affinity_one_pod_a_node)
{
	struct ca_group pg = {.admitted = true, .anti_host = G0, .n_anti_host = 1};
	struct ca_estimate e = est_run(SMALL(5, 5), &pg, 1, NULL);
	cr_expect(e.nodes == 5 && e.pods == 5, "%d nodes, %d pods", e.nodes, e.pods);
}

/* Group 0's anti-affinity selects group 1 (both lists name the other, as
 * InterPodAffinity checks both sides): 3 pods of group 0 share node 0, the
 * 2 of group 1 go to node 1. With group 1 also repelling itself, its pods
 * take nodes 1 and 2. */
Test(ca, estimate_anti_affinity_against_another_group)
{
	struct ca_group pg[2] = {{.admitted = true, .anti_host = G1, .n_anti_host = 1},
				 {.admitted = true, .anti_host = G0, .n_anti_host = 1}};
	struct ca_estimate e = est_run(SMALL(5, 3), pg, 2, NULL);
	cr_expect(e.nodes == 2 && e.pods == 5, "%d nodes, %d pods", e.nodes, e.pods);
	pg[1].anti_host = G01;
	pg[1].n_anti_host = 2;
	e = est_run(SMALL(5, 3), pg, 2, NULL);
	cr_expect(e.nodes == 3 && e.pods == 5, "%d nodes, %d pods", e.nodes, e.pods);
}

/* A hard hostname spread, maxSkew 2, with an existing node without such
 * pods (a domain of count 0, so the minimum stays 0): at most 2 pods a new
 * node, 5 pods on 3 nodes. */
Test(ca, estimate_hostname_spread_max_skew_2)
{
	struct ca_spread s = own_spread(SCN_TOPO_HOSTNAME, 2, 1, 1, 0, 0);
	struct ca_group pg = {.admitted = true, .spread = &s, .n_spread = 1};
	struct ca_estimate e = est_run(SMALL(5, 5), &pg, 1, NULL);
	cr_expect(e.nodes == 3 && e.pods == 5, "%d nodes, %d pods", e.nodes, e.pods);
}

/* maxSkew 1 where each of the cluster's 2 domains holds 1 pod already: the
 * first new node takes 2 (1 + 1 - min(1, 1) = 1), the third pod opens a
 * second node, which takes the fourth: 4 pods on 2 nodes, where an empty
 * domain (minimum 0) would make it 4 nodes. */
Test(ca, estimate_hostname_spread_reads_the_cluster_minimum)
{
	struct ca_spread s = own_spread(SCN_TOPO_HOSTNAME, 1, 1, 2, 1, 0);
	struct ca_group pg = {.admitted = true, .spread = &s, .n_spread = 1};
	struct ca_estimate e = est_run(SMALL(4, 4), &pg, 1, NULL);
	cr_expect(e.nodes == 2 && e.pods == 4, "%d nodes, %d pods", e.nodes, e.pods);
	s.min = 0;
	e = est_run(SMALL(4, 4), &pg, 1, NULL);
	cr_expect(e.nodes == 4 && e.pods == 4, "%d nodes, %d pods", e.nodes, e.pods);
}

/* A hard zone spread, the cluster's zones a, b, c holding 2, 1 and 1 pods:
 * zone (in-zone count, the others' domains and least count) -> pods the
 * new nodes of a group in that zone take. */
Test(ca, estimate_zone_spread_2_1_1)
{
	static const struct {
		const char *what;
		int max_skew, min_domains, n_domains, min, in_zone;
		int want;
	} rows[] = {
		/* 2 + 1 - 1 > 1: no pod in a */
		{"a, maxSkew 1", 1, 1, 2, 1, 2, 0},
		/* 1 + 1 - 1 = 1, then 2 + 1 - 1 > 1 */
		{"b, maxSkew 1", 1, 1, 2, 1, 1, 1},
		{"c, maxSkew 1", 1, 1, 2, 1, 1, 1},
		/* 2 + 1 - 1 = 2, then 3 + 1 - 1 > 2 */
		{"a, maxSkew 2", 2, 1, 2, 1, 2, 1},
		/* 3 domains below minDomains 4: minimum 0, 2 + 1 - 0 > 2 */
		{"a, maxSkew 2, minDomains 4", 2, 4, 2, 1, 2, 0},
		/* 1 + 1 - 0 = 2, then 2 + 1 - 0 > 2 */
		{"b, maxSkew 2, minDomains 4", 2, 4, 2, 1, 1, 1},
		/* zone a has no node yet (b and c hold 3 each): it catches up to
		 * 3, then 3 + 1 - 3 = 1 lets a fourth in, 4 + 1 - 3 > 1 */
		{"a empty, b and c at 3, maxSkew 1", 1, 1, 2, 3, 0, 4},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct ca_spread s = own_spread(SCN_TOPO_ZONE, rows[i].max_skew, rows[i].min_domains, rows[i].n_domains,
						rows[i].min, rows[i].in_zone);
		struct ca_group pg = {.admitted = true, .spread = &s, .n_spread = 1};
		struct ca_estimate e = est_run(SMALL(6, 6), &pg, 1, NULL);
		cr_expect_eq(e.pods, rows[i].want, "%s: %d pods, want %d", rows[i].what, e.pods, rows[i].want);
		cr_expect_eq(e.nodes, rows[i].want ? 1 : 0, "%s: %d nodes", rows[i].what, e.nodes);
	}
}

/* A required anti-affinity on zone selecting its own group: one pod in
 * the node group's zone, none when a pod it repels is there already. */
Test(ca, estimate_zone_anti_affinity)
{
	struct ca_group pg = {.admitted = true, .anti_zone = G0, .n_anti_zone = 1};
	struct ca_estimate e = est_run(SMALL(4, 4), &pg, 1, NULL);
	cr_expect(e.nodes == 1 && e.pods == 1, "%d nodes, %d pods", e.nodes, e.pods);
	pg.zone_held = true;
	e = est_run(SMALL(4, 4), &pg, 1, NULL);
	cr_expect(e.nodes == 0 && e.pods == 0, "%d nodes, %d pods", e.nodes, e.pods);
}

/* Pods whose group the template does not admit (a taint not tolerated, a
 * node selector not matched) are left out; the others are packed as
 * without them. */
Test(ca, estimate_leaves_out_pods_the_template_refuses)
{
	struct ca_group pg[2] = {{.admitted = false}, {.admitted = true}};
	bool placed[64];
	struct ca_estimate e = est_run(&(struct est_case){1000, 4096, 10, 300, 1, 6, 3, 0}, pg, 2, placed);
	cr_expect(e.nodes == 1 && e.pods == 3, "%d nodes, %d pods", e.nodes, e.pods);
	for (size_t i = 0; i < 6; i++)
		cr_expect_eq(placed[i], i >= 3, "pod %zu", i);
}

/* estimator/binpacking_estimator_test.go BenchmarkBinpackingEstimate, its
 * expectation as a test: 50,000 pods of 50m and 1,000 of 95m (and 100 and
 * 190 bytes) on 1-core nodes of 100 pods, at most 3,000 nodes. The 95m pods
 * go first, 10 a node (100 nodes at 950m), each then takes one 50m pod, and
 * the other 49,900 fill 20 a node: 2,595 nodes for all 51,000 pods. */
Test(ca_upstream, binpacking_estimator_test_benchmark_counts)
{
	size_t n = 51000;
	struct sched_pod *pods = calloc(n, sizeof *pods);
	size_t *order = calloc(n, sizeof *order);
	struct sched_node *bins = calloc(3000, sizeof *bins);
	cr_assert(pods && order && bins);
	for (size_t i = 0; i < n; i++)
		pods[i] = i < 50000 ? mpod(50, 100) : mpod(95, 190);
	struct sched_node tmpl = mnode(1000, 5000LL * 1024 * 1024, 100);
	struct ca_estimate e = ca_estimate(&tmpl, pods, n, 3000, bins, order, NULL, NULL);
	cr_expect_eq(e.nodes, 2595);
	cr_expect_eq(e.pods, 51000);
	free(pods);
	free(order);
	free(bins);
}

/* estimator/decreasing_pod_orderer_test.go TestPodPriorityProcessor: p1
 * (1m, 1 B), p2 (2m, 1 B), p3 (2m, 100 B) on a node of 4m and 600 MiB are
 * taken p3, p2, p1 whatever their input order. */
Test(ca_upstream, decreasing_pod_orderer_test_pod_priority_processor)
{
	const struct sched_pod p1 = mpod(1, 1), p2 = mpod(2, 1), p3 = mpod(2, 100);
	struct sched_node tmpl = mnode(4, 600LL * 1024 * 1024, 10), bins[3];
	size_t order[3];
	/* "single pod" */
	ca_estimate(&tmpl, &p1, 1, 3, bins, order, NULL, NULL);
	cr_expect_eq(order[0], 0);
	/* "sorted list of pods": p3, p2, p1 */
	struct sched_pod sorted[3] = {p3, p2, p1};
	ca_estimate(&tmpl, sorted, 3, 3, bins, order, NULL, NULL);
	cr_expect(order[0] == 0 && order[1] == 1 && order[2] == 2, "%zu %zu %zu", order[0], order[1], order[2]);
	/* "randomised list of pods": p1, p3, p2 */
	struct sched_pod mixed[3] = {p1, p3, p2};
	ca_estimate(&tmpl, mixed, 3, 3, bins, order, NULL, NULL);
	cr_expect(order[0] == 1 && order[1] == 2 && order[2] == 0, "%zu %zu %zu", order[0], order[1], order[2]);
	/* "empty pod list" */
	struct ca_estimate e = ca_estimate(&tmpl, NULL, 0, 3, bins, order, NULL, NULL);
	cr_expect(e.nodes == 0 && e.pods == 0);
}

/* simulator/utilization/info_test.go TestCalculate: node1 of 2000m and
 * 2,000,000 bytes. pod is (100m, 200000), pod2 requests nothing; the
 * DaemonSet pods p3 and p4 are (100m, 200000) each. */
Test(ca_upstream, info_test_calculate)
{
	struct sched_pod pod = mpod(100, 200000), pod2 = mpod(0, 0), ds2 = mpod(200, 400000), ds1 = mpod(100, 200000);
	struct ca_util u;
	/* pod, pod, pod2: memory 0.2 beats cpu 0.1 */
	struct sched_node nd = mnode(2000, 2000000, 100);
	sched_bind(&nd, &pod);
	sched_bind(&nd, &pod);
	sched_bind(&nd, &pod2);
	cr_assert_eq(ca_utilization(&nd, NULL, false, &u), 0);
	cr_expect_float_eq(u.util, 2.0 / 10, 0.01 * 0.2);
	cr_expect_eq(u.cpu, 0.1);
	cr_expect(!u.cpu_max);
	/* node2 has no memory allocatable: an error (the model's nodes always
	 * have both resources; a missing one is as 0) */
	struct sched_node nd2 = mnode(2000, 0, 100);
	sched_bind(&nd2, &pod);
	cr_expect_eq(ca_utilization(&nd2, NULL, false, &u), -1);
	/* node3: pod, p-init and p-large-init, at the requests PodRequests gives
	 * them (sim/scn_deploy.c computes those from a manifest; test_scn
	 * checks it): p-init max(100m + 50m sidecar, 5m init + 50m) = 150m and
	 * 300000 B; p-large-init max(100m, 50000m init) = 50000m and 1e8 B. */
	struct sched_node nd3 = mnode(2000, 2000000, 100);
	struct sched_pod init = mpod(150, 300000), large = mpod(50000, 100000000);
	sched_bind(&nd3, &pod);
	sched_bind(&nd3, &init);
	sched_bind(&nd3, &large);
	cr_assert_eq(ca_utilization(&nd3, NULL, false, &u), 0);
	cr_expect_float_eq(u.util, 50.25, 0.01 * 50.25);
	cr_expect_float_eq(u.cpu, 25.125, 0.005 * 25.125);
	/* pod, pod, pod2, p3, p4 with the DaemonSet pods skipped: 400000 /
	 * (2000000 - 400000) */
	struct sched_node nd4 = nd;
	sched_bind(&nd4, &ds1);
	sched_bind(&nd4, &ds1);
	cr_assert_eq(ca_utilization(&nd4, &ds2, true, &u), 0);
	cr_expect_float_eq(u.util, 2.5 / 10, 0.01 * 0.25);
	/* pod, pod2, p3, DaemonSets counted: 400000 / 2000000 */
	struct sched_node nd5 = mnode(2000, 2000000, 100);
	sched_bind(&nd5, &pod);
	sched_bind(&nd5, &pod2);
	sched_bind(&nd5, &ds1);
	cr_assert_eq(ca_utilization(&nd5, &ds1, false, &u), 0);
	cr_expect_float_eq(u.util, 2.0 / 10, 0.01 * 0.2);
}

/* simulator/utilization/info_test.go TestCalculateWithDynamicResources,
 * "no DRA resources, DRA disabled" and "... DRA enabled": node of 1000m and
 * 1000 bytes, two pods of 250m: Info{CpuUtil: 0.5, Utilization: 0.5,
 * ResourceName: cpu}. */
Test(ca_upstream, info_test_calculate_without_dynamic_resources)
{
	struct sched_node nd = mnode(1000, 1000, 100);
	struct sched_pod p = mpod(250, 0);
	sched_bind(&nd, &p);
	sched_bind(&nd, &p);
	struct ca_util u;
	cr_assert_eq(ca_utilization(&nd, NULL, false, &u), 0);
	cr_expect(u.cpu == 0.5 && u.mem == 0 && u.util == 0.5 && u.cpu_max);
}

/* core/scaledown/eligibility/eligibility_test.go TestFilterOutUnremovable:
 * nodes of 1000m and 10 bytes (BuildTestNode("regular", 1000, 10)), bigPod
 * 600m, smallPod 100m, dsPod 500m (a DaemonSet's); default options:
 * threshold 0.5, unready scale-down on, DaemonSets counted. Each case is
 * run in both of upstream's suites, [base] and [ignore-daemonsets=true],
 * and the DaemonSet cases in the second only, as upstream runs them. */
struct elig_case {
	const char *desc;
	bool deleting, ready, broken; /* broken: BuildTestNode("regular", 0, 0) */
	int64_t pods_m[2];            /* the node's pods (millicores; 0: none) */
	int64_t ds_m;                 /* of which the DaemonSet pod's */
	double threshold;             /* withScaleDownUtilizationThreshold; < 0: the default 0.5 */
	int unready_enabled;          /* withScaleDownUnreadyEnabled; -1: the default (true) */
	int ignore_ds;                /* withIgnoreDaemonSetsUtilization; -1: the suite's */
	enum ca_unremovable want;
};

static enum ca_unremovable elig_run(const struct elig_case *c, bool suite_ignore_ds)
{
	struct sched_node nd = c->broken ? mnode(0, 0, 100) : mnode(1000, 10, 100);
	for (int i = 0; i < 2; i++)
		if (c->pods_m[i]) {
			struct sched_pod p = mpod(c->pods_m[i], 0);
			sched_bind(&nd, &p);
		}
	struct ca_node_view v = {.sn = &nd, .autoscaled = true, .deleting = c->deleting, .ready = c->ready};
	struct ca_scale_down o = {
		.threshold = c->threshold < 0 ? 0.5 : c->threshold,
		.ignore_ds = c->ignore_ds < 0 ? suite_ignore_ds : c->ignore_ds,
		.unready_enabled = c->unready_enabled != 0,
		.ds = mpod(c->ds_m, 0),
	};
	struct ca_util u;
	return ca_eligibility(&v, &o, &u);
}

Test(ca_upstream, eligibility_test_filter_out_unremovable)
{
	static const struct elig_case base[] = {
		{"regular node stays", false, true, false, {0}, 0, -1, -1, -1, CA_REMOVABLE},
		/* "recently deleted node is filtered out": regular stays (above), justDeleted: */
		{"recently deleted node is filtered out", true, true, false, {0}, 0, -1, -1, -1, CA_BEING_DELETED},
		{"highly utilized node is filtered out", false, true, false, {600}, 0, -1, -1, -1, CA_NOT_UNDERUTILIZED},
		{"underutilized node stays", false, true, false, {100}, 0, -1, -1, -1, CA_REMOVABLE},
		{"node is filtered out if utilization can't be calculated", false, true, true, {100}, 0, -1, -1, -1,
		 CA_UNEXPECTED_ERROR},
		{"unready node stays", false, false, false, {0}, 0, -1, -1, -1, CA_REMOVABLE},
		{"unready node is filtered oud when scale-down of unready is disabled", false, false, false, {0}, 0, -1, 0,
		 -1, CA_UNREADY_DISABLED},
	};
	static const struct elig_case daemonsets[] = {
		{"high utilization daemonsets node stays", false, true, false, {100, 500}, 500, -1, -1, -1, CA_REMOVABLE},
		{"high utilization daemonsets node is filtered out, when IgnoreDaemonSets is disabled", false, true, false,
		 {100, 500}, 500, -1, -1, 0, CA_NOT_UNDERUTILIZED},
		{"only daemonsets pods on this node (threshold=0)", false, true, false, {500}, 500, 0, -1, -1, CA_REMOVABLE},
	};
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
			cr_expect_eq(elig_run(&base[i], s), base[i].want, "%s %s", base[i].desc,
				     s ? "[ignore-daemonsets=true]" : "[base]");
	for (size_t i = 0; i < sizeof daemonsets / sizeof daemonsets[0]; i++)
		cr_expect_eq(elig_run(&daemonsets[i], true), daemonsets[i].want, "%s [ignore-daemonsets=true]",
			     daemonsets[i].desc);
}

/* The threshold is inclusive (eligibility.go: not underutilized only when
 * Utilization > threshold): a node at exactly 0.5 is a candidate, with its
 * utilization; the model's reason for a node of another group. */
Test(ca_upstream, eligibility_threshold_is_inclusive)
{
	struct sched_node nd = mnode(1000, 10, 100);
	struct sched_pod p = mpod(500, 0);
	sched_bind(&nd, &p);
	struct ca_node_view v = {.sn = &nd, .autoscaled = true, .ready = true};
	struct ca_scale_down o = {.threshold = 0.5, .unready_enabled = true};
	struct ca_util u;
	cr_expect_eq(ca_eligibility(&v, &o, &u), CA_REMOVABLE);
	cr_expect(u.util == 0.5 && u.cpu_max);
	o.threshold = 0.499;
	cr_expect_eq(ca_eligibility(&v, &o, &u), CA_NOT_UNDERUTILIZED);
	cr_expect_eq(u.util, 0.5, "the utilization comes with NotUnderutilized");
	v.autoscaled = false;
	cr_expect_eq(ca_eligibility(&v, &o, &u), CA_NOT_AUTOSCALED);
	cr_expect_eq(u.util, 0, "and with no other reason");
}

/* ca_estimate against a naive first-fit decreasing (every pod scans every
 * node from the first; pods sorted as upstream's DecreasingPodOrderer, by
 * cpu / allocatable cpu + memory / allocatable memory, largest first, ties
 * by cpu, then memory, then input order by insertion): the same count, pods
 * and placement, over random mixes of a few pod shapes, templates and node
 * limits. */
static bool before_ref(const struct sched_node *t, const struct sched_pod *a, const struct sched_pod *b)
{
	double sa = a->cpu / t->alloc_cpu + a->mem / t->alloc_mem, sb = b->cpu / t->alloc_cpu + b->mem / t->alloc_mem;
	if (sa != sb)
		return sa > sb;
	return a->cpu > b->cpu || (a->cpu == b->cpu && a->mem > b->mem);
}

Test(ca, estimate_is_first_fit_decreasing)
{
	enum { N = 300 };
	static const int64_t cpu[] = {100, 250, 250, 500, 1500}, mem[] = {128, 512, 2048, 1024, 256};
	gsl_rng *r = rng_stream(11, 99, 3);
	static struct sched_pod pods[N];
	static struct sched_node bins[N], ref[N];
	static size_t order[N], idx[N];
	static bool placed[N];
	for (int round = 0; round < 200; round++) {
		size_t n = 1 + rng_below(r, N);
		for (size_t i = 0; i < n; i++) {
			uint32_t s = rng_below(r, 5);
			pods[i] = mpod(cpu[s], mem[s] * 1024 * 1024);
		}
		struct sched_node tmpl = mnode(1000 + 1000 * rng_below(r, 4), (2048 + 2048 * rng_below(r, 3)) * 1024LL * 1024,
					       3 + (int)rng_below(r, 20));
		int max_nodes = (int)rng_below(r, 40);
		struct ca_estimate e = ca_estimate(&tmpl, pods, n, max_nodes, bins, order, placed, NULL);
		for (size_t i = 0; i < n; i++) { /* insertion sort: stable */
			size_t j = i;
			for (; j > 0 && before_ref(&tmpl, &pods[i], &pods[idx[j - 1]]); j--)
				idx[j] = idx[j - 1];
			idx[j] = i;
		}
		int nodes = 0, placed_n = 0;
		for (size_t i = 0; i < n; i++) {
			const struct sched_pod *p = &pods[idx[i]];
			cr_assert_eq(order[i], idx[i], "round %d: pod %zu taken at %zu", round, idx[i], i);
			int at = -1;
			for (int b = 0; b < nodes && at < 0; b++)
				if (!sched_filter(&ref[b], p))
					at = b;
			if (at < 0 && nodes < max_nodes && !sched_filter(&tmpl, p)) {
				ref[nodes] = tmpl;
				at = nodes++;
			}
			if (at >= 0)
				sched_bind(&ref[at], p);
			placed_n += at >= 0;
			cr_assert_eq(placed[idx[i]], at >= 0, "round %d: pod %zu", round, idx[i]);
		}
		cr_assert_eq(e.nodes, nodes, "round %d", round);
		cr_assert_eq(e.pods, placed_n, "round %d", round);
		for (int b = 0; b < nodes; b++)
			cr_assert(bins[b].n_pods == ref[b].n_pods && bins[b].req_cpu == ref[b].req_cpu,
				  "round %d: node %d holds %d pods, want %d", round, b, bins[b].n_pods, ref[b].n_pods);
	}
	gsl_rng_free(r);
}

/* ca_estimate with constraints against a naive reference that recounts
 * everything for every check: each pod, in the estimator's order, is left
 * out if its group is not admitted, the template cannot hold it, or the
 * zone refuses it (anti-affinity, spread over the cluster's zones plus
 * the node group's); else it goes on the first new node that holds it,
 * has no pod its hostname anti-affinity names, and keeps every hostname
 * spread within maxSkew over the cluster's domains and the new nodes;
 * else on a new node while max_nodes allows. Random groups, constraints
 * and pods of a few shapes. */
enum { RN = 60, RG = 3 };

struct ref_state {
	const struct ca_group *pg;
	const int *group;
	int node_of[RN]; /* -1: not placed */
	size_t n;
	int nodes;
};

static int ref_count(const struct ref_state *r, int node, const int *sel, size_t n_sel)
{
	int c = 0;
	for (size_t i = 0; i < r->n; i++)
		for (size_t k = 0; r->node_of[i] >= 0 && (node < 0 || r->node_of[i] == node) && k < n_sel; k++)
			c += r->group[i] == sel[k];
	return c;
}

static bool ref_zone_ok(const struct ref_state *r, int g)
{
	const struct ca_group *pg = &r->pg[g];
	if (pg->zone_held || ref_count(r, -1, pg->anti_zone, pg->n_anti_zone))
		return false;
	for (size_t i = 0; i < pg->n_spread; i++) {
		const struct ca_spread *s = &pg->spread[i];
		int cnt = s->in_zone + ref_count(r, -1, s->sel, s->n_sel);
		int min = s->n_domains + 1 < s->min_domains ? 0 : s->n_domains && s->min < cnt ? s->min : cnt;
		if (s->key == SCN_TOPO_ZONE && cnt + s->self - min > s->max_skew)
			return false;
	}
	return true;
}

static bool ref_host_ok(const struct ref_state *r, int g, int j)
{
	const struct ca_group *pg = &r->pg[g];
	if (ref_count(r, j, pg->anti_host, pg->n_anti_host))
		return false;
	for (size_t i = 0; i < pg->n_spread; i++) {
		const struct ca_spread *s = &pg->spread[i];
		if (s->key != SCN_TOPO_HOSTNAME)
			continue;
		int min = s->n_domains ? s->min : INT32_MAX;
		for (int o = 0; o < r->nodes; o++)
			min = HR_MIN(min, ref_count(r, o, s->sel, s->n_sel));
		if (s->n_domains + r->nodes < s->min_domains)
			min = 0;
		if (ref_count(r, j, s->sel, s->n_sel) + s->self - min > s->max_skew)
			return false;
	}
	return true;
}

static void random_groups(gsl_rng *r, struct ca_group *pg, struct ca_spread sp[RG][2], int lists[RG][3][RG])
{
	for (int g = 0; g < RG; g++) {
		size_t na = 0, nz = 0;
		for (int o = 0; o < RG; o++) {
			if (rng_below(r, 4) == 0)
				lists[g][0][na++] = o;
			if (rng_below(r, 8) == 0)
				lists[g][1][nz++] = o;
		}
		size_t ns = rng_below(r, 3);
		for (size_t i = 0; i < ns; i++) {
			size_t n_sel = 0;
			for (int o = 0; o < RG; o++)
				if (o == g || rng_below(r, 3) == 0)
					lists[g][2][n_sel++] = o;
			sp[g][i] = (struct ca_spread){rng_below(r, 2) ? SCN_TOPO_ZONE : SCN_TOPO_HOSTNAME,
						      1 + (int)rng_below(r, 3), 1 + (int)rng_below(r, 4), rng_below(r, 5) > 0,
						      lists[g][2], n_sel, (int)rng_below(r, 3), (int)rng_below(r, 3),
						      (int)rng_below(r, 4)};
		}
		pg[g] = (struct ca_group){rng_below(r, 10) > 0, lists[g][0], na, lists[g][1], nz, rng_below(r, 20) == 0,
					  sp[g], ns};
	}
}

Test(ca, estimate_with_constraints_matches_a_naive_reference)
{
	static const int64_t cpu[] = {100, 250, 500, 900}, mem[] = {128, 512, 1024, 256};
	gsl_rng *r = rng_stream(12, 99, 4);
	static struct sched_pod pods[RN];
	static struct sched_node bins[RN], ref[RN];
	static size_t order[RN];
	static int group[RN], count[(RN + 1) * RG];
	static bool placed[RN];
	for (int round = 0; round < 500; round++) {
		struct ca_group pg[RG];
		struct ca_spread sp[RG][2];
		int lists[RG][3][RG];
		random_groups(r, pg, sp, lists);
		size_t n = 1 + rng_below(r, RN);
		for (size_t i = 0; i < n; i++) {
			group[i] = (int)rng_below(r, RG);
			uint32_t k = rng_below(r, 4) ? (uint32_t)group[i] : rng_below(r, 4); /* mostly one shape a group */
			pods[i] = mpod(cpu[k], mem[k] * 1024 * 1024);
		}
		struct sched_node tmpl = mnode(1000 + 1000 * rng_below(r, 3), 4096LL * 1024 * 1024, 4 + (int)rng_below(r, 10));
		int max_nodes = (int)rng_below(r, 30);
		struct ca_constraints c = {group, pg, RG, count};
		struct ca_estimate e = ca_estimate(&tmpl, pods, n, max_nodes, bins, order, placed, &c);
		struct ref_state st = {pg, group, {0}, n, 0};
		for (size_t i = 0; i < n; i++)
			st.node_of[i] = -1;
		int n_placed = 0;
		for (size_t i = 0; i < n; i++) {
			size_t p = order[i];
			int g = group[p], at = -1;
			if (pg[g].admitted && !sched_filter(&tmpl, &pods[p]) && ref_zone_ok(&st, g)) {
				for (int j = 0; j < st.nodes && at < 0; j++)
					if (!sched_filter(&ref[j], &pods[p]) && ref_host_ok(&st, g, j))
						at = j;
				if (at < 0 && st.nodes < max_nodes) {
					ref[st.nodes] = tmpl;
					at = st.nodes++;
				}
			}
			if (at >= 0) {
				sched_bind(&ref[at], &pods[p]);
				st.node_of[p] = at;
				n_placed++;
			}
			cr_assert_eq(placed[p], at >= 0, "round %d: pod %zu (group %d)", round, p, g);
		}
		cr_assert_eq(e.nodes, st.nodes, "round %d", round);
		cr_assert_eq(e.pods, n_placed, "round %d", round);
		for (int b = 0; b < st.nodes; b++)
			cr_assert(bins[b].n_pods == ref[b].n_pods && bins[b].req_cpu == ref[b].req_cpu,
				  "round %d: node %d holds %d pods, want %d", round, b, bins[b].n_pods, ref[b].n_pods);
	}
	gsl_rng_free(r);
}

/* ==== Upstream tables: limits and balancing ==== */

/* estimator/threshold_based_limiter_test.go TestMinLimit (its int cases). */
Test(ca_upstream, threshold_based_limiter_test_min_limit)
{
	static const struct {
		const char *name;
		int base, target, want;
	} c[] = {
		{"At least one negative", -10, 10, -1}, {"Negative and not set", -10, 0, -1}, {"Both negative", -10, -10, -1},
		{"Both not set", 0, 0, 0},		{"At least one not set", 0, 10, 10}, {"Both set", 5, 10, 5},
	};
	for (size_t i = 0; i < ARRAY_LEN(c); i++)
		cr_expect_eq(ca_limit_min(c[i].base, c[i].target), c[i].want, "%s", c[i].name);
}

/* estimator/cluster_capacity_threshold_test.go TestNewClusterCapacityThreshold. */
Test(ca_upstream, cluster_capacity_threshold_test_new_cluster_capacity_threshold)
{
	static const struct {
		const char *name;
		int want, max_nodes, current;
	} c[] = {
		{"returns available capacity", 5, 10, 5},
		{"no threshold is set if cluster capacity is unlimited", 0, 0, 10},
		{"threshold is negative if cluster has no capacity", -1, 5, 10},
		{"threshold is negative if cluster node limit is negative", -1, -5, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(c); i++)
		cr_expect_eq(ca_cluster_capacity(c[i].max_nodes, c[i].current), c[i].want, "%s", c[i].name);
}

/* estimator/sng_capacity_threshold_test.go TestSngCapacityThreshold: the
 * current group first, then the similar groups. */
Test(ca_upstream, sng_capacity_threshold_test_sng_capacity_threshold)
{
	static const struct {
		const char *name;
		struct ca_group_size g[4]; /* {group, current, new_size, max} */
		int want;
	} c[] = {
		{"returns available capacity", {{0, 10, 10, 20}, {1, 5, 5, 10}, {2, 50, 50, 100}, {3, 3, 3, 5}}, 67},
		{"returns available capacity and skips over-provisioned groups",
		 {{0, 10, 10, 5}, {1, 5, 5, 10}, {2, 11, 11, 10}, {3, 5, 5, 0}},
		 5},
		{"threshold is negative if cluster has no capacity", {{0, 5, 5, 5}, {1, 10, 10, 10}, {2, 100, 100, 100}}, -1},
		{"threshold is negative if all groups are over-provisioned",
		 {{0, 10, 10, 5}, {1, 11, 11, 10}, {2, 111, 111, 100}, {3, 5, 5, 0}},
		 -1},
	};
	const size_t n[] = {4, 4, 3, 4};
	for (size_t i = 0; i < ARRAY_LEN(c); i++)
		cr_expect_eq(ca_groups_capacity(c[i].g, n[i]), c[i].want, "%s", c[i].name);
}

/* A node as BuildTestNode(name, millicpu, bytes) makes it, as the limits
 * count it (GetNodeCoresAndMemory: cores rounded up; 1 node). */
static void tnode(int64_t *r, int64_t millicpu, int64_t bytes)
{
	r[CA_CORES] = (millicpu + 999) / 1000;
	r[CA_MEMORY] = bytes;
	r[CA_NODES] = 1;
}

/* A quota's limitsLeft: cpu, memory, nodes; -1 where it names none. */
static struct ca_quota quota(int64_t cpu, int64_t mem, int64_t nodes)
{
	return (struct ca_quota){{cpu, mem, nodes}};
}

#define BIT(r) (1u << (r))

/* resourcequotas/tracker_test.go TestCheckQuota, the cases of one quota
 * that applies to the node, on resources headroom has ("min enforcement"
 * cases: a min tracker's limitsLeft is checked the same way). */
Test(ca_upstream, tracker_test_check_quota)
{
	static const struct {
		const char *name;
		int64_t left[3], cpu_m, mem;
		int delta, want;
		unsigned exceeded;
	} c[] = {
		{"delta fits within limits", {10, 1000, 5}, 1000, 200, 2, 2, 0},
		{"delta exceeds one resource limit", {1, 1000, 5}, 1000, 200, 2, 1, BIT(CA_CORES)},
		{"delta exceeds multiple resource limits", {1, 300, 5}, 1000, 200, 2, 1, BIT(CA_CORES) | BIT(CA_MEMORY)},
		{"min enforcement: scale-down fits within limits", {10, 1000, 5}, 1000, 200, 2, 2, 0},
		{"min enforcement: scale-down exceeds limits", {1, 1000, 5}, 1000, 200, 2, 1, BIT(CA_CORES)},
	};
	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		struct ca_quota q = quota(c[i].left[0], c[i].left[1], c[i].left[2]);
		int64_t node[CA_N_RESOURCES];
		unsigned ex = 99;
		tnode(node, c[i].cpu_m, c[i].mem);
		cr_expect_eq(ca_quota_check(&q, node, c[i].delta, &ex), c[i].want, "%s", c[i].name);
		cr_expect_eq(ex, c[i].exceeded, "%s: exceeded %x", c[i].name, ex);
		cr_expect_eq(q.left[0], c[i].left[0], "%s: a check consumes nothing", c[i].name);
	}
}

/* resourcequotas/tracker_test.go TestConsumeQuota, the same cases' kind. */
Test(ca_upstream, tracker_test_consume_quota)
{
	static const struct {
		const char *name;
		int64_t left[3], cpu_m, mem;
		int delta, want;
		unsigned exceeded;
		int64_t after[3];
	} c[] = {
		{"delta applied successfully", {10, 1000, 5}, 1000, 200, 2, 2, 0, {8, 600, 3}},
		{"partial delta calculated, nothing applied", {3, 1000, 5}, 2000, 200, 2, 1, BIT(CA_CORES), {3, 1000, 5}},
		{"delta not applied because it exceeds limits", {1, 100, 5}, 2000, 200, 1, 0,
		 BIT(CA_CORES) | BIT(CA_MEMORY), {1, 100, 5}},
		{"applied delta results in zero limit", {2, 500, 10}, 1000, 200, 2, 2, 0, {0, 100, 8}},
		{"min enforcement: scale-down applied successfully", {10, 1000, 5}, 1000, 200, 2, 2, 0, {8, 600, 3}},
	};
	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		struct ca_quota q = quota(c[i].left[0], c[i].left[1], c[i].left[2]);
		int64_t node[CA_N_RESOURCES];
		unsigned ex = 99;
		tnode(node, c[i].cpu_m, c[i].mem);
		cr_expect_eq(ca_quota_consume(&q, node, c[i].delta, &ex), c[i].want, "%s", c[i].name);
		cr_expect_eq(ex, c[i].exceeded, "%s: exceeded %x", c[i].name, ex);
		for (int r = 0; r < CA_N_RESOURCES; r++)
			cr_expect_eq(q.left[r], c[i].after[r], "%s: %s left %lld", c[i].name, r == 0 ? "cpu" : r == 1 ? "memory" : "nodes",
				     (long long)q.left[r]);
	}
}

#define GIB_ ((int64_t)1 << 30)

/* The usage of nodes BuildTestNode(millicpu[i], bytes[i]), i < n. */
static void usage_of(int64_t *u, const int64_t *millicpu, const int64_t *bytes, size_t n)
{
	memset(u, 0, CA_N_RESOURCES * sizeof *u);
	for (size_t i = 0; i < n; i++) {
		int64_t r[CA_N_RESOURCES];
		tnode(r, millicpu[i], bytes[i]);
		for (int j = 0; j < CA_N_RESOURCES; j++)
			u[j] += r[j];
	}
}

/* resourcequotas/factory_test.go TestNewMaxQuotasTracker, the three
 * "default config" cases (the cluster-wide limiter of cpu and memory;
 * the custom-resource and node-filter cases need GPUs and virtual-kubelet
 * nodes). Nodes 1, 2, 3 cores and 2, 4, 8 GiB; a new node of 2 cores and
 * 4 GiB, 2 of them. */
Test(ca_upstream, factory_test_new_max_quotas_tracker)
{
	static const int64_t cpu[] = {1000, 2000, 3000}, mem[] = {2 * GIB_, 4 * GIB_, 8 * GIB_};
	static const struct {
		const char *name;
		int64_t cpu, mem;
		int want;
		unsigned exceeded;
	} c[] = {
		{"default config allowed operation", 12, 32 * GIB_, 2, 0},
		{"default config exceeded operation", 6, 16 * GIB_, 0, BIT(CA_CORES) | BIT(CA_MEMORY)},
		{"default config partially allowed operation", 7, 16 * GIB_, 0, BIT(CA_CORES) | BIT(CA_MEMORY)},
	};
	int64_t u[CA_N_RESOURCES], node[CA_N_RESOURCES];
	usage_of(u, cpu, mem, 3);
	tnode(node, 2000, 4 * GIB_);
	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		const int64_t limit[CA_N_RESOURCES] = {c[i].cpu, c[i].mem, -1};
		struct ca_quota q;
		unsigned ex;
		ca_quota_init(&q, limit, u, false);
		cr_expect_eq(ca_quota_check(&q, node, 2, &ex), c[i].want, "%s", c[i].name);
		cr_expect_eq(ex, c[i].exceeded, "%s", c[i].name);
	}
}

/* resourcequotas/factory_test.go TestNewMinQuotasTracker, the cases
 * without custom resources or node filters. */
Test(ca_upstream, factory_test_new_min_quotas_tracker)
{
	static const int64_t cpu2[] = {1000, 2000}, mem2[] = {2 * GIB_, 4 * GIB_};
	static const int64_t cpu4[] = {1000, 1000, 1000, 1000}, mem4[] = {2 * GIB_, 2 * GIB_, 2 * GIB_, 2 * GIB_};
	static const struct {
		const char *name;
		int four;           /* the 4 nodes of 1 core, else the 2 of 1 and 2 */
		int64_t cpu, mem;   /* the minimums (-1: not in the quota) */
		int delta, want;
		unsigned exceeded;
	} c[] = {
		{"min enforcement allowed operation", 0, 1, 2 * GIB_, 1, 1, 0},
		{"min enforcement exceeded operation", 0, 3, 6 * GIB_, 1, 0, BIT(CA_CORES) | BIT(CA_MEMORY)},
		{"min enforcement partially allowed operation", 1, 2, -1, 3, 2, BIT(CA_CORES)},
	};
	int64_t node[CA_N_RESOURCES];
	tnode(node, 1000, 2 * GIB_);
	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		int64_t u[CA_N_RESOURCES];
		const int64_t limit[CA_N_RESOURCES] = {c[i].cpu, c[i].mem, -1};
		struct ca_quota q;
		unsigned ex;
		if (c[i].four)
			usage_of(u, cpu4, mem4, 4);
		else
			usage_of(u, cpu2, mem2, 2);
		ca_quota_init(&q, limit, u, true);
		cr_expect_eq(ca_quota_check(&q, node, c[i].delta, &ex), c[i].want, "%s", c[i].name);
		cr_expect_eq(ex, c[i].exceeded, "%s", c[i].name);
	}
}

/* The orchestrator's limit steps (core/scaleup/orchestrator/
 * orchestrator_test.go) on the decision functions: the max quota over the
 * cluster's nodes (a static node counts as much as a group's:
 * ...WithNotAutoscaledGroup gives the same), applyLimits on the
 * expander's choice, GetCappedNewNodeCount, and the skip of a group a
 * single node would take over the quota. Nodes n1 (2 cores) and n2 (4). */
Test(ca_upstream, orchestrator_test_limits)
{
	static const int64_t cpu[] = {2000, 4000};
	const int64_t mib = 1024 * 1024;
	int64_t u[CA_N_RESOURCES], ng1[CA_N_RESOURCES], ng2[CA_N_RESOURCES];
	struct ca_quota q;
	unsigned ex;
	/* TestScaleUpMaxCoresLimitHit (and ...WithNotAutoscaledGroup):
	 * MaxCoresTotal 9, the expander picks ng1 +2: 1 node. */
	const int64_t mem_small[] = {100, 1000};
	usage_of(u, cpu, mem_small, 2);
	tnode(ng1, 2000, 100);
	int64_t limit[CA_N_RESOURCES] = {9, (int64_t)5000 * 64 * 20 * GIB_, -1};
	ca_quota_init(&q, limit, u, false);
	cr_expect_eq(ca_quota_check(&q, ng1, 2, &ex), 1, "TestScaleUpMaxCoresLimitHit");
	/* TestScaleUpMaxMemoryLimitHit (and ...WithNotAutoscaledGroup):
	 * MaxMemoryTotal 1300 MiB, ng1 +3 of 100 MiB each: 2. */
	const int64_t mem_mib[] = {100 * mib, 1000 * mib};
	usage_of(u, cpu, mem_mib, 2);
	tnode(ng1, 2000, 100 * mib);
	limit[CA_CORES] = 5000 * 64;
	limit[CA_MEMORY] = 1300 * mib;
	ca_quota_init(&q, limit, u, false);
	cr_expect_eq(ca_quota_check(&q, ng1, 3, &ex), 2, "TestScaleUpMaxMemoryLimitHit");
	/* TestScaleUpCapToMaxTotalNodesLimit (and ...WithNotAutoscaledGroup):
	 * MaxNodesTotal 3, 2 nodes, ng2 +3: 1, the estimator's limit too. */
	cr_expect_eq(ca_capped_new_nodes(3, 2, 3), 1, "TestScaleUpCapToMaxTotalNodesLimit");
	cr_expect_eq(ca_limit_min(1000, ca_cluster_capacity(3, 2)), 1);
	cr_expect_eq(ca_capped_new_nodes(3, 2, 0), 3, "no limit");
	cr_expect_eq(ca_capped_new_nodes(1, 3, 3), 0, "max node total count already reached");
	/* TestNoScaleUpMaxCoresLimitHit: MaxCoresTotal 7, MaxMemoryTotal
	 * 1150 (bytes): one node of either group exceeds the quota, so both
	 * are skipped ("exceeded quota: \"cluster-wide\""). */
	usage_of(u, cpu, mem_small, 2);
	tnode(ng1, 2000, 100);
	tnode(ng2, 4000, 1000);
	limit[CA_CORES] = 7;
	limit[CA_MEMORY] = 1150;
	ca_quota_init(&q, limit, u, false);
	cr_expect_eq(ca_quota_check(&q, ng1, 1, &ex), 0, "TestNoScaleUpMaxCoresLimitHit ng1");
	cr_expect_eq(ex, BIT(CA_CORES) | BIT(CA_MEMORY));
	cr_expect_eq(ca_quota_check(&q, ng2, 1, &ex), 0, "TestNoScaleUpMaxCoresLimitHit ng2");
	cr_expect_eq(ex, BIT(CA_CORES) | BIT(CA_MEMORY));
}

/* Finds g's new size for `group` in the first m, or -1 (not grown). */
static int new_size_of(const struct ca_group_size *g, size_t m, int group)
{
	for (size_t i = 0; i < m; i++)
		if (g[i].group == group)
			return g[i].new_size;
	return -1;
}

/* processors/nodegroupset/balancing_processor_test.go TestBalanceSingleGroup. */
Test(ca_upstream, balancing_processor_test_balance_single_group)
{
	struct ca_group_size g[1] = {{0, 1, 1, 10}};
	cr_assert_eq(ca_balance(g, 1, 1), 1, "just one node");
	cr_expect_eq(g[0].new_size, 2);
	g[0] = (struct ca_group_size){0, 1, 1, 10};
	cr_assert_eq(ca_balance(g, 1, 4), 1, "multiple nodes");
	cr_expect_eq(g[0].new_size, 5);
}

/* balancing_processor_test.go TestBalanceUnderMaxSize: groups of sizes 1,
 * 3, 5, 5, max 10. */
Test(ca_upstream, balancing_processor_test_balance_under_max_size)
{
	static const struct {
		const char *name;
		int nodes;
		size_t groups;
		int want[4]; /* new sizes of ng1..ng4, -1: not grown */
	} c[] = {
		{"add a single node", 1, 1, {2, -1, -1, -1}},
		{"add multiple nodes to single group", 2, 1, {3, -1, -1, -1}},
		{"add nodes to groups of different sizes, divisible", 4, 2, {4, 4, -1, -1}},
		{"add nodes to groups of different sizes, non-divisible", 5, 2, {5, 4, -1, -1}},
		{"add nodes to all groups, divisible", 10, 4, {6, 6, 6, 6}},
	};
	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		struct ca_group_size g[4] = {{0, 1, 1, 10}, {1, 3, 3, 10}, {2, 5, 5, 10}, {3, 5, 5, 10}};
		size_t m = ca_balance(g, 4, c[i].nodes);
		cr_expect_eq(m, c[i].groups, "%s: %zu groups", c[i].name, m);
		for (int j = 0; j < 4; j++)
			cr_expect_eq(new_size_of(g, m, j), c[i].want[j], "%s: ng%d", c[i].name, j + 1);
	}
	/* Upstream's non-divisible case takes 4 and 5 either way; headroom's
	 * stable order gives the first of the tied groups the extra node. */
}

/* balancing_processor_test.go TestBalanceHittingMaxSize: ng1 1/1, ng2 1/3,
 * ng3 3/10, ng4 5/7, ng5 6/3 (size/max). */
Test(ca_upstream, balancing_processor_test_balance_hitting_max_size)
{
	static const struct ca_group_size all[] = {{1, 1, 1, 1}, {2, 1, 1, 3}, {3, 3, 3, 10}, {4, 5, 5, 7}, {5, 6, 6, 3}};
	static const struct {
		const char *name;
		int groups[3]; /* by number, 0 ends */
		int nodes;
		size_t want_m;
		int want[6];   /* new size of ng1..ng5 (index 1..5), -1: not grown */
	} c[] = {
		{"Just one maxed out group", {1}, 1, 0, {0, -1, -1, -1, -1, -1}},
		{"Smallest group already maxed out, add one node", {1, 2}, 1, 1, {0, -1, 2, -1, -1, -1}},
		{"Smallest group already maxed out, too many nodes (should cap to max capacity)", {1, 2}, 5, 1,
		 {0, -1, 3, -1, -1, -1}},
		{"First group maxes out before proceeding to next one", {2, 3}, 4, 2, {0, -1, 3, 5, -1, -1}},
		{"Last group maxes out before previous one", {2, 3, 4}, 9, 3, {0, -1, 3, 8, 7, -1}},
		{"Use all capacity, cap to max", {2, 3, 4}, 900, 3, {0, -1, 3, 10, 7, -1}},
		{"One node group exceeds max.", {2, 5}, 1, 1, {0, -1, 2, -1, -1, -1}},
	};
	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		struct ca_group_size g[3];
		size_t n = 0;
		for (; n < 3 && c[i].groups[n]; n++)
			g[n] = all[c[i].groups[n] - 1];
		size_t m = ca_balance(g, n, c[i].nodes);
		cr_expect_eq(m, c[i].want_m, "%s: %zu groups", c[i].name, m);
		for (int j = 1; j <= 5; j++)
			cr_expect_eq(new_size_of(g, m, j), c[i].want[j], "%s: ng%d", c[i].name, j);
	}
}

/* orchestrator_test.go TestScaleUpBalanceGroups, its balancing step: ng1
 * (1/1, at its max: not a valid group), ng2 1/2, ng3 1/5, ng4 3/5, all
 * similar; 2 new nodes, whichever valid group the expander picks: ng2
 * and ng3 grow to 2 ("balance groups", and "... recomputes similar
 * nodegroups" with ng2 chosen). */
Test(ca_upstream, orchestrator_test_scale_up_balance_groups)
{
	for (int best = 2; best <= 4; best++) {
		struct ca_group_size g[3];
		size_t n = 0;
		g[n++] = (struct ca_group_size){best, best == 4 ? 3 : 1, 0, best == 2 ? 2 : 5};
		for (int j = 2; j <= 4; j++)
			if (j != best)
				g[n++] = (struct ca_group_size){j, j == 4 ? 3 : 1, 0, j == 2 ? 2 : 5};
		size_t m = ca_balance(g, n, 2);
		cr_expect_eq(m, 2, "best ng%d", best);
		cr_expect_eq(new_size_of(g, m, 2), 2, "best ng%d: ng2", best);
		cr_expect_eq(new_size_of(g, m, 3), 2, "best ng%d: ng3", best);
	}
}

/* A template as BuildTestNode(millicpu, bytes) makes it (capacity =
 * allocatable, 100 pods), with pods of these requests and these labels. */
static struct ca_template ttmpl(int64_t millicpu, int64_t bytes, int64_t req_cpu_m, int64_t req_mem,
				const struct place_label *labels, size_t n_labels)
{
	return (struct ca_template){millicpu, bytes, 100, millicpu, bytes, 100, req_cpu_m, req_mem, labels, n_labels};
}

static bool similar_default(const struct ca_template *a, const struct ca_template *b)
{
	return ca_similar(a, b, &CA_DEFAULT_RATIOS, NULL, 0);
}

/* compare_nodegroups_test.go TestIdenticalNodesSimilar,
 * TestNodesSimilarVariousRequirements (without its GPU node),
 * TestNodesSimilarVariousRequirementsAndPods and
 * TestNodesSimilarVariousMemoryRequirements, default ratios. */
Test(ca_upstream, compare_nodegroups_test_requirements)
{
	struct ca_template n1 = ttmpl(1000, 2000, 0, 0, NULL, 0), n = n1;
	cr_expect(similar_default(&n1, &n), "TestIdenticalNodesSimilar");
	n.cap_cpu_m = 1001;
	cr_expect(!similar_default(&n1, &n), "Different CPU capacity");
	n = n1;
	n.alloc_cpu_m = 999;
	cr_expect(similar_default(&n1, &n), "Same CPU capacity, but slightly different allocatable");
	n.alloc_cpu_m = 500;
	cr_expect(!similar_default(&n1, &n), "Same CPU capacity, significantly different allocatable");
	/* ...AndPods: n1 with a pod of (500m, 1000). */
	struct ca_template p1 = ttmpl(1000, 2000, 500, 1000, NULL, 0);
	n = ttmpl(1000, 2000, 0, 0, NULL, 0);
	n.alloc_cpu_m = 500;
	n.alloc_mem = 1000;
	cr_expect(!similar_default(&p1, &n), "Different allocatable, but same free");
	n = ttmpl(1000, 2000, 500, 1000, NULL, 0);
	cr_expect(similar_default(&p1, &n), "Same requests of pods");
	n = ttmpl(1000, 2000, 501, 1001, NULL, 0);
	n.alloc_cpu_m = 999;
	cr_expect(similar_default(&p1, &n), "Similar allocatable, similar pods");
	/* ...MemoryRequirements: capacity memory 1000 - 15 +/- 1. */
	struct ca_template m1 = ttmpl(1000, 1000, 0, 0, NULL, 0), m = m1;
	m.cap_mem = 1000 - 15 + 1;
	cr_expect(similar_default(&m1, &m), "Different memory capacity within tolerance");
	m.cap_mem = 1000 - 15 - 1;
	cr_expect(!similar_default(&m1, &m), "Different memory capacity exceeds tolerance");
}

/* compare_nodegroups_test.go TestNodesSimilarVariousLargeMemoryRequirementsM5XLarge
 * and ...M516XLarge: real nodes' memory capacities (Ki). */
Test(ca_upstream, compare_nodegroups_test_large_memory)
{
	static const int64_t ki[2][3] = {{16116152, 15944120, 16438475}, {259970052, 257217528, 265169453}};
	for (int i = 0; i < 2; i++) {
		struct ca_template a = ttmpl(1000, ki[i][0] * 1024, 0, 0, NULL, 0), b = ttmpl(1000, ki[i][1] * 1024, 0, 0, NULL, 0),
				   c = ttmpl(1000, ki[i][2] * 1024, 0, 0, NULL, 0);
		cr_expect(similar_default(&a, &b), "%s: within tolerance", i ? "m5.16xlarge" : "m5.xlarge");
		cr_expect(!similar_default(&a, &c), "%s: exceeds tolerance", i ? "m5.16xlarge" : "m5.xlarge");
	}
}

/* Whether nodes (1000m, 2000) with these labels are similar, with
 * example.com/ready ignored. */
static bool labels_similar(const struct place_label *l1, size_t n1, const struct place_label *l2, size_t n2)
{
	const char *ign[] = {"example.com/ready"};
	struct ca_template a = ttmpl(1000, 2000, 0, 0, l1, n1), b = ttmpl(1000, 2000, 0, 0, l2, n2);
	return ca_similar(&a, &b, &CA_DEFAULT_RATIOS, ign, 1);
}

/* compare_nodegroups_test.go TestNodesSimilarVariousLabels, its steps
 * adding labels in turn. */
Test(ca_upstream, compare_nodegroups_test_various_labels)
{
	struct place_label l1[8] = {{"test-label", "test-value"}, {"character", "winnie the pooh"}};
	struct place_label l2[8] = {{"test-label", "test-value"}};
	size_t n1 = 2, n2 = 1;
#define SIM() labels_similar(l1, n1, l2, n2)
	cr_expect(!SIM(), "Missing character label");
	l2[n2++] = (struct place_label){"character", "winnie the pooh"};
	cr_expect(SIM());
	l1[n1++] = (struct place_label){"kubernetes.io/hostname", "node1"};
	l2[n2++] = (struct place_label){"kubernetes.io/hostname", "node2"};
	cr_expect(SIM(), "Different hostname labels shouldn't matter");
	l1[n1++] = (struct place_label){"failure-domain.beta.kubernetes.io/zone", "mars-olympus-mons1-b"};
	l2[n2++] = (struct place_label){"failure-domain.beta.kubernetes.io/zone", "us-houston1-a"};
	cr_expect(SIM(), "Different zone shouldn't matter either");
	l1[n1++] = (struct place_label){"beta.kubernetes.io/fluentd-ds-ready", "true"};
	l2[n2++] = (struct place_label){"beta.kubernetes.io/fluentd-ds-ready", "false"};
	cr_expect(SIM(), "Different beta.kubernetes.io/fluentd-ds-ready should not matter");
	n2--; /* delete(n2.Labels, fluentd-ds-ready) */
	cr_expect(SIM());
	l1[n1++] = (struct place_label){"example.com/ready", "true"};
	l2[n2++] = (struct place_label){"example.com/ready", "false"};
	cr_expect(SIM(), "Different custom labels should not matter");
#undef SIM
}

/* aws_nodegroups_test.go TestIsAwsNodeInfoSimilar (ratios all 0): each
 * AWS label, empty, different, or on one node only, does not matter. */
Test(ca_upstream, aws_nodegroups_test_is_aws_node_info_similar)
{
	static const char *const keys[] = {"alpha.eksctl.io/instance-id", "alpha.eksctl.io/nodegroup-name",
					   "eks.amazonaws.com/nodegroup", "k8s.amazonaws.com/eniConfig", "lifecycle",
					   "topology.ebs.csi.aws.com/zone", "topology.k8s.aws/zone-id"};
	static const struct ca_ratios zero = {0, 0, 0};
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		for (int kind = 0; kind < 3; kind++) { /* empty value, different values, one node labeled */
			struct place_label l1 = {keys[i], kind ? "foo" : ""}, l2 = {keys[i], kind ? "bar" : ""};
			struct ca_template a = ttmpl(1000, 2000, 0, 0, &l1, 1), b = ttmpl(1000, 2000, 0, 0, &l2, kind == 2 ? 0 : 1);
			cr_expect(ca_similar(&a, &b, &zero, NULL, 0), "%s case %d", keys[i], kind);
		}
}

/* balancing_processor_test.go TestFindSimilarNodeGroups,
 * ...CustomLabels and aws_nodegroups_test.go TestFindSimilarNodeGroupsAwsBasic
 * (buildBasicNodeGroups: n1 and n2 of (1000m, 1000), n3 of (2000m, 2000),
 * ratios 0): ng1 and ng2 are similar, ng3 is similar to none. */
Test(ca_upstream, balancing_processor_test_find_similar_node_groups)
{
	static const struct ca_ratios zero = {0, 0, 0};
	const char *ign[] = {"example.com/ready"};
	for (int custom = 0; custom < 2; custom++) {
		struct place_label r1 = {"example.com/ready", "true"}, r2 = {"example.com/ready", "false"};
		struct ca_template t[3] = {ttmpl(1000, 1000, 0, 0, &r1, (size_t)custom),
					   ttmpl(1000, 1000, 0, 0, &r2, (size_t)custom), ttmpl(2000, 2000, 0, 0, NULL, 0)};
		bool similar[9], ready[3] = {true, true, true}, admits[3] = {true, true, true};
		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 3; j++)
				similar[i * 3 + j] = ca_similar(&t[i], &t[j], &zero, ign, (size_t)custom);
		size_t out[3];
		cr_assert_eq(ca_similar_groups(0, 3, similar, ready, admits, 1, out), 1);
		cr_expect_eq(out[0], 1);
		cr_assert_eq(ca_similar_groups(1, 3, similar, ready, admits, 1, out), 1);
		cr_expect_eq(out[0], 0);
		cr_expect_eq(ca_similar_groups(2, 3, similar, ready, admits, 1, out), 0);
	}
}

/* orchestrator_test.go TestComputeSimilarNodeGroups, the cases with
 * balancing on (balancing off is the caller's: no similar groups):
 * groups ng1 ng2 ng3 pg1 pg2, ng2 and ng3 similar to ng1; a group without
 * schedulable pod groups is not valid. */
Test(ca_upstream, orchestrator_test_compute_similar_node_groups)
{
	static const struct {
		const char *name;
		bool has_similar;
		bool valid[5];
		bool admits[5][3]; /* per group: podGroup1..3 */
		size_t want_n;
	} c[] = {
		{"no similar node groups", false, {1, 1, 1, 1, 1}, {{1}, {1}, {1}, {1}, {1}}, 0},
		{"some similar node groups, but no schedulable pods", true, {0, 0, 0, 0, 0}, {{0}}, 0},
		{"some similar node groups and same schedulable pods", true, {1, 1, 1, 1, 1}, {{1}, {1}, {1}, {1}, {1}}, 2},
		{"similar node groups can schedule more pods", true, {1, 1, 1, 1, 1},
		 {{1, 0, 0}, {1, 1, 0}, {1, 1, 1}, {1, 1, 0}, {1, 1, 1}}, 2},
		{"similar node groups can schedule different/no pods", true, {1, 1, 0, 1, 0}, {{1, 1, 0}, {1, 0, 0}, {0}, {1}, {0}},
		 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		bool similar[25] = {0}, admits[15];
		for (int g = 0; g < 5; g++)
			for (int p = 0; p < 3; p++)
				admits[g * 3 + p] = c[i].admits[g][p];
		if (c[i].has_similar)
			similar[1] = similar[2] = true; /* row ng1 */
		size_t out[5];
		size_t n = ca_similar_groups(0, 5, similar, c[i].valid, admits, 3, out);
		cr_expect_eq(n, c[i].want_n, "%s: %zu", c[i].name, n);
		for (size_t k = 0; k < n; k++)
			cr_expect_eq(out[k], k + 1, "%s", c[i].name);
	}
}
