#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>

static void oom(size_t n)
{
	fprintf(stderr, "headroom: out of memory (asked for %zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		oom(count * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

void *xgrow(void *p, size_t *cap, size_t need, size_t size)
{
	if (p && need <= *cap)
		return p;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	*cap = n;
	return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

void herr_vat(struct herr *e, const char *file, int line, int col, const char *fmt, va_list ap)
{
	if (!e)
		return;
	int k = 0;
	if (file && line > 0)
		k = snprintf(e->msg, sizeof e->msg, "%s:%d:%d: ", file, line, col > 0 ? col : 1);
	else if (file)
		k = snprintf(e->msg, sizeof e->msg, "%s: ", file);
	if (k < 0 || (size_t)k >= sizeof e->msg)
		k = 0;
	vsnprintf(e->msg + k, sizeof e->msg - (size_t)k, fmt, ap);
}

int herr_at(struct herr *e, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	herr_vat(e, file, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

int herr_set(struct herr *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	herr_vat(e, NULL, 0, 0, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- files a scenario names ---- */

static int stat_check(int fd, size_t limit, char *why, size_t why_n)
{
	struct stat st;
	if (fstat(fd, &st)) {
		snprintf(why, why_n, "cannot read: %s", strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(why, why_n, "is a directory, not a file");
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, why_n, "is not a regular file (a device, a pipe or a socket): headroom reads files only");
		return -1;
	}
	if ((uintmax_t)st.st_size > limit) {
		snprintf(why, why_n, "too large (%jd bytes, the limit is %zu)", (intmax_t)st.st_size, limit);
		return -1;
	}
	return 0;
}

int file_check(FILE *f, size_t limit, char *why, size_t why_n) { return stat_check(fileno(f), limit, why, why_n); }

int file_ok(const char *path, size_t limit, char *why, size_t why_n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(why, why_n, "cannot open: %s", strerror(errno));
		return -1;
	}
	int rc = file_check(f, limit, why, why_n);
	fclose(f);
	return rc;
}

char *file_slurp(const char *path, size_t limit, size_t *len, char *why, size_t why_n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(why, why_n, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (file_check(f, limit, why, why_n)) {
		fclose(f);
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		size_t k = fread(buf + n, 1, cap - n - 1, f);
		n += k;
		if (n > limit) { /* it grew while read */
			snprintf(why, why_n, "too large (more than %zu bytes, the limit)", limit);
			break;
		}
		if (!k)
			break;
	}
	int bad = ferror(f), err = errno;
	fclose(f);
	if (n > limit || bad) {
		if (bad)
			snprintf(why, why_n, "cannot read: %s", strerror(err ? err : EIO));
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}
