#include "run.h"

#include <time.h>

#include "sim.h"
#include "world.h"

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void run_once(const struct scenario *sc, uint64_t seed, const struct sink *out, const struct run_hooks *hooks,
	      struct run_stats *st)
{
	struct sim s;
	sim_init(&s, seed, sc->duration);
	if (hooks) {
		s.interrupt = hooks->interrupt;
		s.progress = hooks->progress;
		s.progress_ctx = hooks->ctx;
	}
	double t0 = wall_now();
	struct world *w = world_new(&s, sc, out);
	st->interrupted = sim_run(&s) != 0;
	world_finish(w);
	st->wall_s = wall_now() - t0;
	st->events = s.n_events;
	st->requests = w->requests;
	st->sim_s = sim_to_s(s.now);
	world_free(w);
	sim_release(&s);
}
