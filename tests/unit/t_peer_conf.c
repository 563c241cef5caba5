/* lifeline-peer's configuration (peer/peer_conf.c): defaults, every key,
 * every error with its line and column, addresses and durations. */
#include "test.h"
#include "peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/stat.h>

#define HEXKEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

struct rep {
	int n;
	int line[16], col[16];
	char msg[16][400];
};

static void rep_fn(void *ctx, const char *file, int line, int col, const char *msg)
{
	struct rep *r = ctx;

	if (r->n < 16) {
		r->line[r->n] = line;
		r->col[r->n] = col;
		snprintf(r->msg[r->n], sizeof r->msg[0], "%s", msg);
	}
	r->n++;
}

/* Files of these tests, in one temporary directory (the harness has a
 * limited number of temporary slots). */
static const char *peer_file(const char *name, const char *content, mode_t mode)
{
	static const char *dir;
	static char path[8][300];
	static int n;
	char *p = path[n++ % 8];

	if (!dir)
		dir = temp_dir();
	snprintf(p, 300, "%s/%s", dir, name);
	if (write_file(dir, name, content, strlen(content)) != 0 || chmod(p, mode) != 0)
		FAIL("cannot write %s", p);
	return p;
}

static const char *good_key(void)
{
	static char p[300];

	if (!p[0])
		snprintf(p, sizeof p, "%s", peer_file("good.key", HEXKEY "\n", 0600));
	return p;
}

/* Parse text with "KEY" replaced by a valid key file's path. */
static int parse(struct lp_conf *c, struct rep *r, const char *text)
{
	const char *k = strstr(text, "KEY");
	size_t cap = strlen(text) * 4 + 1024, o = 0;
	char *buf = malloc(cap);
	int n;

	memset(r, 0, sizeof *r);
	lp_conf_init(c);
	if (!buf)
		return -1;
	while (k) {
		memcpy(buf + o, text, (size_t)(k - text));
		o += (size_t)(k - text);
		o += (size_t)snprintf(buf + o, cap - o, "%s", good_key());
		text = k + 3;
		k = strstr(text, "KEY");
	}
	o += (size_t)snprintf(buf + o, cap - o, "%s", text);
	n = lp_conf_parse(c, "peer.conf", buf, o, rep_fn, r);
	free(buf);
	return n;
}

#define HOST "[host web1]\nkey = KEY\naddress = 192.0.2.10\n"

/* One error expected, at line:col, its message containing want. */
static void expect_error(const char *text, int line, int col, const char *want)
{
	struct lp_conf c;
	struct rep r;
	int n = parse(&c, &r, text);

	CHECK_MSG(n == 1 && r.n == 1, "%d errors (first: %s)", n, r.msg[0]);
	CHECK_INT(r.line[0], line);
	CHECK_INT(r.col[0], col);
	CHECK_CONTAINS(r.msg[0], want);
	lp_conf_free(&c);
}

static void default_tests(void)
{
	TEST("peer conf: defaults") {
		struct lp_conf c;
		struct rep r;
		char a[64];

		CHECK_INT(parse(&c, &r, HOST), 0);
		CHECK_INT(c.nlisten, 2);
		lp_addr_str(&c.listen[0], a, sizeof a);
		CHECK_STR(a, "0.0.0.0:7500");
		lp_addr_str(&c.listen[1], a, sizeof a);
		CHECK_STR(a, "[::]:7500");
		CHECK_INT(c.listen_explicit, 0);
		CHECK_INT(c.grace_ms, 600000);
		CHECK_INT(c.probe_interval_ms, 10000);
		CHECK_INT(c.probe_timeout_ms, 5000);
		CHECK_INT(c.verdict_interval_ms, 5000);
		CHECK_INT(c.down_after_ms, 10000);
		CHECK_INT(c.metrics_interval_ms, 15000);
		CHECK_INT(c.silence_verdict, 0);
		CHECK_INT(c.syslog, 0);
		CHECK_STR(c.socket, "/run/lifeline-peer.sock");
		CHECK_STR(c.metrics, "/var/lib/prometheus/node-exporter/lifeline_peer.prom");
		CHECK_INT(c.nhosts, 1);
		/* the default probes: the address on 22 and 2222 */
		CHECK_INT(c.host[0].nssh, 2);
		lp_addr_str(&c.host[0].ssh[0], a, sizeof a);
		CHECK_STR(a, "192.0.2.10:22");
		lp_addr_str(&c.host[0].ssh[1], a, sizeof a);
		CHECK_STR(a, "192.0.2.10:2222");
		CHECK_INT(c.host[0].key[0], 0x00);
		CHECK_INT(c.host[0].key[31], 0x1f);
		lp_conf_free(&c);
	}
	TEST("peer conf: every key of [peer] and [host]") {
		struct lp_conf c;
		struct rep r;
		char a[64];
		int n = parse(&c, &r,
			      "# a comment\n"
			      "[peer]\n"
			      "listen = 127.0.0.1:7600   # after a space: a comment\n"
			      "listen = [::1]:7601\n"
			      "grace = 3s\n"
			      "probe_interval = 500ms\n"
			      "probe_timeout = 2\n"
			      "verdict_interval = 1m\n"
			      "down_after = 1h\n"
			      "silence = verdict\n"
			      "socket = /tmp/x.sock\n"
			      "metrics = no\n"
			      "metrics_interval = 30s\n"
			      "syslog = yes\n"
			      "\n"
			      "[host web1]\r\n"
			      "key = KEY\n"
			      "address = 2001:db8::10\n"
			      "ssh = [2001:db8::10]:22 192.0.2.1:2200\n"
			      "[host db-2.example_org]\n"
			      "key = KEY\n"
			      "address = [2001:db8::11]\n"
			      "ssh = no\n");

		CHECK_MSG(n == 0, "%d errors: %s", n, r.msg[0]);
		CHECK_INT(c.nlisten, 2);
		CHECK_INT(c.listen_explicit, 1);
		lp_addr_str(&c.listen[0], a, sizeof a);
		CHECK_STR(a, "127.0.0.1:7600");
		lp_addr_str(&c.listen[1], a, sizeof a);
		CHECK_STR(a, "[::1]:7601");
		CHECK_INT(c.grace_ms, 3000);
		CHECK_INT(c.probe_interval_ms, 500);
		CHECK_INT(c.probe_timeout_ms, 2000);
		CHECK_INT(c.verdict_interval_ms, 60000);
		CHECK_INT(c.down_after_ms, 3600000);
		CHECK_INT(c.silence_verdict, 1);
		CHECK_STR(c.socket, "/tmp/x.sock");
		CHECK_STR(c.metrics, "");
		CHECK_INT(c.metrics_interval_ms, 30000);
		CHECK_INT(c.syslog, 1);
		CHECK_INT(c.nhosts, 2);
		CHECK_STR(c.host[0].name, "web1");
		lp_addr_str(&c.host[0].addr, a, sizeof a);
		CHECK_STR(a, "2001:db8::10");
		CHECK_INT(c.host[0].nssh, 2);
		lp_addr_str(&c.host[0].ssh[0], a, sizeof a);
		CHECK_STR(a, "[2001:db8::10]:22");
		lp_addr_str(&c.host[0].ssh[1], a, sizeof a);
		CHECK_STR(a, "192.0.2.1:2200");
		CHECK_STR(c.host[1].name, "db-2.example_org");
		CHECK_INT(c.host[1].nssh, 0);
		CHECK_INT(c.host[1].line, 20);
		lp_conf_free(&c);
	}
	TEST("peer conf: a thousand hosts (the table grows while parsing)") {
		static char text[200000];
		struct lp_conf c;
		struct rep r;
		size_t o = 0;
		int ok = 1;

		for (int i = 0; i < 1000; i++)
			o += (size_t)snprintf(text + o, sizeof text - o,
					      "[host h%d]\nkey = KEY\naddress = 10.0.%d.%d\nssh = no\n",
					      i, i / 256, i % 256);
		CHECK_INT(parse(&c, &r, text), 0);
		CHECK_INT(c.nhosts, 1000);
		for (int i = 0; i < c.nhosts && ok; i++) {
			char want[16];

			snprintf(want, sizeof want, "h%d", i);
			ok = !strcmp(c.host[i].name, want) && c.host[i].addr.ip[2] == i / 256 &&
			     c.host[i].addr.ip[3] == i % 256 && c.host[i].line == 4 * i + 1;
			CHECK_MSG(ok, "host %d is %s", i, c.host[i].name);
		}
		lp_conf_free(&c);
	}
}

static void error_tests(void)
{
	static const struct {
		const char *name, *text;
		int line, col;
		const char *want;
	} e[] = {
		{ "unknown key", "[peer]\ngrase = 3s\n" HOST, 2, 1, "unknown key 'grase' in [peer]" },
		{ "unknown host key", HOST "port = 22\n", 4, 1, "unknown key 'port' in [host web1]" },
		{ "bad duration", "[peer]\ngrace = 3 s\n" HOST, 2, 9, "bad duration '3 s' for grace" },
		{ "grace too short", "[peer]\ngrace = 900ms\n" HOST, 2, 9, "at least 1000ms" },
		{ "probe_timeout too short", "[peer]\nprobe_timeout = 50ms\n" HOST, 2, 17,
		  "at least 100ms" },
		{ "down_after too short", "[peer]\ndown_after = 10ms\n" HOST, 2, 14, "too short" },
		{ "unknown section", "[peers]\n" HOST, 1, 2, "unknown section 'peers'" },
		{ "[peer] with a name", "[peer x]\n" HOST, 1, 7, "[peer] takes no name" },
		{ "missing ]", "[host web2\n" HOST, 1, 11, "missing ']'" },
		{ "text after ]", "[peer] x\n" HOST, 1, 8, "unexpected text after ']'" },
		{ "host without name", "[host]\n" HOST, 1, 6, "section needs a name" },
		{ "bad host name", "[host web/1]\n" HOST, 1, 7, "bad host name 'web/1'" },
		{ "host name too long", "[host abcdefghijabcdefghijabcdefghij12]\n" HOST, 1, 7,
		  "bad host name" },
		{ "duplicate host", HOST HOST, 4, 7, "duplicate host 'web1' (first at line 1)" },
		{ "host without key", "[host web1]\naddress = 192.0.2.1\n", 1, 1, "needs a key" },
		{ "host without address", "[host web1]\nkey = KEY\n", 1, 1, "needs an address" },
		{ "address with a port", "[host web1]\nkey = KEY\naddress = 192.0.2.1:22\n", 3, 11,
		  "bad address '192.0.2.1:22'" },
		{ "bad address", "[host web1]\nkey = KEY\naddress = 192.0.2\n", 3, 11, "bad address" },
		{ "ssh target without a port", HOST "ssh = 192.0.2.10:22 192.0.2.10\n", 4, 21,
		  "bad ssh target '192.0.2.10'" },
		{ "ssh port 0", HOST "ssh = 192.0.2.10:0\n", 4, 7, "bad ssh target" },
		{ "ssh port 65536", HOST "ssh = 192.0.2.10:65536\n", 4, 7, "bad ssh target" },
		{ "too many ssh targets", HOST "ssh = 1.1.1.1:1 1.1.1.1:2 1.1.1.1:3 1.1.1.1:4 1.1.1.1:5\n",
		  4, 47, "too many ssh targets" },
		{ "bad listen", "[peer]\nlisten = localhost:7500\n" HOST, 2, 10, "bad listen address" },
		{ "bad IPv6 listen", "[peer]\nlisten = [::1:7500\n" HOST, 2, 10, "bad listen address" },
		{ "silence", "[peer]\nsilence = loud\n" HOST, 2, 11, "silence must be down or verdict" },
		{ "syslog", "[peer]\nsyslog = 1\n" HOST, 2, 10, "syslog must be yes or no" },
		{ "relative socket", "[peer]\nsocket = peer.sock\n" HOST, 2, 10, "absolute path" },
		{ "relative metrics", "[peer]\nmetrics = x.prom\n" HOST, 2, 11, "absolute path" },
		{ "missing value", "[peer]\ngrace =\n" HOST, 2, 8, "missing value for 'grace'" },
		{ "no =", "[peer]\ngrace 3s\n" HOST, 2, 7, "expected '='" },
		{ "key outside a section", "grace = 3s\n" HOST, 1, 1, "key outside of any section" },
		{ "control character", "[peer]\ngrace = 3s\x01\n" HOST, 2, 11, "control character" },
		{ "missing key file", "[host web1]\nkey = /nonexistent/web1.key\naddress = 192.0.2.1\n",
		  2, 7, "/nonexistent/web1.key: No such file or directory" },
		{ "relative key file", "[host web1]\nkey = web1.key\naddress = 192.0.2.1\n", 2, 7,
		  "absolute path" },
		{ "no host at all", "[peer]\ngrace = 3s\n", 2, 0, "no [host NAME] section" },
	};

	for (size_t i = 0; i < sizeof e / sizeof e[0]; i++)
		TEST("peer conf error: %s", e[i].name)
			expect_error(e[i].text, e[i].line, e[i].col, e[i].want);
	TEST("peer conf error: a key file readable by others is refused, saying why") {
		char text[512];
		const char *k = peer_file("open.key", HEXKEY "\n", 0644);

		snprintf(text, sizeof text, "[host web1]\nkey = %s\naddress = 192.0.2.1\n", k);
		expect_error(text, 2, 7, "is readable by others (mode 0644): chmod 600");
	}
	TEST("peer conf error: a key file that is not a key") {
		char text[512];
		const char *k = peer_file("short.key", "0123\n", 0600);

		snprintf(text, sizeof text, "[host web1]\nkey = %s\naddress = 192.0.2.1\n", k);
		expect_error(text, 2, 7, "64 hex digits");
	}
	TEST("peer conf error: keys under a broken header are not reported again") {
		struct lp_conf c;
		struct rep r;

		CHECK_INT(parse(&c, &r, "[hots web1]\nkey = KEY\naddress = 192.0.2.1\n" HOST), 1);
		CHECK_CONTAINS(r.msg[0], "unknown section 'hots'");
		lp_conf_free(&c);
	}
	TEST("peer conf: a missing file is reported") {
		struct lp_conf c;
		struct rep r;

		memset(&r, 0, sizeof r);
		lp_conf_init(&c);
		CHECK_INT(lp_conf_load(&c, "/nonexistent/peer.conf", rep_fn, &r), 1);
		CHECK_CONTAINS(r.msg[0], "cannot open: No such file");
	}
	TEST("peer conf: load reads a file") {
		struct lp_conf c;
		struct rep r;
		char text[512];

		snprintf(text, sizeof text, "[peer]\ngrace = 7s\n[host a]\nkey = %s\naddress = ::1\n",
			 good_key());
		memset(&r, 0, sizeof r);
		lp_conf_init(&c);
		CHECK_INT(lp_conf_load(&c, peer_file("peer.conf", text, 0644), rep_fn, &r), 0);
		CHECK_INT(c.grace_ms, 7000);
		CHECK_INT(c.nhosts, 1);
		CHECK_INT(c.host[0].addr.family, AF_INET6);
		lp_conf_free(&c);
	}
}

static void addr_tests(void)
{
	static const struct {
		const char *in;
		int need;
		const char *out;        /* NULL: refused */
	} a[] = {
		{ "1.2.3.4", 0, "1.2.3.4:7500" },
		{ "1.2.3.4:22", 0, "1.2.3.4:22" },
		{ "1.2.3.4:22", -1, NULL },
		{ "1.2.3.4", 1, NULL },
		{ "[::1]:22", 1, "[::1]:22" },
		{ "[::1]", -1, "::1" },
		{ "::1", -1, "::1" },
		{ "::ffff:1.2.3.4", -1, "::ffff:1.2.3.4" },
		{ "[::1]x", 0, NULL },
		{ "[::1]:", 0, NULL },
		{ "1.2.3.4:", 0, NULL },
		{ "1.2.3.4:-1", 0, NULL },
		{ "1.2.3.4:070000", 0, NULL },
		{ "", 0, NULL },
		{ "256.1.1.1", 0, NULL },
	};

	for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
		TEST("peer addr: '%s' (port %s)", a[i].in,
		     a[i].need > 0 ? "required" : a[i].need < 0 ? "forbidden" : "optional") {
			struct lp_addr ad;
			char s[64];
			int r = lp_addr_parse(a[i].in, strlen(a[i].in), a[i].need, 7500, &ad);

			if (!a[i].out) {
				CHECK_INT(r, -1);
			} else {
				CHECK_INT(r, 0);
				lp_addr_str(&ad, s, sizeof s);
				CHECK_STR(s, a[i].out);
			}
		}
	TEST("peer addr: a v4-mapped IPv6 source is the IPv4 address") {
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(5000) };
		struct lp_addr ad, want;

		inet_pton(AF_INET6, "::ffff:192.0.2.7", &s6.sin6_addr);
		CHECK_INT(lp_addr_from_sa((struct sockaddr *)&s6, &ad), 0);
		lp_addr_parse("192.0.2.7:5000", 14, 1, 0, &want);
		CHECK(lp_addr_eq_ip(&ad, &want));
		CHECK_INT(ad.port, 5000);
	}
	TEST("peer addr: to a sockaddr and back") {
		struct lp_addr a1, a2;
		struct sockaddr_storage ss;

		lp_addr_parse("[2001:db8::5]:7500", 18, 1, 0, &a1);
		lp_addr_to_sa(&a1, &ss);
		CHECK_INT(lp_addr_from_sa((struct sockaddr *)&ss, &a2), 0);
		CHECK(lp_addr_eq_ip(&a1, &a2));
		CHECK_INT(a2.port, 7500);
		lp_addr_parse("192.0.2.1", 9, -1, 0, &a2);
		CHECK(!lp_addr_eq_ip(&a1, &a2));
	}
}

static void duration_tests(void)
{
	TEST("peer durations: parse") {
		CHECK_INT(lp_duration_ms("10m", 3), 600000);
		CHECK_INT(lp_duration_ms("500ms", 5), 500);
		CHECK_INT(lp_duration_ms("30s", 3), 30000);
		CHECK_INT(lp_duration_ms("45", 2), 45000);
		CHECK_INT(lp_duration_ms("2h", 2), 7200000);
		CHECK_INT(lp_duration_ms("", 0), -1);
		CHECK_INT(lp_duration_ms("m", 1), -1);
		CHECK_INT(lp_duration_ms("5d", 2), -1);
		CHECK_INT(lp_duration_ms("1m30s", 5), -1);
		CHECK_INT(lp_duration_ms("999999999s", 10), -1);
	}
	TEST("peer durations: print") {
		char b[32];

		lp_duration_str(450, b, sizeof b);
		CHECK_STR(b, "450ms");
		lp_duration_str(3200, b, sizeof b);
		CHECK_STR(b, "3.2s");
		lp_duration_str(3000, b, sizeof b);
		CHECK_STR(b, "3s");
		lp_duration_str(59999, b, sizeof b);
		CHECK_STR(b, "59s");
		lp_duration_str(598000, b, sizeof b);
		CHECK_STR(b, "9m58s");
		lp_duration_str(7260000, b, sizeof b);
		CHECK_STR(b, "2h01m");
		lp_duration_str(-5, b, sizeof b);
		CHECK_STR(b, "0ms");
	}
}

void suite_peer_conf(void);
void suite_peer_conf(void)
{
	default_tests();
	error_tests();
	addr_tests();
	duration_tests();
}
