/*
 * libFuzzer target: the traffic trace CSV reader on arbitrary bytes. A
 * trace that loads must be usable: times start at 0 and increase, rates are
 * finite and >= 0.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace t;
	struct herr e;
	if (trace_parse(&t, "fuzz.csv", (const char *)data, size, &e))
		return 0;
	if (t.n < 1 || t.t[0] != 0)
		__builtin_trap();
	for (size_t i = 0; i < t.n; i++)
		if (!isfinite(t.rps[i]) || t.rps[i] < 0 || (i && !(t.t[i] > t.t[i - 1])))
			__builtin_trap();
	trace_free(&t);
	return 0;
}
