#!/bin/sh
# OOM: the kernel's real OOM killer, driven by a memory hog started over
# SSH in a 256 MiB guest.  The hog (/usr/bin/hog, tests/e2e/hog.c) maps and
# touches memory without limit.  Sessions of both SSH servers inherit the
# listeners' oom_score_adj of -1000, so the hog sets its own to -999: it is
# killable, but the OOM killer takes everything else it may first.  With
# sshd and the rescue dropbear protected (-1000), that is cron, the one
# unprotected service: cron is killed, lifeline restarts it at once, then
# the hog is killed.
#
# Asserts: the kernel log says "Out of memory: Killed process" (cron among
# the victims, then the hog); afterwards sshd, cron and the rescue dropbear
# are running and logins on both ports work; lifelinectl status calls
# every service the OOM killer killed "oom-killed", and every service that
# died at all died of it; the protected listeners were not killed.  The
# times from the kernel's kill to lifeline's exit line and to the new
# cron are printed as notes.
. "$(dirname "$0")/lib.sh"
QEMU_MEM=${QEMU_MEM:-256}

# gpid PORT COMM: the PID of COMM whose parent is PID 1
gpid() {
	gssh "$1" "ps -o pid,ppid,comm | awk '\$2 == 1 && \$3 == \"$2\" { print \$1 }'" 2>/dev/null
}
has() { printf '%s\n' "$st" | grep -Eq "$1"; }
col() { printf '%s\n' "$st" | awk -v n="$1" -v c="$2" '$1 == n && $2 == "service" { print $c }'; }
killed() { printf '%s\n' "$kmsg" | grep -q "Out of memory: Killed process $1 "; }
hog_killed() { gssh "$P22" 'dmesg | grep -q "Out of memory: Killed process [0-9]* (hog)"' 2>/dev/null; }
hog_gone() { gssh "$P22" '! pidof hog >/dev/null' 2>/dev/null; }
running_all() {
	ra_st=$(gssh "$P22" lifelinectl status 2>/dev/null) || return 1
	for ra_s in sshd cron rescue-ssh; do
		printf '%s\n' "$ra_st" | grep -Eq "^$ra_s +service +running " || return 1
	done
}

boot_system "the hog"
sshd_pid=$(gpid "$P22" sshd)
cron_pid=$(gpid "$P22" cron)
drop_pid=$(gpid "$P22" dropbear)
note "before: sshd listener $sshd_pid, cron $cron_pid, rescue dropbear $drop_pid; $(gssh "$P22" free 2>/dev/null | awk '/^Mem:/ { print "MemTotal " $2 " KiB, available " $NF " KiB" }')"
check "oom_score_adj: sshd and the rescue dropbear -1000, cron 0" sh -c \
	"[ \"\$1\" = '-1000 0 -1000' ]" _ "$(gssh "$P22" "cat /proc/$sshd_pid/oom_score_adj /proc/$cron_pid/oom_score_adj /proc/$drop_pid/oom_score_adj" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"

# the hog, over the rescue port; the session returns at once
t0=$(now_ms)
gssh "$P2222" 'hog -a -999 </dev/null >/dev/null 2>&1 &' 2>/dev/null
check "the kernel's OOM killer kills the hog within 120 s" wait_for 120 hog_killed
check "the hog is gone" wait_for 30 hog_gone
note "hog started to hog killed and gone: $(( $(now_ms) - t0 )) ms (as seen from the host)"
check "sshd, cron and rescue-ssh running afterwards" wait_for 60 running_all
check "login on port 22 after the OOM" wait_for 30 login "$P22"
check "login on port 2222 after the OOM" wait_for 30 login "$P2222"

kmsg=$(gssh "$P22" 'dmesg' 2>/dev/null | grep -E 'Out of memory: Killed process|lifeline: [a-z-]+: (oom-killed|killed by)' )
llog=$(gssh "$P22" 'lifelinectl log' 2>/dev/null)
st=$(gssh "$P22" lifelinectl status 2>/dev/null)
check "the kernel log says \"Out of memory: Killed process\"" sh -c \
	"printf '%s\n' \"\$1\" | grep -q 'Out of memory: Killed process'" _ "$kmsg"
printf '%s\n' "$kmsg" | grep 'Out of memory' | sed 's/, anon-rss.*oom_score_adj:/, oom_score_adj /; s/^/# kernel: /'

# every service the kernel killed is "oom-killed" in status and the log
victims=
for s in sshd cron rescue-ssh; do
	case $s in sshd) p=$sshd_pid ;; cron) p=$cron_pid ;; rescue-ssh) p=$drop_pid ;; esac
	if killed "$p"; then
		victims="$victims $s"
		check "$s (PID $p) was OOM-killed: status says oom-killed" \
			has "^$s +service .* oom-killed "
		check "$s: the log says \"$s: oom-killed after\"" sh -c \
			"printf '%s\n' \"\$1\" | grep -q 'lifeline: $s: oom-killed after'" _ "$llog"
	fi
done
if [ -z "$victims" ]; then
	note "the OOM killer killed no service, only: $(printf '%s\n' "$kmsg" | sed -n 's/.*Killed process [0-9]* (\([^)]*\)).*/\1/p' | tr '\n' ' ')"
fi
# cron is the only unprotected process besides the hog (-999): it goes first
first_victim() {
	printf '%s\n' "$kmsg" | grep 'Out of memory: Killed process' | head -n 1 | grep -q "($1)"
}
check "cron was the OOM killer's first victim" first_victim cron
# no service died of anything else, and the protected ones did not die
for s in sshd cron rescue-ssh; do
	r=$(col "$s" 6)
	if [ "${r:-0}" -gt 0 ]; then
		check "$s restarted $r time(s): its last exit is oom-killed" \
			has "^$s +service .* oom-killed "
		check "$s: no exit other than an OOM kill in the log" sh -c \
			"! printf '%s\n' \"\$1\" | grep -E 'lifeline: $s: (killed by|exited)' | grep -v 'oom-killed' | grep -q ." _ "$llog"
	fi
done
check "sshd (protected) was not killed: restarts 0" [ "$(col sshd 6)" = 0 ]
check "rescue-ssh (protected) was not killed: restarts 0" [ "$(col rescue-ssh 6)" = 0 ]
check "status counts the kernel's OOM kills" has '^config .* kernel oom kills [1-9][0-9]*$'

# Respawn time.  The kernel stamps its log with its own clock, lifeline's
# log ring and /proc/PID/stat use CLOCK_MONOTONIC; they drift apart under
# TCG by some ms.  lifeline's exit line is in both (dmesg and its ring), so
# it gives the offset between the two clocks.  lifeline logs the exit after
# it has started the new instance: kill record -> exit line (both in dmesg)
# bounds the respawn from above.
printf '%s\n' "$llog" | grep -E 'lifeline: (sshd|cron|rescue-ssh): ' | sed 's/^/# /'
newcron=$(gpid "$P22" cron)
times=$(gssh "$P22" "
	stamp() { sed -n '1s/^\[ *\([0-9.]*\)\].*/\1/p'; }
	k=\$(dmesg | grep 'Out of memory: Killed process [0-9]* (cron)' | stamp)
	kl=\$(dmesg | grep 'lifeline: cron: oom-killed after' | stamp)
	l=\$(lifelinectl log | grep 'lifeline: cron: oom-killed after' | stamp)
	s=\$(cut -d' ' -f22 /proc/$newcron/stat)
	echo \"\$k \$kl \$l \$s\"" 2>/dev/null)
set -- $times
if [ $# = 4 ]; then
	note "$(echo "$1 $2 $3 $4" | awk '{
		off = $2 - $3           # kernel clock minus CLOCK_MONOTONIC
		printf "respawn of cron: the kernel killed it at %.3f s (kernel clock); lifeline had reaped it, started a new one and logged \"oom-killed ... restarting in 0ms\" %d ms later", $1, ($2 - $1) * 1000
		if ('"$(col cron 6)"' == 1)
			{ d = ($4 / 100 - ($1 - off)) * 1000
			  printf "; the new cron (PID '"$newcron"') started %s after the kill (10 ms ticks of /proc/PID/stat)", d < 10 ? "within 10 ms" : sprintf("%d ms", d) } }')"
else
	note "respawn of cron: no timing (kernel, log, stat: $times)"
fi
printf '%s\n' "$st" | sed 's/^/# /'
finish
