#!/bin/sh
# Boot: the system image (build/system.img) boots the Debian kernel in QEMU
# with lifeline as PID 1 (rdinit=/sbin/lifeline).  Both SSH servers answer
# (the times from QEMU's start to each banner are printed), the real
# OpenSSH client logs in on both (22: OpenSSH's sshd, 2222: the rescue
# dropbear), and lifelinectl status over SSH shows sshd, cron and
# rescue-ssh running under lifeline, and every boot task of the shipped
# configuration and of the image finished with status 0.
. "$(dirname "$0")/lib.sh"

# guest PORT CMD WANT: CMD's output in the guest is WANT
guest() { [ "$(gssh "$1" "$2" 2>/dev/null)" = "$3" ]; }
# has REGEX: a line of the status text $st matches
has() { printf '%s\n' "$st" | grep -Eq "$1"; }

qemu_boot build/system.img "rdinit=/sbin/lifeline"
# both ports at once, so that each time is its own
( wait_banner "$P2222" 120 > "$T/banner2222" ) &
bpid=$!
if t=$(wait_banner "$P22" 120); then
	ok "SSH banner on port 22 (sshd)"
	note "boot to sshd banner (port 22): $t ms"
else
	fail "SSH banner on port 22 (sshd) within 120 s"
fi
if wait "$bpid" && t=$(cat "$T/banner2222") && [ -n "$t" ]; then
	ok "SSH banner on port 2222 (rescue dropbear)"
	note "boot to dropbear banner (port 2222): $t ms"
else
	fail "SSH banner on port 2222 (rescue dropbear) within 120 s"
fi

check "a key login with the OpenSSH client on port 22" login "$P22"
check "a key login with the OpenSSH client on port 2222" login "$P2222"
# the login shell's parent is the server's per-connection process
check "port 22 is OpenSSH's sshd" guest "$P22" 'cat /proc/$PPID/comm' sshd
check "port 2222 is dropbear" guest "$P2222" 'cat /proc/$PPID/comm' dropbear
check "PID 1 is lifeline (seen from port 22)" guest "$P22" 'cat /proc/1/comm' lifeline
check "PID 1 is lifeline (seen from port 2222)" guest "$P2222" 'cat /proc/1/comm' lifeline

st=$(gssh "$P22" lifelinectl status 2>&1)
for s in sshd cron rescue-ssh; do
	check "lifelinectl status: $s running" has "^$s +service +running +[0-9]+ "
done
check "lifelinectl status: lifeline is PID 1" has '^lifeline .* pid 1 '
check "lifelinectl status: the configuration in use is /etc/lifeline/lifeline.conf" \
	has '^config /etc/lifeline/lifeline.conf  kernel oom kills [0-9]+$'
for b in remount-root mount-all hostname udev lo network run-sshd qemu-net; do
	check "boot task $b: exited 0" has "^$b +boot +done .* exited 0 "
done
printf '%s\n' "$st" | sed 's/^/# /'
finish
