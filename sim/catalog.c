/*
 * catalog.c: the instance-type catalog (see catalog.h).
 *
 * The reader is a small CSV parser: one record per line (no newlines inside
 * cells), cells separated by commas, optionally wrapped in double quotes
 * ("" is a quote inside them), spaces around a cell ignored. Every cell
 * remembers its 1-based column so a message can point at it. The first
 * problem ends the load; the catalog is built only from a file that is
 * wholly right.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h"
#include "scheduler.h"
#include "units.h"

#define MAX_CELLS 64            /* cells read per line; more is always an error */
#define MAX_VCPU 4096           /* the largest EC2 types have 896 */
#define MAX_MEMORY_MIB 67108864 /* 64 TiB; the largest EC2 types have 32 TiB */
#define MAX_PODS 5000           /* EKS's ENI-limited maximum is 737 */
#define MAX_PRICE 1000.0        /* USD per hour; the dearest EC2 types cost about 400 */

/* The columns a catalog may have, in the order of col_names. */
enum col {
	C_NAME, C_FAMILY, C_GENERATION, C_SIZE, C_CATEGORY, C_ARCH,
	C_VCPU, C_MEMORY, C_PODS, C_PRICE, C_SPOT, N_COLS
};

static const char *const col_names[N_COLS + 1] = {
	"name", "family", "generation", "size", "category", "arch", "vcpu", "memory_mib", "max_pods",
	"price_usd_hour", "spot_price_usd_hour", NULL,
};
static const bool col_required[N_COLS] = {
	[C_NAME] = true, [C_ARCH] = true, [C_VCPU] = true, [C_MEMORY] = true, [C_PODS] = true, [C_PRICE] = true,
};

/* The columns of an offerings file, in the order of ocol_names. */
enum ocol { O_NAME, O_ZONE, O_CAPACITY, O_PRICE, O_AVAILABLE, N_OCOLS };

static const char *const ocol_names[N_OCOLS + 1] = {
	"name", "zone", "capacity_type", "price_usd_hour", "available", NULL,
};
static const bool ocol_required[N_OCOLS] = {
	[O_NAME] = true, [O_ZONE] = true, [O_CAPACITY] = true, [O_PRICE] = true,
};

#define MAX_COLS N_COLS /* the most columns a kind of file has */

/* One line split into cells. */
struct cells {
	char *s[MAX_CELLS]; /* cell texts, NUL-terminated inside the line */
	int col[MAX_CELLS]; /* 1-based column where each cell starts */
	int n;              /* cells on the line (may exceed MAX_CELLS: only the first are kept) */
};

/* Where the reader is, for messages, and the kind of file it reads. */
struct rd {
	const char *path; /* the file, borrowed */
	int line;         /* 1-based number of the line being read */
	struct herr *e;   /* where the first error goes */
	const char *const *names; /* the kind's column names, NULL-terminated */
	const bool *required;     /* per column: the file must have it */
	int n_cols;       /* columns of the kind */
	int map[MAX_COLS];/* cell index of each column, -1 when the file lacks it */
	int n_hdr;        /* cells in the header */
	const char *example; /* a header of the kind, for the message of a file without one */
	const char *rows; /* what its rows are, for the message of a file without any ("offerings") */
};

/* Reads one row of cells c (the line len characters long) into ctx. */
typedef int (*row_fn)(struct rd *r, const struct cells *c, int len, void *ctx);

/* ---- edit distance, for did-you-mean ---- */

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t sub = diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			row[j] = HR_MIN(HR_MIN(up + 1, row[j - 1] + 1), sub);
			diag = up;
		}
	}
	return row[lb];
}

/* Whether distance d from a word of length len is close enough to be a typo. */
static bool close_enough(size_t d, size_t len)
{
	return (d <= 2 && d < len) || d <= len / 3;
}

static const char *closest_col(const struct rd *r, const char *s)
{
	const char *best = NULL;
	size_t bd = 99;
	for (size_t i = 0; r->names[i]; i++) {
		size_t d = edit_distance(s, r->names[i]);
		if (d < bd) {
			bd = d;
			best = r->names[i];
		}
	}
	return close_enough(bd, strlen(s)) ? best : NULL;
}

/* ---- lines and cells ---- */

static char *trim(char *s, char **end)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *t = *end;
	while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
		t--;
	*end = t;
	return s;
}

/* Splits line (modified in place) into c. Returns 0, or -1 with a message
 * for an unterminated quote or text after a closing quote. */
static int split(struct rd *r, char *line, struct cells *c)
{
	char *p = line;
	c->n = 0;
	for (;;) {
		char *start = p, *end;
		while (*start == ' ' || *start == '\t')
			start++;
		char *text = start;
		if (*start == '"') {
			char *w = ++text;
			for (p = text;; p++) {
				if (!*p)
					return herr_at(r->e, r->path, r->line, (int)(start - line) + 1, "unterminated quote");
				if (*p == '"' && p[1] != '"')
					break;
				*w++ = *p;
				if (*p == '"')
					p++;
			}
			end = w;
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p && *p != ',')
				return herr_at(r->e, r->path, r->line, (int)(p - line) + 1,
					       "text after a closing quote: quote the whole cell");
		} else {
			p = start + strcspn(start, ",");
			end = p;
			text = trim(start, &end);
		}
		char sep = *p;
		*end = '\0';
		if (c->n < MAX_CELLS) {
			c->s[c->n] = text;
			c->col[c->n] = (int)(start - line) + 1;
		}
		c->n++;
		if (sep != ',')
			return 0;
		p++;
	}
}

/* Reads the next line that is neither blank nor a comment into *buf;
 * returns its length, or -1 at the end of the file. */
static ssize_t next_line(struct rd *r, FILE *f, char **buf, size_t *cap)
{
	ssize_t len;
	while ((len = getline(buf, cap, f)) >= 0) {
		r->line++;
		char *s = *buf;
		while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
			s[--len] = '\0';
		if (r->line == 1 && !strncmp(s, "\xef\xbb\xbf", 3)) { /* a spreadsheet's byte-order mark */
			memmove(s, s + 3, (size_t)len - 2);
			len -= 3;
		}
		size_t lead = strspn(s, " \t");
		if (s[lead] && s[lead] != '#')
			return len;
	}
	return -1;
}

/* ---- the header ---- */

static void list_cols(const struct rd *r, char *buf, size_t len, bool required_only)
{
	size_t k = 0;
	buf[0] = '\0';
	for (int i = 0; i < r->n_cols && k < len; i++)
		if (!required_only || r->required[i])
			k += (size_t)snprintf(buf + k, len - k, "%s%s", k ? ", " : "", r->names[i]);
}

static int unknown_cols(struct rd *r, const struct cells *c, const bool *known)
{
	int first = -1, n_unknown = 0;
	char names[400] = "";
	size_t k = 0;
	for (int i = 0; i < c->n && i < MAX_CELLS; i++) {
		if (known[i])
			continue;
		if (first < 0)
			first = i;
		n_unknown++;
		if (k < sizeof names)
			k += (size_t)snprintf(names + k, sizeof names - k, "%s'%s'", k ? ", " : "", c->s[i]);
	}
	if (first < 0)
		return 0;
	const char *near = n_unknown == 1 ? closest_col(r, c->s[first]) : NULL;
	if (near)
		return herr_at(r->e, r->path, r->line, c->col[first], "unknown column %s; did you mean '%s'?", names,
			       near);
	char all[200];
	list_cols(r, all, sizeof all, false);
	return herr_at(r->e, r->path, r->line, c->col[first], "unknown column%s %s (the columns are %s)",
		       n_unknown > 1 ? "s" : "", names, all);
}

static int missing_cols(struct rd *r)
{
	char names[200] = "", req[200];
	size_t k = 0;
	int n = 0;
	for (int i = 0; i < r->n_cols; i++) {
		if (!r->required[i] || r->map[i] >= 0)
			continue;
		k += (size_t)snprintf(names + k, sizeof names - k, "%s'%s'", k ? ", " : "", r->names[i]);
		n++;
	}
	if (!n)
		return 0;
	list_cols(r, req, sizeof req, true);
	return herr_at(r->e, r->path, r->line, 1, "missing column%s %s (required: %s)", n > 1 ? "s" : "", names, req);
}

static int read_header(struct rd *r, const struct cells *c)
{
	if (c->n > MAX_CELLS)
		return herr_at(r->e, r->path, r->line, 1, "%d columns in the header: at most %d", c->n, MAX_CELLS);
	bool known[MAX_CELLS] = {false};
	for (int i = 0; i < r->n_cols; i++)
		r->map[i] = -1;
	for (int i = 0; i < c->n; i++) {
		if (!*c->s[i])
			return herr_at(r->e, r->path, r->line, c->col[i], "empty column name in the header");
		for (int k = 0; k < r->n_cols; k++) {
			if (strcmp(c->s[i], r->names[k]))
				continue;
			if (r->map[k] >= 0)
				return herr_at(r->e, r->path, r->line, c->col[i], "column '%s' appears twice (first at column %d)",
					       c->s[i], c->col[r->map[k]]);
			r->map[k] = i;
			known[i] = true;
		}
	}
	r->n_hdr = c->n;
	if (unknown_cols(r, c, known))
		return -1;
	return missing_cols(r);
}

/* ---- labels ---- */

int catalog_labels(struct instance_type *t)
{
	const char *dot = strchr(t->name, '.');
	if (!dot || dot == t->name || !dot[1] || strchr(dot + 1, '.'))
		return -1;
	size_t nf = (size_t)(dot - t->name), ns = strlen(dot + 1);
	if (nf >= sizeof t->family || ns >= sizeof t->size)
		return -1;
	memcpy(t->family, t->name, nf);
	t->family[nf] = '\0';
	memcpy(t->size, dot + 1, ns + 1);

	/* (^[a-z]+)(\-[0-9]+tb)?([0-9]+).*\. on the name: letters, an optional
	 * "-<n>tb", then the generation digits, which must come before the dot.
	 * Backtracking never changes the groups: a shorter letter run would be
	 * followed by a letter, a shorter digit run only feeds the ".*". */
	const char *p = t->family;
	size_t nc = strspn(p, "abcdefghijklmnopqrstuvwxyz");
	t->category[0] = '\0';
	t->generation = 0;
	if (!nc || nc >= sizeof t->category)
		return 0;
	const char *q = p + nc;
	if (q[0] == '-' && isdigit((unsigned char)q[1])) {
		size_t nd = strspn(q + 1, "0123456789");
		if (!strncmp(q + 1 + nd, "tb", 2) && isdigit((unsigned char)q[3 + nd]))
			q += 3 + nd;
	}
	size_t ng = strspn(q, "0123456789");
	if (!ng || ng > 6)
		return 0;
	memcpy(t->category, p, nc);
	t->category[nc] = '\0';
	t->generation = atoi(q);
	return 0;
}

/* ---- cells to values ---- */

/* "vcpu 'two' is not a whole number": the column, its cell, what is wrong. */
static int bad(struct rd *r, const struct cells *c, int k, const char *what)
{
	return herr_at(r->e, r->path, r->line, c->col[r->map[k]], "%s '%s' %s", r->names[k], c->s[r->map[k]], what);
}

static int get_int(struct rd *r, const struct cells *c, int k, int64_t lo, int64_t hi, int64_t *out)
{
	char why[UNITS_WHY];
	const char *s = c->s[r->map[k]];
	if (!*s)
		return bad(r, c, k, "is empty");
	if (units_integer(s, out, why))
		return bad(r, c, k, "is not a whole number");
	if (*out < lo || *out > hi) {
		char want[80];
		snprintf(want, sizeof want, "is out of range: want %lld to %lld", (long long)lo, (long long)hi);
		return bad(r, c, k, want);
	}
	return 0;
}

static int get_price(struct rd *r, const struct cells *c, int k, double *out)
{
	char why[UNITS_WHY];
	const char *s = c->s[r->map[k]];
	if (!*s)
		return bad(r, c, k, "is empty");
	if (units_number(s, out, why))
		return bad(r, c, k, "is not a number");
	if (!(*out > 0 && *out <= MAX_PRICE))
		return bad(r, c, k, "is out of range: want more than 0 and at most 1000 (USD per hour)");
	return 0;
}

/* A label cell, when the file has the column, must say what the name gives. */
static int check_label(struct rd *r, const struct cells *c, enum col k, const char *name, const char *want)
{
	if (r->map[k] < 0 || !strcmp(c->s[r->map[k]], want))
		return 0;
	if (!*want)
		return herr_at(r->e, r->path, r->line, c->col[r->map[k]],
			       "%s '%s' does not match name '%s': Karpenter gives it no %s (leave the cell empty)",
			       col_names[k], c->s[r->map[k]], name, col_names[k]);
	return herr_at(r->e, r->path, r->line, c->col[r->map[k]],
		       "%s '%s' does not match name '%s': Karpenter's label is '%s'", col_names[k], c->s[r->map[k]],
		       name, want);
}

static int get_name(struct rd *r, const struct cells *c, struct instance_type *t)
{
	const char *s = c->s[r->map[C_NAME]];
	int col = c->col[r->map[C_NAME]];
	if (!*s)
		return herr_at(r->e, r->path, r->line, col, "name is empty");
	if (strlen(s) >= sizeof t->name)
		return herr_at(r->e, r->path, r->line, col, "name '%s' is too long: at most %zu characters", s,
			       sizeof t->name - 1);
	bool ok = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") == strlen(s);
	strcpy(t->name, s);
	if (!ok || catalog_labels(t))
		return herr_at(r->e, r->path, r->line, col,
			       "name '%s' is not an EC2 instance type: want family.size in lower case, e.g. m5.large", s);
	char gen[16] = "";
	if (t->generation)
		snprintf(gen, sizeof gen, "%d", t->generation);
	if (check_label(r, c, C_FAMILY, s, t->family) || check_label(r, c, C_SIZE, s, t->size) ||
	    check_label(r, c, C_CATEGORY, s, t->category) || check_label(r, c, C_GENERATION, s, gen))
		return -1;
	return 0;
}

static int get_arch(struct rd *r, const struct cells *c, struct instance_type *t)
{
	const char *s = c->s[r->map[C_ARCH]];
	if (strcmp(s, "amd64") && strcmp(s, "arm64"))
		return herr_at(r->e, r->path, r->line, c->col[r->map[C_ARCH]],
			       "arch '%s' is not amd64 or arm64 (the values of kubernetes.io/arch)", s);
	t->arm64 = !strcmp(s, "arm64");
	return 0;
}

static int get_sizes(struct rd *r, const struct cells *c, struct instance_type *t)
{
	int64_t vcpu, mib, pods;
	if (get_int(r, c, C_VCPU, 1, MAX_VCPU, &vcpu) || get_int(r, c, C_MEMORY, 1, MAX_MEMORY_MIB, &mib) ||
	    get_int(r, c, C_PODS, 1, MAX_PODS, &pods))
		return -1;
	t->vcpu = (int)vcpu;
	t->memory_mib = (double)mib;
	t->max_pods = (int)pods;
	struct sched_instance it = {t->vcpu, t->memory_mib, t->max_pods, t->arm64};
	struct sched_alloc a = sched_eks_allocatable(&it, CATALOG_VM_OVERHEAD);
	if (a.mem <= 0)
		return herr_at(r->e, r->path, r->line, c->col[r->map[C_MEMORY]],
			       "memory_mib '%s' leaves no allocatable memory: Karpenter reserves %d MiB for %d pods "
			       "(11 per pod + 255), 100 MiB for eviction and 7.5%% for the VM",
			       c->s[r->map[C_MEMORY]], 11 * t->max_pods + 255, t->max_pods);
	t->alloc_cpu = a.cpu;
	t->alloc_mem = a.mem;
	t->alloc_pods = a.pods;
	return 0;
}

static int get_prices(struct rd *r, const struct cells *c, struct instance_type *t)
{
	if (get_price(r, c, C_PRICE, &t->price_hour))
		return -1;
	t->spot_price_hour = 0;
	if (r->map[C_SPOT] < 0 || !*c->s[r->map[C_SPOT]])
		return 0;
	if (get_price(r, c, C_SPOT, &t->spot_price_hour))
		return -1;
	if (t->spot_price_hour > t->price_hour)
		return herr_at(r->e, r->path, r->line, c->col[r->map[C_SPOT]],
			       "spot_price_usd_hour '%s' is above price_usd_hour '%s': EC2 caps spot at the on-demand price",
			       c->s[r->map[C_SPOT]], c->s[r->map[C_PRICE]]);
	return 0;
}

/* A row has as many cells as the header names columns. */
static int check_cells(struct rd *r, const struct cells *c, int len)
{
	if (c->n == r->n_hdr)
		return 0;
	int col = c->n < r->n_hdr ? len + 1 : r->n_hdr < MAX_CELLS ? c->col[r->n_hdr] : 1;
	return herr_at(r->e, r->path, r->line, col, "%d cell%s, but the header names %d columns", c->n,
		       c->n == 1 ? "" : "s", r->n_hdr);
}

static int read_row(struct rd *r, const struct cells *c, int len, struct instance_type *t)
{
	if (check_cells(r, c, len))
		return -1;
	memset(t, 0, sizeof *t);
	if (get_name(r, c, t) || get_arch(r, c, t) || get_sizes(r, c, t) || get_prices(r, c, t))
		return -1;
	return 0;
}

/* ---- loading ---- */

/* Appends t to c unless its name is taken; lines[] holds each type's line. */
/* At most this many types: EC2 offers about 900; the duplicate check and
 * Karpenter's per-pool tables grow with it. */
#define CATALOG_MAX_TYPES 5000

static int add_type(struct rd *r, struct catalog *c, int **lines, size_t *cap, const struct instance_type *t)
{
	if (c->n >= CATALOG_MAX_TYPES)
		return herr_at(r->e, r->path, r->line, 1,
			       "more than %d instance types: a catalog holds at most %d (EC2 offers about 900); keep the "
			       "types your NodePools and node groups may use",
			       CATALOG_MAX_TYPES, CATALOG_MAX_TYPES);
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->types[i].name, t->name))
			return herr_at(r->e, r->path, r->line, 1, "instance type '%s' appears twice (first on line %d)",
				       t->name, (*lines)[i]);
	if (c->n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		c->types = xrealloc(c->types, *cap * sizeof *c->types);
		*lines = xrealloc(*lines, *cap * sizeof **lines);
	}
	(*lines)[c->n] = r->line;
	c->types[c->n++] = *t;
	return 0;
}

/* The header, then every row through `row`; no header, an unreadable
 * file or no rows are errors too. */
static int read_csv(struct rd *r, FILE *f, row_fn row, void *ctx)
{
	char *buf = NULL;
	size_t bufcap = 0, n = 0;
	struct cells cl;
	int rc;
	ssize_t len = next_line(r, f, &buf, &bufcap);
	if (len < 0)
		rc = herr_at(r->e, r->path, 0, 0, "no header: want a first line naming the columns, e.g. %s", r->example);
	else
		rc = split(r, buf, &cl) ? -1 : read_header(r, &cl);
	for (; !rc && (len = next_line(r, f, &buf, &bufcap)) >= 0; n++)
		rc = split(r, buf, &cl) || row(r, &cl, (int)len, ctx) ? -1 : 0;
	if (!rc && ferror(f))
		rc = herr_at(r->e, r->path, 0, 0, "cannot read: %s", strerror(errno));
	if (!rc && !n)
		rc = herr_at(r->e, r->path, 0, 0, "no %s: the file has a header but no rows", r->rows);
	free(buf);
	return rc;
}

/* The catalog being read and each type's line. */
struct type_rd {
	struct catalog *c;
	int *lines;
	size_t cap;
};

static int type_row(struct rd *r, const struct cells *c, int len, void *ctx)
{
	struct type_rd *x = ctx;
	struct instance_type t;
	return read_row(r, c, len, &t) || add_type(r, x->c, &x->lines, &x->cap, &t) ? -1 : 0;
}

/* The CSV at path opened for reading, a regular file within the catalogs'
 * size limit; NULL with e set when it is not. */
static FILE *open_csv(const char *path, struct herr *e)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		herr_at(e, path, 0, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	char why[160];
	if (file_check(f, FILE_MAX_CATALOG, why, sizeof why)) {
		fclose(f);
		herr_at(e, path, 0, 0, "%s", why);
		return NULL;
	}
	return f;
}

int catalog_load(struct catalog *c, const char *path, struct herr *e)
{
	*c = (struct catalog){0};
	FILE *f = open_csv(path, e);
	if (!f)
		return -1;
	struct rd r = {.path = path, .e = e, .names = col_names, .required = col_required, .n_cols = N_COLS,
		       .example = "name,arch,vcpu,memory_mib,max_pods,price_usd_hour", .rows = "instance types"};
	struct type_rd x = {.c = c};
	int rc = read_csv(&r, f, type_row, &x);
	free(x.lines);
	fclose(f);
	if (rc) {
		catalog_free(c);
		return -1;
	}
	c->path = xstrdup(path);
	return 0;
}

void catalog_free(struct catalog *c)
{
	if (!c)
		return;
	free(c->types);
	free(c->path);
	free(c->offers);
	free(c->offers_path);
	*c = (struct catalog){0};
}

const struct instance_type *catalog_find(const struct catalog *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->types[i].name, name))
			return &c->types[i];
	return NULL;
}

/* Whether a and b have the same family or the same size (ignoring case). */
static bool share_half(const char *a, const char *b)
{
	const char *da = strchr(a, '.'), *db = strchr(b, '.');
	size_t fa = da ? (size_t)(da - a) : strlen(a), fb = (size_t)(db - b);
	if (fa == fb && !strncasecmp(a, b, fa))
		return true;
	return da && !strcasecmp(da + 1, db + 1);
}

/* A typo usually touches one half of a name: a suggestion two edits away
 * must keep the family or the size, so p5.48xlarge does not suggest
 * m5.8xlarge. */
const char *catalog_suggest(const struct catalog *c, const char *name)
{
	const char *best = NULL;
	size_t bd = 99;
	for (size_t i = 0; i < c->n; i++) {
		size_t d = edit_distance(name, c->types[i].name);
		if (d < bd && (d <= 1 || share_half(name, c->types[i].name))) {
			bd = d;
			best = c->types[i].name;
		}
	}
	return best && close_enough(bd, strlen(name)) ? best : NULL;
}

char *catalog_unknown_msg(const struct catalog *c, const char *name, char *buf, size_t len)
{
	const char *near = catalog_suggest(c, name);
	const char *path = c->path ? c->path : "the catalog";
	if (near)
		snprintf(buf, len, "no instance type '%s' in %s; did you mean '%s'?", name, path, near);
	else if (c->n)
		snprintf(buf, len, "no instance type '%s' in %s (%zu types, e.g. '%s')", name, path, c->n,
			 c->types[0].name);
	else
		snprintf(buf, len, "no instance type '%s' in %s (it is empty)", name, path);
	return buf;
}

bool catalog_has_family(const struct catalog *c, const char *family)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->types[i].family, family))
			return true;
	return false;
}

char *catalog_unknown_family_msg(const struct catalog *c, const char *name, char *buf, size_t len)
{
	const char *best = NULL, *path = c->path ? c->path : "the catalog";
	size_t bd = 99;
	for (size_t i = 0; i < c->n; i++) {
		size_t d = edit_distance(name, c->types[i].family);
		if (d < bd) {
			bd = d;
			best = c->types[i].family;
		}
	}
	if (best && close_enough(bd, strlen(name)))
		snprintf(buf, len, "no instance family '%s' in %s; did you mean '%s'?", name, path, best);
	else if (c->n)
		snprintf(buf, len, "no instance family '%s' in %s (e.g. '%s')", name, path, c->types[0].family);
	else
		snprintf(buf, len, "no instance family '%s' in %s (it is empty)", name, path);
	return buf;
}

const char *const catalog_label_keys[] = {
	"node.kubernetes.io/instance-type",	 "karpenter.k8s.aws/instance-family",
	"karpenter.k8s.aws/instance-category",	 "karpenter.k8s.aws/instance-size",
	"karpenter.k8s.aws/instance-generation", "karpenter.k8s.aws/instance-cpu",
	"karpenter.k8s.aws/instance-memory",	 "kubernetes.io/arch",
	"kubernetes.io/os",			 NULL};

const char *catalog_label(const struct instance_type *t, const char *key, char *buf, size_t n)
{
	if (!strcmp(key, "node.kubernetes.io/instance-type"))
		return t->name;
	if (!strcmp(key, "karpenter.k8s.aws/instance-family"))
		return t->family;
	if (!strcmp(key, "karpenter.k8s.aws/instance-category"))
		return t->category;
	if (!strcmp(key, "karpenter.k8s.aws/instance-size"))
		return t->size;
	if (!strcmp(key, "kubernetes.io/arch"))
		return t->arm64 ? "arm64" : "amd64";
	if (!strcmp(key, "kubernetes.io/os"))
		return "linux";
	if (!strcmp(key, "karpenter.k8s.aws/instance-generation"))
		snprintf(buf, n, "%d", t->generation);
	else if (!strcmp(key, "karpenter.k8s.aws/instance-cpu"))
		snprintf(buf, n, "%d", t->vcpu);
	else if (!strcmp(key, "karpenter.k8s.aws/instance-memory"))
		snprintf(buf, n, "%.0f", t->memory_mib);
	else
		return NULL;
	return buf;
}

/* ---- offerings ---- */

/* At most this many offering rows: EC2 has about 900 types in at most six
 * zones of a region, two capacity types each. */
#define CATALOG_MAX_OFFERS 100000

/* The rows read so far, and per type a list of its rows: its first and
 * each row's next (the duplicate check looks at one type's rows only). */
struct offer_rd {
	struct catalog *c;
	size_t cap;
	int *first; /* per catalog type: a row of it, -1: none */
	int *next;  /* per row: the type's next row in the list, -1: none */
};

static int offer_type(struct rd *r, const struct cells *c, const struct catalog *cat, struct offering *o)
{
	const char *s = c->s[r->map[O_NAME]];
	int col = c->col[r->map[O_NAME]];
	if (!*s)
		return herr_at(r->e, r->path, r->line, col, "name is empty");
	const struct instance_type *t = catalog_find(cat, s);
	if (!t) {
		char msg[400];
		return herr_at(r->e, r->path, r->line, col, "%s", catalog_unknown_msg(cat, s, msg, sizeof msg));
	}
	o->type = (int)(t - cat->types);
	return 0;
}

/* A zone is a label value (topology.kubernetes.io/zone): letters, digits,
 * '-', '_', '.', at most 63; empty: every zone of the cluster. */
static int offer_zone(struct rd *r, const struct cells *c, struct offering *o)
{
	const char *s = c->s[r->map[O_ZONE]];
	size_t n = strlen(s);
	bool ok = n < sizeof o->zone &&
		  strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n &&
		  (!n || (isalnum((unsigned char)s[0]) && isalnum((unsigned char)s[n - 1])));
	if (!ok)
		return bad(r, c, O_ZONE, "is not a zone name (a label value: letters, digits, '-', '_', '.', at most "
					 "63 characters; empty for every zone)");
	memcpy(o->zone, s, n + 1);
	return 0;
}

static int offer_capacity(struct rd *r, const struct cells *c, const struct catalog *cat, struct offering *o)
{
	const char *s = c->s[r->map[O_CAPACITY]];
	if (!strcmp(s, "reserved"))
		return bad(r, c, O_CAPACITY, "is not modelled: give on-demand or spot (capacity reservations are not "
					     "simulated)");
	if (strcmp(s, "on-demand") && strcmp(s, "spot"))
		return bad(r, c, O_CAPACITY, "is not on-demand or spot (the values of karpenter.sh/capacity-type)");
	o->spot = !strcmp(s, "spot");
	if (get_price(r, c, O_PRICE, &o->price_hour))
		return -1;
	const struct instance_type *t = &cat->types[o->type];
	if (o->spot && o->price_hour > t->price_hour)
		return herr_at(r->e, r->path, r->line, c->col[r->map[O_PRICE]],
			       "price_usd_hour '%s' of a spot offering is above %s's on-demand price %g in %s: EC2 caps "
			       "spot at the on-demand price",
			       c->s[r->map[O_PRICE]], t->name, t->price_hour, cat->path ? cat->path : "the catalog");
	return 0;
}

static int offer_available(struct rd *r, const struct cells *c, struct offering *o)
{
	o->available = true;
	if (r->map[O_AVAILABLE] < 0)
		return 0;
	const char *s = c->s[r->map[O_AVAILABLE]];
	if (!*s || !strcmp(s, "true"))
		return 0;
	if (strcmp(s, "false"))
		return bad(r, c, O_AVAILABLE, "is not true or false");
	o->available = false;
	return 0;
}

/* Appends o unless its type, capacity type and zone are taken, or an
 * every-zone row and per-zone rows would mix for its type and capacity type. */
static int add_offer(struct rd *r, struct offer_rd *x, const struct offering *o)
{
	struct catalog *c = x->c;
	if (c->n_offers >= CATALOG_MAX_OFFERS)
		return herr_at(r->e, r->path, r->line, 1,
			       "more than %d offerings: EC2 has about 900 instance types in at most six zones of a "
			       "region; keep the types your NodePools may use",
			       CATALOG_MAX_OFFERS);
	const char *ct = o->spot ? "spot" : "on-demand", *name = c->types[o->type].name;
	for (int i = x->first[o->type]; i >= 0; i = x->next[i]) {
		const struct offering *p = &c->offers[i];
		if (p->spot != o->spot)
			continue;
		if (!strcmp(p->zone, o->zone))
			return herr_at(r->e, r->path, r->line, 1, "offering %s %s%s%s appears twice (first on line %d)", name,
				       ct, o->zone[0] ? " in " : " in every zone", o->zone, p->line);
		if (!p->zone[0] || !o->zone[0])
			return herr_at(r->e, r->path, r->line, 1,
				       "%s %s has an every-zone row (empty zone, line %d) and per-zone rows: give one or "
				       "the other",
				       name, ct, p->zone[0] ? r->line : p->line);
	}
	if (c->n_offers == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		c->offers = xrealloc(c->offers, x->cap * sizeof *c->offers);
		x->next = xrealloc(x->next, x->cap * sizeof *x->next);
	}
	size_t i = c->n_offers++;
	c->offers[i] = *o;
	x->next[i] = x->first[o->type]; /* any order: the message is the same whichever conflict is found */
	x->first[o->type] = (int)i;
	return 0;
}

static int read_offer(struct rd *r, const struct cells *c, int len, void *ctx)
{
	struct offer_rd *x = ctx;
	struct offering o = {.line = r->line};
	if (check_cells(r, c, len) || offer_type(r, c, x->c, &o) || offer_zone(r, c, &o) ||
	    offer_capacity(r, c, x->c, &o) || offer_available(r, c, &o))
		return -1;
	return add_offer(r, x, &o);
}

int catalog_load_offerings(struct catalog *c, const char *path, struct herr *e)
{
	assert(c->n > 0);
	free(c->offers);
	free(c->offers_path);
	c->offers = NULL;
	c->n_offers = 0;
	c->offers_path = NULL;
	FILE *f = open_csv(path, e);
	if (!f)
		return -1;
	struct rd r = {.path = path, .e = e, .names = ocol_names, .required = ocol_required, .n_cols = N_OCOLS,
		       .example = "name,zone,capacity_type,price_usd_hour,available", .rows = "offerings"};
	struct offer_rd x = {.c = c, .first = xmalloc(c->n * sizeof *x.first)};
	for (size_t t = 0; t < c->n; t++)
		x.first[t] = -1;
	int rc = read_csv(&r, f, read_offer, &x);
	fclose(f);
	free(x.first);
	free(x.next);
	if (rc) {
		free(c->offers);
		c->offers = NULL;
		c->n_offers = 0;
		return -1;
	}
	c->offers_path = xstrdup(path);
	return 0;
}

/* The offerings' zone z among zones[0..nz), or -1 (a zone of another cluster). */
static int zone_of(const char *z, const char *const *zones, size_t nz)
{
	for (size_t i = 0; i < nz; i++)
		if (!strcmp(zones[i], z))
			return (int)i;
	return -1;
}

double *catalog_offer_table(const struct catalog *c, const char *const *zones, size_t nz)
{
	double *price = xcalloc(c->n * nz * 2 + 1, sizeof *price);
	bool *listed = xcalloc(c->n * 2 + 1, sizeof *listed); /* per type x capacity type: the file replaces it */
	for (size_t i = 0; i < c->n_offers; i++)
		listed[(size_t)c->offers[i].type * 2 + c->offers[i].spot] = true;
	for (size_t t = 0; t < c->n; t++)
		for (size_t z = 0; z < nz; z++) {
			const struct instance_type *it = &c->types[t];
			if (!listed[t * 2])
				price[(t * nz + z) * 2] = it->price_hour;
			if (!listed[t * 2 + 1] && it->spot_price_hour > 0)
				price[(t * nz + z) * 2 + 1] = it->spot_price_hour;
		}
	for (size_t i = 0; i < c->n_offers; i++) {
		const struct offering *o = &c->offers[i];
		double v = o->available ? o->price_hour : 0;
		if (!o->zone[0]) {
			for (size_t z = 0; z < nz; z++)
				price[((size_t)o->type * nz + z) * 2 + o->spot] = v;
			continue;
		}
		int z = zone_of(o->zone, zones, nz);
		if (z >= 0)
			price[((size_t)o->type * nz + (size_t)z) * 2 + o->spot] = v;
	}
	free(listed);
	return price;
}
