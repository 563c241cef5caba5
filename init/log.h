/* Logging: every message goes to /dev/kmsg, to a ring in locked memory
 * (`lifelinectl log`), to the syslog socket when one is open and a daemon
 * listens there, and, for lifeline's own messages, to the console.
 * Never allocates; a message longer than LOG_LINE_MAX is truncated. */
#ifndef LIFELINE_LOG_H
#define LIFELINE_LOG_H
#include <stddef.h>
#include <stdint.h>

enum { LOG_ERR = 3, LOG_WARN = 4, LOG_NOTICE = 5, LOG_INFO = 6 };
/* syslog facilities (RFC 5424 codes); -1: not sent to syslog */
enum { LOG_FAC_NONE = -1, LOG_FAC_USER = 1, LOG_FAC_DAEMON = 3, LOG_FAC_AUTH = 4,
       LOG_FAC_CRON = 9, LOG_FAC_AUTHPRIV = 10, LOG_FAC_LOCAL0 = 16 };

/* kmsg: open /dev/kmsg (1) or not (0); console_fd: where lifeline's own
 * messages are echoed (-1 for none). */
void log_init(int use_kmsg, int console_fd);
/* Change where lifeline's own messages are echoed (-1: nowhere). */
void log_console(int console_fd);
int log_has_kmsg(void);
void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* One line of a service's output, already without its newline; to_kmsg 0
 * keeps it out of /dev/kmsg (kmsg = no); facility: its syslog facility,
 * LOG_FAC_NONE to keep it from syslog. */
void log_service_line(const char *name, const char *line, size_t len, int to_kmsg,
		      int facility);
/* Send every line to the syslog daemon's socket PATH (/dev/log) from now
 * on, never waiting: lines nobody took yet are sent later, in order, while
 * the ring holds them (see log.c).  -1 if no socket could be made. */
int log_syslog_open(const char *path);
void log_syslog_close(void);
/* Lines the daemon's full queue refused are sent again from the loop:
 * when (0: nothing to send), and the step. */
uint64_t log_syslog_next_deadline(void);
void log_syslog_tick(uint64_t now);

/* Copy whole records written since *cursor into dst; advances *cursor.
 * Returns bytes copied (0 when caught up). */
size_t log_ring_read(uint64_t *cursor, char *dst, size_t cap);
uint64_t log_ring_head(void);

/* Token bucket so one chatty service cannot flood the kernel log. */
struct ratelimit {
	uint64_t last_ms;
	uint32_t tokens_milli;  /* tokens * 1000 */
	uint32_t suppressed;
};
void ratelimit_reset(struct ratelimit *rl);
/* 1 if a line may be logged now; counts suppressed lines otherwise. */
int ratelimit_take(struct ratelimit *rl, uint64_t now);

/* When the next line will be allowed. */
uint64_t ratelimit_next_ms(const struct ratelimit *rl);

#define LOG_RATE_PER_SEC 20
#define LOG_BURST 100

#endif
