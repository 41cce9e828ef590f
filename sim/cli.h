/*
 * cli.h: what the subcommands share: the command table entry, option
 * parsing for the options several commands take, and printing helpers.
 *
 * Exit statuses: 0 success; 1 the command ran and found a failure it was
 * asked to find (a failed check); 2 bad usage or bad input (a message
 * "file:line:col: what is wrong" on stderr); 130 interrupted.
 */
#ifndef HEADROOM_CLI_H
#define HEADROOM_CLI_H

#include <stdio.h>

#include "common.h"

struct scenario;

#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130

struct cmd {
	const char *name;
	int (*fn)(const struct cmd *cmd, int argc, char **argv);
	const char *summary; /* one line, for `headroom --help` */
	const char *usage;   /* the full help text of `headroom help NAME` */
};

/* Options shared by the commands that read a scenario. */
enum cli_opt {
	OPT_DB = 1 << 0,
	OPT_SEED = 1 << 1,
	OPT_SET = 1 << 2,
	OPT_QUIET = 1 << 3,
	OPT_NAME = 1 << 4,
	OPT_SANDBOX = 1 << 5
};

struct cli_args {
	const char *scenario; /* the positional SCENARIO */
	const char *db;       /* --db, or NULL */
	uint64_t seed;        /* --seed */
	bool has_seed;
	const char **sets;    /* --set values, in order (owned array, borrowed strings) */
	size_t n_sets;
	bool quiet;           /* -q, --quiet */
	const char *name;     /* --name */
	const char *sandbox;  /* --sandbox DIR: files a scenario names must stay inside */
};

/* Parses argv (argv[0] is the command name) allowing the options in the
 * `allowed` mask and exactly one positional SCENARIO. Returns 0 to go on,
 * -1 when --help was printed (exit 0), or EXIT_USAGE after printing the
 * problem and a hint. Free a->sets with cli_args_free. */
int cli_parse(const struct cmd *cmd, int argc, char **argv, unsigned allowed, struct cli_args *a);
void cli_args_free(struct cli_args *a);

/* Prints "headroom NAME: <message>" and the usage hint to stderr; returns EXIT_USAGE. */
int cli_usage_error(const struct cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints an error message line to stderr; returns EXIT_USAGE. */
int cli_fail(const struct herr *e);
/* Prints the scenario's warnings (sc->warnings) to stderr, one a line. */
void cli_warnings(const struct scenario *sc);
/* Writes s to f as one word for a POSIX shell: as it is if nothing in it is
 * special, else in single quotes. */
void cli_shell_word(FILE *f, const char *s);

/* A duration for people: "30m", "1h30m", "2.5s", "250ms". */
void cli_fmt_duration(char *buf, size_t n, simtime t);
/* A count for people: 1234567 -> "1.23 M". */
void cli_fmt_count(char *buf, size_t n, double v);

/* The commands (sim/cmd_*.c). */
int cmd_run(const struct cmd *cmd, int argc, char **argv);
int cmd_validate(const struct cmd *cmd, int argc, char **argv);
int cmd_bench(const struct cmd *cmd, int argc, char **argv);
int cmd_export(const struct cmd *cmd, int argc, char **argv);

#endif
