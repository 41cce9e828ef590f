/*
 * cmd_plan.c: `headroom plan`, Monte Carlo replications of every variant of
 * a scenario, the P(SLO met) of each with its Wilson interval, and the
 * cheapest variant that meets a target.
 *
 * The steps: load the scenario and every variant (an error stops everything
 * before any run); print each service's baseline; find or make the plan in
 * the database and list the runs it already holds (a plan resumes); run the
 * others on the threads (and MPI ranks), committing each as it finishes;
 * then read all of the plan's runs back in (variant, replication) order,
 * compute the statistics and the recommendation from them, store them and
 * print them. Computing from the stored runs, in a fixed order, is what
 * makes the result the same whatever the threads, the ranks or the
 * interruptions were.
 */
#include <assert.h>
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
#include "month.h"
#include "plan.h"
#include "plan_rollout.h"
#include "plan_pair.h"
#include "plan_seq.h"
#include "store.h"
#include "units.h"

#define DEFAULT_REPLICATIONS 100
#define DEFAULT_TARGET 0.95
#define MAX_RUNS 10000000

static atomic_int interrupted; /* set by the signal handler, read by every worker */

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct plan_opts {
	const char *scenario, *db;
	const char **sets;
	size_t n_sets;
	int jobs;             /* 0: default */
	int64_t replications; /* 0: the scenario's, or DEFAULT_REPLICATIONS */
	double target;        /* 0: the scenario's, or DEFAULT_TARGET */
	bool has_seed;
	uint64_t seed;
	bool quiet;
	const char *sandbox;  /* --sandbox DIR, or NULL */
	bool adaptive;        /* --adaptive */
	const char *search;   /* --search AXIS, or NULL */
};

/* ---- Options ---------------------------------------------------------------- */

static int parse_int(const struct cmd *cmd, const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return cli_usage_error(cmd, "%s takes an integer from %lld to %lld, got '%s'", opt, (long long)lo,
				       (long long)hi, s);
	*out = v;
	return 0;
}

static int parse_opts(const struct cmd *cmd, int argc, char **argv, struct plan_opts *o)
{
	static const struct option longs[] = {
		{"db", required_argument, NULL, 'd'},	   {"jobs", required_argument, NULL, 'j'},
		{"replications", required_argument, NULL, 'n'}, {"target", required_argument, NULL, 't'},
		{"seed", required_argument, NULL, 's'},	   {"set", required_argument, NULL, 'S'},
		{"quiet", no_argument, NULL, 'q'},		   {"help", no_argument, NULL, 'h'},
		{"sandbox", required_argument, NULL, 'B'}, {"adaptive", no_argument, NULL, 'A'},
		{"search", required_argument, NULL, 'X'},  {NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof *o);
	o->sets = xcalloc((size_t)argc, sizeof *o->sets);
	optind = 0;
	opterr = 0;
	int c, rc = 0;
	int64_t v;
	char why[UNITS_WHY];
	while (!rc && (c = getopt_long(argc, argv, ":hqj:n:", longs, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(cmd->usage, stdout);
			rc = -1;
			break;
		case 'd':
			o->db = optarg;
			break;
		case 'j':
			if (!(rc = parse_int(cmd, "--jobs", optarg, 1, 4096, &v)))
				o->jobs = (int)v;
			break;
		case 'n':
			if (!(rc = parse_int(cmd, "--replications", optarg, 1, 100000, &v)))
				o->replications = v;
			break;
		case 't':
			if (units_fraction(optarg, &o->target, why) || !(o->target > 0 && o->target < 1))
				rc = cli_usage_error(cmd, "--target takes a probability above 0 and below 100%% (e.g. 95%%), got '%s'",
						     optarg);
			break;
		case 's': {
			char *end;
			errno = 0;
			unsigned long long u = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-')
				rc = cli_usage_error(cmd, "--seed takes an integer from 0 to 18446744073709551615, got '%s'",
						     optarg);
			o->seed = u;
			o->has_seed = true;
			break;
		}
		case 'S':
			o->sets[o->n_sets++] = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'B':
			o->sandbox = optarg;
			break;
		case 'A':
			o->adaptive = true;
			break;
		case 'X':
			o->search = optarg;
			break;
		case ':':
			rc = cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
			break;
		default:
			rc = cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
			break;
		}
	}
	while (!rc && optind < argc) {
		if (o->scenario)
			rc = cli_usage_error(cmd, "one scenario at a time; '%s' is extra", argv[optind]);
		o->scenario = argv[optind++];
	}
	if (!rc && !o->scenario)
		rc = cli_usage_error(cmd, "which scenario? (a YAML file, e.g. scenarios/payment-order-buffers.yaml)");
	return rc;
}

/* ---- The planner's state ------------------------------------------------------ */

struct planner {
	const struct plan_opts *o;
	const struct scenario *sc;  /* the base scenario */
	struct scenario *vars;      /* each variant, loaded (n_var) */
	struct plan_baseline **base;/* each variant's baselines */
	char **params;              /* each variant's overrides as a JSON object */
	int n_var, reps;
	double target;
	uint64_t seed;
	store *st;
	const char *db;
	int64_t plan_id;
	/* progress */
	size_t total, before, done_now;
	size_t remote;              /* of done_now, runs made by other MPI ranks */
	size_t by_others;           /* of done_now, runs another process of the plan stored first */
	store *chk;                 /* the workers' view of the runs stored (job_stored), or NULL */
	atomic_size_t skipped;      /* jobs not started: another process had stored them */
	double t0;
	bool tty, shown;
	int last_tenth;
	/* adaptive plans and searches (plan_seq.h); adapt NULL: a grid plan */
	plan_adapt *adapt;
	struct plan_sprt sprt;
	const char *search;         /* the axis searched, or NULL */
	struct month_day *month;    /* each variant's normal day (sim/month.h) */
	double *start_nodes;        /* and the nodes its runs start with */
	/* a failed commit stops the plan */
	bool write_failed;
	struct herr werr;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The overrides of a run (--set, then the variant's), as a JSON object. */
static char *params_json(const char *const *a, size_t n_a, const char *const *b, size_t n_b)
{
	size_t cap = 3;
	for (size_t i = 0; i < n_a + n_b; i++)
		cap += 2 * strlen(i < n_a ? a[i] : b[i - n_a]) + 8;
	char *js = xmalloc(cap), *p = js;
	*p++ = '{';
	for (size_t i = 0; i < n_a + n_b; i++) {
		const char *s = i < n_a ? a[i] : b[i - n_a], *eq = strchr(s, '=');
		if (i)
			*p++ = ',';
		*p++ = '"';
		for (const char *c = s; *c; c++) {
			if (c == eq) {
				memcpy(p, "\":\"", 3);
				p += 3;
				continue;
			}
			if (*c == '"' || *c == '\\')
				*p++ = '\\';
			*p++ = (unsigned char)*c < 0x20 ? ' ' : *c;
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return js;
}

static const char *variant_label(const struct planner *P, int v)
{
	return P->sc->n_variants ? P->sc->variants[v - 1].name : "the scenario";
}

static const char *label_of(const void *ctx, int v) { return variant_label(ctx, v); }

static void fmt_left(char *buf, size_t n, double s)
{
	if (!isfinite(s))
		snprintf(buf, n, "?");
	else if (s >= 3600)
		snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
	else if (s >= 60)
		snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
	else
		snprintf(buf, n, "%.0fs", s);
}

/* Runs done, rate and time left: a bar redrawn on a terminal, a line per
 * tenth otherwise. */
static void on_tick(void *ctx)
{
	struct planner *P = ctx;
	if (P->o->quiet || !P->total)
		return;
	size_t done = P->before + P->done_now + atomic_load(&P->skipped);
	double el = now_s() - P->t0, rate = (double)P->done_now / fmax(el, 1e-9);
	char left[32];
	fmt_left(left, sizeof left, P->done_now ? (double)(P->total - done) / rate : NAN);
	if (P->tty) {
		char bar[31];
		size_t fill = done * 30 / P->total;
		for (size_t i = 0; i < 30; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[30] = '\0';
		fprintf(stderr, "\r  [%s] %zu/%zu runs  %.1f runs/s  %s left  ", bar, done, P->total, rate, left);
		P->shown = true;
		return;
	}
	int tenth = (int)(done * 10 / P->total);
	if (tenth > P->last_tenth) {
		P->last_tenth = tenth;
		fprintf(stderr, "plan: %zu/%zu runs (%d%%), %.1f runs/s, %s left\n", done, P->total, 10 * tenth, rate, left);
	}
}

/* A finished run: into the database, as a run of the plan (takes r).
 * Returns whether it is stored. */
static bool commit_run(void *ctx, struct plan_result *r)
{
	struct planner *P = ctx;
	if (!P->write_failed) {
		const struct scenario *vs = &P->vars[r->job.variant - 1];
		struct run_info ri = {vs, r->job.seed, r->job.variant, r->job.replication, P->params[r->job.variant - 1]};
		struct herr e;
		int rc = store_run_begin(P->st, &ri, &e);
		if (!rc) {
			store_run_set_plan(P->st, P->plan_id, r->base_cost_per_hour);
			struct sink s = store_sink(P->st);
			for (size_t i = 0; i < r->n_services; i++) {
				if (!r->has_summary[i])
					continue;
				struct row_summary row = r->sums[i];
				row.service = vs->services[i].name;
				s.summary(s.ctx, &row);
			}
			if (r->has_cost)
				s.cost(s.ctx, &r->cost);
			if (r->has_rollout && r->rollout_service >= 0) {
				struct row_rollout row = r->rollout;
				row.service = vs->services[r->rollout_service].name;
				row.outcome = r->rollout_outcome;
				s.rollout(s.ctx, &row);
			}
			struct run_end end = {"ok", r->st.wall_s, r->st.events, r->st.requests, r->st.sim_s};
			rc = store_run_commit(P->st, &end, NULL, &e);
			if (rc == 1) { /* another process of this plan stored it first */
				rc = 0;
				P->by_others++;
			}
		}
		if (rc) {
			P->write_failed = true;
			P->werr = e;
			interrupted = 1; /* stop the workers */
		} else {
			P->done_now++;
			P->remote += r->rank != 0;
		}
	}
	plan_result_free(r);
	return !P->write_failed;
}

/* Whether another process of this plan stored job j already (then it is
 * counted as done and not started). */
static bool job_stored(void *ctx, const struct plan_job *j)
{
	struct planner *P = ctx;
	if (!store_plan_has_run(P->chk, P->plan_id, j->variant, j->replication))
		return false;
	atomic_fetch_add(&P->skipped, 1);
	return true;
}

/* A finished run: stored now, or (adaptive) once the runs before it are in. */
static void on_result(void *ctx, struct plan_result *r)
{
	struct planner *P = ctx;
	if (P->adapt)
		plan_adapt_offer(P->adapt, r, commit_run, P);
	else
		commit_run(P, r);
}

/* ---- Statistics of the stored runs ---------------------------------------------- */

struct dvec {
	double *v;
	size_t n, cap;
};

static void push(struct dvec *d, double x)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 64;
		d->v = xrealloc(d->v, d->cap * sizeof *d->v);
	}
	d->v[d->n++] = x;
}

struct vacc { /* one variant */
	int64_t runs, met, served, errors, pods;
	struct dvec pod_p99;  /* per run: the slowest service's pod start-up p99 */
	struct dvec nodes;    /* per run: max_nodes */
	double cost_sum;      /* runs' monthly_cost_usd */
	int64_t n_cost;
	double base_sum;      /* runs' base_cost_per_hour */
	int64_t n_base;
	struct month_event ev;/* sums over runs of what each spent above its start (sim/month.h) */
	int64_t n_ev;
};

/* The terms of an SLO, in the order of plan_failures.term's values. */
enum { TERM_LATENCY, TERM_ERRORS, TERM_VIOLATION, N_TERMS };
static const char *const term_names[N_TERMS] = {"latency", "errors", "violation"};

struct sacc { /* one service of one variant */
	bool has_slo;
	int64_t met, served, errors;
	int64_t judged[N_TERMS], missed[N_TERMS]; /* runs in which each term was judged, and missed */
	struct dvec p99, pod_p99;
};

struct agg {
	struct planner *P;
	struct vacc *v;
	struct sacc *s;     /* [variant - 1][service] */
	/* Per replication, for paired comparisons (common random numbers):
	 * met[(variant - 1) x reps + replication - 1]: 1 met, 0 missed, 2 not
	 * run; p99[((variant - 1) x services + service) x reps + replication - 1],
	 * NaN when none. */
	unsigned char *met;
	double *p99;
	int cur_v, cur_r;   /* the run being read, 0: none */
	int run_met;        /* -1: no objective yet */
	double run_pod, run_cost, run_base;
	struct month_event run_ev; /* usd NaN: unknown */
	int run_nodes;
	int64_t run_pods;
};

static void end_run(struct agg *A)
{
	if (!A->cur_v)
		return;
	struct vacc *v = &A->v[A->cur_v - 1];
	if (A->cur_r >= 1 && A->cur_r <= A->P->reps)
		A->met[(size_t)(A->cur_v - 1) * (size_t)A->P->reps + (size_t)(A->cur_r - 1)] = A->run_met != 0;
	v->runs++;
	v->met += A->run_met == 1;
	v->pods += A->run_pods;
	if (!isnan(A->run_pod))
		push(&v->pod_p99, A->run_pod);
	if (A->run_nodes >= 0)
		push(&v->nodes, A->run_nodes);
	if (!isnan(A->run_cost)) {
		v->cost_sum += A->run_cost;
		v->n_cost++;
	}
	if (!isnan(A->run_base)) {
		v->base_sum += A->run_base;
		v->n_base++;
	}
	if (!isnan(A->run_ev.usd) && !isnan(A->run_ev.spot_usd) && !isnan(A->run_ev.node_hours)) {
		v->ev.usd += A->run_ev.usd;
		v->ev.spot_usd += A->run_ev.spot_usd;
		v->ev.node_hours += A->run_ev.node_hours;
		v->n_ev++;
	}
	A->cur_v = 0;
}

static void on_row(void *ctx, const struct plan_run_row *row)
{
	struct agg *A = ctx;
	const struct scenario *sc = A->P->sc;
	if (A->P->adapt && row->replication > plan_adapt_seq(A->P->adapt, row->variant)->runs)
		return; /* past where the variant's test stopped (runs of an earlier grid plan) */
	if (row->variant != A->cur_v || row->replication != A->cur_r) {
		end_run(A);
		A->cur_v = row->variant;
		A->cur_r = row->replication;
		A->run_met = -1;
		A->run_pod = NAN;
		A->run_cost = row->monthly_cost_usd;
		A->run_base = row->base_cost_per_hour;
		A->run_nodes = row->max_nodes;
		A->run_ev = month_event_of(row->cost_usd, row->spot_cost_usd, row->node_hours, row->sim_s / 3600,
					   row->start_cost_per_hour, row->start_spot_cost_per_hour,
					   A->P->start_nodes ? A->P->start_nodes[row->variant - 1] : NAN);
		A->run_pods = 0;
	}
	int i = scn_service_index(sc, row->service);
	if (i < 0)
		return; /* cannot happen: every variant has the base's services */
	struct sacc *s = &A->s[(size_t)(row->variant - 1) * sc->n_services + (size_t)i];
	struct vacc *v = &A->v[row->variant - 1];
	if (row->slo_met >= 0) {
		s->has_slo = true;
		s->met += row->slo_met;
		A->run_met = A->run_met < 0 ? row->slo_met : HR_MIN(A->run_met, row->slo_met);
	}
	const int terms[N_TERMS] = {row->latency_met, row->errors_met, row->violation_met};
	for (int k = 0; k < N_TERMS; k++) {
		s->judged[k] += terms[k] >= 0;
		s->missed[k] += terms[k] == 0;
	}
	if (!isnan(row->p99_ms))
		push(&s->p99, row->p99_ms);
	if (row->replication >= 1 && row->replication <= A->P->reps)
		A->p99[((size_t)(row->variant - 1) * sc->n_services + (size_t)i) * (size_t)A->P->reps +
		       (size_t)(row->replication - 1)] = row->p99_ms;
	if (!isnan(row->pod_start_p99_s)) {
		push(&s->pod_p99, row->pod_start_p99_s);
		A->run_pod = isnan(A->run_pod) ? row->pod_start_p99_s : fmax(A->run_pod, row->pod_start_p99_s);
	}
	s->served += row->served;
	s->errors += row->errors;
	v->served += row->served;
	v->errors += row->errors;
	A->run_pods += row->pods_started;
}

static double rate_of(int64_t errors, int64_t served)
{
	return errors + served ? (double)errors / (double)(errors + served) : NAN;
}

/* What a plan concludes, row by row. */
struct results {
	struct plan_choice *ch;       /* per variant, for the rule */
	struct row_plan_variant *rv;  /* per variant */
	struct row_plan_service *rs;  /* [variant - 1][service] */
	char **whys;                  /* per variant: why it fails (owned), or NULL */
	struct row_plan_failure *rf;  /* per variant, service and declared term, in that order */
	char (*objs)[64];             /* rf[i].objective points into objs[i] */
	size_t n_f;
	int rec, ru;                  /* recommended and runner-up, 0-based; -1: none */
	bool by_cost;                 /* ranked by monthly cost, else by min_cores */
	struct month_cost *mc;        /* per variant, its month (sim/month.h) */
	struct row_plan_hour *rh;     /* per variant and hour of its normal day */
	char **rh_json;               /* rh[i].replicas (owned) */
};

/* ---- Printing ------------------------------------------------------------------ */

/* The latency objective's name, "p99" (99.9: "p999", as the scenario spells it). */
static void pct_name(char *buf, size_t n, double pct)
{
	snprintf(buf, n, "p%g", pct);
	char *o = buf;
	for (const char *c = buf; *c; c++)
		if (*c != '.')
			*o++ = *c;
	*o = '\0';
}

/* Term k for people, short ("p99", "errors", "violation"). */
static void term_short(char *buf, size_t n, const struct scn_slo *o, int k)
{
	if (k == TERM_LATENCY)
		pct_name(buf, n, o->percentile);
	else
		snprintf(buf, n, "%s", term_names[k]);
}

/* Whether sc's SLO o declares term k. */
static bool has_term(const struct scn_slo *o, int k)
{
	return k == TERM_LATENCY ? o->has_latency
	       : k == TERM_ERRORS ? o->has_errors
				 : o->eval == SLO_EVAL_WINDOWS && (o->has_latency || o->has_errors);
}

/* Term k as the scenario sets it: "p99 <= 300 ms", "error rate <= 0.1%",
 * "windows in violation <= 5 min". */
static void term_objective(char *buf, size_t n, const struct scn_slo *o, int k)
{
	char p[24];
	if (k == TERM_LATENCY) {
		pct_name(p, sizeof p, o->percentile);
		snprintf(buf, n, "%s <= %g ms", p, sim_to_s(o->threshold) * 1e3);
	} else if (k == TERM_ERRORS) {
		snprintf(buf, n, "error rate <= %g%%", 100 * o->error_budget);
	} else {
		snprintf(buf, n, "windows in violation <= %g min", sim_to_s(o->allowed_violation) / 60);
	}
}

static void fmt_pct(char *buf, size_t n, double f)
{
	if (isnan(f))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.1f%%", 100 * f);
}

/* x with `dec` decimals and a unit, or "-" for NaN. */
static void fmt_num(char *buf, size_t n, int dec, const char *unit, double x)
{
	if (isnan(x))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.*f%s", dec, x, unit);
}

static void print_baselines(const struct planner *P)
{
	const struct scenario *sc = P->sc;
	struct plan_baseline *b = P->base[0];
	bool any = false;
	for (size_t i = 0; i < sc->n_services; i++)
		any |= b[i].has_hpa;
	if (!any)
		return;
	printf("baseline: the replicas each HPA settles on for normal traffic (the rate before the first spike,\n"
	       "          plus calls), at its target: rps x mean CPU per request / (cpu request x target utilisation)\n");
	for (size_t i = 0; i < sc->n_services; i++) {
		if (!b[i].has_hpa)
			continue;
		const struct scn_service *s = &sc->services[i];
		printf("  %-16s %s -> %d pods (maxReplicas %d", s->name, b[i].formula, b[i].replicas,
		       (int)s->hpa.max_replicas);
		if (s->buffer > 0)
			printf("; buffer %g%%: minReplicas %d", 100 * s->buffer, (int)s->hpa.min_replicas);
		printf(")\n");
	}
}

/* Per variant, how often each service missed each term of its SLO. */
static void print_failures(const struct planner *P, const struct row_plan_variant *rv,
			   const struct row_plan_failure *rf, size_t n_f, size_t w)
{
	if (!n_f)
		return;
	printf("\nSLO terms missed, share of runs (each term judged alone: results/SCHEMA.md, plan_failures)\n");
	size_t f = 0;
	for (int v = 1; v <= P->n_var; v++) {
		printf("%3d  %-*.*s ", v, (int)w, (int)w, rv[v - 1].label);
		const char *last = NULL;
		for (; f < n_f && rf[f].variant == v; f++) {
			const struct row_plan_failure *r = &rf[f];
			int i = scn_service_index(P->sc, r->service), k = 0;
			while (k < N_TERMS && strcmp(term_names[k], r->term))
				k++;
			char t[24], sh[16];
			term_short(t, sizeof t, &P->vars[v - 1].services[i].slo, k);
			fmt_num(sh, sizeof sh, 0, "%", 100 * r->share);
			if (!last || strcmp(last, r->service))
				printf("%s%s: %s %s", last ? "; " : " ", r->service, t, sh);
			else
				printf(", %s %s", t, sh);
			last = r->service;
		}
		printf("\n");
	}
}

/* The month's cost item by item, and each service's share of the instances. */
static void print_month(const struct planner *P, const struct row_plan_variant *rv, const struct row_plan_service *rs,
			size_t w)
{
	const struct scenario *sc = P->sc;
	const struct scn_cost *c = &sc->cost;
	printf("\ncost a month, USD: %.2f normal days (%s) and %g event days; instances as the provisioner packs\n"
	       "each hour's steady-state replicas; %g%% off on-demand instances; control plane %g USD per cluster-hour x "
	       "%d;\n%g GiB root volume per node at %g USD per GB-month\n",
	       MONTH_DAYS, c->has_day ? "cost.normal_day" : "flat: no cost.normal_day", c->event_days, 100 * c->discount,
	       c->control_plane, c->clusters, c->root_volume_gib, c->volume_price);
	printf("%3s  %-*s %12s %10s %10s %10s %10s %10s", "#", (int)w, "variant", "normal days", "events", "discount",
	       "control", "volumes", "total");
	for (size_t i = 0; i < sc->n_services; i++)
		printf(" %12.12s", sc->services[i].name);
	printf("\n");
	for (int v = 0; v < P->n_var; v++) {
		const struct row_plan_variant *r = &rv[v];
		char ev[16];
		fmt_num(ev, sizeof ev, 0, "", c->event_days > 0 && !r->runs ? NAN : r->month_events_usd);
		printf("%3d  %-*.*s %12.0f %10s %10.0f %10.0f %10.0f %10.0f", v + 1, (int)w, (int)w, r->label,
		       r->month_normal_usd, ev, r->month_discount_usd + 0.0, r->month_control_plane_usd, r->month_volumes_usd,
		       r->month_usd);
		for (size_t i = 0; i < sc->n_services; i++)
			printf(" %12.0f", rs[(size_t)v * sc->n_services + i].monthly_share_usd);
		printf("\n");
	}
	printf("events: what a run spent above its starting cluster, mean over runs, x event days; a service's "
	       "column:\nits pods' CPU requests' share of the normal days' instances (the rest is DaemonSets and "
	       "idle)\n");
}

static void print_tables(const struct planner *P, const struct row_plan_variant *rv,
			 const struct row_plan_service *rs, const struct row_plan_failure *rf, size_t n_f, bool by_cost)
{
	const struct scenario *sc = P->sc;
	size_t w = 20;
	for (int v = 1; v <= P->n_var; v++)
		w = HR_MAX(w, strlen(variant_label(P, v)));
	w = HR_MIN(w, 48);
	printf("\n%3s  %-*s %17s %17s %7s %14s %6s %10s  %s\n", "#", (int)w, "variant", "P(SLO met)", "95% interval",
	       "errors", "pod start p99", "nodes", by_cost ? "USD/month" : "min cores", "verdict");
	for (int v = 0; v < P->n_var; v++) {
		const struct row_plan_variant *r = &rv[v];
		char p[48], ci[48], err[16], pod[24], nodes[16], cost[24];
		if (r->runs)
			snprintf(p, sizeof p, "%.1f%% (%" PRId64 "/%" PRId64 ")", 100 * r->p_slo, r->slo_met_runs, r->runs);
		else
			snprintf(p, sizeof p, "-");
		if (r->runs)
			snprintf(ci, sizeof ci, "[%.1f%%, %.1f%%]", 100 * r->p_slo_low, 100 * r->p_slo_high);
		else
			snprintf(ci, sizeof ci, "-");
		fmt_pct(err, sizeof err, r->error_rate);
		fmt_num(pod, sizeof pod, 1, " s", r->pod_start_p99_s);
		fmt_num(nodes, sizeof nodes, 0, "", r->max_nodes < 0 ? NAN : (double)r->max_nodes);
		fmt_num(cost, sizeof cost, by_cost ? 0 : 2, "", by_cost ? r->month_usd : r->min_cores);
		printf("%3d  %-*.*s %17s %17s %7s %14s %6s %10s  %s\n", v + 1, (int)w, (int)w, r->label, p, ci, err, pod,
		       nodes, cost, r->verdict);
	}
	printf("\np99 latency across replications, ms: median / 95th percentile [minReplicas]\n%3s  %-*s", "#", (int)w,
	       "variant");
	for (size_t i = 0; i < sc->n_services; i++)
		printf(" %22.22s", sc->services[i].name);
	printf("\n");
	for (int v = 0; v < P->n_var; v++) {
		printf("%3d  %-*.*s", v + 1, (int)w, (int)w, rv[v].label);
		for (size_t i = 0; i < sc->n_services; i++) {
			const struct row_plan_service *s = &rs[(size_t)v * sc->n_services + i];
			char a[16], b[16], m[16] = "", cell[48];
			fmt_num(a, sizeof a, 0, "", s->p99_p50_ms);
			fmt_num(b, sizeof b, 0, "", s->p99_p95_ms);
			if (s->min_replicas >= 0)
				snprintf(m, sizeof m, " [%d]", s->min_replicas);
			snprintf(cell, sizeof cell, "%s / %s%s", a, b, m);
			printf(" %22s", cell);
		}
		printf("\n");
	}
	print_failures(P, rv, rf, n_f, w);
	if (by_cost)
		print_month(P, rv, rs, w);
	printf("\nP(SLO met): the share of runs in which every service met its SLO; 95%% interval: Wilson score.\n"
	       "pod start p99, nodes: medians over runs (the slowest service; the most nodes at once); %s\n",
	       by_cost ? "USD/month: the month's\ncost, item by item above (docs/cost.md)."
		       : "no cluster, so variants are ranked by the cores their minReplicas hold.");
}

/* The (service, term) missed in the largest share of the runs of all
 * variants: the index in R->rf of its first row, or -1 when nothing was. */
static long most_missed(const struct results *R, double *share)
{
	long best = -1;
	*share = 0;
	for (size_t i = 0; i < R->n_f; i++) {
		int64_t judged = 0, missed = 0;
		for (size_t j = 0; j < R->n_f; j++)
			if (!strcmp(R->rf[j].service, R->rf[i].service) && !strcmp(R->rf[j].term, R->rf[i].term)) {
				judged += R->rf[j].runs;
				missed += R->rf[j].runs_missed;
			}
		double sh = judged ? (double)missed / (double)judged : 0;
		if (missed && sh > *share) {
			best = (long)i;
			*share = sh;
		}
	}
	return best;
}

/* The recommendation for people (caller frees). */
static char *recommendation(const struct planner *P, const struct results *R)
{
	const struct plan_choice *ch = R->ch;
	const struct row_plan_variant *rv = R->rv;
	int rec = R->rec, ru = R->ru;
	size_t cap = 768 + (size_t)P->n_var * 160, n = 0;
	char *t = xmalloc(cap);
	const char *unit = R->by_cost ? "USD/month" : "cores held";
	t[0] = '\0';
#define ADD(...) (n += (size_t)snprintf(t + n, n < cap ? cap - n : 0, __VA_ARGS__))
	if (rec < 0) {
		int best = -1;
		for (int v = 0; v < P->n_var; v++)
			if (ch[v].runs && (best < 0 || ch[v].lo > ch[best].lo))
				best = v;
		ADD("No variant meets the target of %g%%", 100 * P->target);
		double share;
		long worst = most_missed(R, &share);
		if (best >= 0 && ch[best].met == 0) {
			ADD(": no variant met the SLO in any run");
			if (worst >= 0)
				ADD("; what failed most: %s's %s (%s), missed in %.0f%% of all runs", R->rf[worst].service,
				    R->rf[worst].term, R->rf[worst].objective, 100 * share);
			ADD(".");
		} else if (best >= 0)
			ADD(": the best, variant %d (%s), has P(SLO met) %.1f%% [%.1f%%, %.1f%%]%s.", best + 1, rv[best].label,
			    100 * rv[best].p_slo, 100 * ch[best].lo, 100 * ch[best].hi,
			    rv[best].p_slo >= P->target ? "; more replications would narrow its interval" : "");
		else
			ADD(".");
		return t;
	}
	if (P->adapt)
		ADD("Variant %d (%s): P(SLO met) %.1f%% [%.1f%%, %.1f%%], %s, at %.2f %s.", rec + 1, rv[rec].label,
		    100 * rv[rec].p_slo, 100 * ch[rec].lo, 100 * ch[rec].hi, rv[rec].reason, ch[rec].cost, unit);
	else
		ADD("Variant %d (%s): P(SLO met) %.1f%% [%.1f%%, %.1f%%], lower bound >= %g%%, at %.2f %s.", rec + 1,
		    rv[rec].label, 100 * rv[rec].p_slo, 100 * ch[rec].lo, 100 * ch[rec].hi, 100 * P->target, ch[rec].cost,
		    unit);
	if (ru >= 0)
		ADD(" Runner-up: variant %d (%s), lower bound %.1f%%, at %.2f %s (%+.1f%%).", ru + 1, rv[ru].label,
		    100 * ch[ru].lo, ch[ru].cost, unit, 100 * (ch[ru].cost / ch[rec].cost - 1));
	bool first = true;
	for (int v = 0; v < P->n_var; v++) {
		/* The cheaper ones: ranked before the recommendation, so they all fail. */
		bool cheaper = ch[v].cost < ch[rec].cost || (ch[v].cost == ch[rec].cost && v < rec);
		if (v == rec || !cheaper || ch[v].verdict != PLAN_FAILS)
			continue;
		if (P->adapt)
			ADD("%s variant %d (%s): %s (P %.1f%%)", first ? " Cheaper variants fail:" : ";", v + 1, rv[v].label,
			    rv[v].reason, 100 * rv[v].p_slo);
		else
			ADD("%s variant %d (%s) has a lower bound of %.1f%% (P %.1f%%)", first ? " Cheaper variants fail:" : ";",
			    v + 1, rv[v].label, 100 * ch[v].lo, 100 * rv[v].p_slo);
		first = false;
	}
	if (!first)
		ADD(".");
#undef ADD
	return t;
}

/* ---- The plan ------------------------------------------------------------------ */


/* Runs, their summaries and costs, read back in (variant, replication) order. */
static int read_runs(struct planner *P, struct agg *A)
{
	size_t nv = (size_t)P->n_var, ns = P->sc->n_services;
	size_t reps = (size_t)P->reps;
	*A = (struct agg){P, xcalloc(nv, sizeof *A->v), xcalloc(nv * ns, sizeof *A->s), xmalloc(nv * reps + 1),
			  xmalloc((nv * ns * reps + 1) * sizeof *A->p99), 0, 0, -1, NAN, NAN, NAN, {NAN, NAN, NAN}, -1, 0};
	memset(A->met, 2, nv * reps + 1);
	for (size_t i = 0; i < nv * ns * reps; i++)
		A->p99[i] = NAN;
	struct herr e;
	if (store_plan_rows(P->st, P->plan_id, P->n_var, P->reps, on_row, A, &e))
		return cli_fail(&e);
	end_run(A);
	return 0;
}

static void free_agg(struct agg *A, size_t nv, size_t ns)
{
	for (size_t v = 0; v < nv; v++) {
		free(A->v[v].pod_p99.v);
		free(A->v[v].nodes.v);
	}
	for (size_t i = 0; i < nv * ns; i++) {
		free(A->s[i].p99.v);
		free(A->s[i].pod_p99.v);
	}
	free(A->s);
	free(A->v);
	free(A->met);
	free(A->p99);
}

/*
 * Neighbouring variants compared run by run: replication R of both saw the
 * same traffic (common random numbers), so the difference in P(SLO met) is
 * read off the replications both ran (Newcombe's paired interval), and the
 * difference in p99 as the median of the per-replication differences with
 * its order-statistic interval (sim/plan_pair.h).
 */
static void print_pairs(const struct planner *P, const struct agg *A)
{
	size_t nv = (size_t)P->n_var, ns = P->sc->n_services, reps = (size_t)P->reps;
	if (nv < 2)
		return;
	unsigned char *a = xmalloc(reps), *b = xmalloc(reps);
	double *d = xmalloc(reps * sizeof *d);
	bool header = false;
	for (size_t v = 0; v + 1 < nv; v++) {
		size_t n = 0;
		for (size_t r = 0; r < reps; r++) {
			unsigned char x = A->met[v * reps + r], y = A->met[(v + 1) * reps + r];
			if (x != 2 && y != 2) {
				a[n] = x;
				b[n++] = y;
			}
		}
		if (!n)
			continue;
		if (!header) {
			printf("\npaired differences, variant against the one before it, over the replications both ran "
			       "(common random numbers):\n  P(SLO met) difference with its 95%% interval (Newcombe); p99 "
			       "difference per service, median over replications [95%% interval], ms\n");
			header = true;
		}
		struct plan_pair p = plan_pair_met(a, b, n, PLAN_Z95);
		printf("  %zu vs %zu  %+6.1f%% [%+.1f%%, %+.1f%%] (%zu runs)", v + 2, v + 1, 100 * p.diff, 100 * p.lo,
		       100 * p.hi, n);
		for (size_t i = 0; i < ns; i++) {
			size_t m = 0;
			for (size_t r = 0; r < reps; r++) {
				double x = A->p99[(v * ns + i) * reps + r], y = A->p99[((v + 1) * ns + i) * reps + r];
				if (!isnan(x) && !isnan(y))
					d[m++] = y - x;
			}
			double med, lo, hi;
			plan_median_ci(d, m, PLAN_Z95, &med, &lo, &hi);
			if (m)
				printf("  %s %+.0f [%+.0f, %+.0f]", P->sc->services[i].name, med, lo, hi);
		}
		printf("\n");
	}
	free(a);
	free(b);
	free(d);
}

/* Variant v's row, once the rule has given its verdict. */
static void variant_row(const struct planner *P, struct agg *A, size_t v, struct results *R)
{
	static const char *const reasons[] = {NULL, "meets the target at a higher cost",
					      "the cheapest variant that meets the target",
					      "the next cheapest that meets the target", NULL};
	struct vacc *a = &A->v[v];
	const struct plan_choice *c = &R->ch[v];
	double nodes = plan_percentile(a->nodes.v, a->nodes.n, 50);
	if (c->verdict == PLAN_FAILS && !R->whys[v]) {
		R->whys[v] = xmalloc(96);
		snprintf(R->whys[v], 96, "lower bound %.1f%% < target %g%%", 100 * c->lo, 100 * P->target);
	}
	R->rv[v] = (struct row_plan_variant){
		.variant = (int)v + 1,
		.label = variant_label(P, (int)v + 1),
		.params = P->params[v],
		.runs = a->runs,
		.slo_met_runs = a->met,
		.p_slo = a->runs ? (double)a->met / (double)a->runs : NAN,
		.p_slo_low = a->runs ? c->lo : NAN,
		.p_slo_high = a->runs ? c->hi : NAN,
		.error_rate = rate_of(a->errors, a->served),
		.pods_started = a->runs ? (double)a->pods / (double)a->runs : NAN,
		.pod_start_p99_s = plan_percentile(a->pod_p99.v, a->pod_p99.n, 50),
		.max_nodes = isnan(nodes) ? -1 : (int)nodes,
		.monthly_cost_usd = a->n_base ? 730 * a->base_sum / (double)a->n_base : NAN,
		.run_monthly_cost_usd = a->n_cost ? a->cost_sum / (double)a->n_cost : NAN,
		.min_cores = plan_min_cores(&P->vars[v]),
		.verdict = plan_verdict_name(c->verdict),
		.reason = R->whys[v] ? R->whys[v] : reasons[c->verdict],
		.month_usd = P->month[v].cluster ? R->mc[v].total : NAN,
		.month_normal_usd = P->month[v].cluster ? R->mc[v].normal : NAN,
		.month_events_usd = P->month[v].cluster ? R->mc[v].events : NAN,
		.month_discount_usd = P->month[v].cluster ? R->mc[v].discount : NAN,
		.month_control_plane_usd = P->month[v].cluster ? R->mc[v].control_plane : NAN,
		.month_volumes_usd = P->month[v].cluster ? R->mc[v].volumes : NAN,
		.month_node_hours = P->month[v].cluster ? R->mc[v].node_hours : NAN,
	};
}

/* Variant v's rows of plan_services. */
static void service_rows(const struct planner *P, struct agg *A, size_t v, struct results *R)
{
	size_t ns = P->sc->n_services;
	for (size_t i = 0; i < ns; i++) {
		struct sacc *s = &A->s[v * ns + i];
		const struct scn_service *sv = &P->vars[v].services[i];
		R->rs[v * ns + i] = (struct row_plan_service){
			.variant = (int)v + 1,
			.service = P->sc->services[i].name,
			.baseline = P->base[v][i].has_hpa ? P->base[v][i].replicas : -1,
			.min_replicas = sv->hpa.enabled ? (int)sv->hpa.min_replicas : -1,
			.slo_met_runs = s->has_slo ? s->met : -1,
			.p99_p50_ms = plan_percentile(s->p99.v, s->p99.n, 50),
			.p99_p95_ms = plan_percentile(s->p99.v, s->p99.n, 95),
			.error_rate = rate_of(s->errors, s->served),
			.pod_start_p99_s = plan_percentile(s->pod_p99.v, s->pod_p99.n, 50),
			.monthly_share_usd = P->month[v].cluster ? MONTH_DAYS * P->month[v].share[i] : NAN,
		};
	}
}

/* An adaptive plan's rule: each variant's test says whether it passes. */
static int seq_judge(const struct planner *P, struct results *R)
{
	size_t nv = (size_t)P->n_var;
	bool *passes = xcalloc(nv, sizeof *passes);
	for (size_t v = 0; v < nv; v++) {
		const struct plan_seq *s = plan_adapt_seq(P->adapt, (int)v + 1);
		passes[v] = plan_seq_passes(s->verdict);
		if (s->runs) {
			R->whys[v] = xmalloc(128);
			plan_seq_reason(s, &P->sprt, R->whys[v], 128);
		}
	}
	int rec = plan_seq_recommend(R->ch, nv, passes, &R->ru);
	free(passes);
	return rec;
}

/* Variant v's rows of plan_failures: one per service and declared term. */
static void failure_rows(const struct planner *P, struct agg *A, size_t v, struct results *R)
{
	size_t ns = P->sc->n_services;
	for (size_t i = 0; i < ns; i++) {
		const struct sacc *s = &A->s[v * ns + i];
		const struct scn_slo *o = &P->vars[v].services[i].slo;
		for (int k = 0; k < N_TERMS; k++) {
			if (!has_term(o, k))
				continue;
			term_objective(R->objs[R->n_f], sizeof R->objs[R->n_f], o, k);
			R->rf[R->n_f] = (struct row_plan_failure){
				.variant = (int)v + 1,
				.service = P->sc->services[i].name,
				.term = term_names[k],
				.objective = R->objs[R->n_f],
				.runs = s->judged[k],
				.runs_missed = s->missed[k],
				.share = s->judged[k] ? (double)s->missed[k] / (double)s->judged[k] : NAN,
			};
			R->n_f++;
		}
	}
}

/* Variant v's rows of plan_hours: its modelled normal day. */
static void hour_rows(const struct planner *P, size_t v, struct results *R)
{
	const struct month_day *d = &P->month[v];
	size_t ns = P->sc->n_services;
	if (!d->cluster)
		return;
	for (int h = 0; h < SCN_HOURS; h++) {
		size_t k = v * SCN_HOURS + (size_t)h, cap = 4 + ns * 80, n = 0;
		char *js = R->rh_json[k] = xmalloc(cap);
		n += (size_t)snprintf(js + n, cap - n, "{");
		for (size_t i = 0; i < ns; i++)
			n += (size_t)snprintf(js + n, cap - n, "%s\"%s\":%d", i ? "," : "", P->sc->services[i].name,
					      d->replicas[(size_t)h * ns + i]);
		snprintf(js + n, cap - n, "}");
		R->rh[k] = (struct row_plan_hour){(int)v + 1, h, d->hour[h].factor, d->hour[h].nodes, d->hour[h].usd, js};
	}
}

/* The rule over the variants, then every row. */
static void judge(const struct planner *P, struct agg *A, struct results *R)
{
	size_t nv = (size_t)P->n_var, ns = P->sc->n_services;
	R->ch = xcalloc(nv, sizeof *R->ch);
	R->rv = xcalloc(nv, sizeof *R->rv);
	R->rs = xcalloc(nv * ns, sizeof *R->rs);
	R->whys = xcalloc(nv, sizeof *R->whys);
	R->rf = xcalloc(nv * ns * N_TERMS, sizeof *R->rf);
	R->objs = xcalloc(nv * ns * N_TERMS, sizeof *R->objs);
	R->n_f = 0;
	/* Rank by the month's cost when every variant has a cluster. */
	R->by_cost = true;
	R->mc = xcalloc(nv, sizeof *R->mc);
	R->rh = xcalloc(nv * SCN_HOURS, sizeof *R->rh);
	R->rh_json = xcalloc(nv * SCN_HOURS, sizeof *R->rh_json);
	for (size_t v = 0; v < nv; v++) {
		struct vacc *a = &A->v[v];
		struct month_event ev = {NAN, NAN, NAN};
		if (a->n_ev)
			ev = (struct month_event){a->ev.usd / (double)a->n_ev, a->ev.spot_usd / (double)a->n_ev,
						  a->ev.node_hours / (double)a->n_ev};
		month_cost(&P->vars[v].cost, &P->month[v], ev, &R->mc[v]);
		R->by_cost &= P->month[v].cluster;
		hour_rows(P, v, R);
	}
	for (size_t v = 0; v < nv; v++) {
		struct vacc *a = &A->v[v];
		double cost = R->by_cost ? R->mc[v].total : plan_min_cores(&P->vars[v]);
		R->ch[v] = (struct plan_choice){a->runs, a->met, cost, 0, 0, PLAN_NO_RUNS};
	}
	if (P->adapt)
		R->rec = seq_judge(P, R);
	else
		R->rec = plan_recommend(R->ch, nv, P->target, &R->ru);
	for (size_t v = 0; v < nv; v++) {
		variant_row(P, A, v, R);
		service_rows(P, A, v, R);
		failure_rows(P, A, v, R);
	}
}

static void free_results(struct results *R, size_t nv)
{
	for (size_t v = 0; v < nv; v++)
		free(R->whys[v]);
	free(R->whys);
	for (size_t i = 0; i < nv * SCN_HOURS; i++)
		free(R->rh_json[i]);
	free(R->rh_json);
	free(R->rh);
	free(R->mc);
	free(R->objs);
	free(R->rf);
	free(R->rs);
	free(R->rv);
	free(R->ch);
}

/* Each variant's normal day, once. */
static void model_months(struct planner *P)
{
	if (P->month)
		return;
	P->month = xcalloc((size_t)P->n_var, sizeof *P->month);
	P->start_nodes = xcalloc((size_t)P->n_var, sizeof *P->start_nodes);
	for (int v = 0; v < P->n_var; v++) {
		month_day(&P->vars[v], &P->month[v]);
		P->start_nodes[v] = P->month[v].start_nodes;
	}
}

/* Statistics from the stored runs, the recommendation, into the database and
 * onto the terminal. Returns 0 or an exit status. */
static int conclude(struct planner *P)
{
	size_t nv = (size_t)P->n_var, ns = P->sc->n_services;
	struct agg A;
	struct results R;
	model_months(P);
	int rc = read_runs(P, &A);
	if (rc) {
		free_agg(&A, nv, ns);
		return rc;
	}
	judge(P, &A, &R);
	char *text = recommendation(P, &R);
	struct row_plan rp = {P->n_var, P->reps, P->target, R.rec + 1, R.ru + 1, text};
	struct herr e;
	size_t n_h = 0;
	for (size_t v = 0; v < nv; v++)
		n_h += R.rh[v * SCN_HOURS].replicas ? SCN_HOURS : 0;
	/* Rows of variants without a cluster are left zeroed: pack the rest. */
	for (size_t i = 0, k = 0; i < nv * SCN_HOURS; i++)
		if (R.rh[i].replicas)
			R.rh[k++] = R.rh[i];
	if (store_plan_finish(P->st, P->plan_id, &rp, R.rv, nv, R.rs, nv * ns, R.rf, R.n_f, R.rh, n_h, &e))
		rc = cli_fail(&e);
	if (!rc && !P->o->quiet) {
		print_tables(P, R.rv, R.rs, R.rf, R.n_f, R.by_cost);
		print_pairs(P, &A);
		if (plan_rollout_print(stdout, P->st, P->plan_id, P->n_var, P->reps, label_of, P, &e))
			rc = cli_fail(&e);
		if (P->adapt)
			printf("\nrecommendation (target: P(SLO met) >= %g%%, adaptive: Wald's SPRT of %g%% against %g%%, "
			       "alpha = beta = %g%%): %s\n", 100 * P->target, 100 * P->sprt.p0, 100 * P->sprt.p1,
			       100 * P->sprt.alpha, text);
		else
			printf("\nrecommendation (target: P(SLO met) lower bound >= %g%%): %s\n", 100 * P->target, text);
		printf("results: %s (plan %" PRId64 "); one run in full: headroom run ", P->db, P->plan_id);
		cli_shell_word(stdout, P->o->scenario);
		for (size_t i = 0; i < P->o->n_sets; i++) {
			fputs(" --set ", stdout);
			cli_shell_word(stdout, P->o->sets[i]);
		}
		printf(" --variant K --replication R\n");
	}
	free(text);
	free_results(&R, nv);
	free_agg(&A, nv, ns);
	return rc;
}

/* The base scenario's baselines as a JSON object (caller frees). */
static char *baseline_json(const struct scenario *sc, const struct plan_baseline *b)
{
	size_t cap = 16 + sc->n_services * 420, n = 0;
	char *js = xmalloc(cap);
	n += (size_t)snprintf(js + n, cap - n, "{");
	bool first = true;
	for (size_t i = 0; i < sc->n_services; i++) {
		if (!b[i].has_hpa)
			continue;
		n += (size_t)snprintf(js + n, cap - n,
				      "%s\"%s\":{\"rps\":%.6g,\"cpu_s\":%.6g,\"exact\":%.6g,\"replicas\":%d,\"formula\":\"%s\"}",
				      first ? "" : ",", sc->services[i].name, b[i].rps, b[i].cpu_s,
				      isfinite(b[i].exact) ? b[i].exact : 1e308, b[i].replicas, b[i].formula);
		first = false;
	}
	snprintf(js + n, cap - n, "}");
	return js;
}

struct done_set {
	unsigned char *bits; /* [variant - 1][replication - 1] */
	int n_var, reps;
	size_t n;
};

static void mark_done(void *ctx, int variant, int replication)
{
	struct done_set *d = ctx;
	if (variant >= 1 && variant <= d->n_var && replication >= 1 && replication <= d->reps) {
		d->bits[(size_t)(variant - 1) * (size_t)d->reps + (size_t)(replication - 1)] = 1;
		d->n++;
	}
}

/* results/NAME.db, creating results/ when it is the default. */
static char *default_db(const struct scenario *sc)
{
	if (mkdir("results", 0777) && errno != EEXIST)
		return NULL;
	size_t n = strlen(sc->name) + 16;
	char *p = xmalloc(n);
	snprintf(p, n, "results/%s.db", sc->name);
	return p;
}

static int default_jobs(int mpi_ranks)
{
	if (mpi_ranks > 1)
		return 1; /* one rank per core is MPI's way */
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 4096 ? 4096 : (int)n;
}

/* Loads every variant and its baselines. Returns 0 or an exit status. */
static int load_variants(struct planner *P)
{
	const struct plan_opts *o = P->o;
	P->vars = xcalloc((size_t)P->n_var, sizeof *P->vars);
	P->base = xcalloc((size_t)P->n_var, sizeof *P->base);
	P->params = xcalloc((size_t)P->n_var, sizeof *P->params);
	for (int v = 1; v <= P->n_var; v++) {
		struct herr e;
		if (plan_load_variant(&P->vars[v - 1], P->sc, v, o->sets, o->n_sets, &e)) {
			P->n_var = v - 1;
			return cli_fail(&e);
		}
		P->base[v - 1] = xcalloc(P->sc->n_services, sizeof **P->base);
		plan_baselines(&P->vars[v - 1], P->base[v - 1]);
		const struct scn_variant *var = P->sc->n_variants ? &P->sc->variants[v - 1] : NULL;
		P->params[v - 1] = params_json(o->sets, o->n_sets, var ? (const char *const *)var->sets : NULL,
					       var ? var->n_sets : 0);
	}
	return 0;
}

static void free_planner(struct planner *P)
{
	for (int v = 0; v < P->n_var; v++) {
		scn_free(&P->vars[v]);
		free(P->base[v]);
		free(P->params[v]);
	}
	for (int v = 0; P->month && v < P->n_var; v++)
		month_day_free(&P->month[v]);
	free(P->month);
	free(P->start_nodes);
	free(P->vars);
	free(P->base);
	free(P->params);
	plan_adapt_free(P->adapt);
}

/* The runs not stored yet, by variant then replication. */
static struct plan_job *pending(const struct planner *P, const struct done_set *d, size_t *n)
{
	struct plan_job *jobs = xcalloc(P->total ? P->total : 1, sizeof *jobs);
	*n = 0;
	for (int v = 1; v <= P->n_var; v++)
		for (int r = 1; r <= P->reps && !(P->adapt && plan_adapt_seq(P->adapt, v)->verdict != PLAN_SEQ_OPEN); r++)
			if (!d->bits[(size_t)(v - 1) * (size_t)P->reps + (size_t)(r - 1)])
				jobs[(*n)++] = (struct plan_job){v, r, plan_seed(P->seed, v, r)};
	return jobs;
}

/* The outcomes of the runs stored already, for an adaptive plan's tests. */
struct stored_outcomes {
	plan_adapt *a;
	int v, r, met; /* the run being read (v 0: none); met -1: no objective yet */
};

static void flush_outcome(struct stored_outcomes *o)
{
	if (o->v)
		plan_adapt_stored(o->a, o->v, o->r, o->met == 1);
}

static void outcome_row(void *ctx, const struct plan_run_row *row)
{
	struct stored_outcomes *o = ctx;
	if (row->variant != o->v || row->replication != o->r) {
		flush_outcome(o);
		*o = (struct stored_outcomes){o->a, row->variant, row->replication, -1};
	}
	if (row->slo_met >= 0)
		o->met = o->met < 0 ? row->slo_met : HR_MIN(o->met, row->slo_met);
}

static int read_outcomes(struct planner *P)
{
	struct stored_outcomes o = {P->adapt, 0, 0, -1};
	struct herr e;
	if (store_plan_rows(P->st, P->plan_id, P->n_var, P->reps, outcome_row, &o, &e))
		return cli_fail(&e);
	flush_outcome(&o);
	plan_adapt_settle(P->adapt);
	return 0;
}

/* A search's lines, run; then what it found. Returns plan_run's status. */
static int search(struct planner *P, const struct plan_runner *r, struct herr *e)
{
	size_t n = (size_t)P->n_var + 1;
	int *order = xcalloc(n, sizeof *order), *starts = xcalloc(n, sizeof *starts), *found = xcalloc(n, sizeof *found);
	int n_lines = 0, rc;
	char why[400];
	rc = plan_search_lines(P->sc, P->search, order, starts, &n_lines, why, sizeof why);
	assert(!rc); /* checked before the plan started */
	rc = plan_search_run(r, P->adapt, order, starts, n_lines, P->seed, found, e);
	if (!rc && !P->o->quiet)
		plan_search_report(stdout, P->sc, P->search, P->adapt, order, starts, n_lines, found);
	free(order);
	free(starts);
	free(found);
	return rc;
}

/* Runs what is missing, then concludes. Returns 0 or an exit status. */
static int plan(struct planner *P, int jobs)
{
	struct herr e;
	const struct scenario *sc = P->sc;
	char *bj = baseline_json(sc, P->base[0]);
	struct plan_def pd = {sc, P->seed, P->n_var, P->reps, P->target, bj};
	int rc = store_plan_open(P->st, &pd, &P->plan_id, &e) ? cli_fail(&e) : 0;
	free(bj);
	struct done_set d = {xcalloc(P->total ? P->total : 1, 1), P->n_var, P->reps, 0};
	if (!rc && store_plan_runs(P->st, P->plan_id, mark_done, &d, &e))
		rc = cli_fail(&e);
	if (!rc && P->adapt)
		rc = read_outcomes(P);
	if (rc) {
		free(d.bits);
		return rc;
	}
	size_t n_jobs;
	struct plan_job *todo = pending(P, &d, &n_jobs);
	P->before = d.n;
	free(d.bits);
	if (!P->o->quiet && P->adapt)
		printf("plan %" PRId64 ": %s: %d variant%s x at most %d replications (seed %" PRIu64 ", target %g%%); "
		       "%zu stored already, at most %zu to run on %d thread%s\n",
		       P->plan_id, P->search ? "search" : "adaptive", P->n_var, P->n_var == 1 ? "" : "s", P->reps, P->seed,
		       100 * P->target, P->before, n_jobs, jobs, jobs == 1 ? "" : "s");
	else if (!P->o->quiet)
		printf("plan %" PRId64 ": %d variant%s x %d replications = %zu runs (seed %" PRIu64 ", target %g%%); %zu "
		       "stored already, %zu to run on %d thread%s\n",
		       P->plan_id, P->n_var, P->n_var == 1 ? "" : "s", P->reps, P->total, P->seed, 100 * P->target, P->before,
		       n_jobs, jobs, jobs == 1 ? "" : "s");
	fflush(stdout);
	struct plan_runner r = {sc, P->o->sets, P->o->n_sets, jobs, &interrupted, on_result, on_tick, P,
				P->adapt ? plan_adapt_skip(P->adapt) : NULL, NULL};
	/* Another process of the same plan may be running it too: a job it has
	 * stored since this one listed what was missing is not started (a
	 * second connection, used by the workers one at a time). An adaptive
	 * plan takes every outcome in order, so it runs all its own. */
	struct herr ce;
	if (!P->adapt && (P->chk = store_open(P->db, NULL, &ce)))
		r.stored = job_stored;
	P->t0 = now_s();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = P->search ? search(P, &r, &e) : plan_run(&r, todo, n_jobs, &e);
	store_close(P->chk);
	P->chk = NULL;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	free(todo);
	if (P->shown)
		fprintf(stderr, "\n");
	if (P->write_failed)
		return cli_fail(&P->werr);
	if (rc < 0)
		return cli_fail(&e);
	if (rc > 0) {
		fprintf(stderr, "headroom plan: interrupted; %zu of %zu runs are stored in %s: run the same command again "
				"to go on from there\n", P->before + P->done_now, P->total, P->db);
		return EXIT_INTERRUPTED;
	}
	if (!P->o->quiet && P->done_now)
		printf("%zu runs in %.1f s (%.1f runs/s)\n", P->done_now, now_s() - P->t0,
		       (double)P->done_now / fmax(now_s() - P->t0, 1e-9));
	if (!P->o->quiet && P->remote)
		printf("MPI: %zu of the %zu runs were made by the other ranks\n", P->remote, P->done_now);
	size_t others = P->by_others + atomic_load(&P->skipped);
	if (!P->o->quiet && others)
		printf("plan: %zu runs were made by another process of this plan working beside this one (each "
		       "stored once)\n",
		       others);
	return conclude(P);
}

/* Rank 0, or a process alone: the whole command. */
static int lead(const struct plan_opts *o, const struct scenario *sc, int ranks)
{
	struct planner P = {.o = o, .sc = sc, .last_tenth = 0};
	P.n_var = plan_n_variants(sc);
	P.reps = (int)(o->replications ? o->replications : sc->sweep.replications ? sc->sweep.replications
										  : DEFAULT_REPLICATIONS);
	P.target = o->target > 0 ? o->target : sc->sweep.target > 0 ? sc->sweep.target : DEFAULT_TARGET;
	P.seed = o->has_seed ? o->seed : sc->seed;
	P.total = (size_t)P.n_var * (size_t)P.reps;
	P.tty = isatty(2);
	bool slo = false;
	for (size_t i = 0; i < sc->n_services; i++)
		slo |= sc->services[i].slo.has_latency || sc->services[i].slo.has_errors;
	for (size_t i = 0; i < sc->kafka.n_consumers; i++) /* a consumer group's slo is its service's (docs/kafka.md) */
		slo |= sc->kafka.consumers[i].has_slo;
	if (!slo) {
		fprintf(stderr, "%s: no service has an slo: a plan judges each run by its SLOs (see scenarios/README.md)\n",
			sc->path);
		return EXIT_USAGE;
	}
	P.search = o->search ? o->search : sc->sweep.search;
	if (o->adaptive || P.search || sc->sweep.adaptive) {
		plan_sprt_init(&P.sprt, P.target, plan_sprt_delta(P.target), PLAN_SEQ_ALPHA, PLAN_SEQ_BETA, P.reps);
		P.adapt = plan_adapt_new(P.n_var, &P.sprt);
	}
	char warn[200];
	if (!P.adapt && plan_runs_warning(P.reps, P.target, warn, sizeof warn))
		fprintf(stderr, "headroom plan: warning: %s (--replications N, or the sweep's replications)\n", warn);
	if (P.total > MAX_RUNS) {
		fprintf(stderr, "headroom plan: %zu runs is too many (at most %d)\n", P.total, MAX_RUNS);
		return EXIT_USAGE;
	}
	int rc = load_variants(&P);
	char *db = NULL;
	if (!rc) {
		db = o->db ? NULL : default_db(sc);
		P.db = o->db ? o->db : db;
		if (!P.db) {
			fprintf(stderr, "headroom plan: cannot create the folder 'results': %s\n", strerror(errno));
			rc = EXIT_USAGE;
		}
	}
	struct herr e;
	bool created = false;
	if (!rc && !(P.st = store_open(P.db, &created, &e)))
		rc = cli_fail(&e);
	if (!rc) {
		if (!o->quiet)
			print_baselines(&P);
		int jobs = o->jobs ? o->jobs : default_jobs(ranks);
		if (ranks > 1 && !o->quiet)
			printf("MPI: %d ranks of %d thread%s each\n", ranks, jobs, jobs == 1 ? "" : "s");
		rc = plan(&P, jobs);
		/* A file this command made and could not fill is not left behind. */
		bool drop = rc && rc != EXIT_INTERRUPTED && created && !store_has_runs(P.st);
		store_close(P.st);
		if (drop)
			store_remove_files(P.db);
	}
	free(db);
	free_planner(&P);
	return rc;
}

/* --search AXIS names a numeric axis of the sweep; a search (its probes
 * one after another, each a plan_run) runs in one process. Returns 0 or an
 * exit status. */
static int check_search(const struct cmd *cmd, const struct plan_opts *o, const struct scenario *sc, int ranks)
{
	const char *axis = o->search ? o->search : sc->sweep.search;
	if (!axis)
		return 0;
	if (ranks > 1)
		return cli_usage_error(cmd, "a search runs its probes one after another in one process: use --jobs N, "
					    "or --adaptive over MPI ranks");
	if (!o->search)
		return 0; /* the scenario's own: the loader checked it */
	size_t n = sc->n_variants + 1;
	int *order = xcalloc(n, sizeof *order), *starts = xcalloc(n, sizeof *starts), n_lines = 0;
	char why[400];
	int rc = plan_search_lines(sc, o->search, order, starts, &n_lines, why, sizeof why);
	free(order);
	free(starts);
	return rc ? cli_usage_error(cmd, "--%s", why) : 0;
}

int cmd_plan(const struct cmd *cmd, int argc, char **argv)
{
	int rank = 0, ranks = 1;
	plan_mpi_start(&argc, &argv, &rank, &ranks);
	if (rank > 0 && !freopen("/dev/null", "w", stdout)) /* rank 0 speaks for all */
		perror("headroom plan: /dev/null");
	struct plan_opts o;
	int rc = parse_opts(cmd, argc, argv, &o);
	if (rc) { /* every rank read the same command line: all stop here */
		free(o.sets);
		plan_mpi_end();
		return rc < 0 ? 0 : rc;
	}
	struct scenario sc;
	struct herr e;
	if (scn_load_sandboxed(&sc, o.scenario, o.sets, o.n_sets, o.sandbox, &e)) {
		rc = cli_fail(&e);
	} else if ((rc = check_search(cmd, &o, &sc, ranks))) {
		scn_free(&sc);
	} else {
		if (rank == 0)
			cli_warnings(&sc);
		if (rank > 0)
			rc = plan_mpi_serve(&sc, o.sets, o.n_sets, o.jobs ? o.jobs : default_jobs(ranks));
		else
			rc = lead(&o, &sc, ranks);
		scn_free(&sc);
	}
	free(o.sets);
	/* A rank stopping early (rank 0 before the runs, another one on its
	 * scenario) must not leave the others waiting for it. */
	if (rc)
		plan_mpi_abort(rc);
	plan_mpi_end();
	return rc;
}
