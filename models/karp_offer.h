/*
 * karp_offer.h: the offerings a NodeClaim may launch into, which one it
 * launches, and the unavailable-offerings cache, as functions of a state a
 * test builds directly (models/karpenter.c and karp_sched.c call them).
 *
 * An offering is an instance type in a zone as a capacity type (on-demand
 * or spot) at a price (aws/karpenter-provider-aws pkg/providers/instancetype/
 * offering/base_resolver.go). Karpenter sees one as available when the
 * cluster offers it (the scenario's offerings table, scn_offer_price) and no
 * insufficient-capacity error marked it unavailable in the last
 * UnavailableOfferingsTTL, **3 minutes** (pkg/cache/cache.go; the cache is
 * pkg/cache/unavailableofferings.go, keyed capacity type, type, zone).
 *
 * Which offering a NodeClaim launches follows the provider's Create
 * (pkg/providers/instance/instance.go at the commit docs/model.md names):
 *   1. filterInstanceTypes' SpotOfferingFilter (pkg/providers/instance/
 *      filter/filter.go): when the claim allows both capacity types and has
 *      no minValues, spot offerings dearer than the cheapest available
 *      on-demand one are dropped;
 *   2. getCapacityType: spot when the claim allows it and one of its
 *      options has an available spot offering in its zones, else on-demand;
 *   3. EC2 Fleet over the available offerings of that capacity type
 *      (getOverrides): lowest-price for on-demand launches the cheapest;
 *      price-capacity-optimized for spot weighs the depth of each capacity
 *      pool, which is not public, so the cheapest stands for it here.
 * Ties go to the option listed first, then the zone listed first.
 *
 * Indices: type t is a catalog index, zone z an index into cluster.zones,
 * capacity type k KARP_OD or KARP_SPOT; a zone mask has bit z; capacity
 * types are SCN_ON_DEMAND | SCN_SPOT bits (scn.h). Prices are USD per hour,
 * times ns.
 */
#ifndef HEADROOM_KARP_OFFER_H
#define HEADROOM_KARP_OFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

enum { KARP_OD = 0, KARP_SPOT = 1 };

#define KARP_ICE_TTL (3 * SIM_MIN) /* awscache.UnavailableOfferingsTTL */

/* The offerings and what Karpenter has learned of them. */
struct karp_offers {
	size_t n_types, n_zones;
	const double *price; /* per (t * n_zones + z) * 2 + k: USD per hour, 0: not offered (borrowed: the
	                      * scenario's offer_price) */
	simtime *until;      /* the same layout: unavailable until this time (an insufficient-capacity error
	                      * marked it), 0: never marked; NULL: no cache (borrowed) */
};

/* An offering chosen; type -1: none. */
struct karp_pick {
	int type;     /* catalog index, or -1 */
	int zone;     /* index into cluster.zones */
	int k;        /* KARP_OD or KARP_SPOT */
	double price; /* USD per hour */
};

/* Whether offering (t, z, k) is offered and, in Karpenter's view at now,
 * available (not marked unavailable within the TTL). */
bool karp_offer_available(const struct karp_offers *o, int t, int z, int k, simtime now);

/* Marks offering (t, z, k) unavailable from now for KARP_ICE_TTL
 * (UnavailableOfferings.MarkUnavailable). o->until must not be NULL. */
void karp_offer_mark(struct karp_offers *o, int t, int z, int k, simtime now);

/* OrderByPrice's price of type t for a claim of zones `zones` and capacity
 * types `cts`: its cheapest available offering there; 0: none. */
double karp_offer_min(const struct karp_offers *o, int t, uint64_t zones, unsigned cts, simtime now);

/* Whether type t has an available offering in zones with a capacity type of cts. */
bool karp_offer_any(const struct karp_offers *o, int t, uint64_t zones, unsigned cts, simtime now);

/* WorstLaunchPrice (cloudprovider/types.go): the dearest available
 * offering of t in zones of the capacity type a launch would use, spot
 * before on-demand; 0: none. Consolidation compares it with what a node
 * costs. */
double karp_offer_worst(const struct karp_offers *o, int t, uint64_t zones, unsigned cts, simtime now);

/* The launch's price cap for spot (SpotOfferingFilter): the cheapest
 * available on-demand offering of the options types[0..n) in zones when
 * cts allows both, minValues are absent and both kinds are on offer;
 * else INFINITY. */
double karp_offer_spot_cap(const struct karp_offers *o, const int *types, size_t n, uint64_t zones, unsigned cts,
			   bool min_values, simtime now);

/* getCapacityType: KARP_SPOT when cts allows spot and an option has an
 * available spot offering in zones at most spot_cap, else KARP_OD (KARP_SPOT
 * when cts allows only spot: then none is available). */
int karp_offer_capacity(const struct karp_offers *o, const int *types, size_t n, uint64_t zones, unsigned cts,
			double spot_cap, simtime now);

/* The cheapest available offering of capacity type k among the options
 * types[0..n) in zones (spot ones above spot_cap left out); type -1: none. */
struct karp_pick karp_offer_cheapest(const struct karp_offers *o, const int *types, size_t n, uint64_t zones, int k,
				     double spot_cap, simtime now);

/* The offering a NodeClaim of options types[0..n), zones and capacity
 * types cts launches, as Karpenter sees the offerings at now (steps 1-3
 * above); type -1: none available. */
struct karp_pick karp_offer_pick(const struct karp_offers *o, const int *types, size_t n, uint64_t zones, unsigned cts,
				 bool min_values, simtime now);

#endif
