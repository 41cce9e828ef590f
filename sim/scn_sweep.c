/*
 * scn_sweep.c: a scenario's `sweep:` section and its services' `buffer`
 * (scenarios/README.md, "sweep" and "Services").
 *
 * A sweep is a list of axes; an axis is one dotted key with a list of values,
 * or a named group of keys whose lists move together (the same length, the
 * i-th values go together). The variants are the Cartesian product of the
 * axes, the first axis slowest, each a list of --set overrides
 * ("services.payment.buffer=130%") named by its values ("buffer=130%"). They
 * go into scenario.variants, where `compare:` puts its own, so everything
 * that runs or checks variants (the loader loads each one in full, `run`,
 * `plan`) treats both alike.
 *
 * A buffer sets the HPA's minReplicas to ceil(baseline x buffer), where the
 * baseline is what the HPA settles on for the normal traffic (plan.h,
 * plan_baselines); the Deployment then starts at max(minReplicas, baseline),
 * the steady state before a spike. Buffers are applied last, once every
 * service, call and override is known.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "plan_seq.h"
#include "scn_impl.h"

#define MAX_SWEEP_VARIANTS 1000
#define MAX_AXIS_KEYS 16
#define MAX_REPLICATIONS 100000
#define MAX_BUFFER 100.0 /* 10,000 % */

int ld_load_buffer(struct ld *L, const struct ynode *v, struct scn_service *s)
{
	const char *t = ld_scalar(L, v, "buffer");
	char why[UNITS_WHY];
	double b;
	if (!t)
		return -1;
	if (units_fraction(t, &b, why))
		return yt_err(L->e, v, "buffer: %s", why);
	if (!(b > 0) || b > MAX_BUFFER)
		return yt_err(L->e, v, "buffer: %s is out of range: it must be > 0 and <= 10000%%", t);
	s->buffer = b;
	return 0;
}

/* minReplicas and the starting replicas of every service with a buffer. */
static int apply_buffers(struct ld *L)
{
	struct scenario *sc = L->sc;
	size_t n = 0;
	for (size_t i = 0; i < sc->n_services; i++)
		n += sc->services[i].buffer > 0;
	if (!n)
		return 0;
	struct plan_baseline *b = xcalloc(sc->n_services, sizeof *b);
	plan_baselines(sc, b);
	int rc = 0;
	for (size_t i = 0; i < sc->n_services && !rc; i++) {
		struct scn_service *s = &sc->services[i];
		if (!(s->buffer > 0))
			continue;
		if (!s->hpa.enabled) {
			rc = herr_at(L->e, sc->path, s->line, s->col,
				     "service '%s': a buffer sets the HPA's minReplicas; give the service an hpa", s->name);
			break;
		}
		int64_t m = plan_buffered(b[i].replicas, s->buffer);
		if (m > s->hpa.max_replicas) {
			rc = herr_at(L->e, sc->path, s->line, s->col,
				     "service '%s': buffer %g%% gives minReplicas %lld (baseline %d x %g%%), above "
				     "maxReplicas %d; raise maxReplicas or lower the buffer",
				     s->name, 100 * s->buffer, (long long)m, b[i].replicas, 100 * s->buffer,
				     (int)s->hpa.max_replicas);
			break;
		}
		s->hpa.min_replicas = (int32_t)m;
		s->replicas = (int)HR_MAX(m, (int64_t)b[i].replicas);
	}
	free(b);
	return rc;
}

/* One axis: keys that move together, each with its list of values. */
struct axis {
	const char *name;                       /* the key, or the group's name */
	const struct ynode *keys[MAX_AXIS_KEYS]; /* key nodes (dotted paths) */
	const struct ynode *lists[MAX_AXIS_KEYS];/* their lists of values */
	size_t n_keys;
	size_t n_values;
};

/* A dotted path to set: non-empty parts, not inside sweep or compare. */
static int check_path(struct ld *L, const struct ynode *k)
{
	const char *s = k->s;
	size_t n = strlen(s);
	if (!n || s[0] == '.' || s[n - 1] == '.' || strstr(s, ".."))
		return yt_err(L->e, k, "sweep: '%s' is not a dotted key (e.g. services.payment.buffer)", s);
	size_t first = strcspn(s, ".");
	if ((first == 5 && !strncmp(s, "sweep", 5)) || (first == 7 && !strncmp(s, "compare", 7)))
		return yt_err(L->e, k, "sweep: an axis cannot set '%s'", s);
	return 0;
}

static int want_values(struct ld *L, const struct ynode *k, const struct ynode *list)
{
	char buf[80];
	if (list->kind != Y_SEQ)
		return yt_err(L->e, list, "sweep: '%s' needs a list of values (e.g. [100%%, 130%%]), not %s", k->s,
			      yt_what(list, buf, sizeof buf));
	if (list->n < 1 || list->n > MAX_SWEEP_VARIANTS)
		return yt_err(L->e, list, "sweep: '%s' needs 1 to %d values", k->s, MAX_SWEEP_VARIANTS);
	return 0;
}

/* Axis i of the axes mapping into *a. */
static int load_axis(struct ld *L, const struct ynode *axes, size_t i, struct axis *a)
{
	const struct ynode *k = yt_key(axes, i), *v = yt_val(axes, i);
	a->name = k->s;
	if (v->kind == Y_SEQ) { /* one key */
		a->keys[0] = k;
		a->lists[0] = v;
		a->n_keys = 1;
		a->n_values = v->n;
		return check_path(L, k) || want_values(L, k, v) ? -1 : 0;
	}
	if (v->kind != Y_MAP)
		return want_values(L, k, v);
	if (v->n < 1 || v->n > MAX_AXIS_KEYS)
		return yt_err(L->e, v, "sweep: the group '%s' needs 1 to %d keys that move together", k->s, MAX_AXIS_KEYS);
	for (size_t j = 0; j < v->n; j++) {
		const struct ynode *kk = yt_key(v, j), *list = yt_val(v, j);
		if (check_path(L, kk) || want_values(L, kk, list))
			return -1;
		if (j && list->n != a->n_values)
			return yt_err(L->e, list, "sweep: '%s' has %zu values and '%s' %zu; keys of one group move together",
				      kk->s, list->n, yt_key(v, 0)->s, a->n_values);
		a->keys[j] = kk;
		a->lists[j] = list;
		a->n_values = list->n;
	}
	a->n_keys = v->n;
	return 0;
}

/* A value as a person reads it: a scalar's text, else flow YAML (caller frees). */
static char *value_text(const struct ynode *n)
{
	if (n->kind == Y_SCALAR)
		return xstrdup(n->s);
	size_t need = yt_emit(n, NULL, 0) + 1;
	char *s = xmalloc(need);
	yt_emit(n, s, need);
	return s;
}

/* Appends s to the growing string *buf (length *len). */
static void append(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	*buf = xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

/* Variant number v (0-based, last axis fastest): its overrides and name. */
static void make_variant(const struct axis *ax, size_t n_axes, size_t v, struct scn_variant *var)
{
	size_t n_sets = 0, idx[64], rem = v, len = 0;
	for (size_t a = n_axes; a-- > 0;) {
		idx[a] = rem % ax[a].n_values;
		rem /= ax[a].n_values;
		n_sets += ax[a].n_keys;
	}
	var->sets = xcalloc(n_sets, sizeof *var->sets);
	var->values = xcalloc(n_axes, sizeof *var->values);
	var->name = xstrdup("");
	for (size_t a = 0; a < n_axes; a++) {
		char *shown = NULL;
		size_t shown_len = 0;
		for (size_t k = 0; k < ax[a].n_keys; k++) {
			const struct ynode *val = ax[a].lists[k]->kid[idx[a]];
			size_t need = yt_emit(val, NULL, 0) + strlen(ax[a].keys[k]->s) + 2;
			char *set = xmalloc(need + 1), *t = value_text(val);
			size_t kl = (size_t)snprintf(set, need + 1, "%s=", ax[a].keys[k]->s);
			yt_emit(val, set + kl, need + 1 - kl);
			var->sets[var->n_sets++] = set;
			/* A group shows one value when its keys agree, else each. */
			if (!shown || strcmp(shown, t)) {
				if (shown)
					append(&shown, &shown_len, "/");
				append(&shown, &shown_len, t);
			}
			free(t);
		}
		if (a)
			append(&var->name, &len, " ");
		append(&var->name, &len, ax[a].name);
		append(&var->name, &len, "=");
		append(&var->name, &len, shown);
		var->values[a] = shown;
	}
}

/* `search: AXIS`: an axis of the sweep whose values are numbers. */
static int check_search(struct ld *L, const struct ynode *k)
{
	struct scenario *sc = L->sc;
	size_t n = sc->n_variants + 1;
	int *order = xcalloc(n, sizeof *order), *starts = xcalloc(n, sizeof *starts), n_lines = 0;
	char why[400];
	int rc = plan_search_lines(sc, k->s, order, starts, &n_lines, why, sizeof why);
	free(order);
	free(starts);
	if (rc)
		return yt_err(L->e, k, "sweep.%s", why);
	sc->sweep.search = xstrdup(k->s);
	return 0;
}

static int load_sweep(struct ld *L, const struct ynode *root, const struct ynode *v)
{
	static const char *const keys[] = {"replications", "target", "axes", "adaptive", "search", NULL};
	static const char *const bools[] = {"false", "true", NULL};
	struct scenario *sc = L->sc;
	const struct ynode *at = yt_key(root, (size_t)yt_find(root, "sweep")), *axes;
	if (sc->n_variants)
		return yt_err(L->e, at, "sweep: a scenario has compare: or sweep:, not both (a sweep axis can set "
					"what a compare variant sets)");
	int64_t reps = 0;
	double target = 0;
	int adaptive = 0;
	const struct ynode *search = NULL;
	if (ld_want_map(L, v, "sweep") || ld_check_keys(L, v, keys, "sweep") ||
	    ld_get_int(L, v, "replications", 1, MAX_REPLICATIONS, &reps) ||
	    ld_get_enum(L, v, "adaptive", bools, &adaptive) ||
	    ((search = yt_get(v, "search")) && !ld_scalar(L, search, "search")) ||
	    ld_get_num(L, v, "target", units_fraction, 0, 1, true, &target) || !(axes = ld_need(L, v, "axes", "sweep")) ||
	    ld_want_map(L, axes, "sweep.axes"))
		return -1;
	if (target >= 1)
		return yt_err(L->e, yt_get(v, "target"), "target: %s: a probability below 100%% (e.g. 95%%)",
			      yt_get(v, "target")->s);
	if (axes->n < 1 || axes->n > 64)
		return yt_err(L->e, axes, "sweep.axes: give 1 to 64 axes (key: [values], or group: {key: [values], ...})");
	struct axis *ax = xcalloc(axes->n, sizeof *ax);
	size_t n_var = 1;
	int rc = 0;
	for (size_t i = 0; i < axes->n && !rc; i++) {
		rc = load_axis(L, axes, i, &ax[i]);
		/* A key set by two axes would make variants that are not what they say. */
		for (size_t j = 0; j < i && !rc; j++)
			for (size_t a = 0; a < ax[i].n_keys && !rc; a++)
				for (size_t b = 0; b < ax[j].n_keys && !rc; b++)
					if (!strcmp(ax[i].keys[a]->s, ax[j].keys[b]->s))
						rc = yt_err(L->e, ax[i].keys[a], "sweep: '%s' is in two axes", ax[i].keys[a]->s);
		if (!rc && (n_var *= ax[i].n_values) > MAX_SWEEP_VARIANTS)
			rc = yt_err(L->e, axes, "sweep: the axes make more than %d variants", MAX_SWEEP_VARIANTS);
	}
	if (!rc) {
		sc->variants = xcalloc(n_var, sizeof *sc->variants);
		for (size_t i = 0; i < n_var; i++) {
			struct scn_variant *var = &sc->variants[sc->n_variants++];
			make_variant(ax, axes->n, i, var);
			var->line = at->line;
			var->col = at->col;
		}
		char **names = xcalloc(axes->n, sizeof *names);
		for (size_t i = 0; i < axes->n; i++)
			names[i] = xstrdup(ax[i].name);
		sc->sweep = (struct scn_sweep){true, axes->n, reps, target, at->line, at->col, names, adaptive, NULL};
		if (search)
			rc = check_search(L, search);
	}
	free(ax);
	return rc;
}

int ld_load_sweep(struct ld *L, const struct ynode *root)
{
	const struct ynode *v = yt_get(root, "sweep");
	if (v && load_sweep(L, root, v))
		return -1;
	return apply_buffers(L);
}
