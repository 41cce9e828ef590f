/*
 * pdb.c: PodDisruptionBudget arithmetic (see pdb.h for the sources).
 */
#include "pdb.h"

#include <assert.h>
#include <math.h>

/* intstr.GetScaledValueFromIntOrPercent(v, total, roundUp=true): the same
 * float64 operations in the same order, so the rounding is Kubernetes'. */
static int32_t scaled_up(struct scn_intpct v, int32_t total)
{
	if (!v.pct)
		return v.value;
	return (int32_t)ceil((double)v.value * (double)total / 100);
}

struct pdb_status pdb_status(const struct scn_pdb *pdb, int32_t scale, int32_t n_pods, int32_t healthy)
{
	assert(scale >= 0 && n_pods >= 0 && healthy >= 0 && healthy <= n_pods);
	struct pdb_status st = {.current_healthy = healthy};
	/* getExpectedPodCount */
	if (pdb->budget == PDB_MAX_UNAVAILABLE) {
		st.expected = scale;
		st.desired_healthy = HR_MAX(0, scale - scaled_up(pdb->value, scale));
	} else if (!pdb->value.pct) {
		st.expected = n_pods;
		st.desired_healthy = pdb->value.value;
	} else {
		st.expected = scale;
		st.desired_healthy = scaled_up(pdb->value, scale);
	}
	/* updatePdbStatus: a PDB that expects no pods allows nothing, so pods
	 * that appear before the next sync are safe. */
	int32_t allowed = healthy - st.desired_healthy;
	st.allowed = st.expected <= 0 || allowed <= 0 ? 0 : allowed;
	return st;
}

int32_t pdb_disruptions_allowed(const struct scn_pdb *pdb, int32_t scale, int32_t n_pods, int32_t healthy)
{
	return pdb_status(pdb, scale, n_pods, healthy).allowed;
}

enum pdb_eviction pdb_eviction(const struct scn_pdb *pdb, const struct pdb_status *st, int n_pdbs, bool running,
			       bool ready)
{
	assert(n_pdbs >= 0);
	if (!running)
		return PDB_EVICT_FREE;
	if (n_pdbs > 1)
		return PDB_EVICT_REFUSED;
	if (n_pdbs == 0)
		return PDB_EVICT_FREE;
	assert(st->allowed >= 0);
	/* A pod that is not Ready does not count as healthy: evicting it takes
	 * nothing from the budget, if the policy lets it go. */
	if (!ready) {
		if (pdb->unhealthy == PDB_ALWAYS_ALLOW)
			return PDB_EVICT_FREE;
		if (st->current_healthy >= st->desired_healthy && st->desired_healthy > 0)
			return PDB_EVICT_FREE;
	}
	/* checkAndDecrement */
	return st->allowed > 0 ? PDB_EVICT_COUNTED : PDB_EVICT_REFUSED;
}

bool pdb_eviction_allowed(const struct scn_pdb *pdb, const struct pdb_status *st, int n_pdbs, bool running,
			  bool ready)
{
	return pdb_eviction(pdb, st, n_pdbs, running, ready) != PDB_EVICT_REFUSED;
}
