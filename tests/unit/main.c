/* The harness (see test.h) and the list of suites. */
#define _GNU_SOURCE
#include "test.h"
#include "loop.h"
#include "log.h"

#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char cur_name[256];
static int in_case;
static int cur_failures;
static char cur_reason[768];
static int total, failed;

void t_begin(const char *fmt, ...)
{
	va_list ap;
	if (in_case)
		t_end();
	va_start(ap, fmt);
	vsnprintf(cur_name, sizeof cur_name, fmt, ap);
	va_end(ap);
	in_case = 1;
	cur_failures = 0;
	cur_reason[0] = '\0';
}

/* One line per result: control characters in names and reasons are shown
 * escaped so that no output line can start with "ok" by accident. */
static void put_clean(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n')
			fputs("\\n", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

void t_end(void)
{
	if (!in_case)
		return;
	in_case = 0;
	total++;
	if (cur_failures) {
		failed++;
		fputs("not ok - ", stdout);
		put_clean(cur_name);
		fputs(": ", stdout);
		put_clean(cur_reason);
		if (cur_failures > 1)
			printf(" (and %d more failed checks)", cur_failures - 1);
		putchar('\n');
	} else {
		fputs("ok - ", stdout);
		put_clean(cur_name);
		putchar('\n');
	}
	fflush(stdout);
}

void t_fail_at(const char *file, int line, const char *fmt, ...)
{
	if (!in_case) {
		/* a check outside any case still fails the run */
		t_begin("check outside a test case");
	}
	if (cur_failures++ == 0) {
		const char *base = strrchr(file, '/');
		int n = snprintf(cur_reason, sizeof cur_reason, "%s:%d: ",
				 base ? base + 1 : file, line);
		if (n < 0 || (size_t)n >= sizeof cur_reason)
			n = 0;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(cur_reason + n, sizeof cur_reason - (size_t)n, fmt, ap);
		va_end(ap);
	}
}

void t_note(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fputs("# ", stdout);
	put_clean(buf);
	putchar('\n');
}

int t_failed_total(void)
{
	return failed;
}

/* ---- temporary files ---- */

#define MAX_TEMPS 512
static char temps[MAX_TEMPS][256];
static int temp_is_dir[MAX_TEMPS];
static int ntemps;

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	if (remove(path) != 0)
		fprintf(stderr, "# could not remove %s\n", path);
	return 0;
}

static void remove_tree(const char *path)
{
	nftw(path, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void cleanup_temps(void)
{
	for (int i = 0; i < ntemps; i++) {
		if (temp_is_dir[i])
			remove_tree(temps[i]);
		else
			unlink(temps[i]);
	}
}

static const char *tmp_base(void)
{
	const char *t = getenv("TMPDIR");
	return t && t[0] == '/' ? t : "/tmp";
}

static char *new_temp_slot(int is_dir)
{
	if (ntemps >= MAX_TEMPS) {
		fprintf(stderr, "# too many temp files\n");
		exit(2);
	}
	if (ntemps == 0)
		atexit(cleanup_temps);
	temp_is_dir[ntemps] = is_dir;
	return temps[ntemps++];
}

const char *temp_file(const char *content)
{
	char *path = new_temp_slot(0);
	snprintf(path, 256, "%s/lifeline-unit.XXXXXX", tmp_base());
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("# mkstemp");
		exit(2);
	}
	size_t len = strlen(content), off = 0;
	while (off < len) {
		ssize_t w = write(fd, content + off, len - off);
		if (w <= 0) {
			perror("# write");
			exit(2);
		}
		off += (size_t)w;
	}
	close(fd);
	return path;
}

const char *temp_dir(void)
{
	char *path = new_temp_slot(1);
	snprintf(path, 256, "%s/lifeline-unit.XXXXXX", tmp_base());
	if (!mkdtemp(path)) {
		perror("# mkdtemp");
		exit(2);
	}
	return path;
}

int write_file(const char *dir, const char *name, const char *content, size_t len)
{
	char path[512];
	const char *slash = strchr(name, '/');
	if (slash) {
		snprintf(path, sizeof path, "%s/%.*s", dir, (int)(slash - name), name);
		mkdir(path, 0755);
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(content, 1, len, f);
	if (fclose(f) != 0 || w != len)
		return -1;
	return 0;
}

void suite_ini(void);   /* t_ini.c: lib/ini.c, lib/netaddr.c */

int main(void)
{
	/* nothing to /dev/kmsg or the console: only the ring */
	log_init(0, -1);
	/* the real event loop (loop.c): modules register with it as in PID 1;
	 * nothing waits on it but the tests that say so */
	if (loop_init() < 0) {
		perror("loop_init");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	suite_fmt();
	suite_scan();
	suite_ini();
	suite_scan_lines();
	suite_duration();
	suite_backoff();
	suite_exitinfo();
	suite_outbuf();
	suite_status();
	suite_oomwatch();
	suite_log();
	suite_userdb();
	suite_config();
	suite_config_load();
	suite_ttys();
	suite_service();
	suite_meminfo();
	suite_victim();
	suite_guard();
	suite_cgroup();
	suite_procev();
	suite_memconf();
	suite_protect();
	suite_keepalive();
	suite_peer();
	suite_initrd();
	suite_kcmdline();
	suite_rescue();
	suite_grubenv();
	suite_watchdog();
	suite_config_esc();
	suite_quorum();
	suite_sshwatch();
	suite_peerlink();
	suite_loopfail();
	suite_initctl();

	t_end();
	printf("# %d tests, %d failed\n", total, failed);
	return failed ? 1 : 0;
}
