/* Units (services, boot tasks, shutdown tasks): their runtime state and
 * the one state machine that steps them.  Fixed table, never allocates. */
#ifndef LIFELINE_SERVICE_H
#define LIFELINE_SERVICE_H
#include "unittab.h"

/* Take active's units into the table and start the boot sequence. */
void service_boot(void);
void service_child_exited(pid_t pid, int wstatus);
/* Act on every deadline that has passed. */
void service_tick(uint64_t now);
/* Earliest pending deadline, 0 if none. */
uint64_t service_next_deadline(void);
void service_output(int idx);
/* Log what services wrote without a final newline (at shutdown). */
void service_flush_all(void);

/* Control: 0 on success, else -1 with a message in err. */
int service_start(const char *name, char *err, int cap);
int service_stop(const char *name, char *err, int cap);
int service_restart(const char *name, char *err, int cap);
/* Make newcfg active: start added, stop removed, restart changed. */
void service_reload(const struct config *newcfg);
/* Begin the shutdown sequence (idempotent). */
void service_shutdown(void);

#endif
