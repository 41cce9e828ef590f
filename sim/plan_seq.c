/*
 * plan_seq.c: enough runs, the sequential test, the order-keeping hold of
 * finished runs and the bisection of `headroom plan --adaptive/--search`
 * (see plan_seq.h).
 */
#include "plan_seq.h"

#include "units.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Enough runs ------------------------------------------------------------ */

int64_t plan_runs_needed(double target, double z)
{
	assert(target > 0 && target < 1 && z > 0);
	/* n / (n + z^2) >= target  <=>  n >= target z^2 / (1 - target); start
	 * just below that and let the interval itself settle the rounding. */
	double guess = floor(target * z * z / (1 - target)) - 2;
	int64_t n = guess < 1 ? 1 : (int64_t)guess;
	for (;; n++) {
		double lo, hi;
		plan_wilson(n, n, z, &lo, &hi);
		if (lo >= target)
			return n;
	}
}

bool plan_runs_warning(int64_t reps, double target, char *buf, size_t n)
{
	int64_t need = plan_runs_needed(target, PLAN_Z95);
	if (reps >= need)
		return false;
	double lo, hi;
	plan_wilson(reps, reps, PLAN_Z95, &lo, &hi);
	snprintf(buf, n,
		 "%lld replication%s cannot show %g%%: even %lld/%lld has a lower bound of %.1f%%; at least %lld are "
		 "needed",
		 (long long)reps, reps == 1 ? "" : "s", 100 * target, (long long)reps, (long long)reps, 100 * lo,
		 (long long)need);
	return true;
}

/* ---- The sequential test ---------------------------------------------------- */

double plan_sprt_delta(double target)
{
	return fmin(PLAN_SEQ_MAX_DELTA, fmin((1 - target) / 2, target / 2));
}

void plan_sprt_init(struct plan_sprt *t, double target, double delta, double alpha, double beta, int64_t max_runs)
{
	double p0 = target - delta, p1 = target + delta;
	assert(p0 > 0 && p0 < p1 && p1 < 1);
	assert(alpha > 0 && alpha < 0.5 && beta > 0 && beta < 0.5 && max_runs >= 1);
	*t = (struct plan_sprt){
		.target = target,
		.p0 = p0,
		.p1 = p1,
		.alpha = alpha,
		.beta = beta,
		.upper = log((1 - beta) / alpha),
		.lower = log(beta / (1 - alpha)),
		.win = log(p1 / p0),
		.loss = log((1 - p1) / (1 - p0)),
		.max_runs = max_runs,
	};
}

enum plan_seq_verdict plan_seq_add(struct plan_seq *s, const struct plan_sprt *t, bool met)
{
	assert(s->verdict == PLAN_SEQ_OPEN && s->runs < t->max_runs);
	s->runs++;
	s->met += met;
	/* Recomputed from the counts, not summed, so rounding cannot drift. */
	s->llr = (double)s->met * t->win + (double)(s->runs - s->met) * t->loss;
	if (s->llr >= t->upper)
		s->verdict = PLAN_SEQ_ABOVE;
	else if (s->llr <= t->lower)
		s->verdict = PLAN_SEQ_BELOW;
	else if (s->runs == t->max_runs) {
		double lo, hi;
		plan_wilson(s->met, s->runs, PLAN_Z95, &lo, &hi);
		s->verdict = lo >= t->target ? PLAN_SEQ_MAX_PASS : PLAN_SEQ_MAX_FAIL;
	}
	return s->verdict;
}

bool plan_seq_passes(enum plan_seq_verdict v) { return v == PLAN_SEQ_ABOVE || v == PLAN_SEQ_MAX_PASS; }

void plan_seq_reason(const struct plan_seq *s, const struct plan_sprt *t, char *buf, size_t n)
{
	double d = 100 * (t->p1 - t->target), lo, hi;
	plan_wilson(s->met, s->runs, PLAN_Z95, &lo, &hi);
	switch (s->verdict) {
	case PLAN_SEQ_ABOVE:
	case PLAN_SEQ_BELOW:
		snprintf(buf, n, "SPRT: %s %g%% +- %g%% after %lld runs (%lld met)",
			 s->verdict == PLAN_SEQ_ABOVE ? "above" : "below", 100 * t->target, d, (long long)s->runs,
			 (long long)s->met);
		break;
	case PLAN_SEQ_MAX_PASS:
	case PLAN_SEQ_MAX_FAIL:
		snprintf(buf, n, "SPRT undecided after %lld runs; lower bound %.1f%% %s target %g%%", (long long)s->runs,
			 100 * lo, s->verdict == PLAN_SEQ_MAX_PASS ? ">=" : "<", 100 * t->target);
		break;
	default:
		snprintf(buf, n, "not run to a verdict (%lld runs)", (long long)s->runs);
	}
}

bool plan_result_met(const struct plan_result *r)
{
	int met = -1;
	for (size_t i = 0; i < r->n_services; i++)
		if (r->has_summary[i] && r->sums[i].slo_met >= 0)
			met = met < 0 ? r->sums[i].slo_met : HR_MIN(met, r->sums[i].slo_met);
	return met == 1;
}

/* Variant i ranks before j: cheaper first, an unknown (NaN) cost last, ties
 * by index (as plan_recommend ranks them). */
static bool ranks_before(const struct plan_choice *v, size_t i, size_t j)
{
	double x = v[i].cost, y = v[j].cost;
	if (isnan(x) != isnan(y))
		return !isnan(x);
	if (!isnan(x) && x != y)
		return x < y;
	return i < j;
}

int plan_seq_recommend(struct plan_choice *v, size_t n, const bool *passes, int *runner_up)
{
	size_t *order = xcalloc(n ? n : 1, sizeof *order);
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		for (; j > 0 && ranks_before(v, i, order[j - 1]); j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	int rec = -1, ru = -1;
	for (size_t k = 0; k < n; k++) {
		struct plan_choice *c = &v[order[k]];
		plan_wilson(c->met, c->runs, PLAN_Z95, &c->lo, &c->hi);
		if (!c->runs)
			c->verdict = PLAN_NO_RUNS;
		else if (!passes[order[k]])
			c->verdict = PLAN_FAILS;
		else if (rec < 0)
			rec = (int)order[k], c->verdict = PLAN_RECOMMENDED;
		else if (ru < 0)
			ru = (int)order[k], c->verdict = PLAN_RUNNER_UP;
		else
			c->verdict = PLAN_MEETS;
	}
	free(order);
	*runner_up = ru;
	return rec;
}

/* ---- Holding runs in replication order --------------------------------------- */

enum slot_kind { SLOT_EMPTY, SLOT_STORED, SLOT_HELD };

struct slot {
	unsigned char kind;     /* enum slot_kind */
	bool met;               /* SLOT_STORED: its outcome */
	struct plan_result *r;  /* SLOT_HELD: the run (owned) */
};

struct plan_adapt {
	struct plan_sprt t;
	int n_var;
	struct plan_seq *seq;  /* per variant */
	struct slot **slots;   /* per variant, max_runs each, allocated on first use */
	bool *broken;          /* per variant: a commit failed, nothing more counts */
	atomic_int *skip;      /* per variant: decided (or broken) */
};

plan_adapt *plan_adapt_new(int n_var, const struct plan_sprt *t)
{
	assert(n_var >= 1);
	plan_adapt *a = xcalloc(1, sizeof *a);
	a->t = *t;
	a->n_var = n_var;
	a->seq = xcalloc((size_t)n_var, sizeof *a->seq);
	a->slots = xcalloc((size_t)n_var, sizeof *a->slots);
	a->broken = xcalloc((size_t)n_var, sizeof *a->broken);
	a->skip = xcalloc((size_t)n_var, sizeof *a->skip);
	for (int v = 0; v < n_var; v++)
		atomic_init(&a->skip[v], 0);
	return a;
}

static void drop_held(plan_adapt *a, int v)
{
	if (!a->slots[v])
		return;
	for (int64_t k = 0; k < a->t.max_runs; k++)
		if (a->slots[v][k].kind == SLOT_HELD) {
			plan_result_free(a->slots[v][k].r);
			a->slots[v][k] = (struct slot){SLOT_EMPTY, false, NULL};
		}
}

void plan_adapt_free(plan_adapt *a)
{
	if (!a)
		return;
	for (int v = 0; v < a->n_var; v++) {
		drop_held(a, v);
		free(a->slots[v]);
	}
	free(a->slots);
	free(a->seq);
	free(a->broken);
	free(a->skip);
	free(a);
}

static struct slot *slot_of(plan_adapt *a, int variant, int replication)
{
	assert(variant >= 1 && variant <= a->n_var && replication >= 1);
	if (replication > a->t.max_runs)
		return NULL;
	struct slot **s = &a->slots[variant - 1];
	if (!*s)
		*s = xcalloc((size_t)a->t.max_runs, sizeof **s);
	return &(*s)[replication - 1];
}

/* Counts variant v's runs (0-based) whose turn has come, in order. */
static void advance(plan_adapt *a, int v, bool (*commit)(void *ctx, struct plan_result *r), void *ctx)
{
	struct plan_seq *s = &a->seq[v];
	while (s->verdict == PLAN_SEQ_OPEN && !a->broken[v] && s->runs < a->t.max_runs) {
		struct slot *sl = &a->slots[v][s->runs];
		if (sl->kind == SLOT_EMPTY)
			break;
		bool met = sl->met;
		if (sl->kind == SLOT_HELD) {
			struct plan_result *r = sl->r;
			met = plan_result_met(r);
			*sl = (struct slot){SLOT_STORED, met, NULL};
			assert(commit);
			if (!commit(ctx, r)) {
				a->broken[v] = true;
				break;
			}
		}
		plan_seq_add(s, &a->t, met);
	}
	if (s->verdict != PLAN_SEQ_OPEN || a->broken[v]) {
		atomic_store(&a->skip[v], 1);
		drop_held(a, v);
	}
}

void plan_adapt_stored(plan_adapt *a, int variant, int replication, bool met)
{
	struct slot *sl = slot_of(a, variant, replication);
	if (sl && sl->kind == SLOT_EMPTY)
		*sl = (struct slot){SLOT_STORED, met, NULL};
}

void plan_adapt_settle(plan_adapt *a)
{
	for (int v = 0; v < a->n_var; v++)
		if (a->slots[v])
			advance(a, v, NULL, NULL);
}

void plan_adapt_offer(plan_adapt *a, struct plan_result *r, bool (*commit)(void *ctx, struct plan_result *r),
		      void *ctx)
{
	int v = r->job.variant - 1;
	struct slot *sl = slot_of(a, r->job.variant, r->job.replication);
	if (!sl || sl->kind != SLOT_EMPTY || a->seq[v].verdict != PLAN_SEQ_OPEN || a->broken[v]) {
		plan_result_free(r);
		return;
	}
	*sl = (struct slot){SLOT_HELD, false, r};
	advance(a, v, commit, ctx);
}

bool plan_adapt_has(const plan_adapt *a, int variant, int replication)
{
	assert(variant >= 1 && variant <= a->n_var && replication >= 1);
	const struct slot *sl = a->slots[variant - 1];
	return replication <= a->t.max_runs && sl && sl[replication - 1].kind != SLOT_EMPTY;
}

const struct plan_seq *plan_adapt_seq(const plan_adapt *a, int variant)
{
	assert(variant >= 1 && variant <= a->n_var);
	return &a->seq[variant - 1];
}

atomic_int *plan_adapt_skip(plan_adapt *a) { return a->skip; }

/* ---- Search -------------------------------------------------------------------- */

void plan_bisect_init(struct plan_bisect *b, int n)
{
	assert(n >= 1);
	b->lo = 0;
	b->hi = n;
}

int plan_bisect_next(const struct plan_bisect *b) { return b->lo < b->hi ? b->lo + (b->hi - b->lo) / 2 : -1; }

void plan_bisect_told(struct plan_bisect *b, int i, bool passes)
{
	assert(i >= b->lo && i < b->hi);
	if (passes)
		b->hi = i;
	else
		b->lo = i + 1;
}

/* A sweep value as a number, in any unit a scenario writes numbers in. */
static bool numeric(const char *s, double *x)
{
	char why[UNITS_WHY];
	simtime t;
	if (!units_fraction(s, x, why) || !units_cpu(s, x, why) || !units_memory(s, x, why) || !units_rate(s, x, why))
		return true;
	if (!units_duration(s, &t, why)) {
		*x = (double)t;
		return true;
	}
	return false;
}

/* Whether variants a and b (0-based) have the same values on every axis but `skip`. */
static bool same_line(const struct scenario *sc, size_t a, size_t b, size_t skip)
{
	for (size_t k = 0; k < sc->sweep.n_axes; k++)
		if (k != skip && strcmp(sc->variants[a].values[k], sc->variants[b].values[k]))
			return false;
	return true;
}

int plan_search_lines(const struct scenario *sc, const char *axis, int *order, int *line_start, int *n_lines,
		      char *why, size_t n)
{
	size_t ax = 0, nv = sc->n_variants;
	if (!sc->sweep.enabled) {
		snprintf(why, n, "search: '%s': the scenario has no sweep: to search", axis);
		return -1;
	}
	while (ax < sc->sweep.n_axes && strcmp(sc->sweep.axes[ax], axis))
		ax++;
	if (ax == sc->sweep.n_axes) {
		size_t k = (size_t)snprintf(why, n, "search: no sweep axis '%s' (the axes:", axis);
		for (size_t i = 0; i < sc->sweep.n_axes && k < n; i++)
			k += (size_t)snprintf(why + k, n - k, " %s", sc->sweep.axes[i]);
		if (k < n)
			snprintf(why + k, n - k, ")");
		return -1;
	}
	double *val = xcalloc(nv, sizeof *val);
	bool *taken = xcalloc(nv, sizeof *taken);
	int rc = 0;
	for (size_t v = 0; v < nv && !rc; v++) {
		char first[128];
		snprintf(first, sizeof first, "%s", sc->variants[v].values[ax]);
		first[strcspn(first, "/")] = '\0'; /* a group whose keys differ shows "a/b": the first key's */
		if (!numeric(first, &val[v])) {
			snprintf(why, n, "search: axis '%s' is not numeric: '%s' is not a number (search a buffer, a "
					 "factor, a duration, a quantity)", axis, sc->variants[v].values[ax]);
			rc = -1;
		}
	}
	size_t k = 0;
	*n_lines = 0;
	for (size_t v = 0; v < nv && !rc; v++) {
		if (taken[v])
			continue;
		line_start[(*n_lines)++] = (int)k;
		size_t start = k;
		for (size_t w = v; w < nv; w++) {
			if (taken[w] || !same_line(sc, v, w, ax))
				continue;
			taken[w] = true;
			size_t j = k++; /* insertion by value, ties by variant */
			for (; j > start && val[order[j - 1] - 1] > val[w]; j--)
				order[j] = order[j - 1];
			order[j] = (int)w + 1;
		}
	}
	line_start[*n_lines] = (int)k;
	free(taken);
	free(val);
	return rc;
}

/* The jobs of variant v's runs not counted or held yet, in replication order. */
static struct plan_job *probe_jobs(const plan_adapt *a, int v, uint64_t seed, size_t *n)
{
	struct plan_job *jobs = xcalloc((size_t)a->t.max_runs, sizeof *jobs);
	*n = 0;
	for (int64_t k = 1; k <= a->t.max_runs; k++)
		if (!plan_adapt_has(a, v, (int)k))
			jobs[(*n)++] = (struct plan_job){v, (int)k, plan_seed(seed, v, (int)k)};
	return jobs;
}

int plan_search_run(const struct plan_runner *r, plan_adapt *a, const int *order, const int *line_start, int n_lines,
		    uint64_t seed, int *found, struct herr *e)
{
	for (int l = 0; l < n_lines; l++) {
		const int *line = order + line_start[l];
		struct plan_bisect b;
		int i;
		plan_bisect_init(&b, line_start[l + 1] - line_start[l]);
		while ((i = plan_bisect_next(&b)) >= 0) {
			int v = line[i];
			if (plan_adapt_seq(a, v)->verdict == PLAN_SEQ_OPEN) {
				size_t n;
				struct plan_job *jobs = probe_jobs(a, v, seed, &n);
				int rc = plan_run(r, jobs, n, e);
				free(jobs);
				if (rc)
					return rc;
			}
			enum plan_seq_verdict verdict = plan_adapt_seq(a, v)->verdict;
			if (verdict == PLAN_SEQ_OPEN) /* a commit failed: the caller says why */
				return 1;
			plan_bisect_told(&b, i, plan_seq_passes(verdict));
		}
		found[l] = b.hi;
	}
	return 0;
}

/* Variant v's value on the searched axis, as written. */
static const char *axis_value(const struct scenario *sc, const char *axis, int v)
{
	for (size_t k = 0; k < sc->sweep.n_axes; k++)
		if (!strcmp(sc->sweep.axes[k], axis))
			return sc->variants[v - 1].values[k];
	return "?";
}

void plan_search_report(FILE *f, const struct scenario *sc, const char *axis, const plan_adapt *a, const int *order,
			const int *line_start, int n_lines, const int *found)
{
	for (int l = 0; l < n_lines; l++) {
		const int *line = order + line_start[l];
		int n = line_start[l + 1] - line_start[l];
		fprintf(f, "search %s", axis);
		if (sc->sweep.n_axes > 1)
			fprintf(f, " (variant %d's line: %s)", line[0], sc->variants[line[0] - 1].name);
		fprintf(f, ":");
		for (int i = 0; i < n; i++) {
			const struct plan_seq *s = plan_adapt_seq(a, line[i]);
			if (s->runs)
				fprintf(f, " %s %s (%lld/%lld);", axis_value(sc, axis, line[i]),
					plan_seq_passes(s->verdict) ? "passes" : "fails", (long long)s->met, (long long)s->runs);
		}
		if (found[l] < n)
			fprintf(f, " the smallest that passes: %s (variant %d)\n", axis_value(sc, axis, line[found[l]]),
				line[found[l]]);
		else
			fprintf(f, " no value passes\n");
		/* Monotone where the probes can tell: no larger value wholly below a smaller one. */
		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++) {
				const struct plan_seq *x = plan_adapt_seq(a, line[i]), *y = plan_adapt_seq(a, line[j]);
				double xlo, xhi, ylo, yhi;
				if (!x->runs || !y->runs)
					continue;
				plan_wilson(x->met, x->runs, PLAN_Z95, &xlo, &xhi);
				plan_wilson(y->met, y->runs, PLAN_Z95, &ylo, &yhi);
				if (yhi < xlo)
					fprintf(f,
						"warning: P(SLO met) is not monotone in %s: %s scores %.1f%% [%.1f%%, %.1f%%], "
						"below %s's %.1f%% [%.1f%%, %.1f%%] beyond both intervals; the search assumes "
						"it grows with the value: run the grid (without --search) to see every value\n",
						axis, axis_value(sc, axis, line[j]), 100.0 * (double)y->met / (double)y->runs,
						100 * ylo, 100 * yhi, axis_value(sc, axis, line[i]),
						100.0 * (double)x->met / (double)x->runs, 100 * xlo, 100 * xhi);
			}
	}
}
