/*
 * cmd_bench.c: `headroom bench`, the figures of BENCHMARKS.md.
 *
 * Runs a scenario with every statistic computed as in `run` (but the
 * per-pod samples, which it does not ask for), rows dropped instead of
 * stored, and prints one line a script can read:
 *   bench NAME requests_per_s=... events_per_s=... peak_rss_mb=... wall_s=...
 * Peak RSS is the process's high-water mark (getrusage), which includes the
 * scenario loader and libraries.
 */
#include <inttypes.h>
#include <stdio.h>
#include <sys/resource.h>

#include "cli.h"
#include "run.h"
#include "scn.h"

static void drop_sample(void *ctx, const struct row_sample *r)
{
	(void)ctx;
	(void)r;
}

static void drop_decision(void *ctx, const struct row_decision *r)
{
	(void)ctx;
	(void)r;
}

static void drop_summary(void *ctx, const struct row_summary *r)
{
	(void)ctx;
	(void)r;
}

static void drop_nodes(void *ctx, const struct row_nodes *r)
{
	(void)ctx;
	(void)r;
}

static void drop_cost(void *ctx, const struct row_cost *r)
{
	(void)ctx;
	(void)r;
}

static void drop_kafka(void *ctx, const struct row_kafka *r)
{
	(void)ctx;
	(void)r;
}

static void drop_kafka_summary(void *ctx, const struct row_kafka_summary *r)
{
	(void)ctx;
	(void)r;
}

static void drop_sagas(void *ctx, const struct row_sagas *r)
{
	(void)ctx;
	(void)r;
}

int cmd_bench(const struct cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	int rc = cli_parse(cmd, argc, argv, OPT_SEED | OPT_SET | OPT_NAME, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct scenario sc;
	struct herr e;
	rc = scn_load(&sc, a.scenario, a.sets, a.n_sets, &e);
	if (rc) {
		cli_args_free(&a);
		return cli_fail(&e);
	}
	/* Decisions, nodes and cost are dropped too, but built: the bench
	 * measures their cost. Pod samples and Kafka partition samples are not asked for (NULL), as in a
	 * plan: the figures leave out what `run` spends on them. */
	struct sink out = {NULL,	  drop_sample, drop_summary, drop_decision,	 drop_nodes,
			   drop_cost,	  NULL,	       NULL,	     NULL,		 drop_kafka,
			   drop_kafka_summary, drop_sagas, NULL, NULL, NULL, NULL, NULL};
	struct run_stats st;
	run_once(&sc, a.has_seed ? a.seed : sc.seed, &out, NULL, &st);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("bench %s requests_per_s=%.0f events_per_s=%.0f peak_rss_mb=%.1f wall_s=%.3f requests=%" PRId64
	       " events=%" PRIu64 " sim_s=%.0f\n",
	       a.name ? a.name : sc.name, (double)st.requests / st.wall_s, (double)st.events / st.wall_s,
	       (double)ru.ru_maxrss / 1024.0, st.wall_s, st.requests, st.events, st.sim_s);
	scn_free(&sc);
	cli_args_free(&a);
	return 0;
}
