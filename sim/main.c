/*
 * main.c: the headroom command. A table of subcommands, one file each; main
 * finds the command, calls it, and checks that stdout reached its
 * destination (a full disk must not pass for success).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "plot.h"
#include "store.h"

static int cmd_help(const struct cmd *cmd, int argc, char **argv);

#define SET_HELP                                                                                   \
	"  --set KEY=VALUE  override a value of the scenario by its path, e.g.\n"                  \
	"                   services.payment.replicas=8 or\n"                                      \
	"                   services.order.traffic.spikes.0.factor=8 (repeatable; the\n"           \
	"                   value is YAML: --set 'services.x.cpu_per_request={distribution:\n"     \
	"                   exponential, mean: 20ms}')\n"

static const struct cmd commands[] = {
	{"run", cmd_run, "simulate a scenario once and store the results",
	 "usage: headroom run SCENARIO [--db PATH] [--seed N] [--set KEY=VALUE]... [--quiet]\n"
	 "\n"
	 "Simulates every request of SCENARIO (a YAML file; see scenarios/README.md)\n"
	 "through its services' pods, writes samples and per-service summaries to the\n"
	 "results database in one transaction, and prints a table per service.\n"
	 "\n"
	 "  --db PATH        results database (default results/NAME.db, NAME being the\n"
	 "                   scenario's name); created if missing\n"
	 "  --seed N         run seed (default: the scenario's seed)\n" SET_HELP
	 "  -q, --quiet      print only errors\n"
	 "\n"
	 "Exit status: 0 done; 2 bad usage, bad scenario or unwritable database;\n"
	 "130 interrupted (nothing is written).\n"},
	{"validate", cmd_validate, "check a scenario file without running it",
	 "usage: headroom validate SCENARIO [--set KEY=VALUE]... [--quiet]\n"
	 "\n"
	 "Reads SCENARIO, resolves its units and checks every value, as run does.\n"
	 "Prints 'FILE: ok (...)' and exits 0, or prints each problem as\n"
	 "'file:line:col: what is wrong' and exits 2.\n"
	 "\n" SET_HELP "  -q, --quiet      print only errors\n"},
	{"bench", cmd_bench, "time a scenario without storing it (for BENCHMARKS.md)",
	 "usage: headroom bench SCENARIO [--name NAME] [--seed N] [--set KEY=VALUE]...\n"
	 "\n"
	 "Runs SCENARIO with all statistics computed, drops the rows, and prints\n"
	 "  bench NAME requests_per_s=... events_per_s=... peak_rss_mb=... wall_s=...\n"
	 "\n"
	 "  --name NAME      the name printed (default: the scenario's name)\n"
	 "  --seed N         run seed (default: the scenario's seed)\n" SET_HELP},
	{"plot", cmd_plot, "draw the charts of a run with gnuplot (PNG or SVG)",
	 "usage: headroom plot DB [--run ID | --latest] [--format png|svg] [--out DIR] [--scripts]\n"
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
	 "\n"
	 "  --run ID         the run to draw (default: the latest)\n"
	 "  --latest         the latest run\n"
	 "  --plan ID        a plan (refused until the database has plans)\n"
	 "  --format F       png (default) or svg; 1280x720, for slides\n"
	 "  --out DIR        where to write (default: charts/DBNAME-runID beside DB);\n"
	 "                   created if missing; files there are replaced\n"
	 "  --scripts        also write each chart's gnuplot script, data included, as\n"
	 "                   CHART.gp ('gnuplot CHART.gp > CHART.png' draws it again)\n"
	 "\n"
	 "Needs gnuplot (Debian package gnuplot-nox); HEADROOM_GNUPLOT names another\n"
	 "gnuplot program. Exit status: 0 done; 2 bad usage, an unreadable database,\n"
	 "no such run, or gnuplot missing or failing.\n"},
	{"report", cmd_report, "write a design-review page of a run (HTML or Markdown)",
	 "usage: headroom report DB [--run ID | --latest] --out FILE.html|FILE.md\n"
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
	 "  --plan ID        a plan (refused until the database has plans)\n"
	 "  --out FILE       the page to write, ending in .html or .md\n"
	 "\n"
	 "Needs gnuplot, as plot does. Exit status: 0 done; 2 bad usage, an unreadable\n"
	 "database, no such run, or gnuplot missing or failing.\n"},
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
