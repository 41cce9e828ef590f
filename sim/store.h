/*
 * store.h: results in SQLite.
 *
 * The schema is documented in results/SCHEMA.md and versioned (PRAGMA
 * user_version and the `meta` table); store_open creates it in a new file,
 * accepts an existing file of the same version, upgrades a file of an older
 * version in place (in one transaction), and refuses any other with a clear
 * message. The database runs in WAL mode with a long busy timeout, so a
 * second writer waits rather than fails, and readers never block writers.
 *
 * A run is written atomically: store_run_begin stages rows in a private
 * temporary database (on disk, so memory does not grow with simulated time),
 * store_run_commit copies them into the main tables in one short
 * transaction. A run that is aborted, or a process killed mid-run, leaves no
 * row of that run behind (no runs, samples, summaries, decisions, nodes or
 * pod_samples row). The run's cost row is kept in the store until commit, which writes
 * it into the runs row.
 */
#ifndef HEADROOM_STORE_H
#define HEADROOM_STORE_H

#include "scn.h"
#include "sink.h"

typedef struct store store;

/* Version 2 added samples.desired, pending, hpa_cpu_util and decisions;
 * version 3 summaries.pods_started, pod_start_p50_s, pod_start_p99_s, the
 * cost columns of runs, and nodes; version 4 plans, plan_variants,
 * plan_services and runs.plan_id; version 5 samples.cpu_cores,
 * cpu_throttled, cpu_pressure, cpu_capacity, summaries.cpu_throttled,
 * cpu_pressure, and pod_samples; version 8 nodes.drifted; version 9
 * version_samples and rollouts; version 10 runs.epoch_s and
 * samples.latency_le; version 11 the Kafka tables (results/SCHEMA.md has
 * them all); version 12 target_groups, cluster_samples and clusters. */
#define STORE_SCHEMA_VERSION 12

/* What identifies a run. Strings are borrowed. */
struct run_info {
	const struct scenario *sc; /* name, path, YAML text and overrides are stored */
	uint64_t seed;
	int variant;     /* 0 for a plain run */
	int replication; /* 0 for a plain run */
	const char *params; /* JSON object of the parameters this run overrides, e.g. {"services.payment.replicas":"8"}; "{}" if none */
};

/* How a run ended. */
struct run_end {
	const char *status; /* "ok", "interrupted" or "failed" */
	double wall_s;      /* wall-clock seconds of the simulation */
	uint64_t events;    /* events processed */
	int64_t requests;   /* requests simulated (all services) */
	double sim_s;       /* simulated seconds */
};

/* Opens (creating if needed) the database at path. *created tells whether
 * this call made the file (it is created exclusively, so of two processes
 * racing to create it exactly one sees true); created may be NULL. A store
 * is used by one thread at a time (SQLite is opened without its mutexes). Returns NULL with e set on
 * failure (unwritable path, not a database, a newer schema version, a
 * failed upgrade, which leaves the file as it was). */
store *store_open(const char *path, bool *created, struct herr *e);
/* Closes; NULL is a no-op. */
void store_close(store *st);
/* Starts staging a run. ri and what it points to are borrowed until
 * store_run_commit or store_run_abort. Returns 0 or -1 with e set. */
int store_run_begin(store *st, const struct run_info *ri, struct herr *e);
/* Makes the staged run one of plan plan_id's (runs.plan_id; a plain run
 * belongs to none), with the cluster's cost per hour in its steady state
 * before the spike (runs.base_cost_per_hour; NaN: unknown). Between
 * store_run_begin and commit or abort. */
void store_run_set_plan(store *st, int64_t plan_id, double base_cost_per_hour);
/* A sink whose rows go to the staged run (valid between begin and commit/abort).
 * Every callback is set, pod_sample too: a stored run keeps its pods' rows. */
struct sink store_sink(store *st);
/* Copies the staged run into the main tables in one transaction and returns
 * its id in *run_id. Returns 0, or -1 with e set (including any error a sink
 * call met); on failure nothing of the run is left in the main tables. A
 * run of a plan whose (plan, variant, replication) another process stored
 * first returns 1 and writes nothing: the same scenario and seed give the
 * same rows, so the plan has it. The staged run is dropped either way. */
int store_run_commit(store *st, const struct run_end *end, int64_t *run_id, struct herr *e);
/* Drops the staged run. */
void store_run_abort(store *st);
/* Whether any run has been committed to the database (by any process);
 * true when that cannot be read, so a caller deciding whether to remove
 * the file errs on keeping it. */
bool store_has_runs(store *st);
/* Removes a database file and its -wal and -shm companions (after
 * store_close), for a file this process created and wrote nothing useful to. */
void store_remove_files(const char *path);

/* ---- Plans (headroom plan; schema version 4) ----------------------------
 *
 * A plan is identified by its scenario (text and --set overrides: a
 * scenarios row) and its seed. Its runs are ordinary runs rows with
 * runs.plan_id set, at most one per (plan, variant, replication) (a unique
 * index), holding their summaries and cost but no samples, decisions,
 * nodes or pod samples. Its results (plans, plan_variants, plan_services,
 * plan_failures) are computed from those runs and replaced as a whole by
 * store_plan_finish. */

/* What identifies a plan, and what it asks for now. Borrowed. */
struct plan_def {
	const struct scenario *sc; /* the base scenario: name, path, YAML text and --set overrides */
	uint64_t seed;             /* the plan's seed, from which every run's seed derives */
	int variants;              /* variants, >= 1 */
	int replications;          /* runs per variant asked for */
	double target;             /* P(SLO met) asked for, fraction */
	const char *baseline;      /* JSON object: the base scenario's baseline per service */
};

/* One summary of one run of a plan, for the plan's statistics. Strings are
 * borrowed for the callback. */
struct plan_run_row {
	int variant, replication;
	const char *service;
	int slo_met;            /* 1, 0, or -1: no objective */
	int latency_met, errors_met, violation_met; /* each term alone: 1, 0, or -1: not declared
	                                             * (or a run stored before schema version 6) */
	double p99_ms;          /* NaN: nothing answered */
	int64_t served, errors;
	int64_t pods_started;
	double pod_start_p99_s; /* NaN: no pod started */
	double monthly_cost_usd;/* NaN: no cluster */
	double base_cost_per_hour; /* NaN: unknown */
	int max_nodes;          /* -1: no cluster */
	double cost_usd, spot_cost_usd, node_hours; /* the run's nodes (NaN: no cluster, or stored before) */
	double sim_s;           /* simulated seconds */
	double start_cost_per_hour, start_spot_cost_per_hour; /* its settled start (NaN: unknown) */
};

/* A plan's results (results/SCHEMA.md, plans). Strings borrowed. */
struct row_plan {
	int variants, replications;
	double target;
	int recommended;        /* variant, 0: none */
	int runner_up;          /* variant, 0: none */
	const char *recommendation;
};
struct row_plan_variant {
	int variant;
	const char *label, *params; /* params: JSON object */
	int64_t runs, slo_met_runs;
	double p_slo, p_slo_low, p_slo_high; /* NaN: no runs */
	double error_rate;       /* NaN: no request ended */
	double pods_started;     /* mean per run */
	double pod_start_p99_s;  /* NaN: none */
	int max_nodes;           /* -1: no cluster */
	double monthly_cost_usd; /* the steady state's cost rate x 730 h; NaN: no cluster (month_usd ranks) */
	double run_monthly_cost_usd; /* the runs' own monthly_cost_usd, mean; NaN: no cluster */
	double min_cores;
	const char *verdict, *reason; /* reason may be NULL */
	/* The month (sim/month.h), USD: its total and items; NaN: no cluster. */
	double month_usd, month_normal_usd, month_events_usd, month_discount_usd, month_control_plane_usd,
		month_volumes_usd;
	double month_node_hours;
};
struct row_plan_service {
	int variant;
	const char *service;
	int baseline, min_replicas; /* -1: no HPA */
	int64_t slo_met_runs;       /* -1: no objective */
	double p99_p50_ms, p99_p95_ms, error_rate, pod_start_p99_s; /* NaN: undefined */
	double monthly_share_usd;   /* its pods' share of the month's instances (sim/month.h); NaN: no cluster */
};

/* One hour of a variant's modelled normal day (sim/month.h). */
struct row_plan_hour {
	int variant, hour;
	double factor;
	int nodes;
	double usd_per_hour;
	const char *replicas; /* JSON object: service -> replicas */
};

/* How often one term of one service's SLO was missed in a variant's runs. */
struct row_plan_failure {
	int variant;
	const char *service;
	const char *term;      /* "latency", "errors" or "violation" */
	const char *objective; /* the term as the scenario sets it, e.g. "p99 <= 300 ms" */
	int64_t runs;          /* runs in which the term was judged */
	int64_t runs_missed;   /* of which it was missed */
	double share;          /* runs_missed / runs; NaN: runs is 0 */
};

/* Finds the plan of (pd->sc's content, pd->seed), or creates it with status
 * 'running' (and its scenarios row), in one transaction. Returns 0 with
 * *plan_id set, or -1 with e set. */
int store_plan_open(store *st, const struct plan_def *pd, int64_t *plan_id, struct herr *e);
/* Calls fn(ctx, variant, replication) for each run of the plan committed so
 * far (by any process). Returns 0 or -1 with e set. */
int store_plan_runs(store *st, int64_t plan_id, void (*fn)(void *ctx, int variant, int replication), void *ctx,
		    struct herr *e);
/* Whether run (variant, replication) of the plan is stored (by any
 * process); false on a read error (the caller then runs it, and the commit
 * finds it stored, store_run_commit). */
bool store_plan_has_run(store *st, int64_t plan_id, int variant, int replication);
/* Calls fn for each summary of the plan's runs with variant in [1, variants]
 * and replication in [1, replications], ordered by variant, replication and
 * service. Returns 0 or -1 with e set. */
int store_plan_rows(store *st, int64_t plan_id, int variants, int replications,
		    void (*fn)(void *ctx, const struct plan_run_row *r), void *ctx, struct herr *e);
/* Replaces the plan's results by these, sets it 'done', in one transaction.
 * Returns 0 or -1 with e set (nothing changed). */
int store_plan_finish(store *st, int64_t plan_id, const struct row_plan *p, const struct row_plan_variant *v,
		      size_t n_v, const struct row_plan_service *s, size_t n_s, const struct row_plan_failure *f,
		      size_t n_f, const struct row_plan_hour *h, size_t n_h, struct herr *e);

/* Calls fn(ctx, variant, r) for each `rollouts` row of the plan's runs with
 * variant in [1, variants] and replication in [1, replications], ordered by
 * variant, replication and service (r's strings live for the call; NaN for
 * NULL times). Returns 0 or -1 with e set. */
int store_plan_rollouts(store *st, int64_t plan_id, int variants, int replications,
			void (*fn)(void *ctx, int variant, const struct row_rollout *r), void *ctx, struct herr *e);

#endif
