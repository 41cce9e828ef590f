/*
 * test_month.c: a month's cost (sim/month.h) against hand-computed figures
 * and against one simulated normal day.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "month.h"
#include "run.h"
#include "scn.h"

/* Scenario text, loaded as if it were scenarios/month.yaml (so the catalog
 * resolves) with `sets` applied. */
static void load(struct scenario *sc, const char *text, const char *const *sets, size_t n_sets)
{
	char path[] = "scenarios/.month-test-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	struct herr e;
	int rc = scn_load(sc, path, sets, n_sets, &e);
	unlink(path);
	cr_assert_eq(rc, 0, "%s", e.msg);
}

static const char FIXED[] = "name: fixed\n"
			    "duration: 10m\n"
			    "cluster:\n"
			    "  catalog: catalogs/ec2-us-east-1.csv\n"
			    "  nodes:\n"
			    "    - {name: base, count: 3, instance: m5.xlarge}\n"
			    "cost:\n"
			    "  normal_day: {type: diurnal, amplitude: 50%, peak: \"14:00\"}\n"
			    "services:\n"
			    "  web:\n"
			    "    replicas: 4\n"
			    "    resources: {requests: {cpu: 500m, memory: 1Gi}}\n"
			    "    cpu_per_request: {distribution: exponential, mean: 10ms}\n"
			    "    traffic: {rate: 50rps}\n";

/* A fixed cluster costs its nodes x price x 730 h, plus the control plane
 * (0.10 USD per cluster-hour) and a 20 GiB gp3 root volume per node-month
 * (0.08 USD per GB-month): 3 m5.xlarge at 0.192 USD/h. */
Test(month, fixed_cluster_is_nodes_times_price_plus_the_items)
{
	struct scenario sc;
	load(&sc, FIXED, NULL, 0);
	struct month_day d;
	month_day(&sc, &d);
	struct month_cost m;
	month_cost(&sc.cost, &d, (struct month_event){NAN, NAN, NAN}, &m);
	cr_expect_float_eq(m.normal, 3 * 0.192 * 730, 1e-9, "instances %.6f", m.normal);
	cr_expect_float_eq(m.control_plane, 0.10 * 730, 1e-9);
	cr_expect_float_eq(m.volumes, 3 * 20 * 0.08, 1e-9, "volumes %.6f", m.volumes);
	cr_expect_eq(m.events, 0);
	cr_expect_eq(m.discount, 0);
	cr_expect_float_eq(m.total, 3 * 0.192 * 730 + 73 + 4.8, 1e-9, "total %.6f", m.total);
	/* Each hour the same 3 nodes, whatever the traffic. */
	for (int h = 0; h < SCN_HOURS; h++)
		cr_expect_eq(d.hour[h].nodes, 3);
	/* web's 4 pods request 2 of the 12 cores (allocatable less than
	 * capacity: the share is of allocatable CPU, so a little more). */
	cr_expect(d.share[0] > 24 * 3 * 0.192 * 2 / 12 && d.share[0] < 24 * 3 * 0.192 * 2 / 11,
		  "share %.4f", d.share[0]);
	cr_expect_float_eq(d.share[0] + d.unrequested, d.day_usd, 1e-9);
	/* A run's share of the same nodes over its 10 minutes: the day's / 144. */
	struct memsink ms;
	struct sink out = memsink_init(&ms);
	struct run_stats st;
	run_once(&sc, 1, &out, NULL, &st);
	const struct row_summary *web = memsink_summary(&ms, "web");
	cr_assert(web);
	cr_expect_float_eq(web->cost_usd, d.share[0] / 144, 1e-9, "run share %.6f USD", web->cost_usd);
	memsink_free(&ms);
	month_day_free(&d);
	scn_free(&sc);

	/* A 30 % commitment discount takes 30 % off the (on-demand) instances
	 * only; two clusters pay the control plane twice. */
	const char *sets[] = {"cost.discount=30%", "cost.clusters=2"};
	load(&sc, FIXED, sets, 2);
	month_day(&sc, &d);
	month_cost(&sc.cost, &d, (struct month_event){NAN, NAN, NAN}, &m);
	cr_expect_float_eq(m.discount, -0.3 * 3 * 0.192 * 730, 1e-9);
	cr_expect_float_eq(m.total, 0.7 * 3 * 0.192 * 730 + 2 * 73 + 4.8, 1e-9, "total %.6f", m.total);
	month_day_free(&d);
	scn_free(&sc);
}

/* Event days add what a run spent above its start: 2 days of a run that
 * cost 1.5 USD over 30 minutes from a 1 USD/h start add 2 x 1 USD. */
Test(month, event_days_add_the_runs_extra)
{
	struct scenario sc;
	const char *sets[] = {"cost.event_days=2"};
	load(&sc, FIXED, sets, 1);
	struct month_day d;
	month_day(&sc, &d);
	struct month_event ev = month_event_of(1.5, 0, 2.5, 0.5, 1.0, 0, d.start_nodes);
	cr_expect_float_eq(ev.usd, 1.0, 1e-12);
	cr_expect_float_eq(ev.node_hours, 2.5 - 0.5 * 3, 1e-12);
	struct month_cost m;
	month_cost(&sc.cost, &d, ev, &m);
	cr_expect_float_eq(m.events, 2.0, 1e-12);
	cr_expect_float_eq(m.node_hours, 730 * 3 + 2 * 1.0, 1e-9);
	cr_expect_float_eq(m.total, m.normal + 2.0 + 73 + (730 * 3 + 2.0) / 730 * 20 * 0.08, 1e-9);
	month_day_free(&d);
	scn_free(&sc);
}

/* A Karpenter cluster of c5.large nodes (2 vCPU each), DaemonSets 200m. */
#define C5_CLUSTER \
	"cluster:\n" \
	"  catalog: catalogs/ec2-us-east-1.csv\n" \
	"  daemonsets: {cpu: 200m, memory: 300Mi}\n" \
	"  provisioner: karpenter\n" \
	"  karpenter:\n" \
	"    nodepools:\n" \
	"      - apiVersion: karpenter.sh/v1\n" \
	"        kind: NodePool\n" \
	"        metadata: {name: default}\n" \
	"        spec:\n" \
	"          template:\n" \
	"            spec:\n" \
	"              requirements:\n" \
	"                - {key: node.kubernetes.io/instance-type, operator: In, values: [c5.large]}\n" \
	"              nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}\n"

/* One service on Karpenter c5.large nodes (2 vCPU each) with an HPA at 60 %
 * of 500m: 40 rps x 100 ms = 4 cores of work at the normal traffic, 13.3
 * pods; the day swings 60 % around it. peak 06:00 puts the day's factor
 * at 1 at 00:00, where a run starts from the normal traffic. */
static const char KARP[] =
	"name: day\n"
	"seed: 3\n"
	"duration: 24h\n"
	"sample_interval: 1m\n"
	"cost:\n"
	"  normal_day: {type: diurnal, amplitude: 60%, peak: \"06:00\"}\n"
	C5_CLUSTER
	"          disruption: {consolidationPolicy: WhenEmptyOrUnderutilized, consolidateAfter: 1m}\n"
	"services:\n"
	"  api:\n"
	"    replicas: 14\n"
	"    resources:\n"
	"      requests: {cpu: 500m, memory: 512Mi}\n"
	"      limits: {cpu: 500m, memory: 512Mi}\n"
	"    cpu_per_request: {distribution: exponential, mean: 10ms}\n"
	"    traffic:\n"
	"      rate: 400rps\n"
	"      pattern: {type: diurnal, amplitude: 60%, peak: \"06:00\"}\n"
	"    hpa:\n"
	"      apiVersion: autoscaling/v2\n"
	"      kind: HorizontalPodAutoscaler\n"
	"      metadata: {name: api}\n"
	"      spec:\n"
	"        scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n"
	"        minReplicas: 2\n"
	"        maxReplicas: 60\n"
	"        metrics:\n"
	"          - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}\n";

/* A buffer's floor is paid in every hour it holds: with minReplicas above
 * what the peak needs, off-peak costs what the peak does; without it the
 * off-peak hours cost less. */
Test(month, a_floor_costs_the_same_off_peak_as_at_peak)
{
	struct scenario sc;
	load(&sc, KARP, NULL, 0);
	struct month_day d;
	month_day(&sc, &d);
	/* Peak at 06:00 (hour 5-6 and 6-7), trough at 18:00. */
	int peak = 6, trough = 18;
	cr_expect(d.replicas[peak] > d.replicas[trough] + 10, "replicas %d vs %d", d.replicas[peak],
		  d.replicas[trough]);
	cr_expect(d.hour[trough].usd < 0.5 * d.hour[peak].usd, "%.3f vs %.3f USD/h", d.hour[trough].usd,
		  d.hour[peak].usd);
	month_day_free(&d);
	scn_free(&sc);

	const char *sets[] = {"services.api.hpa.spec.minReplicas=30"};
	load(&sc, KARP, sets, 1);
	month_day(&sc, &d);
	cr_expect_eq(d.replicas[trough], 30);
	cr_expect(d.replicas[peak] >= 30);
	for (int h = 0; h < SCN_HOURS; h++)
		if (d.replicas[h] == 30)
			cr_expect_float_eq(d.hour[h].usd, d.hour[trough].usd, 1e-12, "hour %d", h);
	cr_expect_float_eq(d.hour[trough].usd, 10 * 0.085, 1e-9, "30 pods of 500m, 3 to a c5.large: %.3f",
			   d.hour[trough].usd);
	month_day_free(&d);
	scn_free(&sc);
}

static void keep_cost(void *ctx, const struct row_cost *r) { *(struct row_cost *)ctx = *r; }

/* The modelled normal day against one simulated day of the same traffic:
 * the HPA following the diurnal curve, Karpenter adding nodes and
 * consolidating them. The model charges each hour's steady state; the run
 * lags it (scale-down stabilisation, consolidateAfter, node start-up) and
 * packs incrementally. Within 5 %. */
Test(month, normal_day_matches_a_simulated_day, .timeout = 300)
{
	struct scenario sc;
	load(&sc, KARP, NULL, 0);
	struct month_day d;
	month_day(&sc, &d);
	struct row_cost c = {0};
	struct sink out = {.ctx = &c, .cost = keep_cost};
	struct run_stats st;
	run_once(&sc, sc.seed, &out, NULL, &st);
	cr_assert(!st.interrupted);
	double rel = c.cost_usd / d.day_usd - 1;
	cr_expect(fabs(rel) <= 0.05, "simulated day %.3f USD, modelled %.3f USD (%+.1f %%)", c.cost_usd, d.day_usd,
		  100 * rel);
	cr_log_info("simulated day %.3f USD, modelled %.3f USD (%+.1f %%), %.1f vs %.1f node-hours", c.cost_usd,
		    d.day_usd, 100 * rel, c.node_hours, d.node_hours);
	month_day_free(&d);
	scn_free(&sc);
}

/* Writes a per-minute trace of 1 + amp cos(2 pi (clock - peak) / 24 h) x 100
 * rps, `hours` long from clock 00:00, to scenarios/<name>. */
static void write_trace(const char *name, double hours, double amp, double peak_h)
{
	char path[128];
	snprintf(path, sizeof path, "scenarios/%s", name);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, "timestamp,rps\n");
	for (int m = 0; m <= (int)(hours * 60); m++)
		fprintf(f, "%d,%.6f\n", 1700000000 + 60 * m, 100 * (1 + amp * cos(2 * M_PI * (m / 60.0 - peak_h) / 24)));
	fclose(f);
}

/* A 24 h trace gives each hour's mean over the day's: the same factors as
 * the diurnal curve it was sampled from. */
Test(month, a_trace_day_is_its_hourly_means)
{
	write_trace(".month-day.csv", 24, 0.5, 14);
	struct scenario a, b;
	const char *tr[] = {"cost.normal_day={type: trace, file: .month-day.csv}"};
	const char *di[] = {"cost.normal_day={type: diurnal, amplitude: 50%, peak: \"14:00\"}"};
	load(&a, FIXED, tr, 1);
	load(&b, FIXED, di, 1);
	unlink("scenarios/.month-day.csv");
	double sum = 0;
	for (int h = 0; h < SCN_HOURS; h++) {
		cr_expect_float_eq(a.cost.day[h], b.cost.day[h], 2e-3, "hour %d: %.5f vs %.5f", h, a.cost.day[h],
				   b.cost.day[h]);
		sum += a.cost.day[h];
	}
	cr_expect_float_eq(sum, 24, 1e-9);
	scn_free(&a);
	scn_free(&b);
}

/* A trace that is not a day is refused where the file is named. */
Test(month, a_trace_that_is_not_a_day_is_refused)
{
	write_trace(".month-6h.csv", 6, 0.5, 14);
	char path[] = "scenarios/.month-test-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(FIXED, f);
	fputs("  event_days: 1\n", f);
	fclose(f);
	const char *sets[] = {"cost.normal_day={type: trace, file: .month-6h.csv}"};
	struct scenario sc;
	struct herr e;
	int rc = scn_load(&sc, path, sets, 1, &e);
	unlink(path);
	unlink("scenarios/.month-6h.csv");
	cr_assert_eq(rc, -1);
	cr_expect(strstr(e.msg, "the trace '.month-6h.csv' spans 6.00 h; a normal day is 24 h"), "%s", e.msg);
}

/* One service on Karpenter c5.large nodes (3 pods of 500m to a node) at
 * 40 rps x 10 ms: 0.4 cores, 2 pods (minReplicas) on 1 node, every hour;
 * a KEDA cron floor of 30 pods (10 nodes) on weekdays 08:00-10:00 UTC. */
static const char FLOOR[] =
	"name: floor\n"
	"duration: 10m\n"
	"start: 2025-12-01T00:00:00Z\n"
	C5_CLUSTER
	"external_metrics:\n"
	"  - name: s0-cron\n"
	"    cron: {timezone: UTC, start: 0 8 * * 1-5, end: 0 10 * * 1-5, desiredReplicas: 30}\n"
	"  - name: launch\n"
	"    schedule: [{at: 1m, until: 5m, replicas: 60}]\n"
	"services:\n"
	"  api:\n"
	"    replicas: 2\n"
	"    resources: {requests: {cpu: 500m, memory: 512Mi}}\n"
	"    cpu_per_request: 10ms\n"
	"    traffic: {rate: 40rps}\n"
	"    hpa:\n"
	"      apiVersion: autoscaling/v2\n"
	"      kind: HorizontalPodAutoscaler\n"
	"      spec:\n"
	"        scaleTargetRef: {kind: Deployment, name: api}\n"
	"        minReplicas: 2\n"
	"        maxReplicas: 60\n"
	"        metrics:\n"
	"          - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}\n"
	"          - {type: External, external: {metric: {name: s0-cron}, target: {type: AverageValue, averageValue: \"1\"}}}\n"
	"          - {type: External, external: {metric: {name: launch}, target: {type: AverageValue, averageValue: 10m}}}\n";

/*
 * The floor is paid only while it holds. The month is the 730 h from
 * Monday 1 December 2025 00:00 UTC: 30 whole days and 31 December to
 * 10:00, so 31 mornings, of which 23 are weekdays (22 to the 30th, and
 * Wednesday the 31st). Hours 08 and 09 cost 8/31 x 1 node + 23/31 x 10
 * nodes at 0.085 USD/h; the other hours 1 node. The run-relative window
 * (60 pods for 4 minutes of the run) is the event's: no normal hour pays it.
 * Neither External metric counts in the steady state (the baseline): read
 * as the traffic's, launch's 10m a pod would make 40 rps x 10 ms 40 pods.
 */
Test(month, a_scheduled_floor_is_paid_for_its_hours)
{
	struct scenario sc;
	load(&sc, FLOOR, NULL, 0);
	struct month_day d;
	month_day(&sc, &d);
	double one = 0.085, ten = 10 * 0.085;
	for (int h = 0; h < SCN_HOURS; h++) {
		cr_expect_eq(d.replicas[h], 2, "hour %d: the steady state without floors", h);
		if (h == 8 || h == 9) {
			cr_expect_float_eq(d.hour[h].usd, 8.0 / 31 * one + 23.0 / 31 * ten, 1e-9, "hour %d: %.6f", h,
					   d.hour[h].usd);
			cr_expect_float_eq(d.hour[h].floor_share, 23.0 / 31, 1e-12);
			cr_expect_float_eq(d.hour[h].node_mean, 8.0 / 31 + 23.0 / 31 * 10, 1e-9);
		} else {
			cr_expect_float_eq(d.hour[h].usd, one, 1e-9, "hour %d: %.6f", h, d.hour[h].usd);
			cr_expect_eq(d.hour[h].floor_share, 0);
		}
	}
	cr_expect_float_eq(d.day_usd, 22 * one + 2 * (8.0 / 31 * one + 23.0 / 31 * ten), 1e-9);
	month_day_free(&d);
	scn_free(&sc);
}
