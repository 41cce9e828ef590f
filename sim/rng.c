#include "rng.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct rng_zig rng_zig_exp;
static pthread_once_t zig_once = PTHREAD_ONCE_INIT;

/* The layers of Marsaglia and Tsang's REXP, in 53-bit fixed point. */
static void zig_init(void)
{
	const double m = 0x1.0p53;
	double de = 7.697117470131487, te = de, ve = 3.949659822581572e-3;
	double q = ve / exp(-de);
	struct rng_zig *z = &rng_zig_exp;
	z->k[0] = (uint64_t)(de / q * m);
	z->k[1] = 0;
	z->w[0] = q / m;
	z->w[255] = de / m;
	z->f[0] = 1.0;
	z->f[255] = exp(-de);
	for (int i = 254; i >= 1; i--) {
		de = -log(ve / de + exp(-de));
		z->k[i + 1] = (uint64_t)(de / te * m);
		te = de;
		z->f[i] = exp(-de);
		z->w[i] = de / m;
	}
}

/* The slow path: the wedge between layers, or the tail beyond the last. */
double rng_exp_tail(gsl_rng *r, uint64_t u)
{
	for (;;) {
		uint64_t j = u >> 11;
		unsigned i = (unsigned)(u & 255);
		if (j < rng_zig_exp.k[i])
			return (double)j * rng_zig_exp.w[i];
		if (i == 0)
			return 7.697117470131487 - log(rng_u01_pos(r));
		double x = (double)j * rng_zig_exp.w[i];
		if (rng_zig_exp.f[i] + rng_u01(r) * (rng_zig_exp.f[i - 1] - rng_zig_exp.f[i]) < exp(-x))
			return x;
		u = rng_next(r);
	}
}

uint64_t rng_splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t rng_key(uint64_t seed, uint64_t model, uint64_t instance)
{
	uint64_t h = rng_splitmix64(seed);
	h = rng_splitmix64(h ^ rng_splitmix64(model));
	return rng_splitmix64(h ^ rng_splitmix64(instance + 0x632be59bd9b4e019ULL));
}

/* Seeds the four state words from a 64-bit key with splitmix64, as the
 * xoshiro authors recommend; the state is never all zero. */
static void xo_seed(uint64_t *s, uint64_t key)
{
	for (int i = 0; i < 4; i++) {
		key += 0x9e3779b97f4a7c15ULL;
		uint64_t z = key;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		s[i] = z ^ (z >> 31);
	}
	if (!(s[0] | s[1] | s[2] | s[3]))
		s[0] = 1;
}

static void xo_set(void *state, unsigned long seed) { xo_seed(state, (uint64_t)seed); }

static unsigned long xo_get(void *state)
{
	gsl_rng r = {NULL, state};
	return (unsigned long)(rng_next(&r) >> 32);
}

static double xo_get_double(void *state)
{
	gsl_rng r = {NULL, state};
	return rng_u01(&r);
}

static const gsl_rng_type xoshiro_type = {
	"xoshiro256++", 0xffffffffUL, 0, 4 * sizeof(uint64_t), xo_set, xo_get, xo_get_double,
};
const gsl_rng_type *rng_xoshiro256pp = &xoshiro_type;

gsl_rng *rng_stream(uint64_t seed, uint64_t model, uint64_t instance)
{
	pthread_once(&zig_once, zig_init);
	gsl_rng *r = gsl_rng_alloc(rng_xoshiro256pp);
	if (!r)
		abort();
	xo_seed(r->state, rng_key(seed, model, instance));
	return r;
}
