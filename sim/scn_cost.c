/*
 * scn_cost.c: the scenario's `cost:` section (see scn.h struct scn_cost,
 * docs/cost.md and the cost section of scenarios/README.md).
 *
 *   cost:
 *     normal_day: {type: diurnal, amplitude: 40%, peak: "14:00"}
 *     # or {type: hourly, factors: [0.5, 0.4, ... 24 values]}
 *     # or {type: trace, file: day.csv, start: "00:00"}
 *     event_days: 2
 *     control_plane: 0.10     # USD per cluster-hour
 *     clusters: 1
 *     root_volume: 20Gi
 *     volume_price: 0.08      # USD per GB-month
 *     discount: 30%           # on on-demand instances only
 *
 * The normal day is kept as 24 hourly factors of the normal traffic: a
 * diurnal day as the mean of 1 + amplitude x cos(2 pi (clock - peak) / 24 h)
 * over each hour, so a day of factors averages exactly 1; a 24 h trace (a
 * CSV of timestamp,rps as traffic traces are) as each hour's mean rate over
 * the day's mean, so it too averages 1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_impl.h"
#include "trace.h"

#define MAX_FACTOR_DAY 1000.0 /* an hour's traffic at most this many times the normal */

/* The mean over [a, b) hours of 1 + amp cos(2 pi (t - peak) / 24). */
static double diurnal_mean(double amp, double peak_h, double a, double b)
{
	double w = 2 * M_PI / 24;
	return 1 + amp * (sin(w * (b - peak_h)) - sin(w * (a - peak_h))) / (w * (b - a));
}

/* A 24 h trace whose first row is at clock time start_s, into c->day. */
static int load_day_trace(struct ld *L, const struct ynode *v, double start_s, struct scn_cost *c)
{
	struct trace t = {0};
	if (ld_load_trace(L, v, "a trace normal_day", &t))
		return -1;
	const struct ynode *f = yt_get(v, "file");
	const char *name = f->s;
	int rc = 0;
	double span = t.t[t.n - 1];
	if (span < 23 * 3600 || span > 24 * 3600)
		rc = yt_err(L->e, f,
			    "file: the trace '%s' spans %.2f h; a normal day is 24 h (its rows from 23 h to 24 h apart, "
			    "first to last)",
			    name, span / 3600);
	/* Each hour's mean, from the rate at each minute's middle. */
	double sum = 0;
	for (int h = 0; !rc && h < SCN_HOURS; h++) {
		double m = 0;
		for (int k = 0; k < 60; k++) {
			double clock = h * 3600.0 + k * 60 + 30, s = fmod(clock - start_s + 86400, 86400);
			m += trace_value(&t, s);
		}
		c->day[h] = m / 60;
		sum += c->day[h];
	}
	if (!rc && !(sum > 0))
		rc = yt_err(L->e, f, "file: the trace '%s' is 0 all day: a normal day needs some traffic", name);
	for (int h = 0; !rc && h < SCN_HOURS; h++)
		c->day[h] *= SCN_HOURS / sum;
	trace_free(&t);
	return rc;
}

static int load_day(struct ld *L, const struct ynode *v, struct scn_cost *c)
{
	static const char *const types[] = {"hourly", "diurnal", "trace", NULL};
	static const char *const tkeys[] = {"type", "file", "start", NULL};
	static const char *const hkeys[] = {"type", "factors", NULL};
	static const char *const dkeys[] = {"type", "amplitude", "peak", NULL};
	int type = 0;
	if (ld_want_map(L, v, "normal_day") || !ld_need(L, v, "type", "normal_day") ||
	    ld_get_enum(L, v, "type", types, &type))
		return -1;
	c->has_day = true;
	if (type == 2) {
		double start = 0;
		if (ld_check_keys(L, v, tkeys, "a trace normal_day") ||
		    ld_get_num(L, v, "start", units_clock, 0, 86400, false, &start))
			return -1;
		return load_day_trace(L, v, start, c);
	}
	if (type == 1) {
		double amp = 0, peak = 12 * 3600;
		if (ld_check_keys(L, v, dkeys, "a diurnal normal_day") || !ld_need(L, v, "amplitude", "a diurnal normal_day") ||
		    ld_get_num(L, v, "amplitude", units_fraction, 0, 0.999, false, &amp) ||
		    ld_get_num(L, v, "peak", units_clock, 0, 86400, false, &peak))
			return -1;
		for (int h = 0; h < SCN_HOURS; h++)
			c->day[h] = diurnal_mean(amp, peak / 3600, h, h + 1);
		return 0;
	}
	const struct ynode *f;
	if (ld_check_keys(L, v, hkeys, "an hourly normal_day") || !(f = ld_need(L, v, "factors", "an hourly normal_day")) ||
	    ld_want_seq(L, f, "factors"))
		return -1;
	if (f->n != SCN_HOURS)
		return yt_err(L->e, f,
			      "factors: %zu values; a normal day has 24 hours, one factor each (the first for 00:00-01:00)",
			      f->n);
	for (size_t h = 0; h < SCN_HOURS; h++) {
		const char *s = ld_scalar(L, f->kid[h], "a factor");
		char why[UNITS_WHY];
		double x;
		if (!s)
			return -1;
		if (units_fraction(s, &x, why))
			return yt_err(L->e, f->kid[h], "factors: hour %zu: %s", h, why);
		if (!(x >= 0 && x <= MAX_FACTOR_DAY))
			return yt_err(L->e, f->kid[h], "factors: hour %zu: %s is out of range: it must be >= 0 and <= %g", h,
				      s, MAX_FACTOR_DAY);
		c->day[h] = x;
	}
	return 0;
}

int ld_load_cost(struct ld *L, const struct ynode *v)
{
	static const char *const keys[] = {"normal_day",  "event_days",	  "control_plane", "clusters",
					   "root_volume", "volume_price", "discount",	   NULL};
	struct scn_cost *c = &L->sc->cost;
	*c = (struct scn_cost){
		.control_plane = L->sc->cluster.enabled ? 0.10 : 0,
		.clusters = 1,
		.root_volume_gib = 20,
		.volume_price = 0.08,
	};
	for (int h = 0; h < SCN_HOURS; h++)
		c->day[h] = 1;
	if (!v)
		return 0;
	int64_t clusters = 1;
	double root = 20.0 * 1024 * 1024 * 1024;
	const struct ynode *d;
	if (ld_want_map(L, v, "cost") || ld_check_keys(L, v, keys, "cost") ||
	    ((d = yt_get(v, "normal_day")) && load_day(L, d, c)) ||
	    ld_get_num(L, v, "event_days", units_number, 0, 31, false, &c->event_days) ||
	    ld_get_num(L, v, "control_plane", units_number, 0, 1000, false, &c->control_plane) ||
	    ld_get_int(L, v, "clusters", 0, 1000, &clusters) ||
	    ld_get_num(L, v, "root_volume", units_memory, 0, 64.0 * 1024 * 1024 * 1024 * 1024, false, &root) ||
	    ld_get_num(L, v, "volume_price", units_number, 0, 1000, false, &c->volume_price))
		return -1;
	c->clusters = (int)clusters;
	c->root_volume_gib = root / (1024.0 * 1024 * 1024);
	if ((d = yt_get(v, "discount"))) {
		const char *s = ld_scalar(L, d, "discount");
		char why[UNITS_WHY];
		double x;
		if (!s)
			return -1;
		if (units_fraction(s, &x, why))
			return yt_err(L->e, d, "discount: %s", why);
		if (!(x >= 0 && x <= 1))
			return yt_err(L->e, d,
				      "discount: %s is out of range: a commitment discount is 0 to 100%% of the on-demand price",
				      s);
		c->discount = x;
	}
	return 0;
}
