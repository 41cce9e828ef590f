/*
 * trace_impl.h: the trace readers' shared insides (sim/trace.c reads CSV
 * and shapes the rows; sim/trace_prom.c reads Prometheus JSON). Not for use
 * outside them.
 *
 * A reader fills a table: one column per series, each a list of points in
 * strictly increasing time, a value of NAN marking a gap written in the
 * file, every point with the line and column it came from.
 */
#ifndef HEADROOM_TRACE_IMPL_H
#define HEADROOM_TRACE_IMPL_H

#include "trace.h"

#define TRACE_MAX_SERIES 10000  /* columns or series in one file */
#define TRACE_MAX_ROWS 20000000 /* rows of a trace, those filled in gaps included */

struct tcol {
	char *name;       /* the series' name (owned): a CSV header, or {k="v", ...} */
	int64_t *t;       /* ns since the epoch, strictly increasing */
	double *v;        /* >= 0, or NAN for a gap written in the file */
	int *line, *pos;  /* where each point's value is, 1-based */
	size_t n, cap;
};

struct ttable {
	const char *name; /* the file, for messages */
	struct herr *e;
	struct tcol *col; /* owned */
	size_t n_col, cap_col;
};

/* The column named `name` (n bytes), added when new. */
struct tcol *tt_col(struct ttable *tb, const char *name, size_t n);
void tt_add(struct tcol *c, int64_t t, double v, int line, int pos);
void tt_free(struct ttable *tb);

/* A time field (s, n bytes) in ns since the epoch; 0, or -1 when it is not
 * a time (*why says what was expected). */
int tt_time(const char *s, size_t n, const struct tz *zone, int64_t *ns, const char **why);
/* A value field: 0 with *v >= 0, 1 when it marks a gap (empty, null, NaN),
 * or -1 with *why set. */
int tt_value(const char *s, size_t n, double *v, const char **why);

/* sim/trace_prom.c: a query_range answer into tb. 0, or -1 with tb->e set. */
int prom_read(struct ttable *tb, const char *text, size_t len);

#endif
