/*
 * cpu.c: cgroup weights and the division of a busy node's CPU (cpu.h).
 */
#include "cpu.h"

#include <assert.h>
#include <math.h>

uint64_t cpu_shares(double cores)
{
	int64_t milli = (int64_t)llround(cores * 1000);
	if (milli <= 0)
		return CPU_MIN_SHARES;
	int64_t shares = milli * 1024 / 1000;
	if (shares < CPU_MIN_SHARES)
		return CPU_MIN_SHARES;
	if (shares > CPU_MAX_SHARES)
		return CPU_MAX_SHARES;
	return (uint64_t)shares;
}

double cpu_weight(enum scn_cpu_weights m, double cores)
{
	uint64_t shares = cpu_shares(cores);
	switch (m) {
	case SCN_CPU_V1:
		return (double)shares;
	case SCN_CPU_V2_LINEAR:
		/* runc < 1.3.2, crun < 1.23: [2, 262144] onto [1, 10000], integer division. */
		return (double)(1 + (shares - 2) * 9999 / 262142);
	case SCN_CPU_V2_LOG_QUADRATIC:
		break;
	}
	/* A quadratic in log2(shares) through (2, 1), (1024, 100), (262144, 10000). */
	if (shares <= 2)
		return 1;
	if (shares >= CPU_MAX_SHARES)
		return 10000;
	double l = log2((double)shares);
	return ceil(pow(10, (l * l + 125 * l) / 612.0 - 7.0 / 34.0));
}

int cpu_split(size_t n, const double *demand, const double *weight, double cpu, double *alloc, uint32_t *order)
{
	double total = 0;
	for (size_t i = 0; i < n; i++)
		total += demand[i];
	if (total <= cpu) {
		for (size_t i = 0; i < n; i++)
			alloc[i] = demand[i];
		return 0;
	}
	/* Pods wanting CPU, by demand per unit of weight (insertion sort: a
	 * node holds tens of pods, and the order changes little between calls). */
	size_t m = 0;
	double wsum = 0;
	for (size_t i = 0; i < n; i++) {
		alloc[i] = 0;
		if (!(demand[i] > 0))
			continue;
		assert(weight[i] > 0);
		wsum += weight[i];
		double r = demand[i] / weight[i];
		size_t k = m++;
		for (; k > 0 && demand[order[k - 1]] / weight[order[k - 1]] > r; k--)
			order[k] = order[k - 1];
		order[k] = (uint32_t)i;
	}
	/* Those wanting less than their share at the current level get their
	 * demand; once one wants more, so does every later one: they divide
	 * what is left by weight. */
	double left = cpu;
	size_t k = 0;
	for (; k < m; k++) {
		size_t i = order[k];
		if (demand[i] * wsum > left * weight[i])
			break;
		alloc[i] = demand[i];
		left -= demand[i];
		wsum -= weight[i];
	}
	for (; k < m; k++) {
		size_t i = order[k];
		alloc[i] = left * weight[i] / wsum;
	}
	return 1;
}
