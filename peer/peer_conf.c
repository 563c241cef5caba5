/* /etc/lifeline/peer.conf (peer.conf(5)): INI as lifeline.conf, read by
 * the same line reader (lib/ini.c), addresses by lib/netaddr.c.
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
#include "ini.h"
#include "netaddr.h"
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
	va_list ap;

	va_start(ap, f);
	ini_vreport(p->fn, p->ctx, p->file, line, col, 384, f, ap);
	va_end(ap);
	p->errors++;
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

int lp_addr_parse(const char *s, size_t len, int need_port, uint16_t def_port,
		  struct lp_addr *addr)
{
	struct netaddr n;

	if (len > 256 || netaddr_parse(s, (int)len, 1, &n) != NETADDR_OK)
		return -1;
	if (n.has_port ? need_port < 0 : need_port > 0)
		return -1;
	memset(addr, 0, sizeof *addr);
	addr->family = n.family;
	memcpy(addr->ip, n.ip, sizeof addr->ip);
	addr->port = n.has_port ? n.port : need_port < 0 ? 0 : def_port;
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

static struct lp_host_conf *cur_host(struct parser *p)
{
	return &p->c->host[p->c->nhosts - 1];
}

static void section(struct parser *p, int line, const struct ini_line *h)
{
	struct lp_conf *c = p->c;

	if (ini_is(h->type, (size_t)h->type_len, "peer")) {
		if (h->name_len)
			report(p, line, h->name_col, "[peer] takes no name");
		else
			p->in_peer = 1;
		p->skip = !p->in_peer;
		return;
	}
	if (!ini_is(h->type, (size_t)h->type_len, "host")) {
		report(p, line, h->type_col, "unknown section '%.*s' (expected peer or host)",
		       h->type_len, h->type);
		return;
	}
	char name[KA_HOST_MAX + 2];
	size_t nl = (size_t)h->name_len;

	if (nl == 0) {
		report(p, line, h->close_col, "section needs a name, as in [host NAME]");
		return;
	}
	memset(name, 0, sizeof name);
	memcpy(name, h->name, nl > KA_HOST_MAX + 1 ? KA_HOST_MAX + 1 : nl);
	if (nl > KA_HOST_MAX || !ka_host_valid(name)) {
		report(p, line, h->name_col, "bad host name '%.*s' (1-%d of A-Z a-z 0-9 . - _; "
		       "the name the host sends in its keepalives)", (int)nl, h->name, KA_HOST_MAX);
		return;
	}
	for (int k = 0; k < c->nhosts; k++)
		if (!strcmp(c->host[k].name, name)) {
			report(p, line, h->name_col, "duplicate host '%s' (first at line %d)",
			       name, c->host[k].line);
			return;
		}
	if (c->nhosts >= LP_MAX_HOSTS) {
		report(p, line, h->open_col, "too many hosts (at most %d)", LP_MAX_HOSTS);
		return;
	}
	if (c->nhosts == c->cap) {
		int ncap = c->cap ? c->cap * 2 : 16;
		struct lp_host_conf *n = calloc((size_t)ncap, sizeof *n);

		if (!n) {
			report(p, line, h->open_col, "out of memory");
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
	if (ini_is(v, vl, "yes"))
		return 1;
	return ini_is(v, vl, "no") ? 0 : -1;
}

static void peer_key(struct parser *p, int line, int kc, const char *k, size_t kl, int vc,
		     const char *v, size_t vl)
{
	struct lp_conf *c = p->c;

	if (ini_is(k, kl, "listen")) {
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
	} else if (ini_is(k, kl, "grace")) {
		set_dur(p, line, vc, v, vl, &c->grace_ms, 1000, "grace");
	} else if (ini_is(k, kl, "probe_interval")) {
		set_dur(p, line, vc, v, vl, &c->probe_interval_ms, 100, "probe_interval");
	} else if (ini_is(k, kl, "probe_timeout")) {
		set_dur(p, line, vc, v, vl, &c->probe_timeout_ms, 100, "probe_timeout");
	} else if (ini_is(k, kl, "verdict_interval")) {
		set_dur(p, line, vc, v, vl, &c->verdict_interval_ms, 100, "verdict_interval");
	} else if (ini_is(k, kl, "down_after")) {
		set_dur(p, line, vc, v, vl, &c->down_after_ms, 1000, "down_after");
	} else if (ini_is(k, kl, "metrics_interval")) {
		set_dur(p, line, vc, v, vl, &c->metrics_interval_ms, 1000, "metrics_interval");
	} else if (ini_is(k, kl, "silence")) {
		if (ini_is(v, vl, "down"))
			c->silence_verdict = 0;
		else if (ini_is(v, vl, "verdict"))
			c->silence_verdict = 1;
		else
			report(p, line, vc, "silence must be down or verdict");
	} else if (ini_is(k, kl, "socket")) {
		set_path(p, line, vc, v, vl, c->socket, sizeof c->socket, "socket");
	} else if (ini_is(k, kl, "metrics")) {
		if (ini_is(v, vl, "no") || ini_is(v, vl, "\"\""))
			c->metrics[0] = 0;
		else
			set_path(p, line, vc, v, vl, c->metrics, sizeof c->metrics, "metrics");
	} else if (ini_is(k, kl, "syslog")) {
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
	if (ini_is(v, vl, "no"))
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

	if (ini_is(k, kl, "key")) {
		char err[LP_PATH_MAX + 128];

		h->seen_key = 1;
		if (set_path(p, line, vc, v, vl, h->key_path, sizeof h->key_path, "key") < 0)
			return;
		h->have_key = 0;
		if (ka_key_load(h->key_path, h->key, err, (int)sizeof err) < 0)
			report(p, line, vc, "%s", err);
		else
			h->have_key = 1;
	} else if (ini_is(k, kl, "address")) {
		h->seen_addr = 1;
		if (lp_addr_parse(v, vl, -1, 0, &h->addr) < 0)
			report(p, line, vc, "bad address '%.*s' (an IPv4 or IPv6 address, no port)",
			       (int)vl, v);
		else
			h->have_addr = 1;
	} else if (ini_is(k, kl, "ssh")) {
		ssh_list(p, line, vc, v, vl);
	} else {
		report(p, line, kc, "unknown key '%.*s' in [host %s]", (int)kl, k, h->name);
	}
}

static void feed_line(struct parser *p, int line, const char *l, size_t len)
{
	struct ini_line il;

	ini_parse_line(l, (int)len, &il);
	if (il.kind == INI_SECTION || (il.kind == INI_ERROR && il.header)) {
		p->in_peer = p->in_host = 0;
		p->skip = 1;    /* until the header proves good */
	}
	if (il.kind == INI_ERROR)
		report(p, line, il.error_col, "%s", il.error);
	else if (il.kind == INI_SECTION)
		section(p, line, &il);
	if (il.kind != INI_KEY || p->skip)
		return;
	if (!p->in_peer && !p->in_host) {
		report(p, line, il.key_col, "key outside of any section; start with [peer] "
		       "or [host NAME]");
		return;
	}
	if (il.value_len == 0) {
		report(p, line, il.value_col, "missing value for '%.*s'", il.key_len, il.key);
		return;
	}
	if (p->in_peer)
		peer_key(p, line, il.key_col, il.key, (size_t)il.key_len, il.value_col, il.value,
			 (size_t)il.value_len);
	else
		host_key(p, line, il.key_col, il.key, (size_t)il.key_len, il.value_col, il.value,
			 (size_t)il.value_len);
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
	const char *l;
	size_t pos = 0, n;
	int line = 0;

	while ((l = ini_next_line(buf, len, &pos, &n)))
		feed_line(&p, ++line, l, n);
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
