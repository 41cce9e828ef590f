/*
 * world.h: the simulated world of one run, and how the run loop drives it.
 *
 * A world holds the services of a scenario, their pods, the requests in
 * flight and the traffic generators, and emits rows through a sink. It is
 * the one place that knows every model; the machinery (sim/) builds a world
 * from a scenario, runs the clock and stores what comes out.
 *
 * Requests live in one pool shared by all services (struct req, indexed by
 * uint32), recycled through a free list: memory follows the largest number of
 * requests ever in flight, never the number simulated.
 */
#ifndef HEADROOM_WORLD_H
#define HEADROOM_WORLD_H

#include <gsl/gsl_rng.h>

#include "balancer.h"
#include "dist.h"
#include "scn.h"
#include "sim.h"
#include "sink.h"
#include "slo.h"
#include "placement.h"
#include "scheduler.h"
#include "traffic.h"

#define REQ_NONE UINT32_MAX

enum req_state {
	REQ_QUEUED,  /* in a pod's accept queue */
	REQ_CPU,     /* using CPU on a pod */
	REQ_WAITING, /* holding a worker while a downstream call runs */
	REQ_FREE
};

struct req {
	simtime arrival;  /* when it reached this service, ns */
	double work;      /* CPU it needs on a warm pod, ns (drawn at arrival: common random numbers) */
	uint64_t fan;     /* its downstream calls' coin, drawn at arrival (0 when every call is certain) */
	simtime deadline; /* when its client gives up, ns (SIM_FOREVER: never) */
	uint32_t parent;  /* the caller's request, or REQ_NONE (entry, or abandoned) */
	uint32_t child;   /* the downstream request it waits on, or REQ_NONE */
	uint32_t pod;     /* pod index within the service */
	uint16_t svc;     /* service index */
	uint16_t next_call; /* the next of the service's calls to consider */
	uint8_t state;    /* enum req_state */
	bool failed;      /* a downstream call failed: answer with an error */
	uint32_t gen;     /* bumped each time the slot is reused */
	uint32_t next_free; /* free-list link */
	bool delayed;     /* its version's added latency is running or done (models/rollout.h) */
	bool injected;    /* answered 5xx by its version's error rate (Istio may retry it) */
	uint8_t attempts; /* retries made so far (rollout.retries) */
	uint32_t msg;     /* a Kafka delivery: its kafka_msg_done tag (models/kafka.h); 0: a request */
};

/* A caller waiting on a request to this service, until its deadline. */
struct callwait {
	simtime deadline; /* when the caller gives up, ns */
	uint32_t id, gen; /* the callee's request, and its generation then */
};

/*
 * A pod's life (models/pod.c): Pending (not yet on a node, or pulling its
 * image), Running (containers started; Ready once its readiness probe
 * passes), Terminating (deleted: out of the endpoints, draining), Gone.
 * A Gone pod's slot is reused once its last request has left.
 */
enum pod_phase {
	POD_PENDING,     /* created; unscheduled, or scheduled and pulling/creating */
	POD_RUNNING,     /* containers started (Ready or not) */
	POD_TERMINATING, /* deleted, draining until empty or the grace period ends */
	POD_GONE         /* no longer a pod; requests still inside drain (zombie) */
};

/* What a pod with running requests is doing about CPU. */
enum pod_cpu_state {
	CPU_OK = 0,        /* it gets all the cores it can use */
	CPU_THROTTLED = 1, /* it has more runnable requests than its limit allows: CFS quota throttling */
	CPU_PRESSURE = 2   /* its node cannot give it its demand (PSI cpu.pressure) */
};

struct pod {
	struct service *svc;
	uint32_t idx;     /* slot within the service */
	uint32_t num;     /* the pod's number for its name (svc-num), never reused */
	uint8_t phase;    /* enum pod_phase */
	bool ready;       /* in the endpoints: takes new requests */
	bool bound;       /* scheduled onto a node */
	int node;         /* node index, or -1 */
	uint32_t ready_pos; /* position in svc->ready, when ready */
	struct bal_ep lb; /* its endpoint weight, group and slow start (models/balancer.h) */
	simtime created;  /* creationTimestamp, ns */
	simtime start_time; /* status.startTime (bound and seen by the kubelet), ns */
	simtime ready_change; /* Ready condition lastTransitionTime, ns */
	simtime deleted;  /* deletionTimestamp, ns (when terminating) */
	simtime born;     /* start of its warm-up (application start), ns */
	evh life;         /* its next lifecycle event, or EVH_NONE */
	simtime probe_base; /* when readiness probing starts (container start + initialDelay), ns */
	/* Start-up accounting: when each step ended, and the node's own start
	 * when the pod waited for a new node (else -1). ns. */
	simtime t_sched, t_pulled, t_started, t_app;
	simtime n_launched, n_ready;
	bool unsched_logged; /* "unschedulable" was logged since the last attempt changed */
	bool lost;           /* its node's instance is gone or cut off: it answers nothing, and (terminating)
	                      * stays until its node is removed, as no kubelet confirms its end */
	int evict_refusals;  /* evictions of it refused so far (its node is draining) */
	simtime evict_first_refused; /* when the first was, ns */
	bool prov_logged;    /* the provisioner said it cannot help this pod */
	uint64_t batch_mark; /* Karpenter: the batch window it last triggered (0: none; karpenter.h) */
	struct wnode *nominated; /* status.nominatedNodeName: the node a preemption frees for it, NULL: none */
	uint32_t nominee_pos;    /* its place in nominated->nominees */
	bool preempted;      /* deleted by a preemption (condition DisruptionTarget, PreemptionByScheduler) */
	bool slot_free;   /* the slot is on the free list (no pod) */
	uint32_t next_free; /* free-slot list link */
	/* metrics-server's two latest scrapes of the pod (cumulative values) */
	int m_n;          /* scrapes kept, 0..2 */
	simtime m_t[2];   /* scrape times, ns ([1] newest) */
	double m_cpu[2];  /* cpu_used at those times, core-ns */
	double m_req[2];  /* requests received at those times */
	double m_mem;     /* working set at the newest scrape, bytes */
	double received;  /* requests received, cumulative */
	/* Its CPU (models/cpu.h). It wants demand = min(n_cpu, cores) cores and
	 * gets alloc: its demand, unless its node is saturated and divides its
	 * CPU by weight. Without a node (no cluster, or a Gone pod finishing its
	 * last requests) it gets its demand. */
	double cores;     /* its CFS cap: the CPU limit; without one, its request when there is no
	                   * cluster (as before nodes shared CPU), else unlimited (INFINITY) */
	double weight;    /* its cgroup weight on a busy node (from the request, cluster.cpu_weight_mapping) */
	double demand;    /* cores it wants now */
	double alloc;     /* cores it gets now, <= demand */
	double full_share;/* cores it would get if every pod on its node wanted its limit (set at samples) */
	struct wnode *host; /* the node whose CPU it shares, or NULL */
	uint32_t host_pos;/* its place in host->pods */
	uint8_t cpu_state;/* enum pod_cpu_state, while it has running requests */
	double throttled; /* time spent throttled at its limit, ns, cumulative */
	double pressure;  /* time spent wanting CPU its node did not have, ns, cumulative */
	double mark_cpu, mark_thr, mark_prs; /* cpu_used, throttled, pressure at the last sample */
	/* Processor sharing: each of the n_cpu requests using CPU gets `rate` =
	 * alloc / n_cpu <= 1 cores. Virtual time vt advances at that rate; a
	 * request that needs w CPU-ns finishes when vt reaches its tag
	 * vt_start + w. The heap orders tags, so each event is O(log n). */
	double vt;        /* virtual time, CPU-ns per request since the pod was last idle */
	simtime vt_at;    /* when vt was last brought up to date */
	double rate;      /* cores per running request */
	double cpu_used;  /* core-ns used, integrated exactly */
	double *tag;      /* heap of finish tags (min at 0) */
	uint32_t *tag_req;/* the request of each tag */
	uint32_t n_cpu;   /* requests using CPU (heap size) */
	uint32_t cap_cpu; /* heap capacity */
	uint32_t n_busy;  /* workers held (CPU or waiting downstream) */
	uint32_t *q;      /* accept queue, a ring of request ids */
	uint32_t q_head, q_len, q_cap;
	evh done;         /* the next completion event, or EVH_NONE */
	bool firing;      /* inside its completion callback */
	uint8_t version;  /* its version (models/rollout.h): 0 stable, 1 new; its balancer group */
	uint32_t n_msg;   /* Kafka deliveries using its CPU (its consumers' threads, not its workers) */
};

struct hpa;

struct service {
	struct world *w;   /* the world it belongs to */
	const struct scn_service *cfg; /* borrowed from the scenario */
	uint16_t idx;
	struct pod **pods; /* owned, one allocation per slot (stable addresses) */
	uint32_t n_pods;   /* slots in use (some may be Gone and draining) */
	uint32_t cap_pods;
	uint32_t free_pod; /* free-slot list, UINT32_MAX when empty */
	uint32_t next_num; /* the next pod number */
	int desired;       /* the Deployment's spec.replicas */
	int n_live;        /* pods not terminating or gone */
	int n_pending;     /* of which pending */
	int n_running;     /* pods whose containers run (Running or Terminating) */
	uint32_t *ready;   /* slots of ready pods */
	uint32_t n_ready;
	struct bal lb;     /* the balancer over its ready pods (models/balancer.h) */
	struct dist_sampler demand; /* CPU seconds per request */
	struct dist_sampler pull_first, pull_cached, container_start, app_start;
	gsl_rng *r_demand, *r_lb, *r_fanout, *r_pod;
	bool random_calls; /* a call of it has a probability below 1 */
	traffic *traffic;  /* NULL unless an entry service */
	evh arrivals;      /* the arrival generator's event */
	struct slo_tracker slo;
	/* Callers' deadlines on requests to this service, in arrival order:
	 * one timeout per service makes them ascending, so one event at the
	 * head serves them all. Entries whose request answered in time go
	 * stale (their generation no longer matches) and are skipped. */
	struct callwait *cw; /* ring */
	uint32_t cw_head, cw_len, cw_cap;
	evh cw_ev;         /* fires at the head's deadline, or EVH_NONE */
	double cpu_retired;/* cpu_used of pods whose slots were reused, core-ns */
	double thr_retired, prs_retired; /* their throttled and pressure times, ns */
	double thr_mark, prs_mark; /* svc_cpu's throttled and pressure at the last sample, ns */
	double cost_usd;      /* its pods' share of their nodes' cost so far (by CPU request), USD */
	double cpu_mark;   /* svc_cpu_used at the last sample, core-ns */
	double asked;      /* CPU requested by running pods, integrated: core-ns */
	double asked_mark; /* asked at the last sample */
	simtime asked_at;  /* when `asked` was last brought up to date */
	struct hpa *hpa;   /* NULL without an HPA */
	double hpa_util;   /* CPU utilisation the HPA last saw (fraction), NaN if none */
	bool pulled_any;   /* without a cluster: the image has been pulled once */
	struct hist start_hist; /* Pending-to-Ready times of new pods, ns */
	struct rollout *ro;   /* its rollout (models/rollout.h), NULL: none */
	int v_live[2];        /* live pods (not terminating) per version */
	int v_target[2];      /* with a rollout: each version's ReplicaSet spec.replicas */
};

/*
 * A node (models/node.c). The scheduler sees w->nodes[i] (struct
 * sched_node); everything else about node i is w->wnodes[i], an object at a
 * stable address (events point at it). A node leaves the arrays when it is
 * gone: the last node moves into its place (its idx and its pods' node
 * indices are updated), so the arrays hold exactly the live nodes and
 * memory follows the cluster, not the run's length.
 */
enum node_state {
	NODE_LAUNCHING,  /* NodeClaim launched / ASG instance booting: not yet a Node */
	NODE_REGISTERED, /* the Node joined; not Ready, or startup taints on */
	NODE_READY,      /* initialized: takes pods */
	NODE_DRAINING,   /* being deleted: tainted, its pods evicted */
	NODE_NOT_READY   /* was Ready; its kubelet went silent (models/outage.h): Ready Unknown, tainted
	                  * node.kubernetes.io/unreachable (NoSchedule and NoExecute) */
};

struct wnode {
	struct world *w;      /* the world it belongs to */
	uint32_t idx;         /* index in w->nodes and w->wnodes */
	uint32_t num;         /* number for its name, never reused */
	char name[64];
	char type[32];        /* instance type ("" for a node without one) */
	enum node_state state;
	int pool;             /* the provisioner's NodePool or node group, -1 for a static node */
	double price_hour;    /* USD per hour, 0 if unknown */
	simtime launched;     /* launch request (cost starts), ns */
	simtime ready_at;     /* initialized, ns (SIM_FOREVER until then) */
	simtime last_pod_event; /* a pod bound, terminating or unbound (consolidateAfter), ns */
	simtime unneeded_since; /* Cluster Autoscaler: below the utilisation threshold since, ns (-1: not) */
	bool cached;          /* every image is on it already */
	bool *pulled;         /* per service: its image is on the node */
	int n_pods;           /* pods of services bound (not DaemonSets) */
	double nom_cpu, nom_mem; /* requests the provisioner nominated to it while it starts (cores, bytes) */
	int nom_pods;
	evh ev;               /* its pending lifecycle event, or EVH_NONE */
	bool static_node;     /* from cluster.nodes, never removed */
	const void *fam;      /* the provisioner's per-family latencies, if any */
	double cpu;           /* cores its pods share: allocatable less the DaemonSets' requests */
	struct pod **pods;    /* the service pods bound to it (owned array; the pods are the services') */
	uint32_t n_hosted, cap_hosted;
	double demand;        /* the sum of its pods' CPU demands, cores */
	bool saturated;       /* demand exceeds cpu: its pods got weighted shares */
	bool evicting;        /* node_drain is asking its pods to leave: not removed meanwhile */
	simtime drain_start;  /* when its drain began, ns */
	simtime drain_deadline; /* then its pods are deleted whatever their PDBs say, ns (SIM_FOREVER: never) */
	int drain_tries;      /* eviction rounds with a refusal so far (the retry backoff) */
	char blocked[120];    /* the last reason a provisioner gave for not disrupting it ("" none) */
	uint32_t replaced_by; /* Karpenter: 1 + the num of the replacement starting for it (it drains once
	                       * that is Ready); 0: none */
	bool spot;            /* priced as a spot instance (a commitment discount does not apply) */
	bool lost;            /* its instance stopped or was cut off (a zone outage): its pods answer nothing */
	simtime reclaim_at;   /* a spot interruption's notice ends then and the instance goes, ns (SIM_FOREVER:
	                       * not interrupted) */
	evh spot_ev;          /* its spot interruption, or the end of its notice (models/spot.h); EVH_NONE */
	/* Placement (models/placement.h): w->pnodes[idx] points into these. */
	int zone;             /* index into cluster.zones, or PLACE_ZONE_NONE */
	struct place_label *labels; /* its labels (owned array; strings borrowed or in label_buf) */
	size_t n_labels;
	char label_buf[PLACE_LABEL_BUF];
	const struct scn_node_meta *meta; /* its group's or NodePool's labels and taints (borrowed), or NULL */
	int *place_counts;    /* per service: live pods, then bound pods (2 x n_svcs, owned) */
	struct place_fit *fit;/* per service: its pods against this node (owned) */
	double ds_cpu;        /* cores of the DaemonSet pods bound to it */
	struct sched_nominee *nominees; /* pods kube-scheduler nominated to it (owned; w->nodes[idx].nom points here) */
	struct pod **nominee_pods;      /* the same pods (owned) */
	uint32_t n_nominees, cap_nominees;
	/* Drift (cluster.drifts; models/karpenter.h). */
	int gen;              /* Karpenter: drifts of its NodePool before it launched (its node class) */
	bool drifted;         /* Karpenter: condition Drifted: its NodePool's node class changed since */
	simtime drifted_at;   /* when it became Drifted (the condition's lastTransitionTime), ns */
};

/* Where a new node is and what it carries. */
struct node_spec {
	int zone;                         /* index into cluster.zones, or PLACE_ZONE_NONE */
	const struct scn_node_meta *meta; /* its group's or NodePool's labels and taints (borrowed); NULL: none */
	const char *nodepool;             /* a Karpenter node: its NodePool (label karpenter.sh/nodepool); else NULL */
	bool spot;                        /* a spot instance (label karpenter.sh/capacity-type on Karpenter nodes) */
};

/* A node provisioner (Karpenter or Cluster Autoscaler), called by the world. */
struct provisioner {
	void *self;
	/* A pod found no node (it may be called again for the same pod). */
	void (*pod_unschedulable)(struct world *w, void *self, struct pod *p);
	/* At t = 0, after the initial pods were placed where they fit: makes
	 * Ready nodes for the rest (the cluster was up before the run). May be NULL. */
	void (*initial)(struct world *w, void *self);
	/* At t = 0, once the initial pods are on those nodes: brings the cluster
	 * to a state the provisioner itself would keep, as it was up long before
	 * the run (nothing paid for, no eviction). May be NULL. */
	void (*settle)(struct world *w, void *self);
	/* Spot node n got its 2-minute interruption notice (models/spot.h); the
	 * instance goes at n->reclaim_at whatever is done. May be NULL. */
	void (*interrupted)(struct world *w, void *self, struct wnode *n);
	/* Node n's instance was lost before it was Ready (a zone outage): it
	 * will never register. May be NULL. */
	void (*node_lost)(struct world *w, void *self, struct wnode *n);
	void (*free)(void *self);
	/* Node n is being removed (its "deleted" row is written; it is still in
	 * the arrays). May be NULL. */
	void (*node_removed)(struct world *w, void *self, const struct wnode *n);
};

struct world {
	struct sim *s;
	const struct scenario *sc;
	struct sink out;
	struct service *svcs; /* owned, one per scenario service */
	size_t n_svcs;
	struct req *reqs;     /* the request pool */
	uint32_t n_reqs, cap_reqs, free_req;
	int64_t requests;     /* requests created so far (all services) */
	simtime last_sample;  /* end of the last sample interval */
	simtime last_window;  /* end of the last SLO window */
	struct sched sched;   /* kube-scheduler's state */
	bool cluster;         /* nodes are modelled (else: unlimited room) */
	struct sched_node *nodes; /* the live nodes as the scheduler sees them */
	struct place_node *pnodes;/* the same nodes as placement sees them */
	struct wnode **wnodes;    /* the same nodes, the rest of their state */
	struct place place;       /* zones, pods per domain, the services' placement */
	uint32_t *sched_feasible; /* scratch for a scheduling cycle (cap_nodes) */
	int64_t *sched_scores;    /* scratch: SCHED_SCORE_ROWS x cap_nodes */
	size_t n_nodes, cap_nodes;
	uint32_t next_node_num;
	double cost_usd;      /* node cost of nodes already gone, USD */
	double spot_cost_usd; /* of which spot instances', USD */
	double start_usd_hour, start_spot_usd_hour; /* the cluster's cost rate at t = 0, once settled */
	double node_seconds;  /* node lifetime of nodes already gone, s */
	int max_nodes;        /* the most nodes alive at once */
	struct row_nodes *nrows; /* scratch for the nodes rows of a sample */
	size_t cap_nrows;
	struct provisioner prov; /* prov.self NULL: none */
	uint32_t zones_down;  /* bit z: zone z is lost (models/outage.h): no provisioner launches there */
	struct spot *spot;    /* spot interruptions (models/spot.h), NULL: none configured */
	struct outages *outages; /* zone outages (models/outage.h), NULL: none configured */
	gsl_rng *r_sched;     /* scheduler tie-breaks */
	gsl_rng *r_control;   /* control-plane phases */
	bool retrying;        /* inside a retry of pending pods */
	bool retry_again;     /* a pod went while pending pods were retried: they try once more */
	uint16_t *order;      /* the services by descending priority (kube-scheduler's PrioritySort), stable */
	int32_t prio_min;     /* the lowest priority of any service: a pod at it has no one to preempt */
	/* preemption's scratch (models/preempt.c), grown as needed */
	struct sched_bound *pre_pods; /* the bound pods, node by node */
	struct pod **pre_ref;         /* the same pods */
	uint32_t *pre_start;          /* n_nodes + 1 offsets into them */
	uint32_t *pre_scratch;        /* 4 x the most pods on a node, then the victims */
	int32_t *pre_pdb;             /* 2 x n_pdbs: the budgets, and sched_preempt's counters */
	size_t cap_pre_pods, cap_pre_start, cap_pre_scratch;
	bool initial;         /* placing the pods of t = 0 (no provisioner triggers, no logs) */
	double *cpu_buf;      /* scratch for a node's CPU split: demands, weights, shares (3 x cap_cpu_buf) */
	uint32_t *cpu_order;  /* and its order */
	size_t cap_cpu_buf;
	struct hpa_pod *hpa_buf; /* the pods an HPA sync sees (reused) */
	/* Called at each arrival a pod accepts (NULL: none); for tests that
	 * compare the draws of two runs. */
	void (*arrival_hook)(void *ctx, const struct service *sv, simtime t, double work);
	void *hook_ctx;
	size_t hpa_cap;
	char *text;           /* scratch for decision rows (JSON, names) */
	size_t text_cap;
	struct kafka *kafka;  /* topics and consumer groups (models/kafka.h), NULL: none */
	struct alb *alb;      /* several clusters behind an ALB (models/alb.h), NULL: one cluster */
};

/* Builds the world of scenario sc on the clock s (borrowed, both must outlive
 * it) and schedules its first events. Rows go to out. */
struct world *world_new(struct sim *s, const struct scenario *sc, const struct sink *out);
/* After sim_run: closes the last interval and emits the summaries. */
void world_finish(struct world *w);
void world_free(struct world *w);

/* The service model (models/service.c). */
void svc_init(struct world *w, struct service *sv, const struct scn_service *cfg, uint16_t idx);
void svc_release(struct service *sv);
/* A new request arrives at service sv from parent (REQ_NONE for an entry
 * request). Returns its id, or REQ_NONE when it was refused at once. */
uint32_t svc_arrive(struct world *w, struct service *sv, uint32_t parent);
/* The ALB closes request id's connection (models/alb.h, a deregistration
 * delay over): its client sees a failure now (a caller goes on), while its
 * pod finishes the work. Returns false when its client had gone already. */
bool svc_cut(struct world *w, uint32_t id);
/* The pod in slot i (any phase). */
static inline struct pod *svc_pod(const struct service *sv, uint32_t i) { return sv->pods[i]; }
/* Brings the pod's CPU accounting up to now. */
void svc_pod_advance(struct world *w, struct pod *p);
/* A new pod slot (reusing a drained Gone one), initialised for the service. */
struct pod *svc_pod_new(struct world *w, struct service *sv);
/* Whether a pod holds no request (a Gone one's slot can then be reused). */
bool svc_pod_drained(const struct pod *p);
/* Gives a Gone, drained pod's slot back. */
void svc_pod_free(struct service *sv, struct pod *p);
/* The pod takes or stops taking new requests (the endpoints list). */
void svc_set_ready(struct service *sv, struct pod *p, bool ready);
/* Integrates the CPU requested by running pods up to now (call before
 * n_running changes). */
void svc_account(struct service *sv, simtime now);
/* Brings every pod's CPU accounting up to now; returns the sum of cpu_used. */
double svc_cpu_used(struct world *w, struct service *sv);
/* The service's CPU figures so far, all pods (including those gone). */
struct svc_cpu {
	double used;      /* core-ns used */
	double throttled; /* pod-ns spent throttled */
	double pressure;  /* pod-ns spent under CPU pressure */
};
struct svc_cpu svc_cpu(struct world *w, struct service *sv);
/* Pod p (bound, no running request yet) starts sharing node n's CPU. */
void svc_pod_host(struct world *w, struct pod *p, struct wnode *n);
/* Pod p leaves its node's CPU (before it is unbound): its neighbours may
 * get more, and its own remaining requests run unshared. */
void svc_pod_unhost(struct world *w, struct pod *p);
/* Sets full_share of every pod on node n: its share when all of its pods
 * whose containers run want their limit. */
void svc_node_full_shares(struct world *w, struct wnode *n);
/* Requests held by the service's pods (working, waiting or queued). */
uint32_t svc_in_flight(const struct service *sv);

/* Pods and the Deployment (models/pod.c). */
/* Creates the service's initial pods, Running and Ready and warm at t = 0
 * where they fit (bound to nodes when there is a cluster). */
void pod_initial(struct world *w, struct service *sv);
/* After the provisioner's initial nodes: the initial pods still pending are
 * placed and made up the same way. */
void pod_initial_retry(struct world *w, struct service *sv);
/* Moves pod p of t = 0 (up, holding no request) to the Ready node `to`
 * before the run: the provisioner settling the cluster of t = 0
 * (models/karpenter.c) places pods where they would be. Logs a second
 * "scheduled" row at t = 0, naming the node the pod starts the run on. */
void pod_initial_move(struct world *w, struct pod *p, struct wnode *to);
/* The Deployment's spec.replicas becomes `desired`: pods are created or
 * deleted (ReplicaSet's ranking picks which). */
void pod_scale(struct world *w, struct service *sv, int desired);
/* With a rollout: version v's ReplicaSet wants `target` pods; the
 * service's desired is both versions' sum. Pods of v are created or
 * deleted (ranked as pod_scale ranks them). */
void pod_scale_version(struct world *w, struct service *sv, int v, int target);
/* A pod in slot p went quiet (its last request left). */
void pod_quiet(struct world *w, struct pod *p);
/* Emits a decision row for pod p. */
void pod_log(struct world *w, const struct pod *p, const char *event, const char *detail);
/* Its "unschedulable" row with kube-scheduler's message, once until it is
 * placed. */
void pod_log_unschedulable(struct world *w, struct pod *p, const char *why);

/* Evicts pod p (a node is drained): it terminates gracefully and its
 * ReplicaSet creates a replacement at once. */
void pod_evict(struct world *w, struct pod *p);
/* Pod p is deleted by a preemption (`detail`: by whom): it terminates
 * gracefully. Its ReplicaSet's replacement is the caller's
 * (pod_replace), once every victim is deleted. Nothing for a pod being
 * deleted already. */
void pod_preempted(struct world *w, struct pod *p, const char *detail);
/* Service sv's ReplicaSet creates the pods it lacks (each is placed). */
void pod_replace(struct world *w, struct service *sv);
/* The pod as kube-scheduler sees it: requests, priority, identity. */
struct sched_pod pod_sched(const struct pod *p);
/* Pod p's node was lost: its requests fail from now on, it starts no
 * further (its pending lifecycle step is dropped). */
void pod_node_lost(struct world *w, struct pod *p);
/* Pod p's node went NotReady: the node lifecycle controller marks it not
 * Ready (MarkPodsNotReady), out of the endpoints. */
void pod_mark_not_ready(struct world *w, struct pod *p);
/* Pod p's node got the NoExecute taint node.kubernetes.io/unreachable at
 * `at`: it is deleted once its toleration of that taint runs out
 * (tolerationSeconds: the pod's own toleration, else the
 * DefaultTolerationSeconds admission plugin's `dflt` s; a toleration
 * without seconds: never). */
void pod_noexecute(struct world *w, struct pod *p, simtime at, int64_t dflt);
/* Pod p is gone at once, whatever its phase (its node vanished); its
 * ReplicaSet replaces it if it was live. Logs "killed" with `why`. */
void pod_kill(struct world *w, struct pod *p, const char *why);
/* Pods waiting for a node try again, oldest first. */
void pod_retry_pending(struct world *w);
/* Notes the node p is bound to, launched and Ready at these times (ns;
 * ready_at SIM_FOREVER: not yet): whether p waited for it (n_launched,
 * n_ready), for its start-up breakdown. */
void pod_note_node(struct pod *p, simtime launched, simtime ready_at);
/* Writes where p's Pending-to-Ready time went, up to now, into buf: the
 * detail of its "ready" row ("38.2s: provisioning 1.0s, node start 30.2s,
 * ...; dominant: node start"). */
void pod_start_breakdown(const struct pod *p, simtime now, char *buf, size_t size);

/* Nodes (models/node.c). */
/* A new node of allocatable a, in state st (NODE_READY for a node up
 * already), where spec says (NULL: no zone, labels or taints), with the
 * DaemonSets that select and tolerate it bound. Logs "launched" (or
 * "ready"). */
struct wnode *node_add(struct world *w, const char *prefix, const char *type, int pool, struct sched_alloc a,
		       double price_hour, enum node_state st, const struct node_spec *spec);
/* The zone for a new node of a group with meta m (a static or CA node
 * group): its own, or else of its zones (m->zones) the one not lost where
 * the group's live nodes (pool `pool`, or the static nodes of m when
 * static_group) are fewest, the first on ties (an ASG's Availability Zone
 * balancing); its first zone when all are lost. PLACE_ZONE_NONE without
 * zones. */
int node_group_zone(const struct world *w, const struct scn_node_meta *m, int pool, bool static_group);
/* The DaemonSet pods a node of this type would run where spec says (their
 * requests, and their count in pods): what a provisioner counts when it
 * sizes a node. Binds them to tmpl too, one pod each, unless it is NULL. */
struct sched_alloc node_daemonsets(const struct world *w, const char *type, const struct node_spec *spec,
				   struct sched_node *tmpl);
/* Whether DaemonSet d has a pod on a node with these labels and taints. */
bool node_runs_daemonset(const struct scn_daemonset *d, const struct place_label *labels, size_t n_labels,
			 const struct scn_taint *taints, size_t n_taints);
/* The placement counts of pod p change: bound to node i (+1), unbound
 * (-1), or terminating (p->bound, on its node). */
void node_pod_placed(struct world *w, const struct pod *p, int i, int delta, bool live);
void node_pod_terminating(struct world *w, const struct pod *p);
/* Before the run only: Ready node n, whose pods all fit allocatable a, is
 * of instance type `type` at price_hour from the start (no rows: the
 * provisioner settling the cluster of t = 0 tells its nodes itself). */
void node_retype(struct world *w, struct wnode *n, const char *type, struct sched_alloc a, double price_hour);
/* Moves a node to its next state; NODE_READY lets pending pods try it. */
void node_set_state(struct world *w, struct wnode *n, enum node_state st, const char *detail);
/* Starts deleting a node: no new pods (it is tainted), its pods are
 * evicted through the eviction API, and it is removed once they are gone
 * (at once when it has none). An eviction a PodDisruptionBudget refuses,
 * or of a karpenter.sh/do-not-disrupt pod on a Karpenter cluster, is
 * retried with a backoff of 100 ms doubling to 10 s (Karpenter's
 * terminator); at `grace` after the start (SIM_FOREVER: never) the pods
 * left are deleted regardless. Every refusal and late eviction is a
 * decision row. */
void node_drain_grace(struct world *w, struct wnode *n, const char *reason, simtime grace);
/* node_drain_grace(w, n, reason, SIM_FOREVER): a voluntary disruption. */
void node_drain(struct world *w, struct wnode *n, const char *reason);
/* Node n's instance stops or is cut off (a zone outage): its pods answer
 * nothing from now on and start no further; a node not yet Ready never
 * will be (its provisioner's node_lost is told). Logs "lost". */
void node_lose(struct world *w, struct wnode *n, const char *detail);
/* The node lifecycle controller finds node n's kubelet silent: Ready
 * Unknown, tainted node.kubernetes.io/unreachable:NoSchedule (no new pod;
 * not a domain for nodeTaintsPolicy Honor), its pods marked not Ready.
 * A draining node stays draining. Logs "not-ready". */
void node_not_ready(struct world *w, struct wnode *n, const char *detail);
/* Node n's instance is gone (a spot instance reclaimed, a lost zone's
 * instances terminated): every pod still on it is deleted at once (its
 * ReplicaSet replaces the live ones) and the node is removed. */
void node_reclaim(struct world *w, struct wnode *n, const char *reason);
/* Whether zone z (PLACE_ZONE_NONE: none) is lost: nothing launches there. */
static inline bool node_zone_down(const struct world *w, int z) { return z >= 0 && (w->zones_down >> z & 1u); }
/* A pod was bound to or left node index i (keeps counts, may finish a drain). */
void node_pod_bound(struct world *w, int i);
void node_pod_unbound(struct world *w, int i);
/* Cost of the cluster so far (gone nodes plus live ones up to now), USD. */
double node_cost(const struct world *w);
/* Of node_cost, what spot instances cost. */
double node_cost_spot(const struct world *w);
/* The live nodes' USD per hour; *spot (may be NULL) gets the spot part. */
double node_rate(const struct world *w, double *spot);
/* Emits a "node" decision row. */
void node_log(struct world *w, const struct wnode *n, const char *event, const char *detail);
/* The same for a name that is no live node (a zone, a node gone, a
 * NodeClaim whose launch failed), its pods column `pods` (-1: none). */
void node_log_as(struct world *w, const char *name, int pods, const char *event, const char *detail);
void node_free_all(struct world *w);

/* kube-scheduler's preemption (models/preempt.c). */
/* Whether pod p may preempt at all: a pod of lower priority exists, or
 * its policy is Never (then only the message says so). */
bool preempt_may(const struct world *w, const struct pod *p);
/* DefaultPreemption for pending pod p, which fit no node (why holds the
 * filters' message; sp, pl as place() used them). Returns the node it is
 * now nominated to, after its "unschedulable" row, its "nominated" row,
 * and its victims deleted gracefully ("preempted"; their replacements
 * created); or -1, with the PostFilter's message appended to why and p
 * keeping its nomination only when it waits on its victims. */
int preempt_pod(struct world *w, struct pod *p, const struct sched_pod *sp, const struct sched_placement *pl,
		char *why, size_t len);
/* Pod p is no longer nominated (bound, gone, or no candidate). */
void preempt_clear(struct world *w, struct pod *p);
/* Node n is going: the pods nominated to it lose their nomination. */
void preempt_node_gone(struct world *w, struct wnode *n);
void preempt_free(struct world *w);

/* Node provisioners: set w->prov and start their loops. */
void karp_start(struct world *w);
void ca_start(struct world *w);

/* metrics-server and the HPA (models/control.c). */
void control_start(struct world *w);
void control_free(struct world *w);

/* Kafka deliveries (models/service.c for models/kafka.c). */
/* Pod p starts a delivery needing `work` CPU-ns on a warm pod (its warm-up
 * applies), on its processor sharing beside its requests but holding no
 * worker; kafka_msg_done(w, p, msg) is called when it is done (msg > 0). */
void svc_msg_start(struct world *w, struct pod *p, double work, uint32_t msg);

#endif
