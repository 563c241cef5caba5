#!/bin/sh
# make bench, issue #12: what an unauthenticated client costs PID 1.  QEMU,
# TCG, 512 MiB, the system image with keepalives on (the escalation
# configuration: lifeline looks at its SSH connections with sock_diag at
# every keepalive, each second here) and the memory guard's cgroups (each
# fork of sshd is a session group: a mkdir, writes, a sweep).  Each phase
# lasts SECS seconds; PID 1's CPU time (utime + stime of /proc/1/stat, in
# 10 ms ticks) and the guest's busy CPU time (/proc/stat) are read over
# SSH before and after it.  Printed, never asserted.
#   rest     nothing but the keepalives
#   churn    build/tcp-hold -c RATE: RATE connections a second opened and
#            closed on port 22 (default 200)
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

# "PID1_TICKS BUSY_TICKS" now, one SSH session
sample() {
	gssh "$P22" 'set -- $(sed "s/.*) //" /proc/1/stat); u=${12}; s=${13};
		set -- $(head -n 1 /proc/stat); echo $((u + s)) $(($2 + $3 + $4 + $7 + $8))' 2>/dev/null
}
phase() { # NAME CMD...: run CMD for the phase, print the figures
	_name=$1; shift
	set -- $(sample) "$@"
	_p0=$1 _b0=$2; shift 2
	"$@" > "$T/phase.out" 2>&1
	set -- $(sample)
	_p=$(( ($1 - _p0) * 10 )) _b=$(( ($2 - _b0) * 10 ))
	printf '%-6s PID 1: %5d ms of CPU in %s s; the guest busy %6d ms (both vCPUs)  %s\n' \
		"$_name" "$_p" "$SECS" "$_b" "$(tr '\n' ' ' < "$T/phase.out")"
	PHASE_MS=$_p
}

gssh "$P22" lifelinectl status 2>/dev/null | grep -E '^(sessions|cgroups|  ssh watch):' | sed 's/^/# /'
echo "PID 1's CPU per phase (QEMU TCG, 512 MiB, keepalives every second)"
phase rest sleep "$SECS"
rest=$PHASE_MS
phase churn "$ROOT/build/tcp-hold" -t "$SECS" -c "$RATE" "127.0.0.1:$P22"
churn=$PHASE_MS
conns=$(sed -n 's/.*connects=\([0-9]*\).*/\1/p' "$T/phase.out")
phase held "$ROOT/build/tcp-hold" -t "$SECS" "127.0.0.1:$P22" 120
held=$PHASE_MS
if [ "${conns:-0}" -gt 0 ]; then
	echo "churn: $(( (churn - rest) * 1000 / conns )) ms of PID 1's CPU per 1000 connections over rest ($conns connections)"
fi
echo "held: $((held - rest)) ms over rest in $SECS s with sshd's MaxStartups full"
gssh "$P22" lifelinectl status 2>/dev/null | grep -E '^  ssh watch:' | sed 's/^/# after: /'
finish
