/*
 * Traces as users have them (sim/trace.h): how a row's value relates to
 * time, checked by replaying it; every export form read to the same rates;
 * gaps under each policy; windows; and the errors of bad input.
 *
 * The replay tests are statistical with fixed seeds. Per-interval arrival
 * counts of a Poisson process are independent Poisson variables, so
 * Pearson's statistic over the k intervals whose rate is not 0 is close to
 * chi-square with k degrees of freedom (every mean here is >= 5,400, where
 * the approximation is excellent); the bound is its 99.9 % quantile
 * (gsl_cdf_chisq_Pinv). An interval of rate 0 must get exactly 0 arrivals.
 */
#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"
#include "trace.h"
#include "traffic.h"

static int rd(struct trace *t, const char *text, const struct trace_opts *o, struct herr *e)
{
	return trace_read(t, "x", text, strlen(text), o, e);
}

static void expect_trace(const struct trace *t, const double *at, const double *rps, size_t n, double end,
			 double epoch)
{
	cr_assert_eq(t->n, n, "rows: got %zu, want %zu", t->n, n);
	for (size_t i = 0; i < n; i++) {
		cr_expect(fabs(t->t[i] - at[i]) < 1e-6, "row %zu: t %.9g, want %.9g", i, t->t[i], at[i]);
		cr_expect(fabs(t->rps[i] - rps[i]) < 1e-9, "row %zu: rps %.12g, want %.12g", i, t->rps[i], rps[i]);
	}
	cr_expect(fabs(t->end - end) < 1e-6, "end %.9g, want %.9g", t->end, end);
	cr_expect(fabs(t->epoch - epoch) < 1e-6, "epoch %.9f, want %.9f", t->epoch, epoch);
}

static void expect_fail(const char *text, const struct trace_opts *o, const char *msg)
{
	struct trace t = {0};
	struct herr e = {{0}};
	cr_assert_eq(rd(&t, text, o, &e), -1, "accepted: %s", text);
	cr_expect_str_eq(e.msg, msg);
	cr_expect_null(t.t);
}

/* --- replay: a jump and a zero interval, as the NASA trace has them --- */

#define T0 1700000040 /* a whole minute */
#define N_ROWS 10
/* Requests per second over each minute; rows 4 to 6 an outage. */
static const double rows[N_ROWS] = {150, 150, 550, 550, 0, 0, 0, 90, 90, 300};

static char *minute_csv(void)
{
	char *s = xmalloc(64 * N_ROWS + 32), *w = s;
	w += sprintf(w, "Time,Value\n");
	for (int i = 0; i < N_ROWS; i++)
		w += sprintf(w, "%d,%g\n", T0 + 60 * i, rows[i]);
	return s;
}

/* Arrivals of the trace (read from the CSV as o says) in each minute of
 * the simulation after `skip` minutes. */
static void replay(const struct trace_opts *o, uint64_t seed, int skip, double *counts, size_t nb)
{
	char *csv = minute_csv();
	struct scn_traffic c = {.enabled = true, .rate = 1, .pattern.kind = PATTERN_TRACE};
	struct herr e = {{0}};
	cr_assert_eq(rd(&c.pattern.trace, csv, o, &e), 0, "%s", e.msg);
	free(csv);
	traffic *tr = traffic_new(&c, seed, 0);
	simtime w = 60 * SIM_S, from = skip * w, end = from + w * (simtime)nb, t = 0, next;
	memset(counts, 0, nb * sizeof *counts);
	for (; (next = traffic_next(tr, t)) < end; t = next)
		if (next >= from)
			counts[(next - from) / w]++;
	traffic_free(tr);
	trace_free(&c.pattern.trace);
}

/* Pearson's statistic over the minutes whose rows are not 0 (their number
 * in *df); INFINITY when a zero minute got an arrival. */
static double pearson(const double *obs, const double *rate, size_t n, int *df)
{
	double x = 0;
	*df = 0;
	for (size_t i = 0; i < n; i++) {
		double want = rate[i] * 60;
		if (want == 0) {
			if (obs[i] != 0)
				return INFINITY;
			continue;
		}
		x += (obs[i] - want) * (obs[i] - want) / want;
		++*df;
	}
	return x;
}

static void expect_fits(const struct trace_opts *o, uint64_t seed)
{
	double counts[N_ROWS];
	int df;
	replay(o, seed, 0, counts, N_ROWS);
	double x = pearson(counts, rows, N_ROWS, &df), q = gsl_cdf_chisq_Pinv(0.999, df);
	cr_expect(x < q, "reading %d: Pearson %.2f >= chi-square(%d) 99.9 %% quantile %.2f", o->reading, x, df, q);
	for (int i = 4; i <= 6; i++)
		cr_expect_eq(counts[i], 0, "reading %d: %g arrivals in the outage's minute %d", o->reading, counts[i], i);
}

Test(trace_read, intervals_replay_to_their_rows)
{
	/* interval-end: row i is [t_i - 60 s, t_i], so minute i of the run;
	 * interval-start: row i is [t_i, t_i + 60 s], minute i too. */
	struct trace_opts end = {.reading = TRACE_INTERVAL_END}, start = {.reading = TRACE_INTERVAL_START};
	for (uint64_t seed = 1; seed <= 3; seed++) {
		expect_fits(&end, seed);
		expect_fits(&start, seed);
	}
}

Test(trace_read, points_fail_the_same_test)
{
	/* Read as points, row i is the rate at t_i and the minute before it
	 * ramps from row i - 1: the outage's first minute gets arrivals, the
	 * jump comes 30 s early. Minute i - 1 of this run is row i's interval
	 * (interval-end, the truth of a Prometheus export). */
	struct trace_opts pt = {.reading = TRACE_POINT};
	double counts[N_ROWS - 1];
	int df;
	replay(&pt, 1, 0, counts, N_ROWS - 1);
	double x = pearson(counts, rows + 1, N_ROWS - 1, &df);
	cr_expect(x >= gsl_cdf_chisq_Pinv(0.999, df), "points passed: Pearson %.2f", x);
	cr_expect_gt(counts[3], 1000, "the outage's first minute, read as points, got %g", counts[3]);
}

Test(trace_read, counts_per_interval)
{
	/* Counts per minute labelled by the minute's start (as a web server
	 * log aggregated per minute): rates are count / 60. */
	struct trace_opts o = {.reading = TRACE_INTERVAL_START, .values = TRACE_COUNT};
	struct trace t = {0};
	struct herr e = {{0}};
	cr_assert_eq(rd(&t, "minute,hits\n2024-01-15 10:00:00,9100\n2024-01-15 10:01:00,33000\n"
			    "2024-01-15 10:02:00,0\n",
			&o, &e),
		     0, "%s", e.msg);
	double at[] = {0, 60, 120}, r[] = {9100 / 60.0, 33000 / 60.0, 0};
	expect_trace(&t, at, r, 3, 180, 1705312800);
	cr_expect(t.step);
	trace_free(&t);
}

/* --- the export forms --- */

/*
 * The same two series (web-1: 1, 2, 3 rps; web-2: 10, 20, 30 rps at
 * 2024-01-15 10:00, 10:01, 10:02 UTC) as each tool writes them. Summed and
 * read as interval-end rates: 11, 22, 33 over the minutes from 09:59.
 */
static const char *const forms[] = {
	/* Grafana wide, headers with doubled quotes, Unix milliseconds */
	"\"Time\",\"{pod=\"\"web-1\"\"}\",\"{pod=\"\"web-2\"\"}\"\n"
	"1705312800000,1,10\n1705312860000,2,20\n1705312920000,3,30\n",
	/* Grafana wide, local times with an offset (+02:00) */
	"Time;rate{pod=\"web-1\"};rate{pod=\"web-2\"}\n"
	"2024-01-15 12:00:00+02:00;1;10\n2024-01-15 12:01:00+02:00;2;20\n2024-01-15T12:02:00+0200;3;30\n",
	/* Grafana long: Series,Time,Value */
	"\"Series\",\"Time\",\"Value\"\n"
	"\"{pod=\"\"web-1\"\"}\",\"2024-01-15 10:00:00\",1\n\"{pod=\"\"web-2\"\"}\",\"2024-01-15 10:00:00\",10\n"
	"\"{pod=\"\"web-1\"\"}\",\"2024-01-15 10:01:00\",2\n\"{pod=\"\"web-2\"\"}\",\"2024-01-15 10:01:00\",20\n"
	"\"{pod=\"\"web-1\"\"}\",\"2024-01-15 10:02:00\",3\n\"{pod=\"\"web-2\"\"}\",\"2024-01-15 10:02:00\",30\n",
	/* Prometheus query_range JSON, values as strings */
	"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[\n"
	"  {\"metric\":{\"pod\":\"web-1\",\"job\":\"w\"},\"values\":[[1705312800,\"1\"],[1705312860,\"2\"],[1705312920,\"3\"]]},\n"
	"  {\"metric\":{\"pod\":\"web-2\",\"job\":\"w\"},\"values\":[[1705312800,\"10\"],[1705312860.000,\"20\"],[1705312920,\"30\"]]}\n"
	"]}}\n",
	/* the plain form, already summed, with a Z */
	"timestamp,rps\n2024-01-15T10:00:00Z,11\n2024-01-15T10:01:00Z,22\n2024-01-15T10:02:00Z,33\n",
};

Test(trace_read, every_form_reads_to_the_same_rates)
{
	double at[] = {0, 60, 120}, r[] = {11, 22, 33};
	for (size_t i = 0; i < ARRAY_LEN(forms); i++) {
		struct trace t = {0};
		struct herr e = {{0}};
		struct trace_opts o = {0};
		cr_assert_eq(rd(&t, forms[i], &o, &e), 0, "form %zu: %s", i, e.msg);
		expect_trace(&t, at, r, 3, 180, 1705312800 - 60);
		cr_expect_eq(t.n_series, i == 4 ? 1 : 2, "form %zu", i);
		cr_expect_eq(t.n_filled, 0);
		trace_free(&t);
	}
}

Test(trace_read, one_series_chosen)
{
	double at[] = {0, 60, 120}, r1[] = {1, 2, 3}, r2[] = {10, 20, 30};
	for (size_t i = 0; i < 4; i++) {
		struct trace t = {0};
		struct herr e = {{0}};
		struct trace_opts o = {.series = "pod=\"web-2\""};
		cr_assert_eq(rd(&t, forms[i], &o, &e), 0, "form %zu: %s", i, e.msg);
		expect_trace(&t, at, r2, 3, 180, 1705312740);
		trace_free(&t);
		o.series = "{job=\"w\", pod=\"web-1\"}";
		if (i == 3) { /* only the JSON has job */
			cr_assert_eq(rd(&t, forms[i], &o, &e), 0, "%s", e.msg);
			expect_trace(&t, at, r1, 3, 180, 1705312740);
			trace_free(&t);
		}
	}
	/* By a CSV header exactly. */
	struct trace t = {0};
	struct herr e = {{0}};
	struct trace_opts o = {.series = "rate{pod=\"web-1\"}"};
	cr_assert_eq(rd(&t, forms[1], &o, &e), 0, "%s", e.msg);
	expect_trace(&t, at, r1, 3, 180, 1705312740);
	trace_free(&t);
	/* __name__ is the metric's name. */
	const char *named = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
			    "{\"metric\":{\"__name__\":\"up\",\"pod\":\"a\"},\"values\":[[1705312800,\"1\"]]},"
			    "{\"metric\":{\"__name__\":\"down\",\"pod\":\"a\"},\"values\":[[1705312800,\"7\"]]}]}}";
	struct trace_opts on = {.series = "__name__=\"down\", pod=\"a\"", .step = 60};
	cr_assert_eq(rd(&t, named, &on, &e), 0, "%s", e.msg);
	double at0[] = {0}, r7[] = {7};
	expect_trace(&t, at0, r7, 1, 60, 1705312740);
	trace_free(&t);
	/* A label value that is a prefix of another does not match it. */
	o.series = "pod=\"web\"";
	cr_expect_eq(rd(&t, forms[3], &o, &e), TRACE_NO_SERIES);
	cr_expect_str_eq(e.msg, "no series matches 'pod=\"web\"' (the file has 2: {pod=\"web-1\", job=\"w\"}; "
				"{pod=\"web-2\", job=\"w\"})");
}

Test(trace_read, local_times_in_a_zone)
{
	/* Grafana's default export writes the browser's local time. */
	struct tz z;
	struct herr e = {{0}};
	cr_assert_eq(tz_load(&z, NULL, "Europe/Berlin", &e), 0, "%s", e.msg);
	struct trace_opts o = {.zone = &z};
	struct trace t = {0};
	cr_assert_eq(rd(&t, "Time,v\n2024-01-15 11:00:00,11\n2024-01-15 11:01:00,22\n2024-01-15 11:02:00,33\n", &o,
			&e),
		     0, "%s", e.msg);
	double at[] = {0, 60, 120}, r[] = {11, 22, 33};
	expect_trace(&t, at, r, 3, 180, 1705312740); /* CET is UTC+1 in January */
	trace_free(&t);
	tz_release(&z);
}

/* --- gaps --- */

/* One series every 60 s with a row missing (10:02) and a NaN (10:04). */
static const char gappy[] = "Time,Value\n"
			    "2024-01-15 10:00:00,10\n2024-01-15 10:01:00,10\n2024-01-15 10:03:00,30\n"
			    "2024-01-15 10:04:00,NaN\n2024-01-15 10:05:00,50\n";

static void expect_gaps(enum trace_gaps g, const double *want)
{
	struct trace_opts o = {.gaps = g};
	struct trace t = {0};
	struct herr e = {{0}};
	cr_assert_eq(rd(&t, gappy, &o, &e), 0, "%s", e.msg);
	double at[] = {0, 60, 120, 180, 240, 300};
	expect_trace(&t, at, want, 6, 360, 1705312740);
	cr_expect_eq(t.n_filled, 2);
	trace_free(&t);
}

Test(trace_read, gaps_under_each_policy)
{
	double hold[] = {10, 10, 10, 30, 30, 50}, zero[] = {10, 10, 0, 30, 0, 50}, lin[] = {10, 10, 20, 30, 40, 50};
	expect_gaps(TRACE_GAPS_HOLD, hold);
	expect_gaps(TRACE_GAPS_ZERO, zero);
	expect_gaps(TRACE_GAPS_INTERPOLATE, lin);
	struct trace_opts o = {0};
	expect_fail(gappy, &o,
		    "x:4:21: 1 row missing before this one in series \"Value\" (the rows are 60 s apart): a gap; say "
		    "how to fill gaps with gaps: hold, zero or interpolate");
	const char nan_only[] = "Time,Value\n1700000000,1\n1700000060,null\n1700000120,3\n";
	expect_fail(nan_only, &o,
		    "x:3:12: a gap (no value) in series \"Value\"; say how to fill gaps with gaps: hold, zero or "
		    "interpolate");
	/* An empty cell is a gap too; trailing gaps only end the trace. */
	o.gaps = TRACE_GAPS_HOLD;
	struct trace t = {0};
	struct herr e = {{0}};
	cr_assert_eq(rd(&t, "1700000000,1\n1700000060,\n1700000120,3\n1700000180,\n", &o, &e), 0, "%s", e.msg);
	double at[] = {0, 60, 120}, r[] = {1, 1, 3};
	expect_trace(&t, at, r, 3, 180, 1699999940);
	cr_expect_eq(t.n_filled, 1);
	trace_free(&t);
}

Test(trace_read, a_series_missing_a_sample_among_others)
{
	/* Long form: web-2 has no 10:01 sample; web-3 starts at 10:01 (it
	 * adds nothing before, as in Prometheus's sum). */
	const char *csv = "Series,Time,Value\n"
			  "a,2024-01-15 10:00:00,1\nb,2024-01-15 10:00:00,10\n"
			  "a,2024-01-15 10:01:00,2\nc,2024-01-15 10:01:00,100\n"
			  "a,2024-01-15 10:02:00,3\nb,2024-01-15 10:02:00,30\nc,2024-01-15 10:02:00,100\n";
	struct trace_opts o = {.gaps = TRACE_GAPS_INTERPOLATE};
	struct trace t = {0};
	struct herr e = {{0}};
	cr_assert_eq(rd(&t, csv, &o, &e), 0, "%s", e.msg);
	double at[] = {0, 60, 120}, r[] = {11, 122, 133};
	expect_trace(&t, at, r, 3, 180, 1705312740);
	cr_expect_eq(t.n_filled, 1);
	cr_expect_eq(t.n_series, 3);
	trace_free(&t);
	o.gaps = TRACE_GAPS_ERROR;
	expect_fail(csv, &o,
		    "x:7:23: 1 row missing before this one in series \"b\" (the rows are 60 s apart): a gap; say how "
		    "to fill gaps with gaps: hold, zero or interpolate");
}

/* --- windows --- */

Test(trace_read, window_cut_at_an_offset)
{
	struct trace_opts o = {0};
	struct trace t = {0};
	struct herr e = {{0}};
	/* interval-end: [0, 60) 11, [60, 120) 22, [120, 180) 33 */
	cr_assert_eq(rd(&t, forms[4], &o, &e), 0, "%s", e.msg);
	char why[200];
	cr_assert_eq(trace_window(&t, t.epoch + 90, NAN, why, sizeof why), 0, "%s", why);
	double at[] = {0, 30}, r[] = {22, 33};
	expect_trace(&t, at, r, 2, 90, 1705312740 + 90);
	/* and its end */
	cr_assert_eq(trace_window(&t, NAN, t.epoch + 45, why, sizeof why), 0, "%s", why);
	expect_trace(&t, at, r, 2, 45, 1705312740 + 90);
	/* outside */
	cr_expect_eq(trace_window(&t, t.epoch + 45, NAN, why, sizeof why), -1);
	cr_expect_str_eq(why, "the window (45.000 s to 45.000 s after the trace's start) misses the trace, which lasts "
			      "45.000 s");
	cr_expect_eq(trace_window(&t, t.epoch - 100, t.epoch - 10, why, sizeof why), -1);
	/* A window starting before the trace: t = 0 would not be `from` (the
	 * run would start at the trace's start instead, silently): refused,
	 * and t is left as it was. */
	cr_expect_eq(trace_window(&t, t.epoch - 30, NAN, why, sizeof why), -1);
	cr_expect_str_eq(why, "the window starts 30.000 s before the trace does (its first interval): the run's t = 0 "
			      "would not be the window's start");
	expect_trace(&t, at, r, 2, 45, 1705312740 + 90);
	trace_free(&t);

	/* Points gain a point at each cut, interpolated. */
	o.reading = TRACE_POINT;
	cr_assert_eq(rd(&t, forms[4], &o, &e), 0, "%s", e.msg);
	cr_assert_eq(trace_window(&t, t.epoch + 30, t.epoch + 90, why, sizeof why), 0, "%s", why);
	double pat[] = {0, 30, 60}, pr[] = {16.5, 22, 27.5};
	expect_trace(&t, pat, pr, 3, 60, 1705312800 + 30);
	trace_free(&t);
}

/* --- bad input --- */

Test(trace_read, json_that_is_not_a_query_result)
{
	struct trace_opts o = {0};
	expect_fail("{\"foo\": 1}\n", &o, "x:1:1: not a Prometheus query_range result: no \"status\" here (\"success\")");
	expect_fail("{\"status\":\"success\",\n \"data\":{\"resultType\":\"vector\",\"result\":[]}}\n", &o,
		    "x:2:24: resultType \"vector\": a trace is a range query's \"matrix\" (save /api/v1/query_range)");
	expect_fail("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}", &o,
		    "x:1:12: the query failed (status \"error\"): parse error");
	expect_fail("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[\n"
		    "{\"metric\":{},\"values\":[[1700000000,\"1\"],\n[1700000000,\"2\"]]}]}}",
		    &o, "x:3:2: time 1700000000 is not after the time on line 2");
	expect_fail("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[\n"
		    "{\"metric\":{},\"values\":[[1700000000,\"+Inf\"]]}]}}",
		    &o, "x:2:37: bad value \"+Inf\": must be a finite number");
	expect_fail("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[\n"
		    "{\"metric\":{},\"values\":[1700000000,\"1\"]}]}}",
		    &o, "x:2:24: not a Prometheus query_range result: a point is [time, \"value\"]");
	/* a JSON array (a saved "result" list, say) is JSON too, not a CSV */
	expect_fail("[{\"metric\":{},\"values\":[[1700000000,\"1\"]]}]\n", &o,
		    "x:1:1: not a Prometheus query_range result (an object with \"status\" and \"data\")");
	/* A label's value is a string: a nested one (or a nested __name__)
	 * crashed the naming of the series. */
	expect_fail("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[\n"
		    "{\"metric\":{\"pod\":{\"x\":1}},\"values\":[[1700000000,\"1\"]]}]}}",
		    &o, "x:2:18: not a Prometheus query_range result: label \"pod\" should be a string");
	expect_fail("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[\n"
		    "{\"metric\":{\"__name__\":[1]},\"values\":[[1700000000,\"1\"]]}]}}",
		    &o, "x:2:23: not a Prometheus query_range result: label \"__name__\" should be a string");
}

Test(trace_read, a_time_far_off_is_not_millions_of_gaps)
{
	/* 17000 for 1700000000: 54 years of 60 s rows to fill */
	struct trace_opts o = {.gaps = TRACE_GAPS_ZERO};
	expect_fail("17000,1\n1700000000,1\n1700000060,1\n", &o,
		    "x: the rows are 60 s apart, so the times leave more than 20000000 rows to fill in: is a time wrong, "
		    "or the step (give step)?");
}

Test(trace_read, one_row_needs_a_step)
{
	struct trace_opts o = {0};
	expect_fail("1700000000,5\n", &o, "x: one row: the length of its interval is unknown; give step");
	o.step = 60;
	struct trace t = {0};
	struct herr e = {{0}};
	cr_assert_eq(rd(&t, "1700000000,5\n", &o, &e), 0, "%s", e.msg);
	double at[] = {0}, r[] = {5};
	expect_trace(&t, at, r, 1, 60, 1699999940);
	trace_free(&t);
}

/* --- in a scenario --- */

static char dir[64];

static const char *put(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void mk(void)
{
	strcpy(dir, "/tmp/hr-trace-XXXXXX");
	cr_assert(mkdtemp(dir));
	put("t.csv", gappy);
}

static void rm(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

#define SCN_HEAD                                                                                                   \
	"name: t\nduration: 10m\nservices:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 500m}}\n"     \
	"    cpu_per_request: 1ms\n    traffic:\n      pattern:\n        type: trace\n        file: t.csv\n"

static int load_scn(struct scenario *sc, const char *keys, struct herr *e)
{
	char text[2048];
	snprintf(text, sizeof text, SCN_HEAD "%s", keys);
	return scn_load(sc, put("s.yaml", text), NULL, 0, e);
}

Test(trace_read, scenario_keys, .init = mk, .fini = rm)
{
	struct scenario sc;
	struct herr e = {{0}};
	cr_assert_eq(load_scn(&sc, "        gaps: interpolate\n        offset: 2m\n        values: count\n"
				   "        reading: interval-start\n",
			      &e),
		     0, "%s", e.msg);
	const struct trace *t = &sc.services[0].traffic.pattern.trace;
	/* intervals from 10:00 (start), cut at 10:02: 20 (filled), 30, 40 (filled), 50 a minute */
	double at[] = {0, 60, 120, 180}, r[] = {20 / 60.0, 0.5, 40 / 60.0, 50 / 60.0};
	expect_trace(t, at, r, 4, 240, 1705312800 + 120);
	cr_assert_eq(sc.n_warnings, 2);
	char want[512];
	snprintf(want, sizeof want, "%s/s.yaml:12:15: warning: 2 points filled in gaps (gaps: interpolate) in trace "
				    "'t.csv' (4 rows, 1 series)", dir);
	cr_expect_str_eq(sc.warnings[0], want);
	snprintf(want, sizeof want, "%s/s.yaml:11:15: warning: trace 't.csv' lasts 240 s from 2024-01-15T10:02:00Z, "
				    "the run 600 s: its last rate (0.833333 rps before scale) is held for the last 360 s", dir);
	cr_expect_str_eq(sc.warnings[1], want);
	scn_free(&sc);
}

Test(trace_read, scenario_errors, .init = mk, .fini = rm)
{
	static const struct {
		const char *keys, *msg;
	} cases[] = {
		{"", "t.csv:4:21: 1 row missing before this one"},
		{"        gaps: hold\n        from: \"2024-01-15 12:00:00+02:00\"\n        to: 2024-01-15T09:00:00Z\n",
		 "s.yaml:13:16: from: the window (60.000 s to -3540.000 s after the trace's start) misses the trace"},
		{"        gaps: hold\n        offset: 1h\n", "s.yaml:13:17: offset: the window (3600.000 s to 360.000 s"},
		{"        gaps: hold\n        from: yesterday\n", "s.yaml:13:15: from: 'yesterday' is not a time"},
		{"        gaps: hold\n        series: 'pod=\"x\"'\n", "s.yaml:13:18: series: no series matches 'pod=\"x\"'"},
		{"        gaps: fill\n", "s.yaml:12:15: gaps: 'fill' is not one of error, hold, zero, interpolate"},
		{"        reading: interval\n", "s.yaml:12:18: reading: 'interval' is not one of interval-end, "
					       "interval-start, point"},
		{"        timezone: Mars/Olympus\n", "s.yaml:12:19: timezone: "},
		{"        gaps: hold\n        offset: 1m\n        from: 1705312800\n", "s.yaml:13:17: offset: give from "
										"or offset, not both"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct scenario sc;
		struct herr e = {{0}};
		cr_expect_eq(load_scn(&sc, cases[i].keys, &e), -1, "case %zu accepted", i);
		cr_expect(strstr(e.msg, cases[i].msg), "case %zu: %s\nwant: %s", i, e.msg, cases[i].msg);
	}
}

/* A trace exactly as long as the run (four rows a minute apart, each the
 * minute before it: 240 s) is not shorter than it: no warning. The run's
 * 240 s and the trace's must compare in the same unit (240e9 ns x 1e-9 is
 * 240.00000000000003 in doubles). One second more of run and it warns. */
Test(trace_read, a_trace_as_long_as_the_run_does_not_warn, .init = mk, .fini = rm)
{
	char csv[512] = "time,rps\n";
	for (int i = 1; i <= 4; i++)
		snprintf(csv + strlen(csv), sizeof csv - strlen(csv), "%d,%d\n", 1705312800 + 60 * i, i);
	put("t.csv", csv);
	struct scenario sc;
	struct herr e = {{0}};
	cr_assert_eq(scn_load(&sc, put("s.yaml", "name: t\nduration: 4m\nservices:\n  a:\n    replicas: 1\n"
					      "    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 1ms\n"
					      "    traffic:\n      pattern: {type: trace, file: t.csv}\n"),
			      NULL, 0, &e), 0, "%s", e.msg);
	cr_expect_float_eq(sc.services[0].traffic.pattern.trace.end, 240, 1e-9);
	cr_expect_eq(sc.n_warnings, 0, "%s", sc.n_warnings ? sc.warnings[0] : "");
	scn_free(&sc);
	cr_assert_eq(scn_load(&sc, put("s.yaml", "name: t\nduration: 241s\nservices:\n  a:\n    replicas: 1\n"
					      "    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 1ms\n"
					      "    traffic:\n      pattern: {type: trace, file: t.csv}\n"),
			      NULL, 0, &e),
		     0, "%s", e.msg);
	cr_expect_eq(sc.n_warnings, 1);
	cr_expect(sc.n_warnings && strstr(sc.warnings[0], "is held for the last 1 s"), "%s",
		  sc.n_warnings ? sc.warnings[0] : "");
	scn_free(&sc);
}

/* The scenario's start: and the trace's own time are two clocks (cron and
 * budget schedules on the first, traffic on the second): a warning when
 * they differ, none when start: is the trace's start. */
Test(trace_read, start_and_the_trace_clock, .init = mk, .fini = rm)
{
	put("t.csv", "time,rps\n2024-01-15T10:01:00Z,1\n2024-01-15T10:02:00Z,2\n");
	static const char *const starts[] = {"2024-01-15T10:00:00Z", "2024-01-15T09:00:00Z"};
	for (int i = 0; i < 2; i++) {
		char yaml[512];
		snprintf(yaml, sizeof yaml,
			 "name: t\nduration: 2m\nstart: %s\nservices:\n  a:\n    replicas: 1\n"
			 "    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 1ms\n"
			 "    traffic:\n      pattern: {type: trace, file: t.csv}\n",
			 starts[i]);
		struct scenario sc;
		struct herr e = {{0}};
		cr_assert_eq(scn_load(&sc, put("s.yaml", yaml), NULL, 0, &e), 0, "%s", e.msg);
		cr_expect_eq(sc.n_warnings, (size_t)i, "start %s: %zu warnings", starts[i], sc.n_warnings);
		if (i && sc.n_warnings)
			cr_expect(strstr(sc.warnings[0], "s.yaml:10:36: warning: trace 't.csv' starts at 2024-01-15T10:00:00Z "
							 "(after its window), the scenario's start: is 2024-01-15T09:00:00Z"),
				  "%s", sc.warnings[0]);
		scn_free(&sc);
	}
}

/* Grafana's wide CSV with one column per pod, more pods than the series
 * table's first allocation (16): each column's rows must land in its own
 * series, summed. 40 pods, pod k at k rps: 820 rps in each minute; with a
 * header and without one. (The columns were kept as pointers into the
 * table, which moved as it grew: freed memory written, and a crash at
 * 5,000 columns.) */
Test(trace_read, many_series_columns)
{
	enum { PODS = 40 };
	for (int header = 0; header < 2; header++) {
		char *csv = xmalloc(64 * PODS * 4), *w = csv;
		if (header) {
			w += sprintf(w, "Time");
			for (int k = 1; k <= PODS; k++)
				w += sprintf(w, ",\"pod-%d\"", k);
			w += sprintf(w, "\n");
		}
		for (int row = 1; row <= 3; row++) {
			w += sprintf(w, "%d", 1700000000 + 60 * row);
			for (int k = 1; k <= PODS; k++)
				w += sprintf(w, ",%d", k);
			w += sprintf(w, "\n");
		}
		struct trace_opts o = {0};
		struct trace t = {0};
		struct herr e = {{0}};
		cr_assert_eq(rd(&t, csv, &o, &e), 0, "%s", e.msg);
		free(csv);
		cr_expect_eq(t.n_series, PODS);
		double at[] = {0, 60, 120}, r[] = {820, 820, 820};
		expect_trace(&t, at, r, 3, 180, 1700000000);
		trace_free(&t);
	}
}
