/*
 * tz.c: TZif time zones with Go's local-time rules (see tz.h). Function
 * comments name the Go function each one follows (src/time: zoneinfo.go,
 * zoneinfo_read.go, time.go).
 */
#include "tz.h"

#include <stdlib.h>
#include <string.h>

#define DAY 86400

/* ---------- the calendar ---------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in(int month, int64_t year)
{
	static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return month == 2 && is_leap(year) ? 29 : n[month - 1];
}

static int days_before(int month)
{
	static const int n[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
	return n[month - 1];
}

/* H. Hinnant's days_from_civil, with the day free to overflow. */
int64_t tz_days_from_civil(int64_t year, int month, int64_t day)
{
	int64_t y = month <= 2 ? year - 1 : year;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t mp = (month + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468 + day - 1;
}

static void civil_from_days(int64_t z, int64_t *year, int *month, int *day)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = yoe + era * 400 + (*month <= 2);
}

/* ---------- the POSIX TZ footer (zoneinfo.go tzset*) ---------- */

/* tzsetName: <...> or at least 3 letters up to a digit, ',', '-' or '+'. */
static const char *tz_name(const char *s)
{
	if (!*s)
		return NULL;
	if (*s == '<') {
		const char *g = strchr(s, '>');
		return g ? g + 1 : NULL;
	}
	size_t i = 0;
	while (s[i] && !strchr("0123456789,-+", s[i]))
		i++;
	return i < 3 ? NULL : s + i;
}

/* tzsetNum: a decimal number in [lo, hi]. */
static const char *tz_num(const char *s, int lo, int hi, int *out)
{
	if (*s < '0' || *s > '9')
		return NULL;
	int v = 0;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		if (v > hi)
			return NULL;
	}
	if (v < lo)
		return NULL;
	*out = v;
	return s;
}

/* tzsetOffset: [+-]hh[:mm[:ss]], hours up to 24 x 7. */
static const char *tz_offset(const char *s, int *out)
{
	bool neg = false;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	int h, m = 0, sec = 0;
	if (!(s = tz_num(s, 0, 24 * 7, &h)))
		return NULL;
	if (*s == ':' && !(s = tz_num(s + 1, 0, 59, &m)))
		return NULL;
	if (*s == ':' && !(s = tz_num(s + 1, 0, 59, &sec)))
		return NULL;
	int off = h * 3600 + m * 60 + sec;
	*out = neg ? -off : off;
	return s;
}

/* tzsetRule: Jn, n or Mm.w.d, then an optional /time. */
static const char *tz_rule(const char *s, struct tz_rule *r)
{
	memset(r, 0, sizeof *r);
	if (*s == 'J') {
		r->kind = 'J';
		s = tz_num(s + 1, 1, 365, &r->day);
	} else if (*s == 'M') {
		r->kind = 'M';
		if (!(s = tz_num(s + 1, 1, 12, &r->mon)) || *s != '.' || !(s = tz_num(s + 1, 1, 5, &r->week)) ||
		    *s != '.')
			return NULL;
		s = tz_num(s + 1, 0, 6, &r->day);
	} else {
		r->kind = 'D';
		s = tz_num(s, 0, 365, &r->day);
	}
	if (!s)
		return NULL;
	r->time = 2 * 3600;
	return *s == '/' ? tz_offset(s + 1, &r->time) : s;
}

/* The TZ string s into *x; false when Go would not use it. */
static bool tz_extend_parse(const char *s, struct tz_extend *x)
{
	memset(x, 0, sizeof *x);
	int off;
	if (!(s = tz_name(s)) || !(s = tz_offset(s, &off)))
		return false;
	x->std_off = -off; /* POSIX offsets are west of UTC */
	if (!*s || *s == ',')
		return true;
	if (!(s = tz_name(s)))
		return false;
	x->dst_off = x->std_off + 3600;
	if (*s && *s != ',') {
		if (!(s = tz_offset(s, &off)))
			return false;
		x->dst_off = -off;
	}
	x->has_dst = true;
	if (!*s)
		s = ",M3.2.0,M11.1.0"; /* tzcode's default rules */
	if ((*s != ',' && *s != ';') || !(s = tz_rule(s + 1, &x->start)) || *s != ',' ||
	    !(s = tz_rule(s + 1, &x->end)) || *s)
		return false;
	return true;
}

/* tzruleTime: seconds from the start of the year (UTC) to the rule's moment. */
static int64_t rule_time(int64_t year, const struct tz_rule *r, int32_t off)
{
	int64_t s = 0;
	if (r->kind == 'J') {
		s = (int64_t)(r->day - 1) * DAY + (is_leap(year) && r->day >= 60 ? DAY : 0);
	} else if (r->kind == 'D') {
		s = (int64_t)r->day * DAY;
	} else {
		int64_t m1 = (r->mon + 9) % 12 + 1, yy0 = r->mon <= 2 ? year - 1 : year;
		int64_t yy1 = yy0 / 100, yy2 = yy0 % 100;
		int64_t dow = ((26 * m1 - 2) / 10 + 1 + yy2 + yy2 / 4 + yy1 / 4 - 2 * yy1) % 7;
		if (dow < 0)
			dow += 7;
		int64_t d = r->day - dow;
		if (d < 0)
			d += 7;
		for (int i = 1; i < r->week; i++) {
			if (d + 7 >= days_in(r->mon, year))
				break;
			d += 7;
		}
		d += days_before(r->mon) + (is_leap(year) && r->mon > 2);
		s = d * DAY;
	}
	return s + r->time - off;
}

/* tzset after the last transition: the offset at t and its interval. */
static int32_t extend_lookup(const struct tz_extend *x, int64_t last, int64_t t, int64_t *start, int64_t *end,
			     bool *isdst)
{
	if (!x->has_dst) {
		*start = last;
		*end = TZ_OMEGA;
		*isdst = false;
		return x->std_off;
	}
	int64_t days = floor_div(t, DAY), year;
	int month, day;
	civil_from_days(days, &year, &month, &day);
	int64_t ystart = tz_days_from_civil(year, 1, 1) * DAY, ysec = t - ystart;
	int64_t s0 = rule_time(year, &x->start, x->std_off), s1 = rule_time(year, &x->end, x->dst_off);
	int32_t std = x->std_off, dst = x->dst_off;
	bool std_dst = false, dst_dst = true;
	if (s1 < s0) { /* the southern hemisphere: the labels flip, as in Go */
		int64_t tt = s0;
		s0 = s1;
		s1 = tt;
		std = x->dst_off;
		dst = x->std_off;
		std_dst = true;
		dst_dst = false;
	}
	if (ysec < s0) {
		*start = ystart;
		*end = ystart + s0;
		*isdst = std_dst;
		return std;
	}
	if (ysec >= s1) {
		*start = ystart + s1;
		*end = ystart + 365 * DAY;
		*isdst = std_dst;
		return std;
	}
	*start = ystart + s0;
	*end = ystart + s1;
	*isdst = dst_dst;
	return dst;
}

/* ---------- zones ---------- */

/* lookupFirstZone: the zone before the first transition. */
static size_t first_zone(const struct tz *z)
{
	bool used = false;
	for (size_t i = 0; i < z->n_tx; i++)
		used |= z->idx[i] == 0;
	if (!used)
		return 0;
	if (z->n_tx > 0 && z->dst[z->idx[0]])
		for (size_t k = z->idx[0]; k-- > 0;)
			if (!z->dst[k])
				return k;
	for (size_t k = 0; k < z->n_zones; k++)
		if (!z->dst[k])
			return k;
	return 0;
}

int32_t tz_lookup(const struct tz *z, int64_t t, int64_t *start, int64_t *end, bool *isdst)
{
	int64_t s0, s1;
	bool d;
	start = start ? start : &s0;
	end = end ? end : &s1;
	isdst = isdst ? isdst : &d;
	if (z->n_zones == 0) {
		*start = TZ_ALPHA;
		*end = TZ_OMEGA;
		*isdst = false;
		return 0;
	}
	if (z->n_tx == 0 || t < z->when[0]) {
		size_t k = first_zone(z);
		*start = TZ_ALPHA;
		*end = z->n_tx ? z->when[0] : TZ_OMEGA;
		*isdst = z->dst[k];
		return z->off[k];
	}
	size_t lo = 0, hi = z->n_tx;
	*end = TZ_OMEGA;
	while (hi - lo > 1) {
		size_t m = (lo + hi) / 2;
		if (t < z->when[m]) {
			*end = z->when[m];
			hi = m;
		} else {
			lo = m;
		}
	}
	*start = z->when[lo];
	*isdst = z->dst[z->idx[lo]];
	if (lo == z->n_tx - 1 && z->has_extend)
		return extend_lookup(&z->ext, *start, t, start, end, isdst);
	return z->off[z->idx[lo]];
}

void tz_fields(const struct tz *z, int64_t t, struct tz_civil *c)
{
	int64_t local = t + tz_lookup(z, t, NULL, NULL, NULL);
	int64_t days = floor_div(local, DAY), secs = local - days * DAY;
	civil_from_days(days, &c->year, &c->month, &c->day);
	c->hour = (int)(secs / 3600);
	c->min = (int)(secs / 60 % 60);
	c->sec = (int)(secs % 60);
	c->wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
}

/* norm: hi and lo with lo brought into [0, base). */
static void norm(int64_t *hi, int64_t *lo, int64_t base)
{
	int64_t n = floor_div(*lo, base);
	*hi += n;
	*lo -= n * base;
}

int64_t tz_date(const struct tz *z, int64_t year, int64_t month, int64_t day, int64_t hour, int64_t min,
		int64_t sec)
{
	int64_t m = month - 1;
	norm(&year, &m, 12);
	norm(&min, &sec, 60);
	norm(&hour, &min, 60);
	norm(&day, &hour, 24);
	int64_t unix = tz_days_from_civil(year, (int)m + 1, day) * DAY + hour * 3600 + min * 60 + sec;
	int64_t start, end;
	int32_t off = tz_lookup(z, unix, &start, &end, NULL);
	if (off != 0) {
		int64_t utc = unix - off;
		if (utc < start || utc >= end)
			off = tz_lookup(z, utc, NULL, NULL, NULL);
		unix -= off;
	}
	return unix;
}

/* ---------- TZif (zoneinfo_read.go LoadLocationFromTZData) ---------- */

struct rd {
	const unsigned char *p;
	size_t n;
};

static bool take(struct rd *r, size_t k, const unsigned char **out)
{
	if (r->n < k)
		return false;
	*out = r->p;
	r->p += k;
	r->n -= k;
	return true;
}

static int64_t be(const unsigned char *p, size_t k)
{
	uint64_t v = 0;
	for (size_t i = 0; i < k; i++)
		v = v << 8 | p[i];
	if (k == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

enum { N_UTC, N_STD, N_LEAP, N_TIME, N_ZONE, N_CHAR };

static bool header(struct rd *r, int *version, uint32_t n[6])
{
	const unsigned char *h;
	if (!take(r, 20, &h) || memcmp(h, "TZif", 4))
		return false;
	*version = h[4] == 0 ? 1 : h[4] - '0';
	for (int i = 0; i < 6; i++) {
		if (!take(r, 4, &h))
			return false;
		n[i] = (uint32_t)be(h, 4);
	}
	return true;
}

static int bad(struct tz *z, struct herr *e, const char *name)
{
	tz_release(z);
	return herr_set(e, "time zone %s: its tz database file is not valid TZif data", name);
}

int tz_parse(struct tz *z, const char *name, const unsigned char *data, size_t len, struct herr *e)
{
	memset(z, 0, sizeof *z);
	snprintf(z->name, sizeof z->name, "%s", name);
	struct rd r = {data, len};
	int version;
	uint32_t n[6];
	const unsigned char *p;
	if (!header(&r, &version, n))
		return bad(z, e, name);
	size_t tsize = 4;
	if (version > 1) { /* skip the 32-bit body to the 64-bit one */
		size_t skip = (size_t)n[N_TIME] * 5 + (size_t)n[N_ZONE] * 6 + n[N_CHAR] + (size_t)n[N_LEAP] * 8 +
			      n[N_STD] + n[N_UTC];
		if (!take(&r, skip, &p) || !header(&r, &version, n))
			return bad(z, e, name);
		tsize = 8;
	}
	if (n[N_ZONE] == 0 || n[N_ZONE] > 256)
		return bad(z, e, name);
	const unsigned char *tx, *ix, *zs;
	if (!take(&r, n[N_TIME] * tsize, &tx) || !take(&r, n[N_TIME], &ix) || !take(&r, (size_t)n[N_ZONE] * 6, &zs) ||
	    !take(&r, n[N_CHAR], &p) || !take(&r, (size_t)n[N_LEAP] * (tsize + 4), &p) || !take(&r, n[N_STD], &p) ||
	    !take(&r, n[N_UTC], &p))
		return bad(z, e, name);
	z->n_zones = n[N_ZONE];
	z->off = xcalloc(z->n_zones, sizeof *z->off);
	z->dst = xcalloc(z->n_zones, 1);
	for (size_t i = 0; i < z->n_zones; i++) {
		z->off[i] = (int32_t)be(zs + 6 * i, 4);
		z->dst[i] = zs[6 * i + 4] != 0;
	}
	z->n_tx = n[N_TIME];
	z->when = xcalloc(z->n_tx ? z->n_tx : 1, sizeof *z->when);
	z->idx = xcalloc(z->n_tx ? z->n_tx : 1, 1);
	for (size_t i = 0; i < z->n_tx; i++) {
		z->when[i] = be(tx + tsize * i, tsize);
		z->idx[i] = ix[i];
		if (ix[i] >= z->n_zones || (i > 0 && z->when[i] < z->when[i - 1]))
			return bad(z, e, name);
	}
	if (z->n_tx == 0) { /* a fixed zone: one transition at the start of time */
		z->when[0] = TZ_ALPHA;
		z->idx[0] = 0;
		z->n_tx = 1;
	}
	if (version > 1 && r.n >= 2 && r.p[0] == '\n') {
		char foot[128];
		size_t k = 0;
		for (size_t i = 1; i < r.n && r.p[i] != '\n' && k + 1 < sizeof foot; i++)
			foot[k++] = (char)r.p[i];
		foot[k] = '\0';
		z->has_extend = k > 0 && tz_extend_parse(foot, &z->ext);
	}
	return 0;
}

void tz_utc(struct tz *z)
{
	memset(z, 0, sizeof *z);
	snprintf(z->name, sizeof z->name, "UTC");
}

void tz_release(struct tz *z)
{
	if (!z)
		return;
	free(z->when);
	free(z->idx);
	free(z->off);
	free(z->dst);
	z->when = NULL;
	z->idx = NULL;
	z->off = NULL;
	z->dst = NULL;
	z->n_tx = z->n_zones = 0;
}

int tz_load(struct tz *z, const char *dir, const char *name, struct herr *e)
{
	memset(z, 0, sizeof *z);
	if (!*name || !strcmp(name, "UTC")) {
		tz_utc(z);
		return 0;
	}
	if (!strcmp(name, "Local"))
		return herr_set(e, "time zone Local: it would be the machine's own zone; name an IANA zone "
				   "(e.g. Europe/Berlin) or UTC");
	if (strstr(name, "..") || name[0] == '/' || strchr(name, '\\') || strlen(name) >= sizeof z->name)
		return herr_set(e, "time zone %s: not a zone name (an IANA name, e.g. Europe/Berlin)", name);
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir ? dir : TZ_DIR, name);
	char why[160];
	size_t len = 0;
	char *data = file_slurp(path, 1u << 20, &len, why, sizeof why);
	if (!data)
		return herr_set(e, "unknown time zone %s (no %s: %s; the tz database is Debian's tzdata package)",
				name, path, why);
	int rc = tz_parse(z, name, (const unsigned char *)data, len, e);
	free(data);
	return rc;
}
