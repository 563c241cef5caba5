/* Fork events from the kernel's process connector (netlink, CONFIG_PROC_EVENTS),
 * filtered in the kernel by a classic BPF program so that lifeline wakes
 * only for forks whose parent is a protected service's main process, and
 * only for new processes (not threads).  Needs CAP_NET_ADMIN in the initial
 * PID namespace; where it is unavailable, that is said once. */
#ifndef LIFELINE_PROCEV_H
#define LIFELINE_PROCEV_H
#include <sys/types.h>

/* Open and subscribe; registers the socket with the loop as TAG_PROCEV.
 * -1 if unavailable (logged once). */
int procev_open(void);
/* Replace the filter: forks of these parents only (n may be 0: none). */
int procev_watch(const pid_t *parents, int n);
typedef void (*procev_fork_fn)(void *ctx, pid_t parent, pid_t child);
/* Read the pending events (TAG_PROCEV fired). */
void procev_read(procev_fork_fn fn, void *ctx);
/* "on" or why not, for status. */
const char *procev_state(void);

#endif
