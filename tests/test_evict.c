/*
 * Voluntary disruption against PodDisruptionBudgets (models/evict.h): the
 * eviction API refusing and then allowing as the budget's healthy pods
 * come back; an expired node's drain waiting on a PDB until the NodePool's
 * terminationGracePeriod; and scenarios/disruption.yaml, where Karpenter
 * consolidates without a voluntary eviction ever taking a service below
 * its budget, and says why it skipped each protected node.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evict.h"
#include "harness.h"

#define EPS 1e-6

static char dir[64];

static void mk(void)
{
	snprintf(dir, sizeof dir, "/tmp/hr-evict-XXXXXX");
	cr_assert(mkdtemp(dir));
}

static void load_text(struct scenario *sc, const char *text)
{
	char path[128];
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	struct herr e;
	cr_assert_eq(scn_load(sc, path, NULL, 0, &e), 0, "%s", e.msg);
	unlink(path);
	rmdir(dir);
}

static simtime drain_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct world *w = obj;
	node_drain(w, w->wnodes[arg], "test");
	return SIM_DONE;
}

/*
 * Two pods of one service on node 0 (MostAllocated packs them, without
 * kube-scheduler's default spread constraints), a second node empty; minAvailable: 1. Draining node 0 at 10 s: the first
 * eviction is allowed (2 healthy, 1 needed), the second refused (1
 * healthy, 1 needed). The first pod's replacement starts on node 1 (pull
 * 1 s, container 1 s, app 3 s, probe every 1 s from 0 s after the
 * container: Ready at 15 s); the drain retries (100 ms, 200 ms, ... up to
 * 10 s apart) and evicts the second pod at the first retry after that.
 */
Test(evict, refused_then_allowed_once_a_replacement_is_ready)
{
	mk();
	struct scenario sc;
	load_text(&sc, "name: pdb\nseed: 1\nduration: 1m\n"
		       "cluster:\n  scheduler: {scoringStrategy: MostAllocated, defaultingType: List}\n  nodes:\n"
		       "    - {name: n, count: 2, allocatable: {cpu: \"4\", memory: 16Gi, pods: 10}}\n"
		       "services:\n"
		       "  a:\n    replicas: 2\n    resources: {requests: {cpu: \"1\"}}\n    cpu_per_request: 10ms\n"
		       "    traffic: {rate: 1rps}\n"
		       "    startup:\n      image_pull: {first: 1s, cached: 1s}\n      container_start: 1s\n"
		       "      app_start: 3s\n      readinessProbe: {initialDelaySeconds: 0, periodSeconds: 1}\n"
		       "pdbs:\n  - apiVersion: policy/v1\n    kind: PodDisruptionBudget\n    metadata: {name: a}\n"
		       "    spec: {minAvailable: 1, selector: {matchLabels: {app: a}}}\n");
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct sim s;
	sim_init(&s, sc.seed, sc.duration);
	struct world *w = world_new(&s, &sc, &out);
	cr_assert_eq(w->wnodes[0]->n_pods, 2, "both pods on node 0");
	sim_at(&s, 10 * SIM_S, PRIO_CONTROL, drain_ev, w, 0);
	sim_run(&s);
	world_finish(w);
	/* Which pod went first depends on the node's list; one of a-0, a-1
	 * was refused. */
	double refused = memsink_first(&m, "eviction-refused", NULL, NULL);
	cr_expect(fabs(refused - 10) < EPS, "refused at %.3f s", refused);
	cr_expect_eq(memsink_count(&m, "eviction-refused"), 1);
	double ready = memsink_first(&m, "ready", "a-2", NULL); /* the replacement */
	cr_expect(fabs(ready - 15) < EPS, "replacement ready at %.3f s", ready);
	double late = memsink_first(&m, "evicted-late", NULL, NULL);
	cr_expect(late >= ready && late <= ready + 10 + EPS, "evicted at %.3f s, replacement ready at %.3f s", late, ready);
	/* Backoff 0.1, 0.2, 0.4, ... s from 10 s: retries at 10.1, 10.3, 10.7,
	 * 11.5, 13.1, 16.3 s: the first after 15 s. */
	cr_expect(fabs(late - 16.3) < EPS, "evicted at %.3f s, want 16.3 s", late);
	cr_expect(memsink_first(&m, "deleted", "n-0", NULL) >= late, "node removed after its last pod");
	cr_expect_eq(w->n_nodes, 1);
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	scn_free(&sc);
}

/*
 * A Karpenter node that expires at 5 min (expireAfter: 5m, checked every
 * 10 s from 10 s: at 300 s) with terminationGracePeriod: 2m; its two pods
 * are under minAvailable: 2, which allows no disruption. The drain starts
 * at 300 s, its evictions are refused, and at 420 s the pods are deleted
 * regardless.
 */
Test(evict, expired_node_waits_on_its_pdb_until_termination_grace_period)
{
	mk();
	char text[4096];
	char cwd[512];
	cr_assert(getcwd(cwd, sizeof cwd));
	snprintf(text, sizeof text,
		 "name: expire\nseed: 1\nduration: 10m\n"
		 "cluster:\n  catalog: %s/scenarios/catalogs/ec2-us-east-1.csv\n  provisioner: karpenter\n"
		 "  karpenter:\n    nodepools:\n      - apiVersion: karpenter.sh/v1\n        kind: NodePool\n"
		 "        metadata: {name: default}\n        spec:\n          template:\n            spec:\n"
		 "              expireAfter: 5m\n              terminationGracePeriod: 2m\n"
		 "              requirements:\n"
		 "                - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.xlarge]}\n"
		 "              nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}\n"
		 "          disruption: {consolidateAfter: Never}\n"
		 "services:\n"
		 "  a:\n    replicas: 2\n    resources: {requests: {cpu: \"1\"}}\n    cpu_per_request: 10ms\n"
		 "    traffic: {rate: 1rps}\n"
		 "pdbs:\n  - apiVersion: policy/v1\n    kind: PodDisruptionBudget\n    metadata: {name: a}\n"
		 "    spec: {minAvailable: 2, selector: {matchLabels: {app: a}}}\n",
		 cwd);
	struct scenario sc;
	load_text(&sc, text);
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct run_stats st;
	run_once(&sc, sc.seed, &out, NULL, &st);
	double drain = -1;
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (!strcmp(r->event, "draining") && r->detail && !strcmp(r->detail, "expired")) {
			drain = r->t_s;
			break;
		}
	}
	cr_expect(fabs(drain - 300) < EPS, "expired node drains at %.3f s", drain);
	cr_expect_eq(memsink_count(&m, "eviction-refused"), 2, "both evictions refused");
	cr_expect(fabs(memsink_first(&m, "eviction-refused", NULL, NULL) - 300) < EPS);
	cr_expect_eq(memsink_count(&m, "eviction-forced"), 2);
	double forced = memsink_first(&m, "eviction-forced", NULL, NULL);
	cr_expect(fabs(forced - 420) < EPS, "forced at %.3f s, want 300 + 120", forced);
	cr_expect_eq(memsink_count(&m, "evicted-late"), 0);
	memsink_free(&m);
	scn_free(&sc);
}

/* ---- scenarios/disruption.yaml ---- */

static struct world *watched;
static int checked, violations;
static char violation[256];

/* At each voluntary eviction, before the pod goes: its budget allowed it. */
static void watch(void *ctx, const struct row_decision *r)
{
	struct memsink *m = ctx;
	if (watched && !strcmp(r->kind, "pod") && !strcmp(r->event, "evicted")) {
		const struct scenario *sc = watched->sc;
		int s = scn_service_index(sc, r->service);
		int pdb = sc->services[s].pdb;
		if (pdb >= 0) {
			struct pdb_status st = evict_pdb_status(watched, pdb);
			checked++;
			if (st.allowed < 1 && !violations++)
				snprintf(violation, sizeof violation, "%s at %.1f s: %s allowed %d (healthy %d of %d needed)",
					 r->pod, r->t_s, sc->pdbs[pdb].name, st.allowed, st.current_healthy, st.desired_healthy);
		}
	}
	memsink_keep_decision(m, r);
}

/*
 * Traffic falls to a quarter, the HPAs scale down and Karpenter
 * consolidates: fewer nodes than at the start during the dip, every
 * voluntary eviction allowed by its budget at the moment it happened, at
 * least one refused and then let through, no ledger pod (do-not-disrupt)
 * ever evicted and its nodes kept, and every skipped node with its reason.
 */
Test(evict, disruption_scenario_consolidates_within_the_budgets)
{
	struct scenario sc;
	struct herr e;
	cr_assert_eq(scn_load(&sc, "scenarios/disruption.yaml", NULL, 0, &e), 0, "%s", e.msg);
	struct memsink m;
	struct sink out = memsink_init(&m);
	out.decision = watch;
	struct sim s;
	sim_init(&s, sc.seed, sc.duration);
	struct world *w = world_new(&s, &sc, &out);
	watched = w;
	/* The nodes holding ledger pods at the start. */
	uint32_t ledger_nodes[8];
	int n_ledger = 0;
	int start_nodes = (int)w->n_nodes;
	int li = scn_service_index(&sc, "ledger");
	for (uint32_t j = 0; j < w->svcs[li].n_pods; j++)
		ledger_nodes[n_ledger++] = w->wnodes[w->svcs[li].pods[j]->node]->num;
	sim_run(&s);
	world_finish(w);
	watched = NULL;
	cr_expect_eq(violations, 0, "%d evictions beyond a budget; the first: %s", violations, violation);
	cr_expect(checked >= 5, "only %d evictions under a PDB: the scenario should consolidate", checked);
	cr_expect(memsink_count(&m, "eviction-refused") >= 1);
	cr_expect(memsink_count(&m, "evicted-late") >= 1);
	/* Fewer nodes during the dip (samples of the nodes table are not kept
	 * by the memsink: count node rows instead). */
	int nodes = start_nodes, least = start_nodes;
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (strcmp(r->kind, "node") || r->t_s > 16 * 60)
			continue;
		if (!strcmp(r->event, "launched"))
			nodes++;
		else if (!strcmp(r->event, "deleted"))
			nodes--;
		if (nodes < least)
			least = nodes;
	}
	cr_expect(least < start_nodes, "the cluster never shrank below %d nodes during the dip", start_nodes);
	/* do-not-disrupt: no ledger pod evicted, its nodes never drained. */
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (!strcmp(r->kind, "pod") && !strcmp(r->service, "ledger"))
			cr_expect(strcmp(r->event, "evicted") && strcmp(r->event, "terminating"), "%s %s at %.1f s", r->pod,
				  r->event, r->t_s);
		if (!strcmp(r->kind, "node") && !strcmp(r->event, "draining"))
			for (int k = 0; k < n_ledger; k++) {
				char name[64];
				snprintf(name, sizeof name, "default-%u", ledger_nodes[k]);
				cr_expect(strcmp(r->pod, name), "node %s with a ledger pod drained at %.1f s", name, r->t_s);
			}
	}
	/* Each skipped node says why: a PDB or do-not-disrupt. */
	int skipped = 0, for_ledger = 0;
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (strcmp(r->event, "disruption-skipped"))
			continue;
		skipped++;
		for_ledger += strstr(r->detail, "karpenter.sh/do-not-disrupt") != NULL;
		cr_expect(strstr(r->detail, "prevents pod evictions") || strstr(r->detail, "do-not-disrupt"), "%s",
			  r->detail);
	}
	cr_expect(skipped > 0 && for_ledger > 0, "%d skipped, %d for ledger", skipped, for_ledger);
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	scn_free(&sc);
}

/* ---- the provisioners' checks on a state built directly ---- */

static struct world *two_pods_one_node(struct scenario *sc, struct sim *s, struct memsink *m, const char *budget,
				       const char *annotation)
{
	mk();
	char text[2048];
	snprintf(text, sizeof text,
		 "name: chk\nseed: 1\nduration: 1m\n"
		 "cluster:\n  nodes:\n    - {name: n, count: 1, allocatable: {cpu: \"4\", memory: 16Gi, pods: 10}}\n"
		 "services:\n  a:\n    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n"
		 "      metadata: {name: a}\n      spec:\n        replicas: 2\n"
		 "        selector: {matchLabels: {app: a}}\n        template:\n"
		 "          metadata: {labels: {app: a}, annotations: {%s}}\n          spec:\n            containers:\n"
		 "              - name: a\n                image: a:1\n                resources: {requests: {cpu: \"1\"}}\n"
		 "                readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 5}\n"
		 "    cpu_per_request: 10ms\n    traffic: {rate: 1rps}\n"
		 "pdbs:\n  - apiVersion: policy/v1\n    kind: PodDisruptionBudget\n    metadata: {name: a}\n"
		 "    spec: {%s, selector: {matchLabels: {app: a}}}\n",
		 annotation, budget);
	load_text(sc, text);
	struct sink out = memsink_init(m);
	sim_init(s, sc->seed, sc->duration);
	struct world *w = world_new(s, sc, &out);
	cr_assert_eq(w->wnodes[0]->n_pods, 2);
	return w;
}

static void check_blocked(const char *budget, const char *annotation, bool karp, bool ca, const char *why_ca)
{
	struct scenario sc;
	struct sim s;
	struct memsink m;
	struct world *w = two_pods_one_node(&sc, &s, &m, budget, annotation);
	char why[EVICT_WHY_LEN] = "";
	cr_expect_eq(evict_karpenter_blocked(w, w->wnodes[0], why, sizeof why), karp, "%s / %s: karpenter %s", budget,
		     annotation, why);
	why[0] = 0;
	cr_expect_eq(evict_ca_blocked(w, w->wnodes[0], why, sizeof why), ca, "%s / %s: CA %s", budget, annotation, why);
	if (why_ca)
		cr_expect(strstr(why, why_ca), "CA says '%s', want '%s'", why, why_ca);
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	scn_free(&sc);
}

/* maxUnavailable: 1 of 2 healthy allows 1: Karpenter (each pod's PDB
 * allows a disruption) may pick the node, Cluster Autoscaler (both pods
 * must move, the budget holds one) may not. maxUnavailable: 2: both may.
 * minAvailable: 100%: neither. do-not-disrupt stops Karpenter only;
 * safe-to-evict "false" stops Cluster Autoscaler only. */
Test(evict, what_karpenter_and_cluster_autoscaler_may_disrupt)
{
	check_blocked("maxUnavailable: 1", "", false, true, "not enough pod disruption budget");
	check_blocked("maxUnavailable: 2", "", false, false, NULL);
	check_blocked("minAvailable: 100%", "", true, true, "not enough pod disruption budget");
	check_blocked("maxUnavailable: 2", "karpenter.sh/do-not-disrupt: \"true\"", true, false, NULL);
	check_blocked("maxUnavailable: 2", "cluster-autoscaler.kubernetes.io/safe-to-evict: \"false\"", false, true,
		      "not safe to evict");
}
