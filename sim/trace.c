/*
 * trace.c: reading a traffic trace from CSV, and shaping the rows of any
 * reader into the rate the generator replays.
 *
 * CSV: one pass over the text, a line at a time. The first row that is not
 * blank or a comment is a header if its first field does not start like a
 * number (a digit, a sign or a point): "Time", timestamp, ... A row whose
 * time is malformed but starts with a digit is an error, never a silent
 * header. The separator is the first `,`, `;` or tab outside quotes in the
 * first row, and every later row must use it.
 *
 * Times are kept as integer nanoseconds since the Unix epoch while reading,
 * so millisecond exports of a year are compared and subtracted exactly.
 * Dates are converted with tz_days_from_civil (sim/tz.h; Howard Hinnant's
 * algorithm, proleptic Gregorian), or tz_date in a named zone, not timegm,
 * which depends on the C library and the TZ variable. Numbers are parsed
 * here too, not by strtod, whose decimal point follows the locale.
 *
 * Shaping (trace_read, after a reader): the times of the chosen series are
 * merged into one grid; a spacing of k >= 2 steps (k = the spacing over the
 * step, rounded) is k - 1 missing rows. Each series is laid on the grid
 * from its first value to its last, its gaps filled by the policy (or
 * refused), and the series are summed. Then rows become intervals (or
 * points) by the reading, counts become rates, and times become seconds
 * from the trace's start, its Unix time kept as the epoch.
 */
#include "trace.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "trace_impl.h"

#define MS_ABOVE 1e11       /* timestamps above this are milliseconds */
#define MAX_SECONDS 4.6e9   /* |time| limit, s (years 1824 to 2115): ns differences fit int64 */
#define SHOW 40             /* at most this many bytes of a field in a message */
#define GAPS_HINT "say how to fill gaps with gaps: hold, zero or interpolate"

struct field {
	const char *s; /* its text, without quotes or surrounding spaces (a quote inside still doubled) */
	size_t n;
	int col;       /* 1-based column where the field starts */
};

/* How a CSV's columns map to series. */
enum layout { WIDE, LONG };

struct parser {
	const char *name;  /* for messages */
	struct herr *e;
	const struct tz *zone;
	struct ttable *tb;
	int line;          /* 1-based */
	char sep;          /* 0 until the first row fixes it */
	bool seen_row;     /* the row that may be a header is behind us */
	enum layout layout;
	size_t n_fields;   /* fields in a row (0 until the first row) */
	int i_series, i_time, i_value; /* long: the fields' places */
	struct tcol **cols;/* wide: the series of fields 1.. (borrowed from tb) */
	int64_t prev;      /* wide: time of the last row, ns since the epoch */
	int prev_line;
	bool any;          /* a data row seen */
	struct field *f;   /* the current row's fields (owned) */
	size_t cap_f;
};

static int fail(struct parser *p, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, int col, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return herr_at(p->e, p->name, p->line, col, "%s", what);
}

/* The length of a field as quoted in messages. */
static int shown(const struct field *f) { return (int)HR_MIN(f->n, (size_t)SHOW); }

/* --- numbers --- */

/* A decimal m x 10^exp, with up to 19 significant digits in m. */
struct dec {
	bool neg;
	uint64_t m;
	int exp;
};

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Appends digits at s[*i] to d; fraction digits lower the exponent. */
static size_t scan_digits(const char *s, size_t n, size_t *i, struct dec *d, bool fraction)
{
	size_t count = 0;
	for (; *i < n && is_digit(s[*i]); (*i)++, count++) {
		if (d->m < 1000000000000000000ULL) {
			d->m = d->m * 10 + (uint64_t)(s[*i] - '0');
			d->exp -= fraction;
		} else if (!fraction) {
			d->exp++; /* a dropped integer digit still counts */
		}
	}
	return count;
}

/* [+-]digits[.digits][(e|E)[+-]digits], at least one digit before the exponent. */
static bool parse_dec(const char *s, size_t n, struct dec *d)
{
	size_t i = 0;
	*d = (struct dec){0};
	if (i < n && (s[i] == '+' || s[i] == '-'))
		d->neg = s[i++] == '-';
	size_t digits = scan_digits(s, n, &i, d, false);
	if (i < n && s[i] == '.') {
		i++;
		digits += scan_digits(s, n, &i, d, true);
	}
	if (!digits)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		int sign = 1, x = 0;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			sign = s[i++] == '-' ? -1 : 1;
		if (i >= n || !is_digit(s[i]))
			return false;
		for (; i < n && is_digit(s[i]); i++)
			x = HR_MIN(x * 10 + (s[i] - '0'), 9999);
		d->exp += sign * x;
	}
	return i == n;
}

static double dec_value(const struct dec *d)
{
	double v = (double)d->m;
	if (d->m)
		v = d->exp >= 0 ? v * pow(10, d->exp) : v / pow(10, -d->exp);
	return d->neg ? -v : v;
}

/* d x 10^shift as an integer, rounded; false if it does not fit. */
static bool dec_scaled(const struct dec *d, int shift, int64_t *out)
{
	int k = d->exp + shift;
	uint64_t m = d->m;
	if (k < 0) {
		if (k < -19)
			m = 0;
		else {
			uint64_t div = 1;
			for (int j = 0; j < -k; j++)
				div *= 10;
			m = m / div + (m % div >= div - div / 2);
		}
	}
	for (; k > 0 && m; k--) {
		if (m > (uint64_t)INT64_MAX / 10)
			return false;
		m *= 10;
	}
	if (m > (uint64_t)INT64_MAX)
		return false;
	*out = d->neg ? -(int64_t)m : (int64_t)m;
	return true;
}

/* --- times --- */

static unsigned days_in_month(unsigned y, unsigned m)
{
	static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

/* n digits at s as a number; false if any is not a digit. */
static bool fixed_digits(const char *s, int n, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		*out = *out * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

/* Z, or [+-]HH[:MM] / [+-]HHMM, the whole of s[0..n), into seconds east of
 * UTC. */
static bool parse_offset(const char *s, size_t n, int *off)
{
	unsigned h, m = 0;
	if (n == 1 && (s[0] == 'Z' || s[0] == 'z')) {
		*off = 0;
		return true;
	}
	if (n < 3 || (s[0] != '+' && s[0] != '-') || !fixed_digits(s + 1, 2, &h))
		return false;
	if (n == 6 && s[3] == ':') {
		if (!fixed_digits(s + 4, 2, &m))
			return false;
	} else if (n == 5) {
		if (!fixed_digits(s + 3, 2, &m))
			return false;
	} else if (n != 3)
		return false;
	if (h > 23 || m > 59)
		return false;
	*off = (s[0] == '-' ? -1 : 1) * (int)(h * 3600 + m * 60);
	return true;
}

/* YYYY-MM-DD(space|T)HH:MM:SS[.fff][Z|offset] to ns since the epoch; a
 * time without Z or an offset is in zone (UTC when NULL). */
static bool parse_date(const char *s, size_t n, const struct tz *zone, int64_t *ns)
{
	unsigned y, mo, d, h, mi, sec;
	if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
	    s[16] != ':')
		return false;
	if (!fixed_digits(s, 4, &y) || !fixed_digits(s + 5, 2, &mo) || !fixed_digits(s + 8, 2, &d) ||
	    !fixed_digits(s + 11, 2, &h) || !fixed_digits(s + 14, 2, &mi) || !fixed_digits(s + 17, 2, &sec))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
		return false;
	size_t i = 19;
	int64_t frac = 0, scale = 100000000;
	if (i < n && s[i] == '.') {
		if (++i >= n || !is_digit(s[i]))
			return false;
		for (; i < n && is_digit(s[i]); i++, scale /= 10)
			frac += scale * (s[i] - '0'); /* digits past the ns are dropped */
	}
	int64_t secs;
	int off = 0;
	if (i < n) {
		if (!parse_offset(s + i, n - i, &off))
			return false;
		secs = tz_days_from_civil(y, (int)mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	} else if (zone) {
		secs = tz_date(zone, y, mo, d, h, mi, sec);
	} else {
		secs = tz_days_from_civil(y, (int)mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	}
	if (fabs((double)secs) > MAX_SECONDS)
		return false;
	*ns = secs * SIM_S + frac;
	return true;
}

static bool looks_like_date(const char *s, size_t n)
{
	unsigned y;
	return n >= 5 && s[4] == '-' && fixed_digits(s, 4, &y);
}

int tt_time(const char *s, size_t n, const struct tz *zone, int64_t *ns, const char **why)
{
	if (looks_like_date(s, n)) {
		*why = "expected YYYY-MM-DD HH:MM:SS[.fff] with Z, an offset (+02:00) or none";
		return parse_date(s, n, zone, ns) ? 0 : -1;
	}
	struct dec d;
	*why = "expected Unix seconds, Unix milliseconds or YYYY-MM-DD HH:MM:SS";
	if (!parse_dec(s, n, &d))
		return -1;
	double v = dec_value(&d);
	bool ms = v > MS_ABOVE;
	*why = "out of range";
	if (fabs(ms ? v / 1000 : v) > MAX_SECONDS || !dec_scaled(&d, ms ? 6 : 9, ns))
		return -1;
	return 0;
}

int trace_parse_time(const char *s, const struct tz *zone, double *unix_s)
{
	const char *why;
	int64_t ns;
	if (tt_time(s, strlen(s), zone, &ns, &why))
		return -1;
	*unix_s = (double)ns / 1e9;
	return 0;
}

/* --- values --- */

static bool word_is(const char *s, size_t n, const char *w)
{
	return n == strlen(w) && !strncasecmp(s, w, n);
}

int tt_value(const char *s, size_t n, double *v, const char **why)
{
	static const char *const inf[] = {"inf", "infinity", "+inf", "-inf", "+infinity", "-infinity"};
	if (!n || word_is(s, n, "null") || word_is(s, n, "nan") || word_is(s, n, "+nan") || word_is(s, n, "-nan"))
		return 1;
	for (size_t i = 0; i < ARRAY_LEN(inf); i++)
		if (word_is(s, n, inf[i])) {
			*why = "must be a finite number";
			return -1;
		}
	struct dec d;
	if (!parse_dec(s, n, &d)) {
		*why = "expected a non-negative decimal number";
		return -1;
	}
	*v = dec_value(&d);
	if (!isfinite(*v)) {
		*why = "out of range";
		return -1;
	}
	if (d.neg && d.m) {
		*why = "must be >= 0";
		return -1;
	}
	*v = fabs(*v); /* -0 */
	return 0;
}

/* --- the table --- */

struct tcol *tt_col(struct ttable *tb, const char *name, size_t n)
{
	for (size_t i = 0; i < tb->n_col; i++)
		if (strlen(tb->col[i].name) == n && !memcmp(tb->col[i].name, name, n))
			return &tb->col[i];
	if (tb->n_col == TRACE_MAX_SERIES)
		return NULL;
	tb->col = xgrow(tb->col, &tb->cap_col, tb->n_col + 1, sizeof *tb->col);
	struct tcol *c = &tb->col[tb->n_col++];
	*c = (struct tcol){.name = xmalloc(n + 1)};
	memcpy(c->name, name, n);
	c->name[n] = 0;
	return c;
}

void tt_add(struct tcol *c, int64_t t, double v, int line, int pos)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->t = xrealloc(c->t, c->cap * sizeof *c->t);
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
		c->line = xrealloc(c->line, c->cap * sizeof *c->line);
		c->pos = xrealloc(c->pos, c->cap * sizeof *c->pos);
	}
	c->t[c->n] = t;
	c->v[c->n] = v;
	c->line[c->n] = line;
	c->pos[c->n] = pos;
	c->n++;
}

void tt_free(struct ttable *tb)
{
	for (size_t i = 0; i < tb->n_col; i++) {
		struct tcol *c = &tb->col[i];
		free(c->name);
		free(c->t);
		free(c->v);
		free(c->line);
		free(c->pos);
	}
	free(tb->col);
	tb->col = NULL;
	tb->n_col = tb->cap_col = 0;
}

/* --- CSV rows --- */

static bool is_space(char c, char sep) { return c == ' ' || (c == '\t' && sep != '\t') || c == '\r'; }

/* The first `,`, `;` or tab outside double quotes, or 0. */
static char detect_sep(const char *s, size_t n)
{
	bool quoted = false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && (s[i] == ',' || s[i] == ';' || s[i] == '\t'))
			return s[i];
	}
	return 0;
}

/* The closing quote of a field opening at s[i] (a quote written twice is
 * one quote inside), or NULL. */
static const char *closing_quote(const char *s, size_t n, size_t i)
{
	for (size_t j = i + 1; j < n; j++)
		if (s[j] == '"') {
			if (j + 1 < n && s[j + 1] == '"')
				j++;
			else
				return s + j;
		}
	return NULL;
}

/* The field starting at s[*i]; leaves *i on the separator or at n. */
static int cut_field(struct parser *p, const char *s, size_t n, size_t *i, char sep, struct field *f)
{
	while (*i < n && is_space(s[*i], sep))
		(*i)++;
	f->col = (int)*i + 1;
	if (*i < n && s[*i] == '"') {
		const char *close = closing_quote(s, n, *i);
		if (!close)
			return fail(p, f->col, "unterminated quote");
		f->s = s + *i + 1;
		f->n = (size_t)(close - f->s);
		*i = (size_t)(close - s) + 1;
		while (*i < n && is_space(s[*i], sep))
			(*i)++;
		if (*i < n && s[*i] != sep)
			return fail(p, (int)*i + 1, "unexpected '%c' after a closing quote", s[*i]);
		return 0;
	}
	f->s = s + *i;
	while (*i < n && s[*i] != sep)
		(*i)++;
	f->n = (size_t)(s + *i - f->s);
	while (f->n && is_space(f->s[f->n - 1], sep))
		f->n--;
	return 0;
}

/* Splits a row at sep into p->f (no sep: one field); the count. */
static int split_row(struct parser *p, const char *s, size_t n, char sep, size_t *n_f)
{
	size_t i = 0;
	*n_f = 0;
	for (;;) {
		p->f = xgrow(p->f, &p->cap_f, *n_f + 1, sizeof *p->f);
		if (cut_field(p, s, n, &i, sep, &p->f[*n_f]))
			return -1;
		++*n_f;
		if (i >= n || !sep)
			return 0;
		i++; /* the separator */
	}
}

/* A header field without its doubled quotes, into buf (size >= f->n + 1). */
static size_t unquote(const struct field *f, char *buf)
{
	size_t k = 0;
	for (size_t i = 0; i < f->n; i++) {
		buf[k++] = f->s[i];
		if (f->s[i] == '"' && i + 1 < f->n && f->s[i + 1] == '"')
			i++;
	}
	buf[k] = 0;
	return k;
}

/* The wide layout's series of fields 1..n_f - 1 from their indices in the
 * table (at[], freed), once the table has them all: tt_col's pointers move
 * as the table grows. */
static void cols_at(struct parser *p, size_t *at, size_t n_f)
{
	p->cols = xcalloc(n_f, sizeof *p->cols);
	for (size_t i = 1; i < n_f; i++)
		p->cols[i] = &p->tb->col[at[i]];
	free(at);
}

static struct tcol *column(struct parser *p, const struct field *f)
{
	char *buf = xmalloc(f->n + 1);
	size_t k = unquote(f, buf);
	struct tcol *c = tt_col(p->tb, buf, k);
	free(buf);
	if (!c)
		fail(p, f->col, "more than %d series in one file", TRACE_MAX_SERIES);
	return c;
}

/* A first field that does not start like a number. */
static bool is_header(const struct field *f0)
{
	if (!f0->n)
		return false;
	char c = f0->s[0];
	return !(is_digit(c) || c == '+' || c == '-' || c == '.');
}

/* The header row: Series,Time,Value (any order) is the long form; else the
 * first field is the time and the others name series. */
static int set_header(struct parser *p, size_t n_f)
{
	p->i_series = p->i_time = p->i_value = -1;
	for (size_t i = 0; n_f == 3 && i < 3; i++) {
		const struct field *f = &p->f[i];
		if (word_is(f->s, f->n, "series"))
			p->i_series = (int)i;
		else if (word_is(f->s, f->n, "time"))
			p->i_time = (int)i;
		else if (word_is(f->s, f->n, "value"))
			p->i_value = (int)i;
	}
	p->n_fields = n_f;
	if (p->i_series >= 0 && p->i_time >= 0 && p->i_value >= 0) {
		p->layout = LONG;
		return 0;
	}
	p->layout = WIDE;
	if (n_f < 2)
		return fail(p, p->f[0].col, "a header needs a time column and at least one series");
	size_t *at = xcalloc(n_f, sizeof *at);
	for (size_t i = 1; i < n_f; i++) {
		const struct tcol *c = column(p, &p->f[i]);
		if (!c) {
			free(at);
			return -1;
		}
		at[i] = (size_t)(c - p->tb->col);
	}
	cols_at(p, at, n_f);
	return 0;
}

/* Without a header: series named by their column ("2", "3", ...). */
static int set_columns(struct parser *p, size_t n_f)
{
	p->layout = WIDE;
	p->n_fields = n_f;
	if (n_f < 2)
		return 0; /* reported by the row */
	size_t *at = xcalloc(n_f, sizeof *at);
	for (size_t i = 1; i < n_f; i++) {
		char name[24];
		int k = snprintf(name, sizeof name, "%zu", i + 1);
		const struct tcol *c = tt_col(p->tb, name, (size_t)k);
		if (!c) {
			free(at);
			return fail(p, p->f[i].col, "more than %d series in one file", TRACE_MAX_SERIES);
		}
		at[i] = (size_t)(c - p->tb->col);
	}
	cols_at(p, at, n_f);
	return 0;
}

static int read_time(struct parser *p, const struct field *f, int64_t *ns)
{
	const char *why;
	if (tt_time(f->s, f->n, p->zone, ns, &why))
		return fail(p, f->col, "bad time \"%.*s\": %s", shown(f), f->s, why);
	return 0;
}

static int read_value(struct parser *p, const struct field *f, double *v)
{
	const char *why;
	int rc = tt_value(f->s, f->n, v, &why);
	if (rc < 0)
		return fail(p, f->col, "bad value \"%.*s\": %s", shown(f), f->s, why);
	if (rc > 0)
		*v = NAN;
	return 0;
}

static int field_count(struct parser *p, size_t n_f, size_t end)
{
	if (n_f < p->n_fields) {
		if (p->n_fields == 2)
			return fail(p, (int)end + 1, "missing second field (the value)");
		return fail(p, (int)end + 1, "%zu fields; the first row has %zu", n_f, p->n_fields);
	}
	if (n_f > p->n_fields)
		return fail(p, p->f[p->n_fields].col, "extra field: the first row has %zu", p->n_fields);
	return 0;
}

static int wide_row(struct parser *p)
{
	int64_t ns;
	if (read_time(p, &p->f[0], &ns))
		return -1;
	if (p->any && ns <= p->prev)
		return fail(p, p->f[0].col, "time \"%.*s\" is not after the time on line %d", shown(&p->f[0]),
			    p->f[0].s, p->prev_line);
	for (size_t i = 1; i < p->n_fields; i++) {
		double v;
		if (read_value(p, &p->f[i], &v))
			return -1;
		tt_add(p->cols[i], ns, v, p->line, p->f[i].col);
	}
	p->prev = ns;
	p->prev_line = p->line;
	return 0;
}

static int long_row(struct parser *p)
{
	const struct field *fs = &p->f[p->i_series], *ft = &p->f[p->i_time], *fv = &p->f[p->i_value];
	int64_t ns;
	double v;
	struct tcol *c = column(p, fs);
	if (!c || read_time(p, ft, &ns) || read_value(p, fv, &v))
		return -1;
	if (c->n && ns <= c->t[c->n - 1])
		return fail(p, ft->col, "time \"%.*s\" is not after the time on line %d for series \"%s\"", shown(ft),
			    ft->s, c->line[c->n - 1], c->name);
	tt_add(c, ns, v, p->line, fv->col);
	return 0;
}

static int parse_row(struct parser *p, const char *s, size_t n)
{
	char sep = p->sep ? p->sep : detect_sep(s, n);
	size_t n_f;
	if (split_row(p, s, n, sep, &n_f))
		return -1;
	if (!p->seen_row) {
		p->seen_row = true;
		p->sep = sep;
		if (is_header(&p->f[0]))
			return set_header(p, n_f);
		if (set_columns(p, n_f))
			return -1;
	}
	if (p->n_fields < 2)
		return fail(p, (int)n + 1, "missing second field (the value)");
	if (field_count(p, n_f, n))
		return -1;
	int rc = p->layout == LONG ? long_row(p) : wide_row(p);
	p->any |= !rc;
	return rc;
}

/* Blank, or a comment. */
static bool skipped(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	return i == n || s[i] == '#';
}

static int csv_read(struct ttable *tb, const char *text, size_t len, const struct tz *zone)
{
	struct parser p = {.name = tb->name, .e = tb->e, .zone = zone, .tb = tb};
	const char *s = text, *end = text + len;
	if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		s += 3; /* a UTF-8 byte order mark, as spreadsheets write */
	int rc = 0;
	while (s < end && !rc) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);
		p.line++;
		if (n && s[n - 1] == '\r')
			n--;
		if (!skipped(s, n))
			rc = parse_row(&p, s, n);
		s = nl ? nl + 1 : end;
	}
	if (!rc && !p.any)
		rc = herr_at(tb->e, tb->name, 0, 0, "no data rows");
	free(p.f);
	free(p.cols);
	return rc;
}

/* --- choosing series --- */

/* Whether name carries the label k="v" (k, v of kn, vn bytes): preceded by
 * `{`, `,` or a space, followed by `,` or `}`; __name__ is what comes
 * before the `{`, as Prometheus prints a series. */
static bool has_label(const char *name, const char *k, size_t kn, const char *v, size_t vn)
{
	size_t n = strlen(name);
	if (kn == 8 && !memcmp(k, "__name__", 8)) {
		const char *brace = strchr(name, '{');
		return (size_t)(brace ? brace - name : (ptrdiff_t)n) == vn && !memcmp(name, v, vn);
	}
	for (size_t i = 0; i + kn + vn + 3 <= n; i++) {
		if (i && !strchr("{, ", name[i - 1]))
			continue;
		if (i == 0 || memcmp(name + i, k, kn) || name[i + kn] != '=' || name[i + kn + 1] != '"' ||
		    memcmp(name + i + kn + 2, v, vn) || name[i + kn + 2 + vn] != '"')
			continue;
		char after = i + kn + vn + 3 < n ? name[i + kn + vn + 3] : 0;
		if (after == ',' || after == '}')
			return true;
	}
	return false;
}

/* Every matcher k="v" of sel (separated by commas, optionally in braces). */
static bool matches(const char *name, const char *sel)
{
	const char *s = sel;
	while (*s == ' ' || *s == '{')
		s++;
	while (*s && *s != '}') {
		const char *eq = strchr(s, '=');
		if (!eq || eq[1] != '"')
			return false;
		const char *close = strchr(eq + 2, '"');
		if (!close)
			return false;
		size_t kn = (size_t)(eq - s);
		while (kn && s[kn - 1] == ' ')
			kn--;
		if (!has_label(name, s, kn, eq + 2, (size_t)(close - eq - 2)))
			return false;
		s = close + 1;
		while (*s == ' ' || *s == ',')
			s++;
	}
	return true;
}

static bool chosen(const struct tcol *c, const char *sel)
{
	if (!sel)
		return true;
	return !strcmp(c->name, sel) || (strchr(sel, '=') && matches(c->name, sel));
}

static int no_series(struct ttable *tb, const char *sel)
{
	char names[600] = "";
	size_t k = 0;
	for (size_t i = 0; i < tb->n_col && k < sizeof names - 80; i++)
		k += (size_t)snprintf(names + k, sizeof names - k, "%s%s", i ? "; " : "", tb->col[i].name);
	herr_set(tb->e, "no series matches '%s' (the file has %zu: %s%s)", sel, tb->n_col, names,
		 k >= sizeof names - 80 ? "; ..." : "");
	return TRACE_NO_SERIES;
}

/* --- shaping --- */

struct grid {
	int64_t *t;     /* ns since the epoch, ascending */
	size_t n;
	int64_t step;   /* ns */
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The first and last points of c with a value (none: *lo > *hi). */
static void value_span(const struct tcol *c, size_t *lo, size_t *hi)
{
	*lo = 0;
	*hi = c->n;
	while (*lo < c->n && isnan(c->v[*lo]))
		++*lo;
	while (*hi > *lo && isnan(c->v[*hi - 1]))
		--*hi;
}

/* The chosen series' times between each one's first and last value. */
static void merge_times(const struct ttable *tb, const bool *use, struct grid *g)
{
	size_t total = 0;
	for (size_t i = 0; i < tb->n_col; i++)
		total += use[i] ? tb->col[i].n : 0;
	int64_t *t = xmalloc((total ? total : 1) * sizeof *t);
	size_t n = 0;
	for (size_t i = 0; i < tb->n_col; i++) {
		size_t lo, hi;
		value_span(&tb->col[i], &lo, &hi);
		for (size_t j = lo; use[i] && j < hi; j++)
			t[n++] = tb->col[i].t[j];
	}
	qsort(t, n, sizeof *t, cmp_i64);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || t[i] != t[u - 1])
			t[u++] = t[i];
	g->t = t;
	g->n = u;
}

/* Spacings of k >= 2 steps become k - 1 missing rows, evenly spaced; at
 * most TRACE_MAX_ROWS rows in all (a time far off would ask for millions). */
static int fill_grid(struct ttable *tb, struct grid *g)
{
	uint64_t extra = 0;
	for (size_t i = 1; i < g->n; i++) {
		int64_t k = (g->t[i] - g->t[i - 1] + g->step / 2) / g->step;
		extra += k >= 2 ? (uint64_t)(k - 1) : 0;
		if (g->n + extra > TRACE_MAX_ROWS)
			return herr_at(tb->e, tb->name, 0, 0,
				       "the rows are %.9g s apart, so the times leave more than %d rows to fill in: is a time "
				       "wrong, or the step (give step)?",
				       (double)g->step / 1e9, TRACE_MAX_ROWS);
	}
	int64_t *t = xmalloc((g->n + (size_t)extra) * sizeof *t);
	size_t n = 0;
	for (size_t i = 0; i < g->n; i++) {
		if (i) {
			int64_t d = g->t[i] - g->t[i - 1], k = (d + g->step / 2) / g->step;
			for (int64_t j = 1; j < k; j++)
				t[n++] = g->t[i - 1] + d / k * j + d % k * j / k;
		}
		t[n++] = g->t[i];
	}
	free(g->t);
	g->t = t;
	g->n = n;
	return 0;
}

static size_t grid_index(const struct grid *g, int64_t t)
{
	size_t lo = 0, hi = g->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->t[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The step when not given: the smallest spacing. */
static int find_step(struct ttable *tb, const struct trace_opts *o, struct grid *g)
{
	if (o->step > 0) {
		g->step = sim_from_s(o->step);
		return 0;
	}
	g->step = 0;
	for (size_t i = 1; i < g->n; i++)
		if (!g->step || g->t[i] - g->t[i - 1] < g->step)
			g->step = g->t[i] - g->t[i - 1];
	if (!g->step && (o->reading != TRACE_POINT || o->values == TRACE_COUNT))
		return herr_at(tb->e, tb->name, 0, 0, "one row: the length of its interval is unknown; give step");
	if (!g->step)
		g->step = SIM_S;
	return 0;
}

static int gap_error(struct ttable *tb, const struct tcol *c, size_t j, bool written, const struct grid *g,
		     size_t at)
{
	if (written)
		return herr_at(tb->e, tb->name, c->line[j], c->pos[j], "a gap (no value) in series \"%s\"; %s",
			       c->name, GAPS_HINT);
	size_t missing = 0;
	while (at + missing < g->n && g->t[at + missing] < c->t[j])
		missing++;
	return herr_at(tb->e, tb->name, c->line[j], c->pos[j],
		       "%zu row%s missing before this one in series \"%s\" (the rows are %.9g s apart): a gap; %s",
		       missing, missing == 1 ? "" : "s", c->name, (double)g->step / 1e9, GAPS_HINT);
}

/* Fills val[a..b] of one series where it is NAN, by the policy (val[a]
 * and val[b] have values). */
static void fill_gaps(double *val, const int64_t *t, size_t a, size_t b, enum trace_gaps gaps)
{
	for (size_t i = a + 1; i < b; i++) {
		if (!isnan(val[i]))
			continue;
		size_t p = i - 1, k = i;
		while (isnan(val[k]))
			k++;
		for (; i < k; i++) {
			if (gaps == TRACE_GAPS_ZERO)
				val[i] = 0;
			else if (gaps == TRACE_GAPS_HOLD)
				val[i] = val[p];
			else
				val[i] = val[p] + (val[k] - val[p]) * (double)(t[i] - t[p]) / (double)(t[k] - t[p]);
		}
	}
}

/* Lays series c on the grid and adds it to sum; counts the points filled. */
static int add_series(struct ttable *tb, const struct tcol *c, const struct grid *g, const struct trace_opts *o,
		      double *val, double *sum, size_t *filled)
{
	size_t lo, hi;
	value_span(c, &lo, &hi);
	if (lo >= hi)
		return 0;
	size_t a = grid_index(g, c->t[lo]), b = grid_index(g, c->t[hi - 1]), j = lo;
	for (size_t i = a; i <= b; i++) {
		bool here = j < hi && c->t[j] == g->t[i];
		val[i] = here ? c->v[j] : NAN;
		if (isnan(val[i])) {
			if (o->gaps == TRACE_GAPS_ERROR)
				return gap_error(tb, c, j, here, g, i);
			++*filled;
		}
		j += here;
	}
	fill_gaps(val, g->t, a, b, o->gaps);
	for (size_t i = a; i <= b; i++)
		sum[i] += val[i];
	return 0;
}

/* Rows to the generator's form, by the reading (trace.h). */
static void to_trace(const struct grid *g, const double *sum, const struct trace_opts *o, struct trace *out)
{
	size_t n = g->n;
	double *t = xmalloc(n * sizeof *t), *rps = xmalloc(n * sizeof *rps);
	int64_t start = o->reading == TRACE_INTERVAL_END ? g->t[0] - g->step : g->t[0], end;
	for (size_t i = 0; i < n; i++) {
		int64_t a = g->t[i], b = g->t[i];
		if (o->reading == TRACE_INTERVAL_END)
			a = i ? g->t[i - 1] : g->t[0] - g->step;
		else if (o->reading == TRACE_INTERVAL_START)
			b = i + 1 < n ? g->t[i + 1] : g->t[i] + g->step;
		else
			b = a + g->step;
		t[i] = (double)(a - start) / 1e9;
		rps[i] = o->values == TRACE_COUNT ? sum[i] / ((double)(b - a) / 1e9) : sum[i];
	}
	end = o->reading == TRACE_INTERVAL_START ? g->t[n - 1] + g->step : g->t[n - 1];
	*out = (struct trace){.t = t,
			      .rps = rps,
			      .n = n,
			      .step = o->reading != TRACE_POINT,
			      .end = (double)(end - start) / 1e9,
			      .epoch = (double)start / 1e9};
}

static int shape(struct ttable *tb, const struct trace_opts *o, struct trace *out)
{
	bool *use = xcalloc(tb->n_col ? tb->n_col : 1, sizeof *use);
	size_t n_use = 0;
	for (size_t i = 0; i < tb->n_col; i++)
		n_use += use[i] = chosen(&tb->col[i], o->series);
	struct grid g = {0};
	double *val = NULL, *sum = NULL;
	size_t filled = 0;
	int rc = 0;
	if (!n_use)
		rc = o->series ? no_series(tb, o->series) : herr_at(tb->e, tb->name, 0, 0, "no series");
	if (!rc)
		merge_times(tb, use, &g);
	if (!rc && !g.n)
		rc = herr_at(tb->e, tb->name, 0, 0, "no values: every one is a gap");
	if (!rc)
		rc = find_step(tb, o, &g);
	if (!rc && (o->reading != TRACE_POINT || o->step > 0))
		rc = fill_grid(tb, &g); /* points without a step may be irregular */
	if (!rc) {
		val = xmalloc(g.n * sizeof *val);
		sum = xcalloc(g.n, sizeof *sum);
	}
	for (size_t i = 0; !rc && i < tb->n_col; i++)
		if (use[i])
			rc = add_series(tb, &tb->col[i], &g, o, val, sum, &filled);
	if (!rc) {
		to_trace(&g, sum, o, out);
		out->n_filled = filled;
		out->n_series = n_use;
	}
	free(use);
	free(g.t);
	free(val);
	free(sum);
	return rc;
}

/* --- the interface --- */

static bool is_json(const char *s, size_t n)
{
	size_t i = 0;
	if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i < n && (s[i] == '{' || s[i] == '['); /* no CSV starts with either */
}

int trace_read(struct trace *out, const char *name, const char *text, size_t len, const struct trace_opts *o,
	       struct herr *e)
{
	struct ttable tb = {.name = name, .e = e};
	int rc = is_json(text, len) ? prom_read(&tb, text, len) : csv_read(&tb, text, len, o->zone);
	if (!rc)
		rc = shape(&tb, o, out);
	tt_free(&tb);
	return rc;
}

int trace_read_file(struct trace *out, const char *path, const struct trace_opts *o, struct herr *e)
{
	char why[160];
	size_t len = 0;
	char *text = file_slurp(path, FILE_MAX_TRACE, &len, why, sizeof why);
	if (!text)
		return herr_at(e, path, 0, 0, "%s", why);
	int rc = trace_read(out, path, text, len, o, e);
	free(text);
	return rc;
}

static const struct trace_opts points = {.reading = TRACE_POINT};

int trace_parse(struct trace *out, const char *name, const char *text, size_t len, struct herr *e)
{
	return trace_read(out, name, text, len, &points, e);
}

int trace_load(struct trace *out, const char *path, struct herr *e)
{
	return trace_read_file(out, path, &points, e);
}

void trace_free(struct trace *t)
{
	if (!t)
		return;
	free(t->t);
	free(t->rps);
	*t = (struct trace){0};
}

size_t trace_upper(const struct trace *t, double s)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->t[mid] <= s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

double trace_value(const struct trace *t, double s)
{
	size_t i = trace_upper(t, s);
	if (i == 0)
		return t->rps[0];
	if (t->step || i == t->n)
		return t->rps[i - 1];
	double w = (s - t->t[i - 1]) / (t->t[i] - t->t[i - 1]);
	return t->rps[i - 1] + w * (t->rps[i] - t->rps[i - 1]);
}

int trace_window(struct trace *t, double from, double to, char *why, size_t why_n)
{
	double a = isnan(from) ? 0 : from - t->epoch, b = isnan(to) ? t->end : to - t->epoch;
	if (!(a < b) || a >= t->end || b <= 0) {
		snprintf(why, why_n, "the window (%.3f s to %.3f s after the trace's start) misses the trace, which lasts %.3f s",
			 a, b, t->end);
		return -1;
	}
	if (a < -1e-6) {
		snprintf(why, why_n,
			 "the window starts %.3f s before the trace does (its first interval): the run's t = 0 would not "
			 "be the window's start",
			 -a);
		return -1;
	}
	a = HR_MAX(a, 0.0);
	b = HR_MIN(b, t->end);
	double *nt = xmalloc((t->n + 2) * sizeof *nt), *nr = xmalloc((t->n + 2) * sizeof *nr);
	size_t n = 0;
	if (t->step) {
		for (size_t i = 0; i < t->n; i++) {
			double next = i + 1 < t->n ? t->t[i + 1] : t->end;
			if (next <= a || t->t[i] >= b)
				continue;
			nt[n] = HR_MAX(t->t[i], a) - a;
			nr[n++] = t->rps[i];
		}
	} else {
		nt[n] = 0;
		nr[n++] = trace_value(t, a);
		for (size_t i = 0; i < t->n; i++)
			if (t->t[i] > a && t->t[i] < b) {
				nt[n] = t->t[i] - a;
				nr[n++] = t->rps[i];
			}
		if (b > a) {
			nt[n] = b - a;
			nr[n++] = trace_value(t, b);
		}
	}
	free(t->t);
	free(t->rps);
	t->t = nt;
	t->rps = nr;
	t->n = n;
	t->end = b - a;
	t->epoch += a;
	return 0;
}
