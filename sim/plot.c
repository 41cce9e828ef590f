/*
 * plot.c: charts of a run with gnuplot (the model is in plot.h).
 *
 * Three parts: reading the database (read-only; every optional table and
 * column is looked up before it is used), the data and script of each
 * chart, and running gnuplot. A script is built whole in memory, so gnuplot
 * is started only when there is something to draw, and its standard input,
 * output and error are files (temporary, already unlinked), not pipes:
 * nothing can deadlock, and gnuplot dying early cannot SIGPIPE us.
 */
#include "plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct plot_db {
	sqlite3 *db;
	char *path; /* as given, for messages; owned */
};

/* ---- Reading the database --------------------------------------------- */

static int db_fail(plot_db *db, struct herr *e, const char *what)
{
	return herr_at(e, db->path, 0, 0, "%s: %s", what, sqlite3_errmsg(db->db));
}

static int prepare(plot_db *db, const char *sql, sqlite3_stmt **s, struct herr *e)
{
	if (sqlite3_prepare_v2(db->db, sql, -1, s, NULL) == SQLITE_OK)
		return 0;
	return db_fail(db, e, "cannot read the results");
}

/* A REAL column; NULL is NaN. */
static double col_real(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

/* A TEXT column, copied; NULL stays NULL. */
static char *col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

/* The schema version; a file that is not a headroom database is refused
 * with the words store.c uses. */
static int check_schema(plot_db *db, struct herr *e)
{
	sqlite3_stmt *s = NULL;
	int version = 0, rc = sqlite3_prepare_v2(db->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	else if ((sqlite3_errcode(db->db) & 0xff) == SQLITE_NOTADB)
		herr_at(e, db->path, 0, 0, "not a headroom database (%s)", sqlite3_errmsg(db->db));
	else
		db_fail(db, e, "cannot read the database");
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return -1;
	if (version < 1)
		return herr_at(e, db->path, 0, 0, "not a headroom results database (no headroom schema version); "
						 "'headroom run SCENARIO --db %s' makes one", db->path);
	return 0;
}

plot_db *plot_open(const char *path, struct herr *e)
{
	struct stat sb;
	if (stat(path, &sb) != 0) {
		herr_at(e, path, 0, 0, "cannot open the results database: %s", strerror(errno));
		return NULL;
	}
	if (S_ISDIR(sb.st_mode)) {
		herr_at(e, path, 0, 0, "is a directory, not a results database");
		return NULL;
	}
	plot_db *db = xcalloc(1, sizeof *db);
	db->path = xstrdup(path);
	/* Read-write (never create), so that closing the last connection can
	 * fold the WAL back and remove the -wal and -shm files, as a writer's
	 * close does; query_only makes sure nothing else is ever written. A
	 * file we may not write is read read-only. */
	int rc = sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK && db->db && sqlite3_errcode(db->db) != SQLITE_NOMEM) {
		sqlite3_close(db->db);
		db->db = NULL;
		rc = sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	}
	if (rc != SQLITE_OK)
		rc = db->db ? db_fail(db, e, "cannot open the results database") : herr_at(e, path, 0, 0, "out of memory");
	else {
		sqlite3_busy_timeout(db->db, 60 * 1000);
		sqlite3_exec(db->db, "PRAGMA query_only = ON", NULL, NULL, NULL);
		rc = check_schema(db, e);
	}
	if (!rc)
		return db;
	plot_close(db);
	return NULL;
}

void plot_close(plot_db *db)
{
	if (!db)
		return;
	sqlite3_close(db->db);
	free(db->path);
	free(db);
}

struct sqlite3 *plot_sqlite(plot_db *db) { return db->db; }

const char *plot_path(const plot_db *db) { return db->path; }

/* Whether a query with text parameters ?1, ?2 answers a row. */
static bool exists(plot_db *db, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *s = NULL;
	bool yes = false;
	if (sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
		if (b)
			sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
		yes = sqlite3_step(s) == SQLITE_ROW;
	}
	sqlite3_finalize(s);
	return yes;
}

bool plot_has_table(plot_db *db, const char *table)
{
	return exists(db, "SELECT 1 FROM sqlite_schema WHERE type IN ('table', 'view') AND name = ?1", table, NULL);
}

bool plot_has_column(plot_db *db, const char *table, const char *column)
{
	return exists(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", table, column);
}

/* ---- Reading a run ------------------------------------------------------- */

static const char SQL_RUN[] =
	"SELECT r.id, sc.name, sc.path, sc.yaml, sc.overrides, r.seed, r.params, r.status, r.started_at, "
	"r.version, r.variant, r.replication, r.wall_s, r.sim_s, r.requests, r.events "
	"FROM runs r JOIN scenarios sc ON sc.id = r.scenario_id ";

static void run_columns(sqlite3_stmt *s, struct plot_run *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->name = col_text(s, 1);
	r->path = col_text(s, 2);
	r->yaml = col_text(s, 3);
	r->overrides = col_text(s, 4);
	r->seed = col_text(s, 5);
	r->params = col_text(s, 6);
	r->status = col_text(s, 7);
	r->started_at = col_text(s, 8);
	r->version = col_text(s, 9);
	r->variant = sqlite3_column_int(s, 10);
	r->replication = sqlite3_column_int(s, 11);
	r->wall_s = col_real(s, 12);
	r->sim_s = col_real(s, 13);
	r->requests = sqlite3_column_type(s, 14) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 14);
	r->events = sqlite3_column_type(s, 15) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 15);
	if (!r->name)
		r->name = xstrdup("");
	if (!r->yaml)
		r->yaml = xstrdup("");
	if (!r->overrides)
		r->overrides = xstrdup("");
}

/* "no run 7 (runs 1 to 3)", or "no runs yet". */
static int no_run(plot_db *db, int64_t id, struct herr *e)
{
	sqlite3_stmt *s = NULL;
	int64_t n = 0, lo = 0, hi = 0;
	if (!prepare(db, "SELECT count(*), min(id), max(id) FROM runs", &s, e) && sqlite3_step(s) == SQLITE_ROW) {
		n = sqlite3_column_int64(s, 0);
		lo = sqlite3_column_int64(s, 1);
		hi = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	if (n == 0)
		return herr_at(e, db->path, 0, 0, "no runs yet ('headroom run SCENARIO --db %s' stores one)", db->path);
	return herr_at(e, db->path, 0, 0, "no run %lld (%lld run%s, ids %lld to %lld; --latest takes the last)",
		       (long long)id, (long long)n, n == 1 ? "" : "s", (long long)lo, (long long)hi);
}

/* The run's services: those with samples or summaries. */
static int read_services(plot_db *db, struct plot_run *r, struct herr *e)
{
	sqlite3_stmt *s = NULL;
	if (prepare(db, "SELECT service FROM samples WHERE run_id = ?1 UNION "
			"SELECT service FROM summaries WHERE run_id = ?1 ORDER BY 1", &s, e))
		return -1;
	sqlite3_bind_int64(s, 1, r->id);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (r->n_services == cap) {
			cap = cap ? 2 * cap : 8;
			r->services = xrealloc(r->services, cap * sizeof *r->services);
		}
		r->services[r->n_services++] = col_text(s, 0);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, e, "cannot read the services of the run");
}

/* Whether the file at path holds exactly text. */
bool plot_file_holds(const char *path, const char *text)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	size_t n = strlen(text), k = 0;
	bool same = true;
	int c;
	while (same && (c = getc(f)) != EOF)
		same = k < n && (unsigned char)text[k++] == c;
	fclose(f);
	return same && k == n;
}

/* Splits "k=v\n..." into an array of strings pointing into a copy. */
static char **split_lines(const char *text, char **copy, size_t *n)
{
	*copy = xstrdup(text);
	char **v = xcalloc(strlen(text) + 1, sizeof *v);
	*n = 0;
	for (char *p = *copy, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (*p)
			v[(*n)++] = p;
		if (!nl)
			break;
	}
	return v;
}

/* Writes text to a new private temporary folder as NAME, returns the file's
 * path (caller frees, and removes the file and folder). */
static char *temp_copy(const char *name, const char *text, struct herr *e)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512];
	snprintf(dir, sizeof dir, "%s/headroom-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		herr_at(e, dir, 0, 0, "cannot make a temporary folder: %s", strerror(errno));
		return NULL;
	}
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	bool ok = f && fputs(text, f) >= 0;
	if (f && fclose(f))
		ok = false;
	if (ok)
		return p;
	herr_at(e, p, 0, 0, "cannot write a temporary copy of the scenario: %s", strerror(errno));
	unlink(p);
	rmdir(dir);
	free(p);
	return NULL;
}

/* Reads the run's scenario again, from its file if that still holds the
 * stored text (so trace files next to it are found), else from a
 * temporary copy of the text. */
static void reread(struct plot_run *r)
{
	char *copy;
	size_t n_sets;
	char **sets = split_lines(r->overrides, &copy, &n_sets);
	const char *const *csets = (const char *const *)(void *)sets;
	r->path_current = r->path && plot_file_holds(r->path, r->yaml);
	if (r->path_current) {
		r->has_sc = scn_load(&r->sc, r->path, csets, n_sets, &r->sc_err) == 0;
	} else {
		const char *base = r->path ? strrchr(r->path, '/') : NULL;
		base = base ? base + 1 : r->path && *r->path ? r->path : "scenario.yaml";
		char *p = temp_copy(base, r->yaml, &r->sc_err);
		if (p) {
			r->has_sc = scn_load(&r->sc, p, csets, n_sets, &r->sc_err) == 0;
			unlink(p);
			*strrchr(p, '/') = '\0';
			rmdir(p);
			free(p);
		}
	}
	free(sets);
	free(copy);
}

/* Puts the services in the scenario's order (those it does not know last). */
static void order_services(struct plot_run *r)
{
	if (!r->has_sc)
		return;
	size_t k = 0;
	for (size_t i = 0; i < r->sc.n_services; i++)
		for (size_t j = k; j < r->n_services; j++)
			if (!strcmp(r->services[j], r->sc.services[i].name)) {
				char *t = r->services[k];
				r->services[k++] = r->services[j];
				r->services[j] = t;
				break;
			}
}

/* runs.epoch_s (schema 8), NaN when absent or NULL. */
static int read_epoch(plot_db *db, struct plot_run *r, struct herr *e)
{
	r->epoch_s = NAN;
	if (!plot_has_column(db, "runs", "epoch_s"))
		return 0;
	sqlite3_stmt *s = NULL;
	if (prepare(db, "SELECT epoch_s FROM runs WHERE id = ?1", &s, e))
		return -1;
	sqlite3_bind_int64(s, 1, r->id);
	if (sqlite3_step(s) == SQLITE_ROW)
		r->epoch_s = col_real(s, 0);
	sqlite3_finalize(s);
	return 0;
}

int plot_run_read(plot_db *db, int64_t id, struct plot_run *r, struct herr *e)
{
	memset(r, 0, sizeof *r);
	char sql[sizeof SQL_RUN + 64];
	snprintf(sql, sizeof sql, "%s%s", SQL_RUN, id > 0 ? "WHERE r.id = ?1" : "ORDER BY r.id DESC LIMIT 1");
	sqlite3_stmt *s = NULL;
	if (prepare(db, sql, &s, e))
		return -1;
	if (id > 0)
		sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		run_columns(s, r);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return no_run(db, id, e);
	if (rc != SQLITE_ROW)
		return db_fail(db, e, "cannot read the run");
	if (read_services(db, r, e) || read_epoch(db, r, e)) {
		plot_run_release(r);
		return -1;
	}
	reread(r);
	order_services(r);
	return 0;
}

void plot_run_release(struct plot_run *r)
{
	free(r->name);
	free(r->path);
	free(r->yaml);
	free(r->overrides);
	free(r->seed);
	free(r->params);
	free(r->status);
	free(r->started_at);
	free(r->version);
	for (size_t i = 0; i < r->n_services; i++)
		free(r->services[i]);
	free(r->services);
	if (r->has_sc)
		scn_free(&r->sc);
	memset(r, 0, sizeof *r);
}

const struct scn_service *plot_run_service(const struct plot_run *r, const char *name)
{
	if (!r->has_sc)
		return NULL;
	int i = scn_service_index(&r->sc, name);
	return i < 0 ? NULL : &r->sc.services[i];
}

double plot_pod_capacity(const struct scn_service *sv)
{
	double cores = sv->cpu_limit > 0 ? sv->cpu_limit : sv->cpu_request;
	return sv->cpu_per_request.mean > 0 ? cores / sv->cpu_per_request.mean : 0;
}

/* ---- Data ------------------------------------------------------------------ */

const char *plot_kind_name(enum plot_kind kind)
{
	static const char *const names[] = {"timeline", "latency", "startup", "sweep", "provisioners", "kafka"};
	return names[kind];
}

void plot_facts_release(struct plot_facts *f)
{
	free(f->spans);
	memset(f, 0, sizeof *f);
}

/* A number of a data block: NaN for undefined, else enough digits to give
 * back what SQLite holds. */
static void num(FILE *out, double v)
{
	if (isnan(v))
		fputs(" NaN", out);
	else
		fprintf(out, " %.15g", v);
}

/* The sample interval of the run, s: the scenario's, else the end of the
 * first interval (samples end at interval, 2 interval, ...). */
static double sample_interval(plot_db *db, const struct plot_run *r, const char *service)
{
	if (r->has_sc)
		return sim_to_s(r->sc.sample_interval);
	sqlite3_stmt *s = NULL;
	double iv = NAN;
	if (sqlite3_prepare_v2(db->db, "SELECT min(t_s) FROM samples WHERE run_id = ?1 AND service = ?2", -1, &s,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, r->id);
		sqlite3_bind_text(s, 2, service, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW)
			iv = col_real(s, 0);
	}
	sqlite3_finalize(s);
	return iv > 0 ? iv : NAN;
}

/* A column of samples, or NULL where the file's version lacks it. */
static const char *sample_col(plot_db *db, const char *name)
{
	return plot_has_column(db, "samples", name) ? name : "NULL";
}

/* Runs a data query: binds the run and service, then calls row() per row. */
static int each_row(plot_db *db, const char *sql, const struct plot_run *r, const char *service,
		    void (*row)(sqlite3_stmt *s, void *ctx), void *ctx, struct herr *e)
{
	sqlite3_stmt *s = NULL;
	if (prepare(db, sql, &s, e))
		return -1;
	sqlite3_bind_int64(s, 1, r->id);
	sqlite3_bind_text(s, 2, service, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		row(s, ctx);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, e, "cannot read the samples");
}

struct timeline_ctx {
	FILE *out;
	struct plot_facts *f;
	double interval_s;
	double cpu_s;   /* mean CPU per request, s (0: unknown) */
	double pod_rps; /* plot_pod_capacity (0: unknown) */
};

/* Requests per second the ready pods can serve on CPU: the cores they can
 * get on their nodes (samples.cpu_capacity, version 5) over the mean CPU
 * per request; in a row without it, ready x one pod's capacity. */
static double capacity_rps(struct timeline_ctx *c, double ready, double cores)
{
	if (!isnan(cores) && c->cpu_s > 0) {
		c->f->capacity_node = true;
		return cores / c->cpu_s;
	}
	if (c->pod_rps > 0 && !isnan(ready)) {
		c->f->capacity_ready = true;
		return ready * c->pod_rps;
	}
	return NAN;
}

static void timeline_row(sqlite3_stmt *s, void *ctx)
{
	struct timeline_ctx *c = ctx;
	double t = col_real(s, 0), ready = col_real(s, 6);
	fprintf(c->out, "%.15g", t);
	num(c->out, col_real(s, 1));
	num(c->out, col_real(s, 2));
	num(c->out, col_real(s, 3) / c->interval_s);
	for (int i = 4; i <= 7; i++)
		num(c->out, col_real(s, i));
	num(c->out, capacity_rps(c, ready, col_real(s, 10)));
	num(c->out, col_real(s, 8));
	num(c->out, col_real(s, 9));
	fputc('\n', c->out);
	c->f->n_rows++;
	c->f->n_defined += !isnan(col_real(s, 1));
	c->f->has_nodes |= !isnan(col_real(s, 8));
	double nodes = col_real(s, 8), starting = col_real(s, 9);
	if (!isnan(nodes))
		c->f->nodes_max = fmax(c->f->nodes_max, nodes + (isnan(starting) ? 0 : starting));
	c->f->t_end = t;
}

/* Whether the run has rows in table (which has a run_id column). */
static bool run_has_rows(plot_db *db, const char *table, int64_t run)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE run_id = ?1 LIMIT 1", table);
	sqlite3_stmt *s = NULL;
	bool yes = false;
	if (sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, run);
		yes = sqlite3_step(s) == SQLITE_ROW;
	}
	sqlite3_finalize(s);
	return yes;
}

/* The cluster's nodes per sample time, when the file has a nodes table
 * (results/SCHEMA.md, version 3) and the run has rows in it: a join clause,
 * and its two columns, ready and starting (launching + registered). A time
 * without a row had no node (the table has no rows of zeros). */
static void nodes_join(plot_db *db, int64_t run, char *join, size_t n, const char **ready, const char **starting)
{
	*join = '\0';
	*ready = *starting = "NULL";
	if (!plot_has_table(db, "nodes") || !plot_has_column(db, "nodes", "run_id") ||
	    !plot_has_column(db, "nodes", "t_s") || !plot_has_column(db, "nodes", "ready") ||
	    !run_has_rows(db, "nodes", run))
		return;
	bool launching = plot_has_column(db, "nodes", "launching"),
	     registered = plot_has_column(db, "nodes", "registered");
	snprintf(join, n, " LEFT JOIN (SELECT t_s, sum(ready) AS ready, %s AS starting FROM nodes "
			  "WHERE run_id = ?1 GROUP BY t_s) n ON n.t_s = s.t_s",
		 launching && registered ? "sum(launching + registered)"
		 : launching		 ? "sum(launching)"
		 : registered		 ? "sum(registered)"
					 : "NULL");
	*ready = "coalesce(n.ready, 0)";
	*starting = launching || registered ? "coalesce(n.starting, 0)" : "NULL";
}

int plot_timeline_data(plot_db *db, const struct plot_run *r, const char *service, FILE *out,
		       struct plot_facts *f, struct herr *e)
{
	memset(f, 0, sizeof *f);
	const struct scn_service *sv = plot_run_service(r, service);
	struct timeline_ctx c = {out, f, sample_interval(db, r, service), sv ? fmax(sv->cpu_per_request.mean, 0) : 0,
				 sv ? plot_pod_capacity(sv) : 0};
	f->interval_s = c.interval_s;
	char join[256], sql[1024];
	const char *nready, *nlaunch;
	nodes_join(db, r->id, join, sizeof join, &nready, &nlaunch);
	snprintf(sql, sizeof sql,
		 "SELECT s.t_s, s.offered_rps, s.served_rps, s.errors, s.replicas, s.%s, s.ready, s.%s, %s, %s, s.%s "
		 "FROM samples s%s WHERE s.run_id = ?1 AND s.service = ?2 ORDER BY s.t_s",
		 sample_col(db, "desired"), sample_col(db, "pending"), nready, nlaunch, sample_col(db, "cpu_capacity"),
		 join);
	/* s.NULL is not SQL: a missing column is a plain NULL. */
	for (char *p; (p = strstr(sql, "s.NULL"));)
		memmove(p, p + 2, strlen(p + 2) + 1);
	fputs("# t_s offered_rps served_rps failed_rps replicas desired ready pending capacity_rps nodes_ready "
	      "nodes_starting\n", out);
	int rc = each_row(db, sql, r, service, timeline_row, &c, e);
	f->has_capacity = f->capacity_node || f->capacity_ready;
	return rc;
}

struct latency_ctx {
	FILE *out;
	struct plot_facts *f;
	const struct scn_slo *slo; /* NULL: no objective known */
	size_t cap;                /* of f->spans */
};

/* Whether an interval breaks the objective as far as p50 and p99 tell: a
 * percentile at or below the objective's that is over the threshold puts
 * the objective's over it too. */
static bool breaks(const struct scn_slo *slo, double p50, double p99, double err_frac)
{
	if (!slo)
		return false;
	if (slo->has_latency) {
		double thr = sim_to_ms(slo->threshold);
		if ((slo->percentile >= 50 && p50 > thr) || (slo->percentile >= 99 && p99 > thr))
			return true;
	}
	return slo->has_errors && err_frac > slo->error_budget;
}

static void add_span(struct latency_ctx *c, double from, double to)
{
	struct plot_facts *f = c->f;
	if (f->n_spans && fabs(f->spans[f->n_spans - 1].to - from) < 1e-9) {
		f->spans[f->n_spans - 1].to = to;
		return;
	}
	if (f->n_spans == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		f->spans = xrealloc(f->spans, c->cap * sizeof *f->spans);
	}
	f->spans[f->n_spans++] = (struct plot_span){from, to};
}

static void latency_row(sqlite3_stmt *s, void *ctx)
{
	struct latency_ctx *c = ctx;
	double t = col_real(s, 0), p50 = col_real(s, 1), p99 = col_real(s, 2), iv = c->f->interval_s;
	double errors = col_real(s, 4), ended = round(col_real(s, 3) * iv) + errors;
	double err = ended > 0 ? errors / ended : NAN;
	bool bad = breaks(c->slo, p50, p99, err);
	fprintf(c->out, "%.15g", t);
	num(c->out, p50);
	num(c->out, p99);
	num(c->out, 100 * err);
	fprintf(c->out, " %d\n", bad);
	if (bad)
		add_span(c, t - iv, t);
	c->f->n_rows++;
	c->f->n_defined += !isnan(p99) || !isnan(p50);
	c->f->has_errors |= errors > 0;
	c->f->t_end = t;
}

int plot_latency_data(plot_db *db, const struct plot_run *r, const char *service, FILE *out,
		      struct plot_facts *f, struct herr *e)
{
	memset(f, 0, sizeof *f);
	const struct scn_service *sv = plot_run_service(r, service);
	struct latency_ctx c = {out, f, sv ? &sv->slo : NULL, 0};
	f->interval_s = sample_interval(db, r, service);
	fputs("# t_s p50_ms p99_ms error_pct violation\n", out);
	return each_row(db, "SELECT t_s, p50_ms, p99_ms, served_rps, errors FROM samples "
			    "WHERE run_id = ?1 AND service = ?2 ORDER BY t_s", r, service, latency_row, &c, e);
}

/* A pod's start-up: when it reached each step, s (NaN: not reached), and
 * when the node it went to was launched and became Ready (NaN: a node
 * without those rows, there from the start or in a file without them). */
enum { P_CREATED, P_SCHEDULED, P_PULLED, P_STARTED, P_APP, P_READY, P_NODE_LAUNCHED, P_NODE_READY, P_TIMES };
struct pod_times {
	double at[P_TIMES];
	double total;    /* created to ready, s */
	bool stuck;      /* the scheduler or the provisioner found no room at least once */
};

struct startup_ctx {
	struct pod_times *pods;
	size_t n, cap;
};

static void startup_row(sqlite3_stmt *s, void *ctx)
{
	struct startup_ctx *c = ctx;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->pods = xrealloc(c->pods, c->cap * sizeof *c->pods);
	}
	struct pod_times *p = &c->pods[c->n++];
	for (int i = 0; i < P_TIMES; i++)
		p->at[i] = col_real(s, i);
	p->stuck = sqlite3_column_int(s, P_TIMES) > 0;
	p->total = p->at[P_READY] - p->at[P_CREATED];
}

static int by_total(const void *a, const void *b)
{
	const struct pod_times *x = a, *y = b;
	if (x->total != y->total)
		return x->total < y->total ? -1 : 1;
	return (x->at[P_CREATED] > y->at[P_CREATED]) - (x->at[P_CREATED] < y->at[P_CREATED]);
}

/* Per pod of the service, the first time of each step; the node it was
 * first scheduled to is named by that row's detail (SQLite gives the bare
 * column of the row with the min(id)), and its launch and Ready come from
 * the node rows, in a file that has them. */
static const char SQL_PODS[] =
	"WITH pods AS (SELECT pod, min(CASE WHEN event = 'created' THEN t_s END) AS created, "
	"  min(CASE WHEN event = 'scheduled' THEN t_s END) AS scheduled, "
	"  min(CASE WHEN event = 'pulled' THEN t_s END) AS pulled, "
	"  min(CASE WHEN event = 'started' THEN t_s END) AS started, "
	"  min(CASE WHEN event = 'app-started' THEN t_s END) AS app, "
	"  min(CASE WHEN event = 'ready' THEN t_s END) AS ready, "
	"  count(CASE WHEN event IN ('unschedulable', 'unprovisionable') THEN 1 END) AS stuck "
	"  FROM decisions WHERE run_id = ?1 AND service = ?2 AND kind = 'pod' GROUP BY pod), "
	"sched AS (SELECT pod, detail AS node, min(id) FROM decisions "
	"  WHERE run_id = ?1 AND service = ?2 AND kind = 'pod' AND event = 'scheduled' GROUP BY pod), "
	"nodes AS (SELECT pod AS node, min(CASE WHEN event = 'launched' THEN t_s END) AS launched, "
	"  min(CASE WHEN event = 'ready' THEN t_s END) AS ready "
	"  FROM decisions WHERE run_id = ?1 AND kind = 'node' GROUP BY pod) "
	"SELECT p.created, p.scheduled, p.pulled, p.started, p.app, p.ready, n.launched, n.ready, p.stuck "
	"FROM pods p LEFT JOIN sched s ON s.pod = p.pod LEFT JOIN nodes n ON n.node = s.node";

/* The parts of a pod's start-up, as results/SCHEMA.md splits it (each from
 * the end of the one before, so they add up to the total): provisioning
 * (until the launch of a node launched after the pod was created), node
 * start (until that node is Ready), scheduling (until bound), image pull,
 * container start, application start, readiness probe. A step the log
 * lacks takes no time. */
#define N_PHASES 7
static void phases(const struct pod_times *p, double out[N_PHASES])
{
	double t0 = p->at[P_CREATED], sched = isnan(p->at[P_SCHEDULED]) ? t0 : p->at[P_SCHEDULED];
	double launch = isnan(p->at[P_NODE_LAUNCHED]) ? t0 : fmin(fmax(p->at[P_NODE_LAUNCHED], t0), sched);
	double nready = isnan(p->at[P_NODE_READY]) ? launch : fmin(fmax(p->at[P_NODE_READY], launch), sched);
	double at[N_PHASES + 1] = {t0, launch, nready, sched};
	for (int i = P_PULLED, k = 4; i <= P_READY; i++, k++)
		at[k] = isnan(p->at[i]) ? at[k - 1] : p->at[i];
	for (int k = 0; k < N_PHASES; k++)
		out[k] = at[k + 1] - at[k];
}

static void pod_line(FILE *out, size_t rank, const struct pod_times *p, struct plot_facts *f)
{
	double ph[N_PHASES];
	phases(p, ph);
	fprintf(out, "%zu", rank);
	num(out, p->at[P_CREATED]);
	for (int k = 0; k < N_PHASES; k++)
		num(out, ph[k]);
	num(out, p->total);
	fputc('\n', out);
	f->has_node_wait |= ph[0] > 0 || ph[1] > 0;
}

int plot_startup_data(plot_db *db, const struct plot_run *r, const char *service, FILE *out,
		      struct plot_facts *f, struct herr *e)
{
	memset(f, 0, sizeof *f);
	fputs("# rank created_s provisioning_s node_start_s scheduling_s pull_s container_s app_s probe_s total_s\n",
	      out);
	if (!plot_has_table(db, "decisions"))
		return 0;
	struct startup_ctx c = {NULL, 0, 0};
	if (each_row(db, SQL_PODS, r, service, startup_row, &c, e)) {
		free(c.pods);
		return -1;
	}
	/* The ready pods first, by time to ready; the pods there at the start
	 * (created at 0 and running at once) went through no start-up. */
	size_t n_ready = 0;
	for (size_t i = 0; i < c.n; i++) {
		struct pod_times *p = &c.pods[i];
		if (!isnan(p->total)) {
			struct pod_times t = c.pods[n_ready];
			c.pods[n_ready++] = *p;
			*p = t;
		} else if (p->at[P_CREATED] > 0 || !isnan(p->at[P_PULLED]) || p->stuck) {
			f->n_unready++;
		}
	}
	if (n_ready)
		qsort(c.pods, n_ready, sizeof *c.pods, by_total);
	for (size_t i = 0; i < n_ready; i++)
		pod_line(out, i + 1, &c.pods[i], f);
	f->n_rows = f->n_defined = n_ready;
	if (n_ready) {
		f->median_s = c.pods[(n_ready + 1) / 2 - 1].total; /* nearest rank, as summaries */
		f->max_s = c.pods[n_ready - 1].total;
	}
	free(c.pods);
	return 0;
}

/* ---- Scripts ---------------------------------------------------------------- */

/* The length of the UTF-8 sequence at p, or 0 if it is not valid UTF-8. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (size_t i = 1; i < n; i++)
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
			return 0;
	return n;
}

void plot_quote(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	fputc('\'', out);
	while (*p) {
		size_t n = utf8_len(p);
		if (n == 0) {
			fputc('?', out);
			p++;
		} else if (n > 1) {
			fwrite(p, 1, n, out);
			p += n;
		} else {
			fputs(*p == '\'' ? "''" : *p < 0x20 || *p == 0x7f ? " " : (const char[]){(char)*p, 0}, out);
			p++;
		}
	}
	fputc('\'', out);
}

/* printf into a string literal: the text is quoted as a whole. */
static void quotef(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void quotef(FILE *out, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	plot_quote(out, buf);
}

/* Colours, the same on every chart. */
#define C_OFFERED "#1f77b4"
#define C_SERVED "#2ca02c"
#define C_FAILED "#555555"
#define C_CAPACITY "#d62728"
#define C_SPIKE "#fde0c5"
#define C_BREACH "#f6c6c2"

static void terminal(FILE *o, enum plot_format fmt)
{
	fprintf(o, "set terminal %s size %d,%d noenhanced font 'sans,15' linewidth 1.5 background '#ffffff'\n",
		fmt == PLOT_PNG ? "pngcairo" : "svg", PLOT_WIDTH, PLOT_HEIGHT);
	fputs("set encoding utf8\n"
	      "set grid lc '#dddddd' lw 1\n"
	      "set border 3 lw 1\n"
	      "set tics nomirror out\n",
	      o);
}

/* The plot area's left and right edges (a right axis needs room), and the
 * legend to the right of it, its top at screen height top. */
static void frame(FILE *o, bool y2, double top)
{
	fprintf(o, "set lmargin at screen 0.10\nset rmargin at screen %.2f\n", y2 ? 0.62 : 0.68);
	fprintf(o, "set key at screen %.2f, screen %.2f left top vertical Left reverse samplen 2 spacing 1.15 "
		   "width -2\n", y2 ? 0.715 : 0.70, top);
}

/* Minutes on the axis, or hours for a long run: the divisor and the unit. */
static double time_axis(const struct plot_run *r, double t_end, const char **unit)
{
	double end = isnan(r->sim_s) ? t_end : r->sim_s;
	*unit = end > 3 * 3600 ? "h" : "min";
	return end > 3 * 3600 ? 3600 : 60;
}

/*
 * A run that replayed a trace (runs.epoch_s) is drawn on the trace's clock:
 * tics at whole clock steps (UTC), labelled HH:MM, so the chart lines up
 * with the dashboard the trace came from.
 */
static void clock_tics(FILE *o, double t0, double end, double div, bool labels)
{
	static const double steps[] = {60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
	double step = steps[ARRAY_LEN(steps) - 1];
	for (size_t i = 0; i < ARRAY_LEN(steps); i++)
		if (end / steps[i] <= 10) {
			step = steps[i];
			break;
		}
	fputs("set xtics (", o);
	const char *sep = "";
	for (double t = ceil(t0 / step) * step - t0; t <= end + 1e-6; t += step) {
		char hm[16] = "";
		time_t c = (time_t)llround(t0 + t);
		struct tm tm;
		if (labels && gmtime_r(&c, &tm))
			strftime(hm, sizeof hm, "%H:%M", &tm);
		fprintf(o, "%s\"%s\" %.15g", sep, hm, t / div);
		sep = ", ";
	}
	fputs(")\n", o);
	if (labels) {
		char day[64] = "";
		time_t c = (time_t)llround(t0);
		struct tm tm;
		if (gmtime_r(&c, &tm))
			strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(o, "set xlabel 'time (UTC) on the clock of the replayed trace; the run starts %s'\n", day);
	} else {
		fputs("unset xlabel\n", o);
	}
}

static void xaxis(FILE *o, const struct plot_run *r, const struct plot_facts *f, bool labels)
{
	const char *unit;
	double div = time_axis(r, f->t_end, &unit);
	double end = isnan(r->sim_s) ? f->t_end : r->sim_s;
	fprintf(o, "set xrange [0:%.15g]\n", end / div);
	if (!isnan(r->epoch_s)) {
		clock_tics(o, r->epoch_s, end, div, labels);
		return;
	}
	if (labels)
		fprintf(o, "set format x '%%g'\nset xlabel 'time since the start of the run (%s)'\n", unit);
	else
		fputs("set format x ''\nunset xlabel\n", o);
}

/* The chart's title, centred on the canvas (a multiplot's title): line1,
 * then "demo, run 3, seed 42 · extra". A name too long for the line is cut
 * (at a character, not inside one). */
static void title(FILE *o, const char *line1, const struct plot_run *r, const char *extra)
{
	char name[64];
	size_t n = strlen(r->name);
	if (n >= sizeof name) {
		n = sizeof name - 4;
		while (n > 0 && ((unsigned char)r->name[n] & 0xc0) == 0x80)
			n--;
		snprintf(name, sizeof name, "%.*s...", (int)n, r->name);
	} else {
		snprintf(name, sizeof name, "%s", r->name);
	}
	fputs("set multiplot title ", o);
	plot_quote(o, line1);
	fputs(" . \"\\n\" . ", o);
	quotef(o, "%s, run %lld, seed %s%s%s", name, (long long)r->id, r->seed ? r->seed : "?", *extra ? "  ·  " : "",
	       extra);
	fputc('\n', o);
}

static void datablock(FILE *o, const char *name, const char *data, size_t n)
{
	fprintf(o, "$%s << EOD\n", name);
	fwrite(data, 1, n, o);
	fputs("EOD\n", o);
}

/* The scenario's spikes, as spans, and a legend title short enough for the
 * legend's width: "spike in traffic: order ×5", "spikes: order ×1.5 ×2", or
 * when that is too long, no names. */
#define KEY_MAX 31 /* characters of a legend title that fit beside the chart */
static size_t spikes(const struct plot_run *r, struct plot_span *spans, size_t max, char *label, size_t n)
{
	char names[256] = "";
	size_t k = 0, len = 0;
	*label = '\0';
	if (!r->has_sc)
		return 0;
	for (size_t i = 0; i < r->sc.n_services; i++) {
		const struct scn_service *sv = &r->sc.services[i];
		if (!sv->traffic.enabled)
			continue;
		for (size_t j = 0; j < sv->traffic.n_spikes; j++) {
			const struct spike *sp = &sv->traffic.spikes[j];
			if (k < max)
				spans[k++] = (struct plot_span){sim_to_s(sp->start),
								sim_to_s(sp->start + sp->ramp + sp->hold + sp->decay)};
			if (len < sizeof names)
				len += (size_t)snprintf(names + len, sizeof names - len, "%s%s ×%g", len && !j ? ", " : "",
							j ? "" : sv->name, sp->factor);
		}
	}
	if (k == 1)
		snprintf(label, n, "spike in traffic: %s", names);
	else
		snprintf(label, n, "spikes: %s", names);
	size_t chars = 0; /* characters, not bytes: × is two */
	for (const char *c = label; *c; c++)
		chars += ((unsigned char)*c & 0xc0) != 0x80;
	if (chars > KEY_MAX)
		snprintf(label, n, "spikes in the scenario's traffic");
	return k;
}

static void shade(FILE *o, const struct plot_span *spans, size_t n, double div, const char *color)
{
	for (size_t i = 0; i < n; i++)
		fprintf(o, "set object rect from %.15g, graph 0 to %.15g, graph 1 behind fc '%s' fs solid 1.0 noborder\n",
			spans[i].from / div, spans[i].to / div, color);
}

/* A legend entry for shaded spans (objects have none). */
static void shade_key(FILE *o, const char *label, const char *color)
{
	fprintf(o, "NaN with boxes fs solid 1.0 noborder fc '%s' title ", color);
	plot_quote(o, label);
	fputs(", \\\n  ", o);
}

static void fmt_ms(char *buf, size_t n, double ms)
{
	snprintf(buf, n, ms < 10 ? "%.3g ms" : "%.0f ms", ms);
}

/* How the capacity line was drawn, for the title: "capacity = cores the
 * ready pods can get on their nodes ÷ 20 ms mean CPU per request", or for a
 * file without samples.cpu_capacity "capacity = ready pods × 2 cores ÷ ...". */
static void capacity_words(char *buf, size_t n, const struct scn_service *sv, const struct plot_facts *f)
{
	static const char node[] = "cores the ready pods can get on their nodes";
	double cores = sv->cpu_limit > 0 ? sv->cpu_limit : sv->cpu_request;
	const char *plural = cores == 1 ? "" : "s";
	char what[128];
	if (!f->capacity_ready)
		snprintf(what, sizeof what, "%s", node);
	else if (!f->capacity_node)
		snprintf(what, sizeof what, "ready pods × %g core%s", cores, plural);
	else /* some rows without cpu_capacity: a file edited by hand */
		snprintf(what, sizeof what, "(%s, else ready pods × %g core%s)", node, cores, plural);
	snprintf(buf, n, "capacity = %s ÷ %.3g ms mean CPU per request", what, 1e3 * sv->cpu_per_request.mean);
}

static void timeline_script(FILE *o, const struct plot_run *r, const char *service, const struct plot_facts *f,
			    const char *data, size_t n)
{
	const struct scn_service *sv = plot_run_service(r, service);
	const char *unit;
	double div = time_axis(r, f->t_end, &unit);
	char line1[512], extra[256] = "", key[256];
	struct plot_span sp[32];
	size_t n_sp = spikes(r, sp, ARRAY_LEN(sp), key, sizeof key);
	snprintf(line1, sizeof line1, "%s: traffic against serving capacity, and pods", service);
	if (f->has_capacity)
		capacity_words(extra, sizeof extra, sv, f);
	else if (!r->has_sc)
		snprintf(extra, sizeof extra, "scenario not readable: no capacity line or spikes");
	datablock(o, "data", data, n);
	title(o, line1, r, extra);
	/* Requests per second. */
	frame(o, f->has_nodes, 0.86);
	fputs("set tmargin at screen 0.86\nset bmargin at screen 0.50\n", o);
	xaxis(o, r, f, false);
	fputs("set ylabel 'requests per second'\nset yrange [0:*]\nset offsets 0, 0, graph 0.06, 0\n", o);
	shade(o, sp, n_sp, div, C_SPIKE);
	fputs("plot ", o);
	if (n_sp)
		shade_key(o, key, C_SPIKE);
	fprintf(o, "$data using ($1/%g):4 with lines lw 1.5 lc '%s' title 'failed (errors, time-outs, 503s)', \\\n",
		div, C_FAILED);
	fprintf(o, "  $data using ($1/%g):3 with lines lw 2 lc '%s' title 'served (answered)', \\\n", div, C_SERVED);
	fprintf(o, "  $data using ($1/%g):2 with lines lw 2 lc '%s' title 'offered (arrived)'", div, C_OFFERED);
	if (f->has_capacity)
		fprintf(o, ", \\\n  $data using ($1/%g):9 with steps lw 3 dt 2 lc '%s' title 'CPU capacity of ready pods'",
			div, C_CAPACITY);
	fputs("\n", o);
	/* Pods, and nodes where the database has them. */
	fputs("unset object\nset tmargin at screen 0.46\nset bmargin at screen 0.12\n", o);
	frame(o, f->has_nodes, 0.46);
	xaxis(o, r, f, true);
	fputs("set ylabel 'pods'\nset yrange [0:*]\nset ytics autofreq\n", o);
	if (f->has_nodes)
		fprintf(o, "set y2label 'nodes'\nset y2range [0:*]\nset y2tics %g\nset format y2 '%%g'\n",
			fmax(1, ceil(f->nodes_max / 6)));
	shade(o, sp, n_sp, div, C_SPIKE);
	fputs("plot ", o);
	fprintf(o, "$data using ($1/%g):7 with steps lw 3 lc '%s' title 'ready', \\\n", div, C_SERVED);
	fprintf(o, "  $data using ($1/%g):5 with steps lw 1.5 lc '%s' title 'pods (all)', \\\n", div, C_OFFERED);
	fprintf(o, "  $data using ($1/%g):6 with steps lw 2 dt 2 lc '#000000' title 'desired', \\\n", div);
	fprintf(o, "  $data using ($1/%g):8 with steps lw 1.5 lc '#ff7f0e' title 'pending'", div);
	if (f->has_nodes)
		fprintf(o, ", \\\n  $data using ($1/%g):10 axes x1y2 with steps lw 2 lc '#9467bd' title 'nodes ready (right axis)', \\\n"
			   "  $data using ($1/%g):11 axes x1y2 with steps lw 2 dt 3 lc '#8c564b' title 'nodes starting (right axis)'",
			div, div);
	fputs("\nunset multiplot\n", o);
}

/* The objective's words for the legend: "SLO: p99 <= 300 ms". */
static void slo_words(const struct scn_slo *slo, char *buf, size_t n)
{
	char thr[32];
	fmt_ms(thr, sizeof thr, sim_to_ms(slo->threshold));
	snprintf(buf, n, "SLO: p%g ≤ %s", slo->percentile, thr);
}

static void latency_script(FILE *o, const struct plot_run *r, const char *service, const struct plot_facts *f,
			   const char *data, size_t n)
{
	const struct scn_service *sv = plot_run_service(r, service);
	const struct scn_slo *slo = sv ? &sv->slo : NULL;
	const char *unit;
	double div = time_axis(r, f->t_end, &unit);
	char line1[256], extra[256] = "", words[64], key[128];
	snprintf(line1, sizeof line1, "%s: latency of answered requests per %g s interval", service, f->interval_s);
	if (!sv)
		snprintf(extra, sizeof extra, "scenario not readable: no SLO line");
	else if (!slo->has_latency && !slo->has_errors)
		snprintf(extra, sizeof extra, "no SLO declared");
	datablock(o, "data", data, n);
	title(o, line1, r, extra);
	frame(o, f->has_errors, 0.86);
	fputs("set tmargin at screen 0.86\nset bmargin at screen 0.12\n", o);
	xaxis(o, r, f, true);
	fputs("set logscale y\nset format y '%g'\nset ylabel 'latency (ms, log scale)'\n", o);
	shade(o, f->spans, f->n_spans, div, C_BREACH);
	if (f->has_errors)
		fputs("set y2label 'failed requests (% of those that ended)'\nset y2range [0:*]\nset y2tics\n", o);
	fputs("plot ", o);
	if (slo && (slo->has_latency || slo->has_errors)) {
		snprintf(key, sizeof key, f->n_spans ? "intervals breaking the SLO" : "no interval breaks the SLO");
		shade_key(o, key, C_BREACH);
	}
	fprintf(o, "$data using ($1/%g):3 with lines lw 2 lc '%s' title 'p99', \\\n", div, C_OFFERED);
	fprintf(o, "  $data using ($1/%g):2 with lines lw 2 lc '%s' title 'p50 (median)'", div, C_SERVED);
	if (slo && slo->has_latency) {
		slo_words(slo, words, sizeof words);
		fprintf(o, ", \\\n  %.15g with lines lw 3 dt 2 lc '%s' title ", sim_to_ms(slo->threshold), C_CAPACITY);
		plot_quote(o, words);
	}
	if (f->has_errors)
		fprintf(o, ", \\\n  $data using ($1/%g):4 axes x1y2 with lines lw 1.5 lc '%s' title 'failed (%%, right axis)'",
			div, C_FAILED);
	fputs("\nunset multiplot\n", o);
}

static void startup_script(FILE *o, const struct plot_run *r, const char *service, const struct plot_facts *f,
			   const char *data, size_t n)
{
	/* Top of the stack first: the legend reads as the bars do. Columns 3 to
	 * 9 of the data are the phases in time order. */
	static const struct {
		const char *title, *color;
	} ph[N_PHASES] = {
		{"readiness probe", "#9467bd"},	       {"application start", "#1f77b4"},
		{"container start", "#17becf"},	       {"image pull", "#ff7f0e"},
		{"scheduling (waiting)", "#d62728"},  {"node start (to Ready)", "#e377c2"},
		{"provisioning (to launch)", "#8c564b"},
	};
	char line1[256], extra[256];
	snprintf(line1, sizeof line1, "%s: pod start-up, created to Ready (%zu pod%s: median %.1f s, slowest %.1f s)",
		 service, f->n_rows, f->n_rows == 1 ? "" : "s", f->median_s, f->max_s);
	extra[0] = '\0';
	if (f->n_unready)
		snprintf(extra, sizeof extra, "%zu more pod%s not Ready by the end of the run", f->n_unready,
			 f->n_unready == 1 ? "" : "s");
	datablock(o, "data", data, n);
	title(o, line1, r, extra);
	frame(o, false, 0.86);
	fputs("set tmargin at screen 0.86\nset bmargin at screen 0.12\n", o);
	fprintf(o, "set xrange [0.4:%zu.6]\nset yrange [0:*]\n", f->n_rows);
	fputs("set xtics out nomirror\nset xtics autofreq\nset format x '%g'\n"
	      "set xlabel 'pods started during the run, fastest to slowest'\n"
	      "set ylabel 'seconds from created to Ready'\n"
	      "set style fill solid 1.0 noborder\nset boxwidth 0.8 absolute\nset grid noxtics\n",
	      o);
	if (f->n_rows < 10)
		fputs("set xtics 1\n", o);
	fputs("plot ", o);
	/* Cumulative sums drawn longest first, each bar over the next. The node
	 * phases are left out of the legend where no pod waited for a node. */
	int shown = f->has_node_wait ? N_PHASES : N_PHASES - 2;
	for (int k = 0; k < shown; k++) {
		fputs(k ? ", \\\n  $data using 1:(" : "$data using 1:(", o);
		for (int c = 3 + (N_PHASES - shown); c <= 3 + N_PHASES - 1 - k; c++)
			fprintf(o, "%s$%d", c > 3 + (N_PHASES - shown) ? "+" : "", c);
		fprintf(o, ") with boxes lc '%s' title ", ph[k].color);
		plot_quote(o, ph[k].title);
	}
	fputs("\nunset multiplot\n", o);
}

/* Whether the fonts a machine with gnuplot-nox has for sure (DejaVu, which
 * fontconfig's configuration depends on) draw code point c. pango draws a
 * character no font has as a box of hex digits, and under gnuplot's cairo
 * terminals that box comes out as big as the chart. */
static bool drawable(uint32_t c)
{
	static const uint32_t ranges[][2] = {
		{0x0000, 0x06ff},   /* Latin, IPA, Greek, Cyrillic, Armenian, Hebrew, Arabic */
		{0x10a0, 0x10ff},   /* Georgian */
		{0x1d00, 0x2bff},   /* Latin and Greek extended, punctuation, symbols, arrows, maths, shapes */
		{0x2c60, 0x2c7f},   /* Latin extended-C */
		{0xa720, 0xa7ff},   /* Latin extended-D */
		{0xfb00, 0xfb4f},   /* ligatures, Hebrew presentation forms */
		{0xfe70, 0xfeff},   /* Arabic presentation forms */
		{0xfff0, 0xffff},   /* specials: U+FFFD */
		{0x1f600, 0x1f64f}, /* emoticons */
	};
	for (size_t i = 0; i < ARRAY_LEN(ranges); i++)
		if (c >= ranges[i][0] && c <= ranges[i][1])
			return true;
	return false;
}

/* Copies a script to out; for a PNG, a character the fonts may lack
 * becomes U+FFFD (an SVG keeps it: its viewer has fonts of its own). The
 * script is valid UTF-8: names went through plot_quote, the rest is ASCII. */
static void copy_script(FILE *out, const char *script, size_t len, bool png)
{
	const unsigned char *p = (const unsigned char *)script, *end = p + len;
	while (p < end) {
		size_t n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		uint32_t c = n == 1 ? *p : *p & (0x7f >> n);
		for (size_t i = 1; i < n && p + i < end; i++)
			c = c << 6 | (p[i] & 0x3f);
		if (png && !drawable(c))
			fputs("\xef\xbf\xbd", out);
		else
			fwrite(p, 1, HR_MIN(n, (size_t)(end - p)), out);
		p += n;
	}
}

int plot_script(plot_db *db, const struct plot_run *r, enum plot_kind kind, const char *service,
		enum plot_format fmt, FILE *out, char *note, size_t note_len, struct herr *e)
{
	char *data = NULL;
	size_t n = 0;
	FILE *d = open_memstream(&data, &n);
	if (!d)
		return herr_set(e, "out of memory");
	struct plot_facts f;
	int rc = kind == PLOT_TIMELINE  ? plot_timeline_data(db, r, service, d, &f, e)
		 : kind == PLOT_LATENCY ? plot_latency_data(db, r, service, d, &f, e)
					: plot_startup_data(db, r, service, d, &f, e);
	fclose(d);
	if (!rc && f.n_defined == 0) {
		snprintf(note, note_len,
			 kind == PLOT_STARTUP	? "no pod of %s started during the run"
			 : kind == PLOT_LATENCY ? "%s answered no request during the run"
						: "%s has no samples in this run",
			 service);
	} else if (!rc) {
		char *script = NULL;
		size_t len = 0;
		FILE *o = open_memstream(&script, &len);
		if (!o)
			return herr_set(e, "out of memory");
		fputs("# headroom: the data blocks below are the chart's data, read from the results database\n", o);
		terminal(o, fmt);
		if (kind == PLOT_TIMELINE)
			timeline_script(o, r, service, &f, data, n);
		else if (kind == PLOT_LATENCY)
			latency_script(o, r, service, &f, data, n);
		else
			startup_script(o, r, service, &f, data, n);
		fclose(o);
		copy_script(out, script, len, fmt == PLOT_PNG);
		free(script);
		rc = 1;
	}
	plot_facts_release(&f);
	free(data);
	return rc;
}

/* ---- Running gnuplot ------------------------------------------------------- */

const char *plot_gnuplot_program(void)
{
	const char *p = getenv("HEADROOM_GNUPLOT");
	return p && *p ? p : "gnuplot";
}

/* gnuplot's complaint, from its standard error: the last lines, which say
 * what failed, on one line. */
static void complaint(int fd, char *buf, size_t n)
{
	char all[4096];
	ssize_t k = pread(fd, all, sizeof all - 1, 0);
	all[k > 0 ? k : 0] = '\0';
	char *p = all + strlen(all);
	while (p > all && (p[-1] == '\n' || p[-1] == ' '))
		*--p = '\0';
	for (int lines = 0; p > all && lines < 3; p--)
		lines += p[-1] == '\n';
	snprintf(buf, n, "%s", p);
	for (char *c = buf; *c; c++)
		if (*c == '\n' || *c == '\t')
			*c = ' ';
}

/* Starts gnuplot with stdin, stdout and stderr on the given files, waits. */
static int spawn_wait(const char *prog, int in, int out, int err, int *status, struct herr *e)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t deflt;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, err, 2);
	posix_spawnattr_init(&attr);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGPIPE);
	sigaddset(&deflt, SIGINT);
	sigaddset(&deflt, SIGTERM);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	char *argv[] = {xstrdup(prog), NULL};
	pid_t pid;
	int rc = posix_spawnp(&pid, prog, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(argv[0]);
	if (rc == ENOENT)
		return herr_set(e, "cannot run gnuplot: '%s' not found. Install the Debian package gnuplot-nox "
				   "(apt-get install gnuplot-nox), or set HEADROOM_GNUPLOT to the gnuplot program", prog);
	if (rc)
		return herr_set(e, "cannot run gnuplot ('%s'): %s. Install the Debian package gnuplot-nox "
				   "(apt-get install gnuplot-nox), or set HEADROOM_GNUPLOT to the gnuplot program",
				prog, strerror(rc));
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return herr_set(e, "gnuplot ('%s'): cannot wait for it: %s", prog, strerror(errno));
	return 0;
}

int plot_gnuplot(const char *script, size_t len, int out_fd, struct herr *e)
{
	const char *prog = plot_gnuplot_program();
	FILE *in = tmpfile(), *err = tmpfile();
	int rc = 0, status = 0;
	if (!in || !err)
		rc = herr_set(e, "cannot make a temporary file for gnuplot: %s", strerror(errno));
	if (!rc && (fwrite(script, 1, len, in) != len || fflush(in) || lseek(fileno(in), 0, SEEK_SET) < 0))
		rc = herr_set(e, "cannot write gnuplot's script to a temporary file: %s", strerror(errno));
	if (!rc)
		rc = spawn_wait(prog, fileno(in), out_fd, fileno(err), &status, e);
	if (!rc && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		char why[600];
		complaint(fileno(err), why, sizeof why);
		if (WIFSIGNALED(status))
			rc = herr_set(e, "gnuplot ('%s') was killed by signal %d: %s", prog, WTERMSIG(status), why);
		else
			rc = herr_set(e, "gnuplot ('%s') failed (exit status %d): %s", prog, WEXITSTATUS(status), why);
	}
	if (in)
		fclose(in);
	if (err)
		fclose(err);
	return rc;
}

/* ---- Files ----------------------------------------------------------------- */

int plot_mkdirs(const char *dir, struct herr *e)
{
	char *p = xstrdup(dir);
	int rc = 0;
	for (char *s = p + 1;; s++) {
		bool end = *s == '\0';
		if (!end && *s != '/')
			continue;
		*s = '\0';
		struct stat sb;
		if (mkdir(p, 0777) && errno != EEXIST)
			rc = herr_at(e, p, 0, 0, "cannot create the folder: %s", strerror(errno));
		else if (stat(p, &sb) || !S_ISDIR(sb.st_mode))
			rc = herr_at(e, p, 0, 0, "cannot create the folder: a file is in the way");
		if (rc || end)
			break;
		*s = '/';
	}
	free(p);
	return rc;
}

/* A service name as part of a file name: letters, digits, '.', '_', '-'. */
static void safe_part(char *out, size_t n, const char *s)
{
	size_t k = 0;
	for (; *s && k + 1 < n; s++, k++) {
		bool ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
			  *s == '_' || *s == '-' || (*s == '.' && k > 0);
		out[k] = ok ? *s : '_';
	}
	out[k] = '\0';
}

int plot_temp_beside(const char *path, char **tmp, struct herr *e)
{
	size_t n = strlen(path) + 8;
	*tmp = xmalloc(n);
	snprintf(*tmp, n, "%s.XXXXXX", path);
	int fd = mkstemp(*tmp);
	if (fd < 0) {
		herr_at(e, path, 0, 0, "cannot write: %s", strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	return fd;
}

/* Writes len bytes to path through a temporary file renamed into place. */
static int write_file(const char *path, const char *text, size_t len, struct herr *e)
{
	char *tmp;
	int fd = plot_temp_beside(path, &tmp, e), rc = 0;
	if (fd < 0)
		return -1;
	bool ok = write(fd, text, len) == (ssize_t)len;
	if (close(fd) || !ok || rename(tmp, path))
		rc = herr_at(e, path, 0, 0, "cannot write: %s", strerror(errno));
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* Draws one chart: the script to gnuplot, its image to path. */
static int draw(const char *script, size_t len, const char *path, struct herr *e)
{
	char *tmp;
	int fd = plot_temp_beside(path, &tmp, e), rc = 0;
	if (fd < 0)
		return -1;
	rc = plot_gnuplot(script, len, fd, e);
	if (close(fd) && !rc)
		rc = herr_at(e, path, 0, 0, "cannot write the chart: %s", strerror(errno));
	if (!rc && rename(tmp, path))
		rc = herr_at(e, path, 0, 0, "cannot write the chart: %s", strerror(errno));
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

void plot_script_head(FILE *o, enum plot_format fmt)
{
	fputs("# headroom: the data blocks below are the chart's data, read from the results database\n", o);
	terminal(o, fmt);
}

int plot_draw(const char *script, size_t len, enum plot_format fmt, const char *path, bool scripts,
	      struct herr *e)
{
	char *text = NULL;
	size_t n = 0;
	FILE *o = open_memstream(&text, &n);
	if (!o)
		return herr_set(e, "out of memory");
	copy_script(o, script, len, fmt == PLOT_PNG);
	fclose(o);
	int rc = draw(text, n, path, e);
	if (!rc && scripts) {
		char *gp = xstrdup(path);
		char *dot = strrchr(gp, '.');
		if (dot)
			strcpy(dot, ".gp");
		rc = write_file(gp, text, n, e);
		free(gp);
	}
	free(text);
	return rc;
}

/* One chart of plot_all: its script, then the image (and the script). */
static int one_chart(plot_db *db, const struct plot_run *r, enum plot_format fmt, const char *dir,
		     const char *prefix, bool scripts, struct plot_chart *c, struct herr *e)
{
	char *script = NULL, part[128];
	size_t len = 0;
	FILE *o = open_memstream(&script, &len);
	if (!o)
		return herr_set(e, "out of memory");
	int rc = c->kind == PLOT_KAFKA ? plot_kafka_script(db, r, c->service, fmt, o, c->note, sizeof c->note, e)
				       : plot_script(db, r, c->kind, c->service, fmt, o, c->note, sizeof c->note, e);
	fclose(o);
	if (rc == 1) {
		safe_part(part, sizeof part, c->service);
		size_t n = strlen(dir) + strlen(prefix) + strlen(part) + 32;
		c->path = xmalloc(n);
		snprintf(c->path, n, "%s/%s%s-%s.%s", dir, prefix, plot_kind_name(c->kind), part,
			 fmt == PLOT_PNG ? "png" : "svg");
		rc = draw(script, len, c->path, e);
		if (!rc && scripts) {
			char *gp = xstrdup(c->path);
			strcpy(strrchr(gp, '.'), ".gp");
			rc = write_file(gp, script, len, e);
			free(gp);
		}
		if (rc) {
			free(c->path);
			c->path = NULL;
		}
	}
	free(script);
	return rc < 0 ? -1 : 0;
}

int plot_all(plot_db *db, const struct plot_run *r, enum plot_format fmt, const char *dir, const char *prefix,
	     bool scripts, struct plot_chart **charts, size_t *n_charts, struct herr *e)
{
	*charts = xcalloc(r->n_services * (PLOT_N_KINDS + 1), sizeof **charts);
	*n_charts = 0;
	if (plot_mkdirs(dir, e))
		return -1;
	for (size_t i = 0; i < r->n_services; i++)
		for (int k = 0; k < PLOT_N_KINDS; k++) {
			struct plot_chart *c = &(*charts)[(*n_charts)++];
			c->kind = (enum plot_kind)k;
			c->service = r->services[i];
			if (one_chart(db, r, fmt, dir, prefix, scripts, c, e))
				return -1;
		}
	/* The Kafka charts, for the services that consume (no note for the rest). */
	for (size_t i = 0; i < r->n_services; i++) {
		if (!plot_kafka_has(db, r, r->services[i]))
			continue;
		struct plot_chart *c = &(*charts)[(*n_charts)++];
		c->kind = PLOT_KAFKA;
		c->service = r->services[i];
		if (one_chart(db, r, fmt, dir, prefix, scripts, c, e))
			return -1;
	}
	return 0;
}

void plot_charts_free(struct plot_chart *charts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(charts[i].path);
	free(charts);
}
