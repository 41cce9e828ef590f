/*
 * Nodes (models/node.c): draining.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "world.h"

/* Two static nodes, one pod of `a` on each (LeastAllocated spreads them),
 * and one of `b` on each: the run has not started, so no pod holds a request and
 * an eviction ends it at once. */
static const char *const two_nodes =
	"name: drain\nseed: 1\nduration: 1m\n"
	"cluster:\n  nodes:\n"
	"    - {name: n, count: 2, allocatable: {cpu: \"4\", memory: 16Gi, pods: 10}}\n"
	"services:\n"
	"  a:\n    replicas: 2\n    resources: {requests: {cpu: \"1\"}}\n    cpu_per_request: 10ms\n    traffic: {rate: 1rps}\n"
	"  b:\n    replicas: 2\n    resources: {requests: {cpu: \"1\"}}\n    cpu_per_request: 10ms\n";

/*
 * Draining a node whose pods leave at once removes the node in the middle
 * of the eviction loop, and the last node of the array moves into its
 * slot. The loop must not go on to evict the pods of the node that moved
 * (it did: it matched pods by the old index).
 */
Test(node, drain_evicts_only_the_drained_nodes_pods)
{
	char dir[] = "/tmp/hr-node-XXXXXX", path[64];
	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(two_nodes, f);
	fclose(f);
	struct scenario sc;
	struct herr e;
	cr_assert_eq(scn_load(&sc, path, NULL, 0, &e), 0, "%s", e.msg);
	unlink(path);
	rmdir(dir);
	struct memsink m;
	struct sink out = memsink_init(&m);
	struct sim s;
	sim_init(&s, sc.seed, sc.duration);
	struct world *w = world_new(&s, &sc, &out);
	cr_assert_eq(w->n_nodes, 2);
	/* The pods on the node that stays (index 1, which moves to 0). */
	struct pod *keep[4];
	int n_keep = 0;
	for (size_t i = 0; i < w->n_svcs; i++)
		for (uint32_t j = 0; j < w->svcs[i].n_pods; j++) {
			struct pod *p = w->svcs[i].pods[j];
			cr_assert(p->bound && p->phase == POD_RUNNING && p->ready);
			if (p->node == 1)
				keep[n_keep++] = p;
		}
	cr_assert_eq(n_keep, 2, "one pod of each service on each node");
	uint32_t nums[2] = {keep[0]->num, keep[1]->num};
	node_drain(w, w->wnodes[0], "test");
	cr_expect_eq(w->n_nodes, 1, "the drained node is gone");
	for (int k = 0; k < n_keep; k++) {
		cr_expect_eq(keep[k]->num, nums[k], "slot reused");
		cr_expect_eq(keep[k]->phase, POD_RUNNING, "%s-%u on the other node was evicted",
			     keep[k]->svc->cfg->name, keep[k]->num);
		cr_expect(keep[k]->ready);
		cr_expect_eq(keep[k]->node, 0, "it is on the node now at index 0");
	}
	/* Exactly the two pods of the drained node were deleted. */
	int deleted = 0;
	for (size_t i = 0; i < m.n_decisions; i++)
		deleted += !strcmp(m.decisions[i].r.kind, "pod") && !strcmp(m.decisions[i].r.event, "deleted");
	cr_expect_eq(deleted, 2);
	for (size_t i = 0; i < w->n_svcs; i++)
		cr_expect_eq(w->svcs[i].n_live, 2, "the ReplicaSet replaced the evicted pod");
	world_free(w);
	sim_release(&s);
	memsink_free(&m);
	scn_free(&sc);
}

/*
 * A pod's start-up breakdown when its node was launched just before the pod
 * was created and became Ready after: the wait from the pod's creation to
 * the node's Ready is node start, not scheduling. Hand-computed: node
 * launched at 100 s, pod created at 110 s, node Ready and pod scheduled at
 * 140 s, pulled 141 s, started 142 s, app 150 s, Ready 151 s.
 */
Test(node, a_node_launched_before_the_pod_but_not_ready_is_its_node_start)
{
	struct pod p = {.created = 110 * SIM_S, .t_sched = 140 * SIM_S, .t_pulled = 141 * SIM_S,
			.t_started = 142 * SIM_S, .t_app = 150 * SIM_S};
	char buf[320];
	pod_note_node(&p, 100 * SIM_S, 140 * SIM_S);
	cr_expect_eq(p.n_launched, 110 * SIM_S, "the wait starts at the pod's creation");
	cr_expect_eq(p.n_ready, 140 * SIM_S);
	pod_start_breakdown(&p, 151 * SIM_S, buf, sizeof buf);
	cr_expect_str_eq(buf, "41.0s: provisioning 0.0s, node start 30.0s, scheduling 0.0s, image pull 1.0s, container "
			      "1.0s, app 8.0s, probe 1.0s; dominant: node start");
	/* A node launched for the pod 5 s after it was created: provisioning 5 s, node start 25 s. */
	pod_note_node(&p, 115 * SIM_S, 140 * SIM_S);
	pod_start_breakdown(&p, 151 * SIM_S, buf, sizeof buf);
	cr_expect_str_eq(buf, "41.0s: provisioning 5.0s, node start 25.0s, scheduling 0.0s, image pull 1.0s, container "
			      "1.0s, app 8.0s, probe 1.0s; dominant: node start");
	/* A node Ready before the pod was created: the wait is scheduling. */
	pod_note_node(&p, 10 * SIM_S, 100 * SIM_S);
	cr_expect_eq(p.n_launched, -1);
	pod_start_breakdown(&p, 151 * SIM_S, buf, sizeof buf);
	cr_expect_str_eq(buf, "41.0s: provisioning 0.0s, node start 0.0s, scheduling 30.0s, image pull 1.0s, container "
			      "1.0s, app 8.0s, probe 1.0s; dominant: scheduling");
}
