/* The unit state machine (service.c's service_step), one row per
 * transition: a unit of a one-unit config is put in a state, gets one
 * event, and the row says the state it must be in after and what must
 * have happened (a new process, a signal to the old one, its slot freed,
 * its deadline), and nothing else.  A row whose event the state ignores
 * is a row too.  The real service.c and spawn.c run: a start forks and
 * execs /bin/sleep; a unit's running process is a child of this test. */
#define _GNU_SOURCE
#include "test.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "service.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Global settings every row shares, with values no default has. */
#define GLOBAL "[lifeline]\nstop_timeout = 4s\nspawn_retry = 2s\n"
#define STOP_MS 4000
#define RETRY_MS 2000
#define TASK_MS 3000
#define SVC "[service s]\nexec = /bin/sleep 30\n"
#define MISSING "exec = /nonexistent/lifeline-t-service\n"

#define C_SVC GLOBAL SVC
#define C_EARLY GLOBAL SVC "early = yes\n"
#define C_ONFAIL GLOBAL SVC "restart = on-failure\n"
#define C_NEVER GLOBAL SVC "restart = never\n"
#define C_BAD GLOBAL "[service s]\n" MISSING             /* its exec fails */
#define C_ABSENT GLOBAL "[service s]\n" MISSING "optional = yes\n"
#define C_BOOT GLOBAL "[boot s]\nexec = /bin/sleep 30\ntimeout = 3s\n"
#define C_BOOT_BAD GLOBAL "[boot s]\n" MISSING
#define C_SHUT GLOBAL "[shutdown s]\nexec = /bin/sleep 30\ntimeout = 3s\n"

/* Effects: each one set must be seen, each one not set must not. */
#define FX_SPAWN 1u     /* a new main process, running */
#define FX_TERM 2u      /* the old main process got SIGTERM */
#define FX_KILL 4u      /* ... SIGKILL */
#define FX_FREED 8u     /* the slot is free */

#define PENDING 7000    /* the deadline a unit in backoff, spawn-retry or stopping had */

struct row {
	const char *what;
	const char *conf;       /* C_* */
	enum phase phase;
	enum unit_state from;
	uint8_t after;          /* after_stop before the event */
	uint8_t unwanted;       /* want_up cleared before the event */
	uint32_t crashes;       /* its crash count before the event */
	uint32_t up_ms;         /* how long its main process ran (EV_EXITED) */
	enum unit_event ev;
	int exit;               /* EV_EXITED: the exit code, or minus the signal */
	enum unit_state to;
	unsigned fx;
	uint32_t next;          /* next_ms - now after the event, 0: none */
	uint8_t after_to;       /* after_stop after the event */
	uint32_t crashes_to;
	const char *log;        /* a line the event must log, NULL: not checked */
};

static const struct row rows[] = {
	/* EV_RUN: its turn in the boot or shutdown sequence */
	{ "a service's turn", C_SVC, PH_RUN, ST_WAITING, .ev = EV_RUN,
	  .to = ST_RUNNING, .fx = FX_SPAWN },
	{ "a boot task's turn: its timeout runs", C_BOOT, PH_BOOT, ST_WAITING, .ev = EV_RUN,
	  .to = ST_RUNNING, .fx = FX_SPAWN, .next = TASK_MS },
	{ "exec fails: retried, not a crash", C_BAD, PH_RUN, ST_WAITING, .ev = EV_RUN,
	  .to = ST_SPAWN_WAIT, .next = RETRY_MS, .log = "s: cannot start: " },
	{ "a boot task's exec fails: done", C_BOOT_BAD, PH_BOOT, ST_WAITING, .ev = EV_RUN,
	  .to = ST_DONE, .log = "s: cannot start: " },
	{ "optional, not installed", C_ABSENT, PH_RUN, ST_WAITING, .ev = EV_RUN,
	  .to = ST_ABSENT },
	{ "already running: nothing", C_SVC, PH_RUN, ST_RUNNING, .ev = EV_RUN,
	  .to = ST_RUNNING },
	{ "stopped on purpose: nothing", C_SVC, PH_RUN, ST_DOWN, .ev = EV_RUN, .to = ST_DOWN },

	/* EV_START: lifelinectl start, or a reload added it */
	{ "added after boot", C_SVC, PH_RUN, ST_WAITING, .ev = EV_START,
	  .to = ST_RUNNING, .fx = FX_SPAWN },
	{ "added during boot: waits for the boot tasks", C_SVC, PH_BOOT, ST_WAITING,
	  .ev = EV_START, .to = ST_WAITING },
	{ "early, during boot", C_EARLY, PH_BOOT, ST_WAITING, .ev = EV_START,
	  .to = ST_RUNNING, .fx = FX_SPAWN },
	{ "a boot task added after boot: not run", C_BOOT, PH_RUN, ST_WAITING,
	  .ev = EV_START, .to = ST_DONE },
	{ "a shutdown task added: waits for the shutdown", C_SHUT, PH_RUN, ST_WAITING,
	  .ev = EV_START, .to = ST_WAITING },
	{ "stopped, started again", C_SVC, PH_RUN, ST_DOWN, .unwanted = 1, .ev = EV_START,
	  .to = ST_RUNNING, .fx = FX_SPAWN },
	{ "stopped during boot: waits", C_SVC, PH_BOOT, ST_DOWN, .unwanted = 1,
	  .ev = EV_START, .to = ST_WAITING },
	{ "in backoff: at once, crash count reset", C_SVC, PH_RUN, ST_BACKOFF, .crashes = 3,
	  .ev = EV_START, .to = ST_RUNNING, .fx = FX_SPAWN },
	{ "retrying its exec: tried at once", C_BAD, PH_RUN, ST_SPAWN_WAIT, .ev = EV_START,
	  .to = ST_SPAWN_WAIT, .next = RETRY_MS },
	{ "running: nothing", C_SVC, PH_RUN, ST_RUNNING, .ev = EV_START, .to = ST_RUNNING },
	{ "stopping: starts once stopped", C_SVC, PH_RUN, ST_STOPPING, .unwanted = 1,
	  .ev = EV_START, .to = ST_STOPPING, .next = PENDING, .after_to = AFTER_RESTART },

	/* EV_STOP: lifelinectl stop, or the shutdown */
	{ "running: SIGTERM", C_SVC, PH_RUN, ST_RUNNING, .ev = EV_STOP,
	  .to = ST_STOPPING, .fx = FX_TERM, .next = STOP_MS },
	{ "stopping for a restart: just stops", C_SVC, PH_RUN, ST_STOPPING,
	  .after = AFTER_RESTART, .ev = EV_STOP, .to = ST_STOPPING, .next = PENDING },
	{ "in backoff: down at once", C_SVC, PH_RUN, ST_BACKOFF, .crashes = 3, .ev = EV_STOP,
	  .to = ST_DOWN, .crashes_to = 3 },
	{ "waiting: down at once", C_SVC, PH_BOOT, ST_WAITING, .ev = EV_STOP, .to = ST_DOWN },
	{ "retrying its exec: down at once", C_BAD, PH_RUN, ST_SPAWN_WAIT, .ev = EV_STOP,
	  .to = ST_DOWN },
	{ "down: stays down", C_SVC, PH_RUN, ST_DOWN, .ev = EV_STOP, .to = ST_DOWN },
	{ "not installed: down", C_ABSENT, PH_RUN, ST_ABSENT, .ev = EV_STOP, .to = ST_DOWN },

	/* EV_RESTART: lifelinectl restart, or a reload changed it */
	{ "running: SIGTERM, then a start", C_SVC, PH_RUN, ST_RUNNING, .ev = EV_RESTART,
	  .to = ST_STOPPING, .fx = FX_TERM, .next = STOP_MS, .after_to = AFTER_RESTART },
	{ "down: at once", C_SVC, PH_RUN, ST_DOWN, .unwanted = 1, .ev = EV_RESTART,
	  .to = ST_RUNNING, .fx = FX_SPAWN },
	{ "in backoff: at once, crash count reset", C_SVC, PH_RUN, ST_BACKOFF, .crashes = 3,
	  .ev = EV_RESTART, .to = ST_RUNNING, .fx = FX_SPAWN },
	{ "down during boot: waits", C_SVC, PH_BOOT, ST_DOWN, .ev = EV_RESTART,
	  .to = ST_WAITING },
	{ "down during the shutdown: stays down", C_SVC, PH_SHUTDOWN, ST_DOWN,
	  .ev = EV_RESTART, .to = ST_DOWN },
	{ "stopping: starts once stopped", C_SVC, PH_RUN, ST_STOPPING, .unwanted = 1,
	  .ev = EV_RESTART, .to = ST_STOPPING, .next = PENDING, .after_to = AFTER_RESTART },
	{ "not installed: tried again", C_ABSENT, PH_RUN, ST_ABSENT, .ev = EV_RESTART,
	  .to = ST_ABSENT },

	/* EV_REMOVE: a reload removed it */
	{ "running: SIGTERM, then its slot goes", C_SVC, PH_RUN, ST_RUNNING, .ev = EV_REMOVE,
	  .to = ST_STOPPING, .fx = FX_TERM, .next = STOP_MS, .after_to = AFTER_REMOVE },
	{ "down: slot freed", C_SVC, PH_RUN, ST_DOWN, .ev = EV_REMOVE, .fx = FX_FREED },
	{ "in backoff: slot freed", C_SVC, PH_RUN, ST_BACKOFF, .ev = EV_REMOVE,
	  .fx = FX_FREED },
	{ "a boot task done: slot freed", C_BOOT, PH_RUN, ST_DONE, .ev = EV_REMOVE,
	  .fx = FX_FREED },
	{ "stopping: its slot goes once stopped", C_SVC, PH_RUN, ST_STOPPING,
	  .ev = EV_REMOVE, .to = ST_STOPPING, .next = PENDING, .after_to = AFTER_REMOVE },

	/* EV_EXITED: its main process died */
	{ "failed, first crash: restarted at once", C_SVC, PH_RUN, ST_RUNNING,
	  .ev = EV_EXITED, .exit = 1, .to = ST_RUNNING, .fx = FX_SPAWN, .crashes_to = 1,
	  .log = "s: exited 1 after 1.000s; restarting in 0ms" },
	{ "failed, fourth crash: backoff", C_SVC, PH_RUN, ST_RUNNING, .crashes = 3,
	  .ev = EV_EXITED, .exit = 1, .to = ST_BACKOFF, .next = 400, .crashes_to = 4,
	  .log = "restarting in 400ms" },
	{ "failed after stable_after: crash count reset", C_SVC, PH_RUN, ST_RUNNING,
	  .crashes = 3, .up_ms = 61000, .ev = EV_EXITED, .exit = 1, .to = ST_RUNNING,
	  .fx = FX_SPAWN, .crashes_to = 1 },
	{ "killed from outside: at once, crash count kept", C_SVC, PH_RUN, ST_RUNNING,
	  .crashes = 3, .ev = EV_EXITED, .exit = -SIGKILL, .to = ST_RUNNING,
	  .fx = FX_SPAWN, .crashes_to = 3 },
	{ "failed, its exec now fails: retried", C_BAD, PH_RUN, ST_RUNNING, .ev = EV_EXITED,
	  .exit = 1, .to = ST_SPAWN_WAIT, .next = RETRY_MS, .crashes_to = 1 },
	{ "on-failure, exit 0: down", C_ONFAIL, PH_RUN, ST_RUNNING, .ev = EV_EXITED,
	  .exit = 0, .to = ST_DOWN, .log = "s: exited 0 after 1.000s; not restarting" },
	{ "on-failure, exit 1: restarted", C_ONFAIL, PH_RUN, ST_RUNNING, .ev = EV_EXITED,
	  .exit = 1, .to = ST_RUNNING, .fx = FX_SPAWN, .crashes_to = 1 },
	{ "restart = never: down", C_NEVER, PH_RUN, ST_RUNNING, .ev = EV_EXITED, .exit = 1,
	  .to = ST_DOWN },
	{ "no longer wanted: down", C_SVC, PH_RUN, ST_RUNNING, .unwanted = 1,
	  .ev = EV_EXITED, .exit = 1, .to = ST_DOWN },
	{ "services stopping for the shutdown: down", C_SVC, PH_STOPPING, ST_RUNNING,
	  .ev = EV_EXITED, .exit = 1, .to = ST_DOWN },
	{ "during the shutdown tasks: restarted", C_SVC, PH_SHUTDOWN, ST_RUNNING,
	  .ev = EV_EXITED, .exit = 1, .to = ST_RUNNING, .fx = FX_SPAWN, .crashes_to = 1 },
	{ "a boot task: done", C_BOOT, PH_BOOT, ST_RUNNING, .ev = EV_EXITED, .exit = 0,
	  .to = ST_DONE, .log = "s: exited 0 after 1.000s" },
	{ "stopping: down", C_SVC, PH_RUN, ST_STOPPING, .unwanted = 1, .ev = EV_EXITED,
	  .exit = -SIGTERM, .to = ST_DOWN, .log = "s: killed by SIGTERM after 1.000s; stopped" },
	{ "stopping for a restart: started", C_SVC, PH_RUN, ST_STOPPING,
	  .after = AFTER_RESTART, .crashes = 3, .ev = EV_EXITED, .exit = -SIGTERM,
	  .to = ST_RUNNING, .fx = FX_SPAWN },
	{ "stopping for a restart during boot: waits", C_SVC, PH_BOOT, ST_STOPPING,
	  .after = AFTER_RESTART, .ev = EV_EXITED, .exit = -SIGTERM, .to = ST_WAITING },
	{ "stopping for a removal: slot freed", C_SVC, PH_RUN, ST_STOPPING,
	  .after = AFTER_REMOVE, .unwanted = 1, .ev = EV_EXITED, .exit = -SIGTERM,
	  .fx = FX_FREED },

	/* EV_DEADLINE: its next_ms has passed */
	{ "backoff over: started", C_SVC, PH_RUN, ST_BACKOFF, .crashes = 3,
	  .ev = EV_DEADLINE, .to = ST_RUNNING, .fx = FX_SPAWN, .crashes_to = 3 },
	{ "backoff over, no longer wanted: down", C_SVC, PH_RUN, ST_BACKOFF, .unwanted = 1,
	  .ev = EV_DEADLINE, .to = ST_DOWN },
	{ "backoff over while services stop: down", C_SVC, PH_STOPPING, ST_BACKOFF,
	  .ev = EV_DEADLINE, .to = ST_DOWN },
	{ "backoff over during the shutdown tasks: started", C_SVC, PH_SHUTDOWN, ST_BACKOFF,
	  .ev = EV_DEADLINE, .to = ST_RUNNING, .fx = FX_SPAWN },
	{ "exec retry, fails again", C_BAD, PH_RUN, ST_SPAWN_WAIT, .ev = EV_DEADLINE,
	  .to = ST_SPAWN_WAIT, .next = RETRY_MS },
	{ "exec retry, works now", C_SVC, PH_RUN, ST_SPAWN_WAIT, .ev = EV_DEADLINE,
	  .to = ST_RUNNING, .fx = FX_SPAWN },
	{ "stop_timeout passed: SIGKILL", C_SVC, PH_RUN, ST_STOPPING, .ev = EV_DEADLINE,
	  .to = ST_STOPPING, .fx = FX_KILL, .log = "s: still running 4000ms after SIGTERM" },
	{ "a task past its timeout: killed, done", C_BOOT, PH_BOOT, ST_RUNNING,
	  .ev = EV_DEADLINE, .to = ST_DONE, .fx = FX_KILL,
	  .log = "s: boot task timed out after 3000ms; killed, moving on" },
	{ "a service running: nothing", C_SVC, PH_RUN, ST_RUNNING, .ev = EV_DEADLINE,
	  .to = ST_RUNNING },
	{ "down: nothing", C_SVC, PH_RUN, ST_DOWN, .ev = EV_DEADLINE, .to = ST_DOWN },

	/* EV_SHUTDOWN: the shutdown begins */
	{ "a boot task running: killed, done", C_BOOT, PH_BOOT, ST_RUNNING,
	  .ev = EV_SHUTDOWN, .to = ST_DONE, .fx = FX_KILL },
	{ "a service waiting: down", C_SVC, PH_BOOT, ST_WAITING, .ev = EV_SHUTDOWN,
	  .to = ST_DOWN },
	{ "a service running: nothing", C_SVC, PH_RUN, ST_RUNNING, .ev = EV_SHUTDOWN,
	  .to = ST_RUNNING },
	{ "a boot task waiting: nothing", C_BOOT, PH_BOOT, ST_WAITING, .ev = EV_SHUTDOWN,
	  .to = ST_WAITING },
	{ "a shutdown task waiting: nothing", C_SHUT, PH_RUN, ST_WAITING, .ev = EV_SHUTDOWN,
	  .to = ST_WAITING },
};

static const char *const state_word[] = {
	[ST_WAITING] = "waiting", [ST_RUNNING] = "running", [ST_BACKOFF] = "backoff",
	[ST_SPAWN_WAIT] = "spawn-retry", [ST_STOPPING] = "stopping", [ST_DOWN] = "down",
	[ST_DONE] = "done", [ST_ABSENT] = "not-installed",
};
static const char *const event_word[] = {
	[EV_RUN] = "RUN", [EV_START] = "START", [EV_STOP] = "STOP", [EV_RESTART] = "RESTART",
	[EV_REMOVE] = "REMOVE", [EV_EXITED] = "EXITED", [EV_DEADLINE] = "DEADLINE",
	[EV_SHUTDOWN] = "SHUTDOWN",
};

static struct config_parser parser;
static struct config cfg;
static struct capture cap;

/* In a child: wait for a signal, which ends it (a unit's process has
 * default signals, as spawn.c gives it). */
static void wait_for_end(void)
{
	sigset_t none;
	sigemptyset(&none);
	signal(SIGTERM, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (;;)
		pause();
}

/* A process of our own that lives until it is signalled. */
static pid_t live_child(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		setsid();
		wait_for_end();
	}
	return pid;
}

/* A process that has died as e says (see struct row), reaped; *ws its
 * wait status. */
static pid_t dead_child(int e, int *ws)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (e >= 0)
			_exit(e);
		wait_for_end();
	}
	if (pid > 0 && e < 0)
		kill(pid, -e);
	if (pid > 0)
		waitpid(pid, ws, 0);
	return pid;
}

/* How pid ended within ms: its signal, or 0 if it still runs (then it is
 * left running). */
static int ended_by(pid_t pid, int ms)
{
	for (int i = 0; i <= ms; i += 5) {
		int ws;
		if (waitpid(pid, &ws, WNOHANG) == pid)
			return WIFSIGNALED(ws) ? WTERMSIG(ws) : -1;
		nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
	}
	return 0;
}

static void reap(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* The unit of r's config, put in r's state. */
static struct unit *set_up(const struct row *r, uint64_t now, pid_t *child, int *ws)
{
	memset(unit_table, 0, sizeof unit_table);
	/* taken in without starting anything (a boot task is then done) */
	boot_phase = PH_STOPPING;
	parse_text(&parser, &cfg, &cap, r->conf, -1);
	CHECK_INT(cfg.nunits, 1);
	service_reload(&cfg);
	struct unit *u = &unit_table[0];
	CHECK(u->used && !strcmp(u->name, "s") && u->pid == 0);
	boot_phase = r->phase;
	u->state = (uint8_t)r->from;
	u->after_stop = r->after;
	u->crashes = r->crashes;
	if (r->unwanted)
		u->want_up = 0;
	if (r->from == ST_BACKOFF || r->from == ST_SPAWN_WAIT || r->from == ST_STOPPING)
		u->next_ms = now + PENDING;
	*child = 0;
	if (r->ev == EV_EXITED)
		*child = dead_child(r->exit, ws);
	else if (r->from == ST_RUNNING || r->from == ST_STOPPING)
		*child = live_child();
	u->pid = *child;
	u->started_ms = now - (r->up_ms ? r->up_ms : 1000);
	return u;
}

/* Nothing left running, no pipe left open: the table as the next row
 * (and suite) expects it. */
static void tear_down(struct unit *u, pid_t child)
{
	if (u->used && u->pid != child)
		reap(u->pid);
	if (child > 0 && kill(child, 0) == 0)
		reap(child);
	for (int i = 0; i < MAX_UNITS; i++)
		if (unit_table[i].used) {
			unit_table[i].pid = 0;
			unit_table[i].state = ST_DOWN;
		}
	memset(&cfg, 0, sizeof cfg);
	service_reload(&cfg);
	memset(unit_table, 0, sizeof unit_table);
	boot_phase = PH_BOOT;
}

static void check_row(const struct row *r)
{
	uint64_t now = now_ms(), cursor = log_ring_head();
	pid_t child;
	int ws = 0;
	struct unit *u = set_up(r, now, &child, &ws);
	int live = child > 0 && r->ev != EV_EXITED;

	service_step(u, r->ev, now, ws);

	if (r->fx & FX_FREED) {
		CHECK_MSG(!u->used, "the slot is still in use (state %s)", state_word[u->state]);
	} else {
		CHECK(u->used);
		CHECK_MSG(u->state == r->to, "state %s, expected %s", state_word[u->state],
			  state_word[r->to]);
		if (r->fx & FX_SPAWN)
			CHECK_MSG(u->pid > 0 && u->pid != child && kill(u->pid, 0) == 0,
				  "no new main process (pid %d)", (int)u->pid);
		else if (u->state == ST_RUNNING || u->state == ST_STOPPING)
			CHECK_MSG(u->pid == child, "pid %d, expected %d", (int)u->pid, (int)child);
		else
			CHECK_INT(u->pid, 0);
		CHECK_INT(u->next_ms ? u->next_ms - now : 0, r->next);
		CHECK_INT(u->after_stop, r->after_to);
		CHECK_INT(u->crashes, r->crashes_to);
	}
	if (live) {
		int sig = r->fx & FX_TERM ? SIGTERM : r->fx & FX_KILL ? SIGKILL : 0;
		CHECK_INT(ended_by(child, sig ? 2000 : 20), sig);
	}
	if (r->log) {
		char buf[4096];
		size_t n = log_ring_read(&cursor, buf, sizeof buf - 1);
		buf[n] = '\0';
		CHECK_CONTAINS(buf, r->log);
	}
	tear_down(u, child);
}

void suite_service(void)
{
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		TEST("step: %s --%s--> %s: %s", state_word[r->from], event_word[r->ev],
		     r->fx & FX_FREED ? "(slot freed)" : state_word[r->to], r->what)
			check_row(r);
	}
	TEST("step: the table has a row for every event") {
		unsigned seen = 0;
		for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
			seen |= 1u << rows[i].ev;
		CHECK_INT(seen, (1u << (EV_SHUTDOWN + 1)) - 1);
	}
}
