/*
 * scn_k8s.c: the Kubernetes parts of a scenario (see scn_impl.h).
 *
 * An HPA is an autoscaling/v2 HorizontalPodAutoscaler manifest, pasted
 * under a service's `hpa:` or named by `hpa: {file: path}`. It is read the
 * way the API server would validate it (ValidateHorizontalPodAutoscaler:
 * minReplicas >= 1, maxReplicas >= minReplicas, windows 0..3600 s, periods
 * 1..1800 s, policy values > 0), and every field headroom does not model is
 * an error that names it, never ignored. Fields the server writes
 * (metadata.uid, resourceVersion, status, ...) are accepted, as they come
 * with `kubectl get hpa -o yaml`, and have no effect.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_impl.h"

#define MAX_HPA_REPLICAS 10000
#define MAX_POLICIES 16

void ld_service_defaults(struct scenario *sc, struct scn_service *s)
{
	(void)sc;
	/* Kubernetes' probe defaults (initialDelaySeconds 0, periodSeconds 10,
	 * successThreshold 1, failureThreshold 3) and grace period (30 s); image
	 * pull, container and application start-up of a small service. */
	s->startup = (struct scn_startup){
		.image_pull_first = {DIST_CONSTANT, 10, 0},
		.image_pull_cached = {DIST_CONSTANT, 0, 0},
		.container_start = {DIST_CONSTANT, 1, 0},
		.app_start = {DIST_CONSTANT, 10, 0},
		.probe_initial_delay = 0,
		.probe_period = 10 * SIM_S,
		.probe_success_threshold = 1,
		.probe_failure_threshold = 3,
		.termination_grace = 30 * SIM_S,
	};
}

/* ---- the HPA manifest ---- */

static int want_word(struct ld *L, const struct ynode *m, const char *k, const char *want)
{
	const struct ynode *v = yt_get(m, k);
	if (!v)
		return 0;
	const char *s = ld_scalar(L, v, k);
	if (!s)
		return -1;
	if (strcmp(s, want))
		return yt_err(L->e, v, "%s: '%s' is not supported; headroom reads %s", k, s, want);
	return 0;
}

/* metadata: name is kept, the rest (server fields, labels) has no effect. */
static int load_metadata(struct ld *L, const struct ynode *v, struct scn_hpa *h)
{
	static const char *const keys[] = {"name", "namespace", "labels", "annotations", "uid", "resourceVersion",
					   "generation", "creationTimestamp", "managedFields", "selfLink", NULL};
	if (ld_want_map(L, v, "metadata") || ld_check_keys(L, v, keys, "metadata"))
		return -1;
	const struct ynode *n = yt_get(v, "name");
	if (n) {
		const char *s = ld_scalar(L, n, "name");
		if (!s)
			return -1;
		free(h->name);
		h->name = xstrdup(s);
	}
	return 0;
}

static int load_target_ref(struct ld *L, const struct ynode *v)
{
	static const char *const keys[] = {"apiVersion", "kind", "name", NULL};
	static const char *const kinds[] = {"Deployment", "StatefulSet", "ReplicaSet", NULL};
	int kind = 0;
	if (ld_want_map(L, v, "scaleTargetRef") || ld_check_keys(L, v, keys, "scaleTargetRef") ||
	    !ld_need(L, v, "kind", "scaleTargetRef") || ld_get_enum(L, v, "kind", kinds, &kind) ||
	    !ld_need(L, v, "name", "scaleTargetRef") || !ld_scalar(L, yt_get(v, "name"), "name"))
		return -1;
	return 0;
}

/* target: {type: Utilization, averageUtilization: 70} or {type: AverageValue, averageValue: 500m}. */
static int load_target(struct ld *L, const struct ynode *v, struct scn_hpa_metric *m, parse_fn unit)
{
	static const char *const keys[] = {"type", "averageUtilization", "averageValue", "value", NULL};
	static const char *const types[] = {"Utilization", "AverageValue", "Value", NULL};
	int type = 0;
	if (ld_want_map(L, v, "target") || ld_check_keys(L, v, keys, "target") || !ld_need(L, v, "type", "target") ||
	    ld_get_enum(L, v, "type", types, &type))
		return -1;
	const struct ynode *t = yt_get(v, "type");
	if (type == 2)
		return yt_err(L->e, t, "type: Value targets are for Object and External metrics, which headroom does not model");
	if (type == 0) {
		if (m->kind == HPA_METRIC_PODS)
			return yt_err(L->e, t, "type: a Pods metric takes an AverageValue target");
		if (yt_get(v, "averageValue"))
			return yt_err(L->e, yt_get(v, "averageValue"), "averageValue: not with type Utilization (use averageUtilization)");
		int64_t u = 0;
		if (!ld_need(L, v, "averageUtilization", "a Utilization target") ||
		    ld_get_int(L, v, "averageUtilization", 1, 100000, &u))
			return -1;
		m->target = HPA_TARGET_UTILIZATION;
		m->utilization = (int32_t)u;
	} else {
		if (yt_get(v, "averageUtilization"))
			return yt_err(L->e, yt_get(v, "averageUtilization"),
				      "averageUtilization: not with type AverageValue (use averageValue)");
		if (!ld_need(L, v, "averageValue", "an AverageValue target") ||
		    ld_get_num(L, v, "averageValue", unit, 0, 1e15, true, &m->average_value))
			return -1;
		m->target = HPA_TARGET_AVERAGE_VALUE;
	}
	if (yt_get(v, "value"))
		return yt_err(L->e, yt_get(v, "value"), "value: only Object and External metrics take a value");
	return 0;
}

/* A Pods metric's value is a plain Kubernetes quantity (100, 500m). */
static int plain_quantity(const char *s, double *out, char why[UNITS_WHY])
{
	return units_cpu(s, out, why) ? units_number(s, out, why) : 0;
}

static int load_metric(struct ld *L, const struct ynode *v, struct scn_hpa_metric *m)
{
	static const char *const keys[] = {"type", "resource", "pods", "object", "external", "containerResource", NULL};
	static const char *const types[] = {"Resource", "Pods", "Object", "External", "ContainerResource", NULL};
	static const char *const rkeys[] = {"name", "target", NULL};
	static const char *const pkeys[] = {"metric", "target", NULL};
	static const char *const mkeys[] = {"name", "selector", NULL};
	static const char *const res[] = {"cpu", "memory", NULL};
	int type = 0;
	m->line = v->line;
	m->col = v->col;
	if (ld_want_map(L, v, "a metric") || ld_check_keys(L, v, keys, "a metric") || !ld_need(L, v, "type", "a metric") ||
	    ld_get_enum(L, v, "type", types, &type))
		return -1;
	if (type >= 2)
		return yt_err(L->e, yt_get(v, "type"),
			      "type: %s metrics are not modelled by headroom (it models Resource cpu/memory and Pods)",
			      types[type]);
	if (type == 0) {
		const struct ynode *r = ld_need(L, v, "resource", "a Resource metric");
		int which = 0;
		m->kind = HPA_METRIC_RESOURCE;
		if (!r || ld_want_map(L, r, "resource") || ld_check_keys(L, r, rkeys, "resource") ||
		    !ld_need(L, r, "name", "resource") || ld_get_enum(L, r, "name", res, &which) ||
		    !ld_need(L, r, "target", "resource"))
			return -1;
		m->resource = (enum hpa_resource)which;
		return load_target(L, yt_get(r, "target"), m, which == 0 ? units_cpu : units_memory);
	}
	const struct ynode *p = ld_need(L, v, "pods", "a Pods metric"), *mm;
	m->kind = HPA_METRIC_PODS;
	if (!p || ld_want_map(L, p, "pods") || ld_check_keys(L, p, pkeys, "pods") ||
	    !(mm = ld_need(L, p, "metric", "pods")) || ld_want_map(L, mm, "metric") ||
	    ld_check_keys(L, mm, mkeys, "metric") || !ld_need(L, mm, "name", "metric") ||
	    !ld_scalar(L, yt_get(mm, "name"), "name") || !ld_need(L, p, "target", "pods"))
		return -1;
	if (yt_get(mm, "selector"))
		return yt_err(L->e, yt_get(mm, "selector"),
			      "selector: metric label selectors are not modelled (headroom's Pods metric is each pod's requests per second)");
	m->name = xstrdup(yt_get(mm, "name")->s);
	return load_target(L, yt_get(p, "target"), m, plain_quantity);
}

static int load_rules(struct ld *L, const struct ynode *v, const char *in, struct scn_hpa_rules *r)
{
	static const char *const keys[] = {"stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance", NULL};
	static const char *const pkeys[] = {"type", "value", "periodSeconds", NULL};
	static const char *const selects[] = {"Max", "Min", "Disabled", NULL};
	static const char *const ptypes[] = {"Pods", "Percent", NULL};
	if (ld_want_map(L, v, in) || ld_check_keys(L, v, keys, in))
		return -1;
	int64_t w = 0;
	int sel = HPA_SELECT_MAX;
	if (yt_get(v, "stabilizationWindowSeconds")) {
		if (ld_get_int(L, v, "stabilizationWindowSeconds", 0, 3600, &w))
			return -1;
		r->has_stabilization = true;
		r->stabilization = w * SIM_S;
	}
	if (ld_get_enum(L, v, "selectPolicy", selects, &sel))
		return -1;
	r->select = (enum hpa_select)sel;
	if (yt_get(v, "tolerance")) {
		if (ld_get_num(L, v, "tolerance", plain_quantity, 0, 1e6, false, &r->tolerance))
			return -1;
		r->has_tolerance = true;
	}
	const struct ynode *ps = yt_get(v, "policies");
	if (!ps)
		return 0;
	if (ld_want_seq(L, ps, "policies"))
		return -1;
	if (ps->n == 0)
		return yt_err(L->e, ps, "policies: must not be empty (leave it out for the defaults)");
	if (ps->n > MAX_POLICIES)
		return yt_err(L->e, ps, "policies: %zu is too many (at most %d)", ps->n, MAX_POLICIES);
	r->policies = xcalloc(ps->n, sizeof *r->policies);
	for (size_t i = 0; i < ps->n; i++) {
		const struct ynode *p = ps->kid[i];
		int type = 0;
		int64_t val = 0, period = 0;
		if (ld_want_map(L, p, "a policy") || ld_check_keys(L, p, pkeys, "a policy") ||
		    !ld_need(L, p, "type", "a policy") || !ld_need(L, p, "value", "a policy") ||
		    !ld_need(L, p, "periodSeconds", "a policy") || ld_get_enum(L, p, "type", ptypes, &type) ||
		    ld_get_int(L, p, "value", 1, 1000000, &val) || ld_get_int(L, p, "periodSeconds", 1, 1800, &period))
			return -1;
		r->policies[r->n_policies++] =
			(struct scn_hpa_policy){(enum hpa_policy_kind)type, (int32_t)val, period * SIM_S};
	}
	return 0;
}

static int load_behavior(struct ld *L, const struct ynode *v, struct scn_hpa *h)
{
	static const char *const keys[] = {"scaleUp", "scaleDown", NULL};
	if (ld_want_map(L, v, "behavior") || ld_check_keys(L, v, keys, "behavior"))
		return -1;
	h->has_behavior = true;
	const struct ynode *n;
	if (((n = yt_get(v, "scaleUp")) && load_rules(L, n, "scaleUp", &h->up)) ||
	    ((n = yt_get(v, "scaleDown")) && load_rules(L, n, "scaleDown", &h->down)))
		return -1;
	return 0;
}

static int load_hpa_spec(struct ld *L, const struct ynode *v, struct scn_hpa *h)
{
	static const char *const keys[] = {"scaleTargetRef", "minReplicas", "maxReplicas", "metrics", "behavior", NULL};
	int64_t lo = 1, hi = 0;
	if (ld_want_map(L, v, "spec") || ld_check_keys(L, v, keys, "the HPA's spec") ||
	    !ld_need(L, v, "scaleTargetRef", "spec") || load_target_ref(L, yt_get(v, "scaleTargetRef")) ||
	    ld_get_int(L, v, "minReplicas", 1, MAX_HPA_REPLICAS, &lo) || !ld_need(L, v, "maxReplicas", "spec") ||
	    ld_get_int(L, v, "maxReplicas", 1, MAX_HPA_REPLICAS, &hi))
		return -1;
	if (hi < lo)
		return yt_err(L->e, yt_get(v, "maxReplicas"), "maxReplicas (%lld) must be >= minReplicas (%lld)",
			      (long long)hi, (long long)lo);
	h->min_replicas = (int32_t)lo;
	h->max_replicas = (int32_t)hi;
	const struct ynode *ms = yt_get(v, "metrics"), *b;
	if (ms) {
		if (ld_want_seq(L, ms, "metrics"))
			return -1;
		if (ms->n > 8)
			return yt_err(L->e, ms, "metrics: %zu is too many (at most 8)", ms->n);
		h->metrics = xcalloc(ms->n ? ms->n : 1, sizeof *h->metrics);
		for (size_t i = 0; i < ms->n; i++) {
			h->n_metrics++;
			if (load_metric(L, ms->kid[i], &h->metrics[i]))
				return -1;
		}
	}
	if ((b = yt_get(v, "behavior")) && load_behavior(L, b, h))
		return -1;
	return 0;
}

static int load_manifest(struct ld *L, const struct ynode *v, struct scn_hpa *h)
{
	static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
	const struct ynode *n;
	if (ld_want_map(L, v, "an HPA manifest") || ld_check_keys(L, v, keys, "the HPA manifest") ||
	    !ld_need(L, v, "apiVersion", "the HPA manifest") || want_word(L, v, "apiVersion", "autoscaling/v2") ||
	    !ld_need(L, v, "kind", "the HPA manifest") || want_word(L, v, "kind", "HorizontalPodAutoscaler") ||
	    ((n = yt_get(v, "metadata")) && load_metadata(L, n, h)) || !(n = ld_need(L, v, "spec", "the HPA manifest")))
		return -1;
	return load_hpa_spec(L, n, h);
}

/* A manifest in its own file, whose positions are the file's. */
static int load_hpa_file(struct ld *L, const struct ynode *f, struct scn_hpa *h)
{
	const char *name = ld_scalar(L, f, "file");
	if (!name)
		return -1;
	char *path = ld_path(L, name);
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		yt_err(L->e, f, "file: cannot read the HPA manifest '%s' (%s): %s", name, path, strerror(errno));
		free(path);
		return -1;
	}
	char *text = NULL;
	size_t len = 0, cap = 0, k;
	char buf[8192];
	while ((k = fread(buf, 1, sizeof buf, fp)) > 0 && len < (4u << 20)) {
		if (len + k + 1 > cap) {
			cap = 2 * (len + k + 1);
			text = xrealloc(text, cap);
		}
		memcpy(text + len, buf, k);
		len += k;
	}
	fclose(fp);
	struct ytree t;
	int rc = yt_parse(&t, path, 1, text ? text : "", len, L->e);
	free(text);
	if (!rc && !t.root)
		rc = herr_at(L->e, path, 0, 0, "empty: expected an autoscaling/v2 HorizontalPodAutoscaler");
	if (!rc)
		rc = load_manifest(L, t.root, h);
	yt_free(&t);
	free(path);
	return rc;
}

int ld_load_hpa(struct ld *L, const struct ynode *v, struct scn_service *s)
{
	struct scn_hpa *h = &s->hpa;
	h->enabled = true;
	h->name = xstrdup(s->name);
	if (ld_want_map(L, v, "hpa"))
		return -1;
	const struct ynode *f = yt_get(v, "file");
	if (f) {
		if (v->n != 1)
			return yt_err(L->e, v, "hpa: either {file: path} or a manifest, not both");
		return load_hpa_file(L, f, h);
	}
	return load_manifest(L, v, h);
}

/* ---- pods and nodes ---- */

int ld_load_startup(struct ld *L, const struct ynode *v, struct scn_service *s)
{
	static const char *const keys[] = {"image_pull", "container_start", "app_start", "readinessProbe",
					   "terminationGracePeriodSeconds", NULL};
	static const char *const pkeys[] = {"first", "cached", NULL};
	static const char *const rkeys[] = {"initialDelaySeconds", "periodSeconds", "successThreshold",
					    "failureThreshold", "timeoutSeconds", NULL};
	struct scn_startup *st = &s->startup;
	const struct ynode *n;
	if (ld_want_map(L, v, "startup") || ld_check_keys(L, v, keys, "startup"))
		return -1;
	if ((n = yt_get(v, "image_pull"))) {
		if (ld_want_map(L, n, "image_pull") || ld_check_keys(L, n, pkeys, "image_pull") ||
		    (yt_get(n, "first") && ld_load_dist(L, yt_get(n, "first"), "first", &st->image_pull_first)) ||
		    (yt_get(n, "cached") && ld_load_dist(L, yt_get(n, "cached"), "cached", &st->image_pull_cached)))
			return -1;
	}
	if (((n = yt_get(v, "container_start")) && ld_load_dist(L, n, "container_start", &st->container_start)) ||
	    ((n = yt_get(v, "app_start")) && ld_load_dist(L, n, "app_start", &st->app_start)))
		return -1;
	if ((n = yt_get(v, "readinessProbe"))) {
		int64_t d = 0, p = 10, ok = 1, bad = 3, to = 1;
		if (ld_want_map(L, n, "readinessProbe") || ld_check_keys(L, n, rkeys, "readinessProbe") ||
		    ld_get_int(L, n, "initialDelaySeconds", 0, 3600, &d) || ld_get_int(L, n, "periodSeconds", 1, 3600, &p) ||
		    ld_get_int(L, n, "successThreshold", 1, 100, &ok) || ld_get_int(L, n, "failureThreshold", 1, 100, &bad) ||
		    ld_get_int(L, n, "timeoutSeconds", 1, 3600, &to))
			return -1;
		st->probe_initial_delay = d * SIM_S;
		st->probe_period = p * SIM_S;
		st->probe_success_threshold = (int)ok;
		st->probe_failure_threshold = (int)bad;
	}
	int64_t g = st->termination_grace / SIM_S;
	if (ld_get_int(L, v, "terminationGracePeriodSeconds", 0, 86400, &g))
		return -1;
	st->termination_grace = g * SIM_S;
	return 0;
}

int ld_load_memory_usage(struct ld *L, const struct ynode *v, struct scn_service *s)
{
	static const char *const keys[] = {"idle", "per_request", NULL};
	if (ld_want_map(L, v, "memory_usage") || ld_check_keys(L, v, keys, "memory_usage") ||
	    ld_get_num(L, v, "idle", units_memory, 0, 0x1p44, false, &s->memory_base) ||
	    ld_get_num(L, v, "per_request", units_memory, 0, 0x1p40, false, &s->memory_per_request))
		return -1;
	return 0;
}

static int load_group(struct ld *L, const struct ynode *v, struct scn_nodes *g)
{
	static const char *const keys[] = {"name", "count", "allocatable", "imageCached", NULL};
	static const char *const akeys[] = {"cpu", "memory", "pods", NULL};
	static const char *const bools[] = {"false", "true", NULL};
	int64_t count = 1, pods = 110;
	int cached = 0;
	const struct ynode *a, *n;
	if (ld_want_map(L, v, "a node group") || ld_check_keys(L, v, keys, "a node group") ||
	    !(n = ld_need(L, v, "name", "a node group")) || !ld_scalar(L, n, "name") ||
	    ld_get_int(L, v, "count", 1, 5000, &count) || ld_get_enum(L, v, "imageCached", bools, &cached) ||
	    !(a = ld_need(L, v, "allocatable", "a node group")) || ld_want_map(L, a, "allocatable") ||
	    ld_check_keys(L, a, akeys, "allocatable") || !ld_need(L, a, "cpu", "allocatable") ||
	    !ld_need(L, a, "memory", "allocatable") || ld_get_num(L, a, "cpu", units_cpu, 0, 1024, true, &g->cpu) ||
	    ld_get_num(L, a, "memory", units_memory, 0, 0x1p46, true, &g->memory) ||
	    ld_get_int(L, a, "pods", 1, 10000, &pods))
		return -1;
	g->name = xstrdup(n->s);
	g->count = (int)count;
	g->max_pods = (int)pods;
	g->image_cached = cached;
	return 0;
}

int ld_load_cluster(struct ld *L, const struct ynode *v)
{
	static const char *const keys[] = {"nodes", "scheduler", "daemonsets", NULL};
	static const char *const skeys[] = {"scoringStrategy", NULL};
	static const char *const dkeys[] = {"cpu", "memory", NULL};
	static const char *const strategies[] = {"LeastAllocated", "MostAllocated", NULL};
	struct scn_cluster *c = &L->sc->cluster;
	const struct ynode *n, *ns;
	if (ld_want_map(L, v, "cluster") || ld_check_keys(L, v, keys, "cluster") ||
	    !(ns = ld_need(L, v, "nodes", "cluster")) || ld_want_seq(L, ns, "nodes"))
		return -1;
	if (!ns->n)
		return yt_err(L->e, ns, "nodes: a cluster needs at least one node group");
	if (ns->n > 100)
		return yt_err(L->e, ns, "nodes: %zu groups is too many (at most 100)", ns->n);
	c->enabled = true;
	c->groups = xcalloc(ns->n, sizeof *c->groups);
	for (size_t i = 0; i < ns->n; i++) {
		c->n_groups++;
		if (load_group(L, ns->kid[i], &c->groups[i]))
			return -1;
	}
	int st = SCN_LEAST_ALLOCATED;
	if ((n = yt_get(v, "scheduler")) &&
	    (ld_want_map(L, n, "scheduler") || ld_check_keys(L, n, skeys, "scheduler") ||
	     ld_get_enum(L, n, "scoringStrategy", strategies, &st)))
		return -1;
	c->strategy = (enum scn_strategy)st;
	if ((n = yt_get(v, "daemonsets")) &&
	    (ld_want_map(L, n, "daemonsets") || ld_check_keys(L, n, dkeys, "daemonsets") ||
	     ld_get_num(L, n, "cpu", units_cpu, 0, 1024, false, &c->daemonset_cpu) ||
	     ld_get_num(L, n, "memory", units_memory, 0, 0x1p46, false, &c->daemonset_memory)))
		return -1;
	return 0;
}

int ld_load_controllers(struct ld *L, const struct ynode *v)
{
	static const char *const keys[] = {"metrics-server", "kube-controller-manager", NULL};
	static const char *const mkeys[] = {"metric-resolution", "first-scrape", NULL};
	static const char *const kkeys[] = {"horizontal-pod-autoscaler-sync-period",
					    "horizontal-pod-autoscaler-tolerance",
					    "horizontal-pod-autoscaler-downscale-stabilization",
					    "horizontal-pod-autoscaler-cpu-initialization-period",
					    "horizontal-pod-autoscaler-initial-readiness-delay",
					    "first-hpa-sync",
					    NULL};
	struct scn_control *c = &L->sc->control;
	const struct ynode *n;
	if (ld_want_map(L, v, "controllers") || ld_check_keys(L, v, keys, "controllers"))
		return -1;
	if ((n = yt_get(v, "metrics-server")) &&
	    (ld_want_map(L, n, "metrics-server") || ld_check_keys(L, n, mkeys, "metrics-server") ||
	     ld_get_dur(L, n, "metric-resolution", 10 * SIM_S, SIM_HOUR, false, &c->metric_resolution) ||
	     ld_get_dur(L, n, "first-scrape", 0, SIM_HOUR, false, &c->scrape_offset)))
		return -1;
	if ((n = yt_get(v, "kube-controller-manager")) &&
	    (ld_want_map(L, n, "kube-controller-manager") || ld_check_keys(L, n, kkeys, "kube-controller-manager") ||
	     ld_get_dur(L, n, kkeys[0], SIM_S, SIM_HOUR, false, &c->sync_period) ||
	     ld_get_num(L, n, kkeys[1], units_number, 0, 10, false, &c->tolerance) ||
	     ld_get_dur(L, n, kkeys[2], 0, 24 * SIM_HOUR, false, &c->downscale_stabilization) ||
	     ld_get_dur(L, n, kkeys[3], 0, 24 * SIM_HOUR, false, &c->cpu_initialization_period) ||
	     ld_get_dur(L, n, kkeys[4], 0, 24 * SIM_HOUR, false, &c->initial_readiness_delay) ||
	     ld_get_dur(L, n, kkeys[5], 0, SIM_HOUR, false, &c->hpa_offset)))
		return -1;
	return 0;
}

void ld_finish_k8s(struct scenario *sc)
{
	const struct scn_control *c = &sc->control;
	for (size_t i = 0; i < sc->n_services; i++) {
		struct scn_hpa *h = &sc->services[i].hpa;
		if (!h->enabled)
			continue;
		h->sync_period = c->sync_period;
		h->tolerance = c->tolerance;
		h->downscale_stabilization = c->downscale_stabilization;
		h->cpu_initialization_period = c->cpu_initialization_period;
		h->initial_readiness_delay = c->initial_readiness_delay;
		h->scale_up_limit_factor = 2.0;
		h->scale_up_limit_minimum = 4.0;
	}
}

void ld_free_k8s(struct scenario *sc)
{
	for (size_t i = 0; i < sc->n_services; i++) {
		struct scn_hpa *h = &sc->services[i].hpa;
		for (size_t j = 0; j < h->n_metrics; j++)
			free(h->metrics[j].name);
		free(h->metrics);
		free(h->up.policies);
		free(h->down.policies);
		free(h->name);
	}
	for (size_t g = 0; g < sc->cluster.n_groups; g++)
		free(sc->cluster.groups[g].name);
	free(sc->cluster.groups);
}
