/* See procev.h.
 *
 * What the kernel sends (one netlink message per datagram, host byte
 * order):
 *
 *   0  struct nlmsghdr   len, type (NLMSG_DONE), flags, seq, pid
 *  16  struct cn_msg     id.idx, id.val (CN_IDX_PROC, CN_VAL_PROC), seq,
 *                        ack, len (u16), flags (u16)
 *  36  struct proc_event what, cpu, timestamp (u64), then for a fork:
 *  52                    parent_pid, parent_tgid, child_pid, child_tgid
 *
 * musl has no <linux/...> headers: the few structures and constants are
 * spelled out here. */
#define _GNU_SOURCE
#include "procev.h"
#include "fmt.h"
#include "log.h"
#include "loop.h"
#include "sizes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef NETLINK_CONNECTOR
#define NETLINK_CONNECTOR 11
#endif
#ifndef SO_ATTACH_FILTER
#define SO_ATTACH_FILTER 26
#endif
#define CN_IDX_PROC_ 1
#define CN_VAL_PROC_ 1
#define MCAST_LISTEN 1
#define MCAST_IGNORE 2
#define EV_NONE 0
#define EV_FORK 1
#define NLMSG_DONE_ 3

#define OFF_TYPE 4
#define OFF_IDX 16
#define OFF_VAL 20
#define OFF_WHAT 36
#define OFF_DATA 52     /* event_data: ack.err, or fork's four pids */
#define OFF_PARENT_TGID 56
#define OFF_CHILD_PID 60
#define OFF_CHILD_TGID 64
#define MSG_MIN 68      /* through child_tgid */

struct nl_addr {
	sa_family_t family;
	unsigned short pad;
	uint32_t pid, groups;
};

/* classic BPF */
struct insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};
struct prog {
	unsigned short len;
	struct insn *insns;
};
#define LD_W_ABS 0x20   /* BPF_LD|BPF_W|BPF_ABS: loads are big-endian */
#define LD_H_ABS 0x28   /* BPF_LD|BPF_H|BPF_ABS */
#define JEQ_K 0x15      /* BPF_JMP|BPF_JEQ|BPF_K */
#define JEQ_X 0x1d      /* BPF_JMP|BPF_JEQ|BPF_X */
#define TAX 0x07        /* BPF_MISC|BPF_TAX */
#define RET_K 0x06      /* BPF_RET|BPF_K */
#define PROG_MAX (16 + MAX_UNITS)

static struct {
	int fd;
	int n;
	pid_t parents[MAX_UNITS];
	int lost_said;
	char why[96];
} pe = { -1, 0, { 0 }, 0, "off" };

static struct insn op(uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	struct insn i = { code, jt, jf, k };
	return i;
}

/* The program for parents[0..n): a connector fork message whose child is a
 * process and whose parent process is one of them.  acks != 0: instead
 * only the connector's answer to our subscription (PROC_EVENT_NONE). */
static int build(struct insn *f, const pid_t *parents, int n, int acks)
{
	int i = 0;
	if (n == 0 && !acks) {
		f[0] = op(RET_K, 0, 0, 0);
		return 1;
	}
	/* drop = index of the "ret 0" at the end; jf counts from the next insn */
	int drop = acks ? 8 : 13 + n;
#define TO_DROP ((uint8_t)(drop - i - 1))
	f[i++] = op(LD_H_ABS, 0, 0, OFF_TYPE);
	f[i] = op(JEQ_K, 0, TO_DROP, htons(NLMSG_DONE_)); i++;
	f[i++] = op(LD_W_ABS, 0, 0, OFF_IDX);
	f[i] = op(JEQ_K, 0, TO_DROP, htonl(CN_IDX_PROC_)); i++;
	f[i++] = op(LD_W_ABS, 0, 0, OFF_VAL);
	f[i] = op(JEQ_K, 0, TO_DROP, htonl(CN_VAL_PROC_)); i++;
	f[i++] = op(LD_W_ABS, 0, 0, OFF_WHAT);
	if (acks) {
		f[i] = op(JEQ_K, 1, 0, htonl(EV_NONE)); i++;
		f[i++] = op(RET_K, 0, 0, 0);
		f[i++] = op(RET_K, 0, 0, 0xffffffffu);
		return i;
	}
	f[i] = op(JEQ_K, 0, TO_DROP, htonl(EV_FORK)); i++;
	/* a thread has child_pid != child_tgid */
	f[i++] = op(LD_W_ABS, 0, 0, OFF_CHILD_TGID);
	f[i++] = op(TAX, 0, 0, 0);
	f[i++] = op(LD_W_ABS, 0, 0, OFF_CHILD_PID);
	f[i] = op(JEQ_X, 0, TO_DROP, 0); i++;
	f[i++] = op(LD_W_ABS, 0, 0, OFF_PARENT_TGID);
	for (int k = 0; k < n; k++) {
		/* match: jump over the rest and the "ret 0" to "ret all" */
		f[i] = op(JEQ_K, (uint8_t)(n - k), 0, htonl((uint32_t)parents[k]));
		i++;
	}
#undef TO_DROP
	f[i++] = op(RET_K, 0, 0, 0);
	f[i++] = op(RET_K, 0, 0, 0xffffffffu);
	return i;
}

static int attach(int fd, const pid_t *parents, int n, int acks)
{
	struct insn f[PROG_MAX];
	struct prog p = { (unsigned short)build(f, parents, n, acks), f };
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof p);
}

static void unavailable(const char *what, int err)
{
	if (err)
		fmt(pe.why, sizeof pe.why, "unavailable (%s: %s)", what, strerror(err));
	else
		fmt(pe.why, sizeof pe.why, "unavailable (%s)", what);
	log_msg(LOG_WARN, "fork events: %s: sessions of protected services keep "
		"the listener's protection", pe.why);
	if (pe.fd >= 0)
		close(pe.fd);
	pe.fd = -1;
}

static uint32_t u32_at(const unsigned char *b, int off)
{
	uint32_t v;
	memcpy(&v, b + off, sizeof v);
	return v;
}

/* PROC_CN_MCAST_LISTEN (1) or PROC_CN_MCAST_IGNORE (2). */
static int send_op(uint32_t mc_op)
{
	struct {
		uint32_t nlmsg_len;
		uint16_t nlmsg_type, nlmsg_flags;
		uint32_t nlmsg_seq, nlmsg_pid;
		uint32_t idx, val, seq, ack;
		uint16_t len, flags;
		uint32_t op;
	} m;
	memset(&m, 0, sizeof m);
	m.nlmsg_len = sizeof m;
	m.nlmsg_type = NLMSG_DONE_;
	m.idx = CN_IDX_PROC_;
	m.val = CN_VAL_PROC_;
	m.len = sizeof m.op;
	m.op = mc_op;
	return send(pe.fd, &m, sizeof m, 0) < 0 ? -1 : 0;
}

/* The subscription: its answer is queued before send() returns (the
 * connector handles it in our context), unless the kernel ignored it, as
 * it does for a process outside the initial PID namespace.  0 if accepted. */
static int subscribe(void)
{
	unsigned char buf[256] __attribute__((aligned(8)));
	if (send_op(MCAST_LISTEN) < 0) {
		unavailable("subscribe", errno);
		return -1;
	}
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(pe.fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n < OFF_DATA + 4 || u32_at(buf, OFF_WHAT) != EV_NONE)
			continue;
		uint32_t err = u32_at(buf, OFF_DATA);
		if (err == 0)
			return 0;
		unavailable("refused", (int)err);
		return -1;
	}
	unavailable("no answer: not in the initial PID namespace?", 0);
	return -1;
}

int procev_open(void)
{
	struct nl_addr a = { AF_NETLINK, 0, 0, CN_IDX_PROC_ };
	if (pe.fd >= 0)
		return pe.fd;
	pe.fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       NETLINK_CONNECTOR);
	if (pe.fd < 0) {
		unavailable("no process connector", errno);
		return -1;
	}
	/* until the answer is in, nothing else: the whole machine's events
	 * would flow in otherwise */
	if (attach(pe.fd, NULL, 0, 1) < 0) {
		unavailable("filter", errno);
		return -1;
	}
	if (bind(pe.fd, (struct sockaddr *)&a, sizeof a) < 0) {
		unavailable("bind", errno);
		return -1;
	}
	if (subscribe() < 0)
		return -1;
	if (attach(pe.fd, pe.parents, pe.n, 0) < 0) {
		unavailable("filter", errno);
		return -1;
	}
	if (loop_add(pe.fd, LOOP_TAG(TAG_PROCEV, 0)) < 0) {
		unavailable("epoll", errno);
		return -1;
	}
	fmt(pe.why, sizeof pe.why, "on");
	log_msg(LOG_INFO, "fork events: on");
	return pe.fd;
}

void procev_close(void)
{
	if (pe.fd >= 0) {
		/* older kernels count listeners until told (newer ones on close) */
		send_op(MCAST_IGNORE);
		loop_del(pe.fd);
		close(pe.fd);
	}
	pe.fd = -1;
	pe.n = 0;
	fmt(pe.why, sizeof pe.why, "off");
}

int procev_watch(const pid_t *parents, int n)
{
	if (n < 0)
		n = 0;
	if (n > MAX_UNITS)
		n = MAX_UNITS;
	if (n)
		memcpy(pe.parents, parents, (size_t)n * sizeof *parents);
	pe.n = n;
	if (pe.fd < 0)
		return -1;
	if (attach(pe.fd, pe.parents, pe.n, 0) < 0) {
		log_msg(LOG_WARN, "fork events: cannot set the filter: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The filter already chose; this repeats its test for what was queued
 * under an older filter, and for the sender (the kernel is port 0). */
static void one(const unsigned char *b, uint32_t len, procev_fork_fn fn, void *ctx)
{
	uint16_t type;
	memcpy(&type, b + OFF_TYPE, sizeof type);
	if (len < MSG_MIN || type != NLMSG_DONE_ || u32_at(b, OFF_IDX) != CN_IDX_PROC_ ||
	    u32_at(b, OFF_VAL) != CN_VAL_PROC_ || u32_at(b, OFF_WHAT) != EV_FORK ||
	    u32_at(b, OFF_CHILD_PID) != u32_at(b, OFF_CHILD_TGID))
		return;
	pid_t parent = (pid_t)u32_at(b, OFF_PARENT_TGID);
	for (int i = 0; i < pe.n; i++)
		if (pe.parents[i] == parent) {
			fn(ctx, parent, (pid_t)u32_at(b, OFF_CHILD_TGID));
			return;
		}
}

void procev_read(procev_fork_fn fn, void *ctx)
{
	unsigned char buf[1024] __attribute__((aligned(8)));
	struct nl_addr from;
	if (pe.fd < 0)
		return;
	/* bounded: a fork storm must not keep the loop from everything else
	 * (epoll reports the socket again) */
	for (int i = 0; i < 64; i++) {
		socklen_t fl = sizeof from;
		/* not the kernel's port unless recvfrom says so */
		memset(&from, 0, sizeof from);
		from.pid = 1;
		ssize_t n = recvfrom(pe.fd, buf, sizeof buf, MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			/* the sweep of the next session picks up what was missed */
			if (!pe.lost_said++)
				log_msg(LOG_WARN, "fork events: some were lost (socket buffer full)");
			continue;
		}
		if (n <= 0)
			return;
		if (from.pid != 0)
			continue;
		for (uint32_t off = 0; off + 16 <= (uint32_t)n;) {
			uint32_t len = u32_at(buf, (int)off);
			if (len < 16 || len > (uint32_t)n - off)
				break;
			one(buf + off, len, fn, ctx);
			off += (len + 3) & ~3u;
		}
	}
}

const char *procev_state(void)
{
	return pe.why;
}
