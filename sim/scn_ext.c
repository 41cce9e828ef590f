/*
 * scn_ext.c: the scenario's absolute `start:` and its `external_metrics:`,
 * the series an HPA's External metrics read (scn.h, struct
 * scn_ext_metric; scenarios/README.md, external_metrics).
 *
 * A series is KEDA's cron scaler (`cron: {timezone, start, end,
 * desiredReplicas}`) or windows relative to the run (`schedule: [{at,
 * until, replicas}]`). Both are resolved here to values over run time, so
 * the models read a step function and never see a calendar. A cron series
 * is evaluated as KEDA's GetMetricsAndActivity evaluates it at an HPA
 * sync: nextStart and nextEnd are the schedules' next times strictly after
 * now (robfig/cron's Next, sim/cron.h, in the trigger's zone); if
 * nextStart is before nextEnd the window is open when now is after
 * nextStart and before nextEnd (never, as both are in the future), else
 * when now is after nextStart or before nextEnd (always): so the window
 * is open exactly when the end fires before (or with) the start. The value
 * is desiredReplicas while open, 0 otherwise. It can change only when one
 * of the schedules fires, which is where the resolution steps.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "scn_impl.h"
#include "tz.h"

#define MAX_SERIES 1000
#define MAX_WINDOWS 1000
#define MAX_STEPS 4000000 /* a schedule firing every minute for a 366-day run is 1.05 M */
#define MONTH_S (730 * 3600)

/* ---------- values ---------- */

static double step_value(const struct scn_ext_step *s, size_t n, simtime t)
{
	if (!n || t < s[0].t)
		return 0;
	size_t lo = 0, hi = n; /* the last step at or before t */
	while (hi - lo > 1) {
		size_t m = (lo + hi) / 2;
		if (s[m].t <= t)
			lo = m;
		else
			hi = m;
	}
	return s[lo].value;
}

double scn_ext_value(const struct scn_ext_metric *m, simtime t)
{
	return step_value(m->steps, m->n_steps, t);
}

double scn_ext_month_value(const struct scn_ext_metric *m, simtime t)
{
	return step_value(m->month, m->n_month, t);
}

/* Appends (t, v) unless v is the value already in force. */
static void push_step(struct scn_ext_step **s, size_t *n, size_t *cap, simtime t, double v)
{
	if (*n && (*s)[*n - 1].value == v)
		return;
	if (*n && (*s)[*n - 1].t == t) {
		(*s)[*n - 1].value = v;
		if (*n > 1 && (*s)[*n - 2].value == v)
			(*n)--;
		return;
	}
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		*s = xrealloc(*s, *cap * sizeof **s);
	}
	(*s)[(*n)++] = (struct scn_ext_step){t, v};
}

/* ---------- start ---------- */

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* "2025-11-28T08:00[:00]" into its fields; returns the rest, or NULL. */
static const char *iso_fields(const char *s, int f[6])
{
	f[5] = 0;
	if (!digits(s, 4, &f[0]) || s[4] != '-' || !digits(s + 5, 2, &f[1]) || s[7] != '-' ||
	    !digits(s + 8, 2, &f[2]) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &f[3]) ||
	    s[13] != ':' || !digits(s + 14, 2, &f[4]))
		return NULL;
	s += 16;
	if (*s == ':') {
		if (!digits(s + 1, 2, &f[5]))
			return NULL;
		s += 3;
	}
	if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 59)
		return NULL;
	return s;
}

/* A UTC offset "Z", "+01:00", "+0100" or "+01"; false if rest is none of them. */
static bool iso_offset(const char *s, int *off)
{
	if ((s[0] == 'Z' || s[0] == 'z') && !s[1]) {
		*off = 0;
		return true;
	}
	int h, m = 0;
	if ((s[0] != '+' && s[0] != '-') || !digits(s + 1, 2, &h))
		return false;
	const char *r = s + 3;
	if (*r == ':')
		r++;
	if (*r && (!digits(r, 2, &m) || r[2]))
		return false;
	if (h > 23 || m > 59)
		return false;
	*off = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return true;
}

int ld_load_start(struct ld *L, const struct ynode *v)
{
	static const char form[] = "an ISO 8601 time with a UTC offset or a zone: 2025-11-28T08:00:00+01:00, "
				   "2025-11-28T07:00:00Z, or 2025-11-28T08:00:00[Europe/Berlin]";
	const char *s = ld_scalar(L, v, "start");
	if (!s)
		return -1;
	int f[6], off = 0;
	const char *rest = iso_fields(s, f);
	if (!rest)
		return yt_err(L->e, v, "start: '%s' is not %s", s, form);
	if (*rest == '.')
		return yt_err(L->e, v, "start: '%s': give whole seconds (no fraction)", s);
	int64_t days = tz_days_from_civil(f[0], f[1], f[2]);
	int64_t local = days * 86400 + f[3] * 3600 + f[4] * 60 + f[5];
	struct tz utc;
	struct tz_civil c;
	tz_utc(&utc);
	tz_fields(&utc, local, &c);
	if (c.month != f[1]) /* the 31st of a 30-day month is no date */
		return yt_err(L->e, v, "start: '%s': %04d-%02d has no day %d", s, f[0], f[1], f[2]);
	if (iso_offset(rest, &off)) {
		L->sc->start_unix = local - off;
	} else if (*rest == '[' || *rest == ' ') {
		char name[64];
		size_t n = strlen(rest + 1) - (*rest == '[');
		if ((*rest == '[' && rest[n + 1] != ']') || n == 0 || n >= sizeof name)
			return yt_err(L->e, v, "start: '%s' is not %s", s, form);
		memcpy(name, rest + 1, n);
		name[n] = '\0';
		struct tz z;
		struct herr te;
		if (tz_load(&z, NULL, name, &te))
			return yt_err(L->e, v, "start: %s", te.msg);
		L->sc->start_unix = tz_date(&z, f[0], f[1], f[2], f[3], f[4], f[5]);
		tz_release(&z);
	} else {
		return yt_err(L->e, v, "start: '%s' needs %s", s, *rest ? "a valid UTC offset or zone" : form);
	}
	if (f[0] < 1970 || f[0] > 2200)
		return yt_err(L->e, v, "start: '%s': the year must be between 1970 and 2200", s);
	L->sc->has_start = true;
	L->sc->month_unix = L->sc->start_unix - ((L->sc->start_unix % 86400) + 86400) % 86400;
	return 0;
}

/* ---------- cron series ---------- */

/* One KEDA cron trigger, parsed: its two schedules and their zones. */
struct trigger {
	struct cron start, end;
	struct tz zstart, zend;
	double desired;
};

/* The schedule at key k of m, and its zone (its CRON_TZ, else `zone`). */
static int load_schedule(struct ld *L, const struct ynode *m, const char *k, const char *zone, struct cron *c,
			 struct tz *z)
{
	const struct ynode *v = ld_need(L, m, k, "a cron trigger");
	const char *s;
	if (!v || !(s = ld_string(L, v, k)))
		return -1;
	char why[300];
	size_t at;
	if (cron_parse(c, s, why, sizeof why, &at))
		return herr_at(L->e, v->src, v->line, v->line ? v->col + (int)at : 0,
			       "%s: error parsing %s schedule: %s", k, k, why);
	struct herr te;
	if (tz_load(z, NULL, c->tz[0] ? c->tz : zone, &te))
		return yt_err(L->e, v, "%s: %s", k, te.msg);
	return 0;
}

/* KEDA's GetMetricsAndActivity at t (Unix ns): the window's state, and
 * when it may next change (Unix ns; TZ_OMEGA: never). */
static bool active_at(const struct trigger *g, int64_t t, int64_t *next)
{
	int64_t s = cron_next(&g->start, &g->zstart, t), e = cron_next(&g->end, &g->zend, t);
	int64_t sn = s == CRON_NEVER ? CRON_NEVER : s * SIM_S, en = e == CRON_NEVER ? CRON_NEVER : e * SIM_S;
	*next = TZ_OMEGA;
	if (s != CRON_NEVER)
		*next = sn;
	if (e != CRON_NEVER && en < *next)
		*next = en;
	if (sn < en)
		return t > sn && t < en;
	return t > sn || t < en;
}

/* The trigger's values over [t0, t1) (Unix ns), steps from t0. */
static int resolve(struct ld *L, const struct ynode *at, const struct trigger *g, int64_t t0, int64_t t1,
		   struct scn_ext_step **out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (int64_t t = t0; t < t1;) {
		int64_t next;
		bool on = active_at(g, t, &next);
		push_step(out, n, &cap, t - t0, on ? g->desired : 0);
		if (*n > MAX_STEPS)
			return yt_err(L->e, at, "cron: the window opens and closes more than %d times: too often", MAX_STEPS / 2);
		t = next;
	}
	return 0;
}

static double held_share(const struct scn_ext_step *s, size_t n, simtime len)
{
	simtime on = 0;
	for (size_t k = 0; k < n; k++)
		if (s[k].value != 0)
			on += (k + 1 < n ? s[k + 1].t : len) - s[k].t;
	return (double)on / (double)len;
}

/* A warning for a schedule that does not fire within the run. */
static void check_fires(struct ld *L, const struct ynode *m, const char *k, const struct cron *c, const struct tz *z,
			int64_t t0, int64_t t1, double share)
{
	int64_t f = cron_next(c, z, t0);
	if (f != CRON_NEVER && f * SIM_S < t1)
		return;
	ld_warn(L, yt_get(m, k),
		"%s: '%s' does not fire within the run (%s, the %lld s from the scenario's start)%s: the window is "
		"open for %.0f %% of the run",
		k, yt_get(m, k)->s, z->name, (long long)((t1 - t0) / SIM_S),
		f == CRON_NEVER ? ", nor within five years after (KEDA's cron library then gives up on it)" : "",
		100 * share);
}

static int load_cron(struct ld *L, const struct ynode *v, struct scn_ext_metric *x)
{
	static const char *const keys[] = {"timezone", "start", "end", "desiredReplicas", NULL};
	struct scenario *sc = L->sc;
	struct trigger g;
	memset(&g, 0, sizeof g);
	const struct ynode *tzn;
	const char *zone;
	int64_t want = 0;
	int rc = -1;
	struct herr te;
	if (ld_want_map(L, v, "cron") || ld_check_keys(L, v, keys, "a cron trigger") ||
	    !(tzn = ld_need(L, v, "timezone", "a cron trigger")) || !(zone = ld_string(L, tzn, "timezone")))
		goto out;
	if (!*zone) {
		yt_err(L->e, tzn, "timezone: must not be empty (KEDA requires it; e.g. Europe/Berlin or UTC)");
		goto out;
	}
	if (tz_load(&g.zstart, NULL, zone, &te)) {
		yt_err(L->e, tzn, "timezone: %s", te.msg);
		goto out;
	}
	tz_release(&g.zstart);
	if (load_schedule(L, v, "start", zone, &g.start, &g.zstart) ||
	    load_schedule(L, v, "end", zone, &g.end, &g.zend) || !ld_need(L, v, "desiredReplicas", "a cron trigger") ||
	    ld_get_int(L, v, "desiredReplicas", 1, 1000000, &want))
		goto out;
	if (!strcmp(yt_get(v, "start")->s, yt_get(v, "end")->s)) {
		yt_err(L->e, yt_get(v, "end"), "end: start and end can not have exactly same time input");
		goto out;
	}
	if (!sc->has_start) {
		yt_err(L->e, v, "cron: a cron schedule needs the scenario's `start:` (when the run begins, e.g. "
				"start: 2025-11-28T07:30:00[%s]); or give `schedule:` windows relative to the run",
		       zone);
		goto out;
	}
	g.desired = (double)want;
	int64_t t0 = sc->start_unix * SIM_S, t1 = t0 + sc->duration;
	if (resolve(L, v, &g, t0, t1, &x->steps, &x->n_steps) ||
	    resolve(L, v, &g, sc->month_unix * SIM_S, (sc->month_unix + MONTH_S) * SIM_S, &x->month, &x->n_month))
		goto out;
	double share = held_share(x->steps, x->n_steps, sc->duration);
	check_fires(L, v, "start", &g.start, &g.zstart, t0, t1, share);
	check_fires(L, v, "end", &g.end, &g.zend, t0, t1, share);
	rc = 0;
out:
	tz_release(&g.zstart);
	tz_release(&g.zend);
	return rc;
}

/* ---------- windows relative to the run ---------- */

static int load_windows(struct ld *L, const struct ynode *v, struct scn_ext_metric *x)
{
	static const char *const keys[] = {"at", "until", "replicas", NULL};
	simtime dur = L->sc->duration, last = -1;
	size_t cap = 0;
	if (ld_want_seq(L, v, "schedule"))
		return -1;
	if (v->n == 0 || v->n > MAX_WINDOWS)
		return yt_err(L->e, v, "schedule: 1 to %d windows {at, until, replicas}", MAX_WINDOWS);
	push_step(&x->steps, &x->n_steps, &cap, 0, 0);
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *w = v->kid[i];
		simtime at = 0, until = dur;
		int64_t r = 0;
		if (ld_want_map(L, w, "a window") || ld_check_keys(L, w, keys, "a window") ||
		    !ld_need(L, w, "at", "a window") || ld_get_dur(L, w, "at", 0, SIM_FOREVER, false, &at) ||
		    ld_get_dur(L, w, "until", 1, SIM_FOREVER, false, &until) || !ld_need(L, w, "replicas", "a window") ||
		    ld_get_int(L, w, "replicas", 0, 1000000, &r))
			return -1;
		if (at >= dur)
			return yt_err(L->e, yt_get(w, "at"), "at: %s is not within the run (duration %g s)",
				      yt_get(w, "at")->s, sim_to_s(dur));
		if (until > dur)
			return yt_err(L->e, yt_get(w, "until"),
				      "until: %s is past the run's end (duration %g s); leave it out to hold to the end",
				      yt_get(w, "until")->s, sim_to_s(dur));
		if (until <= at)
			return yt_err(L->e, yt_get(w, "until"), "until: must be after at");
		if (at < last)
			return yt_err(L->e, yt_get(w, "at"), "at: the windows must be in order and not overlap");
		push_step(&x->steps, &x->n_steps, &cap, at, (double)r);
		push_step(&x->steps, &x->n_steps, &cap, until, 0);
		last = until;
	}
	if (x->n_steps && x->steps[x->n_steps - 1].t >= dur)
		x->n_steps--; /* a window to the end: no step at the end */
	return 0;
}

/* ---------- the section ---------- */

static int load_series(struct ld *L, const struct ynode *v, struct scn_ext_metric *x)
{
	static const char *const keys[] = {"name", "labels", "cron", "schedule", NULL};
	const struct ynode *n, *c, *s;
	const char *name;
	if (ld_want_map(L, v, "an external metric") || ld_check_keys(L, v, keys, "an external metric") ||
	    !(n = ld_need(L, v, "name", "an external metric")) || !(name = ld_string(L, n, "name")))
		return -1;
	if (!*name)
		return yt_err(L->e, n, "name: must not be empty");
	x->name = xstrdup(name);
	if ((n = yt_get(v, "labels")) && ld_load_labels(L, n, "labels", &x->labels, &x->n_labels))
		return -1;
	c = yt_get(v, "cron");
	s = yt_get(v, "schedule");
	if (!c == !s)
		return yt_err(L->e, c && s ? s : v, "an external metric takes either cron: (KEDA's cron trigger) or "
						    "schedule: (windows relative to the run), one of them");
	return c ? load_cron(L, c, x) : load_windows(L, s, x);
}

int ld_load_external_metrics(struct ld *L, const struct ynode *v)
{
	struct scenario *sc = L->sc;
	if (ld_want_seq(L, v, "external_metrics"))
		return -1;
	if (v->n > MAX_SERIES)
		return yt_err(L->e, v, "external_metrics: %zu is too many (at most %d)", v->n, MAX_SERIES);
	sc->external_metrics = xcalloc(v->n ? v->n : 1, sizeof *sc->external_metrics);
	for (size_t i = 0; i < v->n; i++) {
		sc->n_external_metrics++;
		if (load_series(L, v->kid[i], &sc->external_metrics[i]))
			return -1;
	}
	return 0;
}

int ld_match_external(struct ld *L, const struct ynode *at, const struct scn_selector *sel, struct scn_hpa_metric *m)
{
	const struct scenario *sc = L->sc;
	m->series = xcalloc(sc->n_external_metrics ? sc->n_external_metrics : 1, sizeof *m->series);
	for (size_t i = 0; i < sc->n_external_metrics; i++) {
		const struct scn_ext_metric *x = &sc->external_metrics[i];
		if (!strcmp(x->name, m->name) && (!sel || scn_selector_matches(sel, x->labels, x->n_labels)))
			m->series[m->n_series++] = (int)i;
	}
	if (m->n_series)
		return 0;
	char known[400];
	size_t k = 0;
	known[0] = '\0';
	for (size_t i = 0; i < sc->n_external_metrics && k < sizeof known; i++)
		k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", i ? ", " : "", sc->external_metrics[i].name);
	return yt_err(L->e, at,
		      "name: no series of the external metrics API is called '%s'%s (the scenario's "
		      "external_metrics: %s): the HPA would fail with \"unable to get external metric\"",
		      m->name, sel ? " with labels its selector matches" : "", sc->n_external_metrics ? known : "none");
}

void ld_free_external(struct scenario *sc)
{
	for (size_t i = 0; i < sc->n_external_metrics; i++) {
		struct scn_ext_metric *x = &sc->external_metrics[i];
		free(x->name);
		ld_free_labels(x->labels, x->n_labels);
		free(x->steps);
		free(x->month);
	}
	free(sc->external_metrics);
	sc->external_metrics = NULL;
	sc->n_external_metrics = 0;
}
