/*
 * slo.h: latency histograms and per-service SLO tracking.
 *
 * A histogram is log-linear over nanoseconds: exact below 128 ns, then 64
 * linear sub-buckets per power of two, so a bucket is at most 1/64 of its
 * lower edge wide and a percentile reported at the bucket's midpoint is within
 * 1/128 (0.8 %) of the true sample quantile. Values are clamped to
 * [0, 2^40 ns] (about 18 minutes). Percentiles use the nearest-rank rule.
 *
 * A tracker keeps, per service, the counters and histograms of the current
 * sample interval, of the current SLO window and of the whole run; the
 * interval's histogram is folded into the run's when the interval closes, so
 * the hot path writes two histograms, not three.
 */
#ifndef HEADROOM_SLO_H
#define HEADROOM_SLO_H

#include "common.h"
#include "scn.h"

#define HIST_SUB 64u
#define HIST_MAX_SHIFT 34u
#define HIST_BUCKETS ((HIST_MAX_SHIFT + 2u) * HIST_SUB)
#define HIST_MAX_NS ((int64_t)1 << 40)

struct hist {
	uint64_t n;     /* values recorded */
	double sum;     /* of the values, ns */
	int64_t min, max; /* ns, valid when n > 0 */
	uint64_t c[HIST_BUCKETS]; /* counts per bucket */
};

static inline unsigned hist_index(int64_t v)
{
	if (v < 2 * (int64_t)HIST_SUB)
		return v < 0 ? 0u : (unsigned)v;
	if (v > HIST_MAX_NS)
		v = HIST_MAX_NS;
	unsigned k = 63u - (unsigned)__builtin_clzll((unsigned long long)v);
	unsigned shift = k - 6u;
	return shift * HIST_SUB + (unsigned)(v >> shift);
}

static inline void hist_add(struct hist *h, int64_t v)
{
	h->c[hist_index(v)]++;
	h->sum += (double)v;
	if (h->n++ == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void hist_clear(struct hist *h);
/* Adds every value of src to dst. */
void hist_merge(struct hist *dst, const struct hist *src);
/* The p-th percentile (0 < p <= 100) in ns, NaN when empty. */
double hist_percentile(const struct hist *h, double p);
/* Lower edge and width of bucket i, ns (for tests and exports). */
void hist_bucket(unsigned i, int64_t *lo, int64_t *width);
/* Cumulative counts at the n ascending bounds le[] (ns): out[j] counts the
 * values <= le[j], to the histogram's resolution: a bucket counts whole
 * under the first bound at or above its lower edge (so a value exactly at a
 * bound is under it; one up to 1/64 above may be too). For a Prometheus
 * histogram's buckets. */
void hist_count_le(const struct hist *h, const double *le, size_t n, uint64_t *out);

/* Counters over one span of time (an interval, a window or the run). */
struct slo_counts {
	int64_t arrived;  /* requests that arrived */
	int64_t served;   /* answered successfully */
	int64_t errors;   /* failed, all causes */
	int64_t timeouts; /* of which the client timed out */
	int64_t rejected; /* of which were refused (503) */
};

struct slo_tracker {
	const struct scn_slo *obj; /* the objectives (borrowed) */
	struct slo_counts iv, win, run; /* interval, window, run */
	struct hist h_iv, h_win, h_run;
	int64_t windows_violated; /* SLO windows in violation so far */
	int64_t windows;          /* SLO windows judged so far */
	simtime violated;         /* total length of the windows in violation, ns */
	simtime violated_latency; /* of the windows whose latency percentile was above the threshold, ns */
	simtime violated_errors;  /* of the windows whose error rate was above the budget, ns */
};

void slo_init(struct slo_tracker *t, const struct scn_slo *obj);

enum slo_outcome { SLO_SERVED, SLO_TIMEOUT, SLO_REJECTED, SLO_FAILED };

static inline void slo_arrived(struct slo_tracker *t)
{
	t->iv.arrived++;
	t->win.arrived++;
}
/* Records a request's end; latency counts only for SLO_SERVED. */
static inline void slo_done(struct slo_tracker *t, enum slo_outcome o, simtime latency)
{
	if (o == SLO_SERVED) {
		t->iv.served++;
		t->win.served++;
		hist_add(&t->h_iv, latency);
		hist_add(&t->h_win, latency);
		return;
	}
	t->iv.errors++;
	t->win.errors++;
	if (o == SLO_TIMEOUT) {
		t->iv.timeouts++;
		t->win.timeouts++;
	} else if (o == SLO_REJECTED) {
		t->iv.rejected++;
		t->win.rejected++;
	}
}

/* Closes the sample interval: folds it into the run and clears it. The
 * caller reads t->iv and t->h_iv first. */
void slo_close_interval(struct slo_tracker *t);
/* Judges and clears the SLO window, which lasted len ns (the last window of
 * a run may be short); returns true if it was in violation. */
bool slo_close_window(struct slo_tracker *t, simtime len);
/* Whether the run met its objectives: 1, 0, or -1 when none is declared.
 * Call after the last interval and window were closed. */
int slo_met(const struct slo_tracker *t);
/*
 * Which terms of the objectives the run missed, each judged alone: 1 met,
 * 0 missed, -1 not declared. Over the whole run (evaluation: run), the
 * latency term is the run's percentile against the threshold and the error
 * term its error rate against the budget; the run met its SLO when neither
 * missed, and there is no violation term. By windows, the latency term is
 * missed when the windows with the percentile above the threshold add up to
 * more than the allowed violation, the error term likewise, and the
 * violation term (all violating windows, either cause) is the run's
 * verdict: both terms may pass alone while the two together fail.
 */
struct slo_terms {
	int latency, errors, violation;
};
struct slo_terms slo_terms(const struct slo_tracker *t);
/* The error rate of a span: errors over requests that ended (served or
 * failed), 0 when none ended. */
double slo_error_rate(const struct slo_counts *c);

#endif
