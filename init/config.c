/* See config.h.  The parser: config_begin, config_feed_line (each line
 * read by lib/ini.c, then handed by the parser's section to that
 * section's file), config_end; loading lifeline.conf and conf.d/
 * (config_load); the [lifeline] section; the built-in fallback.  The top
 * of the config module (config_int.h).  The grammar, in short (lib/ini.h,
 * lifeline.conf(5)):
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
#include "config_int.h"
#include "fmt.h"
#include "ini.h"
#include "scan.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

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

static void global_key(CONF_KEY_ARGS)
{
	struct config *c = p->cfg;
	if (KEY("stop_timeout"))
		conf_set_duration(p, lineno, vcol, v, vl, &c->stop_timeout_ms, 0);
	else if (KEY("restart_delay_max"))
		conf_set_duration(p, lineno, vcol, v, vl, &c->restart_max_ms, 100);
	else if (KEY("stable_after"))
		conf_set_duration(p, lineno, vcol, v, vl, &c->stable_ms, STABLE_MIN_MS);
	else if (KEY("spawn_retry"))
		conf_set_duration(p, lineno, vcol, v, vl, &c->spawn_retry_ms, 10);
	else if (KEY("panic_reboot"))
		conf_set_duration(p, lineno, vcol, v, vl, &c->panic_reboot_ms, 0);
	else if (KEY("syslog") && ((vl == 2 && !memcmp(v, "no", 2)) ||
				   (v[0] == '/' && vl < (int)sizeof c->syslog)))
		fmt(c->syslog, sizeof c->syslog, "%.*s", vl, v);
	else if (KEY("syslog"))
		conf_report(p, lineno, vcol, "syslog must be no or the absolute path of a socket "
			    "(at most %d bytes)", (int)sizeof c->syslog - 1);
	else
		conf_report(p, lineno, kcol, "unknown key '%.*s' in [lifeline]", kl, k);
}

/* ---- sections ---- */

/* The sections without a name, one of each. */
static const struct { const char *name; uint8_t section; } plain_sections[] = {
	{ "lifeline", CONF_SEC_LIFELINE }, { "memory", CONF_SEC_MEMORY },
	{ "keepalive", CONF_SEC_KEEPALIVE }, { "rescue", CONF_SEC_RESCUE },
	{ "watchdog", CONF_SEC_WATCHDOG },
};

static const struct { const char *name; uint8_t kind; } unit_sections[] = {
	{ "service", UNIT_SERVICE }, { "boot", UNIT_BOOT }, { "shutdown", UNIT_SHUTDOWN },
};

/* [lifeline], [memory], [keepalive], [rescue], [watchdog] */
static void plain_section(struct config_parser *p, int lineno, const struct ini_line *h,
			  int sec)
{
	struct config *cfg = p->cfg;
	if (h->name_len) {
		conf_report(p, lineno, h->name_col, "[%.*s] takes no name", h->type_len, h->type);
		return;
	}
	/* config_continue: the config's own sections rule, [lifeline] aside */
	if (p->skip_duplicates && sec != CONF_SEC_LIFELINE)
		return;
	p->section = (uint8_t)sec;
	if (sec == CONF_SEC_MEMORY) {
		cfg->mem.present = 1;
	} else if (sec == CONF_SEC_KEEPALIVE) {
		cfg->ka.present = 1;
		if (!p->ka_file) {
			p->ka_file = p->file;
			p->ka_line = lineno;
		}
	} else if (sec == CONF_SEC_RESCUE) {
		cfg->rescue.present = 1;
	} else if (sec == CONF_SEC_WATCHDOG) {
		cfg->wd.present = 1;
	}
}

static void section(struct config_parser *p, int lineno, const struct ini_line *h)
{
	for (unsigned i = 0; i < sizeof plain_sections / sizeof plain_sections[0]; i++)
		if (ini_is(h->type, (size_t)h->type_len, plain_sections[i].name)) {
			plain_section(p, lineno, h, plain_sections[i].section);
			return;
		}
	for (unsigned i = 0; i < sizeof unit_sections / sizeof unit_sections[0]; i++)
		if (ini_is(h->type, (size_t)h->type_len, unit_sections[i].name)) {
			conf_unit_section(p, lineno, unit_sections[i].kind, h);
			return;
		}
	conf_report(p, lineno, h->type_col, "unknown section '%.*s' (expected lifeline, "
		    "memory, keepalive, rescue, watchdog, service, boot or shutdown)",
		    h->type_len, h->type);
}

/* Each section's key handler, by the parser's section */
static void (*const key_fn[])(CONF_KEY_ARGS) = {
	[CONF_SEC_LIFELINE] = global_key, [CONF_SEC_MEMORY] = conf_memory_key,
	[CONF_SEC_KEEPALIVE] = conf_keepalive_key, [CONF_SEC_RESCUE] = conf_rescue_key,
	[CONF_SEC_WATCHDOG] = conf_watchdog_key, [CONF_SEC_UNIT] = conf_unit_key,
};

static void key(struct config_parser *p, int lineno, const struct ini_line *l)
{
	const char *k = l->key, *v = l->value;
	int kl = l->key_len, vl = l->value_len, kcol = l->key_col, vcol = l->value_col;
	if (p->section == CONF_SEC_NONE) {
		conf_report(p, lineno, kcol,
			    "key outside of any section; start with [service NAME]");
		return;
	}
	if (p->section == CONF_SEC_SKIP)
		return;
	if (vl == 0) {
		conf_report(p, lineno, vcol, "missing value for '%.*s'", kl, k);
		return;
	}
	key_fn[p->section](p, lineno, kcol, k, kl, vcol, v, vl);
}

void config_feed_line(struct config_parser *p, const char *file, int lineno,
		      const char *line, int len)
{
	struct ini_line l;
	p->file = file;
	ini_parse_line(line, len, &l);
	if (l.kind == INI_SECTION || (l.kind == INI_ERROR && l.header)) {
		conf_ttys_end(p);       /* the section before this one ends here */
		p->section = CONF_SEC_SKIP;     /* until the header proves good */
		p->cur = NULL;
	}
	if (l.kind == INI_ERROR)
		conf_report(p, lineno, l.error_col, "%s", l.error);
	else if (l.kind == INI_SECTION)
		section(p, lineno, &l);
	else if (l.kind == INI_KEY)
		key(p, lineno, &l);
}

int config_end(struct config_parser *p)
{
	conf_ttys_end(p);       /* the last section ends here */
	conf_units_end(p);
	conf_escalation_end(p);
	return p->errors + p->missing;
}

/* A line read whole: to the parser, or reported if it was too long. */
static void line_done(struct config_parser *p, const char *file, int lineno,
		      const char *line, int len, int too_long)
{
	if (too_long) {
		p->file = file;
		conf_report(p, lineno, LINE_MAX_LEN, "line too long (at most %d bytes)",
			    LINE_MAX_LEN - 1);
	} else {
		config_feed_line(p, file, lineno, line, len);
	}
}

int config_parse_buffer(struct config_parser *p, const char *file,
			const char *buf, int len)
{
	const char *line;
	size_t pos = 0, n;
	int lineno = 0;
	while ((line = ini_next_line(buf, len > 0 ? (size_t)len : 0, &pos, &n)))
		line_done(p, file, ++lineno, line, (int)n, n >= LINE_MAX_LEN);
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
			conf_report(p, 0, 0, "not a regular file but %s: not read", kind);
		else
			conf_report(p, 0, 0, "cannot open: %s", strerror(errno));
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
			conf_report(p, lineno, 0, "file too large (at most %d bytes): not read "
				    "further", CONFIG_FILE_MAX);
			break;
		}
		if (n < 0) {
			p->file = path;
			conf_report(p, lineno, 0, "read error: %s", strerror(errno));
			break;
		}
		if (n == 0) {
			if (overflow || ll)
				line_done(p, path, lineno, line, ll, overflow);
			break;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (chunk[i] == '\n') {
				line_done(p, path, lineno, line, ll, overflow);
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
		conf_report(cs->p, 0, 0, "too many files (at most %d)", MAX_CONF_FILES);
		return 1;
	}
	if (fmt(confd_names[cs->nfiles], sizeof confd_names[0], "%s/%s", cs->dir, name) <
	    (int)sizeof confd_names[0]) {
		cs->nfiles++;
	} else {
		cs->p->file = cs->dir;
		conf_report(cs->p, 0, 0, "file name too long, skipped: %s", name);
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
