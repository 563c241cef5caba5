/* See configure.h.  The config file's way into PID 1: load it at boot
 * (or run the built-in fallback set), check it, reload it, and configure
 * the modules that read it (the memory guard's layers, syslog, the rescue
 * escalation).  Problems go to the log, and to the control reply or
 * stderr of whoever asked. */
#define _GNU_SOURCE
#include "configure.h"
#include "cgroup.h"
#include "clock.h"
#include "fmt.h"
#include "guard.h"
#include "log.h"
#include "meminfo.h"
#include "panic.h"
#include "peerlink.h"
#include "procev.h"
#include "rescue.h"
#include "service.h"
#include "status.h"
#include "unittab.h"
#include "watchdog.h"

#include <errno.h>
#include <string.h>

static const char *config_path;
static int pid1, in_container, config_ok = CONFIG_GOOD;
static struct config staging;   /* a reload's or a check's new config */

void configure_init(const char *path, int is_pid1, int container)
{
	config_path = path;
	pid1 = is_pid1;
	in_container = container;
}

const char *configure_path(void)
{
	return config_path;
}

int configure_state(void)
{
	return config_ok;
}

/* Where config problems go: the log always, and a control reply if any. */
struct report_ctx {
	struct outbuf *o;
	int to_stderr;
	int dropped;            /* problems that did not fit in o */
};

/* Room kept in a reply for its first line and the "more problems" note. */
#define REPLY_RESERVE 256

/* config.h's problem callback: one problem to the log, and to stderr or
 * the control reply of whoever asked. */
static void tell(void *vctx, const char *file, int line, int col, const char *msg)
{
	struct report_ctx *c = vctx;
	if (c && c->to_stderr) {
		fmt_write(2, "%s:%d:%d: %s\n", file, line, col, msg);
		return;
	}
	log_msg(!strncmp(msg, "warning:", 8) ? LOG_WARN : !strncmp(msg, "note:", 5) ? LOG_NOTICE
		: LOG_ERR, "%s:%d:%d: %s", file, line, col, msg);
	if (c && c->o) {
		char l[LOG_LINE_MAX];
		int n = fmt(l, sizeof l, "%s:%d:%d: %s\n", file, line, col, msg);
		if (c->o->len + (size_t)n + REPLY_RESERVE < c->o->cap)
			ob_puts(c->o, l);
		else
			c->dropped++;   /* whole lines only; the log has them all */
	}
}

static void note_dropped(struct report_ctx *c)
{
	if (c->o && c->dropped)
		ob_printf(c->o, "(%d more problem(s) not shown: see lifelinectl log)\n",
			  c->dropped);
}

static int count_kind(const struct config *cfg, int kind)
{
	int n = 0;
	for (int i = 0; i < cfg->nunits; i++)
		n += cfg->unit[i].kind == kind;
	return n;
}

/* Whole-file rules on top of the parser's: a config that would run no
 * service is an error (a truncated file, say); one without a startable
 * sshd or dropbear is worth a warning.  Returns the errors. */
static int policy(const struct config *cfg, const char *path, struct report_ctx *c)
{
	if (count_kind(cfg, UNIT_SERVICE) == 0) {
		tell(c, path, 1, 1, "no [service] sections: nothing would be supervised");
		return 1;
	}
	if (!config_access_ok(cfg))
		tell(c, path, 1, 1, "warning: no service with an existing program runs "
		       "sshd or dropbear; remote access depends on this host's console");
	return 0;
}

int configure_check_file(const char *path)
{
	struct report_ctx c = { NULL, 1, 0 };
	int missing = 0;
	int n = config_load(&staging, path, tell, &c, &missing);
	n += policy(&staging, path, &c);
	if (n) {
		fmt_write(2, "%s: %d problem%s\n", path, n, n == 1 ? "" : "s");
		return 1;
	}
	fmt_write(1, "%s: ok (%d services, %d boot tasks, %d shutdown tasks)\n", path,
	    count_kind(&staging, UNIT_SERVICE), count_kind(&staging, UNIT_BOOT),
	    count_kind(&staging, UNIT_SHUTDOWN));
	return 0;
}

static void parse_fallback(struct config *cfg)
{
	struct report_ctx c = { NULL, 0, 0 };
	struct config_parser p;
	config_begin(&p, cfg, tell, &c);
	config_parse_buffer(&p, "(built-in fallback)", fallback_config,
			    (int)strlen(fallback_config));
	config_end(&p);
}

/* Load the config file into cfg, for boot and reload alike.  Returns the
 * errors that refuse it.  Programs or users not found do not: /usr may
 * come with a boot task, and those services retry until they appear.  But
 * if then no sshd or dropbear can start, the fallback set's services are
 * added (*added says how many): never without a way in. */
static int prepare(struct config *cfg, struct report_ctx *c, int *added)
{
	int missing = 0;
	int n = config_load(cfg, config_path, tell, c, &missing);
	int bad = n - missing + policy(cfg, config_path, c);
	*added = 0;
	if (bad)
		return bad;
	if (missing)
		log_msg(LOG_WARN, "%s: %d program(s) or user(s) missing; running it anyway",
			config_path, missing);
	if (missing && !config_access_ok(cfg)) {
		struct config_parser p;
		config_continue(&p, cfg, tell, c);
		config_parse_buffer(&p, "(built-in fallback)", fallback_config,
				    (int)strlen(fallback_config));
		config_end(&p);
		*added = cfg->nunits - p.first;
		log_msg(LOG_ERR, "no sshd or dropbear can start: added %d service(s) of the "
			"built-in fallback set", *added);
	}
	return 0;
}

static void load_boot_config(void)
{
	struct report_ctx c = { NULL, 0, 0 };
	int added;
	int bad = prepare(&active_config, &c, &added);
	if (bad) {
		log_msg(LOG_ERR, "%s: %d error(s); running the built-in fallback set "
			"(rescue dropbear on port 2222, sshd)", config_path, bad);
		config_ok = CONFIG_BROKEN;
		parse_fallback(&active_config);
		return;
	}
	config_ok = added ? CONFIG_ACCESS_ADDED : CONFIG_GOOD;
}

/* The memory guard's layers (cgroup.h, guard.h, procev.h), from the
 * active config; at boot they are set up, after a reload updated. */
static void memory_layers(int boot)
{
	uint64_t now = now_ms();
	if (boot) {
		/* a container's cgroups and processes are its host's business */
		if (pid1 && !in_container) {
			cg_init(&active_config);
			procev_open();
		}
	} else {
		/* also when the layer is off: the reload may turn it on */
		struct meminfo m;
		if (meminfo_read("/proc", &m) == 0)
			cg_reconfigure(&active_config, m.total_kb * 1024);
	}
	guard_configure(&active_config, now);
}

/* Where log lines are also sent: [lifeline] syslog, by default /dev/log
 * on the machine (not in a namespace, whose /dev/log is the host's). */
static void syslog_apply(void)
{
	const char *s = active_config.syslog;
	if (!strcmp(s, "no") || (!s[0] && !(pid1 && !in_container)))
		log_syslog_close();
	else if (log_syslog_open(s[0] ? s : "/dev/log") < 0)
		log_msg(LOG_WARN, "syslog: no socket: %s", strerror(errno));
}

/* Rescue escalation (peerlink.h, rescue.h, watchdog.h), from the active
 * config, at boot and after a reload. */
void configure_escalation(void)
{
	uint64_t now = now_ms();
	rescue_configure(&active_config, pid1 && !in_container, now);
	watchdog_configure(&active_config, now);
	peerlink_configure(&active_config, now);
}

/* Errors refuse a reload and keep the running set; programs or users not
 * found are reported but, as at boot, do not block it. */
void configure_reload(struct outbuf *o)
{
	struct report_ctx c = { o, 0, 0 };
	int added;
	log_msg(LOG_NOTICE, "reloading %s", config_path);
	int bad = prepare(&staging, &c, &added);
	note_dropped(&c);
	if (bad) {
		log_msg(LOG_ERR, "reload refused: %d error(s); keeping the running set", bad);
		if (o) {
			/* the answer's first line must say it failed */
			char head[160];
			fmt(head, sizeof head,
			    "error: %s has %d error(s); keeping the running set\n",
			    config_path, bad);
			ob_prepend(o, head);
		}
		return;
	}
	config_ok = added ? CONFIG_ACCESS_ADDED : CONFIG_GOOD;
	service_reload(&staging);
	memory_layers(0);
	configure_escalation();
	syslog_apply();
	if (pid1 && !in_container)
		panic_reboot_apply(&active_config, "/proc/sys/kernel");
	if (o) {
		if (added)
			ob_printf(o, "no sshd or dropbear can start: added %d service(s) of the "
				  "built-in fallback set\n", added);
		ob_prepend(o, "ok\n");
	}
}

void configure_boot(void)
{
	load_boot_config();
	syslog_apply();
	if (pid1 && !in_container)
		panic_reboot_apply(&active_config, "/proc/sys/kernel");
	memory_layers(1);
}

void configure_check_reply(struct outbuf *o)
{
	struct report_ctx c = { o, 0, 0 };
	char head[160];
	int missing = 0;
	int n = config_load(&staging, config_path, tell, &c, &missing);
	n += policy(&staging, config_path, &c);
	note_dropped(&c);
	if (n)
		fmt(head, sizeof head, "error: %s has %d problem(s)\n", config_path, n);
	else
		fmt(head, sizeof head, "ok\n%s: ok\n", config_path);
	ob_prepend(o, head);
}
