/*
 * PodDisruptionBudget arithmetic (models/pdb.h). Suite pdb_status: the
 * status cases of kubernetes/kubernetes pkg/controller/disruption/
 * disruption_test.go at 003e86297d18 (VerifyPdbStatus(disruptionsAllowed,
 * currentHealthy, desiredHealthy, expectedPods) and VerifyDisruptionAllowed
 * after each sync), one row per check, named after the Go test; then the
 * hand-computed cases of the issue. Suite pdb_eviction: the branches of
 * pkg/registry/core/pod/storage/eviction.go (Create, canIgnorePDB,
 * checkAndDecrement).
 *
 * The Go tests build pods and controllers; here a row gives what the
 * controller derives from them: the scale (the sum of the selected pods'
 * controllers' spec.replicas; 0 for pods without a controller), the pods the
 * selector lists and the Ready ones among them.
 */
#include <criterion/criterion.h>

#include "pdb.h"

static struct scn_pdb budget(enum pdb_budget b, bool pct, int32_t v)
{
	return (struct scn_pdb){.budget = b, .value = {pct, v}, .unhealthy = PDB_IF_HEALTHY_BUDGET};
}

#define MIN_INT(v) PDB_MIN_AVAILABLE, false, v
#define MIN_PCT(v) PDB_MIN_AVAILABLE, true, v
#define MAX_INT(v) PDB_MAX_UNAVAILABLE, false, v
#define MAX_PCT(v) PDB_MAX_UNAVAILABLE, true, v

struct row {
	const char *name;
	enum pdb_budget b;
	bool pct;
	int32_t v;
	int32_t scale, pods, healthy;              /* what the controller sees */
	int32_t allowed, current, desired, expected; /* what it writes */
};

static void check(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		struct scn_pdb p = budget(r->b, r->pct, r->v);
		struct pdb_status st = pdb_status(&p, r->scale, r->pods, r->healthy);
		cr_expect_eq(st.allowed, r->allowed, "%s: allowed %d, want %d", r->name, st.allowed, r->allowed);
		cr_expect_eq(st.current_healthy, r->current, "%s: currentHealthy %d, want %d", r->name,
			     st.current_healthy, r->current);
		cr_expect_eq(st.desired_healthy, r->desired, "%s: desiredHealthy %d, want %d", r->name,
			     st.desired_healthy, r->desired);
		cr_expect_eq(st.expected, r->expected, "%s: expectedPods %d, want %d", r->name, st.expected,
			     r->expected);
		cr_expect_eq(pdb_disruptions_allowed(&p, r->scale, r->pods, r->healthy), r->allowed, "%s", r->name);
	}
}

Test(pdb_status, disruption_test_go)
{
	static const struct row rows[] = {
		/* name                                   budget      scale pods ready  allowed cur des exp */
		{"TestNoSelector, no pod", MIN_INT(3), 0, 0, 0, 0, 0, 3, 0},
		{"TestNoSelector, one pod", MIN_INT(3), 0, 1, 1, 0, 1, 3, 1},
		{"TestUnavailable, 0 pods", MIN_INT(3), 0, 0, 0, 0, 0, 3, 0},
		{"TestUnavailable, 1 pod", MIN_INT(3), 0, 1, 1, 0, 1, 3, 1},
		{"TestUnavailable, 2 pods", MIN_INT(3), 0, 2, 2, 0, 2, 3, 2},
		{"TestUnavailable, 3 pods", MIN_INT(3), 0, 3, 3, 0, 3, 3, 3},
		{"TestUnavailable, 4 pods", MIN_INT(3), 0, 4, 4, 1, 4, 3, 4},
		{"TestUnavailable, one unready", MIN_INT(3), 0, 4, 3, 0, 3, 3, 4},
		/* Pods without a controller count for nothing in a scale. */
		{"TestIntegerMaxUnavailable, no pod", MAX_INT(1), 0, 0, 0, 0, 0, 0, 0},
		{"TestIntegerMaxUnavailable, naked pod", MAX_INT(1), 0, 1, 1, 0, 1, 0, 0},
		{"TestIntegerMaxUnavailableWithScaling, 7", MAX_INT(2), 7, 1, 1, 0, 1, 5, 7},
		{"TestIntegerMaxUnavailableWithScaling, 5", MAX_INT(2), 5, 1, 1, 0, 1, 3, 5},
		{"TestPercentageMaxUnavailableWithScaling, 7", MAX_PCT(30), 7, 1, 1, 0, 1, 4, 7},
		{"TestPercentageMaxUnavailableWithScaling, 3", MAX_PCT(30), 3, 1, 1, 0, 1, 2, 3},
		{"TestNakedPod, no pod", MIN_PCT(28), 0, 0, 0, 0, 0, 0, 0},
		{"TestNakedPod, naked pod", MIN_PCT(28), 0, 1, 1, 0, 1, 0, 0},
		{"TestReplicaSet", MIN_PCT(20), 10, 1, 1, 0, 1, 2, 10},
		{"TestScaleResource", MAX_INT(5), 10, 4, 4, 0, 4, 5, 10},
		/* 34 % of 3 rounds up to 2. */
		{"TestReplicationController, 1 pod", MIN_PCT(34), 3, 1, 1, 0, 1, 2, 3},
		{"TestReplicationController, 2 pods", MIN_PCT(34), 3, 2, 2, 0, 2, 2, 3},
		{"TestReplicationController, 3 pods", MIN_PCT(34), 3, 3, 3, 1, 3, 2, 3},
		{"TestReplicationController, rogue pod", MIN_PCT(34), 3, 4, 4, 2, 4, 2, 3},
		{"TestStatefulSetController, 3 pods", MIN_PCT(34), 3, 3, 3, 1, 3, 2, 3},
		/* One RC of scale 1 over two Ready pods: 1 % of 1 is 1. */
		{"TestMultipleControllers", MIN_PCT(1), 1, 2, 2, 1, 2, 1, 1},
		/* 28 % of 11 is 4 (3.08 up), of 22 is 7 (6.16 up). */
		{"TestTwoControllers, 6 unready", MIN_PCT(28), 11, 6, 0, 0, 0, 4, 11},
		{"TestTwoControllers, 4 ready", MIN_PCT(28), 11, 10, 4, 0, 4, 4, 11},
		{"TestTwoControllers, 5 ready", MIN_PCT(28), 11, 11, 5, 1, 5, 4, 11},
		{"TestTwoControllers, second controller", MIN_PCT(28), 22, 22, 9, 2, 9, 7, 22},
		{"TestTwoControllers, one down", MIN_PCT(28), 22, 22, 8, 1, 8, 7, 22},
		{"TestTwoControllers, two down", MIN_PCT(28), 22, 22, 7, 0, 7, 7, 22},
	};
	check(rows, ARRAY_LEN(rows));
}

/* The hand-computed cases: 5 pods of one Deployment. */
Test(pdb_status, hand_computed)
{
	static const struct row rows[] = {
		/* minAvailable 50 %: ceil(2.5) = 3 must stay, 5 - 3 = 2 may go. */
		{"minAvailable 50% of 5", MIN_PCT(50), 5, 5, 5, 2, 5, 3, 5},
		/* maxUnavailable 50 %: ceil(2.5) = 3 may go, 2 must stay. */
		{"maxUnavailable 50% of 5", MAX_PCT(50), 5, 5, 5, 3, 5, 2, 5},
		{"maxUnavailable 1 of 5", MAX_INT(1), 5, 5, 5, 1, 5, 4, 5},
		{"minAvailable 3 of 5", MIN_INT(3), 5, 5, 5, 2, 5, 3, 5},
		{"minAvailable 5 of 5", MIN_INT(5), 5, 5, 5, 0, 5, 5, 5},
		{"minAvailable 100% of 5", MIN_PCT(100), 5, 5, 5, 0, 5, 5, 5},
		{"maxUnavailable 0 of 5", MAX_INT(0), 5, 5, 5, 0, 5, 5, 5},
		{"maxUnavailable 0% of 5", MAX_PCT(0), 5, 5, 5, 0, 5, 5, 5},
		/* Unhealthy pods eat the budget first. */
		{"maxUnavailable 1, one unready", MAX_INT(1), 5, 5, 4, 0, 4, 4, 5},
		{"minAvailable 50%, two unready", MIN_PCT(50), 5, 5, 3, 0, 3, 3, 5},
		{"minAvailable 50%, three unready", MIN_PCT(50), 5, 5, 2, 0, 2, 3, 5},
		{"maxUnavailable 50%, three unready", MAX_PCT(50), 5, 5, 2, 0, 2, 2, 5},
		{"minAvailable 3, two starting", MIN_INT(3), 5, 5, 3, 0, 3, 3, 5},
		/* A scale-up not yet Ready: the new pods count in the scale. */
		{"maxUnavailable 1, scaled 5 -> 8", MAX_INT(1), 8, 8, 5, 0, 5, 7, 8},
		/* maxUnavailable above the scale: desiredHealthy stops at 0. */
		{"maxUnavailable 10 of 5", MAX_INT(10), 5, 5, 3, 3, 3, 0, 5},
		/* Integer minAvailable counts pods, not the scale. */
		{"minAvailable 2, 5 of scale 6 exist", MIN_INT(2), 6, 5, 5, 3, 5, 2, 5},
		/* Percentages are exact: 7 % of 100 is 7, 1 % of 250 is 3 (2.5 up). */
		{"minAvailable 7% of 100", MIN_PCT(7), 100, 100, 100, 93, 100, 7, 100},
		{"maxUnavailable 1% of 250", MAX_PCT(1), 250, 250, 250, 3, 250, 247, 250},
	};
	check(rows, ARRAY_LEN(rows));
}

/* maxUnavailable 1 over 5 pods: the status before any eviction. */
static const struct pdb_status five = {.expected = 5, .desired_healthy = 4, .current_healthy = 5, .allowed = 1};
static const struct pdb_status exhausted = {.expected = 5, .desired_healthy = 4, .current_healthy = 4, .allowed = 0};
static const struct pdb_status short_of = {.expected = 5, .desired_healthy = 4, .current_healthy = 3, .allowed = 0};

Test(pdb_eviction, ready_pods_spend_the_budget)
{
	struct scn_pdb p = budget(MAX_INT(1));
	cr_expect_eq(pdb_eviction(&p, &five, 1, true, true), PDB_EVICT_COUNTED);
	cr_expect_eq(pdb_eviction(&p, &exhausted, 1, true, true), PDB_EVICT_REFUSED);
	cr_expect(pdb_eviction_allowed(&p, &five, 1, true, true));
	cr_expect(!pdb_eviction_allowed(&p, &exhausted, 1, true, true));
	/* AlwaysAllow changes nothing for a Ready pod. */
	p.unhealthy = PDB_ALWAYS_ALLOW;
	cr_expect_eq(pdb_eviction(&p, &exhausted, 1, true, true), PDB_EVICT_REFUSED);
}

Test(pdb_eviction, a_pod_that_is_not_ready)
{
	struct scn_pdb p = budget(MAX_INT(1));
	/* IfHealthyBudget: free while the application is not disrupted
	 * (currentHealthy >= desiredHealthy > 0) ... */
	cr_expect_eq(pdb_eviction(&p, &exhausted, 1, true, false), PDB_EVICT_FREE);
	/* ... else the budget decides, and it has none left. */
	cr_expect_eq(pdb_eviction(&p, &short_of, 1, true, false), PDB_EVICT_REFUSED);
	cr_expect(!pdb_eviction_allowed(&p, &short_of, 1, true, false));
	/* desiredHealthy 0 (maxUnavailable 100 %): the budget decides. */
	struct pdb_status none = {.expected = 5, .desired_healthy = 0, .current_healthy = 0, .allowed = 0};
	cr_expect_eq(pdb_eviction(&p, &none, 1, true, false), PDB_EVICT_REFUSED);
	struct pdb_status some = {.expected = 2, .desired_healthy = 3, .current_healthy = 4, .allowed = 1};
	cr_expect_eq(pdb_eviction(&p, &some, 1, true, false), PDB_EVICT_FREE);
	struct pdb_status low = {.expected = 5, .desired_healthy = 3, .current_healthy = 2, .allowed = 0};
	cr_expect_eq(pdb_eviction(&p, &low, 1, true, false), PDB_EVICT_REFUSED);
	/* AlwaysAllow: a Running pod that is not Ready always goes, free. */
	p.unhealthy = PDB_ALWAYS_ALLOW;
	cr_expect_eq(pdb_eviction(&p, &short_of, 1, true, false), PDB_EVICT_FREE);
	cr_expect_eq(pdb_eviction(&p, &none, 1, true, false), PDB_EVICT_FREE);
	cr_expect(pdb_eviction_allowed(&p, &short_of, 1, true, false));
}

Test(pdb_eviction, pending_terminating_and_pdb_counts)
{
	struct scn_pdb p = budget(MIN_PCT(100));
	struct pdb_status all = {.expected = 3, .desired_healthy = 3, .current_healthy = 3, .allowed = 0};
	/* canIgnorePDB: a Pending or terminating pod is deleted at once. */
	cr_expect_eq(pdb_eviction(&p, &all, 1, false, false), PDB_EVICT_FREE);
	cr_expect_eq(pdb_eviction(&p, &all, 2, false, false), PDB_EVICT_FREE);
	/* No PDB: nothing to ask. Two: the API refuses (500). */
	cr_expect_eq(pdb_eviction(NULL, NULL, 0, true, true), PDB_EVICT_FREE);
	struct pdb_status many = {.expected = 3, .desired_healthy = 1, .current_healthy = 3, .allowed = 2};
	cr_expect_eq(pdb_eviction(&p, &many, 2, true, true), PDB_EVICT_REFUSED);
	cr_expect_eq(pdb_eviction(&p, &many, 2, true, false), PDB_EVICT_REFUSED);
}

/* Evictions approved one after another spend the budget: the caller lowers
 * allowed by one per counted eviction until the controller syncs again. */
Test(pdb_eviction, a_drain_of_five_pods)
{
	struct scn_pdb p = budget(MIN_PCT(50));
	struct pdb_status st = pdb_status(&p, 5, 5, 5);
	cr_assert_eq(st.allowed, 2);
	int evicted = 0;
	for (int i = 0; i < 5; i++) {
		enum pdb_eviction r = pdb_eviction(&p, &st, 1, true, true);
		if (r == PDB_EVICT_COUNTED) {
			st.allowed--;
			evicted++;
		}
	}
	cr_expect_eq(evicted, 2);
	cr_expect_eq(st.allowed, 0);
	/* The replacements come up Ready elsewhere: the controller sees 5 healthy again. */
	st = pdb_status(&p, 5, 5, 5);
	cr_expect_eq(pdb_eviction(&p, &st, 1, true, true), PDB_EVICT_COUNTED);
}
