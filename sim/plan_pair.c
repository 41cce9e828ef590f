/*
 * plan_pair.c: paired comparisons of two variants (plan_pair.h).
 */
#include "plan_pair.h"

#include <math.h>
#include <stdlib.h>

#include "plan.h"

struct plan_pair plan_pair_met(const unsigned char *met_a, const unsigned char *met_b, size_t n, double z)
{
	struct plan_pair p = {.n = (int64_t)n, .lo = -1, .hi = 1};
	for (size_t i = 0; i < n; i++) {
		if (met_a[i] && met_b[i])
			p.both++;
		else if (met_a[i])
			p.only_a++;
		else if (met_b[i])
			p.only_b++;
		else
			p.neither++;
	}
	if (!n)
		return p;
	double dn = (double)n;
	double pa = (double)(p.both + p.only_a) / dn, pb = (double)(p.both + p.only_b) / dn;
	p.diff = pb - pa;
	double la, ua, lb, ub;
	plan_wilson(p.both + p.only_a, p.n, z, &la, &ua);
	plan_wilson(p.both + p.only_b, p.n, z, &lb, &ub);
	/* phi of the 2x2 table, 0 when a margin is empty. */
	double r1 = (double)(p.both + p.only_b), r2 = (double)(p.only_a + p.neither);
	double c1 = (double)(p.both + p.only_a), c2 = (double)(p.only_b + p.neither);
	double den = r1 * r2 * c1 * c2, phi = 0;
	if (den > 0)
		phi = ((double)p.both * (double)p.neither - (double)p.only_a * (double)p.only_b) / sqrt(den);
	double dl = (pb - lb) * (pb - lb) - 2 * phi * (pb - lb) * (ua - pa) + (ua - pa) * (ua - pa);
	double du = (ub - pb) * (ub - pb) - 2 * phi * (ub - pb) * (pa - la) + (pa - la) * (pa - la);
	p.lo = p.diff - sqrt(dl > 0 ? dl : 0);
	p.hi = p.diff + sqrt(du > 0 ? du : 0);
	if (p.lo < -1)
		p.lo = -1;
	if (p.hi > 1)
		p.hi = 1;
	return p;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void plan_median_ci(double *d, size_t n, double z, double *median, double *lo, double *hi)
{
	if (!n) {
		*median = *lo = *hi = NAN;
		return;
	}
	qsort(d, n, sizeof *d, dcmp);
	*median = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
	double k = floor(((double)n - z * sqrt((double)n)) / 2);
	size_t i = k < 1 ? 0 : (size_t)k - 1;
	*lo = d[i];
	*hi = d[n - 1 - i];
}
