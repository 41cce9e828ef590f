/*
 * scn_trace.c: a traffic pattern read from a trace (`pattern: {type:
 * trace, file, ...}`): how its rows are read (sim/trace.h), which series,
 * which window, and the warnings a user must see on every run (points
 * filled in gaps, a trace shorter than the run).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scn_impl.h"
#include "trace.h"
#include "tz.h"

/* "2024-01-15T10:00:00Z" for Unix seconds t. */
static const char *utc(double t, char *buf, size_t n)
{
	time_t s = (time_t)floor(t);
	struct tm tm;
	if (!gmtime_r(&s, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "%.0f", t);
	return buf;
}

/* A time key (from, to): the formats of a trace row, in the trace's zone. */
static int get_time(struct ld *L, const struct ynode *m, const char *k, const struct tz *zone, double *out)
{
	const struct ynode *v = yt_get(m, k);
	if (!v)
		return 0;
	const char *s = ld_scalar(L, v, k);
	if (!s)
		return -1;
	if (trace_parse_time(s, zone, out))
		return yt_err(L->e, v,
			      "%s: '%s' is not a time: write Unix seconds or \"YYYY-MM-DD HH:MM:SS\" (with Z or an "
			      "offset such as +02:00, else in the trace's timezone)",
			      k, s);
	return 0;
}

static int read_opts(struct ld *L, const struct ynode *v, struct trace_opts *o, struct tz *zone, bool *has_zone)
{
	static const char *const readings[] = {"interval-end", "interval-start", "point", NULL};
	static const char *const values[] = {"rate", "count", NULL};
	static const char *const gaps[] = {"error", "hold", "zero", "interpolate", NULL};
	int reading = TRACE_INTERVAL_END, val = TRACE_RATE, gap = TRACE_GAPS_ERROR;
	simtime step = 0;
	if (ld_get_enum(L, v, "reading", readings, &reading) || ld_get_enum(L, v, "values", values, &val) ||
	    ld_get_enum(L, v, "gaps", gaps, &gap) || ld_get_dur(L, v, "step", SIM_MS, 24 * SIM_HOUR, false, &step))
		return -1;
	*o = (struct trace_opts){.reading = (enum trace_reading)reading,
				 .values = (enum trace_values)val,
				 .gaps = (enum trace_gaps)gap,
				 .step = sim_to_s(step)};
	const struct ynode *s = yt_get(v, "series"), *z = yt_get(v, "timezone");
	if (s && !(o->series = ld_scalar(L, s, "series")))
		return -1;
	if (z) {
		const char *name = ld_scalar(L, z, "timezone");
		struct herr e;
		if (!name)
			return -1;
		if (tz_load(zone, NULL, name, &e))
			return yt_err(L->e, z, "timezone: %s", e.msg);
		*has_zone = true;
		o->zone = zone;
	}
	return 0;
}

/* from / offset / to, cut out of t. */
static int cut_window(struct ld *L, const struct ynode *v, const struct tz *zone, struct trace *t)
{
	double from = NAN, to = NAN;
	simtime offset = 0;
	const struct ynode *f = yt_get(v, "from"), *off = yt_get(v, "offset"), *e = yt_get(v, "to");
	if (f && off)
		return yt_err(L->e, off, "offset: give from or offset, not both");
	if (get_time(L, v, "from", zone, &from) || get_time(L, v, "to", zone, &to) ||
	    ld_get_dur(L, v, "offset", 0, 366 * 24 * SIM_HOUR, false, &offset))
		return -1;
	if (off)
		from = t->epoch + sim_to_s(offset);
	if (!f && !off && !e)
		return 0;
	char why[200], a[32], b[32];
	if (trace_window(t, from, to, why, sizeof why))
		return yt_err(L->e, off ? off : f ? f : e, "%s: %s (the trace runs from %s to %s)", off ? "offset" : f ? "from" : "to",
			      why, utc(t->epoch, a, sizeof a), utc(t->epoch + t->end, b, sizeof b));
	return 0;
}

/* What every run prints: the gaps filled, and a trace shorter than the run. */
static void tell(struct ld *L, const struct ynode *v, const struct trace_opts *o, const struct trace *t)
{
	static const char *const gaps[] = {"error", "hold", "zero", "interpolate"};
	const struct ynode *file = yt_get(v, "file");
	if (o->gaps != TRACE_GAPS_ERROR)
		ld_warn(L, yt_get(v, "gaps"), "%zu point%s filled in gaps (gaps: %s) in trace '%s' (%zu row%s, %zu series)",
			t->n_filled, t->n_filled == 1 ? "" : "s", gaps[o->gaps], file->s, t->n, t->n == 1 ? "" : "s",
			t->n_series);
	double run = sim_to_s(L->sc->duration);
	if (t->end < run - 1e-6) { /* not by rounding: 240e9 ns x 1e-9 is above 240 in doubles */
		char a[32];
		ld_warn(L, file,
			"trace '%s' lasts %.0f s from %s, the run %.0f s: its last rate (%g rps before scale) is held for "
			"the last %.0f s",
			file->s, t->end, utc(t->epoch, a, sizeof a), run, t->rps[t->n - 1], run - t->end);
	}
	/* Two clocks: the scenario's start: runs its cron and budget
	 * schedules, the trace its traffic. */
	if (L->sc->has_start && fabs((double)L->sc->start_unix - t->epoch) >= 1) {
		char a[32], b[32];
		ld_warn(L, file,
			"trace '%s' starts at %s (after its window), the scenario's start: is %s: cron and budget "
			"schedules run on start:'s clock, the traffic on the trace's",
			file->s, utc(t->epoch, a, sizeof a), utc((double)L->sc->start_unix, b, sizeof b));
	}
}

int ld_load_traffic_trace(struct ld *L, const struct ynode *v, struct trace *t)
{
	struct trace_opts o;
	struct tz zone;
	bool has_zone = false;
	const struct ynode *f = ld_need(L, v, "file", "a trace pattern");
	const char *name = f ? ld_scalar(L, f, "file") : NULL;
	if (!name || read_opts(L, v, &o, &zone, &has_zone))
		return -1;
	char *full = ld_path(L, f, "file", name);
	int rc = full ? 0 : -1;
	char why[160];
	if (!rc && file_ok(full, FILE_MAX_TRACE, why, sizeof why))
		rc = yt_err(L->e, f, "file: cannot read trace '%s' (%s): %s", name, full, why);
	if (!rc) {
		rc = trace_read_file(t, full, &o, L->e);
		if (rc == TRACE_NO_SERIES) {
			char msg[sizeof L->e->msg];
			snprintf(msg, sizeof msg, "%s", L->e->msg);
			rc = yt_err(L->e, yt_get(v, "series"), "series: %.900s", msg);
		}
	}
	if (!rc && (rc = cut_window(L, v, has_zone ? &zone : NULL, t)))
		trace_free(t);
	if (!rc)
		tell(L, v, &o, t);
	free(full);
	if (has_zone)
		tz_release(&zone);
	return rc;
}

double scn_epoch(const struct scenario *sc)
{
	for (size_t i = 0; i < sc->n_services; i++) {
		const struct scn_traffic *t = &sc->services[i].traffic;
		if (t->enabled && t->pattern.kind == PATTERN_TRACE)
			return t->pattern.trace.epoch;
	}
	return NAN;
}
