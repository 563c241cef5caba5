/* kaflood: N simulated lifeline hosts sending keepalives to one
 * lifeline-peer over loopback, for tests/bench/peer.sh.
 *
 *   kaflood N INTERVAL_MS SECONDS DEST_PORT KEYFILE
 *
 * Host i is named h<i> and sends from 127.1.0.0 + i (every 127/8 address is
 * local on lo; one socket, the source address of each datagram chosen with
 * IP_PKTINFO), signed with KEYFILE, every INTERVAL_MS, the hosts spread
 * evenly over the interval, for SECONDS.  Prints what it sent.  glibc;
 * links lib/keepalive.c (-lbearssl). */
#define _GNU_SOURCE
#include "keepalive.h"
#include "clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void sleep_until(int64_t t)
{
	struct timespec ts = { t / 1000, (long)(t % 1000) * 1000000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	uint8_t key[KA_KEY_SIZE], d[KA_SIZE];
	char err[256];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	uint64_t boot, sent = 0, failed = 0;
	int n, interval, secs, fd;
	int64_t start, end, k = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: kaflood N INTERVAL_MS SECONDS DEST_PORT KEYFILE\n");
		return 2;
	}
	n = atoi(argv[1]);
	interval = atoi(argv[2]);
	secs = atoi(argv[3]);
	dst.sin_port = htons((uint16_t)atoi(argv[4]));
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (n < 1 || n > 1 << 20 || interval < 1 || secs < 1) {
		fprintf(stderr, "kaflood: bad arguments\n");
		return 2;
	}
	if (ka_key_load(argv[5], key, err, sizeof err) < 0) {
		fprintf(stderr, "kaflood: %s\n", err);
		return 1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || getrandom(&boot, sizeof boot, 0) != sizeof boot) {
		perror("kaflood");
		return 1;
	}
	start = (int64_t)now_ms();
	end = start + (int64_t)secs * 1000;
	/* datagram k goes to host k % n at start + k * interval / n */
	for (;;) {
		int64_t at = start + k * interval / n;
		int i = (int)(k % n);
		struct ka_msg m = { .type = KA_KEEPALIVE, .state = KA_ST_SSHD,
				    .boot_id = boot + (uint64_t)i, .seq = (uint64_t)(k / n) + 1 };
		struct in_pktinfo pi = { .ipi_ifindex = 0 };
		union {
			char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
			struct cmsghdr align;
		} cm;
		struct iovec iov = { d, sizeof d };
		struct msghdr mh = { .msg_name = &dst, .msg_namelen = sizeof dst, .msg_iov = &iov,
				     .msg_iovlen = 1, .msg_control = cm.buf,
				     .msg_controllen = sizeof cm.buf };
		struct cmsghdr *c;

		if (at >= end)
			break;
		if (at > (int64_t)now_ms())
			sleep_until(at);
		snprintf(m.host, sizeof m.host, "h%d", i);
		m.time_ms = wall_ms();
		if (ka_encode(&m, key, d) < 0)
			return 1;
		memset(&cm, 0, sizeof cm);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof pi);
		pi.ipi_spec_dst.s_addr = htonl(0x7f010000u + (uint32_t)i);
		memcpy(CMSG_DATA(c), &pi, sizeof pi);
		if (sendmsg(fd, &mh, 0) == (ssize_t)sizeof d)
			sent++;
		else
			failed++;
		k++;
	}
	printf("kaflood: %d hosts, every %d ms, %d s: %llu keepalives sent, %llu failed\n", n,
	       interval, secs, (unsigned long long)sent, (unsigned long long)failed);
	return failed ? 1 : 0;
}
