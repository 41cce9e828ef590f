/*
 * karp_offer.c: offerings and the launch's choice among them (see
 * karp_offer.h for the rules and their upstream files).
 */
#include "karp_offer.h"
#include "scn.h"

#include <assert.h>
#include <math.h>

static size_t at(const struct karp_offers *o, int t, int z, int k)
{
	assert(t >= 0 && (size_t)t < o->n_types && z >= 0 && (size_t)z < o->n_zones && (k == KARP_OD || k == KARP_SPOT));
	return ((size_t)t * o->n_zones + (size_t)z) * 2 + (size_t)k;
}

static unsigned ct_bit(int k) { return k == KARP_SPOT ? SCN_SPOT : SCN_ON_DEMAND; }

bool karp_offer_available(const struct karp_offers *o, int t, int z, int k, simtime now)
{
	size_t i = at(o, t, z, k);
	return o->price[i] > 0 && (!o->until || now >= o->until[i]);
}

void karp_offer_mark(struct karp_offers *o, int t, int z, int k, simtime now)
{
	assert(o->until);
	o->until[at(o, t, z, k)] = now + KARP_ICE_TTL;
}

/* The cheapest (dear: dearest) available offering of t in zones as a
 * capacity type of cts, spot above cap left out; 0: none. */
static double extreme(const struct karp_offers *o, int t, uint64_t zones, unsigned cts, double cap, bool dear,
		      simtime now)
{
	double best = 0;
	for (size_t z = 0; z < o->n_zones; z++) {
		if (!(zones >> z & 1))
			continue;
		for (int k = 0; k < 2; k++) {
			if (!(cts & ct_bit(k)) || !karp_offer_available(o, t, (int)z, k, now))
				continue;
			double p = o->price[at(o, t, (int)z, k)];
			if (k == KARP_SPOT && p > cap)
				continue;
			if (best <= 0 || (dear ? p > best : p < best))
				best = p;
		}
	}
	return best;
}

double karp_offer_min(const struct karp_offers *o, int t, uint64_t zones, unsigned cts, simtime now)
{
	return extreme(o, t, zones, cts, INFINITY, false, now);
}

bool karp_offer_any(const struct karp_offers *o, int t, uint64_t zones, unsigned cts, simtime now)
{
	return karp_offer_min(o, t, zones, cts, now) > 0;
}

double karp_offer_worst(const struct karp_offers *o, int t, uint64_t zones, unsigned cts, simtime now)
{
	double spot = cts & SCN_SPOT ? extreme(o, t, zones, SCN_SPOT, INFINITY, true, now) : 0;
	return spot > 0 ? spot : cts & SCN_ON_DEMAND ? extreme(o, t, zones, SCN_ON_DEMAND, INFINITY, true, now) : 0;
}

double karp_offer_spot_cap(const struct karp_offers *o, const int *types, size_t n, uint64_t zones, unsigned cts,
			   bool min_values, simtime now)
{
	if (min_values || (cts & (SCN_SPOT | SCN_ON_DEMAND)) != (SCN_SPOT | SCN_ON_DEMAND))
		return INFINITY;
	double od = 0;
	bool spot = false;
	for (size_t i = 0; i < n; i++) {
		double p = extreme(o, types[i], zones, SCN_ON_DEMAND, INFINITY, false, now);
		if (p > 0 && (od <= 0 || p < od))
			od = p;
		spot = spot || karp_offer_any(o, types[i], zones, SCN_SPOT, now);
	}
	return od > 0 && spot ? od : INFINITY;
}

int karp_offer_capacity(const struct karp_offers *o, const int *types, size_t n, uint64_t zones, unsigned cts,
			double spot_cap, simtime now)
{
	if (cts & SCN_SPOT)
		for (size_t i = 0; i < n; i++)
			if (extreme(o, types[i], zones, SCN_SPOT, spot_cap, false, now) > 0)
				return KARP_SPOT;
	return cts & SCN_ON_DEMAND ? KARP_OD : KARP_SPOT; /* spot only, none available: nothing to launch */
}

struct karp_pick karp_offer_cheapest(const struct karp_offers *o, const int *types, size_t n, uint64_t zones, int k,
				     double spot_cap, simtime now)
{
	struct karp_pick best = {.type = -1, .zone = -1, .k = k, .price = 0};
	for (size_t i = 0; i < n; i++)
		for (size_t z = 0; z < o->n_zones; z++) {
			if (!(zones >> z & 1) || !karp_offer_available(o, types[i], (int)z, k, now))
				continue;
			double p = o->price[at(o, types[i], (int)z, k)];
			if ((k == KARP_SPOT && p > spot_cap) || (best.type >= 0 && p >= best.price))
				continue;
			best = (struct karp_pick){types[i], (int)z, k, p};
		}
	return best;
}

struct karp_pick karp_offer_pick(const struct karp_offers *o, const int *types, size_t n, uint64_t zones, unsigned cts,
				 bool min_values, simtime now)
{
	double cap = karp_offer_spot_cap(o, types, n, zones, cts, min_values, now);
	int k = karp_offer_capacity(o, types, n, zones, cts, cap, now);
	return karp_offer_cheapest(o, types, n, zones, k, cap, now);
}
