/* tcp-hold: a stranger who fills an SSH server's pre-authentication slots
 * (sshd's MaxStartups, dropbear's unauthenticated limit) without ever
 * touching the crypto: it opens connections and holds them, reading and
 * discarding what the server sends, and opens a new one whenever the
 * server closes one, until the time is up.
 *
 *   tcp-hold -t SECONDS [-s SRC,SRC,...] [-r MS] ADDR:PORT N [ADDR:PORT N ...]
 *   tcp-hold -t SECONDS -c RATE ADDR:PORT
 *
 * With -c it churns instead: RATE connections a second, opened on the
 * clock whatever the server does, each closed once the server's banner or
 * close arrives, or after 2 s (make bench: what each costs PID 1), and
 * prints "target=ADDR:PORT opened=O banners=B closed=K failed=F seconds=S".
 *
 * N connections to each target, their source addresses taken in turn from
 * -s (IPv4); one the server closes is opened again 5 ms later.  With -r
 * the first ones are spread evenly over MS milliseconds: a server that
 * closes an unauthenticated connection after a fixed time (sshd's
 * LoginGraceTime) then frees one slot at a time, taken again at once,
 * instead of all of them together, which left a window in which another
 * client got in.  At the end it prints one line per target:
 *   target=ADDR:PORT connects=C banners=B closed=K open=O */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 1024
#define MAX_TARGETS 8
#define MAX_SRC 32

struct target {
	char text[64];
	struct sockaddr_in addr;
	unsigned long connects, banners, closed;
};

struct conn {
	int fd;
	int target;
	int got;                /* bytes read on this connection */
	long retry_at;          /* ms: open again (after a close) */
};

static struct target tg[MAX_TARGETS];
static struct conn cn[MAX_CONN];
static struct in_addr src[MAX_SRC];
static int ntg, ncn, nsrc, next_src;

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void die(const char *m)
{
	fprintf(stderr, "tcp-hold: %s\n", m);
	exit(2);
}

static void open_conn(struct conn *c)
{
	struct target *t = &tg[c->target];
	c->got = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket");
	if (nsrc) {
		struct sockaddr_in s = { .sin_family = AF_INET, .sin_addr = src[next_src++ % nsrc] };
		if (bind(c->fd, (struct sockaddr *)&s, sizeof s) < 0)
			die("bind to a source address");
	}
	t->connects++;
	if (connect(c->fd, (struct sockaddr *)&t->addr, sizeof t->addr) < 0 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		t->closed++;
		c->retry_at = now_ms() + 100;
	}
}

static void parse_target(const char *s, struct target *t)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof host)
		die("a target is ADDR:PORT");
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	t->addr.sin_family = AF_INET;
	t->addr.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &t->addr.sin_addr) != 1)
		die("a target address must be IPv4");
	snprintf(t->text, sizeof t->text, "%s", s);
}

/* -c: RATE new connections a second for the whole time, whatever the
 * server does: each a non-blocking connect, then closed as soon as the
 * server's first bytes (the banner: it forked a session for it) or its
 * close arrive, or after 2 s */
static int churn(long secs, long rate)
{
	struct target *t = &tg[0];
	unsigned long opened = 0, banners = 0, closed = 0, failed = 0;
	long start = now_ms(), end = start + secs * 1000;
	static struct pollfd pf[MAX_CONN];
	static long since[MAX_CONN];
	int n = 0;
	for (;;) {
		long now = now_ms();
		/* the opens due by now (paced on the clock, not on the answers) */
		while (now < end && start + (long)(opened * 1000 / (unsigned long)rate) <= now) {
			opened++;
			if (n >= MAX_CONN) {
				failed++;       /* too many in flight: counted, not sent */
				continue;
			}
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0)
				die("socket");
			if (connect(fd, (struct sockaddr *)&t->addr, sizeof t->addr) < 0 &&
			    errno != EINPROGRESS) {
				failed++;
				close(fd);
				continue;
			}
			pf[n] = (struct pollfd){ .fd = fd, .events = POLLIN };
			since[n++] = now;
		}
		if (now >= end && n == 0)
			break;
		if (poll(pf, (nfds_t)n, 2) < 0 && errno != EINTR)
			die("poll");
		now = now_ms();
		for (int k = 0; k < n; k++) {
			int done = 1;
			char buf[64];
			if (pf[k].revents) {
				ssize_t r = read(pf[k].fd, buf, sizeof buf);
				if (r >= 4 && !memcmp(buf, "SSH-", 4))
					banners++;
				else if (r >= 0)
					closed++;
				else
					failed++;
			} else if (now - since[k] >= 2000) {
				failed++;
			} else {
				done = 0;
			}
			if (done) {
				close(pf[k].fd);
				pf[k] = pf[--n];
				since[k] = since[n];
				k--;
			}
		}
	}
	printf("target=%s opened=%lu banners=%lu closed=%lu failed=%lu seconds=%ld\n", t->text,
	       opened, banners, closed, failed, secs);
	return 0;
}

int main(int argc, char **argv)
{
	long secs = -1, rate = 0, ramp = 0;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc)
			die("an option needs a value");
		if (!strcmp(argv[i], "-t"))
			secs = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "-c"))
			rate = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "-r"))
			ramp = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "-s")) {
			char *list = argv[i + 1], *tok;
			while ((tok = strsep(&list, ",")) && nsrc < MAX_SRC)
				if (inet_pton(AF_INET, tok, &src[nsrc++]) != 1)
					die("a source address must be IPv4");
		} else
			die("usage: tcp-hold -t SECONDS [-s SRC,...] [-r MS] ADDR:PORT N ... | "
			    "-c RATE ADDR:PORT");
	}
	if (secs < 0)
		die("-t SECONDS is required");
	if (rate > 0) {
		if (i >= argc)
			die("-c: no target");
		parse_target(argv[i], &tg[0]);
		return churn(secs, rate);
	}
	for (; i + 1 < argc && ntg < MAX_TARGETS; i += 2) {
		parse_target(argv[i], &tg[ntg]);
		for (int n = atoi(argv[i + 1]); n > 0 && ncn < MAX_CONN; n--)
			cn[ncn++] = (struct conn){ .fd = -1, .target = ntg };
		ntg++;
	}
	if (!ntg)
		die("no target");
	long start = now_ms(), end = start + secs * 1000;
	for (int k = 0; k < ncn; k++) {
		if (ramp > 0 && k > 0)
			cn[k].retry_at = start + ramp * k / ncn;        /* opened in the loop */
		else
			open_conn(&cn[k]);
	}
	static struct pollfd pf[MAX_CONN];
	while (now_ms() < end) {
		long now = now_ms();
		for (int k = 0; k < ncn; k++) {
			if (cn[k].fd < 0 && now >= cn[k].retry_at)
				open_conn(&cn[k]);
			pf[k] = (struct pollfd){ .fd = cn[k].fd, .events = POLLIN };
		}
		if (poll(pf, (nfds_t)ncn, 5) < 0 && errno != EINTR)
			die("poll");
		for (int k = 0; k < ncn; k++) {
			struct conn *c = &cn[k];
			if (c->fd < 0 || !(pf[k].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			char buf[512];
			ssize_t n = read(c->fd, buf, sizeof buf);
			if (n > 0) {
				if (c->got == 0 && n >= 4 && !memcmp(buf, "SSH-", 4))
					tg[c->target].banners++;
				c->got += (int)n;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			close(c->fd);
			c->fd = -1;
			tg[c->target].closed++;
			/* again within 5 ms: a freed slot must not stay free
			 * for long, nor the turned-away ones spin */
			c->retry_at = now_ms() + 5;
		}
	}
	for (int t = 0; t < ntg; t++) {
		int open = 0;
		for (int k = 0; k < ncn; k++)
			open += cn[k].target == t && cn[k].fd >= 0;
		printf("target=%s connects=%lu banners=%lu closed=%lu open=%d\n", tg[t].text,
		       tg[t].connects, tg[t].banners, tg[t].closed, open);
	}
	return 0;
}
