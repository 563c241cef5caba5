/* What lifeline does when asked: the control socket's commands, and the
 * orderly shutdown that a command, a signal or /run/initctl begins. */
#ifndef LIFELINE_COMMANDS_H
#define LIFELINE_COMMANDS_H
#include "control.h"
#include "outbuf.h"
#include <stdint.h>

/* started_ms: when lifeline started (for status' uptime). */
void commands_init(uint64_t started_ms, int pid1);
/* control.h's handler: one command with its argument; the answer's first
 * line is "ok" or "error: ..."; *more set for answers that stream. */
void commands_handle(char *cmd, char *arg, struct outbuf *o, control_more *more);
/* Begin going down (RB_AUTOBOOT, RB_POWER_OFF or RB_HALT_SYSTEM): the
 * services are stopped; main does the final steps.  Only the first
 * request counts. */
void commands_shutdown(int cmd);
/* The shutdown asked for, -1 if none yet. */
int commands_shutdown_cmd(void);

#endif
