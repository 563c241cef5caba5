/* lifeline-peer's host table: the running configuration, one struct
 * lp_host per [host NAME] section, found by the address its keepalives
 * come from.  Here a datagram becomes a keepalive (or a drop), each state
 * change a log line, and a verdict that is due is handed to the UDP side.
 * The state machine itself is peer_state.c.  A reload (SIGHUP) builds a
 * new table and carries each host's state over by name.
 *
 * Log lines are bounded per host: drops are said at most every
 * DROP_LOG_MS, state changes TRANS_BURST per TRANS_WINDOW_MS; what waits
 * is on a list of hosts with lines still to say (hosts_logs). */
#define _GNU_SOURCE
#include "peer_daemon.h"
#include "fmt.h"

#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define DROP_LOG_MS 10000       /* one drop line per host per 10 s */
/* state-change lines per host: a host whose keepalives flip a bit every
 * time (a compromised or broken one) must not flood the log */
#define TRANS_BURST 6
#define TRANS_WINDOW_MS 60000

struct lp_host_table lp_hosts;

/* the hosts by the IP address their keepalives come from: a chain per
 * bucket through lp_host.hash_next */
static struct {
	int32_t *head;
	uint32_t mask;
} hosts_by_addr;

/* when the next state tick is due */
static int64_t hosts_state_wake = INT64_MAX;

/* lines still to say: hosts on a list through lp_host.pending_next, and
 * datagrams from addresses of no host */
static struct {
	int32_t head;
	int64_t wake;
	uint64_t unknown_source, unknown_pending;
	int64_t unknown_log_at;
	struct lp_addr unknown_last;
} hosts_logs = { .head = -1, .wake = INT64_MAX };

static uint32_t ip_hash(const struct lp_addr *a)
{
	uint32_t h = a->family, w;

	for (int i = 0; i < (a->family == AF_INET ? 4 : 16); i += 4) {
		memcpy(&w, a->ip + i, 4);
		h = (h ^ w) * 0x9e3779b1u;
		h ^= h >> 15;
	}
	return h;
}

/* FNV-1a, for the reload's index of the old hosts by name */
static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

static uint32_t buckets(int n)
{
	uint32_t nb = 16;

	while (nb < 2u * (uint32_t)n)
		nb <<= 1;
	return nb;
}

struct lp_timing lp_hosts_timing(const struct lp_host *h)
{
	return lp_host_timing(&lp_hosts.conf, h, lp_hosts.started);
}

/* A fresh table for lp_hosts.conf. */
static void table_build(int64_t now)
{
	uint32_t nb;

	lp_hosts.n = lp_hosts.conf.nhosts;
	nb = buckets(lp_hosts.n);
	lp_hosts.host = calloc((size_t)lp_hosts.n, sizeof *lp_hosts.host);
	hosts_by_addr.head = malloc(sizeof *hosts_by_addr.head * nb);
	if (!lp_hosts.host || !hosts_by_addr.head) {
		lp_log(3, "event=error out of memory for %d hosts", lp_hosts.n);
		exit(1);
	}
	hosts_by_addr.mask = nb - 1;
	for (uint32_t i = 0; i < nb; i++)
		hosts_by_addr.head[i] = -1;
	for (int i = 0; i < lp_hosts.n; i++) {
		struct lp_host *h = &lp_hosts.host[i];
		uint32_t b;

		h->conf = &lp_hosts.conf.host[i];
		lp_hs_init(&h->hs, now);
		h->sock = -1;
		h->pending_next = -1;
		b = ip_hash(&h->conf->addr) & hosts_by_addr.mask;
		h->hash_next = hosts_by_addr.head[b];
		hosts_by_addr.head[b] = i;
	}
}

void lp_hosts_setup(int64_t now)
{
	lp_hosts.started = now;
	table_build(now);
	hosts_state_wake = now;     /* the first tick at once */
}

/* ---- log lines of state changes and drops ---- */

static void log_transition(struct lp_host *h, int64_t now)
{
	const struct lp_conf *c = &lp_hosts.conf;
	struct lp_timing t = lp_hosts_timing(h);
	const char *name = h->conf->name;
	char ssh[96], a[32], b[32], since[32];

	lp_out_ssh(h, ssh, sizeof ssh);
	switch (h->hs.state) {
	case LP_UNREACHABLE:
		lp_log_iso_time(lp_hs_fail_since(&h->hs), now, since, sizeof since);
		lp_duration_str(lp_hs_verdict_in(&h->hs, &t, now), a, sizeof a);
		lp_log(4, "host=%s event=unreachable since=%s grace_left=%s ssh=\"%s\"", name,
		       since, a, ssh);
		break;
	case LP_DEAD:
		lp_log_iso_time(lp_hs_fail_since(&h->hs), now, since, sizeof since);
		lp_duration_str(c->verdict_interval_ms, a, sizeof a);
		lp_log(3, "host=%s event=dead since=%s verdict_every=%s ssh=\"%s\"%s", name, since,
		       a, ssh, now - h->hs.last_ka >= c->down_after_ms ? " silent=yes" : "");
		break;
	case LP_REQUESTED:
		lp_log_iso_time(h->hs.req_until, now, since, sizeof since);
		lp_duration_str(c->verdict_interval_ms, a, sizeof a);
		lp_log(3, "host=%s event=rescue-requested by_uid=%u by_pid=%d verdict_every=%s "
		       "until=%s ssh=\"%s\"", name, (unsigned)h->req_uid, (int)h->req_pid, a, since,
		       ssh);
		break;
	case LP_DOWN:
		if (h->hs.have_ka)
			lp_duration_str(now - h->hs.last_ka, b, sizeof b);
		lp_log(4, "host=%s event=down last_keepalive=%s%s", name,
		       h->hs.have_ka ? b : "never", h->hs.have_ka ? "_ago" : "");
		break;
	case LP_RESCUE:
		lp_log(5, "host=%s event=rescue boot=%016llx ssh=\"%s\"", name,
		       (unsigned long long)h->echo_boot, ssh);
		break;
	default:
		lp_log(5, "host=%s event=%s ssh=\"%s\"", name, lp_state_name(h->hs.state), ssh);
	}
}

static void drop_log(struct lp_host *h, int64_t now)
{
	char line[256], a[64];
	int o = 0;

	for (int r = KA_OK + 1; r < KA_NRESULTS; r++)
		if (h->drop_pending[r]) {
			o += fmt(line + o, sizeof line - (size_t)o, " %s=%u", ka_result_name(r),
				 h->drop_pending[r]);
			if (o >= (int)sizeof line)
				o = (int)sizeof line - 1;
			h->drop_pending[r] = 0;
		}
	if (!o)
		return;
	lp_addr_str(&h->src, a, sizeof a);
	lp_log(4, "host=%s event=dropped%s last_from=%s", h->conf->name, line, a);
	h->drop_log_at = now + DROP_LOG_MS;
}

/* h has a line to say later, at `at` */
static void pending_add(struct lp_host *h, int64_t at)
{
	if (!h->pending) {
		h->pending = 1;
		h->pending_next = hosts_logs.head;
		hosts_logs.head = (int32_t)(h - lp_hosts.host);
	}
	if (at < hosts_logs.wake)
		hosts_logs.wake = at;
}

static void count_drop(struct lp_host *h, enum ka_result r, const struct lp_addr *from,
		       int64_t now)
{
	h->drops.n[r]++;
	h->drop_pending[r]++;
	if (!h->hs.have_ka)
		h->src = *from;         /* for the log line only; verdicts need a keepalive */
	if (now >= h->drop_log_at) {
		drop_log(h, now);
		return;
	}
	pending_add(h, h->drop_log_at);
}

/* A state change: said, unless this host has said TRANS_BURST in this
 * window already; then counted, and said with the state it is in when the
 * window ends (trans_flush). */
static void log_change(struct lp_host *h, int64_t now)
{
	if (now - h->trans_window_at >= TRANS_WINDOW_MS) {
		h->trans_window_at = now;
		h->trans_lines = 0;
	}
	if (h->trans_lines < TRANS_BURST) {
		h->trans_lines++;
		log_transition(h, now);
		return;
	}
	h->trans_suppressed++;
	pending_add(h, h->trans_window_at + TRANS_WINDOW_MS);
}

/* 1 if h still has a change to say after now */
static int trans_flush(struct lp_host *h, int64_t now)
{
	if (!h->trans_suppressed)
		return 0;
	if (now < h->trans_window_at + TRANS_WINDOW_MS)
		return 1;
	lp_log(4, "host=%s event=flapping changes_not_logged=%u window=%ds (state now: next line)",
	       h->conf->name, h->trans_suppressed, TRANS_WINDOW_MS / 1000);
	h->trans_suppressed = 0;
	h->trans_window_at = now;
	h->trans_lines = 1;
	log_transition(h, now);
	return 0;
}

static void unknown_flush(int64_t now)
{
	char a[64];

	if (!hosts_logs.unknown_pending || now < hosts_logs.unknown_log_at)
		return;
	lp_addr_str(&hosts_logs.unknown_last, a, sizeof a);
	lp_log(4, "event=unknown-source count=%llu last_from=%s (no [host] has that address)",
	       (unsigned long long)hosts_logs.unknown_pending, a);
	hosts_logs.unknown_pending = 0;
	hosts_logs.unknown_log_at = now + DROP_LOG_MS;
}

static void logs_flush(int64_t now)
{
	int32_t *link = &hosts_logs.head;

	hosts_logs.wake = INT64_MAX;
	while (*link >= 0) {
		struct lp_host *h = &lp_hosts.host[*link];

		int drops = 0;
		for (int r = KA_OK + 1; r < KA_NRESULTS; r++)
			drops |= h->drop_pending[r] != 0;
		if (drops && now >= h->drop_log_at) {
			drop_log(h, now);
			drops = 0;
		}
		int trans = trans_flush(h, now);
		if (!drops && !trans) {
			*link = h->pending_next;
			h->pending = 0;
			continue;
		}
		if (drops && h->drop_log_at < hosts_logs.wake)
			hosts_logs.wake = h->drop_log_at;
		if (trans && h->trans_window_at + TRANS_WINDOW_MS < hosts_logs.wake)
			hosts_logs.wake = h->trans_window_at + TRANS_WINDOW_MS;
		link = &h->pending_next;
	}
	unknown_flush(now);
	if (hosts_logs.unknown_pending && hosts_logs.unknown_log_at < hosts_logs.wake)
		hosts_logs.wake = hosts_logs.unknown_log_at;
}

void lp_hosts_logs_run(int64_t now)
{
	if (now >= hosts_logs.wake)
		logs_flush(now);
}

/* ---- state changes and verdicts ---- */

static void log_request_end(struct lp_host *h, const char *reason)
{
	lp_log(4, "host=%s event=rescue-request-end reason=%s verdicts=%" PRIu64, h->conf->name,
	       reason, h->hs.verdicts - h->req_verdicts0);
}

/* keeps hosts_state_wake no later than h's next deadline */
void lp_host_update(struct lp_host *h, int64_t now)
{
	struct lp_timing t = lp_hosts_timing(h);
	int old = h->hs.state;
	enum lp_req rq = lp_hs_req(&h->hs, &t, now);
	int due = lp_hs_tick(&h->hs, &t, now);
	int64_t d;

	/* an operator's request that ended (the tick forgot it) */
	if (rq >= LP_REQ_EXPIRED)
		log_request_end(h, lp_req_name(rq));
	if (h->hs.state != old) {
		log_change(h, now);
		lp_hosts.changed = 1;
	}
	if (due)
		lp_udp_send_verdict(h);
	d = lp_hs_deadline(&h->hs, &t, now);
	if (d < hosts_state_wake)
		hosts_state_wake = d;
}

void lp_hosts_tick(int64_t now)
{
	hosts_state_wake = INT64_MAX;
	for (int i = 0; i < lp_hosts.n; i++)
		lp_host_update(&lp_hosts.host[i], now);
}

void lp_hosts_run(int64_t now)
{
	if (now >= hosts_state_wake)
		lp_hosts_tick(now);
}

int64_t lp_hosts_wake(void)
{
	return hosts_state_wake < hosts_logs.wake ? hosts_state_wake : hosts_logs.wake;
}

/* ---- keepalives in ---- */

static void accept_keepalive(struct lp_host *h, const struct ka_msg *m, int si,
			     const struct lp_addr *from, const struct lp_addr *local,
			     int ifindex, int64_t now)
{
	struct lp_timing t = lp_hosts_timing(h);

	h->keepalives++;
	h->echo_boot = m->boot_id;
	h->echo_seq = m->seq;
	h->sock = si;
	h->src = *from;
	h->local = *local;
	h->ifindex = ifindex;
	lp_hs_keepalive(&h->hs, &t, now, m->boot_id, m->state);
	lp_host_update(h, now);
}

static void unknown_source(const struct lp_addr *from, int64_t now)
{
	hosts_logs.unknown_source++;
	hosts_logs.unknown_pending++;
	hosts_logs.unknown_last = *from;
	if (now >= hosts_logs.unknown_log_at)
		logs_flush(now);
	else if (hosts_logs.unknown_log_at < hosts_logs.wake)
		hosts_logs.wake = hosts_logs.unknown_log_at;
}

void lp_hosts_datagram(int si, const uint8_t *buf, size_t len, const struct lp_addr *from,
		       const struct lp_addr *local, int ifindex, int64_t now)
{
	struct lp_host *hosts = lp_hosts.host;
	uint32_t b = ip_hash(from) & hosts_by_addr.mask;
	enum ka_result first = KA_BAD_MAC;
	int found = 0;

	/* the key is chosen by the sender's address; hosts sharing one
	 * address (NAT) each get their key tried */
	for (int32_t i = hosts_by_addr.head[b]; i >= 0; i = hosts[i].hash_next) {
		struct lp_host *h = &hosts[i];
		struct ka_msg m;
		enum ka_result r;

		if (!lp_addr_eq_ip(&h->conf->addr, from))
			continue;
		r = ka_decode(buf, len, h->conf->key, &m);
		if (!found++)
			first = r;
		if (r != KA_OK) {
			if (r == KA_BAD_SIZE)
				break;  /* the same for every key */
			continue;
		}
		/* authenticated with this host's key: whatever is wrong now is
		 * this host's */
		if (m.type != KA_KEEPALIVE)
			r = KA_BAD_TYPE;
		else if (strcmp(m.host, h->conf->name) != 0)
			r = KA_BAD_FIELD;
		else
			r = ka_replay_check(&h->replay, &m);
		if (r == KA_OK)
			accept_keepalive(h, &m, si, from, local, ifindex, now);
		else
			count_drop(h, r, from, now);
		return;
	}
	if (!found) {
		unknown_source(from, now);
		return;
	}
	/* no key fits: counted against every host of that address */
	for (int32_t i = hosts_by_addr.head[b]; i >= 0; i = hosts[i].hash_next)
		if (lp_addr_eq_ip(&hosts[i].conf->addr, from))
			count_drop(&hosts[i], first, from, now);
}

struct lp_view lp_hosts_view(int64_t now)
{
	struct lp_view v = {
		.conf = &lp_hosts.conf, .host = lp_hosts.host, .nhosts = lp_hosts.n, .now = now,
		.realtime_ms = lp_real_ms(), .unknown_source = hosts_logs.unknown_source,
		.verdict_seq = lp_udp_verdict_seq(), .started = lp_hosts.started,
	};
	return v;
}

/* ---- SIGHUP: a new table, the hosts' state kept by name ---- */

static int same_targets(const struct lp_host_conf *a, const struct lp_host_conf *b)
{
	if (a->nssh != b->nssh)
		return 0;
	for (int i = 0; i < a->nssh; i++)
		if (!lp_addr_eq_ip(&a->ssh[i], &b->ssh[i]) || a->ssh[i].port != b->ssh[i].port)
			return 0;
	return 1;
}

/* What a host keeps across a reload: its verdict state, replay state,
 * counters, where verdicts go; its probe results only if its targets are
 * the same. */
static void keep_host(struct lp_host *h, const struct lp_host *o)
{
	const struct lp_host_conf *c = h->conf;
	int32_t hn = h->hash_next;

	*h = *o;
	h->conf = c;
	h->hash_next = hn;
	h->pending = 0;
	h->pending_next = -1;
	memset(h->inflight, 0, sizeof h->inflight);
	if (!same_targets(c, o->conf)) {
		memset(h->ssh, 0, sizeof h->ssh);
		lp_hs_probe_unknown(&h->hs);
	}
}

/* The old hosts by name: a chain per bucket, for the reload only. */
struct name_index {
	int32_t *head, *next;
	uint32_t mask;
};

static int name_index_build(struct name_index *ix, const struct lp_host *old, int nold)
{
	uint32_t nb = buckets(nold);

	ix->head = malloc(sizeof *ix->head * nb);
	ix->next = malloc(sizeof *ix->next * (size_t)(nold + 1));
	ix->mask = nb - 1;
	if (!ix->head || !ix->next) {
		free(ix->head);
		free(ix->next);
		return -1;
	}
	for (uint32_t b = 0; b < nb; b++)
		ix->head[b] = -1;
	for (int i = 0; i < nold; i++) {
		uint32_t b = name_hash(old[i].conf->name) & ix->mask;

		ix->next[i] = ix->head[b];
		ix->head[b] = i;
	}
	return 0;
}

static int name_index_find(const struct name_index *ix, const struct lp_host *old,
			   const char *name)
{
	for (int32_t i = ix->head[name_hash(name) & ix->mask]; i >= 0; i = ix->next[i])
		if (!strcmp(old[i].conf->name, name))
			return i;
	return -1;
}

int lp_hosts_reload(struct lp_conf *nc, int64_t now)
{
	struct lp_conf oc = lp_hosts.conf;
	struct lp_host *old = lp_hosts.host;
	int nold = lp_hosts.n, kept = 0;
	struct name_index ix;

	/* the lines still to say, said now */
	for (int32_t i = hosts_logs.head; i >= 0; i = old[i].pending_next) {
		old[i].drop_log_at = now;
		old[i].trans_window_at = now - TRANS_WINDOW_MS;
	}
	logs_flush(now);
	hosts_logs.head = -1;
	if (name_index_build(&ix, old, nold) < 0) {
		lp_log(3, "event=reload-failed out of memory");
		lp_conf_free(nc);
		return -1;
	}
	lp_hosts.conf = *nc;
	free(hosts_by_addr.head);
	table_build(now);
	for (int i = 0; i < lp_hosts.n; i++) {
		int k = name_index_find(&ix, old, lp_hosts.host[i].conf->name);

		if (k >= 0) {
			keep_host(&lp_hosts.host[i], &old[k]);
			kept++;
		}
	}
	free(ix.head);
	free(ix.next);
	memset(old, 0, sizeof *old * (size_t)nold);
	free(old);
	lp_conf_free(&oc);
	return kept;
}
