/*
 * scn_meta.c: what the Kubernetes manifests of a scenario share (see
 * scn_impl.h): object metadata, labels and annotations, label selectors,
 * IntOrString counts and percentages, and strings that must be strings.
 *
 * The checks are the API server's (k8s.io/apimachinery pkg/util/validation
 * IsQualifiedName, IsValidLabelValue, IsValidPercent;
 * pkg/apis/meta/v1/validation ValidateLabelSelector), and the types are
 * those Kubernetes' YAML decoder (sigs.k8s.io/yaml, YAML 1.1) gives: an
 * unquoted `true`, `yes`, `1` or `~` where a string belongs is refused, as
 * kubectl refuses it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_impl.h"

/* ---- strings ---- */

/* What a plain scalar is to YAML 1.1 when it is not a string: "a boolean",
 * "null" or "a number"; NULL for a string. */
static const char *yaml_nonstring(const char *s)
{
	static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
	static const char *const bools[] = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True",
					    "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", NULL};
	static const char *const floats[] = {".inf", ".Inf", ".INF", "+.inf", "-.inf", ".nan", ".NaN", ".NAN", NULL};
	for (size_t i = 0; nulls[i]; i++)
		if (!strcmp(s, nulls[i]))
			return "null";
	for (size_t i = 0; bools[i]; i++)
		if (!strcmp(s, bools[i]))
			return "a boolean";
	for (size_t i = 0; floats[i]; i++)
		if (!strcmp(s, floats[i]))
			return "a number";
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b') && p[2]) {
		for (p += 2; *p; p++)
			if (!isxdigit((unsigned char)*p) && *p != '_')
				return NULL;
		return "a number";
	}
	bool digits = false, dot = false;
	for (; *p && *p != 'e' && *p != 'E'; p++) {
		if (isdigit((unsigned char)*p) || (*p == '_' && digits))
			digits = true;
		else if (*p == '.' && !dot)
			dot = true;
		else
			return NULL;
	}
	if (!digits)
		return NULL;
	if (!*p)
		return "a number";
	p++;
	if (*p == '+' || *p == '-')
		p++;
	if (!*p)
		return NULL;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return NULL;
	return "a number";
}

const char *ld_string(struct ld *L, const struct ynode *n, const char *what)
{
	char buf[80];
	if (n->kind != Y_SCALAR) {
		yt_err(L->e, n, "%s must be a string, not %s", what, yt_what(n, buf, sizeof buf));
		return NULL;
	}
	const char *is = n->plain ? yaml_nonstring(n->s) : NULL;
	if (n->plain && !n->s[0]) {
		yt_err(L->e, n, "%s must be a string, not nothing (write \"\" for an empty one)", what);
		return NULL;
	}
	if (is) {
		yt_err(L->e, n, "%s must be a string: unquoted, %s is %s to Kubernetes; write \"%s\"", what, n->s, is, n->s);
		return NULL;
	}
	return n->s;
}

/* ---- label keys and values ---- */

/* A name part: 1-63 characters, [A-Za-z0-9] at both ends, [-_.A-Za-z0-9] inside. */
static bool name_part_ok(const char *s, size_t n)
{
	if (!n || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* A DNS subdomain (RFC 1123): at most 253 characters, lower-case labels of
 * [a-z0-9-] starting and ending alphanumeric, joined by dots. */
static bool subdomain_ok(const char *s, size_t n)
{
	if (!n || n > 253)
		return false;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
				return false;
			continue;
		}
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		start = i + 1;
	}
	return true;
}

/* IsQualifiedName: [prefix/]name, the prefix a DNS subdomain. */
static bool qualified_name_ok(const char *k)
{
	const char *slash = strchr(k, '/');
	if (!slash)
		return name_part_ok(k, strlen(k));
	if (strchr(slash + 1, '/'))
		return false;
	return subdomain_ok(k, (size_t)(slash - k)) && name_part_ok(slash + 1, strlen(slash + 1));
}

bool ld_subdomain_ok(const char *s)
{
	return subdomain_ok(s, strlen(s));
}

int ld_check_key(struct ld *L, const struct ynode *k, const char *what)
{
	if (!qualified_name_ok(k->s))
		return yt_err(L->e, k,
			      "%s: '%s' is not a valid key: an optional DNS-subdomain prefix and '/', then 1-63 letters, "
			      "digits, '-', '_' or '.', starting and ending with a letter or digit",
			      what, k->s);
	return 0;
}

bool ld_label_value_ok(const char *s)
{
	return !s[0] || name_part_ok(s, strlen(s));
}

int ld_load_labels(struct ld *L, const struct ynode *v, const char *what, struct scn_label **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (ld_want_map(L, v, what))
		return -1;
	*out = xcalloc(v->n ? v->n : 1, sizeof **out);
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *k = yt_key(v, i), *val = yt_val(v, i);
		const char *s;
		if (ld_check_key(L, k, what) || !(s = ld_string(L, val, k->s)))
			return -1;
		if (s[0] && !name_part_ok(s, strlen(s)))
			return yt_err(L->e, val,
				      "%s: '%s' is not a valid label value: at most 63 letters, digits, '-', '_' or '.', "
				      "starting and ending with a letter or digit (or empty)",
				      k->s, s);
		(*out)[i] = (struct scn_label){xstrdup(k->s), xstrdup(s)};
		(*n)++;
	}
	return 0;
}

void ld_free_labels(struct scn_label *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].key);
		free(l[i].value);
	}
	free(l);
}

int ld_check_annotations(struct ld *L, const struct ynode *v, const char *what)
{
	if (ld_want_map(L, v, what))
		return -1;
	for (size_t i = 0; i < v->n; i++)
		if (ld_check_key(L, yt_key(v, i), what) || !ld_string(L, yt_val(v, i), yt_key(v, i)->s))
			return -1;
	return 0;
}

int ld_load_object_meta(struct ld *L, const struct ynode *v, const char *what, const char **name, const char **ns)
{
	/* What `kubectl get -o yaml` writes, and what a manifest may say. */
	static const char *const keys[] = {"name",	    "generateName", "namespace",	 "labels",
					   "annotations",   "uid",	    "resourceVersion",	 "generation",
					   "creationTimestamp", "managedFields", "selfLink",	 "ownerReferences",
					   "finalizers",    NULL};
	const struct ynode *n;
	*name = *ns = NULL;
	if (ld_want_map(L, v, what) || ld_check_keys(L, v, keys, what))
		return -1;
	if ((n = yt_get(v, "name")) && !(*name = ld_string(L, n, "name")))
		return -1;
	if ((n = yt_get(v, "namespace")) && !(*ns = ld_string(L, n, "namespace")))
		return -1;
	if ((n = yt_get(v, "annotations")) && ld_check_annotations(L, n, "annotations"))
		return -1;
	if ((n = yt_get(v, "labels"))) {
		struct scn_label *l;
		size_t nl;
		int rc = ld_load_labels(L, n, "labels", &l, &nl);
		ld_free_labels(l, nl);
		return rc;
	}
	return 0;
}

/* ---- label selectors ---- */

static int load_expression(struct ld *L, const struct ynode *v, struct scn_requirement *r)
{
	static const char *const keys[] = {"key", "operator", "values", NULL};
	static const char *const ops[] = {"In", "NotIn", "Exists", "DoesNotExist", NULL};
	const struct ynode *k, *vals;
	int op = 0;
	if (ld_want_map(L, v, "a match expression") || ld_check_keys(L, v, keys, "a match expression") ||
	    !(k = ld_need(L, v, "key", "a match expression")) || !ld_string(L, k, "key") ||
	    ld_check_key(L, k, "key") || !ld_need(L, v, "operator", "a match expression") ||
	    ld_get_enum(L, v, "operator", ops, &op))
		return -1;
	r->key = xstrdup(k->s);
	r->op = (enum req_op)op;
	vals = yt_get(v, "values");
	bool set_op = op == REQ_IN || op == REQ_NOT_IN;
	if (!set_op) {
		if (vals && (vals->kind != Y_SEQ || vals->n))
			return yt_err(L->e, vals, "values: must be empty with %s", ops[op]);
		return 0;
	}
	if (!vals)
		return yt_err(L->e, v, "a match expression with %s needs values", ops[op]);
	if (ld_want_seq(L, vals, "values"))
		return -1;
	if (!vals->n)
		return yt_err(L->e, vals, "values: %s takes at least one value", ops[op]);
	r->values = xcalloc(vals->n, sizeof *r->values);
	for (size_t i = 0; i < vals->n; i++) {
		const char *s = ld_string(L, vals->kid[i], "a value");
		if (!s)
			return -1;
		if (s[0] && !name_part_ok(s, strlen(s)))
			return yt_err(L->e, vals->kid[i], "'%s' is not a valid label value", s);
		r->values[r->n_values++] = xstrdup(s);
	}
	return 0;
}

int ld_load_selector(struct ld *L, const struct ynode *v, const char *what, struct scn_selector *sel)
{
	static const char *const keys[] = {"matchLabels", "matchExpressions", NULL};
	const struct ynode *n;
	memset(sel, 0, sizeof *sel);
	if (ld_want_map(L, v, what) || ld_check_keys(L, v, keys, what))
		return -1;
	if ((n = yt_get(v, "matchLabels")) && ld_load_labels(L, n, "matchLabels", &sel->match, &sel->n_match))
		return -1;
	if (!(n = yt_get(v, "matchExpressions")))
		return 0;
	if (ld_want_seq(L, n, "matchExpressions"))
		return -1;
	sel->exprs = xcalloc(n->n ? n->n : 1, sizeof *sel->exprs);
	for (size_t i = 0; i < n->n; i++) {
		sel->n_exprs++;
		if (load_expression(L, n->kid[i], &sel->exprs[i]))
			return -1;
	}
	return 0;
}

void ld_free_selector(struct scn_selector *sel)
{
	ld_free_labels(sel->match, sel->n_match);
	for (size_t i = 0; i < sel->n_exprs; i++) {
		for (size_t j = 0; j < sel->exprs[i].n_values; j++)
			free(sel->exprs[i].values[j]);
		free(sel->exprs[i].values);
		free(sel->exprs[i].key);
	}
	free(sel->exprs);
	memset(sel, 0, sizeof *sel);
}

static const char *label_of(const struct scn_label *labels, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(labels[i].key, key))
			return labels[i].value;
	return NULL;
}

bool scn_selector_matches(const struct scn_selector *sel, const struct scn_label *labels, size_t n)
{
	for (size_t i = 0; i < sel->n_match; i++) {
		const char *v = label_of(labels, n, sel->match[i].key);
		if (!v || strcmp(v, sel->match[i].value))
			return false;
	}
	for (size_t i = 0; i < sel->n_exprs; i++) {
		const struct scn_requirement *r = &sel->exprs[i];
		const char *v = label_of(labels, n, r->key);
		bool in = false;
		for (size_t j = 0; v && j < r->n_values; j++)
			in |= !strcmp(v, r->values[j]);
		bool ok = r->op == REQ_IN ? in : r->op == REQ_NOT_IN ? !in : r->op == REQ_EXISTS ? v != NULL : v == NULL;
		if (!ok)
			return false;
	}
	return true;
}

/* ---- IntOrString ---- */

int ld_get_intpct(struct ld *L, const struct ynode *m, const char *k, bool max100, struct scn_intpct *out)
{
	const struct ynode *v = yt_get(m, k);
	if (!v)
		return 0;
	const char *s = ld_scalar(L, v, k);
	if (!s)
		return -1;
	size_t len = strlen(s), digits = strspn(s, "0123456789");
	bool pct = len >= 2 && s[len - 1] == '%' && digits == len - 1;
	/* An unquoted number is an integer; a string must be a percentage
	 * (IsValidPercent), so "1" in quotes is refused, as by the API server. */
	if (!pct && !(v->plain && digits == len && len))
		return yt_err(L->e, v, "%s: '%s' is not an integer or a percentage (e.g. 1 or \"25%%\")%s", k, s,
			      s[0] == '-' ? ": it must not be negative" : !v->plain && digits == len ? ": a quoted number is a string, and a string must end in '%'" : "");
	if (digits > 9)
		return yt_err(L->e, v, "%s: '%s' is too large", k, s);
	if (!pct && digits > 1 && s[0] == '0')
		return yt_err(L->e, v, "%s: write %s without its leading 0: Kubernetes' YAML reads it as an octal number", k, s);
	int32_t x = (int32_t)strtol(s, NULL, 10);
	if (pct && max100 && x > 100)
		return yt_err(L->e, v, "%s: %s must not be greater than 100%%", k, s);
	*out = (struct scn_intpct){pct, x};
	return 0;
}

/* ---- freeing ---- */

void ld_free_manifests(struct scenario *sc)
{
	for (size_t i = 0; i < sc->n_services; i++) {
		struct scn_service *s = &sc->services[i];
		ld_free_labels(s->labels, s->n_labels);
		ld_free_selector(&s->selector);
		free(s->deployment_name);
		free(s->namespace);
		free(s->priority_class);
	}
	for (size_t i = 0; i < sc->n_pdbs; i++) {
		struct scn_pdb *p = &sc->pdbs[i];
		ld_free_selector(&p->selector);
		free(p->services);
		free(p->name);
		free(p->namespace);
	}
	free(sc->pdbs);
	ld_free_priority_classes(sc);
}
