/*
 * common.h: what every part of headroom shares.
 *
 * Time is an integer count of nanoseconds (simtime) from the start of a run,
 * so periodic loops never drift and equal times compare equal; convert to
 * seconds only at the edges (the store, the CLI). Memory comes from
 * xmalloc/xcalloc/xrealloc, which print and abort when it runs out. A user or
 * environment error is reported through a struct herr: "file:line:col: what is
 * wrong", and the CLI maps it to exit status 2.
 */
#ifndef HEADROOM_COMMON_H
#define HEADROOM_COMMON_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>

typedef int64_t simtime; /* nanoseconds since the start of the run */

#define SIM_NS ((simtime)1)
#define SIM_US ((simtime)1000)
#define SIM_MS ((simtime)1000000)
#define SIM_S ((simtime)1000000000)
#define SIM_MIN (60 * SIM_S)
#define SIM_HOUR (3600 * SIM_S)
#define SIM_FOREVER INT64_MAX

static inline double sim_to_s(simtime t) { return (double)t * 1e-9; }
static inline double sim_to_ms(simtime t) { return (double)t * 1e-6; }
/* Seconds to simtime, rounded to the nearest nanosecond. */
static inline simtime sim_from_s(double s) { return (simtime)(s * 1e9 + (s >= 0 ? 0.5 : -0.5)); }

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define HR_MIN(a, b) ((a) < (b) ? (a) : (b))
#define HR_MAX(a, b) ((a) > (b) ? (a) : (b))
/* A branch the hot path rarely takes (a feature the scenario may not use): the
 * compiler lays it out of line. */
#define HR_RARELY(x) __builtin_expect(!!(x), 0)
/* A function only such a branch calls: kept out of the hot functions, so
 * that they stay small enough to be inlined. */
#define HR_COLD __attribute__((noinline, cold))

/* Allocation that cannot fail: on exhaustion they print and abort. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* p (an array of `size`-byte items with room for *cap) with room for at
 * least `need`: grown by doubling (from 16), never shrunk; never NULL, so
 * an array over no items can still be cleared (memset of NULL is
 * undefined). Scratch that grows once to the largest use: no allocation
 * after. */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);

/*
 * A user or environment error. `msg` holds the whole line the CLI prints,
 * already prefixed with "file:line:col: " when a location is known.
 */
struct herr {
	char msg[1024];
};

/* Sets e->msg to "file:line:col: <fmt>" (or "file: <fmt>" when line is 0,
 * or just "<fmt>" when file is NULL). Returns -1 so callers can
 * `return herr_at(...)`. e may be NULL (the message is dropped). */
int herr_at(struct herr *e, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* herr_at with a va_list (for wrappers). */
void herr_vat(struct herr *e, const char *file, int line, int col, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
/* herr_at without a location. */
int herr_set(struct herr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Files a scenario names. Each kind has its size limit (docs/hardening.md);
 * only regular files are read, so a device or an endless pipe named by
 * mistake is an error at once, and nothing is ever cut short. */
#define FILE_MAX_SCENARIO (64u << 20)  /* a scenario and the files it includes */
#define FILE_MAX_MANIFEST (4u << 20)   /* a Kubernetes manifest file (Deployment, HPA, PDB, ...) */
#define FILE_MAX_TRACE (256u << 20)    /* a traffic or cost trace CSV */
#define FILE_MAX_CATALOG (64u << 20)   /* an instance catalog or offerings CSV */
#define FILE_MAX_BASELINE (64u << 20)  /* a `headroom check` baseline */
/* The whole of the regular file `path`, at most `limit` bytes, in a new
 * NUL-terminated buffer of *len bytes (a NUL inside is the caller's to
 * judge). NULL when it cannot be opened or read, is not a regular file, or
 * holds more than `limit` bytes; then `why` (why_n bytes) says which, e.g.
 * "too large (70000000 bytes, the limit is 67108864)". */
char *file_slurp(const char *path, size_t limit, size_t *len, char *why, size_t why_n);
/* The same checks for a file opened as f (regular, at most limit bytes
 * now): 0, or -1 with why set. */
int file_check(FILE *f, size_t limit, char *why, size_t why_n);
/* Opens path and makes those checks: 0, or -1 with why set ("cannot open:
 * ..." among them). */
int file_ok(const char *path, size_t limit, char *why, size_t why_n);

#endif
