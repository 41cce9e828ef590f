/*
 * harness.h: helpers shared by the model tests: scenarios built in code, a
 * sink that keeps rows in memory, and batch-means confidence intervals.
 */
#ifndef HEADROOM_TEST_HARNESS_H
#define HEADROOM_TEST_HARNESS_H

#include "run.h"
#include "scn.h"
#include "sink.h"

#define MEM_MAX_SAMPLES 200000
#define MEM_MAX_SUMMARIES 16

#define MEM_MAX_DECISIONS 20000

/* A decision row with its strings copied. */
struct mem_decision {
	struct row_decision r; /* string pointers point into the fields below */
	char service[32], kind[8], pod[64], event[24], bound[32], detail[256], metrics[1024];
};

#define MEM_MAX_POD_SAMPLES 50000

/* A pod sample row with its strings copied. */
struct mem_pod_sample {
	struct row_pod_sample r;
	char service[32], pod[64], node[64];
};

struct memsink {
	struct mem_decision *decisions;
	size_t n_decisions;
	struct row_sample *samples; /* service names point into the scenario */
	size_t n_samples;
	struct mem_pod_sample *pod_samples;
	size_t n_pod_samples;
	struct row_summary summaries[MEM_MAX_SUMMARIES];
	size_t n_summaries;
};

/* A sink keeping every row of a run in m (allocated by memsink_init). */
struct sink memsink_init(struct memsink *m);
void memsink_free(struct memsink *m);
/* The memsink's decision callback (ctx: the memsink), for sinks that wrap it. */
void memsink_keep_decision(void *ctx, const struct row_decision *r);
const struct row_summary *memsink_summary(const struct memsink *m, const char *service);
/* The time of the first decision row `event` of pod (NULL: any row), or
 * -1; its detail ("" for none) into *detail unless detail is NULL. */
double memsink_first(const struct memsink *m, const char *event, const char *pod, const char **detail);
/* How many decision rows are `event`. */
int memsink_count(const struct memsink *m, const char *event);

/* A scenario of n services, each with one pod of `cores` cores (request and
 * limit), `workers` workers, an unbounded queue, no timeout, and CPU demand
 * d; service 0 gets Poisson traffic at `rate` rps. Free with test_scn_free. */
struct scenario *test_scn(size_t n, double cores, int workers, struct dist d, double rate, simtime duration,
			  simtime sample_interval);
void test_scn_free(struct scenario *sc);

/* Writes text to the file dir/name (the test fails if it cannot) and
 * returns its path (a static buffer, until the next call). */
const char *harness_put(const char *dir, const char *name, const char *text);
/* Loads the scenario file at path into *sc (free with scn_free); the test
 * fails with the loader's message if it does not load. */
void harness_load(struct scenario *sc, const char *path);

struct world;
/* Runs sc (a world of it on a clock of its seed and duration) to its end,
 * its rows into a new memsink (free with memsink_free); look(w), unless
 * NULL, sees the world after world_finish and before it goes. */
struct memsink memsink_run(const struct scenario *sc, void (*look)(const struct world *w));

/* Variant v of sc (its compare: or sweep:), loaded as `headroom run
 * --variant` loads it, run with `seed`; look(m, ctx) sees the run's rows
 * while the variant's scenario, which their service names point into,
 * still exists. */
void memsink_run_variant(const struct scenario *sc, size_t v, uint64_t seed,
			 void (*look)(const struct memsink *m, void *ctx), void *ctx);

/* Mean latency (ms) of `service` over the run and the half-width of its
 * confidence interval at `level` (e.g. 0.95) by the method of batch means
 * (n_batches consecutive, equally long groups of sample intervals; Student t
 * with n_batches - 1 degrees of freedom). */
void batch_means(const struct memsink *m, const char *service, int n_batches, double level, double *mean,
		 double *half);

/* The same for the fraction of arrivals refused (503). */
void batch_rejected(const struct memsink *m, const char *service, int n_batches, double level, double *mean,
		    double *half);

/* Calls fn for every shipped scenario (the YAML files of scenarios/, its
 * bench/ and its ci/; the tests run from the project's root), or, for one
 * with a compare: or sweep:, for each of its variants, loaded as `headroom
 * run --variant` loads them. `what` names it ("path" or "path variant
 * NAME"); v is the variant's index (0 without variants). Returns how many
 * times it called fn; a file that does not load fails the test. */
size_t shipped_each(void (*fn)(const struct scenario *sc, const char *what, size_t v, void *ctx), void *ctx);

#endif
