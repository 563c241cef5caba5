#!/bin/sh
# make bench (issue #12): what a UDP flood of forged verdicts costs PID 1.
# lifeline runs as a subreaper with a [keepalive] section whose peer is
# 127.0.0.1:PORT; build/ka-tool binds that port (the peer's own address, as
# a forger on the path would use) and, once the first keepalive arrives,
# sends FLOOD_RATE forged verdicts a second for FLOOD_SECS seconds: every
# field right (host, the echo of that keepalive), the MAC random.  Printed,
# not asserted: PID 1's CPU time (utime + stime from /proc/PID/stat) over
# the flood and over as long a quiet stretch right before it, and the
# drops by reason from `lifelinectl status --json` (bad-mac: an HMAC
# computed; rate: dropped unread past 16 a second).
#   FLOOD_RATE  datagrams a second (default 10000)
#   FLOOD_SECS  seconds (default 10)
cd "$(dirname "$0")/../.." || exit 1
RATE=${FLOOD_RATE:-10000}
SECS=${FLOOD_SECS:-10}
[ -x build/lifeline ] && [ -x build/lifelinectl ] && [ -x build/ka-tool ] ||
	make -s build/lifeline build/lifelinectl build/ka-tool || exit 1
T=$(mktemp -d /tmp/lifeline-flood-bench.XXXXXX)
LP=
trap 'kill -TERM $LP 2>/dev/null; rm -rf "$T"' EXIT INT TERM
HZ=$(getconf CLK_TCK)
PORT=$(( 30000 + $$ % 20000 ))
build/lifelinectl keygen "$T/key" > /dev/null || exit 1
cat > "$T/lifeline.conf" <<EOC
[keepalive]
peer = 127.0.0.1:$PORT
key = $T/key
host = bench
interval = 1s
[service idle]
exec = /bin/sleep 100000
EOC
${LIFELINE_BIN:-build/lifeline} -c "$T/lifeline.conf" -s "$T/control" > "$T/console" 2>&1 &
LP=$!
cpu() { sed 's/.*) //' "/proc/$LP/stat" | awk -v hz="$HZ" '{ print int(($12 + $13) * 1000 / hz) }'; }
i=0
while [ ! -S "$T/control" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
q0=$(cpu)
sleep "$SECS"
q1=$(cpu)
build/ka-tool flood "127.0.0.1:$PORT" $((RATE * SECS)) --rate "$RATE" -t 10 > "$T/flood.out" 2>&1
f1=$(cpu)
drops=$(build/lifelinectl -s "$T/control" status --json |
	jq -r '.keepalive.peers[0].counters | "bad-mac \(.["bad-mac"]), rate \(.rate), stale \(.stale), ok \(.ok)"')
echo "PID 1 under a flood of forged verdicts ($RATE a second for $SECS s, from the peer's address, echoing its keepalives):"
echo "  $(cat "$T/flood.out")"
echo "  PID 1's CPU: $((f1 - q1)) ms during the flood ($(( (f1 - q1) / (SECS * 10) ))% of a core), $((q1 - q0)) ms in $SECS s before it"
echo "  drops: $drops"
