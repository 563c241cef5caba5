/* lifeline: PID 1.  Start-up, the event loop's dispatch (the loop itself
 * is loop.c), and the control commands.
 *
 * Policy on failure (docs/design.md, "Never die"): nothing here exits once PID 1 is
 * running.  Start-up steps that fail are logged and skipped; the control
 * socket is retried on a timer. */
#define _GNU_SOURCE
#include "clock.h"
#include "fmt.h"
#include "config.h"
#include "cgroup.h"
#include "control.h"
#include "guard.h"
#include "initctl.h"
#include "panic.h"
#include "log.h"
#include "loop.h"
#include "memlock.h"
#include "mounts.h"
#include "oomwatch.h"
#include "peerlink.h"
#include "procev.h"
#include "protect.h"
#include "rescue.h"
#include "service.h"
#include "shutdown.h"
#include "status.h"
#include "watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_CONFIG "/etc/lifeline/lifeline.conf"
#define DEFAULT_SOCKET "/run/lifeline/control"
#define SOCKET_RETRY_MS 5000

static int sigfd = -1, timerfd = -1;
static void memory_layers_configure(int boot);
static void escalation_configure(void);
static void syslog_apply(void);
static const char *config_path = DEFAULT_CONFIG;
static const char *socket_path = DEFAULT_SOCKET;
static int pid1, in_container, config_ok = CONFIG_GOOD;
static int shutdown_cmd = -1;
static int boot_done;           /* rescue_boot_done() was called */
static uint64_t start_ms, socket_retry_at, armed_at = ~0ULL;
static struct config staging;

/* printf to a file descriptor, for the few words lifeline says outside
 * the log (--check-config, --version, usage). */
static void say(int fd, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *f, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, f);
	int n = vfmt(buf, sizeof buf, f, ap);
	va_end(ap);
	if (n >= (int)sizeof buf)
		n = sizeof buf - 1;
	if (n > 0)
		(void)!write(fd, buf, (size_t)n);
}

/* Where config problems go: the log always, and a control reply if any. */
struct report_ctx {
	struct outbuf *o;
	int to_stderr;
	int dropped;            /* problems that did not fit in o */
};

/* Room kept in a reply for its first line and the "more problems" note. */
#define REPLY_RESERVE 256

static void report(void *vctx, const char *file, int line, int col, const char *msg)
{
	struct report_ctx *c = vctx;
	if (c && c->to_stderr) {
		say(2, "%s:%d:%d: %s\n", file, line, col, msg);
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
		report(c, path, 1, 1, "no [service] sections: nothing would be supervised");
		return 1;
	}
	if (!config_access_ok(cfg))
		report(c, path, 1, 1, "warning: no service with an existing program runs "
		       "sshd or dropbear; remote access depends on this host's console");
	return 0;
}

static int check_config(const char *path)
{
	struct report_ctx c = { NULL, 1, 0 };
	int missing = 0;
	int n = config_load(&staging, path, report, &c, &missing);
	n += policy(&staging, path, &c);
	if (n) {
		say(2, "%s: %d problem%s\n", path, n, n == 1 ? "" : "s");
		return 1;
	}
	say(1, "%s: ok (%d services, %d boot tasks, %d shutdown tasks)\n", path,
	    count_kind(&staging, UNIT_SERVICE), count_kind(&staging, UNIT_BOOT),
	    count_kind(&staging, UNIT_SHUTDOWN));
	return 0;
}

static void parse_fallback(struct config *cfg)
{
	struct report_ctx c = { NULL, 0, 0 };
	struct config_parser p;
	config_begin(&p, cfg, report, &c);
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
	int n = config_load(cfg, config_path, report, c, &missing);
	int bad = n - missing + policy(cfg, config_path, c);
	*added = 0;
	if (bad)
		return bad;
	if (missing)
		log_msg(LOG_WARN, "%s: %d program(s) or user(s) missing; running it anyway",
			config_path, missing);
	if (missing && !config_access_ok(cfg)) {
		struct config_parser p;
		config_continue(&p, cfg, report, c);
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

/* Errors refuse a reload and keep the running set; programs or users not
 * found are reported but, as at boot, do not block it. */
static void reload(struct outbuf *o)
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
	units_reload(&staging);
	memory_layers_configure(0);
	escalation_configure();
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

/* The memory guard's layers (cgroup.h, guard.h, procev.h), from the
 * active config; at boot they are set up, after a reload updated. */
static void memory_layers_configure(int boot)
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
static void escalation_configure(void)
{
	uint64_t now = now_ms();
	rescue_configure(&active_config, pid1 && !in_container, now);
	watchdog_configure(&active_config, now);
	peerlink_configure(&active_config, now);
}

static void begin_shutdown(int cmd)
{
	if (shutdown_cmd >= 0)
		return;
	shutdown_cmd = cmd;
	log_msg(LOG_NOTICE, "shutdown requested: %s", shutdown_word(cmd));
	units_shutdown();
}

static void fill_stats(struct self_stats *s)
{
	self_stats_read(s);
	s->uptime_ms = now_ms() - start_ms;
	s->oom_kills = oomwatch_count();
	s->config_ok = config_ok;
	s->config_path = config_path;
	s->pid1 = pid1;
}

static int more_log(struct outbuf *o, uint64_t *cursor)
{
	o->len = log_ring_read(cursor, o->buf, o->cap);
	return o->len > 0;
}

/* Status rows are rendered as the socket drains: one connection's buffer
 * need not hold the whole table.  A row is far shorter than ROW_ROOM. */
#define ROW_ROOM 512
static int more_status(struct outbuf *o, uint64_t *cursor, int json)
{
	uint64_t now = now_ms();
	uint32_t i = (uint32_t)*cursor, emitted = (uint32_t)(*cursor >> 32);
	for (; i < MAX_UNITS; i++) {
		if (!unit_table[i].used)
			continue;
		if (o->cap - o->len < ROW_ROOM)
			break;
		if (json)
			status_json_unit(o, &unit_table[i], !emitted, now);
		else
			status_text_unit(o, &unit_table[i], now);
		emitted++;
	}
	*cursor = ((uint64_t)emitted << 32) | i;
	if (i < MAX_UNITS)
		return 1;
	if (json)
		status_json_tail(o);
	return 0;
}

static int more_status_text(struct outbuf *o, uint64_t *cursor)
{
	return more_status(o, cursor, 0);
}

static int more_status_json(struct outbuf *o, uint64_t *cursor)
{
	return more_status(o, cursor, 1);
}

static void handle(char *cmd, char *arg, struct outbuf *o, control_more *more)
{
	char err[128];
	struct self_stats st;
#define IS(s) (!strcmp(cmd, s))
	if (IS("status")) {
		int json = arg && !strcmp(arg, "--json");
		if (arg && !json) {
			ob_printf(o, "error: status takes only --json\n");
			return;
		}
		fill_stats(&st);
		ob_puts(o, "ok\n");
		if (json)
			status_json_head(o, &st);
		else
			status_text_head(o, &st);
		*more = json ? more_status_json : more_status_text;
	} else if (IS("start") || IS("stop") || IS("restart")) {
		int r;
		if (!arg) {
			ob_printf(o, "error: %s needs a service name\n", cmd);
			return;
		}
		r = IS("start") ? units_start(arg, err, sizeof err)
		  : IS("stop") ? units_stop(arg, err, sizeof err)
			       : units_restart(arg, err, sizeof err);
		if (r < 0)
			ob_printf(o, "error: %s\n", err);
		else
			ob_puts(o, "ok\n");
	} else if (IS("reload")) {
		reload(o);
	} else if (IS("check-config")) {
		struct report_ctx c = { o, 0, 0 };
		char head[160];
		int missing = 0;
		int n = config_load(&staging, config_path, report, &c, &missing);
		n += policy(&staging, config_path, &c);
		note_dropped(&c);
		if (n)
			fmt(head, sizeof head, "error: %s has %d problem(s)\n", config_path, n);
		else
			fmt(head, sizeof head, "ok\n%s: ok\n", config_path);
		ob_prepend(o, head);
	} else if (IS("log")) {
		ob_puts(o, "ok\n");
		*more = more_log;
	} else if (IS("rescue")) {
		if (arg && !strcmp(arg, "arm")) {
			rescue_arm(o, now_ms());
		} else if (arg && !strcmp(arg, "now")) {
			ob_puts(o, "ok\n");
			rescue_now("lifelinectl rescue now");
		} else {
			ob_printf(o, "error: rescue takes arm or now\n");
		}
	} else if (IS("reboot") || IS("poweroff") || IS("halt")) {
		ob_puts(o, "ok\n");
		begin_shutdown(IS("reboot") ? RB_AUTOBOOT : IS("poweroff") ? RB_POWER_OFF
									  : RB_HALT_SYSTEM);
	} else {
		ob_printf(o, "error: unknown command '%s'\n", cmd);
	}
#undef IS
}

static void reap(void)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);
		if (p <= 0)
			return;
		if (!rescue_child_exited(p, st, now_ms()))
			units_child_exited(p, st);
	}
}

static void on_signal(void)
{
	struct signalfd_siginfo si;
	while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGCHLD: reap(); break;
		case SIGHUP: reload(NULL); break;
		case SIGTERM: begin_shutdown(RB_AUTOBOOT); break;
		case SIGINT: begin_shutdown(RB_AUTOBOOT); break;   /* ctrl-alt-del */
		case SIGUSR1: begin_shutdown(RB_HALT_SYSTEM); break;
		case SIGUSR2: begin_shutdown(RB_POWER_OFF); break;
		default: break;
		}
	}
}

static void arm_timer(void)
{
	uint64_t d = units_next_deadline();
	uint64_t c = control_next_deadline();
	if (c && (!d || c < d))
		d = c;
	uint64_t more[] = { guard_next_deadline(), peerlink_next_deadline(),
			    rescue_next_deadline(), watchdog_next_deadline(), cg_next_deadline(),
			    initctl_next_deadline(), log_syslog_next_deadline() };
	for (unsigned k = 0; k < sizeof more / sizeof more[0]; k++)
		if (more[k] && (!d || more[k] < d))
			d = more[k];
	if (socket_retry_at && (!d || socket_retry_at < d))
		d = socket_retry_at;
	if (d == armed_at)
		return;
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	if (d) {
		its.it_value.tv_sec = (time_t)(d / 1000);
		its.it_value.tv_nsec = (long)(d % 1000) * 1000000L;
	}
	timerfd_settime(timerfd, TFD_TIMER_ABSTIME, &its, NULL);
	armed_at = d;
}

static void open_socket(void)
{
	if (control_listen(socket_path, handle) >= 0) {
		socket_retry_at = 0;
		return;
	}
	socket_retry_at = now_ms() + SOCKET_RETRY_MS;
}

static void usage(int fd)
{
	say(fd,
		"usage: lifeline [-c CONFIG] [-s SOCKET]\n"
		"       lifeline --check-config [FILE]\n"
		"       lifeline --version\n"
		"Run as PID 1 (init=/sbin/lifeline), or as a subreaper for tests.\n"
		"Defaults: -c %s -s %s\n", DEFAULT_CONFIG, DEFAULT_SOCKET);
}

/* The kernel keeps only 10 lines per 5 s from each /dev/kmsg writer unless
 * told otherwise; lifeline's log is meant to be in dmesg, and it rate-limits
 * the services it forwards itself. */
static void kmsg_unthrottle(void)
{
	int fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "on\n", 3);
		close(fd);
	}
}

/* Ensure fds 0-2 exist, so no opened file lands on them by accident. */
static void fix_stdio(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int n = open("/dev/console", O_RDWR | O_NOCTTY);
		if (n < 0)
			n = open("/dev/null", O_RDWR);
		if (n >= 0 && n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (getpid() == 1) {
			/* the kernel hands init its unknown boot options; PID 1 must
			 * not exit for any of them, so only -c and -s count */
			if ((!strcmp(a, "-c") || !strcmp(a, "--config")) && i + 1 < argc)
				config_path = argv[++i];
			else if ((!strcmp(a, "-s") || !strcmp(a, "--socket")) && i + 1 < argc)
				socket_path = argv[++i];
			continue;
		}
		if (!strcmp(a, "--version")) {
			say(1, "lifeline %s\n", LIFELINE_VERSION);
			return 0;
		} else if (!strcmp(a, "--check-config")) {
			return check_config(i + 1 < argc ? argv[i + 1] : config_path);
		} else if ((!strcmp(a, "-c") || !strcmp(a, "--config")) && i + 1 < argc) {
			config_path = argv[++i];
		} else if ((!strcmp(a, "-s") || !strcmp(a, "--socket")) && i + 1 < argc) {
			socket_path = argv[++i];
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(1);
			return 0;
		} else {
			usage(2);
			return 100;
		}
	}

	start_ms = now_ms();
	pid1 = getpid() == 1;
	if (pid1) {
		log_init(0, 2);         /* console only: /dev may not be there yet */
		mounts_setup();
		fix_stdio();
		setsid();
		/* EINVAL: we are PID 1 of a PID namespace, not of the machine */
		if (reboot(RB_DISABLE_CAD) < 0 && errno == EINVAL)
			in_container = 1;
	} else {
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	}
	if (pid1 && !in_container)
		kmsg_unthrottle();
	log_init(1, 2);
	/* The machine's init: the kernel prints what we write to /dev/kmsg on
	 * the console as its loglevel says (errors even with "quiet"), so
	 * writing there too would print every line twice.  In a namespace or
	 * as a subreaper the console is ours alone. */
	if (pid1 && !in_container && log_has_kmsg())
		log_console(-1);
	log_msg(LOG_NOTICE, "lifeline %s starting as %s%s", LIFELINE_VERSION,
		pid1 ? "PID 1" : "subreaper", in_container ? " of a PID namespace" : "");

	sigset_t set;
	sigemptyset(&set);
	int sigs[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2 };
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int lp = loop_init();
	sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (lp < 0 || sigfd < 0 || timerfd < 0) {
		/* cannot happen short of a broken kernel; PID 1 still must not exit */
		log_msg(LOG_ERR, "event loop set-up failed: %s", strerror(errno));
		if (!pid1)
			return 111;
	}
	loop_add(sigfd, LOOP_TAG(TAG_SIGNAL, 0));
	loop_add(timerfd, LOOP_TAG(TAG_TIMER, 0));

	load_boot_config();
	syslog_apply();
	if (pid1 && !in_container)
		panic_reboot_apply(&active_config, "/proc/sys/kernel");
	memory_layers_configure(1);
	oomwatch_init();
	escalation_configure();
	control_init();
	open_socket();
	/* Debian's poweroff, reboot, halt, shutdown now (systemctl without
	 * systemd) write their request there */
	if (pid1)
		initctl_open(INITCTL_PATH, !in_container);
	if (memlock_all() < 0)
		log_msg(LOG_WARN, "mlockall: %s; running unlocked", strerror(errno));

	units_boot();
	reap();         /* children that died before the loop started */

	for (;;) {
		struct epoll_event ev[16];
		arm_timer();
		int n = loop_wait(ev, 16);
		if (n < 0 && errno != EINTR) {
			log_msg(LOG_ERR, "epoll_wait: %s", strerror(errno));
			struct timespec ts = { 1, 0 };
			nanosleep(&ts, NULL);   /* never a busy loop */
		}
		for (int i = 0; i < n; i++) {
			uint32_t kind = (uint32_t)(ev[i].data.u64 >> 32);
			int idx = (int)(uint32_t)ev[i].data.u64;
			switch (kind) {
			case TAG_SIGNAL: on_signal(); break;
			case TAG_TIMER: {
				uint64_t exp;
				(void)!read(timerfd, &exp, sizeof exp);
				armed_at = ~0ULL;
				break;
			}
			case TAG_LISTEN: control_accept(); break;
			case TAG_CONN: control_event(idx, ev[i].events); break;
			case TAG_OUTPUT: units_output(idx); break;
			case TAG_PSI: guard_psi_event(now_ms()); break;
			case TAG_VICTIM: guard_victim_event(now_ms()); break;
			case TAG_CGROUP:
				if (cg_event())
					guard_kick(now_ms());
				break;
			case TAG_PROCEV: procev_read(protect_forked, NULL); break;
			case TAG_KEEPALIVE: peerlink_event(idx, now_ms()); break;
			case TAG_INITCTL: {
				int cmd = initctl_event(now_ms());
				if (cmd != -1)
					begin_shutdown(cmd);
				break;
			}
			}
		}
		uint64_t now = now_ms();
		units_tick(now);
		guard_tick(now);
		control_tick(now);
		watchdog_tick(now);
		peerlink_tick(now);
		rescue_tick(now);
		cg_tick(now);
		initctl_tick(now);
		log_syslog_tick(now);
		if (!boot_done && boot_phase >= PH_RUN) {
			boot_done = 1;
			rescue_boot_done(now);
			guard_rescan(now);      /* udev has loaded the balloon drivers */
		}
		if (socket_retry_at && socket_retry_at <= now)
			open_socket();
		if (boot_phase == PH_FINAL) {
			units_flush_all();
			control_close();
			initctl_close();
			watchdog_release();
			shutdown_final(shutdown_cmd, pid1, in_container);
		}
	}
}
