/* ka-tool: the keepalive protocol from a shell, for tests (build/ka-tool;
 * glibc; links lib/keepalive.c).  It plays a peer (listen, verdict,
 * replay) or a host (keepalive).  Keys are key files as lifelinectl keygen
 * writes them (ka_key_load: root-owned, mode 0600 or 0400).
 *
 *   ka-tool listen BIND KEY COUNT [-t SECS]
 *       Bind UDP BIND (ADDR:PORT, IPv6 as [ADDR]:PORT) and print each
 *       keepalive that decodes with KEY, one line each, until COUNT:
 *         keepalive from=127.0.0.1:4321 host=web1 state=sshd+rescue-ssh seq=12
 *           boot=0123456789abcdef time=1700000000000
 *       (state: none, or rescue, sshd, rescue-ssh, ssh-served joined by '+'); anything
 *       else as "drop from=ADDR:PORT reason=bad-mac" (ka_result_name).
 *       Exit 0 after COUNT keepalives, 1 on timeout (default 30 s).
 *
 *   ka-tool verdict BIND KEY [-t SECS] [--sign-key FILE] [--stale N]
 *                   [--host NAME] [--save FILE] [--boot HEX] [--seq N]
 *       Wait for the next keepalive that decodes with KEY, answer it with a
 *       verdict sent to its source, print
 *         verdict to=127.0.0.1:4321 host=web1 echo_seq=12 seq=1 boot=...
 *       --sign-key: sign with another key (a forged verdict); --stale N:
 *       echo the keepalive's seq minus N (a stale verdict: lifeline takes
 *       only its last 8); --host: the verdict's host name (default: the
 *       keepalive's); --save: also write the 112 bytes sent to FILE;
 *       --boot/--seq: the verdict's own boot id (default random) and seq
 *       (default 1).
 *
 *   ka-tool replay BIND FILE [-t SECS]
 *       Wait for the next datagram on BIND (no key needed) and send FILE's
 *       bytes (a verdict saved with --save) to its source: a replay.
 *       Prints "replay to=ADDR:PORT bytes=112".
 *
 *   ka-tool keepalive BIND DEST KEY HOST [--state BITS] [--count N]
 *                     [--interval MS] [--boot HEX] [--seq N] [--wait SECS]
 *       Play a host: send COUNT (default 1) keepalives from BIND (port 0:
 *       any) to DEST, every interval (default 1000 ms), state BITS (a
 *       number, default 0), then print every verdict that arrives within
 *       --wait SECS (default 0) as
 *         verdict from=ADDR:PORT host=web1 echo_seq=3 seq=7 boot=...
 *       or "drop from=... reason=...".
 *
 *   ka-tool flood BIND COUNT [-t SECS] [--rate N]
 *       A stranger without the key: wait for a keepalive on BIND, then send
 *       COUNT forged verdicts answering it (every field right but the MAC,
 *       which is random) to its source at N a second (default 10000).
 *       Prints "flood to=ADDR:PORT sent=N ms=T".
 *
 * Exit status: 0 done, 1 timeout or failure, 2 usage. */
#define _GNU_SOURCE
#include "keepalive.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr,
		"usage: ka-tool listen BIND KEY COUNT [-t SECS]\n"
		"       ka-tool verdict BIND KEY [-t SECS] [--sign-key FILE] [--stale N]\n"
		"                       [--host NAME] [--save FILE] [--boot HEX] [--seq N]\n"
		"       ka-tool replay BIND FILE [-t SECS]\n"
		"       ka-tool keepalive BIND DEST KEY HOST [--state BITS] [--count N]\n"
		"                       [--interval MS] [--boot HEX] [--seq N] [--wait SECS]\n"
		"       ka-tool flood BIND COUNT [-t SECS] [--rate N]\n"
		"(see the comment at the top of tests/tools/ka_tool.c)\n");
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "ka-tool: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ms(int clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* "1.2.3.4:5", "[::1]:5" */
static socklen_t parse_addr(const char *s, struct sockaddr_storage *ss)
{
	char a[80];
	const char *colon;
	memset(ss, 0, sizeof *ss);
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || e[1] != ':' || (size_t)(e - s - 1) >= sizeof a)
			goto bad;
		memcpy(a, s + 1, (size_t)(e - s - 1));
		a[e - s - 1] = '\0';
		colon = e + 1;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET6, a, &s6->sin6_addr) != 1)
			goto bad;
		return sizeof *s6;
	}
	colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof a)
		goto bad;
	memcpy(a, s, (size_t)(colon - s));
	a[colon - s] = '\0';
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, a, &s4->sin_addr) != 1)
		goto bad;
	return sizeof *s4;
bad:
	fprintf(stderr, "ka-tool: bad address '%s' (ADDR:PORT or [ADDR]:PORT)\n", s);
	exit(2);
}

static const char *addr_str(const struct sockaddr_storage *ss)
{
	static char buf[80];
	char a[64];
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
		snprintf(buf, sizeof buf, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
		snprintf(buf, sizeof buf, "%s:%u", a, ntohs(s4->sin_port));
	}
	return buf;
}

static int bind_udp(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t sl = parse_addr(spec, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (ss.ss_family == AF_INET6) {
		int one = 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		die(spec);
	return fd;
}

static void load_key(const char *path, uint8_t key[KA_KEY_SIZE])
{
	char err[256];
	if (ka_key_load(path, key, err, sizeof err) < 0) {
		fprintf(stderr, "ka-tool: %s\n", err);
		exit(1);
	}
}

/* Receive one datagram within the deadline (CLOCK_MONOTONIC ms): its
 * length, or -1 on timeout. */
static ssize_t recv_until(int fd, uint8_t *buf, size_t cap, struct sockaddr_storage *from,
			  uint64_t deadline)
{
	for (;;) {
		uint64_t now = now_ms(CLOCK_MONOTONIC);
		if (now >= deadline)
			return -1;
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("poll");
		if (r == 0)
			return -1;
		socklen_t sl = sizeof *from;
		ssize_t n = recvfrom(fd, buf, cap, MSG_TRUNC, (struct sockaddr *)from, &sl);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("recvfrom");
		return n;
	}
}

static const char *state_str(unsigned st)
{
	static char buf[40];
	buf[0] = '\0';
	for (int b = 0; b < KA_ST_NBITS; b++)
		if (st & (1u << b)) {
			if (buf[0])
				strcat(buf, "+");
			strcat(buf, ka_state_bit_name(b));
		}
	return buf[0] ? buf : "none";
}

/* Wait for a keepalive that decodes with key: 0 and m/from, -1 timeout.
 * Other datagrams are reported as drops. */
static int next_keepalive(int fd, const uint8_t *key, struct ka_msg *m,
			  struct sockaddr_storage *from, uint64_t deadline, int print)
{
	uint8_t buf[2048];
	for (;;) {
		ssize_t n = recv_until(fd, buf, sizeof buf, from, deadline);
		if (n < 0)
			return -1;
		size_t len = (size_t)n > sizeof buf ? sizeof buf : (size_t)n;
		enum ka_result r = ka_decode(buf, len, key, m);
		if (r == KA_OK && m->type != KA_KEEPALIVE)
			r = KA_BAD_TYPE;
		if (r != KA_OK) {
			printf("drop from=%s reason=%s\n", addr_str(from), ka_result_name(r));
			fflush(stdout);
			continue;
		}
		if (print) {
			printf("keepalive from=%s host=%s state=%s seq=%llu boot=%016llx time=%llu\n",
			       addr_str(from), m->host, state_str(m->state),
			       (unsigned long long)m->seq, (unsigned long long)m->boot_id,
			       (unsigned long long)m->time_ms);
			fflush(stdout);
		}
		return 0;
	}
}

static int cmd_listen(int argc, char **argv)
{
	int secs = 30;
	if (argc < 5)
		usage();
	for (int i = 5; i < argc; i++) {
		if (!strcmp(argv[i], "-t") && i + 1 < argc)
			secs = atoi(argv[++i]);
		else
			usage();
	}
	uint8_t key[KA_KEY_SIZE];
	load_key(argv[3], key);
	int fd = bind_udp(argv[2]);
	long count = atol(argv[4]);
	uint64_t deadline = now_ms(CLOCK_MONOTONIC) + (uint64_t)secs * 1000;
	for (long got = 0; got < count; got++) {
		struct ka_msg m;
		struct sockaddr_storage from;
		if (next_keepalive(fd, key, &m, &from, deadline, 1) < 0) {
			fprintf(stderr, "ka-tool: timeout after %ld of %ld keepalives\n", got, count);
			return 1;
		}
	}
	return 0;
}

static uint64_t random_id(void)
{
	uint64_t id = 0;
	if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id)
		die("getrandom");
	return id ? id : 1;
}

static int cmd_verdict(int argc, char **argv)
{
	int secs = 30;
	long stale = 0;
	const char *sign = NULL, *host = NULL, *save = NULL;
	uint64_t boot = random_id(), seq = 1;
	if (argc < 4)
		usage();
	for (int i = 4; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "-t"))
			secs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--sign-key"))
			sign = argv[++i];
		else if (!strcmp(argv[i], "--stale"))
			stale = atol(argv[++i]);
		else if (!strcmp(argv[i], "--host"))
			host = argv[++i];
		else if (!strcmp(argv[i], "--save"))
			save = argv[++i];
		else if (!strcmp(argv[i], "--boot"))
			boot = strtoull(argv[++i], NULL, 16);
		else if (!strcmp(argv[i], "--seq"))
			seq = strtoull(argv[++i], NULL, 10);
		else
			usage();
	}
	uint8_t key[KA_KEY_SIZE], skey[KA_KEY_SIZE];
	load_key(argv[3], key);
	if (sign)
		load_key(sign, skey);
	else
		memcpy(skey, key, sizeof skey);
	int fd = bind_udp(argv[2]);
	struct ka_msg k;
	struct sockaddr_storage from;
	uint64_t deadline = now_ms(CLOCK_MONOTONIC) + (uint64_t)secs * 1000;
	if (next_keepalive(fd, key, &k, &from, deadline, 0) < 0) {
		fprintf(stderr, "ka-tool: no keepalive within %ds\n", secs);
		return 1;
	}
	struct ka_msg v = { .type = KA_VERDICT, .boot_id = boot, .seq = seq,
			    .echo_boot = k.boot_id, .echo_seq = k.seq - (uint64_t)stale,
			    .time_ms = now_ms(CLOCK_REALTIME) };
	snprintf(v.host, sizeof v.host, "%s", host ? host : k.host);
	uint8_t out[KA_SIZE];
	if (ka_encode(&v, skey, out) < 0) {
		fprintf(stderr, "ka-tool: cannot encode the verdict (bad host name?)\n");
		return 1;
	}
	socklen_t sl = from.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in);
	if (sendto(fd, out, sizeof out, 0, (struct sockaddr *)&from, sl) != (ssize_t)sizeof out)
		die("sendto");
	if (save) {
		FILE *f = fopen(save, "wb");
		if (!f || fwrite(out, 1, sizeof out, f) != sizeof out || fclose(f) != 0)
			die(save);
	}
	printf("verdict to=%s host=%s echo_seq=%llu seq=%llu boot=%016llx\n", addr_str(&from),
	       v.host, (unsigned long long)v.echo_seq, (unsigned long long)v.seq,
	       (unsigned long long)v.boot_id);
	return 0;
}

static int cmd_replay(int argc, char **argv)
{
	int secs = 30;
	if (argc < 4)
		usage();
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "-t") && i + 1 < argc)
			secs = atoi(argv[++i]);
		else
			usage();
	}
	uint8_t bytes[2048];
	FILE *f = fopen(argv[3], "rb");
	if (!f)
		die(argv[3]);
	size_t n = fread(bytes, 1, sizeof bytes, f);
	fclose(f);
	int fd = bind_udp(argv[2]);
	uint8_t buf[2048];
	struct sockaddr_storage from;
	uint64_t deadline = now_ms(CLOCK_MONOTONIC) + (uint64_t)secs * 1000;
	if (recv_until(fd, buf, sizeof buf, &from, deadline) < 0) {
		fprintf(stderr, "ka-tool: nothing arrived within %ds\n", secs);
		return 1;
	}
	socklen_t sl = from.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in);
	if (sendto(fd, bytes, n, 0, (struct sockaddr *)&from, sl) != (ssize_t)n)
		die("sendto");
	printf("replay to=%s bytes=%zu\n", addr_str(&from), n);
	return 0;
}

/* A stranger with no key: wait for one keepalive on BIND, copy what it
 * shows in clear (host, boot id, seq) into forged verdicts that answer it
 * (type 2, the right echo fields) with a random MAC, and send COUNT of them
 * to its source at RATE a second.  Only the MAC is wrong. */
static int cmd_flood(int argc, char **argv)
{
	int secs = 30;
	long rate = 10000;
	if (argc < 4)
		usage();
	long count = atol(argv[3]);
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "-t") && i + 1 < argc)
			secs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			rate = atol(argv[++i]);
		else
			usage();
	}
	if (count < 1 || rate < 1)
		usage();
	int fd = bind_udp(argv[2]);
	uint8_t ka[2048], v[KA_SIZE];
	struct sockaddr_storage from;
	uint64_t deadline = now_ms(CLOCK_MONOTONIC) + (uint64_t)secs * 1000;
	ssize_t n = recv_until(fd, ka, sizeof ka, &from, deadline);
	if (n != KA_SIZE) {
		fprintf(stderr, "ka-tool: no keepalive within %ds\n", secs);
		return 1;
	}
	socklen_t sl = from.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in);
	memcpy(v, ka, KA_MAC_OFF);
	v[5] = KA_VERDICT;
	v[6] = v[7] = 0;                        /* no state in a verdict */
	memcpy(v + 56, ka + 40, 16);            /* echo: its boot id and seq */
	memset(v + 40, 0x5a, 8);                /* "our" boot id */
	uint64_t t0 = now_ms(CLOCK_MONOTONIC);
	long sent = 0;
	for (long i = 0; i < count; i++) {
		v[48 + 7] = (uint8_t)i;         /* seq */
		v[48 + 6] = (uint8_t)(i >> 8);
		v[48 + 5] = (uint8_t)(i >> 16);
		if (getrandom(v + KA_MAC_OFF, KA_MAC_SIZE, 0) != KA_MAC_SIZE)
			die("getrandom");
		if (sendto(fd, v, KA_SIZE, 0, (struct sockaddr *)&from, sl) == KA_SIZE)
			sent++;
		/* pace: i datagrams by i / rate seconds */
		uint64_t due = t0 + (uint64_t)((i + 1) * 1000 / rate);
		while (now_ms(CLOCK_MONOTONIC) < due)
			usleep(200);
	}
	printf("flood to=%s sent=%ld ms=%llu\n", addr_str(&from), sent,
	       (unsigned long long)(now_ms(CLOCK_MONOTONIC) - t0));
	return 0;
}

static int cmd_keepalive(int argc, char **argv)
{
	long count = 1, interval = 1000, wait = 0;
	unsigned state = 0;
	uint64_t boot = random_id(), seq = 1;
	if (argc < 6)
		usage();
	for (int i = 6; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--state"))
			state = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--count"))
			count = atol(argv[++i]);
		else if (!strcmp(argv[i], "--interval"))
			interval = atol(argv[++i]);
		else if (!strcmp(argv[i], "--boot"))
			boot = strtoull(argv[++i], NULL, 16);
		else if (!strcmp(argv[i], "--seq"))
			seq = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--wait"))
			wait = atol(argv[++i]);
		else
			usage();
	}
	uint8_t key[KA_KEY_SIZE];
	load_key(argv[4], key);
	int fd = bind_udp(argv[2]);
	struct sockaddr_storage dest;
	socklen_t dl = parse_addr(argv[3], &dest);
	for (long i = 0; i < count; i++) {
		struct ka_msg m = { .type = KA_KEEPALIVE, .state = (uint16_t)state,
				    .boot_id = boot, .seq = seq + (uint64_t)i,
				    .time_ms = now_ms(CLOCK_REALTIME) };
		uint8_t out[KA_SIZE];
		snprintf(m.host, sizeof m.host, "%s", argv[5]);
		if (ka_encode(&m, key, out) < 0) {
			fprintf(stderr, "ka-tool: cannot encode (bad host name or state?)\n");
			return 2;
		}
		if (sendto(fd, out, sizeof out, 0, (struct sockaddr *)&dest, dl) < 0)
			die("sendto");
		if (i + 1 < count)
			usleep((useconds_t)interval * 1000);
	}
	uint64_t deadline = now_ms(CLOCK_MONOTONIC) + (uint64_t)wait * 1000;
	for (;;) {
		uint8_t buf[2048];
		struct sockaddr_storage from;
		struct ka_msg v;
		ssize_t n = recv_until(fd, buf, sizeof buf, &from, deadline);
		if (n < 0)
			break;
		size_t len = (size_t)n > sizeof buf ? sizeof buf : (size_t)n;
		enum ka_result r = ka_decode(buf, len, key, &v);
		if (r == KA_OK && v.type != KA_VERDICT)
			r = KA_BAD_TYPE;
		if (r != KA_OK)
			printf("drop from=%s reason=%s\n", addr_str(&from), ka_result_name(r));
		else
			printf("verdict from=%s host=%s echo_seq=%llu seq=%llu boot=%016llx\n",
			       addr_str(&from), v.host, (unsigned long long)v.echo_seq,
			       (unsigned long long)v.seq, (unsigned long long)v.boot_id);
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "listen"))
		return cmd_listen(argc, argv);
	if (!strcmp(argv[1], "verdict"))
		return cmd_verdict(argc, argv);
	if (!strcmp(argv[1], "replay"))
		return cmd_replay(argc, argv);
	if (!strcmp(argv[1], "keepalive"))
		return cmd_keepalive(argc, argv);
	if (!strcmp(argv[1], "flood"))
		return cmd_flood(argc, argv);
	usage();
	return 2;
}
