/*
 * libFuzzer target: the traffic trace readers (CSV, wide and long, and
 * Prometheus query_range JSON) on arbitrary bytes, read as points and as
 * intervals with gaps filled. A trace that loads must be usable: times
 * start at 0 and increase, rates are finite and >= 0, the end is not
 * before the last row; and a window cut from it keeps that.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct trace *t)
{
	if (t->n < 1 || t->t[0] != 0 || t->end < t->t[t->n - 1])
		__builtin_trap();
	for (size_t i = 0; i < t->n; i++)
		if (!isfinite(t->rps[i]) || t->rps[i] < 0 || (i && !(t->t[i] > t->t[i - 1])))
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct trace_opts opts[] = {
		{.reading = TRACE_POINT},
		{.reading = TRACE_INTERVAL_END, .gaps = TRACE_GAPS_INTERPOLATE},
		{.reading = TRACE_INTERVAL_START, .values = TRACE_COUNT, .gaps = TRACE_GAPS_HOLD, .series = "pod=\"a\""},
	};
	for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
		struct trace t;
		struct herr e;
		char why[200];
		if (trace_read(&t, "fuzz", (const char *)data, size, &opts[k], &e))
			continue;
		check(&t);
		if (!trace_window(&t, t.epoch + t.end / 3, t.epoch + t.end, why, sizeof why))
			check(&t);
		trace_free(&t);
	}
	return 0;
}
