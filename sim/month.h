/*
 * month.h: what a month of a scenario's cluster costs (docs/cost.md).
 *
 * A month is 730 hours: 730 / 24 normal days, and on `cost.event_days` of
 * them the simulated event besides. The normal day is modelled hour by
 * hour from the HPAs' steady state, not simulated: in hour h each
 * service's own traffic is its normal traffic (what its baseline uses,
 * sim/plan.h) x cost.day[h], its callers add theirs, and an HPA service
 * runs what its HPA settles on for that load, never below minReplicas
 * (so a buffer's floor is paid in every hour it holds); a service without
 * an HPA runs its replicas. A scheduled floor (an External metric on a
 * KEDA cron series, scn.h) is paid only while it holds: each hour of the
 * day is priced minute by minute over the month (730 h from 00:00 UTC of
 * the scenario's start), each distinct replica vector weighted by its
 * share of that hour's minutes. The nodes are those the scenario's provisioner
 * itself keeps for those pods: the cluster a run starts from (the initial
 * placement and, for Karpenter, the settled start), priced per node.
 *
 * An event day costs a normal day plus what a run spent above its own
 * starting cluster (runs' cost_usd - hours x start rate), averaged over
 * the plan's runs. A commitment discount takes cost.discount off
 * on-demand instances (never spot); the control plane is paid per
 * cluster-hour; each node-month adds its root volume.
 */
#ifndef HEADROOM_MONTH_H
#define HEADROOM_MONTH_H

#include "scn.h"

#define MONTH_HOURS 730.0                     /* AWS's month */
#define MONTH_DAYS (MONTH_HOURS / SCN_HOURS)  /* 30.42 normal days */

struct month_hour {
	double factor;      /* the day's traffic factor */
	double usd;         /* the cluster's instances, USD per hour (before any discount) */
	double spot_usd;    /* of which spot instances' */
	int nodes;          /* nodes (node_mean rounded) */
	double node_mean;   /* nodes, averaged over the hour's minutes in the month (scheduled floors) */
	double floor_share; /* share of the hour's minutes in the month in which a scheduled floor raises
	                     * some service above its steady state, 0 to 1 */
};

/* One normal day of a scenario's cluster. */
struct month_day {
	bool cluster;                     /* false: no nodes are modelled, nothing costs */
	struct month_hour hour[SCN_HOURS];
	int *replicas;                    /* [hour x n_services + service], without scheduled floors (owned) */
	double *share;                    /* per service: its pods' part of the day's instance USD, by CPU
	                                   * requests over each node's allocatable CPU (owned) */
	double unrequested;               /* the rest of the day's instance USD: DaemonSets and idle */
	double day_usd, day_spot_usd;     /* the day's instances, USD */
	double node_hours;                /* the day's node-hours */
	double start_nodes;               /* nodes a run starts with (the services' replicas) */
};

/* Models the normal day of scenario sc (a loaded, checked scenario or
 * variant). Free with month_day_free. */
void month_day(const struct scenario *sc, struct month_day *d);
void month_day_free(struct month_day *d);

/* The event: what a mean run spent above its starting cluster, once. */
struct month_event {
	double usd, spot_usd; /* instances, USD (NaN: no runs) */
	double node_hours;
};
/* From one run's cost row figures: its node cost (cost_usd, of which spot),
 * its node-hours, its length in hours and its start's rate (USD per hour,
 * of which spot) and nodes. */
struct month_event month_event_of(double cost_usd, double spot_usd, double node_hours, double hours,
				  double start_usd_hour, double start_spot_usd_hour, double start_nodes);

/* A month, item by item, USD. */
struct month_cost {
	double normal;        /* instances of the normal days (730 h of them), before the discount */
	double events;        /* the event days' instances above a normal day, before the discount */
	double discount;      /* taken off on-demand instances (<= 0) */
	double control_plane; /* clusters x price per cluster-hour x 730 h */
	double volumes;       /* node-months x root volume x its price */
	double total;         /* the sum */
	double node_hours;    /* the month's node-hours */
};
/* The month of day d under c, with ev the mean event (ev.usd NaN or
 * c->event_days 0: no event cost). */
void month_cost(const struct scn_cost *c, const struct month_day *d, struct month_event ev, struct month_cost *out);

#endif
