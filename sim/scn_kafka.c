/*
 * scn_kafka.c: the scenario's `kafka:` section (scn.h, struct scn_kafka;
 * docs/kafka.md; scenarios/README.md, "kafka").
 *
 *   kafka:
 *     topics:    [{name, partitions, skew}]
 *     producers: [{service, topic, on: success|failure, probability, from}]
 *     consumers: [{service, topic, group, concurrency, assignor,
 *                  rebalance_pause, cpu_per_message, errors: {transient,
 *                  logical}, backoff: {interval, maxAttempts}, keda: {...}}]
 *
 * Read before the services (their HPAs name the External metric a KEDA
 * trigger serves), so services are found by their place in the services
 * mapping. A consumer with `keda:` adds a series to external_metrics named
 * as KEDA names its metric, s0-kafka-TOPIC, labelled
 * scaledobject.keda.sh/name: SERVICE (the label KEDA's HPA selects on):
 * the HPA pasted from `kubectl get hpa keda-hpa-SERVICE -o yaml` finds it.
 *
 * Checks: partitions 1 to 10,000; lagThreshold > 0 and
 * activationLagThreshold >= 0, allowIdleConsumers and
 * limitToPartitionsWithLag not both (KEDA's Validate,
 * kedacore/keda pkg/scalers/kafka_scaler.go); topics that feed each other
 * through consumers that produce (`from:`) in a cycle are refused (events
 * would circulate for ever); a consumer of a topic nobody produces is a
 * warning.
 */
#include "scn_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The service called name (its place in the services mapping), or -1 with
 * an error at v. */
static int service_at(struct ld *L, const struct ynode *root, const struct ynode *v, const char *in, int *out)
{
	const char *name = ld_scalar(L, v, in);
	if (!name)
		return -1;
	const struct ynode *svcs = yt_get(root, "services");
	long i = svcs && svcs->kind == Y_MAP ? yt_find(svcs, name) : -1;
	if (i < 0)
		return yt_err(L->e, v, "%s: no service '%s' in services", in, name);
	*out = (int)i;
	return 0;
}

static int topic_at(struct ld *L, const struct ynode *v, const char *in, int *out)
{
	const struct scn_kafka *k = &L->sc->kafka;
	const char *name = ld_scalar(L, v, in);
	if (!name)
		return -1;
	for (size_t i = 0; i < k->n_topics; i++)
		if (!strcmp(k->topics[i].name, name)) {
			*out = (int)i;
			return 0;
		}
	return yt_err(L->e, v, "%s: no topic '%s' in kafka.topics", in, name);
}

static bool good_topic(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 249 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '_' || *s == '-'))
			return false;
	return true;
}

static int load_topic(struct ld *L, const struct ynode *v, struct scn_kafka_topic *t)
{
	static const char *const keys[] = {"name", "partitions", "skew", NULL};
	const struct ynode *n;
	const char *name;
	int64_t parts = 1;
	t->line = v->line;
	t->col = v->col;
	if (ld_want_map(L, v, "a topic") || ld_check_keys(L, v, keys, "a topic") ||
	    !(n = ld_need(L, v, "name", "a topic")) || !(name = ld_scalar(L, n, "name")))
		return -1;
	/* Kafka's Topic.validate: 1 to 249 of [a-zA-Z0-9._-], not "." or "..". */
	if (!good_topic(name))
		return yt_err(L->e, n, "name: '%s' is not a Kafka topic name (1 to 249 of a-z, A-Z, 0-9, '.', '_', '-')",
			      name);
	t->name = xstrdup(name);
	if (!(n = ld_need(L, v, "partitions", "a topic")))
		return -1;
	if (ld_get_int(L, v, "partitions", INT64_MIN, INT64_MAX, &parts))
		return -1;
	if (parts < 1)
		return yt_err(L->e, n, "partitions: %lld: a topic has at least one partition", (long long)parts);
	if (parts > SCN_KAFKA_MAX_PARTITIONS)
		return yt_err(L->e, n, "partitions: %lld is too many (at most %d per topic)", (long long)parts,
			      SCN_KAFKA_MAX_PARTITIONS);
	t->partitions = (int)parts;
	t->keys = KAFKA_KEYS_UNIFORM;
	if (yt_get(v, "skew")) {
		if (ld_get_num(L, v, "skew", units_number, 0, 10, true, &t->skew))
			return -1;
		t->keys = KAFKA_KEYS_ZIPF;
	}
	return 0;
}

static int load_producer(struct ld *L, const struct ynode *root, const struct ynode *v, struct scn_kafka_producer *p)
{
	static const char *const keys[] = {"service", "topic", "on", "probability", "from", NULL};
	static const char *const ons[] = {"success", "failure", NULL};
	const struct ynode *n;
	int on = 0;
	p->line = v->line;
	p->col = v->col;
	p->probability = 1;
	p->from = -1;
	if (ld_want_map(L, v, "a producer") || ld_check_keys(L, v, keys, "a producer") ||
	    !(n = ld_need(L, v, "service", "a producer")) || service_at(L, root, n, "service", &p->service) ||
	    !(n = ld_need(L, v, "topic", "a producer")) || topic_at(L, n, "topic", &p->topic) ||
	    ld_get_enum(L, v, "on", ons, &on) ||
	    ld_get_num(L, v, "probability", units_fraction, 0, 1, true, &p->probability))
		return -1;
	p->on = (enum scn_kafka_on)on;
	if ((n = yt_get(v, "from")) && topic_at(L, n, "from", &p->from))
		return -1;
	return 0;
}

/* KEDA's Validate of a kafka trigger (metadata v). */
static int check_keda(struct ld *L, const struct ynode *v, const struct scn_kafka_consumer *c)
{
	if (c->lag_threshold <= 0)
		return yt_err(L->e, yt_get(v, "lagThreshold") ? yt_get(v, "lagThreshold") : v,
			      "lagThreshold: %lld: \"lagThreshold\" must be positive number (KEDA refuses the trigger)",
			      (long long)c->lag_threshold);
	if (c->activation_lag < 0)
		return yt_err(L->e, yt_get(v, "activationLagThreshold"),
			      "activationLagThreshold: %lld: must be a non-negative number", (long long)c->activation_lag);
	if (c->allow_idle && c->limit_to_lag)
		return yt_err(L->e, v, "allowIdleConsumers and limitToPartitionsWithLag cannot be set simultaneously "
				       "(KEDA refuses the trigger)");
	return 0;
}

static int load_keda(struct ld *L, const struct ynode *v, struct scn_kafka_consumer *c)
{
	static const char *const keys[] = {"lagThreshold",	   "activationLagThreshold", "allowIdleConsumers",
					   "limitToPartitionsWithLag", "minReplicaCount",	     "cooldownPeriod",
					   "pollingInterval",	   NULL};
	static const char *const bools[] = {"false", "true", NULL};
	int idle = 0, lim = 0;
	int64_t cool = 300, poll = 30;
	c->keda = true;
	c->lag_threshold = 10;
	c->min_replica_count = -1;
	/* The ScaledObject's spec (KEDA's defaults: pollingInterval 30,
	 * cooldownPeriod 300, apis/keda/v1alpha1 and pkg/scaling/executor). */
	if (ld_get_int(L, v, "minReplicaCount", 0, MAX_REPLICAS, &c->min_replica_count) ||
	    ld_get_int(L, v, "cooldownPeriod", 0, 86400, &cool) || ld_get_int(L, v, "pollingInterval", 1, 86400, &poll))
		return -1;
	c->cooldown_period = cool * SIM_S;
	c->polling_interval = poll * SIM_S;
	if (ld_want_map(L, v, "keda") || ld_check_keys(L, v, keys, "keda") ||
	    ld_get_int(L, v, "lagThreshold", INT64_MIN, INT64_MAX, &c->lag_threshold) ||
	    ld_get_int(L, v, "activationLagThreshold", INT64_MIN, INT64_MAX, &c->activation_lag) ||
	    ld_get_enum(L, v, "allowIdleConsumers", bools, &idle) ||
	    ld_get_enum(L, v, "limitToPartitionsWithLag", bools, &lim))
		return -1;
	c->allow_idle = idle;
	c->limit_to_lag = lim;
	return check_keda(L, v, c);
}

/* A kafka trigger's metadata as a ScaledObject holds it (strings: '10',
 * 'true'), into c. The keys KEDA's kafka scaler reads
 * (pkg/scalers/kafka_scaler.go, kafkaMetadata); connection and
 * authentication keys are accepted and change nothing here; the options
 * that change the metric in ways not modelled are refused when on. */
static int load_trigger_metadata(struct ld *L, const struct ynode *m, struct scn_kafka_consumer *c, const char *topic)
{
	static const char *const keys[] = {
		"bootstrapServers", "consumerGroup", "topic", "partitionLimitation", "lagThreshold",
		"activationLagThreshold", "offsetResetPolicy", "allowIdleConsumers", "excludePersistentLag",
		"scaleToZeroOnInvalidOffset", "limitToPartitionsWithLag", "ensureEvenDistributionOfPartitions",
		"fullMetadata", "version", "tls", "unsafeSsl", "sasl", "saslTokenProvider", "awsRegion", NULL};
	static const char *const bools[] = {"false", "true", NULL};
	static const char *const policies[] = {"latest", "earliest", NULL};
	static const char *const off[] = {"excludePersistentLag", "ensureEvenDistributionOfPartitions", NULL};
	const struct ynode *n;
	int idle = 0, lim = 0, pol = 0, b = 0;
	if (ld_want_map(L, m, "metadata") || ld_check_keys(L, m, keys, "a kafka trigger's metadata") ||
	    ld_get_int(L, m, "lagThreshold", INT64_MIN, INT64_MAX, &c->lag_threshold) ||
	    ld_get_int(L, m, "activationLagThreshold", INT64_MIN, INT64_MAX, &c->activation_lag) ||
	    ld_get_enum(L, m, "allowIdleConsumers", bools, &idle) ||
	    ld_get_enum(L, m, "limitToPartitionsWithLag", bools, &lim) ||
	    ld_get_enum(L, m, "offsetResetPolicy", policies, &pol))
		return -1;
	for (size_t i = 0; off[i]; i++)
		if (yt_get(m, off[i]) && (ld_get_enum(L, m, off[i], bools, &b) || b))
			return b ? yt_err(L->e, yt_get(m, off[i]), "%s: true is not modelled by headroom (docs/kafka.md)",
					  off[i])
				 : -1;
	if ((n = yt_get(m, "partitionLimitation")) && n->kind == Y_SCALAR && n->s[0])
		return yt_err(L->e, n, "partitionLimitation: not modelled by headroom (the trigger counts every partition)");
	if ((n = yt_get(m, "topic")) && n->kind == Y_SCALAR && strcmp(n->s, topic))
		return yt_err(L->e, n, "topic: '%s' is not this consumer's topic '%s'", n->s, topic);
	if ((n = yt_get(m, "consumerGroup")) && n->kind == Y_SCALAR && strcmp(n->s, c->group))
		return yt_err(L->e, n, "consumerGroup: '%s' is not this consumer's group '%s' (set its group: key)", n->s,
			      c->group);
	c->allow_idle = idle;
	c->limit_to_lag = lim;
	return 0;
}

/* A ScaledObject pasted as it is (keda.sh/v1alpha1): its spec's polling,
 * cooldown and minReplicaCount, and its kafka trigger on this consumer's
 * topic. Its HPA is the service's `hpa:`, pasted as KEDA generated it;
 * maxReplicaCount and the other triggers are that HPA's business. */
static int load_scaled_object(struct ld *L, const struct ynode *v, struct scn_kafka_consumer *c, const char *service,
			      const char *topic)
{
	static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", NULL};
	static const char *const skeys[] = {"scaleTargetRef", "pollingInterval", "cooldownPeriod", "initialCooldownPeriod",
					    "idleReplicaCount", "minReplicaCount", "maxReplicaCount", "advanced",
					    "fallback", "triggers", NULL};
	const struct ynode *spec, *trig, *n, *found = NULL;
	const char *name = NULL, *ns = NULL;
	int64_t cool = 300, poll = 30;
	if (ld_want_map(L, v, "scaled_object") || ld_check_keys(L, v, keys, "a ScaledObject") ||
	    ld_want_word(L, v, "apiVersion", "keda.sh/v1alpha1") || ld_want_word(L, v, "kind", "ScaledObject") ||
	    ((n = yt_get(v, "metadata")) && ld_load_object_meta(L, n, "the ScaledObject", &name, &ns)) ||
	    !(spec = ld_need(L, v, "spec", "a ScaledObject")) || ld_want_map(L, spec, "spec") ||
	    ld_check_keys(L, spec, skeys, "a ScaledObject's spec") ||
	    ld_get_int(L, spec, "minReplicaCount", 0, MAX_REPLICAS, &c->min_replica_count) ||
	    ld_get_int(L, spec, "cooldownPeriod", 0, 86400, &cool) ||
	    ld_get_int(L, spec, "pollingInterval", 1, 86400, &poll) ||
	    !(trig = ld_need(L, spec, "triggers", "spec")) || ld_want_seq(L, trig, "triggers"))
		return -1;
	if ((n = yt_get(spec, "idleReplicaCount")) || (n = yt_get(spec, "fallback")))
		return yt_err(L->e, n, "%s: not modelled by headroom", n == yt_get(spec, "fallback") ? "fallback"
											   : "idleReplicaCount");
	const struct ynode *ref = yt_get(spec, "scaleTargetRef"), *rn;
	if (ref && ref->kind == Y_MAP && (rn = yt_get(ref, "name")) && rn->kind == Y_SCALAR && strcmp(rn->s, service))
		return yt_err(L->e, rn, "name: the ScaledObject scales '%s', not this consumer's service '%s'", rn->s,
			      service);
	for (size_t i = 0; i < trig->n; i++) {
		const struct ynode *t = trig->kid[i], *type;
		if (t->kind == Y_MAP && (type = yt_get(t, "type")) && type->kind == Y_SCALAR && !strcmp(type->s, "kafka")) {
			if (found)
				return yt_err(L->e, t, "a second kafka trigger: give each consumer group its own");
			found = t;
		}
	}
	if (!found)
		return yt_err(L->e, trig, "triggers: no trigger of type kafka");
	/* The trigger's own keys (apis/keda/v1alpha1 ScaleTriggers): metricType
	 * sets the target KEDA writes into its HPA (AverageValue by default;
	 * Utilization is only for cpu and memory); useCachedMetrics serves the
	 * polled value, which headroom does not model. */
	static const char *const tkeys[] = {"type", "name", "metadata", "metricType", "authenticationRef",
					    "useCachedMetrics", NULL};
	static const char *const mtypes[] = {"AverageValue", "Value", NULL};
	int mt = 0, cached = 0;
	if (ld_check_keys(L, found, tkeys, "a kafka trigger") || ld_get_enum(L, found, "metricType", mtypes, &mt) ||
	    ld_get_enum(L, found, "useCachedMetrics", (const char *const[]){"false", "true", NULL}, &cached))
		return -1;
	if (cached)
		return yt_err(L->e, yt_get(found, "useCachedMetrics"),
			      "useCachedMetrics: true (the value of KEDA's last poll) is not modelled by headroom");
	c->value_target = mt == 1;
	c->keda = true;
	c->lag_threshold = 10;
	c->cooldown_period = cool * SIM_S;
	c->polling_interval = poll * SIM_S;
	if (!(n = ld_need(L, found, "metadata", "a kafka trigger")) || load_trigger_metadata(L, n, c, topic))
		return -1;
	return check_keda(L, n, c);
}

/* The External metric series KEDA's metrics server serves for consumer ci. */
static void add_series(struct ld *L, struct scn_kafka_consumer *c, size_t ci, const char *service)
{
	struct scenario *sc = L->sc;
	const char *topic = sc->kafka.topics[c->topic].name;
	sc->external_metrics =
		xrealloc(sc->external_metrics, (sc->n_external_metrics + 1) * sizeof *sc->external_metrics);
	struct scn_ext_metric *x = &sc->external_metrics[sc->n_external_metrics];
	memset(x, 0, sizeof *x);
	size_t len = strlen(topic) + 16;
	x->name = xmalloc(len);
	snprintf(x->name, len, "s0-kafka-%s", topic);
	x->labels = xcalloc(1, sizeof *x->labels);
	x->labels[0].key = xstrdup("scaledobject.keda.sh/name");
	x->labels[0].value = xstrdup(service);
	x->n_labels = 1;
	x->steps = xcalloc(1, sizeof *x->steps);
	x->n_steps = 1;
	x->kafka = (int)ci + 1;
	c->series = (int)sc->n_external_metrics++;
}

static int load_errors(struct ld *L, const struct ynode *v, struct scn_kafka_consumer *c)
{
	static const char *const keys[] = {"transient", "logical", NULL};
	if (ld_want_map(L, v, "errors") || ld_check_keys(L, v, keys, "errors") ||
	    ld_get_num(L, v, "transient", units_fraction, 0, 1, false, &c->transient) ||
	    ld_get_num(L, v, "logical", units_fraction, 0, 1, false, &c->logical))
		return -1;
	if (c->transient >= 1)
		return yt_err(L->e, yt_get(v, "transient"),
			      "transient: a failure on every delivery is a logical failure (logical: 100%%)");
	return 0;
}

/* Spring Kafka's FixedBackOff(interval, maxAttempts): maxAttempts counts
 * redeliveries, the default (0, 9) gives 10 deliveries. */
static int load_backoff(struct ld *L, const struct ynode *v, struct scn_kafka_consumer *c)
{
	static const char *const keys[] = {"interval", "maxAttempts", NULL};
	int64_t n = c->max_retries;
	if (ld_want_map(L, v, "backoff") || ld_check_keys(L, v, keys, "backoff") ||
	    ld_get_dur(L, v, "interval", 0, SIM_HOUR, true, &c->backoff_interval) ||
	    ld_get_int(L, v, "maxAttempts", 0, 1000, &n))
		return -1;
	c->max_retries = (int)n;
	return 0;
}

/* `slo: {p99: 30s}`: one percentile of produce-to-commit time, over the run. */
static int load_consumer_slo(struct ld *L, const struct ynode *v, struct scn_kafka_consumer *c)
{
	static const char *const keys[] = {"p50", "p90", "p95", "p99", "p999", NULL};
	static const double pcts[] = {50, 90, 95, 99, 99.9};
	if (ld_want_map(L, v, "slo") || ld_check_keys(L, v, keys, "a consumer's slo"))
		return -1;
	if (v->n != 1)
		return yt_err(L->e, v, "slo: one objective per consumer group, a percentile of its produce-to-commit "
				       "time (p99: 30s)");
	for (size_t i = 0; keys[i]; i++) {
		if (!yt_get(v, keys[i]))
			continue;
		if (ld_get_dur(L, v, keys[i], SIM_MS, 24 * SIM_HOUR, false, &c->slo_threshold))
			return -1;
		c->slo_percentile = pcts[i];
		c->has_slo = true;
	}
	return 0;
}

/* @RetryableTopic(attempts = "3", backOff = @BackOff(delay = 1000)): its
 * defaults; one retry topic for the one delay (sameIntervalTopicReuseStrategy
 * SINGLE_TOPIC, the annotation's default since Spring Kafka 3.2:
 * spring-kafka#3706), then TOPIC-dlt. */
static int load_retryable(struct ld *L, const struct ynode *v, struct scn_kafka_consumer *c)
{
	static const char *const keys[] = {"attempts", "delay", NULL};
	int64_t n = 3;
	c->retry_topics = true;
	c->retry_delay = SIM_S;
	if (ld_want_map(L, v, "retryable_topic") || ld_check_keys(L, v, keys, "retryable_topic") ||
	    ld_get_int(L, v, "attempts", 1, 1000, &n) || ld_get_dur(L, v, "delay", 0, SIM_HOUR, true, &c->retry_delay))
		return -1;
	c->retry_attempts = (int)n;
	return 0;
}

static int load_consumer(struct ld *L, const struct ynode *root, const struct ynode *v, struct scn_kafka_consumer *c,
			 size_t ci)
{
	static const char *const keys[] = {"service",	      "topic",		 "group",  "concurrency", "assignor",
					   "rebalance_pause", "cpu_per_message", "errors", "backoff",	  "keda", "slo",
					   "session_timeout", "retryable_topic", "scaled_object", NULL};
	static const char *const assignors[] = {"range", "cooperative-sticky", NULL};
	const struct ynode *n;
	int64_t conc = 1;
	int as = 0;
	c->line = v->line;
	c->col = v->col;
	c->series = -1;
	c->max_retries = 9;
	c->rebalance_pause = (struct dist){DIST_CONSTANT, 3.0, 0};
	c->session_timeout = 45 * SIM_S; /* session.timeout.ms 45000 since Kafka 3.0 (KIP-735) */
	if (ld_want_map(L, v, "a consumer") || ld_check_keys(L, v, keys, "a consumer") ||
	    !(n = ld_need(L, v, "service", "a consumer")) || service_at(L, root, n, "service", &c->service) ||
	    !(n = ld_need(L, v, "topic", "a consumer")) || topic_at(L, n, "topic", &c->topic) ||
	    ld_get_int(L, v, "concurrency", 1, 64, &conc) || ld_get_enum(L, v, "assignor", assignors, &as) ||
	    ld_get_dur(L, v, "session_timeout", SIM_MS, SIM_HOUR, false, &c->session_timeout))
		return -1;
	const char *svc = yt_key(yt_get(root, "services"), (size_t)c->service)->s;
	const char *group = svc;
	if ((n = yt_get(v, "group")) && !(group = ld_scalar(L, n, "group")))
		return -1;
	if (!group[0]) /* KafkaConsumer: an empty group.id cannot subscribe (InvalidGroupIdException) */
		return yt_err(L->e, n, "group: an empty group.id: a consumer group needs a name");
	c->group = xstrdup(group);
	c->concurrency = (int)conc;
	c->assignor = (enum scn_kafka_assignor)as;
	if (((n = yt_get(v, "rebalance_pause")) && ld_load_delay(L, n, "rebalance_pause", &c->rebalance_pause)) ||
	    ((n = yt_get(v, "errors")) && load_errors(L, n, c)) || ((n = yt_get(v, "backoff")) && load_backoff(L, n, c)) ||
	    ((n = yt_get(v, "slo")) && load_consumer_slo(L, n, c)) ||
	    ((n = yt_get(v, "retryable_topic")) && load_retryable(L, n, c)))
		return -1;
	if (c->retry_topics && yt_get(v, "backoff"))
		return yt_err(L->e, yt_get(v, "retryable_topic"),
			      "retryable_topic: not with backoff: a failed message goes to the retry topic (non-blocking) "
			      "or is retried in place (blocking), not both");
	if ((n = yt_get(v, "cpu_per_message"))) {
		if (ld_load_dist(L, n, "cpu_per_message", &c->cpu_per_message))
			return -1;
		c->has_cpu = true;
	}
	if ((n = yt_get(v, "keda"))) {
		if (yt_get(v, "scaled_object"))
			return yt_err(L->e, yt_get(v, "scaled_object"), "scaled_object: not with keda: (one trigger per group)");
		if (load_keda(L, n, c))
			return -1;
		add_series(L, c, ci, svc);
	} else if ((n = yt_get(v, "scaled_object"))) {
		if (load_scaled_object(L, n, c, svc, L->sc->kafka.topics[c->topic].name))
			return -1;
		add_series(L, c, ci, svc);
	}
	return 0;
}

/* Depth-first search for a cycle of topics (a -> b when a consumer of a
 * produces to b); 0, or -1 with the error at the producer closing it. */
static int find_loop(struct ld *L, int t, char *colour)
{
	const struct scn_kafka *k = &L->sc->kafka;
	colour[t] = 1;
	for (size_t i = 0; i < k->n_producers; i++) {
		const struct scn_kafka_producer *p = &k->producers[i];
		if (p->from != t)
			continue;
		if (colour[p->topic] == 1) {
			struct herr *e = L->e;
			herr_at(e, L->sc->path, p->line, p->col,
				"this producer closes a cycle of topics (%s -> %s): every event would produce another "
				"for ever; a SAGA's chain of topics must end",
				k->topics[t].name, k->topics[p->topic].name);
			return -1;
		}
		if (!colour[p->topic] && find_loop(L, p->topic, colour))
			return -1;
	}
	colour[t] = 2;
	return 0;
}

static int check_graph(struct ld *L, const struct ynode *v)
{
	struct scn_kafka *k = &L->sc->kafka;
	for (size_t i = 0; i < k->n_producers; i++) {
		const struct scn_kafka_producer *p = &k->producers[i];
		bool consumes = p->from < 0;
		for (size_t j = 0; !consumes && j < k->n_consumers; j++)
			consumes = k->consumers[j].service == p->service && k->consumers[j].topic == p->from;
		if (!consumes)
			return herr_at(L->e, L->sc->path, p->line, p->col,
				       "from: %s: the service consumes no such topic (a consumer of it produces on its "
				       "messages; add a consumer of that service and topic)",
				       k->topics[p->from].name);
	}
	/* The producers of one service, source and outcome are alternatives
	 * (one event per outcome at most, models/kafka.c produce). */
	for (size_t i = 0; i < k->n_producers; i++) {
		const struct scn_kafka_producer *p = &k->producers[i];
		double sum = 0;
		for (size_t j = 0; j <= i; j++) {
			const struct scn_kafka_producer *q = &k->producers[j];
			if (q->service == p->service && q->from == p->from && q->on == p->on)
				sum += q->probability;
		}
		if (sum > 1 + 1e-9)
			return herr_at(L->e, L->sc->path, p->line, p->col,
				       "probability: the producers of one service on the same outcome are alternatives "
				       "(one event per outcome at most); theirs add up to %.4g, more than 100%%",
				       sum);
	}
	char *colour = xcalloc(k->n_topics ? k->n_topics : 1, 1);
	int rc = 0;
	for (size_t t = 0; t < k->n_topics && !rc; t++)
		if (!colour[t])
			rc = find_loop(L, (int)t, colour);
	free(colour);
	if (rc)
		return -1;
	for (size_t j = 0; j < k->n_consumers; j++) {
		const struct scn_kafka_consumer *c = &k->consumers[j];
		bool fed = false;
		for (size_t i = 0; i < k->n_producers && !fed; i++)
			fed = k->producers[i].topic == c->topic;
		if (!fed) {
			struct ynode at = {.src = v->src, .line = c->line, .col = c->col};
			ld_warn(L, &at, "a consumer of topic '%s', which nothing produces: its group stays idle",
				k->topics[c->topic].name);
		}
		for (size_t i = 0; i < j; i++) {
			const struct scn_kafka_consumer *o = &k->consumers[i];
			if (o->keda && c->keda && o->service == c->service &&
			    (o->min_replica_count != c->min_replica_count || o->cooldown_period != c->cooldown_period ||
			     o->polling_interval != c->polling_interval))
				return herr_at(L->e, L->sc->path, c->line, c->col,
					       "keda: minReplicaCount, cooldownPeriod and pollingInterval belong to the "
					       "service's one ScaledObject: give its triggers the same ones");
		}
		/* @RetryableTopic's retry topic is TOPIC-retry (spring-kafka
		 * RetryTopicConstants.DEFAULT_RETRY_SUFFIX): a topic of that name in
		 * kafka.topics would be the same Kafka topic, and its group's rows
		 * would collide with the retry group's. */
		for (size_t i = 0; c->retry_topics && i < k->n_topics; i++) {
			const char *t = k->topics[c->topic].name, *r = k->topics[i].name;
			size_t n = strlen(t);
			if (!strncmp(r, t, n) && !strcmp(r + n, "-retry"))
				return herr_at(L->e, L->sc->path, c->line, c->col,
					       "retryable_topic: @RetryableTopic sends the failures of '%s' to '%s', which "
					       "kafka.topics also defines (one Kafka topic): rename that topic",
					       t, r);
		}
		for (size_t i = 0; i < j; i++)
			if (!strcmp(k->consumers[i].group, c->group) && k->consumers[i].topic == c->topic)
				return herr_at(L->e, L->sc->path, c->line, c->col,
					       "group '%s' consumes topic '%s' twice (give one of them another group)",
					       c->group, k->topics[c->topic].name);
	}
	return 0;
}

int ld_load_kafka(struct ld *L, const struct ynode *root, const struct ynode *v)
{
	static const char *const keys[] = {"topics", "producers", "consumers", NULL};
	struct scn_kafka *k = &L->sc->kafka;
	const struct ynode *n;
	if (ld_want_map(L, v, "kafka") || ld_check_keys(L, v, keys, "kafka") || !(n = ld_need(L, v, "topics", "kafka")) ||
	    ld_want_seq(L, n, "topics"))
		return -1;
	if (n->n > 1000)
		return yt_err(L->e, n, "topics: %zu is too many (at most 1000)", n->n);
	k->topics = xcalloc(n->n ? n->n : 1, sizeof *k->topics);
	for (size_t i = 0; i < n->n; i++) {
		k->n_topics++;
		if (load_topic(L, n->kid[i], &k->topics[i]))
			return -1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(k->topics[j].name, k->topics[i].name))
				return yt_err(L->e, n->kid[i], "topic '%s' is defined twice", k->topics[i].name);
	}
	if ((n = yt_get(v, "producers"))) {
		if (ld_want_seq(L, n, "producers"))
			return -1;
		k->producers = xcalloc(n->n ? n->n : 1, sizeof *k->producers);
		for (size_t i = 0; i < n->n; i++) {
			k->n_producers++;
			if (load_producer(L, root, n->kid[i], &k->producers[i]))
				return -1;
		}
	}
	if ((n = yt_get(v, "consumers"))) {
		if (ld_want_seq(L, n, "consumers"))
			return -1;
		k->consumers = xcalloc(n->n ? n->n : 1, sizeof *k->consumers);
		for (size_t i = 0; i < n->n; i++) {
			k->n_consumers++;
			if (load_consumer(L, root, n->kid[i], &k->consumers[i], i))
				return -1;
		}
	}
	return check_graph(L, v);
}

void ld_free_kafka(struct scenario *sc)
{
	struct scn_kafka *k = &sc->kafka;
	for (size_t i = 0; i < k->n_topics; i++)
		free(k->topics[i].name);
	for (size_t i = 0; i < k->n_consumers; i++)
		free(k->consumers[i].group);
	free(k->topics);
	free(k->producers);
	free(k->consumers);
	memset(k, 0, sizeof *k);
}

/* KEDA writes the HPA of a ScaledObject with one External metric per
 * trigger whose target is the trigger's (kafka: AverageValue lagThreshold;
 * pkg/scalers/kafka_scaler.go GetMetricSpecForScaling,
 * GetMetricTargetMili). An HPA pasted with another target would scale on a
 * number KEDA never sets, while the trigger's lagThreshold still caps the
 * metric: refused. */
int ld_kafka_check_target(struct ld *L, const struct ynode *at, const struct scn_hpa_metric *m)
{
	const struct scenario *sc = L->sc;
	for (size_t i = 0; i < m->n_series; i++) {
		const struct scn_ext_metric *x = &sc->external_metrics[m->series[i]];
		if (!x->kafka)
			continue;
		const struct scn_kafka_consumer *c = &sc->kafka.consumers[x->kafka - 1];
		bool same = c->value_target ? m->target == HPA_TARGET_VALUE && m->value == (double)c->lag_threshold
					    : m->target == HPA_TARGET_AVERAGE_VALUE &&
						      m->average_value == (double)c->lag_threshold;
		if (!same)
			return yt_err(L->e, at,
				      "target: the series %s is a KEDA kafka trigger's (group '%s'): KEDA's HPA has "
				      "target {type: %s, %s: \"%lld\"}, its lagThreshold; this one differs",
				      x->name, c->group, c->value_target ? "Value" : "AverageValue",
				      c->value_target ? "value" : "averageValue", (long long)c->lag_threshold);
	}
	return 0;
}
