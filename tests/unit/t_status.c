/* outbuf.c and status.c: bounded output, the status table and JSON. */
#define _GNU_SOURCE
#include "test.h"
#include "outbuf.h"
#include "status.h"
#include "fmt.h"

#include <errno.h>
#include <stdlib.h>

/* ---- a strict little JSON checker (RFC 8259 grammar, no semantics) ---- */

struct js {
	const char *s;
	size_t i, n;
	int depth;
};

static void js_ws(struct js *j)
{
	while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' ||
			       j->s[j->i] == '\n' || j->s[j->i] == '\r'))
		j->i++;
}

static int js_lit(struct js *j, const char *w)
{
	size_t l = strlen(w);
	if (j->n - j->i < l || strncmp(j->s + j->i, w, l))
		return 0;
	j->i += l;
	return 1;
}

static int js_string(struct js *j)
{
	if (j->i >= j->n || j->s[j->i] != '"')
		return 0;
	j->i++;
	while (j->i < j->n) {
		unsigned char c = (unsigned char)j->s[j->i++];
		if (c == '"')
			return 1;
		if (c < 0x20)
			return 0;
		if (c != '\\')
			continue;
		if (j->i >= j->n)
			return 0;
		c = (unsigned char)j->s[j->i++];
		if (c == 'u') {
			for (int k = 0; k < 4; k++, j->i++)
				if (j->i >= j->n || !strchr("0123456789abcdefABCDEF", j->s[j->i]) ||
				    !j->s[j->i])
					return 0;
		} else if (!strchr("\"\\/bfnrt", c) || !c) {
			return 0;
		}
	}
	return 0;
}

static int js_number(struct js *j)
{
	size_t st = j->i;
	if (j->i < j->n && j->s[j->i] == '-')
		j->i++;
	if (j->i >= j->n || j->s[j->i] < '0' || j->s[j->i] > '9')
		return 0;
	if (j->s[j->i] == '0')
		j->i++;
	else
		while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
	if (j->i < j->n && j->s[j->i] == '.') {
		j->i++;
		if (j->i >= j->n || j->s[j->i] < '0' || j->s[j->i] > '9')
			return 0;
		while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
	}
	return j->i > st;
}

static int js_value(struct js *j);

static int js_container(struct js *j, char open, char close, int keyed)
{
	if (j->s[j->i] != open)
		return 0;
	if (++j->depth > 32)
		return 0;
	j->i++;
	js_ws(j);
	if (j->i < j->n && j->s[j->i] == close) {
		j->i++;
		j->depth--;
		return 1;
	}
	for (;;) {
		js_ws(j);
		if (keyed) {
			if (!js_string(j))
				return 0;
			js_ws(j);
			if (j->i >= j->n || j->s[j->i++] != ':')
				return 0;
		}
		if (!js_value(j))
			return 0;
		js_ws(j);
		if (j->i >= j->n)
			return 0;
		char c = j->s[j->i++];
		if (c == close) {
			j->depth--;
			return 1;
		}
		if (c != ',')
			return 0;
	}
}

static int js_value(struct js *j)
{
	js_ws(j);
	if (j->i >= j->n)
		return 0;
	switch (j->s[j->i]) {
	case '{': return js_container(j, '{', '}', 1);
	case '[': return js_container(j, '[', ']', 0);
	case '"': return js_string(j);
	case 't': return js_lit(j, "true");
	case 'f': return js_lit(j, "false");
	case 'n': return js_lit(j, "null");
	default: return js_number(j);
	}
}

/* 1 if s is exactly one JSON value (surrounding whitespace allowed). */
static int json_valid(const char *s)
{
	struct js j = { s, 0, strlen(s), 0 };
	if (!js_value(&j))
		return 0;
	js_ws(&j);
	return j.i == j.n;
}

/* The line of text that starts with name followed by a space. */
static const char *row_of(const char *text, const char *name)
{
	static char row[512];
	size_t nl = strlen(name);
	for (const char *p = text; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len > nl && !strncmp(p, name, nl) && p[nl] == ' ') {
			snprintf(row, sizeof row, "%.*s", (int)len, p);
			return row;
		}
		p = e ? e + 1 : NULL;
	}
	return NULL;
}

/* The JSON object of one unit, from {"name":"NAME" to its closing brace. */
static const char *json_unit(const char *json, const char *name)
{
	static char obj[1024];
	char key[64];
	snprintf(key, sizeof key, "{\"name\":\"%s\"", name);
	const char *p = strstr(json, key);
	if (!p)
		return NULL;
	const char *e = strchr(p, '}');
	if (!e)
		return NULL;
	snprintf(obj, sizeof obj, "%.*s", (int)(e - p + 1), p);
	return obj;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static const char *json_of(const char *in)
{
	static char buf[512];
	struct outbuf o;
	ob_init(&o, buf, sizeof buf);
	ob_json_str(&o, in);
	if (o.truncated)
		FAIL("ob_json_str truncated");
	return buf;
}

void suite_outbuf(void)
{
	TEST("outbuf: printf appends") {
		char buf[64];
		struct outbuf o;
		ob_init(&o, buf, sizeof buf);
		CHECK_STR(buf, "");
		ob_printf(&o, "a=%d ", 1);
		ob_puts(&o, "b");
		ob_printf(&o, "%s", "");
		CHECK_STR(buf, "a=1 b");
		CHECK_INT(o.len, 5);
		CHECK_INT(o.truncated, 0);
	}
	TEST("outbuf: truncation sets truncated and never writes past cap") {
		char buf[64];
		struct outbuf o;
		memset(buf, 'Z', sizeof buf);
		ob_init(&o, buf, 16);
		ob_puts(&o, "0123456789");
		CHECK_INT(o.truncated, 0);
		ob_printf(&o, "%s-%d", "abcdefgh", 42);
		CHECK_INT(o.truncated, 1);
		CHECK_INT(o.len, 15);
		CHECK_STR(buf, "0123456789abcde");
		ob_puts(&o, "more");
		ob_json_str(&o, "x\"y");
		CHECK_INT(o.len, 15);
		CHECK_INT(o.truncated, 1);
		for (int i = 16; i < 64; i++)
			CHECK_MSG(buf[i] == 'Z', "byte %d past cap written", i);
	}
	TEST("outbuf: exactly filling the buffer is not truncation") {
		char buf[8];
		struct outbuf o;
		ob_init(&o, buf, sizeof buf);
		ob_puts(&o, "1234567");
		CHECK_INT(o.truncated, 0);
		CHECK_INT(o.len, 7);
		CHECK_STR(buf, "1234567");
		ob_puts(&o, "8");
		CHECK_INT(o.truncated, 1);
		CHECK_STR(buf, "1234567");
	}
	TEST("outbuf: tiny capacities") {
		char buf[4] = "ZZZ";
		struct outbuf o;
		ob_init(&o, buf, 1);
		ob_puts(&o, "x");
		CHECK_INT(o.truncated, 1);
		CHECK_INT(o.len, 0);
		CHECK_INT(buf[0], '\0');
		CHECK_INT(buf[1], 'Z');
		ob_init(&o, buf + 2, 0);
		ob_printf(&o, "%d", 7);
		CHECK_INT(o.truncated, 1);
		CHECK_INT(buf[2], 'Z');
	}
	TEST("outbuf: ob_json_str escapes quotes and backslashes") {
		CHECK_STR(json_of("plain"), "\"plain\"");
		CHECK_STR(json_of(""), "\"\"");
		CHECK_STR(json_of("a\"b"), "\"a\\\"b\"");
		CHECK_STR(json_of("c:\\dir\\"), "\"c:\\\\dir\\\\\"");
	}
	TEST("outbuf: ob_json_str escapes control characters") {
		CHECK_STR(json_of("a\nb\tc\r\x01\x1f"),
			  "\"a\\u000ab\\u0009c\\u000d\\u0001\\u001f\"");
		CHECK(json_valid(json_of("a\nb\tc\r\x01\x1f")));
	}
	TEST("outbuf: ob_json_str is valid JSON for every ASCII byte") {
		char all[128];
		for (int c = 1; c < 128; c++)
			all[c - 1] = (char)c;
		all[127] = '\0';
		const char *j = json_of(all);
		CHECK_MSG(json_valid(j), "invalid JSON: %s", j);
		CHECK_CONTAINS(j, "\\\"");
		CHECK_CONTAINS(j, "\\\\");
		CHECK_CONTAINS(j, "\\u0007");
	}
	TEST("outbuf: ob_prepend inserts before the text") {
		char buf[32];
		struct outbuf o;
		ob_init(&o, buf, sizeof buf);
		ob_puts(&o, "world");
		ob_prepend(&o, "hello ");
		CHECK_STR(buf, "hello world");
		CHECK_INT(o.len, 11);
		CHECK_INT(o.truncated, 0);
		ob_init(&o, buf, sizeof buf);
		ob_prepend(&o, "only");
		CHECK_STR(buf, "only");
		CHECK_INT(o.len, 4);
	}
	TEST("outbuf: ob_prepend drops the end when full, never writes past cap") {
		char buf[32];
		struct outbuf o;
		memset(buf, 'Z', sizeof buf);
		ob_init(&o, buf, 12);
		ob_puts(&o, "0123456789");
		ob_prepend(&o, "abcd");
		CHECK_STR(buf, "abcd0123456");
		CHECK_INT(o.len, 11);
		CHECK_INT(o.truncated, 1);
		ob_prepend(&o, "a much longer head than fits");
		CHECK_STR(buf, "a much long");
		CHECK_INT(o.len, 11);
		for (int i = 12; i < 32; i++)
			CHECK_MSG(buf[i] == 'Z', "byte %d past cap written", i);
		ob_init(&o, buf + 20, 0);
		ob_prepend(&o, "x");
		CHECK_INT(buf[20], 'Z');
	}
	TEST("outbuf: the JSON checker itself rejects broken JSON") {
		CHECK(json_valid("{\"a\":[1,2,{\"b\":null}],\"c\":\"x\\\"y\"}"));
		CHECK(!json_valid("{\"a\":1"));
		CHECK(!json_valid("{\"a\":1}}"));
		CHECK(!json_valid("{\"a\":\"x\"y\"}"));
		CHECK(!json_valid("{\"a\":\"\n\"}"));
		CHECK(!json_valid("[1,]"));
		CHECK(!json_valid("{\"a\" 1}"));
	}
}

static struct unit tab[5];

static void build_units(uint64_t now)
{
	memset(tab, 0, sizeof tab);
	struct unit *u = &tab[0];
	u->used = 1;
	strcpy(u->name, "sshd");
	u->kind = UNIT_SERVICE;
	u->state = ST_RUNNING;
	u->pid = 4242;
	u->started_ms = now - 65000;
	u->restarts = 3;
	exit_classify(1 << 8, 0, 0, &u->last_exit);

	u = &tab[1];
	u->used = 1;
	strcpy(u->name, "hog");
	u->kind = UNIT_SERVICE;
	u->state = ST_BACKOFF;
	u->restarts = 7;
	u->next_ms = now + 1500;
	exit_classify(9, 1, 1, &u->last_exit);  /* SIGKILL, named by the kernel */

	u = &tab[2];                            /* a free slot: never shown */
	strcpy(u->name, "ghost");
	u->state = ST_RUNNING;
	u->pid = 999;

	u = &tab[3];
	u->used = 1;
	strcpy(u->name, "cron");
	u->kind = UNIT_SERVICE;
	u->state = ST_SPAWN_WAIT;
	u->spawn_failing = 1;
	u->spawn_step = "fork";
	u->spawn_err = ENOMEM;
	u->next_ms = now + 200;

	u = &tab[4];
	u->used = 1;
	strcpy(u->name, "mkdir-run");
	u->kind = UNIT_BOOT;
	u->state = ST_DONE;
	exit_classify(0, 0, 0, &u->last_exit);
}

static void build_stats(struct self_stats *s, int config_ok, const char *path)
{
	memset(s, 0, sizeof *s);
	s->uptime_ms = 3720000;         /* 1h02m */
	s->vm_lck_kb = 1234;
	s->vm_rss_kb = 5678;
	s->minflt = 11;
	s->majflt = 2;
	s->oom_kills = 5;
	s->config_ok = config_ok;
	s->config_path = path;
	s->pid1 = 1;
}

void suite_status(void)
{
	TEST("fmt: fmt_size") {
		char b[16];
		fmt_size(-1, b, sizeof b);
		CHECK_STR(b, "-");
		fmt_size(512, b, sizeof b);
		CHECK_STR(b, "512B");
		fmt_size(4608, b, sizeof b);
		CHECK_STR(b, "4.5K");
		fmt_size(32LL << 20, b, sizeof b);
		CHECK_STR(b, "32M");
		fmt_size((1LL << 30) + (1LL << 30) / 5, b, sizeof b);
		CHECK_STR(b, "1.2G");
		fmt_size(900LL << 20, b, sizeof b);
		CHECK_STR(b, "900M");
		fmt_size(3LL << 40, b, sizeof b);
		CHECK_STR(b, "3T");
	}
	static char out[CONN_OUT_SIZE];
	struct outbuf o;
	struct self_stats st;
	const uint64_t now = 10000000;
	char d[32];

	TEST("fmt: fmt_duration 450ms") {
		fmt_duration(450, d, sizeof d);
		CHECK_STR(d, "450ms");
		fmt_duration(0, d, sizeof d);
		CHECK_STR(d, "0ms");
	}
	TEST("fmt: fmt_duration 12.3s") {
		fmt_duration(12345, d, sizeof d);
		CHECK_STR(d, "12.3s");
		fmt_duration(1000, d, sizeof d);
		CHECK_STR(d, "1.0s");
		fmt_duration(59999, d, sizeof d);
		CHECK_STR(d, "59.9s");
	}
	TEST("fmt: fmt_duration 3m04s") {
		fmt_duration(184000, d, sizeof d);
		CHECK_STR(d, "3m04s");
		fmt_duration(60000, d, sizeof d);
		CHECK_STR(d, "1m00s");
	}
	TEST("fmt: fmt_duration 1h02m") {
		fmt_duration(3720000, d, sizeof d);
		CHECK_STR(d, "1h02m");
		fmt_duration(86399999, d, sizeof d);
		CHECK_STR(d, "23h59m");
	}
	TEST("fmt: fmt_duration 2d03h") {
		fmt_duration(2ULL * 86400000 + 3ULL * 3600000 + 59000, d, sizeof d);
		CHECK_STR(d, "2d03h");
	}
	TEST("fmt: fmt_duration respects cap") {
		char small[8];
		memset(small, 'Z', sizeof small);
		fmt_duration(2ULL * 86400000, small, 4);
		CHECK_INT(strlen(small), 3);
		CHECK_INT(small[4], 'Z');
	}
	TEST("status: unit_state_name") {
		struct unit u = { 0 };
		u.kind = UNIT_SERVICE;
		u.state = ST_RUNNING;
		CHECK_STR(unit_state_name(&u), "running");
		u.kind = UNIT_BOOT;
		CHECK_STR(unit_state_name(&u), "running-task");
		u.state = ST_BACKOFF;
		CHECK_STR(unit_state_name(&u), "backoff");
		u.state = ST_SPAWN_WAIT;
		CHECK_STR(unit_state_name(&u), "spawn-retry");
		u.state = ST_DOWN;
		CHECK_STR(unit_state_name(&u), "down");
		u.state = ST_DONE;
		CHECK_STR(unit_state_name(&u), "done");
	}

	build_units(now);
	build_stats(&st, 1, "/etc/lifeline/lifeline.conf");
	ob_init(&o, out, sizeof out);
	status_text(&o, tab, 5, &st, now);

	TEST("status: text header") {
		CHECK_INT(o.truncated, 0);
		CHECK(!strncmp(out, "lifeline 0.1.0  pid 1  up 1h02m", 31));
		CHECK_CONTAINS(out, "locked 1234K");
		CHECK_CONTAINS(out, "config /etc/lifeline/lifeline.conf");
		CHECK_NOT_CONTAINS(out, "BROKEN");
		CHECK_CONTAINS(out, "kernel oom kills 5");
		CHECK_CONTAINS(out, "NAME");
		CHECK_CONTAINS(out, "LAST EXIT");
	}
	TEST("status: text shows a running service") {
		const char *r = row_of(out, "sshd");
		CHECK_MSG(r != NULL, "no row for sshd in:\n%s", out);
		if (r) {
			CHECK_CONTAINS(r, " service ");
			CHECK_CONTAINS(r, " running ");
			CHECK_CONTAINS(r, " 4242 ");
			CHECK_CONTAINS(r, " 1m05s ");
			CHECK_CONTAINS(r, " 3 ");
			CHECK_CONTAINS(r, "exited 1");
			CHECK_NOT_CONTAINS(r, "restart in");
		}
	}
	TEST("status: text shows an oom-killed service in backoff") {
		const char *r = row_of(out, "hog");
		CHECK_MSG(r != NULL, "no row for hog");
		if (r) {
			CHECK_CONTAINS(r, " backoff ");
			CHECK_CONTAINS(r, "oom-killed");
			CHECK_CONTAINS(r, "restart in 1.5s");
			CHECK_CONTAINS(r, " 7 ");
			CHECK_NOT_CONTAINS(r, "4242");
		}
	}
	TEST("status: text shows a spawn failure") {
		const char *r = row_of(out, "cron");
		CHECK_MSG(r != NULL, "no row for cron");
		if (r) {
			CHECK_CONTAINS(r, " spawn-retry ");
			CHECK_CONTAINS(r, "fork failed: ");
			CHECK_CONTAINS(r, strerror(ENOMEM));
			CHECK_CONTAINS(r, "restart in 200ms");
		}
	}
	TEST("status: text shows a finished boot task") {
		const char *r = row_of(out, "mkdir-run");
		CHECK_MSG(r != NULL, "no row for mkdir-run");
		if (r) {
			CHECK_CONTAINS(r, " boot ");
			CHECK_CONTAINS(r, " done ");
			CHECK_CONTAINS(r, "exited 0");
		}
	}
	TEST("status: text skips unused slots") {
		CHECK_NOT_CONTAINS(out, "ghost");
		CHECK_NOT_CONTAINS(out, " 999 ");
		/* 2 header lines, memory, cgroups and sessions, a blank line,
		 * the column names, 4 units */
		CHECK_INT(count_lines(out), 11);
		CHECK_CONTAINS(out, "\nmemory: ");
		CHECK_CONTAINS(out, "\ncgroups: ");
		CHECK_CONTAINS(out, "\nsessions: ");
	}
	TEST("status: text says when the config is broken") {
		static char out2[4096];
		struct outbuf o2;
		struct self_stats bad;
		build_stats(&bad, 0, "/etc/lifeline/lifeline.conf");
		ob_init(&o2, out2, sizeof out2);
		status_text(&o2, tab, 5, &bad, now);
		CHECK_CONTAINS(out2, "BROKEN: running built-in fallback");
	}

	ob_init(&o, out, sizeof out);
	status_json(&o, tab, 5, &st, now);

	TEST("status: json is well-formed") {
		CHECK_INT(o.truncated, 0);
		CHECK_MSG(json_valid(out), "invalid JSON: %s", out);
		CHECK(o.len > 0 && out[o.len - 1] == '\n');
		CHECK_CONTAINS(out, "\"version\":\"0.1.0\"");
		CHECK_CONTAINS(out, "\"pid\":1,");
		CHECK_CONTAINS(out, "\"uptime_ms\":3720000");
		CHECK_CONTAINS(out, "\"config\":\"/etc/lifeline/lifeline.conf\"");
		CHECK_CONTAINS(out, "\"config_ok\":true");
		CHECK_CONTAINS(out, "\"kernel_oom_kills\":5");
		CHECK_NOT_CONTAINS(out, "ghost");
	}
	TEST("status: json running service") {
		const char *u = json_unit(out, "sshd");
		CHECK_MSG(u != NULL, "no sshd in %s", out);
		if (u) {
			CHECK_CONTAINS(u, "\"kind\":\"service\"");
			CHECK_CONTAINS(u, "\"state\":\"running\"");
			CHECK_CONTAINS(u, "\"pid\":4242");
			CHECK_CONTAINS(u, "\"uptime_ms\":65000");
			CHECK_CONTAINS(u, "\"restarts\":3");
			CHECK_CONTAINS(u, "\"last_exit\":\"exited 1\"");
			CHECK_CONTAINS(u, "\"oom_killed\":false");
			CHECK_CONTAINS(u, "\"spawn_error\":null");
			CHECK_CONTAINS(u, "\"next_restart_ms\":0");
		}
	}
	TEST("status: json oom-killed unit") {
		const char *u = json_unit(out, "hog");
		CHECK_MSG(u != NULL, "no hog in %s", out);
		if (u) {
			CHECK_CONTAINS(u, "\"oom_killed\":true");
			CHECK_CONTAINS(u, "\"last_exit\":\"oom-killed\"");
			CHECK_CONTAINS(u, "\"state\":\"backoff\"");
			CHECK_CONTAINS(u, "\"pid\":0");
			CHECK_CONTAINS(u, "\"next_restart_ms\":1500");
		}
	}
	TEST("status: json spawn error") {
		const char *u = json_unit(out, "cron");
		CHECK_MSG(u != NULL, "no cron in %s", out);
		if (u) {
			char want[128];
			snprintf(want, sizeof want, "\"spawn_error\":\"fork: %s\"", strerror(ENOMEM));
			CHECK_CONTAINS(u, want);
			CHECK_CONTAINS(u, "\"next_restart_ms\":200");
			CHECK_CONTAINS(u, "\"oom_killed\":false");
		}
	}
	TEST("status: json boot task") {
		const char *u = json_unit(out, "mkdir-run");
		CHECK_MSG(u != NULL, "no mkdir-run in %s", out);
		if (u) {
			CHECK_CONTAINS(u, "\"kind\":\"boot\"");
			CHECK_CONTAINS(u, "\"state\":\"done\"");
		}
	}
	TEST("status: json escapes the config path") {
		static char out2[4096];
		struct outbuf o2;
		struct self_stats odd;
		build_stats(&odd, 0, "/tmp/we\"ird\\path\n.conf");
		ob_init(&o2, out2, sizeof out2);
		status_json(&o2, tab, 5, &odd, now);
		CHECK_MSG(json_valid(out2), "invalid JSON: %s", out2);
		CHECK_CONTAINS(out2, "\"config\":\"/tmp/we\\\"ird\\\\path\\u000a.conf\"");
		CHECK_CONTAINS(out2, "\"config_ok\":false");
	}
	TEST("status: json with no units") {
		static char out2[1024];
		struct outbuf o2;
		ob_init(&o2, out2, sizeof out2);
		status_json(&o2, tab, 0, &st, now);
		CHECK_MSG(json_valid(out2), "invalid JSON: %s", out2);
		CHECK_CONTAINS(out2, "\"units\":[]");
	}
	TEST("status: json and text built piece by piece are the same") {
		static char whole[4096], pieces[4096];
		struct outbuf a, b;
		int emitted = 0;
		/* a free slot first: the first unit shown must not get a comma */
		static struct unit tab2[6];
		memset(&tab2[0], 0, sizeof tab2[0]);
		memcpy(&tab2[1], tab, sizeof tab);
		ob_init(&a, whole, sizeof whole);
		status_json(&a, tab2, 6, &st, now);
		ob_init(&b, pieces, sizeof pieces);
		status_json_head(&b, &st);
		for (int i = 0; i < 6; i++)
			if (tab2[i].used)
				status_json_unit(&b, &tab2[i], !emitted++, now);
		status_json_tail(&b);
		CHECK_STR(pieces, whole);
		CHECK_MSG(json_valid(whole), "invalid JSON: %s", whole);
		ob_init(&a, whole, sizeof whole);
		status_text(&a, tab2, 6, &st, now);
		ob_init(&b, pieces, sizeof pieces);
		status_text_head(&b, &st);
		for (int i = 0; i < 6; i++)
			status_text_unit(&b, &tab2[i], now);
		CHECK_STR(pieces, whole);
	}
	TEST("status: json and text truncate safely in a small buffer") {
		static char small[200];
		struct outbuf o2;
		memset(small, 'Z', sizeof small);
		ob_init(&o2, small, 100);
		status_json(&o2, tab, 5, &st, now);
		CHECK_INT(o2.truncated, 1);
		CHECK_INT(o2.len, 99);
		CHECK_INT(small[99], '\0');
		for (int i = 100; i < 200; i++)
			CHECK_MSG(small[i] == 'Z', "byte %d past cap written", i);
		ob_init(&o2, small, 100);
		status_text(&o2, tab, 5, &st, now);
		CHECK_INT(o2.truncated, 1);
		for (int i = 100; i < 200; i++)
			CHECK_MSG(small[i] == 'Z', "byte %d past cap written", i);
	}
}
