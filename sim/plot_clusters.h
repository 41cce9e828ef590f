/*
 * plot_clusters.h: the clusters chart of a run with several clusters
 * behind an ALB (docs/clusters.md): each target group's share of its
 * rule's weight, each cluster's nodes, and each cluster's errors over
 * time, from target_groups and cluster_samples (schema version 10).
 */
#ifndef HEADROOM_PLOT_CLUSTERS_H
#define HEADROOM_PLOT_CLUSTERS_H

#include <stdio.h>

#include "plot.h"

/* The chart's data of run `run`: one block per target group ("t_s
 * share_pct", after a '# rule/target_group -> cluster' line), then one
 * block per cluster ("t_s nodes ready errors err_pct", after '# cluster'),
 * blocks separated by two blank lines. *n_tgs and *n_clusters get the
 * blocks; the names go into tg_names and cl_names (n x 64 bytes each, at
 * most `cap` of each). Returns 0 or -1 with e set. */
int plot_clusters_data(plot_db *db, int64_t run, FILE *out, char (*tg_names)[64], size_t *n_tgs,
		       char (*cl_names)[64], size_t *n_clusters, size_t cap, struct herr *e);

/* Draws the clusters chart of run r into the file `path` (PNG or SVG as
 * fmt; its .gp beside it when scripts); *drawn false when the file or
 * the run has no cluster rows (nothing written). Returns 0 or -1 with e
 * set. */
int plot_clusters_draw(plot_db *db, const struct plot_run *r, enum plot_format fmt, const char *path, bool scripts,
		       bool *drawn, struct herr *e);

/* Draws the clusters chart of run r into dir as clusters.png/.svg (with
 * its .gp when scripts) and prints its path on out. A file without the
 * tables, or a run with no cluster rows, draws nothing. Returns 0 or -1
 * with e set. */
int plot_clusters_all(plot_db *db, const struct plot_run *r, enum plot_format fmt, const char *dir, bool scripts,
		      FILE *out, struct herr *e);

#endif
