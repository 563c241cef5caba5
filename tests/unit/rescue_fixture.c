/* What the two suites that arm the rescue system in a temporary directory
 * (t_rescue.c: the kexec path, t_grubenv.c: the GRUB path) share: files
 * written whole, a config parsed from text, rescue.c's status read back,
 * its child (snapshot, GRUB files, kexec load) reaped as lifeline's reap
 * does, and rescue.c switched off. */
#include "test.h"
#include "outbuf.h"
#include "rescue.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int rfix_put(const char *path, const void *b, size_t len, unsigned mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, (mode_t)mode);
	int ok = fd >= 0 && write(fd, b, len) == (ssize_t)len;
	if (fd >= 0)
		close(fd);
	/* the mode whatever the umask */
	if (ok && chmod(path, (mode_t)mode) < 0)
		ok = 0;
	if (!ok)
		FAIL("cannot write %s", path);
	return ok ? 0 : -1;
}

int rfix_put_text(const char *path, const char *text, unsigned mode)
{
	return rfix_put(path, text, strlen(text), mode);
}

int rfix_parse(struct config *cfg, const char *text)
{
	static struct config_parser parser;
	static struct capture cap;
	int n = parse_text(&parser, cfg, &cap, text, (int)strlen(text));
	if (n)
		FAIL("config: %s", capture_str(&cap));
	return n;
}

/* One of rescue.c's status writers into buf, at now. */
static const char *status_in(char *buf, size_t cap, void (*show)(struct outbuf *, uint64_t),
			     uint64_t now)
{
	struct outbuf o;
	ob_init(&o, buf, cap);
	show(&o, now);
	return buf;
}

const char *rfix_text(uint64_t now)
{
	static char buf[2048];
	return status_in(buf, sizeof buf, rescue_status_text, now);
}

const char *rfix_json(uint64_t now)
{
	static char buf[4096];
	return status_in(buf, sizeof buf, rescue_status_json, now);
}

int rfix_reap(uint64_t now)
{
	int st;
	pid_t p = waitpid(-1, &st, 0);
	return p > 0 ? rescue_child_exited(p, st, now) : -1;
}

void rfix_off(uint64_t now)
{
	static struct config none;
	memset(&none, 0, sizeof none);
	rescue_configure(&none, 0, now);
}
