/*
 * evict.c: PDB status from the world's pods, the eviction API, and the
 * provisioners' disruption checks (evict.h).
 */
#include "evict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pdb_status evict_pdb_status(const struct world *w, int i)
{
	const struct scn_pdb *pdb = &w->sc->pdbs[i];
	int32_t scale = 0, pods = 0, healthy = 0;
	for (size_t k = 0; k < pdb->n_services; k++) {
		const struct service *sv = &w->svcs[pdb->services[k]];
		scale += sv->desired;
		healthy += (int32_t)sv->n_ready;
		/* Every pod the PDB selects counts, Pending and terminating too. */
		for (uint32_t j = 0; j < sv->n_pods; j++)
			pods += !sv->pods[j]->slot_free && sv->pods[j]->phase != POD_GONE;
	}
	return pdb_status(pdb, scale, pods, healthy);
}

bool evict_pod(struct world *w, struct pod *p, char *why, size_t n)
{
	const struct scn_service *cfg = p->svc->cfg;
	if (p->phase == POD_RUNNING && cfg->pdb >= 0) {
		const struct scn_pdb *pdb = &w->sc->pdbs[cfg->pdb];
		struct pdb_status st = evict_pdb_status(w, cfg->pdb);
		if (!pdb_eviction_allowed(pdb, &st, 1, true, p->ready)) {
			snprintf(why, n,
				 "Cannot evict pod as it would violate the pod's disruption budget: %s needs %d healthy, has %d",
				 pdb->name, st.desired_healthy, st.current_healthy);
			return false;
		}
	}
	pod_evict(w, p);
	return true;
}

static void pod_name(const struct pod *p, char *buf, size_t n)
{
	snprintf(buf, n, "%s-%u", p->svc->cfg->name, p->num);
}

bool evict_karpenter_blocked(const struct world *w, const struct wnode *n, char *why, size_t size)
{
	for (uint32_t i = 0; i < n->n_hosted; i++) {
		const struct pod *p = n->pods[i];
		if (p->phase != POD_RUNNING)
			continue;
		const struct scn_service *cfg = p->svc->cfg;
		char name[96];
		pod_name(p, name, sizeof name);
		if (cfg->do_not_disrupt) {
			snprintf(why, size, "pod %s has karpenter.sh/do-not-disrupt", name);
			return true;
		}
		if (cfg->pdb >= 0 && evict_pdb_status(w, cfg->pdb).allowed == 0) {
			snprintf(why, size, "pdb %s prevents pod evictions (%s)", w->sc->pdbs[cfg->pdb].name, name);
			return true;
		}
	}
	return false;
}

bool evict_ca_blocked(const struct world *w, const struct wnode *n, char *why, size_t size)
{
	/* Each PDB's remaining disruptions, spent by this node's pods (-1: not
	 * computed yet). A scan every few seconds, not the request path. */
	size_t n_pdbs = w->sc->n_pdbs;
	int32_t *left = xmalloc((n_pdbs ? n_pdbs : 1) * sizeof *left);
	for (size_t i = 0; i < n_pdbs; i++)
		left[i] = -1;
	bool blocked = false;
	for (uint32_t i = 0; i < n->n_hosted; i++) {
		const struct pod *p = n->pods[i];
		const struct scn_service *cfg = p->svc->cfg;
		/* Pods below --expendable-pods-priority-cutoff are not in CA's snapshot. */
		if (p->phase != POD_RUNNING || cfg->priority < w->sc->cluster.ca.expendable_cutoff)
			continue;
		char name[96];
		pod_name(p, name, sizeof name);
		if (!cfg->safe_to_evict) {
			snprintf(why, size, "pod %s is not safe to evict (cluster-autoscaler.kubernetes.io/safe-to-evict: false)",
				 name);
			blocked = true;
			break;
		}
		int k = cfg->pdb;
		if (k < 0)
			continue;
		if (left[k] < 0)
			left[k] = evict_pdb_status(w, k).allowed;
		if (left[k]-- <= 0) {
			snprintf(why, size, "not enough pod disruption budget to move %s (pdb %s)", name, w->sc->pdbs[k].name);
			blocked = true;
			break;
		}
	}
	free(left);
	return blocked;
}
