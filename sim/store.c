/*
 * store.c: results in SQLite (the model is in store.h, the tables in
 * results/SCHEMA.md, which must say exactly what the migrations below
 * create).
 *
 * One connection per store. A run's rows are staged in a private temporary
 * database attached as "stage": ATTACH '' makes SQLite create an unnamed file
 * that it unlinks as soon as it opens it, so even a killed process leaves
 * nothing behind, and whose pages spill to disk past a small cache, so memory
 * does not grow with the run. The staging transaction touches only that file:
 * the main database's write lock stays free while the simulation runs, for
 * other processes of a sweep. store_run_commit then copies the stage into
 * the main tables in one short BEGIN IMMEDIATE transaction.
 */
#include "store.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How long a writer waits for another one before giving up: long enough
 * for any commit of a parallel sweep, which holds the lock for seconds. */
#define BUSY_TIMEOUT_MS (10 * 60 * 1000)

struct store {
	sqlite3 *db;
	char *path;                /* as given, for messages; owned */
	bool staging;              /* between store_run_begin and commit/abort */
	struct run_info ri;        /* the staged run; what it points to is borrowed until commit/abort */
	char started_at[32];       /* UTC ISO-8601 time of store_run_begin */
	sqlite3_stmt *put_sample;  /* INSERT into stage.samples, reused for every row */
	sqlite3_stmt *put_summary; /* INSERT into stage.summaries, reused for every row */
	sqlite3_stmt *put_decision; /* INSERT into stage.decisions, reused for every row */
	sqlite3_stmt *put_nodes;   /* INSERT into stage.nodes, reused for every row */
	sqlite3_stmt *put_pod_sample; /* INSERT into stage.pod_samples, reused for every row */
	sqlite3_stmt *put_version;  /* INSERT into stage.version_samples (schema 8) */
	sqlite3_stmt *put_rollout;  /* INSERT into stage.rollouts (schema 8) */
	sqlite3_stmt *put_kafka;   /* INSERT into stage.kafka_samples */
	sqlite3_stmt *put_kafka_summary; /* INSERT into stage.kafka_summaries */
	sqlite3_stmt *put_sagas;   /* INSERT into stage.sagas */
	sqlite3_stmt *put_kafka_partition; /* INSERT into stage.kafka_partition_samples */
	sqlite3_stmt *put_saga_sample; /* INSERT into stage.saga_samples */
	sqlite3_stmt *put_tg;       /* INSERT into stage.target_groups (schema 12) */
	sqlite3_stmt *put_kcluster; /* INSERT into stage.cluster_samples (schema 12) */
	sqlite3_stmt *put_kctotal;  /* INSERT into stage.clusters (schema 10) */
	bool has_cost;             /* the run emitted its cost row */
	struct row_cost cost;      /* that row, written into the runs row at commit */
	int64_t plan_id;           /* the staged run's plan (store_run_set_plan), 0: none */
	double base_cost_per_hour; /* and its steady cost rate, USD per hour (NaN: unknown) */
	bool sink_failed;          /* a row could not be staged: the commit must fail */
	struct herr sink_err;      /* the first such error */
};

/* ---- Schema ---------------------------------------------------------- */

/* Columns of a sample, a summary, a decision, a nodes row and a pod sample, in the
 * order the sink binds them (?1, ?2, ...). The stage and the main tables share
 * these names, so the copy is one INSERT ... SELECT. */
#define SAMPLE_COLS                                                                                         \
	"t_s, service, offered_rps, served_rps, errors, timeouts, rejected, mean_ms, p50_ms, p99_ms, replicas, " \
	"ready, in_flight, cpu_util, desired, pending, hpa_cpu_util, cpu_cores, cpu_throttled, cpu_pressure, "  \
	"cpu_capacity, latency_le"
#define SUMMARY_COLS                                                                                        \
	"service, requests, served, errors, timeouts, rejected, mean_ms, p50_ms, p90_ms, p99_ms, p999_ms, "      \
	"max_ms, error_rate, timeout_rate, cpu_util, violation_minutes, slo_met, pods_started, pod_start_p50_s, " \
	"pod_start_p99_s, cpu_throttled, cpu_pressure, latency_met, errors_met, violation_met, cost_usd"
#define DECISION_COLS \
	"t_s, service, kind, pod, event, replicas, desired, raw, stabilized, limited, bound, metrics, detail"
#define NODES_COLS "t_s, pool, instance_type, launching, registered, ready, draining, cost_per_hour, drifted"
#define POD_SAMPLE_COLS "t_s, service, pod, node, cpu_cores, cpu_util, cpu_throttled, cpu_pressure"
#define VERSION_COLS "t_s, service, version, pods, ready, target, weight, requests, errors, error_rate, p99_ms"
#define ROLLOUT_COLS                                                                                    \
	"service, strategy, outcome, started_s, ended_s, rollback_s, measurements, failed, errors, " \
	"extra_pod_hours, max_pods, extra_node_hours, extra_cost_usd"
#define KAFKA_COLS                                                                                        \
	"t_s, consumer_group, topic, service, partitions, members, lag, max_partition_lag, paused, produced, " \
	"consumed, dlt, rebalances, latency_mean_ms, latency_p99_ms, keda_metric"
#define KAFKA_SUMMARY_COLS                                                                                   \
	"consumer_group, topic, service, produced, consumed, deliveries, failures, dlt, rebalances, max_lag, " \
	"paused_s, latency_mean_ms, latency_p50_ms, latency_p99_ms, latency_max_ms, slo_met"
#define SAGA_COLS "started, completed, failed, open, mean_s, p50_s, p99_s, max_s"
#define SAGA_SAMPLE_COLS "t_s, started, completed, failed, open, p50_s, p99_s"
#define KAFKA_PARTITION_COLS "t_s, consumer_group, topic, partition, lag, produced, member, paused"
#define TG_COLS "t_s, rule, target_group, cluster, weight, share, registered, requests, cut"
#define KCLUSTER_COLS "t_s, cluster, version, nodes, ready, cost_per_hour, requests, errors"
#define KCTOTAL_COLS "cluster, version, node_hours, cost_usd, max_nodes, requests, errors, services, slo_met"

/* Version 1, as documented in results/SCHEMA.md. */
static const char SCHEMA_V1[] =
	"CREATE TABLE meta(\n"
	"  key   TEXT PRIMARY KEY,\n"
	"  value TEXT NOT NULL\n"
	");\n"
	"INSERT INTO meta(key, value) VALUES ('created_by', 'headroom " HEADROOM_VERSION "');\n"
	"CREATE TABLE scenarios(\n"
	"  id         INTEGER PRIMARY KEY,\n"
	"  name       TEXT NOT NULL,\n"
	"  path       TEXT,\n"
	"  hash       TEXT NOT NULL UNIQUE,\n"
	"  yaml       TEXT NOT NULL,\n"
	"  overrides  TEXT NOT NULL,\n"
	"  created_at TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE runs(\n"
	"  id          INTEGER PRIMARY KEY,\n"
	"  scenario_id INTEGER NOT NULL REFERENCES scenarios(id),\n"
	"  variant     INTEGER NOT NULL,\n"
	"  replication INTEGER NOT NULL,\n"
	"  seed        TEXT NOT NULL,\n"
	"  params      TEXT NOT NULL CHECK (json_valid(params)),\n"
	"  status      TEXT NOT NULL CHECK (status IN ('ok', 'interrupted', 'failed')),\n"
	"  started_at  TEXT NOT NULL,\n"
	"  wall_s      REAL,\n"
	"  events      INTEGER,\n"
	"  requests    INTEGER,\n"
	"  sim_s       REAL,\n"
	"  version     TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX runs_by_scenario ON runs(scenario_id);\n"
	"CREATE TABLE samples(\n"
	"  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  t_s         REAL NOT NULL,\n"
	"  service     TEXT NOT NULL,\n"
	"  offered_rps REAL,\n"
	"  served_rps  REAL,\n"
	"  errors      INTEGER NOT NULL,\n"
	"  timeouts    INTEGER NOT NULL,\n"
	"  rejected    INTEGER NOT NULL,\n"
	"  mean_ms     REAL,\n"
	"  p50_ms      REAL,\n"
	"  p99_ms      REAL,\n"
	"  replicas    INTEGER NOT NULL,\n"
	"  ready       INTEGER NOT NULL,\n"
	"  in_flight   INTEGER NOT NULL,\n"
	"  cpu_util    REAL,\n"
	"  PRIMARY KEY (run_id, service, t_s)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE summaries(\n"
	"  run_id            INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  service           TEXT NOT NULL,\n"
	"  requests          INTEGER NOT NULL,\n"
	"  served            INTEGER NOT NULL,\n"
	"  errors            INTEGER NOT NULL,\n"
	"  timeouts          INTEGER NOT NULL,\n"
	"  rejected          INTEGER NOT NULL,\n"
	"  mean_ms           REAL,\n"
	"  p50_ms            REAL,\n"
	"  p90_ms            REAL,\n"
	"  p99_ms            REAL,\n"
	"  p999_ms           REAL,\n"
	"  max_ms            REAL,\n"
	"  error_rate        REAL,\n"
	"  timeout_rate      REAL,\n"
	"  cpu_util          REAL,\n"
	"  violation_minutes REAL,\n"
	"  slo_met           INTEGER CHECK (slo_met IN (0, 1)),\n"
	"  PRIMARY KEY (run_id, service)\n"
	") WITHOUT ROWID;\n";

/* Version 2: what the autoscaler saw and asked for, and why. The new sample
 * columns are NULL in rows of version 1 (ADD COLUMN cannot add NOT NULL
 * without a default, and a default would pretend to know). decisions has
 * no natural key (a pod may change state twice at one instant): id keeps
 * the order the rows were emitted in, and unlike an implicit rowid, VACUUM
 * keeps it. */
static const char SCHEMA_V2[] =
	"ALTER TABLE samples ADD COLUMN desired INTEGER;\n"
	"ALTER TABLE samples ADD COLUMN pending INTEGER;\n"
	"ALTER TABLE samples ADD COLUMN hpa_cpu_util REAL;\n"
	"CREATE TABLE decisions(\n"
	"  id         INTEGER PRIMARY KEY,\n"
	"  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  t_s        REAL NOT NULL,\n"
	"  service    TEXT NOT NULL,\n"
	"  kind       TEXT NOT NULL,\n"
	"  pod        TEXT,\n"
	"  event      TEXT NOT NULL,\n"
	"  replicas   INTEGER NOT NULL,\n"
	"  desired    INTEGER NOT NULL,\n"
	"  raw        INTEGER,\n"
	"  stabilized INTEGER,\n"
	"  limited    INTEGER,\n"
	"  bound      TEXT,\n"
	"  metrics    TEXT CHECK (metrics IS NULL OR json_valid(metrics)),\n"
	"  detail     TEXT\n"
	");\n"
	"CREATE INDEX decisions_by_service ON decisions(run_id, service, t_s);\n";

/* Version 3: the cluster's nodes and cost, and how fast pods started. The
 * new columns are NULL in older rows, and the cost columns of runs stay
 * NULL for a run without a cluster (it emits no cost row). nodes has no
 * primary key: nothing in the model keeps (pool, instance type) unique at
 * one instant (a NodePool may be named "static"), and a run must not fail
 * on that; the index serves "run r over time" and the foreign key. */
static const char SCHEMA_V3[] =
	"ALTER TABLE summaries ADD COLUMN pods_started INTEGER;\n"
	"ALTER TABLE summaries ADD COLUMN pod_start_p50_s REAL;\n"
	"ALTER TABLE summaries ADD COLUMN pod_start_p99_s REAL;\n"
	"ALTER TABLE runs ADD COLUMN cost_usd REAL;\n"
	"ALTER TABLE runs ADD COLUMN monthly_cost_usd REAL;\n"
	"ALTER TABLE runs ADD COLUMN node_hours REAL;\n"
	"ALTER TABLE runs ADD COLUMN max_nodes INTEGER;\n"
	"CREATE TABLE nodes(\n"
	"  run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  t_s           REAL NOT NULL,\n"
	"  pool          TEXT NOT NULL,\n"
	"  instance_type TEXT NOT NULL,\n"
	"  launching     INTEGER NOT NULL,\n"
	"  registered    INTEGER NOT NULL,\n"
	"  ready         INTEGER NOT NULL,\n"
	"  draining      INTEGER NOT NULL,\n"
	"  cost_per_hour REAL\n"
	");\n"
	"CREATE INDEX nodes_by_time ON nodes(run_id, t_s);\n";

/* Version 4: plans (headroom plan). A plan's runs are runs rows that name
 * it; the unique index keeps one run per (plan, variant, replication) however
 * many processes work on the plan, and lets a resumed plan find what is
 * done. ADD COLUMN with REFERENCES needs a NULL default, which older runs
 * keep (they belong to no plan). plan_variants and plan_services are derived
 * from the runs and rewritten whole when a plan finishes. */
static const char SCHEMA_V4[] =
	"CREATE TABLE plans(\n"
	"  id             INTEGER PRIMARY KEY,\n"
	"  scenario_id    INTEGER NOT NULL REFERENCES scenarios(id),\n"
	"  seed           TEXT NOT NULL,\n"
	"  variants       INTEGER NOT NULL,\n"
	"  replications   INTEGER NOT NULL,\n"
	"  target         REAL NOT NULL,\n"
	"  status         TEXT NOT NULL CHECK (status IN ('running', 'done')),\n"
	"  recommended    INTEGER,\n"
	"  runner_up      INTEGER,\n"
	"  recommendation TEXT,\n"
	"  baseline       TEXT NOT NULL CHECK (json_valid(baseline)),\n"
	"  created_at     TEXT NOT NULL,\n"
	"  finished_at    TEXT,\n"
	"  UNIQUE (scenario_id, seed)\n"
	");\n"
	"ALTER TABLE runs ADD COLUMN plan_id INTEGER REFERENCES plans(id) ON DELETE CASCADE;\n"
	"ALTER TABLE runs ADD COLUMN base_cost_per_hour REAL;\n"
	"CREATE UNIQUE INDEX runs_by_plan ON runs(plan_id, variant, replication) WHERE plan_id IS NOT NULL;\n"
	"CREATE TABLE plan_variants(\n"
	"  plan_id          INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,\n"
	"  variant          INTEGER NOT NULL,\n"
	"  label            TEXT NOT NULL,\n"
	"  params           TEXT NOT NULL CHECK (json_valid(params)),\n"
	"  runs             INTEGER NOT NULL,\n"
	"  slo_met_runs     INTEGER NOT NULL,\n"
	"  p_slo            REAL,\n"
	"  p_slo_low        REAL,\n"
	"  p_slo_high       REAL,\n"
	"  error_rate       REAL,\n"
	"  pods_started     REAL,\n"
	"  pod_start_p99_s  REAL,\n"
	"  max_nodes        INTEGER,\n"
	"  monthly_cost_usd REAL,\n"
	"  run_monthly_cost_usd REAL,\n"
	"  min_cores        REAL NOT NULL,\n"
	"  verdict          TEXT NOT NULL CHECK (verdict IN ('recommended', 'runner-up', 'meets', 'fails', 'no runs')),\n"
	"  reason           TEXT,\n"
	"  PRIMARY KEY (plan_id, variant)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE plan_services(\n"
	"  plan_id         INTEGER NOT NULL,\n"
	"  variant         INTEGER NOT NULL,\n"
	"  service         TEXT NOT NULL,\n"
	"  baseline        INTEGER,\n"
	"  min_replicas    INTEGER,\n"
	"  slo_met_runs    INTEGER,\n"
	"  p99_p50_ms      REAL,\n"
	"  p99_p95_ms      REAL,\n"
	"  error_rate      REAL,\n"
	"  pod_start_p99_s REAL,\n"
	"  PRIMARY KEY (plan_id, variant, service),\n"
	"  FOREIGN KEY (plan_id, variant) REFERENCES plan_variants(plan_id, variant) ON DELETE CASCADE\n"
	") WITHOUT ROWID;\n";

/* Version 5: CPU shared on a node. The new columns are NULL in older rows
 * (a run stored before did not measure them). pod_samples is one row per pod
 * per sample interval, the largest table of a run: WITHOUT ROWID, keyed so
 * that one pod of one run in time order is a range scan (pod names are never
 * reused within a run; the service keeps two services' pods apart whatever
 * their names). */
static const char SCHEMA_V5[] =
	"ALTER TABLE samples ADD COLUMN cpu_cores REAL;\n"
	"ALTER TABLE samples ADD COLUMN cpu_throttled REAL;\n"
	"ALTER TABLE samples ADD COLUMN cpu_pressure REAL;\n"
	"ALTER TABLE samples ADD COLUMN cpu_capacity REAL;\n"
	"ALTER TABLE summaries ADD COLUMN cpu_throttled REAL;\n"
	"ALTER TABLE summaries ADD COLUMN cpu_pressure REAL;\n"
	"CREATE TABLE pod_samples(\n"
	"  run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  t_s           REAL NOT NULL,\n"
	"  service       TEXT NOT NULL,\n"
	"  pod           TEXT NOT NULL,\n"
	"  node          TEXT,\n"
	"  cpu_cores     REAL,\n"
	"  cpu_util      REAL,\n"
	"  cpu_throttled REAL,\n"
	"  cpu_pressure  REAL,\n"
	"  PRIMARY KEY (run_id, service, pod, t_s)\n"
	") WITHOUT ROWID;\n";

/* Version 6: why a variant fails. Each term of a service's SLO judged
 * alone in every run (NULL when the term is not declared, and in the rows
 * of runs stored before), and per plan, variant, service and term the runs
 * that missed it. plan_failures is derived like plan_services. */
static const char SCHEMA_V6[] =
	"ALTER TABLE summaries ADD COLUMN latency_met INTEGER CHECK (latency_met IN (0, 1));\n"
	"ALTER TABLE summaries ADD COLUMN errors_met INTEGER CHECK (errors_met IN (0, 1));\n"
	"ALTER TABLE summaries ADD COLUMN violation_met INTEGER CHECK (violation_met IN (0, 1));\n"
	"CREATE TABLE plan_failures(\n"
	"  plan_id     INTEGER NOT NULL,\n"
	"  variant     INTEGER NOT NULL,\n"
	"  service     TEXT NOT NULL,\n"
	"  term        TEXT NOT NULL CHECK (term IN ('latency', 'errors', 'violation')),\n"
	"  objective   TEXT NOT NULL,\n"
	"  runs        INTEGER NOT NULL,\n"
	"  runs_missed INTEGER NOT NULL,\n"
	"  share       REAL,\n"
	"  PRIMARY KEY (plan_id, variant, service, term),\n"
	"  FOREIGN KEY (plan_id, variant) REFERENCES plan_variants(plan_id, variant) ON DELETE CASCADE\n"
	") WITHOUT ROWID;\n";

/* Version 7: a month's cost item by item (docs/cost.md). runs gain the spot
 * part of their node cost and their starting cluster's rate (an event day's
 * extra is what a run spent above it); plan_variants the month's items
 * (month_usd their total, which ranks them); plan_services each service's
 * share; plan_hours the modelled normal day. NULL in older rows. */
static const char SCHEMA_V7[] =
	"ALTER TABLE summaries ADD COLUMN cost_usd REAL;\n"
	"ALTER TABLE runs ADD COLUMN spot_cost_usd REAL;\n"
	"ALTER TABLE runs ADD COLUMN start_cost_per_hour REAL;\n"
	"ALTER TABLE runs ADD COLUMN start_spot_cost_per_hour REAL;\n"
	"ALTER TABLE plan_variants ADD COLUMN month_usd REAL;\n"
	"ALTER TABLE plan_variants ADD COLUMN month_normal_usd REAL;\n"
	"ALTER TABLE plan_variants ADD COLUMN month_events_usd REAL;\n"
	"ALTER TABLE plan_variants ADD COLUMN month_discount_usd REAL;\n"
	"ALTER TABLE plan_variants ADD COLUMN month_control_plane_usd REAL;\n"
	"ALTER TABLE plan_variants ADD COLUMN month_volumes_usd REAL;\n"
	"ALTER TABLE plan_variants ADD COLUMN month_node_hours REAL;\n"
	"ALTER TABLE plan_services ADD COLUMN monthly_share_usd REAL;\n"
	"CREATE TABLE plan_hours(\n"
	"  plan_id      INTEGER NOT NULL,\n"
	"  variant      INTEGER NOT NULL,\n"
	"  hour         INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),\n"
	"  factor       REAL NOT NULL,\n"
	"  nodes        INTEGER NOT NULL,\n"
	"  usd_per_hour REAL NOT NULL,\n"
	"  replicas     TEXT NOT NULL CHECK (json_valid(replicas)),\n"
	"  PRIMARY KEY (plan_id, variant, hour),\n"
	"  FOREIGN KEY (plan_id, variant) REFERENCES plan_variants(plan_id, variant) ON DELETE CASCADE\n"
	") WITHOUT ROWID;\n";

/* Version 8: how many of a nodes row's nodes are Drifted (cluster.drifts);
 * NULL in the rows of runs stored before. */
static const char SCHEMA_V8[] = "ALTER TABLE nodes ADD COLUMN drifted INTEGER;\n";

/* Version 9: progressive delivery (models/rollout.h). version_samples is
 * one row per version of a service with a rollout per sample interval;
 * rollouts one row per run and such service, its outcome. */
static const char SCHEMA_V9[] =
	"CREATE TABLE version_samples(\n"
	"  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  t_s        REAL NOT NULL,\n"
	"  service    TEXT NOT NULL,\n"
	"  version    INTEGER NOT NULL CHECK (version IN (0, 1)),\n"
	"  pods       INTEGER NOT NULL,\n"
	"  ready      INTEGER NOT NULL,\n"
	"  target     INTEGER NOT NULL,\n"
	"  weight     INTEGER NOT NULL,\n"
	"  requests   INTEGER NOT NULL,\n"
	"  errors     INTEGER NOT NULL,\n"
	"  error_rate REAL,\n"
	"  p99_ms     REAL,\n"
	"  PRIMARY KEY (run_id, service, version, t_s)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE rollouts(\n"
	"  run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  service         TEXT NOT NULL,\n"
	"  strategy        TEXT NOT NULL CHECK (strategy IN ('canary', 'blueGreen')),\n"
	"  outcome         TEXT NOT NULL CHECK (outcome IN ('pending', 'progressing', 'paused', 'aborted', 'promoted')),\n"
	"  started_s       REAL,\n"
	"  ended_s         REAL,\n"
	"  rollback_s      REAL,\n"
	"  measurements    INTEGER NOT NULL,\n"
	"  failed          INTEGER NOT NULL,\n"
	"  errors          INTEGER NOT NULL,\n"
	"  extra_pod_hours REAL NOT NULL,\n"
	"  max_pods        INTEGER NOT NULL,\n"
	"  extra_node_hours REAL,\n"
	"  extra_cost_usd  REAL,\n"
	"  PRIMARY KEY (run_id, service)\n"
	") WITHOUT ROWID;\n";

/* Version 10: absolute time and latency histograms (headroom export). A
 * run replaying a trace keeps the trace's Unix time at t = 0; a sample
 * keeps its interval's latencies as cumulative counts at Envoy's default
 * histogram bounds (sink.h SINK_LE_MS), a JSON array. NULL in older rows. */
static const char SCHEMA_V10[] =
	"ALTER TABLE runs ADD COLUMN epoch_s REAL;\n"
	"ALTER TABLE samples ADD COLUMN latency_le TEXT CHECK (latency_le IS NULL OR json_valid(latency_le));\n";

/* Version 11: Kafka (models/kafka.h, docs/kafka.md). kafka_samples, one row
 * per consumer group per sample interval; kafka_summaries, one per group
 * per run; sagas, one per run that started any. */
static const char SCHEMA_V11[] =
	"CREATE TABLE kafka_samples(\n"
	"  run_id            INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  t_s               REAL NOT NULL,\n"
	"  consumer_group    TEXT NOT NULL,\n"
	"  topic             TEXT NOT NULL,\n"
	"  service           TEXT NOT NULL,\n"
	"  partitions        INTEGER NOT NULL,\n"
	"  members           INTEGER NOT NULL,\n"
	"  lag               INTEGER NOT NULL,\n"
	"  max_partition_lag INTEGER NOT NULL,\n"
	"  paused            INTEGER NOT NULL,\n"
	"  produced          INTEGER NOT NULL,\n"
	"  consumed          INTEGER NOT NULL,\n"
	"  dlt               INTEGER NOT NULL,\n"
	"  rebalances        INTEGER NOT NULL,\n"
	"  latency_mean_ms   REAL,\n"
	"  latency_p99_ms    REAL,\n"
	"  keda_metric       REAL,\n"
	"  PRIMARY KEY (run_id, consumer_group, topic, t_s)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE kafka_summaries(\n"
	"  run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  consumer_group  TEXT NOT NULL,\n"
	"  topic           TEXT NOT NULL,\n"
	"  service         TEXT NOT NULL,\n"
	"  produced        INTEGER NOT NULL,\n"
	"  consumed        INTEGER NOT NULL,\n"
	"  deliveries      INTEGER NOT NULL,\n"
	"  failures        INTEGER NOT NULL,\n"
	"  dlt             INTEGER NOT NULL,\n"
	"  rebalances      INTEGER NOT NULL,\n"
	"  max_lag         INTEGER NOT NULL,\n"
	"  paused_s        REAL NOT NULL,\n"
	"  latency_mean_ms REAL,\n"
	"  latency_p50_ms  REAL,\n"
	"  latency_p99_ms  REAL,\n"
	"  latency_max_ms  REAL,\n"
	"  slo_met         INTEGER CHECK (slo_met IN (0, 1)),\n"
	"  PRIMARY KEY (run_id, consumer_group, topic)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE kafka_partition_samples(\n"
	"  run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  t_s            REAL NOT NULL,\n"
	"  consumer_group TEXT NOT NULL,\n"
	"  topic          TEXT NOT NULL,\n"
	"  partition      INTEGER NOT NULL,\n"
	"  lag            INTEGER NOT NULL,\n"
	"  produced       INTEGER NOT NULL,\n"
	"  member         INTEGER,\n"
	"  paused         INTEGER NOT NULL CHECK (paused IN (0, 1)),\n"
	"  PRIMARY KEY (run_id, consumer_group, topic, partition, t_s)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE saga_samples(\n"
	"  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  t_s       REAL NOT NULL,\n"
	"  started   INTEGER NOT NULL,\n"
	"  completed INTEGER NOT NULL,\n"
	"  failed    INTEGER NOT NULL,\n"
	"  open      INTEGER NOT NULL,\n"
	"  p50_s     REAL,\n"
	"  p99_s     REAL,\n"
	"  PRIMARY KEY (run_id, t_s)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE sagas(\n"
	"  run_id    INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  started   INTEGER NOT NULL,\n"
	"  completed INTEGER NOT NULL,\n"
	"  failed    INTEGER NOT NULL,\n"
	"  open      INTEGER NOT NULL,\n"
	"  mean_s    REAL,\n"
	"  p50_s     REAL,\n"
	"  p99_s     REAL,\n"
	"  max_s     REAL\n"
	");\n";

/* Version 12: several clusters behind an ALB (models/alb.h).
 * target_groups is one row per ALB target group per sample interval;
 * cluster_samples one row per cluster per sample interval; clusters one
 * row per run and cluster, its totals. */
static const char SCHEMA_V12[] =
	"CREATE TABLE target_groups(\n"
	"  run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  t_s          REAL NOT NULL,\n"
	"  rule         TEXT NOT NULL,\n"
	"  target_group TEXT NOT NULL,\n"
	"  cluster      TEXT NOT NULL,\n"
	"  weight       REAL NOT NULL,\n"
	"  share        REAL NOT NULL,\n"
	"  registered   INTEGER NOT NULL CHECK (registered IN (0, 1)),\n"
	"  requests     INTEGER NOT NULL,\n"
	"  cut          INTEGER NOT NULL,\n"
	"  PRIMARY KEY (run_id, rule, target_group, t_s)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE cluster_samples(\n"
	"  run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  t_s           REAL NOT NULL,\n"
	"  cluster       TEXT NOT NULL,\n"
	"  version       TEXT NOT NULL,\n"
	"  nodes         INTEGER NOT NULL,\n"
	"  ready         INTEGER NOT NULL,\n"
	"  cost_per_hour REAL NOT NULL,\n"
	"  requests      INTEGER NOT NULL,\n"
	"  errors        INTEGER NOT NULL,\n"
	"  PRIMARY KEY (run_id, cluster, t_s)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE clusters(\n"
	"  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  cluster    TEXT NOT NULL,\n"
	"  version    TEXT NOT NULL,\n"
	"  node_hours REAL NOT NULL,\n"
	"  cost_usd   REAL NOT NULL,\n"
	"  max_nodes  INTEGER NOT NULL,\n"
	"  requests   INTEGER NOT NULL,\n"
	"  errors     INTEGER NOT NULL,\n"
	"  services   INTEGER NOT NULL,\n"
	"  slo_met    INTEGER CHECK (slo_met IN (0, 1)),\n"
	"  PRIMARY KEY (run_id, cluster)\n"
	") WITHOUT ROWID;\n";

/*
 * The schema's history: migrations[v] takes a database from version v - 1 to
 * version v. A new file (version 0) runs every step; an older file runs the
 * steps after its version. A schema change appends a step here (and bumps
 * STORE_SCHEMA_VERSION); a step never changes once released.
 */
static const char *const migrations[] = {
	NULL,      /* version 0: an empty file */
	SCHEMA_V1, /* from nothing to version 1 */
	SCHEMA_V2, /* samples.desired, pending, hpa_cpu_util; decisions */
	SCHEMA_V3, /* summaries.pods_started, pod_start_*; runs.cost_usd ... max_nodes; nodes */
	SCHEMA_V4, /* plans, runs.plan_id, plan_variants, plan_services */
	SCHEMA_V5, /* samples.cpu_cores ... cpu_capacity; summaries.cpu_throttled, cpu_pressure; pod_samples */
	SCHEMA_V6, /* summaries.latency_met, errors_met, violation_met; plan_failures */
	SCHEMA_V7, /* runs.spot_cost_usd, start_*; plan_variants.month_*; plan_services.monthly_share_usd; plan_hours */
	SCHEMA_V8, /* nodes.drifted */
	SCHEMA_V9, /* version_samples, rollouts */
	SCHEMA_V10, /* runs.epoch_s; samples.latency_le */
	SCHEMA_V11, /* kafka_samples, kafka_summaries, kafka_partition_samples, saga_samples, sagas */
	SCHEMA_V12, /* target_groups, cluster_samples, clusters */
};
_Static_assert(ARRAY_LEN(migrations) == STORE_SCHEMA_VERSION + 1, "one migration step per schema version");

/* The stage: the same columns without run_id (it is known only at commit),
 * untyped so values keep the type they were bound with. Keys and the JSON
 * check as in the main tables, so a bad row fails at the sink call that
 * made it, with its service and time in the message. Decisions and nodes
 * keep their rowid: the order they were emitted in. */
static const char STAGE_SCHEMA[] =
	"CREATE TABLE stage.samples(" SAMPLE_COLS ", PRIMARY KEY (service, t_s)) WITHOUT ROWID;"
	"CREATE TABLE stage.summaries(" SUMMARY_COLS ", PRIMARY KEY (service)) WITHOUT ROWID;"
	"CREATE TABLE stage.decisions(" DECISION_COLS ", CHECK (metrics IS NULL OR json_valid(metrics)));"
	"CREATE TABLE stage.nodes(" NODES_COLS ");"
	"CREATE TABLE stage.pod_samples(" POD_SAMPLE_COLS ", PRIMARY KEY (service, pod, t_s)) WITHOUT ROWID;"
	"CREATE TABLE stage.version_samples(" VERSION_COLS ", PRIMARY KEY (service, version, t_s)) WITHOUT ROWID;"
	"CREATE TABLE stage.rollouts(" ROLLOUT_COLS ", PRIMARY KEY (service)) WITHOUT ROWID;"
	"CREATE TABLE stage.kafka_samples(" KAFKA_COLS ", PRIMARY KEY (consumer_group, topic, t_s)) WITHOUT ROWID;"
	"CREATE TABLE stage.kafka_summaries(" KAFKA_SUMMARY_COLS ", PRIMARY KEY (consumer_group, topic)) WITHOUT ROWID;"
	"CREATE TABLE stage.sagas(" SAGA_COLS ");"
	"CREATE TABLE stage.kafka_partition_samples(" KAFKA_PARTITION_COLS
	", PRIMARY KEY (consumer_group, topic, partition, t_s)) WITHOUT ROWID;"
	"CREATE TABLE stage.saga_samples(" SAGA_SAMPLE_COLS ", PRIMARY KEY (t_s)) WITHOUT ROWID;"
	"CREATE TABLE stage.target_groups(" TG_COLS ", PRIMARY KEY (rule, target_group, t_s)) WITHOUT ROWID;"
	"CREATE TABLE stage.cluster_samples(" KCLUSTER_COLS ", PRIMARY KEY (cluster, t_s)) WITHOUT ROWID;"
	"CREATE TABLE stage.clusters(" KCTOTAL_COLS ", PRIMARY KEY (cluster)) WITHOUT ROWID;";

static const char SQL_PUT_SAMPLE[] = "INSERT INTO stage.samples(" SAMPLE_COLS ") VALUES "
				     "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
				     "?19, ?20, ?21, ?22)";
static const char SQL_PUT_SUMMARY[] = "INSERT INTO stage.summaries(" SUMMARY_COLS ") VALUES "
				      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
				      "?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)";
static const char SQL_PUT_DECISION[] = "INSERT INTO stage.decisions(" DECISION_COLS ") VALUES "
				       "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char SQL_PUT_NODES[] = "INSERT INTO stage.nodes(" NODES_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_PUT_POD_SAMPLE[] = "INSERT INTO stage.pod_samples(" POD_SAMPLE_COLS ") VALUES "
					 "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_PUT_VERSION[] = "INSERT INTO stage.version_samples(" VERSION_COLS ") VALUES "
				      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char SQL_PUT_ROLLOUT[] = "INSERT INTO stage.rollouts(" ROLLOUT_COLS ") VALUES "
				      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char SQL_COPY_VERSIONS[] = "INSERT INTO main.version_samples(run_id, " VERSION_COLS ") SELECT ?1, "
					VERSION_COLS " FROM stage.version_samples ORDER BY service, version, t_s";
static const char SQL_COPY_ROLLOUTS[] = "INSERT INTO main.rollouts(run_id, " ROLLOUT_COLS ") SELECT ?1, " ROLLOUT_COLS
					" FROM stage.rollouts ORDER BY service";
static const char SQL_PUT_KAFKA[] = "INSERT INTO stage.kafka_samples(" KAFKA_COLS ") VALUES "
				    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
static const char SQL_PUT_KAFKA_SUMMARY[] = "INSERT INTO stage.kafka_summaries(" KAFKA_SUMMARY_COLS ") VALUES "
					    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
static const char SQL_PUT_SAGAS[] = "INSERT INTO stage.sagas(" SAGA_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_PUT_KAFKA_PARTITION[] = "INSERT INTO stage.kafka_partition_samples(" KAFKA_PARTITION_COLS
					      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_COPY_KAFKA_PARTITIONS[] = "INSERT INTO main.kafka_partition_samples(run_id, " KAFKA_PARTITION_COLS
						") SELECT ?1, " KAFKA_PARTITION_COLS
						" FROM stage.kafka_partition_samples ORDER BY consumer_group, topic, partition, t_s";
static const char SQL_PUT_SAGA_SAMPLE[] = "INSERT INTO stage.saga_samples(" SAGA_SAMPLE_COLS
					  ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_COPY_SAGA_SAMPLES[] = "INSERT INTO main.saga_samples(run_id, " SAGA_SAMPLE_COLS ") SELECT ?1, "
					    SAGA_SAMPLE_COLS " FROM stage.saga_samples ORDER BY t_s";
static const char SQL_COPY_KAFKA[] = "INSERT INTO main.kafka_samples(run_id, " KAFKA_COLS ") SELECT ?1, " KAFKA_COLS
				     " FROM stage.kafka_samples ORDER BY consumer_group, topic, t_s";
static const char SQL_COPY_KAFKA_SUMMARIES[] = "INSERT INTO main.kafka_summaries(run_id, " KAFKA_SUMMARY_COLS
					       ") SELECT ?1, " KAFKA_SUMMARY_COLS
					       " FROM stage.kafka_summaries ORDER BY consumer_group, topic";
static const char SQL_COPY_SAGAS[] = "INSERT INTO main.sagas(run_id, " SAGA_COLS ") SELECT ?1, " SAGA_COLS
				     " FROM stage.sagas";
static const char SQL_PUT_TG[] = "INSERT INTO stage.target_groups(" TG_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_PUT_KCLUSTER[] = "INSERT INTO stage.cluster_samples(" KCLUSTER_COLS ") VALUES "
				       "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_PUT_KCTOTAL[] = "INSERT INTO stage.clusters(" KCTOTAL_COLS ") VALUES "
				      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_COPY_TGS[] = "INSERT INTO main.target_groups(run_id, " TG_COLS ") SELECT ?1, " TG_COLS
				   " FROM stage.target_groups ORDER BY rule, target_group, t_s";
static const char SQL_COPY_KCLUSTERS[] = "INSERT INTO main.cluster_samples(run_id, " KCLUSTER_COLS ") SELECT ?1, "
					 KCLUSTER_COLS " FROM stage.cluster_samples ORDER BY cluster, t_s";
static const char SQL_COPY_KCTOTALS[] = "INSERT INTO main.clusters(run_id, " KCTOTAL_COLS ") SELECT ?1, " KCTOTAL_COLS
					" FROM stage.clusters ORDER BY cluster";
/* In key order, so the main table's B-tree is appended to, not scattered. */
static const char SQL_COPY_SAMPLES[] = "INSERT INTO main.samples(run_id, " SAMPLE_COLS ") SELECT ?1, " SAMPLE_COLS
				       " FROM stage.samples ORDER BY service, t_s";
static const char SQL_COPY_SUMMARIES[] = "INSERT INTO main.summaries(run_id, " SUMMARY_COLS ") SELECT ?1, " SUMMARY_COLS
					 " FROM stage.summaries ORDER BY service";
/* In the order emitted, which main.decisions.id then keeps. */
static const char SQL_COPY_DECISIONS[] = "INSERT INTO main.decisions(run_id, " DECISION_COLS ") "
					 "SELECT ?1, " DECISION_COLS " FROM stage.decisions ORDER BY rowid";
/* In the order emitted: time order. */
static const char SQL_COPY_NODES[] = "INSERT INTO main.nodes(run_id, " NODES_COLS ") SELECT ?1, " NODES_COLS
				     " FROM stage.nodes ORDER BY rowid";
/* In key order, as the samples (they are emitted in time order). */
static const char SQL_COPY_POD_SAMPLES[] = "INSERT INTO main.pod_samples(run_id, " POD_SAMPLE_COLS ") SELECT ?1, "
					   POD_SAMPLE_COLS " FROM stage.pod_samples ORDER BY service, pod, t_s";
/* A scenario row is shared by every run of the same text and overrides. ON
 * CONFLICT (rather than INSERT OR IGNORE) ignores only that case, not a
 * NOT NULL violation. */
static const char SQL_PUT_SCENARIO[] = "INSERT INTO scenarios(name, path, hash, yaml, overrides, created_at) "
				       "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (hash) DO NOTHING";
static const char SQL_GET_SCENARIO[] = "SELECT id FROM scenarios WHERE hash = ?1";
static const char SQL_PUT_RUN[] = "INSERT INTO runs(scenario_id, variant, replication, seed, params, status, "
				  "started_at, wall_s, events, requests, sim_s, version, cost_usd, monthly_cost_usd, "
				  "node_hours, max_nodes, plan_id, base_cost_per_hour, spot_cost_usd, start_cost_per_hour, "
				  "start_spot_cost_per_hour, epoch_s) "
				  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
				  "?20, ?21, ?22)";

/* ---- SHA-256 (FIPS 180-4), to name a scenario by its content ----------- */

struct sha256 {
	uint32_t h[8];   /* the chaining state */
	uint8_t buf[64]; /* a partial block */
	size_t n_buf;    /* bytes in buf */
	uint64_t n;      /* message bytes so far */
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n) { return x >> n | x << (32 - n); }

static void sha_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], v[8];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
		       (uint32_t)p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ w[i - 15] >> 3;
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ w[i - 2] >> 10;
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, h, sizeof v);
	for (int i = 0; i < 64; i++) { /* v = a b c d e f g h */
		uint32_t t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) + ((v[4] & v[5]) ^ (~v[4] & v[6])) +
			      sha_k[i] + w[i];
		uint32_t t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof *v);
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += v[i];
}

static void sha_init(struct sha256 *c)
{
	static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(c->h, h0, sizeof h0);
	c->n_buf = 0;
	c->n = 0;
}

static void sha_update(struct sha256 *c, const void *data, size_t n)
{
	const uint8_t *p = data;
	c->n += n;
	while (n > 0) {
		size_t k = HR_MIN(n, sizeof c->buf - c->n_buf);
		memcpy(c->buf + c->n_buf, p, k);
		c->n_buf += k;
		p += k;
		n -= k;
		if (c->n_buf == sizeof c->buf) {
			sha_block(c->h, c->buf);
			c->n_buf = 0;
		}
	}
}

/* Pads (0x80, zeros, the length in bits, big-endian) and writes 64 lowercase
 * hex digits and a NUL to hex. */
static void sha_hex(struct sha256 *c, char hex[65])
{
	uint64_t bits = c->n * 8;
	uint8_t pad[72] = {0x80};
	size_t n_pad = (c->n_buf < 56 ? 56 : 120) - c->n_buf;
	for (int i = 0; i < 8; i++)
		pad[n_pad + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_update(c, pad, n_pad + 8);
	assert(c->n_buf == 0);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 8 * i, 9, "%08" PRIx32, c->h[i]);
}

/* The scenario's identity: SHA-256 of its YAML text, a NUL, its overrides.
 * The NUL keeps ("ab", "c") and ("a", "bc") apart. */
static void scenario_hash(const char *yaml, const char *overrides, char hex[65])
{
	struct sha256 c;
	sha_init(&c);
	sha_update(&c, yaml, strlen(yaml) + 1);
	sha_update(&c, overrides, strlen(overrides));
	sha_hex(&c, hex);
}

/* ---- Helpers ----------------------------------------------------------- */

/* Now, UTC, ISO-8601 to the millisecond: "2025-01-31T23:59:59.123Z", the
 * format of SQLite's strftime('%Y-%m-%dT%H:%M:%fZ'), so its date functions
 * and pandas read it as is. */
static void utc_now(char out[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + k, 32 - k, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

/* Why a database file could not be opened or written, as " (hint)", or "".
 * SQLite says only "unable to open database file"; the file system knows. */
static void io_hint(const char *path, char *out, size_t n)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else
		slash[slash == dir] = '\0'; /* "/x.db" keeps its "/" */
	struct stat sb;
	out[0] = '\0';
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		snprintf(out, n, " (it is a directory)");
	else if (stat(dir, &sb) != 0 && errno == ENOENT)
		snprintf(out, n, " (directory '%s' does not exist?)", dir);
	else if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		snprintf(out, n, " ('%s' is not a directory)", dir);
	else if (access(dir, W_OK | X_OK) != 0)
		snprintf(out, n, " (directory '%s' is not writable?)", dir);
	else if (access(path, F_OK) == 0 && access(path, R_OK | W_OK) != 0)
		snprintf(out, n, " (no permission to read and write it?)");
	free(dir);
}

/* Sets e to "path: what: <SQLite's message>[ (hint)]" and returns -1. */
static int db_fail(store *st, struct herr *e, const char *what)
{
	char hint[600] = "";
	int code = sqlite3_errcode(st->db) & 0xff;
	if (code == SQLITE_CANTOPEN || code == SQLITE_READONLY || code == SQLITE_PERM)
		io_hint(st->path, hint, sizeof hint);
	else if (code == SQLITE_FULL || code == SQLITE_IOERR)
		snprintf(hint, sizeof hint, " (is the disk full, or a file size limit reached? the database keeps "
					    "its earlier runs and nothing of this one)");
	return herr_at(e, st->path, 0, 0, "%s: %s%s", what, sqlite3_errmsg(st->db), hint);
}

static int exec(store *st, const char *sql, const char *what, struct herr *e)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	return db_fail(st, e, what);
}

static int prepare(store *st, const char *sql, unsigned flags, sqlite3_stmt **s, const char *what, struct herr *e)
{
	if (sqlite3_prepare_v3(st->db, sql, -1, flags, s, NULL) == SQLITE_OK)
		return 0;
	return db_fail(st, e, what);
}

/* Steps s once, expecting `want` (SQLITE_ROW or SQLITE_DONE). */
static int step(store *st, sqlite3_stmt *s, int want, const char *what, struct herr *e)
{
	int rc = sqlite3_step(s);
	if (rc == want)
		return 0;
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return herr_at(e, st->path, 0, 0, "%s: unexpected %s", what, rc == SQLITE_ROW ? "row" : "end of rows");
	return db_fail(st, e, what);
}

/* A REAL; NaN (undefined, e.g. the latency of an interval with no request)
 * is NULL, as SCHEMA.md promises. */
static void bind_real(sqlite3_stmt *s, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_double(s, i, v);
}

/* An INTEGER where -1 means "none": NULL, as SCHEMA.md promises. */
static void bind_count(sqlite3_stmt *s, int i, int v)
{
	if (v < 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int(s, i, v);
}

/* Text borrowed for one step: the statement is reset and its bindings
 * cleared right after, so the pointer never outlives the row. */
static void bind_str(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* ---- Opening ------------------------------------------------------------ */

static int read_version(store *st, int *version, struct herr *e)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(s, 0);
	else if ((sqlite3_errcode(st->db) & 0xff) == SQLITE_NOTADB)
		herr_at(e, st->path, 0, 0, "not a headroom database (%s)", sqlite3_errmsg(st->db));
	else
		db_fail(st, e, "cannot read database");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Whether the file already holds tables (of another program, if its version
 * is 0). */
static int has_tables(store *st, bool *yes, struct herr *e)
{
	sqlite3_stmt *s = NULL;
	int rc = prepare(st, "SELECT count(*) FROM sqlite_schema", 0, &s, "cannot read database", e);
	if (!rc)
		rc = step(st, s, SQLITE_ROW, "cannot read database", e);
	if (!rc)
		*yes = sqlite3_column_int64(s, 0) > 0;
	sqlite3_finalize(s);
	return rc;
}

/* Refuses a version this code cannot bring up to date, before anything is
 * written to the file. */
static int check_version(store *st, int version, struct herr *e)
{
	if (version < 0 || version > STORE_SCHEMA_VERSION)
		return herr_at(e, st->path, 0, 0, "schema version %d, this headroom reads version %d%s", version,
			       STORE_SCHEMA_VERSION, version > 0 ? " (written by a newer headroom?)" : "");
	bool tables = false;
	if (version == 0 && has_tables(st, &tables, e))
		return -1;
	if (tables)
		return herr_at(e, st->path, 0, 0,
			       "not a headroom database (it has tables but no headroom schema version)");
	return 0;
}

/* Brings the file from `version` to STORE_SCHEMA_VERSION in one transaction.
 * The version is read again under the write lock: another process may have
 * created the schema since (two runs of a sweep opening a new file). */
static int migrate(store *st, int version, struct herr *e)
{
	char sql[128];
	int rc = exec(st, "BEGIN IMMEDIATE", "cannot create the schema", e);
	if (!rc)
		rc = read_version(st, &version, e);
	if (!rc && version != STORE_SCHEMA_VERSION)
		rc = check_version(st, version, e);
	for (int v = version + 1; !rc && v <= STORE_SCHEMA_VERSION; v++) {
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d; INSERT OR REPLACE INTO meta(key, value) "
					  "VALUES ('schema_version', '%d')", v, v);
		rc = exec(st, migrations[v], "cannot create the schema", e);
		if (!rc)
			rc = exec(st, sql, "cannot create the schema", e);
	}
	if (!rc)
		rc = exec(st, "COMMIT", "cannot create the schema", e);
	if (rc && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* One attempt at PRAGMA journal_mode = WAL: SQLite's result code, and the
 * mode the file ended in (in mode, on SQLITE_ROW). */
static int try_wal(store *st, char *mode, size_t n)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(mode, n, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return rc;
}

/*
 * WAL: readers never block the writer, and a commit is one append. The mode
 * is stored in the file, so this changes something only on a new file. There
 * the switch needs the file to itself, and processes of a sweep switching
 * the same new file at once deadlock on the lock upgrade: SQLite answers BUSY
 * at once rather than call the busy handler. The loser retries (and finds
 * the file in WAL mode). The pragma answers the mode it ended in, which
 * stays the old one where WAL cannot work (a file system without shared
 * memory).
 */
static int set_wal(store *st, struct herr *e)
{
	const char *what = "cannot switch to WAL mode";
	char mode[16] = "";
	int rc = try_wal(st, mode, sizeof mode);
	for (int waited = 0; (rc & 0xff) == SQLITE_BUSY && waited < BUSY_TIMEOUT_MS; waited += 10) {
		sqlite3_sleep(10);
		rc = try_wal(st, mode, sizeof mode);
	}
	if (rc != SQLITE_ROW)
		return db_fail(st, e, what);
	if (sqlite3_stricmp(mode, "wal") != 0)
		return herr_at(e, st->path, 0, 0, "%s: the journal mode stays '%s'", what, mode);
	return exec(st, "PRAGMA synchronous = NORMAL", "cannot configure database", e);
}

/* The file's version, refused unless this code can bring it up to date. One
 * read transaction: between two separate reads another process may commit
 * the schema, and the file would look like "version 0, but tables". */
static int inspect(store *st, int *version, struct herr *e)
{
	int rc = exec(st, "BEGIN", "cannot read database", e);
	if (!rc)
		rc = read_version(st, version, e);
	if (!rc)
		rc = check_version(st, *version, e);
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL); /* it only read */
	return rc;
}

/* Settings of the connection, then the schema. journal_mode is set only once
 * the file is known to be ours: it is written into the file. */
static int setup(store *st, struct herr *e)
{
	int version = 0;
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	/* temp_store=FILE: the stage must be able to outgrow memory. */
	int rc = exec(st, "PRAGMA foreign_keys = ON; PRAGMA temp_store = FILE", "cannot configure database", e);
	if (!rc)
		rc = inspect(st, &version, e);
	if (!rc)
		rc = set_wal(st, e);
	if (!rc && version != STORE_SCHEMA_VERSION)
		rc = migrate(st, version, e);
	return rc;
}

/* Makes the file if it does not exist; true if this call made it. O_EXCL,
 * not a stat before opening: of several processes of a sweep opening one new
 * path at once, exactly one made the file, and only that one may remove it
 * again. Any other failure is left to SQLite to report. */
static bool make_file(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

store *store_open(const char *path, bool *created, struct herr *e)
{
	bool made = make_file(path);
	store *st = xcalloc(1, sizeof *st);
	st->path = xstrdup(path);
	/* NOMUTEX: a store, like its staging state, belongs to one thread at a time. */
	int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		rc = st->db ? db_fail(st, e, "cannot open database") : herr_at(e, path, 0, 0, "out of memory");
	else
		rc = setup(st, e);
	if (created)
		*created = made && !rc;
	if (!rc)
		return st;
	store_close(st);
	if (made) /* leave no file behind that this call made */
		store_remove_files(path);
	return NULL;
}

/* ---- Staging ------------------------------------------------------------ */

/* Drops the stage, whatever state begin or commit left it in. */
static void stage_drop(store *st)
{
	sqlite3_finalize(st->put_sample);
	sqlite3_finalize(st->put_summary);
	sqlite3_finalize(st->put_decision);
	sqlite3_finalize(st->put_nodes);
	sqlite3_finalize(st->put_pod_sample);
	sqlite3_finalize(st->put_version);
	sqlite3_finalize(st->put_rollout);
	sqlite3_finalize(st->put_kafka);
	sqlite3_finalize(st->put_kafka_summary);
	sqlite3_finalize(st->put_sagas);
	sqlite3_finalize(st->put_kafka_partition);
	sqlite3_finalize(st->put_saga_sample);
	sqlite3_finalize(st->put_tg);
	sqlite3_finalize(st->put_kcluster);
	sqlite3_finalize(st->put_kctotal);
	st->put_tg = st->put_kcluster = st->put_kctotal = NULL;
	st->put_sample = st->put_summary = st->put_decision = st->put_nodes = st->put_pod_sample = NULL;
	st->put_version = st->put_rollout = NULL;
	st->put_kafka = st->put_kafka_summary = st->put_sagas = st->put_kafka_partition = st->put_saga_sample = NULL;
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	/* Fails harmlessly if begin failed before attaching. */
	sqlite3_exec(st->db, "DETACH DATABASE stage", NULL, NULL, NULL);
	st->staging = false;
}

void store_close(store *st)
{
	if (!st)
		return;
	if (st->staging)
		stage_drop(st);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int store_run_begin(store *st, const struct run_info *ri, struct herr *e)
{
	assert(!st->staging && ri && ri->sc && ri->sc->text && ri->sc->name);
	const char *what = "cannot stage a run";
	/* The sink's statements live as long as the run: PERSISTENT. */
	unsigned keep = SQLITE_PREPARE_PERSISTENT;
	int rc = exec(st, "ATTACH DATABASE '' AS stage", what, e);
	if (!rc)
		rc = exec(st, STAGE_SCHEMA, what, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_SAMPLE, keep, &st->put_sample, what, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_SUMMARY, keep, &st->put_summary, what, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_DECISION, keep, &st->put_decision, what, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_NODES, keep, &st->put_nodes, what, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_POD_SAMPLE, keep, &st->put_pod_sample, what, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_VERSION, keep, &st->put_version, what, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_ROLLOUT, keep, &st->put_rollout, what, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_KAFKA, keep, &st->put_kafka, what, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_KAFKA_SUMMARY, keep, &st->put_kafka_summary, what, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_SAGAS, keep, &st->put_sagas, what, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_KAFKA_PARTITION, keep, &st->put_kafka_partition, what, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_SAGA_SAMPLE, keep, &st->put_saga_sample, what, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_TG, keep, &st->put_tg, what, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_KCLUSTER, keep, &st->put_kcluster, what, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_KCTOTAL, keep, &st->put_kctotal, what, e);
	/* One transaction on the stage for the whole run, not one per row; it
	 * touches no table of main, so it takes no lock there. */
	if (!rc)
		rc = exec(st, "BEGIN", what, e);
	if (rc) {
		stage_drop(st);
		return -1;
	}
	st->staging = true;
	st->ri = *ri;
	st->sink_failed = false;
	st->has_cost = false;
	st->plan_id = 0;
	utc_now(st->started_at);
	return 0;
}

/* Steps a staging INSERT; the first failure is kept for the commit. The
 * row is named in the message as "the <row> of <owner> '<name>'". */
static void stage_row(store *st, sqlite3_stmt *s, const char *row, const char *owner, const char *name, double t_s)
{
	if (sqlite3_step(s) != SQLITE_DONE && !st->sink_failed) {
		st->sink_failed = true;
		if (isnan(t_s))
			herr_at(&st->sink_err, st->path, 0, 0, "cannot stage the %s of %s '%s': %s", row, owner, name,
				sqlite3_errmsg(st->db));
		else
			herr_at(&st->sink_err, st->path, 0, 0, "cannot stage the %s of %s '%s' at t_s %g: %s", row, owner,
				name, t_s, sqlite3_errmsg(st->db));
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static void sink_sample(void *ctx, const struct row_sample *r)
{
	store *st = ctx;
	assert(st->staging);
	if (st->sink_failed) /* the run cannot be committed: spare the work */
		return;
	sqlite3_stmt *s = st->put_sample;
	bind_real(s, 1, r->t_s);
	bind_str(s, 2, r->service);
	bind_real(s, 3, r->offered_rps);
	bind_real(s, 4, r->served_rps);
	sqlite3_bind_int64(s, 5, r->errors);
	sqlite3_bind_int64(s, 6, r->timeouts);
	sqlite3_bind_int64(s, 7, r->rejected);
	bind_real(s, 8, r->mean_ms);
	bind_real(s, 9, r->p50_ms);
	bind_real(s, 10, r->p99_ms);
	sqlite3_bind_int(s, 11, r->replicas);
	sqlite3_bind_int(s, 12, r->ready);
	sqlite3_bind_int(s, 13, r->in_flight);
	bind_real(s, 14, r->cpu_util);
	sqlite3_bind_int(s, 15, r->desired);
	sqlite3_bind_int(s, 16, r->pending);
	bind_real(s, 17, r->hpa_cpu_util);
	bind_real(s, 18, r->cpu_cores);
	bind_real(s, 19, r->cpu_throttled);
	bind_real(s, 20, r->cpu_pressure);
	bind_real(s, 21, r->cpu_capacity);
	char le[SINK_N_LE * 21 + 3];
	if (r->latency_le) {
		size_t k = 0;
		for (int j = 0; j < SINK_N_LE; j++)
			k += (size_t)snprintf(le + k, sizeof le - k, "%s%" PRIu64, j ? "," : "[", r->latency_le[j]);
		snprintf(le + k, sizeof le - k, "]");
		bind_str(s, 22, le);
	}
	stage_row(st, s, "sample", "service", r->service, r->t_s);
}

static void sink_summary(void *ctx, const struct row_summary *r)
{
	store *st = ctx;
	assert(st->staging);
	if (st->sink_failed)
		return;
	sqlite3_stmt *s = st->put_summary;
	bind_str(s, 1, r->service);
	sqlite3_bind_int64(s, 2, r->requests);
	sqlite3_bind_int64(s, 3, r->served);
	sqlite3_bind_int64(s, 4, r->errors);
	sqlite3_bind_int64(s, 5, r->timeouts);
	sqlite3_bind_int64(s, 6, r->rejected);
	bind_real(s, 7, r->mean_ms);
	bind_real(s, 8, r->p50_ms);
	bind_real(s, 9, r->p90_ms);
	bind_real(s, 10, r->p99_ms);
	bind_real(s, 11, r->p999_ms);
	bind_real(s, 12, r->max_ms);
	bind_real(s, 13, r->error_rate);
	bind_real(s, 14, r->timeout_rate);
	bind_real(s, 15, r->cpu_util);
	bind_real(s, 16, r->violation_minutes);
	if (r->slo_met < 0) /* no objective declared */
		sqlite3_bind_null(s, 17);
	else
		sqlite3_bind_int(s, 17, r->slo_met);
	sqlite3_bind_int64(s, 18, r->pods_started);
	bind_real(s, 19, r->pod_start_p50_s);
	bind_real(s, 20, r->pod_start_p99_s);
	bind_real(s, 21, r->cpu_throttled);
	bind_real(s, 22, r->cpu_pressure);
	const int terms[] = {r->latency_met, r->errors_met, r->violation_met};
	for (int k = 0; k < 3; k++)
		if (terms[k] >= 0)
			sqlite3_bind_int(s, 23 + k, terms[k]);
	bind_real(s, 26, r->cost_usd);
	stage_row(st, s, "summary", "service", r->service, NAN);
}

static void sink_decision(void *ctx, const struct row_decision *r)
{
	store *st = ctx;
	assert(st->staging && r->service && r->kind && r->event);
	if (st->sink_failed)
		return;
	sqlite3_stmt *s = st->put_decision;
	bind_real(s, 1, r->t_s);
	bind_str(s, 2, r->service);
	bind_str(s, 3, r->kind);
	bind_str(s, 4, r->pod);
	bind_str(s, 5, r->event);
	sqlite3_bind_int(s, 6, r->replicas);
	sqlite3_bind_int(s, 7, r->desired);
	bind_count(s, 8, r->raw);
	bind_count(s, 9, r->stabilized);
	bind_count(s, 10, r->limited);
	bind_str(s, 11, r->bound);
	bind_str(s, 12, r->metrics);
	bind_str(s, 13, r->detail);
	stage_row(st, s, "decision", "service", r->service, r->t_s);
}

static void sink_nodes(void *ctx, const struct row_nodes *r)
{
	store *st = ctx;
	assert(st->staging && r->pool && r->instance_type);
	if (st->sink_failed)
		return;
	sqlite3_stmt *s = st->put_nodes;
	bind_real(s, 1, r->t_s);
	bind_str(s, 2, r->pool);
	bind_str(s, 3, r->instance_type);
	sqlite3_bind_int(s, 4, r->launching);
	sqlite3_bind_int(s, 5, r->registered);
	sqlite3_bind_int(s, 6, r->ready);
	sqlite3_bind_int(s, 7, r->draining);
	bind_real(s, 8, r->cost_per_hour);
	sqlite3_bind_int(s, 9, r->drifted);
	stage_row(st, s, "nodes row", "pool", r->pool, r->t_s);
}

static void sink_pod_sample(void *ctx, const struct row_pod_sample *r)
{
	store *st = ctx;
	assert(st->staging && r->service && r->pod);
	if (st->sink_failed)
		return;
	sqlite3_stmt *s = st->put_pod_sample;
	bind_real(s, 1, r->t_s);
	bind_str(s, 2, r->service);
	bind_str(s, 3, r->pod);
	bind_str(s, 4, r->node);
	bind_real(s, 5, r->cpu_cores);
	bind_real(s, 6, r->cpu_util);
	bind_real(s, 7, r->cpu_throttled);
	bind_real(s, 8, r->cpu_pressure);
	stage_row(st, s, "sample", "pod", r->pod, r->t_s);
}

static void sink_version(void *ctx, const struct row_version *r)
{
	store *st = ctx;
	assert(st->staging && r->service);
	if (st->sink_failed)
		return;
	sqlite3_stmt *s = st->put_version;
	bind_real(s, 1, r->t_s);
	bind_str(s, 2, r->service);
	sqlite3_bind_int(s, 3, r->version);
	sqlite3_bind_int(s, 4, r->pods);
	sqlite3_bind_int(s, 5, r->ready);
	sqlite3_bind_int(s, 6, r->target);
	sqlite3_bind_int(s, 7, r->weight);
	sqlite3_bind_int64(s, 8, r->requests);
	sqlite3_bind_int64(s, 9, r->errors);
	bind_real(s, 10, r->error_rate);
	bind_real(s, 11, r->p99_ms);
	stage_row(st, s, "version sample", "service", r->service, r->t_s);
}

static void sink_rollout(void *ctx, const struct row_rollout *r)
{
	store *st = ctx;
	assert(st->staging && r->service);
	if (st->sink_failed)
		return;
	sqlite3_stmt *s = st->put_rollout;
	bind_str(s, 1, r->service);
	bind_str(s, 2, r->strategy);
	bind_str(s, 3, r->outcome);
	bind_real(s, 4, r->started_s);
	bind_real(s, 5, r->ended_s);
	bind_real(s, 6, r->rollback_s);
	sqlite3_bind_int(s, 7, r->measurements);
	sqlite3_bind_int(s, 8, r->failed);
	sqlite3_bind_int(s, 9, r->errors);
	bind_real(s, 10, r->extra_pod_hours);
	sqlite3_bind_int(s, 11, r->max_pods);
	bind_real(s, 12, r->extra_node_hours);
	bind_real(s, 13, r->extra_cost_usd);
	stage_row(st, s, "rollout", "service", r->service, NAN);
}

static void sink_kafka(void *ctx, const struct row_kafka *r)
{
	store *st = ctx;
	assert(st->staging && r->group && r->topic && r->service);
	if (st->sink_failed)
		return;
	sqlite3_stmt *s = st->put_kafka;
	bind_real(s, 1, r->t_s);
	bind_str(s, 2, r->group);
	bind_str(s, 3, r->topic);
	bind_str(s, 4, r->service);
	sqlite3_bind_int(s, 5, r->partitions);
	sqlite3_bind_int(s, 6, r->members);
	sqlite3_bind_int64(s, 7, r->lag);
	sqlite3_bind_int64(s, 8, r->max_partition_lag);
	sqlite3_bind_int(s, 9, r->paused);
	sqlite3_bind_int64(s, 10, r->produced);
	sqlite3_bind_int64(s, 11, r->consumed);
	sqlite3_bind_int64(s, 12, r->dlt);
	sqlite3_bind_int64(s, 13, r->rebalances);
	bind_real(s, 14, r->latency_mean_ms);
	bind_real(s, 15, r->latency_p99_ms);
	bind_real(s, 16, r->keda_metric);
	stage_row(st, s, "kafka sample", "group", r->group, r->t_s);
}

static void sink_kafka_summary(void *ctx, const struct row_kafka_summary *r)
{
	store *st = ctx;
	assert(st->staging && r->group && r->topic && r->service);
	if (st->sink_failed)
		return;
	sqlite3_stmt *s = st->put_kafka_summary;
	bind_str(s, 1, r->group);
	bind_str(s, 2, r->topic);
	bind_str(s, 3, r->service);
	sqlite3_bind_int64(s, 4, r->produced);
	sqlite3_bind_int64(s, 5, r->consumed);
	sqlite3_bind_int64(s, 6, r->deliveries);
	sqlite3_bind_int64(s, 7, r->failures);
	sqlite3_bind_int64(s, 8, r->dlt);
	sqlite3_bind_int64(s, 9, r->rebalances);
	sqlite3_bind_int64(s, 10, r->max_lag);
	bind_real(s, 11, r->paused_s);
	bind_real(s, 12, r->latency_mean_ms);
	bind_real(s, 13, r->latency_p50_ms);
	bind_real(s, 14, r->latency_p99_ms);
	bind_real(s, 15, r->latency_max_ms);
	if (r->slo_met >= 0)
		sqlite3_bind_int(s, 16, r->slo_met);
	else
		sqlite3_bind_null(s, 16);
	stage_row(st, s, "kafka summary", "group", r->group, NAN);
}

static void sink_kafka_partition(void *ctx, const struct row_kafka_partition *r)
{
	store *st = ctx;
	assert(st->staging && r->group && r->topic);
	if (st->sink_failed)
		return;
	sqlite3_stmt *s = st->put_kafka_partition;
	bind_real(s, 1, r->t_s);
	bind_str(s, 2, r->group);
	bind_str(s, 3, r->topic);
	sqlite3_bind_int(s, 4, r->partition);
	sqlite3_bind_int64(s, 5, r->lag);
	sqlite3_bind_int64(s, 6, r->produced);
	if (r->member >= 0)
		sqlite3_bind_int(s, 7, r->member);
	else
		sqlite3_bind_null(s, 7);
	sqlite3_bind_int(s, 8, r->paused);
	stage_row(st, s, "kafka partition sample", "group", r->group, r->t_s);
}

static void sink_saga_sample(void *ctx, const struct row_saga_sample *r)
{
	store *st = ctx;
	assert(st->staging);
	if (st->sink_failed)
		return;
	sqlite3_stmt *s = st->put_saga_sample;
	bind_real(s, 1, r->t_s);
	sqlite3_bind_int64(s, 2, r->started);
	sqlite3_bind_int64(s, 3, r->completed);
	sqlite3_bind_int64(s, 4, r->failed);
	sqlite3_bind_int64(s, 5, r->open);
	bind_real(s, 6, r->p50_s);
	bind_real(s, 7, r->p99_s);
	stage_row(st, s, "saga sample", "run", "sagas", r->t_s);
}

static void sink_sagas(void *ctx, const struct row_sagas *r)
{
	store *st = ctx;
	assert(st->staging);
	if (st->sink_failed)
		return;
	sqlite3_stmt *s = st->put_sagas;
	sqlite3_bind_int64(s, 1, r->started);
	sqlite3_bind_int64(s, 2, r->completed);
	sqlite3_bind_int64(s, 3, r->failed);
	sqlite3_bind_int64(s, 4, r->open);
	bind_real(s, 5, r->mean_s);
	bind_real(s, 6, r->p50_s);
	bind_real(s, 7, r->p99_s);
	bind_real(s, 8, r->max_s);
	stage_row(st, s, "sagas row", "run", "sagas", NAN);
}

static void sink_tg(void *ctx, const struct row_tg *r)
{
	store *st = ctx;
	assert(st->staging && r->target_group);
	if (st->sink_failed)
		return;
	sqlite3_stmt *s = st->put_tg;
	bind_real(s, 1, r->t_s);
	bind_str(s, 2, r->rule);
	bind_str(s, 3, r->target_group);
	bind_str(s, 4, r->cluster);
	bind_real(s, 5, r->weight);
	bind_real(s, 6, r->share);
	sqlite3_bind_int(s, 7, r->registered);
	sqlite3_bind_int64(s, 8, r->requests);
	sqlite3_bind_int64(s, 9, r->cut);
	stage_row(st, s, "target group sample", "target group", r->target_group, r->t_s);
}

static void sink_kcluster(void *ctx, const struct row_kcluster *r)
{
	store *st = ctx;
	assert(st->staging && r->cluster);
	if (st->sink_failed)
		return;
	sqlite3_stmt *s = st->put_kcluster;
	bind_real(s, 1, r->t_s);
	bind_str(s, 2, r->cluster);
	bind_str(s, 3, r->version);
	sqlite3_bind_int(s, 4, r->nodes);
	sqlite3_bind_int(s, 5, r->ready);
	bind_real(s, 6, r->cost_per_hour);
	sqlite3_bind_int64(s, 7, r->requests);
	sqlite3_bind_int64(s, 8, r->errors);
	stage_row(st, s, "cluster sample", "cluster", r->cluster, r->t_s);
}

static void sink_kctotal(void *ctx, const struct row_kcluster_total *r)
{
	store *st = ctx;
	assert(st->staging && r->cluster);
	if (st->sink_failed)
		return;
	sqlite3_stmt *s = st->put_kctotal;
	bind_str(s, 1, r->cluster);
	bind_str(s, 2, r->version);
	bind_real(s, 3, r->node_hours);
	bind_real(s, 4, r->cost_usd);
	sqlite3_bind_int(s, 5, r->max_nodes);
	sqlite3_bind_int64(s, 6, r->requests);
	sqlite3_bind_int64(s, 7, r->errors);
	sqlite3_bind_int(s, 8, r->services);
	if (r->slo_met < 0)
		sqlite3_bind_null(s, 9);
	else
		sqlite3_bind_int(s, 9, r->slo_met);
	stage_row(st, s, "cluster", "cluster", r->cluster, NAN);
}

/* The cost goes into the runs row, which exists only at commit: kept until
 * then. A run has one; a second would silently replace the first, so it
 * fails the run like a duplicate summary. */
static void sink_cost(void *ctx, const struct row_cost *r)
{
	store *st = ctx;
	assert(st->staging);
	if (st->sink_failed)
		return;
	if (st->has_cost) {
		st->sink_failed = true;
		herr_at(&st->sink_err, st->path, 0, 0, "cannot stage the cost of the run: it has one already");
		return;
	}
	st->has_cost = true;
	st->cost = *r;
}

void store_run_set_plan(store *st, int64_t plan_id, double base_cost_per_hour)
{
	assert(st->staging && plan_id > 0);
	st->plan_id = plan_id;
	st->base_cost_per_hour = base_cost_per_hour;
}

struct sink store_sink(store *st)
{
	return (struct sink){st,		 sink_sample,	     sink_summary, sink_decision, sink_nodes,
			     sink_cost,		 sink_pod_sample,    sink_version, sink_rollout,  sink_kafka,
			     sink_kafka_summary, sink_sagas,	     sink_kafka_partition, sink_saga_sample,
			     sink_tg,		 sink_kcluster,	     sink_kctotal};
}

/* ---- Committing --------------------------------------------------------- */

/* The scenario's row, inserted unless one of the same hash exists. */
static int put_scenario(store *st, const struct scenario *sc, int64_t *id, struct herr *e)
{
	const char *what = "cannot store the scenario";
	char hash[65], now[32];
	scenario_hash(sc->text, sc->overrides ? sc->overrides : "", hash);
	utc_now(now);
	sqlite3_stmt *ins = NULL, *get = NULL;
	int rc = prepare(st, SQL_PUT_SCENARIO, 0, &ins, what, e);
	if (!rc) {
		bind_str(ins, 1, sc->name);
		bind_str(ins, 2, sc->path);
		bind_str(ins, 3, hash);
		bind_str(ins, 4, sc->text);
		bind_str(ins, 5, sc->overrides ? sc->overrides : "");
		bind_str(ins, 6, now);
		rc = step(st, ins, SQLITE_DONE, what, e);
	}
	if (!rc)
		rc = prepare(st, SQL_GET_SCENARIO, 0, &get, what, e);
	if (!rc) {
		bind_str(get, 1, hash);
		rc = step(st, get, SQLITE_ROW, what, e);
	}
	if (!rc)
		*id = sqlite3_column_int64(get, 0);
	sqlite3_finalize(get);
	sqlite3_finalize(ins);
	return rc;
}

static int put_run(store *st, int64_t scenario_id, const struct run_end *end, int64_t *id, struct herr *e)
{
	const char *what = "cannot store the run";
	/* The seed as decimal text: exact for all 64 bits, and what --seed takes. */
	char seed[24];
	snprintf(seed, sizeof seed, "%" PRIu64, st->ri.seed);
	assert(end->events <= (uint64_t)INT64_MAX);
	sqlite3_stmt *s = NULL;
	int rc = prepare(st, SQL_PUT_RUN, 0, &s, what, e);
	if (!rc) {
		sqlite3_bind_int64(s, 1, scenario_id);
		sqlite3_bind_int(s, 2, st->ri.variant);
		sqlite3_bind_int(s, 3, st->ri.replication);
		bind_str(s, 4, seed);
		bind_str(s, 5, st->ri.params ? st->ri.params : "{}");
		bind_str(s, 6, end->status);
		bind_str(s, 7, st->started_at);
		bind_real(s, 8, end->wall_s);
		sqlite3_bind_int64(s, 9, (int64_t)end->events);
		sqlite3_bind_int64(s, 10, end->requests);
		bind_real(s, 11, end->sim_s);
		bind_str(s, 12, HEADROOM_VERSION);
		if (st->has_cost) { /* else NULL: no cluster, no cost */
			bind_real(s, 13, st->cost.cost_usd);
			bind_real(s, 14, st->cost.monthly_usd);
			bind_real(s, 15, st->cost.node_hours);
			bind_count(s, 16, st->cost.max_nodes);
			bind_real(s, 19, st->cost.spot_usd);
			bind_real(s, 20, st->cost.start_usd_hour);
			bind_real(s, 21, st->cost.start_spot_usd_hour);
		}
		if (st->plan_id > 0) { /* else NULL: no plan */
			sqlite3_bind_int64(s, 17, st->plan_id);
			bind_real(s, 18, st->base_cost_per_hour);
		}
		bind_real(s, 22, scn_epoch(st->ri.sc)); /* NULL without a trace */
		rc = step(st, s, SQLITE_DONE, what, e);
	}
	if (!rc)
		*id = sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(s);
	return rc;
}

/* INSERT ... SELECT of one staged table, under the run's id. */
static int copy_rows(store *st, const char *sql, int64_t run_id, const char *what, struct herr *e)
{
	sqlite3_stmt *s = NULL;
	int rc = prepare(st, sql, 0, &s, what, e);
	if (!rc) {
		sqlite3_bind_int64(s, 1, run_id);
		rc = step(st, s, SQLITE_DONE, what, e);
	}
	sqlite3_finalize(s);
	return rc;
}

/* The commit proper: scenario, run, rows, in one write transaction. */
static int copy_run(store *st, const struct run_end *end, int64_t *run_id, struct herr *e)
{
	int64_t scenario_id = 0, id = 0;
	/* End the staging transaction first: BEGIN IMMEDIATE cannot nest in it. */
	int rc = exec(st, "COMMIT", "cannot store the run (closing the stage)", e);
	/* IMMEDIATE takes the write lock up front (waiting up to the busy
	 * timeout), so the transaction cannot fail halfway on a lock upgrade. */
	if (!rc)
		rc = exec(st, "BEGIN IMMEDIATE", "cannot store the run (locking the database)", e);
	if (!rc)
		rc = put_scenario(st, st->ri.sc, &scenario_id, e);
	if (!rc) {
		rc = put_run(st, scenario_id, end, &id, e);
		if (rc && st->plan_id > 0 && sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_UNIQUE) {
			/* Another process of the same plan stored this run first:
			 * the same scenario and seed give the same rows. */
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return 1;
		}
	}
	if (!rc)
		rc = copy_rows(st, SQL_COPY_SAMPLES, id, "cannot store the run (copying samples)", e);
	if (!rc)
		rc = copy_rows(st, SQL_COPY_SUMMARIES, id, "cannot store the run (copying summaries)", e);
	if (!rc)
		rc = copy_rows(st, SQL_COPY_DECISIONS, id, "cannot store the run (copying decisions)", e);
	if (!rc)
		rc = copy_rows(st, SQL_COPY_NODES, id, "cannot store the run (copying nodes)", e);
	if (!rc)
		rc = copy_rows(st, SQL_COPY_POD_SAMPLES, id, "cannot store the run (copying pod samples)", e);
	if (!rc)
		rc = copy_rows(st, SQL_COPY_VERSIONS, id, "cannot store the run (copying version samples)", e);
	if (!rc)
		rc = copy_rows(st, SQL_COPY_ROLLOUTS, id, "cannot store the run (copying rollouts)", e);
	if (!rc)
		rc = copy_rows(st, SQL_COPY_KAFKA, id, "cannot store the run (copying kafka samples)", e);
	if (!rc)
		rc = copy_rows(st, SQL_COPY_KAFKA_SUMMARIES, id, "cannot store the run (copying kafka summaries)", e);
	if (!rc)
		rc = copy_rows(st, SQL_COPY_SAGAS, id, "cannot store the run (copying sagas)", e);
	if (!rc)
		rc = copy_rows(st, SQL_COPY_KAFKA_PARTITIONS, id, "cannot store the run (copying kafka partition samples)", e);
	if (!rc)
		rc = copy_rows(st, SQL_COPY_SAGA_SAMPLES, id, "cannot store the run (copying saga samples)", e);
	if (!rc)
		rc = copy_rows(st, SQL_COPY_TGS, id, "cannot store the run (copying target groups)", e);
	if (!rc)
		rc = copy_rows(st, SQL_COPY_KCLUSTERS, id, "cannot store the run (copying cluster samples)", e);
	if (!rc)
		rc = copy_rows(st, SQL_COPY_KCTOTALS, id, "cannot store the run (copying clusters)", e);
	if (!rc)
		rc = exec(st, "COMMIT", "cannot store the run (committing)", e);
	if (rc) {
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (run_id)
		*run_id = id;
	return 0;
}

int store_run_commit(store *st, const struct run_end *end, int64_t *run_id, struct herr *e)
{
	assert(st->staging && end && end->status);
	int rc = 0;
	if (st->sink_failed) {
		if (e)
			*e = st->sink_err;
		rc = -1;
	} else {
		rc = copy_run(st, end, run_id, e);
	}
	stage_drop(st);
	return rc;
}

void store_run_abort(store *st)
{
	if (st && st->staging)
		stage_drop(st);
}

/* ---- Files -------------------------------------------------------------- */

bool store_has_runs(store *st)
{
	sqlite3_stmt *s = NULL;
	bool any = true; /* when in doubt, keep the file */
	if (sqlite3_prepare_v2(st->db, "SELECT EXISTS (SELECT 1 FROM main.runs)", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		any = sqlite3_column_int(s, 0) != 0;
	sqlite3_finalize(s);
	return any;
}

void store_remove_files(const char *path)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	size_t n = strlen(path) + 16;
	char *p = xmalloc(n);
	for (size_t i = 0; i < ARRAY_LEN(suffixes); i++) {
		snprintf(p, n, "%s%s", path, suffixes[i]);
		unlink(p); /* ENOENT is fine: the file was never made */
	}
	free(p);
}

/* ---- Plans -------------------------------------------------------------- */

/* A plan row is made once, with what it asks for at its start; the results
 * and what they were computed for come with store_plan_finish. ON CONFLICT:
 * two processes starting the same plan at once share one row. */
static const char SQL_PUT_PLAN[] =
	"INSERT INTO plans(scenario_id, seed, variants, replications, target, status, baseline, created_at) "
	"VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, ?7) ON CONFLICT (scenario_id, seed) DO NOTHING";
static const char SQL_GET_PLAN[] = "SELECT id FROM plans WHERE scenario_id = ?1 AND seed = ?2";
static const char SQL_PLAN_RUNS[] = "SELECT variant, replication FROM runs WHERE plan_id = ?1 ORDER BY variant, replication";
static const char SQL_PLAN_ROWS[] =
	"SELECT r.variant, r.replication, s.service, s.slo_met, s.p99_ms, s.served, s.errors, s.pods_started, "
	"s.pod_start_p99_s, r.monthly_cost_usd, r.max_nodes, r.base_cost_per_hour, s.latency_met, s.errors_met, "
	"s.violation_met, r.cost_usd, r.spot_cost_usd, r.node_hours, r.sim_s, r.start_cost_per_hour, "
	"r.start_spot_cost_per_hour FROM runs r JOIN summaries s ON s.run_id = r.id "
	"WHERE r.plan_id = ?1 AND r.status = 'ok' AND r.variant BETWEEN 1 AND ?2 AND r.replication BETWEEN 1 AND ?3 "
	"ORDER BY r.variant, r.replication, s.service";
static const char SQL_PLAN_DONE[] =
	"UPDATE plans SET variants = ?2, replications = ?3, target = ?4, status = 'done', recommended = ?5, "
	"runner_up = ?6, recommendation = ?7, finished_at = ?8 WHERE id = ?1";
/* The services first: they reference the variants. */
static const char *const SQL_PLAN_CLEAR[] = {"DELETE FROM plan_hours WHERE plan_id = ?1",
					     "DELETE FROM plan_failures WHERE plan_id = ?1",
					     "DELETE FROM plan_services WHERE plan_id = ?1",
					     "DELETE FROM plan_variants WHERE plan_id = ?1"};
static const char SQL_PUT_PLAN_VARIANT[] =
	"INSERT INTO plan_variants(plan_id, variant, label, params, runs, slo_met_runs, p_slo, p_slo_low, p_slo_high, "
	"error_rate, pods_started, pod_start_p99_s, max_nodes, monthly_cost_usd, run_monthly_cost_usd, min_cores, "
	"verdict, reason, month_usd, month_normal_usd, month_events_usd, month_discount_usd, month_control_plane_usd, "
	"month_volumes_usd, month_node_hours) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
	"?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)";
static const char SQL_PUT_PLAN_SERVICE[] =
	"INSERT INTO plan_services(plan_id, variant, service, baseline, min_replicas, slo_met_runs, p99_p50_ms, "
	"p99_p95_ms, error_rate, pod_start_p99_s, monthly_share_usd) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char SQL_PUT_PLAN_HOUR[] =
	"INSERT INTO plan_hours(plan_id, variant, hour, factor, nodes, usd_per_hour, replicas) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

static const char SQL_PUT_PLAN_FAILURE[] =
	"INSERT INTO plan_failures(plan_id, variant, service, term, objective, runs, runs_missed, share) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/* Ends a write transaction: COMMIT if rc is 0, else ROLLBACK; returns rc. */
static int end_write(store *st, int rc, const char *what, struct herr *e)
{
	if (!rc)
		rc = exec(st, "COMMIT", what, e);
	if (rc && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int store_plan_open(store *st, const struct plan_def *pd, int64_t *plan_id, struct herr *e)
{
	assert(!st->staging && pd && pd->sc && pd->baseline);
	const char *what = "cannot store the plan";
	char seed[24], now[32];
	snprintf(seed, sizeof seed, "%" PRIu64, pd->seed);
	utc_now(now);
	int64_t scenario_id = 0;
	sqlite3_stmt *ins = NULL, *get = NULL;
	int rc = exec(st, "BEGIN IMMEDIATE", "cannot store the plan (locking the database)", e);
	if (!rc)
		rc = put_scenario(st, pd->sc, &scenario_id, e);
	if (!rc)
		rc = prepare(st, SQL_PUT_PLAN, 0, &ins, what, e);
	if (!rc) {
		sqlite3_bind_int64(ins, 1, scenario_id);
		bind_str(ins, 2, seed);
		sqlite3_bind_int(ins, 3, pd->variants);
		sqlite3_bind_int(ins, 4, pd->replications);
		bind_real(ins, 5, pd->target);
		bind_str(ins, 6, pd->baseline);
		bind_str(ins, 7, now);
		rc = step(st, ins, SQLITE_DONE, what, e);
	}
	if (!rc)
		rc = prepare(st, SQL_GET_PLAN, 0, &get, what, e);
	if (!rc) {
		sqlite3_bind_int64(get, 1, scenario_id);
		bind_str(get, 2, seed);
		rc = step(st, get, SQLITE_ROW, what, e);
	}
	if (!rc)
		*plan_id = sqlite3_column_int64(get, 0);
	sqlite3_finalize(get);
	sqlite3_finalize(ins);
	return end_write(st, rc, what, e);
}

int store_plan_runs(store *st, int64_t plan_id, void (*fn)(void *ctx, int variant, int replication), void *ctx,
		    struct herr *e)
{
	const char *what = "cannot read the plan's runs";
	sqlite3_stmt *s = NULL;
	int rc = prepare(st, SQL_PLAN_RUNS, 0, &s, what, e), r;
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, plan_id);
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		fn(ctx, sqlite3_column_int(s, 0), sqlite3_column_int(s, 1));
	if (r != SQLITE_DONE)
		rc = db_fail(st, e, what);
	sqlite3_finalize(s);
	return rc;
}

bool store_plan_has_run(store *st, int64_t plan_id, int variant, int replication)
{
	sqlite3_stmt *s = NULL;
	bool has = false;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT 1 FROM main.runs WHERE plan_id = ?1 AND variant = ?2 AND replication = ?3", -1, &s,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, plan_id);
		sqlite3_bind_int(s, 2, variant);
		sqlite3_bind_int(s, 3, replication);
		has = sqlite3_step(s) == SQLITE_ROW;
	}
	sqlite3_finalize(s);
	return has;
}

/* A REAL column, NULL as NaN. */
static double col_real(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

/* An INTEGER 0 or 1 column, NULL as -1. */
static int col_flag(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_int(s, i);
}

int store_plan_rows(store *st, int64_t plan_id, int variants, int replications,
		    void (*fn)(void *ctx, const struct plan_run_row *r), void *ctx, struct herr *e)
{
	const char *what = "cannot read the plan's runs";
	sqlite3_stmt *s = NULL;
	int rc = prepare(st, SQL_PLAN_ROWS, 0, &s, what, e), r;
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, plan_id);
	sqlite3_bind_int(s, 2, variants);
	sqlite3_bind_int(s, 3, replications);
	/* One read transaction: a run committed meanwhile is seen whole or not at all. */
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct plan_run_row row = {
			.variant = sqlite3_column_int(s, 0),
			.replication = sqlite3_column_int(s, 1),
			.service = (const char *)sqlite3_column_text(s, 2),
			.slo_met = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 3),
			.p99_ms = col_real(s, 4),
			.served = sqlite3_column_int64(s, 5),
			.errors = sqlite3_column_int64(s, 6),
			.pods_started = sqlite3_column_int64(s, 7),
			.pod_start_p99_s = col_real(s, 8),
			.monthly_cost_usd = col_real(s, 9),
			.max_nodes = sqlite3_column_type(s, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 10),
			.base_cost_per_hour = col_real(s, 11),
			.latency_met = col_flag(s, 12),
			.errors_met = col_flag(s, 13),
			.violation_met = col_flag(s, 14),
			.cost_usd = col_real(s, 15),
			.spot_cost_usd = col_real(s, 16),
			.node_hours = col_real(s, 17),
			.sim_s = col_real(s, 18),
			.start_cost_per_hour = col_real(s, 19),
			.start_spot_cost_per_hour = col_real(s, 20),
		};
		fn(ctx, &row);
	}
	if (r != SQLITE_DONE)
		rc = db_fail(st, e, what);
	sqlite3_finalize(s);
	return rc;
}

static int put_plan_variant(store *st, sqlite3_stmt *s, int64_t plan_id, const struct row_plan_variant *v,
			    struct herr *e)
{
	sqlite3_bind_int64(s, 1, plan_id);
	sqlite3_bind_int(s, 2, v->variant);
	bind_str(s, 3, v->label);
	bind_str(s, 4, v->params);
	sqlite3_bind_int64(s, 5, v->runs);
	sqlite3_bind_int64(s, 6, v->slo_met_runs);
	bind_real(s, 7, v->p_slo);
	bind_real(s, 8, v->p_slo_low);
	bind_real(s, 9, v->p_slo_high);
	bind_real(s, 10, v->error_rate);
	bind_real(s, 11, v->pods_started);
	bind_real(s, 12, v->pod_start_p99_s);
	bind_count(s, 13, v->max_nodes);
	bind_real(s, 14, v->monthly_cost_usd);
	bind_real(s, 15, v->run_monthly_cost_usd);
	bind_real(s, 16, v->min_cores);
	bind_str(s, 17, v->verdict);
	bind_str(s, 18, v->reason);
	bind_real(s, 19, v->month_usd);
	bind_real(s, 20, v->month_normal_usd);
	bind_real(s, 21, v->month_events_usd);
	bind_real(s, 22, v->month_discount_usd);
	bind_real(s, 23, v->month_control_plane_usd);
	bind_real(s, 24, v->month_volumes_usd);
	bind_real(s, 25, v->month_node_hours);
	int rc = step(st, s, SQLITE_DONE, "cannot store the plan's variants", e);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

static int put_plan_service(store *st, sqlite3_stmt *s, int64_t plan_id, const struct row_plan_service *v,
			    struct herr *e)
{
	sqlite3_bind_int64(s, 1, plan_id);
	sqlite3_bind_int(s, 2, v->variant);
	bind_str(s, 3, v->service);
	bind_count(s, 4, v->baseline);
	bind_count(s, 5, v->min_replicas);
	if (v->slo_met_runs >= 0)
		sqlite3_bind_int64(s, 6, v->slo_met_runs);
	bind_real(s, 7, v->p99_p50_ms);
	bind_real(s, 8, v->p99_p95_ms);
	bind_real(s, 9, v->error_rate);
	bind_real(s, 10, v->pod_start_p99_s);
	bind_real(s, 11, v->monthly_share_usd);
	int rc = step(st, s, SQLITE_DONE, "cannot store the plan's services", e);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

static int put_plan_failure(store *st, sqlite3_stmt *s, int64_t plan_id, const struct row_plan_failure *f,
			    struct herr *e)
{
	sqlite3_bind_int64(s, 1, plan_id);
	sqlite3_bind_int(s, 2, f->variant);
	bind_str(s, 3, f->service);
	bind_str(s, 4, f->term);
	bind_str(s, 5, f->objective);
	sqlite3_bind_int64(s, 6, f->runs);
	sqlite3_bind_int64(s, 7, f->runs_missed);
	bind_real(s, 8, f->share);
	int rc = step(st, s, SQLITE_DONE, "cannot store the plan's failures", e);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

int store_plan_finish(store *st, int64_t plan_id, const struct row_plan *p, const struct row_plan_variant *v,
		      size_t n_v, const struct row_plan_service *sv, size_t n_s, const struct row_plan_failure *f,
		      size_t n_f, const struct row_plan_hour *h, size_t n_h, struct herr *e)
{
	assert(!st->staging && p);
	const char *what = "cannot store the plan";
	char now[32];
	utc_now(now);
	sqlite3_stmt *done = NULL, *clear = NULL, *pv = NULL, *ps = NULL, *pf = NULL, *ph = NULL;
	int rc = exec(st, "BEGIN IMMEDIATE", "cannot store the plan (locking the database)", e);
	if (!rc)
		rc = prepare(st, SQL_PLAN_DONE, 0, &done, what, e);
	if (!rc) {
		sqlite3_bind_int64(done, 1, plan_id);
		sqlite3_bind_int(done, 2, p->variants);
		sqlite3_bind_int(done, 3, p->replications);
		bind_real(done, 4, p->target);
		if (p->recommended > 0)
			sqlite3_bind_int(done, 5, p->recommended);
		if (p->runner_up > 0)
			sqlite3_bind_int(done, 6, p->runner_up);
		bind_str(done, 7, p->recommendation);
		bind_str(done, 8, now);
		rc = step(st, done, SQLITE_DONE, what, e);
	}
	if (!rc && sqlite3_changes(st->db) != 1)
		rc = herr_at(e, st->path, 0, 0, "%s: no plan %" PRId64, what, plan_id);
	for (size_t i = 0; !rc && i < ARRAY_LEN(SQL_PLAN_CLEAR); i++) {
		sqlite3_finalize(clear);
		clear = NULL;
		rc = prepare(st, SQL_PLAN_CLEAR[i], 0, &clear, what, e);
		if (!rc) {
			sqlite3_bind_int64(clear, 1, plan_id);
			rc = step(st, clear, SQLITE_DONE, what, e);
		}
	}
	if (!rc)
		rc = prepare(st, SQL_PUT_PLAN_VARIANT, 0, &pv, what, e);
	for (size_t i = 0; !rc && i < n_v; i++)
		rc = put_plan_variant(st, pv, plan_id, &v[i], e);
	if (!rc)
		rc = prepare(st, SQL_PUT_PLAN_SERVICE, 0, &ps, what, e);
	for (size_t i = 0; !rc && i < n_s; i++)
		rc = put_plan_service(st, ps, plan_id, &sv[i], e);
	if (!rc)
		rc = prepare(st, SQL_PUT_PLAN_FAILURE, 0, &pf, what, e);
	for (size_t i = 0; !rc && i < n_f; i++)
		rc = put_plan_failure(st, pf, plan_id, &f[i], e);
	if (!rc)
		rc = prepare(st, SQL_PUT_PLAN_HOUR, 0, &ph, what, e);
	for (size_t i = 0; !rc && i < n_h; i++) {
		sqlite3_bind_int64(ph, 1, plan_id);
		sqlite3_bind_int(ph, 2, h[i].variant);
		sqlite3_bind_int(ph, 3, h[i].hour);
		bind_real(ph, 4, h[i].factor);
		sqlite3_bind_int(ph, 5, h[i].nodes);
		bind_real(ph, 6, h[i].usd_per_hour);
		bind_str(ph, 7, h[i].replicas);
		rc = step(st, ph, SQLITE_DONE, "cannot store the plan's normal day", e);
		sqlite3_reset(ph);
		sqlite3_clear_bindings(ph);
	}
	sqlite3_finalize(ph);
	sqlite3_finalize(pf);
	sqlite3_finalize(ps);
	sqlite3_finalize(pv);
	sqlite3_finalize(clear);
	sqlite3_finalize(done);
	return end_write(st, rc, what, e);
}

static double column_real(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

int store_plan_rollouts(store *st, int64_t plan_id, int variants, int replications,
			void (*fn)(void *ctx, int variant, const struct row_rollout *r), void *ctx, struct herr *e)
{
	static const char sql[] =
		"SELECT r.variant, o.service, o.strategy, o.outcome, o.started_s, o.ended_s, o.rollback_s, o.measurements, "
		"o.failed, o.errors, o.extra_pod_hours, o.max_pods, o.extra_node_hours, o.extra_cost_usd "
		"FROM main.runs r JOIN main.rollouts o ON o.run_id = r.id "
		"WHERE r.plan_id = ?1 AND r.variant BETWEEN 1 AND ?2 AND r.replication BETWEEN 1 AND ?3 "
		"ORDER BY r.variant, r.replication, o.service";
	const char *what = "cannot read the plan's rollouts";
	sqlite3_stmt *s = NULL;
	int rc = prepare(st, sql, 0, &s, what, e), r;
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, plan_id);
	sqlite3_bind_int(s, 2, variants);
	sqlite3_bind_int(s, 3, replications);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct row_rollout o = {
			.service = (const char *)sqlite3_column_text(s, 1),
			.strategy = (const char *)sqlite3_column_text(s, 2),
			.outcome = (const char *)sqlite3_column_text(s, 3),
			.started_s = column_real(s, 4),
			.ended_s = column_real(s, 5),
			.rollback_s = column_real(s, 6),
			.measurements = sqlite3_column_int(s, 7),
			.failed = sqlite3_column_int(s, 8),
			.errors = sqlite3_column_int(s, 9),
			.extra_pod_hours = sqlite3_column_double(s, 10),
			.max_pods = sqlite3_column_int(s, 11),
			.extra_node_hours = column_real(s, 12),
			.extra_cost_usd = column_real(s, 13),
		};
		fn(ctx, sqlite3_column_int(s, 0), &o);
	}
	if (r != SQLITE_DONE)
		rc = db_fail(st, e, what);
	sqlite3_finalize(s);
	return rc;
}
