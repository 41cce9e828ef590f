/*
 * scn_rollout.c: a service's `rollout:` (scenarios/README.md, "rollout";
 * the model is docs/rollouts.md).
 *
 *   rollout:
 *     at: 5m                      # when the new version is applied
 *     version: {cpu_factor: 1 | cpu_per_request: DIST, latency: 0ms, error_rate: 0, app_start: 20s}
 *     analysis: [<AnalysisTemplate> or {file: path}, ...]
 *     manifest: <an argoproj.io/v1alpha1 Rollout> or {file: path}
 *     retries: {attempts: 2}      # Istio's retries of a 5xx (none unless given)
 *
 * The Rollout is read under Argo Rollouts' field names and defaults
 * (pkg/apis/rollouts/v1alpha1/types.go, utils/defaults/defaults.go): its
 * spec.strategy is interpreted; spec.template, selector and workloadRef
 * are accepted and left to the service (its Deployment or keys), since
 * the version's behaviour is `version:`. A metric's provider is
 * `headroom: {query: ...}`: what it measures from the simulated requests.
 */
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "scn_impl.h"
#include "scn_rollout.h"

#define MAX_DELAY (24 * SIM_HOUR)

static const char *const queries[] = {"canary-error-rate", "stable-error-rate", "canary-p99", "stable-p99",
				      "canary-p99-delta", NULL};

/* A template's spec.dryRun rule: a metricName regular expression. */
struct dry_rule {
	char *tmpl;             /* its template's name (owned) */
	const struct ynode *at; /* its metricName, for errors */
	size_t idx;             /* its place in the template's dryRun */
	regex_t re;
};

/* The templates read so far (before the Rollout names them). */
struct tmpls {
	struct scn_delivery *d; /* metrics of every template land in d->metrics first */
	struct am_metric *all;  /* every template's metrics (owned until moved) */
	size_t n_all;
	struct dry_rule *dry;   /* every template's dryRun rules (owned) */
	size_t n_dry;
};

/* ---- conditions ---- */

static int cond_term(const char *s, enum am_op *op, double *val, const char **end)
{
	while (*s == ' ')
		s++;
	if (!strncmp(s, "result[0]", 9))
		s += 9;
	else if (!strncmp(s, "result", 6))
		s += 6;
	else
		return -1;
	while (*s == ' ')
		s++;
	static const char *const ops[] = {"<=", ">=", "==", "!=", "<", ">", NULL};
	static const enum am_op codes[] = {AM_LE, AM_GE, AM_EQ, AM_NE, AM_LT, AM_GT};
	int k = 0;
	while (ops[k] && strncmp(s, ops[k], strlen(ops[k])))
		k++;
	if (!ops[k])
		return -1;
	s += strlen(ops[k]);
	char *e;
	double v = strtod(s, &e);
	if (e == s || !isfinite(v))
		return -1;
	*op = codes[k];
	*val = v;
	while (*e == ' ')
		e++;
	*end = e;
	return 0;
}

/* `result OP number` terms joined by one of && and ||. */
static int load_cond(struct ld *L, const struct ynode *m, const char *k, struct am_cond *c)
{
	const struct ynode *v = yt_get(m, k);
	if (!v)
		return 0;
	const char *s = ld_scalar(L, v, k);
	if (!s)
		return -1;
	const char *p = s;
	c->n = 0;
	for (;;) {
		if (c->n == AM_MAX_TERMS)
			return yt_err(L->e, v, "%s: at most %d comparisons", k, AM_MAX_TERMS);
		if (cond_term(p, &c->op[c->n], &c->value[c->n], &p))
			return yt_err(L->e, v,
				      "%s: '%s' is not a condition headroom evaluates: write 'result[0] < 0.03' (result "
				      "compared with <, <=, >, >=, == or != to a number), several joined by && or ||",
				      k, s);
		c->n++;
		if (!*p)
			return 0;
		bool any = !strncmp(p, "||", 2);
		if (!any && strncmp(p, "&&", 2))
			return yt_err(L->e, v, "%s: '%s': expected && or || after a comparison", k, s);
		if (c->n > 1 && any != c->any)
			return yt_err(L->e, v, "%s: '%s': mix of && and ||; use one of them", k, s);
		c->any = any;
		p += 2;
	}
}

/* ---- AnalysisTemplate ---- */

/* Argo durations: "30s", "1m", or a bare number of seconds. */
static int get_secs(struct ld *L, const struct ynode *m, const char *k, simtime hi, simtime *out)
{
	const struct ynode *v = yt_get(m, k);
	if (v && v->kind == Y_SCALAR && v->plain && v->s[0] && strspn(v->s, "0123456789") == strlen(v->s)) {
		int64_t x = 0;
		if (ld_get_int(L, m, k, 0, hi / SIM_S, &x))
			return -1;
		*out = x * SIM_S;
		return 0;
	}
	return ld_get_dur(L, m, k, 0, hi, false, out);
}

static int load_provider(struct ld *L, const struct ynode *v, struct am_metric *am)
{
	static const char *const keys[] = {"headroom", NULL};
	static const char *const hkeys[] = {"query", NULL};
	const struct ynode *h;
	if (ld_want_map(L, v, "provider"))
		return -1;
	if (v->n == 1 && strcmp(yt_key(v, 0)->s, "headroom"))
		return yt_err(L->e, yt_key(v, 0),
			      "provider: %s is not simulated: headroom measures its own requests; give provider "
			      "{headroom: {query: canary-error-rate}} (queries: canary-error-rate, stable-error-rate, "
			      "canary-p99, stable-p99, canary-p99-delta)",
			      yt_key(v, 0)->s);
	int q = 0;
	if (ld_check_keys(L, v, keys, "provider") || !(h = ld_need(L, v, "headroom", "provider")) ||
	    ld_want_map(L, h, "headroom") || ld_check_keys(L, h, hkeys, "provider.headroom") ||
	    !ld_need(L, h, "query", "provider.headroom") || ld_get_enum(L, h, "query", queries, &q))
		return -1;
	am->query = (enum am_query)q;
	return 0;
}

static int load_metric(struct ld *L, const struct ynode *v, const char *tmpl, struct am_metric *am)
{
	static const char *const keys[] = {"name",
					   "interval",
					   "initialDelay",
					   "count",
					   "failureLimit",
					   "inconclusiveLimit",
					   "consecutiveErrorLimit",
					   "successCondition",
					   "failureCondition",
					   "provider",
					   NULL};
	const struct ynode *n;
	const char *name;
	int64_t count = -1, fl = 0, il = 0, cel = 4;
	am->line = v->line;
	am->col = v->col;
	if (ld_want_map(L, v, "a metric") || ld_check_keys(L, v, keys, "a metric") ||
	    !(n = ld_need(L, v, "name", "a metric")) || !(name = ld_string(L, n, "name")))
		return -1;
	am->name = xstrdup(name);
	am->tmpl = xstrdup(tmpl);
	if (get_secs(L, v, "interval", MAX_DELAY, &am->interval) ||
	    get_secs(L, v, "initialDelay", MAX_DELAY, &am->initial_delay) ||
	    ld_get_int(L, v, "count", 0, 100000, &count) || ld_get_int(L, v, "failureLimit", 0, 100000, &fl) ||
	    ld_get_int(L, v, "inconclusiveLimit", 0, 100000, &il) ||
	    ld_get_int(L, v, "consecutiveErrorLimit", 0, 100000, &cel) ||
	    load_cond(L, v, "successCondition", &am->success) || load_cond(L, v, "failureCondition", &am->failure) ||
	    !(n = ld_need(L, v, "provider", "a metric")) || load_provider(L, n, am))
		return -1;
	/* No interval: one measurement; count 0 is no count (Argo's Metric.EffectiveCount,
	 * pkg/apis/rollouts/v1alpha1/analysis_types.go). */
	am->count = (int32_t)(count > 0 ? count : am->interval ? 0 : 1);
	if (!am->interval && am->count > 1)
		return yt_err(L->e, yt_get(v, "count"), "count: %d measurements need an interval", am->count);
	am->failure_limit = (int32_t)fl;
	am->inconclusive_limit = (int32_t)il;
	am->consecutive_error_limit = (int32_t)cel;
	return 0;
}

static void free_metric(struct am_metric *m)
{
	free(m->name);
	free(m->tmpl);
}

static int load_template(struct ld *L, const struct ynode *doc, void *ctx)
{
	static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", NULL};
	static const char *const skeys[] = {"metrics", "args", "dryRun", "measurementRetention", NULL};
	static const char *const kinds[] = {"AnalysisTemplate", "ClusterAnalysisTemplate", NULL};
	struct tmpls *T = ctx;
	const struct ynode *m, *spec, *ms;
	const char *name = NULL, *ns = NULL;
	int kind = 0;
	if (ld_want_map(L, doc, "an AnalysisTemplate") || ld_check_keys(L, doc, keys, "an AnalysisTemplate") ||
	    ld_want_word(L, doc, "apiVersion", "argoproj.io/v1alpha1") || !ld_need(L, doc, "kind", "an AnalysisTemplate") ||
	    ld_get_enum(L, doc, "kind", kinds, &kind) || !(m = ld_need(L, doc, "metadata", "an AnalysisTemplate")) ||
	    ld_load_object_meta(L, m, "metadata", &name, &ns))
		return -1;
	if (!name)
		return yt_err(L->e, m, "metadata: an AnalysisTemplate needs a name (the Rollout's templateName)");
	for (size_t i = 0; i < T->n_all; i++)
		if (!strcmp(T->all[i].tmpl, name))
			return yt_err(L->e, m, "metadata.name: a second AnalysisTemplate named '%s'", name);
	if (!(spec = ld_need(L, doc, "spec", "an AnalysisTemplate")) || ld_want_map(L, spec, "spec") ||
	    ld_check_keys(L, spec, skeys, "spec") || !(ms = ld_need(L, spec, "metrics", "spec")) ||
	    ld_want_seq(L, ms, "metrics"))
		return -1;
	if (!ms->n)
		return yt_err(L->e, ms, "metrics: an AnalysisTemplate needs at least one metric");
	const struct ynode *dr = yt_get(spec, "dryRun");
	if (dr && ld_want_seq(L, dr, "dryRun"))
		return -1;
	for (size_t i = 0; dr && i < dr->n; i++) {
		static const char *const dkeys[] = {"metricName", NULL};
		const struct ynode *r = dr->kid[i], *mn;
		const char *re;
		if (ld_want_map(L, r, "a dryRun rule") || ld_check_keys(L, r, dkeys, "a dryRun rule") ||
		    !(mn = ld_need(L, r, "metricName", "a dryRun rule")) || !(re = ld_string(L, mn, "metricName")))
			return -1;
		T->dry = xrealloc(T->dry, (T->n_dry + 1) * sizeof *T->dry);
		struct dry_rule *d = &T->dry[T->n_dry];
		if (regcomp(&d->re, re, REG_EXTENDED | REG_NOSUB))
			return yt_err(L->e, mn, "metricName: '%s' is not a regular expression", re);
		d->tmpl = xstrdup(name);
		d->at = mn;
		d->idx = i;
		T->n_dry++;
	}
	for (size_t i = 0; i < ms->n; i++) {
		T->all = xrealloc(T->all, (T->n_all + 1) * sizeof *T->all);
		struct am_metric *am = &T->all[T->n_all++];
		memset(am, 0, sizeof *am);
		if (load_metric(L, ms->kid[i], name, am))
			return -1;
		for (size_t j = 0; j + 1 < T->n_all; j++)
			if (!strcmp(T->all[j].tmpl, name) && !strcmp(T->all[j].name, am->name))
				return yt_err(L->e, ms->kid[i], "name: a second metric named '%s' in template '%s'",
					      am->name, name);
	}
	return 0;
}

/* ---- the Rollout ---- */

static int load_steps(struct ld *L, const struct ynode *v, struct scn_delivery *d)
{
	static const char *const kinds[] = {"setWeight", "pause", NULL};
	if (ld_want_seq(L, v, "steps"))
		return -1;
	d->steps = xcalloc(v->n ? v->n : 1, sizeof *d->steps);
	int32_t last = 0;
	int last_line = 0;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *s = v->kid[i];
		struct ro_step *st = &d->steps[d->n_steps++];
		st->line = s->line;
		st->col = s->col;
		if (ld_want_map(L, s, "a step") || ld_check_keys(L, s, kinds, "a step"))
			return -1;
		if (s->n != 1)
			return yt_err(L->e, s, "a step: exactly one of setWeight and pause (headroom does not simulate "
					       "setCanaryScale, analysis or experiment steps)");
		if (yt_get(s, "setWeight")) {
			int64_t w = 0;
			const struct ynode *n = yt_get(s, "setWeight");
			if (ld_get_int(L, s, "setWeight", 0, 100, &w))
				return -1;
			if (w < last)
				return yt_err(L->e, n, "setWeight: %lld after %d (line %d): weights may not go down "
						       "(an abort is the analysis's, not a step's)",
					      (long long)w, last, last_line);
			st->kind = RO_STEP_WEIGHT;
			st->weight = (int32_t)w;
			last = st->weight;
			last_line = n->line;
			continue;
		}
		const struct ynode *p = yt_get(s, "pause");
		static const char *const pkeys[] = {"duration", NULL};
		st->kind = RO_STEP_PAUSE;
		st->pause = SIM_FOREVER;
		if (p->kind == Y_SCALAR && p->plain && !strcmp(p->s, "null"))
			continue;
		if (ld_want_map(L, p, "pause") || ld_check_keys(L, p, pkeys, "pause") ||
		    get_secs(L, p, "duration", MAX_DELAY, &st->pause))
			return -1;
		if (!yt_get(p, "duration"))
			st->pause = SIM_FOREVER;
	}
	return 0;
}

/* analysis.templates / postPromotionAnalysis.templates: the metrics of the
 * templates named, in order, moved into d->metrics. */
static int load_analysis(struct ld *L, const struct ynode *v, const char *what, struct tmpls *T, bool canary)
{
	static const char *const ckeys[] = {"templates", "startingStep", "args", NULL};
	static const char *const bkeys[] = {"templates", "args", NULL};
	static const char *const tkeys[] = {"templateName", "clusterScope", NULL};
	struct scn_delivery *d = T->d;
	const struct ynode *ts;
	int64_t start = 0;
	if (ld_want_map(L, v, what) || ld_check_keys(L, v, canary ? ckeys : bkeys, what) ||
	    ld_get_int(L, v, "startingStep", 0, (int64_t)d->n_steps, &start) ||
	    !(ts = ld_need(L, v, "templates", what)) || ld_want_seq(L, ts, "templates"))
		return -1;
	d->starting_step = (int32_t)start;
	for (size_t i = 0; i < ts->n; i++) {
		const struct ynode *t = ts->kid[i], *n;
		const char *name;
		if (ld_want_map(L, t, "a template") || ld_check_keys(L, t, tkeys, "a template") ||
		    !(n = ld_need(L, t, "templateName", "a template")) || !(name = ld_string(L, n, "templateName")))
			return -1;
		size_t found = 0;
		for (size_t j = 0; j < T->n_all; j++) {
			if (strcmp(T->all[j].tmpl, name))
				continue;
			/* Argo flattens the templates' metrics and refuses a name twice
			 * (utils/analysis/helpers.go, flattenMetrics: "two metrics have
			 * the same name"). */
			for (size_t k = 0; k < d->n_metrics; k++)
				if (!strcmp(d->metrics[k].name, T->all[j].name))
					return yt_err(L->e, n,
						      "templateName: two metrics have the same name '%s' (template '%s' "
						      "and template '%s'; Argo Rollouts refuses it)",
						      T->all[j].name, d->metrics[k].tmpl, name);
			d->metrics = xrealloc(d->metrics, (d->n_metrics + 1) * sizeof *d->metrics);
			struct am_metric *am = &d->metrics[d->n_metrics++];
			*am = T->all[j];
			am->name = xstrdup(am->name);
			am->tmpl = xstrdup(am->tmpl);
			found++;
		}
		if (!found)
			return yt_err(L->e, n, "templateName: no AnalysisTemplate '%s' under the rollout's analysis:%s",
				      name, T->n_all ? "" : " (it gives none)");
	}
	/* The dryRun rules of the templates named, over every metric of the
	 * run (utils/analysis/helpers.go: the templates' dryRun merged, then
	 * GetDryRunMetrics: regexp.MatchString, a rule matching nothing refused). */
	for (size_t i = 0; i < T->n_dry; i++) {
		const struct dry_rule *r = &T->dry[i];
		bool named = false;
		for (size_t j = 0; j < ts->n && !named; j++) {
			const struct ynode *tn = yt_get(ts->kid[j], "templateName");
			named = tn && tn->kind == Y_SCALAR && !strcmp(tn->s, r->tmpl);
		}
		if (!named)
			continue;
		size_t matched = 0;
		for (size_t j = 0; j < d->n_metrics; j++)
			if (!regexec(&r->re, d->metrics[j].name, 0, NULL, 0)) {
				d->metrics[j].dry_run = true;
				matched++;
			}
		if (!matched)
			return yt_err(L->e, r->at, "metricName: dryRun[%zu]: Rule didn't match any metric name(s)", r->idx);
	}
	return 0;
}

/* Both keys given as the same name (Argo's ValidateRolloutStrategyCanary and
 * ValidateRolloutStrategyBlueGreen refuse it: DuplicatedServices*Message). */
static bool same_service(const struct ynode *v, const char *a, const char *b)
{
	const struct ynode *x = yt_get(v, a), *y = yt_get(v, b);
	return x && y && x->kind == Y_SCALAR && y->kind == Y_SCALAR && x->s[0] && !strcmp(x->s, y->s);
}

static int load_canary(struct ld *L, const struct ynode *v, struct tmpls *T)
{
	static const char *const keys[] = {"steps",
					   "trafficRouting",
					   "dynamicStableScale",
					   "abortScaleDownDelaySeconds",
					   "scaleDownDelaySeconds",
					   "maxSurge",
					   "maxUnavailable",
					   "analysis",
					   "canaryService",
					   "stableService",
					   NULL};
	struct scn_delivery *d = T->d;
	const struct ynode *n;
	int64_t abort_s = 30, down_s = 30;
	if (ld_want_map(L, v, "canary") || ld_check_keys(L, v, keys, "canary") ||
	    ((n = yt_get(v, "steps")) && load_steps(L, n, d)) ||
	    ld_get_int(L, v, "abortScaleDownDelaySeconds", 0, 86400, &abort_s) ||
	    ld_get_int(L, v, "scaleDownDelaySeconds", 0, 86400, &down_s) ||
	    ld_get_intpct(L, v, "maxSurge", false, &d->max_surge) ||
	    ld_get_intpct(L, v, "maxUnavailable", true, &d->max_unavailable))
		return -1;
	if ((n = yt_get(v, "trafficRouting"))) {
		if (ld_want_map(L, n, "trafficRouting"))
			return -1;
		d->traffic_routing = true;
	}
	if ((n = yt_get(v, "dynamicStableScale"))) {
		if (n->kind != Y_SCALAR || (strcmp(n->s, "true") && strcmp(n->s, "false")))
			return yt_err(L->e, n, "dynamicStableScale: expected true or false");
		d->dynamic_stable_scale = !strcmp(n->s, "true");
		if (d->dynamic_stable_scale && !d->traffic_routing)
			return yt_err(L->e, n, "dynamicStableScale: needs trafficRouting (Argo Rollouts' validation)");
	}
	/* Argo's ValidateRolloutStrategyCanary (pkg/apis/rollouts/validation/validation.go):
	 * scaleDownDelaySeconds needs trafficRouting, and not with dynamicStableScale;
	 * abortScaleDownDelaySeconds without a router is accepted and does nothing
	 * ("not applicable for basic canary"). */
	if (!d->traffic_routing && yt_get(v, "scaleDownDelaySeconds"))
		return yt_err(L->e, yt_get(v, "scaleDownDelaySeconds"),
			      "scaleDownDelaySeconds: Canary scaleDownDelaySeconds can only be used with traffic routing "
			      "(Argo Rollouts' validation)");
	if (d->dynamic_stable_scale && yt_get(v, "scaleDownDelaySeconds"))
		return yt_err(L->e, yt_get(v, "dynamicStableScale"),
			      "dynamicStableScale: Canary dynamicStableScale cannot be used with scaleDownDelaySeconds "
			      "(Argo Rollouts' validation)");
	if (!d->max_surge.value && !d->max_unavailable.value)
		return yt_err(L->e, v, "canary: maxSurge and maxUnavailable may not both be 0");
	if (same_service(v, "canaryService", "stableService"))
		return yt_err(L->e, yt_get(v, "stableService"),
			      "stableService: the same as canaryService (Argo Rollouts' validation: they select "
			      "different pods)");
	d->abort_scale_down_delay = abort_s * SIM_S;
	d->scale_down_delay = down_s * SIM_S;
	if ((n = yt_get(v, "analysis")) && load_analysis(L, n, "analysis", T, true))
		return -1;
	return 0;
}

static int load_blue_green(struct ld *L, const struct ynode *v, struct tmpls *T)
{
	static const char *const keys[] = {"activeService",	    "previewService",	    "previewReplicaCount",
					   "autoPromotionEnabled",  "autoPromotionSeconds", "scaleDownDelaySeconds",
					   "postPromotionAnalysis", "prePromotionAnalysis", "abortScaleDownDelaySeconds",
					   NULL};
	struct scn_delivery *d = T->d;
	const struct ynode *n;
	int64_t down_s = 30, preview = -1, abort_s = 30;
	if (ld_want_map(L, v, "blueGreen") || ld_check_keys(L, v, keys, "blueGreen") ||
	    ld_get_int(L, v, "previewReplicaCount", 0, MAX_REPLICAS, &preview) ||
	    get_secs(L, v, "autoPromotionSeconds", MAX_DELAY, &d->auto_promotion_after) ||
	    ld_get_int(L, v, "scaleDownDelaySeconds", 0, 86400, &down_s) ||
	    ld_get_int(L, v, "abortScaleDownDelaySeconds", 0, 86400, &abort_s))
		return -1;
	/* BlueGreenStrategy.AbortScaleDownDelaySeconds (default 30, utils/defaults/defaults.go) */
	d->abort_scale_down_delay = abort_s * SIM_S;
	if (same_service(v, "activeService", "previewService"))
		return yt_err(L->e, yt_get(v, "activeService"),
			      "activeService: the same as previewService (Argo Rollouts' validation)");
	if ((n = yt_get(v, "prePromotionAnalysis")))
		return yt_err(L->e, n, "prePromotionAnalysis: the preview takes no traffic in headroom (no test "
				       "traffic is simulated), so it has nothing to measure; use postPromotionAnalysis");
	if ((n = yt_get(v, "autoPromotionEnabled"))) {
		if (n->kind != Y_SCALAR || (strcmp(n->s, "true") && strcmp(n->s, "false")))
			return yt_err(L->e, n, "autoPromotionEnabled: expected true or false");
		d->auto_promotion = !strcmp(n->s, "true");
		if (!d->auto_promotion)
			return yt_err(L->e, n, "autoPromotionEnabled: false waits for a person to promote, which a "
					       "simulation never does; give autoPromotionSeconds instead");
	}
	d->preview_replicas = (int32_t)preview;
	d->scale_down_delay = down_s * SIM_S;
	if ((n = yt_get(v, "postPromotionAnalysis")) && load_analysis(L, n, "postPromotionAnalysis", T, false))
		return -1;
	return 0;
}

struct rctx {
	struct tmpls *T;
	struct scn_service *s;
	int n; /* Rollouts read */
};

static int load_rollout(struct ld *L, const struct ynode *doc, void *ctx)
{
	static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
	static const char *const skeys[] = {"replicas",
					    "selector",
					    "template",
					    "workloadRef",
					    "strategy",
					    "minReadySeconds",
					    "revisionHistoryLimit",
					    "progressDeadlineSeconds",
					    "progressDeadlineAbort",
					    "paused",
					    NULL};
	static const char *const stkeys[] = {"canary", "blueGreen", NULL};
	struct rctx *R = ctx;
	struct scn_delivery *d = R->T->d;
	const struct ynode *m, *spec, *st, *n;
	const char *name = NULL, *ns = NULL;
	if (R->n++)
		return yt_err(L->e, doc, "a second document: a rollout has one Rollout");
	if (ld_want_map(L, doc, "a Rollout") || ld_check_keys(L, doc, keys, "a Rollout") ||
	    ld_want_word(L, doc, "apiVersion", "argoproj.io/v1alpha1") || !ld_need(L, doc, "kind", "a Rollout") ||
	    ld_want_word(L, doc, "kind", "Rollout") || ((m = yt_get(doc, "metadata")) &&
							ld_load_object_meta(L, m, "metadata", &name, &ns)) ||
	    !(spec = ld_need(L, doc, "spec", "a Rollout")) || ld_want_map(L, spec, "spec") ||
	    ld_check_keys(L, spec, skeys, "spec"))
		return -1;
	if ((n = yt_get(spec, "progressDeadlineAbort"))) {
		if (n->kind != Y_SCALAR || (strcmp(n->s, "true") && strcmp(n->s, "false")))
			return yt_err(L->e, n, "progressDeadlineAbort: expected true or false");
		if (!strcmp(n->s, "true")) /* it would abort a rollout stuck past progressDeadlineSeconds */
			return yt_err(L->e, n, "progressDeadlineAbort: true (an abort when the rollout makes no progress "
					       "for progressDeadlineSeconds) is not modelled by headroom; remove it or give "
					       "false");
	}
	if ((n = yt_get(spec, "paused"))) {
		if (n->kind != Y_SCALAR || (strcmp(n->s, "true") && strcmp(n->s, "false")))
			return yt_err(L->e, n, "paused: expected true or false");
		if (!strcmp(n->s, "true"))
			return yt_err(L->e, n, "paused: true holds the rollout until a person resumes it, which a "
					       "simulation never does; remove it or give false");
	}
	d->name = xstrdup(name ? name : R->s->name);
	int64_t replicas = R->s->replicas;
	int64_t min_ready = 0;
	if (ld_get_int(L, spec, "minReadySeconds", 0, INT32_MAX, &min_ready))
		return -1;
	if (min_ready > 0) /* accepted, but the canary's pods count as available once Ready: say so */
		ld_warn(L, yt_get(spec, "minReadySeconds"),
			"minReadySeconds is not modelled: a pod counts as available as soon as it is Ready");
	if ((n = yt_get(spec, "replicas")) && ld_get_int(L, spec, "replicas", 0, MAX_REPLICAS, &replicas))
		return -1;
	if (replicas != R->s->replicas)
		return yt_err(L->e, n, "replicas: %lld, but service '%s' has %d; the Rollout replaces its Deployment: "
				       "give one number",
			      (long long)replicas, R->s->name, R->s->replicas);
	if (!(st = ld_need(L, spec, "strategy", "spec")) || ld_want_map(L, st, "strategy") ||
	    ld_check_keys(L, st, stkeys, "strategy"))
		return -1;
	if (st->n != 1)
		return yt_err(L->e, st, "strategy: exactly one of canary and blueGreen");
	if ((n = yt_get(st, "canary"))) {
		d->strategy = RO_CANARY;
		return load_canary(L, n, R->T);
	}
	d->strategy = RO_BLUE_GREEN;
	return load_blue_green(L, yt_get(st, "blueGreen"), R->T);
}

static int load_version(struct ld *L, const struct ynode *v, struct scn_version *ver)
{
	static const char *const keys[] = {"cpu_factor", "cpu_per_request", "latency", "error_rate", "app_start", NULL};
	const struct ynode *n;
	if (ld_want_map(L, v, "version") || ld_check_keys(L, v, keys, "version") ||
	    ld_get_num(L, v, "cpu_factor", units_number, 0, 1000, true, &ver->cpu_factor) ||
	    ld_get_dur(L, v, "latency", 0, 10 * SIM_MIN, false, &ver->latency) ||
	    ld_get_num(L, v, "error_rate", units_fraction, 0, 1, false, &ver->error_rate))
		return -1;
	if ((n = yt_get(v, "app_start"))) {
		if (ld_load_dist(L, n, "app_start", &ver->app_start))
			return -1;
		ver->has_app_start = true;
	}
	if ((n = yt_get(v, "cpu_per_request"))) {
		if (yt_get(v, "cpu_factor"))
			return yt_err(L->e, n, "cpu_per_request: give it or cpu_factor, not both");
		if (ld_load_dist(L, n, "cpu_per_request", &ver->cpu_per_request))
			return -1;
		ver->has_cpu = true;
	}
	return 0;
}

static void free_delivery(struct scn_delivery *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_metrics; i++)
		free_metric(&d->metrics[i]);
	free(d->metrics);
	free(d->steps);
	free(d->name);
	free(d);
}

void ld_free_rollout(struct scn_service *s)
{
	free_delivery(s->delivery);
	s->delivery = NULL;
}

int ld_load_rollout(struct ld *L, const struct ynode *v, struct scn_service *s)
{
	static const char *const keys[] = {"at", "version", "analysis", "manifest", "retries", NULL};
	static const char *const rkeys[] = {"attempts", NULL};
	const struct ynode *n, *man;
	struct scn_delivery *d = xcalloc(1, sizeof *d);
	s->delivery = d;
	d->line = v->line;
	d->col = v->col;
	d->version.cpu_factor = 1;
	d->abort_scale_down_delay = d->scale_down_delay = 30 * SIM_S;
	d->max_surge = d->max_unavailable = (struct scn_intpct){true, 25};
	d->preview_replicas = -1;
	d->auto_promotion = true;
	if (ld_want_map(L, v, "rollout") || ld_check_keys(L, v, keys, "rollout") || !ld_need(L, v, "at", "rollout") ||
	    ld_get_dur(L, v, "at", 0, INT64_MAX / 4, false, &d->at))
		return -1;
	if (d->at >= L->sc->duration)
		return yt_err(L->e, yt_get(v, "at"), "at: %s is not before the end of the run (duration %gs): the "
						       "rollout would never start",
			      yt_get(v, "at")->s, (double)L->sc->duration / SIM_S);
	/* The Rollout replaces the service's Deployment: an HPA of it scales the
	 * Rollout (scaleTargetRef.kind: Rollout, argo-rollouts docs/features/hpa-support.md);
	 * one naming a Deployment would find none. */
	if (s->hpa.enabled && s->hpa.ref_kind && s->hpa.ref_kind != 4)
		return yt_err(L->e, v, "rollout: service '%s' has an HPA whose scaleTargetRef is a %s; with a rollout "
				       "it scales the Rollout: give scaleTargetRef {apiVersion: argoproj.io/v1alpha1, "
				       "kind: Rollout, name: %s}",
			      s->name, s->hpa.ref_kind == 1 ? "Deployment" : s->hpa.ref_kind == 2 ? "StatefulSet" : "ReplicaSet",
			      s->name);
	if (!(n = yt_get(v, "version")))
		return yt_err(L->e, v, "rollout: a rollout needs a second version: give version: {cpu_factor, latency, "
				       "error_rate, app_start} (what the new release does differently)");
	if (load_version(L, n, &d->version) || !(man = ld_need(L, v, "manifest", "rollout")))
		return -1;
	if ((n = yt_get(v, "retries"))) { /* the VirtualService's HTTPRetry */
		int64_t attempts = 0;
		if (ld_want_map(L, n, "retries") || ld_check_keys(L, n, rkeys, "retries") ||
		    !ld_need(L, n, "attempts", "retries") || ld_get_int(L, n, "attempts", 0, 10, &attempts))
			return -1;
		d->retries = (int32_t)attempts;
	}
	struct tmpls T = {d, NULL, 0, NULL, 0};
	int rc = 0;
	if ((n = yt_get(v, "analysis"))) {
		rc = ld_want_seq(L, n, "analysis");
		for (size_t i = 0; !rc && i < n->n; i++)
			rc = ld_each_manifest(L, n->kid[i], "an AnalysisTemplate", "an argoproj.io/v1alpha1 AnalysisTemplate",
					      load_template, &T);
	}
	struct rctx R = {&T, s, 0};
	if (!rc)
		rc = ld_each_manifest(L, man, "a Rollout", "an argoproj.io/v1alpha1 Rollout", load_rollout, &R);
	for (size_t i = 0; i < T.n_all; i++)
		free_metric(&T.all[i]);
	free(T.all);
	for (size_t i = 0; i < T.n_dry; i++) {
		regfree(&T.dry[i].re);
		free(T.dry[i].tmpl);
	}
	free(T.dry);
	return rc;
}
