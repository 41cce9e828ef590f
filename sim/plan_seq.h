/*
 * plan_seq.h: how many runs a plan needs, and plans that run no more than
 * they need (`headroom plan --adaptive`, `--search AXIS`).
 *
 * Enough runs. A variant meets the target when the lower bound of its
 * Wilson 95 % interval reaches it; with k = n that bound is n / (n + z^2),
 * so no variant of a plan of n replications can meet a target above it
 * however good it is. plan_runs_needed says the smallest n that can.
 *
 * Adaptive plans: Wald's sequential probability ratio test (SPRT, Wald
 * 1945; Wald and Wolfowitz 1948) per variant, of H0: p = p0 = target - delta
 * against H1: p = p1 = target + delta, p the variant's P(SLO met). After
 * each run (in replication order) the log likelihood ratio
 *   llr = met x log(p1/p0) + (runs - met) x log((1-p1)/(1-p0))
 * is compared with log((1-beta)/alpha) (stop: above the target) and
 * log(beta/(1-alpha)) (stop: below). The test is built for looking after
 * every run, so its error rates need no correction for the looks: Wald's
 * inequalities bound the chance of "above" when p <= p0 by alpha/(1-beta)
 * and of "below" when p >= p1 by beta/(1-alpha) (about 5.3 % each at
 * alpha = beta = 5 %). Between p0 and p1 (the indifference zone) either
 * answer may come. A plan has at most N replications: a variant still
 * undecided after N runs is judged as a grid plan judges it (the lower bound
 * of its Wilson interval over the N runs against the target), which can only
 * lower the chance of a wrong "above" (by a grid's 2.5 %, at most) and adds
 * to a wrong "below" the chance of reaching N undecided
 * (tests/test_plan_seq.c measures both).
 *
 * Determinism: a variant's verdict depends only on the outcomes of its
 * replications 1..k in that order. Runs finishing out of order are held
 * (plan_adapt) until the ones before them are in; once a variant is
 * decided, its later runs are dropped unstored and no more are started.
 * So the stored runs are the prefix up to the stopping point, whatever the
 * threads or ranks.
 *
 * Search: bisection over the sorted values of one numeric axis for the
 * smallest whose variant passes (each probe an adaptive variant), assuming
 * P(SLO met) grows with the value, once for each combination of the other
 * axes' values.
 */
#ifndef HEADROOM_PLAN_SEQ_H
#define HEADROOM_PLAN_SEQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "plan.h"

/* ---- Enough runs ---------------------------------------------------------- */

/* The smallest n for which n successes in n runs give a Wilson lower bound
 * (at normal quantile z) >= target (0 < target < 1): 73 for 95 % at
 * PLAN_Z95. */
int64_t plan_runs_needed(double target, double z);
/* When reps runs cannot show target (reps < plan_runs_needed at PLAN_Z95),
 * writes into buf (n bytes) the warning "20 replications cannot show 95%:
 * even 20/20 has a lower bound of 83.9%; at least 73 are needed" and returns
 * true; else returns false and leaves buf alone. */
bool plan_runs_warning(int64_t reps, double target, char *buf, size_t n);

/* ---- The sequential test --------------------------------------------------- */

#define PLAN_SEQ_ALPHA 0.05     /* the chance of "above" at p = target - delta (Wald's nominal) */
#define PLAN_SEQ_BETA 0.05      /* the chance of "below" at p = target + delta (Wald's nominal) */
#define PLAN_SEQ_MAX_DELTA 0.05 /* the half-width of the indifference zone, at the most */

struct plan_sprt {
	double target;       /* the plan's target, a probability in (0, 1) */
	double p0, p1;       /* target - delta, target + delta */
	double alpha, beta;  /* nominal error rates */
	double upper, lower; /* log((1-beta)/alpha), log(beta/(1-alpha)): the llr stopping bounds */
	double win, loss;    /* llr steps of a run that met its SLOs / did not */
	int64_t max_runs;    /* replications at the most (the plan's N) */
};

/* The indifference zone's half-width for a target: min(5 %, (1 - target)/2,
 * target/2), so that 0 < p0 < p1 < 1. */
double plan_sprt_delta(double target);
/* A test of target +- delta at these error rates, stopping at max_runs.
 * Asserts 0 < target - delta < target + delta < 1, 0 < alpha, beta < 0.5 and
 * max_runs >= 1. */
void plan_sprt_init(struct plan_sprt *t, double target, double delta, double alpha, double beta, int64_t max_runs);

enum plan_seq_verdict {
	PLAN_SEQ_OPEN,     /* not decided yet: run on */
	PLAN_SEQ_ABOVE,    /* the test stopped above the target: passes */
	PLAN_SEQ_BELOW,    /* the test stopped below it: fails */
	PLAN_SEQ_MAX_PASS, /* undecided after max_runs; its Wilson lower bound reaches the target */
	PLAN_SEQ_MAX_FAIL  /* undecided after max_runs; its Wilson lower bound does not */
};

/* One variant's test, zero-initialised to start. */
struct plan_seq {
	int64_t runs, met;             /* runs counted (replications 1..runs), of which every SLO was met */
	double llr;                    /* log likelihood ratio of H1 over H0 */
	enum plan_seq_verdict verdict; /* PLAN_SEQ_OPEN until decided */
};

/* Counts one more run (the next replication) and returns the verdict after
 * it. Asserts s is still open. */
enum plan_seq_verdict plan_seq_add(struct plan_seq *s, const struct plan_sprt *t, bool met);
/* Whether a verdict counts as meeting the target (ABOVE or MAX_PASS). */
bool plan_seq_passes(enum plan_seq_verdict v);
/* Why, for people ("SPRT: above 95% +- 2.5% after 61 runs"), into buf. */
void plan_seq_reason(const struct plan_seq *s, const struct plan_sprt *t, char *buf, size_t n);

/* Whether a finished run met every objective (and there was at least one),
 * as a plan counts it. */
bool plan_result_met(const struct plan_result *r);

/*
 * The recommendation rule of plan_recommend with the verdict given: a
 * variant meets the target when passes[i]; the cheapest that does is
 * recommended, the next the runner-up; a variant with no runs has none.
 * Fills lo, hi (Wilson 95 %, for the record) and verdict of v[0..n).
 */
int plan_seq_recommend(struct plan_choice *v, size_t n, const bool *passes, int *runner_up);

/* ---- Holding runs in replication order ------------------------------------ */

typedef struct plan_adapt plan_adapt;

/* A test per variant (1..n_var), each of at most t->max_runs runs. */
plan_adapt *plan_adapt_new(int n_var, const struct plan_sprt *t);
/* Frees a and every run it holds; NULL is a no-op. */
void plan_adapt_free(plan_adapt *a);
/* A run already stored (a plan resumed): its outcome counts when its turn
 * comes; nothing is committed for it. */
void plan_adapt_stored(plan_adapt *a, int variant, int replication, bool met);
/*
 * A finished run (takes r). Held until the runs before it are in; then each
 * run whose turn it is counts, and a run not stored yet goes to
 * commit(ctx, r), which takes it and returns false when it could not be
 * stored (the variant then stops counting). Runs of a decided variant, or
 * past max_runs, are freed unstored.
 */
void plan_adapt_offer(plan_adapt *a, struct plan_result *r, bool (*commit)(void *ctx, struct plan_result *r),
		      void *ctx);
/* Counts whatever stored runs are next in turn (after the plan_adapt_stored
 * calls of a resumed plan). */
void plan_adapt_settle(plan_adapt *a);
/* Whether replication `replication` of variant `variant` is stored or held. */
bool plan_adapt_has(const plan_adapt *a, int variant, int replication);
/* Variant v's test (1-based). */
const struct plan_seq *plan_adapt_seq(const plan_adapt *a, int variant);
/* Per variant (index variant - 1): non-zero once it is decided, so that no
 * more of its runs start (plan_runner.skip). Owned by a. */
atomic_int *plan_adapt_skip(plan_adapt *a);

/* ---- Search over a numeric axis -------------------------------------------- */

/* Bisection for the smallest i in [0, n) that passes, given that passing
 * is monotone in i (fails ... fails passes ... passes). */
struct plan_bisect {
	int lo, hi; /* the answer is in [lo, hi]; hi == n: none passes */
};
void plan_bisect_init(struct plan_bisect *b, int n);
/* The next index to probe, or -1 when the answer is known (b->hi). */
int plan_bisect_next(const struct plan_bisect *b);
/* What the probe at i said. */
void plan_bisect_told(struct plan_bisect *b, int i, bool passes);

/* The lines of a search over the sweep axis named `axis`: the variants
 * (1-based) grouped by the values of the other axes, each group ("line")
 * sorted by the axis's value. Fills order[0..n_variants) and
 * line_start[0..*n_lines] (line k is order[line_start[k] .. line_start[k+1]));
 * both have room for plan_n_variants(sc) + 1 entries. A value is numeric
 * when it reads as a fraction (130%, 1.3), a duration, a CPU or memory
 * quantity or a rate; in a group, the first key's value counts. Returns 0,
 * or -1 with why (n bytes) saying what is wrong: no such axis, or a value
 * that is not a number. */
int plan_search_lines(const struct scenario *sc, const char *axis, int *order, int *line_start, int *n_lines,
		      char *why, size_t n);

/*
 * Runs a search: for each line, a bisection for its smallest value whose
 * variant passes, each probe the runs of one variant not yet counted by a,
 * run through plan_run(r) (r->on_result must hand them to a, r->skip be
 * a's) until its test decides. Probes already decided (a resumed plan) run
 * nothing. Returns plan_run's status (0, 1 interrupted, -1 with e set).
 * found[k] is line k's answer (an index into the line; its length when no
 * value passes).
 */
int plan_search_run(const struct plan_runner *r, plan_adapt *a, const int *order, const int *line_start, int n_lines,
		    uint64_t seed, int *found, struct herr *e);
/* Prints what a search found, line by line (the values probed, their
 * verdicts and runs, the smallest that passes), and warns where P(SLO met)
 * is not monotone in the value: a larger value whose Wilson interval lies
 * wholly below a smaller one's. */
void plan_search_report(FILE *f, const struct scenario *sc, const char *axis, const plan_adapt *a, const int *order,
			const int *line_start, int n_lines, const int *found);

#endif
