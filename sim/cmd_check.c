/*
 * cmd_check.c: `headroom check`, the CI gate. Runs each scenario (each
 * variant of a compare: or sweep:) once with its own seed, evaluates its
 * `expect:` lines and compares its key figures with a baseline file; prints
 * one line per check, writes JUnit XML and JSON on request, and exits 0 when
 * every check passed, 1 when one failed, 2 on bad input.
 *
 * The baseline is JSON (written by --update-baseline):
 *
 *   {
 *     "format": "headroom-baseline/1",
 *     "scenarios": {
 *       "ci-checkout": {"seed": 7, "figures": {"order.p99": 84.25, "order.error_rate": 0, ...}},
 *       "karpenter-vs-ca/karpenter": {...}
 *     }
 *   }
 *
 * figures in the metric's unit (ms, fraction, s, USD), null for none. It
 * is read with the YAML parser (JSON is YAML), so errors are file:line:col.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "expect.h"
#include "month.h"
#include "plan.h"
#include "plan_seq.h"
#include "run.h"
#include "scn.h"
#include "store.h"
#include "units.h"
#include "ytree.h"

#define BASELINE_FORMAT "headroom-baseline/1"

static atomic_int interrupted; /* set by the signal handler, read by every worker */

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct opts {
	const char **files; /* scenarios (borrowed from argv) */
	size_t n_files;
	const char **sets;  /* --set values */
	size_t n_sets;
	const char *db, *baseline, *update, *junit, *json, *sandbox;
	double tolerance;   /* fraction */
	int jobs;           /* plan threads; 0: the number of cores */
	bool quiet;
};

/* One check: an expectation, or a key figure against its baseline. */
struct check {
	bool is_baseline;
	bool pass;
	char name[EXPECT_TEXT_MAX + 16]; /* "payment.p99 <= 200ms", or the figure "payment.p99" */
	char metric[EXPECT_TEXT_MAX]; /* "payment.p99", "plan.recommended.slo_probability" */
	enum exp_op op;
	enum exp_unit unit;
	double bound;       /* the value it had to hold against (NaN: none) */
	double base;        /* baseline checks: the baseline value (NaN: none) */
	double actual;      /* NaN: none */
	int line;           /* expectations: where written (0: unknown) */
	char msg[400];      /* "expected <= 200 ms, actual 212 ms" */
};

/* One run: a scenario, or one variant of it. */
struct unit {
	char name[160];              /* "ci-checkout", "karpenter-vs-ca/karpenter" */
	struct scenario sc;          /* what runs (the variant when there is one) */
	const char *file;
	int variant;                 /* runs.variant: 0 plain, 1.. */
	const char *const *sets;     /* overrides: --set, then the variant's (owned array) */
	size_t n_sets;
	int64_t run_id;
	double wall_s;
	struct check *checks;
	size_t n_checks, cap;
	struct exp_figure *figs;     /* the key figures of its run */
	size_t n_figs;
	bool is_plan;                /* the plan of sc's sweep, for its plan.* expectations */
	int plan_vars, plan_reps, plan_rec; /* its variants, replications, recommendation (from 1; 0: none) */
	double plan_target;
};

struct check_ctx {
	struct opts o;
	struct unit *units;
	size_t n_units;
	struct ytree base;           /* the baseline file (root NULL without one) */
	char *base_text;
	store *st;
	char *db;                    /* the database path (the temporary one, or --db) */
	char *tmpdir;                /* the temporary folder, when there is one */
	bool created;                /* this check made the --db file */
};

/* ---- text escapes ---- */

/* The length of the valid UTF-8 sequence at p (allowed in XML 1.0), or 0. */
static size_t utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	size_t n = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
	if (!n || p[0] == 0xC0 || p[0] == 0xC1 || p[0] > 0xF4)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) || (p[0] == 0xF0 && p[1] < 0x90) ||
	    (p[0] == 0xF4 && p[1] >= 0x90) || (p[0] == 0xEF && p[1] == 0xBF && p[2] >= 0xBE))
		return 0;
	return n;
}

/* s as XML character data or attribute value: the five entities escaped;
 * characters XML cannot hold (controls, invalid UTF-8) become '?'. */
static void xml_put(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_len(p);
		if (!n || (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')) {
			fputc('?', f);
			p += n ? n : 1;
			continue;
		}
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '\n': fputs("&#10;", f); break;
		case '\r': fputs("&#13;", f); break;
		case '\t': fputs("&#9;", f); break;
		default: fwrite(p, 1, n, f);
		}
		p += n;
	}
}

/* s as a JSON string, quotes included; invalid UTF-8 becomes '?'. */
static void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', f);
	while (*p) {
		size_t n = utf8_len(p);
		if (!n) {
			fputc('?', f);
			p++;
			continue;
		}
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

/* A number as JSON (null for NaN), in the fewest digits that read back
 * as the same double. */
static void json_num(FILE *f, double v)
{
	char buf[32];
	if (isnan(v) || isinf(v)) {
		fputs("null", f);
		return;
	}
	for (int digits = 10; digits <= 17; digits++) {
		snprintf(buf, sizeof buf, "%.*g", digits, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, f);
}

/* ---- options ---- */

static int parse_opts(const struct cmd *cmd, int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{"db", required_argument, NULL, 'd'},      {"baseline", required_argument, NULL, 'b'},
		{"update-baseline", required_argument, NULL, 'u'}, {"tolerance", required_argument, NULL, 't'},
		{"junit", required_argument, NULL, 'j'},   {"json", required_argument, NULL, 'J'},
		{"set", required_argument, NULL, 'S'},     {"sandbox", required_argument, NULL, 'x'},
		{"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
		{"jobs", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof *o);
	o->tolerance = 0.05;
	o->sets = xcalloc((size_t)argc, sizeof *o->sets);
	o->files = xcalloc((size_t)argc, sizeof *o->files);
	optind = 0;
	opterr = 0;
	int c;
	char why[UNITS_WHY];
	while ((c = getopt_long(argc, argv, ":hq", longs, NULL)) != -1) {
		switch (c) {
		case 'h': fputs(cmd->usage, stdout); return -1;
		case ':': return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		case '?': return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		case 'd': o->db = optarg; break;
		case 'b': o->baseline = optarg; break;
		case 'u': o->update = optarg; break;
		case 'j': o->junit = optarg; break;
		case 'J': o->json = optarg; break;
		case 'x': o->sandbox = optarg; break;
		case 'S': o->sets[o->n_sets++] = optarg; break;
		case 'q': o->quiet = true; break;
		case 'n': {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 4096)
				return cli_usage_error(cmd, "--jobs takes an integer from 1 to 4096, got '%s'", optarg);
			o->jobs = (int)v;
			break;
		}
		case 't':
			if (units_fraction(optarg, &o->tolerance, why) || !(o->tolerance >= 0 && o->tolerance <= 10))
				return cli_usage_error(cmd, "--tolerance takes a fraction from 0%% to 1000%% (e.g. 5%%), got '%s'",
						       optarg);
			break;
		}
	}
	while (optind < argc)
		o->files[o->n_files++] = argv[optind++];
	if (!o->n_files)
		return cli_usage_error(cmd, "which scenarios? (YAML files, e.g. scenarios/ci/*.yaml)");
	return 0;
}

/* ---- the baseline file ---- */

static char *slurp(const char *path, size_t *len, struct herr *e)
{
	char why[160];
	char *buf = file_slurp(path, FILE_MAX_BASELINE, len, why, sizeof why);
	if (!buf) {
		herr_set(e, "%s: cannot %s the baseline: %s", path, strncmp(why, "cannot open", 11) ? "read" : "open",
			 strncmp(why, "cannot open: ", 13) ? why : why + 13);
		return NULL;
	}
	if (strlen(buf) != *len) {
		free(buf);
		herr_set(e, "%s: cannot read the baseline: it holds NUL bytes", path);
		return NULL;
	}
	return buf;
}

/* Whether scalar n is a number (or null, for none). */
static bool figure_value(const struct ynode *n, double *v)
{
	if (n->kind != Y_SCALAR)
		return false;
	if (n->plain && !strcmp(n->s, "null")) {
		*v = NAN;
		return true;
	}
	char *end;
	errno = 0;
	*v = strtod(n->s, &end);
	return n->plain && *n->s && !*end && !errno && isfinite(*v);
}

/* Reads and checks the baseline at path into C->base. */
static int load_baseline(struct check_ctx *C, const char *path, struct herr *e)
{
	size_t len = 0;
	C->base_text = slurp(path, &len, e);
	if (!C->base_text || yt_parse(&C->base, path, 1, C->base_text, len, e))
		return -1;
	const struct ynode *r = C->base.root, *fmt, *scs;
	if (!r || r->kind != Y_MAP)
		return herr_set(e, "%s: not a headroom baseline (a JSON object written by --update-baseline)", path);
	if (!(fmt = yt_get(r, "format")) || fmt->kind != Y_SCALAR || strcmp(fmt->s, BASELINE_FORMAT))
		return fmt ? yt_err(e, fmt, "format: expected \"%s\"", BASELINE_FORMAT)
			   : yt_err(e, r, "not a headroom baseline: no \"format\": \"%s\"", BASELINE_FORMAT);
	if (!(scs = yt_get(r, "scenarios")) || scs->kind != Y_MAP)
		return yt_err(e, scs ? scs : r, "\"scenarios\" must be an object of scenario names");
	for (size_t i = 0; i < scs->n; i++) {
		const struct ynode *s = yt_val(scs, i), *figs;
		if (s->kind != Y_MAP || !(figs = yt_get(s, "figures")) || figs->kind != Y_MAP)
			return yt_err(e, s, "scenario \"%s\": expected {\"seed\": N, \"figures\": {...}}", yt_key(scs, i)->s);
		for (size_t j = 0; j < figs->n; j++) {
			double v;
			if (!figure_value(yt_val(figs, j), &v))
				return yt_err(e, yt_val(figs, j), "figure \"%s\": expected a number or null",
					      yt_key(figs, j)->s);
		}
	}
	return 0;
}

/* The figures of unit name in the baseline, or NULL. */
static const struct ynode *baseline_figures(const struct check_ctx *C, const char *name)
{
	const struct ynode *s = yt_get(yt_get(C->base.root, "scenarios"), name);
	return s ? yt_get(s, "figures") : NULL;
}

static void json_figures(FILE *f, const struct unit *u)
{
	for (size_t i = 0; i < u->n_figs; i++) {
		char path[160];
		const struct exp_figure *g = &u->figs[i];
		expect_metric_path(path, sizeof path, &u->sc, g->metric, g->service);
		fprintf(f, "%s\n        ", i ? "," : "");
		json_str(f, path);
		fputs(": ", f);
		json_num(f, g->value);
	}
}

/* Writes the scenarios of an old baseline that were not run now, as they
 * were; *k counts the entries written so far (for commas). */
static void write_kept(FILE *f, const struct check_ctx *C, const struct ynode *scs, size_t *k)
{
	for (size_t i = 0; scs && scs->kind == Y_MAP && i < scs->n; i++) {
		const char *name = yt_key(scs, i)->s;
		bool rerun = false;
		for (size_t j = 0; j < C->n_units && !rerun; j++)
			rerun = !strcmp(C->units[j].name, name);
		const struct ynode *s = yt_val(scs, i), *figs = s->kind == Y_MAP ? yt_get(s, "figures") : NULL;
		if (rerun || !figs || figs->kind != Y_MAP)
			continue;
		const struct ynode *seed = yt_get(s, "seed");
		fprintf(f, "%s\n    ", (*k)++ ? "," : "");
		json_str(f, name);
		fprintf(f, ": {\n      \"seed\": %s,\n      \"figures\": {",
			seed && seed->kind == Y_SCALAR && seed->plain ? seed->s : "null");
		for (size_t j = 0; j < figs->n; j++) {
			double v = NAN;
			figure_value(yt_val(figs, j), &v);
			fprintf(f, "%s\n        ", j ? "," : "");
			json_str(f, yt_key(figs, j)->s);
			fputs(": ", f);
			json_num(f, v);
		}
		fputs("\n      }\n    }", f);
	}
}

/* Writes the baseline: the units run now, and the scenarios of the old file
 * at the same path that were not run (kept as they were). Written to a
 * temporary file and renamed over, so a reader never sees half of it. */
static int write_baseline(const struct check_ctx *C, const char *path, struct herr *e)
{
	struct ytree old = {0};
	char *old_text = NULL;
	size_t len, k = 0;
	if (!access(path, F_OK) && ((old_text = slurp(path, &len, e)) == NULL || yt_parse(&old, path, 1, old_text, len, e))) {
		free(old_text);
		return -1;
	}
	size_t n = strlen(path) + 32;
	char *tmp = xmalloc(n);
	snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	int rc = 0;
	if (!f) {
		rc = herr_set(e, "%s: cannot write the baseline: %s", path, strerror(errno));
		goto out;
	}
	fprintf(f, "{\n  \"format\": \"%s\",\n  \"scenarios\": {", BASELINE_FORMAT);
	write_kept(f, C, old.root && old.root->kind == Y_MAP ? yt_get(old.root, "scenarios") : NULL, &k);
	for (size_t j = 0; j < C->n_units; j++) {
		const struct unit *u = &C->units[j];
		if (u->is_plan)
			continue; /* plans have no key figures */
		fprintf(f, "%s\n    ", k++ ? "," : "");
		json_str(f, u->name);
		fprintf(f, ": {\n      \"seed\": %" PRIu64 ",\n      \"figures\": {", u->sc.seed);
		json_figures(f, u);
		fputs("\n      }\n    }", f);
	}
	fputs("\n  }\n}\n", f);
	if (ferror(f) | fclose(f) || rename(tmp, path)) {
		rc = herr_set(e, "%s: cannot write the baseline: %s", path, strerror(errno));
		unlink(tmp);
	}
out:
	free(tmp);
	yt_free(&old);
	free(old_text);
	return rc;
}

/* ---- checks ---- */

static struct check *add_check(struct unit *u)
{
	if (u->n_checks == u->cap) {
		u->cap = u->cap ? 2 * u->cap : 16;
		u->checks = xrealloc(u->checks, u->cap * sizeof *u->checks);
	}
	struct check *c = &u->checks[u->n_checks++];
	memset(c, 0, sizeof *c);
	c->bound = c->base = c->actual = NAN;
	return c;
}

static void eval_expects(struct unit *u, const struct exp_results *r)
{
	for (size_t i = 0; i < u->sc.n_expects; i++) {
		const struct expect *x = &u->sc.expects[i];
		if (expect_metric_is_plan(x->metric))
			continue; /* the plan's unit checks them */
		struct check *c = add_check(u);
		c->pass = expect_eval(x, r, &c->actual);
		c->op = x->op;
		c->unit = expect_metric_unit(x->metric);
		c->bound = x->value;
		c->line = x->line;
		snprintf(c->name, sizeof c->name, "%s", x->text);
		expect_metric_path(c->metric, sizeof c->metric, &u->sc, x->metric, x->service);
		char want[64], got[64];
		expect_fmt(want, sizeof want, c->unit, x->value);
		expect_fmt(got, sizeof got, c->unit, c->actual);
		snprintf(c->msg, sizeof c->msg, "expected %s %s, actual %s%s%s%s", expect_op_text(x->op), want, got,
			 isnan(c->actual) ? " (" : "", isnan(c->actual) ? expect_none_why(x->metric) : "",
			 isnan(c->actual) ? ")" : "");
	}
}

static void eval_plan_expects(struct unit *u, const struct exp_plan *p)
{
	for (size_t i = 0; i < u->sc.n_expects; i++) {
		const struct expect *x = &u->sc.expects[i];
		if (!expect_metric_is_plan(x->metric))
			continue;
		struct check *c = add_check(u);
		c->pass = expect_eval_plan(x, p, &c->actual);
		c->op = x->op;
		c->unit = expect_metric_unit(x->metric);
		c->bound = x->value;
		c->line = x->line;
		snprintf(c->name, sizeof c->name, "%s", x->text);
		snprintf(c->metric, sizeof c->metric, "%s", x->path);
		char want[64], got[64];
		expect_fmt(want, sizeof want, c->unit, x->value);
		expect_fmt(got, sizeof got, c->unit, c->actual);
		snprintf(c->msg, sizeof c->msg, "expected %s %s, actual %s%s%s%s", expect_op_text(x->op), want, got,
			 isnan(c->actual) ? " (" : "", isnan(c->actual) ? expect_plan_none_why(x, p) : "",
			 isnan(c->actual) ? ")" : "");
	}
}

/* The change from b to a, for messages: " (+4.2 %)". */
static void fmt_change(char *buf, size_t n, double b, double a)
{
	if (isnan(a) || isnan(b) || b == 0 || a == b)
		buf[0] = '\0';
	else
		snprintf(buf, n, " (%+.1f %%)", 100 * (a - b) / fabs(b));
}

static void compare_baseline(const struct check_ctx *C, struct unit *u)
{
	const struct ynode *figs = baseline_figures(C, u->name);
	if (!figs) {
		struct check *c = add_check(u);
		c->is_baseline = true;
		snprintf(c->name, sizeof c->name, "baseline");
		snprintf(c->msg, sizeof c->msg, "no baseline for '%s' in %s (--update-baseline %s records one)", u->name,
			 C->o.baseline, C->o.baseline);
		return;
	}
	char tol[32];
	expect_fmt(tol, sizeof tol, EXP_FRACTION, C->o.tolerance);
	for (size_t i = 0; i < u->n_figs; i++) {
		const struct exp_figure *g = &u->figs[i];
		struct check *c = add_check(u);
		c->is_baseline = true;
		c->op = EXP_LE;
		c->unit = expect_metric_unit(g->metric);
		c->actual = g->value;
		expect_metric_path(c->metric, sizeof c->metric, &u->sc, g->metric, g->service);
		snprintf(c->name, sizeof c->name, "baseline %s", c->metric);
		const struct ynode *v = yt_get(figs, c->metric);
		char got[64], was[64], lim[64], chg[32];
		expect_fmt(got, sizeof got, c->unit, c->actual);
		if (!v || !figure_value(v, &c->base)) {
			snprintf(c->msg, sizeof c->msg, "not in the baseline (--update-baseline records it), actual %s", got);
			continue;
		}
		c->pass = expect_within(c->base, c->actual, C->o.tolerance, c->unit, &c->bound);
		expect_fmt(was, sizeof was, c->unit, c->base);
		expect_fmt(lim, sizeof lim, c->unit, c->bound);
		fmt_change(chg, sizeof chg, c->base, c->actual);
		if (isnan(c->base))
			snprintf(c->msg, sizeof c->msg, "expected none (as in the baseline), actual %s", got);
		else if (c->bound - c->base > C->o.tolerance * fabs(c->base) * (1 + 1e-9)) {
			char fl[64];
			expect_fmt(fl, sizeof fl, c->unit, c->bound - c->base);
			snprintf(c->msg, sizeof c->msg, "expected <= %s (baseline %s + the %s floor), actual %s%s", lim, was, fl,
				 got, chg);
		} else
			snprintf(c->msg, sizeof c->msg, "expected <= %s (baseline %s + %s), actual %s%s", lim, was, tol, got, chg);
	}
	/* Figures of the baseline this run does not have (a service removed). */
	for (size_t j = 0; j < figs->n; j++) {
		const char *k = yt_key(figs, j)->s;
		bool found = false;
		for (size_t i = 0; i < u->n_checks && !found; i++)
			found = u->checks[i].is_baseline && !strcmp(u->checks[i].metric, k);
		if (found)
			continue;
		struct check *c = add_check(u);
		c->is_baseline = true;
		snprintf(c->metric, sizeof c->metric, "%s", k);
		snprintf(c->name, sizeof c->name, "baseline %s", k);
		figure_value(yt_val(figs, j), &c->base);
		snprintf(c->msg, sizeof c->msg, "in the baseline, but this run has no such figure");
	}
}

/* ---- running ---- */

static char *params_json(const char *const *sets, size_t n_sets)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return xstrdup("{}");
	fputc('{', f);
	for (size_t i = 0; i < n_sets; i++) {
		const char *eq = strchr(sets[i], '=');
		size_t kl = eq ? (size_t)(eq - sets[i]) : strlen(sets[i]);
		char *k = xmalloc(kl + 1);
		memcpy(k, sets[i], kl);
		k[kl] = '\0';
		fputs(i ? "," : "", f);
		json_str(f, k);
		fputc(':', f);
		json_str(f, eq ? eq + 1 : "");
		free(k);
	}
	fputc('}', f);
	fclose(f);
	return buf;
}

/* ---- plans ---- */

#define PLAN_DEFAULT_REPLICATIONS 100 /* as headroom plan */
#define PLAN_DEFAULT_TARGET 0.95

/* The runs of a plan, by (variant, replication). */
struct plan_acc {
	int reps;
	unsigned char *done, *met; /* [variant - 1][replication - 1] */
	struct month_event *ev;    /* what each run spent above its start (usd NaN: unknown) */
	const double *start_nodes; /* per variant, the nodes its runs start with */
};

/* A finished run of the plan: did every service meet its SLO, and what it
 * spent above its starting cluster (sim/month.h). Kept by (variant,
 * replication), so that the figures do not depend on the order runs finish in. */
static void plan_on_result(void *ctx, struct plan_result *r)
{
	struct plan_acc *A = ctx;
	size_t k = (size_t)(r->job.variant - 1) * (size_t)A->reps + (size_t)(r->job.replication - 1);
	int met = -1; /* as headroom plan judges a run: every objective met, and at least one */
	for (size_t i = 0; i < r->n_services; i++)
		if (r->has_summary[i] && r->sums[i].slo_met >= 0)
			met = met < 0 ? r->sums[i].slo_met : HR_MIN(met, r->sums[i].slo_met);
	A->done[k] = 1;
	A->met[k] = met == 1;
	A->ev[k] = r->has_cost ? month_event_of(r->cost.cost_usd, r->cost.spot_usd, r->cost.node_hours, r->st.sim_s / 3600,
					     r->cost.start_usd_hour, r->cost.start_spot_usd_hour,
					     A->start_nodes[r->job.variant - 1])
			       : (struct month_event){NAN, NAN, NAN};
	plan_result_free(r);
}

static int plan_jobs(const struct check_ctx *C)
{
	if (C->o.jobs)
		return C->o.jobs;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 4096 ? 4096 : (int)n;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs the plan of u's sweep through the planner (plan.h) with the sweep's
 * replications and target, judges its variants as headroom plan does, and
 * evaluates u's plan.* expectations. Returns 0 or an exit status. */
static int run_plan_unit(struct check_ctx *C, struct unit *u)
{
	const struct scenario *sc = &u->sc;
	struct herr e;
	int nv = plan_n_variants(sc);
	int reps = (int)(sc->sweep.replications ? sc->sweep.replications : PLAN_DEFAULT_REPLICATIONS);
	size_t ns = sc->n_services, total = (size_t)nv * (size_t)reps;
	u->plan_vars = nv;
	u->plan_reps = reps;
	u->plan_target = sc->sweep.target > 0 ? sc->sweep.target : PLAN_DEFAULT_TARGET;
	char warn[200];
	if (plan_runs_warning(reps, u->plan_target, warn, sizeof warn))
		fprintf(stderr, "%s: warning: %s (the sweep's replications)\n", sc->path, warn);
	struct scenario *vars = xcalloc((size_t)nv, sizeof *vars);
	int loaded = 0, rc = 0;
	for (; loaded < nv; loaded++)
		if (plan_load_variant(&vars[loaded], sc, loaded + 1, C->o.sets, C->o.n_sets, &e)) {
			rc = cli_fail(&e);
			break;
		}
	/* Each variant's month, as headroom plan models it (sim/month.h). */
	struct month_day *days = xcalloc((size_t)nv, sizeof *days);
	double *start_nodes = xcalloc((size_t)nv, sizeof *start_nodes);
	for (int v = 0; !rc && v < nv; v++) {
		month_day(&vars[v], &days[v]);
		start_nodes[v] = days[v].start_nodes;
	}
	struct plan_acc A = {reps, xcalloc(total, 1), xcalloc(total, 1), xcalloc(total, sizeof *A.ev), start_nodes};
	struct plan_job *jobs = xcalloc(total, sizeof *jobs);
	for (int v = 1; v <= nv; v++)
		for (int r = 1; r <= reps; r++)
			jobs[(size_t)(v - 1) * (size_t)reps + (size_t)(r - 1)] = (struct plan_job){v, r, plan_seed(sc->seed, v, r)};
	if (!rc) {
		struct plan_runner pr = {sc, C->o.sets, C->o.n_sets, plan_jobs(C), &interrupted, plan_on_result, NULL, &A, NULL, NULL};
		double t0 = mono_s();
		int prc = plan_run(&pr, jobs, total, &e);
		u->wall_s = mono_s() - t0;
		if (prc < 0)
			rc = cli_fail(&e);
		else if (prc > 0) {
			fprintf(stderr, "headroom check: interrupted; nothing was written\n");
			rc = EXIT_INTERRUPTED;
		}
	}
	if (!rc) {
		struct plan_choice *ch = xcalloc((size_t)nv, sizeof *ch);
		struct exp_plan p = {nv, ns, 0, xcalloc((size_t)nv, sizeof(double)), xcalloc((size_t)nv, sizeof(double)),
				     xcalloc((size_t)nv, sizeof(double)), xcalloc((size_t)nv * (ns ? ns : 1), sizeof(double))};
		bool by_cost = true;
		for (int v = 0; v < nv; v++) {
			struct month_event ev = {0, 0, 0};
			int64_t n_ev = 0;
			for (int r = 0; r < reps; r++) {
				size_t k = (size_t)v * (size_t)reps + (size_t)r;
				if (!A.done[k])
					continue;
				ch[v].runs++;
				ch[v].met += A.met[k];
				if (!isnan(A.ev[k].usd) && !isnan(A.ev[k].spot_usd) && !isnan(A.ev[k].node_hours)) {
					ev.usd += A.ev[k].usd;
					ev.spot_usd += A.ev[k].spot_usd;
					ev.node_hours += A.ev[k].node_hours;
					n_ev++;
				}
			}
			ev = n_ev ? (struct month_event){ev.usd / (double)n_ev, ev.spot_usd / (double)n_ev,
							 ev.node_hours / (double)n_ev}
				  : (struct month_event){NAN, NAN, NAN};
			struct month_cost mc;
			month_cost(&vars[v].cost, &days[v], ev, &mc);
			by_cost &= days[v].cluster;
			p.monthly[v] = mc.total;
			for (size_t i = 0; i < ns; i++)
				p.buffer[(size_t)v * ns + i] = vars[v].services[i].buffer > 0 ? vars[v].services[i].buffer : NAN;
		}
		for (int v = 0; v < nv; v++)
			ch[v].cost = by_cost ? p.monthly[v] : plan_min_cores(&vars[v]);
		int ru;
		p.recommended = plan_recommend(ch, (size_t)nv, u->plan_target, &ru) + 1;
		u->plan_rec = p.recommended;
		for (int v = 0; v < nv; v++) {
			p.p_slo[v] = ch[v].runs ? (double)ch[v].met / (double)ch[v].runs : NAN;
			p.p_lower[v] = ch[v].runs ? ch[v].lo : NAN;
		}
		eval_plan_expects(u, &p);
		free(p.p_slo);
		free(p.p_lower);
		free(p.monthly);
		free(p.buffer);
		free(ch);
	}
	free(jobs);
	free(A.done);
	free(A.met);
	free(A.ev);
	for (int v = 0; v < nv; v++)
		month_day_free(&days[v]); /* zeroed if never modelled */
	free(days);
	free(start_nodes);
	for (int v = 0; v < loaded; v++)
		scn_free(&vars[v]);
	free(vars);
	return rc;
}

/* Runs unit u into the store and evaluates its checks. Returns 0 or an
 * exit status. */
static int run_unit(struct check_ctx *C, struct unit *u)
{
	if (u->is_plan)
		return run_plan_unit(C, u);
	struct herr e;
	char *params = params_json(u->sets, u->n_sets);
	struct run_info ri = {.sc = &u->sc, .seed = u->sc.seed, .variant = u->variant, .params = params};
	if (store_run_begin(C->st, &ri, &e)) {
		free(params);
		return cli_fail(&e);
	}
	struct sink to_store = store_sink(C->st);
	struct exp_results r;
	expect_results_init(&r, &u->sc, &to_store);
	struct sink out = expect_sink(&r);
	struct run_hooks hooks = {&interrupted, NULL, NULL};
	struct run_stats rs;
	run_once(&u->sc, u->sc.seed, &out, &hooks, &rs);
	int rc = 0;
	if (rs.interrupted) {
		store_run_abort(C->st);
		fprintf(stderr, "headroom check: interrupted; nothing was written\n");
		rc = EXIT_INTERRUPTED;
	} else {
		struct run_end end = {"ok", rs.wall_s, rs.events, rs.requests, rs.sim_s};
		if (store_run_commit(C->st, &end, &u->run_id, &e))
			rc = cli_fail(&e);
	}
	if (!rc) {
		u->wall_s = rs.wall_s;
		eval_expects(u, &r);
		u->figs = expect_key_figures(&r, &u->n_figs);
		if (C->o.baseline)
			compare_baseline(C, u);
	}
	expect_results_release(&r);
	free(params);
	return rc;
}

static void print_unit(const struct check_ctx *C, const struct unit *u)
{
	if (!C->o.quiet && u->is_plan) {
		printf("%s (%s): plan of %d variant%s x %d replications (seed %" PRIu64 ", target %g%%) in %.2f s; "
		       "recommended: %s\n", u->name, u->file, u->plan_vars, u->plan_vars == 1 ? "" : "s", u->plan_reps,
		       u->sc.seed, 100 * u->plan_target, u->wall_s,
		       u->plan_rec ? u->sc.variants[u->plan_rec - 1].name : "none (no variant meets the target)");
	} else if (!C->o.quiet) {
		char dur[32];
		cli_fmt_duration(dur, sizeof dur, u->sc.duration);
		printf("%s (%s): seed %" PRIu64 ", %s simulated in %.2f s\n", u->name, u->file, u->sc.seed, dur,
		       u->wall_s);
		if (!u->n_checks && !expect_has_plan(&u->sc)) /* a sweep's variants: the plan has the checks */
			printf("note  %s: no expect: lines and no --baseline: nothing to check\n", u->name);
	}
	for (size_t i = 0; i < u->n_checks; i++) {
		const struct check *c = &u->checks[i];
		if (c->pass && C->o.quiet)
			continue;
		printf("%s  %s: %s: %s\n", c->pass ? "PASS" : "FAIL", u->name, c->name, c->msg);
	}
}

/* ---- reports ---- */

static void count(const struct unit *u, size_t *pass, size_t *fail)
{
	for (size_t i = 0; i < u->n_checks; i++)
		*(u->checks[i].pass ? pass : fail) += 1;
}

static int write_junit(const struct check_ctx *C, const char *path, struct herr *e)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return herr_set(e, "%s: cannot write the JUnit report: %s", path, strerror(errno));
	size_t pass = 0, fail = 0;
	double wall = 0;
	for (size_t i = 0; i < C->n_units; i++) {
		count(&C->units[i], &pass, &fail);
		wall += C->units[i].wall_s;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"headroom check\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" time=\"%.3f\">\n",
		pass + fail, fail, wall);
	for (size_t i = 0; i < C->n_units; i++) {
		const struct unit *u = &C->units[i];
		size_t p = 0, q = 0;
		count(u, &p, &q);
		fputs("  <testsuite name=\"", f);
		xml_put(f, u->name);
		fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"%.3f\" file=\"", p + q, q,
			u->wall_s);
		xml_put(f, u->file);
		fprintf(f, "\">\n    <properties><property name=\"seed\" value=\"%" PRIu64 "\"/></properties>\n", u->sc.seed);
		for (size_t j = 0; j < u->n_checks; j++) {
			const struct check *c = &u->checks[j];
			fputs("    <testcase name=\"", f);
			xml_put(f, c->name);
			fputs("\" classname=\"", f);
			xml_put(f, u->name);
			fprintf(f, ".%s\" time=\"0\"", c->is_baseline ? "baseline" : "expect");
			if (c->pass) {
				fputs("/>\n", f);
				continue;
			}
			fputs(">\n      <failure message=\"", f);
			xml_put(f, c->msg);
			fprintf(f, "\" type=\"%s\">", c->is_baseline ? "baseline" : "expectation");
			xml_put(f, u->file);
			if (c->line)
				fprintf(f, ":%d", c->line);
			fputs(": ", f);
			xml_put(f, c->name);
			fputs(": ", f);
			xml_put(f, c->msg);
			fputs("</failure>\n    </testcase>\n", f);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	if (ferror(f) | fclose(f))
		return herr_set(e, "%s: cannot write the JUnit report: %s", path, strerror(errno));
	return 0;
}

static const char *unit_name(enum exp_unit u)
{
	static const char *const names[] = {
		[EXP_MS] = "ms", [EXP_FRACTION] = "fraction", [EXP_SECONDS] = "s", [EXP_MINUTES] = "min",
		[EXP_COUNT] = "count", [EXP_USD] = "USD", [EXP_HOURS] = "h", [EXP_BOOL] = "bool",
	};
	return names[u];
}

static void json_check(FILE *f, const struct check *c)
{
	fprintf(f, "{\"kind\": \"%s\", \"name\": ", c->is_baseline ? "baseline" : "expect");
	json_str(f, c->name);
	fputs(", \"metric\": ", f);
	json_str(f, c->metric);
	fprintf(f, ", \"op\": \"%s\", \"expected\": ", expect_op_text(c->op));
	json_num(f, c->bound);
	if (c->is_baseline) {
		fputs(", \"baseline\": ", f);
		json_num(f, c->base);
	}
	fputs(", \"actual\": ", f);
	json_num(f, c->actual);
	fprintf(f, ", \"unit\": \"%s\", \"pass\": %s", unit_name(c->unit), c->pass ? "true" : "false");
	if (c->line)
		fprintf(f, ", \"line\": %d", c->line);
	fputs(", \"message\": ", f);
	json_str(f, c->msg);
	fputc('}', f);
}

static int write_json(const struct check_ctx *C, const char *path, struct herr *e)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return herr_set(e, "%s: cannot write the JSON report: %s", path, strerror(errno));
	size_t pass = 0, fail = 0;
	for (size_t i = 0; i < C->n_units; i++)
		count(&C->units[i], &pass, &fail);
	fprintf(f, "{\n  \"passed\": %zu,\n  \"failed\": %zu,\n  \"tolerance\": ", pass, fail);
	json_num(f, C->o.tolerance);
	fputs(",\n  \"baseline\": ", f);
	if (C->o.baseline)
		json_str(f, C->o.baseline);
	else
		fputs("null", f);
	fputs(",\n  \"database\": ", f);
	if (C->o.db)
		json_str(f, C->o.db);
	else
		fputs("null", f);
	fputs(",\n  \"scenarios\": [", f);
	for (size_t i = 0; i < C->n_units; i++) {
		const struct unit *u = &C->units[i];
		size_t p = 0, q = 0;
		count(u, &p, &q);
		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_str(f, u->name);
		fputs(", \"file\": ", f);
		json_str(f, u->file);
		fprintf(f, ", \"variant\": %d, \"seed\": %" PRIu64 ", \"run_id\": ", u->variant, u->sc.seed);
		if (C->o.db)
			fprintf(f, "%" PRId64, u->run_id);
		else
			fputs("null", f);
		fprintf(f, ", \"wall_s\": %.3f, \"passed\": %zu, \"failed\": %zu,\n     \"figures\": {", u->wall_s, p, q);
		for (size_t j = 0; j < u->n_figs; j++) {
			char path_[160];
			expect_metric_path(path_, sizeof path_, &u->sc, u->figs[j].metric, u->figs[j].service);
			fputs(j ? ", " : "", f);
			json_str(f, path_);
			fputs(": ", f);
			json_num(f, u->figs[j].value);
		}
		fputs("},\n     \"checks\": [", f);
		for (size_t j = 0; j < u->n_checks; j++) {
			fputs(j ? ",\n       " : "\n       ", f);
			json_check(f, &u->checks[j]);
		}
		fputs("]}", f);
	}
	fputs("\n  ]\n}\n", f);
	if (ferror(f) | fclose(f))
		return herr_set(e, "%s: cannot write the JSON report: %s", path, strerror(errno));
	return 0;
}

/* ---- loading ---- */

static void add_unit(struct check_ctx *C, size_t *cap, struct scenario *sc, const char *file, int variant,
		     const char *vname, const char **sets, size_t n_sets)
{
	if (C->n_units == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		C->units = xrealloc(C->units, *cap * sizeof *C->units);
	}
	struct unit *u = &C->units[C->n_units++];
	memset(u, 0, sizeof *u);
	u->sc = *sc;
	u->file = file;
	u->variant = variant;
	u->sets = sets;
	u->n_sets = n_sets;
	snprintf(u->name, sizeof u->name, "%s%s%s", sc->name, vname ? "/" : "", vname ? vname : "");
}

/* Loads every scenario (and variant) before anything runs, so a bad one
 * stops the check before it starts. */
static int load_units(struct check_ctx *C, struct herr *e)
{
	size_t cap = 0;
	for (size_t i = 0; i < C->o.n_files; i++) {
		struct scenario sc;
		if (scn_load_sandboxed(&sc, C->o.files[i], C->o.sets, C->o.n_sets, C->o.sandbox, e))
			return -1;
		cli_warnings(&sc);
		if (!sc.n_variants) {
			const char **sets = xcalloc(C->o.n_sets + 1, sizeof *sets);
			memcpy(sets, C->o.sets, C->o.n_sets * sizeof *sets);
			add_unit(C, &cap, &sc, C->o.files[i], 0, NULL, sets, C->o.n_sets);
			continue;
		}
		for (size_t v = 0; v < sc.n_variants; v++) {
			const struct scn_variant *var = &sc.variants[v];
			struct scenario vs;
			if (scn_load_variant(&vs, &sc, v, C->o.sets, C->o.n_sets, e)) {
				scn_free(&sc);
				return -1;
			}
			size_t n = C->o.n_sets + var->n_sets;
			const char **sets = xcalloc(n + 1, sizeof *sets);
			memcpy(sets, C->o.sets, C->o.n_sets * sizeof *sets);
			for (size_t j = 0; j < var->n_sets; j++)
				sets[C->o.n_sets + j] = xstrdup(var->sets[j]);
			add_unit(C, &cap, &vs, C->o.files[i], (int)v + 1, var->name, sets, n);
		}
		if (sc.sweep.enabled && expect_has_plan(&sc)) {
			/* Its plan.* expectations: a unit of its own, which takes sc. */
			const char **sets = xcalloc(C->o.n_sets + 1, sizeof *sets);
			memcpy(sets, C->o.sets, C->o.n_sets * sizeof *sets);
			add_unit(C, &cap, &sc, C->o.files[i], 0, "plan", sets, C->o.n_sets);
			C->units[C->n_units - 1].is_plan = true;
		} else
			scn_free(&sc);
	}
	for (size_t i = 0; i < C->n_units; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(C->units[i].name, C->units[j].name))
				return herr_set(e, "%s and %s are both named '%s': a baseline tells scenarios by name",
						C->units[j].file, C->units[i].file, C->units[i].name);
	return 0;
}

static void free_units(struct check_ctx *C)
{
	for (size_t i = 0; i < C->n_units; i++) {
		struct unit *u = &C->units[i];
		for (size_t j = C->o.n_sets; j < u->n_sets; j++)
			free((char *)(uintptr_t)u->sets[j]);
		free((void *)(uintptr_t)u->sets);
		free(u->checks);
		free(u->figs);
		scn_free(&u->sc);
	}
	free(C->units);
}

/* The database: --db, or a new one in a temporary folder. */
static int open_db(struct check_ctx *C, struct herr *e)
{
	if (C->o.db) {
		C->db = xstrdup(C->o.db);
	} else {
		const char *tmp = getenv("TMPDIR");
		size_t n = strlen(tmp && *tmp ? tmp : "/tmp") + 32;
		C->tmpdir = xmalloc(n);
		snprintf(C->tmpdir, n, "%s/headroom-check-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(C->tmpdir)) {
			herr_set(e, "%s: cannot make a temporary folder for the runs: %s (or give --db PATH)", C->tmpdir,
				 strerror(errno));
			free(C->tmpdir);
			C->tmpdir = NULL;
			return -1;
		}
		n = strlen(C->tmpdir) + 16;
		C->db = xmalloc(n);
		snprintf(C->db, n, "%s/check.db", C->tmpdir);
	}
	C->st = store_open(C->db, &C->created, e);
	return C->st ? 0 : -1;
}

/* Closes the database: a temporary one is removed, and so is a --db file
 * this check created and did not fill (a failed check leaves no empty file). */
static void close_db(struct check_ctx *C)
{
	bool drop = C->st && !C->tmpdir && C->created && !store_has_runs(C->st);
	store_close(C->st);
	if (drop)
		store_remove_files(C->db);
	if (C->tmpdir) {
		store_remove_files(C->db);
		rmdir(C->tmpdir);
		free(C->tmpdir);
	}
	free(C->db);
}

/* Runs every unit, prints its checks, and writes the reports. */
static int check_all(struct check_ctx *C)
{
	struct herr e;
	int rc = 0;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (size_t i = 0; i < C->n_units && !rc; i++) {
		rc = run_unit(C, &C->units[i]);
		if (!rc)
			print_unit(C, &C->units[i]);
	}
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (rc)
		return rc;
	size_t pass = 0, fail = 0, plans = 0, runs;
	int64_t first = 0, last = 0;
	for (size_t i = 0; i < C->n_units; i++) {
		count(&C->units[i], &pass, &fail);
		plans += C->units[i].is_plan;
		if (!C->units[i].is_plan) {
			first = first ? first : C->units[i].run_id;
			last = C->units[i].run_id;
		}
	}
	runs = C->n_units - plans;
	printf("check: %zu scenario run%s", runs, runs == 1 ? "" : "s");
	if (plans)
		printf(" and %zu plan%s", plans, plans == 1 ? "" : "s");
	printf(", %zu checks: %zu passed, %zu failed\n", pass + fail, pass, fail);
	if (C->o.db && runs)
		printf("results: %s (runs %" PRId64 " to %" PRId64 ")\n", C->o.db, first, last);
	if ((C->o.junit && write_junit(C, C->o.junit, &e)) || (C->o.json && write_json(C, C->o.json, &e)) ||
	    (C->o.update && write_baseline(C, C->o.update, &e)))
		return cli_fail(&e);
	if (C->o.update)
		printf("baseline: %s (%zu scenario run%s)\n", C->o.update, runs, runs == 1 ? "" : "s");
	return fail ? 1 : 0;
}

int cmd_check(const struct cmd *cmd, int argc, char **argv)
{
	struct check_ctx C;
	memset(&C, 0, sizeof C);
	struct herr e;
	int rc = parse_opts(cmd, argc, argv, &C.o);
	if (rc) {
		free(C.o.sets);
		free(C.o.files);
		return rc < 0 ? 0 : rc;
	}
	if (load_units(&C, &e) || (C.o.baseline && load_baseline(&C, C.o.baseline, &e)))
		rc = cli_fail(&e);
	else if (open_db(&C, &e))
		rc = cli_fail(&e);
	else
		rc = check_all(&C);
	if (C.st || C.tmpdir)
		close_db(&C);
	else
		free(C.db);
	yt_free(&C.base);
	free(C.base_text);
	free_units(&C);
	free(C.o.sets);
	free(C.o.files);
	return rc;
}
