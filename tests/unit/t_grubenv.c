/* GRUB's environment block (grubenv.c) and the boot loader path of the
 * rescue escalation (rescue.c, method = grub / auto).  The block editing
 * is compared byte for byte with what Debian's grub-editenv (grub-common)
 * writes; the verdict's write runs for real on a file; arming the GRUB
 * path runs for real in a temporary directory, as a process that is not
 * the machine's PID 1 (so it prepares, and never reboots). */
#include "test.h"
#include "clock.h"
#include "grubarm.h"
#include "grubenv.h"
#include "log.h"
#include "rescue.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* from t_initrd.c */
int cpio_extract(const char *path, const char *dir);
unsigned char *slurp(const char *path, size_t *len);

static char dir[256];

/* A block as `grub-editenv FILE create` makes it, with extra lines. */
static void block_with(char *b, const char *lines)
{
	size_t n = strlen(GRUBENV_SIG), l = strlen(lines);
	memset(b, '#', GRUBENV_SIZE);
	memcpy(b, GRUBENV_SIG, n);
	memcpy(b + n, lines, l);
}

static int get_bytes(const char *path, char *b, size_t cap)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, b, cap);
	close(fd);
	return (int)n;
}

/* grub-editenv FILE set ARGS... on a file holding `start`; its bytes in out. */
static int editenv(const char *start, const char *args, char *out)
{
	char path[300], cmd[2048];
	snprintf(path, sizeof path, "%s/editenv", dir);
	if (rfix_put(path, start, GRUBENV_SIZE, 0644) < 0)
		return -1;
	snprintf(cmd, sizeof cmd, "grub-editenv %s set %s", path, args);
	if (system(cmd) != 0)
		return -1;
	return get_bytes(path, out, GRUBENV_SIZE + 1);
}

/* Ours and grub-editenv's, from the same start, the same sets. */
static void same_as_editenv(const char *start, const char *args, const char *const *names,
			    const char *const *values, int n)
{
	char ours[GRUBENV_SIZE], theirs[GRUBENV_SIZE + 1];
	memcpy(ours, start, GRUBENV_SIZE);
	for (int i = 0; i < n; i++)
		CHECK_INT(grubenv_set(ours, GRUBENV_SIZE, names[i], values[i]), 0);
	int len = editenv(start, args, theirs);
	CHECK_MSG(len == GRUBENV_SIZE, "grub-editenv wrote %d bytes (apt-get install "
		  "grub-common)", len);
	if (len == GRUBENV_SIZE && memcmp(ours, theirs, GRUBENV_SIZE)) {
		size_t i = 0;
		while (ours[i] == theirs[i])
			i++;
		FAIL("first difference at byte %zu: ours \"%.40s\", grub-editenv's \"%.40s\"", i,
		     ours + i, theirs + i);
	}
}

/* ---- the rescue side ---- */

static struct config cfg;
static struct config_parser parser;
static struct capture cap;
static char run[300], img[300], env[300], gcfg[300], armed[300];

static int load(const char *more)
{
	char text[2048];
	snprintf(text, sizeof text,
		 "[rescue]\nimage = %s\nkernel = %s/vmlinuz-none\nsnapshot = no\ncrash = no\n"
		 "cmdline = console=ttyS0,115200n8 loglevel=7\ngrubenv = %s\ngrub_cfg = %s\n"
		 "armed_image = %s\n%s", img, dir, env, gcfg, armed, more);
	return rfix_parse(&cfg, text);
}

/* Wait for the GRUB child if one runs; the status then. */
static const char *settle(uint64_t now)
{
	if (strstr(rfix_text(now), "arming (the GRUB path"))
		CHECK_INT(rfix_reap(now + 100), 1);
	return rfix_text(now + 100);
}

/* Arm (not the machine's PID 1), as `lifelinectl rescue arm` does. */
static const char *arm(uint64_t now)
{
	rescue_arm(NULL, now);
	return settle(now);
}

/* A reload with cfg. */
static const char *configure(uint64_t now)
{
	rescue_configure(&cfg, 0, now);
	return settle(now);
}

#define GRUB_CFG_OK \
	"if [ \"${next_entry}\" ] ; then\n   set default=\"${next_entry}\"\n" \
	"   set next_entry=\n   save_env next_entry\n   set boot_once=true\nelse\n" \
	"   set default=\"0\"\nfi\n" \
	"menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option " \
	"'gnulinux-simple-1234' {\n\tlinux /boot/vmlinuz root=/dev/vda1 ro\n}\n" \
	"menuentry 'lifeline rescue system (one-shot)' --class lifeline " \
	"$menuentry_id_option 'lifeline-rescue' {\n\tlinux /boot/vmlinuz " \
	"${lifeline_rescue_args}\n}\n"

static void rescue_side(void)
{
	char p[400], b[GRUBENV_SIZE + 1], v[600];
	struct stat st;
	snprintf(run, sizeof run, "%s/run", dir);
	snprintf(img, sizeof img, "%s/lifeline-rescue.img", dir);
	snprintf(env, sizeof env, "%s/grubenv", dir);
	snprintf(gcfg, sizeof gcfg, "%s/grub.cfg", dir);
	snprintf(armed, sizeof armed, "%s/lifeline-rescue-armed.img", dir);
	rfix_put(img, "RESCUE-IMAGE", 12, 0644);
	block_with(b, "saved_entry=gnulinux-simple-1234\n");
	rfix_put(env, b, GRUBENV_SIZE, 0644);
	rfix_put(gcfg, GRUB_CFG_OK, strlen(GRUB_CFG_OK), 0644);
	rfix_off(0);
	rescue_set_dir(run);

	TEST("grub path: method = grub prepares it: the archive, the args in grubenv") {
		if (load("method = grub\n") == 0) {
			rescue_configure(&cfg, 0, 1000);
			rescue_boot_done(1000);
			if (strstr(rfix_text(1000), "arming (the GRUB path"))
				CHECK_INT(rfix_reap(1100), 1);
			else
				FAIL("no GRUB child: %s", rfix_text(1000));
			const char *t = rfix_text(1100);
			CHECK_CONTAINS(t, "rescue: prepared 0ms ago via GRUB one-shot entry "
				       "lifeline-rescue, not armed (not the machine's PID 1; kexec: "
				       "not tried (method = grub)): ");
			CHECK_CONTAINS(t, "lifeline-rescue.img + ");
			CHECK_CONTAINS(t, "lifeline-rescue-armed.img (");
			const char *j = rfix_json(1100);
			CHECK_CONTAINS(j, "\"state\":\"not-loaded\"");
			CHECK_CONTAINS(j, "\"method\":\"grub\",\"kexec_problem\":\"kexec: not tried "
				       "(method = grub)\",\"grub_entry\":\"lifeline-rescue\"");
			/* the archive: 0600, the same bytes as extra.cpio */
			CHECK(stat(armed, &st) == 0 && (st.st_mode & 07777) == 0600);
			size_t la = 0, le = 0;
			unsigned char *a = slurp(armed, &la);
			snprintf(p, sizeof p, "%s/extra.cpio", run);
			unsigned char *e = slurp(p, &le);
			CHECK(a && e && la == le && la > 0 && !memcmp(a, e, la));
			free(a);
			free(e);
			snprintf(p, sizeof p, "%s.new", armed);
			CHECK(stat(p, &st) < 0);
			/* grubenv: still 1024 bytes, saved_entry kept, the args set, no
			 * next_entry (that is the verdict's) */
			CHECK_INT(get_bytes(env, b, sizeof b), GRUBENV_SIZE);
			CHECK_INT(grubenv_get(b, GRUBENV_SIZE, "saved_entry", v, sizeof v), 1);
			CHECK_STR(v, "gnulinux-simple-1234");
			CHECK_INT(grubenv_get(b, GRUBENV_SIZE, "lifeline_rescue_args", v, sizeof v), 1);
			CHECK_CONTAINS(v, "lifeline.rescue_port=2222 console=ttyS0,115200n8 loglevel=7");
			CHECK_INT(grubenv_get(b, GRUBENV_SIZE, "next_entry", v, sizeof v), 0);
		}
	}

	TEST("grub path: a verdict as a namespace's init writes nothing") {
		char before[GRUBENV_SIZE];
		get_bytes(env, before, sizeof before);
		rescue_now("test verdict");
		CHECK_INT(get_bytes(env, b, sizeof b), GRUBENV_SIZE);
		CHECK(!memcmp(b, before, GRUBENV_SIZE));
	}

	TEST("grub path: no entry in grub.cfg: NOT ARMED, says what to do") {
		rfix_put(gcfg, "set default=0\nmenuentry 'Debian' {\n}\n", 37, 0644);
		const char *t = arm(2000);
		char want[700];
		snprintf(want, sizeof want, "rescue: NOT ARMED: no 'lifeline-rescue' entry in %s: "
			 "make install-rescue, update-grub; a verdict reboots the host\n", gcfg);
		CHECK_CONTAINS(t, want);
		CHECK_CONTAINS(rfix_json(2100), "\"state\":\"failed\"");
		CHECK_CONTAINS(rfix_json(2100), "\"method\":null");
	}

	TEST("grub path: a grub.cfg that never clears next_entry is refused") {
		const char *no_clear = "menuentry 'x' --id lifeline-rescue {\n}\n";
		rfix_put(gcfg, no_clear, strlen(no_clear), 0644);
		CHECK_CONTAINS(arm(3000), "never clears next_entry (no 'save_env next_entry'");
		rfix_put(gcfg, GRUB_CFG_OK, strlen(GRUB_CFG_OK), 0644);
	}

	TEST("grub path: a grubenv that is not GRUB's, or not 1024 bytes, is refused") {
		char bad[GRUBENV_SIZE];
		memset(bad, '#', sizeof bad);
		memcpy(bad, "# Not GRUB\n", 11);
		rfix_put(env, bad, sizeof bad, 0644);
		CHECK_CONTAINS(arm(4000), "grubenv is not a GRUB environment block (1024 bytes");
		block_with(bad, "saved_entry=0\n");
		rfix_put(env, bad, 512, 0644);
		CHECK_CONTAINS(arm(4200), "grubenv is not a GRUB environment block");
		unlink(env);
		char want[700];
		snprintf(want, sizeof want, "no GRUB environment block at %s (grub-editenv %s "
			 "create)", env, env);
		CHECK_CONTAINS(arm(4400), want);
		CHECK(stat(env, &st) < 0);      /* never created by lifeline */
	}

	TEST("grub path: no room for the command line in the block: refused, unchanged") {
		char full[GRUBENV_SIZE], text[1100];
		memset(text, 0, sizeof text);
		strcpy(text, "x=");
		memset(text + 2, 'y', 900);
		strcat(text, "\n");
		block_with(full, text);
		rfix_put(env, full, sizeof full, 0644);
		CHECK_CONTAINS(arm(5000), "no room in ");
		CHECK_INT(get_bytes(env, b, sizeof b), GRUBENV_SIZE);
		CHECK(!memcmp(b, full, GRUBENV_SIZE));
		block_with(b, "saved_entry=gnulinux-simple-1234\n");
		rfix_put(env, b, GRUBENV_SIZE, 0644);
	}

	TEST("grub path: a quote in the command line is refused (GRUB would escape it)") {
		if (load("method = grub\ncmdline = rootflags=\"a b\"\n") == 0) {
			CHECK_CONTAINS(configure(6000), "the rescue command line has a \", which "
				       "GRUB's linux command would change");
		}
	}

	TEST("grub path: method = auto in a namespace picks GRUB where kexec cannot go") {
		/* whether this kernel has kexec decides: both ways are checked */
		int no_kexec = access("/sys/kernel/kexec_loaded", F_OK) < 0;
		if (load("") == 0) {
			const char *t = configure(7000);
			if (no_kexec)
				CHECK_CONTAINS(t, "via GRUB one-shot entry lifeline-rescue, not armed "
					       "(not the machine's PID 1; kexec: this kernel has none "
					       "(no /sys/kernel/kexec_loaded)): ");
			else
				CHECK_CONTAINS(t, "prepared 0ms ago, not loaded (not the machine's "
					       "PID 1)");
			t_note("this kernel %s kexec", no_kexec ? "has no" : "has");
		}
	}

	TEST("grub path: method = kexec never takes it") {
		unlink(armed);
		if (load("method = kexec\n") == 0) {
			CHECK_NOT_CONTAINS(configure(8000), "GRUB");
			CHECK(stat(armed, &st) < 0);
		}
	}

	TEST("grub path: grubenv not given: a namespace's init leaves the boot loader alone") {
		char text[1024];
		snprintf(text, sizeof text,
			 "[rescue]\nimage = %s\nkernel = %s/vmlinuz-none\nsnapshot = no\n", img, dir);
		if (parse_text(&parser, &cfg, &cap, text, (int)strlen(text)) == 0) {
			CHECK_STR(cfg.rescue.grubenv, "/boot/grub/grubenv");
			CHECK_INT(cfg.rescue.grubenv_given, 0);
			CHECK_NOT_CONTAINS(configure(9000), "GRUB");
		}
	}

	rfix_off(10000);
	rescue_set_dir(RESCUE_DIR);
}

void suite_grubenv(void)
{
	char a[GRUBENV_SIZE], b[GRUBENV_SIZE], v[300];
	snprintf(dir, sizeof dir, "%s", temp_dir());

	TEST("grubenv: set on a new block is grub-editenv's, byte for byte") {
		const char *n[] = { "next_entry" }, *val[] = { "lifeline-rescue" };
		block_with(a, "");
		same_as_editenv(a, "next_entry=lifeline-rescue", n, val, 1);
		/* and on the block `grub-editenv FILE create` writes (2.06: with a
		 * "# WARNING" comment line) */
		char path[300], cmd[400], made[GRUBENV_SIZE + 1];
		snprintf(path, sizeof path, "%s/created", dir);
		unlink(path);
		snprintf(cmd, sizeof cmd, "grub-editenv %s create", path);
		CHECK_INT(system(cmd), 0);
		CHECK_INT(get_bytes(path, made, sizeof made), GRUBENV_SIZE);
		CHECK_INT(grubenv_check(made, GRUBENV_SIZE), 0);
		same_as_editenv(made, "next_entry=lifeline-rescue", n, val, 1);
	}

	TEST("grubenv: other variables kept, next_entry replaced (shorter, longer)") {
		const char *n[] = { "next_entry" };
		const char *shorter[] = { "x" }, *longer[] = { "lifeline-rescue-longer-than-before" };
		block_with(a, "saved_entry=gnulinux-simple-1234\nnext_entry=something-else\n"
			   "boot_success=1\n");
		same_as_editenv(a, "next_entry=x", n, shorter, 1);
		same_as_editenv(a, "next_entry=lifeline-rescue-longer-than-before", n, longer, 1);
		memcpy(b, a, sizeof b);
		CHECK_INT(grubenv_set(b, sizeof b, "next_entry", "lifeline-rescue"), 0);
		CHECK_INT(grubenv_get(b, sizeof b, "saved_entry", v, sizeof v), 1);
		CHECK_STR(v, "gnulinux-simple-1234");
		CHECK_INT(grubenv_get(b, sizeof b, "boot_success", v, sizeof v), 1);
		CHECK_STR(v, "1");
		CHECK_INT(grubenv_get(b, sizeof b, "next_entry", v, sizeof v), 1);
		CHECK_STR(v, "lifeline-rescue");
		CHECK_INT(grubenv_check(b, sizeof b), 0);
		CHECK(b[GRUBENV_SIZE - 1] == '#');
	}

	TEST("grubenv: next_entry and the args added; a value with spaces, a backslash") {
		const char *n[] = { "next_entry", "lifeline_rescue_args" };
		const char *val[] = { "lifeline-rescue", "root=UUID=0a1b console=ttyS0,115200n8 "
				      "lifeline.rescue_port=2222" };
		block_with(a, "saved_entry=0\n");
		same_as_editenv(a, "next_entry=lifeline-rescue 'lifeline_rescue_args=root=UUID=0a1b "
				"console=ttyS0,115200n8 lifeline.rescue_port=2222'", n, val, 2);
		const char *n1[] = { "x" }, *esc[] = { "a\\b" };
		same_as_editenv(a, "'x=a\\b'", n1, esc, 1);
		memcpy(b, a, sizeof b);
		grubenv_set(b, sizeof b, "x", "a\\b");
		CHECK_INT(grubenv_get(b, sizeof b, "x", v, sizeof v), 1);
		CHECK_STR(v, "a\\b");
	}

	TEST("grubenv: the padding is '#' to the end after every edit") {
		block_with(a, "a=1234567890\nb=2\n");
		CHECK_INT(grubenv_set(a, sizeof a, "a", "1"), 0);
		const char *want = GRUBENV_SIG "a=1\nb=2\n";
		CHECK(!memcmp(a, want, strlen(want)));
		for (size_t i = strlen(want); i < GRUBENV_SIZE; i++)
			if (a[i] != '#') {
				FAIL("byte %zu is '%c', not '#'", i, a[i]);
				break;
			}
	}

	TEST("grubenv: refuses a block that is not GRUB's") {
		memset(a, '#', sizeof a);
		memcpy(a, "# GRUB Environment Blok\n", 24);
		CHECK_INT(grubenv_check(a, sizeof a), -1);
		memcpy(b, a, sizeof b);
		CHECK_INT(grubenv_set(a, sizeof a, "next_entry", "x"), -1);
		CHECK(!memcmp(a, b, sizeof a));
		/* the last line before the padding cut short */
		block_with(a, "saved_entry=0");
		CHECK_INT(grubenv_check(a, sizeof a), -1);
		CHECK_INT(grubenv_set(a, sizeof a, "next_entry", "x"), -1);
		/* a line without '=' */
		block_with(a, "garbage\n");
		CHECK_INT(grubenv_check(a, sizeof a), -1);
		block_with(a, "");
		CHECK_INT(grubenv_check(a, sizeof a), 0);
		CHECK_INT(grubenv_set(a, sizeof a, "a=b", "x"), -1);
	}

	TEST("grubenv: refuses what would overflow 1024 bytes, leaving the block as it was") {
		char big[1100];
		memset(big, 'v', 1000);
		big[1000] = '\0';
		block_with(a, "saved_entry=0\n");
		memcpy(b, a, sizeof b);
		CHECK_INT(grubenv_set(a, sizeof a, "next_entry", big), -1);
		CHECK(!memcmp(a, b, sizeof a));
		/* exactly full is fine, as in grub-editenv: 1024 - 25 - "saved_entry=0\n" */
		size_t room = GRUBENV_SIZE - strlen(GRUBENV_SIG) - 14 - strlen("n=") - 1;
		big[room] = '\0';
		CHECK_INT(grubenv_set(a, sizeof a, "n", big), 0);
		CHECK_INT(a[GRUBENV_SIZE - 1], '\n');
		CHECK_INT(grubenv_check(a, sizeof a), 0);
		CHECK_INT(grubenv_set(a, sizeof a, "m", ""), -1);
	}

	TEST("grubenv: the verdict's write, on a file: grub-editenv's bytes") {
		char path[300], want[GRUBENV_SIZE + 1], got[GRUBENV_SIZE + 1], err[200];
		snprintf(path, sizeof path, "%s/grubenv", dir);
		block_with(a, "saved_entry=gnulinux-simple-1234\nlifeline_rescue_args=old\n");
		rfix_put(path, a, GRUBENV_SIZE, 0644);
		const char *n[] = { "next_entry", "lifeline_rescue_args" };
		const char *val[] = { "lifeline-rescue", "root=/dev/vda1 lifeline.rescue_port=2222" };
		CHECK_INT(grubenv_commit(path, n, val, 2, 5000, err, sizeof err), 0);
		CHECK_STR(err, "");
		CHECK_INT(get_bytes(path, got, sizeof got), GRUBENV_SIZE);
		CHECK_INT(editenv(a, "next_entry=lifeline-rescue 'lifeline_rescue_args=root=/dev/vda1 "
				  "lifeline.rescue_port=2222'", want), GRUBENV_SIZE);
		CHECK(!memcmp(got, want, GRUBENV_SIZE));
		/* grub-editenv reads it back */
		char cmd[400];
		snprintf(cmd, sizeof cmd, "grub-editenv %s list | grep -qx "
			 "next_entry=lifeline-rescue", path);
		CHECK_INT(system(cmd), 0);
	}

	TEST("grubenv: the verdict's write refuses a missing, short or foreign file") {
		char path[300], err[200];
		const char *n[] = { "next_entry" }, *val[] = { "lifeline-rescue" };
		snprintf(path, sizeof path, "%s/missing", dir);
		CHECK_INT(grubenv_commit(path, n, val, 1, 5000, err, sizeof err), -1);
		CHECK_CONTAINS(err, "No such file or directory");
		snprintf(path, sizeof path, "%s/short", dir);
		block_with(a, "");
		rfix_put(path, a, 512, 0644);
		CHECK_INT(grubenv_commit(path, n, val, 1, 5000, err, sizeof err), -1);
		CHECK_CONTAINS(err, "not 1024 bytes long");
		snprintf(path, sizeof path, "%s/foreign", dir);
		memset(a, '#', sizeof a);
		rfix_put(path, a, sizeof a, 0644);
		CHECK_INT(grubenv_commit(path, n, val, 1, 5000, err, sizeof err), -1);
		CHECK_CONTAINS(err, "not a GRUB environment block");
		CHECK_INT(get_bytes(path, b, sizeof b), GRUBENV_SIZE);
		CHECK(!memcmp(a, b, sizeof a));
		CHECK_INT(grubenv_commit(dir, n, val, 1, 5000, err, sizeof err), -1);
	}

	TEST("grubenv: the verdict's write gives up after its limit on a frozen disk") {
		/* ext4 on a loop device, frozen (FIFREEZE): the writer child
		 * waits in pwrite until the thaw, as on storage that stopped
		 * answering; PID 1 must go on after limit_ms */
		char fimg[300], mnt[300], cmd[2400];
		snprintf(fimg, sizeof fimg, "%s/frozen.img", dir);
		snprintf(mnt, sizeof mnt, "%s/frozen", dir);
		mkdir(mnt, 0755);
		pid_t t = geteuid() == 0 ? fork() : -1;
		if (geteuid() != 0) {
			t_note("skipped: needs root (a loop mount)");
		} else if (t == 0) {
			/* a mount namespace of its own; exit 2: cannot set up */
			if (unshare(CLONE_NEWNS) < 0 ||
			    system("mount --make-rprivate / 2>/dev/null") != 0)
				_exit(2);
			snprintf(cmd, sizeof cmd, "truncate -s 8M %s && mkfs.ext4 -q -F %s && "
				 "mount -o loop %s %s && grub-editenv %s/grubenv create && "
				 "sync && fsfreeze -f %s", fimg, fimg, fimg, mnt, mnt, mnt);
			if (system(cmd) != 0)
				_exit(2);
			char path[400], err[200];
			snprintf(path, sizeof path, "%s/grubenv", mnt);
			const char *n[] = { "next_entry" }, *val[] = { "lifeline-rescue" };
			uint64_t t0 = now_ms();
			int rc = grubenv_commit(path, n, val, 1, 500, err, sizeof err);
			uint64_t took = now_ms() - t0;
			snprintf(cmd, sizeof cmd, "fsfreeze -u %s", mnt);
			int thawed = system(cmd) == 0;
			while (wait(NULL) > 0)
				;       /* the writer, done after the thaw */
			snprintf(cmd, sizeof cmd, "grub-editenv %s list | grep -qx "
				 "next_entry=lifeline-rescue", path);
			int written_later = system(cmd) == 0;
			snprintf(cmd, sizeof cmd, "umount %s", mnt);
			if (system(cmd) != 0)
				_exit(3);
			printf("# frozen: rc %d after %llu ms (%s), thawed %d, written after "
			       "the thaw %d\n", rc, (unsigned long long)took, err, thawed,
			       written_later);
			fflush(stdout);
			_exit(rc == -1 && took >= 500 && took < 1500 && strstr(err, "not written "
			      "after 500ms") && thawed && written_later ? 0 : 1);
		} else if (t > 0) {
			int st = 0;
			waitpid(t, &st, 0);
			if (WIFEXITED(st) && WEXITSTATUS(st) == 2)
				t_note("skipped: no loop device, mkfs.ext4 or fsfreeze here");
			else
				CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
		}
		unlink(fimg);
	}

	TEST("grub.cfg: the entry by --id, as grub-mkconfig and by hand write it") {
		CHECK_INT(grubarm_cfg_entry("menuentry 'lifeline rescue system' --class "
						"lifeline $menuentry_id_option 'lifeline-rescue' {",
						"lifeline-rescue"), 1);
		CHECK_INT(grubarm_cfg_entry("  menuentry \"x y\" --id lifeline-rescue {",
						"lifeline-rescue"), 1);
		CHECK_INT(grubarm_cfg_entry("menuentry 'x' ${menuentry_id_option} "
						"\"lifeline-rescue\" {", "lifeline-rescue"), 1);
		CHECK_INT(grubarm_cfg_entry("menuentry 'lifeline-rescue' {", "lifeline-rescue"),
			  0);
		CHECK_INT(grubarm_cfg_entry("menuentry 'x' --id lifeline-rescue-old {",
						"lifeline-rescue"), 0);
		CHECK_INT(grubarm_cfg_entry("# menuentry 'x' --id lifeline-rescue {",
						"lifeline-rescue"), 0);
		CHECK_INT(grubarm_cfg_entry("submenu 'x' --id lifeline-rescue {",
						"lifeline-rescue"), 0);
	}

	rescue_side();
}
