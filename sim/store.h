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
 * row of that run behind (no runs, samples, summaries, decisions or nodes
 * row). The run's cost row is kept in the store until commit, which writes
 * it into the runs row.
 */
#ifndef HEADROOM_STORE_H
#define HEADROOM_STORE_H

#include "scn.h"
#include "sink.h"

typedef struct store store;

/* Version 2 added samples.desired, pending, hpa_cpu_util and decisions;
 * version 3 summaries.pods_started, pod_start_p50_s, pod_start_p99_s, the
 * cost columns of runs, and nodes. */
#define STORE_SCHEMA_VERSION 3

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
/* A sink whose rows go to the staged run (valid between begin and commit/abort). */
struct sink store_sink(store *st);
/* Copies the staged run into the main tables in one transaction and returns
 * its id in *run_id. Returns 0, or -1 with e set (including any error a sink
 * call met); on failure nothing of the run is left in the main tables. The
 * staged run is dropped either way. */
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

#endif
