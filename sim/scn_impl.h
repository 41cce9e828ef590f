/*
 * scn_impl.h: the scenario loader's shared insides (sim/scn.c reads the
 * scenario and its services, sim/scn_k8s.c the Kubernetes parts: HPA
 * manifests, pod start-up, the cluster and the controllers' flags). Not for
 * use outside the loader.
 *
 * Every ld_get_* reads key k of mapping m when it is present (else leaves
 * *out untouched, so the caller's default stands), converts its unit and
 * checks its range, and on failure sets L->e to "file:line:col: ..." at the
 * value and returns -1.
 */
#ifndef HEADROOM_SCN_IMPL_H
#define HEADROOM_SCN_IMPL_H

#include "scn.h"
#include "units.h"
#include "ytree.h"

/* Bounds on a pod, shared by the service keys and the Deployment manifest. */
#define MAX_REPLICAS 10000
#define MAX_CORES 512.0            /* per pod */
#define MAX_MEMORY 0x1p44          /* 16 Ti per pod */

struct ld {
	struct herr *e;
	struct ytree t;
	char *dir;               /* the scenario's folder, for files it names */
	struct scenario *sc;
	const struct ynode *names; /* the services mapping */
};

typedef int (*parse_fn)(const char *s, double *out, char why[UNITS_WHY]);

const char *ld_closest(const char *k, const char *const *known);
int ld_check_keys(struct ld *L, const struct ynode *m, const char *const *known, const char *in);
int ld_want_map(struct ld *L, const struct ynode *n, const char *what);
int ld_want_seq(struct ld *L, const struct ynode *n, const char *what);
const char *ld_scalar(struct ld *L, const struct ynode *n, const char *what);
const struct ynode *ld_need(struct ld *L, const struct ynode *m, const char *k, const char *in);
int ld_get_num(struct ld *L, const struct ynode *m, const char *k, parse_fn parse, double lo, double hi, bool lo_open,
	       double *out);
int ld_get_int(struct ld *L, const struct ynode *m, const char *k, int64_t lo, int64_t hi, int64_t *out);
int ld_get_dur(struct ld *L, const struct ynode *m, const char *k, simtime lo, simtime hi, bool none_ok,
	       simtime *out);
int ld_get_enum(struct ld *L, const struct ynode *m, const char *k, const char *const *names, int *out);
/* A distribution: a duration (a constant) or {distribution, mean, cv}. */
int ld_load_dist(struct ld *L, const struct ynode *v, const char *k, struct dist *d);
/* A delay: like ld_load_dist, but a constant may be 0. */
int ld_load_delay(struct ld *L, const struct ynode *v, const char *k, struct dist *d);
/* The file `name` (key k at node `at`) relative to the scenario's folder
 * (caller frees); NULL with an error located at `at` when a sandbox is set
 * and the file resolves outside it. */
char *ld_path(struct ld *L, const struct ynode *at, const char *k, const char *name);
/* The trace CSV named by the `file` key of mapping v (relative to the
 * scenario; `in` names v in messages) into *t (trace_load). Returns 0, or
 * -1 with L->e set: at the key when the file cannot be read (not a regular
 * file, too large: common.h), else in the file. */
int ld_load_trace(struct ld *L, const struct ynode *v, const char *in, struct trace *t);
/* sim/scn_trace.c: a traffic pattern's trace (mapping v: file, reading,
 * values, gaps, step, series, timezone, from, to, offset) into *t, read as
 * sim/trace.h says and cut to its window; warns of the gaps filled and of a
 * trace shorter than the run. 0, or -1 with L->e set. */
int ld_load_traffic_trace(struct ld *L, const struct ynode *v, struct trace *t);

/* sim/scn_k8s.c */
/* Key k of m, when present, must be the word `want` (apiVersion, kind). */
int ld_want_word(struct ld *L, const struct ynode *m, const char *k, const char *want);
/* Reads the manifest file named by the scalar f (the value of a `file:`
 * key, relative to the scenario) into t as a stream of documents:
 * t->root is the list of them, NULL when the file holds none. `what` names
 * its contents in messages ("an HPA manifest"). Returns 0, or -1 with
 * L->e set (located at f, or in the file); t is then empty. */
int ld_read_manifests(struct ld *L, const struct ynode *f, const char *what, struct ytree *t);
/* A list item of manifests (pdbs:, priorityClasses:): the manifest pasted
 * as v, or {file: path} naming a file of one or more (documents separated
 * by '---'; none is an error saying `empty`). Calls one(L, doc, ctx) for
 * each; `what` names one in messages ("a PodDisruptionBudget"). Returns 0,
 * or -1 with L->e set (in the file when the error is there). */
int ld_each_manifest(struct ld *L, const struct ynode *v, const char *what, const char *empty,
		     int (*one)(struct ld *L, const struct ynode *doc, void *ctx), void *ctx);
void ld_service_defaults(struct scenario *sc, struct scn_service *s);
int ld_load_hpa(struct ld *L, const struct ynode *v, struct scn_service *s);
int ld_load_startup(struct ld *L, const struct ynode *v, struct scn_service *s);
int ld_load_memory_usage(struct ld *L, const struct ynode *v, struct scn_service *s);
int ld_load_cluster(struct ld *L, const struct ynode *v);
/* The CSV file named by scalar n (key k, relative to the scenario) read by
 * load into cluster.catalog (catalog_load, catalog_load_offerings); its
 * error located in the file when it can be, else at n. */
int ld_load_csv(struct ld *L, const struct ynode *n, const char *k,
		int (*load)(struct catalog *c, const char *path, struct herr *e));
int ld_load_controllers(struct ld *L, const struct ynode *v);
/* After every service is read: control flags copied into each HPA. */
void ld_finish_k8s(struct scenario *sc);
void ld_free_k8s(struct scenario *sc);

/* sim/scn_meta.c: what Kubernetes objects share. */
/* The text of scalar n, which Kubernetes' YAML decoder must read as a
 * string (an unquoted 1, true or null is not one); NULL after an error. */
const char *ld_string(struct ld *L, const struct ynode *n, const char *what);
/* A map of label keys to values (metadata.labels, matchLabels, checked as
 * the API server checks them) into a new array *out of *n (caller frees
 * with ld_free_labels, also after an error). */
int ld_load_labels(struct ld *L, const struct ynode *v, const char *what, struct scn_label **out, size_t *n);
void ld_free_labels(struct scn_label *l, size_t n);
/* A label key (scalar k): a qualified name, else an error naming `what`. */
int ld_check_key(struct ld *L, const struct ynode *k, const char *what);
/* Whether s is a DNS subdomain (RFC 1123), as object names are. */
bool ld_subdomain_ok(const char *s);
/* Whether s is a valid label value (may be empty). */
bool ld_label_value_ok(const char *s);
/* metadata.annotations: qualified-name keys, string values. */
int ld_check_annotations(struct ld *L, const struct ynode *v, const char *what);
/* An object's metadata: the keys kubectl writes, labels and annotations
 * checked; *name and *ns (borrowed from the tree) are its name and
 * namespace, NULL when not given. */
int ld_load_object_meta(struct ld *L, const struct ynode *v, const char *what, const char **name, const char **ns);
/* A metav1.LabelSelector {matchLabels, matchExpressions} into *sel (caller
 * frees with ld_free_selector, also after an error). */
int ld_load_selector(struct ld *L, const struct ynode *v, const char *what, struct scn_selector *sel);
void ld_free_selector(struct scn_selector *sel);
/* An IntOrString count or percentage at key k of m, when present: a plain
 * integer >= 0, or "N%" (at most 100 % if max100). */
int ld_get_intpct(struct ld *L, const struct ynode *m, const char *k, bool max100, struct scn_intpct *out);
/* Frees the services' workload fields and the PDBs. */
void ld_free_manifests(struct scenario *sc);

/* sim/scn_alb.c: `clusters:`, each service's `clusters:` and `alb:`; after
 * the services, the PDBs and ld_finish_k8s: expands each service into one
 * copy per cluster (struct scn_multi in scn.h). */
int ld_load_multi(struct ld *L, const struct ynode *root);
/* First in scn_free: frees the copies' own fields and zeroes them. */
void ld_free_multi(struct scenario *sc);
/* sim/scn_place.c: whether some static node group or provisioner pool admits pods placed as p. */
bool ld_admits(const struct scenario *sc, const struct scn_placement *p);

/* sim/scn_deploy.c: a service's `deployment:` (an apps/v1 Deployment, or
 * {file: path}); fills replicas, resources, the readiness probe, the grace
 * period and the workload fields of s. */
int ld_load_deployment(struct ld *L, const struct ynode *v, struct scn_service *s);
/* A service without a Deployment: labels and selector {app: NAME}. */
void ld_default_workload(struct scn_service *s);

/* sim/scn_place.c: zones, node labels and taints, DaemonSets, and where
 * pods may run (models/placement.h evaluates it). */
#define LD_ZONE_KEY "topology.kubernetes.io/zone"
#define LD_HOST_KEY "kubernetes.io/hostname"
/* cluster.zones (v NULL: the defaults us-east-1a, -1b, -1c). */
int ld_load_zones(struct ld *L, const struct ynode *v);
/* The index of zone `name` in cluster.zones, or an error at node v naming `what`. */
int ld_zone(struct ld *L, const struct ynode *v, const char *what, int *out);
/* A list of taints at v into a new array (caller frees with ld_free_taints, also after an error). */
int ld_load_taints(struct ld *L, const struct ynode *v, struct scn_taint **out, size_t *n);
void ld_free_taints(struct scn_taint *t, size_t n);
/* A list of tolerations at v (caller frees with ld_free_tolerations, also after an error). */
int ld_load_tolerations(struct ld *L, const struct ynode *v, struct scn_toleration **out, size_t *n);
void ld_free_tolerations(struct scn_toleration *t, size_t n);
/* Node labels at v (metadata.labels of nodes: not the keys headroom sets). */
int ld_load_node_labels(struct ld *L, const struct ynode *v, struct scn_label **out, size_t *n);
/* The `zone`, `labels` and `taints` keys of node group g (a static or CA
 * group) into m; zone -1 when not given. */
int ld_load_node_meta(struct ld *L, const struct ynode *g, struct scn_node_meta *m);
void ld_free_node_meta(struct scn_node_meta *m);
/* cluster.daemonsets: the single mapping {cpu, memory} or a list. */
int ld_load_daemonsets(struct ld *L, const struct ynode *v);
/* The pod spec's nodeSelector, affinity, tolerations and
 * topologySpreadConstraints into s->placement. */
int ld_load_placement(struct ld *L, const struct ynode *spec, struct scn_service *s);
/* After the services and the cluster: a warning for each service whose pods
 * no static node group, NodePool or CA node group admits. */
void ld_check_placement(struct ld *L);
/* A warning "file:line:col: warning: ..." at v, kept in the scenario. */
void ld_warn(struct ld *L, const struct ynode *v, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ld_free_placement(struct scenario *sc);

/* sim/scn_fault.c: cluster.interruptions and cluster.outages (after the
 * catalog, zones, node groups and NodePools). */
int ld_load_interruptions(struct ld *L, const struct ynode *v);
int ld_load_outages(struct ld *L, const struct ynode *v);
/* sim/scn_drift.c: a NodePool's spec.disruption.budgets (its budgets,
 * replacing any before); ld_default_budgets gives a pool without them the
 * default one (10 %, every reason). cluster.drifts (after the NodePools);
 * ld_free_drifts frees both. */
int ld_load_budgets(struct ld *L, const struct ynode *v, struct scn_nodepool *np);
void ld_default_budgets(struct scn_nodepool *np);
int ld_load_drifts(struct ld *L, const struct ynode *v);
void ld_free_drifts(struct scenario *sc);
void ld_free_faults(struct scenario *sc);
/* sim/scn_offer.c: cluster.offerings (v: the cluster mapping; after the
 * catalog and the zones: loads the file it names, then the offerings
 * table) and cluster.capacity (v: its list). */
int ld_load_offerings(struct ld *L, const struct ynode *v);
int ld_load_capacity(struct ld *L, const struct ynode *v);
void ld_free_offerings(struct scn_cluster *c);

/* sim/scn_priority.c: `priorityClasses:` (before the services), each
 * service's priority, and the checks across services. */
int ld_load_priority_classes(struct ld *L, const struct ynode *v);
/* The priority and preemption policy of s's pods (the Priority admission
 * plugin): the class its priorityClassName names (s->priority_class, set;
 * n its node), or with n NULL the globalDefault class, else 0. spec (may
 * be NULL) is the pod spec, whose own priority and preemptionPolicy must
 * then agree. */
int ld_resolve_priority(struct ld *L, const struct ynode *n, const struct ynode *spec, struct scn_service *s);
/* After the services: no service calls a placeholder; a warning for a
 * placeholder not below a serving service's priority. */
int ld_check_priorities(struct ld *L);
void ld_free_priority_classes(struct scenario *sc);

/* sim/scn_pdb.c: the top-level `pdbs:` list, after the services. */
int ld_load_pdbs(struct ld *L, const struct ynode *v);

/* sim/scn_expect.c: the `expect:` list (after services and cluster). */
int ld_load_expect(struct ld *L, const struct ynode *v);

/* sim/scn_ext.c: `start:` and `external_metrics:` (after duration, before
 * the services, whose HPAs' External metrics match the series). */
int ld_load_start(struct ld *L, const struct ynode *v);
int ld_load_external_metrics(struct ld *L, const struct ynode *v);
/* The series m->name and sel (NULL: none) match, into m->series; an error
 * at `at` when none does. */
int ld_match_external(struct ld *L, const struct ynode *at, const struct scn_selector *sel, struct scn_hpa_metric *m);
void ld_free_external(struct scenario *sc);

/* sim/scn_sweep.c */
/* A service's `buffer` (a fraction > 0), applied by ld_load_sweep. */
int ld_load_buffer(struct ld *L, const struct ynode *v, struct scn_service *s);
/* After everything else: the `sweep:` section of root, if any, into
 * sc->variants and sc->sweep, then the services' buffers applied to their
 * HPAs. */
int ld_load_sweep(struct ld *L, const struct ynode *root);
/* sim/scn_lb.c: the `balancer` of service mapping svc, if given (a word,
 * or a mapping of the policy and its settings), into s->balancer,
 * active_request_bias and slow_start, over the defaults
 * ld_balancer_defaults sets (random, bias 1, no slow start). */
void ld_balancer_defaults(struct scn_service *s);
int ld_load_balancer(struct ld *L, const struct ynode *svc, struct scn_service *s);
/* sim/scn_cost.c: `cost:` into L->sc->cost (v NULL: the defaults). */
int ld_load_cost(struct ld *L, const struct ynode *v);

/* sim/scn_rollout.c: a service's `rollout:` (after its other keys, its
 * replicas set) into s->delivery; ld_free_rollout frees it. */
int ld_load_rollout(struct ld *L, const struct ynode *v, struct scn_service *s);
void ld_free_rollout(struct scn_service *s);
/* sim/scn_kafka.c: `kafka:` (v), read before the services (root is the
 * scenario, whose services mapping it looks names up in); a KEDA trigger
 * adds its series to external_metrics. */
int ld_load_kafka(struct ld *L, const struct ynode *root, const struct ynode *v);
void ld_free_kafka(struct scenario *sc);
/* An HPA's External metric served by a KEDA kafka trigger: its target is
 * the trigger's (AverageValue lagThreshold), or an error at `at`. */
int ld_kafka_check_target(struct ld *L, const struct ynode *at, const struct scn_hpa_metric *m);

#endif
