/*
 * scn_lb.c: a service's `balancer` (scenarios/README.md, "balancer").
 *
 * Either a word (`balancer: least-request`, as before) or a mapping of the
 * policy and its settings, under the names the proxies give them:
 *
 *   type                 random | round-robin | least-request
 *   active_request_bias  Envoy's least_request_lb_config.active_request_bias
 *   slow_start_config    Envoy's {slow_start_window, aggression,
 *                        min_weight_percent} (round robin, least request)
 *   warmup               Istio's DestinationRule loadBalancer.warmup
 *                        {duration, aggression, minimumPercent}: the same
 *   warmupDurationSecs   Istio's older field: the window alone
 *   slow_start           an ALB target group's {duration_seconds}
 *                        (slow_start.duration_seconds; round robin only)
 *
 * At most one slow start is given. The rules they follow are in
 * models/balancer.h.
 */
#include <string.h>

#include "scn_impl.h"

#define MAX_WINDOW (24 * SIM_HOUR)
#define MAX_AGGRESSION 1000.0
#define MAX_BIAS 100.0

static const char *const kinds[] = {"random", "round-robin", "least-request", NULL};

/* A percentage, "10" or "10%" (Envoy's Percent and Istio's minimumPercent
 * are numbers of percent), in percent: its range is checked and reported
 * in the unit the user wrote. */
static int percent(const char *s, double *out, char why[UNITS_WHY])
{
	char buf[64];
	size_t n = strlen(s);
	if (n && n < sizeof buf && s[n - 1] == '%') {
		memcpy(buf, s, n - 1);
		buf[n - 1] = '\0';
		s = buf;
	}
	return units_number(s, out, why);
}

/* Envoy's slow start under the names of one of its three spellings. */
struct spelling {
	const char *what, *window, *aggression, *min;
};
static const struct spelling envoy = {"slow_start_config", "slow_start_window", "aggression", "min_weight_percent"};
static const struct spelling istio = {"warmup", "duration", "aggression", "minimumPercent"};

static int load_envoy(struct ld *L, const struct ynode *v, const struct spelling *sp, struct scn_slow_start *ss)
{
	const char *const keys[] = {sp->window, sp->aggression, sp->min, NULL};
	double pct = 100 * ss->min_weight;
	if (ld_want_map(L, v, sp->what) || ld_check_keys(L, v, keys, sp->what) || !ld_need(L, v, sp->window, sp->what) ||
	    ld_get_dur(L, v, sp->window, SIM_MS, MAX_WINDOW, false, &ss->window) ||
	    ld_get_num(L, v, sp->aggression, units_number, 0, MAX_AGGRESSION, true, &ss->aggression) ||
	    ld_get_num(L, v, sp->min, percent, 0, 100, false, &pct))
		return -1;
	ss->min_weight = pct / 100;
	ss->kind = SLOW_START_ENVOY;
	return 0;
}

static int load_alb(struct ld *L, const struct ynode *v, struct scn_slow_start *ss)
{
	static const char *const keys[] = {"duration_seconds", NULL};
	const struct ynode *d;
	int64_t secs = 0;
	if (ld_want_map(L, v, "slow_start") || ld_check_keys(L, v, keys, "slow_start") ||
	    !(d = ld_need(L, v, "duration_seconds", "slow_start")) ||
	    ld_get_int(L, v, "duration_seconds", 0, 900, &secs))
		return -1;
	if (secs > 0 && secs < 30)
		return yt_err(L->e, d, "duration_seconds: %lld is out of range: an ALB takes 30 to 900 (0: off)",
			      (long long)secs);
	ss->kind = secs ? SLOW_START_ALB : SLOW_START_NONE;
	ss->window = secs * SIM_S;
	return 0;
}

/* The one slow start given, if any. */
static int load_slow_start(struct ld *L, const struct ynode *v, struct scn_service *s)
{
	static const char *const keys[] = {"slow_start_config", "warmup", "warmupDurationSecs", "slow_start", NULL};
	const struct ynode *first = NULL;
	const char *key = NULL;
	for (size_t i = 0; keys[i]; i++) {
		const struct ynode *n = yt_get(v, keys[i]);
		if (!n)
			continue;
		if (first)
			return yt_err(L->e, n, "%s: the balancer has a slow start already (%s, line %d); give one", keys[i],
				      key, first->line);
		first = n;
		key = keys[i];
		if ((i == 0 && load_envoy(L, n, &envoy, &s->slow_start)) ||
		    (i == 1 && load_envoy(L, n, &istio, &s->slow_start)) ||
		    (i == 2 && ld_get_dur(L, v, key, SIM_MS, MAX_WINDOW, false, &s->slow_start.window)) ||
		    (i == 3 && load_alb(L, n, &s->slow_start)))
			return -1;
		if (i == 2)
			s->slow_start.kind = SLOW_START_ENVOY;
	}
	if (s->slow_start.kind == SLOW_START_ENVOY && s->balancer == BALANCER_RANDOM)
		return yt_err(L->e, first, "%s: Envoy's slow start works with round-robin and least-request, not random",
			      key);
	if (s->slow_start.kind == SLOW_START_ALB && s->balancer != BALANCER_ROUND_ROBIN)
		return yt_err(L->e, first, "slow_start: an ALB's slow start works with round-robin only (not with least "
					   "outstanding requests or weighted random)");
	return 0;
}

void ld_balancer_defaults(struct scn_service *s)
{
	s->balancer = BALANCER_RANDOM;
	s->active_request_bias = 1;
	s->slow_start = (struct scn_slow_start){SLOW_START_NONE, 0, 1, 0.1};
}

int ld_load_balancer(struct ld *L, const struct ynode *svc, struct scn_service *s)
{
	static const char *const keys[] = {"type", "active_request_bias", "slow_start_config", "warmup",
					   "warmupDurationSecs", "slow_start", NULL};
	const struct ynode *v = yt_get(svc, "balancer"), *n;
	int kind = BALANCER_RANDOM;
	if (!v)
		return 0;
	if (v->kind == Y_SCALAR) {
		if (ld_get_enum(L, svc, "balancer", kinds, &kind))
			return -1;
		s->balancer = (enum balancer_kind)kind;
		return 0;
	}
	if (ld_want_map(L, v, "balancer") || ld_check_keys(L, v, keys, "balancer") ||
	    ld_get_enum(L, v, "type", kinds, &kind))
		return -1;
	s->balancer = (enum balancer_kind)kind;
	if ((n = yt_get(v, "active_request_bias")) && s->balancer != BALANCER_LEAST_REQUEST)
		return yt_err(L->e, n, "active_request_bias: it is least-request's setting (the balancer is %s)",
			      kinds[s->balancer]);
	if (ld_get_num(L, v, "active_request_bias", units_number, 0, MAX_BIAS, false, &s->active_request_bias))
		return -1;
	return load_slow_start(L, v, s);
}
