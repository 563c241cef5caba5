/* See shutdown.h.  kill(-1), sync and unmounting run in a forked child:
 * a process in D state or a dead NFS server may hang any of them, and
 * PID 1 must still reach reboot(2). */
#define _GNU_SOURCE
#include "shutdown.h"
#include "clock.h"
#include "log.h"
#include "fmt.h"
#include "mounts.h"
#include "scan.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TERM_GRACE_MS 3000
#define FINISHER_MAX_MS 20000
#define SYNC_MAX_MS 10000      /* a sync of PID 1's own, when it cannot fork */

const char *shutdown_word(int cmd)
{
	return cmd == (int)RB_POWER_OFF ? "powering off" :
	       cmd == (int)RB_HALT_SYSTEM ? "halting" : "rebooting";
}

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

#define PF_KTHREAD 0x00200000

/* A process other than PID 1, us and kernel threads?  (scan_dir callback) */
static int user_process(void *ctx, const char *name)
{
	char path[64], stat[512];
	const char *end;
	long pid = (long)scan_uint(name, 10, &end);
	if (*end || pid <= 1 || pid == *(pid_t *)ctx)
		return 0;
	fmt(path, sizeof path, "/proc/%ld/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;       /* gone meanwhile */
	ssize_t r = read(fd, stat, sizeof stat - 1);
	close(fd);
	if (r <= 0)
		return 0;
	stat[r] = '\0';
	/* flags are field 9: the 7th after the ")" of comm */
	const char *p = strrchr(stat, ')');
	for (int f = 2; p && *p && f < 9; p++)
		if (*p == ' ')
			f++;
	unsigned long flags = p ? (unsigned long)scan_uint(p, 10, NULL) : 0;
	return !(flags & PF_KTHREAD);
}

/* Is any process left but PID 1, us and kernel threads?  kill(-1, 0)
 * cannot tell: kernel threads count for it.  Runs in the finisher only. */
static int others_left(void)
{
	char dbuf[2048];
	pid_t self = getpid();
	/* cannot read /proc: wait the whole grace period */
	return scan_dir("/proc", dbuf, sizeof dbuf, user_process, &self) != 0;
}

static void finisher(int in_container)
{
	log_msg(LOG_NOTICE, "sending SIGTERM to all processes");
	kill(-1, SIGTERM);
	kill(-1, SIGCONT);
	for (int t = 0; t < TERM_GRACE_MS / 100 && others_left(); t++)
		nap(100);
	log_msg(LOG_NOTICE, "sending SIGKILL to all processes");
	kill(-1, SIGKILL);
	log_msg(LOG_NOTICE, "syncing filesystems");
	sync();
	if (in_container)
		log_msg(LOG_NOTICE, "in a PID namespace: filesystems are the host's, left mounted");
	else
		mounts_teardown();
	sync();
	_exit(0);
}

int sync_bounded(uint32_t limit_ms)
{
	pid_t c = -1;
	for (int tries = 0; tries < 10 && c < 0; tries++) {
		c = fork();
		if (c < 0)
			nap(100);       /* out of memory or pids for a moment */
	}
	if (c == 0) {
		sync();
		_exit(0);
	}
	if (c < 0) {
		log_msg(LOG_ERR, "cannot fork to sync (%s): going on without a sync",
			strerror(errno));
		return 0;
	}
	uint64_t end = now_ms() + limit_ms;
	for (;;) {
		int st;
		if (waitpid(c, &st, WNOHANG) == c)
			return 1;
		if (now_ms() >= end)
			break;
		nap(20);
	}
	log_msg(LOG_ERR, "sync has not finished after %lums (storage not answering?): "
		"going on without it", (unsigned long)limit_ms);
	return 0;
}

void shutdown_final(int cmd, int pid1, int in_container)
{
	if (!pid1) {
		/* a subreaper in a test: our children are gone, nothing else is ours */
		log_msg(LOG_NOTICE, "services stopped; exiting (not PID 1, so not %s)",
			shutdown_word(cmd));
		_exit(0);
	}
	pid_t f = fork();
	if (f == 0)
		finisher(in_container);
	if (f < 0) {
		log_msg(LOG_ERR, "cannot fork for the final steps (%s)", strerror(errno));
		kill(-1, SIGKILL);
		sync_bounded(SYNC_MAX_MS);
	} else {
		uint64_t end = now_ms() + FINISHER_MAX_MS;
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG);
			if (p == f)
				break;
			if (p > 0)
				continue;
			if (now_ms() >= end) {
				log_msg(LOG_ERR, "final steps still running after %ds; going on",
					FINISHER_MAX_MS / 1000);
				break;
			}
			nap(50);
		}
	}
	log_msg(LOG_NOTICE, "%s", shutdown_word(cmd));
	reboot(cmd);
	/* still here: reboot(2) failed; PID 1 must not exit */
	log_msg(LOG_ERR, "reboot(2) failed: %s; halting here", strerror(errno));
	for (;;)
		if (waitpid(-1, NULL, 0) < 0)
			nap(1000);
}
