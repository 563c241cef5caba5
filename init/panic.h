/* A kernel panic must end in a reboot, not a hung machine: Debian's
 * kernel.panic is 0 (wait for ever), and a remote machine that waits for
 * ever answers nothing.  As the machine's init, lifeline sets
 * kernel.panic to [lifeline] panic_reboot where it is 0 (or still what
 * lifeline wrote there): a panic= on the kernel command line or an
 * admin's sysctl is left alone. */
#ifndef LIFELINE_PANIC_H
#define LIFELINE_PANIC_H
#include "config.h"

/* At boot and after a reload.  sysctl_dir: "/proc/sys/kernel" (tests give
 * a directory of their own). */
void panic_reboot_apply(const struct config *cfg, const char *sysctl_dir);
/* Pure: the seconds to write for ms (rounded up; 0 stays 0). */
unsigned panic_reboot_seconds(uint32_t ms);

#endif
