/*
 * The trace reader: the CSV dialects of Prometheus and Grafana exports, and
 * one test per way a row can be wrong, with the exact message and position
 * a user would see.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"

static int parse(struct trace *t, const char *text, struct herr *e)
{
	return trace_parse(t, "x.csv", text, strlen(text), e);
}

/* Parses text and checks the rows against t[] and rps[] (n of them). */
static void expect_rows(const char *text, const double *t, const double *rps, size_t n)
{
	struct trace tr = {0};
	struct herr e = {{0}};
	cr_assert_eq(parse(&tr, text, &e), 0, "%s", e.msg);
	cr_assert_eq(tr.n, n, "rows: got %zu, want %zu", tr.n, n);
	for (size_t i = 0; i < n; i++) {
		cr_expect(fabs(tr.t[i] - t[i]) < 1e-9, "row %zu: t %.12g, want %.12g", i, tr.t[i], t[i]);
		cr_expect_eq(tr.rps[i], rps[i], "row %zu: rps %.12g, want %.12g", i, tr.rps[i], rps[i]);
	}
	trace_free(&tr);
}

static void expect_error(const char *text, const char *msg)
{
	struct trace tr = {0};
	struct herr e = {{0}};
	cr_assert_eq(parse(&tr, text, &e), -1, "accepted: %s", text);
	cr_expect_str_eq(e.msg, msg);
	cr_expect_null(tr.t, "*out must be untouched on failure");
}

Test(trace, prometheus_unix_seconds)
{
	double t[] = {0, 15, 30.5}, r[] = {5, 7.5, 0};
	expect_rows("1700000000,5\n1700000015,7.5\n1700000030.5,0\n", t, r, 3);
}

Test(trace, header_and_spaces_and_no_final_newline)
{
	double t[] = {0, 60}, r[] = {3, 4};
	expect_rows("timestamp,rps\n 1700000000 , 3 \n1700000060,4", t, r, 2);
}

Test(trace, grafana_quoted_dates)
{
	double t[] = {0, 60, 3600}, r[] = {120.5, 130, 0.25};
	expect_rows("\"Time\",\"Value\"\n"
		    "\"2024-01-15 10:00:00\",\"120.5\"\n"
		    "\"2024-01-15 10:01:00\",\"130\"\n"
		    "\"2024-01-15 11:00:00\",\".25\"\n",
		    t, r, 3);
}

/* Dates are UTC and agree with Unix time across years, leap days and the
 * century rules (1705312800 is 2024-01-15 10:00:00 UTC). */
Test(trace, dates_agree_with_unix_time)
{
	double t[] = {0, 60, 3600.5}, r[] = {1, 2, 3};
	expect_rows("1705312800,1\n2024-01-15 10:01:00,2\n1705316400500,3\n", t, r, 3);
	double t2[] = {0, 30 + 86400 + 60}, r2[] = {1, 1};
	expect_rows("2023-12-31 23:59:30,1\n2024-01-02 00:01:00,1\n", t2, r2, 2);
	double t3[] = {0, 2 * 86400}, r3[] = {1, 1};
	expect_rows("2024-02-28 00:00:00,1\n2024-03-01 00:00:00,1\n", t3, r3, 2); /* 2024 is leap */
	expect_rows("2100-02-28 00:00:00,1\n2100-03-02 00:00:00,1\n", t3, r3, 2); /* 2100 is not */
	double t4[] = {0, 4107542400.0 - 951868800.0}, r4[] = {1, 1};
	expect_rows("2000-03-01 00:00:00,1\n4107542400,1\n", t4, r4, 2);
}

Test(trace, unix_milliseconds)
{
	double t[] = {0, 0.25, 1}, r[] = {1, 2, 3};
	expect_rows("1700000000000,1\n1700000000250,2\n1700000001000,3\n", t, r, 3);
}

Test(trace, iso_with_t_z_and_fraction)
{
	double t[] = {0, 0.25, 1.5, 2.000000001}, r[] = {1, 2, 3, 4};
	expect_rows("2024-01-15T10:00:00Z,1\n2024-01-15T10:00:00.250Z,2\n2024-01-15T10:00:01.5,3\n"
		    "2024-01-15T10:00:02.000000001Z,4\n",
		    t, r, 4);
}

Test(trace, semicolon_and_tab_separators)
{
	double t[] = {0, 10}, r[] = {1, 2.5};
	expect_rows("time;rps\n1700000000;1\n1700000010;2.5\n", t, r, 2);
	expect_rows("1700000000\t1\n1700000010\t2.5\n", t, r, 2);
	expect_rows("\"Time\";\"Value\"\n\"2024-01-15 10:00:00\";\"1\"\n\"2024-01-15 10:00:10\";2.5\n", t, r, 2);
}

Test(trace, comments_blank_lines_crlf)
{
	double t[] = {0, 10}, r[] = {1, 2};
	expect_rows("# exported by hand\n\n  \ntimestamp,rps\r\n# mid\n1700000000,1\r\n\r\n1700000010,2\r\n", t, r, 2);
	expect_rows("\xEF\xBB\xBFTime,Value\n1700000000,1\n1700000010,2\n", t, r, 2);
}

Test(trace, exponent_and_zero)
{
	double t[] = {0, 1}, r[] = {1500, 0};
	expect_rows("1.7e9,1.5e3\n1700000001,-0\n", t, r, 2);
}

Test(trace, error_time_not_increasing)
{
	expect_error("1700000000,1\n1700000000,2\n", "x.csv:2:1: time \"1700000000\" is not after the time on line 1");
	expect_error("t,v\n1700000010,1\n\n 1700000000,2\n",
		     "x.csv:4:2: time \"1700000000\" is not after the time on line 2");
}

Test(trace, error_negative_rps)
{
	expect_error("1700000000,-3\n", "x.csv:1:12: bad value \"-3\": must be >= 0");
}

Test(trace, error_bad_numbers)
{
	expect_error("1700000000,12abc\n",
		     "x.csv:1:12: bad value \"12abc\": expected a non-negative decimal number");
	expect_error("1700000000,+Inf\n", "x.csv:1:12: bad value \"+Inf\": must be a finite number");
	expect_error("1700000000,1e999\n", "x.csv:1:12: bad value \"1e999\": out of range");
	/* A first row that starts like a number is data, not a header. */
	expect_error("17000x,1\n",
		     "x.csv:1:1: bad time \"17000x\": expected Unix seconds, Unix milliseconds or YYYY-MM-DD HH:MM:SS");
	expect_error("2024-02-30 00:00:00,1\n",
		     "x.csv:1:1: bad time \"2024-02-30 00:00:00\": expected YYYY-MM-DD HH:MM:SS[.fff] with Z, an "
		     "offset (+02:00) or none");
	expect_error("1700000000,1\n\"2024-01-15 10:00:00+1:00\",1\n",
		     "x.csv:2:1: bad time \"2024-01-15 10:00:00+1:00\": expected YYYY-MM-DD HH:MM:SS[.fff] with Z, "
		     "an offset (+02:00) or none");
	expect_error("99999999999,1\n", "x.csv:1:1: bad time \"99999999999\": out of range");
}

Test(trace, error_fields)
{
	expect_error("1700000000,1\n1700000010\n", "x.csv:2:11: missing second field (the value)");
	expect_error("1700000000\n", "x.csv:1:11: missing second field (the value)");
	expect_error("1700000000,1\n1700000010,1,2\n", "x.csv:2:14: extra field: the first row has 2");
	expect_error("t,a,b\n1700000000,1,2\n1700000010,1\n", "x.csv:3:13: 2 fields; the first row has 3");
	/* The first data row fixes the separator. */
	expect_error("1700000000;1\n1700000010,2\n", "x.csv:2:13: missing second field (the value)");
	expect_error("\"1700000000\",\"5\"x\n", "x.csv:1:17: unexpected 'x' after a closing quote");
	expect_error("1700000000,\"5\n", "x.csv:1:12: unterminated quote");
}

Test(trace, error_no_data)
{
	expect_error("", "x.csv: no data rows");
	expect_error("Time,Value\n# nothing yet\n\n", "x.csv: no data rows");
}

Test(trace, load_file)
{
	char path[] = "/tmp/headroom_trace_XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("Time,Value\n1700000000,2\n1700000030,4\n", f);
	fclose(f);
	struct trace tr = {0};
	struct herr e = {{0}};
	cr_assert_eq(trace_load(&tr, path, &e), 0, "%s", e.msg);
	cr_expect_eq(tr.n, 2);
	cr_expect_eq(tr.t[1], 30);
	cr_expect_eq(tr.rps[1], 4);
	trace_free(&tr);
	cr_expect_null(tr.t);
	cr_expect_eq(tr.n, 0);
	trace_free(NULL);

	/* Errors in a file name the file. */
	f = fopen(path, "w");
	fputs("1700000000,2\n1700000030,x\n", f);
	fclose(f);
	char want[256];
	snprintf(want, sizeof want, "%s:2:12: bad value \"x\": expected a non-negative decimal number", path);
	cr_expect_eq(trace_load(&tr, path, &e), -1);
	cr_expect_str_eq(e.msg, want);
	unlink(path);

	cr_expect_eq(trace_load(&tr, path, &e), -1);
	snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
	cr_expect_str_eq(e.msg, want);
}
