/* freeze PID [SECONDS]: stop a process from outside and hold it stopped,
 * for the watchdog test (tests/e2e/t_watchdog.sh): with PID 1 frozen
 * lifeline's loop no longer runs, so nobody pets /dev/watchdog.
 *
 * Signals cannot do it: the kernel never delivers SIGSTOP to PID 1.  So the
 * tool attaches with PTRACE_SEIZE, stops the process with PTRACE_INTERRUPT
 * and waits for the stop, prints "frozen PID" and then holds it for
 * SECONDS (default: for ever).  The process stays stopped as long as its
 * tracer lives and does not resume it; when this tool exits or detaches it
 * runs on.  Built static with musl into the system image (mksystem.sh) as
 * /usr/bin/freeze; no test-only build of lifeline is needed. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: freeze PID [SECONDS]\n");
		return 2;
	}
	pid_t pid = (pid_t)atoi(argv[1]);
	long secs = argc == 3 ? atol(argv[2]) : 0;
	if (pid <= 0) {
		fprintf(stderr, "freeze: bad PID %s\n", argv[1]);
		return 2;
	}
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0) {
		fprintf(stderr, "freeze: PTRACE_SEIZE %d: %s\n", (int)pid, strerror(errno));
		return 1;
	}
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0) {
		fprintf(stderr, "freeze: PTRACE_INTERRUPT %d: %s\n", (int)pid, strerror(errno));
		return 1;
	}
	/* the interrupt stop, or a signal-delivery stop that came first: both
	 * leave it stopped until we resume it, which we never do */
	for (;;) {
		int st;
		if (waitpid(pid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "freeze: waitpid %d: %s\n", (int)pid, strerror(errno));
			return 1;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			fprintf(stderr, "freeze: %d ended\n", (int)pid);
			return 1;
		}
		if (WIFSTOPPED(st))
			break;
	}
	printf("frozen %d\n", (int)pid);
	fflush(stdout);
	if (secs > 0) {
		sleep((unsigned)secs);
		ptrace(PTRACE_DETACH, pid, 0, 0);
		printf("released %d\n", (int)pid);
		return 0;
	}
	for (;;)
		pause();
}
