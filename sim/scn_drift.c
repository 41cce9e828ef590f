/*
 * scn_drift.c: a NodePool's disruption budgets (spec.disruption.budgets,
 * with reasons, schedule and duration) and cluster.drifts, the node class
 * changes that make a pool's nodes Drifted. The rules are
 * kubernetes-sigs/karpenter pkg/apis/v1/nodepool.go (Budget, its
 * kubebuilder patterns and the CEL rule "'schedule' must be set with
 * 'duration'"); the models are models/karpenter.h; the format is
 * scenarios/README.md and docs/drift.md.
 */
#include "scn_impl.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reason_names[] = {"Underutilized", "Empty", "Drifted", NULL};

/* `reasons`: a list of Underutilized, Empty and Drifted (DisruptionReason's
 * +kubebuilder:validation:Enum), at most 50. */
static int load_reasons(struct ld *L, const struct ynode *v, unsigned *out)
{
	if (ld_want_seq(L, v, "reasons"))
		return -1;
	if (v->n > SCN_MAX_BUDGETS)
		return yt_err(L->e, v, "reasons: %zu reasons is too many (at most %d)", v->n, SCN_MAX_BUDGETS);
	/* reasons: [] is reasons unset: the API server drops an empty list
	 * (json:"reasons,omitempty"), and a budget whose Reasons is nil applies
	 * to every reason (GetAllowedDisruptionsByReason). */
	*out = v->n ? 0 : SCN_REASONS_ALL;
	for (size_t i = 0; i < v->n; i++) {
		const char *s = ld_scalar(L, v->kid[i], "a reason");
		if (!s)
			return -1;
		int r = -1;
		for (int j = 0; reason_names[j]; j++)
			if (!strcmp(s, reason_names[j]))
				r = j;
		if (r < 0) {
			const char *near = ld_closest(s, reason_names);
			return yt_err(L->e, v->kid[i],
				      "reasons: '%s' is not a disruption reason%s%s%s; the reasons are Underutilized, "
				      "Empty and Drifted",
				      s, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
		}
		*out |= 1u << r;
	}
	return 0;
}

/* The duration pattern of Budget.Duration:
 * ^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$ (hours and minutes only: cron
 * does not work in seconds). */
static bool duration_ok(const char *s)
{
	const char *p = s;
	int units = 0;
	char last = 0;
	while (*p && !(p[0] == '0' && p[1] == 's' && !p[2])) {
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
		if ((*p != 'h' && *p != 'm') || (last == 'm') || (last == 'h' && *p == 'h'))
			return false;
		last = *p++;
		units++;
	}
	return units >= 1 && units <= 2;
}

/* robfig/cron's descriptors that Budget.Schedule's pattern admits, as the
 * five fields they stand for (parser.go parseDescriptor gives the same bit
 * sets). */
static const char *descriptor(const char *s)
{
	static const struct {
		const char *name, *spec;
	} d[] = {{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
		 {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},      {"@midnight", "0 0 * * *"},
		 {"@hourly", "0 * * * *"}};
	for (size_t i = 0; i < ARRAY_LEN(d); i++)
		if (!strcmp(s, d[i].name))
			return d[i].spec;
	return NULL;
}

static int load_schedule(struct ld *L, const struct ynode *v, struct scn_budget *b)
{
	const char *s = ld_string(L, v, "schedule");
	if (!s)
		return -1;
	const char *spec = descriptor(s);
	if (!spec && s[0] == '@')
		return yt_err(L->e, v,
			      "schedule: '%s' is not a descriptor Karpenter accepts (@yearly, @annually, @monthly, "
			      "@weekly, @daily, @midnight, @hourly)",
			      s);
	char why[300];
	size_t at = 0;
	if (cron_parse(&b->schedule, spec ? spec : s, why, sizeof why, &at))
		return herr_at(L->e, v->src, v->line, v->line && !spec ? v->col + (int)at : v->col,
			       "schedule: %s (a cron schedule of five fields, in UTC, e.g. \"0 9 * * mon-fri\")", why);
	if (b->schedule.tz[0])
		return yt_err(L->e, v,
			      "schedule: '%s': time zones are not supported (Karpenter reads a budget's schedule in UTC)",
			      s);
	if (!yt_get(L->t.root, "start"))
		return yt_err(L->e, v,
			      "schedule: a scheduled budget needs the scenario's `start:` (when the run begins, e.g. "
			      "start: 2026-03-02T08:00:00Z): its schedule is a time of day in UTC");
	return 0;
}

/* Budget.Nodes's pattern ^((100|[0-9]{1,2})%|[0-9]+)$: digits only, or
 * one or two digits or 100 before a '%' (no sign, point or exponent). */
static bool nodes_pattern_ok(const char *s)
{
	size_t n = strspn(s, "0123456789");
	if (!n)
		return false;
	if (!s[n])
		return true;
	return s[n] == '%' && !s[n + 1] && (n <= 2 || (n == 3 && !strncmp(s, "100", 3)));
}

/* One budget: nodes (a count or a percentage, the pattern
 * ^((100|[0-9]{1,2})%|[0-9]+)$), reasons, schedule and duration. */
static int load_budget(struct ld *L, const struct ynode *v, struct scn_budget *b)
{
	static const char *const keys[] = {"nodes", "reasons", "schedule", "duration", NULL};
	const struct ynode *n, *sch, *dur;
	*b = (struct scn_budget){.pct = -1, .nodes = -1, .reasons = SCN_REASONS_ALL, .line = v->line, .col = v->col};
	if (ld_want_map(L, v, "a budget") || ld_check_keys(L, v, keys, "a budget") ||
	    !(n = ld_need(L, v, "nodes", "a budget")) || !ld_scalar(L, n, "nodes"))
		return -1;
	char why[UNITS_WHY];
	double pct;
	int64_t cnt;
	if (strchr(n->s, '%')) {
		if (units_fraction(n->s, &pct, why) || pct < 0 || pct > 1)
			return yt_err(L->e, n, "nodes: '%s' is not a percentage from 0%% to 100%%", n->s);
		b->pct = round(pct * 100);
		if (fabs(b->pct - pct * 100) > 1e-9)
			return yt_err(L->e, n, "nodes: '%s' is not a whole percentage (the pattern is "
					       "^((100|[0-9]{1,2})%%|[0-9]+)$)", n->s);
	} else {
		if (units_integer(n->s, &cnt, why) || cnt < 0 || cnt > INT32_MAX)
			return yt_err(L->e, n, "nodes: '%s' is not a count of nodes or a percentage", n->s);
		b->nodes = (int)cnt;
	}
	if (!nodes_pattern_ok(n->s))
		return yt_err(L->e, n, "nodes: '%s' does not match Budget.Nodes's pattern ^((100|[0-9]{1,2})%%|[0-9]+)$ "
				       "(a count of nodes, or a whole percentage, e.g. \"5\" or \"10%%\")", n->s);
	if ((n = yt_get(v, "reasons")) && load_reasons(L, n, &b->reasons))
		return -1;
	sch = yt_get(v, "schedule");
	dur = yt_get(v, "duration");
	if (!sch != !dur)
		return yt_err(L->e, sch ? sch : dur,
			      "%s: 'schedule' must be set with 'duration' (a budget has both, active for the duration "
			      "after each time the schedule fires, or neither: always active)",
			      sch ? "schedule" : "duration");
	if (!sch)
		return 0;
	const char *ds = ld_string(L, dur, "duration");
	if (!ds)
		return -1;
	if (!duration_ok(ds))
		return yt_err(L->e, dur,
			      "duration: '%s' is not hours and minutes, e.g. 8h, 30m or 1h30m (Budget.Duration takes no "
			      "seconds: cron does not work in seconds)",
			      ds);
	if (ld_get_dur(L, v, "duration", 0, INT64_MAX / 4, false, &b->duration) || load_schedule(L, sch, b))
		return -1;
	b->scheduled = true;
	return 0;
}

int ld_load_budgets(struct ld *L, const struct ynode *v, struct scn_nodepool *np)
{
	if (ld_want_seq(L, v, "budgets"))
		return -1;
	if (v->n > SCN_MAX_BUDGETS)
		return yt_err(L->e, v, "budgets: %zu budgets is too many (at most %d)", v->n, SCN_MAX_BUDGETS);
	free(np->budgets);
	np->budgets = xcalloc(v->n ? v->n : 1, sizeof *np->budgets);
	np->n_budgets = 0;
	np->budget_pct = -1;
	np->budget_nodes = -1;
	for (size_t i = 0; i < v->n; i++) {
		struct scn_budget *b = &np->budgets[i];
		if (load_budget(L, v->kid[i], b))
			return -1;
		np->n_budgets++;
		if (b->scheduled || b->reasons != SCN_REASONS_ALL)
			continue;
		if (b->pct >= 0 && (np->budget_pct < 0 || b->pct < np->budget_pct))
			np->budget_pct = b->pct;
		if (b->nodes >= 0 && (np->budget_nodes < 0 || b->nodes < np->budget_nodes))
			np->budget_nodes = b->nodes;
	}
	return 0;
}

void ld_default_budgets(struct scn_nodepool *np)
{
	if (np->budgets)
		return;
	np->budgets = xcalloc(1, sizeof *np->budgets);
	np->budgets[0] = (struct scn_budget){.pct = 10, .nodes = -1, .reasons = SCN_REASONS_ALL};
	np->n_budgets = 1;
}

/* ---- cluster.drifts ---- */

static int load_drift(struct ld *L, const struct ynode *v, struct scn_drift *d)
{
	static const char *const keys[] = {"at", "nodepool", "nodeclass", NULL};
	const struct scn_karpenter *k = &L->sc->cluster.karpenter;
	const struct ynode *at, *np, *nc;
	*d = (struct scn_drift){.pool = -1, .line = v->line, .col = v->col};
	if (ld_want_map(L, v, "a drift") || ld_check_keys(L, v, keys, "a drift") ||
	    !(at = ld_need(L, v, "at", "a drift")) || ld_get_dur(L, v, "at", 0, INT64_MAX / 4, false, &d->at))
		return -1;
	if (!d->at)
		return yt_err(L->e, at, "at: a drift comes after the run starts (at > 0)");
	if (d->at > L->sc->duration)
		return yt_err(L->e, at, "at: %s is after the run ends (duration %gs)", at->s, sim_to_s(L->sc->duration));
	if (!(np = ld_need(L, v, "nodepool", "a drift")))
		return -1;
	const char *name = ld_string(L, np, "nodepool");
	if (!name)
		return -1;
	for (size_t i = 0; i < k->n_pools; i++)
		if (!strcmp(k->pools[i].name, name))
			d->pool = (int)i;
	if (d->pool < 0) {
		char list[256] = "";
		size_t len = 0;
		for (size_t i = 0; i < k->n_pools && len < sizeof list; i++)
			len += (size_t)snprintf(list + len, sizeof list - len, "%s'%s'", i ? ", " : "", k->pools[i].name);
		return yt_err(L->e, np, "nodepool: no NodePool '%s' in karpenter.nodepools (%s%s)", name,
			      k->n_pools ? "there are " : "there are none", list);
	}
	const char *cls = (nc = yt_get(v, "nodeclass")) ? ld_string(L, nc, "nodeclass") : "a new node class";
	if (!cls)
		return -1;
	d->nodeclass = xstrdup(cls);
	return 0;
}

static int drift_cmp(const void *a, const void *b)
{
	const struct scn_drift *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

int ld_load_drifts(struct ld *L, const struct ynode *v)
{
	struct scn_cluster *c = &L->sc->cluster;
	if (ld_want_seq(L, v, "drifts"))
		return -1;
	if (c->provisioner != PROV_KARPENTER)
		return yt_err(L->e, v, "drifts: a NodePool's nodes drift under Karpenter: set provisioner: karpenter");
	c->drifts = xcalloc(v->n ? v->n : 1, sizeof *c->drifts);
	for (size_t i = 0; i < v->n; i++) {
		if (load_drift(L, v->kid[i], &c->drifts[i])) {
			free(c->drifts[i].nodeclass);
			return -1;
		}
		c->n_drifts++;
	}
	qsort(c->drifts, c->n_drifts, sizeof *c->drifts, drift_cmp);
	return 0;
}

void ld_free_drifts(struct scenario *sc)
{
	struct scn_cluster *c = &sc->cluster;
	for (size_t i = 0; i < c->n_drifts; i++)
		free(c->drifts[i].nodeclass);
	free(c->drifts);
	c->drifts = NULL;
	c->n_drifts = 0;
	for (size_t p = 0; p < c->karpenter.n_pools; p++) {
		free(c->karpenter.pools[p].budgets);
		c->karpenter.pools[p].budgets = NULL;
		c->karpenter.pools[p].n_budgets = 0;
	}
}
