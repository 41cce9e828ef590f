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
