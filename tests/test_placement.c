/*
 * Placement (models/placement.h) and the scheduler's use of it
 * (sched_pick_placed): cases hand-computed, and cases ported from
 * kubernetes/kubernetes pkg/scheduler/framework/plugins/, each naming its
 * file, test function and case name (expected values as there):
 *   podtopologyspread/filtering_test.go  TestSingleConstraint
 *   podtopologyspread/scoring_test.go    TestPodTopologySpreadScore
 *   tainttoleration/taint_toleration_test.go TestTaintTolerationScore,
 *                                            TestTaintTolerationFilter
 *   nodeaffinity/node_affinity_test.go   TestNodeAffinity, TestNodeAffinityPriority
 * Upstream's topology keys "zone" and "node" are headroom's
 * topology.kubernetes.io/zone and kubernetes.io/hostname; a pod "with label
 * foo" is a pod of a group (service) labelled foo.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"
#include "placement.h"
#include "rng.h"
#include "scheduler.h"
#include "world.h"

/* ---- a state built by hand ---- */

/* Groups: pods labelled foo, bar, foo and bar, foo in namespace ns1, and
 * the incoming pod's own group (its labels set per case). */
enum { G_FOO, G_BAR, G_FOOBAR, G_NS1, G_POD, NG };
enum { MAXN = 8 };

struct fx {
	struct scenario sc;
	struct scn_service svc[NG];
	struct scn_label lab[NG][2];
	char *zones[3];
	struct place pl;
	struct place_node nd[MAXN];
	int counts[MAXN][2 * NG];
	struct place_fit fit[MAXN][NG];
	struct place_label nlab[MAXN][6];
	size_t n_nlab[MAXN];
	char name[MAXN][16];
	size_t n;
};

static struct scn_label lbl(const char *k, const char *v)
{
	return (struct scn_label){(char *)(uintptr_t)k, (char *)(uintptr_t)v};
}

/* Sets up groups; the incoming pod is labelled foo and/or bar. */
static void fx_init(struct fx *f, bool pod_foo, bool pod_bar)
{
	memset(f, 0, sizeof *f);
	f->zones[0] = (char *)"zone1";
	f->zones[1] = (char *)"zone2";
	f->zones[2] = (char *)"zone3";
	f->sc.cluster.zones = f->zones;
	f->sc.cluster.n_zones = 3;
	f->sc.services = f->svc;
	f->sc.n_services = NG;
	static const char *const names[] = {"foo", "bar", "foobar", "ns1", "pod"};
	for (int g = 0; g < NG; g++) {
		f->svc[g].name = (char *)(uintptr_t)names[g];
		f->svc[g].namespace = (char *)(g == G_NS1 ? "ns1" : "default");
		f->svc[g].labels = f->lab[g];
	}
	f->lab[G_FOO][0] = lbl("foo", "");
	f->svc[G_FOO].n_labels = 1;
	f->lab[G_BAR][0] = lbl("bar", "");
	f->svc[G_BAR].n_labels = 1;
	f->lab[G_FOOBAR][0] = lbl("foo", "");
	f->lab[G_FOOBAR][1] = lbl("bar", "");
	f->svc[G_FOOBAR].n_labels = 2;
	f->lab[G_NS1][0] = lbl("foo", "");
	f->svc[G_NS1].n_labels = 1;
	size_t k = 0;
	if (pod_foo)
		f->lab[G_POD][k++] = lbl("foo", "");
	if (pod_bar)
		f->lab[G_POD][k++] = lbl("bar", "");
	f->svc[G_POD].n_labels = k;
}

/* A node named name in zone z (-1: none), with an optional extra label. */
static void fx_node(struct fx *f, const char *name, int z, const char *k, const char *v)
{
	size_t i = f->n++;
	snprintf(f->name[i], sizeof f->name[i], "%s", name);
	struct place_label *l = f->nlab[i];
	size_t n = 0;
	l[n++] = (struct place_label){"kubernetes.io/hostname", f->name[i]};
	if (z >= 0)
		l[n++] = (struct place_label){"topology.kubernetes.io/zone", f->zones[z]};
	if (k)
		l[n++] = (struct place_label){k, v};
	f->n_nlab[i] = n;
	f->nd[i] = (struct place_node){.zone = z, .open = true, .live = f->counts[i], .bound = f->counts[i] + NG,
				       .fit = f->fit[i]};
}

/* The state, once the groups' placements and the nodes are given. */
static void fx_place(struct fx *f)
{
	place_init(&f->pl, &f->sc);
	for (size_t i = 0; i < f->n; i++) {
		for (int g = 0; g < NG; g++)
			f->fit[i][g] = place_node_fit(&f->svc[g].placement, f->nlab[i], f->n_nlab[i], f->nd[i].taints,
						      f->nd[i].n_taints);
		place_node_counted(&f->pl, &f->nd[i], true);
	}
}

/* count pods of group g on node i (terminating ones if dying). */
static void fx_pods(struct fx *f, size_t i, int g, int count, bool dying)
{
	for (int k = 0; k < count; k++) {
		place_pod_add(&f->pl, &f->nd[i], g, +1, true);
		if (dying)
			place_pod_terminating(&f->pl, &f->nd[i], g);
	}
}

static struct scn_requirement exists_req(const char *key)
{
	return (struct scn_requirement){.key = (char *)(uintptr_t)key, .op = REQ_EXISTS};
}

/* A selector "key Exists" (upstream's fooSelector, barSelector). */
static struct scn_selector exists_sel(struct scn_requirement *r, const char *key)
{
	*r = exists_req(key);
	return (struct scn_selector){.exprs = r, .n_exprs = 1};
}

static struct scn_spread spread(int skew, enum scn_topo key, bool hard, const struct scn_selector *sel, int min_dom)
{
	return (struct scn_spread){.max_skew = skew, .key = key, .hard = hard, .has_selector = sel != NULL,
				   .selector = sel ? *sel : (struct scn_selector){0}, .min_domains = min_dom,
				   .honor_affinity = true};
}

/* The filter verdict of every node for the incoming pod. */
static void expect_filter(struct fx *f, const char *name, const unsigned *want)
{
	place_cycle_begin(&f->pl, G_POD, f->nd, f->n);
	for (size_t i = 0; i < f->n; i++) {
		unsigned got = place_filter(&f->pl, G_POD, &f->nd[i]);
		cr_expect_eq(got, want[i], "\"%s\": %s: reason %u, want %u", name, f->name[i], got, want[i]);
	}
}

/* The normalized PodTopologySpread scores of the feasible nodes. */
static void expect_spread_scores(struct fx *f, const char *name, const uint32_t *feasible, size_t nf,
				 const int64_t *want)
{
	int64_t s[MAXN];
	place_score_begin(&f->pl, G_POD, f->nd, f->n, feasible, nf);
	for (size_t i = 0; i < nf; i++)
		s[i] = place_spread_raw(&f->pl, G_POD, &f->nd[feasible[i]]);
	place_normalize_spread(s, nf);
	for (size_t i = 0; i < nf; i++)
		cr_expect_eq(s[i], want[i], "\"%s\": %s scored %lld, Kubernetes %lld", name, f->name[feasible[i]],
			     (long long)s[i], (long long)want[i]);
}

/* node-a, node-b in zone1, node-x, node-y in zone2. */
static void four_nodes(struct fx *f)
{
	fx_node(f, "node-a", 0, NULL, NULL);
	fx_node(f, "node-b", 0, NULL, NULL);
	fx_node(f, "node-x", 1, NULL, NULL);
	fx_node(f, "node-y", 1, NULL, NULL);
}

#define OK 0
#define SKEW PLACE_R_SPREAD

/* ---- podtopologyspread/filtering_test.go, TestSingleConstraint ---- */

Test(placement, spread_filter_zones_3_3_all_fit)
{
	/* "pods spread across zones as 3/3, all nodes fit" */
	struct fx f;
	struct scn_requirement r;
	fx_init(&f, true, false);
	struct scn_selector foo = exists_sel(&r, "foo");
	struct scn_spread c = spread(1, SCN_TOPO_ZONE, true, &foo, 1);
	f.svc[G_POD].placement = (struct scn_placement){.spread = &c, .n_spread = 1};
	four_nodes(&f);
	fx_place(&f);
	fx_pods(&f, 0, G_FOO, 2, false);
	fx_pods(&f, 1, G_FOO, 1, false);
	fx_pods(&f, 3, G_FOO, 3, false);
	expect_filter(&f, "pods spread across zones as 3/3, all nodes fit", (const unsigned[]){OK, OK, OK, OK});
	place_release(&f.pl);
}

Test(placement, spread_filter_nodes_2_1_0_3)
{
	static const struct {
		const char *name;
		int skew;
		bool pod_foo;
		unsigned want[4];
	} rows[] = {
		{"pods spread across nodes as 2/1/0/3, only node-x fits", 1, true, {SKEW, SKEW, OK, SKEW}},
		{"pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit", 2, true, {SKEW, OK, OK, SKEW}},
		{"pods spread across nodes as 2/1/0/3, but pod doesn't match itself", 1, false, {SKEW, OK, OK, SKEW}},
	};
	for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
		struct fx f;
		struct scn_requirement r;
		fx_init(&f, rows[k].pod_foo, !rows[k].pod_foo);
		struct scn_selector foo = exists_sel(&r, "foo");
		struct scn_spread c = spread(rows[k].skew, SCN_TOPO_HOSTNAME, true, &foo, 1);
		f.svc[G_POD].placement = (struct scn_placement){.spread = &c, .n_spread = 1};
		four_nodes(&f);
		fx_place(&f);
		fx_pods(&f, 0, G_FOO, 2, false);
		fx_pods(&f, 1, G_FOO, 1, false);
		fx_pods(&f, 3, G_FOO, 3, false);
		expect_filter(&f, rows[k].name, rows[k].want);
		place_release(&f.pl);
	}
}

Test(placement, spread_filter_honors_node_affinity)
{
	/* "incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence
	 * node-a fits": only node-a and node-y count, so the minimum is 2;
	 * node-b and node-x pass this plugin (NodeAffinity rejects them). */
	struct fx f;
	struct scn_requirement r, in = {.key = (char *)"kubernetes.io/hostname", .op = REQ_IN,
					.values = (char *[]){(char *)"node-a", (char *)"node-y"}, .n_values = 2};
	fx_init(&f, true, false);
	struct scn_selector foo = exists_sel(&r, "foo");
	struct scn_spread c = spread(1, SCN_TOPO_HOSTNAME, true, &foo, 1);
	struct scn_node_term term = {.exprs = &in, .n_exprs = 1};
	f.svc[G_POD].placement =
		(struct scn_placement){.spread = &c, .n_spread = 1, .has_required = true, .required = &term, .n_required = 1};
	four_nodes(&f);
	fx_place(&f);
	fx_pods(&f, 0, G_FOO, 2, false);
	fx_pods(&f, 1, G_FOO, 1, false);
	fx_pods(&f, 3, G_FOO, 3, false);
	expect_filter(&f, "incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits",
		      (const unsigned[]){OK, OK, OK, SKEW});
	cr_expect_eq(place_filter_static(&f.nd[1], G_POD), PLACE_R_AFFINITY, "NodeAffinity rejects node-b");
	place_release(&f.pl);
}

Test(placement, spread_filter_terminating_and_namespaces)
{
	{
		/* "terminating Pods should be excluded" */
		struct fx f;
		struct scn_requirement r;
		fx_init(&f, true, false);
		struct scn_selector foo = exists_sel(&r, "foo");
		struct scn_spread c = spread(1, SCN_TOPO_HOSTNAME, true, &foo, 1);
		f.svc[G_POD].placement = (struct scn_placement){.spread = &c, .n_spread = 1};
		fx_node(&f, "node-a", -1, NULL, NULL);
		fx_node(&f, "node-b", -1, NULL, NULL);
		fx_place(&f);
		fx_pods(&f, 0, G_FOO, 1, true);
		fx_pods(&f, 1, G_FOO, 1, false);
		expect_filter(&f, "terminating Pods should be excluded", (const unsigned[]){OK, SKEW});
		place_release(&f.pl);
	}
	{
		/* "existing pods in a different namespace do not count" */
		struct fx f;
		struct scn_requirement r;
		fx_init(&f, true, false);
		struct scn_selector foo = exists_sel(&r, "foo");
		struct scn_spread c = spread(1, SCN_TOPO_ZONE, true, &foo, 1);
		f.svc[G_POD].placement = (struct scn_placement){.spread = &c, .n_spread = 1};
		four_nodes(&f);
		fx_place(&f);
		fx_pods(&f, 0, G_NS1, 2, false);
		fx_pods(&f, 2, G_FOO, 1, false);
		fx_pods(&f, 3, G_FOO, 1, false);
		expect_filter(&f, "existing pods in a different namespace do not count", (const unsigned[]){OK, OK, SKEW, SKEW});
		place_release(&f.pl);
	}
}

Test(placement, spread_filter_min_domains)
{
	static const struct {
		const char *name;
		int min_domains;
		unsigned want[3];
	} rows[] = {
		{"pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains < minDomains, then the third "
		 "node fits",
		 4, {SKEW, SKEW, OK}},
		{"pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains > minDomains, then the all "
		 "nodes fit",
		 2, {OK, OK, OK}},
	};
	for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
		struct fx f;
		struct scn_requirement r;
		fx_init(&f, true, false);
		struct scn_selector foo = exists_sel(&r, "foo");
		struct scn_spread c = spread(2, SCN_TOPO_HOSTNAME, true, &foo, rows[k].min_domains);
		f.svc[G_POD].placement = (struct scn_placement){.spread = &c, .n_spread = 1};
		fx_node(&f, "node-a", -1, NULL, NULL);
		fx_node(&f, "node-b", -1, NULL, NULL);
		fx_node(&f, "node-c", -1, NULL, NULL);
		fx_place(&f);
		fx_pods(&f, 0, G_FOO, 2, false);
		fx_pods(&f, 1, G_FOO, 2, false);
		fx_pods(&f, 2, G_FOO, 1, false);
		expect_filter(&f, rows[k].name, rows[k].want);
		place_release(&f.pl);
	}
}

/* ---- podtopologyspread/scoring_test.go, TestPodTopologySpreadScore ---- */

/* Nodes a, b, c (or x), d (or y); pods on them; the candidates. */
static void score_case(const char *name, int skew, enum scn_topo key, int zone_b, int zone_x, const int *pods,
		       const uint32_t *feasible, size_t nf, const int64_t *want)
{
	struct fx f;
	struct scn_requirement r;
	fx_init(&f, true, false);
	struct scn_selector foo = exists_sel(&r, "foo");
	struct scn_spread c = spread(skew, key, false, &foo, 1);
	f.svc[G_POD].placement = (struct scn_placement){.spread = &c, .n_spread = 1};
	fx_node(&f, "node-a", zone_b, NULL, NULL);
	fx_node(&f, "node-b", zone_b, NULL, NULL);
	fx_node(&f, "node-x", zone_x, NULL, NULL);
	fx_node(&f, "node-y", zone_x, NULL, NULL);
	fx_place(&f);
	for (size_t i = 0; i < 4; i++)
		fx_pods(&f, i, G_FOO, pods[i], false);
	expect_spread_scores(&f, name, feasible, nf, want);
	place_release(&f.pl);
}

Test(placement, spread_score_table)
{
	static const uint32_t all[] = {0, 1, 2, 3}, three[] = {0, 1, 2};
	score_case("one constraint on node, all 4 nodes are candidates", 1, SCN_TOPO_HOSTNAME, -1, -1,
		   (const int[]){2, 1, 0, 3}, all, 4, (const int64_t[]){20, 60, 100, 0});
	score_case("one constraint on node, all 4 nodes are candidates, maxSkew=2", 2, SCN_TOPO_HOSTNAME, -1, -1,
		   (const int[]){2, 1, 0, 3}, all, 4, (const int64_t[]){33, 66, 100, 16});
	score_case("one constraint on node, all 4 nodes are candidates, maxSkew=3", 3, SCN_TOPO_HOSTNAME, -1, -1,
		   (const int[]){4, 3, 2, 1}, all, 4, (const int64_t[]){44, 66, 77, 100});
	score_case("one constraint on node, 3 out of 4 nodes are candidates", 1, SCN_TOPO_HOSTNAME, -1, -1,
		   (const int[]){4, 2, 1, 3}, three, 3, (const int64_t[]){33, 83, 100});
	score_case("one constraint on zone, 3 out of 4 nodes are candidates", 1, SCN_TOPO_ZONE, 0, 1,
		   (const int[]){4, 2, 1, 3}, three, 3, (const int64_t[]){75, 75, 100});
	score_case("one constraint on node, all nodes have the same number of matching pods", 1, SCN_TOPO_HOSTNAME, -1,
		   -1, (const int[]){1, 1, 1, 1}, all, 4, (const int64_t[]){100, 100, 100, 100});
}

Test(placement, spread_score_two_constraints)
{
	{
		/* "two Constraints on zone and node, 2 out of 4 nodes are
		 * candidates": 2/~1~/2/~4~, candidates node-a and node-x. */
		struct fx f;
		struct scn_requirement r;
		fx_init(&f, true, false);
		struct scn_selector foo = exists_sel(&r, "foo");
		struct scn_spread c[2] = {spread(1, SCN_TOPO_ZONE, false, &foo, 1), spread(1, SCN_TOPO_HOSTNAME, false, &foo, 1)};
		f.svc[G_POD].placement = (struct scn_placement){.spread = c, .n_spread = 2};
		four_nodes(&f);
		fx_place(&f);
		fx_pods(&f, 0, G_FOO, 2, false);
		fx_pods(&f, 1, G_FOO, 1, false);
		fx_pods(&f, 2, G_FOO, 2, false);
		fx_pods(&f, 3, G_FOO, 4, false);
		expect_spread_scores(&f, "two Constraints on zone and node, 2 out of 4 nodes are candidates",
				     (const uint32_t[]){0, 2}, 2, (const int64_t[]){100, 63});
		place_release(&f.pl);
	}
	{
		/* "two Constraints on zone and node, with different
		 * labelSelectors": a P{foo}, b P{foo,bar}, y P{foo} P{bar}. */
		struct fx f;
		struct scn_requirement r1, r2;
		fx_init(&f, true, true);
		struct scn_selector foo = exists_sel(&r1, "foo"), bar = exists_sel(&r2, "bar");
		struct scn_spread c[2] = {spread(1, SCN_TOPO_ZONE, false, &foo, 1), spread(1, SCN_TOPO_HOSTNAME, false, &bar, 1)};
		f.svc[G_POD].placement = (struct scn_placement){.spread = c, .n_spread = 2};
		four_nodes(&f);
		fx_place(&f);
		fx_pods(&f, 0, G_FOO, 1, false);
		fx_pods(&f, 1, G_FOOBAR, 1, false);
		fx_pods(&f, 3, G_FOO, 1, false);
		fx_pods(&f, 3, G_BAR, 1, false);
		expect_spread_scores(&f, "two Constraints on zone and node, with different labelSelectors",
				     (const uint32_t[]){0, 1, 2, 3}, 4, (const int64_t[]){60, 20, 100, 60});
		place_release(&f.pl);
	}
	{
		/* "terminating Pods should be excluded" */
		struct fx f;
		struct scn_requirement r;
		fx_init(&f, true, false);
		struct scn_selector foo = exists_sel(&r, "foo");
		struct scn_spread c = spread(1, SCN_TOPO_HOSTNAME, false, &foo, 1);
		f.svc[G_POD].placement = (struct scn_placement){.spread = &c, .n_spread = 1};
		fx_node(&f, "node-a", -1, NULL, NULL);
		fx_node(&f, "node-b", -1, NULL, NULL);
		fx_place(&f);
		fx_pods(&f, 0, G_FOO, 1, true);
		fx_pods(&f, 1, G_FOO, 1, false);
		expect_spread_scores(&f, "terminating Pods should be excluded", (const uint32_t[]){0, 1}, 2,
				     (const int64_t[]){100, 0});
		place_release(&f.pl);
	}
}

Test(placement, spread_score_system_defaults)
{
	/* "system defaulting, nodes don't have zone, pods match service":
	 * the default constraints (hostname maxSkew 3, zone maxSkew 5) over
	 * the pod's own pods, 4/3/2/1; no node has a zone, so only the
	 * hostname constraint scores. Here the pods are the incoming pod's
	 * own group (the service's selector selects them). */
	struct fx f;
	fx_init(&f, true, false);
	f.sc.cluster.default_spread = true;
	fx_node(&f, "node-a", -1, NULL, NULL);
	fx_node(&f, "node-b", -1, NULL, NULL);
	fx_node(&f, "node-c", -1, NULL, NULL);
	fx_node(&f, "node-d", -1, NULL, NULL);
	fx_place(&f);
	fx_pods(&f, 0, G_POD, 4, false);
	fx_pods(&f, 1, G_POD, 3, false);
	fx_pods(&f, 2, G_POD, 2, false);
	fx_pods(&f, 3, G_POD, 1, false);
	cr_assert(place_scores_spread(&f.pl, G_POD));
	expect_spread_scores(&f, "system defaulting, nodes don't have zone, pods match service",
			     (const uint32_t[]){0, 1, 2, 3}, 4, (const int64_t[]){44, 66, 77, 100});
	place_release(&f.pl);
}

/* ---- tainttoleration/taint_toleration_test.go ---- */

static struct scn_taint taint(const char *k, const char *v, enum taint_effect e)
{
	return (struct scn_taint){(char *)(uintptr_t)k, (char *)(uintptr_t)v, e};
}

static struct scn_toleration tol(const char *k, bool exists, const char *v, int e)
{
	return (struct scn_toleration){(char *)(uintptr_t)k, exists, (char *)(uintptr_t)v, e, false, 0};
}

Test(placement, taint_toleration_filter)
{
	/* TestTaintTolerationFilter */
	static const struct {
		const char *name;
		struct scn_toleration t[2];
		size_t nt;
		struct scn_taint taint[2];
		size_t n;
		int want; /* index of the untolerated taint, -1: none */
	} rows[] = {
		{"A pod having no tolerations can't be scheduled onto a node with nonempty taints", {{0}}, 0,
		 {{"dedicated", "user1", EFFECT_NO_SCHEDULE}}, 1, 0},
		{"A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule",
		 {{"dedicated", false, "user1", EFFECT_NO_SCHEDULE, false, 0}}, 1, {{"dedicated", "user1", EFFECT_NO_SCHEDULE}}, 1, -1},
		{"A pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule",
		 {{"dedicated", false, "user2", EFFECT_NO_SCHEDULE, false, 0}}, 1, {{"dedicated", "user1", EFFECT_NO_SCHEDULE}}, 1, 0},
		{"A pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on "
		 "the node",
		 {{"foo", true, "", EFFECT_NO_SCHEDULE, false, 0}}, 1, {{"foo", "bar", EFFECT_NO_SCHEDULE}}, 1, -1},
		{"A pod has multiple tolerations, node has multiple taints, all the taints are tolerated, pod can be "
		 "scheduled onto the node",
		 {{"dedicated", false, "user2", EFFECT_NO_SCHEDULE, false, 0}, {"foo", true, "", EFFECT_NO_SCHEDULE, false, 0}}, 2,
		 {{"dedicated", "user2", EFFECT_NO_SCHEDULE}, {"foo", "bar", EFFECT_NO_SCHEDULE}}, 2, -1},
		{"A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn't "
		 "match, can't be scheduled onto the node",
		 {{"foo", false, "bar", EFFECT_PREFER_NO_SCHEDULE, false, 0}}, 1, {{"foo", "bar", EFFECT_NO_SCHEDULE}}, 1, 0},
		{"The pod has a toleration that keys and values match the taint on the node, the effect of toleration is "
		 "empty, and the effect of taint is NoSchedule. Pod can be scheduled onto the node",
		 {{"foo", false, "bar", -1, false, 0}}, 1, {{"foo", "bar", EFFECT_NO_SCHEDULE}}, 1, -1},
		{"The pod has a toleration that key and value don't match the taint on the node, but the effect of taint "
		 "on node is PreferNoSchedule. Pod can be scheduled onto the node",
		 {{"dedicated", false, "user2", EFFECT_NO_SCHEDULE, false, 0}}, 1, {{"dedicated", "user1", EFFECT_PREFER_NO_SCHEDULE}},
		 1, -1},
		{"The pod has no toleration, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled "
		 "onto the node",
		 {{0}}, 0, {{"dedicated", "user1", EFFECT_PREFER_NO_SCHEDULE}}, 1, -1},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int got = place_untolerated(rows[i].t, rows[i].nt, rows[i].taint, rows[i].n);
		cr_expect_eq(got, rows[i].want, "\"%s\": %d", rows[i].name, got);
	}
}

Test(placement, taint_toleration_score)
{
	/* TestTaintTolerationScore: raw counts of untolerated
	 * PreferNoSchedule taints, normalized in reverse. */
	struct scn_taint cpu = taint("cpu-type", "arm64", EFFECT_PREFER_NO_SCHEDULE),
			 disk = taint("disk-type", "ssd", EFFECT_PREFER_NO_SCHEDULE),
			 cpu_hard = taint("cpu-type", "arm64", EFFECT_NO_SCHEDULE);
	struct scn_taint b[] = {cpu}, c[] = {cpu, disk}, b_hard[] = {cpu_hard};
	{
		/* "the more intolerable taints a node has, the lower score it gets." */
		struct scn_toleration t = tol("foo", false, "bar", EFFECT_PREFER_NO_SCHEDULE);
		int64_t s[3] = {place_prefer_no_schedule(&t, 1, NULL, 0), place_prefer_no_schedule(&t, 1, b, 1),
				place_prefer_no_schedule(&t, 1, c, 2)};
		place_normalize_default(s, 3, true);
		cr_expect(s[0] == 100 && s[1] == 50 && s[2] == 0, "%lld %lld %lld", (long long)s[0], (long long)s[1],
			  (long long)s[2]);
	}
	{
		/* "the nodes that all of their taints are tolerated by the pod,
		 * get the same score, no matter how many tolerable taints a node has" */
		struct scn_toleration t[] = {tol("cpu-type", false, "arm64", EFFECT_PREFER_NO_SCHEDULE),
					     tol("disk-type", false, "ssd", EFFECT_PREFER_NO_SCHEDULE)};
		int64_t s[3] = {place_prefer_no_schedule(t, 2, NULL, 0), place_prefer_no_schedule(t, 2, b, 1),
				place_prefer_no_schedule(t, 2, c, 2)};
		place_normalize_default(s, 3, true);
		cr_expect(s[0] == 100 && s[1] == 100 && s[2] == 100);
	}
	{
		/* "only taints and tolerations that have effect PreferNoSchedule
		 * are checked by taints-tolerations priority function" */
		struct scn_toleration t[] = {tol("cpu-type", false, "arm64", EFFECT_NO_SCHEDULE),
					     tol("disk-type", false, "ssd", EFFECT_NO_SCHEDULE)};
		int64_t s[3] = {place_prefer_no_schedule(t, 2, NULL, 0), place_prefer_no_schedule(t, 2, b_hard, 1),
				place_prefer_no_schedule(t, 2, c, 2)};
		place_normalize_default(s, 3, true);
		cr_expect(s[0] == 100 && s[1] == 100 && s[2] == 0);
	}
}

/* ---- nodeaffinity/node_affinity_test.go ---- */

Test(placement, node_affinity_filter)
{
	/* TestNodeAffinity */
	struct place_label foo_bar[] = {{"foo", "bar"}}, sup[] = {{"foo", "bar"}, {"baz", "blah"}},
			   gpu[] = {{"GPU", "NVIDIA-GRID-K1"}}, kern[] = {{"kernel-version", "0206"}},
			   mem[] = {{"mem-type", "DDR3"}};
	struct scn_label sel1[] = {{(char *)"foo", (char *)"bar"}},
			 sel2[] = {{(char *)"foo", (char *)"bar"}, {(char *)"baz", (char *)"blah"}};
	struct scn_placement p = {.node_selector = sel1, .n_node_selector = 1};
	cr_expect(!place_node_affinity(&p, NULL, 0), "missing labels");
	cr_expect(place_node_affinity(&p, foo_bar, 1), "same labels");
	cr_expect(place_node_affinity(&p, sup, 2), "node labels are superset");
	p = (struct scn_placement){.node_selector = sel2, .n_node_selector = 2};
	cr_expect(!place_node_affinity(&p, foo_bar, 1), "node labels are subset");

	char *v_bar[] = {(char *)"bar", (char *)"value2"}, *v_204[] = {(char *)"0204"},
	     *v_ddr[] = {(char *)"DDR", (char *)"DDR2"}, *v_val[] = {(char *)"value1", (char *)"value2"},
	     *v_amd[] = {(char *)"AMD", (char *)"INTER"};
	struct scn_requirement in = {.key = (char *)"foo", .op = REQ_IN, .values = v_bar, .n_values = 2},
			       gt = {.key = (char *)"kernel-version", .op = REQ_GT, .values = v_204, .n_values = 1},
			       notin = {.key = (char *)"mem-type", .op = REQ_NOT_IN, .values = v_ddr, .n_values = 2},
			       ex = {.key = (char *)"GPU", .op = REQ_EXISTS},
			       in_wrong = {.key = (char *)"foo", .op = REQ_IN, .values = v_val, .n_values = 2},
			       gpu_notin = {.key = (char *)"GPU", .op = REQ_NOT_IN, .values = v_amd, .n_values = 2},
			       gpu_in = {.key = (char *)"GPU", .op = REQ_IN, .values = v_amd, .n_values = 2},
			       diff = {.key = (char *)"diffkey", .op = REQ_IN, .values = v_val, .n_values = 2};
	static const char *const names[] = {
		"Pod with matchExpressions using In operator that matches the existing node",
		"Pod with matchExpressions using Gt operator that matches the existing node",
		"Pod with matchExpressions using NotIn operator that matches the existing node",
		"Pod with matchExpressions using Exists operator that matches the existing node",
		"Pod with affinity that don't match node's labels won't schedule onto the node",
		"Pod with empty MatchExpressions is not a valid value will match no objects and won't schedule onto the node",
		"Pod with multiple matchExpressions ANDed that matches the existing node",
		"Pod with multiple matchExpressions ANDed that doesn't match the existing node",
		"Pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels and will schedule onto the "
		"node",
	};
	struct scn_requirement and_ok[] = {ex, gpu_notin}, and_bad[] = {ex, gpu_in};
	struct {
		struct scn_node_term terms[2];
		size_t n;
		const struct place_label *labels;
		bool want;
	} rows[] = {
		{{{&in, 1, 0}}, 1, foo_bar, true},
		{{{&gt, 1, 0}}, 1, kern, true},
		{{{&notin, 1, 0}}, 1, mem, true},
		{{{&ex, 1, 0}}, 1, gpu, true},
		{{{&in_wrong, 1, 0}}, 1, foo_bar, false},
		{{{NULL, 0, 0}}, 1, foo_bar, false},
		{{{and_ok, 2, 0}}, 1, gpu, true},
		{{{and_bad, 2, 0}}, 1, gpu, false},
		{{{&in, 1, 0}, {&diff, 1, 0}}, 2, foo_bar, true},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		p = (struct scn_placement){.has_required = true, .required = rows[i].terms, .n_required = rows[i].n};
		cr_expect_eq(place_node_affinity(&p, rows[i].labels, 1), rows[i].want, "\"%s\"", names[i]);
	}
	/* "Pod with an Affinity matches node's labels but the
	 * PodSpec.NodeSelector(the old thing that we are deprecating) is not
	 * satisfied, won't schedule onto the node" */
	struct scn_requirement foo_ex = exists_req("foo");
	struct scn_node_term t = {&foo_ex, 1, 0};
	struct place_label barr[] = {{"foo", "barrrrrr"}};
	p = (struct scn_placement){.node_selector = sel1, .n_node_selector = 1, .has_required = true, .required = &t,
				   .n_required = 1};
	cr_expect(!place_node_affinity(&p, barr, 1));
	cr_expect(place_node_affinity(&p, foo_bar, 1));
}

Test(placement, node_affinity_priority)
{
	/* TestNodeAffinityPriority, "all nodes matches the preferred
	 * scheduling requirements of pod but with different priorities": node1
	 * {foo: bar}, node5 {foo: bar, key: value, az: az1}, node2 {key: value}. */
	char *bar[] = {(char *)"bar"}, *value[] = {(char *)"value"}, *az1[] = {(char *)"az1"};
	struct scn_requirement foo = {.key = (char *)"foo", .op = REQ_IN, .values = bar, .n_values = 1},
			       key = {.key = (char *)"key", .op = REQ_IN, .values = value, .n_values = 1},
			       az = {.key = (char *)"az", .op = REQ_IN, .values = az1, .n_values = 1};
	struct scn_requirement all3[] = {foo, key, az};
	struct scn_node_term pref[] = {{&foo, 1, 2}, {&key, 1, 4}, {all3, 3, 5}};
	struct scn_placement p = {.preferred = pref, .n_preferred = 3};
	struct place_label n1[] = {{"foo", "bar"}}, n5[] = {{"foo", "bar"}, {"key", "value"}, {"az", "az1"}},
			   n2[] = {{"key", "value"}};
	int64_t s[3] = {place_node_preferred(&p, n1, 1), place_node_preferred(&p, n5, 3), place_node_preferred(&p, n2, 1)};
	place_normalize_default(s, 3, false);
	cr_expect(s[0] == 18 && s[1] == 100 && s[2] == 36, "%lld %lld %lld", (long long)s[0], (long long)s[1],
		  (long long)s[2]);
}

/* ---- sched_pick_placed, hand-computed ---- */

/* n nodes of 16 cores each, in the fixture's state, and the scheduler's scratch. */
struct cluster {
	struct fx f;
	struct sched s;
	struct sched_node nodes[MAXN];
	uint32_t feasible[MAXN];
	int64_t scores[SCHED_SCORE_ROWS * MAXN];
	gsl_rng *r;
};

static void cluster_init(struct cluster *c)
{
	sched_init(&c->s, SCHED_LEAST_ALLOCATED);
	for (size_t i = 0; i < c->f.n; i++)
		sched_node_init(&c->nodes[i], (struct sched_alloc){16, 64 * 1024 * SCHED_MIB, 110});
	c->r = rng_stream(1, 0, 0);
}

/* Schedules one pod of group g (1 core); returns its node or -1 with why. */
static int schedule(struct cluster *c, int g, char *why, size_t len)
{
	struct sched_pod p = sched_pod_make(1, SCHED_MIB);
	struct sched_placement sp = {&c->f.pl, c->f.nd, g, c->feasible, c->scores};
	int n = sched_pick_placed(&c->s, c->nodes, c->f.n, &p, &sp, c->r, why, len);
	if (n >= 0) {
		sched_bind(&c->nodes[n], &p);
		place_pod_add(&c->f.pl, &c->f.nd[n], g, +1, true);
	}
	return n;
}

Test(placement, three_zones_max_skew_1_seven_pods_land_3_2_2)
{
	/* Six nodes, two per zone; a DoNotSchedule zone constraint of maxSkew 1
	 * over the pod's own pods: after each pod the zones differ by at most
	 * one, so seven pods end 3/2/2 (in some order), whatever the scores. */
	struct cluster c;
	struct scn_label app = lbl("app", "web");
	struct scn_selector sel = {.match = &app, .n_match = 1};
	fx_init(&c.f, false, false);
	c.f.lab[G_POD][0] = app;
	c.f.svc[G_POD].n_labels = 1;
	struct scn_spread zs = spread(1, SCN_TOPO_ZONE, true, &sel, 1);
	c.f.svc[G_POD].placement = (struct scn_placement){.spread = &zs, .n_spread = 1};
	for (int i = 0; i < 6; i++) {
		char name[16];
		snprintf(name, sizeof name, "n%d", i);
		fx_node(&c.f, name, i / 2, NULL, NULL);
	}
	fx_place(&c.f);
	cluster_init(&c);
	for (int k = 0; k < 7; k++) {
		char why[SCHED_WHY_LEN];
		cr_assert_geq(schedule(&c, G_POD, why, sizeof why), 0, "pod %d: %s", k, why);
		int per[3] = {0};
		for (size_t i = 0; i < c.f.n; i++)
			per[c.f.nd[i].zone] += c.f.nd[i].live[G_POD];
		int lo = per[0], hi = per[0];
		for (int z = 1; z < 3; z++) {
			lo = per[z] < lo ? per[z] : lo;
			hi = per[z] > hi ? per[z] : hi;
		}
		cr_assert_leq(hi - lo, 1, "after pod %d: %d/%d/%d", k, per[0], per[1], per[2]);
		if (k == 6)
			cr_expect(hi == 3 && lo == 2 && per[0] + per[1] + per[2] == 7, "%d/%d/%d", per[0], per[1], per[2]);
	}
	gsl_rng_free(c.r);
	place_release(&c.f.pl);
}

Test(placement, required_anti_affinity_on_hostname_one_pod_per_node)
{
	/* Three nodes; the pod's required anti-affinity on hostname selects its
	 * own pods: three land, one per node, and the fourth finds every node
	 * holding one (the existing pods' anti-affinity, checked first). */
	struct cluster c;
	struct scn_label app = lbl("app", "db");
	struct scn_selector sel = {.match = &app, .n_match = 1};
	fx_init(&c.f, false, false);
	c.f.lab[G_POD][0] = app;
	c.f.svc[G_POD].n_labels = 1;
	struct scn_pod_term anti = {.anti = true, .key = SCN_TOPO_HOSTNAME, .has_selector = true, .selector = sel};
	c.f.svc[G_POD].placement = (struct scn_placement){.pod_terms = &anti, .n_pod_terms = 1};
	fx_node(&c.f, "n0", 0, NULL, NULL);
	fx_node(&c.f, "n1", 0, NULL, NULL);
	fx_node(&c.f, "n2", 1, NULL, NULL);
	fx_place(&c.f);
	cluster_init(&c);
	char why[SCHED_WHY_LEN];
	bool used[3] = {false};
	for (int k = 0; k < 3; k++) {
		int n = schedule(&c, G_POD, why, sizeof why);
		cr_assert(n >= 0 && !used[n], "pod %d went to %d", k, n);
		used[n] = true;
	}
	cr_expect_eq(schedule(&c, G_POD, why, sizeof why), -1);
	cr_expect_str_eq(why, "0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules. "
			      "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.");
	gsl_rng_free(c.r);
	place_release(&c.f.pl);
}

Test(placement, tainted_node_takes_only_tolerating_pods)
{
	/* Two nodes of 16 cores; n1 is tainted dedicated=pci:NoSchedule and
	 * labelled pool=pci. The foo pods (no toleration) all go to n0 and,
	 * once it is full, fit nowhere; the pod group (tolerating, selecting
	 * pool=pci) goes to n1 only. */
	struct cluster c;
	fx_init(&c.f, true, false);
	struct scn_taint pci = taint("dedicated", "pci", EFFECT_NO_SCHEDULE);
	struct scn_toleration t = tol("dedicated", false, "pci", EFFECT_NO_SCHEDULE);
	struct scn_label pool = lbl("pool", "pci");
	c.f.svc[G_POD].placement = (struct scn_placement){.tolerations = &t, .n_tolerations = 1, .node_selector = &pool,
							  .n_node_selector = 1};
	fx_node(&c.f, "n0", 0, NULL, NULL);
	fx_node(&c.f, "n1", 1, "pool", "pci");
	c.f.nd[1].taints = &pci;
	c.f.nd[1].n_taints = 1;
	fx_place(&c.f);
	cluster_init(&c);
	char why[SCHED_WHY_LEN];
	for (int k = 0; k < 16; k++)
		cr_assert_eq(schedule(&c, G_FOO, why, sizeof why), 0, "foo pod %d: %s", k, why);
	cr_expect_eq(schedule(&c, G_FOO, why, sizeof why), -1);
	cr_expect_str_eq(why, "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: "
			      "pci}. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 "
			      "Preemption is not helpful for scheduling.");
	for (int k = 0; k < 16; k++)
		cr_assert_eq(schedule(&c, G_POD, why, sizeof why), 1, "pci pod %d: %s", k, why);
	cr_expect_eq(schedule(&c, G_POD, why, sizeof why), -1);
	cr_expect_str_eq(why, "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node "
			      "affinity/selector. preemption: 0/2 nodes are available: 1 No preemption victims found for "
			      "incoming pod, 1 Preemption is not helpful for scheduling.");
	gsl_rng_free(c.r);
	place_release(&c.f.pl);
}

/* ---- a world: zones, taints and DaemonSets from a scenario ---- */

static struct world *world_of(const char *yaml, struct scenario *sc, struct sim *s, struct memsink *m)
{
	struct herr e;
	cr_assert_eq(scn_parse(sc, "tests/placement.yaml", yaml, strlen(yaml), &e), 0, "%s", e.msg);
	struct sink out = memsink_init(m);
	sim_init(s, sc->seed, sc->duration);
	return world_new(s, sc, &out);
}

static void world_done(struct world *w, struct scenario *sc, struct sim *s, struct memsink *m)
{
	world_free(w);
	sim_release(s);
	memsink_free(m);
	scn_free(sc);
}

Test(placement, daemonset_with_node_selector_counted_on_its_nodes_only)
{
	/* Two static nodes labelled gpu=true, two plain, one tainted: the
	 * node agent (no selector, no toleration) runs on the four untainted
	 * ones; the GPU plugin (nodeSelector gpu: "true") on the two GPU nodes
	 * only; a log agent tolerating everything on all five. */
	static const char *yaml =
		"name: ds\nduration: 1m\n"
		"cluster:\n"
		"  nodes:\n"
		"    - {name: gpu, count: 2, allocatable: {cpu: \"8\", memory: 32Gi}, labels: {gpu: \"true\"}}\n"
		"    - {name: cpu, count: 2, allocatable: {cpu: \"8\", memory: 32Gi}}\n"
		"    - {name: pci, count: 1, allocatable: {cpu: \"8\", memory: 32Gi},\n"
		"       taints: [{key: dedicated, value: pci, effect: NoSchedule}]}\n"
		"  daemonsets:\n"
		"    - {name: node-agent, cpu: 100m, memory: 100Mi}\n"
		"    - {name: gpu-plugin, cpu: 500m, memory: 200Mi, nodeSelector: {gpu: \"true\"}}\n"
		"    - {name: logs, cpu: 50m, tolerations: [{operator: Exists}]}\n"
		"services:\n"
		"  a:\n    replicas: 1\n    resources: {requests: {cpu: 100m}}\n    cpu_per_request: 1ms\n"
		"    traffic: {rate: 1rps}\n";
	struct scenario sc;
	struct sim s;
	struct memsink m;
	struct world *w = world_of(yaml, &sc, &s, &m);
	cr_assert_eq(w->n_nodes, 5);
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *n = w->wnodes[i];
		const struct sched_node *sn = &w->nodes[i];
		double want = !strncmp(n->name, "gpu", 3) ? 0.65 : !strncmp(n->name, "cpu", 3) ? 0.15 : 0.05;
		int pods = !strncmp(n->name, "gpu", 3) ? 3 : !strncmp(n->name, "cpu", 3) ? 2 : 1;
		double app = 0;
		for (uint32_t j = 0; j < n->n_hosted; j++)
			app += n->pods[j]->svc->cfg->cpu_request;
		cr_expect(fabs(n->ds_cpu - want) < 1e-9, "%s: DaemonSets take %g cores, want %g", n->name, n->ds_cpu, want);
		cr_expect(fabs(n->cpu - (8 - want)) < 1e-9, "%s: its pods share %g cores", n->name, n->cpu);
		cr_expect(fabs(sn->req_cpu - app - want) < 1e-9, "%s: requests %g", n->name, sn->req_cpu);
		cr_expect_eq(sn->n_pods - (int)n->n_hosted, pods, "%s: DaemonSet pods", n->name);
	}
	world_done(w, &sc, &s, &m);
}

Test(placement, scenario_zone_spread_3_2_2_and_taints)
{
	/* Three static nodes without a zone go round-robin over the three
	 * default zones; web spreads over zones (maxSkew 1, DoNotSchedule):
	 * seven pods land 3/2/2. The tainted pci node (us-east-1a) takes only
	 * card's pods, which tolerate it and select it. */
	static const char *yaml =
		"name: zones\nduration: 1m\n"
		"cluster:\n"
		"  nodes:\n"
		"    - {name: n, count: 3, allocatable: {cpu: \"16\", memory: 64Gi}}\n"
		"    - {name: pci, count: 1, zone: us-east-1a, allocatable: {cpu: \"16\", memory: 64Gi},\n"
		"       labels: {workload: pci}, taints: [{key: workload, value: pci, effect: NoSchedule}]}\n"
		"services:\n"
		"  web:\n    cpu_per_request: 1ms\n    traffic: {rate: 1rps}\n"
		"    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n"
		"      spec:\n        replicas: 7\n        selector: {matchLabels: {app: web}}\n"
		"        template:\n          metadata: {labels: {app: web}}\n          spec:\n"
		"            containers: [{name: web, image: web, resources: {requests: {cpu: 500m}},\n"
		"                          readinessProbe: {tcpSocket: {port: 80}}}]\n"
		"            topologySpreadConstraints:\n"
		"              - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule,\n"
		"                 labelSelector: {matchLabels: {app: web}}}\n"
		"  card:\n    cpu_per_request: 1ms\n"
		"    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n"
		"      spec:\n        replicas: 3\n        selector: {matchLabels: {app: card}}\n"
		"        template:\n          metadata: {labels: {app: card}}\n          spec:\n"
		"            containers: [{name: card, image: card, resources: {requests: {cpu: 500m}},\n"
		"                          readinessProbe: {tcpSocket: {port: 80}}}]\n"
		"            nodeSelector: {workload: pci}\n"
		"            tolerations: [{key: workload, operator: Equal, value: pci, effect: NoSchedule}]\n";
	struct scenario sc;
	struct sim s;
	struct memsink m;
	struct world *w = world_of(yaml, &sc, &s, &m);
	cr_assert_eq(w->n_nodes, 4);
	int per_zone[3] = {0};
	for (size_t i = 0; i < 3; i++)
		cr_expect_eq(w->wnodes[i]->zone, (int)i, "%s in zone %d", w->wnodes[i]->name, w->wnodes[i]->zone);
	const struct service *web = &w->svcs[0], *card = &w->svcs[1];
	for (uint32_t j = 0; j < web->n_pods; j++) {
		const struct pod *p = web->pods[j];
		cr_assert(p->bound);
		cr_expect_str_neq(w->wnodes[p->node]->name, "pci-3", "a web pod on the tainted node");
		per_zone[w->wnodes[p->node]->zone]++;
	}
	cr_expect(per_zone[0] == 3 || per_zone[1] == 3 || per_zone[2] == 3, "%d/%d/%d", per_zone[0], per_zone[1],
		  per_zone[2]);
	cr_expect_eq(per_zone[0] + per_zone[1] + per_zone[2], 7);
	for (int z = 0; z < 3; z++)
		cr_expect(per_zone[z] >= 2 && per_zone[z] <= 3, "%d/%d/%d", per_zone[0], per_zone[1], per_zone[2]);
	for (uint32_t j = 0; j < card->n_pods; j++)
		cr_expect_str_eq(w->wnodes[card->pods[j]->node]->name, "pci-3");
	world_done(w, &sc, &s, &m);
}

Test(placement, nodepool_taints_labels_and_zone_on_its_nodes)
{
	/* A NodePool allowing us-east-1b and -1c, tainted and labelled: the
	 * nodes Karpenter makes for the tolerating pods of t = 0 are in
	 * us-east-1b (the first zone it allows, until part 2 picks the zone
	 * spread needs), carry the taint and the labels, and run only the
	 * DaemonSet that tolerates the taint. */
	static const char *yaml =
		"name: pool\nduration: 1m\n"
		"cluster:\n"
		"  catalog: catalogs/ec2-us-east-1.csv\n"
		"  daemonsets:\n"
		"    - {name: agent, cpu: 100m}\n"
		"    - {name: logs, cpu: 50m, tolerations: [{operator: Exists}]}\n"
		"  provisioner: karpenter\n"
		"  karpenter:\n    nodepools:\n"
		"      - apiVersion: karpenter.sh/v1\n        kind: NodePool\n        metadata: {name: pci}\n"
		"        spec:\n          template:\n            metadata: {labels: {team: cards}}\n"
		"            spec:\n              taints: [{key: workload, value: pci, effect: NoSchedule}]\n"
		"              requirements:\n"
		"                - {key: topology.kubernetes.io/zone, operator: In, values: [us-east-1c, us-east-1b]}\n"
		"                - {key: workload, operator: In, values: [pci]}\n"
		"                - {key: karpenter.k8s.aws/instance-category, operator: In, values: [m]}\n"
		"services:\n"
		"  card:\n    cpu_per_request: 1ms\n    traffic: {rate: 1rps}\n"
		"    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n"
		"      spec:\n        replicas: 2\n        selector: {matchLabels: {app: card}}\n"
		"        template:\n          metadata: {labels: {app: card}}\n          spec:\n"
		"            containers: [{name: card, image: card, resources: {requests: {cpu: 500m}},\n"
		"                          readinessProbe: {tcpSocket: {port: 80}}}]\n"
		"            nodeSelector: {workload: pci, team: cards}\n"
		"            tolerations: [{key: workload, operator: Exists, effect: NoSchedule}]\n";
	struct scenario sc;
	struct herr e;
	cr_assert_eq(scn_parse(&sc, "scenarios/pool.yaml", yaml, strlen(yaml), &e), 0, "%s", e.msg);
	cr_expect_eq(sc.n_warnings, 0, "%s", sc.n_warnings ? sc.warnings[0] : "");
	cr_expect_eq(sc.cluster.karpenter.pools[0].meta.zones, 6u, "us-east-1b and -1c");
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct sim s;
	sim_init(&s, sc.seed, sc.duration);
	struct world *w = world_new(&s, &sc, &out);
	cr_assert_geq(w->n_nodes, 1);
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *n = w->wnodes[i];
		cr_expect_eq(n->zone, 1, "%s in zone %d", n->name, n->zone);
		cr_expect_str_eq(place_label_get(n->labels, n->n_labels, "team"), "cards");
		cr_expect_str_eq(place_label_get(n->labels, n->n_labels, "workload"), "pci");
		cr_expect_str_eq(place_label_get(n->labels, n->n_labels, "karpenter.sh/nodepool"), "pci");
		cr_expect_str_eq(place_label_get(n->labels, n->n_labels, "topology.kubernetes.io/zone"), "us-east-1b");
		cr_expect_eq(w->pnodes[i].n_taints, 1);
		cr_expect(fabs(n->ds_cpu - 0.05) < 1e-9, "%s: DaemonSets %g cores (logs only)", n->name, n->ds_cpu);
	}
	for (uint32_t j = 0; j < w->svcs[0].n_pods; j++)
		cr_expect(w->svcs[0].pods[j]->bound, "card-%u is bound", w->svcs[0].pods[j]->num);
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	scn_free(&sc);
}

Test(placement, required_pod_affinity_zone)
{
	/* The pod's required affinity on zone selects foo pods: none yet, and
	 * it is not one itself, so no node passes; with a foo pod on node-x
	 * (zone2), only zone2's nodes pass. A group whose affinity selects
	 * itself places its first pod anywhere (no pod matches yet), and the
	 * next ones in that pod's zone. */
	struct fx f;
	struct scn_requirement r;
	fx_init(&f, false, true);
	struct scn_selector foo = exists_sel(&r, "foo");
	struct scn_pod_term t = {.key = SCN_TOPO_ZONE, .has_selector = true, .selector = foo};
	f.svc[G_POD].placement = (struct scn_placement){.pod_terms = &t, .n_pod_terms = 1};
	four_nodes(&f);
	fx_place(&f);
	const unsigned none = PLACE_R_POD_AFFINITY;
	expect_filter(&f, "no pod matches the affinity", (const unsigned[]){none, none, none, none});
	fx_pods(&f, 2, G_FOO, 1, false);
	expect_filter(&f, "a foo pod in zone2", (const unsigned[]){none, none, OK, OK});
	place_release(&f.pl);

	fx_init(&f, true, false); /* the pod is foo: its term selects itself */
	f.svc[G_POD].placement = (struct scn_placement){.pod_terms = &t, .n_pod_terms = 1};
	four_nodes(&f);
	fx_place(&f);
	expect_filter(&f, "the first pod of a self-affine group", (const unsigned[]){OK, OK, OK, OK});
	fx_pods(&f, 1, G_POD, 1, false);
	expect_filter(&f, "the next one, in its zone", (const unsigned[]){OK, OK, none, none});
	place_release(&f.pl);
}

Test(placement, preferred_anti_affinity_spreads_a_packing_scheduler)
{
	/* MostAllocated without default spread constraints packs: the second
	 * pod joins the first. With a preferred anti-affinity on hostname
	 * (weight 100) selecting its own pods, InterPodAffinity scores the
	 * first pod's node -200 (the pod's term and the existing pod's), the
	 * other 0: normalized 0 and 100, x2 outweighs the packing score. */
	for (int pref = 0; pref <= 1; pref++) {
		struct cluster c;
		struct scn_label app = lbl("app", "api");
		struct scn_selector sel = {.match = &app, .n_match = 1};
		fx_init(&c.f, false, false);
		c.f.lab[G_POD][0] = app;
		c.f.svc[G_POD].n_labels = 1;
		struct scn_pod_term anti = {.anti = true, .weight = 100, .key = SCN_TOPO_HOSTNAME, .has_selector = true,
					    .selector = sel};
		if (pref)
			c.f.svc[G_POD].placement = (struct scn_placement){.pod_terms = &anti, .n_pod_terms = 1};
		fx_node(&c.f, "n0", 0, NULL, NULL);
		fx_node(&c.f, "n1", 0, NULL, NULL);
		fx_place(&c.f);
		cluster_init(&c);
		sched_init(&c.s, SCHED_MOST_ALLOCATED);
		char why[SCHED_WHY_LEN];
		int first = schedule(&c, G_POD, why, sizeof why);
		cr_assert_geq(first, 0, "%s", why);
		if (pref) {
			struct place_node *nd = c.f.nd;
			cr_expect_eq(place_affinity_raw(&c.f.pl, G_POD, &nd[first]), -200);
			cr_expect_eq(place_affinity_raw(&c.f.pl, G_POD, &nd[1 - first]), 0);
		}
		int second = schedule(&c, G_POD, why, sizeof why);
		cr_expect_eq(second == first, !pref, "preferred anti-affinity %d: pods on %d and %d", pref, first, second);
		gsl_rng_free(c.r);
		place_release(&c.f.pl);
	}
}

/* ---- preemption with placement (sched_preempt) ---- */

/* A pod of group foo bound before the incoming one arrives. */
struct bound_pod {
	const char *name;
	int node;
	double cpu;    /* cores */
	int32_t prio;
};

/* The fixture's three nodes (node-a, node-b in zone1, node-x in zone2) of
 * cpu[i] cores (NULL: 16 each), the incoming pod (labelled foo) under
 * constraints cs, the pods bound (into b, their offsets per node into
 * start: pods listed node by node), and a cycle that fit nothing (its
 * message into why). */
static void preemption_state(struct cluster *c, const double *cpu, struct scn_spread *cs, size_t n_cs,
			     const struct bound_pod *pods, size_t n, struct sched_bound *b, uint32_t *start,
			     const struct sched_pod *p, char *why)
{
	fx_init(&c->f, true, false);
	c->f.svc[G_POD].placement = (struct scn_placement){.spread = cs, .n_spread = n_cs};
	fx_node(&c->f, "node-a", 0, NULL, NULL);
	fx_node(&c->f, "node-b", 0, NULL, NULL);
	fx_node(&c->f, "node-x", 1, NULL, NULL);
	fx_place(&c->f);
	cluster_init(c);
	for (size_t i = 0; cpu && i < 3; i++)
		c->nodes[i].alloc_cpu = cpu[i];
	for (size_t i = 0; i < n; i++) {
		b[i] = (struct sched_bound){sched_pod_make(pods[i].cpu, SCHED_MIB), 0, G_FOO, -1, false, false};
		b[i].req.priority = pods[i].prio;
		sched_bind(&c->nodes[pods[i].node], &b[i].req);
		place_pod_add(&c->f.pl, &c->f.nd[pods[i].node], G_FOO, +1, true);
	}
	for (size_t k = 0, i = 0; k <= 3; k++) {
		while (i < n && pods[i].node < (int)k)
			i++;
		start[k] = (uint32_t)i;
	}
	struct sched_placement sp = {&c->f.pl, c->f.nd, G_POD, c->feasible, c->scores};
	c->s.preemption_msg = false;
	cr_assert_eq(sched_pick_placed(&c->s, c->nodes, c->f.n, p, &sp, c->r, why, SCHED_WHY_LEN), -1);
}

/* defaultpreemption/default_preemption_test.go, TestDryRunPreemption,
 * "preemption to resolve pod topology spread filter failure": node-a and
 * node-b in zone1, node-x in zone2; pods labelled foo: pod-a1 (mid
 * priority) and pod-a2 (low) on node-a, pod-b1 (low) on node-b, pod-x1 and
 * pod-x2 (high) on node-x. The incoming pod (foo, high) spreads over zones
 * and hostnames, maxSkew 1, DoNotSchedule: zone1 holds 3 to zone2's 2, and
 * node-x 2 to node-b's 1, so no node fits. Upstream's candidates: node-a
 * evicting pod-a2 only (pod-a1 comes back: zone1 2, node-a 1), node-b
 * evicting pod-b1; both equal, the pick is a draw. */
Test(placement, preemption_resolves_topology_spread)
{
	struct cluster c;
	struct scn_requirement r;
	struct scn_selector foo = exists_sel(&r, "foo");
	struct scn_spread cs[2] = {spread(1, SCN_TOPO_ZONE, true, &foo, 1), spread(1, SCN_TOPO_HOSTNAME, true, &foo, 1)};
	static const struct bound_pod pods[] = {
		{"pod-a1", 0, 0.1, 100}, {"pod-a2", 0, 0.1, 0}, {"pod-b1", 1, 0.1, 0}, {"pod-x1", 2, 0.1, 1000},
		{"pod-x2", 2, 0.1, 1000}};
	struct sched_bound bound[5];
	uint32_t start[4], scratch[4 * 5], victims[5];
	struct sched_pod p = sched_pod_make(0.1, SCHED_MIB);
	p.priority = 1000;
	char why[SCHED_WHY_LEN];
	preemption_state(&c, NULL, cs, 2, pods, 5, bound, start, &p, why);
	cr_expect_str_eq(why, "0/3 nodes are available: 3 node(s) didn't match pod topology spread constraints.");
	struct sched_placement sp = {&c.f.pl, c.f.nd, G_POD, c.feasible, c.scores};
	struct sched_preemption pre = {bound, start, NULL, 0, false, -1, c.f.nd, scratch, NULL};
	int seen[2] = {0};
	for (int t = 0; t < 40; t++) {
		struct sched_victims v = {victims, 0, 0};
		int got = sched_preempt(c.nodes, c.f.n, &p, &sp, &pre, c.r, &v, why, sizeof why);
		cr_assert(got == 0 || got == 1, "node %d: %s", got, why);
		cr_assert_eq(v.n, 1);
		cr_expect_str_eq(pods[v.idx[0]].name, got == 0 ? "pod-a2" : "pod-b1");
		seen[got]++;
	}
	cr_expect(seen[0] && seen[1], "a draw between node-a and node-b: %d / %d", seen[0], seen[1]);
	/* The counts are as they were. */
	cr_expect(c.f.nd[0].live[G_FOO] == 2 && c.f.nd[1].live[G_FOO] == 1 && c.f.nd[2].live[G_FOO] == 2);
	/* With pod-b1 at the incoming pod's priority, node-b has no victim and node-a
	 * still evicts pod-a2 alone. */
	bound[2].req.priority = 1000;
	struct sched_victims v = {victims, 0, 0};
	cr_expect_eq(sched_preempt(c.nodes, c.f.n, &p, &sp, &pre, c.r, &v, why, sizeof why), 0);
	cr_expect(v.n == 1 && v.idx[0] == 1);
	gsl_rng_free(c.r);
	place_release(&c.f.pl);
}

/* Each node's dry run starts from the cluster as it is: node-a's (its
 * pod removed, then put back) must not leave node-b judged against
 * node-a without its pod. Zone spread, maxSkew 1, of foo pods: zone1
 * holds a1 (priority 0) on node-a and b1 (-10) on node-b, zone2 x1
 * (2000) on node-x, which its 4 cores fill; node-a has 1 core, all a1's.
 * The incoming foo pod (1000, 1 core): node-a lacks cpu, node-b breaks
 * the spread (zone1 2 + 1 - 1 > 1), node-x lacks cpu. node-a without a1
 * would take it (zone1 1), and so would node-b without b1; b1's lower
 * priority picks node-b. */
Test(placement, preemption_judges_each_node_from_the_cluster_as_it_is)
{
	struct cluster c;
	struct scn_requirement r;
	struct scn_selector foo = exists_sel(&r, "foo");
	struct scn_spread zs = spread(1, SCN_TOPO_ZONE, true, &foo, 1);
	static const struct bound_pod pods[] = {{"a1", 0, 1, 0}, {"b1", 1, 0.1, -10}, {"x1", 2, 4, 2000}};
	struct sched_bound bound[3];
	uint32_t start[4], scratch[4 * 1], victims[1];
	struct sched_pod p = sched_pod_make(1, SCHED_MIB);
	p.priority = 1000;
	char why[SCHED_WHY_LEN];
	preemption_state(&c, (const double[]){1, 16, 4}, &zs, 1, pods, 3, bound, start, &p, why);
	cr_expect_str_eq(why, "0/3 nodes are available: 1 node(s) didn't match pod topology spread constraints, "
			      "2 Insufficient cpu.");
	struct sched_placement sp = {&c.f.pl, c.f.nd, G_POD, c.feasible, c.scores};
	struct sched_preemption pre = {bound, start, NULL, 0, false, -1, c.f.nd, scratch, NULL};
	struct sched_victims v = {victims, 0, 0};
	cr_expect_eq(sched_preempt(c.nodes, c.f.n, &p, &sp, &pre, c.r, &v, why, sizeof why), 1, "%s", why);
	cr_expect(v.n == 1 && v.idx[0] == 1, "b1 alone");
	gsl_rng_free(c.r);
	place_release(&c.f.pl);
}
