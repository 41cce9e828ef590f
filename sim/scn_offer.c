/*
 * scn_offer.c: where the cluster's instance types are offered and when
 * their capacity runs short.
 *
 * cluster.offerings names a CSV of offerings beside the catalog
 * (sim/catalog.h, catalog_load_offerings; scenarios/catalogs/README.md);
 * with or without it, the cluster gets its offerings table over its zones
 * (catalog_offer_table). cluster.capacity scripts insufficient capacity
 * for what-if runs: windows [start, end) during which launching an
 * offering they cover fails, as an EC2 insufficient-capacity error would
 * (models/karpenter.c reacts; docs/model.md, Karpenter).
 */
#include <stdlib.h>
#include <string.h>

#include "scn_impl.h"

int ld_load_offerings(struct ld *L, const struct ynode *v)
{
	struct scn_cluster *c = &L->sc->cluster;
	const struct ynode *n = yt_get(v, "offerings");
	if (n && !c->catalog.n)
		return yt_err(L->e, n, "offerings: needs cluster.catalog (the instance types they offer)");
	if (n && ld_load_csv(L, n, "offerings", catalog_load_offerings))
		return -1;
	if (c->catalog.n)
		c->offer_price = catalog_offer_table(&c->catalog, (const char *const *)c->zones, c->n_zones);
	return 0;
}

bool scn_short_of(const struct scn_cluster *c, int type, int zone, bool spot, simtime t)
{
	for (size_t i = 0; i < c->n_shortages; i++) {
		const struct scn_shortage *s = &c->shortages[i];
		if (t >= s->start && t < s->end && s->types[type] && (s->zones >> zone & 1u) &&
		    (s->capacity & (spot ? SCN_SPOT : SCN_ON_DEMAND)))
			return true;
	}
	return false;
}

/* OrderByPrice's price of a type for a pool over the offerings as listed. */
double scn_pool_price(const struct scn_cluster *c, const struct scn_nodepool *np, int t)
{
	double best = 0;
	for (size_t z = 0; z < c->n_zones; z++) {
		if (!(np->meta.zones >> z & 1u))
			continue;
		for (int spot = 0; spot < 2; spot++) {
			double p = np->capacity & (spot ? SCN_SPOT : SCN_ON_DEMAND) ? scn_offer_price(c, t, (int)z, spot) : 0;
			if (p > 0 && (best <= 0 || p < best))
				best = p;
		}
	}
	return best;
}

/* `families: [...]` or `instance_types: [...]` of item m into s->types. */
static int shortage_types(struct ld *L, const struct ynode *m, struct scn_shortage *s)
{
	const struct catalog *cat = &L->sc->cluster.catalog;
	const struct ynode *fam = yt_get(m, "families"), *its = yt_get(m, "instance_types");
	s->types = xcalloc(cat->n, sizeof *s->types);
	if (fam && its)
		return yt_err(L->e, its, "instance_types: give families or instance_types, not both");
	if (!fam && !its) {
		for (size_t t = 0; t < cat->n; t++)
			s->types[t] = true;
		return 0;
	}
	const struct ynode *list = fam ? fam : its;
	const char *k = fam ? "families" : "instance_types";
	if (ld_want_seq(L, list, k))
		return -1;
	if (!list->n)
		return yt_err(L->e, list, "%s: give at least one (or leave the key out: every type)", k);
	for (size_t i = 0; i < list->n; i++) {
		const char *name = ld_scalar(L, list->kid[i], k);
		if (!name)
			return -1;
		bool found = false;
		for (size_t t = 0; t < cat->n; t++)
			if (!strcmp(fam ? cat->types[t].family : cat->types[t].name, name))
				found = s->types[t] = true;
		if (found)
			continue;
		char msg[400];
		return yt_err(L->e, list->kid[i], "%s: %s", k,
			      its ? catalog_unknown_msg(cat, name, msg, sizeof msg)
				  : catalog_unknown_family_msg(cat, name, msg, sizeof msg));
	}
	return 0;
}

static int load_shortage(struct ld *L, const struct ynode *m, struct scn_shortage *s)
{
	static const char *const keys[] = {"start", "end", "zones", "families", "instance_types", "capacity_type", NULL};
	static const char *const cts[] = {"on-demand", "spot", NULL};
	const struct scn_cluster *c = &L->sc->cluster;
	const struct ynode *n;
	s->line = m->line;
	s->col = m->col;
	s->end = SIM_FOREVER;
	int ct = -1;
	if (ld_want_map(L, m, "a capacity window") || ld_check_keys(L, m, keys, "a capacity window") ||
	    ld_get_dur(L, m, "start", 0, 100000 * SIM_HOUR, false, &s->start) ||
	    ld_get_dur(L, m, "end", SIM_MS, 100000 * SIM_HOUR, false, &s->end) ||
	    ld_get_enum(L, m, "capacity_type", cts, &ct))
		return -1;
	if (s->end <= s->start) {
		const struct ynode *st = yt_get(m, "start");
		return yt_err(L->e, yt_get(m, "end"), "end: %s is not after start (%s): a window ends after it begins",
			      yt_get(m, "end")->s, st ? st->s : "0s");
	}
	s->capacity = ct < 0 ? SCN_ON_DEMAND | SCN_SPOT : ct == 0 ? SCN_ON_DEMAND : SCN_SPOT;
	if ((n = yt_get(m, "zones"))) {
		if (ld_want_seq(L, n, "zones"))
			return -1;
		if (!n->n)
			return yt_err(L->e, n, "zones: give at least one (or leave the key out: every zone)");
		for (size_t i = 0; i < n->n; i++) {
			int z;
			if (ld_zone(L, n->kid[i], "zones", &z))
				return -1;
			s->zones |= 1u << z;
		}
	} else {
		s->zones = c->n_zones >= 32 ? UINT32_MAX : (1u << c->n_zones) - 1;
	}
	return shortage_types(L, m, s);
}

int ld_load_capacity(struct ld *L, const struct ynode *v)
{
	struct scn_cluster *c = &L->sc->cluster;
	if (ld_want_seq(L, v, "capacity"))
		return -1;
	if (!c->catalog.n)
		return yt_err(L->e, v, "capacity: needs cluster.catalog (the instance types it names)");
	c->shortages = xcalloc(v->n ? v->n : 1, sizeof *c->shortages);
	for (size_t i = 0; i < v->n; i++) {
		c->n_shortages++;
		if (load_shortage(L, v->kid[i], &c->shortages[i]))
			return -1;
	}
	return 0;
}

void ld_free_offerings(struct scn_cluster *c)
{
	for (size_t i = 0; i < c->n_shortages; i++)
		free(c->shortages[i].types);
	free(c->shortages);
	free(c->offer_price);
	c->shortages = NULL;
	c->n_shortages = 0;
	c->offer_price = NULL;
}
