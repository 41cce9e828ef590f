/*
 * Expectations (sim/expect.h): every kind of metric with a passing and a
 * failing expectation, every operator, the errors of the `expect:` section
 * with their file:line:col, plan.* metrics over a sweep, baseline tolerance (zero
 * and missing baselines), and the sink that gathers a real run's results.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expect.h"
#include "harness.h"
#include "run.h"
#include "scn.h"

static char dir[64];

static void mkdir_tmp(void)
{
	strcpy(dir, "/tmp/hr-expect-XXXXXX");
	cr_assert(mkdtemp(dir));
}

static void rm_tmp(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(expect, .init = mkdir_tmp, .fini = rm_tmp);

/* Two services (a with an SLO and an HPA, b with neither); `cluster`
 * (YAML lines) and `expect` (YAML list lines) are appended. */
#define HEAD                                                                                       \
	"name: t\nduration: 2m\nservices:\n"                                                       \
	"  a:\n    replicas: 2\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 5ms\n"  \
	"    traffic: {rate: 20rps}\n    slo: {p99: 200ms, error_rate: 0.1%}\n"                     \
	"    hpa: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, spec: {scaleTargetRef: " \
	"{apiVersion: apps/v1, kind: Deployment, name: a}, minReplicas: 2, maxReplicas: 4}}\n"      \
	"  b:\n    replicas: 1\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 5ms\n"  \
	"    traffic: {rate: 5rps}\n"
#define CLUSTER "cluster:\n  nodes:\n    - {name: n, count: 2, allocatable: {cpu: \"4\", memory: 16Gi}}\n"

static int load_text(struct scenario *sc, const char *text, struct herr *e)
{
	char path[128];
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	return scn_load(sc, path, NULL, 0, e);
}

/* Loads HEAD (+ CLUSTER) with one expectation; asserts it loads. */
static void load_one(struct scenario *sc, const char *expect, bool cluster)
{
	char text[4096];
	snprintf(text, sizeof text, "%s%sexpect:\n  - %s\n", HEAD, cluster ? CLUSTER : "", expect);
	struct herr e;
	cr_assert_eq(load_text(sc, text, &e), 0, "%s: %s", expect, e.msg);
	cr_assert_eq(sc->n_expects, 1);
}

/* The error of loading HEAD (+ CLUSTER) with one expectation line. */
static const char *load_err(const char *expect, bool cluster)
{
	static struct herr e;
	char text[4096];
	snprintf(text, sizeof text, "%s%sexpect:\n  - %s\n", HEAD, cluster ? CLUSTER : "", expect);
	struct scenario sc;
	cr_assert_neq(load_text(&sc, text, &e), 0, "'%s' loaded", expect);
	return e.msg;
}

/* Results as a run of sc might leave them. */
static void fake_results(struct exp_results *r, const struct scenario *sc)
{
	expect_results_init(r, sc, NULL);
	struct exp_service *a = &r->svc[scn_service_index(sc, "a")];
	a->has_sum = true;
	a->sum = (struct row_summary){.service = "a", .requests = 1000, .served = 990, .errors = 10, .timeouts = 4,
				      .mean_ms = 20, .p50_ms = 15, .p90_ms = 60, .p99_ms = 180, .p999_ms = 400,
				      .max_ms = 900, .error_rate = 0.01, .timeout_rate = 0.004, .cpu_util = 0.55,
				      .violation_minutes = 2.5, .slo_met = 0, .pods_started = 3,
				      .pod_start_p50_s = 30, .pod_start_p99_s = 75};
	a->max_replicas = 5;
	a->min_ready = 2;
	a->worst_p99 = 350;
	struct exp_service *b = &r->svc[scn_service_index(sc, "b")];
	b->has_sum = true;
	b->sum = (struct row_summary){.service = "b", .p99_ms = NAN, .p50_ms = NAN, .slo_met = -1,
				      .pod_start_p50_s = NAN, .pod_start_p99_s = NAN};
	r->has_cost = true;
	r->cost = (struct row_cost){.cost_usd = 1.25, .monthly_usd = 4600, .node_hours = 3.5, .max_nodes = 4};
}

/* Whether expectation text holds against the fake results. */
static bool holds(const char *text, bool cluster)
{
	struct scenario sc;
	load_one(&sc, text, cluster);
	struct exp_results r;
	fake_results(&r, &sc);
	double actual;
	bool ok = expect_eval(&sc.expects[0], &r, &actual);
	expect_results_release(&r);
	scn_free(&sc);
	return ok;
}

/* A passing and a failing expectation of each kind of metric and unit. */
Test(expect, each_kind_passes_and_fails)
{
	static const struct {
		const char *pass, *fail;
		bool cluster;
	} cases[] = {
		{"a.p99 <= 200ms", "a.p99 <= 150ms", false},
		{"a.p50 < 16ms", "a.p50 < 15ms", false},
		{"a.p90 <= 0.06s", "a.p90 <= 59ms", false},
		{"a.p999 <= 400ms", "a.p999 < 400ms", false},
		{"a.mean <= 20ms", "a.mean < 20ms", false},
		{"a.max <= 1s", "a.max <= 800ms", false},
		{"a.error_rate <= 1%", "a.error_rate <= 0.1%", false},
		{"a.error_rate <= 0.01", "a.error_rate < 0.01", false},
		{"a.timeout_rate <= 0.5%", "a.timeout_rate <= 0.3%", false},
		{"a.cpu_util >= 50%", "a.cpu_util >= 60%", false},
		{"a.violation_minutes <= 3", "a.violation_minutes <= 2", false},
		{"a.violation_minutes <= 150s", "a.violation_minutes <= 2m", false},
		{"a.slo_met == false", "a.slo_met == true", false},
		{"a.slo_met != true", "a.slo_met != false", false},
		{"a.pods_started >= 3", "a.pods_started > 3", false},
		{"a.pod_start.p50 <= 30s", "a.pod_start.p50 < 30s", false},
		{"a.pod_start.p99 <= 90s", "a.pod_start.p99 <= 1m", false},
		{"a.replicas.max <= 5", "a.replicas.max <= 4", false},
		{"a.ready.min >= 2", "a.ready.min >= 3", false},
		{"a.interval_p99.max <= 400ms", "a.interval_p99.max <= 300ms", false},
		{"cost.monthly <= 5000", "cost.monthly <= 4000", true},
		{"cost.usd <= 2", "cost.usd <= 1", true},
		{"nodes.max <= 4", "nodes.max < 4", true},
		{"nodes.hours <= 4", "nodes.hours <= 3h", true},
		{"a.p99 == 180ms", "a.p99 != 180ms", false},
		{"a.p99 > 179ms", "a.p99 >= 181ms", false},
		{"  a.p99<=200ms  ", "a.p99<150ms", false},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		cr_expect(holds(cases[i].pass, cases[i].cluster), "'%s' should hold", cases[i].pass);
		cr_expect(!holds(cases[i].fail, cases[i].cluster), "'%s' should fail", cases[i].fail);
	}
}

Test(expect, values_are_held_in_the_metric_unit)
{
	struct scenario sc;
	load_one(&sc, "a.p99 <= 1.5s", false);
	cr_expect_float_eq(sc.expects[0].value, 1500, 1e-9);
	cr_expect_str_eq(sc.expects[0].text, "a.p99 <= 1.5s");
	cr_expect_eq(sc.expects[0].line, 17);
	cr_expect_eq(sc.expects[0].col, 5);
	scn_free(&sc);
	load_one(&sc, "a.error_rate <= 0.1%", false);
	cr_expect_float_eq(sc.expects[0].value, 0.001, 1e-15);
	scn_free(&sc);
	load_one(&sc, "a.pod_start.p99 <= 2m", false);
	cr_expect_float_eq(sc.expects[0].value, 120, 1e-9);
	scn_free(&sc);
	load_one(&sc, "nodes.hours <= 90m", true);
	cr_expect_float_eq(sc.expects[0].value, 1.5, 1e-12);
	scn_free(&sc);
}

/* A metric without a value (nothing answered, no pod started) never holds. */
Test(expect, none_never_holds)
{
	cr_expect(!holds("b.p99 <= 1h", false));
	cr_expect(!holds("b.pod_start.p99 <= 1h", false));
	cr_expect(!holds("b.pod_start.p99 >= 0s", false));
	struct scenario sc;
	load_one(&sc, "cost.monthly <= 5000", true);
	struct exp_results r;
	expect_results_init(&r, &sc, NULL);
	double actual;
	cr_expect(!expect_eval(&sc.expects[0], &r, &actual));
	cr_expect(isnan(actual));
	expect_results_release(&r);
	scn_free(&sc);
}

Test(expect, unknown_metric_lists_the_valid_ones)
{
	const char *m = load_err("a.pp99 <= 200ms", false);
	cr_expect(strstr(m, "s.yaml:17:7: unknown metric 'pp99' of service 'a'; did you mean 'a.p99'?"), "%s", m);
	cr_expect(strstr(m, "valid metrics: SERVICE.{p50, p90, p99, p999"), "%s", m);
	cr_expect(strstr(m, "pod_start.p99"), "%s", m);
	cr_expect(strstr(m, "with SERVICE one of a, b"), "%s", m);
	cr_expect(strstr(m, "cost.* and nodes.* need a cluster"), "%s", m);
	m = load_err("c.p99 <= 200ms", true);
	cr_expect(strstr(m, ":20:5: unknown metric 'c.p99': 'c' is not a service of this scenario, nor cost or nodes"), "%s", m);
	cr_expect(strstr(m, "; cost.usd; cost.monthly; nodes.max; nodes.hours"), "%s", m);
	m = load_err("bb.p99 <= 200ms", false);
	cr_expect(strstr(m, "unknown metric 'bb.p99': no service 'bb'; did you mean 'b'?"), "%s", m);
	m = load_err("cost.montly <= 5000", true);
	cr_expect(strstr(m, "unknown metric 'cost.montly'; did you mean 'cost.monthly'?"), "%s", m);
	m = load_err("a <= 5", false);
	cr_expect(strstr(m, "'a' is a service; name one of its metrics, e.g. a.p99"), "%s", m);
}

/* A sweep of two axes (2 x 2 variants: buffer slowest). */
#define SWEEP                                                                                      \
	"sweep:\n  replications: 2\n  axes:\n    buffer:\n      services.a.buffer: [100%, 150%]\n"      \
	"    replicas: {services.b.replicas: [1, 2]}\n"

/* Loads HEAD + SWEEP (+ CLUSTER) with one expectation: 0 or -1, *msg the error. */
static int load_plan(struct scenario *sc, const char *expect, bool cluster, const char **msg)
{
	static struct herr e;
	char text[4096];
	snprintf(text, sizeof text, "%s%s%sexpect:\n  - %s\n", HEAD, SWEEP, cluster ? CLUSTER : "", expect);
	e.msg[0] = '\0';
	*msg = e.msg;
	return load_text(sc, text, &e);
}

Test(expect, plan_metrics_resolve_against_the_sweep)
{
	const char *m = load_err("plan.recommended.services.a.buffer <= 150%", false);
	cr_expect(strstr(m, ":17:5: 'plan.recommended.services.a.buffer': plan expectations need a sweep:"), "%s", m);
	struct scenario sc;
	static const struct {
		const char *text;
		int variant, service;
		double value;
	} ok[] = {
		{"plan.variants[buffer=150%,replicas=2].slo_lower >= 0.9", 4, -1, 0.9},
		{"plan.variants[ buffer = 1.5 , replicas=1 ].slo_probability >= 95%", 3, -1, 0.95},
		{"plan.variants[replicas=1,buffer=100%].slo_probability < 50%", 1, -1, 0.5},
		{"plan.recommended.services.a.buffer <= 150%", 0, 0, 1.5},
		{"plan.recommended.slo_probability >= 0.95", 0, -1, 0.95},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		cr_assert_eq(load_plan(&sc, ok[i].text, false, &m), 0, "%s: %s", ok[i].text, m);
		const struct expect *x = &sc.expects[0];
		cr_expect(expect_metric_is_plan(x->metric) && expect_has_plan(&sc), "%s", ok[i].text);
		cr_expect_eq(x->variant, ok[i].variant, "%s: variant %d", ok[i].text, x->variant);
		cr_expect_eq(x->service, ok[i].service, "%s", ok[i].text);
		cr_expect(fabs(x->value - ok[i].value) < 1e-12, "%s: %g", ok[i].text, x->value);
		scn_free(&sc);
	}
	cr_assert_eq(load_plan(&sc, "plan.variants[buffer=100%,replicas=2].monthly_cost <= 500", true, &m), 0, "%s", m);
	cr_expect_eq(sc.expects[0].variant, 2);
	cr_expect_str_eq(sc.expects[0].path, "plan.variants[buffer=100%,replicas=2].monthly_cost");
	scn_free(&sc);
	cr_assert_eq(load_plan(&sc, "plan.recommended.monthly_cost <= 500", true, &m), 0, "%s", m);
	scn_free(&sc);
}

Test(expect, plan_metric_errors)
{
	struct scenario sc;
	const char *m;
	/* HEAD is 16 lines, SWEEP 6: the expectation is on line 23, from column 5. */
	cr_assert_neq(load_plan(&sc, "plan.variants[bufer=140%].slo_probability >= 0.95", false, &m), 0);
	cr_expect(strstr(m, ":23:19: unknown sweep axis 'bufer'; the sweep's axes: buffer, replicas"), "%s", m);
	cr_assert_neq(load_plan(&sc, "plan.variants[buffer=140%,replicas=1].slo_lower >= 0.95", false, &m), 0);
	cr_expect(strstr(m, ":23:26: no variant of the sweep has buffer=140%; the values of 'buffer': 100%, 150%"), "%s",
		  m);
	cr_assert_neq(load_plan(&sc, "plan.variants[buffer=150%].slo_lower >= 0.95", false, &m), 0);
	cr_expect(strstr(m, "[buffer=150%] matches 2 variants of the sweep; give a value for each axis (buffer, replicas), "
			    "e.g. [buffer=100%,replicas=1]"), "%s", m);
	cr_assert_neq(load_plan(&sc, "plan.variants[buffer].slo_lower >= 0.95", false, &m), 0);
	cr_expect(strstr(m, "picks a variant by its sweep values: [AXIS=VALUE]"), "%s", m);
	cr_assert_neq(load_plan(&sc, "plan.variants[buffer=150%,replicas=1].p99 <= 1s", false, &m), 0);
	cr_expect(strstr(m, "unknown metric 'p99' of a plan variant; valid: slo_probability, slo_lower, monthly_cost"), "%s", m);
	cr_assert_neq(load_plan(&sc, "plan.recommended.services.zz.buffer <= 2", false, &m), 0);
	cr_expect(strstr(m, ":23:31: 'plan.recommended.services.zz.buffer': no service 'zz'; the services: a, b"), "%s", m);
	cr_assert_neq(load_plan(&sc, "plan.recommended.p99 <= 1s", false, &m), 0);
	cr_expect(strstr(m, "unknown plan metric 'plan.recommended.p99'; valid plan metrics: plan.recommended.slo_probability"), "%s", m);
	cr_assert_neq(load_plan(&sc, "plan.recommended.monthly_cost <= 100", false, &m), 0);
	cr_expect(strstr(m, "'plan.recommended.monthly_cost' needs a cluster"), "%s", m);
}

Test(expect, plan_metrics_pass_and_fail)
{
	struct scenario sc;
	const char *m;
	/* variants 1..4: P 0.5, 0.9, 1, 1; lower 0.1, 0.6, 0.8, 0.8; buffers of a 1, 1, 1.5, 1.5 */
	double p[] = {0.5, 0.9, 1, 1}, lo[] = {0.1, 0.6, 0.8, 0.8}, cost[] = {100, 110, 150, 160};
	double buf[] = {1, NAN, 1, NAN, 1.5, NAN, 1.5, NAN};
	struct exp_plan plan = {4, 2, 3, p, lo, cost, buf};
	static const struct {
		const char *text;
		bool pass;
		double actual;
	} cases[] = {
		{"plan.recommended.services.a.buffer <= 150%", true, 1.5},
		{"plan.recommended.services.a.buffer < 150%", false, 1.5},
		{"plan.recommended.services.b.buffer <= 150%", false, NAN},
		{"plan.recommended.slo_probability >= 95%", true, 1},
		{"plan.recommended.slo_probability < 95%", false, 1},
		{"plan.recommended.monthly_cost <= 150", true, 150},
		{"plan.recommended.monthly_cost < 150", false, 150},
		{"plan.variants[buffer=100%,replicas=2].slo_probability >= 0.9", true, 0.9},
		{"plan.variants[buffer=100%,replicas=1].slo_probability >= 0.9", false, 0.5},
		{"plan.variants[buffer=100%,replicas=2].slo_lower >= 0.6", true, 0.6},
		{"plan.variants[buffer=100%,replicas=2].slo_lower > 0.6", false, 0.6},
		{"plan.variants[buffer=150%,replicas=2].monthly_cost <= 160", true, 160},
		{"plan.variants[buffer=150%,replicas=2].monthly_cost <= 159.99", false, 160},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert_eq(load_plan(&sc, cases[i].text, true, &m), 0, "%s: %s", cases[i].text, m);
		double a;
		cr_expect_eq(expect_eval_plan(&sc.expects[0], &plan, &a), cases[i].pass, "%s", cases[i].text);
		cr_expect(isnan(cases[i].actual) ? isnan(a) : a == cases[i].actual, "%s: %g", cases[i].text, a);
		scn_free(&sc);
	}
	/* No recommendation: the recommended metrics have no value, and say why. */
	plan.recommended = 0;
	cr_assert_eq(load_plan(&sc, "plan.recommended.slo_probability >= 0", true, &m), 0, "%s", m);
	double a;
	cr_expect(!expect_eval_plan(&sc.expects[0], &plan, &a) && isnan(a));
	cr_expect_str_eq(expect_plan_none_why(&sc.expects[0], &plan), "no variant meets the target");
	scn_free(&sc);
}

Test(expect, bad_operators_values_and_shapes)
{
	const char *m = load_err("a.p99 = 200ms", false);
	cr_expect(strstr(m, ":17:11: '=' is not a comparison: use =="), "%s", m);
	m = load_err("a.p99 about 200ms", false);
	cr_expect(strstr(m, ":17:11: expected a comparison (<=, <, >=, >, == or !=) after 'a.p99'"), "%s", m);
	m = load_err("a.p99 <=", false);
	cr_expect(strstr(m, "a value is missing after '<='"), "%s", m);
	m = load_err("a.p99 <= 200", false);
	cr_expect(strstr(m, ":17:14: '200' needs a unit"), "%s", m);
	m = load_err("a.error_rate <= lots", false);
	cr_expect(strstr(m, ":17:21: 'lots' is not a fraction"), "%s", m);
	m = load_err("a.slo_met <= true", false);
	cr_expect(strstr(m, "slo_met is true or false: compare it with == or !="), "%s", m);
	m = load_err("a.slo_met == maybe", false);
	cr_expect(strstr(m, "'maybe' is not true or false"), "%s", m);
	m = load_err("b.slo_met == true", false);
	cr_expect(strstr(m, "service 'b' has no slo"), "%s", m);
	m = load_err("cost.monthly <= 5000", false);
	cr_expect(strstr(m, ":17:5: 'cost.monthly' needs a cluster"), "%s", m);
	m = load_err("a.pods_started >= -1", false);
	cr_expect(strstr(m, "is negative"), "%s", m);
	m = load_err("{a.p99: 200ms}", false);
	cr_expect(strstr(m, ":17:5: an expectation is one string, METRIC OP VALUE"), "%s", m);
	m = load_err("\"a.p99 <= 2xs\"", false);
	cr_expect(strstr(m, ":17:15: '2xs' is not a duration"), "%s", m);
	struct herr e;
	struct scenario sc;
	cr_expect_neq(load_text(&sc, HEAD "expect: a.p99 <= 200ms\n", &e), 0);
	cr_expect(strstr(e.msg, ":16:9: expect must be a list"), "%s", e.msg);
	cr_expect_neq(load_text(&sc, HEAD "expects: []\n", &e), 0);
	cr_expect(strstr(e.msg, ":16:1: unknown key 'expects' in the scenario; did you mean 'expect'?"), "%s", e.msg);
}

Test(expect, set_overrides_reach_expectations)
{
	struct herr e;
	struct scenario sc;
	char path[128];
	load_text(&sc, HEAD "expect: ['a.p99 <= 200ms']\n", &e);
	scn_free(&sc);
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	const char *ok[] = {"expect.0=a.p99 <= 300ms"};
	cr_assert_eq(scn_load(&sc, path, ok, 1, &e), 0, "%s", e.msg);
	cr_expect_float_eq(sc.expects[0].value, 300, 1e-9);
	scn_free(&sc);
	const char *bad[] = {"expect.0=a.p99 <= soon"};
	cr_assert_neq(scn_load(&sc, path, bad, 1, &e), 0);
	cr_expect(strstr(e.msg, "--set expect.0=a.p99 <= soon: 'soon'"), "%s", e.msg);
}

Test(expect, empty_section_and_many_lines)
{
	struct herr e;
	struct scenario sc;
	cr_assert_eq(load_text(&sc, HEAD "expect: []\n", &e), 0, "%s", e.msg);
	cr_expect_eq(sc.n_expects, 0);
	scn_free(&sc);
	cr_assert_eq(load_text(&sc, HEAD "expect:\n  - a.p99 <= 1s\n  - b.error_rate <= 5%\n  - a.cpu_util < 90%\n", &e), 0,
		     "%s", e.msg);
	cr_expect_eq(sc.n_expects, 3);
	cr_expect_eq(sc.expects[1].service, scn_service_index(&sc, "b"));
	cr_expect_eq(sc.expects[2].op, EXP_LT);
	cr_expect_eq(sc.expects[2].line, 19);
	scn_free(&sc);
}

/* A service called cost keeps its metrics; cost.monthly still means the bill. */
Test(expect, a_service_called_cost)
{
	struct herr e;
	struct scenario sc;
	const char *text = "name: t\nduration: 1m\n" CLUSTER "services:\n"
			   "  cost:\n    replicas: 1\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 5ms\n"
			   "    traffic: {rate: 5rps}\n"
			   "expect: [cost.p99 <= 1s, cost.monthly <= 10]\n";
	cr_assert_eq(load_text(&sc, text, &e), 0, "%s", e.msg);
	cr_expect_eq(sc.expects[0].service, 0);
	cr_expect_eq(sc.expects[1].service, -1);
	scn_free(&sc);
}

Test(expect, tolerance_and_zero_baselines)
{
	double lim;
	cr_expect(expect_within(100, 105, 0.05, EXP_MS, &lim));
	cr_expect_float_eq(lim, 105, 1e-12);
	cr_expect(!expect_within(100, 105.1, 0.05, EXP_MS, &lim));
	cr_expect(expect_within(100, 50, 0.05, EXP_MS, &lim), "an improvement passes");
	/* A baseline of 0 allows the floor of its unit, not nothing. */
	cr_expect(expect_within(0, 0, 0.05, EXP_FRACTION, &lim));
	cr_expect(expect_within(0, 0.0001, 0.05, EXP_FRACTION, &lim));
	cr_expect(!expect_within(0, 0.0002, 0.05, EXP_FRACTION, &lim));
	cr_expect(expect_within(2, 2.9, 0.05, EXP_SECONDS, &lim), "1 s floor");
	cr_expect(!expect_within(2, 3.1, 0.05, EXP_SECONDS, &lim));
	cr_expect(expect_within(0, 0.9, 0, EXP_USD, &lim));
	/* None against none holds; none against a value does not, either way. */
	cr_expect(expect_within(NAN, NAN, 0.05, EXP_SECONDS, &lim));
	cr_expect(isnan(lim));
	cr_expect(!expect_within(NAN, 30, 0.05, EXP_SECONDS, &lim));
	cr_expect(!expect_within(30, NAN, 0.05, EXP_SECONDS, &lim));
}

Test(expect, formats_for_people)
{
	char b[64];
	expect_fmt(b, sizeof b, EXP_MS, 212.4);
	cr_expect_str_eq(b, "212.4 ms");
	expect_fmt(b, sizeof b, EXP_MS, 1568.7);
	cr_expect_str_eq(b, "1569 ms");
	expect_fmt(b, sizeof b, EXP_FRACTION, 0.001);
	cr_expect_str_eq(b, "0.1 %");
	expect_fmt(b, sizeof b, EXP_SECONDS, 90);
	cr_expect_str_eq(b, "90 s");
	expect_fmt(b, sizeof b, EXP_USD, 1234.5);
	cr_expect_str_eq(b, "1234.50 USD");
	expect_fmt(b, sizeof b, EXP_BOOL, 1);
	cr_expect_str_eq(b, "true");
	expect_fmt(b, sizeof b, EXP_COUNT, NAN);
	cr_expect_str_eq(b, "none");
	cr_expect_str_eq(expect_op_text(EXP_NE), "!=");
}

Test(expect, key_figures)
{
	struct scenario sc;
	load_one(&sc, "a.p99 <= 1s", true);
	struct exp_results r;
	fake_results(&r, &sc);
	size_t n;
	struct exp_figure *f = expect_key_figures(&r, &n);
	/* a: p99, error_rate, pod_start.p99 (it has an HPA); b: p99, error_rate;
	 * no cost: these nodes have no price. */
	cr_assert_eq(n, 5);
	char path[64];
	expect_metric_path(path, sizeof path, &sc, f[2].metric, f[2].service);
	cr_expect_str_eq(path, "a.pod_start.p99");
	cr_expect_float_eq(f[2].value, 75, 1e-12);
	expect_metric_path(path, sizeof path, &sc, f[3].metric, f[3].service);
	cr_expect_str_eq(path, "b.p99");
	cr_expect(isnan(f[3].value));
	free(f);
	expect_results_release(&r);
	scn_free(&sc);
}

static void count_pod_sample(void *ctx, const struct row_pod_sample *r)
{
	(void)r;
	++*(int *)ctx;
}

/* Pod samples pass through to a next sink that takes them; else the sink
 * does not ask for them (NULL), so the model may skip them. */
Test(expect, sink_asks_for_pod_samples_only_for_its_next)
{
	struct scenario sc;
	load_one(&sc, "a.replicas.max >= 2", true);
	int n = 0;
	struct sink next = {.ctx = &n, .pod_sample = count_pod_sample};
	struct exp_results r;
	expect_results_init(&r, &sc, &next);
	struct sink out = expect_sink(&r);
	cr_assert_not_null(out.pod_sample);
	const struct row_pod_sample row = {10, "a", "a-0", NULL, 0.25, 0.5, 0, 0};
	out.pod_sample(out.ctx, &row);
	cr_expect_eq(n, 1);
	expect_results_release(&r);
	next.pod_sample = NULL;
	expect_results_init(&r, &sc, &next);
	cr_expect_null(expect_sink(&r).pod_sample);
	expect_results_release(&r);
	expect_results_init(&r, &sc, NULL);
	cr_expect_null(expect_sink(&r).pod_sample);
	expect_results_release(&r);
	scn_free(&sc);
}

/* The sink gathers a real run's rows and passes every row on. */
Test(expect, sink_gathers_a_run)
{
	struct scenario sc;
	load_one(&sc, "a.replicas.max >= 2", true);
	struct memsink m;
	struct sink next = memsink_init(&m);
	struct exp_results r;
	expect_results_init(&r, &sc, &next);
	struct sink out = expect_sink(&r);
	struct run_stats st;
	run_once(&sc, 1, &out, NULL, &st);
	cr_expect_eq(m.n_summaries, 2, "summaries passed on");
	cr_expect_eq(m.n_samples, 24, "samples passed on");
	int a = scn_service_index(&sc, "a");
	cr_expect(r.svc[a].has_sum);
	cr_expect_eq(r.svc[a].sum.requests, memsink_summary(&m, "a")->requests);
	cr_expect_eq(r.svc[a].max_replicas, 2);
	cr_expect_eq(r.svc[a].min_ready, 2);
	cr_expect(r.svc[a].worst_p99 >= r.svc[a].sum.p50_ms);
	cr_expect(r.has_cost);
	double actual;
	cr_expect(expect_eval(&sc.expects[0], &r, &actual));
	cr_expect_eq(actual, 2);
	expect_results_release(&r);
	memsink_free(&m);
	scn_free(&sc);
}
