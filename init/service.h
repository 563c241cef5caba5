/* Units (services, boot tasks, shutdown tasks): their runtime state and
 * the one state machine that steps them.  Fixed table, never allocates. */
#ifndef LIFELINE_SERVICE_H
#define LIFELINE_SERVICE_H
#include "unittab.h"

/* Take active's units into the table and start the boot sequence. */
void units_boot(void);
void units_child_exited(pid_t pid, int wstatus);
/* Act on every deadline that has passed. */
void units_tick(uint64_t now);
/* Earliest pending deadline, 0 if none. */
uint64_t units_next_deadline(void);
void units_output(int idx);
/* Log what services wrote without a final newline (at shutdown). */
void units_flush_all(void);

/* Control: 0 on success, else -1 with a message in err. */
int units_start(const char *name, char *err, int cap);
int units_stop(const char *name, char *err, int cap);
int units_restart(const char *name, char *err, int cap);
/* Make newcfg active: start added, stop removed, restart changed. */
void units_reload(const struct config *newcfg);
/* Begin the shutdown sequence (idempotent). */
void units_shutdown(void);

#endif
