/*
 * units.h: Kubernetes-style quantities in scenario files.
 *
 * Each parser takes the whole text of one YAML scalar and either fills *out
 * and returns 0, or returns -1 and writes into why[] (a short phrase, e.g.
 * "'20parsecs' is not a duration: use ns, us, ms, s, m or h, e.g. 250ms") for
 * the caller to prefix with its file:line:col. No parser accepts trailing
 * garbage, NaN or infinity; range checks are the caller's (they depend on
 * the field).
 *
 *   durations  Go's time.ParseDuration, as Kubernetes writes them: 250ms,
 *              30s, 5m, 1h30m, 1.5h, 100us, 0 (a bare number other than 0 is
 *              refused: 30 seconds or 30 minutes?); also d for days.
 *   cpu        resource.Quantity in cores: 500m, 0.5, 2, 1.5k is refused.
 *   memory     resource.Quantity in bytes: 512Mi, 1Gi, 1G, 1e9, 128974848,
 *              binary (Ki Mi Gi Ti Pi Ei) and decimal (k M G T P E) suffixes.
 *   rate       requests per second: 300rps, 300/s, 18000rpm, 18000/m, 300.
 *   fraction   140% (1.4), or a plain number taken as the fraction itself
 *              (0.6); the % form is the one to prefer in docs.
 *   integer    a decimal integer, no fraction, no unit.
 *   clock      a time of day HH:MM or HH:MM:SS, in seconds after midnight.
 */
#ifndef HEADROOM_UNITS_H
#define HEADROOM_UNITS_H

#include "common.h"

#define UNITS_WHY 160

int units_duration(const char *s, simtime *out, char why[UNITS_WHY]);
int units_cpu(const char *s, double *out, char why[UNITS_WHY]);
int units_memory(const char *s, double *out, char why[UNITS_WHY]);
int units_rate(const char *s, double *out, char why[UNITS_WHY]);
int units_fraction(const char *s, double *out, char why[UNITS_WHY]);
int units_number(const char *s, double *out, char why[UNITS_WHY]);
int units_integer(const char *s, int64_t *out, char why[UNITS_WHY]);
int units_clock(const char *s, double *out, char why[UNITS_WHY]);

#endif
