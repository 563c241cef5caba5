/* Starting a child without copying PID 1's memory: clone(CLONE_VM |
 * CLONE_VFORK) on a small locked stack, so no copy-on-write faults hit
 * PID 1 however often services are restarted. */
#ifndef LIFELINE_SPAWN_H
#define LIFELINE_SPAWN_H
#include "config.h"
#include <sys/types.h>

struct spawn_error {
	const char *step;       /* "fork", "exec", "setuid", ... */
	int err;                /* errno */
	const char *warn_step;  /* on success: a best-effort step that failed */
	int warn_err;
};

/* Start u (a unit of c) with stdout/stderr on out_fd (-1: /dev/null), in
 * the cgroup whose cgroup.procs cg_fd is open on (-1: lifeline's own).
 * Returns the pid, or -1 with *e filled; nothing is left behind on
 * failure.  On success e->warn_step names a best-effort step (cgroup,
 * oom_score_adj, nice) that failed.
 *
 * A protected service starts at its session_oom_score_adj, not at its
 * protection: what it forks inherits the value, and OpenSSH's sshd
 * restores its sessions to the value it found at start.  The caller
 * applies the protection to the main process later (service.c). */
pid_t spawn_unit(const struct config *c, const struct unit_conf *u, int out_fd,
		 int cg_fd, struct spawn_error *e);

/* Default PATH given to services. */
#define SPAWN_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#endif
