/* See guard.h.  All state is in one small static struct; the only fds are
 * the PSI trigger (while configured) and the victim's pidfd (while one is
 * dying). */
#define _GNU_SOURCE
#include "guard.h"
#include "cgroup.h"
#include "clock.h"
#include "fmt.h"
#include "log.h"
#include "loop.h"
#include "service.h"
#include "status.h"
#include "victim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_mrelease
#define SYS_process_mrelease 448
#endif

#define POLL_MIN_MS 50
#define POLL_MAX_MS 1000
/* How fast memory is assumed to run out, in kB per millisecond: RAM 1 GiB/s
 * (earlyoom assumes 6 GB/s, which keeps a small machine polling 10 times a
 * second for ever), swap ~800 MB/s (earlyoom's). */
#define RAM_FILL_KB_MS 1024
#define SWAP_FILL_KB_MS 800
#define VICTIM_WAIT_MS 3000
#define PSI_FACTOR 4            /* see guard_secondary_may_kill */
#define NOTE_EVERY_MS 10000     /* "pressure but no kill" at most this often */
#define REASON_LEN 160

static struct {
	const struct config *cfg;       /* NULL until guard_configure */
	const char *root;               /* "/proc"; a snapshot in tests */
	uint64_t next_poll;
	uint64_t last_total_kb;
	struct meminfo m;               /* the last poll's, for status */
	int have_m;
	int psi_fd;
	char psi_trigger[40];           /* what was written, "" if none */
	char psi_state[96];             /* for status: armed, off, unavailable (...) */
	/* the victim being waited for (pid 0: none) */
	pid_t victim_pid;
	int victim_fd;
	uint64_t victim_since, victim_deadline;
	char victim_comm[16];
	pid_t stuck_pid;                /* outlived VICTIM_WAIT_MS: not chosen again */
	uint32_t kills;
	struct {
		char comm[16];
		pid_t pid;
		uint64_t rss_kb, swap_kb, at_ms;
		char reason[REASON_LEN];
	} last;
	pid_t recent[8];                /* the last victims, for guard_killed() */
	uint64_t note_ms;               /* last "no kill" note */
	uint32_t notes_suppressed;
	uint8_t said_meminfo, said_mrelease, said_pidfd;
} g = { .root = "/proc", .psi_fd = -1, .victim_fd = -1 };

static uint64_t mib(uint64_t kb)
{
	return kb / 1024;
}

/* ---- pure policy ---- */

uint64_t guard_avail_threshold_kb(const struct memory_conf *mc, const struct meminfo *m)
{
	uint64_t pct = m->total_kb / 100 * mc->mem_min_percent +
		       m->total_kb % 100 * mc->mem_min_percent / 100;
	uint64_t size = mc->mem_min_size / 1024;
	if (!mc->mem_min_percent)
		return size;
	if (!size)
		return pct;
	return size < pct ? size : pct;
}

/* 1 if the percentage is the threshold, 0 if mem_min_size is */
static int percent_applies(const struct memory_conf *mc, const struct meminfo *m)
{
	return mc->mem_min_percent &&
	       (!mc->mem_min_size || guard_avail_threshold_kb(mc, m) < mc->mem_min_size / 1024);
}

static uint64_t swap_threshold_kb(const struct memory_conf *mc, const struct meminfo *m)
{
	return m->swap_total_kb / 100 * mc->swap_min_percent +
	       m->swap_total_kb % 100 * mc->swap_min_percent / 100;
}

const char *guard_should_kill(const struct memory_conf *mc, const struct meminfo *m)
{
	if (m->avail_kb >= guard_avail_threshold_kb(mc, m))
		return NULL;
	if (!m->swap_total_kb)
		return "MemAvailable low, no swap";
	if (m->swap_free_kb >= swap_threshold_kb(mc, m))
		return NULL;
	return "MemAvailable and SwapFree low";
}

/* PSI_FACTOR x the threshold, saturating */
static uint64_t plenty_kb(const struct memory_conf *mc, const struct meminfo *m)
{
	uint64_t t = guard_avail_threshold_kb(mc, m);
	return t > UINT64_MAX / PSI_FACTOR ? UINT64_MAX : t * PSI_FACTOR;
}

int guard_secondary_may_kill(const struct memory_conf *mc, const struct meminfo *m)
{
	return m->avail_kb < plenty_kb(mc, m);
}

uint32_t guard_poll_interval_ms(const struct memory_conf *mc, const struct meminfo *m)
{
	uint64_t t = guard_avail_threshold_kb(mc, m), ms;
	if (!t)
		return POLL_MAX_MS;     /* no threshold: MemTotal only */
	if (m->avail_kb <= t)
		return POLL_MIN_MS;
	/* the time memory could take to run out: both must fall before a
	 * kill, so their times add up (as in earlyoom) */
	ms = (m->avail_kb - t) / RAM_FILL_KB_MS;
	if (m->swap_total_kb) {
		uint64_t st = swap_threshold_kb(mc, m);
		if (m->swap_free_kb > st)
			ms += (m->swap_free_kb - st) / SWAP_FILL_KB_MS;
	}
	return ms < POLL_MIN_MS ? POLL_MIN_MS : ms > POLL_MAX_MS ? POLL_MAX_MS : (uint32_t)ms;
}

/* ---- reading ---- */

static int read_mem(struct meminfo *m)
{
	if (meminfo_read(g.root, m) == 0) {
		g.said_meminfo = 0;
		g.m = *m;
		g.have_m = 1;
		return 0;
	}
	if (!g.said_meminfo)
		log_msg(LOG_ERR, "memory guard: cannot read MemTotal and MemAvailable from %s/meminfo",
			g.root);
	g.said_meminfo = 1;
	return -1;
}

/* ---- the PSI trigger ---- */

static void psi_close(void)
{
	if (g.psi_fd >= 0) {
		loop_del(g.psi_fd);
		close(g.psi_fd);
	}
	g.psi_fd = -1;
	g.psi_trigger[0] = '\0';
}

static void psi_unavailable(const char *what, int err)
{
	const char *hint = err == ENOENT ? ": kernel without PSI, or psi=0"
			 : err == EINVAL ? ": without CAP_SYS_RESOURCE the window must be a multiple of 2s"
			 : "";
	fmt(g.psi_state, sizeof g.psi_state, "unavailable (%s: %s%s)", what, strerror(err), hint);
	log_msg(LOG_WARN, "memory guard: PSI trigger %s", g.psi_state);
	if (g.psi_fd >= 0)
		close(g.psi_fd);
	g.psi_fd = -1;
	g.psi_trigger[0] = '\0';
}

static void psi_open(const struct memory_conf *mc)
{
	char path[256], trig[40];
	fmt(path, sizeof path, "%s/pressure/memory", g.root);
	fmt(trig, sizeof trig, "%s %u %u", mc->psi_full ? "full" : "some",
	    mc->psi_stall_us, mc->psi_window_us);
	g.psi_fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (g.psi_fd < 0) {
		psi_unavailable("open", errno);
		return;
	}
	/* with its NUL: the kernel overwrites the last byte written with one */
	size_t n = strlen(trig) + 1;
	if (write(g.psi_fd, trig, n) != (ssize_t)n) {
		psi_unavailable("write", errno);
		return;
	}
	/* EPOLLPRI only: the trigger's file always polls readable */
	uint64_t tag = LOOP_TAG(TAG_PSI, 0);
	if (loop_add(g.psi_fd, tag) < 0 || loop_mod(g.psi_fd, EPOLLPRI, tag) < 0) {
		int e = errno;
		loop_del(g.psi_fd);
		psi_unavailable("epoll", e);
		return;
	}
	memcpy(g.psi_trigger, trig, sizeof trig);
	fmt(g.psi_state, sizeof g.psi_state, "armed");
}

/* "full 300ms/1s" */
static void psi_describe(const struct memory_conf *mc, char *buf, int cap)
{
	char w[16];
	if (mc->psi_window_us % 1000000 == 0)
		fmt(w, sizeof w, "%us", mc->psi_window_us / 1000000);
	else
		fmt(w, sizeof w, "%ums", mc->psi_window_us / 1000);
	fmt(buf, (size_t)cap, "%s %ums/%s", mc->psi_full ? "full" : "some",
	    mc->psi_stall_us / 1000, w);
}

/* ---- killing ---- */

static int protected_pids(pid_t *out, int cap)
{
	int n = 0;
	for (int i = 0; i < MAX_UNITS && n < cap; i++) {
		const struct unit *u = &units[i];
		if (u->used && u->pid > 0 && u->conf >= 0 && u->conf < active.nunits &&
		    active.unit[u->conf].protect)
			out[n++] = u->pid;
	}
	if (g.stuck_pid > 0 && n < cap)
		out[n++] = g.stuck_pid;
	return n;
}

static int choose(struct victim *v, const struct meminfo *m)
{
	pid_t skip[MAX_UNITS + 1];
	struct victim_rules r;
	const struct config *c = g.cfg;
	memset(&r, 0, sizeof r);
	r.skip = skip;
	r.nskip = protected_pids(skip, MAX_UNITS + 1);
	r.self = getpid();
	r.never_kill = conf_never_kill(c);
	r.nnever = c->mem.never_killc;
	r.prefer = conf_prefer(c);
	r.nprefer = c->mem.preferc;
	if (m->swap_total_kb > m->swap_free_kb)
		r.swap_used_kb = m->swap_total_kb - m->swap_free_kb;
	return victim_choose(g.root, &r, v);
}

static void victim_clear(void)
{
	if (g.victim_fd >= 0) {
		loop_del(g.victim_fd);
		close(g.victim_fd);
	}
	g.victim_fd = -1;
	g.victim_pid = 0;
	g.victim_deadline = 0;
}

/* Signal v: 0 if sent, -1 if v was gone already (choose again). */
static int send_kill(const struct victim *v, int *pidfd)
{
	int fd = (int)syscall(SYS_pidfd_open, v->pid, 0);
	*pidfd = -1;
	if (fd < 0 && errno == ESRCH)
		return -1;
	if (fd < 0) {
		/* before Linux 5.3: a plain kill, no pidfd to wait on */
		if (!g.said_pidfd)
			log_msg(LOG_WARN, "memory guard: pidfd_open: %s; using kill()",
				strerror(errno));
		g.said_pidfd = 1;
		if (!victim_still_there(g.root, v))
			return -1;
		return kill(v->pid, SIGKILL) == 0 || errno != ESRCH ? 0 : -1;
	}
	/* the pid may have been reused between the scan and pidfd_open;
	 * from here on fd names this process whatever happens */
	if (!victim_still_there(g.root, v) ||
	    syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) < 0) {
		close(fd);
		return -1;
	}
	/* reap its memory now rather than when it gets to run its exit */
	if (syscall(SYS_process_mrelease, fd, 0) < 0 && errno == ENOSYS && !g.said_mrelease) {
		log_msg(LOG_NOTICE, "memory guard: process_mrelease unsupported (Linux < 5.15)");
		g.said_mrelease = 1;
	}
	*pidfd = fd;
	return 0;
}

static void kill_one(uint64_t now, const struct meminfo *m, const char *reason)
{
	struct victim v;
	/* a victim that exits by itself meanwhile: take the next one */
	for (int tries = 0; tries < 3; tries++) {
		if (!choose(&v, m)) {
			if (now >= g.note_ms + NOTE_EVERY_MS || !g.note_ms) {
				log_msg(LOG_ERR, "memory guard: %s, but no process may be killed", reason);
				g.note_ms = now;
			}
			return;
		}
		int fd;
		if (send_kill(&v, &fd) < 0)
			continue;
		g.victim_pid = v.pid;
		g.victim_fd = fd;
		g.victim_since = now;
		g.victim_deadline = now + VICTIM_WAIT_MS;
		memcpy(g.victim_comm, v.comm, sizeof v.comm);
		if (fd >= 0 && loop_add(fd, LOOP_TAG(TAG_VICTIM, 0)) < 0)
			log_msg(LOG_WARN, "memory guard: epoll on pidfd: %s", strerror(errno));
		g.recent[g.kills % 8] = v.pid;
		g.kills++;
		memcpy(g.last.comm, v.comm, sizeof v.comm);
		g.last.pid = v.pid;
		g.last.rss_kb = v.rss_kb;
		g.last.swap_kb = v.swap_kb;
		g.last.at_ms = now;
		fmt(g.last.reason, sizeof g.last.reason, "%s", reason);
		log_msg(LOG_ERR, "memory guard: killed %s (pid %d, RSS %lu MiB, swap %lu MiB): %s",
			v.comm, (int)v.pid, (unsigned long)mib(v.rss_kb),
			(unsigned long)mib(v.swap_kb), reason);
		return;
	}
}

static void victim_gone(uint64_t now, const char *how)
{
	log_msg(LOG_NOTICE, "memory guard: %s (pid %d) %s after %lu ms", g.victim_comm,
		(int)g.victim_pid, how, (unsigned long)(now - g.victim_since));
	victim_clear();
}

/* ---- polling ---- */

/* "MemAvailable 41 MiB < 51 MiB (5% of 1024 MiB)[, SwapFree ...]" */
static void describe_mem(const struct memory_conf *mc, const struct meminfo *m,
			 char *buf, int cap)
{
	uint64_t t = guard_avail_threshold_kb(mc, m);
	char why[48];
	if (percent_applies(mc, m))
		fmt(why, sizeof why, "%u%% of %lu MiB", mc->mem_min_percent,
		    (unsigned long)mib(m->total_kb));
	else
		fmt(why, sizeof why, "mem_min_size");
	int n = fmt(buf, (size_t)cap, "MemAvailable %lu MiB < %lu MiB (%s)",
		    (unsigned long)mib(m->avail_kb), (unsigned long)mib(t), why);
	if (m->swap_total_kb && n < cap)
		fmt(buf + n, (size_t)(cap - n), ", SwapFree %lu MiB < %lu MiB (%u%% of %lu MiB)",
		    (unsigned long)mib(m->swap_free_kb),
		    (unsigned long)mib(swap_threshold_kb(mc, m)), mc->swap_min_percent,
		    (unsigned long)mib(m->swap_total_kb));
}

/* Pressure seen, but MemAvailable says killing would not help. */
static void note_no_kill(uint64_t now, const char *what, const struct meminfo *m)
{
	if (g.note_ms && now < g.note_ms + NOTE_EVERY_MS) {
		g.notes_suppressed++;
		return;
	}
	log_msg(LOG_NOTICE, "memory guard: %s but MemAvailable %lu MiB: no kill (%u similar suppressed)",
		what, (unsigned long)mib(m->avail_kb), g.notes_suppressed);
	g.note_ms = now;
	g.notes_suppressed = 0;
}

static void poll_now(uint64_t now)
{
	const struct memory_conf *mc = &g.cfg->mem;
	struct meminfo m;
	char reason[REASON_LEN];
	g.next_poll = now + POLL_MAX_MS;
	if (read_mem(&m) < 0)
		return;
	/* the cgroup limits follow MemTotal (a balloon may take memory away) */
	if (m.total_kb != g.last_total_kb) {
		g.last_total_kb = m.total_kb;
		cg_memtotal(g.cfg, m.total_kb * 1024);
	}
	if (!mc->guard)
		return;
	/* no pidfd (old kernel): see whether the victim is gone */
	if (g.victim_pid && g.victim_fd < 0 && kill(g.victim_pid, 0) < 0 && errno == ESRCH)
		victim_gone(now, "gone");
	g.next_poll = now + guard_poll_interval_ms(mc, &m);
	if (guard_should_kill(mc, &m)) {
		describe_mem(mc, &m, reason, sizeof reason);
	} else if (cg_active() && cg_limited_pressure()) {
		/* at its high mark the group may be full of page cache the
		 * kernel can drop: kill only if memory is short overall too */
		if (!guard_secondary_may_kill(mc, &m)) {
			note_no_kill(now, "cgroup limit reached", &m);
			return;
		}
		fmt(reason, sizeof reason, "cgroup limit reached, MemAvailable %lu MiB",
		    (unsigned long)mib(m.avail_kb));
	} else {
		return;
	}
	if (!g.victim_pid)
		kill_one(now, &m, reason);
}

void guard_configure(const struct config *cfg, uint64_t now)
{
	const struct memory_conf *mc = &cfg->mem;
	g.cfg = cfg;
	psi_close();
	g.next_poll = 0;
	if (!mc->present) {
		fmt(g.psi_state, sizeof g.psi_state, "off");
		return;
	}
	if (mc->guard && mc->psi_stall_us)
		psi_open(mc);
	else
		fmt(g.psi_state, sizeof g.psi_state, "off");
	g.last_total_kb = 0;    /* tell the cgroup layer MemTotal again */
	g.have_m = 0;
	poll_now(now);
}

uint64_t guard_next_deadline(void)
{
	uint64_t d = g.cfg && g.cfg->mem.present ? g.next_poll : 0;
	if (g.victim_pid && (!d || g.victim_deadline < d))
		d = g.victim_deadline;
	return d;
}

void guard_tick(uint64_t now)
{
	if (g.victim_pid && now >= g.victim_deadline) {
		/* stuck (D state, or its memory is pinned): go on without it */
		log_msg(LOG_ERR, "memory guard: %s (pid %d) still there after %d ms; not waiting",
			g.victim_comm, (int)g.victim_pid, VICTIM_WAIT_MS);
		g.stuck_pid = g.victim_pid;
		victim_clear();
	}
	if (g.cfg && g.cfg->mem.present && g.next_poll && now >= g.next_poll)
		poll_now(now);
}

void guard_victim_event(uint64_t now)
{
	if (!g.victim_pid)
		return;
	victim_gone(now, "gone");
	/* memory may still be short: look again at once */
	if (g.cfg && g.cfg->mem.present)
		poll_now(now);
}

void guard_psi_event(uint64_t now)
{
	struct meminfo m;
	char reason[REASON_LEN], trig[32];
	if (!g.cfg || !g.cfg->mem.present || !g.cfg->mem.guard || read_mem(&m) < 0)
		return;
	/* watch closely while the pressure lasts */
	if (g.next_poll > now + POLL_MIN_MS)
		g.next_poll = now + POLL_MIN_MS;
	if (!guard_secondary_may_kill(&g.cfg->mem, &m)) {
		note_no_kill(now, "PSI memory pressure", &m);
		return;
	}
	psi_describe(&g.cfg->mem, trig, sizeof trig);
	fmt(reason, sizeof reason, "PSI %s stall, MemAvailable %lu MiB", trig,
	    (unsigned long)mib(m.avail_kb));
	if (!g.victim_pid)
		kill_one(now, &m, reason);
}

void guard_kick(uint64_t now)
{
	if (g.cfg && g.cfg->mem.present)
		poll_now(now);
}

uint64_t guard_memtotal_bytes(void)
{
	return g.last_total_kb * 1024;
}

void guard_set_proc_root(const char *root)
{
	g.root = root ? root : "/proc";
}

/* ---- status ---- */

static uint64_t since(uint64_t t)
{
	uint64_t now = now_ms();
	return now > t ? now - t : 0;
}

int guard_killed(pid_t pid)
{
	/* a victim is reaped after the guard may have killed the next one */
	for (int i = 0; i < 8; i++)
		if (pid > 0 && g.recent[i] == pid)
			return 1;
	return 0;
}

static void text_last_kill(struct outbuf *o)
{
	char ago[16];
	if (!g.kills) {
		ob_puts(o, "; kills 0\n");
		return;
	}
	format_duration(since(g.last.at_ms), ago, sizeof ago);
	ob_printf(o, "; kills %u, last: %s (pid %d, %lu MiB) %s ago: %s\n", g.kills,
		  g.last.comm, (int)g.last.pid,
		  (unsigned long)mib(g.last.rss_kb + g.last.swap_kb), ago, g.last.reason);
}

void guard_status_text(struct outbuf *o)
{
	const struct memory_conf *mc = g.cfg ? &g.cfg->mem : NULL;
	const struct meminfo m = g.m;
	struct psi p;
	char trig[32];
	if (!mc || !mc->present) {
		ob_puts(o, "memory: guard off (no [memory] section)\n");
		return;
	}
	/* memory as the last poll saw it (at most a second old) */
	if (!g.have_m)
		ob_puts(o, "memory: meminfo unreadable\n");
	else if (m.swap_total_kb)
		ob_printf(o, "memory: MemTotal %lu MiB, MemAvailable %lu MiB, swap %lu MiB, %lu MiB free\n",
			  (unsigned long)mib(m.total_kb), (unsigned long)mib(m.avail_kb),
			  (unsigned long)mib(m.swap_total_kb), (unsigned long)mib(m.swap_free_kb));
	else
		ob_printf(o, "memory: MemTotal %lu MiB, MemAvailable %lu MiB, swap none\n",
			  (unsigned long)mib(m.total_kb), (unsigned long)mib(m.avail_kb));
	if (psi_read(g.root, &p) < 0)
		ob_puts(o, "memory: psi unavailable");
	else
		ob_printf(o, "memory: psi some %u.%02u/%u.%02u/%u.%02u full %u.%02u/%u.%02u/%u.%02u"
			  " (avg10/60/300 %%)",
			  p.some_avg10 / 100, p.some_avg10 % 100, p.some_avg60 / 100,
			  p.some_avg60 % 100, p.some_avg300 / 100, p.some_avg300 % 100,
			  p.full_avg10 / 100, p.full_avg10 % 100, p.full_avg60 / 100,
			  p.full_avg60 % 100, p.full_avg300 / 100, p.full_avg300 % 100);
	psi_describe(mc, trig, sizeof trig);
	if (g.psi_trigger[0])
		ob_printf(o, ", trigger %s\n", trig);
	else
		ob_printf(o, ", trigger %s\n", g.psi_state);
	if (!mc->guard) {
		ob_puts(o, "memory: guard off (guard = no)\n");
		return;
	}
	ob_printf(o, "memory: guard on, kill below %lu MiB available (",
		  (unsigned long)mib(guard_avail_threshold_kb(mc, &m)));
	if (percent_applies(mc, &m))
		ob_printf(o, "%u%%", mc->mem_min_percent);
	else
		ob_puts(o, "mem_min_size");
	ob_printf(o, "), swap below %u%%", mc->swap_min_percent);
	text_last_kill(o);
}

static void json_psi(struct outbuf *o)
{
	struct psi p;
	if (psi_read(g.root, &p) < 0) {
		ob_puts(o, "null");
		return;
	}
	ob_printf(o, "{\"some_avg10\":%u.%02u,\"some_avg60\":%u.%02u,\"some_avg300\":%u.%02u,"
		  "\"full_avg10\":%u.%02u,\"full_avg60\":%u.%02u,\"full_avg300\":%u.%02u,"
		  "\"some_total_us\":%lu,\"full_total_us\":%lu}",
		  p.some_avg10 / 100, p.some_avg10 % 100, p.some_avg60 / 100, p.some_avg60 % 100,
		  p.some_avg300 / 100, p.some_avg300 % 100, p.full_avg10 / 100, p.full_avg10 % 100,
		  p.full_avg60 / 100, p.full_avg60 % 100, p.full_avg300 / 100, p.full_avg300 % 100,
		  (unsigned long)p.some_total_us, (unsigned long)p.full_total_us);
}

void guard_status_json(struct outbuf *o)
{
	const struct memory_conf *mc = g.cfg ? &g.cfg->mem : NULL;
	int present = mc && mc->present, on = present && mc->guard;
	const struct meminfo *m = &g.m;
	ob_puts(o, "\"memory\":{");
	if (present && g.have_m)
		ob_printf(o, "\"mem_total_kb\":%lu,\"mem_available_kb\":%lu,"
			  "\"swap_total_kb\":%lu,\"swap_free_kb\":%lu,\"psi\":",
			  (unsigned long)m->total_kb, (unsigned long)m->avail_kb,
			  (unsigned long)m->swap_total_kb, (unsigned long)m->swap_free_kb);
	else
		ob_puts(o, "\"mem_total_kb\":null,\"mem_available_kb\":null,"
			"\"swap_total_kb\":null,\"swap_free_kb\":null,\"psi\":");
	if (present)
		json_psi(o);
	else
		ob_puts(o, "null");
	ob_puts(o, ",\"psi_trigger\":");
	if (g.psi_trigger[0])
		ob_json_str(o, g.psi_trigger);
	else
		ob_puts(o, "null");
	ob_puts(o, ",\"psi_state\":");
	ob_json_str(o, present ? g.psi_state : "off");
	ob_printf(o, ",\"present\":%s,\"guard\":%s,\"threshold_kb\":%lu,\"swap_min_percent\":%u,"
		  "\"kills\":%u,\"last_kill\":",
		  present ? "true" : "false", on ? "true" : "false",
		  on ? (unsigned long)guard_avail_threshold_kb(mc, m) : 0UL,
		  on ? mc->swap_min_percent : 0u, g.kills);
	if (!g.kills) {
		ob_puts(o, "null},");
		return;
	}
	ob_puts(o, "{\"name\":");
	ob_json_str(o, g.last.comm);
	ob_printf(o, ",\"pid\":%d,\"rss_kb\":%lu,\"swap_kb\":%lu,\"reason\":", (int)g.last.pid,
		  (unsigned long)g.last.rss_kb, (unsigned long)g.last.swap_kb);
	ob_json_str(o, g.last.reason);
	ob_printf(o, ",\"ago_ms\":%lu}},", (unsigned long)since(g.last.at_ms));
}
