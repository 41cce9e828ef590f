/*
 * kafka.h: topics, consumer groups scaled on lag, retries, dead-letter
 * topics and sagas (docs/kafka.md; the scenario's `kafka:`, scn.h).
 *
 * A topic has partitions; each partition's log is counted, not stored:
 * per consumer group, a ring holds the messages produced and not yet
 * committed (their produce time and saga), so memory follows the lag in
 * flight, never the messages simulated. A consumer group is a service: each
 * Ready pod runs `concurrency` consumers (the group's members, ordered by
 * pod number); partitions are assigned to members by the group's assignor
 * (RangeAssignor, or CooperativeStickyAssignor), and a member delivers one
 * message at a time, taking its partitions in turn, each partition in
 * order. A delivery is CPU work on the pod's processor sharing, as a
 * request's is (models/service.c), so throttling and node pressure slow
 * consumption too. Members beyond the partitions idle.
 *
 * A change of members (a pod Ready, or not any more) is a rebalance: with
 * an eager protocol (range) every partition of the group stops for the
 * pause, with the cooperative one only the partitions that move. A message
 * in flight finishes and commits on its old member.
 *
 * A failed delivery is redelivered in place after FixedBackOff's interval
 * (the member's thread sleeps: Spring Kafka's DefaultErrorHandler), up to
 * maxAttempts redeliveries; then the DeadLetterPublishingRecoverer sends it
 * to TOPIC-dlt and the partition moves on. With @RetryableTopic it goes to
 * TOPIC-retry instead (a group of its own on the same pods, each partition
 * paused until its head is due), and the partition moves on at once.
 *
 * A consumer on a lost node stops at once and leaves its group at its
 * session timeout. A KEDA trigger's value is the group's lag as KEDA
 * computes it (the HPA reads it as an External metric); with
 * minReplicaCount 0 KEDA's operator scales the service to zero and back.
 *
 * A saga starts when a service's request publishes, and ends when every
 * message it led to is committed (completion time), or fails when one of
 * them went to a DLT.
 *
 * Rules with their sources: KEDA pkg/scalers/kafka_scaler.go (getTotalLag);
 * Kafka clients RangeAssignor, CooperativeStickyAssignor; spring-kafka
 * DefaultErrorHandler, FixedBackOff, DeadLetterPublishingRecoverer.
 */
#ifndef HEADROOM_KAFKA_H
#define HEADROOM_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"
#include "slo.h"

#define KAFKA_NONE UINT32_MAX
/* The RNG model of Kafka's streams (sim/rng.h's numbering; instance: consumer). */
#define KAFKA_RNG_MODEL 19

/* ---- decisions, as pure functions ---- */

/* A KEDA kafka trigger's metadata. */
struct keda_kafka {
	int64_t lag_threshold;  /* lagThreshold, > 0 */
	int64_t activation_lag; /* activationLagThreshold, >= 0 */
	bool allow_idle;        /* allowIdleConsumers */
	bool limit_to_lag;      /* limitToPartitionsWithLag */
};

/* The metric KEDA serves for a group whose n partitions have these lags
 * (getTotalLag): the total lag, capped to upper * lagThreshold when
 * totalLag / lagThreshold (integer division) exceeds upper, where upper is
 * the partitions (or, with limitToPartitionsWithLag, those with lag), unless
 * allowIdleConsumers. *active (may be NULL) gets whether the uncapped total
 * exceeds activationLagThreshold (the trigger's activity). */
int64_t keda_kafka_metric(const struct keda_kafka *k, const int64_t *lag, size_t n, bool *active);

/* RangeAssignor for one topic: partition p of n_parts goes to member
 * owner[p] of n_members (ordered by member id); each member gets n_parts /
 * n_members consecutive partitions, the first n_parts % n_members one more.
 * No members: every owner is KAFKA_NONE. */
void kafka_assign_range(uint32_t n_parts, uint32_t n_members, uint32_t *owner);

/* CooperativeStickyAssignor: a balanced assignment (every member n_parts /
 * n_members or one more) keeping as many partitions as balance allows with
 * prev[p], their owner before (a member index, or KAFKA_NONE: new, or its
 * owner left); the rest go to the least loaded members, lowest index first.
 * count is scratch for n_members. */
void kafka_assign_sticky(uint32_t n_parts, uint32_t n_members, const uint32_t *prev, uint32_t *owner,
			 uint32_t *count);

/* Spring's FixedBackOff after delivery number `delivery` (1-based) of a
 * message failed: whether it is delivered again (else it is recovered: the
 * DLT). maxAttempts redeliveries: 9 gives 10 deliveries. */
static inline bool kafka_redeliver(int delivery, int max_retries) { return delivery <= max_retries; }

/* ---- the model ---- */

struct world;
struct service;
struct pod;

/* A consumer group's counts so far. */
struct kafka_stats {
	int64_t produced;  /* messages produced to its partitions */
	int64_t consumed;  /* committed after a successful delivery */
	int64_t deliveries;/* deliveries started */
	int64_t failures;  /* deliveries that failed */
	int64_t dlt;       /* messages sent to TOPIC-dlt */
	int64_t rebalances;/* rebalances (changes of members) */
	int64_t lag;       /* messages produced and not committed, now */
	int64_t max_lag;   /* the most at once */
	simtime paused;    /* partition-time stopped by rebalances, ns */
	struct hist latency; /* produce to commit of each consumed message, ns */
};

/* Builds the Kafka model of w's scenario (NULL without `kafka:`). */
struct kafka *kafka_new(struct world *w);
void kafka_free(struct kafka *k);
/* A request of service sv that ran answered, successfully or not (ok), having
 * arrived at `arrival`: its producers publish. */
void kafka_request_done(struct world *w, struct service *sv, bool ok, simtime arrival);
/* Service sv's Ready pods changed: its groups rebalance (at once, in one
 * event for every change at this instant). */
void kafka_members_changed(struct world *w, struct service *sv);
/* Pod p's node was lost: its consumers stop at once, and leave their
 * groups at the session timeout (a rebalance then), unless a rebalance
 * drops them earlier. */
void kafka_pod_lost(struct world *w, struct pod *p);
/* A delivery started with svc_msg_start(..., msg) finished its CPU work on
 * pod p. */
void kafka_msg_done(struct world *w, struct pod *p, uint32_t msg);
/* The value KEDA's metrics server serves for consumer c's trigger now. */
double kafka_metric(const struct world *w, int c);
/* Consumer c's counts (borrowed). */
const struct kafka_stats *kafka_stats(const struct world *w, int c);
/* Current lag of partition part of consumer c. */
int64_t kafka_partition_lag(const struct world *w, int c, uint32_t part);
/* Whether partition part of consumer c is stopped by a rebalance now. */
bool kafka_partition_paused(const struct world *w, int c, uint32_t part);
/* The member (0-based, by pod number) owning partition part of consumer c, or KAFKA_NONE. */
uint32_t kafka_partition_owner(const struct world *w, int c, uint32_t part);
/* Sagas: completed (every message committed), failed (one went to a DLT),
 * and the completion times, ns. */
struct kafka_sagas {
	int64_t started, completed, failed;
	struct hist completion;
};
const struct kafka_sagas *kafka_sagas(const struct world *w);
/* Whether consumer c met its `slo:` so far: 1 or 0 (its percentile of
 * produce-to-commit time, the messages still waiting counted at their age;
 * met when nothing was produced); -1 without one. */
int kafka_slo_met(const struct world *w, int c);
/* Service sv's slo_met `met` (1, 0, -1: no objective) with its consumer
 * groups' objectives folded in: met only when every one is met too. */
int kafka_service_slo(const struct world *w, const struct service *sv, int met);
/* Called by the sampler every interval of dt: emits a kafka row per group
 * and resets the interval's counts. */
void kafka_sample(struct world *w, simtime dt);
/* At the end: a kafka summary row per group and the sagas'. */
void kafka_finish(struct world *w);

#endif
