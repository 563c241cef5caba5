/* lifeline-peer: main, the command line and the daemon's event loop.
 *
 * One epoll loop: the UDP sockets (keepalives in, verdicts out), one
 * timerfd for every deadline, a signalfd, the non-blocking SSH probes and
 * the status socket.  Everything is allocated before the loop starts
 * (hosts, the address hash, probe slots and queue, receive buffers);
 * nothing per datagram.  Answers to `status` and the metrics file are
 * written by a forked child from its copy of the tables, so a slow reader
 * or disk never holds up the loop. */
#define _GNU_SOURCE
#include "peer.h"
#include "fmt.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64                /* datagrams per recvmmsg */
#define PROBES_MAX 256          /* in flight; the rest wait in a queue */
#define DROP_LOG_MS 10000       /* one drop line per host per 10 s */
/* state-change lines per host: a host whose keepalives flip a bit every
 * time (a compromised or broken one) must not flood the log */
#define TRANS_BURST 6
#define TRANS_WINDOW_MS 60000
#define STATUS_CHILDREN 8
#define CONNS 8                 /* control connections being read */
#define CONN_READ_MS 2000       /* a request line must come within this */
#define METRICS_MIN_GAP_MS 1000 /* state changes rewrite it at most this often */

enum { EV_UDP = 1, EV_TIMER, EV_SIG, EV_CTL, EV_PROBE, EV_CONN };
#define TAG(kind, idx) ((uint64_t)(kind) << 32 | (uint32_t)(idx))

struct probe {
	int fd;                  /* -1: free */
	int32_t host;
	uint8_t port;
	int64_t start;
	struct lp_banner b;
};

static struct lp_conf conf;
static struct lp_host *hosts;
static int nhosts;
static int32_t *hash_head;
static uint32_t hash_mask;
static int epfd = -1, tfd = -1, sigfd = -1, ctl_fd = -1, syslog_fd = -1;
static int usock[LP_MAX_LISTEN];
static int nusock;
static int64_t started, state_wake = INT64_MAX, drop_wake = INT64_MAX;
static int64_t timer_set = -1;
static uint64_t my_boot_id, verdict_seq, unknown_source, unknown_pending;
static int64_t unknown_log_at;
static struct lp_addr unknown_last;
static int32_t pending_head = -1;

/* probes */
static struct probe *probe;
static int probe_max, probe_active;
static uint32_t *queue;         /* host << 3 | port */
static uint32_t q_cap, q_head, q_len;
static int32_t *probe_order;    /* hosts with SSH targets */
static int nprobe_order;
static uint64_t probe_k;
static int64_t probe_next_at = INT64_MAX;

/* children */
static pid_t metrics_pid;
static int metrics_failing, metrics_dirty, nchildren;
static int64_t metrics_next, metrics_last = -1000000;

static int64_t mono_ms(void)
{
	return (int64_t)now_ms();
}

static int64_t real_ms(void)
{
	return (int64_t)wall_ms();
}

/* ---- logging: one write per line; stderr and, if asked, /dev/log ---- */

static void plog(int prio, const char *f, ...) __attribute__((format(printf, 2, 3)));

static void plog(int prio, const char *f, ...)
{
	char line[1024];
	va_list ap;
	int n, h;

	memcpy(line, "lifeline-peer: ", 15);
	va_start(ap, f);
	n = vfmt(line + 15, sizeof line - 16, f, ap);
	va_end(ap);
	n += 15;
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	if (write(2, line, (size_t)n) < 0) {
		/* nowhere to say it */
	}
	if (syslog_fd < 0)
		return;
	char msg[1100];

	/* facility daemon (3) */
	h = fmt(msg, sizeof msg, "<%d>lifeline-peer[%d]: %.*s", 3 * 8 + prio, (int)getpid(),
		n - 16, line + 15);
	if (h > (int)sizeof msg - 1)
		h = (int)sizeof msg - 1;
	(void)!send(syslog_fd, msg, (size_t)h, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void syslog_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };

	syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (syslog_fd >= 0 && connect(syslog_fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;

		close(syslog_fd);
		syslog_fd = -1;
		plog(4, "event=warning syslog: /dev/log: %s (logging to stderr only)", strerror(e));
	}
}

/* A pipe or socket on standard error that does not keep up loses lines
 * rather than stopping the loop (a terminal or file is left alone: its
 * open file may be shared with others). */
static void stderr_nonblock(void)
{
	struct stat st;
	int fl = fcntl(2, F_GETFL);

	if (fl >= 0 && fstat(2, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		(void)fcntl(2, F_SETFL, fl | O_NONBLOCK);
}

/* An ISO 8601 UTC time for a monotonic instant. */
static void iso_time(int64_t mono, int64_t now, char *out, size_t cap)
{
	time_t t = (time_t)((real_ms() - (now - mono)) / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		fmt(out, cap, "?");
}

/* ---- hosts ---- */

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

static struct lp_timing timing(const struct lp_host *h)
{
	return lp_host_timing(&conf, h, started);
}

static void hosts_setup(int64_t now)
{
	uint32_t nb = 16;

	nhosts = conf.nhosts;
	while (nb < 2u * (uint32_t)nhosts)
		nb <<= 1;
	hosts = calloc((size_t)nhosts, sizeof *hosts);
	hash_head = malloc(sizeof *hash_head * nb);
	probe_order = calloc((size_t)nhosts, sizeof *probe_order);
	if (!hosts || !hash_head || !probe_order) {
		plog(3, "event=error out of memory for %d hosts", nhosts);
		exit(1);
	}
	hash_mask = nb - 1;
	for (uint32_t i = 0; i < nb; i++)
		hash_head[i] = -1;
	q_cap = 0;
	nprobe_order = 0;
	for (int i = 0; i < nhosts; i++) {
		struct lp_host *h = &hosts[i];
		uint32_t b;

		h->conf = &conf.host[i];
		lp_hs_init(&h->hs, now);
		h->sock = -1;
		h->pending_next = -1;
		b = ip_hash(&h->conf->addr) & hash_mask;
		h->hash_next = hash_head[b];
		hash_head[b] = i;
		if (h->conf->nssh)
			probe_order[nprobe_order++] = i;
		q_cap += h->conf->nssh;
	}
}

/* ---- logs of state changes and drops ---- */

static void log_transition(struct lp_host *h, int64_t now)
{
	struct lp_timing t = timing(h);
	const char *name = h->conf->name;
	char ssh[96], a[32], b[32], since[32];

	lp_out_ssh(h, ssh, sizeof ssh);
	switch (h->hs.state) {
	case LP_UNREACHABLE:
		iso_time(lp_hs_fail_since(&h->hs), now, since, sizeof since);
		lp_duration_str(lp_hs_verdict_in(&h->hs, &t, now), a, sizeof a);
		plog(4, "host=%s event=unreachable since=%s grace_left=%s ssh=\"%s\"", name, since,
		     a, ssh);
		break;
	case LP_DEAD:
		iso_time(lp_hs_fail_since(&h->hs), now, since, sizeof since);
		lp_duration_str(conf.verdict_interval_ms, a, sizeof a);
		plog(3, "host=%s event=dead since=%s verdict_every=%s ssh=\"%s\"%s", name, since, a,
		     ssh, now - h->hs.last_ka >= conf.down_after_ms ? " silent=yes" : "");
		break;
	case LP_REQUESTED:
		iso_time(h->hs.req_until, now, since, sizeof since);
		lp_duration_str(conf.verdict_interval_ms, a, sizeof a);
		plog(3, "host=%s event=rescue-requested by_uid=%u by_pid=%d verdict_every=%s "
		     "until=%s ssh=\"%s\"", name, (unsigned)h->req_uid, (int)h->req_pid, a, since, ssh);
		break;
	case LP_DOWN:
		if (h->hs.have_ka)
			lp_duration_str(now - h->hs.last_ka, b, sizeof b);
		plog(4, "host=%s event=down last_keepalive=%s%s", name,
		     h->hs.have_ka ? b : "never", h->hs.have_ka ? "_ago" : "");
		break;
	case LP_RESCUE:
		plog(5, "host=%s event=rescue boot=%016llx ssh=\"%s\"", name,
		     (unsigned long long)h->echo_boot, ssh);
		break;
	default:
		plog(5, "host=%s event=%s ssh=\"%s\"", name, lp_state_name(h->hs.state), ssh);
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
	plog(4, "host=%s event=dropped%s last_from=%s", h->conf->name, line, a);
	h->drop_log_at = now + DROP_LOG_MS;
}

/* h has a line to say later, at `at` */
static void pending_add(struct lp_host *h, int64_t at)
{
	if (!h->pending) {
		h->pending = 1;
		h->pending_next = pending_head;
		pending_head = (int32_t)(h - hosts);
	}
	if (at < drop_wake)
		drop_wake = at;
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
	plog(4, "host=%s event=flapping changes_not_logged=%u window=%ds (state now: next line)",
	     h->conf->name, h->trans_suppressed, TRANS_WINDOW_MS / 1000);
	h->trans_suppressed = 0;
	h->trans_window_at = now;
	h->trans_lines = 1;
	log_transition(h, now);
	return 0;
}

static void drops_flush(int64_t now)
{
	int32_t *link = &pending_head;

	drop_wake = INT64_MAX;
	while (*link >= 0) {
		struct lp_host *h = &hosts[*link];

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
		if (drops && h->drop_log_at < drop_wake)
			drop_wake = h->drop_log_at;
		if (trans && h->trans_window_at + TRANS_WINDOW_MS < drop_wake)
			drop_wake = h->trans_window_at + TRANS_WINDOW_MS;
		link = &h->pending_next;
	}
	if (unknown_pending && now >= unknown_log_at) {
		char a[64];

		lp_addr_str(&unknown_last, a, sizeof a);
		plog(4, "event=unknown-source count=%llu last_from=%s (no [host] has that address)",
		     (unsigned long long)unknown_pending, a);
		unknown_pending = 0;
		unknown_log_at = now + DROP_LOG_MS;
	}
	if (unknown_pending && unknown_log_at < drop_wake)
		drop_wake = unknown_log_at;
}

/* ---- verdicts ---- */

static void send_verdict(struct lp_host *h, int64_t now)
{
	struct ka_msg v = {
		.type = KA_VERDICT, .boot_id = my_boot_id, .seq = ++verdict_seq,
		.echo_boot = h->echo_boot, .echo_seq = h->echo_seq, .time_ms = (uint64_t)real_ms(),
	};
	uint8_t d[KA_SIZE];
	struct sockaddr_storage ss;
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { d, sizeof d };
	struct msghdr mh = { .msg_name = &ss, .msg_iov = &iov, .msg_iovlen = 1 };
	char to[64];

	memcpy(v.host, h->conf->name, sizeof v.host);
	lp_addr_str(&h->src, to, sizeof to);
	if (h->sock < 0 || ka_encode(&v, h->conf->key, d) < 0) {
		plog(3, "host=%s event=error no address to send a verdict to", h->conf->name);
		return;
	}
	mh.msg_namelen = lp_addr_to_sa(&h->src, &ss);
	/* from the address the host sent its keepalive to: a host checks the
	 * verdict's source against its configured peer */
	memset(&cm, 0, sizeof cm);
	if (h->local.family == AF_INET && h->src.family == AF_INET) {
		struct in_pktinfo pi = { .ipi_ifindex = 0 };
		struct cmsghdr *c = (struct cmsghdr *)(void *)cm.buf;

		memcpy(&pi.ipi_spec_dst, h->local.ip, 4);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(c), &pi, sizeof pi);
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof pi);
	} else if (h->local.family == AF_INET6 && h->src.family == AF_INET6) {
		struct in6_pktinfo pi = { .ipi6_ifindex = (unsigned)h->ifindex };
		struct cmsghdr *c = (struct cmsghdr *)(void *)cm.buf;

		memcpy(&pi.ipi6_addr, h->local.ip, 16);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(c), &pi, sizeof pi);
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof pi);
	}
	if (sendmsg(usock[h->sock], &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		plog(3, "host=%s event=error verdict to %s: %s", h->conf->name, to, strerror(errno));
		return;
	}
	plog(3, "host=%s event=verdict seq=%llu to=%s echo_seq=%llu n=%llu reason=%s",
	     h->conf->name, (unsigned long long)v.seq, to, (unsigned long long)v.echo_seq,
	     (unsigned long long)h->hs.verdicts,
	     h->hs.state == LP_REQUESTED ? "rescue-request" : "grace");
	(void)now;
}

static void log_request_end(struct lp_host *h, const char *reason)
{
	plog(4, "host=%s event=rescue-request-end reason=%s verdicts=%" PRIu64, h->conf->name,
	     reason, h->hs.verdicts - h->req_verdicts0);
}

static void metrics_soon(void);

/* After anything that may change a host's state: move it on, act, and
 * keep state_wake no later than its next deadline. */
static void host_update(struct lp_host *h, int64_t now)
{
	struct lp_timing t = timing(h);
	int old = h->hs.state;
	enum lp_req rq = lp_hs_req(&h->hs, &t, now);
	int due = lp_hs_tick(&h->hs, &t, now);
	int64_t d;

	/* an operator's request that ended (the tick forgot it) */
	if (rq >= LP_REQ_EXPIRED)
		log_request_end(h, lp_req_name(rq));
	if (h->hs.state != old) {
		log_change(h, now);
		metrics_soon();
	}
	if (due)
		send_verdict(h, now);
	d = lp_hs_deadline(&h->hs, &t, now);
	if (d < state_wake)
		state_wake = d;
}

static void hosts_tick(int64_t now)
{
	state_wake = INT64_MAX;
	for (int i = 0; i < nhosts; i++)
		host_update(&hosts[i], now);
}

/* ---- keepalives in ---- */

static void accept_keepalive(struct lp_host *h, const struct ka_msg *m, int si,
			     const struct lp_addr *from, const struct lp_addr *local,
			     int ifindex, int64_t now)
{
	struct lp_timing t = timing(h);

	h->keepalives++;
	h->echo_boot = m->boot_id;
	h->echo_seq = m->seq;
	h->sock = si;
	h->src = *from;
	h->local = *local;
	h->ifindex = ifindex;
	lp_hs_keepalive(&h->hs, &t, now, m->boot_id, m->state);
	host_update(h, now);
}

static void datagram(int si, const uint8_t *buf, size_t len, const struct lp_addr *from,
		     const struct lp_addr *local, int ifindex, int64_t now)
{
	uint32_t b = ip_hash(from) & hash_mask;
	enum ka_result first = KA_BAD_MAC;
	int found = 0;

	/* the key is chosen by the sender's address; hosts sharing one
	 * address (NAT) each get their key tried */
	for (int32_t i = hash_head[b]; i >= 0; i = hosts[i].hash_next) {
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
		unknown_source++;
		unknown_pending++;
		unknown_last = *from;
		if (now >= unknown_log_at)
			drops_flush(now);
		else if (unknown_log_at < drop_wake)
			drop_wake = unknown_log_at;
		return;
	}
	/* no key fits: counted against every host of that address */
	for (int32_t i = hash_head[b]; i >= 0; i = hosts[i].hash_next)
		if (lp_addr_eq_ip(&hosts[i].conf->addr, from))
			count_drop(&hosts[i], first, from, now);
}

static uint8_t (*rbuf)[KA_SIZE + 1];
static struct sockaddr_storage *rname;
static struct mmsghdr *rmsg;
static struct iovec *riov;
static char (*rctl)[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];

static void rx_setup(void)
{
	rbuf = calloc(BATCH, sizeof *rbuf);
	rname = calloc(BATCH, sizeof *rname);
	rmsg = calloc(BATCH, sizeof *rmsg);
	riov = calloc(BATCH, sizeof *riov);
	rctl = calloc(BATCH, sizeof *rctl);
	if (!rbuf || !rname || !rmsg || !riov || !rctl) {
		plog(3, "event=error out of memory");
		exit(1);
	}
}

static void local_addr(struct msghdr *mh, struct lp_addr *local, int *ifindex)
{
	memset(local, 0, sizeof *local);
	*ifindex = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof pi);
			local->family = AF_INET;
			memcpy(local->ip, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof pi);
			local->family = AF_INET6;
			memcpy(local->ip, &pi.ipi6_addr, 16);
			*ifindex = (int)pi.ipi6_ifindex;
		}
	}
}

static void udp_read(int si)
{
	/* a bounded number of rounds, so a flood cannot starve the timers */
	for (int round = 0; round < 16; round++) {
		int n;
		int64_t now;

		for (int i = 0; i < BATCH; i++) {
			riov[i] = (struct iovec){ rbuf[i], KA_SIZE + 1 };
			rmsg[i].msg_hdr = (struct msghdr){
				.msg_name = &rname[i], .msg_namelen = sizeof rname[i],
				.msg_iov = &riov[i], .msg_iovlen = 1,
				.msg_control = rctl[i], .msg_controllen = sizeof rctl[i],
			};
		}
		n = recvmmsg(usock[si], rmsg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		now = mono_ms();
		for (int i = 0; i < n; i++) {
			struct lp_addr from, local;
			int ifindex;
			/* a datagram longer than KA_SIZE + 1 is truncated: still bad-size */
			size_t len = (rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) ? KA_SIZE + 1 :
				     rmsg[i].msg_len;

			if (lp_addr_from_sa((struct sockaddr *)&rname[i], &from) < 0)
				continue;
			local_addr(&rmsg[i].msg_hdr, &local, &ifindex);
			datagram(si, rbuf[i], len, &from, &local, ifindex, now);
		}
		if (n < BATCH)
			return;
	}
}

/* ---- SSH probes ---- */

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
	host_update(h, now);
}

static void slot_end(int s, int result, int err, int64_t now)
{
	struct probe *p = &probe[s];

	close(p->fd);
	p->fd = -1;
	probe_active--;
	probe_end(&hosts[p->host], p->port, result, err, p->start, now);
}

#define LOCAL_LOG_MS 60000       /* one line about local probe failures this often */
static uint64_t local_errors, local_logged;
static int64_t local_log_at;

/* The probe failed here, before the host was asked (socket() out of file
 * descriptors, no route, no local port): that is not the host's SSH
 * failing, so its state forgets what it knew of SSH until a probe gets
 * through (unknown: no verdict).  Logged once a minute at most. */
static void probe_local(struct lp_host *h, int port, int err, int64_t now)
{
	char a[64];

	h->inflight[port] = 0;
	h->local_errors++;
	h->local_errno = err;
	local_errors++;
	if (now >= local_log_at) {
		lp_addr_str(&h->conf->ssh[port], a, sizeof a);
		plog(3, "event=error probe of host=%s %s failed on this machine: %s "
		     "(%" PRIu64 " such failure(s); no host is judged by them)", h->conf->name, a,
		     strerror(err), local_errors - local_logged);
		local_logged = local_errors;
		local_log_at = now + LOCAL_LOG_MS;
	}
	lp_hs_probe_unknown(&h->hs);
	host_update(h, now);
}

static void probe_start(uint32_t item, int64_t now)
{
	int hi = (int)(item >> 3), port = (int)(item & 7), s;
	struct lp_host *h = &hosts[hi];
	const struct lp_addr *t = &h->conf->ssh[port];
	struct sockaddr_storage ss;
	socklen_t sl = lp_addr_to_sa(t, &ss);
	struct linger lg = { 1, 0 };
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	for (s = 0; s < probe_max && probe[s].fd >= 0; s++)
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
	ev.data.u64 = TAG(EV_PROBE, s);
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;

		close(fd);
		probe_local(h, port, e, now);
		return;
	}
	probe[s] = (struct probe){ .fd = fd, .host = hi, .port = (uint8_t)port, .start = now };
	lp_banner_init(&probe[s].b);
	probe_active++;
}

static void probe_event(int s, int64_t now)
{
	struct probe *p = &probe[s];
	char buf[256];
	ssize_t n;

	if (s < 0 || s >= probe_max || p->fd < 0)
		return;
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

static void probes_run(int64_t now)
{
	/* each host's turn comes every probe_interval, the hosts spread evenly
	 * over it */
	while (nprobe_order && now >= probe_next_at) {
		struct lp_host *h = &hosts[probe_order[probe_k % (uint64_t)nprobe_order]];
		int32_t hi = (int32_t)(h - hosts);

		for (int p = 0; p < h->conf->nssh; p++) {
			if (h->inflight[p] || q_len >= q_cap)
				continue;
			h->inflight[p] = 1;
			queue[(q_head + q_len++) % q_cap] = (uint32_t)hi << 3 | (uint32_t)p;
		}
		probe_k++;
		probe_next_at = started + (int64_t)(probe_k * (uint64_t)conf.probe_interval_ms /
						    (uint64_t)nprobe_order);
	}
	for (int s = 0; s < probe_max; s++)
		if (probe[s].fd >= 0 && now - probe[s].start >= conf.probe_timeout_ms)
			slot_end(s, LP_PR_TIMEOUT, 0, now);
	while (q_len && probe_active < probe_max) {
		uint32_t item = queue[q_head];

		q_head = (q_head + 1) % q_cap;
		q_len--;
		probe_start(item, now);
	}
}

static int64_t probes_wake(void)
{
	int64_t w = probe_next_at;

	for (int s = 0; probe_active && s < probe_max; s++)
		if (probe[s].fd >= 0 && probe[s].start + conf.probe_timeout_ms < w)
			w = probe[s].start + conf.probe_timeout_ms;
	return w;
}

static void probes_setup(int64_t now)
{
	struct rlimit rl;
	rlim_t want = PROBES_MAX + LP_MAX_LISTEN + STATUS_CHILDREN + CONNS + 32;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	probe_max = PROBES_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want)
		probe_max = (int)rl.rlim_cur > 64 ? (int)rl.rlim_cur - 48 : 16;
	probe = calloc((size_t)probe_max, sizeof *probe);
	queue = calloc(q_cap ? q_cap : 1, sizeof *queue);
	if (!probe || !queue) {
		plog(3, "event=error out of memory");
		exit(1);
	}
	for (int s = 0; s < probe_max; s++)
		probe[s].fd = -1;
	if (nprobe_order)
		probe_next_at = now;
}

/* ---- children: status answers and the metrics file ---- */

static struct lp_view view(int64_t now)
{
	struct lp_view v = {
		.conf = &conf, .host = hosts, .nhosts = nhosts, .now = now,
		.realtime_ms = real_ms(), .unknown_source = unknown_source,
		.verdict_seq = verdict_seq, .started = started,
	};
	return v;
}

static void conns_close_others(int keep);

static void metrics_soon(void)
{
	metrics_dirty = 1;
}

static void metrics_write(int64_t now)
{
	char tmp[LP_PATH_MAX + 16];
	pid_t pid;

	metrics_last = now;
	metrics_next = now + conf.metrics_interval_ms;
	metrics_dirty = 0;
	pid = fork();
	if (pid < 0) {
		if (!metrics_failing)
			plog(3, "event=error metrics: fork: %s", strerror(errno));
		metrics_failing = 1;
		return;
	}
	if (pid > 0) {
		metrics_pid = pid;
		return;
	}
	/* the child: its copy of the tables is the snapshot */
	struct lp_view v = view(now);
	FILE *f;
	int ok;

	conns_close_others(-1);
	alarm(60);
	/* a new file of a name nobody could guess (mkstemp: O_EXCL, so no
	 * link planted in a directory others may write is followed), made
	 * readable by the exporter that reads the directory, then renamed;
	 * not named *.prom, which the exporter would read half-written */
	fmt(tmp, sizeof tmp, "%s.XXXXXX", conf.metrics);
	int fd = mkstemp(tmp);
	f = fd >= 0 && fchmod(fd, 0644) == 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (!metrics_failing)
			plog(3, "event=error metrics: %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
		_exit(1);
	}
	lp_out_metrics(f, &v);
	ok = !ferror(f);
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, conf.metrics) < 0) {
		if (!metrics_failing)
			plog(3, "event=error metrics: writing %s: %s", conf.metrics, strerror(errno));
		unlink(tmp);
		_exit(1);
	}
	_exit(0);
}

static void metrics_run(int64_t now)
{
	if (!conf.metrics[0] || metrics_pid)
		return;
	if (now >= metrics_next || (metrics_dirty && now - metrics_last >= METRICS_MIN_GAP_MS))
		metrics_write(now);
}

static int64_t metrics_wake(void)
{
	int64_t w;

	if (!conf.metrics[0] || metrics_pid)
		return INT64_MAX;
	w = metrics_next;
	if (metrics_dirty && metrics_last + METRICS_MIN_GAP_MS < w)
		w = metrics_last + METRICS_MIN_GAP_MS;
	return w;
}

static void reap(void)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid != metrics_pid) {
			nchildren--;
			continue;
		}
		metrics_pid = 0;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			if (metrics_failing)
				plog(5, "event=metrics-ok %s written again", conf.metrics);
			metrics_failing = 0;
		} else {
			metrics_failing = 1;
		}
	}
}

static void serve_status(int fd, int kind, int64_t now)
{
	int fl = fcntl(fd, F_GETFL);
	struct lp_view v;
	FILE *f;

	alarm(30);
	conns_close_others(fd);
	/* the daemon read the request without blocking; the answer may be
	 * long, and a slow reader holds up this child only */
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	v = view(now);
	f = fdopen(fd, "w");
	if (!f)
		_exit(1);
	if (kind == LP_CTL_JSON)
		lp_out_json(f, &v);
	else
		lp_out_table(f, &v);
	fclose(f);
	_exit(0);
}

/* ---- control connections: the request is read here, without blocking ----
 *
 * status and json are answered by a forked child (above); the rescue
 * requests change the daemon's state, so the daemon answers them itself,
 * from a fixed buffer.  A fixed table of connections: a client that sends
 * no complete line within CONN_READ_MS is dropped. */

static struct conn {
	int fd;                  /* -1: free */
	uint8_t got;
	char req[LP_CTL_LINE_MAX];
	int64_t deadline;
	struct ucred cr;
} conn[CONNS];
static int nconns;

static void conns_setup(void)
{
	for (int i = 0; i < CONNS; i++)
		conn[i].fd = -1;
}

/* In a forked child: the connections still being read are the daemon's
 * (a copy held here would keep their clients from seeing the end of an
 * answer until this child exits). */
static void conns_close_others(int keep)
{
	for (int i = 0; i < CONNS; i++)
		if (conn[i].fd >= 0 && conn[i].fd != keep)
			close(conn[i].fd);
}

static void conn_close(struct conn *c)
{
	(void)epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	nconns--;
}

/* A short answer and the end of the connection.  A new stream socket's
 * buffer holds far more than the few KiB of an answer. */
static void conn_answer(struct conn *c, const char *text, size_t len)
{
	(void)!send(c->fd, text, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)shutdown(c->fd, SHUT_RDWR);
	conn_close(c);
}

static void ctl_rescue(struct conn *c, const struct lp_ctl_req *r, int64_t now)
{
	char out[2048], at[32], dur[32];
	struct lp_view v = view(now);
	int hi = lp_host_find(hosts, nhosts, r->host);
	struct lp_host *h;
	struct lp_timing t;
	size_t n;

	if (hi < 0) {
		n = lp_ctl_unknown(out, sizeof out, &v, r->host);
		conn_answer(c, out, n);
		return;
	}
	h = &hosts[hi];
	t = timing(h);
	host_update(h, now);    /* a request that has just ended is said so first */
	if (r->kind == LP_CTL_RESCUE_CANCEL) {
		uint64_t sent = h->hs.verdicts - h->req_verdicts0;

		if (lp_hs_req(&h->hs, &t, now) != LP_REQ_ACTIVE) {
			n = (size_t)fmt(out, sizeof out, "error: %s: no rescue request to cancel\n",
					h->conf->name);
			conn_answer(c, out, n < sizeof out ? n : sizeof out - 1);
			return;
		}
		plog(4, "host=%s event=rescue-request-end reason=cancelled verdicts=%" PRIu64
		     " (cancelled by uid %u (pid %d) over the status socket)", h->conf->name, sent,
		     (unsigned)c->cr.uid, (int)c->cr.pid);
		lp_hs_cancel(&h->hs);
		host_update(h, now);
		v = view(now);
		n = lp_ctl_cancel_answer(out, sizeof out, &v, hi, sent);
		conn_answer(c, out, n);
		return;
	}
	n = lp_ctl_refusal(out, sizeof out, &v, hi);
	if (n) {
		if (r->kind == LP_CTL_RESCUE)
			plog(4, "host=%s event=rescue-refused uid=%u pid=%d reason=%s", h->conf->name,
			     (unsigned)c->cr.uid, (int)c->cr.pid,
			     lp_req_name(lp_hs_req_refusal(&h->hs, &t, now)));
		conn_answer(c, out, n);
		return;
	}
	if (r->kind == LP_CTL_RESCUE_CHECK) {
		n = lp_ctl_prompt(out, sizeof out, &v, hi);
		conn_answer(c, out, n);
		return;
	}
	/* LP_CTL_RESCUE: who and when, then verdicts on the host's schedule */
	int fresh = lp_hs_request(&h->hs, &t, now, now + r->for_ms);
	uint64_t before = h->hs.verdicts;

	if (fresh) {
		h->req_uid = c->cr.uid;
		h->req_pid = c->cr.pid;
		h->req_at = now;
		h->req_verdicts0 = h->hs.verdicts;
	}
	iso_time(now, now, at, sizeof at);
	lp_duration_str(r->for_ms, dur, sizeof dur);
	plog(3, "host=%s event=rescue-request uid=%u pid=%d at=%s for=%s%s: rescue of %s "
	     "requested by uid %u (pid %d) over the status socket", h->conf->name,
	     (unsigned)c->cr.uid, (int)c->cr.pid, at, dur, fresh ? "" : " repeat=yes",
	     h->conf->name, (unsigned)c->cr.uid, (int)c->cr.pid);
	host_update(h, now);    /* the first verdict, now, unless some already go out */
	v = view(now);
	n = lp_ctl_rescue_answer(out, sizeof out, &v, hi, fresh, h->hs.verdicts > before,
				 r->for_ms);
	conn_answer(c, out, n);
}

static void conn_request(struct conn *c, int64_t now)
{
	struct lp_ctl_req r;
	pid_t pid;

	if (lp_ctl_parse(c->req, &r) < 0) {
		static const char bad[] = "error: unknown request (status, json, rescue-check "
					  "HOST, rescue HOST MS or rescue-cancel HOST)\n";

		conn_answer(c, bad, sizeof bad - 1);
		return;
	}
	if (r.kind != LP_CTL_STATUS && r.kind != LP_CTL_JSON) {
		ctl_rescue(c, &r, now);
		return;
	}
	if (nchildren >= STATUS_CHILDREN) {
		static const char busy[] = "error: busy, try again\n";

		conn_answer(c, busy, sizeof busy - 1);
		return;
	}
	pid = fork();
	if (pid == 0)
		serve_status(c->fd, r.kind, now);
	if (pid > 0)
		nchildren++;
	conn_close(c);
}

static void conn_read(int i, int64_t now)
{
	struct conn *c = &conn[i];

	if (i < 0 || i >= CONNS || c->fd < 0)
		return;
	for (;;) {
		ssize_t n = read(c->fd, c->req + c->got, sizeof c->req - 1 - c->got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->got = (uint8_t)(c->got + n);
		c->req[c->got] = 0;
		if (memchr(c->req, '\n', c->got)) {
			conn_request(c, now);
			return;
		}
		if (c->got >= sizeof c->req - 1) {
			static const char big[] = "error: request too long\n";

			conn_answer(c, big, sizeof big - 1);
			return;
		}
	}
}

static void conns_expire(int64_t now)
{
	for (int i = 0; nconns && i < CONNS; i++)
		if (conn[i].fd >= 0 && now >= conn[i].deadline)
			conn_close(&conn[i]);
}

static int64_t conns_wake(void)
{
	int64_t w = INT64_MAX;

	for (int i = 0; nconns && i < CONNS; i++)
		if (conn[i].fd >= 0 && conn[i].deadline < w)
			w = conn[i].deadline;
	return w;
}

static void ctl_accept(int64_t now)
{
	for (;;) {
		struct ucred cr;
		socklen_t cl = sizeof cr;
		int fd = accept4(ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), i;
		struct epoll_event ev = { .events = EPOLLIN };

		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 ||
		    (cr.uid != 0 && cr.uid != geteuid())) {
			static const char no[] = "error: permission denied (root only)\n";

			(void)!send(fd, no, sizeof no - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		for (i = 0; i < CONNS && conn[i].fd >= 0; i++)
			;
		ev.data.u64 = TAG(EV_CONN, i);
		if (i == CONNS || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			static const char busy[] = "error: busy, try again\n";

			(void)!send(fd, busy, sizeof busy - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		conn[i] = (struct conn){ .fd = fd, .deadline = now + CONN_READ_MS, .cr = cr };
		nconns++;
		conn_read(i, now);      /* the request is often there already */
	}
}

static int ctl_setup(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG(EV_CTL, 0) };
	int fd;
	mode_t old;

	if (!conf.socket[0])
		return 0;
	memcpy(sa.sun_path, conf.socket, strlen(conf.socket) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		plog(3, "event=error %s: another lifeline-peer answers there", conf.socket);
		close(fd);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	unlink(conf.socket);
	ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	old = umask(077);
	if (ctl_fd < 0 || bind(ctl_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(ctl_fd, 16) < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, ctl_fd, &ev) < 0) {
		umask(old);
		plog(3, "event=error %s: %s", conf.socket, strerror(errno));
		return -1;
	}
	umask(old);
	return 0;
}

/* ---- setup and the loop ---- */

static int udp_setup(void)
{
	int one = 1, big = 4 << 20;

	for (int i = 0; i < conf.nlisten; i++) {
		const struct lp_addr *a = &conf.listen[i];
		struct sockaddr_storage ss;
		socklen_t sl = lp_addr_to_sa(a, &ss);
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG(EV_UDP, nusock) };
		char s[64];
		int fd = socket(a->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		lp_addr_str(a, s, sizeof s);
		if (fd >= 0 && a->family == AF_INET6) {
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
		} else if (fd >= 0) {
			(void)setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
		}
		/* room for a burst of thousands of hosts (best effort) */
		if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
		if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
		    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			if (!conf.listen_explicit && a->family == AF_INET6) {
				plog(4, "event=warning listen %s: %s (IPv4 only)", s, strerror(e));
				continue;
			}
			plog(3, "event=error listen %s: %s", s, strerror(e));
			return -1;
		}
		usock[nusock++] = fd;
	}
	return 0;
}

static int loop_setup(void)
{
	sigset_t set;
	struct epoll_event ev = { .events = EPOLLIN };

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (epfd < 0 || tfd < 0 || sigfd < 0) {
		plog(3, "event=error epoll/timerfd/signalfd: %s", strerror(errno));
		return -1;
	}
	ev.data.u64 = TAG(EV_TIMER, 0);
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev) < 0)
		return -1;
	ev.data.u64 = TAG(EV_SIG, 0);
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, sigfd, &ev) < 0)
		return -1;
	return 0;
}

static void timer_arm(int64_t when)
{
	struct itimerspec its;

	if (when == timer_set)
		return;
	timer_set = when;
	memset(&its, 0, sizeof its);
	if (when != INT64_MAX) {
		if (when < 1)
			when = 1;
		its.it_value.tv_sec = when / 1000;
		its.it_value.tv_nsec = (long)(when % 1000) * 1000000;
	}
	(void)timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* ---- SIGHUP: the configuration again, the hosts' state kept ---- */

static const char *conf_path;

static void report_log(void *ctx, const char *file, int line, int col, const char *msg)
{
	int *n = ctx;

	(*n)++;
	plog(3, "event=reload-problem %s:%d:%d: %s", file, line, col, msg);
}

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
static int find_old(const struct lp_host *old, const int32_t *head, const int32_t *next,
		    uint32_t mask, const char *name)
{
	uint32_t b = 2166136261u;

	for (const char *p = name; *p; p++)
		b = (b ^ (uint8_t)*p) * 16777619u;
	for (int32_t i = head[b & mask]; i >= 0; i = next[i])
		if (!strcmp(old[i].conf->name, name))
			return i;
	return -1;
}

static void reload(int64_t now)
{
	struct lp_conf nc, oc = conf;
	struct lp_host *old = hosts;
	int nold = nhosts, n = 0, kept = 0;
	uint32_t nb = 16;

	lp_conf_init(&nc);
	if (lp_conf_load(&nc, conf_path, report_log, &n) || n) {
		plog(3, "event=reload-failed config=%s problems=%d (the running configuration "
		     "stays)", conf_path, n);
		lp_conf_free(&nc);
		return;
	}
	/* where it listens, its socket and syslog stay as they were */
	int moved = nc.nlisten != conf.nlisten || strcmp(nc.socket, conf.socket) != 0 ||
		    nc.syslog != conf.syslog;
	for (int i = 0; !moved && i < nc.nlisten; i++)
		moved = !lp_addr_eq_ip(&nc.listen[i], &conf.listen[i]) ||
			nc.listen[i].port != conf.listen[i].port;
	if (moved)
		plog(4, "event=reload note=\"listen, socket and syslog take a restart\"");
	nc.nlisten = conf.nlisten;
	nc.listen_explicit = conf.listen_explicit;
	memcpy(nc.listen, conf.listen, sizeof nc.listen);
	memcpy(nc.socket, conf.socket, sizeof nc.socket);
	nc.syslog = conf.syslog;
	/* the lines still to say, said now; the probes in flight, dropped */
	for (int32_t i = pending_head; i >= 0; i = old[i].pending_next) {
		old[i].drop_log_at = now;
		old[i].trans_window_at = now - TRANS_WINDOW_MS;
	}
	drops_flush(now);
	for (int s = 0; s < probe_max; s++)
		if (probe[s].fd >= 0) {
			close(probe[s].fd);
			probe[s].fd = -1;
		}
	probe_active = 0;
	q_head = q_len = 0;
	pending_head = -1;
	/* the old hosts by name */
	while (nb < 2u * (uint32_t)nold)
		nb <<= 1;
	int32_t *ohead = malloc(sizeof *ohead * nb), *onext = malloc(sizeof *onext * (size_t)(nold + 1));
	if (!ohead || !onext) {
		plog(3, "event=reload-failed out of memory");
		free(ohead);
		free(onext);
		lp_conf_free(&nc);
		return;
	}
	for (uint32_t b = 0; b < nb; b++)
		ohead[b] = -1;
	for (int i = 0; i < nold; i++) {
		uint32_t b = 2166136261u;

		for (const char *p = old[i].conf->name; *p; p++)
			b = (b ^ (uint8_t)*p) * 16777619u;
		onext[i] = ohead[b & (nb - 1)];
		ohead[b & (nb - 1)] = i;
	}
	conf = nc;
	free(hash_head);
	free(probe_order);
	hosts_setup(now);
	for (int i = 0; i < nhosts; i++) {
		int k = find_old(old, ohead, onext, nb - 1, hosts[i].conf->name);

		if (k >= 0) {
			keep_host(&hosts[i], &old[k]);
			kept++;
		}
	}
	free(queue);
	queue = calloc(q_cap ? q_cap : 1, sizeof *queue);
	if (!queue) {
		plog(3, "event=error out of memory");
		exit(1);
	}
	probe_k = 0;
	probe_next_at = nprobe_order ? now : INT64_MAX;
	free(ohead);
	free(onext);
	memset(old, 0, sizeof *old * (size_t)nold);
	free(old);
	lp_conf_free(&oc);
	plog(5, "event=reload config=%s hosts=%d kept=%d new=%d gone=%d", conf_path, nhosts, kept,
	     nhosts - kept, nold - kept);
	hosts_tick(now);
	metrics_soon();
}

/* 1 to go on, 0 to stop */
static int signals(void)
{
	struct signalfd_siginfo si;

	while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap();
			break;
		case SIGHUP:
			reload(mono_ms());
			break;
		default:
			plog(5, "event=stop signal=%d", (int)si.ssi_signo);
			return 0;
		}
	}
	return 1;
}

static int run(void)
{
	struct epoll_event ev[64];

	for (;;) {
		int64_t now = mono_ms();
		int n;

		if (now >= state_wake)
			hosts_tick(now);
		probes_run(now);
		if (now >= drop_wake)
			drops_flush(now);
		metrics_run(now);
		conns_expire(now);
		timer_arm(min64(min64(min64(state_wake, drop_wake), min64(probes_wake(), metrics_wake())),
				conns_wake()));
		n = epoll_wait(epfd, ev, 64, -1);
		if (n < 0 && errno != EINTR) {
			plog(3, "event=error epoll_wait: %s", strerror(errno));
			return 1;
		}
		now = mono_ms();
		for (int i = 0; i < n; i++) {
			uint32_t kind = (uint32_t)(ev[i].data.u64 >> 32);
			int idx = (int)(uint32_t)ev[i].data.u64;

			if (kind == EV_UDP) {
				udp_read(idx);
			} else if (kind == EV_PROBE) {
				probe_event(idx, now);
			} else if (kind == EV_TIMER) {
				uint64_t x;

				(void)!read(tfd, &x, sizeof x);
				timer_set = -1;
			} else if (kind == EV_CTL) {
				ctl_accept(now);
			} else if (kind == EV_CONN) {
				conn_read(idx, now);
			} else if (kind == EV_SIG && !signals()) {
				if (ctl_fd >= 0)
					unlink(conf.socket);
				return 0;
			}
		}
	}
}

static int daemon_main(const char *path);

/* ---- the command line ---- */

static void report_stderr(void *ctx, const char *file, int line, int col, const char *msg)
{
	int *n = ctx;

	(*n)++;
	if (line > 0 && col > 0)
		fprintf(stderr, "%s:%d:%d: %s\n", file, line, col, msg);
	else if (line > 0)
		fprintf(stderr, "%s:%d: %s\n", file, line, msg);
	else
		fprintf(stderr, "%s: %s\n", file, msg);
}

static int check_config(const char *path)
{
	int n = 0, targets = 0;

	lp_conf_init(&conf);
	if (lp_conf_load(&conf, path, report_stderr, &n) || n) {
		fprintf(stderr, "%s: %d problem%s\n", path, n, n == 1 ? "" : "s");
		return 1;
	}
	for (int i = 0; i < conf.nhosts; i++)
		targets += conf.host[i].nssh;
	printf("%s: ok (%d host%s, %d SSH target%s)\n", path, conf.nhosts,
	       conf.nhosts == 1 ? "" : "s", targets, targets == 1 ? "" : "s");
	return 0;
}

/* Connect to the daemon's socket; -1 with the reason said. */
static int ctl_connect(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(sock) >= sizeof sa.sun_path) {
		fprintf(stderr, "lifeline-peer: %s: socket path too long\n", sock);
		return -1;
	}
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
		return fd;
	e = errno;
	if (fd >= 0)
		close(fd);
	if (e == ENOENT || e == ECONNREFUSED)
		fprintf(stderr, "lifeline-peer: %s: %s: lifeline-peer is not running (or it "
			"has another socket: -s SOCKET, socket in peer.conf(5))\n", sock,
			strerror(e));
	else if (e == EACCES || e == EPERM)
		fprintf(stderr, "lifeline-peer: %s: %s: only root (or the user lifeline-peer "
			"runs as) may ask\n", sock, strerror(e));
	else
		fprintf(stderr, "lifeline-peer: %s: %s (is lifeline-peer running?)\n", sock,
			strerror(e));
	return -1;
}

static int status_client(const char *sock, int json)
{
	const char *req = json ? "json\n" : "status\n";
	char buf[4096];
	int fd, first = 1, err = 0;
	ssize_t n;

	fd = ctl_connect(sock);
	if (fd < 0)
		return 1;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		fprintf(stderr, "lifeline-peer: %s: %s\n", sock, strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		if (first && n >= 7 && !memcmp(buf, "error: ", 7))
			err = 1;
		first = 0;
		fwrite(buf, 1, (size_t)n, err ? stderr : stdout);
	}
	close(fd);
	if (fflush(stdout) != 0)
		return 1;
	if (first) {
		fprintf(stderr, "lifeline-peer: %s: no answer\n", sock);
		return 1;
	}
	return err;
}

/* One request and its whole (short) answer into buf: 0 for "ok ...", 1
 * for "error: ..." (said on stderr), -1 if there is no answer. */
static int ctl_ask(const char *sock, const char *req, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;
	int fd = ctl_connect(sock);

	if (fd < 0)
		return -1;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		fprintf(stderr, "lifeline-peer: %s: %s\n", sock, strerror(errno));
		close(fd);
		return -1;
	}
	while (got < cap - 1 && (n = read(fd, buf + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = 0;
	if (!strncmp(buf, "ok ", 3))
		return 0;
	if (!strncmp(buf, "error: ", 7)) {
		fprintf(stderr, "lifeline-peer: %s", buf + 7);
		return 1;
	}
	if (got)
		fprintf(stderr, "lifeline-peer: %s: unexpected answer: %s\n", sock, buf);
	else
		fprintf(stderr, "lifeline-peer: %s: no answer (a lifeline-peer older than the "
			"rescue command?)\n", sock);
	return -1;
}

static void usage(FILE *f);

/* lifeline-peer rescue HOST [--yes] [--for DURATION] [--cancel] [-s SOCKET] */
static int rescue_client(int argc, char **argv)
{
	const char *sock = LP_DEFAULT_SOCKET, *host = NULL;
	int yes = 0, cancel = 0, r;
	int64_t for_ms = LP_RESCUE_FOR_DEFAULT;
	char req[LP_CTL_LINE_MAX], ans[4096], line[16];

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--yes") || !strcmp(argv[i], "-y")) {
			yes = 1;
		} else if (!strcmp(argv[i], "--cancel")) {
			cancel = 1;
		} else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(argv[i], "--for") && i + 1 < argc) {
			i++;
			for_ms = lp_duration_ms(argv[i], strlen(argv[i]));
			if (for_ms < LP_RESCUE_FOR_MIN || for_ms > LP_RESCUE_FOR_MAX) {
				fprintf(stderr, "lifeline-peer: --for %s: a duration from 1s to 1h "
					"(30s, 5m)\n", argv[i]);
				return 2;
			}
		} else if (argv[i][0] != '-' && !host) {
			host = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!host) {
		usage(stderr);
		return 2;
	}
	if (!ka_host_valid(host)) {
		fprintf(stderr, "lifeline-peer: \"%s\" is no host name (1 to %d of A-Z a-z 0-9 "
			". - _); lifeline-peer status lists the hosts\n", host, KA_HOST_MAX);
		return 1;
	}
	if (cancel) {
		fmt(req, sizeof req, "rescue-cancel %s\n", host);
		r = ctl_ask(sock, req, ans, sizeof ans);
		if (!r)
			fputs(ans + 3, stdout);
		return r ? 1 : 0;
	}
	if (!yes) {
		/* a verdict reboots the host: only on a word typed for it */
		if (!isatty(0)) {
			fprintf(stderr, "lifeline-peer: rescue %s: standard input is not a terminal, "
				"so nobody can confirm; nothing was sent. Add --yes to send the "
				"verdicts without asking.\n", host);
			return 1;
		}
		fmt(req, sizeof req, "rescue-check %s\n", host);
		r = ctl_ask(sock, req, ans, sizeof ans);
		if (r)
			return 1;
		ans[strcspn(ans, "\n")] = 0;
		fprintf(stderr, "%s", ans + 3);
		fflush(stderr);
		if (!fgets(line, sizeof line, stdin) ||
		    (strcmp(line, "y\n") != 0 && strcmp(line, "Y\n") != 0 &&
		     strcmp(line, "yes\n") != 0)) {
			fprintf(stderr, "lifeline-peer: not confirmed; nothing was sent\n");
			return 1;
		}
	}
	fmt(req, sizeof req, "rescue %s %lld\n", host, (long long)for_ms);
	r = ctl_ask(sock, req, ans, sizeof ans);
	if (r)
		return 1;
	fputs(ans + 3, stdout);
	return fflush(stdout) ? 1 : 0;
}

static int keygen(const char *path)
{
	char err[512];

	if (ka_key_generate(path, err, (int)sizeof err) < 0) {
		fprintf(stderr, "lifeline-peer: %s\n", err);
		return 1;
	}
	printf("%s: new key written (mode 0600).\n"
	       "The host needs the same file as the key of its [keepalive] section\n"
	       "(default /etc/lifeline/keepalive.key), owned by root, mode 0600; this\n"
	       "peer names it in the host's [host NAME] section: key = %s\n", path, path);
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: lifeline-peer [-c FILE]              run the watcher (foreground)\n"
	      "       lifeline-peer --check-config [FILE]  check a configuration\n"
	      "       lifeline-peer status [--json] [-s SOCKET]\n"
	      "       lifeline-peer rescue HOST [--yes] [--for DURATION] [--cancel] [-s SOCKET]\n"
	      "                                            verdicts for HOST now (lifeline-peer(8))\n"
	      "       lifeline-peer keygen FILE            write a new host key\n"
	      "       lifeline-peer --version\n"
	      "The configuration is " LP_DEFAULT_CONF " by default; see lifeline-peer(8)\n"
	      "and peer.conf(5).\n", f);
}

int main(int argc, char **argv)
{
	const char *path = LP_DEFAULT_CONF;

	if (argc >= 2 && !strcmp(argv[1], "status")) {
		const char *sock = LP_DEFAULT_SOCKET;
		int json = 0;

		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--json")) {
				json = 1;
			} else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
				sock = argv[++i];
			} else {
				usage(stderr);
				return 2;
			}
		}
		return status_client(sock, json);
	}
	if (argc >= 2 && !strcmp(argv[1], "rescue"))
		return rescue_client(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "keygen"))
		return keygen(argv[2]);
	if (argc >= 2 && !strcmp(argv[1], "--check-config"))
		return check_config(argc >= 3 ? argv[2] : path);
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("lifeline-peer %s\n", LIFELINE_VERSION);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "-c"))
		path = argv[2];
	else if (argc != 1) {
		usage(stderr);
		return 2;
	}
	return daemon_main(path);
}

static int daemon_main(const char *path)
{
	char ls[256], g[32], pi[32];
	int n = 0, o = 0;
	int64_t now;

	conf_path = path;
	lp_conf_init(&conf);
	if (lp_conf_load(&conf, path, report_stderr, &n) || n) {
		fprintf(stderr, "%s: %d problem%s: not starting\n", path, n, n == 1 ? "" : "s");
		return 1;
	}
	stderr_nonblock();
	if (conf.syslog)
		syslog_open();
	if (getrandom(&my_boot_id, sizeof my_boot_id, 0) != (ssize_t)sizeof my_boot_id) {
		plog(3, "event=error getrandom: %s", strerror(errno));
		return 1;
	}
	now = mono_ms();
	started = now;
	hosts_setup(now);
	rx_setup();
	probes_setup(now);
	conns_setup();
	if (loop_setup() < 0 || udp_setup() < 0 || ctl_setup() < 0)
		return 1;
	if (!nusock) {
		plog(3, "event=error no address to listen on");
		return 1;
	}
	ls[0] = 0;
	for (int i = 0; i < conf.nlisten && o < (int)sizeof ls; i++) {
		char a[64];

		lp_addr_str(&conf.listen[i], a, sizeof a);
		o += fmt(ls + o, sizeof ls - (size_t)o, "%s%s", i ? "," : "", a);
	}
	lp_duration_str(conf.grace_ms, g, sizeof g);
	lp_duration_str(conf.probe_interval_ms, pi, sizeof pi);
	plog(5, "event=start hosts=%d listen=%s grace=%s probe_interval=%s silence=%s "
	     "socket=%s metrics=%s", nhosts, ls, g, pi, conf.silence_verdict ? "verdict" : "down",
	     conf.socket[0] ? conf.socket : "none", conf.metrics[0] ? conf.metrics : "none");
	metrics_next = now;
	state_wake = now;
	return run();
}
