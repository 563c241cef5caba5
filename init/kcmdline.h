/* The rescue kernel's command line, built when arming: the running
 * system's root=, rootfstype=, rootflags=, console=, ip= and ifname=
 * (from /proc/cmdline; the rescue image's init understands them), then
 * lifeline.rescue_port=PORT, then [rescue] cmdline as written.  The crash
 * kernel's line adds "irqpoll nr_cpus=1 reset_devices". */
#ifndef LIFELINE_KCMDLINE_H
#define LIFELINE_KCMDLINE_H

/* The NUL included.  x86's boot protocol allows 2047 bytes and 2048 with
 * the NUL; the kexec loader refuses a line that leaves no room for the 30
 * bytes of the "elfcorehdr=" it may add. */
#define KCMDLINE_MAX 2016

/* running: /proc/cmdline's text (a trailing newline is fine); extra: ""
 * or [rescue] cmdline.  A parameter is kept whole, a quoted value
 * (rootflags="a b") included; parameters after "--" belong to init and
 * are dropped.  Returns the length written to out (NUL-terminated), or
 * -1 if it does not fit in cap: a line cut short could lose the network
 * settings, so it is never truncated. */
int kcmdline_build(char *out, int cap, const char *running, unsigned port, const char *extra,
		   int crash);

#endif
