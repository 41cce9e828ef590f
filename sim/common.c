#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
