/*
 * KEDA's cron schedules (sim/cron.h: robfig/cron v3 as KEDA configures
 * it) and the time zones they are read in (sim/tz.h: TZif files with Go's
 * rules). Expected times are worked out by hand from the calendar and the
 * EU and Australian summer-time rules (the last Sunday of March and of
 * October at 01:00 UTC; the first Sunday of October and of April), written
 * as Unix seconds with the UTC time they are.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cron.h"
#include "tz.h"

static struct tz zone(const char *name)
{
	struct tz z;
	struct herr e;
	cr_assert_eq(tz_load(&z, NULL, name, &e), 0, "%s", e.msg);
	return z;
}

static struct cron parse(const char *spec)
{
	struct cron c;
	char why[256];
	size_t at;
	cr_assert_eq(cron_parse(&c, spec, why, sizeof why, &at), 0, "%s: %s", spec, why);
	return c;
}

static void parse_fails(const char *spec, const char *want, size_t want_at)
{
	struct cron c;
	char why[256];
	size_t at = 99;
	cr_assert_eq(cron_parse(&c, spec, why, sizeof why, &at), -1, "%s parsed", spec);
	cr_assert_str_eq(why, want, "%s", spec);
	cr_assert_eq(at, want_at, "%s: at %zu, want %zu", spec, at, want_at);
}

static uint64_t set(const int *v, size_t n)
{
	uint64_t b = 0;
	for (size_t i = 0; i < n; i++)
		b |= UINT64_C(1) << v[i];
	return b;
}
#define SET(...) set((const int[]){__VA_ARGS__}, ARRAY_LEN(((const int[]){__VA_ARGS__})))

/* ---------- parsing (robfig/cron parser.go) ---------- */

Test(cron, ranges_steps_lists_and_names)
{
	struct cron c = parse("*/15 9-17 1,15 jan-MAR mon-fri");
	cr_assert_eq(c.minute, SET(0, 15, 30, 45)); /* a step > 1 drops the star */
	cr_assert_eq(c.hour, SET(9, 10, 11, 12, 13, 14, 15, 16, 17));
	cr_assert_eq(c.dom, SET(1, 15));
	cr_assert_eq(c.month, SET(1, 2, 3));
	cr_assert_eq(c.dow, SET(1, 2, 3, 4, 5));
	cr_assert_eq(c.second, 1);
	c = parse("5/20 0-23/6 * ? *");
	cr_assert_eq(c.minute, SET(5, 25, 45)); /* N/step is N to the maximum */
	cr_assert_eq(c.hour, SET(0, 6, 12, 18));
	cr_assert_eq(c.dom, (UINT64_C(0xFFFFFFFF) << 1 & UINT64_C(0xFFFFFFFE)) | CRON_STAR);
	cr_assert(c.month & CRON_STAR); /* ? is * */
	c = parse("  0\t8 ,1,,2, */1 +3 "); /* blanks around fields, empty list items, a signed number */
	cr_assert_eq(c.dom, SET(1, 2));
	cr_assert(c.month & CRON_STAR);     /* a step of 1 keeps the star */
	cr_assert_eq(c.dow, SET(3));
	c = parse("CRON_TZ=Asia/Tokyo 0 9 * * *");
	cr_assert_str_eq(c.tz, "Asia/Tokyo");
	cr_assert_eq(c.hour, SET(9));
}

Test(cron, errors_as_robfig_words_them)
{
	parse_fails("", "empty spec string", 0);
	parse_fails("0 8 * *", "expected exactly 5 fields, found 4: [0 8 * *]", 0);
	parse_fails("0 0 8 * * *", "expected exactly 5 fields, found 6: [0 0 8 * * *]", 0);
	parse_fails("@daily", "parser does not accept descriptors: @daily", 0);
	parse_fails("60 * * * *", "end of range (60) above maximum (59): 60", 0);
	parse_fails("0 8 * * 7", "end of range (7) above maximum (6): 7", 8); /* Sunday is 0 only */
	parse_fails("0 8 0 * *", "beginning of range (0) below minimum (1): 0", 4);
	parse_fails("0 17-9 * * *", "beginning of range (17) beyond end of range (9): 17-9", 2);
	parse_fails("*/0 * * * *", "step of range should be a positive number: */0", 0);
	parse_fails("1-2-3 * * * *", "too many hyphens: 1-2-3", 0);
	parse_fails("1/2/3 * * * *", "too many slashes: 1/2/3", 0);
	parse_fails("0 8 * * mon-fry",
		    "failed to parse int from fry: strconv.Atoi: parsing \"fry\": invalid syntax", 12);
	parse_fails("0 -8 * * *", "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax", 2);
	parse_fails("CRON_TZ=UTC", "a CRON_TZ= prefix must be followed by a space and the schedule", 0);
}

/* ---------- time zones (Go's zoneinfo) ---------- */

Test(tz, berlin_across_both_changes)
{
	struct tz z = zone("Europe/Berlin");
	int64_t start, end;
	bool dst;
	/* 2025-03-30 00:59:59 UTC is CET (+1), 01:00:00 CEST (+2) until 2025-10-26 01:00 UTC. */
	cr_assert_eq(tz_lookup(&z, 1743296399, NULL, NULL, &dst), 3600);
	cr_assert(!dst);
	cr_assert_eq(tz_lookup(&z, 1743296400, &start, &end, &dst), 7200);
	cr_assert(dst);
	cr_assert_eq(start, 1743296400);
	cr_assert_eq(end, 1761440400);
	/* 02:30 on 30 March does not exist: Go's Date makes it 03:30 CEST (01:30 UTC). */
	cr_assert_eq(tz_date(&z, 2025, 3, 30, 2, 30, 0), 1743298200);
	/* 02:30 on 26 October exists twice: Go's Date takes the second, 02:30 CET (01:30 UTC). */
	cr_assert_eq(tz_date(&z, 2025, 10, 26, 2, 30, 0), 1761442200);
	/* Normalised fields: 32 March 2025 08:00 is 1 April, CEST: 06:00 UTC. */
	cr_assert_eq(tz_date(&z, 2025, 3, 32, 8, 0, 0), 1743314400 + 2 * 86400);
	struct tz_civil f;
	tz_fields(&z, 1743296400, &f); /* 03:00 CEST on Sunday 30 March */
	cr_assert(f.year == 2025 && f.month == 3 && f.day == 30 && f.hour == 3 && f.min == 0 && f.wday == 0);
	/* Past the file's transitions, the footer CET-1CEST,M3.5.0,M10.5.0/3 rules:
	 * 2100-07-01 12:00 UTC is summer time, 2100-01-15 winter. */
	cr_assert_eq(tz_lookup(&z, 4118126400, NULL, NULL, NULL), 7200);
	cr_assert_eq(tz_lookup(&z, 4103654400, NULL, NULL, NULL), 3600);
	tz_release(&z);
}

Test(tz, southern_hemisphere_footer)
{
	struct tz z = zone("Australia/Sydney");
	cr_assert_eq(tz_lookup(&z, 4103654400, NULL, NULL, NULL), 11 * 3600); /* January 2100: AEDT */
	cr_assert_eq(tz_lookup(&z, 4118126400, NULL, NULL, NULL), 10 * 3600); /* July 2100: AEST */
	tz_release(&z);
}

/* A slim TZif file (version 2, no transitions, only the footer) built here:
 * every lookup goes through the TZ string, as after a fat file's last
 * transition. */
Test(tz, footer_only_file)
{
	static const char foot[] = "\nCET-1CEST,M3.5.0,M10.5.0/3\n";
	unsigned char buf[256];
	size_t n = 0;
	for (int part = 0; part < 2; part++) {
		memcpy(buf + n, "TZif2", 5);
		memset(buf + n + 5, 0, 15);
		n += 20;
		const uint32_t counts[6] = {0, 0, 0, 0, 1, 4}; /* isut, isstd, leap, time, type, char */
		for (int i = 0; i < 6; i++) {
			buf[n++] = 0;
			buf[n++] = 0;
			buf[n++] = 0;
			buf[n++] = (unsigned char)counts[i];
		}
		const unsigned char ttinfo[6] = {0, 0, 0x0e, 0x10, 0, 0}; /* +3600, standard, name at 0 */
		memcpy(buf + n, ttinfo, 6);
		memcpy(buf + n + 6, "CET", 4);
		n += 10;
	}
	memcpy(buf + n, foot, strlen(foot));
	n += strlen(foot);
	struct tz z;
	struct herr e;
	cr_assert_eq(tz_parse(&z, "slim", buf, n, &e), 0, "%s", e.msg);
	cr_assert(z.has_extend);
	cr_assert_eq(tz_lookup(&z, 1743296399, NULL, NULL, NULL), 3600);
	cr_assert_eq(tz_lookup(&z, 1743296400, NULL, NULL, NULL), 7200);
	cr_assert_eq(tz_lookup(&z, 1761440399, NULL, NULL, NULL), 7200);
	cr_assert_eq(tz_lookup(&z, 1761440400, NULL, NULL, NULL), 3600);
	tz_release(&z);
	cr_assert_eq(tz_parse(&z, "junk", (const unsigned char *)"TZif2", 5, &e), -1);
}

Test(tz, names)
{
	struct tz z;
	struct herr e;
	cr_assert_eq(tz_load(&z, NULL, "UTC", &e), 0);
	cr_assert_eq(tz_lookup(&z, 1743296400, NULL, NULL, NULL), 0);
	cr_assert_eq(tz_load(&z, NULL, "Europe/Berln", &e), -1);
	cr_assert(strstr(e.msg, "unknown time zone Europe/Berln"), "%s", e.msg);
	cr_assert_eq(tz_load(&z, NULL, "Local", &e), -1);
	cr_assert_eq(tz_load(&z, NULL, "../etc/passwd", &e), -1);
	cr_assert_eq(tz_load(&z, NULL, "/etc/passwd", &e), -1);
}

/* ---------- Next (robfig/cron spec.go) ---------- */

#define S (1000000000LL)

Test(cron, next_in_utc_and_the_day_rules)
{
	struct tz utc;
	tz_utc(&utc);
	int64_t jun1 = 1748736000; /* Sunday 2025-06-01 00:00 UTC */
	/* Neither day field has a star: the 13th OR a Friday. */
	struct cron c = parse("0 0 13 * 5");
	cr_assert_eq(cron_next(&c, &utc, jun1 * S), 1749168000);       /* Friday 6 June */
	cr_assert_eq(cron_next(&c, &utc, 1749168000 * S), 1749772800); /* Friday 13 June */
	/* 1-31 is no star: every day matches the day of month, so every day. */
	c = parse("0 0 1-31 * 5");
	cr_assert_eq(cron_next(&c, &utc, jun1 * S), 1748822400); /* Monday 2 June */
	/* A star (even a step of 1) in one field: both must match: Fridays only. */
	c = parse("0 0 */1 * 5");
	cr_assert_eq(cron_next(&c, &utc, jun1 * S), 1749168000);
	/* Strictly after t: at 00:00:00.000 the same minute is next day's; a
	 * nanosecond before, it is this one. */
	c = parse("0 0 * * *");
	cr_assert_eq(cron_next(&c, &utc, jun1 * S), jun1 + 86400);
	cr_assert_eq(cron_next(&c, &utc, jun1 * S - 1), jun1);
	/* Feb 29 comes within five years; Feb 30 never: the zero time. */
	c = parse("0 0 29 2 *");
	cr_assert_eq(cron_next(&c, &utc, 1740787200LL * S), 1835395200); /* 2028-02-29 */
	c = parse("0 0 30 2 *");
	cr_assert_eq(cron_next(&c, &utc, 1740787200LL * S), CRON_NEVER);
}

Test(cron, next_across_summer_time_in_berlin)
{
	struct tz z = zone("Europe/Berlin");
	struct cron c = parse("0 8 * * *");
	int64_t sat_noon = 1743249600; /* Saturday 2025-03-29 12:00 UTC (13:00 CET) */
	/* Sunday 08:00 is CEST: 06:00 UTC, 23 hours after Saturday's 07:00 UTC. */
	cr_assert_eq(cron_next(&c, &z, sat_noon * S), 1743314400);
	/* 02:30 does not exist on 30 March: the next 02:30 is on the 31st (00:30 UTC). */
	c = parse("30 2 * * *");
	cr_assert_eq(cron_next(&c, &z, sat_noon * S), 1743381000);
	/* 02:30 exists twice on 26 October: robfig fires at both, 00:30 and 01:30 UTC. */
	int64_t oct26 = 1761436800; /* 02:00 CEST */
	cr_assert_eq(cron_next(&c, &z, oct26 * S), 1761438600);
	cr_assert_eq(cron_next(&c, &z, 1761438600 * S), 1761442200);
	cr_assert_eq(cron_next(&c, &z, 1761442200 * S), 1761528600); /* then 27 October, CET */
	tz_release(&z);
}
