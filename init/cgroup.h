/* The cgroup v2 layer of the memory guard.
 *
 *   /sys/fs/cgroup/lifeline/protected/<service>   protected services:
 *                                                 memory.min
 *   /sys/fs/cgroup/lifeline/limited/              everything else:
 *                                                 memory.max L = MemTotal -
 *                                                 reserve, memory.high L - L/32
 *   /sys/fs/cgroup/lifeline/limited/<service>     other services (their own
 *                                                 memory_max, pids_max)
 *   /sys/fs/cgroup/lifeline/limited/sessions/     the sessions together:
 *                                                 memory.max S = L - room for
 *                                                 the services, memory.high
 *                                                 S - S/32
 *   /sys/fs/cgroup/lifeline/limited/sessions/<pid> each session a protected
 *                                                 service forked (pids.max)
 *
 * reserve = headroom + the protected services' memory.min, but at most a
 * quarter of MemTotal (a 128 MiB machine still leaves its sessions room).
 * The sessions reach their own limit before the services' shared one: a
 * runaway session is throttled and killed among the sessions, never by
 * taking cron with it.  PID 1 stays in the root group.  Every step is
 * best effort: what is missing is said once (log and status) and the rest
 * keeps working. */
#ifndef LIFELINE_CGROUP_H
#define LIFELINE_CGROUP_H
#include "config.h"
#include "outbuf.h"
#include <stdint.h>
#include <sys/types.h>

/* Mount cgroup2 on /sys/fs/cgroup if nothing is mounted there (an empty
 * directory, not a mount point; cgroup v1 there is left alone and said),
 * enable the memory and pids controllers (each on its own: one missing does
 * not cost the other), create the layout, set memory.min of lifeline/ and
 * protected/ to the sum of the protected minimums (a leaf is protected only
 * as far as its ancestors are), watch the limited group's memory.events
 * (TAG_CGROUP).  Only as the machine's PID 1 with [memory] cgroups = yes;
 * otherwise the layer stays off.  Never fails: what is missing is logged
 * once and kept for cg_state(). */
void cg_init(const struct config *cfg);
/* 1 if services are being put into groups. */
int cg_active(void);
/* "on", or what is missing ("cgroup2 not mounted", "no memory controller",
 * "off in the config", ...), for status and the log. */
const char *cg_state(void);

/* Create or update u's group and its limits.  Services with protect go
 * under protected/, the rest (boot and shutdown tasks too) under limited/;
 * a name with a '.' (it could be mistaken for an interface file such as
 * memory.max) or named "sessions" gets a ':' in front of its group name.  Returns an fd open for
 * writing on the group's cgroup.procs (the spawn child writes "0" to it
 * before exec; the caller closes it), or -1 (the service then runs in
 * lifeline's group: logged once). */
int cg_unit_prepare(const struct config *cfg, const struct unit_conf *u);
/* Apply cfg's units and the shared limit after a reload (memtotal_bytes 0:
 * the last known).  Turns the layer off (limits lifted) or on again as
 * cfg says; removes empty groups of units no longer configured.  Does
 * nothing unless cg_init ran, so it may be called after every reload. */
void cg_reconfigure(const struct config *cfg, uint64_t memtotal_bytes);
/* MemTotal changed (or first known): recompute and write memory.max and
 * memory.high of the limited and the sessions' groups; logs a change of a
 * figure in MiB, at most once a second (now: the time, in ms).  hold: a
 * balloon is taking memory (guard_balloon_moving): no limit goes below what
 * its group holds (cg_held_limit); called again with 0 once it stopped.
 * shmem_bytes: Shmem of /proc/meminfo (0: unknown); the tmpfs pages
 * outside lifeline's groups (an initramfs root) are kept out of the limit
 * as well (up to half of it) and shown as part of the reserve. */
void cg_memtotal(const struct config *cfg, uint64_t memtotal_bytes, uint64_t shmem_bytes,
		 uint64_t now, int hold);
/* The MemTotal the kernel shows now (bytes), when the guard makes the
 * limits for another: Xen's balloon, held at balloon_floor, is still to
 * take the difference (guard.c limits_total_kb).  The log and the status
 * then say both figures.  0, or the figure cg_memtotal got: one figure. */
void cg_memtotal_now(uint64_t memtotal_bytes);
/* Pure: a limit while a balloon takes memory (hold): as computed (want)
 * when it grows, else not below what the group holds (current, bytes; -1
 * unknown) plus 16 MiB of room, and never above the old one.  A kill
 * that the kernel makes at a lowered limit only feeds the balloon. */
uint64_t cg_held_limit(uint64_t want, uint64_t old, int64_t current);
/* Anything pending for the log (a MemTotal change said at most once a
 * second while a balloon moves): say it now if a second has passed. */
void cg_flush_log(uint64_t now);

/* The two groups the guard watches, and what it reads of them. */
enum cg_group { CG_SESSIONS, CG_LIMITED, CG_NGROUPS };
struct cg_fill {
	int64_t current, high, max;        /* bytes; high/max -1 = "max" */
	int64_t file, shmem, anon;         /* memory.stat, bytes */
	int64_t ev_high, ev_max, ev_oom;   /* memory.events counters */
};
/* 0 and *f filled (unknown fields -1), or -1 if the layer is off or the
 * group unreadable. */
int cg_group_fill(enum cg_group g, struct cg_fill *f);
/* The group's path below the cgroup2 mount ("/lifeline/limited/sessions"),
 * as <pid>/cgroup names it. */
const char *cg_group_name(enum cg_group g);
/* Pure: 1 if what fills f cannot be reclaimed but by a kill: page cache
 * (file - shmem) is under an eighth of memory.current. */
int cg_fill_unreclaimable(const struct cg_fill *f);
/* Pure: memory.stat's anon, file and shmem (bytes; keys not found leave
 * the field as it was). */
void cg_parse_stat(const char *text, struct cg_fill *f);

/* Counters from memory.events of u's group: -1 where unknown. */
struct cg_stats {
	int64_t current, min, max, high;   /* bytes; max/high -1 = "max" */
	int64_t oom_kill, oom_group_kill, oom;
	int64_t ev_high, ev_max;           /* memory.events high, max */
	int64_t pids_current, pids_max;    /* pids_max -1 = "max" */
};
int cg_unit_stats(const struct unit_conf *u, struct cg_stats *s);
/* The shared (limited) group's. */
int cg_limited_stats(struct cg_stats *s);
/* Attribution: 1 if oom_kill in u's memory.events rose above *last_oom_kill
 * (which is updated).  Start with *last_oom_kill = -1 and call it once at
 * spawn: that call only records.  0 where cgroups are unavailable. */
int cg_unit_oom_killed(const struct unit_conf *u, int64_t *last_oom_kill);

/* A protected service's main process forked child: put child in a group of
 * its own under limited/sessions with session_pids_max, set its
 * oom_score_adj to adj; then move every other process left in the service's
 * group (forked before the move) along with it.  0 on success. */
int cg_move_session(const struct config *cfg, const struct unit_conf *u, pid_t main_pid,
		    pid_t child, int adj);
/* Remove the groups of sessions that have ended, when one is due (at most
 * once a second after a session was moved), and when that is. */
void cg_tick(uint64_t now);
uint64_t cg_next_deadline(void);
/* TAG_CGROUP fired: returns 1 if the limited or the sessions group's
 * events changed (the guard should look now). */
int cg_event(void);

/* Pure helpers for tests.  The limit for the limited group in bytes:
 * MemTotal - the reserve in effect, page-aligned. */
uint64_t cg_limit_for(const struct config *cfg, uint64_t memtotal_bytes);
/* The sessions' limit within it: limit - room for the services, the room
 * a sixteenth of limit (at least 8 MiB, at most half of it), page-aligned. */
uint64_t cg_sessions_limit_for(uint64_t limit);
/* headroom + the memory_min of every protected service (or the [memory]
 * default where a service sets none); boot/shutdown tasks never count. */
uint64_t cg_reserve_for(const struct config *cfg);
/* The reserve in effect: cg_reserve_for, but at most a quarter of
 * MemTotal, so that a small machine (a 128 MiB dom0) still leaves its
 * sessions and services three quarters. */
uint64_t cg_reserve_effective(const struct config *cfg, uint64_t memtotal_bytes);
/* Pure parsers: a cgroup value file ("max" and unreadable text: -1), and
 * memory.events (oom, oom_kill, oom_group_kill; other keys ignored, keys
 * not found leave the field as it was). */
int64_t cg_parse_value(const char *text);
void cg_parse_events(const char *text, struct cg_stats *s);
/* For tests: use path as the cgroup2 mount (fake: a plain directory tree,
 * no file system checks, no mount) and forget all state. */
void cg_test_root(const char *path, int fake);

void cg_status_text(struct outbuf *o);
void cg_status_json(struct outbuf *o);

#endif
