/*
 * Units as Kubernetes writes them: Go durations, resource.Quantity for CPU
 * and memory, rates and percentages. Table-driven: each row is an input and
 * the exact value it must give, or the phrase its refusal must contain.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "units.h"

struct drow {
	const char *in;
	simtime want; /* -1: must be refused */
};

Test(units, durations)
{
	static const struct drow rows[] = {
		{"250ms", 250 * SIM_MS}, {"30s", 30 * SIM_S}, {"5m", 5 * SIM_MIN}, {"1h", SIM_HOUR},
		{"1h30m", 90 * SIM_MIN}, {"1.5h", 90 * SIM_MIN}, {"100us", 100 * SIM_US}, {"10ns", 10},
		{"\xc2\xb5s", -1}, {"2\xc2\xb5s", 2 * SIM_US}, {"0", 0}, {"0s", 0}, {"2d", 48 * SIM_HOUR},
		{"1m30s", 90 * SIM_S}, {".5s", 500 * SIM_MS}, {"312500s", 312500 * SIM_S},
		{"30", -1}, {"", -1}, {"s", -1}, {"-1s", -1}, {"1e3s", -1}, {"20parsecs", -1}, {"5 m", -1},
		{"inf", -1}, {"nans", -1}, {"1hh", -1}, {"0x10s", -1}, {"1ms2", -1}, {"999999999999h", -1},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		simtime t = -7;
		char why[UNITS_WHY] = "";
		int rc = units_duration(rows[i].in, &t, why);
		if (rows[i].want < 0) {
			cr_expect(rc == -1, "'%s' should be refused, got %lld", rows[i].in, (long long)t);
			cr_expect(strlen(why) > 0, "'%s': refusal without a reason", rows[i].in);
		} else {
			cr_expect(rc == 0 && t == rows[i].want, "'%s': got rc %d, %lld ns, want %lld (%s)", rows[i].in, rc,
				  (long long)t, (long long)rows[i].want, why);
		}
	}
}

Test(units, bare_number_duration_says_which_unit)
{
	simtime t;
	char why[UNITS_WHY];
	cr_assert_eq(units_duration("30", &t, why), -1);
	cr_expect(strstr(why, "needs a unit") != NULL, "%s", why);
}

struct nrow {
	const char *in;
	double want;
	int rc;
};

static void check(int (*f)(const char *, double *, char *), const struct nrow *rows, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		double v = -12345;
		char why[UNITS_WHY] = "";
		int rc = f(rows[i].in, &v, why);
		cr_expect(rc == rows[i].rc, "%s '%s': rc %d, want %d (%s)", what, rows[i].in, rc, rows[i].rc, why);
		if (!rows[i].rc && !rc)
			cr_expect(v == rows[i].want || fabs(v - rows[i].want) <= 1e-12 * fabs(rows[i].want),
				  "%s '%s': got %.17g want %.17g", what, rows[i].in, v, rows[i].want);
		if (rc)
			cr_expect(strlen(why) > 0);
	}
}

/* Kubernetes' own examples (resource.Quantity docs, quantity_test.go). */
Test(units, cpu)
{
	static const struct nrow rows[] = {
		{"500m", 0.5, 0}, {"2", 2, 0}, {"0.5", 0.5, 0}, {"1.5", 1.5, 0}, {"100m", 0.1, 0}, {"1", 1, 0},
		{"2500m", 2.5, 0}, {"0.1", 0.1, 0}, {"1k", 0, -1}, {"500mi", 0, -1}, {"-1", 0, -1},
		{"one", 0, -1}, {"", 0, -1}, {"1 ", 0, -1}, {"nan", 0, -1},
	};
	check(units_cpu, rows, sizeof rows / sizeof rows[0], "cpu");
}

Test(units, memory)
{
	static const struct nrow rows[] = {
		{"128974848", 128974848, 0}, {"129e6", 129e6, 0}, {"129M", 129e6, 0},
		{"123Mi", 123.0 * 1048576, 0}, {"1Gi", 1073741824, 0}, {"512Mi", 536870912, 0},
		{"1G", 1e9, 0}, {"2Ti", 2.0 * 1099511627776.0, 0}, {"1Ki", 1024, 0}, {"1k", 1000, 0},
		{"1gi", 0, -1}, {"1GB", 0, -1}, {"lots", 0, -1}, {"-1Gi", 0, -1},
	};
	check(units_memory, rows, sizeof rows / sizeof rows[0], "memory");
}

Test(units, rates)
{
	static const struct nrow rows[] = {
		{"300rps", 300, 0}, {"300", 300, 0}, {"300/s", 300, 0}, {"6.4rps", 6.4, 0},
		{"18000rpm", 300, 0}, {"18000/m", 300, 0}, {"3600rph", 1, 0}, {"300 rps", 0, -1},
		{"300qps", 0, -1}, {"-3rps", 0, -1},
	};
	check(units_rate, rows, sizeof rows / sizeof rows[0], "rate");
}

Test(units, fractions)
{
	static const struct nrow rows[] = {
		{"140%", 1.4, 0}, {"60%", 0.6, 0}, {"0.1%", 0.001, 0}, {"0.6", 0.6, 0}, {"1", 1, 0},
		{"100%", 1, 0}, {"60 %", 0, -1}, {"60%%", 0, -1}, {"half", 0, -1},
	};
	check(units_fraction, rows, sizeof rows / sizeof rows[0], "fraction");
}

Test(units, clock)
{
	static const struct nrow rows[] = {
		{"14:00", 14 * 3600, 0}, {"00:00", 0, 0}, {"23:59:59", 86399, 0}, {"09:30", 9.5 * 3600, 0},
		{"24:00", 0, -1}, {"9:30", 0, -1}, {"12:60", 0, -1}, {"noon", 0, -1}, {"12:00pm", 0, -1},
	};
	check(units_clock, rows, sizeof rows / sizeof rows[0], "clock");
}

Test(units, integers)
{
	int64_t v;
	char why[UNITS_WHY];
	cr_expect(units_integer("16", &v, why) == 0 && v == 16);
	cr_expect(units_integer("-3", &v, why) == 0 && v == -3);
	cr_expect(units_integer("1.5", &v, why) == -1);
	cr_expect(units_integer("lots", &v, why) == -1);
	cr_expect(units_integer("", &v, why) == -1);
	cr_expect(units_integer("99999999999999999999", &v, why) == -1);
	cr_expect(strstr(why, "too large") != NULL, "%s", why);
}
