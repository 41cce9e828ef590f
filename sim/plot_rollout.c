/*
 * plot_rollout.c: the rollout chart (plot_rollout.h).
 */
#include "plot_rollout.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static void num(FILE *out, double v)
{
	if (isnan(v))
		fputs(" NaN", out);
	else
		fprintf(out, " %.6g", v);
}

static double col(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

static int fail(plot_db *db, struct herr *e, const char *what)
{
	return herr_at(e, plot_path(db), 0, 0, "%s: %s", what, sqlite3_errmsg(plot_sqlite(db)));
}

int plot_rollout_data(plot_db *db, int64_t run, const char *service, FILE *out, size_t *n_rows, struct herr *e)
{
	static const char samples[] =
		"SELECT a.t_s, b.weight, a.pods, b.pods, a.ready, b.ready, 100 * a.error_rate, 100 * b.error_rate, "
		"a.p99_ms, b.p99_ms FROM version_samples a JOIN version_samples b ON b.run_id = a.run_id AND "
		"b.service = a.service AND b.t_s = a.t_s AND b.version = 1 WHERE a.run_id = ?1 AND a.service = ?2 AND "
		"a.version = 0 ORDER BY a.t_s";
	static const char measures[] =
		"SELECT t_s, json_extract(metrics, '$.verdict'), json_extract(metrics, '$.value'), "
		"json_extract(metrics, '$.metric') FROM decisions WHERE run_id = ?1 AND service = ?2 AND kind = 'rollout' "
		"AND event = 'measurement' ORDER BY id";
	sqlite3 *q = plot_sqlite(db);
	sqlite3_stmt *s = NULL;
	*n_rows = 0;
	if (sqlite3_prepare_v2(q, samples, -1, &s, NULL) != SQLITE_OK)
		return fail(db, e, "cannot read version_samples");
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_text(s, 2, service, -1, SQLITE_STATIC);
	fputs("# t_s weight pods0 pods1 ready0 ready1 err0_pct err1_pct p99_0_ms p99_1_ms\n", out);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		fprintf(out, "%.6g", sqlite3_column_double(s, 0));
		for (int i = 1; i < 10; i++)
			num(out, col(s, i));
		fputc('\n', out);
		(*n_rows)++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(db, e, "cannot read version_samples");
	if (sqlite3_prepare_v2(q, measures, -1, &s, NULL) != SQLITE_OK)
		return fail(db, e, "cannot read the rollout's decisions");
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_text(s, 2, service, -1, SQLITE_STATIC);
	fputs("\n\n# t_s verdict value metric\n", out);
	static const char *const verdicts[] = {"Successful", "Failed", "Inconclusive", "Error"};
	size_t n_m = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 1), *m = (const char *)sqlite3_column_text(s, 3);
		int code = 0;
		for (int k = 0; k < 4; k++)
			if (v && !strcmp(v, verdicts[k]))
				code = k + 1;
		fprintf(out, "%.6g %d", sqlite3_column_double(s, 0), code);
		num(out, col(s, 2));
		fprintf(out, " \"");
		for (const char *c = m ? m : ""; *c; c++)
			if (*c != '"' && *c != '\\' && (unsigned char)*c >= 0x20)
				fputc(*c, out);
		fputs("\"\n", out);
		n_m++;
	}
	if (!n_m) /* gnuplot wants a row in every block it plots */
		fputs("NaN 0 NaN \"\"\n", out);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(db, e, "cannot read the rollout's decisions");
	return 0;
}

static void script(FILE *o, const char *service, const struct plot_run *r, const char *data, size_t n)
{
	fputs("$data << EOD\n", o);
	fwrite(data, 1, n, o);
	fputs("EOD\n", o);
	fputs("set multiplot\nset key outside right top\nset lmargin at screen 0.08\nset rmargin at screen 0.68\n", o);
	fprintf(o, "set label 1 \"%s (run %lld): the rollout - new version's weight and analysis verdicts, pods, "
		   "errors and p99 per version\" at screen 0.5, 0.975 center\n",
		service, (long long)r->id);
	fputs("set xlabel ''\nset format x ''\n", o);
	/* weight and verdicts */
	fputs("set tmargin at screen 0.93\nset bmargin at screen 0.68\nset ylabel 'new version weight (%)'\n"
	      "set yrange [0:115]\n",
	      o);
	fputs("plot $data index 0 using ($1/60):2 with steps lw 3 lc '#1f77b4' title 'new version weight', \\\n"
	      "  $data index 1 using ($1/60):($2 == 1 ? 108 : 1/0) with points pt 7 ps 1.2 lc '#2ca02c' title "
	      "'measurement Successful', \\\n"
	      "  $data index 1 using ($1/60):($2 == 2 ? 108 : 1/0) with points pt 5 ps 1.5 lc '#d62728' title "
	      "'Failed', \\\n"
	      "  $data index 1 using ($1/60):($2 == 3 ? 108 : 1/0) with points pt 9 ps 1.5 lc '#ff7f0e' title "
	      "'Inconclusive', \\\n"
	      "  $data index 1 using ($1/60):($2 == 4 ? 108 : 1/0) with points pt 3 ps 1.5 lc '#7f7f7f' title "
	      "'Error (no data)'\n",
	      o);
	fputs("unset label 1\nset tmargin at screen 0.64\nset bmargin at screen 0.39\nset ylabel 'pods'\n"
	      "set yrange [0:*]\n",
	      o);
	fputs("plot $data index 0 using ($1/60):3 with steps lw 2 lc '#7f7f7f' title 'stable (old) pods', \\\n"
	      "  $data index 0 using ($1/60):5 with steps lw 2 dt 2 lc '#7f7f7f' title 'stable Ready', \\\n"
	      "  $data index 0 using ($1/60):4 with steps lw 2 lc '#1f77b4' title 'new pods', \\\n"
	      "  $data index 0 using ($1/60):6 with steps lw 2 dt 2 lc '#1f77b4' title 'new Ready'\n",
	      o);
	fputs("set tmargin at screen 0.35\nset bmargin at screen 0.10\nset format x '%g'\nset xlabel 'minutes'\n"
	      "set ylabel 'errors (%)'\nset y2label 'p99 (ms)'\nset y2tics\nset yrange [0:*]\nset y2range [0:*]\n",
	      o);
	fputs("plot $data index 0 using ($1/60):7 with lines lw 2 lc '#7f7f7f' title 'stable errors %', \\\n"
	      "  $data index 0 using ($1/60):8 with lines lw 2 lc '#d62728' title 'new errors %', \\\n"
	      "  $data index 0 using ($1/60):9 axes x1y2 with lines lw 1.5 dt 2 lc '#7f7f7f' title 'stable p99 (right)', \\\n"
	      "  $data index 0 using ($1/60):10 axes x1y2 with lines lw 1.5 dt 2 lc '#1f77b4' title 'new p99 (right)'\n",
	      o);
	fputs("unset multiplot\n", o);
}

static void safe_name(char *buf, size_t n, const char *s)
{
	size_t k = 0;
	for (; *s && k + 1 < n; s++)
		buf[k++] = (*s == '/' || *s == '.' || (unsigned char)*s < 0x20) ? '_' : *s;
	buf[k] = '\0';
}

int plot_rollout_all(plot_db *db, const struct plot_run *r, enum plot_format fmt, const char *dir, bool scripts,
		     FILE *out, struct herr *e)
{
	if (!plot_has_table(db, "version_samples"))
		return 0;
	for (size_t i = 0; i < r->n_services; i++) {
		char *data = NULL, *text = NULL;
		size_t n = 0, len = 0, rows = 0;
		FILE *d = open_memstream(&data, &n);
		if (!d)
			return herr_set(e, "out of memory");
		int rc = plot_rollout_data(db, r->id, r->services[i], d, &rows, e);
		fclose(d);
		if (!rc && rows) {
			FILE *o = open_memstream(&text, &len);
			if (!o) {
				free(data);
				return herr_set(e, "out of memory");
			}
			plot_script_head(o, fmt);
			script(o, r->services[i], r, data, n);
			fclose(o);
			char part[128], path[4096];
			safe_name(part, sizeof part, r->services[i]);
			snprintf(path, sizeof path, "%s/rollout-%s.%s", dir, part, fmt == PLOT_PNG ? "png" : "svg");
			rc = plot_draw(text, len, fmt, path, scripts, e);
			if (!rc)
				fprintf(out, "%s\n", path);
		}
		free(text);
		free(data);
		if (rc)
			return -1;
	}
	return 0;
}
