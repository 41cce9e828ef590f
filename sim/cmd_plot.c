/*
 * cmd_plot.c: `headroom plot`, the charts of a run as PNG or SVG files, and
 * the options plot and report share (which run, where to).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"
#include "plot_rollout.h"

static int parse_id(const struct cmd *cmd, const char *opt, const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = *s >= '0' && *s <= '9' ? strtoll(s, &end, 10) : -1;
	if (v < 1 || errno || *end)
		return cli_usage_error(cmd, "%s takes a %s id (a whole number from 1), got '%s'", opt,
				       strcmp(opt, "--plan") ? "run" : "plan", s);
	*out = v;
	return 0;
}

int plot_args_parse(const struct cmd *cmd, int argc, char **argv, bool report, struct plot_args *a)
{
	static const struct option longs[] = {
		{"run", required_argument, NULL, 'r'},	  {"latest", no_argument, NULL, 'l'},
		{"plan", required_argument, NULL, 'p'},	  {"out", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, 'f'}, {"scripts", no_argument, NULL, 's'},
		{"latest-plan", no_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	memset(a, 0, sizeof *a);
	a->plan = -1;
	optind = 0; /* GNU: start afresh */
	opterr = 0;
	int c, rc = 0;
	bool latest = false;
	while (!rc && (c = getopt_long(argc, argv, ":ho:", longs, NULL)) != -1) {
		if (c == 'h') {
			fputs(cmd->usage, stdout);
			return -1;
		} else if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			rc = c == ':' ? cli_usage_error(cmd, "option '%s' needs a value", bad)
				      : cli_usage_error(cmd, "unknown option '%s'", bad);
		} else if (report && (c == 'f' || c == 's')) {
			rc = cli_usage_error(cmd, "option '%s' does not apply to this command", argv[optind - 1]);
		} else if (c == 'r') {
			rc = parse_id(cmd, "--run", optarg, &a->run);
		} else if (c == 'l') {
			latest = true;
		} else if (c == 'p') {
			rc = parse_id(cmd, "--plan", optarg, &a->plan);
		} else if (c == 'L') {
			a->latest_plan = true;
		} else if (c == 'o') {
			a->out = optarg;
		} else if (c == 's') {
			a->scripts = true;
		} else if (c == 'f') {
			if (!strcmp(optarg, "png") || !strcmp(optarg, "svg"))
				a->format = optarg[0] == 'p' ? PLOT_PNG : PLOT_SVG;
			else
				rc = cli_usage_error(cmd, "--format is png or svg, not '%s'", optarg);
		}
	}
	while (!rc && optind < argc) {
		if (a->db)
			rc = cli_usage_error(cmd, "one database at a time; '%s' is extra", argv[optind]);
		a->db = argv[optind++];
	}
	if (!rc && !a->db)
		rc = cli_usage_error(cmd, "which results database? (e.g. results/demo.db)");
	if (!rc && (a->run > 0) + latest + (a->plan > 0) + a->latest_plan > 1)
		rc = cli_usage_error(cmd, "--run, --latest, --plan and --latest-plan choose what to draw: give one");
	if (!rc && a->latest_plan)
		a->plan = 0;
	if (!rc && a->out && !*a->out)
		rc = cli_usage_error(cmd, "--out needs a path");
	return rc;
}

/* Whether the database holds a plan (its plans table exists from schema
 * version 4 on, empty until `headroom plan` runs). */
static bool has_plans(plot_db *db)
{
	sqlite3_stmt *s = NULL;
	bool yes = sqlite3_prepare_v2(plot_sqlite(db), "SELECT 1 FROM plans LIMIT 1", -1, &s, NULL) == SQLITE_OK &&
		   sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return yes;
}

int plot_args_open(const struct plot_args *a, plot_db **db, struct plot_run *r)
{
	struct herr e;
	*db = plot_open(a->db, &e);
	if (!*db)
		return cli_fail(&e);
	int rc = 0;
	if (plot_run_read(*db, a->run, r, &e))
		rc = cli_fail(&e);
	if (rc) {
		plot_close(*db);
		*db = NULL;
	}
	return rc;
}

bool plot_args_want_plan(const struct plot_args *a) { return a->plan >= 0; }

int plot_args_open_plan(const struct plot_args *a, plot_db **db, struct plot_plan *p)
{
	struct herr e;
	*db = plot_open(a->db, &e);
	if (!*db)
		return cli_fail(&e);
	int rc = 0;
	if (!plot_has_table(*db, "plans") || !has_plans(*db)) {
		fprintf(stderr, "%s: this database has no plans (run headroom plan first)\n", a->db);
		rc = EXIT_USAGE;
	} else if (plot_plan_read(*db, a->plan, p, &e)) {
		rc = cli_fail(&e);
	}
	if (rc) {
		plot_close(*db);
		*db = NULL;
	}
	return rc;
}

/* results/demo.db -> results/charts/demo-run3 (or demo-plan2) */
static char *default_dir(const char *db, const char *what, int64_t run)
{
	const char *slash = strrchr(db, '/');
	size_t dir_len = slash ? (size_t)(slash - db) : 0;
	const char *base = slash ? slash + 1 : db;
	size_t base_len = strlen(base);
	if (base_len > 3 && !strcmp(base + base_len - 3, ".db"))
		base_len -= 3;
	size_t n = dir_len + base_len + 64;
	char *p = xmalloc(n);
	snprintf(p, n, "%.*s%scharts/%.*s-%s%" PRId64, (int)dir_len, db, slash ? "/" : "", (int)base_len, base, what,
		 run);
	return p;
}

/* The charts' paths on stdout; then, on stderr, notes on what was not drawn. */
static void print_charts(const struct plot_run *r, const struct plot_chart *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].path)
			printf("%s\n", c[i].path);
	fflush(stdout);
	if (!r->has_sc)
		fprintf(stderr, "headroom plot: note: the scenario of run %" PRId64 " could not be read again, so "
				"the charts have no SLO line, capacity line or spikes: %s\n",
			r->id, r->sc_err.msg);
	for (size_t i = 0; i < n; i++)
		if (!c[i].path && c[i].note[0])
			fprintf(stderr, "headroom plot: note: no %s chart: %s\n", plot_kind_name(c[i].kind), c[i].note);
}

/* plot --plan ID: the plan's charts. */
static int plot_plan_cmd(const struct plot_args *a)
{
	plot_db *db;
	struct plot_plan p;
	int rc = plot_args_open_plan(a, &db, &p);
	if (rc)
		return rc;
	char *dir = a->out ? NULL : default_dir(a->db, "plan", p.id);
	struct plot_chart *charts;
	size_t n;
	struct herr e;
	rc = plot_plan_all(&p, a->format, a->out ? a->out : dir, "", a->scripts, &charts, &n, &e);
	for (size_t i = 0; i < n; i++)
		if (charts[i].path)
			printf("%s\n", charts[i].path);
	fflush(stdout);
	for (size_t i = 0; i < n; i++)
		if (!charts[i].path && charts[i].note[0])
			fprintf(stderr, "headroom plot: note: no %s chart: %s\n", plot_kind_name(charts[i].kind),
				charts[i].note);
	if (rc)
		rc = cli_fail(&e);
	plot_charts_free(charts, n);
	free(dir);
	plot_plan_release(&p);
	plot_close(db);
	return rc;
}

int cmd_plot(const struct cmd *cmd, int argc, char **argv)
{
	struct plot_args a;
	int rc = plot_args_parse(cmd, argc, argv, false, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	plot_db *db;
	if (plot_args_want_plan(&a))
		return plot_plan_cmd(&a);
	struct plot_run r;
	if ((rc = plot_args_open(&a, &db, &r)))
		return rc;
	char *dir = a.out ? NULL : default_dir(a.db, "run", r.id);
	struct plot_chart *charts;
	size_t n;
	struct herr e;
	rc = plot_all(db, &r, a.format, a.out ? a.out : dir, "", a.scripts, &charts, &n, &e);
	print_charts(&r, charts, n);
	if (!rc) /* the rollout chart of a service with a rollout (docs/rollouts.md) */
		rc = plot_rollout_all(db, &r, a.format, a.out ? a.out : dir, a.scripts, stdout, &e);
	if (rc)
		rc = cli_fail(&e);
	plot_charts_free(charts, n);
	free(dir);
	plot_run_release(&r);
	plot_close(db);
	return rc;
}
