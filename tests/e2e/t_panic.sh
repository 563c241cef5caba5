#!/bin/sh
# A kernel panic ends in a reboot, not a hung machine.  Debian's kernel
# leaves kernel.panic at 0 (wait for ever: a remote machine then answers
# nothing until someone power-cycles it).  The guest boots WITHOUT panic=
# on its command line, with the shipped config (panic_reboot = 10s).
#
# Asserts: kernel.panic is 10 in the guest and lifeline said so; a panic
# forced with sysrq-c ("Kernel panic" on the console) is followed by a
# reboot: QEMU runs with -no-reboot, so it exits when the guest reboots;
# the guest's reboot comes within 60 s of the panic.
. "$(dirname "$0")/lib.sh"
export QEMU_PANIC=

boot_system "the panic"
cmdline=$(gssh "$P22" cat /proc/cmdline 2>/dev/null)
check "no panic= on the kernel command line ($cmdline)" sh -c "! printf '%s' \"\$1\" | grep -q 'panic='" _ "$cmdline"
v=$(gssh "$P22" cat /proc/sys/kernel/panic 2>/dev/null)
check "kernel.panic is 10 (got $v)" [ "$v" = 10 ]
check "lifeline said it set kernel.panic" has_line "$(gssh "$P22" lifelinectl log 2>/dev/null)" \
	"kernel.panic was 0: a kernel panic now reboots after 10s"
t0=$(now_ms)
gssh "$P22" 'sync; echo c > /proc/sysrq-trigger' >/dev/null 2>&1 &
check "the guest rebooted after the panic (QEMU with -no-reboot exited) within 60 s" qemu_wait_exit 60
note "QEMU exited $(( $(now_ms) - t0 )) ms after the panic was triggered"
check "the console shows the panic" serial_has 'Kernel panic - not syncing'
check "the console shows the reboot delay" serial_has 'Rebooting in 10 seconds'
finish
