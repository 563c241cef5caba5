/* See config.h.  The grammar, in short:
 *
 *   # comment            (also after a value, when preceded by a space)
 *   [lifeline]           global settings
 *   [service NAME]       supervised, restarted forever
 *   [boot NAME]          run once, in order, before ordinary services
 *   [shutdown NAME]      run once, in order, when going down
 *   key = value
 *
 * exec values are split like a shell would split words, with '' and ""
 * quoting and backslash escapes, but never through a shell. */
#define _GNU_SOURCE
#include "config.h"
#include "fmt.h"
#include "log.h"
#include "scan.h"
#include "userdb.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int def_line[MAX_UNITS];
static const char *def_file[MAX_UNITS];

static void report(struct config_parser *p, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(struct config_parser *p, int line, int col, const char *fmt, ...)
{
	char msg[192];
	va_list ap;
	va_start(ap, fmt);
	vfmt(msg, sizeof msg, fmt, ap);
	va_end(ap);
	p->errors++;
	if (p->report)
		p->report(p->ctx, p->file, line, col, msg);
}

static void report_at(struct config_parser *p, const char *file, int line,
		      const char *msg)
{
	if (p->report)
		p->report(p->ctx, file, line, 1, msg);
}

static void bit_set(uint32_t *b, int i) { b[i / 32] |= 1u << (i % 32); }
static int bit_get(const uint32_t *b, int i) { return (b[i / 32] >> (i % 32)) & 1; }

void config_begin(struct config_parser *p, struct config *cfg,
		  config_report_fn fn, void *ctx)
{
	memset(p, 0, sizeof *p);
	memset(cfg, 0, sizeof *cfg);
	p->cfg = cfg;
	p->report = fn;
	p->ctx = ctx;
	cfg->stop_timeout_ms = 10000;
	cfg->restart_max_ms = 30000;
	cfg->stable_ms = 60000;
	cfg->spawn_retry_ms = 1000;
	cfg->panic_reboot_ms = 10000;
	cfg->pool_used = 2;     /* pool[0..1]: the empty string and list */
	/* [memory]: these apply once the section is given */
	cfg->mem.guard = 1;
	cfg->mem.cgroups = 1;
	cfg->mem.mem_min_percent = 5;
	cfg->mem.swap_min_percent = 10;
	cfg->mem.psi_full = 1;
	cfg->mem.psi_stall_us = 300000;
	cfg->mem.psi_window_us = 1000000;
	cfg->mem.session_pids_max = 1024;
	cfg->mem.headroom = 64ULL << 20;
	cfg->mem.memory_min = 32ULL << 20;
	cfg->mem.kill_min_size = 8ULL << 20;
	cfg->mem.balloon_floor = 256ULL << 20;
	/* [keepalive], [rescue], [watchdog]: these apply once given */
	strcpy(cfg->ka.key, "/etc/lifeline/keepalive.key");
	cfg->ka.interval_ms = 2000;
	cfg->ka.quorum = 1;
	cfg->ka.quorum_window_ms = 60000;
	strcpy(cfg->rescue.image, "/boot/lifeline-rescue.img");
	strcpy(cfg->rescue.snapshot, "/usr/lib/lifeline/netsnap");
	cfg->rescue.crash = 1;
	cfg->rescue.arm = 1;
	cfg->rescue.port = 2222;
	strcpy(cfg->rescue.grubenv, "/boot/grub/grubenv");
	strcpy(cfg->rescue.grub_cfg, "/boot/grub/grub.cfg");
	strcpy(cfg->rescue.armed_image, "/boot/lifeline-rescue-armed.img");
	strcpy(cfg->rescue.grub_entry, "lifeline-rescue");
	strcpy(cfg->wd.device, "/dev/watchdog");
	cfg->wd.timeout_ms = 60000;
}

const char *conf_exec(const struct config *c, const struct unit_conf *u)
{
	return c->pool + u->exec;
}

const char *conf_env(const struct config *c, const struct unit_conf *u)
{
	return c->pool + u->env;
}

const char *conf_never_kill(const struct config *c)
{
	return c->pool + c->mem.never_kill;
}

const char *conf_prefer(const struct config *c)
{
	return c->pool + c->mem.prefer;
}

const char *conf_cwd(const struct config *c, const struct unit_conf *u)
{
	return c->pool + u->cwd;
}

/* A syslog facility by name: its code, LOG_FAC_NONE for "no", or
 * LOG_FAC_NONE - 1 if the name is not one. */
static int log_facility(const char *v, int vl)
{
	static const struct { const char *name; int code; } f[] = {
		{ "no", LOG_FAC_NONE }, { "user", LOG_FAC_USER }, { "daemon", LOG_FAC_DAEMON },
		{ "auth", LOG_FAC_AUTH }, { "cron", LOG_FAC_CRON }, { "authpriv", LOG_FAC_AUTHPRIV },
	};
	for (unsigned i = 0; i < sizeof f / sizeof f[0]; i++)
		if ((int)strlen(f[i].name) == vl && !memcmp(v, f[i].name, (size_t)vl))
			return f[i].code;
	if (vl == 6 && !memcmp(v, "local", 5) && v[5] >= '0' && v[5] <= '7')
		return LOG_FAC_LOCAL0 + (v[5] - '0');
	return LOG_FAC_NONE - 1;
}

/* Bytes of a NUL-separated list of n strings, its final NUL excluded. */
static int list_len(const char *s, int n)
{
	int len = 0;
	for (int i = 0; i < n; i++)
		len += (int)strlen(s + len) + 1;
	return len;
}

int unit_conf_equal(const struct config *a, const struct unit_conf *ua,
		    const struct config *b, const struct unit_conf *ub)
{
	int el = list_len(conf_exec(a, ua), ua->argc);
	int nl = list_len(conf_env(a, ua), ua->envc);
	return !strcmp(ua->name, ub->name) && ua->kind == ub->kind &&
	       ua->restart == ub->restart && ua->early == ub->early &&
	       ua->protect == ub->protect && ua->argc == ub->argc &&
	       ua->optional == ub->optional && ua->not_installed == ub->not_installed &&
	       ua->tty == ub->tty &&
	       ua->envc == ub->envc && ua->oom_score_adj == ub->oom_score_adj &&
	       ua->nice == ub->nice && ua->timeout_ms == ub->timeout_ms &&
	       ua->restart_max_ms == ub->restart_max_ms && ua->stable_ms == ub->stable_ms &&
	       !strcmp(ua->user, ub->user) && !strcmp(ua->group, ub->group) &&
	       !strcmp(conf_cwd(a, ua), conf_cwd(b, ub)) &&
	       el == list_len(conf_exec(b, ub), ub->argc) &&
	       !memcmp(conf_exec(a, ua), conf_exec(b, ub), (size_t)el) &&
	       nl == list_len(conf_env(b, ub), ub->envc) &&
	       !memcmp(conf_env(a, ua), conf_env(b, ub), (size_t)nl);
}

/* Room for len more bytes in the pool; returns the offset or -1. */
static int pool_take(struct config *c, int len)
{
	if (c->pool_used + len > CONFIG_POOL)
		return -1;
	int off = c->pool_used;
	c->pool_used = (uint16_t)(c->pool_used + len);
	return off;
}

const char *conf_next_str(const char *s)
{
	return s + strlen(s) + 1;
}

int64_t parse_size(const char *s, int len)
{
	int64_t v = 0;
	int i = 0;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		v = v * 10 + (s[i++] - '0');
		if (v > (1LL << 50))
			return -1;
	}
	if (i == 0)
		return -1;
	const char *u = s + i;
	int ul = len - i;
	int shift = 0;
	if (ul > 0) {
		switch (u[0] | 0x20) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		case 't': shift = 40; break;
		case 'b': shift = 0; break;
		default: return -1;
		}
		if ((u[0] | 0x20) == 'b') {
			if (ul != 1)
				return -1;
		} else if (!(ul == 1 || (ul == 2 && (u[1] == 'B')) ||
			     (ul == 3 && u[1] == 'i' && u[2] == 'B'))) {
			return -1;
		}
	}
	if (v > (INT64_MAX >> shift))
		return -1;
	return v << shift;
}

static int parse_int(const char *s, int len, long lo, long hi, long *out)
{
	long v = 0;
	int i = 0, neg = 0;
	if (len > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i >= len)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
		if (v > 100000)
			return -1;
	}
	if (neg)
		v = -v;
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, int len)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (unsigned i = 0; i < 4; i++) {
		if ((int)strlen(yes[i]) == len && !strncmp(s, yes[i], (size_t)len))
			return 1;
		if ((int)strlen(no[i]) == len && !strncmp(s, no[i], (size_t)len))
			return 0;
	}
	return -1;
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == '@';
}

static int find_unit(const struct config *cfg, const char *name, int len)
{
	for (int i = 0; i < cfg->nunits; i++)
		if ((int)strlen(cfg->unit[i].name) == len &&
		    !strncmp(cfg->unit[i].name, name, (size_t)len))
			return i;
	return -1;
}

enum { ESC_KEEPALIVE = 1, ESC_RESCUE, ESC_WATCHDOG };

/* The escalation sections (issue #6): one of each, no name. */
static int esc_section(const char *t, int tl)
{
	if (tl == 9 && !strncmp(t, "keepalive", 9))
		return ESC_KEEPALIVE;
	if (tl == 6 && !strncmp(t, "rescue", 6))
		return ESC_RESCUE;
	if (tl == 8 && !strncmp(t, "watchdog", 8))
		return ESC_WATCHDOG;
	return 0;
}

/* ---- ttys = LIST: one unit per tty (lifeline.conf(5)) ---- */

#define MAX_TTYS 16
static const char *sys_root = "/sys";

void config_set_sys_root(const char *root)
{
	sys_root = root;
}

static int tty_exists(const char *name)
{
	char path[PATH_MAX_LEN + 32];
	struct stat st;
	fmt(path, sizeof path, "%s/class/tty/%s", sys_root, name);
	return stat(path, &st) == 0;
}

/* A tty name: what follows /dev/ and /sys/class/tty/ (no '/'), and valid
 * in a unit name. */
static int tty_name_ok(const char *s, int len)
{
	if (len == 0 || len > 15)
		return 0;
	for (int i = 0; i < len; i++)
		if (!is_name_char(s[i]) || s[i] == '@')
			return 0;
	return 1;
}

/* Add name to the list of n ttys unless it is there already. */
static void tty_add(char (*tty)[16], int *n, const char *name, int len)
{
	for (int i = 0; i < *n; i++)
		if ((int)strlen(tty[i]) == len && !strncmp(tty[i], name, (size_t)len))
			return;
	if (*n >= MAX_TTYS)
		return;
	memcpy(tty[*n], name, (size_t)len);
	tty[(*n)++][len] = '\0';
}

static void note(struct config_parser *p, const char *file, int line, int col,
		 const char *fmt_, ...) __attribute__((format(printf, 5, 6)));

/* A note: said (the log, --check-config), but neither an error nor a
 * warning. */
static void note(struct config_parser *p, const char *file, int line, int col,
		 const char *fmt_, ...)
{
	char msg[192];
	va_list ap;
	va_start(ap, fmt_);
	int n = fmt(msg, sizeof msg, "note: ");
	vfmt(msg + n, sizeof msg - (size_t)n, fmt_, ap);
	va_end(ap);
	p->notes++;
	if (p->report)
		p->report(p->ctx, file, line, col, msg);
}

/* The console words: every console the kernel writes to. */
static void console_ttys(struct config_parser *p, char (*tty)[16], int *n)
{
	char path[PATH_MAX_LEN + 32], buf[256];
	fmt(path, sizeof path, "%s/class/tty/console/active", sys_root);
	int len = scan_read_file(path, buf, sizeof buf);
	if (len < 0) {
		note(p, p->ttys_file, p->ttys_line, p->ttys_col,
		     "cannot read %s (%s): 'console' names no tty", path, strerror(errno));
		return;
	}
	for (int i = 0; i < len;) {
		while (i < len && (buf[i] == ' ' || buf[i] == '\n'))
			i++;
		int s = i;
		while (i < len && buf[i] != ' ' && buf[i] != '\n')
			i++;
		if (i == s)
			break;
		const char *w = buf + s;
		int wl = i - s;
		/* tty0 is whichever VT is in the foreground: its login is on tty1 */
		if (wl == 4 && !strncmp(w, "tty0", 4))
			w = "tty1";
		/* the kernel's own names; checked all the same, quietly */
		char name[16];
		if (!tty_name_ok(w, wl))
			continue;
		memcpy(name, w, (size_t)wl);
		name[wl] = '\0';
		if (tty_exists(name))
			tty_add(tty, n, name, wl);
	}
}

/* exec with every %I replaced by tty and %% by %, into out (argc words,
 * NUL-separated, a final NUL).  The length with the final NUL, or -1 with
 * *bad at the offending '%' (or -1 if the result is too long). */
static int subst_exec(const char *words, int argc, const char *tty, char *out,
		      int cap, int *bad)
{
	int o = 0, tl = (int)strlen(tty);
	const char *w = words;
	for (int k = 0; k < argc; k++, w = conf_next_str(w)) {
		for (const char *c = w; *c; c++) {
			if (*c == '%' && (c[1] == 'I' || c[1] == '%')) {
				const char *rep = c[1] == 'I' ? tty : "%";
				int rl = c[1] == 'I' ? tl : 1;
				if (o + rl >= cap - 1)
					goto toolong;
				memcpy(out + o, rep, (size_t)rl);
				o += rl;
				c++;
				continue;
			}
			if (*c == '%') {
				*bad = (int)(c - words);
				return -1;
			}
			if (o >= cap - 2)
				goto toolong;
			out[o++] = *c;
		}
		out[o++] = '\0';
	}
	out[o++] = '\0';
	return o;
toolong:
	*bad = -1;
	return -1;
}

/* Whether the exec words hold a %I. */
static int has_tty_specifier(const char *words, int argc)
{
	const char *w = words;
	for (int k = 0; k < argc; k++, w = conf_next_str(w))
		for (const char *c = w; *c; c++) {
			if (c[0] == '%' && c[1] == 'I')
				return 1;
			if (c[0] == '%' && c[1] == '%')
				c++;
		}
	return 0;
}

/* Forget what the parser noted for unit slot i (a unit dropped at the
 * end of its section: the slot is used again by the next section). */
static void slot_forget(struct config_parser *p, int i)
{
	p->seen_exec[i] = 0;
	p->timeout_set[i / 32] &= ~(1u << (i % 32));
	p->restart_max_set[i / 32] &= ~(1u << (i % 32));
	p->stable_set[i / 32] &= ~(1u << (i % 32));
}

/* The units of template tmpl, in slot idx (the config's last) and on,
 * one per tty: NAME-TTY, exec's %I the tty's name. */
static void expand_unit(struct config_parser *p, int idx, const struct unit_conf *tmpl)
{
	struct config *cfg = p->cfg;
	static char tty[MAX_TTYS][16];
	static char words[EXEC_MAX_LEN];
	const char *exec = conf_exec(cfg, tmpl);
	int n = 0, bad;
	if (subst_exec(exec, tmpl->argc, "tty1", words, EXEC_MAX_LEN, &bad) < 0 && bad >= 0) {
		report(p, p->exec_line[idx], p->exec_col[idx],
		       "unknown %%-specifier in exec: with ttys, %%I is the tty and %%%% a %%");
		return;
	}
	if (!has_tty_specifier(exec, tmpl->argc)) {
		report(p, p->exec_line[idx], p->exec_col[idx],
		       "ttys needs %%I in exec, for the tty's name (as in agetty ... %%I)");
		return;
	}
	for (int i = 0; i < p->ttys_len;) {
		const char *w = p->ttys + i;
		int wl = (int)strlen(w);
		i += wl + 1;
		if (!strcmp(w, "console"))
			console_ttys(p, tty, &n);
		else if (tty_exists(w))
			tty_add(tty, &n, w, wl);
		else    /* not an error: tty1 is harmless on a machine without VTs */
			note(p, p->ttys_file, p->ttys_line, p->ttys_col,
			     "'%s': no tty %s here (no %s/class/tty/%s): no unit for it",
			     tmpl->name, w, sys_root, w);
	}
	if (n == 0)
		note(p, p->ttys_file, p->ttys_line, p->ttys_col,
		     "'%s': none of its ttys is here: nothing to run", tmpl->name);
	if (idx + n > MAX_UNITS) {
		report(p, p->ttys_line, p->ttys_col, "'%s' makes %d units, one per tty, and "
		       "there is room for %d more (at most %d units in all)", tmpl->name, n,
		       MAX_UNITS - idx, MAX_UNITS);
		n = 0;
	}
	int made = 0;
	for (int k = 0; k < n; k++) {
		char name[NAME_MAX_LEN + 16];
		int nl = fmt(name, sizeof name, "%s-%s", tmpl->name, tty[k]);
		if (nl >= NAME_MAX_LEN) {
			report(p, p->ttys_line, p->ttys_col, "unit name '%s' too long (at most %d "
			       "characters): shorten the section's name", name, NAME_MAX_LEN - 1);
			continue;
		}
		int dup = find_unit(cfg, name, nl);
		if (dup >= 0 && dup < idx) {
			report(p, p->ttys_line, p->ttys_col, "duplicate name '%s' (first defined "
			       "at %s:%d)", name, def_file[dup] ? def_file[dup] : "?", def_line[dup]);
			continue;
		}
		int wl = subst_exec(exec, tmpl->argc, tty[k], words, EXEC_MAX_LEN, &bad);
		if (wl < 0) {
			report(p, p->exec_line[idx], p->exec_col[idx], "command line too long "
			       "with %%I = %s (at most %d bytes)", tty[k], EXEC_MAX_LEN - 2);
			continue;
		}
		int off = pool_take(cfg, wl);
		if (off < 0) {
			report(p, p->ttys_line, p->ttys_col, "configuration too large: its "
			       "commands, environments and directories exceed %d bytes",
			       CONFIG_POOL);
			break;
		}
		memcpy(cfg->pool + off, words, (size_t)wl);
		int j = idx + made++;
		struct unit_conf *u = &cfg->unit[j];
		*u = *tmpl;
		memcpy(u->name, name, (size_t)nl + 1);
		u->exec = (uint16_t)off;
		u->tty = 1;
		if (j == idx)
			continue;
		p->seen_exec[j] = 1;
		p->exec_line[j] = p->exec_line[idx];
		p->exec_col[j] = p->exec_col[idx];
		p->exec_file[j] = p->exec_file[idx];
		def_line[j] = def_line[idx];
		def_file[j] = def_file[idx];
		if (bit_get(p->timeout_set, idx))
			bit_set(p->timeout_set, j);
		if (bit_get(p->restart_max_set, idx))
			bit_set(p->restart_max_set, j);
		if (bit_get(p->stable_set, idx))
			bit_set(p->stable_set, j);
	}
	if (!made) {
		slot_forget(p, idx);
		/* the template's exec stays in the pool, unused: a few bytes */
	}
	cfg->nunits = idx + made;
}

/* The section being closed had ttys = (its unit is the config's last): it
 * becomes one unit per tty.  At load (boot, reload, --check-config): the
 * ttys are those there at that moment. */
static void expand_ttys(struct config_parser *p)
{
	struct config *cfg = p->cfg;
	if (p->ttys_len && p->cur && p->cur == &cfg->unit[cfg->nunits - 1] &&
	    p->seen_exec[cfg->nunits - 1]) {    /* else config_end says: no exec */
		int idx = cfg->nunits - 1;
		struct unit_conf tmpl = *p->cur;
		const char *file = p->file;
		p->file = p->ttys_file; /* for report(): conf.d may have begun since */
		expand_unit(p, idx, &tmpl);
		p->file = file;
	}
	p->ttys_len = 0;
	p->cur = NULL;
}

static void section(struct config_parser *p, int lineno, const char *l, int len,
		    int col0)
{
	expand_ttys(p);   /* the section before this one ends here */
	struct config *cfg = p->cfg;
	int end = 1;
	p->in_section = 1;
	p->skip_section = 1;
	p->in_memory = 0;
	p->in_esc = 0;
	p->cur = NULL;
	while (end < len && l[end] != ']')
		end++;
	if (end >= len) {
		report(p, lineno, col0 + len, "missing ']' at end of section header");
		return;
	}
	for (int i = end + 1; i < len; i++) {
		if (l[i] == '#')
			break;
		if (l[i] != ' ' && l[i] != '\t') {
			report(p, lineno, col0 + i, "unexpected text after ']'");
			return;
		}
	}
	int i = 1;
	while (i < end && (l[i] == ' ' || l[i] == '\t'))
		i++;
	int ts = i;
	while (i < end && l[i] != ' ' && l[i] != '\t')
		i++;
	int tl = i - ts;
	while (i < end && (l[i] == ' ' || l[i] == '\t'))
		i++;
	int ns = i;
	int ne = end;
	while (ne > ns && (l[ne - 1] == ' ' || l[ne - 1] == '\t'))
		ne--;
	int nl = ne - ns;

	if (tl == 8 && !strncmp(l + ts, "lifeline", 8)) {
		if (nl) {
			report(p, lineno, col0 + ns, "[lifeline] takes no name");
			return;
		}
		p->skip_section = 0;
		return;
	}
	if (tl == 6 && !strncmp(l + ts, "memory", 6)) {
		if (nl) {
			report(p, lineno, col0 + ns, "[memory] takes no name");
			return;
		}
		if (p->skip_duplicates)
			return;         /* config_continue: the config's own [memory] rules */
		p->skip_section = 0;
		p->in_memory = 1;
		cfg->mem.present = 1;
		return;
	}
	int esc = esc_section(l + ts, tl);
	if (esc) {
		if (nl) {
			report(p, lineno, col0 + ns, "[%.*s] takes no name", tl, l + ts);
			return;
		}
		if (p->skip_duplicates)
			return;         /* config_continue: the config's own sections rule */
		p->skip_section = 0;
		p->in_esc = esc;
		if (esc == ESC_KEEPALIVE) {
			cfg->ka.present = 1;
			if (!p->ka_file) {
				p->ka_file = p->file;
				p->ka_line = lineno;
			}
		} else if (esc == ESC_RESCUE) {
			cfg->rescue.present = 1;
		} else {
			cfg->wd.present = 1;
		}
		return;
	}
	int kind;
	if (tl == 7 && !strncmp(l + ts, "service", 7))
		kind = UNIT_SERVICE;
	else if (tl == 4 && !strncmp(l + ts, "boot", 4))
		kind = UNIT_BOOT;
	else if (tl == 8 && !strncmp(l + ts, "shutdown", 8))
		kind = UNIT_SHUTDOWN;
	else {
		report(p, lineno, col0 + ts,
		       "unknown section '%.*s' (expected lifeline, memory, keepalive, rescue, "
		       "watchdog, service, boot or shutdown)",
		       tl, l + ts);
		return;
	}
	if (nl == 0) {
		report(p, lineno, col0 + end, "section needs a name, as in [%.*s NAME]",
		       tl, l + ts);
		return;
	}
	if (nl >= NAME_MAX_LEN) {
		report(p, lineno, col0 + ns, "name too long (at most %d characters)",
		       NAME_MAX_LEN - 1);
		return;
	}
	for (int k = ns; k < ne; k++)
		if (!is_name_char(l[k])) {
			report(p, lineno, col0 + k,
			       "invalid character in name (use letters, digits, - _ . @)");
			return;
		}
	int dup = find_unit(cfg, l + ns, nl);
	char renamed[NAME_MAX_LEN];
	if (dup >= 0 && p->skip_duplicates) {
		/* adding the fallback: the config's own unit keeps its name; a
		 * service of ours runs beside it as fallback-NAME (the config's
		 * may be the broken one), a task of ours is skipped */
		int rl = fmt(renamed, sizeof renamed, "fallback-%.*s", nl, l + ns);
		if (kind != UNIT_SERVICE || rl >= (int)sizeof renamed ||
		    find_unit(cfg, renamed, rl) >= 0)
			return;
		l = renamed;
		ns = 0;
		nl = rl;
		dup = -1;
	}
	if (dup >= 0) {
		report(p, lineno, col0 + ns, "duplicate name '%.*s' (first defined at %s:%d)",
		       nl, l + ns, def_file[dup] ? def_file[dup] : "?", def_line[dup]);
		return;
	}
	if (cfg->nunits >= MAX_UNITS) {
		report(p, lineno, col0, "too many sections (at most %d)", MAX_UNITS);
		return;
	}
	int idx = cfg->nunits++;
	struct unit_conf *u = &cfg->unit[idx];
	memset(u, 0, sizeof *u);
	memcpy(u->name, l + ns, (size_t)nl);
	u->kind = (uint8_t)kind;
	u->oom_score_adj = OOM_ADJ_UNSET;
	u->syslog_facility = LOG_FAC_DAEMON;
	u->memory_min = SIZE_UNSET;
	u->memory_max = SIZE_UNSET;
	u->restart = RESTART_ALWAYS;
	def_line[idx] = lineno;
	def_file[idx] = p->file;
	p->cur = u;
	p->skip_section = 0;
}

/* Split an exec value into NUL-separated words. Returns argc or -1. */
static int split_exec(struct config_parser *p, int lineno, int col0,
		      const char *v, int len, char *out, int cap)
{
	int argc = 0, o = 0, i = 0;
	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i >= len)
			break;
		if (argc >= MAX_ARGS) {
			report(p, lineno, col0 + i, "too many arguments (at most %d)", MAX_ARGS);
			return -1;
		}
		while (i < len && v[i] != ' ' && v[i] != '\t') {
			char c = v[i];
			if (c == '\'' || c == '"') {
				int q = i++;
				while (i < len && v[i] != c) {
					if (c == '"' && v[i] == '\\' && i + 1 < len &&
					    (v[i + 1] == '"' || v[i + 1] == '\\'))
						i++;
					if (o >= cap - 2)
						goto toolong;
					out[o++] = v[i++];
				}
				if (i >= len) {
					report(p, lineno, col0 + q, "unterminated quote");
					return -1;
				}
				i++;
				continue;
			}
			if (c == '\\') {
				if (i + 1 >= len) {
					report(p, lineno, col0 + i, "backslash at end of line");
					return -1;
				}
				i++;
			}
			if (o >= cap - 2)
				goto toolong;
			out[o++] = v[i++];
		}
		if (o > cap - 2)
			goto toolong;   /* even an empty word takes a byte */
		out[o++] = '\0';
		argc++;
	}
	out[o] = '\0';
	if (argc == 0) {
		report(p, lineno, col0, "exec needs a command");
		return -1;
	}
	if (out[0] == '\0') {
		report(p, lineno, col0, "the command (first word of exec) is empty");
		return -1;
	}
	return argc;
toolong:
	report(p, lineno, col0, "command line too long (at most %d bytes)", EXEC_MAX_LEN - 2);
	return -1;
}

static int set_duration(struct config_parser *p, int lineno, int vcol,
			const char *v, int vl, uint32_t *dst, int64_t min)
{
	int64_t d = parse_duration_ms(v, vl);
	if (d < 0) {
		report(p, lineno, vcol, "bad duration '%.*s' (use e.g. 500ms, 30s, 5m)", vl, v);
		return -1;
	}
	if (d < min) {
		report(p, lineno, vcol, "duration '%.*s' too short (at least %lldms)",
		       vl, v, (long long)min);
		return -1;
	}
	*dst = (uint32_t)d;
	return 0;
}

static void global_key(struct config_parser *p, int lineno, int kcol, const char *k,
		       int kl, int vcol, const char *v, int vl)
{
	struct config *c = p->cfg;
#define KEY(s) (kl == (int)sizeof(s) - 1 && !strncmp(k, s, sizeof(s) - 1))
	if (KEY("stop_timeout"))
		set_duration(p, lineno, vcol, v, vl, &c->stop_timeout_ms, 0);
	else if (KEY("restart_delay_max"))
		set_duration(p, lineno, vcol, v, vl, &c->restart_max_ms, 100);
	else if (KEY("stable_after"))
		set_duration(p, lineno, vcol, v, vl, &c->stable_ms, STABLE_MIN_MS);
	else if (KEY("spawn_retry"))
		set_duration(p, lineno, vcol, v, vl, &c->spawn_retry_ms, 10);
	else if (KEY("panic_reboot"))
		set_duration(p, lineno, vcol, v, vl, &c->panic_reboot_ms, 0);
	else if (KEY("syslog") && ((vl == 2 && !memcmp(v, "no", 2)) ||
				   (v[0] == '/' && vl < (int)sizeof c->syslog)))
		fmt(c->syslog, sizeof c->syslog, "%.*s", vl, v);
	else if (KEY("syslog"))
		report(p, lineno, vcol, "syslog must be no or the absolute path of a socket "
		       "(at most %d bytes)", (int)sizeof c->syslog - 1);
	else
		report(p, lineno, kcol, "unknown key '%.*s' in [lifeline]", kl, k);
}

static int set_size(struct config_parser *p, int lineno, int vcol, const char *v,
		    int vl, uint64_t *dst, const char *key)
{
	int64_t n = parse_size(v, vl);
	if (n < 0) {
		report(p, lineno, vcol, "bad size '%.*s' for %s (use e.g. 64M, 1G, 512K)",
		       vl, v, key);
		return -1;
	}
	*dst = (uint64_t)n;
	return 0;
}

static void set_percent(struct config_parser *p, int lineno, int vcol, const char *v,
			int vl, uint8_t *dst, const char *key)
{
	long n;
	if (vl > 1 && v[vl - 1] == '%')
		vl--;
	if (parse_int(v, vl, 0, 100, &n) < 0)
		report(p, lineno, vcol, "%s must be a percentage from 0 to 100", key);
	else
		*dst = (uint8_t)n;
}

static void set_pids(struct config_parser *p, int lineno, int vcol, const char *v,
		     int vl, uint32_t *dst, const char *key)
{
	long n;
	if (vl == 3 && !strncmp(v, "max", 3))
		*dst = 0;
	else if (parse_int(v, vl, 1, 99999, &n) < 0)
		report(p, lineno, vcol, "%s must be a number from 1 to 99999, or max", key);
	else
		*dst = (uint32_t)n;
}

/* "full 300ms 1s", "some 150ms 2s" or "no": the PSI trigger */
static void set_psi(struct config_parser *p, int lineno, int vcol, const char *v, int vl)
{
	struct memory_conf *m = &p->cfg->mem;
	if (parse_bool(v, vl) == 0) {
		m->psi_stall_us = 0;
		return;
	}
	int w[3][2], n = 0, i = 0;
	while (i < vl && n < 3) {
		while (i < vl && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i >= vl)
			break;
		w[n][0] = i;
		while (i < vl && v[i] != ' ' && v[i] != '\t')
			i++;
		w[n][1] = i - w[n][0];
		n++;
	}
	while (i < vl && (v[i] == ' ' || v[i] == '\t'))
		i++;
	int full = n > 0 && w[0][1] == 4 && !strncmp(v + w[0][0], "full", 4);
	int some = n > 0 && w[0][1] == 4 && !strncmp(v + w[0][0], "some", 4);
	if (n != 3 || i < vl || !(full || some)) {
		report(p, lineno, vcol, "psi must be 'full STALL WINDOW', 'some STALL WINDOW' "
		       "(e.g. full 300ms 1s) or no");
		return;
	}
	int64_t st = parse_duration_ms(v + w[1][0], w[1][1]);
	int64_t win = parse_duration_ms(v + w[2][0], w[2][1]);
	if (st < 0 || win < 0) {
		report(p, lineno, vcol + w[st < 0 ? 1 : 2][0], "bad duration in psi");
		return;
	}
	/* the kernel takes windows from 500ms to 10s */
	if (win < 500 || win > 10000 || st < 1 || st > win) {
		report(p, lineno, vcol, "psi window must be 500ms to 10s, and the stall "
		       "at least 1ms and no longer than the window");
		return;
	}
	m->psi_full = (uint8_t)full;
	m->psi_stall_us = (uint32_t)st * 1000;
	m->psi_window_us = (uint32_t)win * 1000;
}

/* never_kill / prefer: process names (as in /proc/PID/comm), by spaces */
static void set_names(struct config_parser *p, int lineno, int vcol, const char *v,
		      int vl, uint16_t *off, uint8_t *count, const char *key)
{
	char buf[LINE_MAX_LEN];
	int o = 0, n = 0, i = 0;
	while (i < vl) {
		while (i < vl && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i >= vl)
			break;
		int st = i;
		while (i < vl && v[i] != ' ' && v[i] != '\t')
			i++;
		if (i - st > 15) {
			report(p, lineno, vcol + st, "%s: '%.*s' is longer than a process "
			       "name can be (15 bytes)", key, i - st, v + st);
			return;
		}
		if (n >= 32) {
			report(p, lineno, vcol + st, "%s: too many names (at most 32)", key);
			return;
		}
		memcpy(buf + o, v + st, (size_t)(i - st));
		o += i - st;
		buf[o++] = '\0';
		n++;
	}
	buf[o++] = '\0';
	int at = pool_take(p->cfg, o);
	if (at < 0) {
		report(p, lineno, vcol, "configuration too large: its commands, "
		       "environments and directories exceed %d bytes", CONFIG_POOL);
		return;
	}
	memcpy(p->cfg->pool + at, buf, (size_t)o);
	*off = (uint16_t)at;
	*count = (uint8_t)n;
}

static void memory_key(struct config_parser *p, int lineno, int kcol, const char *k,
		       int kl, int vcol, const char *v, int vl)
{
	struct memory_conf *m = &p->cfg->mem;
	int b;
	if (KEY("guard") || KEY("cgroups")) {
		if ((b = parse_bool(v, vl)) < 0)
			report(p, lineno, vcol, "%.*s must be yes or no", kl, k);
		else if (KEY("guard"))
			m->guard = (uint8_t)b;
		else
			m->cgroups = (uint8_t)b;
	} else if (KEY("mem_min_percent")) {
		set_percent(p, lineno, vcol, v, vl, &m->mem_min_percent, "mem_min_percent");
	} else if (KEY("swap_min_percent")) {
		set_percent(p, lineno, vcol, v, vl, &m->swap_min_percent, "swap_min_percent");
	} else if (KEY("mem_min_size")) {
		set_size(p, lineno, vcol, v, vl, &m->mem_min_size, "mem_min_size");
	} else if (KEY("headroom")) {
		set_size(p, lineno, vcol, v, vl, &m->headroom, "headroom");
	} else if (KEY("kill_min_size")) {
		set_size(p, lineno, vcol, v, vl, &m->kill_min_size, "kill_min_size");
	} else if (KEY("balloon_floor")) {
		set_size(p, lineno, vcol, v, vl, &m->balloon_floor, "balloon_floor");
	} else if (KEY("memory_min")) {
		set_size(p, lineno, vcol, v, vl, &m->memory_min, "memory_min");
	} else if (KEY("session_pids_max")) {
		set_pids(p, lineno, vcol, v, vl, &m->session_pids_max, "session_pids_max");
	} else if (KEY("psi")) {
		set_psi(p, lineno, vcol, v, vl);
	} else if (KEY("never_kill")) {
		set_names(p, lineno, vcol, v, vl, &m->never_kill, &m->never_killc, "never_kill");
	} else if (KEY("prefer")) {
		set_names(p, lineno, vcol, v, vl, &m->prefer, &m->preferc, "prefer");
	} else {
		report(p, lineno, kcol, "unknown key '%.*s' in [memory]", kl, k);
	}
}

static int copy_name(struct config_parser *p, int lineno, int vcol, const char *v,
		     int vl, char *dst, int cap, const char *what)
{
	if (vl >= cap) {
		report(p, lineno, vcol, "%s too long (at most %d bytes)", what, cap - 1);
		return -1;
	}
	for (int i = 0; i < vl; i++)
		if (v[i] == ':' || v[i] == ' ' || v[i] == '\t' || v[i] == '/') {
			report(p, lineno, vcol + i, "invalid character in %s", what);
			return -1;
		}
	memcpy(dst, v, (size_t)vl);
	dst[vl] = '\0';
	return 0;
}

/* ttys = console tty1 ...: the words, kept until the section ends */
static void set_ttys(struct config_parser *p, int lineno, int kcol, int vcol,
		     const char *v, int vl)
{
	int o = 0, n = 0;
	if (p->ttys_len) {
		report(p, lineno, kcol, "ttys given twice");
		return;
	}
	for (int i = 0; i < vl;) {
		while (i < vl && (v[i] == ' ' || v[i] == '\t'))
			i++;
		int s = i;
		while (i < vl && v[i] != ' ' && v[i] != '\t')
			i++;
		if (i == s)
			break;
		if (!(i - s == 7 && !strncmp(v + s, "console", 7)) && !tty_name_ok(v + s, i - s)) {
			report(p, lineno, vcol + s, "ttys: '%.*s' is not a tty name (as in ttyS0, "
			       "tty1, hvc0: letters, digits, - _ ., at most 15) nor console",
			       i - s, v + s);
			return;
		}
		if (++n > MAX_TTYS || o + (i - s) + 1 > TTYS_MAX_LEN) {
			report(p, lineno, vcol + s, "ttys: too many (at most %d)", MAX_TTYS);
			return;
		}
		memcpy(p->ttys + o, v + s, (size_t)(i - s));
		o += i - s;
		p->ttys[o++] = '\0';
	}
	p->ttys_len = o;
	p->ttys_line = lineno;
	p->ttys_col = vcol;
	p->ttys_file = p->file;
}

static void unit_key(struct config_parser *p, int lineno, int kcol, const char *k,
		     int kl, int vcol, const char *v, int vl)
{
	struct unit_conf *u = p->cur;
	int idx = (int)(u - p->cfg->unit);
	int svc = u->kind == UNIT_SERVICE;
	long n;
	int b;

	if (KEY("exec")) {
		if (p->seen_exec[idx]) {
			report(p, lineno, kcol, "exec given twice");
			return;
		}
		static char words[EXEC_MAX_LEN];
		int argc = split_exec(p, lineno, vcol, v, vl, words, EXEC_MAX_LEN);
		if (argc < 0)
			return;
		int len = list_len(words, argc) + 1;
		int off = pool_take(p->cfg, len);
		if (off < 0) {
			report(p, lineno, vcol, "configuration too large: its commands, "
			       "environments and directories exceed %d bytes", CONFIG_POOL);
			return;
		}
		memcpy(p->cfg->pool + off, words, (size_t)len);
		u->exec = (uint16_t)off;
		u->argc = (uint8_t)argc;
		p->seen_exec[idx] = 1;
		p->exec_line[idx] = lineno;
		p->exec_col[idx] = vcol;
		p->exec_file[idx] = p->file;
	} else if (KEY("env")) {
		int eq = 0;
		while (eq < vl && v[eq] != '=')
			eq++;
		int ok = eq > 0 && eq < vl && !(v[0] >= '0' && v[0] <= '9');
		for (int i = 0; ok && i < eq; i++)
			ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
			     (v[i] >= '0' && v[i] <= '9') || v[i] == '_';
		if (!ok) {
			report(p, lineno, vcol, "env needs NAME=VALUE");
			return;
		}
		if (u->envc >= MAX_ENV) {
			report(p, lineno, kcol, "too many env entries (at most %d)", MAX_ENV);
			return;
		}
		struct config *c = p->cfg;
		int used = list_len(conf_env(c, u), u->envc);
		if (used + vl + 2 > ENV_MAX_LEN) {
			report(p, lineno, vcol, "environment too long (at most %d bytes)",
			       ENV_MAX_LEN - 2);
			return;
		}
		/* the list must stay in one piece: extend it where it ends the
		 * pool, else move it to the end */
		int off = u->envc && u->env + used + 1 == c->pool_used ? u->env : -1;
		if (off >= 0) {
			if (pool_take(c, vl + 1) < 0)
				off = -2;
		} else {
			off = pool_take(c, used + vl + 2);
			if (off >= 0)
				memmove(c->pool + off, conf_env(c, u), (size_t)used);
		}
		if (off < 0) {
			report(p, lineno, vcol, "configuration too large: its commands, "
			       "environments and directories exceed %d bytes", CONFIG_POOL);
			return;
		}
		memcpy(c->pool + off + used, v, (size_t)vl);
		c->pool[off + used + vl] = '\0';
		c->pool[off + used + vl + 1] = '\0';
		u->env = (uint16_t)off;
		u->envc++;
	} else if (KEY("user")) {
		copy_name(p, lineno, vcol, v, vl, u->user, USER_MAX_LEN, "user name");
	} else if (KEY("group")) {
		copy_name(p, lineno, vcol, v, vl, u->group, USER_MAX_LEN, "group name");
	} else if (KEY("cwd")) {
		if (v[0] != '/') {
			report(p, lineno, vcol, "cwd must be an absolute path");
			return;
		}
		if (vl >= PATH_MAX_LEN) {
			report(p, lineno, vcol, "cwd too long (at most %d bytes)", PATH_MAX_LEN - 1);
			return;
		}
		int off = pool_take(p->cfg, vl + 1);
		if (off < 0) {
			report(p, lineno, vcol, "configuration too large: its commands, "
			       "environments and directories exceed %d bytes", CONFIG_POOL);
			return;
		}
		memcpy(p->cfg->pool + off, v, (size_t)vl);
		p->cfg->pool[off + vl] = '\0';
		u->cwd = (uint16_t)off;
	} else if (KEY("oom_score_adj")) {
		if (parse_int(v, vl, -1000, 1000, &n) < 0)
			report(p, lineno, vcol, "oom_score_adj must be a number from -1000 to 1000");
		else
			u->oom_score_adj = (int16_t)n;
	} else if (KEY("protect")) {
		if ((b = parse_bool(v, vl)) < 0)
			report(p, lineno, vcol, "protect must be yes or no");
		else
			u->protect = (uint8_t)b;
	} else if (KEY("kmsg")) {
		if ((b = parse_bool(v, vl)) < 0)
			report(p, lineno, vcol, "kmsg must be yes or no");
		else
			u->no_kmsg = (uint8_t)!b;
	} else if (KEY("syslog")) {
		if ((n = log_facility(v, vl)) == LOG_FAC_NONE - 1)
			report(p, lineno, vcol, "syslog must be a facility (daemon, auth, authpriv, "
			       "cron, user, local0 to local7) or no");
		else
			u->syslog_facility = (int8_t)n;
	} else if (KEY("session_oom_score_adj")) {
		if (parse_int(v, vl, -1000, 1000, &n) < 0)
			report(p, lineno, vcol,
			       "session_oom_score_adj must be a number from -1000 to 1000");
		else
			u->session_oom_score_adj = (int16_t)n;
	} else if (KEY("memory_min") && svc) {
		set_size(p, lineno, vcol, v, vl, &u->memory_min, "memory_min");
	} else if (KEY("memory_max")) {
		if (vl == 3 && !strncmp(v, "max", 3))
			u->memory_max = SIZE_UNSET;
		else
			set_size(p, lineno, vcol, v, vl, &u->memory_max, "memory_max");
	} else if (KEY("pids_max")) {
		set_pids(p, lineno, vcol, v, vl, &u->pids_max, "pids_max");
	} else if (KEY("nice")) {
		if (parse_int(v, vl, -20, 19, &n) < 0)
			report(p, lineno, vcol, "nice must be a number from -20 to 19");
		else
			u->nice = (int8_t)n;
	} else if (KEY("ttys") && svc) {
		set_ttys(p, lineno, kcol, vcol, v, vl);
	} else if (KEY("optional") && svc) {
		if ((b = parse_bool(v, vl)) < 0)
			report(p, lineno, vcol, "optional must be yes or no");
		else
			u->optional = (uint8_t)b;
	} else if (KEY("restart") && svc) {
		if (vl == 6 && !strncmp(v, "always", 6))
			u->restart = RESTART_ALWAYS;
		else if (vl == 10 && !strncmp(v, "on-failure", 10))
			u->restart = RESTART_ON_FAILURE;
		else if ((vl == 5 && !strncmp(v, "never", 5)) || (vl == 2 && !strncmp(v, "no", 2)))
			u->restart = RESTART_NEVER;
		else
			report(p, lineno, vcol, "restart must be always, on-failure or never");
	} else if (KEY("early") && svc) {
		if ((b = parse_bool(v, vl)) < 0)
			report(p, lineno, vcol, "early must be yes or no");
		else
			u->early = (uint8_t)b;
	} else if (KEY("restart_delay_max") && svc) {
		if (!set_duration(p, lineno, vcol, v, vl, &u->restart_max_ms, 100))
			bit_set(p->restart_max_set, idx);
	} else if (KEY("stable_after") && svc) {
		if (!set_duration(p, lineno, vcol, v, vl, &u->stable_ms, STABLE_MIN_MS))
			bit_set(p->stable_set, idx);
	} else if (KEY("timeout") && !svc) {
		if (!set_duration(p, lineno, vcol, v, vl, &u->timeout_ms, 1))
			bit_set(p->timeout_set, idx);
	} else if (KEY("restart") || KEY("early") || KEY("restart_delay_max") ||
		   KEY("stable_after") || KEY("memory_min") || KEY("ttys") || KEY("optional")) {
		report(p, lineno, kcol, "'%.*s' is only valid in [service] sections", kl, k);
	} else if (KEY("timeout")) {
		report(p, lineno, kcol, "'timeout' is only valid in [boot] and [shutdown] sections");
	} else {
		report(p, lineno, kcol, "unknown key '%.*s'", kl, k);
	}
#undef KEY
}

#define KEY(s) (kl == (int)sizeof(s) - 1 && !strncmp(k, s, sizeof(s) - 1))
/* ---- [keepalive], [rescue], [watchdog] (lifeline.conf(5)) ---- */

static void set_duration_range(struct config_parser *p, int lineno, int vcol,
			       const char *v, int vl, uint32_t *dst, int64_t lo,
			       int64_t hi, const char *key, const char *range)
{
	int64_t d = parse_duration_ms(v, vl);
	if (d < 0)
		report(p, lineno, vcol, "bad duration '%.*s' (use e.g. 500ms, 30s, 5m)", vl, v);
	else if (d < lo || d > hi)
		report(p, lineno, vcol, "%s must be %s", key, range);
	else
		*dst = (uint32_t)d;
}

static void set_path(struct config_parser *p, int lineno, int vcol, const char *v,
		     int vl, char *dst, int cap, const char *key)
{
	if (v[0] != '/') {
		report(p, lineno, vcol, "%s must be an absolute path", key);
		return;
	}
	if (vl >= cap) {
		report(p, lineno, vcol, "%s too long (at most %d bytes)", key, cap - 1);
		return;
	}
	memcpy(dst, v, (size_t)vl);
	dst[vl] = '\0';
}

static void set_flag(struct config_parser *p, int lineno, int vcol, const char *v,
		     int vl, uint8_t *dst, const char *key)
{
	int b = parse_bool(v, vl);
	if (b < 0)
		report(p, lineno, vcol, "%s must be yes or no", key);
	else
		*dst = (uint8_t)b;
}

static void set_port(struct config_parser *p, int lineno, int vcol, const char *v,
		     int vl, uint16_t *dst, long lo, const char *key)
{
	long n;
	if (parse_int(v, vl, lo, 65535, &n) < 0)
		report(p, lineno, vcol, "%s must be a number from %ld to 65535", key, lo);
	else
		*dst = (uint16_t)n;
}

/* "192.0.2.10", "192.0.2.10:7500", "[2001:db8::1]" or "[2001:db8::1]:7500";
 * no host names: PID 1 does not resolve them.  Then, after a blank, the
 * peer's own key file if it has one. */
static void add_peer(struct config_parser *p, int lineno, int vcol, const char *v, int vl)
{
	struct keepalive_conf *ka = &p->cfg->ka;
	struct peer_conf pc;
	char a[64];
	int as = 0, ae, ps = -1;
	memset(&pc, 0, sizeof pc);
	int full = vl;
	vl = 0;
	while (vl < full && v[vl] != ' ' && v[vl] != '\t')
		vl++;
	int ks = vl;
	while (ks < full && (v[ks] == ' ' || v[ks] == '\t'))
		ks++;
	if (ks < full) {
		int before = p->errors;
		set_path(p, lineno, vcol + ks, v + ks, full - ks, pc.key, (int)sizeof pc.key,
			 "peer: the key file");
		if (p->errors != before)
			return;
	}
	if (v[0] == '[') {
		as = 1;
		ae = 1;
		while (ae < vl && v[ae] != ']')
			ae++;
		if (ae >= vl) {
			report(p, lineno, vcol + vl, "peer: missing ']' after the IPv6 address");
			return;
		}
		if (ae + 1 < vl) {
			if (v[ae + 1] != ':') {
				report(p, lineno, vcol + ae + 1, "peer: expected ':PORT' after ']'");
				return;
			}
			ps = ae + 2;
		}
		pc.family = AF_INET6;
	} else {
		int colons = 0;
		ae = vl;
		for (int i = 0; i < vl; i++)
			if (v[i] == ':') {
				colons++;
				ae = i;
			}
		if (colons > 1) {
			report(p, lineno, vcol, "peer: write an IPv6 address in brackets, "
			       "as in [2001:db8::1]:7500");
			return;
		}
		if (colons)
			ps = ae + 1;
		pc.family = AF_INET;
	}
	if (ae - as <= 0 || ae - as >= (int)sizeof a) {
		report(p, lineno, vcol + as, "peer: missing or too long address");
		return;
	}
	memcpy(a, v + as, (size_t)(ae - as));
	a[ae - as] = '\0';
	if (inet_pton(pc.family, a, pc.addr) != 1) {
		report(p, lineno, vcol + as, "peer: '%s' is not an %s address (host names "
		       "are not resolved)", a, pc.family == AF_INET ? "IPv4" : "IPv6");
		return;
	}
	long port = KA_DEFAULT_PORT;
	if (ps >= 0 && parse_int(v + ps, vl - ps, 1, 65535, &port) < 0) {
		report(p, lineno, vcol + ps, "peer: port must be a number from 1 to 65535");
		return;
	}
	pc.port = (uint16_t)port;
	fmt(pc.text, sizeof pc.text, pc.family == AF_INET ? "%s:%ld" : "[%s]:%ld", a, port);
	for (int i = 0; i < ka->npeers; i++)
		if (ka->peer[i].family == pc.family && ka->peer[i].port == pc.port &&
		    !memcmp(ka->peer[i].addr, pc.addr, sizeof pc.addr)) {
			report(p, lineno, vcol, "peer %s given twice", pc.text);
			return;
		}
	if (ka->npeers >= MAX_PEERS) {
		report(p, lineno, vcol, "too many peers (at most %d)", MAX_PEERS);
		return;
	}
	ka->peer[ka->npeers++] = pc;
}

/* The host name in keepalives: what lifeline-peer's [host NAME] says. */
static void set_ka_host(struct config_parser *p, int lineno, int vcol, const char *v, int vl)
{
	if (vl >= (int)sizeof p->cfg->ka.host) {
		report(p, lineno, vcol, "host too long (at most %d bytes)",
		       (int)sizeof p->cfg->ka.host - 1);
		return;
	}
	for (int i = 0; i < vl; i++) {
		char c = v[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
			report(p, lineno, vcol + i, "invalid character in host (use letters, "
			       "digits, . _ -)");
			return;
		}
	}
	memcpy(p->cfg->ka.host, v, (size_t)vl);
	p->cfg->ka.host[vl] = '\0';
}

static void keepalive_key(struct config_parser *p, int lineno, int kcol, const char *k,
			  int kl, int vcol, const char *v, int vl)
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
		if (parse_int(v, vl, 1, MAX_PEERS, &n) < 0) {
			report(p, lineno, vcol, "quorum must be a number from 1 to %d", MAX_PEERS);
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
			report(p, lineno, vcol, "system must be normal or rescue");
	} else {
		report(p, lineno, kcol, "unknown key '%.*s' in [keepalive]", kl, k);
	}
}

static void rescue_key(struct config_parser *p, int lineno, int kcol, const char *k,
		       int kl, int vcol, const char *v, int vl)
{
	struct rescue_conf *r = &p->cfg->rescue;
	if (KEY("image")) {
		set_path(p, lineno, vcol, v, vl, r->image, (int)sizeof r->image, "image");
	} else if (KEY("kernel")) {
		set_path(p, lineno, vcol, v, vl, r->kernel, (int)sizeof r->kernel, "kernel");
	} else if (KEY("snapshot")) {
		if (parse_bool(v, vl) == 0)
			r->snapshot[0] = '\0';
		else
			set_path(p, lineno, vcol, v, vl, r->snapshot, (int)sizeof r->snapshot,
				 "snapshot");
	} else if (KEY("cmdline")) {
		if (vl >= (int)sizeof r->cmdline) {
			report(p, lineno, vcol, "cmdline too long (at most %d bytes)",
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
			report(p, lineno, vcol, "method must be auto, kexec or grub");
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
			report(p, lineno, vcol, "grub_entry must be 1 to %d letters, digits, "
			       "'-', '_' or '.' (a menu entry's --id)", (int)sizeof r->grub_entry - 1);
			return;
		}
		memcpy(r->grub_entry, v, (size_t)vl);
		r->grub_entry[vl] = '\0';
	} else {
		report(p, lineno, kcol, "unknown key '%.*s' in [rescue]", kl, k);
	}
}

static void watchdog_key(struct config_parser *p, int lineno, int kcol, const char *k,
			 int kl, int vcol, const char *v, int vl)
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
			report(p, lineno, vcol, "bad duration '%.*s' (use e.g. 500ms, 30s, 5m)",
			       vl, v);
			return;
		}
		if (d > 0 && d < 100) {
			report(p, lineno, vcol, "interval must be 0 (a quarter of the "
			       "timeout) or at least 100ms");
			return;
		}
		w->interval_ms = (uint32_t)d;
		p->wd_file = p->file;
		p->wd_line = lineno;
		p->wd_col = vcol;
	} else {
		report(p, lineno, kcol, "unknown key '%.*s' in [watchdog]", kl, k);
	}
}

static void esc_key(struct config_parser *p, int lineno, int kcol, const char *k,
		    int kl, int vcol, const char *v, int vl)
{
	if (p->in_esc == ESC_KEEPALIVE)
		keepalive_key(p, lineno, kcol, k, kl, vcol, v, vl);
	else if (p->in_esc == ESC_RESCUE)
		rescue_key(p, lineno, kcol, k, kl, vcol, v, vl);
	else
		watchdog_key(p, lineno, kcol, k, kl, vcol, v, vl);
}
#undef KEY

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

/* The checks that need a whole section (it may continue in conf.d). */
static void esc_end(struct config_parser *p)
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

void config_feed_line(struct config_parser *p, const char *file, int lineno,
		      const char *line, int len)
{
	p->file = file;
	int i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (i >= len || line[i] == '#' || line[i] == ';')
		return;
	for (int k = i; k < len; k++)
		if (line[k] == '\0' || ((unsigned char)line[k] < 0x20 && line[k] != '\t')) {
			report(p, lineno, k + 1, "control character in line");
			return;
		}
	if (line[i] == '[') {
		section(p, lineno, line + i, len - i, i + 1);
		return;
	}
	/* key = value */
	int ks = i;
	while (i < len && ((line[i] >= 'a' && line[i] <= 'z') || line[i] == '_' ||
			   (line[i] >= '0' && line[i] <= '9')))
		i++;
	int kl = i - ks;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (kl == 0 || i >= len || line[i] != '=') {
		report(p, lineno, kl ? i + 1 : ks + 1,
		       kl ? "expected '=' after key" : "expected 'key = value' or [section]");
		return;
	}
	i++;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	int vs = i;
	/* an inline comment starts at '#' after whitespace, outside quotes */
	char q = 0;
	int ve = len;
	for (int k = vs; k < len; k++) {
		char c = line[k];
		if (q) {
			if (c == '\\' && q == '"' && k + 1 < len)
				k++;
			else if (c == q)
				q = 0;
		} else if (c == '\'' || c == '"') {
			q = c;
		} else if (c == '\\' && k + 1 < len) {
			k++;
		} else if (c == '#' && (line[k - 1] == ' ' || line[k - 1] == '\t')) {
			ve = k;
			break;
		}
	}
	while (ve > vs && (line[ve - 1] == ' ' || line[ve - 1] == '\t'))
		ve--;
	if (!p->in_section) {
		report(p, lineno, ks + 1, "key outside of any section; start with [service NAME]");
		return;
	}
	if (p->skip_section)
		return;
	if (ve == vs) {
		report(p, lineno, vs + 1, "missing value for '%.*s'", kl, line + ks);
		return;
	}
	if (p->cur)
		unit_key(p, lineno, ks + 1, line + ks, kl, vs + 1, line + vs, ve - vs);
	else if (p->in_memory)
		memory_key(p, lineno, ks + 1, line + ks, kl, vs + 1, line + vs, ve - vs);
	else if (p->in_esc)
		esc_key(p, lineno, ks + 1, line + ks, kl, vs + 1, line + vs, ve - vs);
	else
		global_key(p, lineno, ks + 1, line + ks, kl, vs + 1, line + vs, ve - vs);
}

/* Find an executable; out gets an absolute path. 0 found, -1 not. */
/* A regular file we may execute (access(X_OK) alone says yes to dirs). */
static int is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int config_resolve_exec(const char *argv0, char *out, int cap)
{
	if (!argv0[0]) {
		out[0] = '\0';
		return -1;
	}
	if (strchr(argv0, '/')) {
		if ((int)strlen(argv0) >= cap)
			return -1;
		strcpy(out, argv0);
		return is_executable(out) ? 0 : -1;
	}
	const char *d = DEFAULT_PATH;
	while (*d) {
		const char *e = strchr(d, ':');
		int dl = e ? (int)(e - d) : (int)strlen(d);
		if (fmt(out, (size_t)cap, "%.*s/%s", dl, d, argv0) < cap && is_executable(out))
			return 0;
		d += dl + (e ? 1 : 0);
	}
	out[0] = '\0';
	return -1;
}

int config_end(struct config_parser *p)
{
	struct config *cfg = p->cfg;
	char msg[192];
	expand_ttys(p);         /* the last section ends here */
	for (int i = p->first; i < cfg->nunits; i++) {
		struct unit_conf *u = &cfg->unit[i];
		if (!p->seen_exec[i]) {
			fmt(msg, sizeof msg, "'%s' has no exec", u->name);
			p->errors++;
			report_at(p, def_file[i], def_line[i], msg);
			continue;
		}
		const char *argv0 = conf_exec(cfg, u);
		char path[PATH_MAX_LEN];
		if ((int)strlen(argv0) >= PATH_MAX_LEN) {
			p->errors++;
			if (p->report)
				p->report(p->ctx, p->exec_file[i], p->exec_line[i],
					  p->exec_col[i], "executable path too long");
			continue;
		}
		if (argv0[0] != '/' && strchr(argv0, '/')) {
			p->errors++;
			if (p->report)
				p->report(p->ctx, p->exec_file[i], p->exec_line[i],
					  p->exec_col[i],
					  "executable path must be absolute or a bare name");
			continue;
		}
		u->not_installed = 0;
		if (config_resolve_exec(argv0, path, PATH_MAX_LEN) < 0 && u->optional) {
			/* not counted: an optional program may well be absent */
			u->not_installed = 1;
			note(p, p->exec_file[i], p->exec_line[i], p->exec_col[i],
			     "%s: %s is not installed: not started", u->name, argv0);
		} else if (config_resolve_exec(argv0, path, PATH_MAX_LEN) < 0) {
			fmt(msg, sizeof msg, "executable not found: %s", argv0);
			p->missing++;
			if (p->report)
				p->report(p->ctx, p->exec_file[i], p->exec_line[i],
					  p->exec_col[i], msg);
		}
		if (u->user[0] && !userdb_user_exists(u->user)) {
			fmt(msg, sizeof msg, "'%s': unknown user '%s'", u->name, u->user);
			p->missing++;
			report_at(p, def_file[i], def_line[i], msg);
		}
		if (u->group[0] && !userdb_group_exists(u->group)) {
			fmt(msg, sizeof msg, "'%s': unknown group '%s'", u->name, u->group);
			p->missing++;
			report_at(p, def_file[i], def_line[i], msg);
		}
		if (u->protect && u->oom_score_adj == OOM_ADJ_UNSET)
			u->oom_score_adj = -1000;
		if (u->memory_min != SIZE_UNSET && !u->protect) {
			fmt(msg, sizeof msg, "'%s': memory_min needs protect = yes (an "
			    "unprotected service shares the limit of all the others)", u->name);
			p->errors++;
			report_at(p, def_file[i], def_line[i], msg);
		}
		/* the access services never wait long between attempts: a
		 * fixed sshd_config must bring SSH back in seconds */
		if (!bit_get(p->restart_max_set, i))
			u->restart_max_ms = u->protect && cfg->restart_max_ms > PROTECTED_RESTART_MAX_MS
					    ? PROTECTED_RESTART_MAX_MS : cfg->restart_max_ms;
		if (!bit_get(p->stable_set, i))
			u->stable_ms = cfg->stable_ms;
		if (!bit_get(p->timeout_set, i))
			u->timeout_ms = u->kind == UNIT_BOOT ? 120000 : 10000;
	}
	esc_end(p);
	return p->errors + p->missing;
}

int config_parse_buffer(struct config_parser *p, const char *file,
			const char *buf, int len)
{
	int lineno = 0, s = 0;
	while (s < len) {
		int e = s;
		while (e < len && buf[e] != '\n')
			e++;
		lineno++;
		p->file = file;
		if (e - s >= LINE_MAX_LEN)
			report(p, lineno, LINE_MAX_LEN, "line too long (at most %d bytes)",
			       LINE_MAX_LEN - 1);
		else
			config_feed_line(p, file, lineno, buf + s, e - s);
		s = e + 1;
	}
	return p->errors;
}

/* Stream one file through the parser with a one-line buffer.  Only a
 * regular file, opened without blocking, and at most CONFIG_FILE_MAX bytes
 * of it: a FIFO would hang PID 1 in open(), a link to /dev/zero in read(),
 * before any service (SSH included) has started. */
static int feed_file(struct config_parser *p, const char *path)
{
	static char chunk[1024];
	static char line[LINE_MAX_LEN];
	const char *kind;
	int fd = scan_open_regular(path, 0, &kind);
	if (fd < 0) {
		p->file = path;
		if (kind)
			report(p, 0, 0, "not a regular file but %s: not read", kind);
		else
			report(p, 0, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	int ll = 0, lineno = 1, overflow = 0;
	uint64_t total = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0 && (total += (uint64_t)n) > CONFIG_FILE_MAX) {
			p->file = path;
			report(p, lineno, 0, "file too large (at most %d bytes): not read further",
			       CONFIG_FILE_MAX);
			break;
		}
		if (n < 0) {
			p->file = path;
			report(p, lineno, 0, "read error: %s", strerror(errno));
			break;
		}
		if (n == 0) {
			if (overflow) {
				p->file = path;
				report(p, lineno, LINE_MAX_LEN, "line too long (at most %d bytes)",
				       LINE_MAX_LEN - 1);
			} else if (ll) {
				config_feed_line(p, path, lineno, line, ll);
			}
			break;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (chunk[i] == '\n') {
				if (overflow) {
					p->file = path;
					report(p, lineno, LINE_MAX_LEN,
					       "line too long (at most %d bytes)", LINE_MAX_LEN - 1);
				} else {
					config_feed_line(p, path, lineno, line, ll);
				}
				ll = 0;
				overflow = 0;
				lineno++;
			} else if (ll < LINE_MAX_LEN - 1) {
				line[ll++] = chunk[i];
			} else {
				overflow = 1;
			}
		}
	}
	close(fd);
	return 0;
}

/* conf.d names, kept so that file:line stays valid after config_end. */
static char confd_names[MAX_CONF_FILES][PATH_MAX_LEN + 32];

/* Insertion sort: at most MAX_CONF_FILES names. */
static void sort_names(char (*names)[PATH_MAX_LEN + 32], int n)
{
	static char tmp[PATH_MAX_LEN + 32];
	for (int i = 1; i < n; i++)
		for (int k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
			memcpy(tmp, names[k], sizeof tmp);
			memcpy(names[k], names[k - 1], sizeof tmp);
			memcpy(names[k - 1], tmp, sizeof tmp);
		}
}

struct confd_scan {
	struct config_parser *p;
	const char *dir;
	int nfiles;
};

/* One name in conf.d: keep *.conf (not dotfiles), at most MAX_CONF_FILES. */
static int confd_name(void *ctx, const char *name)
{
	struct confd_scan *cs = ctx;
	size_t nl = strlen(name);
	if (name[0] == '.' || nl < 6 || strcmp(name + nl - 5, ".conf") != 0)
		return 0;
	if (cs->nfiles >= MAX_CONF_FILES) {
		cs->p->file = cs->dir;
		report(cs->p, 0, 0, "too many files (at most %d)", MAX_CONF_FILES);
		return 1;
	}
	if (fmt(confd_names[cs->nfiles], sizeof confd_names[0], "%s/%s", cs->dir, name) <
	    (int)sizeof confd_names[0]) {
		cs->nfiles++;
	} else {
		cs->p->file = cs->dir;
		report(cs->p, 0, 0, "file name too long, skipped: %s", name);
	}
	return 0;
}

int config_load(struct config *cfg, const char *main_path,
		config_report_fn fn, void *ctx, int *missing_out)
{
	static struct config_parser p;
	static char dir[PATH_MAX_LEN + 8];
	config_begin(&p, cfg, fn, ctx);
	feed_file(&p, main_path);

	/* conf.d beside the main file; musl's opendir allocates, so getdents */
	const char *slash = strrchr(main_path, '/');
	int dl = slash ? (int)(slash - main_path) : 1;
	fmt(dir, sizeof dir, "%.*s/conf.d", dl, slash ? main_path : ".");
	static char dbuf[1024];
	struct confd_scan cs = { &p, dir, 0 };
	if (scan_dir(dir, dbuf, sizeof dbuf, confd_name, &cs) >= 0) {
		sort_names(confd_names, cs.nfiles);
		for (int i = 0; i < cs.nfiles; i++)
			feed_file(&p, confd_names[i]);
	}
	config_end(&p);
	if (missing_out)
		*missing_out = p.missing;
	return p.errors + p.missing;
}

/* Does a word of a command line name prog (or, with prog NULL, sshd or
 * dropbear)?  A word is split further at shell punctuation, so that a
 * wrapper such as sh -c '... exec /usr/sbin/dropbear ...' counts too;
 * with must_exist, only if that program is there. */
static int word_names(const char *word, const char *prog, int must_exist)
{
	char tok[PATH_MAX_LEN], path[PATH_MAX_LEN];
	const char *w = word;
	while (*w) {
		while (*w && strchr(" \t;|&(){}'\"`=", *w))
			w++;
		int n = 0;
		while (w[n] && !strchr(" \t;|&(){}'\"`=", w[n]))
			n++;
		if (n > 0 && n < (int)sizeof tok) {
			memcpy(tok, w, (size_t)n);
			tok[n] = '\0';
			const char *base = strrchr(tok, '/');
			base = base ? base + 1 : tok;
			int match = prog ? !strcmp(base, prog)
					 : !strcmp(base, "sshd") || !strcmp(base, "dropbear");
			if (match && (!must_exist ||
				      config_resolve_exec(tok, path, sizeof path) == 0))
				return 1;
		}
		w += n;
	}
	return 0;
}

static int names_access(const char *word)
{
	return word_names(word, NULL, 1);
}

int config_unit_runs(const struct config *cfg, const struct unit_conf *u,
		     const char *prog)
{
	const char *a = conf_exec(cfg, u);
	for (int k = 0; k < u->argc; k++, a = conf_next_str(a))
		if (word_names(a, prog, 0))
			return 1;
	return 0;
}

int config_access_ok(const struct config *cfg)
{
	for (int i = 0; i < cfg->nunits; i++) {
		const struct unit_conf *u = &cfg->unit[i];
		if (u->kind != UNIT_SERVICE)
			continue;
		const char *a = conf_exec(cfg, u);
		for (int k = 0; k < u->argc; k++, a = conf_next_str(a))
			if (names_access(a))
				return 1;
	}
	return 0;
}

void config_continue(struct config_parser *p, struct config *cfg,
		     config_report_fn fn, void *ctx)
{
	memset(p, 0, sizeof *p);
	p->cfg = cfg;
	p->report = fn;
	p->ctx = ctx;
	p->first = cfg->nunits;
	p->skip_duplicates = 1;
}

/* Run when the configuration is broken: remote access first.  The network
 * boot tasks are best effort; one whose program is missing is skipped. */
const char fallback_config[] =
	/* the memory guard with its defaults: a broken config must not also
	 * cost the protection (skipped when added to a good config) */
	"[memory]\n"
	"[service rescue-ssh]\n"
	/* the rescue host key if there is one, so its fingerprint is the known one */
	"exec = /bin/sh -c 'k=/etc/lifeline/rescue/dropbear_ed25519_host_key; "
	"o=\"-F -E -s -j -k -p 2222\"; [ -s \"$k\" ] && exec /usr/sbin/dropbear $o -r \"$k\"; "
	"exec /usr/sbin/dropbear $o -R'\n"
	"early = yes\n"
	"protect = yes\n"
	"[boot lo]\n"
	"exec = /sbin/ip link set lo up\n"
	"timeout = 10s\n"
	"[boot network]\n"
	"exec = /bin/sh -c '[ -x /sbin/ifup ] || exit 0; exec /sbin/ifup -a'\n"
	"timeout = 60s\n"
	"[boot run-sshd]\n"
	"exec = /bin/mkdir -p -m 0755 /run/sshd\n"
	"timeout = 10s\n"
	"[service sshd]\n"
	"exec = /usr/sbin/sshd -D -e\n"
	"protect = yes\n";
