/* A small snprintf for PID 1: musl's printf brings floating point and
 * locale code lifeline never uses.  Supports what lifeline writes:
 * %d %i %u %x %s %c %% with flags '-' '0', a width, a precision (also
 * '*'), and the l, ll and z length modifiers.  Always NUL-terminates;
 * returns the length the full output would have had, like snprintf. */
#ifndef LIFELINE_FMT_H
#define LIFELINE_FMT_H
#include <stdarg.h>
#include <stddef.h>

int fmt(char *buf, size_t cap, const char *f, ...)
	__attribute__((format(printf, 3, 4)));
int vfmt(char *buf, size_t cap, const char *f, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
