/*
 * A node's CPU shared by its pods (models/cpu.h): the cgroup weights
 * against the kubelet's and the runtimes' formulas, the split against
 * hand-computed cases, and whole runs against those cases and against
 * queueing theory (N pods on one C-core node behave as M/M/C, not as N
 * separate queues).
 *
 * Hand-computed references:
 * - MilliCPUToShares (kubernetes pkg/kubelet/cm/helpers_linux.go):
 *   1000m -> 1024, 2000m -> 2048, 1m -> 2 (MinShares).
 * - cgroup v2 linear (runc < 1.3.2): 1 + (s - 2) x 9999 / 262142, integer:
 *   1024 -> 39, 2048 -> 79.
 * - cgroup v2 log-quadratic (opencontainers/cgroups
 *   ConvertCPUSharesToCgroupV2Value): ceil(10^((l^2 + 125 l)/612 - 7/34)),
 *   l = log2(s): 1024 -> 10^2 = 100, 2048 -> ceil(10^2.23856) = 174;
 *   2 -> 1, 262144 -> 10000.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu.h"
#include "harness.h"

Test(cpu, shares_as_the_kubelet_computes_them)
{
	cr_expect_eq(cpu_shares(1.0), 1024);
	cr_expect_eq(cpu_shares(2.0), 2048);
	cr_expect_eq(cpu_shares(0.5), 512);
	cr_expect_eq(cpu_shares(0.001), 2); /* 1m: 1 share, raised to MinShares */
	cr_expect_eq(cpu_shares(0), 2);
	cr_expect_eq(cpu_shares(1000), 262144); /* MaxShares */
}

Test(cpu, weights_of_one_and_two_cores_under_each_mapping)
{
	cr_expect_eq(cpu_weight(SCN_CPU_V1, 1), 1024);
	cr_expect_eq(cpu_weight(SCN_CPU_V1, 2), 2048);
	cr_expect_eq(cpu_weight(SCN_CPU_V2_LINEAR, 1), 39);
	cr_expect_eq(cpu_weight(SCN_CPU_V2_LINEAR, 2), 79);
	cr_expect_eq(cpu_weight(SCN_CPU_V2_LOG_QUADRATIC, 1), 100);
	cr_expect_eq(cpu_weight(SCN_CPU_V2_LOG_QUADRATIC, 2), 174);
	cr_expect_eq(cpu_weight(SCN_CPU_V2_LOG_QUADRATIC, 0.001), 1);
	cr_expect_eq(cpu_weight(SCN_CPU_V2_LOG_QUADRATIC, 1000), 10000);
	cr_expect_eq(cpu_weight(SCN_CPU_V2_LINEAR, 1000), 10000);
}

static void split(size_t n, const double *d, const double *wt, double cpu, const double *want, int saturated)
{
	double a[8];
	uint32_t order[8];
	cr_assert_eq(cpu_split(n, d, wt, cpu, a, order), saturated);
	double sum = 0, dsum = 0;
	for (size_t i = 0; i < n; i++) {
		cr_expect(fabs(a[i] - want[i]) < 1e-12, "pod %zu: %.15g cores, want %.15g", i, a[i], want[i]);
		cr_expect(a[i] <= d[i] + 1e-12, "pod %zu over its demand", i);
		sum += a[i];
		dsum += d[i];
	}
	cr_expect(fabs(sum - fmin(cpu, dsum)) < 1e-12, "the split uses %.15g of min(%g, %g)", sum, cpu, dsum);
}

Test(cpu, demands_that_fit_are_met)
{
	split(3, (double[]){1, 0.5, 0}, (double[]){1024, 512, 2}, 4, (double[]){1, 0.5, 0}, 0);
	split(2, (double[]){2, 2}, (double[]){1024, 2048}, 4, (double[]){2, 2}, 0);
}

/* A saturated node divides by weight: requests of 1 and 2 cores, both
 * wanting 3 cores of a 3-core node: 1:2 under cgroup v1, 100:174 under
 * the log-quadratic v2 mapping, 39:79 under the linear one. */
Test(cpu, saturated_node_divides_by_weight)
{
	double d[] = {3, 3};
	split(2, d, (double[]){1024, 2048}, 3, (double[]){1, 2}, 1);
	split(2, d, (double[]){100, 174}, 3, (double[]){300.0 / 274, 522.0 / 274}, 1);
	split(2, d, (double[]){39, 79}, 3, (double[]){117.0 / 118, 237.0 / 118}, 1);
}

/* Water-filling: a pod wanting less than its share keeps its demand, the
 * rest divide what it leaves. 4 cores, equal weights, demands 0.5, 4, 4:
 * 0.5, 1.75, 1.75. With weights 1:1:2 and demands 1, 4, 4: the first gets
 * 1, the others divide 3 as 1:2. A pod with no demand gets nothing. */
Test(cpu, what_a_small_demand_leaves_goes_to_the_others)
{
	split(3, (double[]){0.5, 4, 4}, (double[]){100, 100, 100}, 4, (double[]){0.5, 1.75, 1.75}, 1);
	split(4, (double[]){1, 4, 4, 0}, (double[]){1, 1, 2, 5}, 4, (double[]){1, 1, 2, 0}, 1);
	/* Order of the input does not matter. */
	split(3, (double[]){4, 4, 0.5}, (double[]){100, 100, 100}, 4, (double[]){1.75, 1.75, 0.5}, 1);
}

/* ---- whole runs ---- */

static char dir[64];

static void mk(void)
{
	snprintf(dir, sizeof dir, "/tmp/hr-cpu-XXXXXX");
	cr_assert(mkdtemp(dir));
}

static void rm(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	unlink(path);
	rmdir(dir);
}

static struct memsink run_text(struct scenario *sc, const char *text)
{
	char path[128];
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	struct herr e;
	cr_assert_eq(scn_load(sc, path, NULL, 0, &e), 0, "%s", e.msg);
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct run_stats st;
	run_once(sc, sc->seed, &out, NULL, &st);
	return m;
}

/* Mean of a sample column of `service` over samples with t_s > from. */
static double sample_mean(const struct memsink *m, const char *service, double from, size_t off)
{
	double sum = 0;
	int n = 0;
	for (size_t i = 0; i < m->n_samples; i++) {
		const struct row_sample *r = &m->samples[i];
		if (r->t_s > from && !strcmp(r->service, service)) {
			sum += *(const double *)(const void *)((const char *)r + off);
			n++;
		}
	}
	cr_assert(n > 0);
	return sum / n;
}

#define COL(c) offsetof(struct row_sample, c)

/* Two services of one pod each on a 3-core node, both overloaded (16
 * workers busy, limit 3): the node is saturated all the time, and each pod
 * gets its weight's share. */
#define TWO_ON_ONE                                                                                        \
	"name: split\nseed: 5\nduration: 2m\nsample_interval: 10s\n"                                     \
	"cluster:\n  cpu_weight_mapping: %s\n  nodes:\n"                                                 \
	"    - {name: n, count: 1, allocatable: {cpu: \"3\", memory: 16Gi, pods: 10}}\n"                 \
	"services:\n"                                                                                    \
	"  a:\n    replicas: 1\n    resources: {requests: {cpu: \"1\"}, limits: {cpu: \"3\"}}\n"         \
	"    workers: 16\n    queue: 100\n    cpu_per_request: 10ms\n    traffic: {rate: 600rps}\n"     \
	"  b:\n    replicas: 1\n    resources: {requests: {cpu: \"2\"}, limits: {cpu: \"3\"}}\n"         \
	"    workers: 16\n    queue: 100\n    cpu_per_request: 10ms\n    traffic: {rate: 600rps}\n"

static void two_on_one(const char *mapping, double want_a, double want_b)
{
	mk();
	char text[2048];
	snprintf(text, sizeof text, TWO_ON_ONE, mapping);
	struct scenario sc;
	struct memsink m = run_text(&sc, text);
	double a = sample_mean(&m, "a", 10, COL(cpu_cores)), b = sample_mean(&m, "b", 10, COL(cpu_cores));
	cr_expect(fabs(a - want_a) < 1e-3, "%s: a used %.5f cores, want %.5f", mapping, a, want_a);
	cr_expect(fabs(b - want_b) < 1e-3, "%s: b used %.5f cores, want %.5f", mapping, b, want_b);
	/* Both want more than they get all the time: CPU pressure, not throttling. */
	cr_expect(sample_mean(&m, "a", 10, COL(cpu_pressure)) > 0.999);
	cr_expect(sample_mean(&m, "b", 10, COL(cpu_pressure)) > 0.999);
	cr_expect(sample_mean(&m, "a", 10, COL(cpu_throttled)) < 1e-9);
	/* Served throughput follows the shares: 100 rps per core. */
	const struct row_summary *sa = memsink_summary(&m, "a");
	cr_expect(fabs((double)sa->served / 120 - 100 * want_a) < 5, "a served %.1f rps", (double)sa->served / 120);
	/* The per-pod rows say the same, and name the node. */
	size_t n = 0;
	for (size_t i = 0; i < m.n_pod_samples; i++) {
		const struct row_pod_sample *r = &m.pod_samples[i].r;
		if (r->t_s <= 10 || strcmp(r->service, "b"))
			continue;
		n++;
		cr_expect(fabs(r->cpu_cores - want_b) < 1e-3, "b's pod used %.5f at %g s", r->cpu_cores, r->t_s);
		cr_expect(fabs(r->cpu_util - want_b / 2) < 1e-3);
		cr_expect_str_eq(r->node, "n-0");
	}
	cr_expect_eq(n, 11);
	memsink_free(&m);
	scn_free(&sc);
	rm();
}

Test(cpu, saturated_node_split_one_to_two_under_cgroup_v1) { two_on_one("cgroup-v1", 1, 2); }
Test(cpu, saturated_node_split_100_to_174_under_cgroup_v2) { two_on_one("cgroup-v2-log-quadratic", 300.0 / 274, 522.0 / 274); }
Test(cpu, saturated_node_split_39_to_79_under_old_cgroup_v2) { two_on_one("cgroup-v2-linear", 117.0 / 118, 237.0 / 118); }

/* An idle neighbour lets a pod burst to its limit and no further; at its
 * limit with more work than it allows, the pod is throttled (not under
 * pressure: the node had room). */
Test(cpu, idle_neighbour_lets_a_pod_burst_to_its_limit)
{
	mk();
	struct scenario sc;
	struct memsink m = run_text(&sc, "name: burst\nseed: 2\nduration: 1m\nsample_interval: 10s\n"
					 "cluster:\n  nodes:\n"
					 "    - {name: n, count: 1, allocatable: {cpu: \"4\", memory: 16Gi, pods: 10}}\n"
					 "services:\n"
					 "  busy:\n    replicas: 1\n    resources: {requests: {cpu: \"1\"}, limits: {cpu: \"2\"}}\n"
					 "    workers: 16\n    queue: 100\n    cpu_per_request: 10ms\n    traffic: {rate: 600rps}\n"
					 "  idle:\n    replicas: 1\n    resources: {requests: {cpu: \"1\"}, limits: {cpu: \"4\"}}\n"
					 "    cpu_per_request: 10ms\n");
	double used = sample_mean(&m, "busy", 0, COL(cpu_cores));
	cr_expect(fabs(used - 2) < 1e-3, "busy used %.5f cores, its limit is 2", used);
	cr_expect(sample_mean(&m, "busy", 0, COL(cpu_throttled)) > 0.999);
	cr_expect(sample_mean(&m, "busy", 0, COL(cpu_pressure)) < 1e-9);
	/* What the HPA would read: usage / request = 200 %. */
	const struct row_summary *s = memsink_summary(&m, "busy");
	cr_expect(fabs(s->cpu_util - 2) < 1e-3, "cpu_util %.4f", s->cpu_util);
	cr_expect(s->cpu_throttled > 0.999);
	cr_expect(fabs((double)s->served / 60 - 200) < 5, "served %.1f rps", (double)s->served / 60);
	/* Capacity: each pod's share when both want their limits (2 and 4 of
	 * 4 cores, equal weights): 2 for busy. */
	cr_expect(fabs(sample_mean(&m, "busy", 0, COL(cpu_capacity)) - 2) < 1e-9);
	cr_expect(fabs(sample_mean(&m, "idle", 0, COL(cpu_capacity)) - 2) < 1e-9);
	memsink_free(&m);
	scn_free(&sc);
	rm();
}

/* The example: four pods, request 1 and limit 4, on a node with 4
 * allocatable cores, offered 600 rps of 10 ms: 6 cores of work on 4 cores.
 * At most 400 rps can be served (each pod getting its limit would have
 * served all 600). */
Test(cpu, four_burstable_pods_on_four_cores_serve_at_most_400_rps)
{
	mk();
	struct scenario sc;
	struct memsink m = run_text(&sc, "name: four\nseed: 9\nduration: 2m\nsample_interval: 10s\n"
					 "cluster:\n  nodes:\n"
					 "    - {name: n, count: 1, allocatable: {cpu: \"4\", memory: 16Gi, pods: 10}}\n"
					 "services:\n"
					 "  api:\n    replicas: 4\n    resources: {requests: {cpu: \"1\"}, limits: {cpu: \"4\"}}\n"
					 "    workers: 8\n    queue: 50\n    timeout: 2s\n"
					 "    cpu_per_request: {distribution: exponential, mean: 10ms}\n"
					 "    traffic: {rate: 600rps}\n");
	const struct row_summary *s = memsink_summary(&m, "api");
	double rps = (double)s->served / 120;
	cr_expect(rps <= 401, "served %.1f rps on 4 cores of 10 ms requests", rps);
	cr_expect(rps >= 390, "served %.1f rps: the node should be busy", rps);
	cr_expect(s->error_rate > 0.3, "a third of the requests cannot be served: error rate %.3f", s->error_rate);
	cr_expect(sample_mean(&m, "api", 10, COL(cpu_cores)) <= 4 + 1e-9);
	/* Capacity: 4 pods x 1 core (equal shares of 4 cores), not 4 x 4. */
	cr_expect(fabs(sample_mean(&m, "api", 0, COL(cpu_capacity)) - 4) < 1e-9);
	memsink_free(&m);
	scn_free(&sc);
	rm();
}

/* ---- queueing theory ---- */

/* Erlang C: the probability that an arrival waits in M/M/c with offered load a. */
static double erlang_c(int c, double a)
{
	double term = 1, sum = 1;
	for (int k = 1; k < c; k++) {
		term *= a / k;
		sum += term;
	}
	double last = term * a / c * c / (c - a);
	return last / (sum + last);
}

static double mmc_response(int c, double lambda, double mu)
{
	return erlang_c(c, lambda / mu) / (c * mu - lambda) + 1 / mu;
}

/* Two cases form the family, each held at 1 - 0.05 / 2 (Bonferroni). */
#define LEVEL (1 - 0.05 / 2)

/*
 * N pods of one service, each with limit `limit` >= C (0: none), unbounded
 * workers and queue, on one node of C cores: every request uses at most a
 * core, the node gives min(running requests, C) cores in total, and with
 * exponential demand the number in the system is M/M/C's whatever the
 * balancer does. Mean latency must lie in the run's interval; N separate
 * pods (each with its limit's cores to itself, as before nodes shared CPU,
 * M/M/limit at lambda / N) must lie outside it.
 */
static void mmc_on_node(int c, int n, int limit, double rho, double n_requests, uint64_t seed)
{
	double mu = 100, lambda = rho * c * mu, dur = n_requests / lambda;
	mk();
	char lim[64] = "", text[2048];
	if (limit)
		snprintf(lim, sizeof lim, ", limits: {cpu: \"%d\"}", limit);
	snprintf(text, sizeof text,
		 "name: mmc\nseed: %llu\nduration: %.0fs\nsample_interval: %.3fs\nslo_window: 1h\n"
		 "cluster:\n  nodes:\n"
		 "    - {name: n, count: 1, allocatable: {cpu: \"%d\", memory: 64Gi, pods: 110}}\n"
		 "services:\n"
		 "  s0:\n    replicas: %d\n    resources: {requests: {cpu: \"%g\"}%s}\n"
		 "    workers: 100000\n    queue: unbounded\n    timeout: none\n"
		 "    cpu_per_request: {distribution: exponential, mean: 10ms}\n"
		 "    traffic: {rate: %grps}\n",
		 (unsigned long long)seed, dur, dur / 400, c, n, (double)c / n, lim, lambda);
	struct scenario sc;
	struct memsink m = run_text(&sc, text);
	double mean, half;
	batch_means(&m, "s0", 20, LEVEL, &mean, &half);
	double theory = 1e3 * mmc_response(c, lambda, mu);
	int own = limit ? limit : c;
	double separate = 1e3 * mmc_response(own, lambda / n, mu);
	cr_expect(fabs(mean - theory) <= half, "C=%d N=%d rho=%.2f: %.4f ms +- %.4f, M/M/%d says %.4f ms", c, n, rho,
		  mean, half, c, theory);
	cr_expect(half < 0.04 * theory, "half-width %.4f ms too wide for %.4f ms", half, theory);
	cr_expect(fabs(mean - separate) > 5 * half, "C=%d N=%d: %.4f ms +- %.4f is not far from %d separate pods' %.4f ms",
		  c, n, mean, half, n, separate);
	memsink_free(&m);
	scn_free(&sc);
	rm();
}

Test(cpu, two_pods_on_one_core_are_mm1) { mmc_on_node(1, 2, 1, 0.8, 1e6, 101); }
Test(cpu, four_pods_without_limits_on_four_cores_are_mm4) { mmc_on_node(4, 4, 0, 0.8, 1e6, 104); }
