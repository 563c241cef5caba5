/* The escalation sections of lifeline.conf(5): [keepalive] (keepalives
 * to the peers, verdicts from them), [rescue] (what is armed for a
 * verdict) and [watchdog] (a watchdog device petted from the loop). */
#include "config_int.h"
#include "fmt.h"
#include "netaddr.h"
#include "scan.h"

#include <string.h>
#include <sys/socket.h>

static void set_duration_range(struct config_parser *p, int lineno, int vcol,
			       const char *v, int vl, uint32_t *dst, int64_t lo,
			       int64_t hi, const char *key, const char *range)
{
	int64_t d = parse_duration_ms(v, vl);
	if (d < 0)
		conf_report(p, lineno, vcol, "bad duration '%.*s' (use e.g. 500ms, 30s, "
			    "5m)", vl, v);
	else if (d < lo || d > hi)
		conf_report(p, lineno, vcol, "%s must be %s", key, range);
	else
		*dst = (uint32_t)d;
}

static void set_path(struct config_parser *p, int lineno, int vcol, const char *v,
		     int vl, char *dst, int cap, const char *key)
{
	if (v[0] != '/') {
		conf_report(p, lineno, vcol, "%s must be an absolute path", key);
		return;
	}
	if (vl >= cap) {
		conf_report(p, lineno, vcol, "%s too long (at most %d bytes)", key, cap - 1);
		return;
	}
	memcpy(dst, v, (size_t)vl);
	dst[vl] = '\0';
}

static void set_flag(struct config_parser *p, int lineno, int vcol, const char *v,
		     int vl, uint8_t *dst, const char *key)
{
	int b = conf_parse_bool(v, vl);
	if (b < 0)
		conf_report(p, lineno, vcol, "%s must be yes or no", key);
	else
		*dst = (uint8_t)b;
}

static void set_port(struct config_parser *p, int lineno, int vcol, const char *v,
		     int vl, uint16_t *dst, long lo, const char *key)
{
	long n;
	if (conf_parse_int(v, vl, lo, 65535, &n) < 0)
		conf_report(p, lineno, vcol, "%s must be a number from %ld to 65535", key, lo);
	else
		*dst = (uint16_t)n;
}

/* What netaddr_parse's errors mean in a peer line. */
static void bad_peer(struct config_parser *p, int lineno, int vcol, const char *v,
		     enum netaddr_err e, const struct netaddr *a)
{
	int col = vcol + a->at;
	if (e == NETADDR_NO_CLOSE)
		conf_report(p, lineno, col, "peer: missing ']' after the IPv6 address");
	else if (e == NETADDR_AFTER_CLOSE)
		conf_report(p, lineno, col, "peer: expected ':PORT' after ']'");
	else if (e == NETADDR_UNBRACKETED)
		conf_report(p, lineno, col, "peer: write an IPv6 address in brackets, "
			    "as in [2001:db8::1]:7500");
	else if (e == NETADDR_NO_IP)
		conf_report(p, lineno, col, "peer: missing or too long address");
	else if (e == NETADDR_BAD_IP)
		conf_report(p, lineno, col, "peer: '%.*s' is not an %s address (host names "
			    "are not resolved)", a->ip_len, v + a->ip_off,
			    a->family == AF_INET ? "IPv4" : "IPv6");
	else
		conf_report(p, lineno, col, "peer: port must be a number from 1 to 65535");
}

/* peer = ADDRESS[:PORT] (lib/netaddr.h: IPv6 in brackets), then, after a
 * blank, the peer's own key file if it has one. */
static void add_peer(struct config_parser *p, int lineno, int vcol, const char *v, int vl)
{
	struct keepalive_conf *ka = &p->cfg->ka;
	struct peer_conf pc;
	struct netaddr a;
	memset(&pc, 0, sizeof pc);
	int al = 0;
	while (al < vl && v[al] != ' ' && v[al] != '\t')
		al++;
	int ks = al;
	while (ks < vl && (v[ks] == ' ' || v[ks] == '\t'))
		ks++;
	if (ks < vl) {
		int before = p->errors;
		set_path(p, lineno, vcol + ks, v + ks, vl - ks, pc.key, (int)sizeof pc.key,
			 "peer: the key file");
		if (p->errors != before)
			return;
	}
	enum netaddr_err e = netaddr_parse(v, al, 0, &a);
	if (e != NETADDR_OK) {
		bad_peer(p, lineno, vcol, v, e, &a);
		return;
	}
	pc.family = a.family;
	pc.port = a.has_port ? a.port : KA_DEFAULT_PORT;
	memcpy(pc.addr, a.ip, sizeof pc.addr);
	fmt(pc.text, sizeof pc.text, a.family == AF_INET ? "%.*s:%u" : "[%.*s]:%u",
	    a.ip_len, v + a.ip_off, (unsigned)pc.port);
	for (int i = 0; i < ka->npeers; i++)
		if (ka->peer[i].family == pc.family && ka->peer[i].port == pc.port &&
		    !memcmp(ka->peer[i].addr, pc.addr, sizeof pc.addr)) {
			conf_report(p, lineno, vcol, "peer %s given twice", pc.text);
			return;
		}
	if (ka->npeers >= MAX_PEERS) {
		conf_report(p, lineno, vcol, "too many peers (at most %d)", MAX_PEERS);
		return;
	}
	ka->peer[ka->npeers++] = pc;
}

/* The host name in keepalives: what lifeline-peer's [host NAME] says. */
static void set_ka_host(struct config_parser *p, int lineno, int vcol, const char *v, int vl)
{
	if (vl >= (int)sizeof p->cfg->ka.host) {
		conf_report(p, lineno, vcol, "host too long (at most %d bytes)",
			    (int)sizeof p->cfg->ka.host - 1);
		return;
	}
	for (int i = 0; i < vl; i++) {
		char c = v[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
			conf_report(p, lineno, vcol + i, "invalid character in host (use letters, "
				    "digits, . _ -)");
			return;
		}
	}
	memcpy(p->cfg->ka.host, v, (size_t)vl);
	p->cfg->ka.host[vl] = '\0';
}

void conf_keepalive_key(CONF_KEY_ARGS)
{
	struct keepalive_conf *ka = &p->cfg->ka;
	long n;
	if (KEY("peer")) {
		add_peer(p, lineno, vcol, v, vl);
	} else if (KEY("key")) {
		set_path(p, lineno, vcol, v, vl, ka->key, (int)sizeof ka->key, "key");
	} else if (KEY("host")) {
		set_ka_host(p, lineno, vcol, v, vl);
	} else if (KEY("interval")) {
		set_duration_range(p, lineno, vcol, v, vl, &ka->interval_ms, 100, 60000,
				   "interval", "from 100ms to 60s");
	} else if (KEY("quorum")) {
		if (conf_parse_int(v, vl, 1, MAX_PEERS, &n) < 0) {
			conf_report(p, lineno, vcol, "quorum must be a number from 1 to %d",
				    MAX_PEERS);
			return;
		}
		ka->quorum = (uint8_t)n;
		p->quorum_file = p->file;
		p->quorum_line = lineno;
		p->quorum_col = vcol;
	} else if (KEY("quorum_window")) {
		set_duration_range(p, lineno, vcol, v, vl, &ka->quorum_window_ms, 100,
				   86400000, "quorum_window", "from 100ms to 24h");
	} else if (KEY("port")) {
		set_port(p, lineno, vcol, v, vl, &ka->port, 0, "port");
	} else if (KEY("system")) {
		if (vl == 6 && !strncmp(v, "normal", 6))
			ka->rescue = 0;
		else if (vl == 6 && !strncmp(v, "rescue", 6))
			ka->rescue = 1;
		else
			conf_report(p, lineno, vcol, "system must be normal or rescue");
	} else {
		conf_report(p, lineno, kcol, "unknown key '%.*s' in [keepalive]", kl, k);
	}
}

void conf_rescue_key(CONF_KEY_ARGS)
{
	struct rescue_conf *r = &p->cfg->rescue;
	if (KEY("image")) {
		set_path(p, lineno, vcol, v, vl, r->image, (int)sizeof r->image, "image");
	} else if (KEY("kernel")) {
		set_path(p, lineno, vcol, v, vl, r->kernel, (int)sizeof r->kernel, "kernel");
	} else if (KEY("snapshot")) {
		if (conf_parse_bool(v, vl) == 0)
			r->snapshot[0] = '\0';
		else
			set_path(p, lineno, vcol, v, vl, r->snapshot, (int)sizeof r->snapshot,
				 "snapshot");
	} else if (KEY("cmdline")) {
		if (vl >= (int)sizeof r->cmdline) {
			conf_report(p, lineno, vcol, "cmdline too long (at most %d bytes)",
				    (int)sizeof r->cmdline - 1);
			return;
		}
		memcpy(r->cmdline, v, (size_t)vl);
		r->cmdline[vl] = '\0';
	} else if (KEY("crash")) {
		set_flag(p, lineno, vcol, v, vl, &r->crash, "crash");
	} else if (KEY("arm")) {
		set_flag(p, lineno, vcol, v, vl, &r->arm, "arm");
	} else if (KEY("port")) {
		set_port(p, lineno, vcol, v, vl, &r->port, 1, "port");
	} else if (KEY("method")) {
		if (vl == 4 && !strncmp(v, "auto", 4))
			r->method = RESCUE_METHOD_AUTO;
		else if (vl == 5 && !strncmp(v, "kexec", 5))
			r->method = RESCUE_METHOD_KEXEC;
		else if (vl == 4 && !strncmp(v, "grub", 4))
			r->method = RESCUE_METHOD_GRUB;
		else
			conf_report(p, lineno, vcol, "method must be auto, kexec or grub");
	} else if (KEY("grubenv")) {
		set_path(p, lineno, vcol, v, vl, r->grubenv, (int)sizeof r->grubenv, "grubenv");
		r->grubenv_given = 1;
	} else if (KEY("grub_cfg")) {
		set_path(p, lineno, vcol, v, vl, r->grub_cfg, (int)sizeof r->grub_cfg, "grub_cfg");
	} else if (KEY("armed_image")) {
		set_path(p, lineno, vcol, v, vl, r->armed_image, (int)sizeof r->armed_image,
			 "armed_image");
	} else if (KEY("grub_entry")) {
		int bad = vl == 0 || vl >= (int)sizeof r->grub_entry;
		for (int i = 0; i < vl && !bad; i++)
			bad = !((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
				(v[i] >= '0' && v[i] <= '9') || v[i] == '-' || v[i] == '_' ||
				v[i] == '.');
		if (bad) {
			conf_report(p, lineno, vcol, "grub_entry must be 1 to %d letters, digits, "
				    "'-', '_' or '.' (a menu entry's --id)",
				    (int)sizeof r->grub_entry - 1);
			return;
		}
		memcpy(r->grub_entry, v, (size_t)vl);
		r->grub_entry[vl] = '\0';
	} else {
		conf_report(p, lineno, kcol, "unknown key '%.*s' in [rescue]", kl, k);
	}
}

void conf_watchdog_key(CONF_KEY_ARGS)
{
	struct watchdog_conf *w = &p->cfg->wd;
	if (KEY("device")) {
		set_path(p, lineno, vcol, v, vl, w->device, (int)sizeof w->device, "device");
	} else if (KEY("timeout")) {
		set_duration_range(p, lineno, vcol, v, vl, &w->timeout_ms, 1000, 3600000,
				   "timeout", "from 1s to 3600s");
	} else if (KEY("interval")) {
		int64_t d = parse_duration_ms(v, vl);
		if (d < 0) {
			conf_report(p, lineno, vcol, "bad duration '%.*s' (use e.g. 500ms, "
				    "30s, 5m)",
				    vl, v);
			return;
		}
		if (d > 0 && d < 100) {
			conf_report(p, lineno, vcol, "interval must be 0 (a quarter of the "
				    "timeout) or at least 100ms");
			return;
		}
		w->interval_ms = (uint32_t)d;
		p->wd_file = p->file;
		p->wd_line = lineno;
		p->wd_col = vcol;
	} else {
		conf_report(p, lineno, kcol, "unknown key '%.*s' in [watchdog]", kl, k);
	}
}


static void esc_report(struct config_parser *p, const char *file, int line, int col,
		       const char *msg)
{
	p->errors++;
	if (p->report)
		p->report(p->ctx, file, line, col, msg);
}

/* How many different key files the peers use. */
static int distinct_keys(const struct keepalive_conf *ka)
{
	int n = 0;
	for (int i = 0; i < ka->npeers; i++) {
		const char *k = ka->peer[i].key[0] ? ka->peer[i].key : ka->key;
		int seen = 0;
		for (int j = 0; j < i && !seen; j++)
			seen = !strcmp(k, ka->peer[j].key[0] ? ka->peer[j].key : ka->key);
		n += !seen;
	}
	return n;
}

void conf_escalation_end(struct config_parser *p)
{
	const struct config *c = p->cfg;
	char msg[192];
	if (p->ka_file && c->ka.npeers == 0)
		esc_report(p, p->ka_file, p->ka_line, 1,
			   "[keepalive] needs at least one peer (peer = ADDRESS:PORT)");
	else if (p->ka_file && p->quorum_file && c->ka.quorum > c->ka.npeers) {
		fmt(msg, sizeof msg, "quorum %d is more than the %d peer%s given",
		    c->ka.quorum, c->ka.npeers, c->ka.npeers == 1 ? "" : "s");
		esc_report(p, p->quorum_file, p->quorum_line, p->quorum_col, msg);
	}
	if (p->ka_file && p->quorum_file && c->ka.quorum > 1 && c->ka.quorum <= c->ka.npeers &&
	    distinct_keys(&c->ka) < c->ka.quorum && p->report) {
		fmt(msg, sizeof msg, "warning: quorum %d, but the peers share a key: a peer "
		    "holding it can sign verdicts for the others (peer = ADDRESS:PORT "
		    "KEYFILE)", c->ka.quorum);
		p->warnings++;
		p->report(p->ctx, p->quorum_file, p->quorum_line, p->quorum_col, msg);
	}
	if (p->wd_file && c->wd.interval_ms > c->wd.timeout_ms / 2) {
		fmt(msg, sizeof msg, "interval must be at most half the timeout (%ums)",
		    (unsigned)c->wd.timeout_ms / 2);
		esc_report(p, p->wd_file, p->wd_line, p->wd_col, msg);
	}
}
