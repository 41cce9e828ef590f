/*
 * Spot interruptions (models/spot.h) and Karpenter's interruption
 * controller (models/karpenter.c), against timelines computed by hand from
 * the latencies and Karpenter's rules, and the interruption process against
 * the Poisson law of its configured rate.
 *
 * The catalog (written by the test), spot at 30 % of on-demand:
 *
 *   type       vCPU  MiB    pods  USD/h  spot   allocatable
 *   m5.large   2     8192   29    0.096  0.0288 1.930 cores
 *   m5.xlarge  4     16384  58    0.192  0.0576 3.920 cores
 *   m5.2xlarge 8     32768  58    0.384  0.1152 7.910 cores
 *
 * No DaemonSets; pods request 1 core and 1 GiB: an m5.large holds 1, an
 * m5.xlarge 3. Karpenter's latencies: launch 2 s, registration 30 s,
 * initialization 5 s; pods start at once (no pull, no start-up time, a
 * readiness probe every second) and get one request a minute, so they
 * are idle and an evicted pod is gone at once.
 */
#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "spot.h"
#include "world.h"

#define EPS 1e-6

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/hr-spot-XXXXXX");
	cr_assert(mkdtemp(dir));
	harness_put(dir, "spot.csv",
		    "name,arch,vcpu,memory_mib,max_pods,price_usd_hour,spot_price_usd_hour\n"
		    "m5.large,amd64,2,8192,29,0.096,0.0288\n"
		    "m5.xlarge,amd64,4,16384,58,0.192,0.0576\n"
		    "m5.2xlarge,amd64,8,32768,58,0.384,0.1152\n");
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(spot, .init = setup, .fini = teardown);

/* A spot-only NodePool (requirements `reqs`, consolidation off) and
 * `replicas` pods; `extra` is appended to the cluster section, `tail` to
 * the file. */
static void load(struct scenario *sc, const char *head, const char *reqs, int replicas, const char *extra,
		 const char *tail)
{
	char yaml[4096];
	snprintf(yaml, sizeof yaml,
		 "name: spot\n%s"
		 "cluster:\n  catalog: spot.csv\n  provisioner: karpenter\n  karpenter:\n"
		 "    latency: {launch: 2s, registration: 30s, initialization: 5s}\n"
		 "    nodepools:\n      - apiVersion: karpenter.sh/v1\n        kind: NodePool\n"
		 "        metadata: {name: pool}\n        spec:\n"
		 "          template: {spec: {requirements: [{key: karpenter.sh/capacity-type, operator: In, values: "
		 "[spot]}%s]}}\n"
		 "          disruption: {consolidateAfter: Never}\n%s"
		 "services:\n  a:\n    replicas: %d\n    resources: {requests: {cpu: \"1\", memory: 1Gi}}\n"
		 "    cpu_per_request: 1ms\n    traffic: {rate: 1rpm}\n"
		 "    startup: {image_pull: {first: 0s}, container_start: 0s, app_start: 0s,"
		 " readinessProbe: {periodSeconds: 1}}\n%s",
		 head, reqs, extra, replicas, tail);
	harness_load(sc, harness_put(dir, "s.yaml", yaml));
}

static struct memsink run(const struct scenario *sc) { return memsink_run(sc, NULL); }

/* The time of the k-th (from 0) row with this kind, event and (unless
 * NULL) name, or -1; its detail into detail. */
static double nth(const struct memsink *m, const char *kind, const char *event, const char *name, int k, char *detail,
		  size_t dlen)
{
	for (size_t i = 0; i < m->n_decisions; i++) {
		const struct row_decision *r = &m->decisions[i].r;
		if (strcmp(r->kind, kind) || strcmp(r->event, event) || (name && strcmp(r->pod, name)) || k-- > 0)
			continue;
		if (detail)
			snprintf(detail, dlen, "%s", r->detail ? r->detail : "");
		return r->t_s;
	}
	return -1;
}

static int count(const struct memsink *m, const char *kind, const char *event, double from, double to)
{
	int n = 0;
	for (size_t i = 0; i < m->n_decisions; i++) {
		const struct row_decision *r = &m->decisions[i].r;
		n += !strcmp(r->kind, kind) && !strcmp(r->event, event) && r->t_s >= from - EPS && r->t_s <= to + EPS;
	}
	return n;
}

#define TWENTY_MIN "seed: 3\nduration: 20m\nsample_interval: 10s\n"
#define AT_5M "  interruptions:\n    at: [{at: 5m, node: pool-0}]\n"
#define PDB(budget)                                                                                                  \
	"pdbs:\n  - apiVersion: policy/v1\n    kind: PodDisruptionBudget\n    metadata: {name: a}\n"                  \
	"    spec: {" budget ", selector: {matchLabels: {app: a}}}\n"

/*
 * A notice drains the node within its 2 minutes while the replacement
 * launches. By hand: the three pods of t = 0 are on pool-0, an m5.xlarge
 * (one claim for 3 cores; m5.large holds one pod). Notice at 300 s; the
 * instance would go at 420 s. Karpenter deletes the NodeClaim at once:
 * pool-0 drains (300 s); the PDB (maxUnavailable 1 of 3) lets one pod go
 * and refuses two, whose retries come 100 ms, 200 ms, ... doubling to
 * 10 s apart: 300.1, 300.3, 300.7, 301.5, 303.1, 306.3, 312.7, 322.7,
 * 332.7, 342.7, 352.7 s. The trigger at 300 s opens a batch, closed 1 s
 * later (idle): it places the evicted pod's replacement and, as upstream's
 * provisioner places the reschedulable pods of a deleting node, the two
 * pods still on pool-0: one NodeClaim for 3 cores, an m5.xlarge (options
 * m5.xlarge, m5.2xlarge), launched at 301 s, registered at 333 s, Ready at
 * 338 s, when the replacement binds to it. The retry at 342.7 s finds 3
 * pods healthy again and evicts one (its replacement binds at once); the
 * third goes at the retry of 352.7 s, and pool-0 with it: 52.7 s into the
 * notice, nothing killed.
 */
Test(spot, notice_drains_the_node_within_two_minutes_while_its_replacement_launches)
{
	struct scenario sc;
	load(&sc, TWENTY_MIN, "", 3, AT_5M, PDB("maxUnavailable: 1"));
	struct memsink m = run(&sc);
	char d[256];
	cr_expect(nth(&m, "node", "ready", "pool-0", 0, d, sizeof d) == 0 && !strncmp(d, "m5.xlarge", 9), "%s", d);
	cr_expect(fabs(nth(&m, "node", "interruption-notice", "pool-0", 0, d, sizeof d) - 300) < EPS);
	cr_expect(strstr(d, "the instance goes at 420.0 s") != NULL, "%s", d);
	cr_expect(fabs(nth(&m, "node", "draining", "pool-0", 0, d, sizeof d) - 300) < EPS);
	cr_expect_str_eq(d, "spot interruption");
	cr_expect_eq(count(&m, "pod", "evicted", 300, 300), 1);
	cr_expect_eq(count(&m, "pod", "eviction-refused", 300, 300), 2);
	cr_expect(fabs(nth(&m, "node", "launched", "pool-1", 0, d, sizeof d) - 301) < EPS, "launched at %g",
		  nth(&m, "node", "launched", "pool-1", 0, NULL, 0));
	cr_expect_str_eq(d, "m5.xlarge, spot, 0.06 USD/h; cheapest of 2 compatible types: m5.xlarge, m5.2xlarge",
			 "the claim holds the pods still on pool-0 too (m5.large would hold one): %s", d);
	cr_expect(fabs(nth(&m, "node", "registered", "pool-1", 0, NULL, 0) - 333) < EPS);
	cr_expect(fabs(nth(&m, "node", "ready", "pool-1", 0, NULL, 0) - 338) < EPS);
	cr_expect(fabs(nth(&m, "pod", "evicted", NULL, 1, NULL, 0) - 342.7) < EPS, "second eviction at %g",
		  nth(&m, "pod", "evicted", NULL, 1, NULL, 0));
	cr_expect(fabs(nth(&m, "pod", "evicted", NULL, 2, NULL, 0) - 352.7) < EPS, "third eviction at %g",
		  nth(&m, "pod", "evicted", NULL, 2, NULL, 0));
	double gone = nth(&m, "node", "deleted", "pool-0", 0, NULL, 0);
	cr_expect(fabs(gone - 352.7) < EPS && gone < 420, "pool-0 deleted at %g, within its notice", gone);
	cr_expect_eq(count(&m, "pod", "killed", 0, 1200), 0);
	cr_expect_eq(count(&m, "node", "launched", 0, 1200), 1, "one replacement node");
	cr_expect_eq(count(&m, "pod", "ready", 300, 1200), 3);
	/* The pod evicted at 342.7 s is the one its evicted-late row names, refused
	 * first at 300 s (the row once named its replacement, which had taken the
	 * idle pod's slot, and timed the refusals from 0 s). */
	const struct mem_decision *ev = NULL, *late = NULL;
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct mem_decision *r = &m.decisions[i];
		if (!ev && !strcmp(r->r.event, "evicted") && fabs(r->r.t_s - 342.7) < EPS)
			ev = r;
		if (!late && !strcmp(r->r.event, "evicted-late"))
			late = r;
	}
	cr_assert(ev && late);
	cr_expect_str_eq(late->pod, ev->pod);
	cr_expect_str_eq(late->detail, "after 10 refused attempts over 42.7 s");
	memsink_free(&m);
	scn_free(&sc);
}

/*
 * A PDB that allows no disruption at all (maxUnavailable 0) holds every
 * pod until the instance goes: the drain is not budgeted, but evictions
 * still honour PDBs. Its pods are fully blocked, so Karpenter provisions
 * nothing for them (IsCurrentlyReschedulable): the batch at 301 s places
 * nothing. At 420 s the instance is reclaimed: the three pods are killed,
 * pool-0 is deleted, the replacements fit nowhere, and the batch they
 * open launches an m5.xlarge at 421 s, Ready at 458 s (421 + 2 + 30 + 5).
 */
Test(spot, a_fully_blocking_pdb_holds_the_pods_until_the_instance_goes)
{
	struct scenario sc;
	load(&sc, TWENTY_MIN, "", 3, AT_5M, PDB("maxUnavailable: 0"));
	struct memsink m = run(&sc);
	cr_expect_eq(count(&m, "pod", "eviction-refused", 300, 300), 3);
	cr_expect_eq(count(&m, "pod", "evicted", 0, 1200), 0);
	cr_expect_eq(count(&m, "node", "launched", 0, 419), 0, "nothing provisioned for fully blocked pods");
	cr_expect_eq(count(&m, "pod", "killed", 420, 420), 3);
	cr_expect(fabs(nth(&m, "node", "reclaimed", "pool-0", 0, NULL, 0) - 420) < EPS);
	cr_expect(fabs(nth(&m, "node", "deleted", "pool-0", 0, NULL, 0) - 420) < EPS);
	cr_expect(fabs(nth(&m, "node", "launched", "pool-1", 0, NULL, 0) - 421) < EPS);
	cr_expect(fabs(nth(&m, "node", "ready", "pool-1", 0, NULL, 0) - 458) < EPS);
	cr_expect_eq(count(&m, "pod", "ready", 458, 458), 3);
	memsink_free(&m);
	scn_free(&sc);
}

/*
 * The interruption controller marks the interrupted node's spot offering
 * unavailable for 3 minutes (the AWS provider's interruption controller,
 * MarkUnavailable with the SpotInterruption reason). By hand: a pool of
 * m5.xlarge in us-east-1a only, spot or on-demand; pool-0 is spot. Its
 * notice at 300 s marks m5.xlarge spot in us-east-1a until 480 s, so the
 * replacement launched at 301 s is on-demand (0.19 USD/h, not spot's
 * 0.06). Another notice, for the replacement's own replacement, is not
 * needed: a second batch after 480 s would take spot again, which the
 * ICE tests of test_karpenter.c cover.
 */
Test(spot, a_notice_marks_the_spot_offering_unavailable)
{
	struct scenario sc;
	char yaml[4096];
	snprintf(yaml, sizeof yaml,
		 "name: spot\n" TWENTY_MIN
		 "cluster:\n  catalog: spot.csv\n  provisioner: karpenter\n  karpenter:\n"
		 "    latency: {launch: 2s, registration: 30s, initialization: 5s}\n"
		 "    nodepools:\n      - apiVersion: karpenter.sh/v1\n        kind: NodePool\n"
		 "        metadata: {name: pool}\n        spec:\n"
		 "          template: {spec: {requirements: [{key: karpenter.sh/capacity-type, operator: In, values: "
		 "[spot, on-demand]}, {key: node.kubernetes.io/instance-type, operator: In, values: [m5.xlarge]}, "
		 "{key: topology.kubernetes.io/zone, operator: In, values: [us-east-1a]}]}}\n"
		 "          disruption: {consolidateAfter: Never}\n" AT_5M
		 "services:\n  a:\n    replicas: 3\n    resources: {requests: {cpu: \"1\", memory: 1Gi}}\n"
		 "    cpu_per_request: 1ms\n    traffic: {rate: 1rpm}\n"
		 "    startup: {image_pull: {first: 0s}, container_start: 0s, app_start: 0s,"
		 " readinessProbe: {periodSeconds: 1}}\n");
	harness_load(&sc, harness_put(dir, "s.yaml", yaml));
	struct memsink m = run(&sc);
	char d[256];
	cr_expect(nth(&m, "node", "ready", "pool-0", 0, d, sizeof d) == 0 && !strcmp(d, "m5.xlarge, 0.06 USD/h"), "%s", d);
	cr_expect(fabs(nth(&m, "node", "interruption-notice", "pool-0", 0, NULL, 0) - 300) < EPS);
	cr_expect(fabs(nth(&m, "node", "launched", "pool-1", 0, d, sizeof d) - 301) < EPS, "launched at %g",
		  nth(&m, "node", "launched", "pool-1", 0, NULL, 0));
	cr_expect(!strncmp(d, "m5.xlarge, 0.19 USD/h;", 22), "the replacement is on-demand: %s", d);
	memsink_free(&m);
	scn_free(&sc);
}

/*
 * Given times: by selector, the oldest spot node that matches (pool-0 of
 * the two m5.large nodes of t = 0, then pool-1 as pool-0 has its notice);
 * by name a node that is gone is skipped with a row. Here one pod per
 * m5.large (the pool allows only that type).
 */
Test(spot, given_times_pick_the_oldest_matching_node_and_say_when_none)
{
	struct scenario sc;
	load(&sc, TWENTY_MIN, ", {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large]}", 2,
	     "  interruptions:\n    at:\n      - {at: 1m, type: m5.large}\n      - {at: 1m, family: m5}\n"
	     "      - {at: 10m, node: pool-0}\n      - {at: 10m, type: m5.large, zone: us-east-1c}\n",
	     "");
	struct memsink m = run(&sc);
	cr_expect(fabs(nth(&m, "node", "interruption-notice", "pool-0", 0, NULL, 0) - 60) < EPS);
	cr_expect(fabs(nth(&m, "node", "interruption-notice", "pool-1", 0, NULL, 0) - 60) < EPS);
	char d[256];
	cr_expect(fabs(nth(&m, "node", "interruption-skipped", "pool-0", 0, d, sizeof d) - 600) < EPS);
	cr_expect_str_eq(d, "interruption at line 21: no such node now");
	/* The nodes launched after 60 s are in the pool's first zone, us-east-1a: none in us-east-1c. */
	cr_expect(fabs(nth(&m, "node", "interruption-skipped", "", 0, d, sizeof d) - 600) < EPS);
	cr_expect_str_eq(d, "interruption at line 22: no spot node without a notice matches now");
	memsink_free(&m);
	scn_free(&sc);
}

/*
 * Given times that interrupt nothing: pool-1 (node numbers count the
 * static od-0 first), its three pods held by a PDB that allows no
 * disruption, so it stays until its instance goes at 420 s, gets its
 * notice at 300 s, and a second at 360 s is skipped; so is one at 360 s
 * for od-0, an on-demand static node (tainted: no pod goes there), which
 * EC2 never interrupts.
 */
Test(spot, given_times_skip_a_node_with_a_notice_and_an_on_demand_one)
{
	struct scenario sc;
	load(&sc, TWENTY_MIN, "", 3,
	     "  nodes: [{name: od, allocatable: {cpu: \"1\", memory: 1Gi}, taints: [{key: k, effect: NoSchedule}]}]\n"
	     "  interruptions:\n    at:\n      - {at: 5m, node: pool-1}\n      - {at: 6m, node: pool-1}\n"
	     "      - {at: 6m, node: od-0}\n",
	     PDB("maxUnavailable: 0"));
	struct memsink m = run(&sc);
	char d[256];
	cr_expect_eq(count(&m, "node", "interruption-notice", 0, 1200), 1);
	cr_expect(fabs(nth(&m, "node", "interruption-skipped", "pool-1", 0, d, sizeof d) - 360) < EPS);
	cr_expect(strstr(d, ": it has a notice already") != NULL, "%s", d);
	cr_expect(fabs(nth(&m, "node", "reclaimed", "pool-1", 0, NULL, 0) - 420) < EPS, "the first notice's end stands");
	cr_expect(fabs(nth(&m, "node", "interruption-skipped", "od-0", 0, d, sizeof d) - 360) < EPS);
	cr_expect(strstr(d, ": not a spot instance (on-demand gets no notice)") != NULL, "%s", d);
	cr_expect_eq(count(&m, "node", "deleted", 0, 1200), 1, "od-0 stays");
	memsink_free(&m);
	scn_free(&sc);
}

/* The hazards by hand: -ln(1 - p) / 730 per hour, the most specific rate
 * first (type, then family, then the rate for any type). */
Test(spot, the_most_specific_rate_applies)
{
	struct scenario sc;
	load(&sc, TWENTY_MIN, "", 1,
	     "  interruptions:\n    rates: [{family: m5, rate: 10%}, {type: m5.large, rate: 20%}, {rate: 1%}]\n", "");
	cr_expect(fabs(spot_rate(&sc, "m5.large") - -log(0.8) / 730) < 1e-15);
	cr_expect(fabs(spot_rate(&sc, "m5.xlarge") - -log(0.9) / 730) < 1e-15);
	cr_expect(fabs(spot_rate(&sc, "") - -log(0.99) / 730) < 1e-15);
	scn_free(&sc);
	load(&sc, TWENTY_MIN, "", 1, "  interruptions:\n    rates: [{family: m5, rate: 10%}]\n", "");
	cr_expect_eq(spot_rate(&sc, ""), 0);
	scn_free(&sc);
}

/*
 * Counts over many spot node-hours. 40 pods, one per spot m5.large, 200 h,
 * a rate of 99 % a month: a hazard of lambda = -ln(0.01) / 730 =
 * 6.3085e-3 per node-hour. Each node's time to its notice is exponential
 * with that rate (memoryless, drawn when the node is made), and a node is
 * exposed from its launch (t = 0 for the nodes of the start) until its
 * notice, its deletion or the end, so the notices over the total exposure
 * E (node-hours, read from the rows) are a Poisson count of mean
 * lambda x E. With E about 40 x 200 = 8,000 h, about 50 notices: the
 * count must lie within the central 99 % of Poisson(lambda x E), the
 * bounds computed from its cdf (a correct model fails this 1 % of seeds;
 * the seed is fixed: seed 11 gives 55 notices over 8,000 node-hours, a
 * mean of 50.5 and an interval of [33, 70]). The same seed gives the same
 * count.
 */
Test(spot, notices_over_many_node_hours_follow_the_poisson_law_of_the_rate, .timeout = 120)
{
	struct scenario sc;
	load(&sc, "seed: 11\nduration: 200h\nsample_interval: 1h\nslo_window: 1h\n",
	     ", {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large]}", 40,
	     "  interruptions:\n    rates: [{rate: 99%}]\n", "");
	struct memsink m = run(&sc);
	double end = sim_to_s(sc.duration), exposure = 0;
	int notices = 0;
	/* Per node: from its first row (ready at 0, or launched) to its notice or deletion. */
	for (size_t i = 0; i < m.n_decisions; i++) {
		const struct row_decision *r = &m.decisions[i].r;
		if (strcmp(r->kind, "node") || (strcmp(r->event, "ready") && strcmp(r->event, "launched")))
			continue;
		if (!strcmp(r->event, "ready") && r->t_s > 0)
			continue; /* a launched node's Ready: its exposure began at its launch */
		double t1 = end;
		for (size_t j = i + 1; j < m.n_decisions; j++) {
			const struct row_decision *q = &m.decisions[j].r;
			if (!strcmp(q->kind, "node") && !strcmp(q->pod, r->pod) &&
			    (!strcmp(q->event, "interruption-notice") || !strcmp(q->event, "deleted"))) {
				t1 = q->t_s;
				notices += !strcmp(q->event, "interruption-notice");
				break;
			}
		}
		exposure += (t1 - r->t_s) / 3600;
	}
	cr_assert_eq(count(&m, "node", "interruption-notice", 0, end), notices);
	double mu = -log(0.01) / 730 * exposure;
	unsigned lo = 0, hi = 0;
	while (gsl_cdf_poisson_P(lo, mu) < 0.005)
		lo++;
	hi = lo;
	while (gsl_cdf_poisson_P(hi, mu) < 0.995)
		hi++;
	cr_expect(exposure > 7000 && exposure <= 8000, "exposure %.1f node-hours", exposure);
	cr_expect((unsigned)notices >= lo && (unsigned)notices <= hi, "%d notices over %.1f node-hours: mean %.2f, 99 %% "
		  "interval [%u, %u]", notices, exposure, mu, lo, hi);
	memsink_free(&m);
	struct memsink again = run(&sc);
	cr_expect_eq(count(&again, "node", "interruption-notice", 0, end), notices, "a function of the seed");
	memsink_free(&again);
	scn_free(&sc);
}

/* The interruptions draw from a stream of their own: a run whose rate
 * interrupts nothing within it makes the same rows as one without. */
Test(spot, a_rate_that_interrupts_nothing_changes_no_other_draw)
{
	struct scenario with, without;
	load(&with, TWENTY_MIN, "", 6, "  interruptions:\n    rates: [{rate: 0.01%}]\n", "");
	load(&without, TWENTY_MIN, "", 6, "", "");
	struct memsink a = run(&with), b = run(&without);
	cr_expect_eq(count(&a, "node", "interruption-notice", 0, 1200), 0);
	cr_assert_eq(a.n_decisions, b.n_decisions);
	for (size_t i = 0; i < a.n_decisions; i++) {
		cr_expect(a.decisions[i].r.t_s == b.decisions[i].r.t_s && !strcmp(a.decisions[i].r.event, b.decisions[i].r.event),
			  "row %zu", i);
	}
	cr_assert_eq(a.n_summaries, b.n_summaries);
	cr_expect_eq(a.summaries[0].requests, b.summaries[0].requests);
	cr_expect_eq(a.summaries[0].p99_ms, b.summaries[0].p99_ms);
	memsink_free(&a);
	memsink_free(&b);
	scn_free(&with);
	scn_free(&without);
}
