#!/bin/sh
# lifeline-peer against a real host: the peer in one network namespace, the
# host in another (lifeline as PID 1 of a PID+mount+net namespace, sending
# keepalives with [keepalive] and supervising a real dropbear on port
# 2222), a veth pair between them.  The peer probes dropbear; while SSH
# answers there is never a verdict; with dropbear stopped (SIGSTOP: the port
# still accepts TCP but no banner comes, so a probe must time out) the
# verdict comes only once the grace period (3 s) has passed, and lifeline
# acts on it (here: "booting the rescue system", refused as not the
# machine's PID 1); SSH back: up, no more verdicts; a host reporting rescue
# (system = rescue) gets none, nor does a silent one (down).  Status, JSON,
# metrics, forged/replayed/unknown datagrams are checked along the way.
# san: yes
. "$(dirname "$0")/lib.sh"

peer_tools
GRACE_MS=3000
HOSTIP=10.77.0.2
PEERIP=10.77.0.1
trap peer_cleanup EXIT INT TERM

peer_keys
"$PEER" keygen "$T/wrong.key" > /dev/null || { fail "lifeline-peer keygen"; exit 1; }
check "lifeline-peer keygen writes a 0600 key" [ "$(stat -c %a "$T/wrong.key")" = 600 ]

# the shipped example: good once its key files exist
sed "s|^key = .*|key = $T/peer-web1.key|" configs/peer.conf > "$T/example.conf"
check "configs/peer.conf passes --check-config (with its keys present)" \
	sh -c "\"$PEER\" --check-config $T/example.conf | grep -q 'ok (2 hosts, 4 SSH targets)'"
check "... and without them, says which key file is missing, where" \
	sh -c "\"$PEER\" --check-config configs/peer.conf 2>&1 | grep -q '^configs/peer.conf:[0-9]*:7: /etc/lifeline/peer/web1.key: No such file or directory\$'"

PEER_METRICS=yes peer_conf "${GRACE_MS}ms" > "$T/peer.conf"
check "lifeline-peer --check-config accepts the config" \
	sh -c "\"$PEER\" --check-config $T/peer.conf | grep -q 'ok (1 host, 1 SSH target)'"

make_keys
host_conf > "$T/lifeline.conf"
start_ns
wait_for 15 svc_running rescue-ssh || fail "dropbear runs under lifeline"

# the peer's namespace, and the wire between the two
check "a veth pair between the host's and the peer's namespaces" peer_net_setup

# a link planted where the old code wrote its temporary metrics file (in a
# textfile directory the exporter's user may write): it must not be followed
echo precious > "$T/victim"
ln -s "$T/victim" "$T/peer.prom.tmp"
check "lifeline-peer starts and opens its socket" peer_start

pstatus() { "$PEER" status -s "$T/peer.sock"; }
hj() { pjson ".hosts[] | select(.host == \"web1\") | $1"; }
pstate() { hj .state 2>/dev/null; }

# --- up: keepalives arrive, dropbear answers ----------------------------
check "the host comes up at the peer (keepalives and SSH)" wait_for 20 sh -c "[ \"\$($PEER status -s $T/peer.sock | awk '\$1 == \"web1\" { print \$2 }')\" = up ]"
pstatus | sed 's/^/# /'
check "status: web1 up, system normal, 2222:ok" \
	sh -c "\"$PEER\" status -s $T/peer.sock | awk '\$1 == \"web1\"' | grep -Eq '^web1 +up +[0-9.]+m?s ago +normal +2222:ok '"
check "status --json is valid JSON" sh -c "\"$PEER\" status --json -s $T/peer.sock | jq -e . > /dev/null"
check "JSON: state up, the rescue-ssh bit, keepalives counted" \
	sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[0] | \"\(.state) \(.state_bits | join(\",\")) \(.keepalives > 0) \(.ssh[0].result)\"')\" = 'up rescue-ssh true ok' ]"
check "the log says event=up" grep -q 'host=web1 event=up ' "$T/peer.log"
check "metrics file: web1 up" wait_for 5 grep -qx 'lifeline_peer_host_state{host="web1",state="up"} 1' "$T/peer.prom"
check "metrics file: ssh_up 1" grep -qx 'lifeline_peer_ssh_up{host="web1",address="10.77.0.2",port="2222"} 1' "$T/peer.prom"
check "metrics: a link planted at peer.prom.tmp is not followed (the file it points to is intact)" \
	[ "$(cat "$T/victim")" = precious ]
check "metrics: the file is readable by the exporter (mode 644, got $(stat -c %a "$T/peer.prom"))" \
	[ "$(stat -c %a "$T/peer.prom")" = 644 ]

# a wrong key, a replay, and an address the peer does not know
in_ns "$KT" keepalive "$HOSTIP:0" "$PEERIP:7500" "$T/wrong.key" web1 > /dev/null
in_ns "$KT" keepalive "$HOSTIP:0" "$PEERIP:7500" "$T/host.key" web1 --boot 1234 --seq 7 --state 4 > /dev/null
in_ns "$KT" keepalive "$HOSTIP:0" "$PEERIP:7500" "$T/host.key" web1 --boot 1234 --seq 7 --state 4 > /dev/null
in_ns ip addr add 10.77.0.3/24 dev "$VH"
in_ns "$KT" keepalive "10.77.0.3:0" "$PEERIP:7500" "$T/host.key" web1 > /dev/null
sleep 0.3
check "a keepalive under a wrong key: counted bad-mac, logged" \
	sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq '.hosts[0].dropped[\"bad-mac\"]')\" = 1 ] && grep -q 'host=web1 event=dropped bad-mac=1' $T/peer.log"
check "the same keepalive twice: the second counted replay" \
	wait_for 12 sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq '.hosts[0].dropped.replay')\" = 1 ] && grep -q 'host=web1 event=dropped.* replay=1' $T/peer.log"
check "a datagram from an unknown address: counted and logged" \
	sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq .unknown_source)\" = 1 ] && grep -q 'event=unknown-source count=1 last_from=10.77.0.3:' $T/peer.log"

# --- while SSH answers, never a verdict ---------------------------------
sleep $(( GRACE_MS / 1000 + 2 ))
check "SSH answering for longer than the grace period: still up" [ "$(pstate)" = up ]
check "... and no verdict sent" [ "$(verdicts)" = 0 ]
check "... and none at lifeline" sh -c "! \"$LIFELINECTL\" -s $T/control log | grep -q 'verdict from'"

# --- dropbear stopped: a probe times out; the verdict after the grace ----
DB=$(child_pid dropbear)
kill -STOP "$DB"
t0=$(now_ms)
check "with dropbear stopped: unreachable, the probe times out (TCP accepts, no banner)" \
	wait_for 5 sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[0] | \"\(.state) \(.ssh[0].result)\"')\" = 'unreachable timeout' ]"
pstatus | sed 's/^/# /'
check "status counts down to the verdict" sh -c "\"$PEER\" status -s $T/peer.sock | awk '\$1 == \"web1\"' | grep -Eq ' in [0-9.]+m?s '"
while [ "$(verdicts)" = 0 ] && [ $(( $(now_ms) - t0 )) -lt 15000 ]; do sleep 0.05; done
t1=$(now_ms)
took=$((t1 - t0))
note "first verdict $took ms after SIGSTOP (grace $GRACE_MS ms, probes every 500 ms)"
check "a verdict is sent" [ "$(verdicts)" -ge 1 ]
# the last banner was read at most one probe interval before the stop
check "not before the grace period: $took ms >= $((GRACE_MS - 600)) ms" [ "$took" -ge $((GRACE_MS - 600)) ]
check "soon after it: $took ms <= $((GRACE_MS + 3000)) ms" [ "$took" -le $((GRACE_MS + 3000)) ]
# the peer's own clock: from the last banner read to "dead" (first verdict)
gap=$(hj '.ssh_ok_ms_ago - .state_since_ms_ago')
note "last SSH answer to dead: $gap ms"
check "dead exactly when the grace has passed since SSH last answered ($gap ms, $GRACE_MS..$((GRACE_MS + 150)))" \
	[ "$gap" -ge "$GRACE_MS" ] && [ "$gap" -le $((GRACE_MS + 150)) ]
check "the log said unreachable, then dead, then verdict" awk '
	/host=web1 event=unreachable / && !u { u = NR }
	/host=web1 event=dead / && !d { d = NR }
	/host=web1 event=verdict / && !v { v = NR }
	END { exit !(u && d && v && u < d && d < v) }' "$T/peer.log"
check "lifeline acts on the verdict" wait_for 5 sh -c "\"$LIFELINECTL\" -s $T/control log | grep -q 'keepalive: verdict from $PEERIP:7500 (1 of 1 within [^)]*): booting the rescue system'"
check "... and, not the machine's PID 1, does not reboot" \
	sh -c "\"$LIFELINECTL\" -s $T/control log | grep -q 'not the machine.s PID 1: not booting the rescue system'"
check "status: dead" [ "$(pstate)" = dead ]
check "metrics file: dead 1, verdicts counted" wait_for 5 sh -c "grep -qx 'lifeline_peer_host_state{host=\"web1\",state=\"dead\"} 1' $T/peer.prom && grep -Eq '^lifeline_peer_verdicts_sent_total\{host=\"web1\"\} [1-9]' $T/peer.prom"
n1=$(verdicts)
sleep 2.2
n2=$(verdicts)
check "verdicts repeat every second while dead ($n1 then $n2 after 2.2 s)" [ $((n2 - n1)) -ge 1 ] && [ $((n2 - n1)) -le 3 ]
check "each verdict echoes a recent keepalive (lifeline accepts them: no stale drops)" \
	sh -c "! \"$LIFELINECTL\" -s $T/control log | grep -q 'dropped.*stale'"

# --- SSH back: up, verdicts stop -----------------------------------------
kill -CONT "$DB"
check "dropbear answers again: up" wait_for 5 sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[0].state')\" = up ]"
n1=$(verdicts)
sleep 3
check "no verdict after SSH answered" [ "$(verdicts)" = "$n1" ]

# --- the host reports rescue: never a verdict ----------------------------
host_conf "system = rescue" > "$T/lifeline.conf"
ctl reload > /dev/null
check "system = rescue: the peer shows rescue" wait_for 5 sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[0] | \"\(.state) \(.system)\"')\" = 'rescue rescue' ]"
check "the log says event=rescue" grep -q 'host=web1 event=rescue ' "$T/peer.log"
kill -STOP "$DB"
n1=$(verdicts)
sleep $(( GRACE_MS / 1000 + 3 ))
check "a host in rescue with SSH stopped gets no verdict" [ "$(verdicts)" = "$n1" ]
check "... its probe times out all the same" [ "$(hj '.ssh[0].result')" = timeout ]
check "status: rescue" sh -c "\"$PEER\" status -s $T/peer.sock | grep -Eq '^web1 +rescue +[0-9.]+m?s ago +rescue '"
check "metrics file: rescue 1" wait_for 3 grep -qx 'lifeline_peer_host_state{host="web1",state="rescue"} 1' "$T/peer.prom"

# --- silence: down, and no verdict (silence = down) ---------------------
host_conf none > "$T/lifeline.conf"
ctl reload > /dev/null
check "no keepalives for down_after: down" wait_for 8 sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[0].state')\" = down ]"
check "the log says event=down" grep -q 'host=web1 event=down ' "$T/peer.log"
sleep $(( GRACE_MS / 1000 + 1 ))
check "silent with SSH stopped: still no verdict" [ "$(verdicts)" = "$n1" ]
kill -CONT "$DB"
pstatus | sed 's/^/# /'

# --- status: root only, and the daemon stops cleanly -----------------------
check "status as another user is refused" \
	sh -c "! setpriv --reuid=65534 --regid=65534 --clear-groups \"$PEER\" status -s $T/peer.sock 2>&1 | grep -q web1"
kill -TERM "$PEERPID"
check "SIGTERM: the peer exits 0 and removes its socket" \
	sh -c "wait_for() { _e=\$((\$(date +%s) + \$1)); shift; while ! \"\$@\"; do [ \$(date +%s) -ge \$_e ] && return 1; sleep 0.1; done; }; wait_for 5 sh -c '! kill -0 $PEERPID 2>/dev/null' && [ ! -e $T/peer.sock ]"
wait "$PEERPID"
rc=$?
check "exit status 0 (was $rc)" [ "$rc" = 0 ]
PEERPID=
check "the peer logged no error" sh -c "! grep -q 'event=error' $T/peer.log"
# (a metrics write in flight when it stopped ends within moments)
check "metrics: no temporary file left behind" \
	wait_for 5 sh -c "! ls $T/peer.prom.?????? 2>/dev/null | grep -q ."
finish
