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
#include <stdlib.h>
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
	cr_assert_eq(f.sv->lb.groups[0].mode, BAL_P2C, "equal weights use no EDF schedule");
	fx_close(&f);
}

/* A pod whose node is lost answers nothing, so least request shuns it
 * however idle it looks. Two choices: idle pod 0 is lost, pods 1 and 2
 * hold 5 requests each: pod 0 is taken only when both draws are it, 1/9
 * (binomial, 4 sd; without the rule it would win 5/9). Weighted (EDF): its
 * weight is divided by LOST_ACTIVE, so 1,000 picks never reach it. */
Test(balancer, least_request_shuns_a_lost_pod)
{
	struct fx f;
	fx_open(&f, BALANCER_LEAST_REQUEST, 3);
	f.sv->pods[0]->lost = true;
	f.sv->pods[1]->n_busy = f.sv->pods[2]->n_busy = 5;
	int n0 = 0;
	for (int i = 0; i < 30000; i++)
		n0 += bal_pick(f.sv) == 0;
	double p = 1.0 / 9;
	cr_assert(fabs(n0 / 30000.0 - p) < 4 * sqrt(p * (1 - p) / 30000), "pod 0: %d of 30000", n0);
	bal_set_weight(f.sv, f.sv->pods[1], 2);
	n0 = 0;
	for (int i = 0; i < 1000; i++)
		n0 += bal_pick(f.sv) == 0;
	cr_assert_eq(f.sv->lb.groups[0].mode, BAL_EDF);
	cr_assert_eq(n0, 0, "EDF: the lost pod took %d of 1000", n0);
	f.sv->pods[0]->lost = false;
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

/* ---- helpers for the cases below ---- */

/* A new pod, Ready at t with endpoint weight `weight`: its slot. */
static uint32_t fx_ready(struct fx *f, simtime t, double weight)
{
	f->s.now = t;
	struct pod *p = svc_pod_new(f->w, f->sv);
	p->phase = POD_RUNNING;
	bal_set_weight(f->sv, p, weight);
	svc_set_ready(f->sv, p, true);
	return p->idx;
}

/* The next picks are the slots in `seq`, one digit each (an Envoy test's
 * host indices, which are the slots here). */
static void expect_picks(struct fx *f, const char *seq, const char *what)
{
	for (size_t i = 0; seq[i]; i++) {
		uint32_t got = bal_pick(f->sv);
		cr_assert_eq(got, (uint32_t)(seq[i] - '0'), "%s: pick %zu of \"%s\" went to pod %u", what, i + 1, seq,
			     got);
	}
}

/* Envoy's runCallbacks: the schedule rebuilt at time t. */
static void fx_refresh(struct fx *f, simtime t)
{
	f->s.now = t;
	bal_refresh(f->sv, 0);
}

static struct scn_slow_start envoy_ss(double window_s, double aggression, double min_weight)
{
	return (struct scn_slow_start){SLOW_START_ENVOY, (simtime)(window_s * SIM_S), aggression, min_weight};
}

/* ---- weighted round robin: Envoy's EDF schedule ---- */

/* Weights 1, 2, 3, 4: after every 10 picks (one turn of the schedule's
 * time) each pod has had exactly `turns x weight` of them; weights 0.5,
 * 1.5, 2 likewise after every 8 (two units of the schedule's time). */
Test(balancer, weighted_round_robin_shares_are_exact_over_each_cycle)
{
	struct fx f;
	fx_open(&f, BALANCER_ROUND_ROBIN, 4);
	for (uint32_t i = 0; i < 4; i++)
		bal_set_weight(f.sv, f.sv->pods[i], i + 1);
	int n[4] = {0};
	for (int k = 1; k <= 100; k++) {
		for (int i = 0; i < 10; i++)
			n[bal_pick(f.sv)]++;
		for (int j = 0; j < 4; j++)
			cr_assert_eq(n[j], k * (j + 1), "after %d cycles pod %d has %d picks", k, j, n[j]);
	}
	cr_assert_eq(f.sv->lb.groups[0].mode, BAL_EDF);
	fx_close(&f);

	fx_open(&f, BALANCER_ROUND_ROBIN, 3);
	static const double w[3] = {0.5, 1.5, 2};
	for (uint32_t i = 0; i < 3; i++)
		bal_set_weight(f.sv, f.sv->pods[i], w[i]);
	int m[3] = {0};
	for (int k = 1; k <= 100; k++) {
		for (int i = 0; i < 8; i++)
			m[bal_pick(f.sv)]++;
		for (int j = 0; j < 3; j++)
			cr_assert_eq(m[j], (int)(2 * k * w[j]), "after %d cycles pod %d has %d picks", k, j, m[j]);
	}
	fx_close(&f);
}

/* Envoy RoundRobinLoadBalancerTest.Weighted: hosts of weight 1 and 2; the
 * weights swapped in place (Envoy applies a changed weight as the host is
 * put back after its turn, without rebuilding); a host of weight 3 added
 * (a rebuild); two removed and one of weight 4 added, the first at weight
 * 1 again. */
Test(envoy, round_robin_weighted)
{
	struct fx f;
	fx_open(&f, BALANCER_ROUND_ROBIN, 2);
	bal_set_weight(f.sv, f.sv->pods[1], 2);
	expect_picks(&f, "101101", "weights 1, 2");
	f.sv->pods[0]->lb.weight = 2;
	f.sv->pods[1]->lb.weight = 1;
	expect_picks(&f, "10010010", "weights 2, 1 in place");
	cr_assert_eq(fx_ready(&f, 0, 3), 2);
	expect_picks(&f, "202102202102", "weights 2, 1, 3");
	svc_set_ready(f.sv, f.sv->pods[1], false);
	svc_set_ready(f.sv, f.sv->pods[2], false);
	cr_assert_eq(fx_ready(&f, 0, 4), 3);
	f.sv->pods[0]->lb.weight = 1;
	expect_picks(&f, "3330333303", "weights 1, 4");
	fx_close(&f);
}

/* ---- least request ---- */

/* Envoy LeastRequestLoadBalancerTest.WeightImbalance: weights 1 and 2, so
 * an EDF schedule by weight / (active + 1): 2:1; host 1 with one request
 * in flight, 1:1; host 0 with one and host 1 idle, 4:1. */
Test(envoy, least_request_weight_imbalance)
{
	struct fx f;
	fx_open(&f, BALANCER_LEAST_REQUEST, 2);
	bal_set_weight(f.sv, f.sv->pods[1], 2);
	expect_picks(&f, "101101", "2:1");
	f.sv->pods[1]->n_busy = 1;
	expect_picks(&f, "10101", "1:1");
	f.sv->pods[0]->n_busy = 1;
	f.sv->pods[1]->n_busy = 0;
	expect_picks(&f, "0111011110", "4:1");
	fx_close(&f);
}

/* Envoy LeastRequestLoadBalancerTest.WeightImbalanceWithCustomActiveRequestBias:
 * active_request_bias 0 ignores the requests in flight: 2:1 regardless. */
Test(envoy, least_request_active_request_bias_zero)
{
	struct fx f;
	fx_open(&f, BALANCER_LEAST_REQUEST, 2);
	f.sc->services[0].active_request_bias = 0;
	bal_set_weight(f.sv, f.sv->pods[1], 2);
	f.sv->pods[1]->n_busy = 1;
	expect_picks(&f, "101101", "2:1");
	fx_close(&f);
}

/* With unequal weights each pod's share over many picks is its weight /
 * (active + 1)^bias over the sum of them (the counts in flight held still):
 * weights 1, 2, 4 with 0, 1, 3 requests in flight are shares 1:1:1 at bias
 * 1 (exact every 3 picks), 1 : 2/2^0.5 : 4/4^0.5 at bias 0.5 and 1 : 1/2 :
 * 1/4 at bias 2 (within 2 picks of the share after 7,000). */
Test(balancer, least_request_unequal_weights_follow_envoys_rule)
{
	static const double bias[3] = {1, 0.5, 2};
	for (int b = 0; b < 3; b++) {
		struct fx f;
		fx_open(&f, BALANCER_LEAST_REQUEST, 3);
		f.sc->services[0].active_request_bias = bias[b];
		double e[3], sum = 0;
		for (uint32_t i = 0; i < 3; i++) {
			double w = 1 << i, active = i == 0 ? 0 : 2 * i - 1;
			bal_set_weight(f.sv, f.sv->pods[i], w);
			f.sv->pods[i]->n_busy = (uint32_t)active;
			sum += e[i] = w / pow(active + 1, bias[b]);
		}
		int n[3] = {0};
		for (int k = 1; k <= 7000; k++) {
			n[bal_pick(f.sv)]++;
			if (b == 0 && k % 3 == 0)
				cr_assert(n[0] == k / 3 && n[1] == k / 3 && n[2] == k / 3, "bias 1, %d picks: %d %d %d", k,
					  n[0], n[1], n[2]);
		}
		for (int i = 0; i < 3; i++)
			cr_assert(fabs(n[i] - 7000 * e[i] / sum) <= 2, "bias %g: pod %d has %d picks, share %g", bias[b], i,
				  n[i], 7000 * e[i] / sum);
		fx_close(&f);
	}
}

/* ---- weighted random ---- */

/* Weights 1 and 3: pod 1 takes 3/4 (binomial, 4 sd); weights 1, 2, 3, 4:
 * chi-square against shares 0.1 to 0.4 (3 df, 0.999 quantile 16.27). */
Test(balancer, weighted_random_follows_the_weights)
{
	struct fx f;
	fx_open(&f, BALANCER_RANDOM, 2);
	bal_set_weight(f.sv, f.sv->pods[1], 3);
	int n1 = 0;
	for (int i = 0; i < 100000; i++)
		n1 += bal_pick(f.sv) == 1;
	cr_assert(fabs(n1 / 100000.0 - 0.75) < 4 * sqrt(0.75 * 0.25 / 100000), "pod 1: %d of 100000", n1);
	fx_close(&f);

	fx_open(&f, BALANCER_RANDOM, 4);
	for (uint32_t i = 0; i < 4; i++)
		bal_set_weight(f.sv, f.sv->pods[i], i + 1);
	int n[4] = {0};
	for (int i = 0; i < 100000; i++)
		n[bal_pick(f.sv)]++;
	double chi = 0;
	for (int i = 0; i < 4; i++) {
		double want = 100000 * (i + 1) / 10.0;
		chi += (n[i] - want) * (n[i] - want) / want;
	}
	cr_assert_lt(chi, 16.27);
	fx_close(&f);
}

/* ---- slow start ---- */

/* Envoy's factor max(min, (t / window)^(1 / aggression)), t at least 1 ms,
 * and an ALB's t / window, by hand; 1 from the end of the window. */
Test(balancer, slow_start_factor_by_hand)
{
	struct fx f;
	fx_open_ss(&f, BALANCER_ROUND_ROBIN, 1, envoy_ss(60, 1, 0.1));
	const struct pod *p = f.sv->pods[fx_ready(&f, 10 * SIM_S, 1)];
	cr_assert_eq(bal_ramp(f.sv, f.sv->pods[0], 10 * SIM_S), 1, "a pod of t = 0 does not ramp");
	cr_assert_float_eq(bal_ramp(f.sv, p, 10 * SIM_S), 0.1, 1e-12, "at once: the minimum");
	cr_assert_float_eq(bal_ramp(f.sv, p, 13 * SIM_S), 0.1, 1e-12, "3/60 is below the minimum");
	cr_assert_float_eq(bal_ramp(f.sv, p, 40 * SIM_S), 0.5, 1e-12, "half the window");
	cr_assert_float_eq(bal_ramp(f.sv, p, 70 * SIM_S - 1), 1 - 1.0 / 60e9, 1e-12, "the last ns");
	cr_assert_eq(bal_ramp(f.sv, p, 70 * SIM_S), 1, "the window is over");
	f.sc->services[0].slow_start.aggression = 2;
	cr_assert_float_eq(bal_ramp(f.sv, p, 25 * SIM_S), 0.5, 1e-12, "(15/60)^(1/2)");
	f.sc->services[0].slow_start.aggression = 0.5;
	cr_assert_float_eq(bal_ramp(f.sv, p, 40 * SIM_S), 0.25, 1e-12, "(30/60)^2");
	cr_assert_float_eq(bal_ramp(f.sv, p, 25 * SIM_S), 0.1, 1e-12, "(15/60)^2 is below the minimum");
	f.sc->services[0].slow_start.min_weight = 0;
	cr_assert_float_eq(bal_ramp(f.sv, p, 10 * SIM_S), 1.0 / 60000 / 60000, 1e-18, "(1 ms / 60 s)^2");
	f.sc->services[0].slow_start = (struct scn_slow_start){SLOW_START_ALB, 60 * SIM_S, 1, 0.1};
	cr_assert_float_eq(bal_ramp(f.sv, p, 25 * SIM_S), 0.25, 1e-12, "ALB: 15/60");
	cr_assert_float_eq(bal_ramp(f.sv, p, 10 * SIM_S), 1.0 / 60000, 1e-15, "ALB: 1 ms / 60 s");
	fx_close(&f);
}

/* Envoy's slow start cases, one row each: a warm host 0, host 1 Ready at
 * 62 s (window 60 s), then at each step the schedule rebuilt (Envoy's
 * runCallbacks) and the picks Envoy's test expects.
 *   RoundRobinLoadBalancerTest.SlowStartNoWait: at 74 s host 1 weighs 12/60
 *     = 0.2 (4:1), at 82 s 20/60 (2:1), at 127 s the window is over: round
 *     robin again.
 *   RoundRobinLoadBalancerTest.SlowStartNoWaitNonLinearAggression:
 *     aggression 2: at 68 s (6/60)^(1/2) = 0.32 (3:1), at 88 s (26/60)^(1/2)
 *     = 0.66 (5:3).
 *   RoundRobinLoadBalancerTest.SlowStartNoWaitMinWeightPercent35: at 74 s
 *     max(0.2, 0.35) (5:2), at 92 s 0.5 (2:1).
 *   LeastRequestLoadBalancerTest.SlowStartNoWait: equal weights, but a host
 *     ramps, so an EDF schedule: at 72 s host 1 weighs 10/60 = 0.167 and
 *     host 0, given a request in flight after the rebuild, 0.5 once put
 *     back (3:1); at 102 s 0.667 against 0.5 (4:3). */
Test(envoy, slow_start_cases)
{
	static const struct {
		const char *name;
		enum balancer_kind kind;
		double aggression, min_weight;
		struct {
			int t;             /* s */
			const char *picks; /* NULL: no more steps */
		} step[3];
	} rows[] = {
		{"RoundRobinLoadBalancerTest.SlowStartNoWait", BALANCER_ROUND_ROBIN, 1, 0.1,
		 {{74, "00001"}, {82, "001"}, {127, "0101"}}},
		{"RoundRobinLoadBalancerTest.SlowStartNoWaitNonLinearAggression", BALANCER_ROUND_ROBIN, 2, 0.1,
		 {{68, "0001"}, {88, "01001010"}, {129, "0101"}}},
		{"RoundRobinLoadBalancerTest.SlowStartNoWaitMinWeightPercent35", BALANCER_ROUND_ROBIN, 1, 0.35,
		 {{74, "0010001"}, {92, "0100100"}, {137, "0101"}}},
		{"LeastRequestLoadBalancerTest.SlowStartNoWait", BALANCER_LEAST_REQUEST, 1, 0.1,
		 {{72, "0001"}, {102, "1010101"}, {0, NULL}}},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct fx f;
		fx_open_ss(&f, rows[i].kind, 1, envoy_ss(60, rows[i].aggression, rows[i].min_weight));
		cr_assert_eq(fx_ready(&f, 62 * SIM_S, 1), 1);
		for (int k = 0; k < 3 && rows[i].step[k].picks; k++) {
			fx_refresh(&f, rows[i].step[k].t * SIM_S);
			if (rows[i].kind == BALANCER_LEAST_REQUEST)
				f.sv->pods[0]->n_busy = 1;
			expect_picks(&f, rows[i].step[k].picks, rows[i].name);
		}
		if (rows[i].kind == BALANCER_ROUND_ROBIN)
			cr_assert_eq(f.sv->lb.groups[0].mode, BAL_RR, "%s: round robin after the window", rows[i].name);
		fx_close(&f);
	}
}

/* ---- an ALB's slow start ---- */

static const struct scn_slow_start alb_60s = {SLOW_START_ALB, 60 * SIM_S, 1, 0.1};

/* Four warm targets and one Ready at 10 s, window 60 s: in the second
 * after 10 + k s it weighs k/60, so it takes f / (4 + f) of 10,000 picks
 * (the schedule's error is under 2 picks); from 70 s round robin again,
 * exactly a fifth. */
Test(alb, slow_start_ramps_linearly)
{
	struct fx f;
	fx_open_ss(&f, BALANCER_ROUND_ROBIN, 4, alb_60s);
	uint32_t p = fx_ready(&f, 10 * SIM_S, 1);
	cr_assert_eq(f.sv->pods[p]->lb.since, 10 * SIM_S);
	for (int k = 5; k < 60; k += 5) {
		f.s.now = (10 + k) * SIM_S;
		int n = 0;
		for (int i = 0; i < 10000; i++)
			n += bal_pick(f.sv) == p;
		double fk = k / 60.0, want = 10000 * fk / (4 + fk);
		cr_assert(fabs(n - want) < 2, "at %d s of 60: %d picks, %g expected", k, n, want);
	}
	f.s.now = 70 * SIM_S;
	bal_pick(f.sv); /* the last update of the weights finds the window over */
	int n = 0;
	for (int i = 0; i < 5000; i++)
		n += bal_pick(f.sv) == p;
	cr_assert_eq(n, 1000);
	cr_assert_eq(f.sv->lb.groups[0].mode, BAL_RR);
	fx_close(&f);
}

/* Targets Ready together in an empty target group do not ramp; one Ready
 * after them does; one that leaves and comes back ramps anew; one Ready
 * when every other target ramps does not. */
Test(alb, who_enters_slow_start)
{
	struct fx f;
	fx_open_ss(&f, BALANCER_ROUND_ROBIN, 1, alb_60s);
	svc_set_ready(f.sv, f.sv->pods[0], false);
	uint32_t a = fx_ready(&f, 5 * SIM_S, 1), b = fx_ready(&f, 5 * SIM_S, 1), c = fx_ready(&f, 5 * SIM_S, 1);
	cr_assert(f.sv->pods[a]->lb.since == BAL_WARM && f.sv->pods[b]->lb.since == BAL_WARM &&
		  f.sv->pods[c]->lb.since == BAL_WARM);
	uint32_t d = fx_ready(&f, 6 * SIM_S, 1);
	cr_assert_eq(f.sv->pods[d]->lb.since, 6 * SIM_S);
	f.s.now = 8 * SIM_S;
	svc_set_ready(f.sv, f.sv->pods[d], false);
	cr_assert_eq(f.sv->pods[d]->lb.since, BAL_WARM, "leaving ends its slow start");
	f.s.now = 9 * SIM_S;
	svc_set_ready(f.sv, f.sv->pods[d], true);
	cr_assert_eq(f.sv->pods[d]->lb.since, 9 * SIM_S);
	f.s.now = 10 * SIM_S;
	svc_set_ready(f.sv, f.sv->pods[a], false);
	svc_set_ready(f.sv, f.sv->pods[b], false);
	svc_set_ready(f.sv, f.sv->pods[c], false);
	uint32_t e = fx_ready(&f, 11 * SIM_S, 1);
	cr_assert_eq(f.sv->pods[e]->lb.since, BAL_WARM, "only a ramping target beside it");
	fx_close(&f);
}

/* ---- groups ---- */

/* Pods 0-2 in group 0 (weight 9), pod 3 in group 1 (weight 1): pod 3 takes
 * a tenth (binomial, 4 sd) and group 0 goes round robin; a group drawn
 * without a Ready pod refuses its share; a group of weight 0 gets none. */
Test(balancer, group_weights_split_the_requests)
{
	struct fx f;
	fx_open(&f, BALANCER_ROUND_ROBIN, 4);
	bal_set_group(f.sv, f.sv->pods[3], 1);
	bal_set_group_weight(f.sv, 0, 9);
	bal_set_group_weight(f.sv, 1, 1);
	cr_assert(f.sv->lb.n_groups == 2 && f.sv->lb.groups[0].n_eps == 3 && f.sv->lb.groups[1].n_eps == 1);
	int n[4] = {0};
	for (int i = 0; i < 100000; i++)
		n[bal_pick(f.sv)]++;
	cr_assert(fabs(n[3] / 1e5 - 0.1) < 4 * sqrt(0.1 * 0.9 / 1e5), "pod 3: %d of 100000", n[3]);
	cr_assert(abs(n[0] - n[1]) <= 1 && abs(n[1] - n[2]) <= 1, "round robin in group 0: %d %d %d", n[0], n[1], n[2]);

	svc_set_ready(f.sv, f.sv->pods[3], false);
	int none = 0;
	for (int i = 0; i < 100000; i++)
		none += bal_pick(f.sv) == UINT32_MAX;
	cr_assert(fabs(none / 1e5 - 0.1) < 4 * sqrt(0.1 * 0.9 / 1e5), "refused: %d of 100000", none);

	bal_set_group_weight(f.sv, 1, 0);
	for (int i = 0; i < 1000; i++)
		cr_assert_neq(bal_pick(f.sv), UINT32_MAX);
	bal_set_group_weight(f.sv, 0, 0);
	cr_assert_eq(bal_pick(f.sv), UINT32_MAX, "every weight 0: nothing takes the request");
	fx_close(&f);
}

/* ---- the EDF schedule against a naive one ---- */

/* Envoy's rules written plainly: an array scanned for the earliest
 * (deadline, order), rebuilt (at the next pick) whenever the endpoints or
 * their weights changed, as the service's ready array lists them. */
struct naive {
	struct bal_edf e[16];
	uint32_t n;
	double vt;
	uint64_t order;
	bool stale;
};

static double naive_weight(const struct service *sv, const struct pod *p)
{
	double a = (double)(p->n_busy + p->q_len) + 1;
	return p->lb.weight / pow(a, sv->cfg->active_request_bias);
}

static uint32_t naive_pick(struct naive *r, const struct service *sv)
{
	if (sv->n_ready == 1)
		return sv->ready[0];
	if (r->stale) {
		r->n = sv->n_ready;
		r->vt = 0;
		for (uint32_t i = 0; i < r->n; i++) {
			double w = naive_weight(sv, sv->pods[sv->ready[i]]);
			r->e[i] = (struct bal_edf){1 / (w + 1e-13), w, i, sv->ready[i]};
		}
		r->order = r->n;
		r->stale = false;
	}
	uint32_t best = 0;
	for (uint32_t i = 1; i < r->n; i++)
		if (r->e[i].deadline < r->e[best].deadline ||
		    (r->e[i].deadline == r->e[best].deadline && r->e[i].order < r->e[best].order))
			best = i;
	struct bal_edf *x = &r->e[best];
	r->vt = x->deadline;
	double w = naive_weight(sv, sv->pods[x->pod]);
	*x = (struct bal_edf){r->vt + 1 / w, w, r->order++, x->pod};
	return x->pod;
}

/* 20,000 steps on 12 pods of distinct weights under least request (bias
 * 0.7): pods leave and come back, weights change, requests in flight come
 * and go; every pick must be the naive schedule's. */
Test(balancer, edf_matches_a_naive_schedule)
{
	struct fx f;
	fx_open(&f, BALANCER_LEAST_REQUEST, 12);
	f.sc->services[0].active_request_bias = 0.7;
	gsl_rng *r = rng_stream(99, 1, 0);
	for (uint32_t i = 0; i < 12; i++)
		bal_set_weight(f.sv, f.sv->pods[i], 0.5 + 0.37 * i);
	struct naive ref = {.stale = true};
	for (int step = 0; step < 20000; step++) {
		double u = rng_u01(r);
		struct pod *p = f.sv->pods[rng_below(r, 12)];
		if (u < 0.03 && (!p->ready || f.sv->n_ready > 2)) {
			svc_set_ready(f.sv, p, !p->ready);
			ref.stale = true;
		} else if (u < 0.06) {
			bal_set_weight(f.sv, p, 0.1 + 5 * rng_u01(r));
			ref.stale |= p->ready;
		} else if (u < 0.4) {
			p->n_busy = (uint32_t)rng_below(r, 6);
		} else {
			uint32_t want = naive_pick(&ref, f.sv), got = bal_pick(f.sv);
			cr_assert_eq(got, want, "step %d: pod %u, the naive schedule says %u", step, got, want);
		}
	}
	gsl_rng_free(r);
	fx_close(&f);
}

/* ---- shares of requests in whole runs ---- */

/* A run's probe: at 10 s a new pod becomes Ready; at two later times the
 * requests the pods have received so far are noted. */
struct probe {
	struct world *w;
	uint32_t pod;            /* the new pod's slot */
	double mine[2], all[2];  /* its requests and everyone's at the two marks */
};

static simtime probe_ready(struct sim *s, void *obj, uint64_t arg)
{
	(void)s, (void)arg;
	struct probe *pr = obj;
	struct service *sv = &pr->w->svcs[0];
	struct pod *p = svc_pod_new(pr->w, sv);
	p->phase = POD_RUNNING;
	svc_set_ready(sv, p, true);
	pr->pod = p->idx;
	return SIM_DONE;
}

static simtime probe_mark(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	struct probe *pr = obj;
	const struct service *sv = &pr->w->svcs[0];
	pr->mine[arg] = sv->pods[pr->pod]->received;
	pr->all[arg] = 0;
	for (uint32_t i = 0; i < sv->n_pods; i++)
		pr->all[arg] += sv->pods[i]->received;
	return SIM_DONE;
}

/* The new pod's share of the requests that arrive between 10 + a and
 * 10 + b s, and how many arrived then. */
static double run_share(struct scenario *sc, double a, double b, double *n)
{
	struct sim s;
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct probe pr = {0};
	sim_init(&s, 17, sc->duration);
	pr.w = world_new(&s, sc, &out);
	sim_at(&s, 10 * SIM_S, PRIO_CONTROL, probe_ready, &pr, 0);
	sim_at(&s, (simtime)((10 + a) * SIM_S), PRIO_CONTROL, probe_mark, &pr, 0);
	sim_at(&s, (simtime)((10 + b) * SIM_S), PRIO_CONTROL, probe_mark, &pr, 1);
	cr_assert_eq(sim_run(&s), 0);
	world_finish(pr.w);
	world_free(pr.w);
	sim_release(&s);
	memsink_free(&m);
	*n = pr.all[1] - pr.all[0];
	return (pr.mine[1] - pr.mine[0]) / *n;
}

/* With aggression 1 a new pod among n = 10 (9 warm) weighs 0.5 at half its
 * 60 s window, so it takes 0.5 / (n - 1 + 0.5) of the requests: measured
 * between 28 and 32 s after it is Ready, at 20,000 rps (80,000 requests),
 * within 4 binomial standard deviations (the weight's slope over those
 * 4 s moves the expected share by under 1e-5, far inside). Requests need
 * 1 us of CPU, so a pod holds none when it is put back and least request
 * weighs like round robin. Early in the window it weighs the minimum,
 * 0.1: a share of 0.1 / 9.1 between 1 and 5 s. */
Test(balancer, new_pod_takes_its_share_at_half_its_window)
{
	static const enum balancer_kind kinds[2] = {BALANCER_ROUND_ROBIN, BALANCER_LEAST_REQUEST};
	for (int k = 0; k < 2; k++) {
		struct scenario *sc = test_scn(1, 1, 100, (struct dist){DIST_CONSTANT, 1e-6, 0}, 20000, 43 * SIM_S,
					       SIM_S);
		sc->services[0].replicas = 9;
		sc->services[0].balancer = kinds[k];
		sc->services[0].slow_start = envoy_ss(60, 1, 0.1);
		double n, share = run_share(sc, 28, 32, &n), p = 0.5 / 9.5;
		cr_assert(fabs(share - p) < 4 * sqrt(p * (1 - p) / n), "%s: share %g of %g requests, want %g",
			  k ? "least request" : "round robin", share, n, p);
		share = run_share(sc, 1, 5, &n);
		p = 0.1 / 9.1;
		cr_assert(fabs(share - p) < 4 * sqrt(p * (1 - p) / n), "%s, minimum weight: share %g of %g requests, want %g",
			  k ? "least request" : "round robin", share, n, p);
		sc->services[0].slow_start.kind = SLOW_START_NONE;
		share = run_share(sc, 28, 32, &n);
		p = 0.1;
		cr_assert(fabs(share - p) < 4 * sqrt(p * (1 - p) / n), "%s, no slow start: share %g, want %g",
			  k ? "least request" : "round robin", share, p);
		test_scn_free(sc);
	}
}

/* ---- slow start in a whole run: scenarios/slow-start.yaml ---- */

/* What a run of scenarios/slow-start.yaml gives: checkout's summary and,
 * if asked, its sample rows, their service names cleared (they point into
 * the variant's scenario, which goes). */
struct ss_run {
	bool keep_samples;
	struct row_summary sum;
	struct row_sample *samples; /* owned, NULL unless kept */
	size_t n_samples;
};

static void keep_run(const struct memsink *m, void *ctx)
{
	struct ss_run *r = ctx;
	r->sum = *memsink_summary(m, "checkout");
	r->sum.service = NULL;
	if (!r->keep_samples)
		return;
	r->n_samples = m->n_samples;
	r->samples = xcalloc(m->n_samples ? m->n_samples : 1, sizeof *r->samples);
	for (size_t i = 0; i < m->n_samples; i++) {
		r->samples[i] = m->samples[i];
		r->samples[i].service = NULL;
	}
}

static struct ss_run run_variant(const struct scenario *sc, size_t v, uint64_t seed, bool samples)
{
	struct ss_run r = {.keep_samples = samples};
	memsink_run_variant(sc, v, seed, keep_run, &r);
	return r;
}

/* JVM-like pods (8x CPU when cold, 45 s time constant) scaled up by an HPA
 * in a spike: with Envoy's slow start (120 s window) and with an ALB's
 * (120 s), the run's p99 is under half of round robin's without and its
 * error rate lower, for three seeds; and a slow-start run gives the same
 * rows again. */
Test(run, slow_start_lowers_a_spikes_p99_for_cold_pods)
{
	struct scenario sc;
	struct herr e;
	cr_assert_eq(scn_load(&sc, "scenarios/slow-start.yaml", NULL, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(sc.n_variants, 3);
	cr_assert_str_eq(sc.variants[0].name, "none");
	for (uint64_t seed = 5; seed < 8; seed++) {
		struct row_summary none = run_variant(&sc, 0, seed, false).sum;
		for (size_t v = 1; v < 3; v++) {
			struct row_summary r = run_variant(&sc, v, seed, false).sum;
			cr_expect_lt(r.p99_ms, 0.5 * none.p99_ms, "seed %llu, %s: p99 %.1f ms against %.1f ms without",
				     (unsigned long long)seed, sc.variants[v].name, r.p99_ms, none.p99_ms);
			cr_expect_lt(r.error_rate, none.error_rate, "seed %llu, %s: errors %g against %g without",
				     (unsigned long long)seed, sc.variants[v].name, r.error_rate, none.error_rate);
			cr_expect_gt(r.pods_started, 0);
		}
	}
	struct ss_run a = run_variant(&sc, 1, 9, true), b = run_variant(&sc, 1, 9, true);
	cr_assert(!memcmp(&a.sum, &b.sum, sizeof a.sum), "the summaries differ");
	cr_assert_eq(a.n_samples, b.n_samples);
	for (size_t i = 0; i < a.n_samples; i++)
		cr_assert(!memcmp(&a.samples[i], &b.samples[i], sizeof a.samples[i]), "sample %zu differs", i);
	free(a.samples);
	free(b.samples);
	scn_free(&sc);
}
