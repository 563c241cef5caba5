/* protect.c against real processes: the late protection of a listener,
 * and a session put back to the session value.  Root on the build host
 * may not set oom_score_adj below 0 (no CAP_SYS_RESOURCE), so the values
 * here stay at 0 or above: "protected" is 300 instead of -1000. */
#include "test.h"
#include "protect.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* A child at oom_score_adj adj, returned once it has set it (a pipe says
 * so: a fixed sleep is not enough on a loaded machine). */
static pid_t sleeper(int adj)
{
	int fds[2];
	char c;
	if (pipe(fds) < 0)
		return -1;
	pid_t p = fork();
	if (p == 0) {
		close(fds[0]);
		FILE *f = fopen("/proc/self/oom_score_adj", "w");
		if (f) {
			fprintf(f, "%d\n", adj);
			fclose(f);
		}
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	if (p > 0 && read(fds[0], &c, 1) != 1)
		p = -1;
	close(fds[0]);
	return p;
}

static int adj_of(pid_t p)
{
	char path[64];
	int v = -9999;
	snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)p);
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -9999;
		fclose(f);
	}
	return v;
}

static void reap(pid_t p)
{
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
}

void suite_protect(void)
{
	static struct unit saved_units[MAX_UNITS];
	static struct config saved_active;
	memcpy(saved_units, unit_table, sizeof unit_table);
	saved_active = active_config;
	memset(unit_table, 0, sizeof unit_table);
	memset(&active_config, 0, sizeof active_config);
	active_config.nunits = 2;
	strcpy(active_config.unit[0].name, "listener");
	active_config.unit[0].protect = 1;
	active_config.unit[0].oom_score_adj = 300;
	active_config.unit[0].session_oom_score_adj = 700;
	strcpy(active_config.unit[1].name, "plain");
	unit_table[0].used = unit_table[1].used = 1;
	unit_table[0].conf = 0;
	unit_table[1].conf = 1;
	strcpy(unit_table[0].name, "listener");

	TEST("protect: not before the main process listens; then written") {
		pid_t p = sleeper(500);         /* as if started at a session value of 500 */
		unit_table[0].pid = p;
		unit_table[0].started_ms = 100000;
		/* 2 s after the start it listens on nothing: not yet */
		CHECK_INT(protect_apply(&unit_table[0], &active_config.unit[0], 102000), 1);
		CHECK_INT(adj_of(p), 500);
		/* never listening: written once the longest wait is over */
		CHECK_INT(protect_apply(&unit_table[0], &active_config.unit[0], 100000 + PROTECT_MAX_WAIT_MS), 0);
		CHECK_INT(adj_of(p), 300);
		reap(p);
	}
	TEST("protect: a listening socket is seen (IPv4 and IPv6), a bound one is not") {
		int s4 = socket(AF_INET, SOCK_STREAM, 0), s6 = socket(AF_INET6, SOCK_STREAM, 0);
		struct sockaddr_in a4 = { .sin_family = AF_INET };
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a6.sin6_addr = in6addr_loopback;
		CHECK_INT(bind(s4, (struct sockaddr *)&a4, sizeof a4), 0);
		CHECK_INT(protect_listening(getpid()), 0);      /* bound, not listening */
		CHECK_INT(listen(s4, 1), 0);
		CHECK_INT(protect_listening(getpid()), 1);
		close(s4);
		CHECK_INT(protect_listening(getpid()), 0);
		if (s6 >= 0 && bind(s6, (struct sockaddr *)&a6, sizeof a6) == 0) {
			CHECK_INT(listen(s6, 1), 0);
			CHECK_INT(protect_listening(getpid()), 1);
		}
		if (s6 >= 0)
			close(s6);
	}
	TEST("protect: a listening main process is protected 2 s after its start") {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		CHECK_INT(bind(s, (struct sockaddr *)&a, sizeof a), 0);
		CHECK_INT(listen(s, 1), 0);
		pid_t p = sleeper(500);         /* inherits the listening socket */
		close(s);
		unit_table[0].pid = p;
		unit_table[0].started_ms = 100000;
		CHECK_INT(protect_apply(&unit_table[0], &active_config.unit[0], 102000), 0);
		CHECK_INT(adj_of(p), 300);
		reap(p);
	}
	TEST("protect: a listener that protected itself is left alone") {
		pid_t p = sleeper(100);         /* already below the 300 asked for */
		unit_table[0].pid = p;
		CHECK_INT(protect_apply(&unit_table[0], &active_config.unit[0], 102000), 0);
		CHECK_INT(adj_of(p), 100);
		reap(p);
	}
	TEST("protect: the protected main processes are the listeners") {
		pid_t a = sleeper(0), b = sleeper(0), out[MAX_UNITS];
		unit_table[0].pid = a;
		unit_table[1].pid = b;
		CHECK_INT(protect_listeners(out, MAX_UNITS), 1);
		CHECK_INT(out[0], a);
		reap(a);
		reap(b);
		unit_table[1].pid = 0;
	}
	TEST("protect: a session forked by a listener gets the session value") {
		pid_t l = sleeper(0), s = sleeper(0);
		unit_table[0].pid = l;
		protect_forked(NULL, l, s);
		CHECK_INT(adj_of(s), 700);
		CHECK_INT(adj_of(l), 0);        /* the listener itself is untouched */
		reap(l);
		reap(s);
	}
	TEST("protect: a fork of an unprotected service is not touched") {
		pid_t l = sleeper(0), s = sleeper(0);
		unit_table[1].pid = l;
		protect_forked(NULL, l, s);
		CHECK_INT(adj_of(s), 0);
		reap(l);
		reap(s);
		unit_table[1].pid = 0;
	}
	TEST("protect: a session already gone is no error") {
		pid_t l = sleeper(0), s = sleeper(0);
		unit_table[0].pid = l;
		reap(s);
		protect_forked(NULL, l, s);     /* must not crash or block */
		CHECK_INT(adj_of(l), 0);
		reap(l);
	}
	memcpy(unit_table, saved_units, sizeof unit_table);
	active_config = saved_active;
}
