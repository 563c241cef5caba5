/* See peerlink.h.  One UDP socket per address family in use; a keepalive
 * to every peer each interval (one seq per round); verdicts checked in the
 * order of lifeline-keepalive(7), then counted per peer, then put to the
 * quorum.  Drops are logged at most once per peer per DROP_LOG_MS. */
#define _GNU_SOURCE
#include "peerlink.h"
#include "clock.h"
#include "fmt.h"
#include "keepalive.h"
#include "log.h"
#include "loop.h"
#include "quorum.h"
#include "rescue.h"
#include "unittab.h"
#include "sshwatch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define DROP_LOG_MS 10000       /* one drop line per peer this often */
#define VERDICT_WINDOW 8        /* a verdict may answer one of the last 8 rounds */
#define RECV_BATCH 64           /* datagrams per event: a flood cannot hold the loop */
/* HMACs per peer a second.  A peer sends a verdict every verdict_interval
 * (5 s by default), so a genuine one is never near this; past it a
 * datagram is dropped unread ("rate"). */
#define MAC_PER_SEC 16
/* datagrams read per socket a second: peers send one verdict each every
 * few seconds, so this is only ever reached by a flood */
#define RECV_PER_SEC 512
/* a keepalive says "SSH served a new connection" this long after sshwatch
 * saw one: five keepalives at the default interval, so one lost datagram
 * does not hide it */
#define SERVED_HOLD_MS 10000

struct plpeer {
	struct peer_conf pc;
	int last_errno;             /* of the last failed send */
	/* the boot id in this peer's keepalives: random, one per peer, so a
	 * verdict (which must echo it, under the MAC) names the peer it came
	 * from: copied under another peer's address it is stale */
	uint64_t boot_id;
	/* the key of its keepalives and verdicts: its own (peer = ADDR KEYFILE)
	 * or the [keepalive] key */
	uint8_t key[KA_KEY_SIZE];
	struct ka_replay replay;
	struct ka_counters cnt;
	uint64_t unknown;           /* from its address but another port */
	uint64_t send_err;
	uint64_t last_verdict;      /* monotonic ms of the last accepted verdict; 0 never */
	/* MAC checks this second: at most MAC_PER_SEC (a flood forged from this
	 * peer's address, echoing our keepalives, costs PID 1 that much) */
	uint64_t mac_second;
	uint32_t macs;
	/* rate-limited log: what was already reported, and when the next line may go */
	struct ka_counters logged;
	uint64_t logged_unknown, logged_send_err;
	uint64_t log_next, info_next;
};

static struct {
	struct keepalive_conf ka;   /* ka.present: configured */
	uint8_t key[KA_KEY_SIZE];
	int have_key;
	char problem[200];          /* why nothing is sent; "" if sending */
	char host[32];              /* in the latest keepalive */
	int fd[2];                  /* AF_INET, AF_INET6; -1 closed */
	uint16_t fd_port[2];
	uint64_t seq;               /* of the latest round, the same for every peer */
	uint64_t rounds;
	uint64_t next_send;
	uint16_t state;             /* bits of the latest keepalive */
	int npeers;
	struct plpeer peer[MAX_PEERS];
	struct quorum q;
	uint64_t unknown, unknown_logged, unknown_log_next;
	char unknown_last[64];      /* the last unknown sender, for the log */
	uint64_t acted;             /* quorums reached */
	/* a flood: datagrams read this second per socket; past RECV_PER_SEC
	 * the socket is not read until the next second (the kernel drops what
	 * does not fit in its buffer, at no cost to PID 1) */
	uint64_t recv_second[2], paused_until[2];
	uint32_t recv_count[2];
	uint64_t pauses;            /* seconds cut short so far */
	uint64_t served_at;         /* sshwatch saw a new connection served; 0 never */
	int watch_said;             /* its failure is logged */
} pl = { .fd = { -1, -1 } };

void (*peerlink_on_quorum)(const char *reason) = rescue_now;

static int fam_idx(int family)
{
	return family == AF_INET6;
}

/* "2s", "500ms", "1m": settings as written, not as measured */
static void fmt_ms(char *buf, int cap, uint64_t ms)
{
	if (ms % 60000 == 0 && ms >= 60000)
		fmt(buf, (size_t)cap, "%lum", (unsigned long)(ms / 60000));
	else if (ms % 1000 == 0)
		fmt(buf, (size_t)cap, "%lus", (unsigned long)(ms / 1000));
	else
		fmt(buf, (size_t)cap, "%lums", (unsigned long)ms);
}

static void set_problem_at(int level, const char *msg)
{
	if (!strcmp(pl.problem, msg))
		return;
	fmt(pl.problem, sizeof pl.problem, "%s", msg);
	if (msg[0])
		log_msg(level, "keepalive: not sending: %s", msg);
	else
		log_msg(LOG_NOTICE, "keepalive: sending to %d peer(s)", pl.npeers);
}

static void set_problem(const char *msg)
{
	set_problem_at(LOG_ERR, msg);
}

static void close_fd(int i)
{
	if (pl.fd[i] < 0)
		return;
	loop_del(pl.fd[i]);
	close(pl.fd[i]);
	pl.fd[i] = -1;
	pl.paused_until[i] = 0;
}

/* Open (or keep) the socket of one family, bound to [keepalive] port. */
static int open_fd(int i, char *err, int cap)
{
	if (pl.fd[i] >= 0 && pl.fd_port[i] == pl.ka.port)
		return 0;
	close_fd(i);
	int fam = i ? AF_INET6 : AF_INET;
	int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fmt(err, (size_t)cap, "cannot open a UDP socket: %s", strerror(errno));
		return -1;
	}
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof ss);
	if (fam == AF_INET6) {
		int one = 1;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		/* so that the IPv4 socket can have the same port */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
			log_msg(LOG_WARN, "keepalive: IPV6_V6ONLY: %s", strerror(errno));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(pl.ka.port);
		sl = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(pl.ka.port);
		sl = sizeof *s4;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		fmt(err, (size_t)cap, "cannot bind the %s UDP socket to port %u: %s",
		    i ? "IPv6" : "IPv4", (unsigned)pl.ka.port, strerror(errno));
		close(fd);
		return -1;
	}
	if (loop_add(fd, LOOP_TAG(TAG_KEEPALIVE, i)) < 0) {
		fmt(err, (size_t)cap, "cannot watch the UDP socket: %s", strerror(errno));
		close(fd);
		return -1;
	}
	pl.fd[i] = fd;
	pl.fd_port[i] = pl.ka.port;
	return 0;
}

static int open_sockets(char *err, int cap)
{
	int need[2] = { 0, 0 };
	for (int i = 0; i < pl.npeers; i++)
		need[fam_idx(pl.peer[i].pc.family)] = 1;
	for (int i = 0; i < 2; i++) {
		if (!need[i])
			close_fd(i);
		else if (open_fd(i, err, cap) < 0)
			return -1;
	}
	return 0;
}

static uint64_t new_boot_id(int salt)
{
	uint64_t id = 0;
	if (getrandom(&id, sizeof id, GRND_NONBLOCK) != (ssize_t)sizeof id) {
		/* no entropy yet this early: unique is what replay protection
		 * needs (the peer also wants a later time with a new id) */
		struct timespec a, b;
		clock_gettime(CLOCK_REALTIME, &a);
		clock_gettime(CLOCK_BOOTTIME, &b);
		id = ((uint64_t)a.tv_sec << 30) ^ (uint64_t)a.tv_nsec ^
		     ((uint64_t)b.tv_nsec << 17) ^ (uint64_t)getpid() ^ ((uint64_t)salt << 56);
	}
	return id ? id : 1;
}

static int same_peer(const struct peer_conf *a, const struct peer_conf *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, sizeof a->addr);
}

/* The peers of the new config; a peer that stays keeps its counters and
 * replay state (a reload must not let an old verdict in again). */
static void take_peers(const struct keepalive_conf *ka)
{
	static struct plpeer old[MAX_PEERS];
	int nold = pl.npeers;
	memcpy(old, pl.peer, sizeof old);
	memset(pl.peer, 0, sizeof pl.peer);
	for (int i = 0; i < ka->npeers; i++) {
		pl.peer[i].pc = ka->peer[i];
		pl.peer[i].boot_id = new_boot_id(i);
		for (int k = 0; k < nold; k++)
			if (same_peer(&old[k].pc, &ka->peer[i])) {
				pl.peer[i] = old[k];
				pl.peer[i].pc = ka->peer[i];
			}
	}
	pl.npeers = ka->npeers;
}

/* Every key the peers need: the [keepalive] key if a peer has none of its
 * own, and each peer's own.  All or nothing: a peer whose key cannot be
 * read would see the host silent, so nothing is sent until all can be
 * (status and the log say which file and why). */
static void load_key(int log_it)
{
	char err[160], msg[200];
	int need_default = 0;
	pl.have_key = 0;
	for (int i = 0; i < pl.npeers; i++)
		need_default |= !pl.peer[i].pc.key[0];
	if (need_default && ka_key_load(pl.ka.key, pl.key, err, sizeof err) < 0) {
		fmt(msg, sizeof msg, "%s", err);
		goto fail;
	}
	for (int i = 0; i < pl.npeers; i++) {
		struct plpeer *p = &pl.peer[i];
		if (!p->pc.key[0]) {
			memcpy(p->key, pl.key, sizeof p->key);
		} else if (ka_key_load(p->pc.key, p->key, err, sizeof err) < 0) {
			fmt(msg, sizeof msg, "peer %s: %s", p->pc.text, err);
			goto fail;
		}
	}
	pl.have_key = 1;
	return;
fail:
	if (log_it)
		set_problem(msg);
	else
		fmt(pl.problem, sizeof pl.problem, "%s", msg);
}

void peerlink_configure(const struct config *c, uint64_t now)
{
	if (!c->ka.present) {
		close_fd(0);
		close_fd(1);
		memset(&pl.ka, 0, sizeof pl.ka);
		pl.npeers = 0;
		pl.problem[0] = '\0';
		pl.have_key = 0;
		return;
	}
	sshwatch_reset();
	pl.watch_said = 0;
	pl.ka = c->ka;
	take_peers(&c->ka);
	quorum_reset(&pl.q);
	pl.problem[0] = '\0';
	load_key(1);
	char err[160];
	if (open_sockets(err, sizeof err) < 0 && pl.have_key)
		set_problem(err);
	pl.next_send = now;
}

/* Has an SSH server here served a new connection lately (sshwatch.h)? */
static int ssh_served(const pid_t *pids, int n, uint64_t now)
{
	int r = n ? sshwatch_look(pids, n) : 0;
	if (r > 0)
		pl.served_at = now;
	if (r < 0 && !pl.watch_said) {
		log_msg(LOG_WARN, "keepalive: cannot watch the SSH connections (%s): peers "
			"cannot tell a connection flood from SSH that cannot start sessions",
			sshwatch_state());
		pl.watch_said = 1;
	}
	return pl.served_at && now - pl.served_at < SERVED_HOLD_MS;
}

/* The access services lifeline sees running, the system bit, and whether
 * SSH serves new connections. */
static uint16_t current_state(uint64_t now)
{
	uint16_t st = pl.ka.rescue ? KA_ST_RESCUE : 0;
	pid_t pids[MAX_UNITS];
	int n = 0;
	for (int i = 0; i < MAX_UNITS; i++) {
		const struct unit *u = &unit_table[i];
		if (!u->used || u->kind != UNIT_SERVICE || u->state != ST_RUNNING ||
		    u->conf < 0 || u->conf >= active_config.nunits)
			continue;
		const struct unit_conf *uc = &active_config.unit[u->conf];
		int sshd = config_unit_runs(&active_config, uc, "sshd");
		int dropbear = config_unit_runs(&active_config, uc, "dropbear");
		if (sshd)
			st |= KA_ST_SSHD;
		if (dropbear)
			st |= KA_ST_RESCUE_SSH;
		if ((sshd || dropbear) && u->pid > 0)
			pids[n++] = u->pid;
	}
	if (ssh_served(pids, n, now))
		st |= KA_ST_SSH_SERVED;
	return st;
}

/* [keepalive] host, or the kernel's host name now (a boot task may set
 * it after lifeline has started).  -1 with err; -2 while the kernel's
 * name is still unset ("(none)", before the hostname boot task). */
static int resolve_host(char *out, char *err, int cap)
{
	const char *h = pl.ka.host;
	struct utsname un;
	if (!h[0]) {
		if (uname(&un) < 0) {
			fmt(err, (size_t)cap, "uname: %s", strerror(errno));
			return -1;
		}
		h = un.nodename;
		if (!h[0] || !strcmp(h, "(none)")) {
			fmt(err, (size_t)cap, "waiting for the host name (the kernel's is "
			    "not set yet; a boot task sets it, or set [keepalive] host)");
			return -2;
		}
	}
	if (strlen(h) > KA_HOST_MAX || !ka_host_valid(h)) {
		fmt(err, (size_t)cap, "the host name '%.40s' is not valid in a keepalive "
		    "(1-31 of A-Z a-z 0-9 . _ -): set [keepalive] host", h);
		return -1;
	}
	memcpy(out, h, strlen(h) + 1);
	return 0;
}

static void peer_addr(const struct peer_conf *pc, struct sockaddr_storage *ss, socklen_t *sl)
{
	memset(ss, 0, sizeof *ss);
	if (pc->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(pc->port);
		memcpy(&s6->sin6_addr, pc->addr, 16);
		*sl = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(pc->port);
		memcpy(&s4->sin_addr, pc->addr, 4);
		*sl = sizeof *s4;
	}
}

static uint64_t drops_of(const struct ka_counters *c)
{
	uint64_t n = 0;
	for (int r = 0; r < KA_NRESULTS; r++)
		if (r != KA_OK)
			n += c->n[r];
	return n;
}

static int peer_pending(const struct plpeer *p)
{
	return drops_of(&p->cnt) != drops_of(&p->logged) || p->unknown != p->logged_unknown ||
	       p->send_err != p->logged_send_err;
}

/* One line: what this peer's datagrams lost since the previous line. */
static void flush_peer_log(struct plpeer *p, uint64_t now)
{
	char what[200];
	struct outbuf w;
	uint64_t total = 0;
	ob_init(&w, what, sizeof what);
	for (int r = 0; r < KA_NRESULTS; r++) {
		uint64_t d = p->cnt.n[r] - p->logged.n[r];
		if (r == KA_OK || !d)
			continue;
		total += d;
		ob_printf(&w, "%s%s %lu", w.len ? ", " : "", ka_result_name(r), (unsigned long)d);
	}
	uint64_t du = p->unknown - p->logged_unknown;
	if (du) {
		total += du;
		ob_printf(&w, "%sunknown-peer %lu (from another port)", w.len ? ", " : "",
			  (unsigned long)du);
	}
	if (total)
		log_msg(LOG_WARN, "keepalive: peer %s: dropped %lu datagram(s): %s",
			p->pc.text, (unsigned long)total, what);
	uint64_t ds = p->send_err - p->logged_send_err;
	if (ds)
		log_msg(LOG_WARN, "keepalive: peer %s: %lu send(s) failed: %s", p->pc.text,
			(unsigned long)ds, strerror(p->last_errno));
	p->logged = p->cnt;
	p->logged_unknown = p->unknown;
	p->logged_send_err = p->send_err;
	p->log_next = now + DROP_LOG_MS;
}

static void maybe_log(struct plpeer *p, uint64_t now)
{
	if (now >= p->log_next && peer_pending(p))
		flush_peer_log(p, now);
}

static void maybe_log_unknown(uint64_t now)
{
	if (now < pl.unknown_log_next || pl.unknown == pl.unknown_logged)
		return;
	log_msg(LOG_WARN, "keepalive: dropped %lu datagram(s) from unknown senders (last: %s)",
		(unsigned long)(pl.unknown - pl.unknown_logged), pl.unknown_last);
	pl.unknown_logged = pl.unknown;
	pl.unknown_log_next = now + DROP_LOG_MS;
}

static void send_round(uint64_t now)
{
	char err[160];
	if (!pl.have_key) {
		load_key(1);    /* it may have been installed since */
		if (!pl.have_key)
			return;
	}
	int hr = resolve_host(pl.host, err, sizeof err);
	if (hr == -2) {
		set_problem_at(LOG_NOTICE, err);
		return;
	}
	if (hr < 0 || open_sockets(err, sizeof err) < 0) {
		set_problem(err);
		return;
	}
	struct ka_msg m;
	memset(&m, 0, sizeof m);
	m.type = KA_KEEPALIVE;
	m.state = pl.state = current_state(now);
	memcpy(m.host, pl.host, sizeof m.host);
	m.seq = pl.seq + 1;
	m.time_ms = wall_ms();
	set_problem("");
	pl.seq = m.seq;
	pl.rounds++;
	for (int i = 0; i < pl.npeers; i++) {
		struct plpeer *p = &pl.peer[i];
		struct sockaddr_storage ss;
		socklen_t sl;
		uint8_t out[KA_SIZE];
		m.boot_id = p->boot_id;
		if (ka_encode(&m, p->key, out) < 0) {
			set_problem("cannot encode a keepalive (a bug)");
			return;
		}
		peer_addr(&p->pc, &ss, &sl);
		if (sendto(pl.fd[fam_idx(p->pc.family)], out, sizeof out, MSG_DONTWAIT,
			   (struct sockaddr *)&ss, sl) < 0) {
			p->send_err++;
			p->last_errno = errno;
			maybe_log(p, now);
		}
	}
}

/* Read the socket again once its paused second is over. */
static void resume_reading(uint64_t now)
{
	for (int i = 0; i < 2; i++)
		if (pl.paused_until[i] && now >= pl.paused_until[i]) {
			pl.paused_until[i] = 0;
			if (pl.fd[i] >= 0)
				loop_mod(pl.fd[i], EPOLLIN, LOOP_TAG(TAG_KEEPALIVE, i));
		}
}

void peerlink_tick(uint64_t now)
{
	if (!pl.ka.present)
		return;
	resume_reading(now);
	if (now >= pl.next_send) {
		/* late (a busy loop, a suspend): carry on from now, no burst */
		pl.next_send = pl.next_send + pl.ka.interval_ms > now
				       ? pl.next_send + pl.ka.interval_ms : now + pl.ka.interval_ms;
		send_round(now);
	}
	for (int i = 0; i < pl.npeers; i++)
		maybe_log(&pl.peer[i], now);
	maybe_log_unknown(now);
}

uint64_t peerlink_next_deadline(void)
{
	if (!pl.ka.present)
		return 0;
	uint64_t d = pl.next_send;
	for (int i = 0; i < 2; i++)
		if (pl.paused_until[i] && pl.paused_until[i] < d)
			d = pl.paused_until[i];
	for (int i = 0; i < pl.npeers; i++)
		if (peer_pending(&pl.peer[i]) && pl.peer[i].log_next < d)
			d = pl.peer[i].log_next;
	if (pl.unknown != pl.unknown_logged && pl.unknown_log_next < d)
		d = pl.unknown_log_next;
	return d ? d : 1;
}

static void format_sender(const struct sockaddr *sa, char *buf, int cap)
{
	char a[64];
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
		fmt(buf, (size_t)cap, "[%s]:%u", a, (unsigned)ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
		fmt(buf, (size_t)cap, "%s:%u", a, (unsigned)ntohs(s4->sin_port));
	} else {
		fmt(buf, (size_t)cap, "(family %d)", sa->sa_family);
	}
}

/* Which peer sent this: exact (address and port) or, with *port_only, a
 * peer whose address matches but not its port.  -1 if none. */
static int find_sender(const struct sockaddr *sa, socklen_t sl, int *other_port)
{
	struct peer_conf pc;
	memset(&pc, 0, sizeof pc);
	if (sa->sa_family == AF_INET && sl >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		pc.family = AF_INET;
		pc.port = ntohs(s4->sin_port);
		memcpy(pc.addr, &s4->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 && sl >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		pc.family = AF_INET6;
		pc.port = ntohs(s6->sin6_port);
		memcpy(pc.addr, &s6->sin6_addr, 16);
	} else {
		return -1;
	}
	*other_port = 0;
	for (int i = 0; i < pl.npeers; i++)
		if (same_peer(&pl.peer[i].pc, &pc))
			return i;
	for (int i = 0; i < pl.npeers; i++)
		if (pl.peer[i].pc.family == pc.family &&
		    !memcmp(pl.peer[i].pc.addr, pc.addr, sizeof pc.addr)) {
			*other_port = 1;
			return i;
		}
	return -1;
}

/* A valid verdict from peer i: the quorum decides. */
static void accept_verdict(int i, uint64_t now)
{
	struct plpeer *p = &pl.peer[i];
	char win[16];
	p->last_verdict = now;
	fmt_ms(win, sizeof win, pl.ka.quorum_window_ms);
	if (pl.ka.rescue) {
		if (now >= p->info_next) {
			log_msg(LOG_NOTICE, "keepalive: verdict from %s ignored: this is the "
				"rescue system", p->pc.text);
			p->info_next = now + DROP_LOG_MS;
		}
		return;
	}
	if (!quorum_note(&pl.q, i, now, pl.ka.quorum, pl.ka.quorum_window_ms)) {
		if (now >= p->info_next) {
			log_msg(LOG_WARN, "keepalive: verdict from %s (%d of %d needed within %s)",
				p->pc.text, quorum_count(&pl.q, now, pl.ka.quorum_window_ms),
				pl.ka.quorum, win);
			p->info_next = now + DROP_LOG_MS;
		}
		return;
	}
	char reason[160];
	fmt(reason, sizeof reason, "verdict from %s (%d of %d within %s)", p->pc.text,
	    quorum_count(&pl.q, now, pl.ka.quorum_window_ms), pl.npeers, win);
	log_msg(LOG_ERR, "keepalive: %s: booting the rescue system", reason);
	pl.acted++;
	quorum_reset(&pl.q);    /* where rescue_now returns, a new quorum is needed */
	peerlink_on_quorum(reason);
}

int peerlink_receive(const uint8_t *buf, size_t len, const struct sockaddr *sa,
		     socklen_t sl, uint64_t now)
{
	int other_port;
	int i = find_sender(sa, sl, &other_port);
	if (i < 0 || other_port) {
		if (i >= 0) {
			pl.peer[i].unknown++;
			maybe_log(&pl.peer[i], now);
		} else {
			pl.unknown++;
			format_sender(sa, pl.unknown_last, sizeof pl.unknown_last);
			maybe_log_unknown(now);
		}
		return PL_UNKNOWN_PEER;
	}
	struct plpeer *p = &pl.peer[i];
	struct ka_msg m;
	/* what this peer was sent: a verdict echoing another peer's boot id is stale */
	const struct ka_sent sent = { p->boot_id, pl.seq };
	enum ka_result r = ka_verdict_precheck(buf, len, pl.host, &sent, VERDICT_WINDOW);
	if (r == KA_OK && now / 1000 != p->mac_second) {
		p->mac_second = now / 1000;
		p->macs = 0;
	}
	if (r == KA_OK && p->macs >= MAC_PER_SEC)
		r = KA_RATE;
	else if (r == KA_OK)
		p->macs++;
	if (r == KA_OK)
		r = pl.have_key ? ka_decode(buf, len, p->key, &m) : KA_BAD_MAC;
	if (r == KA_OK && m.type != KA_VERDICT)
		r = KA_BAD_TYPE;
	if (r == KA_OK && strcmp(m.host, pl.host) != 0)
		r = KA_BAD_FIELD;       /* a verdict for another host */
	if (r == KA_OK)
		r = ka_verdict_check(&sent, &m, VERDICT_WINDOW);
	if (r == KA_OK)
		r = ka_replay_check(&p->replay, &m);
	p->cnt.n[r]++;
	if (r != KA_OK) {
		maybe_log(p, now);
		return (int)r;
	}
	accept_verdict(i, now);
	return KA_OK;
}

void peerlink_event(int idx, uint64_t now)
{
	if (idx < 0 || idx > 1 || pl.fd[idx] < 0)
		return;
	if (now / 1000 != pl.recv_second[idx]) {
		pl.recv_second[idx] = now / 1000;
		pl.recv_count[idx] = 0;
	}
	for (int k = 0; k < RECV_BATCH; k++) {
		if (pl.recv_count[idx] >= RECV_PER_SEC) {
			/* a flood: not read again before the next second */
			if (!pl.paused_until[idx]) {
				pl.paused_until[idx] = (now / 1000 + 1) * 1000;
				pl.pauses++;
				loop_mod(pl.fd[idx], 0, LOOP_TAG(TAG_KEEPALIVE, idx));
			}
			return;
		}
		uint8_t buf[KA_SIZE + 1];
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		ss.ss_family = AF_UNSPEC;
		/* MSG_TRUNC: the real length, so an oversized datagram is bad-size */
		ssize_t n = recvfrom(pl.fd[idx], buf, sizeof buf, MSG_TRUNC | MSG_DONTWAIT,
				     (struct sockaddr *)&ss, &sl);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;         /* EAGAIN; a socket error has nothing to drain */
		pl.recv_count[idx]++;
		size_t len = (size_t)n > sizeof buf ? sizeof buf : (size_t)n;
		peerlink_receive(buf, len, (struct sockaddr *)&ss, sl, now);
	}
}

/* ---- status ---- */

static void state_words(struct outbuf *o, uint16_t st, int json)
{
	int n = 0;
	for (int b = 0; b < KA_ST_NBITS; b++) {
		if (!(st & (1u << b)))
			continue;
		if (json) {
			ob_puts(o, n ? ",\"" : "\"");
			ob_puts(o, ka_state_bit_name(b));
			ob_puts(o, "\"");
		} else {
			ob_printf(o, "%s%s", n ? "+" : "", ka_state_bit_name(b));
		}
		n++;
	}
	if (!n && !json)
		ob_puts(o, "none");
}

/* "  ssh watch: ports 22 2222, a new connection served 3s ago" */
static void watch_status_text(struct outbuf *o, uint64_t now)
{
	uint16_t port[SSHWATCH_MAX_PORTS];
	int n = sshwatch_ports(port, SSHWATCH_MAX_PORTS);
	const char *st = sshwatch_state();
	if (strcmp(st, "on") != 0) {
		ob_printf(o, "  ssh watch: OFF (%s): a connection flood looks like dead SSH "
			  "to peers\n", st);
		return;
	}
	ob_puts(o, "  ssh watch: ports");
	for (int i = 0; i < n; i++)
		ob_printf(o, " %u", (unsigned)port[i]);
	if (!n)
		ob_puts(o, " none (no SSH server listens)");
	if (pl.served_at) {
		char ago[16];
		fmt_duration(now - pl.served_at, ago, sizeof ago);
		ob_printf(o, ", a new connection served %s ago\n", ago);
	} else {
		ob_puts(o, ", no new connection served yet\n");
	}
}

static void watch_status_json(struct outbuf *o, uint64_t now)
{
	uint16_t port[SSHWATCH_MAX_PORTS];
	int n = sshwatch_ports(port, SSHWATCH_MAX_PORTS);
	ob_puts(o, ",\"ssh_watch\":{\"state\":");
	ob_json_str(o, sshwatch_state());
	ob_puts(o, ",\"ports\":[");
	for (int i = 0; i < n; i++)
		ob_printf(o, "%s%u", i ? "," : "", (unsigned)port[i]);
	ob_puts(o, "],\"served_ms_ago\":");
	if (pl.served_at)
		ob_printf(o, "%lu}", (unsigned long)(now - pl.served_at));
	else
		ob_puts(o, "null}");
}

void peerlink_status_text(struct outbuf *o, uint64_t now)
{
	char iv[16], win[16];
	if (!pl.ka.present)
		return;
	fmt_ms(iv, sizeof iv, pl.ka.interval_ms);
	fmt_ms(win, sizeof win, pl.ka.quorum_window_ms);
	if (pl.problem[0])
		ob_printf(o, "keepalive: NOT SENDING: %s\n", pl.problem);
	else {
		ob_printf(o, "keepalive: host %s%s, every %s, quorum %d of %d within %s, "
			  "sent %lu (seq %lu), state ", pl.host,
			  pl.ka.rescue ? " (rescue system: verdicts ignored)" : "", iv,
			  pl.ka.quorum, pl.npeers, win, (unsigned long)pl.rounds,
			  (unsigned long)pl.seq);
		state_words(o, pl.state, 0);
		if (pl.unknown)
			ob_printf(o, ", unknown senders %lu", (unsigned long)pl.unknown);
		if (pl.pauses)
			ob_printf(o, ", flooded %lu s (read %d a second then)",
				  (unsigned long)pl.pauses, RECV_PER_SEC);
		ob_puts(o, "\n");
	}
	watch_status_text(o, now);
	for (int i = 0; i < pl.npeers; i++) {
		const struct plpeer *p = &pl.peer[i];
		char ago[16] = "never";
		if (p->last_verdict) {
			fmt_duration(now - p->last_verdict, ago, sizeof ago);
			memcpy(ago + strlen(ago), " ago", 5);
		}
		uint64_t dropped = drops_of(&p->cnt) + p->unknown;
		ob_printf(o, "  peer %s: last verdict %s, ok %lu, dropped %lu", p->pc.text, ago,
			  (unsigned long)p->cnt.n[KA_OK], (unsigned long)dropped);
		if (dropped) {
			int n = 0;
			ob_puts(o, " (");
			for (int r = 0; r < KA_NRESULTS; r++)
				if (r != KA_OK && p->cnt.n[r])
					ob_printf(o, "%s%s %lu", n++ ? ", " : "", ka_result_name(r),
						  (unsigned long)p->cnt.n[r]);
			if (p->unknown)
				ob_printf(o, "%sunknown-peer %lu", n ? ", " : "",
					  (unsigned long)p->unknown);
			ob_puts(o, ")");
		}
		if (p->send_err)
			ob_printf(o, ", send failed %lu (%s)", (unsigned long)p->send_err,
				  strerror(p->last_errno));
		ob_puts(o, "\n");
	}
}

void peerlink_status_json(struct outbuf *o, uint64_t now)
{
	if (!pl.ka.present) {
		ob_puts(o, "\"keepalive\":{\"enabled\":false},");
		return;
	}
	ob_puts(o, "\"keepalive\":{\"enabled\":true,\"host\":");
	ob_json_str(o, pl.host);
	ob_printf(o, ",\"system\":\"%s\",\"sending\":%s,\"problem\":",
		  pl.ka.rescue ? "rescue" : "normal", pl.problem[0] ? "false" : "true");
	if (pl.problem[0])
		ob_json_str(o, pl.problem);
	else
		ob_puts(o, "null");
	ob_printf(o, ",\"interval_ms\":%lu,\"sent\":%lu,\"seq\":%lu,\"state\":[",
		  (unsigned long)pl.ka.interval_ms, (unsigned long)pl.rounds,
		  (unsigned long)pl.seq);
	state_words(o, pl.state, 1);
	ob_puts(o, "]");
	watch_status_json(o, now);
	ob_printf(o, ",\"quorum\":%d,\"quorum_window_ms\":%lu,\"verdicts_in_window\":%d,"
		  "\"quorums_reached\":%lu,\"unknown_senders\":%lu,\"flooded_seconds\":%lu,"
		  "\"peers\":[",
		  pl.ka.quorum, (unsigned long)pl.ka.quorum_window_ms,
		  quorum_count(&pl.q, now, pl.ka.quorum_window_ms), (unsigned long)pl.acted,
		  (unsigned long)pl.unknown, (unsigned long)pl.pauses);
	for (int i = 0; i < pl.npeers; i++) {
		const struct plpeer *p = &pl.peer[i];
		ob_puts(o, i ? ",{\"peer\":" : "{\"peer\":");
		ob_json_str(o, p->pc.text);
		ob_printf(o, ",\"verdicts\":%lu,\"last_verdict_ms_ago\":",
			  (unsigned long)p->cnt.n[KA_OK]);
		if (p->last_verdict)
			ob_printf(o, "%lu", (unsigned long)(now - p->last_verdict));
		else
			ob_puts(o, "null");
		ob_printf(o, ",\"send_errors\":%lu,\"counters\":{", (unsigned long)p->send_err);
		for (int r = 0; r < KA_NRESULTS; r++)
			ob_printf(o, "\"%s\":%lu,", ka_result_name(r), (unsigned long)p->cnt.n[r]);
		ob_printf(o, "\"unknown-peer\":%lu}}", (unsigned long)p->unknown);
	}
	ob_puts(o, "]},");
}
