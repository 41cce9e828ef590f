/*
 * plot_rollout.h: the rollout chart of a run (docs/rollouts.md): for a
 * service with a rollout, the new version's traffic weight with the
 * analysis verdicts over it, each version's pods, and each version's error
 * rate and p99, from version_samples and the decisions of kind 'rollout'
 * (schema version 8).
 */
#ifndef HEADROOM_PLOT_ROLLOUT_H
#define HEADROOM_PLOT_ROLLOUT_H

#include <stdio.h>

#include "plot.h"

/* The chart's data of run `run` and service: '#' header, then per sample
 * time "t_s weight pods0 pods1 ready0 ready1 err0% err1% p99_0 p99_1"
 * ("NaN" for an undefined value); then two blank lines and the
 * measurements "t_s verdict_code value metric" (code 1 Successful, 2
 * Failed, 3 Inconclusive, 4 Error). *n_rows gets the sample rows. Returns
 * 0 or -1 with e set. */
int plot_rollout_data(plot_db *db, int64_t run, const char *service, FILE *out, size_t *n_rows, struct herr *e);

/* Draws the rollout chart of every service of run r that has
 * version_samples rows into dir as rollout-SERVICE.png/.svg (with its .gp
 * when scripts); prints each path on out. A file without the table, or a
 * run without rollouts, draws nothing. Returns 0 or -1 with e set. */
int plot_rollout_all(plot_db *db, const struct plot_run *r, enum plot_format fmt, const char *dir, bool scripts,
		     FILE *out, struct herr *e);

#endif
