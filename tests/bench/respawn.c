/* Respawn latency: SIGKILL the stamp service N times; for each, the time
 * from just before kill() to the new instance's first instruction stamp.
 *   respawn STAMPFILE N                 lifeline restarts the service
 *   respawn --floor STAMPFILE N STAMP   the floor: this program starts
 *                                       STAMP itself with posix_spawn
 * Prints min, median, p99, max in microseconds. */
#define _GNU_SOURCE
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Wait for line number `want` (1-based) of the file; returns its fields. */
static int wait_line(const char *path, int want, int *pid, long long *t)
{
	long long end = now_ns() + 5000000000LL;
	struct timespec nap = { 0, 20000 };
	while (now_ns() < end) {
		FILE *f = fopen(path, "r");
		int n = 0, p = 0;
		long long v = 0;
		if (f) {
			while (fscanf(f, "%d %lld", &p, &v) == 2)
				if (++n == want)
					break;
			fclose(f);
		}
		if (n >= want) {
			*pid = p;
			*t = v;
			return 0;
		}
		nanosleep(&nap, NULL);
	}
	return -1;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, long long *lat, int n)
{
	qsort(lat, (size_t)n, sizeof *lat, cmp);
	printf("%s over %d kills (us): min %.1f  median %.1f  p99 %.1f  max %.1f\n",
	       what, n, lat[0] / 1e3, lat[n / 2] / 1e3, lat[(n * 99) / 100] / 1e3, lat[n - 1] / 1e3);
}

/* The same measurement without lifeline: spawn, stamp, kill, reap. */
static int floor_run(const char *file, int n, const char *stamp)
{
	long long *lat = calloc((size_t)n, sizeof *lat);
	extern char **environ;
	for (int i = 0; i < n; i++) {
		struct timespec up = { 0, 110000000 };
		nanosleep(&up, NULL);
		char *av[] = { (char *)stamp, (char *)file, NULL };
		pid_t pid;
		long long t0 = now_ns(), t;
		int p;
		if (posix_spawn(&pid, stamp, NULL, NULL, av, environ) != 0 ||
		    wait_line(file, i + 1, &p, &t) < 0)
			return 1;
		lat[i] = t - t0;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	report("floor: posix_spawn of the same program", lat, n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "--floor"))
		return floor_run(argv[2], atoi(argv[3]), argv[4]);
	if (argc < 3)
		return 2;
	int n = atoi(argv[2]);
	long long *lat = calloc((size_t)n, sizeof *lat);
	int pid;
	long long t, tkill = 0;
	for (int i = 0; i <= n; i++) {
		if (wait_line(argv[1], i + 1, &pid, &t) < 0) {
			fprintf(stderr, "respawn: instance %d never started\n", i + 1);
			return 1;
		}
		if (i > 0)
			lat[i - 1] = t - tkill;
		if (i == n)
			break;
		/* past stable_after (100 ms), so lifeline restarts at once */
		struct timespec up = { 0, 110000000 };
		nanosleep(&up, NULL);
		tkill = now_ns();
		kill(pid, SIGKILL);
	}
	report("respawn by lifeline", lat, n);
	return 0;
}
