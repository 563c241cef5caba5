/* exit_classify, exit_format, signal_name, exit_is_failure (exitinfo.c). */
#define _GNU_SOURCE
#include "test.h"
#include "exitinfo.h"

#include <signal.h>

/* wait(2) status encodings, built by hand so the test does not depend on
 * the macros under test: exit code in bits 8..15, signal in 0..6, core 0x80 */
#define W_EXITED(code) (((code) & 0xff) << 8)
#define W_SIGNALED(sig) ((sig) & 0x7f)
#define W_CORE 0x80
#define W_STOPPED(sig) ((((sig) & 0xff) << 8) | 0x7f)

static const char *fmt(int wstatus, int oom, int oom_seen, struct exit_info *e)
{
	static char buf[128];
	exit_classify(wstatus, oom, oom_seen, e);
	int n = exit_format(e, buf, sizeof buf);
	if (n < 0 || (size_t)n != strlen(buf))
		FAIL("exit_format returned %d for \"%s\"", n, buf);
	return buf;
}

void suite_exitinfo(void)
{
	struct exit_info e;

	TEST("exit: exited 0") {
		CHECK_STR(fmt(W_EXITED(0), 0, 0, &e), "exited 0");
		CHECK_INT(e.kind, EXIT_CODE);
		CHECK_INT(e.value, 0);
		CHECK_INT(exit_is_failure(&e), 0);
	}
	TEST("exit: exited 1") {
		CHECK_STR(fmt(W_EXITED(1), 0, 0, &e), "exited 1");
		CHECK_INT(e.kind, EXIT_CODE);
		CHECK_INT(e.value, 1);
		CHECK_INT(exit_is_failure(&e), 1);
	}
	TEST("exit: exited 255") {
		CHECK_STR(fmt(W_EXITED(255), 0, 0, &e), "exited 255");
		CHECK_INT(exit_is_failure(&e), 1);
	}
	TEST("exit: killed by SIGKILL") {
		CHECK_STR(fmt(W_SIGNALED(SIGKILL), 0, 0, &e), "killed by SIGKILL");
		CHECK_INT(e.kind, EXIT_SIGNAL);
		CHECK_INT(e.value, SIGKILL);
		CHECK_INT(e.core, 0);
		CHECK_INT(exit_is_failure(&e), 1);
	}
	TEST("exit: killed by SIGTERM") {
		CHECK_STR(fmt(W_SIGNALED(SIGTERM), 0, 0, &e), "killed by SIGTERM");
		CHECK_INT(exit_is_failure(&e), 1);
	}
	TEST("exit: killed by SIGSEGV (core dumped)") {
		CHECK_STR(fmt(W_SIGNALED(SIGSEGV) | W_CORE, 0, 0, &e),
			  "killed by SIGSEGV (core dumped)");
		CHECK_INT(e.core, 1);
		CHECK_INT(e.value, SIGSEGV);
		CHECK_STR(fmt(W_SIGNALED(SIGABRT) | W_CORE, 0, 0, &e),
			  "killed by SIGABRT (core dumped)");
	}
	TEST("exit: oom-killed when the kernel named the pid and it was SIGKILL") {
		CHECK_STR(fmt(W_SIGNALED(SIGKILL), 1, 0, &e), "oom-killed");
		CHECK_INT(e.kind, EXIT_OOM);
		CHECK_INT(exit_is_failure(&e), 1);
		CHECK_STR(fmt(W_SIGNALED(SIGKILL), 1, 1, &e), "oom-killed");
	}
	TEST("exit: not oom-killed for another signal or an exit") {
		CHECK_STR(fmt(W_SIGNALED(SIGTERM), 1, 0, &e), "killed by SIGTERM");
		CHECK_INT(e.kind, EXIT_SIGNAL);
		CHECK_STR(fmt(W_SIGNALED(SIGSEGV) | W_CORE, 1, 1, &e),
			  "killed by SIGSEGV (core dumped)");
		CHECK_STR(fmt(W_EXITED(137), 1, 1, &e), "exited 137");
		CHECK_INT(e.kind, EXIT_CODE);
		CHECK_INT(e.oom_seen, 0);
	}
	TEST("exit: (oom kill seen) suffix for SIGKILL while the counter rose") {
		CHECK_STR(fmt(W_SIGNALED(SIGKILL), 0, 1, &e),
			  "killed by SIGKILL (oom kill seen)");
		CHECK_INT(e.kind, EXIT_SIGNAL);
		CHECK_INT(e.oom_seen, 1);
		CHECK_STR(fmt(W_SIGNALED(SIGKILL) | W_CORE, 0, 1, &e),
			  "killed by SIGKILL (core dumped) (oom kill seen)");
	}
	TEST("exit: stale fields are reset by exit_classify") {
		fmt(W_SIGNALED(SIGSEGV) | W_CORE, 0, 0, &e);
		fmt(W_SIGNALED(SIGKILL), 0, 1, &e);
		CHECK_INT(e.core, 0);
		fmt(W_EXITED(3), 0, 0, &e);
		CHECK_INT(e.core, 0);
		CHECK_INT(e.oom_seen, 0);
		CHECK_INT(e.value, 3);
	}
	TEST("exit: a stopped status is not an exit") {
		CHECK_STR(fmt(W_STOPPED(SIGSTOP), 0, 0, &e), "-");
		CHECK_INT(e.kind, EXIT_NONE);
		struct exit_info none = { 0 };
		char buf[8];
		exit_format(&none, buf, sizeof buf);
		CHECK_STR(buf, "-");
	}
	TEST("exit: exit_format never writes past cap") {
		char buf[16];
		memset(buf, 'Z', sizeof buf);
		exit_classify(W_SIGNALED(SIGKILL) | W_CORE, 0, 1, &e);
		int n = exit_format(&e, buf, 8);
		CHECK_INT(n, (int)strlen("killed by SIGKILL (core dumped) (oom kill seen)"));
		CHECK_STR(buf, "killed ");
		for (int i = 8; i < 16; i++)
			CHECK_MSG(buf[i] == 'Z', "byte %d overwritten", i);
	}
	TEST("exit: signal_name names the usual signals") {
		char buf[32];
		CHECK_STR(signal_name(SIGKILL, buf, sizeof buf), "SIGKILL");
		CHECK_STR(signal_name(SIGTERM, buf, sizeof buf), "SIGTERM");
		CHECK_STR(signal_name(SIGSEGV, buf, sizeof buf), "SIGSEGV");
		CHECK_STR(signal_name(SIGHUP, buf, sizeof buf), "SIGHUP");
		CHECK_STR(signal_name(SIGSYS, buf, sizeof buf), "SIGSYS");
	}
	TEST("exit: signal_name for an unnamed signal") {
		char buf[32];
		CHECK_STR(signal_name(42, buf, sizeof buf), "signal 42");
		CHECK_STR(signal_name(0, buf, sizeof buf), "signal 0");
		struct exit_info rt;
		exit_classify(W_SIGNALED(42), 0, 0, &rt);
		exit_format(&rt, buf, sizeof buf);
		CHECK_STR(buf, "killed by signal 42");
	}
	TEST("exit: killed from outside, or its own failure") {
		static const int outside[] = { SIGKILL, SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1 };
		static const int own[] = { SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE, SIGSYS,
					   SIGTRAP, SIGXCPU, SIGXFSZ, SIGPIPE };
		for (unsigned i = 0; i < sizeof outside / sizeof outside[0]; i++) {
			exit_classify(W_SIGNALED(outside[i]), 0, 0, &e);
			CHECK_MSG(exit_killed_from_outside(&e), "signal %d is not from outside", outside[i]);
		}
		for (unsigned i = 0; i < sizeof own / sizeof own[0]; i++) {
			exit_classify(W_SIGNALED(own[i]) | W_CORE, 0, 0, &e);
			CHECK_MSG(!exit_killed_from_outside(&e), "signal %d is from outside", own[i]);
		}
		exit_classify(W_SIGNALED(SIGKILL), 1, 0, &e);      /* oom-killed */
		CHECK_INT(exit_killed_from_outside(&e), 1);
		exit_classify(W_EXITED(0), 0, 0, &e);
		CHECK_INT(exit_killed_from_outside(&e), 0);
		exit_classify(W_EXITED(137), 0, 0, &e);             /* a shell's "killed" code */
		CHECK_INT(exit_killed_from_outside(&e), 0);
	}
}
