/*
 * The request model against hand-computed and textbook cases: loss (503s),
 * fan-out, timeouts, CPU limits, warm-up, CPU accounting and determinism
 * (the balancers are tests/test_balancer.c). Statistical tolerances are 4
 * standard deviations of the estimator (two-sided 99.994 %), stated at each
 * use.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "harness.h"
#include "world.h"

static const struct dist exp10ms = {DIST_EXPONENTIAL, 0.010, 1};

static void run(struct scenario *sc, uint64_t seed, struct memsink *m)
{
	struct sink out = memsink_init(m);
	struct run_stats st;
	run_once(sc, seed, &out, NULL, &st);
	cr_assert_not(st.interrupted);
}

/* Erlang B: blocking probability of c servers, no queue, offered load a. */
static double erlang_b(int c, double a)
{
	double b = 1;
	for (int k = 1; k <= c; k++)
		b = a * b / (k + a * b);
	return b;
}

/* c workers, no accept queue: an arrival finding all workers busy is refused,
 * the M/M/c/c loss system, whatever the demand's distribution. */
Test(model, full_pod_refuses_with_erlang_b_probability)
{
	struct scenario *sc = test_scn(1, 4, 4, exp10ms, 300, 2000 * SIM_S, 10 * SIM_S);
	sc->services[0].queue = 0;
	struct memsink m;
	run(sc, 3, &m);
	const struct row_summary *s = memsink_summary(&m, "s0");
	double b = erlang_b(4, 300 * 0.010), got, half;
	/* Refusals come in bursts (a full pod refuses the next arrival too), so
	 * the interval is by batch means, not binomial; 99.9 %. */
	batch_rejected(&m, "s0", 20, 0.999, &got, &half);
	cr_assert(fabs(got - b) < half, "blocking %.5f +- %.5f, Erlang B %.5f", got, half, b);
	cr_assert_float_eq(got, (double)s->rejected / (double)s->requests, 1e-9);
	cr_assert_eq(s->errors, s->rejected);
	cr_assert_eq(s->timeouts, 0);
	memsink_free(&m);
	test_scn_free(sc);
}

/* One worker and K - 1 queue places: M/M/1/K, blocking (1-rho) rho^K / (1 - rho^(K+1)). */
Test(model, accept_queue_overflow_is_mm1k)
{
	struct scenario *sc = test_scn(1, 1, 1, exp10ms, 90, 4000 * SIM_S, 10 * SIM_S);
	sc->services[0].queue = 4; /* K = 5 */
	struct memsink m;
	run(sc, 4, &m);
	double rho = 0.9, K = 5, b = (1 - rho) * pow(rho, K) / (1 - pow(rho, K + 1)), got, half;
	batch_rejected(&m, "s0", 20, 0.999, &got, &half); /* 99.9 %, as above */
	cr_assert(fabs(got - b) < half, "blocking %.5f +- %.5f, M/M/1/K %.5f", got, half, b);
	memsink_free(&m);
	test_scn_free(sc);
}

/* Without contention (ample cores and workers) a request's latency is its
 * own CPU time plus its downstream call's, exactly. */
Test(model, fanout_latency_adds_downstream_exactly)
{
	struct scenario *sc = test_scn(2, 1000, 100000, (struct dist){DIST_CONSTANT, 0.010, 0}, 50, 600 * SIM_S,
				       10 * SIM_S);
	sc->services[1].cpu_per_request = (struct dist){DIST_CONSTANT, 0.020, 0};
	sc->services[0].calls = xcalloc(1, sizeof(struct scn_call));
	sc->services[0].calls[0] = (struct scn_call){1, 1.0};
	sc->services[0].n_calls = 1;
	struct memsink m;
	run(sc, 5, &m);
	const struct row_summary *o = memsink_summary(&m, "s0"), *p = memsink_summary(&m, "s1");
	cr_assert_float_eq(o->mean_ms, 30.0, 1e-6);
	cr_assert_float_eq(p->mean_ms, 20.0, 1e-6);
	cr_assert_float_eq(o->max_ms, 30.0, 1e-6);
	cr_assert_eq(o->errors, 0);
	/* Every served order made one payment call (those in flight at the end
	 * aside). */
	cr_assert(p->requests >= o->served && p->requests <= o->served + 5);
	memsink_free(&m);
	test_scn_free(sc);
}

/* A call made with probability 0.6: the callee sees a binomial share. */
Test(model, fanout_probability_thins_calls)
{
	struct scenario *sc = test_scn(2, 1000, 100000, exp10ms, 200, 500 * SIM_S, 10 * SIM_S);
	sc->services[0].calls = xcalloc(1, sizeof(struct scn_call));
	sc->services[0].calls[0] = (struct scn_call){1, 0.6};
	sc->services[0].n_calls = 1;
	struct memsink m;
	run(sc, 6, &m);
	const struct row_summary *o = memsink_summary(&m, "s0"), *p = memsink_summary(&m, "s1");
	double n = (double)o->requests, got = (double)p->requests / n, sd = sqrt(0.6 * 0.4 / n);
	cr_assert(fabs(got - 0.6) < 4 * sd, "share %.4f (sd %.4f)", got, sd);
	memsink_free(&m);
	test_scn_free(sc);
}

/* The callee takes 2 s, the caller waits 500 ms: every call times out at the
 * callee, every caller fails with an error that is not its own timeout, and
 * the caller answers 500 ms (plus its own 10 ms) after it arrived. */
Test(model, downstream_timeout_fails_the_caller)
{
	struct scenario *sc = test_scn(2, 1000, 100000, (struct dist){DIST_CONSTANT, 0.010, 0}, 20, 300 * SIM_S,
				       10 * SIM_S);
	sc->services[1].cpu_per_request = (struct dist){DIST_CONSTANT, 2.0, 0};
	sc->services[1].timeout = 500 * SIM_MS;
	sc->services[0].timeout = 10 * SIM_S;
	sc->services[0].calls = xcalloc(1, sizeof(struct scn_call));
	sc->services[0].calls[0] = (struct scn_call){1, 1.0};
	sc->services[0].n_calls = 1;
	struct memsink m;
	run(sc, 7, &m);
	const struct row_summary *o = memsink_summary(&m, "s0"), *p = memsink_summary(&m, "s1");
	cr_assert_eq(o->served, 0);
	cr_assert_gt(o->errors, 5000);
	cr_assert_eq(o->timeouts, 0);
	cr_assert_eq(o->rejected, 0);
	cr_assert_eq(p->timeouts, o->errors);
	cr_assert_eq(p->served, 0);
	cr_assert(isnan(o->p99_ms)); /* latency is over successes only */
	memsink_free(&m);
	test_scn_free(sc);
}

/* An entry request answered after its deadline is a timeout; one still
 * queued at its deadline is dropped without using CPU. */
Test(model, entry_timeouts_are_counted_lazily_but_exactly)
{
	/* 1 worker, constant 300 ms, timeout 1 s, 10 rps: hopeless overload;
	 * the pod can only finish requests that waited < 700 ms. */
	struct scenario *sc = test_scn(1, 1, 1, (struct dist){DIST_CONSTANT, 0.300, 0}, 10, 600 * SIM_S,
				       10 * SIM_S);
	sc->services[0].timeout = SIM_S;
	struct memsink m;
	run(sc, 8, &m);
	const struct row_summary *s = memsink_summary(&m, "s0");
	/* The pod never idles: requests that waited under 1 s start, use 300 ms
	 * of CPU each, and all but the lucky few answer late (congestion
	 * collapse: the head of the queue is always nearly 1 s old). */
	cr_assert_float_eq(s->cpu_util, 1.0, 0.001);
	double started = s->cpu_util * 600 / 0.3; /* 2000 */
	/* Requests that ended without using CPU were dropped from the queue. */
	double ended = (double)(s->served + s->errors);
	cr_assert_gt(ended - started, 3500, "ended %g, started %g", ended, started);
	cr_assert_eq(s->errors, s->timeouts);
	cr_assert_eq(s->rejected, 0);
	/* A success answered within its 1 s deadline. */
	cr_assert_gt(s->served, 0);
	cr_assert_leq(s->max_ms, 1000.0);
	cr_assert_lt(s->served, 300);
	memsink_free(&m);
	test_scn_free(sc);
}

/* A CPU limit of half a core: a lone request runs at half speed. */
Test(model, half_core_limit_halves_speed)
{
	struct scenario *sc = test_scn(1, 0.5, 10, (struct dist){DIST_CONSTANT, 0.010, 0}, 1, 600 * SIM_S,
				       10 * SIM_S);
	struct memsink m;
	run(sc, 9, &m);
	const struct row_summary *s = memsink_summary(&m, "s0");
	/* Arrivals 1/s rarely overlap a 20 ms service: the median is exact. */
	cr_assert_float_eq(s->p50_ms, 20.0, 20.0 / 128);
	memsink_free(&m);
	test_scn_free(sc);
}

/* Processor sharing, two requests at once on one core: each runs at half
 * speed while both run. Two arrivals at known times, through the world. */
static simtime inject(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	(void)arg;
	struct world *w = obj;
	svc_arrive(w, &w->svcs[0], REQ_NONE);
	return SIM_DONE;
}

Test(model, processor_sharing_by_hand)
{
	struct scenario *sc = test_scn(1, 1, 10, (struct dist){DIST_CONSTANT, 0.100, 0}, 1, 10 * SIM_S, SIM_S);
	sc->services[0].traffic.enabled = false;
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct sim s;
	sim_init(&s, 1, sc->duration);
	struct world *w = world_new(&s, sc, &out);
	/* A at 0 ms, B at 50 ms, both 100 ms of CPU. A alone 50 ms (50 done),
	 * then both at half speed: A's last 50 ms takes 100 ms -> A ends at 150
	 * (latency 150). B has 50 done at 150, alone again: ends at 200
	 * (latency 150). */
	sim_at(&s, 100 * SIM_MS, PRIO_REQUEST, inject, w, 0);
	sim_at(&s, 150 * SIM_MS, PRIO_REQUEST, inject, w, 0);
	sim_run(&s);
	world_finish(w);
	const struct row_summary *r = memsink_summary(&m, "s0");
	cr_assert_eq(r->served, 2);
	cr_assert_float_eq(r->max_ms, 150.0, 1e-6);
	cr_assert_float_eq(r->mean_ms, 150.0, 1e-6);
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	test_scn_free(sc);
}

/* A fresh pod with warm-up factor 3 and time constant 10 s: a request
 * starting at t takes 10 ms x (1 + 2 exp(-t / 10 s)). Arrivals are Poisson,
 * so an interval's mean latency estimates that curve's average over it. */
Test(model, warmup_decays_exponentially)
{
	struct scenario *sc = test_scn(1, 1000, 100000, (struct dist){DIST_CONSTANT, 0.010, 0}, 2000, 60 * SIM_S,
				       5 * SIM_S);
	sc->services[0].warmup_factor = 3;
	sc->services[0].warmup_duration = 10 * SIM_S;
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct sim s;
	sim_init(&s, 10, sc->duration);
	struct world *w = world_new(&s, sc, &out);
	w->svcs[0].pods[0]->born = 0; /* as if it had just started */
	sim_run(&s);
	world_finish(w);
	for (size_t i = 0; i < m.n_samples; i++) {
		double b = m.samples[i].t_s, a = b - 5, tau = 10;
		double want = 10 * (1 + 2 * tau / (b - a) * (exp(-a / tau) - exp(-b / tau)));
		/* ~10^4 requests per interval; the curve varies by < 20 % within
		 * one, so the sampling error is well under 0.5 %. */
		cr_assert(fabs(m.samples[i].mean_ms - want) < 0.005 * want, "[%g, %g): %.4f ms, want %.4f", a, b,
			  m.samples[i].mean_ms, want);
	}
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	test_scn_free(sc);
}

/* CPU used / requested = lambda E[S] / (pods x request). */
Test(model, cpu_utilisation_is_offered_work)
{
	struct scenario *sc = test_scn(1, 4, 4, exp10ms, 200, 1000 * SIM_S, 10 * SIM_S);
	struct memsink m;
	run(sc, 11, &m);
	const struct row_summary *s = memsink_summary(&m, "s0");
	/* 2 cores used of 4: 0.5. The estimate is a sum of ~2e5 exponential
	 * demands: relative sd 1/sqrt(2e5) = 0.22 %, plus the arrival count's
	 * 0.22 %; 4 sd of both < 1.3 %. */
	cr_assert(fabs(s->cpu_util - 0.5) < 0.5 * 0.013, "cpu_util %.4f", s->cpu_util);
	memsink_free(&m);
	test_scn_free(sc);
}

static void same_rows(const struct memsink *a, const struct memsink *b)
{
	cr_assert_eq(a->n_samples, b->n_samples);
	for (size_t i = 0; i < a->n_samples; i++) {
		struct row_sample x = a->samples[i], y = b->samples[i];
		cr_assert_str_eq(x.service, y.service);
		x.service = y.service = NULL;
		cr_assert(!memcmp(&x, &y, sizeof x), "sample %zu differs", i);
	}
	cr_assert_eq(a->n_summaries, b->n_summaries);
	for (size_t i = 0; i < a->n_summaries; i++) {
		struct row_summary x = a->summaries[i], y = b->summaries[i];
		x.service = y.service = NULL;
		cr_assert(!memcmp(&x, &y, sizeof x), "summary %zu differs", i);
	}
}

Test(model, same_seed_same_rows_other_seed_other_rows)
{
	struct scenario *sc = test_scn(2, 2, 8, (struct dist){DIST_LOGNORMAL, 0.010, 0.7}, 150, 120 * SIM_S,
				       10 * SIM_S);
	sc->services[0].replicas = 3;
	sc->services[0].balancer = BALANCER_LEAST_REQUEST;
	sc->services[0].queue = 5;
	sc->services[0].calls = xcalloc(1, sizeof(struct scn_call));
	sc->services[0].calls[0] = (struct scn_call){1, 0.5};
	sc->services[0].n_calls = 1;
	struct memsink a, b, c;
	run(sc, 21, &a);
	run(sc, 21, &b);
	run(sc, 22, &c);
	same_rows(&a, &b);
	cr_assert_neq(a.summaries[0].requests, c.summaries[0].requests);
	memsink_free(&a);
	memsink_free(&b);
	memsink_free(&c);
	test_scn_free(sc);
}

