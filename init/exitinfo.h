/* Why a child died: exit code, signal, or the kernel's OOM killer. */
#ifndef LIFELINE_EXITINFO_H
#define LIFELINE_EXITINFO_H
#include <stddef.h>
#include <sys/types.h>

enum exit_kind { EXIT_NONE, EXIT_CODE, EXIT_SIGNAL, EXIT_OOM };

struct exit_info {
	unsigned char kind;     /* enum exit_kind */
	unsigned char core;     /* dumped core */
	unsigned char oom_seen; /* SIGKILL while the oom_kill counter rose */
	int value;              /* exit code or signal number */
};

/* oom: 1 if the kernel log named this PID as an OOM victim. */
void exit_classify(int wstatus, int oom, int oom_seen, struct exit_info *e);
/* "exited 0", "exited 1", "killed by SIGKILL", "oom-killed", "-". */
int exit_format(const struct exit_info *e, char *buf, size_t cap);
/* "SIGKILL", or "signal 42" for the unnamed. */
const char *signal_name(int sig, char *buf, size_t cap);
/* A clean exit: code 0, or the stop signal we sent. */
int exit_is_failure(const struct exit_info *e);
/* 1 if the process was killed from outside (SIGKILL from the kernel's OOM
 * killer, the guard or an admin, SIGTERM, SIGHUP, ...): a death it did not
 * cause itself, so no crash.  Exit codes and the signals a process brings
 * on itself (SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE, SIGSYS, SIGTRAP,
 * SIGXCPU, SIGXFSZ, SIGPIPE) are its own failures. */
int exit_killed_from_outside(const struct exit_info *e);

#endif
