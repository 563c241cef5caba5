/* OOM attribution without cgroups: the kernel's oom_kill counter in
 * /proc/vmstat and its "Killed process PID" lines in /dev/kmsg, read
 * only when a child has died of SIGKILL (so it costs no idle wake-ups). */
#ifndef LIFELINE_OOMWATCH_H
#define LIFELINE_OOMWATCH_H
#include <sys/types.h>

void oomwatch_init(void);
/* After a child died of SIGKILL: *named = the kernel log named pid as an
 * OOM victim; *seen = the kernel log lost records (or is missing) and the
 * oom_kill counter rose since the last look: a probable OOM kill. */
void oomwatch_check(pid_t pid, int *named, int *seen);
/* The kernel's oom_kill counter, -1 if unknown. */
long oomwatch_count(void);
/* Exposed for unit tests: the victim's PID in one kmsg record, or -1. */
long oomwatch_parse_record(const char *rec, int len);

#endif
