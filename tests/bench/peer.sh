#!/bin/sh
# make bench: lifeline-peer watching 1,000 and 10,000 simulated hosts on
# loopback (tests/bench/kaflood.c: each host from its own 127.x.y.z
# address, a keepalive every 2 s, signed like lifeline's), keepalives only
# (ssh = no: no probes), metrics written every 15 s as configured by
# default.  Printed, not asserted: the CPU time of the peer process
# (user+sys from /proc/PID/stat over the measured seconds), that of its
# children (the metrics writer), its memory, and how it grows from 1,000 to
# 10,000 hosts; then the keepalive traffic per host.
#   PEER_BENCH_SECS  measured seconds per size (default 20)
#   PEER_BENCH_SIZES host counts (default "1000 10000")
cd "$(dirname "$0")/../.." || exit 1
SECS=${PEER_BENCH_SECS:-20}
SIZES=${PEER_BENCH_SIZES:-1000 10000}
INTERVAL=2000
WARM=4
B=build/bench
mkdir -p $B
[ -x build/lifeline-peer ] || make -s build/lifeline-peer || exit 1
cc -O2 -Ilib -o $B/kaflood tests/bench/kaflood.c lib/keepalive.c lib/fmt.c \
	-lbearssl || exit 1
T=$(mktemp -d /tmp/lifeline-peer-bench.XXXXXX)
PP=
FP=
trap 'kill -TERM $PP $FP 2>/dev/null; rm -rf "$T"' EXIT INT TERM
HZ=$(getconf CLK_TCK)
PORT=$(( 30000 + $$ % 20000 ))
build/lifeline-peer keygen "$T/key" > /dev/null || exit 1

# ticks FIELD...: sum of the /proc/PID/stat fields (counted from 1)
ticks() {
	sed 's/.*) //' "/proc/$PP/stat" | awk -v a="$1" -v b="$2" '{ print $(a - 2) + $(b - 2) }'
}

echo "lifeline-peer, keepalives every $((INTERVAL / 1000)) s from N hosts on loopback, no probes, $SECS s measured:"
for n in $SIZES; do
	{
		printf '[peer]\nlisten = 127.0.0.1:%s\nsocket = %s/sock\nmetrics = %s/peer.prom\n' \
			"$PORT" "$T" "$T"
		awk -v n="$n" -v k="$T/key" 'BEGIN {
			for (i = 0; i < n; i++)
				printf "[host h%d]\nkey = %s\naddress = 127.%d.%d.%d\nssh = no\n", i, k,
					1 + int(i / 65536), int(i / 256) % 256, i % 256 }'
	} > "$T/peer.conf"
	rm -f "$T/sock"
	build/lifeline-peer -c "$T/peer.conf" 2> "$T/peer.log" &
	PP=$!
	i=0
	while [ ! -S "$T/sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	$B/kaflood "$n" "$INTERVAL" $((WARM + SECS + 1)) "$PORT" "$T/key" > "$T/flood.out" &
	FP=$!
	sleep "$WARM"
	u0=$(ticks 14 15)
	c0=$(ticks 16 17)
	k0=$(build/lifeline-peer status --json -s "$T/sock" | jq '[.hosts[].keepalives] | add')
	sleep "$SECS"
	u1=$(ticks 14 15)
	c1=$(ticks 16 17)
	json=$(build/lifeline-peer status --json -s "$T/sock")
	k1=$(echo "$json" | jq '[.hosts[].keepalives] | add')
	up=$(echo "$json" | jq '[.hosts[] | select(.state == "up")] | length')
	dropped=$(echo "$json" | jq '[.hosts[].dropped[]] | add')
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PP/status")
	wait "$FP"
	FP=
	kill -TERM "$PP"
	wait "$PP"
	PP=
	cpu=$(( (u1 - u0) * 1000 / HZ ))
	kas=$((k1 - k0))
	echo "$n $cpu $kas" >> "$T/figures"
	awk -v n="$n" -v ms="$cpu" -v c=$(( (c1 - c0) * 1000 / HZ )) -v k="$kas" -v s="$SECS" \
	    -v up="$up" -v d="$dropped" -v rss="$rss" 'BEGIN {
		printf "  %5d hosts: %d of them up, %d keepalives accepted (%.0f/s), %d dropped\n",
			n, up, k, k / s, d
		printf "               CPU %.2f s in %d s (%.2f%% of one core), %.1f us per keepalive; " \
			"children (metrics writer, status answers) %.2f s; VmRSS %d KiB\n",
			ms / 1000, s, ms / 10 / s, k ? ms * 1000 / k : 0, c / 1000, rss }'
	grep -q 'event=error' "$T/peer.log" && sed 's/^/  peer: /' "$T/peer.log" | grep error
	cat "$T/flood.out" | sed 's/^/               /'
done
awk 'NR == 1 { n1 = $1; c1 = $2 } NR == 2 { n2 = $1; c2 = $2 }
     END { if (NR == 2 && c1 > 0)
	printf "  CPU ratio %d / %d hosts: %.1f (hosts x%.0f)\n", n2, n1, c2 / c1, n2 / n1 }' "$T/figures"

# a keepalive is 112 bytes of UDP payload; verdicts flow only to dead hosts
echo "keepalive traffic per host (every $((INTERVAL / 1000)) s, host to peer):"
awk -v i="$INTERVAL" 'BEGIN {
	s = i / 1000
	printf "  UDP payload 112 B: %.0f B/s\n", 112 / s
	printf "  IPv4: 140 B per datagram with IP and UDP headers: %.0f B/s; on Ethernet " \
		"(+38 B header, FCS, preamble, gap) 178 B: %.0f B/s\n", 140 / s, 178 / s
	printf "  IPv6: 160 B with headers: %.0f B/s; on Ethernet 198 B: %.0f B/s\n", 160 / s, 198 / s
	printf "  10,000 hosts: %.1f Mbit/s on Ethernet (IPv4)\n", 10000 * 178 * 8 / s / 1e6 }'
