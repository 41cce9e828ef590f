#include "sim.h"

#include <assert.h>

void sim_init(struct sim *s, uint64_t seed, simtime end)
{
	s->now = 0;
	s->end = end;
	s->seed = seed;
	s->n_events = 0;
	s->interrupt = NULL;
	s->progress = NULL;
	s->progress_ctx = NULL;
	evq_init(&s->q);
}

void sim_release(struct sim *s) { evq_release(&s->q); }

/*
 * The run loop. The firing event stays in the heap while its callback runs,
 * so a periodic event is re-keyed in place (one sift) instead of popped and
 * pushed again; that halves the heap work of arrival generators and
 * completion events, the hottest events there are.
 */
int sim_run(struct sim *s)
{
	evq *q = &s->q;
	while (q->n) {
		const struct evq_ent top = q->heap[0];
		if (top.time > s->end)
			break;
		if ((s->n_events & 0xfffff) == 0) {
			if (s->interrupt && *s->interrupt)
				return 1;
			if (s->progress)
				s->progress(s->progress_ctx, s->now, s->end);
		}
		assert(top.time >= s->now && "clock went backwards");
		s->now = top.time;
		s->n_events++;
		struct evq_slot *slot = &q->slots[top.slot];
		sim_fn fn = (sim_fn)slot->fn;
		simtime d = fn(s, slot->obj, slot->arg);
		if (d >= 0)
			evq_move(q, top.slot, s->now + d);
		else if (d == SIM_DONE)
			evq_cancel(q, top.slot);
		else
			assert(d == SIM_KEEP);
	}
	if (s->now < s->end)
		s->now = s->end;
	return 0;
}
