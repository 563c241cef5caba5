/* Units (services, boot tasks, shutdown tasks): their runtime state and
 * the one state machine that steps them.  Fixed table, never allocates. */
#ifndef LIFELINE_SERVICE_H
#define LIFELINE_SERVICE_H
#include "unittab.h"

/* What happens to a unit; service.c's header says what each does in each
 * state. */
enum unit_event {
	EV_RUN,         /* its turn in the boot or shutdown sequence */
	EV_START,       /* lifelinectl start, or a reload added it */
	EV_STOP,        /* lifelinectl stop, or the shutdown stops services */
	EV_RESTART,     /* lifelinectl restart, or a reload changed it */
	EV_REMOVE,      /* a reload removed it: stop, then free its slot */
	EV_EXITED,      /* its main process died (wstatus) */
	EV_DEADLINE,    /* its next_ms has passed */
	EV_SHUTDOWN,    /* the shutdown begins */
};

/* The state machine: every change of a unit's state goes through here.
 * wstatus is waitpid's, for EV_EXITED only. */
void service_step(struct unit *u, enum unit_event ev, uint64_t now, int wstatus);

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
