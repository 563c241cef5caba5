/* guard.c: the thresholds and the poll interval (pure), then the guard
 * itself against a made-up /proc whose processes are real children of
 * this test: the kills (pidfd_open, pidfd_send_signal, process_mrelease)
 * really happen, to our own children only. */
#define _GNU_SOURCE
#include "test.h"
#include "guard.h"
#include "cgroup.h"
#include "victim.h"
#include "log.h"
#include "service.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define KB_1G 1048576ull

static struct memory_conf conf(void)
{
	struct memory_conf mc;
	memset(&mc, 0, sizeof mc);
	mc.present = 1;
	mc.guard = 1;
	mc.mem_min_percent = 5;
	mc.swap_min_percent = 10;
	mc.psi_full = 1;
	mc.psi_window_us = 1000000;
	return mc;
}

static struct meminfo mem(uint64_t total, uint64_t avail, uint64_t swap_total,
			  uint64_t swap_free)
{
	struct meminfo m = { total, avail, swap_total, swap_free, 0 };
	return m;
}

static void policy_cases(void)
{
	struct memory_conf mc = conf();
	struct meminfo m = mem(KB_1G, 0, 0, 0);

	TEST("guard: threshold is the percentage when no size is set") {
		CHECK_INT(guard_avail_threshold_kb(&mc, &m), 52428);   /* 5% of 1 GiB */
		mc.mem_min_percent = 10;
		CHECK_INT(guard_avail_threshold_kb(&mc, &m), 104857);
		mc.mem_min_percent = 5;
	}
	TEST("guard: threshold: the lower of percentage and size applies") {
		mc.mem_min_size = 32ull << 20;                          /* below 5% */
		CHECK_INT(guard_avail_threshold_kb(&mc, &m), 32768);
		mc.mem_min_size = 200ull << 20;                         /* above 5% */
		CHECK_INT(guard_avail_threshold_kb(&mc, &m), 52428);
		mc.mem_min_percent = 0;                                 /* size only */
		CHECK_INT(guard_avail_threshold_kb(&mc, &m), 204800);
		mc.mem_min_size = 0;                                    /* neither */
		CHECK_INT(guard_avail_threshold_kb(&mc, &m), 0);
		mc = conf();
	}
	TEST("guard: threshold does not overflow on huge MemTotal") {
		struct meminfo big = mem(UINT64_MAX, 0, 0, 0);
		mc.mem_min_percent = 100;
		CHECK(guard_avail_threshold_kb(&mc, &big) > UINT64_MAX / 2);
		mc = conf();
	}
	TEST("guard: without swap MemAvailable alone decides") {
		m = mem(KB_1G, 52427, 0, 0);
		CHECK(guard_should_kill(&mc, &m) != NULL);
		m.avail_kb = 52428;                     /* at the threshold: not below */
		CHECK(guard_should_kill(&mc, &m) == NULL);
		m.avail_kb = 500000;
		CHECK(guard_should_kill(&mc, &m) == NULL);
	}
	TEST("guard: with swap both MemAvailable and SwapFree must be low") {
		m = mem(KB_1G, 1000, KB_1G, KB_1G / 2);  /* swap half free */
		CHECK(guard_should_kill(&mc, &m) == NULL);
		m.swap_free_kb = 100000;                /* below 10% */
		CHECK_STR(guard_should_kill(&mc, &m), "MemAvailable and SwapFree low");
		m.avail_kb = 600000;                    /* swap low, memory fine */
		CHECK(guard_should_kill(&mc, &m) == NULL);
		mc.swap_min_percent = 0;                /* never "low": no kill */
		m.avail_kb = 1000;
		m.swap_free_kb = 0;
		CHECK(guard_should_kill(&mc, &m) == NULL);
		mc = conf();
	}
	TEST("guard: no threshold at all never kills") {
		mc.mem_min_percent = 0;
		m = mem(KB_1G, 0, 0, 0);
		CHECK(guard_should_kill(&mc, &m) == NULL);
		CHECK_INT(guard_secondary_may_kill(&mc, &m), 0);
		mc = conf();
	}
	TEST("guard: PSI and cgroup triggers kill only below 4x the threshold") {
		m = mem(KB_1G, 4 * 52428 - 1, 0, 0);
		CHECK_INT(guard_secondary_may_kill(&mc, &m), 1);
		m.avail_kb = 4 * 52428;
		CHECK_INT(guard_secondary_may_kill(&mc, &m), 0);
		m = mem(KB_1G, 1000, KB_1G, KB_1G);     /* swap does not matter */
		CHECK_INT(guard_secondary_may_kill(&mc, &m), 1);
	}
	TEST("guard: poll interval: 1000 ms when memory is plentiful (1 GiB to spare)") {
		m = mem(2 * KB_1G, 104857 + KB_1G, 0, 0);
		CHECK_INT(guard_poll_interval_ms(&mc, &m), 1000);
		m.avail_kb = 104857 + 990 * 1024;               /* a little less: 990 */
		CHECK_INT(guard_poll_interval_ms(&mc, &m), 990);
		m = mem(64 * KB_1G, 60 * KB_1G, 0, 0);
		CHECK_INT(guard_poll_interval_ms(&mc, &m), 1000);
		m = mem(UINT64_MAX, UINT64_MAX, 0, 0);
		CHECK_INT(guard_poll_interval_ms(&mc, &m), 1000);
	}
	TEST("guard: poll interval: the time 1 GiB/s takes to reach the threshold") {
		m = mem(KB_1G, 52428 + 512 * 1024, 0, 0);       /* 512 MiB to spare */
		CHECK_INT(guard_poll_interval_ms(&mc, &m), 512);
		m.avail_kb = 52428 + 100 * 1024;
		CHECK_INT(guard_poll_interval_ms(&mc, &m), 100);
		m.avail_kb = 52428 + 10 * 1024;                 /* never below 50 ms */
		CHECK_INT(guard_poll_interval_ms(&mc, &m), 50);
		m.avail_kb = 52428;
		CHECK_INT(guard_poll_interval_ms(&mc, &m), 50);
		m.avail_kb = 0;
		CHECK_INT(guard_poll_interval_ms(&mc, &m), 50);
		mc.mem_min_percent = 0;                 /* no threshold: MemTotal only */
		m.avail_kb = 1000;
		CHECK_INT(guard_poll_interval_ms(&mc, &m), 1000);
		mc = conf();
	}
	TEST("guard: poll interval adds the time swap takes to fill (800 MB/s)") {
		/* 1 GiB, 100 MiB to spare; 1 GiB of swap, threshold 10% */
		m = mem(KB_1G, 52428 + 100 * 1024, KB_1G, KB_1G / 10 + 400 * 800);
		CHECK_INT(guard_poll_interval_ms(&mc, &m), 500);
		m.swap_free_kb = KB_1G;                 /* lots: capped */
		CHECK_INT(guard_poll_interval_ms(&mc, &m), 1000);
		m.swap_free_kb = 0;                     /* swap already low: RAM alone */
		CHECK_INT(guard_poll_interval_ms(&mc, &m), 100);
	}
}

/* ---- a small strict JSON checker (the guard's member, wrapped) ---- */

static const char *js_value(const char *s);

static const char *js_ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

static const char *js_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	for (; *s && *s != '"'; s++) {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s == '\\' && !*++s)
			return NULL;
	}
	return *s == '"' ? s + 1 : NULL;
}

static const char *js_number(const char *s)
{
	const char *b = s;
	if (*s == '-')
		s++;
	if (*s == '0' && s[1] >= '0' && s[1] <= '9')
		return NULL;
	while (*s >= '0' && *s <= '9')
		s++;
	if (s == b || (*b == '-' && s == b + 1))
		return NULL;
	if (*s == '.') {
		const char *f = ++s;
		while (*s >= '0' && *s <= '9')
			s++;
		if (s == f)
			return NULL;
	}
	return s;
}

static const char *js_list(const char *s, char close, int keyed)
{
	s = js_ws(s + 1);
	if (*s == close)
		return s + 1;
	for (;;) {
		if (keyed) {
			s = js_string(js_ws(s));
			if (!s || *(s = js_ws(s)) != ':')
				return NULL;
			s++;
		}
		s = js_value(s);
		if (!s)
			return NULL;
		s = js_ws(s);
		if (*s == close)
			return s + 1;
		if (*s++ != ',')
			return NULL;
	}
}

static const char *js_value(const char *s)
{
	s = js_ws(s);
	if (*s == '{')
		return js_list(s, '}', 1);
	if (*s == '[')
		return js_list(s, ']', 0);
	if (*s == '"')
		return js_string(s);
	if (!strncmp(s, "true", 4) || !strncmp(s, "null", 4))
		return s + 4;
	if (!strncmp(s, "false", 5))
		return s + 5;
	return js_number(s);
}

/* The member as the status code uses it: inside an object, before others. */
static int member_valid(const char *member)
{
	static char doc[8192];
	snprintf(doc, sizeof doc, "{%s\"units\":[]}", member);
	const char *e = js_value(doc);
	return e && !*js_ws(e);
}

/* ---- the guard against a made-up /proc of real children ---- */

static struct config cfg;
static const char *root;
static uint64_t T;

static void put(const char *name, const char *text)
{
	char dir[512];
	/* the directories on the way, as sysfs has them */
	for (const char *s = name; (s = strchr(s, '/')); s++) {
		snprintf(dir, sizeof dir, "%s/%.*s", root, (int)(s - name), name);
		mkdir(dir, 0755);
	}
	if (write_file(root, name, text, strlen(text)))
		FAIL("cannot write %s/%s", root, name);
}

static void set_meminfo(uint64_t total, uint64_t avail)
{
	char text[256];
	snprintf(text, sizeof text, "MemTotal:       %llu kB\nMemFree:        %llu kB\n"
		 "MemAvailable:   %llu kB\nSwapTotal:             0 kB\n"
		 "SwapFree:              0 kB\n", (unsigned long long)total,
		 (unsigned long long)avail, (unsigned long long)avail);
	put("meminfo", text);
}

/* Every child made, so that a failed case leaves none behind (one would
 * hold the test's stdout open). */
static pid_t kids[64];
static int nkids;

static void kill_kids(void)
{
	int st;
	/* only a child not yet reaped: its pid cannot have been reused */
	for (int i = 0; i < nkids; i++)
		if (waitpid(kids[i], &st, WNOHANG) == 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], &st, 0);
		}
	nkids = 0;
}

/* A child that touches mb MiB, named name; its stat copied into root. */
static pid_t hog(int mb, const char *name)
{
	int p[2];
	char c = 0;
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		prctl(PR_SET_NAME, name);
		size_t n = (size_t)mb << 20;
		char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m != MAP_FAILED)
			memset(m, 1, n);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid > 0 && nkids < 64)
		kids[nkids++] = pid;
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	char path[64], buf[1024], name_in[32];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[len] = '\0';
	snprintf(name_in, sizeof name_in, "%d/stat", (int)pid);
	put(name_in, buf);
	/* its owner too (never_kill names only system accounts' processes) */
	snprintf(name_in, sizeof name_in, "%d/status", (int)pid);
	snprintf(buf, sizeof buf, "Name:\t%s\nUid:\t%u\t%u\t%u\t%u\n", name,
		 (unsigned)getuid(), (unsigned)getuid(), (unsigned)getuid(), (unsigned)getuid());
	put(name_in, buf);
	return pid;
}

/* The process left the made-up /proc (as a dead one leaves the real). */
static void gone(pid_t pid)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%d/stat", root, (int)pid);
	unlink(path);
	snprintf(path, sizeof path, "%s/%d", root, (int)pid);
	rmdir(path);
}

/* Still running: a kill just sent gets a moment to land first. */
static int alive(pid_t pid)
{
	int st;
	usleep(20000);
	return waitpid(pid, &st, WNOHANG) == 0;
}

/* End a child the guard was to leave alone: -2 if it was still running
 * (as expected), else what happened to it. */
static int reap(pid_t pid)
{
	int st;
	if (pid <= 0)
		return -1;
	if (alive(pid)) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return -2;
	}
	return 0;
}

/* Whether pid was killed by the guard: it must already be dead (SIGKILL). */
static int killed(pid_t pid)
{
	int st;
	for (int i = 0; i < 100; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
		if (r < 0)
			return 0;
		usleep(10000);
	}
	return 0;
}

static char logbuf[LOG_RING_SIZE + 1];
static uint64_t log_cursor;

static void log_mark(void)
{
	log_cursor = log_ring_head();
}

static const char *log_since(void)
{
	size_t n = log_ring_read(&log_cursor, logbuf, sizeof logbuf - 1);
	logbuf[n] = '\0';
	return logbuf;
}

static const char *status_text(void)
{
	static char buf[2048];
	struct outbuf o;
	ob_init(&o, buf, sizeof buf);
	guard_status_text(&o);
	return buf;
}

static const char *status_json(void)
{
	static char buf[2048];
	struct outbuf o;
	ob_init(&o, buf, sizeof buf);
	guard_status_json(&o);
	return buf;
}

/* A fresh made-up /proc, config and time for each case. */
static void fresh(uint64_t avail)
{
	kill_kids();
	root = temp_dir();
	guard_set_proc_root(root);
	guard_set_sys_root(root);       /* no balloon driver unless a case makes one */
	set_meminfo(KB_1G, avail);
	memset(&cfg, 0, sizeof cfg);
	cfg.mem = conf();
	T += 60000;     /* past any rate limit of the case before */
	log_mark();
}

static void guard_off_cases(void)
{
	TEST("guard: without [memory] nothing runs and status says off") {
		fresh(1000);
		cfg.mem.present = 0;
		pid_t a = hog(4, "guardhog");
		guard_configure(&cfg, T);
		CHECK_INT(guard_next_deadline(), 0);
		guard_tick(T + 5000);
		guard_kick(T + 5000);
		guard_psi_event(T + 5000);
		CHECK(alive(a));
		CHECK_STR(status_text(), "memory: guard off (no [memory] section)\n");
		CHECK_CONTAINS(status_json(), "\"present\":false,\"guard\":false");
		CHECK_MSG(member_valid(status_json()), "invalid JSON: %s", status_json());
		CHECK_INT(reap(a), -2);
	}
	TEST("guard: guard = no reads MemTotal once a second, never kills") {
		fresh(1000);
		cfg.mem.guard = 0;
		pid_t a = hog(4, "guardhog");
		guard_configure(&cfg, T);
		CHECK_INT(guard_next_deadline(), T + 1000);
		CHECK_INT(guard_memtotal_bytes(), KB_1G * 1024);
		guard_tick(T + 999);                    /* not due: nothing */
		CHECK_INT(guard_next_deadline(), T + 1000);
		set_meminfo(2 * KB_1G, 1000);           /* a balloon gave memory back */
		guard_tick(T + 1000);
		CHECK_INT(guard_next_deadline(), T + 2000);
		CHECK_INT(guard_memtotal_bytes(), 2 * KB_1G * 1024);
		CHECK(alive(a));
		CHECK_CONTAINS(status_text(), "memory: guard off (guard = no)\n");
		CHECK_CONTAINS(status_text(), "memory: MemTotal 2048 MiB, MemAvailable 0 MiB, swap none\n");
		CHECK_INT(reap(a), -2);
	}
	TEST("guard: plenty of memory: one poll a second, no kill") {
		fresh(900000);
		set_meminfo(4 * KB_1G, 3 * KB_1G);      /* more than 1 GiB to spare */
		pid_t a = hog(4, "guardhog");
		guard_configure(&cfg, T);
		CHECK_INT(guard_next_deadline(), T + 1000);
		guard_tick(T + 1000);
		CHECK_INT(guard_next_deadline(), T + 2000);
		set_meminfo(KB_1G, 52428 + 300 * 1024); /* 300 MiB to spare */
		guard_tick(T + 2000);
		CHECK_INT(guard_next_deadline(), T + 2300);
		set_meminfo(KB_1G, 60000);              /* just above the threshold */
		guard_tick(T + 2300);
		CHECK_INT(guard_next_deadline(), T + 2350);
		CHECK(alive(a));
		CHECK_NOT_CONTAINS(log_since(), "memory guard");
		CHECK_INT(reap(a), -2);
	}
}

static void kill_cases(void)
{
	TEST("guard: MemAvailable below the threshold kills the largest process") {
		fresh(40000);
		pid_t small = hog(2, "guardsmall");
		pid_t a = hog(16, "guardhog");
		guard_configure(&cfg, T);
		CHECK_MSG(killed(a), "the largest child was not killed");
		CHECK(alive(small));
		char want[128];
		snprintf(want, sizeof want, "memory guard: killed guardhog (pid %d, ", (int)a);
		const char *log = log_since();
		CHECK_CONTAINS(log, want);
		CHECK_CONTAINS(log, "MiB, swap 0 MiB): MemAvailable 39 MiB < 51 MiB (5% of 1024 MiB)");
		/* below the threshold: the next poll in 50 ms */
		CHECK_INT(guard_next_deadline(), T + 50);
		snprintf(want, sizeof want, "; kills 1, last: guardhog (pid %d, ", (int)a);
		CHECK_CONTAINS(status_text(), want);
		CHECK_CONTAINS(status_text(), "memory: guard on, kill below 51 MiB available (5%), "
			       "swap below 10%; kills 1");
		CHECK_CONTAINS(status_json(), "\"last_kill\":{\"name\":\"guardhog\"");
		CHECK_CONTAINS(status_json(), "\"threshold_kb\":52428");
		CHECK_MSG(member_valid(status_json()), "invalid JSON: %s", status_json());
		gone(a);
		guard_victim_event(T + 50);
		CHECK_CONTAINS(log_since(), "memory guard: guardhog");
		/* still short of memory: the next one goes at once */
		CHECK_MSG(killed(small), "the second child was not killed after the first was gone");
		gone(small);
		guard_victim_event(T + 60);
	}
	TEST("guard: no second victim until the first is gone; a stuck one is given up") {
		fresh(40000);
		pid_t b = hog(2, "guardb");
		pid_t a = hog(8, "guarda");
		guard_configure(&cfg, T);
		CHECK(killed(a));
		/* a is gone but its pidfd event not yet seen: nothing else dies */
		gone(a);
		guard_tick(T + 100);
		guard_tick(T + 2000);
		CHECK(alive(b));
		/* no pidfd event after 3 s: give up waiting, never choose it again */
		guard_tick(T + 3000);
		CHECK_CONTAINS(log_since(), "memory guard: guarda");
		CHECK_MSG(killed(b), "b was not killed after the wait for a ended");
		gone(b);
		guard_victim_event(T + 3100);
	}
	TEST("guard: a victim still listed after 3 s is not chosen again") {
		fresh(40000);
		pid_t b = hog(2, "guardb");
		pid_t a = hog(8, "guarda");
		guard_configure(&cfg, T);
		CHECK(killed(a));
		/* a stays in the made-up /proc, as a process stuck in D would */
		guard_tick(T + 3000);
		CHECK_MSG(killed(b), "the stuck victim was chosen again instead of b");
		gone(a);
		gone(b);
		guard_victim_event(T + 3100);
	}
	TEST("guard: a protected service's main process is never the victim") {
		static struct unit saved_units[MAX_UNITS];
		static struct config saved_active;
		fresh(40000);
		memcpy(saved_units, unit_table, sizeof unit_table);
		memcpy(&saved_active, &active_config, sizeof active_config);
		pid_t a = hog(8, "guardsshd");
		memset(unit_table, 0, sizeof unit_table);
		memset(&active_config, 0, sizeof active_config);
		active_config.nunits = 1;
		active_config.unit[0].protect = 1;
		unit_table[0].used = 1;
		unit_table[0].conf = 0;
		unit_table[0].pid = a;
		guard_configure(&cfg, T);
		CHECK(alive(a));
		CHECK_CONTAINS(log_since(), "but no process may be killed");
		active_config.unit[0].protect = 0;             /* the same, unprotected */
		guard_kick(T + 10);
		CHECK(killed(a));
		memcpy(unit_table, saved_units, sizeof unit_table);
		memcpy(&active_config, &saved_active, sizeof active_config);
		gone(a);
		guard_victim_event(T + 20);
	}
	TEST("guard: never_kill and prefer come from the config") {
		fresh(40000);
		pid_t a = hog(8, "guardbig");
		pid_t b = hog(2, "guardpref");
		pid_t c = hog(4, "guardmid");
		/* pool: [0],[1] empty; "guardbig\0" at 2; "guardpref\0" after */
		memcpy(cfg.pool + 2, "guardbig\0guardpref\0", 19);
		cfg.pool_used = 21;
		cfg.mem.never_kill = 2;
		cfg.mem.never_killc = 1;
		cfg.mem.prefer = 11;
		cfg.mem.preferc = 1;
		guard_configure(&cfg, T);
		CHECK_MSG(killed(b), "the preferred process was not killed first");
		CHECK(alive(c));
		gone(b);
		guard_victim_event(T + 10);
		CHECK_MSG(killed(c), "c should go next");
		CHECK(alive(a));
		gone(c);
		guard_victim_event(T + 20);
		CHECK(alive(a));
		CHECK_INT(reap(a), -2);
	}
}

static void psi_cases(void)
{
	TEST("guard: the PSI trigger is written with its NUL and shown") {
		fresh(900000);
		cfg.mem.psi_stall_us = 300000;
		/* a FIFO stands in for the kernel's file while the trigger is
		 * written: it takes the write and, like the real file, can be
		 * watched by epoll (the loop refuses a regular file); a regular
		 * file again for status, which reads the averages from it (a
		 * FIFO would block that read) */
		char path[512], buf[64];
		snprintf(path, sizeof path, "%s/pressure/memory", root);
		put("pressure/memory", "");
		unlink(path);
		CHECK_INT(mkfifo(path, 0600), 0);
		int rd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		guard_configure(&cfg, T);
		ssize_t r = rd >= 0 ? read(rd, buf, sizeof buf) : -1;
		size_t n = r > 0 ? (size_t)r : 0;
		if (rd >= 0)
			close(rd);
		unlink(path);
		put("pressure/memory", "");
		CHECK_INT(n, sizeof "full 300000 1000000");
		CHECK(n == sizeof "full 300000 1000000" && !memcmp(buf, "full 300000 1000000", n));
		CHECK_CONTAINS(status_text(), ", trigger full 300ms/1s\n");
		CHECK_CONTAINS(status_json(), "\"psi_trigger\":\"full 300000 1000000\"");
		unlink(path);
		CHECK_INT(mkfifo(path, 0600), 0);
		cfg.mem.psi_full = 0;
		cfg.mem.psi_window_us = 2500000;
		guard_configure(&cfg, T + 1);
		unlink(path);
		put("pressure/memory", "");
		CHECK_CONTAINS(status_text(), ", trigger some 300ms/2500ms\n");
		cfg.mem.psi_stall_us = 0;
		guard_configure(&cfg, T + 2);   /* lets go of the FIFO */
	}
	TEST("guard: PSI missing is said once, in the log and in status") {
		fresh(900000);
		cfg.mem.psi_stall_us = 300000;
		guard_configure(&cfg, T);
		CHECK_CONTAINS(log_since(), "memory guard: PSI trigger unavailable (open: ");
		CHECK_CONTAINS(status_text(), "memory: psi unavailable, trigger unavailable (open: ");
		CHECK_CONTAINS(status_json(), "\"psi\":null,\"psi_trigger\":null,\"psi_state\":"
			       "\"unavailable (open: ");
		CHECK_MSG(member_valid(status_json()), "invalid JSON: %s", status_json());
		/* no trigger wanted: nothing said */
		log_mark();
		cfg.mem.psi_stall_us = 0;
		guard_configure(&cfg, T + 1);
		CHECK_NOT_CONTAINS(log_since(), "PSI");
	}
	TEST("guard: a PSI event with plenty of MemAvailable is only logged") {
		fresh(300000);                          /* above 4 x 51 MiB */
		cfg.mem.psi_stall_us = 300000;
		put("pressure/memory", "");
		pid_t a = hog(4, "guardhog");
		guard_configure(&cfg, T);
		/* what the kernel's file would show (the trigger was written) */
		put("pressure/memory", "some avg10=42.00 avg60=10.00 avg300=1.00 total=99\n"
		    "full avg10=30.50 avg60=5.00 avg300=0.50 total=77\n");
		guard_psi_event(T + 10);
		CHECK(alive(a));
		CHECK_CONTAINS(log_since(), "memory guard: PSI memory pressure, but MemAvailable "
			       "is plentiful: no kill");
		CHECK_CONTAINS(status_text(), "memory: psi some 42.00/10.00/1.00 full 30.50/5.00/0.50 "
			       "(avg10/60/300 %)");
		CHECK_CONTAINS(status_json(), "\"psi\":{\"some_avg10\":42.00,");
		CHECK_MSG(member_valid(status_json()), "invalid JSON: %s", status_json());
		/* the same again within 10 s: not logged again */
		guard_psi_event(T + 20);
		CHECK_NOT_CONTAINS(log_since(), "PSI");
		set_meminfo(KB_1G, 150000);             /* below 4 x 51 MiB: kill */
		guard_psi_event(T + 30);
		CHECK_MSG(killed(a), "PSI event below 4x the threshold did not kill");
		CHECK_CONTAINS(log_since(), "): PSI full 300ms/1s stall, MemAvailable 146 MiB");
		CHECK_INT(guard_next_deadline(), T + 60);     /* from the first event */
		gone(a);
		guard_victim_event(T + 40);
	}
}

/* The cgroup of a made-up process, as <pid>/cgroup shows it. */
static void put_cgroup(pid_t pid, const char *path)
{
	char name[32], text[256];
	snprintf(name, sizeof name, "%d/cgroup", (int)pid);
	snprintf(text, sizeof text, "0::%s\n", path);
	put(name, text);
}

/* RSS of a made-up process, from the stat copied into root */
static uint64_t rss_kb(pid_t pid)
{
	char path[512], buf[1024];
	struct proc_stat s;
	snprintf(path, sizeof path, "%s/%d/stat", root, (int)pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	if (victim_parse_stat(buf, (int)n, &s) < 0)
		return 0;
	return s.rss_pages * (uint64_t)(sysconf(_SC_PAGESIZE) / 1024);
}

static void worth_cases(void)
{
	TEST("guard: no kill of a process that would give back less than kill_min_size") {
		fresh(1000);                            /* far below the threshold */
		pid_t a = hog(4, "guardsmall");
		/* the bar just above what it holds (a sanitizer build's children
		 * hold more than they touch), whole MiB */
		cfg.mem.kill_min_size = (rss_kb(a) / 1024 + 4) << 20;
		char bar[64];
		snprintf(bar, sizeof bar, "less than kill_min_size (%llu MiB): no kill",
			 (unsigned long long)(cfg.mem.kill_min_size >> 20));
		guard_configure(&cfg, T);
		CHECK(alive(a));
		const char *l = log_since();
		CHECK_CONTAINS(l, "memory guard: MemAvailable 0 MiB < 51 MiB (5% of "
			       "1024 MiB), but the largest, guardsmall (pid ");
		CHECK_CONTAINS(l, bar);
		/* the same state: not said again, however often it is checked */
		for (int i = 1; i <= 20; i++)
			guard_tick(T + 50 * (uint64_t)i);
		CHECK_NOT_CONTAINS(log_since(), "memory guard");
		CHECK(alive(a));
		/* something worth killing appears: it goes */
		pid_t b = hog(24, "guardbig");
		guard_tick(T + 2000);
		CHECK_MSG(killed(b), "a 24 MiB process was not killed");
		CHECK(alive(a));
		gone(b);
		guard_victim_event(T + 2010);
		/* after a kill, the next decision not to kill is said again */
		CHECK_CONTAINS(log_since(), bar);
		CHECK_INT(reap(a), -2);
	}
	TEST("guard: while MemTotal falls (a balloon), no kill; 10 s after, kills again") {
		fresh(900000);
		pid_t a = hog(12, "guardhog");
		guard_configure(&cfg, T);
		set_meminfo(KB_1G - 100000, 1000);      /* the balloon took 100 MB */
		guard_tick(T + 1000);
		CHECK(alive(a));
		CHECK_CONTAINS(log_since(), "but MemTotal fell 0 ms ago: a balloon is taking "
			       "memory: no kill");
		set_meminfo(KB_1G - 200000, 1000);      /* and more */
		guard_tick(T + 5000);
		guard_tick(T + 14000);
		CHECK(alive(a));
		CHECK_NOT_CONTAINS(log_since(), "memory guard");
		char why[160];
		CHECK_INT(guard_balloon_moving(T + 14000, why, sizeof why), 1);
		CHECK_INT(guard_balloon_moving(T + 15000, why, sizeof why), 0);
		guard_tick(T + 15000);                  /* 10 s since it last fell */
		CHECK_MSG(killed(a), "no kill once the balloon had stopped");
		gone(a);
		guard_victim_event(T + 15010);
	}
	TEST("guard: a bound virtio balloon: MemTotal read once a second, nothing else") {
		fresh(900000);
		put("bus/virtio/drivers/virtio_balloon/virtio3", "");
		cfg.mem.guard = 0;
		guard_configure(&cfg, T);
		CHECK_INT(guard_next_deadline(), T + 1000);
	}
	TEST("guard: Xen's balloon short of its target is a balloon moving") {
		fresh(1000);
		put("devices/system/xen_memory/xen_memory0/target_kb", "131072\n");
		put("devices/system/xen_memory/xen_memory0/info/current_kb", "940000\n");
		pid_t a = hog(12, "guardhog");
		guard_configure(&cfg, T);
		CHECK(alive(a));
		CHECK_CONTAINS(log_since(), "but Xen's balloon wants 789 MiB more (target 128 MiB, "
			       "holds 917 MiB): no kill");
		/* the target reached (or raised again): the guard is back */
		put("devices/system/xen_memory/xen_memory0/target_kb", "940000\n");
		guard_tick(T + 100);
		CHECK_MSG(killed(a), "no kill once Xen's balloon was at its target");
		gone(a);
		guard_victim_event(T + 110);
	}
	TEST("guard: Xen's balloon target below balloon_floor is raised to it; then kills go on") {
		fresh(1000);
		cfg.mem.balloon_floor = 256 << 20;
		put("devices/system/xen_memory/xen_memory0/target_kb", "131072\n");
		put("devices/system/xen_memory/xen_memory0/info/current_kb", "940000\n");
		pid_t a = hog(12, "guardhog");
		guard_configure(&cfg, T);
		char path[512], buf[32] = "";
		snprintf(path, sizeof path, "%s/devices/system/xen_memory/xen_memory0/target_kb", root);
		FILE *f = fopen(path, "r");
		if (f) {
			if (!fgets(buf, sizeof buf, f))
				buf[0] = '\0';
			fclose(f);
		}
		CHECK_STR(buf, "262144\n");    /* written over "131072\n" */
		CHECK_CONTAINS(log_since(), "memory: Xen's balloon target 128 MiB is below "
			       "balloon_floor: raised to 256 MiB");
		/* at the floor, a kill feeds the balloon no further than that */
		CHECK_MSG(killed(a), "no kill with the balloon's target at the floor");
		gone(a);
		guard_victim_event(T + 10);
		/* MemTotal creeping down meanwhile changes nothing */
		pid_t b = hog(12, "guardhog2");
		set_meminfo(KB_1G - 50000, 1000);
		guard_tick(T + 1000);
		CHECK_MSG(killed(b), "no kill while MemTotal fell with the target at the floor");
		gone(b);
		guard_victim_event(T + 1010);
	}
	TEST("guard: while a balloon moves, only a -1000 process goes (the kernel cannot)") {
		fresh(900000);
		pid_t a = hog(16, "guardhog");
		pid_t b = hog(12, "guardimmune");
		char name[32];
		snprintf(name, sizeof name, "%d/oom_score_adj", (int)b);
		put(name, "-1000\n");          /* as the made-up /proc shows it */
		guard_configure(&cfg, T);
		set_meminfo(KB_1G - 100000, 1000);
		guard_tick(T + 1000);
		CHECK_MSG(killed(b), "the -1000 process was not killed");
		CHECK(alive(a));
		CHECK_CONTAINS(log_since(), "a balloon is taking memory, but the kernel cannot "
			       "kill this one (oom_score_adj -1000)");
		gone(b);
		guard_victim_event(T + 1010);
		CHECK(alive(a));                        /* and nobody else */
		CHECK_INT(reap(a), -2);
	}
	TEST("guard: memory going up is no balloon taking it") {
		fresh(900000);
		guard_configure(&cfg, T);
		set_meminfo(2 * KB_1G, 900000);
		guard_tick(T + 1000);
		char why[160];
		CHECK_INT(guard_balloon_moving(T + 1000, why, sizeof why), 0);
	}
}

/* A fake cgroup2 tree (cg_test_root with fake = 1) for the guard. */
static const char *fake_cgroups(void)
{
	static const char *const groups[] = { "lifeline", "lifeline/protected",
		"lifeline/limited", "lifeline/limited/sessions", "lifeline/limited/cron" };
	static const char *const files[] = { "cgroup.procs", "cgroup.subtree_control",
		"memory.min", "memory.max", "memory.high", "memory.current", "memory.stat",
		"pids.max", "cpu.weight" };
	static char dir[512];
	snprintf(dir, sizeof dir, "%s/cg", temp_dir());
	mkdir(dir, 0755);
	write_file(dir, "cgroup.controllers", "memory pids\n", 12);
	write_file(dir, "cgroup.subtree_control", "", 0);
	for (unsigned i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		char p[600];
		snprintf(p, sizeof p, "%s/%s", dir, groups[i]);
		mkdir(p, 0755);
		for (unsigned j = 0; j < sizeof files / sizeof files[0]; j++) {
			snprintf(p, sizeof p, "%s/%s", groups[i], files[j]);
			write_file(dir, p, "", 0);
		}
		snprintf(p, sizeof p, "%s/memory.current", groups[i]);
		write_file(dir, p, "0\n", 2);
		snprintf(p, sizeof p, "%s/memory.events", groups[i]);
		write_file(dir, p, "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n", 36);
	}
	return dir;
}

static void group_cases(void)
{
	const char *cg;
	char text[256];
	TEST("guard: with the memory controller nothing is polled at rest") {
		fresh(900000);
		cg = fake_cgroups();
		cfg.mem.cgroups = 1;
		cg_test_root(cg, 1);
		cg_init(&cfg);
		CHECK(cg_active());
		guard_configure(&cfg, T);
		CHECK_INT(guard_next_deadline(), 0);
		guard_kick(T + 500);                    /* an event with nothing full */
		CHECK_INT(guard_next_deadline(), 0);
		/* memory runs short: watched until it is plentiful again */
		set_meminfo(KB_1G, 150000);
		guard_kick(T + 1000);
		CHECK(guard_next_deadline() > T + 1000 && guard_next_deadline() <= T + 2000);
		set_meminfo(KB_1G, 900000);
		guard_tick(guard_next_deadline());
		CHECK_INT(guard_next_deadline(), 0);
	}
	TEST("guard: the sessions' group at its mark with memory to spare: only a -1000 process goes") {
		pid_t out = hog(16, "guardcron");       /* larger, but not a session */
		pid_t in = hog(8, "guardsess");
		pid_t imm = hog(6, "guardimmune");
		char name[32];
		put_cgroup(out, "/lifeline/limited/cron");
		put_cgroup(in, "/lifeline/limited/sessions/4242");
		put_cgroup(imm, "/lifeline/limited/sessions/4243");
		write_file(cg, "lifeline/limited/sessions/memory.current", "104857600\n", 10);
		write_file(cg, "lifeline/limited/sessions/memory.stat",
			   "anon 96468992\nfile 4194304\nshmem 0\n", 36);
		snprintf(text, sizeof text, "low 0\nhigh 7\nmax 0\noom 0\noom_kill 0\n");
		write_file(cg, "lifeline/limited/sessions/memory.events", text, strlen(text));
		/* no -1000 process there yet: the kernel's business */
		guard_kick(T + 3000);
		CHECK(alive(in));
		CHECK_CONTAINS(log_since(), "no process there is out of the kernel's reach");
		snprintf(name, sizeof name, "%d/oom_score_adj", (int)imm);
		put(name, "-1000\n");
		snprintf(text, sizeof text, "low 0\nhigh 8\nmax 0\noom 0\noom_kill 0\n");
		write_file(cg, "lifeline/limited/sessions/memory.events", text, strlen(text));
		guard_kick(T + 3200);
		CHECK_MSG(killed(imm), "the -1000 session process was not killed");
		CHECK(alive(in));
		CHECK(alive(out));
		CHECK_CONTAINS(log_since(), "): the sessions' group is at its limit (100 MiB, high");
		gone(imm);
		guard_victim_event(T + 3210);
		/* none of these may stand in for the next case's processes */
		CHECK_INT(reap(in), -2);
		CHECK_INT(reap(out), -2);
		gone(in);
		gone(out);
		T += 5000;
	}
	TEST("guard: the sessions' group at its mark while memory is short: its largest goes") {
		pid_t out = hog(16, "guardcron");       /* larger, but not a session */
		pid_t in = hog(8, "guardsess");
		put_cgroup(out, "/lifeline/limited/cron");
		put_cgroup(in, "/lifeline/limited/sessions/4242");
		set_meminfo(KB_1G, 150000);             /* below 4x the threshold */
		snprintf(text, sizeof text, "low 0\nhigh 9\nmax 0\noom 0\noom_kill 0\n");
		write_file(cg, "lifeline/limited/sessions/memory.events", text, strlen(text));
		guard_kick(T + 3000);
		CHECK_MSG(killed(in), "the session's process was not killed");
		CHECK(alive(out));
		CHECK_CONTAINS(log_since(), "): the sessions' group is at its limit (100 MiB, high");
		/* while it sits at its mark: looked at again within 100 ms */
		CHECK(guard_next_deadline() > T + 3000 && guard_next_deadline() <= T + 3100);
		gone(in);
		guard_victim_event(T + 3010);
		CHECK(alive(out));
		CHECK_INT(reap(out), -2);
		set_meminfo(KB_1G, 900000);
		T += 5000;
	}
	TEST("guard: a group full of page cache: no kill, said once") {
		pid_t in = hog(8, "guardsess");
		put_cgroup(in, "/lifeline/limited/sessions/4243");
		write_file(cg, "lifeline/limited/sessions/memory.stat",
			   "anon 20971520\nfile 83886080\nshmem 0\n", 36);
		snprintf(text, sizeof text, "low 0\nhigh 19\nmax 0\noom 0\noom_kill 0\n");
		write_file(cg, "lifeline/limited/sessions/memory.events", text, strlen(text));
		guard_kick(T + 4000);
		CHECK(alive(in));
		CHECK_CONTAINS(log_since(), "but page cache the kernel can drop fills it: no kill");
		snprintf(text, sizeof text, "low 0\nhigh 20\nmax 0\noom 0\noom_kill 0\n");
		write_file(cg, "lifeline/limited/sessions/memory.events", text, strlen(text));
		guard_kick(T + 4200);
		CHECK_NOT_CONTAINS(log_since(), "memory guard");
		CHECK_INT(reap(in), -2);
	}
	TEST("guard: Xen's target held at the floor: the limits are made for what dom0 will "
	     "have, and log and status say both figures") {
		static char buf[4096];
		struct outbuf o;
		cfg.mem.balloon_floor = 256 << 20;
		set_meminfo(KB_1G, 900000);
		put("devices/system/xen_memory/xen_memory0/target_kb", "131072\n");
		put("devices/system/xen_memory/xen_memory0/info/current_kb", "700000\n");
		guard_configure(&cfg, T + 5000);
		/* target 256 MiB, 700000 - 262144 kB still to go: 610720 kB left */
		ob_init(&o, buf, sizeof buf);
		cg_status_json(&o);
		CHECK_CONTAINS(buf, "\"memtotal\":1073741824,\"limits_memtotal\":625377280,");
		ob_init(&o, buf, sizeof buf);
		cg_status_text(&o);
		CHECK_CONTAINS(buf, "(MemTotal 596 MiB - reserve");
		CHECK_CONTAINS(buf, "; MemTotal is 1024 MiB now: the limits are made for what the "
			       "balloon leaves");
		CHECK_CONTAINS(log_since(), "memory: MemTotal 1024 MiB now, 596 MiB once the "
			       "balloon has its target: limit for unprotected processes");
		/* the balloon drains: MemTotal and what Xen holds fall together,
		 * the limits stay, and nothing more is logged about them */
		set_meminfo(KB_1G - 300000, 300000);
		put("devices/system/xen_memory/xen_memory0/info/current_kb", "400000\n");
		guard_tick(T + 7000);
		CHECK_NOT_CONTAINS(log_since(), "MemTotal");
		ob_init(&o, buf, sizeof buf);
		cg_status_json(&o);
		CHECK_CONTAINS(buf, "\"memtotal\":766541824,\"limits_memtotal\":625377280,");
		/* there: one figure again */
		set_meminfo(610720, 100000);
		put("devices/system/xen_memory/xen_memory0/info/current_kb", "262144\n");
		guard_tick(T + 9000);
		ob_init(&o, buf, sizeof buf);
		cg_status_text(&o);
		CHECK_NOT_CONTAINS(buf, "now:");
		CHECK_CONTAINS(buf, "(MemTotal 596 MiB - reserve");
		cfg.mem.balloon_floor = 0;
	}
	cg_test_root("/sys/fs/cgroup", 0);
	cfg.mem.cgroups = 0;
}

void suite_guard(void)
{
	T = now_ms();
	policy_cases();
	guard_off_cases();
	kill_cases();
	psi_cases();
	worth_cases();
	group_cases();
	kill_kids();
	/* leave the guard off and reading /proc for whatever runs next */
	memset(&cfg, 0, sizeof cfg);
	guard_configure(&cfg, T);
	guard_set_proc_root(NULL);
	guard_set_sys_root(NULL);
}
