/*
 * plot_plan.c: the charts of a plan (`headroom plot DB --plan ID`), drawn
 * from the plans, plan_variants and plan_services tables as stored:
 *
 * - sweep: P(SLO met) per variant with its Wilson 95 % interval, and the
 *   monthly cost on a second axis, against the buffer (or the variant), the
 *   target line, the recommendation and the runner-up marked;
 * - provisioners, when the plan has a cluster.provisioner axis: P(SLO met)
 *   and cost per provisioner, grouped by the other axes.
 *
 * As for a run's charts, every name reaches a script through plot_quote and
 * the data blocks hold numbers only.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

/* ---- Reading ----------------------------------------------------------------- */

static double real_or_nan(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

static char *text_or_null(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

static int fail(plot_db *db, struct herr *e)
{
	return herr_at(e, plot_path(db), 0, 0, "cannot read the plan: %s", sqlite3_errmsg(plot_sqlite(db)));
}

static int no_plan(plot_db *db, int64_t id, struct herr *e)
{
	sqlite3_stmt *s = NULL;
	long long n = 0, lo = 0, hi = 0;
	if (sqlite3_prepare_v2(plot_sqlite(db), "SELECT count(*), min(id), max(id) FROM plans", -1, &s, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		n = sqlite3_column_int64(s, 0);
		lo = sqlite3_column_int64(s, 1);
		hi = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	if (n == 0)
		return herr_at(e, plot_path(db), 0, 0, "this database has no plans (run headroom plan first)");
	return herr_at(e, plot_path(db), 0, 0, "no plan %lld (%lld plan%s, ids %lld to %lld; --latest-plan takes the last)",
		       (long long)id, n, n == 1 ? "" : "s", lo, hi);
}

/* The label without the token "AXIS=prov" of the provisioner axis. */
static char *group_of(const char *label, const char *prov)
{
	char *out = xmalloc(strlen(label) + 1);
	size_t k = 0, pl = strlen(prov);
	for (const char *p = label; *p;) {
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		bool skip = eq && (size_t)(p + len - eq - 1) == pl && !memcmp(eq + 1, prov, pl);
		if (!skip && len) {
			if (k)
				out[k++] = ' ';
			memcpy(out + k, p, len);
			k += len;
		}
		p += len + (end != NULL);
	}
	out[k] = '\0';
	return out;
}

static int read_variants(plot_db *db, struct plot_plan *p, struct herr *e)
{
	sqlite3_stmt *s = NULL;
	/* Version 7's month ranks; a plan stored before has only the steady state's. */
	bool month = plot_has_column(db, "plan_variants", "month_usd");
	char sql[512];
	snprintf(sql, sizeof sql,
		 "SELECT variant, label, json_extract(params, '$.\"cluster.provisioner\"'), runs, "
		 "slo_met_runs, p_slo, p_slo_low, p_slo_high, %s, min_cores, "
		 "pod_start_p99_s, max_nodes, error_rate, verdict, reason, %s "
		 "FROM plan_variants WHERE plan_id = ?1 ORDER BY variant",
		 month ? "COALESCE(month_usd, monthly_cost_usd)" : "monthly_cost_usd",
		 month ? "month_normal_usd, month_events_usd, month_discount_usd, month_control_plane_usd, month_volumes_usd"
		       : "NULL, NULL, NULL, NULL, NULL");
	if (sqlite3_prepare_v2(plot_sqlite(db), sql, -1, &s, NULL) != SQLITE_OK)
		return fail(db, e);
	sqlite3_bind_int64(s, 1, p->id);
	size_t cap = 0;
	int rc;
	p->has_cost = true;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (p->n == cap) {
			cap = cap ? 2 * cap : 8;
			p->v = xrealloc(p->v, cap * sizeof *p->v);
		}
		struct plot_plan_variant *v = &p->v[p->n++];
		memset(v, 0, sizeof *v);
		v->variant = sqlite3_column_int(s, 0);
		v->label = text_or_null(s, 1);
		if (!v->label)
			v->label = xstrdup("");
		v->provisioner = text_or_null(s, 2);
		v->group = v->provisioner ? group_of(v->label, v->provisioner) : xstrdup(v->label);
		v->runs = sqlite3_column_int64(s, 3);
		v->met = sqlite3_column_int64(s, 4);
		v->p = real_or_nan(s, 5);
		v->lo = real_or_nan(s, 6);
		v->hi = real_or_nan(s, 7);
		v->cost = real_or_nan(s, 8);
		v->min_cores = real_or_nan(s, 9);
		v->pod_start_p99_s = real_or_nan(s, 10);
		v->max_nodes = real_or_nan(s, 11);
		v->error_rate = real_or_nan(s, 12);
		v->verdict = text_or_null(s, 13);
		if (!v->verdict)
			v->verdict = xstrdup("");
		v->reason = text_or_null(s, 14);
		for (int k = 0; k < 5; k++)
			v->month[k] = real_or_nan(s, 15 + k);
		v->p99_p50 = xmalloc((p->n_services + 1) * sizeof(double));
		v->p99_p95 = xmalloc((p->n_services + 1) * sizeof(double));
		v->min_replicas = xmalloc((p->n_services + 1) * sizeof(int));
		v->share = xmalloc((p->n_services + 1) * sizeof(double));
		for (size_t i = 0; i < p->n_services; i++) {
			v->p99_p50[i] = v->p99_p95[i] = v->share[i] = NAN;
			v->min_replicas[i] = -1;
		}
		if (isnan(v->cost))
			p->has_cost = false;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(db, e);
	if (p->n == 0)
		p->has_cost = false;
	return 0;
}

static int read_services(plot_db *db, struct plot_plan *p, struct herr *e)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(plot_sqlite(db),
			       "SELECT DISTINCT service FROM plan_services WHERE plan_id = ?1 ORDER BY service", -1, &s,
			       NULL) != SQLITE_OK)
		return fail(db, e);
	sqlite3_bind_int64(s, 1, p->id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		p->services = xrealloc(p->services, (p->n_services + 1) * sizeof *p->services);
		p->services[p->n_services++] = text_or_null(s, 0);
	}
	sqlite3_finalize(s);
	return 0;
}

static int read_p99(plot_db *db, struct plot_plan *p, struct herr *e)
{
	sqlite3_stmt *s = NULL;
	bool share = plot_has_column(db, "plan_services", "monthly_share_usd"); /* version 7 */
	if (sqlite3_prepare_v2(plot_sqlite(db),
			       share ? "SELECT variant, service, p99_p50_ms, p99_p95_ms, min_replicas, monthly_share_usd "
				       "FROM plan_services WHERE plan_id = ?1"
				     : "SELECT variant, service, p99_p50_ms, p99_p95_ms, min_replicas, NULL FROM plan_services "
				       "WHERE plan_id = ?1",
			       -1, &s, NULL) != SQLITE_OK)
		return fail(db, e);
	sqlite3_bind_int64(s, 1, p->id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int variant = sqlite3_column_int(s, 0);
		const char *sv = (const char *)sqlite3_column_text(s, 1);
		for (size_t j = 0; j < p->n; j++)
			for (size_t i = 0; sv && p->v[j].variant == variant && i < p->n_services; i++)
				if (!strcmp(p->services[i], sv)) {
					p->v[j].p99_p50[i] = real_or_nan(s, 2);
					p->v[j].p99_p95[i] = real_or_nan(s, 3);
					p->v[j].min_replicas[i] =
						sqlite3_column_type(s, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 4);
					p->v[j].share[i] = real_or_nan(s, 5);
				}
	}
	sqlite3_finalize(s);
	return 0;
}

/* Each service's baseline and its formula, from plans.baseline. */
static int read_baseline(plot_db *db, struct plot_plan *p, struct herr *e)
{
	p->formula = xcalloc(p->n_services + 1, sizeof *p->formula);
	p->baseline = xmalloc((p->n_services + 1) * sizeof *p->baseline);
	for (size_t i = 0; i < p->n_services; i++)
		p->baseline[i] = -1;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(plot_sqlite(db),
			       "SELECT j.key, json_extract(j.value, '$.formula'), json_extract(j.value, '$.replicas') "
			       "FROM plans, json_each(plans.baseline) j WHERE plans.id = ?1",
			       -1, &s, NULL) != SQLITE_OK)
		return fail(db, e);
	sqlite3_bind_int64(s, 1, p->id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *sv = (const char *)sqlite3_column_text(s, 0);
		for (size_t i = 0; sv && i < p->n_services; i++)
			if (!strcmp(p->services[i], sv) && !p->formula[i]) {
				p->formula[i] = text_or_null(s, 1);
				p->baseline[i] = sqlite3_column_type(s, 2) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 2);
			}
	}
	sqlite3_finalize(s);
	return 0;
}

/* Each variant's SLO terms missed, as `headroom plan` prints them. The
 * latency term is named by its percentile, the objective's first word. */
static int read_failures(plot_db *db, struct plot_plan *p, struct herr *e)
{
	if (!plot_has_table(db, "plan_failures"))
		return 0;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(plot_sqlite(db),
			       "SELECT variant, service, CASE term WHEN 'latency' THEN substr(objective, 1, "
			       "instr(objective || ' ', ' ') - 1) ELSE term END, share FROM plan_failures "
			       "WHERE plan_id = ?1 ORDER BY variant, service, CASE term WHEN 'latency' THEN 0 "
			       "WHEN 'errors' THEN 1 ELSE 2 END",
			       -1, &s, NULL) != SQLITE_OK)
		return fail(db, e);
	sqlite3_bind_int64(s, 1, p->id);
	char last[256] = "";
	int last_v = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		int variant = sqlite3_column_int(s, 0);
		const char *sv = (const char *)sqlite3_column_text(s, 1), *term = (const char *)sqlite3_column_text(s, 2);
		struct plot_plan_variant *v = NULL;
		for (size_t j = 0; j < p->n && !v; j++)
			if (p->v[j].variant == variant)
				v = &p->v[j];
		if (!v || !sv || !term)
			continue;
		char share[16];
		if (sqlite3_column_type(s, 3) == SQLITE_NULL)
			snprintf(share, sizeof share, "-");
		else
			snprintf(share, sizeof share, "%.0f%%", 100 * sqlite3_column_double(s, 3));
		bool same = variant == last_v && !strcmp(last, sv);
		size_t old = v->failures ? strlen(v->failures) : 0, add = strlen(sv) + strlen(term) + strlen(share) + 8;
		v->failures = xrealloc(v->failures, old + add);
		if (same)
			snprintf(v->failures + old, add, ", %s %s", term, share);
		else
			snprintf(v->failures + old, add, "%s%s: %s %s", old ? "; " : "", sv, term, share);
		snprintf(last, sizeof last, "%s", sv);
		last_v = variant;
	}
	sqlite3_finalize(s);
	return 0;
}

int plot_plan_read(plot_db *db, int64_t id, struct plot_plan *p, struct herr *e)
{
	memset(p, 0, sizeof *p);
	if (!plot_has_table(db, "plans"))
		return herr_at(e, plot_path(db), 0, 0, "this database has no plans (run headroom plan first)");
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(plot_sqlite(db),
			       "SELECT p.id, sc.name, sc.path, sc.yaml, sc.overrides, p.seed, p.status, p.recommendation, "
			       "p.created_at, p.replications, p.target, p.recommended, p.runner_up, "
			       "(SELECT version FROM runs WHERE plan_id = p.id ORDER BY id DESC LIMIT 1) "
			       "FROM plans p JOIN scenarios sc ON sc.id = p.scenario_id "
			       "WHERE p.id = ?1 OR (?1 = 0 AND p.id = (SELECT max(id) FROM plans))",
			       -1, &s, NULL) != SQLITE_OK)
		return fail(db, e);
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return no_plan(db, id, e);
	}
	p->id = sqlite3_column_int64(s, 0);
	p->name = text_or_null(s, 1);
	p->path = text_or_null(s, 2);
	p->yaml = text_or_null(s, 3);
	p->overrides = text_or_null(s, 4);
	p->seed = text_or_null(s, 5);
	p->status = text_or_null(s, 6);
	p->recommendation = text_or_null(s, 7);
	p->created_at = text_or_null(s, 8);
	p->replications = sqlite3_column_int(s, 9);
	p->target = sqlite3_column_double(s, 10);
	p->recommended = sqlite3_column_int(s, 11); /* NULL reads as 0: none */
	p->runner_up = sqlite3_column_int(s, 12);
	p->version = text_or_null(s, 13);
	sqlite3_finalize(s);
	if (!p->name)
		p->name = xstrdup("");
	if (!p->yaml)
		p->yaml = xstrdup("");
	if (!p->overrides)
		p->overrides = xstrdup("");
	if (!p->seed)
		p->seed = xstrdup("0");
	if (!p->status)
		p->status = xstrdup("");
	p->path_current = p->path && plot_file_holds(p->path, p->yaml);
	if (read_services(db, p, e) || read_variants(db, p, e) || read_p99(db, p, e) || read_baseline(db, p, e) ||
	    read_failures(db, p, e)) {
		plot_plan_release(p);
		return -1;
	}
	return 0;
}

void plot_plan_release(struct plot_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct plot_plan_variant *v = &p->v[i];
		free(v->label);
		free(v->provisioner);
		free(v->group);
		free(v->verdict);
		free(v->reason);
		free(v->p99_p50);
		free(v->p99_p95);
		free(v->min_replicas);
		free(v->share);
		free(v->failures);
	}
	free(p->v);
	for (size_t i = 0; i < p->n_services; i++) {
		free(p->services[i]);
		if (p->formula)
			free(p->formula[i]);
	}
	free(p->services);
	free(p->formula);
	free(p->baseline);
	free(p->name);
	free(p->path);
	free(p->yaml);
	free(p->overrides);
	free(p->seed);
	free(p->status);
	free(p->recommendation);
	free(p->created_at);
	free(p->version);
	memset(p, 0, sizeof *p);
}

/* ---- Data ------------------------------------------------------------------------ */

static void num(FILE *out, double v)
{
	if (isnan(v))
		fputs(" NaN", out);
	else
		fprintf(out, " %.17g", v);
}

bool plot_plan_buffers(const struct plot_plan *p, double *x)
{
	if (p->n == 0)
		return false;
	for (size_t i = 0; i < p->n; i++) {
		double b;
		int used = -1;
		if (sscanf(p->v[i].label, "buffer=%lf%%%n", &b, &used) != 1 || used < 0 || p->v[i].label[used])
			return false;
		x[i] = b;
	}
	return true;
}

void plot_plan_sweep_data(const struct plot_plan *p, FILE *out)
{
	double *x = xmalloc((p->n + 1) * sizeof *x);
	bool buffers = plot_plan_buffers(p, x);
	fprintf(out, "# variant %s p_slo p_slo_low p_slo_high %s recommended runner_up\n", buffers ? "buffer_pct" : "x",
		p->has_cost ? "monthly_cost_usd" : "min_cores");
	for (size_t i = 0; i < p->n; i++) {
		const struct plot_plan_variant *v = &p->v[i];
		fprintf(out, "%d", v->variant);
		num(out, buffers ? x[i] : (double)v->variant);
		num(out, v->p);
		num(out, v->lo);
		num(out, v->hi);
		num(out, p->has_cost ? v->cost : v->min_cores);
		fprintf(out, " %d %d\n", v->variant == p->recommended, v->variant == p->runner_up);
	}
	free(x);
}

/* Distinct strings of the variants (provisioners or groups), in order of first appearance. */
static size_t distinct(const struct plot_plan *p, bool prov, const char **out)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++) {
		const char *s = prov ? p->v[i].provisioner : p->v[i].group;
		if (!s)
			continue;
		bool seen = false;
		for (size_t j = 0; j < n && !seen; j++)
			seen = !strcmp(out[j], s);
		if (!seen)
			out[n++] = s;
	}
	return n;
}

bool plot_plan_has_provisioners(const struct plot_plan *p)
{
	const char **provs = xmalloc((p->n + 1) * sizeof *provs);
	size_t n = distinct(p, true, provs);
	free(provs);
	return n >= 2;
}

void plot_plan_provisioner_data(const struct plot_plan *p, FILE *out)
{
	const char **provs = xmalloc((p->n + 1) * sizeof *provs), **groups = xmalloc((p->n + 1) * sizeof *groups);
	size_t np = distinct(p, true, provs), ng = distinct(p, false, groups);
	fputs("# group", out);
	for (size_t j = 0; j < np; j++)
		fprintf(out, " p_slo_%zu p_slo_low_%zu p_slo_high_%zu monthly_cost_usd_%zu", j + 1, j + 1, j + 1, j + 1);
	fputc('\n', out);
	for (size_t g = 0; g < ng; g++) {
		fprintf(out, "%zu", g);
		for (size_t j = 0; j < np; j++) {
			const struct plot_plan_variant *v = NULL;
			for (size_t i = 0; i < p->n && !v; i++)
				if (p->v[i].provisioner && !strcmp(p->v[i].provisioner, provs[j]) &&
				    !strcmp(p->v[i].group, groups[g]))
					v = &p->v[i];
			num(out, v ? v->p : NAN);
			num(out, v ? v->lo : NAN);
			num(out, v ? v->hi : NAN);
			num(out, v ? v->cost : NAN);
		}
		fputc('\n', out);
	}
	free(provs);
	free(groups);
}

/* ---- Scripts --------------------------------------------------------------------- */

#define C_P "#1f77b4"
#define C_COST "#7f7f7f"
#define C_TARGET "#d62728"
#define C_REC "#2ca02c"
#define C_RUNNER "#ff7f0e"
static const char *const C_PROV[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"};


/* The plan's --set overrides on one line, cut to about 90 bytes ("" without). */
static void short_sets(char *buf, size_t n, const char *overrides)
{
	size_t k = 0, max = n < 96 ? n - 1 : 90;
	buf[0] = '\0';
	for (const char *c = overrides; *c && k < max; c++)
		if (*c == '\n')
			k += (size_t)snprintf(buf + k, n - k, "%s", c[1] ? ", " : "");
		else
			buf[k++] = *c, buf[k] = '\0';
	if (k >= max) { /* cut at a character, not inside one */
		while (k > 0 && ((unsigned char)buf[k] & 0xc0) == 0x80)
			k--;
		snprintf(buf + k, n - k, "...");
	}
}

/* "payment-order-buffers, plan 1, seed 7, 200 runs per variant", and a
 * third line with the --set overrides, if any: plans of one scenario made
 * with different overrides must not look alike. */
static void plan_title(FILE *o, const char *set, const char *line1, const struct plot_plan *p)
{
	char line2[512], name[64], sets[128];
	snprintf(name, sizeof name, "%s", p->name);
	if (strlen(p->name) >= sizeof name) { /* cut at a character, not inside one */
		size_t n = sizeof name - 4;
		while (n > 0 && ((unsigned char)p->name[n] & 0xc0) == 0x80)
			n--;
		snprintf(name + n, sizeof name - n, "...");
	}
	snprintf(line2, sizeof line2, "%s, plan %lld, seed %s  ·  %d runs per variant  ·  target: lower bound ≥ %g%%",
		 name, (long long)p->id, p->seed, p->replications, 100 * p->target);
	fprintf(o, "%s ", set);
	plot_quote(o, line1);
	fputs(" . \"\\n\" . ", o);
	plot_quote(o, line2);
	short_sets(sets, sizeof sets, p->overrides);
	if (sets[0]) {
		char line3[160];
		snprintf(line3, sizeof line3, "--set %s", sets);
		fputs(" . \"\\n\" . ", o);
		plot_quote(o, line3);
	}
	fputs(" font 'sans,17'\n", o);
}

static void datablock(FILE *o, const char *name, const char *data, size_t n)
{
	fprintf(o, "$%s << EOD\n", name);
	fwrite(data, 1, n, o);
	fputs("EOD\n", o);
}

/* Variant labels as x tics, one line per axis ("buffer=100%" over
 * "provisioner=karpenter"): ('label' x, ...). Returns the most lines. */
static int label_tics(FILE *o, const char *const *labels, size_t n, double first, bool blank)
{
	int most = 1;
	fputs("set xtics (", o);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", o);
		if (blank) {
			fprintf(o, "'' %g", first + (double)i);
			continue;
		}
		/* A tic label is a format: '%' must be doubled. */
		char *esc = xmalloc(2 * strlen(labels[i]) + 1), *q = esc;
		for (const char *c = labels[i]; *c; c++)
			if ((*q++ = *c) == '%')
				*q++ = '%';
		*q = '\0';
		int lines = 1;
		for (char *w = esc, *sp; w; w = sp) {
			sp = strchr(w, ' ');
			if (sp)
				*sp++ = '\0';
			if (w != esc) {
				fputs(" . \"\\n\" . ", o);
				lines++;
			}
			char *eq = strchr(w, '='); /* the value only: the axis names are in the axis label */
			plot_quote(o, eq && eq[1] ? eq + 1 : w);
		}
		most = HR_MAX(most, lines);
		fprintf(o, " %g", first + (double)i);
		free(esc);
	}
	fputs(")\n", o);
	return most;
}

/* The axis names of a label ("buffer=100% provisioner=karpenter" -> "buffer / provisioner"), quoted, then a newline. */
static void axis_names(FILE *o, const char *label, int lines)
{
	char buf[512] = "";
	size_t k = 0;
	for (const char *w = label; *w && k < sizeof buf;) {
		const char *sp = strchr(w, ' '), *eq = strchr(w, '=');
		size_t len = sp ? (size_t)(sp - w) : strlen(w);
		if (eq && eq < w + len)
			len = (size_t)(eq - w);
		k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%.*s", k ? " / " : "", (int)len, w);
		if (!sp)
			break;
		w = sp + 1;
	}
	plot_quote(o, strchr(label, '=') ? buf : "variant");
	fprintf(o, " offset 0, %d\n", 1 - lines);
}

/* A label cut to fit the legend. */
static void legend_label(char *buf, size_t n, const char *what, const char *label)
{
	size_t len = strlen(label), max = 26;
	if (len <= max) {
		snprintf(buf, n, "%s: %s", what, label);
		return;
	}
	while (max > 0 && ((unsigned char)label[max] & 0xc0) == 0x80)
		max--;
	snprintf(buf, n, "%s: %.*s...", what, (int)max, label);
}

static const char *label_of(const struct plot_plan *p, int variant)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].variant == variant)
			return p->v[i].label;
	return "?";
}

/* About how many characters of tic labels the sweep chart's x axis holds. */
#define SWEEP_AXIS_CHARS 64

/* Whether the variants' values (label_tics' lines) would run into each
 * other: the longest value wider than a variant's share of the axis. */
static bool tics_crowded(const struct plot_plan *p)
{
	size_t widest = 0;
	for (size_t i = 0; i < p->n; i++)
		for (const char *w = p->v[i].label; *w;) {
			const char *sp = strchr(w, ' '), *eq = strchr(w, '=');
			const char *end = sp ? sp : w + strlen(w);
			const char *value = eq && eq < end && eq[1] ? eq + 1 : w; /* label_tics shows the value */
			widest = HR_MAX(widest, (size_t)(end - value));
			w = sp ? sp + 1 : end;
		}
	return (widest + 2) * p->n > SWEEP_AXIS_CHARS;
}

/* Crowded tics: the variants' numbers on the axis, and "1  label" for each
 * under the key, in the right-hand column. */
static void numbered_tics(FILE *o, const struct plot_plan *p)
{
	fputs("set xtics (", o);
	for (size_t i = 0; i < p->n; i++)
		fprintf(o, "%s'%d' %d", i ? ", " : "", p->v[i].variant, p->v[i].variant);
	fputs(")\nset bmargin at screen 0.16\nset xlabel 'variant (numbered at the right)'\n", o);
	size_t shown = HR_MIN(p->n, (size_t)16);
	for (size_t i = 0; i < shown; i++) {
		char line[160];
		snprintf(line, sizeof line, "%d  %.60s%s", p->v[i].variant, p->v[i].label,
			 strlen(p->v[i].label) > 60 ? "..." : "");
		fputs("set label ", o);
		plot_quote(o, line);
		fprintf(o, " at screen 0.70, screen %.3f left font 'sans,12' noenhanced\n", 0.52 - 0.032 * (double)i);
	}
	if (shown < p->n)
		fprintf(o, "set label '... %zu more: the table of headroom report --plan' at screen 0.70, screen %.3f "
			   "left font 'sans,12'\n", p->n - shown, 0.52 - 0.032 * (double)shown);
}

static void sweep_script(FILE *o, const struct plot_plan *p, const char *data, size_t n)
{
	double *x = xmalloc((p->n + 1) * sizeof *x);
	bool buffers = plot_plan_buffers(p, x);
	datablock(o, "data", data, n);
	plan_title(o, "set multiplot title", "P(SLO met) and cost per variant", p);
	fputs("set lmargin at screen 0.09\nset rmargin at screen 0.60\nset tmargin at screen 0.85\n", o);
	fputs("set key at screen 0.70, screen 0.85 left top vertical Left reverse samplen 2 spacing 1.3 width -2\n", o);
	fputs("set ylabel 'P(SLO met), % of runs'\nset yrange [0:105]\nset ytics 0, 10, 100 nomirror\n", o);
	fprintf(o, "set y2label '%s'\nset y2range [0:*]\nset y2tics nomirror\nset format y2 '%s'\n",
		p->has_cost ? "cost a month, USD (docs/cost.md)" : "cores reserved (minReplicas × CPU request)",
		p->has_cost ? "$%g" : "%g");
	if (buffers) {
		double lo = x[0], hi = x[0];
		for (size_t i = 1; i < p->n; i++) {
			lo = fmin(lo, x[i]);
			hi = fmax(hi, x[i]);
		}
		double pad = hi > lo ? (hi - lo) * 0.08 : 10;
		fprintf(o, "set xrange [%g:%g]\nset format x '%%g%%%%'\n", lo - pad, hi + pad);
		fputs("set xlabel 'buffer: minReplicas as a share of the baseline (ceil(baseline × buffer))'\n", o);
		bool crowded = false; /* two buffers closer than an eighth of the range: tilt their labels */
		for (size_t i = 0; i < p->n; i++)
			for (size_t j = 0; j < i; j++)
				crowded = crowded || fabs(x[i] - x[j]) < (hi - lo) / 8;
		if (crowded)
			fputs("set xtics rotate by -35\n", o);
		fprintf(o, "set bmargin at screen %.2f\nset xtics (", crowded ? 0.19 : 0.16);
		for (size_t i = 0; i < p->n; i++)
			fprintf(o, "%s%g", i ? ", " : "", x[i]);
		fputs(")\n", o);
	} else {
		const char **labels = xmalloc((p->n + 1) * sizeof *labels);
		for (size_t i = 0; i < p->n; i++)
			labels[i] = p->v[i].label;
		fprintf(o, "set xrange [%g:%g]\n", p->v[0].variant - 0.5, p->v[p->n - 1].variant + 0.5);
		if (tics_crowded(p)) {
			numbered_tics(o, p);
		} else {
			int lines = label_tics(o, labels, p->n, p->v[0].variant, false);
			fprintf(o, "set bmargin at screen %.3f\nset xlabel ", 0.10 + 0.045 * lines);
			axis_names(o, p->v[0].label, lines);
		}
		free(labels);
	}
	/* The recommendation and runner-up named beside their points. */
	for (size_t i = 0; i < p->n; i++) {
		const struct plot_plan_variant *v = &p->v[i];
		bool rec = v->variant == p->recommended, ru = v->variant == p->runner_up;
		if ((!rec && !ru) || isnan(v->p))
			continue;
		fprintf(o, "set label '%s' at %.17g, first %.17g center offset 0, %s tc rgb '%s' font 'sans,15'\n",
			rec ? "recommended" : "runner-up", buffers ? x[i] : (double)v->variant, 100 * v->p,
			v->p > 0.85 ? "-2.6" : "2.6", rec ? C_REC : C_RUNNER);
	}
	fputs("plot ", o);
	fputs("$data using 2:($3*100):($4*100):($5*100) with yerrorbars lw 2 pt 7 ps 1.6 lc '" C_P "' "
	      "title 'P(SLO met), 95% interval', \\\n", o);
	if (buffers)
		fputs("  $data using 2:($3*100) with lines lw 2 lc '" C_P "' notitle, \\\n", o);
	fprintf(o, "  %.17g with lines lw 2.5 dt 2 lc '%s' title 'target: %g%%', \\\n",
		100 * p->target, C_TARGET, 100 * p->target);
	fprintf(o, "  $data using 2:6 axes x1y2 with linespoints lw 2 dt 4 pt 5 ps 1.3 lc '%s' title '%s', \\\n", C_COST,
		p->has_cost ? "cost a month (right axis)" : "cores (right axis)");
	fputs("  $data using 2:($7 > 0 ? $3*100 : NaN) with points pt 6 ps 4.5 lw 3 lc '" C_REC "' title ", o);
	if (p->recommended)
		{
		char buf[256];
		legend_label(buf, sizeof buf, "recommended", label_of(p, p->recommended));
		plot_quote(o, buf);
	}
	else
		plot_quote(o, "recommended: none");
	fputs(", \\\n  $data using 2:($8 > 0 ? $3*100 : NaN) with points pt 6 ps 3.5 lw 2.5 lc '" C_RUNNER "' title ", o);
	if (p->runner_up)
		{
		char buf[256];
		legend_label(buf, sizeof buf, "runner-up", label_of(p, p->runner_up));
		plot_quote(o, buf);
	}
	else
		plot_quote(o, "runner-up: none");
	fputc('\n', o);
	free(x);
}

static void provisioner_script(FILE *o, const struct plot_plan *p, const char *data, size_t n)
{
	const char **provs = xmalloc((p->n + 1) * sizeof *provs), **groups = xmalloc((p->n + 1) * sizeof *groups);
	size_t np = distinct(p, true, provs), ng = distinct(p, false, groups);
	bool one_group = ng == 1 && !groups[0][0];
	datablock(o, "data", data, n);
	plan_title(o, "set multiplot title", "Provisioners compared: P(SLO met) and cost", p);
	fputs("set style data histogram\nset style fill solid 0.85 border -1\nset boxwidth 0.9\n", o);
	fprintf(o, "set xrange [-0.6:%g]\n", (double)ng - 0.4);
	fputs("set lmargin at screen 0.10\nset rmargin at screen 0.70\n", o);
	/* Top: P(SLO met) with its interval. */
	fputs("set tmargin at screen 0.84\nset bmargin at screen 0.52\n", o);
	fputs("set style histogram errorbars gap 1.5 lw 2\n", o);
	fputs("set key at screen 0.73, screen 0.84 left top vertical Left reverse samplen 2 spacing 1.3 width -2\n", o);
	fputs("set ylabel 'P(SLO met), %'\nset yrange [0:105]\nset ytics 0, 20, 100\n", o);
	label_tics(o, groups, ng, 0, true);
	fputs("plot ", o);
	for (size_t j = 0; j < np; j++) {
		fprintf(o, "$data using ($%zu*100):($%zu*100):($%zu*100) lc '%s' title ", 2 + 4 * j, 3 + 4 * j, 4 + 4 * j,
			C_PROV[j % ARRAY_LEN(C_PROV)]);
		plot_quote(o, provs[j]);
		fputs(", \\\n  ", o);
	}
	fprintf(o, "%.17g with lines lw 2.5 dt 2 lc '%s' title 'target: %g%%'\n", 100 * p->target, C_TARGET,
		100 * p->target);
	/* Bottom: the monthly cost. */
	fputs("set tmargin at screen 0.46\nset bmargin at screen 0.16\n", o);
	fputs("set style histogram clustered gap 1.5\nunset key\n", o);
	fputs("set ylabel 'USD per month'\nset yrange [0:*]\nset ytics autofreq\nset format y '$%g'\n", o);
	int lines = 1;
	if (one_group)
		fputs("set xtics ('all variants' 0)\n", o);
	else
		lines = label_tics(o, groups, ng, 0, false);
	fputs("set xlabel ", o);
	if (one_group)
		fputs("''\n", o);
	else
		axis_names(o, groups[0], lines);
	fputs("plot ", o);
	for (size_t j = 0; j < np; j++)
		fprintf(o, "%s$data using %zu lc '%s' notitle", j ? ", \\\n  " : "", 5 + 4 * j,
			C_PROV[j % ARRAY_LEN(C_PROV)]);
	fputs("\nunset multiplot\n", o);
	free(provs);
	free(groups);
}

int plot_plan_script(const struct plot_plan *p, enum plot_kind kind, enum plot_format fmt, FILE *out, char *note,
		     size_t note_len)
{
	if (p->n == 0) {
		snprintf(note, note_len, "plan %lld has no results yet (status %s)", (long long)p->id, p->status);
		return 0;
	}
	if (kind == PLOT_PROVISIONERS && !plot_plan_has_provisioners(p)) {
		snprintf(note, note_len, "the plan compares no provisioners (no cluster.provisioner axis)");
		return 0;
	}
	char *data = NULL;
	size_t n = 0;
	FILE *d = open_memstream(&data, &n);
	if (kind == PLOT_SWEEP)
		plot_plan_sweep_data(p, d);
	else
		plot_plan_provisioner_data(p, d);
	fclose(d);
	plot_script_head(out, fmt);
	if (kind == PLOT_SWEEP)
		sweep_script(out, p, data, n);
	else
		provisioner_script(out, p, data, n);
	free(data);
	return 1;
}

int plot_plan_all(const struct plot_plan *p, enum plot_format fmt, const char *dir, const char *prefix, bool scripts,
		  struct plot_chart **charts, size_t *n_charts, struct herr *e)
{
	static const enum plot_kind kinds[] = {PLOT_SWEEP, PLOT_PROVISIONERS};
	*charts = xcalloc(ARRAY_LEN(kinds), sizeof **charts);
	*n_charts = 0;
	if (plot_mkdirs(dir, e))
		return -1;
	for (size_t k = 0; k < ARRAY_LEN(kinds); k++) {
		struct plot_chart *c = &(*charts)[(*n_charts)++];
		c->kind = kinds[k];
		c->service = "";
		char *script = NULL;
		size_t len = 0;
		FILE *o = open_memstream(&script, &len);
		int rc = plot_plan_script(p, c->kind, fmt, o, c->note, sizeof c->note);
		fclose(o);
		if (rc == 1) {
			size_t n = strlen(dir) + strlen(prefix) + 32;
			c->path = xmalloc(n);
			snprintf(c->path, n, "%s/%s%s.%s", dir, prefix, plot_kind_name(c->kind),
				 fmt == PLOT_PNG ? "png" : "svg");
			if (plot_draw(script, len, fmt, c->path, scripts, e)) {
				free(c->path);
				c->path = NULL;
				free(script);
				return -1;
			}
		}
		free(script);
	}
	return 0;
}
