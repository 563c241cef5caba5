/* The rescue kernel's command line (kcmdline.c): which of the running
 * system's parameters are kept, quoting, the order, the crash kernel's
 * additions, and the refusal of a line that is too long. */
#include "test.h"
#include "kcmdline.h"

/* room for the kernel's elfcorehdr= (30 bytes) in x86's 2048 */
_Static_assert(KCMDLINE_MAX + 30 <= 2048, "KCMDLINE_MAX");

static char out[KCMDLINE_MAX];

static const char *build(const char *running, unsigned port, const char *extra, int crash)
{
	if (kcmdline_build(out, sizeof out, running, port, extra, crash) < 0)
		return "(too long)";
	return out;
}

void suite_kcmdline(void)
{
	TEST("kcmdline: keeps root, rootfstype, rootflags, console, ip, ifname; drops the rest") {
		CHECK_STR(build("BOOT_IMAGE=/boot/vmlinuz-6.1.0-57-amd64 root=UUID=1234-abcd ro "
				"quiet rootfstype=ext4 rootflags=noatime console=tty0 "
				"console=ttyS0,115200n8 ip=203.0.113.10::203.0.113.1:255.255.255.0"
				"::eth0:none ifname=eth0:52:54:00:12:34:56 crashkernel=256M "
				"net.ifnames=0\n", 2222, "", 0),
			  "root=UUID=1234-abcd rootfstype=ext4 rootflags=noatime console=tty0 "
			  "console=ttyS0,115200n8 ip=203.0.113.10::203.0.113.1:255.255.255.0::eth0:"
			  "none ifname=eth0:52:54:00:12:34:56 lifeline.rescue_port=2222");
	}

	TEST("kcmdline: names that only start like a kept one are dropped") {
		CHECK_STR(build("rootwait root_x=1 rootdelay=5 ipv6.disable=1 ip6=x consoleblank=0 "
				"console ifnames=1 rdinit=/init init=/sbin/lifeline", 22, "", 0),
			  "lifeline.rescue_port=22");
	}

	TEST("kcmdline: quoted values stay whole, a quoted parameter is recognized") {
		CHECK_STR(build("rootflags=\"subvol=@root,compress=zstd x\" quiet "
				"\"console=ttyS1,9600\" root=/dev/vda1", 2222, NULL, 0),
			  "rootflags=\"subvol=@root,compress=zstd x\" \"console=ttyS1,9600\" "
			  "root=/dev/vda1 lifeline.rescue_port=2222");
	}

	TEST("kcmdline: what follows -- belongs to init and is dropped") {
		CHECK_STR(build("root=/dev/sda1 -- console=ttyS0 ip=dhcp", 2222, "", 0),
			  "root=/dev/sda1 lifeline.rescue_port=2222");
		/* "--x" is a parameter, not the separator */
		CHECK_STR(build("--x root=/dev/sda1", 2222, "", 0),
			  "root=/dev/sda1 lifeline.rescue_port=2222");
	}

	TEST("kcmdline: [rescue] cmdline comes last, trimmed; the crash line adds its three") {
		CHECK_STR(build("console=ttyS0\n", 2200, "  loglevel=7 console=tty0 ", 0),
			  "console=ttyS0 lifeline.rescue_port=2200 loglevel=7 console=tty0");
		CHECK_STR(build("console=ttyS0\n", 2200, "loglevel=7", 1),
			  "console=ttyS0 lifeline.rescue_port=2200 loglevel=7 irqpoll nr_cpus=1 "
			  "reset_devices");
		CHECK_STR(build("", 2222, "", 1),
			  "lifeline.rescue_port=2222 irqpoll nr_cpus=1 reset_devices");
		CHECK_STR(build(NULL, 1, "", 0), "lifeline.rescue_port=1");
	}

	TEST("kcmdline: tabs and several spaces separate; an unbalanced quote is dropped") {
		CHECK_STR(build("\troot=/dev/sda1   \t console=ttyS0\n", 2222, "", 0),
			  "root=/dev/sda1 console=ttyS0 lifeline.rescue_port=2222");
		/* kept, it would swallow lifeline.rescue_port= */
		CHECK_STR(build("root=\"/dev/sda1 console=ttyS0", 2222, "", 0),
			  "lifeline.rescue_port=2222");
	}

	TEST("kcmdline: too long is refused, never cut; the exact fit passes") {
		static char running[4096];
		char small[64];
		/* "root=" + 2000 x + port = over KCMDLINE_MAX - 1 */
		memcpy(running, "root=", 5);
		memset(running + 5, 'x', 2000);
		running[2005] = '\0';
		CHECK_INT(kcmdline_build(out, sizeof out, running, 2222, "", 0), -1);
		/* "lifeline.rescue_port=2222" is 25 bytes: fits in 26, not in 25 */
		CHECK_INT(kcmdline_build(small, 26, "", 2222, "", 0), 25);
		CHECK_STR(small, "lifeline.rescue_port=2222");
		CHECK_INT(kcmdline_build(small, 25, "", 2222, "", 0), -1);
		/* the crash additions can be what does not fit */
		int n = kcmdline_build(small, sizeof small, "", 2222, "", 0);
		CHECK_INT(n, 25);
		CHECK_INT(kcmdline_build(small, 58, "", 2222, "", 1), 57);
		CHECK_INT(kcmdline_build(small, 57, "", 2222, "", 1), -1);
	}
}
