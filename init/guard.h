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

/* (Re)start from cfg->mem (boot and reload).  Opens the PSI trigger and
 * registers it with the loop as TAG_PSI.  Without [memory]: does nothing. */
void guard_configure(const struct config *cfg, uint64_t now);
/* Earliest time the guard wants to run, 0 if never. */
uint64_t guard_next_deadline(void);
/* Run the checks that are due. */
void guard_tick(uint64_t now);
/* The PSI trigger fired (TAG_PSI). */
void guard_psi_event(uint64_t now);
/* The victim's pidfd became readable: it is gone (TAG_VICTIM). */
void guard_victim_event(uint64_t now);
/* Something says check now (the shared cgroup group's events changed). */
void guard_kick(uint64_t now);

/* Pure policy, for unit tests: the threshold in kB below which
 * MemAvailable triggers, and whether m crosses the thresholds (returns
 * the reason, a static string, or NULL). */
uint64_t guard_avail_threshold_kb(const struct memory_conf *mc, const struct meminfo *m);
const char *guard_should_kill(const struct memory_conf *mc, const struct meminfo *m);
/* Milliseconds until the next poll: short near the threshold, 1000 when
 * memory is plentiful (memory can fill at several GB/s). */
uint32_t guard_poll_interval_ms(const struct memory_conf *mc, const struct meminfo *m);

/* For lifelinectl status: MemTotal, MemAvailable, PSI averages, the
 * thresholds and the kills made.  Text: a few lines; JSON: one member
 * `"memory": {...},` to put inside the top-level object. */
void guard_status_text(struct outbuf *o);
void guard_status_json(struct outbuf *o);

#endif
