/* See exitinfo.h.  Turns a wait status into why a child died (exit code,
 * signal, OOM kill), formats it for the log and status, and answers the
 * two questions the restart policy asks: a failure?  killed from outside? */
#define _GNU_SOURCE
#include "exitinfo.h"
#include "fmt.h"

#include <signal.h>
#include <sys/wait.h>

static const struct { int sig; const char *name; } sigs[] = {
	{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" },
	{ SIGILL, "SIGILL" }, { SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
	{ SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" }, { SIGKILL, "SIGKILL" },
	{ SIGUSR1, "SIGUSR1" }, { SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
	{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
	{ SIGCHLD, "SIGCHLD" }, { SIGCONT, "SIGCONT" }, { SIGSTOP, "SIGSTOP" },
	{ SIGTSTP, "SIGTSTP" }, { SIGTTIN, "SIGTTIN" }, { SIGTTOU, "SIGTTOU" },
	{ SIGURG, "SIGURG" }, { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
	{ SIGVTALRM, "SIGVTALRM" }, { SIGPROF, "SIGPROF" }, { SIGWINCH, "SIGWINCH" },
	{ SIGIO, "SIGIO" }, { SIGPWR, "SIGPWR" }, { SIGSYS, "SIGSYS" },
};

const char *signal_name(int sig, char *buf, size_t cap)
{
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigs[i].sig == sig)
			return sigs[i].name;
	fmt(buf, cap, "signal %d", sig);
	return buf;
}

void exit_classify(int wstatus, int oom, int oom_seen, struct exit_info *e)
{
	e->core = 0;
	e->oom_seen = 0;
	if (WIFEXITED(wstatus)) {
		e->kind = EXIT_CODE;
		e->value = WEXITSTATUS(wstatus);
	} else if (WIFSIGNALED(wstatus)) {
		e->value = WTERMSIG(wstatus);
		e->core = WCOREDUMP(wstatus) ? 1 : 0;
		e->kind = (oom && e->value == SIGKILL) ? EXIT_OOM : EXIT_SIGNAL;
		e->oom_seen = (oom_seen && e->value == SIGKILL) ? 1 : 0;
	} else {
		e->kind = EXIT_NONE;
		e->value = 0;
	}
}

int exit_format(const struct exit_info *e, char *buf, size_t cap)
{
	char tmp[16];
	switch (e->kind) {
	case EXIT_CODE:
		return fmt(buf, cap, "exited %d", e->value);
	case EXIT_SIGNAL:
		return fmt(buf, cap, "killed by %s%s%s",
				signal_name(e->value, tmp, sizeof tmp),
				e->core ? " (core dumped)" : "",
				e->oom_seen ? " (oom kill seen)" : "");
	case EXIT_OOM:
		return fmt(buf, cap, "oom-killed");
	default:
		return fmt(buf, cap, "-");
	}
}

int exit_is_failure(const struct exit_info *e)
{
	return !(e->kind == EXIT_CODE && e->value == 0);
}

int exit_killed_from_outside(const struct exit_info *e)
{
	if (e->kind == EXIT_OOM)
		return 1;
	if (e->kind != EXIT_SIGNAL)
		return 0;
	switch (e->value) {
	case SIGSEGV: case SIGABRT: case SIGBUS: case SIGILL: case SIGFPE:
	case SIGSYS: case SIGTRAP: case SIGXCPU: case SIGXFSZ: case SIGPIPE:
		return 0;
	default:
		return 1;
	}
}
