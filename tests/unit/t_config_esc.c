/* The escalation sections of lifeline.conf: [keepalive], [rescue] and
 * [watchdog] (issue #6): defaults, every key, every error with its
 * position, and the checks made when the whole config has been read. */
#include "test.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <sys/socket.h>

static struct config cfg;
static struct config_parser parser;
static struct capture cap;

static int parse(const char *text)
{
	return parse_text(&parser, &cfg, &cap, text, (int)strlen(text));
}

#define KA "[keepalive]\npeer = 192.0.2.10\n"   /* two good lines */

struct bad_case {
	const char *text;
	int line, col;
	const char *msg;
};

static const struct bad_case bad[] = {
	{ "[keepalive] x\n", 1, 13, "unexpected text after ']'" },
	{ "[keepalive x]\n", 1, 12, "[keepalive] takes no name" },
	{ "[rescue now]\n", 1, 9, "[rescue] takes no name" },
	{ "[watchdog 1]\n", 1, 11, "[watchdog] takes no name" },
	{ "[keepalive]\n", 1, 1, "[keepalive] needs at least one peer" },
	{ "[keepalive]\npeer = 10.0.0.2\npeer = 10.0.0.1 keys/a\n", 3, 17,
	  "peer: the key file must be an absolute path" },
	{ "[keepalive]\nhost = web1\n", 1, 1, "[keepalive] needs at least one peer" },
	{ KA "foo = 1\n", 3, 1, "unknown key 'foo' in [keepalive]" },
	{ KA "exec = /bin/true\n", 3, 1, "unknown key 'exec' in [keepalive]" },
	{ "[rescue]\nfoo = 1\n", 2, 1, "unknown key 'foo' in [rescue]" },
	{ "[watchdog]\nfoo = 1\n", 2, 1, "unknown key 'foo' in [watchdog]" },
	{ KA "peer = 192.0.2.300\n", 3, 8, "'192.0.2.300' is not an IPv4 address" },
	{ KA "peer = peer.example.com:7500\n", 3, 8, "host names are not resolved" },
	{ KA "peer = 2001:db8::1\n", 3, 8, "write an IPv6 address in brackets" },
	{ KA "peer = [2001:db8::1\n", 3, 20, "missing ']' after the IPv6 address" },
	{ KA "peer = [2001:db8::1]7500\n", 3, 21, "expected ':PORT' after ']'" },
	{ KA "peer = [192.0.2.1]:7500\n", 3, 9, "is not an IPv6 address" },
	{ KA "peer = [zz]:7500\n", 3, 9, "'zz' is not an IPv6 address" },
	{ KA "peer = []:7500\n", 3, 9, "missing or too long address" },
	{ KA "peer = :7500\n", 3, 8, "missing or too long address" },
	{ KA "peer = 192.0.2.11:0\n", 3, 19, "port must be a number from 1 to 65535" },
	{ KA "peer = 192.0.2.11:65536\n", 3, 19, "port must be a number from 1 to 65535" },
	{ KA "peer = 192.0.2.11:\n", 3, 19, "port must be a number from 1 to 65535" },
	{ KA "peer = [2001:db8::1]:x\n", 3, 22, "port must be a number" },
	{ KA "peer = 192.0.2.10:7500\n", 3, 8, "peer 192.0.2.10:7500 given twice" },
	{ "[keepalive]\npeer = [2001:db8::1]\npeer = [2001:db8:0::1]:7500\n", 3, 8,
	  "peer [2001:db8:0::1]:7500 given twice" },
	{ "[keepalive]\npeer = 10.0.0.1\npeer = 10.0.0.2\npeer = 10.0.0.3\n"
	  "peer = 10.0.0.4\npeer = 10.0.0.5\npeer = 10.0.0.6\npeer = 10.0.0.7\n"
	  "peer = 10.0.0.8\npeer = 10.0.0.9\n", 10, 8, "too many peers (at most 8)" },
	{ KA "key = keepalive.key\n", 3, 7, "key must be an absolute path" },
	{ KA "host = web 1\n", 3, 11, "invalid character in host" },
	{ KA "host = web1/a\n", 3, 12, "invalid character in host" },
	{ KA "host = abcdefghijabcdefghijabcdefghij12\n", 3, 8,
	  "host too long (at most 31 bytes)" },
	{ KA "interval = 99ms\n", 3, 12, "interval must be from 100ms to 60s" },
	{ KA "interval = 61s\n", 3, 12, "interval must be from 100ms to 60s" },
	{ KA "interval = 2x\n", 3, 12, "bad duration '2x'" },
	{ KA "quorum = 0\n", 3, 10, "quorum must be a number from 1 to 8" },
	{ KA "quorum = 9\n", 3, 10, "quorum must be a number from 1 to 8" },
	{ KA "quorum = 2\n", 3, 10, "quorum 2 is more than the 1 peer given" },
	{ KA "quorum_window = 50ms\n", 3, 17, "quorum_window must be from 100ms to 24h" },
	{ KA "port = 65536\n", 3, 8, "port must be a number from 0 to 65535" },
	{ KA "port = -1\n", 3, 8, "port must be a number from 0 to 65535" },
	{ KA "system = recovery\n", 3, 10, "system must be normal or rescue" },
	{ "[rescue]\nimage = rescue.img\n", 2, 9, "image must be an absolute path" },
	{ "[rescue]\nkernel = vmlinuz\n", 2, 10, "kernel must be an absolute path" },
	{ "[rescue]\nsnapshot = netsnap\n", 2, 12, "snapshot must be an absolute path" },
	{ "[rescue]\ncrash = maybe\n", 2, 9, "crash must be yes or no" },
	{ "[rescue]\narm = 2\n", 2, 7, "arm must be yes or no" },
	{ "[rescue]\nport = 0\n", 2, 8, "port must be a number from 1 to 65535" },
	{ "[rescue]\nmethod = efi\n", 2, 10, "method must be auto, kexec or grub" },
	{ "[rescue]\ngrubenv = grubenv\n", 2, 11, "grubenv must be an absolute path" },
	{ "[rescue]\ngrub_cfg = grub.cfg\n", 2, 12, "grub_cfg must be an absolute path" },
	{ "[rescue]\narmed_image = x.img\n", 2, 15, "armed_image must be an absolute path" },
	{ "[rescue]\ngrub_entry = 'rescue'\n", 2, 14, "grub_entry must be 1 to 63 letters" },
	{ "[watchdog]\ndevice = watchdog\n", 2, 10, "device must be an absolute path" },
	{ "[watchdog]\ntimeout = 999ms\n", 2, 11, "timeout must be from 1s to 3600s" },
	{ "[watchdog]\ntimeout = 61m\n", 2, 11, "timeout must be from 1s to 3600s" },
	{ "[watchdog]\ninterval = 50ms\n", 2, 12, "interval must be 0 (a quarter of the" },
	{ "[watchdog]\ninterval = often\n", 2, 12, "bad duration 'often'" },
	{ "[watchdog]\ninterval = 31s\n", 2, 12,
	  "interval must be at most half the timeout (30000ms)" },
	{ "[watchdog]\ntimeout = 10s\ninterval = 6s\n", 3, 12,
	  "interval must be at most half the timeout (5000ms)" },
	/* interval checked against a timeout given after it */
	{ "[watchdog]\ninterval = 20s\ntimeout = 30s\n", 2, 12,
	  "interval must be at most half the timeout (15000ms)" },
};

static void check_bad(unsigned i, const struct bad_case *b)
{
	TEST("config escalation error %u: %s", i, b->msg) {
		int ret = parse(b->text);
		CHECK_MSG(cap.n == 1, "%d reports: %s", cap.n, capture_str(&cap));
		CHECK_MSG(ret >= 1, "config_end returned %d", ret);
		if (cap.n >= 1) {
			CHECK_STR(cap.r[0].file, "test.conf");
			CHECK_MSG(cap.r[0].line == b->line && cap.r[0].col == b->col,
				  "reported at %d:%d, expected %d:%d (%s)", cap.r[0].line,
				  cap.r[0].col, b->line, b->col, cap.r[0].msg);
			CHECK_CONTAINS(cap.r[0].msg, b->msg);
		}
	}
}

static int parse_clean(const char *text)
{
	int ret = parse(text);
	CHECK_MSG(cap.n == 0, "unexpected reports: %s", capture_str(&cap));
	CHECK_INT(ret, 0);
	return ret;
}

static void defaults(void)
{
	TEST("config: without the sections escalation is off") {
		parse_clean("[service a]\nexec = /bin/true\n");
		CHECK_INT(cfg.ka.present, 0);
		CHECK_INT(cfg.rescue.present, 0);
		CHECK_INT(cfg.wd.present, 0);
	}
	TEST("config: [keepalive] defaults") {
		parse_clean(KA);
		CHECK_INT(cfg.ka.present, 1);
		CHECK_INT(cfg.ka.npeers, 1);
		CHECK_STR(cfg.ka.key, "/etc/lifeline/keepalive.key");
		CHECK_STR(cfg.ka.host, "");
		CHECK_INT(cfg.ka.interval_ms, 2000);
		CHECK_INT(cfg.ka.quorum, 1);
		CHECK_INT(cfg.ka.quorum_window_ms, 60000);
		CHECK_INT(cfg.ka.port, 0);
		CHECK_INT(cfg.ka.rescue, 0);
		CHECK_INT(cfg.rescue.present, 0);
	}
	TEST("config: [rescue] defaults") {
		parse_clean("[rescue]\n");
		CHECK_INT(cfg.rescue.present, 1);
		CHECK_STR(cfg.rescue.image, "/boot/lifeline-rescue.img");
		CHECK_STR(cfg.rescue.kernel, "");
		CHECK_STR(cfg.rescue.snapshot, "/usr/lib/lifeline/netsnap");
		CHECK_STR(cfg.rescue.cmdline, "");
		CHECK_INT(cfg.rescue.crash, 1);
		CHECK_INT(cfg.rescue.arm, 1);
		CHECK_INT(cfg.rescue.port, 2222);
		CHECK_INT(cfg.ka.present, 0);
	}
	TEST("config: [watchdog] defaults") {
		parse_clean("[watchdog]\n");
		CHECK_INT(cfg.wd.present, 1);
		CHECK_STR(cfg.wd.device, "/dev/watchdog");
		CHECK_INT(cfg.wd.timeout_ms, 60000);
		CHECK_INT(cfg.wd.interval_ms, 0);
	}
}

static void every_key(void)
{
	TEST("config: every [keepalive] key") {
		parse_clean("[keepalive]\n"
			    "peer = 192.0.2.10:7600 /etc/lifeline/a.key   # first\n"
			    "peer = [2001:db8::1]:7501\t /etc/lifeline/b.key\n"
			    "peer = [::1]\n"
			    "peer = 198.51.100.7\n"
			    "key = /etc/lifeline/k.key\n"
			    "host = web-1.example_A\n"
			    "interval = 500ms\n"
			    "quorum = 3\n"
			    "quorum_window = 2m\n"
			    "port = 7499\n"
			    "system = rescue\n");
		CHECK_INT(cfg.ka.npeers, 4);
		const struct peer_conf *pc = cfg.ka.peer;
		uint8_t a4[4], a6[16], lo6[16];
		inet_pton(AF_INET, "192.0.2.10", a4);
		inet_pton(AF_INET6, "2001:db8::1", a6);
		inet_pton(AF_INET6, "::1", lo6);
		CHECK_STR(pc[0].text, "192.0.2.10:7600");
		CHECK_INT(pc[0].family, AF_INET);
		CHECK_INT(pc[0].port, 7600);
		CHECK(!memcmp(pc[0].addr, a4, 4));
		CHECK_STR(pc[1].text, "[2001:db8::1]:7501");
		CHECK_INT(pc[1].family, AF_INET6);
		CHECK_INT(pc[1].port, 7501);
		CHECK(!memcmp(pc[1].addr, a6, 16));
		CHECK_STR(pc[2].text, "[::1]:7500");
		CHECK_INT(pc[2].port, KA_DEFAULT_PORT);
		CHECK(!memcmp(pc[2].addr, lo6, 16));
		CHECK_STR(pc[3].text, "198.51.100.7:7500");
		CHECK_STR(pc[0].key, "/etc/lifeline/a.key");
		CHECK_STR(pc[1].key, "/etc/lifeline/b.key");
		CHECK_STR(pc[2].key, "");
		CHECK_STR(pc[3].key, "");
		CHECK_STR(cfg.ka.key, "/etc/lifeline/k.key");
		CHECK_STR(cfg.ka.host, "web-1.example_A");
		CHECK_INT(cfg.ka.interval_ms, 500);
		CHECK_INT(cfg.ka.quorum, 3);
		CHECK_INT(cfg.ka.quorum_window_ms, 120000);
		CHECK_INT(cfg.ka.port, 7499);
		CHECK_INT(cfg.ka.rescue, 1);
	}
	TEST("config: [keepalive] edges: 8 peers, quorum 8, 31-byte host") {
		parse_clean("[keepalive]\npeer = 10.0.0.1 /k/1\npeer = 10.0.0.2 /k/2\n"
			    "peer = 10.0.0.3 /k/3\npeer = 10.0.0.4 /k/4\npeer = 10.0.0.5 /k/5\n"
			    "peer = 10.0.0.6 /k/6\npeer = 10.0.0.7 /k/7\n"
			    "peer = 10.0.0.1:7501 /k/8\nquorum = 8\n"
			    "host = abcdefghijabcdefghijabcdefghij1\n"
			    "interval = 100ms\nsystem = normal\n");
		CHECK_INT(cfg.ka.npeers, 8);
		CHECK_INT(cfg.ka.quorum, 8);
		CHECK_INT(strlen(cfg.ka.host), 31);
		CHECK_INT(cfg.ka.interval_ms, 100);
		CHECK_INT(cfg.ka.rescue, 0);
	}
	TEST("config: quorum may come before the peers it counts") {
		parse_clean("[keepalive]\nquorum = 2\npeer = 10.0.0.1\npeer = 10.0.0.2 /k/b\n");
		CHECK_INT(cfg.ka.quorum, 2);
	}
	TEST("config: quorum 2 with one key for both peers: a warning, not an error") {
		int ret = parse("[keepalive]\npeer = 10.0.0.1\npeer = 10.0.0.2\nquorum = 2\n");
		CHECK_INT(ret, 0);
		CHECK_INT(cap.n, 1);
		if (cap.n == 1) {
			CHECK_INT(cap.r[0].line, 4);
			CHECK_CONTAINS(cap.r[0].msg, "warning: quorum 2, but the peers share a key");
		}
		/* the same file named twice is one key */
		ret = parse("[keepalive]\npeer = 10.0.0.1 /k/a\npeer = 10.0.0.2 /k/a\nquorum = 2\n");
		CHECK_INT(ret, 0);
		CHECK_INT(cap.n, 1);
		/* the [keepalive] key for one, its own for the other: two keys */
		parse_clean("[keepalive]\npeer = 10.0.0.1\npeer = 10.0.0.2 /k/a\nquorum = 2\n");
	}
	TEST("config: every [rescue] key") {
		parse_clean("[rescue]\n"
			    "image = /boot/r.img\n"
			    "kernel = /boot/vmlinuz-6.1.0-57-amd64\n"
			    "snapshot = /usr/local/bin/snap\n"
			    "cmdline = console=ttyS0 quiet\n"
			    "crash = no\n"
			    "arm = no\n"
			    "port = 2022\n");
		CHECK_STR(cfg.rescue.image, "/boot/r.img");
		CHECK_STR(cfg.rescue.kernel, "/boot/vmlinuz-6.1.0-57-amd64");
		CHECK_STR(cfg.rescue.snapshot, "/usr/local/bin/snap");
		CHECK_STR(cfg.rescue.cmdline, "console=ttyS0 quiet");
		CHECK_INT(cfg.rescue.crash, 0);
		CHECK_INT(cfg.rescue.arm, 0);
		CHECK_INT(cfg.rescue.port, 2022);
	}
	TEST("config: [rescue] snapshot = no") {
		parse_clean("[rescue]\nsnapshot = no\n");
		CHECK_STR(cfg.rescue.snapshot, "");
	}
	TEST("config: every [watchdog] key") {
		parse_clean("[watchdog]\ndevice = /dev/watchdog1\ntimeout = 10s\ninterval = 5s\n");
		CHECK_STR(cfg.wd.device, "/dev/watchdog1");
		CHECK_INT(cfg.wd.timeout_ms, 10000);
		CHECK_INT(cfg.wd.interval_ms, 5000);
	}
	TEST("config: the sections beside services and [memory]") {
		parse_clean("[memory]\n[service a]\nexec = /bin/true\n" KA
			    "[rescue]\nport = 2200\n[watchdog]\ntimeout = 20s\n"
			    "[service b]\nexec = /bin/true\n");
		CHECK_INT(cfg.nunits, 2);
		CHECK_INT(cfg.mem.present, 1);
		CHECK_INT(cfg.ka.npeers, 1);
		CHECK_INT(cfg.rescue.port, 2200);
		CHECK_INT(cfg.wd.timeout_ms, 20000);
	}
	TEST("config: a second [keepalive] adds peers; errors are reported once") {
		int ret = parse(KA "[keepalive]\npeer = 192.0.2.11\nquorum = 3\n");
		CHECK_INT(cap.n, 1);
		CHECK_INT(ret, 1);
		if (cap.n)
			CHECK_CONTAINS(cap.r[0].msg, "quorum 3 is more than the 2 peers given");
		CHECK_INT(cfg.ka.npeers, 2);
	}
}

/* The fallback is added with config_continue: the config's own sections
 * stay as they are. */
static void fallback(void)
{
	TEST("config: config_continue skips escalation sections") {
		parse_clean(KA "[rescue]\nport = 2200\n");
		config_continue(&parser, &cfg, capture_report, &cap);
		static const char fb[] = "[keepalive]\npeer = 10.9.9.9\nquorum = 5\n"
					 "[rescue]\nport = 2300\n[watchdog]\ntimeout = 5s\n";
		config_parse_buffer(&parser, "fb.conf", fb, (int)strlen(fb));
		int ret = config_end(&parser);
		CHECK_MSG(cap.n == 0, "reports: %s", capture_str(&cap));
		CHECK_INT(ret, 0);
		CHECK_INT(cfg.ka.npeers, 1);
		CHECK_INT(cfg.ka.quorum, 1);
		CHECK_INT(cfg.rescue.port, 2200);
		CHECK_INT(cfg.wd.present, 0);
	}
}

/* The commented-out example in the shipped configs/lifeline.conf, with
 * its '#' taken away, must parse into what its comments say. */
static void shipped_example(void)
{
	TEST("config: the shipped example of the escalation sections parses") {
		static char text[8192];
		char line[512];
		size_t o = 0;
		int in = 0;
		FILE *f = fopen("configs/lifeline.conf", "r");
		CHECK_MSG(f != NULL, "cannot open configs/lifeline.conf (run from the tree's top)");
		while (f && fgets(line, sizeof line, f)) {
			if (!strcmp(line, "#[keepalive]\n"))
				in = 1;
			if (in && line[0] != '#')
				break;
			/* "#key = value" and "#[section]"; not "# comment" */
			if (in && line[1] != ' ' && line[1] != '\n' &&
			    o + strlen(line) < sizeof text) {
				memcpy(text + o, line + 1, strlen(line));
				o += strlen(line) - 1;
			}
		}
		if (f)
			fclose(f);
		text[o] = '\0';
		int ret = parse(text);
		CHECK_MSG(cap.n == 0 && ret == 0, "reports: %s", capture_str(&cap));
		CHECK_INT(cfg.ka.present, 1);
		CHECK_INT(cfg.ka.npeers, 2);
		CHECK_INT(cfg.ka.quorum, 2);
		CHECK_INT(cfg.ka.port, 7500);
		CHECK_INT(cfg.rescue.present, 1);
		CHECK_STR(cfg.rescue.cmdline, "console=ttyS0");
		CHECK_INT(cfg.rescue.port, 2222);
		CHECK_INT(cfg.wd.present, 1);
		CHECK_INT(cfg.wd.timeout_ms, 60000);
	}
}

void suite_config_esc(void)
{
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		check_bad(i, &bad[i]);
	defaults();
	every_key();
	fallback();
	shipped_example();
}
