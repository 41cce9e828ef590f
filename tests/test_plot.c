/*
 * Charts: the escaping of names into gnuplot scripts (table-driven, then
 * through gnuplot itself: a name is printed back exactly and runs nothing),
 * the data behind each chart against the numbers in the database (a run
 * written with the store API, read back with plain SQLite), the capacity
 * line from samples.cpu_capacity or, without it, from the ready pods, files
 * without the optional columns and tables and with a nodes table, the errors
 * of opening and choosing a run, and gnuplot missing or failing.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plot.h"
#include "store.h"

/* ---- Fixture: a fresh directory per test ---------------------------------- */

static char dir[64];   /* the test's temporary directory */
static char path[128]; /* dir/r.db */

static void rm_tree(const char *p)
{
	struct stat sb;
	if (lstat(p, &sb) != 0)
		return;
	if (S_ISDIR(sb.st_mode)) {
		DIR *d = opendir(p);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char sub[512];
			snprintf(sub, sizeof sub, "%s/%s", p, de->d_name);
			rm_tree(sub);
		}
		if (d)
			closedir(d);
		rmdir(p);
	} else {
		unlink(p);
	}
}

static void setup(void)
{
	strcpy(dir, "/tmp/headroom-plot-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/r.db", dir);
}

static void teardown(void) { rm_tree(dir); }

TestSuite(plot, .init = setup, .fini = teardown);

/* ---- Escaping ------------------------------------------------------------- */

static char *quoted(const char *s)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	plot_quote(f, s);
	fclose(f);
	return out;
}

Test(plot, quote_table)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"order", "'order'"},
		{"", "''"},
		{"it's", "'it''s'"},
		{"''", "''''''"},
		{"a \"b\" c", "'a \"b\" c'"},
		{"`rm -rf /` @macro \\n $x", "'`rm -rf /` @macro \\n $x'"},
		{"line\nEOD\rx\ty", "'line EOD x y'"},
		{"Zürich 漢字 ü", "'Zürich 漢字 ü'"},
		{"\x7f", "' '"},
		{"bad \xff byte", "'bad ? byte'"},
		{"cut \xc3", "'cut ?'"},
		{"overlong \xc0\xaf", "'overlong ?\?'"}, /* "?\?": no trigraph */
		{"surrogate \xed\xa0\x80", "'surrogate ?\?\?'"},
		{"4 bytes \xf0\x9f\x98\x80", "'4 bytes \xf0\x9f\x98\x80'"},
		{"too high \xf4\x90\x80\x80", "'too high ?\?\?\?'"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *q = quoted(cases[i].in);
		cr_expect_str_eq(q, cases[i].out, "case %zu", i);
		free(q);
	}
}

/* Runs a script through gnuplot; returns what it printed to stdout. */
static char *gnuplot_out(const char *script, int *rc, struct herr *e)
{
	FILE *out = tmpfile();
	cr_assert_not_null(out);
	*rc = plot_gnuplot(script, strlen(script), fileno(out), e);
	static char buf[4096];
	ssize_t k = pread(fileno(out), buf, sizeof buf - 1, 0);
	buf[k > 0 ? k : 0] = '\0';
	fclose(out);
	return buf;
}

/* Through gnuplot: each name comes back as it went in, and nothing runs. */
Test(plot, quote_through_gnuplot)
{
	char pwned[256], evil[1024];
	snprintf(pwned, sizeof pwned, "%s/pwned", dir);
	snprintf(evil, sizeof evil, "`touch %s` @evil ' system(\"touch %s\") \\ ü", pwned, pwned);
	const char *names[] = {"order", "it's \"quoted\"", evil, "Zürich 漢字"};
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		char *script = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&script, &n);
		fputs("evil = 'x'\nset print '-'\nprint ", f);
		plot_quote(f, names[i]);
		fputs("\n", f);
		fclose(f);
		int rc;
		struct herr e = {""};
		char *got = gnuplot_out(script, &rc, &e);
		cr_assert_eq(rc, 0, "%s", e.msg);
		size_t len = strlen(got);
		if (len && got[len - 1] == '\n')
			got[len - 1] = '\0';
		cr_expect_str_eq(got, names[i]);
		free(script);
	}
	cr_expect_neq(access(pwned, F_OK), 0, "a name ran a command");
}

Test(plot, missing_gnuplot)
{
	setenv("HEADROOM_GNUPLOT", "/nonexistent/gnuplot", 1);
	cr_assert_str_eq(plot_gnuplot_program(), "/nonexistent/gnuplot");
	int rc;
	struct herr e = {""};
	gnuplot_out("print 1\n", &rc, &e);
	cr_assert_eq(rc, -1);
	cr_expect(strstr(e.msg, "gnuplot-nox") != NULL, "%s", e.msg);
	cr_expect(strstr(e.msg, "/nonexistent/gnuplot") != NULL, "%s", e.msg);
}

Test(plot, gnuplot_error_is_reported)
{
	int rc;
	struct herr e = {""};
	gnuplot_out("plot $nosuchblock using 1:2\n", &rc, &e);
	cr_assert_eq(rc, -1);
	cr_expect(strstr(e.msg, "gnuplot") && strstr(e.msg, "failed"), "%s", e.msg);
	cr_expect(strstr(e.msg, "nosuchblock") != NULL, "gnuplot's own words: %s", e.msg);
}

/* ---- A run in a database ----------------------------------------------------- */

/* Valid for scn_load, so the scenario can be read again: web has 2 cores
 * (its limit) and 20 ms of CPU per request, 100 rps per pod. */
#define YAML                                                                                             \
	"name: web\n"                                                                                    \
	"duration: 1m\n"                                                                                 \
	"sample_interval: 10s\n"                                                                         \
	"services:\n"                                                                                    \
	"  web:\n"                                                                                       \
	"    replicas: 4\n"                                                                              \
	"    resources: {requests: {cpu: 500m}, limits: {cpu: \"2\"}}\n"                                 \
	"    cpu_per_request: {distribution: constant, mean: 20ms}\n"                                    \
	"    traffic: {rate: 10rps, spikes: [{start: 20s, ramp: 0s, factor: 2, hold: 10s, decay: 0s}]}\n" \
	"    slo: {p99: 100ms, error_rate: 1%}\n"                                                        \
	"  db:\n"                                                                                        \
	"    replicas: 1\n"                                                                              \
	"    resources: {requests: {cpu: \"1\"}}\n"                                                      \
	"    cpu_per_request: 5ms\n"

/* web at 10 s: 3 errors of 126 ended (2.4 % > 1 %): breaks the SLO; at 20 s
 * p99 150.5 ms > 100 ms: breaks it; at 30 s nothing answered. The cores the
 * ready pods can get (cpu_capacity): at 10 s 4.5 of their 3 x 2 (their
 * nodes are busy), then all of their limits. */
static const struct row_sample samples[] = {
	{10, "web", 12.5, 12.25, 3, 1, 2, 41.75, 20.5, 80, 4, 3, 7, 0.1, 6, 2, 0.9375, 0.25, 0.5, 0.25, 4.5, NULL},
	{20, "web", 20, 19, 0, 0, 0, 50, 30, 150.5, 5, 5, 0, 0.2, 5, 0, NAN, 0.5, 0, 0, 10, NULL},
	{30, "web", 10, 0, 0, 0, 0, NAN, NAN, NAN, 5, 5, 0, NAN, 5, 0, NAN, 0, 0, 0, 10, NULL},
	{10, "db", 0, 0, 0, 0, 0, NAN, NAN, NAN, 1, 0, 0, 0, 1, 1, 0, 0, NAN, NAN, 0, NULL},
};

static const struct row_summary summaries[] = {
	{"web", 1000, 990, 10, 4, 6, 12.5, 10, 20.25, 80, NAN, 120.5, 0.01, 0.004, 0.625, 0, 0, 2, 60, 85, 0.125, 0.0625, 0, 1, -1, 0},
	{"db", 7, 7, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0.5, 0, -1, 0, NAN, NAN, NAN, NAN, -1, -1, -1, 0},
};

#define POD(t, pod, ev) {t, "web", "pod", pod, ev, 1, 1, -1, -1, -1, NULL, NULL, NULL}
#define NODE(t, node, ev) {t, "", "node", node, ev, 1, 0, -1, -1, -1, NULL, NULL, NULL}
/* web-4 went to a node that was there: 0 + 10 + 1 + 19 + 5 = 35 s. web-5
 * waited for node n-1, launched 5 s after it was created and Ready 45 s
 * later: 5 + 45 + 10 (until bound) + 1 + 1 + 18 + 5 = 85 s. web-0 was there
 * from the start; web-6 is not Ready by the end. */
static const struct row_decision decisions[] = {
	POD(0, "web-0", "created"),
	POD(0, "web-0", "scheduled"),
	POD(100, "web-4", "created"),
	{100, "web", "pod", "web-4", "scheduled", 1, 1, -1, -1, -1, NULL, NULL, "n-0"},
	POD(100, "web-5", "created"),
	POD(100, "web-5", "unschedulable"),
	NODE(105, "n-1", "launched"),
	POD(110, "web-4", "pulled"),
	POD(111, "web-4", "started"),
	POD(130, "web-4", "app-started"),
	POD(135, "web-4", "ready"),
	NODE(140, "n-1", "registered"),
	NODE(150, "n-1", "ready"),
	{160, "web", "pod", "web-5", "scheduled", 1, 1, -1, -1, -1, NULL, NULL, "n-1"},
	POD(161, "web-5", "pulled"),
	POD(162, "web-5", "started"),
	POD(180, "web-5", "app-started"),
	POD(185, "web-5", "ready"),
	POD(200, "web-6", "created"),
	POD(200, "web-6", "scheduled"),
	{95, "web", "hpa", NULL, "sync", 4, 6, 6, 6, 6, "scale_up_limit", "[]", NULL},
};

/* Writes one run of the rows above; returns its id. */
static int64_t write_run(const char *p)
{
	struct herr e = {""};
	store *st = store_open(p, NULL, &e);
	cr_assert_not_null(st, "%s", e.msg);
	struct scenario sc = {0};
	sc.name = "web";
	sc.text = YAML;
	sc.overrides = "";
	struct run_info ri = {&sc, 42, 0, 0, "{}"};
	cr_assert_eq(store_run_begin(st, &ri, &e), 0, "%s", e.msg);
	struct sink k = store_sink(st);
	for (size_t i = 0; i < ARRAY_LEN(samples); i++)
		k.sample(k.ctx, &samples[i]);
	for (size_t i = 0; i < ARRAY_LEN(summaries); i++)
		k.summary(k.ctx, &summaries[i]);
	for (size_t i = 0; i < ARRAY_LEN(decisions); i++)
		k.decision(k.ctx, &decisions[i]);
	struct run_end end = {"ok", 0.5, 1000, 2000, 60};
	int64_t id = 0;
	cr_assert_eq(store_run_commit(st, &end, &id, &e), 0, "%s", e.msg);
	store_close(st);
	return id;
}

static bool has_column_in(const char *p, const char *table, const char *column)
{
	struct herr e = {""};
	plot_db *db = plot_open(p, &e);
	cr_assert_not_null(db, "%s", e.msg);
	bool yes = plot_has_column(db, table, column);
	plot_close(db);
	return yes;
}

static void sql(const char *p, const char *text)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(p, &db), SQLITE_OK);
	char *err = NULL;
	cr_assert_eq(sqlite3_exec(db, text, NULL, NULL, &err), SQLITE_OK, "%s: %s", text, err);
	sqlite3_close(db);
}

/* Opens the file and reads run id (0: the latest). */
static plot_db *open_run(const char *p, int64_t id, struct plot_run *r)
{
	struct herr e = {""};
	plot_db *db = plot_open(p, &e);
	cr_assert_not_null(db, "%s", e.msg);
	cr_assert_eq(plot_run_read(db, id, r, &e), 0, "%s", e.msg);
	return db;
}

/* A chart's data lines, parsed: rows of up to 16 numbers. */
struct table {
	double v[32][16];
	int n_cols[32];
	size_t n;
	char header[256];
};

typedef int (*data_fn)(plot_db *, const struct plot_run *, const char *, FILE *, struct plot_facts *,
		       struct herr *);

static void data(data_fn fn, plot_db *db, const struct plot_run *r, const char *service, struct table *t,
		 struct plot_facts *f)
{
	char *text = NULL;
	size_t n = 0;
	FILE *o = open_memstream(&text, &n);
	struct herr e = {""};
	cr_assert_eq(fn(db, r, service, o, f, &e), 0, "%s", e.msg);
	fclose(o);
	memset(t, 0, sizeof *t);
	char *save, *line = strtok_r(text, "\n", &save);
	cr_assert(line && line[0] == '#', "a header line first");
	snprintf(t->header, sizeof t->header, "%s", line);
	for (line = strtok_r(NULL, "\n", &save); line && t->n < 32; line = strtok_r(NULL, "\n", &save), t->n++) {
		char *p = line, *end;
		for (int c = 0; c < 16; c++, p = end) {
			t->v[t->n][c] = strtod(p, &end);
			if (end == p)
				break;
			t->n_cols[t->n]++;
		}
		cr_assert_eq(*p, '\0', "only numbers in a data line: '%s'", line);
	}
	free(text);
}

static void expect_num(double got, double want, const char *what)
{
	if (isnan(want))
		cr_expect(isnan(got), "%s: got %.17g, want NaN", what, got);
	else
		cr_expect(fabs(got - want) <= 1e-12 * fmax(1, fabs(want)), "%s: got %.17g, want %.17g", what, got, want);
}

/* Column i of the current row of s; NULL is NaN. */
static double db_num(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

Test(plot, timeline_data_holds_the_db_numbers)
{
	int64_t id = write_run(path);
	struct plot_run r;
	plot_db *db = open_run(path, id, &r);
	cr_assert(r.has_sc, "the scenario is read again: %s", r.sc_err.msg);
	struct table t;
	struct plot_facts f;
	data(plot_timeline_data, db, &r, "web", &t, &f);
	cr_expect_eq(t.n, 3);
	cr_expect_eq(f.n_rows, 3);
	cr_expect(f.has_capacity);
	cr_expect(!f.has_nodes);
	expect_num(f.interval_s, 10, "interval");
	/* Every number against the database, read with plain SQLite. */
	sqlite3 *h;
	sqlite3_stmt *s;
	cr_assert_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h,
					"SELECT t_s, offered_rps, served_rps, errors, replicas, desired, ready, pending, "
					"cpu_capacity FROM samples WHERE run_id = ?1 AND service = 'web' ORDER BY t_s",
					-1, &s, NULL),
		     SQLITE_OK);
	sqlite3_bind_int64(s, 1, id);
	for (size_t i = 0; sqlite3_step(s) == SQLITE_ROW; i++) {
		cr_assert_lt(i, t.n);
		cr_expect_eq(t.n_cols[i], 11);
		expect_num(t.v[i][0], db_num(s, 0), "t_s");
		expect_num(t.v[i][1], db_num(s, 1), "offered_rps");
		expect_num(t.v[i][2], db_num(s, 2), "served_rps");
		expect_num(t.v[i][3], db_num(s, 3) / 10, "failed_rps");
		for (int c = 4; c <= 7; c++)
			expect_num(t.v[i][c], db_num(s, c), "replicas/desired/ready/pending");
		expect_num(t.v[i][8], db_num(s, 8) / 0.020, "capacity: cpu_capacity / 20 ms");
		expect_num(t.v[i][9], NAN, "nodes_ready");
	}
	sqlite3_finalize(s);
	sqlite3_close(h);
	/* And against the rows written, to the last digit. */
	expect_num(t.v[0][1], 12.5, "offered at 10 s");
	expect_num(t.v[0][3], 0.3, "3 errors in 10 s");
	expect_num(t.v[0][8], 225, "4.5 cores / 20 ms, not 3 ready pods x 100 rps");
	cr_expect(f.capacity_node && !f.capacity_ready);
	plot_facts_release(&f);
	plot_run_release(&r);
	plot_close(db);
}

Test(plot, latency_data_marks_the_intervals_breaking_the_slo)
{
	int64_t id = write_run(path);
	struct plot_run r;
	plot_db *db = open_run(path, id, &r);
	struct table t;
	struct plot_facts f;
	data(plot_latency_data, db, &r, "web", &t, &f);
	cr_assert_eq(t.n, 3);
	expect_num(t.v[0][1], 20.5, "p50 at 10 s");
	expect_num(t.v[0][2], 80, "p99 at 10 s");
	expect_num(t.v[0][3], 100.0 * 3 / 126, "errors of the requests that ended at 10 s");
	expect_num(t.v[0][4], 1, "10 s: over the error budget");
	expect_num(t.v[1][2], 150.5, "p99 at 20 s");
	expect_num(t.v[1][4], 1, "20 s: p99 over 100 ms");
	expect_num(t.v[2][1], NAN, "nothing answered at 30 s: p50 NULL");
	expect_num(t.v[2][2], NAN, "p99 NULL");
	expect_num(t.v[2][4], 0, "30 s: no breach");
	cr_expect_eq(f.n_defined, 2);
	cr_expect(f.has_errors);
	cr_assert_eq(f.n_spans, 1, "two adjacent intervals make one span");
	expect_num(f.spans[0].from, 0, "span from");
	expect_num(f.spans[0].to, 20, "span to");
	plot_facts_release(&f);
	plot_run_release(&r);
	plot_close(db);
}

Test(plot, startup_data_splits_each_pod_by_phase)
{
	int64_t id = write_run(path);
	struct plot_run r;
	plot_db *db = open_run(path, id, &r);
	struct table t;
	struct plot_facts f;
	data(plot_startup_data, db, &r, "web", &t, &f);
	cr_assert_eq(t.n, 2, "two pods became ready");
	static const double want[2][10] = {
		{1, 100, 0, 0, 0, 10, 1, 19, 5, 35},
		{2, 100, 5, 45, 10, 1, 1, 18, 5, 85},
	};
	for (size_t i = 0; i < 2; i++) {
		cr_expect_eq(t.n_cols[i], 10);
		for (int c = 0; c < 10; c++)
			expect_num(t.v[i][c], want[i][c],
				   "rank created provisioning node_start scheduling pull container app probe total");
	}
	cr_expect(f.has_node_wait);
	cr_expect_eq(f.n_unready, 1, "web-6; web-0 was there from the start");
	expect_num(f.median_s, 35, "median, by nearest rank");
	expect_num(f.max_s, 85, "max");
	/* db started no pod: nothing to draw. */
	char note[256] = "";
	struct herr e = {""};
	FILE *o = fopen("/dev/null", "w");
	cr_expect_eq(plot_script(db, &r, PLOT_STARTUP, "db", PLOT_PNG, o, note, sizeof note, &e), 0);
	fclose(o);
	cr_expect(strstr(note, "no pod of db started") != NULL, "%s", note);
	plot_facts_release(&f);
	plot_run_release(&r);
	plot_close(db);
}

/* The timeline script of service web, as SVG (which keeps every letter). */
static char *timeline_script_of(plot_db *db, const struct plot_run *r)
{
	char *script = NULL, note[256] = "";
	size_t n = 0;
	FILE *o = open_memstream(&script, &n);
	struct herr e = {""};
	cr_assert_eq(plot_script(db, r, PLOT_TIMELINE, "web", PLOT_SVG, o, note, sizeof note, &e), 1, "%s%s", e.msg,
		     note);
	fclose(o);
	return script;
}

/* The timeline's capacity in requests per second at 10, 20 and 30 s, and
 * its caption, for the run as the file at path holds it now. */
static void expect_capacity(int64_t id, const double want[3], bool node, bool ready, const char *caption)
{
	struct plot_run r;
	plot_db *db = open_run(path, id, &r);
	struct table t;
	struct plot_facts f;
	data(plot_timeline_data, db, &r, "web", &t, &f);
	cr_assert_eq(t.n, 3);
	for (size_t i = 0; i < 3; i++)
		expect_num(t.v[i][8], want[i], "capacity_rps");
	cr_expect(f.has_capacity);
	cr_expect_eq(f.capacity_node, node, "from cpu_capacity");
	cr_expect_eq(f.capacity_ready, ready, "from ready pods");
	char *script = timeline_script_of(db, &r);
	cr_expect(strstr(script, caption) != NULL, "want '%s' in:\n%s", caption, script);
	free(script);
	plot_facts_release(&f);
	plot_run_release(&r);
	plot_close(db);
}

/* The capacity line is what the ready pods can get on their nodes
 * (samples.cpu_capacity, version 5) over the CPU per request. A row
 * without it (NULL, as in a run stored before version 5), or a file without
 * the column, falls back to ready pods x one pod's limit; the caption says
 * which. */
Test(plot, timeline_capacity_is_what_the_pods_can_get)
{
	int64_t id = write_run(path);
	expect_capacity(id, (double[]){225, 500, 500}, true, false,
			"capacity = cores the ready pods can get on their nodes ÷ 20 ms mean CPU per request");
	sql(path, "UPDATE samples SET cpu_capacity = NULL WHERE service = 'web' AND t_s = 10");
	expect_capacity(id, (double[]){300, 500, 500}, true, true,
			"capacity = (cores the ready pods can get on their nodes, else ready pods × 2 cores) ÷ 20 ms "
			"mean CPU per request");
	sql(path, "UPDATE samples SET cpu_capacity = NULL");
	expect_capacity(id, (double[]){300, 500, 500}, false, true,
			"capacity = ready pods × 2 cores ÷ 20 ms mean CPU per request");
	sql(path, "ALTER TABLE samples DROP COLUMN cpu_capacity; PRAGMA user_version = 4");
	cr_assert(!has_column_in(path, "samples", "cpu_capacity"));
	expect_capacity(id, (double[]){300, 500, 500}, false, true,
			"capacity = ready pods × 2 cores ÷ 20 ms mean CPU per request");
}

/* The nodes table (version 3): summed over pools and types per time, a
 * time without a row is 0 nodes; a run without rows has no nodes columns. */
Test(plot, timeline_uses_the_nodes_table)
{
	int64_t first = write_run(path), id = write_run(path);
	cr_assert(has_column_in(path, "nodes", "registered"));
	char ins[512];
	snprintf(ins, sizeof ins,
		 "INSERT INTO nodes(run_id, t_s, pool, instance_type, launching, registered, ready, draining, "
		 "cost_per_hour) VALUES (%lld, 10, 'default', 'm5.large', 1, 1, 2, 0, 0.3), "
		 "(%lld, 10, 'static', 'c5.xlarge', 0, 0, 1, 0, 0.17), (%lld, 20, 'default', 'm5.large', 0, 0, 3, 1, 0.4);",
		 (long long)id, (long long)id, (long long)id);
	sql(path, ins);
	struct plot_run r;
	plot_db *db = open_run(path, id, &r);
	struct table t;
	struct plot_facts f;
	data(plot_timeline_data, db, &r, "web", &t, &f);
	cr_expect(f.has_nodes);
	expect_num(f.nodes_max, 5, "3 ready and 2 starting at 10 s");
	expect_num(t.v[0][9], 3, "nodes ready at 10 s");
	expect_num(t.v[0][10], 2, "nodes launching or registered at 10 s");
	expect_num(t.v[1][9], 3, "nodes ready at 20 s");
	expect_num(t.v[1][10], 0, "none starting at 20 s");
	expect_num(t.v[2][9], 0, "no nodes row at 30 s: no node");
	plot_facts_release(&f);
	plot_run_release(&r);
	/* The first run has no nodes rows: no nodes on its chart. */
	cr_assert_eq(plot_run_read(db, first, &r, &(struct herr){""}), 0);
	data(plot_timeline_data, db, &r, "web", &t, &f);
	cr_expect(!f.has_nodes);
	expect_num(t.v[0][9], NAN, "no nodes rows");
	plot_facts_release(&f);
	plot_run_release(&r);
	plot_close(db);
}

/* A version-1 file: no desired or pending, no decisions; read as it is. */
Test(plot, version_1_file)
{
	sql(path, "PRAGMA user_version = 1;"
		  "CREATE TABLE scenarios(id INTEGER PRIMARY KEY, name TEXT NOT NULL, path TEXT, hash TEXT NOT NULL, "
		  "  yaml TEXT NOT NULL, overrides TEXT NOT NULL, created_at TEXT NOT NULL);"
		  "CREATE TABLE runs(id INTEGER PRIMARY KEY, scenario_id INTEGER NOT NULL, variant INTEGER NOT NULL, "
		  "  replication INTEGER NOT NULL, seed TEXT NOT NULL, params TEXT NOT NULL, status TEXT NOT NULL, "
		  "  started_at TEXT NOT NULL, wall_s REAL, events INTEGER, requests INTEGER, sim_s REAL, version TEXT NOT NULL);"
		  "CREATE TABLE samples(run_id INTEGER NOT NULL, t_s REAL NOT NULL, service TEXT NOT NULL, offered_rps REAL, "
		  "  served_rps REAL, errors INTEGER NOT NULL, timeouts INTEGER NOT NULL, rejected INTEGER NOT NULL, "
		  "  mean_ms REAL, p50_ms REAL, p99_ms REAL, replicas INTEGER NOT NULL, ready INTEGER NOT NULL, "
		  "  in_flight INTEGER NOT NULL, cpu_util REAL);"
		  "CREATE TABLE summaries(run_id INTEGER NOT NULL, service TEXT NOT NULL);"
		  "INSERT INTO scenarios VALUES (1, 'old', NULL, 'h', 'name: old', '', '2025-01-01T00:00:00.000Z');"
		  "INSERT INTO runs VALUES (1, 1, 0, 0, '7', '{}', 'ok', '2025-01-01T00:00:00.000Z', 1, 1, 1, 20, '0.0.1');"
		  "INSERT INTO samples VALUES (1, 10, 'api', 5, 5, 0, 0, 0, 1, 1, 2, 2, 2, 0, 0.5);");
	struct plot_run r;
	plot_db *db = open_run(path, 0, &r);
	cr_expect_eq(r.id, 1);
	cr_expect_str_eq(r.seed, "7");
	cr_assert_eq(r.n_services, 1);
	cr_expect_str_eq(r.services[0], "api");
	struct table t;
	struct plot_facts f;
	data(plot_timeline_data, db, &r, "api", &t, &f);
	cr_assert_eq(t.n, 1);
	expect_num(t.v[0][5], NAN, "desired: no such column");
	expect_num(t.v[0][7], NAN, "pending: no such column");
	expect_num(t.v[0][6], 2, "ready");
	expect_num(f.interval_s, 10, "interval from the first sample");
	plot_facts_release(&f);
	data(plot_startup_data, db, &r, "api", &t, &f);
	cr_expect_eq(t.n, 0, "no decisions table: no pods");
	plot_facts_release(&f);
	plot_run_release(&r);
	plot_close(db);
}

Test(plot, choosing_a_run)
{
	write_run(path);
	int64_t second = write_run(path);
	struct plot_run r;
	plot_db *db = open_run(path, 0, &r);
	cr_expect_eq(r.id, second, "the latest");
	cr_expect_str_eq(r.name, "web");
	cr_expect_eq(r.n_services, 2);
	cr_expect_str_eq(r.services[0], "web", "in the scenario's order");
	cr_expect_str_eq(r.services[1], "db");
	cr_expect(!r.path_current, "no path stored");
	plot_run_release(&r);
	struct herr e = {""};
	cr_expect_eq(plot_run_read(db, 99, &r, &e), -1);
	cr_expect(strstr(e.msg, "no run 99 (2 runs, ids 1 to 2") != NULL, "%s", e.msg);
	plot_close(db);
}

Test(plot, opening_errors)
{
	struct herr e = {""};
	char p[256];
	snprintf(p, sizeof p, "%s/missing.db", dir);
	cr_expect_null(plot_open(p, &e));
	cr_expect(strstr(e.msg, "No such file") != NULL, "%s", e.msg);
	cr_expect_neq(access(p, F_OK), 0, "plot creates no file");
	snprintf(p, sizeof p, "%s/text.db", dir);
	FILE *f = fopen(p, "w");
	fputs("not a database, but long enough to be read as one and refused by SQLite: ....................\n", f);
	fclose(f);
	cr_expect_null(plot_open(p, &e));
	cr_expect(strstr(e.msg, "not a headroom database") != NULL, "%s", e.msg);
	snprintf(p, sizeof p, "%s/other.db", dir);
	sql(p, "CREATE TABLE t(x)");
	cr_expect_null(plot_open(p, &e));
	cr_expect(strstr(e.msg, "not a headroom results database") != NULL, "%s", e.msg);
	/* An empty headroom file: no runs. */
	store *st = store_open(path, NULL, &e);
	store_close(st);
	plot_db *db = plot_open(path, &e);
	cr_assert_not_null(db, "%s", e.msg);
	struct plot_run r;
	cr_expect_eq(plot_run_read(db, 0, &r, &e), -1);
	cr_expect(strstr(e.msg, "no runs yet") != NULL, "%s", e.msg);
	cr_expect(plot_has_table(db, "plans")); /* schema version 4: empty until a plan */
	cr_expect(plot_has_table(db, "pod_samples")); /* version 5 */
	cr_expect(plot_has_column(db, "samples", "cpu_capacity"));
	cr_expect(!plot_has_table(db, "no_such_table"));
	cr_expect(plot_has_table(db, "decisions"));
	cr_expect(plot_has_column(db, "samples", "desired"));
	cr_expect(!plot_has_column(db, "samples", "cost"));
	plot_close(db);
}

/* Names no scenario file may hold, but a database may: every chart still
 * draws, and nothing of the name runs. */
Test(plot, hostile_names_draw_and_run_nothing)
{
	int64_t id = write_run(path);
	char upd[4096], pwned[256];
	snprintf(pwned, sizeof pwned, "%s/pwned", dir);
	snprintf(upd, sizeof upd,
		 "UPDATE scenarios SET name = 'it''s \"a\" `touch %s` @x ' || char(10) || 'EOD' || char(10) || "
		 "'system(\"touch %s\") ü 漢';"
		 "UPDATE samples SET service = 'we''b \"x\" `touch %s`' WHERE service = 'web';"
		 "UPDATE decisions SET service = 'we''b \"x\" `touch %s`' WHERE service = 'web';",
		 pwned, pwned, pwned, pwned);
	sql(path, upd);
	struct plot_run r;
	plot_db *db = open_run(path, id, &r);
	char out[256];
	snprintf(out, sizeof out, "%s/charts", dir);
	struct plot_chart *c;
	size_t n;
	struct herr e = {""};
	cr_assert_eq(plot_all(db, &r, PLOT_PNG, out, "x-", true, &c, &n, &e), 0, "%s", e.msg);
	size_t drawn = 0;
	for (size_t i = 0; i < n; i++) {
		if (!c[i].path)
			continue;
		drawn++;
		unsigned char sig[8] = {0};
		FILE *f = fopen(c[i].path, "rb");
		cr_assert_not_null(f, "%s", c[i].path);
		cr_expect_eq(fread(sig, 1, 8, f), 8);
		fclose(f);
		cr_expect(!memcmp(sig, "\x89PNG\r\n\x1a\n", 8), "%s is a PNG", c[i].path);
		cr_expect(strstr(c[i].path, "`") == NULL && strstr(c[i].path, "'") == NULL, "file name %s", c[i].path);
	}
	cr_expect_eq(drawn, 4, "timeline, latency, start-up of the renamed web; timeline of db (which answered nothing)");
	cr_expect_neq(access(pwned, F_OK), 0, "a name ran a command");
	plot_charts_free(c, n);
	plot_run_release(&r);
	plot_close(db);
}

/* A PNG draws a letter the fonts may lack as U+FFFD (cairo would draw a box
 * the size of the chart); an SVG keeps it. */
Test(plot, png_replaces_letters_the_fonts_lack)
{
	int64_t id = write_run(path);
	sql(path, "UPDATE scenarios SET name = 'Zürich 漢字 ภาษา'");
	struct plot_run r;
	plot_db *db = open_run(path, id, &r);
	for (int fmt = PLOT_PNG; fmt <= PLOT_SVG; fmt++) {
		char *script = NULL, note[256];
		size_t n = 0;
		FILE *o = open_memstream(&script, &n);
		struct herr e = {""};
		cr_assert_eq(plot_script(db, &r, PLOT_LATENCY, "web", (enum plot_format)fmt, o, note, sizeof note, &e), 1,
			     "%s", e.msg);
		fclose(o);
		if (fmt == PLOT_PNG)
			cr_expect(strstr(script, "'Zürich \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd, run") != NULL,
				  "PNG: %s", strstr(script, "Z"));
		else
			cr_expect(strstr(script, "'Zürich 漢字 ภาษา, run") != NULL, "SVG: %s", strstr(script, "Z"));
		cr_expect(strstr(script, "set terminal pngcairo") ? fmt == PLOT_PNG : fmt == PLOT_SVG);
		free(script);
	}
	plot_run_release(&r);
	plot_close(db);
}
