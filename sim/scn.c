/*
 * scn.c: the scenario loader (see scn.h; the format is scenarios/README.md).
 *
 * Three steps: read the file and parse it into a located tree (ytree.h);
 * graft each --set override into that tree, so an override is checked by
 * exactly the rules a value in the file is; then walk the tree once, key by
 * key, converting units and checking ranges into a struct scenario. Every
 * mapping is checked against the list of keys it may hold, so a misspelt
 * key is an error (with the closest known key), never a silent default.
 * Nothing is written to *out until everything has passed.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scn.h"
#include "scn_impl.h"
#include "trace.h"
#include "units.h"
#include "ytree.h"

/* Bounds on values, so an absurd scenario fails at load, not after an hour. */
#define MAX_SERVICES 1000
#define MAX_WORKERS 100000
#define MAX_QUEUE 10000000
#define MAX_RATE 1e6               /* rps per entry service */
#define MAX_DURATION (366 * 24 * SIM_HOUR)
#define MAX_SAMPLES 10000000       /* sample intervals in a run */
#define MAX_FACTOR 1000.0          /* spike and warm-up multipliers */
#define MAX_CV 10.0
#define MAX_SPIKES 1000
#define MAX_CALLS 100

/* ---- keys ---- */

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t sub = diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			size_t best = HR_MIN(up + 1, row[j - 1] + 1);
			row[j] = HR_MIN(best, sub);
			diag = up;
		}
	}
	return row[lb];
}

/* The known key closest to k, if close enough to be a likely typo. */
const char *ld_closest(const char *k, const char *const *known)
{
	const char *best = NULL;
	size_t bd = 99;
	for (size_t i = 0; known[i]; i++) {
		size_t d = edit_distance(k, known[i]);
		if (d < bd) {
			bd = d;
			best = known[i];
		}
	}
	size_t len = strlen(k);
	return bd <= 2 && bd < len ? best : (bd <= len / 3 ? best : NULL);
}

/* Checks that every key of map m is in known; `in` names m for messages. */
int ld_check_keys(struct ld *L, const struct ynode *m, const char *const *known, const char *in)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct ynode *k = yt_key(m, i);
		size_t j = 0;
		while (known[j] && strcmp(known[j], k->s))
			j++;
		if (known[j])
			continue;
		const char *near = ld_closest(k->s, known);
		if (near)
			return yt_err(L->e, k, "unknown key '%s' in %s; did you mean '%s'?", k->s, in, near);
		char list[400];
		size_t n = 0;
		list[0] = '\0';
		for (j = 0; known[j] && n < sizeof list - 80; j++)
			n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", j ? ", " : "", known[j]);
		return yt_err(L->e, k, "unknown key '%s' in %s (known keys: %s)", k->s, in, list);
	}
	return 0;
}

int ld_want_map(struct ld *L, const struct ynode *n, const char *what)
{
	char buf[80];
	if (n->kind != Y_MAP)
		return yt_err(L->e, n, "%s must be a mapping (key: value lines), not %s", what,
			      yt_what(n, buf, sizeof buf));
	return 0;
}

int ld_want_seq(struct ld *L, const struct ynode *n, const char *what)
{
	char buf[80];
	if (n->kind != Y_SEQ)
		return yt_err(L->e, n, "%s must be a list (lines starting with '- '), not %s", what,
			      yt_what(n, buf, sizeof buf));
	return 0;
}

/* The text of scalar n, or NULL after setting an error. */
const char *ld_scalar(struct ld *L, const struct ynode *n, const char *what)
{
	char buf[80];
	if (n->kind != Y_SCALAR || (n->plain && (!n->s[0] || !strcmp(n->s, "null") || !strcmp(n->s, "~")))) {
		yt_err(L->e, n, "%s needs a value, not %s", what, yt_what(n, buf, sizeof buf));
		return NULL;
	}
	return n->s;
}

/* A required key's value, or NULL after setting an error located at m. */
const struct ynode *ld_need(struct ld *L, const struct ynode *m, const char *k, const char *in)
{
	const struct ynode *v = yt_get(m, k);
	if (!v)
		yt_err(L->e, m, "%s needs '%s'", in, k);
	return v;
}

/* ---- typed values: each reads key k of map m if present (else leaves *out),
 * converts its unit and checks the range [lo, hi]. ---- */


int ld_get_num(struct ld *L, const struct ynode *m, const char *k, parse_fn parse, double lo, double hi,
		   bool lo_open, double *out)
{
	const struct ynode *v = yt_get(m, k);
	if (!v)
		return 0;
	const char *s = ld_scalar(L, v, k);
	char why[UNITS_WHY];
	double x;
	if (!s)
		return -1;
	if (parse(s, &x, why))
		return yt_err(L->e, v, "%s: %s", k, why);
	if (x < lo || (lo_open && x == lo) || x > hi)
		return yt_err(L->e, v, "%s: %s is out of range: it must be %s %g and <= %g", k, s, lo_open ? ">" : ">=",
			      lo, hi);
	*out = x;
	return 0;
}

int ld_get_int(struct ld *L, const struct ynode *m, const char *k, int64_t lo, int64_t hi, int64_t *out)
{
	const struct ynode *v = yt_get(m, k);
	if (!v)
		return 0;
	const char *s = ld_scalar(L, v, k);
	char why[UNITS_WHY];
	int64_t x;
	if (!s)
		return -1;
	if (units_integer(s, &x, why))
		return yt_err(L->e, v, "%s: %s", k, why);
	if (x < lo || x > hi)
		return yt_err(L->e, v, "%s: %s is out of range: it must be between %" PRId64 " and %" PRId64, k, s, lo,
			      hi);
	*out = x;
	return 0;
}

/* A duration; `none` (if none_ok) reads as 0. */
int ld_get_dur(struct ld *L, const struct ynode *m, const char *k, simtime lo, simtime hi, bool none_ok,
		   simtime *out)
{
	const struct ynode *v = yt_get(m, k);
	if (!v)
		return 0;
	const char *s = ld_scalar(L, v, k);
	char why[UNITS_WHY];
	simtime x;
	if (!s)
		return -1;
	if (none_ok && !strcmp(s, "none")) {
		*out = 0;
		return 0;
	}
	if (units_duration(s, &x, why))
		return yt_err(L->e, v, "%s: %s%s", k, why, none_ok ? " (or none)" : "");
	if (x < lo || x > hi) {
		char a[32], b[32];
		snprintf(a, sizeof a, "%gs", (double)lo / SIM_S);
		snprintf(b, sizeof b, "%gh", (double)hi / SIM_HOUR);
		return yt_err(L->e, v, "%s: %s is out of range: it must be between %s and %s", k, s, a, b);
	}
	*out = x;
	return 0;
}

/* One of the words in `names` (NULL-terminated); *out is its index. */
int ld_get_enum(struct ld *L, const struct ynode *m, const char *k, const char *const *names, int *out)
{
	const struct ynode *v = yt_get(m, k);
	if (!v)
		return 0;
	const char *s = ld_scalar(L, v, k);
	if (!s)
		return -1;
	for (int i = 0; names[i]; i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	char list[200];
	size_t n = 0;
	for (int i = 0; names[i]; i++)
		n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", names[i]);
	const char *near = ld_closest(s, names);
	if (near)
		return yt_err(L->e, v, "%s: '%s' is not one of %s; did you mean '%s'?", k, s, list, near);
	return yt_err(L->e, v, "%s: '%s' is not one of %s", k, s, list);
}

/* ---- pieces of a service ---- */

int ld_load_dist(struct ld *L, const struct ynode *v, const char *k, struct dist *d)
{
	static const char *const keys[] = {"distribution", "mean", "cv", NULL};
	static const char *const kinds[] = {"constant", "exponential", "lognormal", "gamma", "uniform", NULL};
	char why[UNITS_WHY];
	if (v->kind == Y_SCALAR) {
		simtime t;
		const char *s = ld_scalar(L, v, k);
		if (!s)
			return -1;
		if (units_duration(s, &t, why))
			return yt_err(L->e, v, "%s: %s, or a mapping {distribution, mean, cv}", k, why);
		if (t <= 0 || t > SIM_HOUR)
			return yt_err(L->e, v, "%s: %s is out of range: it must be > 0 and <= 1h", k, s);
		*d = (struct dist){DIST_CONSTANT, (double)t / SIM_S, 0};
		return 0;
	}
	if (ld_want_map(L, v, k) || ld_check_keys(L, v, keys, k))
		return -1;
	int kind = DIST_CONSTANT;
	simtime mean = 0;
	double cv = -1;
	const struct ynode *dn = ld_need(L, v, "distribution", k);
	if (!dn || ld_get_enum(L, v, "distribution", kinds, &kind) || !ld_need(L, v, "mean", k) ||
	    ld_get_dur(L, v, "mean", 1, SIM_HOUR, false, &mean) || ld_get_num(L, v, "cv", units_number, 0, MAX_CV, false, &cv))
		return -1;
	const struct ynode *cvn = yt_get(v, "cv");
	switch (kind) {
	case DIST_CONSTANT:
		if (cv > 0)
			return yt_err(L->e, cvn, "cv: a constant has cv 0; choose another distribution for variation");
		cv = 0;
		break;
	case DIST_EXPONENTIAL:
		if (cv >= 0 && fabs(cv - 1) > 1e-12)
			return yt_err(L->e, cvn, "cv: an exponential has cv 1; for cv %g use lognormal or gamma", cv);
		cv = 1;
		break;
	case DIST_UNIFORM:
		if (cv < 0)
			return yt_err(L->e, v, "%s: a uniform distribution needs cv (at most 0.577)", k);
		if (cv > 1 / sqrt(3.0) + 1e-12)
			return yt_err(L->e, cvn, "cv: %g is too large for a uniform distribution of positive values (at most 0.577)", cv);
		break;
	default:
		if (cv <= 0)
			return yt_err(L->e, cvn ? cvn : v, "%s: a %s distribution needs cv > 0", k, kinds[kind]);
		break;
	}
	*d = (struct dist){(enum dist_kind)kind, (double)mean / SIM_S, cv};
	return 0;
}

int ld_load_delay(struct ld *L, const struct ynode *v, const char *k, struct dist *d)
{
	simtime t;
	char why[UNITS_WHY];
	if (v->kind == Y_SCALAR && !units_duration(v->s, &t, why) && t == 0) {
		*d = (struct dist){DIST_CONSTANT, 0, 0};
		return 0;
	}
	return ld_load_dist(L, v, k, d);
}

static int load_resources(struct ld *L, const struct ynode *v, struct scn_service *s)
{
	static const char *const keys[] = {"requests", "limits", NULL};
	static const char *const rkeys[] = {"cpu", "memory", NULL};
	if (ld_want_map(L, v, "resources") || ld_check_keys(L, v, keys, "resources"))
		return -1;
	const struct ynode *req = yt_get(v, "requests"), *lim = yt_get(v, "limits");
	double rc = -1, lc = 0, rm = -1, lm = 0;
	if (req && (ld_want_map(L, req, "requests") || ld_check_keys(L, req, rkeys, "resources.requests") ||
		    ld_get_num(L, req, "cpu", units_cpu, 0, MAX_CORES, true, &rc) ||
		    ld_get_num(L, req, "memory", units_memory, 0, MAX_MEMORY, false, &rm)))
		return -1;
	if (lim && (ld_want_map(L, lim, "limits") || ld_check_keys(L, lim, rkeys, "resources.limits") ||
		    ld_get_num(L, lim, "cpu", units_cpu, 0, MAX_CORES, true, &lc) ||
		    ld_get_num(L, lim, "memory", units_memory, 0, MAX_MEMORY, true, &lm)))
		return -1;
	/* As in Kubernetes: a limit without a request sets the request. */
	if (rc < 0)
		rc = lc;
	if (rm < 0)
		rm = lm;
	if (rc <= 0)
		return yt_err(L->e, v, "resources needs requests.cpu (e.g. requests: {cpu: 500m})");
	if (lc > 0 && lc < rc)
		return yt_err(L->e, yt_get(lim, "cpu"), "limits.cpu must be >= requests.cpu (%g cores), as Kubernetes requires",
			      rc);
	if (lm > 0 && lm < rm)
		return yt_err(L->e, yt_get(lim, "memory"), "limits.memory must be >= requests.memory, as Kubernetes requires");
	s->cpu_request = rc;
	s->cpu_limit = lc;
	s->memory_request = rm;
	s->memory_limit = lm;
	return 0;
}

static int load_warmup(struct ld *L, const struct ynode *v, struct scn_service *s)
{
	static const char *const keys[] = {"factor", "duration", NULL};
	if (ld_want_map(L, v, "warmup") || ld_check_keys(L, v, keys, "warmup") || !ld_need(L, v, "factor", "warmup") ||
	    !ld_need(L, v, "duration", "warmup") ||
	    ld_get_num(L, v, "factor", units_number, 1, MAX_FACTOR, false, &s->warmup_factor) ||
	    ld_get_dur(L, v, "duration", 1, 24 * SIM_HOUR, false, &s->warmup_duration))
		return -1;
	return 0;
}

static int load_calls(struct ld *L, const struct ynode *v, size_t self, struct scn_service *s)
{
	static const char *const keys[] = {"service", "probability", NULL};
	if (ld_want_seq(L, v, "calls"))
		return -1;
	if (v->n > MAX_CALLS)
		return yt_err(L->e, v, "calls: %zu calls is too many (at most %d)", v->n, MAX_CALLS);
	s->calls = xcalloc(v->n ? v->n : 1, sizeof *s->calls);
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *c = v->kid[i], *sn;
		double p = 1;
		if (ld_want_map(L, c, "a call") || ld_check_keys(L, c, keys, "a call") || !(sn = ld_need(L, c, "service", "a call")) ||
		    !ld_scalar(L, sn, "service") || ld_get_num(L, c, "probability", units_fraction, 0, 1, true, &p))
			return -1;
		long to = yt_find(L->names, sn->s);
		if (to < 0)
			return yt_err(L->e, sn, "calls: no service '%s' in this scenario", sn->s);
		if ((size_t)to == self)
			return yt_err(L->e, sn, "calls: a service cannot call itself");
		for (size_t j = 0; j < s->n_calls; j++)
			if (s->calls[j].service == (int)to)
				return yt_err(L->e, sn, "calls: '%s' is called twice; give one call its combined probability",
					      sn->s);
		s->calls[s->n_calls++] = (struct scn_call){(int)to, p};
	}
	return 0;
}

char *ld_path(struct ld *L, const struct ynode *at, const char *k, const char *name)
{
	char *full;
	if (name[0] == '/' || !L->dir[0]) {
		full = xstrdup(name);
	} else {
		full = xmalloc(strlen(L->dir) + strlen(name) + 2);
		sprintf(full, "%s/%s", L->dir, name);
	}
	const char *box = L->sc->sandbox;
	if (!box)
		return full;
	/* Symbolic links and .. resolved: the file itself must lie inside. */
	char *real = realpath(full, NULL);
	size_t n = strlen(box);
	if (!real) {
		yt_err(L->e, at, "%s: cannot resolve '%s' (%s): %s", k, name, full, strerror(errno));
	} else if (strncmp(real, box, n) || (real[n] != '/' && real[n] != '\0')) {
		yt_err(L->e, at, "%s: '%s' is outside the sandbox %s (--sandbox): refused", k, name, box);
	} else {
		free(full);
		return real;
	}
	free(real);
	free(full);
	return NULL;
}

int ld_load_trace(struct ld *L, const struct ynode *v, const char *in, struct trace *t)
{
	const struct ynode *f = ld_need(L, v, "file", in);
	const char *name = f ? ld_scalar(L, f, "file") : NULL;
	if (!name)
		return -1;
	char *full = ld_path(L, f, "file", name);
	if (!full)
		return -1;
	char why[160];
	int rc = file_ok(full, FILE_MAX_TRACE, why, sizeof why)
			 ? yt_err(L->e, f, "file: cannot read trace '%s' (%s): %s", name, full, why)
			 : trace_load(t, full, L->e);
	free(full);
	return rc;
}

static int load_pattern(struct ld *L, const struct ynode *v, struct scn_traffic *tr)
{
	static const char *const types[] = {"constant", "diurnal", "trace", NULL};
	static const char *const dkeys[] = {"type", "amplitude", "peak", "start", NULL};
	static const char *const tkeys[] = {"type",   "file",	  "scale", "reading", "values", "gaps", "step",
					   "series", "timezone", "from",  "to",	     "offset", NULL};
	static const char *const ckeys[] = {"type", NULL};
	struct pattern *pat = &tr->pattern;
	int type = PATTERN_CONSTANT;
	if (v->kind == Y_SCALAR) {
		/* `pattern: constant` */
		const char *s = ld_scalar(L, v, "pattern");
		if (!s)
			return -1;
		if (strcmp(s, "constant"))
			return yt_err(L->e, v, "pattern: '%s' needs its parameters: write {type: %s, ...}", s, s);
		pat->kind = PATTERN_CONSTANT;
		return 0;
	}
	if (ld_want_map(L, v, "pattern") || !ld_need(L, v, "type", "pattern") || ld_get_enum(L, v, "type", types, &type))
		return -1;
	pat->kind = (enum pattern_kind)type;
	switch (type) {
	case PATTERN_CONSTANT:
		return ld_check_keys(L, v, ckeys, "a constant pattern");
	case PATTERN_DIURNAL:
		pat->peak_s = 12 * 3600;
		pat->start_s = 0;
		if (ld_check_keys(L, v, dkeys, "a diurnal pattern") || !ld_need(L, v, "amplitude", "a diurnal pattern") ||
		    ld_get_num(L, v, "amplitude", units_fraction, 0, 0.999, false, &pat->amplitude) ||
		    ld_get_num(L, v, "peak", units_clock, 0, 86400, false, &pat->peak_s) ||
		    ld_get_num(L, v, "start", units_clock, 0, 86400, false, &pat->start_s))
			return -1;
		return 0;
	default:
		tr->rate = 1;
		if (ld_check_keys(L, v, tkeys, "a trace pattern") ||
		    ld_get_num(L, v, "scale", units_number, 0, 1e6, true, &tr->rate))
			return -1;
		return ld_load_traffic_trace(L, v, &pat->trace);
	}
}

static int load_spikes(struct ld *L, const struct ynode *v, struct scn_traffic *tr)
{
	static const char *const keys[] = {"start", "ramp", "factor", "hold", "decay", NULL};
	if (ld_want_seq(L, v, "spikes"))
		return -1;
	if (v->n > MAX_SPIKES)
		return yt_err(L->e, v, "spikes: %zu is too many (at most %d)", v->n, MAX_SPIKES);
	tr->spikes = xcalloc(v->n ? v->n : 1, sizeof *tr->spikes);
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *sp = v->kid[i];
		struct spike *s = &tr->spikes[tr->n_spikes++];
		if (ld_want_map(L, sp, "a spike") || ld_check_keys(L, sp, keys, "a spike") || !ld_need(L, sp, "start", "a spike") ||
		    !ld_need(L, sp, "factor", "a spike") || ld_get_dur(L, sp, "start", 0, MAX_DURATION, false, &s->start) ||
		    ld_get_dur(L, sp, "ramp", 0, MAX_DURATION, false, &s->ramp) ||
		    ld_get_dur(L, sp, "hold", 0, MAX_DURATION, false, &s->hold) ||
		    ld_get_dur(L, sp, "decay", 0, MAX_DURATION, false, &s->decay) ||
		    ld_get_num(L, sp, "factor", units_fraction, 0, MAX_FACTOR, true, &s->factor))
			return -1;
	}
	return 0;
}

static int load_traffic(struct ld *L, const struct ynode *v, struct scn_traffic *tr)
{
	static const char *const keys[] = {"rate", "pattern", "spikes", "dispersion", NULL};
	static const char *const dkeys[] = {"cv", "interval", NULL};
	if (ld_want_map(L, v, "traffic") || ld_check_keys(L, v, keys, "traffic"))
		return -1;
	tr->enabled = true;
	tr->dispersion_interval = 10 * SIM_S;
	const struct ynode *p = yt_get(v, "pattern"), *r = yt_get(v, "rate"), *s = yt_get(v, "spikes"),
			   *d = yt_get(v, "dispersion"), *type = p && p->kind == Y_MAP ? yt_get(p, "type") : NULL;
	bool is_trace = type && type->kind == Y_SCALAR && !strcmp(type->s, "trace");
	if (is_trace && r)
		return yt_err(L->e, r, "rate: a trace gives the rate; scale it with pattern.scale instead");
	if (p && load_pattern(L, p, tr))
		return -1;
	if (!is_trace && !r)
		return yt_err(L->e, v, "traffic needs a rate (e.g. rate: 300rps)");
	if (r && ld_get_num(L, v, "rate", units_rate, 0, MAX_RATE, true, &tr->rate))
		return -1;
	if (s && load_spikes(L, s, tr))
		return -1;
	if (d && (ld_want_map(L, d, "dispersion") || ld_check_keys(L, d, dkeys, "dispersion") ||
		  !ld_need(L, d, "cv", "dispersion") || ld_get_num(L, d, "cv", units_number, 0, MAX_CV, false, &tr->dispersion_cv) ||
		  ld_get_dur(L, d, "interval", SIM_MS, 24 * SIM_HOUR, false, &tr->dispersion_interval)))
		return -1;
	return 0;
}

static const struct {
	const char *key;
	double pct;
} slo_pcts[] = {{"p50", 50}, {"p75", 75}, {"p90", 90}, {"p95", 95}, {"p99", 99}, {"p999", 99.9}, {"p9999", 99.99}};

static int load_slo(struct ld *L, const struct ynode *v, struct scn_slo *o)
{
	static const char *const keys[] = {"p50", "p75", "p90", "p95", "p99", "p999", "p9999",
					   "error_rate", "evaluation", "allowed_violation", NULL};
	static const char *const evals[] = {"run", "windows", NULL};
	if (ld_want_map(L, v, "slo") || ld_check_keys(L, v, keys, "slo"))
		return -1;
	const struct ynode *seen = NULL;
	for (size_t i = 0; i < sizeof slo_pcts / sizeof slo_pcts[0]; i++) {
		const struct ynode *n = yt_get(v, slo_pcts[i].key);
		if (!n)
			continue;
		if (seen)
			return yt_err(L->e, n, "slo: one latency objective per service (%s is already set)", seen->s);
		seen = yt_key(v, (size_t)yt_find(v, slo_pcts[i].key));
		if (ld_get_dur(L, v, slo_pcts[i].key, SIM_US, SIM_HOUR, false, &o->threshold))
			return -1;
		o->has_latency = true;
		o->percentile = slo_pcts[i].pct;
	}
	if (yt_get(v, "error_rate")) {
		if (ld_get_num(L, v, "error_rate", units_fraction, 0, 1, false, &o->error_budget))
			return -1;
		o->has_errors = true;
	}
	int eval = yt_get(v, "allowed_violation") ? SLO_EVAL_WINDOWS : SLO_EVAL_RUN;
	if (ld_get_enum(L, v, "evaluation", evals, &eval) ||
	    ld_get_dur(L, v, "allowed_violation", 0, MAX_DURATION, false, &o->allowed_violation))
		return -1;
	o->eval = (enum slo_eval)eval;
	if (!o->has_latency && !o->has_errors)
		return yt_err(L->e, v, "slo needs an objective: a latency percentile (p99: 300ms) or error_rate (0.1%%)");
	return 0;
}

/*
 * A service with a Deployment takes its replicas, resources, readiness
 * probe and grace period from it: the same value in two places would leave
 * the reader guessing which one counts, so both is an error naming both.
 */
static int deployment_conflicts(struct ld *L, const struct ynode *v)
{
	static const struct {
		const char *key, *field;
	} own[] = {{"replicas", "spec.replicas"},
		   {"resources", "the containers' resources"},
		   {"readinessProbe", "the containers' readinessProbe"},
		   {"terminationGracePeriodSeconds", "spec.template.spec.terminationGracePeriodSeconds"}};
	const struct ynode *d = yt_key(v, (size_t)yt_find(v, "deployment")), *st = yt_get(v, "startup");
	for (size_t i = 0; i < ARRAY_LEN(own); i++) {
		const struct ynode *m = i < 2 ? v : st && st->kind == Y_MAP ? st : NULL;
		long k = m ? yt_find(m, own[i].key) : -1;
		if (k >= 0)
			return yt_err(L->e, yt_key(m, (size_t)k),
				      "%s: the service's Deployment (line %d) gives it (%s, or Kubernetes' default); give "
				      "it in one place",
				      own[i].key, d->line, own[i].field);
	}
	return 0;
}

static int load_service(struct ld *L, size_t idx)
{
	static const char *const keys[] = {"replicas", "resources", "deployment", "workers",	"queue",   "timeout",
					   "cpu_per_request", "warmup", "balancer", "calls", "traffic",
					   "slo", "hpa", "startup", "memory_usage", "buffer", "rollout", "clusters", NULL};
	const struct ynode *k = yt_key(L->names, idx), *v = yt_val(L->names, idx), *n;
	struct scn_service *s = &L->sc->services[idx];
	char in[120];
	snprintf(in, sizeof in, "service '%s'", k->s);
	s->name = xstrdup(k->s);
	s->line = k->line;
	s->col = k->col;
	s->workers = 200;
	s->queue = 100;
	s->timeout = 30 * SIM_S;
	s->warmup_factor = 1;
	ld_balancer_defaults(s);
	ld_service_defaults(L->sc, s);
	if (ld_want_map(L, v, in) || ld_check_keys(L, v, keys, in))
		return -1;
	int64_t replicas = 0, workers = s->workers, queue = s->queue;
	if ((n = yt_get(v, "deployment"))) {
		if (deployment_conflicts(L, v) || ld_load_deployment(L, n, s))
			return -1;
		replicas = s->replicas;
	} else {
		ld_default_workload(s);
		if (ld_resolve_priority(L, NULL, NULL, s) || !ld_need(L, v, "replicas", in) ||
		    ld_get_int(L, v, "replicas", 1, MAX_REPLICAS, &replicas) ||
		    !(n = ld_need(L, v, "resources", in)) || load_resources(L, n, s))
			return -1;
	}
	if (ld_get_int(L, v, "workers", 1, MAX_WORKERS, &workers))
		return -1;
	n = yt_get(v, "queue");
	if (n && !(n->kind == Y_SCALAR && !strcmp(n->s, "unbounded")) && ld_get_int(L, v, "queue", 0, MAX_QUEUE, &queue))
		return -1;
	if (n && n->kind == Y_SCALAR && !strcmp(n->s, "unbounded"))
		queue = -1;
	if (ld_get_dur(L, v, "timeout", SIM_MS, 24 * SIM_HOUR, true, &s->timeout))
		return -1;
	/* A placeholder serves nothing: it needs no cpu_per_request and takes no traffic. */
	if (s->placeholder && (n = yt_get(v, "traffic")))
		return yt_err(L->e, yt_key(v, (size_t)yt_find(v, "traffic")),
			      "traffic: service '%s' runs only pause containers (a placeholder): it serves no request",
			      s->name);
	if (s->placeholder && !yt_get(v, "cpu_per_request"))
		s->cpu_per_request = (struct dist){DIST_CONSTANT, 0.001, 0};
	else if (!(n = ld_need(L, v, "cpu_per_request", in)) || ld_load_dist(L, n, "cpu_per_request", &s->cpu_per_request))
		return -1;
	if ((n = yt_get(v, "warmup")) && load_warmup(L, n, s))
		return -1;
	if (ld_load_balancer(L, v, s) ||
	    ((n = yt_get(v, "calls")) && load_calls(L, n, idx, s)) ||
	    ((n = yt_get(v, "traffic")) && load_traffic(L, n, &s->traffic)) ||
	    ((n = yt_get(v, "slo")) && load_slo(L, n, &s->slo)) ||
	    ((n = yt_get(v, "startup")) && ld_load_startup(L, n, s)) ||
	    ((n = yt_get(v, "memory_usage")) && ld_load_memory_usage(L, n, s)) ||
	    ((n = yt_get(v, "hpa")) && ld_load_hpa(L, n, s)) || ((n = yt_get(v, "buffer")) && ld_load_buffer(L, n, s)))
		return -1;
	s->replicas = (int)replicas;
	s->workers = (int)workers;
	s->queue = queue;
	if ((n = yt_get(v, "rollout")) && ld_load_rollout(L, n, s))
		return -1;
	return 0;
}

/* Depth-first search for a call cycle; colour 1 = on the path, 2 = done. */
static int find_cycle(struct ld *L, size_t i, char *colour, size_t *path, size_t depth)
{
	colour[i] = 1;
	path[depth] = i;
	const struct scn_service *s = &L->sc->services[i];
	for (size_t c = 0; c < s->n_calls; c++) {
		size_t j = (size_t)s->calls[c].service;
		if (colour[j] == 1) {
			char msg[600];
			size_t n = 0, from = 0;
			while (path[from] != j)
				from++;
			for (size_t d = from; d <= depth && n < sizeof msg - 140; d++)
				n += (size_t)snprintf(msg + n, sizeof msg - n, "%s -> ", L->sc->services[path[d]].name);
			snprintf(msg + n, sizeof msg - n, "%s", L->sc->services[j].name);
			return herr_at(L->e, L->sc->path, s->line, s->col, "calls form a cycle: %s", msg);
		}
		if (!colour[j] && find_cycle(L, j, colour, path, depth + 1))
			return -1;
	}
	colour[i] = 2;
	return 0;
}

static bool good_name(const char *s, bool dots)
{
	size_t n = strlen(s);
	if (!n || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && !(dots && s[i] == '.'))
			return false;
	return true;
}

static int load_services(struct ld *L, const struct ynode *v)
{
	if (ld_want_map(L, v, "services"))
		return -1;
	if (!v->n)
		return yt_err(L->e, v, "services is empty: a scenario needs at least one service");
	if (v->n > MAX_SERVICES)
		return yt_err(L->e, v, "%zu services is too many (at most %d)", v->n, MAX_SERVICES);
	for (size_t i = 0; i < v->n; i++)
		if (!good_name(yt_key(v, i)->s, false))
			return yt_err(L->e, yt_key(v, i),
				      "service name '%s' must be 1-63 letters, digits, '-' or '_' (a Kubernetes name)",
				      yt_key(v, i)->s);
	L->names = v;
	L->sc->services = xcalloc(v->n, sizeof *L->sc->services);
	L->sc->n_services = v->n;
	for (size_t i = 0; i < v->n; i++)
		if (load_service(L, i))
			return -1;
	char *colour = xcalloc(v->n, 1);
	size_t *path = xcalloc(v->n, sizeof *path);
	int rc = 0;
	for (size_t i = 0; i < v->n && !rc; i++)
		if (!colour[i])
			rc = find_cycle(L, i, colour, path, 0);
	free(colour);
	free(path);
	if (rc)
		return -1;
	for (size_t i = 0; i < v->n; i++)
		if (L->sc->services[i].traffic.enabled)
			return 0;
	return yt_err(L->e, v, "no service has traffic: give an entry service a traffic: {rate: ...}");
}

/*
 * compare: {name: {dotted.key: value, ...}, ...}: variants of the scenario,
 * each the file plus its overrides. Each override is checked here by loading
 * the variant in full, so a bad one is reported at its place in the file.
 */
static int load_compare(struct ld *L, const struct ynode *v)
{
	if (ld_want_map(L, v, "compare"))
		return -1;
	if (v->n < 1 || v->n > 100)
		return yt_err(L->e, v, "compare: give 1 to 100 variants (name: {key: value, ...})");
	struct scenario *sc = L->sc;
	sc->variants = xcalloc(v->n, sizeof *sc->variants);
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *k = yt_key(v, i), *m = yt_val(v, i);
		struct scn_variant *var = &sc->variants[sc->n_variants++];
		var->name = xstrdup(k->s);
		var->line = k->line;
		var->col = k->col;
		if (!good_name(k->s, true))
			return yt_err(L->e, k, "compare: variant name '%s' must be 1-63 letters, digits, '.', '-' or '_'", k->s);
		if (ld_want_map(L, m, "a variant"))
			return -1;
		var->sets = xcalloc(m->n ? m->n : 1, sizeof *var->sets);
		for (size_t j = 0; j < m->n; j++) {
			const struct ynode *key = yt_key(m, j);
			if (!strcmp(key->s, "compare"))
				return yt_err(L->e, key, "a variant cannot hold another compare");
			size_t need = yt_emit(yt_val(m, j), NULL, 0) + strlen(key->s) + 2;
			char *set = xmalloc(need + 1);
			size_t kl = (size_t)snprintf(set, need + 1, "%s=", key->s);
			yt_emit(yt_val(m, j), set + kl, need + 1 - kl);
			var->sets[var->n_sets++] = set;
		}
	}
	return 0;
}

/* Requests the scenario serves per request arriving at service i (itself
 * plus its calls, recursively; the call graph has no cycle). memo[i] < 0
 * until computed, so shared callees are counted once each: without it a
 * graph of diamonds takes exponential time. */
static double fanout(const struct scenario *sc, size_t i, double *memo)
{
	if (memo[i] >= 0)
		return memo[i];
	const struct scn_service *s = &sc->services[i];
	double n = 1;
	for (size_t c = 0; c < s->n_calls; c++)
		n += s->calls[c].probability * fanout(sc, (size_t)s->calls[c].service, memo);
	return memo[i] = n;
}

/* The most requests a scenario may simulate unless it says otherwise:
 * about an hour of CPU at the measured 5-10 M requests/s. */
#define DEFAULT_MAX_REQUESTS 2e10

/*
 * Refuses a scenario that would run for hours before it starts: the
 * requests it would simulate, from each entry service's peak rate (base x
 * the pattern's maximum x every spike's factor) over the whole duration,
 * times its fan-out, must stay under max_requests.
 */
static int check_size(struct ld *L, const struct ynode *root)
{
	const struct scenario *sc = L->sc;
	double limit = DEFAULT_MAX_REQUESTS, total = 0;
	if (ld_get_num(L, root, "max_requests", units_number, 1, 1e15, false, &limit))
		return -1;
	double *memo = xmalloc(sc->n_services * sizeof *memo);
	for (size_t i = 0; i < sc->n_services; i++)
		memo[i] = -1;
	for (size_t i = 0; i < sc->n_services; i++) {
		const struct scn_traffic *t = &sc->services[i].traffic;
		if (!t->enabled)
			continue;
		double peak = t->rate;
		if (t->pattern.kind == PATTERN_DIURNAL)
			peak *= 1 + t->pattern.amplitude;
		else if (t->pattern.kind == PATTERN_TRACE) {
			double m = 0;
			for (size_t r = 0; r < t->pattern.trace.n; r++)
				m = HR_MAX(m, t->pattern.trace.rps[r]);
			peak = t->rate * m;
		}
		for (size_t k = 0; k < t->n_spikes; k++)
			if (t->spikes[k].factor > 1)
				peak *= t->spikes[k].factor;
		total += peak * sim_to_s(sc->duration) * fanout(sc, i, memo);
	}
	free(memo);
	if (total <= limit)
		return 0;
	const struct ynode *at = yt_get(root, "max_requests") ? yt_get(root, "max_requests") : yt_get(root, "duration");
	return yt_err(L->e, at ? at : root,
		      "this scenario could simulate %.3g requests (at the peak rates for the whole duration, with "
		      "fan-out), about %.1f hours at 5 M requests/s; the limit is max_requests: %.3g. Shorten duration, "
		      "lower the rates, or raise max_requests if you mean it",
		      total, total / 5e6 / 3600, limit);
}

static int load_top(struct ld *L, const struct ynode *root)
{
	static const char *const keys[] = {"name",	 "description", "seed",	   "duration", "sample_interval",
					   "slo_window", "services",	"pdbs", "priorityClasses", "cluster", "controllers", "compare",
					   "sweep", "expect", "max_requests", "cost", "start", "external_metrics", "kafka", "clusters", "alb", NULL};
	struct scenario *sc = L->sc;
	if (ld_want_map(L, root, "a scenario") || ld_check_keys(L, root, keys, "the scenario"))
		return -1;
	const struct ynode *n = yt_get(root, "name");
	if (n) {
		const char *s = ld_scalar(L, n, "name");
		if (!s)
			return -1;
		if (!good_name(s, true))
			return yt_err(L->e, n, "name '%s' must be 1-63 letters, digits, '.', '-' or '_' (it names files)", s);
		sc->name = xstrdup(s);
	}
	n = yt_get(root, "description");
	if (n && !ld_scalar(L, n, "description"))
		return -1;
	int64_t seed = 1;
	sc->sample_interval = 10 * SIM_S;
	sc->slo_window = SIM_MIN;
	sc->control = (struct scn_control){
		.metric_resolution = 15 * SIM_S,
		.scrape_offset = -1,
		.hpa_offset = -1,
		.sync_period = 15 * SIM_S,
		.tolerance = 0.1,
		.downscale_stabilization = 5 * SIM_MIN,
		.cpu_initialization_period = 5 * SIM_MIN,
		.initial_readiness_delay = 30 * SIM_S,
		.node_monitor_grace = 50 * SIM_S,
		.node_eviction_rate = 0.1,
		.unreachable_toleration = 300,
	};
	if (ld_get_int(L, root, "seed", 0, INT64_MAX, &seed) || !ld_need(L, root, "duration", "the scenario") ||
	    ld_get_dur(L, root, "duration", SIM_S, MAX_DURATION, false, &sc->duration) ||
	    ld_get_dur(L, root, "sample_interval", SIM_MS, 24 * SIM_HOUR, false, &sc->sample_interval) ||
	    ld_get_dur(L, root, "slo_window", SIM_MS, 24 * SIM_HOUR, false, &sc->slo_window))
		return -1;
	sc->seed = (uint64_t)seed;
	if (sc->duration / sc->sample_interval > MAX_SAMPLES)
		return yt_err(L->e, yt_get(root, "sample_interval"),
			      "sample_interval: too short for the duration (more than %d samples per service)", MAX_SAMPLES);
	if (sc->slo_window < sc->sample_interval)
		return yt_err(L->e, yt_get(root, "slo_window") ? yt_get(root, "slo_window") : root,
			      "slo_window must be at least sample_interval");
	if ((n = yt_get(root, "compare")) && load_compare(L, n))
		return -1;
	/* The controllers' flags first: the services' HPAs take them. */
	if (((n = yt_get(root, "controllers")) && ld_load_controllers(L, n)) ||
	    ((n = yt_get(root, "cluster")) && ld_load_cluster(L, n)) || ld_load_cost(L, yt_get(root, "cost")))
		return -1;
	/* The external metrics and the priority classes before the services:
	 * their HPAs and pods name them. */
	if (((n = yt_get(root, "start")) && ld_load_start(L, n)) ||
	    ((n = yt_get(root, "external_metrics")) && ld_load_external_metrics(L, n)) ||
	    ((n = yt_get(root, "kafka")) && ld_load_kafka(L, root, n)) ||
	    ((n = yt_get(root, "priorityClasses")) && ld_load_priority_classes(L, n)))
		return -1;
	if (!(n = ld_need(L, root, "services", "the scenario")) || load_services(L, n) ||
	    ((n = yt_get(root, "pdbs")) && ld_load_pdbs(L, n)) || ld_check_priorities(L))
		return -1;
	ld_finish_k8s(sc);
	if (ld_load_multi(L, root))
		return -1;
	ld_check_placement(L);
	if (check_size(L, root))
		return -1;
	/* The sweep first: plan expectations name its axes. */
	if (ld_load_sweep(L, root))
		return -1;
	return (n = yt_get(root, "expect")) && ld_load_expect(L, n) ? -1 : 0;
}

/* ---- overrides ---- */

/* Grafts one "a.b.c=value" into the tree. */
static int apply_one(struct ld *L, const char *set)
{
	const char *eq = strchr(set, '=');
	if (!eq || eq == set)
		return herr_set(L->e, "--set '%s': expected KEY=VALUE, e.g. services.payment.replicas=8", set);
	size_t klen = (size_t)(eq - set);
	char *key = xmalloc(klen + 1);
	memcpy(key, set, klen);
	key[klen] = '\0';
	char src[1100];
	snprintf(src, sizeof src, "--set %s", set);
	struct ytree vt;
	int rc = yt_parse(&vt, src, 0, eq + 1, strlen(eq + 1), L->e);
	if (rc) {
		free(key);
		return -1;
	}
	struct ynode *val = vt.root;
	struct ynode at = {.src = vt.srcs[0]};
	if (!val)
		val = yt_new_scalar(&vt, &at, "");
	yt_adopt(&L->t, &vt);
	struct ynode *cur = L->t.root;
	char *save = NULL, *comp = strtok_r(key, ".", &save);
	size_t depth = 0;
	if (!comp)
		rc = herr_set(L->e, "%s: the key is empty", src);
	while (!rc && comp) {
		char *next = strtok_r(NULL, ".", &save);
		if (cur->kind == Y_SEQ) {
			char *end;
			unsigned long i = strtoul(comp, &end, 10);
			if (*end || !isdigit((unsigned char)*comp) || i >= cur->n) {
				rc = herr_set(L->e, "%s: '%s' is not an index of that list (0 to %zu)", src, comp,
					      cur->n ? cur->n - 1 : 0);
				break;
			}
			if (!next)
				cur->kid[i] = val;
			cur = cur->kid[i];
		} else if (cur->kind == Y_MAP) {
			long i = yt_find(cur, comp);
			if (i < 0 && depth == 1 && cur == yt_get(L->t.root, "services")) {
				rc = herr_set(L->e, "%s: no service '%s' in %s", src, comp, L->sc->path);
				break;
			}
			if (i < 0) {
				struct ynode *k = yt_new_scalar(&L->t, &at, comp);
				yt_map_add(&L->t, cur, k, next ? yt_new_map(&L->t, &at) : val);
				i = (long)cur->n - 1;
			} else if (!next) {
				cur->kid[2 * i + 1] = val;
			}
			cur = yt_val(cur, (size_t)i);
		} else {
			rc = herr_set(L->e, "%s: '%s' holds a single value, it has no key '%s'", src,
				      depth ? "that key" : "the scenario", comp);
		}
		comp = next;
		depth++;
	}
	free(key);
	return rc;
}

/* ---- the whole ---- */

static char *read_file(const char *path, size_t *len, struct herr *e)
{
	char why[160];
	char *buf = file_slurp(path, FILE_MAX_SCENARIO, len, why, sizeof why);
	if (!buf) {
		herr_set(e, "%s: %s", path, why);
		return NULL;
	}
	if (strlen(buf) != *len) {
		free(buf);
		herr_set(e, "%s: contains NUL bytes: not a YAML text file", path);
		return NULL;
	}
	return buf;
}

static char *default_name(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	char *s = xstrdup(b);
	char *dot = strrchr(s, '.');
	if (dot && dot != s)
		*dot = '\0';
	for (char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			*p = '_';
	return s;
}

static int load_file(struct scenario *out, const char *path, const char *const *sets, size_t n_sets, bool nested,
		     const char *sandbox, struct herr *e);
static int load_text(struct scenario *out, const char *path, char *text, size_t len, const char *const *sets,
		     size_t n_sets, bool nested, const char *sandbox, struct herr *e);

int scn_parse(struct scenario *out, const char *name, const char *text, size_t len, struct herr *e)
{
	char *copy = xmalloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (strlen(copy) != len) {
		free(copy);
		return herr_set(e, "%s: contains NUL bytes: not a YAML text file", name);
	}
	return load_text(out, name, copy, len, NULL, 0, false, NULL, e);
}

int scn_load(struct scenario *out, const char *path, const char *const *sets, size_t n_sets, struct herr *e)
{
	return load_file(out, path, sets, n_sets, false, NULL, e);
}

int scn_load_sandboxed(struct scenario *out, const char *path, const char *const *sets, size_t n_sets,
		       const char *sandbox, struct herr *e)
{
	if (!sandbox)
		return scn_load(out, path, sets, n_sets, e);
	char *box = realpath(sandbox, NULL);
	if (!box)
		return herr_set(e, "--sandbox %s: %s", sandbox, strerror(errno));
	int rc = load_file(out, path, sets, n_sets, false, box, e);
	free(box);
	return rc;
}

int scn_load_variant(struct scenario *out, const struct scenario *sc, size_t v, const char *const *sets,
		     size_t n_sets, struct herr *e)
{
	const struct scn_variant *var = &sc->variants[v];
	size_t n = n_sets + var->n_sets;
	const char **all = xcalloc(n ? n : 1, sizeof *all);
	for (size_t i = 0; i < n_sets; i++)
		all[i] = sets[i];
	for (size_t i = 0; i < var->n_sets; i++)
		all[n_sets + i] = var->sets[i];
	struct herr ve;
	int rc = load_file(out, sc->path, all, n, true, sc->sandbox, &ve);
	free(all);
	if (rc)
		herr_at(e, sc->path, var->line, var->col, "variant '%s': %s", var->name, ve.msg);
	return rc;
}

static int load_file(struct scenario *out, const char *path, const char *const *sets, size_t n_sets, bool nested,
		     const char *sandbox, struct herr *e)
{
	size_t len = 0;
	char *text = read_file(path, &len, e);
	if (!text)
		return -1;
	return load_text(out, path, text, len, sets, n_sets, nested, sandbox, e);
}

/* Loads the scenario whose YAML `text` (owned: taken) was read from path. */
static int load_text(struct scenario *out, const char *path, char *text, size_t len, const char *const *sets,
		     size_t n_sets, bool nested, const char *sandbox, struct herr *e)
{
	struct scenario sc;
	memset(&sc, 0, sizeof sc);
	struct ld L = {.e = e, .sc = &sc};
	sc.path = xstrdup(path);
	sc.text = text;
	sc.sandbox = sandbox ? xstrdup(sandbox) : NULL;
	const char *slash = strrchr(path, '/');
	L.dir = slash ? xmalloc((size_t)(slash - path) + 1) : xstrdup("");
	if (slash) {
		memcpy(L.dir, path, (size_t)(slash - path));
		L.dir[slash - path] = '\0';
		if (!L.dir[0])
			strcpy(L.dir, "/");
	}
	if (yt_parse(&L.t, path, 1, sc.text, len, e))
		goto fail;
	if (!L.t.root) {
		herr_set(e, "%s: empty: a scenario needs at least duration and services (see scenarios/README.md)", path);
		goto fail;
	}
	size_t olen = 1;
	for (size_t i = 0; i < n_sets; i++)
		olen += strlen(sets[i]) + 1;
	sc.overrides = xmalloc(olen);
	sc.overrides[0] = '\0';
	for (size_t i = 0; i < n_sets; i++) {
		if (strchr(sets[i], '\n')) {
			herr_set(e, "--set: a value cannot contain a newline");
			goto fail;
		}
		if (L.t.root->kind != Y_MAP) {
			ld_want_map(&L, L.t.root, "a scenario");
			goto fail;
		}
		if (apply_one(&L, sets[i]))
			goto fail;
		strcat(strcat(sc.overrides, sets[i]), "\n");
	}
	if (load_top(&L, L.t.root))
		goto fail;
	if (!sc.name)
		sc.name = default_name(path);
	/* Every variant must load too; a nested load checks no further. */
	for (size_t v = 0; v < sc.n_variants && !nested; v++) {
		struct scenario vs;
		if (scn_load_variant(&vs, &sc, v, sets, n_sets, e))
			goto fail;
		scn_free(&vs);
	}
	yt_free(&L.t);
	free(L.dir);
	*out = sc;
	return 0;
fail:
	yt_free(&L.t);
	free(L.dir);
	scn_free(&sc);
	return -1;
}

void scn_free(struct scenario *sc)
{
	ld_free_multi(sc);
	for (size_t i = 0; i < sc->n_services; i++) {
		struct scn_service *s = &sc->services[i];
		free(s->name);
		free(s->calls);
		free(s->traffic.spikes);
		trace_free(&s->traffic.pattern.trace);
		ld_free_rollout(s);
	}
	ld_free_k8s(sc);
	ld_free_external(sc);
	ld_free_kafka(sc);
	ld_free_placement(sc);
	ld_free_manifests(sc);
	for (size_t i = 0; i < sc->n_variants; i++) {
		for (size_t j = 0; j < sc->variants[i].n_sets; j++)
			free(sc->variants[i].sets[j]);
		free(sc->variants[i].sets);
		for (size_t j = 0; sc->variants[i].values && j < sc->sweep.n_axes; j++)
			free(sc->variants[i].values[j]);
		free(sc->variants[i].values);
		free(sc->variants[i].name);
	}
	for (size_t j = 0; sc->sweep.axes && j < sc->sweep.n_axes; j++)
		free(sc->sweep.axes[j]);
	free(sc->sweep.axes);
	free(sc->sweep.search);
	free(sc->variants);
	free(sc->expects);
	free(sc->services);
	free(sc->sandbox);
	free(sc->path);
	free(sc->name);
	free(sc->text);
	free(sc->overrides);
	memset(sc, 0, sizeof *sc);
}

int scn_service_index(const struct scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->n_services; i++)
		if (!strcmp(sc->services[i].name, name))
			return (int)i;
	/* With clusters: the name as written is its first copy (NAME@CLUSTER). */
	size_t n = strlen(name);
	for (size_t i = 0; sc->multi && i < sc->multi->n_logical; i++)
		if (!strncmp(sc->services[i].name, name, n) && sc->services[i].name[n] == '@')
			return (int)i;
	return -1;
}
