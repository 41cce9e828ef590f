/*
 * cron.c: robfig/cron v3's parser and SpecSchedule.Next (see cron.h), with
 * Go's time arithmetic from sim/tz.h. Function comments name the Go
 * function each one follows.
 */
#include "cron.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct bounds {
	unsigned min, max;
	const char *const *names; /* names[i] is value min + i... as robfig's maps: NULL if none */
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
					  "jul", "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

static const struct bounds B_MINUTE = {0, 59, NULL}, B_HOUR = {0, 23, NULL}, B_DOM = {1, 31, NULL},
			   B_MONTH = {1, 12, month_names}, B_DOW = {0, 6, dow_names};

struct perr {
	char *why;
	size_t n;
	size_t *at;
};

__attribute__((format(printf, 3, 4))) static int fail(struct perr *p, size_t at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->why, p->n, fmt, ap);
	va_end(ap);
	*p->at = at;
	return -1;
}

/* mustParseInt: strconv.Atoi (an optional sign, decimal digits), then >= 0. */
static int parse_int(struct perr *p, const char *s, size_t len, size_t at, unsigned *out)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%.*s", (int)HR_MIN(len, sizeof buf - 1), s);
	const char *d = buf + (buf[0] == '+' || buf[0] == '-');
	bool digits = *d != '\0';
	for (const char *q = d; *q; q++)
		digits &= isdigit((unsigned char)*q) != 0;
	errno = 0;
	long long v = digits && len < sizeof buf ? strtoll(buf, NULL, 10) : 0;
	if (!digits || len >= sizeof buf || errno == ERANGE)
		return fail(p, at, "failed to parse int from %s: strconv.Atoi: parsing \"%s\": %s", buf, buf,
			    digits ? "value out of range" : "invalid syntax");
	if (v < 0)
		return fail(p, at, "negative number (%lld) not allowed: %s", v, buf);
	*out = v > 1000000 ? 1000000 : (unsigned)v; /* anything past 63 fails the range checks anyway */
	return 0;
}

/* parseIntOrName: a name of the field (case-insensitive), else a number. */
static int int_or_name(struct perr *p, const char *s, size_t len, size_t at, const struct bounds *b, unsigned *out)
{
	for (size_t i = 0; b->names && b->names[i]; i++)
		if (strlen(b->names[i]) == len && !strncasecmp(s, b->names[i], len)) {
			*out = b->min + (unsigned)i;
			return 0;
		}
	return parse_int(p, s, len, at, out);
}

/* getBits: bits min..max, every step. */
static uint64_t bits(unsigned min, unsigned max, unsigned step)
{
	uint64_t v = 0;
	for (unsigned i = min; i <= max; i += step)
		v |= UINT64_C(1) << i;
	return v;
}

/* getRange: number | number "-" number [ "/" number ], or * / ?. */
static int get_range(struct perr *p, const char *e, size_t len, size_t at, const struct bounds *b, uint64_t *out)
{
	char ex[128];
	snprintf(ex, sizeof ex, "%.*s", (int)HR_MIN(len, sizeof ex - 1), e);
	const char *slash = memchr(e, '/', len);
	size_t rlen = slash ? (size_t)(slash - e) : len;
	const char *dash = memchr(e, '-', rlen);
	bool single = !dash;
	unsigned start, end, step = 1;
	uint64_t extra = 0;
	if ((dash ? (size_t)(dash - e) : rlen) == 1 && (e[0] == '*' || e[0] == '?')) {
		start = b->min;
		end = b->max;
		extra = CRON_STAR;
	} else {
		size_t l0 = dash ? (size_t)(dash - e) : rlen;
		if (int_or_name(p, e, l0, at, b, &start))
			return -1;
		end = start;
		if (dash) {
			size_t l1 = rlen - l0 - 1;
			if (memchr(dash + 1, '-', l1))
				return fail(p, at, "too many hyphens: %s", ex);
			if (int_or_name(p, dash + 1, l1, at + l0 + 1, b, &end))
				return -1;
		}
	}
	if (slash && memchr(slash + 1, '/', len - rlen - 1))
		return fail(p, at, "too many slashes: %s", ex);
	if (slash) {
		if (parse_int(p, slash + 1, len - rlen - 1, at + rlen + 1, &step))
			return -1;
		if (single)
			end = b->max;
		if (step > 1)
			extra = 0;
	}
	if (start < b->min)
		return fail(p, at, "beginning of range (%u) below minimum (%u): %s", start, b->min, ex);
	if (end > b->max)
		return fail(p, at, "end of range (%u) above maximum (%u): %s", end, b->max, ex);
	if (start > end)
		return fail(p, at, "beginning of range (%u) beyond end of range (%u): %s", start, end, ex);
	if (step == 0)
		return fail(p, at, "step of range should be a positive number: %s", ex);
	*out = bits(start, end, step) | extra;
	return 0;
}

/* getField: a comma list of ranges (empty items skipped, as FieldsFunc does). */
static int get_field(struct perr *p, const char *f, size_t len, size_t at, const struct bounds *b, uint64_t *out)
{
	*out = 0;
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && f[j] != ',')
			j++;
		uint64_t v = 0;
		if (j > i) {
			if (get_range(p, f + i, j - i, at + i, b, &v))
				return -1;
			*out |= v;
		}
		i = j + 1;
	}
	return 0;
}

static bool space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

int cron_parse(struct cron *c, const char *spec, char *why, size_t why_n, size_t *at)
{
	struct perr p = {why, why_n, at};
	memset(c, 0, sizeof *c);
	*at = 0;
	if (!*spec)
		return fail(&p, 0, "empty spec string");
	size_t off = 0;
	if (!strncmp(spec, "TZ=", 3) || !strncmp(spec, "CRON_TZ=", 8)) {
		const char *eq = strchr(spec, '='), *sp = strchr(spec, ' ');
		if (!sp) /* robfig slices to a missing space and panics */
			return fail(&p, 0, "a %.*s prefix must be followed by a space and the schedule",
				    (int)(eq - spec + 1), spec);
		size_t n = (size_t)(sp - eq - 1);
		if (n >= sizeof c->tz)
			return fail(&p, (size_t)(eq + 1 - spec), "provided bad location %.*s", (int)n, eq + 1);
		memcpy(c->tz, eq + 1, n);
		c->tz[n] = '\0';
		off = (size_t)(sp - spec);
	}
	while (space(spec[off]))
		off++;
	if (spec[off] == '@')
		return fail(&p, off, "parser does not accept descriptors: %s", spec + off);
	size_t fs[8], fl[8], n = 0;
	for (size_t i = off; spec[i];) {
		while (space(spec[i]))
			i++;
		if (!spec[i])
			break;
		size_t j = i;
		while (spec[j] && !space(spec[j]))
			j++;
		if (n < ARRAY_LEN(fs)) {
			fs[n] = i;
			fl[n] = j - i;
		}
		n++;
		i = j;
	}
	if (n != 5) {
		char list[256];
		size_t k = 0;
		for (size_t i = 0; i < n && i < ARRAY_LEN(fs); i++)
			k += (size_t)snprintf(list + k, sizeof list - k, "%s%.*s", i ? " " : "", (int)fl[i],
					      spec + fs[i]);
		return fail(&p, off, "expected exactly 5 fields, found %zu: [%s]", n, n ? list : "");
	}
	static const struct bounds *const b[] = {&B_MINUTE, &B_HOUR, &B_DOM, &B_MONTH, &B_DOW};
	uint64_t *dst[] = {&c->minute, &c->hour, &c->dom, &c->month, &c->dow};
	for (size_t i = 0; i < 5; i++)
		if (get_field(&p, spec + fs[i], fl[i], fs[i], b[i], dst[i]))
			return -1;
	c->second = 1; /* the seconds field's default, "0" */
	return 0;
}

/* ---------- Next ---------- */

static bool has(uint64_t set, int v)
{
	return (set >> v) & 1;
}

/* dayMatches: both restrictions when either field has a star, else either. */
static bool day_matches(const struct cron *c, const struct tz_civil *f)
{
	bool dom = has(c->dom, f->day), dow = has(c->dow, f->wday);
	if ((c->dom & CRON_STAR) || (c->dow & CRON_STAR))
		return dom && dow;
	return dom || dow;
}

/* Time.AddDate(0, months, days) */
static int64_t add_date(const struct tz *z, int64_t t, int months, int days)
{
	struct tz_civil f;
	tz_fields(z, t, &f);
	return tz_date(z, f.year, f.month + months, f.day + days, f.hour, f.min, f.sec);
}

static int64_t floor_to(int64_t t, int64_t unit)
{
	int64_t q = t / unit;
	return (t % unit != 0 && t < 0 ? q - 1 : q) * unit;
}

/*
 * SpecSchedule.Next, step for step: each field is advanced until it
 * matches, and a wrap past its end starts over from the month (WRAP), so
 * the fields before are checked again. The first advance truncates the
 * fields below it (`added`).
 */
int64_t cron_next(const struct cron *c, const struct tz *z, int64_t t_ns)
{
	int64_t t = floor_to(t_ns, SIM_S) / SIM_S + 1; /* the upcoming second */
	bool added = false;
	struct tz_civil f;
	tz_fields(z, t, &f);
	int64_t year_limit = f.year + 5;
wrap:
	tz_fields(z, t, &f);
	if (f.year > year_limit)
		return CRON_NEVER;
	while (!has(c->month, f.month)) {
		if (!added) {
			added = true;
			t = tz_date(z, f.year, f.month, 1, 0, 0, 0);
		}
		t = add_date(z, t, 1, 0);
		tz_fields(z, t, &f);
		if (f.month == 1)
			goto wrap;
	}
	while (!day_matches(c, &f)) {
		if (!added) {
			added = true;
			t = tz_date(z, f.year, f.month, f.day, 0, 0, 0);
		}
		t = add_date(z, t, 0, 1);
		tz_fields(z, t, &f);
		if (f.hour != 0) { /* midnight skipped or repeated by a DST change */
			t += f.hour > 12 ? (int64_t)(24 - f.hour) * 3600 : -(int64_t)f.hour * 3600;
			tz_fields(z, t, &f);
		}
		if (f.day == 1)
			goto wrap;
	}
	while (!has(c->hour, f.hour)) {
		if (!added) {
			added = true;
			t = tz_date(z, f.year, f.month, f.day, f.hour, 0, 0);
		}
		t += 3600;
		tz_fields(z, t, &f);
		if (f.hour == 0)
			goto wrap;
	}
	while (!has(c->minute, f.min)) {
		if (!added) {
			added = true;
			t = floor_to(t, 60);
		}
		t += 60;
		tz_fields(z, t, &f);
		if (f.min == 0)
			goto wrap;
	}
	while (!has(c->second, f.sec)) {
		if (!added)
			added = true; /* t is a whole second already */
		t += 1;
		tz_fields(z, t, &f);
		if (f.sec == 0)
			goto wrap;
	}
	return t;
}
