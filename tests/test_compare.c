/*
 * scenarios/karpenter-vs-ca.yaml: the same payment spike under Karpenter
 * and Cluster Autoscaler. The time from the first pod that fits no node to
 * the first new node Ready must fall in each provisioner's configured range,
 * and Karpenter must come first:
 *
 *   Karpenter: batch window 1 s (idle) to 10 s (max) + launch 2 s +
 *     registration 25-55 s (uniform, mean 40 s, cv 0.2165) + initialization
 *     5 s = 33 to 72 s;
 *   Cluster Autoscaler: the wait for its scan (a pod must have been pending
 *     2 s, then the next scan on the 10 s grid: 2-12 s) + boot 60.4-119.6 s
 *     (uniform, mean 90 s, cv 0.19: 90 +- 0.19 sqrt(3) 90) + initialization
 *     10 s = 72.4 to 141.6 s;
 *
 * so Karpenter is first whatever the draws, by 0.4 to 108.6 s. Checked for
 * three seeds.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

struct first {
	double unsched, ready; /* s */
};

static void find_first(const struct memsink *m, void *ctx)
{
	struct first *f = ctx;
	for (size_t i = 0; i < m->n_decisions; i++) {
		const struct row_decision *r = &m->decisions[i].r;
		if (f->unsched < 0 && r->t_s > 0 && !strcmp(r->kind, "pod") && !strcmp(r->event, "unschedulable"))
			f->unsched = r->t_s;
		if (f->unsched >= 0 && f->ready < 0 && !strcmp(r->kind, "node") && !strcmp(r->event, "ready"))
			f->ready = r->t_s;
	}
}

static struct first run_variant(const struct scenario *sc, size_t v, uint64_t seed)
{
	struct first f = {-1, -1};
	memsink_run_variant(sc, v, seed, find_first, &f);
	return f;
}

Test(compare, karpenter_brings_the_first_node_sooner_within_the_configured_ranges)
{
	struct scenario sc;
	struct herr e;
	cr_assert_eq(scn_load(&sc, "scenarios/karpenter-vs-ca.yaml", NULL, 0, &e), 0, "%s", e.msg);
	cr_assert_eq(sc.n_variants, 2);
	cr_assert_str_eq(sc.variants[0].name, "karpenter");
	for (uint64_t seed = 11; seed < 14; seed++) {
		struct first k = run_variant(&sc, 0, seed), c = run_variant(&sc, 1, seed);
		cr_assert(k.unsched > 0 && c.unsched > 0, "seed %llu: no pod waited for a node", (unsigned long long)seed);
		double tk = k.ready - k.unsched, tc = c.ready - c.unsched;
		cr_expect(tk >= 33 - 1e-6 && tk <= 72 + 1e-6, "seed %llu: Karpenter %.1f s", (unsigned long long)seed, tk);
		cr_expect(tc >= 72.4 - 0.1 && tc <= 141.6 + 0.1, "seed %llu: Cluster Autoscaler %.1f s",
			  (unsigned long long)seed, tc);
		cr_expect(tc > tk, "seed %llu: Cluster Autoscaler (%.1f s) before Karpenter (%.1f s)",
			  (unsigned long long)seed, tc, tk);
	}
	scn_free(&sc);
}
