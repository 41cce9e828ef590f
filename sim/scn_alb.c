/*
 * scn_alb.c: several clusters in one scenario (`clusters:`), services
 * deployed to one or several of them (a service's `clusters:`), and an
 * Application Load Balancer in front (`alb:`): listener rules forwarding
 * to weighted target groups, one per cluster, with a schedule of weight
 * changes, deregistrations and registrations.
 *
 * The rules are AWS's: a forward action's TargetGroupTuple Weight is 0 to
 * 999 (elasticloadbalancingv2 API reference, ForwardActionConfig), at most
 * 5 target groups per action; a target group's deregistration_delay.
 * timeout_seconds is 0 to 3600 (300 by default) and slow_start.
 * duration_seconds 30 to 900 (0: off). The Terraform aws_lb_target_group
 * spells them deregistration_delay and slow_start, in seconds, as here.
 *
 * The expansion (docs/clusters.md): a service deployed to clusters c1, c2,
 * ... keeps its index as its copy in c1 and gets a copy per other cluster
 * appended to scenario.services, each named NAME@CLUSTER, pinned to its
 * cluster's nodes by a nodeSelector on SCN_CLUSTER_LABEL, with its own
 * Deployment replicas, HPA and (per cluster) PDB. Only the first copy
 * generates the service's entry traffic; the world routes each request to
 * a copy (models/alb.h).
 */
#include "scn_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where a message about the cluster's node groups goes when they carry no
 * place of their own: the `cluster:` key's value, else the scenario. */
static const struct ynode *cluster_node(const struct ynode *root)
{
	const struct ynode *n = yt_get(root, "cluster");
	return n ? n : root;
}

static int cluster_index(const struct scn_multi *m, const char *name)
{
	for (size_t c = 0; c < m->n_clusters; c++)
		if (!strcmp(m->clusters[c].name, name))
			return (int)c;
	return -1;
}

/* A name as a scalar, which must name a cluster. */
static int want_cluster(struct ld *L, const struct ynode *v, const char *what, int *out)
{
	const char *s = ld_scalar(L, v, what);
	if (!s)
		return -1;
	*out = cluster_index(L->sc->multi, s);
	if (*out < 0)
		return yt_err(L->e, v, "%s: '%s' names no cluster of clusters: (%s%s%s)", what, s,
			      L->sc->multi->clusters[0].name, L->sc->multi->n_clusters > 1 ? ", " : "",
			      L->sc->multi->n_clusters > 1 ? L->sc->multi->clusters[1].name : "");
	return 0;
}

static int load_clusters(struct ld *L, const struct ynode *v)
{
	static const char *const keys[] = {"name", "version", NULL};
	struct scn_multi *m = L->sc->multi;
	if (ld_want_seq(L, v, "clusters"))
		return -1;
	if (!v->n || v->n > SCN_MAX_CLUSTERS)
		return yt_err(L->e, v, "clusters: %zu clusters; give 1 to %d", v->n, SCN_MAX_CLUSTERS);
	m->clusters = xcalloc(v->n, sizeof *m->clusters);
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *c = v->kid[i], *n;
		if (ld_want_map(L, c, "a cluster") || ld_check_keys(L, c, keys, "a cluster") ||
		    !(n = ld_need(L, c, "name", "a cluster")))
			return -1;
		const char *name = ld_string(L, n, "name");
		if (!name)
			return -1;
		if (!*name || strlen(name) > 63 || !ld_label_value_ok(name) || strchr(name, '.'))
			return yt_err(L->e, n, "name: '%s' must be 1-63 letters, digits, '-' or '_' (a label value "
					       "of %s)", name, SCN_CLUSTER_LABEL);
		if (cluster_index(m, name) >= 0)
			return yt_err(L->e, n, "name: cluster '%s' is given twice", name);
		const char *ver = "";
		if ((n = yt_get(c, "version")) && !(ver = ld_string(L, n, "version")))
			return -1;
		m->clusters[i] = (struct scn_kcluster){xstrdup(name), xstrdup(ver), c->line, c->col};
		m->n_clusters = i + 1;
	}
	return 0;
}

/* The cluster a node group's labels name; *out -1 and an error when none. */
static int meta_cluster(struct ld *L, const struct ynode *at, const struct scn_node_meta *meta, const char *what,
			const char *name, int *out)
{
	for (size_t i = 0; i < meta->n_labels; i++)
		if (!strcmp(meta->labels[i].key, SCN_CLUSTER_LABEL)) {
			*out = cluster_index(L->sc->multi, meta->labels[i].value);
			if (*out < 0)
				return yt_err(L->e, at, "%s '%s': label %s: '%s' names no cluster of clusters:", what,
					      name, SCN_CLUSTER_LABEL, meta->labels[i].value);
			return 0;
		}
	return yt_err(L->e, at, "%s '%s' has no label %s: with clusters: every node group and NodePool names its "
			       "cluster (template.metadata.labels of a NodePool, labels of a node group)",
		      what, name, SCN_CLUSTER_LABEL);
}

static int node_clusters(struct ld *L, const struct ynode *root)
{
	struct scn_multi *m = L->sc->multi;
	const struct scn_cluster *c = &L->sc->cluster;
	const struct ynode *at = cluster_node(root);
	if (!c->enabled)
		return yt_err(L->e, at, "clusters: needs cluster: (nodes, a NodePool or node groups per cluster)");
	m->group_cluster = xcalloc(c->n_groups + 1, sizeof *m->group_cluster);
	for (size_t i = 0; i < c->n_groups; i++)
		if (meta_cluster(L, at, &c->groups[i].meta, "node group", c->groups[i].name, &m->group_cluster[i]))
			return -1;
	size_t np = c->provisioner == PROV_KARPENTER ? c->karpenter.n_pools
		    : c->provisioner == PROV_CLUSTER_AUTOSCALER ? c->ca.n_groups : 0;
	m->pool_cluster = xcalloc(np + 1, sizeof *m->pool_cluster);
	for (size_t i = 0; i < np; i++) {
		if (c->provisioner == PROV_KARPENTER) {
			const struct scn_nodepool *p = &c->karpenter.pools[i];
			struct ynode pos = {.src = L->sc->path, .line = p->line, .col = p->col};
			if (meta_cluster(L, &pos, &p->meta, "NodePool", p->name, &m->pool_cluster[i]))
				return -1;
		} else if (meta_cluster(L, at, &c->ca.groups[i].meta, "node group", c->ca.groups[i].name,
					&m->pool_cluster[i])) {
			return -1;
		}
	}
	return 0;
}

/* Each service's `clusters:` (default: every cluster) as bits. */
static int service_clusters(struct ld *L, uint32_t *mask)
{
	struct scn_multi *m = L->sc->multi;
	for (size_t i = 0; i < m->n_logical; i++) {
		const struct ynode *n = yt_get(yt_val(L->names, i), "clusters");
		mask[i] = n ? 0 : (1u << m->n_clusters) - 1;
		if (n && (ld_want_seq(L, n, "clusters") || (!n->n && yt_err(L->e, n, "clusters: empty: name at least one"))))
			return -1;
		for (size_t k = 0; n && k < n->n; k++) {
			int c;
			if (want_cluster(L, n->kid[k], "clusters", &c))
				return -1;
			if (mask[i] >> c & 1)
				return yt_err(L->e, n->kid[k], "clusters: '%s' is named twice", n->kid[k]->s);
			mask[i] |= 1u << c;
		}
		const struct scn_service *s = &L->sc->services[i];
		if (__builtin_popcount(mask[i]) > 1 && s->delivery)
			return yt_err(L->e, n ? n : yt_key(L->names, i),
				      "service '%s': a rollout: and several clusters together are not modelled; deploy it "
				      "to one cluster",
				      s->name);
	}
	return 0;
}

/* A copy's nodeSelector: the service's own pairs and the cluster's label. */
static void pin(struct scn_service *s, const struct scn_label *own, size_t n_own, const char *cluster, bool owned)
{
	struct scn_label *sel = xcalloc(n_own + 1, sizeof *sel);
	if (n_own)
		memcpy(sel, own, n_own * sizeof *sel);
	sel[n_own] = (struct scn_label){xstrdup(SCN_CLUSTER_LABEL), xstrdup(cluster)};
	if (owned)
		free(s->placement.node_selector);
	s->placement.node_selector = sel;
	s->placement.n_node_selector = n_own + 1;
}

static char *copy_name(const char *name, const char *cluster)
{
	size_t n = strlen(name) + strlen(cluster) + 2;
	char *s = xmalloc(n);
	snprintf(s, n, "%s@%s", name, cluster);
	return s;
}

/* The expansion: one copy per cluster a service is deployed to. */
static void expand(struct ld *L, const uint32_t *mask)
{
	struct scenario *sc = L->sc;
	struct scn_multi *m = sc->multi;
	size_t total = 0;
	for (size_t i = 0; i < m->n_logical; i++)
		total += (size_t)__builtin_popcount(mask[i]);
	sc->services = xrealloc(sc->services, total * sizeof *sc->services);
	memset(sc->services + m->n_logical, 0, (total - m->n_logical) * sizeof *sc->services);
	m->copy = xmalloc(m->n_logical * m->n_clusters * sizeof *m->copy);
	size_t next = m->n_logical;
	for (size_t i = 0; i < m->n_logical; i++) {
		struct scn_service *s = &sc->services[i];
		bool several = __builtin_popcount(mask[i]) > 1;
		size_t n_own = s->placement.n_node_selector;
		int first = __builtin_ctz(mask[i]);
		for (size_t c = 0; c < m->n_clusters; c++) {
			int *slot = &m->copy[i * m->n_clusters + c];
			*slot = -1;
			if (!(mask[i] >> c & 1))
				continue;
			const char *cname = m->clusters[c].name;
			if ((int)c == first) {
				*slot = (int)i;
				continue;
			}
			struct scn_service *d = &sc->services[next];
			*d = *s;
			d->name = copy_name(s->name, cname);
			d->alias = true;
			d->kcluster = (int)c;
			d->logical = (int)i;
			d->traffic.enabled = false;
			pin(d, s->placement.node_selector, n_own, cname, false);
			*slot = (int)next++;
		}
		s->kcluster = first;
		s->logical = (int)i;
		pin(s, s->placement.node_selector, n_own, m->clusters[first].name, true);
		if (several) {
			char *old = s->name;
			s->name = copy_name(old, m->clusters[first].name);
			free(old);
		}
	}
	sc->n_services = total;
}

/* A target group's slow start ramps each new target of its copies
 * (SLOW_START_ALB in models/balancer.h). */
static void slow_starts(struct scenario *sc)
{
	const struct scn_multi *m = sc->multi;
	for (size_t i = 0; i < m->n_rules; i++) {
		const struct scn_alb_rule *r = &m->rules[i];
		for (size_t g = 0; g < r->n_tgs; g++)
			for (size_t k = 0; r->tgs[g].slow_start && k < r->n_services; k++) {
				int c = m->copy[(size_t)r->services[k] * m->n_clusters + (size_t)r->tgs[g].cluster];
				sc->services[c].slow_start = (struct scn_slow_start){SLOW_START_ALB, r->tgs[g].slow_start, 1, 0};
			}
	}
}

/* A PDB selects pods of one cluster: one PDB per cluster its services run
 * in (the first keeps its place, the others are appended). */
static void split_pdbs(struct scenario *sc)
{
	struct scn_multi *m = sc->multi;
	size_t n0 = sc->n_pdbs;
	for (size_t k = 0; k < n0; k++) {
		struct scn_pdb base = sc->pdbs[k];
		bool placed = false;
		for (size_t c = 0; c < m->n_clusters; c++) {
			int *sv = xmalloc(base.n_services * sizeof *sv);
			size_t n = 0;
			for (size_t j = 0; j < base.n_services; j++) {
				int copy = m->copy[(size_t)base.services[j] * m->n_clusters + c];
				if (copy >= 0)
					sv[n++] = copy;
			}
			if (!n) {
				free(sv);
				continue;
			}
			size_t at = k;
			if (placed) {
				sc->pdbs = xrealloc(sc->pdbs, (sc->n_pdbs + 1) * sizeof *sc->pdbs);
				at = sc->n_pdbs++;
				sc->pdbs[at] = base;
				sc->pdbs[at].alias = true; /* see ld_free_multi */
			}
			sc->pdbs[at].services = sv;
			sc->pdbs[at].n_services = n;
			for (size_t j = 0; j < n; j++)
				sc->services[sv[j]].pdb = (int)at;
			placed = true;
		}
		free(base.services);
	}
}

static int tg_index(const struct scn_alb_rule *r, const char *name)
{
	for (size_t g = 0; g < r->n_tgs; g++)
		if (!strcmp(r->tgs[g].name, name))
			return (int)g;
	return -1;
}

static int want_tg(struct ld *L, const struct scn_alb_rule *r, const struct ynode *v, int *out)
{
	const char *s = ld_scalar(L, v, "a target group");
	if (!s)
		return -1;
	if ((*out = tg_index(r, s)) < 0)
		return yt_err(L->e, v, "'%s' is not a target group of rule '%s'", s, r->name);
	return 0;
}

static int load_tg(struct ld *L, const struct ynode *v, struct scn_alb_rule *r, struct scn_tg *g)
{
	static const char *const keys[] = {"name", "cluster", "weight", "deregistration_delay", "slow_start", NULL};
	const struct ynode *n;
	int64_t weight = 1, dereg = 300, slow = 0;
	if (ld_want_map(L, v, "a target group") || ld_check_keys(L, v, keys, "a target group") ||
	    !(n = ld_need(L, v, "name", "a target group")))
		return -1;
	const char *name = ld_string(L, n, "name");
	if (!name)
		return -1;
	if (tg_index(r, name) >= 0)
		return yt_err(L->e, n, "name: target group '%s' is given twice", name);
	g->name = xstrdup(name);
	g->line = v->line;
	g->col = v->col;
	if (!(n = ld_need(L, v, "cluster", "a target group")))
		return -1;
	if (want_cluster(L, n, "cluster", &g->cluster) || ld_get_int(L, v, "weight", 0, SCN_ALB_MAX_WEIGHT, &weight) ||
	    ld_get_int(L, v, "deregistration_delay", 0, 3600, &dereg) || ld_get_int(L, v, "slow_start", 0, 900, &slow))
		return -1;
	if (slow > 0 && slow < 30)
		return yt_err(L->e, yt_get(v, "slow_start"),
			      "slow_start: %lld s is out of range: an ALB takes 30 to 900 (0: off)", (long long)slow);
	for (size_t k = 0; k < r->n_tgs; k++)
		if (r->tgs[k].cluster == g->cluster)
			return yt_err(L->e, n, "cluster: target groups '%s' and '%s' both forward to cluster '%s': one "
					       "target group per cluster",
				      r->tgs[k].name, g->name, L->sc->multi->clusters[g->cluster].name);
	g->weight = (int)weight;
	g->dereg_delay = dereg * SIM_S;
	g->slow_start = slow * SIM_S;
	return 0;
}

/* A list of target group names into bits. */
static int tg_bits(struct ld *L, const struct scn_alb_rule *r, const struct ynode *v, const char *k, uint32_t *out)
{
	if (ld_want_seq(L, v, k))
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		int g;
		if (want_tg(L, r, v->kid[i], &g))
			return -1;
		*out |= 1u << g;
	}
	return 0;
}

static int load_step(struct ld *L, const struct ynode *v, struct scn_alb_rule *r, struct scn_alb_step *st, int *cur)
{
	static const char *const keys[] = {"at", "over", "weights", "deregister", "register", NULL};
	const struct ynode *n;
	for (int g = 0; g < SCN_ALB_MAX_TGS; g++)
		st->weight[g] = -1;
	st->line = v->line;
	st->col = v->col;
	if (ld_want_map(L, v, "a schedule step") || ld_check_keys(L, v, keys, "a schedule step") ||
	    !ld_need(L, v, "at", "a schedule step") || ld_get_dur(L, v, "at", 0, L->sc->duration, false, &st->at) ||
	    ld_get_dur(L, v, "over", SIM_S, L->sc->duration, false, &st->over))
		return -1;
	if (!yt_get(v, "weights") && !yt_get(v, "deregister") && !yt_get(v, "register"))
		return yt_err(L->e, v, "a schedule step sets weights, deregister or register (or several)");
	if (st->over && !yt_get(v, "weights"))
		return yt_err(L->e, yt_get(v, "over"), "over: a linear shift needs weights: to move to");
	if ((n = yt_get(v, "weights"))) {
		if (ld_want_map(L, n, "weights"))
			return -1;
		for (size_t i = 0; i < n->n; i++) {
			int g;
			int64_t w;
			if (want_tg(L, r, yt_key(n, i), &g) || ld_get_int(L, n, yt_key(n, i)->s, 0, SCN_ALB_MAX_WEIGHT, &w))
				return -1;
			st->weight[g] = cur[g] = (int)w;
		}
		int sum = 0;
		for (size_t g = 0; g < r->n_tgs; g++)
			sum += cur[g];
		if (!sum)
			return yt_err(L->e, n, "weights: every target group of rule '%s' would weigh 0; a forward action "
					       "needs a weight above 0 somewhere (deregister a target group to drain it)",
				      r->name);
	}
	if (((n = yt_get(v, "deregister")) && tg_bits(L, r, n, "deregister", &st->deregister)) ||
	    ((n = yt_get(v, "register")) && tg_bits(L, r, n, "register", &st->reregister)))
		return -1;
	if (st->deregister & st->reregister)
		return yt_err(L->e, v, "a target group cannot be deregistered and registered in one step");
	return 0;
}

static int load_schedule(struct ld *L, const struct ynode *v, struct scn_alb_rule *r)
{
	if (ld_want_seq(L, v, "schedule"))
		return -1;
	int cur[SCN_ALB_MAX_TGS] = {0};
	for (size_t g = 0; g < r->n_tgs; g++)
		cur[g] = r->tgs[g].weight;
	r->steps = xcalloc(v->n + 1, sizeof *r->steps);
	simtime free_from = 0; /* the end of the last step's shift */
	for (size_t i = 0; i < v->n; i++) {
		struct scn_alb_step *st = &r->steps[i];
		if (load_step(L, v->kid[i], r, st, cur))
			return -1;
		r->n_steps = i + 1;
		if (st->at < free_from)
			return yt_err(L->e, yt_get(v->kid[i], "at"),
				      "at: steps go by time, and a step starts after the previous one's shift is over (%.0f s)",
				      sim_to_s(free_from));
		free_from = st->at + st->over;
	}
	return 0;
}

static int load_rule(struct ld *L, const struct ynode *v, struct scn_alb_rule *r, size_t idx)
{
	static const char *const keys[] = {"name", "services", "target_groups", "schedule", NULL};
	struct scn_multi *m = L->sc->multi;
	const struct ynode *n;
	char def[32];
	snprintf(def, sizeof def, "rule-%zu", idx);
	r->line = v->line;
	r->col = v->col;
	if (ld_want_map(L, v, "an alb rule") || ld_check_keys(L, v, keys, "an alb rule"))
		return -1;
	const char *name = def;
	if ((n = yt_get(v, "name")) && !(name = ld_string(L, n, "name")))
		return -1;
	r->name = xstrdup(name);
	if (!(n = ld_need(L, v, "services", "an alb rule")) || ld_want_seq(L, n, "services"))
		return -1;
	r->services = xcalloc(n->n + 1, sizeof *r->services);
	for (size_t i = 0; i < n->n; i++) {
		const char *s = ld_scalar(L, n->kid[i], "a service");
		if (!s)
			return -1;
		int k = -1;
		for (size_t j = 0; j < m->n_logical; j++)
			if (!strcmp(yt_key(L->names, j)->s, s))
				k = (int)j;
		if (k < 0)
			return yt_err(L->e, n->kid[i], "services: no service '%s'", s);
		if (m->rule_of[k] >= 0)
			return yt_err(L->e, n->kid[i], "services: '%s' is forwarded by rule '%s' already", s,
				      m->rules[m->rule_of[k]].name);
		m->rule_of[k] = (int)idx;
		r->services[r->n_services++] = k;
	}
	if (!(n = ld_need(L, v, "target_groups", "an alb rule")) || ld_want_seq(L, n, "target_groups"))
		return -1;
	if (!n->n || n->n > SCN_ALB_MAX_TGS)
		return yt_err(L->e, n, "target_groups: %zu target groups; a forward action takes 1 to %d", n->n,
			      SCN_ALB_MAX_TGS);
	int sum = 0;
	for (size_t g = 0; g < n->n; g++) {
		if (load_tg(L, n->kid[g], r, &r->tgs[g])) {
			free(r->tgs[g].name); /* not yet counted in n_tgs */
			r->tgs[g].name = NULL;
			return -1;
		}
		r->n_tgs = g + 1;
		sum += r->tgs[g].weight;
	}
	if (!sum)
		return yt_err(L->e, n, "target_groups: the weights are all 0; a forward action needs a weight above 0 "
				       "somewhere (0 to 999 each)");
	return (n = yt_get(v, "schedule")) ? load_schedule(L, n, r) : 0;
}

static int load_alb(struct ld *L, const struct ynode *v)
{
	static const char *const keys[] = {"rules", NULL};
	struct scn_multi *m = L->sc->multi;
	const struct ynode *n;
	if (ld_want_map(L, v, "alb") || ld_check_keys(L, v, keys, "alb") || !(n = ld_need(L, v, "rules", "alb")) ||
	    ld_want_seq(L, n, "rules"))
		return -1;
	m->rules = xcalloc(n->n + 1, sizeof *m->rules);
	for (size_t i = 0; i < n->n; i++) {
		m->n_rules = i + 1;
		if (load_rule(L, n->kid[i], &m->rules[i], i))
			return -1;
	}
	return 0;
}

/* A target group forwards a rule's services to its cluster: they run there. */
static int check_rules(struct ld *L, const uint32_t *mask)
{
	const struct scn_multi *m = L->sc->multi;
	for (size_t i = 0; i < m->n_rules; i++) {
		const struct scn_alb_rule *r = &m->rules[i];
		for (size_t g = 0; g < r->n_tgs; g++)
			for (size_t k = 0; k < r->n_services; k++)
				if (!(mask[r->services[k]] >> r->tgs[g].cluster & 1))
					return herr_at(L->e, L->sc->path, r->tgs[g].line, r->tgs[g].col,
						       "target group '%s' forwards to cluster '%s', where service '%s' is "
						       "not deployed (its clusters:)",
						       r->tgs[g].name, m->clusters[r->tgs[g].cluster].name,
						       yt_key(L->names, (size_t)r->services[k])->s);
	}
	return 0;
}

/* Requests reach a service deployed to several clusters through a rule:
 * its entry traffic, and calls from a cluster it does not run in. */
static int check_reach(struct ld *L, const uint32_t *mask)
{
	const struct scn_multi *m = L->sc->multi;
	for (size_t i = 0; i < m->n_logical; i++) {
		const struct scn_service *s = &L->sc->services[i];
		if (s->traffic.enabled && __builtin_popcount(mask[i]) > 1 && m->rule_of[i] < 0)
			return herr_at(L->e, L->sc->path, s->line, s->col,
				       "service '%s' has traffic and runs in several clusters: an alb rule must forward "
				       "it (alb.rules[].services)",
				       yt_key(L->names, i)->s);
		for (size_t k = 0; k < s->n_calls; k++) {
			size_t j = (size_t)s->calls[k].service;
			uint32_t miss = mask[i] & ~mask[j];
			if (miss && __builtin_popcount(mask[j]) > 1 && m->rule_of[j] < 0)
				return herr_at(L->e, L->sc->path, s->line, s->col,
					       "service '%s' calls '%s' from cluster '%s', where it does not run, and no alb "
					       "rule forwards '%s'",
					       yt_key(L->names, i)->s, yt_key(L->names, j)->s,
					       m->clusters[__builtin_ctz(miss)].name, yt_key(L->names, j)->s);
		}
	}
	return 0;
}

/* Each copy's pods fit on some node of its cluster (an error here, unlike
 * ld_check_placement's warning: a service pinned to a cluster whose pools
 * serve none of its zones is a mistake in the scenario). */
static int check_pinned(struct ld *L)
{
	const struct scenario *sc = L->sc;
	for (size_t i = 0; i < sc->n_services; i++) {
		const struct scn_service *s = &sc->services[i];
		if (!ld_admits(sc, &s->placement))
			return herr_at(L->e, sc->path, s->line, s->col,
				       "service '%s': no node group or NodePool of cluster '%s' admits its pods (their "
				       "nodeSelector, zone, affinity and tolerations against the cluster's nodes)",
				       s->name, sc->multi->clusters[s->kcluster].name);
	}
	return 0;
}

int ld_load_multi(struct ld *L, const struct ynode *root)
{
	struct scenario *sc = L->sc;
	const struct ynode *cl = yt_get(root, "clusters"), *alb = yt_get(root, "alb");
	for (size_t i = 0; i < sc->n_services; i++) {
		sc->services[i].kcluster = -1;
		sc->services[i].logical = (int)i;
	}
	if (!cl) {
		const struct ynode *n;
		for (size_t i = 0; L->names && i < L->names->n; i++)
			if ((n = yt_get(yt_val(L->names, i), "clusters")))
				return yt_err(L->e, n, "clusters: the scenario has no clusters: section to name");
		return alb ? yt_err(L->e, alb, "alb: forwards to the clusters of a clusters: section; there is none") : 0;
	}
	if (sc->kafka.n_topics || sc->kafka.n_producers || sc->kafka.n_consumers)
		return yt_err(L->e, cl, "clusters: and kafka: together are not modelled (a consumer group in several "
				       "clusters); give one of them");
	sc->multi = xcalloc(1, sizeof *sc->multi);
	struct scn_multi *m = sc->multi;
	m->n_logical = sc->n_services;
	m->rule_of = xmalloc(m->n_logical * sizeof *m->rule_of);
	for (size_t i = 0; i < m->n_logical; i++)
		m->rule_of[i] = -1;
	uint32_t *mask = xcalloc(m->n_logical, sizeof *mask);
	int rc = load_clusters(L, cl) || node_clusters(L, root) || service_clusters(L, mask) ||
		 (alb && load_alb(L, alb)) || check_rules(L, mask) || check_reach(L, mask) ? -1 : 0;
	if (!rc) {
		expand(L, mask);
		split_pdbs(sc);
		slow_starts(sc);
		rc = check_pinned(L);
	}
	free(mask);
	return rc;
}

void ld_free_multi(struct scenario *sc)
{
	struct scn_multi *m = sc->multi;
	if (!m)
		return;
	for (size_t i = 0; i < sc->n_services; i++) {
		struct scn_service *s = &sc->services[i];
		if (!s->alias)
			continue;
		struct scn_label *own = &s->placement.node_selector[s->placement.n_node_selector - 1];
		free(own->key);
		free(own->value);
		free(s->placement.node_selector);
		free(s->name);
		memset(s, 0, sizeof *s);
		s->pdb = -1;
	}
	for (size_t k = 0; k < sc->n_pdbs; k++)
		if (sc->pdbs[k].alias) {
			free(sc->pdbs[k].services);
			memset(&sc->pdbs[k], 0, sizeof sc->pdbs[k]);
		}
	for (size_t c = 0; c < m->n_clusters; c++) {
		free(m->clusters[c].name);
		free(m->clusters[c].version);
	}
	for (size_t i = 0; i < m->n_rules; i++) {
		for (size_t g = 0; g < m->rules[i].n_tgs; g++)
			free(m->rules[i].tgs[g].name);
		free(m->rules[i].name);
		free(m->rules[i].services);
		free(m->rules[i].steps);
	}
	free(m->clusters);
	free(m->rules);
	free(m->copy);
	free(m->rule_of);
	free(m->pool_cluster);
	free(m->group_cluster);
	free(m);
	sc->multi = NULL;
}
