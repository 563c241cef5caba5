/* Requests on lifeline-peer's status socket, and the answers to an
 * operator's `lifeline-peer rescue HOST` (lifeline-peer(8), RESCUE ON AN
 * OPERATOR'S WORD).  Pure: text in, text out, from the daemon's tables at
 * an explicit `now`; the daemon (peer_server.c) does the socket and the
 * state.
 *
 * Requests are one line each:
 *   status | json                 the table or JSON (from a forked child)
 *   rescue-check HOST             may HOST be rescued now?  "ok PROMPT"
 *   rescue HOST FOR_MS            verdicts for HOST for up to FOR_MS
 *   rescue-cancel HOST            withdraw it
 * Answers start with "ok " or "error: ".  The rescue answers are made in
 * the daemon itself (it owns the state), into a fixed buffer. */
#include "peer.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

static size_t put(char *out, size_t cap, size_t o, const char *f, ...)
	__attribute__((format(printf, 4, 5)));

/* Append to a fixed buffer at o; the new end, clipped to what fits. */
static size_t put(char *out, size_t cap, size_t o, const char *f, ...)
{
	va_list ap;
	int n;

	if (o >= cap)
		return o;
	va_start(ap, f);
	n = vsnprintf(out + o, cap - o, f, ap);
	va_end(ap);
	if (n < 0)
		return o;
	return o + (size_t)n < cap ? o + (size_t)n : cap - 1;
}

static int word(const char **p, char *out, size_t cap)
{
	size_t n = 0;

	while (**p == ' ')
		(*p)++;
	while (**p && **p != ' ' && **p != '\n') {
		if (n + 1 >= cap)
			return -1;
		out[n++] = *(*p)++;
	}
	out[n] = 0;
	return n ? 0 : -1;
}

int lp_ctl_parse(const char *line, struct lp_ctl_req *r)
{
	static const struct { const char *name; int kind, args; } cmds[] = {
		{ "status", LP_CTL_STATUS, 0 }, { "json", LP_CTL_JSON, 0 },
		{ "rescue-check", LP_CTL_RESCUE_CHECK, 1 }, { "rescue", LP_CTL_RESCUE, 2 },
		{ "rescue-cancel", LP_CTL_RESCUE_CANCEL, 1 },
	};
	const char *p = line;
	char cmd[16], num[16];

	memset(r, 0, sizeof *r);
	if (!strchr(line, '\n') || word(&p, cmd, sizeof cmd) < 0)
		return -1;
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (strcmp(cmd, cmds[i].name) != 0)
			continue;
		if (cmds[i].args >= 1 && word(&p, r->host, sizeof r->host) < 0)
			return -1;
		if (cmds[i].args >= 2) {
			char *e = num;
			int64_t ms = 0;

			if (word(&p, num, sizeof num) < 0)
				return -1;
			for (; *e >= '0' && *e <= '9' && ms <= LP_RESCUE_FOR_MAX; e++)
				ms = ms * 10 + (*e - '0');
			if (*e || ms < LP_RESCUE_FOR_MIN || ms > LP_RESCUE_FOR_MAX)
				return -1;
			r->for_ms = ms;
		}
		while (*p == ' ')
			p++;
		if (*p != '\n')
			return -1;
		r->kind = cmds[i].kind;
		return 0;
	}
	return -1;
}

int lp_host_find(const struct lp_host *hosts, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(hosts[i].conf->name, name))
			return i;
	return -1;
}

/* The host names, as many as fit, and how many did not. */
static size_t known_hosts(char *out, size_t cap, size_t o, const struct lp_view *v)
{
	int i;

	o = put(out, cap, o, "known hosts:");
	for (i = 0; i < v->nhosts; i++) {
		/* room for the name, a blank and the tail below */
		if (o + strlen(v->host[i].conf->name) + 40 >= cap)
			break;
		o = put(out, cap, o, " %s", v->host[i].conf->name);
	}
	if (i < v->nhosts)
		o = put(out, cap, o, " ... (%d more)", v->nhosts - i);
	if (!v->nhosts)
		o = put(out, cap, o, " none");
	return o;
}

size_t lp_ctl_unknown(char *out, size_t cap, const struct lp_view *v, const char *name)
{
	size_t o = put(out, cap, 0, "error: no host \"%s\" in this peer's configuration; ", name);

	o = known_hosts(out, cap, o, v);
	return put(out, cap, o, "\n");
}

size_t lp_ctl_refusal(char *out, size_t cap, const struct lp_view *v, int hi)
{
	const struct lp_host *h = &v->host[hi];
	struct lp_timing t = lp_host_timing(v->conf, h, v->started);
	const char *name = h->conf->name;
	char a[32], b[32];

	switch (lp_hs_req_refusal(&h->hs, &t, v->now)) {
	case LP_REQ_NONE:
		return 0;
	case LP_REQ_NO_KA:
		return put(out, cap, 0, "error: no keepalive from %s since this peer started: a "
			   "verdict must echo the boot id of the host's latest keepalive, so none can "
			   "be sent yet (lifelinectl status on %s says whether it sends keepalives to "
			   "this peer)\n", name, name);
	case LP_REQ_DOWN:
		lp_duration_str(v->now - h->hs.last_ka, a, sizeof a);
		lp_duration_str(t.down_after, b, sizeof b);
		return put(out, cap, 0, "error: %s is down: no keepalive for %s (down_after %s); "
			   "the host acts only on a verdict that answers one of its last 8 "
			   "keepalives, so nothing was sent (use its console, or lifelinectl rescue "
			   "now on it)\n", name, a, b);
	case LP_REQ_RESCUE:
		return put(out, cap, 0, "error: %s already runs its rescue system (its latest "
			   "keepalive says so): log in on its rescue SSH port\n", name);
	default:
		return put(out, cap, 0, "error: %s: cannot be rescued now\n", name);
	}
}

size_t lp_ctl_prompt(char *out, size_t cap, const struct lp_view *v, int hi)
{
	const struct lp_host *h = &v->host[hi];
	struct lp_timing t = lp_host_timing(v->conf, h, v->started);
	char a[64], ago[32];

	lp_addr_str(&h->conf->addr, a, sizeof a);
	lp_duration_str(v->now - h->hs.last_ka, ago, sizeof ago);
	return put(out, cap, 0, "ok Boot %s (%s, last keepalive %s ago, state %s) into its "
		   "rescue system now? [y/N] \n", h->conf->name, a, ago,
		   lp_state_name(lp_hs_eval(&h->hs, &t, v->now)));
}

size_t lp_ctl_rescue_answer(char *out, size_t cap, const struct lp_view *v, int hi,
			    int fresh, int sent_now, int64_t for_ms)
{
	const struct lp_host *h = &v->host[hi];
	struct lp_timing t = lp_host_timing(v->conf, h, v->started);
	const char *name = h->conf->name;
	char every[32], dur[32], next[32], ago[32], to[64];
	int64_t in = lp_hs_verdict_in(&h->hs, &t, v->now);
	size_t o;

	lp_duration_str(v->conf->verdict_interval_ms, every, sizeof every);
	lp_duration_str(for_ms, dur, sizeof dur);
	lp_duration_str(in > 0 ? in : 0, next, sizeof next);
	lp_addr_str(&h->src, to, sizeof to);
	if (fresh) {
		o = put(out, cap, 0, "ok rescue of %s requested: ", name);
		if (sent_now)
			o = put(out, cap, o, "a verdict went to %s now", to);
		else
			o = put(out, cap, o, "verdicts already go to %s (the next in %s)", to, next);
	} else {
		lp_duration_str(v->now - h->req_at, ago, sizeof ago);
		o = put(out, cap, 0, "ok rescue of %s was already requested (by uid %u, %s ago): no "
			"extra verdict (the next in %s)", name, (unsigned)h->req_uid, ago, next);
	}
	o = put(out, cap, o, ", then every %s for up to %s from now, until %s reports its "
		"rescue system, stops sending keepalives or boots again. lifeline-peer status "
		"shows it as rescue-requested; lifeline-peer rescue %s --cancel withdraws it.\n",
		every, dur, name, name);
	o = put(out, cap, o, "%s acts on these verdicts like on any other: once verdicts from "
		"its quorum of peers fall within its quorum_window ([keepalive] in its "
		"lifeline.conf; quorum 1 and 60s by default). With a quorum of 2 or more, run "
		"lifeline-peer rescue %s on another of its peers too while this request lasts, "
		"or that peer's own grace must run out; meanwhile lifelinectl log on %s says "
		"\"verdict from PEER (1 of 2 needed within ...)\".\n", name, name, name);
	return o;
}

size_t lp_ctl_cancel_answer(char *out, size_t cap, const struct lp_view *v, int hi,
			    uint64_t verdicts)
{
	const struct lp_host *h = &v->host[hi];
	struct lp_timing t = lp_host_timing(v->conf, h, v->started);

	return put(out, cap, 0, "ok rescue request for %s cancelled after %" PRIu64
		   " verdict(s); its state now: %s\n", h->conf->name, verdicts,
		   lp_state_name(lp_hs_eval(&h->hs, &t, v->now)));
}
