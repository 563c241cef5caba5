/* lifeline-peer's SSH probes: the sockets.  Each host with SSH targets
 * gets its turn every probe_interval, the hosts spread evenly over it; a
 * turn queues a probe of each of its targets, and up to a fixed number of
 * probes (the slots) are in flight at once: a non-blocking connect and
 * reads until the banner (peer_banner.c says what counts as one), a
 * failure, or probe_timeout.  The result goes to the host's state
 * (peer_hosts.c).  A probe that fails on this machine says nothing of
 * the host: its state forgets what it knew of SSH instead. */
#define _GNU_SOURCE
#include "peer_daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROBES_MAX 256          /* in flight; the rest wait in a queue */
/* descriptors besides the probes: UDP, status children, connections, the rest */
#define FDS_OTHER (LP_MAX_LISTEN + LP_SERVER_CHILDREN + LP_SERVER_CONNS + 32)
#define LOCAL_LOG_MS 60000      /* one line about local probe failures this often */

struct probe {
	int fd;                  /* -1: free */
	int32_t host;
	uint8_t port;
	int64_t start;
	struct lp_banner b;
};

/* the probes in flight */
static struct {
	struct probe *slot;
	int max, active;
} probe_slots;

/* probes waiting for a slot: host << 3 | port, a ring of one entry per
 * target (a target is queued at most once: lp_host.inflight) */
static struct {
	uint32_t *item;
	uint32_t cap, head, len;
} probe_queue;

/* whose turn: the hosts with SSH targets, in order; the k-th turn is due
 * at started + k * probe_interval / n */
static struct {
	int32_t *host;
	int n;
	uint64_t k;
	int64_t next_at;
} probe_turns = { .next_at = INT64_MAX };

/* failures on this machine, logged once a minute at most */
static struct {
	uint64_t errors, logged;
	int64_t log_at;
} probe_local_log;

static int any_ok(const struct lp_host *h)
{
	for (int p = 0; p < h->conf->nssh; p++)
		if (h->ssh[p].result == LP_PR_OK)
			return 1;
	return 0;
}

static void probe_end(struct lp_host *h, int port, int result, int err, int64_t start,
		      int64_t now)
{
	h->ssh[port] = (struct lp_probe_res){ .result = (uint8_t)result, .err = err, .at = now,
					      .ms = (int32_t)(now - start) };
	h->inflight[port] = 0;
	lp_hs_probe(&h->hs, now, result == LP_PR_OK, any_ok(h));
	lp_host_update(h, now);
}

static void slot_end(int s, int result, int err, int64_t now)
{
	struct probe *p = &probe_slots.slot[s];

	close(p->fd);
	p->fd = -1;
	probe_slots.active--;
	probe_end(&lp_hosts.host[p->host], p->port, result, err, p->start, now);
}

/* The probe failed here, before the host was asked (socket() out of file
 * descriptors, no route, no local port): not the host's SSH failing, so
 * its state forgets what it knew of SSH until a probe gets through
 * (unknown: no verdict). */
static void probe_local(struct lp_host *h, int port, int err, int64_t now)
{
	char a[64];

	h->inflight[port] = 0;
	h->local_errors++;
	h->local_errno = err;
	probe_local_log.errors++;
	if (now >= probe_local_log.log_at) {
		lp_addr_str(&h->conf->ssh[port], a, sizeof a);
		lp_log(3, "event=error probe of host=%s %s failed on this machine: %s "
		       "(%" PRIu64 " such failure(s); no host is judged by them)", h->conf->name, a,
		       strerror(err), probe_local_log.errors - probe_local_log.logged);
		probe_local_log.logged = probe_local_log.errors;
		probe_local_log.log_at = now + LOCAL_LOG_MS;
	}
	lp_hs_probe_unknown(&h->hs);
	lp_host_update(h, now);
}

static void probe_start(uint32_t item, int64_t now)
{
	int hi = (int)(item >> 3), port = (int)(item & 7), s;
	struct lp_host *h = &lp_hosts.host[hi];
	const struct lp_addr *t = &h->conf->ssh[port];
	struct sockaddr_storage ss;
	socklen_t sl = lp_addr_to_sa(t, &ss);
	struct linger lg = { 1, 0 };
	int fd;

	for (s = 0; s < probe_slots.max && probe_slots.slot[s].fd >= 0; s++)
		;
	fd = socket(t->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		probe_local(h, port, errno, now);
		return;
	}
	/* reset, not FIN: no TIME_WAIT pile-up from thousands of probes */
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		if (lp_probe_connect_local(e))
			probe_local(h, port, e, now);
		else
			probe_end(h, port, lp_probe_errno_result(e), e, now, now);
		return;
	}
	if (lp_poll_add(fd, LP_EV_PROBE, s) < 0) {
		int e = errno;

		close(fd);
		probe_local(h, port, e, now);
		return;
	}
	probe_slots.slot[s] = (struct probe){ .fd = fd, .host = hi, .port = (uint8_t)port,
					      .start = now };
	lp_banner_init(&probe_slots.slot[s].b);
	probe_slots.active++;
}

void lp_probes_event(int s, int64_t now)
{
	struct probe *p;
	char buf[256];
	ssize_t n;

	if (s < 0 || s >= probe_slots.max || probe_slots.slot[s].fd < 0)
		return;
	p = &probe_slots.slot[s];
	n = read(p->fd, buf, sizeof buf);
	if (n > 0) {
		int r = lp_banner_feed(&p->b, buf, (size_t)n);

		if (r != LP_PR_NONE)
			slot_end(s, r, 0, now);
	} else if (n == 0) {
		slot_end(s, LP_PR_CLOSED, 0, now);
	} else if (errno != EAGAIN && errno != EINTR) {
		int e = errno;

		slot_end(s, lp_probe_errno_result(e), e, now);
	}
}

/* The turns due at now: each queues its host's targets not in flight. */
static void turns_run(int64_t now)
{
	while (probe_turns.n && now >= probe_turns.next_at) {
		struct lp_host *h = &lp_hosts.host[probe_turns.host[probe_turns.k %
								    (uint64_t)probe_turns.n]];
		int32_t hi = (int32_t)(h - lp_hosts.host);

		for (int p = 0; p < h->conf->nssh; p++) {
			if (h->inflight[p] || probe_queue.len >= probe_queue.cap)
				continue;
			h->inflight[p] = 1;
			probe_queue.item[(probe_queue.head + probe_queue.len++) % probe_queue.cap] =
				(uint32_t)hi << 3 | (uint32_t)p;
		}
		probe_turns.k++;
		probe_turns.next_at = lp_hosts.started +
			(int64_t)(probe_turns.k * (uint64_t)lp_hosts.conf.probe_interval_ms /
				  (uint64_t)probe_turns.n);
	}
}

void lp_probes_run(int64_t now)
{
	turns_run(now);
	for (int s = 0; s < probe_slots.max; s++)
		if (probe_slots.slot[s].fd >= 0 &&
		    now - probe_slots.slot[s].start >= lp_hosts.conf.probe_timeout_ms)
			slot_end(s, LP_PR_TIMEOUT, 0, now);
	while (probe_queue.len && probe_slots.active < probe_slots.max) {
		uint32_t item = probe_queue.item[probe_queue.head];

		probe_queue.head = (probe_queue.head + 1) % probe_queue.cap;
		probe_queue.len--;
		probe_start(item, now);
	}
}

int64_t lp_probes_wake(void)
{
	int64_t w = probe_turns.next_at, timeout = lp_hosts.conf.probe_timeout_ms;

	for (int s = 0; probe_slots.active && s < probe_slots.max; s++)
		if (probe_slots.slot[s].fd >= 0 && probe_slots.slot[s].start + timeout < w)
			w = probe_slots.slot[s].start + timeout;
	return w;
}

void lp_probes_plan(int64_t now)
{
	uint32_t cap = 0;

	free(probe_turns.host);
	free(probe_queue.item);
	probe_turns.host = calloc((size_t)lp_hosts.n + 1, sizeof *probe_turns.host);
	probe_turns.n = 0;
	for (int i = 0; probe_turns.host && i < lp_hosts.n; i++) {
		if (lp_hosts.host[i].conf->nssh)
			probe_turns.host[probe_turns.n++] = i;
		cap += lp_hosts.host[i].conf->nssh;
	}
	probe_queue.item = calloc(cap ? cap : 1, sizeof *probe_queue.item);
	if (!probe_turns.host || !probe_queue.item) {
		lp_log(3, "event=error out of memory for %d hosts", lp_hosts.n);
		exit(1);
	}
	probe_queue.cap = cap;
	probe_queue.head = probe_queue.len = 0;
	probe_turns.k = 0;
	probe_turns.next_at = probe_turns.n ? now : INT64_MAX;
}

void lp_probes_stop(void)
{
	for (int s = 0; s < probe_slots.max; s++)
		if (probe_slots.slot[s].fd >= 0) {
			close(probe_slots.slot[s].fd);
			probe_slots.slot[s].fd = -1;
		}
	probe_slots.active = 0;
	probe_queue.head = probe_queue.len = 0;
	/* nothing is in flight any more: every target may be queued again */
	for (int i = 0; i < lp_hosts.n; i++)
		memset(lp_hosts.host[i].inflight, 0, sizeof lp_hosts.host[i].inflight);
}

void lp_probes_setup(int64_t now)
{
	struct rlimit rl;
	rlim_t want = PROBES_MAX + FDS_OTHER;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	probe_slots.max = PROBES_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want)
		probe_slots.max = (int)rl.rlim_cur > 64 ? (int)rl.rlim_cur - 48 : 16;
	probe_slots.slot = calloc((size_t)probe_slots.max, sizeof *probe_slots.slot);
	if (!probe_slots.slot) {
		lp_log(3, "event=error out of memory");
		exit(1);
	}
	for (int s = 0; s < probe_slots.max; s++)
		probe_slots.slot[s].fd = -1;
	lp_probes_plan(now);
}
