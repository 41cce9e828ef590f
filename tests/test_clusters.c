/*
 * Each cluster's provisioner is its own installation (issue 20;
 * docs/clusters.md): two clusters have two Karpenters, or two Cluster
 * Autoscalers, of the same configuration.
 *
 * Each case runs the same pools and services twice: once as two clusters
 * (`clusters:`, each service pinned to its cluster), once as one cluster
 * whose services are pinned to the same pools by a nodeSelector on a plain
 * label (one provisioner managing both). The rules that make the
 * difference, from upstream:
 * - Karpenter's provisioning batch window is one per controller process
 *   (kubernetes-sigs/karpenter pkg/controllers/provisioning/batcher.go: one
 *   Batcher, closing batchIdleDuration after the last new pod or
 *   batchMaxDuration after it opened);
 * - its disruption controller runs one command per pass
 *   (pkg/controllers/disruption/controller.go Reconcile: the first method
 *   that yields a command; drift.go ComputeCommand takes one candidate);
 * - the Cluster Autoscaler drains at most --max-drain-parallelism (1)
 *   non-empty nodes at once (cluster-autoscaler
 *   core/scaledown/budgets/budgets.go CropNodes), per installation.
 * Times are hand-computed from the latencies and polls the scenarios set.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "karpenter.h"
#include "sim.h"
#include "world.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/hr-clusters-XXXXXX");
	cr_assert(mkdtemp(dir));
	harness_put(dir, "cat.csv",
		    "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
		    "c5.large,amd64,2,4096,29,0.085\n"
		    "m5.large,amd64,2,8192,29,0.096\n");
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(clusters, .init = setup, .fini = teardown);

/* Service `name`: a Deployment of `replicas` pods of `cpu` cores and 1 GiB
 * selecting nodes labelled team: NAME, in cluster NAME when multi. */
static void service(char *buf, size_t size, const char *name, int replicas, const char *cpu, bool multi)
{
	size_t len = strlen(buf);
	snprintf(buf + len, size - len,
		 "  %s:\n%s    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n"
		 "      metadata: {name: %s}\n      spec:\n        replicas: %d\n"
		 "        selector: {matchLabels: {app: %s}}\n"
		 "        template:\n          metadata: {labels: {app: %s}}\n          spec:\n"
		 "            nodeSelector: {team: %s}\n"
		 "            containers:\n              - name: c\n                image: c:1\n"
		 "                readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 1}\n"
		 "                resources: {requests: {cpu: \"%s\", memory: 1Gi}}\n"
		 "    cpu_per_request: 1ms\n    traffic: {rate: 1rps}\n"
		 "    startup: {image_pull: {first: 0s}, container_start: 0s, app_start: 0s}\n",
		 name, multi ? (strcmp(name, "a") ? "    clusters: [b]\n" : "    clusters: [a]\n") : "", name, replicas,
		 name, name, name, cpu);
}

/* Two Karpenter NodePools a and b of `types` nodes (c5.large when NULL)
 * labelled team and headroom.io/cluster by their names, with
 * `disruption`, cluster.drifts `drifts` (or none), cluster.capacity
 * `capacity` (or none); services a and b of `replicas` pods of 1 core; as
 * two clusters when multi. */
static void load_karp_with(struct scenario *sc, bool multi, const char *duration, const char *disruption,
			   const char *drifts, int replicas, const char *types, const char *capacity)
{
	static char yaml[8192];
	snprintf(yaml, sizeof yaml, "name: c\nduration: %s\nsample_interval: 10s\nstart: 2026-03-02T08:00:00Z\n%s"
		 "cluster:\n  catalog: cat.csv\n  provisioner: karpenter\n  karpenter:\n"
		 "    latency: {launch: 2s, registration: 30s, initialization: 5s}\n    nodepools:\n",
		 duration, multi ? "clusters: [{name: a}, {name: b}]\n" : "");
	for (int i = 0; i < 2; i++) {
		const char *n = i ? "b" : "a";
		size_t len = strlen(yaml);
		snprintf(yaml + len, sizeof yaml - len,
			 "      - apiVersion: karpenter.sh/v1\n        kind: NodePool\n"
			 "        metadata: {name: %s}\n        spec:\n"
			 "          template:\n            metadata: {labels: {team: %s, headroom.io/cluster: %s}}\n"
			 "            spec: {requirements: [{key: node.kubernetes.io/instance-type, operator: In, "
			 "values: [%s]}]}\n"
			 "          disruption: %s\n",
			 n, n, n, types ? types : "c5.large", disruption);
	}
	size_t len = strlen(yaml);
	if (drifts)
		snprintf(yaml + len, sizeof yaml - len, "  drifts: %s\n", drifts);
	len = strlen(yaml);
	if (capacity)
		snprintf(yaml + len, sizeof yaml - len, "  capacity: %s\n", capacity);
	len = strlen(yaml);
	snprintf(yaml + len, sizeof yaml - len, "services:\n");
	service(yaml, sizeof yaml, "a", replicas, "1", multi);
	service(yaml, sizeof yaml, "b", replicas, "1", multi);
	harness_load(sc, harness_put(dir, "k.yaml", yaml));
}

static void load_karp(struct scenario *sc, bool multi, const char *duration, const char *disruption,
		      const char *drifts, int replicas)
{
	load_karp_with(sc, multi, duration, disruption, drifts, replicas, NULL, NULL);
}

/* The time of the n-th (from 0) decision row `event` about a node whose
 * name starts with `prefix`, or -1. */
static double nth(const struct memsink *m, const char *event, const char *prefix, int n)
{
	for (size_t i = 0; i < m->n_decisions; i++) {
		const struct row_decision *r = &m->decisions[i].r;
		if (!strcmp(r->event, event) && r->pod && !strncmp(r->pod, prefix, strlen(prefix)) && n-- == 0)
			return r->t_s;
	}
	return -1;
}

/* ---- Karpenter: drift beside consolidation ---- */

static simtime scale_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct world *w = obj;
	pod_scale(w, &w->svcs[arg >> 8], (int)(arg & 0xff));
	return SIM_DONE;
}

/* The times of b's node's "disruption-candidate" row and of a's node's
 * "replacing" row in a run where pool a drifts at 51 s and service b
 * goes from 2 pods (one per node) to 1 at 45 s, leaving one of b's nodes
 * empty. */
static void drift_beside_emptiness(bool multi, double *t_cand, double *t_repl)
{
	struct scenario sc;
	load_karp(&sc, multi, "3m", "{consolidateAfter: 0s, budgets: [{nodes: \"100%\"}]}",
		  "[{at: 51s, nodepool: a}]", 1);
	sc.services[1].replicas = 2;
	struct sim s;
	struct memsink m;
	struct sink out = memsink_init(&m);
	sim_init(&s, sc.seed, sc.duration);
	struct world *w = world_new(&s, &sc, &out);
	sim_at(&s, 45 * SIM_S, PRIO_CONTROL, scale_ev, w, 1 << 8 | 1);
	sim_run(&s);
	world_finish(w);
	*t_cand = nth(&m, "disruption-candidate", "b-", 0);
	*t_repl = nth(&m, "replacing", "a-", 0);
	cr_expect_eq(memsink_count(&m, "replacing"), 1, "a's one node replaced");
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	scn_free(&sc);
}

/* A controller runs its methods in order each 10 s poll (polls from 10
 * s), Emptiness before Drift, and while a consolidation command waits for
 * its 15 s validation it starts nothing else. b's node is found empty at
 * the poll of 50 s (its pod gone at 45 s; consolidateAfter 0): its
 * command runs at 65 s. One Karpenter: a's drift (51 s) waits for the
 * first poll with no command pending, 70 s; two Karpenters: a's own
 * controller replaces its node at its next poll, 60 s, while b's command
 * is still pending. */
Test(clusters, drift_and_consolidation_in_two_clusters_run_concurrently)
{
	double cand, repl;
	drift_beside_emptiness(false, &cand, &repl);
	cr_expect(fabs(cand - 50) < 1e-9, "one Karpenter: b's empty node a candidate at %.3f s, want 50", cand);
	cr_expect(fabs(repl - 70) < 1e-9, "one Karpenter: a replaced at %.3f s, want 70 (after b's command)", repl);
	drift_beside_emptiness(true, &cand, &repl);
	cr_expect(fabs(cand - 50) < 1e-9, "two Karpenters: b's empty node a candidate at %.3f s, want 50", cand);
	cr_expect(fabs(repl - 60) < 1e-9, "two Karpenters: a replaced at %.3f s, want 60 (its own loop)", repl);
}

/* ---- Karpenter: consolidation, as a decision ---- */

/* Beside each pool's node of t = 0 (its service's pod), an empty node in
 * each pool, built by hand, consolidatable at once: each cluster's
 * decision names its own empty node only; one Karpenter's names both in
 * one emptiness command (emptiness.go: every empty candidate within the
 * budgets). */
Test(clusters, each_clusters_decision_sees_its_own_nodes)
{
	for (int multi = 0; multi < 2; multi++) {
		struct scenario sc;
		load_karp(&sc, multi, "1m", "{consolidateAfter: 0s, budgets: [{nodes: \"100%\"}]}", NULL, 1);
		struct sim s;
		struct memsink m;
		struct sink out = memsink_init(&m);
		sim_init(&s, sc.seed, sc.duration);
		struct world *w = world_new(&s, &sc, &out);
		const struct scn_cluster *c = &sc.cluster;
		const struct instance_type *it = catalog_find(&c->catalog, "c5.large");
		cr_assert(it);
		size_t t = (size_t)(it - c->catalog.types);
		uint32_t num[2];
		for (int p = 0; p < 2; p++) {
			const struct scn_nodepool *np = &c->karpenter.pools[p];
			struct node_spec spec = {PLACE_ZONE_NONE, &np->meta, np->name, false};
			num[p] = node_add(w, np->name, "c5.large", p,
					  (struct sched_alloc){np->alloc_cpu[t], np->alloc_mem[t], np->alloc_pods[t]},
					  it->price_hour, NODE_READY, &spec)
					 ->num;
		}
		if (!multi) {
			struct karp_cmd k = karp_consolidation_plan(w, 60 * SIM_S);
			cr_expect_eq(k.kind, KARP_CMD_DELETE_EMPTY);
			cr_expect_eq(k.n, 2, "one Karpenter: one command for both");
		} else {
			for (int cl = 0; cl < 2; cl++) {
				struct karp_cmd k = karp_cluster_plan(w, cl, 60 * SIM_S);
				cr_expect_eq(k.kind, KARP_CMD_DELETE_EMPTY);
				cr_expect_eq(k.n, 1, "cluster %d: its own node only", cl);
				cr_expect_eq(k.num[0], num[cl], "cluster %d: node %u, want %u", cl, k.num[0], num[cl]);
			}
		}
		world_free(w);
		sim_release(&s);
		memsink_free(&m);
		scn_free(&sc);
	}
}

/* ---- Karpenter: provisioning batches ---- */

/* A run of sc with services a and b scaled to 2 at 10 s and 10 s + lag,
 * its rows in *m. */
static void scale_both(const struct scenario *sc, double lag, struct memsink *m)
{
	struct sim s;
	struct sink out = memsink_init(m);
	sim_init(&s, sc->seed, sc->duration);
	struct world *w = world_new(&s, sc, &out);
	sim_at(&s, 10 * SIM_S, PRIO_CONTROL, scale_ev, w, 0 << 8 | 2);
	sim_at(&s, 10 * SIM_S + (simtime)llround(lag * 1e9), PRIO_CONTROL, scale_ev, w, 1 << 8 | 2);
	sim_run(&s);
	world_finish(w);
	world_free(w);
	sim_release(&s);
}

/* Services a and b (one pod each at t = 0) scaled to 2 at 10 s and at
 * 10 s + `lag`: each new pod fits no node and triggers the batch. The
 * window closes batch_idle (1 s) after the last new pod: one Karpenter
 * launches both NodeClaims at 11 s + lag, in one batch; two launch a's at
 * 11 s and b's at 11 s + lag, each in its own cluster's batch. With lag 0
 * both launch at 11 s, as separate NodeClaims either way. */
static void launches(bool multi, double lag, double *ta, double *tb, int *n)
{
	struct scenario sc;
	load_karp(&sc, multi, "1m", "{consolidateAfter: Never}", NULL, 1);
	struct memsink m;
	scale_both(&sc, lag, &m);
	/* the nodes of t = 0 have no "launched" row: the first ones are the batch's */
	*ta = nth(&m, "launched", "a-", 0);
	*tb = nth(&m, "launched", "b-", 0);
	*n = memsink_count(&m, "launched");
	memsink_free(&m);
	scn_free(&sc);
}

Test(clusters, pods_pending_in_two_clusters_are_batched_per_cluster)
{
	double ta, tb;
	int n;
	launches(false, 0.5, &ta, &tb, &n);
	cr_expect_eq(n, 2);
	cr_expect(fabs(ta - 11.5) < 1e-9 && fabs(tb - 11.5) < 1e-9, "one Karpenter: a %.3f s, b %.3f s, want 11.5 both",
		  ta, tb);
	launches(true, 0.5, &ta, &tb, &n);
	cr_expect_eq(n, 2);
	cr_expect(fabs(ta - 11) < 1e-9, "two Karpenters: a at %.3f s, want 11 (its own window)", ta);
	cr_expect(fabs(tb - 11.5) < 1e-9, "two Karpenters: b at %.3f s, want 11.5", tb);
	for (int multi = 0; multi < 2; multi++) {
		launches(multi, 0, &ta, &tb, &n);
		cr_expect_eq(n, 2, "pending at the same instant: two NodeClaims");
		cr_expect(fabs(ta - 11) < 1e-9 && fabs(tb - 11) < 1e-9, "%s: a %.3f s, b %.3f s, want 11 both",
			  multi ? "two Karpenters" : "one Karpenter", ta, tb);
	}
}

/* ---- Karpenter: the unavailable-offerings cache ---- */

/* c5.large (the cheaper) short from 5 s to the end, m5.large not; a's pod
 * of 10 s launches at 11 s, meets the error on c5.large, which is marked
 * unavailable for 3 minutes, and launches as m5.large; b's of 30 s
 * launches at 31 s. One Karpenter's cache still has the mark: b's
 * NodeClaim goes to m5.large without an error. Two Karpenters each keep
 * their own cache (the AWS provider's UnavailableOfferings is in-memory,
 * per process, pkg/cache/unavailableofferings.go): b's meets the error
 * itself. Both launch m5.large either way. */
Test(clusters, each_karpenter_has_its_own_unavailable_offerings)
{
	for (int multi = 0; multi < 2; multi++) {
		struct scenario sc;
		load_karp_with(&sc, multi, "2m", "{consolidateAfter: Never}", NULL, 1, "c5.large, m5.large",
			       "[{start: 5s, instance_types: [c5.large]}]");
		struct memsink m;
		scale_both(&sc, 20, &m);
		const char *who = multi ? "two Karpenters" : "one Karpenter";
		cr_expect_eq(memsink_count(&m, "insufficient-capacity"), multi ? 2 : 1, "%s: %d error(s)", who,
			     memsink_count(&m, "insufficient-capacity"));
		cr_expect(fabs(nth(&m, "insufficient-capacity", "a-", 0) - 11) < 1e-9, "%s: a's at 11 s", who);
		double tb = nth(&m, "insufficient-capacity", "b-", 0);
		cr_expect(multi ? fabs(tb - 31) < 1e-9 : tb < 0, "%s: b's error at %.3f s", who, tb);
		const char *detail = NULL;
		cr_expect(fabs(memsink_first(&m, "launched", NULL, &detail) - 11) < 1e-9);
		int launched = 0;
		for (size_t i = 0; i < m.n_decisions; i++) {
			const struct row_decision *r = &m.decisions[i].r;
			if (!strcmp(r->event, "launched")) {
				launched++;
				cr_expect(r->detail && !strncmp(r->detail, "m5.large", 8), "%s: %s launched as %s", who,
					  r->pod, r->detail);
			}
		}
		cr_expect_eq(launched, 2);
		memsink_free(&m);
		scn_free(&sc);
	}
}

/* ---- Cluster Autoscaler: scale-down ---- */

/* Node groups a and b of m5.large (min 1, 2 nodes each), services a and
 * b of 2 pods of 100m: LeastAllocated spreads each service's pods over
 * its group's two nodes. Each group has one node whose pod fits on the
 * other (the second of a pair cannot move to one found unneeded), unneeded
 * for 10 min from the first scan at 10 s, so removable at the scan after
 * 610 s. Draining a non-empty node counts against --max-drain-parallelism
 * 1: one Cluster Autoscaler drains a's node at that scan and b's after the
 * first drain is over; two drain both at the same scan. */
static void ca_drains(bool multi, double *ta, double *tb)
{
	static char yaml[8192];
	snprintf(yaml, sizeof yaml,
		 "name: ca\nduration: 15m\nsample_interval: 10s\n%s"
		 "cluster:\n  catalog: cat.csv\n  provisioner: cluster-autoscaler\n  cluster_autoscaler:\n"
		 "    node_groups:\n"
		 "      - {name: a, instance: m5.large, min: 1, max: 5, size: 2, "
		 "labels: {team: a, headroom.io/cluster: a}}\n"
		 "      - {name: b, instance: m5.large, min: 1, max: 5, size: 2, "
		 "labels: {team: b, headroom.io/cluster: b}}\n"
		 "services:\n",
		 multi ? "clusters: [{name: a}, {name: b}]\n" : "");
	service(yaml, sizeof yaml, "a", 2, "100m", multi);
	service(yaml, sizeof yaml, "b", 2, "100m", multi);
	struct scenario sc;
	harness_load(&sc, harness_put(dir, "ca.yaml", yaml));
	struct memsink m = memsink_run(&sc, NULL);
	*ta = nth(&m, "draining", "a-", 0);
	*tb = nth(&m, "draining", "b-", 0);
	cr_expect_eq(memsink_count(&m, "draining"), 2, "%s: one node of each group", multi ? "two CAs" : "one CA");
	memsink_free(&m);
	scn_free(&sc);
}

Test(clusters, each_clusters_scale_down_proceeds_on_its_own)
{
	double ta, tb;
	ca_drains(false, &ta, &tb);
	cr_expect(ta > 610 && ta <= 620, "one CA: a drains at %.3f s", ta);
	cr_expect(tb > ta, "one CA: b drains at %.3f s, after a's (%.3f s): one drain at a time", tb, ta);
	ca_drains(true, &ta, &tb);
	cr_expect(ta > 610 && ta <= 620, "two CAs: a drains at %.3f s", ta);
	cr_expect(fabs(tb - ta) < 1e-9, "two CAs: b drains at %.3f s, a at %.3f s: each its own drain", tb, ta);
}
