/*
 * main.c: the headroom command. A table of subcommands, one file each; main
 * finds the command, calls it, and checks that stdout reached its
 * destination (a full disk must not pass for success).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "expect.h"
#include "plan.h"
#include "plot.h"
#include "store.h"

static int cmd_help(const struct cmd *cmd, int argc, char **argv);

#define SANDBOX_HELP                                                                               \
	"  --sandbox DIR    every file the scenario names (traces, catalogs, HPA\n"                \
	"                   manifests) must resolve, links followed, inside DIR; for\n"           \
	"                   running scenario files from untrusted pull requests\n"

#define SET_HELP                                                                                   \
	"  --set KEY=VALUE  override a value of the scenario by its path, e.g.\n"                  \
	"                   services.payment.replicas=8 or\n"                                      \
	"                   services.order.traffic.spikes.0.factor=8 (repeatable; the\n"           \
	"                   value is YAML: --set 'services.x.cpu_per_request={distribution:\n"     \
	"                   exponential, mean: 20ms}')\n"

static const struct cmd commands[] = {
	{"run", cmd_run, "simulate a scenario once and store the results",
	 "usage: headroom run SCENARIO [--db PATH] [--seed N] [--set KEY=VALUE]... [--sandbox DIR] [--quiet]\n"
	 "                    [--variant K [--replication R]]\n"
	 "\n"
	 "Simulates every request of SCENARIO (a YAML file; see scenarios/README.md)\n"
	 "through its services' pods, writes samples and per-service summaries to the\n"
	 "results database in one transaction, and prints a table per service. A\n"
	 "scenario with variants (compare: or sweep:) runs each of them.\n"
	 "\n"
	 "  --variant K      only variant K (from 1) of its compare: or sweep:\n"
	 "  --replication R  with the seed of replication R of that variant in\n"
	 "                   'headroom plan': the same run as the plan's, in full\n"
	 "  --db PATH        results database (default results/NAME.db, NAME being the\n"
	 "                   scenario's name); created if missing\n"
	 "  --seed N         run seed (default: the scenario's seed)\n" SET_HELP SANDBOX_HELP
	 "  -q, --quiet      print only errors\n"
	 "\n"
	 "Exit status: 0 done; 2 bad usage, bad scenario or unwritable database;\n"
	 "130 interrupted (nothing is written).\n"},
	{"validate", cmd_validate, "check a scenario file without running it",
	 "usage: headroom validate SCENARIO [--set KEY=VALUE]... [--sandbox DIR] [--quiet]\n"
	 "\n"
	 "Reads SCENARIO, resolves its units and checks every value, as run does.\n"
	 "Prints 'FILE: ok (...)' and exits 0, or prints each problem as\n"
	 "'file:line:col: what is wrong' and exits 2.\n"
	 "\n" SET_HELP SANDBOX_HELP "  -q, --quiet      print only errors\n"},
	{"bench", cmd_bench, "time a scenario without storing it (for BENCHMARKS.md)",
	 "usage: headroom bench SCENARIO [--name NAME] [--seed N] [--set KEY=VALUE]...\n"
	 "\n"
	 "Runs SCENARIO with all statistics computed, drops the rows, and prints\n"
	 "  bench NAME requests_per_s=... events_per_s=... peak_rss_mb=... wall_s=...\n"
	 "\n"
	 "  --name NAME      the name printed (default: the scenario's name)\n"
	 "  --seed N         run seed (default: the scenario's seed)\n" SET_HELP},
	{"plot", cmd_plot, "draw the charts of a run with gnuplot (PNG or SVG)",
	 "usage: headroom plot DB [--run ID | --latest | --plan ID | --latest-plan] [--format png|svg]\n"
	 "                      [--out DIR] [--scripts]\n"
	 "\n"
	 "Draws the charts of one run of the results database DB with gnuplot and\n"
	 "prints the path of each file written, per service:\n"
	 "  timeline-SERVICE  offered and served requests per second against the CPU\n"
	 "                    capacity of the ready pods, failed requests; pods desired,\n"
	 "                    ready and pending (nodes when the database has them); the\n"
	 "                    scenario's traffic spikes shaded\n"
	 "  latency-SERVICE   p50 and p99 per sample interval against the SLO threshold,\n"
	 "                    the intervals breaking the SLO shaded\n"
	 "  startup-SERVICE   each pod started during the run, from created to Ready,\n"
	 "                    split by phase (provisioning and start of its node,\n"
	 "                    scheduling, image pull, container start, application\n"
	 "                    start, readiness probe)\n"
	 "  kafka-SERVICE     for a service consuming Kafka topics: each of its consumer\n"
	 "                    groups' lag, and its consumers against the partitions\n"
	 "or, for a plan of 'headroom plan':\n"
	 "  sweep             P(SLO met) per variant with its Wilson 95% interval and\n"
	 "                    the monthly cost, against the buffer (or the variants),\n"
	 "                    the target line, the recommendation and runner-up marked\n"
	 "  provisioners      P(SLO met) and cost per provisioner, grouped by the other\n"
	 "                    axes (when the plan has a cluster.provisioner axis)\n"
	 "\n"
	 "  --run ID         the run to draw (default: the latest)\n"
	 "  --latest         the latest run\n"
	 "  --plan ID        the plan to draw (default --out: charts/DBNAME-planID)\n"
	 "  --latest-plan    the latest plan\n"
	 "  --format F       png (default) or svg; 1280x720, for slides\n"
	 "  --out DIR        where to write (default: charts/DBNAME-runID beside DB);\n"
	 "                   created if missing; files there are replaced\n"
	 "  --scripts        also write each chart's gnuplot script, data included, as\n"
	 "                   CHART.gp ('gnuplot CHART.gp > CHART.png' draws it again)\n"
	 "\n"
	 "Needs gnuplot (Debian package gnuplot-nox); HEADROOM_GNUPLOT names another\n"
	 "gnuplot program. Exit status: 0 done; 2 bad usage, an unreadable database,\n"
	 "no such run or plan, or gnuplot missing or failing.\n"},
	{"report", cmd_report, "write a design-review page of a run (HTML or Markdown)",
	 "usage: headroom report DB [--run ID | --latest | --plan ID | --latest-plan]\n"
	 "                        --out FILE.html|FILE.md\n"
	 "\n"
	 "Writes one page about a run of the results database DB for a design review:\n"
	 "the run's summary per service, the charts of 'headroom plot', the\n"
	 "assumptions read from the scenario (traffic, CPU per request, start-up,\n"
	 "HPA, SLOs, cluster), how to reproduce the run (the exact command), and the\n"
	 "scenario's YAML. FILE.html is self-contained (SVG charts inline); FILE.md\n"
	 "links PNG charts written beside it as FILE-KIND-SERVICE.png.\n"
	 "\n"
	 "  --run ID         the run (default: the latest)\n"
	 "  --latest         the latest run\n"
	 "  --plan ID        a plan instead: its recommendation and runner-up, why the\n"
	 "                   cheaper variants fail, its table, charts, and the\n"
	 "                   'headroom plan' command that makes it again\n"
	 "  --latest-plan    the latest plan\n"
	 "  --out FILE       the page to write, ending in .html or .md\n"
	 "\n"
	 "Needs gnuplot, as plot does. Exit status: 0 done; 2 bad usage, an unreadable\n"
	 "database, no such run, or gnuplot missing or failing.\n"},
	{"export", cmd_export, "write a run's series as OpenMetrics (kube-state-metrics, cAdvisor, Istio names)",
	 "usage: headroom export DB [--run ID | --latest] [--out FILE] [--namespace NS]\n"
	 "                        [--start TIME]\n"
	 "\n"
	 "Writes the series of one run of the results database DB as OpenMetrics text,\n"
	 "with the names Kubernetes exporters give them, so that Prometheus can load\n"
	 "them and a team's Grafana dashboards show the simulated run:\n"
	 "  kube_deployment_spec_replicas, kube_deployment_status_replicas,\n"
	 "  kube_deployment_status_replicas_available, kube_pod_status_phase\n"
	 "  container_cpu_usage_seconds_total, container_cpu_cfs_periods_total,\n"
	 "  container_cpu_cfs_throttled_periods_total\n"
	 "  istio_requests_total{response_code}, istio_request_duration_milliseconds\n"
	 "  (a histogram: histogram_quantile works)\n"
	 "What each is derived from: docs/export.md. Load it with\n"
	 "  promtool tsdb create-blocks-from openmetrics FILE DATA_DIR\n"
	 "and start Prometheus on DATA_DIR (or copy the blocks into its data folder).\n"
	 "\n"
	 "  --run ID         the run (default: the latest)\n"
	 "  --latest         the latest run\n"
	 "  --out FILE       where to write (default: standard output)\n"
	 "  --namespace NS   the namespace label (default: default)\n"
	 "  --start TIME     the time of t = 0: Unix seconds or 2024-01-15T10:00:00Z\n"
	 "                   (default: the replayed trace's time, runs.epoch_s, else\n"
	 "                   the scenario's start:, else when the run started)\n"
	 "\n"
	 "Exit status: 0 done; 2 bad usage, an unreadable database, no such run, a\n"
	 "run without samples (a plan's), or an unwritable FILE.\n"},
	{"check", cmd_check, "CI gate: run scenarios, check their expectations and a baseline",
	 "usage: headroom check SCENARIO... [--db PATH] [--baseline FILE] [--update-baseline FILE]\n"
	 "                      [--tolerance 5%] [--junit FILE] [--json FILE] [--set KEY=VALUE]...\n"
	 "                      [--sandbox DIR] [--jobs N] [--quiet]\n"
	 "\n"
	 "Runs each SCENARIO once with its own seed (each variant of a compare: or\n"
	 "sweep:), evaluates every line of its expect: section (e.g.\n"
	 "'payment.p99 <= 200ms'; see scenarios/README.md) and, with --baseline,\n"
	 "compares its key figures with the baseline: per service p99, error_rate\n"
	 "and (with an HPA) pod_start.p99, and cost.monthly when nodes have prices.\n"
	 "A figure fails when it rises above its baseline by more than the\n"
	 "tolerance, or by more than 1 ms, 0.01 percentage points, 1 s or 1 USD when\n"
	 "that is larger (so a baseline of 0 allows that much). Prints one line per\n"
	 "check:\n"
	 "  PASS  NAME: CHECK: expected ..., actual ...\n"
	 "\n"
	 "  --db PATH                keep the runs in this results database (default:\n"
	 "                           a temporary one, removed at the end)\n"
	 "  --jobs N                 threads for the plans of scenarios with plan.*\n"
	 "                           expectations (default: the number of cores); a\n"
	 "                           plan runs its sweep's replications of every\n"
	 "                           variant, as headroom plan does, and is the same\n"
	 "                           whatever N is\n"
	 "  --baseline FILE          compare with this baseline (JSON)\n"
	 "  --update-baseline FILE   write the key figures of these runs to FILE\n"
	 "                           (scenarios of FILE not run now are kept)\n"
	 "  --tolerance F            allowed rise over the baseline (default 5%)\n"
	 "  --junit FILE             write a JUnit XML report (a testcase per check)\n"
	 "  --json FILE              write the results as JSON\n" SET_HELP
	 "  --sandbox DIR            files the scenarios name must be inside DIR\n"
	 "  -q, --quiet              print only failed checks and the totals\n"
	 "\n"
	 "Exit status: 0 every check passed; 1 a check failed; 2 bad usage, a bad\n"
	 "scenario or baseline, or an unwritable file; 130 interrupted.\n"},
	{"plan", cmd_plan, "replicate every variant of a sweep and recommend the cheapest that meets a target",
	 "usage: headroom plan SCENARIO [--db PATH] [--jobs N] [--replications N] [--target P]\n"
	 "                     [--adaptive | --search AXIS] [--seed N] [--set KEY=VALUE]...\n"
	 "                     [--sandbox DIR] [--quiet]\n"
	 "\n"
	 "Runs every variant of SCENARIO (its sweep: axes, or its compare: variants,\n"
	 "or the scenario alone) N times, each run with its own seed derived from the\n"
	 "plan's seed, the variant and the replication. For each variant it reports\n"
	 "P(SLO met), the share of runs in which every service met its SLO, with a\n"
	 "Wilson 95% interval; p99 latency across runs (median and 95th percentile)\n"
	 "per service; the error rate; pod start-up; nodes; monthly cost. It\n"
	 "recommends the cheapest variant whose interval's lower bound reaches the\n"
	 "target, names the runner-up and why the cheaper ones fail, and stores it all\n"
	 "in the plans, plan_variants and plan_services tables (results/SCHEMA.md).\n"
	 "Each service's baseline (what its HPA settles on for the traffic before the\n"
	 "first spike) is printed with its formula; a service's buffer sets\n"
	 "minReplicas = ceil(baseline x buffer).\n"
	 "\n"
	 "A plan is resumable: run the same command again (same scenario, overrides,\n"
	 "seed and database) and it goes on from the runs already stored; none is run\n"
	 "or counted twice. More replications later add to the stored ones. The\n"
	 "result does not depend on --jobs, nor on MPI ranks. Before running, it warns\n"
	 "when N runs cannot show the target (even N/N has a lower bound below it).\n"
	 "\n"
	 "  --db PATH          results database (default results/NAME.db)\n"
	 "  -j, --jobs N       worker threads (default: every core; under mpirun, 1 per\n"
	 "                     rank: start one rank per core)\n"
	 "  -n, --replications N  runs per variant (default: the sweep's replications,\n"
	 "                     else 100)\n"
	 "  --target P         the P(SLO met) the lower bound must reach, e.g. 95% or\n"
	 "                     0.99 (default: the sweep's target, else 95%)\n"
	 "  --adaptive         stop running a variant once Wald's sequential test\n"
	 "                     (SPRT) decides it: P(SLO met) = target - d against\n"
	 "                     target + d, d = min(5%, (1 - target)/2), alpha = beta = 5%,\n"
	 "                     looking after every run in replication order; a variant\n"
	 "                     still undecided after N runs is judged as without it.\n"
	 "                     Only the runs up to where each variant stopped are\n"
	 "                     stored. Also the sweep's 'adaptive: true'\n"
	 "  --search AXIS      the smallest value of the numeric sweep axis AXIS (e.g.\n"
	 "                     buffer) whose variant passes, by bisection over its\n"
	 "                     sorted values, each probe run adaptively; assumes\n"
	 "                     P(SLO met) grows with the value, and warns where the\n"
	 "                     probes show otherwise. Not over MPI ranks. Also the\n"
	 "                     sweep's 'search: AXIS'\n"
	 "  --seed N           the plan's seed (default: the scenario's)\n" SET_HELP SANDBOX_HELP
	 "  -q, --quiet        print only errors\n"
	 "\n"
	 "One run of a plan again, in full (samples, decisions, nodes):\n"
	 "  headroom run SCENARIO --variant K --replication R\n"
	 "Past one machine: build with 'make MPI=1' and start it with\n"
	 "  mpirun -np N bin/headroom plan SCENARIO ...\n"
	 "(rank 0 writes the database; every rank must read the same scenario file).\n"
	 "\n"
	 "Progress goes to stderr: a bar on a terminal, a line per tenth otherwise.\n"
	 "Exit status: 0 done; 2 bad usage, bad scenario or unusable database;\n"
	 "130 interrupted (the runs finished so far are kept).\n"},
	{"help", cmd_help, "show help for a command",
	 "usage: headroom help [COMMAND]\n"},
};

static const struct cmd *find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void overview(FILE *f)
{
	fprintf(f, "usage: headroom COMMAND [ARGS]\n"
		   "\n"
		   "headroom simulates Kubernetes services under load, request by request,\n"
		   "and stores what happens in SQLite.\n"
		   "\n"
		   "commands:\n");
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'headroom help COMMAND' or 'headroom COMMAND --help' for a command's options;\n"
		   "'headroom --version' for the version. Scenario format: scenarios/README.md;\n"
		   "results schema: results/SCHEMA.md.\n");
}

static int cmd_help(const struct cmd *cmd, int argc, char **argv)
{
	if (argc < 2) {
		overview(stdout);
		return 0;
	}
	const struct cmd *c = find(argv[1]);
	if (!c)
		return cli_usage_error(cmd, "no command '%s'", argv[1]);
	fputs(c->usage, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	int rc;
	/* A file size limit (ulimit -f) must not kill the process mid-write:
	 * ignored, a write past it fails with EFBIG, which the database and
	 * the writers report as they report a full disk (SQLite rolls back a
	 * commit that cannot be written; one it has written stays, and the
	 * run says so). */
	signal(SIGXFSZ, SIG_IGN);
	if (argc < 2) {
		overview(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
		overview(stdout);
		rc = 0;
	} else if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("headroom %s (results schema %d)\n", HEADROOM_VERSION, STORE_SCHEMA_VERSION);
		rc = 0;
	} else {
		const struct cmd *c = find(name);
		if (!c) {
			fprintf(stderr, "headroom: no command '%s'. Try 'headroom --help'.\n", name);
			return EXIT_USAGE;
		}
		rc = c->fn(c, argc - 1, argv + 1);
	}
	if (fflush(stdout) || ferror(stdout) || fclose(stdout)) {
		perror("headroom: writing the output");
		return rc ? rc : EXIT_USAGE;
	}
	return rc;
}
