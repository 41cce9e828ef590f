/*
 * rollout.c: Argo Rollouts' canary and blue/green over a service's two
 * versions, with analysis (rollout.h has the model; docs/rollouts.md the
 * rules and their sources).
 *
 * Upstream: argoproj/argo-rollouts utils/replicaset/canary.go
 * (trafficWeightToReplicas, CalculateReplicaCountsForTrafficRoutedCanary,
 * CalculateReplicaCountsForCanary), rollout/trafficrouting.go
 * (calculateDesiredWeightOnAbortOrStableRollback; the weight waits for the
 * canary's availability, AR#1029), rollout/canary.go, rollout/bluegreen.go,
 * utils/evaluate/evaluate.go and analysis/analysis.go (a measurement's
 * verdict, a metric's phase), utils/defaults/defaults.go (the defaults).
 */
#include "rollout.h"

#include "world.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How often the controller reconciles when nothing else wakes it, ns. */
#define RO_TICK SIM_S
/* After an Error measurement, the next one comes this soon (Argo's
 * DefaultErrorRetryInterval, 10 s). */
#define AM_ERROR_RETRY (10 * SIM_S)

/* ---- the decisions, as functions ---- */

int32_t ro_weight_replicas(int32_t replicas, int32_t weight)
{
	assert(replicas >= 0 && weight >= 0 && weight <= 100);
	return (int32_t)((weight * (int64_t)replicas + 99) / 100);
}

struct ro_counts ro_routed_counts(int32_t n, int32_t w, int32_t actual_w, bool dynamic, bool aborted)
{
	struct ro_counts c = {ro_weight_replicas(n, w), n};
	if (!dynamic)
		return c;
	c.stable = ro_weight_replicas(n, 100 - w);
	if (actual_w >= 0) {
		c.stable = HR_MAX(c.stable, ro_weight_replicas(n, 100 - actual_w));
		if (aborted)
			c.canary = HR_MAX(c.canary, ro_weight_replicas(n, actual_w));
	}
	return c;
}

/* GetReplicasForScaleDown. */
static int32_t for_scale_down(struct ro_rs rs, bool ignore_availability)
{
	if (rs.spec < rs.available || ignore_availability)
		return rs.spec;
	return rs.available;
}

struct ro_counts ro_basic_counts(int32_t n, int32_t w, struct ro_rs canary, struct ro_rs stable, int32_t max_surge,
				 int32_t max_unavail)
{
	int32_t want_stable = ro_weight_replicas(n, 100 - w), want_new = ro_weight_replicas(n, w);
	struct ro_counts c = {canary.spec, stable.spec};
	/* extraReplicaAdded: both counts rounded up. */
	if ((int64_t)n * w % 100)
		max_surge++;
	int32_t up = n + max_surge - (canary.spec + stable.spec);
	if (stable.spec < want_stable && up > 0) {
		int32_t k = HR_MIN(up, want_stable - stable.spec);
		c.stable = stable.spec + k;
		up -= k;
	}
	if (canary.spec < want_new && up > 0)
		c.canary = canary.spec + HR_MIN(up, want_new - canary.spec);
	int32_t min_avail = n - max_unavail;
	bool increasing = want_new >= canary.spec;
	int32_t down = for_scale_down(canary, !increasing) + for_scale_down(stable, increasing);
	if (down <= min_avail)
		return c;
	down -= min_avail;
	if (canary.spec > want_new) {
		int32_t k = HR_MIN(down, canary.spec - want_new);
		c.canary = canary.spec - k;
		down -= k;
	}
	if (stable.spec > want_stable)
		c.stable = stable.spec - HR_MIN(down, stable.spec - want_stable);
	return c;
}

int32_t ro_abort_weight(int32_t n, int32_t stable_available, int32_t weight, bool dynamic)
{
	if (!dynamic)
		return 0;
	int32_t w = n > 0 ? 100 - (int32_t)(100 * (int64_t)stable_available / n) : 0;
	w = HR_MAX(w, 0);
	return weight >= 0 ? HR_MIN(w, weight) : w;
}

/* The weight of the current step: the last setWeight at or before it, 0
 * before any, 100 once every step is done (GetCurrentSetWeight). */
static int32_t step_weight(const struct scn_delivery *d, int32_t step)
{
	if (step >= (int32_t)d->n_steps)
		return 100;
	for (int32_t i = step; i >= 0; i--)
		if (d->steps[i].kind == RO_STEP_WEIGHT)
			return d->steps[i].weight;
	return 0;
}

static int32_t intpct(struct scn_intpct v, int32_t n, bool up)
{
	if (!v.pct)
		return v.value;
	int64_t x = (int64_t)v.value * n;
	return (int32_t)(up ? (x + 99) / 100 : x / 100);
}

struct ro_plan ro_canary_plan(const struct scn_delivery *d, const struct ro_state *st, simtime now)
{
	struct ro_plan p = {{0, 0}, st->weight, false};
	int32_t w = st->aborted ? 0 : step_weight(d, st->step);
	if (d->traffic_routing) {
		p.rs = ro_routed_counts(st->n, w, st->weight, d->dynamic_stable_scale, st->aborted);
		if (st->aborted) {
			p.weight = ro_abort_weight(st->n, st->stable.available, st->weight, d->dynamic_stable_scale);
			/* The canary stays up abortScaleDownDelaySeconds, for good when 0 (types.go: "0 means
			 * canary pods are not scaled down"); with dynamic scaling it follows its weight. */
			if (!d->dynamic_stable_scale &&
			    (!d->abort_scale_down_delay || now < st->aborted_at + d->abort_scale_down_delay))
				p.rs.canary = HR_MAX(p.rs.canary, st->canary.spec);
			return p;
		}
		if (st->canary.spec == p.rs.canary && st->canary.available >= p.rs.canary)
			p.weight = w;
	} else {
		/* maxSurge rounds up, maxUnavailable down (intstr's GetScaledValueFromIntOrPercent). */
		int32_t surge = intpct(d->max_surge, st->n, true), unavail = intpct(d->max_unavailable, st->n, false);
		if (!surge && !unavail)
			unavail = 1;
		p.rs = ro_basic_counts(st->n, w, st->canary, st->stable, surge, unavail);
		int32_t up = st->canary.available + st->stable.available;
		p.weight = up ? (int32_t)(100 * (int64_t)st->canary.available / up) : 0;
		if (st->aborted)
			return p;
	}
	if (st->paused || st->step > (int32_t)d->n_steps)
		return p;
	const struct ro_step *s = st->step < (int32_t)d->n_steps ? &d->steps[st->step] : NULL;
	if (s && s->kind == RO_STEP_PAUSE) {
		p.advance = s->pause != SIM_FOREVER && now >= st->step_since + s->pause;
		return p;
	}
	if (d->traffic_routing) {
		p.advance = p.weight == w;
	} else {
		int32_t want_new = ro_weight_replicas(st->n, w), want_stable = ro_weight_replicas(st->n, 100 - w);
		p.advance = st->canary.spec == want_new && st->stable.spec == want_stable &&
			    st->canary.available >= want_new && st->stable.available >= want_stable;
	}
	return p;
}

const char *am_phase_name(enum am_phase p)
{
	static const char *const names[] = {"Running", "Successful", "Failed", "Inconclusive", "Error"};
	return names[p];
}

static bool cond_holds(const struct am_cond *c, double x)
{
	bool all = true, any = false;
	for (int i = 0; i < c->n; i++) {
		double v = c->value[i];
		bool t = false;
		switch (c->op[i]) {
		case AM_LT: t = x < v; break;
		case AM_LE: t = x <= v; break;
		case AM_GT: t = x > v; break;
		case AM_GE: t = x >= v; break;
		case AM_EQ: t = x == v; break;
		case AM_NE: t = x != v; break;
		}
		all = all && t;
		any = any || t;
	}
	return c->any ? any : all;
}

enum am_phase am_evaluate(const struct am_metric *m, double value)
{
	if (isnan(value))
		return AM_ERROR;
	bool has_s = m->success.n > 0, has_f = m->failure.n > 0;
	if (has_f && cond_holds(&m->failure, value))
		return AM_FAILED;
	if (has_s && cond_holds(&m->success, value))
		return AM_SUCCESSFUL;
	if (has_s && !has_f)
		return AM_FAILED;
	if (has_s && has_f)
		return AM_INCONCLUSIVE;
	return AM_SUCCESSFUL;
}

void am_tally_add(struct am_tally *t, enum am_phase v)
{
	t->count++;
	t->successful += v == AM_SUCCESSFUL;
	t->failed += v == AM_FAILED;
	t->inconclusive += v == AM_INCONCLUSIVE;
	t->errors += v == AM_ERROR;
	t->consecutive_errors = v == AM_ERROR ? t->consecutive_errors + 1 : 0;
}

enum am_phase am_metric_phase(const struct am_metric *m, const struct am_tally *t)
{
	if (t->failed > m->failure_limit)
		return AM_FAILED;
	if (t->inconclusive > m->inconclusive_limit)
		return AM_INCONCLUSIVE;
	if (t->consecutive_errors > m->consecutive_error_limit)
		return AM_ERROR;
	if (m->count > 0 && t->count >= m->count)
		return AM_SUCCESSFUL;
	return AM_RUNNING;
}

static double error_rate(const struct ro_vstats *v)
{
	int64_t ended = v->c.served + v->c.errors;
	return ended ? (double)v->c.errors / (double)ended : NAN;
}

static double p99_ms(const struct ro_vstats *v)
{
	return v->h.n ? hist_percentile(&v->h, 99) * 1e-6 : NAN;
}

double am_value(enum am_query q, const struct ro_vstats *stable, const struct ro_vstats *canary)
{
	switch (q) {
	case AM_CANARY_ERROR_RATE: return error_rate(canary);
	case AM_STABLE_ERROR_RATE: return error_rate(stable);
	case AM_CANARY_P99: return p99_ms(canary);
	case AM_STABLE_P99: return p99_ms(stable);
	case AM_P99_DELTA: return p99_ms(canary) - p99_ms(stable);
	}
	return NAN;
}

static void vstats_add(struct ro_vstats *v, enum slo_outcome o, simtime latency)
{
	if (o == SLO_SERVED) {
		v->c.served++;
		hist_add(&v->h, latency);
	} else {
		v->c.errors++;
	}
}

static void vstats_clear(struct ro_vstats *v)
{
	memset(&v->c, 0, sizeof v->c);
	hist_clear(&v->h);
}

/* ---- the controller ---- */

enum ro_phase { RO_PENDING, RO_PROGRESSING, RO_PAUSED, RO_ABORTED, RO_PROMOTED };
static const char *const phase_names[] = {"pending", "progressing", "paused", "aborted", "promoted"};

/* Blue/green's own stages. */
enum bg_stage { BG_PREVIEW, BG_SCALING, BG_SWITCHED };

struct am_run {
	const struct am_metric *m; /* its metric (borrowed from the scenario) */
	struct am_tally t;       /* its measurements so far */
	struct ro_vstats win[2]; /* per version since its last measurement */
	simtime next;            /* its next measurement, ns (SIM_FOREVER: none) */
	enum am_phase phase;     /* the metric's phase */
};

struct rollout {
	struct world *w;        /* the world it belongs to */
	struct service *sv;     /* the service it releases */
	const struct scn_delivery *d; /* its `rollout:` (borrowed) */
	enum ro_phase phase;
	int32_t n;              /* spec.replicas, pods */
	int32_t step;           /* the current step (canary), n_steps after the last */
	simtime step_since;     /* when it began, ns */
	int32_t weight;         /* version 1's weight now, percent (-1: none set) */
	simtime started, ended, aborted_at, rolled_back; /* ns, SIM_FOREVER: not (yet) */
	enum bg_stage bg;       /* blue/green's stage */
	simtime bg_ready;       /* blue/green: when the preview became available (SIM_FOREVER: not yet) */
	simtime old_down_at;    /* version 0 is scaled to 0 then (after promotion), SIM_FOREVER: not */
	bool analysing;         /* the analysis runs: measurements are due and windows fill */
	struct am_run *am;      /* one per metric (owned) */
	size_t n_am;
	struct ro_vstats iv[2]; /* per version over the sample interval */
	struct dist_sampler app_start; /* the new version's app start, if given */
	struct dist_sampler demand; /* the new version's own cpu_per_request, if given */
	gsl_rng *r;             /* its 5xx coins */
	gsl_rng *r_demand;      /* its CPU draws (a stream of its own: the stable draws stay as they are) */
	evh tick;               /* the controller's next reconcile, EVH_NONE after the end */
	uint32_t *pulled;       /* nodes (wnode.num) the new version's image is on (owned) */
	size_t n_pulled, cap_pulled;
	bool pulled_any;        /* without a cluster: it was pulled once */
	int measurements, failed, errors; /* analysis measurements taken, of which Failed, Error */
	int max_pods;           /* the most live pods of both versions at once */
	double extra_pod_s;     /* pod-seconds above spec.replicas */
	simtime extra_at;       /* extra_pod_s is up to date to then, ns */
	double extra_node_s;    /* node-seconds the pods above spec.replicas held (their CPU share) */
	double extra_usd;       /* what those shares cost, USD */
};

static void log_row(struct rollout *ro, const char *event, const char *metrics, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void log_row(struct rollout *ro, const char *event, const char *metrics, const char *fmt, ...)
{
	struct world *w = ro->w;
	if (!w->out.decision)
		return;
	char detail[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	struct row_decision r = {
		.t_s = sim_to_s(w->s->now),
		.service = ro->sv->cfg->name,
		.kind = "rollout",
		.pod = ro->d->name,
		.event = event,
		.replicas = ro->sv->v_live[1],
		.desired = ro->sv->v_target[1],
		.raw = ro->weight,
		.stabilized = -1,
		.limited = -1,
		.metrics = metrics,
		.detail = detail,
	};
	w->out.decision(w->out.ctx, &r);
}

static struct ro_rs rs_of(const struct rollout *ro, int v)
{
	const struct service *sv = ro->sv;
	int32_t avail = 0;
	for (uint32_t i = 0; i < sv->n_pods; i++) {
		const struct pod *p = sv->pods[i];
		avail += !p->slot_free && p->version == v && p->ready && p->phase == POD_RUNNING;
	}
	return (struct ro_rs){sv->v_target[v], avail};
}

/* Envoy's weighted clusters: version 1 gets w of 100. Without a router
 * every Ready pod is alike: each group weighs its Ready pods. */
static void route(struct rollout *ro, int32_t w)
{
	struct service *sv = ro->sv;
	if (ro->d->traffic_routing || ro->d->strategy == RO_BLUE_GREEN || w == 100 || w == 0) {
		bal_set_group_weight(sv, 0, 100 - w);
		bal_set_group_weight(sv, 1, w);
	} else {
		bal_set_group_weight(sv, 0, sv->lb.n_groups > 0 ? (double)sv->lb.groups[0].n_eps : 0);
		bal_set_group_weight(sv, 1, sv->lb.n_groups > 1 ? (double)sv->lb.groups[1].n_eps : 0);
	}
	int32_t was = ro->weight;
	ro->weight = w;
	if (w != was)
		log_row(ro, "weight", NULL, "%s %d%%, %s %d%%", ro->d->strategy == RO_BLUE_GREEN ? "old (blue)" : "stable",
			100 - w, ro->d->strategy == RO_BLUE_GREEN ? "new (green)" : "canary", w);
}

static void scale(struct rollout *ro, struct ro_counts c)
{
	pod_scale_version(ro->w, ro->sv, 1, c.canary);
	pod_scale_version(ro->w, ro->sv, 0, c.stable);
}

static void start_analysis(struct rollout *ro)
{
	simtime now = ro->w->s->now;
	ro->analysing = true;
	for (size_t i = 0; i < ro->n_am; i++) {
		struct am_run *a = &ro->am[i];
		vstats_clear(&a->win[0]);
		vstats_clear(&a->win[1]);
		a->next = now + a->m->initial_delay + (a->m->interval ? a->m->interval : RO_TICK * 60);
		a->phase = AM_RUNNING;
	}
}

static void abort_rollout(struct rollout *ro, const char *why)
{
	ro->phase = RO_ABORTED;
	ro->analysing = false;
	ro->aborted_at = ro->ended = ro->w->s->now;
	log_row(ro, "aborted", NULL, "%s", why);
}

/* s as the body of a JSON string: quotes, backslashes and control
 * characters left out (a metric's name is the user's). */
static void json_safe(char *buf, size_t n, const char *s)
{
	size_t k = 0;
	for (; *s && k + 1 < n; s++)
		if (*s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
			buf[k++] = *s;
	buf[k] = '\0';
}

/* One measurement of metric a; returns its metric's phase. */
static enum am_phase measure(struct rollout *ro, struct am_run *a)
{
	simtime now = ro->w->s->now;
	double value = am_value(a->m->query, &a->win[0], &a->win[1]);
	enum am_phase v = am_evaluate(a->m, value);
	am_tally_add(&a->t, v);
	ro->measurements++;
	ro->failed += v == AM_FAILED;
	ro->errors += v == AM_ERROR;
	char json[400], name[128];
	json_safe(name, sizeof name, a->m->name);
	snprintf(json, sizeof json,
		 "{\"metric\":\"%s\",\"value\":%.6g,\"verdict\":\"%s\",\"canary_requests\":%lld,\"stable_requests\":%lld}",
		 name, isnan(value) ? -1.0 : value, am_phase_name(v),
		 (long long)(a->win[1].c.served + a->win[1].c.errors), (long long)(a->win[0].c.served + a->win[0].c.errors));
	vstats_clear(&a->win[0]);
	vstats_clear(&a->win[1]);
	a->phase = am_metric_phase(a->m, &a->t);
	log_row(ro, "measurement", json, "%s = %.4g: %s%s (failed %d/%d, inconclusive %d/%d, errors %d in a row/%d)",
		a->m->name, value, am_phase_name(v), a->m->dry_run ? " (dryRun: not acted on)" : "", a->t.failed, a->m->failure_limit, a->t.inconclusive,
		a->m->inconclusive_limit, a->t.consecutive_errors, a->m->consecutive_error_limit);
	if (a->phase != AM_RUNNING)
		a->next = SIM_FOREVER;
	else if (v == AM_ERROR)
		a->next = now + AM_ERROR_RETRY;
	else
		a->next = now + a->m->interval;
	return a->phase;
}

/* Due measurements; a Failed or Error metric aborts, an Inconclusive one pauses. */
static void analyse(struct rollout *ro)
{
	simtime now = ro->w->s->now;
	for (size_t i = 0; ro->analysing && i < ro->n_am; i++) {
		struct am_run *a = &ro->am[i];
		if (a->next > now)
			continue;
		enum am_phase ph = measure(ro, a);
		char why[160];
		snprintf(why, sizeof why, "metric %s %s", a->m->name, am_phase_name(ph));
		if (a->m->dry_run) /* its verdicts are recorded, never acted on (analysis.go, dry-run metrics) */
			continue;
		if (ph == AM_FAILED || ph == AM_ERROR)
			abort_rollout(ro, why);
		else if (ph == AM_INCONCLUSIVE && ro->phase == RO_PROGRESSING) {
			/* The run ends there: a metric Inconclusive (Failed, Error) terminates
			 * the AnalysisRun, its other metrics measure no more (utils/analysis/
			 * helpers.go IsTerminating), and the rollout waits. */
			ro->phase = RO_PAUSED;
			ro->analysing = false;
			log_row(ro, "paused", NULL, "%s: the analysis ends, the rollout waits for a person", why);
		}
	}
}

static void promote(struct rollout *ro)
{
	simtime now = ro->w->s->now;
	ro->phase = RO_PROMOTED;
	ro->analysing = false;
	ro->ended = now;
	ro->old_down_at = now + (ro->d->traffic_routing || ro->d->strategy == RO_BLUE_GREEN ? ro->d->scale_down_delay : 0);
	log_row(ro, "promoted", NULL, "the new version is stable; the old one goes at %.0fs (scaleDownDelaySeconds)",
		sim_to_s(ro->old_down_at));
}

static void canary_reconcile(struct rollout *ro)
{
	simtime now = ro->w->s->now;
	const struct scn_delivery *d = ro->d;
	for (int guard = 0; guard <= (int)d->n_steps + 1; guard++) {
		struct ro_state st = {ro->n,	  ro->step,    ro->step_since, ro->weight, ro->phase == RO_ABORTED,
				      ro->aborted_at, ro->phase == RO_PAUSED, rs_of(ro, 1), rs_of(ro, 0)};
		struct ro_plan p = ro_canary_plan(d, &st, now);
		scale(ro, p.rs);
		route(ro, p.weight);
		if (ro->phase == RO_ABORTED && ro->rolled_back == SIM_FOREVER && p.weight == 0) {
			ro->rolled_back = now;
			log_row(ro, "rolled-back", NULL, "all traffic on the stable version, %.1fs after the start",
				sim_to_s(now - ro->started));
		}
		if (!p.advance || ro->phase != RO_PROGRESSING)
			return;
		if (ro->step >= (int32_t)d->n_steps) {
			promote(ro);
			return;
		}
		ro->step++;
		ro->step_since = now;
		if (ro->step < (int32_t)d->n_steps)
			log_row(ro, "step", NULL, "step %d of %zu: %s", ro->step + 1, d->n_steps,
				d->steps[ro->step].kind == RO_STEP_WEIGHT ? "setWeight" : "pause");
		else
			log_row(ro, "step", NULL, "every step done: the canary goes to 100%%");
		if (!ro->analysing && ro->step >= d->starting_step && ro->n_am)
			start_analysis(ro);
	}
}

static void bg_reconcile(struct rollout *ro)
{
	simtime now = ro->w->s->now;
	const struct scn_delivery *d = ro->d;
	int32_t preview = d->preview_replicas >= 0 ? HR_MIN(d->preview_replicas, ro->n) : ro->n;
	struct ro_rs nv = rs_of(ro, 1);
	if (ro->phase == RO_ABORTED) {
		route(ro, 0);
		if (ro->rolled_back == SIM_FOREVER) {
			ro->rolled_back = now;
			log_row(ro, "rolled-back", NULL, "the active service back on the old version");
		}
		/* the preview set is kept abortScaleDownDelaySeconds, for good when 0 ("0 means not to scale down") */
		bool keep = !d->abort_scale_down_delay || now < ro->aborted_at + d->abort_scale_down_delay;
		scale(ro, (struct ro_counts){keep ? nv.spec : 0, ro->n});
		return;
	}
	if (ro->phase == RO_PROMOTED) {
		scale(ro, (struct ro_counts){ro->n, now >= ro->old_down_at ? 0 : ro->sv->v_target[0]});
		return;
	}
	switch (ro->bg) {
	case BG_PREVIEW:
		scale(ro, (struct ro_counts){preview, ro->n});
		if (nv.available < preview || nv.spec != preview)
			return;
		if (ro->bg_ready == SIM_FOREVER) {
			ro->bg_ready = now;
			log_row(ro, "preview-ready", NULL, "%d preview pods available", preview);
		}
		if (now < ro->bg_ready + d->auto_promotion_after)
			return;
		ro->bg = BG_SCALING;
		/* the new version goes to full size before the switch */
		/* fall through */
	case BG_SCALING:
		scale(ro, (struct ro_counts){ro->n, ro->n});
		if (rs_of(ro, 1).available < ro->n)
			return;
		ro->bg = BG_SWITCHED;
		route(ro, 100);
		log_row(ro, "switched", NULL, "the active service selects the new version");
		if (ro->n_am)
			start_analysis(ro);
		else
			promote(ro);
		return;
	case BG_SWITCHED:
		scale(ro, (struct ro_counts){ro->n, ro->n});
		for (size_t i = 0; i < ro->n_am; i++)
			if (ro->am[i].phase != AM_SUCCESSFUL && (!ro->am[i].m->dry_run || ro->am[i].phase == AM_RUNNING))
				return;
		promote(ro);
		return;
	}
}

static void reconcile(struct rollout *ro)
{
	if (ro->phase == RO_PENDING)
		return;
	analyse(ro);
	if (ro->d->strategy == RO_BLUE_GREEN) {
		bg_reconcile(ro);
		return;
	}
	if (ro->phase == RO_PROMOTED) {
		scale(ro, (struct ro_counts){ro->n, ro->w->s->now >= ro->old_down_at ? 0 : ro->sv->v_target[0]});
		route(ro, 100);
		return;
	}
	canary_reconcile(ro);
}

/* What a service's live pods hold of their nodes at one instant. */
struct ro_share {
	double usd_hour;      /* the shares' cost, USD per hour */
	double nodes;         /* the shares summed, nodes */
};

/* What the service's live pods hold of their nodes now: each one bound to
 * a node holds its CPU request over the node's allocatable CPU (its node
 * share) and that share of the node's price, as a service's cost_usd
 * divides a node (models/world.c, emit_samples; docs/cost.md). A pending
 * pod holds nothing yet. */
static struct ro_share live_share(const struct rollout *ro)
{
	const struct world *w = ro->w;
	const struct service *sv = ro->sv;
	struct ro_share sh = {0, 0};
	for (uint32_t i = 0; i < sv->n_pods; i++) {
		const struct pod *p = sv->pods[i];
		if (p->slot_free || !p->bound || p->node < 0 || (p->phase != POD_PENDING && p->phase != POD_RUNNING))
			continue;
		double alloc = w->nodes[p->node].alloc_cpu;
		if (alloc <= 0)
			continue;
		sh.nodes += sv->cfg->cpu_request / alloc;
		sh.usd_hour += w->wnodes[p->node]->price_hour * sv->cfg->cpu_request / alloc;
	}
	return sh;
}

double ro_extra_share(int32_t live, int32_t n, double all)
{
	return live > n ? (double)(live - n) / live * all : 0;
}

/* Pod-seconds above spec.replicas, and their node share and cost,
 * integrated up to now: the state now held since the last account (the
 * controller accounts before and after each change it makes, so its own
 * changes are exact; a pod bound between reconciles counts from the
 * reconcile before, within a second). */
static void account(struct rollout *ro)
{
	simtime now = ro->w->s->now;
	int live = ro->sv->v_live[0] + ro->sv->v_live[1];
	double dt = sim_to_s(now - ro->extra_at);
	ro->extra_pod_s += (double)HR_MAX(live - ro->n, 0) * dt;
	if (live > ro->n && dt > 0 && ro->w->cluster) {
		struct ro_share sh = live_share(ro);
		ro->extra_node_s += dt * ro_extra_share(live, ro->n, sh.nodes);
		ro->extra_usd += dt / 3600 * ro_extra_share(live, ro->n, sh.usd_hour);
	}
	ro->extra_at = now;
	ro->max_pods = HR_MAX(ro->max_pods, live);
}

static simtime tick_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)arg;
	struct rollout *ro = obj;
	account(ro);
	if (ro->phase == RO_PENDING) {
		ro->phase = RO_PROGRESSING;
		ro->started = ro->step_since = s->now;
		log_row(ro, "started", NULL, "%s of %s: %zu steps, %zu analysis metrics",
			ro->d->strategy == RO_CANARY ? "canary" : "blueGreen", ro->d->name, ro->d->n_steps, ro->n_am);
		if (ro->d->strategy == RO_CANARY && ro->n_am && ro->d->starting_step == 0)
			start_analysis(ro);
	}
	reconcile(ro);
	account(ro);
	if (s->now >= s->end) {
		ro->tick = EVH_NONE;
		return SIM_DONE;
	}
	return RO_TICK;
}

struct rollout *rollout_new(struct world *w, struct service *sv)
{
	const struct scn_delivery *d = sv->cfg->delivery;
	assert(d);
	struct rollout *ro = xcalloc(1, sizeof *ro);
	ro->w = w;
	ro->sv = sv;
	ro->d = d;
	ro->n = sv->cfg->replicas;
	ro->weight = 0;
	ro->ended = ro->aborted_at = ro->rolled_back = ro->bg_ready = ro->old_down_at = SIM_FOREVER;
	ro->started = SIM_FOREVER;
	ro->n_am = d->n_metrics;
	ro->am = xcalloc(d->n_metrics ? d->n_metrics : 1, sizeof *ro->am);
	for (size_t i = 0; i < d->n_metrics; i++) {
		ro->am[i].m = &d->metrics[i];
		ro->am[i].next = SIM_FOREVER;
	}
	if (d->version.has_app_start)
		dist_prepare(&ro->app_start, &d->version.app_start);
	if (d->version.has_cpu)
		dist_prepare(&ro->demand, &d->version.cpu_per_request);
	ro->r = rng_stream(w->s->seed, RNG_ROLLOUT, sv->idx);
	ro->r_demand = rng_stream(w->s->seed, RNG_ROLLOUT, 0x10000u + sv->idx);
	sv->v_target[0] = sv->cfg->replicas;
	bal_set_group_weight(sv, 1, 0);
	ro->tick = sim_at(w->s, d->at, PRIO_CONTROL, tick_ev, ro, 0);
	return ro;
}

void rollout_free(struct rollout *ro)
{
	if (!ro)
		return;
	gsl_rng_free(ro->r);
	gsl_rng_free(ro->r_demand);
	free(ro->pulled);
	free(ro->am);
	free(ro);
}

int32_t rollout_replicas(const struct rollout *ro) { return ro->n; }

void rollout_scale(struct world *w, struct rollout *ro, int32_t n)
{
	account(ro);
	ro->n = n;
	if (ro->phase == RO_PENDING)
		pod_scale_version(w, ro->sv, 0, n);
	else
		reconcile(ro);
	account(ro);
}

void rollout_done(struct rollout *ro, int v, enum slo_outcome o, simtime latency)
{
	vstats_add(&ro->iv[v], o, latency);
	if (!ro->analysing)
		return;
	for (size_t i = 0; i < ro->n_am; i++)
		vstats_add(&ro->am[i].win[v], o, latency);
}

bool rollout_fails(struct rollout *ro, int v)
{
	double e = ro->d->version.error_rate;
	return v == 1 && e > 0 && rng_u01(ro->r) < e;
}

int32_t rollout_retries(const struct rollout *ro) { return ro->d->retries; }

bool rollout_image_cached(const struct rollout *ro, uint32_t num)
{
	if (num == UINT32_MAX)
		return ro->pulled_any;
	for (size_t i = 0; i < ro->n_pulled; i++)
		if (ro->pulled[i] == num)
			return true;
	return false;
}

void rollout_image_pulled(struct rollout *ro, uint32_t num)
{
	ro->pulled_any = true;
	if (num == UINT32_MAX || rollout_image_cached(ro, num))
		return;
	if (ro->n_pulled == ro->cap_pulled) { /* first drop the nodes gone: the list follows the cluster */
		size_t k = 0;
		for (size_t i = 0; i < ro->n_pulled; i++)
			for (size_t j = 0; j < ro->w->n_nodes; j++)
				if (ro->w->wnodes[j]->num == ro->pulled[i]) {
					ro->pulled[k++] = ro->pulled[i];
					break;
				}
		ro->n_pulled = k;
	}
	if (ro->n_pulled == ro->cap_pulled) {
		ro->cap_pulled = ro->cap_pulled ? 2 * ro->cap_pulled : 16;
		ro->pulled = xrealloc(ro->pulled, ro->cap_pulled * sizeof *ro->pulled);
	}
	ro->pulled[ro->n_pulled++] = num;
}

double rollout_work(struct rollout *ro, int v, double work)
{
	const struct scn_version *ver = &ro->d->version;
	if (v != 1)
		return work;
	return ver->has_cpu ? dist_draw(&ro->demand, ro->r_demand) * 1e9 : work * ver->cpu_factor;
}

double rollout_retry_work(struct rollout *ro, int from, int to, double work)
{
	const struct scn_version *ver = &ro->d->version;
	if (from == to)
		return from == 1 && ver->has_cpu ? rollout_work(ro, 1, work) : work;
	if (from == 0)
		return rollout_work(ro, 1, work);
	/* from the new version to the stable one */
	return ver->has_cpu ? dist_draw(&ro->sv->demand, ro->r_demand) * 1e9 : work / ver->cpu_factor;
}

simtime rollout_latency(const struct rollout *ro, int v) { return v == 1 ? ro->d->version.latency : 0; }

const struct dist_sampler *rollout_app_start(const struct rollout *ro, int v)
{
	return v == 1 && ro->d->version.has_app_start ? &ro->app_start : NULL;
}

void rollout_sample(struct world *w, struct rollout *ro, double t_s, double interval_s)
{
	(void)interval_s;
	const struct service *sv = ro->sv;
	double sum = 0;
	for (uint16_t g = 0; g < sv->lb.n_groups && g < 2; g++)
		sum += sv->lb.groups[g].weight;
	for (int v = 0; v < 2; v++) {
		struct ro_vstats *s = &ro->iv[v];
		struct ro_rs rs = rs_of(ro, v);
		double gw = v < sv->lb.n_groups ? sv->lb.groups[v].weight : 0;
		struct row_version r = {
			.t_s = t_s,
			.service = sv->cfg->name,
			.version = v,
			.pods = sv->v_live[v],
			.ready = rs.available,
			.target = sv->v_target[v],
			.weight = sum > 0 ? (int)lround(100 * gw / sum) : 0,
			.requests = s->c.served + s->c.errors,
			.errors = s->c.errors,
			.error_rate = error_rate(s),
			.p99_ms = p99_ms(s),
		};
		if (w->out.version)
			w->out.version(w->out.ctx, &r);
		vstats_clear(s);
	}
}

/* Seconds, exact for whole seconds (sim_to_s multiplies by 1e-9: 60 s would be 60.000000000000007,
 * which an expectation `rollout.rollback <= 60s` would refuse). */
static double secs(simtime t) { return (double)t / (double)SIM_S; }

void rollout_finish(struct world *w, struct rollout *ro)
{
	account(ro);
	if (!w->out.rollout)
		return;
	struct row_rollout r = {
		.service = ro->sv->cfg->name,
		.strategy = ro->d->strategy == RO_CANARY ? "canary" : "blueGreen",
		.outcome = phase_names[ro->phase],
		.started_s = ro->started == SIM_FOREVER ? NAN : secs(ro->started),
		.ended_s = ro->ended == SIM_FOREVER ? NAN : secs(ro->ended),
		.rollback_s = ro->rolled_back == SIM_FOREVER ? NAN : secs(ro->rolled_back - ro->started),
		.measurements = ro->measurements,
		.failed = ro->failed,
		.errors = ro->errors,
		.extra_pod_hours = ro->extra_pod_s / 3600,
		.max_pods = ro->max_pods,
		.extra_node_hours = ro->w->cluster ? ro->extra_node_s / 3600 : NAN,
		.extra_cost_usd = ro->w->cluster ? ro->extra_usd : NAN,
	};
	w->out.rollout(w->out.ctx, &r);
}
