/*
 * trace_prom.c: a Prometheus HTTP API answer to /api/v1/query_range, saved
 * as JSON (`curl .../api/v1/query_range?query=...&start=...&end=...&step=60`),
 * read as a trace.
 *
 * The format (prometheus/prometheus web/api/v1/api.go, docs/querying/api.md):
 *   {"status": "success",
 *    "data": {"resultType": "matrix",
 *             "result": [{"metric": {"pod": "web-1", ...},
 *                         "values": [[1700000000, "5.5"], ...]}, ...]}}
 * A time is a JSON number of Unix seconds; a value is a string, which may be
 * "NaN" (a gap) or "+Inf"/"-Inf" (refused). A series is named by its labels
 * as Prometheus prints them, `name{k="v", ...}`, so `series` can choose
 * some by label. JSON is YAML, so libfyaml reads it into a ytree and every
 * error names the value's line and column.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_impl.h"
#include "ytree.h"

#define NOT_RESULT "not a Prometheus query_range result"

static const struct ynode *want(struct ttable *tb, const struct ynode *m, const char *k, enum ykind kind,
				 const char *what)
{
	const struct ynode *v = yt_get(m, k);
	if (!v) {
		yt_err(tb->e, m, NOT_RESULT ": no \"%s\" here (%s)", k, what);
		return NULL;
	}
	if (v->kind != kind) {
		yt_err(tb->e, v, NOT_RESULT ": \"%s\" should be %s", k, what);
		return NULL;
	}
	return v;
}

/* name{k="v", ...}, as Prometheus prints a series (labels in file order). */
static char *series_name(const struct ynode *metric)
{
	size_t len = 3;
	for (size_t i = 0; i < metric->n; i++)
		len += strlen(yt_key(metric, i)->s) + strlen(yt_val(metric, i)->s) + 6;
	char *s = xmalloc(len), *w = s;
	const struct ynode *name = yt_get(metric, "__name__");
	w += sprintf(w, "%s{", name && name->kind == Y_SCALAR ? name->s : "");
	bool first = true;
	for (size_t i = 0; i < metric->n; i++) {
		const char *k = yt_key(metric, i)->s;
		if (!strcmp(k, "__name__") || yt_val(metric, i)->kind != Y_SCALAR)
			continue;
		w += sprintf(w, "%s%s=\"%s\"", first ? "" : ", ", k, yt_val(metric, i)->s);
		first = false;
	}
	sprintf(w, "}");
	return s;
}

static int one_point(struct ttable *tb, struct tcol *c, const struct ynode *pt)
{
	if (pt->kind != Y_SEQ || pt->n != 2 || pt->kid[0]->kind != Y_SCALAR || pt->kid[1]->kind != Y_SCALAR)
		return yt_err(tb->e, pt, NOT_RESULT ": a point is [time, \"value\"]");
	const struct ynode *ts = pt->kid[0], *vs = pt->kid[1];
	const char *why;
	int64_t ns;
	double v;
	if (tt_time(ts->s, strlen(ts->s), NULL, &ns, &why))
		return yt_err(tb->e, ts, "bad time \"%.40s\": %s", ts->s, why);
	int rc = tt_value(vs->s, strlen(vs->s), &v, &why);
	if (rc < 0)
		return yt_err(tb->e, vs, "bad value \"%.40s\": %s", vs->s, why);
	if (c->n && ns <= c->t[c->n - 1])
		return yt_err(tb->e, ts, "time %.40s is not after the time on line %d", ts->s, c->line[c->n - 1]);
	tt_add(c, ns, rc ? NAN : v, vs->line, vs->col);
	return 0;
}

static int one_series(struct ttable *tb, const struct ynode *s)
{
	if (s->kind != Y_MAP)
		return yt_err(tb->e, s, NOT_RESULT ": a series is {\"metric\": {...}, \"values\": [...]}");
	const struct ynode *metric = want(tb, s, "metric", Y_MAP, "a mapping of labels");
	const struct ynode *values = metric ? yt_get(s, "values") : NULL;
	if (!metric)
		return -1;
	if (!values && yt_get(s, "value"))
		return yt_err(tb->e, yt_get(s, "value"),
			      NOT_RESULT ": one \"value\" is an instant query's; save /api/v1/query_range");
	if (!(values = want(tb, s, "values", Y_SEQ, "a list of [time, \"value\"]")))
		return -1;
	for (size_t i = 0; i < metric->n; i++) /* series_name reads them as text */
		if (yt_key(metric, i)->kind != Y_SCALAR || yt_val(metric, i)->kind != Y_SCALAR)
			return yt_err(tb->e, yt_val(metric, i), NOT_RESULT ": label \"%.40s\" should be a string",
				      yt_key(metric, i)->kind == Y_SCALAR ? yt_key(metric, i)->s : "?");
	char *name = series_name(metric);
	struct tcol *c = tt_col(tb, name, strlen(name));
	free(name);
	if (!c)
		return yt_err(tb->e, s, "more than %d series in one file", TRACE_MAX_SERIES);
	if (c->n)
		return yt_err(tb->e, metric, "a second series with the same labels");
	for (size_t i = 0; i < values->n; i++)
		if (one_point(tb, c, values->kid[i]))
			return -1;
	return 0;
}

static int read_result(struct ttable *tb, const struct ynode *root)
{
	if (root->kind != Y_MAP)
		return yt_err(tb->e, root, NOT_RESULT " (an object with \"status\" and \"data\")");
	const struct ynode *status = want(tb, root, "status", Y_SCALAR, "\"success\"");
	if (!status)
		return -1;
	if (strcmp(status->s, "success")) {
		const struct ynode *err = yt_get(root, "error");
		return yt_err(tb->e, status, "the query failed (status \"%.40s\"): %.200s", status->s,
			      err && err->kind == Y_SCALAR ? err->s : "no error given");
	}
	const struct ynode *data = want(tb, root, "data", Y_MAP, "an object");
	const struct ynode *type = data ? want(tb, data, "resultType", Y_SCALAR, "\"matrix\"") : NULL;
	if (!type)
		return -1;
	if (strcmp(type->s, "matrix"))
		return yt_err(tb->e, type,
			      "resultType \"%.40s\": a trace is a range query's \"matrix\" (save /api/v1/query_range)",
			      type->s);
	const struct ynode *result = want(tb, data, "result", Y_SEQ, "a list of series");
	if (!result)
		return -1;
	if (!result->n)
		return yt_err(tb->e, result, "the query returned no series");
	for (size_t i = 0; i < result->n; i++)
		if (one_series(tb, result->kid[i]))
			return -1;
	return 0;
}

int prom_read(struct ttable *tb, const char *text, size_t len)
{
	struct ytree t = {0};
	if (yt_parse(&t, tb->name, 1, text, len, tb->e))
		return -1;
	int rc = t.root ? read_result(tb, t.root) : herr_at(tb->e, tb->name, 0, 0, "empty");
	yt_free(&t);
	return rc;
}
