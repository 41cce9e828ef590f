#include "evq.h"

#include <assert.h>
#include <stdlib.h>

#define ARITY 4u
#define NOPOS UINT32_MAX

void evq_init(evq *q)
{
	q->heap = NULL;
	q->slots = NULL;
	q->n = q->cap = 0;
	q->free_head = EVH_NONE;
	q->seq = 0;
}

void evq_release(evq *q)
{
	free(q->heap);
	free(q->slots);
	evq_init(q);
}

static void grow(evq *q)
{
	uint32_t ncap = q->cap ? q->cap * 2 : 64;
	assert(ncap > q->cap && "event queue too large");
	q->heap = xrealloc(q->heap, ncap * sizeof *q->heap);
	q->slots = xrealloc(q->slots, ncap * sizeof *q->slots);
	/* New slots go on the free list in ascending order. */
	for (uint32_t i = ncap; i-- > q->cap;) {
		q->slots[i].pos = NOPOS;
		q->slots[i].next_free = q->free_head;
		q->free_head = i;
	}
	q->cap = ncap;
}

static inline bool less(const struct evq_ent *a, const struct evq_ent *b)
{
	return a->time < b->time || (a->time == b->time && a->key < b->key);
}

static void sift_up(evq *q, uint32_t i)
{
	struct evq_ent e = q->heap[i];
	while (i > 0) {
		uint32_t p = (i - 1) / ARITY;
		if (!less(&e, &q->heap[p]))
			break;
		q->heap[i] = q->heap[p];
		q->slots[q->heap[i].slot].pos = i;
		i = p;
	}
	q->heap[i] = e;
	q->slots[e.slot].pos = i;
}

static void sift_down(evq *q, uint32_t i)
{
	struct evq_ent e = q->heap[i];
	uint32_t n = q->n;
	for (;;) {
		uint32_t c = i * ARITY + 1;
		if (c >= n)
			break;
		uint32_t end = c + ARITY < n ? c + ARITY : n, best = c;
		for (uint32_t k = c + 1; k < end; k++)
			if (less(&q->heap[k], &q->heap[best]))
				best = k;
		if (!less(&q->heap[best], &e))
			break;
		q->heap[i] = q->heap[best];
		q->slots[q->heap[i].slot].pos = i;
		i = best;
	}
	q->heap[i] = e;
	q->slots[e.slot].pos = i;
}

static uint64_t next_key(evq *q, unsigned prio)
{
	assert(prio < (1u << EVQ_PRIO_BITS));
	assert(q->seq < ((uint64_t)1 << EVQ_SEQ_BITS));
	return ((uint64_t)prio << EVQ_SEQ_BITS) | q->seq++;
}

evh evq_push(evq *q, simtime t, unsigned prio, void *fn, void *obj, uint64_t arg)
{
	if (q->free_head == EVH_NONE)
		grow(q);
	evh h = q->free_head;
	struct evq_slot *s = &q->slots[h];
	q->free_head = s->next_free;
	s->fn = fn;
	s->obj = obj;
	s->arg = arg;
	uint32_t i = q->n++;
	q->heap[i] = (struct evq_ent){t, next_key(q, prio), h};
	sift_up(q, i);
	return h;
}

void evq_cancel(evq *q, evh h)
{
	assert(evq_pending(q, h));
	uint32_t i = q->slots[h].pos;
	q->slots[h].pos = NOPOS;
	q->slots[h].next_free = q->free_head;
	q->free_head = h;
	uint32_t last = --q->n;
	if (i == last)
		return;
	q->heap[i] = q->heap[last];
	q->slots[q->heap[i].slot].pos = i;
	if (i > 0 && less(&q->heap[i], &q->heap[(i - 1) / ARITY]))
		sift_up(q, i);
	else
		sift_down(q, i);
}

void evq_move(evq *q, evh h, simtime t)
{
	assert(evq_pending(q, h));
	uint32_t i = q->slots[h].pos;
	struct evq_ent *e = &q->heap[i];
	unsigned prio = (unsigned)(e->key >> EVQ_SEQ_BITS);
	bool later = t > e->time || (t == e->time);
	e->time = t;
	e->key = next_key(q, prio);
	if (later)
		sift_down(q, i);
	else
		sift_up(q, i);
}
