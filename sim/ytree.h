/*
 * ytree.h: a YAML document as a small tree that remembers where each node
 * came from.
 *
 * libfyaml parses; this module keeps, for every scalar, mapping and
 * sequence, its file and 1-based line and column, so the scenario loader can
 * say "file:line:col: what is wrong" about any value, including values that
 * came from a --set override (whose location is the override itself). Scalars
 * are NUL-terminated copies; `plain` tells an unquoted scalar from a quoted
 * one (so `queue: null` and `queue: "null"` can differ). Anchors and aliases
 * are resolved: an alias shares the anchored subtree. Duplicate keys in a
 * mapping are an error, as Kubernetes' own YAML decoder makes them.
 */
#ifndef HEADROOM_YTREE_H
#define HEADROOM_YTREE_H

#include "common.h"

enum ykind { Y_SCALAR, Y_MAP, Y_SEQ };

struct ynode {
	enum ykind kind;
	const char *src;  /* the file name, or the text of a --set override */
	int line, col;    /* 1-based; 0 when src is a --set override */
	char *s;          /* scalar: the text, NUL-terminated (owned by the tree) */
	bool plain;       /* scalar: written without quotes */
	struct ynode **kid; /* map: key 0, value 0, key 1, value 1, ...; seq: items */
	size_t n;         /* map: pairs; seq: items */
	size_t cap;       /* slots allocated in kid */
};

struct ytree {
	struct ynode *root; /* NULL for an empty document */
	struct ynode **all; /* every node, for freeing (aliases share nodes) */
	size_t n_all, cap_all;
	char **srcs;        /* source names owned by the tree */
	size_t n_srcs;
};

/* Parses text (len bytes) as one YAML document into t, naming it `src` in
 * locations (the name is copied). `line0` > 0 gives real line numbers; 0
 * marks every node as coming from src without a position (--set values).
 * Returns 0, or -1 with e set ("src:line:col: ..."); t is then empty. */
int yt_parse(struct ytree *t, const char *src, int line0, const char *text, size_t len, struct herr *e);
/* yt_parse for a stream of documents separated by '---' (a manifest file
 * as kubectl reads it): the root is a list of the documents, in order,
 * empty documents left out; NULL when the text holds no document. Each
 * document has its own anchors. */
int yt_parse_stream(struct ytree *t, const char *src, int line0, const char *text, size_t len, struct herr *e);
/* Frees everything t owns; t is left empty. */
void yt_free(struct ytree *t);
/* Takes src's nodes into dst (src is left empty); for grafting a --set value. */
void yt_adopt(struct ytree *dst, struct ytree *src);

/* Map access: the i-th key and value, and the value of key `k` or NULL. */
static inline struct ynode *yt_key(const struct ynode *m, size_t i) { return m->kid[2 * i]; }
static inline struct ynode *yt_val(const struct ynode *m, size_t i) { return m->kid[2 * i + 1]; }
struct ynode *yt_get(const struct ynode *m, const char *k);
/* The index of key k in map m, or -1. */
long yt_find(const struct ynode *m, const char *k);
/* A new empty map or a scalar owned by t, located like `at`. */
struct ynode *yt_new_map(struct ytree *t, const struct ynode *at);
/* Appends (k, v) to map m. */
void yt_map_add(struct ytree *t, struct ynode *m, struct ynode *k, struct ynode *v);
struct ynode *yt_new_scalar(struct ytree *t, const struct ynode *at, const char *s);

/* Sets e to "where: <fmt>" for node n (its file:line:col, or its --set). */
int yt_err(struct herr *e, const struct ynode *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes node n as flow-style YAML (scalars double-quoted and escaped) into
 * buf of size len; returns the length it needed (as snprintf does). */
size_t yt_emit(const struct ynode *n, char *buf, size_t len);

/* What a node is, for messages: "a mapping", "a list", "'text'". */
const char *yt_what(const struct ynode *n, char *buf, size_t size);

#endif
