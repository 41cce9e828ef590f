/*
 * cmd_export.c: `headroom export`, a stored run's series as OpenMetrics
 * text, named as the Kubernetes exporters name them, for `promtool tsdb
 * create-blocks-from openmetrics` and a team's own Grafana dashboards.
 *
 * What is derived from what (results/SCHEMA.md; docs/export.md says the
 * same for users):
 *   kube-state-metrics (gauges, at each sample time):
 *     kube_deployment_spec_replicas              samples.desired
 *     kube_deployment_status_replicas            samples.replicas
 *     kube_deployment_status_replicas_available  samples.ready
 *     kube_pod_status_phase{phase}               decisions of kind 'pod': Pending from `created` to
 *                                                `started`, Running from `started` to `deleted`
 *                                                (pods up before the run: from t = 0); 1 for
 *                                                the pod's phase, 0 for the four others, as
 *                                                kube-state-metrics writes them
 *   cAdvisor (counters, per pod, at each sample time it ran; runs with pod_samples):
 *     container_cpu_usage_seconds_total          pod_samples.cpu_cores x the interval, added up
 *     container_cpu_cfs_periods_total            the interval / 100 ms (the CFS period), added
 *                                                up, for services with a CPU limit only
 *     container_cpu_cfs_throttled_periods_total  those periods x pod_samples.cpu_throttled
 *                                                (a fluid model's share of time, a lower bound)
 *   Istio (reporter="destination", per service):
 *     istio_requests_total{response_code}        200: answered (served_rps x the interval);
 *                                                503: rejected; 504: timeouts; 500: other errors
 *     istio_request_duration_milliseconds        histogram of the answered requests:
 *                                                samples.latency_le (Envoy's default buckets),
 *                                                _sum from mean_ms x the count (schema 10)
 * Times: each sample's t_s after the run's t = 0, which is --start, else
 * the replayed trace's Unix time (runs.epoch_s), else the scenario's
 * `start:`, else when the run started
 * (runs.started_at). OpenMetrics (openmetrics.io, and Prometheus's
 * model/textparse/openmetricsparse.go): families not interleaved, counters
 * named NAME_total under `# TYPE NAME counter`, every sample with a
 * timestamp in seconds, each series in ascending time, `# EOF` last.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "plot.h"
#include "scn.h"
#include "sink.h"
#include "trace.h"

#define CFS_PERIOD_S 0.1 /* the kernel's default cpu.cfs_period_us, 100 ms */

struct ex {
	sqlite3 *db;
	FILE *o;
	int64_t run;
	double t0;          /* Unix time of t = 0, s */
	const char *ns;     /* the namespace label */
	const struct plot_run *r;
	double *grid;       /* the run's distinct sample times, s, ascending */
	size_t n_grid;
	bool has_pods;      /* pod_samples exists */
	bool has_le;        /* samples.latency_le exists */
	struct herr *e;
	const char *path;
	int rc;
};

static int db_err(struct ex *x, const char *what)
{
	x->rc = herr_at(x->e, x->path, 0, 0, "%s: %s", what, sqlite3_errmsg(x->db));
	return -1;
}

static sqlite3_stmt *query(struct ex *x, const char *sql)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(x->db, sql, -1, &s, NULL) != SQLITE_OK) {
		db_err(x, "cannot read the run");
		return NULL;
	}
	sqlite3_bind_int64(s, 1, x->run);
	return s;
}

/* A label value with \, " and newlines escaped. */
static void label(FILE *o, const char *k, const char *v, bool first)
{
	fprintf(o, "%s%s=\"", first ? "" : ",", k);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(o, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", o);
		else
			fputc(*v, o);
	}
	fputc('"', o);
}

/* A copy of a service in several clusters is stored as NAME@CLUSTER
 * (docs/clusters.md), which no Kubernetes name can be: its labels name
 * NAME, and its cluster goes in a label of its own (`cluster`, as a
 * multi-cluster Prometheus's external label; Istio's destination_cluster).
 * name_label writes k="NAME" (a pod's name: NAME and what follows
 * NAME@CLUSTER in it); cluster_label writes k="CLUSTER" for every service
 * of a run with clusters (a service in one cluster keeps its name). */
static void name_label(FILE *o, const char *k, const char *svc, const char *v)
{
	const char *at = strchr(svc, '@');
	size_t n = strlen(svc);
	if (!at || strncmp(v, svc, n)) {
		label(o, k, v, false);
		return;
	}
	char buf[512];
	snprintf(buf, sizeof buf, "%.*s%s", (int)(at - svc), svc, v + n);
	label(o, k, buf, false);
}

static void cluster_label(const struct ex *x, const char *k, const char *svc)
{
	const struct scn_service *sv = x->r->has_sc ? plot_run_service(x->r, svc) : NULL;
	const struct scenario *sc = &x->r->sc;
	const char *at = strchr(svc, '@');
	if (sv && sc->multi && sv->kcluster >= 0 && (size_t)sv->kcluster < sc->multi->n_clusters)
		label(x->o, k, sc->multi->clusters[sv->kcluster].name, false);
	else if (at) /* the scenario could not be read again: its name says */
		label(x->o, k, at + 1, false);
}

static void value_at(struct ex *x, double v, double t_s)
{
	fprintf(x->o, " %.17g %.3f\n", v, x->t0 + t_s);
}

static void family(struct ex *x, const char *name, const char *type, const char *help)
{
	fprintf(x->o, "# TYPE %s %s\n# HELP %s %s\n", name, type, name, help);
}

/* --- kube-state-metrics --- */

static void deployment_gauge(struct ex *x, const char *name, const char *col, const char *help)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT service, t_s, %s FROM samples WHERE run_id = ?1 AND %s IS NOT NULL "
				  "ORDER BY service, t_s", col, col);
	sqlite3_stmt *s = query(x, sql);
	if (!s)
		return;
	family(x, name, "gauge", help);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *svc = (const char *)sqlite3_column_text(s, 0);
		fprintf(x->o, "%s{", name);
		label(x->o, "namespace", x->ns, true);
		cluster_label(x, "cluster", svc);
		name_label(x->o, "deployment", svc, svc);
		fputc('}', x->o);
		value_at(x, sqlite3_column_double(s, 2), sqlite3_column_double(s, 1));
	}
	sqlite3_finalize(s);
}

static const char *const phases[] = {"Pending", "Running", "Succeeded", "Failed", "Unknown"};

/* One pod's phases at each sample time while it exists. */
static void pod_phases(struct ex *x, const char *svc, const char *pod, double created, double started,
		       double deleted)
{
	for (int p = 0; p < 5; p++)
		for (size_t i = 0; i < x->n_grid; i++) {
			double t = x->grid[i];
			if (t < created || t >= deleted)
				continue;
			int now = t < started ? 0 : 1;
			fputs("kube_pod_status_phase{", x->o);
			label(x->o, "namespace", x->ns, true);
			cluster_label(x, "cluster", svc);
			name_label(x->o, "pod", svc, pod);
			label(x->o, "phase", phases[p], false);
			fputc('}', x->o);
			value_at(x, now == p, t);
		}
}

static void pod_status(struct ex *x)
{
	/* A pod up before the run (models/pod.c make_up) is Running at t = 0
	 * with no 'started' row: scheduled at 0 and never pulled, as no pod
	 * placed during the run is (its image is pulled, or found cached). */
	sqlite3_stmt *s = query(x, "SELECT pod, service, min(CASE event WHEN 'created' THEN t_s END), "
				   "coalesce(min(CASE event WHEN 'started' THEN t_s END), "
				   "CASE WHEN min(CASE event WHEN 'scheduled' THEN t_s END) = 0 "
				   "AND count(CASE event WHEN 'pulled' THEN 1 END) = 0 THEN 0 END), "
				   "min(CASE event WHEN 'deleted' THEN t_s END) "
				   "FROM decisions WHERE run_id = ?1 AND kind = 'pod' GROUP BY service, pod ORDER BY service, pod");
	if (!s)
		return;
	family(x, "kube_pod_status_phase", "gauge", "The pods current phase (simulated by headroom).");
	while (sqlite3_step(s) == SQLITE_ROW) {
		double c = sqlite3_column_type(s, 2) == SQLITE_NULL ? INFINITY : sqlite3_column_double(s, 2);
		double st = sqlite3_column_type(s, 3) == SQLITE_NULL ? INFINITY : sqlite3_column_double(s, 3);
		double d = sqlite3_column_type(s, 4) == SQLITE_NULL ? INFINITY : sqlite3_column_double(s, 4);
		pod_phases(x, (const char *)sqlite3_column_text(s, 1), (const char *)sqlite3_column_text(s, 0), c, st,
			   d);
	}
	sqlite3_finalize(s);
}

/* --- cAdvisor --- */

/* The length of the sample interval ending at t_s. */
static double interval_at(const struct ex *x, double t_s)
{
	size_t lo = 0, hi = x->n_grid;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (x->grid[mid] < t_s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? t_s - x->grid[lo - 1] : t_s;
}

static bool has_limit(const struct ex *x, const char *service)
{
	const struct scn_service *sv = x->r->has_sc ? plot_run_service(x->r, service) : NULL;
	return sv && sv->cpu_limit > 0;
}

enum cpu_kind { CPU_USAGE, CPU_PERIODS, CPU_THROTTLED };

static void cpu_counter(struct ex *x, enum cpu_kind k, const char *name, const char *help)
{
	sqlite3_stmt *s = query(x, "SELECT service, pod, t_s, cpu_cores, cpu_throttled, node FROM pod_samples "
				   "WHERE run_id = ?1 ORDER BY service, pod, t_s");
	if (!s)
		return;
	family(x, name, "counter", help);
	char pod[256] = "";
	double total = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *svc = (const char *)sqlite3_column_text(s, 0), *p = (const char *)sqlite3_column_text(s, 1);
		if (k != CPU_USAGE && !has_limit(x, svc))
			continue;
		if (strcmp(pod, p)) {
			snprintf(pod, sizeof pod, "%s", p);
			total = 0;
		}
		double t = sqlite3_column_double(s, 2), dt = interval_at(x, t);
		if (k == CPU_USAGE)
			total += sqlite3_column_double(s, 3) * dt;
		else
			total += dt / CFS_PERIOD_S * (k == CPU_PERIODS ? 1 : sqlite3_column_double(s, 4));
		fprintf(x->o, "%s_total{", name);
		label(x->o, "namespace", x->ns, true);
		cluster_label(x, "cluster", svc);
		name_label(x->o, "pod", svc, p);
		name_label(x->o, "container", svc, svc);
		if (k == CPU_USAGE)
			label(x->o, "cpu", "total", false);
		fputc('}', x->o);
		value_at(x, total, t);
	}
	sqlite3_finalize(s);
}

/* --- Istio --- */

static void istio_labels(struct ex *x, const char *svc)
{
	char fqdn[512];
	const char *at = strchr(svc, '@');
	snprintf(fqdn, sizeof fqdn, "%.*s.%s.svc.cluster.local", at ? (int)(at - svc) : (int)strlen(svc), svc, x->ns);
	label(x->o, "reporter", "destination", true);
	cluster_label(x, "destination_cluster", svc);
	label(x->o, "destination_service", fqdn, false);
	name_label(x->o, "destination_service_name", svc, svc);
	label(x->o, "destination_service_namespace", x->ns, false);
	name_label(x->o, "destination_workload", svc, svc);
	label(x->o, "destination_workload_namespace", x->ns, false);
}

/* The interval's count of a response code. */
static double code_count(sqlite3_stmt *s, int code, double dt)
{
	double served = round(sqlite3_column_double(s, 2) * dt);
	int64_t errors = sqlite3_column_int64(s, 3), timeouts = sqlite3_column_int64(s, 4),
		rejected = sqlite3_column_int64(s, 5);
	switch (code) {
	case 200:
		return served;
	case 503:
		return (double)rejected;
	case 504:
		return (double)timeouts;
	default:
		return (double)(errors - timeouts - rejected);
	}
}

static void istio_requests(struct ex *x)
{
	static const int codes[] = {200, 500, 503, 504};
	family(x, "istio_requests", "counter", "Requests by response code (simulated by headroom).");
	for (size_t c = 0; c < ARRAY_LEN(codes); c++) {
		sqlite3_stmt *s = query(x, "SELECT service, t_s, served_rps, errors, timeouts, rejected FROM samples "
					   "WHERE run_id = ?1 ORDER BY service, t_s");
		if (!s)
			return;
		char svc[256] = "";
		double total = 0;
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(s, 0);
			double t = sqlite3_column_double(s, 1), n = code_count(s, codes[c], interval_at(x, t));
			if (strcmp(svc, name)) {
				snprintf(svc, sizeof svc, "%s", name);
				total = 0;
			}
			total += n;
			if (codes[c] != 200 && total == 0)
				continue; /* a code's series appears with its first request, as in Envoy */
			char code[8];
			snprintf(code, sizeof code, "%d", codes[c]);
			fputs("istio_requests_total{", x->o);
			istio_labels(x, name);
			label(x->o, "response_code", code, false);
			fputc('}', x->o);
			value_at(x, total, t);
		}
		sqlite3_finalize(s);
	}
}

static void bucket(struct ex *x, const char *svc, const char *suffix, const char *le, double v, double t)
{
	fprintf(x->o, "istio_request_duration_milliseconds%s{", suffix);
	istio_labels(x, svc);
	label(x->o, "response_code", "200", false);
	if (le)
		label(x->o, "le", le, false);
	fputc('}', x->o);
	value_at(x, v, t);
}

/* "[1,2,...]" into n counts; false if it is not that. */
static bool parse_le(const char *s, uint64_t *c, size_t n)
{
	if (!s || *s++ != '[')
		return false;
	for (size_t j = 0; j < n; j++) {
		char *end;
		errno = 0;
		c[j] = strtoull(s, &end, 10);
		if (errno || end == s || *end != (j + 1 < n ? ',' : ']'))
			return false;
		s = end + 1;
	}
	return true;
}

static void istio_duration(struct ex *x)
{
	static const double le_ms[SINK_N_LE] = SINK_LE_MS;
	sqlite3_stmt *s = query(x, "SELECT service, t_s, latency_le, mean_ms FROM samples WHERE run_id = ?1 "
				   "AND latency_le IS NOT NULL ORDER BY service, t_s");
	if (!s)
		return;
	family(x, "istio_request_duration_milliseconds", "histogram",
	       "Latency of answered requests, ms (simulated by headroom).");
	char svc[256] = "";
	uint64_t total[SINK_N_LE], c[SINK_N_LE];
	double sum = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		double t = sqlite3_column_double(s, 1);
		if (!parse_le((const char *)sqlite3_column_text(s, 2), c, SINK_N_LE))
			continue;
		if (strcmp(svc, name)) {
			snprintf(svc, sizeof svc, "%s", name);
			memset(total, 0, sizeof total);
			sum = 0;
		}
		for (size_t j = 0; j < SINK_N_LE; j++)
			total[j] += c[j];
		if (c[SINK_N_LE - 1] && sqlite3_column_type(s, 3) != SQLITE_NULL)
			sum += sqlite3_column_double(s, 3) * (double)c[SINK_N_LE - 1];
		for (size_t j = 0; j < SINK_N_LE; j++) {
			char le[32];
			snprintf(le, sizeof le, "%.10g", le_ms[j]);
			bucket(x, name, "_bucket", le, (double)total[j], t);
		}
		bucket(x, name, "_bucket", "+Inf", (double)total[SINK_N_LE - 1], t);
		bucket(x, name, "_count", NULL, (double)total[SINK_N_LE - 1], t);
		bucket(x, name, "_sum", NULL, sum, t);
	}
	sqlite3_finalize(s);
}

/* --- the command --- */

static int read_grid(struct ex *x)
{
	sqlite3_stmt *s = query(x, "SELECT DISTINCT t_s FROM samples WHERE run_id = ?1 ORDER BY t_s");
	if (!s)
		return -1;
	size_t cap = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		x->grid = xgrow(x->grid, &cap, x->n_grid + 1, sizeof *x->grid);
		x->grid[x->n_grid++] = sqlite3_column_double(s, 0);
	}
	sqlite3_finalize(s);
	if (!x->n_grid)
		return herr_at(x->e, x->path, 0, 0, "run %lld has no samples (a run of a plan keeps none): nothing to export",
			       (long long)x->run);
	return 0;
}

/* t = 0 of the run: runs.epoch_s, else the scenario's `start:` (the clock
 * of its cron and budget schedules), else runs.started_at. */
static int find_start(struct ex *x, plot_db *db)
{
	bool has_epoch = plot_has_column(db, "runs", "epoch_s");
	sqlite3_stmt *s = query(x, has_epoch ? "SELECT epoch_s, CAST(strftime('%s', started_at) AS REAL) FROM runs "
					       "WHERE id = ?1"
					     : "SELECT NULL, CAST(strftime('%s', started_at) AS REAL) FROM runs WHERE id = ?1");
	if (!s)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		bool no_epoch = sqlite3_column_type(s, 0) == SQLITE_NULL;
		x->t0 = sqlite3_column_double(s, no_epoch ? 1 : 0);
		if (no_epoch && x->r->has_sc && x->r->sc.has_start)
			x->t0 = (double)x->r->sc.start_unix;
	}
	sqlite3_finalize(s);
	return 0;
}

static int write_all(struct ex *x)
{
	deployment_gauge(x, "kube_deployment_spec_replicas", "desired",
			 "Number of desired pods for a deployment (simulated by headroom).");
	deployment_gauge(x, "kube_deployment_status_replicas", "replicas",
			 "The number of replicas per deployment (simulated by headroom).");
	deployment_gauge(x, "kube_deployment_status_replicas_available", "ready",
			 "The number of available replicas per deployment (simulated by headroom).");
	pod_status(x);
	if (x->has_pods) {
		cpu_counter(x, CPU_USAGE, "container_cpu_usage_seconds",
			    "Cumulative cpu time consumed in seconds (simulated by headroom).");
		cpu_counter(x, CPU_PERIODS, "container_cpu_cfs_periods",
			    "Number of elapsed enforcement period intervals (simulated by headroom).");
		cpu_counter(x, CPU_THROTTLED, "container_cpu_cfs_throttled_periods",
			    "Number of throttled period intervals (simulated by headroom: a fluid model).");
	}
	istio_requests(x);
	if (x->has_le)
		istio_duration(x);
	fputs("# EOF\n", x->o);
	return x->rc;
}

struct export_args {
	const char *db, *out, *ns, *start;
	int64_t run;
};

static int parse_args(const struct cmd *cmd, int argc, char **argv, struct export_args *a)
{
	static const struct option longs[] = {{"run", required_argument, NULL, 'r'},
					      {"latest", no_argument, NULL, 'l'},
					      {"out", required_argument, NULL, 'o'},
					      {"namespace", required_argument, NULL, 'n'},
					      {"start", required_argument, NULL, 's'},
					      {"help", no_argument, NULL, 'h'},
					      {NULL, 0, NULL, 0}};
	*a = (struct export_args){.ns = "default"};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", longs, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'h':
			fputs(cmd->usage, stdout);
			return -1;
		case 'r':
			errno = 0;
			a->run = strtoll(optarg, &end, 10);
			if (errno || *end || a->run < 1)
				return cli_usage_error(cmd, "--run takes a run id (1, 2, ...), got '%s'", optarg);
			break;
		case 'l':
			a->run = 0;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'n':
			if (!*optarg)
				return cli_usage_error(cmd, "--namespace must not be empty");
			a->ns = optarg;
			break;
		case 's':
			a->start = optarg;
			break;
		case ':':
			return cli_usage_error(cmd, "%s needs a value", argv[optind - 1]);
		default:
			return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(cmd, optind >= argc ? "which database? give DB" : "one database only");
	a->db = argv[optind];
	return 0;
}

int cmd_export(const struct cmd *cmd, int argc, char **argv)
{
	struct export_args a;
	int rc = parse_args(cmd, argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	double start = NAN;
	if (a.start && trace_parse_time(a.start, NULL, &start))
		return cli_usage_error(cmd, "--start takes Unix seconds or a time such as 2024-01-15T10:00:00Z, got '%s'",
				       a.start);
	struct herr e = {""};
	plot_db *db = plot_open(a.db, &e);
	if (!db)
		return cli_fail(&e);
	struct plot_run r;
	if (plot_run_read(db, a.run, &r, &e)) {
		plot_close(db);
		return cli_fail(&e);
	}
	struct ex x = {.db = plot_sqlite(db), .run = r.id, .ns = a.ns, .r = &r, .e = &e, .path = a.db,
		       .has_pods = plot_has_table(db, "pod_samples"), .has_le = plot_has_column(db, "samples", "latency_le")};
	rc = read_grid(&x) || find_start(&x, db) ? -1 : 0;
	if (!isnan(start))
		x.t0 = start;
	FILE *o = NULL;
	if (!rc && !(o = a.out ? fopen(a.out, "w") : stdout))
		rc = herr_at(&e, a.out, 0, 0, "cannot write: %s", strerror(errno));
	if (!rc) {
		x.o = o;
		rc = write_all(&x);
		if (a.out && (fclose(o) || rc))
			rc = rc ? rc : herr_at(&e, a.out, 0, 0, "cannot write: %s", strerror(errno));
		else if (a.out)
			fprintf(stderr, "%s: run %lld from %.3f (Unix s)\n", a.out, (long long)r.id, x.t0);
	}
	free(x.grid);
	plot_run_release(&r);
	plot_close(db);
	return rc ? cli_fail(&e) : 0;
}
