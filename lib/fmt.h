/* A small snprintf for PID 1: musl's printf brings floating point and
 * locale code lifeline never uses.  Supports what lifeline writes:
 * %d %i %u %x %s %c %% with flags '-' '0', a width, a precision (also
 * '*'), and the l, ll and z length modifiers.  Always NUL-terminates;
 * returns the length the full output would have had, like snprintf. */
#ifndef LIFELINE_FMT_H
#define LIFELINE_FMT_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

int fmt(char *buf, size_t cap, const char *f, ...)
	__attribute__((format(printf, 3, 4)));
int vfmt(char *buf, size_t cap, const char *f, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* fmt to a file descriptor (at most 1 KiB), for the few words a program
 * says outside its log: usage, --version, --check-config. */
void fmt_write(int fd, const char *f, ...) __attribute__((format(printf, 2, 3)));
/* All of p to fd, through short writes and EINTR.  0, or -1 (errno set). */
int fmt_write_all(int fd, const void *p, size_t len);

/* For people: "512B", "4.5K", "32M", "1.2G"; "-" if negative (unknown) */
void fmt_size(int64_t bytes, char *buf, int cap);
/* For people: "1h02m", "3m04s", "12.3s", "450ms" */
void fmt_duration(uint64_t ms, char *buf, int cap);

#endif
