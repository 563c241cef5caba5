/* The per-host verdict state machine of lifeline-peer (peer.h).  Pure: it
 * keeps facts (the latest keepalive, the latest SSH answer) and derives the
 * state from them at an explicit `now`, so the unit tests drive it with a
 * fake clock. */
#include "peer.h"

#include <stdint.h>

static const char *const state_names[LP_NSTATES] = {
	"unknown", "up", "unreachable", "dead", "down", "rescue", "busy", "rescue-requested",
};

static const char *const req_names[LP_REQ_N] = {
	"none", "active", "expired", "rescue", "down", "new-boot", "no-keepalive",
};

const char *lp_req_name(int r)
{
	return r >= 0 && r < LP_REQ_N ? req_names[r] : "?";
}

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

enum lp_req lp_hs_req(const struct lp_hs *h, const struct lp_timing *t, int64_t now)
{
	if (!h->req_until)
		return LP_REQ_NONE;
	/* a verdict must echo one of the host's last keepalives: with none
	 * coming (a kexec, a reboot) the request has done what it could */
	if (now - h->last_ka >= t->down_after)
		return LP_REQ_DOWN;
	if (h->bits & KA_ST_RESCUE)
		return LP_REQ_RESCUE;
	/* the request was for the boot the operator saw wedged, not for the
	 * next one (a plain reboot into the normal system) */
	if (h->boot_id != h->req_boot)
		return LP_REQ_NEW_BOOT;
	if (now >= h->req_until)
		return LP_REQ_EXPIRED;
	return LP_REQ_ACTIVE;
}

enum lp_req lp_hs_req_refusal(const struct lp_hs *h, const struct lp_timing *t, int64_t now)
{
	if (!h->have_ka)
		return LP_REQ_NO_KA;
	if (now - h->last_ka >= t->down_after)
		return LP_REQ_DOWN;
	if (h->bits & KA_ST_RESCUE)
		return LP_REQ_RESCUE;
	return LP_REQ_NONE;
}

int lp_hs_request(struct lp_hs *h, const struct lp_timing *t, int64_t now, int64_t until)
{
	int fresh = lp_hs_req(h, t, now) != LP_REQ_ACTIVE;

	h->req_until = until > now ? until : now + 1;
	h->req_boot = h->boot_id;
	return fresh;
}

void lp_hs_cancel(struct lp_hs *h)
{
	h->req_until = 0;
}

/* States in which verdicts go out every verdict_interval. */
static int verdict_state(int s)
{
	return s == LP_DEAD || s == LP_REQUESTED;
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
	/* the operator's word outweighs what the probes see (a banner can
	 * come from a host where no login gets through) */
	if (lp_hs_req(h, t, now) == LP_REQ_ACTIVE)
		return LP_REQUESTED;
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

	if (lp_hs_req(h, t, now) >= LP_REQ_EXPIRED)
		h->req_until = 0;       /* ended: the caller said why before the tick */
	if (s != h->state) {
		/* dead <-> rescue-requested keeps one schedule: a request never
		 * adds datagrams to the verdicts already going out */
		if (verdict_state(s) && !verdict_state(h->state))
			h->next_verdict = now;
		h->state = (uint8_t)s;
		h->state_since = now;
	}
	if (!verdict_state(s) || now < h->next_verdict)
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
	if (verdict_state(h->state))
		later(&d, h->next_verdict, now);
	if (lp_hs_req(h, t, now) == LP_REQ_ACTIVE)
		later(&d, h->req_until, now);
	return d;
}

int64_t lp_hs_verdict_in(const struct lp_hs *h, const struct lp_timing *t, int64_t now)
{
	enum lp_state s = lp_hs_eval(h, t, now);
	int64_t left;

	if (s == LP_UNREACHABLE)
		return lp_hs_fail_since(h) + t->grace - now;
	if (!verdict_state(s))
		return -1;
	left = verdict_state(h->state) ? h->next_verdict - now : 0;
	return left > 0 ? left : 0;
}
