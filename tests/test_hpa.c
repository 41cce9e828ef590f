/*
 * The HPA port against the table-driven cases of kubernetes/kubernetes
 * pkg/controller/podautoscaler: replica_calculator_test.go (suite
 * replica_calc) and horizontal_test.go at 003e86297d18 (suite horizontal),
 * with their constants: tolerance 0.1, cpu-initialization-period 2 min,
 * initial-readiness-delay 10 s, downscale window 5 min, legacy scale-up
 * limit factor 8 (minimum 4). Each Criterion test is named after the Go test
 * it mirrors and uses its exact numbers (the External ones read at
 * omerap12/kubernetes a769d588, a recent copy of master). Suite hpa_sim
 * holds hand-computed multi-sync runs over simulated time.
 *
 * Time: the Go tests run at time.Now() and leave unset times at Go's zero
 * time. Here "now" is NOW and the zero time is 0, 1 h earlier; a "hot" pod
 * started at NOW, a "cool" one 3 min before.
 *
 * Pods: in replica_calculator_test.go every pod has two containers, each with
 * the listed request and usage, so a pod has twice each; in horizontal_test.go
 * the listed request and usage are per pod, halved (integer milli-units) into
 * two containers, the Ready transition is the start time and samples are
 * taken at now. The fixture builder does both.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hpa.h"

#define NOW (3600 * SIM_S)
#define HOT NOW
#define COOL (NOW - 3 * SIM_MIN)
#define MAXP 16

/* ---------- fixtures ---------- */

enum style { RC, HZ };

struct fixture {
	enum style style;
	size_t n;               /* pods listed */
	const double *req;      /* cores; RC: per container; HZ: per pod (NULL: 1.0 each); 0 = no request */
	size_t n_req;
	const int64_t *lvl;     /* milli-units; RC: per container; HZ: per pod; pods past the end have no sample */
	size_t n_lvl;
	const char *ready;      /* per pod 'T' or 'F' (default T) */
	const char *start;      /* per pod 'h' hot, 'c' cool, else Go's zero time */
	const char *phase;      /* per pod 'R' running, 'P' pending, 'F' failed (default R) */
	const char *deleted;    /* per pod 'd' = deletionTimestamp set */
	bool custom;            /* RC: the levels are a Pods metric, not CPU */
};

#define REQ(...) .req = (const double[]){__VA_ARGS__}, .n_req = ARRAY_LEN(((const double[]){__VA_ARGS__}))
#define LVL(...) .lvl = (const int64_t[]){__VA_ARGS__}, .n_lvl = ARRAY_LEN(((const int64_t[]){__VA_ARGS__}))

static char at(const char *s, size_t i, char dflt)
{
	return s && i < strlen(s) ? s[i] : dflt;
}

static size_t build(struct hpa_pod *p, const struct fixture *f)
{
	cr_assert_leq(f->n, MAXP);
	for (size_t i = 0; i < f->n; i++) {
		struct hpa_pod *q = &p[i];
		memset(q, 0, sizeof *q);
		char st = at(f->start, i, '0');
		q->has_start_time = true;
		q->start_time = st == 'h' ? HOT : st == 'c' ? COOL : 0;
		q->has_ready_condition = true;
		q->ready = at(f->ready, i, 'T') == 'T';
		q->ready_transition = f->style == HZ ? q->start_time : 0;
		char ph = at(f->phase, i, 'R');
		q->pending = ph == 'P';
		q->ignored = ph == 'F' || at(f->deleted, i, '-') == 'd';
		if (f->style == RC) {
			q->cpu_request = i < f->n_req ? 2 * f->req[i] : 0;
		} else {
			int64_t m = f->req ? (i < f->n_req ? llround(f->req[i] * 1000) : 0) : 1000;
			q->cpu_request = (double)(2 * (m / 2)) / 1000.0;
		}
		q->sample_time = f->style == HZ ? NOW : 0;
		q->window = SIM_MIN;
		if (i < f->n_lvl) {
			int64_t l = f->lvl[i];
			if (f->style == HZ || f->custom) {
				q->has_custom = true;
				q->custom = (double)l / 1000.0;
			}
			if (f->style == HZ || !f->custom) {
				q->has_sample = true;
				q->cpu = (double)(f->style == RC ? 2 * l : 2 * (l / 2)) / 1000.0;
				q->memory = 1024 * 1024;
			}
		}
	}
	return f->n;
}

/* ---------- replica calculator helpers ---------- */

static struct hpa_calc_params rcp(double tol_down, double tol_up)
{
	return (struct hpa_calc_params){2 * SIM_MIN, 10 * SIM_S, tol_up, tol_down};
}

/* GetResourceReplicas on CPU with the default tolerances, checking the
 * replicas, the utilisation and the raw per-pod average (milli-cores). */
static void rc_cpu_tol(struct hpa_calc_params p, const struct fixture *f, int32_t current, int32_t target,
		       int32_t want, int32_t want_util, int64_t want_raw)
{
	struct hpa_pod pods[MAXP];
	size_t n = build(pods, f);
	struct hpa_metric_result r;
	int32_t got = hpa_resource_replicas(&p, NOW, current, target, HPA_RES_CPU, pods, n, &r);
	cr_assert(r.valid, "error %s", hpa_error_name(r.error));
	cr_assert_eq(got, want, "replicas: got %d, want %d", got, want);
	cr_assert_eq(r.proposal, want);
	cr_assert_eq((int32_t)r.current, want_util, "utilization: got %g, want %d", r.current, want_util);
	cr_assert_eq(llround(r.average * 1000), want_raw, "raw: got %g, want %lld", r.average * 1000,
		     (long long)want_raw);
}

static void rc_cpu(const struct fixture *f, int32_t current, int32_t target, int32_t want, int32_t want_util,
		   int64_t want_raw)
{
	rc_cpu_tol(rcp(0.1, 0.1), f, current, target, want, want_util, want_raw);
}

static void rc_cpu_err(const struct fixture *f, int32_t current, int32_t target, enum hpa_error want)
{
	struct hpa_pod pods[MAXP];
	size_t n = build(pods, f);
	struct hpa_metric_result r;
	struct hpa_calc_params p = rcp(0.1, 0.1);
	cr_assert_eq(hpa_resource_replicas(&p, NOW, current, target, HPA_RES_CPU, pods, n, &r), -1);
	cr_assert(!r.valid);
	cr_assert_eq(r.error, want, "error %s, want %s", hpa_error_name(r.error), hpa_error_name(want));
}

/* GetMetricReplicas (a Pods metric); target and usage in milli-units. */
static void rc_cm_tol(struct hpa_calc_params p, const struct fixture *f, int32_t current, int64_t target,
		      int32_t want, int64_t want_usage)
{
	struct hpa_pod pods[MAXP];
	size_t n = build(pods, f);
	struct hpa_metric_result r;
	int32_t got = hpa_pods_metric_replicas(&p, NOW, current, (double)target / 1000.0, pods, n, &r);
	cr_assert(r.valid, "error %s", hpa_error_name(r.error));
	cr_assert_eq(got, want, "replicas: got %d, want %d", got, want);
	cr_assert_eq(llround(r.current * 1000), want_usage, "usage: got %g, want %lld", r.current * 1000,
		     (long long)want_usage);
}

static void rc_cm(const struct fixture *f, int32_t current, int64_t target, int32_t want, int64_t want_usage)
{
	rc_cm_tol(rcp(0.1, 0.1), f, current, target, want, want_usage);
}

/* ---------- replica_calculator_test.go ---------- */

Test(replica_calc, TestReplicaCalcScaleUp)
{
	rc_cpu(&(struct fixture){RC, 3, REQ(1, 1, 1), LVL(300, 500, 700)}, 3, 30, 5, 50, 2 * 500);
}

Test(replica_calc, TestReplicaCalcScaleUpUnreadyLessScale)
{
	rc_cpu(&(struct fixture){RC, 3, REQ(1, 1, 1), LVL(300, 500, 700), .ready = "FTT"}, 3, 30, 4, 60, 2 * 600);
}

Test(replica_calc, TestReplicaCalcScaleUpHotCpuLessScale)
{
	rc_cpu(&(struct fixture){RC, 3, REQ(1, 1, 1), LVL(300, 500, 700), .start = "hcc"}, 3, 30, 4, 60, 2 * 600);
}

Test(replica_calc, TestReplicaCalcScaleUpUnreadyNoScale)
{
	rc_cpu(&(struct fixture){RC, 3, REQ(1, 1, 1), LVL(400, 500, 700), .ready = "TFF"}, 3, 30, 3, 40, 2 * 400);
}

Test(replica_calc, TestReplicaCalcScaleHotCpuNoScale)
{
	rc_cpu(&(struct fixture){RC, 3, REQ(1, 1, 1), LVL(400, 500, 700), .ready = "TFF", .start = "chh"}, 3, 30, 3,
	       40, 2 * 400);
}

Test(replica_calc, TestReplicaCalcScaleUpIgnoresFailedPods)
{
	rc_cpu(&(struct fixture){RC, 4, REQ(1, 1, 1, 1), LVL(500, 700), .ready = "TTFF", .phase = "RRFF"}, 2, 30, 4,
	       60, 2 * 600);
}

Test(replica_calc, TestReplicaCalcScaleUpIgnoresDeletionPods)
{
	rc_cpu(&(struct fixture){RC, 4, REQ(1, 1, 1, 1), LVL(500, 700), .ready = "TTFF", .deleted = "--dd"}, 2, 30,
	       4, 60, 2 * 600);
}

Test(replica_calc, TestReplicaCalcScaleDown)
{
	rc_cpu(&(struct fixture){RC, 5, REQ(1, 1, 1, 1, 1), LVL(100, 300, 500, 250, 250)}, 5, 50, 3, 28, 2 * 280);
}

Test(replica_calc, TestReplicaCalcScaleDownExcludeUnreadyPods)
{
	rc_cpu(&(struct fixture){RC, 5, REQ(1, 1, 1, 1, 1), LVL(100, 300, 500, 250, 250), .ready = "TTTFF"}, 5, 50,
	       2, 30, 2 * 300);
}

Test(replica_calc, TestReplicaCalcScaleDownExcludeUnscheduledPods)
{
	rc_cpu(&(struct fixture){RC, 5, REQ(1, 1, 1, 1, 1), LVL(100), .ready = "TFFFF", .phase = "RPPPP"}, 5, 50, 1,
	       10, 2 * 100);
}

Test(replica_calc, TestReplicaCalcScaleDownIgnoreHotCpuPods)
{
	rc_cpu(&(struct fixture){RC, 5, REQ(1, 1, 1, 1, 1), LVL(100, 300, 500, 250, 250), .start = "ccchh"}, 5, 50,
	       2, 30, 2 * 300);
}

Test(replica_calc, TestReplicaCalcScaleDownIgnoresFailedPods)
{
	rc_cpu(&(struct fixture){RC, 7, REQ(1, 1, 1, 1, 1, 1, 1), LVL(100, 300, 500, 250, 250), .ready = "TTTTTFF",
				 .phase = "RRRRRFF"},
	       5, 50, 3, 28, 2 * 280);
}

Test(replica_calc, TestReplicaCalcScaleDownIgnoresDeletionPods)
{
	rc_cpu(&(struct fixture){RC, 7, REQ(1, 1, 1, 1, 1, 1, 1), LVL(100, 300, 500, 250, 250), .ready = "TTTTTFF",
				 .deleted = "-----dd"},
	       5, 50, 3, 28, 2 * 280);
}

Test(replica_calc, TestReplicaCalcScaleUpCM)
{
	rc_cm(&(struct fixture){RC, 3, LVL(20000, 10000, 30000), .custom = true}, 3, 15000, 4, 20000);
}

Test(replica_calc, TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale)
{
	rc_cm(&(struct fixture){RC, 3, LVL(50000, 10000, 30000), .ready = "TTF", .start = "cch", .custom = true}, 3,
	      15000, 6, 30000);
}

Test(replica_calc, TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown)
{
	rc_cm(&(struct fixture){RC, 3, LVL(50000, 15000, 30000), .ready = "FTF", .start = "hch", .custom = true}, 3,
	      15000, 7, 31666);
}

Test(replica_calc, TestReplicaCalcScaleDownCM)
{
	rc_cm(&(struct fixture){RC, 5, LVL(12000, 12000, 12000, 12000, 12000), .custom = true}, 5, 20000, 3, 12000);
}

Test(replica_calc, TestReplicaCalcTolerance)
{
	rc_cpu(&(struct fixture){RC, 3, REQ(0.9, 1.0, 1.1), LVL(1010, 1030, 1020)}, 3, 100, 3, 102, 2 * 1020);
}

Test(replica_calc, TestReplicaCalcToleranceCM)
{
	rc_cm(&(struct fixture){RC, 3, LVL(20000, 21000, 21000), .custom = true}, 3, 20000, 3, 20666);
}

/* Tolerances{scaleDown, scaleUp} as in the Go table. */
Test(replica_calc, TestReplicaCalcConfigurableTolerance)
{
	struct fixture f = {RC, 3, REQ(0.9, 1.0, 1.1), LVL(909, 1010, 1111)};
	rc_cpu_tol(rcp(0, 0), &f, 3, 100, 4, 101, 2 * 1010); /* outside a 0 % tolerance */
	f = (struct fixture){RC, 3, REQ(0.9, 1.0, 1.1), LVL(1890, 1910, 1900)};
	rc_cpu_tol(rcp(0.1, 2.0), &f, 3, 100, 3, 190, 2 * 1900); /* within a 200 % scale-up tolerance */
	f = (struct fixture){RC, 3, REQ(0.9, 1.0, 1.1), LVL(1100, 1080, 1090)};
	rc_cpu_tol(rcp(2.0, 0.08), &f, 3, 100, 4, 109, 2 * 1090); /* outside 8 % scale-up tolerance */
	f = (struct fixture){RC, 3, REQ(0.9, 1.0, 1.1), LVL(660, 640, 650)};
	rc_cpu_tol(rcp(0.36, 0.1), &f, 3, 100, 3, 65, 2 * 650); /* within a 36 % scale-down tolerance */
	rc_cpu_tol(rcp(0.34, 0.1), &f, 3, 100, 2, 65, 2 * 650); /* outside a 34 % scale-down tolerance */
}

Test(replica_calc, TestReplicaCalcConfigurableToleranceCM)
{
	rc_cm_tol(rcp(0.1, 0.01), &(struct fixture){RC, 3, LVL(20000, 21000, 21000), .custom = true}, 3, 20000, 4,
		  20666);
}

/* The Go fixture also returns samples for two pods that do not exist; they
 * are skipped (no request), which pods that do not exist here are too. */
Test(replica_calc, TestReplicaCalcSuperfluousMetrics)
{
	rc_cpu(&(struct fixture){RC, 4, REQ(1, 1, 1, 1), LVL(4000, 9500, 3000, 7000)}, 4, 100, 24, 587, 2 * 5875);
}

Test(replica_calc, TestReplicaCalcMissingMetrics)
{
	rc_cpu(&(struct fixture){RC, 4, REQ(1, 1, 1, 1), LVL(400, 95)}, 4, 100, 3, 24, 495);
}

Test(replica_calc, TestReplicaCalcEmptyMetrics)
{
	rc_cpu_err(&(struct fixture){RC, 4, REQ(1, 1, 1)}, 4, 100, HPA_ERR_NO_METRICS);
}

Test(replica_calc, TestReplicaCalcEmptyCPURequest)
{
	rc_cpu_err(&(struct fixture){RC, 1, LVL(200)}, 1, 100, HPA_ERR_MISSING_REQUEST);
}

Test(replica_calc, TestPlainMetricReplicaCalcMissingMetricsNoChangeEq)
{
	rc_cm(&(struct fixture){RC, 5, LVL(20000, 19000, 21000), .custom = true}, 5, 20000, 5, 20000);
}

Test(replica_calc, TestReplicaCalcMissingMetricsNoChangeEq)
{
	rc_cpu(&(struct fixture){RC, 2, REQ(1, 1), LVL(1000)}, 2, 100, 2, 100, 2 * 1000);
}

Test(replica_calc, TestReplicaCalcMissingMetricsNoChangeGt)
{
	rc_cpu(&(struct fixture){RC, 2, REQ(1, 1), LVL(1900)}, 2, 100, 2, 190, 2 * 1900);
}

Test(replica_calc, TestReplicaCalcMissingMetricsNoChangeLt)
{
	rc_cpu(&(struct fixture){RC, 2, REQ(1, 1), LVL(600)}, 2, 100, 2, 60, 2 * 600);
}

Test(replica_calc, TestReplicaCalcMissingMetricsUnreadyChange)
{
	rc_cpu(&(struct fixture){RC, 3, REQ(1, 1, 1), LVL(100, 450), .ready = "FTT"}, 3, 50, 3, 45, 2 * 450);
}

Test(replica_calc, TestReplicaCalcMissingMetricsHotCpuNoChange)
{
	rc_cpu(&(struct fixture){RC, 3, REQ(1, 1, 1), LVL(100, 450), .start = "hcc"}, 3, 50, 3, 45, 2 * 450);
}

Test(replica_calc, TestReplicaCalcMissingMetricsUnreadyScaleUp)
{
	rc_cpu(&(struct fixture){RC, 3, REQ(1, 1, 1), LVL(100, 2000), .ready = "FTT"}, 3, 50, 4, 200, 2 * 2000);
}

Test(replica_calc, TestReplicaCalcMissingMetricsHotCpuScaleUp)
{
	rc_cpu(&(struct fixture){RC, 3, REQ(1, 1, 1), LVL(100, 2000), .ready = "FTT", .start = "hcc"}, 3, 50, 4, 200,
	       2 * 2000);
}

Test(replica_calc, TestReplicaCalcMissingMetricsUnreadyScaleDown)
{
	rc_cpu(&(struct fixture){RC, 4, REQ(1, 1, 1, 1), LVL(100, 100, 100), .ready = "FTTT"}, 4, 50, 3, 10, 2 * 100);
}

Test(replica_calc, TestReplicaCalcMissingMetricsScaleDownTargetOver100)
{
	rc_cpu(&(struct fixture){RC, 4, REQ(1, 1, 2, 2), LVL(200, 100, 100), .ready = "FTTT"}, 4, 300, 2, 6, 2 * 100);
}

Test(replica_calc, TestReplicaCalcDuringRollingUpdateWithMaxSurge)
{
	rc_cpu(&(struct fixture){RC, 3, REQ(1, 1, 1), LVL(100, 100)}, 2, 50, 2, 10, 2 * 100);
}

Test(replica_calc, TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM)
{
	rc_cm(&(struct fixture){RC, 3, LVL(10000, 10000), .custom = true}, 2, 17000, 2, 10000);
}

/* The computation as the Go test writes it, in float64 and int32. */
Test(replica_calc, TestReplicaCalcComputedToleranceAlgImplementation)
{
	int32_t start_pods = 10;
	int64_t used = start_pods * 150;
	int32_t requested = (int32_t)(2 * used);
	double requested_to_used = (double)(requested / (int32_t)used);
	int32_t per_pod = requested / start_pods;
	double target = fabs(1 / (requested_to_used * (1 - 0.1))) + .01;
	int32_t final_target = (int32_t)(target * 100);
	double used_ratio = (double)used / ((double)requested * target);
	int32_t final_pods = (int32_t)ceil(used_ratio * start_pods);
	const int32_t delta[10] = {100, -100, 10, -10, 2, -2, 1, -1, 0, 0};
	double req[10];
	int64_t lvl[10];
	for (int i = 0; i < 10; i++) {
		req[i] = (double)(per_pod + delta[i]) / 1000.0;
		lvl[i] = used / 10;
	}
	struct fixture f = {.style = RC, .n = 10, .req = req, .n_req = 10, .lvl = lvl, .n_lvl = 10};
	int32_t util = (int32_t)(used * 100) / requested;
	rc_cpu(&f, start_pods, final_target, final_pods, util, 2 * used / 10);
	cr_assert_eq(final_pods, 9); /* the Go test's derived numbers, for the record */
	target = fabs(1 / (requested_to_used * (1 - 0.1))) + .004;
	rc_cpu(&f, start_pods, (int32_t)(target * 100), start_pods, util, 2 * used / 10);
}

/* TestGroupPods: the grouping, read back from the result's counts. */
struct group_case {
	const char *name;
	struct hpa_pod pods[3];
	size_t n;
	bool memory;
	int32_t ready, unready, missing, ignored;
};

Test(replica_calc, TestGroupPods)
{
	const simtime m = SIM_MIN, s = SIM_S;
	/* a sample's timestamp and window; "Value: 1" samples in Go have the zero time */
	const struct group_case cases[] = {
		{"void", {{0}}, 0, false, 0, 0, 0, 0},
		{"count in a ready pod - memory",
		 {{.has_sample = true, .memory = 1e-3, .sample_time = NOW, .window = m}}, 1, true, 1, 0, 0, 0},
		{"unready a pod without ready condition - CPU",
		 {{.has_start_time = true, .start_time = NOW, .has_sample = true, .cpu = 1e-3}}, 1, false, 0, 1, 0, 0},
		{"count in a ready pod with fresh metrics during initialization period - CPU",
		 {{.has_start_time = true, .start_time = NOW - m, .has_ready_condition = true, .ready = true,
		   .ready_transition = NOW - 30 * s, .has_sample = true, .cpu = 1e-3, .sample_time = NOW,
		   .window = 30 * s}},
		 1, false, 1, 0, 0, 0},
		{"unready a ready pod without fresh metrics during initialization period - CPU",
		 {{.has_start_time = true, .start_time = NOW - m, .has_ready_condition = true, .ready = true,
		   .ready_transition = NOW - 30 * s, .has_sample = true, .cpu = 1e-3, .sample_time = NOW,
		   .window = 60 * s}},
		 1, false, 0, 1, 0, 0},
		{"unready an unready pod during initialization period - CPU",
		 {{.has_start_time = true, .start_time = NOW - 10 * m, .has_ready_condition = true, .ready = false,
		   .ready_transition = NOW - 9 * m - 54 * s, .has_sample = true, .cpu = 1e-3}},
		 1, false, 0, 1, 0, 0},
		{"count in a ready pod without fresh metrics after initialization period - CPU",
		 {{.has_start_time = true, .start_time = NOW - 3 * m, .has_ready_condition = true, .ready = true,
		   .ready_transition = NOW - 3 * m, .has_sample = true, .cpu = 1e-3, .sample_time = NOW - 2 * m,
		   .window = m}},
		 1, false, 1, 0, 0, 0},
		{"count in an unready pod that was ready after initialization period - CPU",
		 {{.has_start_time = true, .start_time = NOW - 10 * m, .has_ready_condition = true, .ready = false,
		   .ready_transition = NOW - 9 * m, .has_sample = true, .cpu = 1e-3}},
		 1, false, 1, 0, 0, 0},
		{"unready pod that has never been ready after initialization period - CPU",
		 {{.has_start_time = true, .start_time = NOW - 10 * m, .has_ready_condition = true, .ready = false,
		   .ready_transition = NOW - 9 * m - 50 * s, .has_sample = true, .cpu = 1e-3}},
		 1, false, 1, 0, 0, 0},
		{"a missing pod", {{.has_start_time = true, .start_time = NOW - 3 * m}}, 1, false, 0, 0, 1, 0},
		{"several pods",
		 {{.has_start_time = true, .start_time = NOW, .has_sample = true, .cpu = 1e-3},
		  {.has_start_time = true, .start_time = NOW - 3 * m, .has_ready_condition = true, .ready = true,
		   .ready_transition = NOW - 3 * m, .has_sample = true, .cpu = 1e-3},
		  {.has_start_time = true, .start_time = NOW - 3 * m}},
		 3, false, 1, 1, 1, 0},
		{"pending pods are unreadied", {{.pending = true}}, 1, false, 0, 1, 0, 0},
		{"ignore pods with deletion timestamps", {{.ignored = true, .pending = true, .has_sample = true}}, 1,
		 false, 0, 0, 0, 1},
		{"ignore pods in a failed state", {{.ignored = true, .has_sample = true}}, 1, false, 0, 0, 0, 1},
	};
	struct hpa_calc_params p = rcp(0.1, 0.1);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct group_case *c = &cases[i];
		struct hpa_metric_result r;
		if (c->memory)
			hpa_resource_average_replicas(&p, NOW, 1, 1.0, HPA_RES_MEMORY, c->pods, c->n, &r);
		else
			hpa_resource_replicas(&p, NOW, 1, 50, HPA_RES_CPU, c->pods, c->n, &r);
		cr_expect(r.n_ready == c->ready && r.n_unready == c->unready && r.n_missing == c->missing &&
				  r.n_ignored == c->ignored,
			  "%s: got ready %d unready %d missing %d ignored %d", c->name, r.n_ready, r.n_unready,
			  r.n_missing, r.n_ignored);
	}
}

/* ---------- External metrics (replica_calculator_test.go) ---------- */

/* GetExternalMetricReplicas (a Value target): the total and target in
 * milli-units; pods built from the fixture (only their readiness counts). */
static void rc_ext_value(const struct fixture *f, int32_t current, int64_t usage, int64_t target, int32_t want)
{
	struct hpa_pod pods[MAXP];
	size_t n = build(pods, f);
	struct hpa_metric_result r;
	struct hpa_calc_params p = rcp(0.1, 0.1);
	int32_t got = hpa_external_value_replicas(&p, current, (double)usage / 1000.0, (double)target / 1000.0, pods,
						  n, &r);
	cr_assert(r.valid, "error %s", hpa_error_name(r.error));
	cr_assert_eq(got, want, "replicas: got %d, want %d", got, want);
	cr_assert_eq(r.kind, HPA_METRIC_EXTERNAL);
	cr_assert_eq(llround(r.current * 1000), usage);
}

/* GetExternalPerPodMetricReplicas (an AverageValue target): the status
 * replicas are the Go test's currentReplicas. */
static void rc_ext_avg(int32_t status, int64_t usage, int64_t target, int32_t want, int64_t want_usage)
{
	struct hpa_metric_result r;
	struct hpa_calc_params p = rcp(0.1, 0.1);
	int32_t got = hpa_external_average_replicas(&p, status, (double)usage / 1000.0, (double)target / 1000.0, &r);
	cr_assert(r.valid);
	cr_assert_eq(got, want, "replicas: got %d, want %d", got, want);
	cr_assert_eq(llround(r.current * 1000), want_usage, "usage: got %g, want %lld", r.current * 1000,
		     (long long)want_usage);
}

/* Upstream runs this one as a Pods metric (metricType podMetric) despite its
 * name; as an External Value metric it gives the same 2: 8.6 / 4.4 = 1.95
 * over 1 ready pod. */
Test(replica_calc, TestReplicaCalcScaleUpCMExternal)
{
	rc_ext_value(&(struct fixture){RC, .n = 1}, 1, 8600, 4400, 2);
}

/* ratio 1.95 over the 1 ready pod of 3: ceil(1.95) = 2 (6 with all three). */
Test(replica_calc, TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods)
{
	rc_ext_value(&(struct fixture){RC, 3, .ready = "FTF"}, 3, 8600, 4400, 2);
}

/* 8.6 / (2.15 x 3) = 1.33: ceil(8.6 / 2.15) = 4; usage ceil(8600 / 3) m. */
Test(replica_calc, TestReplicaCalcScaleUpPerPodCMExternal)
{
	rc_ext_avg(3, 8600, 2150, 4, 2867);
}

/* 8.6 / 14.334 = 0.59997 x 5 ready pods = 2.9999: 3. */
Test(replica_calc, TestReplicaCalcScaleDownCMExternal)
{
	rc_ext_value(&(struct fixture){RC, .n = 5}, 5, 8600, 14334, 3);
}

/* 8.6 / (2.867 x 5) = 0.5999: ceil(8.6 / 2.867) = ceil(2.9996) = 3. */
Test(replica_calc, TestReplicaCalcScaleDownPerPodCMExternal)
{
	rc_ext_avg(5, 8600, 2867, 3, 1720);
}

/* 8.6 / 8.888 = 0.968: within 10 %. */
Test(replica_calc, TestReplicaCalcToleranceCMExternal)
{
	rc_ext_value(&(struct fixture){RC, .n = 3}, 3, 8600, 8888, 3);
}

/* 8.6 / (2.9 x 3) = 0.989: within 10 %, the status count. */
Test(replica_calc, TestReplicaCalcTolerancePerPodCMExternal)
{
	rc_ext_avg(3, 8600, 2900, 3, 2867);
}

/* A total of MaxInt64 milli-units against 1 m per pod: MaxInt32 replicas. */
Test(replica_calc, TestExternalPerPodMetricReplicaOverflow)
{
	struct hpa_metric_result r;
	struct hpa_calc_params p = rcp(0.1, 0.1);
	cr_assert_eq(hpa_external_average_replicas(&p, 1, 9.3e15, 0.001, &r), INT32_MAX);
}

/* Hand-computed: KEDA's usual shape. A total of 120 against 10 per pod
 * over 6 replicas: 120 / (10 x 6) = 2, outside the tolerance, so
 * ceil(120 / 10) = 12, whatever the count; the status shows 120 / 6 = 20. */
Test(replica_calc, external_average_value_120_over_6_asks_12)
{
	rc_ext_avg(6, 120000, 10000, 12, 20000);
}

/* Hand-computed: no readiness rules for AverageValue: 6 pods of which 2
 * Pending and 2 unready still count as 6 status replicas; 13 / (2 x 6) =
 * 1.083 is within 10 %, so the proposal is the status count, 6. */
Test(replica_calc, external_average_value_counts_status_replicas)
{
	struct scn_hpa s = {0};
	hpa_spec_defaults(&s);
	s.max_replicas = 20;
	struct scn_hpa_metric m = {.kind = HPA_METRIC_EXTERNAL, .target = HPA_TARGET_AVERAGE_VALUE, .average_value = 2};
	s.metrics = &m;
	s.n_metrics = 1;
	hpa *h = hpa_new(&s);
	struct hpa_pod pods[MAXP];
	size_t n = build(pods, &(struct fixture){RC, 7, .ready = "TTFFTTT", .phase = "RRRRPPR", .deleted = "------d"});
	struct hpa_decision d;
	double total = 13;
	cr_assert_eq(hpa_sync_ext(h, NOW, 6, pods, n, &total, &d), 6);
	cr_assert_eq(d.metric[0].n_ready, 6);
	cr_assert(d.metric[0].held);
	total = 14; /* 14 / 12 = 1.167: ceil(14 / 2) = 7 */
	cr_assert_eq(hpa_sync_ext(h, NOW + 15 * SIM_S, 6, pods, n, &total, &d), 7);
	hpa_free(h);
}

/* Hand-computed: a Value target of 10 with a total of 30 and 4 of 6 pods
 * Ready: ratio 3, ceil(3 x 4) = 12; at current 0, ceil(3) = 3. A total of
 * 10.5 is within the tolerance: the current count. */
Test(replica_calc, external_value_times_ready_pods)
{
	struct fixture f = {RC, 6, .ready = "TTFTTF"};
	rc_ext_value(&f, 6, 30000, 10000, 12);
	rc_ext_value(&f, 0, 30000, 10000, 3);
	rc_ext_value(&f, 6, 10500, 10000, 6);
	struct hpa_metric_result r;
	struct hpa_calc_params p = rcp(0.1, 0.1);
	cr_assert_eq(hpa_external_value_replicas(&p, 6, 30, 10, NULL, 0, &r), -1);
	cr_assert_eq(r.error, HPA_ERR_NO_PODS);
}

/* ---------- horizontal_test.go helpers ---------- */

/* The test controller's flags (horizontal_test.go setupController and init). */
static struct scn_hpa test_spec(int32_t min, int32_t max)
{
	struct scn_hpa s;
	memset(&s, 0, sizeof s);
	hpa_spec_defaults(&s);
	s.enabled = true;
	s.min_replicas = min;
	s.max_replicas = max;
	s.cpu_initialization_period = 2 * SIM_MIN;
	s.initial_readiness_delay = 10 * SIM_S;
	s.scale_up_limit_factor = 8;
	return s;
}

/* generateScalingRules(pods, podsPeriod, percent, percentPeriod, window) */
struct gen {
	struct scn_hpa_rules r;
	struct scn_hpa_policy pol[2];
};

static struct scn_hpa_rules *gen_rules(struct gen *g, int32_t pods, int32_t pods_s, int32_t pct, int32_t pct_s,
				       int32_t window_s)
{
	memset(g, 0, sizeof *g);
	size_t n = 0;
	if (pods)
		g->pol[n++] = (struct scn_hpa_policy){HPA_POLICY_PODS, pods, pods_s * SIM_S};
	if (pct)
		g->pol[n++] = (struct scn_hpa_policy){HPA_POLICY_PERCENT, pct, pct_s * SIM_S};
	g->r.policies = g->pol;
	g->r.n_policies = n;
	g->r.select = HPA_SELECT_MAX;
	g->r.has_stabilization = true;
	g->r.stabilization = window_s * SIM_S;
	return &g->r;
}

enum hist { H_NIL, H_EMPTY, H_LIST };
#define NO_BOUND (-1)

struct hz {
	int32_t min, max, spec;
	int32_t cpu;         /* CPU utilisation target, percent; 0 = none */
	double cm;           /* a Pods metric ("qps") AverageValue target; 0 = none */
	bool invalid;        /* plus a metric that cannot be computed (memory utilisation without requests),
			      * standing for the Go tests' "CheddarCheese" or failing External metric */
	struct fixture f;
	enum hist hist;      /* H_NIL: the controller records the initial recommendation */
	const struct hpa_rec *recs;
	size_t n_recs;
	const struct scn_hpa_rules *up, *down; /* behavior, when either is set */
	int32_t want;
	int bound;           /* an enum hpa_bound to check, or NO_BOUND */
};

static void hz_check(const struct hz *c)
{
	struct scn_hpa_metric m[3];
	size_t nm = 0;
	memset(m, 0, sizeof m);
	if (c->cpu)
		m[nm++] = (struct scn_hpa_metric){.kind = HPA_METRIC_RESOURCE, .resource = HPA_RES_CPU,
						  .target = HPA_TARGET_UTILIZATION, .utilization = c->cpu};
	if (c->cm > 0)
		m[nm++] = (struct scn_hpa_metric){.kind = HPA_METRIC_PODS, .target = HPA_TARGET_AVERAGE_VALUE,
						  .average_value = c->cm};
	if (c->invalid)
		m[nm++] = (struct scn_hpa_metric){.kind = HPA_METRIC_RESOURCE, .resource = HPA_RES_MEMORY,
						  .target = HPA_TARGET_UTILIZATION, .utilization = 50};
	struct scn_hpa s = test_spec(c->min, c->max);
	s.metrics = nm ? m : NULL;
	s.n_metrics = nm;
	if (c->up || c->down) {
		s.has_behavior = true;
		if (c->up)
			s.up = *c->up;
		if (c->down)
			s.down = *c->down;
	}
	hpa *h = hpa_new(&s);
	if (c->hist == H_EMPTY)
		hpa_start_history(h);
	for (size_t i = 0; i < c->n_recs; i++)
		hpa_add_recommendation(h, c->recs[i].replicas, c->recs[i].t);
	struct hpa_pod pods[MAXP];
	size_t n = build(pods, &c->f);
	struct hpa_decision d;
	int32_t got = hpa_sync(h, NOW, c->spec, pods, n, &d);
	cr_assert_eq(got, c->want, "desired: got %d, want %d (bound %s)", got, c->want, hpa_bound_name(d.bound));
	cr_assert_eq(d.desired, got);
	if (c->bound != NO_BOUND)
		cr_assert_eq(d.bound, (enum hpa_bound)c->bound, "bound %s, want %s", hpa_bound_name(d.bound),
			     hpa_bound_name((enum hpa_bound)c->bound));
	hpa_free(h);
}

#define HZF(n, ...) .f = {HZ, n, __VA_ARGS__}

/* ---------- horizontal_test.go ---------- */

Test(horizontal, TestScaleUp)
{
	hz_check(&(struct hz){2, 6, 3, 30, HZF(3, REQ(1, 1, 1), LVL(300, 500, 700)), .want = 5,
			      .bound = HPA_BOUND_NONE});
}

Test(horizontal, TestScaleUpUnreadyLessScale)
{
	hz_check(&(struct hz){2, 6, 3, 30, HZF(3, REQ(1, 1, 1), LVL(300, 500, 700), .ready = "FTT"), .want = 4,
			      .bound = NO_BOUND});
}

Test(horizontal, TestScaleUpHotCpuLessScale)
{
	hz_check(&(struct hz){2, 6, 3, 30, HZF(3, REQ(1, 1, 1), LVL(300, 500, 700), .start = "hcc"), .want = 4,
			      .bound = NO_BOUND});
}

Test(horizontal, TestScaleUpUnreadyNoScale)
{
	hz_check(&(struct hz){2, 6, 3, 30, HZF(3, REQ(1, 1, 1), LVL(400, 500, 700), .ready = "TFF"), .want = 3,
			      .bound = HPA_BOUND_TOLERANCE});
}

Test(horizontal, TestScaleUpHotCpuNoScale)
{
	hz_check(&(struct hz){2, 6, 3, 30, HZF(3, REQ(1, 1, 1), LVL(400, 500, 700), .ready = "TFF", .start = "chh"),
			      .want = 3, .bound = HPA_BOUND_TOLERANCE});
}

Test(horizontal, TestScaleUpIgnoresFailedPods)
{
	hz_check(&(struct hz){2, 6, 2, 30,
			      HZF(4, REQ(1, 1, 1, 1), LVL(500, 700), .ready = "TTFF", .phase = "RRFF"), .want = 4,
			      .bound = NO_BOUND});
}

Test(horizontal, TestScaleUpIgnoresDeletionPods)
{
	hz_check(&(struct hz){2, 6, 2, 30,
			      HZF(4, REQ(1, 1, 1, 1), LVL(500, 700), .ready = "TTFF", .deleted = "--dd"), .want = 4,
			      .bound = NO_BOUND});
}

Test(horizontal, TestScaleUpCM)
{
	hz_check(&(struct hz){2, 6, 3, 0, 15.0, HZF(3, REQ(1, 1, 1), LVL(20000, 10000, 30000)), .want = 4,
			      .bound = NO_BOUND});
}

Test(horizontal, TestScaleUpCMUnreadyAndHotCpuNoLessScale)
{
	hz_check(&(struct hz){2, 6, 3, 0, 15.0,
			      HZF(3, REQ(1, 1, 1), LVL(50000, 10000, 30000), .ready = "TTF", .start = "cch"),
			      .want = 6, .bound = NO_BOUND});
}

Test(horizontal, TestScaleUpCMUnreadyandCpuHot)
{
	hz_check(&(struct hz){2, 6, 3, 0, 15.0,
			      HZF(3, REQ(1, 1, 1), LVL(50000, 15000, 30000), .ready = "FTF", .start = "hch"),
			      .want = 6, .bound = HPA_BOUND_MAX_REPLICAS});
}

Test(horizontal, TestScaleUpHotCpuNoScaleWouldScaleDown)
{
	hz_check(&(struct hz){2, 6, 3, 0, 15.0, HZF(3, REQ(1, 1, 1), LVL(50000, 15000, 30000), .start = "hch"),
			      .want = 6, .bound = HPA_BOUND_MAX_REPLICAS});
}

Test(horizontal, TestScaleDown)
{
	hz_check(&(struct hz){2, 6, 5, 50, HZF(5, REQ(1, 1, 1, 1, 1), LVL(100, 300, 500, 250, 250)),
			      .hist = H_EMPTY, .want = 3, .bound = HPA_BOUND_NONE});
}

Test(horizontal, TestScaleDownWithScalingRules)
{
	struct gen up;
	hz_check(&(struct hz){2, 6, 5, 50, HZF(5, REQ(1, 1, 1, 1, 1), LVL(100, 300, 500, 250, 250)),
			      .hist = H_EMPTY, .up = gen_rules(&up, 0, 0, 100, 15, 30), .want = 3,
			      .bound = NO_BOUND});
}

Test(horizontal, TestScaleUpOneMetricInvalid)
{
	hz_check(&(struct hz){2, 6, 3, 30, .invalid = true, HZF(3, REQ(1, 1, 1), LVL(300, 400, 500)), .want = 4,
			      .bound = NO_BOUND});
}

Test(horizontal, TestScaleUpBothMetricsEmpty)
{
	hz_check(&(struct hz){2, 6, 3, 0, .invalid = true, HZF(3, REQ(1, 1, 1)), .want = 3,
			      .bound = HPA_BOUND_NO_METRICS});
}

Test(horizontal, TestScaleDownStabilizeInitialSize)
{
	hz_check(&(struct hz){2, 6, 5, 50, HZF(5, REQ(1, 1, 1, 1, 1), LVL(100, 300, 500, 250, 250)), .hist = H_NIL,
			      .want = 5, .bound = HPA_BOUND_STABILIZATION});
}

Test(horizontal, TestScaleDownCM)
{
	hz_check(&(struct hz){2, 6, 5, 0, 20.0, HZF(5, REQ(1, 1, 1, 1, 1), LVL(12000, 12000, 12000, 12000, 12000)),
			      .hist = H_EMPTY, .want = 3, .bound = NO_BOUND});
}

Test(horizontal, TestScaleDownIncludeUnreadyPods)
{
	hz_check(&(struct hz){2, 6, 5, 50,
			      HZF(5, REQ(1, 1, 1, 1, 1), LVL(100, 300, 500, 250, 250), .ready = "TTTFF"),
			      .hist = H_EMPTY, .want = 2, .bound = NO_BOUND});
}

Test(horizontal, TestScaleDownIgnoreHotCpuPods)
{
	hz_check(&(struct hz){2, 6, 5, 50,
			      HZF(5, REQ(1, 1, 1, 1, 1), LVL(100, 300, 500, 250, 250), .start = "ccchh"),
			      .hist = H_EMPTY, .want = 2, .bound = NO_BOUND});
}

Test(horizontal, TestScaleDownIgnoresFailedPods)
{
	hz_check(&(struct hz){2, 6, 5, 50,
			      HZF(7, REQ(1, 1, 1, 1, 1, 1, 1), LVL(100, 300, 500, 250, 250), .ready = "TTTTTFF",
				  .phase = "RRRRRFF"),
			      .hist = H_EMPTY, .want = 3, .bound = NO_BOUND});
}

Test(horizontal, TestScaleDownIgnoresDeletionPods)
{
	hz_check(&(struct hz){2, 6, 5, 50,
			      HZF(7, REQ(1, 1, 1, 1, 1, 1, 1), LVL(100, 300, 500, 250, 250), .ready = "TTTTTFF",
				  .deleted = "-----dd"),
			      .hist = H_EMPTY, .want = 3, .bound = NO_BOUND});
}

Test(horizontal, TestTolerance)
{
	hz_check(&(struct hz){1, 5, 3, 100, HZF(3, REQ(0.9, 1.0, 1.1), LVL(1010, 1030, 1020)), .want = 3,
			      .bound = HPA_BOUND_TOLERANCE});
}

Test(horizontal, TestToleranceCM)
{
	hz_check(&(struct hz){1, 5, 3, 0, 20.0, HZF(3, REQ(0.9, 1.0, 1.1), LVL(20000, 20001, 21000)), .want = 3,
			      .bound = HPA_BOUND_TOLERANCE});
}

Test(horizontal, TestMinReplicas)
{
	hz_check(&(struct hz){2, 5, 3, 90, HZF(3, REQ(0.9, 1.0, 1.1), LVL(10, 95, 10)), .hist = H_EMPTY, .want = 2,
			      .bound = HPA_BOUND_MIN_REPLICAS});
}

Test(horizontal, TestZeroMinReplicasDesiredZero)
{
	hz_check(&(struct hz){0, 5, 3, 90, HZF(3, REQ(0.9, 1.0, 1.1), LVL(0, 0, 0)), .hist = H_EMPTY, .want = 0,
			      .bound = HPA_BOUND_NONE});
}

Test(horizontal, TestMinReplicasDesiredZero)
{
	hz_check(&(struct hz){2, 5, 3, 90, HZF(3, REQ(0.9, 1.0, 1.1), LVL(0, 0, 0)), .hist = H_EMPTY, .want = 2,
			      .bound = HPA_BOUND_MIN_REPLICAS});
}

Test(horizontal, TestZeroReplicas)
{
	hz_check(&(struct hz){3, 5, 0, 90, HZF(0, REQ(1)), .want = 0, .bound = HPA_BOUND_SCALING_DISABLED});
}

Test(horizontal, TestTooFewReplicas)
{
	hz_check(&(struct hz){3, 5, 2, 90, HZF(0, REQ(1)), .want = 3, .bound = HPA_BOUND_MIN_REPLICAS});
}

Test(horizontal, TestTooManyReplicas)
{
	hz_check(&(struct hz){3, 5, 10, 90, HZF(0, REQ(1)), .want = 5, .bound = HPA_BOUND_MAX_REPLICAS});
}

Test(horizontal, TestMaxReplicas)
{
	hz_check(&(struct hz){2, 5, 3, 90, HZF(3, REQ(0.9, 1.0, 1.1), LVL(8000, 9500, 1000)), .want = 5,
			      .bound = HPA_BOUND_MAX_REPLICAS});
}

/* The Go fixture also reports samples for two pods that do not exist. */
Test(horizontal, TestSuperfluousMetrics)
{
	hz_check(&(struct hz){2, 6, 4, 100, HZF(4, REQ(1, 1, 1, 1), LVL(4000, 9500, 3000, 7000)), .want = 6,
			      .bound = HPA_BOUND_MAX_REPLICAS});
}

Test(horizontal, TestMissingMetrics)
{
	hz_check(&(struct hz){2, 6, 4, 100, HZF(4, REQ(1, 1, 1, 1), LVL(400, 95)), .hist = H_EMPTY, .want = 3,
			      .bound = HPA_BOUND_NONE});
}

Test(horizontal, TestEmptyMetrics)
{
	hz_check(&(struct hz){2, 6, 4, 100, HZF(4, REQ(1, 1, 1, 1)), .want = 4, .bound = HPA_BOUND_NO_METRICS});
}

/* The Go fixture lists no pod at all (an empty request list); its point, a
 * pod without a CPU request, is what is tested here. Same result. */
Test(horizontal, TestEmptyCPURequest)
{
	hz_check(&(struct hz){1, 5, 1, 100, HZF(1, REQ(0), LVL(200)), .want = 1, .bound = HPA_BOUND_NO_METRICS});
}

Test(horizontal, TestEventCreated)
{
	hz_check(&(struct hz){1, 5, 1, 50, HZF(1, REQ(0.2), LVL(200)), .want = 2, .bound = HPA_BOUND_NONE});
}

Test(horizontal, TestEventNotCreated)
{
	hz_check(&(struct hz){1, 5, 2, 50, HZF(2, REQ(0.4, 0.4), LVL(200, 200)), .want = 2,
			      .bound = HPA_BOUND_TOLERANCE});
}

Test(horizontal, TestMissingReports)
{
	hz_check(&(struct hz){1, 5, 4, 50, HZF(1, REQ(0.2), LVL(200)), .hist = H_EMPTY, .want = 2,
			      .bound = HPA_BOUND_NONE});
}

Test(horizontal, TestUpscaleCap)
{
	struct gen up;
	hz_check(&(struct hz){1, 100, 3, 10, HZF(3, REQ(0.1, 0.1, 0.1), LVL(100, 200, 300)),
			      .up = gen_rules(&up, 0, 0, 700, 60, 0), .want = 24, .bound = HPA_BOUND_POLICY_UP});
}

Test(horizontal, TestUpscaleCapGreaterThanMaxReplicas)
{
	struct gen up;
	hz_check(&(struct hz){1, 20, 3, 10, HZF(3, REQ(0.1, 0.1, 0.1), LVL(100, 200, 300)),
			      .up = gen_rules(&up, 0, 0, 700, 60, 0), .want = 20, .bound = HPA_BOUND_MAX_REPLICAS});
}

Test(horizontal, TestMoreReplicasThanSpecNoScale)
{
	hz_check(&(struct hz){1, 8, 4, 50, HZF(5, REQ(1, 1, 1, 1, 1), LVL(500, 500, 500, 500, 500)), .want = 4,
			      .bound = HPA_BOUND_TOLERANCE});
}

Test(horizontal, TestStabilizeDownscale)
{
	const struct hpa_rec recs[] = {{10, NOW - 10 * SIM_MIN}, {4, NOW - SIM_MIN}};
	hz_check(&(struct hz){1, 5, 4, 100, HZF(3, REQ(0.1, 0.1, 0.1), LVL(50, 50, 50)), .hist = H_LIST,
			      .recs = recs, .n_recs = 2, .want = 4, .bound = HPA_BOUND_STABILIZATION});
}

Test(horizontal, TestComputedToleranceAlgImplementation)
{
	int32_t start_pods = 10;
	int64_t used = start_pods * 150;
	int32_t requested = (int32_t)(2 * used);
	double requested_to_used = (double)(requested / (int32_t)used);
	int32_t per_pod = requested / start_pods;
	double target = fabs(1 / (requested_to_used * (1 - 0.1))) + .01;
	double used_ratio = (double)used / ((double)requested * target);
	int32_t final_pods = (int32_t)ceil(used_ratio * start_pods);
	const int32_t delta[10] = {100, -100, 10, -10, 2, -2, 1, -1, 0, 0};
	double req[10];
	int64_t lvl[10];
	for (int i = 0; i < 10; i++) {
		req[i] = (double)(per_pod + delta[i]) / 1000.0;
		lvl[i] = used / 10;
	}
	struct hz c = {0, 1000, start_pods, (int32_t)(target * 100), .f = {.style = HZ, .n = 10, .req = req, .n_req = 10, .lvl = lvl, .n_lvl = 10},
		       .hist = H_EMPTY, .want = final_pods, .bound = HPA_BOUND_NONE};
	hz_check(&c);
	target = fabs(1 / (requested_to_used * (1 - 0.1))) + .004;
	c.cpu = (int32_t)(target * 100);
	c.want = start_pods;
	c.bound = HPA_BOUND_TOLERANCE;
	hz_check(&c);
}

Test(horizontal, TestScaleUpRCImmediately)
{
	hz_check(&(struct hz){2, 6, 1, 0, HZF(4, REQ(1, 1, 1, 1), LVL(0, 0, 0, 0)), .want = 2,
			      .bound = HPA_BOUND_MIN_REPLICAS});
}

Test(horizontal, TestScaleDownRCImmediately)
{
	hz_check(&(struct hz){2, 5, 6, 50, HZF(3, REQ(0.9, 1.0, 1.1), LVL(8000, 9500, 1000)), .want = 5,
			      .bound = HPA_BOUND_MAX_REPLICAS});
}

Test(horizontal, TestNoBackoffUpscaleCM)
{
	hz_check(&(struct hz){1, 5, 3, 0, 15.0, HZF(3, REQ(1, 1, 1), LVL(20000, 10000, 30000)), .want = 4,
			      .bound = HPA_BOUND_NONE});
}

Test(horizontal, TestNoBackoffUpscaleCMNoBackoffCpu)
{
	hz_check(&(struct hz){1, 5, 3, 10, 15.0, HZF(3, REQ(1, 1, 1), LVL(20000, 10000, 30000)), .want = 5,
			      .bound = HPA_BOUND_MAX_REPLICAS});
}

Test(horizontal, TestScaleUpOneMetricEmpty)
{
	hz_check(&(struct hz){2, 6, 3, 30, .invalid = true, HZF(3, REQ(1, 1, 1), LVL(300, 400, 500)), .want = 4,
			      .bound = HPA_BOUND_NONE});
}

Test(horizontal, TestNoScaleDownOneMetricInvalid)
{
	hz_check(&(struct hz){2, 6, 5, 50, .invalid = true, HZF(5, REQ(1, 1, 1, 1, 1), LVL(100, 300, 500, 250, 250)),
			      .hist = H_EMPTY, .want = 5, .bound = HPA_BOUND_PARTIAL_DATA});
}

Test(horizontal, TestNoScaleDownOneMetricEmpty)
{
	hz_check(&(struct hz){2, 6, 5, 50, .invalid = true, HZF(5, REQ(1, 1, 1, 1, 1), LVL(100, 300, 500, 250, 250)),
			      .hist = H_EMPTY, .want = 5, .bound = HPA_BOUND_PARTIAL_DATA});
}

/* ---------- normalization, unit by unit ---------- */

/* An HPA with the test flags and optional behavior (NULL rules: defaults). */
static hpa *rules_hpa(struct scn_hpa *s, int32_t min, int32_t max, const struct scn_hpa_rules *up,
		      const struct scn_hpa_rules *down, bool behavior)
{
	*s = test_spec(min, max);
	s->has_behavior = behavior;
	if (up)
		s->up = *up;
	if (down)
		s->down = *down;
	return hpa_new(s);
}

Test(horizontal, TestConvertDesiredReplicasWithRules)
{
	const struct {
		int32_t current, desired, min, max, want;
		enum hpa_bound bound;
	} cases[] = {
		{5, 7, 3, 8, 7, HPA_BOUND_NONE},                 /* DesiredWithinRange */
		{3, 1, 2, 8, 2, HPA_BOUND_MIN_REPLICAS},         /* TooFewReplicas */
		{1, 0, 0, 10, 0, HPA_BOUND_NONE},                /* zeroed, within range */
		{20, 1000, 1, 10, 10, HPA_BOUND_MAX_REPLICAS},   /* TooManyReplicas */
		{3, 1000, 1, 2000, 24, HPA_BOUND_SCALE_UP_LIMIT}, /* calculateScaleUpLimit(3) = max(8 * 3, 4) */
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct scn_hpa s;
		hpa *h = rules_hpa(&s, cases[i].min, cases[i].max, NULL, NULL, false);
		enum hpa_bound b;
		int32_t got = hpa_rate_limit(h, NOW, cases[i].current, cases[i].desired, &b);
		cr_expect_eq(got, cases[i].want, "case %zu: got %d", i, got);
		cr_expect_eq(b, cases[i].bound, "case %zu: bound %s", i, hpa_bound_name(b));
		hpa_free(h);
	}
}

Test(horizontal, TestCalculateScaleUpLimitWithScalingRules)
{
	struct gen g;
	struct scn_hpa_rules *r = gen_rules(&g, 2, 60, 50, 60, 300);
	r->select = HPA_SELECT_MIN;
	struct scn_hpa s;
	hpa *h = rules_hpa(&s, 1, 1000, r, NULL, true);
	cr_assert_eq(hpa_rate_limit(h, NOW, 1, 1000, NULL), 2);
	hpa_free(h);
}

Test(horizontal, TestCalculateScaleDownLimitWithBehaviors)
{
	struct gen g;
	struct scn_hpa_rules *r = gen_rules(&g, 2, 60, 50, 60, 300);
	r->select = HPA_SELECT_MIN;
	struct scn_hpa s;
	hpa *h = rules_hpa(&s, 1, 1000, NULL, r, true);
	cr_assert_eq(hpa_rate_limit(h, NOW, 5, 0, NULL), 3);
	hpa_free(h);
}

Test(horizontal, TestNormalizeDesiredReplicas)
{
	const simtime m = SIM_MIN;
	const struct {
		const char *name;
		struct hpa_rec recs[4];
		size_t n;
		int32_t desired, want;
		size_t want_len;
	} cases[] = {
		{"empty log", {{0, 0}}, 0, 5, 5, 1},
		{"stabilize", {{4, NOW - 2 * m}, {5, NOW - m}}, 2, 3, 5, 3},
		{"no stabilize", {{1, NOW - 2 * m}, {2, NOW - m}}, 2, 3, 3, 3},
		{"no stabilize - old recommendations", {{10, NOW - 10 * m}, {9, NOW - 9 * m}}, 2, 3, 3, 2},
		{"stabilize - old recommendations",
		 {{10, NOW - 10 * m}, {4, NOW - m}, {5, NOW - 2 * m}, {9, NOW - 9 * m}}, 4, 3, 5, 4},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct scn_hpa s;
		hpa *h = rules_hpa(&s, 1, 100, NULL, NULL, false);
		for (size_t k = 0; k < cases[i].n; k++)
			hpa_add_recommendation(h, cases[i].recs[k].replicas, cases[i].recs[k].t);
		int32_t got = hpa_stabilize(h, NOW, 100, cases[i].desired);
		const struct hpa_rec *recs;
		size_t n = hpa_recommendations(h, &recs);
		cr_expect_eq(got, cases[i].want, "[%s] got %d", cases[i].name, got);
		cr_expect_eq(n, cases[i].want_len, "[%s] log has %zu entries", cases[i].name, n);
		hpa_free(h);
	}
}

/* generateEventsUniformDistribution(raw, period): events spread over the
 * last period, each at the centre of its segment. */
static void add_uniform_events(hpa *h, bool up, const int32_t *raw, size_t n, int period_s)
{
	double seg = (double)period_s / (double)n;
	for (size_t i = 0; i < n; i++) {
		double ago = (double)period_s - seg * (double)(i + 1) + seg / 2.0;
		hpa_add_scale_event(h, up, raw[i], NOW - (simtime)ago * SIM_S);
	}
}

#define EV(...) (const int32_t[]){__VA_ARGS__}, ARRAY_LEN(((const int32_t[]){__VA_ARGS__}))

struct rules_case {
	const char *name;
	const int32_t *up_ev;
	size_t n_up;
	const int32_t *down_ev;
	size_t n_down;
	int32_t min, max;
	int32_t up[5], down[5]; /* generateScalingRules arguments; up[4] < 0: none (defaults) */
	int32_t current, desired, want;
	enum hpa_bound bound;
};

#define NONE {0, 0, 0, 0, -1}

Test(horizontal, TestScalingWithRules)
{
	const enum hpa_bound IN = HPA_BOUND_NONE, UPL = HPA_BOUND_POLICY_UP, DNL = HPA_BOUND_POLICY_DOWN,
			     MANY = HPA_BOUND_MAX_REPLICAS, FEW = HPA_BOUND_MIN_REPLICAS;
	const struct rules_case cases[] = {
		{"prenormalized desired replicas within range", NULL, 0, NULL, 0, 3, 8, NONE, NONE, 5, 7, 7, IN},
		{"prenormalized desired replicas < minReplicas", NULL, 0, NULL, 0, 2, 8, NONE, NONE, 3, 1, 2, FEW},
		{"within range when minReplicas is 0", NULL, 0, NULL, 0, 0, 10, NONE, NONE, 1, 0, 0, IN},
		{"maxReplicas is the limit because maxReplicas < scaleUpLimit", NULL, 0, NULL, 0, 1, 10, NONE, NONE,
		 20, 1000, 10, MANY},
		{"desired replica count is more than the maximum replica count", NULL, 0, NULL, 0, 100, 150, NONE,
		 NONE, 100, 1000, 150, MANY},
		{"scaleUpLimit < maxReplicas with user policies", NULL, 0, NULL, 0, 1, 2000, {0, 0, 1, 60, 0}, NONE, 3,
		 1000, 4, UPL},
		{"scaleDownLimit > minReplicas with user defined policies", NULL, 0, NULL, 0, 3, 2000, NONE,
		 {20, 60, 0, 0, 0}, 1000, 3, 980, DNL},
		{"scaleUp with default behavior", NULL, 0, NULL, 0, 1, 1000, NONE, NONE, 10, 50, 20, UPL},
		{"scaleUp with pods policy larger than percent policy", NULL, 0, NULL, 0, 1, 1000, {100, 60, 100, 60, 0},
		 NONE, 10, 500, 110, UPL},
		{"scaleUp with percent policy larger than pods policy", NULL, 0, NULL, 0, 1, 1000, {2, 60, 100, 60, 0},
		 NONE, 10, 500, 20, UPL},
		{"scaleUp with spec MaxReplicas limitation with large pod policy", NULL, 0, NULL, 0, 1, 1000,
		 {100, 60, 0, 0, 0}, NONE, 10, 50, 50, IN},
		{"scaleUp with spec MaxReplicas limitation with large percent policy", NULL, 0, NULL, 0, 1, 1000,
		 {10000, 60, 0, 0, 0}, NONE, 10, 50, 50, IN},
		{"scaleUp with pod policy limitation", NULL, 0, NULL, 0, 1, 1000, {30, 60, 0, 0, 0}, NONE, 10, 50, 40,
		 UPL},
		{"scaleUp with percent policy limitation", NULL, 0, NULL, 0, 1, 1000, {0, 0, 200, 60, 0}, NONE, 10, 50,
		 30, UPL},
		{"scaleDown with percent policy larger than pod policy", NULL, 0, NULL, 0, 1, 1000, NONE,
		 {20, 60, 1, 60, 300}, 100, 2, 80, DNL},
		{"scaleDown with pod policy larger than percent policy", NULL, 0, NULL, 0, 1, 1000, NONE,
		 {2, 60, 1, 60, 300}, 100, 2, 98, DNL},
		{"scaleDown with spec MinReplicas=nil limitation with large pod policy", NULL, 0, NULL, 0, 1, 1000, NONE,
		 {100, 60, 0, 0, 300}, 10, 0, 1, FEW},
		{"scaleDown with spec MinReplicas limitation with large percent policy", NULL, 0, NULL, 0, 5, 1000, NONE,
		 {0, 0, 100, 60, 300}, 10, 2, 5, FEW},
		{"scaleDown with pod policy limitation", NULL, 0, NULL, 0, 1, 1000, NONE, {5, 60, 0, 0, 300}, 10, 2, 5,
		 DNL},
		{"scaleDown with percent policy limitation", NULL, 0, NULL, 0, 1, 1000, NONE, {0, 0, 50, 60, 300}, 10, 5,
		 5, IN},
		{"scaleUp with MaxReplicas limitation with large pod policy and events", EV(1, 5, 9), NULL, 0, 1, 200,
		 {300, 60, 0, 0, 0}, NONE, 100, 500, 200, MANY},
		{"scaleUp with MaxReplicas limitation with large percent policy and events", EV(1, 5, 9), NULL, 0, 1,
		 200, {0, 0, 10000, 60, 0}, NONE, 100, 500, 200, MANY},
		{"scaleUp with currentReplicas limitation with a lot of recent scale up events", EV(1, 5, 9), NULL, 0, 1,
		 1000, {5, 120, 0, 0, 0}, NONE, 100, 500, 100, UPL},
		{"scaleUp with pod policy and previous scale up events", EV(1, 5, 9), NULL, 0, 1, 1000,
		 {150, 120, 0, 0, 0}, NONE, 100, 500, 235, UPL},
		{"scaleUp with percent policy and previous scale up events", EV(1, 5, 9), NULL, 0, 1, 1000,
		 {0, 0, 200, 120, 0}, NONE, 100, 500, 255, UPL},
		{"scaleUp with percent policy and previous scale up and down events", EV(4), EV(2), 1, 1000,
		 {0, 0, 300, 300, 0}, NONE, 6, 24, 16, UPL},
		{"scaleDown with default policy and previous events", NULL, 0, EV(1, 5, 9), 1, 1000, NONE, NONE, 10, 5,
		 5, IN},
		{"scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events", NULL, 0,
		 EV(1, 5, 9), 1, 1000, NONE, {115, 120, 0, 0, 300}, 100, 0, 1, FEW},
		{"scaleDown with spec MinReplicas limitation with large pod policy and previous events", NULL, 0,
		 EV(1, 5, 9), 5, 1000, NONE, {130, 120, 0, 0, 300}, 100, 0, 5, FEW},
		{"scaleDown with spec MinReplicas limitation with large percent policy and previous events", NULL, 0,
		 EV(1, 5, 9), 5, 1000, NONE, {0, 0, 100, 120, 300}, 100, 2, 5, FEW},
		{"scaleDown with pod policy limitation and previous events", NULL, 0, EV(1, 5, 9), 1, 1000, NONE,
		 {5, 120, 0, 0, 300}, 100, 2, 100, DNL},
		{"scaleDown with percent policy limitation and previous events", NULL, 0, EV(2, 4, 6), 1, 1000, NONE,
		 {0, 0, 50, 120, 300}, 100, 0, 56, DNL},
		{"scaleDown with percent policy and previous scale up and down events", EV(2), EV(4), 1, 1000, NONE,
		 {0, 0, 50, 180, 0}, 10, 1, 6, DNL},
		{"scaleDown with previous events preventing further scale down", NULL, 0, EV(10, 10, 10), 1, 1000, NONE,
		 {0, 0, 10, 120, 300}, 100, 0, 100, DNL},
		{"scaleDown with with previous events still allowing more scale down", NULL, 0, EV(10, 10, 10), 1, 1000,
		 NONE, {0, 0, 1000, 120, 300}, 10, 5, 5, IN},
		{"check 'outdated' flag for events for one behavior for up", EV(8, 12, 9, 11), NULL, 0, 1, 1000,
		 {1000, 60, 0, 0, 0}, NONE, 100, 200, 200, IN},
		{"events not marked 'outdated' for two different policies for up", EV(8, 12, 9, 11), NULL, 0, 1, 1000,
		 {1000, 120, 100, 60, 0}, NONE, 100, 200, 200, IN},
		{"events marked 'outdated' for two different policies for up", EV(8, 12, 9, 11), NULL, 0, 1, 1000,
		 {1000, 30, 100, 60, 0}, NONE, 100, 200, 200, IN},
		{"check 'outdated' flag for events for one behavior for down", NULL, 0, EV(8, 12, 9, 11), 1, 1000, NONE,
		 {1000, 60, 0, 0, 300}, 100, 5, 5, IN},
		{"events not marked 'outdated' for two different policies for down", NULL, 0, EV(8, 12, 9, 11), 1,
		 1000, NONE, {1000, 120, 100, 60, 300}, 100, 5, 5, IN},
		{"events marked 'outdated' for two different policies for down", NULL, 0, EV(8, 12, 9, 11), 1, 1000,
		 NONE, {1000, 30, 100, 60, 300}, 100, 5, 5, IN},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct rules_case *c = &cases[i];
		struct gen gu, gd;
		const struct scn_hpa_rules *up = NULL, *down = NULL;
		if (c->up[4] >= 0)
			up = gen_rules(&gu, c->up[0], c->up[1], c->up[2], c->up[3], c->up[4]);
		if (c->down[4] >= 0)
			down = gen_rules(&gd, c->down[0], c->down[1], c->down[2], c->down[3], c->down[4]);
		struct scn_hpa s;
		hpa *h = rules_hpa(&s, c->min, c->max, up, down, true);
		add_uniform_events(h, true, c->up_ev, c->n_up, 120);
		add_uniform_events(h, false, c->down_ev, c->n_down, 120);
		enum hpa_bound b;
		int32_t got = hpa_rate_limit(h, NOW, c->current, c->desired, &b);
		cr_expect_eq(got, c->want, "[%s] got %d, want %d", c->name, got, c->want);
		cr_expect_eq(b, c->bound, "[%s] bound %s, want %s", c->name, hpa_bound_name(b), hpa_bound_name(c->bound));
		hpa_free(h);
	}
}

/* TestStoreScaleEvents: the same table for the up and the down list. */
Test(horizontal, TestStoreScaleEvents)
{
	const simtime s = SIM_S;
	struct ev {
		int32_t change;
		simtime t;
		bool outdated;
	};
	const struct {
		const char *name;
		struct ev prev[4];
		size_t n_prev;
		struct ev next[4]; /* t unused */
		size_t n_next;
		int32_t rules[5];  /* generateScalingRules arguments; rules[4] < 0: no behavior */
		int32_t want_change;
	} cases[] = {
		{"empty entries with default behavior", {{0}}, 0, {{0}}, 0, NONE, 0},
		{"empty entries with two-policy-behavior", {{0}}, 0, {{5, 0, false}}, 1, {10, 60, 100, 60, 0}, 0},
		{"one outdated entry to be kept untouched without behavior", {{7, NOW - 61 * s, false}}, 1,
		 {{7, 0, false}}, 1, NONE, 0},
		{"one outdated entry to be replaced with behavior", {{7, NOW - 61 * s, false}}, 1, {{5, 0, false}}, 1,
		 {10, 60, 100, 60, 0}, 0},
		{"one actual entry to be not touched with behavior", {{7, NOW - 58 * s, false}}, 1,
		 {{7, 0, false}, {5, 0, false}}, 2, {10, 60, 100, 60, 0}, 7},
		{"two entries, one of them to be replaced", {{7, NOW - 61 * s, false}, {6, NOW - 59 * s, false}}, 2,
		 {{5, 0, false}, {6, 0, false}}, 2, {10, 60, 0, 0, 0}, 6},
		{"replace one entry, use policies with different periods",
		 {{8, NOW - 29 * s, false}, {6, NOW - 59 * s, false}, {7, NOW - 61 * s, false}, {9, NOW - 61 * s, false}},
		 4, {{8, 0, false}, {6, 0, false}, {7, 0, true}, {5, 0, false}}, 4, {10, 60, 100, 30, 0}, 14},
		{"two entries, both actual", {{7, NOW - 58 * s, false}, {6, NOW - 59 * s, false}}, 2,
		 {{7, 0, false}, {6, 0, false}, {5, 0, false}}, 3, {10, 120, 100, 30, 0}, 13},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		for (int up = 1; up >= 0; up--) {
			struct gen g;
			const int32_t *r = cases[i].rules;
			const struct scn_hpa_rules *rules = r[4] >= 0 ? gen_rules(&g, r[0], r[1], r[2], r[3], r[4]) : NULL;
			struct scn_hpa spec;
			hpa *h = rules_hpa(&spec, 1, 1000, rules, rules, rules != NULL);
			for (size_t k = 0; k < cases[i].n_prev; k++)
				hpa_add_scale_event(h, up, cases[i].prev[k].change, cases[i].prev[k].t);
			cr_expect_eq(hpa_replicas_change(h, up, NOW, 60 * s), cases[i].want_change, "[%s] %s change",
				     cases[i].name, up ? "up" : "down");
			hpa_store_scale_event(h, NOW, 10, up ? 15 : 5);
			const struct hpa_scale_event *ev;
			size_t n = hpa_scale_events(h, up, &ev);
			cr_expect_eq(n, cases[i].n_next, "[%s] %s: %zu events", cases[i].name, up ? "up" : "down", n);
			for (size_t k = 0; k < n && k < cases[i].n_next; k++) {
				cr_expect_eq(ev[k].change, cases[i].next[k].change, "[%s] %s idx %zu change", cases[i].name,
					     up ? "up" : "down", k);
				cr_expect_eq(ev[k].outdated, cases[i].next[k].outdated, "[%s] %s idx %zu outdated",
					     cases[i].name, up ? "up" : "down", k);
			}
			hpa_free(h);
		}
	}
}

Test(horizontal, TestNormalizeDesiredReplicasWithBehavior)
{
	const simtime m = SIM_MIN;
	const struct {
		const char *name;
		struct hpa_rec recs[4];
		size_t n;
		int32_t current, desired, want;
		int32_t want_recs[4];
		size_t n_want; /* 0: the Go case does not check the stored recommendations */
		int32_t up_window_s, down_window_s;
	} cases[] = {
		{"empty recommendations for scaling down", {{0, 0}}, 0, 100, 5, 5, {5}, 1, 0, 0},
		{"simple scale down stabilization", {{4, NOW - 2 * m}, {5, NOW - m}}, 2, 100, 3, 5, {4, 5, 3}, 3, 0, 180},
		{"simple scale up stabilization", {{4, NOW - 2 * m}, {5, NOW - m}}, 2, 1, 7, 4, {4, 5, 7}, 3, 300, 0},
		{"no scale down stabilization", {{1, NOW - 2 * m}, {2, NOW - m}}, 2, 100, 3, 3, {1, 2, 3}, 3, 300, 0},
		{"no scale up stabilization", {{4, NOW - 2 * m}, {5, NOW - m}}, 2, 1, 3, 3, {4, 5, 3}, 3, 0, 300},
		{"no scale down stabilization, reuse recommendation element", {{10, NOW - 10 * m}, {9, NOW - 9 * m}}, 2,
		 100, 3, 3, {10, 3}, 2, 0, 0},
		{"no scale up stabilization, reuse recommendation element", {{10, NOW - 10 * m}, {9, NOW - 9 * m}}, 2, 1,
		 100, 100, {10, 100}, 2, 0, 0},
		{"scale down stabilization, reuse one of obsolete recommendation element",
		 {{10, NOW - 10 * m}, {4, NOW - m}, {5, NOW - 2 * m}, {9, NOW - 9 * m}}, 4, 100, 3, 5, {10, 4, 5, 3}, 4, 0,
		 180},
		{"scale up stabilization, reuse one of obsolete recommendation element",
		 {{10, NOW - 100 * m}, {6, NOW - m}, {5, NOW - 2 * m}, {9, NOW - 3 * m}}, 4, 1, 100, 5, {100, 6, 5, 9}, 4,
		 300, 0},
		{"scale up and down stabilization, do not scale up when prenormalized rec goes down",
		 {{2, NOW - 100 * m}, {3, NOW - 3 * m}}, 2, 2, 1, 2, {0}, 0, 300, 300},
		{"scale up and down stabilization, do not scale down when prenormalized rec goes up",
		 {{2, NOW - 100 * m}, {1, NOW - 3 * m}}, 2, 2, 3, 2, {0}, 0, 300, 300},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct scn_hpa_rules up = {.has_stabilization = true, .stabilization = cases[i].up_window_s * SIM_S};
		struct scn_hpa_rules down = {.has_stabilization = true, .stabilization = cases[i].down_window_s * SIM_S};
		struct scn_hpa s;
		hpa *h = rules_hpa(&s, 1, 1000, &up, &down, true);
		for (size_t k = 0; k < cases[i].n; k++)
			hpa_add_recommendation(h, cases[i].recs[k].replicas, cases[i].recs[k].t);
		int32_t got = hpa_stabilize(h, NOW, cases[i].current, cases[i].desired);
		cr_expect_eq(got, cases[i].want, "[%s] got %d, want %d", cases[i].name, got, cases[i].want);
		if (cases[i].n_want) {
			const struct hpa_rec *recs;
			size_t n = hpa_recommendations(h, &recs);
			cr_expect_eq(n, cases[i].n_want, "[%s] %zu recommendations", cases[i].name, n);
			for (size_t k = 0; k < n && k < cases[i].n_want; k++)
				cr_expect_eq(recs[k].replicas, cases[i].want_recs[k], "[%s] rec %zu", cases[i].name, k);
		}
		hpa_free(h);
	}
}

/* ---------- defaults and per-direction tolerance ---------- */

Test(horizontal, spec_and_behavior_defaults)
{
	struct scn_hpa s;
	memset(&s, 0, sizeof s);
	hpa_spec_defaults(&s);
	cr_assert_eq(s.min_replicas, 1);
	cr_assert_eq(s.sync_period, 15 * SIM_S);
	cr_assert_eq(s.downscale_stabilization, 5 * SIM_MIN);
	cr_assert_eq(s.cpu_initialization_period, 5 * SIM_MIN);
	cr_assert_eq(s.initial_readiness_delay, 30 * SIM_S);
	cr_assert_float_eq(s.tolerance, 0.1, 1e-12);
	cr_assert_float_eq(s.scale_up_limit_factor, 2.0, 1e-12);
	cr_assert_float_eq(s.scale_up_limit_minimum, 4.0, 1e-12);
	hpa_behavior_defaults(&s); /* no behavior: no-op */
	cr_assert_eq(s.up.n_policies, 0);
	s.has_behavior = true;
	hpa_behavior_defaults(&s);
	cr_assert_eq(s.up.n_policies, 2);
	cr_assert_eq(s.up.policies[0].kind, HPA_POLICY_PODS);
	cr_assert_eq(s.up.policies[0].value, 4);
	cr_assert_eq(s.up.policies[1].kind, HPA_POLICY_PERCENT);
	cr_assert_eq(s.up.policies[1].value, 100);
	cr_assert_eq(s.up.policies[1].period, 15 * SIM_S);
	cr_assert(s.up.has_stabilization && s.up.stabilization == 0);
	cr_assert_eq(s.down.n_policies, 1);
	cr_assert_eq(s.down.policies[0].kind, HPA_POLICY_PERCENT);
	cr_assert(s.down.has_stabilization && s.down.stabilization == 5 * SIM_MIN);
	cr_assert(!s.up.has_tolerance && !s.down.has_tolerance);
	free(s.up.policies);
	free(s.down.policies);
}

/* The replica calculator's Tolerances through hpa_sync: scaleUp.tolerance
 * 0.01 turns TestReplicaCalcToleranceCM's hold (ratio 1.033) into a
 * scale-up, on the behavior path and on the legacy one; scaleDown.tolerance
 * 0.36 holds a 0.65 ratio that the flag's 0.1 would act on. */
Test(horizontal, per_direction_tolerance_in_sync)
{
	struct hpa_pod pods[MAXP];
	size_t n = build(pods, &(struct fixture){HZ, 3, REQ(1, 1, 1), LVL(20000, 21000, 21000)});
	struct scn_hpa_metric m = {.kind = HPA_METRIC_PODS, .target = HPA_TARGET_AVERAGE_VALUE, .average_value = 20};
	for (int behavior = 0; behavior <= 1; behavior++) {
		struct scn_hpa s = test_spec(1, 10);
		s.metrics = &m;
		s.n_metrics = 1;
		s.has_behavior = behavior;
		hpa *h = hpa_new(&s);
		cr_assert_eq(hpa_sync(h, NOW, 3, pods, n, NULL), 3);
		hpa_free(h);
		s.up.has_tolerance = true;
		s.up.tolerance = 0.01;
		h = hpa_new(&s);
		cr_assert_eq(hpa_sync(h, NOW, 3, pods, n, NULL), 4, "behavior %d", behavior);
		hpa_free(h);
	}
	n = build(pods, &(struct fixture){HZ, 3, REQ(1, 1, 1), LVL(650, 650, 650)});
	struct scn_hpa_metric cpu = {.kind = HPA_METRIC_RESOURCE, .resource = HPA_RES_CPU,
				     .target = HPA_TARGET_UTILIZATION, .utilization = 100};
	struct scn_hpa s = test_spec(1, 10);
	s.metrics = &cpu;
	s.n_metrics = 1;
	hpa *h = hpa_new(&s);
	hpa_start_history(h);
	cr_assert_eq(hpa_sync(h, NOW, 3, pods, n, NULL), 2);
	hpa_free(h);
	s.down.has_tolerance = true;
	s.down.tolerance = 0.36;
	h = hpa_new(&s);
	hpa_start_history(h);
	struct hpa_decision d;
	cr_assert_eq(hpa_sync(h, NOW, 3, pods, n, &d), 3);
	cr_assert_eq(d.bound, HPA_BOUND_TOLERANCE);
	cr_assert_eq((int)d.metric[0].current, 65);
	hpa_free(h);
}

/* ---------- simulated time ---------- */

/* n identical ready pods sharing `cores` of CPU and `rps` of the Pods
 * metric, each requesting 1 core, sampled at now over 15 s. */
static size_t uniform_pods(struct hpa_pod *p, size_t n, double cores, double rps, simtime now)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (struct hpa_pod){
			.has_ready_condition = true,
			.ready = true,
			.has_start_time = true,
			.start_time = -SIM_HOUR,
			.ready_transition = -SIM_HOUR,
			.cpu_request = 1.0,
			.has_sample = true,
			.cpu = cores / (double)n,
			.sample_time = now,
			.window = 15 * SIM_S,
			.has_custom = true,
			.custom = rps / (double)n,
		};
	return n;
}

/*
 * Behavior path: scaleDown window 60 s, one policy Pods 2 per 60 s; CPU
 * target 50 % of 1 core. Load 5 cores until t = 60 s (10 pods at 50 %:
 * held), then 1 core (proposal 2). The recommendations of 10 made at
 * t <= 45 s hold the count until t = 105 s, when they are all at least 60 s
 * old (the cutoff is strict); from then on 2 pods go every 60 s, each scale
 * event counting until it is exactly 60 s old.
 */
Test(hpa_sim, downscale_window_then_pods_policy)
{
	static const int32_t want[] = {10, 10, 10, 10, 10, 10, 10, 8, 8, 8, 8, 6, 6, 6, 6, 4, 4, 4, 4, 2, 2};
	struct scn_hpa s;
	memset(&s, 0, sizeof s);
	hpa_spec_defaults(&s);
	s.min_replicas = 1;
	s.max_replicas = 20;
	struct scn_hpa_metric cpu = {.kind = HPA_METRIC_RESOURCE, .resource = HPA_RES_CPU,
				     .target = HPA_TARGET_UTILIZATION, .utilization = 50};
	s.metrics = &cpu;
	s.n_metrics = 1;
	struct scn_hpa_policy pol = {HPA_POLICY_PODS, 2, 60 * SIM_S};
	s.has_behavior = true;
	s.down = (struct scn_hpa_rules){.has_stabilization = true, .stabilization = 60 * SIM_S, .policies = &pol,
					.n_policies = 1};
	hpa *h = hpa_new(&s);
	int32_t replicas = 10;
	for (size_t k = 0; k < ARRAY_LEN(want); k++) {
		simtime now = (simtime)k * s.sync_period;
		struct hpa_pod pods[MAXP];
		size_t n = uniform_pods(pods, (size_t)replicas, now < 60 * SIM_S ? 5.0 : 1.0, 0, now);
		struct hpa_decision d;
		replicas = hpa_sync(h, now, replicas, pods, n, &d);
		cr_assert_eq(replicas, want[k], "t = %lld s: %d replicas, want %d (%s)", (long long)(now / SIM_S),
			     replicas, want[k], hpa_bound_name(d.bound));
		if (k == 4)
			cr_assert_eq(d.bound, HPA_BOUND_STABILIZATION);
		if (k == 7 || k == 8)
			cr_assert_eq(d.bound, HPA_BOUND_POLICY_DOWN);
	}
	const struct hpa_scale_event *ev;
	cr_assert_eq(hpa_scale_events(h, false, &ev), 2); /* the slot of t = 105 s was reused at 225 s */
	hpa_free(h);
}

/*
 * Legacy path, production flags (scale-up limit max(2 x current, 4), 5 min
 * downscale window, inclusive). A Pods metric of 200 rps against 10 per pod
 * wants 20 pods from 2: the limit doubles the count each sync (4, 8, 16,
 * 20). At t = 75 s the load drops to 50 rps (5 pods); the recommendations of
 * 20 made up to t = 60 s hold it until t = 360 s inclusive.
 */
Test(hpa_sim, legacy_scale_up_limit_then_downscale_window)
{
	struct scn_hpa s;
	memset(&s, 0, sizeof s);
	hpa_spec_defaults(&s);
	s.max_replicas = 50;
	struct scn_hpa_metric rps = {.kind = HPA_METRIC_PODS, .target = HPA_TARGET_AVERAGE_VALUE, .average_value = 10};
	s.metrics = &rps;
	s.n_metrics = 1;
	hpa *h = hpa_new(&s);
	int32_t replicas = 2;
	for (int k = 0; k <= 26; k++) {
		simtime now = k * s.sync_period;
		int32_t want = k == 0 ? 4 : k == 1 ? 8 : k == 2 ? 16 : k <= 24 ? 20 : 5;
		struct hpa_pod pods[64];
		cr_assert_leq(replicas, 64);
		size_t n = uniform_pods(pods, (size_t)replicas, 1.0, now < 75 * SIM_S ? 200.0 : 50.0, now);
		struct hpa_decision d;
		replicas = hpa_sync(h, now, replicas, pods, n, &d);
		cr_assert_eq(replicas, want, "t = %d s: %d replicas, want %d (%s)", 15 * k, replicas, want,
			     hpa_bound_name(d.bound));
		if (k <= 2)
			cr_assert_eq(d.bound, HPA_BOUND_SCALE_UP_LIMIT);
		if (k >= 5 && k <= 24)
			cr_assert_eq(d.bound, HPA_BOUND_STABILIZATION, "t = %d s", 15 * k);
	}
	const struct hpa_scale_event *ev;
	cr_assert_eq(hpa_scale_events(h, true, &ev), 0); /* no events without behavior */
	hpa_free(h);
}

/* A day of syncs under a load that swings every few minutes: the histories
 * stay within window / sync period (plus the slots a strict cutoff keeps). */
Test(hpa_sim, history_is_bounded)
{
	for (int behavior = 0; behavior <= 1; behavior++) {
		struct scn_hpa s;
		memset(&s, 0, sizeof s);
		hpa_spec_defaults(&s);
		s.max_replicas = 40;
		s.has_behavior = behavior;
		struct scn_hpa_metric rps = {.kind = HPA_METRIC_PODS, .target = HPA_TARGET_AVERAGE_VALUE,
					     .average_value = 10};
		s.metrics = &rps;
		s.n_metrics = 1;
		hpa *h = hpa_new(&s);
		int32_t replicas = 1;
		size_t max_recs = 0, max_ev = 0;
		for (int k = 0; k < 24 * 240; k++) {
			simtime now = k * s.sync_period;
			double load = 150.0 + 140.0 * sin((double)k / 7.0);
			struct hpa_pod pods[64];
			size_t n = uniform_pods(pods, (size_t)replicas, 1.0, load, now);
			replicas = hpa_sync(h, now, replicas, pods, n, NULL);
			const struct hpa_rec *r;
			const struct hpa_scale_event *e;
			max_recs = HR_MAX(max_recs, hpa_recommendations(h, &r));
			max_ev = HR_MAX(max_ev, hpa_scale_events(h, true, &e) + hpa_scale_events(h, false, &e));
		}
		cr_assert_leq(max_recs, 5 * 60 / 15 + 3, "behavior %d: %zu recommendations", behavior, max_recs);
		cr_assert_leq(max_ev, 2 * (15 / 15 + 2), "behavior %d: %zu events", behavior, max_ev);
		hpa_free(h);
	}
}

/*
 * A cron floor and CPU in one HPA (KEDA's shape: an External metric of
 * desiredReplicas against AverageValue 1, and cpu at 50 % of 1 core),
 * legacy path. Until t = 60 s the floor is 0 and 2 cores keep 4 pods at
 * 50 %. From 60 s the floor reports 10: ceil(10 / 1) = 10 beats the CPU's
 * 4, and the legacy limit max(2 x 4, 4) = 8 lets 8 then 10. At 120 s the
 * load reaches 8 cores: the CPU asks ceil(0.8 / 0.5 x 10) = 16 > 10.
 */
Test(hpa_sim, cron_floor_then_cpu_above_it)
{
	static const int32_t want[] = {4, 4, 4, 4, 8, 10, 10, 10, 16, 16};
	struct scn_hpa s = {0};
	hpa_spec_defaults(&s);
	s.max_replicas = 30;
	struct scn_hpa_metric m[2] = {
		{.kind = HPA_METRIC_RESOURCE, .resource = HPA_RES_CPU, .target = HPA_TARGET_UTILIZATION,
		 .utilization = 50},
		{.kind = HPA_METRIC_EXTERNAL, .target = HPA_TARGET_AVERAGE_VALUE, .average_value = 1},
	};
	s.metrics = m;
	s.n_metrics = 2;
	hpa *h = hpa_new(&s);
	int32_t replicas = 4;
	for (size_t k = 0; k < ARRAY_LEN(want); k++) {
		simtime now = (simtime)k * s.sync_period;
		struct hpa_pod pods[MAXP];
		size_t n = uniform_pods(pods, (size_t)replicas, now < 120 * SIM_S ? 0.5 * replicas : 8.0, 0, now);
		double ext[2] = {NAN, now < 60 * SIM_S ? 0 : 10};
		struct hpa_decision d;
		replicas = hpa_sync_ext(h, now, replicas, pods, n, ext, &d);
		cr_assert_eq(replicas, want[k], "t = %lld s: %d replicas, want %d (%s)", (long long)(now / SIM_S),
			     replicas, want[k], hpa_bound_name(d.bound));
		if (k == 4 || k == 5) /* after that the CPU holds 10 too, and ties go to the first metric */
			cr_assert_eq(d.winner, 1, "t = %lld s: the floor wins", (long long)(now / SIM_S));
		if (k >= 8)
			cr_assert_eq(d.winner, 0, "t = %lld s: the CPU wins", (long long)(now / SIM_S));
	}
	hpa_free(h);
}
