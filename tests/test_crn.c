/*
 * Common random numbers (sim/plan.c plan_seed, models/service.c): the runs
 * of one replication of a plan's variants share their seed, and a
 * request's CPU work and downstream calls are drawn when it arrives, so
 * variants that differ only in minReplicas see the same arrivals with the
 * same work, whatever their pods do with them.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"
#include "plan.h"
#include "world.h"

#define N_SEEN 10000

struct seen {
	size_t n[2];                 /* arrivals kept: order, payment */
	double t[2][N_SEEN], work[2][N_SEEN];
};

static void keep(void *ctx, const struct service *sv, simtime t, double work)
{
	struct seen *s = ctx;
	int k = strcmp(sv->cfg->name, "order") ? 1 : 0;
	if (s->n[k] < N_SEEN) {
		s->t[k][s->n[k]] = (double)t;
		s->work[k][s->n[k]++] = work;
	}
}

/* Replication 3 of variant v of the payment-order buffer plan, 3 minutes. */
static void run_variant(int v, struct seen *s, int *min_order)
{
	static const char *const sets[] = {"duration=3m"};
	struct scenario sc, vs;
	struct herr e;
	cr_assert_eq(scn_load(&sc, "scenarios/payment-order-buffers.yaml", sets, 1, &e), 0, "%s", e.msg);
	cr_assert_eq(plan_load_variant(&vs, &sc, v, sets, 1, &e), 0, "%s", e.msg);
	*min_order = vs.services[scn_service_index(&vs, "order")].hpa.min_replicas;
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct sim sim;
	sim_init(&sim, plan_seed(sc.seed, v, 3), vs.duration);
	struct world *w = world_new(&sim, &vs, &out);
	w->arrival_hook = keep;
	w->hook_ctx = s;
	sim_run(&sim);
	world_finish(w);
	world_free(w);
	sim_release(&sim);
	memsink_free(&m);
	scn_free(&vs);
	scn_free(&sc);
}

Test(crn, variants_differing_in_min_replicas_see_the_same_arrivals_and_work)
{
	static struct seen a, b; /* large: not on the stack */
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	int min_a, min_b;
	run_variant(1, &a, &min_a);
	run_variant(5, &b, &min_b);
	cr_assert_neq(min_a, min_b, "the variants differ in minReplicas (%d, %d)", min_a, min_b);
	cr_assert_eq(a.n[0], N_SEEN);
	cr_assert_eq(b.n[0], N_SEEN);
	/* The entry service: the same arrival times and the same work. */
	for (size_t i = 0; i < N_SEEN; i++) {
		cr_assert_eq(a.t[0][i], b.t[0][i], "order arrival %zu at %.0f and %.0f ns", i, a.t[0][i], b.t[0][i]);
		cr_assert_eq(a.work[0][i], b.work[0][i], "order arrival %zu: work %.0f and %.0f ns", i, a.work[0][i],
			     b.work[0][i]);
	}
	/* The callee: its arrivals follow the callers' completions, which
	 * differ; the k-th arrival still gets the same work. */
	size_t n = a.n[1] < b.n[1] ? a.n[1] : b.n[1];
	cr_assert(n > 1000, "payment saw %zu arrivals", n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(a.work[1][i], b.work[1][i], "payment arrival %zu: work %.0f and %.0f ns", i, a.work[1][i],
			     b.work[1][i]);
}
