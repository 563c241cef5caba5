#!/bin/sh
# tests/e2e/t_debian.sh: a stock Debian bookworm install (debootstrap's
# default variant, systemd installed; initramfs/mkdebian.sh) with lifeline
# installed as README.md says, booted `ro init=/sbin/lifeline` with the
# disk's own kernel and initramfs, as its GRUB entry would.  Its admin's
# expectations (issue #13):
#
#   boot 1: SSH logins on 22 and 2222; the address from ifupdown (DHCP); a
#     job in /etc/cron.d runs; `lifelinectl status`; every boot task exited
#     0; rsyslog (installed) runs under lifeline and /var/log/auth.log has
#     sshd's "Accepted publickey" line, /var/log/syslog lifeline's own lines;
#     a getty on the serial console (console=ttyS0): root logs in there with
#     a password typed over the serial line, a shell runs a command, and a
#     new prompt follows the logout; then the admin prepares what boot 2
#     must do (a sysctl.d file, a module in /etc/modules, a swap file in
#     fstab, a file in /tmp) and types Debian's own `reboot`
#   the host, between the boots: a second disk, ext4 in fstab with pass 2,
#     its mount count past its maximum (so fsck must check it)
#   boot 2: the same host keys; the boot tasks did their work (sysctl,
#     module, swap, /tmp emptied, the second disk checked by fsck and
#     mounted); Debian's own `poweroff`
#   after it: `e2fsck -fn` finds both file systems clean
# shellcheck disable=SC2016
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/debian.sh"
. "$(dirname "$0")/console.sh"

started=$(now_ms)
debian_prepare
debian_copy
console_setup
PW=$(head -c 12 /dev/urandom | base64 | tr -d '+/=')
HOSTNAME_=lifeline-dom0     # mkdebian.sh's default DEBIAN_HOSTNAME
PROBE='echo "probe uid=$(id -u) tty=$(tty) $((6*7))"'
PROBE_OUT='probe uid=0 tty=/dev/ttyS0 42'

# Debian's `reboot`/`poweroff` over SSH: the session may end with the
# machine; QEMU (-no-reboot) exits either way.  WORD: what the kernel says
# last ("Restarting system" or "Power down")
down_by() {
	db_t0=$(now_ms)
	gssh "$P22" "$1" > "$T/down.out" 2>&1
	db_rc=$?
	if qemu_wait_exit 90; then
		ok "$2: Debian's $1 took the machine down in $(( $(now_ms) - db_t0 )) ms (ssh exit $db_rc, said: $(tr '\n' ' ' < "$T/down.out" | cut -c1-80))"
		check "$2: ... the kernel said \"$3\"" serial_has "reboot: $3"
		# what lifeline said on the way down, as rsyslog wrote it to the disk
		debugfs -R 'cat /var/log/syslog' "$DISK" > "$T/syslog" 2>/dev/null
		check "$2: ... lifeline took the request from /run/initctl (its lines in the disk's /var/log/syslog)" \
			grep -q 'lifeline: .*/run/initctl' "$T/syslog"
		check "$2: ... and stopped the services first (on the console)" serial_has 'lifeline: stopping services'
		check "$2: ... the shutdown task saved the random seed" serial_has 'save-random-seed: exited 0' 
	else
		fail "$2: Debian's $1 took the machine down within 90 s (ssh exit $db_rc, said: $(cat "$T/down.out"))"
		kill -KILL "$QPID" 2>/dev/null
		wait "$QPID" 2>/dev/null
		QPID=
	fi
}

# ---------------------------------------------------------------- boot 1
if ! con_open boot1 debian_boot lifeline; then finish; fi
if t=$(wait_banner "$P22" 240); then
	ok "boot 1: SSH banner on port 22 $t ms after QEMU started"
else
	fail "boot 1: SSH banner on port 22 within 240 s"
	finish
fi
t=$(wait_banner "$P2222" 30) && ok "boot 1: SSH banner on port 2222 $t ms after QEMU started" ||
	fail "boot 1: SSH banner on port 2222"
check "boot 1: login on port 22" login "$P22"
check "boot 1: login on port 2222" login "$P2222"
check "boot 1: PID 1 is lifeline" [ "$(gssh "$P22" cat /proc/1/comm)" = lifeline ]
net=$(gssh "$P22" 'ip -4 -o addr show; ifquery --state' 2>&1)
note "boot 1: $(echo "$net" | tr '\n' '|')"
check "boot 1: ifupdown brought the NIC up with DHCP (10.0.2.15, in ifquery --state)" \
	sh -c 'printf "%s\n" "$1" | grep -q "inet 10.0.2.15/" && printf "%s\n" "$1" | grep -q "=lan$"' _ "$net"
gssh "$P22" lifelinectl status > "$T/status" 2>&1
check "boot 1: lifelinectl status names sshd, cron, rescue-ssh running" sh -c \
	'for s in sshd cron rescue-ssh; do grep -Eq "^$s +service +running" "$1" || exit 1; done' _ "$T/status"
bad_tasks=$(awk '$2 == "boot" && $0 !~ /exited 0/' "$T/status")
check "boot 1: every boot task exited 0${bad_tasks:+ (not: $bad_tasks)}" [ -z "$bad_tasks" ]
check "boot 1: rsyslog runs under lifeline" grep -Eq "^syslog +service +running" "$T/status"
auth_line() { gssh "$P22" 'grep -c "sshd: Accepted publickey for root" /var/log/auth.log' 2>/dev/null | grep -q '^[1-9]'; }
check "boot 1: /var/log/auth.log has sshd's \"Accepted publickey for root\"" wait_for 20 auth_line
# logged before rsyslog started: sent when it listened
check "boot 1: /var/log/syslog has lifeline's own lines from before rsyslog started" \
	sh -c '[ "$1" -ge 1 ] 2>/dev/null' _ "$(gssh "$P22" 'grep -c "lifeline: \[ *[0-9.]*\] boot tasks done" /var/log/syslog')"
cron_ran() { gssh "$P22" 'test -s /run/cron-tick' 2>/dev/null; }
check "boot 1: cron ran the job in /etc/cron.d within 70 s" wait_for 70 cron_ran
keys1=$(ssh-keyscan -p "$P22" -t ed25519 127.0.0.1 2>/dev/null | awk '{print $3}')

# the serial console: a getty, root logs in with the password set over SSH
gssh "$P22" "echo 'root:$PW' | chpasswd" || fail "boot 1: chpasswd"
getty_on() { gssh "$P22" 'ps -o tty=,args= -C agetty' 2>/dev/null | grep -q '^ttyS0 '; }
check "boot 1: agetty runs on ttyS0" wait_for 20 getty_on
on_tty=$(gssh "$P22" 'ps -o tty=,args= -C agetty; for p in $(pidof agetty); do echo "adj $(cat /proc/$p/oom_score_adj)"; done' 2>/dev/null)
note "boot 1: gettys: $(echo "$on_tty" | tr '\n' '|')"
check "boot 1: the getty is protected (oom_score_adj -1000)" has_line "$on_tty" '^adj -1000$'
con_mark
con_type ''
if con_wait "$HOSTNAME_ login: " 30; then
	ok "boot 1: the serial console prompts \"$HOSTNAME_ login:\""
	con_mark
	con_type root
	if con_wait 'Password: ' 20; then
		con_mark
		con_type "$PW"
		check "boot 1: root's password on the console: a shell prompt" con_wait 'root@[^ ]+:~# ' 30
		check "boot 1: ... the password was not echoed" sh -c '! printf "%s" "$1" | grep -qF "$2"' _ "$(con_since)" "$PW"
		con_mark
		con_type "$PROBE"
		# (after the shell's bracketed-paste escape)
		check "boot 1: the console's shell runs a command as root ($PROBE_OUT)" con_wait "$PROBE_OUT" 20
		sess=$(gssh "$P22" 'for p in $(pgrep -t ttyS0 -x bash); do echo "adj $(cat /proc/$p/oom_score_adj) $(cat /proc/$p/cgroup)"; done' 2>/dev/null)
		note "boot 1: the console's shell: $sess"
		check "boot 1: the console's shell is not protected (oom_score_adj 0, a session group)" \
			has_line "$sess" '^adj 0 .*sessions'
		con_mark
		con_type exit
		check "boot 1: after logout a new login prompt" con_wait "login: " 30
	else
		fail "boot 1: root: the console asks for the password"
	fi
else
	fail "boot 1: a login prompt on the serial console within 30 s"
fi

# what boot 2 must show: written as an admin would
gssh "$P22" 'set -e
	echo "vm.swappiness = 13" > /etc/sysctl.d/90-e2e.conf
	echo dummy >> /etc/modules
	dd if=/dev/zero of=/swapfile bs=1M count=32 status=none
	chmod 600 /swapfile
	mkswap /swapfile > /dev/null
	echo "/swapfile none swap sw 0 0" >> /etc/fstab
	mkdir -p /mnt/data
	echo "/dev/vdb /mnt/data ext4 defaults 0 2" >> /etc/fstab
	touch /tmp/left-over' || fail "boot 1: the admin's changes for boot 2"
down_by /sbin/reboot "boot 1" "Restarting system"
con_close boot1

# ---------------------------------------------------------------- the host
DATA=$T/data.img
truncate -s 64M "$DATA"
mkfs.ext4 -q -F -L e2e-data "$DATA" && tune2fs -c 1 -C 5 "$DATA" > /dev/null ||
	fail "host: the second disk made"
checked_before=$(dumpe2fs -h "$DATA" 2>/dev/null | sed -n 's/^Last checked: *//p')
sleep 1
DEBIAN_EXTRA="-drive file=$DATA,format=raw,if=virtio"

# ---------------------------------------------------------------- boot 2
if ! con_open boot2 debian_boot lifeline; then finish; fi
if t=$(wait_banner "$P22" 240); then
	ok "boot 2: SSH banner on port 22 $t ms after QEMU started"
	keys2=$(ssh-keyscan -p "$P22" -t ed25519 127.0.0.1 2>/dev/null | awk '{print $3}')
	check "boot 2: the same SSH host key as boot 1" sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' _ "$keys1" "$keys2"
	gssh "$P22" 'echo "swappiness $(cat /proc/sys/vm/swappiness)"
		lsmod | awk "\$1 == \"dummy\" { print \"module dummy\" }"
		swapon --show=NAME --noheadings | sed "s/^/swap /"
		[ -e /tmp/left-over ] && echo "tmp left-over"
		findmnt -n -o SOURCE /mnt/data | sed "s/^/mounted /"
		lifelinectl status' > "$T/boot2" 2>&1
	check "boot 2: sysctl: vm.swappiness from /etc/sysctl.d is 13" grep -q '^swappiness 13$' "$T/boot2"
	check "boot 2: modules: dummy from /etc/modules is loaded" grep -q '^module dummy$' "$T/boot2"
	check "boot 2: swap: /swapfile from fstab is on" grep -q '^swap /swapfile$' "$T/boot2"
	check "boot 2: tmpfiles: /tmp was emptied" sh -c '! grep -q "^tmp left-over" "$1"' _ "$T/boot2"
	check "boot 2: mount-all: the second disk is mounted" grep -q '^mounted /dev/vdb$' "$T/boot2"
	bad_tasks=$(awk '$2 == "boot" && $0 !~ /exited 0/' "$T/boot2")
	check "boot 2: every boot task exited 0${bad_tasks:+ (not: $bad_tasks)}" [ -z "$bad_tasks" ]
	down_by /sbin/poweroff "boot 2" "Power down"
else
	fail "boot 2: SSH banner on port 22 within 240 s"
fi
con_close boot2

# ---------------------------------------------------------------- after
checked_after=$(dumpe2fs -h "$DATA" 2>/dev/null | sed -n 's/^Last checked: *//p')
check "fsck: the second disk was checked at boot 2 (last checked $checked_before -> $checked_after)" \
	sh -c '[ -n "$2" ] && [ "$1" != "$2" ]' _ "$checked_before" "$checked_after"
clean() { e2fsck -fn "$1" > "$T/e2fsck.out" 2>&1 || { sed 's/^/# /' "$T/e2fsck.out"; return 1; }; }
check "boot 2: poweroff turned the swap file off and remounted / read-only" sh -c \
	'grep -q "lifeline: swap off: /swapfile" "$1" && grep -q "lifeline: remounted / read-only" "$1"' _ "$SERIAL"
check "after poweroff: e2fsck -fn finds the root file system clean" clean "$DISK"
check "after poweroff: e2fsck -fn finds the second disk clean" clean "$DATA"
note "the whole test: $(( ($(now_ms) - started) / 1000 )) s"
finish
