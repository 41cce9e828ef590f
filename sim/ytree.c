/*
 * ytree.c: YAML to a located tree, from libfyaml's event stream.
 *
 * libfyaml's document API does not expose node positions in the versions
 * Debian ships, its event API does: each event carries its start mark. So
 * the tree is built from events with an explicit stack of open containers.
 * A mapping's children are appended key, value, key, value, so a mapping is
 * waiting for a key exactly when it holds an even number of children.
 */
#include <libfyaml.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ytree.h"

static struct ynode *node_new(struct ytree *t, enum ykind kind, const char *src, int line, int col)
{
	struct ynode *n = xcalloc(1, sizeof *n);
	n->kind = kind;
	n->src = src;
	n->line = line;
	n->col = col;
	if (t->n_all == t->cap_all) {
		t->cap_all = t->cap_all ? 2 * t->cap_all : 64;
		t->all = xrealloc(t->all, t->cap_all * sizeof *t->all);
	}
	t->all[t->n_all++] = n;
	return n;
}

static void seq_add(struct ynode *p, struct ynode *k)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 4;
		p->kid = xrealloc(p->kid, p->cap * sizeof *p->kid);
	}
	p->kid[p->n++] = k;
}

void yt_free(struct ytree *t)
{
	for (size_t i = 0; i < t->n_all; i++) {
		free(t->all[i]->s);
		free(t->all[i]->kid);
		free(t->all[i]);
	}
	free(t->all);
	for (size_t i = 0; i < t->n_srcs; i++)
		free(t->srcs[i]);
	free(t->srcs);
	memset(t, 0, sizeof *t);
}

void yt_adopt(struct ytree *dst, struct ytree *src)
{
	for (size_t i = 0; i < src->n_all; i++) {
		if (dst->n_all == dst->cap_all) {
			dst->cap_all = dst->cap_all ? 2 * dst->cap_all : 64;
			dst->all = xrealloc(dst->all, dst->cap_all * sizeof *dst->all);
		}
		dst->all[dst->n_all++] = src->all[i];
	}
	dst->srcs = xrealloc(dst->srcs, (dst->n_srcs + src->n_srcs) * sizeof *dst->srcs);
	for (size_t i = 0; i < src->n_srcs; i++)
		dst->srcs[dst->n_srcs++] = src->srcs[i];
	free(src->all);
	free(src->srcs);
	memset(src, 0, sizeof *src);
}

long yt_find(const struct ynode *m, const char *k)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(yt_key(m, i)->s, k))
			return (long)i;
	return -1;
}

struct ynode *yt_get(const struct ynode *m, const char *k)
{
	long i = yt_find(m, k);
	return i < 0 ? NULL : yt_val(m, (size_t)i);
}

struct ynode *yt_new_map(struct ytree *t, const struct ynode *at)
{
	return node_new(t, Y_MAP, at->src, at->line, at->col);
}

struct ynode *yt_new_scalar(struct ytree *t, const struct ynode *at, const char *s)
{
	struct ynode *n = node_new(t, Y_SCALAR, at->src, at->line, at->col);
	n->s = xstrdup(s);
	n->plain = true;
	return n;
}

void yt_map_add(struct ytree *t, struct ynode *m, struct ynode *k, struct ynode *v)
{
	(void)t;
	if (2 * m->n + 2 > m->cap) {
		m->cap = m->cap ? 2 * m->cap : 8;
		m->kid = xrealloc(m->kid, m->cap * sizeof *m->kid);
	}
	m->kid[2 * m->n] = k;
	m->kid[2 * m->n + 1] = v;
	m->n++;
}

int yt_err(struct herr *e, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	herr_vat(e, n->src, n->line, n->col, fmt, ap);
	va_end(ap);
	return -1;
}

const char *yt_what(const struct ynode *n, char *buf, size_t size)
{
	if (n->kind == Y_MAP)
		return "a mapping";
	if (n->kind == Y_SEQ)
		return "a list";
	if (!n->s[0] && n->plain)
		return "nothing";
	snprintf(buf, size, "'%.60s%s'", n->s, strlen(n->s) > 60 ? "..." : "");
	return buf;
}

/* ---- building from events ---- */

struct anchor {
	char *name;
	struct ynode *node;
};

/* A hash set of strings, each under an owner (a mapping for its keys;
 * NULL for anchors), so that finding a duplicate key or an alias's anchor
 * costs the same whatever the number of keys: no quadratic loading. Open
 * addressing, at most half full; the strings are borrowed. */
struct hslot {
	const void *owner;
	const char *key;  /* NULL: empty */
	size_t len;
	size_t val;
};
struct htab {
	struct hslot *s;
	size_t cap, n;    /* cap: a power of 2 */
};

static uint64_t hhash(const void *owner, const char *k, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)owner;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
	return h ^ (h >> 29);
}

/* The slot of (owner, k): its own, or the empty one it would take. */
static struct hslot *ht_slot(const struct htab *h, const void *owner, const char *k, size_t len)
{
	size_t i = (size_t)hhash(owner, k, len) & (h->cap - 1);
	while (h->s[i].key && !(h->s[i].owner == owner && h->s[i].len == len && !memcmp(h->s[i].key, k, len)))
		i = (i + 1) & (h->cap - 1);
	return &h->s[i];
}

/* Finds (owner, k): its value, or SIZE_MAX when absent. */
static size_t ht_get(const struct htab *h, const void *owner, const char *k, size_t len)
{
	if (!h->cap)
		return SIZE_MAX;
	const struct hslot *sl = ht_slot(h, owner, k, len);
	return sl->key ? sl->val : SIZE_MAX;
}

/* Sets (owner, k) to val. */
static void ht_put(struct htab *h, const void *owner, const char *k, size_t len, size_t val)
{
	if (2 * (h->n + 1) > h->cap) {
		struct htab g = {xcalloc(h->cap ? 2 * h->cap : 64, sizeof *g.s), h->cap ? 2 * h->cap : 64, 0};
		for (size_t i = 0; i < h->cap; i++)
			if (h->s[i].key)
				*ht_slot(&g, h->s[i].owner, h->s[i].key, h->s[i].len) = h->s[i];
		g.n = h->n;
		free(h->s);
		*h = g;
	}
	struct hslot *sl = ht_slot(h, owner, k, len);
	h->n += !sl->key;
	*sl = (struct hslot){owner, k, len, val};
}

static void ht_clear(struct htab *h)
{
	if (h->cap)
		memset(h->s, 0, h->cap * sizeof *h->s);
	h->n = 0;
}

struct build {
	struct ytree *t;
	const char *src;
	int line0;
	struct ynode *stack[256]; /* open containers */
	int depth;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	struct htab anchor_ix;  /* anchor name -> its latest index in anchors */
	struct htab key_ix;     /* (mapping, key) -> the key's index in the mapping */
	struct ynode *last; /* the node made last, for locating empty scalars */
	int docs;
	bool stream; /* several documents: the root is the list of them */
};

static void locate(const struct build *b, struct fy_event *ev, int *line, int *col)
{
	const struct fy_mark *m = fy_event_start_mark(ev);
	if (!b->line0) {
		*line = *col = 0;
	} else if (m && m->line >= 0) {
		*line = m->line + b->line0;
		*col = m->column + 1;
	} else if (b->last) {
		*line = b->last->line;
		*col = b->last->col;
	} else {
		*line = b->line0;
		*col = 1;
	}
}

static int add_anchor(struct build *b, struct fy_token *tok, struct ynode *n)
{
	if (!tok)
		return 0;
	size_t len;
	const char *s = fy_token_get_text(tok, &len);
	if (b->n_anchors == b->cap_anchors) {
		b->cap_anchors = b->cap_anchors ? 2 * b->cap_anchors : 16;
		b->anchors = xrealloc(b->anchors, b->cap_anchors * sizeof *b->anchors);
	}
	char *name = xmalloc(len + 1);
	memcpy(name, s ? s : "", s ? len : 0);
	name[s ? len : 0] = '\0';
	b->anchors[b->n_anchors].name = name;
	b->anchors[b->n_anchors].node = n;
	ht_put(&b->anchor_ix, NULL, name, s ? len : 0, b->n_anchors++); /* a later anchor of one name wins */
	return 0;
}

/* Attaches n to the open container (or makes it the root). */
static int attach(struct build *b, struct ynode *n, struct herr *e)
{
	b->last = n;
	if (!b->depth && b->stream) {
		/* An empty document (a stray '---') holds nothing, as for kubectl. */
		if (!(n->kind == Y_SCALAR && n->plain && !n->s[0]))
			seq_add(b->t->root, n);
		return 0;
	}
	if (!b->depth) {
		b->t->root = n;
		return 0;
	}
	struct ynode *p = b->stack[b->depth - 1];
	if (p->kind == Y_SEQ) {
		seq_add(p, n);
		return 0;
	}
	/* A mapping: is n a key or a value? Keys are appended with a NULL value
	 * slot, which the value then fills. */
	if (p->n == 0 || p->kid[2 * p->n - 1]) {
		if (n->kind != Y_SCALAR)
			return yt_err(e, n, "a mapping key must be a plain word, not %s",
				      n->kind == Y_MAP ? "a mapping" : "a list");
		size_t len = strlen(n->s), dup = ht_get(&b->key_ix, p, n->s, len);
		if (dup != SIZE_MAX)
			return yt_err(e, n, "duplicate key '%s' (first given at line %d)", n->s, yt_key(p, dup)->line);
		ht_put(&b->key_ix, p, n->s, len, p->n);
		yt_map_add(b->t, p, n, NULL);
	} else {
		p->kid[2 * p->n - 1] = n;
	}
	return 0;
}

static int on_event(struct build *b, struct fy_event *ev, struct herr *e)
{
	int line, col;
	locate(b, ev, &line, &col);
	struct ynode *n;
	switch (ev->type) {
	case FYET_DOCUMENT_START:
		if (b->stream) {
			/* Anchors belong to their document. */
			for (size_t i = 0; i < b->n_anchors; i++)
				free(b->anchors[i].name);
			b->n_anchors = 0;
			ht_clear(&b->anchor_ix);
			if (!b->t->root)
				b->t->root = node_new(b->t, Y_SEQ, b->src, line, col);
			return 0;
		}
		if (++b->docs > 1)
			return herr_at(e, b->src, line, col, "a scenario is one YAML document; remove this '---'");
		return 0;
	case FYET_SCALAR: {
		size_t len;
		const char *s = fy_token_get_text(ev->scalar.value, &len);
		n = node_new(b->t, Y_SCALAR, b->src, line, col);
		n->s = xmalloc(len + 1);
		memcpy(n->s, s ? s : "", s ? len : 0);
		n->s[s ? len : 0] = '\0';
		n->plain = fy_token_scalar_style(ev->scalar.value) == FYSS_PLAIN;
		if (strlen(n->s) != len)
			return yt_err(e, n, "a value must not contain a NUL character");
		add_anchor(b, ev->scalar.anchor, n);
		return attach(b, n, e);
	}
	case FYET_MAPPING_START:
	case FYET_SEQUENCE_START:
		if (b->depth == (int)(sizeof b->stack / sizeof b->stack[0]))
			return herr_at(e, b->src, line, col, "YAML nested too deeply");
		n = node_new(b->t, ev->type == FYET_MAPPING_START ? Y_MAP : Y_SEQ, b->src, line, col);
		add_anchor(b, ev->type == FYET_MAPPING_START ? ev->mapping_start.anchor : ev->sequence_start.anchor, n);
		if (attach(b, n, e))
			return -1;
		b->stack[b->depth++] = n;
		return 0;
	case FYET_MAPPING_END:
	case FYET_SEQUENCE_END:
		b->depth--;
		return 0;
	case FYET_ALIAS: {
		size_t len;
		const char *s = fy_token_get_text(ev->alias.anchor, &len);
		size_t i = ht_get(&b->anchor_ix, NULL, s ? s : "", s ? len : 0);
		if (i != SIZE_MAX)
			return attach(b, b->anchors[i].node, e);
		/* The mark is the anchor's name; the '*' is one column left. */
		return herr_at(e, b->src, line, col > 1 ? col - 1 : col, "alias '*%.*s' names no anchor defined before it",
			       (int)len, s);
	}
	default:
		return 0;
	}
}

/*
 * libfyaml's first error, as its diagnostic printer formats it:
 * "<input>:LINE:COL: error: MESSAGE". (Collecting errors in the diag object
 * instead leaks them in libfyaml 0.7.12; the printer does not.)
 */
struct first_error {
	bool seen;
	int line, col;   /* 1-based; 0 if not found */
	char msg[300];
};

static void on_diag(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	struct first_error *fe = user;
	static const char tag[] = ": error: ";
	if (fe->seen)
		return;
	const char *hit = NULL;
	for (size_t i = 0; i + sizeof tag - 1 <= len && !hit; i++)
		if (!memcmp(buf + i, tag, sizeof tag - 1))
			hit = buf + i;
	if (!hit)
		return;
	fe->seen = true;
	/* ":LINE:COL" just before the tag. */
	const char *p = hit;
	long nums[2] = {0, 0};
	for (int k = 1; k >= 0; k--) {
		const char *end = p;
		while (p > buf && p[-1] >= '0' && p[-1] <= '9')
			p--;
		if (p == end || p == buf || p[-1] != ':')
			break;
		nums[k] = strtol(p, NULL, 10);
		p--;
	}
	fe->line = (int)nums[0];
	fe->col = (int)nums[1];
	const char *m = hit + sizeof tag - 1;
	size_t n = (size_t)(buf + len - m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == '\r'))
		n--;
	snprintf(fe->msg, sizeof fe->msg, "%.*s", (int)n, m);
}

/*
 * The first byte of text that is not well-formed UTF-8 (RFC 3629: no
 * overlongs, no surrogates, at most U+10FFFF), or len. YAML is Unicode; and
 * libfyaml 0.7.12 loops for ever on a '%' directive followed by a stray byte
 * (found by fuzzing), so malformed text never reaches it.
 */
static size_t bad_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 0;
		if (!n || i + n >= len) /* a stray byte, or a sequence cut by the end */
			return i;
		unsigned cp = c & (0x3fu >> n);
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3fu);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

static int parse(struct ytree *t, const char *src, int line0, const char *text, size_t len, bool stream,
		 struct herr *e)
{
	memset(t, 0, sizeof *t);
	t->srcs = xmalloc(sizeof *t->srcs);
	t->srcs[t->n_srcs++] = xstrdup(src);
	struct build b = {.t = t, .src = t->srcs[0], .line0 = line0, .stream = stream};

	size_t bad = bad_utf8((const unsigned char *)text, len);
	if (bad < len) {
		int line = 1, col = 1;
		for (size_t i = 0; i < bad; i++) {
			if (text[i] == '\n')
				line++, col = 1;
			else if (((unsigned char)text[i] & 0xc0) != 0x80)
				col++;
		}
		herr_at(e, b.src, line0 ? line + line0 - 1 : 0, col, "not valid UTF-8 (byte 0x%02x): a scenario is UTF-8 text",
			(unsigned char)text[bad]);
		yt_free(t);
		return -1;
	}

	struct first_error fe = {0};
	struct fy_diag_cfg dc;
	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.output_fn = on_diag;
	dc.user = &fe;
	dc.colorize = false;
	dc.show_source = false;
	dc.show_position = true;
	dc.show_type = true;
	dc.show_module = false;
	struct fy_diag *diag = fy_diag_create(&dc);
	struct fy_parser *p = NULL;
	int rc = -1;
	if (!diag)
		goto oom;
	struct fy_parse_cfg pc = {.flags = FYPCF_QUIET | FYPCF_DISABLE_MMAP_OPT, .diag = diag};
	p = fy_parser_create(&pc);
	if (!p || fy_parser_set_string(p, text, len))
		goto oom;
	rc = 0;
	struct fy_event *ev;
	while (!rc && (ev = fy_parser_parse(p))) {
		rc = on_event(&b, ev, e);
		fy_parser_event_free(p, ev);
	}
	if (!rc && fy_parser_get_stream_error(p)) {
		if (fe.seen && line0 && fe.line > 0)
			rc = herr_at(e, b.src, fe.line + line0 - 1, fe.col, "%s", fe.msg);
		else
			rc = herr_at(e, b.src, 0, 0, "not valid YAML%s%s", fe.seen ? ": " : "", fe.seen ? fe.msg : "");
	}
	goto out;
oom:
	herr_set(e, "%s: cannot start the YAML parser", src);
out:
	if (p)
		fy_parser_destroy(p);
	if (diag)
		fy_diag_unref(diag);
	for (size_t i = 0; i < b.n_anchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	free(b.anchor_ix.s);
	free(b.key_ix.s);
	if (rc)
		yt_free(t);
	return rc;
}

int yt_parse(struct ytree *t, const char *src, int line0, const char *text, size_t len, struct herr *e)
{
	return parse(t, src, line0, text, len, false, e);
}

int yt_parse_stream(struct ytree *t, const char *src, int line0, const char *text, size_t len, struct herr *e)
{
	return parse(t, src, line0, text, len, true, e);
}

/* ---- emitting ---- */

struct out {
	char *buf;
	size_t len, n; /* capacity, and characters wanted so far */
};

static void put(struct out *o, const char *s, size_t k)
{
	for (size_t i = 0; i < k; i++, o->n++)
		if (o->n + 1 < o->len)
			o->buf[o->n] = s[i];
}

static void put_scalar(struct out *o, const struct ynode *n)
{
	if (n->plain) {
		put(o, n->s, strlen(n->s));
		return;
	}
	put(o, "\"", 1);
	for (const char *p = n->s; *p; p++) {
		if (*p == '"' || *p == '\\')
			put(o, "\\", 1);
		if (*p == '\n')
			put(o, "\\n", 2);
		else
			put(o, p, 1);
	}
	put(o, "\"", 1);
}

static void emit(struct out *o, const struct ynode *n)
{
	if (n->kind == Y_SCALAR) {
		put_scalar(o, n);
		return;
	}
	bool map = n->kind == Y_MAP;
	put(o, map ? "{" : "[", 1);
	for (size_t i = 0; i < n->n; i++) {
		if (i)
			put(o, ", ", 2);
		if (map) {
			put_scalar(o, yt_key(n, i));
			put(o, ": ", 2);
			emit(o, yt_val(n, i));
		} else {
			emit(o, n->kid[i]);
		}
	}
	put(o, map ? "}" : "]", 1);
}

size_t yt_emit(const struct ynode *n, char *buf, size_t len)
{
	struct out o = {buf, len, 0};
	emit(&o, n);
	if (len)
		buf[o.n < len ? o.n : len - 1] = '\0';
	return o.n;
}
