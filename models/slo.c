#include "slo.h"

#include <math.h>
#include <string.h>

void hist_clear(struct hist *h) { memset(h, 0, sizeof *h); }

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (!src->n)
		return;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->c[i] += src->c[i];
	if (!dst->n || src->min < dst->min)
		dst->min = src->min;
	if (!dst->n || src->max > dst->max)
		dst->max = src->max;
	dst->n += src->n;
	dst->sum += src->sum;
}

void hist_bucket(unsigned i, int64_t *lo, int64_t *width)
{
	if (i < 2 * HIST_SUB) {
		*lo = i;
		*width = 1;
		return;
	}
	unsigned shift = i / HIST_SUB - 1;
	*lo = (int64_t)(i % HIST_SUB + HIST_SUB) << shift;
	*width = (int64_t)1 << shift;
}

void hist_count_le(const struct hist *h, const double *le, size_t n, uint64_t *out)
{
	size_t j = 0;
	for (size_t k = 0; k < n; k++)
		out[k] = 0;
	if (!h->n)
		return;
	/* Only the buckets between the smallest and the largest value hold any. */
	unsigned last = hist_index(h->max);
	for (unsigned i = hist_index(h->min); i <= last && j < n; i++) {
		if (!h->c[i])
			continue;
		int64_t lo, width;
		hist_bucket(i, &lo, &width);
		(void)width;
		while (j < n && (double)lo > le[j])
			j++;
		if (j < n)
			out[j] += h->c[i];
	}
	for (size_t k = 1; k < n; k++)
		out[k] += out[k - 1];
}

/* Nearest rank: the smallest value with at least ceil(p/100 n) values at or
 * below it, reported at its bucket's midpoint and kept within [min, max]. */
double hist_percentile(const struct hist *h, double p)
{
	if (!h->n)
		return NAN;
	uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->n);
	if (rank < 1)
		rank = 1;
	uint64_t cum = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		cum += h->c[i];
		if (cum < rank)
			continue;
		int64_t lo, w;
		hist_bucket(i, &lo, &w);
		double v = w == 1 ? (double)lo : (double)lo + (double)w / 2;
		return fmin(fmax(v, (double)h->min), (double)h->max);
	}
	return (double)h->max;
}

void slo_init(struct slo_tracker *t, const struct scn_slo *obj)
{
	memset(t, 0, sizeof *t);
	t->obj = obj;
}

static void add_counts(struct slo_counts *d, const struct slo_counts *s)
{
	d->arrived += s->arrived;
	d->served += s->served;
	d->errors += s->errors;
	d->timeouts += s->timeouts;
	d->rejected += s->rejected;
}

void slo_close_interval(struct slo_tracker *t)
{
	add_counts(&t->run, &t->iv);
	hist_merge(&t->h_run, &t->h_iv);
	memset(&t->iv, 0, sizeof t->iv);
	hist_clear(&t->h_iv);
}

/* A span violates its objectives when its latency percentile is above the
 * threshold or its error rate above the budget. A span with no request
 * violates nothing. */
static bool too_slow(const struct scn_slo *o, const struct hist *h)
{
	return o->has_latency && h->n && hist_percentile(h, o->percentile) > (double)o->threshold;
}

static bool too_many_errors(const struct scn_slo *o, const struct slo_counts *c)
{
	return o->has_errors && slo_error_rate(c) > o->error_budget;
}

static bool violates(const struct scn_slo *o, const struct slo_counts *c, const struct hist *h)
{
	return too_slow(o, h) || too_many_errors(o, c);
}

double slo_error_rate(const struct slo_counts *c)
{
	int64_t ended = c->served + c->errors;
	return ended ? (double)c->errors / (double)ended : 0.0;
}

bool slo_close_window(struct slo_tracker *t, simtime len)
{
	bool slow = too_slow(t->obj, &t->h_win), failing = too_many_errors(t->obj, &t->win), bad = slow || failing;
	t->windows++;
	t->windows_violated += bad;
	if (bad)
		t->violated += len;
	if (slow)
		t->violated_latency += len;
	if (failing)
		t->violated_errors += len;
	memset(&t->win, 0, sizeof t->win);
	hist_clear(&t->h_win);
	return bad;
}

int slo_met(const struct slo_tracker *t)
{
	const struct scn_slo *o = t->obj;
	if (!o->has_latency && !o->has_errors)
		return -1;
	if (o->eval == SLO_EVAL_WINDOWS)
		return t->violated <= o->allowed_violation;
	return !violates(o, &t->run, &t->h_run);
}

struct slo_terms slo_terms(const struct slo_tracker *t)
{
	const struct scn_slo *o = t->obj;
	struct slo_terms m = {-1, -1, -1};
	if (o->eval == SLO_EVAL_WINDOWS) {
		if (o->has_latency)
			m.latency = t->violated_latency <= o->allowed_violation;
		if (o->has_errors)
			m.errors = t->violated_errors <= o->allowed_violation;
		if (o->has_latency || o->has_errors)
			m.violation = t->violated <= o->allowed_violation;
		return m;
	}
	if (o->has_latency)
		m.latency = !too_slow(o, &t->h_run);
	if (o->has_errors)
		m.errors = !too_many_errors(o, &t->run);
	return m;
}
