/*
 * Kafka (models/kafka.h, sim/scn_kafka.c; docs/kafka.md).
 *
 * The decisions against their upstream rules and tests: KEDA's getTotalLag
 * (kedacore/keda pkg/scalers/kafka_scaler.go, and the HPA's
 * GetExternalPerPodMetricReplicas after it), Kafka's RangeAssignor and
 * CooperativeStickyAssignor (clients/src/main/java/org/apache/kafka/
 * clients/consumer/RangeAssignor.java, CooperativeStickyAssignor.java),
 * Spring's FixedBackOff (DefaultErrorHandler's default FixedBackOff(0, 9):
 * 10 deliveries). The model against queueing theory: one partition with
 * Poisson arrivals and exponential processing is M/M/1; partitions with
 * uneven keys are independent M/M/1 queues at their own rates. Then
 * rebalances, the DLT, the saga's counts and completion time, and the
 * loader's errors.
 *
 * Statistical cases use fixed seeds and batch means over 20 batches
 * (Student t, 19 degrees of freedom); the two queueing cases share the 95 %
 * level (Bonferroni: 97.5 % each).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "harness.h"
#include "hpa.h"
#include "kafka.h"
#include "world.h"

/* ---- KEDA ---- */

static int32_t keda_replicas(const int64_t *lag, size_t n, struct keda_kafka k, int32_t current)
{
	struct hpa_calc_params p = {0, 0, 0.1, 0.1};
	struct hpa_metric_result r;
	double usage = (double)keda_kafka_metric(&k, lag, n, NULL);
	return hpa_external_average_replicas(&p, current, usage, (double)k.lag_threshold, &r);
}

Test(kafka, keda_no_cap_when_lag_over_threshold_does_not_exceed_partitions)
{
	/* keda#4483: lag 39, threshold 10, 3 partitions:
	 * 39 / 10 = 3 is not > 3, so no cap, ceil(39 / 10) = 4 replicas. */
	int64_t lag[3] = {13, 13, 13};
	struct keda_kafka k = {10, 0, false, false};
	cr_assert_eq(keda_kafka_metric(&k, lag, 3, NULL), 39);
	cr_assert_eq(keda_replicas(lag, 3, k, 1), 4);
}

Test(kafka, keda_caps_total_lag_at_partitions_times_threshold)
{
	int64_t lag[3] = {20, 20, 10};
	struct keda_kafka k = {10, 0, false, false};
	cr_assert_eq(keda_kafka_metric(&k, lag, 3, NULL), 30); /* 50 / 10 = 5 > 3: 3 x 10 */
	cr_assert_eq(keda_replicas(lag, 3, k, 1), 3);
	/* allowIdleConsumers: no cap. */
	k.allow_idle = true;
	cr_assert_eq(keda_kafka_metric(&k, lag, 3, NULL), 50);
	cr_assert_eq(keda_replicas(lag, 3, k, 1), 5);
}

Test(kafka, keda_limit_to_partitions_with_lag)
{
	/* Only one partition has lag: the cap is 1 x threshold (keda#3997). */
	int64_t lag[4] = {50, 0, 0, 0};
	struct keda_kafka k = {10, 0, false, true};
	cr_assert_eq(keda_kafka_metric(&k, lag, 4, NULL), 10);
	cr_assert_eq(keda_replicas(lag, 4, k, 1), 1);
	k.limit_to_lag = false;
	cr_assert_eq(keda_kafka_metric(&k, lag, 4, NULL), 40);
}

Test(kafka, keda_activation)
{
	int64_t lag[2] = {2, 1};
	bool active = true;
	struct keda_kafka k = {10, 3, false, false};
	keda_kafka_metric(&k, lag, 2, &active);
	cr_assert(!active, "3 is not > activationLagThreshold 3");
	lag[0] = 3;
	keda_kafka_metric(&k, lag, 2, &active);
	cr_assert(active);
}

Test(kafka, keda_within_tolerance_keeps_replicas)
{
	/* 42 / (10 x 4) = 1.05, within the HPA's 0.1: 4 stays. */
	int64_t lag[6] = {7, 7, 7, 7, 7, 7};
	struct keda_kafka k = {10, 0, false, false};
	cr_assert_eq(keda_replicas(lag, 6, k, 4), 4);
}

/* ---- assignors ---- */

Test(kafka, range_assignor)
{
	/* RangeAssignorTest testOneConsumerMultipleTopics-like: 7 partitions,
	 * 3 consumers: 3, 2, 2 consecutive. */
	uint32_t o[7];
	kafka_assign_range(7, 3, o);
	uint32_t want[7] = {0, 0, 0, 1, 1, 2, 2};
	for (int i = 0; i < 7; i++)
		cr_assert_eq(o[i], want[i], "partition %d", i);
	/* RangeAssignor.java's own example, per topic: two consumers, three
	 * partitions: C0 [p0, p1], C1 [p2]. */
	kafka_assign_range(3, 2, o);
	cr_assert(o[0] == 0 && o[1] == 0 && o[2] == 1);
	kafka_assign_range(2, 3, o); /* more members than partitions: the last idles */
	cr_assert_eq(o[0], 0);
	cr_assert_eq(o[1], 1);
	kafka_assign_range(3, 0, o);
	cr_assert_eq(o[2], KAFKA_NONE);
}

Test(kafka, sticky_assignor_moves_only_what_balance_needs)
{
	uint32_t prev[6] = {0, 0, 0, 1, 1, 1}, o[6], count[3];
	kafka_assign_sticky(6, 3, prev, o, count);
	int moved = 0, per[3] = {0};
	for (int p = 0; p < 6; p++) {
		moved += o[p] != prev[p];
		per[o[p]]++;
	}
	cr_assert_eq(moved, 2, "a third member takes one partition from each");
	cr_assert(per[0] == 2 && per[1] == 2 && per[2] == 2);
	/* A member leaves: only its partitions move. */
	uint32_t prev2[6] = {0, 0, KAFKA_NONE, KAFKA_NONE, 1, 1};
	kafka_assign_sticky(6, 2, prev2, o, count);
	cr_assert(o[0] == 0 && o[1] == 0 && o[4] == 1 && o[5] == 1);
	cr_assert(count[0] == 3 && count[1] == 3);
	/* 7 over 3: sizes 3, 2, 2 in some order, the kept ones kept. */
	uint32_t prev3[7] = {0, 0, 0, 0, 1, 1, 1}, o3[7];
	kafka_assign_sticky(7, 3, prev3, o3, count);
	cr_assert(count[0] + count[1] + count[2] == 7 && count[0] <= 3 && count[1] <= 3 && count[2] >= 2);
	cr_assert(o3[0] == 0 && o3[1] == 0 && o3[4] == 1 && o3[5] == 1);
}

Test(kafka, sticky_assignor_properties)
{
	/* 2,000 random cases (a fixed seed): partitions 1..40, members 1..12,
	 * each partition's previous owner a member, or none. The assignment is
	 * balanced (every member n / m or one more, exactly n % m of them one
	 * more), and sticky: each member keeps min(what it had, what it gets)
	 * of its old partitions. */
	uint64_t x = 42;
	uint32_t prev[40], o[40], count[12];
	for (int c = 0; c < 2000; c++) {
		x = rng_splitmix64(x);
		uint32_t n = 1 + (uint32_t)(x % 40), m = 1 + (uint32_t)((x >> 8) % 12);
		for (uint32_t p = 0; p < n; p++) {
			x = rng_splitmix64(x);
			prev[p] = x % 4 == 0 ? KAFKA_NONE : (uint32_t)((x >> 4) % m);
		}
		kafka_assign_sticky(n, m, prev, o, count);
		uint32_t had[12] = {0}, got[12] = {0}, kept[12] = {0}, plus = 0;
		for (uint32_t p = 0; p < n; p++) {
			cr_assert_lt(o[p], m);
			got[o[p]]++;
			if (prev[p] != KAFKA_NONE) {
				had[prev[p]]++;
				kept[prev[p]] += o[p] == prev[p];
			}
		}
		for (uint32_t i = 0; i < m; i++) {
			cr_assert(got[i] == n / m || got[i] == n / m + 1, "case %d: member %u got %u of %u over %u", c, i,
				  got[i], n, m);
			plus += got[i] == n / m + 1;
			uint32_t want = had[i] < got[i] ? had[i] : got[i];
			cr_assert_eq(kept[i], want, "case %d: member %u kept %u of its %u, gets %u", c, i, kept[i], had[i],
				     got[i]);
		}
		cr_assert_eq(plus, n % m);
	}
}

Test(kafka, fixed_backoff_default_gives_ten_deliveries)
{
	/* spring-kafka SeekUtils.DEFAULT_BACK_OFF = new FixedBackOff(0,
	 * DEFAULT_MAX_FAILURES - 1), DEFAULT_MAX_FAILURES = 10: DefaultErrorHandler's default. */
	int deliveries = 1;
	while (kafka_redeliver(deliveries, 9))
		deliveries++;
	cr_assert_eq(deliveries, 10);
	cr_assert(!kafka_redeliver(1, 0));
}

/* ---- runs ---- */

#define MAX_ROWS 4096

struct krun {
	struct row_kafka rows[MAX_ROWS];
	size_t n_rows;
	struct row_kafka_summary sums[8];
	char sum_topic[8][64], sum_group[8][64]; /* the rows' strings, kept past the run */
	size_t n_sums;
	struct row_sagas sagas;
	bool has_sagas;
	const struct world *w;
	/* rebalance probe */
	int n_rebalances;
	double rebalance_t[3];
	int n_keda;
	double keda_t[4];
	int keda_from[4], keda_to[4];
	char keda_event[4][16];
	bool paused[3][32];
	uint32_t owner[3][32];
	int64_t served[8];
	int slo_met[8];  /* the services' summaries.slo_met */
	int64_t iv_started, iv_completed, iv_failed, iv_open; /* saga samples added up; the last one's open */
	int n_saga_samples;
	int64_t part_produced[8], part_max_lag[8]; /* per partition of consumers[0] */
};

static void k_sample(void *ctx, const struct row_sample *r)
{
	(void)ctx;
	(void)r;
}

static void k_summary(void *ctx, const struct row_summary *r)
{
	struct krun *k = ctx;
	int i = scn_service_index(k->w->sc, r->service);
	if (i >= 0 && i < 8) {
		k->served[i] = r->served;
		k->slo_met[i] = r->slo_met;
	}
}

static void k_decision(void *ctx, const struct row_decision *r)
{
	struct krun *k = ctx;
	if (!strcmp(r->kind, "keda") && k->n_keda < 4) {
		int i = k->n_keda++;
		k->keda_t[i] = r->t_s;
		k->keda_from[i] = r->replicas;
		k->keda_to[i] = r->desired;
		snprintf(k->keda_event[i], sizeof k->keda_event[i], "%s", r->event);
		return;
	}
	if (strcmp(r->kind, "kafka") || strcmp(r->event, "rebalance") || k->n_rebalances >= 3)
		return;
	int n = k->n_rebalances++;
	k->rebalance_t[n] = r->t_s;
	for (uint32_t p = 0; p < 32 && p < (uint32_t)k->w->sc->kafka.topics[0].partitions; p++) {
		k->paused[n][p] = kafka_partition_paused(k->w, 0, p);
		k->owner[n][p] = kafka_partition_owner(k->w, 0, p);
	}
}

static void k_kafka(void *ctx, const struct row_kafka *r)
{
	struct krun *k = ctx;
	if (k->n_rows < MAX_ROWS && !strcmp(r->group, k->w->sc->kafka.consumers[0].group))
		k->rows[k->n_rows++] = *r;
}

static void k_kafka_summary(void *ctx, const struct row_kafka_summary *r)
{
	struct krun *k = ctx;
	if (k->n_sums >= 8)
		return;
	size_t i = k->n_sums++;
	k->sums[i] = *r;
	snprintf(k->sum_topic[i], sizeof k->sum_topic[i], "%s", r->topic);
	snprintf(k->sum_group[i], sizeof k->sum_group[i], "%s", r->group);
	k->sums[i].topic = k->sum_topic[i];
	k->sums[i].group = k->sum_group[i];
}

static void k_partition(void *ctx, const struct row_kafka_partition *r)
{
	struct krun *k = ctx;
	if (strcmp(r->group, k->w->sc->kafka.consumers[0].group) || r->partition >= 8)
		return;
	k->part_produced[r->partition] += r->produced;
	if (r->lag > k->part_max_lag[r->partition])
		k->part_max_lag[r->partition] = r->lag;
}

static void k_saga_sample(void *ctx, const struct row_saga_sample *r)
{
	struct krun *k = ctx;
	k->iv_started += r->started;
	k->iv_completed += r->completed;
	k->iv_failed += r->failed;
	k->iv_open = r->open;
	k->n_saga_samples++;
}

static void k_sagas(void *ctx, const struct row_sagas *r)
{
	struct krun *k = ctx;
	k->sagas = *r;
	k->has_sagas = true;
}

static void load_text(struct scenario *sc, const char *text)
{
	struct herr e;
	cr_assert_eq(scn_parse(sc, "kafka-test.yaml", text, strlen(text), &e), 0, "%s", e.msg);
}

struct at_call {
	void (*fn)(struct world *w);
	struct world *w;
};

static simtime at_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	(void)arg;
	struct at_call *a = obj;
	a->fn(a->w);
	return SIM_DONE;
}

/* Runs sc into k; at(w) is called at time t (unless at is NULL). */
static void run_k(const struct scenario *sc, struct krun *k, simtime t, void (*at)(struct world *w))
{
	struct sim s;
	struct sink out = {.ctx = k,
			   .sample = k_sample,
			   .summary = k_summary,
			   .decision = k_decision,
			   .kafka = k_kafka,
			   .kafka_summary = k_kafka_summary,
			   .sagas = k_sagas,
			   .kafka_partition = k_partition,
			   .saga_sample = k_saga_sample};
	sim_init(&s, sc->seed, sc->duration);
	struct world *w = world_new(&s, sc, &out);
	k->w = w;
	struct at_call a = {at, w};
	if (at)
		sim_at(&s, t, PRIO_CONTROL, at_ev, &a, 0);
	sim_run(&s);
	world_finish(w);
	world_free(w);
	sim_release(&s);
}

/* Batch means of the consumed messages' mean latency (ms) over the rows. */
static void batch_latency(const struct krun *k, int n_batches, double t_crit, double *mean, double *half)
{
	size_t per = k->n_rows / (size_t)n_batches;
	double sum = 0, sum2 = 0;
	for (int b = 0; b < n_batches; b++) {
		double lat = 0, n = 0;
		for (size_t i = (size_t)b * per; i < (size_t)(b + 1) * per; i++) {
			const struct row_kafka *r = &k->rows[i];
			if (r->consumed) {
				lat += r->latency_mean_ms * (double)r->consumed;
				n += (double)r->consumed;
			}
		}
		double x = lat / n;
		sum += x;
		sum2 += x * x;
	}
	*mean = sum / n_batches;
	double var = (sum2 - n_batches * *mean * *mean) / (n_batches - 1);
	*half = t_crit * sqrt(var / n_batches);
}

/* Student t, 19 degrees of freedom, two-sided 97.5 %: t(0.9875, 19). */
#define T19_9875 2.433

#define MM1 \
	"name: mm1\n" \
	"seed: %d\n" \
	"duration: %s\n" \
	"sample_interval: %s\n" \
	"services:\n" \
	"  producer:\n" \
	"    replicas: 1\n" \
	"    workers: 100000\n" \
	"    resources: {requests: {cpu: '64'}}\n" \
	"    cpu_per_request: 1us\n" \
	"    traffic: {rate: %grps}\n" \
	"  consumer:\n" \
	"    replicas: %d\n" \
	"    resources: {requests: {cpu: '1'}, limits: {cpu: '1'}}\n" \
	"    cpu_per_request: {distribution: exponential, mean: 10ms}\n" \
	"kafka:\n" \
	"  topics: [{name: events, partitions: %d%s}]\n" \
	"  producers: [{service: producer, topic: events}]\n" \
	"  consumers: [{service: consumer, topic: events, slo: {p99: 1s}}]\n"

Test(kafka, one_partition_is_mm1, .timeout = 120)
{
	/* lambda 80/s, mu 100/s: W = 1 / (mu - lambda) = 50 ms. */
	char text[2048];
	snprintf(text, sizeof text, MM1, 19, "20000s", "10s", 80.0, 1, 1, "");
	struct scenario sc;
	load_text(&sc, text);
	struct krun *k = calloc(1, sizeof *k);
	run_k(&sc, k, 0, NULL);
	cr_assert_eq(k->n_rows, 2000);
	double mean, half;
	batch_latency(k, 20, T19_9875, &mean, &half);
	double theory = 1e3 / (100.0 - 80.0);
	cr_log_info("M/M/1: %.3f ms +- %.3f, theory %.3f", mean, half, theory);
	cr_expect(fabs(mean - theory) <= half, "M/M/1: simulated %.3f ms +- %.3f, theory %.3f ms", mean, half, theory);
	cr_expect(half < 0.05 * theory, "half-width %.3f ms too wide", half);
	cr_assert_eq(k->sums[0].dlt, 0);
	cr_assert_eq(k->sums[0].rebalances, 0);
	/* M/M/1's time in system is exponential with rate mu - lambda: its p99
	 * is ln(100) / 20 = 230 ms, under the 1 s objective. */
	cr_assert_eq(k->sums[0].slo_met, 1);
	cr_assert_eq(k->slo_met[1], 1, "the consumer service's slo_met is its group's");
	cr_assert_float_eq(k->sums[0].latency_p99_ms, 1e3 * log(100.0) / 20, 0.05 * 1e3 * log(100.0) / 20, "p99 %.1f ms",
			   k->sums[0].latency_p99_ms);
	free(k);
	scn_free(&sc);
}

Test(kafka, uneven_keys_are_independent_mm1_queues, .timeout = 120)
{
	/* 4 partitions, zipf skew 1: shares 1/(k H4), H4 = 25/12; lambda 150/s;
	 * 4 pods, one partition each, mu 100/s: W = sum s_k / (mu - lambda s_k). */
	char text[2048];
	snprintf(text, sizeof text, MM1, 23, "10000s", "5s", 150.0, 4, 4, ", skew: 1");
	struct scenario sc;
	load_text(&sc, text);
	struct krun *k = calloc(1, sizeof *k);
	run_k(&sc, k, 0, NULL);
	double h4 = 1 + 1 / 2.0 + 1 / 3.0 + 1 / 4.0, theory = 0;
	for (int i = 1; i <= 4; i++) {
		double s = 1 / (i * h4);
		theory += s / (100 - 150 * s);
	}
	theory *= 1e3;
	double mean, half;
	batch_latency(k, 20, T19_9875, &mean, &half);
	cr_log_info("uneven: %.3f ms +- %.3f, theory %.3f", mean, half, theory);
	cr_expect(fabs(mean - theory) <= half, "uneven keys: simulated %.3f ms +- %.3f, theory %.3f ms", mean, half,
		  theory);
	/* Each partition's share of the events is its Zipf share, within 4
	 * binomial standard deviations (per-partition rows of the run). */
	int64_t total = 0;
	for (int i = 0; i < 4; i++)
		total += k->part_produced[i];
	cr_assert_eq(total, k->sums[0].produced);
	for (int i = 0; i < 4; i++) {
		double s = 1 / ((i + 1) * h4), sd = sqrt((double)total * s * (1 - s));
		cr_expect(fabs((double)k->part_produced[i] - (double)total * s) <= 4 * sd,
			  "partition %d: %lld events, expected %.0f +- %.0f", i, (long long)k->part_produced[i],
			  (double)total * s, 4 * sd);
	}
	/* The hot partition (72 % busy) queues more than the coolest (18 %). */
	cr_assert_gt(k->part_max_lag[0], k->part_max_lag[3]);
	free(k);
	scn_free(&sc);
}

/* ---- rebalances ---- */

#define REBAL \
	"name: rebalance\n" \
	"seed: 5\n" \
	"duration: 3m\n" \
	"services:\n" \
	"  producer:\n" \
	"    replicas: 1\n" \
	"    resources: {requests: {cpu: '4'}}\n" \
	"    cpu_per_request: 1ms\n" \
	"    traffic: {rate: 100rps}\n" \
	"  consumer:\n" \
	"    replicas: 2\n" \
	"    resources: {requests: {cpu: '1'}}\n" \
	"    cpu_per_request: 1ms\n" \
	"kafka:\n" \
	"  topics: [{name: events, partitions: 6}]\n" \
	"  producers: [{service: producer, topic: events}]\n" \
	"  consumers: [{service: consumer, topic: events, assignor: %s, rebalance_pause: 7s}]\n"

static void scale_to_3(struct world *w) { pod_scale(w, &w->svcs[1], 3); }

static void rebalance_case(const char *assignor, struct krun *k)
{
	char text[2048];
	snprintf(text, sizeof text, REBAL, assignor);
	struct scenario sc;
	load_text(&sc, text);
	run_k(&sc, k, 60 * SIM_S, scale_to_3);
	scn_free(&sc);
	cr_assert_eq(k->n_rebalances, 1, "one rebalance: the third pod Ready");
	cr_assert_eq(k->sums[0].rebalances, 1);
}

Test(kafka, eager_rebalance_pauses_every_partition)
{
	struct krun *k = calloc(1, sizeof *k);
	rebalance_case("range", k);
	/* RangeAssignor over 3 members: 2 each, consecutive. */
	for (uint32_t p = 0; p < 6; p++) {
		cr_assert(k->paused[0][p], "partition %u stopped (eager: every partition is revoked)", p);
		cr_assert_eq(k->owner[0][p], p / 2);
	}
	cr_assert_float_eq(k->sums[0].paused_s, 6 * 7.0, 1e-6, "6 partitions x 7 s");
	free(k);
}

Test(kafka, cooperative_rebalance_pauses_only_moved_partitions)
{
	struct krun *k = calloc(1, sizeof *k);
	rebalance_case("cooperative-sticky", k);
	int stopped = 0;
	for (uint32_t p = 0; p < 6; p++) {
		bool moved = k->owner[0][p] == 2; /* the new member (the highest pod number) */
		cr_assert_eq(k->paused[0][p], moved, "partition %u: paused iff moved", p);
		stopped += k->paused[0][p];
	}
	cr_assert_eq(stopped, 2, "one partition from each old member");
	cr_assert_float_eq(k->sums[0].paused_s, 2 * 7.0, 1e-6);
	free(k);
}

static void lose_first(struct world *w)
{
	struct service *sv = &w->svcs[1];
	for (uint32_t i = 0; i < sv->n_pods; i++)
		if (sv->pods[i]->num == 0)
			pod_node_lost(w, sv->pods[i]);
}

Test(kafka, a_lost_consumer_leaves_at_the_session_timeout)
{
	/* The first of two consumers' node is lost at 60 s: it consumes no
	 * more, but the group notices only when its session times out (45 s,
	 * session.timeout.ms), and rebalances then; its partitions (range:
	 * 0 to 2) wait meanwhile. */
	char text[2048];
	snprintf(text, sizeof text, REBAL, "range");
	struct scenario sc;
	load_text(&sc, text);
	struct krun *k = calloc(1, sizeof *k);
	run_k(&sc, k, 60 * SIM_S, lose_first);
	cr_assert_eq(k->n_rebalances, 1);
	cr_assert_float_eq(k->rebalance_t[0], 105.0, 1e-9, "rebalance at %.3f s", k->rebalance_t[0]);
	for (uint32_t p = 0; p < 6; p++)
		cr_assert_eq(k->owner[0][p], 0, "the one member left owns partition %u", p);
	/* About 100/6 a second for 45 s, plus the 7 s pause. */
	for (int p = 0; p < 3; p++)
		cr_assert_gt(k->part_max_lag[p], 600, "partition %d: %lld", p, (long long)k->part_max_lag[p]);
	for (int p = 3; p < 6; p++)
		cr_assert_lt(k->part_max_lag[p], 300, "partition %d: %lld", p, (long long)k->part_max_lag[p]);
	free(k);
	scn_free(&sc);
}

/* ---- failures ---- */

#define DLT \
	"name: dlt\n" \
	"seed: 9\n" \
	"duration: 2m\n" \
	"services:\n" \
	"  producer:\n" \
	"    replicas: 1\n" \
	"    resources: {requests: {cpu: '4'}}\n" \
	"    cpu_per_request: 1ms\n" \
	"    traffic: {rate: 2rps}\n" \
	"  consumer:\n" \
	"    replicas: 1\n" \
	"    resources: {requests: {cpu: '1'}}\n" \
	"    cpu_per_request: 1ms\n" \
	"kafka:\n" \
	"  topics: [{name: events, partitions: 3}]\n" \
	"  producers: [{service: producer, topic: events}]\n" \
	"  consumers: [{service: consumer, topic: events, errors: {%s}%s}]\n"

Test(kafka, a_message_failing_ten_times_goes_to_the_dlt)
{
	char text[2048];
	snprintf(text, sizeof text, DLT, "logical: 100%", "");
	struct scenario sc;
	load_text(&sc, text);
	struct krun *k = calloc(1, sizeof *k);
	run_k(&sc, k, 0, NULL);
	const struct row_kafka_summary *r = &k->sums[0];
	cr_assert_gt(r->dlt, 100, "about 240 messages");
	cr_assert_eq(r->consumed, 0);
	cr_assert_eq(r->deliveries, 10 * r->dlt, "10 deliveries each (FixedBackOff(0, 9))");
	cr_assert_eq(r->failures, r->deliveries);
	cr_assert_eq(r->dlt, r->produced, "every message, none left (each takes 10 ms)");
	free(k);
	scn_free(&sc);
}

Test(kafka, backoff_max_attempts_and_interval)
{
	/* maxAttempts 2: 3 deliveries; interval 5 s blocks the consumer's
	 * thread: one message per 10 s at most, so lag builds. */
	char text[2048];
	snprintf(text, sizeof text, DLT, "logical: 100%", ", backoff: {interval: 5s, maxAttempts: 2}");
	struct scenario sc;
	load_text(&sc, text);
	struct krun *k = calloc(1, sizeof *k);
	run_k(&sc, k, 0, NULL);
	const struct row_kafka_summary *r = &k->sums[0];
	cr_assert_eq(r->deliveries, 3 * r->dlt + (r->deliveries % 3));
	/* 120 s: the first message at about 0.5 s, then one every 2 x 5 s + 3 ms. */
	cr_assert(r->dlt >= 11 && r->dlt <= 12, "dlt %lld", (long long)r->dlt);
	cr_assert_gt(r->max_lag, 200);
	cr_assert_eq(r->slo_met, -1, "no slo");
	free(k);
	scn_free(&sc);
}

Test(kafka, slo_counts_the_messages_still_waiting)
{
	/* Nothing is ever committed (every message ends in the DLT after 10 s
	 * of back-off), so the committed times are empty: the messages left
	 * in the partitions, waiting for up to about two minutes, break a 1 s
	 * p99 by their age alone. */
	char text[2048];
	snprintf(text, sizeof text, DLT, "logical: 100%", ", backoff: {interval: 5s, maxAttempts: 2}, slo: {p99: 1s}");
	struct scenario sc;
	load_text(&sc, text);
	struct krun *k = calloc(1, sizeof *k);
	run_k(&sc, k, 0, NULL);
	cr_assert_eq(k->sums[0].consumed, 0);
	cr_assert_eq(k->sums[0].slo_met, 0);
	cr_assert_eq(k->slo_met[1], 0, "the consumer service misses its slo with its group's");
	cr_assert_eq(k->slo_met[0], -1, "the producer has none");
	free(k);
	scn_free(&sc);
}

static const struct row_kafka_summary *sum_topic(const struct krun *k, const char *topic)
{
	for (size_t i = 0; i < k->n_sums; i++)
		if (!strcmp(k->sums[i].topic, topic))
			return &k->sums[i];
	cr_assert_fail("no summary of topic %s", topic);
	return NULL;
}

Test(kafka, retry_topics_do_not_block_the_partition)
{
	/* @RetryableTopic defaults (attempts 3, delay 1 s): every message is
	 * poison, so each is delivered once from events, twice from
	 * events-retry (each at least 1 s after the last), then goes to the
	 * DLT. The main partitions never wait: where FixedBackOff(5 s, 2)
	 * blocked them (lag > 200 above), their lag stays at a message or two. */
	char text[2048];
	snprintf(text, sizeof text, DLT, "logical: 100%", ", retryable_topic: {}");
	struct scenario sc;
	load_text(&sc, text);
	struct krun *k = calloc(1, sizeof *k);
	run_k(&sc, k, 0, NULL);
	cr_assert_eq(k->n_sums, 2, "the group on events and on events-retry");
	const struct row_kafka_summary *main = sum_topic(k, "events"), *retry = sum_topic(k, "events-retry");
	cr_log_info("main: produced %lld deliveries %lld max_lag %lld; retry: produced %lld deliveries %lld dlt %lld max_lag %lld",
		    (long long)main->produced, (long long)main->deliveries, (long long)main->max_lag,
		    (long long)retry->produced, (long long)retry->deliveries, (long long)retry->dlt,
		    (long long)retry->max_lag);
	cr_assert_geq(main->deliveries, main->produced - 1, "one delivery each on events");
	cr_assert_eq(main->failures, main->deliveries);
	cr_assert_eq(main->dlt, 0);
	cr_assert_eq(main->consumed, 0);
	cr_assert_leq(main->max_lag, 3);
	/* What the retry topic got: each failure on events, and each failure on
	 * it that was not the last attempt. */
	cr_assert_eq(retry->failures, retry->deliveries);
	cr_assert_eq(retry->produced, main->failures + retry->failures - retry->dlt);
	/* Each message in the DLT was delivered twice from events-retry. */
	cr_assert_geq(retry->deliveries, 2 * retry->dlt);
	cr_assert_leq(retry->deliveries, 2 * retry->dlt + retry->max_lag);
	cr_assert_geq(retry->dlt, main->produced - 8, "all but the last seconds' messages in the DLT");
	free(k);
	scn_free(&sc);
}

Test(kafka, retry_topic_delays)
{
	/* 30 % of deliveries fail transiently; CPU 1 ms, 2 messages/s: no
	 * queueing to speak of. A message committed from events-retry failed
	 * once (then 1 ms + 1 s + 1 ms after it was produced) or twice
	 * (2 s + 3 ms): 0.3 x 0.7 against 0.3^2 x 0.7, so the retry group's
	 * median is 1.002 s and its p99 2.003 s (the histogram's buckets are
	 * within 1.6 %). */
	char text[2048];
	snprintf(text, sizeof text, DLT, "transient: 30%", ", retryable_topic: {attempts: 3, delay: 1s}");
	struct scenario sc;
	load_text(&sc, text);
	struct krun *k = calloc(1, sizeof *k);
	run_k(&sc, k, 0, NULL);
	const struct row_kafka_summary *retry = sum_topic(k, "events-retry");
	cr_assert_gt(retry->consumed, 40);
	cr_assert_float_eq(retry->latency_p50_ms, 1002, 1002 * 0.02, "p50 %.1f ms", retry->latency_p50_ms);
	cr_assert_float_eq(retry->latency_p99_ms, 2003, 2003 * 0.02, "p99 %.1f ms", retry->latency_p99_ms);
	cr_assert_float_eq(sum_topic(k, "events")->latency_max_ms, 1.0, 0.05, "first deliveries: 1 ms");
	free(k);
	scn_free(&sc);
}

/* ---- the saga ---- */

#define SAGA \
	"name: saga\n" \
	"seed: 17\n" \
	"duration: 10m\n" \
	"services:\n" \
	"  payment:\n" \
	"    replicas: 2\n" \
	"    resources: {requests: {cpu: '1'}}\n" \
	"    cpu_per_request: 5ms\n" \
	"    traffic: {rate: %s}\n" \
	"  order:\n" \
	"    replicas: 2\n" \
	"    resources: {requests: {cpu: '1'}}\n" \
	"    cpu_per_request: 10ms\n" \
	"  product:\n" \
	"    replicas: 1\n" \
	"    resources: {requests: {cpu: '1'}}\n" \
	"    cpu_per_request: 2ms\n" \
	"kafka:\n" \
	"  topics:\n" \
	"    - {name: payments-paid, partitions: 6}\n" \
	"    - {name: payments-failed, partitions: 3}\n" \
	"  producers:\n" \
	"    - {service: payment, topic: payments-paid, on: success, probability: 90%%}\n" \
	"    - {service: payment, topic: payments-failed, on: success, probability: 10%%}\n" \
	"  consumers:\n" \
	"    - {service: order, topic: payments-paid, group: order-update}\n" \
	"    - {service: order, topic: payments-failed, group: order-cancel}\n" \
	"    - {service: product, topic: payments-failed, group: stock-rollback}\n"

static const struct row_kafka_summary *sum_of(const struct krun *k, const char *group)
{
	for (size_t i = 0; i < k->n_sums; i++)
		if (!strcmp(k->sums[i].group, group))
			return &k->sums[i];
	cr_assert_fail("no summary of %s", group);
	return NULL;
}

Test(kafka, a_failed_payment_is_one_cancel_and_one_rollback)
{
	char text[2048];
	snprintf(text, sizeof text, SAGA, "20rps");
	struct scenario sc;
	load_text(&sc, text);
	struct krun *k = calloc(1, sizeof *k);
	run_k(&sc, k, 0, NULL);
	const struct row_kafka_summary *up = sum_of(k, "order-update"), *cancel = sum_of(k, "order-cancel"),
				       *rollback = sum_of(k, "stock-rollback");
	/* Every paid payment published exactly one event: paid or failed. */
	cr_assert_eq(up->produced + cancel->produced, k->served[0]);
	cr_assert_eq(cancel->produced, rollback->produced, "each failed payment reaches both groups once");
	cr_assert_gt(cancel->produced, 800, "about 10 %% of 12,000");
	cr_assert_eq(cancel->consumed + cancel->dlt, cancel->produced - 0 * cancel->max_lag);
	cr_assert_eq(rollback->consumed, rollback->produced);
	cr_assert(k->has_sagas);
	cr_assert_eq(k->sagas.started, k->served[0]);
	cr_assert_eq(k->sagas.completed + k->sagas.failed + k->sagas.open, k->sagas.started);
	cr_assert_eq(k->sagas.failed, 0);
	/* The saga samples add up to the run's figures. */
	cr_assert_eq(k->n_saga_samples, 60, "10 minutes in 10 s intervals");
	cr_assert_eq(k->iv_started, k->sagas.started);
	cr_assert_eq(k->iv_completed, k->sagas.completed);
	cr_assert_eq(k->iv_failed, k->sagas.failed);
	cr_assert_eq(k->iv_open, k->sagas.open);
	free(k);
	scn_free(&sc);
}

Test(kafka, saga_completion_time_at_low_load)
{
	/* 0.2 rps: almost never two at once. A paid saga: payment's 5 ms then
	 * order's 10 ms = 15 ms; a failed one: 5 ms, then order's 10 ms and
	 * product's 2 ms in parallel = 15 ms. */
	char text[2048];
	snprintf(text, sizeof text, SAGA, "0.2rps");
	struct scenario sc;
	load_text(&sc, text);
	struct krun *k = calloc(1, sizeof *k);
	run_k(&sc, k, 0, NULL);
	cr_assert_gt(k->sagas.completed, 80);
	cr_assert_float_eq(k->sagas.p50_s, 0.015, 0.015 * 0.02, "p50 %.6f s", k->sagas.p50_s);
	cr_assert_float_eq(k->sagas.max_s, 0.015, 0.015 * 0.02, "max %.6f s", k->sagas.max_s);
	free(k);
	scn_free(&sc);
}

static void publish_50(struct world *w)
{
	for (int i = 0; i < 50; i++)
		kafka_request_done(w, &w->svcs[0], false, w->s->now);
}

Test(kafka, keda_scales_to_zero_and_back)
{
	/* minReplicaCount 0, cooldownPeriod 60, pollingInterval 30: nothing
	 * is produced (the producer publishes only on failures, which never
	 * come), so at the poll of 90 s (the last activity at 0 s plus 60 s is
	 * before it; at 60 s it is not) KEDA scales the consumer to zero. 50
	 * events at 200 s make the trigger active (50 > activationLagThreshold
	 * 0): at the poll of 210 s, back to one pod, which consumes them
	 * (Ready at about 225 s: by the poll of 240 s the lag is 0). Inactive
	 * since 210 s, it goes back to zero at the poll of 300 s. */
	const char *text =
		"name: zero\n"
		"seed: 2\n"
		"duration: 6m\n"
		"services:\n"
		"  producer: {replicas: 1, resources: {requests: {cpu: '1'}}, cpu_per_request: 1ms, traffic: {rate: 1rps}}\n"
		"  consumer:\n"
		"    replicas: 1\n"
		"    resources: {requests: {cpu: '1'}}\n"
		"    cpu_per_request: 10ms\n"
		"    startup: {image_pull: {first: 5s, cached: 1s}, container_start: 1s, app_start: 10s}\n"
		"    hpa:\n"
		"      apiVersion: autoscaling/v2\n"
		"      kind: HorizontalPodAutoscaler\n"
		"      metadata: {name: keda-hpa-consumer}\n"
		"      spec:\n"
		"        scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: consumer}\n"
		"        minReplicas: 1\n"
		"        maxReplicas: 5\n"
		"        metrics:\n"
		"          - type: External\n"
		"            external:\n"
		"              metric: {name: s0-kafka-events, selector: {matchLabels: {scaledobject.keda.sh/name: consumer}}}\n"
		"              target: {type: AverageValue, averageValue: '100'}\n"
		"kafka:\n"
		"  topics: [{name: events, partitions: 2}]\n"
		"  producers: [{service: producer, topic: events, on: failure}]\n"
		"  consumers:\n"
		"    - {service: consumer, topic: events, keda: {lagThreshold: 100, minReplicaCount: 0, cooldownPeriod: 60, "
		"pollingInterval: 30}}\n";
	struct scenario sc;
	load_text(&sc, text);
	struct krun *k = calloc(1, sizeof *k);
	run_k(&sc, k, 200 * SIM_S, publish_50);
	cr_assert_eq(k->n_keda, 3);
	cr_assert_str_eq(k->keda_event[0], "deactivate");
	cr_assert_float_eq(k->keda_t[0], 90.0, 1e-9);
	cr_assert(k->keda_from[0] == 1 && k->keda_to[0] == 0);
	cr_assert_str_eq(k->keda_event[1], "activate");
	cr_assert_float_eq(k->keda_t[1], 210.0, 1e-9);
	cr_assert(k->keda_from[1] == 0 && k->keda_to[1] == 1);
	cr_assert_str_eq(k->keda_event[2], "deactivate");
	cr_assert_float_eq(k->keda_t[2], 300.0, 1e-9);
	cr_assert_eq(k->sums[0].consumed, 50, "the pod that came back consumed them");
	/* Waiting for the poll (10 s) and the pod's start (the image cached:
	 * 1 s, container 1 s, application 10 s, then its readiness probe):
	 * none was committed in under 22 s. */
	cr_assert_gt(k->sums[0].latency_p50_ms, 22000, "p50 %.0f ms", k->sums[0].latency_p50_ms);
	free(k);
	scn_free(&sc);
}

/* ---- bad input ---- */

static const char *BASE =
	"name: bad\n"
	"duration: 1m\n"
	"services:\n"
	"  payment: {replicas: 1, resources: {requests: {cpu: '1'}}, cpu_per_request: 1ms, traffic: {rate: 1rps}}\n"
	"  order: {replicas: 1, resources: {requests: {cpu: '1'}}, cpu_per_request: 1ms}\n"
	"kafka:\n";

static void refused(const char *kafka, const char *where, const char *what)
{
	char text[4096];
	snprintf(text, sizeof text, "%s%s", BASE, kafka);
	struct scenario sc;
	struct herr e;
	cr_assert_eq(scn_parse(&sc, "bad.yaml", text, strlen(text), &e), -1, "loaded: %s", kafka);
	cr_assert(!strncmp(e.msg, where, strlen(where)), "%s: expected at %s", e.msg, where);
	cr_assert(strstr(e.msg, what), "%s: expected '%s'", e.msg, what);
}

Test(kafka, bad_input)
{
	refused("  topics: [{name: t, partitions: 10001}]\n", "bad.yaml:7:", "too many");
	refused("  topics: [{name: t, partitions: 0}]\n", "bad.yaml:7:", "partitions");
	refused("  topics: [{name: 't x', partitions: 1}]\n", "bad.yaml:7:", "not a Kafka topic name");
	refused("  topics: [{name: t, partitoins: 1}]\n", "bad.yaml:7:", "did you mean 'partitions'");
	refused("  topics: [{name: t, partitions: 3}]\n"
		"  producers: [{service: payment, topic: t}]\n"
		"  consumers: [{service: order, topic: t, keda: {lagThreshold: 0}}]\n",
		"bad.yaml:9:", "lagThreshold");
	refused("  topics: [{name: t, partitions: 3}]\n"
		"  consumers: [{service: order, topic: t, keda: {allowIdleConsumers: true, limitToPartitionsWithLag: "
		"true}}]\n",
		"bad.yaml:8:", "cannot be set simultaneously");
	refused("  topics: [{name: a, partitions: 1}, {name: b, partitions: 1}]\n"
		"  producers:\n"
		"    - {service: payment, topic: a}\n"
		"    - {service: order, topic: b, from: a}\n"
		"    - {service: order, topic: a, from: b}\n"
		"  consumers:\n"
		"    - {service: order, topic: a}\n"
		"    - {service: order, topic: b}\n",
		"bad.yaml:11:", "cycle of topics");
	refused("  topics: [{name: t, partitions: 1}]\n"
		"  producers: [{service: nobody, topic: t}]\n",
		"bad.yaml:8:", "no service 'nobody'");
	refused("  topics: [{name: t, partitions: 1}]\n"
		"  producers:\n"
		"    - {service: payment, topic: t, probability: 60%}\n"
		"    - {service: payment, topic: t, probability: 50%}\n",
		"bad.yaml:10:", "alternatives");
	refused("  topics: [{name: t, partitions: 1}]\n"
		"  producers: [{service: payment, topic: t}]\n"
		"  consumers: [{service: order, topic: t, backoff: {interval: 1s}, retryable_topic: {attempts: 4}}]\n",
		"bad.yaml:9:", "not with backoff");
	refused("  topics: [{name: t, partitions: 1}]\n"
		"  producers: [{service: payment, topic: t}]\n"
		"  consumers: [{service: order, topic: t, slo: {p99: 1s, p50: 1s}}]\n",
		"bad.yaml:9:", "one objective per consumer group");
	/* A topic named as a consumer's @RetryableTopic retry topic (TOPIC-retry): the same Kafka topic,
	 * and its group's rows collided with the retry group's at the store (a run that validated). */
	refused("  topics: [{name: t, partitions: 2}, {name: t-retry, partitions: 2}]\n"
		"  producers: [{service: payment, topic: t}, {service: payment, topic: t-retry, on: failure}]\n"
		"  consumers:\n"
		"    - {service: order, topic: t, group: g, retryable_topic: {attempts: 3}}\n"
		"    - {service: order, topic: t-retry, group: g}\n",
		"bad.yaml:10:7:", "which kafka.topics also defines");
	refused("  topics: [{name: t, partitions: 1}]\n"
		"  producers: [{service: payment, topic: t}]\n"
		"  consumers: [{service: order, topic: t, group: ''}]\n",
		"bad.yaml:9:", "an empty group.id");
}

#define SO_BASE \
	"  topics: [{name: payments-paid, partitions: 3}]\n" \
	"  producers: [{service: payment, topic: payments-paid}]\n" \
	"  consumers:\n" \
	"    - service: order\n" \
	"      topic: payments-paid\n" \
	"      scaled_object:\n" \
	"        apiVersion: keda.sh/v1alpha1\n" \
	"        kind: ScaledObject\n" \
	"        metadata: {name: order, namespace: shop}\n" \
	"        spec:\n" \
	"          scaleTargetRef: {name: order}\n" \
	"          pollingInterval: 15\n" \
	"          maxReplicaCount: 12\n" \
	"          triggers:\n" \
	"            - type: cpu\n" \
	"              metricType: Utilization\n" \
	"              metadata: {value: '70'}\n" \
	"            - type: kafka\n" \
	"              metadata:\n" \
	"                bootstrapServers: kafka.svc:9092\n" \
	"                consumerGroup: order\n" \
	"                topic: payments-paid\n" \
	"                lagThreshold: '25'\n" \
	"                activationLagThreshold: '3'\n" \
	"                offsetResetPolicy: latest\n" \
	"                limitToPartitionsWithLag: 'true'\n"

Test(kafka, a_pasted_scaled_object)
{
	/* A ScaledObject as kubectl shows it: its kafka trigger's metadata are
	 * strings; KEDA's defaults fill the rest (minReplicaCount 0,
	 * cooldownPeriod 300); the cpu trigger is the HPA's. */
	char text[4096];
	snprintf(text, sizeof text, "%s%s", BASE, SO_BASE);
	struct scenario sc;
	load_text(&sc, text);
	const struct scn_kafka_consumer *c = &sc.kafka.consumers[0];
	cr_assert(c->keda);
	cr_assert_eq(c->lag_threshold, 25);
	cr_assert_eq(c->activation_lag, 3);
	cr_assert(c->limit_to_lag && !c->allow_idle);
	cr_assert_eq(c->min_replica_count, 0);
	cr_assert_eq(c->polling_interval, 15 * SIM_S);
	cr_assert_eq(c->cooldown_period, 300 * SIM_S);
	cr_assert_geq(c->series, 0);
	cr_assert_str_eq(sc.external_metrics[c->series].name, "s0-kafka-payments-paid");
	scn_free(&sc);
	/* What KEDA would refuse, or headroom does not model, at its place. */
	struct {
		const char *from, *to, *where, *what;
	} bad[] = {
		{"lagThreshold: '25'", "lagThreshold: '0'", "bad.yaml:29:", "lagThreshold"},
		{"        topic: payments-paid\n", "        topic: payments-failed\n", "bad.yaml:28:",
		 "not this consumer's topic"},
		{"limitToPartitionsWithLag: 'true'", "excludePersistentLag: 'true'", "bad.yaml:32:", "not modelled"},
		{"kind: ScaledObject", "kind: ScaledJob", "bad.yaml:14:", "ScaledObject"},
		{"name: order}\n          pollingInterval", "name: payment}\n          pollingInterval", "bad.yaml:17:",
		 "not this consumer's service"},
		/* the trigger's own keys: Utilization is for cpu and memory; the polled value is not modelled */
		{"            - type: kafka\n", "            - type: kafka\n              metricType: Utilization\n",
		 "bad.yaml:25:", "not one of AverageValue, Value"},
		{"            - type: kafka\n", "            - type: kafka\n              useCachedMetrics: true\n",
		 "bad.yaml:25:", "useCachedMetrics: true"},
		{"            - type: kafka\n", "            - type: kafka\n              metrictype: Value\n", "bad.yaml:25:",
		 "did you mean 'metricType'"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char so[4096];
		snprintf(so, sizeof so, "%s", SO_BASE);
		char *at = strstr(so, bad[i].from);
		cr_assert(at, "%s", bad[i].from);
		char rest[4096];
		snprintf(rest, sizeof rest, "%s", at + strlen(bad[i].from));
		snprintf(at, sizeof so - (size_t)(at - so), "%s%s", bad[i].to, rest);
		refused(so, bad[i].where, bad[i].what);
	}
	/* metricType: Value: KEDA's HPA targets the total lag as a Value of lagThreshold (25 here); the
	 * HPA pasted with it loads, one with the AverageValue target is refused at its target. */
	const char *targets[2] = {"{type: Value, value: '25'}", "{type: AverageValue, averageValue: '25'}"};
	for (int i = 0; i < 2; i++) {
		char svc[1024], so[4096], base[2048];
		snprintf(svc, sizeof svc,
			 "  order: {replicas: 1, resources: {requests: {cpu: '1'}}, cpu_per_request: 1ms, hpa: {apiVersion: "
			 "autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: keda-hpa-order}, spec: "
			 "{scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: order}, minReplicas: 1, "
			 "maxReplicas: 12, metrics: [{type: External, external: {metric: {name: s0-kafka-payments-paid, "
			 "selector: {matchLabels: {scaledobject.keda.sh/name: order}}}, target: %s}}]}}}\n",
			 targets[i]);
		const char *o = strstr(BASE, "  order: ");
		cr_assert(o);
		snprintf(base, sizeof base, "%.*s%s%s", (int)(o - BASE), BASE, svc, strchr(o, '\n') + 1);
		snprintf(so, sizeof so, "%s%s", base, SO_BASE);
		char *k = strstr(so, "            - type: kafka\n");
		cr_assert(k);
		char rest[4096];
		snprintf(rest, sizeof rest, "%s", k + strlen("            - type: kafka\n"));
		snprintf(k, sizeof so - (size_t)(k - so), "            - type: kafka\n              metricType: Value\n%s",
			 rest);
		struct scenario sc2;
		struct herr e;
		int rc = scn_parse(&sc2, "bad.yaml", so, strlen(so), &e);
		if (i == 0) {
			cr_expect_eq(rc, 0, "%s", e.msg);
			if (!rc)
				scn_free(&sc2);
		} else {
			cr_expect_eq(rc, -1);
			cr_expect(strstr(e.msg, "bad.yaml:5:") && strstr(e.msg, "{type: Value, value: \"25\"}"), "%s", e.msg);
		}
	}
}

Test(kafka, consumer_of_an_unproduced_topic_is_a_warning)
{
	char text[2048];
	snprintf(text, sizeof text, "%s%s", BASE,
		 "  topics: [{name: t, partitions: 1}]\n"
		 "  consumers: [{service: order, topic: t}]\n");
	struct scenario sc;
	load_text(&sc, text);
	cr_assert_eq(sc.n_warnings, 1);
	cr_assert(strstr(sc.warnings[0], "kafka-test.yaml:8:") && strstr(sc.warnings[0], "nothing produces"), "%s",
		  sc.warnings[0]);
	scn_free(&sc);
}

Test(kafka, keda_trigger_feeds_the_hpa)
{
	/* The HPA KEDA makes, pasted: s0-kafka-TOPIC, scaledobject.keda.sh/name. */
	static const char text[] =
		"name: keda\n"
		"seed: 3\n"
		"duration: 5m\n"
		"services:\n"
		"  producer: {replicas: 1, resources: {requests: {cpu: '4'}}, cpu_per_request: 1ms, traffic: {rate: 300rps}}\n"
		"  consumer:\n"
		"    replicas: 1\n"
		"    resources: {requests: {cpu: '1'}, limits: {cpu: '1'}}\n"
		"    cpu_per_request: 10ms\n"
		"    hpa:\n"
		"      apiVersion: autoscaling/v2\n"
		"      kind: HorizontalPodAutoscaler\n"
		"      metadata: {name: keda-hpa-consumer}\n"
		"      spec:\n"
		"        scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: consumer}\n"
		"        minReplicas: 1\n"
		"        maxReplicas: 20\n"
		"        metrics:\n"
		"          - type: External\n"
		"            external:\n"
		"              metric: {name: s0-kafka-events, selector: {matchLabels: {scaledobject.keda.sh/name: consumer}}}\n"
		"              target: {type: AverageValue, averageValue: '100'}\n"
		"kafka:\n"
		"  topics: [{name: events, partitions: 4}]\n"
		"  producers: [{service: producer, topic: events}]\n"
		"  consumers: [{service: consumer, topic: events, keda: {lagThreshold: 100}}]\n";
	struct scenario sc;
	load_text(&sc, text);
	struct krun *k = calloc(1, sizeof *k);
	run_k(&sc, k, 0, NULL);
	/* 300/s against 100/s a pod: lag grows, the HPA adds pods. KEDA's cap
	 * (kafka_scaler.go getTotalLag): a lag whose lag / 100 (integer
	 * division) exceeds the 4 partitions is served as 4 x 100; a lag of
	 * 400 to 499 is not capped, so the HPA may ask for 5 pods, one idle
	 * (keda#4483), never more. */
	int most = 0;
	for (size_t i = 0; i < k->n_rows; i++) {
		int64_t lag = k->rows[i].lag;
		double want = lag / 100 > 4 ? 400.0 : (double)lag;
		cr_assert_float_eq(k->rows[i].keda_metric, want, 1e-9, "at %g: lag %lld served as %g", k->rows[i].t_s,
				   (long long)lag, k->rows[i].keda_metric);
		cr_assert_leq(k->rows[i].keda_metric, 499.0);
		most = k->rows[i].members > most ? k->rows[i].members : most;
	}
	cr_assert_geq(most, 4, "members %d", most);
	cr_assert_leq(most, 5, "members %d: more than partitions + 1", most);
	cr_assert_gt(k->sums[0].rebalances, 0);
	free(k);
	scn_free(&sc);
	/* KEDA's HPA targets the trigger's lagThreshold as an AverageValue
	 * (kafka_scaler.go GetMetricSpecForScaling): another target, which KEDA
	 * never writes, is refused at the target (line 22). */
	const char *bad[2] = {"target: {type: AverageValue, averageValue: '50'}", "target: {type: Value, value: '100'}"};
	for (int i = 0; i < 2; i++) {
		char buf[sizeof text + 64];
		const char *at = strstr(text, "target: {type: AverageValue, averageValue: '100'}");
		cr_assert(at);
		snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - text), text, bad[i],
			 at + strlen("target: {type: AverageValue, averageValue: '100'}"));
		struct herr e;
		cr_assert_eq(scn_parse(&sc, "keda.yaml", buf, strlen(buf), &e), -1, "loaded: %s", bad[i]);
		cr_expect(!strncmp(e.msg, "keda.yaml:22:23: target:", 24), "%s", e.msg);
		cr_expect(strstr(e.msg, "averageValue: \"100\"}, its lagThreshold"), "%s", e.msg);
	}
}
