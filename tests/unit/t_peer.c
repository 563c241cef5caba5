/* lifeline-peer: SSH banner matching (peer/peer_banner.c) and what the
 * status table, JSON and metrics say (peer/peer_out.c); the other
 * suites of the peer are in t_peer_conf.c and t_peer_state.c. */
#include "test.h"
#include "peer.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>

void suite_peer_conf(void);
void suite_peer_state(void);

static int feed_all(const char *s)
{
	struct lp_banner b;

	lp_banner_init(&b);
	return lp_banner_feed(&b, s, strlen(s));
}

static void probe_tests(void)
{
	TEST("peer probe: an OpenSSH and a dropbear banner") {
		CHECK_INT(feed_all("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), LP_PR_OK);
		CHECK_INT(feed_all("SSH-2.0-dropbear_2022.83\r\n"), LP_PR_OK);
		/* "SSH-" is enough: the rest may still be on its way */
		CHECK_INT(feed_all("SSH-"), LP_PR_OK);
	}
	TEST("peer probe: a banner split over reads, one byte at a time") {
		const char *s = "SSH-2.0-x\r\n";
		struct lp_banner b;
		int r = LP_PR_NONE, at = -1;

		lp_banner_init(&b);
		for (int i = 0; s[i] && r == LP_PR_NONE; i++) {
			r = lp_banner_feed(&b, s + i, 1);
			at = i;
		}
		CHECK_INT(r, LP_PR_OK);
		CHECK_INT(at, 3);
	}
	TEST("peer probe: other lines before the version line (RFC 4253 4.2)") {
		CHECK_INT(feed_all("Welcome\r\nno SSH- here\r\nSSH-2.0-x\r\n"), LP_PR_OK);
	}
	TEST("peer probe: not yet a banner: need more") {
		CHECK_INT(feed_all(""), LP_PR_NONE);
		CHECK_INT(feed_all("SSH"), LP_PR_NONE);
		CHECK_INT(feed_all("HTTP/1.1 400 Bad Request\r\n"), LP_PR_NONE);
		/* "SSH-" in the middle of a line is not a version line */
		CHECK_INT(feed_all("xSSH-2.0\r\n"), LP_PR_NONE);
		CHECK_INT(feed_all("SSH2.0-\n"), LP_PR_NONE);
	}
	TEST("peer probe: no version line within 1024 bytes: bad banner") {
		char junk[2000];
		struct lp_banner b;
		int r = LP_PR_NONE;
		size_t fed = 0;

		memset(junk, 'a', sizeof junk);
		lp_banner_init(&b);
		while (r == LP_PR_NONE && fed < sizeof junk) {
			r = lp_banner_feed(&b, junk + fed, 100);
			fed += 100;
		}
		CHECK_INT(r, LP_PR_BAD_BANNER);
		CHECK_INT(fed, 1100);
		/* and a version line after that is too late */
		CHECK_INT(lp_banner_feed(&b, "\nSSH-2.0\n", 9), LP_PR_BAD_BANNER);
	}
	TEST("peer probe: errno to result") {
		CHECK_INT(lp_probe_errno_result(ECONNREFUSED), LP_PR_REFUSED);
		CHECK_INT(lp_probe_errno_result(ETIMEDOUT), LP_PR_TIMEOUT);
		CHECK_INT(lp_probe_errno_result(ECONNRESET), LP_PR_CLOSED);
		CHECK_INT(lp_probe_errno_result(EHOSTUNREACH), LP_PR_ERROR);
		CHECK_STR(lp_probe_name(LP_PR_BAD_BANNER), "bad-banner");
		CHECK_STR(lp_probe_name(LP_PR_TIMEOUT), "timeout");
	}
}

/* ---- output ---- */

static struct lp_conf oconf;
static struct lp_host_conf ohc[3];
static struct lp_host oh[3];

/* Three hosts at now = 100 s: web1 dead (SSH timing out since 0 s; verdicts
 * at 10 s, 15 s and, the tick being late, 100 s), web2 up, db rescue. */
static struct lp_view out_view(void)
{
	struct lp_view v;
	struct lp_timing t;

	lp_conf_init(&oconf);
	oconf.grace_ms = 10000;
	oconf.down_after_ms = 120000;   /* web1's keepalives at 0 and 99 s */
	memset(ohc, 0, sizeof ohc);
	memset(oh, 0, sizeof oh);
	const char *names[3] = { "web1", "web2", "db" };

	for (int i = 0; i < 3; i++) {
		snprintf(ohc[i].name, sizeof ohc[i].name, "%s", names[i]);
		lp_addr_parse("192.0.2.1", 9, -1, 0, &ohc[i].addr);
		ohc[i].addr.ip[3] = (uint8_t)(i + 1);
		ohc[i].nssh = 2;
		ohc[i].ssh[0] = ohc[i].addr;
		ohc[i].ssh[0].port = 22;
		ohc[i].ssh[1] = ohc[i].addr;
		ohc[i].ssh[1].port = 2222;
		oh[i].conf = &ohc[i];
		lp_hs_init(&oh[i].hs, 0);
	}
	oconf.host = ohc;
	oconf.nhosts = 3;
	t = lp_host_timing(&oconf, &oh[0], 0);
	/* web1: keepalives, SSH timing out: dead, verdicts at 10 s and 15 s */
	lp_hs_keepalive(&oh[0].hs, &t, 0, 0xabcdef, KA_ST_SSHD);
	lp_hs_keepalive(&oh[0].hs, &t, 99000, 0xabcdef, KA_ST_SSHD);
	oh[0].ssh[0] = (struct lp_probe_res){ LP_PR_TIMEOUT, 0, 95000, 5000 };
	oh[0].ssh[1] = (struct lp_probe_res){ LP_PR_REFUSED, 0, 95000, 1 };
	lp_hs_probe(&oh[0].hs, 1000, 0, 0);
	lp_hs_tick(&oh[0].hs, &t, 10000);
	lp_hs_tick(&oh[0].hs, &t, 15000);
	oh[0].drops.n[KA_BAD_MAC] = 3;
	oh[0].drops.n[KA_REPLAY] = 1;
	oh[0].echo_boot = 0xabcdef;
	oh[0].echo_seq = 42;
	/* web2: up */
	lp_hs_keepalive(&oh[1].hs, &t, 98000, 7, KA_ST_SSHD | KA_ST_RESCUE_SSH);
	oh[1].ssh[0] = (struct lp_probe_res){ LP_PR_OK, 0, 99500, 3 };
	lp_hs_probe(&oh[1].hs, 99500, 1, 1);
	/* db: rescue */
	lp_hs_keepalive(&oh[2].hs, &t, 99900, 9, KA_ST_RESCUE | KA_ST_RESCUE_SSH);
	for (int i = 0; i < 3; i++)
		lp_hs_tick(&oh[i].hs, &t, 100000);
	v = (struct lp_view){ .conf = &oconf, .host = oh, .nhosts = 3, .now = 100000,
			      .realtime_ms = 1700000000000, .unknown_source = 5, .verdict_seq = 2 };
	return v;
}

static char *render(void (*fn)(FILE *, const struct lp_view *), const struct lp_view *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fn(f, v);
	fclose(f);
	return buf;
}

/* The line of text that starts with prefix. */
static const char *line_of(const char *text, const char *prefix)
{
	static char line[512];
	const char *p = text;

	while (p && *p) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (!strncmp(p, prefix, strlen(prefix)) && l < sizeof line) {
			memcpy(line, p, l);
			line[l] = 0;
			return line;
		}
		p = e ? e + 1 : NULL;
	}
	return "";
}

static void out_tests(void)
{
	TEST("peer status table: one line per host with state, keepalive age, system, SSH, "
	     "verdicts, drops") {
		struct lp_view v = out_view();
		char *s = render(lp_out_table, &v);
		char w[8][32];

		CHECK_CONTAINS(line_of(s, "HOST"), "NEXT-VERDICT");
		CHECK_INT(sscanf(line_of(s, "web1 "), "%31s %31s %31s %31s %31s %31s %31s %31s", w[0],
				 w[1], w[2], w[3], w[4], w[5], w[6], w[7]), 8);
		CHECK_STR(w[1], "dead");
		CHECK_STR(w[2], "1s");
		CHECK_STR(w[4], "normal");
		CHECK_STR(w[5], "22:timeout");
		CHECK_STR(w[6], "2222:refused");
		CHECK_CONTAINS(line_of(s, "web1 "), "in 5s ");    /* the repeat */
		CHECK_CONTAINS(line_of(s, "web1 "), " 3        4");
		CHECK_CONTAINS(line_of(s, "web2 "), " up ");
		CHECK_CONTAINS(line_of(s, "web2 "), "22:ok 2222:-");
		CHECK_CONTAINS(line_of(s, "db "), " rescue ");
		CHECK_CONTAINS(line_of(s, "db "), " rescue  ");
		CHECK_CONTAINS(s, "datagrams from unknown addresses: 5");
		free(s);
	}
	TEST("peer status JSON: the same facts") {
		struct lp_view v = out_view();
		char *s = render(lp_out_json, &v);

		CHECK_CONTAINS(s, "\"grace_ms\":10000");
		CHECK_CONTAINS(s, "\"unknown_source\":5");
		CHECK_CONTAINS(s, "{\"host\":\"web1\",\"address\":\"192.0.2.1\",\"state\":\"dead\"");
		CHECK_CONTAINS(s, "\"last_keepalive_ms_ago\":1000,\"system\":\"normal\","
			       "\"state_bits\":[\"sshd\"],\"boot_id\":\"0000000000abcdef\",\"seq\":42");
		CHECK_CONTAINS(s, "{\"target\":\"192.0.2.1:22\",\"result\":\"timeout\",\"ms_ago\":5000,"
			       "\"took_ms\":5000}");
		CHECK_CONTAINS(s, "\"verdict_in_ms\":5000,\"verdicts_sent\":3");
		CHECK_CONTAINS(s, "\"bad-mac\":3");
		CHECK_CONTAINS(s, "\"replay\":1");
		CHECK_CONTAINS(s, "\"host\":\"web2\",\"address\":\"192.0.2.2\",\"state\":\"up\"");
		CHECK_CONTAINS(s, "\"state_bits\":[\"sshd\",\"rescue-ssh\"]");
		CHECK_CONTAINS(s, "{\"target\":\"192.0.2.2:2222\",\"result\":null,\"ms_ago\":null");
		CHECK_CONTAINS(s, "\"state\":\"rescue\"");
		CHECK_CONTAINS(s, "\"system\":\"rescue\",\"state_bits\":[\"rescue\",\"rescue-ssh\"]");
		CHECK(s && s[strlen(s) - 2] == '}');
		free(s);
	}
	TEST("peer metrics: one series per state, SSH per port, counters") {
		struct lp_view v = out_view();
		char *s = render(lp_out_metrics, &v);

		CHECK_CONTAINS(s, "# TYPE lifeline_peer_host_state gauge\n");
		CHECK_CONTAINS(s, "lifeline_peer_host_state{host=\"web1\",state=\"dead\"} 1\n");
		CHECK_CONTAINS(s, "lifeline_peer_host_state{host=\"web1\",state=\"up\"} 0\n");
		CHECK_CONTAINS(s, "lifeline_peer_host_state{host=\"web2\",state=\"up\"} 1\n");
		CHECK_CONTAINS(s, "lifeline_peer_host_state{host=\"db\",state=\"rescue\"} 1\n");
		CHECK_CONTAINS(s, "lifeline_peer_last_keepalive_seconds{host=\"web1\"} 1.000\n");
		CHECK_CONTAINS(s, "lifeline_peer_ssh_up{host=\"web2\",address=\"192.0.2.2\","
			       "port=\"22\"} 1\n");
		CHECK_CONTAINS(s, "lifeline_peer_ssh_up{host=\"web1\",address=\"192.0.2.1\","
			       "port=\"2222\"} 0\n");
		CHECK_CONTAINS(s, "lifeline_peer_seconds_until_verdict{host=\"web1\"} 5.000\n");
		CHECK_NOT_CONTAINS(s, "lifeline_peer_seconds_until_verdict{host=\"web2\"}");
		CHECK_CONTAINS(s, "lifeline_peer_verdicts_sent_total{host=\"web1\"} 3\n");
		CHECK_CONTAINS(s, "lifeline_peer_datagrams_dropped_total{host=\"web1\","
			       "reason=\"bad-mac\"} 3\n");
		CHECK_CONTAINS(s, "lifeline_peer_unknown_source_datagrams_total 5\n");
		/* exactly one state series is 1 per host */
		int ones = 0;

		for (const char *p = s; p && (p = strstr(p, "lifeline_peer_host_state{")); p++)
			ones += strstr(p, "} 1\n") == strchr(p, '}');
		CHECK_INT(ones, 3);
		free(s);
	}
}

/* ---- the status socket's requests, `lifeline-peer rescue HOST` ---- */

static void ctl_tests(void)
{
	TEST("peer ctl: request lines") {
		struct lp_ctl_req r;

		CHECK_INT(lp_ctl_parse("status\n", &r), 0);
		CHECK_INT(r.kind, LP_CTL_STATUS);
		CHECK_INT(lp_ctl_parse("json\n", &r), 0);
		CHECK_INT(r.kind, LP_CTL_JSON);
		CHECK_INT(lp_ctl_parse("rescue web1 120000\n", &r), 0);
		CHECK_INT(r.kind, LP_CTL_RESCUE);
		CHECK_STR(r.host, "web1");
		CHECK_INT(r.for_ms, 120000);
		CHECK_INT(lp_ctl_parse("rescue-check db\n", &r), 0);
		CHECK_INT(r.kind, LP_CTL_RESCUE_CHECK);
		CHECK_STR(r.host, "db");
		CHECK_INT(lp_ctl_parse("rescue-cancel db\n", &r), 0);
		CHECK_INT(r.kind, LP_CTL_RESCUE_CANCEL);
		/* no newline, no host, a duration out of bounds, extra words */
		CHECK_INT(lp_ctl_parse("status", &r), -1);
		CHECK_INT(lp_ctl_parse("rescue\n", &r), -1);
		CHECK_INT(lp_ctl_parse("rescue web1\n", &r), -1);
		CHECK_INT(lp_ctl_parse("rescue web1 999\n", &r), -1);
		CHECK_INT(lp_ctl_parse("rescue web1 3600001\n", &r), -1);
		CHECK_INT(lp_ctl_parse("rescue web1 99999999999999999999999\n", &r), -1);
		CHECK_INT(lp_ctl_parse("rescue web1 12x\n", &r), -1);
		CHECK_INT(lp_ctl_parse("rescue-check web1 x\n", &r), -1);
		CHECK_INT(lp_ctl_parse("rescue-check aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", &r), -1);
		CHECK_INT(lp_ctl_parse("reboot web1\n", &r), -1);
	}
	TEST("peer ctl: an unknown host: the known ones listed, cut to fit") {
		struct lp_view v = out_view();
		char out[2048], small[60];
		size_t n = lp_ctl_unknown(out, sizeof out, &v, "web9");

		CHECK_STR(out, "error: no host \"web9\" in this peer's configuration; "
			  "known hosts: web1 web2 db\n");
		CHECK_INT(n, strlen(out));
		CHECK_INT(lp_host_find(oh, 3, "db"), 2);
		CHECK_INT(lp_host_find(oh, 3, "web9"), -1);
		n = lp_ctl_unknown(small, sizeof small, &v, "web9");
		CHECK(n < sizeof small);
		CHECK_INT(n, strlen(small));
	}
	TEST("peer ctl: a rescue refused: no keepalive yet, down, already in rescue") {
		struct lp_view v = out_view();
		struct lp_timing t = lp_host_timing(&oconf, &oh[1], 0);
		char out[1024];

		CHECK_INT(lp_ctl_refusal(out, sizeof out, &v, 0), 0);     /* dead: fine */
		CHECK_INT(lp_ctl_refusal(out, sizeof out, &v, 1), 0);     /* up: fine */
		CHECK(lp_ctl_refusal(out, sizeof out, &v, 2) > 0);
		CHECK_CONTAINS(out, "error: db already runs its rescue system");
		lp_hs_init(&oh[1].hs, 0);
		CHECK(lp_ctl_refusal(out, sizeof out, &v, 1) > 0);
		CHECK_CONTAINS(out, "error: no keepalive from web2 since this peer started: a "
			       "verdict must echo the boot id");
		lp_hs_keepalive(&oh[1].hs, &t, 1000, 7, KA_ST_SSHD);
		oconf.down_after_ms = 60000;
		CHECK(lp_ctl_refusal(out, sizeof out, &v, 1) > 0);
		CHECK_CONTAINS(out, "error: web2 is down: no keepalive for 1m39s (down_after 1m00s)");
	}
	TEST("peer ctl: the confirmation names the host, its address, keepalive age and state") {
		struct lp_view v = out_view();
		char out[512];

		lp_ctl_prompt(out, sizeof out, &v, 1);
		CHECK_STR(out, "ok Boot web2 (192.0.2.2, last keepalive 2s ago, state up) into its "
			  "rescue system now? [y/N] \n");
	}
	TEST("peer ctl: a request: status, JSON and metrics say rescue-requested; the answer "
	     "says what follows and the quorum") {
		struct lp_view v = out_view();
		struct lp_timing t = lp_host_timing(&oconf, &oh[1], 0);
		char out[2048], *s;

		lp_addr_parse("192.0.2.2:40000", 15, 1, 0, &oh[1].src);
		oconf.verdict_interval_ms = 5000;
		CHECK_INT(lp_hs_request(&oh[1].hs, &t, 100000, 220000), 1);
		oh[1].req_uid = 0;
		oh[1].req_pid = 4321;
		oh[1].req_at = 100000;
		oh[1].req_verdicts0 = oh[1].hs.verdicts;
		CHECK_INT(lp_hs_tick(&oh[1].hs, &t, 100000), 1);
		lp_ctl_rescue_answer(out, sizeof out, &v, 1, 1, 1, 120000);
		CHECK_CONTAINS(out, "ok rescue of web2 requested: a verdict went to 192.0.2.2:40000 "
			       "now, then every 5s for up to 2m00s from now, until web2 reports its "
			       "rescue system, stops sending keepalives or boots again.");
		CHECK_CONTAINS(out, "lifeline-peer rescue web2 --cancel withdraws it");
		CHECK_CONTAINS(out, "once verdicts from its quorum of peers fall within its "
			       "quorum_window");
		CHECK_CONTAINS(out, "run lifeline-peer rescue web2 on another of its peers too");
		v.now = 101000;
		lp_ctl_rescue_answer(out, sizeof out, &v, 1, 0, 0, 120000);
		CHECK_CONTAINS(out, "ok rescue of web2 was already requested (by uid 0, 1s ago): no "
			       "extra verdict (the next in 4s)");
		s = render(lp_out_table, &v);
		CHECK_CONTAINS(line_of(s, "web2 "), " rescue-requested ");
		CHECK_CONTAINS(line_of(s, "web2 "), " in 4s ");
		free(s);
		s = render(lp_out_json, &v);
		CHECK_CONTAINS(s, "\"host\":\"web2\",\"address\":\"192.0.2.2\",\"state\":"
			       "\"rescue-requested\"");
		CHECK_CONTAINS(s, "\"rescue_request\":{\"uid\":0,\"pid\":4321,\"since_ms_ago\":1000,"
			       "\"ms_left\":119000,\"verdicts\":1}}");
		CHECK_CONTAINS(s, "\"rescue_request\":null}");      /* the others */
		free(s);
		s = render(lp_out_metrics, &v);
		CHECK_CONTAINS(s, "lifeline_peer_host_state{host=\"web2\",state=\"rescue-requested\"} "
			       "1\n");
		CHECK_CONTAINS(s, "lifeline_peer_host_state{host=\"web2\",state=\"up\"} 0\n");
		CHECK_CONTAINS(s, "lifeline_peer_seconds_until_verdict{host=\"web2\"} 4.000\n");
		free(s);
		lp_hs_cancel(&oh[1].hs);
		lp_ctl_cancel_answer(out, sizeof out, &v, 1, 1);
		CHECK_STR(out, "ok rescue request for web2 cancelled after 1 verdict(s); its state "
			  "now: up\n");
	}
}

void suite_peer(void)
{
	probe_tests();
	out_tests();
	suite_peer_conf();
	suite_peer_state();
	ctl_tests();
}
