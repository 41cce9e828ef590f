/*
 * plan.c: the planner's pieces (see plan.h): the baseline, the statistics,
 * the recommendation rule and the runner that spreads runs over threads and,
 * in a build with MPI (HEADROOM_MPI), over ranks.
 *
 * The runner. Worker threads take jobs under one mutex and put each finished
 * run on a list; the calling thread alone takes them off and hands them to
 * the caller (who writes the database: one store, one thread). Each worker
 * loads its own copy of the variant it runs and keeps it while the next job
 * is of the same variant (jobs come sorted by variant), so no scenario is
 * shared between threads. Under MPI, rank 0's calling thread also answers
 * the other ranks between two looks at its own list: a rank asks for a job
 * whenever one of its threads is free and sends each result back; rank 0
 * answers "stop" once nothing is left, and returns when every rank has been
 * told and every result is in.
 */
#include "plan.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rng.h"
#include "traffic.h"

#ifdef HEADROOM_MPI
#include <mpi.h>
#endif

/* ---- Baseline -------------------------------------------------------------- */

simtime plan_normal_time(const struct scenario *sc)
{
	simtime t = SIM_FOREVER;
	for (size_t i = 0; i < sc->n_services; i++) {
		const struct scn_traffic *tr = &sc->services[i].traffic;
		for (size_t k = 0; tr->enabled && k < tr->n_spikes; k++)
			t = HR_MIN(t, tr->spikes[k].start);
	}
	return t == SIM_FOREVER ? 0 : t;
}

/* A service's own traffic at t without its spikes or dispersion, rps. */
static double own_rate(const struct scn_traffic *tr, simtime t)
{
	if (!tr->enabled)
		return 0;
	struct scn_traffic calm = *tr;
	calm.spikes = NULL;
	calm.n_spikes = 0;
	calm.dispersion_cv = 0;
	traffic *g = traffic_new(&calm, 0, 0);
	double r = traffic_rate(g, t);
	traffic_free(g);
	return r;
}

/* Callers before callees (the calls form no cycle: the loader checks). */
static void call_order(const struct scenario *sc, size_t *order)
{
	size_t n = sc->n_services, head = 0, tail = 0;
	size_t *indeg = xcalloc(n, sizeof *indeg);
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; c < sc->services[i].n_calls; c++)
			indeg[sc->services[i].calls[c].service]++;
	for (size_t i = 0; i < n; i++)
		if (!indeg[i])
			order[tail++] = i;
	while (head < tail) {
		const struct scn_service *s = &sc->services[order[head++]];
		for (size_t c = 0; c < s->n_calls; c++)
			if (!--indeg[s->calls[c].service])
				order[tail++] = (size_t)s->calls[c].service;
	}
	assert(tail == n);
	free(indeg);
}

/* One metric's pods at target, with its formula; NaN when it cannot say. */
static double metric_pods(const struct scn_service *s, const struct scn_hpa_metric *m, double rps, double hold_s,
			  char *f, size_t n)
{
	double cpu = s->cpu_per_request.mean, x;
	if (m->kind == HPA_METRIC_EXTERNAL)
		return NAN; /* not the traffic's: a scheduled floor is priced by its hours (sim/month.c) */
	if (m->kind == HPA_METRIC_PODS) {
		x = rps / m->average_value;
		snprintf(f, n, "%.1f rps / %g rps per pod = %.2f", rps, m->average_value, x);
		return x;
	}
	if (m->resource == HPA_RES_CPU) {
		double per_pod = m->target == HPA_TARGET_UTILIZATION ? s->cpu_request * m->utilization / 100.0
								     : m->average_value;
		x = rps * cpu / per_pod;
		if (m->target == HPA_TARGET_UTILIZATION)
			snprintf(f, n, "%.1f rps x %.3g ms CPU / (%g cores x %d%%) = %.2f", rps, 1e3 * cpu, s->cpu_request,
				 (int)m->utilization, x);
		else
			snprintf(f, n, "%.1f rps x %.3g ms CPU / %g cores = %.2f", rps, 1e3 * cpu, per_pod, x);
		return x;
	}
	double target = m->target == HPA_TARGET_UTILIZATION ? s->memory_request * m->utilization / 100.0
							    : m->average_value;
	double in_flight = rps * hold_s, room = target - s->memory_base;
	if (target <= 0)
		return NAN; /* no request to measure against: the HPA cannot compute it either */
	x = s->memory_per_request <= 0 ? (room > 0 ? 0 : INFINITY)
	    : room > 0		      ? s->memory_per_request * in_flight / room
					      : INFINITY;
	snprintf(f, n, "%.1f MiB x %.1f requests held / (%.1f - %.1f MiB) = %.2f", s->memory_per_request / 1048576,
		 in_flight, target / 1048576, s->memory_base / 1048576, x);
	return x;
}

/* The mean time a request of service i is held: its CPU, then its calls'. */
static double hold_time(const struct scenario *sc, size_t i, double *memo)
{
	if (memo[i] >= 0)
		return memo[i];
	const struct scn_service *s = &sc->services[i];
	double w = s->cpu_per_request.mean;
	for (size_t c = 0; c < s->n_calls; c++)
		w += s->calls[c].probability * hold_time(sc, (size_t)s->calls[c].service, memo);
	return memo[i] = w;
}

static void baseline_of(const struct scn_service *s, double rps, double hold_s, struct plan_baseline *b)
{
	static const struct scn_hpa_metric cpu80 = {.kind = HPA_METRIC_RESOURCE, .resource = HPA_RES_CPU,
						    .target = HPA_TARGET_UTILIZATION, .utilization = 80};
	const struct scn_hpa *h = &s->hpa;
	*b = (struct plan_baseline){.has_hpa = true, .rps = rps, .cpu_s = s->cpu_per_request.mean, .exact = 0};
	snprintf(b->formula, sizeof b->formula, "no metric: minReplicas");
	size_t n = h->n_metrics ? h->n_metrics : 1;
	for (size_t k = 0; k < n; k++) {
		char f[sizeof b->formula];
		double x = metric_pods(s, h->n_metrics ? &h->metrics[k] : &cpu80, rps, hold_s, f, sizeof f);
		if (!isnan(x) && (k == 0 || x > b->exact)) {
			b->exact = x;
			memcpy(b->formula, f, sizeof f);
		}
	}
	double up = ceil(b->exact - 1e-9);
	b->replicas = up >= h->max_replicas ? h->max_replicas : up < 1 ? 1 : (int)up;
}

void plan_baselines(const struct scenario *sc, struct plan_baseline *out)
{
	plan_baselines_at(sc, 1, out);
}

void plan_baselines_at(const struct scenario *sc, double factor, struct plan_baseline *out)
{
	size_t n = sc->n_services;
	size_t *order = xcalloc(n, sizeof *order);
	double *rps = xcalloc(n, sizeof *rps), *memo = xcalloc(n, sizeof *memo);
	simtime t = plan_normal_time(sc);
	call_order(sc, order);
	for (size_t i = 0; i < n; i++) {
		rps[i] = own_rate(&sc->services[i].traffic, t) * factor;
		memo[i] = -1;
	}
	for (size_t k = 0; k < n; k++) {
		const struct scn_service *s = &sc->services[order[k]];
		for (size_t c = 0; c < s->n_calls; c++)
			rps[s->calls[c].service] += rps[order[k]] * s->calls[c].probability;
	}
	for (size_t i = 0; i < n; i++) {
		const struct scn_service *s = &sc->services[i];
		if (s->hpa.enabled)
			baseline_of(s, rps[i], hold_time(sc, i, memo), &out[i]);
		else
			out[i] = (struct plan_baseline){.has_hpa = false, .rps = rps[i], .cpu_s = s->cpu_per_request.mean};
	}
	free(order);
	free(rps);
	free(memo);
}

int64_t plan_buffered(int baseline, double buffer)
{
	double m = ceil((double)baseline * buffer - 1e-9);
	return m < 1 ? 1 : m > 1e9 ? (int64_t)1e9 : (int64_t)m;
}

/* ---- Statistics ------------------------------------------------------------ */

void plan_wilson(int64_t k, int64_t n, double z, double *lo, double *hi)
{
	assert(k >= 0 && k <= n);
	if (n <= 0) {
		*lo = 0;
		*hi = 1;
		return;
	}
	double nn = (double)n, p = (double)k / nn, z2 = z * z;
	double den = 1 + z2 / nn;
	double centre = (p + z2 / (2 * nn)) / den;
	double half = z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / den;
	/* At 0 and n the bound is exact; rounding must not move it. */
	*lo = k == 0 ? 0 : fmax(0, centre - half);
	*hi = k == n ? 1 : fmin(1, centre + half);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double plan_percentile(double *v, size_t n, double p)
{
	assert(p > 0 && p <= 100);
	if (!n)
		return NAN;
	qsort(v, n, sizeof *v, cmp_double);
	double rank = ceil(p / 100 * (double)n - 1e-9);
	size_t i = rank < 1 ? 0 : (size_t)rank - 1;
	return v[HR_MIN(i, n - 1)];
}

/* ---- Recommendation -------------------------------------------------------- */

const char *plan_verdict_name(enum plan_verdict v)
{
	static const char *const names[] = {"fails", "meets", "recommended", "runner-up", "no runs"};
	return names[v];
}

/* Whether variant i ranks before j: cheaper first, an unknown (NaN) cost
 * last, ties by index. */
static bool before(const struct plan_choice *v, size_t i, size_t j)
{
	double x = v[i].cost, y = v[j].cost;
	if (isnan(x) != isnan(y))
		return !isnan(x);
	if (!isnan(x) && x != y)
		return x < y;
	return i < j;
}

int plan_recommend(struct plan_choice *v, size_t n, double target, int *runner_up)
{
	size_t *order = xcalloc(n ? n : 1, sizeof *order);
	/* Insertion sort by rank (n is at most a thousand; qsort would need the
	 * costs in a global). */
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		for (; j > 0 && before(v, i, order[j - 1]); j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	int rec = -1, ru = -1;
	for (size_t k = 0; k < n; k++) {
		struct plan_choice *c = &v[order[k]];
		plan_wilson(c->met, c->runs, PLAN_Z95, &c->lo, &c->hi);
		if (!c->runs)
			c->verdict = PLAN_NO_RUNS;
		else if (c->lo < target)
			c->verdict = PLAN_FAILS;
		else if (rec < 0)
			rec = (int)order[k], c->verdict = PLAN_RECOMMENDED;
		else if (ru < 0)
			ru = (int)order[k], c->verdict = PLAN_RUNNER_UP;
		else
			c->verdict = PLAN_MEETS;
	}
	free(order);
	*runner_up = ru;
	return rec;
}

/* ---- Runs -------------------------------------------------------------------- */

/* MPI is per process: the ranks and this one's, once plan_mpi_start has run. */
static int mpi_size = 1, mpi_rank = 0;

uint64_t plan_seed(uint64_t seed, int variant, int replication)
{
	/* Common random numbers: replication R of every variant has the same
	 * seed, so every random stream of the run starts the same, and the
	 * draws that do not depend on the variant (arrivals, their CPU work
	 * and downstream calls, drawn at arrival) are the same. */
	assert(variant >= 1 && replication >= 1);
	return rng_key(seed, 0, (uint64_t)replication);
}

int plan_n_variants(const struct scenario *sc) { return sc->n_variants ? (int)sc->n_variants : 1; }

int plan_load_variant(struct scenario *out, const struct scenario *sc, int variant, const char *const *sets,
		      size_t n_sets, struct herr *e)
{
	assert(variant >= 1 && variant <= plan_n_variants(sc));
	if (sc->n_variants)
		return scn_load_variant(out, sc, (size_t)variant - 1, sets, n_sets, e);
	return scn_load(out, sc->path, sets, n_sets, e);
}

void plan_result_free(struct plan_result *r)
{
	if (!r)
		return;
	free(r->has_summary);
	free(r->sums);
	free(r);
}

static struct plan_result *result_new(const struct plan_job *j, size_t n_services)
{
	struct plan_result *r = xcalloc(1, sizeof *r);
	r->job = *j;
	r->n_services = n_services;
	r->has_summary = xcalloc(n_services ? n_services : 1, sizeof *r->has_summary);
	r->sums = xcalloc(n_services ? n_services : 1, sizeof *r->sums);
	return r;
}

/* A sink keeping a run's summaries, its cost and the cost rate of its nodes
 * before the spike; samples, decisions and nodes rows are dropped, and pod
 * samples not even asked for (pod_sample NULL: the model skips them). A
 * plan stores none of them; `headroom run --variant K --replication R`
 * makes them again. */
struct capture {
	const struct scenario *sc;
	struct plan_result *r;
	double normal_s;  /* plan_normal_time, s */
	double t_s;       /* the latest nodes sample at or before it, s; -1: none */
	double per_hour;  /* its cost per hour so far */
};

static void cap_sample(void *ctx, const struct row_sample *row)
{
	(void)ctx;
	(void)row;
}

static void cap_summary(void *ctx, const struct row_summary *row)
{
	struct capture *c = ctx;
	int i = scn_service_index(c->sc, row->service);
	assert(i >= 0);
	c->r->sums[i] = *row;
	c->r->sums[i].service = NULL; /* the worker's scenario goes away */
	c->r->has_summary[i] = true;
}

static void cap_nodes(void *ctx, const struct row_nodes *row)
{
	struct capture *c = ctx;
	if (row->t_s > c->normal_s + 1e-9)
		return;
	if (row->t_s > c->t_s) { /* a new sample time: the rows of one time come together */
		c->t_s = row->t_s;
		c->per_hour = 0;
	}
	if (!isnan(row->cost_per_hour))
		c->per_hour += row->cost_per_hour;
}

static void cap_cost(void *ctx, const struct row_cost *row)
{
	struct capture *c = ctx;
	c->r->has_cost = true;
	c->r->cost = *row;
}

static void cap_rollout(void *ctx, const struct row_rollout *row)
{
	struct capture *c = ctx;
	if (c->r->has_rollout)
		return;
	c->r->has_rollout = true;
	c->r->rollout = *row;
	c->r->rollout_service = scn_service_index(c->sc, row->service);
	snprintf(c->r->rollout_outcome, sizeof c->r->rollout_outcome, "%s", row->outcome);
	c->r->rollout.service = c->r->rollout.outcome = NULL; /* the worker's scenario goes away */
}

static struct plan_result *simulate(const struct scenario *vs, const struct plan_job *j, atomic_int *interrupt)
{
	struct plan_result *r = result_new(j, vs->n_services);
	r->rank = mpi_rank;
	struct capture c = {vs, r, sim_to_s(plan_normal_time(vs)), -1, 0};
	struct sink out = {&c, cap_sample, cap_summary, NULL, cap_nodes, cap_cost, NULL, NULL, cap_rollout,
			   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
	struct run_hooks hooks = {interrupt, NULL, NULL};
	run_once(vs, j->seed, &out, &hooks, &r->st);
	r->base_cost_per_hour = c.t_s >= 0 ? c.per_hour : NAN;
	return r;
}

/* ---- The pool of worker threads ------------------------------------------ */

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t done_cv;       /* a result is in, or a worker ended */
	pthread_cond_t job_cv;        /* queue mode: a job came, or the queue closed */
	const struct plan_runner *r;
	/* Jobs: a fixed list (rank 0), or a queue fed by the calling thread (other ranks). */
	const struct plan_job *jobs;
	size_t n_jobs, next;
	bool queue_mode, closed;
	struct plan_job *queue;
	size_t q_head, q_n, q_cap;
	/* Results, for the calling thread. */
	struct plan_result **done;
	size_t n_done, cap_done;
	int live;                     /* workers still running */
	bool failed;                  /* a worker could not load its variant */
	struct herr err;
	pthread_t *threads;
	int n_threads;
};

static bool stopping(const struct pool *p) { return p->failed || (p->r->interrupt && *p->r->interrupt); }

/* The next job, under p->mu; false when there is none (for now and ever). */
static bool take_job(struct pool *p, struct plan_job *j)
{
	if (!p->queue_mode) {
		while (p->next < p->n_jobs &&
		       ((p->r->skip && atomic_load(&p->r->skip[p->jobs[p->next].variant - 1])) ||
			(p->r->stored && p->r->stored(p->r->ctx, &p->jobs[p->next]))))
			p->next++;
		if (stopping(p) || p->next >= p->n_jobs)
			return false;
		*j = p->jobs[p->next++];
		return true;
	}
	while (!p->q_n && !p->closed && !stopping(p))
		pthread_cond_wait(&p->job_cv, &p->mu);
	if (!p->q_n || stopping(p))
		return false;
	*j = p->queue[p->q_head];
	p->q_head = (p->q_head + 1) % p->q_cap;
	p->q_n--;
	return true;
}

static void put_result(struct pool *p, struct plan_result *res)
{
	pthread_mutex_lock(&p->mu);
	if (p->n_done == p->cap_done) {
		p->cap_done = p->cap_done ? 2 * p->cap_done : 16;
		p->done = xrealloc(p->done, p->cap_done * sizeof *p->done);
	}
	p->done[p->n_done++] = res;
	pthread_cond_signal(&p->done_cv);
	pthread_mutex_unlock(&p->mu);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	const struct plan_runner *r = p->r;
	struct scenario vs;
	int loaded = 0; /* the variant in vs, 0: none */
	struct plan_job j;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		bool got = take_job(p, &j);
		pthread_mutex_unlock(&p->mu);
		if (!got)
			break;
		if (j.variant != loaded) {
			struct herr e;
			if (loaded)
				scn_free(&vs);
			loaded = 0;
			/* The loader keeps no global state: workers load at once. */
			int bad = plan_load_variant(&vs, r->sc, j.variant, r->sets, r->n_sets, &e);
			if (bad) {
				pthread_mutex_lock(&p->mu);
				if (!p->failed)
					p->err = e;
				p->failed = true;
				pthread_cond_broadcast(&p->job_cv);
				pthread_mutex_unlock(&p->mu);
				break;
			}
			loaded = j.variant;
		}
		put_result(p, simulate(&vs, &j, r->interrupt));
	}
	if (loaded)
		scn_free(&vs);
	pthread_mutex_lock(&p->mu);
	p->live--;
	pthread_cond_signal(&p->done_cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void pool_start(struct pool *p, const struct plan_runner *r, int n_threads)
{
	memset(p, 0, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	pthread_cond_init(&p->job_cv, NULL);
	p->r = r;
	p->n_threads = n_threads;
	p->live = n_threads;
	p->threads = xcalloc((size_t)n_threads, sizeof *p->threads);
}

static void pool_spawn(struct pool *p)
{
	for (int i = 0; i < p->n_threads; i++) {
		int rc = pthread_create(&p->threads[i], NULL, worker, p);
		if (rc) { /* cannot go on with fewer workers than counted */
			fprintf(stderr, "headroom plan: cannot start a thread: %s\n", strerror(rc));
			abort();
		}
	}
}

static void pool_join(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->closed = true;
	pthread_cond_broadcast(&p->job_cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	for (size_t i = 0; i < p->n_done; i++)
		plan_result_free(p->done[i]);
	free(p->done);
	free(p->queue);
	free(p->threads);
	pthread_cond_destroy(&p->job_cv);
	pthread_cond_destroy(&p->done_cv);
	pthread_mutex_destroy(&p->mu);
}

/* Waits up to ms milliseconds for a result or a worker's end; then takes
 * the results (into *out, *n_out; caller frees the array) and tells how
 * many workers still run. */
static int pool_wait(struct pool *p, int ms, struct plan_result ***out, size_t *n_out)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)ms * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&p->mu);
	while (!p->n_done && p->live > 0)
		if (pthread_cond_timedwait(&p->done_cv, &p->mu, &until) == ETIMEDOUT)
			break;
	*out = p->done;
	*n_out = p->n_done;
	p->done = NULL;
	p->n_done = p->cap_done = 0;
	int live = p->live;
	pthread_mutex_unlock(&p->mu);
	return live;
}

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Hands a finished run to the caller; an interrupted one is dropped. */
static void deliver(const struct plan_runner *r, struct plan_result *res)
{
	if (res->st.interrupted)
		plan_result_free(res);
	else
		r->on_result(r->ctx, res);
}

/* ---- MPI ----------------------------------------------------------------------- */


#ifdef HEADROOM_MPI
enum { TAG_ASK = 1, TAG_JOB, TAG_STOP, TAG_RESULT };

/* What crosses between ranks: the same binary on every rank, so plain
 * structs (the summaries' service pointers are NULL). */
struct wire_head {
	struct plan_job job;
	int rank;
	struct run_stats st;
	bool has_cost;
	struct row_cost cost;
	double base_cost_per_hour;
	size_t n_services;
};

static size_t wire_size(size_t n_services)
{
	return sizeof(struct wire_head) + n_services * (sizeof(bool) + sizeof(struct row_summary));
}

static char *wire_pack(const struct plan_result *r, size_t *len)
{
	struct wire_head h = {r->job, r->rank, r->st, r->has_cost, r->cost, r->base_cost_per_hour, r->n_services};
	*len = wire_size(r->n_services);
	char *buf = xmalloc(*len), *p = buf;
	memcpy(p, &h, sizeof h);
	p += sizeof h;
	memcpy(p, r->has_summary, r->n_services * sizeof(bool));
	p += r->n_services * sizeof(bool);
	memcpy(p, r->sums, r->n_services * sizeof(struct row_summary));
	return buf;
}

static struct plan_result *wire_unpack(const char *buf, size_t len)
{
	struct wire_head h;
	memcpy(&h, buf, sizeof h);
	if (len != wire_size(h.n_services)) {
		fprintf(stderr, "headroom plan: a result from another rank has the wrong size (%zu bytes)\n", len);
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
	struct plan_result *r = result_new(&h.job, h.n_services);
	r->rank = h.rank;
	r->st = h.st;
	r->has_cost = h.has_cost;
	r->cost = h.cost;
	r->base_cost_per_hour = h.base_cost_per_hour;
	memcpy(r->has_summary, buf + sizeof h, h.n_services * sizeof(bool));
	memcpy(r->sums, buf + sizeof h + h.n_services * sizeof(bool), h.n_services * sizeof(struct row_summary));
	for (size_t i = 0; i < h.n_services; i++)
		r->sums[i].service = NULL;
	return r;
}

/* FNV-1a of the scenario's text and overrides: every rank must run the same. */
static uint64_t scenario_print(const struct scenario *sc)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[] = {sc->text, "\n--set\n", sc->overrides ? sc->overrides : ""};
	for (size_t k = 0; k < ARRAY_LEN(parts); k++)
		for (const unsigned char *c = (const unsigned char *)parts[k]; *c; c++)
			h = (h ^ *c) * 0x100000001b3ULL;
	return h;
}

static void check_same_scenario(const struct scenario *sc, int rank)
{
	uint64_t mine = scenario_print(sc), root = mine;
	MPI_Bcast(&root, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
	if (root != mine) {
		fprintf(stderr, "headroom plan: rank %d: %s or its --set overrides differ from rank 0's; every rank must "
				"read the same scenario\n", rank, sc->path);
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
}

/* Rank 0: answers what the other ranks sent. Returns whether anything came. */
static bool serve_ranks(struct pool *p, int *remote_jobs, int *stopped)
{
	bool any = false;
	for (;;) {
		int flag = 0;
		MPI_Status stt;
		MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &stt);
		if (!flag)
			return any;
		any = true;
		if (stt.MPI_TAG == TAG_ASK) {
			struct plan_job j;
			MPI_Recv(NULL, 0, MPI_BYTE, stt.MPI_SOURCE, TAG_ASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			pthread_mutex_lock(&p->mu);
			bool got = take_job(p, &j);
			pthread_mutex_unlock(&p->mu);
			if (got) {
				MPI_Send(&j, (int)sizeof j, MPI_BYTE, stt.MPI_SOURCE, TAG_JOB, MPI_COMM_WORLD);
				++*remote_jobs;
			} else {
				MPI_Send(NULL, 0, MPI_BYTE, stt.MPI_SOURCE, TAG_STOP, MPI_COMM_WORLD);
				++*stopped;
			}
		} else if (stt.MPI_TAG == TAG_RESULT) {
			int len = 0;
			MPI_Get_count(&stt, MPI_BYTE, &len);
			char *buf = xmalloc(len > 0 ? (size_t)len : 1);
			MPI_Recv(buf, len, MPI_BYTE, stt.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			struct plan_result *res = wire_unpack(buf, (size_t)len);
			free(buf);
			--*remote_jobs;
			deliver(p->r, res);
		} else {
			fprintf(stderr, "headroom plan: unexpected message %d from rank %d\n", stt.MPI_TAG, stt.MPI_SOURCE);
			MPI_Abort(MPI_COMM_WORLD, 2);
		}
	}
}

static bool under_mpirun(void)
{
	return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

void plan_mpi_start(int *argc, char ***argv, int *rank, int *size)
{
	*rank = 0;
	*size = 1;
	if (!under_mpirun())
		return;
	int provided = 0;
	/* Only the calling thread of each rank talks to MPI. */
	MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
	MPI_Comm_rank(MPI_COMM_WORLD, rank);
	MPI_Comm_size(MPI_COMM_WORLD, size);
	mpi_size = *size;
	mpi_rank = *rank;
}

void plan_mpi_end(void)
{
	int on = 0, off = 0;
	MPI_Initialized(&on);
	MPI_Finalized(&off);
	if (on && !off)
		MPI_Finalize();
}

void plan_mpi_abort(int rc)
{
	if (mpi_size > 1)
		MPI_Abort(MPI_COMM_WORLD, rc);
}

int plan_mpi_serve(const struct scenario *sc, const char *const *sets, size_t n_sets, int jobs)
{
	int rank = 0;
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	check_same_scenario(sc, rank);
	struct plan_runner r = {.sc = sc, .sets = sets, .n_sets = n_sets, .jobs = jobs};
	struct pool p;
	pool_start(&p, &r, jobs);
	p.queue_mode = true;
	p.q_cap = (size_t)jobs;
	p.queue = xcalloc(p.q_cap, sizeof *p.queue);
	pool_spawn(&p);
	int held = 0; /* jobs taken from rank 0 and not yet answered */
	bool stop = false;
	for (;;) {
		while (!stop && held < jobs) {
			MPI_Status stt;
			struct plan_job j;
			MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_ASK, MPI_COMM_WORLD);
			MPI_Recv(&j, (int)sizeof j, MPI_BYTE, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &stt);
			if (stt.MPI_TAG == TAG_STOP) {
				stop = true;
				break;
			}
			pthread_mutex_lock(&p.mu);
			p.queue[(p.q_head + p.q_n) % p.q_cap] = j;
			p.q_n++;
			pthread_cond_signal(&p.job_cv);
			pthread_mutex_unlock(&p.mu);
			held++;
		}
		if (stop && !held)
			break;
		struct plan_result **res;
		size_t n;
		pool_wait(&p, 1000, &res, &n);
		if (p.failed) {
			fprintf(stderr, "headroom plan: rank %d: %s\n", rank, p.err.msg);
			MPI_Abort(MPI_COMM_WORLD, 2);
		}
		for (size_t i = 0; i < n; i++) {
			size_t len;
			char *buf = wire_pack(res[i], &len);
			MPI_Send(buf, (int)len, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
			free(buf);
			plan_result_free(res[i]);
			held--;
		}
		free(res);
	}
	pool_join(&p);
	return 0;
}
#else
void plan_mpi_start(int *argc, char ***argv, int *rank, int *size)
{
	(void)argc;
	(void)argv;
	*rank = 0;
	*size = 1;
}
void plan_mpi_end(void) {}
void plan_mpi_abort(int rc) { (void)rc; }
int plan_mpi_serve(const struct scenario *sc, const char *const *sets, size_t n_sets, int jobs)
{
	(void)sc;
	(void)sets;
	(void)n_sets;
	(void)jobs;
	return 0;
}
#endif

/* ---- The runner -------------------------------------------------------------- */

int plan_run(const struct plan_runner *r, const struct plan_job *jobs, size_t n, struct herr *e)
{
	assert(r->jobs >= 1 && r->on_result);
	struct pool p;
	pool_start(&p, r, r->jobs);
	p.jobs = jobs;
	p.n_jobs = n;
	int remote_jobs = 0, stopped = 0; /* under MPI: jobs out on other ranks, ranks told to stop */
	(void)remote_jobs;
	(void)stopped;
#ifdef HEADROOM_MPI
	if (mpi_size > 1)
		check_same_scenario(r->sc, 0);
#endif
	pool_spawn(&p);
	double last_tick = mono_now();
	for (;;) {
		struct plan_result **res;
		size_t n_res;
		bool remote = false;
		/* With other ranks to answer, look often; else sleep until a result. */
		int live = pool_wait(&p, mpi_size > 1 ? 2 : 200, &res, &n_res);
		for (size_t i = 0; i < n_res; i++)
			deliver(r, res[i]);
		free(res);
#ifdef HEADROOM_MPI
		if (mpi_size > 1)
			remote = serve_ranks(&p, &remote_jobs, &stopped);
#endif
		double now = mono_now();
		if (r->on_tick && now - last_tick >= 0.2) {
			r->on_tick(r->ctx);
			last_tick = now;
		}
		bool idle = !live && !n_res && !remote;
		if (idle && !remote_jobs && stopped == mpi_size - 1)
			break;
		if (idle) { /* only other ranks are at work: wait for them without spinning */
			struct timespec ms = {0, 1000000};
			nanosleep(&ms, NULL);
		}
	}
	bool failed = p.failed, interrupted = r->interrupt && *r->interrupt;
	if (failed)
		*e = p.err;
	pool_join(&p);
	if (r->on_tick)
		r->on_tick(r->ctx);
	return failed ? -1 : interrupted ? 1 : 0;
}

double plan_min_cores(const struct scenario *vs)
{
	double c = 0;
	for (size_t i = 0; i < vs->n_services; i++) {
		const struct scn_service *s = &vs->services[i];
		c += (s->hpa.enabled ? s->hpa.min_replicas : s->replicas) * s->cpu_request;
	}
	return c;
}
