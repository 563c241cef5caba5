/* SSH probes of lifeline-peer: what counts as an answer (the banner) and
 * what a failed connect means.  A probe is a TCP connect and the server's
 * version line, "SSH-..." (RFC 4253, 4.2); a server may send other lines
 * first, none of them starting with "SSH-".  The sockets themselves are
 * driven by peer_probes.c. */
#include "peer.h"

#include <errno.h>

static const char *const probe_names[LP_PR_N] = {
	"none", "ok", "timeout", "refused", "closed", "bad-banner", "error",
};

const char *lp_probe_name(int r)
{
	return r >= 0 && r < LP_PR_N ? probe_names[r] : "?";
}

void lp_banner_init(struct lp_banner *b)
{
	b->pos = 0;
	b->seen = 0;
}

int lp_banner_feed(struct lp_banner *b, const char *buf, size_t len)
{
	static const char want[4] = { 'S', 'S', 'H', '-' };

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (b->seen >= LP_BANNER_MAX)
			return LP_PR_BAD_BANNER;
		b->seen++;
		if (c == '\n')
			b->pos = 0;
		else if (b->pos >= 0 && c == want[b->pos])
			b->pos++;
		else
			b->pos = -1;
		if (b->pos == 4)
			return LP_PR_OK;
	}
	return b->seen >= LP_BANNER_MAX ? LP_PR_BAD_BANNER : LP_PR_NONE;
}

int lp_probe_errno_result(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return LP_PR_REFUSED;
	case ETIMEDOUT:
		return LP_PR_TIMEOUT;
	case ECONNRESET:
	case EPIPE:
		return LP_PR_CLOSED;
	default:
		return LP_PR_ERROR;
	}
}

int lp_probe_connect_local(int err)
{
	return err != ECONNREFUSED && err != ECONNRESET && err != ETIMEDOUT;
}
