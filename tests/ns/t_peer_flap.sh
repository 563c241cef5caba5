#!/bin/sh
# A host that flips its state with every keepalive (issue #12: a
# compromised host toggling its rescue bit) must not flood lifeline-peer's
# log: at most 6 state-change lines per host per minute, the rest counted
# and said in one line at the end of the minute, with the state then.  The peer alone in a
# network namespace; build/ka-tool plays the host with a valid key, 20
# keepalives, the rescue bit set in every other one.
# san: yes
. "$(dirname "$0")/lib.sh"

peer_tools
trap peer_cleanup EXIT INT TERM

"$PEER" keygen "$T/web2.key" > /dev/null || { fail "lifeline-peer keygen"; exit 1; }
cat > "$T/peer.conf" <<EOC
[peer]
listen = 127.0.0.1:7500
socket = $T/peer.sock
metrics = no
[host web2]
key = $T/web2.key
address = 127.0.0.1
EOC
netns_new PEERNS
nsenter -t "$PEERNS" -n ip link set lo up
check "lifeline-peer starts" peer_start

# 20 keepalives of one boot, seq 1..20, state 1 (rescue) in the even ones;
# its SSH ports (22 and 2222 by default) refuse: without the bit, the host
# is unreachable, with it in rescue: a change with every keepalive
i=1
while [ $i -le 20 ]; do
	nsenter -t "$PEERNS" -n "$KT" keepalive 127.0.0.1:0 127.0.0.1:7500 "$T/web2.key" web2 \
		--state $(( (i + 1) % 2 )) --boot 00000000000000aa --seq $i > /dev/null 2>&1
	sleep 0.05
	i=$((i + 1))
done
state() { "$PEER" status --json -s "$T/peer.sock" | jq -r '.hosts[] | select(.host == "web2") | .state'; }
check "the peer took all 20 keepalives" wait_for 5 sh -c \
	"[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[] | select(.host == \"web2\") | .keepalives')\" = 20 ]"
check "the last keepalive's state shows (rescue bit: rescue; got $(state))" [ "$(state)" = rescue ]
n=$(grep -c 'host=web2 event=\(up\|rescue\|down\|unreachable\|dead\) ' "$T/peer.log")
grep 'host=web2' "$T/peer.log" | sed 's/^/# peer: /'
check "at most 6 state-change lines for 20 changes (got $n)" [ "$n" -le 6 ]
check "and at least one (the changes are not hidden)" [ "$n" -ge 1 ]
# the minute ends: what was not said is counted (the 20 keepalives' changes
# past the first 6, and the host going down once they stopped), and the
# state then is said
check "within the minute: one line counts the changes not logged (at least $((20 - n)))" wait_for 70 sh -c \
	"c=\$(sed -n 's/.*host=web2 event=flapping changes_not_logged=\\([0-9]*\\) window=60s.*/\\1/p' $T/peer.log); [ -n \"\$c\" ] && [ \"\$c\" -ge $((20 - n)) ]"
now=$(state)
check "followed by the state the host is in now ($now)" sh -c \
	"grep -A1 'host=web2 event=flapping' $T/peer.log | tail -n 1 | grep -q 'host=web2 event=$now '"
grep 'host=web2 event=flapping' -A1 "$T/peer.log" | sed 's/^/# peer: /'
finish
