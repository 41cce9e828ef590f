/*
 * plot.h: charts of a run, drawn by gnuplot from the results database.
 *
 * The database is only read, never changed; what a chart shows is
 * read by name from the tables of results/SCHEMA.md, and a table or column
 * that a file lacks (samples.desired in a version-1 file, the nodes table
 * before node provisioning) is left out of the chart, never guessed. The
 * run's scenario is read again from the YAML text and overrides stored with
 * it (scn_load), for the SLO line, the capacity line and the spikes; a
 * scenario this headroom cannot read again only costs those lines.
 *
 * A chart is a gnuplot script with its data inline (data blocks), built in
 * memory and fed to gnuplot on stdin (posix_spawn, no shell), its image
 * written to a temporary file renamed into place when gnuplot succeeds. Data
 * blocks hold numbers only; every name (scenario, service, node group) reaches
 * a script through plot_quote, as a single-quoted gnuplot string in which
 * nothing is interpreted, and the terminal is noenhanced, so a name is shown
 * exactly as it is and can never run as a command.
 *
 * Charts are PLOT_WIDTH x PLOT_HEIGHT pixels (PNG) or units (SVG), 16:9, with
 * fonts sized for a slide. In a PNG, a letter of a script the DejaVu fonts
 * lack (Chinese, Thai, Devanagari ...) is drawn as U+FFFD: cairo would draw
 * it as a box the size of the chart; an SVG keeps every letter. Times are seconds in the data, minutes (hours for
 * runs longer than 3 h) on the axes.
 */
#ifndef HEADROOM_PLOT_H
#define HEADROOM_PLOT_H

#include <stdio.h>

#include "scn.h"

#define PLOT_WIDTH 1280
#define PLOT_HEIGHT 720

typedef struct plot_db plot_db;
struct sqlite3;

/* Opens the results database at path to read it (never creating it, never
 * writing to it). Returns NULL with e set if
 * the file is missing, not an SQLite database, or not a headroom database
 * (no schema version). A newer schema version is read as far as it goes:
 * versions only add tables and columns (results/SCHEMA.md). */
plot_db *plot_open(const char *path, struct herr *e);
/* Closes; NULL is a no-op. */
void plot_close(plot_db *db);
/* The SQLite connection (borrowed), for reading what plot does not. */
struct sqlite3 *plot_sqlite(plot_db *db);
/* The path the database was opened with (borrowed). */
const char *plot_path(const plot_db *db);
/* Whether the database has this table, and this column in it. */
bool plot_has_table(plot_db *db, const char *table);
bool plot_has_column(plot_db *db, const char *table, const char *column);

/* A run as stored, and its scenario read again. */
struct plot_run {
	int64_t id;
	char *name;       /* scenarios.name (owned) */
	char *path;       /* scenarios.path: where the YAML was read from (owned; NULL if not stored) */
	char *yaml;       /* scenarios.yaml (owned) */
	char *overrides;  /* scenarios.overrides, "k=v\n" lines (owned; "" if none) */
	char *seed;       /* runs.seed, as stored (owned) */
	char *params, *status, *started_at, *version; /* runs columns (owned) */
	int variant, replication;
	double wall_s;    /* wall-clock seconds of the run; NaN if NULL */
	double sim_s;     /* simulated seconds; NaN if NULL */
	int64_t requests; /* all services; -1 if NULL */
	int64_t events;   /* -1 if NULL */
	char **services;  /* services with samples or summaries, in the scenario's order when it was read again, else by name (owned) */
	size_t n_services;
	bool path_current;    /* the file at path still holds exactly yaml */
	bool has_sc;          /* sc holds the scenario read again */
	struct scenario sc;   /* valid when has_sc (owned) */
	struct herr sc_err;   /* why it could not be read again, when !has_sc */
	double epoch_s;       /* runs.epoch_s: Unix time of t = 0 when the run replayed a trace; NaN if none */
};

/* Reads run `id` (0: the latest run) into *r. Returns 0, or -1 with e set
 * ("x.db: no run 7 (runs 1 to 3)", "x.db: no runs yet ..."). Free with
 * plot_run_release. */
int plot_run_read(plot_db *db, int64_t id, struct plot_run *r, struct herr *e);
void plot_run_release(struct plot_run *r);
/* The run's scenario service `name`, or NULL (no scenario, or not in it). */
const struct scn_service *plot_run_service(const struct plot_run *r, const char *name);
/* Requests per second one ready, warm pod of sv can serve on CPU with its
 * node to itself: its cores (the limit, else the request) over the mean CPU
 * seconds per request; 0 if that is not defined. Under contention a pod gets
 * its share of its node, up to its limit: samples.cpu_capacity (version 5)
 * counts that, and the timeline uses it where the file has it. */
double plot_pod_capacity(const struct scn_service *sv);

enum plot_format { PLOT_PNG, PLOT_SVG };
enum plot_kind {
	PLOT_TIMELINE, /* offered and served rps against CPU capacity; pods desired, ready, pending; nodes */
	PLOT_LATENCY,  /* p50 and p99 per sample interval against the SLO threshold, violations shaded */
	PLOT_STARTUP,  /* Pending-to-Ready time of each pod started in the run, split by phase */
	/* The charts of a plan (sim/plot_plan.c), after the PLOT_N_KINDS of a run: */
	PLOT_SWEEP,       /* P(SLO met) with its interval and monthly cost per variant */
	PLOT_PROVISIONERS, /* P(SLO met) and cost per provisioner, grouped by the other axes */
	PLOT_KAFKA         /* a run's consuming service: its groups' lag, its consumers against the
	                    * partitions (sim/plot_kafka.c); only for services with kafka_samples rows */
};
#define PLOT_N_KINDS 3 /* the charts of a run */
/* "timeline", "latency", "startup", "sweep", "provisioners": the chart's file name stem. */
const char *plot_kind_name(enum plot_kind kind);

/* A span of time to shade on a chart, seconds from the start of the run. */
struct plot_span {
	double from, to;
};

/* What a chart's data says, for its script and title. */
struct plot_facts {
	size_t n_rows;       /* data rows written */
	size_t n_defined;    /* rows with the chart's main value defined (latency: a p99) */
	double interval_s;   /* sample interval, s */
	double t_end;        /* the last row's t_s, s */
	struct plot_span *spans; /* latency: intervals breaking the SLO, merged (owned) */
	size_t n_spans;
	bool has_nodes;      /* timeline: the nodes columns are filled */
	double nodes_max;    /* timeline: the most nodes ready and starting at one time */
	bool has_capacity;   /* timeline: the capacity column is filled (in some row) */
	bool capacity_node;  /* timeline: some row's capacity is samples.cpu_capacity over the CPU per request */
	bool capacity_ready; /* timeline: some row's is ready x plot_pod_capacity (a file without cpu_capacity) */
	bool has_errors;     /* latency: some interval had failed requests */
	bool has_node_wait;  /* startup: some pod waited for a node to be launched or to start */
	size_t n_unready;    /* startup: pods created during the run that were not ready by its end */
	double median_s, max_s; /* startup: time to ready over the rows (median by nearest rank), s */
};
void plot_facts_release(struct plot_facts *f);

/*
 * The data behind each chart, as gnuplot reads it: a header line starting
 * with '#' naming the columns, then one line per row of numbers separated by
 * spaces, NaN where the database holds NULL (or a column is absent). Each
 * returns 0, or -1 with e set.
 *
 * timeline, one row per sample of the service:
 *   t_s offered_rps served_rps failed_rps replicas desired ready pending capacity_rps nodes_ready nodes_starting
 *   (failed_rps = errors / interval; capacity_rps = cpu_capacity / mean CPU
 *   per request where the file has samples.cpu_capacity (version 5) and the
 *   row's is not NULL: what the ready pods can get on their nodes; else
 *   ready x plot_pod_capacity;
 *   nodes_* for the whole cluster, from the nodes table where the file has
 *   one (version 3) and the run has rows in it: ready, and launching +
 *   registered, 0 at a time without a row; else NaN)
 * latency, one row per sample:
 *   t_s p50_ms p99_ms error_pct violation
 *   (error_pct = errors / (served + errors) in the interval, in percent;
 *   violation 1 when the interval breaks the service's SLO as far as the
 *   samples can tell: p50 or p99 over the threshold of an objective at that
 *   percentile or a higher one, or errors over the budget)
 * startup, one row per pod that became ready during the run, by time to ready:
 *   rank created_s provisioning_s node_start_s scheduling_s pull_s container_s app_s probe_s total_s
 *   (the parts of results/SCHEMA.md, from the pod and node rows of
 *   decisions: created -> its node launched -> the node Ready -> scheduled
 *   -> pulled -> started -> app-started -> ready; they add up to total_s)
 */
int plot_timeline_data(plot_db *db, const struct plot_run *r, const char *service, FILE *out,
		       struct plot_facts *facts, struct herr *e);
int plot_latency_data(plot_db *db, const struct plot_run *r, const char *service, FILE *out,
		      struct plot_facts *facts, struct herr *e);
int plot_startup_data(plot_db *db, const struct plot_run *r, const char *service, FILE *out,
		      struct plot_facts *facts, struct herr *e);

/* Writes the whole gnuplot script of a chart (terminal, titles, data
 * blocks, plot commands) to out. Returns 1 written, 0 nothing to draw (note
 * says why, e.g. no pod started during the run), -1 error e. */
int plot_script(plot_db *db, const struct plot_run *r, enum plot_kind kind, const char *service,
		enum plot_format fmt, FILE *out, char *note, size_t note_len, struct herr *e);

/* Writes s to out as a gnuplot single-quoted string literal: ' doubled,
 * control characters and bytes that are not UTF-8 replaced (a newline would
 * end the command), nothing else changed. In such a literal gnuplot expands
 * no backquote, macro or escape. */
void plot_quote(FILE *out, const char *s);

/* The gnuplot program: $HEADROOM_GNUPLOT if set and not empty, else "gnuplot". */
const char *plot_gnuplot_program(void);
/* Runs gnuplot with script (len bytes) on its standard input and its
 * standard output into out_fd. Returns 0, or -1 with e set: gnuplot missing
 * (naming the Debian package gnuplot-nox), or failing (with its message). */
int plot_gnuplot(const char *script, size_t len, int out_fd, struct herr *e);

/* A chart of plot_all: written to path, or skipped for the reason in note. */
struct plot_chart {
	enum plot_kind kind;
	const char *service; /* borrowed from the run */
	char *path;          /* owned; NULL when skipped */
	char note[256];      /* why it was skipped */
};

/* Writes every chart of run r into dir (created if missing, with its
 * parents) as PREFIXKIND-SERVICE.png|svg, and, if scripts, the gnuplot
 * script beside each as .gp. *charts gets one entry per chart considered, in
 * order (by service, then kind). Returns 0, or -1 with e set: what was
 * written stays, listed in *charts. Free with plot_charts_free. */
int plot_all(plot_db *db, const struct plot_run *r, enum plot_format fmt, const char *dir, const char *prefix,
	     bool scripts, struct plot_chart **charts, size_t *n_charts, struct herr *e);
void plot_charts_free(struct plot_chart *charts, size_t n);

/* What plot.c lends plot_plan.c: the start of every script (a comment and
 * the terminal), and the drawing of a finished script into path (letters a
 * PNG's fonts lack replaced), with the script beside it as .gp if scripts. */
void plot_script_head(FILE *o, enum plot_format fmt);
/* Whether the file at path holds exactly text. */
bool plot_file_holds(const char *path, const char *text);
int plot_draw(const char *script, size_t len, enum plot_format fmt, const char *path, bool scripts,
	      struct herr *e);

/* ---- Plans (sim/plot_plan.c) -------------------------------------------------
 *
 * A plan of `headroom plan` as its tables hold it (plans, plan_variants,
 * plan_services: results/SCHEMA.md); the charts show those numbers as
 * stored, never recomputed. */
struct plot_plan_variant {
	int variant;           /* from 1 */
	char *label;           /* plan_variants.label (owned) */
	char *provisioner;     /* the variant's cluster.provisioner override (owned), or NULL */
	char *group;           /* the label without the provisioner axis (owned): the provisioner chart's group */
	int64_t runs, met;     /* runs judged, of which every objective was met */
	double p, lo, hi;      /* P(SLO met) and its Wilson 95 % interval; NaN without runs */
	double cost;           /* month_usd (before version 7, or NULL: monthly_cost_usd); NaN without a cluster */
	double month[5];       /* month_normal_usd, _events_, _discount_, _control_plane_, _volumes_usd; NaN: none */
	double min_cores;      /* min_cores */
	double pod_start_p99_s; /* NaN if no pod started */
	double max_nodes;      /* NaN without a cluster */
	double error_rate;
	double *p99_p50, *p99_p95; /* per service of the plan (plot_plan.services), ms, NaN if NULL (owned) */
	int *min_replicas;     /* per service, the variant's minReplicas; -1 without an HPA (owned) */
	double *share;         /* per service, plan_services.monthly_share_usd; NaN: none (owned) */
	char *failures;        /* the SLO terms missed, "order: p99 100%, errors 45%; payment: p99 3%"
	                        * (plan_failures; owned), or NULL: none stored (a plan before version 6) */
	char *verdict, *reason; /* (owned; reason may be NULL) */
};
struct plot_plan {
	int64_t id;
	char *name, *path, *yaml, *overrides; /* its scenarios row (owned; path may be NULL) */
	bool path_current;     /* the file at path still holds exactly yaml */
	char *seed, *status, *recommendation, *created_at; /* plans columns (owned; recommendation may be NULL) */
	int replications;
	double target;
	int recommended, runner_up; /* variants; 0: none */
	bool has_cost;         /* every variant has a monthly cost (else variants rank by min_cores) */
	char **services;       /* plan_services' services, by name (owned) */
	size_t n_services;
	char **formula;        /* per service, how its baseline came out (plans.baseline; owned), NULL without an HPA */
	int *baseline;         /* per service, the baseline replicas; -1 without an HPA (owned) */
	struct plot_plan_variant *v; /* by variant (owned) */
	size_t n;
	char *version;         /* the headroom version of its runs (owned; NULL without runs) */
};
/* Reads plan `id` (0: the latest). Returns 0, or -1 with e set ("x.db: no
 * plan 9 (plans 1 to 2)"). Free with plot_plan_release. */
int plot_plan_read(plot_db *db, int64_t id, struct plot_plan *p, struct herr *e);
void plot_plan_release(struct plot_plan *p);
/* Whether the plan has a provisioner axis: two or more provisioners. */
bool plot_plan_has_provisioners(const struct plot_plan *p);
/* The buffer of each variant when the sweep's only axis is `buffer` (labels
 * "buffer=130%"), in percent, into x[0..n); false otherwise. */
bool plot_plan_buffers(const struct plot_plan *p, double *x);
/*
 * The data behind the plan charts, as gnuplot reads it (a '#' header, then
 * numbers separated by spaces, NaN for NULL):
 * sweep, one row per variant:
 *   variant x p_slo p_slo_low p_slo_high cost recommended runner_up
 *   (x the buffer in percent, or the variant; cost monthly_cost_usd, or
 *   min_cores when the plan has no cost; recommended, runner_up 1 or 0)
 * provisioners, one row per group (the label without the provisioner), then
 *   for each provisioner in order of first appearance:
 *   p_slo p_slo_low p_slo_high monthly_cost_usd (NaN where no variant)
 */
void plot_plan_sweep_data(const struct plot_plan *p, FILE *out);
void plot_plan_provisioner_data(const struct plot_plan *p, FILE *out);
/* The gnuplot script of a plan chart (PLOT_SWEEP or PLOT_PROVISIONERS).
 * Returns 1 written, 0 nothing to draw (note says why). */
int plot_plan_script(const struct plot_plan *p, enum plot_kind kind, enum plot_format fmt, FILE *out, char *note,
		     size_t note_len);
/* Writes the plan's charts into dir as PREFIXsweep.EXT and
 * PREFIXprovisioners.EXT, as plot_all does for a run. */
int plot_plan_all(const struct plot_plan *p, enum plot_format fmt, const char *dir, const char *prefix, bool scripts,
		  struct plot_chart **charts, size_t *n_charts, struct herr *e);

/* Opens a new file beside path (path.XXXXXX, private until renamed) with
 * the permissions a new file gets (0666 less the umask), to be written and
 * renamed onto path. Returns its descriptor and name (*tmp, caller frees),
 * or -1 with e set. */
int plot_temp_beside(const char *path, char **tmp, struct herr *e);
/* Creates dir and its missing parents. Returns 0, or -1 with e set. */
int plot_mkdirs(const char *dir, struct herr *e);

/* ---- The commands (sim/cmd_plot.c, sim/cmd_report.c) ---------------------- */

struct cmd;
int cmd_plot(const struct cmd *cmd, int argc, char **argv);
int cmd_report(const struct cmd *cmd, int argc, char **argv);

/* The options plot and report share. */
struct plot_args {
	const char *db;     /* the positional DB */
	int64_t run;        /* --run ID; 0: the latest */
	int64_t plan;       /* --plan ID; 0 with latest_plan: the latest; -1: not a plan */
	bool latest_plan;   /* --latest-plan */
	const char *out;    /* --out */
	enum plot_format format; /* --format (plot) */
	bool scripts;       /* --scripts (plot) */
};
/* Parses argv (argv[0] the command) for plot (report false) or report.
 * Returns 0 to go on, -1 when --help was printed, or EXIT_USAGE after
 * printing the problem. */
int plot_args_parse(const struct cmd *cmd, int argc, char **argv, bool report, struct plot_args *a);
/* Opens a->db and reads the run chosen. Returns 0 or an exit status after
 * printing the error. */
int plot_args_open(const struct plot_args *a, plot_db **db, struct plot_run *r);
/* Whether a plan was asked for (--plan or --latest-plan). */
bool plot_args_want_plan(const struct plot_args *a);
/* Opens a->db and reads the plan chosen, refusing a database without plans.
 * Returns 0 or an exit status after printing the error. */
int plot_args_open_plan(const struct plot_args *a, plot_db **db, struct plot_plan *p);

/* ---- Kafka (sim/plot_kafka.c) ---- */
/* The Kafka chart's whole script for consuming service `service` of run r:
 * returns 1 written, 0 nothing to draw (note says why), -1 error e. */
int plot_kafka_script(plot_db *db, const struct plot_run *r, const char *service, enum plot_format fmt, FILE *out,
		      char *note, size_t note_len, struct herr *e);
/* Whether run r has kafka_samples rows of service. */
bool plot_kafka_has(plot_db *db, const struct plot_run *r, const char *service);

#endif
