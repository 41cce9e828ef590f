/*
 * rng.h: random number streams.
 *
 * Every model instance draws from its own stream, seeded from (run seed,
 * model, instance) through splitmix64, so adding a model, a pod or a thread
 * never changes another stream's draws. A stream is a GSL generator
 * (gsl_rng *), so all of GSL's distributions (gsl_ran_gamma, gsl_ran_lognormal,
 * ...) work on it. Its type is xoshiro256++ registered as a gsl_rng_type:
 * GSL's own generators take 32-bit seeds (a million streams would collide by
 * the birthday bound), this one takes the full 64-bit stream key and has a
 * 2^256 - 1 period. The hot path uses the inline draws below, which read
 * the same state without going through GSL's function pointers.
 */
#ifndef HEADROOM_RNG_H
#define HEADROOM_RNG_H

#include <gsl/gsl_rng.h>
#include <math.h>

#include "common.h"

/* Model identifiers for stream keys. Never renumber: it would change results. */
enum rng_model {
	RNG_TRAFFIC = 1,   /* arrivals of an entry service (instance: service) */
	RNG_DISPERSION = 2,/* over-dispersion factors (instance: service) */
	RNG_FANOUT = 3,    /* whether a downstream call is made (instance: service) */
	RNG_BALANCER = 4,  /* pod choice (instance: service) */
	RNG_DEMAND = 5,    /* CPU demand per request (instance: service) */
	RNG_POD = 6,       /* pod lifecycle latencies (instance: service) */
	RNG_CONTROL = 7,   /* control plane (instance: controller) */
	RNG_NODES = 8,     /* node provisioning (instance: provisioner) */
	RNG_SPOT = 9       /* spot interruptions (instance 0) */
};

extern const gsl_rng_type *rng_xoshiro256pp;

uint64_t rng_splitmix64(uint64_t x);
/* The 64-bit key of stream (seed, model, instance). */
uint64_t rng_key(uint64_t seed, uint64_t model, uint64_t instance);
/* A new stream for (seed, model, instance); free with gsl_rng_free. */
gsl_rng *rng_stream(uint64_t seed, uint64_t model, uint64_t instance);

static inline uint64_t rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* The next 64 random bits of a stream made by rng_stream. */
static inline uint64_t rng_next(gsl_rng *r)
{
	uint64_t *s = (uint64_t *)r->state;
	uint64_t out = rng_rotl(s[0] + s[3], 23) + s[0];
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl(s[3], 45);
	return out;
}
/* Uniform on [0, 1), 53 bits. */
static inline double rng_u01(gsl_rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }
/* Uniform on (0, 1]. */
static inline double rng_u01_pos(gsl_rng *r) { return (double)((rng_next(r) >> 11) + 1) * 0x1.0p-53; }
/*
 * Exponential draws by the ziggurat method (Marsaglia and Tsang, 2000, with
 * 256 layers): about 99 % of draws cost one random word, a compare and a
 * multiply, no logarithm. The layer comes from the low 8 bits of the word
 * and the abscissa from its top 53, so the two are independent (Doornik's
 * fix of the original's correlation).
 */
struct rng_zig {
	uint64_t k[256]; /* acceptance thresholds, scaled by 2^53 */
	double w[256];   /* abscissa per unit of the 53-bit draw */
	double f[256];   /* exp(-x_i) at the layer edges */
};
extern struct rng_zig rng_zig_exp; /* filled once by rng_stream */
double rng_exp_tail(gsl_rng *r, uint64_t u);

/* Exponential with mean 1. */
static inline double rng_exp1(gsl_rng *r)
{
	uint64_t u = rng_next(r);
	uint64_t j = u >> 11;
	unsigned i = (unsigned)(u & 255);
	if (j < rng_zig_exp.k[i])
		return (double)j * rng_zig_exp.w[i];
	return rng_exp_tail(r, u);
}
/* Exponential with the given mean. */
static inline double rng_exp(gsl_rng *r, double mean) { return mean * rng_exp1(r); }
/* Uniform integer on [0, n), n > 0 (Lemire's multiply; bias < n / 2^64). */
static inline uint32_t rng_below(gsl_rng *r, uint32_t n)
{
	return (uint32_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

#endif
