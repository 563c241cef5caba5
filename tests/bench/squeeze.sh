#!/bin/sh
# make bench, the squeeze table (issue #11): memory taken away at run time
# by the hypervisor, as in the story lifeline exists for.  The system
# image in QEMU (TCG, no swap) boots with 1024 MiB and a virtio balloon;
# six hogs of 120 MiB each (tests/e2e/hog.c, `hog -s 120`, killable:
# oom_score_adj 0) are started in SSH sessions (alternately on port 22 and
# 2222); then the balloon is inflated over QMP to a target and, once it
# has settled, a login is tried on each port for 10 s.  One fresh boot per
# row, so that a panic or a lost guest at one step says nothing about the
# next.  Three setups:
#
#   lifeline   lifeline as PID 1 with the shipped configuration
#   none       BusyBox init (initramfs/system/bench-init.sh) starting
#              sshd, the rescue dropbear and cron: no guard, the kernel's
#              OOM killer alone
#   earlyoom   the same plus Debian's earlyoom with Debian's default
#              arguments (-r 3600)
#
# Per row: QMP's `actual` after the squeeze (the balloon need not reach
# its target: it takes only what the guest can give), how it settled
# (reached the target; stalled: `actual` unchanged for SQUEEZE_QUIET s;
# moving: still moving after SQUEEZE_MAX s) and when, the guest's MemTotal
# and MemAvailable then (the balloon's guest statistics over QMP, so they
# are there even when SSH is not), a login on each port (the time from the
# settle to "logged in", or "no" within 10 s), cron running (a cron whose
# parent is PID 1; "?" without a login), hogs left, kills (lifeline's
# guard, the kernel's OOM killer, earlyoom; NAME*COUNT) and a kernel panic.
# Once per setup, in the first row's boot before the hogs: wake-ups (the
# voluntary + nonvoluntary context switches) of PID 1 in 30 s at rest,
# and of earlyoom in the earlyoom setup.  Printed, never asserted.
#
# The floor (the deepest target at which BusyBox init with no guard still
# lets both ports log in, idle and with the six hogs) was found with this
# script: SETUPS=none SQUEEZE_HOGS=0 SQUEEZE_STEPS="..." and then
# SQUEEZE_HOGS=6; see tests/e2e/t_guard_squeeze.sh.
#
# Environment: SETUPS (default "lifeline none earlyoom"), SQUEEZE_STEPS
# (targets in MiB, default "512 384 256 240 224"), SQUEEZE_HOGS (6),
# SQUEEZE_HOG_MIB (120), SQUEEZE_QUIET (5), SQUEEZE_MAX (240),
# SQUEEZE_WAKE_SECS (30; 0 skips the wake-ups).
# The default run (15 rows) takes about 30 minutes on a 2-core machine
# under TCG: 1-2 minutes per row, 6 min 11 s for SQUEEZE_STEPS=224 with
# the three setups and the wake-ups.
. "$(dirname "$0")/../e2e/lib.sh"
SETUPS=${SETUPS:-lifeline none earlyoom}
STEPS=${SQUEEZE_STEPS:-512 384 256 240 224}
HOGS=${SQUEEZE_HOGS:-6}
HOG_MIB=${SQUEEZE_HOG_MIB:-120}
QUIET=${SQUEEZE_QUIET:-5}
MAX=${SQUEEZE_MAX:-240}
WAKE=${SQUEEZE_WAKE_SECS:-30}
export QEMU_MEM=1024 QEMU_QMP=1 QEMU_EXTRA="-device virtio-balloon-pci,id=balloon0"
ROWS=$T/rows WAKES=$T/wakes
: > "$ROWS"; : > "$WAKES"

[ -r build/system.img ] || { echo "squeeze bench: no build/system.img (make images)"; exit 1; }
for c in jq socat; do
	command -v $c >/dev/null || { echo "squeeze bench: $c is missing (tests/deps.sh)"; exit 1; }
done

# in the guest: wake-ups of PID 1 and of process $1 (if any) over $2 s,
# read with shell builtins only (no fork in between but the one sleep)
WAKE_SCRIPT='cs() { n=0; while read -r k v; do case $k in voluntary_ctxt_switches:|nonvoluntary_ctxt_switches:) n=$((n + v)) ;; esac; done < /proc/$1/status; }
p=$1
cs 1; a1=$n
[ -n "$p" ] && { cs "$p"; a2=$n; }
sleep $2
cs 1; b1=$n
[ -n "$p" ] && { cs "$p"; b2=$n; }
echo "$((b1 - a1)) $([ -n "$p" ] && echo $((b2 - a2)) || echo -)"'

stop_guest() {
	[ -n "$QPID" ] && kill -KILL "$QPID" 2>/dev/null
	[ -n "$QPID" ] && wait "$QPID" 2>/dev/null
	QPID=
}

row() { (IFS=$(printf '\t'); echo "$*") >> "$ROWS"; }

# squeeze_row SETUP TARGET FIRST
squeeze_row() {
	setup=$1 target=$2
	case $setup in
	lifeline) init=/sbin/lifeline app= ;;
	none) init=/usr/lib/lifeline-test/bench-init app=bench.guard=none ;;
	earlyoom) init=/usr/lib/lifeline-test/bench-init app=bench.guard=earlyoom ;;
	*) echo "squeeze bench: unknown setup $setup"; return ;;
	esac
	qemu_boot build/system.img "rdinit=$init${app:+ $app}"
	if ! wait_banner "$P22" 180 >/dev/null || ! wait_for 60 login "$P22" || ! wait_for 60 login "$P2222"; then
		row "$setup" "$target" "no boot"
		stop_guest; return
	fi
	wait_for 30 eval '[ -n "$(balloon_mib)" ]' || { row "$setup" "$target" "no balloon"; stop_guest; return; }
	balloon_stats > /dev/null   # turns the guest statistics on (every 1 s)
	if [ "$3" = first ] && [ "$WAKE" -gt 0 ]; then
		sleep 5   # the boot's stragglers (udev, the network) settle
		gp=
		[ "$setup" = earlyoom ] && gp=$(gssh "$P22" 'pidof earlyoom' 2>/dev/null)
		w=$(gssh "$P22" "sh -c '$WAKE_SCRIPT' _ '$gp' $WAKE" 2>/dev/null)
		printf '%s\t%s\n' "$setup" "${w:-? ?}" >> "$WAKES"
	fi
	started=0
	[ "$HOGS" -gt 0 ] && { hogs_start "$HOGS" "$HOG_MIB"; started=$HOGS_UP; }
	sl=$(wc -l < "$SERIAL")
	if ! squeeze_to "$target" "$MAX" "$QUIET"; then
		row "$setup" "$target" "QMP balloon refused"
		stop_guest; return
	fi
	printf '%s\n' "$SQ_LOG" | sed "s/^/# $setup $target: /"
	mt= ma=
	if [ "$SQ_HOW" != gone ]; then
		sleep 1   # a fresh report of the guest statistics (every 1 s)
		set -- $(balloon_stats)
		mt=${1:+$(( $1 / 1024 ))} ma=${2:+$(( $2 / 1024 ))}
	fi
	# a port "works" when every login round on it did, within 10 s
	case ,$SQ_22, in *,no,*|,,) ms22="no ${SQ_22:--}" ;; *) ms22="yes $SQ_22" ;; esac
	case ,$SQ_2222, in *,no,*|,,) ms2222="no ${SQ_2222:--}" ;; *) ms2222="yes $SQ_2222" ;; esac
	cron=? left=?
	for p in $P22 $P2222; do
		[ "$SQ_HOW" = gone ] && break
		out=$(gssh "$p" 'ps -o ppid,comm | awk '\''$1 == 1 && $2 == "cron" { c++ } END { print c + 0 }'\''; pidof hog | wc -w' 2>/dev/null) || continue
		set -- $out
		[ -n "${2:-}" ] || continue
		[ "$1" -gt 0 ] && cron=yes || cron=no
		left=$2
		break
	done
	sleep 1    # the last kernel lines reach the serial log
	kills=$(kills_in "$(serial_since "$sl")")
	panic=no
	panicked && panic=yes
	row "$setup" "$target" "$SQ_ACTUAL" "$SQ_HOW $(( ${SQ_SETTLE_MS:-0} / 1000 ))s" "${mt:--}" "${ma:--}" \
		"$ms22" "$ms2222" "$cron" "$started/$left" "$kills" "$panic" "$SQ_ROUNDS"
	stop_guest
}

start=$(now_ms)
for s in $SETUPS; do
	first=first
	for step in $STEPS; do
		squeeze_row "$s" "$step" "$first"
		first=
		note "squeeze: $(tail -n 1 "$ROWS" | tr '\t' ' ')"
	done
done

echo "squeeze: QEMU TCG guest booted with 1024 MiB, virtio balloon, no swap; $HOGS hog(s) of $HOG_MIB MiB in SSH sessions before each squeeze; one boot per row"
printf '%-9s %6s %6s %-12s %8s %8s %-22s %-22s %4s %5s %-5s %s\n' setup target actual settled MemTotal MemAvail "login 22 (ms)" "login 2222 (ms)" cron hogs panic kills
awk -F'\t' '{
	if (NF < 12) { printf "%-9s %6s  %s\n", $1, $2, $3; next }
	printf "%-9s %6s %6s %-12s %8s %8s %-22s %-22s %4s %5s %-5s %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, $11 }' "$ROWS"
echo "  target, actual: MiB the balloon was asked to leave the guest and what QMP says it left; settled: reached the target, stalled (no change for ${QUIET} s), moving (after ${MAX} s) or gone (QEMU ended: a panic), and when, from the QMP command"
echo "  MemTotal, MemAvail: MiB in the guest after the squeeze (the balloon's guest statistics)"
echo "  login: yes if every round's login worked within 10 s, then each round's time in ms from the round's start (a round: after the balloon settled; again while a round's logins made it move, e.g. through a kernel OOM kill of a hog)"
echo "  cron: a cron whose parent is PID 1 after the squeeze; hogs: started (reached their size) / left after the squeeze; kills: guard = lifeline's memory guard, kernel = the kernel's OOM killer, earlyoom; NAME*COUNT"
if [ "$WAKE" -gt 0 ]; then
	echo
	echo "wake-ups at rest in ${WAKE} s (voluntary + nonvoluntary context switches; the first row's boot, before the hogs, 1024 MiB)"
	printf '%-9s %9s %9s\n' setup "PID 1" earlyoom
	awk -F'\t' '{ split($2, w, " "); printf "%-9s %9s %9s\n", $1, w[1], w[2] }' "$WAKES"
fi
echo "  (squeeze bench: $(( ($(now_ms) - start) / 1000 )) s)"
