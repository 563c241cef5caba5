#!/bin/sh
# make bench, issue #12: what an unauthenticated client costs PID 1.  QEMU,
# TCG, 512 MiB, the system image with keepalives on (the escalation
# configuration: lifeline looks at its SSH connections with sock_diag at
# every keepalive, each second here) and the memory guard's cgroups (each
# fork of sshd is a session group: a mkdir, writes, a sweep).  Each phase
# lasts SECS seconds; PID 1's CPU time (utime + stime of /proc/1/stat, in
# 10 ms ticks) and the guest's busy CPU time (/proc/stat) are sampled each
# second by one SSH session opened before.  Printed, never asserted.
#   rest     nothing but the keepalives
#   churn    build/tcp-hold -c RATE: RATE connections a second opened on
#            port 22 (default 200), each closed when sshd's banner (a
#            forked session) or its close arrives; under TCG the guest
#            serves far fewer than 200 a second, and the figure is per
#            connection that got a banner
#   held     build/tcp-hold: 120 connections held open on port 22 (sshd's
#            MaxStartups full), so every look of sock_diag reads them all
# Environment: SECS (default 20), RATE (default 200).
. "$(dirname "$0")/../e2e/lib.sh"
SECS=${SECS:-20}
RATE=${RATE:-200}
for f in build/system.img build/tcp-hold; do
	[ -r "$f" ] || { echo "conncost bench: no $f (make all images build/tcp-hold)"; exit 1; }
done

PORT=$(free_udp 5)
qemu_boot build/system.img "rdinit=/usr/lib/lifeline-test/e2e-init lifeline.e2e=escalate lifeline.e2e.peer=$PORT"
if ! wait_banner "$P22" 150 >/dev/null; then
	echo "conncost bench: the guest did not come up"
	exit 1
fi
# arming (a kexec load) is done before anything is measured
wait_for 90 sh -c "gssh() { ssh -q -i $KEY -p $P22 -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@127.0.0.1 \"\$@\"; }; gssh lifelinectl status 2>/dev/null | grep -q '^rescue: armed'" ||
	echo "# (the rescue system was not armed within 90 s; measuring anyway)"
sleep 5

# one SSH session for the whole bench prints "PID1_TICKS BUSY_TICKS" every
# second; each line stamped with this machine's clock (a session opened
# after a flood would wait behind the flood's connections)
gssh "$P22" 'while :; do set -- $(sed "s/.*) //" /proc/1/stat); u=${12}; s=${13};
	set -- $(head -n 1 /proc/stat); b=$(($2 + $3 + $4 + $7 + $8));
	set -- $(cat /proc/loadavg); echo $((u + s)) $b $5; sleep 1; done' \
	2>/dev/null | stamp_lines > "$T/samples" &
SAMPLER=$!
wait_for 10 sh -c "[ -s $T/samples ]"
# the last sample at or before MS: "PID1_TICKS BUSY_TICKS LAST_PID"
at() { awk -v t="$1" '$1 <= t { l = $2 " " $3 " " $4 } END { print l }' "$T/samples"; }
phase() { # NAME CMD...: run CMD for the phase, print the figures
	_name=$1; shift
	_t0=$(now_ms)
	"$@" > "$T/phase.out" 2>&1
	sleep 1.5       # the sample after the end
	_t1=$(now_ms)
	set -- $(at "$_t0") $(at "$_t1")
	_p=$(( ($4 - $1) * 10 )) _b=$(( ($5 - $2) * 10 )) _w=$((_t1 - _t0)) _n=$(($6 - $3))
	printf '%-6s PID 1: %5d ms of CPU in %5d ms; the guest busy %6d ms (2 vCPUs), %5d processes made  %s\n' \
		"$_name" "$_p" "$_w" "$_b" "$_n" "$(tr '\n' ' ' < "$T/phase.out")"
	PHASE_MS=$_p
	PHASE_PROCS=$_n
}
# until the guest is idle again (a flood leaves sshd a backlog): at most 3 min
settle() {
	_i=0
	while [ $_i -lt 180 ]; do
		sleep 5
		_i=$((_i + 5))
		set -- $(at $(( $(now_ms) - 5000 ))) $(at "$(now_ms)")
		[ $(( ($5 - $2) * 10 )) -lt 2500 ] && break
	done
	echo "# (the guest settled after $_i s)"
}

gssh "$P22" lifelinectl status 2>/dev/null | grep -E '^(sessions|cgroups|  ssh watch):' | sed 's/^/# /'
echo "PID 1's CPU per phase (QEMU TCG, 512 MiB, keepalives every second)"
phase rest sleep "$SECS"
rest=$PHASE_MS
rest_procs=$PHASE_PROCS
phase churn "$ROOT/build/tcp-hold" -t "$SECS" -c "$RATE" "127.0.0.1:$P22"
churn=$PHASE_MS
procs=$PHASE_PROCS
conns=$(sed -n "s/.* banners=\([0-9]*\).*/\1/p" "$T/phase.out")
settle
phase held "$ROOT/build/tcp-hold" -t "$SECS" "127.0.0.1:$P22" 120
held=$PHASE_MS
extra=$((procs - rest_procs))
echo "churn: $((churn - rest)) ms of PID 1's CPU over rest in $SECS s; sshd answered $conns of the connections with a banner (past MaxStartups it turns them away unforked); the guest made $extra processes more than at rest$([ "$extra" -gt 0 ] && echo ": $(( (churn - rest) / extra )) ms of PID 1's CPU each")"
echo "held: $((held - rest)) ms over rest in $SECS s with sshd's MaxStartups full"
kill "$SAMPLER" 2>/dev/null
finish
