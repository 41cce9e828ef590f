/*
 * plan.h: the capacity planner behind `headroom plan`.
 *
 * A plan runs every variant of a scenario (its `sweep:` or `compare:`, or
 * the scenario alone) many times, each run with its own seed derived from
 * (plan seed, variant, replication) so that any run can be made again on its
 * own, and judges each variant by the share of runs in which every service
 * met its SLO, with a Wilson score interval. The recommendation is the
 * cheapest variant whose interval's lower bound reaches the target.
 *
 * Pieces, each usable alone: the baseline (what an HPA settles on for the
 * normal traffic, from the model's own parameters), the statistics (Wilson
 * interval, nearest-rank percentiles), the recommendation rule (a pure
 * function of per-variant counts and costs), and the runner, which spreads
 * runs over threads (and over MPI ranks in a build with MPI=1) and hands
 * every finished run to the calling thread, which alone writes the
 * database. Results never depend on the number of threads or ranks: a run
 * depends only on its scenario and seed, and the statistics are computed
 * from the stored runs in (variant, replication) order.
 *
 * Variants are numbered from 1 (runs.variant; 0 is a plain run), and so are
 * replications (1 to N).
 */
#ifndef HEADROOM_PLAN_H
#define HEADROOM_PLAN_H

#include "run.h"
#include "scn.h"
#include "sink.h"

/* ---- Baseline -------------------------------------------------------------
 *
 * The normal load of a service is its own traffic without spikes at the
 * start of the scenario's first spike (any service's; t = 0 without one),
 * plus what its callers send it (their normal load x the call probability).
 * The baseline is the replica count at which the HPA's metrics sit at their
 * targets under that load, the largest over the HPA's metrics:
 *
 *   cpu Utilization u:   rps x mean CPU per request / (cpu request x u)
 *   cpu AverageValue v:  rps x mean CPU per request / v
 *   Pods (rps) v:        rps / v
 *   memory, target T per pod (u x memory request, or v):
 *                        per-request memory x rps x W / (T - idle memory),
 *                        W the mean time a request is held (its CPU plus
 *                        its calls', no queueing)
 *
 * rounded up and kept within [1, maxReplicas]. External metrics (a KEDA
 * cron floor) do not follow the traffic and are left out. It is the fixed point of
 * Kubernetes' desired = ceil(current x usage / target); the HPA may stay
 * within its tolerance (10 %) of it. Warm pods are assumed (no warm-up). */
struct plan_baseline {
	bool has_hpa;      /* the service has an HPA; nothing else is set without one */
	double rps;        /* normal offered load, requests per second */
	double cpu_s;      /* mean CPU time per request on a warm pod, s */
	double exact;      /* pods the metrics ask for, before rounding up */
	int replicas;      /* the baseline: ceil(exact) within [1, maxReplicas] */
	char formula[240]; /* how `exact` came out, for people ("300.0 rps x 25.0 ms / (1 core x 60%) = 12.50") */
};

/* When the normal traffic is taken: the start of sc's first spike, or 0. */
simtime plan_normal_time(const struct scenario *sc);
/* Fills out[i] for each service of sc (n_services entries). */
void plan_baselines(const struct scenario *sc, struct plan_baseline *out);
/* plan_baselines with every service's own normal traffic x factor (an hour
 * of the normal day, sim/month.h). */
void plan_baselines_at(const struct scenario *sc, double factor, struct plan_baseline *out);
/* ceil(baseline x buffer), at least 1; a product within 1e-9 of an integer
 * is that integer (10 x 140 % is 14, not 15). */
int64_t plan_buffered(int baseline, double buffer);

/* ---- Statistics ----------------------------------------------------------- */

#define PLAN_Z95 1.959963984540054 /* the 97.5th percentile of the standard normal */

/* The Wilson score interval of k successes in n trials (Wilson 1927;
 * Newcombe 1998, method 3) at normal quantile z: *lo and *hi in [0, 1].
 * n == 0 gives [0, 1]. */
void plan_wilson(int64_t k, int64_t n, double z, double *lo, double *hi);
/* The p-th percentile (0 < p <= 100) of v[0..n) by the nearest-rank rule
 * (the ceil(p/100 x n)-th smallest); sorts v. NaN when n is 0. */
double plan_percentile(double *v, size_t n, double p);

/* ---- Recommendation ------------------------------------------------------- */

enum plan_verdict {
	PLAN_FAILS,       /* its lower bound is below the target */
	PLAN_MEETS,       /* meets the target, but a cheaper variant meets it too */
	PLAN_RECOMMENDED, /* the cheapest variant that meets the target */
	PLAN_RUNNER_UP,   /* the next cheapest that meets it */
	PLAN_NO_RUNS      /* no run to judge */
};

/* One variant as the rule sees it. */
struct plan_choice {
	int64_t runs;          /* in: runs judged */
	int64_t met;           /* in: of which every objective was met */
	double cost;           /* in: what ranks variants, lower is cheaper (USD a month, or reserved cores) */
	double lo, hi;         /* out: Wilson 95 % interval of met / runs */
	enum plan_verdict verdict; /* out */
};

/*
 * The rule: a variant meets the target when the lower bound of its Wilson
 * 95 % interval is >= target. The recommendation is the cheapest variant
 * that meets it (ties: the lower index), the runner-up the next cheapest.
 * Fills lo, hi and verdict of each of v[0..n) and returns the index of the
 * recommendation, or -1 when none meets the target; *runner_up likewise.
 */
int plan_recommend(struct plan_choice *v, size_t n, double target, int *runner_up);
/* The verdict as stored in plan_variants.verdict ("recommended", ...). */
const char *plan_verdict_name(enum plan_verdict v);

/* ---- Runs ------------------------------------------------------------------ */

/* The seed of one run of a plan: rng_key(seed, 0, replication), the same
 * for every variant (common random numbers; see plan_seed). */
uint64_t plan_seed(uint64_t seed, int variant, int replication);
/* Loads variant `variant` (1-based) of sc, after the overrides `sets`: a
 * variant of its sweep or compare, or sc's file itself when it has none
 * (variant 1). Returns 0, or -1 with e set. */
int plan_load_variant(struct scenario *out, const struct scenario *sc, int variant, const char *const *sets,
		      size_t n_sets, struct herr *e);
/* The variants of sc: its sweep's or compare's, else 1. */
int plan_n_variants(const struct scenario *sc);

struct plan_job {
	int variant, replication; /* from 1 */
	uint64_t seed;            /* plan_seed of the two */
};

/* What one run leaves: its statistics, its summaries (by service index) and
 * its cost. */
struct plan_result {
	struct plan_job job;
	int rank;                  /* the MPI rank that ran it (0 without MPI) */
	struct run_stats st;       /* st.interrupted: stopped early, not to be kept */
	bool has_cost;
	struct row_cost cost;
	double base_cost_per_hour; /* the cluster's USD per hour at the last sample at or before
	                            * plan_normal_time (the steady state a buffer holds); NaN: no
	                            * cluster, or no sample by then */
	size_t n_services;
	bool *has_summary;         /* per service (owned) */
	struct row_summary *sums;  /* per service, .service NULL (owned) */
	bool has_rollout;          /* a service has a rollout (the first one's row below) */
	struct row_rollout rollout;/* its outcome; .service and .outcome NULL, the service's index in
	                            * rollout_service and the outcome in rollout_outcome */
	int rollout_service;
	char rollout_outcome[16];
};
void plan_result_free(struct plan_result *r);

/* How a runner is driven. */
struct plan_runner {
	const struct scenario *sc;  /* the base scenario; each worker loads its own variants */
	const char *const *sets;    /* --set overrides, before a variant's own */
	size_t n_sets;
	int jobs;                   /* worker threads of this process, >= 1 */
	atomic_int *interrupt;    /* non-zero: stop soon; unfinished runs are dropped */
	/* Called in the calling thread for each finished run, in the order they
	 * finish; takes r (free it with plan_result_free). */
	void (*on_result)(void *ctx, struct plan_result *r);
	void (*on_tick)(void *ctx); /* called in the calling thread about 5 times a second */
	void *ctx;
	/* NULL, or per variant (index variant - 1): non-zero once no more of its
	 * runs are to start (an adaptive plan's decided variants, plan_seq.h);
	 * written by the calling thread, read by the workers. */
	const atomic_int *skip;
	/* NULL, or whether a job is stored already (another process of the same
	 * plan made it since this one listed what was missing): such a job is
	 * not started. Called by the workers under the pool's lock, one call at
	 * a time, with ctx. */
	bool (*stored)(void *ctx, const struct plan_job *j);
};

/* Runs jobs[0..n) (in any order, on r->jobs threads and, under MPI, on the
 * other ranks too) and hands each result to r->on_result. Returns 0 when
 * every run finished; 1 when interrupted; -1 with e set when a variant
 * could not be loaded (the runs finished by then were handed over). */
int plan_run(const struct plan_runner *r, const struct plan_job *jobs, size_t n, struct herr *e);

/* ---- MPI (a build with MPI=1, started by mpirun) --------------------------
 *
 * Rank 0 runs the command as usual and hands out runs; every other rank
 * loads the same scenario and runs what it is given (plan_mpi_serve). The
 * ranks must see the same scenario file: its text is compared at start. */

/* Starts MPI when this process was started by mpirun (and the build has
 * MPI); *rank and *size are 0 and 1 otherwise. */
void plan_mpi_start(int *argc, char ***argv, int *rank, int *size);
/* Ends MPI (a no-op without it). */
void plan_mpi_end(void);
/* Rank > 0: runs what rank 0 hands out until it says stop. Returns 0, or
 * an exit status after printing why. */
int plan_mpi_serve(const struct scenario *sc, const char *const *sets, size_t n_sets, int jobs);
/* Rank 0, on an error before plan_run: stops every rank with status rc. */
void plan_mpi_abort(int rc);

/* ---- The command (sim/cmd_plan.c) ----------------------------------------- */

struct cmd;
int cmd_plan(const struct cmd *cmd, int argc, char **argv);

/* Cores a variant holds at the least, what a plan ranks variants by when
 * its cluster has no prices: minReplicas (or replicas) x request, summed. */
double plan_min_cores(const struct scenario *vs);

#endif
