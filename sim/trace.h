/*
 * trace.h: reading a traffic trace as Prometheus and Grafana export it.
 *
 * Formats (told apart by the first byte that is not a space):
 * - a CSV (`{` absent): an optional header row (any first row whose first
 *   field is not a timestamp, e.g. `"Time","Value"`); fields optionally in
 *   double quotes, a quote inside written twice (`"{pod=""a""}"`, as
 *   Grafana writes series names); separator `,` (or `;`, or a tab, fixed by
 *   the first data row). Two layouts:
 *   wide: `Time,<series 1>,<series 2>,...`, one column per series (two
 *         columns is the plain `timestamp,rps`);
 *   long: a header `Series,Time,Value` (Grafana's long form), one row per
 *         series and time.
 * - Prometheus's HTTP API answer to /api/v1/query_range saved as JSON
 *   (`{"status":"success","data":{"resultType":"matrix","result":[...]}}`),
 *   read with libfyaml, so errors name the value's line and column.
 *
 * Times: Unix seconds (with a fraction), Unix milliseconds (values above
 * 1e11), or `YYYY-MM-DD HH:MM:SS` / `YYYY-MM-DDTHH:MM:SS[.fff]` followed by
 * `Z`, an offset (`+02:00`, `-0500`), or nothing: then in opts->zone (UTC
 * when NULL). Each series' times must strictly increase.
 *
 * Values: non-negative decimals; an empty cell, `null`, `NaN` (and a time
 * missing from a regular series) are gaps, handled by opts->gaps. A series
 * that starts later or ends earlier than the others adds nothing where it
 * has no points, as in Prometheus's sum(); gaps inside it are filled.
 *
 * The series kept (all, or those opts->series selects) are summed, and
 * their rows turned into the rate over time the generator replays, by
 * opts->reading:
 *   interval-end (default; Prometheus's rate(x[w]) at t is the mean over
 *     [t - w, t], Grafana shows it at t): row i is the rate over
 *     [t[i-1], t[i]], the first row over [t[0] - step, t[0]];
 *   interval-start (a count per minute labelled by the minute's start):
 *     row i over [t[i], t[i+1]], the last over [t[n-1], t[n-1] + step];
 *   point: the rate at t[i], linear between rows.
 * With opts->values = count, a row is a number of requests over its
 * interval (step for points), divided by its length.
 */
#ifndef HEADROOM_TRACE_H
#define HEADROOM_TRACE_H

#include "scn.h"
#include "tz.h"

enum trace_reading { TRACE_INTERVAL_END, TRACE_INTERVAL_START, TRACE_POINT };
enum trace_values { TRACE_RATE, TRACE_COUNT };
enum trace_gaps { TRACE_GAPS_ERROR, TRACE_GAPS_HOLD, TRACE_GAPS_ZERO, TRACE_GAPS_INTERPOLATE };

/* How to read a trace; all zeros is Prometheus's default reading of rates
 * with gaps refused. */
struct trace_opts {
	enum trace_reading reading;
	enum trace_values values;
	enum trace_gaps gaps;
	double step;            /* the rows' spacing, s; 0: the smallest spacing in the file */
	const char *series;     /* NULL: sum every series; a name (a CSV header, exactly), or label
	                         * matchers `k="v", ...` (every one must match): sum those chosen */
	const struct tz *zone;  /* the zone of times written without an offset; NULL: UTC */
};

/* trace_read returns this when opts->series chooses no series (e->msg has no location). */
#define TRACE_NO_SERIES (-2)

/* Reads text (len bytes; `name` in messages) into *out (caller frees with
 * trace_free), as opts says. Returns 0; -1 with e->msg "name:line:col: what
 * is wrong" (or "name: ..." when it concerns the whole file); or
 * TRACE_NO_SERIES. *out is untouched on failure. */
int trace_read(struct trace *out, const char *name, const char *text, size_t len, const struct trace_opts *o,
	       struct herr *e);
/* trace_read of the file at path (errors as trace_read; "path: cannot open ..."). */
int trace_read_file(struct trace *out, const char *path, const struct trace_opts *o, struct herr *e);

/* Rows read as points with gaps refused (the normal-day cost trace's reading). */
int trace_load(struct trace *out, const char *path, struct herr *e);
int trace_parse(struct trace *out, const char *name, const char *text, size_t len, struct herr *e);
void trace_free(struct trace *t);

/* trace_upper and trace_value are declared beside struct trace (sim/scn.h). */

/*
 * Cuts t to the absolute window [from, to] (Unix seconds; NAN leaves that
 * side open): what is before `from` goes and t = 0 becomes `from`, what is
 * after `to` goes. An interval cut in two keeps its rate; points gain one
 * interpolated at each cut. Returns 0, or -1 with why (why_n bytes) saying
 * what is wrong (the window misses the trace, is empty, or starts before
 * the trace).
 */
int trace_window(struct trace *t, double from, double to, char *why, size_t why_n);

/* Parses a time as a trace row writes it (times above) into Unix seconds.
 * Returns 0, or -1 when it is not one. */
int trace_parse_time(const char *s, const struct tz *zone, double *unix_s);

#endif
