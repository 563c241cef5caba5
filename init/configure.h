/* The config file's way into PID 1, and the modules configured from it.
 * main calls configure_init once, then configure_boot and
 * configure_escalation at start-up; a reload (SIGHUP or lifelinectl
 * reload) and lifelinectl check-config come through commands.c. */
#ifndef LIFELINE_CONFIGURE_H
#define LIFELINE_CONFIGURE_H
#include "outbuf.h"

/* How lifeline runs: its config file, PID 1 or not, in a PID namespace. */
void configure_init(const char *config_path, int pid1, int in_container);
/* Load the config into the active one (its errors: the built-in fallback
 * set instead; programs missing: also the fallback's access services if
 * no sshd or dropbear could start), then syslog, the panic settings and
 * the memory guard's layers. */
void configure_boot(void);
/* The rescue escalation (rescue, watchdog, peerlink), at start-up. */
void configure_escalation(void);
/* Errors refuse a reload and keep the running set.  o: the control
 * reply (first line "ok" or "error: ..."), NULL for SIGHUP. */
void configure_reload(struct outbuf *o);
/* lifelinectl check-config: the file's problems into o. */
void configure_check_reply(struct outbuf *o);
/* lifeline --check-config FILE: problems to stderr; 0 if none, else 1. */
int configure_check_file(const char *path);
/* CONFIG_GOOD, CONFIG_BROKEN or CONFIG_ACCESS_ADDED (status.h) */
int configure_state(void);
const char *configure_path(void);

#endif
