/* The control socket: a Unix stream socket, root only (SO_PEERCRED).
 *
 * Protocol (documented in lifelinectl(8)): the client sends one line,
 * "COMMAND [ARGUMENT]\n"; lifeline answers "ok\n" or "error: TEXT\n",
 * then the command's output, then closes the connection. */
#ifndef LIFELINE_CONTROL_H
#define LIFELINE_CONTROL_H
#include "outbuf.h"
#include <stdint.h>

/* Appends the next part of a long answer to the (empty) o; returns 0 once
 * nothing is left.  cursor starts at 0 and is the generator's own. */
typedef int (*control_more)(struct outbuf *o, uint64_t *cursor);
/* Fills o with the start of the answer; sets *more for a long one. */
typedef void (*control_handler)(char *cmd, char *arg, struct outbuf *o,
				control_more *more);

void control_init(void);
/* Bind and listen; -1 (logged) on failure, the caller retries later. */
int control_listen(const char *path, control_handler h);
void control_close(void);
void control_accept(void);
void control_event(int idx, uint32_t events);
uint64_t control_next_deadline(void);
void control_tick(uint64_t now);

#endif
