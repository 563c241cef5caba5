/* The lifeline-peer daemon's modules and the state they share.  peer.h
 * has the pure modules (the configuration, the state machine, banner
 * matching, the status text) that the unit tests link; the files named
 * here are the daemon around them, and only lifeline-peer links them.
 *
 * From the bottom up; a file calls only files on a lower line:
 *   peer_log.c     log lines: stderr and, if asked, /dev/log
 *   peer_poll.c    the one epoll instance and its tags
 *   peer_udp.c     the UDP sockets: datagrams in, verdicts out
 *   peer_hosts.c   the host table and the running configuration:
 *                  keepalives accepted, state changes, their log lines
 *   peer_probes.c  the SSH probes' sockets, their queue and schedule
 *   peer_server.c  the status socket and the metrics file (forked children)
 *   peer_loop.c    the event loop: timers, signals, SIGHUP's reload
 *   peer.c         main: the command line and the daemon's start-up
 * and beside them, needing none of them:
 *   peer_client.c  `lifeline-peer status` and `rescue HOST` (the client side)
 * Names start with lp_; each file's own state is a static struct named
 * after the file (probe_slots, server_conns, udp_socks...), the one shared
 * table is lp_hosts. */
#ifndef LIFELINE_PEER_DAEMON_H
#define LIFELINE_PEER_DAEMON_H
#include "peer.h"
#include "clock.h"

#include <stdint.h>

static inline int64_t lp_mono_ms(void)
{
	return (int64_t)now_ms();
}

static inline int64_t lp_real_ms(void)
{
	return (int64_t)wall_ms();
}

/* ---- log lines (peer_log.c) ---- */

/* One line, "lifeline-peer: " and the text, in one write; prio is
 * syslog's (3 error, 4 warning, 5 notice). */
void lp_log(int prio, const char *f, ...) __attribute__((format(printf, 2, 3)));
/* Lines to /dev/log too (peer.conf: syslog = yes). */
void lp_log_syslog_open(void);
/* A pipe or socket on stderr that does not keep up loses lines. */
void lp_log_stderr_nonblock(void);
/* An ISO 8601 UTC time for the monotonic instant mono (now: the clock). */
void lp_log_iso_time(int64_t mono, int64_t now, char *out, size_t cap);

/* ---- the epoll instance (peer_poll.c) ---- */

enum lp_poll_kind { LP_EV_UDP = 1, LP_EV_TIMER, LP_EV_SIG, LP_EV_CTL, LP_EV_PROBE, LP_EV_CONN };

int lp_poll_setup(void);
/* Watch fd for input; its events come back tagged kind and idx. */
int lp_poll_add(int fd, enum lp_poll_kind kind, int idx);
void lp_poll_del(int fd);
/* Waits for events; each one's kind and index into kind[] and idx[]. */
int lp_poll_wait(uint32_t *kind, int *idx, int max);

/* ---- the UDP sockets (peer_udp.c) ---- */

/* One datagram received on socket si (an index), from `from`, sent to
 * the local address `local` (on interface ifindex, for IPv6). */
typedef void lp_dgram_fn(int si, const uint8_t *buf, size_t len, const struct lp_addr *from,
			 const struct lp_addr *local, int ifindex, int64_t now);

/* The verdicts' boot id and the receive buffers: 0, or -1 said. */
int lp_udp_init(void);
/* Bind c's listen addresses and watch them: how many are bound, or -1. */
int lp_udp_setup(const struct lp_conf *c);
/* Read what socket si holds (bounded: a flood cannot starve the timers),
 * each datagram to fn. */
void lp_udp_read(int si, lp_dgram_fn *fn);
/* Send h a verdict, from the address its keepalive came to; said in the log. */
void lp_udp_send_verdict(struct lp_host *h);
/* Verdicts sent since the start. */
uint64_t lp_udp_verdict_seq(void);

/* ---- the host table (peer_hosts.c) ---- */

/* The running configuration and the hosts built from it; a reload
 * replaces both. */
struct lp_host_table {
	struct lp_conf conf;
	struct lp_host *host;    /* conf.nhosts of them, in conf's order */
	int n;
	int64_t started;         /* monotonic ms when the daemon started */
	int changed;             /* a state changed since the metrics file was written */
};
extern struct lp_host_table lp_hosts;

/* The table for lp_hosts.conf (exits if out of memory). */
void lp_hosts_setup(int64_t now);
/* Replace the configuration with *nc, keeping the state of the hosts of
 * the same name: how many were kept, or -1 (out of memory; nothing
 * changed, *nc freed). */
int lp_hosts_reload(struct lp_conf *nc, int64_t now);
struct lp_timing lp_hosts_timing(const struct lp_host *h);
/* After anything that may change h's state: move it on, log, send a
 * verdict if one is due. */
void lp_host_update(struct lp_host *h, int64_t now);
/* Every host now (after a reload). */
void lp_hosts_tick(int64_t now);
/* The ticks, and the drop and flapping lines, that are due at now. */
void lp_hosts_run(int64_t now);
void lp_hosts_logs_run(int64_t now);
/* When lp_hosts_run or lp_hosts_logs_run must run next (INT64_MAX: none). */
int64_t lp_hosts_wake(void);
/* A datagram in (lp_dgram_fn): the keepalive of a host, or a drop. */
void lp_hosts_datagram(int si, const uint8_t *buf, size_t len, const struct lp_addr *from,
		       const struct lp_addr *local, int ifindex, int64_t now);
/* What peer_out.c and peer_ctl.c show, at now. */
struct lp_view lp_hosts_view(int64_t now);

/* ---- the SSH probes (peer_probes.c) ---- */

/* The probe slots (as many as the file limit allows) and the schedule. */
void lp_probes_setup(int64_t now);
/* Before a reload: the probes in flight closed, the queue emptied, no
 * host's target in flight. */
void lp_probes_stop(void);
/* After a reload (or a failed one): the schedule for the table, from now. */
void lp_probes_plan(int64_t now);
/* The probes due at now queued and started; the overdue ones timed out. */
void lp_probes_run(int64_t now);
/* Probe slot s is readable. */
void lp_probes_event(int s, int64_t now);
int64_t lp_probes_wake(void);

/* ---- the status socket and the metrics file (peer_server.c) ---- */

#define LP_SERVER_CHILDREN 8     /* status answers being written */
#define LP_SERVER_CONNS 8        /* connections whose request is being read */

/* Listen on conf's status socket (none if it is ""): 0, or -1 said. */
int lp_server_setup(const struct lp_conf *c, int64_t now);
void lp_server_accept(int64_t now);
/* Connection i is readable. */
void lp_server_read(int i, int64_t now);
/* Connections past their deadline dropped; the metrics file written if due. */
void lp_server_run(int64_t now);
int64_t lp_server_wake(void);
/* SIGCHLD: the children that ended. */
void lp_server_reap(void);
/* The daemon stops: its socket goes. */
void lp_server_stop(void);

/* ---- the loop (peer_loop.c) ---- */

/* The timer and the signals: 0, or -1 said. */
int lp_loop_setup(void);
/* Until SIGTERM or SIGINT (0) or a failure (1); SIGHUP reloads conf_path. */
int lp_loop_run(const char *conf_path);

/* ---- the client side (peer_client.c) ---- */

#define LP_USAGE (-1)            /* returned for a command line to show usage for */

/* lifeline-peer status [--json] [-s SOCKET]; rescue HOST [...]: the exit
 * status, or LP_USAGE. */
int lp_client_status(int argc, char **argv);
int lp_client_rescue(int argc, char **argv);

#endif
