/* procev against the real kernel: the process connector works for root in
 * the initial PID namespace, where the unit tests run.  Elsewhere each case
 * says why it is skipped. */
#include "test.h"
#include "procev.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_SEEN 64

struct seen {
	int n;
	pid_t parent[MAX_SEEN], child[MAX_SEEN];
};

static void record(void *ctx, pid_t parent, pid_t child)
{
	struct seen *s = ctx;
	if (s->n < MAX_SEEN) {
		s->parent[s->n] = parent;
		s->child[s->n] = child;
	}
	s->n++;
}

/* 1 if the socket became readable within ms. */
static int readable(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	return poll(&p, 1, ms) == 1;
}

/* Read what arrives within ms (stops early once want reports are in). */
static void collect(int fd, struct seen *s, int want, int ms)
{
	for (int waited = 0; waited < ms && s->n < want; waited += 20)
		if (readable(fd, 20))
			procev_read(record, s);
}

static int has(const struct seen *s, pid_t parent, pid_t child)
{
	for (int i = 0; i < s->n && i < MAX_SEEN; i++)
		if (s->parent[i] == parent && (child == 0 || s->child[i] == child))
			return 1;
	return 0;
}

static pid_t fork_exit(int code)
{
	pid_t p = fork();
	if (p == 0)
		_exit(code);
	return p;
}

static void reap(pid_t p)
{
	int st;
	if (p > 0)
		waitpid(p, &st, 0);
}

static void *thread_fn(void *arg)
{
	return arg;
}

/* Why the connector cannot work here, or NULL.  4026531836 (0xEFFFFFFC)
 * is the initial PID namespace's inode number (PROC_PID_INIT_INO); in a
 * namespace of its own /proc/1 is that namespace's init, so comparing with
 * it would not tell. */
static const char *why_not(void)
{
	char self[64] = "";
	ssize_t n = readlink("/proc/self/ns/pid", self, sizeof self - 1);
	if (geteuid() != 0)
		return "not root";
	if (n > 0 && strcmp(self, "pid:[4026531836]") != 0)
		return "not in the initial PID namespace";
	return NULL;
}

void suite_procev(void)
{
	const char *skip = why_not();
	int fd = -1;

	TEST("procev: state is off before open") {
		CHECK_STR(procev_state(), "off");
	}

	TEST("procev: open subscribes to the process connector") {
		fd = procev_open();
		if (skip) {
			t_note("skipped: %s (state: %s)", skip, procev_state());
			CHECK(fd < 0);
		} else {
			CHECK_MSG(fd >= 0, "procev_open failed: %s", procev_state());
			CHECK_STR(procev_state(), "on");
			CHECK_INT(procev_open(), fd);
		}
	}
	if (fd < 0) {
		t_note("skipped: the fork-event cases (%s)", procev_state());
		return;
	}

	TEST("procev: nothing is reported before a parent is watched") {
		pid_t c = fork_exit(0);
		reap(c);
		CHECK(!readable(fd, 150));
	}

	TEST("procev: a fork of a watched parent is reported once, with both pids") {
		struct seen s = { 0 };
		pid_t me = getpid();
		CHECK_INT(procev_watch(&me, 1), 0);
		pid_t c = fork_exit(0);
		collect(fd, &s, 1, 2000);
		reap(c);
		CHECK_INT(s.n, 1);
		CHECK(has(&s, me, c));
		collect(fd, &s, 2, 150);
		CHECK_INT(s.n, 1);
	}

	TEST("procev: a fork by a child of a watched parent is not reported") {
		struct seen s = { 0 };
		pid_t me = getpid(), grandchild = 0;
		int pfd[2];
		CHECK_INT(procev_watch(&me, 1), 0);
		CHECK(pipe(pfd) == 0);
		pid_t c = fork();
		if (c == 0) {
			pid_t g = fork_exit(0);
			ssize_t w = write(pfd[1], &g, sizeof g);
			reap(g);
			_exit(w == sizeof g ? 0 : 1);
		}
		CHECK(read(pfd[0], &grandchild, sizeof grandchild) == sizeof grandchild);
		close(pfd[0]);
		close(pfd[1]);
		reap(c);
		collect(fd, &s, 3, 300);
		CHECK(has(&s, me, c));
		CHECK(grandchild > 0);
		CHECK(!has(&s, c, 0));
		CHECK_INT(s.n, 1);
	}

	TEST("procev: the kernel filter drops forks of parents not watched (no wake-up)") {
		struct seen s = { 0 };
		int go[2], back[2];
		pid_t me = getpid(), g = 0;
		CHECK_INT(procev_watch(NULL, 0), 0);
		CHECK(pipe(go) == 0 && pipe(back) == 0);
		pid_t c = fork();
		if (c == 0) {
			char x;
			if (read(go[0], &x, 1) != 1)
				_exit(1);
			g = fork_exit(0);
			ssize_t w = write(back[1], &g, sizeof g);
			reap(g);
			_exit(w == sizeof g ? 0 : 1);
		}
		CHECK_INT(procev_watch(&me, 1), 0);
		CHECK(write(go[1], "x", 1) == 1);
		CHECK(read(back[0], &g, sizeof g) == sizeof g);
		reap(c);
		CHECK(!readable(fd, 200));
		procev_read(record, &s);
		CHECK_INT(s.n, 0);
		close(go[0]), close(go[1]), close(back[0]), close(back[1]);
	}

	/* The kernel names a thread's parent as its process's parent: a thread
	 * started by a session looks like a fork of the watched listener,
	 * with child_pid (the thread) != child_tgid (the session). */
	TEST("procev: a thread started by a child of a watched parent is not reported (dropped in the kernel)") {
		struct seen s = { 0 };
		int go[2], back[2];
		pid_t me = getpid();
		CHECK_INT(procev_watch(NULL, 0), 0);
		CHECK(pipe(go) == 0 && pipe(back) == 0);
		pid_t c = fork();
		if (c == 0) {
			char x;
			pthread_t th;
			if (read(go[0], &x, 1) != 1 || pthread_create(&th, NULL, thread_fn, NULL))
				_exit(1);
			pthread_join(th, NULL);
			_exit(write(back[1], "y", 1) == 1 ? 0 : 1);
		}
		CHECK_INT(procev_watch(&me, 1), 0);
		char y = 0;
		CHECK(write(go[1], "x", 1) == 1);
		CHECK(read(back[0], &y, 1) == 1 && y == 'y');
		/* not even a wake-up: the filter, not procev_read, refused it */
		CHECK(!readable(fd, 200));
		procev_read(record, &s);
		CHECK_INT(s.n, 0);
		reap(c);
		close(go[0]), close(go[1]), close(back[0]), close(back[1]);
	}

	TEST("procev: several parents; a parent other than the caller") {
		struct seen s = { 0 };
		int go[2], back[2];
		pid_t me = getpid(), g = 0;
		CHECK_INT(procev_watch(NULL, 0), 0);
		CHECK(pipe(go) == 0 && pipe(back) == 0);
		pid_t c = fork();
		if (c == 0) {
			char x;
			if (read(go[0], &x, 1) != 1)
				_exit(1);
			g = fork_exit(0);
			ssize_t w = write(back[1], &g, sizeof g);
			reap(g);
			_exit(w == sizeof g ? 0 : 1);
		}
		pid_t set[3] = { 999999, c, me };
		CHECK_INT(procev_watch(set, 3), 0);
		CHECK(write(go[1], "x", 1) == 1);
		CHECK(read(back[0], &g, sizeof g) == sizeof g);
		reap(c);
		collect(fd, &s, 1, 2000);
		CHECK(has(&s, c, g));
		CHECK_INT(s.n, 1);
		close(go[0]), close(go[1]), close(back[0]), close(back[1]);
	}

	TEST("procev: watching nobody again: forks are not reported") {
		struct seen s = { 0 };
		CHECK_INT(procev_watch(NULL, 0), 0);
		pid_t c = fork_exit(0);
		reap(c);
		CHECK(!readable(fd, 150));
		procev_read(record, &s);
		CHECK_INT(s.n, 0);
	}

	TEST("procev: what was queued under an older filter is checked again") {
		struct seen s = { 0 };
		pid_t me = getpid();
		CHECK_INT(procev_watch(&me, 1), 0);
		pid_t c = fork_exit(0);
		reap(c);
		CHECK(readable(fd, 2000));
		/* the parent is no longer watched when the event is read */
		CHECK_INT(procev_watch(NULL, 0), 0);
		procev_read(record, &s);
		CHECK_INT(s.n, 0);
	}

	TEST("procev: close, then open again") {
		procev_close();
		CHECK_STR(procev_state(), "off");
		fd = procev_open();
		CHECK(fd >= 0);
		struct seen s = { 0 };
		pid_t me = getpid();
		CHECK_INT(procev_watch(&me, 1), 0);
		pid_t c = fork_exit(0);
		collect(fd, &s, 1, 2000);
		reap(c);
		CHECK(has(&s, me, c));
		procev_close();
	}
}
