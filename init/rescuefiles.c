/* See rescuefiles.h.  What the rescue system gets besides its image: the
 * files in lifeline's run directory (keepalive.conf, the keys, the
 * network snapshot that rescue.c's child writes), and the archive of
 * them that is added to the image as etc/rescue/. */
#define _GNU_SOURCE
#include "rescuefiles.h"
#include "fmt.h"
#include "initrd.h"
#include "keepalive.h"
#include "outbuf.h"
#include "sizes.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static void path_in(const char *dir, char *buf, int cap, const char *name)
{
	fmt(buf, (size_t)cap, "%s/%s", dir, name);
}

/* Replace path with data, mode exactly `mode` whatever the umask. */
static int write_new(const char *path, const char *data, size_t len, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -1;
	int ok = fchmod(fd, mode) == 0 && fmt_write_all(fd, data, len) == 0;
	int e = errno;
	if (close(fd) < 0 && ok)
		return -1;
	errno = e;
	return ok ? 0 : -1;
}

int rescuefiles_keepalive_conf(const struct keepalive_conf *ka, const char *host, char *out,
			       int cap)
{
	struct outbuf o;
	ob_init(&o, out, (size_t)cap);
	ob_printf(&o, "# [keepalive] of %s, written by lifeline when it armed the rescue "
		  "system\n[keepalive]\nhost = %s\n", host, host);
	for (int i = 0; i < ka->npeers; i++) {
		if (ka->peer[i].key[0])
			ob_printf(&o, "peer = %s " RESCUE_PEER_KEY_FMT "\n", ka->peer[i].text, i + 1);
		else
			ob_printf(&o, "peer = %s\n", ka->peer[i].text);
	}
	ob_printf(&o, "interval = %lums\nquorum = %u\nquorum_window = %lums\n"
		  "key = " RESCUE_KEY_PATH "\nsystem = rescue\n",
		  (unsigned long)ka->interval_ms, ka->quorum, (unsigned long)ka->quorum_window_ms);
	return o.truncated ? -1 : (int)o.len;
}

/* The host name keepalives carry: [keepalive] host, or the kernel's. */
static void ka_host(const struct keepalive_conf *ka, char *out, int cap)
{
	struct utsname u;
	if (ka->host[0])
		fmt(out, (size_t)cap, "%s", ka->host);
	else if (uname(&u) == 0)
		fmt(out, (size_t)cap, "%s", u.nodename);
	else
		out[0] = '\0';
}

/* A key file as the rescue system reads it (64 hex digits, 0600). */
static int copy_key(const char *from, const char *to, char *err, int cap)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t key[KA_KEY_SIZE];
	char text[2 * KA_KEY_SIZE + 1];
	if (ka_key_load(from, key, err, cap) < 0)
		return -1;
	for (size_t i = 0; i < KA_KEY_SIZE; i++) {
		text[2 * i] = hex[key[i] >> 4];
		text[2 * i + 1] = hex[key[i] & 15];
	}
	text[(size_t)2 * KA_KEY_SIZE] = '\n';
	int bad = write_new(to, text, sizeof text, 0600);
	int e = errno;
	explicit_bzero(key, sizeof key);
	explicit_bzero(text, sizeof text);
	if (bad)
		fmt(err, (size_t)cap, "cannot write %s: %s", to, strerror(e));
	return bad ? -1 : 0;
}

/* The [keepalive] key and each peer's own: as keepalive.key and
 * keepalive-N.key (N from 1, the peer's place), those that are needed. */
static int copy_keys(const char *dir, const struct keepalive_conf *ka, char *err, int cap)
{
	char path[PATH_MAX_LEN + 32], name[32];
	int need_default = 0;
	for (int i = 0; i < ka->npeers; i++) {
		if (!ka->peer[i].key[0]) {
			need_default = 1;
			continue;
		}
		fmt(name, sizeof name, "keepalive-%d.key", i + 1);
		path_in(dir, path, sizeof path, name);
		if (copy_key(ka->peer[i].key, path, err, cap) < 0)
			return -1;
	}
	path_in(dir, path, sizeof path, "keepalive.key");
	return need_default ? copy_key(ka->key, path, err, cap) : 0;
}

static void remove_keepalive_files(const char *dir)
{
	char path[PATH_MAX_LEN + 32], name[32];
	path_in(dir, path, sizeof path, "keepalive.conf");
	unlink(path);
	path_in(dir, path, sizeof path, "keepalive.key");
	unlink(path);
	for (int i = 1; i <= MAX_PEERS; i++) {
		fmt(name, sizeof name, "keepalive-%d.key", i);
		path_in(dir, path, sizeof path, name);
		unlink(path);
	}
}

int rescuefiles_write_keepalive(const char *dir, const struct keepalive_conf *ka, char *note,
				int cap)
{
	char conf_path[PATH_MAX_LEN + 32], host[72], err[200];
	char text[2048];
	path_in(dir, conf_path, sizeof conf_path, "keepalive.conf");
	remove_keepalive_files(dir);    /* nothing stale from an earlier arming */
	if (!ka->present)
		return 0;
	ka_host(ka, host, sizeof host);
	if (!ka_host_valid(host)) {
		fmt(note, (size_t)cap, "host name '%s' is not valid for keepalives: the "
		    "rescue system sends none", host);
		return 0;
	}
	if (copy_keys(dir, ka, err, sizeof err) < 0) {
		fmt(note, (size_t)cap, "%s; the rescue system sends no keepalives", err);
		remove_keepalive_files(dir);
		return 0;
	}
	int n = rescuefiles_keepalive_conf(ka, host, text, sizeof text);
	if (n < 0 || write_new(conf_path, text, (size_t)n, 0644) < 0) {
		fmt(note, (size_t)cap, "cannot write %s: %s; the rescue system sends no "
		    "keepalives", conf_path, n < 0 ? "too long" : strerror(errno));
		remove_keepalive_files(dir);
		return 0;
	}
	return 1;
}

int rescuefiles_cpio(int fd, const char *from, uint32_t mtime)
{
	static const struct { const char *name; uint32_t mode; } files[] = {
		{ "netsnap", 0644 }, { "keepalive.conf", 0644 }, { "keepalive.key", 0600 },
		{ "keepalive-1.key", 0600 }, { "keepalive-2.key", 0600 },
		{ "keepalive-3.key", 0600 }, { "keepalive-4.key", 0600 },
		{ "keepalive-5.key", 0600 }, { "keepalive-6.key", 0600 },
		{ "keepalive-7.key", 0600 }, { "keepalive-8.key", 0600 },
	};
	_Static_assert(sizeof files / sizeof files[0] == 3 + MAX_PEERS, "a key per peer");
	struct initrd_out c;
	int n = 0;
	initrd_begin(&c, fd, mtime);
	for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[PATH_MAX_LEN + 32], name[64];
		fmt(path, sizeof path, "%s/%s", from, files[i].name);
		fmt(name, sizeof name, "etc/rescue/%s", files[i].name);
		if (initrd_add_file(&c, name, files[i].mode, path) == 0) {
			n++;
		} else if (c.err == ENOENT && c.off % 4 == 0) {
			c.err = 0;      /* not there: nothing was written */
		} else {
			errno = c.err;
			return -1;
		}
	}
	if (initrd_trailer(&c) < 0) {
		errno = c.err;
		return -1;
	}
	return n;
}

/* One message per kexec_file_load error. */
