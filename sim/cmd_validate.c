/*
 * cmd_validate.c: `headroom validate`, check a scenario without running it.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "scn.h"

int cmd_validate(const struct cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	int rc = cli_parse(cmd, argc, argv, OPT_SET | OPT_QUIET | OPT_SANDBOX, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct scenario sc;
	struct herr e;
	rc = scn_load_sandboxed(&sc, a.scenario, a.sets, a.n_sets, a.sandbox, &e);
	cli_args_free(&a);
	if (rc)
		return cli_fail(&e);
	if (!a.quiet) {
		char dur[32];
		size_t entry = 0;
		for (size_t i = 0; i < sc.n_services; i++)
			entry += sc.services[i].traffic.enabled;
		cli_fmt_duration(dur, sizeof dur, sc.duration);
		printf("%s: ok (scenario '%s': %zu services, %zu with traffic, %s, seed %" PRIu64 ")\n", sc.path,
		       sc.name, sc.n_services, entry, dur, sc.seed);
	}
	scn_free(&sc);
	return 0;
}
