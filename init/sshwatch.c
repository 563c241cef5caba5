/* See sshwatch.h.
 *
 * sock_diag (NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY) as the kernel speaks
 * it, host byte order but for the ports and addresses; musl has no
 * <linux/...> headers, so the few structures are spelled out here:
 *
 *   request   nlmsghdr (16), inet_diag_req_v2 (56), then for the
 *             connections an rtattr INET_DIAG_REQ_BYTECODE: the filter on
 *             the source port, run by the kernel
 *   answer    nlmsghdr, inet_diag_msg (72), rtattrs; INET_DIAG_INFO holds
 *             struct tcp_info, of which two counters are read */
#define _GNU_SOURCE
#include "sshwatch.h"
#include "fmt.h"
#include "protect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NETLINK_SOCK_DIAG_ 4
#define SOCK_DIAG_BY_FAMILY 20
#define NLM_F_REQUEST_ 0x1
#define NLM_F_DUMP_ 0x300
#define NLMSG_ERROR_ 2
#define NLMSG_DONE_ 3
#define REQ_BYTECODE 1          /* INET_DIAG_REQ_BYTECODE */
#define ATTR_INFO 2             /* INET_DIAG_INFO: struct tcp_info */
#define BC_S_GE 2               /* INET_DIAG_BC_S_GE */
#define BC_S_LE 3               /* INET_DIAG_BC_S_LE */
/* TCP states: 1 established, 4 fin-wait-1, 5 fin-wait-2, 8 close-wait,
 * 9 last-ack, 11 closing (a connection the server may have sent on); 10
 * listen */
#define CONN_STATES ((1u << 1) | (1u << 4) | (1u << 5) | (1u << 8) | (1u << 9) | (1u << 11))
#define LISTEN_STATES (1u << 10)
/* struct tcp_info: tcpi_bytes_acked (u64, since Linux 4.1) and
 * tcpi_data_segs_out (u32, since 4.6) */
#define TI_BYTES_ACKED 120
#define TI_DATA_SEGS_OUT 156
#define MAX_INODES 128          /* the listeners' sockets */

struct nlhdr {
	uint32_t len;
	uint16_t type, flags;
	uint32_t seq, pid;
};
struct sockid {
	uint16_t sport, dport;  /* network byte order */
	uint32_t src[4], dst[4];
	uint32_t ifindex;
	uint32_t cookie[2];
};
struct diag_req {
	uint8_t family, protocol, ext, pad;
	uint32_t states;
	struct sockid id;
};
struct diag_msg {
	uint8_t family, state, timer, retrans;
	struct sockid id;
	uint32_t expires, rqueue, wqueue, uid, inode;
};
struct rtattr_ {
	uint16_t len, type;
};
struct bc_op {
	uint8_t code, yes;
	uint16_t no;
};

static struct {
	int fd;                 /* the netlink socket; -1 before the first look */
	int failed;             /* sock_diag cannot be used: not tried again */
	uint32_t seq;
	char state[120];
	int nports;
	uint16_t port[SSHWATCH_MAX_PORTS];
	int primed;             /* a look has learned what was there */
	int nseen;              /* in seen[] */
	int npending;
	uint64_t pending[SSHWATCH_PENDING];
} sw = { .fd = -1, .state = "not looked yet" };
/* the latest look's connections, sorted; apart from sw, whose initial
 * values put it in the binary's data: this stays in bss */
static uint64_t seen[SSHWATCH_SEEN];

/* one dump's answers; aligned for the structures in it */
static uint8_t nlbuf[8192] __attribute__((aligned(8)));

typedef void (*sock_fn)(void *ctx, const struct diag_msg *m, const uint8_t *info,
			size_t info_len);

static void set_failed(const char *what, int err)
{
	fmt(sw.state, sizeof sw.state, "%s: %s", what, strerror(err));
	sw.failed = 1;
	if (sw.fd >= 0)
		close(sw.fd);
	sw.fd = -1;
}

/* What a dump left behind (an aborted one): gone before the next. */
static void drain(void)
{
	while (recv(sw.fd, nlbuf, sizeof nlbuf, MSG_DONTWAIT) > 0)
		;
}

/* The answers of one message: fn for each socket.  1 at the end of the
 * dump, 0 for more, -errno on an error. */
static int parse(const uint8_t *p, size_t n, sock_fn fn, void *ctx)
{
	while (n >= sizeof(struct nlhdr)) {
		const struct nlhdr *h = (const struct nlhdr *)p;
		if (h->len < sizeof *h || h->len > n)
			return -EPROTO;
		if (h->seq == sw.seq) {
			if (h->type == NLMSG_DONE_)
				return 1;
			if (h->type == NLMSG_ERROR_) {
				int32_t e = -EPROTO;
				if (h->len >= sizeof *h + 4)
					memcpy(&e, p + sizeof *h, 4);
				return e < 0 ? e : -EPROTO;
			}
			if (h->type == SOCK_DIAG_BY_FAMILY &&
			    h->len >= sizeof *h + sizeof(struct diag_msg)) {
				const struct diag_msg *m = (const struct diag_msg *)(p + sizeof *h);
				const uint8_t *info = NULL;
				size_t info_len = 0;
				size_t off = sizeof *h + sizeof *m;
				while (off + sizeof(struct rtattr_) <= h->len) {
					const struct rtattr_ *a = (const struct rtattr_ *)(p + off);
					if (a->len < sizeof *a || off + a->len > h->len)
						break;
					if (a->type == ATTR_INFO) {
						info = p + off + sizeof *a;
						info_len = a->len - sizeof *a;
					}
					off += (a->len + 3u) & ~3u;
				}
				fn(ctx, m, info, info_len);
			}
		}
		size_t step = (h->len + 3u) & ~3u;
		if (step >= n)
			break;
		p += step;
		n -= step;
	}
	return 0;
}

/* One dump of family's TCP sockets in states, with an optional filter. */
static int dump(int family, uint32_t states, const struct bc_op *bc, size_t bclen,
		sock_fn fn, void *ctx)
{
	struct {
		struct nlhdr h;
		struct diag_req r;
		struct rtattr_ a;
		struct bc_op bc[5 * SSHWATCH_MAX_PORTS];
	} q;
	memset(&q, 0, sizeof q);
	size_t len = sizeof q.h + sizeof q.r;
	if (bclen) {
		q.a.len = (uint16_t)(sizeof q.a + bclen);
		q.a.type = REQ_BYTECODE;
		memcpy(q.bc, bc, bclen);
		len += sizeof q.a + bclen;
	}
	q.h.len = (uint32_t)len;
	q.h.type = SOCK_DIAG_BY_FAMILY;
	q.h.flags = NLM_F_REQUEST_ | NLM_F_DUMP_;
	q.h.seq = ++sw.seq;
	q.r.family = (uint8_t)family;
	q.r.protocol = IPPROTO_TCP;
	q.r.ext = 1u << (ATTR_INFO - 1);
	q.r.states = states;
	drain();
	struct sockaddr_storage kernel;
	memset(&kernel, 0, sizeof kernel);
	kernel.ss_family = AF_NETLINK;
	if (sendto(sw.fd, &q, len, MSG_DONTWAIT, (struct sockaddr *)&kernel,
		   (socklen_t)12) < 0)
		return -errno;
	/* the kernel answers as it is read: each part is there at once */
	for (int parts = 0; parts < 4096; parts++) {
		ssize_t n = recv(sw.fd, nlbuf, sizeof nlbuf, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > sizeof nlbuf)
			return -EMSGSIZE;
		int r = parse(nlbuf, (size_t)n, fn, ctx);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	return -EOVERFLOW;
}

static int open_socket(void)
{
	if (sw.fd >= 0)
		return 0;
	sw.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG_);
	if (sw.fd < 0) {
		set_failed("cannot open a sock_diag socket", errno);
		return -1;
	}
	return 0;
}

/* ---- the listening ports ---- */

struct listeners {
	int ninodes;
	uint64_t inode[MAX_INODES];
	int nports;
	uint16_t port[SSHWATCH_MAX_PORTS];
};

static void note_listener(void *ctx, const struct diag_msg *m, const uint8_t *info,
			  size_t info_len)
{
	struct listeners *l = ctx;
	(void)info;
	(void)info_len;
	uint16_t port = ntohs(m->id.sport);
	for (int i = 0; i < l->ninodes; i++) {
		if (l->inode[i] != m->inode)
			continue;
		for (int k = 0; k < l->nports; k++)
			if (l->port[k] == port)
				return;
		if (l->nports < SSHWATCH_MAX_PORTS)
			l->port[l->nports++] = port;
		return;
	}
}

/* The filter: source port one of ports[].  Each port is a >= and a <=
 * test (the port in the `no` of the op after each), then a jump to the end
 * (a match); a failed test goes on to the next port, or 4 bytes past the
 * end after the last (no match).  The kernel accepts a jump only to an op
 * that the chain of `yes` steps from the start reaches, hence the JMP op
 * (yes 4) rather than a long `yes`. */
#define BC_JMP 1
static size_t port_filter(const uint16_t *ports, int n, struct bc_op *bc)
{
	size_t len = (size_t)(n - 1) * 20 + 16, at = 0;
	struct bc_op *o = bc;
	for (int i = 0; i < n; i++) {
		int last = i == n - 1;
		*o++ = (struct bc_op){ BC_S_GE, 8, 20 };
		*o++ = (struct bc_op){ 0, 0, ports[i] };
		*o++ = (struct bc_op){ BC_S_LE, 8, 12 };
		*o++ = (struct bc_op){ 0, 0, ports[i] };
		at += 16;
		if (!last) {
			*o++ = (struct bc_op){ BC_JMP, 4, (uint16_t)(len - at) };
			at += 4;
		}
	}
	return len;
}

/* ---- the connections ---- */

struct conns {
	int served;
	int npending;
	uint64_t pending[SSHWATCH_PENDING];
	int nseen;
	uint64_t seen[SSHWATCH_SEEN];
};

/* Insertion sort: a look has a few connections, at most SSHWATCH_SEEN
 * (and libc's qsort would add kilobytes to PID 1) */
static void sort_cookies(uint64_t *a, int n)
{
	for (int i = 1; i < n; i++) {
		uint64_t v = a[i];
		int j = i;
		for (; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

/* In the latest look?  A connection beyond its room was not remembered:
 * it looks new again, and counts if sent on (never a missed one). */
static int was_seen(uint64_t cookie)
{
	int lo = 0, hi = sw.nseen;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (seen[mid] < cookie)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sw.nseen && seen[lo] == cookie;
}

static int was_pending(uint64_t cookie)
{
	for (int i = 0; i < sw.npending; i++)
		if (sw.pending[i] == cookie)
			return 1;
	return 0;
}

/* Has the server sent data on it?  The counters are the kernel's own. */
static int has_sent(const uint8_t *info, size_t len)
{
	if (len >= TI_DATA_SEGS_OUT + 4) {
		uint32_t segs;
		memcpy(&segs, info + TI_DATA_SEGS_OUT, 4);
		return segs > 0;
	}
	if (len >= TI_BYTES_ACKED + 8) {
		uint64_t acked;         /* the SYN counts one */
		memcpy(&acked, info + TI_BYTES_ACKED, 8);
		return acked > 1;
	}
	return 0;
}

static void note_conn(void *ctx, const struct diag_msg *m, const uint8_t *info,
		      size_t info_len)
{
	struct conns *c = ctx;
	uint64_t cookie = (uint64_t)m->id.cookie[0] | (uint64_t)m->id.cookie[1] << 32;
	if (c->nseen < SSHWATCH_SEEN)
		c->seen[c->nseen++] = cookie;
	if (was_seen(cookie) && !was_pending(cookie))
		return;         /* seen before, and sent on then */
	if (has_sent(info, info_len))
		c->served = 1;
	else if (c->npending < SSHWATCH_PENDING)
		c->pending[c->npending++] = cookie;
}

static int same_ports(const struct listeners *l)
{
	return l->nports == sw.nports &&
	       !memcmp(l->port, sw.port, sizeof l->port[0] * (size_t)l->nports);
}

int sshwatch_look(const pid_t *pids, int n)
{
	static struct listeners l;
	if (sw.failed || open_socket() < 0)
		return -1;
	l.ninodes = 0;
	l.nports = 0;
	for (int i = 0; i < n && l.ninodes < MAX_INODES; i++)
		l.ninodes += protect_socket_inodes(pids[i], l.inode + l.ninodes,
						   MAX_INODES - l.ninodes);
	for (int f = 0; f < 2 && l.ninodes; f++) {
		int r = dump(f ? AF_INET6 : AF_INET, LISTEN_STATES, NULL, 0, note_listener, &l);
		if (r < 0 && (r == -ENOENT || r == -EOPNOTSUPP || r == -EPROTONOSUPPORT)) {
			set_failed("sock_diag (modules inet_diag, tcp_diag)", -r);
			return -1;
		}
		if (r < 0) {
			fmt(sw.state, sizeof sw.state, "sock_diag: %s", strerror(-r));
			return -1;
		}
	}
	if (!same_ports(&l)) {
		sw.nports = l.nports;
		memcpy(sw.port, l.port, sizeof l.port);
		sw.primed = 0;  /* connections to a new port are not news */
	}
	fmt(sw.state, sizeof sw.state, "on");
	if (!l.nports)
		return 0;
	struct bc_op bc[5 * SSHWATCH_MAX_PORTS];
	size_t bclen = port_filter(l.port, l.nports, bc);
	static struct conns c;
	memset(&c, 0, sizeof c);
	for (int f = 0; f < 2; f++) {
		int r = dump(f ? AF_INET6 : AF_INET, CONN_STATES, bc, bclen, note_conn, &c);
		if (r < 0) {
			fmt(sw.state, sizeof sw.state, "sock_diag: %s", strerror(-r));
			return -1;
		}
	}
	sort_cookies(c.seen, c.nseen);
	sw.nseen = c.nseen;
	memcpy(seen, c.seen, sizeof c.seen);
	sw.npending = c.npending;
	memcpy(sw.pending, c.pending, sizeof c.pending);
	if (!sw.primed) {
		sw.primed = 1;
		return 0;
	}
	return c.served;
}

int sshwatch_ports(uint16_t *out, int cap)
{
	int n = sw.nports < cap ? sw.nports : cap;
	memcpy(out, sw.port, sizeof out[0] * (size_t)n);
	return n;
}

const char *sshwatch_state(void)
{
	return sw.state;
}

void sshwatch_reset(void)
{
	if (sw.fd >= 0)
		close(sw.fd);
	memset(&sw, 0, sizeof sw);
	sw.fd = -1;
	fmt(sw.state, sizeof sw.state, "not looked yet");
}
