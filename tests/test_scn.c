/*
 * The scenario loader: values and defaults as scenarios/README.md documents
 * them, --set overrides, and every class of bad input with its exact
 * file:line:col (the position of the offending key or value, 1-based).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scn.h"

static char dir[64];

static void mkdir_tmp(void)
{
	strcpy(dir, "/tmp/hr-scn-XXXXXX");
	cr_assert(mkdtemp(dir));
}

static void rm_tmp(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(scn, .init = mkdir_tmp, .fini = rm_tmp);

/* Writes text to dir/name and returns the path (static buffer). */
static const char *put(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	return path;
}

#define HEAD "name: t\nduration: 1m\nservices:\n"
#define SVC "  a:\n    replicas: 2\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 20ms\n"
#define TRAFFIC "    traffic: {rate: 10rps}\n"

static int load(struct scenario *sc, const char *text, struct herr *e)
{
	return scn_load(sc, put("s.yaml", text), NULL, 0, e);
}

Test(scn, demo_values)
{
	struct scenario sc;
	struct herr e;
	int rc = scn_load(&sc, "scenarios/demo.yaml", NULL, 0, &e);
	cr_assert_eq(rc, 0, "%s", e.msg);
	cr_expect_str_eq(sc.name, "demo");
	cr_expect_eq(sc.seed, 42);
	cr_expect_eq(sc.duration, 30 * SIM_MIN);
	cr_expect_eq(sc.n_services, 3);
	const struct scn_service *o = &sc.services[scn_service_index(&sc, "order")];
	cr_expect_eq(o->replicas, 12);
	cr_expect_eq(o->cpu_request, 0.5);
	cr_expect_eq(o->cpu_limit, 1);
	cr_expect_eq(o->memory_request, 1073741824.0);
	cr_expect_eq(o->queue, 100);
	cr_expect_eq(o->timeout, 5 * SIM_S);
	cr_expect_eq(o->cpu_per_request.kind, DIST_LOGNORMAL);
	cr_expect(fabs(o->cpu_per_request.mean - 0.015) < 1e-15);
	cr_expect_eq(o->cpu_per_request.cv, 0.6);
	cr_expect_eq(o->balancer, BALANCER_LEAST_REQUEST);
	cr_expect_eq(o->n_calls, 2);
	cr_expect_eq(o->calls[0].service, scn_service_index(&sc, "product"));
	cr_expect_eq(o->calls[0].probability, 1);
	cr_expect_eq(o->calls[1].service, scn_service_index(&sc, "payment"));
	cr_expect(fabs(o->calls[1].probability - 0.6) < 1e-15);
	cr_expect(o->traffic.enabled);
	cr_expect_eq(o->traffic.rate, 200);
	cr_expect_eq(o->traffic.n_spikes, 1);
	cr_expect_eq(o->traffic.spikes[0].start, 10 * SIM_MIN);
	cr_expect_eq(o->traffic.spikes[0].ramp, 60 * SIM_S);
	cr_expect_eq(o->traffic.spikes[0].hold, 5 * SIM_MIN);
	cr_expect_eq(o->traffic.spikes[0].decay, 2 * SIM_MIN);
	cr_expect_eq(o->traffic.spikes[0].factor, 5);
	cr_expect(o->slo.has_latency && o->slo.has_errors);
	cr_expect_eq(o->slo.percentile, 99);
	cr_expect_eq(o->slo.threshold, 300 * SIM_MS);
	cr_expect(fabs(o->slo.error_budget - 0.001) < 1e-15);
	cr_expect_eq(o->slo.eval, SLO_EVAL_RUN);
	const struct scn_service *p = &sc.services[scn_service_index(&sc, "payment")];
	cr_expect(!p->traffic.enabled);
	cr_expect_eq(p->warmup_factor, 3);
	cr_expect_eq(p->warmup_duration, 60 * SIM_S);
	const struct scn_service *q = &sc.services[scn_service_index(&sc, "product")];
	cr_expect_eq(q->traffic.pattern.kind, PATTERN_DIURNAL);
	cr_expect(fabs(q->traffic.pattern.amplitude - 0.2) < 1e-15);
	cr_expect_eq(q->traffic.pattern.peak_s, 14 * 3600);
	cr_expect_eq(q->traffic.pattern.start_s, 9 * 3600);
	cr_expect_eq(q->cpu_per_request.kind, DIST_GAMMA);
	cr_expect_eq(q->balancer, BALANCER_RANDOM);
	cr_expect(strstr(sc.text, "name: demo") != NULL);
	cr_expect_str_eq(sc.overrides, "");
	scn_free(&sc);
}

Test(scn, defaults)
{
	struct scenario sc;
	struct herr e;
	cr_assert_eq(scn_load(&sc, put("my-shop.yaml", "duration: 1m\nservices:\n" SVC TRAFFIC), NULL, 0, &e), 0, "%s",
		     e.msg);
	cr_expect_str_eq(sc.name, "my-shop");
	cr_expect_eq(sc.seed, 1);
	cr_expect_eq(sc.sample_interval, 10 * SIM_S);
	cr_expect_eq(sc.slo_window, SIM_MIN);
	const struct scn_service *a = &sc.services[0];
	cr_expect_eq(a->workers, 200);
	cr_expect_eq(a->queue, 100);
	cr_expect_eq(a->timeout, 30 * SIM_S);
	cr_expect_eq(a->cpu_limit, 0);
	cr_expect_eq(a->warmup_factor, 1);
	cr_expect_eq(a->balancer, BALANCER_RANDOM);
	cr_expect_eq(a->cpu_per_request.kind, DIST_CONSTANT);
	cr_expect(fabs(a->cpu_per_request.mean - 0.02) < 1e-15);
	cr_expect(!a->slo.has_latency && !a->slo.has_errors);
	cr_expect_eq(a->traffic.pattern.kind, PATTERN_CONSTANT);
	cr_expect_eq(a->traffic.dispersion_cv, 0);
	scn_free(&sc);
}

Test(scn, kubernetes_limit_sets_request)
{
	struct scenario sc;
	struct herr e;
	const char *y = HEAD "  a:\n    replicas: 1\n    resources: {limits: {cpu: \"2\", memory: 1Gi}}\n"
			     "    cpu_per_request: 20ms\n" TRAFFIC;
	cr_assert_eq(load(&sc, y, &e), 0, "%s", e.msg);
	cr_expect_eq(sc.services[0].cpu_request, 2);
	cr_expect_eq(sc.services[0].cpu_limit, 2);
	cr_expect_eq(sc.services[0].memory_request, 1073741824.0);
	scn_free(&sc);
}

Test(scn, special_words)
{
	struct scenario sc;
	struct herr e;
	const char *y = HEAD SVC "    queue: unbounded\n    timeout: none\n" TRAFFIC
				 "    slo: {p999: 1s, allowed_violation: 2m}\n";
	cr_assert_eq(load(&sc, y, &e), 0, "%s", e.msg);
	cr_expect_eq(sc.services[0].queue, -1);
	cr_expect_eq(sc.services[0].timeout, 0);
	cr_expect_eq(sc.services[0].slo.percentile, 99.9);
	cr_expect_eq(sc.services[0].slo.eval, SLO_EVAL_WINDOWS);
	cr_expect_eq(sc.services[0].slo.allowed_violation, 2 * SIM_MIN);
	scn_free(&sc);
}

Test(scn, trace_relative_to_scenario)
{
	put("load.csv", "timestamp,rps\n1700000000,100\n1700000060,200\n");
	struct scenario sc;
	struct herr e;
	const char *y = HEAD SVC "    traffic: {pattern: {type: trace, file: load.csv, scale: 2}}\n";
	cr_assert_eq(load(&sc, y, &e), 0, "%s", e.msg);
	const struct scn_traffic *t = &sc.services[0].traffic;
	cr_expect_eq(t->pattern.kind, PATTERN_TRACE);
	cr_expect_eq(t->rate, 2);
	cr_assert_eq(t->pattern.trace.n, 2);
	cr_expect_eq(t->pattern.trace.t[1], 60);
	cr_expect_eq(t->pattern.trace.rps[1], 200);
	scn_free(&sc);
}

Test(scn, anchors_and_aliases)
{
	struct scenario sc;
	struct herr e;
	const char *y = HEAD "  a:\n    replicas: 2\n    resources: &res {requests: {cpu: 250m}}\n"
			     "    cpu_per_request: 20ms\n" TRAFFIC
			     "  b:\n    replicas: 3\n    resources: *res\n    cpu_per_request: 5ms\n";
	cr_assert_eq(load(&sc, y, &e), 0, "%s", e.msg);
	cr_expect_eq(sc.services[1].cpu_request, 0.25);
	scn_free(&sc);
}

Test(scn, overrides)
{
	struct scenario sc;
	struct herr e;
	const char *sets[] = {"services.order.replicas=16", "duration=2m", "services.order.queue=unbounded",
			      "services.order.traffic.spikes.0.factor=3", "services.payment.traffic={rate: 5rps}",
			      "seed=9"};
	cr_assert_eq(scn_load(&sc, "scenarios/demo.yaml", sets, 6, &e), 0, "%s", e.msg);
	const struct scn_service *o = &sc.services[scn_service_index(&sc, "order")];
	cr_expect_eq(o->replicas, 16);
	cr_expect_eq(o->queue, -1);
	cr_expect_eq(o->traffic.spikes[0].factor, 3);
	cr_expect_eq(sc.duration, 2 * SIM_MIN);
	cr_expect_eq(sc.seed, 9);
	cr_expect(sc.services[scn_service_index(&sc, "payment")].traffic.enabled);
	cr_expect_eq(sc.services[scn_service_index(&sc, "payment")].traffic.rate, 5);
	cr_expect_str_eq(sc.overrides, "services.order.replicas=16\nduration=2m\nservices.order.queue=unbounded\n"
				       "services.order.traffic.spikes.0.factor=3\nservices.payment.traffic={rate: 5rps}\n"
				       "seed=9\n");
	/* A key the file does not have yet is created. */
	scn_free(&sc);
	const char *more[] = {"services.order.warmup={factor: 2, duration: 30s}"};
	cr_assert_eq(scn_load(&sc, "scenarios/demo.yaml", more, 1, &e), 0, "%s", e.msg);
	cr_expect_eq(sc.services[scn_service_index(&sc, "order")].warmup_factor, 2);
	scn_free(&sc);
}

struct bad_set {
	const char *set;
	const char *want; /* the whole message */
};

Test(scn, bad_overrides)
{
	static const struct bad_set rows[] = {
		{"services.nope.replicas=3", "--set services.nope.replicas=3: no service 'nope' in scenarios/demo.yaml"},
		{"services.payment.replicas=lots",
		 "--set services.payment.replicas=lots: replicas: 'lots' is not an integer"},
		{"services.payment.replica=3",
		 "--set services.payment.replica=3: unknown key 'replica' in service 'payment'; did you mean 'replicas'?"},
		{"replicas", "--set 'replicas': expected KEY=VALUE, e.g. services.payment.replicas=8"},
		{"services.order.traffic.spikes.4.factor=2",
		 "--set services.order.traffic.spikes.4.factor=2: '4' is not an index of that list (0 to 0)"},
		{"duration.x=1", "--set duration.x=1: 'that key' holds a single value, it has no key 'x'"},
		{"services.order.replicas=[1, 2", NULL},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct scenario sc;
		struct herr e;
		const char *sets[] = {rows[i].set};
		int rc = scn_load(&sc, "scenarios/demo.yaml", sets, 1, &e);
		cr_expect_eq(rc, -1, "%s should fail", rows[i].set);
		if (rc == 0) {
			scn_free(&sc);
			continue;
		}
		if (rows[i].want)
			cr_expect_str_eq(e.msg, rows[i].want);
		else
			cr_expect(!strncmp(e.msg, "--set services.order.replicas=[1, 2: ", 37), "%s", e.msg);
	}
}

struct bad {
	const char *yaml;
	const char *want; /* the message after "DIR/s.yaml:" */
};

/* Every row is a whole file; the message must match exactly. */
Test(scn, bad_input_locations)
{
	static const struct bad rows[] = {
		{HEAD "  a:\n    replica: 1\n", "5:5: unknown key 'replica' in service 'a'; did you mean 'replicas'?"},
		{HEAD SVC TRAFFIC "    frobnicate: 1\n",
		 "9:5: unknown key 'frobnicate' in service 'a' (known keys: replicas, resources, workers, queue, "
		 "timeout, cpu_per_request, warmup, balancer, calls, traffic, slo, hpa, startup, memory_usage, buffer)"},
		{HEAD "  a:\n    replicas: -3\n", "5:15: replicas: -3 is out of range: it must be between 1 and 10000"},
		{HEAD "  a:\n    replicas: 100000000\n",
		 "5:15: replicas: 100000000 is out of range: it must be between 1 and 10000"},
		{HEAD "  a:\n    replicas: 1\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 20parsecs\n",
		 "7:22: cpu_per_request: '20parsecs' is not a duration: use ns, us, ms, s, m, h or d, e.g. 250ms, 30s, "
		 "1h30m, or a mapping {distribution, mean, cv}"},
		{HEAD SVC "    traffic: {rate: 10 rps}\n",
		 "8:21: rate: '10 rps' is not a rate: requests per second (300rps, 300/s) or per minute (18000rpm)"},
		{HEAD SVC "    balancer: round_robin\n" TRAFFIC,
		 "8:15: balancer: 'round_robin' is not one of random, round-robin, least-request; did you mean "
		 "'round-robin'?"},
		{HEAD SVC "    calls: [{service: b}]\n" TRAFFIC, "8:23: calls: no service 'b' in this scenario"},
		{HEAD SVC TRAFFIC "    calls: [{service: b}]\n  b:\n    replicas: 1\n    resources: {requests: {cpu: 1}}\n"
				  "    cpu_per_request: 1ms\n    calls: [{service: a}]\n",
		 "10:3: calls form a cycle: a -> b -> a"},
		{HEAD SVC TRAFFIC "    replicas: 3\n", "9:5: duplicate key 'replicas' (first given at line 5)"},
		{HEAD "  a:\n    replicas: 1\n    resources: {limits: {cpu: 500m}, requests: {cpu: \"1\"}}\n"
		      "    cpu_per_request: 1ms\n" TRAFFIC,
		 "6:31: limits.cpu must be >= requests.cpu (1 cores), as Kubernetes requires"},
		{HEAD SVC, "4:3: no service has traffic: give an entry service a traffic: {rate: ...}"},
		{HEAD "  a:\n    replicas: 1\n    cpu_per_request: 1ms\n", "5:5: service 'a' needs 'resources'"},
		{"name: t\nservices:\n" SVC TRAFFIC, "1:1: the scenario needs 'duration'"},
		{"name: t\nduration: 1m\nservices: {}\n",
		 "3:11: services is empty: a scenario needs at least one service"},
		{"name: t\nduration: 30\nservices:\n" SVC TRAFFIC,
		 "2:11: duration: '30' needs a unit: 30 seconds is 30s (units: ns, us, ms, s, m, h, d)"},
		{HEAD SVC "    traffic: {rate: 10rps, pattern: {type: diurnal, amplitude: 120%}}\n",
		 "8:64: amplitude: 120% is out of range: it must be >= 0 and <= 0.999"},
		{HEAD SVC "    traffic: {rate: 10rps, pattern: {type: diurnal, amplitude: 20%, peak: \"2pm\"}}\n",
		 "8:76: peak: '2pm' is not a time of day: use HH:MM or HH:MM:SS, e.g. \"14:00\""},
		{HEAD SVC "    traffic: {rate: 10rps, pattern: {type: trace, file: x.csv}}\n",
		 "8:21: rate: a trace gives the rate; scale it with pattern.scale instead"},
		{HEAD SVC TRAFFIC "    slo: {p99: 300ms, p95: 200ms}\n",
		 "9:16: slo: one latency objective per service (p95 is already set)"},
		{HEAD SVC TRAFFIC "    slo: {}\n",
		 "9:10: slo needs an objective: a latency percentile (p99: 300ms) or error_rate (0.1%)"},
		{HEAD "  a:\n    replicas: 2\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: {distribution: gamma, mean: 10ms}\n" TRAFFIC,
		 "7:22: cpu_per_request: a gamma distribution needs cv > 0"},
		{HEAD "  a:\n    replicas:\n", "5:5: replicas needs a value, not nothing"},
		{HEAD "  a b:\n    replicas: 1\n",
		 "4:3: service name 'a b' must be 1-63 letters, digits, '-' or '_' (a Kubernetes name)"},
		{"- just\n- a list\n", "1:1: a scenario must be a mapping (key: value lines), not a list"},
		{"name: x\n---\nname: y\n", "2:1: a scenario is one YAML document; remove this '---'"},
		{HEAD "  a: *nope\n", "4:6: alias '*nope' names no anchor defined before it"},
		{"name: t\nduration: 1m\nservices:\n  a: [1, 2\n", "5:1: flow sequence without a closing bracket"},
		{"name: t\nduration: 1m\ncluster:\n  cpu_weight_mapping: cgroup-v3\nservices:\n" SVC TRAFFIC,
		 "4:23: cpu_weight_mapping: 'cgroup-v3' is not one of cgroup-v2-log-quadratic, cgroup-v2-linear, "
		 "cgroup-v1; did you mean 'cgroup-v1'?"},
		{"name: t\nduration: 1m\ncluster:\n  cpu_weight_mapping: [cgroup-v1]\nservices:\n" SVC TRAFFIC,
		 "4:23: cpu_weight_mapping needs a value, not a list"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct scenario sc;
		struct herr e;
		int rc = load(&sc, rows[i].yaml, &e);
		cr_expect_eq(rc, -1, "row %zu should fail", i);
		if (rc == 0) {
			scn_free(&sc);
			continue;
		}
		char want[1024];
		snprintf(want, sizeof want, "%s/s.yaml:%s", dir, rows[i].want);
		cr_expect_str_eq(e.msg, want, "row %zu:\n got  %s\n want %s", i, e.msg, want);
	}
}

#define HPA_HEAD HEAD SVC TRAFFIC "    hpa:\n      apiVersion: autoscaling/v2\n      kind: HorizontalPodAutoscaler\n" \
	"      spec:\n        scaleTargetRef: {kind: Deployment, name: a}\n"

Test(scn, hpa_manifest_values)
{
	struct scenario sc;
	struct herr e;
	const char *y = HPA_HEAD "        minReplicas: 3\n        maxReplicas: 12\n        metrics:\n"
		"        - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}\n"
		"        - {type: Resource, resource: {name: memory, target: {type: AverageValue, averageValue: 1Gi}}}\n"
		"        - {type: Pods, pods: {metric: {name: http_requests_per_second}, target: {type: AverageValue, averageValue: \"50\"}}}\n"
		"        behavior:\n          scaleUp: {selectPolicy: Min, tolerance: 0.05}\n"
		"          scaleDown: {stabilizationWindowSeconds: 60, policies: [{type: Pods, value: 2, periodSeconds: 30}]}\n";
	cr_assert_eq(load(&sc, y, &e), 0, "%s", e.msg);
	const struct scn_hpa *h = &sc.services[0].hpa;
	cr_expect(h->enabled);
	cr_expect_eq(h->min_replicas, 3);
	cr_expect_eq(h->max_replicas, 12);
	cr_assert_eq(h->n_metrics, 3);
	cr_expect_eq(h->metrics[0].kind, HPA_METRIC_RESOURCE);
	cr_expect_eq(h->metrics[0].target, HPA_TARGET_UTILIZATION);
	cr_expect_eq(h->metrics[0].utilization, 70);
	cr_expect_eq(h->metrics[1].resource, HPA_RES_MEMORY);
	cr_expect_eq(h->metrics[1].average_value, 1073741824.0);
	cr_expect_eq(h->metrics[2].kind, HPA_METRIC_PODS);
	cr_expect_str_eq(h->metrics[2].name, "http_requests_per_second");
	cr_expect_eq(h->metrics[2].average_value, 50);
	cr_expect(h->has_behavior);
	cr_expect_eq(h->up.select, HPA_SELECT_MIN);
	cr_expect(h->up.has_tolerance && h->up.tolerance == 0.05);
	cr_expect(!h->up.has_stabilization);
	cr_expect(h->down.has_stabilization && h->down.stabilization == 60 * SIM_S);
	cr_assert_eq(h->down.n_policies, 1);
	cr_expect_eq(h->down.policies[0].kind, HPA_POLICY_PODS);
	cr_expect_eq(h->down.policies[0].value, 2);
	cr_expect_eq(h->down.policies[0].period, 30 * SIM_S);
	/* The controller flags, production defaults. */
	cr_expect_eq(h->sync_period, 15 * SIM_S);
	cr_expect_eq(h->tolerance, 0.1);
	cr_expect_eq(h->downscale_stabilization, 300 * SIM_S);
	cr_expect_eq(h->cpu_initialization_period, 300 * SIM_S);
	cr_expect_eq(h->initial_readiness_delay, 30 * SIM_S);
	cr_expect_eq(sc.control.metric_resolution, 15 * SIM_S);
	scn_free(&sc);
}

Test(scn, hpa_manifest_from_a_file)
{
	put("order-hpa.yaml", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: order\n"
			      "  uid: 1234\nspec:\n  scaleTargetRef: {kind: Deployment, name: a}\n  maxReplicas: 9\n"
			      "status: {currentReplicas: 3}\n");
	struct scenario sc;
	struct herr e;
	cr_assert_eq(load(&sc, HEAD SVC TRAFFIC "    hpa: {file: order-hpa.yaml}\n", &e), 0, "%s", e.msg);
	cr_expect_eq(sc.services[0].hpa.max_replicas, 9);
	cr_expect_eq(sc.services[0].hpa.min_replicas, 1);
	cr_expect_str_eq(sc.services[0].hpa.name, "order");
	cr_expect_eq(sc.services[0].hpa.n_metrics, 0); /* the controller's default: cpu 80 % */
	scn_free(&sc);
	/* An error inside the manifest file is located in that file. */
	put("bad-hpa.yaml", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n"
			    "  scaleTargetRef: {kind: Deployment, name: a}\n  maxReplicas: 9\n  minReplica: 2\n");
	cr_assert_eq(load(&sc, HEAD SVC TRAFFIC "    hpa: {file: bad-hpa.yaml}\n", &e), -1);
	char want[512];
	snprintf(want, sizeof want, "%s/bad-hpa.yaml:6:3: unknown key 'minReplica' in the HPA's spec; did you mean 'minReplicas'?", dir);
	cr_expect_str_eq(e.msg, want);
}

Test(scn, hpa_manifest_errors)
{
	static const struct bad rows[] = {
		{HPA_HEAD "        maxReplicas: 5\n        targetCPUUtilizationPercentage: 70\n",
		 "15:9: unknown key 'targetCPUUtilizationPercentage' in the HPA's spec (known keys: scaleTargetRef, "
		 "minReplicas, maxReplicas, metrics, behavior)"},
		{HPA_HEAD "        maxReplicas: 5\n        metrics:\n        - type: External\n",
		 "16:17: type: External metrics are not modelled by headroom (it models Resource cpu/memory and Pods)"},
		{HPA_HEAD "        minReplicas: 5\n        maxReplicas: 3\n", "15:22: maxReplicas (3) must be >= minReplicas (5)"},
		{HPA_HEAD "        maxReplicas: 5\n        behavior: {scaleUp: {selectPolicy: Maximum}}\n",
		 "15:44: selectPolicy: 'Maximum' is not one of Max, Min, Disabled"},
		{HPA_HEAD "        maxReplicas: 5\n        behavior: {scaleDown: {stabilizationWindowSeconds: 7200}}\n",
		 "15:60: stabilizationWindowSeconds: 7200 is out of range: it must be between 0 and 3600"},
		{HPA_HEAD "        maxReplicas: 5\n        metrics:\n        - {type: Resource, resource: {name: gpu, "
			  "target: {type: Utilization, averageUtilization: 50}}}\n",
		 "16:45: name: 'gpu' is not one of cpu, memory; did you mean 'cpu'?"},
		{HEAD SVC TRAFFIC "    hpa:\n      apiVersion: autoscaling/v1\n",
		 "10:19: apiVersion: 'autoscaling/v1' is not supported; headroom reads autoscaling/v2"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct scenario sc;
		struct herr e;
		int rc = load(&sc, rows[i].yaml, &e);
		cr_expect_eq(rc, -1, "row %zu should fail", i);
		if (rc == 0) {
			scn_free(&sc);
			continue;
		}
		char want[1024];
		snprintf(want, sizeof want, "%s/s.yaml:%s", dir, rows[i].want);
		cr_expect_str_eq(e.msg, want, "row %zu:\n got  %s\n want %s", i, e.msg, want);
	}
}

Test(scn, missing_trace_names_the_yaml_position)
{
	struct scenario sc;
	struct herr e;
	const char *y = HEAD SVC "    traffic: {pattern: {type: trace, file: nope.csv}}\n";
	cr_assert_eq(load(&sc, y, &e), -1);
	char want[256];
	snprintf(want, sizeof want, "%s/s.yaml:8:44: file: cannot read trace 'nope.csv' (%s/nope.csv): ", dir, dir);
	cr_expect(!strncmp(e.msg, want, strlen(want)), "%s\nwant %s", e.msg, want);
}

Test(scn, bad_trace_names_the_csv_position)
{
	put("bad.csv", "timestamp,rps\n1700000000,100\n1700000060,-5\n");
	struct scenario sc;
	struct herr e;
	const char *y = HEAD SVC "    traffic: {pattern: {type: trace, file: bad.csv}}\n";
	cr_assert_eq(load(&sc, y, &e), -1);
	char want[256];
	snprintf(want, sizeof want, "%s/bad.csv:3:", dir);
	cr_expect(!strncmp(e.msg, want, strlen(want)), "%s", e.msg);
}

Test(scn, missing_and_empty_files)
{
	struct scenario sc;
	struct herr e;
	cr_assert_eq(scn_load(&sc, "/nonexistent/x.yaml", NULL, 0, &e), -1);
	cr_expect_str_eq(e.msg, "/nonexistent/x.yaml: cannot open: No such file or directory");
	cr_assert_eq(load(&sc, "# nothing\n", &e), -1);
	cr_expect(strstr(e.msg, "s.yaml: empty") != NULL, "%s", e.msg);
}

/* --sandbox: a file the scenario names must resolve inside the sandbox,
 * links followed; inside it loads as usual. */
Test(scn, sandbox_keeps_files_inside)
{
	char sub[128], link[160], path[160];
	snprintf(sub, sizeof sub, "%s/box", dir);
	cr_assert_eq(mkdir(sub, 0777), 0);
	put("box/in.csv", "timestamp,rps\n1700000000,10\n1700000060,20\n");
	put("outside.csv", "timestamp,rps\n1700000000,10\n1700000060,20\n");
	snprintf(link, sizeof link, "%s/box/link.csv", dir);
	char target[160];
	snprintf(target, sizeof target, "%s/outside.csv", dir);
	cr_assert_eq(symlink(target, link), 0);
	static const struct {
		const char *file;
		bool ok;
	} rows[] = {{"in.csv", true}, {"../outside.csv", false}, {"link.csv", false}, {"/etc/passwd", false}};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char yaml[512];
		snprintf(yaml, sizeof yaml, HEAD SVC "    traffic: {pattern: {type: trace, file: \"%s\"}}\n", rows[i].file);
		snprintf(path, sizeof path, "box/s%zu.yaml", i);
		const char *p = put(path, yaml);
		struct scenario sc;
		struct herr e;
		int rc = scn_load_sandboxed(&sc, p, NULL, 0, sub, &e);
		if (rows[i].ok) {
			cr_expect_eq(rc, 0, "%s: %s", rows[i].file, e.msg);
			if (!rc)
				scn_free(&sc);
			continue;
		}
		cr_expect_eq(rc, -1, "%s loaded outside the sandbox", rows[i].file);
		if (!rc) {
			scn_free(&sc);
			continue;
		}
		cr_expect(strstr(e.msg, "outside the sandbox") != NULL, "%s: %s", rows[i].file, e.msg);
		cr_expect(strstr(e.msg, ":8:") != NULL, "not located: %s", e.msg);
		/* Without the sandbox the same file loads (not /etc/passwd: no CSV). */
		if (rows[i].file[0] == '/')
			continue;
		cr_expect_eq(scn_load(&sc, p, NULL, 0, &e), 0, "%s: %s", rows[i].file, e.msg);
		scn_free(&sc);
	}
}

/* A scenario that would run for hours is refused before it starts, with the
 * estimate, the limit and how to raise it; max_requests raises it. */
Test(scn, absurd_size_is_refused_up_front)
{
	struct scenario sc;
	struct herr e;
	/* 1e6 rps x 30 days = 2.6e12 requests. */
	const char *y = "name: t\nduration: 30d\nservices:\n" SVC "    traffic: {rate: 1000000rps}\n";
	cr_assert_eq(load(&sc, y, &e), -1);
	cr_expect(strstr(e.msg, "s.yaml:2:11: this scenario could simulate 2.59e+12 requests") != NULL, "%s", e.msg);
	cr_expect(strstr(e.msg, "raise max_requests") != NULL, "%s", e.msg);
	const char *y2 = "name: t\nduration: 30d\nmax_requests: 1e13\nservices:\n" SVC "    traffic: {rate: 1000000rps}\n";
	cr_expect_eq(load(&sc, y2, &e), 0, "%s", e.msg);
	scn_free(&sc);
	/* Fan-out counts: 2 services, every request calls the other: twice. */
	const char *y3 = "name: t\nduration: 1d\nmax_requests: 1e9\nservices:\n" SVC
			 "    traffic: {rate: 10000rps}\n    calls: [{service: b}]\n"
			 "  b:\n    replicas: 1\n    resources: {requests: {cpu: 1}}\n    cpu_per_request: 1ms\n";
	cr_assert_eq(load(&sc, y3, &e), -1);
	cr_expect(strstr(e.msg, "1.73e+09 requests") != NULL, "%s", e.msg);
}

/* Found by fuzzing: libfyaml 0.7.12 loops for ever on a '%' directive
 * followed by a byte that is not UTF-8. Malformed UTF-8 is refused before
 * the parser sees it, at the byte's position. */
Test(scn, fuzz_directive_with_a_stray_byte_does_not_hang, .timeout = 10)
{
	static const struct {
		const char *yaml, *want;
	} rows[] = {
		{"a: 1\n%\x90\n", "2:2: not valid UTF-8 (byte 0x90): a scenario is UTF-8 text"},
		{"name: caf\xc3\xa9\nx: \xff\n", "2:4: not valid UTF-8 (byte 0xff): a scenario is UTF-8 text"},
		{"x: \xe2\x82\n", "1:4: not valid UTF-8 (byte 0xe2): a scenario is UTF-8 text"},
		{"x: \xc0\xaf\n", "1:4: not valid UTF-8 (byte 0xc0): a scenario is UTF-8 text"},      /* overlong '/' */
		{"x: \xed\xa0\x80\n", "1:4: not valid UTF-8 (byte 0xed): a scenario is UTF-8 text"}, /* a surrogate */
		/* Found by fuzzing too: libfyaml leaks the text of this scalar
		 * (suppressed in tests/lsan.supp); the loader just refuses it. */
		{"''''''''''''", "1:2: a scenario must be a mapping (key: value lines), not '''''''"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct scenario sc;
		struct herr e;
		cr_assert_eq(load(&sc, rows[i].yaml, &e), -1, "row %zu", i);
		char want[512];
		snprintf(want, sizeof want, "%s/s.yaml:%s", dir, rows[i].want);
		cr_expect_str_eq(e.msg, want, "row %zu", i);
	}
}

/* Fan-out is counted once per service: a chain of 40 diamonds (each level's
 * two services both call both of the next level's) loads at once; without
 * memoising the count it would take 2^40 steps. Each request then reaches
 * 2^40 requests downstream, far past max_requests: refused with that figure. */
Test(scn, fanout_of_a_diamond_chain_is_counted_fast, .timeout = 10)
{
	static char yaml[200000];
	size_t k = (size_t)snprintf(yaml, sizeof yaml, "name: t\nduration: 1m\nservices:\n");
	for (int lvl = 0; lvl <= 40; lvl++)
		for (int side = 0; side < 2; side++) {
			k += (size_t)snprintf(yaml + k, sizeof yaml - k,
					      "  s%d%c:\n    replicas: 1\n    resources: {requests: {cpu: 1}}\n"
					      "    cpu_per_request: 1ms\n",
					      lvl, 'a' + side);
			if (lvl < 40)
				k += (size_t)snprintf(yaml + k, sizeof yaml - k,
						      "    calls: [{service: s%da}, {service: s%db}]\n", lvl + 1, lvl + 1);
			if (lvl == 0 && side == 0)
				k += (size_t)snprintf(yaml + k, sizeof yaml - k, "    traffic: {rate: 1rps}\n");
		}
	struct scenario sc;
	struct herr e;
	cr_assert_eq(load(&sc, yaml, &e), -1);
	cr_expect(strstr(e.msg, "could simulate 1.32e+14 requests") != NULL, "%s", e.msg);
}
