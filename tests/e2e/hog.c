/* hog: eats memory until the kernel kills it.  Installed in the system
 * image as /usr/bin/hog for the OOM test and the demo.
 *
 *   hog [-a ADJ] [-s MIB]
 *   hog -f [-i MS] [-a ADJ]
 *
 * -a ADJ  first write ADJ to /proc/self/oom_score_adj (a session of a
 *         protected SSH server inherits -1000, which makes it unkillable;
 *         -999 makes the hog the OOM killer's last choice, 1000 its first)
 * -s MIB  stop growing after MIB MiB and just sleep (default: no limit)
 * -f      fork bomb instead: every process forks without end, and never
 *         exits, so the number of processes stays at whatever limit stops
 *         it (pids.max, threads-max)
 * -i MS   the bomb retries a failed fork after MS ms (default 1000, as
 *         bash's fork does at first: "fork: retry")
 *
 * First, it says "hog: start" on standard error (the e2e tests and the
 * benchmark time the allocation from that line).
 * It maps anonymous memory 1 MiB at a time and writes to every page, so
 * the memory is really used, and never frees it.  When mmap fails it
 * waits a little and tries again, so the pressure stays.  Progress goes
 * to standard error every 16 MiB.  Static (musl), no allocator. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define STEP (1UL << 20)

static void say(const char *s)
{
	(void)!write(2, s, strlen(s));
}

static void say_mib(unsigned long mib)
{
	char buf[48] = "hog: ";
	char num[24];
	int n = 0;
	do {
		num[n++] = (char)('0' + mib % 10);
		mib /= 10;
	} while (mib);
	size_t at = strlen(buf);
	while (n)
		buf[at++] = num[--n];
	memcpy(buf + at, " MiB\n", 6);
	say(buf);
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void fork_bomb(long retry_ms)
{
	say("hog: fork bomb\n");
	for (;;) {
		if (fork() < 0)
			nap_ms(retry_ms);
	}
}

int main(int argc, char **argv)
{
	unsigned long limit = 0, mib = 0;
	int opt, bomb = 0;
	long retry_ms = 1000;
	while ((opt = getopt(argc, argv, "a:s:fi:")) != -1) {
		if (opt == 'a') {
			int fd = open("/proc/self/oom_score_adj", O_WRONLY);
			if (fd < 0 || write(fd, optarg, strlen(optarg)) < 0) {
				say("hog: cannot set oom_score_adj\n");
				return 1;
			}
			close(fd);
		} else if (opt == 's') {
			limit = strtoul(optarg, NULL, 10);
		} else if (opt == 'f') {
			bomb = 1;
		} else if (opt == 'i') {
			retry_ms = strtol(optarg, NULL, 10);
		} else {
			say("usage: hog [-a OOM_SCORE_ADJ] [-s MIB] [-f [-i MS]]\n");
			return 2;
		}
	}
	say("hog: start\n");
	if (bomb)
		fork_bomb(retry_ms);
	long page = sysconf(_SC_PAGESIZE);
	for (;;) {
		if (limit && mib >= limit) {
			pause();
			continue;
		}
		char *p = mmap(NULL, STEP, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			nap_ms(10);
			continue;
		}
		for (unsigned long off = 0; off < STEP; off += (unsigned long)page)
			p[off] = (char)(off >> 12 | 1);
		if (++mib % 16 == 0)
			say_mib(mib);
	}
}
