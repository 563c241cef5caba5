/* lifeline-peer's event loop.  One epoll instance (peer_poll.c) holds the
 * UDP sockets, one timerfd for every deadline, a signalfd, the SSH probes
 * and the status socket; each turn runs what is due (state ticks, probes,
 * log lines, the metrics file, connection deadlines), arms the timer for
 * the earliest next deadline, and waits.  SIGHUP reloads peer.conf here:
 * the hosts keep their state by name (peer_hosts.c), the probes start
 * over; a configuration with problems changes nothing. */
#define _GNU_SOURCE
#include "peer_daemon.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define EVENTS 64               /* per epoll_wait */

static struct {
	int timer_fd, sig_fd;
	int64_t timer_set;       /* when timer_fd fires (-1: not armed) */
	const char *conf_path;   /* for SIGHUP */
} peer_loop = { .timer_fd = -1, .sig_fd = -1, .timer_set = -1 };

int lp_loop_setup(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	peer_loop.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	peer_loop.sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (lp_poll_setup() < 0 || peer_loop.timer_fd < 0 || peer_loop.sig_fd < 0) {
		lp_log(3, "event=error epoll/timerfd/signalfd: %s", strerror(errno));
		return -1;
	}
	if (lp_poll_add(peer_loop.timer_fd, LP_EV_TIMER, 0) < 0 ||
	    lp_poll_add(peer_loop.sig_fd, LP_EV_SIG, 0) < 0)
		return -1;
	return 0;
}

static void timer_arm(int64_t when)
{
	struct itimerspec its;

	if (when == peer_loop.timer_set)
		return;
	peer_loop.timer_set = when;
	memset(&its, 0, sizeof its);
	if (when != INT64_MAX) {
		if (when < 1)
			when = 1;
		its.it_value.tv_sec = when / 1000;
		its.it_value.tv_nsec = (long)(when % 1000) * 1000000;
	}
	(void)timerfd_settime(peer_loop.timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* ---- SIGHUP: the configuration again, the hosts' state kept ---- */

static void report_log(void *ctx, const char *file, int line, int col, const char *msg)
{
	int *n = ctx;

	(*n)++;
	lp_log(3, "event=reload-problem %s:%d:%d: %s", file, line, col, msg);
}

/* Where it listens, its socket and syslog stay as they were: they take a
 * restart. */
static void keep_fixed(struct lp_conf *nc, const struct lp_conf *c)
{
	int moved = nc->nlisten != c->nlisten || strcmp(nc->socket, c->socket) != 0 ||
		    nc->syslog != c->syslog;

	for (int i = 0; !moved && i < nc->nlisten; i++)
		moved = !lp_addr_eq_ip(&nc->listen[i], &c->listen[i]) ||
			nc->listen[i].port != c->listen[i].port;
	if (moved)
		lp_log(4, "event=reload note=\"listen, socket and syslog take a restart\"");
	nc->nlisten = c->nlisten;
	nc->listen_explicit = c->listen_explicit;
	memcpy(nc->listen, c->listen, sizeof nc->listen);
	memcpy(nc->socket, c->socket, sizeof nc->socket);
	nc->syslog = c->syslog;
}

static void reload(int64_t now)
{
	struct lp_conf nc;
	int nold = lp_hosts.n, n = 0, kept;

	lp_conf_init(&nc);
	if (lp_conf_load(&nc, peer_loop.conf_path, report_log, &n) || n) {
		lp_log(3, "event=reload-failed config=%s problems=%d (the running configuration "
		       "stays)", peer_loop.conf_path, n);
		lp_conf_free(&nc);
		return;
	}
	keep_fixed(&nc, &lp_hosts.conf);
	/* the probes in flight, dropped */
	lp_probes_stop();
	kept = lp_hosts_reload(&nc, now);
	lp_probes_plan(now);    /* the running hosts too, if the reload failed */
	if (kept < 0)
		return;
	lp_log(5, "event=reload config=%s hosts=%d kept=%d new=%d gone=%d", peer_loop.conf_path,
	       lp_hosts.n, kept, lp_hosts.n - kept, nold - kept);
	lp_hosts_tick(now);
	lp_hosts.changed = 1;
}

/* 1 to go on, 0 to stop */
static int signals(void)
{
	struct signalfd_siginfo si;

	while (read(peer_loop.sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			lp_server_reap();
			break;
		case SIGHUP:
			reload(lp_mono_ms());
			break;
		default:
			lp_log(5, "event=stop signal=%d", (int)si.ssi_signo);
			return 0;
		}
	}
	return 1;
}

/* What is due at now, then the timer for what is due next. */
static void run_due(int64_t now)
{
	lp_hosts_run(now);
	lp_probes_run(now);
	lp_hosts_logs_run(now);
	lp_server_run(now);
	timer_arm(min64(min64(lp_hosts_wake(), lp_probes_wake()), lp_server_wake()));
}

int lp_loop_run(const char *conf_path)
{
	uint32_t kind[EVENTS];
	int idx[EVENTS];

	peer_loop.conf_path = conf_path;
	for (;;) {
		int64_t now;
		int n;

		run_due(lp_mono_ms());
		n = lp_poll_wait(kind, idx, EVENTS);
		if (n < 0 && errno != EINTR) {
			lp_log(3, "event=error epoll_wait: %s", strerror(errno));
			return 1;
		}
		now = lp_mono_ms();
		for (int i = 0; i < n; i++) {
			if (kind[i] == LP_EV_UDP) {
				lp_udp_read(idx[i], lp_hosts_datagram);
			} else if (kind[i] == LP_EV_PROBE) {
				lp_probes_event(idx[i], now);
			} else if (kind[i] == LP_EV_TIMER) {
				uint64_t x;

				(void)!read(peer_loop.timer_fd, &x, sizeof x);
				peer_loop.timer_set = -1;
			} else if (kind[i] == LP_EV_CTL) {
				lp_server_accept(now);
			} else if (kind[i] == LP_EV_CONN) {
				lp_server_read(idx[i], now);
			} else if (kind[i] == LP_EV_SIG && !signals()) {
				lp_server_stop();
				return 0;
			}
		}
	}
}
