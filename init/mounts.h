/* PID 1's mounts: what is missing is mounted, what is there is left alone. */
#ifndef LIFELINE_MOUNTS_H
#define LIFELINE_MOUNTS_H

void mounts_setup(void);
/* Turn every swap area off, then unmount, or remount read-only, every
 * real filesystem; then "/". */
void mounts_teardown(void);

#endif
