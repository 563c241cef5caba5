/* Fork events from the kernel's process connector (netlink, CONFIG_PROC_EVENTS),
 * filtered in the kernel by a classic BPF program so that lifeline wakes
 * only for forks whose parent is a protected service's main process, and
 * only for new processes (not threads).  Needs CAP_NET_ADMIN in the initial
 * PID namespace; where it is unavailable, that is said once. */
#ifndef LIFELINE_PROCEV_H
#define LIFELINE_PROCEV_H
#include <sys/types.h>

/* Open and subscribe; registers the socket with the loop as TAG_PROCEV.
 * Returns the socket (again if already open), or -1 if unavailable
 * (logged once; procev_state() says why).  Outside the initial PID
 * namespace the kernel ignores the subscription: that is found out at
 * once, as the connector's answer is queued before send() returns. */
int procev_open(void);
/* Unsubscribe and close (tests; shutdown). */
void procev_close(void);
/* Replace the filter: forks of these parents only (n may be 0: none; at
 * most MAX_UNITS are kept).  The set is remembered if the socket is not
 * open yet.  Events queued under an older filter are checked again in
 * procev_read: only forks of the current parents are reported. */
int procev_watch(const pid_t *parents, int n);
typedef void (*procev_fork_fn)(void *ctx, pid_t parent, pid_t child);
/* Read the pending events (TAG_PROCEV fired): fn(ctx, parent, child) for
 * each fork of a watched parent that made a process (threads never reach
 * it).  At most 64 datagrams per call; the loop calls again. */
void procev_read(procev_fork_fn fn, void *ctx);
/* "on" or why not, for status. */
const char *procev_state(void);

#endif
