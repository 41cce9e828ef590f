/*
 * PriorityClasses and pod priorities in the scenario (sim/scn_priority.c):
 * the priority each service's pods get as the Priority admission plugin
 * resolves it (plugin/pkg/admission/priority/admission.go: the class's
 * value, the globalDefault's, 0; the built-in system classes), what the
 * API server refuses (pkg/apis/scheduling/validation, the plugin's
 * validatePriorityClass) at file:line:col, the warning for a placeholder
 * that would never make room, and the Cluster Autoscaler flag.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "scn.h"

#define CLASSES                                                                                                    \
	"priorityClasses:\n"                                                                                       \
	"  - apiVersion: scheduling.k8s.io/v1\n    kind: PriorityClass\n    metadata: {name: overprovisioning}\n" \
	"    value: -20\n    preemptionPolicy: Never\n"                                                         \
	"  - apiVersion: scheduling.k8s.io/v1\n    kind: PriorityClass\n    metadata: {name: critical}\n"         \
	"    value: 100000\n    description: the payment path\n"
/* lines 1-10 */

#define PAYMENT                                                                                                    \
	"  payment:\n    replicas: 2\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 10ms\n"       \
	"    traffic: {rate: 10rps}\n"

/* A Deployment of pause pods named `name`, of PriorityClass `pc` (NULL: none). */
static void placeholder(char *buf, size_t size, const char *name, const char *pc)
{
	snprintf(buf, size,
		 "  %s:\n    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n"
		 "      metadata: {name: %s}\n      spec:\n        replicas: 2\n"
		 "        selector: {matchLabels: {app: %s}}\n        template:\n"
		 "          metadata: {labels: {app: %s}}\n          spec:\n%s%s%s"
		 "            containers:\n              - name: pause\n                image: registry.k8s.io/pause:3.10\n"
		 "                resources: {requests: {cpu: \"1\", memory: 1Gi}}\n",
		 name, name, name, name, pc ? "            priorityClassName: " : "", pc ? pc : "", pc ? "\n" : "");
}

static int load(struct scenario *sc, const char *text, struct herr *e)
{
	return scn_parse(sc, "s.yaml", text, strlen(text), e);
}

static void expect_error(const char *text, const char *want)
{
	struct scenario sc;
	struct herr e;
	int rc = load(&sc, text, &e);
	cr_expect_eq(rc, -1, "loaded, expected: %s", want);
	if (rc == 0) {
		scn_free(&sc);
		return;
	}
	cr_expect(strstr(e.msg, want) != NULL, "got:  %s\nwant: %s", e.msg, want);
}

Test(priority, resolved_as_the_admission_plugin_does)
{
	char ph[1024], text[4096];
	placeholder(ph, sizeof ph, "placeholder", "overprovisioning");
	snprintf(text, sizeof text,
		 "name: p\nduration: 1m\n" CLASSES "  - apiVersion: scheduling.k8s.io/v1\n    kind: PriorityClass\n"
		 "    metadata: {name: normal}\n    value: 1000\n    globalDefault: true\n"
		 "services:\n" PAYMENT "%s"
		 "  node-agent:\n    replicas: 1\n    resources: {requests: {cpu: 100m}}\n    cpu_per_request: 1ms\n",
		 ph);
	struct scenario sc;
	struct herr e;
	cr_assert_eq(load(&sc, text, &e), 0, "%s", e.msg);
	cr_assert_eq(sc.n_priority_classes, 3);
	cr_expect(sc.priority_classes[0].never && !sc.priority_classes[1].never && sc.priority_classes[2].global_default);
	const struct scn_service *pay = &sc.services[0], *p = &sc.services[1];
	/* No class named: the globalDefault's value and policy. */
	cr_expect_eq(pay->priority, 1000);
	cr_expect(!pay->preempt_never && !pay->priority_class);
	cr_expect_eq(p->priority, -20);
	cr_expect(p->preempt_never && p->placeholder);
	cr_expect_str_eq(p->priority_class, "overprovisioning");
	/* A placeholder serves nothing: no cpu_per_request needed, Ready as
	 * soon as its container runs, its sandbox image everywhere. */
	cr_expect(p->startup.app_start.mean == 0 && p->startup.image_pull_first.mean == 0);
	cr_expect(!pay->placeholder);
	cr_expect_eq(sc.n_warnings, 0);
	scn_free(&sc);
	/* Without classes every pod is at 0; built-in classes need no manifest. */
	const char *y = "name: p\nduration: 1m\nservices:\n" PAYMENT;
	cr_assert_eq(load(&sc, y, &e), 0, "%s", e.msg);
	cr_expect(sc.services[0].priority == 0 && !sc.services[0].preempt_never);
	scn_free(&sc);
	/* A built-in class listed as `kubectl get priorityclass -o yaml` prints it. */
	y = "priorityClasses:\n  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass,\n"
	    "     metadata: {name: system-node-critical}, value: 2000001000}\n"
	    "name: p\nduration: 1m\nservices:\n" PAYMENT;
	cr_assert_eq(load(&sc, y, &e), 0, "%s", e.msg);
	cr_expect_eq(sc.services[0].priority, 0);
	scn_free(&sc);
}

#define DEP "name: p\nduration: 1m\n" CLASSES "services:\n" PAYMENT \
			  "  agent:\n    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n" \
			  "      metadata: {name: agent}\n      spec:\n        selector: {matchLabels: {app: agent}}\n" \
			  "        template:\n          metadata: {labels: {app: agent}}\n          spec:\n" \
			  "            priorityClassName: %s\n%s" \
			  "            containers:\n              - name: a\n                image: a\n" \
			  "                resources: {requests: {cpu: 100m}}\n" \
			  "                readinessProbe: {tcpSocket: {port: 80}}\n    cpu_per_request: 1ms\n"

/* A pod template's own priority and preemptionPolicy must agree with its
 * class (the plugin refuses the pods otherwise); the built-in classes. */
Test(priority, pod_spec_fields_agree_with_the_class)
{
	char text[4096];
	struct scenario sc;
	struct herr e;
	snprintf(text, sizeof text, DEP, "system-cluster-critical", "            priority: 2000000000\n");
	cr_assert_eq(load(&sc, text, &e), 0, "%s", e.msg);
	cr_expect_eq(sc.services[1].priority, 2000000000);
	scn_free(&sc);
	snprintf(text, sizeof text, DEP, "critical", "            priority: 5\n");
	expect_error(text, "s.yaml:31:23: priority: the integer value of priority (5) must not be provided in pod spec; "
			   "priority admission controller computed 100000 from the given PriorityClass name");
	snprintf(text, sizeof text, DEP, "critical", "            preemptionPolicy: Never\n");
	expect_error(text, "s.yaml:31:31: preemptionPolicy: the string value of PreemptionPolicy (Never) must not be "
			   "provided in pod spec; priority admission controller computed PreemptLowerPriority");
	snprintf(text, sizeof text, DEP, "overprovisioning", "            preemptionPolicy: Never\n");
	cr_assert_eq(load(&sc, text, &e), 0, "%s", e.msg);
	cr_expect(sc.services[1].preempt_never);
	scn_free(&sc);
}

Test(priority, refused_as_the_api_server_refuses)
{
	char ph[1024], text[4096];
	placeholder(ph, sizeof ph, "placeholder", "overprovisionng");
	snprintf(text, sizeof text, "name: p\nduration: 1m\n" CLASSES "services:\n" PAYMENT "%s", ph);
	expect_error(text, "s.yaml:31:32: priorityClassName: no PriorityClass with name overprovisionng was found; "
			   "did you mean 'overprovisioning'?");
	/* One class per case; its fields from line 4 on. */
	static const struct {
		const char *cls, *want;
	} bad[] = {
		{"    metadata: {name: b}\n    value: 1000000001\n",
		 "s.yaml:5:12: value: 1000000001 is above 1000000000, the maximum allowed value of a user defined priority"},
		{"    metadata: {name: b}\n    value: -2147483649\n", "s.yaml:5:12: value"},
		{"    metadata: {name: b}\n    value: 1.5\n", "s.yaml:5:12: value"},
		{"    metadata: {name: b}\n", "s.yaml:2:5: the PriorityClass manifest needs 'value'"},
		{"    metadata: {name: system-b}\n    value: 1\n",
		 "s.yaml:4:22: name: priority class names with 'system-' prefix are reserved for system use only"},
		{"    metadata: {name: system-cluster-critical}\n    value: 1\n",
		 "s.yaml:4:22: name: system-cluster-critical is a built-in PriorityClass (value 2000000000"},
		{"    metadata: {name: B_b}\n    value: 1\n", "s.yaml:4:22: name: 'B_b' is not a valid PriorityClass name"},
		{"    metadata: {namespace: x}\n    value: 1\n", "s.yaml:4:15: metadata needs a name"},
		{"    metadata: {name: b}\n    value: 1\n    preemptionPolicy: Sometimes\n",
		 "s.yaml:6:23: preemptionPolicy"},
		{"    metadata: {name: b}\n    value: 1\n    priority: 3\n", "s.yaml:6:5: unknown key 'priority'"},
		/* two globalDefault classes: the admission plugin refuses the second */
		{"    metadata: {name: a}\n    value: 1\n    globalDefault: true\n"
		 "  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: b}, value: 2,\n"
		 "     globalDefault: true}\n",
		 "s.yaml:8:21: globalDefault: PriorityClass a (line 2) is already marked as default. Only one default "
		 "can exist"},
		{"    metadata: {name: a}\n    value: 1\n"
		 "  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: a}, value: 2}\n",
		 "s.yaml:6:5: PriorityClass 'a' is defined twice (also line 2)"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text,
			 "priorityClasses:\n  - apiVersion: scheduling.k8s.io/v1\n    kind: PriorityClass\n%s"
			 "name: p\nduration: 1m\nservices:\n" PAYMENT,
			 bad[i].cls);
		expect_error(text, bad[i].want);
	}
	expect_error("priorityClasses:\n  - {apiVersion: scheduling.k8s.io/v1beta1, kind: PriorityClass, value: 1}\n"
		     "name: p\nduration: 1m\nservices:\n" PAYMENT,
		     "s.yaml:2:18: apiVersion: scheduling.k8s.io/v1beta1 was removed in Kubernetes 1.22");
}

/* A placeholder not below a serving service: Kubernetes accepts it, but
 * its pods would never be preempted for that service's: a warning at the
 * placeholder, once. Below every serving service: none. */
Test(priority, placeholder_above_a_serving_service_warns)
{
	char ph[1024], text[4096];
	struct scenario sc;
	struct herr e;
	placeholder(ph, sizeof ph, "placeholder", "critical");
	snprintf(text, sizeof text, "name: p\nduration: 1m\n" CLASSES "services:\n" PAYMENT "%s", ph);
	cr_assert_eq(load(&sc, text, &e), 0, "%s", e.msg);
	cr_assert_eq(sc.n_warnings, 1);
	cr_expect(strstr(sc.warnings[0], "s.yaml:20:3: warning: service 'placeholder' is a placeholder (pause "
					 "containers) at priority 100000 (PriorityClass critical), not below service "
					 "'payment' at 0 (PriorityClass none)") != NULL,
		  "%s", sc.warnings[0]);
	scn_free(&sc);
	/* No class at all: both at 0, which does not make room either. */
	placeholder(ph, sizeof ph, "placeholder", NULL);
	snprintf(text, sizeof text, "name: p\nduration: 1m\nservices:\n" PAYMENT "%s", ph);
	cr_assert_eq(load(&sc, text, &e), 0, "%s", e.msg);
	cr_expect_eq(sc.n_warnings, 1);
	scn_free(&sc);
	placeholder(ph, sizeof ph, "placeholder", "overprovisioning");
	snprintf(text, sizeof text, "name: p\nduration: 1m\n" CLASSES "services:\n" PAYMENT "%s", ph);
	cr_assert_eq(load(&sc, text, &e), 0, "%s", e.msg);
	cr_expect_eq(sc.n_warnings, 0);
	scn_free(&sc);
}

/* Pause containers answer nothing: no traffic, no callers. */
Test(priority, placeholder_serves_nothing)
{
	char ph[1024], text[4096];
	placeholder(ph, sizeof ph, "placeholder", "overprovisioning");
	snprintf(text, sizeof text, "name: p\nduration: 1m\n" CLASSES "services:\n" PAYMENT "%s    traffic: {rate: 1}\n",
		 ph);
	expect_error(text, "s.yaml:36:5: traffic: service 'placeholder' runs only pause containers (a placeholder): it "
			   "serves no request");
	snprintf(text, sizeof text,
		 "name: p\nduration: 1m\n" CLASSES "services:\n" PAYMENT "    calls: [{service: placeholder}]\n%s", ph);
	expect_error(text, "s.yaml:15:3: service 'payment' calls 'placeholder', whose containers all run the pause "
			   "image: a placeholder serves no request");
}

#define CA_SCN "name: p\nduration: 1m\n" \
				     "cluster:\n  catalog: catalogs/ec2-us-east-1.csv\n  provisioner: cluster-autoscaler\n" \
				     "  cluster_autoscaler:\n%s    node_groups: [{name: g, instance: m5.xlarge, min: 1, max: 3}]\n" \
				     "services:\n" PAYMENT

/* --expendable-pods-priority-cutoff: -10 by default (the catalog resolves
 * against the scenario's folder, scenarios/). */
Test(priority, cluster_autoscaler_cutoff)
{
	char text[2048];
	struct scenario sc;
	struct herr e;
	snprintf(text, sizeof text, CA_SCN, "");
	cr_assert_eq(scn_parse(&sc, "scenarios/s.yaml", text, strlen(text), &e), 0, "%s", e.msg);
	cr_expect_eq(sc.cluster.ca.expendable_cutoff, -10);
	scn_free(&sc);
	snprintf(text, sizeof text, CA_SCN, "    expendable-pods-priority-cutoff: -30\n");
	cr_assert_eq(scn_parse(&sc, "scenarios/s.yaml", text, strlen(text), &e), 0, "%s", e.msg);
	cr_expect_eq(sc.cluster.ca.expendable_cutoff, -30);
	scn_free(&sc);
	snprintf(text, sizeof text, CA_SCN, "    expendable-pods-priority-cutoff: 1e10\n");
	cr_expect_eq(scn_parse(&sc, "scenarios/s.yaml", text, strlen(text), &e), -1);
	cr_expect(strstr(e.msg, "scenarios/s.yaml:7:38: expendable-pods-priority-cutoff") != NULL, "%s", e.msg);
}
