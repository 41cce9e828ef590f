/*
 * scn_place.c: where nodes are and where pods may run (see scn_impl.h and
 * the cluster and deployment sections of scenarios/README.md).
 *
 * Nodes: the cluster's zones (cluster.zones, default us-east-1a, -1b,
 * -1c), a node group's zone, labels and taints. Pods: the pod template's
 * nodeSelector, affinity (node affinity required and preferred; pod
 * affinity and anti-affinity, required and preferred), tolerations and
 * topologySpreadConstraints, checked as the API server checks them
 * (pkg/apis/core/validation: ValidateTolerations, validateTaints,
 * ValidateNodeSelector, validateAffinity, validateTopologySpreadConstraints)
 * and resolved against the cluster: a topology key must be one headroom's
 * nodes carry, a zone one of the cluster's. DaemonSets: cluster.daemonsets.
 * What a real cluster accepts but would leave a pod Pending for ever (no
 * node group admits it) is a warning, not an error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement.h"
#include "scn_impl.h"

#define MAX_ZONES SCN_MAX_ZONES
#define MAX_TAINTS 32
#define MAX_TOLERATIONS 64

static const char *const effects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute", NULL};

/* ---- warnings ---- */

static void warn_at(struct ld *L, const char *file, int line, int col, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
static void warn_at(struct ld *L, const char *file, int line, int col, const char *fmt, va_list ap)
{
	struct herr e;
	char msg[900];
	vsnprintf(msg, sizeof msg, fmt, ap);
	herr_at(&e, file, line, col, "warning: %s", msg);
	struct scenario *sc = L->sc;
	sc->warnings = xrealloc(sc->warnings, (sc->n_warnings + 1) * sizeof *sc->warnings);
	sc->warnings[sc->n_warnings++] = xstrdup(e.msg);
}

void ld_warn(struct ld *L, const struct ynode *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	warn_at(L, v->src, v->line, v->col, fmt, ap);
	va_end(ap);
}

static void warn_line(struct ld *L, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void warn_line(struct ld *L, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	warn_at(L, file, line, col, fmt, ap);
	va_end(ap);
}

/* ---- zones ---- */

int ld_load_zones(struct ld *L, const struct ynode *v)
{
	static const char *const defaults[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
	struct scn_cluster *c = &L->sc->cluster;
	if (!v) {
		c->zones = xcalloc(ARRAY_LEN(defaults), sizeof *c->zones);
		for (size_t i = 0; i < ARRAY_LEN(defaults); i++)
			c->zones[c->n_zones++] = xstrdup(defaults[i]);
		return 0;
	}
	if (ld_want_seq(L, v, "zones"))
		return -1;
	if (!v->n || v->n > MAX_ZONES)
		return yt_err(L->e, v, "zones: give 1 to %d zones (e.g. [us-east-1a, us-east-1b, us-east-1c])", MAX_ZONES);
	c->zones = xcalloc(v->n, sizeof *c->zones);
	for (size_t i = 0; i < v->n; i++) {
		const char *z = ld_string(L, v->kid[i], "a zone");
		if (!z)
			return -1;
		if (!z[0] || !ld_label_value_ok(z))
			return yt_err(L->e, v->kid[i], "zone '%s' is not a valid label value (topology.kubernetes.io/zone): "
						       "letters, digits, '-', '_' or '.', at most 63",
				      z);
		for (size_t j = 0; j < c->n_zones; j++)
			if (!strcmp(c->zones[j], z))
				return yt_err(L->e, v->kid[i], "zones: '%s' is listed twice", z);
		c->zones[c->n_zones++] = xstrdup(z);
	}
	return 0;
}

/* "a, b, c" of the cluster's zones into buf. */
static const char *zone_list(const struct scn_cluster *c, char *buf, size_t n)
{
	size_t k = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < c->n_zones && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s%s", i ? ", " : "", c->zones[i]);
	return buf;
}

static int zone_of(const struct scn_cluster *c, const char *name)
{
	for (size_t i = 0; i < c->n_zones; i++)
		if (!strcmp(c->zones[i], name))
			return (int)i;
	return -1;
}

int ld_zone(struct ld *L, const struct ynode *v, const char *what, int *out)
{
	const struct scn_cluster *c = &L->sc->cluster;
	const char *s = ld_string(L, v, what);
	char buf[400];
	if (!s)
		return -1;
	*out = zone_of(c, s);
	if (*out < 0)
		return yt_err(L->e, v, "%s: '%s' is not one of the cluster's zones (%s); list it in cluster.zones", what, s,
			      zone_list(c, buf, sizeof buf));
	return 0;
}

/* ---- taints and tolerations ---- */

void ld_free_taints(struct scn_taint *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].key);
		free(t[i].value);
	}
	free(t);
}

void ld_free_tolerations(struct scn_toleration *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].key);
		free(t[i].value);
	}
	free(t);
}

/* An optional label value at key k of m ("" when absent). */
static const char *opt_value(struct ld *L, const struct ynode *m, const char *k, const char *what)
{
	const struct ynode *v = yt_get(m, k);
	if (!v)
		return "";
	const char *s = ld_string(L, v, k);
	if (s && !ld_label_value_ok(s)) {
		yt_err(L->e, v, "%s: '%s' is not a valid %s value: at most 63 letters, digits, '-', '_' or '.', starting "
				"and ending with a letter or digit (or empty)",
		       k, s, what);
		return NULL;
	}
	return s;
}

static int load_taint(struct ld *L, const struct ynode *v, struct scn_taint *t)
{
	static const char *const keys[] = {"key", "value", "effect", "timeAdded", NULL};
	const struct ynode *k;
	const char *val;
	int effect = 0;
	if (ld_want_map(L, v, "a taint") || ld_check_keys(L, v, keys, "a taint") ||
	    !(k = ld_need(L, v, "key", "a taint")) || !ld_string(L, k, "key") || ld_check_key(L, k, "key") ||
	    !(val = opt_value(L, v, "value", "taint")) || !ld_need(L, v, "effect", "a taint") ||
	    ld_get_enum(L, v, "effect", effects, &effect))
		return -1;
	*t = (struct scn_taint){xstrdup(k->s), xstrdup(val), (enum taint_effect)effect};
	return 0;
}

int ld_load_taints(struct ld *L, const struct ynode *v, struct scn_taint **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (ld_want_seq(L, v, "taints"))
		return -1;
	if (v->n > MAX_TAINTS)
		return yt_err(L->e, v, "taints: %zu is too many (at most %d)", v->n, MAX_TAINTS);
	*out = xcalloc(v->n ? v->n : 1, sizeof **out);
	for (size_t i = 0; i < v->n; i++) {
		if (load_taint(L, v->kid[i], &(*out)[i]))
			return -1;
		(*n)++;
		for (size_t j = 0; j < i; j++)
			if (!strcmp((*out)[j].key, (*out)[i].key) && (*out)[j].effect == (*out)[i].effect)
				return yt_err(L->e, v->kid[i], "taints must be unique by key and effect: '%s' with %s is "
							       "already given (line %d)",
					      (*out)[i].key, effects[(*out)[i].effect], v->kid[j]->line);
	}
	return 0;
}

static int load_toleration(struct ld *L, const struct ynode *v, struct scn_toleration *t)
{
	static const char *const keys[] = {"key", "operator", "value", "effect", "tolerationSeconds", NULL};
	static const char *const ops[] = {"Equal", "Exists", "Gt", "Lt", NULL};
	const struct ynode *k = yt_get(v, "key"), *ts;
	const char *key = "", *val;
	int op = 0, effect = -1;
	if (ld_want_map(L, v, "a toleration") || ld_check_keys(L, v, keys, "a toleration") ||
	    (k && (!(key = ld_string(L, k, "key")) || (key[0] && ld_check_key(L, k, "key")))) ||
	    ld_get_enum(L, v, "operator", ops, &op) || !(val = opt_value(L, v, "value", "toleration")))
		return -1;
	if (op >= 2)
		return yt_err(L->e, yt_get(v, "operator"),
			      "operator: %s compares taint values as numbers, an alpha feature "
			      "(TaintTolerationComparisonOperators) that headroom does not model; use Equal or Exists",
			      ops[op]);
	if (yt_get(v, "effect") && yt_get(v, "effect")->kind == Y_SCALAR && yt_get(v, "effect")->s[0] &&
	    ld_get_enum(L, v, "effect", effects, &effect))
		return -1;
	if (op == 1 && val[0])
		return yt_err(L->e, yt_get(v, "value"),
			      "value: a toleration with operator Exists takes no value (it tolerates every value)");
	if (!key[0] && op != 1)
		return yt_err(L->e, k ? k : v, "a toleration without a key must have operator Exists (it then tolerates "
					      "every taint)");
	int64_t secs = 0;
	if ((ts = yt_get(v, "tolerationSeconds"))) {
		if (effect != EFFECT_NO_EXECUTE)
			return yt_err(L->e, ts, "tolerationSeconds: only with effect NoExecute, as Kubernetes requires");
		if (ld_get_int(L, v, "tolerationSeconds", INT64_MIN / 2, INT64_MAX / 2, &secs))
			return -1;
	}
	*t = (struct scn_toleration){xstrdup(key), op == 1, xstrdup(val), effect, ts != NULL, secs};
	return 0;
}

int ld_load_tolerations(struct ld *L, const struct ynode *v, struct scn_toleration **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (ld_want_seq(L, v, "tolerations"))
		return -1;
	if (v->n > MAX_TOLERATIONS)
		return yt_err(L->e, v, "tolerations: %zu is too many (at most %d)", v->n, MAX_TOLERATIONS);
	*out = xcalloc(v->n ? v->n : 1, sizeof **out);
	for (size_t i = 0; i < v->n; i++) {
		if (load_toleration(L, v->kid[i], &(*out)[i]))
			return -1;
		(*n)++;
	}
	return 0;
}

/* ---- node groups ---- */

int ld_load_node_labels(struct ld *L, const struct ynode *v, struct scn_label **out, size_t *n)
{
	if (ld_load_labels(L, v, "labels", out, n))
		return -1;
	for (size_t i = 0; i < *n; i++) {
		const char *k = (*out)[i].key;
		if (!strcmp(k, LD_ZONE_KEY) || !strcmp(k, LD_HOST_KEY) || !strcmp(k, "karpenter.sh/nodepool") ||
		    !strcmp(k, "karpenter.sh/capacity-type"))
			return yt_err(L->e, yt_key(v, i), "labels: headroom sets %s itself%s", k,
				      !strcmp(k, LD_ZONE_KEY) ? " (give the group's zone)" : "");
		for (size_t t = 0; catalog_label_keys[t]; t++)
			if (!strcmp(k, catalog_label_keys[t]) && L->sc->cluster.catalog.n)
				return yt_err(L->e, yt_key(v, i), "labels: %s comes from the instance type", k);
	}
	return 0;
}

int ld_load_node_meta(struct ld *L, const struct ynode *g, struct scn_node_meta *m)
{
	const struct ynode *n;
	m->zone = -1;
	m->zones = UINT32_MAX;
	if ((n = yt_get(g, "zone")) && ld_zone(L, n, "zone", &m->zone))
		return -1;
	if ((n = yt_get(g, "labels")) && ld_load_node_labels(L, n, &m->labels, &m->n_labels))
		return -1;
	if ((n = yt_get(g, "taints")) && ld_load_taints(L, n, &m->taints, &m->n_taints))
		return -1;
	return 0;
}

void ld_free_node_meta(struct scn_node_meta *m)
{
	ld_free_labels(m->labels, m->n_labels);
	ld_free_taints(m->taints, m->n_taints);
	m->labels = NULL;
	m->taints = NULL;
	m->n_labels = m->n_taints = 0;
}

/* ---- DaemonSets ---- */

static int load_daemonset(struct ld *L, const struct ynode *v, struct scn_daemonset *d, size_t i)
{
	static const char *const keys[] = {"name", "cpu", "memory", "nodeSelector", "tolerations", NULL};
	const struct ynode *n;
	char name[48];
	if (ld_want_map(L, v, "a DaemonSet") || ld_check_keys(L, v, keys, "a DaemonSet") ||
	    ld_get_num(L, v, "cpu", units_cpu, 0, 1024, false, &d->cpu) ||
	    ld_get_num(L, v, "memory", units_memory, 0, 0x1p46, false, &d->memory))
		return -1;
	snprintf(name, sizeof name, "daemonsets[%zu]", i);
	if ((n = yt_get(v, "name")) && !ld_string(L, n, "name"))
		return -1;
	d->name = xstrdup(n ? n->s : name);
	if ((n = yt_get(v, "nodeSelector")) && ld_load_labels(L, n, "nodeSelector", &d->node_selector, &d->n_node_selector))
		return -1;
	if ((n = yt_get(v, "tolerations")) && ld_load_tolerations(L, n, &d->tolerations, &d->n_tolerations))
		return -1;
	return 0;
}

int ld_load_daemonsets(struct ld *L, const struct ynode *v)
{
	static const char *const keys[] = {"cpu", "memory", NULL};
	struct scn_cluster *c = &L->sc->cluster;
	if (v->kind == Y_MAP) { /* the single mapping: one DaemonSet pod on every node */
		c->daemonsets = xcalloc(1, sizeof *c->daemonsets);
		struct scn_daemonset *d = &c->daemonsets[0];
		c->n_daemonsets = 1;
		d->name = xstrdup("daemonsets");
		d->everywhere = true;
		if (ld_check_keys(L, v, keys, "daemonsets") || ld_get_num(L, v, "cpu", units_cpu, 0, 1024, false, &d->cpu) ||
		    ld_get_num(L, v, "memory", units_memory, 0, 0x1p46, false, &d->memory))
			return -1;
	} else {
		if (ld_want_seq(L, v, "daemonsets"))
			return -1;
		if (v->n > 64)
			return yt_err(L->e, v, "daemonsets: %zu is too many (at most 64)", v->n);
		c->daemonsets = xcalloc(v->n ? v->n : 1, sizeof *c->daemonsets);
		for (size_t i = 0; i < v->n; i++) {
			c->n_daemonsets++;
			if (load_daemonset(L, v->kid[i], &c->daemonsets[i], i))
				return -1;
		}
	}
	for (size_t i = 0; i < c->n_daemonsets; i++) {
		c->daemonset_cpu += c->daemonsets[i].cpu;
		c->daemonset_memory += c->daemonsets[i].memory;
	}
	return 0;
}

/* ---- topology keys ---- */

/* Whether some node the scenario can make carries label `key`. */
static bool some_node_has(const struct scenario *sc, const char *key)
{
	const struct scn_cluster *c = &sc->cluster;
	if (!strcmp(key, LD_ZONE_KEY) || !strcmp(key, LD_HOST_KEY) || !strcmp(key, "kubernetes.io/os") ||
	    !strcmp(key, "kubernetes.io/arch"))
		return true;
	for (size_t t = 0; catalog_label_keys[t]; t++)
		if (!strcmp(key, catalog_label_keys[t]) && c->catalog.n)
			return true;
	const struct scn_node_meta *m[512];
	size_t n = 0;
	for (size_t i = 0; i < c->n_groups && n < ARRAY_LEN(m); i++)
		m[n++] = &c->groups[i].meta;
	for (size_t i = 0; i < c->karpenter.n_pools && n < ARRAY_LEN(m); i++)
		m[n++] = &c->karpenter.pools[i].meta;
	for (size_t i = 0; i < c->ca.n_groups && n < ARRAY_LEN(m); i++)
		m[n++] = &c->ca.groups[i].meta;
	if (c->karpenter.n_pools && (!strcmp(key, "karpenter.sh/nodepool") || !strcmp(key, "karpenter.sh/capacity-type")))
		return true;
	for (size_t i = 0; i < n; i++)
		for (size_t l = 0; l < m[i]->n_labels; l++)
			if (!strcmp(m[i]->labels[l].key, key))
				return true;
	return false;
}

/* A topologyKey: hostname or zone; another key is an error that says
 * whether a node has it at all. */
static int load_topology_key(struct ld *L, const struct ynode *m, const char *in, enum scn_topo *out)
{
	const struct ynode *k = ld_need(L, m, "topologyKey", in);
	const char *s;
	if (!k || !(s = ld_string(L, k, "topologyKey")))
		return -1;
	if (!strcmp(s, LD_HOST_KEY)) {
		*out = SCN_TOPO_HOSTNAME;
		return 0;
	}
	if (!strcmp(s, LD_ZONE_KEY)) {
		*out = SCN_TOPO_ZONE;
		return 0;
	}
	if (!s[0])
		return yt_err(L->e, k, "topologyKey: must not be empty");
	if (L->sc->cluster.enabled && !some_node_has(L->sc, s))
		return yt_err(L->e, k, "topologyKey: no node has label '%s'; headroom's nodes carry %s and %s (and their "
				       "instance type's and their group's labels)",
			      s, LD_HOST_KEY, LD_ZONE_KEY);
	return yt_err(L->e, k, "topologyKey: '%s' is not modelled: headroom spreads and places pods over %s and %s", s,
		      LD_HOST_KEY, LD_ZONE_KEY);
}

/* ---- node affinity ---- */

static int load_node_expr(struct ld *L, const struct ynode *v, struct scn_requirement *r)
{
	static const char *const keys[] = {"key", "operator", "values", NULL};
	static const char *const ops[] = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", NULL};
	const struct ynode *k, *vals;
	int op = 0;
	if (ld_want_map(L, v, "a match expression") || ld_check_keys(L, v, keys, "a match expression") ||
	    !(k = ld_need(L, v, "key", "a match expression")) || !ld_string(L, k, "key") || ld_check_key(L, k, "key") ||
	    !ld_need(L, v, "operator", "a match expression") || ld_get_enum(L, v, "operator", ops, &op))
		return -1;
	r->key = xstrdup(k->s);
	r->op = (enum req_op)op;
	vals = yt_get(v, "values");
	if (op == REQ_EXISTS || op == REQ_DOES_NOT_EXIST) {
		if (vals && (vals->kind != Y_SEQ || vals->n))
			return yt_err(L->e, vals, "values: must be empty with %s", ops[op]);
		return 0;
	}
	if (!vals)
		return yt_err(L->e, v, "a match expression with %s needs values", ops[op]);
	if (ld_want_seq(L, vals, "values"))
		return -1;
	if (!vals->n || ((op == REQ_GT || op == REQ_LT) && vals->n != 1))
		return yt_err(L->e, vals, "values: %s takes %s", ops[op],
			      op == REQ_GT || op == REQ_LT ? "exactly one integer" : "at least one value");
	r->values = xcalloc(vals->n, sizeof *r->values);
	for (size_t i = 0; i < vals->n; i++) {
		const char *s = ld_string(L, vals->kid[i], "a value");
		if (!s)
			return -1;
		if (op == REQ_GT || op == REQ_LT) {
			char *end;
			(void)strtoll(s, &end, 10);
			if (!s[0] || *end)
				return yt_err(L->e, vals->kid[i], "'%s' is not an integer (%s compares integers)", s, ops[op]);
		} else if (!ld_label_value_ok(s)) {
			return yt_err(L->e, vals->kid[i], "'%s' is not a valid label value", s);
		}
		r->values[r->n_values++] = xstrdup(s);
	}
	return 0;
}

/* A NodeSelectorTerm: matchExpressions (matchFields is not modelled). */
static int load_node_term(struct ld *L, const struct ynode *v, struct scn_node_term *t)
{
	static const char *const keys[] = {"matchExpressions", "matchFields", NULL};
	const struct ynode *e;
	if (ld_want_map(L, v, "a node selector term") || ld_check_keys(L, v, keys, "a node selector term"))
		return -1;
	if (yt_get(v, "matchFields"))
		return yt_err(L->e, yt_get(v, "matchFields"),
			      "matchFields: selecting nodes by name is not modelled; select them by label (matchExpressions)");
	if (!(e = yt_get(v, "matchExpressions")))
		return 0;
	if (ld_want_seq(L, e, "matchExpressions"))
		return -1;
	t->exprs = xcalloc(e->n ? e->n : 1, sizeof *t->exprs);
	for (size_t i = 0; i < e->n; i++) {
		t->n_exprs++;
		if (load_node_expr(L, e->kid[i], &t->exprs[i]))
			return -1;
	}
	return 0;
}

static int load_node_affinity(struct ld *L, const struct ynode *v, struct scn_placement *p)
{
	static const char *const keys[] = {"requiredDuringSchedulingIgnoredDuringExecution",
					   "preferredDuringSchedulingIgnoredDuringExecution", NULL};
	static const char *const rkeys[] = {"nodeSelectorTerms", NULL};
	static const char *const pkeys[] = {"weight", "preference", NULL};
	const struct ynode *r, *pr, *terms;
	if (ld_want_map(L, v, "nodeAffinity") || ld_check_keys(L, v, keys, "nodeAffinity"))
		return -1;
	if ((r = yt_get(v, keys[0]))) {
		if (ld_want_map(L, r, keys[0]) || ld_check_keys(L, r, rkeys, keys[0]) ||
		    !(terms = ld_need(L, r, "nodeSelectorTerms", keys[0])) || ld_want_seq(L, terms, "nodeSelectorTerms"))
			return -1;
		if (!terms->n)
			return yt_err(L->e, terms, "nodeSelectorTerms: must have at least one node selector term");
		p->has_required = true;
		p->required = xcalloc(terms->n, sizeof *p->required);
		for (size_t i = 0; i < terms->n; i++) {
			p->n_required++;
			if (load_node_term(L, terms->kid[i], &p->required[i]))
				return -1;
		}
	}
	if ((pr = yt_get(v, keys[1]))) {
		if (ld_want_seq(L, pr, keys[1]))
			return -1;
		p->preferred = xcalloc(pr->n ? pr->n : 1, sizeof *p->preferred);
		for (size_t i = 0; i < pr->n; i++) {
			const struct ynode *t = pr->kid[i], *pref;
			int64_t w = 0;
			if (ld_want_map(L, t, "a preferred term") || ld_check_keys(L, t, pkeys, "a preferred term") ||
			    !ld_need(L, t, "weight", "a preferred term") || ld_get_int(L, t, "weight", 1, 100, &w) ||
			    !(pref = ld_need(L, t, "preference", "a preferred term")))
				return -1;
			p->n_preferred++;
			p->preferred[i].weight = (int32_t)w;
			if (load_node_term(L, pref, &p->preferred[i]))
				return -1;
		}
	}
	return 0;
}

/* ---- pod affinity ---- */

static int load_pod_term(struct ld *L, const struct ynode *v, bool anti, int32_t weight, struct scn_pod_term *t)
{
	static const char *const keys[] = {"labelSelector",	"topologyKey", "namespaces", "namespaceSelector",
					   "matchLabelKeys", "mismatchLabelKeys", NULL};
	const struct ynode *n;
	t->anti = anti;
	t->weight = weight;
	t->line = v->line;
	t->col = v->col;
	if (ld_want_map(L, v, "a pod affinity term") || ld_check_keys(L, v, keys, "a pod affinity term"))
		return -1;
	for (size_t i = 2; keys[i]; i++)
		if ((n = yt_get(v, keys[i])))
			return yt_err(L->e, yt_key(v, (size_t)yt_find(v, keys[i])),
				      "%s: not modelled; a term selects pods of the pod's own namespace by labelSelector",
				      keys[i]);
	if ((n = yt_get(v, "labelSelector"))) {
		t->has_selector = true;
		if (ld_load_selector(L, n, "labelSelector", &t->selector))
			return -1;
	}
	return load_topology_key(L, v, "a pod affinity term", &t->key);
}

static int load_pod_affinity(struct ld *L, const struct ynode *v, bool anti, struct scn_placement *p)
{
	static const char *const keys[] = {"requiredDuringSchedulingIgnoredDuringExecution",
					   "preferredDuringSchedulingIgnoredDuringExecution", NULL};
	static const char *const wkeys[] = {"weight", "podAffinityTerm", NULL};
	const char *what = anti ? "podAntiAffinity" : "podAffinity";
	const struct ynode *r = yt_get(v, keys[0]), *pr = yt_get(v, keys[1]);
	if (ld_want_map(L, v, what) || ld_check_keys(L, v, keys, what) || (r && ld_want_seq(L, r, keys[0])) ||
	    (pr && ld_want_seq(L, pr, keys[1])))
		return -1;
	size_t more = (r ? r->n : 0) + (pr ? pr->n : 0);
	if (p->n_pod_terms + more > PLACE_MAX_TERMS)
		return yt_err(L->e, v, "%s: at most %d pod affinity and anti-affinity terms in a pod (headroom's bound)", what,
			      PLACE_MAX_TERMS);
	p->pod_terms = xrealloc(p->pod_terms, (p->n_pod_terms + more + 1) * sizeof *p->pod_terms);
	for (size_t i = 0; r && i < r->n; i++) {
		struct scn_pod_term *t = &p->pod_terms[p->n_pod_terms++];
		memset(t, 0, sizeof *t);
		if (load_pod_term(L, r->kid[i], anti, 0, t))
			return -1;
	}
	for (size_t i = 0; pr && i < pr->n; i++) {
		const struct ynode *w = pr->kid[i], *term;
		struct scn_pod_term *t = &p->pod_terms[p->n_pod_terms++];
		int64_t weight = 0;
		memset(t, 0, sizeof *t);
		if (ld_want_map(L, w, "a weighted pod affinity term") ||
		    ld_check_keys(L, w, wkeys, "a weighted pod affinity term") ||
		    !ld_need(L, w, "weight", "a weighted pod affinity term") || ld_get_int(L, w, "weight", 1, 100, &weight) ||
		    !(term = ld_need(L, w, "podAffinityTerm", "a weighted pod affinity term")) ||
		    load_pod_term(L, term, anti, (int32_t)weight, t))
			return -1;
	}
	return 0;
}

static int load_affinity(struct ld *L, const struct ynode *v, struct scn_placement *p)
{
	static const char *const keys[] = {"nodeAffinity", "podAffinity", "podAntiAffinity", NULL};
	const struct ynode *n;
	if (ld_want_map(L, v, "affinity") || ld_check_keys(L, v, keys, "affinity") ||
	    ((n = yt_get(v, "nodeAffinity")) && load_node_affinity(L, n, p)) ||
	    ((n = yt_get(v, "podAffinity")) && load_pod_affinity(L, n, false, p)) ||
	    ((n = yt_get(v, "podAntiAffinity")) && load_pod_affinity(L, n, true, p)))
		return -1;
	return 0;
}

/* ---- topology spread ---- */

/* matchLabelKeys: each key the pod has joins the selector as key = the
 * pod's value (pod-template-hash: the pods of the same ReplicaSet, i.e. of
 * this Deployment, as headroom runs one revision). */
static int load_match_label_keys(struct ld *L, const struct ynode *v, const struct scn_service *s, struct scn_spread *c)
{
	if (ld_want_seq(L, v, "matchLabelKeys"))
		return -1;
	if (!c->has_selector)
		return yt_err(L->e, v, "matchLabelKeys: must not be given without labelSelector, as Kubernetes requires");
	for (size_t i = 0; i < v->n; i++) {
		const char *k = ld_string(L, v->kid[i], "a label key");
		if (!k || ld_check_key(L, v->kid[i], "matchLabelKeys"))
			return -1;
		if (!strcmp(k, "pod-template-hash")) {
			c->own_revision = true;
			continue;
		}
		for (size_t l = 0; l < s->n_labels; l++) {
			if (strcmp(s->labels[l].key, k))
				continue;
			struct scn_selector *sel = &c->selector;
			sel->match = xrealloc(sel->match, (sel->n_match + 1) * sizeof *sel->match);
			sel->match[sel->n_match++] = (struct scn_label){xstrdup(k), xstrdup(s->labels[l].value)};
		}
	}
	return 0;
}

static int load_spread(struct ld *L, const struct ynode *v, const struct scn_service *s, struct scn_spread *c)
{
	static const char *const keys[] = {"maxSkew",	 "topologyKey",	      "whenUnsatisfiable", "labelSelector",
					   "minDomains", "nodeAffinityPolicy", "nodeTaintsPolicy",  "matchLabelKeys",
					   NULL};
	static const char *const whens[] = {"DoNotSchedule", "ScheduleAnyway", NULL};
	static const char *const policies[] = {"Honor", "Ignore", NULL};
	int64_t skew = 0, md = 1;
	int when = 0, aff = 0, taints = 1;
	const struct ynode *n;
	c->line = v->line;
	c->col = v->col;
	if (ld_want_map(L, v, "a topology spread constraint") ||
	    ld_check_keys(L, v, keys, "a topology spread constraint") ||
	    !ld_need(L, v, "maxSkew", "a topology spread constraint") ||
	    ld_get_int(L, v, "maxSkew", 1, INT32_MAX, &skew) ||
	    load_topology_key(L, v, "a topology spread constraint", &c->key) ||
	    !ld_need(L, v, "whenUnsatisfiable", "a topology spread constraint") ||
	    ld_get_enum(L, v, "whenUnsatisfiable", whens, &when) || ld_get_int(L, v, "minDomains", 1, INT32_MAX, &md) ||
	    ld_get_enum(L, v, "nodeAffinityPolicy", policies, &aff) || ld_get_enum(L, v, "nodeTaintsPolicy", policies, &taints))
		return -1;
	c->max_skew = (int32_t)skew;
	c->hard = when == 0;
	c->min_domains = (int32_t)md;
	c->honor_affinity = aff == 0;
	c->honor_taints = taints == 0;
	if (yt_get(v, "minDomains") && !c->hard)
		return yt_err(L->e, yt_get(v, "minDomains"),
			      "minDomains: only with whenUnsatisfiable DoNotSchedule, as Kubernetes requires");
	if ((n = yt_get(v, "labelSelector"))) {
		c->has_selector = true;
		if (ld_load_selector(L, n, "labelSelector", &c->selector))
			return -1;
	}
	if ((n = yt_get(v, "matchLabelKeys")) && load_match_label_keys(L, n, s, c))
		return -1;
	return 0;
}

static int load_spreads(struct ld *L, const struct ynode *v, struct scn_service *s)
{
	struct scn_placement *p = &s->placement;
	if (ld_want_seq(L, v, "topologySpreadConstraints"))
		return -1;
	if (v->n > PLACE_MAX_TERMS)
		return yt_err(L->e, v, "topologySpreadConstraints: at most %d constraints (headroom's bound)", PLACE_MAX_TERMS);
	p->spread = xcalloc(v->n ? v->n : 1, sizeof *p->spread);
	for (size_t i = 0; i < v->n; i++) {
		p->n_spread++;
		if (load_spread(L, v->kid[i], s, &p->spread[i]))
			return -1;
		for (size_t j = 0; j < i; j++)
			if (p->spread[j].key == p->spread[i].key && p->spread[j].hard == p->spread[i].hard)
				return yt_err(L->e, v->kid[i], "a second constraint with this topologyKey and whenUnsatisfiable "
							       "(line %d): Kubernetes refuses duplicates",
					      p->spread[j].line);
	}
	return 0;
}

int ld_load_placement(struct ld *L, const struct ynode *spec, struct scn_service *s)
{
	struct scn_placement *p = &s->placement;
	const struct ynode *n;
	if ((n = yt_get(spec, "nodeSelector")) &&
	    ld_load_labels(L, n, "nodeSelector", &p->node_selector, &p->n_node_selector))
		return -1;
	if ((n = yt_get(spec, "affinity")) && load_affinity(L, n, p))
		return -1;
	if ((n = yt_get(spec, "tolerations")) && ld_load_tolerations(L, n, &p->tolerations, &p->n_tolerations))
		return -1;
	if ((n = yt_get(spec, "topologySpreadConstraints")) && load_spreads(L, n, s))
		return -1;
	return 0;
}

/* ---- pods no node admits ---- */

/* Whether a pod with placement p fits a node described by d with taints. */
static bool admits(const struct scn_placement *p, const struct place_node_desc *d, const struct scn_taint *taints,
		   size_t n_taints)
{
	struct place_label labels[PLACE_NODE_LABELS + 64];
	char buf[PLACE_LABEL_BUF];
	if (d->n_labels > 64)
		return true; /* beyond the scratch: do not warn */
	size_t n = place_node_labels(d, labels, buf);
	return place_node_affinity(p, labels, n) && place_untolerated(p->tolerations, p->n_tolerations, taints, n_taints) < 0;
}

/* Whether some zone z of group meta m (zone: that one; -1: the mask) admits p. */
static bool group_admits(const struct scn_cluster *c, const struct scn_placement *p, struct place_node_desc d,
			 const struct scn_node_meta *m)
{
	d.labels = m->labels;
	d.n_labels = m->n_labels;
	for (size_t z = 0; z < c->n_zones; z++) {
		if (m->zone >= 0 ? (size_t)m->zone != z : !(m->zones >> z & 1u))
			continue;
		d.zone = c->zones[z];
		if (admits(p, &d, m->taints, m->n_taints))
			return true;
	}
	return false;
}

static bool anything_admits(const struct scenario *sc, const struct scn_placement *p)
{
	const struct scn_cluster *c = &sc->cluster;
	for (size_t i = 0; i < c->n_groups; i++) {
		const struct scn_nodes *g = &c->groups[i];
		struct place_node_desc d = {.hostname = "x", .type = g->instance[0] ? catalog_find(&c->catalog, g->instance) : NULL,
					    .capacity = -1};
		if (group_admits(c, p, d, &g->meta))
			return true;
	}
	if (c->provisioner == PROV_KARPENTER)
		for (size_t i = 0; i < c->karpenter.n_pools; i++) {
			const struct scn_nodepool *np = &c->karpenter.pools[i];
			for (size_t t = 0; t < np->n_types; t++)
				for (int spot = 0; spot < 2; spot++) {
					struct place_node_desc d = {.hostname = "x", .type = &c->catalog.types[np->types[t]],
								    .nodepool = np->name, .capacity = spot};
					if (np->capacity & (spot ? SCN_SPOT : SCN_ON_DEMAND) && group_admits(c, p, d, &np->meta))
						return true;
				}
		}
	if (c->provisioner == PROV_CLUSTER_AUTOSCALER)
		for (size_t i = 0; i < c->ca.n_groups; i++) {
			const struct scn_nodegroup *g = &c->ca.groups[i];
			struct place_node_desc d = {.hostname = "x", .type = &c->catalog.types[g->type], .capacity = -1};
			if (group_admits(c, p, d, &g->meta))
				return true;
		}
	return false;
}

bool ld_admits(const struct scenario *sc, const struct scn_placement *p)
{
	return anything_admits(sc, p);
}

void ld_check_placement(struct ld *L)
{
	const struct scenario *sc = L->sc;
	if (!sc->cluster.enabled)
		return;
	for (size_t i = 0; i < sc->n_services; i++) {
		const struct scn_service *s = &sc->services[i];
		if (anything_admits(sc, &s->placement))
			continue;
		warn_line(L, sc->path, s->line, s->col,
			  "service '%s': no %s admits its pods (their nodeSelector, node affinity and tolerations against "
			  "the nodes' labels and taints); Kubernetes accepts the Deployment, and its pods stay Pending",
			  s->name,
			  sc->cluster.provisioner == PROV_KARPENTER	       ? "static node group or NodePool"
			  : sc->cluster.provisioner == PROV_CLUSTER_AUTOSCALER ? "static node group or CA node group"
									       : "node group");
	}
}

/* ---- freeing ---- */

static void free_reqs(struct scn_requirement *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t v = 0; v < r[i].n_values; v++)
			free(r[i].values[v]);
		free(r[i].values);
		free(r[i].key);
	}
	free(r);
}

static void free_terms(struct scn_node_term *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_reqs(t[i].exprs, t[i].n_exprs);
	free(t);
}

void ld_free_placement(struct scenario *sc)
{
	for (size_t i = 0; i < sc->n_services; i++) {
		struct scn_placement *p = &sc->services[i].placement;
		ld_free_labels(p->node_selector, p->n_node_selector);
		free_terms(p->required, p->n_required);
		free_terms(p->preferred, p->n_preferred);
		for (size_t t = 0; t < p->n_pod_terms; t++)
			ld_free_selector(&p->pod_terms[t].selector);
		free(p->pod_terms);
		ld_free_tolerations(p->tolerations, p->n_tolerations);
		for (size_t t = 0; t < p->n_spread; t++)
			ld_free_selector(&p->spread[t].selector);
		free(p->spread);
		memset(p, 0, sizeof *p);
	}
	struct scn_cluster *c = &sc->cluster;
	for (size_t i = 0; i < c->n_daemonsets; i++) {
		struct scn_daemonset *d = &c->daemonsets[i];
		free(d->name);
		ld_free_labels(d->node_selector, d->n_node_selector);
		ld_free_tolerations(d->tolerations, d->n_tolerations);
	}
	free(c->daemonsets);
	c->daemonsets = NULL;
	c->n_daemonsets = 0;
	for (size_t i = 0; i < c->n_zones; i++)
		free(c->zones[i]);
	free(c->zones);
	c->zones = NULL;
	c->n_zones = 0;
	for (size_t i = 0; i < sc->n_warnings; i++)
		free(sc->warnings[i]);
	free(sc->warnings);
	sc->warnings = NULL;
	sc->n_warnings = 0;
}
