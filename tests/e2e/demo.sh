#!/bin/sh
# make demo: the story, told as it happens.  The system image boots in QEMU
# with lifeline as PID 1 and 1 GiB of memory; we log in on both ports; the
# hypervisor takes most of the memory away through the balloon (as in the
# failure lifeline exists to prevent), and lifeline's limits follow; a
# runaway process that shields itself from the OOM killer (oom_score_adj
# -1000) eats the rest in an SSH session; lifeline's memory guard kills it;
# the SSH listeners never die; we log in again on both ports; power off.
. "$(dirname "$0")/lib.sh"
START=$(now_ms)
say() {
	_t=$(( $(now_ms) - START ))
	printf '[%3d.%ds] %s\n' $((_t / 1000)) $((_t % 1000 / 100)) "$*"
}
show() { sed 's/^/          | /'; }
die() { say "FAILED: $*"; FAILED=1; exit 1; }
MIB=1048576
SMALL=320
say "lifeline demo: a remote server that must never lose SSH."
say "Booting build/system.img in QEMU (Debian kernel $KVER, software emulation,"
say "1 GiB of memory, a virtio balloon) with lifeline as PID 1 (rdinit=/sbin/lifeline)..."
QEMU_MEM=1024 QEMU_QMP=1 QEMU_EXTRA="-device virtio-balloon-pci,id=balloon0" \
	qemu_boot build/system.img "rdinit=/sbin/lifeline"
t22=$(wait_banner "$P22" 120) || die "no SSH banner on port 22 within 120 s"
say "sshd answers on port 22 ($((t22 / 1000)).$((t22 % 1000 / 100)) s after QEMU started)."
t2222=$(wait_banner "$P2222" 30) || die "no SSH banner on port 2222"
say "The rescue dropbear answers on port 2222 ($((t2222 / 1000)).$((t2222 % 1000 / 100)) s)."
login "$P22" || die "login on port 22"
say "Logged in on port 22 (OpenSSH):  $(gssh "$P22" 'echo "PID 1 is $(cat /proc/1/comm)"')"
login "$P2222" || die "login on port 2222"
say "Logged in on port 2222 (dropbear): $(gssh "$P2222" 'echo "PID 1 is $(cat /proc/1/comm)"')"
say "What lifeline supervises, and the memory guard (lifelinectl status):"
gssh "$P22" lifelinectl status | show
say "Protection is for the listeners, not for the sessions they start:"
gssh "$P22" 'for p in $(pidof sshd dropbear cron) $$; do
	printf "%-9s pid %-5s oom_score_adj %5s  cgroup %s\n" "$(cat /proc/$p/comm)" $p \
		"$(cat /proc/$p/oom_score_adj)" "$(cut -d: -f3 /proc/$p/cgroup)"
done' | show
listeners_init

say "Now the failure.  The hypervisor takes memory away: balloon to $SMALL MiB."
qmp "{\"execute\":\"balloon\",\"arguments\":{\"value\":$((SMALL * MIB))}}" >/dev/null ||
	die "QMP balloon"
small() { a=$(qmp '{"execute":"query-balloon"}' | sed -n 's/.*"actual": *\([0-9]*\).*/\1/p')
	[ -n "$a" ] && [ $((a / MIB)) -le $((SMALL + 4)) ]; }
wait_for 180 small || die "the balloon did not reach $SMALL MiB within 180 s"
sleep 2
say "The guest's MemTotal is now $(gssh "$P22" "awk '/^MemTotal:/ { print int(\$2 / 1024) }' /proc/meminfo") MiB; lifeline followed (lifelinectl log):"
gssh "$P22" 'lifelinectl log | grep "memory: MemTotal" | tail -n 2' | show

say "A runaway process in an SSH session eats all memory.  It has set its own"
say "oom_score_adj to -1000: the kernel's OOM killer would never pick it."
t0=$(now_ms)
gssh "$P22" 'hog -a -1000 </dev/null >/dev/null 2>&1 &'
killed() { gssh "$P2222" 'dmesg | grep -Eq "memory guard: killed hog|Killed process [0-9]+ \(hog\)"' 2>/dev/null; }
wait_for 120 killed || die "the hog was not killed within 120 s"
say "It was killed, $(( ($(now_ms) - t0) / 1000 )) s after it started.  The kernel log:"
gssh "$P2222" 'dmesg | grep -E "memory guard|Killed process|memory: MemTotal"' | tail -n 6 | show
gone() { gssh "$P2222" '! pidof hog >/dev/null' 2>/dev/null; }
wait_for 60 gone || die "the hog is still there"
say "Logging in again:"
ms22=$(login_by "$P22" "$t0" 60) && say "  port 22 (sshd): ok, $ms22 ms after the runaway started" ||
	die "login on port 22 after the runaway"
ms2222=$(login_by "$P2222" "$t0" 60) && say "  port 2222 (dropbear): ok, $ms2222 ms after it started" ||
	die "login on port 2222 after the runaway"
[ "$(listeners)" = "$sshd_pid $drop_pid" ] &&
	say "The sshd listener ($sshd_pid) and the rescue dropbear ($drop_pid) were never killed." ||
	say "A listener was restarted: $(listeners) (before: $sshd_pid $drop_pid)"
gssh "$P22" lifelinectl status | show

say "Powering off cleanly (lifelinectl poweroff):"
gssh "$P22" lifelinectl poweroff >/dev/null 2>&1
qemu_wait_exit 60 || die "QEMU still running 60 s after poweroff"
grep -E "shutdown requested|stopping services|SIGTERM to all|SIGKILL to all|syncing|unmounted|remounted|powering off" "$SERIAL" | show
say "QEMU has exited.  Total: $(( ($(now_ms) - START) / 1000 )) s."
finish
