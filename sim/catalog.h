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
 *
 * Offerings (aws/karpenter-provider-aws pkg/providers/instancetype/offering:
 * an instance type's (zone, capacity type, price, available)) come from an
 * optional second file, read by catalog_load_offerings: a header naming the
 * columns name, zone, capacity_type, price_usd_hour and optionally
 * available, then one offering per line. Without one, every type is offered
 * on-demand at price_usd_hour and, where spot_price_usd_hour is given, spot
 * at that price, in every zone. The file's rows for a type and a capacity
 * type replace that default for them: the type is then offered with that
 * capacity type where the rows say (an empty zone: every zone) and nowhere
 * else; available false keeps a row's offering from ever being launched.
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

/* One row of an offerings file. */
struct offering {
	int type;           /* catalog index */
	bool spot;          /* karpenter.sh/capacity-type spot, else on-demand */
	bool available;     /* false: listed, never launchable */
	double price_hour;  /* USD per hour */
	char zone[64];      /* topology.kubernetes.io/zone; "": every zone of the cluster */
	int line;           /* its line in the file */
};

struct catalog {
	struct instance_type *types; /* n types in file order, names unique */
	size_t n;                    /* number of types, >= 1 once loaded */
	char *path;                  /* the file it was read from (owned) */
	struct offering *offers;     /* an offerings file's rows, in file order (owned); NULL: none read */
	size_t n_offers;
	char *offers_path;           /* that file (owned), or NULL */
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

/*
 * Reads the offerings file at path into c (loaded, at least one type),
 * replacing any read before. Returns 0, or -1 with e->msg set to
 * "path:line:col: what is wrong" for the first problem (an unreadable file,
 * a bad header as catalog_load says it, a name not in c with a did-you-mean,
 * a zone that is not a label value, a capacity type other than on-demand or
 * spot, a price out of range or, for spot, above the type's on-demand price,
 * available other than true or false, an offering given twice, an
 * every-zone row beside per-zone rows of the same type and capacity type,
 * no rows); then c has no offerings. c's types are never touched.
 */
int catalog_load_offerings(struct catalog *c, const char *path, struct herr *e);

/*
 * The offerings of c in the cluster zones zones[0..nz), as a table: the
 * price of type t in zone z as capacity type k (0 on-demand, 1 spot) at
 * [(t * nz + z) * 2 + k], USD per hour, or 0 when t is not offered there so
 * (or offered but not available). The defaults and the file's rows as the
 * header says; a row's zone not among zones is left out (the file may cover
 * a region's every zone). Returns a new array (caller frees).
 */
double *catalog_offer_table(const struct catalog *c, const char *const *zones, size_t nz);

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

/* Whether some type of c is of instance family `family` (exact). */
bool catalog_has_family(const struct catalog *c, const char *family);

/* The same message for a family no type of c has: "no instance family
 * 'm6' in PATH; did you mean 'm5'?", or "... in PATH (e.g. 'm5')" when
 * nothing is close. Returns buf. */
char *catalog_unknown_family_msg(const struct catalog *c, const char *name, char *buf, size_t len);

/* Fills the labels of t (family, size, category, generation) from t->name
 * as Karpenter derives them. Returns 0, or -1 when the name is not of the
 * form family.size or a part is too long for its field. */
int catalog_labels(struct instance_type *t);

#endif
