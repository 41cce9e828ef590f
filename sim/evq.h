/*
 * evq.h: the event queue, an array-backed 4-ary min-heap of small plain events.
 *
 * Order is total and deterministic: (time, priority, seq), where seq is an
 * insertion counter, so events at the same time and priority pop FIFO and a
 * run repeats bit for bit. Each event lives in a slot of a pool; its handle is
 * the slot index, stable until the event is popped or cancelled. The heap
 * array holds (time, key, slot) inline and each slot knows its heap position,
 * so cancel and reschedule are O(log n) removals/sifts, not lazy tombstones.
 * The pool and the heap grow by doubling and are never shrunk: memory follows
 * the largest number of events ever pending, never the number of events
 * processed. No allocation per event once warm.
 */
#ifndef HEADROOM_EVQ_H
#define HEADROOM_EVQ_H

#include "common.h"

typedef uint32_t evh; /* event handle: a slot index */
#define EVH_NONE UINT32_MAX

struct evq_ent {
	simtime time; /* when the event fires, ns */
	uint64_t key; /* priority << 44 | insertion seq: ties broken FIFO */
	evh slot;     /* the slot holding the payload */
};

struct evq_slot {
	void *fn;     /* the callback; opaque to the queue */
	void *obj;    /* the object the callback acts on */
	uint64_t arg; /* a small argument */
	uint32_t pos; /* position in the heap, or UINT32_MAX when free */
	uint32_t next_free; /* free-list link while free */
};

typedef struct evq {
	struct evq_ent *heap;   /* heap[0] is the next event */
	struct evq_slot *slots; /* the pool, indexed by handle */
	uint32_t n;             /* events pending */
	uint32_t cap;           /* capacity of heap and slots */
	uint32_t free_head;     /* first free slot, or EVH_NONE */
	uint64_t seq;           /* insertion counter */
} evq;

#define EVQ_PRIO_BITS 20u
#define EVQ_SEQ_BITS 44u /* 1.7e13 insertions per run */

void evq_init(evq *q);
void evq_release(evq *q);

/* Adds an event; prio < 2^20, smaller first at equal time. Returns its handle. */
evh evq_push(evq *q, simtime t, unsigned prio, void *fn, void *obj, uint64_t arg);
/* The next event's handle (EVH_NONE if empty), without removing it. */
static inline evh evq_top(const evq *q) { return q->n ? q->heap[0].slot : EVH_NONE; }
static inline simtime evq_top_time(const evq *q) { return q->n ? q->heap[0].time : SIM_FOREVER; }
/* Removes a pending event; its handle becomes free. */
void evq_cancel(evq *q, evh h);
/* Moves a pending event to time t (its priority kept, a fresh seq taken, as
 * if it had been cancelled and pushed again). */
void evq_move(evq *q, evh h, simtime t);
static inline bool evq_pending(const evq *q, evh h)
{
	return h < q->cap && q->slots[h].pos != UINT32_MAX;
}
static inline simtime evq_time(const evq *q, evh h) { return q->heap[q->slots[h].pos].time; }
static inline struct evq_slot *evq_slot(evq *q, evh h) { return &q->slots[h]; }

#endif
