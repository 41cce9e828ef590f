/*
 * trace.h: reading a traffic trace, a CSV of `timestamp,rps` as exported from
 * Prometheus or Grafana.
 *
 * Accepted: an optional header row (any first row whose first field is not a
 * timestamp, e.g. `"Time","Value"` or `timestamp,rps`); fields optionally in
 * double quotes; separator `,` (or `;`, or a tab, fixed by the first data
 * row); timestamps as Unix seconds (with fraction), Unix milliseconds (values
 * above 1e11), or `YYYY-MM-DD HH:MM:SS` / `YYYY-MM-DDTHH:MM:SS[.fff][Z]` in
 * UTC; rps as a non-negative decimal number. Rows must be in strictly
 * increasing time order. Blank lines and lines starting with `#` are skipped.
 * Times are returned relative to the first row (t[0] = 0).
 */
#ifndef HEADROOM_TRACE_H
#define HEADROOM_TRACE_H

#include "scn.h"

/* Reads the CSV at path into *out (caller frees with trace_free). Returns 0,
 * or -1 with e->msg "path:line:col: what is wrong" (or "path: ..." when the
 * file cannot be opened or is empty). */
int trace_load(struct trace *out, const char *path, struct herr *e);
/* Parses CSV text already in memory; `name` is used in messages. */
int trace_parse(struct trace *out, const char *name, const char *text, size_t len, struct herr *e);
void trace_free(struct trace *t);

#endif
