#include "harness.h"
#include "world.h"

#include <criterion/criterion.h>
#include <glob.h>
#include <gsl/gsl_cdf.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void keep_sample(void *ctx, const struct row_sample *r)
{
	struct memsink *m = ctx;
	if (m->n_samples < MEM_MAX_SAMPLES)
		m->samples[m->n_samples++] = *r;
}

static void keep_summary(void *ctx, const struct row_summary *r)
{
	struct memsink *m = ctx;
	if (m->n_summaries < MEM_MAX_SUMMARIES)
		m->summaries[m->n_summaries++] = *r;
}

static const char *keep_str(char *dst, size_t n, const char *src)
{
	if (!src)
		return NULL;
	snprintf(dst, n, "%s", src);
	return dst;
}

void memsink_keep_decision(void *ctx, const struct row_decision *r)
{
	struct memsink *m = ctx;
	if (m->n_decisions >= MEM_MAX_DECISIONS)
		return;
	struct mem_decision *d = &m->decisions[m->n_decisions++];
	d->r = *r;
	d->r.service = keep_str(d->service, sizeof d->service, r->service);
	d->r.kind = keep_str(d->kind, sizeof d->kind, r->kind);
	d->r.pod = keep_str(d->pod, sizeof d->pod, r->pod);
	d->r.event = keep_str(d->event, sizeof d->event, r->event);
	d->r.bound = keep_str(d->bound, sizeof d->bound, r->bound);
	d->r.detail = keep_str(d->detail, sizeof d->detail, r->detail);
	d->r.metrics = keep_str(d->metrics, sizeof d->metrics, r->metrics);
}

static void keep_pod_sample(void *ctx, const struct row_pod_sample *r)
{
	struct memsink *m = ctx;
	if (m->n_pod_samples >= MEM_MAX_POD_SAMPLES)
		return;
	struct mem_pod_sample *d = &m->pod_samples[m->n_pod_samples++];
	d->r = *r;
	d->r.service = keep_str(d->service, sizeof d->service, r->service);
	d->r.pod = keep_str(d->pod, sizeof d->pod, r->pod);
	d->r.node = keep_str(d->node, sizeof d->node, r->node);
}

struct sink memsink_init(struct memsink *m)
{
	memset(m, 0, sizeof *m);
	m->samples = xcalloc(MEM_MAX_SAMPLES, sizeof *m->samples);
	m->decisions = xcalloc(MEM_MAX_DECISIONS, sizeof *m->decisions);
	m->pod_samples = xcalloc(MEM_MAX_POD_SAMPLES, sizeof *m->pod_samples);
	return (struct sink){m, keep_sample, keep_summary, memsink_keep_decision, NULL, NULL, keep_pod_sample, NULL, NULL,
			     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
}

void memsink_free(struct memsink *m)
{
	free(m->samples);
	free(m->decisions);
	free(m->pod_samples);
}

const char *harness_put(const char *dir, const char *name, const char *text)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f, "cannot write %s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	return path;
}

void harness_load(struct scenario *sc, const char *path)
{
	struct herr e;
	cr_assert_eq(scn_load(sc, path, NULL, 0, &e), 0, "%s", e.msg);
}

struct memsink memsink_run(const struct scenario *sc, void (*look)(const struct world *w))
{
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct sim s;
	sim_init(&s, sc->seed, sc->duration);
	struct world *w = world_new(&s, sc, &out);
	sim_run(&s);
	world_finish(w);
	if (look)
		look(w);
	world_free(w);
	sim_release(&s);
	return m;
}

void memsink_run_variant(const struct scenario *sc, size_t v, uint64_t seed,
			 void (*look)(const struct memsink *m, void *ctx), void *ctx)
{
	struct scenario vs;
	struct herr e;
	cr_assert_eq(scn_load_variant(&vs, sc, v, NULL, 0, &e), 0, "%s", e.msg);
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct run_stats st;
	run_once(&vs, seed, &out, NULL, &st);
	look(&m, ctx);
	memsink_free(&m);
	scn_free(&vs);
}

const struct row_summary *memsink_summary(const struct memsink *m, const char *service)
{
	for (size_t i = 0; i < m->n_summaries; i++)
		if (!strcmp(m->summaries[i].service, service))
			return &m->summaries[i];
	return NULL;
}

double memsink_first(const struct memsink *m, const char *event, const char *pod, const char **detail)
{
	for (size_t i = 0; i < m->n_decisions; i++) {
		const struct row_decision *r = &m->decisions[i].r;
		if (!strcmp(r->event, event) && (!pod || (r->pod && !strcmp(r->pod, pod)))) {
			if (detail)
				*detail = r->detail ? r->detail : "";
			return r->t_s;
		}
	}
	return -1;
}

int memsink_count(const struct memsink *m, const char *event)
{
	int n = 0;
	for (size_t i = 0; i < m->n_decisions; i++)
		n += !strcmp(m->decisions[i].r.event, event);
	return n;
}

struct scenario *test_scn(size_t n, double cores, int workers, struct dist d, double rate, simtime duration,
			  simtime sample_interval)
{
	struct scenario *sc = xcalloc(1, sizeof *sc);
	sc->name = xstrdup("test");
	sc->seed = 1;
	sc->duration = duration;
	sc->sample_interval = sample_interval;
	sc->slo_window = SIM_MIN;
	sc->n_services = n;
	sc->services = xcalloc(n, sizeof *sc->services);
	for (size_t i = 0; i < n; i++) {
		struct scn_service *s = &sc->services[i];
		char name[32];
		snprintf(name, sizeof name, "s%zu", i);
		s->name = xstrdup(name);
		s->replicas = 1;
		s->cpu_request = s->cpu_limit = cores;
		s->workers = workers;
		s->queue = -1;
		s->cpu_per_request = d;
		s->warmup_factor = 1;
		s->active_request_bias = 1; /* the loader's defaults (random, no slow start) */
		s->slow_start = (struct scn_slow_start){SLOW_START_NONE, 0, 1, 0.1};
		s->safe_to_evict = true;
		s->pdb = -1; /* as the loader leaves a service no PDB selects */
	}
	struct scn_traffic *t = &sc->services[0].traffic;
	t->enabled = true;
	t->rate = rate;
	return sc;
}

void test_scn_free(struct scenario *sc)
{
	for (size_t i = 0; i < sc->n_services; i++) {
		free(sc->services[i].name);
		free(sc->services[i].calls);
		free(sc->services[i].traffic.spikes);
	}
	free(sc->services);
	free(sc->name);
	free(sc);
}

/* Batch means of sum(num) / sum(den) over n_batches groups of consecutive
 * values. */
static void batch_ci(const double *num, const double *den, size_t n, int n_batches, double level, double *mean,
		     double *half)
{
	size_t per = n / (size_t)n_batches;
	double bm[1024], tot = 0, cnt = 0;
	int b = 0;
	for (size_t i = 0; i + per <= n && b < n_batches; i += per) {
		double s = 0, c = 0;
		for (size_t k = i; k < i + per; k++) {
			s += num[k];
			c += den[k];
		}
		bm[b++] = s / c;
		tot += s;
		cnt += c;
	}
	double mu = tot / cnt, ss = 0;
	for (int k = 0; k < b; k++)
		ss += (bm[k] - mu) * (bm[k] - mu);
	*mean = mu;
	*half = gsl_cdf_tdist_Pinv(1 - (1 - level) / 2, b - 1) * sqrt(ss / (b - 1) / b);
}

/* The rows of one service as parallel arrays: per interval, either the
 * latency sum and the served count, or the refused and arrived counts. */
static size_t collect(const struct memsink *m, const char *service, bool rejected, double *num, double *den)
{
	size_t n = 0;
	double prev_t = 0;
	for (size_t i = 0; i < m->n_samples; i++) {
		const struct row_sample *r = &m->samples[i];
		if (strcmp(r->service, service))
			continue;
		double dt = r->t_s - prev_t;
		prev_t = r->t_s;
		if (rejected) {
			num[n] = (double)r->rejected;
			den[n] = r->offered_rps * dt;
		} else {
			den[n] = r->served_rps * dt;
			num[n] = den[n] > 0 ? r->mean_ms * den[n] : 0;
		}
		n++;
	}
	return n;
}

static void batch_of(const struct memsink *m, const char *service, bool rejected, int n_batches, double level,
		     double *mean, double *half)
{
	double *num = xcalloc(m->n_samples, sizeof *num), *den = xcalloc(m->n_samples, sizeof *den);
	size_t n = collect(m, service, rejected, num, den);
	batch_ci(num, den, n, n_batches, level, mean, half);
	free(num);
	free(den);
}

void batch_means(const struct memsink *m, const char *service, int n_batches, double level, double *mean,
		 double *half)
{
	batch_of(m, service, false, n_batches, level, mean, half);
}

void batch_rejected(const struct memsink *m, const char *service, int n_batches, double level, double *mean,
		    double *half)
{
	batch_of(m, service, true, n_batches, level, mean, half);
}

size_t shipped_each(void (*fn)(const struct scenario *sc, const char *what, size_t v, void *ctx), void *ctx)
{
	static const char *const globs[] = {"scenarios/*.yaml", "scenarios/bench/*.yaml", "scenarios/ci/*.yaml"};
	size_t calls = 0;
	for (size_t g = 0; g < sizeof globs / sizeof globs[0]; g++) {
		glob_t gl;
		cr_assert_eq(glob(globs[g], 0, NULL, &gl), 0, "%s: no scenarios (tests run from the project's root)",
			     globs[g]);
		for (size_t i = 0; i < gl.gl_pathc; i++) {
			struct scenario sc;
			struct herr e;
			cr_assert_eq(scn_load(&sc, gl.gl_pathv[i], NULL, 0, &e), 0, "%s", e.msg);
			for (size_t v = 0; v < (sc.n_variants ? sc.n_variants : 1); v++, calls++) {
				char what[300];
				if (!sc.n_variants) {
					fn(&sc, gl.gl_pathv[i], 0, ctx);
					continue;
				}
				struct scenario vs;
				cr_assert_eq(scn_load_variant(&vs, &sc, v, NULL, 0, &e), 0, "%s", e.msg);
				snprintf(what, sizeof what, "%s variant %s", gl.gl_pathv[i], sc.variants[v].name);
				fn(&vs, what, v, ctx);
				scn_free(&vs);
			}
			scn_free(&sc);
		}
		globfree(&gl);
	}
	return calls;
}
