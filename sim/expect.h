/*
 * expect.h: expectations over the results of a run, and the key figures a
 * baseline keeps (`headroom check`, sim/cmd_check.c).
 *
 * An expectation is one line of a scenario's `expect:` section,
 * `METRIC OP VALUE`, e.g. `payment.p99 <= 200ms`, `order.error_rate <= 0.1%`,
 * `payment.pod_start.p99 <= 90s`, `cost.monthly <= 5000`. METRIC is
 * SERVICE.NAME for a service's figure (summaries and samples of the run) or
 * cost.NAME / nodes.NAME for the run's cluster; OP is <=, <, >=, >, == or !=;
 * VALUE is written in the metric's kind of unit (a duration for latencies,
 * a fraction or percentage for rates, ...), the way scenario values are.
 * Each is resolved once, when the scenario is loaded (unknown metrics,
 * services, units are errors then), and evaluated against a struct
 * exp_results that a sink fills while the run goes. Values are held in the
 * metric's unit (enum exp_unit): ms, fraction, s, minutes, a count, USD,
 * hours or 0/1.
 *
 * plan.* metrics are figures of a plan of the scenario's `sweep:` (which a
 * scenario with one must have), as `headroom plan` would make it:
 *   plan.recommended.services.SERVICE.buffer   the recommended variant's buffer
 *   plan.recommended.slo_probability           its P(SLO met)
 *   plan.recommended.monthly_cost              its USD a month (the plan's figure)
 *   plan.variants[AXIS=VALUE,...].slo_probability / .slo_lower / .monthly_cost
 * where [AXIS=VALUE,...] picks the one variant with those sweep values
 * (buffer=140%; values compare in the scenario's units, so 1.4 is 140%).
 * They are evaluated against a struct exp_plan (expect_eval_plan).
 *
 * Key figures are the few metrics a baseline records per run (each
 * service's p99 and error_rate, pod_start.p99 for services with an HPA,
 * cost.monthly when the scenario's nodes have prices). A figure regresses when it
 * rises past its baseline by more than the tolerance (relative), or by more
 * than a small absolute floor per unit when that is larger (so a baseline
 * of 0 is not a trap): 1 ms, 0.0001 (0.01 percentage points), 1 s, 1 USD.
 */
#ifndef HEADROOM_EXPECT_H
#define HEADROOM_EXPECT_H

#include "scn.h"
#include "sink.h"

struct cmd;

enum exp_unit {
	EXP_MS,       /* a latency: written as a duration (200ms), held in ms */
	EXP_FRACTION, /* a rate: 0.1% or 0.001, held as the fraction */
	EXP_SECONDS,  /* a pod start-up time: a duration (90s), held in s */
	EXP_MINUTES,  /* violation time: a duration, or a number of minutes */
	EXP_COUNT,    /* pods or nodes: a number */
	EXP_USD,      /* money: a number of US dollars */
	EXP_HOURS,    /* node-hours: a number, or a duration */
	EXP_BOOL      /* true or false (== and != only) */
};

enum exp_op { EXP_LE, EXP_LT, EXP_GE, EXP_GT, EXP_EQ, EXP_NE };

#define EXPECT_TEXT_MAX 256

/* One resolved expectation (plain data: no pointers, freed with its array). */
struct expect {
	char text[EXPECT_TEXT_MAX]; /* as written, spaces trimmed */
	int metric;        /* index in the metric table (expect_metric_name) */
	int service;       /* index into scenario.services; -1 for cost and nodes */
	enum exp_op op;
	double value;      /* the bound, in the metric's unit */
	int line, col;     /* where it is written (line 0: it came from a --set) */
	int variant;       /* plan.variants[...]: the variant it picks, from 1; else 0 */
	char path[EXPECT_TEXT_MAX]; /* plan metrics: the metric as written ("plan.variants[buffer=140%].slo_lower") */
};

/* Parses `text` as an expectation of scenario sc (its services and cluster
 * must be loaded). Returns 0 with *x filled (line and col left 0), or -1
 * with a message in why (no location) and *at the byte offset in text of
 * the part that is wrong. */
int expect_parse(const char *text, const struct scenario *sc, struct expect *x, char *why, size_t why_len,
		 size_t *at);

/* Whether a metric is a plan's figure (plan.*). */
bool expect_metric_is_plan(int metric);
/* Whether any of sc's expectations is over the plan. */
bool expect_has_plan(const struct scenario *sc);

/* The metric table: names ("p99", "pod_start.p99", "cost.monthly"), units,
 * and whether a metric belongs to a service. */
const char *expect_metric_name(int metric);
enum exp_unit expect_metric_unit(int metric);
bool expect_metric_per_service(int metric);
/* The metric as written in full: "payment.p99", "cost.monthly". */
void expect_metric_path(char *buf, size_t n, const struct scenario *sc, int metric, int service);
/* The operator as written: "<=". */
const char *expect_op_text(enum exp_op op);
/* A value of a unit for people: "212 ms", "0.12 %", "35.2 s", "1.5 min",
 * "12", "1234.56 USD", "3.2 h", "true"; "none" for NaN. */
void expect_fmt(char *buf, size_t n, enum exp_unit u, double v);

/* ---- Results of a run: what expectations and key figures read ---- */

struct exp_service {
	struct row_summary sum; /* the run's summary (sum.service points into the scenario) */
	bool has_sum;           /* the summary row arrived */
	int max_replicas;       /* most pods at a sample time (-1: no sample) */
	int min_ready;          /* fewest ready pods at a sample time (-1: no sample) */
	double worst_p99;       /* worst p99 of a sample interval, ms (NaN: none) */
	bool has_rollout;       /* its rollouts row arrived (a service with `rollout:`) */
	bool rolled_back, promoted; /* its outcome: aborted, promoted */
	double rollback_s;      /* rollouts.rollback_s (NaN: not rolled back) */
	double extra_pod_hours; /* rollouts.extra_pod_hours */
	double extra_node_hours; /* rollouts.extra_node_hours (NaN: no cluster) */
	double extra_cost_usd;  /* rollouts.extra_cost_usd (NaN: no cluster) */
	bool has_kafka;         /* a Kafka summary of one of its consumer groups arrived */
	int64_t kafka_max_lag;  /* the most lag of any of its groups */
	int64_t kafka_dlt;      /* messages its groups sent to DLTs */
	int64_t kafka_rebalances; /* its groups' rebalances */
	double kafka_p99;       /* the worst p99 of its groups' produce-to-commit times, ms (NaN: none) */
	int kafka_slo;          /* every one of its groups with an slo met it: 1, one did not: 0, none has one: -1 */
};

struct exp_results {
	const struct scenario *sc; /* borrowed */
	struct exp_service *svc;   /* one per service, owned */
	bool has_cost;             /* the cost row arrived (runs with a cluster) */
	struct row_cost cost;
	struct sink next;          /* rows are passed on to it; its functions may be NULL */
	int last;                  /* the service of the last row (rows come in service order) */
	bool has_sagas;            /* the sagas row arrived (runs with Kafka sagas) */
	struct row_sagas sagas;
};

/* Starts empty results of a run of sc; rows are also passed on to next (may
 * be NULL). Release with expect_results_release. */
void expect_results_init(struct exp_results *r, const struct scenario *sc, const struct sink *next);
void expect_results_release(struct exp_results *r);
/* A sink filling r (and passing each row on). Its pod_sample is NULL when
 * next has none (nothing here reads pod samples), so the model need not
 * compute them. */
struct sink expect_sink(struct exp_results *r);

/* What one metric came to in a run, in its unit; NaN when it has no value
 * (no request answered, no pod started, no cluster). */
double expect_actual(const struct exp_results *r, int metric, int service);

/* Why a metric has no value, for messages: "no pod started during the run". */
const char *expect_none_why(int metric);

/* Evaluates x against r: true when it holds. *actual gets the metric's
 * value (NaN: none, which never holds). */
bool expect_eval(const struct expect *x, const struct exp_results *r, double *actual);

/* ---- Results of a plan: what plan.* expectations read ---- */

struct exp_plan {
	int n_var;          /* variants, numbered from 1 */
	size_t n_services;
	int recommended;    /* from 1; 0: no variant meets the target */
	double *p_slo;      /* per variant: share of runs meeting every SLO (NaN: no run) */
	double *p_lower;    /* per variant: the Wilson 95 % lower bound */
	double *monthly;    /* per variant: USD a month, the plan's figure (NaN: none) */
	double *buffer;     /* [variant - 1][service]: the buffer, a fraction (NaN: none) */
};

/* Evaluates a plan.* expectation x against p, as expect_eval does. */
bool expect_eval_plan(const struct expect *x, const struct exp_plan *p, double *actual);
/* Why a plan metric x has no value, for messages. */
const char *expect_plan_none_why(const struct expect *x, const struct exp_plan *p);

/* ---- Key figures and baselines ---- */

struct exp_figure {
	int metric;
	int service;  /* -1 for run-wide figures */
	double value; /* in the metric's unit; NaN: none */
};

/* The key figures of a run, in a stable order (services in scenario order:
 * p99, error_rate, pod_start.p99 with an HPA; then cost.monthly when the
 * nodes have prices: a provisioner, or static nodes of catalog types). Returns a new array (caller frees) and its length in *n. */
struct exp_figure *expect_key_figures(const struct exp_results *r, size_t *n);

/* Whether actual is within tolerance `tol` (a fraction) of the baseline
 * base for a lower-is-better figure of unit u: actual <= base + max(tol x
 * |base|, floor(u)). NaN stands for none: none against none holds, none
 * against a value does not. *limit gets the largest value that holds (NaN
 * when base is none). */
bool expect_within(double base, double actual, double tol, enum exp_unit u, double *limit);

/* `headroom check` (sim/cmd_check.c). */
int cmd_check(const struct cmd *cmd, int argc, char **argv);

#endif
