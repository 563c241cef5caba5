/* The files arming adds to the rescue image: an uncompressed newc cpio
 * archive (the format the kernel unpacks for an initramfs, see the
 * kernel's Documentation/driver-api/early-userspace/buffer-format.rst),
 * appended after the image.  The kernel unpacks concatenated archives in
 * order, so a file here overrides the image's copy.
 *
 * Written through a small stack buffer straight to a file descriptor; the
 * alignment of every header is counted from the start of what is written
 * (c->off), so an archive appended at a 4-byte boundary stays aligned. */
#ifndef LIFELINE_INITRD_H
#define LIFELINE_INITRD_H
#include <stdint.h>

#define CPIO_HDR_LEN 110        /* "070701" and 13 fields of 8 hex digits */
#define CPIO_NAME_MAX 100       /* bytes of a name, NUL included */

struct initrd_out {
	int fd;
	uint64_t off;           /* bytes written so far */
	uint32_t ino;           /* the next inode number */
	uint32_t mtime;
	int err;                /* errno of the first failure, 0 if none */
};

void initrd_begin(struct initrd_out *c, int fd, uint32_t mtime);
/* The header of one entry with its name and the padding after it into
 * out: its length (a multiple of 4 when start is), or -1 if the name is
 * too long or cap too small. */
int initrd_header(char *out, int cap, uint64_t start, const char *name, uint32_t ino,
		uint32_t mode, uint32_t nlink, uint32_t filesize, uint32_t mtime);
/* A regular file with data; mode is the permission bits (S_IFREG added). */
int initrd_add_data(struct initrd_out *c, const char *name, uint32_t mode, const void *data,
		  uint32_t len);
/* A regular file with the contents of path (at most 16 MiB).  -1 with
 * c->err set on failure; ENOENT if path does not exist. */
int initrd_add_file(struct initrd_out *c, const char *name, uint32_t mode, const char *path);
/* The "TRAILER!!!" entry that ends an archive. */
int initrd_trailer(struct initrd_out *c);
/* Zeros up to the next multiple of 4. */
int initrd_pad(struct initrd_out *c);
/* All of src_fd's contents (from offset 0), as is: the rescue image
 * before the archive.  len: its size (fstat). */
int initrd_copy_fd(struct initrd_out *c, int src_fd, uint64_t len);

#endif
