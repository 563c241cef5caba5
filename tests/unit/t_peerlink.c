/* peerlink.c on real UDP sockets over loopback: the keepalives it sends
 * (decoded here with the key), the verdicts it receives through
 * peerlink_event (valid, forged, replayed, stale, for another host, from
 * an unknown sender), the quorum, the rescue system, key problems, the
 * state bits, the rate-limited log and the status.  Nothing waits on the
 * loop (its sockets are registered with the real one, loop.c): the test
 * calls peerlink_tick and peerlink_event with explicit times, and the
 * quorum's action is replaced by a recorder. */
#include "test.h"
#include "keepalive.h"
#include "log.h"
#include "peerlink.h"
#include "service.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYHEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static uint8_t key[KA_KEY_SIZE], badkey[KA_KEY_SIZE];
static const char *keypath;
static struct config cfg, empty;
static struct config_parser parser;
static struct capture cap;

static int acted;
static char acted_reason[200];

static void record(const char *reason)
{
	acted++;
	snprintf(acted_reason, sizeof acted_reason, "%s", reason);
}

/* A test peer: a UDP socket on 127.0.0.1. */
struct tpeer {
	int fd;
	uint16_t port;
	uint64_t boot, seq;
	struct sockaddr_in host;        /* where lifeline's keepalives come from */
	struct ka_msg last;             /* the latest keepalive received */
	const uint8_t *k;               /* the key its keepalives are under */
};

static int tpeer_open(struct tpeer *t)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof a;
	memset(t, 0, sizeof *t);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (t->fd < 0 || bind(t->fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    getsockname(t->fd, (struct sockaddr *)&a, &l) < 0)
		return -1;
	t->port = ntohs(a.sin_port);
	t->boot = 0xabcdef0000000000ull + t->port;
	t->k = key;
	return 0;
}

static void tpeer_close(struct tpeer *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* Receive one keepalive (waiting at most 1 s): 0 and t->last, or -1. */
static int tpeer_recv(struct tpeer *t, int wait_ms)
{
	uint8_t buf[256];
	struct timeval tv = { wait_ms / 1000, (wait_ms % 1000) * 1000 };
	socklen_t l = sizeof t->host;
	setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ssize_t n = recvfrom(t->fd, buf, sizeof buf, 0, (struct sockaddr *)&t->host, &l);
	if (n < 0)
		return -1;
	return ka_decode(buf, (size_t)n, t->k, &t->last) == KA_OK ? 0 : -2;
}

/* Drain whatever is queued (keepalives of rounds not looked at). */
static void tpeer_drain(struct tpeer *t)
{
	uint8_t buf[256];
	while (recv(t->fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
		;
}

static void verdict_bytes(struct tpeer *t, const uint8_t *k, const char *host,
			  uint64_t eseq, uint8_t out[KA_SIZE])
{
	struct ka_msg v = { .type = KA_VERDICT, .boot_id = t->boot, .seq = ++t->seq,
			    .echo_boot = t->last.boot_id, .echo_seq = eseq,
			    .time_ms = 1700000000000ull + t->seq };
	snprintf(v.host, sizeof v.host, "%s", host);
	if (ka_encode(&v, k, out) != 0)
		FAIL("cannot encode the verdict");
}

static void tpeer_send(struct tpeer *t, const void *buf, size_t len)
{
	if (sendto(t->fd, buf, len, 0, (struct sockaddr *)&t->host, sizeof t->host) !=
	    (ssize_t)len)
		FAIL("sendto: %s", strerror(errno));
}

/* A valid verdict answering the latest keepalive. */
static void send_verdict(struct tpeer *t)
{
	uint8_t d[KA_SIZE];
	verdict_bytes(t, key, t->last.host, t->last.seq, d);
	tpeer_send(t, d, sizeof d);
}

static int configure(const char *extra, struct tpeer *a, struct tpeer *b, uint64_t now)
{
	char text[1024], second[40] = "";
	if (b)
		snprintf(second, sizeof second, "peer = 127.0.0.1:%u\n", b->port);
	snprintf(text, sizeof text, "[keepalive]\nkey = %s\nhost = web1\ninterval = 1s\n"
		 "peer = 127.0.0.1:%u\n%s%s", keypath, a->port, second, extra);
	int ret = parse_text(&parser, &cfg, &cap, text, -1);
	CHECK_MSG(ret == 0, "config: %s", capture_str(&cap));
	peerlink_configure(&empty, now);        /* forget earlier peers */
	peerlink_configure(&cfg, now);
	return ret;
}

static const char *status(uint64_t now)
{
	static char buf[4096];
	struct outbuf o;
	ob_init(&o, buf, sizeof buf);
	peerlink_status_text(&o, now);
	return buf;
}

static const char *status_json(uint64_t now)
{
	static char buf[4096];
	struct outbuf o;
	ob_init(&o, buf, sizeof buf);
	peerlink_status_json(&o, now);
	return buf;
}

/* The log lines since *cur that contain s. */
static int log_count(uint64_t *cur, const char *s)
{
	static char buf[16384];
	int n = 0;
	size_t len = log_ring_read(cur, buf, sizeof buf - 1);
	buf[len] = '\0';
	for (const char *p = buf; (p = strstr(p, s)); p += strlen(s))
		n++;
	return n;
}

static void sending(void)
{
	struct tpeer a;
	TEST("peerlink: a keepalive to the peer each interval, seq +1, host, boot id") {
		tpeer_open(&a);
		configure("", &a, NULL, 1000);
		CHECK_INT(peerlink_next_deadline(), 1000);
		peerlink_tick(1000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		CHECK_INT(a.last.type, KA_KEEPALIVE);
		CHECK_STR(a.last.host, "web1");
		CHECK_INT(a.last.state, 0);
		uint64_t boot = a.last.boot_id, seq = a.last.seq;
		CHECK(boot != 0);
		CHECK_INT(peerlink_next_deadline(), 2000);
		peerlink_tick(1500);            /* not due */
		CHECK_INT(tpeer_recv(&a, 100), -1);
		peerlink_tick(2000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		CHECK_INT(a.last.seq, seq + 1);
		CHECK(a.last.boot_id == boot);
		CHECK_INT(ntohl(a.host.sin_addr.s_addr), INADDR_LOOPBACK);
		/* late by several intervals: one keepalive, not a burst */
		peerlink_tick(9500);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		CHECK_INT(tpeer_recv(&a, 100), -1);
		CHECK_INT(peerlink_next_deadline(), 10500);
		CHECK_CONTAINS(status(9500), "keepalive: host web1, every 1s, quorum 1 of 1 "
			       "within 1m, sent 3 (seq ");
		/* a reload keeps the boot id, and the seq goes on */
		peerlink_configure(&cfg, 20000);
		peerlink_tick(20000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		CHECK(a.last.boot_id == boot);
		CHECK_INT(a.last.seq, seq + 3);
		tpeer_close(&a);
	}
	TEST("peerlink: without [keepalive] nothing is sent, no status line") {
		tpeer_open(&a);
		configure("", &a, NULL, 1000);
		peerlink_configure(&empty, 1000);
		peerlink_tick(1000);
		CHECK_INT(tpeer_recv(&a, 100), -1);
		CHECK_INT(peerlink_next_deadline(), 0);
		CHECK_STR(status(1000), "");
		CHECK_STR(status_json(1000), "\"keepalive\":{\"enabled\":false},");
		tpeer_close(&a);
	}
}

static void state_bits(void)
{
	struct tpeer a;
	TEST("peerlink: state bits follow the running sshd and dropbear services") {
		const char *svc = "[service sshd]\nexec = /usr/sbin/sshd -D -e\n"
				  "[service rescue-ssh]\nexec = /bin/sh -c 'exec /usr/sbin/dropbear -F'\n"
				  "[service cron]\nexec = /usr/sbin/cron -f\n";
		static struct config_parser p2;
		static struct capture c2;
		parse_text(&p2, &active_config, &c2, svc, -1);
		memset(unit_table, 0, sizeof(struct unit) * 3);
		for (int i = 0; i < 3; i++) {
			unit_table[i].used = 1;
			unit_table[i].kind = UNIT_SERVICE;
			unit_table[i].state = ST_RUNNING;
			unit_table[i].conf = i;
		}
		tpeer_open(&a);
		configure("", &a, NULL, 1000);
		peerlink_tick(1000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		CHECK_INT(a.last.state, KA_ST_SSHD | KA_ST_RESCUE_SSH);
		CHECK_CONTAINS(status(1000), "state sshd+rescue-ssh");
		CHECK_CONTAINS(status_json(1000), "\"state\":[\"sshd\",\"rescue-ssh\"]");
		unit_table[0].state = ST_DOWN;
		peerlink_tick(2000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		CHECK_INT(a.last.state, KA_ST_RESCUE_SSH);
		unit_table[1].state = ST_BACKOFF;
		peerlink_tick(3000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		CHECK_INT(a.last.state, 0);
		CHECK_CONTAINS(status(3000), "state none");
		configure("system = rescue\n", &a, NULL, 4000);
		peerlink_tick(4000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		CHECK_INT(a.last.state, KA_ST_RESCUE);
		memset(unit_table, 0, sizeof(struct unit) * 3);
		memset(&active_config, 0, sizeof active_config);
		tpeer_close(&a);
	}
}

static void verdicts(void)
{
	struct tpeer a;
	uint8_t d[KA_SIZE];
	TEST("peerlink: a valid verdict is acted on; forged, replayed, stale are not") {
		tpeer_open(&a);
		configure("", &a, NULL, 1000);
		acted = 0;
		peerlink_tick(1000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		/* forged: the wrong key */
		verdict_bytes(&a, badkey, "web1", a.last.seq, d);
		tpeer_send(&a, d, sizeof d);
		peerlink_event(0, 1100);
		CHECK_INT(acted, 0);
		CHECK_CONTAINS(status(1100), "dropped 1 (bad-mac 1)");
		/* valid */
		verdict_bytes(&a, key, "web1", a.last.seq, d);
		tpeer_send(&a, d, sizeof d);
		peerlink_event(0, 1200);
		CHECK_INT(acted, 1);
		CHECK_CONTAINS(acted_reason, "verdict from 127.0.0.1:");
		CHECK_CONTAINS(acted_reason, "(1 of 1 within 1m)");
		/* the same bytes again */
		tpeer_send(&a, d, sizeof d);
		peerlink_event(0, 1300);
		CHECK_INT(acted, 1);
		CHECK_CONTAINS(status(1300), "ok 1, dropped 2 (bad-mac 1, replay 1)");
		/* stale: answers a keepalive 8 rounds old */
		uint64_t old = a.last.seq;
		for (int i = 1; i <= 8; i++) {
			peerlink_tick(1000 + 1000 * (uint64_t)i);
			tpeer_recv(&a, 1000);
		}
		CHECK_INT(a.last.seq, old + 8);
		verdict_bytes(&a, key, "web1", old, d);
		tpeer_send(&a, d, sizeof d);
		peerlink_event(0, 9500);
		CHECK_INT(acted, 1);
		/* 7 rounds old is still fresh */
		verdict_bytes(&a, key, "web1", old + 1, d);
		tpeer_send(&a, d, sizeof d);
		peerlink_event(0, 9600);
		CHECK_INT(acted, 2);
		CHECK_CONTAINS(status(9600), "ok 2, dropped 3 (bad-mac 1, replay 1, stale 1)");
		tpeer_close(&a);
	}
	TEST("peerlink: a verdict for another host, a keepalive, bad sizes: dropped") {
		tpeer_open(&a);
		configure("", &a, NULL, 1000);
		acted = 0;
		peerlink_tick(1000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		verdict_bytes(&a, key, "web2", a.last.seq, d);
		tpeer_send(&a, d, sizeof d);
		struct ka_msg k = a.last;
		k.seq += 100;
		ka_encode(&k, key, d);          /* a keepalive sent back: wrong type */
		tpeer_send(&a, d, sizeof d);
		uint8_t big[200] = { 0 };
		tpeer_send(&a, big, 60);
		tpeer_send(&a, big, sizeof big);
		peerlink_event(0, 1100);
		CHECK_INT(acted, 0);
		CHECK_CONTAINS(status(1100), "ok 0, dropped 4 (bad-size 2, bad-type 1, bad-field 1)");
		const char *j = status_json(1100);
		CHECK_CONTAINS(j, "\"counters\":{\"ok\":0,\"bad-size\":2,\"bad-mac\":0,"
			       "\"bad-version\":0,\"bad-type\":1,\"bad-field\":1,\"replay\":0,"
			       "\"stale\":0,\"rate\":0,\"unknown-peer\":0}");
		/* still acted on when valid */
		send_verdict(&a);
		peerlink_event(0, 1200);
		CHECK_INT(acted, 1);
		tpeer_close(&a);
	}
	TEST("peerlink: datagrams from an unknown sender are dropped before any check") {
		struct tpeer other;
		tpeer_open(&a);
		tpeer_open(&other);
		configure("", &a, NULL, 1000);
		acted = 0;
		peerlink_tick(1000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		/* the peer's address, another port: counted on that peer */
		other.host = a.host;
		other.last = a.last;
		send_verdict(&other);
		peerlink_event(0, 1100);
		CHECK_INT(acted, 0);
		CHECK_CONTAINS(status(1100), "dropped 1 (unknown-peer 1)");
		/* another address altogether */
		struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(a.port) };
		inet_pton(AF_INET, "10.9.9.9", &s.sin_addr);
		verdict_bytes(&a, key, "web1", a.last.seq, d);
		CHECK_INT(peerlink_receive(d, sizeof d, (struct sockaddr *)&s, sizeof s, 1200),
			  PL_UNKNOWN_PEER);
		CHECK_INT(acted, 0);
		CHECK_CONTAINS(status(1200), "unknown senders 1");
		CHECK_CONTAINS(status_json(1200), "\"unknown_senders\":1");
		/* the same verdict from the peer itself works */
		struct sockaddr_in pa = { .sin_family = AF_INET, .sin_port = htons(a.port) };
		pa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		CHECK_INT(peerlink_receive(d, sizeof d, (struct sockaddr *)&pa, sizeof pa, 1300),
			  KA_OK);
		CHECK_INT(acted, 1);
		tpeer_close(&a);
		tpeer_close(&other);
	}
	TEST("peerlink: a reload does not let a verdict in again") {
		tpeer_open(&a);
		configure("", &a, NULL, 1000);
		acted = 0;
		peerlink_tick(1000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		verdict_bytes(&a, key, "web1", a.last.seq, d);
		tpeer_send(&a, d, sizeof d);
		peerlink_event(0, 1100);
		CHECK_INT(acted, 1);
		peerlink_configure(&cfg, 1200);         /* same peer: kept */
		tpeer_send(&a, d, sizeof d);
		peerlink_event(0, 1300);
		CHECK_INT(acted, 1);
		CHECK_CONTAINS(status(1300), "ok 1, dropped 1 (replay 1)");
		tpeer_close(&a);
	}
}

static void quorum_and_rescue(void)
{
	struct tpeer a, b;
	TEST("peerlink: quorum 2 of 2 needs both peers") {
		tpeer_open(&a);
		tpeer_open(&b);
		configure("quorum = 2\nquorum_window = 10s\n", &a, &b, 1000);
		acted = 0;
		peerlink_tick(1000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		CHECK_INT(tpeer_recv(&b, 1000), 0);
		CHECK(a.last.seq == b.last.seq);
		send_verdict(&a);
		peerlink_event(0, 1100);
		CHECK_INT(acted, 0);
		CHECK_CONTAINS(status_json(1100), "\"verdicts_in_window\":1");
		/* a's second verdict: still one peer */
		peerlink_tick(2000);
		tpeer_recv(&a, 1000);
		tpeer_recv(&b, 1000);
		send_verdict(&a);
		peerlink_event(0, 2100);
		CHECK_INT(acted, 0);
		/* b's, after a's first left the window but not its second */
		send_verdict(&b);
		peerlink_event(0, 11500);
		CHECK_INT(acted, 1);
		CHECK_CONTAINS(acted_reason, "(2 of 2 within 10s)");
		tpeer_close(&a);
		tpeer_close(&b);
	}
	TEST("peerlink: each peer its own boot id; a's verdict copied under b's address: stale") {
		uint8_t d[KA_SIZE];
		uint64_t cur = log_ring_head();
		tpeer_open(&a);
		tpeer_open(&b);
		configure("quorum = 2\nquorum_window = 10s\n", &a, &b, 1000);
		acted = 0;
		peerlink_tick(1000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		CHECK_INT(tpeer_recv(&b, 1000), 0);
		CHECK(a.last.seq == b.last.seq);
		CHECK(a.last.boot_id != b.last.boot_id);
		verdict_bytes(&a, key, "web1", a.last.seq, d);
		tpeer_send(&a, d, sizeof d);
		peerlink_event(0, 1100);
		CHECK_INT(acted, 0);
		/* the very bytes again, now from b's address and port (what a
		 * forged source address or a peer that saw them can do) */
		tpeer_send(&b, d, sizeof d);
		peerlink_event(0, 1200);
		CHECK_INT(acted, 0);
		CHECK_CONTAINS(status(1200), "quorum 2 of 2");
		CHECK_CONTAINS(status_json(1200), "\"verdicts_in_window\":1");
		CHECK_CONTAINS(status(1200), "dropped 1 (stale 1)");
		/* b's own verdict completes the quorum */
		send_verdict(&b);
		peerlink_event(0, 1300);
		CHECK_INT(acted, 1);
		CHECK_CONTAINS(acted_reason, "(2 of 2 within 10s)");
		CHECK_INT(log_count(&cur, "booting the rescue system"), 1);
		tpeer_close(&a);
		tpeer_close(&b);
	}
	TEST("peerlink: a peer with a key of its own: its keepalives and verdicts under it only") {
		char text[512];
		uint8_t d[KA_SIZE];
		static char bhex[2 * KA_KEY_SIZE + 2];
		for (int i = 0; i < KA_KEY_SIZE; i++)
			snprintf(bhex + 2 * i, 3, "%02x", badkey[i]);
		bhex[2 * KA_KEY_SIZE] = '\n';
		const char *bpath = temp_file(bhex);
		tpeer_open(&a);
		tpeer_open(&b);
		b.k = badkey;
		snprintf(text, sizeof text, "[keepalive]\nkey = %s\nhost = web1\ninterval = 1s\n"
			 "peer = 127.0.0.1:%u\npeer = 127.0.0.1:%u %s\nquorum = 2\n"
			 "quorum_window = 10s\n", keypath, a.port, b.port, bpath);
		CHECK_MSG(parse_text(&parser, &cfg, &cap, text, -1) == 0, "config: %s",
			  capture_str(&cap));
		peerlink_configure(&empty, 1000);
		peerlink_configure(&cfg, 1000);
		acted = 0;
		peerlink_tick(1000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);     /* the [keepalive] key */
		CHECK_INT(tpeer_recv(&b, 1000), 0);     /* b's own */
		/* b's verdict under the shared key (what a holder of it can sign): bad-mac */
		verdict_bytes(&b, key, "web1", b.last.seq, d);
		tpeer_send(&b, d, sizeof d);
		peerlink_event(0, 1100);
		CHECK_CONTAINS(status(1100), "bad-mac 1");
		send_verdict(&a);
		peerlink_event(0, 1200);
		CHECK_INT(acted, 0);
		verdict_bytes(&b, badkey, "web1", b.last.seq, d);
		tpeer_send(&b, d, sizeof d);
		peerlink_event(0, 1300);
		CHECK_INT(acted, 1);
		tpeer_close(&a);
		tpeer_close(&b);
	}
	TEST("peerlink: a peer's own key file missing: nothing sent, status names the peer") {
		char text[512];
		tpeer_open(&a);
		tpeer_open(&b);
		snprintf(text, sizeof text, "[keepalive]\nkey = %s\nhost = web1\ninterval = 1s\n"
			 "peer = 127.0.0.1:%u\npeer = 127.0.0.1:%u /nonexistent/b.key\n", keypath,
			 a.port, b.port);
		CHECK_MSG(parse_text(&parser, &cfg, &cap, text, -1) == 0, "config: %s",
			  capture_str(&cap));
		peerlink_configure(&empty, 1000);
		peerlink_configure(&cfg, 1000);
		peerlink_tick(1000);
		CHECK_INT(tpeer_recv(&a, 300), -1);
		CHECK_CONTAINS(status(1000), "keepalive: NOT SENDING: peer 127.0.0.1:");
		CHECK_CONTAINS(status(1000), "/nonexistent/b.key");
		tpeer_close(&a);
		tpeer_close(&b);
	}
	TEST("peerlink: quorum 2 of 2: verdicts further apart than the window do nothing") {
		tpeer_open(&a);
		tpeer_open(&b);
		configure("quorum = 2\nquorum_window = 10s\n", &a, &b, 1000);
		acted = 0;
		peerlink_tick(1000);
		tpeer_recv(&a, 1000);
		tpeer_recv(&b, 1000);
		send_verdict(&a);
		peerlink_event(0, 1100);
		send_verdict(&b);
		peerlink_event(0, 11100);       /* exactly the window later */
		CHECK_INT(acted, 0);
		tpeer_close(&a);
		tpeer_close(&b);
	}
	TEST("peerlink: the rescue system counts a valid verdict and ignores it") {
		uint64_t cur = log_ring_head();
		tpeer_open(&a);
		configure("system = rescue\n", &a, NULL, 1000);
		acted = 0;
		peerlink_tick(1000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		send_verdict(&a);
		peerlink_event(0, 1100);
		CHECK_INT(acted, 0);
		CHECK_CONTAINS(status(1100), "ok 1, dropped 0");
		CHECK_CONTAINS(status(1100), "(rescue system: verdicts ignored)");
		CHECK_CONTAINS(status_json(1100), "\"system\":\"rescue\"");
		CHECK_INT(log_count(&cur, "ignored: this is the rescue system"), 1);
		tpeer_close(&a);
	}
}

static void problems(void)
{
	struct tpeer a;
	TEST("peerlink: a key readable by others: nothing sent, status says why") {
		const char *k = temp_file(KEYHEX "\n");
		chmod(k, 0644);
		const char *saved = keypath;
		keypath = k;
		uint64_t cur = log_ring_head();
		tpeer_open(&a);
		configure("", &a, NULL, 1000);
		peerlink_tick(1000);
		peerlink_tick(2000);
		CHECK_INT(tpeer_recv(&a, 200), -1);
		CHECK_CONTAINS(status(2000), "keepalive: NOT SENDING: ");
		CHECK_CONTAINS(status(2000), k);
		CHECK_CONTAINS(status_json(2000), "\"sending\":false,\"problem\":\"");
		/* logged once, not once per interval */
		CHECK_INT(log_count(&cur, "keepalive: not sending: "), 1);
		/* fixed without a reload: the next round sends */
		chmod(k, 0600);
		peerlink_tick(3000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		CHECK_CONTAINS(status(3000), "keepalive: host web1,");
		CHECK_CONTAINS(status_json(3000), "\"sending\":true,\"problem\":null");
		keypath = saved;
		tpeer_close(&a);
	}
	TEST("peerlink: a missing key file: nothing sent") {
		const char *saved = keypath;
		keypath = "/nonexistent/keepalive.key";
		tpeer_open(&a);
		configure("", &a, NULL, 1000);
		peerlink_tick(1000);
		CHECK_INT(tpeer_recv(&a, 200), -1);
		CHECK_CONTAINS(status(1000), "NOT SENDING: ");
		CHECK_CONTAINS(status(1000), "/nonexistent/keepalive.key");
		keypath = saved;
		tpeer_close(&a);
	}
}

static void rate_limit(void)
{
	struct tpeer a;
	uint8_t d[KA_SIZE];
	TEST("peerlink: 50 forged verdicts: one log line, then one with the rest 10s later") {
		tpeer_open(&a);
		configure("", &a, NULL, 100000);
		peerlink_tick(100000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		uint64_t cur = log_ring_head();
		for (int i = 0; i < 50; i++) {
			verdict_bytes(&a, badkey, "web1", a.last.seq, d);
			tpeer_send(&a, d, sizeof d);
		}
		peerlink_event(0, 100100);
		CHECK_INT(log_count(&cur, "dropped"), 1);
		CHECK_INT(peerlink_next_deadline(), 101000);   /* the next send */
		peerlink_tick(101000);
		tpeer_drain(&a);
		CHECK_INT(log_count(&cur, "dropped"), 0);
		for (uint64_t t = 102000; t < 110100; t += 1000) {
			peerlink_tick(t);
			tpeer_drain(&a);
		}
		CHECK_INT(log_count(&cur, "dropped"), 0);
		CHECK_INT(peerlink_next_deadline(), 110100);
		peerlink_tick(110100);
		uint64_t c2 = cur;
		/* 16 MAC checks in that second (MAC_PER_SEC), the rest unread */
		CHECK_INT(log_count(&cur, "dropped 49 datagram(s): bad-mac 15, rate 34"), 1);
		CHECK_INT(log_count(&c2, "dropped"), 1);        /* and no other line */
		CHECK_CONTAINS(status(110100), "dropped 50 (bad-mac 16, rate 34)");
		tpeer_close(&a);
	}
}

/* The peer line's "dropped N" of a status text. */
static long dropped_of(const char *st)
{
	const char *p = strstr(st, "  peer ");
	p = p ? strstr(p, ", dropped ") : NULL;
	return p ? atol(p + 10) : -1;
}

/* Issue #12: what a flood costs PID 1.  Datagrams that could never be a
 * verdict for us (wrong echo of our keepalives, wrong host, wrong type)
 * are dropped before the HMAC; those that echo a recent keepalive get at
 * most MAC_PER_SEC (16) HMACs per peer a second; the rest is "rate". */
static void flood_cases(void)
{
	struct tpeer a;
	uint8_t d[KA_SIZE];
	TEST("peerlink: a flood: no HMAC for what cannot be ours, 16 a second for the rest") {
		tpeer_open(&a);
		/* the peer's own address, as a flood forges it */
		struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(a.port),
					    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		configure("", &a, NULL, 200000);
		peerlink_tick(200000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		acted = 0;
		/* echoing a keepalive we never sent: stale, unread */
		for (int i = 0; i < 40; i++) {
			verdict_bytes(&a, badkey, "web1", a.last.seq + 1000, d);
			CHECK_INT(peerlink_receive(d, sizeof d, (struct sockaddr *)&from,
						   sizeof from, 200100), KA_STALE);
		}
		/* echoing the last one, forged: 16 MAC checks, then rate */
		int mac = 0, rate = 0;
		for (int i = 0; i < 100; i++) {
			verdict_bytes(&a, badkey, "web1", a.last.seq, d);
			int r = peerlink_receive(d, sizeof d, (struct sockaddr *)&from,
						 sizeof from, 200200);
			mac += r == KA_BAD_MAC;
			rate += r == KA_RATE;
		}
		CHECK_INT(mac, 16);
		CHECK_INT(rate, 84);
		/* a genuine verdict the next second: checked and acted on */
		verdict_bytes(&a, key, "web1", a.last.seq, d);
		CHECK_INT(peerlink_receive(d, sizeof d, (struct sockaddr *)&from, sizeof from,
					   201000), KA_OK);
		CHECK_INT(acted, 1);
		CHECK_CONTAINS(status(201000), "dropped 140 (bad-mac 16, stale 40, rate 84)");
		tpeer_close(&a);
	}
	TEST("peerlink: past 512 datagrams in a second the socket is not read until the next") {
		tpeer_open(&a);
		configure("interval = 5s\n", &a, NULL, 300000);
		peerlink_tick(300000);
		CHECK_INT(tpeer_recv(&a, 1000), 0);
		for (int i = 0; i < 8; i++)
			peerlink_event(0, 299999);      /* whatever the cases before left */
		long d0 = dropped_of(status(300000));
		uint8_t junk[KA_SIZE] = { 0 };
		/* 600 in batches of 100 (the socket's buffer holds about 256),
		 * read as they come, all in the same second */
		for (int batch = 0; batch < 6; batch++) {
			for (int i = 0; i < 100; i++)
				tpeer_send(&a, junk, sizeof junk);
			for (int i = 0; i < 4; i++)
				peerlink_event(0, 300500);
		}
		long d1 = dropped_of(status(300500));
		CHECK_MSG(d1 - d0 == 512, "read %ld in the second, not 512", d1 - d0);
		CHECK_CONTAINS(status(300500), ", flooded 1 s (read 512 a second then)");
		CHECK_CONTAINS(status_json(300500), "\"flooded_seconds\":1,");
		CHECK_INT(peerlink_next_deadline(), 301000);    /* reading again then */
		peerlink_tick(301000);
		tpeer_drain(&a);
		peerlink_event(0, 301000);      /* 64 an event: twice for the 88 left */
		peerlink_event(0, 301000);
		long d2 = dropped_of(status(301000));
		CHECK_MSG(d2 - d0 == 600, "read %ld in all, not 600", d2 - d0);
		tpeer_close(&a);
	}
}

/* The status head must fit in one control answer (4096 bytes) with
 * everything else: 8 peers with long IPv6 addresses and drops of several
 * kinds take one line each. */
static void status_size(void)
{
	TEST("peerlink: status of 8 IPv6 peers with drops stays under 1600 bytes") {
		char text[2048];
		int o = snprintf(text, sizeof text, "[keepalive]\nkey = %s\nhost = "
				 "abcdefghijabcdefghijabcdefghij1\nquorum = 8\n", keypath);
		for (int i = 0; i < 8; i++)
			o += snprintf(text + o, sizeof text - (size_t)o,
				      "peer = [2001:db8:1234:5678:9abc:def0:1234:567%d]:6552%d\n", i, i);
		CHECK_INT(parse_text(&parser, &cfg, &cap, text, -1), 0);
		peerlink_configure(&empty, 1000);
		peerlink_configure(&cfg, 1000);
		peerlink_tick(1000);
		uint8_t zero[KA_SIZE] = { 0 };
		for (int i = 0; i < 8; i++) {
			struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
			char a[64];
			snprintf(a, sizeof a, "2001:db8:1234:5678:9abc:def0:1234:567%d", i);
			inet_pton(AF_INET6, a, &s6.sin6_addr);
			s6.sin6_port = htons((uint16_t)(65520 + i));
			CHECK_INT(peerlink_receive(zero, 1, (struct sockaddr *)&s6, sizeof s6, 1100),
				  KA_BAD_SIZE);
			CHECK_INT(peerlink_receive(zero, sizeof zero, (struct sockaddr *)&s6,
						   sizeof s6, 1100), KA_BAD_VERSION);
			s6.sin6_port = htons(1);
			CHECK_INT(peerlink_receive(zero, sizeof zero, (struct sockaddr *)&s6,
						   sizeof s6, 1100), PL_UNKNOWN_PEER);
		}
		const char *st = status(1100);
		t_note("peerlink: status of 8 IPv6 peers: %zu bytes", strlen(st));
		CHECK_CONTAINS(st, "  peer [2001:db8:1234:5678:9abc:def0:1234:5677]:65527: last "
			       "verdict never, ok 0, dropped 3 (bad-size 1, bad-version 1, unknown-peer 1)");
		CHECK_MSG(strlen(st) < 1600, "%zu bytes: %s", strlen(st), st);
		const char *j = status_json(1100);
		CHECK_MSG(strlen(j) < 3000, "JSON %zu bytes", strlen(j));
	}
}

void suite_peerlink(void)
{
	keypath = temp_file(KEYHEX "\n");
	for (int i = 0; i < KA_KEY_SIZE; i++) {
		key[i] = (uint8_t)i;
		badkey[i] = (uint8_t)(i + 1);
	}
	if (geteuid() != 0) {
		/* ka_key_load wants a root-owned key file */
		t_note("peerlink: not root: its tests are skipped");
		return;
	}
	config_begin(&parser, &empty, NULL, NULL);
	config_end(&parser);
	peerlink_on_quorum = record;
	sending();
	state_bits();
	verdicts();
	quorum_and_rescue();
	problems();
	rate_limit();
	status_size();
	flood_cases();
	peerlink_configure(&empty, 0);
}
