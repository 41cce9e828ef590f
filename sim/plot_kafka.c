/*
 * plot_kafka.c: the Kafka chart of a run (plot.h, PLOT_KAFKA): for a
 * service consuming topics, each of its consumer groups' lag over time
 * (top), and its consumers (members) against the topic's partitions
 * (bottom): where adding pods stops helping. Read from kafka_samples
 * (results/SCHEMA.md, version 11); a file or run without them has no Kafka
 * chart.
 */
#include "plot.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GROUPS 8
static const char *const colours[MAX_GROUPS] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
						"#ff7f0e", "#8c564b", "#e377c2", "#17becf"};

struct kgroup_rows {
	char *group, *topic; /* owned */
	char *data;          /* "t_s lag members partitions\n" lines (owned) */
	size_t n;
	size_t rows;
};

static void free_groups(struct kgroup_rows *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(g[i].group);
		free(g[i].topic);
		free(g[i].data);
	}
}

/* The service's groups in r, each with its rows; *n_groups of them. */
static int read_groups(plot_db *db, const struct plot_run *r, const char *service, struct kgroup_rows *g,
		       size_t *n_groups, struct herr *e)
{
	sqlite3 *d = plot_sqlite(db);
	sqlite3_stmt *s = NULL;
	const char *sql = "SELECT consumer_group, topic, t_s, lag, members, partitions FROM kafka_samples "
			  "WHERE run_id = ?1 AND service = ?2 ORDER BY consumer_group, topic, t_s";
	if (sqlite3_prepare_v2(d, sql, -1, &s, NULL) != SQLITE_OK)
		return herr_at(e, plot_path(db), 0, 0, "cannot read kafka_samples: %s", sqlite3_errmsg(d));
	sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_text(s, 2, service, -1, SQLITE_STATIC);
	size_t n = 0;
	FILE *o = NULL;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *grp = (const char *)sqlite3_column_text(s, 0), *top = (const char *)sqlite3_column_text(s, 1);
		if (!n || strcmp(g[n - 1].group, grp) || strcmp(g[n - 1].topic, top)) {
			if (o)
				fclose(o);
			o = NULL;
			if (n == MAX_GROUPS)
				break;
			g[n].group = xstrdup(grp);
			g[n].topic = xstrdup(top);
			o = open_memstream(&g[n].data, &g[n].n);
			n++;
			if (!o)
				break;
		}
		fprintf(o, "%.15g %lld %d %d\n", sqlite3_column_double(s, 2), (long long)sqlite3_column_int64(s, 3),
			sqlite3_column_int(s, 4), sqlite3_column_int(s, 5));
		g[n - 1].rows++;
	}
	if (o)
		fclose(o);
	sqlite3_finalize(s);
	*n_groups = n;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		free_groups(g, n);
		return herr_at(e, plot_path(db), 0, 0, "cannot read kafka_samples: %s", sqlite3_errmsg(d));
	}
	return 0;
}

static void script(FILE *o, const struct plot_run *r, const char *service, const struct kgroup_rows *g, size_t n,
		   enum plot_format fmt)
{
	plot_script_head(o, fmt);
	double end = 0;
	for (size_t i = 0; i < n; i++) {
		fprintf(o, "$g%zu << EOD\n", i);
		fwrite(g[i].data, 1, g[i].n, o);
		fputs("EOD\n", o);
	}
	end = isnan(r->sim_s) ? 0 : r->sim_s;
	double div = end > 3 * 3600 ? 3600 : 60;
	char line1[256], line2[256];
	snprintf(line1, sizeof line1, "%s: Kafka consumer lag, and consumers against partitions", service);
	snprintf(line2, sizeof line2, "%s, run %lld, seed %s", r->name, (long long)r->id, r->seed ? r->seed : "?");
	fputs("set multiplot title ", o);
	plot_quote(o, line1);
	fputs(" . \"\\n\" . ", o);
	plot_quote(o, line2);
	fputc('\n', o);
	fputs("set lmargin at screen 0.10\nset rmargin at screen 0.66\n"
	      "set key at screen 0.68, screen 0.86 left top vertical Left reverse samplen 2 spacing 1.15 width -2\n",
	      o);
	if (end > 0)
		fprintf(o, "set xrange [0:%.15g]\n", end / div);
	/* Lag. */
	fputs("set tmargin at screen 0.86\nset bmargin at screen 0.50\nset format x ''\nunset xlabel\n"
	      "set ylabel 'lag (messages)'\nset yrange [0:*]\n",
	      o);
	fputs("plot ", o);
	for (size_t i = 0; i < n; i++) {
		char t[300];
		snprintf(t, sizeof t, "%s (%s)", g[i].group, g[i].topic);
		fprintf(o, "%s$g%zu using ($1/%g):2 with lines lw 2 lc '%s' title ", i ? ", \\\n  " : "", i, div,
			colours[i]);
		plot_quote(o, t);
	}
	fputs("\n", o);
	/* Consumers and partitions. */
	fputs("set tmargin at screen 0.46\nset bmargin at screen 0.12\n", o);
	fprintf(o, "set format x '%%g'\nset xlabel 'time since the start of the run (%s)'\n", div == 60 ? "min" : "h");
	fputs("set key at screen 0.68, screen 0.46\nset ylabel 'consumers (members)'\nset yrange [0:*]\n", o);
	fputs("plot ", o);
	for (size_t i = 0; i < n; i++) {
		char t[300];
		snprintf(t, sizeof t, "%s", g[i].group);
		fprintf(o, "%s$g%zu using ($1/%g):3 with steps lw 2 lc '%s' title ", i ? ", \\\n  " : "", i, div,
			colours[i]);
		plot_quote(o, t);
		snprintf(t, sizeof t, "%s partitions", g[i].topic);
		fprintf(o, ", \\\n  $g%zu using ($1/%g):4 with steps lw 2 dt 2 lc '%s' title ", i, div, colours[i]);
		plot_quote(o, t);
	}
	fputs("\nunset multiplot\n", o);
}

int plot_kafka_script(plot_db *db, const struct plot_run *r, const char *service, enum plot_format fmt, FILE *out,
		      char *note, size_t note_len, struct herr *e)
{
	if (!plot_has_table(db, "kafka_samples")) {
		snprintf(note, note_len, "the database has no kafka_samples (written before schema version 11)");
		return 0;
	}
	struct kgroup_rows g[MAX_GROUPS];
	memset(g, 0, sizeof g);
	size_t n = 0;
	if (read_groups(db, r, service, g, &n, e))
		return -1;
	if (!n) {
		snprintf(note, note_len, "%s consumes no Kafka topic in this run", service);
		return 0;
	}
	script(out, r, service, g, n, fmt);
	free_groups(g, n);
	return 1;
}

bool plot_kafka_has(plot_db *db, const struct plot_run *r, const char *service)
{
	if (!plot_has_table(db, "kafka_samples"))
		return false;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(plot_sqlite(db), "SELECT 1 FROM kafka_samples WHERE run_id = ?1 AND service = ?2 LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_text(s, 2, service, -1, SQLITE_STATIC);
	bool has = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return has;
}
