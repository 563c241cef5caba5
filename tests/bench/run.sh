#!/bin/sh
# make bench: figures for lifeline as PID 1 of a namespace.  Printed, not
# asserted (the machines are shared and noisy).  The respawn latency is
# also measured for the floor (this machine spawning the same program
# directly) in the same run, and the two are compared as a ratio.
#   binary size; VmRSS and VmLck with 16 services; respawn latency over
#   500 kills (the service stamps CLOCK_MONOTONIC first thing, the killer
#   right before kill()); idle wake-ups in 30 s.
# Then tests/bench/peer.sh (lifeline-peer at 1,000 and 10,000 hosts),
# tests/bench/verdict_flood.sh (PID 1 under a flood of forged verdicts),
# tests/bench/conncost.sh: PID 1's CPU while connections churn or are held
# on port 22, in QEMU,
# tests/bench/guard.sh: the memory guard against Debian's earlyoom
# and against no guard, in QEMU (needs build/system.img: make images);
# tests/bench/squeeze.sh: the squeeze table (balloon down to the floor);
# tests/bench/memcost.sh: what lifeline's setup costs in MemAvailable
# against BusyBox init (MEMCOST=0 skips it);
# tests/bench/debian_boot.sh: boot to login on the stock Debian disk,
# lifeline against systemd (DEBIAN_BOOT=0 skips it).
cd "$(dirname "$0")/../.." || exit 1
KILLS=${KILLS:-500}
IDLE=${IDLE_SECS:-30}
B=build/bench
mkdir -p $B
# the service is tiny (static musl), so exec itself weighs little
musl-gcc -O2 -static -o $B/stamp tests/bench/stamp.c || exit 1
cc -O2 -o $B/respawn tests/bench/respawn.c || exit 1
T=$(mktemp -d /tmp/lifeline-bench.XXXXXX)
chmod 755 "$T"
trap 'kill -KILL $NSPID $UPID 2>/dev/null; rm -rf "$T"' EXIT

{
	echo "[lifeline]"
	echo "stable_after = 100ms"
	echo "[service stamp]"
	echo "exec = $(pwd)/$B/stamp $T/stamps"
	i=1
	while [ $i -le 15 ]; do
		echo "[service idle$i]"
		echo "exec = /bin/sleep 1000$i"
		i=$((i + 1))
	done
} > "$T/lifeline.conf"

unshare --pid --fork --mount --net --mount-proc --propagation private \
	sh -c "mount -t tmpfs tmpfs /run && exec $(pwd)/build/lifeline -c $T/lifeline.conf -s $T/control" \
	> "$T/console.log" 2>&1 &
UPID=$!
sleep 1
NSPID=$(pgrep -P $UPID)
sleep 1

size=$(wc -c < build/lifeline)
echo "binary: build/lifeline $size bytes ($((size / 1024)) KiB; 57 KiB before the memory guard)"
running=$(build/lifelinectl -s "$T/control" status | grep -c ' running ')
lck=$(awk '/^VmLck:/ { print $2 }' /proc/$NSPID/status)
rss=$(awk '/^VmRSS:/ { print $2 }' /proc/$NSPID/status)
echo "memory with $running services running: VmRSS $rss KiB, VmLck $lck KiB (184-188 KiB locked before the memory guard)"

# both measured now, on this machine, with the same idle gap before each
nsenter -t "$NSPID" -p -m -- $(pwd)/$B/respawn "$T/stamps" "$KILLS" | tee "$T/lat"
$B/respawn --floor "$T/floor-stamps" "$KILLS" "$(pwd)/$B/stamp" | tee -a "$T/lat"
awk '/^respawn/ { l = $(NF - 6) } /^floor/ { f = $(NF - 6) }
     END { if (f > 0) printf "  median ratio lifeline / floor: %.2f (target: median under 1 ms)\n", l / f }' "$T/lat"

sleep 1
cs() { awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { n += $2 } END { print n }' /proc/$NSPID/status; }
c0=$(cs)
sleep "$IDLE"
c1=$(cs)
echo "idle wake-ups of PID 1 in ${IDLE} s with 16 services: $((c1 - c0)) (target 0)"

echo; sh tests/bench/peer.sh    # lifeline-peer with 1,000 and 10,000 hosts (issue #6)
echo; sh tests/bench/verdict_flood.sh  # PID 1 under 10,000 forged verdicts a second (issue #12)

# what an unauthenticated client costs PID 1 in QEMU: connections churned
# and held on port 22 (issue #12)
echo
if [ -r build/system.img ]; then
	sh tests/bench/conncost.sh
else
	echo "connection cost bench: skipped (no build/system.img; make images)"
fi

# the memory guard against earlyoom and no guard, in QEMU (issue #5)
echo
if [ -r build/system.img ] || make -s images; then
	sh tests/bench/guard.sh
else
	echo "memory guard bench: skipped (no build/system.img; make images)"
fi

# the squeeze table: a balloon down to the floor, lifeline against BusyBox
# init with and without earlyoom, in QEMU (issue #11)
echo
if [ -r build/system.img ]; then
	sh tests/bench/squeeze.sh
else
	echo "squeeze bench: skipped (no build/system.img; make images)"
fi

# what lifeline's setup costs in MemAvailable against BusyBox init, idle,
# at 1024 MiB and ballooned to 208 MiB, in QEMU (issue #11): one boot per
# setup, five setups, about 9 minutes
echo
if [ "${MEMCOST:-1}" = 0 ]; then
	echo "memcost bench: skipped (MEMCOST=0)"
elif [ -r build/system.img ]; then
	sh tests/bench/memcost.sh
else
	echo "memcost bench: skipped (no build/system.img; make images)"
fi

# boot to login on the stock Debian disk: lifeline against systemd, in
# QEMU (issue #13; builds the disk as make check does: a few minutes the
# first time)
echo
if [ "${DEBIAN_BOOT:-1}" = 0 ]; then
	echo "Debian boot bench: skipped (DEBIAN_BOOT=0)"
else
	sh tests/bench/debian_boot.sh
fi

# verdict to rescue SSH banner: kexec against a full reboot, in QEMU (issue #6)
echo
if [ -r build/system.img ]; then
	sh tests/bench/escalate.sh
else
	echo "escalation bench: skipped (no build/system.img; make images)"
fi
