/*
 * Priorities, preemption and placeholder pods in whole runs (models/
 * preempt.c, pod.c, karpenter.c, cluster_autoscaler.c), every time
 * hand-computed from the scenario's constants:
 *   - a placeholder preempted for a payment pod, the placeholder's
 *     replacement getting a new node from Karpenter (which keeps that node:
 *     its placeholder has nowhere else to go);
 *   - under Cluster Autoscaler, no node for a placeholder below
 *     --expendable-pods-priority-cutoff (-20 < -10), one for a placeholder
 *     above it (-5);
 *   - the lowest priority preempted first, then the next;
 *   - the preemptor nominated, waiting out its victim's grace period, then
 *     bound;
 *   - a higher-priority nomination clearing a lower one on its node;
 *   - a spike's first new pods Ready sooner with placeholders than without.
 * Node names: Karpenter's are its NodePool's name and a number
 * (default-0), Cluster Autoscaler's its node group's (general-0), static
 * ones their group's (n-0).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "world.h"

#define EPS 1e-6

static void load_text(struct scenario *sc, const char *text)
{
	struct herr e;
	char cwd[512], path[600];
	cr_assert(getcwd(cwd, sizeof cwd));
	snprintf(path, sizeof path, "%s/scenarios/overprovision-test.yaml", cwd);
	cr_assert_eq(scn_parse(sc, path, text, strlen(text), &e), 0, "%s", e.msg);
}

/* Service 0 (payment) scales to arg replicas. */
static simtime scale_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct world *w = obj;
	pod_scale(w, &w->svcs[0], (int)arg);
	return SIM_DONE;
}

/* Runs sc, payment scaled to `to` at `when`; the world is kept for a
 * look (world_free it). */
static struct world *run_scaled(const struct scenario *sc, struct sim *s, struct memsink *m, simtime when, int to)
{
	struct sink out = memsink_init(m);
	sim_init(s, sc->seed, sc->duration);
	struct world *w = world_new(s, sc, &out);
	sim_at(s, when, PRIO_CONTROL, scale_ev, w, (uint64_t)to);
	sim_run(s);
	world_finish(w);
	return w;
}

#define CLASSES                                                                                                    \
	"priorityClasses:\n"                                                                                       \
	"  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: overprovisioning},\n"       \
	"     value: %d, preemptionPolicy: Never}\n"                                                                \
	"  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: critical}, value: 1000}\n"

#define PAYMENT(cpu, extra)                                                                                        \
	"  payment:\n    replicas: 2\n    resources: {requests: {cpu: " cpu ", memory: 1Gi}}\n"                    \
	"    cpu_per_request: 10ms\n    traffic: {rate: 1rps}\n" extra                                             \
	"    startup:\n      image_pull: {first: 5s, cached: 5s}\n      container_start: 1s\n      app_start: 10s\n" \
	"      readinessProbe: {initialDelaySeconds: 0, periodSeconds: 5}\n"

/* The placeholder Deployment: replicas of cpu each. */
#define PLACEHOLDER(replicas, cpu)                                                                                 \
	"  placeholder:\n    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n"                       \
	"      metadata: {name: placeholder}\n      spec:\n        replicas: " replicas "\n"                        \
	"        selector: {matchLabels: {app: placeholder}}\n        template:\n"                                 \
	"          metadata: {labels: {app: placeholder}}\n          spec:\n"                                       \
	"            priorityClassName: overprovisioning\n            terminationGracePeriodSeconds: 0\n"           \
	"            containers:\n              - name: pause\n                image: registry.k8s.io/pause:3.10\n" \
	"                resources: {requests: {cpu: " cpu ", memory: 1Gi}}\n"

#define KARPENTER                                                                                                  \
	"cluster:\n  catalog: catalogs/ec2-us-east-1.csv\n  provisioner: karpenter\n  karpenter:\n"                \
	"    latency: {launch: 2s, registration: 10s, initialization: 5s}\n    nodepools:\n"                         \
	"      - apiVersion: karpenter.sh/v1\n        kind: NodePool\n        metadata: {name: default}\n"          \
	"        spec:\n          template:\n            spec:\n              requirements:\n"                     \
	"                - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.xlarge]}\n"          \
	"                - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}\n"                \
	"              nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}\n"            \
	"          disruption: {consolidationPolicy: WhenEmptyOrUnderutilized, consolidateAfter: 30s}\n"

/*
 * Karpenter, one m5.xlarge (3.92 allocatable cores) holding payment's two
 * 1-core pods and a 1.5-core placeholder at -20. At 60 s payment scales
 * to 3: payment-2 fits nowhere (0.42 cores free), preempts placeholder-0
 * (a pause container: gone at once) and binds at 60 s. placeholder-1,
 * its replacement, finds 0.92 cores: Pending, and Karpenter's batch
 * (idle 1 s) launches an m5.xlarge at 61 s, registered at 61 + 2 + 10 =
 * 73 s, Ready at 78 s, where placeholder-1 is scheduled, Ready at 79 s
 * (container 1 s, no probe). Consolidation counts the placeholder as a
 * pod to move: it fits nowhere else, so the node stays.
 */
Test(overprovision, karpenter_adds_a_node_for_the_preempted_placeholder)
{
	char text[8192];
	snprintf(text, sizeof text, "name: o\nseed: 1\nduration: 5m\n" CLASSES KARPENTER "services:\n" PAYMENT("1", "")
		 PLACEHOLDER("1", "1500m"), -20);
	struct scenario sc;
	load_text(&sc, text);
	struct memsink m;
	struct sim s;
	struct world *w = run_scaled(&sc, &s, &m, 60 * SIM_S, 3);
	const char *d = NULL;
	cr_expect(fabs(memsink_first(&m, "unschedulable", "payment-2", &d) - 60) < EPS);
	cr_expect_str_eq(d, "0/1 nodes are available: 1 Insufficient cpu.");
	cr_expect(fabs(memsink_first(&m, "nominated", "payment-2", &d) - 60) < EPS);
	cr_expect_str_eq(d, "node default-0: preempting placeholder-0 (priority -20)");
	cr_expect(fabs(memsink_first(&m, "preempted", "placeholder-0", &d) - 60) < EPS);
	cr_expect_str_eq(d, "preempted by payment-2 (priority 0) on node default-0");
	cr_expect(fabs(memsink_first(&m, "deleted", "placeholder-0", NULL) - 60) < EPS);
	cr_expect(fabs(memsink_first(&m, "scheduled", "payment-2", &d) - 60) < EPS);
	cr_expect_str_eq(d, "default-0");
	cr_expect(fabs(memsink_first(&m, "created", "placeholder-1", NULL) - 60) < EPS);
	cr_expect(fabs(memsink_first(&m, "launched", "default-1", NULL) - 61) < EPS);
	double t = memsink_first(&m, "scheduled", "placeholder-1", &d);
	cr_expect(fabs(t - 78) < EPS, "%.3f", t);
	cr_expect_str_eq(d, "default-1");
	cr_expect(fabs(memsink_first(&m, "ready", "placeholder-1", NULL) - 79) < EPS);
	cr_expect_eq(memsink_count(&m, "preempted"), 1);
	cr_expect_eq(memsink_count(&m, "draining"), 0, "the placeholder's node is not empty to consolidation");
	cr_expect_eq(w->n_nodes, 2);
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	scn_free(&sc);
}

#define CA(cutoff)                                                                                                 \
	"cluster:\n  catalog: catalogs/ec2-us-east-1.csv\n  provisioner: cluster-autoscaler\n"                     \
	"  cluster_autoscaler:\n" cutoff "    latency: {boot: 30s, initialization: 10s}\n"                          \
	"    node_groups: [{name: general, instance: m5.xlarge, min: 1, max: 3, size: 1}]\n"

/*
 * The same cluster under Cluster Autoscaler (one m5.xlarge, scans every
 * 10 s), payment scaled to 3 at 55 s: the placeholder's replacement is
 * Pending from 55 s. At -20, below the default cutoff of -10, CA never
 * scales up for it. At -5 it does at the scan of 60 s (the pod is 5 s
 * old): a node booting 30 s and Ready 10 s later, at 100 s.
 */
Test(overprovision, cluster_autoscaler_ignores_placeholders_below_the_cutoff)
{
	for (int pr = 0; pr < 2; pr++) {
		int value = pr ? -5 : -20;
		char text[8192];
		snprintf(text, sizeof text, "name: o\nseed: 1\nduration: 5m\n" CLASSES CA("") "services:\n" PAYMENT("1", "")
			 PLACEHOLDER("1", "1500m"), value);
		struct scenario sc;
		load_text(&sc, text);
		struct memsink m;
		struct sim s;
		struct world *w = run_scaled(&sc, &s, &m, 55 * SIM_S, 3);
		cr_expect(fabs(memsink_first(&m, "preempted", "placeholder-0", NULL) - 55) < EPS, "priority %d", value);
		cr_expect(fabs(memsink_first(&m, "scheduled", "payment-2", NULL) - 55) < EPS, "priority %d", value);
		if (value == -20) {
			cr_expect_eq(memsink_count(&m, "scale-up"), 0, "priority -20: no node for an expendable pod");
			cr_expect_eq(memsink_first(&m, "scheduled", "placeholder-1", NULL), -1);
			cr_expect_eq(w->n_nodes, 1);
		} else {
			const char *d = NULL;
			cr_expect(fabs(memsink_first(&m, "scale-up", NULL, &d) - 60) < EPS, "priority -5: scale-up at %.3f s",
				  memsink_first(&m, "scale-up", NULL, NULL));
			cr_expect(strstr(d, "general: +1 node(s) of m5.xlarge (1 -> 2) for 1 pod(s)") == d, "%s", d);
			cr_expect(fabs(memsink_first(&m, "scheduled", "placeholder-1", &d) - 100) < EPS);
			cr_expect_str_eq(d, "general-1");
			cr_expect_eq(w->n_nodes, 2);
		}
		world_free(w);
		sim_release(&s);
		memsink_free(&m);
		scn_free(&sc);
	}
}

/* Three classes: payment's by default (1000), batch's 0, placeholders' -20. */
#define CLASSES3                                                                                                   \
	"priorityClasses:\n"                                                                                       \
	"  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: overprovisioning},\n"       \
	"     value: -20, preemptionPolicy: Never}\n"                                                               \
	"  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: critical}, value: 1000,\n"   \
	"     globalDefault: true}\n"                                                                               \
	"  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: batch}, value: 0}\n"

/* A batch Deployment at priority 0 with a 5 s grace period. */
#define BATCH(replicas, cpu, extra)                                                                                \
	"  batch:\n    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n"                             \
	"      metadata: {name: batch}\n      spec:\n        replicas: " replicas "\n"                              \
	"        selector: {matchLabels: {app: batch}}\n        template:\n"                                       \
	"          metadata: {labels: {app: batch}}\n          spec:\n"                                             \
	"            priorityClassName: batch\n            terminationGracePeriodSeconds: 5\n"                      \
	"            containers:\n              - name: batch\n                image: batch\n"                      \
	"                resources: {requests: {cpu: " cpu "}}\n"                                                   \
	"                readinessProbe: {tcpSocket: {port: 80}}\n" extra

#define STATIC_NODE "cluster:\n  nodes: [{name: n, count: 1, allocatable: {cpu: \"4\", memory: 16Gi, pods: 20}}]\n"

/*
 * A static 4-core node full: payment-0 (1 core, the default class:
 * 1000), batch-0 and batch-1 (1 core each, class batch: 0), placeholder-0
 * (1 core, -20). Payment to 2 at 30 s: without every lower pod there are
 * 3 cores free; the batch pods come back first (more important) and fit,
 * the placeholder does not: it alone goes. Payment to 3 at 60 s: the
 * placeholder's replacement is Pending, so the lowest bound pods are the
 * batch pods: one comes back, the other goes (same priority and start:
 * the first in the node's list is kept).
 */
Test(overprovision, lowest_priority_first)
{
	struct scenario sc;
	load_text(&sc, "name: o\nseed: 1\nduration: 2m\n" CLASSES3 STATIC_NODE "services:\n"
		       "  payment:\n    replicas: 1\n    resources: {requests: {cpu: \"1\"}}\n    cpu_per_request: 10ms\n"
		       "    traffic: {rate: 1rps}\n" BATCH("2", "\"1\"", "    cpu_per_request: 10ms\n")
			       PLACEHOLDER("1", "\"1\""));
	cr_assert(sc.services[0].priority == 1000 && sc.services[1].priority == 0 && sc.services[2].priority == -20);
	struct memsink m;
	struct sim s;
	struct sink out = memsink_init(&m);
	sim_init(&s, sc.seed, sc.duration);
	struct world *w = world_new(&s, &sc, &out);
	sim_at(&s, 30 * SIM_S, PRIO_CONTROL, scale_ev, w, 2);
	sim_at(&s, 60 * SIM_S, PRIO_CONTROL, scale_ev, w, 3);
	sim_run(&s);
	world_finish(w);
	const char *d = NULL;
	cr_expect(fabs(memsink_first(&m, "nominated", "payment-1", &d) - 30) < EPS);
	cr_expect_str_eq(d, "node n-0: preempting placeholder-0 (priority -20)");
	cr_expect(fabs(memsink_first(&m, "scheduled", "payment-1", NULL) - 30) < EPS);
	cr_expect(fabs(memsink_first(&m, "nominated", "payment-2", &d) - 60) < EPS);
	cr_expect(strstr(d, "node n-0: preempting batch-") == d && strstr(d, "(priority 0)"), "%s", d);
	cr_expect_eq(memsink_count(&m, "preempted"), 2);
	cr_expect(fabs(memsink_first(&m, "scheduled", "payment-2", NULL) - 60) < EPS);
	cr_expect_eq(memsink_first(&m, "scheduled", "placeholder-1", NULL), -1, "the lowest stays Pending");
	cr_expect_eq(w->svcs[1].n_pending, 1, "batch's replacement too");
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	scn_free(&sc);
}

/*
 * The preemptor waits for its victim's graceful termination. One static
 * 4-core node: payment-0 (0.5 core, 1000) and batch-0 (3.5 cores, 0; one
 * worker, 60 s of CPU a request, so it is busy from its first arrival
 * on; grace period 5 s). Payment to 2 at 30 s: payment-1 preempts batch-0,
 * which stops taking requests but holds its running one: it goes at the
 * end of its grace period, 35 s, when payment-1, nominated to the node
 * meanwhile, binds. batch-1, its replacement, stays Pending (no room, no
 * provisioner), and payment-1's nomination kept its room from it.
 */
Test(overprovision, nominated_then_bound_after_the_grace_period)
{
	struct scenario sc;
	load_text(&sc, "name: o\nseed: 1\nduration: 1m\n" CLASSES3 STATIC_NODE "services:\n"
		       "  payment:\n    replicas: 1\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 10ms\n"
		       "    traffic: {rate: 1rps}\n"
		       BATCH("1", "3500m", "    cpu_per_request: 60s\n    workers: 1\n    queue: unbounded\n"
					   "    timeout: none\n    traffic: {rate: 1rps}\n"));
	struct memsink m;
	struct sim s;
	struct world *w = run_scaled(&sc, &s, &m, 30 * SIM_S, 2);
	const char *d = NULL;
	cr_expect(fabs(memsink_first(&m, "unschedulable", "payment-1", &d) - 30) < EPS);
	cr_expect_str_eq(d, "0/1 nodes are available: 1 Insufficient cpu.");
	cr_expect(fabs(memsink_first(&m, "nominated", "payment-1", &d) - 30) < EPS);
	cr_expect_str_eq(d, "node n-0: preempting batch-0 (priority 0)");
	cr_expect(fabs(memsink_first(&m, "preempted", "batch-0", &d) - 30) < EPS);
	cr_expect_str_eq(d, "preempted by payment-1 (priority 1000) on node n-0");
	cr_expect(fabs(memsink_first(&m, "terminating", "batch-0", NULL) - 30) < EPS);
	double gone = memsink_first(&m, "deleted", "batch-0", NULL), bound = memsink_first(&m, "scheduled", "payment-1", &d);
	cr_expect(fabs(gone - 35) < EPS, "victim gone at %.3f s", gone);
	cr_expect(fabs(bound - 35) < EPS, "preemptor bound at %.3f s", bound);
	cr_expect_str_eq(d, "n-0");
	cr_expect(fabs(memsink_first(&m, "unschedulable", "batch-1", NULL) - 30) < EPS);
	cr_expect_eq(memsink_first(&m, "scheduled", "batch-1", NULL), -1);
	cr_expect_eq(memsink_count(&m, "preempted"), 1, "payment-1 waits for its victim: no second preemption");
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	scn_free(&sc);
}

/* The Pending-to-Ready time of the first payment pod created during the
 * run (payment-3: three start the run), s; -1 if none was Ready. */
static double first_new_start(const struct memsink *m)
{
	double created = memsink_first(m, "created", "payment-3", NULL);
	double ready = memsink_first(m, "ready", "payment-3", NULL);
	return created >= 0 && ready >= 0 ? ready - created : -1;
}

/* Service arg >> 32 scales to (arg & 0xffffffff) replicas. */
static simtime scale_svc_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct world *w = obj;
	pod_scale(w, &w->svcs[arg >> 32], (int)(arg & 0xffffffffu));
	return SIM_DONE;
}

/* The nominations at 32 s: mid-1's is cleared, payment-1's is n-0. */
static simtime nominations_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s, (void)arg;
	const struct world *w = obj;
	cr_expect_null(w->svcs[1].pods[1]->nominated, "mid-1 keeps its nomination");
	cr_expect(w->svcs[0].pods[1]->nominated && !strcmp(w->svcs[0].pods[1]->nominated->name, "n-0"));
	return SIM_DONE;
}

/*
 * A higher-priority nomination takes the node from a lower one
 * (getLowerPriorityNominatedPods). The static 4-core node holds
 * payment-0 (0.5 core, 1000), mid-0 (0.5 core, 500) and batch-0 (3 cores,
 * 0, busy, grace period 5 s). mid to 2 at 30 s: mid-1 preempts batch-0 and
 * is nominated to n-0, where batch-0 terminates until 35 s. payment to 2
 * at 31 s: payment-1 (0.5 core) does not count mid-1's room (a lower
 * priority) but still finds no room while batch-0 terminates; without
 * mid-0 and batch-0 it fits, mid-0 comes back and batch-0 does not: it is
 * nominated to n-0 too, and mid-1 loses its nomination. At 35 s both bind.
 */
Test(overprovision, a_higher_nomination_clears_a_lower_one)
{
	struct scenario sc;
	load_text(&sc, "name: o\nseed: 1\nduration: 1m\n" CLASSES3
		       "  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: mid}, value: 500}\n"
		       STATIC_NODE "services:\n"
		       "  payment:\n    replicas: 1\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 10ms\n"
		       "    traffic: {rate: 1rps}\n"
		       "  mid:\n    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n"
		       "      metadata: {name: mid}\n      spec:\n        selector: {matchLabels: {app: mid}}\n"
		       "        template:\n          metadata: {labels: {app: mid}}\n          spec:\n"
		       "            priorityClassName: mid\n            containers:\n              - name: mid\n"
		       "                image: mid\n                resources: {requests: {cpu: 500m}}\n"
		       "                readinessProbe: {tcpSocket: {port: 80}}\n    cpu_per_request: 10ms\n"
		       BATCH("1", "\"3\"", "    cpu_per_request: 60s\n    workers: 1\n    queue: unbounded\n"
					   "    timeout: none\n    traffic: {rate: 1rps}\n"));
	cr_assert(sc.services[0].priority == 1000 && sc.services[1].priority == 500 && sc.services[2].priority == 0);
	struct memsink m;
	struct sim s;
	struct sink out = memsink_init(&m);
	sim_init(&s, sc.seed, sc.duration);
	struct world *w = world_new(&s, &sc, &out);
	sim_at(&s, 30 * SIM_S, PRIO_CONTROL, scale_svc_ev, w, 1ull << 32 | 2);
	sim_at(&s, 31 * SIM_S, PRIO_CONTROL, scale_svc_ev, w, 0ull << 32 | 2);
	sim_at(&s, 32 * SIM_S, PRIO_CONTROL, nominations_ev, w, 0);
	sim_run(&s);
	world_finish(w);
	const char *d = NULL;
	cr_expect(fabs(memsink_first(&m, "nominated", "mid-1", &d) - 30) < EPS);
	cr_expect_str_eq(d, "node n-0: preempting batch-0 (priority 0)");
	cr_expect(fabs(memsink_first(&m, "nominated", "payment-1", &d) - 31) < EPS);
	cr_expect_str_eq(d, "node n-0: preempting batch-0 (priority 0)");
	cr_expect_eq(memsink_count(&m, "preempted"), 1, "batch-0, once");
	cr_expect(fabs(memsink_first(&m, "scheduled", "payment-1", NULL) - 35) < EPS);
	cr_expect(fabs(memsink_first(&m, "scheduled", "mid-1", NULL) - 35) < EPS);
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	scn_free(&sc);
}

/*
 * A spike on Karpenter (m5.xlarge only: 3.92 cores), payment's three
 * 1-core pods filling one node to 0.92 cores, an HPA at 70 % CPU; the
 * traffic quadruples at 2 min. Without placeholders the HPA's first new
 * pod fits nowhere: Karpenter's batch closes 1 s later, its node
 * launches (2 s), registers (10 s) and is Ready (5 s) at +18 s; then the
 * image (5 s), the container (1 s), the application (10 s), the probe
 * every 5 s from the container's start: Ready at +34 s. With two 1-core
 * placeholders at -20 (two nodes from the start), it is scheduled at
 * once, in room a placeholder held or took back from one: Ready at
 * 5 + 1 + 10 = +16 s. The placeholders preempted go Pending and Karpenter
 * adds a node for them.
 */
Test(overprovision, placeholders_start_a_spike_faster)
{
	double start[2];
	for (int with = 0; with < 2; with++) {
		char text[8192];
		snprintf(text, sizeof text,
			 "name: o\nseed: 5\nduration: 6m\n"
			 "controllers:\n  metrics-server: {metric-resolution: 15s, first-scrape: 0s}\n"
			 "  kube-controller-manager: {first-hpa-sync: 5s}\n" CLASSES KARPENTER "services:\n"
			 "  payment:\n    replicas: 3\n    resources: {requests: {cpu: \"1\", memory: 1Gi}}\n"
			 "    cpu_per_request: 20ms\n"
			 "    traffic: {rate: 60rps, spikes: [{start: 2m, ramp: 0s, factor: 4, hold: 3m, decay: 0s}]}\n"
			 "    startup:\n      image_pull: {first: 5s, cached: 5s}\n      container_start: 1s\n"
			 "      app_start: 10s\n      readinessProbe: {initialDelaySeconds: 0, periodSeconds: 5}\n"
			 "    hpa:\n      apiVersion: autoscaling/v2\n      kind: HorizontalPodAutoscaler\n"
			 "      spec:\n        scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: payment}\n"
			 "        minReplicas: 3\n        maxReplicas: 20\n        metrics:\n"
			 "          - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}\n"
			 "%s",
			 -20, with ? PLACEHOLDER("2", "\"1\"") : "");
		struct scenario sc;
		load_text(&sc, text);
		struct memsink m = memsink_run(&sc, NULL);
		start[with] = first_new_start(&m);
		if (with) {
			cr_expect_geq(memsink_count(&m, "preempted"), 1, "the spike's pods take the placeholders' room");
			cr_expect_geq(memsink_first(&m, "launched", NULL, NULL), 120, "Karpenter launches for the placeholders");
		} else {
			cr_expect_eq(memsink_count(&m, "preempted"), 0);
		}
		memsink_free(&m);
		scn_free(&sc);
	}
	cr_expect(fabs(start[0] - 34) < EPS, "without placeholders: %.3f s, want 34 s", start[0]);
	cr_expect(fabs(start[1] - 16) < EPS, "with placeholders: %.3f s, want 16 s", start[1]);
}
