/* The config parser (config.c) fed from buffers: every error it can report,
 * with its exact line and column, and what a good config turns into. */
#define _GNU_SOURCE
#include "test.h"
#include "config.h"
#include "log.h"
#include "userdb.h"

#include <stdlib.h>
#include <unistd.h>

/* ---- helpers shared with t_config_load.c (declared in test.h) ---- */

void capture_report(void *ctx, const char *file, int line, int col, const char *msg)
{
	struct capture *c = ctx;
	if (c->n < CAPTURE_MAX) {
		struct report *r = &c->r[c->n];
		snprintf(r->file, sizeof r->file, "%s", file ? file : "(null)");
		r->line = line;
		r->col = col;
		snprintf(r->msg, sizeof r->msg, "%s", msg ? msg : "(null)");
	}
	c->n++;
}

int parse_text(struct config_parser *p, struct config *cfg, struct capture *c,
	       const char *text, int len)
{
	memset(c, 0, sizeof *c);
	config_begin(p, cfg, capture_report, c);
	config_parse_buffer(p, "test.conf", text, len < 0 ? (int)strlen(text) : len);
	return config_end(p);
}

const char *unit_arg(const struct config *c, const struct unit_conf *u, int i)
{
	if (i < 0 || i >= u->argc)
		return NULL;
	const char *s = conf_exec(c, u);
	while (i--)
		s = conf_next_str(s);
	return s;
}

/* The executable u would run, resolved as lifeline resolves it ("" if none). */
const char *unit_path(const struct config *c, const struct unit_conf *u)
{
	static char path[PATH_MAX_LEN];
	if (config_resolve_exec(conf_exec(c, u), path, sizeof path) < 0)
		path[0] = '\0';
	return path;
}

const char *capture_str(const struct capture *c)
{
	static char buf[2048];
	size_t o = 0;
	buf[0] = '\0';
	if (c->n == 0)
		return "no reports";
	for (int i = 0; i < c->n && i < CAPTURE_MAX && o < sizeof buf - 1; i++) {
		int n = snprintf(buf + o, sizeof buf - o, "%s[%s:%d:%d: %s]", i ? " " : "",
				 c->r[i].file, c->r[i].line, c->r[i].col, c->r[i].msg);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	return buf;
}

/* ---- error cases ---- */

struct err_case {
	const char *name;
	const char *text;
	int len;                /* -1: strlen(text) */
	int line, col;          /* of the first report */
	const char *msg;        /* substring of the first report */
	int nreports;           /* 0 means 1 */
};

#define SVC "[service a]\nexec = /bin/true\n"   /* two good lines */

static const struct err_case static_cases[] = {
	{ "unknown section", "[servic a]\n", -1, 1, 2,
	  "unknown section 'servic' (expected lifeline, memory, keepalive, rescue, watchdog, "
	  "service, boot or shutdown)", 0 },
	{ "unknown section, indented", "  [unit a]\n", -1, 1, 4, "unknown section 'unit'", 0 },
	{ "empty section header", "[]\n", -1, 1, 2, "unknown section ''", 0 },
	{ "missing ']'", "[service a\nexec = /bin/true\n", -1, 1, 11,
	  "missing ']' at end of section header", 0 },
	{ "missing ']', indented", "\t[service a\n", -1, 1, 12, "missing ']'", 0 },
	{ "text after ']'", "[service a] x\nexec = /bin/true\n", -1, 1, 13,
	  "unexpected text after ']'", 0 },
	{ "second ']'", "[service a]]\n", -1, 1, 12, "unexpected text after ']'", 0 },
	{ "[lifeline] with a name", "[lifeline main]\n", -1, 1, 11,
	  "[lifeline] takes no name", 0 },
	{ "section without a name", "[service]\n", -1, 1, 9,
	  "section needs a name, as in [service NAME]", 0 },
	{ "section without a name (boot, blanks)", "[boot   ]\n", -1, 1, 9,
	  "section needs a name, as in [boot NAME]", 0 },
	{ "section without a name (shutdown)", "[shutdown]\n", -1, 1, 10,
	  "as in [shutdown NAME]", 0 },
	{ "invalid character in name", "[service a/b]\nexec = /bin/true\n", -1, 1, 11,
	  "invalid character in name (use letters, digits, - _ . @)", 0 },
	{ "blank inside a name", "[service a b]\n", -1, 1, 11,
	  "invalid character in name", 0 },
	{ "duplicate name", SVC "[boot a]\nexec = /bin/true\n", -1, 3, 7,
	  "duplicate name 'a' (first defined at test.conf:1)", 0 },
	{ "key outside any section", "exec = /bin/true\n", -1, 1, 1,
	  "key outside of any section; start with [service NAME]", 0 },
	{ "key outside any section, indented", "# top\n  nice = 1\n", -1, 2, 3,
	  "key outside of any section", 0 },
	{ "expected '='", SVC "nice 5\n", -1, 3, 6, "expected '=' after key", 0 },
	{ "expected '=' (other character)", SVC "nice: 5\n", -1, 3, 5,
	  "expected '=' after key", 0 },
	{ "expected key (uppercase)", "[lifeline]\nStop_timeout = 5s\n", -1, 2, 1,
	  "expected 'key = value' or [section]", 0 },
	{ "expected key (no key)", SVC "  = 5\n", -1, 3, 3,
	  "expected 'key = value' or [section]", 0 },
	{ "missing value", SVC "nice =\n", -1, 3, 7, "missing value for 'nice'", 0 },
	{ "missing value (only a comment)", SVC "nice = # none\n", -1, 3, 8,
	  "missing value for 'nice'", 0 },
	{ "missing value (blanks)", SVC "nice = \t \n", -1, 3, 10,
	  "missing value for 'nice'", 0 },
	{ "unknown key in [lifeline]", "[lifeline]\nfoo = 1\n", -1, 2, 1,
	  "unknown key 'foo' in [lifeline]", 0 },
	{ "unit key in [lifeline]", "[lifeline]\nexec = /bin/true\n", -1, 2, 1,
	  "unknown key 'exec' in [lifeline]", 0 },
	{ "unknown key in a unit", SVC "exec_start = /bin/true\n", -1, 3, 1,
	  "unknown key 'exec_start'", 0 },
	{ "unknown key in a unit, indented", SVC "    stop_timeout = 5s\n", -1, 3, 5,
	  "unknown key 'stop_timeout'", 0 },
	{ "bad duration in [lifeline]", "[lifeline]\nstop_timeout = 10x\n", -1, 2, 16,
	  "bad duration '10x' (use e.g. 500ms, 30s, 5m)", 0 },
	{ "bad duration (timeout)", "[boot b]\nexec = /bin/true\ntimeout = soon\n", -1, 3, 11,
	  "bad duration 'soon'", 0 },
	{ "bad duration (stable_after)", SVC "stable_after = -5s\n", -1, 3, 16,
	  "bad duration '-5s'", 0 },
	{ "duration too short (restart_delay_max)", "[lifeline]\nrestart_delay_max = 50ms\n",
	  -1, 2, 21, "duration '50ms' too short (at least 100ms)", 0 },
	{ "duration too short (spawn_retry)", "[lifeline]\nspawn_retry = 5ms\n", -1, 2, 15,
	  "duration '5ms' too short (at least 10ms)", 0 },
	{ "duration too short (timeout)", "[shutdown s]\nexec = /bin/true\ntimeout = 0\n",
	  -1, 3, 11, "duration '0' too short (at least 1ms)", 0 },
	{ "duration too short (unit restart_delay_max)", SVC "restart_delay_max = 99ms\n",
	  -1, 3, 21, "too short (at least 100ms)", 0 },
	{ "duration too short (stable_after)", SVC "stable_after = 5ms\n", -1, 3, 16,
	  "duration '5ms' too short", 0 },
	{ "bad oom_score_adj (range)", SVC "oom_score_adj = -1001\n", -1, 3, 17,
	  "oom_score_adj must be a number from -1000 to 1000", 0 },
	{ "bad oom_score_adj (word)", SVC "oom_score_adj = low\n", -1, 3, 17,
	  "oom_score_adj must be a number from -1000 to 1000", 0 },
	{ "bad oom_score_adj (sign only)", SVC "oom_score_adj = -\n", -1, 3, 17,
	  "oom_score_adj must be a number", 0 },
	{ "bad nice (range)", SVC "nice = 20\n", -1, 3, 8,
	  "nice must be a number from -20 to 19", 0 },
	{ "bad nice (negative range)", SVC "nice = -21\n", -1, 3, 8,
	  "nice must be a number from -20 to 19", 0 },
	{ "bad nice (fraction)", SVC "nice = 1.5\n", -1, 3, 8, "nice must be a number", 0 },
	{ "bad protect", SVC "protect = maybe\n", -1, 3, 11, "protect must be yes or no", 0 },
	{ "bad protect (case)", SVC "protect = YES\n", -1, 3, 11, "protect must be yes or no", 0 },
	{ "bad kmsg", SVC "kmsg = maybe\n", -1, 3, 8, "kmsg must be yes or no", 0 },
	{ "bad syslog facility", SVC "syslog = mail\n", -1, 3, 10,
	  "syslog must be a facility (daemon, auth, authpriv, cron, user, local0 to local7) or no", 0 },
	{ "bad syslog facility (local8)", SVC "syslog = local8\n", -1, 3, 10,
	  "syslog must be a facility", 0 },
	{ "[lifeline] syslog: a relative path", "[lifeline]\nsyslog = dev/log\n", -1, 2, 10,
	  "syslog must be no or the absolute path of a socket", 0 },
	{ "bad early", SVC "early = sometimes\n", -1, 3, 9, "early must be yes or no", 0 },
	{ "bad restart", SVC "restart = sometimes\n", -1, 3, 11,
	  "restart must be always, on-failure or never", 0 },
	{ "restart only in [service]", "[boot b]\nexec = /bin/true\nrestart = always\n", -1, 3, 1,
	  "'restart' is only valid in [service] sections", 0 },
	{ "early only in [service]", "[shutdown b]\nexec = /bin/true\nearly = yes\n", -1, 3, 1,
	  "'early' is only valid in [service] sections", 0 },
	{ "restart_delay_max only in [service]",
	  "[boot b]\nexec = /bin/true\nrestart_delay_max = 5s\n", -1, 3, 1,
	  "'restart_delay_max' is only valid in [service] sections", 0 },
	{ "stable_after only in [service]", "[shutdown b]\nexec = /bin/true\nstable_after = 5s\n",
	  -1, 3, 1, "'stable_after' is only valid in [service] sections", 0 },
	{ "timeout only in [boot]/[shutdown]", SVC "timeout = 5s\n", -1, 3, 1,
	  "'timeout' is only valid in [boot] and [shutdown] sections", 0 },
	{ "exec given twice", SVC "exec = /bin/sh\n", -1, 3, 1, "exec given twice", 0 },
	{ "unterminated single quote", "[service a]\nexec = /bin/echo 'abc\n", -1, 2, 18,
	  "unterminated quote", 2 },
	{ "unterminated double quote", "[service a]\nexec = /bin/echo x \"ab\\\"c\n", -1, 2, 20,
	  "unterminated quote", 2 },
	{ "backslash at end", "[service a]\nexec = /bin/echo a\\\n", -1, 2, 19,
	  "backslash at end of line", 2 },
	{ "env without '='", SVC "env = FOO\n", -1, 3, 7, "env needs NAME=VALUE", 0 },
	{ "env with an empty name", SVC "env = =x\n", -1, 3, 7, "env needs NAME=VALUE", 0 },
	{ "env name starting with a digit", SVC "env = 1A=x\n", -1, 3, 7,
	  "env needs NAME=VALUE", 0 },
	{ "env name with a dash", SVC "env = A-B=1\n", -1, 3, 7, "env needs NAME=VALUE", 0 },
	{ "cwd not absolute", SVC "cwd = tmp\n", -1, 3, 7, "cwd must be an absolute path", 0 },
	{ "user with ':'", SVC "user = al:ice\n", -1, 3, 10, "invalid character in user name", 0 },
	{ "user with a blank", SVC "user = al ice\n", -1, 3, 10,
	  "invalid character in user name", 0 },
	{ "group with '/'", SVC "group = a/b\n", -1, 3, 10, "invalid character in group name", 0 },
	{ "control character", SVC "nice = \x01\n", -1, 3, 8, "control character in line", 0 },
	{ "control character in a key", SVC "ni\x1b" "ce = 1\n", -1, 3, 3,
	  "control character in line", 0 },
	{ "control character in a header", "[service \x7f\x02]\n", -1, 1, 11,
	  "control character in line", 0 },
	{ "NUL byte", SVC "nice = 1\0 2\n", sizeof(SVC "nice = 1\0 2\n") - 1, 3, 9,
	  "control character in line", 0 },
	{ "no exec", "[service a]\nnice = 1\n", -1, 1, 1, "'a' has no exec", 0 },
	{ "no exec (later section)", "[lifeline]\n\n[boot setup]\nuser = nobody-here\n", -1, 3, 1,
	  "'setup' has no exec", 0 },
	{ "relative path with a slash", "[service a]\nexec = bin/true\n", -1, 2, 8,
	  "executable path must be absolute or a bare name", 0 },
	{ "relative path ./", "[service a]\nnice = 1\nexec   =   ./true -v\n", -1, 3, 12,
	  "executable path must be absolute or a bare name", 0 },
	{ "executable not found (absolute)",
	  "[service a]\nexec = /nonexistent/lifeline-test -x\n", -1, 2, 8,
	  "executable not found: /nonexistent/lifeline-test", 0 },
	{ "executable not found (bare name)", "[boot a]\nexec = lifeline-no-such-cmd\n", -1, 2, 8,
	  "executable not found: lifeline-no-such-cmd", 0 },
	{ "executable not executable", "[boot a]\nexec = /etc/passwd\n", -1, 2, 8,
	  "executable not found: /etc/passwd", 0 },
	{ "unknown user", SVC "user = nosuchuser\n", -1, 1, 1, "'a': unknown user 'nosuchuser'", 0 },
	{ "unknown group", SVC "group = nosuchgroup\n", -1, 1, 1,
	  "'a': unknown group 'nosuchgroup'", 0 },
};

/* Cases whose text is built at run time (long lines, many sections). */
#define MAX_DYN 16
static struct err_case dyn_cases[MAX_DYN];
static int ndyn;
static char dyn_text[MAX_DYN][8192];

static char *dyn(const char *name, int line, int col, const char *msg, int nreports)
{
	struct err_case *c = &dyn_cases[ndyn];
	c->name = name;
	c->text = dyn_text[ndyn];
	c->len = -1;
	c->line = line;
	c->col = col;
	c->msg = msg;
	c->nreports = nreports;
	return dyn_text[ndyn++];
}

static char *repeat(char *dst, char ch, int n)
{
	memset(dst, ch, (size_t)n);
	dst[n] = '\0';
	return dst + n;
}

static void build_dynamic_cases(void)
{
	char *t;
	ndyn = 0;

	t = dyn("name too long", 1, 10, "name too long (at most 31 characters)", 0);
	strcpy(t, "[service ");
	t = repeat(t + strlen(t), 'n', NAME_MAX_LEN);
	strcpy(t, "]\nexec = /bin/true\n");

	t = dyn("too many sections", 2 * MAX_UNITS + 1, 1, "too many sections (at most 32)", 0);
	for (int i = 0; i <= MAX_UNITS; i++)
		t += sprintf(t, "[service s%d]\nexec = /bin/true\n", i);

	/* 33 words: the 33rd ('a' number 32) is at column 16 + 31 * 2 + 2 */
	t = dyn("too many arguments", 2, 80, "too many arguments (at most 32)", 2);
	t += sprintf(t, "[service a]\nexec = /bin/true");
	for (int i = 0; i < MAX_ARGS; i++)
		t += sprintf(t, " a");
	strcpy(t, "\n");

	t = dyn("command line too long", 2, 8, "command line too long (at most 382 bytes)", 2);
	strcpy(t, "[service a]\nexec = /bin/true ");
	t = repeat(t + strlen(t), 'x', 400);
	strcpy(t, "\n");

	/* the command line, words and one separator each, is at most
	 * EXEC_MAX_LEN - 2 bytes: "/bin/true " is 10, so 373 more is one over */
	t = dyn("command line too long (one byte over)", 2, 8, "command line too long", 2);
	strcpy(t, "[service a]\nexec = /bin/true ");
	t = repeat(t + strlen(t), 'x', EXEC_MAX_LEN - 2 - 10 + 1);
	strcpy(t, "\n");

	t = dyn("command line too long (quoted)", 2, 8, "command line too long", 2);
	strcpy(t, "[service a]\nexec = /bin/true '");
	t = repeat(t + strlen(t), 'q', 400);
	strcpy(t, "'\n");

	t = dyn("too many env entries", 3 + MAX_ENV, 1, "too many env entries (at most 16)", 0);
	t += sprintf(t, SVC);
	for (int i = 0; i <= MAX_ENV; i++)
		t += sprintf(t, "env = V%d=x\n", i);

	/* 2 * (122 + 1) bytes used; 12 more + 2 NULs > 256 */
	t = dyn("environment too long", 5, 7, "environment too long (at most 254 bytes)", 0);
	t += sprintf(t, SVC "env = A=");
	t = repeat(t, 'a', 120);
	t += sprintf(t, "\nenv = B=");
	t = repeat(t, 'b', 120);
	t += sprintf(t, "\nenv = C=");
	t = repeat(t, 'c', 10);
	strcpy(t, "\n");

	t = dyn("user name too long", 3, 8, "user name too long (at most 31 bytes)", 0);
	t += sprintf(t, SVC "user = ");
	t = repeat(t, 'u', USER_MAX_LEN);
	strcpy(t, "\n");

	t = dyn("group name too long", 3, 9, "group name too long (at most 31 bytes)", 0);
	t += sprintf(t, SVC "group = ");
	t = repeat(t, 'g', USER_MAX_LEN + 10);
	strcpy(t, "\n");

	t = dyn("cwd too long", 3, 7, "cwd too long (at most 127 bytes)", 0);
	t += sprintf(t, SVC "cwd = /");
	t = repeat(t, 'c', PATH_MAX_LEN - 1);
	strcpy(t, "\n");

	t = dyn("line too long", 2, 1024, "line too long (at most 1023 bytes)", 0);
	t += sprintf(t, "[lifeline]\n#");
	t = repeat(t, 'x', LINE_MAX_LEN - 1);
	strcpy(t, "\nstop_timeout = 1s\n");

	t = dyn("line too long (last line, no newline)", 3, 1024, "line too long", 0);
	t += sprintf(t, SVC "nice = 1 #");
	repeat(t, 'x', 3000);
}

static struct config cfg;
static struct config_parser parser;
static struct capture cap;

static void check_error_case(const struct err_case *ec)
{
	TEST("config error: %s", ec->name) {
		int want_n = ec->nreports ? ec->nreports : 1;
		int ret = parse_text(&parser, &cfg, &cap, ec->text, ec->len);
		CHECK_MSG(cap.n == want_n, "%d reports, expected %d: %s", cap.n, want_n,
			  capture_str(&cap));
		CHECK_MSG(ret >= 1, "config_end returned %d", ret);
		if (cap.n >= 1) {
			const struct report *r = &cap.r[0];
			CHECK_STR(r->file, "test.conf");
			CHECK_MSG(r->line == ec->line && r->col == ec->col,
				  "reported at %d:%d, expected %d:%d (%s)", r->line, r->col,
				  ec->line, ec->col, r->msg);
			CHECK_CONTAINS(r->msg, ec->msg);
		}
	}
}

/* The same text through config_load (the file reader) must give the same
 * reports as the buffer parser. */
static void check_same_from_file(const struct err_case *ec, const char *dir, int *bad,
				 char *why, size_t whycap)
{
	static struct capture fromfile;
	static struct config cfg2;
	char path[300];
	int len = ec->len < 0 ? (int)strlen(ec->text) : ec->len;
	snprintf(path, sizeof path, "%s/lifeline.conf", dir);
	if (write_file(dir, "lifeline.conf", ec->text, (size_t)len) < 0) {
		snprintf(why, whycap, "cannot write %s", path);
		(*bad)++;
		return;
	}
	parse_text(&parser, &cfg, &cap, ec->text, ec->len);
	memset(&fromfile, 0, sizeof fromfile);
	config_load(&cfg2, path, capture_report, &fromfile, NULL);
	int same = fromfile.n == cap.n;
	for (int i = 0; same && i < cap.n && i < CAPTURE_MAX; i++) {
		/* the buffer's file name is "test.conf", the file's is path */
		char msg[600];
		const char *tc = strstr(cap.r[i].msg, "test.conf");
		if (tc)
			snprintf(msg, sizeof msg, "%.*s%s%s", (int)(tc - cap.r[i].msg),
				 cap.r[i].msg, path, tc + strlen("test.conf"));
		else
			snprintf(msg, sizeof msg, "%s", cap.r[i].msg);
		same = fromfile.r[i].line == cap.r[i].line && fromfile.r[i].col == cap.r[i].col &&
		       !strcmp(fromfile.r[i].msg, msg) && !strcmp(fromfile.r[i].file, path);
	}
	if (!same) {
		if (!*bad) {
			char a[1024];
			snprintf(a, sizeof a, "%s", capture_str(&cap));
			snprintf(why, whycap, "'%s': buffer gives %s; file gives %s", ec->name, a,
				 capture_str(&fromfile));
		}
		(*bad)++;
	}
}

static const struct unit_conf *find(const char *name)
{
	for (int i = 0; i < cfg.nunits; i++)
		if (!strcmp(cfg.unit[i].name, name))
			return &cfg.unit[i];
	return NULL;
}

/* Parse text that must give no report at all. */
static int parse_clean(const char *text)
{
	int ret = parse_text(&parser, &cfg, &cap, text, -1);
	CHECK_MSG(cap.n == 0, "unexpected reports: %s", capture_str(&cap));
	CHECK_INT(ret, 0);
	return cap.n == 0;
}

static void positive_cases(void)
{
	const struct unit_conf *u;

	TEST("config: syslog facilities of units, the socket in [lifeline]") {
		parse_clean("[lifeline]\nsyslog = /run/test.sock\n[service a]\nexec = /bin/true\n"
			    "[service b]\nexec = /bin/true\nsyslog = authpriv\n"
			    "[service c]\nexec = /bin/true\nsyslog = no\n"
			    "[boot d]\nexec = /bin/true\nsyslog = local7\n");
		CHECK_STR(cfg.syslog, "/run/test.sock");
		CHECK_INT(cfg.unit[0].syslog_facility, LOG_FAC_DAEMON);
		CHECK_INT(cfg.unit[1].syslog_facility, LOG_FAC_AUTHPRIV);
		CHECK_INT(cfg.unit[2].syslog_facility, LOG_FAC_NONE);
		CHECK_INT(cfg.unit[3].syslog_facility, LOG_FAC_LOCAL0 + 7);
		parse_clean("[lifeline]\nsyslog = no\n");
		CHECK_STR(cfg.syslog, "no");
		parse_clean("[service a]\nexec = /bin/true\n");
		CHECK_STR(cfg.syslog, "");
	}
	TEST("config: a minimal service") {
		parse_clean("[service sshd]\nexec = /bin/true -D -e\n");
		CHECK_INT(cfg.nunits, 1);
		u = &cfg.unit[0];
		CHECK_STR(u->name, "sshd");
		CHECK_INT(u->kind, UNIT_SERVICE);
		CHECK_INT(u->argc, 3);
		CHECK_STR(unit_arg(&cfg, u, 0), "/bin/true");
		CHECK_STR(unit_arg(&cfg, u, 1), "-D");
		CHECK_STR(unit_arg(&cfg, u, 2), "-e");
		CHECK_STR(unit_path(&cfg, u), "/bin/true");
		CHECK_INT(u->restart, RESTART_ALWAYS);
		CHECK_INT(u->early, 0);
		CHECK_INT(u->protect, 0);
		CHECK_INT(u->oom_score_adj, OOM_ADJ_UNSET);
		CHECK_INT(u->envc, 0);
		CHECK_STR(u->user, "");
		CHECK_STR(conf_cwd(&cfg, u), "");
	}
	TEST("config: exec is split into NUL-separated words with quotes and escapes") {
		parse_clean("[service a]\n"
			    "exec = /bin/echo 'a b' \"c \\\"d\\\" \\\\e\" f\\ g h\\'i "
			    "'x'\"y\"z \"p\\q\" '\\n' \"\"\n");
		u = &cfg.unit[0];
		CHECK_INT(u->argc, 9);
		CHECK_STR(unit_arg(&cfg, u, 0), "/bin/echo");
		CHECK_STR(unit_arg(&cfg, u, 1), "a b");
		CHECK_STR(unit_arg(&cfg, u, 2), "c \"d\" \\e");
		CHECK_STR(unit_arg(&cfg, u, 3), "f g");
		CHECK_STR(unit_arg(&cfg, u, 4), "h'i");
		CHECK_STR(unit_arg(&cfg, u, 5), "xyz");
		CHECK_STR(unit_arg(&cfg, u, 6), "p\\q");      /* only \" and \\ escape in "" */
		CHECK_STR(unit_arg(&cfg, u, 7), "\\n");       /* nothing escapes in '' */
		CHECK_STR(unit_arg(&cfg, u, 8), "");
		/* the list ends with an empty string */
		const char *end = conf_next_str(unit_arg(&cfg, u, 8));
		CHECK_INT(end[0], '\0');
	}
	TEST("config: exec words split on tabs and runs of blanks") {
		parse_clean("[service a]\nexec =\t/bin/echo\t \tone   two\t\n");
		u = &cfg.unit[0];
		CHECK_INT(u->argc, 3);
		CHECK_STR(unit_arg(&cfg, u, 1), "one");
		CHECK_STR(unit_arg(&cfg, u, 2), "two");
	}
	TEST("config: inline comment after a value") {
		parse_clean("[service a]\nexec = /bin/echo a # a comment 'with quote\n"
			    "nice = 5 # five\nenv = A=1\t# tab before\n");
		u = &cfg.unit[0];
		CHECK_INT(u->argc, 2);
		CHECK_STR(unit_arg(&cfg, u, 1), "a");
		CHECK_INT(u->nice, 5);
		CHECK_INT(u->envc, 1);
		CHECK_STR(conf_env(&cfg, u), "A=1");
	}
	TEST("config: '#' inside quotes or a word is not a comment") {
		parse_clean("[service a]\n"
			    "exec = /bin/echo \"a # b\" 'c # d' e#f \\# g # real comment\n");
		u = &cfg.unit[0];
		CHECK_INT(u->argc, 6);
		CHECK_STR(unit_arg(&cfg, u, 1), "a # b");
		CHECK_STR(unit_arg(&cfg, u, 2), "c # d");
		CHECK_STR(unit_arg(&cfg, u, 3), "e#f");
		CHECK_STR(unit_arg(&cfg, u, 4), "#");
		CHECK_STR(unit_arg(&cfg, u, 5), "g");
	}
	TEST("config: '#' after an escaped quote inside quotes is not a comment") {
		parse_clean("[service a]\nexec = /bin/echo \"x\\\" # y\"\n");
		u = &cfg.unit[0];
		CHECK_INT(u->argc, 2);
		CHECK_STR(unit_arg(&cfg, u, 1), "x\" # y");
	}
	TEST("config: comments, blank lines and ';' lines are ignored") {
		parse_clean("# comment\n; also a comment\n   # indented\n\n \t \n"
			    "[service a] # trailing comment\nexec = /bin/true\n# end\n");
		CHECK_INT(cfg.nunits, 1);
	}
	TEST("config: blanks around headers, keys and values") {
		parse_clean("  [  service   a-b_c.d@1  ]  \n\texec\t=\t/bin/true\t\n"
			    "  cwd   =   /var/tmp   \n");
		CHECK_INT(cfg.nunits, 1);
		CHECK_STR(cfg.unit[0].name, "a-b_c.d@1");
		CHECK_STR(conf_cwd(&cfg, &cfg.unit[0]), "/var/tmp");
	}
	TEST("config: env entries are stored in order") {
		parse_clean("[service a]\nexec = /bin/true\nenv = A=1\nenv = B=two words\n"
			    "env = C=\nenv = _x9=a=b\n");
		u = &cfg.unit[0];
		CHECK_INT(u->envc, 4);
		const char *e = conf_env(&cfg, u);
		CHECK_STR(e, "A=1");
		e = conf_next_str(e);
		CHECK_STR(e, "B=two words");
		e = conf_next_str(e);
		CHECK_STR(e, "C=");
		e = conf_next_str(e);
		CHECK_STR(e, "_x9=a=b");
		e = conf_next_str(e);
		CHECK_INT(e[0], '\0');
	}
	TEST("config: protect=yes gives oom_score_adj -1000") {
		parse_clean("[service a]\nexec = /bin/true\nprotect = yes\n");
		CHECK_INT(cfg.unit[0].protect, 1);
		CHECK_INT(cfg.unit[0].oom_score_adj, -1000);
	}
	TEST("config: explicit oom_score_adj wins over protect") {
		parse_clean("[service a]\nexec = /bin/true\nprotect = yes\noom_score_adj = -500\n"
			    "[service b]\nexec = /bin/true\noom_score_adj = 200\nprotect = on\n");
		CHECK_INT(cfg.unit[0].oom_score_adj, -500);
		CHECK_INT(cfg.unit[0].protect, 1);
		CHECK_INT(cfg.unit[1].oom_score_adj, 200);
		CHECK_INT(cfg.unit[1].protect, 1);
	}
	TEST("config: protect=no leaves oom_score_adj unset") {
		parse_clean("[service a]\nexec = /bin/true\nprotect = no\n"
			    "[service b]\nexec = /bin/true\noom_score_adj = +1000\n"
			    "[service c]\nexec = /bin/true\noom_score_adj = -1000\nprotect = false\n");
		CHECK_INT(cfg.unit[0].protect, 0);
		CHECK_INT(cfg.unit[0].oom_score_adj, OOM_ADJ_UNSET);
		CHECK_INT(cfg.unit[1].oom_score_adj, 1000);
		CHECK_INT(cfg.unit[2].oom_score_adj, -1000);
	}
	TEST("config: boolean spellings") {
		parse_clean("[service a]\nexec = /bin/true\nearly = true\nprotect = 1\n"
			    "[service b]\nexec = /bin/true\nearly = off\nprotect = 0\n");
		CHECK_INT(cfg.unit[0].early, 1);
		CHECK_INT(cfg.unit[0].protect, 1);
		CHECK_INT(cfg.unit[1].early, 0);
		CHECK_INT(cfg.unit[1].protect, 0);
	}
	TEST("config: restart policies and nice") {
		parse_clean("[service a]\nexec = /bin/true\nrestart = on-failure\nnice = -20\n"
			    "[service b]\nexec = /bin/true\nrestart = never\nnice = 19\n"
			    "[service c]\nexec = /bin/true\nrestart = no\n"
			    "[service d]\nexec = /bin/true\nrestart = always\n");
		CHECK_INT(cfg.unit[0].restart, RESTART_ON_FAILURE);
		CHECK_INT(cfg.unit[0].nice, -20);
		CHECK_INT(cfg.unit[1].restart, RESTART_NEVER);
		CHECK_INT(cfg.unit[1].nice, 19);
		CHECK_INT(cfg.unit[2].restart, RESTART_NEVER);
		CHECK_INT(cfg.unit[3].restart, RESTART_ALWAYS);
	}
	TEST("config: global defaults") {
		parse_clean("");
		CHECK_INT(cfg.nunits, 0);
		CHECK_INT(cfg.stop_timeout_ms, 10000);
		CHECK_INT(cfg.restart_max_ms, 30000);
		CHECK_INT(cfg.stable_ms, 60000);
		CHECK_INT(cfg.spawn_retry_ms, 1000);
	}
	TEST("config: [lifeline] settings") {
		parse_clean("[lifeline]\nstop_timeout = 0\nrestart_delay_max = 100ms\n"
			    "stable_after = 2m\nspawn_retry = 10ms\n");
		CHECK_INT(cfg.stop_timeout_ms, 0);
		CHECK_INT(cfg.restart_max_ms, 100);
		CHECK_INT(cfg.stable_ms, 120000);
		CHECK_INT(cfg.spawn_retry_ms, 10);
	}
	TEST("config: task timeouts default to 120s (boot) and 10s (shutdown)") {
		parse_clean("[boot b]\nexec = /bin/true\n[shutdown s]\nexec = /bin/true\n"
			    "[boot b2]\nexec = /bin/true\ntimeout = 5s\n"
			    "[shutdown s2]\nexec = /bin/true\ntimeout = 250ms\n");
		CHECK_INT(find("b") ? find("b")->timeout_ms : 0, 120000);
		CHECK_INT(find("s") ? find("s")->timeout_ms : 0, 10000);
		CHECK_INT(find("b2") ? find("b2")->timeout_ms : 0, 5000);
		CHECK_INT(find("s2") ? find("s2")->timeout_ms : 0, 250);
		CHECK_INT(cfg.unit[0].kind, UNIT_BOOT);
		CHECK_INT(cfg.unit[1].kind, UNIT_SHUTDOWN);
	}
	TEST("config: restart_delay_max and stable_after inherit from [lifeline]") {
		/* [lifeline] after the service still counts: defaults are filled
		 * in at the end */
		parse_clean("[service a]\nexec = /bin/true\n"
			    "[service b]\nexec = /bin/true\nrestart_delay_max = 2s\nstable_after = 100ms\n"
			    "[lifeline]\nrestart_delay_max = 5m\nstable_after = 90s\n");
		CHECK_INT(find("a") ? find("a")->restart_max_ms : 0, 300000);
		CHECK_INT(find("a") ? find("a")->stable_ms : 0, 90000);
		CHECK_INT(find("b") ? find("b")->restart_max_ms : 0, 2000);
		CHECK_INT(find("b") ? find("b")->stable_ms : 0, 100);
	}
	TEST("config: protected services back off at most 2s unless they say otherwise") {
		parse_clean("[service p]\nexec = /bin/true\nprotect = yes\n"
			    "[service q]\nexec = /bin/true\nprotect = yes\nrestart_delay_max = 1m\n"
			    "[service r]\nexec = /bin/true\nprotect = yes\n"
			    "[service u]\nexec = /bin/true\n"
			    "[lifeline]\nrestart_delay_max = 5m\n");
		CHECK_INT(find("p") ? find("p")->restart_max_ms : 0, 2000);
		CHECK_INT(find("q") ? find("q")->restart_max_ms : 0, 60000);
		CHECK_INT(find("u") ? find("u")->restart_max_ms : 0, 300000);
		/* a global cap below 2s applies to them too */
		parse_clean("[service p]\nexec = /bin/true\nprotect = yes\n"
			    "[lifeline]\nrestart_delay_max = 500ms\n");
		CHECK_INT(find("p") ? find("p")->restart_max_ms : 0, 500);
	}
	TEST("config: without [lifeline] units get the built-in defaults") {
		parse_clean("[service a]\nexec = /bin/true\n");
		CHECK_INT(cfg.unit[0].restart_max_ms, 30000);
		CHECK_INT(cfg.unit[0].stable_ms, 60000);
	}
	TEST("config: a bare command is resolved through PATH") {
		parse_clean("[service a]\nexec = sh -c true\n");
		u = &cfg.unit[0];
		CHECK_INT(u->argc, 3);
		CHECK_STR(unit_arg(&cfg, u, 0), "sh");      /* argv[0] as written */
		CHECK_MSG(unit_path(&cfg, u)[0] == '/', "path \"%s\" is not absolute", unit_path(&cfg, u));
		CHECK_MSG(access(unit_path(&cfg, u), X_OK) == 0, "path \"%s\" is not executable", unit_path(&cfg, u));
		size_t l = strlen(unit_path(&cfg, u));
		CHECK_MSG(l > 3 && !strcmp(unit_path(&cfg, u) + l - 3, "/sh"), "path \"%s\"", unit_path(&cfg, u));
	}
	TEST("config: config_resolve_exec") {
		char out[PATH_MAX_LEN];
		CHECK_INT(config_resolve_exec("true", out, sizeof out), 0);
		CHECK(out[0] == '/' && strstr(out, "/true"));
		CHECK_INT(config_resolve_exec("/bin/true", out, sizeof out), 0);
		CHECK_STR(out, "/bin/true");
		CHECK_INT(config_resolve_exec("lifeline-no-such-cmd", out, sizeof out), -1);
		CHECK_STR(out, "");
		CHECK_INT(config_resolve_exec("/nonexistent/x", out, sizeof out), -1);
		CHECK_INT(config_resolve_exec("/bin/true", out, 5), -1);
	}
	TEST("config: CRLF line endings are accepted") {
		parse_clean("[lifeline]\r\nstop_timeout = 3s\r\n\r\n# comment\r\n"
			    "[service a]\r\nexec = /bin/true -x\r\nnice = 3\r\nenv = A=1\r\n"
			    "cwd = /tmp\r\n");
		CHECK_INT(cfg.nunits, 1);
		u = &cfg.unit[0];
		CHECK_STR(u->name, "a");
		CHECK_INT(u->argc, 2);
		CHECK_STR(unit_arg(&cfg, u, 1), "-x");
		CHECK_INT(u->nice, 3);
		CHECK_STR(conf_env(&cfg, u), "A=1");
		CHECK_STR(conf_cwd(&cfg, u), "/tmp");
		CHECK_INT(cfg.stop_timeout_ms, 3000);
	}
	TEST("config: last line without a newline") {
		parse_clean("[service a]\nexec = /bin/true\nnice = 7");
		CHECK_INT(cfg.unit[0].nice, 7);
	}
	TEST("config: known users and groups (from the fake files)") {
		/* alice and staff exist only in the test's passwd/group files */
		parse_clean("[service a]\nexec = /bin/true\nuser = alice\ngroup = staff\n"
			    "[service b]\nexec = /bin/true\nuser = 1234\ngroup = 5678\n");
		CHECK_STR(cfg.unit[0].user, "alice");
		CHECK_STR(cfg.unit[0].group, "staff");
		CHECK_STR(cfg.unit[1].user, "1234");
	}
	TEST("config: limits that are just inside") {
		static char t[4096];
		char *p = t;
		p += sprintf(p, "[service ");
		p = repeat(p, 'n', NAME_MAX_LEN - 1);
		p += sprintf(p, "]\nexec = /bin/true");
		for (int i = 1; i < MAX_ARGS; i++)
			p += sprintf(p, " %d", i);
		p += sprintf(p, "\n");
		for (int i = 0; i < MAX_ENV; i++)
			p += sprintf(p, "env = V%d=x\n", i);
		p += sprintf(p, "user = ");
		p = repeat(p, 'u', USER_MAX_LEN - 1);
		p += sprintf(p, "\n#");
		p = repeat(p, 'c', LINE_MAX_LEN - 2);
		p += sprintf(p, "\n[service long]\nexec = /bin/true ");
		p = repeat(p, 'x', EXEC_MAX_LEN - 2 - 10);
		p += sprintf(p, "\n");
		parse_text(&parser, &cfg, &cap, t, -1);
		/* the only report: the 31-character user does not exist */
		CHECK_MSG(cap.n == 1 && strstr(cap.r[0].msg, "unknown user"),
			  "reports: %s", capture_str(&cap));
		CHECK_INT(parser.errors, 0);
		CHECK_INT(cfg.nunits, 2);
		CHECK_INT(cfg.unit[0].argc, MAX_ARGS);
		CHECK_INT(cfg.unit[0].envc, MAX_ENV);
		CHECK_INT(strlen(cfg.unit[0].name), NAME_MAX_LEN - 1);
		CHECK_INT(cfg.unit[1].argc, 2);
		const char *a1 = unit_arg(&cfg, &cfg.unit[1], 1);
		CHECK_INT(a1 ? strlen(a1) : 0, EXEC_MAX_LEN - 2 - 10);
	}
	TEST("config: 32 sections fit") {
		static char t[4096];
		char *p = t;
		for (int i = 0; i < MAX_UNITS; i++)
			p += sprintf(p, "[%s u%d]\nexec = /bin/true\n",
				     i % 3 == 0 ? "service" : i % 3 == 1 ? "boot" : "shutdown", i);
		parse_clean(t);
		CHECK_INT(cfg.nunits, MAX_UNITS);
		CHECK_STR(cfg.unit[MAX_UNITS - 1].name, "u31");
	}
	TEST("config: several errors are all reported, in order") {
		parse_text(&parser, &cfg, &cap,
			   "[service a]\nexec = /bin/true\nnice = 99\nbogus = 1\n"
			   "[wat x]\nexec = skipped\n[service b]\nexec = /bin/true\nearly = maybe\n", -1);
		CHECK_MSG(cap.n == 4, "reports: %s", capture_str(&cap));
		if (cap.n == 4) {
			CHECK_INT(cap.r[0].line, 3);
			CHECK_INT(cap.r[1].line, 4);
			CHECK_INT(cap.r[2].line, 5);
			CHECK_INT(cap.r[3].line, 9);
		}
		CHECK_INT(parser.errors, 4);
		CHECK_INT(cfg.nunits, 2);
	}
	TEST("config: a missing executable counts as missing, not as an error") {
		int ret = parse_text(&parser, &cfg, &cap,
				     "[service a]\nexec = /nonexistent/a\n"
				     "[service b]\nexec = /bin/true\nuser = ghost\n", -1);
		CHECK_INT(ret, 2);
		CHECK_INT(parser.errors, 0);
		CHECK_INT(parser.missing, 2);
		CHECK_INT(cap.n, 2);
	}
	TEST("config: the built-in fallback set parses") {
		/* its programs may be missing on the build host: no errors, though */
		parse_text(&parser, &cfg, &cap, fallback_config, -1);
		CHECK_MSG(parser.errors == 0, "%d errors: %s", parser.errors, capture_str(&cap));
		CHECK(cfg.nunits >= 3);
		CHECK(find("rescue-ssh") && find("rescue-ssh")->early == 1);
		CHECK(find("rescue-ssh") && find("rescue-ssh")->oom_score_adj == -1000);
		CHECK(find("run-sshd") && find("run-sshd")->kind == UNIT_BOOT &&
		      find("run-sshd")->timeout_ms == 10000);
		CHECK(find("sshd") && find("sshd")->argc == 3 &&
		      find("sshd")->oom_score_adj == -1000);
	}
	TEST("config: config_access_ok wants a startable sshd or dropbear service") {
		static struct config c2;
		struct capture cap2;
		parse_text(&parser, &c2, &cap2, "[service web]\nexec = /bin/true\n", -1);
		CHECK_INT(config_access_ok(&c2), 0);
		parse_text(&parser, &c2, &cap2, "[service sshd]\nexec = /nonexistent/sshd -D\n", -1);
		CHECK_INT(config_access_ok(&c2), 0);    /* its program is missing */
		parse_text(&parser, &c2, &cap2, "[boot sshd]\nexec = /bin/sh -c sshd\n", -1);
		CHECK_INT(config_access_ok(&c2), 0);    /* a task, not a service */
		parse_text(&parser, &c2, &cap2,
			   "[service web]\nexec = /bin/true\n"
			   "[service rescue]\nexec = /bin/sh -c 'exec /usr/sbin/dropbear -F -p 2222'\n",
			   -1);
		CHECK_INT(config_access_ok(&c2), 1);
		parse_text(&parser, &c2, &cap2, "[service s]\nexec = /bin/true sshd\n", -1);
		CHECK_INT(config_access_ok(&c2), 1);    /* sshd, found on PATH */
		/* a wrapper counts only if the program it names is there */
		parse_text(&parser, &c2, &cap2,
			   "[service r]\nexec = /bin/sh -c 'exec /nonexistent/sbin/dropbear -p 2'\n", -1);
		CHECK_INT(config_access_ok(&c2), 0);
		parse_text(&parser, &c2, &cap2,
			   "[service r]\nexec = /bin/sh -c 'k=/etc/dropbear_key; exec x'\n", -1);
		CHECK_INT(config_access_ok(&c2), 0);    /* a key file is no server */
	}
	TEST("config: config_continue adds sections; a known service name becomes fallback-NAME") {
		static struct config dst;
		struct capture c1, c2;
		struct config_parser p2;
		parse_text(&parser, &dst, &c1, "[service a]\nexec = /bin/true\n"
					      "[service b]\nexec = /bin/true -mine\n", -1);
		memset(&c2, 0, sizeof c2);
		config_continue(&p2, &dst, capture_report, &c2);
		const char *more = "[service b]\nexec = /bin/true -theirs\n"
				   "[boot a]\nexec = /bin/true -skipped\n"
				   "[boot c]\nexec = /bin/true -c\n[service d]\nexec = /nonexistent/d\n";
		config_parse_buffer(&p2, "more.conf", more, (int)strlen(more));
		CHECK_INT(config_end(&p2), 1);          /* only d's missing program */
		CHECK_MSG(c2.n == 1 && strstr(c2.r[0].msg, "/nonexistent/d"),
			  "reports: %s", capture_str(&c2));
		CHECK_INT(p2.first, 2);
		CHECK_INT(dst.nunits, 5);
		CHECK_STR(dst.unit[1].name, "b");
		CHECK_STR(unit_arg(&dst, &dst.unit[1], 1), "-mine");
		CHECK_STR(dst.unit[2].name, "fallback-b");
		CHECK_STR(unit_arg(&dst, &dst.unit[2], 1), "-theirs");
		CHECK_STR(dst.unit[3].name, "c");     /* the task named a was skipped */
		CHECK_INT(dst.unit[3].kind, UNIT_BOOT);
		CHECK_INT(dst.unit[3].timeout_ms, 120000);
		CHECK_STR(dst.unit[4].name, "d");
	}
	TEST("config: the string pool has a limit, reported where it is hit") {
		static char t[16384];
		char *p = t;
		int i;
		/* 32 units of ~300-byte commands: more than CONFIG_POOL bytes */
		for (i = 0; i < MAX_UNITS; i++) {
			p += sprintf(p, "[service u%d]\nexec = /bin/true ", i);
			p = repeat(p, 'x', 300);
			p += sprintf(p, "\n");
		}
		struct capture c1;
		parse_text(&parser, &cfg, &c1, t, -1);
		CHECK_MSG(c1.n >= 1 && strstr(c1.r[0].msg, "configuration too large"),
			  "reports: %s", capture_str(&c1));
		/* the first unit that no longer fits: each takes 300 + 12 bytes */
		int fit = (CONFIG_POOL - 2) / (300 + 12);
		CHECK_INT(c1.r[0].line, 2 * fit + 2);
		CHECK(cfg.pool_used <= CONFIG_POOL);
	}
	TEST("config: unit_conf_equal compares settings, not pool layout") {
		static struct config a, b;
		struct capture c1, c2;
		parse_text(&parser, &a, &c1, "[service x]\nexec = /bin/true 1\nenv = A=1\n"
					    "[service y]\nexec = /bin/true 2\ncwd = /tmp\nenv = B=2\n", -1);
		parse_text(&parser, &b, &c2, "[service y]\nenv = B=2\ncwd = /tmp\nexec = /bin/true 2\n"
					    "[service x]\nenv = A=1\nexec = /bin/true 1\n", -1);
		CHECK(a.unit[1].exec != b.unit[0].exec);       /* laid out differently */
		CHECK_INT(unit_conf_equal(&a, &a.unit[0], &b, &b.unit[1]), 1);
		CHECK_INT(unit_conf_equal(&a, &a.unit[1], &b, &b.unit[0]), 1);
		CHECK_INT(unit_conf_equal(&a, &a.unit[0], &b, &b.unit[0]), 0);
		parse_text(&parser, &b, &c2, "[service x]\nexec = /bin/true 1\nenv = A=2\n", -1);
		CHECK_INT(unit_conf_equal(&a, &a.unit[0], &b, &b.unit[0]), 0);
		parse_text(&parser, &b, &c2, "[service x]\nexec = /bin/true 1 \"\"\nenv = A=1\n", -1);
		CHECK_INT(unit_conf_equal(&a, &a.unit[0], &b, &b.unit[0]), 0);
		parse_text(&parser, &b, &c2, "[service x]\nexec = /bin/true 1\nenv = A=1\ncwd = /\n", -1);
		CHECK_INT(unit_conf_equal(&a, &a.unit[0], &b, &b.unit[0]), 0);
	}
	TEST("config: config_continue never goes past MAX_UNITS") {
		static struct config dst;
		static char t[4096];
		struct capture c1, c2;
		struct config_parser p2;
		char *p = t;
		for (int i = 0; i < MAX_UNITS; i++)
			p += sprintf(p, "[service u%d]\nexec = /bin/true\n", i);
		parse_text(&parser, &dst, &c1, t, -1);
		memset(&c2, 0, sizeof c2);
		config_continue(&p2, &dst, capture_report, &c2);
		const char *more = "[service extra]\nexec = /bin/true\n";
		config_parse_buffer(&p2, "more.conf", more, (int)strlen(more));
		config_end(&p2);
		CHECK_MSG(c2.n == 1 && strstr(c2.r[0].msg, "too many sections"),
			  "reports: %s", capture_str(&c2));
		CHECK_INT(dst.nunits, MAX_UNITS);
	}
	TEST("config: no report callback is fine") {
		config_begin(&parser, &cfg, NULL, NULL);
		const char *t = "[bad\nfoo\n[service a]\n";
		config_parse_buffer(&parser, "x.conf", t, (int)strlen(t));
		CHECK_INT(config_end(&parser), 3);
	}
}

/* Problems found by reading config.c; each of these is a bug when it fails. */
static void edge_cases(void)
{
	TEST("config: exec with an empty command is an error") {
		/* "" is one word, the empty string; it must not pass as a command */
		parse_text(&parser, &cfg, &cap, "[service a]\nexec = \"\"\n", -1);
		CHECK_MSG(cap.n >= 1, "accepted, path \"%s\"", unit_path(&cfg, &cfg.unit[0]));
		if (cap.n >= 1) {
			CHECK_INT(cap.r[0].line, 2);
			CHECK_INT(cap.r[0].col, 8);
		}
	}
	TEST("config: a directory is not an executable") {
		parse_text(&parser, &cfg, &cap, "[service a]\nexec = /tmp -x\n", -1);
		CHECK_MSG(cap.n == 1, "reports: %s (path \"%s\")", capture_str(&cap),
			  unit_path(&cfg, &cfg.unit[0]));
		if (cap.n >= 1) {
			CHECK_INT(cap.r[0].line, 2);
			CHECK_INT(cap.r[0].col, 8);
			CHECK_CONTAINS(cap.r[0].msg, "/tmp");
		}
	}
	TEST("config: empty quoted words cannot write past exec[]") {
		/* a word that fills exec[] to the limit, then empty words: each
		 * adds a NUL without a bounds check */
		static char t[2048];
		char *p = t;
		p += sprintf(p, "[service a]\nenv = KEEP=me\nexec = /");
		p = repeat(p, 'x', EXEC_MAX_LEN - 3);
		p += sprintf(p, " \"\" '' \"\"\n");
		parse_text(&parser, &cfg, &cap, t, -1);
		CHECK_STR(conf_env(&cfg, &cfg.unit[0]), "KEEP=me");
		CHECK_INT(cfg.unit[0].envc, 1);
		size_t used = 0;
		for (int i = 0; i < cfg.unit[0].argc; i++)
			used += strlen(conf_exec(&cfg, &cfg.unit[0]) + used) + 1;
		CHECK_MSG(used < EXEC_MAX_LEN, "argv takes %zu bytes of exec[%d]", used,
			  EXEC_MAX_LEN);
	}
}

void suite_config(void)
{
	use_fake_userdb();
	build_dynamic_cases();
	int n = (int)(sizeof static_cases / sizeof static_cases[0]);
	for (int i = 0; i < n; i++)
		check_error_case(&static_cases[i]);
	for (int i = 0; i < ndyn; i++)
		check_error_case(&dyn_cases[i]);

	TEST("config: the file reader reports like the buffer parser") {
		const char *dir = temp_dir();
		char why[3000] = "";
		int bad = 0;
		for (int i = 0; i < n; i++)
			check_same_from_file(&static_cases[i], dir, &bad, why, sizeof why);
		/* not the last dynamic case: an over-long last line without a
		 * newline has its own test in t_config_load.c */
		for (int i = 0; i < ndyn - 1; i++)
			check_same_from_file(&dyn_cases[i], dir, &bad, why, sizeof why);
		CHECK_MSG(bad == 0, "%d cases differ; first: %s", bad, why);
	}

	positive_cases();
	edge_cases();
}
