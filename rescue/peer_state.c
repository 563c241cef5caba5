/* The per-host verdict state machine of lifeline-peer (peer.h).  Pure: it
 * keeps facts (the latest keepalive, the latest SSH answer) and derives the
 * state from them at an explicit `now`, so the unit tests drive it with a
 * fake clock. */
#include "peer.h"

#include <stdint.h>

static const char *const state_names[LP_NSTATES] = {
	"unknown", "up", "unreachable", "dead", "down", "rescue", "busy",
};

const char *lp_state_name(int s)
{
	return s >= 0 && s < LP_NSTATES ? state_names[s] : "?";
}

void lp_hs_init(struct lp_hs *h, int64_t now)
{
	*h = (struct lp_hs){ .state = LP_UNKNOWN, .last_ssh_ok = -1, .last_served = -1,
			     .state_since = now };
}

void lp_hs_keepalive(struct lp_hs *h, const struct lp_timing *t, int64_t now,
		     uint64_t boot_id, uint16_t bits)
{
	int resumed = h->have_ka && now - h->last_ka >= t->down_after;

	/* the grace period needs keepalives all through it: it starts again
	 * when they start again (unless silence = verdict), and when the host
	 * boots again (a new boot id: a boot is no time to judge SSH) */
	if (!h->have_ka || boot_id != h->boot_id || (resumed && !t->silence_verdict))
		h->alive_since = now;
	h->have_ka = 1;
	h->last_ka = now;
	h->boot_id = boot_id;
	h->bits = bits;
	/* the host served someone: SSH works there, whatever our probes say */
	if (bits & KA_ST_SSH_SERVED)
		h->last_served = now;
}

void lp_hs_probe(struct lp_hs *h, int64_t now, int ok, int any_ok)
{
	h->probed = 1;
	h->ssh_ok = (uint8_t)(any_ok != 0);
	if (ok)
		h->last_ssh_ok = now;
}

void lp_hs_probe_unknown(struct lp_hs *h)
{
	h->probed = 0;
}

int64_t lp_hs_fail_since(const struct lp_hs *h)
{
	int64_t t = h->last_ssh_ok > h->alive_since ? h->last_ssh_ok : h->alive_since;
	return h->last_served > t ? h->last_served : t;
}

/* SSH has failed (no port's latest probe got a banner) since T. */
static int ssh_failing(const struct lp_hs *h, const struct lp_timing *t)
{
	return t->probes && h->probed && !h->ssh_ok;
}

enum lp_state lp_hs_eval(const struct lp_hs *h, const struct lp_timing *t, int64_t now)
{
	int grace_over = now >= lp_hs_fail_since(h) + t->grace;

	if (!h->have_ka)
		return now - t->started >= t->down_after ? LP_DOWN : LP_UNKNOWN;
	if (now - h->last_ka >= t->down_after) {
		/* silence alone is no reason for a verdict, unless asked for */
		if (t->silence_verdict && ssh_failing(h, t) && !(h->bits & KA_ST_RESCUE) &&
		    grace_over)
			return LP_DEAD;
		return LP_DOWN;
	}
	if (h->bits & KA_ST_RESCUE)
		return LP_RESCUE;
	if (!t->probes || h->ssh_ok)
		return LP_UP;
	if (!h->probed)
		return LP_UNKNOWN;
	if (h->bits & KA_ST_SSH_SERVED)
		return LP_BUSY;
	return grace_over ? LP_DEAD : LP_UNREACHABLE;
}

int lp_hs_tick(struct lp_hs *h, const struct lp_timing *t, int64_t now)
{
	enum lp_state s = lp_hs_eval(h, t, now);

	if (s != h->state) {
		h->state = (uint8_t)s;
		h->state_since = now;
		if (s == LP_DEAD)
			h->next_verdict = now;
	}
	if (s != LP_DEAD || now < h->next_verdict)
		return 0;
	h->verdicts++;
	h->next_verdict = now + t->verdict_interval;
	return 1;
}

static void later(int64_t *best, int64_t cand, int64_t now)
{
	if (cand > now && cand < *best)
		*best = cand;
}

int64_t lp_hs_deadline(const struct lp_hs *h, const struct lp_timing *t, int64_t now)
{
	int64_t d = INT64_MAX;

	/* the moments at which lp_hs_eval can change its answer */
	if (!h->have_ka) {
		later(&d, t->started + t->down_after, now);
		return d;
	}
	later(&d, h->last_ka + t->down_after, now);
	if (ssh_failing(h, t))
		later(&d, lp_hs_fail_since(h) + t->grace, now);
	if (h->state == LP_DEAD)
		later(&d, h->next_verdict, now);
	return d;
}

int64_t lp_hs_verdict_in(const struct lp_hs *h, const struct lp_timing *t, int64_t now)
{
	enum lp_state s = lp_hs_eval(h, t, now);
	int64_t left;

	if (s == LP_UNREACHABLE)
		return lp_hs_fail_since(h) + t->grace - now;
	if (s != LP_DEAD)
		return -1;
	left = h->state == LP_DEAD ? h->next_verdict - now : 0;
	return left > 0 ? left : 0;
}
