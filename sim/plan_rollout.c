/*
 * plan_rollout.c: a plan's rollout figures (plan_rollout.h).
 */
#include "plan_rollout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

void plan_ro_add(struct plan_ro *a, const struct row_rollout *r)
{
	a->runs++;
	a->promoted += !strcmp(r->outcome, "promoted");
	a->extra_pod_hours += r->extra_pod_hours;
	if (r->max_pods > a->max_pods)
		a->max_pods = r->max_pods;
	if (!isnan(r->extra_cost_usd)) {
		a->costed++;
		a->extra_node_hours += r->extra_node_hours;
		a->extra_cost_usd += r->extra_cost_usd;
	}
	if (strcmp(r->outcome, "aborted"))
		return;
	a->rollback_s = xrealloc(a->rollback_s, (size_t)(a->aborted + 1) * sizeof *a->rollback_s);
	a->rollback_s[a->aborted++] = r->rollback_s;
}

void plan_ro_free(struct plan_ro *a)
{
	free(a->rollback_s);
	memset(a, 0, sizeof *a);
}

struct reader {
	struct plan_ro *a;
	int n_var;
};

static void on_row(void *ctx, int variant, const struct row_rollout *r)
{
	struct reader *R = ctx;
	if (variant >= 1 && variant <= R->n_var)
		plan_ro_add(&R->a[variant - 1], r);
}

static void fmt_s(char *buf, size_t n, double s)
{
	if (isnan(s))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.0f s", s);
}

int plan_rollout_print(FILE *out, store *st, int64_t plan_id, int n_var, int reps,
		       const char *(*label)(const void *ctx, int v), const void *ctx, struct herr *e)
{
	struct plan_ro *a = xcalloc((size_t)n_var, sizeof *a);
	struct reader R = {a, n_var};
	int rc = store_plan_rollouts(st, plan_id, n_var, reps, on_row, &R, e);
	int any = 0;
	for (int v = 0; !rc && v < n_var; v++)
		any += a[v].runs;
	int wid = 7;
	for (int v = 0; !rc && any && v < n_var; v++)
		wid = HR_MAX(wid, (int)strlen(label(ctx, v + 1)));
	if (!rc && any) {
		fprintf(out, "\nrollouts (rolled back: for a bad release P(caught), for a good one P(false rollback); "
			     "rollback: from the start to all traffic on the stable version;\nextra: the pods above "
			     "spec.replicas and their share of their nodes' time and cost, mean per run)\n");
		fprintf(out, "%-*s %5s %22s %9s %16s %12s %13s %10s %8s\n", wid, "variant", "runs", "rolled back [95% CI]",
			"promoted", "rollback p50/p95", "extra pod-h", "extra node-h", "extra USD", "max pods");
		for (int v = 0; v < n_var; v++) {
			struct plan_ro *x = &a[v];
			if (!x->runs)
				continue;
			double lo, hi;
			plan_wilson(x->aborted, x->runs, PLAN_Z95, &lo, &hi);
			char ci[40], p50[16], p95[16], both[40];
			snprintf(ci, sizeof ci, "%5.1f%% [%4.1f, %5.1f]", 100.0 * x->aborted / x->runs, 100 * lo, 100 * hi);
			double *tmp = xmalloc((size_t)(x->aborted ? x->aborted : 1) * sizeof *tmp);
			if (x->aborted) /* rollback_s is NULL without one: memcpy's source must not be */
				memcpy(tmp, x->rollback_s, (size_t)x->aborted * sizeof *tmp);
			fmt_s(p50, sizeof p50, plan_percentile(tmp, (size_t)x->aborted, 50));
			fmt_s(p95, sizeof p95, plan_percentile(tmp, (size_t)x->aborted, 95));
			free(tmp);
			snprintf(both, sizeof both, "%s / %s", p50, p95);
			char nodes[24] = "-", usd[24] = "-";
			if (x->costed) {
				snprintf(nodes, sizeof nodes, "%.3f", x->extra_node_hours / x->costed);
				snprintf(usd, sizeof usd, "%.4f", x->extra_cost_usd / x->costed);
			}
			fprintf(out, "%-*s %5d %22s %8.0f%% %16s %12.2f %13s %10s %8d\n", wid, label(ctx, v + 1), x->runs,
				ci, 100.0 * x->promoted / x->runs, both, x->extra_pod_hours / x->runs, nodes, usd,
				x->max_pods);
		}
	}
	for (int v = 0; v < n_var; v++)
		plan_ro_free(&a[v]);
	free(a);
	return rc;
}
