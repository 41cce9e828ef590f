/*
 * control.c: metrics-server and the HorizontalPodAutoscalers.
 *
 * metrics-server scrapes every pod whose containers run, every
 * metric-resolution, reading the kubelet's cumulative counters: the CPU
 * time the pod has used (integrated exactly by the service model), its
 * working set, and (for a Pods metric) the requests it has received. It
 * keeps the two latest scrapes of each pod and publishes the rate between
 * them: CPU in cores with the newer scrape's time as `timestamp` and their
 * distance as `window` (pkg/storage/types.go resourceUsage). A pod scraped
 * once has no metric yet. The HPA sees only what was last published.
 *
 * Each HPA syncs every sync period (its own phase), turning the service's
 * pods into what the controller's pod lister and the metrics API would
 * show (struct hpa_pod), and its External metrics into the sum of the
 * scenario's external_metrics series they match at that moment (as KEDA's
 * metrics server computes a trigger when the HPA asks), and applies the
 * result to the Deployment at once.
 * Every sync is a decision row with the metrics it saw.
 *
 * The first scrape and the first sync happen at the scenario's offsets, or
 * at a phase drawn per run (the RNG_CONTROL stream) when none is given: in
 * a real cluster the two clocks are unrelated.
 */
#include "world.h"
#include "rollout.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hpa.h"
#include "kafka.h"

static bool any_hpa(const struct world *w)
{
	for (size_t i = 0; i < w->n_svcs; i++)
		if (w->svcs[i].cfg->hpa.enabled)
			return true;
	return false;
}

static void scrape_pod(struct world *w, const struct service *sv, struct pod *p)
{
	svc_pod_advance(w, p);
	if (p->m_n == 2) {
		p->m_t[0] = p->m_t[1];
		p->m_cpu[0] = p->m_cpu[1];
		p->m_req[0] = p->m_req[1];
	}
	int k = p->m_n == 0 ? 0 : 1;
	p->m_t[k] = w->s->now;
	p->m_cpu[k] = p->cpu_used;
	p->m_req[k] = p->received;
	p->m_mem = sv->cfg->memory_base + sv->cfg->memory_per_request * (double)(p->n_busy + p->q_len);
	if (p->m_n < 2)
		p->m_n++;
}

static simtime scrape_ev(struct sim *s, void *obj, uint64_t arg)
{
	(void)arg;
	struct world *w = obj;
	for (size_t i = 0; i < w->n_svcs; i++) {
		struct service *sv = &w->svcs[i];
		if (!sv->hpa)
			continue;
		for (uint32_t j = 0; j < sv->n_pods; j++) {
			struct pod *p = sv->pods[j];
			if (!p->slot_free && (p->phase == POD_RUNNING || p->phase == POD_TERMINATING))
				scrape_pod(w, sv, p);
		}
	}
	return s->now >= s->end ? SIM_DONE : w->sc->control.metric_resolution;
}

/* The pods as the HPA sees them; returns how many. */
static size_t observe(struct world *w, struct service *sv)
{
	if (w->hpa_cap < sv->n_pods) {
		w->hpa_cap = sv->n_pods * 2;
		w->hpa_buf = xrealloc(w->hpa_buf, w->hpa_cap * sizeof *w->hpa_buf);
	}
	const struct scn_service *cfg = sv->cfg;
	size_t n = 0;
	for (uint32_t j = 0; j < sv->n_pods; j++) {
		const struct pod *p = sv->pods[j];
		if (p->slot_free || p->phase == POD_GONE)
			continue;
		struct hpa_pod *h = &w->hpa_buf[n++];
		double secs = p->m_n == 2 ? sim_to_s(p->m_t[1] - p->m_t[0]) : 0;
		*h = (struct hpa_pod){
			.pending = p->phase == POD_PENDING,
			.ignored = p->phase == POD_TERMINATING,
			.has_ready_condition = p->bound,
			.ready = p->ready,
			.has_start_time = p->bound,
			.start_time = p->start_time,
			.ready_transition = p->ready_change,
			.cpu_request = cfg->cpu_request,
			.memory_request = cfg->memory_request,
			.has_sample = p->m_n == 2,
			.cpu = secs > 0 ? (p->m_cpu[1] - p->m_cpu[0]) * 1e-9 / secs : 0,
			.memory = p->m_mem,
			.sample_time = p->m_t[1],
			.window = p->m_n == 2 ? p->m_t[1] - p->m_t[0] : 0,
			.has_custom = p->m_n == 2,
			.custom = secs > 0 ? (p->m_req[1] - p->m_req[0]) / secs : 0,
		};
	}
	return n;
}

static const char *metric_name(const struct scn_hpa *spec, size_t i, const struct hpa_metric_result *m)
{
	if (m->kind == HPA_METRIC_PODS || m->kind == HPA_METRIC_EXTERNAL)
		return i < spec->n_metrics && spec->metrics[i].name ? spec->metrics[i].name : "pods";
	return m->resource == HPA_RES_CPU ? "cpu" : "memory";
}

/* A JSON number, or null for NaN and infinities. */
static int jnum(char *buf, size_t size, double v)
{
	return isfinite(v) ? snprintf(buf, size, "%.6g", v) : snprintf(buf, size, "null");
}

/* The metrics of a decision as JSON, into buf. If it would not fit, the
 * list is cut after the last metric that fits (still valid JSON). */
static void metrics_json(char *buf, size_t size, const struct scn_hpa *spec, const struct hpa_decision *d)
{
	size_t k = 1;
	char one[512];
	snprintf(buf, size, "[");
	for (size_t i = 0; i < d->n_metrics && i < HPA_MAX_METRICS; i++) {
		const struct hpa_metric_result *m = &d->metric[i];
		size_t n = (size_t)snprintf(one, sizeof one, "%s{\"metric\":\"%s\",\"current\":", i ? "," : "",
					    metric_name(spec, i, m));
		n += (size_t)jnum(one + n, sizeof one - n, m->current);
		n += (size_t)snprintf(one + n, sizeof one - n, ",\"target\":");
		n += (size_t)jnum(one + n, sizeof one - n, m->target);
		n += (size_t)snprintf(one + n, sizeof one - n, ",\"ratio\":");
		n += (size_t)jnum(one + n, sizeof one - n, m->ratio);
		if (m->valid)
			n += (size_t)snprintf(one + n, sizeof one - n, ",\"proposal\":%d", (int)m->proposal);
		else
			n += (size_t)snprintf(one + n, sizeof one - n, ",\"proposal\":null,\"error\":\"%s\"",
					      hpa_error_name(m->error));
		n += (size_t)snprintf(one + n, sizeof one - n,
				      ",\"ready\":%d,\"unready\":%d,\"missing\":%d,\"ignored\":%d}", (int)m->n_ready,
				      (int)m->n_unready, (int)m->n_missing, (int)m->n_ignored);
		if (n >= sizeof one || k + n + 2 > size)
			break;
		memcpy(buf + k, one, n);
		k += n;
	}
	buf[k++] = ']';
	buf[k] = '\0';
}

/* What the external metrics API serves at now for each of the HPA's
 * External metrics: the sum of the series it matches (the loader checked
 * that there is at least one); NaN for the other metrics. */
static void external_values(const struct world *w, const struct scn_hpa *spec, simtime now, double *out)
{
	assert(spec->n_metrics <= HPA_MAX_METRICS);
	for (size_t i = 0; i < spec->n_metrics; i++) {
		const struct scn_hpa_metric *m = &spec->metrics[i];
		out[i] = NAN;
		if (m->kind != HPA_METRIC_EXTERNAL)
			continue;
		out[i] = 0;
		for (size_t k = 0; k < m->n_series; k++) {
			const struct scn_ext_metric *x = &w->sc->external_metrics[m->series[k]];
			/* A KEDA kafka trigger's series: the group's lag now (models/kafka.h). */
			out[i] += x->kafka ? kafka_metric(w, x->kafka - 1) : scn_ext_value(x, now);
		}
	}
}

static simtime sync_ev(struct sim *s, void *obj, uint64_t arg)
{
	struct world *w = obj;
	struct service *sv = &w->svcs[arg];
	const struct scn_hpa *spec = &sv->cfg->hpa;
	size_t n = observe(w, sv);
	struct hpa_decision d;
	double ext[HPA_MAX_METRICS];
	external_values(w, spec, s->now, ext);
	int32_t before = sv->ro ? rollout_replicas(sv->ro) : sv->desired; /* a Rollout's spec.replicas */
	int32_t want = hpa_sync_ext(sv->hpa, s->now, before, w->hpa_buf, n, ext, &d);
	sv->hpa_util = NAN;
	for (size_t i = 0; i < d.n_metrics && i < HPA_MAX_METRICS; i++)
		if (d.metric[i].kind == HPA_METRIC_RESOURCE && d.metric[i].resource == HPA_RES_CPU &&
		    d.metric[i].n_ready > 0)
			sv->hpa_util = d.metric[i].average / sv->cfg->cpu_request;
	if (w->out.decision) {
		char json[4096];
		metrics_json(json, sizeof json, spec, &d);
		struct row_decision r = {
			.t_s = sim_to_s(s->now),
			.service = sv->cfg->name,
			.kind = "hpa",
			.event = "sync",
			.replicas = before,
			.desired = want,
			.raw = d.winner >= 0 ? d.raw : -1,
			.stabilized = d.stabilized,
			.limited = d.limited,
			.bound = hpa_bound_name(d.bound),
			.metrics = json,
		};
		w->out.decision(w->out.ctx, &r);
	}
	if (want != before)
		pod_scale(w, sv, want);
	return s->now >= s->end ? SIM_DONE : spec->sync_period;
}

/* The first time of a periodic control loop: `offset`, or a phase drawn in
 * [0, period). */
static simtime first_at(struct world *w, simtime offset, simtime period)
{
	if (offset >= 0)
		return offset;
	return (simtime)(rng_u01(w->r_control) * (double)period);
}

void control_start(struct world *w)
{
	if (!any_hpa(w))
		return;
	const struct scn_control *c = &w->sc->control;
	w->r_control = rng_stream(w->s->seed, RNG_CONTROL, 0);
	simtime t = first_at(w, c->scrape_offset, c->metric_resolution);
	if (t <= w->s->end)
		sim_at(w->s, t, PRIO_CONTROL, scrape_ev, w, 0);
	for (size_t i = 0; i < w->n_svcs; i++) {
		struct service *sv = &w->svcs[i];
		if (!sv->cfg->hpa.enabled)
			continue;
		sv->hpa = hpa_new(&sv->cfg->hpa);
		/* Each HPA's own phase (a controller re-queues each key on its own). */
		t = first_at(w, c->hpa_offset, sv->cfg->hpa.sync_period);
		if (t <= w->s->end)
			sim_at(w->s, t, PRIO_CONTROL + 1, sync_ev, w, i);
	}
}

void control_free(struct world *w)
{
	for (size_t i = 0; i < w->n_svcs; i++) {
		hpa_free(w->svcs[i].hpa);
		w->svcs[i].hpa = NULL;
	}
	if (w->r_control)
		gsl_rng_free(w->r_control);
	w->r_control = NULL;
}
