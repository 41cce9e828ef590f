/*
 * run.h: one simulation run of a scenario, from a validated scenario to rows.
 */
#ifndef HEADROOM_RUN_H
#define HEADROOM_RUN_H

#include "scn.h"
#include "sink.h"

struct run_stats {
	double wall_s;      /* wall-clock seconds spent simulating */
	uint64_t events;    /* events fired */
	int64_t requests;   /* requests simulated, all services */
	double sim_s;       /* simulated seconds reached */
	bool interrupted;   /* stopped early by the interrupt flag */
};

/* How a caller watches a run (all optional). */
struct run_hooks {
	atomic_int *interrupt; /* when it becomes non-zero the run stops soon */
	void (*progress)(void *ctx, simtime now, simtime end); /* about every 10^6 events */
	void *ctx;
};

/* Runs scenario sc with the given seed, sending rows to out. hooks may be NULL. */
void run_once(const struct scenario *sc, uint64_t seed, const struct sink *out, const struct run_hooks *hooks,
	      struct run_stats *st);

#endif
