#include "cli.h"
#include "scn.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_error(const struct cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "headroom %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'headroom help %s'.\n", cmd->name);
	return EXIT_USAGE;
}

void cli_warnings(const struct scenario *sc)
{
	for (size_t i = 0; i < sc->n_warnings; i++)
		fprintf(stderr, "%s\n", sc->warnings[i]);
}

int cli_fail(const struct herr *e)
{
	fprintf(stderr, "%s\n", e->msg);
	return EXIT_USAGE;
}

static int parse_seed(const struct cmd *cmd, const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (*s == '-' || *s == '\0')
		return cli_usage_error(cmd, "--seed takes an integer from 0 to 18446744073709551615, got '%s'", s);
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return cli_usage_error(cmd, "--seed takes an integer from 0 to 18446744073709551615, got '%s'", s);
	*out = v;
	return 0;
}

int cli_parse(const struct cmd *cmd, int argc, char **argv, unsigned allowed, struct cli_args *a)
{
	static const struct option longs[] = {
		{"db", required_argument, NULL, 'd'},   {"seed", required_argument, NULL, 's'},
		{"set", required_argument, NULL, 'S'},  {"quiet", no_argument, NULL, 'q'},
		{"name", required_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'},
		{"sandbox", required_argument, NULL, 'B'}, {NULL, 0, NULL, 0},
	};
	static const unsigned need[128] = {['d'] = OPT_DB, ['s'] = OPT_SEED, ['S'] = OPT_SET,
					   ['q'] = OPT_QUIET, ['n'] = OPT_NAME, ['B'] = OPT_SANDBOX};
	memset(a, 0, sizeof *a);
	a->sets = xcalloc((size_t)argc, sizeof *a->sets);
	optind = 0; /* GNU: start afresh */
	opterr = 0;
	int c, rc = 0;
	/* GNU getopt moves the positional SCENARIO behind the options. */
	while (!rc && (c = getopt_long(argc, argv, ":hq", longs, NULL)) != -1) {
		if (c == 'h') {
			fputs(cmd->usage, stdout);
			rc = -1;
		} else if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			rc = c == ':' ? cli_usage_error(cmd, "option '%s' needs a value", bad)
				      : cli_usage_error(cmd, "unknown option '%s'", bad);
		} else if (!(allowed & need[c & 127])) {
			rc = cli_usage_error(cmd, "option '%s' does not apply to this command", argv[optind - 1]);
		} else if (c == 'd') {
			a->db = optarg;
		} else if (c == 's') {
			rc = parse_seed(cmd, optarg, &a->seed);
			a->has_seed = true;
		} else if (c == 'S') {
			a->sets[a->n_sets++] = optarg;
		} else if (c == 'q') {
			a->quiet = true;
		} else if (c == 'n') {
			a->name = optarg;
		} else if (c == 'B') {
			a->sandbox = optarg;
		}
	}
	while (!rc && optind < argc) {
		if (a->scenario)
			rc = cli_usage_error(cmd, "one scenario at a time; '%s' is extra", argv[optind]);
		a->scenario = argv[optind++];
	}
	if (!rc && !a->scenario)
		rc = cli_usage_error(cmd, "which scenario? (a YAML file, e.g. scenarios/demo.yaml)");
	if (rc)
		cli_args_free(a);
	return rc;
}

void cli_args_free(struct cli_args *a)
{
	free(a->sets);
	a->sets = NULL;
}

void cli_fmt_duration(char *buf, size_t n, simtime t)
{
	if (t % SIM_S || t < SIM_S) {
		if (t < SIM_S && t % SIM_MS == 0)
			snprintf(buf, n, "%" PRId64 "ms", t / SIM_MS);
		else
			snprintf(buf, n, "%gs", sim_to_s(t));
		return;
	}
	int64_t s = t / SIM_S, h = s / 3600, m = s / 60 % 60;
	s %= 60;
	size_t k = 0;
	buf[0] = '\0';
	if (h)
		k += (size_t)snprintf(buf + k, n - k, "%" PRId64 "h", h);
	if (m && k < n)
		k += (size_t)snprintf(buf + k, n - k, "%" PRId64 "m", m);
	if ((s || !k) && k < n)
		snprintf(buf + k, n - k, "%" PRId64 "s", s);
}

void cli_fmt_count(char *buf, size_t n, double v)
{
	if (v >= 1e9)
		snprintf(buf, n, "%.2f G", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, n, "%.2f M", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, n, "%.1f k", v / 1e3);
	else
		snprintf(buf, n, "%.0f", v);
}

void cli_shell_word(FILE *f, const char *s)
{
	bool plain = *s != '\0';
	for (const char *p = s; *p; p++)
		plain = plain && (strchr("_-./=:,+@%", *p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				  (*p >= '0' && *p <= '9'));
	if (plain) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (const char *p = s; *p; p++)
		fputs(*p == '\'' ? "'\\''" : (const char[]){*p, 0}, f);
	fputc('\'', f);
}
