/* /etc/lifeline/peer.conf (peer.conf(5)): INI like lifeline.conf.
 *
 *   [peer]          the daemon's settings (optional)
 *   [host NAME]     one watched host: key, address, ssh
 *   key = value     # comments after a space, or on their own line
 *
 * Errors are reported as file:line:col.  The host table grows while
 * parsing; it is allocated once, before the daemon's loop starts. */
#define _GNU_SOURCE
#include "peer.h"
#include "fmt.h"
#include "scan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LP_MAX_HOSTS 1000000

struct parser {
	struct lp_conf *c;
	const char *file;
	lp_report_fn fn;
	void *ctx;
	int errors;
	int in_peer, in_host;    /* the current section */
	int skip;                /* under a broken header: reported already */
};

static void report(struct parser *p, int line, int col, const char *f, ...)
	__attribute__((format(printf, 4, 5)));

static void report(struct parser *p, int line, int col, const char *f, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, f);
	vfmt(msg, sizeof msg, f, ap);
	va_end(ap);
	p->errors++;
	if (p->fn)
		p->fn(p->ctx, p->file, line, col, msg);
}

void lp_conf_init(struct lp_conf *c)
{
	memset(c, 0, sizeof *c);
	c->nlisten = 2;
	c->listen[0] = (struct lp_addr){ .family = AF_INET, .port = LP_DEFAULT_PORT };
	c->listen[1] = (struct lp_addr){ .family = AF_INET6, .port = LP_DEFAULT_PORT };
	c->grace_ms = 600000;
	c->probe_interval_ms = 10000;
	c->probe_timeout_ms = 5000;
	c->verdict_interval_ms = 5000;
	c->down_after_ms = 10000;
	c->metrics_interval_ms = 15000;
	memcpy(c->socket, LP_DEFAULT_SOCKET, sizeof LP_DEFAULT_SOCKET);
	memcpy(c->metrics, LP_DEFAULT_METRICS, sizeof LP_DEFAULT_METRICS);
}

void lp_conf_free(struct lp_conf *c)
{
	if (c->host) {
		/* the keys: not left behind in freed memory */
		memset(c->host, 0, sizeof *c->host * (size_t)c->cap);
		free(c->host);
	}
	c->host = NULL;
	c->nhosts = c->cap = 0;
}

int64_t lp_duration_ms(const char *s, size_t len)
{
	return len > 64 ? -1 : parse_duration_ms(s, (int)len);
}

void lp_duration_str(int64_t ms, char *out, size_t cap)
{
	if (ms < 0)
		ms = 0;
	if (ms < 1000)
		fmt(out, cap, "%dms", (int)ms);
	else if (ms < 10000 && ms % 1000 >= 100)
		fmt(out, cap, "%d.%ds", (int)(ms / 1000), (int)(ms % 1000 / 100));
	else if (ms < 60000)
		fmt(out, cap, "%ds", (int)(ms / 1000));
	else if (ms < 3600000)
		fmt(out, cap, "%dm%02ds", (int)(ms / 60000), (int)(ms % 60000 / 1000));
	else
		fmt(out, cap, "%lldh%02dm", (long long)(ms / 3600000),
		    (int)(ms % 3600000 / 60000));
}

/* ---- addresses ---- */

static int parse_port(const char *s, size_t len, uint16_t *port)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int parse_ip(const char *s, size_t len, int family, struct lp_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	memset(a->ip, 0, sizeof a->ip);
	a->family = (uint8_t)family;
	return inet_pton(family, buf, a->ip) == 1 ? 0 : -1;
}

int lp_addr_parse(const char *s, size_t len, int need_port, uint16_t def_port,
		  struct lp_addr *addr)
{
	struct lp_addr a;
	const char *port = NULL;
	size_t plen = 0, ncolon = 0;

	memset(&a, 0, sizeof a);
	if (len > 0 && s[0] == '[') {
		const char *end = memchr(s, ']', len);

		if (!end || parse_ip(s + 1, (size_t)(end - s - 1), AF_INET6, &a) < 0)
			return -1;
		if ((size_t)(end - s) + 1 < len) {
			if (end[1] != ':')
				return -1;
			port = end + 2;
			plen = len - (size_t)(end - s) - 2;
		}
	} else {
		for (size_t i = 0; i < len; i++)
			ncolon += s[i] == ':';
		if (ncolon > 1) {
			if (parse_ip(s, len, AF_INET6, &a) < 0)
				return -1;
		} else {
			const char *c = memchr(s, ':', len);
			size_t il = c ? (size_t)(c - s) : len;

			if (parse_ip(s, il, AF_INET, &a) < 0)
				return -1;
			if (c) {
				port = c + 1;
				plen = len - il - 1;
			}
		}
	}
	if (port && (need_port < 0 || parse_port(port, plen, &a.port) < 0))
		return -1;
	if (!port) {
		if (need_port > 0)
			return -1;
		a.port = need_port < 0 ? 0 : def_port;
	}
	*addr = a;
	return 0;
}

int lp_addr_str(const struct lp_addr *a, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(a->family, a->ip, ip, sizeof ip))
		return fmt(out, cap, "?");
	if (!a->port)
		return fmt(out, cap, "%s", ip);
	if (a->family == AF_INET6)
		return fmt(out, cap, "[%s]:%u", ip, (unsigned)a->port);
	return fmt(out, cap, "%s:%u", ip, (unsigned)a->port);
}

int lp_addr_eq_ip(const struct lp_addr *a, const struct lp_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->ip, b->ip, a->family == AF_INET ? 4 : 16);
}

int lp_addr_from_sa(const struct sockaddr *sa, struct lp_addr *out)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(out, 0, sizeof *out);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		out->family = AF_INET;
		out->port = ntohs(s4->sin_port);
		memcpy(out->ip, &s4->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		out->port = ntohs(s6->sin6_port);
		if (!memcmp(s6->sin6_addr.s6_addr, mapped, 12)) {
			out->family = AF_INET;
			memcpy(out->ip, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			out->family = AF_INET6;
			memcpy(out->ip, s6->sin6_addr.s6_addr, 16);
		}
		return 0;
	}
	return -1;
}

socklen_t lp_addr_to_sa(const struct lp_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->ip, 4);
		return sizeof *s4;
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(a->port);
	memcpy(&s6->sin6_addr, a->ip, 16);
	return sizeof *s6;
}

/* ---- sections and keys ---- */

static int keyis(const char *k, size_t kl, const char *name)
{
	return strlen(name) == kl && !memcmp(k, name, kl);
}

static struct lp_host_conf *cur_host(struct parser *p)
{
	return &p->c->host[p->c->nhosts - 1];
}

static void section(struct parser *p, int line, const char *l, size_t len, size_t col0)
{
	struct lp_conf *c = p->c;
	size_t end = 1, i, ts, tl, ns, ne;

	p->in_peer = p->in_host = 0;
	p->skip = 1;
	while (end < len && l[end] != ']')
		end++;
	if (end >= len) {
		report(p, line, (int)(col0 + len), "missing ']' at end of section header");
		return;
	}
	for (i = end + 1; i < len && l[i] != '#'; i++)
		if (l[i] != ' ' && l[i] != '\t') {
			report(p, line, (int)(col0 + i), "unexpected text after ']'");
			return;
		}
	for (i = 1; i < end && (l[i] == ' ' || l[i] == '\t'); i++)
		;
	ts = i;
	while (i < end && l[i] != ' ' && l[i] != '\t')
		i++;
	tl = i - ts;
	while (i < end && (l[i] == ' ' || l[i] == '\t'))
		i++;
	ns = i;
	ne = end;
	while (ne > ns && (l[ne - 1] == ' ' || l[ne - 1] == '\t'))
		ne--;
	if (keyis(l + ts, tl, "peer")) {
		if (ne > ns)
			report(p, line, (int)(col0 + ns), "[peer] takes no name");
		else
			p->in_peer = 1;
		p->skip = !p->in_peer;
		return;
	}
	if (!keyis(l + ts, tl, "host")) {
		report(p, line, (int)(col0 + ts), "unknown section '%.*s' (expected peer or host)",
		       (int)tl, l + ts);
		return;
	}
	char name[KA_HOST_MAX + 2];
	size_t nl = ne - ns;

	if (nl == 0) {
		report(p, line, (int)(col0 + end), "section needs a name, as in [host NAME]");
		return;
	}
	memset(name, 0, sizeof name);
	memcpy(name, l + ns, nl > KA_HOST_MAX + 1 ? KA_HOST_MAX + 1 : nl);
	if (nl > KA_HOST_MAX || !ka_host_valid(name)) {
		report(p, line, (int)(col0 + ns), "bad host name '%.*s' (1-%d of A-Z a-z 0-9 . - _; "
		       "the name the host sends in its keepalives)", (int)nl, l + ns, KA_HOST_MAX);
		return;
	}
	for (int h = 0; h < c->nhosts; h++)
		if (!strcmp(c->host[h].name, name)) {
			report(p, line, (int)(col0 + ns), "duplicate host '%s' (first at line %d)",
			       name, c->host[h].line);
			return;
		}
	if (c->nhosts >= LP_MAX_HOSTS) {
		report(p, line, (int)col0, "too many hosts (at most %d)", LP_MAX_HOSTS);
		return;
	}
	if (c->nhosts == c->cap) {
		int ncap = c->cap ? c->cap * 2 : 16;
		struct lp_host_conf *n = calloc((size_t)ncap, sizeof *n);

		if (!n) {
			report(p, line, (int)col0, "out of memory");
			return;
		}
		if (c->host) {
			memcpy(n, c->host, sizeof *n * (size_t)c->nhosts);
			memset(c->host, 0, sizeof *n * (size_t)c->cap);
			free(c->host);
		}
		c->host = n;
		c->cap = ncap;
	}
	c->nhosts++;
	struct lp_host_conf *hc = cur_host(p);

	memset(hc, 0, sizeof *hc);
	memcpy(hc->name, name, nl);
	hc->line = line;
	p->in_host = 1;
	p->skip = 0;
}

static void set_dur(struct parser *p, int line, int col, const char *v, size_t vl,
		    int64_t *out, int64_t min, const char *key)
{
	int64_t d = lp_duration_ms(v, vl);

	if (d < 0) {
		report(p, line, col, "bad duration '%.*s' for %s (use e.g. 500ms, 30s, 10m)",
		       (int)vl, v, key);
		return;
	}
	if (d < min) {
		report(p, line, col, "%s '%.*s' too short (at least %lldms)", key, (int)vl, v,
		       (long long)min);
		return;
	}
	*out = d;
}

static int set_path(struct parser *p, int line, int col, const char *v, size_t vl,
		    char *out, size_t cap, const char *key)
{
	if (vl >= cap) {
		report(p, line, col, "%s: path too long (at most %zu bytes)", key, cap - 1);
		return -1;
	}
	if (v[0] != '/') {
		report(p, line, col, "%s must be an absolute path", key);
		return -1;
	}
	memcpy(out, v, vl);
	out[vl] = 0;
	return 0;
}

static int yes_no(const char *v, size_t vl)
{
	if (keyis(v, vl, "yes"))
		return 1;
	return keyis(v, vl, "no") ? 0 : -1;
}

static void peer_key(struct parser *p, int line, int kc, const char *k, size_t kl, int vc,
		     const char *v, size_t vl)
{
	struct lp_conf *c = p->c;

	if (keyis(k, kl, "listen")) {
		struct lp_addr a;

		if (!c->listen_explicit)
			c->nlisten = 0;
		c->listen_explicit = 1;
		if (lp_addr_parse(v, vl, 0, LP_DEFAULT_PORT, &a) < 0)
			report(p, line, vc, "bad listen address '%.*s' (use e.g. 0.0.0.0:7500 or "
			       "[::]:7500)", (int)vl, v);
		else if (c->nlisten >= LP_MAX_LISTEN)
			report(p, line, vc, "too many listen addresses (at most %d)", LP_MAX_LISTEN);
		else
			c->listen[c->nlisten++] = a;
	} else if (keyis(k, kl, "grace")) {
		set_dur(p, line, vc, v, vl, &c->grace_ms, 1000, "grace");
	} else if (keyis(k, kl, "probe_interval")) {
		set_dur(p, line, vc, v, vl, &c->probe_interval_ms, 100, "probe_interval");
	} else if (keyis(k, kl, "probe_timeout")) {
		set_dur(p, line, vc, v, vl, &c->probe_timeout_ms, 100, "probe_timeout");
	} else if (keyis(k, kl, "verdict_interval")) {
		set_dur(p, line, vc, v, vl, &c->verdict_interval_ms, 100, "verdict_interval");
	} else if (keyis(k, kl, "down_after")) {
		set_dur(p, line, vc, v, vl, &c->down_after_ms, 1000, "down_after");
	} else if (keyis(k, kl, "metrics_interval")) {
		set_dur(p, line, vc, v, vl, &c->metrics_interval_ms, 1000, "metrics_interval");
	} else if (keyis(k, kl, "silence")) {
		if (keyis(v, vl, "down"))
			c->silence_verdict = 0;
		else if (keyis(v, vl, "verdict"))
			c->silence_verdict = 1;
		else
			report(p, line, vc, "silence must be down or verdict");
	} else if (keyis(k, kl, "socket")) {
		set_path(p, line, vc, v, vl, c->socket, sizeof c->socket, "socket");
	} else if (keyis(k, kl, "metrics")) {
		if (keyis(v, vl, "no") || keyis(v, vl, "\"\""))
			c->metrics[0] = 0;
		else
			set_path(p, line, vc, v, vl, c->metrics, sizeof c->metrics, "metrics");
	} else if (keyis(k, kl, "syslog")) {
		int b = yes_no(v, vl);

		if (b < 0)
			report(p, line, vc, "syslog must be yes or no");
		else
			c->syslog = b;
	} else {
		report(p, line, kc, "unknown key '%.*s' in [peer]", (int)kl, k);
	}
}

static void ssh_list(struct parser *p, int line, int vc, const char *v, size_t vl)
{
	struct lp_host_conf *h = cur_host(p);
	size_t i = 0;

	h->have_ssh = 1;
	h->nssh = 0;
	if (keyis(v, vl, "no"))
		return;
	while (i < vl) {
		size_t s;

		while (i < vl && (v[i] == ' ' || v[i] == '\t'))
			i++;
		s = i;
		while (i < vl && v[i] != ' ' && v[i] != '\t')
			i++;
		if (i == s)
			break;
		if (h->nssh >= LP_MAX_SSH) {
			report(p, line, vc + (int)s, "too many ssh targets (at most %d)", LP_MAX_SSH);
			return;
		}
		if (lp_addr_parse(v + s, i - s, 1, 0, &h->ssh[h->nssh]) < 0) {
			report(p, line, vc + (int)s, "bad ssh target '%.*s' (ADDRESS:PORT, "
			       "[IPv6]:PORT, or no)", (int)(i - s), v + s);
			return;
		}
		h->nssh++;
	}
}

static void host_key(struct parser *p, int line, int kc, const char *k, size_t kl, int vc,
		     const char *v, size_t vl)
{
	struct lp_host_conf *h = cur_host(p);

	if (keyis(k, kl, "key")) {
		char err[LP_PATH_MAX + 128];

		h->seen_key = 1;
		if (set_path(p, line, vc, v, vl, h->key_path, sizeof h->key_path, "key") < 0)
			return;
		h->have_key = 0;
		if (ka_key_load(h->key_path, h->key, err, (int)sizeof err) < 0)
			report(p, line, vc, "%s", err);
		else
			h->have_key = 1;
	} else if (keyis(k, kl, "address")) {
		h->seen_addr = 1;
		if (lp_addr_parse(v, vl, -1, 0, &h->addr) < 0)
			report(p, line, vc, "bad address '%.*s' (an IPv4 or IPv6 address, no port)",
			       (int)vl, v);
		else
			h->have_addr = 1;
	} else if (keyis(k, kl, "ssh")) {
		ssh_list(p, line, vc, v, vl);
	} else {
		report(p, line, kc, "unknown key '%.*s' in [host %s]", (int)kl, k, h->name);
	}
}

static void feed_line(struct parser *p, int line, const char *l, size_t len)
{
	size_t i = 0, ks, kl, vs, ve;

	if (len > 0 && l[len - 1] == '\r')
		len--;
	while (i < len && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (i >= len || l[i] == '#' || l[i] == ';')
		return;
	for (size_t k = i; k < len; k++)
		if ((unsigned char)l[k] < 0x20 && l[k] != '\t') {
			report(p, line, (int)k + 1, "control character in line");
			return;
		}
	if (l[i] == '[') {
		section(p, line, l + i, len - i, i + 1);
		return;
	}
	ks = i;
	while (i < len && ((l[i] >= 'a' && l[i] <= 'z') || l[i] == '_'))
		i++;
	kl = i - ks;
	while (i < len && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (kl == 0 || i >= len || l[i] != '=') {
		report(p, line, (int)(kl ? i + 1 : ks + 1),
		       kl ? "expected '=' after key" : "expected 'key = value' or [section]");
		return;
	}
	i++;
	while (i < len && (l[i] == ' ' || l[i] == '\t'))
		i++;
	vs = i;
	ve = len;
	for (size_t k = vs; k < len; k++)
		if (l[k] == '#' && (l[k - 1] == ' ' || l[k - 1] == '\t')) {
			ve = k;
			break;
		}
	while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
		ve--;
	if (p->skip)
		return;
	if (!p->in_peer && !p->in_host) {
		report(p, line, (int)ks + 1, "key outside of any section; start with [peer] "
		       "or [host NAME]");
		return;
	}
	if (ve == vs) {
		report(p, line, (int)vs + 1, "missing value for '%.*s'", (int)kl, l + ks);
		return;
	}
	if (p->in_peer)
		peer_key(p, line, (int)ks + 1, l + ks, kl, (int)vs + 1, l + vs, ve - vs);
	else
		host_key(p, line, (int)ks + 1, l + ks, kl, (int)vs + 1, l + vs, ve - vs);
}

/* The checks that need whole sections. */
static void finish(struct parser *p, int line_count)
{
	struct lp_conf *c = p->c;

	for (int i = 0; i < c->nhosts; i++) {
		struct lp_host_conf *h = &c->host[i];

		if (!h->seen_key)
			report(p, h->line, 1, "[host %s] needs a key (key = /etc/lifeline/peer/%s.key)",
			       h->name, h->name);
		if (!h->have_addr) {
			if (!h->seen_addr)
				report(p, h->line, 1, "[host %s] needs an address (where its "
				       "keepalives come from)", h->name);
			continue;
		}
		if (!h->have_ssh) {
			/* the default: the normal and the rescue SSH port */
			h->nssh = 2;
			h->ssh[0] = h->addr;
			h->ssh[0].port = 22;
			h->ssh[1] = h->addr;
			h->ssh[1].port = 2222;
		}
	}
	if (c->nhosts == 0)
		report(p, line_count, 0, "no [host NAME] section: nothing to watch");
}

int lp_conf_parse(struct lp_conf *c, const char *file, const char *buf, size_t len,
		  lp_report_fn fn, void *ctx)
{
	struct parser p = { .c = c, .file = file, .fn = fn, .ctx = ctx };
	size_t s = 0;
	int line = 0;

	while (s < len) {
		const char *nl = memchr(buf + s, '\n', len - s);
		size_t e = nl ? (size_t)(nl - buf) : len;

		line++;
		if (memchr(buf + s, 0, e - s))
			report(&p, line, 1, "NUL byte in line");
		else
			feed_line(&p, line, buf + s, e - s);
		s = e + 1;
	}
	finish(&p, line);
	return p.errors;
}

int lp_conf_load(struct lp_conf *c, const char *path, lp_report_fn fn, void *ctx)
{
	struct stat st;
	char *buf;
	size_t off = 0;
	int fd, n;

	/* a regular file only, opened without blocking (a FIFO would wait
	 * in open(), /dev/zero never end), and not too large */
	const char *kind;
	fd = scan_open_regular(path, 0, &kind);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size > LP_CONF_MAX) {
		char msg[256];

		if (fd >= 0 && st.st_size > LP_CONF_MAX)
			fmt(msg, sizeof msg, "too large (at most %d bytes)", LP_CONF_MAX);
		else if (kind)
			fmt(msg, sizeof msg, "not a regular file but %s: not read", kind);
		else
			fmt(msg, sizeof msg, "cannot open: %s", strerror(errno));
		if (fn)
			fn(ctx, path, 0, 0, msg);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		if (fn)
			fn(ctx, path, 0, 0, "out of memory");
		return 1;
	}
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	n = lp_conf_parse(c, path, buf, off, fn, ctx);
	free(buf);
	return n;
}
