/*
 * scn_priority.c: PriorityClasses and the priority of each service's pods
 * (see scn_impl.h and the priorityClasses section of scenarios/README.md).
 *
 * `priorityClasses:` is a list; each item is a scheduling.k8s.io/v1
 * PriorityClass pasted as it is, or {file: path} naming a file of one or
 * more of them (documents separated by '---'). Each is checked as the API
 * server checks it: pkg/apis/scheduling/validation (ValidatePriorityClass:
 * a DNS-subdomain name, the "system-" prefix reserved for the built-in
 * classes, preemptionPolicy PreemptLowerPriority or Never) and the
 * Priority admission plugin, plugin/pkg/admission/priority/admission.go
 * (a user's class at most HighestUserDefinablePriority, 1e9; one
 * globalDefault class at most).
 *
 * A pod's priority is then what that admission plugin gives it: the value
 * of the class its priorityClassName names (a name no class has: the
 * plugin refuses the pod, so the ReplicaSet could create none; an error
 * here), else the globalDefault class's, else 0; its preemptionPolicy
 * likewise (PreemptLowerPriority without a class). A pod template that
 * sets priority or preemptionPolicy itself must agree with the class, or
 * the plugin refuses the pods.
 *
 * Placeholder pods (cluster overprovisioning): a Deployment whose
 * containers all run the pause image holds room and serves nothing. A
 * placeholder whose priority is not below a serving service's cannot be
 * preempted by its pods (kube-scheduler preempts only lower priorities):
 * Kubernetes accepts it, so it is a warning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_impl.h"

#define MAX_CLASSES 1000

/* The built-in classes (pkg/apis/scheduling/types.go SystemPriorityClasses). */
static const struct {
	const char *name;
	int32_t value;
} builtin[] = {{"system-node-critical", 2000001000}, {"system-cluster-critical", 2000000000}};

static const char *const policies[] = {"PreemptLowerPriority", "Never", NULL};

static int load_class(struct ld *L, const struct ynode *v, struct scn_priority_class *pc)
{
	static const char *const keys[] = {"apiVersion", "kind",	     "metadata",	 "value",
					   "globalDefault", "preemptionPolicy", "description", NULL};
	static const char *const bools[] = {"false", "true", NULL};
	const struct ynode *api, *m, *n;
	const char *name = NULL, *ns = NULL;
	int64_t value = 0;
	int gd = 0, never = 0;
	if (ld_want_map(L, v, "a PriorityClass manifest") || ld_check_keys(L, v, keys, "the PriorityClass manifest") ||
	    !(api = ld_need(L, v, "apiVersion", "the PriorityClass manifest")))
		return -1;
	if (api->kind == Y_SCALAR && (!strcmp(api->s, "scheduling.k8s.io/v1beta1") ||
				      !strcmp(api->s, "scheduling.k8s.io/v1alpha1")))
		return yt_err(L->e, api, "apiVersion: %s was removed in Kubernetes 1.22; write scheduling.k8s.io/v1",
			      api->s);
	if (ld_want_word(L, v, "apiVersion", "scheduling.k8s.io/v1") ||
	    !ld_need(L, v, "kind", "the PriorityClass manifest") || ld_want_word(L, v, "kind", "PriorityClass") ||
	    !(m = ld_need(L, v, "metadata", "the PriorityClass manifest")) ||
	    ld_load_object_meta(L, m, "metadata", &name, &ns))
		return -1;
	if (!name)
		return yt_err(L->e, m, "metadata needs a name: pods name their PriorityClass by it");
	if (!ld_subdomain_ok(name))
		return yt_err(L->e, yt_get(m, "name"),
			      "name: '%s' is not a valid PriorityClass name (a DNS subdomain: lower-case letters, digits, "
			      "'-' and '.')",
			      name);
	if (!(n = ld_need(L, v, "value", "the PriorityClass manifest")) ||
	    ld_get_int(L, v, "value", INT32_MIN, INT32_MAX, &value) || ld_get_enum(L, v, "globalDefault", bools, &gd) ||
	    ld_get_enum(L, v, "preemptionPolicy", policies, &never) ||
	    ((m = yt_get(v, "description")) && !ld_string(L, m, "description")))
		return -1;
	pc->name = xstrdup(name);
	pc->value = (int32_t)value;
	pc->global_default = gd;
	pc->never = never;
	for (size_t i = 0; i < ARRAY_LEN(builtin); i++) {
		if (strcmp(name, builtin[i].name))
			continue;
		if (value == builtin[i].value && !gd)
			return 0; /* a copy of the built-in class, as `kubectl get priorityclass -o yaml` lists it */
		return yt_err(L->e, yt_get(yt_get(v, "metadata"), "name"),
			      "name: %s is a built-in PriorityClass (value %d, not globalDefault); its name is reserved",
			      name, builtin[i].value);
	}
	if (!strncmp(name, "system-", 7))
		return yt_err(L->e, yt_get(yt_get(v, "metadata"), "name"),
			      "name: priority class names with 'system-' prefix are reserved for system use only");
	if (value > SCN_MAX_USER_PRIORITY)
		return yt_err(L->e, n,
			      "value: %lld is above %d, the maximum allowed value of a user defined priority (higher "
			      "values are the built-in system classes')",
			      (long long)value, SCN_MAX_USER_PRIORITY);
	return 0;
}

/* Duplicates and a second globalDefault, once class i is read. */
static int check_unique(struct ld *L, const struct ynode *v, size_t i)
{
	const struct scn_priority_class *pc = &L->sc->priority_classes[i];
	for (size_t j = 0; j < i; j++) {
		const struct scn_priority_class *q = &L->sc->priority_classes[j];
		if (!strcmp(q->name, pc->name))
			return yt_err(L->e, v, "PriorityClass '%s' is defined twice (also line %d)", pc->name, q->line);
		if (pc->global_default && q->global_default)
			return yt_err(L->e, yt_get(v, "globalDefault"),
				      "globalDefault: PriorityClass %s (line %d) is already marked as default. Only one "
				      "default can exist",
				      q->name, q->line);
	}
	return 0;
}

static struct scn_priority_class *add_class(struct ld *L, const struct ynode *at, size_t *cap)
{
	struct scenario *sc = L->sc;
	if (sc->n_priority_classes == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		sc->priority_classes = xrealloc(sc->priority_classes, *cap * sizeof *sc->priority_classes);
	}
	struct scn_priority_class *pc = &sc->priority_classes[sc->n_priority_classes++];
	memset(pc, 0, sizeof *pc);
	pc->line = at->line;
	pc->col = at->col;
	return pc;
}

static int load_one(struct ld *L, const struct ynode *doc, void *ctx)
{
	if (L->sc->n_priority_classes >= MAX_CLASSES)
		return yt_err(L->e, doc, "too many PriorityClasses (at most %d)", MAX_CLASSES);
	if (load_class(L, doc, add_class(L, doc, ctx)))
		return -1;
	return check_unique(L, doc, L->sc->n_priority_classes - 1);
}

int ld_load_priority_classes(struct ld *L, const struct ynode *v)
{
	if (ld_want_seq(L, v, "priorityClasses"))
		return -1;
	size_t cap = 0;
	for (size_t i = 0; i < v->n; i++)
		if (ld_each_manifest(L, v->kid[i], "a PriorityClass", "scheduling.k8s.io/v1 PriorityClasses", load_one, &cap))
			return -1;
	return 0;
}

/* ---- a service's priority ---- */

static const struct scn_priority_class *find_class(const struct scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->n_priority_classes; i++)
		if (!strcmp(sc->priority_classes[i].name, name))
			return &sc->priority_classes[i];
	return NULL;
}

/* The class marked globalDefault, or NULL. */
static const struct scn_priority_class *global_default(const struct scenario *sc)
{
	for (size_t i = 0; i < sc->n_priority_classes; i++)
		if (sc->priority_classes[i].global_default)
			return &sc->priority_classes[i];
	return NULL;
}

/* "a, b, c" (the classes a pod may name), or "none" */
static void class_names(const struct scenario *sc, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sc->n_priority_classes && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", sc->priority_classes[i].name);
	for (size_t i = 0; i < ARRAY_LEN(builtin) && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "", builtin[i].name);
}

/* The class named at node n: its value and policy into s. */
static int resolve_name(struct ld *L, const struct ynode *n, struct scn_service *s)
{
	for (size_t i = 0; i < ARRAY_LEN(builtin); i++)
		if (!strcmp(s->priority_class, builtin[i].name)) {
			s->priority = builtin[i].value;
			return 0;
		}
	const struct scn_priority_class *pc = find_class(L->sc, s->priority_class);
	if (pc) {
		s->priority = pc->value;
		s->preempt_never = pc->never;
		return 0;
	}
	const char *names[MAX_CLASSES + 1];
	size_t k = 0;
	for (size_t i = 0; i < L->sc->n_priority_classes; i++)
		names[k++] = L->sc->priority_classes[i].name;
	names[k] = NULL;
	const char *near = ld_closest(s->priority_class, names);
	char known[400];
	class_names(L->sc, known, sizeof known);
	return yt_err(L->e, n,
		      "priorityClassName: no PriorityClass with name %s was found%s%s%s (the Priority admission plugin "
		      "refuses such pods, so their ReplicaSet creates none); add it to priorityClasses (known: %s)",
		      s->priority_class, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "", known);
}

int ld_resolve_priority(struct ld *L, const struct ynode *n, const struct ynode *spec, struct scn_service *s)
{
	const struct ynode *k;
	const struct scn_priority_class *dflt = global_default(L->sc);
	s->priority = 0;
	s->preempt_never = false;
	if (n) {
		if (resolve_name(L, n, s))
			return -1;
	} else if (dflt) {
		s->priority = dflt->value;
		s->preempt_never = dflt->never;
	}
	if (spec && (k = yt_get(spec, "priority"))) {
		int64_t given = 0;
		if (ld_get_int(L, spec, "priority", INT32_MIN, INT32_MAX, &given))
			return -1;
		if (given != s->priority)
			return yt_err(L->e, k,
				      "priority: the integer value of priority (%lld) must not be provided in pod spec; "
				      "priority admission controller computed %d from the given PriorityClass name",
				      (long long)given, s->priority);
	}
	if (spec && (k = yt_get(spec, "preemptionPolicy"))) {
		int never = 0;
		if (ld_get_enum(L, spec, "preemptionPolicy", policies, &never))
			return -1;
		if ((bool)never != s->preempt_never)
			return yt_err(L->e, k,
				      "preemptionPolicy: the string value of PreemptionPolicy (%s) must not be provided in "
				      "pod spec; priority admission controller computed %s from the given PriorityClass name",
				      policies[never], policies[s->preempt_never]);
	}
	return 0;
}

/* ---- across services ---- */

/* Whether service i takes requests: traffic, or a caller. */
static bool serving(const struct scenario *sc, size_t i)
{
	if (sc->services[i].traffic.enabled)
		return true;
	for (size_t j = 0; j < sc->n_services; j++)
		for (size_t c = 0; c < sc->services[j].n_calls; c++)
			if (sc->services[j].calls[c].service == (int)i)
				return true;
	return false;
}

/* The class the admission plugin gives s's pods: its own, the globalDefault, or none. */
static const char *class_of(const struct scenario *sc, const struct scn_service *s)
{
	if (s->priority_class)
		return s->priority_class;
	const struct scn_priority_class *dflt = global_default(sc);
	return dflt ? dflt->name : "none";
}

int ld_check_priorities(struct ld *L)
{
	const struct scenario *sc = L->sc;
	for (size_t j = 0; j < sc->n_services; j++) {
		const struct scn_service *s = &sc->services[j];
		for (size_t c = 0; c < s->n_calls; c++) {
			const struct scn_service *t = &sc->services[s->calls[c].service];
			if (t->placeholder)
				return yt_err(L->e, yt_key(L->names, j),
					      "service '%s' calls '%s', whose containers all run the pause image: a "
					      "placeholder serves no request",
					      s->name, t->name);
		}
	}
	for (size_t p = 0; p < sc->n_services; p++) {
		const struct scn_service *ph = &sc->services[p];
		if (!ph->placeholder)
			continue;
		for (size_t i = 0; i < sc->n_services; i++) {
			const struct scn_service *s = &sc->services[i];
			if (i == p || s->placeholder || !serving(sc, i) || ph->priority < s->priority)
				continue;
			ld_warn(L, yt_key(L->names, p),
				"service '%s' is a placeholder (pause containers) at priority %d (PriorityClass "
				"%s), not below service '%s' at %d (PriorityClass %s): kube-scheduler preempts only pods "
				"of lower priority, so its pods would never make room for '%s''s; give the placeholder a "
				"PriorityClass below it (e.g. value -1)",
				ph->name, ph->priority, class_of(sc, ph), s->name, s->priority, class_of(sc, s), s->name);
			break;
		}
	}
	return 0;
}

void ld_free_priority_classes(struct scenario *sc)
{
	for (size_t i = 0; i < sc->n_priority_classes; i++)
		free(sc->priority_classes[i].name);
	free(sc->priority_classes);
}
