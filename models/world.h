/*
 * world.h: the simulated world of one run, and how the run loop drives it.
 *
 * A world holds the services of a scenario, their pods, the requests in
 * flight and the traffic generators, and emits rows through a sink. It is
 * the one place that knows every model; the machinery (sim/) builds a world
 * from a scenario, runs the clock and stores what comes out.
 *
 * Requests live in one pool shared by all services (struct req, indexed by
 * uint32), recycled through a free list: memory follows the largest number of
 * requests ever in flight, never the number simulated.
 */
#ifndef HEADROOM_WORLD_H
#define HEADROOM_WORLD_H

#include <gsl/gsl_rng.h>

#include "dist.h"
#include "scn.h"
#include "sim.h"
#include "sink.h"
#include "slo.h"
#include "traffic.h"

#define REQ_NONE UINT32_MAX

enum req_state {
	REQ_QUEUED,  /* in a pod's accept queue */
	REQ_CPU,     /* using CPU on a pod */
	REQ_WAITING, /* holding a worker while a downstream call runs */
	REQ_FREE
};

struct req {
	simtime arrival;  /* when it reached this service, ns */
	simtime deadline; /* when its client gives up, ns (SIM_FOREVER: never) */
	uint32_t parent;  /* the caller's request, or REQ_NONE (entry, or abandoned) */
	uint32_t child;   /* the downstream request it waits on, or REQ_NONE */
	uint32_t pod;     /* pod index within the service */
	uint16_t svc;     /* service index */
	uint16_t next_call; /* the next of the service's calls to consider */
	uint8_t state;    /* enum req_state */
	bool failed;      /* a downstream call failed: answer with an error */
	uint32_t gen;     /* bumped each time the slot is reused */
	uint32_t next_free; /* free-list link */
};

/* A caller waiting on a request to this service, until its deadline. */
struct callwait {
	simtime deadline; /* when the caller gives up, ns */
	uint32_t id, gen; /* the callee's request, and its generation then */
};

struct pod {
	struct service *svc;
	uint32_t idx;     /* index within the service */
	simtime born;     /* start of its warm-up, ns */
	bool ready;       /* takes new requests */
	double cores;     /* CPU it can use: its limit, or its request without one */
	/* Processor sharing: each of the n_cpu requests using CPU gets `rate`
	 * cores, rate = min(1, cores / n_cpu). Virtual time vt advances at that
	 * rate; a request that needs w CPU-ns finishes when vt reaches its tag
	 * vt_start + w. The heap orders tags, so each event is O(log n). */
	double vt;        /* virtual time, CPU-ns per request since the pod was last idle */
	simtime vt_at;    /* when vt was last brought up to date */
	double rate;      /* cores per running request */
	double cpu_used;  /* core-ns used, integrated exactly */
	double *tag;      /* heap of finish tags (min at 0) */
	uint32_t *tag_req;/* the request of each tag */
	uint32_t n_cpu;   /* requests using CPU (heap size) */
	uint32_t cap_cpu; /* heap capacity */
	uint32_t n_busy;  /* workers held (CPU or waiting downstream) */
	uint32_t *q;      /* accept queue, a ring of request ids */
	uint32_t q_head, q_len, q_cap;
	evh done;         /* the next completion event, or EVH_NONE */
	bool firing;      /* inside its completion callback */
};

struct service {
	struct world *w;   /* the world it belongs to */
	const struct scn_service *cfg; /* borrowed from the scenario */
	uint16_t idx;
	struct pod *pods;  /* owned */
	uint32_t n_pods;
	uint32_t *ready;   /* indices of ready pods */
	uint32_t n_ready;
	uint32_t rr;       /* round-robin cursor */
	struct dist_sampler demand; /* CPU seconds per request */
	gsl_rng *r_demand, *r_lb, *r_fanout;
	traffic *traffic;  /* NULL unless an entry service */
	evh arrivals;      /* the arrival generator's event */
	struct slo_tracker slo;
	/* Callers' deadlines on requests to this service, in arrival order:
	 * one timeout per service makes them ascending, so one event at the
	 * head serves them all. Entries whose request answered in time go
	 * stale (their generation no longer matches) and are skipped. */
	struct callwait *cw; /* ring */
	uint32_t cw_head, cw_len, cw_cap;
	evh cw_ev;         /* fires at the head's deadline, or EVH_NONE */
	double cpu_mark;   /* sum of pods' cpu_used at the last sample, core-ns */
	double cpu_mark_run;
};

struct world {
	struct sim *s;
	const struct scenario *sc;
	struct sink out;
	struct service *svcs; /* owned, one per scenario service */
	size_t n_svcs;
	struct req *reqs;     /* the request pool */
	uint32_t n_reqs, cap_reqs, free_req;
	int64_t requests;     /* requests created so far (all services) */
	simtime last_sample;  /* end of the last sample interval */
	simtime last_window;  /* end of the last SLO window */
};

/* Builds the world of scenario sc on the clock s (borrowed, both must outlive
 * it) and schedules its first events. Rows go to out. */
struct world *world_new(struct sim *s, const struct scenario *sc, const struct sink *out);
/* After sim_run: closes the last interval and emits the summaries. */
void world_finish(struct world *w);
void world_free(struct world *w);

/* The service model (models/service.c). */
void svc_init(struct world *w, struct service *sv, const struct scn_service *cfg, uint16_t idx);
void svc_release(struct service *sv);
/* A new request arrives at service sv from parent (REQ_NONE for an entry
 * request). Returns its id, or REQ_NONE when it was refused at once. */
uint32_t svc_arrive(struct world *w, struct service *sv, uint32_t parent);
/* Brings every pod's CPU accounting up to now; returns the sum of cpu_used. */
double svc_cpu_used(struct world *w, struct service *sv);
/* Requests held by the service's pods (working, waiting or queued). */
uint32_t svc_in_flight(const struct service *sv);

/* Balancers (models/balancer.c): a ready pod for the next request, or
 * UINT32_MAX when none is ready. */
uint32_t balancer_pick(struct service *sv);

#endif
