#!/bin/sh
# make bench, the memory guard (issue #5): the same QEMU guest (the system
# image, 512 MiB, no swap, TCG) and the same workload, a hog (allocates
# without limit, tests/e2e/hog.c) in the foreground of an sshd session,
# under three setups:
#
#   lifeline   lifeline as PID 1 with the shipped configuration (the guard,
#              cgroups)
#   earlyoom   BusyBox init (initramfs/system/bench-init.sh) starting
#              sshd, the rescue dropbear, cron, and Debian's earlyoom with
#              Debian's default arguments (-r 3600)
#   none       BusyBox init, the same services, no guard: the kernel's OOM
#              killer alone
#
# For each run: the time from the start of the allocation to the victim's
# death (in the guest: /proc/uptime before the hog and after it is gone,
# 10 ms steps), the time until an SSH login on port 22 started after the
# session ended succeeds (host: from the receipt of "hog: start"), what
# was killed (lifeline's "memory guard: killed", earlyoom's "sending
# SIG...", the kernel's "Killed process"), PID 1's CPU time over the run
# (utime + stime of /proc/1/stat) and the guard's own where it is another
# process (earlyoom).  Once per setup, idle: context switches (wake-ups)
# in 60 s of PID 1 and of earlyoom.  Printed, never asserted.
#
# Environment: RUNS (hog runs per setup, default 3), GUARD_IDLE_SECS (60),
# SETUPS (default "lifeline earlyoom none").
. "$(dirname "$0")/../e2e/lib.sh"
RUNS=${RUNS:-3}
IDLE=${GUARD_IDLE_SECS:-60}
SETUPS=${SETUPS:-lifeline earlyoom none}
ROWS=$T/rows
: > "$ROWS"

[ -r build/system.img ] || { echo "guard bench: no build/system.img (make images)"; exit 1; }
command -v jq >/dev/null || { echo "guard bench: jq is missing (tests/deps.sh)"; exit 1; }

# in the guest: wake-ups (voluntary + involuntary context switches) of a
# process over IDLE s, read with shell builtins only (no fork in between
# but the one sleep)
IDLE_SCRIPT='cs() { n=0; while read -r k v; do case $k in voluntary_ctxt_switches:|nonvoluntary_ctxt_switches:) n=$((n + v)) ;; esac; done < /proc/$1/status; }
p=$1
cs 1; a1=$n
[ -n "$p" ] && { cs "$p"; a2=$n; }
sleep '"$IDLE"'
cs 1; b1=$n
[ -n "$p" ] && { cs "$p"; b2=$n; }
echo "$((b1 - a1)) $([ -n "$p" ] && echo $((b2 - a2)))"'

cpu_ticks() { # PORT PID: utime + stime in clock ticks
	gssh "$1" "awk '{ print \$14 + \$15 }' /proc/$2/stat" 2>/dev/null
}

bench_setup() {
	setup=$1
	case $setup in
	lifeline) BOOT_INIT=/sbin/lifeline BOOT_APPEND= ;;
	earlyoom) BOOT_INIT=/usr/lib/lifeline-test/bench-init BOOT_APPEND=bench.guard=earlyoom ;;
	none) BOOT_INIT=/usr/lib/lifeline-test/bench-init BOOT_APPEND=bench.guard=none ;;
	esac
	qemu_boot build/system.img "rdinit=$BOOT_INIT${BOOT_APPEND:+ $BOOT_APPEND}"
	if ! wait_banner "$P22" 180 >/dev/null || ! wait_for 60 login "$P22" || ! wait_for 60 login "$P2222"; then
		echo "guard bench: $setup: the guest did not come up (no login)"
		printf '%s\tno login\n' "$setup" >> "$ROWS"
		kill -KILL "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null; QPID=
		return
	fi
	guardpid=
	if [ "$setup" = earlyoom ]; then
		guardpid=$(gssh "$P22" 'pidof earlyoom' 2>/dev/null)
		[ -n "$guardpid" ] || echo "guard bench: earlyoom: earlyoom is not running (not in the image? apt-get install earlyoom, make images)"
	fi
	if [ "$setup" = lifeline ]; then
		g=$(gjson "$P22" '.memory.guard')
		[ "$g" = true ] || echo "guard bench: lifeline: status --json says memory.guard is ${g:-unknown}"
	fi
	sleep 5   # let the boot's stragglers settle
	idle=$(gssh "$P22" "sh -c '$IDLE_SCRIPT' _ $guardpid" 2>/dev/null)
	set -- $idle
	idle1=$(( ${1:-0} * 60 / IDLE )) idle2=$([ -n "${2:-}" ] && echo $(( $2 * 60 / IDLE )) || echo -)

	r=1
	while [ "$r" -le "$RUNS" ]; do
		bench_run "$setup" "$r"
		r=$((r + 1))
	done
	kill -KILL "$QPID" 2>/dev/null
	wait "$QPID" 2>/dev/null
	QPID=
}

bench_run() {
	setup=$1 run=$2
	kbefore=$(gssh "$P22" dmesg 2>/dev/null | wc -l)
	sbefore=$(wc -l < "$SERIAL")
	c1=$(cpu_ticks "$P22" 1)
	g1=$([ -n "$guardpid" ] && cpu_ticks "$P22" "$guardpid")
	out=$T/run.out
	: > "$out"
	( gssh "$P22" 'read s _ < /proc/uptime; echo "up-start $s"; hog; echo "hog-status $?"; read e _ < /proc/uptime; echo "up-end $e"' 2>&1
	  echo "ssh-exit $?" ) | stamp_lines > "$out" &
	t0=$(hog_t0 "$out" 120)
	wait_for 300 hog_fg_done "$out"
	death=$(awk '$2 == "up-start" { s = $3 } $2 == "up-end" { e = $3 }
		END { if (s != "" && e != "") printf "%d", (e - s) * 1000 }' "$out")
	login=
	[ -n "$t0" ] && login=$(login_by "$P22" "$t0" 120)
	wait_for 60 login "$P22"
	c2=$(cpu_ticks "$P22" 1)
	g2=$([ -n "$guardpid" ] && cpu_ticks "$P22" "$guardpid")
	kmsg=$(gssh "$P22" dmesg 2>/dev/null | tail -n +"$((kbefore + 1))")
	serial=$(tail -n +"$((sbefore + 1))" "$SERIAL")
	killed=$( { printf '%s\n' "$kmsg" | sed -n 's/.*memory guard: killed \([^ ]*\) (pid.*/guard:\1/p'
		    printf '%s\n' "$serial" | sed -n 's/.*sending SIG\([A-Z]*\) to process [0-9]* uid [0-9]* "\([^"]*\)".*/earlyoom-\1:\2/p'
		    printf '%s\n' "$kmsg" | sed -n 's/.*[Oo]ut of memory: Killed process [0-9]* (\([^)]*\)).*/kernel:\1/p'
		  } | awk '!seen[$0]++' | tr '\n' ',' | sed 's/,$//')
	cpu1=$([ -n "$c1" ] && [ -n "$c2" ] && echo $(( (c2 - c1) * 10 )) || echo -)
	cpu2=$([ -n "$g1" ] && [ -n "$g2" ] && echo $(( (g2 - g1) * 10 )) || echo -)
	hs=$(awk '$2 == "hog-status" { print $3 }' "$out")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$setup" "$run" "${death:--}" "${login:--}" \
		"${killed:-?}" "$cpu1" "$cpu2" "$idle1" "$idle2" "${hs:--}" >> "$ROWS"
}

for s in $SETUPS; do
	bench_setup "$s"
done

echo "memory guard: a hog in an sshd session, QEMU TCG guest of ${QEMU_MEM:-512} MiB, no swap; $RUNS run(s) per setup"
printf '%-9s %3s %10s %11s %-28s %9s %9s %13s %13s\n' setup run "death ms" "login ms" "killed" "PID1 cpu" "guard cpu" "PID1 idle/min" "guard idle/min"
awk -F'\t' '{
	if ($3 == "no login") { printf "%-9s  the guest did not come up\n", $1; next }
	printf "%-9s %3s %10s %11s %-28s %9s %9s %13s %13s\n", $1, $2, $3, $4, $5, $6 == "-" ? "-" : $6 " ms", $7 == "-" ? "-" : $7 " ms", $8, $9 }' "$ROWS"
echo "  death: allocation start to the hog's end, in the guest (10 ms steps); login: allocation start (host receives \"hog: start\") to a successful login on port 22 started after the session ended"
echo "  killed: guard: lifeline's guard; earlyoom-TERM/KILL: earlyoom and its signal; kernel: the kernel's OOM killer (global or a cgroup's)"
echo "  cpu: utime + stime over the run (10 ms ticks); idle/min: context switches in ${IDLE} s idle, per minute (guard: earlyoom's own process)"
