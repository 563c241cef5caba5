/* See service.h.  The unit state machine: every change of a unit's state
 * goes through service_step(unit, event); enter() writes it, and only
 * service_step leads there.  The states are enum unit_state (unittab.h),
 * the events enum unit_event (service.h).  What each event does, by state
 * (a state not named: nothing):
 *
 *   EV_RUN       its turn in the boot or shutdown sequence (an early service
 *                at boot, each task in config order, the other services once
 *                the boot tasks are done): waiting -> start.
 *   EV_START     lifelinectl start, or a reload added it: stopping -> it starts
 *                again once stopped; running: nothing; otherwise start if it
 *                may (may_start), a boot task -> done (a reload runs none),
 *                else -> waiting (for the boot tasks, or the shutdown).
 *   EV_STOP      lifelinectl stop or restart, the shutdown, a reload that
 *   EV_RESTART   changed or removed it: running -> SIGTERM, stopping (SIGKILL at
 *   EV_REMOVE    its deadline); stopping: the new intent replaces the old; any
 *                other state: the stop is over at once.
 *   EV_EXITED    its main process died: stopping -> the stop is over; a task ->
 *                done; a service, by its restart policy: restarted at once,
 *                backoff (restart at next_ms) or down.
 *   EV_DEADLINE  next_ms has passed: backoff, spawn-retry -> start (down if no
 *                longer wanted, or services are stopping); stopping: SIGKILL;
 *                a task running -> killed, done.
 *   EV_SHUTDOWN  the shutdown begins: a boot task running -> killed, done; a
 *                service waiting -> down.
 *
 * A stop that is over -> down, then by what was asked: REMOVE frees the slot;
 * RESTART starts it if it may, else -> waiting while the boot tasks run.
 * A start forks and execs (spawn.c): -> running; failed -> spawn-retry (a
 * task: done); its program not installed (optional = yes) -> absent.
 * tests/unit/t_service.c has a row for each of these (docs/design.md, "The
 * life of a service"). */
#define _GNU_SOURCE
#include "service.h"
#include "fmt.h"
#include "backoff.h"
#include "cgroup.h"
#include "guard.h"
#include "clock.h"
#include "loop.h"
#include "oomwatch.h"
#include "protect.h"
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int unslotted;   /* units of the active config without a slot */
/* Stopping for a shutdown ends by this time (0: not stopping), whether or
 * not every main process is gone: one stuck in the kernel (D state, on a
 * dead disk) never is, and the machine must still go down. */
static uint64_t stop_deadline;
#define STOP_KILL_GRACE_MS 5000 /* after stop_timeout's SIGKILL */

static void flush_partial(struct unit *u);
static void emit_suppressed(struct unit *u);

static const struct unit_conf *conf_of(const struct unit *u)
{
	return u->conf >= 0 ? &active_config.unit[u->conf] : NULL;
}

/* Whether u's output goes to /dev/kmsg too (its config's kmsg, default yes;
 * a unit being removed keeps the default). */
static int to_kmsg(const struct unit *u)
{
	const struct unit_conf *c = conf_of(u);
	return !c || !c->no_kmsg;
}

static int facility(const struct unit *u)
{
	const struct unit_conf *c = conf_of(u);
	return c ? c->syslog_facility : LOG_FAC_DAEMON;
}

static int find(const char *name)
{
	for (int i = 0; i < MAX_UNITS; i++)
		if (unit_table[i].used && !strcmp(unit_table[i].name, name))
			return i;
	return -1;
}

/* The pipe that carries u's output to the log.  A pipe the loop does not
 * watch would never be read, and a chatty service would then block on it:
 * without both, output goes to /dev/null, said once, and this is tried
 * again at u's next start. */
static void output_pipe(struct unit *u)
{
	int p[2], err = 0;
	const char *failed = NULL;
	if (u->out_r >= 0)
		return;
	if (pipe2(p, O_CLOEXEC) < 0) {
		failed = "no output pipe";
		err = errno;
	} else {
		/* only our end is non-blocking: a service must not see EAGAIN */
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		if (loop_add(p[0], LOOP_TAG(TAG_OUTPUT, (int)(u - unit_table))) < 0) {
			failed = "cannot watch its output pipe";
			err = errno;
			close(p[0]);
			close(p[1]);
		}
	}
	if (failed) {
		if (!u->said_no_pipe++)
			log_msg(LOG_WARN, "%s: %s (%s); output goes to /dev/null (tried again "
				"at each start)", u->name, failed, strerror(err));
		return;
	}
	if (u->said_no_pipe)
		log_msg(LOG_NOTICE, "%s: output goes to the log again", u->name);
	u->said_no_pipe = 0;
	u->out_r = p[0];
	u->out_w = p[1];
}

_Static_assert(ST_WAITING == 0, "a zeroed slot is a waiting unit");

static int slot_new(int conf_idx)
{
	for (int i = 0; i < MAX_UNITS; i++) {
		struct unit *u = &unit_table[i];
		if (u->used)
			continue;
		memset(u, 0, sizeof *u);     /* ST_WAITING, where every unit begins */
		u->used = 1;
		u->conf = conf_idx;
		u->kind = active_config.unit[conf_idx].kind;
		memcpy(u->name, active_config.unit[conf_idx].name, NAME_MAX_LEN);
		u->want_up = u->kind == UNIT_SERVICE;
		u->out_r = u->out_w = -1;
		ratelimit_reset(&u->rl);
		output_pipe(u);
		return i;
	}
	return -1;
}

static void place_unslotted(uint64_t now);

static void slot_free(struct unit *u)
{
	if (u->out_r >= 0) {
		flush_partial(u);
		loop_del(u->out_r);
		close(u->out_r);
	}
	if (u->out_w >= 0)
		close(u->out_w);
	u->used = 0;
	if (unslotted)
		place_unslotted(now_ms());
}

static const char *kind_word(const struct unit *u)
{
	return u->kind == UNIT_BOOT ? "boot task" :
	       u->kind == UNIT_SHUTDOWN ? "shutdown task" : "service";
}

/* Services start once boot tasks are done, early ones at once. */
static int may_start(const struct unit *u)
{
	const struct unit_conf *c = conf_of(u);
	return c && u->kind == UNIT_SERVICE && u->want_up &&
	       (boot_phase == PH_RUN || (c->early && boot_phase <= PH_RUN));
}

/* What the last start attempt has to say, logged by say_started() so that
 * a caller can log its own line first without delaying the start. */
enum { SAY_NOTHING, SAY_FAILED, SAY_RECOVERED };
static struct {
	struct unit *u;
	int what;
	uint32_t attempts;
	const char *warn_step;
	int warn_err;
} said;

static void say_started(void)
{
	struct unit *u = said.u;
	if (!u)
		return;
	if (said.what == SAY_FAILED)
		log_msg(LOG_ERR, "%s: cannot start: %s: %s%s", u->name, u->spawn_step,
			strerror(u->spawn_err),
			u->kind == UNIT_SERVICE ? " (will keep retrying)" : "");
	else if (said.what == SAY_RECOVERED)
		log_msg(LOG_NOTICE, "%s: started after %u failed attempts", u->name,
			said.attempts);
	if (said.warn_step)
		log_msg(LOG_WARN, "%s: running without %s: %s", u->name, said.warn_step,
			strerror(said.warn_err));
	said.u = NULL;
}

/* Try to start u now, quietly (see say_started): the state it is in after
 * the attempt, which the caller enters.  A failed fork or exec is not a
 * crash: it is retried on a timer, and logged only when the reason
 * changes. */
static enum unit_state spawn_now(struct unit *u, uint64_t now)
{
	const struct unit_conf *c = conf_of(u);
	struct spawn_error e;
	said.u = u;
	said.what = SAY_NOTHING;
	said.warn_step = NULL;
	if (!c)
		return (enum unit_state)u->state;
	if (c->not_installed) {
		/* said once at load (config.c); a reload after installing starts it */
		u->next_ms = 0;
		return ST_ABSENT;
	}
	output_pipe(u);         /* again, if it failed before */
	int cg_fd = cg_active() ? cg_unit_prepare(&active_config, c) : -1;
	pid_t pid = spawn_unit(&active_config, c, u->out_w, cg_fd, &e);
	if (cg_fd >= 0)
		close(cg_fd);
	if (pid < 0) {
		if (!u->spawn_failing || u->spawn_step != e.step || u->spawn_err != e.err)
			said.what = SAY_FAILED;
		u->spawn_failing = 1;
		u->spawn_step = e.step;
		u->spawn_err = e.err;
		u->spawn_failures++;
		if (u->kind != UNIT_SERVICE) {
			u->last_exit.kind = EXIT_NONE;
			return ST_DONE;
		}
		u->next_ms = now + active_config.spawn_retry_ms;
		return ST_SPAWN_WAIT;
	}
	if (u->spawn_failing) {
		said.what = SAY_RECOVERED;
		said.attempts = u->spawn_failures;
	}
	if (e.warn_step && (e.warn_step != u->warn_step || e.warn_err != u->warn_err)) {
		said.warn_step = e.warn_step;
		said.warn_err = e.warn_err;
	}
	u->warn_step = e.warn_step;
	u->warn_err = e.warn_err;
	u->spawn_failing = 0;
	u->spawn_failures = 0;
	u->pid = pid;
	u->started_ms = now;
	u->protect_at = c->protect && c->oom_score_adj != OOM_ADJ_UNSET && !c->tty
		? now + PROTECT_DELAY_MS : 0;   /* a tty's unit: at its start (spawn.c) */
	u->oom_kills_seen = -1;
	cg_unit_oom_killed(c, &u->oom_kills_seen);     /* records the count */
	protect_refresh_watch();
	u->next_ms = u->kind == UNIT_SERVICE ? 0 : now + c->timeout_ms;
	return ST_RUNNING;
}

static void log_exit(const struct unit *u, uint64_t up, const char *then)
{
	char why[64];
	exit_format(&u->last_exit, why, sizeof why);
	log_msg(u->last_exit.kind == EXIT_CODE && u->last_exit.value == 0 ? LOG_INFO : LOG_WARN,
		"%s: %s after %lu.%03lus%s", u->name, why, (unsigned long)(up / 1000),
		(unsigned long)(up % 1000), then);
}

/* Was it the OOM killer?  Reading the kernel's counters costs a few
 * hundred microseconds, so it is done after any immediate restart.  With
 * cgroups, the group's memory.events counts every OOM kill in it (the
 * kernel's, global or of the group's limit); base is the count when the
 * process started.  Without, the kernel log names the victims. */
static void attribute_oom(struct unit *u, pid_t pid, int wstatus, int64_t base)
{
	int named = 0, seen = 0;
	if (WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) {
		oomwatch_check(pid, &named, &seen);
		const struct unit_conf *c = conf_of(u);
		if ((c && cg_unit_oom_killed(c, &base)) || guard_killed(pid))
			named = 1;
		exit_classify(wstatus, named, seen, &u->last_exit);
	}
}

/* How long to wait before restarting u, which just died.  A service
 * killed from outside (the kernel's OOM killer, the guard, an admin's
 * SIGKILL) did not fail by itself: every moment without it may be a moment
 * without access, and an OOM killer working through a short-memory machine
 * kills the same daemon again and again, so it comes straight back however
 * often that happens and its crash count stays as it was.  Only a storm
 * faster than OUTSIDE_BURST deaths a second is spaced OUTSIDE_SPACING_MS
 * apart (a service the kernel kills the moment it starts, say a memory_max
 * too small for it, must not keep PID 1 busy).  A service that fails by
 * itself backs off: 0, then 100 ms doubling up to its restart_delay_max. */
#define OUTSIDE_BURST 20
#define OUTSIDE_SPACING_MS 100
static uint32_t restart_delay(struct unit *u, const struct unit_conf *c, uint64_t now)
{
	/* a getty's clean exit is a logout (login exits 0 whatever the
	 * shell did): the next prompt at once, however often */
	int logout = c->tty && u->last_exit.kind == EXIT_CODE && u->last_exit.value == 0;
	if (exit_killed_from_outside(&u->last_exit) || logout) {
		if (now >= u->kills_window_ms + 1000) {
			u->kills_window_ms = now;
			u->kills_in_window = 0;
		}
		return ++u->kills_in_window > OUTSIDE_BURST ? OUTSIDE_SPACING_MS : 0;
	}
	return backoff_delay_ms(u->crashes++, c->restart_max_ms);
}

/* The one place a unit's state is written (see the top of this file). */
static void enter(struct unit *u, enum unit_state st)
{
	u->state = (uint8_t)st;
}

/* Start u now; what the attempt has to say is said at once. */
static void start(struct unit *u, uint64_t now)
{
	enter(u, spawn_now(u, now));
	say_started();
}

static void signal_unit(struct unit *u, int sig)
{
	if (u->pid > 0)
		kill(u->pid, sig);
}

/* u's stop is over (its main process gone, or none was running): down,
 * then what the stop was for. */
static void stop_over(struct unit *u, uint64_t now)
{
	enum after_stop then = (enum after_stop)u->after_stop;
	enter(u, ST_DOWN);
	u->next_ms = 0;
	u->after_stop = AFTER_NOTHING;
	if (then == AFTER_REMOVE) {
		slot_free(u);
	} else if (then == AFTER_RESTART && may_start(u)) {
		u->crashes = 0;
		start(u, now);
	} else if (then == AFTER_RESTART && u->want_up && boot_phase < PH_RUN) {
		enter(u, ST_WAITING);
	}
}

static void on_start(struct unit *u, uint64_t now)
{
	if (u->kind == UNIT_SERVICE)
		u->want_up = 1;
	if (u->state == ST_STOPPING) {
		u->after_stop = AFTER_RESTART;
	} else if (u->state == ST_RUNNING) {
		return;
	} else if (may_start(u)) {
		u->crashes = 0;
		start(u, now);
	} else if (u->kind == UNIT_BOOT) {
		enter(u, ST_DONE);      /* added by a reload: not run */
	} else {
		enter(u, ST_WAITING);   /* starts when the boot tasks are done */
	}
}

/* EV_STOP, EV_RESTART, EV_REMOVE: a stop, then what it is for. */
static void on_stop(struct unit *u, uint64_t now, enum after_stop then)
{
	u->want_up = then == AFTER_RESTART;
	if (then == AFTER_RESTART)
		u->crashes = 0;
	u->after_stop = (uint8_t)then;
	if (u->state == ST_RUNNING) {
		signal_unit(u, SIGTERM);
		enter(u, ST_STOPPING);
		u->next_ms = now + active_config.stop_timeout_ms;
	} else if (u->state != ST_STOPPING) {
		stop_over(u, now);      /* nothing running: at once */
	}
}

/* Whether u, a service whose main process just died, starts again. */
static int restart_wanted(const struct unit *u, const struct unit_conf *c)
{
	return c && u->want_up && boot_phase <= PH_SHUTDOWN &&
	       (c->restart == RESTART_ALWAYS ||
		(c->restart == RESTART_ON_FAILURE && exit_is_failure(&u->last_exit)));
}

static void on_exited(struct unit *u, uint64_t now, int wstatus)
{
	pid_t pid = u->pid;
	uint64_t up = now - u->started_ms;
	int64_t base = u->oom_kills_seen;
	exit_classify(wstatus, 0, 0, &u->last_exit);
	u->pid = 0;
	u->protect_at = 0;
	protect_refresh_watch();
	flush_partial(u);
	const struct unit_conf *c = conf_of(u);

	if (u->state == ST_STOPPING) {
		attribute_oom(u, pid, wstatus, base);
		log_exit(u, up, "; stopped");
		stop_over(u, now);
		return;
	}
	if (u->kind != UNIT_SERVICE) {
		attribute_oom(u, pid, wstatus, base);
		log_exit(u, up, "");
		enter(u, ST_DONE);
		u->next_ms = 0;
		return;
	}
	if (c && up >= c->stable_ms)
		u->crashes = 0;
	if (!restart_wanted(u, c)) {
		attribute_oom(u, pid, wstatus, base);
		log_exit(u, up, "; not restarting");
		enter(u, ST_DOWN);
		u->next_ms = 0;
		return;
	}
	uint32_t delay = restart_delay(u, c, now);
	u->restarts++;
	if (delay == 0) {
		enter(u, spawn_now(u, now));    /* first: a restart waits for nothing */
	} else {
		enter(u, ST_BACKOFF);
		u->next_ms = now + delay;
	}
	attribute_oom(u, pid, wstatus, base);
	char then[48];
	fmt(then, sizeof then, "; restarting in %lums", (unsigned long)delay);
	log_exit(u, up, then);
	if (delay == 0)
		say_started();  /* after the exit it follows */
}

static void on_deadline(struct unit *u, uint64_t now)
{
	u->next_ms = 0;
	switch (u->state) {
	case ST_BACKOFF:
	case ST_SPAWN_WAIT:
		if (u->want_up && boot_phase <= PH_SHUTDOWN)
			start(u, now);
		else
			enter(u, ST_DOWN);
		break;
	case ST_STOPPING:
		log_msg(LOG_WARN, "%s: still running %lums after SIGTERM; sending SIGKILL",
			u->name, (unsigned long)active_config.stop_timeout_ms);
		signal_unit(u, SIGKILL);
		break;
	case ST_RUNNING:
		if (u->kind == UNIT_SERVICE)
			break;
		/* A task past its timeout: kill it and move on without
		 * waiting, since a task stuck in D state never dies. */
		log_msg(LOG_ERR, "%s: %s timed out after %lums; killed, moving on",
			u->name, kind_word(u), (unsigned long)conf_of(u)->timeout_ms);
		kill(-u->pid, SIGKILL);
		kill(u->pid, SIGKILL);
		u->pid = 0;
		enter(u, ST_DONE);
		u->last_exit.kind = EXIT_SIGNAL;
		u->last_exit.value = SIGKILL;
		break;
	default:
		break;
	}
}

/* A boot task still running is abandoned, like one that timed out; a
 * service still waiting for the boot tasks will not start. */
static void on_shutdown(struct unit *u)
{
	if (u->kind == UNIT_BOOT && u->state == ST_RUNNING) {
		kill(u->pid, SIGKILL);
		u->pid = 0;
		enter(u, ST_DONE);
	} else if (u->kind == UNIT_SERVICE && u->state == ST_WAITING) {
		enter(u, ST_DOWN);
	}
}

void service_step(struct unit *u, enum unit_event ev, uint64_t now, int wstatus)
{
	switch (ev) {
	case EV_RUN:
		if (u->state == ST_WAITING)
			start(u, now);
		break;
	case EV_START:
		on_start(u, now);
		break;
	case EV_STOP:
		on_stop(u, now, AFTER_NOTHING);
		break;
	case EV_RESTART:
		on_stop(u, now, AFTER_RESTART);
		break;
	case EV_REMOVE:
		on_stop(u, now, AFTER_REMOVE);
		break;
	case EV_EXITED:
		on_exited(u, now, wstatus);
		break;
	case EV_DEADLINE:
		on_deadline(u, now);
		break;
	case EV_SHUTDOWN:
		on_shutdown(u);
		break;
	}
}

/* Start the next boot or shutdown task, or move to the next phase. */
static void advance(uint64_t now)
{
	for (;;) {
		if (boot_phase == PH_BOOT || boot_phase == PH_SHUTDOWN) {
			int kind = boot_phase == PH_BOOT ? UNIT_BOOT : UNIT_SHUTDOWN;
			int busy = 0, started = 0;
			/* in config order, whatever slots reloads gave them */
			for (int k = 0; k < active_config.nunits && !busy && !started; k++) {
				struct unit *u = NULL;
				for (int i = 0; i < MAX_UNITS && !u; i++)
					if (unit_table[i].used && unit_table[i].conf == k)
						u = &unit_table[i];
				if (!u || u->kind != kind)
					continue;
				if (u->state == ST_RUNNING)
					busy = 1;
				else if (u->state == ST_WAITING) {
					log_msg(LOG_INFO, "%s: running %s", u->name, kind_word(u));
					service_step(u, EV_RUN, now, 0);
					started = u->state == ST_RUNNING;
				}
			}
			if (busy || started)
				return;
			if (boot_phase == PH_BOOT) {
				boot_phase = PH_RUN;
				log_msg(LOG_NOTICE, "boot tasks done; starting services");
				for (int i = 0; i < MAX_UNITS; i++)
					if (unit_table[i].used && unit_table[i].kind == UNIT_SERVICE &&
					    unit_table[i].state == ST_WAITING && unit_table[i].want_up)
						service_step(&unit_table[i], EV_RUN, now, 0);
				return;
			}
			boot_phase = PH_STOPPING;
			stop_deadline = now + active_config.stop_timeout_ms + STOP_KILL_GRACE_MS;
			log_msg(LOG_NOTICE, "stopping services");
			for (int i = 0; i < MAX_UNITS; i++) {
				struct unit *u = &unit_table[i];
				if (!u->used || u->kind != UNIT_SERVICE)
					continue;
				service_step(u, EV_STOP, now, 0);
			}
			continue;
		}
		if (boot_phase == PH_STOPPING) {
			int left = 0;
			for (int i = 0; i < MAX_UNITS; i++)
				left += unit_table[i].used && unit_table[i].pid > 0;
			if (left && now < stop_deadline)
				return;
			for (int i = 0; i < MAX_UNITS && left; i++)
				if (unit_table[i].used && unit_table[i].pid > 0)
					log_msg(LOG_ERR, "%s (pid %d) still there %lums after SIGKILL "
						"(stuck in the kernel?): going down without it",
						unit_table[i].name, (int)unit_table[i].pid,
						(unsigned long)STOP_KILL_GRACE_MS);
			stop_deadline = 0;
			boot_phase = PH_FINAL;
		}
		return;
	}
}

void service_boot(void)
{
	uint64_t now = now_ms();
	for (int i = 0; i < active_config.nunits; i++)
		slot_new(i);
	/* early services first, so a hung boot task cannot keep them down */
	for (int i = 0; i < MAX_UNITS; i++) {
		struct unit *u = &unit_table[i];
		if (u->used && u->kind == UNIT_SERVICE && conf_of(u)->early)
			service_step(u, EV_RUN, now, 0);
	}
	boot_phase = PH_BOOT;
	advance(now);
}

void service_child_exited(pid_t pid, int wstatus)
{
	uint64_t now = now_ms();
	struct unit *u = NULL;
	for (int i = 0; i < MAX_UNITS; i++)
		if (unit_table[i].used && unit_table[i].pid == pid) {
			u = &unit_table[i];
			break;
		}
	if (!u)
		return;         /* an orphan we reaped, or an abandoned task */
	/* a task's end, or a stop's, may let the boot or shutdown go on */
	int sequence = u->state == ST_STOPPING || u->kind != UNIT_SERVICE;
	service_step(u, EV_EXITED, now, wstatus);
	if (sequence)
		advance(now);
}

void service_tick(uint64_t now)
{
	for (int i = 0; i < MAX_UNITS; i++) {
		struct unit *u = &unit_table[i];
		if (u->used && u->rl.suppressed && ratelimit_next_ms(&u->rl) <= now) {
			if (ratelimit_take(&u->rl, now))
				emit_suppressed(u);
			else
				u->rl.suppressed--;     /* take() counted a line that isn't one */
		}
		if (u->used && u->protect_at && u->protect_at <= now) {
			u->protect_at = 0;
			if (u->state == ST_RUNNING && conf_of(u) &&
			    protect_apply(u, conf_of(u), now) > 0)
				u->protect_at = now + PROTECT_RETRY_MS;
		}
		if (!u->used || !u->next_ms || u->next_ms > now)
			continue;
		service_step(u, EV_DEADLINE, now, 0);
	}
	advance(now);
}

uint64_t service_next_deadline(void)
{
	uint64_t best = stop_deadline;
	for (int i = 0; i < MAX_UNITS; i++) {
		if (!unit_table[i].used)
			continue;
		if (unit_table[i].next_ms && (!best || unit_table[i].next_ms < best))
			best = unit_table[i].next_ms;
		if (unit_table[i].protect_at && (!best || unit_table[i].protect_at < best))
			best = unit_table[i].protect_at;
		/* a flood went quiet: say how much of it was dropped */
		if (unit_table[i].rl.suppressed) {
			uint64_t t = ratelimit_next_ms(&unit_table[i].rl);
			if (!best || t < best)
				best = t;
		}
	}
	return best;
}

static void emit_suppressed(struct unit *u)
{
	char m[64];
	int n = fmt(m, sizeof m, "(%u lines suppressed)", u->rl.suppressed);
	log_service_line(u->name, m, (size_t)n, to_kmsg(u), facility(u));
	u->rl.suppressed = 0;
}

static void emit_line(struct unit *u)
{
	uint64_t now = now_ms();
	if (ratelimit_take(&u->rl, now)) {
		if (u->rl.suppressed)
			emit_suppressed(u);
		log_service_line(u->name, u->line, (size_t)u->line_len, to_kmsg(u), facility(u));
	}
	u->line_len = 0;
}

/* Whatever a service wrote without a final newline, so it is not held
 * back or glued to the next run's output. */
static void flush_partial(struct unit *u)
{
	service_output((int)(u - unit_table));
	if (u->line_len)
		emit_line(u);
	if (u->rl.suppressed)
		emit_suppressed(u);     /* the count is never lost */
}

void service_flush_all(void)
{
	for (int i = 0; i < MAX_UNITS; i++)
		if (unit_table[i].used)
			flush_partial(&unit_table[i]);
}

void service_output(int idx)
{
	static char buf[1024];
	struct unit *u = &unit_table[idx];
	if (!u->used || u->out_r < 0)
		return;
	for (int rounds = 0; rounds < 64; rounds++) {
		ssize_t n = read(u->out_r, buf, sizeof buf);
		if (n <= 0)
			return;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				emit_line(u);
				continue;
			}
			u->line[u->line_len++] = buf[i];
			if (u->line_len == OUT_LINE_MAX)
				emit_line(u);   /* a long line is split */
		}
	}
}

static int lookup(const char *name, char *err, int cap)
{
	int i = find(name);
	if (i < 0)
		fmt(err, (size_t)cap, "no such service: %s", name);
	else if (unit_table[i].kind != UNIT_SERVICE) {
		fmt(err, (size_t)cap, "%s is a %s, not a service", name, kind_word(&unit_table[i]));
		i = -1;
	} else if (unit_table[i].conf < 0) {
		fmt(err, (size_t)cap, "%s is being removed", name);
		i = -1;
	}
	return i;
}

/* lookup, for commands that would start something */
static int lookup_to_start(const char *name, char *err, int cap)
{
	int i = lookup(name, err, cap);
	if (i >= 0 && boot_phase > PH_RUN) {
		fmt(err, (size_t)cap, "shutting down");
		i = -1;
	} else if (i >= 0 && active_config.unit[unit_table[i].conf].not_installed) {
		const struct unit_conf *c = &active_config.unit[unit_table[i].conf];
		fmt(err, (size_t)cap, "%s: %s is not installed (optional = yes): install it, "
		    "then lifelinectl reload", name, conf_exec(&active_config, c));
		i = -1;
	}
	return i;
}

int service_start(const char *name, char *err, int cap)
{
	int i = lookup_to_start(name, err, cap);
	if (i < 0)
		return -1;
	service_step(&unit_table[i], EV_START, now_ms(), 0);
	return 0;
}

int service_stop(const char *name, char *err, int cap)
{
	int i = lookup(name, err, cap);
	if (i < 0)
		return -1;
	service_step(&unit_table[i], EV_STOP, now_ms(), 0);
	return 0;
}

int service_restart(const char *name, char *err, int cap)
{
	int i = lookup_to_start(name, err, cap);
	if (i < 0)
		return -1;
	service_step(&unit_table[i], EV_RESTART, now_ms(), 0);
	return 0;
}

/* A unit of the active config in a new slot, started if it may be. */
static int add_unit(int k, uint64_t now)
{
	int i = slot_new(k);
	if (i < 0)
		return -1;
	log_msg(LOG_NOTICE, "reload: %s added", active_config.unit[k].name);
	service_step(&unit_table[i], EV_START, now, 0);
	return i;
}

/* Units of the active config that had no slot at the reload (the table
 * full of units still stopping): placed as slots come free. */
static void place_unslotted(uint64_t now)
{
	int left = 0;
	for (int k = 0; k < active_config.nunits; k++) {
		int have = 0;
		for (int i = 0; i < MAX_UNITS && !have; i++)
			have = unit_table[i].used && unit_table[i].conf == k;
		if (!have && add_unit(k, now) < 0)
			left++;
	}
	unslotted = left;
}

void service_reload(const struct config *newcfg)
{
	uint64_t now = now_ms();
	int added = 0, removed = 0, changed = 0;
	static uint8_t claimed[MAX_UNITS];
	memset(claimed, 0, sizeof claimed);
	/* counted again below, for the new config; none placed meanwhile
	 * (slots freed in the loop below while active is the old config) */
	unslotted = 0;

	for (int i = 0; i < MAX_UNITS; i++) {
		struct unit *u = &unit_table[i];
		if (!u->used)
			continue;
		int n = -1;
		for (int k = 0; k < newcfg->nunits; k++)
			if (!strcmp(newcfg->unit[k].name, u->name)) {
				n = k;
				break;
			}
		if (n < 0) {
			if (u->conf >= 0) {
				removed++;
				log_msg(LOG_NOTICE, "reload: %s removed", u->name);
			}
			u->conf = -1;
			service_step(u, EV_REMOVE, now, 0);
			continue;
		}
		claimed[n] = 1;
		int same = u->conf >= 0 &&
			   unit_conf_equal(&active_config, &active_config.unit[u->conf], newcfg, &newcfg->unit[n]);
		u->conf = n;
		u->kind = newcfg->unit[n].kind;
		if (same)
			continue;
		changed++;
		log_msg(LOG_NOTICE, "reload: %s changed", u->name);
		if (u->kind == UNIT_SERVICE && (u->state == ST_RUNNING || u->state == ST_ABSENT ||
						u->state == ST_BACKOFF || u->state == ST_SPAWN_WAIT)) {
			u->after_stop = AFTER_RESTART;
			u->want_up = 1;
		}
	}
	memcpy(&active_config, newcfg, sizeof active_config);
	/* restarts of changed services, now that active holds their new conf */
	for (int i = 0; i < MAX_UNITS; i++) {
		struct unit *u = &unit_table[i];
		if (u->used && u->conf >= 0 && u->after_stop == AFTER_RESTART &&
		    u->state != ST_STOPPING)
			service_step(u, EV_RESTART, now, 0);
	}
	for (int k = 0; k < active_config.nunits; k++) {
		if (claimed[k])
			continue;
		if (add_unit(k, now) < 0) {
			unslotted++;
			log_msg(LOG_WARN, "reload: no free slot for %s yet: added once a removed "
				"unit has stopped", active_config.unit[k].name);
			continue;
		}
		added++;
	}
	log_msg(LOG_NOTICE, "reload: %d added, %d removed, %d changed", added, removed, changed);
}

void service_shutdown(void)
{
	uint64_t now = now_ms();
	if (boot_phase >= PH_SHUTDOWN)
		return;
	for (int i = 0; i < MAX_UNITS; i++)
		if (unit_table[i].used)
			service_step(&unit_table[i], EV_SHUTDOWN, now, 0);
	boot_phase = PH_SHUTDOWN;
	advance(now);
}
