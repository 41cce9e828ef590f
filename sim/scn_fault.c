/*
 * scn_fault.c: what goes wrong with the cluster's instances:
 * cluster.interruptions (spot interruptions at rates or at given times) and
 * cluster.outages (zones lost). The models are models/spot.h and
 * models/outage.h; the format is scenarios/README.md, "cluster".
 */
#include "scn_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOURS_PER_MONTH 730.0 /* the month of the Spot Instance Advisor's figures and of headroom's bills */

/* The Spot Instance Advisor's bands of "frequency of interruption", each
 * read as its midpoint; ">20%" has no upper bound and needs a figure. */
static const struct {
	const char *band;
	double share;
} bands[] = {{"<5%", 0.025}, {"5-10%", 0.075}, {"10-15%", 0.125}, {"15-20%", 0.175}};

/* A share of instances interrupted per month: a fraction (7%, 0.07) or an
 * advisor band, below 100 %. */
static int load_share(struct ld *L, const struct ynode *v, double *out)
{
	const char *s = ld_scalar(L, v, "rate");
	char why[UNITS_WHY];
	if (!s)
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(bands); i++)
		if (!strcmp(s, bands[i].band)) {
			*out = bands[i].share;
			return 0;
		}
	if (!strcmp(s, ">20%"))
		return yt_err(L->e, v, "rate: '>20%%' has no upper bound: give the share you expect, e.g. 25%%");
	if (units_fraction(s, out, why))
		return yt_err(L->e, v, "rate: %s, or a Spot Instance Advisor band (<5%%, 5-10%%, 10-15%%, 15-20%%)", why);
	if (*out < 0 || *out >= 1)
		return yt_err(L->e, v,
			      "rate: %s is out of range: a share of instances interrupted per month is >= 0 and below "
			      "100%% (at 100%% every instance would go at once)",
			      s);
	return 0;
}

/* A family of the catalog, or an error at v naming the closest. */
static int load_family(struct ld *L, const struct ynode *v, char *out, size_t size)
{
	const struct catalog *cat = &L->sc->cluster.catalog;
	const char *s = ld_scalar(L, v, "family");
	char msg[400];
	if (!s)
		return -1;
	if (!catalog_has_family(cat, s))
		return yt_err(L->e, v, "family: %s", catalog_unknown_family_msg(cat, s, msg, sizeof msg));
	snprintf(out, size, "%s", s); /* a family fits: the catalog's are as long at most */
	return 0;
}

/* Key "type" of m (when present) into *type, a catalog index. */
static int load_type(struct ld *L, const struct ynode *m, int *type)
{
	const struct ynode *v = yt_get(m, "type");
	const struct catalog *cat = &L->sc->cluster.catalog;
	if (!v)
		return 0;
	const char *s = ld_scalar(L, v, "type");
	if (!s)
		return -1;
	const struct instance_type *t = catalog_find(cat, s);
	if (!t) {
		char msg[512];
		return yt_err(L->e, v, "type: %s", catalog_unknown_msg(cat, s, msg, sizeof msg));
	}
	*type = (int)(t - cat->types);
	return 0;
}

/* The type and family keys of m (at most one of them). */
static int load_selector(struct ld *L, const struct ynode *m, int *type, char *family, size_t size)
{
	const struct ynode *f = yt_get(m, "family");
	if (yt_get(m, "type") && f)
		return yt_err(L->e, f, "give type or family, not both (a type names its family already)");
	if (!L->sc->cluster.catalog.n && (yt_get(m, "type") || f))
		return yt_err(L->e, f ? f : yt_get(m, "type"), "instance types need a catalog: set cluster.catalog");
	return load_type(L, m, type) || (f && load_family(L, f, family, size)) ? -1 : 0;
}

static int load_rate(struct ld *L, const struct ynode *v, struct scn_spot_rate *r)
{
	static const char *const keys[] = {"type", "family", "rate", NULL};
	const struct ynode *rv;
	*r = (struct scn_spot_rate){.type = -1, .line = v->line, .col = v->col};
	if (ld_want_map(L, v, "an interruption rate") || ld_check_keys(L, v, keys, "an interruption rate") ||
	    load_selector(L, v, &r->type, r->family, sizeof r->family) ||
	    !(rv = ld_need(L, v, "rate", "an interruption rate")) || load_share(L, rv, &r->share))
		return -1;
	r->per_hour = -log1p(-r->share) / HOURS_PER_MONTH;
	return 0;
}

static bool same_selector(const struct scn_spot_rate *a, const struct scn_spot_rate *b)
{
	return a->type == b->type && !strcmp(a->family, b->family);
}

static int load_rates(struct ld *L, const struct ynode *v, struct scn_interruptions *in)
{
	if (ld_want_seq(L, v, "rates"))
		return -1;
	in->rates = xcalloc(v->n ? v->n : 1, sizeof *in->rates);
	for (size_t i = 0; i < v->n; i++) {
		if (load_rate(L, v->kid[i], &in->rates[i]))
			return -1;
		in->n_rates++;
		for (size_t j = 0; j < i; j++)
			if (same_selector(&in->rates[i], &in->rates[j]))
				return yt_err(L->e, v->kid[i], "this rate selects the same instances as the one at line %d",
					      in->rates[j].line);
	}
	return 0;
}

/* Whether `name` is "<group>-<number>" for a static node group, a NodePool
 * or a Cluster Autoscaler node group: a name a node of the run may have. */
static bool node_name_ok(const struct scn_cluster *c, const char *name)
{
	const char *dash = strrchr(name, '-');
	if (!dash || !dash[1] || strspn(dash + 1, "0123456789") != strlen(dash + 1))
		return false;
	size_t n = (size_t)(dash - name);
	for (size_t i = 0; i < c->n_groups; i++)
		if (strlen(c->groups[i].name) == n && !strncmp(c->groups[i].name, name, n))
			return true;
	for (size_t i = 0; i < c->karpenter.n_pools; i++)
		if (strlen(c->karpenter.pools[i].name) == n && !strncmp(c->karpenter.pools[i].name, name, n))
			return true;
	for (size_t i = 0; i < c->ca.n_groups; i++)
		if (strlen(c->ca.groups[i].name) == n && !strncmp(c->ca.groups[i].name, name, n))
			return true;
	return false;
}

/* Key k of m, a time within the run (> 0, at most its duration), into *out. */
static int load_time(struct ld *L, const struct ynode *m, const char *k, const char *what, simtime *out)
{
	const struct ynode *n = yt_get(m, k);
	if (ld_get_dur(L, m, k, 0, INT64_MAX / 4, false, out))
		return -1;
	if (!*out)
		return yt_err(L->e, n, "%s: %s after the run starts (%s > 0)", k, what, k);
	if (*out > L->sc->duration)
		return yt_err(L->e, n, "%s: %s is after the run ends (duration %gs)", k, n->s,
			      sim_to_s(L->sc->duration));
	return 0;
}

static int load_at(struct ld *L, const struct ynode *v, struct scn_spot_at *a)
{
	static const char *const keys[] = {"at", "node", "type", "family", "zone", NULL};
	const struct ynode *n, *z;
	*a = (struct scn_spot_at){.type = -1, .zone = -1, .line = v->line, .col = v->col};
	if (ld_want_map(L, v, "an interruption") || ld_check_keys(L, v, keys, "an interruption") ||
	    !ld_need(L, v, "at", "an interruption") || load_time(L, v, "at", "an interruption comes", &a->at))
		return -1;
	if ((z = yt_get(v, "zone")) && ld_zone(L, z, "zone", &a->zone))
		return -1;
	if (load_selector(L, v, &a->type, a->family, sizeof a->family))
		return -1;
	if (!(n = yt_get(v, "node")))
		return 0;
	const char *s = ld_string(L, n, "node");
	if (!s)
		return -1;
	if (yt_get(v, "type") || yt_get(v, "family") || z)
		return yt_err(L->e, n, "node: a node by its name, or by type, family and zone, not both");
	if (!node_name_ok(&L->sc->cluster, s))
		return yt_err(L->e, n,
			      "node: '%s' is no node of this cluster: nodes are named after their group or NodePool, "
			      "GROUP-N (e.g. the first node of NodePool 'default' is 'default-0' when it is the first "
			      "node made)",
			      s);
	a->node = xstrdup(s);
	return 0;
}

int ld_load_interruptions(struct ld *L, const struct ynode *v)
{
	static const char *const keys[] = {"rates", "at", NULL};
	struct scn_interruptions *in = &L->sc->cluster.interruptions;
	const struct ynode *n;
	if (ld_want_map(L, v, "interruptions") || ld_check_keys(L, v, keys, "interruptions"))
		return -1;
	if ((n = yt_get(v, "rates")) && load_rates(L, n, in))
		return -1;
	if (!(n = yt_get(v, "at")))
		return 0;
	if (ld_want_seq(L, n, "at"))
		return -1;
	in->at = xcalloc(n->n ? n->n : 1, sizeof *in->at);
	for (size_t i = 0; i < n->n; i++) {
		if (load_at(L, n->kid[i], &in->at[i]))
			return -1;
		in->n_at++;
	}
	return 0;
}

static int load_outage(struct ld *L, const struct ynode *v, struct scn_outage *o)
{
	static const char *const keys[] = {"zone", "start", "remove_after", NULL};
	const struct ynode *z;
	*o = (struct scn_outage){.remove_after = SIM_FOREVER, .line = v->line, .col = v->col};
	if (ld_want_map(L, v, "an outage") || ld_check_keys(L, v, keys, "an outage") ||
	    !(z = ld_need(L, v, "zone", "an outage")) || ld_zone(L, z, "zone", &o->zone) ||
	    !ld_need(L, v, "start", "an outage") || load_time(L, v, "start", "a zone is lost", &o->start))
		return -1;
	const struct ynode *ra = yt_get(v, "remove_after");
	if (ld_get_dur(L, v, "remove_after", 0, 24 * 365 * SIM_HOUR, false, &o->remove_after))
		return -1;
	if (ra && !o->remove_after)
		return yt_err(L->e, ra, "remove_after: a duration > 0 (the nodes stay until then; leave it out to keep "
					"them for the whole run)");
	return 0;
}

int ld_load_outages(struct ld *L, const struct ynode *v)
{
	struct scn_cluster *c = &L->sc->cluster;
	if (ld_want_seq(L, v, "outages"))
		return -1;
	c->outages = xcalloc(v->n ? v->n : 1, sizeof *c->outages);
	for (size_t i = 0; i < v->n; i++) {
		if (load_outage(L, v->kid[i], &c->outages[i]))
			return -1;
		c->n_outages++;
		for (size_t j = 0; j < i; j++)
			if (c->outages[j].zone == c->outages[i].zone)
				return yt_err(L->e, yt_get(v->kid[i], "zone"),
					      "zone: %s is lost already (line %d): one outage per zone (a zone does not "
					      "come back within a run)",
					      c->zones[c->outages[i].zone], c->outages[j].line);
	}
	return 0;
}

void ld_free_faults(struct scenario *sc)
{
	struct scn_interruptions *in = &sc->cluster.interruptions;
	for (size_t i = 0; i < in->n_at; i++)
		free(in->at[i].node);
	free(in->at);
	free(in->rates);
	free(sc->cluster.outages);
	*in = (struct scn_interruptions){0};
	sc->cluster.outages = NULL;
	sc->cluster.n_outages = 0;
}
