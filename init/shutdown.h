/* The last steps of going down, after services have stopped: SIGTERM and
 * SIGKILL to every process, sync, unmount, then reboot(2). */
#ifndef LIFELINE_SHUTDOWN_H
#define LIFELINE_SHUTDOWN_H
#include <stdint.h>

/* cmd: RB_AUTOBOOT, RB_POWER_OFF or RB_HALT_SYSTEM.  As PID 1 this does
 * not return.  in_container: a PID namespace, where filesystems belong to
 * the host and are left alone. */
void shutdown_final(int cmd, int pid1, int in_container);
const char *shutdown_word(int cmd);
/* sync(2) in a child, waited for limit_ms at most: storage that stopped
 * answering (a common reason for SSH to stop) never returns from sync, and
 * PID 1 must not wait in it.  1 if it finished; 0 if not (the child is left
 * to finish or not) or if no child could be made (then no sync at all:
 * better than a PID 1 stuck for ever).  Said in the log either way. */
int sync_bounded(uint32_t limit_ms);

#endif
