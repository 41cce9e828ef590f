/*
 * scn_deploy.c: a service's Deployment (see scn_impl.h and the Deployment
 * section of scenarios/README.md).
 *
 * An apps/v1 Deployment manifest, pasted under a service's `deployment:` or
 * named by `deployment: {file: path}`, read the way the API server would
 * validate it (pkg/apis/apps/validation ValidateDeploymentSpec,
 * ValidateRollingUpdateDeployment; pkg/apis/core/validation for the pod
 * template) after its defaulting (pkg/apis/apps/v1/defaults.go: replicas 1,
 * RollingUpdate with 25 % / 25 %; pkg/apis/core/v1/defaults.go: a
 * container's request defaults to its limit, terminationGracePeriodSeconds
 * to 30). Three kinds of field:
 *   - read: replicas, selector, the template's labels and annotations,
 *     containers' and init containers' resources, the readiness probe,
 *     strategy, terminationGracePeriodSeconds, priorityClassName (resolved
 *     with priority and preemptionPolicy by sim/scn_priority.c), and
 *     where the pods may run (nodeSelector, affinity, tolerations,
 *     topologySpreadConstraints: sim/scn_place.c);
 *   - accepted without effect (env, ports, volumes, liveness probes ...;
 *     the image only marks a placeholder of pause containers), listed by
 *     name so that a misspelt one is still an error.
 * A field that would change what headroom computes but is not modelled
 * (startupProbe, readinessGates, pod-level resources, GPUs ...) is an error
 * naming it. The pod's requests are those kube-scheduler places
 * (k8s.io/component-helpers/resource/helpers.go PodRequests: the sum over
 * the containers and restartable init containers (sidecars), or the
 * largest plain init container plus the sidecars started before it, if
 * that is more).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_impl.h"

#define DO_NOT_DISRUPT "karpenter.sh/do-not-disrupt"
#define SAFE_TO_EVICT "cluster-autoscaler.kubernetes.io/safe-to-evict"
#define MAX_CONTAINERS 64

enum ctr_role { CTR_APP, CTR_INIT, CTR_SIDECAR };

/* One container's resources, as written (requests defaulted to limits). */
struct ctr {
	const struct ynode *node;   /* the container, for messages */
	const char *name;
	const char *image;          /* borrowed from the tree */
	enum ctr_role role;         /* a container, a plain init container, or a sidecar (an init
	                             * container with restartPolicy: Always) */
	double req_cpu, req_mem;    /* cores, bytes; 0 if not given */
	bool lim_cpu, lim_mem;      /* a limit is given */
	double lim_cpu_v, lim_mem_v;
	const struct ynode *probe;  /* its readinessProbe, or NULL */
};

/* Pod spec fields: read, read for placement (sim/scn_place.c), accepted
 * without effect, and refused with the reason (they would change
 * the result but are not modelled). */
static const char *const pod_used[] = {"containers", "initContainers", "terminationGracePeriodSeconds",
				       "priorityClassName", "priority", "preemptionPolicy", "restartPolicy", NULL};
static const char *const pod_placement[] = {"nodeSelector", "affinity", "tolerations", "topologySpreadConstraints",
					    NULL};
static const char *const pod_ignored[] = {
	"automountServiceAccountToken", "dnsConfig", "dnsPolicy", "enableServiceLinks", "hostAliases", "hostIPC",
	"hostNetwork", "hostPID", "hostUsers", "hostname", "imagePullSecrets", "os", "runtimeClassName", "schedulerName", "securityContext", "serviceAccount", "serviceAccountName",
	"setHostnameAsFQDN", "shareProcessNamespace", "subdomain", "volumes", NULL};
static const char *const pod_refused[] = {"readinessGates", "schedulingGates", "resources", "overhead",
					  "resourceClaims", "nodeName", "activeDeadlineSeconds", NULL};
static const char *const pod_refused_why[] = {
	"Ready would wait for conditions outside the pod (e.g. a load balancer's health check), which is not modelled",
	"the pods would stay unschedulable until a controller removes the gates, which is not modelled",
	"pod-level resources are not modelled; give requests and limits per container",
	"RuntimeClass overhead is not modelled; add it to a container's requests",
	"dynamic resource allocation (DRA) is not modelled",
	"a pod template bound to one node is not modelled",
	"a Deployment's pods may not set it (Kubernetes refuses it)",
};

static const char *const ctr_used[] = {"name", "image", "resources", "readinessProbe", "restartPolicy", NULL};
static const char *const ctr_ignored[] = {
	"imagePullPolicy", "command", "args", "workingDir", "ports", "env", "envFrom", "livenessProbe", "lifecycle",
	"volumeMounts", "volumeDevices", "securityContext", "terminationMessagePath", "terminationMessagePolicy",
	"stdin", "stdinOnce", "tty", "resizePolicy", NULL};
static const char *const ctr_refused[] = {"startupProbe", "restartPolicyRules", NULL};
static const char *const ctr_refused_why[] = {
	"not modelled yet: readiness probing would wait for it to succeed; leave it out (the readinessProbe then "
	"decides when the pod is Ready)",
	"container restart rules are not modelled",
};

/* The lists a .. d (NULL-terminated, d may be NULL) as one list in out. */
static void join(const char **out, size_t cap, const char *const *a, const char *const *b, const char *const *c,
		 const char *const *d)
{
	const char *const *lists[] = {a, b, c, d};
	size_t n = 0;
	for (size_t l = 0; l < ARRAY_LEN(lists); l++)
		for (size_t i = 0; lists[l] && lists[l][i]; i++) {
			assert(n + 1 < cap);
			out[n++] = lists[l][i];
		}
	out[n] = NULL;
}

/* An error for the first key of m in refused[], with its reason. */
static int refuse(struct ld *L, const struct ynode *m, const char *const *refused, const char *const *why)
{
	for (size_t i = 0; refused[i]; i++) {
		long k = yt_find(m, refused[i]);
		if (k >= 0)
			return yt_err(L->e, yt_key(m, (size_t)k), "%s: %s", refused[i], why[i]);
	}
	return 0;
}

/* ---- probes ---- */

static int load_handler(struct ld *L, const struct ynode *p, const char *in)
{
	static const char *const names[] = {"exec", "httpGet", "tcpSocket", "grpc"};
	static const char *const exec_keys[] = {"command", NULL};
	static const char *const http_keys[] = {"path", "port", "host", "scheme", "httpHeaders", NULL};
	static const char *const tcp_keys[] = {"port", "host", NULL};
	static const char *const grpc_keys[] = {"port", "service", NULL};
	static const char *const *const keys[] = {exec_keys, http_keys, tcp_keys, grpc_keys};
	const struct ynode *h = NULL;
	size_t which = 0;
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		const struct ynode *n = yt_get(p, names[i]);
		if (!n)
			continue;
		if (h)
			return yt_err(L->e, n, "%s: may not give more than one handler (%s and %s)", in, names[which],
				      names[i]);
		h = n;
		which = i;
	}
	if (!h)
		return yt_err(L->e, p, "%s needs a handler: one of exec, httpGet, tcpSocket or grpc", in);
	if (ld_want_map(L, h, names[which]) || ld_check_keys(L, h, keys[which], names[which]))
		return -1;
	if (which && !ld_need(L, h, "port", names[which]))
		return -1;
	return 0;
}

/* A probe's keys and timing; `in` is readinessProbe or livenessProbe. The
 * readiness probe's timing goes to st (NULL: checked only). */
static int load_probe(struct ld *L, const struct ynode *v, const char *in, struct scn_startup *st)
{
	static const char *const keys[] = {"initialDelaySeconds", "periodSeconds", "timeoutSeconds",
					   "successThreshold", "failureThreshold", "terminationGracePeriodSeconds",
					   "exec", "httpGet", "tcpSocket", "grpc", NULL};
	int64_t d = 0, p = 10, ok = 1, bad = 3, to = 1, g = 1;
	bool readiness = !strcmp(in, "readinessProbe");
	if (ld_want_map(L, v, in) || ld_check_keys(L, v, keys, in) || load_handler(L, v, in) ||
	    ld_get_int(L, v, "initialDelaySeconds", 0, 3600, &d) || ld_get_int(L, v, "periodSeconds", 1, 3600, &p) ||
	    ld_get_int(L, v, "successThreshold", 1, 100, &ok) || ld_get_int(L, v, "failureThreshold", 1, 100, &bad) ||
	    ld_get_int(L, v, "timeoutSeconds", 1, 3600, &to) ||
	    ld_get_int(L, v, "terminationGracePeriodSeconds", 1, 86400, &g))
		return -1;
	if (readiness && yt_get(v, "terminationGracePeriodSeconds"))
		return yt_err(L->e, yt_get(v, "terminationGracePeriodSeconds"),
			      "terminationGracePeriodSeconds: must not be set for a readiness probe (Kubernetes refuses it)");
	if (!readiness && ok != 1)
		return yt_err(L->e, yt_get(v, "successThreshold"), "successThreshold: must be 1 for a %s", in);
	if (st) {
		st->probe_initial_delay = d * SIM_S;
		st->probe_period = p * SIM_S;
		st->probe_success_threshold = (int)ok;
		st->probe_failure_threshold = (int)bad;
	}
	return 0;
}

/* ---- containers ---- */

/* requests or limits of a container: cpu and memory are read,
 * ephemeral-storage is accepted, any other resource is not modelled. */
static int load_quantities(struct ld *L, const struct ynode *v, const char *in, bool limit, double *cpu, bool *has_cpu,
			   double *mem, bool *has_mem)
{
	static const char *const keys[] = {"cpu", "memory", "ephemeral-storage", NULL};
	if (ld_want_map(L, v, in))
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *k = yt_key(v, i);
		if (strchr(k->s, '/') || !strncmp(k->s, "hugepages-", 10))
			return yt_err(L->e, k, "%s: '%s' is not modelled (headroom places pods by cpu and memory)", in, k->s);
	}
	if (ld_check_keys(L, v, keys, in))
		return -1;
	*has_cpu = yt_get(v, "cpu") != NULL;
	*has_mem = yt_get(v, "memory") != NULL;
	if (ld_get_num(L, v, "cpu", units_cpu, 0, MAX_CORES, limit, cpu) ||
	    ld_get_num(L, v, "memory", units_memory, 0, MAX_MEMORY, limit, mem))
		return -1;
	return 0;
}

static int load_ctr_resources(struct ld *L, const struct ynode *v, struct ctr *c)
{
	static const char *const keys[] = {"requests", "limits", "claims", NULL};
	const struct ynode *req, *lim;
	bool rc = false, rm = false;
	if (ld_want_map(L, v, "resources") || ld_check_keys(L, v, keys, "resources"))
		return -1;
	if (yt_get(v, "claims"))
		return yt_err(L->e, yt_get(v, "claims"), "claims: dynamic resource allocation (DRA) is not modelled");
	if ((lim = yt_get(v, "limits")) &&
	    load_quantities(L, lim, "limits", true, &c->lim_cpu_v, &c->lim_cpu, &c->lim_mem_v, &c->lim_mem))
		return -1;
	if ((req = yt_get(v, "requests")) && load_quantities(L, req, "requests", false, &c->req_cpu, &rc, &c->req_mem, &rm))
		return -1;
	/* core/v1 defaulting: a limit without a request sets the request. */
	if (!rc && c->lim_cpu)
		c->req_cpu = c->lim_cpu_v;
	if (!rm && c->lim_mem)
		c->req_mem = c->lim_mem_v;
	if (c->lim_cpu && c->req_cpu > c->lim_cpu_v)
		return yt_err(L->e, yt_get(req, "cpu"),
			      "requests.cpu (%g cores) must be <= limits.cpu (%g cores) in container '%s', as Kubernetes requires",
			      c->req_cpu, c->lim_cpu_v, c->name);
	if (c->lim_mem && c->req_mem > c->lim_mem_v)
		return yt_err(L->e, yt_get(req, "memory"),
			      "requests.memory must be <= limits.memory in container '%s', as Kubernetes requires", c->name);
	return 0;
}

static int load_container(struct ld *L, const struct ynode *v, bool init, struct ctr *c)
{
	const char *known[64];
	join(known, ARRAY_LEN(known), ctr_used, ctr_ignored, ctr_refused, NULL);
	const char *what = init ? "an init container" : "a container";
	const struct ynode *n;
	memset(c, 0, sizeof *c);
	c->node = v;
	c->role = init ? CTR_INIT : CTR_APP;
	if (ld_want_map(L, v, what) || ld_check_keys(L, v, known, what) || refuse(L, v, ctr_refused, ctr_refused_why))
		return -1;
	if (!(n = ld_need(L, v, "name", what)) || !(c->name = ld_string(L, n, "name")) ||
	    !(n = ld_need(L, v, "image", what)) || !(c->image = ld_string(L, n, "image")))
		return -1;
	if ((n = yt_get(v, "restartPolicy"))) {
		static const char *const policies[] = {"Always", NULL};
		int p = 0;
		if (!init)
			return yt_err(L->e, n, "restartPolicy: only an init container takes one (Always: a sidecar)");
		if (ld_get_enum(L, v, "restartPolicy", policies, &p))
			return -1;
		c->role = CTR_SIDECAR;
	}
	if ((n = yt_get(v, "resources")) && load_ctr_resources(L, n, c))
		return -1;
	if ((n = yt_get(v, "livenessProbe")) && load_probe(L, n, "livenessProbe", NULL))
		return -1;
	if ((n = yt_get(v, "readinessProbe"))) {
		if (c->role == CTR_INIT)
			return yt_err(L->e, yt_key(v, (size_t)yt_find(v, "readinessProbe")),
				      "readinessProbe: an init container may not have one unless it is a sidecar "
				      "(restartPolicy: Always), as Kubernetes requires");
		if (load_probe(L, n, "readinessProbe", NULL))
			return -1;
		c->probe = n;
	}
	return 0;
}

/* Reads the list at key k of the pod spec into c[*n...]. */
static int load_containers(struct ld *L, const struct ynode *spec, const char *k, bool init, struct ctr *c, size_t *n)
{
	const struct ynode *v = yt_get(spec, k);
	if (!v)
		return 0;
	if (ld_want_seq(L, v, k))
		return -1;
	if (*n + v->n > MAX_CONTAINERS)
		return yt_err(L->e, v, "%s: too many containers (at most %d in a pod)", k, MAX_CONTAINERS);
	for (size_t i = 0; i < v->n; i++) {
		struct ctr *x = &c[*n];
		if (load_container(L, v->kid[i], init, x))
			return -1;
		for (size_t j = 0; j < *n; j++)
			if (!strcmp(c[j].name, x->name))
				return yt_err(L->e, yt_get(v->kid[i], "name"),
					      "name: '%s' is taken by another container of the pod (line %d)", x->name,
					      c[j].node->line);
		(*n)++;
	}
	return 0;
}


/*
 * The pod's requests as kube-scheduler counts them (PodRequests): the
 * containers and sidecars run together; a plain init container runs with
 * the sidecars started before it; the pod needs the most of these. Its
 * limit is what the running pod may use: the sum over the containers and
 * sidecars when every one of them has a limit, else none (0).
 */
static void pod_resources(const struct ctr *c, size_t n, struct scn_service *s)
{
	double cpu = 0, mem = 0, side_cpu = 0, side_mem = 0, init_cpu = 0, init_mem = 0, lim_cpu = 0, lim_mem = 0;
	bool all_cpu = true, all_mem = true;
	for (size_t i = 0; i < n; i++) {
		const struct ctr *x = &c[i];
		double use_cpu = x->req_cpu, use_mem = x->req_mem;
		if (x->role != CTR_INIT) {
			cpu += x->req_cpu;
			mem += x->req_mem;
			lim_cpu += x->lim_cpu_v;
			lim_mem += x->lim_mem_v;
			all_cpu &= x->lim_cpu;
			all_mem &= x->lim_mem;
		}
		if (x->role == CTR_APP)
			continue;
		if (x->role == CTR_SIDECAR) {
			side_cpu += x->req_cpu;
			side_mem += x->req_mem;
			use_cpu = side_cpu;
			use_mem = side_mem;
		} else {
			use_cpu += side_cpu;
			use_mem += side_mem;
		}
		init_cpu = HR_MAX(init_cpu, use_cpu);
		init_mem = HR_MAX(init_mem, use_mem);
	}
	s->cpu_request = HR_MAX(cpu, init_cpu);
	s->memory_request = HR_MAX(mem, init_mem);
	s->cpu_limit = all_cpu ? lim_cpu : 0;
	s->memory_limit = all_mem ? lim_mem : 0;
}

/* ---- the pod template ---- */

/* Whether image is the pause image (registry.k8s.io/pause:3.10, an ECR
 * mirror's eks/pause, ...): its last path component, tag and digest left
 * out, is "pause". */
static bool pause_image(const char *image)
{
	const char *slash = strrchr(image, '/'), *name = slash ? slash + 1 : image;
	size_t n = strcspn(name, ":@");
	return n == 5 && !strncmp(name, "pause", 5);
}

/* A pod of pause containers only: a placeholder. Its sandbox image is on
 * every node and nothing starts inside it, so it is Ready as soon as its
 * container runs (no readiness probe, no application start); the
 * service's startup keys may still say otherwise. */
static bool placeholder(const struct ctr *c, size_t n, struct scn_service *s)
{
	for (size_t i = 0; i < n; i++)
		if (!pause_image(c[i].image))
			return false;
	s->placeholder = true;
	s->startup.image_pull_first = (struct dist){DIST_CONSTANT, 0, 0};
	s->startup.app_start = (struct dist){DIST_CONSTANT, 0, 0};
	s->startup.probe_initial_delay = 0;
	return true;
}

static int load_pod_spec(struct ld *L, const struct ynode *v, struct scn_service *s)
{
	const char *known[64];
	join(known, ARRAY_LEN(known), pod_used, pod_placement, pod_ignored, pod_refused);
	struct ctr c[MAX_CONTAINERS];
	size_t n = 0;
	const struct ynode *k;
	if (ld_want_map(L, v, "the pod spec") || ld_check_keys(L, v, known, "the pod spec") ||
	    refuse(L, v, pod_refused, pod_refused_why) || !(k = ld_need(L, v, "containers", "the pod spec")) ||
	    load_containers(L, v, "containers", false, c, &n))
		return -1;
	if (!n)
		return yt_err(L->e, k, "containers: a pod needs at least one container");
	if (load_containers(L, v, "initContainers", true, c, &n) || ld_load_placement(L, v, s))
		return -1;
	if ((k = yt_get(v, "restartPolicy"))) {
		static const char *const policies[] = {"Always", NULL};
		int p = 0;
		if (ld_get_enum(L, v, "restartPolicy", policies, &p))
			return -1;
	}
	int64_t g = 30;
	if (ld_get_int(L, v, "terminationGracePeriodSeconds", 0, 86400, &g))
		return -1;
	s->startup.termination_grace = g * SIM_S;
	if ((k = yt_get(v, "priorityClassName"))) {
		const char *pc = ld_string(L, k, "priorityClassName");
		if (!pc)
			return -1;
		s->priority_class = xstrdup(pc);
	}
	if (ld_resolve_priority(L, k, v, s))
		return -1;
	pod_resources(c, n, s);
	if (s->cpu_request <= 0)
		return yt_err(L->e, yt_get(v, "containers"),
			      "containers: no container requests CPU; headroom needs resources.requests.cpu (or "
			      "limits.cpu) on at least one");
	/* The pod is Ready when every container is; headroom models one probe. */
	const struct ctr *probe = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!c[i].probe)
			continue;
		if (probe)
			return yt_err(L->e, c[i].probe,
				      "readinessProbe: container '%s' has one too (line %d); headroom models one readiness "
				      "probe per pod: keep the application's",
				      probe->name, probe->probe->line);
		probe = &c[i];
	}
	if (placeholder(c, n, s) && !probe)
		return 0;
	if (!probe)
		return yt_err(L->e, yt_get(v, "containers"),
			      "containers: none has a readinessProbe. Kubernetes would make such a pod Ready as soon as its "
			      "containers start, before the application answers, which headroom does not model; give the "
			      "application's container its readinessProbe");
	return load_probe(L, probe->probe, "readinessProbe", &s->startup);
}

/* A pod annotation that only "true" or "false" changes; anything else is a
 * typo Kubernetes would ignore in silence. *value is set when given. */
static int bool_annotation(struct ld *L, const struct ynode *ann, const char *key, bool *value)
{
	const struct ynode *v = ann ? yt_get(ann, key) : NULL;
	if (!v)
		return 0;
	if (!strcmp(v->s, "true") || !strcmp(v->s, "false")) {
		*value = !strcmp(v->s, "true");
		return 0;
	}
	return yt_err(L->e, v, "%s: '%s' changes nothing: its controllers read \"true\" or \"false\"", key, v->s);
}

static int load_template(struct ld *L, const struct ynode *v, struct scn_service *s)
{
	static const char *const keys[] = {"metadata", "spec", NULL};
	static const char *const mkeys[] = {"name", "generateName", "namespace", "labels", "annotations",
					    "creationTimestamp", NULL};
	const struct ynode *m, *n, *ann = NULL;
	if (ld_want_map(L, v, "template") || ld_check_keys(L, v, keys, "template"))
		return -1;
	if ((m = yt_get(v, "metadata"))) {
		if (ld_want_map(L, m, "metadata") || ld_check_keys(L, m, mkeys, "the template's metadata"))
			return -1;
		if ((n = yt_get(m, "labels")) && ld_load_labels(L, n, "labels", &s->labels, &s->n_labels))
			return -1;
		if ((ann = yt_get(m, "annotations")) && ld_check_annotations(L, ann, "annotations"))
			return -1;
	}
	bool dnd = false, safe = true;
	if (bool_annotation(L, ann, DO_NOT_DISRUPT, &dnd) || bool_annotation(L, ann, SAFE_TO_EVICT, &safe))
		return -1;
	s->do_not_disrupt = dnd;
	s->safe_to_evict = safe;
	if (!(n = ld_need(L, v, "spec", "template")))
		return -1;
	return load_pod_spec(L, n, s);
}

/* ---- the Deployment ---- */

static int load_strategy(struct ld *L, const struct ynode *v, struct scn_rollout *r)
{
	static const char *const keys[] = {"type", "rollingUpdate", NULL};
	static const char *const rkeys[] = {"maxSurge", "maxUnavailable", NULL};
	static const char *const types[] = {"RollingUpdate", "Recreate", NULL};
	int type = ROLLOUT_ROLLING_UPDATE;
	const struct ynode *ru;
	if (ld_want_map(L, v, "strategy") || ld_check_keys(L, v, keys, "strategy") || ld_get_enum(L, v, "type", types, &type))
		return -1;
	r->kind = (enum rollout_kind)type;
	ru = yt_get(v, "rollingUpdate");
	if (!ru)
		return 0;
	if (type == ROLLOUT_RECREATE)
		return yt_err(L->e, ru, "rollingUpdate: may not be given when the strategy type is Recreate");
	if (ld_want_map(L, ru, "rollingUpdate") || ld_check_keys(L, ru, rkeys, "rollingUpdate") ||
	    ld_get_intpct(L, ru, "maxSurge", false, &r->max_surge) ||
	    ld_get_intpct(L, ru, "maxUnavailable", true, &r->max_unavailable))
		return -1;
	if (!r->max_surge.value && !r->max_unavailable.value)
		return yt_err(L->e, yt_get(ru, "maxUnavailable") ? yt_get(ru, "maxUnavailable") : ru,
			      "maxUnavailable: may not be 0 when maxSurge is 0 (the rollout could not progress)");
	return 0;
}

static int check_selector_labels(struct ld *L, const struct ynode *sel, const struct ynode *spec, struct scn_service *s)
{
	if (!s->selector.n_match && !s->selector.n_exprs)
		return yt_err(L->e, sel, "selector: an empty selector is invalid for a Deployment (it would select every pod)");
	if (scn_selector_matches(&s->selector, s->labels, s->n_labels))
		return 0;
	const struct ynode *t = yt_get(spec, "template"), *m = yt_get(t, "metadata"), *l = m ? yt_get(m, "labels") : NULL;
	if (!l)
		return yt_err(L->e, sel, "selector does not match the template's labels: the template has none "
				       "(give spec.template.metadata.labels)");
	return yt_err(L->e, sel, "selector does not match the template's labels (line %d): a Deployment must select "
			       "its own pods",
		      l->line);
}

static int load_deploy_spec(struct ld *L, const struct ynode *v, struct scn_service *s)
{
	static const char *const keys[] = {"replicas", "selector", "template", "strategy", "minReadySeconds",
					   "revisionHistoryLimit", "progressDeadlineSeconds", "paused", NULL};
	static const char *const bools[] = {"false", "true", NULL};
	int64_t replicas = 1, ignored = 0, min_ready = 0;
	int paused = 0;
	const struct ynode *sel, *t, *n;
	if (ld_want_map(L, v, "spec") || ld_check_keys(L, v, keys, "the Deployment's spec") ||
	    ld_get_int(L, v, "replicas", 1, MAX_REPLICAS, &replicas) ||
	    ld_get_int(L, v, "minReadySeconds", 0, INT32_MAX, &min_ready) ||
	    ld_get_int(L, v, "revisionHistoryLimit", 0, INT32_MAX, &ignored) ||
	    ld_get_int(L, v, "progressDeadlineSeconds", 1, INT32_MAX, &ignored) ||
	    ld_get_enum(L, v, "paused", bools, &paused) || !(sel = ld_need(L, v, "selector", "the Deployment's spec")) ||
	    ld_load_selector(L, sel, "selector", &s->selector) || !(t = ld_need(L, v, "template", "the Deployment's spec")) ||
	    load_template(L, t, s) || check_selector_labels(L, sel, v, s) ||
	    ((n = yt_get(v, "strategy")) && load_strategy(L, n, &s->rollout)))
		return -1;
	if (min_ready > 0) /* accepted, but a Ready pod counts as available at once: say so */
		ld_warn(L, yt_get(v, "minReadySeconds"),
			"minReadySeconds is not modelled: a pod counts as available as soon as it is Ready");
	s->replicas = (int)replicas;
	return 0;
}

static int load_manifest(struct ld *L, const struct ynode *v, struct scn_service *s)
{
	static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
	const struct ynode *m, *n;
	const char *name = NULL, *ns = NULL;
	if (ld_want_map(L, v, "a Deployment manifest") || ld_check_keys(L, v, keys, "the Deployment manifest") ||
	    !ld_need(L, v, "apiVersion", "the Deployment manifest") || ld_want_word(L, v, "apiVersion", "apps/v1") ||
	    !ld_need(L, v, "kind", "the Deployment manifest") || ld_want_word(L, v, "kind", "Deployment"))
		return -1;
	if ((m = yt_get(v, "metadata"))) {
		if (ld_load_object_meta(L, m, "metadata", &name, &ns))
			return -1;
		/* The two annotations act on pods: on the Deployment they do nothing. */
		const struct ynode *ann = yt_get(m, "annotations");
		const char *const pod_only[] = {DO_NOT_DISRUPT, SAFE_TO_EVICT};
		for (size_t i = 0; ann && i < ARRAY_LEN(pod_only); i++)
			if ((n = yt_get(ann, pod_only[i])))
				return yt_err(L->e, yt_key(ann, (size_t)yt_find(ann, pod_only[i])),
					      "%s: on the Deployment it changes nothing; the controllers read it on pods: "
					      "move it to spec.template.metadata.annotations",
					      pod_only[i]);
	}
	s->deployment_name = xstrdup(name ? name : s->name);
	s->namespace = ns ? xstrdup(ns) : NULL;
	if (!(n = ld_need(L, v, "spec", "the Deployment manifest")))
		return -1;
	return load_deploy_spec(L, n, s);
}

int ld_load_deployment(struct ld *L, const struct ynode *v, struct scn_service *s)
{
	s->has_deployment = true;
	if (ld_want_map(L, v, "deployment"))
		return -1;
	const struct ynode *f = yt_get(v, "file");
	if (!f)
		return load_manifest(L, v, s);
	if (v->n != 1)
		return yt_err(L->e, v, "deployment: either {file: path} or a manifest, not both");
	struct ytree t;
	if (ld_read_manifests(L, f, "a Deployment manifest", &t))
		return -1;
	int rc;
	if (!t.root || !t.root->n)
		rc = herr_at(L->e, t.srcs[0], 0, 0, "empty: expected an apps/v1 Deployment");
	else if (t.root->n > 1)
		rc = yt_err(L->e, t.root->kid[1], "a second document: a Deployment file holds one Deployment");
	else
		rc = load_manifest(L, t.root->kid[0], s);
	yt_free(&t);
	return rc;
}

void ld_default_workload(struct scn_service *s)
{
	s->labels = xcalloc(1, sizeof *s->labels);
	s->labels[0] = (struct scn_label){xstrdup("app"), xstrdup(s->name)};
	s->n_labels = 1;
	s->selector.match = xcalloc(1, sizeof *s->selector.match);
	s->selector.match[0] = (struct scn_label){xstrdup("app"), xstrdup(s->name)};
	s->selector.n_match = 1;
}
