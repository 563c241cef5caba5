/* lib/ini.c, the line reader of lifeline.conf and peer.conf, and
 * lib/netaddr.c, their peer addresses: tables of lines and what the
 * reader makes of them, with the cases where the two files' readers
 * disagreed before they shared this one (quotes, digits in keys, NUL). */
#include "test.h"
#include "ini.h"
#include "netaddr.h"

#include <sys/socket.h>

struct ini_case {
	const char *name, *line;
	int len;                /* -1: strlen */
	enum ini_kind kind;
	/* INI_SECTION: type, name; INI_KEY: key, value; INI_ERROR: the message */
	const char *a, *b;
	int col_a, col_b;       /* their columns (INI_ERROR: col_a is the error's) */
	int header;             /* INI_ERROR: a broken [...] */
};

static const struct ini_case cases[] = {
	{ "empty line", "", -1, INI_BLANK, 0, 0, 0, 0, 0 },
	{ "blanks", " \t ", -1, INI_BLANK, 0, 0, 0, 0, 0 },
	{ "comment", "# x = 1", -1, INI_BLANK, 0, 0, 0, 0, 0 },
	{ "comment with ;", "; [x]", -1, INI_BLANK, 0, 0, 0, 0, 0 },
	{ "indented comment", "\t  # [x", -1, INI_BLANK, 0, 0, 0, 0, 0 },
	{ "CR only", "\r", -1, INI_BLANK, 0, 0, 0, 0, 0 },
	{ "key", "exec = /bin/true", -1, INI_KEY, "exec", "/bin/true", 1, 8, 0 },
	{ "key, no blanks", "nice=5", -1, INI_KEY, "nice", "5", 1, 6, 0 },
	{ "key, indented, CRLF", "  a_b = x y \r", -1, INI_KEY, "a_b", "x y", 3, 9, 0 },
	{ "comment after a value", "k = v   # note", -1, INI_KEY, "k", "v", 1, 5, 0 },
	{ "# without a blank before it", "k = a#b", -1, INI_KEY, "k", "a#b", 1, 5, 0 },
	{ "empty value", "k =", -1, INI_KEY, "k", "", 1, 4, 0 },
	{ "only a comment as value", "k = # none", -1, INI_KEY, "k", "", 1, 5, 0 },
	/* peer.conf's reader ended these at the '#'; lifeline.conf's did not */
	{ "# in double quotes", "k = \"a # b\" c", -1, INI_KEY, "k", "\"a # b\" c", 1, 5, 0 },
	{ "# in single quotes", "k = 'a # b' # c", -1, INI_KEY, "k", "'a # b'", 1, 5, 0 },
	{ "escaped quote in double quotes", "k = \"x\\\" # y\"", -1, INI_KEY, "k",
	  "\"x\\\" # y\"", 1, 5, 0 },
	{ "unterminated quote: to the end", "k = it's # so", -1, INI_KEY, "k", "it's # so",
	  1, 5, 0 },
	/* digits: lifeline.conf's reader took them anywhere in a key, peer.conf's
	 * nowhere; now after the first character */
	{ "digit in a key", "key2 = v", -1, INI_KEY, "key2", "v", 1, 8, 0 },
	{ "digit first", "2key = v", -1, INI_ERROR, "expected 'key = value' or [section]", 0,
	  1, 0, 0 },
	{ "upper case key", "Stop = 1", -1, INI_ERROR, "expected 'key = value' or [section]",
	  0, 1, 0, 0 },
	{ "no key", "  = 5", -1, INI_ERROR, "expected 'key = value' or [section]", 0, 3, 0, 0 },
	{ "no =", "nice 5", -1, INI_ERROR, "expected '=' after key", 0, 6, 0, 0 },
	{ "other character for =", "nice: 5", -1, INI_ERROR, "expected '=' after key", 0,
	  5, 0, 0 },
	{ "control character", "k = \x01", -1, INI_ERROR, "control character in line", 0,
	  5, 0, 0 },
	/* peer.conf's reader said "NUL byte in line" at column 1 */
	{ "NUL", "k = 1\0 2", 8, INI_ERROR, "control character in line", 0, 6, 0, 0 },
	{ "control character in a header", "[a\x7f\x02]", -1, INI_ERROR,
	  "control character in line", 0, 4, 0, 0 },
	{ "section", "[service web]", -1, INI_SECTION, "service", "web", 2, 10, 0 },
	{ "section without a name", "[lifeline]", -1, INI_SECTION, "lifeline", "", 2, 10, 0 },
	{ "section with blanks", "  [ host   db1 ]  # c", -1, INI_SECTION, "host", "db1",
	  5, 12, 0 },
	{ "section, name with a blank", "[service a b]", -1, INI_SECTION, "service", "a b",
	  2, 10, 0 },
	{ "empty section", "[]", -1, INI_SECTION, "", "", 2, 2, 0 },
	{ "missing ]", "[host web", -1, INI_ERROR, "missing ']' at end of section header", 0,
	  10, 0, 1 },
	{ "text after ]", "[peer] x", -1, INI_ERROR, "unexpected text after ']'", 0, 8, 0, 1 },
};

static void check_case(const struct ini_case *c)
{
	struct ini_line l;
	int len = c->len < 0 ? (int)strlen(c->line) : c->len;
	char a[128], b[128];
	ini_parse_line(c->line, len, &l);
	CHECK_INT(l.kind, c->kind);
	if (l.kind != c->kind)
		return;
	if (c->kind == INI_ERROR) {
		CHECK_STR(l.error, c->a);
		CHECK_INT(l.error_col, c->col_a);
		CHECK_INT(l.header, c->header);
	} else if (c->kind == INI_SECTION) {
		snprintf(a, sizeof a, "%.*s", l.type_len, l.type);
		snprintf(b, sizeof b, "%.*s", l.name_len, l.name);
		CHECK_STR(a, c->a);
		CHECK_STR(b, c->b);
		CHECK_INT(l.type_col, c->col_a);
		CHECK_INT(l.name_col, c->col_b);
	} else if (c->kind == INI_KEY) {
		snprintf(a, sizeof a, "%.*s", l.key_len, l.key);
		snprintf(b, sizeof b, "%.*s", l.value_len, l.value);
		CHECK_STR(a, c->a);
		CHECK_STR(b, c->b);
		CHECK_INT(l.key_col, c->col_a);
		CHECK_INT(l.value_col, c->col_b);
	}
}

struct addr_case {
	const char *in;
	int bare_v6;
	enum netaddr_err err;
	int at;                 /* the error's offset; OK: the port (-1 none) */
	int family;
};

static const struct addr_case addrs[] = {
	{ "192.0.2.10", 0, NETADDR_OK, -1, AF_INET },
	{ "192.0.2.10:7500", 0, NETADDR_OK, 7500, AF_INET },
	{ "[2001:db8::1]", 0, NETADDR_OK, -1, AF_INET6 },
	{ "[2001:db8::1]:22", 0, NETADDR_OK, 22, AF_INET6 },
	{ "2001:db8::1", 1, NETADDR_OK, -1, AF_INET6 },
	{ "2001:db8::1", 0, NETADDR_UNBRACKETED, 0, 0 },
	{ "[2001:db8::1", 0, NETADDR_NO_CLOSE, 12, 0 },
	{ "[2001:db8::1]7500", 0, NETADDR_AFTER_CLOSE, 13, 0 },
	{ "[]:7500", 0, NETADDR_NO_IP, 1, 0 },
	{ ":7500", 0, NETADDR_NO_IP, 0, 0 },
	{ "", 0, NETADDR_NO_IP, 0, 0 },
	{ "192.0.2.300", 0, NETADDR_BAD_IP, 0, 0 },
	{ "peer.example.com:7500", 0, NETADDR_BAD_IP, 0, 0 },
	{ "[192.0.2.1]:7500", 0, NETADDR_BAD_IP, 1, 0 },
	{ "192.0.2.1:0", 0, NETADDR_BAD_PORT, 10, 0 },
	{ "192.0.2.1:65536", 0, NETADDR_BAD_PORT, 10, 0 },
	{ "192.0.2.1:", 0, NETADDR_BAD_PORT, 10, 0 },
	{ "[::1]:x", 0, NETADDR_BAD_PORT, 6, 0 },
	/* lifeline.conf's parser took a sign and leading zeros (its number
	 * reader), peer.conf's neither: now 1 to 5 digits, no sign */
	{ "192.0.2.1:+22", 0, NETADDR_BAD_PORT, 10, 0 },
	{ "192.0.2.1:00022", 0, NETADDR_OK, 22, AF_INET },
	{ "192.0.2.1:000022", 0, NETADDR_BAD_PORT, 10, 0 },
};

void suite_ini(void);
void suite_ini(void)
{
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
		TEST("ini: %s", cases[i].name)
			check_case(&cases[i]);
	TEST("ini: ini_next_line splits at newlines, a last line without one too") {
		static const struct { const char *buf; int lines; int last_len; } t[] = {
			{ "", 0, 0 }, { "\n", 1, 0 }, { "a", 1, 1 }, { "a\n", 1, 1 },
			{ "a\nbc", 2, 2 }, { "a\n\nbcd\n", 3, 3 },
		};
		for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
			size_t pos = 0, n = 0, last = 0;
			int lines = 0;
			while (ini_next_line(t[i].buf, strlen(t[i].buf), &pos, &n)) {
				lines++;
				last = n;
			}
			CHECK_MSG(lines == t[i].lines && (int)last == t[i].last_len,
				  "\"%s\": %d lines, the last %zu bytes", t[i].buf, lines, last);
		}
	}
	for (unsigned i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
		TEST("netaddr: '%s'%s", addrs[i].in, addrs[i].bare_v6 ? " (bare IPv6 allowed)" : "") {
			struct netaddr a;
			const struct addr_case *c = &addrs[i];
			enum netaddr_err e = netaddr_parse(c->in, (int)strlen(c->in), c->bare_v6, &a);
			CHECK_INT(e, c->err);
			if (e == NETADDR_OK) {
				CHECK_INT(a.family, c->family);
				CHECK_INT(a.has_port ? a.port : -1, c->at);
			} else {
				CHECK_INT(a.at, c->at);
			}
		}
}
