/* lifeline: PID 1.  Start-up and the event loop's dispatch: each event
 * goes to the module that owns its descriptor (the loop itself is loop.c,
 * the config's loading and reloading configure.c, what a command or
 * signal asks for commands.c).
 *
 * Policy on failure (docs/design.md, "Never die"): nothing here exits once PID 1 is
 * running.  Start-up steps that fail are logged and skipped; the control
 * socket is retried on a timer. */
#define _GNU_SOURCE
#include "clock.h"
#include "fmt.h"
#include "commands.h"
#include "configure.h"
#include "cgroup.h"
#include "control.h"
#include "guard.h"
#include "initctl.h"
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
#include "watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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
static const char *config_path = DEFAULT_CONFIG;
static const char *socket_path = DEFAULT_SOCKET;
static int pid1, in_container;
static int boot_done;           /* rescue_boot_done() was called */
static uint64_t socket_retry_at, armed_at = ~0ULL;

static void reap(void)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);
		if (p <= 0)
			return;
		if (!rescue_child_exited(p, st, now_ms()))
			service_child_exited(p, st);
	}
}

static void on_signal(void)
{
	struct signalfd_siginfo si;
	while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGCHLD: reap(); break;
		case SIGHUP: configure_reload(NULL); break;
		case SIGTERM: commands_shutdown(RB_AUTOBOOT); break;
		case SIGINT: commands_shutdown(RB_AUTOBOOT); break;   /* ctrl-alt-del */
		case SIGUSR1: commands_shutdown(RB_HALT_SYSTEM); break;
		case SIGUSR2: commands_shutdown(RB_POWER_OFF); break;
		default: break;
		}
	}
}

static void arm_timer(void)
{
	uint64_t d = service_next_deadline();
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
	if (control_listen(socket_path, commands_handle) >= 0) {
		socket_retry_at = 0;
		return;
	}
	socket_retry_at = now_ms() + SOCKET_RETRY_MS;
}

static void usage(int fd)
{
	fmt_write(fd,
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

/* The command line.  Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv)
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
			fmt_write(1, "lifeline %s\n", LIFELINE_VERSION);
			return 0;
		} else if (!strcmp(a, "--check-config")) {
			return configure_check_file(i + 1 < argc ? argv[i + 1] : config_path);
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
	return -1;
}

/* The machine's first steps as PID 1 (/proc, /sys, /dev, the console, a
 * session), or a subreaper's; then the log. */
static void start_up(void)
{
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
}

/* Signals as a descriptor, the timer, the epoll instance.  0, or -1 if
 * any failed (a broken kernel); what worked is in the loop either way. */
static int loop_setup(void)
{
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
	int bad = lp < 0 || sigfd < 0 || timerfd < 0;
	if (bad)
		log_msg(LOG_ERR, "event loop set-up failed: %s", strerror(errno));
	loop_add(sigfd, LOOP_TAG(TAG_SIGNAL, 0));
	loop_add(timerfd, LOOP_TAG(TAG_TIMER, 0));
	return bad ? -1 : 0;
}

/* One event to the module that owns its descriptor (loop.h's tags). */
static void dispatch(const struct epoll_event *ev)
{
	uint32_t kind = (uint32_t)(ev->data.u64 >> 32);
	int idx = (int)(uint32_t)ev->data.u64;
	switch (kind) {
	case TAG_SIGNAL: on_signal(); break;
	case TAG_TIMER: {
		uint64_t exp;
		(void)!read(timerfd, &exp, sizeof exp);
		armed_at = ~0ULL;
		break;
	}
	case TAG_LISTEN: control_accept(); break;
	case TAG_CONN: control_event(idx, ev->events); break;
	case TAG_OUTPUT: service_output(idx); break;
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
			commands_shutdown(cmd);
		break;
	}
	}
}

/* After each wake-up: every module's deadlines, then the phase's steps. */
static void tick(void)
{
	uint64_t now = now_ms();
	service_tick(now);
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
		service_flush_all();
		control_close();
		initctl_close();
		watchdog_release();
		shutdown_final(commands_shutdown_cmd(), pid1, in_container);
	}
}

int main(int argc, char **argv)
{
	int rc = parse_args(argc, argv);
	if (rc >= 0)
		return rc;
	uint64_t start_ms = now_ms();
	start_up();
	/* cannot fail short of a broken kernel; PID 1 still must not exit */
	if (loop_setup() < 0 && !pid1)
		return 111;

	configure_init(config_path, pid1, in_container);
	commands_init(start_ms, pid1);
	configure_boot();       /* the config, syslog, panic settings, memory layers */
	oomwatch_init();
	configure_escalation();
	control_init();
	open_socket();
	/* Debian's poweroff, reboot, halt, shutdown now (systemctl without
	 * systemd) write their request there */
	if (pid1)
		initctl_open(INITCTL_PATH, !in_container);
	if (memlock_all() < 0)
		log_msg(LOG_WARN, "mlockall: %s; running unlocked", strerror(errno));

	service_boot();
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
		for (int i = 0; i < n; i++)
			dispatch(&ev[i]);
		tick();
	}
}
