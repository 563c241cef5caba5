/* The control socket: a Unix stream socket, root only (SO_PEERCRED).
 *
 * Protocol (documented in lifelinectl(8)): the client sends one line,
 * "COMMAND [ARGUMENT]\n"; lifeline answers "ok\n" or "error: TEXT\n",
 * then the command's output, then closes the connection. */
#ifndef LIFELINE_CONTROL_H
#define LIFELINE_CONTROL_H
#include "outbuf.h"
#include <stdint.h>

/* Fills o with the whole answer; *stream_log = 1 to append the log ring. */
typedef void (*control_handler)(char *cmd, char *arg, struct outbuf *o,
				int *stream_log);

void control_init(void);
/* Bind and listen; -1 (logged) on failure, the caller retries later. */
int control_listen(const char *path, control_handler h);
void control_close(void);
void control_accept(void);
void control_event(int idx, uint32_t events);
uint64_t control_next_deadline(void);
void control_tick(uint64_t now);

#endif
