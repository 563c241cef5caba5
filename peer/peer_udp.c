/* lifeline-peer's UDP side: the sockets it listens on, keepalives read in
 * batches (recvmmsg, with the local address each was sent to), and
 * verdicts sent back from that address.  What a datagram means is the
 * host table's business (peer_hosts.c): this file hands each one on. */
#define _GNU_SOURCE
#include "peer_daemon.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64                /* datagrams per recvmmsg */
#define ROUNDS 16               /* batches per readable socket, then the timers */

static struct {
	int fd[LP_MAX_LISTEN];
	int n;
} udp_socks;

/* the verdicts' sender: a boot id of this run and a sequence number */
static struct {
	uint64_t boot_id, seq;
} udp_verdicts;

/* receive buffers for one batch, allocated once */
static struct {
	uint8_t (*buf)[KA_SIZE + 1];
	struct sockaddr_storage *name;
	struct mmsghdr *msg;
	struct iovec *iov;
	char (*ctl)[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
} udp_rx;

int lp_udp_init(void)
{
	if (getrandom(&udp_verdicts.boot_id, sizeof udp_verdicts.boot_id, 0) !=
	    (ssize_t)sizeof udp_verdicts.boot_id) {
		lp_log(3, "event=error getrandom: %s", strerror(errno));
		return -1;
	}
	udp_rx.buf = calloc(BATCH, sizeof *udp_rx.buf);
	udp_rx.name = calloc(BATCH, sizeof *udp_rx.name);
	udp_rx.msg = calloc(BATCH, sizeof *udp_rx.msg);
	udp_rx.iov = calloc(BATCH, sizeof *udp_rx.iov);
	udp_rx.ctl = calloc(BATCH, sizeof *udp_rx.ctl);
	if (!udp_rx.buf || !udp_rx.name || !udp_rx.msg || !udp_rx.iov || !udp_rx.ctl) {
		lp_log(3, "event=error out of memory");
		exit(1);
	}
	return 0;
}

int lp_udp_setup(const struct lp_conf *c)
{
	int one = 1, big = 4 << 20;

	for (int i = 0; i < c->nlisten; i++) {
		const struct lp_addr *a = &c->listen[i];
		struct sockaddr_storage ss;
		socklen_t sl = lp_addr_to_sa(a, &ss);
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
		    lp_poll_add(fd, LP_EV_UDP, udp_socks.n) < 0) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			if (!c->listen_explicit && a->family == AF_INET6) {
				lp_log(4, "event=warning listen %s: %s (IPv4 only)", s,
				       strerror(e));
				continue;
			}
			lp_log(3, "event=error listen %s: %s", s, strerror(e));
			return -1;
		}
		udp_socks.fd[udp_socks.n++] = fd;
	}
	return udp_socks.n;
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

void lp_udp_read(int si, lp_dgram_fn *fn)
{
	if (si < 0 || si >= udp_socks.n)
		return;
	for (int round = 0; round < ROUNDS; round++) {
		int n;
		int64_t now;

		for (int i = 0; i < BATCH; i++) {
			udp_rx.iov[i] = (struct iovec){ udp_rx.buf[i], KA_SIZE + 1 };
			udp_rx.msg[i].msg_hdr = (struct msghdr){
				.msg_name = &udp_rx.name[i], .msg_namelen = sizeof udp_rx.name[i],
				.msg_iov = &udp_rx.iov[i], .msg_iovlen = 1,
				.msg_control = udp_rx.ctl[i],
				.msg_controllen = sizeof udp_rx.ctl[i],
			};
		}
		n = recvmmsg(udp_socks.fd[si], udp_rx.msg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		now = lp_mono_ms();
		for (int i = 0; i < n; i++) {
			struct mmsghdr *m = &udp_rx.msg[i];
			struct lp_addr from, local;
			int ifindex;
			/* a datagram longer than KA_SIZE + 1 is truncated: still bad-size */
			size_t len = (m->msg_hdr.msg_flags & MSG_TRUNC) ? KA_SIZE + 1 : m->msg_len;

			if (lp_addr_from_sa((struct sockaddr *)&udp_rx.name[i], &from) < 0)
				continue;
			local_addr(&m->msg_hdr, &local, &ifindex);
			fn(si, udp_rx.buf[i], len, &from, &local, ifindex, now);
		}
		if (n < BATCH)
			return;
	}
}

/* The source address of a verdict: the one the host sent its keepalive
 * to, since a host checks the verdict's source against its configured
 * peer.  Into cm (cleared by the caller); 0 if the families differ. */
static size_t verdict_source(const struct lp_host *h, char *cm)
{
	struct cmsghdr *c = (struct cmsghdr *)(void *)cm;

	if (h->local.family == AF_INET && h->src.family == AF_INET) {
		struct in_pktinfo pi = { .ipi_ifindex = 0 };

		memcpy(&pi.ipi_spec_dst, h->local.ip, 4);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(c), &pi, sizeof pi);
		return CMSG_SPACE(sizeof pi);
	}
	if (h->local.family == AF_INET6 && h->src.family == AF_INET6) {
		struct in6_pktinfo pi = { .ipi6_ifindex = (unsigned)h->ifindex };

		memcpy(&pi.ipi6_addr, h->local.ip, 16);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(c), &pi, sizeof pi);
		return CMSG_SPACE(sizeof pi);
	}
	return 0;
}

void lp_udp_send_verdict(struct lp_host *h)
{
	struct ka_msg v = {
		.type = KA_VERDICT, .boot_id = udp_verdicts.boot_id, .seq = ++udp_verdicts.seq,
		.echo_boot = h->echo_boot, .echo_seq = h->echo_seq,
		.time_ms = (uint64_t)lp_real_ms(),
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
	if (h->sock < 0 || h->sock >= udp_socks.n || ka_encode(&v, h->conf->key, d) < 0) {
		lp_log(3, "host=%s event=error no address to send a verdict to", h->conf->name);
		return;
	}
	mh.msg_namelen = lp_addr_to_sa(&h->src, &ss);
	memset(&cm, 0, sizeof cm);
	mh.msg_controllen = verdict_source(h, cm.buf);
	if (mh.msg_controllen)
		mh.msg_control = cm.buf;
	if (sendmsg(udp_socks.fd[h->sock], &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		lp_log(3, "host=%s event=error verdict to %s: %s", h->conf->name, to,
		       strerror(errno));
		return;
	}
	lp_log(3, "host=%s event=verdict seq=%llu to=%s echo_seq=%llu n=%llu reason=%s",
	       h->conf->name, (unsigned long long)v.seq, to, (unsigned long long)v.echo_seq,
	       (unsigned long long)h->hs.verdicts,
	       h->hs.state == LP_REQUESTED ? "rescue-request" : "grace");
}

uint64_t lp_udp_verdict_seq(void)
{
	return udp_verdicts.seq;
}
