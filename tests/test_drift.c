/*
 * Drift and disruption budgets (docs/drift.md; models/karpenter.h).
 *
 * The budget rule against kubernetes-sigs/karpenter
 * pkg/apis/v1/nodepool_budgets_test.go (its cases ported, at its clock:
 * 2000-06-15 12:30:30 UTC); the Drift method in runs on a small catalog
 * where every node holds one pod (c5.large: 1.93 cores, 3,199 MiB
 * allocatable; the pods request 1 core and 2 GiB, so one a node), checked
 * against hand-computed budgets at every second of the run.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "karpenter.h"
#include "sim.h"
#include "world.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/hr-drift-XXXXXX");
	cr_assert(mkdtemp(dir));
	harness_put(dir, "cat.csv",
		    "name,arch,vcpu,memory_mib,max_pods,price_usd_hour\n"
		    "c5.large,amd64,2,4096,29,0.085\n"
		    "m5.large,amd64,2,8192,29,0.096\n");
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(drift, .init = setup, .fini = teardown);

/* A scenario starting at `start` (UTC), one NodePool of c5.large nodes
 * with spec.disruption `disruption`, cluster.drifts `drifts` (or none),
 * and service a: `replicas` pods of 1 core and 2 GiB (one a c5.large),
 * labelled app: a, with pod annotations `annot` and then `tail` (pdbs). */
static const char *yaml_of(const char *duration, const char *start, const char *disruption, const char *drifts,
			   int replicas, const char *annot, const char *tail)
{
	static char yaml[8192];
	snprintf(yaml, sizeof yaml,
		 "name: d\nduration: %s\nsample_interval: 10s\nstart: %s\n"
		 "cluster:\n  catalog: cat.csv\n  provisioner: karpenter\n  karpenter:\n"
		 "    latency: {launch: 2s, registration: 30s, initialization: 5s}\n"
		 "    nodepools:\n      - apiVersion: karpenter.sh/v1\n        kind: NodePool\n"
		 "        metadata: {name: pool}\n        spec:\n"
		 "          template: {spec: {requirements: [{key: node.kubernetes.io/instance-type, operator: In, "
		 "values: [c5.large]}]}}\n"
		 "          disruption: %s\n"
		 "%s%s%s"
		 "services:\n  a:\n    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n"
		 "      metadata: {name: a}\n      spec:\n        replicas: %d\n        selector: {matchLabels: {app: a}}\n"
		 "        template:\n          metadata: {labels: {app: a}%s}\n          spec:\n"
		 "            containers:\n              - name: a\n                image: a:1\n"
		 "                readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 1}\n"
		 "                resources: {requests: {cpu: \"1\", memory: 2Gi}}\n"
		 "    cpu_per_request: 1ms\n    traffic: {rate: 1rps}\n"
		 "    startup: {image_pull: {first: 0s}, container_start: 0s, app_start: 0s}\n%s",
		 duration, start, disruption, drifts ? "  drifts: " : "", drifts ? drifts : "", drifts ? "\n" : "",
		 replicas, annot, tail);
	return yaml;
}

static void load(struct scenario *sc, const char *yaml)
{
	harness_load(sc, harness_put(dir, "d.yaml", yaml));
}

/* Unix ns of a UTC date and time. */
static int64_t utc(int64_t y, int mo, int d, int h, int mi, int s)
{
	return ((tz_days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + s) * SIM_S;
}

/* ---- the budget rule ---- */

/* nodepool_budgets_test.go's BeforeEach budgets, each of its Its changing
 * some schedules: [0] 10, [1] 100, [2] 100%, all three "* * * * *" for
 * 1h; [3] 15 for Drifted and Underutilized, [4] 5 for Drifted, both
 * "* * * * *" 1h; [5] 0 for every reason, @weekly for 1h. */
static const char *budgets_yaml(const char *s3, const char *s4, const char *s5, const char *s012, const char *more)
{
	static char b[2048];
	snprintf(b, sizeof b,
		 "{budgets: [{nodes: \"10\", schedule: \"%s\", duration: 1h}, "
		 "{nodes: \"100\", schedule: \"%s\", duration: 1h}, {nodes: \"100%%\", schedule: \"%s\", duration: 1h}, "
		 "{nodes: \"15\", reasons: [Drifted, Underutilized], schedule: \"%s\", duration: 1h}, "
		 "{nodes: \"5\", reasons: [Drifted], schedule: \"%s\", duration: 1h}, "
		 "{nodes: \"0\", reasons: [Underutilized, Drifted, Empty], schedule: \"%s\", duration: 1h}%s]}",
		 s012, s012, s012, s3, s4, s5, more);
	return b;
}

static const unsigned reasons[] = {SCN_REASON_EMPTY, SCN_REASON_UNDERUTILIZED, SCN_REASON_DRIFTED};

/* Context "GetAllowedDisruptionsByReason", over 100 nodes at the test's
 * clock (2000-06-15 12:30:30 UTC, a Thursday: @weekly is not active). */
Test(drift, allowed_by_reason_matches_nodepool_budgets_test)
{
	static const struct {
		const char *it;
		const char *s012, *s3, *s4, *s5, *more;
		int empty, under, drifted; /* the allowed disruptions per reason */
	} rows[] = {
		{"should return 0 for all reasons if a budget is active for all reasons", "* * * * *", "* * * * *",
		 "* * * * *", "* * * * *", "", 0, 0, 0},
		{"should return MaxInt32 for all reasons when there are no active budgets", "@yearly", "@yearly", "@yearly",
		 "@yearly", "", INT32_MAX, INT32_MAX, INT32_MAX},
		{"should ignore reason-defined budgets when inactive", "* * * * *", "@yearly", "@yearly", "@weekly", "", 10,
		 10, 10},
		{"should get the minimum budget for each reason (the budget where reason == nil overrides)", "* * * * *",
		 "* * * * *", "* * * * *", "@weekly", ", {nodes: \"4\", reasons: [Empty], schedule: \"* * * * *\", duration: 1h}",
		 4, 10, 5},
	};
	int64_t now = utc(2000, 6, 15, 12, 30, 30);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct scenario sc;
		load(&sc, yaml_of("1m", "2000-06-15T12:30:30Z",
				  budgets_yaml(rows[i].s3, rows[i].s4, rows[i].s5, rows[i].s012, rows[i].more), NULL, 1, "",
				  ""));
		const struct scn_nodepool *np = &sc.cluster.karpenter.pools[0];
		int want[] = {rows[i].empty, rows[i].under, rows[i].drifted};
		for (size_t r = 0; r < 3; r++) {
			int got = karp_budget_allowed_at(np, reasons[r], 100, now);
			cr_expect_eq(got, want[r], "%s: reason %u: %d, want %d", rows[i].it, reasons[r], got, want[r]);
		}
		scn_free(&sc);
	}
	/* "should return the budget for all disruption reasons when undefined": budgets[:1] */
	struct scenario sc;
	load(&sc, yaml_of("1m", "2000-06-15T12:30:30Z",
			  "{budgets: [{nodes: \"10\", schedule: \"* * * * *\", duration: 1h}]}", NULL, 1, "", ""));
	for (size_t r = 0; r < 3; r++)
		cr_expect_eq(karp_budget_allowed_at(&sc.cluster.karpenter.pools[0], reasons[r], 100, now), 10);
	scn_free(&sc);
}

/* reasons: [] is as if unset (the API server drops the empty list,
 * json:"reasons,omitempty" in pkg/apis/v1/nodepool.go, and
 * GetAllowedDisruptionsByReason applies a budget with nil Reasons to every
 * reason): 3 for each reason, not unlimited. */
Test(drift, empty_reasons_apply_to_every_reason)
{
	struct scenario sc;
	load(&sc, yaml_of("1m", "2000-06-15T12:30:30Z", "{budgets: [{nodes: \"3\", reasons: []}]}", NULL, 1, "", ""));
	for (size_t r = 0; r < 3; r++)
		cr_expect_eq(karp_budget_allowed_at(&sc.cluster.karpenter.pools[0], reasons[r], 100, 0), 3, "reason %u",
			     reasons[r]);
	scn_free(&sc);
}

/* Context "IsActive" (and "AllowedDisruptions"), each at its own clock. */
Test(drift, is_active_matches_nodepool_budgets_test)
{
	static const struct {
		const char *it, *budget;
		int64_t y;
		int mo, d, h, mi, s;
		bool active;
	} rows[] = {
		/* time.Date(2000, June, 0, ...) in a zone 1 h east of UTC is 2000-05-30 23:00 UTC */
		{"should always consider a schedule and time in UTC", "schedule: \"@daily\", duration: 30m", 2000, 5, 30,
		 23, 0, 0, false},
		{"should return that a schedule is active when schedule and duration are nil", "", 2000, 6, 15, 12, 30, 30,
		 true},
		{"should return that a schedule is active", "schedule: \"* * * * *\", duration: 1h", 2000, 6, 15, 12, 30, 30,
		 true},
		{"should return that a schedule is inactive", "schedule: \"@yearly\", duration: 1h", 2000, 6, 15, 12, 30, 30,
		 false},
		/* upstream's clock is 1000-01-01 12:00, before the int64 nanoseconds (1678-2262) of Unix time
		 * here: the same case in 2001 */
		{"should return that a schedule is active when the schedule hit is in the middle of the duration",
		 "schedule: \"@yearly\", duration: 24h", 2001, 1, 1, 12, 0, 0, true},
		{"should return that a schedule is active when the duration is longer than the recurrence",
		 "schedule: \"@daily\", duration: 48h", 2024, 1, 7, 0, 0, 0, true},
		{"should return that a schedule is inactive when the schedule hit is after the duration",
		 "schedule: \"30 6 * * SUN\", duration: 6h", 2024, 1, 7, 0, 0, 0, false},
		/* the edges, by hand: 0 9 * * * for 15m is active over [09:00:00, 09:15:00): at 09:15:00,
		 * Next(09:00:00) is strictly after it, tomorrow's */
		{"at the firing itself", "schedule: \"0 9 * * *\", duration: 15m", 2026, 3, 2, 9, 0, 0, true},
		{"a second before it", "schedule: \"0 9 * * *\", duration: 15m", 2026, 3, 2, 8, 59, 59, false},
		{"a second before its end", "schedule: \"0 9 * * *\", duration: 15m", 2026, 3, 2, 9, 14, 59, true},
		{"at the end of the duration", "schedule: \"0 9 * * *\", duration: 15m", 2026, 3, 2, 9, 15, 0, false},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char dis[256];
		snprintf(dis, sizeof dis, "{budgets: [{nodes: \"10\"%s%s}]}", rows[i].budget[0] ? ", " : "", rows[i].budget);
		struct scenario sc;
		load(&sc, yaml_of("1m", "2000-06-15T12:30:30Z", dis, NULL, 1, "", ""));
		const struct scn_nodepool *np = &sc.cluster.karpenter.pools[0];
		int64_t t = utc(rows[i].y, rows[i].mo, rows[i].d, rows[i].h, rows[i].mi, rows[i].s);
		cr_expect_eq(karp_budget_active(&np->budgets[0], t), rows[i].active, "%s", rows[i].it);
		/* AllowedDisruptions: the int value when active, MaxInt32 when not */
		cr_expect_eq(karp_budget_allowed_at(np, SCN_REASON_DRIFTED, 100, t), rows[i].active ? 10 : INT32_MAX, "%s",
			     rows[i].it);
		scn_free(&sc);
	}
}

/* Percentages round up over the nodes counted (GetScaledValueFromIntOrPercent,
 * roundUp true), counts are counts, and the default is one 10 % budget for
 * every reason. */
Test(drift, percentages_round_up)
{
	static const struct {
		const char *disruption;
		int nodes, want;
	} rows[] = {
		{"{}", 10, 1},   {"{}", 11, 2},   {"{}", 0, 0},
		{"{budgets: [{nodes: \"20%\"}]}", 19, 4},          {"{budgets: [{nodes: \"5%\"}]}", 10, 1},
		{"{budgets: [{nodes: \"100%\"}]}", 7, 7},          {"{budgets: [{nodes: \"0%\"}]}", 50, 0},
		{"{budgets: [{nodes: \"3\"}, {nodes: \"50%\"}]}", 4, 2},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct scenario sc;
		load(&sc, yaml_of("1m", "2026-03-02T08:50:00Z", rows[i].disruption, NULL, 1, "", ""));
		for (size_t r = 0; r < 3; r++)
			cr_expect_eq(karp_budget_allowed_at(&sc.cluster.karpenter.pools[0], reasons[r], rows[i].nodes, 0),
				     rows[i].want, "%s over %d", rows[i].disruption, rows[i].nodes);
		scn_free(&sc);
	}
}

/* ---- the loader ---- */

static void expect_bad(const char *yaml, const char *want)
{
	struct scenario sc;
	struct herr e;
	const char *path = harness_put(dir, "bad.yaml", yaml);
	char full[1024];
	snprintf(full, sizeof full, "%s:%s", path, want);
	cr_expect_eq(scn_load(&sc, path, NULL, 0, &e), -1, "loaded: %s", want);
	cr_expect_str_eq(e.msg, full);
}

Test(drift, bad_budgets_and_drifts_say_where)
{
	/* the disruption line is line 16, its value at column 23; the drifts line 17 */
	expect_bad(yaml_of("1h", "2026-03-02T08:50:00Z", "{budgets: [{nodes: \"0\", reasons: [Drift]}]}", NULL, 1, "", ""),
		   "16:57: reasons: 'Drift' is not a disruption reason (did you mean 'Drifted'?); the reasons are "
		   "Underutilized, Empty and Drifted");
	expect_bad(yaml_of("1h", "2026-03-02T08:50:00Z", "{budgets: [{nodes: \"0\", schedule: \"0 9 * * *\"}]}", NULL, 1,
			   "", ""),
		   "16:58: schedule: 'schedule' must be set with 'duration' (a budget has both, active for the "
		   "duration after each time the schedule fires, or neither: always active)");
	expect_bad(yaml_of("1h", "2026-03-02T08:50:00Z", "{budgets: [{nodes: \"0\", duration: 8h}]}", NULL, 1, "", ""),
		   "16:57: duration: 'schedule' must be set with 'duration' (a budget has both, active for the "
		   "duration after each time the schedule fires, or neither: always active)");
	expect_bad(yaml_of("1h", "2026-03-02T08:50:00Z",
			   "{budgets: [{nodes: \"0\", schedule: \"0 9 * * *\", duration: 30s}]}", NULL, 1, "", ""),
		   "16:80: duration: '30s' is not hours and minutes, e.g. 8h, 30m or 1h30m (Budget.Duration takes no "
		   "seconds: cron does not work in seconds)");
	/* nodepool_budgets_test.go: "should return an error indicating why the cron fails to parse" */
	expect_bad(yaml_of("1h", "2026-03-02T08:50:00Z",
			   "{budgets: [{nodes: \"0\", schedule: \"0 0 * * tue-mon\", duration: 6h}]}", NULL, 1, "", ""),
		   "16:66: schedule: beginning of range (2) beyond end of range (1): tue-mon (a cron schedule of five "
		   "fields, in UTC, e.g. \"0 9 * * mon-fri\")");
	/* ... and "should return zero values if a schedule is invalid" (@wrongly), refused here */
	expect_bad(yaml_of("1h", "2026-03-02T08:50:00Z", "{budgets: [{nodes: \"0\", schedule: \"@wrongly\", duration: 1h}]}",
			   NULL, 1, "", ""),
		   "16:58: schedule: '@wrongly' is not a descriptor Karpenter accepts (@yearly, @annually, @monthly, "
		   "@weekly, @daily, @midnight, @hourly)");
	/* what the CRD's pattern ^((100|[0-9]{1,2})%|[0-9]+)$ refuses though it reads as a number */
	static const char *const off_pattern[] = {"+3", "10.0%", "050%"};
	for (size_t i = 0; i < ARRAY_LEN(off_pattern); i++) {
		char b[128], want[256];
		snprintf(b, sizeof b, "{budgets: [{nodes: \"%s\"}]}", off_pattern[i]);
		snprintf(want, sizeof want, "16:43: nodes: '%s' does not match Budget.Nodes's pattern "
				 "^((100|[0-9]{1,2})%%|[0-9]+)$ (a count of nodes, or a whole percentage, e.g. \"5\" or "
				 "\"10%%\")", off_pattern[i]);
		expect_bad(yaml_of("1h", "2026-03-02T08:50:00Z", b, NULL, 1, "", ""), want);
	}
	/* "should return zero values if a nodes value is invalid" (1000a%) */
	expect_bad(yaml_of("1h", "2026-03-02T08:50:00Z", "{budgets: [{nodes: \"1000a%\"}]}", NULL, 1, "", ""),
		   "16:43: nodes: '1000a%' is not a percentage from 0% to 100%");
	expect_bad(yaml_of("1h", "2026-03-02T08:50:00Z",
			   "{budgets: [{nodes: \"0\", schedule: \"CRON_TZ=Europe/Berlin 0 9 * * *\", duration: 1h}]}",
			   NULL, 1, "", ""),
		   "16:58: schedule: 'CRON_TZ=Europe/Berlin 0 9 * * *': time zones are not supported (Karpenter reads a "
		   "budget's schedule in UTC)");
	expect_bad(yaml_of("1h", "2026-03-02T08:50:00Z", "{}", "[{at: 10m, nodepool: general}]", 1, "", ""),
		   "17:32: nodepool: no NodePool 'general' in karpenter.nodepools (there are 'pool')");
	expect_bad(yaml_of("1h", "2026-03-02T08:50:00Z", "{}", "[{at: 10m}]", 1, "", ""),
		   "17:12: a drift needs 'nodepool'");
	expect_bad(yaml_of("1h", "2026-03-02T08:50:00Z", "{}", "[{at: 2h, nodepool: pool}]", 1, "", ""),
		   "17:17: at: 2h is after the run ends (duration 3600s)");
	expect_bad(yaml_of("1h", "2026-03-02T08:50:00Z", "{}", "[{at: 10m, nodepool: pool, ami: x}]", 1, "", ""),
		   "17:38: unknown key 'ami' in a drift; did you mean 'at'?");
}

Test(drift, a_scheduled_budget_needs_a_start)
{
	const char *yaml = yaml_of("1h", "2026-03-02T08:50:00Z",
				   "{budgets: [{nodes: \"0\", schedule: \"0 9 * * *\", duration: 1h}]}", NULL, 1, "", "");
	char *cut = strstr(yaml, "start: ");
	char *nl = strchr(cut, '\n');
	memmove(cut, nl + 1, strlen(nl + 1) + 1); /* no start: the disruption line moves up to 15 */
	expect_bad(yaml, "15:58: schedule: a scheduled budget needs the scenario's `start:` (when the run begins, e.g. "
			 "start: 2026-03-02T08:00:00Z): its schedule is a time of day in UTC");
}

/* ---- the Drift method, in runs ---- */

struct probe {
	int max_seen;      /* the most nodes disrupting at once */
	int over;          /* probes where more were disrupting than the budget allowed */
	int max_budget;    /* the largest budget seen while some were drifted */
	char why[256];
};

/* Once a second: the pool's initialized nodes, those disrupting (not Ready,
 * or waiting for their replacement), and the Drifted budget over the
 * initialized ones at that moment. */
static simtime probe_ev(struct sim *s, void *obj, uint64_t arg)
{
	struct world *w = obj;
	struct probe *p = (struct probe *)(uintptr_t)arg;
	const struct scn_nodepool *np = &w->sc->cluster.karpenter.pools[0];
	int init = 0, disrupting = 0, drifted = 0;
	for (size_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *n = w->wnodes[i];
		drifted += n->drifted;
		if (n->ready_at == SIM_FOREVER)
			continue;
		init++;
		disrupting += n->state != NODE_READY || n->replaced_by;
	}
	int budget = karp_budget_allowed_at(np, SCN_REASON_DRIFTED, init, w->sc->start_unix * SIM_S + s->now);
	p->max_seen = HR_MAX(p->max_seen, disrupting);
	if (drifted)
		p->max_budget = HR_MAX(p->max_budget, budget);
	if (disrupting > budget && !p->over++)
		snprintf(p->why, sizeof p->why, "at %.0f s: %d disrupting, %d initialized allow %d", sim_to_s(s->now),
			 disrupting, init, budget);
	return s->now + SIM_S < s->end ? SIM_S : SIM_DONE;
}

/* Runs sc with the probe; its rows in *m (free with memsink_free). */
static void run_probed(const struct scenario *sc, struct memsink *m, struct probe *p)
{
	struct sink out = memsink_init(m);
	struct sim s;
	sim_init(&s, sc->seed, sc->duration);
	struct world *w = world_new(&s, sc, &out);
	*p = (struct probe){0};
	sim_at(&s, SIM_S, PRIO_CONTROL, probe_ev, w, (uint64_t)(uintptr_t)p);
	sim_run(&s);
	for (size_t i = 0; i < w->n_nodes; i++)
		cr_expect(!w->wnodes[i]->drifted || sc->n_services == 0, "%s is still drifted at the end",
			  w->wnodes[i]->name);
	world_finish(w);
	world_free(w);
	sim_release(&s);
}

/* Times in s, from integer ns: equal to within a nanosecond. */
static bool near(double a, double b) { return fabs(a - b) < 1e-9 * HR_MAX(1.0, fabs(b)); }

/* The time of row `event` of node `pod`, its n-th (from 0), or -1. */
static double nth(const struct memsink *m, const char *event, const char *pod, int n)
{
	for (size_t i = 0; i < m->n_decisions; i++) {
		const struct row_decision *r = &m->decisions[i].r;
		if (!strcmp(r->event, event) && (!pod || !strcmp(r->pod, pod)) && n-- == 0)
			return r->t_s;
	}
	return -1;
}

/* Every replacement is Ready before the node it replaces drains: each
 * "replacing" row names the replacement, whose "ready" comes no later than
 * the old node's "draining" (release_replaced drains it at that instant). */
static void expect_replacement_first(const struct memsink *m)
{
	for (size_t i = 0; i < m->n_decisions; i++) {
		const struct row_decision *r = &m->decisions[i].r;
		if (strcmp(r->event, "replacing"))
			continue;
		double ready = nth(m, "ready", r->detail, 0), drain = nth(m, "draining", r->pod, 0);
		cr_expect(ready > r->t_s && drain >= ready, "%s replaced by %s at %.1f: ready %.1f, draining %.1f", r->pod,
			  r->detail, r->t_s, ready, drain);
	}
}

/* Ten nodes drift at 60 s under a 20 % budget (consolidation off): never
 * more disrupting than ceil(20 % x initialized) at any second (2 of 10;
 * the old nodes, their pods evicted at once, go as their replacements are
 * initialized, so the pool stays at 10 initialized); every old node
 * replaced (the replacement Ready first), none of the new ones drifted,
 * and a drift-complete row. The poll of 60 s comes after the drift of
 * 60 s (scheduled earlier) and starts two commands. */
Test(drift, a_drifted_pool_stays_within_its_budget)
{
	struct scenario sc;
	load(&sc, yaml_of("20m", "2026-03-02T08:50:00Z", "{consolidateAfter: Never, budgets: [{nodes: \"20%\"}]}",
			  "[{at: 60s, nodepool: pool, nodeclass: ami-2}]", 10, "", ""));
	struct memsink m;
	struct probe p;
	run_probed(&sc, &m, &p);
	cr_expect_eq(p.over, 0, "%s", p.why);
	cr_expect_eq(p.max_seen, 2, "at most %d disrupting at once, want 2 (ceil(0.2 x 10))", p.max_seen);
	cr_expect_eq(p.max_budget, 2);
	cr_expect_eq(memsink_count(&m, "drifted"), 10);
	cr_expect_eq(memsink_count(&m, "replacing"), 10);
	expect_replacement_first(&m);
	/* the poll of 60 s starts 2 commands: ceil(0.2 x 10); the third waits for one to end */
	cr_expect(near(nth(&m, "replacing", NULL, 0), 60.0));
	cr_expect(near(nth(&m, "replacing", NULL, 1), 60.0));
	cr_expect_gt(nth(&m, "replacing", NULL, 2), nth(&m, "deleted", NULL, 0));
	const char *detail = NULL;
	double done = memsink_first(&m, "drift-complete", "pool", &detail);
	cr_expect_gt(done, 60.0);
	cr_expect(strstr(detail, "10 drifted node(s) gone"), "%s", detail);
	cr_expect(near(memsink_first(&m, "drift", "pool", &detail), 60.0));
	cr_expect_str_eq(detail, "NodePool pool: node class changed to ami-2");
	memsink_free(&m);
	scn_free(&sc);
}

/* A PodDisruptionBudget allowing no disruption holds the drift: no
 * command starts (the node is not a candidate: "pdb prevents pod
 * evictions"), whatever the NodePool's budget; likewise
 * karpenter.sh/do-not-disrupt. With maxUnavailable 1 the budget (100 %)
 * lets every node start at once (one disruption is allowed when each is
 * chosen), and the PDB then holds the drains: evictions are refused and
 * go through as the moved pods become Ready, and the upgrade completes. */
Test(drift, a_pdb_holds_a_drift_replacement)
{
	const char *pdb0 = "pdbs:\n  - apiVersion: policy/v1\n    kind: PodDisruptionBudget\n    metadata: {name: a}\n"
			   "    spec: {maxUnavailable: 0, selector: {matchLabels: {app: a}}}\n";
	struct scenario sc;
	load(&sc, yaml_of("10m", "2026-03-02T08:50:00Z", "{consolidateAfter: Never, budgets: [{nodes: \"100%\"}]}",
			  "[{at: 60s, nodepool: pool}]", 4, "", pdb0));
	struct memsink m = memsink_run(&sc, NULL);
	cr_expect_eq(memsink_count(&m, "drifted"), 4);
	cr_expect_eq(memsink_count(&m, "replacing"), 0);
	cr_expect_eq(memsink_count(&m, "drift-complete"), 0);
	const char *detail = NULL;
	cr_expect_geq(memsink_first(&m, "disruption-skipped", NULL, &detail), 60.0);
	cr_expect(strstr(detail, "pdb a prevents pod evictions"), "%s", detail);
	memsink_free(&m);
	scn_free(&sc);

	/* do-not-disrupt likewise */
	load(&sc, yaml_of("10m", "2026-03-02T08:50:00Z", "{consolidateAfter: Never, budgets: [{nodes: \"100%\"}]}",
			  "[{at: 60s, nodepool: pool}]", 4, ", annotations: {karpenter.sh/do-not-disrupt: \"true\"}", ""));
	m = memsink_run(&sc, NULL);
	cr_expect_eq(memsink_count(&m, "replacing"), 0);
	cr_expect_geq(memsink_first(&m, "disruption-skipped", NULL, &detail), 60.0);
	cr_expect(strstr(detail, "karpenter.sh/do-not-disrupt"), "%s", detail);
	memsink_free(&m);
	scn_free(&sc);

	const char *pdb1 = "pdbs:\n  - apiVersion: policy/v1\n    kind: PodDisruptionBudget\n    metadata: {name: a}\n"
			   "    spec: {maxUnavailable: 1, selector: {matchLabels: {app: a}}}\n";
	load(&sc, yaml_of("20m", "2026-03-02T08:50:00Z", "{consolidateAfter: Never, budgets: [{nodes: \"100%\"}]}",
			  "[{at: 60s, nodepool: pool}]", 4, "", pdb1));
	struct probe p;
	run_probed(&sc, &m, &p);
	cr_expect_eq(p.over, 0, "%s", p.why);
	cr_expect_eq(p.max_seen, 4, "%d disrupting at once: the 100 %% budget lets all four start", p.max_seen);
	cr_expect_eq(memsink_count(&m, "replacing"), 4);
	cr_expect_geq(memsink_count(&m, "eviction-refused"), 1, "the PDB held no eviction");
	cr_expect_eq(memsink_count(&m, "evicted-late"), memsink_count(&m, "eviction-refused"));
	expect_replacement_first(&m);
	cr_expect_gt(memsink_first(&m, "drift-complete", "pool", NULL), 60.0);
	memsink_free(&m);
	scn_free(&sc);
}

/* A Drifted budget of 0 from 09:00 for 30 min (UTC) holds the drift until
 * it ends. The run starts at 08:50; the pool drifts at 11 min (09:01),
 * inside the window: the first command waits for the first poll at or
 * after 09:30:00, when the window is over (the polls are every 10 s from
 * 10 s: t = 2400 s). */
Test(drift, a_scheduled_budget_of_zero_holds_drift_until_it_ends)
{
	struct scenario sc;
	load(&sc, yaml_of("50m", "2026-03-02T08:50:00Z",
			  "{consolidateAfter: Never, budgets: [{nodes: \"100%\"}, {nodes: \"0\", reasons: [Drifted], "
			  "schedule: \"0 9 * * *\", duration: 30m}]}",
			  "[{at: 11m, nodepool: pool}]", 3, "", ""));
	struct memsink m = memsink_run(&sc, NULL);
	cr_expect(near(memsink_first(&m, "drift", "pool", NULL), 660.0));
	cr_expect(near(nth(&m, "replacing", NULL, 0), 2400.0), "first replacement at %.0f s",
		     nth(&m, "replacing", NULL, 0));
	cr_expect_eq(memsink_count(&m, "replacing"), 3, "100 %% once the window closes: all three at once");
	cr_expect(near(nth(&m, "replacing", NULL, 2), 2400.0));
	memsink_free(&m);
	scn_free(&sc);

	/* The same window before the drift: nothing held. 08:50 + 1 min. */
	load(&sc, yaml_of("50m", "2026-03-02T08:50:00Z",
			  "{consolidateAfter: Never, budgets: [{nodes: \"100%\"}, {nodes: \"0\", reasons: [Drifted], "
			  "schedule: \"0 9 * * *\", duration: 30m}]}",
			  "[{at: 1m, nodepool: pool}]", 3, "", ""));
	m = memsink_run(&sc, NULL);
	cr_expect(near(nth(&m, "replacing", NULL, 0), 60.0));
	memsink_free(&m);
	scn_free(&sc);
}

/* A Ready node of type c5.large in NodePool 0, empty. */
static struct wnode *add_empty(struct world *w)
{
	const struct scn_cluster *c = &w->sc->cluster;
	const struct instance_type *it = catalog_find(&c->catalog, "c5.large");
	cr_assert(it);
	size_t t = (size_t)(it - c->catalog.types);
	const struct scn_nodepool *np = &c->karpenter.pools[0];
	return node_add(w, "pool", "c5.large", 0, (struct sched_alloc){np->alloc_cpu[t], np->alloc_mem[t], np->alloc_pods[t]},
			it->price_hour, NODE_READY, NULL);
}

/* Reasons filter: a Drifted-only budget of 0 does not stop emptiness (four
 * empty drifted nodes, all deleted by one emptiness command), and an
 * Empty and Underutilized budget of 0 does not stop drift (in a run, all
 * replaced) while it stops emptiness. */
Test(drift, reasons_filter_budgets)
{
	struct scenario sc;
	load(&sc, yaml_of("10m", "2026-03-02T08:50:00Z",
			  "{consolidateAfter: 0s, budgets: [{nodes: \"100%\"}, {nodes: \"0\", reasons: [Drifted]}]}", NULL, 1,
			  "", ""));
	sc.services[0].replicas = 0;
	struct sim s;
	struct memsink m;
	struct sink out = memsink_init(&m);
	sim_init(&s, sc.seed, sc.duration);
	struct world *w = world_new(&s, &sc, &out);
	for (int i = 0; i < 4; i++)
		add_empty(w)->drifted = true;
	cr_expect_eq(karp_disruptions_allowed_for(w, 0, SCN_REASON_DRIFTED), 0);
	cr_expect_eq(karp_disruptions_allowed_for(w, 0, SCN_REASON_EMPTY), 4);
	cr_expect_eq(karp_disruptions_allowed_for(w, 0, SCN_REASON_UNDERUTILIZED), 4);
	cr_expect_eq(karp_disruptions_allowed(w, 0), 0);
	struct karp_cmd c = karp_consolidation_plan(w, 60 * SIM_S);
	cr_expect_eq(c.kind, KARP_CMD_DELETE_EMPTY);
	cr_expect_eq(c.n, 4, "%d empty nodes deleted under a Drifted budget of 0, want 4", c.n);
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	scn_free(&sc);

	/* The other way round: emptiness stopped, drift not. */
	load(&sc, yaml_of("10m", "2026-03-02T08:50:00Z",
			  "{consolidateAfter: 0s, budgets: [{nodes: \"0\", reasons: [Empty, Underutilized]}]}", NULL, 1, "",
			  ""));
	sc.services[0].replicas = 0;
	out = memsink_init(&m);
	sim_init(&s, sc.seed, sc.duration);
	w = world_new(&s, &sc, &out);
	for (int i = 0; i < 4; i++)
		add_empty(w);
	/* budgets given: no default; none applies to Drifted (MaxInt32) */
	cr_expect_eq(karp_disruptions_allowed_for(w, 0, SCN_REASON_DRIFTED), INT32_MAX);
	cr_expect_eq(karp_disruptions_allowed_for(w, 0, SCN_REASON_EMPTY), 0);
	cr_expect_eq(karp_consolidation_plan(w, 60 * SIM_S).kind, KARP_CMD_NONE);
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	scn_free(&sc);

	load(&sc, yaml_of("20m", "2026-03-02T08:50:00Z",
			  "{consolidateAfter: 0s, budgets: [{nodes: \"100%\", reasons: [Drifted]}, {nodes: \"0\", reasons: "
			  "[Empty, Underutilized]}]}",
			  "[{at: 60s, nodepool: pool}]", 3, "", ""));
	m = memsink_run(&sc, NULL);
	cr_expect_eq(memsink_count(&m, "replacing"), 3);
	cr_expect_gt(memsink_first(&m, "drift-complete", "pool", NULL), 60.0);
	cr_expect_eq(memsink_count(&m, "disruption-candidate"), 3, "the three drift commands, no consolidation");
	memsink_free(&m);
	scn_free(&sc);
}

/* BuildDisruptionBudgetMapping's count, by hand: ten Ready nodes under
 * 20 % allow 2 for Drifted; a node waiting for its replacement
 * (MarkedForDeletion) takes one, a draining one another; a node launching
 * counts neither in the total nor as disrupting; once initialized it
 * raises the total to 11 (ceil(2.2) = 3). */
Test(drift, the_budget_counts_nodes_disrupting_over_the_initialized)
{
	struct scenario sc;
	load(&sc, yaml_of("10m", "2026-03-02T08:50:00Z", "{consolidateAfter: Never, budgets: [{nodes: \"20%\"}]}", NULL, 1,
			  "", ""));
	sc.services[0].replicas = 0;
	struct sim s;
	struct memsink m;
	struct sink out = memsink_init(&m);
	sim_init(&s, sc.seed, sc.duration);
	struct world *w = world_new(&s, &sc, &out);
	struct wnode *n[10];
	for (int i = 0; i < 10; i++)
		n[i] = add_empty(w);
	cr_expect_eq(karp_disruptions_allowed_for(w, 0, SCN_REASON_DRIFTED), 2);
	n[0]->replaced_by = 1 + 1000; /* a replacement starting for it */
	cr_expect_eq(karp_disruptions_allowed_for(w, 0, SCN_REASON_DRIFTED), 1);
	n[1]->state = NODE_DRAINING; /* as a drain leaves it (ready_at kept) */
	cr_expect_eq(karp_disruptions_allowed_for(w, 0, SCN_REASON_DRIFTED), 0);
	const struct scn_cluster *c = &sc.cluster;
	const struct instance_type *it = catalog_find(&c->catalog, "c5.large");
	size_t t = (size_t)(it - c->catalog.types);
	const struct scn_nodepool *np = &c->karpenter.pools[0];
	struct wnode *l = node_add(w, "pool", "c5.large", 0,
				   (struct sched_alloc){np->alloc_cpu[t], np->alloc_mem[t], np->alloc_pods[t]}, it->price_hour,
				   NODE_LAUNCHING, NULL);
	cr_expect_eq(karp_disruptions_allowed_for(w, 0, SCN_REASON_DRIFTED), 0);
	node_set_state(w, l, NODE_READY, NULL);
	cr_expect_eq(karp_disruptions_allowed_for(w, 0, SCN_REASON_DRIFTED), 1, "ceil(0.2 x 11) - 2");
	n[0]->replaced_by = 0;
	n[1]->state = NODE_READY;
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	scn_free(&sc);
}

/* One node, drifting at 60 s, by hand: the poll of 60 s launches its
 * replacement (launch 2 s, registration 30 s, initialization 5 s: Ready at
 * 97 s); the old node drains then, its pod evicted and gone at once, so it
 * is deleted at 97 s. The upgrade: 37 s; two c5.large nodes for 37 s each,
 * 74 node-seconds (0.0206 node-hours, x 0.085 USD/h = 0.00175 USD). A second drift at 5 min
 * drifts the replacement (launched before it) and the upgrade runs again. */
Test(drift, an_upgrade_by_hand)
{
	struct scenario sc;
	load(&sc, yaml_of("10m", "2026-03-02T08:50:00Z", "{consolidateAfter: Never}",
			  "[{at: 60s, nodepool: pool, nodeclass: ami-2}, {at: 5m, nodepool: pool, nodeclass: ami-3}]", 1, "",
			  ""));
	struct memsink m = memsink_run(&sc, NULL);
	cr_expect(near(nth(&m, "launched", NULL, 0), 60.0));
	cr_expect(near(nth(&m, "ready", "pool-1", 0), 97.0));
	cr_expect(near(nth(&m, "deleted", "pool-0", 0), 97.0));
	const char *detail = NULL;
	cr_expect(near(memsink_first(&m, "drift-complete", "pool", &detail), 97.0));
	cr_expect_str_eq(detail, "NodePool pool on ami-2: 37 s (0.6 min) from the first drift to the last drifted node "
				 "gone, 1 drifted node(s) gone; the pool's nodes meanwhile: 0.0206 node-hours, 0.00175 USD");
	cr_expect_eq(memsink_count(&m, "drifted"), 2, "pool-0, then pool-1 at the second drift");
	cr_expect(near(nth(&m, "drifted", "pool-1", 0), 300.0));
	cr_expect(near(nth(&m, "drift-complete", NULL, 1), 337.0));
	memsink_free(&m);
	scn_free(&sc);
}
