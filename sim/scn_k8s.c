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
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_impl.h"
#include "scheduler.h"

#define MAX_HPA_REPLICAS 10000
#define MAX_POLICIES 16

/* Whether an error message starts with "path:line:" (located in a file). */
static bool located(const char *msg)
{
	const char *c = strchr(msg, ':');
	return c && c[1] >= '0' && c[1] <= '9';
}

int ld_load_csv(struct ld *L, const struct ynode *n, const char *k,
		int (*load)(struct catalog *c, const char *path, struct herr *e))
{
	const char *name = ld_scalar(L, n, k);
	if (!name)
		return -1;
	char *path = ld_path(L, n, k, name);
	if (!path)
		return -1;
	struct herr ce;
	int rc = load(&L->sc->cluster.catalog, path, &ce);
	free(path);
	if (!rc)
		return 0;
	/* The file's own file:line:col when it has one, else the YAML's. */
	if (located(ce.msg))
		*L->e = ce;
	else
		yt_err(L->e, n, "%s: %s", k, ce.msg);
	return -1;
}

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
	/* apps/v1 defaulting of a Deployment's strategy. */
	s->rollout = (struct scn_rollout){ROLLOUT_ROLLING_UPDATE, {true, 25}, {true, 25}};
	s->safe_to_evict = true;
	s->pdb = -1;
}

/* ---- the HPA manifest ---- */

int ld_want_word(struct ld *L, const struct ynode *m, const char *k, const char *want)
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

static int load_target_ref(struct ld *L, const struct ynode *v, struct scn_hpa *h)
{
	static const char *const keys[] = {"apiVersion", "kind", "name", NULL};
	static const char *const kinds[] = {"Deployment", "StatefulSet", "ReplicaSet", "Rollout", NULL};
	int kind = 0;
	if (ld_want_map(L, v, "scaleTargetRef") || ld_check_keys(L, v, keys, "scaleTargetRef") ||
	    !ld_need(L, v, "kind", "scaleTargetRef") || ld_get_enum(L, v, "kind", kinds, &kind) ||
	    !ld_need(L, v, "name", "scaleTargetRef") || !ld_scalar(L, yt_get(v, "name"), "name"))
		return -1;
	h->ref_kind = 1 + kind;
	return 0;
}

/* A Value target (External metrics only): {type: Value, value: 10}. */
static int load_value_target(struct ld *L, const struct ynode *v, struct scn_hpa_metric *m, parse_fn unit)
{
	const struct ynode *t = yt_get(v, "type");
	if (m->kind != HPA_METRIC_EXTERNAL)
		return yt_err(L->e, t, "type: Value targets are for Object and External metrics (headroom models "
				       "External ones)");
	if (yt_get(v, "averageValue") || yt_get(v, "averageUtilization"))
		return yt_err(L->e, yt_get(v, "averageValue") ? yt_get(v, "averageValue") : yt_get(v, "averageUtilization"),
			      "%s: not with type Value (use value)",
			      yt_get(v, "averageValue") ? "averageValue" : "averageUtilization");
	m->target = HPA_TARGET_VALUE;
	return !ld_need(L, v, "value", "a Value target") || ld_get_num(L, v, "value", unit, 0, 1e15, true, &m->value)
		       ? -1
		       : 0;
}

/* target: {type: Utilization, averageUtilization: 70}, {type: AverageValue,
 * averageValue: 500m} or (External) {type: Value, value: 10}. */
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
		return load_value_target(L, v, m, unit);
	if (type == 0) {
		if (m->kind != HPA_METRIC_RESOURCE)
			return yt_err(L->e, t, "type: %s metric takes an AverageValue target%s",
				      m->kind == HPA_METRIC_PODS ? "a Pods" : "an External",
				      m->kind == HPA_METRIC_PODS ? "" : " or a Value target");
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
		return yt_err(L->e, yt_get(v, "value"), "value: only with type Value (of an Object or External metric)");
	return 0;
}

/* A Pods metric's value is a plain Kubernetes quantity (100, 500m). */
static int plain_quantity(const char *s, double *out, char why[UNITS_WHY])
{
	return units_cpu(s, out, why) ? units_number(s, out, why) : 0;
}

/*
 * external: {metric: {name, selector}, target}: the series of the
 * scenario's external_metrics with that name and labels the selector
 * matches (KEDA's HPA selects by scaledobject.keda.sh/name).
 */
static int load_external(struct ld *L, const struct ynode *v, struct scn_hpa_metric *m)
{
	static const char *const keys[] = {"metric", "target", NULL};
	static const char *const mkeys[] = {"name", "selector", NULL};
	const struct ynode *x = ld_need(L, v, "external", "an External metric"), *mm, *sn;
	const char *name;
	m->kind = HPA_METRIC_EXTERNAL;
	if (!x || ld_want_map(L, x, "external") || ld_check_keys(L, x, keys, "external") ||
	    !(mm = ld_need(L, x, "metric", "external")) || ld_want_map(L, mm, "metric") ||
	    ld_check_keys(L, mm, mkeys, "metric") || !ld_need(L, mm, "name", "metric") ||
	    !(name = ld_string(L, yt_get(mm, "name"), "name")) || !ld_need(L, x, "target", "external") ||
	    load_target(L, yt_get(x, "target"), m, plain_quantity))
		return -1;
	m->name = xstrdup(name);
	struct scn_selector sel = {0};
	int rc = (sn = yt_get(mm, "selector")) ? ld_load_selector(L, sn, "selector", &sel) : 0;
	if (!rc)
		rc = ld_match_external(L, yt_get(mm, "name"), sn ? &sel : NULL, m);
	if (!rc)
		rc = ld_kafka_check_target(L, yt_get(x, "target"), m);
	ld_free_selector(&sel);
	return rc;
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
	if (type == 3)
		return load_external(L, v, m);
	if (type >= 2)
		return yt_err(L->e, yt_get(v, "type"),
			      "type: %s metrics are not modelled by headroom (it models Resource cpu/memory, Pods and "
			      "External)",
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
	    !ld_need(L, v, "scaleTargetRef", "spec") || load_target_ref(L, yt_get(v, "scaleTargetRef"), h) ||
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
	    !ld_need(L, v, "apiVersion", "the HPA manifest") || ld_want_word(L, v, "apiVersion", "autoscaling/v2") ||
	    !ld_need(L, v, "kind", "the HPA manifest") || ld_want_word(L, v, "kind", "HorizontalPodAutoscaler") ||
	    ((n = yt_get(v, "metadata")) && load_metadata(L, n, h)) || !(n = ld_need(L, v, "spec", "the HPA manifest")))
		return -1;
	return load_hpa_spec(L, n, h);
}


int ld_read_manifests(struct ld *L, const struct ynode *f, const char *what, struct ytree *t)
{
	memset(t, 0, sizeof *t);
	const char *name = ld_scalar(L, f, "file");
	if (!name)
		return -1;
	char *path = ld_path(L, f, "file", name);
	if (!path)
		return -1;
	char why[160];
	size_t len = 0;
	char *text = file_slurp(path, FILE_MAX_MANIFEST, &len, why, sizeof why);
	int rc = 0;
	if (!text)
		rc = yt_err(L->e, f, "file: %s '%s' (%s): %s", what, name, path, why);
	if (!rc)
		rc = yt_parse_stream(t, path, 1, text ? text : "", len, L->e);
	free(text);
	free(path);
	return rc;
}

int ld_each_manifest(struct ld *L, const struct ynode *v, const char *what, const char *empty,
		     int (*one)(struct ld *L, const struct ynode *doc, void *ctx), void *ctx)
{
	if (ld_want_map(L, v, what))
		return -1;
	const struct ynode *f = yt_get(v, "file");
	if (!f)
		return one(L, v, ctx);
	if (v->n != 1)
		return yt_err(L->e, v, "%s: either {file: path} or a manifest, not both", what);
	char in[80];
	snprintf(in, sizeof in, "%s manifest", what);
	struct ytree t;
	if (ld_read_manifests(L, f, in, &t))
		return -1;
	int rc = 0;
	if (!t.root || !t.root->n)
		rc = herr_at(L->e, t.srcs[0], 0, 0, "empty: expected %s", empty);
	for (size_t i = 0; !rc && t.root && i < t.root->n; i++)
		rc = one(L, t.root->kid[i], ctx);
	yt_free(&t);
	return rc;
}

/* A manifest in its own file, whose positions are the file's. */
static int load_hpa_file(struct ld *L, const struct ynode *f, struct scn_hpa *h)
{
	struct ytree t;
	if (ld_read_manifests(L, f, "an HPA manifest", &t))
		return -1;
	int rc;
	if (!t.root || !t.root->n)
		rc = herr_at(L->e, t.srcs[0], 0, 0, "empty: expected an autoscaling/v2 HorizontalPodAutoscaler");
	else if (t.root->n > 1)
		rc = yt_err(L->e, t.root->kid[1], "a second document: an HPA file holds one HorizontalPodAutoscaler");
	else
		rc = load_manifest(L, t.root->kid[0], h);
	yt_free(&t);
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
		    (yt_get(n, "first") && ld_load_delay(L, yt_get(n, "first"), "first", &st->image_pull_first)) ||
		    (yt_get(n, "cached") && ld_load_delay(L, yt_get(n, "cached"), "cached", &st->image_pull_cached)))
			return -1;
	}
	if (((n = yt_get(v, "container_start")) && ld_load_delay(L, n, "container_start", &st->container_start)) ||
	    ((n = yt_get(v, "app_start")) && ld_load_delay(L, n, "app_start", &st->app_start)))
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

static const struct instance_type *find_type(struct ld *L, const struct ynode *v, const char *k)
{
	const struct catalog *cat = &L->sc->cluster.catalog;
	const char *name = ld_scalar(L, v, k);
	if (!name)
		return NULL;
	if (!cat->n) {
		yt_err(L->e, v, "%s: instance types need a catalog: set cluster.catalog (e.g. catalogs/ec2-us-east-1.csv)", k);
		return NULL;
	}
	const struct instance_type *t = catalog_find(cat, name);
	if (!t) {
		char msg[512];
		yt_err(L->e, v, "%s: %s", k, catalog_unknown_msg(cat, name, msg, sizeof msg));
	}
	return t;
}

static int load_group(struct ld *L, const struct ynode *v, struct scn_nodes *g)
{
	static const char *const keys[] = {"name", "count", "allocatable", "instance", "imageCached", "zone", "labels",
					   "taints", NULL};
	static const char *const akeys[] = {"cpu", "memory", "pods", NULL};
	static const char *const bools[] = {"false", "true", NULL};
	int64_t count = 1, pods = 110;
	int cached = 0;
	const struct ynode *a, *n, *it;
	if (ld_want_map(L, v, "a node group") || ld_check_keys(L, v, keys, "a node group") ||
	    !(n = ld_need(L, v, "name", "a node group")) || !ld_scalar(L, n, "name") ||
	    ld_get_int(L, v, "count", 1, 5000, &count) || ld_get_enum(L, v, "imageCached", bools, &cached))
		return -1;
	g->name = xstrdup(n->s);
	g->count = (int)count;
	g->image_cached = cached;
	if (ld_load_node_meta(L, v, &g->meta))
		return -1;
	a = yt_get(v, "allocatable");
	it = yt_get(v, "instance");
	if (a && it)
		return yt_err(L->e, it, "instance: give either instance (allocatable from the catalog) or allocatable");
	if (it) {
		const struct instance_type *t = find_type(L, it, "instance");
		if (!t)
			return -1;
		snprintf(g->instance, sizeof g->instance, "%s", t->name);
		g->cpu = t->alloc_cpu;
		g->memory = t->alloc_mem;
		g->max_pods = t->alloc_pods;
		g->price_hour = t->price_hour;
		return 0;
	}
	if (!a)
		return yt_err(L->e, v, "a node group needs instance (from the catalog) or allocatable");
	if (ld_want_map(L, a, "allocatable") || ld_check_keys(L, a, akeys, "allocatable") ||
	    !ld_need(L, a, "cpu", "allocatable") || !ld_need(L, a, "memory", "allocatable") ||
	    ld_get_num(L, a, "cpu", units_cpu, 0, 1024, true, &g->cpu) ||
	    ld_get_num(L, a, "memory", units_memory, 0, 0x1p46, true, &g->memory) ||
	    ld_get_int(L, a, "pods", 1, 10000, &pods))
		return -1;
	g->max_pods = (int)pods;
	return 0;
}

/* ---- Karpenter NodePools ---- */

/* The value of requirement key `key` for type t, as text; NULL when the key
 * is not one headroom knows. */
static const char *label(const struct instance_type *t, const char *key, char *buf, size_t n)
{
	return catalog_label(t, key, buf, n);
}

static const char *label_or_empty(const struct instance_type *t, const char *key, char *buf, size_t n)
{
	const char *v = label(t, key, buf, n);
	return v ? v : "";
}

static bool req_allows(const struct scn_requirement *r, const char *v)
{
	bool in = false;
	for (size_t i = 0; i < r->n_values; i++)
		if (!strcmp(r->values[i], v))
			in = true;
	switch (r->op) {
	case REQ_IN:
		return in;
	case REQ_NOT_IN:
		return !in;
	case REQ_EXISTS:
		return true;
	case REQ_DOES_NOT_EXIST:
		return false;
	case REQ_GT:
		return atof(v) > atof(r->values[0]);
	case REQ_LT:
		return atof(v) < atof(r->values[0]);
	}
	return false;
}

static const char *const req_keys[] = {
	"node.kubernetes.io/instance-type",   "karpenter.k8s.aws/instance-family",
	"karpenter.k8s.aws/instance-category", "karpenter.k8s.aws/instance-size",
	"karpenter.k8s.aws/instance-generation", "karpenter.k8s.aws/instance-cpu",
	"karpenter.k8s.aws/instance-memory",   "kubernetes.io/arch",
	"kubernetes.io/os",                    "karpenter.sh/capacity-type",
	"topology.kubernetes.io/zone",         NULL};

static bool reserved_domain(const char *key);

static int load_requirement(struct ld *L, const struct ynode *v, struct scn_requirement *r, uint8_t *capacity)
{
	static const char *const keys[] = {"key", "operator", "values", "minValues", NULL};
	static const char *const ops[] = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", NULL};
	const struct ynode *k, *vals;
	int op = 0;
	int64_t mv = 0;
	if (ld_want_map(L, v, "a requirement") || ld_check_keys(L, v, keys, "a requirement") ||
	    !(k = ld_need(L, v, "key", "a requirement")) || !ld_scalar(L, k, "key") ||
	    !ld_need(L, v, "operator", "a requirement") || ld_get_enum(L, v, "operator", ops, &op) ||
	    ld_get_int(L, v, "minValues", 1, 1000, &mv))
		return -1;
	size_t j = 0;
	while (req_keys[j] && strcmp(req_keys[j], k->s))
		j++;
	if (!req_keys[j] && (reserved_domain(k->s) || ld_check_key(L, k, "key"))) {
		const char *near = ld_closest(k->s, req_keys);
		if (!reserved_domain(k->s))
			return -1;
		return yt_err(L->e, k, "key: '%s' is not a label headroom models%s%s%s", k->s, near ? "; did you mean '" : "",
			      near ? near : "", near ? "'?" : "");
	}
	r->key = xstrdup(k->s);
	r->op = (enum req_op)op;
	r->min_values = (int)mv;
	vals = yt_get(v, "values");
	if ((op == REQ_EXISTS || op == REQ_DOES_NOT_EXIST) && vals && vals->n)
		return yt_err(L->e, vals, "values: must be empty with %s", ops[op]);
	if (op != REQ_EXISTS && op != REQ_DOES_NOT_EXIST) {
		if (!vals)
			return yt_err(L->e, v, "a requirement with %s needs values", ops[op]);
		if (ld_want_seq(L, vals, "values"))
			return -1;
		if (!vals->n || ((op == REQ_GT || op == REQ_LT) && vals->n != 1))
			return yt_err(L->e, vals, "values: %s takes %s", ops[op],
				      op == REQ_GT || op == REQ_LT ? "exactly one number" : "at least one value");
		r->values = xcalloc(vals->n, sizeof *r->values);
		for (size_t i = 0; i < vals->n; i++) {
			const char *s = ld_scalar(L, vals->kid[i], "a value");
			if (!s)
				return -1;
			r->values[r->n_values++] = xstrdup(s);
		}
	}
	if (!strcmp(r->key, "karpenter.sh/capacity-type")) {
		*capacity &= (req_allows(r, "on-demand") ? SCN_ON_DEMAND : 0) | (req_allows(r, "spot") ? SCN_SPOT : 0);
		if (!*capacity)
			return yt_err(L->e, v, "karpenter.sh/capacity-type: the NodePool's requirements allow neither "
					       "on-demand nor spot (reserved capacity is not modelled)");
	}
	if (!strcmp(r->key, LD_ZONE_KEY))
		for (size_t i = 0; i < r->n_values; i++) {
			int z;
			if (ld_zone(L, vals->kid[i], "zone", &z))
				return -1;
		}
	/* A label of the user's own: the NodePool's nodes carry its one value. */
	if (!req_keys[j] && (op != REQ_IN || r->n_values != 1))
		return yt_err(L->e, yt_get(v, "operator"),
			      "key '%s': a requirement on a label of your own takes operator In with one value here (the "
			      "nodes then carry it); Karpenter would pick among several per pod, which is not modelled",
			      r->key);
	return 0;
}

/* Karpenter's restricted label domains: a key there that headroom does not
 * know is more likely a typo than a label of the user's. */
static bool reserved_domain(const char *key)
{
	static const char *const domains[] = {"kubernetes.io/", "k8s.io/", "karpenter.sh/", "karpenter.k8s.aws/", NULL};
	const char *slash = strchr(key, '/');
	if (!slash)
		return false;
	for (size_t i = 0; domains[i]; i++) {
		size_t n = strlen(domains[i]);
		size_t pre = (size_t)(slash - key) + 1;
		if (pre >= n && !strncmp(key + pre - n, domains[i], n) && (pre == n || key[pre - n - 1] == '.'))
			return true;
	}
	return false;
}

/* Cheapest offering first, then by name: an insertion sort with its
 * context passed in (qsort's comparator would need globals, and plans load
 * scenarios on several threads; a pool has at most the catalog's few
 * hundred types). */
static void sort_by_price(int *v, size_t n, const struct scn_cluster *c, const struct scn_nodepool *np)
{
	const struct catalog *cat = &c->catalog;
	for (size_t i = 1; i < n; i++) {
		int x = v[i];
		double px = scn_pool_price(c, np, x);
		size_t j = i;
		while (j > 0) {
			double py = scn_pool_price(c, np, v[j - 1]);
			if (py < px || (py == px && strcmp(cat->types[v[j - 1]].name, cat->types[x].name) <= 0))
				break;
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* The pool's capacity-type requirement in the list reqs, else at. */
static const struct ynode *capacity_req(const struct ynode *reqs, const struct ynode *at)
{
	for (size_t i = 0; reqs && reqs->kind == Y_SEQ && i < reqs->n; i++) {
		const struct ynode *k = yt_get(reqs->kid[i], "key");
		if (k && k->kind == Y_SCALAR && !strcmp(k->s, "karpenter.sh/capacity-type"))
			return reqs->kid[i];
	}
	return at;
}

/* The pool's types keep those with an offering it may launch; none is an
 * error, said so that a spot pool over a catalog without spot prices is
 * plain. */
static int offered_types(struct ld *L, const struct ynode *at, struct scn_nodepool *np)
{
	const struct scn_cluster *c = &L->sc->cluster;
	size_t n = 0, before = np->n_types;
	for (size_t i = 0; i < np->n_types; i++)
		if (scn_pool_price(c, np, np->types[i]) > 0)
			np->types[n++] = np->types[i];
	np->n_types = n;
	if (n)
		return 0;
	const char *ct = np->capacity == SCN_SPOT ? "spot " : np->capacity == SCN_ON_DEMAND ? "on-demand " : "";
	char src[600];
	if (c->catalog.offers_path)
		snprintf(src, sizeof src, "cluster.offerings (%s) lists none for them", c->catalog.offers_path);
	else
		snprintf(src, sizeof src, "%s gives %s; name an offerings file with cluster.offerings (e.g. "
					  "catalogs/ec2-us-east-1-spot.csv)%s",
			 c->catalog.path, np->capacity == SCN_SPOT ? "no spot_price_usd_hour" : "no offering",
			 np->capacity == SCN_SPOT ? " or allow on-demand" : "");
	return yt_err(L->e, capacity_req(at, at),
		      "NodePool '%s': none of the %zu instance types its requirements allow has a %soffering in its "
		      "zones: %s",
		      np->name, before, ct, src);
}

/* Allocatable of every catalog type under the pool's EC2NodeClass: the
 * catalog's figure (Karpenter's defaults) unless the kubelet settings
 * change maxPods or the reservations. */
static void pool_allocatable(struct ld *L, struct scn_nodepool *np)
{
	const struct catalog *cat = &L->sc->cluster.catalog;
	const struct scn_nodeclass *nc = np->nodeclass >= 0 ? &L->sc->cluster.karpenter.classes[np->nodeclass] : NULL;
	np->alloc_cpu = xcalloc(cat->n, sizeof *np->alloc_cpu);
	np->alloc_mem = xcalloc(cat->n, sizeof *np->alloc_mem);
	np->alloc_pods = xcalloc(cat->n, sizeof *np->alloc_pods);
	for (size_t i = 0; i < cat->n; i++) {
		const struct instance_type *t = &cat->types[i];
		int pods = nc && nc->max_pods > 0 ? nc->max_pods : t->max_pods;
		struct sched_instance si = {t->vcpu, t->memory_mib, pods, t->arm64};
		struct sched_alloc a = sched_eks_allocatable(&si, CATALOG_VM_OVERHEAD);
		if (nc) {
			if (nc->kube_reserved_cpu >= 0) /* replaces the tiered default */
				a.cpu = t->vcpu - nc->kube_reserved_cpu;
			if (nc->kube_reserved_mem >= 0)
				a.mem += (11.0 * pods + 255) * 1048576.0 - nc->kube_reserved_mem;
			a.cpu -= nc->system_reserved_cpu;
			a.mem += 100 * 1048576.0 - nc->system_reserved_mem - nc->eviction_mem;
		}
		np->alloc_cpu[i] = a.cpu;
		np->alloc_mem[i] = a.mem;
		np->alloc_pods[i] = a.pods;
	}
}

/* The catalog types the pool's requirements allow, cheapest first. */
static int resolve_pool(struct ld *L, const struct ynode *at, struct scn_nodepool *np)
{
	const struct catalog *cat = &L->sc->cluster.catalog;
	np->types = xcalloc(cat->n, sizeof *np->types);
	for (size_t i = 0; i < cat->n; i++) {
		bool ok = true;
		for (size_t r = 0; r < np->n_reqs && ok; r++) {
			char buf[32];
			const struct scn_requirement *q = &np->reqs[r];
			const char *v = label(&cat->types[i], q->key, buf, sizeof buf);
			if (!v) /* capacity type, zone, or a label of the user's */
				continue;
			ok = req_allows(q, v);
		}
		if (ok)
			np->types[np->n_types++] = (int)i;
	}
	if (!np->n_types)
		return yt_err(L->e, at, "NodePool '%s': its requirements match no instance type in %s", np->name, cat->path);
	if (offered_types(L, at, np))
		return -1;
	for (size_t r = 0; r < np->n_reqs; r++) {
		struct scn_requirement *q = &np->reqs[r];
		if (!q->min_values)
			continue;
		/* Each type's value of the key as a number: the first type with it. */
		q->value_ids = xcalloc(cat->n, sizeof *q->value_ids);
		for (size_t a = 0; a < cat->n; a++) {
			char b1[32], b2[32];
			const char *va = label_or_empty(&cat->types[a], q->key, b1, sizeof b1);
			size_t b = 0;
			while (b < a && strcmp(va, label_or_empty(&cat->types[b], q->key, b2, sizeof b2)))
				b++;
			q->value_ids[a] = (int)b;
		}
		size_t distinct = 0;
		for (size_t a = 0; a < np->n_types; a++) {
			bool seen = false;
			for (size_t b = 0; b < a && !seen; b++)
				seen = q->value_ids[np->types[a]] == q->value_ids[np->types[b]];
			distinct += !seen;
		}
		if (distinct < (size_t)q->min_values)
			return yt_err(L->e, at, "NodePool '%s': %s needs minValues %d but the allowed types have %zu", np->name,
				      q->key, q->min_values, distinct);
	}
	sort_by_price(np->types, np->n_types, &L->sc->cluster, np);
	pool_allocatable(L, np);
	return 0;
}

/* The zones a pool's requirements allow, as a mask of cluster.zones. */
static uint32_t pool_zones(const struct scenario *sc, const struct scn_nodepool *np)
{
	uint32_t mask = 0;
	for (size_t z = 0; z < sc->cluster.n_zones; z++) {
		bool ok = true;
		for (size_t r = 0; r < np->n_reqs; r++)
			if (!strcmp(np->reqs[r].key, LD_ZONE_KEY))
				ok &= req_allows(&np->reqs[r], sc->cluster.zones[z]);
		mask |= ok ? 1u << z : 0;
	}
	return mask;
}

/* What a NodePool puts on its nodes: template.metadata.labels, the one
 * value of each requirement on a label of the user's, template.spec.taints
 * (startupTaints are accepted: a node takes pods once they are gone, when
 * it is initialized); and the zones its requirements allow. */
static int pool_meta(struct ld *L, const struct ynode *tpl, const struct ynode *ts, const struct ynode *reqs,
		     struct scn_nodepool *np)
{
	static const char *const tmkeys[] = {"labels", "annotations", NULL};
	struct scn_node_meta *m = &np->meta;
	const struct ynode *n, *md = yt_get(tpl, "metadata");
	m->zone = -1;
	if (md && (ld_want_map(L, md, "template.metadata") || ld_check_keys(L, md, tmkeys, "template.metadata") ||
		   ((n = yt_get(md, "annotations")) && ld_check_annotations(L, n, "annotations")) ||
		   ((n = yt_get(md, "labels")) && ld_load_node_labels(L, n, &m->labels, &m->n_labels))))
		return -1;
	for (size_t r = 0; r < np->n_reqs; r++) {
		const struct scn_requirement *q = &np->reqs[r];
		bool known = false;
		for (size_t j = 0; req_keys[j]; j++)
			known |= !strcmp(req_keys[j], q->key);
		if (known)
			continue;
		m->labels = xrealloc(m->labels, (m->n_labels + 1) * sizeof *m->labels);
		m->labels[m->n_labels++] = (struct scn_label){xstrdup(q->key), xstrdup(q->values[0])};
	}
	if ((n = yt_get(ts, "taints")) && ld_load_taints(L, n, &m->taints, &m->n_taints))
		return -1;
	if ((n = yt_get(ts, "startupTaints"))) {
		struct scn_taint *st;
		size_t nst;
		int rc = ld_load_taints(L, n, &st, &nst);
		ld_free_taints(st, nst);
		if (rc)
			return -1;
	}
	m->zones = pool_zones(L->sc, np);
	if (!m->zones)
		return yt_err(L->e, reqs ? reqs : ts, "NodePool '%s': its requirements allow none of the cluster's zones",
			      np->name);
	return 0;
}

static int load_nodepool(struct ld *L, const struct ynode *v, struct scn_nodepool *np)
{
	static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
	static const char *const mkeys[] = {"name", "labels", "annotations", "uid", "resourceVersion", "generation",
					    "creationTimestamp", "managedFields", NULL};
	static const char *const skeys[] = {"template", "disruption", "limits", "weight", NULL};
	static const char *const tkeys[] = {"metadata", "spec", NULL};
	static const char *const tskeys[] = {"requirements", "nodeClassRef", "expireAfter", "terminationGracePeriod",
					     "taints", "startupTaints", NULL};
	static const char *const rkeys[] = {"group", "kind", "name", NULL};
	static const char *const dkeys[] = {"consolidationPolicy", "consolidateAfter", "budgets", NULL};
	static const char *const lkeys[] = {"cpu", "memory", "nodes", NULL};
	static const char *const policies[] = {"WhenEmpty", "WhenEmptyOrUnderutilized", NULL};
	const struct ynode *n, *spec, *tpl, *ts, *reqs;
	np->line = v->line;
	np->col = v->col;
	np->budget_pct = 10;
	np->budget_nodes = -1;
	np->policy = CONSOLIDATE_WHEN_EMPTY_OR_UNDERUTILIZED;
	np->expire_after = 720 * SIM_HOUR;
	if (ld_want_map(L, v, "a NodePool") || ld_check_keys(L, v, keys, "the NodePool") ||
	    !ld_need(L, v, "apiVersion", "the NodePool") || !ld_need(L, v, "kind", "the NodePool"))
		return -1;
	const struct ynode *av = yt_get(v, "apiVersion"), *kd = yt_get(v, "kind");
	if (!ld_scalar(L, av, "apiVersion") || !ld_scalar(L, kd, "kind"))
		return -1;
	if (strcmp(av->s, "karpenter.sh/v1"))
		return yt_err(L->e, av, "apiVersion: '%s' is not supported; headroom reads karpenter.sh/v1", av->s);
	if (strcmp(kd->s, "NodePool"))
		return yt_err(L->e, kd, "kind: '%s' is not supported; headroom reads NodePool", kd->s);
	if (!(n = ld_need(L, v, "metadata", "the NodePool")) || ld_want_map(L, n, "metadata") ||
	    ld_check_keys(L, n, mkeys, "metadata") || !ld_need(L, n, "name", "metadata") ||
	    !ld_scalar(L, yt_get(n, "name"), "name"))
		return -1;
	np->name = xstrdup(yt_get(n, "name")->s);
	int64_t weight = 0;
	if (!(spec = ld_need(L, v, "spec", "the NodePool")) || ld_want_map(L, spec, "spec") ||
	    ld_check_keys(L, spec, skeys, "the NodePool's spec") || ld_get_int(L, spec, "weight", 0, 100, &weight) ||
	    !(tpl = ld_need(L, spec, "template", "spec")) || ld_want_map(L, tpl, "template") ||
	    ld_check_keys(L, tpl, tkeys, "template") || !(ts = ld_need(L, tpl, "spec", "template")) ||
	    ld_want_map(L, ts, "template.spec") || ld_check_keys(L, ts, tskeys, "template.spec"))
		return -1;
	np->weight = (int)weight;
	np->capacity = SCN_ON_DEMAND | SCN_SPOT;
	if ((reqs = yt_get(ts, "requirements"))) {
		if (ld_want_seq(L, reqs, "requirements"))
			return -1;
		np->reqs = xcalloc(reqs->n ? reqs->n : 1, sizeof *np->reqs);
		for (size_t i = 0; i < reqs->n; i++) {
			np->n_reqs++;
			if (load_requirement(L, reqs->kid[i], &np->reqs[i], &np->capacity))
				return -1;
		}
	}
	if (pool_meta(L, tpl, ts, reqs, np))
		return -1;
	np->nodeclass = -1;
	if ((n = yt_get(ts, "nodeClassRef"))) {
		const struct ynode *nm;
		if (ld_want_map(L, n, "nodeClassRef") || ld_check_keys(L, n, rkeys, "nodeClassRef") ||
		    !(nm = ld_need(L, n, "name", "nodeClassRef")) || !ld_scalar(L, nm, "name"))
			return -1;
		const struct scn_karpenter *k = &L->sc->cluster.karpenter;
		for (size_t i = 0; i < k->n_classes; i++)
			if (!strcmp(k->classes[i].name, nm->s))
				np->nodeclass = (int)i;
		if (np->nodeclass < 0 && k->n_classes)
			return yt_err(L->e, nm, "name: no EC2NodeClass '%s' in karpenter.nodeclasses", nm->s);
	}
	if ((n = yt_get(ts, "expireAfter"))) {
		if (n->kind == Y_SCALAR && !strcmp(n->s, "Never"))
			np->expire_after = 0;
		else if (ld_get_dur(L, ts, "expireAfter", SIM_MIN, 100000 * SIM_HOUR, false, &np->expire_after))
			return -1;
	}
	if (ld_get_dur(L, ts, "terminationGracePeriod", SIM_S, 100000 * SIM_HOUR, false, &np->termination_grace))
		return -1;
	if ((n = yt_get(spec, "disruption"))) {
		int pol = np->policy;
		const struct ynode *ca = yt_get(n, "consolidateAfter"), *b;
		if (ld_want_map(L, n, "disruption") || ld_check_keys(L, n, dkeys, "disruption") ||
		    ld_get_enum(L, n, "consolidationPolicy", policies, &pol))
			return -1;
		np->policy = (enum consolidation_policy)pol;
		if (ca && ca->kind == Y_SCALAR && !strcmp(ca->s, "Never"))
			np->consolidation_off = true;
		else if (ld_get_dur(L, n, "consolidateAfter", 0, 100000 * SIM_HOUR, false, &np->consolidate_after))
			return -1;
		if ((b = yt_get(n, "budgets")) && ld_load_budgets(L, b, np))
			return -1;
	}
	ld_default_budgets(np);
	if ((n = yt_get(spec, "limits"))) {
		int64_t nodes = 0;
		if (ld_want_map(L, n, "limits") || ld_check_keys(L, n, lkeys, "limits") ||
		    ld_get_num(L, n, "cpu", units_cpu, 0, 1e7, true, &np->limit_cpu) ||
		    ld_get_num(L, n, "memory", units_memory, 0, 0x1p60, true, &np->limit_memory) ||
		    ld_get_int(L, n, "nodes", 1, 1000000, &nodes))
			return -1;
		np->limit_nodes = (int)nodes;
	}
	return resolve_pool(L, reqs ? reqs : ts, np);
}

/* The latencies named in keys, from mapping v (whose keys are checked by the caller). */
static int load_reserved(struct ld *L, const struct ynode *v, const char *in, double *cpu, double *mem)
{
	static const char *const keys[] = {"cpu", "memory", "ephemeral-storage", "pid", NULL};
	if (ld_want_map(L, v, in) || ld_check_keys(L, v, keys, in) ||
	    ld_get_num(L, v, "cpu", units_cpu, 0, 64, false, cpu) ||
	    ld_get_num(L, v, "memory", units_memory, 0, 0x1p40, false, mem))
		return -1;
	return 0;
}

static int load_nodeclass(struct ld *L, const struct ynode *v, struct scn_nodeclass *nc)
{
	static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
	static const char *const mkeys[] = {"name", "labels", "annotations", "uid", "resourceVersion", "generation",
					    "creationTimestamp", "managedFields", NULL};
	/* Fields with no effect on what headroom models (AMIs, networking, IAM,
	 * disks, tags) are accepted as they are; the kubelet's are read. */
	static const char *const skeys[] = {"kubelet", "amiFamily", "amiSelectorTerms", "role", "instanceProfile",
					    "subnetSelectorTerms", "securityGroupSelectorTerms", "capacityReservationSelectorTerms",
					    "tags", "blockDeviceMappings", "metadataOptions", "userData", "detailedMonitoring",
					    "associatePublicIPAddress", "instanceStorePolicy", "context", NULL};
	static const char *const kkeys[] = {"maxPods", "kubeReserved", "systemReserved", "evictionHard", "clusterDNS",
					    "imageGCHighThresholdPercent", "imageGCLowThresholdPercent", "cpuCFSQuota", NULL};
	static const char *const ekeys[] = {"memory.available", "nodefs.available", "nodefs.inodesFree",
					    "imagefs.available", "imagefs.inodesFree", "pid.available", NULL};
	const struct ynode *n, *spec, *kb;
	nc->kube_reserved_cpu = nc->kube_reserved_mem = -1;
	nc->eviction_mem = 100 * 1048576.0;
	if (ld_want_map(L, v, "an EC2NodeClass") || ld_check_keys(L, v, keys, "the EC2NodeClass") ||
	    !ld_need(L, v, "apiVersion", "the EC2NodeClass") || !ld_need(L, v, "kind", "the EC2NodeClass"))
		return -1;
	const struct ynode *av = yt_get(v, "apiVersion"), *kd = yt_get(v, "kind");
	if (!ld_scalar(L, av, "apiVersion") || !ld_scalar(L, kd, "kind"))
		return -1;
	if (strcmp(av->s, "karpenter.k8s.aws/v1"))
		return yt_err(L->e, av, "apiVersion: '%s' is not supported; headroom reads karpenter.k8s.aws/v1", av->s);
	if (strcmp(kd->s, "EC2NodeClass"))
		return yt_err(L->e, kd, "kind: '%s' is not supported; headroom reads EC2NodeClass", kd->s);
	if (!(n = ld_need(L, v, "metadata", "the EC2NodeClass")) || ld_want_map(L, n, "metadata") ||
	    ld_check_keys(L, n, mkeys, "metadata") || !ld_need(L, n, "name", "metadata") ||
	    !ld_scalar(L, yt_get(n, "name"), "name"))
		return -1;
	nc->name = xstrdup(yt_get(n, "name")->s);
	if (!(spec = yt_get(v, "spec")))
		return 0;
	if (ld_want_map(L, spec, "spec") || ld_check_keys(L, spec, skeys, "the EC2NodeClass's spec"))
		return -1;
	if (!(kb = yt_get(spec, "kubelet")))
		return 0;
	int64_t mp = 0;
	if (ld_want_map(L, kb, "kubelet") || ld_check_keys(L, kb, kkeys, "kubelet") ||
	    ld_get_int(L, kb, "maxPods", 1, 10000, &mp) ||
	    ((n = yt_get(kb, "kubeReserved")) && load_reserved(L, n, "kubeReserved", &nc->kube_reserved_cpu,
							       &nc->kube_reserved_mem)) ||
	    ((n = yt_get(kb, "systemReserved")) && load_reserved(L, n, "systemReserved", &nc->system_reserved_cpu,
								 &nc->system_reserved_mem)))
		return -1;
	nc->max_pods = (int)mp;
	if ((n = yt_get(kb, "evictionHard"))) {
		const struct ynode *m;
		if (ld_want_map(L, n, "evictionHard") || ld_check_keys(L, n, ekeys, "evictionHard"))
			return -1;
		if ((m = yt_get(n, "memory.available"))) {
			if (m->kind == Y_SCALAR && strchr(m->s, '%'))
				return yt_err(L->e, m, "memory.available: a percentage is not modelled; give a quantity (100Mi)");
			if (ld_get_num(L, n, "memory.available", units_memory, 0, 0x1p40, false, &nc->eviction_mem))
				return -1;
		}
	}
	return 0;
}

static int load_latency_of(struct ld *L, const struct ynode *v, const char *const *keys, struct dist **out)
{
	for (size_t i = 0; keys[i]; i++) {
		const struct ynode *n = yt_get(v, keys[i]);
		if (n && ld_load_delay(L, n, keys[i], out[i]))
			return -1;
	}
	return 0;
}

static int load_latency(struct ld *L, const struct ynode *v, const char *const *keys, struct dist **out)
{
	if (ld_want_map(L, v, "latency") || ld_check_keys(L, v, keys, "latency"))
		return -1;
	for (size_t i = 0; keys[i]; i++) {
		const struct ynode *n = yt_get(v, keys[i]);
		if (n && ld_load_delay(L, n, keys[i], out[i]))
			return -1;
	}
	return 0;
}

static int load_karpenter(struct ld *L, const struct ynode *v)
{
	static const char *const keys[] = {"batch-idle-duration", "batch-max-duration", "launch-timeout",
					   "registration-timeout", "latency", "nodeclasses", "nodepools", NULL};
	static const char *const lkeys[] = {"launch", "registration", "initialization", NULL};
	struct scn_karpenter *k = &L->sc->cluster.karpenter;
	const struct ynode *n;
	if (ld_want_map(L, v, "karpenter") || ld_check_keys(L, v, keys, "karpenter") ||
	    ld_get_dur(L, v, "batch-idle-duration", SIM_MS, SIM_HOUR, false, &k->batch_idle) ||
	    ld_get_dur(L, v, "batch-max-duration", SIM_MS, SIM_HOUR, false, &k->batch_max) ||
	    ld_get_dur(L, v, "launch-timeout", SIM_S, 24 * SIM_HOUR, false, &k->launch_timeout) ||
	    ld_get_dur(L, v, "registration-timeout", SIM_S, 24 * SIM_HOUR, false, &k->registration_timeout))
		return -1;
	static const char *const fkeys[] = {"launch", "registration", "initialization", "families", NULL};
	struct dist *lat[] = {&k->launch, &k->registration, &k->initialization};
	if ((n = yt_get(v, "latency"))) {
		const struct ynode *f = NULL;
		if (ld_want_map(L, n, "latency") || ld_check_keys(L, n, fkeys, "latency") || load_latency_of(L, n, lkeys, lat))
			return -1;
		if ((f = yt_get(n, "families"))) {
			if (ld_want_map(L, f, "families"))
				return -1;
			k->families = xcalloc(f->n ? f->n : 1, sizeof *k->families);
			for (size_t i = 0; i < f->n; i++) {
				struct scn_family_latency *fl = &k->families[k->n_families++];
				const struct ynode *fk = yt_key(f, i);
				const struct catalog *cat = &L->sc->cluster.catalog;
				char msg[300];
				if (!catalog_has_family(cat, fk->s) || strlen(fk->s) >= sizeof fl->family)
					return yt_err(L->e, fk, "families: %s",
						      catalog_unknown_family_msg(cat, fk->s, msg, sizeof msg));
				snprintf(fl->family, sizeof fl->family, "%s", fk->s);
				fl->launch = k->launch;
				fl->registration = k->registration;
				fl->initialization = k->initialization;
				struct dist *fd[] = {&fl->launch, &fl->registration, &fl->initialization};
				if (load_latency(L, yt_val(f, i), lkeys, fd))
					return -1;
			}
		}
	}
	if ((n = yt_get(v, "nodeclasses"))) {
		if (ld_want_seq(L, n, "nodeclasses"))
			return -1;
		k->classes = xcalloc(n->n ? n->n : 1, sizeof *k->classes);
		for (size_t i = 0; i < n->n; i++) {
			k->n_classes++;
			if (load_nodeclass(L, n->kid[i], &k->classes[i]))
				return -1;
		}
	}
	if (!(n = ld_need(L, v, "nodepools", "karpenter")) || ld_want_seq(L, n, "nodepools"))
		return -1;
	if (!n->n)
		return yt_err(L->e, n, "nodepools: Karpenter needs at least one NodePool");
	k->pools = xcalloc(n->n, sizeof *k->pools);
	for (size_t i = 0; i < n->n; i++) {
		k->n_pools++;
		if (load_nodepool(L, n->kid[i], &k->pools[i]))
			return -1;
	}
	return 0;
}

/* --expander=price needs the cloud provider's pricing model, which CA's
 * AWS provider does not implement (cloudprovider/aws Pricing() returns
 * ErrNotImplemented): the expander factory then stops CA at start
 * (klog.Fatalf "Couldn't access cloud provider pricing"). The node groups
 * here are ASGs, so a scenario asking for it describes no cluster that runs. */
static int refuse_price(struct ld *L, const struct ynode *v)
{
	const struct ynode *e = yt_get(v, "expander");
	const char *s = e ? ld_scalar(L, e, "expander") : "";
	if (!s)
		return -1;
	if (strcmp(s, "price"))
		return 0;
	return yt_err(L->e, e,
		      "expander: 'price' is not available on AWS: Cluster Autoscaler's AWS provider has no pricing "
		      "model, so CA exits at start with --expander=price; use least-waste (the default), most-pods or "
		      "random");
}

/* A node group's `zones` (an ASG over several subnets) into m: the mask
 * of those zones, and m->zone the one when it names one. `zone` (one) and
 * `zones` exclude each other. */
static int load_group_zones(struct ld *L, const struct ynode *g, struct scn_node_meta *m)
{
	const struct ynode *zs = yt_get(g, "zones");
	if (!zs)
		return 0;
	if (yt_get(g, "zone"))
		return yt_err(L->e, zs, "zones: give zone (one zone) or zones (a list), not both");
	if (ld_want_seq(L, zs, "zones"))
		return -1;
	if (!zs->n)
		return yt_err(L->e, zs, "zones: give at least one of the cluster's zones");
	uint32_t mask = 0;
	for (size_t i = 0; i < zs->n; i++) {
		int z;
		if (ld_zone(L, zs->kid[i], "zones", &z))
			return -1;
		if (mask >> z & 1u)
			return yt_err(L->e, zs->kid[i], "zones: '%s' is listed twice", zs->kid[i]->s);
		mask |= 1u << z;
		if (zs->n == 1)
			m->zone = z;
	}
	m->zones = mask;
	return 0;
}

/* A new node group at the end of c's (freed with them, whatever follows). */
static struct scn_nodegroup *add_group(struct scn_ca *c)
{
	c->groups = xrealloc(c->groups, (c->n_groups + 1) * sizeof *c->groups);
	struct scn_nodegroup *ng = &c->groups[c->n_groups++];
	memset(ng, 0, sizeof *ng);
	return ng;
}

/* A node group's name, labels, taints and zones into ng: `name` when
 * zone < 0, else one ASG of a per_zone group, NAME-ZONE in zone `zone`. */
static int load_group_as(struct ld *L, const struct ynode *g, const char *name, int zone, struct scn_nodegroup *ng)
{
	const struct scn_cluster *cl = &L->sc->cluster;
	if (zone < 0) {
		ng->name = xstrdup(name);
	} else {
		ng->name = xmalloc(strlen(name) + strlen(cl->zones[zone]) + 2);
		sprintf(ng->name, "%s-%s", name, cl->zones[zone]);
	}
	if (ld_load_node_meta(L, g, &ng->meta) || load_group_zones(L, g, &ng->meta))
		return -1;
	if (zone >= 0) {
		ng->meta.zone = zone;
		ng->meta.zones = 1u << zone;
	}
	for (const struct scn_nodegroup *o = L->sc->cluster.ca.groups; o < ng; o++)
		if (!strcmp(o->name, ng->name))
			return yt_err(L->e, yt_get(g, "name"), "name: a node group '%s' is defined twice (names are ASGs')",
				      ng->name);
	return 0;
}

/* One item of node_groups: a node group, or with per_zone: true one for
 * each of its zones (all the cluster's without zones), each with the
 * item's min, max and size. */
static int load_ca_group(struct ld *L, const struct ynode *g, struct scn_ca *c)
{
	static const char *const gkeys[] = {"name", "instance", "min", "max", "size", "zone", "zones", "per_zone",
					    "labels", "taints", NULL};
	static const char *const bools[] = {"false", "true", NULL};
	const struct ynode *gn, *it;
	int64_t lo = 0, hi = 0, size = -1;
	int per = 0;
	const struct instance_type *t;
	if (ld_want_map(L, g, "a node group") || ld_check_keys(L, g, gkeys, "a node group") ||
	    !(gn = ld_need(L, g, "name", "a node group")) || !ld_scalar(L, gn, "name") ||
	    !(it = ld_need(L, g, "instance", "a node group")) || !(t = find_type(L, it, "instance")) ||
	    ld_get_int(L, g, "min", 0, 10000, &lo) || !ld_need(L, g, "max", "a node group") ||
	    ld_get_int(L, g, "max", 1, 10000, &hi) || ld_get_int(L, g, "size", 0, 10000, &size) ||
	    ld_get_enum(L, g, "per_zone", bools, &per))
		return -1;
	if (hi < lo)
		return yt_err(L->e, yt_get(g, "max"), "max (%lld) must be >= min (%lld)", (long long)hi, (long long)lo);
	if (size < 0)
		size = lo;
	if (size < lo || size > hi)
		return yt_err(L->e, yt_get(g, "size"), "size %lld is outside [min, max] = [%lld, %lld]", (long long)size,
			      (long long)lo, (long long)hi);
	if (per && yt_get(g, "zone"))
		return yt_err(L->e, yt_get(g, "per_zone"),
			      "per_zone: a group with one zone is one ASG already; give zones (a list) or none (every zone)");
	struct scn_node_meta zm = {.zone = -1, .zones = UINT32_MAX};
	if (per && load_group_zones(L, g, &zm))
		return -1;
	for (size_t z = 0; z < (per ? L->sc->cluster.n_zones : 1); z++) {
		if (per && !(zm.zones >> z & 1u))
			continue;
		struct scn_nodegroup *ng = add_group(c);
		ng->type = (int)(t - L->sc->cluster.catalog.types);
		ng->min = (int)lo;
		ng->max = (int)hi;
		ng->initial = (int)size;
		if (load_group_as(L, g, gn->s, per ? (int)z : -1, ng))
			return -1;
	}
	return 0;
}

/* A "min:max" flag (parseMinMaxFlag): two integers, 0 <= min <= max <= hi. */
static int load_min_max(struct ld *L, const struct ynode *v, const char *k, int64_t hi, int64_t *min, int64_t *max)
{
	const struct ynode *n = yt_get(v, k);
	const char *s = n ? ld_scalar(L, n, k) : "";
	if (!s)
		return -1;
	if (!n)
		return 0;
	char *end;
	long long lo = -1, up = -1;
	const char *colon = strchr(s, ':');
	if (colon && colon > s && isdigit((unsigned char)s[0]) && isdigit((unsigned char)colon[1])) {
		errno = 0;
		lo = strtoll(s, &end, 10);
		if (end != colon || errno)
			lo = -1;
		up = strtoll(colon + 1, &end, 10);
		if (*end || errno)
			up = -1;
	}
	if (lo < 0 || up < 0 || lo > hi || up > hi)
		return yt_err(L->e, n, "%s: '%s' is not <min>:<max>, two whole numbers from 0 to %lld (e.g. 0:%lld)", k, s,
			      (long long)hi, (long long)*max);
	if (up < lo)
		return yt_err(L->e, n, "%s: max %lld must be >= min %lld", k, up, lo);
	*min = lo;
	*max = up;
	return 0;
}

/* --balancing-ignore-label: label keys, a list (the flag repeated) or one. */
static int load_ignore_labels(struct ld *L, const struct ynode *v, struct scn_ca *c)
{
	const struct ynode *n = yt_get(v, "balancing-ignore-label");
	if (!n)
		return 0;
	size_t count = n->kind == Y_SEQ ? n->n : 1;
	c->balancing_ignore_labels = xcalloc(count ? count : 1, sizeof *c->balancing_ignore_labels);
	for (size_t i = 0; i < count; i++) {
		const struct ynode *e = n->kind == Y_SEQ ? n->kid[i] : n;
		if (!ld_string(L, e, "balancing-ignore-label") || ld_check_key(L, e, "balancing-ignore-label"))
			return -1;
		c->balancing_ignore_labels[c->n_balancing_ignore_labels++] = xstrdup(e->s);
	}
	return 0;
}

static int load_ca(struct ld *L, const struct ynode *v)
{
	static const char *const keys[] = {"expander", "scan-interval", "max-node-provision-time",
					   "scale-down-unneeded-time", "scale-down-delay-after-add",
					   "scale-down-delay-after-failure", "scale-down-utilization-threshold",
					   "max-nodes-per-scaleup", "max-scale-down-parallelism", "scale-down-enabled",
					   "ignore-daemonsets-utilization", "max-nodes-total", "cores-total", "memory-total",
					   "balance-similar-node-groups", "balancing-ignore-label",
					   "expendable-pods-priority-cutoff", "latency", "node_groups", NULL};
	static const char *const lkeys[] = {"boot", "initialization", NULL};
	static const char *const expanders[] = {"least-waste", "random", "most-pods", NULL};
	static const char *const bools[] = {"false", "true", NULL};
	struct scn_ca *c = &L->sc->cluster.ca;
	int ex = c->expander, en = c->scale_down_enabled, ids = c->ignore_daemonsets_utilization,
	    bal = c->balance_similar_node_groups;
	int64_t mx = c->max_nodes_per_scaleup, par = c->max_scale_down_parallelism, total = c->max_nodes_total;
	int64_t cutoff = c->expendable_cutoff;
	int64_t mem_min = c->memory_min / ((int64_t)1 << 30), mem_max = c->memory_max / ((int64_t)1 << 30);
	const struct ynode *n;
	if (ld_want_map(L, v, "cluster_autoscaler") || ld_check_keys(L, v, keys, "cluster_autoscaler") ||
	    refuse_price(L, v) || ld_get_enum(L, v, "expander", expanders, &ex) ||
	    ld_get_dur(L, v, "scan-interval", SIM_S, SIM_HOUR, false, &c->scan_interval) ||
	    ld_get_dur(L, v, "max-node-provision-time", SIM_S, 24 * SIM_HOUR, false, &c->max_node_provision_time) ||
	    ld_get_dur(L, v, "scale-down-unneeded-time", 0, 24 * SIM_HOUR, false, &c->scale_down_unneeded_time) ||
	    ld_get_dur(L, v, "scale-down-delay-after-add", 0, 24 * SIM_HOUR, false, &c->scale_down_delay_after_add) ||
	    ld_get_dur(L, v, "scale-down-delay-after-failure", 0, 24 * SIM_HOUR, false,
		       &c->scale_down_delay_after_failure) ||
	    ld_get_num(L, v, "scale-down-utilization-threshold", units_number, 0, 1, false,
		       &c->scale_down_utilization_threshold) ||
	    ld_get_int(L, v, "max-nodes-per-scaleup", 1, 100000, &mx) ||
	    ld_get_int(L, v, "max-scale-down-parallelism", 1, 10000, &par) ||
	    ld_get_enum(L, v, "scale-down-enabled", bools, &en) ||
	    ld_get_enum(L, v, "ignore-daemonsets-utilization", bools, &ids) ||
	    ld_get_int(L, v, "max-nodes-total", 0, 1000000, &total) ||
	    load_min_max(L, v, "cores-total", 100000000, &c->cores_min, &c->cores_max) ||
	    load_min_max(L, v, "memory-total", 1000000000, &mem_min, &mem_max) ||
	    ld_get_enum(L, v, "balance-similar-node-groups", bools, &bal) || load_ignore_labels(L, v, c) ||
	    ld_get_int(L, v, "expendable-pods-priority-cutoff", INT32_MIN, INT32_MAX, &cutoff))
		return -1;
	c->expendable_cutoff = (int32_t)cutoff;
	c->expander = (enum ca_expander)ex;
	c->max_nodes_per_scaleup = (int)mx;
	c->max_scale_down_parallelism = (int)par;
	c->scale_down_enabled = en;
	c->ignore_daemonsets_utilization = ids;
	c->max_nodes_total = (int)total;
	c->memory_min = mem_min << 30; /* --memory-total is in GiB (units.GiB) */
	c->memory_max = mem_max << 30;
	c->balance_similar_node_groups = bal;
	struct dist *lat[] = {&c->boot, &c->initialization};
	if ((n = yt_get(v, "latency")) && load_latency(L, n, lkeys, lat))
		return -1;
	if (!(n = ld_need(L, v, "node_groups", "cluster_autoscaler")) || ld_want_seq(L, n, "node_groups"))
		return -1;
	if (!n->n)
		return yt_err(L->e, n, "node_groups: Cluster Autoscaler needs at least one node group");
	for (size_t i = 0; i < n->n; i++)
		if (load_ca_group(L, n->kid[i], c))
			return -1;
	return 0;
}

int ld_load_cluster(struct ld *L, const struct ynode *v)
{
	static const char *const keys[] = {"nodes", "scheduler", "daemonsets", "catalog", "offerings", "capacity",
					   "provisioner", "karpenter", "cluster_autoscaler", "cpu_weight_mapping", "zones",
					   "interruptions", "outages", "drifts",
					   NULL};
	static const char *const weights[] = {"cgroup-v2-log-quadratic", "cgroup-v2-linear", "cgroup-v1", NULL};
	static const char *const skeys[] = {"scoringStrategy", "defaultingType", NULL};
	static const char *const defaulting[] = {"System", "List", NULL};
	static const char *const strategies[] = {"LeastAllocated", "MostAllocated", NULL};
	static const char *const provs[] = {"none", "karpenter", "cluster-autoscaler", NULL};
	struct scn_cluster *c = &L->sc->cluster;
	const struct ynode *n, *ns;
	if (ld_want_map(L, v, "cluster") || ld_check_keys(L, v, keys, "cluster"))
		return -1;
	c->enabled = true;
	if ((n = yt_get(v, "catalog")) && ld_load_csv(L, n, "catalog", catalog_load))
		return -1;
	if (ld_load_zones(L, yt_get(v, "zones")) || ld_load_offerings(L, v) ||
	    ((n = yt_get(v, "capacity")) && ld_load_capacity(L, n)) ||
	    ((n = yt_get(v, "daemonsets")) && ld_load_daemonsets(L, n)))
		return -1;
	if ((ns = yt_get(v, "nodes"))) {
		if (ld_want_seq(L, ns, "nodes"))
			return -1;
		if (ns->n > 100)
			return yt_err(L->e, ns, "nodes: %zu groups is too many (at most 100)", ns->n);
		c->groups = xcalloc(ns->n ? ns->n : 1, sizeof *c->groups);
		for (size_t i = 0; i < ns->n; i++) {
			c->n_groups++;
			if (load_group(L, ns->kid[i], &c->groups[i]))
				return -1;
		}
	}
	int st = SCN_LEAST_ALLOCATED, prov = PROV_NONE, def = 0;
	if ((n = yt_get(v, "scheduler")) &&
	    (ld_want_map(L, n, "scheduler") || ld_check_keys(L, n, skeys, "scheduler") ||
	     ld_get_enum(L, n, "scoringStrategy", strategies, &st) || ld_get_enum(L, n, "defaultingType", defaulting, &def)))
		return -1;
	c->strategy = (enum scn_strategy)st;
	c->default_spread = def == 0;
	int cw = SCN_CPU_V2_LOG_QUADRATIC;
	if (ld_get_enum(L, v, "cpu_weight_mapping", weights, &cw))
		return -1;
	c->cpu_weights = (enum scn_cpu_weights)cw;
	if (ld_get_enum(L, v, "provisioner", provs, &prov))
		return -1;
	c->provisioner = (enum provisioner_kind)prov;
	/* Defaults (docs/model.md: Karpenter, Cluster Autoscaler, Latency defaults). */
	c->karpenter = (struct scn_karpenter){
		.batch_idle = SIM_S,
		.batch_max = 10 * SIM_S,
		.launch = {DIST_CONSTANT, 2, 0},
		.registration = {DIST_UNIFORM, 40, 0.2165},
		.initialization = {DIST_CONSTANT, 5, 0},
		.launch_timeout = 5 * SIM_MIN,
		.registration_timeout = 15 * SIM_MIN,
		.poll = 10 * SIM_S,
		.validation = 15 * SIM_S,
	};
	c->ca = (struct scn_ca){
		.expander = CA_LEAST_WASTE,
		.scan_interval = 10 * SIM_S,
		.max_node_provision_time = 15 * SIM_MIN,
		.scale_down_unneeded_time = 10 * SIM_MIN,
		.scale_down_delay_after_add = 10 * SIM_MIN,
		.scale_down_delay_after_failure = 3 * SIM_MIN,
		.scale_down_utilization_threshold = 0.5,
		.max_nodes_per_scaleup = 1000,
		.max_scale_down_parallelism = 10,
		.initial_backoff = 5 * SIM_MIN,
		.max_backoff = 30 * SIM_MIN,
		.scale_down_enabled = true,
		.expendable_cutoff = -10,                      /* --expendable-pods-priority-cutoff */
		.cores_max = SCN_CA_MAX_CORES,
		.memory_max = SCN_CA_MAX_MEMORY,
		.boot = {DIST_UNIFORM, 90, 0.19},
		.initialization = {DIST_CONSTANT, 10, 0},
	};
	/* Both sections may be given (a compare: of provisioners); both are
	 * checked, the chosen one is used. */
	const struct ynode *kn = yt_get(v, "karpenter"), *cn = yt_get(v, "cluster_autoscaler");
	if ((prov != PROV_NONE || kn || cn) && !c->catalog.n)
		return yt_err(L->e, kn ? kn : cn ? cn : yt_get(v, "provisioner"),
			      "node provisioning needs cluster.catalog (instance types and prices)");
	if (prov == PROV_KARPENTER && !kn)
		return yt_err(L->e, v, "cluster needs karpenter: {nodepools: [...]} for provisioner: karpenter");
	if (prov == PROV_CLUSTER_AUTOSCALER && !cn)
		return yt_err(L->e, v, "cluster needs cluster_autoscaler: {node_groups: [...]} for provisioner: cluster-autoscaler");
	if ((kn && load_karpenter(L, kn)) || (cn && load_ca(L, cn)))
		return -1;
	if (!c->n_groups && prov == PROV_NONE)
		return yt_err(L->e, v, "cluster: give nodes, or a provisioner that makes them");
	if (((n = yt_get(v, "interruptions")) && ld_load_interruptions(L, n)) ||
	    ((n = yt_get(v, "outages")) && ld_load_outages(L, n)) ||
	    ((n = yt_get(v, "drifts")) && ld_load_drifts(L, n)))
		return -1;
	return 0;
}

int ld_load_controllers(struct ld *L, const struct ynode *v)
{
	static const char *const keys[] = {"metrics-server", "kube-controller-manager", "kube-apiserver", NULL};
	static const char *const mkeys[] = {"metric-resolution", "first-scrape", NULL};
	static const char *const akeys[] = {"default-unreachable-toleration-seconds", NULL};
	static const char *const kkeys[] = {"horizontal-pod-autoscaler-sync-period",
					    "horizontal-pod-autoscaler-tolerance",
					    "horizontal-pod-autoscaler-downscale-stabilization",
					    "horizontal-pod-autoscaler-cpu-initialization-period",
					    "horizontal-pod-autoscaler-initial-readiness-delay",
					    "first-hpa-sync",
					    "node-monitor-grace-period",
					    "node-eviction-rate",
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
	     ld_get_dur(L, n, kkeys[5], 0, SIM_HOUR, false, &c->hpa_offset) ||
	     ld_get_dur(L, n, kkeys[6], SIM_S, SIM_HOUR, false, &c->node_monitor_grace) ||
	     ld_get_num(L, n, kkeys[7], units_number, 0, 1000, true, &c->node_eviction_rate)))
		return -1;
	if ((n = yt_get(v, "kube-apiserver")) &&
	    (ld_want_map(L, n, "kube-apiserver") || ld_check_keys(L, n, akeys, "kube-apiserver") ||
	     ld_get_int(L, n, akeys[0], 0, 365 * 86400, &c->unreachable_toleration)))
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
		for (size_t j = 0; j < h->n_metrics; j++) {
			free(h->metrics[j].name);
			free(h->metrics[j].series);
		}
		free(h->metrics);
		free(h->up.policies);
		free(h->down.policies);
		free(h->name);
	}
	struct scn_cluster *c = &sc->cluster;
	for (size_t g = 0; g < c->n_groups; g++) {
		free(c->groups[g].name);
		ld_free_node_meta(&c->groups[g].meta);
	}
	free(c->groups);
	ld_free_drifts(sc);
	for (size_t p = 0; p < c->karpenter.n_pools; p++) {
		struct scn_nodepool *np = &c->karpenter.pools[p];
		for (size_t r = 0; r < np->n_reqs; r++) {
			for (size_t v = 0; v < np->reqs[r].n_values; v++)
				free(np->reqs[r].values[v]);
			free(np->reqs[r].values);
			free(np->reqs[r].value_ids);
			free(np->reqs[r].key);
		}
		free(np->reqs);
		free(np->types);
		free(np->alloc_cpu);
		free(np->alloc_mem);
		free(np->alloc_pods);
		free(np->name);
		ld_free_node_meta(&np->meta);
	}
	free(c->karpenter.pools);
	free(c->karpenter.families);
	for (size_t i = 0; i < c->karpenter.n_classes; i++)
		free(c->karpenter.classes[i].name);
	free(c->karpenter.classes);
	for (size_t g = 0; g < c->ca.n_groups; g++) {
		free(c->ca.groups[g].name);
		ld_free_node_meta(&c->ca.groups[g].meta);
	}
	free(c->ca.groups);
	for (size_t i = 0; i < c->ca.n_balancing_ignore_labels; i++)
		free(c->ca.balancing_ignore_labels[i]);
	free(c->ca.balancing_ignore_labels);
	ld_free_faults(sc);
	ld_free_offerings(c);
	catalog_free(&c->catalog);
}
