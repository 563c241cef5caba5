#!/bin/sh
# rdinit= of the rescue escalation's QEMU tests (tests/e2e/t_escalate.sh,
# t_escalate_crash.sh, t_watchdog.sh), of the demo's last chapter and of
# tests/bench/escalate.sh: a test configuration chosen on the kernel
# command line, since a test cannot write into an initramfs before boot.
#
#   lifeline.e2e=NAME        /etc/lifeline/e2e/NAME.conf (initramfs/system/
#                            e2e-NAME.conf) becomes /etc/lifeline/conf.d/
#                            e2e.conf, where it adds to the shipped
#                            lifeline.conf, as a drop-in file would
#   lifeline.e2e.KEY=VALUE   every @KEY@ in it is replaced by VALUE
#                            (letters, digits and . : _ - only); a line
#                            that still holds an @KEY@ nobody set is left
#                            out, so a template can have optional lines
#
# Then lifeline, as PID 1 (exec keeps the PID).  Problems go to the kernel
# log (the serial console) and lifeline starts anyway, without the test
# configuration, so that a test fails on its checks, not on a dead guest.
mount -t proc proc /proc
mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev
say() { echo "e2e-init: $*" > /dev/kmsg; }
name='' subst=''
for w in $(cat /proc/cmdline); do
	case $w in
	lifeline.e2e=*) name=${w#*=} ;;
	lifeline.e2e.*=*)
		kv=${w#lifeline.e2e.}
		k=${kv%%=*} v=${kv#*=}
		case $k$v in
		*[!A-Za-z0-9.:_-]*) say "ignored (not [A-Za-z0-9.:_-]): $w"; continue ;;
		esac
		subst="$subst -e s/@$k@/$v/g" ;;
	esac
done
src=/etc/lifeline/e2e/$name.conf
if [ -z "$name" ]; then
	say "no lifeline.e2e=NAME on the command line: the shipped configuration only"
elif [ ! -r "$src" ]; then
	say "no test configuration $src"
else
	# shellcheck disable=SC2086
	sed $subst -e '/@[A-Za-z0-9_]*@/d' "$src" > /etc/lifeline/conf.d/e2e.conf
	say "configuration $name: /etc/lifeline/conf.d/e2e.conf:"
	grep -v '^#' /etc/lifeline/conf.d/e2e.conf | grep . | while read -r l; do say "  $l"; done
fi
exec /sbin/lifeline
