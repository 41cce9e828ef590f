/*
 * trace.c: reading a traffic trace from CSV.
 *
 * One pass over the text, a line at a time. The first row that is not blank
 * or a comment is a header if its first field does not start like a number
 * (a digit, a sign or a point): "Time", timestamp, ... A row whose time is
 * malformed but starts with a digit is an error, never a silent header.
 * The separator is the first `,`, `;` or tab outside quotes in the first
 * data row, and every later row must use it.
 *
 * Times are kept as integer nanoseconds since the Unix epoch while reading,
 * so millisecond exports of a year are compared and subtracted exactly, and
 * converted to seconds from the first row at the end. Dates are converted
 * with tz_days_from_civil (sim/tz.h; Howard Hinnant's algorithm, proleptic
 * Gregorian), not timegm, which depends on the C library and the TZ
 * variable. Numbers are parsed here too, not by strtod, whose decimal point
 * follows the locale.
 */
#include "trace.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tz.h"

#define MAX_FIELDS 3        /* a third field is only seen to be reported */
#define MS_ABOVE 1e11       /* timestamps above this are milliseconds */
#define MAX_SECONDS 4.6e9   /* |time| limit, s (years 1824 to 2115): ns differences fit int64 */
#define SHOW 40             /* at most this many bytes of a field in a message */

struct field {
	const char *s; /* its text, without quotes or surrounding spaces */
	size_t n;
	int col;       /* 1-based column where the field starts */
};

struct parser {
	const char *name;  /* for messages */
	struct herr *e;
	int line;          /* 1-based */
	char sep;          /* 0 until the first data row fixes it */
	bool seen_row;     /* the row that may be a header is behind us */
	int64_t t0;        /* time of the first row, ns since the epoch */
	int64_t prev;      /* time of the last row, ns since the epoch */
	int prev_line;
	double *t, *rps;   /* the rows so far */
	size_t n, cap;
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

/* YYYY-MM-DD(space|T)HH:MM:SS[.fff][Z] in UTC, to ns since the epoch. */
static bool parse_date(const char *s, size_t n, int64_t *ns)
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
	if (i < n && s[i] == 'Z')
		i++;
	if (i != n)
		return false;
	int64_t secs = tz_days_from_civil(y, (int)mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	if (fabs((double)secs) > MAX_SECONDS)
		return false;
	*ns = secs * SIM_S + frac;
	return true;
}

static bool looks_like_date(const struct field *f)
{
	unsigned y;
	return f->n >= 5 && f->s[4] == '-' && fixed_digits(f->s, 4, &y);
}

static int parse_time(struct parser *p, const struct field *f, int64_t *ns)
{
	if (looks_like_date(f)) {
		if (!parse_date(f->s, f->n, ns))
			return fail(p, f->col, "bad time \"%.*s\": expected YYYY-MM-DD HH:MM:SS[.fff] in UTC",
				    shown(f), f->s);
		return 0;
	}
	struct dec d;
	if (!parse_dec(f->s, f->n, &d))
		return fail(p, f->col,
			    "bad time \"%.*s\": expected Unix seconds, Unix milliseconds or YYYY-MM-DD HH:MM:SS",
			    shown(f), f->s);
	double v = dec_value(&d);
	bool ms = v > MS_ABOVE;
	if (fabs(ms ? v / 1000 : v) > MAX_SECONDS || !dec_scaled(&d, ms ? 6 : 9, ns))
		return fail(p, f->col, "time \"%.*s\" out of range", shown(f), f->s);
	return 0;
}

/* --- rps --- */

/* NaN and infinities, as Prometheus and Grafana print them. */
static bool not_finite(const struct field *f)
{
	static const char *const words[] = {"nan", "inf", "infinity", "+inf", "-inf", "+infinity", "-infinity"};
	for (size_t i = 0; i < ARRAY_LEN(words); i++)
		if (f->n == strlen(words[i]) && !strncasecmp(f->s, words[i], f->n))
			return true;
	return false;
}

static int parse_rps(struct parser *p, const struct field *f, double *rps)
{
	struct dec d;
	if (not_finite(f))
		return fail(p, f->col, "rps must be a finite number, got \"%.*s\"", shown(f), f->s);
	if (!parse_dec(f->s, f->n, &d))
		return fail(p, f->col, "bad rps \"%.*s\": expected a non-negative decimal number", shown(f), f->s);
	*rps = dec_value(&d);
	if (!isfinite(*rps))
		return fail(p, f->col, "rps \"%.*s\" out of range", shown(f), f->s);
	if (d.neg && d.m)
		return fail(p, f->col, "rps must be >= 0, got %.*s", shown(f), f->s);
	*rps = fabs(*rps); /* -0 */
	return 0;
}

/* --- rows --- */

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

/* The field starting at s[*i]; leaves *i on the separator or at n. */
static int cut_field(struct parser *p, const char *s, size_t n, size_t *i, char sep, struct field *f)
{
	while (*i < n && is_space(s[*i], sep))
		(*i)++;
	f->col = (int)*i + 1;
	if (*i < n && s[*i] == '"') {
		const char *close = memchr(s + *i + 1, '"', n - *i - 1);
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

/* Splits a row at sep into up to MAX_FIELDS fields (no sep: one field). */
static int split_row(struct parser *p, const char *s, size_t n, char sep, struct field *f, int *n_f)
{
	size_t i = 0;
	*n_f = 0;
	for (;;) {
		if (cut_field(p, s, n, &i, sep, &f[*n_f]))
			return -1;
		if (++*n_f == MAX_FIELDS || i >= n)
			return 0;
		i++; /* the separator */
	}
}

/* The header test: a first field that does not start like a number. */
static bool is_header(struct parser *p, const char *s, size_t n)
{
	struct field f[MAX_FIELDS];
	int n_f;
	struct herr *e = p->e;
	p->e = NULL; /* a header is not held to the rules of data rows */
	int rc = split_row(p, s, n, detect_sep(s, n), f, &n_f);
	p->e = e;
	if (rc || !f[0].n)
		return false; /* let the data row rules report it */
	char c = f[0].s[0];
	return !(is_digit(c) || c == '+' || c == '-' || c == '.');
}

static void append(struct parser *p, double t, double rps)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 256;
		p->t = xrealloc(p->t, p->cap * sizeof *p->t);
		p->rps = xrealloc(p->rps, p->cap * sizeof *p->rps);
	}
	p->t[p->n] = t;
	p->rps[p->n] = rps;
	p->n++;
}

static int parse_row(struct parser *p, const char *s, size_t n)
{
	if (!p->seen_row) {
		p->seen_row = true;
		if (is_header(p, s, n))
			return 0;
	}
	char sep = p->sep ? p->sep : detect_sep(s, n);
	struct field f[MAX_FIELDS];
	int n_f;
	if (split_row(p, s, n, sep, f, &n_f))
		return -1;
	if (n_f < 2)
		return fail(p, (int)n + 1, "missing second field (rps)");
	if (n_f > 2)
		return fail(p, f[2].col, "extra field: a row has two, time and rps");
	p->sep = sep;
	int64_t ns = 0;
	double rps = 0;
	if (parse_time(p, &f[0], &ns) || parse_rps(p, &f[1], &rps))
		return -1;
	if (p->n && ns <= p->prev)
		return fail(p, f[0].col, "time \"%.*s\" is not after the time on line %d", shown(&f[0]), f[0].s,
			    p->prev_line);
	if (!p->n)
		p->t0 = ns;
	p->prev = ns;
	p->prev_line = p->line;
	append(p, (double)(ns - p->t0) / 1e9, rps); /* exact for whole seconds */
	return 0;
}

/* Blank, or a comment. */
static bool skipped(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	return i == n || s[i] == '#';
}

int trace_parse(struct trace *out, const char *name, const char *text, size_t len, struct herr *e)
{
	struct parser p = {.name = name, .e = e};
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
	if (!rc && !p.n)
		rc = herr_at(e, name, 0, 0, "no data rows");
	if (rc) {
		free(p.t);
		free(p.rps);
		return -1;
	}
	*out = (struct trace){.t = p.t, .rps = p.rps, .n = p.n};
	return 0;
}

int trace_load(struct trace *out, const char *path, struct herr *e)
{
	char why[160];
	size_t len = 0;
	char *text = file_slurp(path, FILE_MAX_TRACE, &len, why, sizeof why);
	if (!text)
		return herr_at(e, path, 0, 0, "%s", why);
	int rc = trace_parse(out, path, text, len, e);
	free(text);
	return rc;
}

void trace_free(struct trace *t)
{
	if (!t)
		return;
	free(t->t);
	free(t->rps);
	*t = (struct trace){0};
}
