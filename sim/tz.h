/*
 * tz.h: IANA time zones read from the tz database's TZif files, with Go's
 * rules for local time, so that KEDA's cron schedules resolve as its
 * operator (a Go program) resolves them.
 *
 * Why not localtime(3) with setenv("TZ"): the time zone of a process is one
 * global that every thread shares, and a plan runs scenarios on several
 * threads, each of which may name another zone. So the zone is data: a
 * TZif file parsed here (version 1, or the 64-bit body of versions 2 to 4)
 * with its POSIX TZ footer for times after its last transition (slim
 * files stop early and rely on it), and lookups are pure functions of it.
 *
 * Times are Unix seconds (UTC, no leap seconds). Offsets are seconds east
 * of UTC. The rules are Go's time package (zoneinfo.go lookup,
 * zoneinfo_read.go, zoneinfo.go tzset, time.go Date), each function naming
 * the one it follows.
 */
#ifndef HEADROOM_TZ_H
#define HEADROOM_TZ_H

#include "common.h"

#define TZ_DIR "/usr/share/zoneinfo" /* Debian's tzdata package */
#define TZ_ALPHA INT64_MIN           /* Go's alpha: before any time */
#define TZ_OMEGA INT64_MAX           /* Go's omega: after any time */

/* A POSIX TZ rule's day: Jn (1..365, no Feb 29), n (0..365) or Mm.w.d. */
struct tz_rule {
	char kind;    /* 'J', 'D' or 'M' */
	int day;      /* J/D: the day; M: the weekday 0..6 (Sunday 0) */
	int week;     /* M: 1..5 (5: the last) */
	int mon;      /* M: 1..12 */
	int time;     /* seconds after local midnight (default 2 h) */
};

/* The footer's rule for times after the last transition (a TZ string). */
struct tz_extend {
	int32_t std_off, dst_off; /* seconds east of UTC */
	bool has_dst;             /* with daylight saving time and its two rules */
	struct tz_rule start, end;
};

struct tz {
	char name[64];       /* as given ("Europe/Berlin", "UTC") */
	int64_t *when;       /* transition times, ascending (owned) */
	uint8_t *idx;        /* the zone (index into off) from each transition on (owned) */
	size_t n_tx;
	int32_t *off;        /* the zones' offsets, seconds east of UTC (owned) */
	uint8_t *dst;        /* per zone: daylight saving time (owned) */
	size_t n_zones;      /* 0: UTC */
	bool has_extend;     /* a usable TZ footer */
	struct tz_extend ext;
};

/*
 * Loads zone `name` from folder `dir` (NULL: TZ_DIR) into *z (caller frees
 * with tz_release). "UTC" and "" are UTC without a file, as in Go's
 * LoadLocation; "Local" is refused (it would be the machine's zone); a
 * name with "..", a leading '/' or a backslash is refused. Returns 0, or
 * -1 with e->msg saying why ("unknown time zone Europe/Berln", or what is
 * wrong with the file); *z is then empty.
 */
int tz_load(struct tz *z, const char *dir, const char *name, struct herr *e);
/* Parses TZif data (len bytes) into *z, named name. 0, or -1 with e set. */
int tz_parse(struct tz *z, const char *name, const unsigned char *data, size_t len, struct herr *e);
/* UTC. */
void tz_utc(struct tz *z);
void tz_release(struct tz *z);

/* Location.lookup: the offset at time t, and [*start, *end) over which it
 * holds (TZ_ALPHA / TZ_OMEGA open-ended; near a footer's transition the
 * interval is exact, else it is the year's as in Go). start, end may be NULL. */
int32_t tz_lookup(const struct tz *z, int64_t t, int64_t *start, int64_t *end, bool *isdst);

/* A local time's fields. */
struct tz_civil {
	int64_t year;
	int month, day;        /* 1..12, 1..31 */
	int hour, min, sec;
	int wday;              /* 0 Sunday .. 6 Saturday */
};
/* The local time of t in z. */
void tz_fields(const struct tz *z, int64_t t, struct tz_civil *c);
/*
 * time.Date: the time of the local clock reading (fields normalised as Go
 * does: month 13 is January of the next year, day 0 the last of the month
 * before, ...). A reading that does not exist (skipped by a change to
 * summer time) or exists twice is resolved as Go resolves it: with the
 * offset in force at the reading taken as UTC, unless that makes a time
 * outside the offset's interval, then with the offset at that time.
 */
int64_t tz_date(const struct tz *z, int64_t year, int64_t month, int64_t day, int64_t hour, int64_t min,
		int64_t sec);
/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12; day
 * may run past the month's end or below 1). */
int64_t tz_days_from_civil(int64_t year, int month, int64_t day);

#endif
