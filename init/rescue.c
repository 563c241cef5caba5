/* See rescue.h.  Arming runs in steps from the loop: the keepalive files
 * (quick), the network snapshot (a child, waited for through
 * rescue_child_exited), then the initrd in a memfd and kexec_file_load
 * (one go: the kernel reads both files itself).  Everything that could
 * go wrong ends in one message, logged once per arming and shown by
 * status; a verdict without a loaded image falls back to a plain reboot. */
#define _GNU_SOURCE
#include "rescue.h"
#include "clock.h"
#include "fmt.h"
#include "grubarm.h"
#include "rescuefiles.h"
#include "grubenv.h"
#include "initrd.h"
#include "kcmdline.h"
#include "log.h"
#include "scan.h"
#include "shutdown.h"
#include "spawn.h"
#include "watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_kexec_file_load
#define SYS_kexec_file_load 320         /* x86_64 */
#endif
#define KEXEC_FILE_UNLOAD 0x1
#define KEXEC_FILE_ON_CRASH 0x2
#ifndef LINUX_REBOOT_CMD_KEXEC
#define LINUX_REBOOT_CMD_KEXEC 0x45584543
#endif

#define SNAP_TIMEOUT_MS 10000
#define RESCUE_SYNC_MS 5000     /* the sync before the jump, at most */
#define SNAP_KILL_WAIT_MS 5000  /* after SIGKILL: then arm without it */
#define PROBLEM_LEN 320
#define GRUB_ARM_MS 30000       /* the GRUB path's checks and writes, at most */
#define GRUB_VERDICT_MS 5000    /* the grubenv write at verdict time, at most */

enum rstate { R_OFF, R_UNARMED, R_ARMING, R_ARMED, R_NOT_LOADED, R_FAILED };
enum cstate { C_NONE, C_OFF, C_NOT_RESERVED, C_ARMED, C_FAILED, C_NOT_LOADED };

static struct {
	const struct config *cfg;
	int machine;
	int boot_done;
	uint8_t state;                  /* enum rstate */
	uint8_t crash;                  /* enum cstate */
	uint8_t kexec;                  /* the normal image is loaded (by us) */
	uint8_t rearm;                  /* the config changed while arming */
	uint8_t snapshot;               /* the snapshot went into the initrd */
	uint8_t keepalive;              /* keepalive.conf and .key went in */
	uint32_t hash;                  /* of [rescue] and [keepalive] when armed */
	pid_t snap_pid;                 /* the snapshot child, 0 if none */
	pid_t snap_stale;               /* one given up on: ignore its exit */
	pid_t load_pid;                 /* the kexec load's child, 0 if none */
	uint64_t load_started;
	uint64_t snap_deadline;
	int snap_killed;
	uint64_t armed_at;              /* when the last arming ended */
	uint32_t arm_ms;                /* how long its blocking part took */
	uint32_t load_ms;               /* of which kexec_file_load */
	uint32_t links;                 /* "link" records in the snapshot */
	uint64_t initrd_bytes;
	uint32_t escalations, not_pid1;
	char problem[PROBLEM_LEN];      /* why not armed */
	char crash_problem[PROBLEM_LEN];
	char note[PROBLEM_LEN];         /* armed, but without something */
	/* the boot loader path (GRUB), where kexec cannot go */
	uint8_t grub;                   /* armed (or prepared, not the machine's PID 1) */
	pid_t grub_pid;                 /* its checks and writes, a child; 0 if none */
	pid_t grub_stale;               /* one given up on: ignore its exit */
	int grub_fd;                    /* the read end of the child's message pipe */
	int grub_killed;
	uint64_t grub_deadline;
	uint64_t grub_started;
	uint32_t grub_ms;               /* how long the checks and writes took */
	uint8_t grub_tried;             /* this arming went the GRUB path */
	uint8_t cmdline_ok;             /* rescue_st.cmdline was built whole */
	uint64_t archive_bytes;         /* extra.cpio, the armed archive */
	char kexec_why[PROBLEM_LEN];    /* why not kexec, when GRUB is the path */
	char kernel[PATH_MAX_LEN];
	char cmdline[KCMDLINE_MAX];
} rescue_st;

static const char *dir = RESCUE_DIR;
static void unload(void);

void rescue_set_dir(const char *d)
{
	dir = d;
}

/* ---- small helpers ---- */

static void path_in(char *buf, int cap, const char *name)
{
	fmt(buf, (size_t)cap, "%s/%s", dir, name);
}

/* FNV-1a: whether [rescue] or [keepalive] changed since arming.  The
 * parser zeroes the config first, so unused bytes compare equal. */
static uint32_t conf_hash(const struct config *c)
{
	uint32_t h = 2166136261u;
	const unsigned char *p[2] = { (const void *)&c->rescue, (const void *)&c->ka };
	size_t n[2] = { sizeof c->rescue, sizeof c->ka };
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < n[k]; i++)
			h = (h ^ p[k][i]) * 16777619u;
	return h;
}

/* The first line of a small file, for messages ("" if none). */
static void first_line(const char *path, char *out, int cap)
{
	char buf[512];
	out[0] = '\0';
	int n = scan_read_file(path, buf, sizeof buf);
	if (n <= 0)
		return;
	int e = 0;
	while (e < n && buf[e] != '\n')
		e++;
	fmt(out, (size_t)cap, "%.*s", e, buf);
}

static int read_flag(const char *path)
{
	char b[32];
	if (scan_read_file(path, b, sizeof b) <= 0)
		return -1;
	return (int)scan_uint(b, 10, NULL);
}

/* ---- step 2: the network snapshot, a child with a deadline ---- */

static struct {
	const char *path;
	char *argv[3];
	char *envp[2];
	int out_fd;
	int null_fd;
} snap_job;

/* Runs in a CLONE_VM|CLONE_VFORK child until execve: syscalls only. */
static int snap_child(void *arg)
{
	(void)arg;
	struct sigaction dfl;
	sigset_t none;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (dup2(snap_job.null_fd, 0) < 0 || dup2(snap_job.out_fd, 1) < 0 ||
	    dup2(snap_job.out_fd, 2) < 0)
		_exit(126);
	execve(snap_job.path, snap_job.argv, snap_job.envp);
	_exit(127);
}

#ifdef LIFELINE_NO_MLOCK
static char snap_stack[65536] __attribute__((aligned(16)));   /* sanitizers */
#else
static char snap_stack[4096] __attribute__((aligned(16)));
#endif

static pid_t start_snapshot(const char *prog, char *why, int cap)
{
	static char out_path[PATH_MAX_LEN + 32], log_path[PATH_MAX_LEN + 32];
	static char env_path[] = "PATH=" SPAWN_PATH;
	path_in(out_path, sizeof out_path, "netsnap");
	path_in(log_path, sizeof log_path, "netsnap.log");
	unlink(out_path);
	snap_job.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	snap_job.out_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			       0600);
	pid_t pid = -1;
	if (snap_job.null_fd >= 0 && snap_job.out_fd >= 0) {
		snap_job.path = prog;
		snap_job.argv[0] = (char *)prog;
		snap_job.argv[1] = out_path;
		snap_job.argv[2] = NULL;
		snap_job.envp[0] = env_path;
		snap_job.envp[1] = NULL;
		pid = clone(snap_child, snap_stack + sizeof snap_stack,
			    CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	}
	if (pid < 0)
		fmt(why, (size_t)cap, "%s", strerror(errno));
	if (snap_job.null_fd >= 0)
		close(snap_job.null_fd);
	if (snap_job.out_fd >= 0)
		close(snap_job.out_fd);
	return pid;
}

/* "link" lines of a format-1 snapshot; -1 if it is not one. */
static int snapshot_links(const char *path)
{
	char buf[4096];
	int n = scan_read_file(path, buf, sizeof buf);
	if (n < 19 || strncmp(buf, "lifeline-netsnap 1\n", 19) != 0)
		return -1;
	int links = 0;
	for (int i = 0; i + 5 <= n; i++)
		if ((i == 0 || buf[i - 1] == '\n') && !strncmp(buf + i, "link ", 5))
			links++;
	return links;
}

static void snapshot_done(int status)
{
	char out_path[PATH_MAX_LEN + 32], log_path[PATH_MAX_LEN + 32], line[160], why[200];
	path_in(out_path, sizeof out_path, "netsnap");
	path_in(log_path, sizeof log_path, "netsnap.log");
	int links = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		links = snapshot_links(out_path);
	if (links >= 0) {
		rescue_st.snapshot = 1;
		rescue_st.links = (uint32_t)links;
		return;
	}
	first_line(log_path, line, sizeof line);
	if (rescue_st.snap_killed)
		fmt(why, sizeof why, "took more than %ds: killed", SNAP_TIMEOUT_MS / 1000);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		fmt(why, sizeof why, "cannot run %s", rescue_st.cfg->rescue.snapshot);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		fmt(why, sizeof why, "it wrote no lifeline-netsnap 1 file");
	else if (WIFEXITED(status))
		fmt(why, sizeof why, "exit status %d%s%s", WEXITSTATUS(status),
		    line[0] ? ": " : "", line);
	else
		fmt(why, sizeof why, "killed by signal %d", WTERMSIG(status));
	unlink(out_path);
	fmt(rescue_st.note, sizeof rescue_st.note,
	    "network snapshot failed (%s): the rescue system uses ip= or DHCP", why);
	log_msg(LOG_WARN, "rescue: %s", rescue_st.note);
}

/* ---- steps 3-5: the initrd, the command line, kexec_file_load ---- */

void rescue_kexec_error(int err, int crash, const char *kernel, char *out, int cap)
{
	const char *what = crash ? "crash kernel" : "kexec";
	switch (err) {
	case ENOSYS:
	case EOPNOTSUPP:
		fmt(out, (size_t)cap, "%s: this kernel has no kexec_file_load", what);
		break;
	case EPERM:
		if (read_flag("/proc/sys/kernel/kexec_load_disabled") == 1)
			fmt(out, (size_t)cap, "%s: disabled (kernel.kexec_load_disabled = 1)", what);
		else
			fmt(out, (size_t)cap, "%s: not permitted (kernel lockdown, or no "
			    "CAP_SYS_BOOT)", what);
		break;
	case EKEYREJECTED:
	case EBADMSG:
	case ENOKEY:
	case ENODATA:
	case ENOPKG:
		fmt(out, (size_t)cap, "%s: %s is not signed with a key this kernel trusts "
		    "(lockdown or signature enforcement): %s", what, kernel, strerror(err));
		break;
	case ENOMEM:
	case EADDRNOTAVAIL:
		if (crash)
			fmt(out, (size_t)cap, "crash kernel: the memory crashkernel= reserved is "
			    "too small for the kernel and the image");
		else
			fmt(out, (size_t)cap, "kexec: not enough memory for the kernel and the image");
		break;
	case ENOEXEC:
		fmt(out, (size_t)cap, "%s: %s is not a kernel image this kernel can load", what,
		    kernel);
		break;
	case EINVAL:
		fmt(out, (size_t)cap, "%s: the kernel refused %s (command line too long, or "
		    "not a bzImage)", what, kernel);
		break;
	default:
		fmt(out, (size_t)cap, "%s: kexec_file_load: %s", what, strerror(err));
	}
}

/* A Xen PV guest has no kexec at all. */
static int xen_pv(void)
{
	char b[16];
	return scan_read_file("/sys/hypervisor/guest_type", b, sizeof b) > 0 &&
	       !strncmp(b, "PV", 2) && (b[2] == '\n' || b[2] == '\0');
}

static void kernel_path(char *out, int cap)
{
	struct utsname u;
	if (rescue_st.cfg->rescue.kernel[0])
		fmt(out, (size_t)cap, "%s", rescue_st.cfg->rescue.kernel);
	else if (uname(&u) == 0)
		fmt(out, (size_t)cap, "/boot/vmlinuz-%s", u.release);
	else
		fmt(out, (size_t)cap, "/boot/vmlinuz");
}

static int fail(const char *f, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vfmt(rescue_st.problem, sizeof rescue_st.problem, f, ap);
	va_end(ap);
	return -1;
}

/* The initrd in a memfd: the image, zeros to a 4-byte boundary, the
 * archive.  Its fd, or -1 with rescue_st.problem set. */
static int build_initrd(const char *image, int cpio_fd, uint64_t cpio_len)
{
	struct stat st;
	const char *kind;
	int ifd = scan_open_regular(image, 0, &kind);
	if (ifd < 0 && kind)
		return fail("image %s: not a regular file but %s", image, kind);
	if (ifd < 0)
		return fail("image %s: %s (make rescue-image install-rescue)", image,
			    strerror(errno));
	if (fstat(ifd, &st) < 0) {
		close(ifd);
		return fail("image %s: %s", image, strerror(errno));
	}
	int mfd = memfd_create("lifeline-rescue-initrd", MFD_CLOEXEC);
	if (mfd < 0) {
		close(ifd);
		return fail("memfd_create: %s", strerror(errno));
	}
	struct initrd_out c;
	initrd_begin(&c, mfd, 0);
	if (initrd_copy_fd(&c, ifd, (uint64_t)st.st_size) == 0 && initrd_pad(&c) == 0)
		initrd_copy_fd(&c, cpio_fd, cpio_len);
	close(ifd);
	if (c.err) {
		close(mfd);
		return fail("building the initrd from %s: %s", image, strerror(c.err));
	}
	rescue_st.initrd_bytes = c.off;
	return mfd;
}

/* The archive of what step 1 and 2 wrote, in extra.cpio (kept for
 * inspection: `cpio -t < /run/lifeline/rescue/extra.cpio`).  Its fd. */
static int write_extra(uint64_t *len)
{
	char path[PATH_MAX_LEN + 32];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	path_in(path, sizeof path, "extra.cpio");
	unlink(path);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail("%s: %s", path, strerror(errno));
	if (rescuefiles_cpio(fd, dir, (uint32_t)ts.tv_sec) < 0) {
		int e = errno;
		close(fd);
		return fail("%s: %s", path, strerror(e));
	}
	*len = (uint64_t)lseek(fd, 0, SEEK_END);
	return fd;
}

static const char *crash_word(void)
{
	static const char *const w[] = { "none", "off", "not-reserved", "armed", "failed",
					 "not-loaded" };
	return w[rescue_st.crash];
}

/* The loads run in a child that shares PID 1's memory (CLONE_VM, without
 * CLONE_VFORK), so that the loop goes on while the kernel reads and
 * checks the kernel and the initrd: seconds under QEMU without KVM.  The
 * child has its own copy of the fd table and makes raw syscalls only
 * (errno would be PID 1's), leaving the results in load_job. */
static struct {
	int kfd, mfd;
	int crash;                      /* load the crash kernel too */
	unsigned long len, crash_len;   /* of the command lines, NUL included */
	long ret, crash_ret;            /* 0 or -errno */
	char crash_line[KCMDLINE_MAX];
} load_job;

static long raw_kexec(int kfd, int mfd, unsigned long len, const char *line,
		      unsigned long flags)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = (long)line;
	register long r8 __asm__("r8") = (long)flags;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"((long)SYS_kexec_file_load), "D"((long)kfd), "S"((long)mfd),
			   "d"((long)len), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
#else
	/* elsewhere through libc: errno is shared with PID 1 (a race on
	 * errno only, the result is right) */
	return syscall(SYS_kexec_file_load, kfd, mfd, len, line, flags) < 0 ? -errno : 0;
#endif
}

static int load_child(void *arg)
{
	(void)arg;
	load_job.ret = raw_kexec(load_job.kfd, load_job.mfd, load_job.len, rescue_st.cmdline, 0);
	if (load_job.crash)
		load_job.crash_ret = raw_kexec(load_job.kfd, load_job.mfd, load_job.crash_len,
					       load_job.crash_line, KEXEC_FILE_ON_CRASH);
	return 0;
}

#ifdef LIFELINE_NO_MLOCK
static char load_stack[65536] __attribute__((aligned(16)));   /* sanitizers */
#else
static char load_stack[2048] __attribute__((aligned(16)));
#endif

/* What the crash kernel gets, decided before the load. */
static void plan_crash(const char *running)
{
	char b[32];
	load_job.crash = 0;
	if (!rescue_st.cfg->rescue.crash) {
		rescue_st.crash = C_OFF;
		return;
	}
	/* kexec_crash_size: bytes crashkernel= reserved (0: none) */
	if (scan_read_file("/sys/kernel/kexec_crash_size", b, sizeof b) <= 0 ||
	    scan_uint(b, 10, NULL) == 0) {
		rescue_st.crash = C_NOT_RESERVED;
		return;
	}
	int n = kcmdline_build(load_job.crash_line, sizeof load_job.crash_line, running,
			       rescue_st.cfg->rescue.port, rescue_st.cfg->rescue.cmdline, 1);
	if (n < 0) {
		rescue_st.crash = C_FAILED;
		fmt(rescue_st.crash_problem, sizeof rescue_st.crash_problem, "crash kernel: command line longer "
		    "than %d bytes", KCMDLINE_MAX - 1);
		return;
	}
	load_job.crash = 1;
	load_job.crash_len = (unsigned long)n + 1;
}

/* The load's results into rescue_st.  0 if something was loaded. */
static int load_results(void)
{
	if (load_job.ret == 0)
		rescue_st.kexec = 1;
	else
		rescue_kexec_error((int)-load_job.ret, 0, rescue_st.kernel, rescue_st.problem,
				   sizeof rescue_st.problem);
	if (load_job.crash && load_job.crash_ret == 0) {
		rescue_st.crash = C_ARMED;
	} else if (load_job.crash) {
		rescue_st.crash = C_FAILED;
		rescue_kexec_error((int)-load_job.crash_ret, 1, rescue_st.kernel, rescue_st.crash_problem,
				   sizeof rescue_st.crash_problem);
	}
	return rescue_st.kexec || rescue_st.crash == C_ARMED ? 0 : -1;
}

/* Start the load: 1 while the child runs, else done (0, or -1 with
 * rescue_st.problem). */
static int arm_load(int kfd, int mfd, const char *running)
{
	if (xen_pv())
		return fail("Xen PV guest: kexec is not possible here");
	plan_crash(running);
	load_job.kfd = kfd;
	load_job.mfd = mfd;
	load_job.len = strlen(rescue_st.cmdline) + 1;
	load_job.ret = load_job.crash_ret = -EINPROGRESS;
	rescue_st.load_started = now_ms();
	pid_t pid = clone(load_child, load_stack + sizeof load_stack, CLONE_VM | SIGCHLD, NULL);
	if (pid > 0) {
		rescue_st.load_pid = pid;
		return 1;
	}
	/* no child: load here, the loop waits */
	log_msg(LOG_WARN, "rescue: clone for the kexec load: %s; loading in the loop",
		strerror(errno));
	load_child(NULL);
	rescue_st.load_ms = (uint32_t)(now_ms() - rescue_st.load_started);
	return load_results();
}

/* ---- the boot loader path: a one-shot GRUB entry, where kexec cannot go ----
 * Arming checks grubenv and grub.cfg, writes lifeline_rescue_args into
 * grubenv and the archive (extra.cpio) to armed_image, in a forked child
 * (disk I/O never in the loop); a verdict sets next_entry in grubenv
 * (grubenv_commit, bounded) and reboots.  GRUB's 00_header clears
 * next_entry with save_env when it boots it: the next boot is normal. */

/* Why kexec cannot go here, known before trying: 1 with why set. */
static int kexec_blocked(char *why, int cap)
{
	if (xen_pv())
		fmt(why, (size_t)cap, "kexec: Xen PV guest, no kexec here");
	else if (access("/sys/kernel/kexec_loaded", F_OK) < 0)
		fmt(why, (size_t)cap, "kexec: this kernel has none (no /sys/kernel/kexec_loaded)");
	else if (read_flag("/proc/sys/kernel/kexec_load_disabled") == 1)
		fmt(why, (size_t)cap, "kexec: disabled (kernel.kexec_load_disabled = 1)");
	else
		return 0;
	return 1;
}

/* A namespace's lifeline (the tests, a container) leaves the machine's
 * boot loader alone unless grubenv was set for it. */
static int grub_allowed(void)
{
	return rescue_st.machine || rescue_st.cfg->rescue.grubenv_given;
}

/* The GRUB path's checks and writes (grubarm.h) for this arming. */
static int grub_prepare(char *err, int cap)
{
	char extra[PATH_MAX_LEN + 32];
	path_in(extra, sizeof extra, "extra.cpio");
	return grubarm_prepare(&rescue_st.cfg->rescue, rescue_st.cmdline, extra, err, cap);
}

static int grub_failed(const char *why)
{
	if (rescue_st.cfg->rescue.method == RESCUE_METHOD_GRUB)
		fmt(rescue_st.problem, sizeof rescue_st.problem, "%s", why);
	else
		fmt(rescue_st.problem, sizeof rescue_st.problem, "%s; GRUB: %s", rescue_st.kexec_why, why);
	return -1;
}

/* Start the GRUB path: 1 while its child runs, else done (0, or -1 with
 * rescue_st.problem). */
static int grub_start(void)
{
	int p[2];
	char err[PROBLEM_LEN];
	rescue_st.grub_tried = 1;
	if (!rescue_st.cmdline_ok)
		return grub_failed("the rescue kernel's command line could not be built");
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
		pid_t c = fork();
		if (c == 0) {
			int rc = grub_prepare(err, sizeof err);
			if (rc < 0 && write(p[1], err, strlen(err)) < 0)
				_exit(2);
			_exit(rc < 0 ? 1 : 0);
		}
		int e = errno;
		close(p[1]);
		if (c > 0) {
			rescue_st.grub_pid = c;
			rescue_st.grub_fd = p[0];
			rescue_st.grub_killed = 0;
			rescue_st.grub_deadline = now_ms() + GRUB_ARM_MS;
			return 1;
		}
		close(p[0]);
		errno = e;
	}
	log_msg(LOG_WARN, "rescue: cannot start a child for the GRUB path (%s): checking in "
		"the loop", strerror(errno));
	if (grub_prepare(err, sizeof err) < 0)
		return grub_failed(err);
	rescue_st.grub = 1;
	return 0;
}

/* Steps 3 to 5.  0 when done (armed or prepared), 1 while the load runs,
 * -1 with rescue_st.problem. */
static int arm_steps(void)
{
	char running[2560];
	uint64_t cpio_len = 0;
	kernel_path(rescue_st.kernel, sizeof rescue_st.kernel);
	if (scan_read_file("/proc/cmdline", running, sizeof running) < 0)
		running[0] = '\0';
	if (kcmdline_build(rescue_st.cmdline, sizeof rescue_st.cmdline, running,
			   rescue_st.cfg->rescue.port, rescue_st.cfg->rescue.cmdline, 0) < 0)
		return fail("the rescue kernel's command line would be longer than %d bytes",
			    KCMDLINE_MAX - 1);
	rescue_st.cmdline_ok = 1;
	int cfd = write_extra(&cpio_len);
	if (cfd < 0)
		return -1;
	rescue_st.archive_bytes = cpio_len;
	int method = rescue_st.cfg->rescue.method;
	if (method == RESCUE_METHOD_GRUB ||
	    (method == RESCUE_METHOD_AUTO && grub_allowed() &&
	     kexec_blocked(rescue_st.kexec_why, sizeof rescue_st.kexec_why))) {
		if (method == RESCUE_METHOD_GRUB)
			fmt(rescue_st.kexec_why, sizeof rescue_st.kexec_why, "kexec: not tried (method = grub)");
		close(cfd);
		return grub_start();
	}
	const char *kind;
	int kfd = scan_open_regular(rescue_st.kernel, 0, &kind);
	if (kfd < 0) {
		int e = errno;
		close(cfd);
		if (kind)
			return fail("kernel %s: not a regular file but %s", rescue_st.kernel, kind);
		return fail("kernel %s: %s", rescue_st.kernel, strerror(e));
	}
	int mfd = build_initrd(rescue_st.cfg->rescue.image, cfd, cpio_len);
	int ret = -1;
	if (mfd >= 0 && !rescue_st.machine) {
		rescue_st.crash = C_NOT_LOADED;
		ret = 0;
	} else if (mfd >= 0) {
		ret = arm_load(kfd, mfd, running);
	}
	/* the load's child has its own copies */
	close(kfd);
	close(cfd);
	if (mfd >= 0)
		close(mfd);
	return ret;
}

static void kernel_name(char *out, int cap)
{
	const char *b = strrchr(rescue_st.kernel, '/');
	b = b ? b + 1 : rescue_st.kernel;
	if (!strncmp(b, "vmlinuz-", 8) && b[8])
		fmt(out, (size_t)cap, "%s", b + 8);
	else
		fmt(out, (size_t)cap, "%s", rescue_st.kernel);
}

static void what_text(struct outbuf *o)
{
	char k[PATH_MAX_LEN], size[16];
	kernel_name(k, sizeof k);
	if (rescue_st.grub) {
		fmt_size((int64_t)rescue_st.archive_bytes, size, sizeof size);
		ob_printf(o, "%s + %s (%s, snapshot: ", rescue_st.cfg->rescue.image,
			  rescue_st.cfg->rescue.armed_image, size);
	} else {
		fmt_size((int64_t)rescue_st.initrd_bytes, size, sizeof size);
		ob_printf(o, "%s + %s (%s, snapshot: ", k, rescue_st.cfg->rescue.image, size);
	}
	if (rescue_st.snapshot)
		ob_printf(o, "%u link%s", rescue_st.links, rescue_st.links == 1 ? "" : "s");
	else
		ob_puts(o, "none");
	ob_printf(o, ", keepalives: %s)", rescue_st.keepalive ? "yes" : "no");
}

static void arm_done(uint64_t now, int ok)
{
	rescue_st.hash = conf_hash(rescue_st.cfg);
	char what[400];
	struct outbuf o;
	ob_init(&o, what, sizeof what);
	what_text(&o);
	if (!ok) {
		rescue_st.state = R_FAILED;
		log_msg(LOG_ERR, "rescue: NOT ARMED: %s; a verdict reboots the host", rescue_st.problem);
	} else if (rescue_st.grub && !rescue_st.machine) {
		rescue_st.state = R_NOT_LOADED;
		log_msg(LOG_NOTICE, "rescue: prepared via GRUB one-shot entry %s (%s): %s; not "
			"armed (not the machine's PID 1)", rescue_st.cfg->rescue.grub_entry, rescue_st.kexec_why,
			what);
	} else if (rescue_st.grub) {
		rescue_st.state = R_ARMED;
		log_msg(LOG_NOTICE, "rescue: armed via GRUB one-shot entry %s (%s; checked and "
			"written in %u ms): %s; crash kernel: %s%s%s", rescue_st.cfg->rescue.grub_entry,
			rescue_st.kexec_why, rescue_st.grub_ms, what, crash_word(),
			rescue_st.crash == C_FAILED ? ": " : "",
			rescue_st.crash == C_FAILED ? rescue_st.crash_problem : "");
	} else if (!rescue_st.machine) {
		rescue_st.state = R_NOT_LOADED;
		log_msg(LOG_NOTICE, "rescue: prepared %s; not loaded (not the machine's PID 1)",
			what);
	} else {
		rescue_st.state = R_ARMED;
		log_msg(rescue_st.kexec ? LOG_NOTICE : LOG_ERR, "rescue: armed (prepared in %u ms, loaded in "
			"%u ms): %s%s%s; crash kernel: %s%s%s", rescue_st.arm_ms, rescue_st.load_ms,
			rescue_st.kexec ? "kexec " : "kexec FAILED (", rescue_st.kexec ? what : rescue_st.problem,
			rescue_st.kexec ? "" : ")", crash_word(), rescue_st.crash == C_FAILED ? ": " : "",
			rescue_st.crash == C_FAILED ? rescue_st.crash_problem : "");
	}
	if (rescue_st.rearm) {
		rescue_st.rearm = 0;
		rescue_arm(NULL, now);
	}
}

/* kexec could not be armed: the boot loader path instead, where auto
 * allows it.  1 if it was taken (arm_done is then its business). */
static int grub_fallback(uint64_t now)
{
	if (rescue_st.grub_tried || rescue_st.cfg->rescue.method != RESCUE_METHOD_AUTO || !grub_allowed())
		return 0;
	fmt(rescue_st.kexec_why, sizeof rescue_st.kexec_why, "%s",
	    rescue_st.problem[0] ? rescue_st.problem : "kexec: failed");
	rescue_st.problem[0] = '\0';
	rescue_st.grub_started = now_ms();
	int rc = grub_start();
	if (rc == 1)
		return 1;       /* rescue_child_exited goes on */
	rescue_st.grub_ms = (uint32_t)(now_ms() - rescue_st.grub_started);
	arm_done(now, rc == 0 || rescue_st.crash == C_ARMED);
	return 1;
}

static void arm_finish(uint64_t now)
{
	uint64_t t0 = now_ms();
	rescue_st.grub_started = t0;
	int rc = arm_steps();
	rescue_st.arm_ms = (uint32_t)(now_ms() - t0);
	rescue_st.armed_at = now;
	if (rc == 1)
		return;         /* rescue_child_exited goes on */
	if (rescue_st.grub_tried)
		rescue_st.grub_ms = rescue_st.arm_ms;
	/* failed before the load, or loaded only the crash kernel */
	if ((rc < 0 || (rescue_st.machine && !rescue_st.kexec)) && grub_fallback(now))
		return;
	arm_done(now, rc == 0);
}

/* The GRUB path's child ended. */
static void grub_done(int status, uint64_t now)
{
	char msg[PROBLEM_LEN];
	ssize_t n = read(rescue_st.grub_fd, msg, sizeof msg - 1);
	close(rescue_st.grub_fd);
	rescue_st.grub_fd = -1;
	msg[n > 0 ? n : 0] = '\0';
	rescue_st.grub_ms = (uint32_t)(now_ms() - rescue_st.grub_started);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rescue_st.grub = 1;
	else if (rescue_st.grub_killed)
		grub_failed("checking and writing took more than 30s (storage not answering?): "
			    "killed");
	else
		grub_failed(msg[0] ? msg : "the child that checks and writes failed");
	if (rescue_st.state == R_OFF) {
		rescue_st.rearm = 0;
		return;
	}
	rescue_st.armed_at = now;
	arm_done(now, rescue_st.grub || rescue_st.kexec || rescue_st.crash == C_ARMED);
}

/* The load's child ended. */
static void load_done(int status, uint64_t now)
{
	rescue_st.load_ms = (uint32_t)(now_ms() - rescue_st.load_started);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* killed before it could say: what is loaded is unknown */
		if (load_job.ret == -EINPROGRESS)
			load_job.ret = -EINTR;
		if (load_job.crash && load_job.crash_ret == -EINPROGRESS)
			load_job.crash_ret = -EINTR;
	}
	int ok = load_results() == 0;
	if (rescue_st.state == R_OFF) {
		unload();       /* [rescue] went away meanwhile */
		rescue_st.rearm = 0;
		return;
	}
	rescue_st.armed_at = now;
	if (!rescue_st.kexec && grub_fallback(now))
		return;
	arm_done(now, ok);
}

static void arm_start(uint64_t now)
{
	if (rescue_st.load_pid || rescue_st.grub_pid) {
		/* load_job is the running child's: after it */
		rescue_st.rearm = 1;
		return;
	}
	rescue_st.state = R_ARMING;
	rescue_st.kexec = 0;
	rescue_st.grub = rescue_st.grub_tried = rescue_st.cmdline_ok = 0;
	rescue_st.archive_bytes = 0;
	rescue_st.grub_ms = 0;
	rescue_st.kexec_why[0] = '\0';
	rescue_st.crash = C_NONE;
	rescue_st.snapshot = 0;
	rescue_st.links = 0;
	rescue_st.initrd_bytes = 0;
	rescue_st.load_ms = 0;
	rescue_st.problem[0] = rescue_st.crash_problem[0] = rescue_st.note[0] = '\0';
	rescue_st.cmdline[0] = '\0';
	rescue_st.snap_killed = 0;
	/* /run/lifeline/rescue, 0700: the key goes there */
	if (!strcmp(dir, RESCUE_DIR))
		mkdir("/run/lifeline", 0755);
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) || chmod(dir, 0700) < 0) {
		fail("cannot create %s: %s", dir, strerror(errno));
		rescue_st.state = R_FAILED;
		log_msg(LOG_ERR, "rescue: NOT ARMED: %s; a verdict reboots the host", rescue_st.problem);
		return;
	}
	rescue_st.keepalive = rescuefiles_write_keepalive(dir, &rescue_st.cfg->ka, rescue_st.note,
							  sizeof rescue_st.note);
	if (rescue_st.note[0])
		log_msg(LOG_WARN, "rescue: %s", rescue_st.note);
	char snap[PATH_MAX_LEN + 32];
	path_in(snap, sizeof snap, "netsnap");
	unlink(snap);
	if (rescue_st.cfg->rescue.snapshot[0]) {
		char why[120];
		pid_t pid = start_snapshot(rescue_st.cfg->rescue.snapshot, why, sizeof why);
		if (pid > 0) {
			rescue_st.snap_pid = pid;
			rescue_st.snap_deadline = now + SNAP_TIMEOUT_MS;
			return;         /* rescue_child_exited goes on */
		}
		fmt(rescue_st.note, sizeof rescue_st.note, "network snapshot failed (%s): the rescue system "
		    "uses ip= or DHCP", why);
		log_msg(LOG_WARN, "rescue: %s", rescue_st.note);
	}
	arm_finish(now);
}

/* ---- the interface ---- */

static void unload(void)
{
	if (rescue_st.kexec && syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL,
			       (unsigned long)KEXEC_FILE_UNLOAD) < 0)
		log_msg(LOG_WARN, "rescue: unloading the kexec image: %s", strerror(errno));
	if (rescue_st.crash == C_ARMED && syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL,
					  (unsigned long)(KEXEC_FILE_UNLOAD | KEXEC_FILE_ON_CRASH)) < 0)
		log_msg(LOG_WARN, "rescue: unloading the crash kernel: %s", strerror(errno));
	rescue_st.kexec = 0;
	rescue_st.crash = C_NONE;
}

void rescue_configure(const struct config *c, int machine, uint64_t now)
{
	rescue_st.cfg = c;
	rescue_st.machine = machine;
	if (!c->rescue.present) {
		if (rescue_st.state != R_OFF) {
			unload();
			if (rescue_st.snap_pid > 0) {
				kill(rescue_st.snap_pid, SIGKILL);
				rescue_st.snap_stale = rescue_st.snap_pid;
				rescue_st.snap_pid = 0;
			}
			if (rescue_st.grub_pid > 0) {
				kill(rescue_st.grub_pid, SIGKILL);
				rescue_st.grub_stale = rescue_st.grub_pid;
				rescue_st.grub_pid = 0;
				close(rescue_st.grub_fd);
			}
			log_msg(LOG_NOTICE, "rescue: off (no [rescue] section)");
		}
		rescue_st.grub = 0;
		rescue_st.state = R_OFF;
		return;
	}
	if (rescue_st.state == R_OFF) {
		rescue_st.state = R_UNARMED;
		if (rescue_st.boot_done && c->rescue.arm)
			arm_start(now);
		return;
	}
	if (conf_hash(c) == rescue_st.hash)
		return;
	if (rescue_st.state == R_ARMING) {
		rescue_st.rearm = 1;
	} else if (rescue_st.state != R_UNARMED || (rescue_st.boot_done && c->rescue.arm)) {
		log_msg(LOG_NOTICE, "rescue: [rescue] or [keepalive] changed: arming again");
		arm_start(now);
	}
}

void rescue_boot_done(uint64_t now)
{
	rescue_st.boot_done = 1;
	if (rescue_st.cfg && rescue_st.cfg->rescue.present && rescue_st.cfg->rescue.arm &&
	    rescue_st.state == R_UNARMED)
		arm_start(now);
}

void rescue_arm(struct outbuf *o, uint64_t now)
{
	if (!rescue_st.cfg || !rescue_st.cfg->rescue.present) {
		if (o)
			ob_puts(o, "error: no [rescue] section in the config\n");
		return;
	}
	if (rescue_st.state == R_ARMING) {
		if (o)
			ob_puts(o, rescue_st.load_pid ? "error: arming already (loading the kernel)\n"
				: rescue_st.grub_pid ? "error: arming already (the GRUB path)\n"
				: "error: arming already (the network snapshot runs)\n");
		return;
	}
	arm_start(now);
	if (!o)
		return;
	ob_puts(o, rescue_st.state == R_FAILED ? "error: " : "ok\n");
	rescue_status_text(o, now);
}

/* Booting the rescue system: nothing here allocates or starts anything. */
void rescue_now(const char *reason)
{
	log_msg(LOG_ERR, "rescue: %s: booting the rescue system", reason);
	if (!rescue_st.machine) {
		rescue_st.not_pid1++;
		log_msg(LOG_ERR, "rescue: not the machine's PID 1: not booting the rescue system");
		return;
	}
	rescue_st.escalations++;
	int loaded = read_flag("/sys/kernel/kexec_loaded");
	int grub = 0;
	if (rescue_st.grub && rescue_st.state == R_ARMED && loaded != 1) {
		/* the one-shot entry: next_entry in grubenv, in place, by a child
		 * PID 1 waits for a bounded time (a hung disk must not keep the
		 * host from rebooting) */
		static const char *const names[] = { "next_entry", GRUB_ARGS_VAR };
		const char *values[] = { rescue_st.cfg->rescue.grub_entry, rescue_st.cmdline };
		char err[PROBLEM_LEN];
		grub = grubenv_commit(rescue_st.cfg->rescue.grubenv, names, values, 2, GRUB_VERDICT_MS,
				      err, sizeof err) == 0;
		if (grub)
			log_msg(LOG_ERR, "rescue: next_entry=%s written to %s", rescue_st.cfg->rescue.grub_entry,
				rescue_st.cfg->rescue.grubenv);
		else
			log_msg(LOG_ERR, "rescue: GRUB one-shot entry NOT set: %s", err);
	}
	/* the disks may be why SSH died: a sync that never returns must not
	 * keep the host from the rescue system */
	sync_bounded(RESCUE_SYNC_MS);
	/* only now, right before the jump: had the sync hung in PID 1 with
	 * the watchdog released, nothing would ever have reset the host */
	watchdog_release();
	if (loaded == 1 || (loaded < 0 && !rescue_st.grub)) {
		reboot(LINUX_REBOOT_CMD_KEXEC);
		log_msg(LOG_ERR, "rescue: reboot(KEXEC): %s", strerror(errno));
	}
	if (grub) {
		log_msg(LOG_ERR, "rescue: rebooting into GRUB entry %s", rescue_st.cfg->rescue.grub_entry);
		reboot(RB_AUTOBOOT);
		log_msg(LOG_ERR, "rescue: reboot: %s", strerror(errno));
	}
	if (read_flag("/sys/kernel/kexec_crash_loaded") == 1) {
		log_msg(LOG_ERR, "rescue: starting the crash kernel (sysrq-c)");
		int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "c", 1) != 1)
			log_msg(LOG_ERR, "rescue: /proc/sysrq-trigger: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	log_msg(LOG_ERR, "rescue: no rescue kernel: plain reboot");
	reboot(RB_AUTOBOOT);
	log_msg(LOG_ERR, "rescue: reboot: %s", strerror(errno));
}

int rescue_child_exited(pid_t pid, int status, uint64_t now)
{
	if (pid <= 0)
		return 0;
	if (pid == rescue_st.load_pid) {
		rescue_st.load_pid = 0;
		load_done(status, now);
		return 1;
	}
	if (pid == rescue_st.snap_stale) {
		rescue_st.snap_stale = 0;
		return 1;
	}
	if (pid == rescue_st.grub_stale) {
		rescue_st.grub_stale = 0;
		return 1;
	}
	if (pid == rescue_st.grub_pid) {
		rescue_st.grub_pid = 0;
		grub_done(status, now);
		return 1;
	}
	if (pid != rescue_st.snap_pid)
		return 0;
	rescue_st.snap_pid = 0;
	snapshot_done(status);
	arm_finish(now);
	return 1;
}

/* The GRUB path's child past its deadline: killed; still there 5 s
 * later (in D state on a dead disk): given up on. */
static void grub_tick(uint64_t now)
{
	if (rescue_st.grub_pid <= 0 || now < rescue_st.grub_deadline)
		return;
	if (!rescue_st.grub_killed) {
		log_msg(LOG_WARN, "rescue: the GRUB path's checks and writes take more than %ds: "
			"killing them", GRUB_ARM_MS / 1000);
		kill(rescue_st.grub_pid, SIGKILL);
		rescue_st.grub_killed = 1;
		rescue_st.grub_deadline = now + SNAP_KILL_WAIT_MS;
		return;
	}
	rescue_st.grub_stale = rescue_st.grub_pid;
	rescue_st.grub_pid = 0;
	grub_done(SIGKILL, now);
}

void rescue_tick(uint64_t now)
{
	grub_tick(now);
	if (rescue_st.snap_pid <= 0 || now < rescue_st.snap_deadline)
		return;
	if (!rescue_st.snap_killed) {
		log_msg(LOG_WARN, "rescue: the network snapshot takes more than %ds: killing it",
			SNAP_TIMEOUT_MS / 1000);
		kill(rescue_st.snap_pid, SIGKILL);
		rescue_st.snap_killed = 1;
		rescue_st.snap_deadline = now + SNAP_KILL_WAIT_MS;
		return;
	}
	/* killed and still not gone (stuck in the kernel): arm without it */
	rescue_st.snap_stale = rescue_st.snap_pid;
	rescue_st.snap_pid = 0;
	snapshot_done(SIGKILL);    /* the wait status of a SIGKILL death */
	arm_finish(now);
}

uint64_t rescue_next_deadline(void)
{
	uint64_t s = rescue_st.snap_pid > 0 ? rescue_st.snap_deadline : 0;
	uint64_t g = rescue_st.grub_pid > 0 ? rescue_st.grub_deadline : 0;
	return !s ? g : !g ? s : s < g ? s : g;
}

/* ---- status ---- */

static const char *state_word(void)
{
	static const char *const w[] = { "off", "unarmed", "arming", "armed", "not-loaded",
					 "failed" };
	return w[rescue_st.state];
}

void rescue_status_text(struct outbuf *o, uint64_t now)
{
	char ago[16];
	if (!rescue_st.cfg || rescue_st.state == R_OFF) {
		if (rescue_st.not_pid1 || rescue_st.escalations)
			ob_printf(o, "rescue: off; verdicts acted on: %u%s\n",
				  rescue_st.escalations + rescue_st.not_pid1, rescue_st.not_pid1 ? " (not PID 1)" : "");
		return;
	}
	fmt_duration(now > rescue_st.armed_at ? now - rescue_st.armed_at : 0, ago, sizeof ago);
	switch (rescue_st.state) {
	case R_UNARMED:
		ob_printf(o, "rescue: NOT ARMED: %s; a verdict reboots the host\n",
			  !rescue_st.cfg->rescue.arm ? "arm = no (lifelinectl rescue arm)"
			  : "waiting for the boot tasks");
		break;
	case R_ARMING:
		ob_puts(o, rescue_st.load_pid ? "rescue: arming (loading the kernel and the image)\n"
			: rescue_st.grub_pid ? "rescue: arming (the GRUB path: checking and writing)\n"
			: "rescue: arming (snapshot running)\n");
		break;
	case R_FAILED:
		ob_printf(o, "rescue: NOT ARMED: %s; a verdict reboots the host\n", rescue_st.problem);
		break;
	case R_NOT_LOADED:
		if (rescue_st.grub)
			ob_printf(o, "rescue: prepared %s ago via GRUB one-shot entry %s, not armed "
				  "(not the machine's PID 1; %s): ", ago, rescue_st.cfg->rescue.grub_entry,
				  rescue_st.kexec_why);
		else
			ob_printf(o, "rescue: prepared %s ago, not loaded (not the machine's PID 1): ",
				  ago);
		what_text(o);
		ob_puts(o, "\n");
		break;
	default:
		if (rescue_st.grub) {
			ob_printf(o, "rescue: armed %s ago via GRUB one-shot entry %s (%s): ", ago,
				  rescue_st.cfg->rescue.grub_entry, rescue_st.kexec_why);
			what_text(o);
		} else if (rescue_st.kexec) {
			ob_printf(o, "rescue: armed %s ago: kexec ", ago);
			what_text(o);
		} else {
			ob_printf(o, "rescue: armed %s ago, crash kernel only (%s)", ago, rescue_st.problem);
		}
		ob_printf(o, "; crash kernel: %s%s%s\n", rescue_st.crash == C_FAILED ? "FAILED" : crash_word(),
			  rescue_st.crash == C_FAILED ? ": " : "",
			  rescue_st.crash == C_FAILED ? rescue_st.crash_problem : "");
	}
	if (rescue_st.note[0] && rescue_st.state != R_UNARMED && rescue_st.state != R_ARMING)
		ob_printf(o, "rescue: note: %s\n", rescue_st.note);
	if (rescue_st.escalations || rescue_st.not_pid1)
		ob_printf(o, "rescue: verdicts acted on: %u%s\n", rescue_st.escalations + rescue_st.not_pid1,
			  rescue_st.not_pid1 ? " (not PID 1)" : "");
}

static void json_str_or_null(struct outbuf *o, const char *s)
{
	if (s && s[0])
		ob_json_str(o, s);
	else
		ob_puts(o, "null");
}

void rescue_status_json(struct outbuf *o, uint64_t now)
{
	int on = rescue_st.cfg && rescue_st.state != R_OFF;
	int done = rescue_st.state == R_ARMED || rescue_st.state == R_NOT_LOADED ||
		   rescue_st.state == R_FAILED;
	if (!on) {
		ob_printf(o, "\"rescue\":{\"enabled\":false,\"state\":\"off\",\"escalations\":%u,"
			  "\"not_pid1\":%u},", rescue_st.escalations, rescue_st.not_pid1);
		return;
	}
	ob_printf(o, "\"rescue\":{\"enabled\":%s,\"state\":\"%s\",\"kexec\":%s,\"crash\":\"%s\","
		  "\"problem\":", on ? "true" : "false", state_word(), rescue_st.kexec ? "true" : "false",
		  rescue_st.state == R_OFF ? "off" : crash_word());
	if (rescue_st.state == R_UNARMED)
		ob_json_str(o, !rescue_st.cfg->rescue.arm ? "arm = no" : "waiting for the boot tasks");
	else
		json_str_or_null(o, on ? rescue_st.problem : NULL);
	ob_puts(o, ",\"crash_problem\":");
	json_str_or_null(o, on ? rescue_st.crash_problem : NULL);
	ob_puts(o, ",\"note\":");
	json_str_or_null(o, on ? rescue_st.note : NULL);
	if (done)
		ob_printf(o, ",\"armed_ms_ago\":%lu,\"arm_ms\":%u,\"load_ms\":%u",
			  (unsigned long)(now > rescue_st.armed_at ? now - rescue_st.armed_at : 0), rescue_st.arm_ms,
			  rescue_st.load_ms);
	else
		ob_puts(o, ",\"armed_ms_ago\":null,\"arm_ms\":null,\"load_ms\":null");
	ob_puts(o, ",\"kernel\":");
	json_str_or_null(o, done ? rescue_st.kernel : NULL);
	ob_puts(o, ",\"image\":");
	json_str_or_null(o, on ? rescue_st.cfg->rescue.image : NULL);
	ob_printf(o, ",\"initrd_bytes\":%lu,\"snapshot\":%s,\"snapshot_links\":%u,"
		  "\"keepalive\":%s,\"cmdline\":", (unsigned long)rescue_st.initrd_bytes,
		  rescue_st.snapshot ? "true" : "false", rescue_st.links, rescue_st.keepalive ? "true" : "false");
	json_str_or_null(o, done ? rescue_st.cmdline : NULL);
	/* the path a verdict takes: kexec (or the crash kernel), or GRUB */
	ob_puts(o, ",\"method\":");
	json_str_or_null(o, !done || rescue_st.state == R_FAILED ? NULL
			    : rescue_st.grub ? "grub" : "kexec");
	ob_puts(o, ",\"kexec_problem\":");
	json_str_or_null(o, done && rescue_st.grub ? rescue_st.kexec_why : NULL);
	ob_puts(o, ",\"grub_entry\":");
	ob_json_str(o, rescue_st.cfg->rescue.grub_entry);
	ob_puts(o, ",\"grubenv\":");
	ob_json_str(o, rescue_st.cfg->rescue.grubenv);
	ob_puts(o, ",\"armed_image\":");
	ob_json_str(o, rescue_st.cfg->rescue.armed_image);
	ob_printf(o, ",\"armed_image_bytes\":%lu",
		  (unsigned long)(rescue_st.grub ? rescue_st.archive_bytes : 0));
	ob_printf(o, ",\"escalations\":%u,\"not_pid1\":%u},", rescue_st.escalations, rescue_st.not_pid1);
}
