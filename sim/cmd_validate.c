/*
 * cmd_validate.c: `headroom validate`, check a scenario without running it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "scn.h"

/* One line per PodDisruptionBudget: its budget and the services it selects. */
static void print_pdbs(const struct scenario *sc)
{
	for (size_t i = 0; i < sc->n_pdbs; i++) {
		const struct scn_pdb *p = &sc->pdbs[i];
		printf("  PodDisruptionBudget %s: %s %d%s%s over", p->name,
		       p->budget == PDB_MIN_AVAILABLE ? "minAvailable" : "maxUnavailable", (int)p->value.value,
		       p->value.pct ? "%" : "", p->unhealthy == PDB_ALWAYS_ALLOW ? " (unhealthy pods: AlwaysAllow)" : "");
		for (size_t k = 0; k < p->n_services; k++)
			printf("%s %s", k ? "," : "", sc->services[p->services[k]].name);
		printf("\n");
	}
}

/* With PriorityClasses: one line per class and the services at its value. */
static void print_priorities(const struct scenario *sc)
{
	for (size_t i = 0; i < sc->n_priority_classes; i++) {
		const struct scn_priority_class *c = &sc->priority_classes[i];
		printf("  PriorityClass %s: %d%s%s:", c->name, (int)c->value, c->global_default ? ", globalDefault" : "",
		       c->never ? ", preemptionPolicy Never" : "");
		size_t n = 0;
		for (size_t k = 0; k < sc->n_services; k++) {
			const struct scn_service *s = &sc->services[k];
			bool mine = s->priority_class ? !strcmp(s->priority_class, c->name) : c->global_default;
			if (mine)
				printf("%s %s%s", n++ ? "," : "", s->name, s->placeholder ? " (placeholder)" : "");
		}
		printf("%s\n", n ? "" : " no service");
	}
}

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
	cli_warnings(&sc);
	if (!a.quiet) {
		char dur[32];
		size_t entry = 0;
		for (size_t i = 0; i < sc.n_services; i++)
			entry += sc.services[i].traffic.enabled;
		cli_fmt_duration(dur, sizeof dur, sc.duration);
		printf("%s: ok (scenario '%s': %zu services, %zu with traffic, %s, seed %" PRIu64 ")\n", sc.path,
		       sc.name, sc.n_services, entry, dur, sc.seed);
		print_pdbs(&sc);
		print_priorities(&sc);
	}
	scn_free(&sc);
	return 0;
}
