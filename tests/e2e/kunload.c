/* kunload [crash]: unload the kexec image lifeline armed (or, with
 * "crash", the crash kernel), as `kexec -u` from kexec-tools would, for
 * tests/e2e/t_escalate_crash.sh: with no kexec image loaded a verdict (or
 * `lifelinectl rescue now`) must fall through to the crash kernel via
 * sysrq-c.  kexec_file_load(2) with KEXEC_FILE_UNLOAD; the descriptors and
 * the command line are ignored then.  Prints /sys/kernel/kexec_loaded (or
 * kexec_crash_loaded) afterwards.  Built static with musl into the system
 * image (mksystem.sh) as /usr/bin/kunload. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_kexec_file_load
#define SYS_kexec_file_load 320
#endif
#define KEXEC_FILE_UNLOAD 0x1
#define KEXEC_FILE_ON_CRASH 0x2

int main(int argc, char **argv)
{
	int crash = argc > 1 && strcmp(argv[1], "crash") == 0;
	unsigned long flags = KEXEC_FILE_UNLOAD | (crash ? KEXEC_FILE_ON_CRASH : 0);
	const char *f = crash ? "/sys/kernel/kexec_crash_loaded" : "/sys/kernel/kexec_loaded";

	if (argc > 2 || (argc == 2 && !crash)) {
		fprintf(stderr, "usage: kunload [crash]\n");
		return 2;
	}
	if (syscall(SYS_kexec_file_load, -1, -1, 0UL, "", flags) < 0) {
		fprintf(stderr, "kunload: kexec_file_load(UNLOAD%s): %s\n",
			crash ? "|ON_CRASH" : "", strerror(errno));
		return 1;
	}
	FILE *fp = fopen(f, "r");
	int c = fp ? fgetc(fp) : EOF;
	if (fp)
		fclose(fp);
	printf("%s: %c\n", f, c == EOF ? '?' : c);
	return c == '0' ? 0 : 1;
}
