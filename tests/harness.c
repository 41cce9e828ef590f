#include "harness.h"

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

struct sink memsink_init(struct memsink *m)
{
	memset(m, 0, sizeof *m);
	m->samples = xcalloc(MEM_MAX_SAMPLES, sizeof *m->samples);
	return (struct sink){m, keep_sample, keep_summary};
}

void memsink_free(struct memsink *m) { free(m->samples); }

const struct row_summary *memsink_summary(const struct memsink *m, const char *service)
{
	for (size_t i = 0; i < m->n_summaries; i++)
		if (!strcmp(m->summaries[i].service, service))
			return &m->summaries[i];
	return NULL;
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

void batch_means(const struct memsink *m, const char *service, int n_batches, double level, double *mean,
		 double *half)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n_samples; i++)
		n += !strcmp(m->samples[i].service, service);
	size_t per = n / (size_t)n_batches, k = 0;
	double bm[1024], tot = 0, cnt = 0;
	double sum = 0, c = 0;
	int b = 0;
	for (size_t i = 0; i < m->n_samples && b < n_batches; i++) {
		const struct row_sample *r = &m->samples[i];
		if (strcmp(r->service, service))
			continue;
		/* served per interval = served_rps x interval; the interval length
		 * cancels in the weighted mean, so rps serves as the weight. */
		if (r->served_rps > 0) {
			sum += r->mean_ms * r->served_rps;
			c += r->served_rps;
		}
		if (++k == per) {
			bm[b++] = sum / c;
			tot += sum;
			cnt += c;
			sum = c = 0;
			k = 0;
		}
	}
	double mu = tot / cnt, ss = 0;
	for (int i = 0; i < b; i++)
		ss += (bm[i] - mu) * (bm[i] - mu);
	*mean = mu;
	*half = gsl_cdf_tdist_Pinv(1 - (1 - level) / 2, b - 1) * sqrt(ss / (b - 1) / b);
}
