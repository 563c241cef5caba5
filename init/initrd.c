/* See initrd.h. */
#define _GNU_SOURCE
#include "initrd.h"
#include "fmt.h"
#include "scan.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAX (16u << 20)    /* a snapshot or key is a few KiB */
#define COPY_CHUNK (1u << 20)

static uint32_t pad4(uint64_t off)
{
	return (uint32_t)((4 - (off & 3)) & 3);
}

void initrd_begin(struct initrd_out *c, int fd, uint32_t mtime)
{
	c->fd = fd;
	c->off = 0;
	c->ino = 1;
	c->mtime = mtime;
	c->err = 0;
}

int initrd_header(char *out, int cap, uint64_t start, const char *name, uint32_t ino,
		uint32_t mode, uint32_t nlink, uint32_t filesize, uint32_t mtime)
{
	size_t nl = strlen(name) + 1;
	if (nl > CPIO_NAME_MAX)
		return -1;
	uint64_t len = CPIO_HDR_LEN + nl;
	len += pad4(start + len);
	if (len > (uint64_t)cap)
		return -1;
	/* ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor
	 * rdevminor namesize check; owner root */
	int n = fmt(out, (size_t)cap, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		    ino, mode, 0u, 0u, nlink, mtime, filesize, 0u, 0u, 0u, 0u, (unsigned)nl, 0u);
	if (n != CPIO_HDR_LEN)
		return -1;
	memcpy(out + CPIO_HDR_LEN, name, nl);
	memset(out + CPIO_HDR_LEN + nl, 0, (size_t)(len - CPIO_HDR_LEN - nl));
	return (int)len;
}

static int put(struct initrd_out *c, const void *data, size_t len)
{
	const char *p = data;
	if (c->err)
		return -1;
	while (len) {
		ssize_t w = write(c->fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			c->err = w < 0 ? errno : EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
		c->off += (uint64_t)w;
	}
	return 0;
}

int initrd_pad(struct initrd_out *c)
{
	static const char zero[4];
	return put(c, zero, pad4(c->off));
}

static int add_header(struct initrd_out *c, const char *name, uint32_t mode, uint32_t nlink,
		      uint32_t size)
{
	char h[CPIO_HDR_LEN + CPIO_NAME_MAX + 4];
	int n = initrd_header(h, sizeof h, c->off, name, c->ino++, mode, nlink, size, c->mtime);
	if (n < 0) {
		if (!c->err)
			c->err = ENAMETOOLONG;
		return -1;
	}
	return put(c, h, (size_t)n);
}

int initrd_add_data(struct initrd_out *c, const char *name, uint32_t mode, const void *data,
		  uint32_t len)
{
	if (add_header(c, name, S_IFREG | (mode & 07777), 1, len) < 0 || put(c, data, len) < 0)
		return -1;
	return initrd_pad(c);
}

/* len bytes of src from offset 0: sendfile where the kernel can, else
 * read and write through a stack buffer. */
static int copy_range(struct initrd_out *c, int src, uint64_t len)
{
	off_t pos = 0;
	if (c->err)
		return -1;
	while ((uint64_t)pos < len) {
		uint64_t left = len - (uint64_t)pos;
		ssize_t n = sendfile(c->fd, src, &pos, left < COPY_CHUNK ? left : COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EINVAL || errno == ENOSYS))
			break;
		if (n <= 0) {
			c->err = n < 0 ? errno : EIO;   /* 0: the file shrank */
			return -1;
		}
		c->off += (uint64_t)n;
	}
	while ((uint64_t)pos < len) {
		char buf[4096];
		uint64_t left = len - (uint64_t)pos;
		ssize_t n = pread(src, buf, left < sizeof buf ? left : sizeof buf, pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->err = n < 0 ? errno : EIO;
			return -1;
		}
		if (put(c, buf, (size_t)n) < 0)
			return -1;
		pos += n;
	}
	return 0;
}

int initrd_copy_fd(struct initrd_out *c, int src_fd, uint64_t len)
{
	return copy_range(c, src_fd, len);
}

int initrd_add_file(struct initrd_out *c, const char *name, uint32_t mode, const char *path)
{
	struct stat st;
	if (c->err)
		return -1;
	const char *kind;
	int fd = scan_open_regular(path, O_NOFOLLOW, &kind);
	if (fd < 0) {
		c->err = errno;         /* EINVAL: not a regular file */
		return -1;
	}
	int r = -1;
	if (fstat(fd, &st) < 0)
		c->err = errno;
	else if ((uint64_t)st.st_size > FILE_MAX)
		c->err = EFBIG;
	else if (add_header(c, name, S_IFREG | (mode & 07777), 1, (uint32_t)st.st_size) == 0 &&
		 copy_range(c, fd, (uint64_t)st.st_size) == 0)
		r = initrd_pad(c);
	close(fd);
	return r;
}

int initrd_trailer(struct initrd_out *c)
{
	/* like GNU cpio's: everything zero but nlink */
	uint32_t ino = c->ino;
	c->ino = 0;
	int r = add_header(c, "TRAILER!!!", 0, 1, 0);
	c->ino = ino;
	return r;
}
