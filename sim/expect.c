/*
 * expect.c: expectations (`payment.p99 <= 200ms`): the metric table, the
 * parser, the results a run leaves for them, evaluation, and the key
 * figures of a baseline. See expect.h.
 */
#include "expect.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_impl.h"
#include "units.h"

/* The metric table, in the order of enum metric. */
enum metric {
	M_P50, M_P90, M_P99, M_P999, M_MEAN, M_MAX,
	M_ERROR_RATE, M_TIMEOUT_RATE, M_CPU_UTIL, M_VIOLATION_MINUTES, M_SLO_MET,
	M_PODS_STARTED, M_POD_START_P50, M_POD_START_P99,
	M_REPLICAS_MAX, M_READY_MIN, M_INTERVAL_P99_MAX,
	M_RO_ROLLED_BACK, M_RO_PROMOTED, M_RO_ROLLBACK, M_RO_EXTRA_POD_HOURS, M_RO_EXTRA_NODE_HOURS, M_RO_EXTRA_COST,
	M_COST_USD, M_COST_MONTHLY, M_NODES_MAX, M_NODES_HOURS,
	M_PLAN_BUFFER, M_PLAN_REC_P, M_PLAN_REC_COST, M_PLAN_VAR_P, M_PLAN_VAR_LOWER, M_PLAN_VAR_COST,
	M_KAFKA_MAX_LAG, M_KAFKA_DLT, M_KAFKA_P99, M_KAFKA_REBALANCES, M_SAGA_P50, M_SAGA_P99, M_SAGA_FAILED,
	M_KAFKA_SLO_MET,
	N_METRICS
};

struct metric_def {
	const char *name;
	bool per_service;
	enum exp_unit unit;
	const char *none; /* why it can have no value */
	bool plan;        /* a plan's figure (plan.*) */
};

static const struct metric_def metrics[N_METRICS] = {
	[M_P50] = {"p50", true, EXP_MS, "no request was answered"},
	[M_P90] = {"p90", true, EXP_MS, "no request was answered"},
	[M_P99] = {"p99", true, EXP_MS, "no request was answered"},
	[M_P999] = {"p999", true, EXP_MS, "no request was answered"},
	[M_MEAN] = {"mean", true, EXP_MS, "no request was answered"},
	[M_MAX] = {"max", true, EXP_MS, "no request was answered"},
	[M_ERROR_RATE] = {"error_rate", true, EXP_FRACTION, "the service has no summary"},
	[M_TIMEOUT_RATE] = {"timeout_rate", true, EXP_FRACTION, "the service has no summary"},
	[M_CPU_UTIL] = {"cpu_util", true, EXP_FRACTION, "the service has no summary"},
	[M_VIOLATION_MINUTES] = {"violation_minutes", true, EXP_MINUTES, "the service has no summary"},
	[M_SLO_MET] = {"slo_met", true, EXP_BOOL, "the service has no objective"},
	[M_PODS_STARTED] = {"pods_started", true, EXP_COUNT, "the service has no summary"},
	[M_POD_START_P50] = {"pod_start.p50", true, EXP_SECONDS, "no pod started during the run"},
	[M_POD_START_P99] = {"pod_start.p99", true, EXP_SECONDS, "no pod started during the run"},
	[M_REPLICAS_MAX] = {"replicas.max", true, EXP_COUNT, "the run has no sample"},
	[M_READY_MIN] = {"ready.min", true, EXP_COUNT, "the run has no sample"},
	[M_INTERVAL_P99_MAX] = {"interval_p99.max", true, EXP_MS, "no interval answered a request"},
	[M_RO_ROLLED_BACK] = {"rollout.rolled_back", true, EXP_BOOL, "the service has no rollout"},
	[M_RO_PROMOTED] = {"rollout.promoted", true, EXP_BOOL, "the service has no rollout"},
	[M_RO_ROLLBACK] = {"rollout.rollback", true, EXP_SECONDS, "the rollout was not rolled back"},
	[M_RO_EXTRA_POD_HOURS] = {"rollout.extra_pod_hours", true, EXP_HOURS, "the service has no rollout"},
	[M_RO_EXTRA_NODE_HOURS] = {"rollout.extra_node_hours", true, EXP_HOURS,
				   "the service has no rollout, or the run no cluster"},
	[M_RO_EXTRA_COST] = {"rollout.extra_cost", true, EXP_USD, "the service has no rollout, or the run no cluster"},
	[M_COST_USD] = {"cost.usd", false, EXP_USD, "the run has no cluster"},
	[M_COST_MONTHLY] = {"cost.monthly", false, EXP_USD, "the run has no cluster"},
	[M_NODES_MAX] = {"nodes.max", false, EXP_COUNT, "the run has no cluster"},
	[M_NODES_HOURS] = {"nodes.hours", false, EXP_HOURS, "the run has no cluster"},
	[M_PLAN_BUFFER] = {"buffer", false, EXP_FRACTION, "the recommended variant gives the service no buffer", true},
	[M_PLAN_REC_P] = {"slo_probability", false, EXP_FRACTION, "no variant meets the target", true},
	[M_PLAN_REC_COST] = {"monthly_cost", false, EXP_USD, "the plan has no cost (no cluster)", true},
	[M_PLAN_VAR_P] = {"slo_probability", false, EXP_FRACTION, "the variant has no run", true},
	[M_PLAN_VAR_LOWER] = {"slo_lower", false, EXP_FRACTION, "the variant has no run", true},
	[M_PLAN_VAR_COST] = {"monthly_cost", false, EXP_USD, "the plan has no cost (no cluster)", true},
	/* Kafka (models/kafka.h): over the service's consumer groups, and the run's sagas. */
	[M_KAFKA_MAX_LAG] = {"kafka.max_lag", true, EXP_COUNT, "the service consumes no Kafka topic"},
	[M_KAFKA_DLT] = {"kafka.dlt", true, EXP_COUNT, "the service consumes no Kafka topic"},
	[M_KAFKA_P99] = {"kafka.p99", true, EXP_MS, "the service committed no message"},
	[M_KAFKA_REBALANCES] = {"kafka.rebalances", true, EXP_COUNT, "the service consumes no Kafka topic"},
	[M_SAGA_P50] = {"saga.p50", false, EXP_MS, "no saga completed"},
	[M_SAGA_P99] = {"saga.p99", false, EXP_MS, "no saga completed"},
	[M_SAGA_FAILED] = {"saga.failed", false, EXP_COUNT, "no saga started"},
	[M_KAFKA_SLO_MET] = {"kafka.slo_met", true, EXP_BOOL, "no consumer group of the service has an slo"},
};

static const char *const plan_names[] = {
	"plan.recommended.slo_probability", "plan.recommended.monthly_cost",
	"plan.recommended.services.SERVICE.buffer", "plan.variants[AXIS=VALUE].slo_probability",
	"plan.variants[AXIS=VALUE].slo_lower", "plan.variants[AXIS=VALUE].monthly_cost", NULL,
};

/* The service metrics' names, NULL-terminated, for did-you-mean. */
static const char *const service_names[] = {
	"p50", "p90", "p99", "p999", "mean", "max", "error_rate", "timeout_rate", "cpu_util",
	"violation_minutes", "slo_met", "pods_started", "pod_start.p50", "pod_start.p99",
	"replicas.max", "ready.min", "interval_p99.max", "rollout.rolled_back", "rollout.promoted", "rollout.rollback",
	"rollout.extra_pod_hours", "rollout.extra_node_hours", "rollout.extra_cost",
	"kafka.max_lag", "kafka.dlt", "kafka.p99", "kafka.rebalances", "kafka.slo_met", NULL,
};
static const char *const run_names[] = {"cost.usd", "cost.monthly", "nodes.max", "nodes.hours", NULL};

const char *expect_metric_name(int metric)
{
	return metric >= 0 && metric < N_METRICS ? metrics[metric].name : "?";
}

enum exp_unit expect_metric_unit(int metric)
{
	return metrics[metric].unit;
}

bool expect_metric_per_service(int metric)
{
	return metrics[metric].per_service;
}

bool expect_metric_is_plan(int metric)
{
	return metric >= 0 && metric < N_METRICS && metrics[metric].plan;
}

bool expect_has_plan(const struct scenario *sc)
{
	for (size_t i = 0; i < sc->n_expects; i++)
		if (metrics[sc->expects[i].metric].plan)
			return true;
	return false;
}

const char *expect_none_why(int metric)
{
	return metrics[metric].none;
}

void expect_metric_path(char *buf, size_t n, const struct scenario *sc, int metric, int service)
{
	if (metrics[metric].plan)
		snprintf(buf, n, "plan.%s", metrics[metric].name); /* the expectation's own path is in expect.path */
	else if (metrics[metric].per_service)
		snprintf(buf, n, "%s.%s", sc->services[service].name, metrics[metric].name);
	else
		snprintf(buf, n, "%s", metrics[metric].name);
}

const char *expect_op_text(enum exp_op op)
{
	static const char *const ops[] = {"<=", "<", ">=", ">", "==", "!="};
	return ops[op];
}

/* A number with about four significant digits, without an exponent for
 * the values a run produces. */
static void fmt_num(char *buf, size_t n, double v)
{
	if (fabs(v) >= 1000 || v == floor(v))
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.4g", v);
}

void expect_fmt(char *buf, size_t n, enum exp_unit u, double v)
{
	static const char *const suffix[] = {
		[EXP_MS] = " ms", [EXP_FRACTION] = " %", [EXP_SECONDS] = " s", [EXP_MINUTES] = " min",
		[EXP_COUNT] = "", [EXP_USD] = " USD", [EXP_HOURS] = " h", [EXP_BOOL] = "",
	};
	char num[64];
	if (isnan(v)) {
		snprintf(buf, n, "none");
		return;
	}
	if (u == EXP_BOOL) {
		snprintf(buf, n, "%s", v != 0 ? "true" : "false");
		return;
	}
	if (u == EXP_USD && v > 0 && v < 0.995) /* a rollout's extra cost is cents: 0.00255, not 0.00 */
		snprintf(num, sizeof num, "%.3g", v);
	else if (u == EXP_USD)
		snprintf(num, sizeof num, "%.2f", v);
	else
		fmt_num(num, sizeof num, u == EXP_FRACTION ? 100 * v : v);
	snprintf(buf, n, "%s%s", num, suffix[u]);
}

/* ---- parsing ---- */

struct parse {
	const struct scenario *sc;
	const char *text; /* the whole expectation */
	char *why;
	size_t why_len;
	size_t *at;
};

static int fail(struct parse *P, const char *where, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct parse *P, const char *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(P->why, P->why_len, fmt, ap);
	va_end(ap);
	*P->at = (size_t)(where - P->text);
	return -1;
}

/* Appends to the message in P->why, within its size. */
static void add(struct parse *P, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct parse *P, const char *fmt, ...)
{
	size_t k = strlen(P->why);
	if (k + 1 >= P->why_len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(P->why + k, P->why_len - k, fmt, ap);
	va_end(ap);
}

/* "; valid metrics: SERVICE.{p50, ...} for SERVICE in a, b; cost.usd, ..."
 * appended to the message. */
static void add_valid(struct parse *P)
{
	add(P, "; valid metrics: SERVICE.{");
	for (size_t i = 0; service_names[i]; i++)
		add(P, "%s%s", i ? ", " : "", service_names[i]);
	add(P, "} with SERVICE one of ");
	const struct scenario *sc = P->sc;
	for (size_t i = 0; i < sc->n_services && i < 20; i++)
		add(P, "%s%s", i ? ", " : "", sc->services[i].name);
	if (sc->n_services > 20)
		add(P, ", ... (%zu services)", sc->n_services);
	if (sc->cluster.enabled)
		for (size_t i = 0; run_names[i]; i++)
			add(P, "; %s", run_names[i]);
	else
		add(P, " (cost.* and nodes.* need a cluster)");
}

static int find_metric(const char *name, size_t len, bool per_service)
{
	for (int m = 0; m < N_METRICS; m++)
		if (!metrics[m].plan && metrics[m].per_service == per_service && strlen(metrics[m].name) == len &&
		    !strncmp(metrics[m].name, name, len))
			return m;
	return -1;
}

/* "; valid plan metrics: ..." appended to the message. */
static void add_valid_plan(struct parse *P)
{
	add(P, "; valid plan metrics: ");
	for (size_t i = 0; plan_names[i]; i++)
		add(P, "%s%s", i ? ", " : "", plan_names[i]);
}

/* Whether a sweep value as written (a) and one as an expectation writes it
 * (b) are the same: the same text, or the same fraction (140% and 1.4) or
 * duration (90s and 1m30s). */
static bool same_value(const char *a, const char *b)
{
	char why[UNITS_WHY];
	double x, y;
	simtime s, t;
	if (!strcmp(a, b))
		return true;
	if (!units_fraction(a, &x, why) && !units_fraction(b, &y, why))
		return fabs(x - y) <= 1e-9 * fmax(1, fabs(x));
	if (!units_duration(a, &s, why) && !units_duration(b, &t, why))
		return s == t;
	return false;
}

/* The axis named s (len bytes) of sc's sweep, or -1: by its name (a key,
 * or a group's name), else by the last part of a key when only one axis
 * ends so (buffer for services.payment.buffer). */
static int find_axis(const struct scenario *sc, const char *s, size_t len)
{
	int found = -1, n = 0;
	for (size_t a = 0; a < sc->sweep.n_axes; a++)
		if (strlen(sc->sweep.axes[a]) == len && !strncmp(sc->sweep.axes[a], s, len))
			return (int)a;
	for (size_t a = 0; a < sc->sweep.n_axes; a++) {
		const char *dot = strrchr(sc->sweep.axes[a], '.');
		if (dot && strlen(dot + 1) == len && !strncmp(dot + 1, s, len)) {
			found = (int)a;
			n++;
		}
	}
	return n == 1 ? found : -1;
}

/* "; its values: 100%, 140%" (each once, in variant order) appended. */
static void add_axis_values(struct parse *P, int a)
{
	const struct scenario *sc = P->sc;
	add(P, "; the values of '%s': ", sc->sweep.axes[a]);
	size_t shown = 0;
	for (size_t v = 0; v < sc->n_variants; v++) {
		const char *val = sc->variants[v].values[a];
		bool seen = false;
		for (size_t w = 0; w < v && !seen; w++)
			seen = !strcmp(sc->variants[w].values[a], val);
		if (!seen)
			add(P, "%s%s", shown++ ? ", " : "", val);
	}
}

/* The selector sel (len bytes, between [ and ]) of plan.variants[...]:
 * AXIS=VALUE pairs separated by commas that pick one variant, into
 * x->variant. */
static int resolve_selector(struct parse *P, const char *sel, size_t len, struct expect *x)
{
	const struct scenario *sc = P->sc;
	bool *ok = xcalloc(sc->n_variants, sizeof *ok);
	for (size_t v = 0; v < sc->n_variants; v++)
		ok[v] = true;
	const char *p = sel, *end = sel + len;
	int rc = 0;
	while (!rc) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		const char *comma = memchr(p, ',', (size_t)(end - p)), *stop = comma ? comma : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		const char *ke = eq ? eq : stop;
		while (ke > p && isspace((unsigned char)ke[-1]))
			ke--;
		if (!eq || ke == p) {
			rc = fail(P, p, "plan.variants[...] picks a variant by its sweep values: [AXIS=VALUE], e.g. [%s=%s]",
				  sc->sweep.axes[0], sc->variants[0].values[0]);
			add(P, "; the sweep's axes: ");
			for (size_t a = 0; a < sc->sweep.n_axes; a++)
				add(P, "%s%s", a ? ", " : "", sc->sweep.axes[a]);
			break;
		}
		int a = find_axis(sc, p, (size_t)(ke - p));
		if (a < 0) {
			rc = fail(P, p, "unknown sweep axis '%.*s'; the sweep's axes: ", (int)(ke - p), p);
			for (size_t b = 0; b < sc->sweep.n_axes; b++)
				add(P, "%s%s", b ? ", " : "", sc->sweep.axes[b]);
			break;
		}
		const char *vs = eq + 1, *ve = stop;
		while (vs < ve && isspace((unsigned char)*vs))
			vs++;
		while (ve > vs && isspace((unsigned char)ve[-1]))
			ve--;
		char val[EXPECT_TEXT_MAX];
		snprintf(val, sizeof val, "%.*s", (int)(ve - vs), vs);
		bool any = false;
		for (size_t v = 0; v < sc->n_variants; v++) {
			bool m = same_value(sc->variants[v].values[a], val);
			any |= m;
			ok[v] &= m;
		}
		if (!any) {
			rc = fail(P, vs, "no variant of the sweep has %s=%s", sc->sweep.axes[a], val);
			add_axis_values(P, a);
			break;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	size_t n = 0, pick = 0;
	for (size_t v = 0; v < sc->n_variants && !rc; v++)
		if (ok[v]) {
			n++;
			pick = v;
		}
	if (!rc && n != 1) {
		rc = n ? fail(P, sel, "[%.*s] matches %zu variants of the sweep; give a value for each axis (",
			      (int)len, sel, n)
		       : fail(P, sel, "no variant of the sweep has all of [%.*s] (", (int)len, sel);
		for (size_t b = 0; b < sc->sweep.n_axes; b++)
			add(P, "%s%s", b ? ", " : "", sc->sweep.axes[b]);
		add(P, "), e.g. [");
		for (size_t b = 0; b < sc->sweep.n_axes; b++)
			add(P, "%s%s=%s", b ? "," : "", sc->sweep.axes[b], sc->variants[0].values[b]);
		add(P, "]");
	}
	free(ok);
	if (!rc)
		x->variant = (int)pick + 1;
	return rc;
}

/* Resolves a plan.* metric: name (a NUL-terminated copy of tok, len bytes). */
static int resolve_plan(struct parse *P, const char *tok, const char *name, size_t len, struct expect *x)
{
	const struct scenario *sc = P->sc;
	snprintf(x->path, sizeof x->path, "%s", name);
	if (!sc->sweep.enabled)
		return fail(P, tok, "'%s': plan expectations need a sweep: (the variants a plan compares, see "
				    "scenarios/README.md); this scenario has none", name);
	const char *rest = name + 5;
	if (strncmp(name, "plan.", 5)) {
		fail(P, tok, "unknown plan metric '%s'", name);
		add_valid_plan(P);
		return -1;
	}
	if (!strncmp(rest, "recommended.", 12)) {
		const char *r = rest + 12;
		if (!strcmp(r, "slo_probability"))
			x->metric = M_PLAN_REC_P;
		else if (!strcmp(r, "monthly_cost"))
			x->metric = M_PLAN_REC_COST;
		else if (!strncmp(r, "services.", 9)) {
			const char *svc = r + 9, *dot = strrchr(svc, '.');
			if (!dot || strcmp(dot, ".buffer")) {
				fail(P, tok, "unknown plan metric '%s'", name);
				add_valid_plan(P);
				return -1;
			}
			char s[EXPECT_TEXT_MAX];
			snprintf(s, sizeof s, "%.*s", (int)(dot - svc), svc);
			int i = scn_service_index(sc, s);
			if (i < 0) {
				fail(P, tok + (svc - name), "'%s': no service '%s'; the services: ", name, s);
				for (size_t k = 0; k < sc->n_services && k < 20; k++)
					add(P, "%s%s", k ? ", " : "", sc->services[k].name);
				return -1;
			}
			x->metric = M_PLAN_BUFFER;
			x->service = i;
		} else {
			fail(P, tok, "unknown plan metric '%s'", name);
			add_valid_plan(P);
			return -1;
		}
	} else if (!strncmp(rest, "variants[", 9)) {
		const char *sel = rest + 9, *close = strchr(sel, ']');
		if (!close)
			return fail(P, tok + (sel - name), "'%s': the [AXIS=VALUE] of plan.variants is not closed", name);
		const char *m = close + 1;
		if (!strcmp(m, ".slo_probability"))
			x->metric = M_PLAN_VAR_P;
		else if (!strcmp(m, ".slo_lower"))
			x->metric = M_PLAN_VAR_LOWER;
		else if (!strcmp(m, ".monthly_cost"))
			x->metric = M_PLAN_VAR_COST;
		else {
			fail(P, tok + (m - name), "unknown metric '%s' of a plan variant; valid: slo_probability, slo_lower, "
						   "monthly_cost", *m == '.' ? m + 1 : m);
			return -1;
		}
		if (resolve_selector(P, tok + (sel - name), (size_t)(close - sel), x))
			return -1;
	} else {
		fail(P, tok, "unknown plan metric '%s'", name);
		add_valid_plan(P);
		return -1;
	}
	(void)len;
	x->service = x->metric == M_PLAN_BUFFER ? x->service : -1;
	if ((x->metric == M_PLAN_REC_COST || x->metric == M_PLAN_VAR_COST) && !sc->cluster.enabled)
		return fail(P, tok, "'%s' needs a cluster (cluster: nodes or a provisioner); this scenario has none", name);
	return 0;
}

/* Resolves the metric tok (len bytes) into x->metric and x->service. */
static int resolve(struct parse *P, const char *tok, size_t len, struct expect *x)
{
	char name[EXPECT_TEXT_MAX];
	memcpy(name, tok, len);
	name[len] = '\0';
	const char *dot = strchr(name, '.');
	size_t hlen = dot ? (size_t)(dot - name) : len;
	char head[EXPECT_TEXT_MAX];
	memcpy(head, name, hlen);
	head[hlen] = '\0';
	int svc = scn_service_index(P->sc, head);
	/* A service's metric first: a service may be called cost or nodes. */
	if (svc >= 0 && dot) {
		int m = find_metric(dot + 1, strlen(dot + 1), true);
		if (m >= 0) {
			const struct scn_service *s = &P->sc->services[svc];
			bool consumes = false;
			for (size_t i = 0; i < P->sc->kafka.n_consumers; i++)
				consumes |= P->sc->kafka.consumers[i].service == svc;
			if (((m >= M_KAFKA_MAX_LAG && m <= M_KAFKA_REBALANCES) || m == M_KAFKA_SLO_MET) && !consumes)
				return fail(P, tok, "'%s': service '%s' consumes no Kafka topic (kafka.consumers)", name, head);
			bool group_slo = false;
			for (size_t i = 0; i < P->sc->kafka.n_consumers; i++)
				group_slo |= P->sc->kafka.consumers[i].service == svc && P->sc->kafka.consumers[i].has_slo;
			if (m >= M_RO_ROLLED_BACK && m <= M_RO_EXTRA_COST && !s->delivery)
				return fail(P, tok, "'%s': service '%s' has no rollout (give it rollout:)", name, head);
			if ((m == M_RO_EXTRA_NODE_HOURS || m == M_RO_EXTRA_COST) && !P->sc->cluster.enabled)
				return fail(P, tok, "'%s' needs a cluster (cluster: nodes or a provisioner); this scenario has none",
					    name);
			if (m == M_KAFKA_SLO_MET && !group_slo)
				return fail(P, tok, "'%s': no consumer group of service '%s' has an slo (give one slo: {p99: 30s})",
					    name, head);
			if ((m == M_SLO_MET || m == M_VIOLATION_MINUTES) && !s->slo.has_latency && !s->slo.has_errors)
				return fail(P, tok, "'%s': service '%s' has no slo, so nothing to meet (give it slo: {p99: ..., error_rate: ...})",
					    name, head);
			x->metric = m;
			x->service = svc;
			return 0;
		}
	}
	if (!strcmp(head, "plan") || !strncmp(name, "plan[", 5))
		return resolve_plan(P, tok, name, len, x);
	int m = find_metric(name, len, false);
	if (m >= M_SAGA_P50 && m <= M_SAGA_FAILED) {
		if (!P->sc->kafka.n_producers)
			return fail(P, tok, "'%s' needs sagas: kafka.producers publishing on a service's requests", name);
		x->metric = m;
		x->service = -1;
		return 0;
	}
	if (m >= 0) {
		if (!P->sc->cluster.enabled)
			return fail(P, tok, "'%s' needs a cluster (cluster: nodes or a provisioner); this scenario has none", name);
		x->metric = m;
		x->service = -1;
		return 0;
	}
	if (svc >= 0) {
		const char *rest = dot ? dot + 1 : "";
		const char *near = dot ? ld_closest(rest, service_names) : NULL;
		if (!dot)
			fail(P, tok, "'%s' is a service; name one of its metrics, e.g. %s.p99", name, name);
		else if (near)
			fail(P, tok + hlen + 1, "unknown metric '%s' of service '%s'; did you mean '%s.%s'?", rest, head, head,
			     near);
		else
			fail(P, tok + hlen + 1, "unknown metric '%s' of service '%s'", rest, head);
	} else if (!strcmp(head, "cost") || !strcmp(head, "nodes")) {
		const char *near = ld_closest(name, run_names);
		if (near)
			fail(P, tok, "unknown metric '%s'; did you mean '%s'?", name, near);
		else
			fail(P, tok, "unknown metric '%s'", name);
	} else {
		const char **names = xcalloc(P->sc->n_services + 1, sizeof *names);
		for (size_t i = 0; i < P->sc->n_services; i++)
			names[i] = P->sc->services[i].name;
		const char *near = ld_closest(head, names);
		free(names);
		if (near)
			fail(P, tok, "unknown metric '%s': no service '%s'; did you mean '%s'?", name, head, near);
		else
			fail(P, tok, "unknown metric '%s': '%s' is not a service of this scenario, nor cost or nodes", name,
			     head);
	}
	add_valid(P);
	return -1;
}

/* A duration or a plain number of `per` seconds (minutes, hours). */
static int number_or_duration(const char *s, double per, double *out, char why[UNITS_WHY])
{
	simtime t;
	if (!units_number(s, out, why))
		return 0;
	if (!units_duration(s, &t, why)) {
		*out = (double)t / 1e9 / per;
		return 0;
	}
	snprintf(why, UNITS_WHY, "'%s' is not a duration (90s, 2m) or a number of %s", s, per == 60 ? "minutes" : "hours");
	return -1;
}

/* Parses the bound v in the unit of x->metric into x->value. */
static int parse_value(struct parse *P, const char *v, struct expect *x)
{
	char why[UNITS_WHY];
	simtime t;
	int rc = 0;
	enum exp_unit u = metrics[x->metric].unit;
	switch (u) {
	case EXP_MS:
	case EXP_SECONDS:
		rc = units_duration(v, &t, why);
		if (!rc)
			x->value = (double)t / (u == EXP_MS ? 1e6 : 1e9); /* divided: 30s is exactly 30 */
		break;
	case EXP_FRACTION:
		rc = units_fraction(v, &x->value, why);
		break;
	case EXP_MINUTES:
		rc = number_or_duration(v, 60, &x->value, why);
		break;
	case EXP_HOURS:
		rc = number_or_duration(v, 3600, &x->value, why);
		break;
	case EXP_COUNT:
	case EXP_USD:
		rc = units_number(v, &x->value, why);
		break;
	case EXP_BOOL:
		if (x->op != EXP_EQ && x->op != EXP_NE)
			return fail(P, v, "%s is true or false: compare it with == or !=, e.g. %s == true",
				    metrics[x->metric].name, metrics[x->metric].name);
		if (strcmp(v, "true") && strcmp(v, "false"))
			return fail(P, v, "'%s' is not true or false", v);
		x->value = !strcmp(v, "true");
		return 0;
	}
	if (rc)
		return fail(P, v, "%s", why);
	if (x->value < 0)
		return fail(P, v, "'%s' is negative; %s is never below 0", v, metrics[x->metric].name);
	return 0;
}

static const char *parse_op(const char *p, enum exp_op *op)
{
	static const struct {
		const char *s;
		enum exp_op op;
	} ops[] = {{"<=", EXP_LE}, {">=", EXP_GE}, {"==", EXP_EQ}, {"!=", EXP_NE}, {"<", EXP_LT}, {">", EXP_GT}};
	for (size_t i = 0; i < ARRAY_LEN(ops); i++) {
		size_t n = strlen(ops[i].s);
		if (!strncmp(p, ops[i].s, n)) {
			*op = ops[i].op;
			return p + n;
		}
	}
	return NULL;
}

/* The end of the metric token at p: up to a space or an operator; a
 * [selector] (plan.variants[buffer=140%]) is part of it. */
static const char *metric_end(const char *p)
{
	while (*p && !isspace((unsigned char)*p) && !strchr("<>=!", *p)) {
		if (*p == '[') {
			const char *q = strchr(p, ']');
			if (!q)
				return p + strlen(p);
			p = q;
		}
		p++;
	}
	return p;
}

int expect_parse(const char *text, const struct scenario *sc, struct expect *x, char *why, size_t why_len,
		 size_t *at)
{
	struct parse P = {sc, text, why, why_len, at};
	memset(x, 0, sizeof *x);
	why[0] = '\0';
	const char *p = text;
	while (isspace((unsigned char)*p))
		p++;
	size_t n = strlen(p);
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	if (!n)
		return fail(&P, text, "an expectation is METRIC OP VALUE, e.g. payment.p99 <= 200ms; this one is empty");
	if (n >= EXPECT_TEXT_MAX)
		return fail(&P, text, "an expectation is at most %d characters", EXPECT_TEXT_MAX - 1);
	memcpy(x->text, p, n);
	x->text[n] = '\0';
	/* From here on, offsets are taken against a copy that ends where the
	 * trimmed text ends. */
	char buf[EXPECT_TEXT_MAX];
	memcpy(buf, text, (size_t)(p - text) + n);
	buf[(size_t)(p - text) + n] = '\0';
	P.text = buf;
	p = buf + (p - text);
	const char *end = metric_end(p);
	if (end == p)
		return fail(&P, p, "an expectation starts with a metric: METRIC OP VALUE, e.g. payment.p99 <= 200ms");
	if (resolve(&P, p, (size_t)(end - p), x))
		return -1;
	const char *q = end;
	while (isspace((unsigned char)*q))
		q++;
	const char *v = parse_op(q, &x->op);
	if (!v) {
		if (*q == '=')
			return fail(&P, q, "'=' is not a comparison: use == (or <=, <, >=, >, !=)");
		return fail(&P, q, "expected a comparison (<=, <, >=, >, == or !=) after '%.*s'", (int)(end - p), p);
	}
	while (isspace((unsigned char)*v))
		v++;
	if (!*v)
		return fail(&P, v, "a value is missing after '%s', e.g. %s", expect_op_text(x->op),
			    metrics[x->metric].unit == EXP_MS ? "200ms" : metrics[x->metric].unit == EXP_FRACTION ? "0.1%" : "90s");
	return parse_value(&P, v, x);
}

/* ---- results ---- */

/* The index of the service a row names: rows name services by the
 * scenario's own strings, in scenario order, so the next index is tried
 * first. */
static int row_service(struct exp_results *r, const char *name, int *hint)
{
	const struct scenario *sc = r->sc;
	size_t n = sc->n_services;
	size_t h = (size_t)(*hint + 1) % n;
	if (sc->services[h].name == name || !strcmp(sc->services[h].name, name))
		return *hint = (int)h;
	int i = scn_service_index(sc, name);
	if (i >= 0)
		*hint = i;
	return i;
}

static void on_sample(void *ctx, const struct row_sample *row)
{
	struct exp_results *r = ctx;
	if (r->next.sample)
		r->next.sample(r->next.ctx, row);
	int i = row_service(r, row->service, &r->last);
	if (i < 0)
		return;
	struct exp_service *s = &r->svc[i];
	if (row->replicas > s->max_replicas)
		s->max_replicas = row->replicas;
	if (s->min_ready < 0 || row->ready < s->min_ready)
		s->min_ready = row->ready;
	if (!isnan(row->p99_ms) && (isnan(s->worst_p99) || row->p99_ms > s->worst_p99))
		s->worst_p99 = row->p99_ms;
}

static void on_summary(void *ctx, const struct row_summary *row)
{
	struct exp_results *r = ctx;
	if (r->next.summary)
		r->next.summary(r->next.ctx, row);
	int i = row_service(r, row->service, &r->last);
	if (i < 0)
		return;
	r->svc[i].sum = *row;
	r->svc[i].sum.service = r->sc->services[i].name;
	r->svc[i].has_sum = true;
}

static void on_decision(void *ctx, const struct row_decision *row)
{
	struct exp_results *r = ctx;
	if (r->next.decision)
		r->next.decision(r->next.ctx, row);
}

static void on_nodes(void *ctx, const struct row_nodes *row)
{
	struct exp_results *r = ctx;
	if (r->next.nodes)
		r->next.nodes(r->next.ctx, row);
}

static void on_cost(void *ctx, const struct row_cost *row)
{
	struct exp_results *r = ctx;
	if (r->next.cost)
		r->next.cost(r->next.ctx, row);
	r->has_cost = true;
	r->cost = *row;
}

static void on_pod_sample(void *ctx, const struct row_pod_sample *row)
{
	struct exp_results *r = ctx;
	r->next.pod_sample(r->next.ctx, row);
}

static void on_version(void *ctx, const struct row_version *row)
{
	struct exp_results *r = ctx;
	r->next.version(r->next.ctx, row);
}

static void on_rollout(void *ctx, const struct row_rollout *row)
{
	struct exp_results *r = ctx;
	if (r->next.rollout)
		r->next.rollout(r->next.ctx, row);
	int i = row_service(r, row->service, &r->last);
	if (i < 0)
		return;
	r->svc[i].has_rollout = true;
	r->svc[i].rolled_back = !strcmp(row->outcome, "aborted");
	r->svc[i].promoted = !strcmp(row->outcome, "promoted");
	r->svc[i].rollback_s = row->rollback_s;
	r->svc[i].extra_pod_hours = row->extra_pod_hours;
	r->svc[i].extra_node_hours = row->extra_node_hours;
	r->svc[i].extra_cost_usd = row->extra_cost_usd;
}

static void on_kafka(void *ctx, const struct row_kafka *row)
{
	struct exp_results *r = ctx;
	if (r->next.kafka)
		r->next.kafka(r->next.ctx, row);
}

static void on_kafka_summary(void *ctx, const struct row_kafka_summary *row)
{
	struct exp_results *r = ctx;
	if (r->next.kafka_summary)
		r->next.kafka_summary(r->next.ctx, row);
	int i = scn_service_index(r->sc, row->service);
	if (i < 0)
		return;
	struct exp_service *s = &r->svc[i];
	s->has_kafka = true;
	s->kafka_max_lag = row->max_lag > s->kafka_max_lag ? row->max_lag : s->kafka_max_lag;
	s->kafka_dlt += row->dlt;
	s->kafka_rebalances += row->rebalances;
	if (row->slo_met >= 0)
		s->kafka_slo = s->kafka_slo < 0 ? row->slo_met : s->kafka_slo && row->slo_met;
	if (!isnan(row->latency_p99_ms) && (isnan(s->kafka_p99) || row->latency_p99_ms > s->kafka_p99))
		s->kafka_p99 = row->latency_p99_ms;
}

static void on_kafka_partition(void *ctx, const struct row_kafka_partition *row)
{
	struct exp_results *r = ctx;
	r->next.kafka_partition(r->next.ctx, row);
}

static void on_saga_sample(void *ctx, const struct row_saga_sample *row)
{
	struct exp_results *r = ctx;
	r->next.saga_sample(r->next.ctx, row);
}

static void on_sagas(void *ctx, const struct row_sagas *row)
{
	struct exp_results *r = ctx;
	if (r->next.sagas)
		r->next.sagas(r->next.ctx, row);
	r->has_sagas = true;
	r->sagas = *row;
}

void expect_results_init(struct exp_results *r, const struct scenario *sc, const struct sink *next)
{
	memset(r, 0, sizeof *r);
	r->sc = sc;
	r->last = -1;
	r->svc = xcalloc(sc->n_services ? sc->n_services : 1, sizeof *r->svc);
	for (size_t i = 0; i < sc->n_services; i++) {
		r->svc[i].max_replicas = -1;
		r->svc[i].min_ready = -1;
		r->svc[i].worst_p99 = NAN;
		r->svc[i].kafka_p99 = NAN;
		r->svc[i].kafka_slo = -1;
	}
	if (next)
		r->next = *next;
}

void expect_results_release(struct exp_results *r)
{
	free(r->svc);
	r->svc = NULL;
}

static void on_tg(void *ctx, const struct row_tg *row)
{
	struct exp_results *r = ctx;
	r->next.target_group(r->next.ctx, row);
}

static void on_kcluster(void *ctx, const struct row_kcluster *row)
{
	struct exp_results *r = ctx;
	r->next.kcluster(r->next.ctx, row);
}

static void on_kctotal(void *ctx, const struct row_kcluster_total *row)
{
	struct exp_results *r = ctx;
	r->next.kcluster_total(r->next.ctx, row);
}

struct sink expect_sink(struct exp_results *r)
{
	/* No expectation reads pod samples: they are asked for only if next keeps them. */
	return (struct sink){r, on_sample, on_summary, on_decision, on_nodes, on_cost,
			     r->next.pod_sample ? on_pod_sample : NULL, r->next.version ? on_version : NULL,
			     on_rollout, on_kafka, on_kafka_summary, on_sagas,
			     r->next.kafka_partition ? on_kafka_partition : NULL,
			     r->next.saga_sample ? on_saga_sample : NULL,
			     r->next.target_group ? on_tg : NULL, r->next.kcluster ? on_kcluster : NULL,
			     r->next.kcluster_total ? on_kctotal : NULL};
}

double expect_actual(const struct exp_results *r, int metric, int service)
{
	if (metric >= M_SAGA_P50 && metric <= M_SAGA_FAILED) {
		if (!r->has_sagas)
			return NAN;
		return metric == M_SAGA_P50 ? r->sagas.p50_s * 1e3 : metric == M_SAGA_P99 ? r->sagas.p99_s * 1e3
											  : (double)r->sagas.failed;
	}
	if (!metrics[metric].per_service) {
		if (!r->has_cost)
			return NAN;
		switch (metric) {
		case M_COST_USD: return r->cost.cost_usd;
		case M_COST_MONTHLY: return r->cost.monthly_usd;
		case M_NODES_MAX: return r->cost.max_nodes;
		default: return r->cost.node_hours;
		}
	}
	const struct exp_service *s = &r->svc[service];
	const struct row_summary *u = &s->sum;
	switch (metric) {
	case M_REPLICAS_MAX: return s->max_replicas < 0 ? NAN : (double)s->max_replicas;
	case M_READY_MIN: return s->min_ready < 0 ? NAN : (double)s->min_ready;
	case M_INTERVAL_P99_MAX: return s->worst_p99;
	case M_RO_ROLLED_BACK: return s->has_rollout ? (double)s->rolled_back : NAN;
	case M_RO_PROMOTED: return s->has_rollout ? (double)s->promoted : NAN;
	case M_RO_ROLLBACK: return s->has_rollout ? s->rollback_s : NAN;
	case M_RO_EXTRA_POD_HOURS: return s->has_rollout ? s->extra_pod_hours : NAN;
	case M_RO_EXTRA_NODE_HOURS: return s->has_rollout ? s->extra_node_hours : NAN;
	case M_RO_EXTRA_COST: return s->has_rollout ? s->extra_cost_usd : NAN;
	case M_KAFKA_MAX_LAG: return s->has_kafka ? (double)s->kafka_max_lag : NAN;
	case M_KAFKA_DLT: return s->has_kafka ? (double)s->kafka_dlt : NAN;
	case M_KAFKA_P99: return s->kafka_p99;
	case M_KAFKA_REBALANCES: return s->has_kafka ? (double)s->kafka_rebalances : NAN;
	case M_KAFKA_SLO_MET: return s->kafka_slo < 0 ? NAN : (double)s->kafka_slo;
	default: break;
	}
	if (!s->has_sum)
		return NAN;
	switch (metric) {
	case M_P50: return u->p50_ms;
	case M_P90: return u->p90_ms;
	case M_P99: return u->p99_ms;
	case M_P999: return u->p999_ms;
	case M_MEAN: return u->mean_ms;
	case M_MAX: return u->max_ms;
	case M_ERROR_RATE: return u->error_rate;
	case M_TIMEOUT_RATE: return u->timeout_rate;
	case M_CPU_UTIL: return u->cpu_util;
	case M_VIOLATION_MINUTES: return u->violation_minutes;
	case M_SLO_MET: return u->slo_met < 0 ? NAN : (double)u->slo_met;
	case M_PODS_STARTED: return (double)u->pods_started;
	case M_POD_START_P50: return u->pods_started ? u->pod_start_p50_s : NAN;
	default: return u->pods_started ? u->pod_start_p99_s : NAN;
	}
}

static bool holds(const struct expect *x, double a)
{
	if (isnan(a))
		return false;
	switch (x->op) {
	case EXP_LE: return a <= x->value;
	case EXP_LT: return a < x->value;
	case EXP_GE: return a >= x->value;
	case EXP_GT: return a > x->value;
	case EXP_EQ: return a == x->value;
	default: return a != x->value;
	}
}

bool expect_eval(const struct expect *x, const struct exp_results *r, double *actual)
{
	*actual = metrics[x->metric].plan ? NAN : expect_actual(r, x->metric, x->service);
	return holds(x, *actual);
}

/* What plan metric x came to in p, in its unit (NaN: none). */
static double plan_actual(const struct expect *x, const struct exp_plan *p)
{
	int v = x->metric == M_PLAN_VAR_P || x->metric == M_PLAN_VAR_LOWER || x->metric == M_PLAN_VAR_COST
			? x->variant
			: p->recommended;
	if (v < 1 || v > p->n_var)
		return NAN;
	switch (x->metric) {
	case M_PLAN_BUFFER: return p->buffer[(size_t)(v - 1) * p->n_services + (size_t)x->service];
	case M_PLAN_REC_P:
	case M_PLAN_VAR_P: return p->p_slo[v - 1];
	case M_PLAN_VAR_LOWER: return p->p_lower[v - 1];
	default: return p->monthly[v - 1];
	}
}

bool expect_eval_plan(const struct expect *x, const struct exp_plan *p, double *actual)
{
	*actual = metrics[x->metric].plan ? plan_actual(x, p) : NAN;
	return holds(x, *actual);
}

const char *expect_plan_none_why(const struct expect *x, const struct exp_plan *p)
{
	bool rec = x->metric == M_PLAN_BUFFER || x->metric == M_PLAN_REC_P || x->metric == M_PLAN_REC_COST;
	if (rec && !p->recommended)
		return "no variant meets the target";
	return metrics[x->metric].none;
}

/* ---- key figures ---- */

/* Whether the scenario's nodes have prices (a provisioner's catalog, or
 * static nodes of catalog instance types): else its cost is always 0. */
static bool priced(const struct scenario *sc)
{
	if (!sc->cluster.enabled)
		return false;
	if (sc->cluster.provisioner != PROV_NONE)
		return true;
	for (size_t i = 0; i < sc->cluster.n_groups; i++)
		if (sc->cluster.groups[i].price_hour > 0)
			return true;
	return false;
}

struct exp_figure *expect_key_figures(const struct exp_results *r, size_t *n)
{
	const struct scenario *sc = r->sc;
	struct exp_figure *f = xcalloc(3 * sc->n_services + 1, sizeof *f);
	size_t k = 0;
	for (size_t i = 0; i < sc->n_services; i++) {
		int s = (int)i;
		f[k++] = (struct exp_figure){M_P99, s, expect_actual(r, M_P99, s)};
		f[k++] = (struct exp_figure){M_ERROR_RATE, s, expect_actual(r, M_ERROR_RATE, s)};
		if (sc->services[i].hpa.enabled)
			f[k++] = (struct exp_figure){M_POD_START_P99, s, expect_actual(r, M_POD_START_P99, s)};
	}
	if (priced(sc))
		f[k++] = (struct exp_figure){M_COST_MONTHLY, -1, expect_actual(r, M_COST_MONTHLY, -1)};
	*n = k;
	return f;
}

bool expect_within(double base, double actual, double tol, enum exp_unit u, double *limit)
{
	static const double floors[] = {
		[EXP_MS] = 1, [EXP_FRACTION] = 1e-4, [EXP_SECONDS] = 1, [EXP_MINUTES] = 0,
		[EXP_COUNT] = 0, [EXP_USD] = 1, [EXP_HOURS] = 0, [EXP_BOOL] = 0,
	};
	if (isnan(base)) {
		*limit = NAN;
		return isnan(actual);
	}
	*limit = base + fmax(tol * fabs(base), floors[u]);
	return !isnan(actual) && actual <= *limit;
}
