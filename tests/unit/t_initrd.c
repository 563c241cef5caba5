/* The newc cpio writer (initrd.c): what it writes is read back by an
 * independent reader here (magic, every field, names, padding, data, the
 * trailer) and, where Debian's cpio is installed, extracted by it. */
#include "test.h"
#include "initrd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- an independent reader, shared with t_rescue.c ---- */

struct cpio_entry {
	char name[128];
	uint32_t ino, mode, uid, gid, nlink, mtime, size, namesize;
	const unsigned char *data;
};

static int hex8(const unsigned char *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		int c = p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

/* Parse buf (len bytes) as one newc archive ending with TRAILER!!! at the
 * end of buf (only zero padding after it).  Fills up to max entries
 * (the trailer not included); returns their number, or -1 with why set. */
int cpio_parse(const unsigned char *buf, size_t len, struct cpio_entry *e, int max,
	       char *why, size_t whycap)
{
	size_t off = 0;
	int n = 0;
	for (;;) {
		struct cpio_entry x;
		uint32_t f[13];
		memset(&x, 0, sizeof x);
		if (off % 4) {
			snprintf(why, whycap, "header at %zu not 4-aligned", off);
			return -1;
		}
		if (off + 110 > len) {
			snprintf(why, whycap, "truncated header at %zu", off);
			return -1;
		}
		if (memcmp(buf + off, "070701", 6)) {
			snprintf(why, whycap, "bad magic at %zu", off);
			return -1;
		}
		for (int i = 0; i < 13; i++)
			if (hex8(buf + off + 6 + 8 * i, &f[i]) < 0) {
				snprintf(why, whycap, "field %d not hex at %zu", i, off);
				return -1;
			}
		x.ino = f[0]; x.mode = f[1]; x.uid = f[2]; x.gid = f[3]; x.nlink = f[4];
		x.mtime = f[5]; x.size = f[6]; x.namesize = f[11];
		if (f[7] || f[8] || f[9] || f[10] || f[12]) {
			snprintf(why, whycap, "dev or check fields not 0 at %zu", off);
			return -1;
		}
		if (x.namesize < 2 || x.namesize > sizeof x.name || off + 110 + x.namesize > len ||
		    buf[off + 110 + x.namesize - 1] != 0) {
			snprintf(why, whycap, "bad name size at %zu", off);
			return -1;
		}
		memcpy(x.name, buf + off + 110, x.namesize);
		size_t p = off + 110 + x.namesize;
		for (; p % 4; p++)
			if (p >= len || buf[p]) {
				snprintf(why, whycap, "name padding of %s not zeros", x.name);
				return -1;
			}
		if (p + x.size > len) {
			snprintf(why, whycap, "data of %s truncated", x.name);
			return -1;
		}
		x.data = buf + p;
		p += x.size;
		for (; p % 4; p++)
			if (p >= len || buf[p]) {
				snprintf(why, whycap, "data padding of %s not zeros", x.name);
				return -1;
			}
		off = p;
		if (!strcmp(x.name, "TRAILER!!!")) {
			if (x.size || x.mode) {
				snprintf(why, whycap, "trailer with size or mode");
				return -1;
			}
			for (; off < len; off++)
				if (buf[off]) {
					snprintf(why, whycap, "bytes after the trailer");
					return -1;
				}
			return n;
		}
		if (n < max)
			e[n] = x;
		n++;
	}
}

/* The whole file at path into a malloc'd buffer. */
unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	unsigned char *b = malloc(cap);
	for (;;) {
		size_t r = fread(b + n, 1, cap - n, f);
		n += r;
		if (n < cap)
			break;
		cap *= 2;
		b = realloc(b, cap);
	}
	fclose(f);
	*len = n;
	return b;
}

/* Extract the archive at path with Debian's cpio into dir: 0 if it
 * worked, 1 if cpio is not installed, -1 if it failed. */
int cpio_extract(const char *path, const char *dir)
{
	char cmd[1024];
	if (access("/usr/bin/cpio", X_OK) != 0)
		return 1;
	snprintf(cmd, sizeof cmd, "cd '%s' && cpio -idm --quiet --no-absolute-filenames < '%s' "
		 "2>/dev/null", dir, path);
	return system(cmd) == 0 ? 0 : -1;
}

/* one temporary directory for the suite: the harness has few slots */
static char tdir[256];

static int open_temp(char *path, size_t cap)
{
	static int n;
	snprintf(path, cap, "%s/archive%d.cpio", tdir, n++);
	return open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
}

static const char *tfile(const char *name, const char *content)
{
	static char path[512];
	write_file(tdir, name, content, strlen(content));
	snprintf(path, sizeof path, "%s/%s", tdir, name);
	return path;
}

void suite_initrd(void)
{
	snprintf(tdir, sizeof tdir, "%s", temp_dir());
	TEST("initrd: a header has the magic, 13 hex fields, the name and padding to 4") {
		char h[256];
		int n = initrd_header(h, sizeof h, 0, "etc/rescue/netsnap", 7, 0100644, 1, 1234,
				    1700000000);
		/* 110 + 19 = 129, padded to 132 */
		CHECK_INT(n, 132);
		CHECK(!memcmp(h, "070701", 6));
		CHECK(!memcmp(h + 6, "00000007" "000081a4" "00000000" "00000000" "00000001"
				 "6553f100" "000004d2" "00000000" "00000000" "00000000"
				 "00000000" "00000013" "00000000", 104));
		CHECK_STR(h + 110, "etc/rescue/netsnap");
		CHECK(h[129] == 0 && h[130] == 0 && h[131] == 0);
	}

	TEST("initrd: header padding counts from where the header starts") {
		char h[256];
		/* 110 + 2 = 112: no padding at 0, but 2 bytes at offset 2 */
		CHECK_INT(initrd_header(h, sizeof h, 0, "a", 1, 0100644, 1, 0, 0), 112);
		CHECK_INT(initrd_header(h, sizeof h, 2, "a", 1, 0100644, 1, 0, 0), 114);
		CHECK_INT(initrd_header(h, sizeof h, 0, "ab", 1, 0100644, 1, 0, 0), 116);
	}

	TEST("initrd: a name too long or a buffer too small is refused") {
		char h[400], name[CPIO_NAME_MAX + 1];
		memset(name, 'x', sizeof name - 1);
		name[sizeof name - 1] = '\0';
		CHECK_INT(initrd_header(h, sizeof h, 0, name, 1, 0100644, 1, 0, 0), -1);
		name[CPIO_NAME_MAX - 1] = '\0';         /* 99 bytes and the NUL: fits */
		CHECK(initrd_header(h, sizeof h, 0, name, 1, 0100644, 1, 0, 0) > 0);
		CHECK_INT(initrd_header(h, 100, 0, "a", 1, 0100644, 1, 0, 0), -1);
	}

	TEST("initrd: every name and data length pads right and reads back") {
		char path[300];
		int fd = open_temp(path, sizeof path);
		struct initrd_out c;
		initrd_begin(&c, fd, 42);
		const char *names[] = { "a", "ab", "abc", "abcd", "abcde", "etc/x" };
		const char *datas[] = { "", "1", "12", "123", "1234", "12345" };
		for (int i = 0; i < 6; i++)
			CHECK_INT(initrd_add_data(&c, names[i], i == 5 ? 0600 : 0644, datas[i],
						(uint32_t)strlen(datas[i])), 0);
		CHECK_INT(initrd_trailer(&c), 0);
		CHECK_INT(c.err, 0);
		CHECK_INT(c.off % 4, 0);
		CHECK_INT((long long)lseek(fd, 0, SEEK_END), (long long)c.off);
		close(fd);
		size_t len;
		unsigned char *b = slurp(path, &len);
		struct cpio_entry e[8];
		char why[128] = "";
		int n = cpio_parse(b, len, e, 8, why, sizeof why);
		CHECK_MSG(n == 6, "parsed %d entries: %s", n, why);
		for (int i = 0; i < 6 && i < n; i++) {
			CHECK_STR(e[i].name, names[i]);
			CHECK_INT(e[i].mode, i == 5 ? 0100600 : 0100644);
			CHECK_INT(e[i].size, strlen(datas[i]));
			CHECK(!memcmp(e[i].data, datas[i], e[i].size));
			CHECK_INT(e[i].nlink, 1);
			CHECK_INT(e[i].uid, 0);
			CHECK_INT(e[i].mtime, 42);
			CHECK_INT(e[i].ino, i + 1);     /* distinct: no hard links */
		}
		free(b);
	}

	TEST("initrd: initrd_add_file copies a file; a missing one writes nothing") {
		char path[300];
		const char *src = tfile("snap", "lifeline-netsnap 1\nlink eth0 52:54:00:12:34:56\n");
		int fd = open_temp(path, sizeof path);
		struct initrd_out c;
		initrd_begin(&c, fd, 0);
		CHECK_INT(initrd_add_file(&c, "etc/rescue/netsnap", 0644, src), 0);
		uint64_t off = c.off;
		CHECK_INT(initrd_add_file(&c, "etc/rescue/nothing", 0644, "/nonexistent/file"), -1);
		CHECK_INT(c.err, ENOENT);
		CHECK_INT((long long)c.off, (long long)off);
		c.err = 0;
		CHECK_INT(initrd_add_file(&c, "etc/x", 0644, "/proc"), -1);      /* not a file */
		CHECK_INT(c.err, EINVAL);
		c.err = 0;
		CHECK_INT(initrd_trailer(&c), 0);
		close(fd);
		size_t len;
		unsigned char *b = slurp(path, &len);
		struct cpio_entry e[4];
		char why[128] = "";
		CHECK_INT(cpio_parse(b, len, e, 4, why, sizeof why), 1);
		CHECK_STR(e[0].name, "etc/rescue/netsnap");
		CHECK_INT(e[0].size, 47);
		CHECK(!memcmp(e[0].data, "lifeline-netsnap 1\nlink eth0", 28));
		free(b);
	}

	TEST("initrd: image + zeros to 4 + archive: the archive starts aligned") {
		char path[300];
		const char *img = tfile("img", "IMAGE");      /* 5 bytes: 3 of padding */
		int ifd = open(img, O_RDONLY);
		int fd = open_temp(path, sizeof path);
		struct initrd_out c;
		initrd_begin(&c, fd, 0);
		CHECK_INT(initrd_copy_fd(&c, ifd, 5), 0);
		CHECK_INT(initrd_pad(&c), 0);
		CHECK_INT((long long)c.off, 8);
		CHECK_INT(initrd_add_data(&c, "f", 0644, "xyz", 3), 0);
		CHECK_INT(initrd_trailer(&c), 0);
		close(ifd);
		close(fd);
		size_t len;
		unsigned char *b = slurp(path, &len);
		CHECK(!memcmp(b, "IMAGE\0\0\0", 8));
		struct cpio_entry e[2];
		char why[128] = "";
		int n = cpio_parse(b + 8, len - 8, e, 2, why, sizeof why);
		CHECK_MSG(n == 1, "%d: %s", n, why);
		free(b);
	}

	TEST("initrd: Debian's cpio extracts what the writer wrote") {
		char path[300], out[300];
		int fd = open_temp(path, sizeof path);
		struct initrd_out c;
		initrd_begin(&c, fd, 1700000000);
		CHECK_INT(initrd_add_data(&c, "keepalive.key", 0600, "0123\n", 5), 0);
		CHECK_INT(initrd_add_data(&c, "netsnap", 0644, "lifeline-netsnap 1\n", 19), 0);
		CHECK_INT(initrd_trailer(&c), 0);
		close(fd);
		snprintf(out, sizeof out, "%s/x", tdir);
		mkdir(out, 0755);
		int r = cpio_extract(path, out);
		CHECK_MSG(r != 1, "cpio is not installed (tests/deps.sh installs it)");
		CHECK_INT(r, 0);
		char p[400];
		struct stat st;
		snprintf(p, sizeof p, "%s/keepalive.key", out);
		CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_size == 5);
		CHECK(st.st_mtime == 1700000000);
		snprintf(p, sizeof p, "%s/netsnap", out);
		CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0644 && st.st_size == 19);
	}
}
