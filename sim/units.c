/*
 * units.c: Kubernetes-style quantities (see units.h).
 *
 * Numbers are read with strtod on a copy that must be consumed exactly up to
 * the suffix, so "1e3" is a number but "1e3x" is not; "inf" and "nan" are
 * refused by checking the result is finite and the text starts with a digit,
 * a sign or a point.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

#define WHY(...) (snprintf(why, UNITS_WHY, __VA_ARGS__), -1)

/* Reads a leading decimal number of s; *end is set past it. 0 on success. */
static int lead_number(const char *s, double *v, const char **end)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
		return -1;
	char *e;
	errno = 0;
	*v = strtod(s, &e);
	if (e == s || errno == ERANGE || !isfinite(*v))
		return -1;
	/* strtod reads hex floats ("0x10"): not a Kubernetes quantity. */
	if (memchr(s, 'x', (size_t)(e - s)) || memchr(s, 'X', (size_t)(e - s)))
		return -1;
	*end = e;
	return 0;
}

int units_number(const char *s, double *out, char why[UNITS_WHY])
{
	const char *e;
	if (lead_number(s, out, &e) || *e)
		return WHY("'%s' is not a number", s);
	return 0;
}

int units_integer(const char *s, int64_t *out, char why[UNITS_WHY])
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (!*p)
		return WHY("'%s' is not an integer", s);
	for (const char *q = p; *q; q++)
		if (!isdigit((unsigned char)*q))
			return WHY("'%s' is not an integer", s);
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	if (errno == ERANGE)
		return WHY("'%s' is too large", s);
	*out = v;
	return 0;
}

/* Go's duration units, longest first so "ms" wins over "m". */
static const struct {
	const char *name;
	simtime ns;
} dur_units[] = {
	{"ns", SIM_NS}, {"us", SIM_US}, {"\xc2\xb5s", SIM_US}, {"ms", SIM_MS}, {"s", SIM_S},
	{"m", SIM_MIN}, {"h", SIM_HOUR}, {"d", 24 * SIM_HOUR},
};

int units_duration(const char *s, simtime *out, char why[UNITS_WHY])
{
	const char *p = s;
	if (!strcmp(s, "0")) {
		*out = 0;
		return 0;
	}
	if (*p == '-')
		return WHY("'%s' is negative: a duration is >= 0", s);
	if (*p == '+')
		p++;
	if (!*p)
		return WHY("empty duration");
	long double total = 0;
	while (*p) {
		const char *e;
		double v;
		if (lead_number(p, &v, &e) || *p == '+' || *p == '-')
			goto bad;
		/* Exponents would make "1e3s" a duration; Go refuses them too. */
		for (const char *q = p; q < e; q++)
			if (*q == 'e' || *q == 'E')
				goto bad;
		size_t best = 0;
		simtime unit = 0;
		for (size_t i = 0; i < sizeof dur_units / sizeof dur_units[0]; i++) {
			size_t n = strlen(dur_units[i].name);
			if (n > best && !strncmp(e, dur_units[i].name, n)) {
				best = n;
				unit = dur_units[i].ns;
			}
		}
		if (!best) {
			if (!*e && p == s)
				return WHY("'%s' needs a unit: 30 seconds is 30s (units: ns, us, ms, s, m, h, d)", s);
			goto bad;
		}
		total += (long double)v * unit;
		p = e + best;
	}
	if (total > (long double)INT64_MAX / 2)
		return WHY("'%s' is too long a duration", s);
	*out = (simtime)llroundl(total);
	return 0;
bad:
	return WHY("'%s' is not a duration: use ns, us, ms, s, m, h or d, e.g. 250ms, 30s, 1h30m", s);
}

int units_cpu(const char *s, double *out, char why[UNITS_WHY])
{
	const char *e;
	double v;
	if (lead_number(s, &v, &e))
		return WHY("'%s' is not a CPU quantity: cores (2, 0.5) or millicores (500m)", s);
	if (!strcmp(e, "m"))
		v /= 1000;
	else if (*e)
		return WHY("'%s' is not a CPU quantity: cores (2, 0.5) or millicores (500m)", s);
	if (v < 0)
		return WHY("'%s' is negative", s);
	*out = v;
	return 0;
}

int units_memory(const char *s, double *out, char why[UNITS_WHY])
{
	static const struct {
		const char *sfx;
		double mul;
	} sfx[] = {
		{"Ki", 0x1p10}, {"Mi", 0x1p20}, {"Gi", 0x1p30}, {"Ti", 0x1p40}, {"Pi", 0x1p50}, {"Ei", 0x1p60},
		{"k", 1e3},     {"M", 1e6},     {"G", 1e9},     {"T", 1e12},    {"P", 1e15},    {"E", 1e18},
		{"m", 1e-3},    {"", 1},
	};
	const char *e;
	double v;
	if (lead_number(s, &v, &e))
		goto bad;
	for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		if (!strcmp(e, sfx[i].sfx)) {
			if (v < 0)
				return WHY("'%s' is negative", s);
			*out = v * sfx[i].mul;
			return 0;
		}
	}
bad:
	return WHY("'%s' is not a memory quantity: bytes with Ki, Mi, Gi, Ti (binary) or k, M, G, T, e.g. 512Mi, 1Gi",
		   s);
}

int units_rate(const char *s, double *out, char why[UNITS_WHY])
{
	const char *e;
	double v;
	if (lead_number(s, &v, &e))
		goto bad;
	if (!*e || !strcmp(e, "rps") || !strcmp(e, "/s"))
		;
	else if (!strcmp(e, "rpm") || !strcmp(e, "/m") || !strcmp(e, "/min"))
		v /= 60;
	else if (!strcmp(e, "rph") || !strcmp(e, "/h"))
		v /= 3600;
	else
		goto bad;
	if (v < 0)
		return WHY("'%s' is negative", s);
	*out = v;
	return 0;
bad:
	return WHY("'%s' is not a rate: requests per second (300rps, 300/s) or per minute (18000rpm)", s);
}

int units_fraction(const char *s, double *out, char why[UNITS_WHY])
{
	const char *e;
	double v;
	if (lead_number(s, &v, &e))
		goto bad;
	if (!strcmp(e, "%"))
		v /= 100;
	else if (*e)
		goto bad;
	*out = v;
	return 0;
bad:
	return WHY("'%s' is not a fraction: a percentage (60%%, 0.1%%) or a number (0.6)", s);
}

int units_clock(const char *s, double *out, char why[UNITS_WHY])
{
	int h, m, sec = 0, n = 0;
	if (strlen(s) == 5 && sscanf(s, "%2d:%2d%n", &h, &m, &n) == 2 && n == 5)
		;
	else if (strlen(s) == 8 && sscanf(s, "%2d:%2d:%2d%n", &h, &m, &sec, &n) == 3 && n == 8)
		;
	else
		return WHY("'%s' is not a time of day: use HH:MM or HH:MM:SS, e.g. \"14:00\"", s);
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[3]) || h > 23 || m > 59 || sec > 59 || h < 0 ||
	    m < 0 || sec < 0)
		return WHY("'%s' is not a time of day: hours 00-23, minutes and seconds 00-59", s);
	*out = h * 3600.0 + m * 60.0 + sec;
	return 0;
}
