/* See spawn.h.  The child shares PID 1's memory until it execs, so it only
 * touches its own stack and the `job` below, and reports failure through
 * it before _exit. */
#define _GNU_SOURCE
#include "spawn.h"
#include "fmt.h"
#include "sizes.h"
#include "userdb.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static struct {
	const struct config *c;
	const struct unit_conf *u;
	const char *path;
	char *argv[MAX_ARGS + 1];
	char *envp[MAX_ENV + 8];
	char envbuf[3 * 160];
	int out_fd;
	int cg_fd;
	int set_ids;
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[MAX_GROUPS];
	/* written by the child */
	const char *fail_step;
	int fail_err;
	const char *warn_step;  /* a step skipped, the child went on */
	int warn_err;
} job;

/* The child runs a few syscalls on this stack; sanitizers need far more. */
#ifdef LIFELINE_NO_MLOCK
static char child_stack[65536] __attribute__((aligned(16)));
#else
static char child_stack[8192] __attribute__((aligned(16)));
#endif

static int write_oom_adj(int adj)
{
	char b[16];
	int n = fmt(b, sizeof b, "%d", adj);
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = write(fd, b, (size_t)n) == n ? 0 : -1;
	close(fd);
	return r;
}

#define FAIL(s) do { job.fail_step = (s); job.fail_err = errno; _exit(127); } while (0)

static int child(void *arg)
{
	(void)arg;
	const struct unit_conf *u = job.u;
	sigset_t none;
	struct sigaction dfl;

	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (setsid() < 0)
		FAIL("setsid");
	int null = open("/dev/null", O_RDWR);
	if (null < 0)
		FAIL("open /dev/null");
	int out = job.out_fd >= 0 ? job.out_fd : null;
	if (dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		FAIL("dup2");
	if (null > 2)
		close(null);
	/* Groups and protection are best effort: a service that runs
	 * unprotected (say in a container without CAP_SYS_RESOURCE) beats one
	 * that never runs.  "0" moves the writer itself. */
	if (job.cg_fd >= 0 && write(job.cg_fd, "0", 1) != 1) {
		job.warn_step = "its cgroup";
		job.warn_err = errno;
	}
	/* a getty (a unit of ttys =) saves no value to restore in its
	 * sessions, as sshd does: protected at once, its sessions are put
	 * back by protect_forked */
	int adj = u->protect && !u->tty ? u->session_oom_score_adj : u->oom_score_adj;
	if (adj != OOM_ADJ_UNSET && write_oom_adj(adj) < 0) {
		job.warn_step = "oom_score_adj";
		job.warn_err = errno;
	}
	if (u->nice && setpriority(PRIO_PROCESS, 0, u->nice) < 0) {
		job.warn_step = "nice";
		job.warn_err = errno;
	}
	const char *cwd = conf_cwd(job.c, u);
	if (chdir(cwd[0] ? cwd : "/") < 0)
		FAIL("chdir");
	if (job.set_ids) {
		if (setgroups((size_t)job.ngroups, job.groups) < 0)
			FAIL("setgroups");
		if (setgid(job.gid) < 0)
			FAIL("setgid");
		if (setuid(job.uid) < 0)
			FAIL("setuid");
	}
	execve(job.path, job.argv, job.envp);
	FAIL("exec");
}

static int env_has(const struct unit_conf *u, const char *key)
{
	size_t kl = strlen(key);
	const char *e = conf_env(job.c, u);
	for (int i = 0; i < u->envc; i++, e = conf_next_str(e))
		if (!strncmp(e, key, kl) && e[kl] == '=')
			return 1;
	return 0;
}

static int build_env(const struct unit_conf *u, const char *home)
{
	int n = 0, off = 0;
	const char *user = u->user[0] ? u->user : "root";
	const char *defs[][2] = { { "PATH", SPAWN_PATH }, { "HOME", home },
				  { "USER", user }, { "LOGNAME", user } };
	for (unsigned i = 0; i < 4; i++) {
		if (env_has(u, defs[i][0]))
			continue;
		int w = fmt(job.envbuf + off, sizeof job.envbuf - (size_t)off, "%s=%s",
				 defs[i][0], defs[i][1]);
		if (w < 0 || (size_t)w >= sizeof job.envbuf - (size_t)off)
			return -1;
		job.envp[n++] = job.envbuf + off;
		off += w + 1;
	}
	const char *e = conf_env(job.c, u);
	for (int i = 0; i < u->envc; i++, e = conf_next_str(e))
		job.envp[n++] = (char *)e;
	job.envp[n] = NULL;
	return 0;
}

pid_t spawn_unit(const struct config *c, const struct unit_conf *u, int out_fd,
		 int cg_fd, struct spawn_error *err)
{
	static char path[PATH_MAX_LEN];
	char home[PATH_MAX_LEN] = "/";

	job.c = c;
	job.u = u;
	job.out_fd = out_fd;
	job.cg_fd = cg_fd;
	job.set_ids = 0;
	job.fail_step = NULL;
	job.fail_err = 0;
	job.warn_step = NULL;
	job.warn_err = 0;
	err->warn_step = NULL;
	err->warn_err = 0;

	const char *a = conf_exec(c, u);
	for (int i = 0; i < u->argc; i++, a = conf_next_str(a))
		job.argv[i] = (char *)a;
	job.argv[u->argc] = NULL;

	/* resolved again each time: the binary may appear after boot mounts */
	if (config_resolve_exec(conf_exec(c, u), path, sizeof path) < 0) {
		err->step = "exec";
		err->err = ENOENT;
		return -1;
	}
	job.path = path;

	if (u->user[0] || u->group[0]) {
		job.set_ids = 1;
		job.uid = 0;
		job.gid = 0;
		if (u->user[0] &&
		    userdb_lookup_user(u->user, &job.uid, &job.gid, home, sizeof home) < 0) {
			err->step = "user lookup";
			err->err = ENOENT;
			return -1;
		}
		if (u->group[0] && userdb_lookup_group(u->group, &job.gid) < 0) {
			err->step = "group lookup";
			err->err = ENOENT;
			return -1;
		}
		job.ngroups = u->user[0]
			? userdb_groups_of(u->user, job.gid, job.groups, MAX_GROUPS)
			: (job.groups[0] = job.gid, 1);
	} else if (!strcmp(home, "/")) {
		strcpy(home, "/root");
	}
	if (build_env(u, home) < 0) {
		err->step = "environment";
		err->err = E2BIG;
		return -1;
	}

	pid_t pid = clone(child, child_stack + sizeof child_stack,
			  CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	if (pid < 0) {
		err->step = "fork";
		err->err = errno;
		return -1;
	}
	/* CLONE_VFORK: the child has exec'd or exited by now */
	if (job.fail_step) {
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		err->step = job.fail_step;
		err->err = job.fail_err;
		return -1;
	}
	err->warn_step = job.warn_step;
	err->warn_err = job.warn_err;
	return pid;
}
