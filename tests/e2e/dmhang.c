/* dmhang: storage that stops answering, for tests/e2e/t_escalate_stuck.sh.
 *
 *   dmhang create NAME DEV   a device-mapper device NAME, "linear" over the
 *                            whole of the block device DEV, active; prints
 *                            "created NAME /dev/dm-N (MAJ:MIN) over DEV
 *                            (MAJ:MIN), SECTORS sectors"
 *   dmhang suspend NAME      suspend it with noflush and without locking
 *                            the filesystem on it (what `dmsetup suspend
 *                            --noflush --nolockfs` does): nothing is
 *                            flushed or frozen first, and every later I/O
 *                            to it waits in device-mapper until a resume
 *   dmhang resume NAME       resume it
 *   dmhang remove NAME       remove it
 *
 * Dirty pages of a filesystem on a device suspended that way can never be
 * written: a sync(2) waits for them for ever (in state D).  `fsfreeze -f`
 * or a plain `dmsetup suspend` would flush them first, and a later sync
 * would return.
 *
 * Built static with musl into the system image (initramfs/mksystem.sh) as
 * /usr/bin/dmhang, so the image needs no dmsetup and its libraries.  musl
 * has no <linux/...> headers: struct dm_ioctl, struct dm_target_spec, the
 * ioctl numbers and the flags are spelt out here from <linux/dm-ioctl.h>
 * (interface version 4; sizes 312 and 40, numbers _IOWR(0xfd, N, struct
 * dm_ioctl) = 0xc138fd00 + N, checked against that header) and BLKGETSIZE64
 * from <linux/fs.h>. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct dm_ioctl {
	uint32_t version[3];
	uint32_t data_size;     /* all of it, this struct included */
	uint32_t data_start;    /* where the payload starts, from here */
	uint32_t target_count;
	int32_t open_count;
	uint32_t flags;
	uint32_t event_nr;
	uint32_t padding;
	uint64_t dev;
	char name[128];         /* DM_NAME_LEN */
	char uuid[129];         /* DM_UUID_LEN */
	char data[7];
};

struct dm_target_spec {
	uint64_t sector_start;
	uint64_t length;
	int32_t status;
	uint32_t next;          /* from this spec to the next one */
	char target_type[16];   /* DM_MAX_TYPE_NAME */
	/* the target's parameters follow, a C string */
};

_Static_assert(sizeof(struct dm_ioctl) == 312, "struct dm_ioctl as in <linux/dm-ioctl.h>");
_Static_assert(offsetof(struct dm_ioctl, dev) == 40, "dm_ioctl.dev");
_Static_assert(offsetof(struct dm_ioctl, data) == 305, "dm_ioctl.data");
_Static_assert(sizeof(struct dm_target_spec) == 40, "struct dm_target_spec");

#define DM_DEV_CREATE   0xc138fd03u
#define DM_DEV_REMOVE   0xc138fd04u
#define DM_DEV_SUSPEND  0xc138fd06u
#define DM_TABLE_LOAD   0xc138fd09u
#define DM_SUSPEND_FLAG      (1u << 1)
#define DM_SKIP_LOCKFS_FLAG  (1u << 10)
#define DM_NOFLUSH_FLAG      (1u << 11)
#define BLKGETSIZE64    0x80081272u

static int ctl = -1;

static void dm_init(struct dm_ioctl *io, size_t size, const char *name)
{
	memset(io, 0, size);
	io->version[0] = 4;     /* the kernel takes any 4.x up to its own */
	io->data_size = (uint32_t)size;
	io->data_start = sizeof(*io);
	snprintf(io->name, sizeof(io->name), "%s", name);
}

static int dm_call(unsigned long req, struct dm_ioctl *io, const char *what)
{
	if (ioctl(ctl, req, io) == 0)
		return 0;
	fprintf(stderr, "dmhang: %s %s: %s\n", what, io->name, strerror(errno));
	return -1;
}

/* a suspend (flags with DM_SUSPEND_FLAG) or a resume (without) */
static int dm_suspend(const char *name, uint32_t flags, const char *what)
{
	struct dm_ioctl io;
	dm_init(&io, sizeof(io), name);
	io.flags = flags;
	return dm_call(DM_DEV_SUSPEND, &io, what);
}

static int create(const char *name, const char *dev)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint64_t bytes = 0;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) ||
	    ioctl(fd, BLKGETSIZE64, &bytes) < 0) {
		fprintf(stderr, "dmhang: %s: not a block device I can size (%s)\n", dev,
			strerror(errno));
		return 1;
	}
	close(fd);
	uint64_t sectors = bytes / 512;

	struct dm_ioctl io;
	dm_init(&io, sizeof(io), name);
	if (dm_call(DM_DEV_CREATE, &io, "create") < 0)
		return 1;
	unsigned dmaj = major((dev_t)io.dev), dmin = minor((dev_t)io.dev);

	/* one "linear" target over all of DEV: "MAJ:MIN 0" */
	struct {
		struct dm_ioctl io;
		struct dm_target_spec spec;
		char params[64];
	} t;
	_Static_assert(offsetof(__typeof__(t), spec) == sizeof(struct dm_ioctl), "no gap");
	dm_init(&t.io, sizeof(t), name);
	t.io.target_count = 1;
	t.spec.sector_start = 0;
	t.spec.length = sectors;
	t.spec.next = sizeof(t.spec) + sizeof(t.params);
	snprintf(t.spec.target_type, sizeof(t.spec.target_type), "linear");
	snprintf(t.params, sizeof(t.params), "%u:%u 0", major(st.st_rdev), minor(st.st_rdev));
	if (dm_call(DM_TABLE_LOAD, &t.io, "load the table of") < 0 ||
	    dm_suspend(name, 0, "activate") < 0) {
		dm_init(&io, sizeof(io), name);
		dm_call(DM_DEV_REMOVE, &io, "remove");
		return 1;
	}
	printf("created %s /dev/dm-%u (%u:%u) over %s (%u:%u), %llu sectors\n", name, dmin,
		dmaj, dmin, dev, major(st.st_rdev), minor(st.st_rdev),
		(unsigned long long)sectors);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int want = strcmp(cmd, "create") == 0 ? 4 : 3;
	if (argc != want) {
		fprintf(stderr, "usage: dmhang create NAME DEV | suspend NAME | resume NAME | remove NAME\n");
		return 2;
	}
	ctl = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		fprintf(stderr, "dmhang: /dev/mapper/control: %s (modprobe dm-mod)\n", strerror(errno));
		return 1;
	}
	const char *name = argv[2];
	if (strcmp(cmd, "create") == 0)
		return create(name, argv[3]);
	if (strcmp(cmd, "suspend") == 0) {
		if (dm_suspend(name, DM_SUSPEND_FLAG | DM_NOFLUSH_FLAG | DM_SKIP_LOCKFS_FLAG,
				"suspend") < 0)
			return 1;
		printf("suspended %s (noflush, nolockfs)\n", name);
		return 0;
	}
	if (strcmp(cmd, "resume") == 0) {
		if (dm_suspend(name, 0, "resume") < 0)
			return 1;
		printf("resumed %s\n", name);
		return 0;
	}
	if (strcmp(cmd, "remove") == 0) {
		struct dm_ioctl io;
		dm_init(&io, sizeof(io), name);
		if (dm_call(DM_DEV_REMOVE, &io, "remove") < 0)
			return 1;
		printf("removed %s\n", name);
		return 0;
	}
	fprintf(stderr, "dmhang: unknown command %s\n", cmd);
	return 2;
}
