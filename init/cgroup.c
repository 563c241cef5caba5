/* See cgroup.h. */
#define _GNU_SOURCE
#include "cgroup.h"
#include "clock.h"
#include "fmt.h"
#include "log.h"
#include "loop.h"
#include "scan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define CGROUP2_MAGIC 0x63677270
#define TMPFS_MAGIC_ 0x01021994
#define MIB (1024ull * 1024)
#define PAGE_MASK_ (~4095ull)
#define PATH_BUF 192
#define NO_LIMIT UINT64_MAX
/* a held limit keeps this much above what the group holds: a login's room */
#define HOLD_ROOM (16 * MIB)

#define TOP "lifeline"
#define PROT "lifeline/protected"
#define LIM "lifeline/limited"
#define SESS "lifeline/limited/sessions"
#define PRUNE_EVERY_MS 1000
#define PRUNE_BUDGET 1024       /* rmdir tries per prune */

static struct {
	char root[64];          /* where cgroup2 is (or should be) mounted */
	int fake;               /* tests: a plain directory tree stands in */
	int pid1;               /* cg_init ran: the layer may be (re)configured */
	int on, mem, pids;      /* layout made; controllers enabled down the tree */
	int cpu;                /* the cpu controller too (best effort, see make_layout) */
	int ev_fd;              /* inotify on memory.events of limited and sessions */
	uint64_t memtotal, reserve, limit, high; /* bytes; limit/high as written */
	uint64_t slimit, shigh; /* the sessions' */
	uint64_t shmem;         /* Shmem of the last cg_memtotal, bytes */
	uint64_t memtotal_now;  /* MemTotal now, where memtotal is where it goes */
	int limit_written;
	/* the MemTotal change log: at most a line a second while a balloon
	 * moves; the last value said, and what is still to say */
	uint64_t said_total, said_limit, said_ms;
	int log_pending;
	uint8_t held;           /* limits held above use while a balloon moves */
	uint8_t reserve_capped; /* said that the reserve was cut to a quarter */
	uint32_t session_pids_max;
	/* empty session groups are removed at most once a second (a flood of
	 * connections forks sshd hundreds of times a second), PRUNE_BUDGET
	 * groups at a time: prune_at while one is due, 0 when none is */
	uint64_t prune_at, pruned_ms;
	uint64_t err_next_ms;   /* error lines: at most one per 5 s */
	unsigned err_suppressed;
	char why[96];           /* cg_state() */
	char logged[96];        /* the state last said in the log */
} cg = { .root = "/sys/fs/cgroup", .ev_fd = -1, .why = "off (not the machine's init)" };

/* Errors of the steady state (spawns, session moves) may repeat with every
 * login: one line per 5 s, with the count of those left out. */
__attribute__((format(printf, 1, 2)))
static void cg_error(const char *f, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;
	uint64_t now = now_ms();
	if (now < cg.err_next_ms) {
		cg.err_suppressed++;
		return;
	}
	va_start(ap, f);
	vfmt(msg, sizeof msg, f, ap);
	va_end(ap);
	if (cg.err_suppressed)
		log_msg(LOG_WARN, "cgroups: %s (%u similar errors not shown)", msg,
			cg.err_suppressed);
	else
		log_msg(LOG_WARN, "cgroups: %s", msg);
	cg.err_suppressed = 0;
	cg.err_next_ms = now + 5000;
}

static void set_state(const char *s)
{
	fmt(cg.why, sizeof cg.why, "%s", s);
}

static void gpath(char *buf, const char *group, const char *file)
{
	fmt(buf, PATH_BUF, "%s%s%s%s%s", cg.root, *group ? "/" : "", group,
	    *file ? "/" : "", file);
}

/* 0, or -errno: cgroup files report a refused value from write(). */
static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(s);
	ssize_t n = write(fd, s, len);
	int err = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return err;
}

static int gwrite(const char *group, const char *file, const char *s)
{
	char p[PATH_BUF];
	gpath(p, group, file);
	return write_str(p, s);
}

static int gwrite_u64(const char *group, const char *file, uint64_t v)
{
	char s[24];
	if (v == NO_LIMIT)
		return gwrite(group, file, "max");
	fmt(s, sizeof s, "%llu", (unsigned long long)v);
	return gwrite(group, file, s);
}

/* Length read, or -1. */
static int gmkdir(const char *group)
{
	char p[PATH_BUF];
	gpath(p, group, "");
	return mkdir(p, 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

/* ---- pure parts ---- */

int64_t cg_parse_value(const char *text)
{
	const char *end;
	while (*text == ' ')
		text++;
	if (!strncmp(text, "max", 3))
		return -1;
	if (*text < '0' || *text > '9')
		return -1;
	uint64_t v = scan_uint(text, 10, &end);
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* "key value" lines (memory.events, memory.stat) into dst[i] for keys[i];
 * keys compared whole ("oom" is not "oom_kill"). */
static void parse_keyed(const char *text, const char *const *keys, int64_t *const *dst,
			unsigned n)
{
	for (const char *l = text; *l;) {
		const char *sp = l;
		while (*sp && *sp != ' ' && *sp != '\n')
			sp++;
		for (unsigned i = 0; i < n && *sp == ' '; i++) {
			size_t kl = strlen(keys[i]);
			if ((size_t)(sp - l) == kl && !strncmp(l, keys[i], kl)) {
				uint64_t v = scan_uint(sp, 10, NULL);
				*dst[i] = v > INT64_MAX ? INT64_MAX : (int64_t)v;
			}
		}
		const char *nl = strchr(l, '\n');
		if (!nl)
			break;
		l = nl + 1;
	}
}

void cg_parse_events(const char *text, struct cg_stats *s)
{
	static const char *const keys[] = { "oom", "oom_kill", "oom_group_kill", "high", "max" };
	int64_t *const dst[] = { &s->oom, &s->oom_kill, &s->oom_group_kill, &s->ev_high,
				 &s->ev_max };
	parse_keyed(text, keys, dst, sizeof keys / sizeof keys[0]);
}

static int counts_protected(const struct unit_conf *u)
{
	/* an optional service not installed reserves nothing */
	return u->kind == UNIT_SERVICE && u->protect && !u->not_installed;
}

static uint64_t unit_min(const struct config *cfg, const struct unit_conf *u)
{
	return u->memory_min != SIZE_UNSET ? u->memory_min : cfg->mem.memory_min;
}

static uint64_t protected_sum(const struct config *cfg)
{
	uint64_t sum = 0;
	for (int i = 0; i < cfg->nunits; i++)
		if (counts_protected(&cfg->unit[i]))
			sum += unit_min(cfg, &cfg->unit[i]);
	return sum;
}

uint64_t cg_reserve_for(const struct config *cfg)
{
	return cfg->mem.headroom + protected_sum(cfg);
}

/* A reserve that does not fit the machine would leave the unprotected
 * processes nothing, and the kernel would OOM-kill among them without end
 * (a 256 MiB dom0 has a MemTotal of 122 MiB): it shrinks to a quarter. */
uint64_t cg_reserve_effective(const struct config *cfg, uint64_t memtotal_bytes)
{
	uint64_t r = cg_reserve_for(cfg), q = memtotal_bytes / 4;
	return r < q ? r : q;
}

uint64_t cg_limit_for(const struct config *cfg, uint64_t memtotal_bytes)
{
	return (memtotal_bytes - cg_reserve_effective(cfg, memtotal_bytes)) & PAGE_MASK_;
}

uint64_t cg_sessions_limit_for(uint64_t limit)
{
	uint64_t room = limit / 16;
	if (room < 8 * MIB)
		room = 8 * MIB;
	if (room > limit / 2)
		room = limit / 2;
	return (limit - room) & PAGE_MASK_;
}

/* The high mark: the kernel throttles and reclaims there, and the guard
 * hears of it (memory.events "high") before the group reaches its max,
 * where the kernel's OOM killer would pick its own victim. */
static uint64_t high_for(uint64_t limit)
{
	return (limit - limit / 32) & PAGE_MASK_;
}

/* The group of u relative to the root.  A name with a '.' could be taken
 * for an interface file (memory.max), and "sessions" is taken: those get a
 * ':' in front, a character unit names cannot have. */
static void unit_group(const struct unit_conf *u, int prot, char *buf, size_t cap)
{
	int esc = strchr(u->name, '.') || !strcmp(u->name, "sessions");
	fmt(buf, cap, "%s/%s%s", prot ? PROT : LIM, esc ? ":" : "", u->name);
}

/* ---- setting up ---- */

static int is_mount_point(const char *path)
{
	char parent[64];
	struct stat a, b;
	const char *slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) >= sizeof parent)
		return 1;
	size_t l = slash == path ? 1 : (size_t)(slash - path);
	memcpy(parent, path, l);
	parent[l] = '\0';
	if (stat(path, &a) < 0 || stat(parent, &b) < 0)
		return 1;
	return a.st_dev != b.st_dev;
}

static int count_name(void *ctx, const char *name)
{
	if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
		++*(int *)ctx;
	return 0;
}

static int dir_empty(const char *path)
{
	char buf[512];
	int n = 0;
	return scan_dir(path, buf, sizeof buf, count_name, &n) == 0 && n == 0;
}

/* 0 if cgroup2 is at the root (mounting it where nothing is), else -1 with
 * the reason in cg.why. */
static int check_mount(void)
{
	struct statfs sf;
	if (cg.fake)
		return 0;
	if (statfs(cg.root, &sf) < 0) {
		fmt(cg.why, sizeof cg.why, "cgroup2 not mounted (%s: %s)", cg.root,
		    strerror(errno));
		return -1;
	}
	if (sf.f_type == CGROUP2_MAGIC)
		return 0;
	if (!is_mount_point(cg.root) && dir_empty(cg.root)) {
		const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
		/* nsdelegate: containers started later get their own subtree */
		if (mount("cgroup2", cg.root, "cgroup2", fl, "nsdelegate") < 0 &&
		    mount("cgroup2", cg.root, "cgroup2", fl, NULL) < 0) {
			fmt(cg.why, sizeof cg.why, "cgroup2 not mounted (mount: %s)",
			    strerror(errno));
			return -1;
		}
		log_msg(LOG_INFO, "cgroups: mounted cgroup2 on %s", cg.root);
		return 0;
	}
	if (sf.f_type == TMPFS_MAGIC_)
		fmt(cg.why, sizeof cg.why, "cgroup2 not mounted (cgroup v1 at %s)", cg.root);
	else
		fmt(cg.why, sizeof cg.why, "cgroup2 not mounted (%s is something else)",
		    cg.root);
	return -1;
}

static int has_word(const char *s, const char *w)
{
	size_t wl = strlen(w);
	for (const char *p = s; (p = scan_find(p, w)); p += wl)
		if ((p == s || p[-1] == ' ') &&
		    (p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\n'))
			return 1;
	return 0;
}

/* Enable the controllers that are still wanted in group's subtree_control;
 * one that is refused is dropped (each separately: a missing pids
 * controller must not cost the memory one). */
static void enable_controllers(const char *group)
{
	if (cg.mem && gwrite(group, "cgroup.subtree_control", "+memory") < 0)
		cg.mem = 0;
	if (cg.pids && gwrite(group, "cgroup.subtree_control", "+pids") < 0)
		cg.pids = 0;
	if (cg.cpu && gwrite(group, "cgroup.subtree_control", "+cpu") < 0)
		cg.cpu = 0;
}

#define PROT_CPU_WEIGHT "1000"   /* the default is 100 */

static int make_layout(void)
{
	char ctl[256];
	static const char *const groups[] = { TOP, PROT, LIM, SESS };
	char p[PATH_BUF];
	gpath(p, "", "cgroup.controllers");
	if (scan_read_file(p, ctl, sizeof ctl) < 0)
		ctl[0] = '\0';
	cg.mem = has_word(ctl, "memory");
	cg.pids = has_word(ctl, "pids");
	/* CPU weights: a fork bomb in one session must not starve a new
	 * login; each session has a group of its own, so the scheduler shares
	 * the CPU between sessions, and the listeners get more than anyone */
	cg.cpu = has_word(ctl, "cpu");
	enable_controllers("");
	for (unsigned i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		int e = gmkdir(groups[i]);
		if (e < 0) {
			fmt(cg.why, sizeof cg.why, "cannot create %s/%s: %s", cg.root,
			    groups[i], strerror(-e));
			return -1;
		}
		enable_controllers(groups[i]);
	}
	if (cg.cpu && gwrite(PROT, "cpu.weight", PROT_CPU_WEIGHT) < 0)
		cg.cpu = 0;
	return 0;
}

/* memory.min of a leaf only protects as far as every ancestor's does. */
static void set_protection(const struct config *cfg)
{
	uint64_t sum = protected_sum(cfg);
	int e;
	if (!cg.mem)
		return;
	if ((e = gwrite_u64(TOP, "memory.min", sum)) < 0 ||
	    (e = gwrite_u64(PROT, "memory.min", sum)) < 0)
		cg_error("cannot set memory.min of %s: %s", PROT, strerror(-e));
}

/* The kernel notifies a change of memory.events as a modification of the
 * file: the guard hears of a group reaching its high mark or its max
 * without polling. */
static void watch_events(void)
{
	char p[PATH_BUF], q[PATH_BUF];
	if (cg.ev_fd >= 0 || !cg.mem)
		return;
	cg.ev_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (cg.ev_fd < 0) {
		cg_error("inotify: %s", strerror(errno));
		return;
	}
	gpath(p, LIM, "memory.events");
	gpath(q, SESS, "memory.events");
	if (inotify_add_watch(cg.ev_fd, p, IN_MODIFY) < 0 ||
	    inotify_add_watch(cg.ev_fd, q, IN_MODIFY) < 0 ||
	    loop_add(cg.ev_fd, LOOP_TAG(TAG_CGROUP, 0)) < 0) {
		cg_error("cannot watch %s: %s", p, strerror(errno));
		close(cg.ev_fd);
		cg.ev_fd = -1;
	}
}

/* Say the state when it is new. */
static void say_state(const struct config *cfg)
{
	if (!strcmp(cg.logged, cg.why))
		return;
	fmt(cg.logged, sizeof cg.logged, "%s", cg.why);
	if (cg.on && cg.mem && cg.pids)
		log_msg(LOG_INFO, "cgroups: on: services in %s/" TOP
			" (reserve for protected services and the kernel %llu MiB)",
			cg.root, (unsigned long long)(cg_reserve_for(cfg) / MIB));
	else if (cg.on)
		log_msg(LOG_WARN, "cgroups: %s: services are grouped, but %s", cg.why,
			!cg.mem ? "memory is not limited or protected by cgroups"
				: "fork bombs are not contained (no pids.max)");
	else if (strcmp(cg.why, "off in the config") != 0)
		log_msg(LOG_WARN, "cgroups: unavailable: %s", cg.why);
}

static void setup(const struct config *cfg)
{
	cg.on = cg.mem = cg.pids = 0;
	cg.limit_written = 0;
	cg.session_pids_max = cfg->mem.session_pids_max;
	if (!cfg->mem.present || !cfg->mem.cgroups) {
		set_state("off in the config");
	} else if (check_mount() == 0 && make_layout() == 0) {
		cg.on = 1;
		set_state(cg.mem && cg.pids ? "on" : cg.pids ? "no memory controller"
			  : cg.mem ? "no pids controller" : "no memory or pids controller");
		set_protection(cfg);
		watch_events();
	}
	say_state(cfg);
}

void cg_init(const struct config *cfg)
{
	cg.pid1 = 1;
	setup(cfg);
}

int cg_active(void)
{
	return cg.on;
}

const char *cg_state(void)
{
	return cg.why;
}

void cg_test_root(const char *path, int fake)
{
	if (cg.ev_fd >= 0) {
		loop_del(cg.ev_fd);
		close(cg.ev_fd);
	}
	memset(&cg, 0, sizeof cg);
	cg.ev_fd = -1;
	fmt(cg.root, sizeof cg.root, "%s", path);
	cg.fake = fake;
	set_state("off (not the machine's init)");
}

/* ---- limits ---- */

/* Shrinking: memory.high first (the kernel reclaims gently), then
 * memory.max.  Both writes may reclaim in PID 1's context for a moment,
 * memory.max may OOM-kill inside the group: that is the point.  0 or the
 * first error. */
static int write_pair(const char *group, uint64_t high, uint64_t max, int shrink)
{
	int e1, e2;
	if (shrink) {
		e1 = gwrite_u64(group, "memory.high", high);
		e2 = gwrite_u64(group, "memory.max", max);
	} else {
		e2 = gwrite_u64(group, "memory.max", max);
		e1 = gwrite_u64(group, "memory.high", high);
	}
	if (e1 < 0 || e2 < 0)
		cg_error("cannot set the limit of %s: %s", group, strerror(e1 < 0 ? -e1 : -e2));
	return e1 < 0 ? e1 : e2;
}

static void write_limits(uint64_t old_limit)
{
	int shrink = cg.limit < old_limit;
	/* the sessions' group lies inside limited: shrink it first, grow it
	 * last, so it is never the one left above its parent */
	int e1 = shrink ? write_pair(SESS, cg.shigh, cg.slimit, 1) : 0;
	int e2 = write_pair(LIM, cg.high, cg.limit, shrink);
	if (!shrink)
		e1 = write_pair(SESS, cg.shigh, cg.slimit, 0);
	cg.limit_written = e1 == 0 && e2 == 0;
}

/* The limits are made for a MemTotal other than today's (in MiB). */
static int coming(unsigned long long m)
{
	return cg.memtotal_now && cg.memtotal_now / m != cg.memtotal / m;
}

void cg_memtotal_now(uint64_t memtotal_bytes)
{
	cg.memtotal_now = memtotal_bytes;
}

/* The MemTotal line: only when a figure in MiB changed, at most once a
 * second (a balloon moves MemTotal every few hundred ms); what is held
 * back is said by cg_flush_log once the second has passed. */
static void say_memtotal(uint64_t now)
{
	const unsigned long long m = MIB;
	if (cg.said_total / m == cg.memtotal / m && cg.said_limit / m == cg.limit / m) {
		cg.log_pending = 0;
		return;
	}
	if (cg.said_ms && now >= cg.said_ms && now < cg.said_ms + 1000) {
		cg.log_pending = 1;
		return;
	}
	if (!cg.said_total)
		log_msg(LOG_INFO, "memory: MemTotal %llu MiB: limit for unprotected "
			"processes %llu MiB (memory.high %llu MiB), for the sessions %llu MiB",
			cg.memtotal / m, cg.limit / m, cg.high / m, cg.slimit / m);
	else if (cg.said_total / m != cg.memtotal / m && coming(m))
		log_msg(LOG_NOTICE, "memory: MemTotal %llu MiB now, %llu MiB once the "
			"balloon has its target: limit for unprotected processes %llu MiB -> "
			"%llu MiB", cg.memtotal_now / m, cg.memtotal / m, cg.said_limit / m,
			cg.limit / m);
	else if (cg.said_total / m != cg.memtotal / m)
		log_msg(LOG_NOTICE, "memory: MemTotal %llu MiB -> %llu MiB: limit for "
			"unprotected processes %llu MiB -> %llu MiB", cg.said_total / m,
			cg.memtotal / m, cg.said_limit / m, cg.limit / m);
	else
		log_msg(LOG_NOTICE, "memory: reserve %llu MiB: limit for unprotected "
			"processes %llu MiB -> %llu MiB", cg.reserve / m, cg.said_limit / m,
			cg.limit / m);
	cg.said_total = cg.memtotal;
	cg.said_limit = cg.limit;
	cg.said_ms = now;
	cg.log_pending = 0;
}

void cg_flush_log(uint64_t now)
{
	if (cg.log_pending && cg.on && cg.mem)
		say_memtotal(now);
}

static int64_t read_value(const char *g, const char *file);

uint64_t cg_held_limit(uint64_t want, uint64_t old, int64_t current)
{
	if (!old || want >= old)
		return want;            /* growing, or the first: as computed */
	uint64_t floor = current < 0 ? old : ((uint64_t)current + HOLD_ROOM) & PAGE_MASK_;
	if (floor > old)
		floor = old;
	return want > floor ? want : floor;
}

/* tmpfs pages outside lifeline's groups (an initramfs root, files the
 * kernel or PID 1 wrote): memory no kill in the groups gives back, so
 * the groups must reach their marks before it runs out */
static uint64_t outside_shmem(uint64_t shmem_bytes)
{
	char p[PATH_BUF], buf[1536];
	struct cg_fill f;
	f.anon = f.file = f.shmem = -1;
	gpath(p, TOP, "memory.stat");
	if (scan_read_file(p, buf, sizeof buf) > 0)
		cg_parse_stat(buf, &f);
	if (f.shmem < 0)
		return 0;
	return shmem_bytes > (uint64_t)f.shmem ? shmem_bytes - (uint64_t)f.shmem : 0;
}

void cg_memtotal(const struct config *cfg, uint64_t memtotal_bytes, uint64_t shmem_bytes,
		 uint64_t now, int hold)
{
	uint64_t old_limit = cg.limit, old_slimit = cg.slimit, old_high = cg.high,
		 old_shigh = cg.shigh;
	if (!memtotal_bytes)
		return;
	cg.memtotal = memtotal_bytes;
	cg.shmem = shmem_bytes;
	cg.reserve = cg_reserve_effective(cfg, memtotal_bytes);
	cg.limit = cg_limit_for(cfg, memtotal_bytes);
	if (cg.on && cg.mem && shmem_bytes) {
		/* kept out too, up to half of what is left */
		uint64_t out = outside_shmem(shmem_bytes) & PAGE_MASK_;
		if (out > cg.limit / 2)
			out = (cg.limit / 2) & PAGE_MASK_;
		cg.limit -= out;
		cg.reserve += out;
	}
	cg.high = high_for(cg.limit);
	cg.slimit = cg_sessions_limit_for(cg.limit);
	cg.shigh = high_for(cg.slimit);
	if (!cg.on || !cg.mem)
		return;
	/* a balloon taking memory: a limit below what a group holds would
	 * have the kernel kill in it, and the balloon take what that frees */
	if (hold) {
		int64_t lc = read_value(LIM, "memory.current"), sc = read_value(SESS, "memory.current");
		cg.limit = cg_held_limit(cg.limit, old_limit, lc);
		cg.high = cg_held_limit(cg.high, old_high, lc);
		cg.slimit = cg_held_limit(cg.slimit, old_slimit, sc);
		cg.shigh = cg_held_limit(cg.shigh, old_shigh, sc);
	}
	cg.held = (uint8_t)hold;
	if (cg.limit != old_limit || cg.slimit != old_slimit || cg.high != old_high ||
	    cg.shigh != old_shigh || !cg.limit_written)
		write_limits(old_limit ? old_limit : NO_LIMIT);
	say_memtotal(now);
	int capped = cg.reserve < cg_reserve_for(cfg);
	if (capped && !cg.reserve_capped)
		log_msg(LOG_NOTICE, "memory: the reserve (%llu MiB) is more than a quarter of "
			"MemTotal: a quarter is kept instead", cg_reserve_for(cfg) / MIB);
	cg.reserve_capped = (uint8_t)capped;
}

/* ---- what fills a group ---- */

void cg_parse_stat(const char *text, struct cg_fill *f)
{
	static const char *const keys[] = { "anon", "file", "shmem" };
	int64_t *const dst[] = { &f->anon, &f->file, &f->shmem };
	parse_keyed(text, keys, dst, sizeof keys / sizeof keys[0]);
}

int cg_fill_unreclaimable(const struct cg_fill *f)
{
	int64_t cache;
	if (f->current <= 0 || f->file < 0)
		return 0;
	cache = f->file - (f->shmem > 0 ? f->shmem : 0);
	return cache < f->current / 8;
}

static const char *const group_dir[CG_NGROUPS] = { SESS, LIM };

const char *cg_group_name(enum cg_group g)
{
	static const char *const names[CG_NGROUPS] = { "/" SESS, "/" LIM };
	return names[g];
}

static int64_t read_value(const char *g, const char *file);

int cg_group_fill(enum cg_group g, struct cg_fill *f)
{
	char p[PATH_BUF], buf[1536];
	struct cg_stats s;
	f->current = f->high = f->max = f->file = f->shmem = f->anon = -1;
	f->ev_high = f->ev_max = f->ev_oom = -1;
	if (!cg.on || !cg.mem || g >= CG_NGROUPS)
		return -1;
	f->current = read_value(group_dir[g], "memory.current");
	if (f->current < 0)
		return -1;
	f->high = read_value(group_dir[g], "memory.high");
	f->max = read_value(group_dir[g], "memory.max");
	gpath(p, group_dir[g], "memory.stat");
	/* anon and file are the first lines: a buffer this size holds them */
	if (scan_read_file(p, buf, sizeof buf) > 0)
		cg_parse_stat(buf, f);
	gpath(p, group_dir[g], "memory.events");
	s.oom = s.oom_kill = s.oom_group_kill = s.ev_high = s.ev_max = -1;
	if (scan_read_file(p, buf, sizeof buf) > 0)
		cg_parse_events(buf, &s);
	f->ev_high = s.ev_high;
	f->ev_max = s.ev_max;
	f->ev_oom = s.oom;
	return 0;
}

/* ---- units ---- */

static void apply_unit_limits(const struct config *cfg, const struct unit_conf *u,
			      const char *g, int prot)
{
	int e = 0;
	if (cg.mem) {
		if (prot)
			e = gwrite_u64(g, "memory.min", unit_min(cfg, u));
		if (e == 0)
			e = gwrite_u64(g, "memory.max",
				       u->memory_max != SIZE_UNSET ? u->memory_max : NO_LIMIT);
	}
	if (e == 0 && cg.pids)
		e = gwrite_u64(g, "pids.max", u->pids_max ? u->pids_max : NO_LIMIT);
	if (e < 0)
		cg_error("cannot set the limits of %s: %s", g, strerror(-e));
}

int cg_unit_prepare(const struct config *cfg, const struct unit_conf *u)
{
	char g[80], other[80], p[PATH_BUF];
	int prot = counts_protected(u), e, fd;
	if (!cg.on)
		return -1;
	unit_group(u, prot, g, sizeof g);
	if ((e = gmkdir(g)) < 0) {
		cg_error("cannot create %s/%s: %s (%s runs in lifeline's group)", cg.root, g,
			 strerror(-e), u->name);
		return -1;
	}
	apply_unit_limits(cfg, u, g, prot);
	/* protect changed by a reload: the old group goes once it is empty */
	unit_group(u, !prot, other, sizeof other);
	gpath(p, other, "");
	rmdir(p);
	gpath(p, g, "cgroup.procs");
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		cg_error("cannot open %s: %s (%s runs in lifeline's group)", p, strerror(errno),
			 u->name);
	return fd;
}

struct prune_ctx {
	const struct config *cfg;
	const char *parent;
	int prot, budget;
};

/* A group in parent that no unit of cfg uses goes if it is empty (rmdir
 * fails with EBUSY on a populated group, ENOTDIR on interface files). */
static int prune_one(void *ctx, const char *name)
{
	struct prune_ctx *pc = ctx;
	char g[80], p[PATH_BUF];
	if (pc->budget <= 0)
		return 1;
	if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, "sessions"))
		return 0;
	for (int i = 0; i < pc->cfg->nunits; i++) {
		const struct unit_conf *u = &pc->cfg->unit[i];
		if (counts_protected(u) != pc->prot)
			continue;
		unit_group(u, pc->prot, g, sizeof g);
		if (!strcmp(g + strlen(pc->parent) + 1, name))
			return 0;
	}
	fmt(g, sizeof g, "%s/%s", pc->parent, name);
	gpath(p, g, "");
	if (rmdir(p) == 0 || errno == EBUSY)
		pc->budget--;
	return 0;
}

void cg_reconfigure(const struct config *cfg, uint64_t memtotal_bytes)
{
	char buf[1024], g[80], p[PATH_BUF];
	struct stat st;
	if (!cg.pid1)
		return;
	if (!cfg->mem.present || !cfg->mem.cgroups) {
		if (cg.on && cg.mem) {
			gwrite(SESS, "memory.high", "max");
			gwrite(SESS, "memory.max", "max");
			gwrite(LIM, "memory.high", "max");
			gwrite(LIM, "memory.max", "max");
		}
		cg.on = 0;
		cg.limit = cg.high = cg.slimit = cg.shigh = 0;
		cg.said_total = cg.said_limit = 0;
		set_state("off in the config");
		say_state(cfg);
		return;
	}
	if (!cg.on) {
		setup(cfg);
	} else {
		cg.session_pids_max = cfg->mem.session_pids_max;
		set_protection(cfg);
		for (int i = 0; i < cfg->nunits; i++) {
			const struct unit_conf *u = &cfg->unit[i];
			int prot = counts_protected(u);
			unit_group(u, prot, g, sizeof g);
			gpath(p, g, "");
			if (stat(p, &st) == 0)
				apply_unit_limits(cfg, u, g, prot);
		}
		struct prune_ctx pc = { cfg, PROT, 1, 64 };
		gpath(p, PROT, "");
		scan_dir(p, buf, sizeof buf, prune_one, &pc);
		pc.parent = LIM;
		pc.prot = 0;
		gpath(p, LIM, "");
		scan_dir(p, buf, sizeof buf, prune_one, &pc);
	}
	cg.limit_written = 0;
	cg_memtotal(cfg, memtotal_bytes ? memtotal_bytes : cg.memtotal, cg.shmem, now_ms(), 0);
}

/* ---- sessions ---- */

static void set_adj(pid_t pid, int adj)
{
	char p[48], v[16];
	int e;
	fmt(p, sizeof p, "/proc/%d/oom_score_adj", (int)pid);
	fmt(v, sizeof v, "%d", adj);
	e = write_str(p, v);
	if (e < 0 && e != -ENOENT && e != -ESRCH)
		cg_error("cannot set oom_score_adj of %d: %s", (int)pid, strerror(-e));
}

/* 0, 1 if pid is gone (silent), -1 on other errors (logged). */
static int move_pid(const char *g, pid_t pid)
{
	char v[16];
	fmt(v, sizeof v, "%d", (int)pid);
	int e = gwrite(g, "cgroup.procs", v);
	if (e == -ESRCH)
		return 1;
	if (e < 0) {
		cg_error("cannot move %d to %s: %s", (int)pid, g, strerror(-e));
		return -1;
	}
	return 0;
}

struct sweep_ctx {
	const char *to;
	pid_t main_pid;
	int adj, moved;
};

static int sweep_one(void *ctx, char *line)
{
	struct sweep_ctx *sc = ctx;
	pid_t pid = (pid_t)scan_uint(line, 10, NULL);
	if (pid <= 0 || pid == sc->main_pid)
		return 0;
	if (move_pid(sc->to, pid) == 0) {
		set_adj(pid, sc->adj);
		sc->moved++;
	}
	return 0;
}

static int prune_session(void *ctx, const char *name)
{
	char g[80], p[PATH_BUF];
	int *budget = ctx;
	if (*name < '1' || *name > '9')
		return 0;
	fmt(g, sizeof g, SESS "/%s", name);
	gpath(p, g, "");
	rmdir(p);
	return --*budget <= 0;
}

int cg_move_session(const struct config *cfg, const struct unit_conf *u, pid_t main_pid,
		    pid_t child, int adj)
{
	char g[64], ug[80], p[PATH_BUF], buf[1024];
	int e, r;
	cg.session_pids_max = cfg->mem.session_pids_max;
	if (!cg.on) {
		set_adj(child, adj);
		return 0;
	}
	fmt(g, sizeof g, SESS "/%d", (int)child);
	if ((e = gmkdir(g)) < 0) {
		cg_error("cannot create %s: %s", g, strerror(-e));
		set_adj(child, adj);
		return -1;
	}
	if (cg.pids && (e = gwrite_u64(g, "pids.max", cg.session_pids_max ?
					 cg.session_pids_max : NO_LIMIT)) < 0)
		cg_error("cannot set pids.max of %s: %s", g, strerror(-e));
	r = move_pid(g, child);
	if (r == 0)
		set_adj(child, adj);
	/* what the service forked before the move is still in its group (the
	 * child's own children among them): follow until none is left */
	unit_group(u, counts_protected(u), ug, sizeof ug);
	gpath(p, ug, "cgroup.procs");
	struct sweep_ctx sc = { g, main_pid, adj, 1 };
	for (int pass = 0; pass < 8 && sc.moved; pass++) {
		sc.moved = 0;
		scan_lines(p, buf, sizeof buf, sweep_one, &sc);
	}
	/* earlier sessions that have ended leave empty groups: removed by
	 * cg_tick, at most once a second whatever the rate of forks */
	if (!cg.prune_at)
		cg.prune_at = cg.pruned_ms ? cg.pruned_ms + PRUNE_EVERY_MS : now_ms();
	return r < 0 ? -1 : 0;
}

void cg_tick(uint64_t now)
{
	char p[PATH_BUF], buf[1024];
	if (!cg.prune_at || now < cg.prune_at)
		return;
	/* a live group refuses with EBUSY; a bounded number of tries */
	int budget = PRUNE_BUDGET;
	gpath(p, SESS, "");
	scan_dir(p, buf, sizeof buf, prune_session, &budget);
	cg.prune_at = 0;
	cg.pruned_ms = now;
}

uint64_t cg_next_deadline(void)
{
	return cg.prune_at;
}

/* ---- events and figures ---- */

int cg_event(void)
{
	char buf[512] __attribute__((aligned(8)));
	int got = 0;
	if (cg.ev_fd < 0)
		return 0;
	for (int i = 0; i < 16 && read(cg.ev_fd, buf, sizeof buf) > 0; i++)
		got = 1;
	return got;
}

static int64_t read_value(const char *g, const char *file)
{
	char p[PATH_BUF], buf[32];
	gpath(p, g, file);
	return scan_read_file(p, buf, sizeof buf) < 0 ? -1 : cg_parse_value(buf);
}

static int group_stats(const char *g, struct cg_stats *s)
{
	char p[PATH_BUF], buf[256];
	s->current = s->min = s->max = s->high = -1;
	s->oom_kill = s->oom_group_kill = s->oom = -1;
	s->ev_high = s->ev_max = -1;
	s->pids_current = s->pids_max = -1;
	if (!cg.on)
		return -1;
	gpath(p, g, "memory.events");
	if (scan_read_file(p, buf, sizeof buf) >= 0)
		cg_parse_events(buf, s);
	s->current = read_value(g, "memory.current");
	s->min = read_value(g, "memory.min");
	s->max = read_value(g, "memory.max");
	s->high = read_value(g, "memory.high");
	s->pids_current = read_value(g, "pids.current");
	s->pids_max = read_value(g, "pids.max");
	return 0;
}

int cg_unit_stats(const struct unit_conf *u, struct cg_stats *s)
{
	char g[80];
	unit_group(u, counts_protected(u), g, sizeof g);
	return group_stats(g, s);
}

int cg_limited_stats(struct cg_stats *s)
{
	return group_stats(LIM, s);
}

int cg_unit_oom_killed(const struct unit_conf *u, int64_t *last_oom_kill)
{
	/* memory.events alone: this runs at every start and death */
	char g[80], p[PATH_BUF], buf[256];
	struct cg_stats s;
	if (!cg.on)
		return 0;
	unit_group(u, counts_protected(u), g, sizeof g);
	gpath(p, g, "memory.events");
	s.oom_kill = s.oom_group_kill = s.oom = s.ev_high = s.ev_max = -1;
	if (scan_read_file(p, buf, sizeof buf) < 0)
		return 0;
	cg_parse_events(buf, &s);
	if (s.oom_kill < 0)
		return 0;
	int rose = *last_oom_kill >= 0 && s.oom_kill > *last_oom_kill;
	*last_oom_kill = s.oom_kill;
	return rose;
}

void cg_status_text(struct outbuf *o)
{
	const unsigned long long m = MIB;
	struct cg_stats s;
	if (!cg.on) {
		ob_printf(o, "cgroups: %s%s\n", !strncmp(cg.why, "off", 3) ? "" : "unavailable: ",
			  cg.why);
		return;
	}
	ob_printf(o, "cgroups: on%s%s", strcmp(cg.why, "on") ? ", " : "",
		  strcmp(cg.why, "on") ? cg.why : "");
	if (cg.mem && cg.limit) {
		cg_limited_stats(&s);
		ob_printf(o, "; limit for unprotected processes %llu MiB (MemTotal %llu MiB"
			  " - reserve %llu MiB), for the sessions %llu MiB", cg.limit / m,
			  cg.memtotal / m, cg.reserve / m, cg.slimit / m);
		if (coming(m))
			ob_printf(o, "; MemTotal is %llu MiB now: the limits are made for "
				  "what the balloon leaves", (unsigned long long)cg.memtotal_now / m);
		if (s.current >= 0)
			ob_printf(o, ", in use %llu MiB", (unsigned long long)s.current / m);
	} else if (cg.mem) {
		ob_puts(o, "; limit for unprotected processes not set yet");
	}
	if (cg.pids)
		ob_printf(o, cg.session_pids_max ? ", pids.max per session %u"
			  : ", pids.max per session: none", cg.session_pids_max);
	ob_puts(o, "\n");
}

/* A figure, or null where unknown. */
static void json_num(struct outbuf *o, const char *key, int64_t v)
{
	if (v >= 0)
		ob_printf(o, ",\"%s\":%lld", key, (long long)v);
	else
		ob_printf(o, ",\"%s\":null", key);
}

void cg_status_json(struct outbuf *o)
{
	struct cg_stats s;
	ob_puts(o, "\"cgroups\":{\"state\":");
	ob_json_str(o, cg.why);
	ob_printf(o, ",\"active\":%s", cg.on ? "true" : "false");
	if (cg.on && cg.mem && cg.limit) {
		cg_limited_stats(&s);
		json_num(o, "memtotal", (int64_t)(cg.memtotal_now ? cg.memtotal_now : cg.memtotal));
		json_num(o, "limits_memtotal", (int64_t)cg.memtotal);
		json_num(o, "reserve", (int64_t)cg.reserve);
		json_num(o, "limit", (int64_t)cg.limit);
		json_num(o, "high", (int64_t)cg.high);
		json_num(o, "sessions_limit", (int64_t)cg.slimit);
		json_num(o, "sessions_high", (int64_t)cg.shigh);
		json_num(o, "current", s.current);
		json_num(o, "oom_kills", s.oom_kill);
	}
	if (cg.on && cg.pids)
		json_num(o, "session_pids_max", cg.session_pids_max ? (int64_t)cg.session_pids_max : -1);
	ob_puts(o, "},");
}
