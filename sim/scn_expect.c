/*
 * scn_expect.c: the scenario's `expect:` section, a list of strings
 * `METRIC OP VALUE` (sim/expect.h parses each one). Read after the services
 * and the cluster, which the metrics name; an error points at the part of
 * the string that is wrong (its column within the line when the string is
 * on one line).
 */
#include <stdio.h>
#include <string.h>

#include "expect.h"
#include "scn_impl.h"

#define MAX_EXPECTS 10000

/* The column in the file of byte `at` of scalar n's text, when that can be
 * told (a one-line scalar without escapes); else n's own column. */
static int column_of(const struct ynode *n, size_t at)
{
	if (strchr(n->s, '\n') || strchr(n->s, '\\') || (!n->plain && strchr(n->s, '\'')))
		return n->col;
	return n->col + (int)at; /* a quoted scalar's column is its first character's */
}

int ld_load_expect(struct ld *L, const struct ynode *v)
{
	struct scenario *sc = L->sc;
	if (ld_want_seq(L, v, "expect"))
		return -1;
	if (v->n > MAX_EXPECTS)
		return yt_err(L->e, v, "expect: %zu expectations is too many (at most %d)", v->n, MAX_EXPECTS);
	sc->expects = xcalloc(v->n ? v->n : 1, sizeof *sc->expects);
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *n = v->kid[i];
		char buf[80], why[900];
		size_t at = 0;
		if (n->kind != Y_SCALAR)
			return yt_err(L->e, n, "an expectation is one string, METRIC OP VALUE (e.g. payment.p99 <= 200ms), not %s",
				      yt_what(n, buf, sizeof buf));
		const char *s = ld_scalar(L, n, "an expectation");
		struct expect *x = &sc->expects[sc->n_expects];
		if (!s)
			return -1;
		if (expect_parse(s, sc, x, why, sizeof why, &at)) {
			if (n->line > 0)
				return herr_at(L->e, n->src, n->line, column_of(n, at), "%s", why);
			return yt_err(L->e, n, "%s", why);
		}
		x->line = n->line;
		x->col = n->col;
		sc->n_expects++;
	}
	return 0;
}
