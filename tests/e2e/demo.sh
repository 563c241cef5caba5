#!/bin/sh
# make demo: the story, told as it happens.  The system image boots in QEMU
# with lifeline as PID 1; we log in on both ports; a runaway process that
# shields itself from the OOM killer eats the memory; the kernel's OOM
# killer kills what it can (cron: sshd and the rescue dropbear are
# protected); lifeline restarts it at once; we log in again; power off.
. "$(dirname "$0")/lib.sh"
START=$(now_ms)
say() {
	_t=$(( $(now_ms) - START ))
	printf '[%3d.%ds] %s\n' $((_t / 1000)) $((_t % 1000 / 100)) "$*"
}
show() { sed 's/^/          | /'; }
die() { say "FAILED: $*"; FAILED=1; exit 1; }

say "lifeline demo: a remote server that must never lose SSH."
say "Booting build/system.img in QEMU (Debian kernel $KVER, software emulation,"
say "256 MiB of memory) with lifeline as PID 1 (rdinit=/sbin/lifeline)..."
QEMU_MEM=256 qemu_boot build/system.img "rdinit=/sbin/lifeline"
t22=$(wait_banner "$P22" 120) || die "no SSH banner on port 22 within 120 s"
say "sshd answers on port 22 ($((t22 / 1000)).$((t22 % 1000 / 100)) s after QEMU started)."
t2222=$(wait_banner "$P2222" 30) || die "no SSH banner on port 2222"
say "The rescue dropbear answers on port 2222 ($((t2222 / 1000)).$((t2222 % 1000 / 100)) s)."
login "$P22" || die "login on port 22"
say "Logged in on port 22 (OpenSSH):  $(gssh "$P22" 'echo "PID 1 is $(cat /proc/1/comm)"')"
login "$P2222" || die "login on port 2222"
say "Logged in on port 2222 (dropbear): $(gssh "$P2222" 'echo "PID 1 is $(cat /proc/1/comm)"')"
say "What lifeline supervises (lifelinectl status):"
gssh "$P22" lifelinectl status | show
say "OOM protection as set by lifeline (oom_score_adj):"
gssh "$P22" 'for p in $(pidof sshd dropbear cron); do
	printf "%-9s pid %-5s oom_score_adj %s\n" "$(cat /proc/$p/comm)" $p "$(cat /proc/$p/oom_score_adj)"
done' | show

say "Now the failure: a runaway process eats all memory.  It has set its own"
say "oom_score_adj to -999, so the OOM killer picks everything else it can first."
gssh "$P2222" 'hog -a -999 </dev/null >/dev/null 2>&1 &'
if ! wait_for 90 sh -c "$(command -v ssh) -q -i $KEY -p $P2222 -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 root@127.0.0.1 'dmesg | grep -q \"Killed process\"'"; then
	die "the OOM killer did not act within 90 s"
fi
say "The kernel's OOM killer acted.  Its victims, from the kernel log:"
sleep 3
gssh "$P2222" 'dmesg | grep -E "Killed process"' | show
say "And lifeline, from its log (lifelinectl log):"
gssh "$P2222" 'lifelinectl log | grep -E "oom-killed|killed by|restarting|started after"' | head -n 12 | show
# How long the respawn took.  The kernel stamps its log with its own clock;
# lifeline's log and /proc/PID/stat use CLOCK_MONOTONIC, and under TCG the
# two drift apart.  lifeline's exit line is in both logs, which gives the
# offset; /proc/PID/stat gives the new cron's start in 10 ms ticks.
times=$(gssh "$P2222" '
	stamp() { sed -n "1s/^\[ *\([0-9.]*\)\].*/\1/p"; }
	k=$(dmesg | grep "Killed process [0-9]* (cron)" | stamp)
	kl=$(dmesg | grep "lifeline: cron: oom-killed after" | stamp)
	l=$(lifelinectl log | grep "lifeline: cron: oom-killed after" | stamp)
	p=$(pidof cron)
	[ -n "$p" ] && s=$(cut -d" " -f22 /proc/$p/stat)
	echo "$k $kl $l $s"')
set -- $times
if [ $# = 4 ]; then
	say "$(echo "$1 $2 $3 $4" | awk '{ off = $2 - $3; d = ($4 / 100 - ($1 - off)) * 1000
		printf "cron was OOM-killed at %.3f s; lifeline had a new cron running %s later.", $1,
		       d < 10 ? "within 10 ms" : sprintf("%d ms", d) }')"
fi
wait_for 60 sh -c "! $(command -v ssh) -q -i $KEY -p $P2222 -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 root@127.0.0.1 pidof hog >/dev/null"
say "The runaway is gone.  Logging in again:"
login "$P22" && say "  port 22 (sshd): ok" || die "login on port 22 after the OOM"
login "$P2222" && say "  port 2222 (dropbear): ok" || die "login on port 2222 after the OOM"
gssh "$P22" lifelinectl status | show

say "Powering off cleanly (lifelinectl poweroff):"
gssh "$P22" lifelinectl poweroff >/dev/null 2>&1
qemu_wait_exit 60 || die "QEMU still running 60 s after poweroff"
grep -E "shutdown requested|stopping services|SIGTERM to all|SIGKILL to all|syncing|unmounted|remounted|powering off" "$SERIAL" | show
say "QEMU has exited.  Total: $(( ($(now_ms) - START) / 1000 )) s."
finish
