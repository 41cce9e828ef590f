/*
 * catalog.h: the EC2 instance types a provisioner may launch, read from a CSV
 * file (scenarios/catalogs/ec2-us-east-1.csv and its README).
 *
 * A catalog is a table of instance types in file order, names unique. Each
 * type carries what EC2 reports (vCPUs, MiB, the ENI-limited max pods, the
 * architecture), its hourly prices, Karpenter's well-known labels derived
 * from the name, and the allocatable Karpenter computes for it on EKS
 * (sched_eks_allocatable with VM_MEMORY_OVERHEAD_PERCENT 0.075): the room
 * kube-scheduler sees on a fresh node before any DaemonSet.
 *
 * Labels, as aws/karpenter-provider-aws pkg/providers/instancetype/types.go
 * (computeRequirements) derives them: the name split at its one '.' gives
 * karpenter.k8s.aws/instance-family and instance-size; the regular expression
 * (^[a-z]+)(\-[0-9]+tb)?([0-9]+).*\. gives instance-category (the leading
 * letters) and instance-generation (the digits after them, past an optional
 * "-<n>tb"). m5.large: family m5, size large, category m, generation 5;
 * u-6tb1.metal: family u-6tb1, category u, generation 1. A name the
 * expression does not match has no category (empty) and generation 0.
 *
 * The file: a header line naming the columns, in any order, then one line
 * per type; blank lines and lines starting with '#' are skipped. Required
 * columns: name, arch, vcpu, memory_mib, max_pods, price_usd_hour. Optional:
 * family, generation, size, category (checked against the name when given),
 * spot_price_usd_hour (an empty cell means unknown). Units: memory in MiB,
 * prices in USD per hour.
 */
#ifndef HEADROOM_CATALOG_H
#define HEADROOM_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"

#define CATALOG_VM_OVERHEAD 0.075 /* Karpenter's VM_MEMORY_OVERHEAD_PERCENT default */

struct instance_type {
	char name[32];          /* node.kubernetes.io/instance-type, e.g. "m5.large" */
	char family[16];        /* karpenter.k8s.aws/instance-family, "m5" */
	char category[8];       /* karpenter.k8s.aws/instance-category, "m"; "" when the name gives none */
	int generation;         /* karpenter.k8s.aws/instance-generation, 5; 0 when the name gives none */
	char size[16];          /* karpenter.k8s.aws/instance-size, "large" */
	bool arm64;             /* kubernetes.io/arch arm64 (else amd64) */
	int vcpu;               /* vCPUs (karpenter.k8s.aws/instance-cpu) */
	double memory_mib;      /* MiB as EC2 reports it (karpenter.k8s.aws/instance-memory), a whole number */
	int max_pods;           /* kubelet maxPods (ENI-limited on EKS) */
	double price_hour;      /* USD per hour, on-demand */
	double spot_price_hour; /* USD per hour, spot; <= 0 if unknown */
	double alloc_cpu;       /* cores allocatable, as Karpenter computes it */
	double alloc_mem;       /* bytes allocatable, as Karpenter computes it */
	int alloc_pods;         /* pods allocatable (max_pods) */
};

struct catalog {
	struct instance_type *types; /* n types in file order, names unique */
	size_t n;                    /* number of types, >= 1 once loaded */
	char *path;                  /* the file it was read from (owned) */
};

/*
 * Reads the catalog at path into *c (which need not be initialised).
 * Returns 0, or -1 with e->msg set to "path:line:col: what is wrong" for the
 * first problem found (an unreadable file, an unknown, repeated or missing
 * column, a row with the wrong number of cells, a bad or out-of-range value,
 * a label that disagrees with the name, a repeated name, no rows); on
 * failure *c is left empty and owns nothing. Free with catalog_free.
 */
int catalog_load(struct catalog *c, const char *path, struct herr *e);

/* Frees what c owns and leaves it empty; c may be NULL or already empty. */
void catalog_free(struct catalog *c);

/* The type named name (exact, case-sensitive), or NULL. Borrowed from c. */
const struct instance_type *catalog_find(const struct catalog *c, const char *name);

/* The well-known label keys an instance type gives its nodes (Karpenter's
 * and Kubernetes'), NULL-terminated. */
extern const char *const catalog_label_keys[];
/* The value of label `key` on a node of type t, as text (numbers written
 * into buf, n bytes); NULL when key is not one of catalog_label_keys. */
const char *catalog_label(const struct instance_type *t, const char *key, char *buf, size_t n);

/* The name in c closest to name (edit distance) when it is close enough to
 * be a likely typo ("m5.larg" -> "m5.large"), else NULL. Borrowed from c. */
const char *catalog_suggest(const struct catalog *c, const char *name);

/* Writes the message for a name not in c into buf (at most len bytes, NUL
 * included): "no instance type 'm5.larg' in PATH; did you mean 'm5.large'?",
 * or "... in PATH (N types, e.g. 'm5.large')" when nothing is close.
 * Returns buf. */
char *catalog_unknown_msg(const struct catalog *c, const char *name, char *buf, size_t len);

/* Fills the labels of t (family, size, category, generation) from t->name
 * as Karpenter derives them. Returns 0, or -1 when the name is not of the
 * form family.size or a part is too long for its field. */
int catalog_labels(struct instance_type *t);

#endif
