/*
 * plot_clusters.c: the clusters chart (plot_clusters.h).
 */
#include "plot_clusters.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES 16

static int fail(plot_db *db, struct herr *e, const char *what)
{
	return herr_at(e, plot_path(db), 0, 0, "%s: %s", what, sqlite3_errmsg(plot_sqlite(db)));
}

/* A name safe inside a gnuplot double-quoted title. */
static void clean(char *dst, size_t n, const char *s)
{
	size_t k = 0;
	for (; s && *s && k + 1 < n; s++)
		if (*s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
			dst[k++] = *s;
	dst[k] = '\0';
}

/* Writes the rows of query q (bound to run) as blocks, one per value of
 * its first column (the series' name, kept in names); the other columns
 * are numbers. */
static int blocks(plot_db *db, const char *q, int64_t run, int ncol, FILE *out, char (*names)[64], size_t *n,
		  size_t cap, size_t *blocks_out, struct herr *e)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(plot_sqlite(db), q, -1, &s, NULL) != SQLITE_OK)
		return fail(db, e, "cannot read the clusters' rows");
	sqlite3_bind_int64(s, 1, run);
	*n = 0;
	int rc;
	char cur[64] = "";
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char name[64];
		clean(name, sizeof name, (const char *)sqlite3_column_text(s, 0));
		if (!*n || strcmp(name, cur)) {
			if (*n == cap)
				break;
			if (*blocks_out)
				fputs("\n\n", out);
			fprintf(out, "# %s\n", name);
			snprintf(names[(*n)++], 64, "%s", name);
			snprintf(cur, sizeof cur, "%s", name);
			(*blocks_out)++;
		}
		for (int i = 1; i < ncol; i++) {
			double v = sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
			if (isnan(v))
				fputs(i > 1 ? " NaN" : "NaN", out);
			else
				fprintf(out, i > 1 ? " %.6g" : "%.6g", v);
		}
		fputc('\n', out);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(db, e, "cannot read the clusters' rows");
}

int plot_clusters_data(plot_db *db, int64_t run, FILE *out, char (*tg_names)[64], size_t *n_tgs,
		       char (*cl_names)[64], size_t *n_clusters, size_t cap, struct herr *e)
{
	static const char tgs[] = "SELECT rule || '/' || target_group || ' -> ' || cluster, t_s, 100 * share "
				  "FROM target_groups WHERE run_id = ?1 ORDER BY rule, target_group, t_s";
	static const char cls[] = "SELECT cluster, t_s, nodes, ready, errors, "
				  "CASE WHEN requests > 0 THEN 100.0 * errors / requests END "
				  "FROM cluster_samples WHERE run_id = ?1 ORDER BY cluster, t_s";
	size_t nb = 0;
	if (blocks(db, tgs, run, 3, out, tg_names, n_tgs, cap, &nb, e))
		return -1;
	return blocks(db, cls, run, 6, out, cl_names, n_clusters, cap, &nb, e);
}

static const char *const colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};

static void script(FILE *o, const struct plot_run *r, const char *data, size_t n, char (*tg)[64], size_t n_tg,
		   char (*cl)[64], size_t n_cl)
{
	fputs("$data << EOD\n", o);
	fwrite(data, 1, n, o);
	fputs("EOD\n", o);
	fputs("set multiplot\nset key outside right top\nset lmargin at screen 0.08\nset rmargin at screen 0.68\n", o);
	fprintf(o, "set label 1 \"run %lld: the ALB's target groups (share of the weight), nodes and errors per "
		   "cluster\" at screen 0.5, 0.975 center\n",
		(long long)r->id);
	fputs("set xlabel ''\nset format x ''\n", o);
	fputs("set tmargin at screen 0.93\nset bmargin at screen 0.68\nset ylabel 'share of weight (%)'\n"
	      "set yrange [0:105]\nplot ",
	      o);
	for (size_t i = 0; i < n_tg; i++)
		fprintf(o, "%s$data index %zu using ($1/60):2 with steps lw 3 lc '%s' title \"%s\"", i ? ", \\\n  " : "",
			i, colours[i % 6], tg[i]);
	fputs("\nunset label 1\nset tmargin at screen 0.64\nset bmargin at screen 0.39\nset ylabel 'nodes'\n"
	      "set yrange [0:*]\nplot ",
	      o);
	for (size_t i = 0; i < n_cl; i++)
		fprintf(o, "%s$data index %zu using ($1/60):2 with steps lw 2 lc '%s' title \"%s nodes\", \\\n"
			   "  $data index %zu using ($1/60):3 with steps lw 1.5 dt 2 lc '%s' title \"%s Ready\"",
			i ? ", \\\n  " : "", n_tg + i, colours[i % 6], cl[i], n_tg + i, colours[i % 6], cl[i]);
	fputs("\nset tmargin at screen 0.35\nset bmargin at screen 0.10\nset format x '%g'\nset xlabel 'minutes'\n"
	      "set ylabel 'errors (%)'\nset yrange [0:*]\nplot ",
	      o);
	for (size_t i = 0; i < n_cl; i++)
		fprintf(o, "%s$data index %zu using ($1/60):5 with lines lw 2 lc '%s' title \"%s errors %%\"",
			i ? ", \\\n  " : "", n_tg + i, colours[i % 6], cl[i]);
	fputs("\nunset multiplot\n", o);
}

int plot_clusters_draw(plot_db *db, const struct plot_run *r, enum plot_format fmt, const char *path, bool scripts,
		       bool *drawn, struct herr *e)
{
	*drawn = false;
	if (!plot_has_table(db, "cluster_samples") || !plot_has_table(db, "target_groups"))
		return 0;
	char tg[MAX_SERIES][64], cl[MAX_SERIES][64];
	size_t n_tg = 0, n_cl = 0, n = 0, len = 0;
	char *data = NULL, *text = NULL;
	FILE *d = open_memstream(&data, &n);
	if (!d)
		return herr_set(e, "out of memory");
	int rc = plot_clusters_data(db, r->id, d, tg, &n_tg, cl, &n_cl, MAX_SERIES, e);
	fclose(d);
	if (!rc && n_cl && n_tg) {
		FILE *o = open_memstream(&text, &len);
		if (!o) {
			free(data);
			return herr_set(e, "out of memory");
		}
		plot_script_head(o, fmt);
		script(o, r, data, n, tg, n_tg, cl, n_cl);
		fclose(o);
		rc = plot_draw(text, len, fmt, path, scripts, e);
		*drawn = !rc;
	}
	free(text);
	free(data);
	return rc;
}

int plot_clusters_all(plot_db *db, const struct plot_run *r, enum plot_format fmt, const char *dir, bool scripts,
		      FILE *out, struct herr *e)
{
	char path[4096];
	bool drawn;
	snprintf(path, sizeof path, "%s/clusters.%s", dir, fmt == PLOT_PNG ? "png" : "svg");
	int rc = plot_clusters_draw(db, r, fmt, path, scripts, &drawn, e);
	if (!rc && drawn)
		fprintf(out, "%s\n", path);
	return rc;
}
