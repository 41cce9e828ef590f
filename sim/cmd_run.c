/*
 * cmd_run.c: `headroom run`, one simulation of a scenario into the results
 * database, and a summary table per service on the terminal.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "plan.h"
#include "run.h"
#include "scn.h"
#include "store.h"

static atomic_int interrupted; /* set by the signal handler, read by every worker */

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* What a compare: table shows of one variant. */
struct outcome {
	double first_unsched;  /* the first pod that fit no node (t > 0), s; -1: none */
	double first_ready;    /* the first node Ready after it, s; -1: none */
	double spike_p99;      /* the worst interval p99 during a spike, ms; NaN: none */
	bool has_cost;
	struct row_cost cost;
	double start_p50, start_p99; /* pod start-up of the service that started most pods, s; NaN: none */
	double err_rate;       /* errors / (served + errors) over all services */
	bool has_rollout;      /* a service has a rollout: the first one's outcome below */
	char ro_outcome[16];   /* rollouts.outcome */
	double ro_rollback_s;  /* rollouts.rollback_s, NaN: none */
	double ro_extra_pod_h; /* rollouts.extra_pod_hours */
	int ro_max_pods;       /* rollouts.max_pods */
	double ro_extra_node_h; /* rollouts.extra_node_hours, NaN: no cluster */
	double ro_extra_usd;   /* rollouts.extra_cost_usd, NaN: no cluster */
	int slo_met, slo_of;   /* services whose SLO was met, of those that declare one */
	double worst_p99;      /* the highest run p99 of any service, ms; NaN: none */
	char worst_svc[64];    /* ... of this service */
};

/* An upgrade by drift (cluster.drifts): its pool's "drift" and
 * "drift-complete" rows, for the run's summary. */
struct upgrade {
	char pool[64];
	double first;      /* its first drift, s */
	bool done;
	char detail[320];  /* the drift-complete row's */
	double ended, errors; /* requests that ended, and failed, in the samples from its first drift on */
	double p99;        /* the worst sample p99 meanwhile, ms (NaN: none) */
	char p99_svc[32];  /* ... of this service */
};
#define MAX_UPGRADES 8

/* Rows go to the store; summaries are also kept to print, with the outcome. */
struct tee {
	struct sink store;
	struct row_summary *sums;
	size_t n_sums, cap;
	const struct scenario *sc;
	struct outcome o;
	struct upgrade up[MAX_UPGRADES]; /* the last of each pool's upgrades, the first MAX_UPGRADES pools */
	size_t n_up;
	char *kafka;      /* the Kafka groups' and sagas' lines to print (owned; NULL: none) */
	size_t kafka_len;
	struct row_kcluster_total kc[SCN_MAX_CLUSTERS]; /* with clusters: each cluster's totals (strings borrowed
	                                                 * from the scenario) */
	size_t n_kc;
	struct shift *sh;  /* with an ALB schedule: each service during it; NULL: none */
};

/* The services during an ALB's schedule (its first step to the end of its
 * last), from the samples overlapping it. */
struct shift {
	double from, to;   /* s */
	double *ended, *errors, *p99; /* per service: requests that ended, failed; the worst sample p99 (ms, NaN) */
};

static struct shift *shift_new(const struct scenario *sc)
{
	const struct scn_multi *m = sc->multi;
	double from = INFINITY, to = -INFINITY;
	for (size_t i = 0; m && i < m->n_rules; i++)
		for (size_t k = 0; k < m->rules[i].n_steps; k++) {
			const struct scn_alb_step *st = &m->rules[i].steps[k];
			from = fmin(from, sim_to_s(st->at));
			to = fmax(to, sim_to_s(st->at + st->over));
		}
	if (!(from <= to))
		return NULL;
	struct shift *sh = xcalloc(1, sizeof *sh);
	sh->from = from;
	sh->to = to;
	sh->ended = xcalloc(sc->n_services, sizeof *sh->ended);
	sh->errors = xcalloc(sc->n_services, sizeof *sh->errors);
	sh->p99 = xcalloc(sc->n_services, sizeof *sh->p99);
	for (size_t i = 0; i < sc->n_services; i++)
		sh->p99[i] = NAN;
	return sh;
}

static void shift_free(struct shift *sh)
{
	if (!sh)
		return;
	free(sh->ended);
	free(sh->errors);
	free(sh->p99);
	free(sh);
}

static void shift_sample(struct shift *sh, int i, const struct row_sample *r, double dt)
{
	if (!sh || i < 0 || r->t_s <= sh->from || r->t_s - dt >= sh->to)
		return;
	sh->ended[i] += r->served_rps * dt + (double)r->errors;
	sh->errors[i] += (double)r->errors;
	if (!isnan(r->p99_ms) && (isnan(sh->p99[i]) || r->p99_ms > sh->p99[i]))
		sh->p99[i] = r->p99_ms;
}

/* Each service during the shift, beside its objectives. */
static void print_shift(const struct scenario *sc, const struct shift *sh)
{
	if (!sh)
		return;
	printf("\nduring the ALB schedule (%.1f to %.1f min):\n%-16s %10s %8s %8s %14s %10s\n", sh->from / 60,
	       sh->to / 60, "service", "requests", "errors", "budget", "worst p99 ms", "objective");
	for (size_t i = 0; i < sc->n_services; i++) {
		const struct scn_slo *o = &sc->services[i].slo;
		char p99[16], obj[24] = "-", budget[16] = "-";
		snprintf(p99, sizeof p99, isnan(sh->p99[i]) ? "-" : "%.1f", sh->p99[i]);
		if (o->has_latency)
			snprintf(obj, sizeof obj, "p%g %.0f", o->percentile, sim_to_s(o->threshold) * 1e3);
		if (o->has_errors)
			snprintf(budget, sizeof budget, "%.2f%%", 100 * o->error_budget);
		printf("%-16s %10.0f %7.2f%% %8s %14s %10s\n", sc->services[i].name, sh->ended[i],
		       sh->ended[i] > 0 ? 100 * sh->errors[i] / sh->ended[i] : 0.0, budget, p99, obj);
	}
}

/* A node row of an upgrade by drift ("drift", "drift-complete"), kept. */
static void keep_upgrade(struct tee *t, const struct row_decision *r)
{
	bool start = !strcmp(r->event, "drift"), end = !strcmp(r->event, "drift-complete");
	if (!start && !end)
		return;
	size_t i = 0;
	while (i < t->n_up && strcmp(t->up[i].pool, r->pod))
		i++;
	if (i == t->n_up) {
		if (i == MAX_UPGRADES || end)
			return;
		t->n_up++;
		snprintf(t->up[i].pool, sizeof t->up[i].pool, "%s", r->pod);
		t->up[i].done = true; /* a new upgrade below */
	}
	struct upgrade *u = &t->up[i];
	if (start && u->done)
		*u = (struct upgrade){.first = r->t_s, .done = false, .p99 = NAN};
	if (start)
		snprintf(u->pool, sizeof u->pool, "%s", r->pod);
	if (end) {
		u->done = true;
		snprintf(u->detail, sizeof u->detail, "%s", r->detail ? r->detail : "");
	}
}

/* A line for the Kafka table, kept to print after the services'. */
static void kafka_line(struct tee *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void kafka_line(struct tee *t, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t len = strlen(line);
	t->kafka = xrealloc(t->kafka, t->kafka_len + len + 1);
	memcpy(t->kafka + t->kafka_len, line, len + 1);
	t->kafka_len += len;
}

/* Whether t (s) falls in a spike of the service (ramp to decay end). */
static bool in_spike(const struct scn_service *s, double t)
{
	for (size_t i = 0; i < s->traffic.n_spikes; i++) {
		const struct spike *sp = &s->traffic.spikes[i];
		double a = sim_to_s(sp->start), b = sim_to_s(sp->start + sp->ramp + sp->hold + sp->decay);
		if (t > a && t <= b + 1e-9)
			return true;
	}
	return false;
}

static void tee_sample(void *ctx, const struct row_sample *r)
{
	struct tee *t = ctx;
	t->store.sample(t->store.ctx, r);
	double dt = sim_to_s(t->sc->sample_interval);
	for (size_t i = 0; i < t->n_up; i++) { /* the samples of an upgrade going on */
		struct upgrade *u = &t->up[i];
		if (u->done || r->t_s <= u->first)
			continue;
		u->ended += r->served_rps * dt + (double)r->errors;
		u->errors += (double)r->errors;
		if (!isnan(r->p99_ms) && (isnan(u->p99) || r->p99_ms > u->p99)) {
			u->p99 = r->p99_ms;
			snprintf(u->p99_svc, sizeof u->p99_svc, "%s", r->service);
		}
	}
	int i = scn_service_index(t->sc, r->service);
	shift_sample(t->sh, i, r, dt);
	if (i >= 0 && !isnan(r->p99_ms) && in_spike(&t->sc->services[i], r->t_s) &&
	    (isnan(t->o.spike_p99) || r->p99_ms > t->o.spike_p99))
		t->o.spike_p99 = r->p99_ms;
}

static void tee_decision(void *ctx, const struct row_decision *r)
{
	struct tee *t = ctx;
	if (t->store.decision)
		t->store.decision(t->store.ctx, r);
	if (r->t_s > 0 && t->o.first_unsched < 0 && !strcmp(r->kind, "pod") && !strcmp(r->event, "unschedulable"))
		t->o.first_unsched = r->t_s;
	if (t->o.first_unsched >= 0 && t->o.first_ready < 0 && !strcmp(r->kind, "node") && !strcmp(r->event, "ready"))
		t->o.first_ready = r->t_s;
	if (!strcmp(r->kind, "node"))
		keep_upgrade(t, r);
}

static void tee_nodes(void *ctx, const struct row_nodes *r)
{
	struct tee *t = ctx;
	if (t->store.nodes)
		t->store.nodes(t->store.ctx, r);
}

static void tee_cost(void *ctx, const struct row_cost *r)
{
	struct tee *t = ctx;
	if (t->store.cost)
		t->store.cost(t->store.ctx, r);
	t->o.has_cost = true;
	t->o.cost = *r;
}

static void tee_pod_sample(void *ctx, const struct row_pod_sample *r)
{
	struct tee *t = ctx;
	t->store.pod_sample(t->store.ctx, r);
}

static void tee_version(void *ctx, const struct row_version *r)
{
	struct tee *t = ctx;
	t->store.version(t->store.ctx, r);
}

static void tee_rollout(void *ctx, const struct row_rollout *r)
{
	struct tee *t = ctx;
	t->store.rollout(t->store.ctx, r);
	if (t->o.has_rollout)
		return;
	t->o.has_rollout = true;
	snprintf(t->o.ro_outcome, sizeof t->o.ro_outcome, "%s", r->outcome);
	t->o.ro_rollback_s = r->rollback_s;
	t->o.ro_extra_pod_h = r->extra_pod_hours;
	t->o.ro_max_pods = r->max_pods;
	t->o.ro_extra_node_h = r->extra_node_hours;
	t->o.ro_extra_usd = r->extra_cost_usd;
}

static void tee_kafka(void *ctx, const struct row_kafka *r)
{
	struct tee *t = ctx;
	t->store.kafka(t->store.ctx, r);
}

static void tee_kafka_summary(void *ctx, const struct row_kafka_summary *r)
{
	struct tee *t = ctx;
	t->store.kafka_summary(t->store.ctx, r);
	if (!t->kafka)
		kafka_line(t, "%-16s %-18s %10s %10s %6s %9s %9s %9s %6s  %s\n", "kafka group", "topic", "produced",
			   "consumed", "DLT", "max lag", "p50 ms", "p99 ms", "rebal.", "SLO");
	char p50[32], p99[32];
	snprintf(p50, sizeof p50, isnan(r->latency_p50_ms) ? "-" : "%.1f", r->latency_p50_ms);
	snprintf(p99, sizeof p99, isnan(r->latency_p99_ms) ? "-" : "%.1f", r->latency_p99_ms);
	kafka_line(t, "%-16s %-18s %10" PRId64 " %10" PRId64 " %6" PRId64 " %9" PRId64 " %9s %9s %6" PRId64 "  %s\n",
		   r->group, r->topic, r->produced, r->consumed, r->dlt, r->max_lag, p50, p99, r->rebalances,
		   r->slo_met < 0 ? "-" : r->slo_met ? "met" : "MISSED");
}

static void tee_sagas(void *ctx, const struct row_sagas *r)
{
	struct tee *t = ctx;
	t->store.sagas(t->store.ctx, r);
	kafka_line(t, "sagas: %" PRId64 " started, %" PRId64 " completed (p50 %.3f s, p99 %.3f s), %" PRId64
		      " failed (a message in a DLT), %" PRId64 " open\n",
		   r->started, r->completed, r->p50_s, r->p99_s, r->failed, r->open);
}

static void tee_kafka_partition(void *ctx, const struct row_kafka_partition *r)
{
	struct tee *t = ctx;
	t->store.kafka_partition(t->store.ctx, r);
}

static void tee_saga_sample(void *ctx, const struct row_saga_sample *r)
{
	struct tee *t = ctx;
	t->store.saga_sample(t->store.ctx, r);
}

static void tee_summary(void *ctx, const struct row_summary *r)
{
	struct tee *t = ctx;
	t->store.summary(t->store.ctx, r);
	if (t->n_sums < t->cap)
		t->sums[t->n_sums++] = *r;
}

/* Progress on a terminal, for runs long enough to wonder about. */
struct progress {
	bool on;
	bool shown;
};

static void show_progress(void *ctx, simtime now, simtime end)
{
	struct progress *p = ctx;
	if (!p->on)
		return;
	fprintf(stderr, "\r  simulated %5.1f %%", 100.0 * (double)now / (double)end);
	p->shown = true;
}

static void tee_tg(void *ctx, const struct row_tg *r)
{
	struct tee *t = ctx;
	t->store.target_group(t->store.ctx, r);
}

static void tee_kcluster(void *ctx, const struct row_kcluster *r)
{
	struct tee *t = ctx;
	t->store.kcluster(t->store.ctx, r);
}

static void tee_kctotal(void *ctx, const struct row_kcluster_total *r)
{
	struct tee *t = ctx;
	t->store.kcluster_total(t->store.ctx, r);
	if (t->n_kc < SCN_MAX_CLUSTERS)
		t->kc[t->n_kc++] = *r;
}

/* With clusters: each cluster's node-hours, cost, requests and SLO. */
static void print_clusters(const struct tee *t)
{
	if (!t->n_kc)
		return;
	printf("\n%-16s %-10s %9s %10s %9s %10s %8s  %s\n", "cluster", "version", "services", "node-h", "max nodes",
	       "cost USD", "errors", "SLO");
	for (size_t i = 0; i < t->n_kc; i++) {
		const struct row_kcluster_total *r = &t->kc[i];
		char err[16];
		snprintf(err, sizeof err, "%.2f%%", r->requests ? 100.0 * (double)r->errors / (double)r->requests : 0.0);
		printf("%-16s %-10s %9d %10.2f %9d %10.2f %8s  %s\n", r->cluster, r->version[0] ? r->version : "-",
		       r->services, r->node_hours, r->max_nodes, r->cost_usd, err,
		       r->slo_met < 0 ? "-" : r->slo_met ? "met" : "MISSED");
	}
}

static void fmt_ms(char *buf, size_t n, double ms)
{
	if (isnan(ms))
		snprintf(buf, n, "-");
	else if (ms < 10)
		snprintf(buf, n, "%.2f", ms);
	else
		snprintf(buf, n, "%.1f", ms);
}

static const char *slo_word(const struct scn_service *sv, int met)
{
	(void)sv;
	return met < 0 ? "-" : met ? "met" : "MISSED";
}

static void print_table(const struct scenario *sc, const struct tee *t)
{
	printf("%-16s %10s %10s %8s %8s %8s %9s %9s %9s %6s  %s\n", "service", "requests", "served", "errors",
	       "timeouts", "503s", "p50 ms", "p99 ms", "p99.9 ms", "cpu", "SLO");
	for (size_t i = 0; i < t->n_sums; i++) {
		const struct row_summary *r = &t->sums[i];
		char p50[16], p99[16], p999[16], err[16];
		fmt_ms(p50, sizeof p50, r->p50_ms);
		fmt_ms(p99, sizeof p99, r->p99_ms);
		fmt_ms(p999, sizeof p999, r->p999_ms);
		snprintf(err, sizeof err, "%.2f%%", 100 * r->error_rate);
		printf("%-16s %10" PRId64 " %10" PRId64 " %8s %8" PRId64 " %8" PRId64 " %9s %9s %9s %5.0f%%  %s\n",
		       r->service, r->requests, r->served, err, r->timeouts, r->rejected, p50, p99, p999,
		       100 * r->cpu_util, slo_word(&sc->services[i], r->slo_met));
	}
}

/* The params column: the overrides (--set, then a variant's) as a JSON object. */
static char *params_json(const char *const *sets, size_t n_sets)
{
	size_t cap = 3;
	for (size_t i = 0; i < n_sets; i++)
		cap += 2 * strlen(sets[i]) + 8;
	char *js = xmalloc(cap), *p = js;
	*p++ = '{';
	for (size_t i = 0; i < n_sets; i++) {
		const char *s = sets[i], *eq = strchr(s, '=');
		if (i)
			*p++ = ',';
		*p++ = '"';
		for (const char *c = s; *c; c++) {
			if (c == eq) {
				memcpy(p, "\":\"", 3);
				p += 3;
				continue;
			}
			if (*c == '"' || *c == '\\')
				*p++ = '\\';
			*p++ = (unsigned char)*c < 0x20 ? ' ' : *c;
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return js;
}

/* results/NAME.db, creating results/ when it is the default. */
static char *default_db(const struct scenario *sc)
{
	if (mkdir("results", 0777) && errno != EEXIST)
		return NULL;
	size_t n = strlen(sc->name) + 16;
	char *p = xmalloc(n);
	snprintf(p, n, "results/%s.db", sc->name);
	return p;
}

/* One run of sc (variant `variant` and its replication, 0 for a plain run)
 * with `seed` into st. Returns 0, or an exit status; *o gets its outcome. */
static int run_into(const struct cli_args *a, store *st, const struct scenario *sc, int variant, int replication,
		    uint64_t seed, const char *vname, const char *const *sets, size_t n_sets, const char *db,
		    struct outcome *o)
{
	struct herr e;
	char *params = params_json(sets, n_sets);
	struct run_info ri = {sc, seed, variant, replication, params};
	int rc = 0;
	if (store_run_begin(st, &ri, &e)) {
		free(params);
		return cli_fail(&e);
	}
	struct tee t = {store_sink(st), xcalloc(sc->n_services, sizeof *t.sums), 0, sc->n_services, sc,
			{-1, -1, NAN, false, {0, 0, 0, 0, 0, 0, 0}, NAN, NAN, 0, false, "", NAN, 0, 0, NAN, NAN, 0, 0, NAN, ""},
			{{"", 0, false, "", 0, 0, NAN, ""}}, 0, NULL, 0, {{NULL, NULL, 0, 0, 0, 0, 0, 0, 0}}, 0, shift_new(sc)};
	/* Pod samples only where the store takes them: NULL spares the model the work. */
	struct sink out = {&t, tee_sample, tee_summary, tee_decision, tee_nodes, tee_cost,
			   t.store.pod_sample ? tee_pod_sample : NULL, t.store.version ? tee_version : NULL,
			   t.store.rollout ? tee_rollout : NULL,
			   t.store.kafka ? tee_kafka : NULL,
			   t.store.kafka_summary ? tee_kafka_summary : NULL,
			   t.store.sagas ? tee_sagas : NULL,
			   t.store.kafka_partition ? tee_kafka_partition : NULL,
			   t.store.saga_sample ? tee_saga_sample : NULL, t.store.target_group ? tee_tg : NULL,
			   t.store.kcluster ? tee_kcluster : NULL, t.store.kcluster_total ? tee_kctotal : NULL};
	struct progress prog = {!a->quiet && isatty(2), false};
	struct run_hooks hooks = {&interrupted, show_progress, &prog};
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	struct run_stats rs;
	run_once(sc, seed, &out, &hooks, &rs);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (prog.shown)
		fprintf(stderr, "\r%30s\r", "");
	int64_t run_id = 0;
	if (rs.interrupted) {
		store_run_abort(st);
		fprintf(stderr, "headroom run: interrupted; the run was not written to %s\n", db);
		rc = EXIT_INTERRUPTED;
	} else {
		struct run_end end = {"ok", rs.wall_s, rs.events, rs.requests, rs.sim_s};
		if (store_run_commit(st, &end, &run_id, &e))
			rc = cli_fail(&e);
	}
	if (!rc && !a->quiet) {
		char dur[32], nreq[32], rate[32];
		cli_fmt_duration(dur, sizeof dur, sc->duration);
		cli_fmt_count(nreq, sizeof nreq, (double)rs.requests);
		cli_fmt_count(rate, sizeof rate, (double)rs.requests / fmax(rs.wall_s, 1e-9));
		printf("%s%s%s: seed %" PRIu64 ", %s simulated in %.2f s (%s requests, %s/s)\n", sc->name,
		       vname ? " / " : "", vname ? vname : "", seed, dur, rs.wall_s, nreq, rate);
		if (replication)
			printf("(variant %d, replication %d of a plan of this scenario)\n", variant, replication);
		print_table(sc, &t);
		if (t.kafka)
			fputs(t.kafka, stdout);
		if (t.o.has_cost)
			printf("cluster: %.2f USD for the run, %.0f USD a month at this rate, %.1f node-hours, at most %d nodes\n",
			       t.o.cost.cost_usd, t.o.cost.monthly_usd, t.o.cost.node_hours, t.o.cost.max_nodes);
		print_clusters(&t);
		print_shift(sc, t.sh);
		for (size_t i = 0; i < t.n_up; i++) {
			const struct upgrade *u = &t.up[i];
			if (u->done)
				printf("upgrade: %s\n", u->detail);
			else
				printf("upgrade: NodePool %s drifted at %.0f s: drifted nodes are left at the end of the run\n",
				       u->pool, u->first);
			if (u->ended > 0)
				printf("  meanwhile: %.3g %% of %.0f requests failed, the worst sample p99 %.1f ms (%s)\n",
				       100 * u->errors / u->ended, u->ended, u->p99, u->p99_svc);
		}
		if (t.o.has_rollout) {
			char back[64] = "";
			if (!isnan(t.o.ro_rollback_s))
				snprintf(back, sizeof back, ", rolled back %.0f s after its start", t.o.ro_rollback_s);
			char cost[96] = "";
			if (!isnan(t.o.ro_extra_usd))
				snprintf(cost, sizeof cost, " (%.3f node-hours of their nodes, %.4f USD)", t.o.ro_extra_node_h,
					 t.o.ro_extra_usd);
			printf("rollout: %s%s; %.2f pod-hours above spec.replicas%s, at most %d pods\n", t.o.ro_outcome,
			       back, t.o.ro_extra_pod_h, cost, t.o.ro_max_pods);
		}
		printf("results: %s (run %" PRId64 ")\n", db, run_id);
	}
	/* Pod start-up and errors over all services, for a comparison. */
	int64_t most = 0, served = 0, errors = 0;
	t.o.start_p50 = t.o.start_p99 = NAN;
	for (size_t i = 0; i < t.n_sums; i++) {
		served += t.sums[i].served;
		errors += t.sums[i].errors;
		t.o.slo_of += t.sums[i].slo_met >= 0;
		t.o.slo_met += t.sums[i].slo_met > 0;
		if (!isnan(t.sums[i].p99_ms) && !(t.sums[i].p99_ms <= t.o.worst_p99)) {
			t.o.worst_p99 = t.sums[i].p99_ms;
			snprintf(t.o.worst_svc, sizeof t.o.worst_svc, "%s", t.sums[i].service);
		}
		if (t.sums[i].pods_started > most) {
			most = t.sums[i].pods_started;
			t.o.start_p50 = t.sums[i].pod_start_p50_s;
			t.o.start_p99 = t.sums[i].pod_start_p99_s;
		}
	}
	t.o.err_rate = served + errors ? (double)errors / (double)(served + errors) : 0;
	*o = t.o;
	shift_free(t.sh);
	free(t.sums);
	free(t.kafka);
	free(params);
	return rc;
}

/* The side-by-side table of a compare: scenario. */
static void print_compare(const struct scenario *sc, const struct outcome *o)
{
	printf("\n%-20s %18s %20s %18s %8s %10s %12s\n", "variant", "first new node", "pod start p50/p99",
	       "worst p99 in spike", "errors", "cost USD", "USD / month");
	for (size_t v = 0; v < sc->n_variants; v++) {
		char first[32], st[40], p99[32], cost[32], month[32];
		if (o[v].first_ready >= 0)
			snprintf(first, sizeof first, "%.1f s", o[v].first_ready - o[v].first_unsched);
		else
			snprintf(first, sizeof first, "-");
		if (isnan(o[v].start_p50))
			snprintf(st, sizeof st, "-");
		else
			snprintf(st, sizeof st, "%.1f / %.1f s", o[v].start_p50, o[v].start_p99);
		fmt_ms(p99, sizeof p99, o[v].spike_p99);
		snprintf(cost, sizeof cost, o[v].has_cost ? "%.2f" : "-", o[v].cost.cost_usd);
		snprintf(month, sizeof month, o[v].has_cost ? "%.0f" : "-", o[v].cost.monthly_usd);
		printf("%-20s %18s %20s %15s ms %7.2f%% %10s %12s\n", sc->variants[v].name, first, st, p99,
		       100 * o[v].err_rate, cost, month);
	}
	printf("first new node: from the first pod that fit no node to the first node Ready after it.\n");
	if (sc->multi) { /* several clusters: what each way costs and does to the SLOs (docs/clusters.md) */
		printf("\n%-20s %10s %10s %10s %8s %24s\n", "variant", "node-h", "cost USD", "SLOs met", "errors",
		       "worst run p99");
		for (size_t v = 0; v < sc->n_variants; v++) {
			char met[32], p99[96];
			snprintf(met, sizeof met, "%d of %d", o[v].slo_met, o[v].slo_of);
			if (isnan(o[v].worst_p99))
				snprintf(p99, sizeof p99, "-");
			else
				snprintf(p99, sizeof p99, "%.1f ms %s", o[v].worst_p99, o[v].worst_svc);
			printf("%-20s %10.2f %10.2f %10s %7.2f%% %24s\n", sc->variants[v].name, o[v].cost.node_hours,
			       o[v].cost.cost_usd, met, 100 * o[v].err_rate, p99);
		}
	}
	bool any = false;
	for (size_t v = 0; v < sc->n_variants; v++)
		any |= o[v].has_rollout;
	if (!any)
		return;
	printf("\n%-20s %12s %14s %12s %13s %10s %9s\n", "variant", "rollout", "rolled back", "extra pod-h",
	       "extra node-h", "extra USD", "max pods");
	for (size_t v = 0; v < sc->n_variants; v++) {
		char back[32] = "-", nodes[32] = "-", usd[32] = "-";
		if (!isnan(o[v].ro_rollback_s))
			snprintf(back, sizeof back, "%.0f s", o[v].ro_rollback_s);
		if (o[v].has_rollout && !isnan(o[v].ro_extra_usd)) {
			snprintf(nodes, sizeof nodes, "%.3f", o[v].ro_extra_node_h);
			snprintf(usd, sizeof usd, "%.4f", o[v].ro_extra_usd);
		}
		printf("%-20s %12s %14s %12.2f %13s %10s %9d\n", sc->variants[v].name,
		       o[v].has_rollout ? o[v].ro_outcome : "-", back, o[v].ro_extra_pod_h, nodes, usd, o[v].ro_max_pods);
	}
	printf("rolled back: from the rollout's start to all traffic on the stable version; extra: the pods above "
	       "spec.replicas,\nwith their share of their nodes' time and cost (docs/rollouts.md).\n");
}

/* --variant K --replication R: one variant, and one run of a plan (0: not given). */
struct pick {
	int variant, replication;
};

/* Variant pk->variant alone (of the sweep, the compare, or the scenario
 * itself as variant 1), with the seed of replication pk->replication of a
 * plan when given: the run `headroom plan` made, with all its rows. */
static int run_pick(const struct cli_args *a, store *st, const struct scenario *sc, const struct pick *pk,
		    const char *db)
{
	struct herr e;
	struct scenario vs;
	if (plan_load_variant(&vs, sc, pk->variant, (const char *const *)a->sets, a->n_sets, &e))
		return cli_fail(&e);
	const struct scn_variant *var = sc->n_variants ? &sc->variants[pk->variant - 1] : NULL;
	size_t n = a->n_sets + (var ? var->n_sets : 0);
	const char **all = xcalloc(n ? n : 1, sizeof *all);
	for (size_t i = 0; i < a->n_sets; i++)
		all[i] = a->sets[i];
	for (size_t i = 0; var && i < var->n_sets; i++)
		all[a->n_sets + i] = var->sets[i];
	uint64_t seed = a->has_seed ? a->seed : sc->seed;
	if (pk->replication)
		seed = plan_seed(seed, pk->variant, pk->replication);
	struct outcome o;
	int rc = run_into(a, st, &vs, pk->variant, pk->replication, seed, var ? var->name : NULL, all, n, db, &o);
	free(all);
	scn_free(&vs);
	return rc;
}

static int simulate(const struct cli_args *a, const struct scenario *sc, const struct pick *pk, const char *db)
{
	struct herr e;
	bool created = false;
	store *st = store_open(db, &created, &e);
	if (!st)
		return cli_fail(&e);
	int rc = 0;
	if (pk->variant) {
		rc = run_pick(a, st, sc, pk, db);
	} else if (!sc->n_variants) {
		struct outcome o;
		rc = run_into(a, st, sc, 0, 0, a->has_seed ? a->seed : sc->seed, NULL, (const char *const *)a->sets,
			      a->n_sets, db, &o);
	} else {
		struct outcome *o = xcalloc(sc->n_variants, sizeof *o);
		for (size_t v = 0; v < sc->n_variants && !rc; v++) {
			struct scenario vs;
			if (scn_load_variant(&vs, sc, v, (const char *const *)a->sets, a->n_sets, &e)) {
				rc = cli_fail(&e);
				break;
			}
			const struct scn_variant *var = &sc->variants[v];
			size_t n = a->n_sets + var->n_sets;
			const char **all = xcalloc(n ? n : 1, sizeof *all);
			for (size_t i = 0; i < a->n_sets; i++)
				all[i] = a->sets[i];
			for (size_t i = 0; i < var->n_sets; i++)
				all[a->n_sets + i] = var->sets[i];
			if (!a->quiet && v)
				printf("\n");
			rc = run_into(a, st, &vs, (int)v + 1, 0, a->has_seed ? a->seed : sc->seed, var->name, all, n, db, &o[v]);
			free(all);
			scn_free(&vs);
		}
		if (!rc && !a->quiet)
			print_compare(sc, o);
		free(o);
	}
	/* A database this command created and could not fill is not left behind,
	 * unless another process has committed a run to it meanwhile. */
	bool drop = rc && created && !store_has_runs(st);
	store_close(st);
	if (drop)
		store_remove_files(db);
	return rc;
}

/* Takes --variant K and --replication R (or --variant=K ...) out of argv,
 * leaving the rest for cli_parse. Returns 0 or EXIT_USAGE. */
static int take_pick(const struct cmd *cmd, int *argc, char **argv, struct pick *pk)
{
	static const char *const valued[] = {"--db", "--seed", "--set", "--name", "--sandbox"};
	int out = 1;
	for (int i = 1; i < *argc; i++) {
		const char *s = argv[i], *val = NULL;
		int *dst = NULL;
		bool skip = false;
		for (size_t k = 0; k < ARRAY_LEN(valued); k++)
			skip |= !strcmp(s, valued[k]);
		if (skip && i + 1 < *argc) { /* an option's value is not an option */
			argv[out++] = argv[i++];
			argv[out++] = argv[i];
			continue;
		}
		if (!strncmp(s, "--variant", 9) && (s[9] == '\0' || s[9] == '='))
			dst = &pk->variant;
		else if (!strncmp(s, "--replication", 13) && (s[13] == '\0' || s[13] == '='))
			dst = &pk->replication;
		if (!dst) {
			argv[out++] = argv[i];
			continue;
		}
		const char *name = dst == &pk->variant ? "--variant" : "--replication";
		val = strchr(s, '=') ? strchr(s, '=') + 1 : i + 1 < *argc ? argv[++i] : NULL;
		char *end = NULL;
		long v = val ? strtol(val, &end, 10) : 0;
		if (!val || end == val || *end || v < 1 || v > 100000)
			return cli_usage_error(cmd, "%s takes an integer from 1, got '%s'", name, val ? val : "nothing");
		*dst = (int)v;
	}
	argv[out] = NULL;
	*argc = out;
	if (pk->replication && !pk->variant)
		return cli_usage_error(cmd, "--replication R needs --variant K (the run of a plan: headroom run "
					    "SCENARIO --variant K --replication R)");
	return 0;
}

int cmd_run(const struct cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct pick pk = {0, 0};
	int rc = take_pick(cmd, &argc, argv, &pk);
	if (rc)
		return rc;
	rc = cli_parse(cmd, argc, argv, OPT_DB | OPT_SEED | OPT_SET | OPT_QUIET | OPT_SANDBOX, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct scenario sc;
	struct herr e;
	if (scn_load_sandboxed(&sc, a.scenario, a.sets, a.n_sets, a.sandbox, &e)) {
		cli_args_free(&a);
		return cli_fail(&e);
	}
	cli_warnings(&sc);
	if (pk.variant > plan_n_variants(&sc)) {
		rc = cli_usage_error(cmd, "--variant %d: %s has %d variant%s (1 to %d)", pk.variant, a.scenario,
				     plan_n_variants(&sc), plan_n_variants(&sc) == 1 ? "" : "s", plan_n_variants(&sc));
		scn_free(&sc);
		cli_args_free(&a);
		return rc;
	}
	char *db = a.db ? NULL : default_db(&sc);
	if (!a.db && !db) {
		fprintf(stderr, "headroom run: cannot create the folder 'results': %s\n", strerror(errno));
		rc = EXIT_USAGE;
	} else {
		rc = simulate(&a, &sc, &pk, a.db ? a.db : db);
	}
	free(db);
	scn_free(&sc);
	cli_args_free(&a);
	return rc;
}
