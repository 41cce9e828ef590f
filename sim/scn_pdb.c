/*
 * scn_pdb.c: the scenario's PodDisruptionBudgets (see scn_impl.h and the
 * PodDisruptionBudget section of scenarios/README.md).
 *
 * `pdbs:` is a list; each item is a policy/v1 PodDisruptionBudget manifest
 * pasted as it is, or {file: path} naming a file of one or more of them
 * (documents separated by '---'). Each is read the way the API server
 * validates it (pkg/apis/policy/validation ValidatePodDisruptionBudgetSpec:
 * not both minAvailable and maxUnavailable, each an integer >= 0 or a
 * percentage <= 100 %, a valid label selector), then resolved to the
 * services whose pods its selector selects (in the same namespace when
 * both name one). Beyond the API server, headroom refuses what would make
 * the budget do nothing or everything by accident: a PDB without
 * minAvailable and maxUnavailable (Kubernetes then allows no disruption at
 * all), one selecting no service, and a service under two PDBs (the
 * eviction API then refuses to evict its pods).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_impl.h"

#define MAX_PDBS 1000

static int load_pdb_spec(struct ld *L, const struct ynode *v, struct scn_pdb *p)
{
	static const char *const keys[] = {"selector", "minAvailable", "maxUnavailable", "unhealthyPodEvictionPolicy",
					   NULL};
	static const char *const policies[] = {"IfHealthyBudget", "AlwaysAllow", NULL};
	const struct ynode *min, *max, *sel;
	int policy = PDB_IF_HEALTHY_BUDGET;
	if (ld_want_map(L, v, "spec") || ld_check_keys(L, v, keys, "the PodDisruptionBudget's spec") ||
	    ld_get_enum(L, v, "unhealthyPodEvictionPolicy", policies, &policy))
		return -1;
	p->unhealthy = (enum pdb_unhealthy)policy;
	min = yt_get(v, "minAvailable");
	max = yt_get(v, "maxUnavailable");
	if (min && max)
		return yt_err(L->e, yt_key(v, (size_t)yt_find(v, "maxUnavailable")),
			      "maxUnavailable: minAvailable (line %d) is given too; Kubernetes refuses a PodDisruptionBudget "
			      "with both: give one",
			      min->line);
	if (!min && !max)
		return yt_err(L->e, v,
			      "spec needs minAvailable or maxUnavailable: without either Kubernetes allows no disruption at "
			      "all (disruptionsAllowed stays 0); if that is what you mean, write maxUnavailable: 0");
	p->budget = min ? PDB_MIN_AVAILABLE : PDB_MAX_UNAVAILABLE;
	if (ld_get_intpct(L, v, min ? "minAvailable" : "maxUnavailable", true, &p->value))
		return -1;
	if (!(sel = yt_get(v, "selector")))
		return yt_err(L->e, v, "spec needs a selector: without one a PodDisruptionBudget selects no pod");
	return ld_load_selector(L, sel, "selector", &p->selector);
}

/* "order {app: order}, payment {app: payment, tier: be}, ..." for messages. */
static void describe_labels(const struct scenario *sc, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sc->n_services && n + 8 < size; i++) {
		const struct scn_service *s = &sc->services[i];
		n += (size_t)snprintf(buf + n, size - n, "%s%s {", i ? ", " : "", s->name);
		for (size_t j = 0; j < s->n_labels && n < size; j++)
			n += (size_t)snprintf(buf + n, size - n, "%s%s: %s", j ? ", " : "", s->labels[j].key,
					      s->labels[j].value);
		if (n < size)
			n += (size_t)snprintf(buf + n, size - n, "}");
	}
	if (n >= size && size > 4)
		strcpy(buf + size - 4, "...");
}

static bool same_namespace(const char *a, const char *b)
{
	return !a || !b || !strcmp(a, b);
}

/* The services p selects (its selector at `sel`) into p->services; each
 * service remembers its PDB. */
static int resolve(struct ld *L, struct scn_pdb *p, const struct ynode *sel)
{
	struct scenario *sc = L->sc;
	int i = (int)(p - sc->pdbs);
	p->services = xcalloc(sc->n_services, sizeof *p->services);
	for (size_t k = 0; k < sc->n_services; k++) {
		struct scn_service *s = &sc->services[k];
		if (!same_namespace(p->namespace, s->namespace) || !scn_selector_matches(&p->selector, s->labels, s->n_labels))
			continue;
		if (s->pdb >= 0) {
			const struct scn_pdb *q = &sc->pdbs[s->pdb];
			return yt_err(L->e, sel,
				      "selector: PodDisruptionBudget '%s' selects service '%s', which '%s' (line %d) selects "
				      "too: Kubernetes' eviction API refuses to evict a pod under two PodDisruptionBudgets; "
				      "make the selectors disjoint",
				      p->name, s->name, q->name, q->line);
		}
		s->pdb = i;
		p->services[p->n_services++] = (int)k;
	}
	if (p->n_services)
		return 0;
	char labels[600];
	describe_labels(sc, labels, sizeof labels);
	return yt_err(L->e, sel, "selector: PodDisruptionBudget '%s' selects no service's pods%s%s%s (their labels: %s)",
		      p->name, p->namespace ? " in namespace '" : "", p->namespace ? p->namespace : "",
		      p->namespace ? "'" : "", labels);
}

static int load_pdb(struct ld *L, const struct ynode *v, struct scn_pdb *p)
{
	static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
	const struct ynode *m, *api, *spec;
	const char *name = NULL, *ns = NULL;
	if (ld_want_map(L, v, "a PodDisruptionBudget manifest") ||
	    ld_check_keys(L, v, keys, "the PodDisruptionBudget manifest") ||
	    !(api = ld_need(L, v, "apiVersion", "the PodDisruptionBudget manifest")))
		return -1;
	if (api->kind == Y_SCALAR && !strcmp(api->s, "policy/v1beta1"))
		return yt_err(L->e, api, "apiVersion: policy/v1beta1 was removed in Kubernetes 1.25 (and read an empty "
				       "selector differently); write policy/v1");
	if (ld_want_word(L, v, "apiVersion", "policy/v1") || !ld_need(L, v, "kind", "the PodDisruptionBudget manifest") ||
	    ld_want_word(L, v, "kind", "PodDisruptionBudget") ||
	    ((m = yt_get(v, "metadata")) && ld_load_object_meta(L, m, "metadata", &name, &ns)))
		return -1;
	if (name) {
		free(p->name);
		p->name = xstrdup(name);
	}
	p->namespace = ns ? xstrdup(ns) : NULL;
	if (!(spec = ld_need(L, v, "spec", "the PodDisruptionBudget manifest")) || load_pdb_spec(L, spec, p))
		return -1;
	return resolve(L, p, yt_get(spec, "selector"));
}

/* Appends a new PDB of item `at` (its name "pdbs[i]" until the manifest
 * gives one). */
static struct scn_pdb *add_pdb(struct ld *L, const struct ynode *at, size_t item, size_t *cap)
{
	struct scenario *sc = L->sc;
	if (sc->n_pdbs == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		sc->pdbs = xrealloc(sc->pdbs, *cap * sizeof *sc->pdbs);
	}
	struct scn_pdb *p = &sc->pdbs[sc->n_pdbs++];
	memset(p, 0, sizeof *p);
	char name[32];
	snprintf(name, sizeof name, "pdbs[%zu]", item);
	p->name = xstrdup(name);
	p->line = at->line;
	p->col = at->col;
	return p;
}

/* Where the PDBs of one item of `pdbs:` go. */
struct item {
	const struct ynode *at; /* the item */
	size_t index;           /* its index: the name "pdbs[i]" until a manifest gives one */
	size_t *cap;
};

static int load_one(struct ld *L, const struct ynode *doc, void *ctx)
{
	struct item *it = ctx;
	if (L->sc->n_pdbs >= MAX_PDBS)
		return yt_err(L->e, doc, "too many PodDisruptionBudgets (at most %d)", MAX_PDBS);
	return load_pdb(L, doc, add_pdb(L, it->at, it->index, it->cap));
}

int ld_load_pdbs(struct ld *L, const struct ynode *v)
{
	if (ld_want_seq(L, v, "pdbs"))
		return -1;
	if (v->n > MAX_PDBS)
		return yt_err(L->e, v, "pdbs: %zu is too many (at most %d)", v->n, MAX_PDBS);
	size_t cap = 0;
	for (size_t i = 0; i < v->n; i++) {
		struct item it = {v->kid[i], i, &cap};
		if (ld_each_manifest(L, v->kid[i], "a PodDisruptionBudget", "policy/v1 PodDisruptionBudgets", load_one, &it))
			return -1;
	}
	return 0;
}
