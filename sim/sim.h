/*
 * sim.h: the clock and the run loop.
 *
 * A struct sim owns the clock and the event queue of one run; two sims can run
 * side by side in one process (no globals). An event is a callback with an
 * object and a small argument. The callback's return value says what happens
 * to the event that fired it, so periodic controllers never write their own
 * rescheduling code:
 *   >= 0       fire again that many nanoseconds from now (same handle),
 *   SIM_DONE   the event is finished and its handle freed,
 *   SIM_KEEP   the callback moved or cancelled its own event itself.
 * The clock never goes backwards (asserted).
 */
#ifndef HEADROOM_SIM_H
#define HEADROOM_SIM_H

#include "common.h"
#include "evq.h"

struct sim;
typedef simtime (*sim_fn)(struct sim *s, void *obj, uint64_t arg);

#define SIM_DONE ((simtime)-1)
#define SIM_KEEP ((simtime)-2)

/* Priorities at equal time: smaller runs first. */
enum sim_prio {
	PRIO_SAMPLE = 10,   /* samplers close the interval [t - dt, t) before anything at t */
	PRIO_CONTROL = 100, /* controllers (HPA sync, scrapes, provisioners) */
	PRIO_REQUEST = 1000 /* request arrivals and completions */
};

struct sim {
	simtime now;       /* the clock, ns */
	simtime end;       /* the run stops before any event after this */
	evq q;             /* pending events */
	uint64_t seed;     /* the run's seed, from which every RNG stream derives */
	uint64_t n_events; /* events fired so far */
	atomic_int *interrupt; /* if set and non-zero, sim_run returns early (atomic: set by signal handlers, read by plan workers) */
	/* If set, called about every million events (for progress reports). */
	void (*progress)(void *ctx, simtime now, simtime end);
	void *progress_ctx;
};

void sim_init(struct sim *s, uint64_t seed, simtime end);
void sim_release(struct sim *s);

/* Schedules fn(s, obj, arg) at absolute time t >= now. Returns its handle. */
static inline evh sim_at(struct sim *s, simtime t, enum sim_prio prio, sim_fn fn, void *obj, uint64_t arg)
{
	return evq_push(&s->q, t, (unsigned)prio, (void *)fn, obj, arg);
}
static inline evh sim_after(struct sim *s, simtime d, enum sim_prio prio, sim_fn fn, void *obj, uint64_t arg)
{
	return sim_at(s, s->now + d, prio, fn, obj, arg);
}
/* Moves a pending event to absolute time t >= now. */
static inline void sim_move(struct sim *s, evh h, simtime t) { evq_move(&s->q, h, t); }
static inline void sim_cancel(struct sim *s, evh h) { evq_cancel(&s->q, h); }
static inline bool sim_pending(const struct sim *s, evh h) { return evq_pending(&s->q, h); }

/* Fires events in order until none is left at or before s->end, or the
 * interrupt flag is raised. Returns 0 when the end was reached, 1 when
 * interrupted. The clock is left at s->end when the end was reached. */
int sim_run(struct sim *s);

#endif
