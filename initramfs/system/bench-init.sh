#!/bin/sh
# rdinit= of `make bench` (tests/bench/guard.sh) for the setups without
# lifeline: the same image booted under BusyBox init.  This script does
# what lifeline's shipped boot tasks do (mounts, loopback, network, the
# sshd run directory), writes /etc/inittab, then execs BusyBox init as
# PID 1.  inittab starts sshd, the rescue dropbear and cron, as lifeline
# does, and Debian's earlyoom (with Debian's default arguments) when the
# kernel command line says bench.guard=earlyoom.
guard=none
mount -t proc proc /proc
for w in $(cat /proc/cmdline); do
	case $w in bench.guard=*) guard=${w#*=} ;; esac
done
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname -F /etc/hostname
ip link set lo up
mkdir -p -m 0755 /run/sshd
sh /etc/lifeline/qemu-net.sh > /dev/console 2>&1
{
	echo "::respawn:/usr/sbin/sshd -D -e"
	echo "::respawn:/usr/sbin/dropbear -F -E -s -j -k -p 2222 -r /etc/lifeline/rescue/dropbear_ed25519_host_key"
	echo "::respawn:/usr/sbin/cron -f"
	[ "$guard" = earlyoom ] && echo "::respawn:/usr/bin/earlyoom -r 3600"
	echo "::ctrlaltdel:/bin/umount -a -r"
} > /etc/inittab
echo "bench-init: BusyBox init, guard: $guard" > /dev/console
exec /usr/lib/lifeline-test/init
