/* The last steps of going down, after services have stopped: SIGTERM and
 * SIGKILL to every process, sync, unmount, then reboot(2). */
#ifndef LIFELINE_SHUTDOWN_H
#define LIFELINE_SHUTDOWN_H

/* cmd: RB_AUTOBOOT, RB_POWER_OFF or RB_HALT_SYSTEM.  As PID 1 this does
 * not return.  in_container: a PID namespace, where filesystems belong to
 * the host and are left alone. */
void shutdown_final(int cmd, int pid1, int in_container);
const char *shutdown_word(int cmd);

#endif
