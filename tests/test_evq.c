/*
 * The event queue against a naive reference: a plain array kept in
 * (time, priority, seq) order, on random scripts of push, pop, cancel and
 * move. Every pop of the heap must equal the reference's first element.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "evq.h"
#include "rng.h"
#include "sim.h"

struct ref {
	simtime t;
	unsigned prio;
	uint64_t seq;
	evh h;
	bool live;
};

static bool ref_less(const struct ref *a, const struct ref *b)
{
	if (a->t != b->t)
		return a->t < b->t;
	if (a->prio != b->prio)
		return a->prio < b->prio;
	return a->seq < b->seq;
}

/* The live reference entry that must pop next, or -1. */
static int ref_min(struct ref *r, int n)
{
	int best = -1;
	for (int i = 0; i < n; i++)
		if (r[i].live && (best < 0 || ref_less(&r[i], &r[best])))
			best = i;
	return best;
}

static void script(uint64_t seed, int steps, simtime tspan)
{
	enum { MAXREF = 20000 };
	static struct ref r[MAXREF];
	int n = 0, live = 0;
	uint64_t seq = 0;
	evq q;
	evq_init(&q);
	gsl_rng *g = rng_stream(seed, 99, 0);
	simtime now = 0;
	for (int step = 0; step < steps && n < MAXREF - 1; step++) {
		uint32_t op = rng_below(g, 10);
		if (op < 5 || live == 0) { /* push */
			simtime t = now + (simtime)rng_below(g, (uint32_t)tspan);
			unsigned prio = rng_below(g, 3);
			evh h = evq_push(&q, t, prio, NULL, NULL, (uint64_t)n);
			r[n++] = (struct ref){t, prio, seq++, h, true};
			live++;
		} else if (op < 8) { /* pop */
			int i = ref_min(r, n);
			evh h = evq_top(&q);
			cr_assert_eq(h, r[i].h, "step %d: heap popped handle %u, reference %u", step, h, r[i].h);
			cr_assert_eq(evq_top_time(&q), r[i].t);
			now = r[i].t;
			evq_cancel(&q, h);
			r[i].live = false;
			live--;
		} else { /* cancel or move a random live event */
			int k = (int)rng_below(g, (uint32_t)n);
			while (!r[k].live)
				k = (k + 1) % n;
			if (op == 8) {
				evq_cancel(&q, r[k].h);
				r[k].live = false;
				live--;
			} else {
				simtime t = now + (simtime)rng_below(g, (uint32_t)tspan);
				evq_move(&q, r[k].h, t);
				r[k].t = t;
				r[k].seq = seq++; /* a move takes a fresh place among equals */
			}
		}
		cr_assert_eq(q.n, (uint32_t)live);
	}
	/* Drain: the rest comes out in reference order. */
	while (live) {
		int i = ref_min(r, n);
		cr_assert_eq(evq_top(&q), r[i].h);
		evq_cancel(&q, evq_top(&q));
		r[i].live = false;
		live--;
	}
	cr_assert_eq(evq_top(&q), EVH_NONE);
	gsl_rng_free(g);
	evq_release(&q);
}

/* Small time spans force many equal times: FIFO among equals is tested. */
Test(evq, random_scripts_many_ties) { for (uint64_t s = 1; s <= 20; s++) script(s, 3000, 5); }
Test(evq, random_scripts_spread) { for (uint64_t s = 1; s <= 10; s++) script(100 + s, 8000, 1000000); }

Test(evq, equal_time_and_priority_pop_fifo)
{
	evq q;
	evq_init(&q);
	evh h[100];
	for (int i = 0; i < 100; i++)
		h[i] = evq_push(&q, 7, 1, NULL, NULL, 0);
	for (int i = 0; i < 100; i++) {
		cr_assert_eq(evq_top(&q), h[i]);
		evq_cancel(&q, h[i]);
	}
	evq_release(&q);
}

Test(evq, priority_orders_equal_times)
{
	evq q;
	evq_init(&q);
	evh late = evq_push(&q, 5, 2, NULL, NULL, 0);
	evh early = evq_push(&q, 5, 1, NULL, NULL, 0);
	evh first = evq_push(&q, 4, 9, NULL, NULL, 0);
	cr_assert_eq(evq_top(&q), first);
	evq_cancel(&q, first);
	cr_assert_eq(evq_top(&q), early);
	evq_cancel(&q, early);
	cr_assert_eq(evq_top(&q), late);
	evq_release(&q);
}

/* Handles are reused, so memory follows the events pending at once. */
Test(evq, capacity_follows_pending_not_total)
{
	evq q;
	evq_init(&q);
	for (int i = 0; i < 1000000; i++) {
		evh h = evq_push(&q, i, 0, NULL, NULL, 0);
		evq_cancel(&q, h);
	}
	cr_assert_leq(q.cap, 64u);
	evq_release(&q);
}

/* The run loop: periodic callbacks return their next delay; the clock only
 * moves forward; SIM_DONE frees the event. */
static simtime tick(struct sim *s, void *obj, uint64_t arg)
{
	int *count = obj;
	(*count)++;
	cr_assert_eq(s->now, (simtime)(*count) * (simtime)arg);
	return *count < 10 ? (simtime)arg : SIM_DONE;
}

Test(sim, periodic_callback_reschedules_itself)
{
	struct sim s;
	sim_init(&s, 1, 1000);
	int count = 0;
	sim_at(&s, 15, PRIO_CONTROL, tick, &count, 15);
	cr_assert_eq(sim_run(&s), 0);
	cr_assert_eq(count, 10);
	cr_assert_eq(s.q.n, 0u);
	cr_assert_eq(s.now, 1000);
	sim_release(&s);
}

static simtime stop_at_end(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	(void)arg;
	(*(int *)obj)++;
	return 100;
}

Test(sim, run_stops_at_end_inclusive)
{
	struct sim s;
	sim_init(&s, 1, 1000);
	int count = 0;
	sim_at(&s, 0, PRIO_CONTROL, stop_at_end, &count, 0);
	sim_run(&s);
	cr_assert_eq(count, 11); /* 0, 100, ..., 1000 */
	sim_release(&s);
}

/* Streams: the same key gives the same draws; another model or instance,
 * other draws. */
Test(rng, streams_are_keyed)
{
	gsl_rng *a = rng_stream(42, RNG_TRAFFIC, 0), *b = rng_stream(42, RNG_TRAFFIC, 0);
	gsl_rng *c = rng_stream(42, RNG_TRAFFIC, 1), *d = rng_stream(42, RNG_DEMAND, 0);
	for (int i = 0; i < 1000; i++) {
		uint64_t x = rng_next(a);
		cr_assert_eq(x, rng_next(b));
		cr_assert_neq(x, rng_next(c));
		cr_assert_neq(x, rng_next(d));
	}
	/* GSL's own interface reads the same state. */
	double u = gsl_rng_uniform(a);
	cr_assert(u >= 0 && u < 1);
	cr_assert_eq(u, rng_u01(b));
	gsl_rng_free(a);
	gsl_rng_free(b);
	gsl_rng_free(c);
	gsl_rng_free(d);
}

/* xoshiro256++ reference output for the state {1, 2, 3, 4} (from the
 * authors' reference implementation). */
Test(rng, xoshiro_reference_vector)
{
	gsl_rng *r = rng_stream(0, 0, 0);
	uint64_t *s = (uint64_t *)r->state;
	s[0] = 1, s[1] = 2, s[2] = 3, s[3] = 4;
	static const uint64_t want[] = {41943041, 58720359, 3588806011781223, 3591011842654386};
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(rng_next(r), want[i], "output %zu", i);
	gsl_rng_free(r);
}

/* The ziggurat exponential against exp(1): Kolmogorov-Smirnov over 10^6
 * draws (the 0.999 critical value is 1.949 / sqrt(n)), and the mean and
 * variance within 4 standard errors. */
static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

Test(rng, ziggurat_exponential_is_exponential)
{
	enum { N = 1000000 };
	static double v[N];
	gsl_rng *r = rng_stream(5, 99, 5);
	double sum = 0, sum2 = 0;
	for (int i = 0; i < N; i++) {
		v[i] = rng_exp1(r);
		cr_assert(v[i] >= 0);
		sum += v[i];
		sum2 += v[i] * v[i];
	}
	qsort(v, N, sizeof v[0], cmp_d);
	double d = 0;
	for (int i = 0; i < N; i++) {
		double f = 1 - exp(-v[i]);
		d = fmax(d, fmax(fabs(f - (double)i / N), fabs(f - (double)(i + 1) / N)));
	}
	cr_assert_lt(d, 1.949 / sqrt(N), "KS distance %g", d);
	double mean = sum / N, var = sum2 / N - mean * mean;
	cr_assert(fabs(mean - 1) < 4 / sqrt(N), "mean %g", mean);
	/* var of the sample variance of exp(1) is (mu4 - 1) / n = 8 / n. */
	cr_assert(fabs(var - 1) < 4 * sqrt(8.0 / N), "variance %g", var);
	cr_assert_gt(v[N - 1], 10.0); /* the tail is reached */
	gsl_rng_free(r);
}
