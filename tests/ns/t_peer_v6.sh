#!/bin/sh
# lifeline-peer and lifeline over IPv6 only (a veth pair with ULA addresses,
# no IPv4 on it): keepalives to [fd00:77::1]:7500, dropbear probed at
# [fd00:77::2]:2222, a verdict once dropbear is stopped for the grace, and
# lifeline acts on it.  Then lifeline-peer's SIGHUP: a changed peer.conf
# (a second host, a longer grace) is read again while web1 keeps its state
# and counters; a broken one is refused and the running one stays.
# san: yes
. "$(dirname "$0")/lib.sh"

peer_tools
HOSTIP=fd00:77::2
PEERIP=fd00:77::1
trap peer_cleanup EXIT INT TERM

peer_keys
"$LIFELINECTL" keygen "$T/web2.key" > /dev/null || { fail "lifelinectl keygen (web2)"; exit 1; }

make_keys
host_conf > "$T/lifeline.conf"
peer_conf 3s > "$T/peer.conf"
start_ns
wait_for 15 svc_running rescue-ssh || fail "dropbear runs under lifeline"

check "a veth pair with IPv6 addresses only" peer_net_setup
check "... and no IPv4 address on it" sh -c "! nsenter -t $PEERNS -n ip -4 addr show dev $VP | grep -q inet"

check "lifeline-peer starts on [$PEERIP]:7500" peer_start

hj() { pjson ".hosts[] | select(.host == \"$1\") | $2"; }

check "web1 up over IPv6: keepalives from [$HOSTIP], dropbear answers" \
	wait_for 20 sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[0] | \"\(.state) \(.ssh[0].result) \(.address)\"')\" = 'up ok $HOSTIP' ]"
check "lifeline's status: the peer line in brackets, nothing dropped" \
	sh -c "\"$LIFELINECTL\" -s $T/control status | grep -q '^  peer \[$PEERIP\]:7500: last verdict never, ok 0, dropped 0'"

DB=$(child_pid dropbear)
kill -STOP "$DB"
check "dropbear stopped: a verdict after the grace, over IPv6" wait_for 15 sh -c "[ \"\$(grep -c 'host=web1 event=verdict ' $T/peer.log)\" -ge 1 ]"
check "the verdict went to the host's IPv6 source" grep -q "host=web1 event=verdict seq=1 to=\[$HOSTIP\]:" "$T/peer.log"
check "lifeline acts on it" wait_for 5 sh -c "\"$LIFELINECTL\" -s $T/control log | grep -q 'keepalive: verdict from \[$PEERIP\]:7500 (1 of 1 within [^)]*): booting the rescue system'"
kill -CONT "$DB"
check "dropbear back: up" wait_for 10 sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[0].state')\" = up ]"

# --- SIGHUP: a second host and a longer grace; web1 keeps its state ------
ka1=$(hj web1 .keepalives)
v1=$(verdicts)
peer_conf 1m "[host web2]
key = $T/web2.key
address = fd00:77::9
ssh = no" > "$T/peer.conf"
kill -HUP "$PEERPID"
check "SIGHUP: reload logged (2 hosts, web1 kept, web2 new)" \
	wait_for 5 grep -q 'event=reload config=.* hosts=2 kept=1 new=1 gone=0' "$T/peer.log"
check "the new grace applies" [ "$(pjson .grace_ms)" = 60000 ]
check "web1 kept its state (up) and its counters (keepalives $ka1 and on)" \
	sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[] | select(.host == \"web1\") | \"\(.state) \(.keepalives >= $ka1) \(.verdicts_sent >= 1)\"')\" = 'up true true' ]"
check "... and was never unknown again" sh -c "[ \"\$(grep -c 'host=web1 event=unknown' $T/peer.log)\" = 0 ]"
check "web2 is there (no keepalive yet: unknown or down)" \
	sh -c "hj() { \"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[] | select(.host == \"web2\") | .state'; }; case \$(hj) in unknown|down) exit 0 ;; esac; exit 1"
check "the keepalives keep coming for web1 after the reload" \
	wait_for 5 sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[] | select(.host == \"web1\") | .keepalives')\" -gt $((ka1 + 2)) ]"
# the grace is now a minute: dropbear stopped for 5 s brings no verdict
kill -STOP "$DB"
sleep 5
check "with the new 1m grace, 5 s without SSH: unreachable, no new verdict" \
	sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[0].state')\" = unreachable ] && [ \"\$(grep -c 'host=web1 event=verdict ' $T/peer.log)\" = $v1 ]"
kill -CONT "$DB"

# a broken config: refused, the running one stays
printf '[peer]\ngrace = soon\n' > "$T/peer.conf"
kill -HUP "$PEERPID"
check "a broken config on SIGHUP: each problem and reload-failed logged" \
	wait_for 5 sh -c "grep -q 'event=reload-problem .*peer.conf:2:' $T/peer.log && grep -q 'event=reload-failed config=.* problems=' $T/peer.log"
check "... and the running configuration stays (2 hosts, grace 1m)" \
	sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '\"\(.hosts | length) \(.grace_ms)\"')\" = '2 60000' ]"
check "the daemon still runs" kill -0 "$PEERPID"
finish
