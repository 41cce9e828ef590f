/*
 * cron.h: cron schedules as KEDA's cron scaler reads them, a port of
 * robfig/cron v3 (parser.go, spec.go) with the parser KEDA builds:
 * cron.NewParser(Minute | Hour | Dom | Month | Dow), five fields, no
 * descriptors (@daily ...), an optional CRON_TZ= or TZ= prefix.
 *
 * A schedule is six bit sets (second, minute, hour, day of month, month,
 * day of week; the second is always 0); bit 63 of a field marks a '*' or
 * '?' in it, which decides how day of month and day of week combine: if
 * either has it, a day must match both; else either. Fields: minute 0-59,
 * hour 0-23, day of month 1-31, month 1-12 or jan-dec, day of week 0-6 or
 * sun-sat (7 is out of range); each a comma list of `*`, `?`, `N`, `N-M`,
 * each with an optional `/step` (`N/step` is N to the maximum).
 *
 * Times are Unix nanoseconds in, Unix seconds out, in the zone the caller
 * gives (sim/tz.h): the schedule's CRON_TZ if it has one, else the
 * trigger's timezone.
 */
#ifndef HEADROOM_CRON_H
#define HEADROOM_CRON_H

#include "common.h"
#include "tz.h"

#define CRON_STAR (UINT64_C(1) << 63)
#define CRON_NEVER INT64_MIN /* Next's zero time: nothing within five years */

struct cron {
	uint64_t second, minute, hour, dom, month, dow; /* bit sets, CRON_STAR as above */
	char tz[64];                                    /* the CRON_TZ= / TZ= prefix's zone, "" if none */
};

/*
 * Parser.Parse: reads spec into *c. Returns 0, or -1 with why (why_n bytes)
 * holding robfig/cron's message (e.g. "expected exactly 5 fields, found 4:
 * [0 8 * *]", "end of range (60) above maximum (59): 0-60") and *at the
 * byte offset in spec of the part it is about.
 */
int cron_parse(struct cron *c, const char *spec, char *why, size_t why_n, size_t *at);

/*
 * SpecSchedule.Next: the first time the schedule fires strictly after t
 * (Unix ns), as Unix seconds, searching in zone z; CRON_NEVER when none is
 * found within five years (Go's zero time). robfig's walk is kept as it is,
 * with its behaviour at daylight saving changes: a time skipped by the
 * change does not fire that day; a time repeated by it fires twice.
 */
int64_t cron_next(const struct cron *c, const struct tz *z, int64_t t_ns);

#endif
