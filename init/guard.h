/* The built-in early OOM killer (the [memory] section's guard), and the
 * memory watch that keeps the cgroup limits in step with MemTotal.
 *
 * Triggers: MemAvailable below mem_min_percent of MemTotal (or below
 * mem_min_size, the lower of the two) while SwapFree is below
 * swap_min_percent or there is no swap; a PSI trigger on
 * /proc/pressure/memory; the shared cgroup limit reached (cgroup.h).
 * Victim: victim.h.  Kill: pidfd_open, pidfd_send_signal(SIGKILL),
 * process_mrelease; the next victim only once this one is gone (or after
 * a timeout).  Polling adapts to the distance from the threshold: at most
 * one wake-up per second while memory is plentiful. */
#ifndef LIFELINE_GUARD_H
#define LIFELINE_GUARD_H
#include "config.h"
#include "meminfo.h"
#include "outbuf.h"
#include <stdint.h>
#include <sys/types.h>

/* (Re)start from cfg->mem (boot and reload).  Opens the PSI trigger and
 * registers it with the loop as TAG_PSI (EPOLLPRI).  Without [memory]:
 * closes what was open and does nothing more.  cfg is kept, not copied:
 * it must stay valid until the next call (main passes &active).  With
 * [memory], reads MemTotal at once and gives it to cg_memtotal(). */
void guard_configure(const struct config *cfg, uint64_t now);
/* Earliest time the guard wants to run, 0 if never. */
uint64_t guard_next_deadline(void);
/* Run the checks that are due. */
void guard_tick(uint64_t now);
/* The PSI trigger fired (TAG_PSI). */
void guard_psi_event(uint64_t now);
/* The victim's pidfd became readable: it is gone (TAG_VICTIM).  Until
 * then, or for at most 3 s (a victim still there then is never chosen
 * again), no other victim is chosen. */
void guard_victim_event(uint64_t now);
/* Something says check now (a watched group's memory.events changed). */
void guard_kick(uint64_t now);
/* Look again for balloon drivers and the memory controller (the boot
 * tasks are done: udev has loaded the drivers). */
void guard_rescan(uint64_t now);
/* 1 (and why, for the log) while a balloon is taking memory: MemTotal fell
 * in the last 10 s, or Xen's balloon target is below what it holds. */
int guard_balloon_moving(uint64_t now, char *why, int cap);
/* kill_min_size in kB. */
uint64_t guard_kill_min_kb(const struct memory_conf *mc);
/* The last MemTotal read, in bytes (0 before the first read). */
uint64_t guard_memtotal_bytes(void);
/* Tests: read meminfo, pressure/memory and the processes under root
 * instead of /proc (NULL: back to /proc). */
void guard_set_proc_root(const char *root);
/* Tests: look for balloon drivers under sys instead of /sys (NULL: back). */
void guard_set_sys_root(const char *sys);

/* Pure policy, for unit tests: the threshold in kB below which
 * MemAvailable triggers, and whether m crosses the thresholds (returns
 * the reason, a static string, or NULL). */
/* Threshold: mem_min_percent of MemTotal, or mem_min_size (bytes), the
 * lower of the two; a 0 means that one is not set (both 0: never). */
uint64_t guard_avail_threshold_kb(const struct memory_conf *mc, const struct meminfo *m);
/* MemAvailable below the threshold, and (where there is swap) SwapFree
 * below swap_min_percent of SwapTotal: both must hold. */
const char *guard_should_kill(const struct memory_conf *mc, const struct meminfo *m);
/* The rule for the secondary triggers, a PSI event and the shared cgroup
 * group at its high mark: they kill only while MemAvailable is below 4x
 * the threshold.  Both also fire when the page cache thrashes or fills
 * the group while memory is plentiful (MemAvailable counts the cache the
 * kernel can drop): killing would not help then, so the guard only logs
 * "... but MemAvailable N MiB: no kill" (at most once per 10 s).  Swap is
 * not looked at: a stall that long is what swap thrashing looks like. */
int guard_secondary_may_kill(const struct memory_conf *mc, const struct meminfo *m);
/* Milliseconds until the next poll, 50..1000: the time memory would take
 * to reach the threshold at 1 GiB/s (plus swap at ~800 MB/s, where there
 * is some), as earlyoom scales its sleep.  So memory counts as plentiful
 * (one wake-up per second) from 1 GiB above the threshold; a machine
 * with less to spare is polled in proportion: a hog that fills it in a
 * second or two must not reach the end between two polls, where the
 * kernel would find only what cannot be killed (a -1000 hog) and panic.
 * With guard = no, MemTotal is still read every 1000 ms for the cgroup
 * limits. */
uint32_t guard_poll_interval_ms(const struct memory_conf *mc, const struct meminfo *m);

/* 1 if pid is one of the guard's last 8 victims (a service it killed
 * counts as oom-killed). */
int guard_killed(pid_t pid);

/* For lifelinectl status: MemTotal, MemAvailable, PSI averages, the
 * thresholds and the kills made.  Text: a few lines; JSON: one member
 * `"memory": {...},` to put inside the top-level object. */
void guard_status_text(struct outbuf *o);
void guard_status_json(struct outbuf *o);

#endif
