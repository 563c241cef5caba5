/* GRUB's environment block (/boot/grub/grubenv), read and edited in place
 * as GRUB itself and grub-editenv do (grub-core/lib/envblk.c): the
 * signature line, then name=value lines (a backslash or a newline in a
 * value escaped with a backslash), then '#' to the end of the block.
 * GRUB's save_env only ever rewrites the file's blocks in place, so the
 * file keeps its size; so do these.  No allocation: the verdict path
 * (rescue_now) uses them in the sick system. */
#ifndef LIFELINE_GRUBENV_H
#define LIFELINE_GRUBENV_H
#include <stddef.h>
#include <stdint.h>

/* The size grub-editenv creates (DEFAULT_ENVBLK_SIZE); the only one we edit */
#define GRUBENV_SIZE 1024
#define GRUBENV_SIG "# GRUB Environment Block\n"

/* 0 if buf holds a block GRUB would read whole: the signature, lines
 * that each have a name and '=' (or are comments), the last one ending
 * in a newline, then only '#'.  -1 otherwise. */
int grubenv_check(const char *buf, size_t size);
/* Set name=value as grub-editenv's `set` does, byte for byte: an existing
 * variable's value replaced where it stands (what follows moves, the
 * padding takes up the difference), a new one appended after the last
 * line.  0; -1 if buf is not a block or the value does not fit (buf is
 * then unchanged). */
int grubenv_set(char *buf, size_t size, const char *name, const char *value);
/* The value of name, unescaped, into out: 1 if it is there, 0 if not (or
 * it does not fit in cap). */
int grubenv_get(const char *buf, size_t size, const char *name, char *out, size_t cap);

/* The verdict's write: in a child, read path's block (a regular file of
 * GRUBENV_SIZE bytes), set the n variables, pwrite it back at offset 0
 * and fdatasync.  PID 1 waits at most limit_ms for it: a disk that does
 * not answer must not keep the host from rebooting.  0 when written; -1
 * with a message in err (the child is then left to itself). */
int grubenv_commit(const char *path, const char *const *names, const char *const *values,
		   int n, uint32_t limit_ms, char *err, int cap);

#endif
