/* Protection is for a service's listener, not for what it forks.
 *
 * A protected service starts at its session_oom_score_adj (spawn.c); its
 * protection (oom_score_adj, -1000 by default) is written to the main
 * process once it listens on a TCP socket (looked at PROTECT_DELAY_MS
 * after the start, then every PROTECT_RETRY_MS), or PROTECT_MAX_WAIT_MS
 * after the start if it never does, unless it has protected itself by
 * then.  OpenSSH's sshd reads the value it will restore in its sessions
 * before it listens, and protects itself: written any earlier (a slow
 * start on a loaded machine), -1000 would be what every session gets
 * back, and the kernel could never kill a runaway session.  Each process
 * the main process forks (an SSH session) is then put back to the session
 * value and, with cgroups, moved out of the
 * protected group into a session group of its own (cgroup.h), as soon as
 * the kernel reports the fork (procev.h). */
#ifndef LIFELINE_PROTECT_H
#define LIFELINE_PROTECT_H
#include "service.h"

#define PROTECT_DELAY_MS 2000
#define PROTECT_RETRY_MS 500
#define PROTECT_MAX_WAIT_MS 30000

/* Write u's protection to its main process if it is time (see above): 0
 * when done (or nothing to do), 1 to look again PROTECT_RETRY_MS later.
 * Says once if it cannot write. */
int protect_apply(struct unit *u, const struct unit_conf *c, uint64_t now);
/* 1 if pid holds a TCP socket (IPv4 or IPv6) in the LISTEN state. */
int protect_listening(pid_t pid);
/* The inodes of pid's open sockets (at most cap); how many. */
int protect_socket_inodes(pid_t pid, uint64_t *inode, int cap);
/* The main processes of running protected services; returns how many. */
int protect_listeners(pid_t *out, int cap);
/* The kernel says parent forked child (a procev_fork_fn). */
void protect_forked(void *ctx, pid_t parent, pid_t child);
/* Refresh the fork filter if the protected main processes changed;
 * service.c calls it whenever a main process starts or ends. */
void protect_refresh_watch(void);

#endif
