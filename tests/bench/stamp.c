/* Bench service: the first thing it does is append "PID CLOCK_MONOTONIC_NS"
 * to the file named by argv[1]; then it waits to be killed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (argc < 2)
		return 2;
	char line[64];
	int n = snprintf(line, sizeof line, "%d %lld\n", (int)getpid(),
			 (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) != n)
		return 1;
	close(fd);
	for (;;)
		pause();
}
