/*
 * hist_count_le (models/slo.h): a latency histogram as a Prometheus
 * histogram's cumulative buckets, at Envoy's default bounds (sink.h
 * SINK_LE_MS), checked against counts made by hand.
 */
#include <criterion/criterion.h>

#include "sink.h"
#include "slo.h"

static struct hist h;

Test(latency_le, hand_counted)
{
	static const double le_ms[SINK_N_LE] = SINK_LE_MS;
	double le[SINK_N_LE];
	for (int j = 0; j < SINK_N_LE; j++)
		le[j] = le_ms[j] * 1e6;
	hist_clear(&h);
	/* 0.3 ms, 1 ms exactly (under le=1), 4 ms, 6 ms twice, 30 ms, 2 s, 40 min (clamped at 18 min) */
	const int64_t v[] = {300000, 1000000, 4000000, 6000000, 6000000, 30000000, 2000000000, 2400000000000};
	for (size_t i = 0; i < ARRAY_LEN(v); i++)
		hist_add(&h, v[i]);
	uint64_t c[SINK_N_LE];
	hist_count_le(&h, le, SINK_N_LE, c);
	/* bounds: 0.5 1 5 10 25 50 100 250 500 1000 2500 5000 10000 30000 60000 300000 600000 1800000 3600000 */
	const uint64_t want[SINK_N_LE] = {1, 2, 3, 5, 5, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 8, 8};
	for (int j = 0; j < SINK_N_LE; j++)
		cr_expect_eq(c[j], want[j], "le=%g ms: %llu, want %llu", le_ms[j], (unsigned long long)c[j],
			     (unsigned long long)want[j]);
	/* Empty: all 0. */
	hist_clear(&h);
	hist_count_le(&h, le, SINK_N_LE, c);
	for (int j = 0; j < SINK_N_LE; j++)
		cr_expect_eq(c[j], 0);
}
