/*
 * Vendored for `make bench` (tools/bench.sh, the mm8 ratio of BENCHMARKS.md).
 *
 * Provenance: the bench folder of the design card the project began from
 * (kept outside this repository), copied 2026-12-02. Everything below this
 * comment is that file unchanged, byte for byte (sha256 dd3a6dda0f32edab
 * 2d0a41cb8a0076c31dab3e435ea2dfefdea7c7a1a0da5b94); check with
 *   tail -n +25 tools/bench/mmc_bare.c | sha256sum
 * It is someone else's code kept as it is, so it does not follow STYLE.md.
 *
 * How `make bench` uses it: built with the project's CFLAGS and no USE_GSL or
 * USE_ZIG (xoshiro256**, exponentials by inversion) as $(BUILD)/tools/mmc_bare,
 * run as `mmc_bare 2000000 1`. Its model is scenarios/bench/mm8.yaml's, with
 * the constants compiled in (change both together): C_SERVERS 8 workers,
 * LAMBDA 6.4 arrivals/s, MU 1/s (exponential demand of mean 1 s on a whole
 * core), FIFO, unbounded queue. Two differences that do not matter for the
 * rate: it stops after N = 2,000,000 arrivals and drains the queue, where
 * mm8.yaml stops at 312,500 simulated seconds (2,000,000 arrivals on average)
 * with requests still in flight; and it keeps only the mean wait, where
 * headroom keeps histograms, SLO windows and samples.
 * Its output: RESULT ... n=N ... sim_s=WALL ... where sim_s is the loop's
 * wall-clock seconds (not simulated seconds as in `headroom bench`), so its
 * requests per second are n / sim_s.
 */
/* Bare-minimum M/M/c event loop: binary min-heap of (time, type, id) events,
 * xoshiro256** RNG, exponential by inversion (-log(1-u)/rate), FIFO ring of
 * arrival times.  Approximates the single-core physical limit for this model.
 * Build variants: -DUSE_GSL uses GSL's gsl_rng_mt19937 + gsl_ran_exponential;
 *                 -DUSE_ZIG uses a 256-layer exponential ziggurat on xoshiro256**.
 * Usage: mmc_bare N SEED       Events counted = arrivals + departures. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef USE_GSL
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
static gsl_rng *grng;
#endif

#define C_SERVERS 8
#define LAMBDA 6.4
#define MU 1.0
enum { EV_ARR = 0, EV_DEP = 1 };

typedef struct { double t; uint32_t type; uint32_t id; } event_t;   /* 16 bytes */

/* ---- xoshiro256** (Blackman & Vigna), seeded by splitmix64 ---- */
static uint64_t s[4];
static inline uint64_t rotl(const uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t xoshiro(void)
{
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45);
    return result;
}
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
#ifdef USE_ZIG
/* Marsaglia & Tsang (2000) 256-layer exponential ziggurat, driven by one
 * 64-bit xoshiro256** output: low 8 bits pick the layer, top 32 bits the value. */
static double ke[256], we[256], fe[256];
static void zigset(void)
{
    const double m2 = 4294967296.0;
    double de = 7.697117470131487, te = de, ve = 3.949659822581572e-3;
    const double q = ve / exp(-de);
    ke[0] = (de / q) * m2; ke[1] = 0;
    we[0] = q / m2; we[255] = de / m2;
    fe[0] = 1.0; fe[255] = exp(-de);
    for (int i = 254; i >= 1; i--) {
        de = -log(ve / de + exp(-de));
        ke[i + 1] = (de / te) * m2;
        te = de; fe[i] = exp(-de); we[i] = de / m2;
    }
}
static inline double unif01(void) { return ((double)(xoshiro() >> 11) + 0.5) * 0x1.0p-53; }
static double zig_fix(uint64_t r)
{
    for (;;) {
        const uint32_t iz = (uint32_t)(r & 255u); const double jz = (double)(r >> 32);
        if (iz == 0) return 7.697117470131487 - log(unif01());
        const double x = jz * we[iz];
        if (fe[iz] + unif01() * (fe[iz - 1] - fe[iz]) < exp(-x)) return x;
        r = xoshiro();
        if ((double)(r >> 32) < ke[r & 255u]) return (double)(r >> 32) * we[r & 255u];
    }
}
static inline double std_exp_zig(void)
{
    const uint64_t r = xoshiro();
    const double jz = (double)(r >> 32); const uint32_t iz = (uint32_t)(r & 255u);
    return (jz < ke[iz]) ? jz * we[iz] : zig_fix(r);
}
#endif
static inline double expo(double rate)
{
#ifdef USE_ZIG
    return std_exp_zig() / rate;
#elif defined(USE_GSL)
    return gsl_ran_exponential(grng, 1.0 / rate);
#else
    const double u = (double)(xoshiro() >> 11) * 0x1.0p-53;   /* [0,1) */
    return -log1p(-u) / rate;                                   /* = -log(1-u) */
#endif
}

/* ---- binary min-heap, 1-based ---- */
static event_t *heap; static uint32_t hn = 0;
static inline void heap_push(double t, uint32_t type, uint32_t id)
{
    uint32_t i = ++hn;
    while (i > 1 && heap[i >> 1].t > t) { heap[i] = heap[i >> 1]; i >>= 1; }
    heap[i].t = t; heap[i].type = type; heap[i].id = id;
}
static inline event_t heap_pop(void)
{
    event_t top = heap[1];
    const event_t last = heap[hn--];
    uint32_t i = 1, c;
    while ((c = i << 1) <= hn) {
        if (c < hn && heap[c + 1].t < heap[c].t) c++;
        if (heap[c].t >= last.t) break;
        heap[i] = heap[c]; i = c;
    }
    heap[i] = last;
    return top;
}

int main(int argc, char **argv)
{
    const uint64_t n = (argc > 1) ? strtoull(argv[1], NULL, 10) : 2000000u;
    uint64_t seed = (argc > 2) ? strtoull(argv[2], NULL, 10) : 1u;
#ifdef USE_GSL
    grng = gsl_rng_alloc(gsl_rng_mt19937); gsl_rng_set(grng, (unsigned long)seed);
    const char *name = "bare-C-heap+GSL-mt19937";
#else
    for (int i = 0; i < 4; i++) s[i] = splitmix64(&seed);
#ifdef USE_ZIG
    zigset();
    const char *name = "bare-C-heap+xoshiro256ss+ziggurat";
#else
    const char *name = "bare-C-heap+xoshiro256ss";
#endif
    seed = (argc > 2) ? strtoull(argv[2], NULL, 10) : 1u;
#endif
    heap = malloc(sizeof(event_t) * (C_SERVERS + 8));
    const uint64_t fmask = (1u << 16) - 1u;   /* ring of 65536 waiting customers; overflow is checked */
    double *fifo = malloc(sizeof(double) * (fmask + 1));
    uint64_t head = 0, tail = 0, arrived = 0, departed = 0, events = 0;
    int busy = 0; double sum_wq = 0.0, now = 0.0;

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    heap_push(expo(LAMBDA), EV_ARR, 0);
    while (hn) {
        const event_t e = heap_pop();
        now = e.t; events++;
        if (e.type == EV_ARR) {
            arrived++;
            if (busy < C_SERVERS) { busy++; heap_push(now + expo(MU), EV_DEP, (uint32_t)arrived); }
            else {
                if (tail - head > fmask) { fprintf(stderr, "fifo overflow\n"); return 2; }
                fifo[tail++ & fmask] = now;
            }
            if (arrived < n) heap_push(now + expo(LAMBDA), EV_ARR, (uint32_t)arrived + 1u);
        } else {
            departed++;
            if (tail != head) {
                sum_wq += now - fifo[head++ & fmask];
                heap_push(now + expo(MU), EV_DEP, e.id);
            } else busy--;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const double dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (departed != n || events != 2 * n) { fprintf(stderr, "count mismatch\n"); return 1; }
    printf("RESULT sys=%s n=%" PRIu64 " seed=%" PRIu64 " events=%" PRIu64
           " sim_s=%.4f ev_per_s=%.0f Wq=%.6f T_end=%.1f\n",
           name, n, seed, events, dt, (double)events / dt, sum_wq / (double)n, now);
    return 0;
}
