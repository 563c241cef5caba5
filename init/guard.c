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
#include "scan.h"
#include "unittab.h"
#include "victim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
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
#define REASON_LEN 200
#define BALLOON_SETTLE_MS 10000 /* MemTotal still this long: the balloon stopped */
#define GROUP_RECHECK_MS 100    /* a group at its mark: look this often */
#define XEN_MEMORY "devices/system/xen_memory/xen_memory0"

/* why the guard did not kill, said once per change (no_kill) */
enum nokill { NK_NONE, NK_BALLOON, NK_SMALL, NK_NOBODY, NK_CACHE, NK_PLENTY, NK_GROUP };

static struct {
	const struct config *cfg;       /* NULL until guard_configure */
	const char *root;               /* "/proc"; a snapshot in tests */
	const char *sys;                /* "/sys"; a made-up one in tests */
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
	enum nokill nokill;             /* the last "no kill" said */
	uint32_t nokill_repeats;        /* ... and how often it held since */
	char nokill_text[2 * REASON_LEN];
	uint64_t total_fell_ms;         /* MemTotal last went down */
	uint8_t balloon, xen;           /* a balloon driver is bound; Xen's */
	uint8_t event_mode;             /* memory controller: no poll at rest */
	uint8_t group_full;             /* a group was at its mark at the last look */
	uint8_t limits_held;            /* cg_memtotal was told a balloon moves */
	uint8_t said_floor;
	uint64_t floor_set_kb;          /* the Xen target lifeline wrote, 0: none */
	uint64_t limits_total_kb;       /* the MemTotal the limits were made for */
	int64_t xen_target_kb, xen_current_kb; /* Xen's balloon at the last look, -1 */
	uint64_t group_checked_ms;
	int64_t seen_high[CG_NGROUPS], seen_max[CG_NGROUPS]; /* memory.events */
	uint8_t said_meminfo, said_mrelease, said_pidfd;
} guard_st = { .root = "/proc", .sys = "/sys", .psi_fd = -1, .victim_fd = -1 };

static int mc_guard_on(void)
{
	return guard_st.cfg && guard_st.cfg->mem.present && guard_st.cfg->mem.guard;
}

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
	if (meminfo_read(guard_st.root, m) == 0) {
		guard_st.said_meminfo = 0;
		guard_st.m = *m;
		guard_st.have_m = 1;
		return 0;
	}
	if (!guard_st.said_meminfo)
		log_msg(LOG_ERR, "memory guard: cannot read MemTotal and MemAvailable from %s/meminfo",
			guard_st.root);
	guard_st.said_meminfo = 1;
	return -1;
}

/* ---- the PSI trigger ---- */

static void psi_close(void)
{
	if (guard_st.psi_fd >= 0) {
		loop_del(guard_st.psi_fd);
		close(guard_st.psi_fd);
	}
	guard_st.psi_fd = -1;
	guard_st.psi_trigger[0] = '\0';
}

static void psi_unavailable(const char *what, int err)
{
	const char *hint = err == ENOENT ? ": kernel without PSI, or psi=0"
			 : err == EINVAL ? ": without CAP_SYS_RESOURCE the window must be a multiple of 2s"
			 : "";
	fmt(guard_st.psi_state, sizeof guard_st.psi_state, "unavailable (%s: %s%s)", what,
	    strerror(err), hint);
	log_msg(LOG_WARN, "memory guard: PSI trigger %s", guard_st.psi_state);
	if (guard_st.psi_fd >= 0)
		close(guard_st.psi_fd);
	guard_st.psi_fd = -1;
	guard_st.psi_trigger[0] = '\0';
}

static void psi_open(const struct memory_conf *mc)
{
	char path[256], trig[40];
	fmt(path, sizeof path, "%s/pressure/memory", guard_st.root);
	fmt(trig, sizeof trig, "%s %u %u", mc->psi_full ? "full" : "some",
	    mc->psi_stall_us, mc->psi_window_us);
	guard_st.psi_fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (guard_st.psi_fd < 0) {
		psi_unavailable("open", errno);
		return;
	}
	/* with its NUL: the kernel overwrites the last byte written with one */
	size_t n = strlen(trig) + 1;
	if (write(guard_st.psi_fd, trig, n) != (ssize_t)n) {
		psi_unavailable("write", errno);
		return;
	}
	/* EPOLLPRI only: the trigger's file always polls readable */
	uint64_t tag = LOOP_TAG(TAG_PSI, 0);
	if (loop_add(guard_st.psi_fd, tag) < 0 || loop_mod(guard_st.psi_fd, EPOLLPRI, tag) < 0) {
		int e = errno;
		loop_del(guard_st.psi_fd);
		psi_unavailable("epoll", e);
		return;
	}
	memcpy(guard_st.psi_trigger, trig, sizeof trig);
	fmt(guard_st.psi_state, sizeof guard_st.psi_state, "armed");
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

/* ---- balloons ---- */

struct prefix_ctx {
	const char *prefix;
	int found;
};

static int match_prefix(void *ctx, const char *name)
{
	struct prefix_ctx *pc = ctx;
	if (!strncmp(name, pc->prefix, strlen(pc->prefix)))
		pc->found = 1;
	return pc->found;
}

/* 1 if the driver directory dir lists a device whose name starts with
 * prefix (a bound device) */
static int driver_bound(const char *dir, const char *prefix)
{
	char buf[512], path[160];
	struct prefix_ctx pc = { prefix, 0 };
	fmt(path, sizeof path, "%s/%s", guard_st.sys, dir);
	scan_dir(path, buf, sizeof buf, match_prefix, &pc);
	return pc.found;
}

/* A balloon driver can change MemTotal at any time, and the kernel says
 * nothing when it does: where one is bound, MemTotal is read once a
 * second.  virtio-balloon and virtio-mem (QEMU, KVM), Xen's balloon,
 * Hyper-V's.  (VMware's vmw_balloon takes memory without lowering
 * MemTotal: it cannot be seen here.) */
static void find_balloon(void)
{
	struct stat st;
	char path[160];
	fmt(path, sizeof path, "%s/" XEN_MEMORY, guard_st.sys);
	guard_st.xen = stat(path, &st) == 0;
	guard_st.balloon = guard_st.xen || driver_bound("bus/virtio/drivers/virtio_balloon", "virtio") ||
		    driver_bound("bus/virtio/drivers/virtio_mem", "virtio") ||
		    driver_bound("bus/vmbus/drivers/hv_balloon", "");
}

/* a number of kB in the file at guard_st.sys/name, or -1 */
static int64_t read_kb(const char *name)
{
	char buf[32], path[160];
	fmt(path, sizeof path, "%s/%s", guard_st.sys, name);
	if (scan_read_file(path, buf, sizeof buf) <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	return (int64_t)scan_uint(buf, 10, NULL);
}

/* While a balloon inflates, a kill hands the memory it frees to the
 * hypervisor, not to the system: it takes the machine down to what it
 * cannot live on, where a squeeze that nobody fed would have stalled.
 * Moving: MemTotal fell less than BALLOON_SETTLE_MS ago, or Xen's balloon
 * has a target below what it holds (it stalls there while processes hold
 * the memory, and takes whatever is freed).  0, or 1 with why. */
int guard_balloon_moving(uint64_t now, char *why, int cap)
{
	/* Xen's balloon held at the floor lifeline set can take no more than
	 * the machine lives on, however MemTotal creeps down meanwhile */
	int64_t target = guard_st.xen_target_kb, current = guard_st.xen_current_kb;
	if (guard_st.xen && guard_st.floor_set_kb && target >= 0 &&
	    (uint64_t)target == guard_st.floor_set_kb)
		return 0;
	if (guard_st.total_fell_ms && now < guard_st.total_fell_ms + BALLOON_SETTLE_MS) {
		fmt(why, (size_t)cap, "MemTotal fell %lu ms ago: a balloon is taking memory",
		    (unsigned long)(now - guard_st.total_fell_ms));
		return 1;
	}
	if (guard_st.xen) {
		if (target >= 0 && current >= 0 && target + 4096 < current) {
			fmt(why, (size_t)cap, "Xen's balloon wants %lu MiB more (target %lu MiB, "
			    "holds %lu MiB)", (unsigned long)((current - target) / 1024),
			    (unsigned long)(target / 1024), (unsigned long)(current / 1024));
			return 1;
		}
	}
	return 0;
}

/* Xen: a target below balloon_floor (an `xl mem-set` the machine cannot
 * live with: 128 MiB panicked a 1 GiB dom0) is raised to the floor, once
 * per target; dom0 may set its own balloon's target through sysfs. */
static void balloon_floor(void)
{
	char path[160], buf[32];
	uint64_t floor_kb = guard_st.cfg->mem.balloon_floor / 1024;
	int64_t target = guard_st.xen_target_kb;
	if (!guard_st.xen || !floor_kb || target < 0 || (uint64_t)target >= floor_kb)
		return;
	fmt(path, sizeof path, "%s/" XEN_MEMORY "/target_kb", guard_st.sys);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int n = fmt(buf, sizeof buf, "%lu", (unsigned long)floor_kb);
	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		if (!guard_st.said_floor)
			log_msg(LOG_ERR, "memory: Xen's balloon target %lu MiB is below balloon_floor "
				"(%lu MiB), and it cannot be raised: %s", (unsigned long)(target / 1024),
				(unsigned long)(floor_kb / 1024), strerror(errno));
		guard_st.said_floor = 1;
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	guard_st.said_floor = 0;
	guard_st.floor_set_kb = floor_kb;
	guard_st.xen_target_kb = (int64_t)floor_kb;
	log_msg(LOG_WARN, "memory: Xen's balloon target %lu MiB is below balloon_floor: raised "
		"to %lu MiB, what this machine can live on", (unsigned long)(target / 1024),
		(unsigned long)(floor_kb / 1024));
}

/* The MemTotal the limits are made for.  With Xen's balloon held at the
 * floor lifeline set, the machine is going there anyway: the limits are
 * made for the memory it will have (MemTotal less what the balloon still
 * wants), so that what is over is killed now, while there is room, and not
 * piecemeal while the balloon drains the last free pages (logins took over
 * 10 s for a minute that way). */
static uint64_t limits_total_kb(const struct meminfo *m)
{
	int64_t target = guard_st.xen_target_kb, current = guard_st.xen_current_kb;
	if (!guard_st.xen || !guard_st.floor_set_kb)
		return m->total_kb;
	if (target < 0 || current < 0 || (uint64_t)target != guard_st.floor_set_kb || target >= current)
		return m->total_kb;
	uint64_t want = (uint64_t)(current - target);
	return m->total_kb > 2 * want ? m->total_kb - want : m->total_kb / 2;
}

/* ---- killing ---- */

static int protected_pids(pid_t *out, int cap)
{
	int n = 0;
	for (int i = 0; i < MAX_UNITS && n < cap; i++) {
		const struct unit *u = &unit_table[i];
		if (u->used && u->pid > 0 && u->conf >= 0 && u->conf < active_config.nunits &&
		    active_config.unit[u->conf].protect)
			out[n++] = u->pid;
	}
	if (guard_st.stuck_pid > 0 && n < cap)
		out[n++] = guard_st.stuck_pid;
	return n;
}

static int choose(struct victim *v, const struct meminfo *m, const char *scope, int immune)
{
	pid_t skip[MAX_UNITS + 1];
	struct victim_rules r;
	const struct config *c = guard_st.cfg;
	memset(&r, 0, sizeof r);
	r.skip = skip;
	r.nskip = protected_pids(skip, MAX_UNITS + 1);
	r.self = getpid();
	r.never_kill = conf_never_kill(c);
	r.nnever = c->mem.never_killc;
	r.prefer = conf_prefer(c);
	r.nprefer = c->mem.preferc;
	r.cgroup = scope;
	r.immune_only = immune;
	if (m->swap_total_kb > m->swap_free_kb)
		r.swap_used_kb = m->swap_total_kb - m->swap_free_kb;
	return victim_choose(guard_st.root, &r, v);
}

static void victim_clear(void)
{
	if (guard_st.victim_fd >= 0) {
		loop_del(guard_st.victim_fd);
		close(guard_st.victim_fd);
	}
	guard_st.victim_fd = -1;
	guard_st.victim_pid = 0;
	guard_st.victim_deadline = 0;
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
		if (!guard_st.said_pidfd)
			log_msg(LOG_WARN, "memory guard: pidfd_open: %s; using kill()",
				strerror(errno));
		guard_st.said_pidfd = 1;
		if (!victim_still_there(guard_st.root, v))
			return -1;
		return kill(v->pid, SIGKILL) == 0 || errno != ESRCH ? 0 : -1;
	}
	/* the pid may have been reused between the scan and pidfd_open;
	 * from here on fd names this process whatever happens */
	if (!victim_still_there(guard_st.root, v) ||
	    syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) < 0) {
		close(fd);
		return -1;
	}
	/* reap its memory now rather than when it gets to run its exit */
	if (syscall(SYS_process_mrelease, fd, 0) < 0 && errno == ENOSYS && !guard_st.said_mrelease) {
		log_msg(LOG_NOTICE, "memory guard: process_mrelease unsupported (Linux < 5.15)");
		guard_st.said_mrelease = 1;
	}
	*pidfd = fd;
	return 0;
}

/* A decision not to kill: said once per state (the reason's kind), not
 * at every check while it lasts; the state starts over after a kill and
 * once memory is plentiful again. */
static void no_kill(enum nokill why, const char *trigger, const char *detail)
{
	if (guard_st.nokill == why) {
		guard_st.nokill_repeats++;
		return;
	}
	guard_st.nokill = why;
	guard_st.nokill_repeats = 0;
	fmt(guard_st.nokill_text, sizeof guard_st.nokill_text, "%s, but %s", trigger, detail);
	log_msg(LOG_NOTICE, "memory guard: %s: no kill", guard_st.nokill_text);
}

uint64_t guard_kill_min_kb(const struct memory_conf *mc)
{
	return mc->kill_min_size / 1024;
}

/* Kill the largest process (within the cgroup scope, if not NULL) if a
 * kill is worth it: no balloon is moving and the victim gives back at
 * least kill_min_size.  Memory held by a balloon or the kernel is not
 * given back by killing the sessions and cron that are left. */
static void try_kill(uint64_t now, const struct meminfo *m, const char *reason,
		     const char *scope, int immune)
{
	struct victim v;
	char why[REASON_LEN], full[REASON_LEN];
	if (guard_st.victim_pid)
		return;         /* one at a time: the last one is still dying */
	if (immune) {
		/* memory to spare: the kernel's cgroup OOM killer acts at the
		 * group's max, as it can; only what it cannot take is ours */
		struct victim iv;
		if (!choose(&iv, m, scope, 1) ||
		    victim_size_kb(&iv) < guard_kill_min_kb(&guard_st.cfg->mem)) {
			no_kill(NK_GROUP, reason, "MemAvailable is plentiful and no process there "
				"is out of the kernel's reach (oom_score_adj -1000): the kernel "
				"acts at the group's max");
			return;
		}
		fmt(full, sizeof full, "%s; the kernel cannot kill this one (oom_score_adj -1000)",
		    reason);
		reason = full;
	} else if (guard_balloon_moving(now, why, sizeof why)) {
		/* the kernel's OOM killer acts while the balloon moves, but it
		 * cannot take a -1000 process: with one holding the memory it
		 * would kill everything else and then panic */
		struct victim iv;
		if (!choose(&iv, m, scope, 1) ||
		    victim_size_kb(&iv) < guard_kill_min_kb(&guard_st.cfg->mem)) {
			no_kill(NK_BALLOON, reason, why);
			return;
		}
		fmt(full, sizeof full, "%s; a balloon is taking memory, but the kernel cannot "
		    "kill this one (oom_score_adj -1000)", reason);
		reason = full;
		immune = 1;
	}
	/* a victim that exits by itself meanwhile: take the next one */
	for (int tries = 0; tries < 3; tries++) {
		if (!choose(&v, m, scope, immune)) {
			no_kill(NK_NOBODY, reason, scope ? "no process in the group may be killed"
					  : "no process may be killed");
			return;
		}
		if (victim_size_kb(&v) < guard_kill_min_kb(&guard_st.cfg->mem)) {
			fmt(why, sizeof why, "the largest, %s (pid %d), would give back %lu KiB, "
			    "less than kill_min_size (%lu MiB)", v.comm, (int)v.pid,
			    (unsigned long)victim_size_kb(&v),
			    (unsigned long)mib(guard_kill_min_kb(&guard_st.cfg->mem)));
			no_kill(NK_SMALL, reason, why);
			return;
		}
		int fd;
		if (send_kill(&v, &fd) < 0)
			continue;
		guard_st.victim_pid = v.pid;
		guard_st.victim_fd = fd;
		guard_st.victim_since = now;
		guard_st.victim_deadline = now + VICTIM_WAIT_MS;
		memcpy(guard_st.victim_comm, v.comm, sizeof v.comm);
		if (fd >= 0 && loop_add(fd, LOOP_TAG(TAG_VICTIM, 0)) < 0)
			log_msg(LOG_WARN, "memory guard: epoll on pidfd: %s", strerror(errno));
		guard_st.recent[guard_st.kills % 8] = v.pid;
		guard_st.kills++;
		memcpy(guard_st.last.comm, v.comm, sizeof v.comm);
		guard_st.last.pid = v.pid;
		guard_st.last.rss_kb = v.rss_kb;
		guard_st.last.swap_kb = v.swap_kb;
		guard_st.last.at_ms = now;
		fmt(guard_st.last.reason, sizeof guard_st.last.reason, "%s", reason);
		guard_st.nokill = NK_NONE;
		log_msg(LOG_ERR, "memory guard: killed %s (pid %d, %lu MiB anon, RSS %lu MiB, "
			"swap %lu MiB): %s", v.comm, (int)v.pid, (unsigned long)mib(v.anon_kb),
			(unsigned long)mib(v.rss_kb), (unsigned long)mib(v.swap_kb), reason);
		return;
	}
}

static void victim_gone(uint64_t now, const char *how)
{
	log_msg(LOG_NOTICE, "memory guard: %s (pid %d) %s after %lu ms", guard_st.victim_comm,
		(int)guard_st.victim_pid, how, (unsigned long)(now - guard_st.victim_since));
	victim_clear();
}

/* ---- checking ---- */

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

/* The groups' high marks and limits: a group whose memory.events counted
 * "high" or "max" since the last look, or that sits at its high mark, is
 * full; if page cache is not what fills it, its largest process goes,
 * whatever its oom_score_adj (a -1000 hog there would have the kernel's
 * OOM killer take every other process of the group first).  Returns 1 if
 * a group is still at its mark (look again soon). */
static int check_groups(uint64_t now, const struct meminfo *m)
{
	static const char *const what[CG_NGROUPS] = { "sessions", "unprotected processes" };
	int full = 0;
	for (int i = 0; i < CG_NGROUPS; i++) {
		struct cg_fill f;
		char reason[REASON_LEN];
		if (cg_group_fill((enum cg_group)i, &f) < 0)
			continue;
		int rose = (guard_st.seen_high[i] >= 0 && f.ev_high > guard_st.seen_high[i]) ||
			   (guard_st.seen_max[i] >= 0 && f.ev_max > guard_st.seen_max[i]);
		guard_st.seen_high[i] = f.ev_high;
		guard_st.seen_max[i] = f.ev_max;
		if (!rose && !(f.high > 0 && f.current >= f.high))
			continue;
		full = 1;
		fmt(reason, sizeof reason, "the %s' group is at its limit (%lu MiB, high %lu MiB, "
		    "page cache %lu MiB)", what[i], (unsigned long)(f.current >> 20),
		    (unsigned long)(f.high > 0 ? f.high >> 20 : 0),
		    (unsigned long)((f.file > 0 ? f.file : 0) >> 20));
		if (!mc_guard_on())
			continue;
		if (!cg_fill_unreclaimable(&f)) {
			no_kill(NK_CACHE, reason, "page cache the kernel can drop fills it");
			continue;
		}
		/* the guard's own kill only where memory is short overall, or for
		 * a -1000 process: with memory to spare, a group at its mark is
		 * the kernel's to handle (a 1 GiB dom0 whose sessions hold 720
		 * MiB is no emergency) */
		try_kill(now, m, reason, cg_group_name((enum cg_group)i),
			 m->avail_kb >= plenty_kb(&guard_st.cfg->mem, m));
		break;
	}
	if (!full && (guard_st.nokill == NK_GROUP || guard_st.nokill == NK_CACHE))
		guard_st.nokill = NK_NONE;     /* the groups are back below their marks */
	return full;
}

/* When to look next.  Without the memory controller: polled, at the time
 * memory could take to run out (guard_poll_interval_ms).  With it, the
 * kernel says when a group fills (memory.events) and when tasks stall
 * (PSI): nothing is polled at rest, only once a second while memory is
 * short (until it is plentiful again) and where a balloon driver can
 * change MemTotal, and every 100 ms while a group is at its mark. */
static void schedule(uint64_t now, const struct meminfo *m, int group_full)
{
	const struct memory_conf *mc = &guard_st.cfg->mem;
	uint64_t next = 0;
	if (!guard_st.event_mode) {
		next = now + (mc->guard ? guard_poll_interval_ms(mc, m) : POLL_MAX_MS);
	} else {
		/* MemAvailable short: once a second until it is plentiful.  A
		 * runaway reaches its group's mark, which the kernel reports at
		 * once; a squeezed machine may stay short for good (at 208 MiB
		 * of a 1 GiB guest the kernel's reserve, sized at boot, leaves
		 * MemAvailable near 0 with 77 MiB free), and polling it faster
		 * would cost wake-ups for nothing */
		if (guard_st.balloon || (mc->guard && m->avail_kb < plenty_kb(mc, m)))
			next = now + POLL_MAX_MS;
		if (group_full && (!next || now + GROUP_RECHECK_MS < next))
			next = now + GROUP_RECHECK_MS;
	}
	guard_st.next_poll = next;
}

static void poll_now(uint64_t now, int groups)
{
	const struct memory_conf *mc = &guard_st.cfg->mem;
	struct meminfo m;
	char reason[REASON_LEN];
	int full = 0;
	if (read_mem(&m) < 0) {
		guard_st.next_poll = now + POLL_MAX_MS;
		return;
	}
	/* the cgroup limits follow MemTotal (a balloon may take memory away) */
	if (guard_st.last_total_kb && m.total_kb < guard_st.last_total_kb)
		guard_st.total_fell_ms = now;
	char why[REASON_LEN];
	/* Xen's balloon, read once per look: the floor, the pause and the
	 * limits all go by these two figures */
	guard_st.xen_target_kb = guard_st.xen ? read_kb(XEN_MEMORY "/target_kb") : -1;
	guard_st.xen_current_kb = guard_st.xen ? read_kb(XEN_MEMORY "/info/current_kb") : -1;
	balloon_floor();
	int hold = guard_balloon_moving(now, why, sizeof why);
	uint64_t total_kb = limits_total_kb(&m);
	if (m.total_kb != guard_st.last_total_kb || hold != guard_st.limits_held ||
	    total_kb != guard_st.limits_total_kb) {
		guard_st.last_total_kb = m.total_kb;
		guard_st.limits_total_kb = total_kb;
		guard_st.limits_held = (uint8_t)hold;
		cg_memtotal_now(m.total_kb * 1024);
		cg_memtotal(guard_st.cfg, total_kb * 1024, m.shmem_kb * 1024, now, hold);
	}
	cg_flush_log(now);
	/* no pidfd (old kernel): see whether the victim is gone */
	if (guard_st.victim_pid && guard_st.victim_fd < 0 && kill(guard_st.victim_pid, 0) < 0 &&
	    errno == ESRCH)
		victim_gone(now, "gone");
	/* a full group first: its own largest process is the better victim */
	if (groups || (guard_st.event_mode && guard_st.group_full))
		full = check_groups(now, &m);
	guard_st.group_full = full;
	if (mc->guard && guard_should_kill(mc, &m)) {
		describe_mem(mc, &m, reason, sizeof reason);
		try_kill(now, &m, reason, NULL, 0);
	} else if (mc->guard && m.avail_kb >= plenty_kb(mc, &m) &&
		   (guard_st.nokill == NK_BALLOON || guard_st.nokill == NK_SMALL ||
		    guard_st.nokill == NK_NOBODY)) {
		guard_st.nokill = NK_NONE;     /* the shortage is over: say the next one */
	}
	schedule(now, &m, full);
}

void guard_configure(const struct config *cfg, uint64_t now)
{
	const struct memory_conf *mc = &cfg->mem;
	guard_st.cfg = cfg;
	psi_close();
	guard_st.next_poll = 0;
	if (!mc->present) {
		fmt(guard_st.psi_state, sizeof guard_st.psi_state, "off");
		return;
	}
	if (mc->guard && mc->psi_stall_us)
		psi_open(mc);
	else
		fmt(guard_st.psi_state, sizeof guard_st.psi_state, "off");
	guard_st.last_total_kb = 0;    /* tell the cgroup layer MemTotal again */
	guard_st.have_m = 0;
	guard_st.nokill = NK_NONE;
	guard_st.total_fell_ms = 0;
	guard_st.floor_set_kb = 0;
	guard_rescan(now);
}

void guard_rescan(uint64_t now)
{
	if (!guard_st.cfg || !guard_st.cfg->mem.present)
		return;
	find_balloon();
	/* polling is needed only where the kernel cannot tell: no memory
	 * controller (or no PSI trigger to hear stalls by) */
	guard_st.event_mode = cg_active() && cg_group_fill(CG_LIMITED, &(struct cg_fill){ 0 }) == 0 &&
		       (!guard_st.cfg->mem.guard || guard_st.psi_trigger[0] || !guard_st.cfg->mem.psi_stall_us);
	for (int i = 0; i < CG_NGROUPS; i++) {
		struct cg_fill f;
		guard_st.seen_high[i] = guard_st.seen_max[i] = -1;
		if (cg_group_fill((enum cg_group)i, &f) == 0) {
			guard_st.seen_high[i] = f.ev_high;
			guard_st.seen_max[i] = f.ev_max;
		}
	}
	poll_now(now, 0);
}

uint64_t guard_next_deadline(void)
{
	uint64_t d = guard_st.cfg && guard_st.cfg->mem.present ? guard_st.next_poll : 0;
	if (guard_st.victim_pid && (!d || guard_st.victim_deadline < d))
		d = guard_st.victim_deadline;
	return d;
}

void guard_tick(uint64_t now)
{
	if (guard_st.victim_pid && now >= guard_st.victim_deadline) {
		/* stuck (D state, or its memory is pinned): go on without it */
		log_msg(LOG_ERR, "memory guard: %s (pid %d) still there after %d ms; not waiting",
			guard_st.victim_comm, (int)guard_st.victim_pid, VICTIM_WAIT_MS);
		guard_st.stuck_pid = guard_st.victim_pid;
		victim_clear();
	}
	if (guard_st.cfg && guard_st.cfg->mem.present && guard_st.next_poll && now >= guard_st.next_poll)
		poll_now(now, 0);
}

void guard_victim_event(uint64_t now)
{
	if (!guard_st.victim_pid)
		return;
	victim_gone(now, "gone");
	/* memory may still be short: look again at once */
	if (guard_st.cfg && guard_st.cfg->mem.present)
		poll_now(now, 1);
}

void guard_psi_event(uint64_t now)
{
	struct meminfo m;
	char reason[REASON_LEN], trig[32];
	if (!guard_st.cfg || !guard_st.cfg->mem.present || !guard_st.cfg->mem.guard || read_mem(&m) < 0)
		return;
	if (!guard_secondary_may_kill(&guard_st.cfg->mem, &m)) {
		no_kill(NK_PLENTY, "PSI memory pressure", "MemAvailable is plentiful");
	} else {
		psi_describe(&guard_st.cfg->mem, trig, sizeof trig);
		fmt(reason, sizeof reason, "PSI %s stall, MemAvailable %lu MiB", trig,
		    (unsigned long)mib(m.avail_kb));
		try_kill(now, &m, reason, NULL, 0);
	}
	/* watch closely while the pressure lasts (no memory controller: a
	 * look within POLL_MIN_MS, not later than one already planned) */
	uint64_t before = guard_st.next_poll, cap = now + POLL_MIN_MS;
	poll_now(now, 1);
	if (guard_st.event_mode)
		return;
	if (before && before > now && before < cap)
		cap = before;
	if (!guard_st.next_poll || guard_st.next_poll > cap)
		guard_st.next_poll = cap;
}

void guard_kick(uint64_t now)
{
	if (!guard_st.cfg || !guard_st.cfg->mem.present)
		return;
	/* memory.events changes at every throttling while a group sits at
	 * its mark: look at most every GROUP_RECHECK_MS */
	if (guard_st.group_checked_ms && now < guard_st.group_checked_ms + GROUP_RECHECK_MS) {
		if (!guard_st.next_poll || guard_st.next_poll > guard_st.group_checked_ms + GROUP_RECHECK_MS)
			guard_st.next_poll = guard_st.group_checked_ms + GROUP_RECHECK_MS;
		guard_st.group_full = 1;
		return;
	}
	guard_st.group_checked_ms = now;
	poll_now(now, 1);
}

uint64_t guard_memtotal_bytes(void)
{
	return guard_st.last_total_kb * 1024;
}

void guard_set_proc_root(const char *root)
{
	guard_st.root = root ? root : "/proc";
}

void guard_set_sys_root(const char *sys)
{
	guard_st.sys = sys ? sys : "/sys";
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
		if (pid > 0 && guard_st.recent[i] == pid)
			return 1;
	return 0;
}

static void text_last_kill(struct outbuf *o)
{
	char ago[16];
	if (!guard_st.kills) {
		ob_puts(o, "; kills 0\n");
		return;
	}
	fmt_duration(since(guard_st.last.at_ms), ago, sizeof ago);
	ob_printf(o, "; kills %u, last: %s (pid %d, %lu MiB) %s ago: %s\n", guard_st.kills,
		  guard_st.last.comm, (int)guard_st.last.pid,
		  (unsigned long)mib(guard_st.last.rss_kb + guard_st.last.swap_kb), ago, guard_st.last.reason);
}

void guard_status_text(struct outbuf *o)
{
	const struct memory_conf *mc = guard_st.cfg ? &guard_st.cfg->mem : NULL;
	const struct meminfo m = guard_st.m;
	struct psi p;
	char trig[32];
	if (!mc || !mc->present) {
		ob_puts(o, "memory: guard off (no [memory] section)\n");
		return;
	}
	/* memory as the last poll saw it (at most a second old) */
	if (!guard_st.have_m)
		ob_puts(o, "memory: meminfo unreadable\n");
	else if (m.swap_total_kb)
		ob_printf(o, "memory: MemTotal %lu MiB, MemAvailable %lu MiB, swap %lu MiB, %lu MiB free\n",
			  (unsigned long)mib(m.total_kb), (unsigned long)mib(m.avail_kb),
			  (unsigned long)mib(m.swap_total_kb), (unsigned long)mib(m.swap_free_kb));
	else
		ob_printf(o, "memory: MemTotal %lu MiB, MemAvailable %lu MiB, swap none\n",
			  (unsigned long)mib(m.total_kb), (unsigned long)mib(m.avail_kb));
	if (psi_read(guard_st.root, &p) < 0)
		ob_puts(o, "memory: psi unavailable");
	else
		ob_printf(o, "memory: psi some %u.%02u/%u.%02u/%u.%02u full %u.%02u/%u.%02u/%u.%02u"
			  " (avg10/60/300 %%)",
			  p.some_avg10 / 100, p.some_avg10 % 100, p.some_avg60 / 100,
			  p.some_avg60 % 100, p.some_avg300 / 100, p.some_avg300 % 100,
			  p.full_avg10 / 100, p.full_avg10 % 100, p.full_avg60 / 100,
			  p.full_avg60 % 100, p.full_avg300 / 100, p.full_avg300 % 100);
	psi_describe(mc, trig, sizeof trig);
	if (guard_st.psi_trigger[0])
		ob_printf(o, ", trigger %s\n", trig);
	else
		ob_printf(o, ", trigger %s\n", guard_st.psi_state);
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
	if (guard_st.nokill != NK_NONE)
		ob_printf(o, "memory: holding off: %s\n", guard_st.nokill_text);
	ob_printf(o, "memory: %s%s\n", guard_st.event_mode ? "waits for the kernel's events"
		  : "polls /proc/meminfo (no memory controller)",
		  guard_st.balloon ? "; a balloon driver is bound: MemTotal read every second" : "");
}

static void json_psi(struct outbuf *o)
{
	struct psi p;
	if (psi_read(guard_st.root, &p) < 0) {
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
	const struct memory_conf *mc = guard_st.cfg ? &guard_st.cfg->mem : NULL;
	int present = mc && mc->present, on = present && mc->guard;
	const struct meminfo *m = &guard_st.m;
	ob_puts(o, "\"memory\":{");
	if (present && guard_st.have_m)
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
	if (guard_st.psi_trigger[0])
		ob_json_str(o, guard_st.psi_trigger);
	else
		ob_puts(o, "null");
	ob_puts(o, ",\"psi_state\":");
	ob_json_str(o, present ? guard_st.psi_state : "off");
	ob_printf(o, ",\"present\":%s,\"guard\":%s,\"threshold_kb\":%lu,\"swap_min_percent\":%u,"
		  "\"kill_min_kb\":%lu,\"polling\":%s,\"balloon_driver\":%s,\"no_kill\":",
		  present ? "true" : "false", on ? "true" : "false",
		  on ? (unsigned long)guard_avail_threshold_kb(mc, m) : 0UL,
		  on ? mc->swap_min_percent : 0u, on ? (unsigned long)guard_kill_min_kb(mc) : 0UL,
		  present && !guard_st.event_mode ? "true" : "false", guard_st.balloon ? "true" : "false");
	if (on && guard_st.nokill != NK_NONE)
		ob_json_str(o, guard_st.nokill_text);
	else
		ob_puts(o, "null");
	ob_printf(o, ",\"kills\":%u,\"last_kill\":", guard_st.kills);
	if (!guard_st.kills) {
		ob_puts(o, "null},");
		return;
	}
	ob_puts(o, "{\"name\":");
	ob_json_str(o, guard_st.last.comm);
	ob_printf(o, ",\"pid\":%d,\"rss_kb\":%lu,\"swap_kb\":%lu,\"reason\":", (int)guard_st.last.pid,
		  (unsigned long)guard_st.last.rss_kb, (unsigned long)guard_st.last.swap_kb);
	ob_json_str(o, guard_st.last.reason);
	ob_printf(o, ",\"ago_ms\":%lu}},", (unsigned long)since(guard_st.last.at_ms));
}
