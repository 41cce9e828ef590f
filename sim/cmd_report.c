/*
 * cmd_report.c: `headroom report`, one page about a run for a design
 * review: results per service, the charts, the assumptions read from the
 * scenario, how to reproduce the run, and the scenario itself.
 *
 * The page is HTML (self-contained: styles and SVG charts inline) or
 * Markdown (PNG charts written beside it). Both are written through the
 * small `doc` layer below, which escapes every text for the format; the
 * inlined SVG comes from gnuplot, which escapes the text it draws. The page
 * goes to a temporary file renamed into place, so a failure leaves the old
 * page, or none.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "plot.h"
#include "plot_clusters.h"

/* ---- Writing HTML or Markdown --------------------------------------------- */

struct doc {
	FILE *f;
	bool md;
};

/* Text, escaped for the format (in Markdown, also for a table cell). */
static void esc(struct doc *d, const char *s)
{
	for (; *s; s++) {
		char c = *s;
		if (!d->md && (c == '&' || c == '<' || c == '>' || c == '"' || c == '\'')) {
			fputs(c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&quot;" : "&#39;",
			      d->f);
		} else if (d->md && strchr("\\`*_[]<>|#~", c)) {
			fputc('\\', d->f);
			fputc(c, d->f);
		} else {
			fputc(d->md && (c == '\n' || c == '\r') ? ' ' : c, d->f);
		}
	}
}

static void escf(struct doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void escf(struct doc *d, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	esc(d, buf);
}

static void heading(struct doc *d, int level, const char *text)
{
	if (d->md) {
		fprintf(d->f, "\n%.*s ", level, "####");
		esc(d, text);
		fputs("\n\n", d->f);
	} else {
		fprintf(d->f, "<h%d>", level);
		esc(d, text);
		fprintf(d->f, "</h%d>\n", level);
	}
}

static void para_begin(struct doc *d) { fputs(d->md ? "" : "<p>", d->f); }
static void para_end(struct doc *d) { fputs(d->md ? "\n\n" : "</p>\n", d->f); }

static void para(struct doc *d, const char *text)
{
	para_begin(d);
	esc(d, text);
	para_end(d);
}

static void table_begin(struct doc *d) { fputs(d->md ? "" : "<div class=\"t\"><table>\n", d->f); }
static void table_end(struct doc *d) { fputs(d->md ? "\n" : "</table></div>\n", d->f); }

/* A row; a header row in Markdown is followed by its rule. numeric[i]
 * aligns cell i right (NULL: none). */
static void table_row(struct doc *d, const char *const *cells, size_t n, bool header, const bool *numeric)
{
	fputs(d->md ? "|" : "<tr>", d->f);
	for (size_t i = 0; i < n; i++) {
		if (d->md) {
			fputc(' ', d->f);
			esc(d, cells[i]);
			fputs(" |", d->f);
		} else {
			fprintf(d->f, "<%s%s>", header ? "th" : "td", numeric && numeric[i] ? " class=\"n\"" : "");
			esc(d, cells[i]);
			fprintf(d->f, "</%s>", header ? "th" : "td");
		}
	}
	fputs(d->md ? "\n" : "</tr>\n", d->f);
	if (d->md && header) {
		fputc('|', d->f);
		for (size_t i = 0; i < n; i++)
			fputs(numeric && numeric[i] ? "---:|" : "---|", d->f);
		fputc('\n', d->f);
	}
}

/* A two-column table of what and its value: its header, for Markdown's sake. */
static void kv_begin(struct doc *d)
{
	static const char *const head[] = {"what", "assumed"};
	table_begin(d);
	table_row(d, head, 2, true, NULL);
}

/* A two-column row: what, and its value. */
static void kv(struct doc *d, const char *key, const char *value)
{
	const char *cells[] = {key, value};
	table_row(d, cells, 2, false, NULL);
}

/* Preformatted text: a Markdown fence longer than any run of backticks in it. */
static void pre(struct doc *d, const char *text)
{
	if (!d->md) {
		fputs("<pre>", d->f);
		esc(d, text);
		fputs("</pre>\n", d->f);
		return;
	}
	size_t run = 0, longest = 0;
	for (const char *p = text; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		longest = HR_MAX(longest, run);
	}
	size_t fence = HR_MAX(3, longest + 1), n = strlen(text);
	for (size_t i = 0; i < fence; i++)
		fputc('`', d->f);
	fprintf(d->f, "\n%s%s", text, n && text[n - 1] == '\n' ? "" : "\n");
	for (size_t i = 0; i < fence; i++)
		fputc('`', d->f);
	fputs("\n\n", d->f);
}

static const char STYLE[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1320px;margin:2em auto;"
	"padding:0 1em;color:#222;line-height:1.45}"
	"h1{font-size:1.7em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}"
	"table{border-collapse:collapse;margin:.6em 0}.t{overflow-x:auto}"
	"td,th{border:1px solid #ccc;padding:.25em .6em;vertical-align:top;text-align:left}"
	"th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"pre{background:#f6f6f6;padding:.8em;overflow-x:auto;border:1px solid #e2e2e2}"
	"figure{margin:1.2em 0}figure svg{max-width:100%;height:auto}"
	"figcaption{color:#555;font-size:.9em}.note{color:#8a5a00}";

static void doc_begin(struct doc *d, const char *title)
{
	if (d->md) {
		fputs("# ", d->f);
		esc(d, title);
		fputs("\n\n", d->f);
		return;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	      d->f);
	esc(d, title);
	fprintf(d->f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", STYLE);
	esc(d, title);
	fputs("</h1>\n", d->f);
}

static void doc_end(struct doc *d)
{
	if (!d->md)
		fputs("</body>\n</html>\n", d->f);
}

/* ---- Numbers for people --------------------------------------------------- */

/* "15 ms", "2.5 s", "5m", "1h30m". */
static void fmt_time(char *buf, size_t n, simtime t)
{
	if (t > 0 && t < SIM_S)
		snprintf(buf, n, "%.3g ms", sim_to_ms(t));
	else if (t >= SIM_MIN && t % SIM_S == 0)
		cli_fmt_duration(buf, n, t);
	else
		snprintf(buf, n, "%.3g s", sim_to_s(t));
}

static void fmt_seconds(char *buf, size_t n, double s) { fmt_time(buf, n, sim_from_s(s)); }

static void fmt_cores(char *buf, size_t n, double cores)
{
	if (cores < 1 && fabs(cores * 1000 - round(cores * 1000)) < 1e-6)
		snprintf(buf, n, "%.0fm", cores * 1000);
	else
		snprintf(buf, n, "%g", cores);
}

static void fmt_bytes(char *buf, size_t n, double b)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	size_t u = 0;
	while (b >= 1024 && u + 1 < ARRAY_LEN(units)) {
		b /= 1024;
		u++;
	}
	snprintf(buf, n, b == round(b) ? "%.0f %s" : "%.3g %s", b, units[u]);
}

static void fmt_dist(char *buf, size_t n, const struct dist *d)
{
	static const char *const kinds[] = {"constant", "exponential", "lognormal", "gamma", "uniform"};
	char mean[32];
	fmt_seconds(mean, sizeof mean, d->mean);
	if (d->kind == DIST_CONSTANT)
		snprintf(buf, n, "%s (constant)", mean);
	else if (d->kind == DIST_EXPONENTIAL)
		snprintf(buf, n, "exponential, mean %s", mean);
	else
		snprintf(buf, n, "%s, mean %s, cv %g", kinds[d->kind], mean, d->cv);
}

/* ---- Results ---------------------------------------------------------------- */

/* "p99_ms" -> "p99 (ms)"; a fraction's header gets "(%)". */
static void col_header(char *buf, size_t n, const char *col)
{
	static const struct {
		const char *suffix, *unit;
	} units[] = {{"_ms", "ms"}, {"_s", "s"}, {"_minutes", "min"}, {"_rps", "rps"}};
	if (!strcmp(col, "slo_met")) {
		snprintf(buf, n, "SLO");
		return;
	}
	size_t len = strlen(col);
	for (size_t i = 0; i < ARRAY_LEN(units); i++) {
		size_t k = strlen(units[i].suffix);
		if (len > k && !strcmp(col + len - k, units[i].suffix)) {
			snprintf(buf, n, "%.*s (%s)", (int)(len - k), col, units[i].unit);
			goto spaces;
		}
	}
	if (strstr(col, "_rate") || strstr(col, "_util"))
		snprintf(buf, n, "%s (%%)", col);
	else
		snprintf(buf, n, "%s", col);
spaces:
	for (char *p = buf; *p; p++)
		if (*p == '_')
			*p = ' ';
}

static void col_value(char *buf, size_t n, sqlite3_stmt *s, int i, const char *col)
{
	int type = sqlite3_column_type(s, i);
	double v = sqlite3_column_double(s, i);
	if (type == SQLITE_NULL)
		snprintf(buf, n, "-");
	else if (!strcmp(col, "slo_met"))
		snprintf(buf, n, "%s", v ? "met" : "MISSED");
	else if (type == SQLITE_TEXT)
		snprintf(buf, n, "%s", (const char *)sqlite3_column_text(s, i));
	else if (strstr(col, "_rate") || strstr(col, "_util"))
		snprintf(buf, n, "%.2f", 100 * v);
	else if (type == SQLITE_INTEGER)
		snprintf(buf, n, "%lld", (long long)sqlite3_column_int64(s, i));
	else
		snprintf(buf, n, fabs(v) < 10 ? "%.3g" : "%.1f", v);
}

/* The summaries of the run, every column the file has (cost columns too,
 * when the file has them), in the file's order. */
static int summary_table(struct doc *d, plot_db *db, const struct plot_run *r, struct herr *e)
{
	sqlite3_stmt *s = NULL;
	sqlite3 *h = plot_sqlite(db);
	if (sqlite3_prepare_v2(h, "SELECT * FROM summaries WHERE run_id = ?1 ORDER BY service", -1, &s, NULL))
		return herr_at(e, plot_path(db), 0, 0, "cannot read the summaries: %s", sqlite3_errmsg(h));
	sqlite3_bind_int64(s, 1, r->id);
	int n = sqlite3_column_count(s), k = 0, rc;
	const char **cells = xcalloc((size_t)n, sizeof *cells);
	char(*bufs)[64] = xcalloc((size_t)n, sizeof *bufs);
	bool *numeric = xcalloc((size_t)n, sizeof *numeric);
	int *cols = xcalloc((size_t)n, sizeof *cols);
	for (int i = 0; i < n; i++)
		if (strcmp(sqlite3_column_name(s, i), "run_id")) {
			col_header(bufs[k], sizeof bufs[k], sqlite3_column_name(s, i));
			numeric[k] = strcmp(sqlite3_column_name(s, i), "service") != 0;
			cells[k] = bufs[k];
			cols[k++] = i;
		}
	table_begin(d);
	table_row(d, cells, (size_t)k, true, numeric);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int j = 0; j < k; j++)
			col_value(bufs[j], sizeof bufs[j], s, cols[j], sqlite3_column_name(s, cols[j]));
		table_row(d, cells, (size_t)k, false, numeric);
	}
	table_end(d);
	if (rc != SQLITE_DONE)
		herr_at(e, plot_path(db), 0, 0, "cannot read the summaries: %s", sqlite3_errmsg(h));
	sqlite3_finalize(s);
	free(cells);
	free(bufs);
	free(numeric);
	free(cols);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* A text column of a row (NULL as "-"). */
static const char *text_or(sqlite3_stmt *s, int i, char *buf, size_t n)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	snprintf(buf, n, "%s", t ? (const char *)t : "-");
	return buf;
}

/* The rollouts of the run (docs/rollouts.md): each one's outcome, then its
 * analysis measurements. Nothing for a file or run without them. */
static int rollout_section(struct doc *d, plot_db *db, const struct plot_run *r, struct herr *e)
{
	static const char outcome_sql[] =
		"SELECT service, strategy, outcome, started_s, ended_s, rollback_s, measurements, failed, errors, "
		"extra_pod_hours, round(extra_node_hours, 3), round(extra_cost_usd, 4), max_pods FROM rollouts WHERE run_id = ?1 ORDER BY service";
	static const char measure_sql[] =
		"SELECT t_s, service, json_extract(metrics, '$.metric'), json_extract(metrics, '$.value'), "
		"json_extract(metrics, '$.verdict'), detail FROM decisions WHERE run_id = ?1 AND kind = 'rollout' "
		"AND event IN ('measurement', 'aborted', 'promoted', 'paused', 'rolled-back', 'switched') ORDER BY id";
	if (!plot_has_table(db, "rollouts"))
		return 0;
	sqlite3 *h = plot_sqlite(db);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(h, outcome_sql, -1, &s, NULL))
		return herr_at(e, plot_path(db), 0, 0, "cannot read the rollouts: %s", sqlite3_errmsg(h));
	sqlite3_bind_int64(s, 1, r->id);
	static const char *const head[] = {"service", "strategy", "outcome", "started", "ended", "rolled back after",
					   "measurements", "failed", "errors", "extra pod-hours", "extra node-hours",
					   "extra cost (USD)", "most pods"};
	static const bool num[] = {false, false, false, true, true, true, true, true, true, true, true, true, true};
	char b[13][240];
	const char *cells[13];
	int rc, rows = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!rows++) {
			heading(d, 2, "Rollout");
			para(d, "The new version's release (docs/rollouts.md): how it ended, then the analysis "
				"measurements and the controller's decisions (the decisions table, kind 'rollout'). "
				"Extra: the pods above spec.replicas, and their share of their nodes' time and cost "
				"(by CPU request, as a service's cost; '-' without a cluster).");
			table_begin(d);
			table_row(d, head, 13, true, num);
		}
		for (int i = 0; i < 13; i++)
			cells[i] = text_or(s, i, b[i], sizeof b[i]);
		table_row(d, cells, 13, false, num);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return herr_at(e, plot_path(db), 0, 0, "cannot read the rollouts: %s", sqlite3_errmsg(h));
	if (!rows)
		return 0;
	table_end(d);
	if (sqlite3_prepare_v2(h, measure_sql, -1, &s, NULL))
		return herr_at(e, plot_path(db), 0, 0, "cannot read the rollout's decisions: %s", sqlite3_errmsg(h));
	sqlite3_bind_int64(s, 1, r->id);
	static const char *const mhead[] = {"t (s)", "service", "metric", "value", "verdict", "detail"};
	static const bool mnum[] = {true, false, false, true, false, false};
	table_begin(d);
	table_row(d, mhead, 6, true, mnum);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < 6; i++)
			cells[i] = text_or(s, i, b[i], sizeof b[i]);
		table_row(d, cells, 6, false, mnum);
	}
	table_end(d);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return herr_at(e, plot_path(db), 0, 0, "cannot read the rollout's decisions: %s", sqlite3_errmsg(h));
	return 0;
}

/* The run's rows of a Kafka table (version 11), every column but run_id,
 * ordered by `order`; nothing when the file or the run has none. */
static int kafka_table(struct doc *d, plot_db *db, const struct plot_run *r, const char *table, const char *order,
		       const char *title, const char *note, struct herr *e)
{
	if (!plot_has_table(db, table))
		return 0;
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT * FROM %s WHERE run_id = ?1%s%s", table, *order ? " ORDER BY " : "", order);
	sqlite3_stmt *s = NULL;
	sqlite3 *h = plot_sqlite(db);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL))
		return herr_at(e, plot_path(db), 0, 0, "cannot read %s: %s", table, sqlite3_errmsg(h));
	sqlite3_bind_int64(s, 1, r->id);
	int n = sqlite3_column_count(s), k = 0, rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return rc == SQLITE_DONE ? 0 : herr_at(e, plot_path(db), 0, 0, "cannot read %s", table);
	}
	const char **cells = xcalloc((size_t)n, sizeof *cells);
	char(*bufs)[64] = xcalloc((size_t)n, sizeof *bufs);
	bool *numeric = xcalloc((size_t)n, sizeof *numeric);
	int *cols = xcalloc((size_t)n, sizeof *cols);
	for (int i = 0; i < n; i++) {
		const char *c = sqlite3_column_name(s, i);
		if (!strcmp(c, "run_id"))
			continue;
		col_header(bufs[k], sizeof bufs[k], c);
		numeric[k] = strcmp(c, "service") && strcmp(c, "consumer_group") && strcmp(c, "topic");
		cells[k] = bufs[k];
		cols[k++] = i;
	}
	heading(d, 2, title);
	table_begin(d);
	table_row(d, cells, (size_t)k, true, numeric);
	for (; rc == SQLITE_ROW; rc = sqlite3_step(s)) {
		for (int j = 0; j < k; j++)
			col_value(bufs[j], sizeof bufs[j], s, cols[j], sqlite3_column_name(s, cols[j]));
		table_row(d, cells, (size_t)k, false, numeric);
	}
	table_end(d);
	para(d, note);
	sqlite3_finalize(s);
	free(cells);
	free(bufs);
	free(numeric);
	free(cols);
	return rc == SQLITE_DONE ? 0 : herr_at(e, plot_path(db), 0, 0, "cannot read %s: %s", table, sqlite3_errmsg(h));
}

/* Several clusters behind an ALB (docs/clusters.md): each cluster's
 * totals. Nothing for a file or run without them. */
static int clusters_section(struct doc *d, plot_db *db, const struct plot_run *r, struct herr *e)
{
	static const char sql[] =
		"SELECT cluster, version, services, printf('%.2f', node_hours), printf('%.2f', cost_usd), max_nodes, "
		"requests, printf('%.3f', CASE WHEN requests > 0 THEN 100.0 * errors / requests ELSE 0 END), "
		"CASE slo_met WHEN 1 THEN 'met' WHEN 0 THEN 'MISSED' ELSE '-' END FROM clusters WHERE run_id = ?1 "
		"ORDER BY cluster";
	if (!plot_has_table(db, "clusters"))
		return 0;
	sqlite3 *h = plot_sqlite(db);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL))
		return herr_at(e, plot_path(db), 0, 0, "cannot read the clusters: %s", sqlite3_errmsg(h));
	sqlite3_bind_int64(s, 1, r->id);
	static const char *const head[] = {"cluster", "version", "services", "node-hours", "cost (USD)", "most nodes",
					   "requests", "errors (%)", "SLO"};
	static const bool num[] = {false, false, true, true, true, true, true, true, false};
	char b[9][240];
	const char *cells[9];
	int rc, rows = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!rows++) {
			heading(d, 2, "Clusters");
			para(d, "Several clusters behind an ALB (docs/clusters.md): each cluster's nodes, cost and requests "
				"over the run; the clusters' costs sum to the run's. SLO: every service deployed there met its "
				"objectives.");
			table_begin(d);
			table_row(d, head, 9, true, num);
		}
		for (int i = 0; i < 9; i++)
			cells[i] = text_or(s, i, b[i], sizeof b[i]);
		table_row(d, cells, 9, false, num);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return herr_at(e, plot_path(db), 0, 0, "cannot read the clusters: %s", sqlite3_errmsg(h));
	if (rows)
		table_end(d);
	return 0;
}

static void run_facts(struct doc *d, const struct plot_run *r)
{
	char dur[32] = "?", buf[256];
	if (!isnan(r->sim_s))
		cli_fmt_duration(dur, sizeof dur, sim_from_s(r->sim_s));
	para_begin(d);
	escf(d, "Scenario '%s', run %" PRId64 ", seed %s: %s simulated", r->name, r->id, r->seed ? r->seed : "?", dur);
	if (r->requests >= 0) {
		cli_fmt_count(buf, sizeof buf, (double)r->requests);
		escf(d, ", %s requests", buf);
	}
	escf(d, "; status %s; started %s", r->status ? r->status : "?", r->started_at ? r->started_at : "?");
	if (!isnan(r->wall_s))
		escf(d, "; computed in %.2f s", r->wall_s);
	escf(d, " by headroom %s.", r->version ? r->version : "?");
	if (r->variant || r->replication)
		escf(d, " Variant %d, replication %d of a plan.", r->variant, r->replication);
	if (r->overrides[0])
		escf(d, " Overrides: %s.", r->params ? r->params : "");
	para_end(d);
}

/* The node cost of each pool (NodePool, node group, "static") over the run,
 * from the nodes rows: each sample's cost per hour over the time since the
 * sample before, so a node's start or end is placed to a sample interval.
 * Only with more than one pool. */
static void pool_costs(struct doc *d, sqlite3 *h, const struct plot_run *r)
{
	static const char q[] =
		"WITH ts AS (SELECT DISTINCT t_s FROM nodes WHERE run_id = ?1), "
		"dt AS (SELECT t_s, t_s - COALESCE(LAG(t_s) OVER (ORDER BY t_s), 0) AS d FROM ts), "
		"p AS (SELECT pool, t_s, SUM(cost_per_hour) AS c, SUM(launching + registered + ready + draining) AS k "
		"FROM nodes WHERE run_id = ?1 GROUP BY pool, t_s) "
		"SELECT p.pool, SUM(p.c * dt.d) / 3600.0, MAX(p.k) FROM p JOIN dt ON dt.t_s = p.t_s "
		"GROUP BY p.pool ORDER BY p.pool";
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(h, q, -1, &s, NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return;
	}
	sqlite3_bind_int64(s, 1, r->id);
	char rows[16][3][64];
	size_t n = 0;
	while (n < 16 && sqlite3_step(s) == SQLITE_ROW) {
		snprintf(rows[n][0], sizeof rows[n][0], "%s", (const char *)sqlite3_column_text(s, 0));
		snprintf(rows[n][1], sizeof rows[n][1], "%.2f", sqlite3_column_double(s, 1));
		snprintf(rows[n][2], sizeof rows[n][2], "%d", sqlite3_column_int(s, 2));
		n++;
	}
	sqlite3_finalize(s);
	if (n < 2)
		return;
	para(d, "Node cost by pool (each sample's nodes counted over its sample interval):");
	static const char *const head[] = {"pool", "cost USD", "most nodes at once"};
	static const bool num[] = {false, true, true};
	table_begin(d);
	table_row(d, head, 3, true, num);
	for (size_t i = 0; i < n; i++) {
		const char *cells[] = {rows[i][0], rows[i][1], rows[i][2]};
		table_row(d, cells, 3, false, num);
	}
	table_end(d);
}

/* Each NodePool's upgrade by drift (docs/drift.md): its drift-complete
 * row, or that it was not over when the run ended. */
static void upgrade_facts(struct doc *d, sqlite3 *h, const struct plot_run *r)
{
	static const char q[] =
		"WITH p AS (SELECT pod, MIN(t_s) AS first, MAX(id) AS last, MIN(id) AS o FROM decisions "
		"WHERE run_id = ?1 AND kind = 'node' AND event = 'drift' GROUP BY pod) "
		"SELECT p.pod, p.first, (SELECT c.detail FROM decisions c WHERE c.run_id = ?1 AND c.kind = 'node' "
		"AND c.event = 'drift-complete' AND c.pod = p.pod AND c.id > p.last ORDER BY c.id LIMIT 1) "
		"FROM p ORDER BY p.o";
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(h, q, -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, r->id);
		while (sqlite3_step(s) == SQLITE_ROW) {
			para_begin(d);
			if (sqlite3_column_type(s, 2) != SQLITE_NULL)
				escf(d, "Upgrade by drift: %s.", (const char *)sqlite3_column_text(s, 2));
			else
				escf(d, "Upgrade by drift: NodePool %s drifted at %.0f s and still had drifted nodes when the "
					"run ended.",
				     (const char *)sqlite3_column_text(s, 0), sqlite3_column_double(s, 1));
			para_end(d);
		}
	}
	sqlite3_finalize(s);
}

/* The run's nodes and cost, in a file that has them (version 3) for a run
 * that has them (a scenario with a cluster). */
static void cost_facts(struct doc *d, plot_db *db, const struct plot_run *r)
{
	if (!plot_has_column(db, "runs", "cost_usd") || !plot_has_column(db, "runs", "monthly_cost_usd") ||
	    !plot_has_column(db, "runs", "node_hours") || !plot_has_column(db, "runs", "max_nodes"))
		return;
	sqlite3_stmt *s = NULL;
	sqlite3 *h = plot_sqlite(db);
	if (sqlite3_prepare_v2(h, "SELECT cost_usd, monthly_cost_usd, node_hours, max_nodes FROM runs WHERE id = ?1", -1,
			       &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, r->id);
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
			para_begin(d);
			escf(d, "Nodes: at most %d at once, %.1f node-hours; they cost %.2f USD over the run, %.0f USD a "
				"month (730 h) at the run's average rate.",
			     sqlite3_column_int(s, 3), sqlite3_column_double(s, 2), sqlite3_column_double(s, 0),
			     sqlite3_column_double(s, 1));
			para_end(d);
		}
	}
	sqlite3_finalize(s);
	pool_costs(d, h, r);
	upgrade_facts(d, h, r);
}

/* ---- Charts ----------------------------------------------------------------- */

static const char *const CHART_TITLES[] = {
	"traffic against the CPU capacity of ready pods, and pods over time",
	"latency per sample interval against the SLO",
	"pod start-up, from created to Ready, by phase",
	"P(SLO met) with its Wilson 95 % interval and the monthly cost per variant; the recommendation marked",
	"P(SLO met) and monthly cost per provisioner, grouped by the other axes",
	"Kafka consumer lag per group, and consumers against the partitions",
};

/* An SVG file inline: from its <svg element on (no XML prolog or doctype,
 * which HTML does not take). */
static int inline_svg(struct doc *d, const char *path, struct herr *e)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return herr_at(e, path, 0, 0, "cannot read the chart: %s", strerror(errno));
	char *text = NULL;
	size_t n = 0, cap = 0, k;
	char buf[65536];
	while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
		if (n + k + 1 > cap) {
			cap = 2 * (n + k + 1);
			text = xrealloc(text, cap);
		}
		memcpy(text + n, buf, k);
		n += k;
	}
	fclose(f);
	if (text)
		text[n] = '\0';
	const char *svg = text ? strstr(text, "<svg") : NULL;
	int rc = svg ? 0 : herr_at(e, path, 0, 0, "not an SVG file");
	if (svg)
		fputs(svg, d->f);
	free(text);
	return rc;
}

static int chart(struct doc *d, const struct plot_chart *c, struct herr *e)
{
	char caption[256];
	snprintf(caption, sizeof caption, "%s%s%s", c->service, *c->service ? ": " : "", CHART_TITLES[c->kind]);
	if (!c->path) {
		if (c->note[0]) {
			fputs(d->md ? "*" : "<p class=\"note\">", d->f);
			escf(d, "No %s chart: %s.", plot_kind_name(c->kind), c->note);
			fputs(d->md ? "*\n\n" : "</p>\n", d->f);
		}
		return 0;
	}
	if (d->md) {
		const char *base = strrchr(c->path, '/');
		fputs("![", d->f);
		esc(d, caption);
		/* The file name is ours: letters, digits, '-', '_' and '.' after the page's own name. */
		fprintf(d->f, "](<%s>)\n\n", base ? base + 1 : c->path);
		return 0;
	}
	fputs("<figure>\n", d->f);
	int rc = inline_svg(d, c->path, e);
	fputs("<figcaption>", d->f);
	esc(d, caption);
	fputs("</figcaption>\n</figure>\n", d->f);
	return rc;
}

/* With several clusters (docs/clusters.md): the clusters chart, after the
 * services' charts. */
static int clusters_chart(struct doc *d, plot_db *db, const struct plot_run *r, const char *dir, const char *prefix,
			  struct herr *e)
{
	char path[4096];
	bool drawn;
	snprintf(path, sizeof path, "%s/%sclusters.%s", dir, prefix, d->md ? "png" : "svg");
	int rc = plot_clusters_draw(db, r, d->md ? PLOT_PNG : PLOT_SVG, path, false, &drawn, e);
	if (rc || !drawn)
		return rc;
	static const char caption[] = "the ALB's target groups (share of the weight), nodes and errors per cluster";
	if (d->md) {
		/* The file name is ours, as the other charts'. */
		fprintf(d->f, "![%s](<%sclusters.png>)\n\n", caption, prefix);
		return 0;
	}
	fputs("<figure>\n", d->f);
	rc = inline_svg(d, path, e);
	fprintf(d->f, "<figcaption>%s</figcaption>\n</figure>\n", caption);
	return rc;
}

/* A private folder for the SVG charts of an HTML page, removed afterwards. */
static char *temp_dir(struct herr *e)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xmalloc(512);
	snprintf(dir, 512, "%s/headroom-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir))
		return dir;
	herr_at(e, dir, 0, 0, "cannot make a temporary folder: %s", strerror(errno));
	free(dir);
	return NULL;
}

static void remove_dir(const char *dir)
{
	DIR *dd = opendir(dir);
	struct dirent *de;
	while (dd && (de = readdir(dd))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char p[1024];
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (dd)
		closedir(dd);
	rmdir(dir);
}

/* The charts of the run: SVG inline for HTML, PNG beside a Markdown page
 * (out_dir/STEM-KIND-SERVICE.png). */
static int charts(struct doc *d, plot_db *db, const struct plot_run *r, const char *out_dir, const char *stem,
		  struct herr *e)
{
	char *tmp = d->md ? NULL : temp_dir(e);
	if (!d->md && !tmp)
		return -1;
	char prefix[512];
	snprintf(prefix, sizeof prefix, "%s-", stem);
	struct plot_chart *cs;
	size_t n;
	int rc = plot_all(db, r, d->md ? PLOT_PNG : PLOT_SVG, d->md ? out_dir : tmp, d->md ? prefix : "", false, &cs,
			  &n, e);
	for (size_t i = 0; !rc && i < n; i++)
		rc = chart(d, &cs[i], e);
	plot_charts_free(cs, n);
	if (!rc)
		rc = clusters_chart(d, db, r, d->md ? out_dir : tmp, d->md ? prefix : "", e);
	if (tmp)
		remove_dir(tmp);
	free(tmp);
	return rc;
}

/* ---- Assumptions -------------------------------------------------------------- */

static void traffic_words(char *buf, size_t n, const struct scn_traffic *t)
{
	size_t k = 0;
	if (!t->enabled) {
		snprintf(buf, n, "none from outside (called by other services only)");
		return;
	}
	const struct pattern *p = &t->pattern;
	if (p->kind == PATTERN_CONSTANT)
		k = (size_t)snprintf(buf, n, "%g rps, constant", t->rate);
	else if (p->kind == PATTERN_DIURNAL)
		k = (size_t)snprintf(buf, n, "%g rps, diurnal: ±%g %%, peak at %02d:%02d, the run starting at %02d:%02d",
				     t->rate, 100 * p->amplitude, (int)(p->peak_s / 3600), (int)fmod(p->peak_s / 60, 60),
				     (int)(p->start_s / 3600), (int)fmod(p->start_s / 60, 60));
	else {
		char from[32] = "?";
		time_t c = (time_t)floor(p->trace.epoch);
		struct tm tm;
		if (gmtime_r(&c, &tm))
			strftime(from, sizeof from, "%Y-%m-%dT%H:%M:%SZ", &tm);
		k = (size_t)snprintf(buf, n, "a trace of %zu %s, times %g, from %s (%zu series summed, %zu points filled in gaps)",
				     p->trace.n, p->trace.step ? "intervals, the rate constant over each" : "points, linear between them",
				     t->rate, from, p->trace.n_series, p->trace.n_filled);
	}
	if (t->dispersion_cv > 0 && k < n) {
		char iv[32];
		fmt_time(iv, sizeof iv, t->dispersion_interval);
		snprintf(buf + k, n - k, "; over-dispersed: rate factor cv %g held %s", t->dispersion_cv, iv);
	}
}

static void spikes_words(char *buf, size_t n, const struct scn_traffic *t)
{
	size_t k = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < t->n_spikes && k < n; i++) {
		const struct spike *s = &t->spikes[i];
		char at[32], ramp[32], hold[32], decay[32];
		fmt_time(at, sizeof at, s->start);
		fmt_time(ramp, sizeof ramp, s->ramp);
		fmt_time(hold, sizeof hold, s->hold);
		fmt_time(decay, sizeof decay, s->decay);
		k += (size_t)snprintf(buf + k, n - k, "%s×%g at %s (ramp %s, hold %s, decay %s)", i ? "; " : "",
				      s->factor, at, ramp, hold, decay);
	}
}

static void slo_words(char *buf, size_t n, const struct scn_slo *slo, simtime window)
{
	size_t k = 0;
	char thr[32], win[32], allowed[32];
	if (!slo->has_latency && !slo->has_errors) {
		snprintf(buf, n, "none declared");
		return;
	}
	if (slo->has_latency) {
		fmt_time(thr, sizeof thr, slo->threshold);
		k += (size_t)snprintf(buf + k, n - k, "p%g ≤ %s", slo->percentile, thr);
	}
	if (slo->has_errors && k < n)
		k += (size_t)snprintf(buf + k, n - k, "%serrors ≤ %g %%", k ? "; " : "", 100 * slo->error_budget);
	fmt_time(win, sizeof win, window);
	fmt_time(allowed, sizeof allowed, slo->allowed_violation);
	if (k < n && slo->eval == SLO_EVAL_RUN)
		snprintf(buf + k, n - k, "; judged over the whole run");
	else if (k < n)
		snprintf(buf + k, n - k, "; judged in %s windows, at most %s of them in violation", win, allowed);
}

static void startup_words(char *buf, size_t n, const struct scn_startup *st)
{
	char pf[96], pc[96], cs[96], as[96], delay[32], period[32], grace[32];
	fmt_dist(pf, sizeof pf, &st->image_pull_first);
	fmt_dist(pc, sizeof pc, &st->image_pull_cached);
	fmt_dist(cs, sizeof cs, &st->container_start);
	fmt_dist(as, sizeof as, &st->app_start);
	fmt_time(delay, sizeof delay, st->probe_initial_delay);
	fmt_time(period, sizeof period, st->probe_period);
	fmt_time(grace, sizeof grace, st->termination_grace);
	snprintf(buf, n,
		 "image pull %s on a node without the image, %s with it; container start %s; application start %s; "
		 "readiness probe first after %s, then every %s, %d success%s to be Ready; termination grace %s",
		 pf, pc, cs, as, delay, period, st->probe_success_threshold,
		 st->probe_success_threshold == 1 ? "" : "es", grace);
}

static size_t rules_words(char *buf, size_t n, const char *dir, const struct scn_hpa_rules *ru)
{
	static const char *const selects[] = {"Max", "Min", "Disabled"};
	size_t k = (size_t)snprintf(buf, n, "%s: ", dir);
	if (ru->has_stabilization && k < n) {
		char st[32];
		fmt_time(st, sizeof st, ru->stabilization);
		k += (size_t)snprintf(buf + k, n - k, "stabilization %s, ", st);
	}
	for (size_t i = 0; i < ru->n_policies && k < n; i++) {
		char per[32];
		fmt_time(per, sizeof per, ru->policies[i].period);
		k += (size_t)snprintf(buf + k, n - k, "%d%s per %s, ", ru->policies[i].value,
				      ru->policies[i].kind == HPA_POLICY_PODS ? " pods" : " %", per);
	}
	if (k < n)
		k += (size_t)snprintf(buf + k, n - k, "select %s", selects[ru->select]);
	return k;
}

static void hpa_words(char *buf, size_t n, const struct scn_hpa *h)
{
	if (!h->enabled) {
		snprintf(buf, n, "none: the replicas stay as set");
		return;
	}
	size_t k = (size_t)snprintf(buf, n, "min %d, max %d; ", h->min_replicas, h->max_replicas);
	for (size_t i = 0; i < h->n_metrics && k < n; i++) {
		const struct scn_hpa_metric *m = &h->metrics[i];
		const char *what = m->kind != HPA_METRIC_RESOURCE ? m->name : m->resource == HPA_RES_CPU ? "cpu" : "memory";
		if (m->target == HPA_TARGET_UTILIZATION)
			k += (size_t)snprintf(buf + k, n - k, "%s at %d %% of request; ", what, m->utilization);
		else if (m->target == HPA_TARGET_VALUE)
			k += (size_t)snprintf(buf + k, n - k, "external %s at %g in all; ", what, m->value);
		else if (m->kind == HPA_METRIC_EXTERNAL)
			k += (size_t)snprintf(buf + k, n - k, "external %s at %g per pod; ", what, m->average_value);
		else
			k += (size_t)snprintf(buf + k, n - k, "%s at %g per pod; ", what, m->average_value);
	}
	char sync[32], down[32];
	fmt_time(sync, sizeof sync, h->sync_period);
	fmt_time(down, sizeof down, h->downscale_stabilization);
	if (k < n)
		k += (size_t)snprintf(buf + k, n - k, "sync every %s, tolerance %g %%; ", sync, 100 * h->tolerance);
	if (!h->has_behavior && k < n) {
		snprintf(buf + k, n - k, "no behavior (legacy path): up at most ×%g or to %g pods per sync, "
					 "down after %s of stabilization", h->scale_up_limit_factor,
			 h->scale_up_limit_minimum, down);
		return;
	}
	if (k < n)
		k += rules_words(buf + k, n - k, "behavior up", &h->up);
	if (k < n)
		k += (size_t)snprintf(buf + k, n - k, "; ");
	if (k < n)
		rules_words(buf + k, n - k, "down", &h->down);
}

static void service_assumptions(struct doc *d, const struct scenario *sc, const struct scn_service *sv)
{
	char buf[1024], a[32], b[32], c[32], m[32];
	heading(d, 3, sv->name);
	kv_begin(d);
	snprintf(buf, sizeof buf, "%d at the start", sv->replicas);
	kv(d, "replicas", buf);
	fmt_cores(a, sizeof a, sv->cpu_request);
	fmt_cores(b, sizeof b, sv->cpu_limit);
	fmt_bytes(m, sizeof m, sv->memory_request);
	snprintf(buf, sizeof buf, "CPU request %s, limit %s; memory request %s", a, sv->cpu_limit > 0 ? b : "none", m);
	kv(d, "pod", buf);
	if (sv->queue < 0)
		snprintf(buf, sizeof buf, "%d workers, unbounded accept queue", sv->workers);
	else
		snprintf(buf, sizeof buf, "%d workers, accept queue of %lld", sv->workers, (long long)sv->queue);
	kv(d, "concurrency", buf);
	fmt_time(c, sizeof c, sv->timeout);
	kv(d, "client timeout", sv->timeout ? c : "none");
	fmt_dist(buf, sizeof buf, &sv->cpu_per_request);
	kv(d, "CPU per request", buf);
	if (sv->warmup_factor > 1) {
		fmt_time(c, sizeof c, sv->warmup_duration);
		snprintf(buf, sizeof buf, "a new pod needs ×%g CPU at first, decaying with time constant %s",
			 sv->warmup_factor, c);
		kv(d, "warm-up", buf);
	}
	double cores = sv->cpu_limit > 0 ? sv->cpu_limit : sv->cpu_request;
	fmt_seconds(m, sizeof m, sv->cpu_per_request.mean);
	snprintf(buf, sizeof buf, "%g core%s ÷ %s mean CPU per request = %.1f rps per ready, warm pod with its node "
		 "to itself; under contention a pod gets its share of its node, up to its limit (the capacity line "
		 "of the timeline charts counts that share, where the results hold it)",
		 cores, cores == 1 ? "" : "s", m, plot_pod_capacity(sv));
	kv(d, "CPU capacity", buf);
	static const char *const balancers[] = {"random (kube-proxy iptables)", "round robin (IPVS, Envoy)",
						"least request of two (Envoy)"};
	const struct scn_slow_start *ss = &sv->slow_start;
	size_t n = (size_t)snprintf(buf, sizeof buf, "%s", balancers[sv->balancer]);
	if (sv->balancer == BALANCER_LEAST_REQUEST && sv->active_request_bias != 1)
		n += (size_t)snprintf(buf + n, sizeof buf - n, ", active request bias %g", sv->active_request_bias);
	fmt_time(c, sizeof c, ss->window);
	if (ss->kind == SLOW_START_ENVOY)
		snprintf(buf + n, sizeof buf - n, "; Envoy slow start: a new pod's weight ramps over %s (aggression %g, "
			 "at least %g %%)", c, ss->aggression, 100 * ss->min_weight);
	else if (ss->kind == SLOW_START_ALB)
		snprintf(buf + n, sizeof buf - n, "; ALB slow start: a new pod's weight ramps linearly over %s", c);
	kv(d, "balancer", buf);
	if (sv->n_calls) {
		size_t k = 0;
		for (size_t i = 0; i < sv->n_calls && k < sizeof buf; i++)
			k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s (%g %%)", i ? ", " : "",
					      sc->services[sv->calls[i].service].name, 100 * sv->calls[i].probability);
		kv(d, "calls", buf);
	}
	traffic_words(buf, sizeof buf, &sv->traffic);
	kv(d, "traffic", buf);
	if (sv->traffic.enabled && sv->traffic.n_spikes) {
		spikes_words(buf, sizeof buf, &sv->traffic);
		kv(d, "spikes", buf);
	}
	slo_words(buf, sizeof buf, &sv->slo, sc->slo_window);
	kv(d, "SLO", buf);
	startup_words(buf, sizeof buf, &sv->startup);
	kv(d, "pod start-up", buf);
	hpa_words(buf, sizeof buf, &sv->hpa);
	kv(d, "HPA", buf);
	table_end(d);
}

static void karpenter_assumptions(struct doc *d, const struct scn_cluster *cl)
{
	static const char *const policies[] = {"WhenEmpty", "WhenEmptyOrUnderutilized"};
	const struct scn_karpenter *k = &cl->karpenter;
	char buf[1024], a[96], b[96], c[96], t1[32], t2[32];
	for (size_t i = 0; i < k->n_pools; i++) {
		const struct scn_nodepool *np = &k->pools[i];
		const struct instance_type *cheap = np->n_types ? &cl->catalog.types[np->types[0]] : NULL;
		size_t n = (size_t)snprintf(buf, sizeof buf, "weight %d; %s; %zu instance types allowed", np->weight,
					    np->capacity == SCN_SPOT	  ? "spot"
					    : np->capacity == SCN_ON_DEMAND ? "on-demand"
									    : "spot, else on-demand",
					    np->n_types);
		if (cheap && n < sizeof buf)
			n += (size_t)snprintf(buf + n, sizeof buf - n, ", the cheapest %s at %.4g USD/h", cheap->name,
					      scn_pool_price(cl, np, np->types[0]));
		if (np->limit_cpu > 0 && n < sizeof buf)
			n += (size_t)snprintf(buf + n, sizeof buf - n, "; limit %g CPU", np->limit_cpu);
		if (np->limit_nodes > 0 && n < sizeof buf)
			n += (size_t)snprintf(buf + n, sizeof buf - n, "; limit %d nodes", np->limit_nodes);
		fmt_time(t1, sizeof t1, np->consolidate_after);
		if (n < sizeof buf)
			snprintf(buf + n, sizeof buf - n, "; consolidation %s%s%s", np->consolidation_off ? "off" : policies[np->policy],
				 np->consolidation_off ? "" : " after ", np->consolidation_off ? "" : t1);
		char key[128];
		snprintf(key, sizeof key, "Karpenter NodePool '%s'", np->name);
		kv(d, key, buf);
	}
	fmt_time(t1, sizeof t1, k->batch_idle);
	fmt_time(t2, sizeof t2, k->batch_max);
	fmt_dist(a, sizeof a, &k->launch);
	fmt_dist(b, sizeof b, &k->registration);
	fmt_dist(c, sizeof c, &k->initialization);
	snprintf(buf, sizeof buf, "batch window %s idle, %s at most; launch %s; registration %s; initialization %s", t1,
		 t2, a, b, c);
	kv(d, "Karpenter", buf);
}

static void ca_assumptions(struct doc *d, const struct scn_cluster *cl)
{
	static const char *const expanders[] = {"least-waste", "random", "most-pods"};
	const struct scn_ca *ca = &cl->ca;
	char buf[1024], a[96], b[96], t1[32], t2[32];
	for (size_t i = 0; i < ca->n_groups; i++) {
		const struct scn_nodegroup *g = &ca->groups[i];
		const struct instance_type *it = &cl->catalog.types[g->type];
		snprintf(buf, sizeof buf, "%s at %.4g USD/h; %d to %d nodes, %d at the start", it->name, it->price_hour,
			 g->min, g->max, g->initial);
		char key[128];
		snprintf(key, sizeof key, "node group '%s'", g->name);
		kv(d, key, buf);
	}
	fmt_time(t1, sizeof t1, ca->scan_interval);
	fmt_time(t2, sizeof t2, ca->scale_down_unneeded_time);
	fmt_dist(a, sizeof a, &ca->boot);
	fmt_dist(b, sizeof b, &ca->initialization);
	snprintf(buf, sizeof buf, "expander %s; scan every %s; boot %s; initialization %s; scale-down %s (unneeded for %s "
				  "below %g %% utilization)",
		 expanders[ca->expander], t1, a, b, ca->scale_down_enabled ? "on" : "off", t2,
		 100 * ca->scale_down_utilization_threshold);
	kv(d, "Cluster Autoscaler", buf);
	/* Its cluster-wide limits and balancing, when set (all off by default). */
	size_t n = 0;
	buf[0] = '\0';
	if (ca->max_nodes_total > 0)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "max-nodes-total %d", ca->max_nodes_total);
	if ((ca->cores_min > 0 || ca->cores_max < SCN_CA_MAX_CORES) && n < sizeof buf)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%scores-total %lld:%lld", n ? "; " : "",
				      (long long)ca->cores_min, (long long)ca->cores_max);
	if ((ca->memory_min > 0 || ca->memory_max < SCN_CA_MAX_MEMORY) && n < sizeof buf)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%smemory-total %lld:%lld GiB", n ? "; " : "",
				      (long long)(ca->memory_min >> 30), (long long)(ca->memory_max >> 30));
	if (ca->balance_similar_node_groups && n < sizeof buf)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%sbalance-similar-node-groups", n ? "; " : "");
	if (ca->ignore_daemonsets_utilization && n < sizeof buf)
		snprintf(buf + n, sizeof buf - n, "%signore-daemonsets-utilization", n ? "; " : "");
	if (buf[0])
		kv(d, "Cluster Autoscaler limits", buf);
}

/* Zones lost and spot interruptions, and the node lifecycle controller's
 * timing they bring in. */
static void fault_assumptions(struct doc *d, const struct scenario *sc)
{
	const struct scn_cluster *cl = &sc->cluster;
	char buf[512], a[32], b[32];
	for (size_t i = 0; i < cl->n_outages; i++) {
		const struct scn_outage *o = &cl->outages[i];
		fmt_time(a, sizeof a, o->start);
		size_t n = (size_t)snprintf(buf, sizeof buf, "%s at %s: its instances stop, nothing launches there; ",
					    cl->zones[o->zone], a);
		fmt_time(a, sizeof a, sc->control.node_monitor_grace);
		if (n < sizeof buf)
			n += (size_t)snprintf(buf + n, sizeof buf - n,
					      "NotReady %s later, NoExecute taints %.3g nodes/s, pods deleted %lld s after "
					      "theirs (or at their own tolerationSeconds); ",
					      a, sc->control.node_eviction_rate, (long long)sc->control.unreachable_toleration);
		fmt_time(b, sizeof b, o->remove_after);
		if (n < sizeof buf)
			snprintf(buf + n, sizeof buf - n, o->remove_after == SIM_FOREVER ? "its nodes stay" : "nodes removed %s after",
				 b);
		kv(d, "zone lost", buf);
	}
	const struct scn_interruptions *in = &cl->interruptions;
	for (size_t i = 0; i < in->n_rates; i++) {
		const struct scn_spot_rate *r = &in->rates[i];
		snprintf(buf, sizeof buf, "%s%s: %.3g %% of instances a month (%.3g per node-hour); 2-minute notice",
			 r->type >= 0 ? cl->catalog.types[r->type].name : r->family[0] ? r->family : "any spot type",
			 r->type < 0 && r->family[0] ? " family" : "", r->share * 100, r->per_hour);
		kv(d, "spot interruptions", buf);
	}
	if (in->n_at) {
		snprintf(buf, sizeof buf, "%zu at given times", in->n_at);
		kv(d, "spot interruptions", buf);
	}
	for (size_t i = 0; i < cl->n_drifts; i++) {
		const struct scn_drift *dr = &cl->drifts[i];
		fmt_time(a, sizeof a, dr->at);
		snprintf(buf, sizeof buf, "NodePool '%s' at %s, to %s: its nodes Drifted, replaced within its budgets",
			 cl->karpenter.pools[dr->pool].name, a, dr->nodeclass);
		kv(d, "node class change", buf);
	}
}

static void cluster_assumptions(struct doc *d, const struct scenario *sc)
{
	char buf[512], cpu[32], mem[32];
	const struct scn_cluster *cl = &sc->cluster;
	heading(d, 3, "cluster and control plane");
	kv_begin(d);
	if (!cl->enabled)
		kv(d, "nodes", "not modelled: every pod finds room at once");
	for (size_t i = 0; i < cl->n_groups; i++) {
		const struct scn_nodes *g = &cl->groups[i];
		fmt_cores(cpu, sizeof cpu, g->cpu);
		fmt_bytes(mem, sizeof mem, g->memory);
		size_t n = (size_t)snprintf(buf, sizeof buf, "%d × '%s'", g->count, g->name);
		if (g->instance[0] && n < sizeof buf)
			n += (size_t)snprintf(buf + n, sizeof buf - n, " (%s, %.4g USD/h)", g->instance, g->price_hour);
		if (n < sizeof buf)
			snprintf(buf + n, sizeof buf - n, ": %s CPU, %s, %d pods allocatable each%s", cpu, mem, g->max_pods,
				 g->image_cached ? "; images cached" : "");
		kv(d, "nodes from the start", buf);
	}
	if (cl->enabled) {
		fmt_cores(cpu, sizeof cpu, cl->daemonset_cpu);
		fmt_bytes(mem, sizeof mem, cl->daemonset_memory);
		bool all = cl->n_daemonsets <= 1 && (!cl->n_daemonsets || cl->daemonsets[0].everywhere);
		snprintf(buf, sizeof buf, "%s%s; DaemonSets take %s%s CPU and %s per node",
			 cl->strategy == SCN_LEAST_ALLOCATED ? "LeastAllocated" : "MostAllocated",
			 cl->default_spread ? "" : ", no default spread constraints", all ? "" : "up to ", cpu, mem);
		kv(d, "scheduler", buf);
	}
	if (cl->catalog.n) {
		snprintf(buf, sizeof buf, "%s (%zu instance types)", cl->catalog.path ? cl->catalog.path : "?", cl->catalog.n);
		kv(d, "catalog", buf);
	}
	if (cl->provisioner == PROV_KARPENTER)
		karpenter_assumptions(d, cl);
	else if (cl->provisioner == PROV_CLUSTER_AUTOSCALER)
		ca_assumptions(d, cl);
	else if (cl->enabled)
		kv(d, "node provisioner", "none: the nodes above are all there is");
	fault_assumptions(d, sc);
	fmt_time(cpu, sizeof cpu, sc->control.metric_resolution);
	fmt_time(mem, sizeof mem, sc->sample_interval);
	snprintf(buf, sizeof buf, "metrics-server resolution %s; samples every %s", cpu, mem);
	kv(d, "timing", buf);
	table_end(d);
}

static void assumptions(struct doc *d, const struct plot_run *r)
{
	heading(d, 2, "Assumptions");
	if (!r->has_sc) {
		para(d, "This headroom could not read the scenario again, so its assumptions are in the YAML below only.");
		para(d, r->sc_err.msg);
		return;
	}
	para(d, "Read from the scenario below (with the run's overrides): what the model takes as given.");
	for (size_t i = 0; i < r->sc.n_services; i++)
		service_assumptions(d, &r->sc, &r->sc.services[i]);
	cluster_assumptions(d, &r->sc);
}

/* ---- Reproducing ---------------------------------------------------------------- */

static void reproduce(struct doc *d, const struct plot_run *r)
{
	char *cmd = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&cmd, &n);
	const char *file = r->path_current ? r->path : "scenario.yaml";
	fputs("headroom run ", f);
	cli_shell_word(f, file);
	fprintf(f, " --seed %s", r->seed ? r->seed : "0");
	for (const char *p = r->overrides; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *one = xmalloc(len + 1);
		memcpy(one, p, len);
		one[len] = '\0';
		if (len) {
			fputs(" \\\n    --set ", f);
			cli_shell_word(f, one);
		}
		free(one);
		p += len + (nl != NULL);
	}
	fputc('\n', f);
	fclose(f);
	heading(d, 2, "How to reproduce");
	if (r->path_current)
		para(d, "The scenario file is where the run read it, unchanged. From the same folder, this command "
			"runs it again and gives the same numbers (same seed, same overrides, same headroom version):");
	else
		para(d, r->path ? "The scenario file is not where the run read it (relative to this folder), or no "
				  "longer holds the run's text: save the YAML below as scenario.yaml, then this command "
				  "runs it again and gives the same numbers (same seed, same overrides, same headroom "
				  "version):"
				: "Save the YAML below as scenario.yaml, then this command runs it again and gives the "
				  "same numbers (same seed, same overrides, same headroom version):");
	pre(d, cmd);
	para_begin(d);
	escf(d, "This run was made by headroom %s", r->version ? r->version : "?");
	if (r->path && !r->path_current)
		escf(d, " from %s", r->path);
	esc(d, ". The overrides are also in the runs table (params), the YAML and overrides in the scenarios table.");
	para_end(d);
	free(cmd);
}

/* ---- The page ----------------------------------------------------------------------- */

static int page(struct doc *d, plot_db *db, const struct plot_run *r, const char *out_dir, const char *stem,
		struct herr *e)
{
	char title[512];
	snprintf(title, sizeof title, "headroom report: %s, run %" PRId64, r->name, r->id);
	doc_begin(d, title);
	run_facts(d, r);
	cost_facts(d, db, r);
	heading(d, 2, "Results per service");
	int rc = summary_table(d, db, r, e);
	para(d, "Latencies are of the requests answered successfully; error rate and CPU are fractions shown in "
		"percent; SLO is whether the service met its objective over the run.");
	if (!rc)
		rc = rollout_section(d, db, r, e);
	if (!rc)
		rc = kafka_table(d, db, r, "kafka_summaries", "consumer_group, topic", "Kafka consumer groups",
				 "Per consumer group and topic (docs/kafka.md): latencies are from produce to commit "
				 "(for order's group on payments-paid, the saga's inconsistency window); paused is "
				 "partition-seconds stopped by rebalances; SLO is the group's own objective, if any.",
				 e);
	if (!rc)
		rc = kafka_table(d, db, r, "sagas", "", "Sagas",
				 "A saga starts with a request's first event and completes when every message it led "
				 "to is committed; failed: one went to a DLT; open: still in flight at the end.",
				 e);
	if (!rc)
		rc = clusters_section(d, db, r, e);
	if (!rc) {
		heading(d, 2, "Charts");
		rc = charts(d, db, r, out_dir, stem, e);
	}
	if (!rc) {
		assumptions(d, r);
		reproduce(d, r);
		heading(d, 2, "Scenario");
		para(d, r->path ? "The scenario's YAML as the run read it (before overrides):"
				: "The scenario's YAML as the run read it (before overrides):");
		pre(d, r->yaml);
		if (r->overrides[0]) {
			para(d, "Overrides (--set), in order:");
			pre(d, r->overrides);
		}
	}
	doc_end(d);
	return rc;
}

/* ---- The page of a plan ---------------------------------------------------------------- */

static void pct(char *buf, size_t n, double v)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.1f%%", 100 * v);
}

static void plan_table(struct doc *d, const struct plot_plan *p)
{
	size_t nc = 9 + p->n_services;
	const char **head = xcalloc(nc, sizeof *head);
	bool *numeric = xcalloc(nc, sizeof *numeric);
	size_t k = 0;
	head[k++] = "#";
	head[k++] = "variant";
	head[k++] = "runs";
	head[k++] = "P(SLO met)";
	head[k++] = "95% interval";
	char **svh = xcalloc(p->n_services + 1, sizeof *svh);
	for (size_t i = 0; i < p->n_services; i++) {
		svh[i] = xmalloc(strlen(p->services[i]) + 48);
		sprintf(svh[i], "%s p99, ms (median / p95) [minReplicas]", p->services[i]);
		head[k++] = svh[i];
	}
	head[k++] = "pod start p99";
	head[k++] = "nodes";
	head[k++] = p->has_cost ? "USD/month" : "cores reserved";
	head[k++] = "verdict";
	for (size_t i = 0; i < nc; i++)
		numeric[i] = i != 1 && i != nc - 1;
	table_begin(d);
	table_row(d, head, nc, true, numeric);
	for (size_t j = 0; j < p->n; j++) {
		const struct plot_plan_variant *v = &p->v[j];
		char b[16][96];
		k = 0;
		snprintf(b[0], sizeof b[0], "%d", v->variant);
		snprintf(b[1], sizeof b[1], "%lld/%lld", (long long)v->met, (long long)v->runs);
		char lo[32], hi[32];
		pct(lo, sizeof lo, v->lo);
		pct(hi, sizeof hi, v->hi);
		pct(b[2], sizeof b[2], v->p);
		snprintf(b[3], sizeof b[3], "[%s, %s]", lo, hi);
		const char *row[64];
		row[k++] = b[0];
		row[k++] = v->label;
		row[k++] = b[1];
		row[k++] = b[2];
		row[k++] = b[3];
		for (size_t i = 0; i < p->n_services && i < 8; i++) {
			char m[24] = "";
			if (v->min_replicas[i] >= 0)
				snprintf(m, sizeof m, " [%d]", v->min_replicas[i]);
			if (isnan(v->p99_p50[i]))
				snprintf(b[4 + i], sizeof b[4 + i], "-%s", m);
			else
				snprintf(b[4 + i], sizeof b[4 + i], "%.0f / %.0f%s", v->p99_p50[i], v->p99_p95[i], m);
			row[k++] = b[4 + i];
		}
		for (size_t i = 8; i < p->n_services; i++)
			row[k++] = "";
		if (isnan(v->pod_start_p99_s))
			snprintf(b[12], sizeof b[12], "-");
		else
			snprintf(b[12], sizeof b[12], "%.1f s", v->pod_start_p99_s);
		snprintf(b[13], sizeof b[13], isnan(v->max_nodes) ? "-" : "%.0f", v->max_nodes);
		snprintf(b[14], sizeof b[14], p->has_cost ? "%.0f" : "%.2f", p->has_cost ? v->cost : v->min_cores);
		row[k++] = b[12];
		row[k++] = b[13];
		row[k++] = b[14];
		row[k++] = v->verdict;
		table_row(d, row, k, false, numeric);
	}
	table_end(d);
	for (size_t i = 0; i < p->n_services; i++)
		free(svh[i]);
	free(svh);
	free(head);
	free(numeric);
}

/* What each HPA settles on for the normal traffic, and how (plans.baseline). */
static void plan_baselines(struct doc *d, const struct plot_plan *p)
{
	bool any = false;
	for (size_t i = 0; i < p->n_services; i++)
		any |= p->formula[i] != NULL;
	if (!any)
		return;
	heading(d, 2, "Baseline");
	para(d, "The replicas each HPA settles on for the normal traffic (the rate before the first spike, plus "
		"calls), at its target: rps x mean CPU per request / (cpu request x target utilisation). A "
		"variant's minReplicas is ceil(baseline x buffer).");
	static const char *const head[] = {"service", "formula", "baseline"};
	table_begin(d);
	table_row(d, head, 3, true, (const bool[]){false, false, true});
	for (size_t i = 0; i < p->n_services; i++) {
		if (!p->formula[i])
			continue;
		char n[24];
		snprintf(n, sizeof n, "%d pods", p->baseline[i]);
		const char *row[] = {p->services[i], p->formula[i], n};
		table_row(d, row, 3, false, (const bool[]){false, false, true});
	}
	table_end(d);
}

/* Per variant, the month's cost item by item (plan_variants.month_*). */
static void plan_month(struct doc *d, const struct plot_plan *p)
{
	bool any = false;
	for (size_t i = 0; i < p->n; i++)
		any |= !isnan(p->v[i].month[0]);
	if (!any)
		return;
	heading(d, 2, "Cost a month");
	para(d, "730 hours: the normal days (each hour's steady-state replicas for the scenario's cost.normal_day, "
		"on the nodes the provisioner packs them onto), the event days (what a run spent above its starting "
		"cluster, mean over runs, x cost.event_days), the commitment discount on on-demand instances, the "
		"control plane per cluster-hour and each node's root volume (docs/cost.md). From the tables "
		"plan_variants, plan_services (each service's share) and plan_hours (the modelled day).");
	/* The items, then each service's share of the normal days (at most 8 services shown). */
	size_t ns = HR_MIN(p->n_services, 8), nc = 8 + ns;
	const char *head[16] = {"#", "variant", "normal days", "event days", "discount", "control plane", "volumes",
				"total, USD"};
	bool num[16];
	char hb[8][80];
	for (size_t k = 0; k < nc; k++)
		num[k] = k != 1;
	for (size_t i = 0; i < ns; i++) {
		snprintf(hb[i], sizeof hb[i], "%s's share", p->services[i]);
		head[8 + i] = hb[i];
	}
	table_begin(d);
	table_row(d, head, nc, true, num);
	for (size_t i = 0; i < p->n; i++) {
		const struct plot_plan_variant *v = &p->v[i];
		char b[16][32];
		const char *row[16];
		snprintf(b[0], sizeof b[0], "%d", v->variant);
		for (int k = 0; k < 5; k++)
			snprintf(b[2 + k], sizeof b[2 + k], "%.0f", v->month[k] + 0.0);
		snprintf(b[7], sizeof b[7], "%.0f", v->cost);
		for (size_t k = 0; k < ns; k++)
			snprintf(b[8 + k], sizeof b[8 + k], isnan(v->share[k]) ? "-" : "%.0f", v->share[k]);
		for (size_t k = 0; k < nc; k++)
			row[k] = b[k];
		row[1] = v->label;
		table_row(d, row, nc, false, num);
	}
	table_end(d);
}

/* Per variant, the share of runs in which each service missed each term of its SLO. */
static void plan_failures(struct doc *d, const struct plot_plan *p)
{
	bool any = false;
	for (size_t i = 0; i < p->n; i++)
		any |= p->v[i].failures != NULL;
	if (!any)
		return;
	heading(d, 2, "Why variants fail");
	para(d, "Per service, the share of runs that missed each term of its SLO, each term judged alone: the "
		"latency percentile, the error budget, and (SLOs judged by windows) the windows in violation "
		"against the allowed time. From the table plan_failures.");
	static const char *const head[] = {"#", "variant", "SLO terms missed, share of runs"};
	table_begin(d);
	table_row(d, head, 3, true, (const bool[]){true, false, false});
	for (size_t i = 0; i < p->n; i++) {
		char n[16];
		snprintf(n, sizeof n, "%d", p->v[i].variant);
		const char *row[] = {n, p->v[i].label, p->v[i].failures ? p->v[i].failures : "-"};
		table_row(d, row, 3, false, (const bool[]){true, false, false});
	}
	table_end(d);
}

static const struct plot_plan_variant *plan_variant(const struct plot_plan *p, int variant)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].variant == variant)
			return &p->v[i];
	return NULL;
}

static void plan_recommendation(struct doc *d, const struct plot_plan *p)
{
	heading(d, 2, "Recommendation");
	para(d, p->recommendation ? p->recommendation : "No recommendation stored: the plan has not completed.");
	const struct plot_plan_variant *rec = plan_variant(p, p->recommended), *ru = plan_variant(p, p->runner_up);
	para_begin(d);
	if (rec)
		escf(d, "Recommended: variant %d (%s), P(SLO met) %.1f%% [%.1f%%, %.1f%%]. ", rec->variant, rec->label,
		     100 * rec->p, 100 * rec->lo, 100 * rec->hi);
	else
		escf(d, "No variant's lower bound reaches the target of %g%%. ", 100 * p->target);
	if (ru)
		escf(d, "Runner-up: variant %d (%s), P(SLO met) %.1f%% [%.1f%%, %.1f%%].", ru->variant, ru->label,
		     100 * ru->p, 100 * ru->lo, 100 * ru->hi);
	else
		esc(d, "No runner-up.");
	para_end(d);
	/* Why each cheaper variant fails (every variant when none is recommended). */
	double cost = rec ? (p->has_cost ? rec->cost : rec->min_cores) : INFINITY;
	bool any = false;
	for (size_t i = 0; i < p->n; i++) {
		const struct plot_plan_variant *v = &p->v[i];
		double c = p->has_cost ? v->cost : v->min_cores;
		if (v == rec || !(c < cost || (c == cost && v->variant < rec->variant)))
			continue;
		if (!any) {
			para(d, rec ? "Why the cheaper variants fail:" : "Why each variant fails:");
			static const char *const head[] = {"variant", "cost", "why"};
			table_begin(d);
			table_row(d, head, 3, true, NULL);
			any = true;
		}
		char cb[64], vb[128];
		snprintf(cb, sizeof cb, p->has_cost ? "%.0f USD/month" : "%.2f cores", c);
		snprintf(vb, sizeof vb, "%d (%.100s)", v->variant, v->label);
		const char *row[] = {vb, cb, v->reason ? v->reason : v->verdict};
		table_row(d, row, 3, false, NULL);
	}
	if (any)
		table_end(d);
}

/* " --set A" for each line of overrides, each after sep. */
static void put_sets(FILE *f, const char *overrides, const char *sep)
{
	for (const char *q = overrides; *q;) {
		const char *nl = strchr(q, '\n');
		size_t len = nl ? (size_t)(nl - q) : strlen(q);
		if (len) {
			char *one = strndup(q, len);
			fprintf(f, "%s--set ", sep);
			cli_shell_word(f, one);
			free(one);
		}
		q += len + (nl != NULL);
	}
}

static void plan_reproduce(struct doc *d, const struct plot_plan *p, const char *db)
{
	char *cmd = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&cmd, &n);
	fputs("headroom plan ", f);
	cli_shell_word(f, p->path_current ? p->path : "scenario.yaml");
	fprintf(f, " --seed %s --replications %d --target %g%%", p->seed, p->replications, 100 * p->target);
	put_sets(f, p->overrides, " \\\n    ");
	fputs(" \\\n    --db ", f);
	cli_shell_word(f, db);
	fputc('\n', f);
	fclose(f);
	heading(d, 2, "How to reproduce");
	para(d, p->path_current ? "From the same folder, this command makes the plan again, with the same numbers "
				  "(each run's seed derives from the plan's seed, variant and replication):"
				: "Save the YAML below as scenario.yaml; then this command makes the plan again, with "
				  "the same numbers (each run's seed derives from the plan's seed, variant and "
				  "replication):");
	pre(d, cmd);
	para(d, "One run in full (samples, decisions, nodes), variant K and replication R, with the plan's overrides:");
	char *one_run = NULL;
	f = open_memstream(&one_run, &n);
	fputs("headroom run ", f);
	cli_shell_word(f, p->path_current ? p->path : "scenario.yaml");
	put_sets(f, p->overrides, " ");
	fputs(" --variant K --replication R\n", f);
	fclose(f);
	pre(d, one_run);
	para_begin(d);
	escf(d, "Made by headroom %s.", p->version ? p->version : "?");
	para_end(d);
	free(one_run);
	free(cmd);
}

static int plan_page(struct doc *d, const struct plot_plan *p, const char *db, const char *out_dir,
		     const char *stem, struct herr *e)
{
	char title[512];
	snprintf(title, sizeof title, "headroom report: %s, plan %lld", p->name, (long long)p->id);
	doc_begin(d, title);
	para_begin(d);
	escf(d, "Scenario '%s', plan %lld, seed %s: %zu variant%s x %d replications, target: P(SLO met) lower bound "
		"at least %g%%; status %s; started %s.",
	     p->name, (long long)p->id, p->seed, p->n, p->n == 1 ? "" : "s", p->replications, 100 * p->target,
	     p->status, p->created_at ? p->created_at : "?");
	para_end(d);
	plan_recommendation(d, p);
	heading(d, 2, "Variants");
	plan_table(d, p);
	para(d, "P(SLO met): the share of runs in which every service met its SLO, with its Wilson score 95% "
		"interval; p99: the median and 95th percentile over runs of each run's p99, with the variant's "
		"minReplicas; pod start p99 and nodes: medians over runs; USD/month: the month's cost (below; for a "
		"plan stored before schema version 7, the cluster's cost per hour before the spike x 730 h). From "
		"the tables plans, plan_variants and plan_services.");
	plan_month(d, p);
	plan_failures(d, p);
	plan_baselines(d, p);
	heading(d, 2, "Charts");
	char *tmp = d->md ? NULL : temp_dir(e);
	if (!d->md && !tmp)
		return -1;
	char prefix[512];
	snprintf(prefix, sizeof prefix, "%s-", stem);
	struct plot_chart *cs;
	size_t n;
	int rc = plot_plan_all(p, d->md ? PLOT_PNG : PLOT_SVG, d->md ? out_dir : tmp, d->md ? prefix : "", false, &cs,
			       &n, e);
	for (size_t i = 0; !rc && i < n; i++)
		rc = chart(d, &cs[i], e);
	plot_charts_free(cs, n);
	if (tmp)
		remove_dir(tmp);
	free(tmp);
	if (!rc) {
		plan_reproduce(d, p, db);
		heading(d, 2, "Scenario");
		para(d, "The scenario's YAML as the plan read it (before overrides):");
		pre(d, p->yaml);
		if (p->overrides[0]) {
			para(d, "Overrides (--set), in order:");
			pre(d, p->overrides);
		}
	}
	doc_end(d);
	return rc;
}

/* Splits FILE.html or FILE.md into its folder and stem. */
static int split_out(const struct cmd *cmd, const char *out, bool *md, char **dir, char **stem)
{
	size_t n = strlen(out);
	bool html = n > 5 && !strcmp(out + n - 5, ".html");
	*md = n > 3 && !strcmp(out + n - 3, ".md");
	if (!html && !*md)
		return cli_usage_error(cmd, "--out names the page: FILE.html or FILE.md, not '%s'", out);
	const char *slash = strrchr(out, '/');
	*dir = slash ? strndup(out, (size_t)(slash - out) + (slash == out)) : xstrdup(".");
	const char *base = slash ? slash + 1 : out;
	*stem = strndup(base, strlen(base) - (*md ? 3 : 5));
	return 0;
}

static int write_page(plot_db *db, const struct plot_run *r, const struct plot_plan *plan, const char *db_path,
		      const char *out, bool md, const char *dir, const char *stem, struct herr *e)
{
	char *tmp;
	int fd = plot_mkdirs(dir, e) ? -1 : plot_temp_beside(out, &tmp, e);
	if (fd < 0)
		return -1;
	FILE *f = fdopen(fd, "w");
	int rc = 0;
	if (!f) {
		rc = herr_at(e, out, 0, 0, "cannot write: %s", strerror(errno));
		close(fd);
	} else {
		struct doc d = {f, md};
		rc = plan ? plan_page(&d, plan, db_path, dir, stem, e) : page(&d, db, r, dir, stem, e);
		if ((ferror(f) | fclose(f)) && !rc)
			rc = herr_at(e, out, 0, 0, "cannot write: %s", strerror(errno));
	}
	if (!rc && rename(tmp, out))
		rc = herr_at(e, out, 0, 0, "cannot write: %s", strerror(errno));
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

int cmd_report(const struct cmd *cmd, int argc, char **argv)
{
	struct plot_args a;
	int rc = plot_args_parse(cmd, argc, argv, true, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (!a.out)
		return cli_usage_error(cmd, "where to? --out FILE.html or --out FILE.md");
	bool md;
	char *dir = NULL, *stem = NULL;
	if ((rc = split_out(cmd, a.out, &md, &dir, &stem)))
		return rc;
	plot_db *db;
	struct plot_run r;
	if (plot_args_want_plan(&a)) {
		/* The plan's page is not written yet: its charts are (headroom plot --plan). */
		struct plot_plan p;
		if (!(rc = plot_args_open_plan(&a, &db, &p))) {
			struct herr e = {""};
			if (write_page(db, NULL, &p, a.db, a.out, md, dir, stem, &e))
				rc = cli_fail(&e);
			else
				printf("%s\n", a.out);
			plot_plan_release(&p);
			plot_close(db);
		}
	} else if (!(rc = plot_args_open(&a, &db, &r))) {
		struct herr e = {""};
		if (write_page(db, &r, NULL, a.db, a.out, md, dir, stem, &e))
			rc = cli_fail(&e);
		else
			printf("%s\n", a.out);
		plot_run_release(&r);
		plot_close(db);
	}
	free(dir);
	free(stem);
	return rc;
}
