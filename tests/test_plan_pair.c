/*
 * Paired comparisons of two variants (sim/plan_pair.h): Newcombe's method
 * 10 for the difference of paired proportions, and the median of paired
 * differences with its order-statistic interval.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "plan.h"
#include "plan_pair.h"

static struct plan_pair table(int both, int only_a, int only_b, int neither)
{
	unsigned char a[200], b[200];
	size_t n = 0;
	for (int i = 0; i < both; i++, n++)
		a[n] = b[n] = 1;
	for (int i = 0; i < only_a; i++, n++)
		a[n] = 1, b[n] = 0;
	for (int i = 0; i < only_b; i++, n++)
		a[n] = 0, b[n] = 1;
	for (int i = 0; i < neither; i++, n++)
		a[n] = b[n] = 0;
	return plan_pair_met(a, b, n, PLAN_Z95);
}

/* Both variants met in all 20 runs: no difference, and the interval is
 * +-(1 - Wilson's lower bound of 20/20) = +-z^2 / (20 + z^2) = +-0.16113
 * (a margin is empty, so phi is 0). */
Test(plan_pair, identical_outcomes)
{
	struct plan_pair p = table(20, 0, 0, 0);
	double z2 = PLAN_Z95 * PLAN_Z95, h = z2 / (20 + z2);
	cr_expect_eq(p.n, 20);
	cr_expect_eq(p.diff, 0);
	cr_expect(fabs(p.lo + h) < 1e-9 && fabs(p.hi - h) < 1e-9, "[%.6f, %.6f], want +-%.6f", p.lo, p.hi, h);
	p = table(0, 0, 0, 20);
	cr_expect(fabs(p.lo + h) < 1e-9 && fabs(p.hi - h) < 1e-9);
}

/* Mixed tables against an independent implementation of Newcombe's
 * formulas (Python, while writing this): (both, only a, only b, neither)
 * -> P(b) - P(a) and its interval. The third: b met in 3 runs a missed and
 * never the reverse, an interval above 0. */
Test(plan_pair, newcombe_method_10)
{
	struct {
		int t[4];
		double d, lo, hi;
	} rows[] = {
		{{12, 2, 5, 1}, 0.15, -0.1072281363, 0.3870114810},
		{{5, 0, 3, 2}, 0.30, 0.0105709963, 0.5284125525},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct plan_pair p = table(rows[i].t[0], rows[i].t[1], rows[i].t[2], rows[i].t[3]);
		cr_expect(fabs(p.diff - rows[i].d) < 1e-12, "row %zu: diff %.10f", i, p.diff);
		cr_expect(fabs(p.lo - rows[i].lo) < 1e-9 && fabs(p.hi - rows[i].hi) < 1e-9, "row %zu: [%.10f, %.10f]", i,
			  p.lo, p.hi);
	}
	struct plan_pair p = table(0, 0, 0, 0);
	cr_expect(p.n == 0 && p.lo == -1 && p.hi == 1);
}

/* 20 differences 1..20 (shuffled): median 10.5; k = floor((20 - 1.96 x
 * sqrt 20) / 2) = 5, so the interval is [5th, 16th smallest] = [5, 16]. */
Test(plan_pair, median_of_differences)
{
	double d[20];
	for (int i = 0; i < 20; i++)
		d[i] = (double)((i * 7) % 20 + 1);
	double m, lo, hi;
	plan_median_ci(d, 20, PLAN_Z95, &m, &lo, &hi);
	cr_expect_eq(m, 10.5);
	cr_expect_eq(lo, 5);
	cr_expect_eq(hi, 16);
	plan_median_ci(d, 0, PLAN_Z95, &m, &lo, &hi);
	cr_expect(isnan(m) && isnan(lo) && isnan(hi));
	double one = 3;
	plan_median_ci(&one, 1, PLAN_Z95, &m, &lo, &hi);
	cr_expect(m == 3 && lo == 3 && hi == 3);
}
