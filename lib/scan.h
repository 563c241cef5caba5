/* Tiny text scanners for PID 1, in place of strtol and strstr: libc's
 * bring in general machinery (locale-aware scanning, two-way search)
 * that PID 1 does not need and would keep locked in memory for ever. */
#ifndef LIFELINE_SCAN_H
#define LIFELINE_SCAN_H
#include <stdint.h>

/* First occurrence of needle in hay, or NULL. */
const char *scan_find(const char *hay, const char *needle);
/* An unsigned number in base 10 or 16 at s, after any spaces; *end (if
 * not NULL) is set past it.  Stops at the first non-digit; saturates. */
uint64_t scan_uint(const char *s, int base, const char **end);

/* Calls fn for each line of the file at path (without its newline),
 * reading through buf; a line that does not fit in buf is skipped whole.
 * Stops when fn returns non-zero and returns that; -1 if path cannot be
 * opened. */
typedef int (*scan_line_fn)(void *ctx, char *line);
/* Read the file at path into buf (at most cap - 1 bytes, NUL-terminated),
 * as /proc and cgroup files want: in one go, retried on EINTR.  The
 * length, or -1. */
int scan_read_file(const char *path, char *buf, int cap);
/* Open path for reading a file that must be a regular file (a config, an
 * image, a kernel), without ever blocking: with O_NONBLOCK, so that a FIFO
 * put there does not wait in open() for a writer, then fstat, so that a
 * device (/dev/zero never ends) or a FIFO is refused.  flags are added to
 * O_RDONLY | O_NONBLOCK | O_CLOEXEC.  The fd; or -1 with errno from open()
 * and *kind NULL; or -1, errno EINVAL and *kind saying what the path is
 * instead ("a FIFO", "a character device", "a directory", ...). */
int scan_open_regular(const char *path, int flags, const char **kind);
int scan_lines(const char *path, char *buf, int cap, scan_line_fn fn, void *ctx);

/* Calls fn for each name in the directory at path ("." and ".." too),
 * reading entries through buf (getdents64: musl's opendir allocates).
 * Stops when fn returns non-zero and returns that; -1 if path cannot be
 * opened. */
typedef int (*scan_name_fn)(void *ctx, const char *name);
int scan_dir(const char *path, char *buf, int cap, scan_name_fn fn, void *ctx);

/* Parse "30s", "100ms", "5m", "2h" or a number of seconds, into
 * milliseconds up to 2^31 - 1 (the config files of lifeline and
 * lifeline-peer alike).  -1 on error. */
int64_t parse_duration_ms(const char *s, int len);

#endif
