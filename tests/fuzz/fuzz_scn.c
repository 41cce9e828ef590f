/*
 * libFuzzer target: the scenario loader on arbitrary bytes. Any input must
 * either load (and then free cleanly) or fail with a message; never crash,
 * leak or read out of bounds (the target is built with ASan and UBSan).
 * Files a scenario names resolve under a folder that does not exist.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	struct scenario sc;
	struct herr e;
	if (scn_parse(&sc, "/nonexistent-fuzz/s.yaml", (const char *)data, size, &e) == 0)
		scn_free(&sc);
	else if (!e.msg[0])
		__builtin_trap(); /* a failure must say why */
	return 0;
}
