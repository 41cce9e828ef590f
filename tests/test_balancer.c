/*
 * The balancers (models/balancer.h) on a service built by hand: each pick
 * against the rule it follows, the cases of Envoy's own tests that apply
 * (named after them: test/extensions/load_balancing_policies/round_robin/
 * round_robin_lb_test.cc and least_request/least_request_lb_test.cc, which
 * were test/common/upstream/load_balancer_impl_test.cc), slow start's
 * factor by hand, and shares of requests in whole runs.
 *
 * Statistical tests use fixed seeds; their tolerance is 4 standard
 * deviations of the estimator (binomial: sqrt(p (1 - p) / n); two-sided
 * 99.994 %), or a chi-square quantile, stated at each use. EDF schedules
 * are deterministic: their shares are checked exactly over whole cycles.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "harness.h"
#include "world.h"

static const struct dist exp10ms = {DIST_EXPONENTIAL, 0.010, 1};

/* A service of `pods` pods Ready and warm at t = 0, no traffic, balanced
 * by `k`, on a clock that is set by hand (nothing runs). */
struct fx {
	struct scenario *sc;
	struct sim s;
	struct world *w;
	struct service *sv;
};

static void fx_open_ss(struct fx *f, enum balancer_kind k, int pods, struct scn_slow_start ss)
{
	f->sc = test_scn(1, 1, 1, exp10ms, 1, SIM_S, SIM_S);
	f->sc->services[0].replicas = pods;
	f->sc->services[0].balancer = k;
	f->sc->services[0].slow_start = ss;
	f->sc->services[0].traffic.enabled = false;
	sim_init(&f->s, 1, SIM_S);
	struct sink none = {0};
	f->w = world_new(&f->s, f->sc, &none);
	f->sv = &f->w->svcs[0];
}

static const struct scn_slow_start no_ss = {SLOW_START_NONE, 0, 1, 0.1};

static void fx_open(struct fx *f, enum balancer_kind k, int pods)
{
	fx_open_ss(f, k, pods, no_ss);
}

static void fx_close(struct fx *f)
{
	for (uint32_t i = 0; i < f->sv->n_pods; i++)
		f->sv->pods[i]->n_busy = f->sv->pods[i]->q_len = 0;
	world_free(f->w);
	sim_release(&f->s);
	test_scn_free(f->sc);
}

Test(balancer, round_robin_takes_turns)
{
	struct fx f;
	fx_open(&f, BALANCER_ROUND_ROBIN, 4);
	for (uint32_t i = 0; i < 12; i++)
		cr_assert_eq(bal_pick(f.sv), i % 4);
	fx_close(&f);
}

Test(balancer, random_is_uniform)
{
	struct fx f;
	fx_open(&f, BALANCER_RANDOM, 5);
	int n[5] = {0};
	for (int i = 0; i < 100000; i++)
		n[bal_pick(f.sv)]++;
	double chi = 0;
	for (int i = 0; i < 5; i++)
		chi += (n[i] - 20000.0) * (n[i] - 20000.0) / 20000.0;
	cr_assert_lt(chi, 18.47); /* chi-square, 4 df, 0.999 quantile */
	fx_close(&f);
}

/* Equal weights: power of two choices as Envoy draws them (N_CHOICES,
 * choice_count 2: random() % size twice, with replacement). Pod 2 is idle,
 * pods 0 and 1 hold 5 requests each: pod 2 wins unless neither draw is it,
 * so with probability 1 - (2/3)^2 = 5/9. */
Test(balancer, least_request_draws_two_with_replacement)
{
	struct fx f;
	fx_open(&f, BALANCER_LEAST_REQUEST, 3);
	f.sv->pods[0]->n_busy = 5;
	f.sv->pods[1]->n_busy = 5;
	int n[3] = {0};
	for (int i = 0; i < 30000; i++)
		n[bal_pick(f.sv)]++;
	double p = 5.0 / 9;
	cr_assert(fabs(n[2] / 30000.0 - p) < 4 * sqrt(p * (1 - p) / 30000), "pod 2: %d of 30000", n[2]);
	cr_assert_not(f.sv->lb.groups[0].weighted, "equal weights use no EDF schedule");
	fx_close(&f);
}

Test(balancer, no_ready_pod_refuses)
{
	struct fx f;
	fx_open(&f, BALANCER_RANDOM, 2);
	f.sv->n_ready = 0;
	cr_assert_eq(bal_pick(f.sv), UINT32_MAX);
	cr_assert_eq(svc_arrive(f.w, f.sv, REQ_NONE), REQ_NONE);
	cr_assert_eq(f.sv->slo.iv.rejected, 1);
	f.sv->n_ready = 2;
	fx_close(&f);
}
