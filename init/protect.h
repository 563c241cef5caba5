/* Protection is for a service's listener, not for what it forks.
 *
 * A protected service starts at its session_oom_score_adj (spawn.c); its
 * protection (oom_score_adj, -1000 by default) is written to the main
 * process PROTECT_DELAY_MS later, unless it has protected itself by then
 * (OpenSSH's sshd does, after it read the value it restores in its
 * sessions).  Each process the main process forks (an SSH session) is then
 * put back to the session value and, with cgroups, moved out of the
 * protected group into a session group of its own (cgroup.h), as soon as
 * the kernel reports the fork (procev.h). */
#ifndef LIFELINE_PROTECT_H
#define LIFELINE_PROTECT_H
#include "service.h"

#define PROTECT_DELAY_MS 2000

/* Write u's protection to its main process now.  Says once if it cannot. */
void protect_apply(struct unit *u, const struct unit_conf *c);
/* The main processes of running protected services; returns how many. */
int protect_listeners(pid_t *out, int cap);
/* The kernel says parent forked child (a procev_fork_fn). */
void protect_forked(void *ctx, pid_t parent, pid_t child);
/* Refresh the fork filter if the protected main processes changed;
 * service.c calls it whenever a main process starts or ends. */
void protect_refresh_watch(void);

#endif
