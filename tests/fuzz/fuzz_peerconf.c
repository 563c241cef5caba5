/* libFuzzer target for lifeline-peer's config parser (peer.conf): arbitrary
 * bytes to lp_conf_parse, which must report what is wrong and never read or
 * write out of bounds.  Key files named in the input are looked up as
 * written (most do not exist: an error like any other). */
#include "peer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void invariant(int ok)
{
	if (!ok)
		abort();   /* "broken invariant": libFuzzer keeps the input */
}

static void count(void *ctx, const char *file, int line, int col, const char *msg)
{
	int *n = ctx;
	invariant(file && msg && msg[0] && line >= 0 && col >= 0);
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lp_conf c;
	int reports = 0;

	lp_conf_init(&c);
	int errors = lp_conf_parse(&c, "fuzz.conf", (const char *)data, size, count, &reports);
	invariant(errors >= 0 && errors <= reports);
	invariant(c.nhosts >= 0 && c.nhosts <= c.cap);
	for (int i = 0; i < c.nhosts; i++)
		invariant(c.host[i].nssh <= LP_MAX_SSH);
	invariant(c.nlisten >= 0 && c.nlisten <= LP_MAX_LISTEN);
	lp_conf_free(&c);
	return 0;
}
