/*
 * A lost zone (models/outage.h): the node lifecycle controller's timeline,
 * taint evictions by each pod's toleration, PodTopologySpread's domains at
 * each stage, and provisioners launching nothing in the zone. Every
 * expected time and count is worked out by hand in the comment above its
 * test, from the defaults: node-monitor-grace-period 50 s, node-eviction-
 * rate 0.1 a second, the DefaultTolerationSeconds plugin's 300 s.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "world.h"

#define EPS 1e-6

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/hr-outage-XXXXXX");
	cr_assert(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(outage, .init = setup, .fini = teardown);

static void load(struct scenario *sc, const char *yaml) { harness_load(sc, harness_put(dir, "s.yaml", yaml)); }

static int count(const struct memsink *m, const char *event, const char *svc, double from, double to)
{
	int n = 0;
	for (size_t i = 0; i < m->n_decisions; i++) {
		const struct row_decision *r = &m->decisions[i].r;
		n += !strcmp(r->event, event) && (!svc || !strcmp(r->service, svc)) && r->t_s >= from - EPS &&
		     r->t_s <= to + EPS;
	}
	return n;
}

/* The time of the k-th (from 0) row with this event for this node or
 * service (NULL: any), or -1; its detail into d. */
static double nth(const struct memsink *m, const char *event, const char *name, int k, char *d, size_t dlen)
{
	for (size_t i = 0; i < m->n_decisions; i++) {
		const struct row_decision *r = &m->decisions[i].r;
		if (strcmp(r->event, event) || (name && strcmp(r->pod, name) && strcmp(r->service, name)) || k-- > 0)
			continue;
		if (d)
			snprintf(d, dlen, "%s", r->detail ? r->detail : "");
		return r->t_s;
	}
	return -1;
}

/* A service of the test: `replicas` pods of 1 core that start at once;
 * its pod spec gets `spec` (indented 12). */
#define SERVICE(name, replicas, spec)                                                                                \
	"  " name ":\n    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n"                          \
	"      metadata: {name: " name "}\n      spec:\n        replicas: " replicas "\n"                             \
	"        selector: {matchLabels: {app: " name "}}\n        template:\n"                                         \
	"          metadata: {labels: {app: " name "}}\n          spec:\n" spec                                       \
	"            containers: [{name: c, image: c, resources: {requests: {cpu: \"1\", memory: 1Gi}}, "             \
	"readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 1}}]\n"                                              \
	"    cpu_per_request: 5ms\n"                                                                                    \
	"    startup: {image_pull: {first: 0s}, container_start: 0s, app_start: 0s}\n"

#define ONE_PER_NODE(name)                                                                                           \
	"            affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: "   \
	"{matchLabels: {app: " name "}}, topologyKey: kubernetes.io/hostname}]}}\n"

/*
 * The timeline. Zone us-east-1c holds three nodes, c-2, c-3 and c-4 (node
 * numbers count from 0 over the groups a, b, c), each with one pod of dflt
 * (no toleration of its own: the admission plugin's 300 s), short
 * (tolerates node.kubernetes.io/unreachable:NoExecute for 60 s) and never
 * (tolerates every taint, without seconds: forever). The zone is lost at 60 s and
 * its nodes removed 600 s later. By hand:
 *   60 s   zone-lost; c-2, c-3, c-4 lost
 *   110 s  (60 + 50) the three NotReady, their 9 pods not Ready;
 *          NoExecute taints at 110, 120, 130 s (the first at once, then
 *          one per 1 / 0.1 s), in node-number order
 *   short  evicted 60 s after its node's taint: 170, 180, 190 s
 *   dflt   300 s after: 410, 420, 430 s
 *   never  never: killed with its node at 660 s
 * Each evicted pod stays Terminating on its lost node until 660 s (no
 * kubelet confirms its end): killed then, with the never pods. Replacements
 * (nodeSelector zone c) fit nowhere: "1 node(s)" per NotReady node has the
 * unreachable taint.
 */
#define PIN_C "            nodeSelector: {topology.kubernetes.io/zone: us-east-1c}\n"

Test(outage, node_lifecycle_timeline_and_each_pods_toleration)
{
	const char *full =
		"name: o\nseed: 1\nduration: 15m\n"
		"cluster:\n  nodes:\n"
		"    - {name: a, zone: us-east-1a, allocatable: {cpu: \"8\", memory: 32Gi}}\n"
		"    - {name: b, zone: us-east-1b, allocatable: {cpu: \"8\", memory: 32Gi}}\n"
		"    - {name: c, count: 3, zone: us-east-1c, allocatable: {cpu: \"8\", memory: 32Gi}}\n"
		"  outages: [{zone: us-east-1c, start: 1m, remove_after: 10m}]\n"
		"services:\n" SERVICE("dflt", "3", PIN_C ONE_PER_NODE("dflt")) "    traffic: {rate: 1rps}\n"
		SERVICE("short", "3",
			PIN_C "            tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: "
			      "NoExecute, tolerationSeconds: 60}]\n" ONE_PER_NODE("short"))
		SERVICE("never", "3", PIN_C "            tolerations: [{operator: Exists}]\n" ONE_PER_NODE("never"));
	struct scenario sc;
	load(&sc, full);
	struct memsink m = memsink_run(&sc, NULL);
	cr_expect(fabs(nth(&m, "zone-lost", "us-east-1c", 0, NULL, 0) - 60) < EPS);
	cr_expect_eq(count(&m, "lost", NULL, 60, 60), 3);
	cr_expect_eq(count(&m, "not-ready", NULL, 110, 110), 3 + 9, "3 nodes and their 9 pods");
	cr_expect(fabs(nth(&m, "tainted", "c-2", 0, NULL, 0) - 110) < EPS);
	cr_expect(fabs(nth(&m, "tainted", "c-3", 0, NULL, 0) - 120) < EPS);
	cr_expect(fabs(nth(&m, "tainted", "c-4", 0, NULL, 0) - 130) < EPS);
	static const double y_at[] = {170, 180, 190}, x_at[] = {410, 420, 430};
	for (int k = 0; k < 3; k++) {
		cr_expect(fabs(nth(&m, "evicted", "short", k, NULL, 0) - y_at[k]) < EPS, "short %d at %g", k,
			  nth(&m, "evicted", "short", k, NULL, 0));
		cr_expect(fabs(nth(&m, "evicted", "dflt", k, NULL, 0) - x_at[k]) < EPS, "dflt %d at %g", k,
			  nth(&m, "evicted", "dflt", k, NULL, 0));
	}
	cr_expect_eq(count(&m, "evicted", "never", 0, 900), 0);
	cr_expect_eq(count(&m, "killed", NULL, 660, 660), 9, "3 terminating dflt, 3 terminating short, 3 never");
	cr_expect_eq(count(&m, "deleted", NULL, 0, 659), 0, "nothing goes before its node");
	cr_expect_eq(count(&m, "reclaimed", NULL, 660, 660), 3);
	char d[256];
	nth(&m, "unschedulable", "dflt", 0, d, sizeof d);
	cr_expect(strstr(d, "3 node(s) had untolerated taint {node.kubernetes.io/unreachable: }") != NULL, "%s", d);
	memsink_free(&m);
	scn_free(&sc);
}

#define SPREAD_S(extra)                                                                                              \
	"            topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, "           \
	"whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: s}}" extra "}]\n"

/* Six pods spread over zones a, b, c by a DoNotSchedule constraint
 * (maxSkew 1), one node per zone with room for all; `extra` goes into the
 * constraint. Zone c is lost at 60 s and its node removed at 660 s; its
 * two pods are evicted at 410 s (NotReady at 110 s, tainted then, 300 s). */
static void load_spread(struct scenario *sc, const char *extra)
{
	char spec[512], yaml[8192];
	snprintf(spec, sizeof spec,
		 "            topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, "
		 "whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: s}}%s}]\n",
		 extra);
	snprintf(yaml, sizeof yaml,
		 "name: o\nseed: 1\nduration: 15m\nsample_interval: 10s\n"
		 "cluster:\n  nodes: [{name: n, count: 3, allocatable: {cpu: \"8\", memory: 32Gi}}]\n"
		 "  outages: [{zone: us-east-1c, start: 1m, remove_after: 10m}]\n"
		 "services:\n" SERVICE("s", "6", "%s") "    traffic: {rate: 20rps}\n",
		 spec);
	load(sc, yaml);
}

static int on_zone[3], pending_at_end;

static void zones_of_pods(const struct world *w)
{
	memset(on_zone, 0, sizeof on_zone);
	pending_at_end = 0;
	const struct service *sv = &w->svcs[0];
	for (uint32_t i = 0; i < sv->n_pods; i++) {
		const struct pod *p = sv->pods[i];
		if (p->slot_free || p->phase == POD_GONE || p->phase == POD_TERMINATING)
			continue;
		if (!p->bound)
			pending_at_end++;
		else
			on_zone[w->wnodes[p->node]->zone]++;
	}
}

/*
 * PodTopologySpread's domains at each stage (podtopologyspread/common.go,
 * filtering.go: a domain is a zone with a Node that passes the pod's
 * nodeAffinityPolicy and nodeTaintsPolicy; the pods counted are bound and
 * not terminating; with fewer domains than minDomains the global minimum
 * is 0; a node passes when its count + 1 - minimum <= maxSkew). At t = 0
 * the pods are 2/2/2. At 410 s c's two pods are evicted and replaced:
 *   - NotReady, nodeTaintsPolicy Ignore (the default): the NotReady node
 *     still makes c a domain, of 0 pods now (terminating pods do not
 *     count): minimum 0, and a and b (2 + 1 - 0 = 3 > 1) refuse the
 *     replacements; c's node has the unreachable taint: both Pending.
 *   - removed (660 s): domains a and b. With minDomains 3 (2 domains < 3)
 *     the minimum is 0 and a, b still refuse (3 - 0 > 1): Pending to the
 *     end, 2/2 on a and b. With minDomains 1 the minimum is 2, a takes one
 *     (2 + 1 - 2 = 1), then b (min 2 again): 3/3, nothing Pending.
 *   - nodeTaintsPolicy Honor: the NotReady node's untolerated
 *     unreachable:NoSchedule taint keeps it out from 110 s, so the domains
 *     are a and b already; the replacements at 410 s go 3/3 at once.
 * Errors: from 60 s to 110 s the balancer still sends a third of the
 * requests to c's two lost pods, which fail; none before, none after
 * (the four pods left serve 20 rps at 5 ms each easily).
 */
Test(outage, spread_domains_while_not_ready_and_once_removed)
{
	struct scenario sc;
	load_spread(&sc, ", minDomains: 3");
	struct memsink m = memsink_run(&sc, zones_of_pods);
	cr_expect_eq(count(&m, "unschedulable", "s", 410, 410), 2);
	char d[256];
	nth(&m, "unschedulable", "s", 0, d, sizeof d);
	cr_expect(strstr(d, "1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 node(s) didn't match "
			    "pod topology spread constraints") != NULL,
		  "%s", d);
	cr_expect_eq(count(&m, "scheduled", "s", 1, 900), 0, "minDomains 3: never placed");
	cr_expect(on_zone[0] == 2 && on_zone[1] == 2 && on_zone[2] == 0 && pending_at_end == 2, "%d/%d/%d, %d pending",
		  on_zone[0], on_zone[1], on_zone[2], pending_at_end);
	int64_t before = 0, lost = 0, after = 0;
	for (size_t i = 0; i < m.n_samples; i++) {
		const struct row_sample *r = &m.samples[i];
		if (r->t_s <= 60)
			before += r->errors;
		else if (r->t_s <= 110)
			lost += r->errors;
		else
			after += r->errors;
	}
	cr_expect(before == 0 && after == 0 && lost > 0, "errors %lld before, %lld while lost, %lld after",
		  (long long)before, (long long)lost, (long long)after);
	/* About 20 rps x 50 s x 2/6 = 333 requests to the lost pods. */
	cr_expect(lost > 250 && lost < 420, "%lld", (long long)lost);
	memsink_free(&m);
	scn_free(&sc);

	load_spread(&sc, "");
	m = memsink_run(&sc, zones_of_pods);
	cr_expect_eq(count(&m, "unschedulable", "s", 410, 410), 2);
	cr_expect_eq(count(&m, "scheduled", "s", 1, 659), 0, "Pending while c's node is NotReady");
	cr_expect_eq(count(&m, "scheduled", "s", 660, 660), 2, "placed when it is removed");
	cr_expect(on_zone[0] == 3 && on_zone[1] == 3 && pending_at_end == 0, "%d/%d/%d, %d pending", on_zone[0],
		  on_zone[1], on_zone[2], pending_at_end);
	memsink_free(&m);
	scn_free(&sc);

	load_spread(&sc, ", nodeTaintsPolicy: Honor");
	m = memsink_run(&sc, zones_of_pods);
	cr_expect_eq(count(&m, "unschedulable", "s", 0, 900), 0);
	cr_expect_eq(count(&m, "scheduled", "s", 410, 410), 2, "Honor: c is no domain once NotReady");
	cr_expect(on_zone[0] == 3 && on_zone[1] == 3 && pending_at_end == 0, "%d/%d/%d, %d pending", on_zone[0],
		  on_zone[1], on_zone[2], pending_at_end);
	memsink_free(&m);
	scn_free(&sc);
}

static int launched_in_c, launched_total;

static void launched_zones(const struct world *w)
{
	launched_in_c = launched_total = 0;
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *n = w->wnodes[i];
		if (n->launched > 0) {
			launched_total++;
			launched_in_c += n->zone == 2;
		}
	}
}

/*
 * Karpenter launches nothing in a lost zone. Service s spreads 6 pods
 * over the three zones (DoNotSchedule, maxSkew 1), service t 3 pods
 * (ScheduleAnyway, which Karpenter takes as required first); each pod
 * takes a node of its own (an m5.large, 1.93 cores, for 1.5 cores): 2/2/2
 * and 1/1/1. Zone c is lost at 60 s for the rest of the run; its three
 * nodes are NotReady at 110 s and tainted at 110, 120 and 130 s (two s
 * pods, then the t pod), so their pods are evicted at 410, 420 and 430 s.
 * s's two replacements need
 * zone c (its count 0 is the minimum of Karpenter's domains, which the
 * pool's zones make, lost or not: topology.go buildDomainGroups), where no
 * instance type has an available offering: unprovisionable (at 411 s and
 * 421 s, after the batch window), as upstream (karpenter#2171). t's
 * replacement, its preference relaxed, goes to the first zone up,
 * us-east-1a (launched at 431 s). No node is launched in c.
 */
Test(outage, karpenter_launches_nothing_in_a_lost_zone)
{
	harness_put(dir, "cat.csv", "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\nm5.large,amd64,2,8192,29,0.096\n");
	char full[8192];
	snprintf(full, sizeof full, "%s",
		 "name: o\nseed: 1\nduration: 15m\n"
		 "cluster:\n  catalog: cat.csv\n  provisioner: karpenter\n  karpenter:\n"
		 "    latency: {launch: 2s, registration: 30s, initialization: 5s}\n"
		 "    nodepools:\n      - {apiVersion: karpenter.sh/v1, kind: NodePool, metadata: {name: pool}, spec: "
		 "{template: {spec: {}}, disruption: {consolidateAfter: Never}}}\n"
		 "  outages: [{zone: us-east-1c, start: 1m}]\n"
		 "services:\n" SERVICE("s", "6", SPREAD_S("")) "    traffic: {rate: 1rps}\n"
		 SERVICE("t", "3",
			 "            topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, "
			 "whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: t}}}]\n"));
	/* 1.5 cores a pod: one per m5.large. */
	for (char *p; (p = strstr(full, "cpu: \"1\""));)
		memcpy(p, "cpu: 1.5", 8);
	struct scenario sc;
	load(&sc, full);
	struct memsink m = memsink_run(&sc, launched_zones);
	cr_expect_eq(count(&m, "unprovisionable", "s", 410, 440), 2);
	cr_expect_eq(count(&m, "unprovisionable", "t", 0, 900), 0);
	cr_expect(launched_total == 1 && launched_in_c == 0, "%d launched, %d in us-east-1c", launched_total,
		  launched_in_c);
	cr_expect(fabs(nth(&m, "launched", NULL, 0, NULL, 0) - 431) < EPS);
	memsink_free(&m);
	scn_free(&sc);
}

/*
 * Cluster Autoscaler: a node group across the zones grows where it has
 * fewest nodes among the zones still up; one pinned to the lost zone does
 * not grow. Group g (no zone, 3 m5.large at t = 0: one per zone) holds
 * service s, one pod of 1.5 cores per node; group p (zone c, min 0) would
 * be cheaper to grow for nothing: it is never chosen while c is lost. At
 * 410 s the pod of g's node in c is evicted; its replacement needs a node:
 * CA grows g by one, in us-east-1a (a and b have one up each; c is lost).
 */
Test(outage, cluster_autoscaler_launches_nothing_in_a_lost_zone)
{
	harness_put(dir, "cat.csv",
		    "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\nm5.large,amd64,2,8192,29,0.096\n"
		    "c5.large,amd64,2,4096,29,0.085\n");
	char yaml[8192];
	snprintf(yaml, sizeof yaml,
		 "name: o\nseed: 1\nduration: 15m\n"
		 "cluster:\n  catalog: cat.csv\n  provisioner: cluster-autoscaler\n  cluster_autoscaler:\n"
		 "    expander: least-waste\n    scale-down-enabled: false\n"
		 "    latency: {boot: 60s, initialization: 10s}\n"
		 "    node_groups:\n      - {name: g, instance: m5.large, min: 1, max: 10, size: 3}\n"
		 "      - {name: p, instance: c5.large, min: 0, max: 10, size: 0, zone: us-east-1c}\n"
		 "  outages: [{zone: us-east-1c, start: 1m}]\n"
		 "services:\n%s    traffic: {rate: 1rps}\n",
		 SERVICE("s", "3", ""));
	for (char *p; (p = strstr(yaml, "cpu: \"1\""));)
		memcpy(p, "cpu: 1.5", 8);
	struct scenario sc;
	load(&sc, yaml);
	struct memsink m = memsink_run(&sc, launched_zones);
	char d[256];
	cr_expect(nth(&m, "scale-up", NULL, 0, d, sizeof d) > 410, "first scale-up at %g",
		  nth(&m, "scale-up", NULL, 0, NULL, 0));
	cr_expect(!strncmp(d, "g: +1 node(s)", 13), "%s", d);
	cr_expect(launched_total == 1 && launched_in_c == 0, "%d launched, %d in us-east-1c", launched_total,
		  launched_in_c);
	memsink_free(&m);
	scn_free(&sc);
}

/*
 * A Cluster Autoscaler node lost while it boots never registers: CA
 * deletes it when its scale-up times out. Group p (zone c only) scales up
 * at the first scan, 10 s, for s's pod; the node would register 60 s
 * later, but zone c is lost at 30 s. CA counts it as upcoming (the pod
 * waits for it) until max-node-provision-time (15 min) has passed at a
 * scan: 10 + 900 < 920 s, when the node goes (registration-timeout) and p
 * is backed off; nothing launches again, as p's one zone is lost.
 */
Test(outage, cluster_autoscaler_deletes_a_node_lost_while_booting_at_its_provision_timeout)
{
	harness_put(dir, "cat.csv", "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\nm5.large,amd64,2,8192,29,0.096\n");
	char yaml[8192];
	snprintf(yaml, sizeof yaml,
		 "name: o\nseed: 1\nduration: 20m\n"
		 "cluster:\n  catalog: cat.csv\n  provisioner: cluster-autoscaler\n  cluster_autoscaler:\n"
		 "    scale-down-enabled: false\n    latency: {boot: 60s, initialization: 10s}\n"
		 "    node_groups:\n      - {name: p, instance: m5.large, min: 0, max: 10, size: 0, zone: us-east-1c}\n"
		 "  outages: [{zone: us-east-1c, start: 30s}]\n"
		 "services:\n%s    traffic: {rate: 1rps}\n",
		 SERVICE("s", "1", ""));
	struct scenario sc;
	load(&sc, yaml);
	struct memsink m = memsink_run(&sc, NULL);
	cr_expect(fabs(nth(&m, "launched", "p-0", 0, NULL, 0) - 10) < EPS);
	cr_expect(fabs(nth(&m, "lost", "p-0", 0, NULL, 0) - 30) < EPS);
	cr_expect_eq(count(&m, "registered", NULL, 0, 1200), 0);
	cr_expect(fabs(nth(&m, "registration-timeout", "p-0", 0, NULL, 0) - 920) < EPS, "at %g",
		  nth(&m, "registration-timeout", "p-0", 0, NULL, 0));
	cr_expect(fabs(nth(&m, "deleted", "p-0", 0, NULL, 0) - 920) < EPS);
	cr_expect(fabs(nth(&m, "backoff", "p", 0, NULL, 0) - 920) < EPS);
	cr_expect_eq(count(&m, "scale-up", NULL, 0, 1200), 1);
	memsink_free(&m);
	scn_free(&sc);
}
