/* Reserved memory: fault in the stack PID 1 will ever use, then lock
 * everything, present and future, so memory pressure cannot page it out. */
#ifndef LIFELINE_MEMLOCK_H
#define LIFELINE_MEMLOCK_H

/* 0 on success; -1 (with errno) if mlockall failed. */
int memlock_all(void);

#endif
