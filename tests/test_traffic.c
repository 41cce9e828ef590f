/*
 * The traffic generator: exact rates at hand-computed points, and arrival
 * counts against the Poisson process of that rate.
 *
 * Statistical checks use fixed seeds, so each is deterministic; their
 * bounds are derived, not tuned: 4.5 standard deviations for a single count
 * (two-sided tail 7e-6) and the chi-square quantile at 1 - 1e-6 for a set
 * of buckets, so an exact generator fails none of them by chance in
 * practice, while a wrong rate shape, a missing factor or a biased bound
 * (a thinning bound below the rate loses arrivals where it binds) does.
 */
#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>

#include "rng.h"
#include "traffic.h"

#define Z 4.5 /* standard deviations allowed for one count */

static struct scn_traffic constant(double rate)
{
	return (struct scn_traffic){.enabled = true, .rate = rate};
}

/* A trace pattern over borrowed rows. */
static struct scn_traffic traced(double scale, double *t, double *rps, size_t n)
{
	struct scn_traffic c = constant(scale);
	c.pattern.kind = PATTERN_TRACE;
	c.pattern.trace = (struct trace){.t = t, .rps = rps, .n = n};
	return c;
}

/*
 * Adds the arrivals in [0, nb x w) of (seed, service) to counts[bucket].
 * Checks that arrivals strictly increase. Returns the last time returned
 * (the first at or after the end, or SIM_FOREVER).
 */
static simtime count(const struct scn_traffic *c, uint64_t seed, int service, simtime w, size_t nb, double *counts)
{
	traffic *tr = traffic_new(c, seed, service);
	simtime end = w * (simtime)nb, t = 0, next;
	size_t bad = 0;
	for (; (next = traffic_next(tr, t)) < end; t = next) {
		bad += next <= t;
		counts[next / w]++;
	}
	traffic_free(tr);
	cr_assert_eq(bad, 0, "%zu arrivals not after the previous one", bad);
	return next;
}

static double sum(const double *x, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += x[i];
	return s;
}

/* The index of dispersion (sample variance / mean) of n counts. */
static double dispersion_index(const double *x, size_t n)
{
	double m = sum(x, n) / (double)n, ss = 0;
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - m) * (x[i] - m);
	return ss / (double)(n - 1) / m;
}

/* The integral of the rate over [a, b] (trapezoid on 1000 steps: exact for
 * a piecewise linear rate whose corners fall on the steps). */
static double integral(const traffic *tr, simtime a, simtime b)
{
	const int n = 1000;
	double h = sim_to_s(b - a) / n, s = 0;
	for (int i = 0; i <= n; i++) {
		double f = traffic_rate(tr, a + (b - a) * i / n);
		s += (i == 0 || i == n) ? f / 2 : f;
	}
	return s * h;
}

/* Pearson's chi-square of observed against expected counts; an arrival
 * where none can be is an infinite misfit. */
static double chi2(const double *obs, const double *expect, size_t n)
{
	double x = 0;
	for (size_t i = 0; i < n; i++) {
		if (expect[i] > 0)
			x += (obs[i] - expect[i]) * (obs[i] - expect[i]) / expect[i];
		else if (obs[i] > 0)
			return INFINITY;
	}
	return x;
}

static void expect_poisson(double got, double mean, const char *what)
{
	cr_expect(fabs(got - mean) < Z * sqrt(mean), "%s: %.0f arrivals, Poisson mean %.1f (off by %.2f sd)", what, got,
		  mean, (got - mean) / sqrt(mean));
}

/* --- exact rates --- */

#define S(x) ((simtime)((x) * 1e9))

Test(traffic, rate_of_spikes)
{
	struct spike sp[] = {{.start = S(10), .ramp = S(4), .hold = S(6), .decay = S(8), .factor = 5}};
	struct scn_traffic c = constant(100);
	c.spikes = sp;
	c.n_spikes = 1;
	traffic *tr = traffic_new(&c, 1, 0);
	cr_expect_float_eq(traffic_rate(tr, S(9.999)), 100, 1e-9);
	cr_expect_float_eq(traffic_rate(tr, S(10)), 100, 1e-9);
	cr_expect_float_eq(traffic_rate(tr, S(12)), 100 * (1 + 5) / 2.0, 1e-9); /* ramp midpoint */
	cr_expect_float_eq(traffic_rate(tr, S(14)), 500, 1e-9);
	cr_expect_float_eq(traffic_rate(tr, S(17)), 500, 1e-9); /* hold */
	cr_expect_float_eq(traffic_rate(tr, S(20)), 500, 1e-9); /* decay starts */
	cr_expect_float_eq(traffic_rate(tr, S(24)), 300, 1e-9); /* decay midpoint */
	cr_expect_float_eq(traffic_rate(tr, S(28)), 100, 1e-9); /* after decay */
	cr_expect_float_eq(traffic_rate(tr, S(1000)), 100, 1e-9);
	traffic_free(tr);

	/* A dip as a step in and out, overlapping a ramp: the factors multiply. */
	struct spike two[] = {{.start = S(10), .ramp = 0, .hold = S(5), .decay = 0, .factor = 0.25},
			      {.start = S(12), .ramp = S(4), .hold = 0, .decay = S(4), .factor = 3}};
	c.spikes = two;
	c.n_spikes = 2;
	tr = traffic_new(&c, 1, 0);
	cr_expect_float_eq(traffic_rate(tr, S(10) - 1), 100, 1e-9);
	cr_expect_float_eq(traffic_rate(tr, S(10)), 25, 1e-9);
	cr_expect_float_eq(traffic_rate(tr, S(14)), 25 * 2, 1e-9);
	cr_expect_float_eq(traffic_rate(tr, S(15) - 1), 25 * 2.5, 1e-6);
	cr_expect_float_eq(traffic_rate(tr, S(15)), 100 * 2.5, 1e-9);
	cr_expect_float_eq(traffic_rate(tr, S(16)), 300, 1e-9);
	cr_expect_float_eq(traffic_rate(tr, S(18)), 200, 1e-9);
	traffic_free(tr);
}

Test(traffic, rate_of_diurnal)
{
	struct scn_traffic c = constant(40);
	c.pattern = (struct pattern){.kind = PATTERN_DIURNAL, .amplitude = 0.5, .peak_s = 14 * 3600, .start_s = 6 * 3600};
	traffic *tr = traffic_new(&c, 1, 0);
	cr_expect_float_eq(traffic_rate(tr, 8 * SIM_HOUR), 40 * 1.5, 1e-9);  /* 14:00, the peak */
	cr_expect_float_eq(traffic_rate(tr, 20 * SIM_HOUR), 40 * 0.5, 1e-9); /* 12 h later */
	cr_expect_float_eq(traffic_rate(tr, 32 * SIM_HOUR), 40 * 1.5, 1e-9); /* the next day's peak */
	cr_expect_float_eq(traffic_rate(tr, 14 * SIM_HOUR), 40, 1e-9);       /* 20:00, a quarter day after */
	cr_expect_float_eq(traffic_rate(tr, 0), 40 * (1 + 0.5 * cos(-2 * M_PI / 3)), 1e-9); /* 06:00 */
	traffic_free(tr);
}

Test(traffic, rate_of_trace)
{
	double t[] = {0, 10, 20}, rps[] = {100, 200, 0};
	struct scn_traffic c = traced(2, t, rps, 3);
	traffic *tr = traffic_new(&c, 1, 0);
	cr_expect_float_eq(traffic_rate(tr, 0), 200, 1e-9);
	cr_expect_float_eq(traffic_rate(tr, S(5)), 300, 1e-9); /* midway: (100 + 200) / 2, times 2 */
	cr_expect_float_eq(traffic_rate(tr, S(10)), 400, 1e-9);
	cr_expect_float_eq(traffic_rate(tr, S(15)), 200, 1e-9);
	cr_expect_float_eq(traffic_rate(tr, S(25)), 0, 1e-9);  /* held at the last row */
	traffic_free(tr);
}

/* --- Poisson counts --- */

static void check_constant(const struct scn_traffic *c, double rate, const char *what)
{
	enum { NB = 200 };
	double counts[NB] = {0};
	count(c, 7, 0, SIM_S, NB, counts);
	expect_poisson(sum(counts, NB), rate * NB, what);
	/* Poisson counts per second: variance = mean, within the sampling sd
	 * of the index, sqrt(2 / (n - 1)). */
	double d = dispersion_index(counts, NB);
	cr_expect(fabs(d - 1) < Z * sqrt(2.0 / (NB - 1)), "%s: index of dispersion %.3f, want 1", what, d);
}

Test(traffic, constant_rate_is_poisson)
{
	struct scn_traffic c = constant(1000);
	check_constant(&c, 1000, "fast path");
	/* The same rate through thinning: a one-row trace scaled by 2. */
	double t[] = {0}, rps[] = {500};
	struct scn_traffic ct = traced(2, t, rps, 1);
	check_constant(&ct, 1000, "thinning");
}

/* Gaps of a Poisson process are exponential: P(gap > mean) = 1/e. */
Test(traffic, gaps_are_exponential)
{
	struct scn_traffic c = constant(50);
	traffic *tr = traffic_new(&c, 3, 0);
	const int n = 100000;
	int longer = 0;
	simtime t = 0;
	for (int i = 0; i < n; i++) {
		simtime next = traffic_next(tr, t);
		longer += next - t > 20 * SIM_MS;
		t = next;
	}
	traffic_free(tr);
	double p = exp(-1.0), sd = sqrt(n * p * (1 - p));
	cr_expect(fabs(longer - n * p) < Z * sd, "%d gaps over the mean, want %.0f +- %.0f", longer, n * p, sd);
}

/* Nanosecond rounding must not bias high rates. */
Test(traffic, high_rate)
{
	double counts[1] = {0};
	struct scn_traffic c = constant(2e6);
	count(&c, 5, 0, SIM_S, 1, counts);
	expect_poisson(counts[0], 2e6, "2e6 rps, fast path");
	double t[] = {0}, rps[] = {2e6};
	struct scn_traffic ct = traced(1, t, rps, 1);
	counts[0] = 0;
	count(&ct, 5, 0, SIM_S, 1, counts);
	expect_poisson(counts[0], 2e6, "2e6 rps, thinning");
}

/* Per-bucket counts against the integral of the rate; also checks the
 * test's own power: the same counts are far from a flat rate. */
static void check_shape(const struct scn_traffic *c, simtime w, size_t nb, int reps, const char *what)
{
	double *obs = calloc(nb, sizeof *obs), *expect = calloc(nb, sizeof *expect), *flat = calloc(nb, sizeof *flat);
	traffic *tr = traffic_new(c, 1, 0);
	for (size_t i = 0; i < nb; i++)
		expect[i] = reps * integral(tr, w * (simtime)i, w * (simtime)(i + 1));
	traffic_free(tr);
	for (int r = 0; r < reps; r++)
		count(c, 11, r, w, nb, obs);
	double total = sum(expect, nb);
	expect_poisson(sum(obs, nb), total, what);
	for (size_t i = 0; i < nb; i++)
		flat[i] = total / (double)nb;
	double x = chi2(obs, expect, nb), limit = gsl_cdf_chisq_Qinv(1e-6, (double)nb);
	cr_expect(x < limit, "%s: chi-square %.1f over %zu buckets, limit %.1f", what, x, nb, limit);
	cr_expect(chi2(obs, flat, nb) > 10 * limit, "%s: the shape is not visible in the counts", what);
	free(obs);
	free(expect);
	free(flat);
}

Test(traffic, diurnal_counts_follow_the_rate)
{
	struct scn_traffic c = constant(20);
	c.pattern = (struct pattern){.kind = PATTERN_DIURNAL, .amplitude = 0.8, .peak_s = 14 * 3600, .start_s = 6 * 3600};
	check_shape(&c, SIM_HOUR, 48, 1, "diurnal, 48 h");
}

Test(traffic, spike_counts_follow_the_rate)
{
	struct spike sp[] = {{.start = S(10), .ramp = S(4), .hold = S(6), .decay = S(8), .factor = 5},
			     {.start = S(16), .ramp = S(2), .hold = S(2), .decay = 0, .factor = 0.5},
			     {.start = S(40), .ramp = 0, .hold = S(5), .decay = 0, .factor = 0.2},
			     {.start = S(50), .ramp = 0, .hold = S(3), .decay = S(2), .factor = 3}};
	struct scn_traffic c = constant(200);
	c.spikes = sp;
	c.n_spikes = ARRAY_LEN(sp);
	check_shape(&c, SIM_S, 60, 20, "spikes");
	/* On a diurnal pattern, with buckets across the spike corners. */
	c.pattern = (struct pattern){.kind = PATTERN_DIURNAL, .amplitude = 0.5, .peak_s = 0, .start_s = 0};
	check_shape(&c, SIM_S / 2, 120, 20, "spikes on diurnal");
}

Test(traffic, trace_counts_follow_the_rate)
{
	double t[] = {0, 7.5, 10, 30, 31, 45}, rps[] = {50, 400, 0, 0, 300, 100};
	struct scn_traffic c = traced(1.5, t, rps, ARRAY_LEN(t));
	check_shape(&c, SIM_S / 2, 120, 20, "trace");
}

/* --- silence --- */

Test(traffic, trace_ending_at_zero_stops_for_ever)
{
	double t[] = {0, 10, 20}, rps[] = {100, 200, 0};
	struct scn_traffic c = traced(2, t, rps, 3);
	double n = 0;
	for (int r = 0; r < 20; r++) {
		double counts[1] = {0};
		/* Over a whole day: every arrival is before 20 s, then none. */
		cr_expect_eq(count(&c, 2, r, 24 * SIM_HOUR, 1, counts), SIM_FOREVER);
		traffic *tr = traffic_new(&c, 2, r);
		simtime last = 0, next;
		while ((next = traffic_next(tr, last)) != SIM_FOREVER)
			last = next;
		cr_expect(last < S(20), "arrival at %.9f s, after the trace fell to 0", sim_to_s(last));
		cr_expect_eq(traffic_next(tr, S(30)), SIM_FOREVER);
		traffic_free(tr);
		n += counts[0];
	}
	expect_poisson(n, 20 * 2 * (10 * 150 + 10 * 100), "trace to 0");
}

Test(traffic, zero_rate_is_forever)
{
	struct scn_traffic c = constant(0);
	traffic *tr = traffic_new(&c, 1, 0);
	cr_expect_eq(traffic_next(tr, 0), SIM_FOREVER);
	traffic_free(tr);

	struct spike sp[] = {{.start = S(1), .ramp = S(1), .hold = S(1), .decay = S(1), .factor = 10}};
	c.spikes = sp;
	c.n_spikes = 1;
	c.pattern = (struct pattern){.kind = PATTERN_DIURNAL, .amplitude = 0.5};
	tr = traffic_new(&c, 1, 0);
	cr_expect_eq(traffic_next(tr, 0), SIM_FOREVER);
	traffic_free(tr);

	double t[] = {0, 5}, rps[] = {0, 0};
	struct scn_traffic ct = traced(3, t, rps, 2);
	ct.spikes = sp;
	ct.n_spikes = 1;
	tr = traffic_new(&ct, 1, 0);
	cr_expect_eq(traffic_next(tr, 0), SIM_FOREVER);
	traffic_free(tr);
}

Test(traffic, zero_stretch_then_traffic)
{
	/* Silent for an hour, then a ramp to 50 rps in one second. */
	double t[] = {0, 3600, 3601}, rps[] = {0, 0, 50};
	struct scn_traffic c = traced(1, t, rps, 3);
	double n = 0;
	for (int r = 0; r < 10; r++) {
		traffic *tr = traffic_new(&c, 4, r);
		simtime next = traffic_next(tr, 0);
		cr_expect(next > S(3600), "arrival at %.9f s in the silence", sim_to_s(next));
		for (; next < S(3700); next = traffic_next(tr, next))
			n++;
		traffic_free(tr);
	}
	expect_poisson(n, 10 * (25 + 50 * 99), "after the silence");

	/* A month of silence is skipped, not walked a nanosecond at a time. */
	double tl[] = {0, 30 * 86400.0, 30 * 86400.0 + 1}, rl[] = {0, 0, 1000};
	struct scn_traffic cl = traced(1, tl, rl, 3);
	cl.dispersion_cv = 0.5;
	cl.dispersion_interval = SIM_MIN;
	traffic *tr = traffic_new(&cl, 4, 0);
	simtime next = traffic_next(tr, 0);
	cr_expect(next > S(30 * 86400.0) && next < S(30 * 86400.0 + 60), "first arrival at %.3f s", sim_to_s(next));
	traffic_free(tr);
}

/* --- over-dispersion --- */

Test(traffic, dispersion_index)
{
	enum { NB = 4000 }; /* 10 s intervals */
	const double rate = 100, cv = 1, m = rate * 10;
	double *counts = calloc(NB, sizeof *counts);
	struct scn_traffic c = constant(rate);
	c.dispersion_cv = cv;
	c.dispersion_interval = 10 * SIM_S;
	count(&c, 9, 0, 10 * SIM_S, NB, counts);
	/* Counts are Poisson given a gamma factor G (mean 1, var cv^2):
	 * var = m + cv^2 m^2, so the index is 1 + cv^2 m. The index's sampling
	 * sd is about sqrt((kurtosis - 1) / n) of it, with the gamma's kurtosis
	 * 3 + 6 cv^2 (the Poisson part adds little at m = 1000). */
	double want = 1 + cv * cv * m, d = dispersion_index(counts, NB);
	double tol = Z * sqrt((2 + 6 * cv * cv) / NB) * want;
	cr_expect(d > 100, "index of dispersion %.1f: no over-dispersion", d);
	cr_expect(fabs(d - want) < tol, "index of dispersion %.1f, want %.1f +- %.1f", d, want, tol);
	double mean = sum(counts, NB) / NB, sd = sqrt((m + cv * cv * m * m) / NB);
	cr_expect(fabs(mean - m) < Z * sd, "mean per interval %.1f, want %.1f +- %.1f", mean, m, Z * sd);

	/* cv 0 is plain Poisson, by the fast path or through thinning. */
	for (int k = 0; k < 2; k++) {
		double t[] = {0}, rps[] = {rate};
		struct scn_traffic c0 = k ? traced(1, t, rps, 1) : constant(rate);
		c0.dispersion_interval = 10 * SIM_S;
		for (size_t i = 0; i < NB; i++)
			counts[i] = 0;
		count(&c0, 9, 0, 10 * SIM_S, NB, counts);
		d = dispersion_index(counts, NB);
		cr_expect(fabs(d - 1) < Z * sqrt(2.0 / (NB - 1)), "cv 0 (%s): index %.3f, want 1",
			  k ? "thinning" : "fast", d);
	}
	free(counts);
}

/* The factor of interval k is the k-th gamma draw of the RNG_DISPERSION
 * stream of (seed, service), whatever the arrivals or the base rate. */
Test(traffic, dispersion_factors_are_the_streams_draws)
{
	enum { NB = 50 };
	const double rate = 1000, cv = 0.7;
	double counts[NB] = {0}, f[NB];
	gsl_rng *r = rng_stream(21, RNG_DISPERSION, 3);
	for (int k = 0; k < NB; k++)
		f[k] = gsl_ran_gamma(r, 1 / (cv * cv), cv * cv);
	gsl_rng_free(r);
	struct spike sp[] = {{.start = S(100), .ramp = S(50), .hold = S(100), .decay = S(50), .factor = 2}};
	struct scn_traffic c = constant(rate);
	c.spikes = sp;
	c.n_spikes = 1;
	c.dispersion_cv = cv;
	c.dispersion_interval = 10 * SIM_S;
	count(&c, 21, 3, 10 * SIM_S, NB, counts);
	traffic *tr = traffic_new(&c, 21, 3);
	double x = 0;
	for (int k = 0; k < NB; k++) {
		double mu = f[k] * integral(tr, S(10 * k), S(10 * (k + 1)));
		x += (counts[k] - mu) * (counts[k] - mu) / mu;
	}
	traffic_free(tr);
	double limit = gsl_cdf_chisq_Qinv(1e-6, NB);
	cr_expect(x < limit, "counts against the stream's factors: chi-square %.1f, limit %.1f", x, limit);
}

/* At about one arrival per interval, a factor must still start at its
 * interval's boundary, not at the first arrival after it (low factors
 * would then linger, and the total would fall short). */
Test(traffic, dispersion_factors_at_low_rates)
{
	enum { NB = 4000 };
	const double rate = 0.1, cv = 2, interval_s = 10;
	gsl_rng *r = rng_stream(5, RNG_DISPERSION, 0);
	double mu = 0;
	for (int k = 0; k < NB; k++)
		mu += rate * interval_s * gsl_ran_gamma(r, 1 / (cv * cv), cv * cv);
	gsl_rng_free(r);
	struct scn_traffic c = constant(rate);
	c.dispersion_cv = cv;
	c.dispersion_interval = sim_from_s(interval_s);
	double n[1] = {0};
	count(&c, 5, 0, sim_from_s(interval_s * NB), 1, n);
	expect_poisson(n[0], mu, "low rate, cv 2");
}

/* Calls whose `now` is before the last arrival (allowed: only `now` must
 * not go backwards) go back to earlier intervals, whose factors must be the
 * same as the first time. */
Test(traffic, dispersion_replays_earlier_intervals)
{
	const double rate = 0.05, cv = 1;
	gsl_rng *r = rng_stream(8, RNG_DISPERSION, 0);
	double f0 = gsl_ran_gamma(r, 1, 1);
	gsl_rng_free(r);
	struct scn_traffic c = constant(rate);
	c.dispersion_cv = cv;
	c.dispersion_interval = 10 * SIM_S;
	traffic *tr = traffic_new(&c, 8, 0);
	const int n = 20000;
	int early = 0;
	for (int i = 0; i < n; i++)
		early += traffic_next(tr, 0) < 10 * SIM_S;
	traffic_free(tr);
	double p = 1 - exp(-rate * f0 * 10), sd = sqrt(n * p * (1 - p));
	cr_expect(fabs(early - n * p) < Z * sd, "%d arrivals in interval 0, want %.0f +- %.0f (factor %.3f)", early,
		  n * p, sd, f0);
}

/* --- determinism --- */

static void sequence(const struct scn_traffic *c, uint64_t seed, int service, simtime *out, int n)
{
	traffic *tr = traffic_new(c, seed, service);
	simtime t = 0;
	for (int i = 0; i < n; i++)
		t = out[i] = traffic_next(tr, t);
	traffic_free(tr);
}

static void check_determinism(const struct scn_traffic *c)
{
	enum { N = 20000 };
	static simtime a[N], b[N], d[N], e[N];
	sequence(c, 42, 0, a, N);
	sequence(c, 42, 0, b, N);
	sequence(c, 42, 1, d, N);
	sequence(c, 43, 0, e, N);
	int same = 0, other_service = 0, other_seed = 0;
	for (int i = 0; i < N; i++) {
		cr_assert(a[i] > (i ? a[i - 1] : 0), "arrival %d at %lld not after %lld", i, (long long)a[i],
			  (long long)(i ? a[i - 1] : 0));
		same += a[i] == b[i];
		other_service += a[i] == d[i];
		other_seed += a[i] == e[i];
	}
	cr_expect_eq(same, N, "the same seed gave a different sequence");
	cr_expect_eq(other_service, 0, "another service shares %d arrival times", other_service);
	cr_expect_eq(other_seed, 0, "another seed shares %d arrival times", other_seed);
}

Test(traffic, determinism)
{
	struct scn_traffic c = constant(300);
	check_determinism(&c);
	struct spike sp[] = {{.start = S(10), .ramp = S(4), .hold = S(6), .decay = S(8), .factor = 5}};
	c.spikes = sp;
	c.n_spikes = 1;
	c.pattern = (struct pattern){.kind = PATTERN_DIURNAL, .amplitude = 0.3, .peak_s = 3600};
	c.dispersion_cv = 0.5;
	c.dispersion_interval = 5 * SIM_S;
	check_determinism(&c);
}
