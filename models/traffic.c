/*
 * traffic.c: arrivals of an entry service.
 *
 * Thinning (Lewis and Shedler, 1979): on a segment [p, e] where rate(t) <=
 * bound, candidates form a Poisson process of rate `bound` and each is kept
 * with probability rate(t) / bound; the kept ones form a Poisson process of
 * rate rate(t). Because a Poisson process is memoryless, a candidate beyond
 * e is dropped and the next segment starts afresh at e, and each call may
 * start afresh at `now`: the generator keeps no arrival state, only the
 * dispersion factors.
 *
 * Segments end at every breakpoint of a factor (spike corners, trace rows)
 * and at every dispersion interval boundary, so within a segment spikes and
 * the trace are linear and the dispersion factor is constant: the bound is
 * each factor's exact maximum over the segment. Only the diurnal cosine
 * changes shape inside a segment; its maximum is still exact (an endpoint,
 * or 1 + amplitude when a peak lies inside), and segments of at most
 * DIURNAL_SEG keep it close to the rate, so nearly every candidate is kept.
 * The bound is raised by SLACK so rounding can never put it below the rate.
 *
 * Candidates are drawn in continuous time and rounded to the nearest
 * nanosecond (at least now + 1, so arrivals strictly increase); the next
 * candidate goes on from the unrounded time, so rounding adds no bias.
 */
#include "traffic.h"

#include <assert.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>

#include "rng.h"

#define DIURNAL_SEG (60 * SIM_S) /* longest segment under a diurnal pattern */
#define DAY_S 86400.0            /* the diurnal period, s */
#define SLACK (1 + 1e-9)         /* relative margin of a bound over the rate */
#define NO_ARRIVAL ((simtime)-1)

struct traffic {
	const struct scn_traffic *cfg; /* borrowed */
	gsl_rng *r;          /* arrivals and thinning (RNG_TRAFFIC) */
	gsl_rng *rd;         /* dispersion factors (RNG_DISPERSION) */
	gsl_rng *rd0;        /* rd as first seeded, to replay earlier factors */
	bool fast;           /* constant rate: exponential gaps, no thinning */
	simtime *bp;         /* breakpoints of spikes and trace rows, sorted, unique, ns */
	size_t n_bp;
	simtime zero_from;   /* the rate is 0 from here on for ever, ns (SIM_FOREVER: never) */
	int64_t disp_k;      /* the dispersion interval whose factor is disp_f (-1: none yet) */
	double disp_f;       /* its gamma factor, mean 1 */
	simtime last_now;    /* now at the last call, ns (never goes backwards) */
	/* The current segment, kept across calls: by memorylessness a call
	 * starting anywhere inside it may thin with the same bounds. */
	simtime seg_p, seg_e; /* [seg_p, seg_e), ns; empty when seg_p == seg_e */
	double seg_hi;       /* f x upper bound of the rate on it, rps */
	double seg_lo;       /* f x lower bound (the squeeze), rps */
	double seg_f;        /* its dispersion factor */
};

static simtime sat_add(simtime a, simtime b)
{
	return a > SIM_FOREVER - b ? SIM_FOREVER : a + b;
}

/* --- the factors of the rate --- */

/* The corners of a spike: ramp start, ramp end, hold end, decay end. */
static void spike_corners(const struct spike *sp, simtime c[4])
{
	c[0] = sp->start;
	c[1] = sat_add(c[0], sp->ramp);
	c[2] = sat_add(c[1], sp->hold);
	c[3] = sat_add(c[2], sp->decay);
}

static double spike_at(const struct spike *sp, simtime t)
{
	simtime c[4];
	spike_corners(sp, c);
	double f = sp->factor;
	if (t < c[0] || t >= c[3])
		return 1;
	if (t < c[1])
		return 1 + (f - 1) * (double)(t - c[0]) / (double)sp->ramp;
	if (t < c[2])
		return f;
	return f + (1 - f) * (double)(t - c[2]) / (double)sp->decay;
}

/* The maximum over [a, b]: linear pieces peak at their ends, and the peak
 * value `factor` is reached (or approached, at a step) exactly when [a, b]
 * meets [ramp end, hold end]. */
static double spike_max(const struct spike *sp, simtime a, simtime b)
{
	simtime c[4];
	spike_corners(sp, c);
	double m = HR_MAX(spike_at(sp, a), spike_at(sp, b));
	if (a <= c[2] && b >= c[1])
		m = HR_MAX(m, sp->factor);
	return m;
}

/* Linear between corners: the minimum is at an end, or 1 or factor at a
 * corner inside. */
static double spike_min(const struct spike *sp, simtime a, simtime b)
{
	simtime c[4];
	spike_corners(sp, c);
	double m = HR_MIN(spike_at(sp, a), spike_at(sp, b));
	for (int i = 0; i < 4; i++)
		if (c[i] > a && c[i] < b)
			m = HR_MIN(m, HR_MIN(1.0, sp->factor));
	return m;
}

static double diurnal_at(const struct pattern *p, double t_s)
{
	double clock = p->start_s + t_s;
	return 1 + p->amplitude * cos(2 * M_PI * (clock - p->peak_s) / DAY_S);
}

/* Between two peaks the cosine falls then rises, so its maximum over an
 * interval is at an end unless a peak lies inside. */
static double diurnal_max(const struct pattern *p, double a_s, double b_s)
{
	double k = ceil((p->start_s + a_s - p->peak_s) / DAY_S);
	if (p->peak_s + k * DAY_S <= p->start_s + b_s)
		return 1 + p->amplitude;
	return HR_MAX(diurnal_at(p, a_s), diurnal_at(p, b_s));
}

/* The minimum, likewise: an end, or 1 - amplitude when a trough lies inside. */
static double diurnal_min(const struct pattern *p, double a_s, double b_s)
{
	double k = ceil((p->start_s + a_s - p->peak_s - DAY_S / 2) / DAY_S);
	if (p->peak_s + DAY_S / 2 + k * DAY_S <= p->start_s + b_s)
		return 1 - p->amplitude;
	return HR_MIN(diurnal_at(p, a_s), diurnal_at(p, b_s));
}

/* Linear between rows: the maximum is at an end or at a row inside. Rows
 * within a nanosecond of the ends count too, as the segment ends were
 * rounded to whole nanoseconds. */
static double trace_max(const struct trace *tr, double a_s, double b_s)
{
	double m = HR_MAX(trace_value(tr, a_s), trace_value(tr, b_s));
	for (size_t i = trace_upper(tr, a_s - 2e-9); i < tr->n && tr->t[i] <= b_s + 2e-9; i++)
		m = HR_MAX(m, tr->rps[i]);
	return m;
}

static double trace_min(const struct trace *tr, double a_s, double b_s)
{
	double m = HR_MIN(trace_value(tr, a_s), trace_value(tr, b_s));
	for (size_t i = trace_upper(tr, a_s - 2e-9); i < tr->n && tr->t[i] <= b_s + 2e-9; i++)
		m = HR_MIN(m, tr->rps[i]);
	return m;
}

/*
 * A trace read as intervals (trace->step) is constant over each row's
 * interval. Its rows are found by their times in whole nanoseconds, the
 * breakpoints' own rounding, so a segment between two breakpoints never
 * straddles a row and a zero interval's bound is exactly 0.
 */
static size_t step_upper(const struct trace *tr, simtime t)
{
	size_t lo = 0, hi = tr->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sim_from_s(tr->t[mid]) <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static double step_at(const struct trace *tr, simtime t)
{
	size_t i = step_upper(tr, t);
	return tr->rps[i ? i - 1 : 0];
}

/* The maximum over [a, b): the rows whose intervals meet it. */
static double step_max(const struct trace *tr, simtime a, simtime b)
{
	size_t i = step_upper(tr, a);
	double m = tr->rps[i ? i - 1 : 0];
	for (; i < tr->n && sim_from_s(tr->t[i]) < b; i++)
		m = HR_MAX(m, tr->rps[i]);
	return m;
}

/* The minimum over [a, b], b included: the squeeze must never accept a
 * candidate rounded onto the start of a quieter interval. */
static double step_min(const struct trace *tr, simtime a, simtime b)
{
	size_t i = step_upper(tr, a);
	double m = tr->rps[i ? i - 1 : 0];
	for (; i < tr->n && sim_from_s(tr->t[i]) <= b; i++)
		m = HR_MIN(m, tr->rps[i]);
	return m;
}

static double pattern_at(const struct pattern *p, simtime t)
{
	switch (p->kind) {
	case PATTERN_DIURNAL:
		return diurnal_at(p, sim_to_s(t));
	case PATTERN_TRACE:
		return p->trace.step ? step_at(&p->trace, t) : trace_value(&p->trace, sim_to_s(t));
	default:
		return 1;
	}
}

static double pattern_max(const struct pattern *p, simtime a, simtime b)
{
	switch (p->kind) {
	case PATTERN_DIURNAL:
		return diurnal_max(p, sim_to_s(a), sim_to_s(b));
	case PATTERN_TRACE:
		return p->trace.step ? step_max(&p->trace, a, b) : trace_max(&p->trace, sim_to_s(a), sim_to_s(b));
	default:
		return 1;
	}
}

static double pattern_min(const struct pattern *p, simtime a, simtime b)
{
	switch (p->kind) {
	case PATTERN_DIURNAL:
		return diurnal_min(p, sim_to_s(a), sim_to_s(b));
	case PATTERN_TRACE:
		return p->trace.step ? step_min(&p->trace, a, b) : trace_min(&p->trace, sim_to_s(a), sim_to_s(b));
	default:
		return 1;
	}
}

double traffic_rate(const traffic *tr, simtime t)
{
	const struct scn_traffic *c = tr->cfg;
	double r = c->rate * pattern_at(&c->pattern, t);
	for (size_t i = 0; i < c->n_spikes; i++)
		r *= spike_at(&c->spikes[i], t);
	return r;
}

/* An upper bound of traffic_rate over [a, b], without dispersion. */
static double rate_max(const traffic *tr, simtime a, simtime b)
{
	const struct scn_traffic *c = tr->cfg;
	double r = c->rate * pattern_max(&c->pattern, a, b);
	for (size_t i = 0; i < c->n_spikes; i++)
		r *= spike_max(&c->spikes[i], a, b);
	return r * SLACK;
}

/* A lower bound of traffic_rate over [a, b], without dispersion. */
static double rate_min(const traffic *tr, simtime a, simtime b)
{
	const struct scn_traffic *c = tr->cfg;
	double r = c->rate * pattern_min(&c->pattern, a, b);
	for (size_t i = 0; i < c->n_spikes; i++)
		r *= spike_min(&c->spikes[i], a, b);
	return r / SLACK;
}

/* --- dispersion --- */

/* The gamma factor of the interval holding t. Factors are drawn one per
 * interval in interval order, so the k-th draw always belongs to interval k
 * whatever the arrivals did; going back replays the stream from its start. */
static double disp_factor(traffic *tr, simtime t)
{
	const struct scn_traffic *c = tr->cfg;
	if (c->dispersion_cv <= 0)
		return 1;
	int64_t k = t / c->dispersion_interval;
	if (k < tr->disp_k) {
		gsl_rng_memcpy(tr->rd, tr->rd0);
		tr->disp_k = -1;
	}
	double cv2 = c->dispersion_cv * c->dispersion_cv;
	while (tr->disp_k < k) {
		tr->disp_f = gsl_ran_gamma(tr->rd, 1 / cv2, cv2);
		tr->disp_k++;
	}
	return tr->disp_f;
}

/* --- segments --- */

/* The index of the first breakpoint > t. */
static size_t bp_upper(const traffic *tr, simtime t)
{
	size_t lo = 0, hi = tr->n_bp;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tr->bp[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The end of the segment that starts at p (> p). */
static simtime seg_end(const traffic *tr, simtime p)
{
	const struct scn_traffic *c = tr->cfg;
	simtime e = SIM_FOREVER;
	if (c->pattern.kind == PATTERN_DIURNAL)
		e = sat_add(p, DIURNAL_SEG);
	size_t i = bp_upper(tr, p);
	if (i < tr->n_bp)
		e = HR_MIN(e, tr->bp[i]);
	if (c->dispersion_cv > 0) {
		simtime len = c->dispersion_interval;
		e = HR_MIN(e, sat_add(p - p % len, len));
	}
	return e;
}

/*
 * Thinning over the current segment from p: the first kept candidate, or
 * NO_ARRIVAL if the candidates run past its end. A candidate whose uniform
 * falls under the lower bound is kept without evaluating the rate (a
 * squeeze: on a short segment nearly all are), which keeps the cosine of a
 * diurnal pattern off the path of most arrivals.
 */
static simtime thin(traffic *tr, simtime now, simtime p)
{
	simtime e = tr->seg_e;
	double bound = tr->seg_hi;
	if (!(bound > 0))
		return NO_ARRIVAL;
	double mean_ns = 1e9 / bound, len = (double)(e - p), u = 0;
	for (;;) {
		u += rng_exp(tr->r, mean_ns);
		if (u >= len)
			return NO_ARRIVAL;
		simtime d = (simtime)(u + 0.5); /* u >= 0: rounds to nearest, as llround */
		if (d > e - p)
			return NO_ARRIVAL;
		simtime c = HR_MAX(p + d, now + 1);
		double v = rng_u01(tr->r) * bound;
		if (v < tr->seg_lo || v < tr->seg_f * traffic_rate(tr, c))
			return c;
	}
}

static simtime fast_next(traffic *tr, simtime now)
{
	double gap = rng_exp(tr->r, 1e9 / tr->cfg->rate);
	if (gap >= (double)(SIM_FOREVER - now))
		return SIM_FOREVER;
	return now + HR_MAX((simtime)1, (simtime)(gap + 0.5)); /* gap >= 0: llround without the call */
}

simtime traffic_next(traffic *tr, simtime now)
{
	assert(now >= tr->last_now);
	tr->last_now = now;
	if (now >= tr->zero_from)
		return SIM_FOREVER;
	if (tr->fast)
		return fast_next(tr, now);
	simtime p = now;
	while (p < tr->zero_from) {
		if (p < tr->seg_p || p >= tr->seg_e) {
			simtime e = seg_end(tr, p);
			tr->seg_f = disp_factor(tr, p);
			tr->seg_hi = rate_max(tr, p, e) * tr->seg_f;
			tr->seg_lo = rate_min(tr, p, e) * tr->seg_f;
			tr->seg_p = p;
			tr->seg_e = e;
		}
		simtime c = thin(tr, now, p);
		if (c != NO_ARRIVAL)
			return c;
		p = tr->seg_e;
	}
	return SIM_FOREVER;
}

/* --- setup --- */

static int cmp_simtime(const void *a, const void *b)
{
	simtime x = *(const simtime *)a, y = *(const simtime *)b;
	return (x > y) - (x < y);
}

static void collect_breakpoints(traffic *tr)
{
	const struct scn_traffic *c = tr->cfg;
	size_t n_rows = c->pattern.kind == PATTERN_TRACE ? c->pattern.trace.n : 0;
	tr->bp = xmalloc((4 * c->n_spikes + n_rows) * sizeof *tr->bp);
	size_t n = 0;
	for (size_t i = 0; i < c->n_spikes; i++) {
		spike_corners(&c->spikes[i], tr->bp + n);
		n += 4;
	}
	for (size_t i = 0; i < n_rows; i++)
		tr->bp[n++] = sim_from_s(c->pattern.trace.t[i]);
	qsort(tr->bp, n, sizeof *tr->bp, cmp_simtime);
	tr->n_bp = 0;
	for (size_t i = 0; i < n; i++)
		if (tr->n_bp == 0 || tr->bp[i] != tr->bp[tr->n_bp - 1])
			tr->bp[tr->n_bp++] = tr->bp[i];
}

/* From when the rate is 0 for ever. Spike factors are > 0 and gamma
 * factors almost surely so, so only the base rate and a trace that ends
 * at 0 can silence a service for good. */
static simtime zero_from(const struct scn_traffic *c)
{
	if (!(c->rate > 0))
		return 0;
	if (c->pattern.kind != PATTERN_TRACE)
		return SIM_FOREVER;
	const struct trace *t = &c->pattern.trace;
	size_t j = t->n;
	while (j > 0 && !(t->rps[j - 1] > 0))
		j--;
	if (j == 0)
		return 0;
	if (j == t->n)
		return SIM_FOREVER;
	/* Row j is the first of the final zeros; a nanosecond more covers the
	 * rounding of its time. */
	return sim_from_s(t->t[j]) + 1;
}

traffic *traffic_new(const struct scn_traffic *t, uint64_t seed, int service)
{
	assert(t->dispersion_cv <= 0 || t->dispersion_interval > 0);
	assert(t->pattern.kind != PATTERN_TRACE || t->pattern.trace.n >= 1);
	traffic *tr = xcalloc(1, sizeof *tr);
	tr->cfg = t;
	tr->r = rng_stream(seed, RNG_TRAFFIC, (uint64_t)service);
	tr->rd = rng_stream(seed, RNG_DISPERSION, (uint64_t)service);
	tr->rd0 = gsl_rng_clone(tr->rd);
	if (!tr->rd0)
		abort();
	tr->fast = t->pattern.kind == PATTERN_CONSTANT && t->n_spikes == 0 && !(t->dispersion_cv > 0);
	collect_breakpoints(tr);
	tr->zero_from = zero_from(t);
	tr->disp_k = -1;
	tr->disp_f = 1;
	return tr;
}

void traffic_free(traffic *tr)
{
	if (!tr)
		return;
	gsl_rng_free(tr->r);
	gsl_rng_free(tr->rd);
	gsl_rng_free(tr->rd0);
	free(tr->bp);
	free(tr);
}
