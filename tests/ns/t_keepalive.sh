#!/bin/sh
# Keepalives from lifeline (PID 1 of a namespace) to peers on the
# namespace's loopback, received and answered with build/ka-tool: they
# arrive every interval with the host name, an increasing seq and the state
# of sshd and dropbear (the sshd bit goes when sshd is stopped); a valid
# verdict is acted on ("booting the rescue system", which rescue_now
# refuses here: not the machine's PID 1); a forged, a replayed and a stale
# verdict and a datagram from an unknown sender are counted and ignored;
# quorum 2 of 2 needs both peers; `lifelinectl rescue now` needs --yes; a
# key others can read stops the sending until it is fixed.
# san: yes
. "$(dirname "$0")/lib.sh"

KT=$ROOT/build/ka-tool
[ -x "$KT" ] || { fail "build/ka-tool exists (make build/ka-tool)"; exit 1; }
KEY=$T/keepalive.key
WRONG=$T/wrong.key
"$LIFELINECTL" keygen "$KEY" > /dev/null || { fail "lifelinectl keygen"; exit 1; }
"$LIFELINECTL" keygen "$WRONG" > /dev/null || { fail "lifelinectl keygen (second key)"; exit 1; }
P1=127.0.0.1:7601
P2=127.0.0.1:7602
HOSTPORT=7500

ka_section() { # ka_section PEERS... : [keepalive] with extra lines from $EXTRA
	echo "[keepalive]"
	for _p in "$@"; do echo "peer = $_p"; done
	printf 'key = %s\nhost = web1\ninterval = 500ms\nport = %s\n%s\n' "$KEY" "$HOSTPORT" \
		"${EXTRA:-}"
}

make_keys
{ standard_config ""; ka_section "$P1"; } > "$T/lifeline.conf"
start_ns
for s in rescue-ssh sshd cron; do wait_for 15 svc_running "$s"; done
check "sshd and dropbear run" sh -c "svc() { \"$LIFELINECTL\" -s $T/control status | awk -v n=\$1 '\$1 == n { print \$3 }'; }; [ \"\$(svc sshd)\" = running ] && [ \"\$(svc rescue-ssh)\" = running ]"

kt() { in_ns "$KT" "$@"; }
logcount() { ctl log 2>/dev/null | grep -c -- "$1"; }
# what peerlink logs when it acts (rescue_now logs its own line too)
ACTED='keepalive: verdict from .*: booting the rescue system'


# --- keepalives ----------------------------------------------------------
kt listen "$P1" "$KEY" 4 -t 10 > "$T/ka1.out" 2> "$T/ka1.err"
check "4 keepalives arrive at the peer" [ "$(grep -c '^keepalive ' "$T/ka1.out")" = 4 ]
check "no datagram the peer could not decode" [ "$(grep -c '^drop ' "$T/ka1.out")" = 0 ]
check "they carry the host name web1" [ "$(grep -c ' host=web1 ' "$T/ka1.out")" = 4 ]
check "they come from the configured source port $HOSTPORT" \
	[ "$(grep -c "from=127.0.0.1:$HOSTPORT " "$T/ka1.out")" = 4 ]
check "state: sshd and dropbear running" \
	[ "$(grep -c ' state=sshd+rescue-ssh ' "$T/ka1.out")" = 4 ]
check "seq goes up by one each time" awk '
	{ for (i = 1; i <= NF; i++) if ($i ~ /^seq=/) s = substr($i, 5) + 0 }
	NR > 1 && s != last + 1 { bad = 1 } { last = s } END { exit bad || NR != 4 }' "$T/ka1.out"
check "one boot id" [ "$(sed 's/.* boot=\([0-9a-f]*\).*/\1/' "$T/ka1.out" | sort -u | wc -l)" = 1 ]
# every 500 ms: 3 intervals between the first and the fourth
span=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^time=/) t[NR] = substr($i, 6) }
	END { print t[4] - t[1] }' "$T/ka1.out")
note "3 intervals took ${span} ms"
check "every 500 ms (3 intervals: $span ms, 1300..2200)" [ "$span" -ge 1300 ] && [ "$span" -le 2200 ]

ctl stop sshd > /dev/null
wait_for 10 sh -c "! \"$LIFELINECTL\" -s $T/control status | awk '\$1 == \"sshd\" { print \$3 }' | grep -qx running"
sleep 0.6
kt listen "$P1" "$KEY" 2 -t 10 > "$T/ka2.out" 2>&1
check "after stop sshd: the sshd bit is gone" [ "$(grep -c ' state=rescue-ssh ' "$T/ka2.out")" = 2 ]
ctl start sshd > /dev/null
wait_for 10 svc_running sshd
sleep 0.6
kt listen "$P1" "$KEY" 1 -t 10 > "$T/ka3.out" 2>&1
check "after start sshd: back" grep -q ' state=sshd+rescue-ssh ' "$T/ka3.out"

ctl status > "$T/status1" 2>&1
check "status: the keepalive line" grep -q \
	'^keepalive: host web1, every 500ms, quorum 1 of 1 within 1m, sent [0-9]* (seq [0-9]*), state sshd+rescue-ssh$' \
	"$T/status1"
# (a send may have failed at boot, before the loopback was up)
check "status: the peer line" grep -Eq \
	"^  peer $P1: last verdict never, ok 0, dropped 0(, send failed [0-9]+ \(Network (is )?unreachable\))?\$" \
	"$T/status1"

# --- verdicts --------------------------------------------------------------
kt verdict "$P1" "$KEY" --sign-key "$WRONG" -t 10 > "$T/forged.out" 2>&1
sleep 0.3
check "a forged verdict is counted as bad-mac" wait_for 3 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q '^  peer $P1: last verdict never, ok 0, dropped 1 (bad-mac 1)'"
check "a forged verdict is not acted on" [ "$(logcount "$ACTED")" = 0 ]

kt verdict "$P1" "$KEY" --save "$T/verdict.bin" -t 10 > "$T/valid.out" 2>&1
check "ka-tool sent a valid verdict" grep -q "^verdict to=127.0.0.1:$HOSTPORT host=web1 " "$T/valid.out"
check "a valid verdict is acted on" wait_for 5 sh -c \
	"\"$LIFELINECTL\" -s $T/control log | grep -q 'keepalive: verdict from $P1 (1 of 1 within 1m): booting the rescue system'"
check "rescue_now does not reboot: not the machine's PID 1" wait_for 5 sh -c \
	"\"$LIFELINECTL\" -s $T/control log | grep -q \"not the machine's PID 1\""
check "lifeline still runs its services" svc_running sshd
check "status: the verdict is counted" wait_for 3 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q '^  peer $P1: last verdict [0-9.]*m*s ago, ok 1, dropped 1 (bad-mac 1)'"

kt replay "$P1" "$T/verdict.bin" -t 10 > "$T/replay.out" 2>&1
check "ka-tool replayed the verdict's bytes" grep -q '^replay to=.* bytes=112' "$T/replay.out"
check "a replayed verdict is counted as replay" wait_for 3 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q '^  peer $P1: .* ok 1, dropped 2 (bad-mac 1, replay 1)'"

kt verdict "$P1" "$KEY" --stale 8 -t 10 > "$T/stale.out" 2>&1
check "a stale verdict (8 keepalives old) is counted as stale" wait_for 3 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q '^  peer $P1: .* ok 1, dropped 3 (bad-mac 1, replay 1, stale 1)'"

kt keepalive 127.0.0.2:7699 "127.0.0.1:$HOSTPORT" "$KEY" web1 > /dev/null 2>&1
check "a datagram from an unknown sender is counted" wait_for 3 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q '^keepalive: .*, unknown senders 1\$'"
kt keepalive 127.0.0.1:7699 "127.0.0.1:$HOSTPORT" "$KEY" web1 > /dev/null 2>&1
check "one from the peer's address but another port is counted on the peer" wait_for 3 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q '^  peer $P1: .* ok 1, dropped 4 (bad-mac 1, replay 1, stale 1, unknown-peer 1)'"
check "only the valid verdict was acted on" [ "$(logcount "$ACTED")" = 1 ]
# the drops of one peer are logged as counts since its last such line, at
# most one line per 10 s: a loaded machine may split them over two lines,
# so the lines must add up to the drops above
drop_sums() {
	ctl log 2>/dev/null | grep "keepalive: peer $P1: dropped " | sed 's/.*datagram(s): //' |
		tr ',' '\n' | awk '{ n[$1] += $2 } END { printf "bad-mac %d, replay %d, stale %d, unknown-peer %d\n", n["bad-mac"], n["replay"], n["stale"], n["unknown-peer"] }'
}
drops_logged() { [ "$(drop_sums)" = "bad-mac 1, replay 1, stale 1, unknown-peer 1" ]; }
check "drops are logged (their lines add up to the counters)" wait_for 11 drops_logged
note "drop log lines of $P1: $(ctl log 2>/dev/null | grep -c "keepalive: peer $P1: dropped ")"
check "unknown senders are logged" wait_for 11 sh -c \
	"\"$LIFELINECTL\" -s $T/control log | grep -q 'keepalive: dropped 1 datagram(s) from unknown senders (last: 127.0.0.2:7699)'"

ctl status --json > "$T/status.json" 2>&1
# (jq -e: exit 1 when the expression is false or null, 5 on bad JSON)
json_ok() { jq -e --arg p1 "$P1" "$1" "$T/status.json" > /dev/null; }
check "status --json is valid JSON with the keepalive member" json_ok '
.keepalive as $k | $k.peers[0] as $p | $p.counters as $c |
$k.enabled and $k.sending and $k.problem == null and
$k.host == "web1" and $k.system == "normal" and $k.interval_ms == 500 and
$k.state == ["sshd", "rescue-ssh"] and $k.seq >= 7 and
$k.unknown_senders == 1 and $k.quorums_reached == 1 and
$p.peer == $p1 and $p.verdicts == 1 and $p.last_verdict_ms_ago >= 0 and
[$c.ok, $c["bad-mac"], $c.replay, $c.stale, $c["bad-size"], $c["unknown-peer"]] == [1, 1, 1, 1, 0, 1]
'

# --- quorum 2 of 2 -----------------------------------------------------------
{ standard_config ""; EXTRA="quorum = 2" ka_section "$P1" "$P2"; } > "$T/lifeline.conf"
ctl reload > /dev/null 2>&1
check "reload with two peers, quorum 2" wait_for 3 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q '^keepalive: host web1, every 500ms, quorum 2 of 2 within 1m'"
kt verdict "$P1" "$KEY" -t 10 > /dev/null 2>&1
check "quorum 2: the first peer's verdict is logged as 1 of 2" wait_for 3 sh -c \
	"\"$LIFELINECTL\" -s $T/control log | grep -q 'keepalive: verdict from $P1 (1 of 2 needed within 1m)'"
sleep 0.3
check "quorum 2: one peer is not enough" [ "$(logcount "$ACTED")" = 1 ]
kt verdict "$P1" "$KEY" -t 10 > /dev/null 2>&1
sleep 0.3
check "quorum 2: the same peer twice is still not enough" [ "$(logcount "$ACTED")" = 1 ]
kt verdict "$P2" "$KEY" -t 10 > /dev/null 2>&1
check "quorum 2: the second peer's verdict completes it" wait_for 3 sh -c \
	"\"$LIFELINECTL\" -s $T/control log | grep -q 'keepalive: verdict from $P2 (2 of 2 within 1m): booting the rescue system'"

# --- lifelinectl rescue now ------------------------------------------------
before=$(logcount 'rescue: lifelinectl rescue now')
ctl rescue now < /dev/null > /dev/null 2> "$T/now.err"
rc=$?
check "rescue now without --yes is refused (exit 2, got $rc)" [ "$rc" = 2 ]
check "... saying why" grep -q 'add --yes' "$T/now.err"
check "... without asking lifeline" [ "$(logcount 'rescue: lifelinectl rescue now')" = "$before" ]
ctl rescue now --yes > /dev/null 2>&1
rc=$?
check "rescue now --yes is sent (exit 0, got $rc)" [ "$rc" = 0 ]
check "... and reaches rescue_now, which does not reboot here" wait_for 3 sh -c \
	"\"$LIFELINECTL\" -s $T/control log | grep -A1 'rescue: lifelinectl rescue now' | grep -q \"not the machine's PID 1\""
check "lifeline is still there" svc_running sshd

# --- a key others can read -------------------------------------------------
chmod 0644 "$KEY"
ctl reload > /dev/null 2>&1
check "a key readable by others: status says NOT SENDING" wait_for 3 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q '^keepalive: NOT SENDING: .*$KEY'"
# ka-tool would refuse that key too: the peer listens with a good copy
cp "$KEY" "$T/copy.key"; chmod 0600 "$T/copy.key"
kt listen "$P1" "$T/copy.key" 1 -t 2 > "$T/none.out" 2>&1
check "nothing is sent with that key" [ "$(grep -c '^keepalive ' "$T/none.out")" = 0 ]
chmod 0600 "$KEY"
kt listen "$P1" "$KEY" 1 -t 5 > "$T/again.out" 2>&1
check "fixed key: sending again without a reload" grep -q '^keepalive ' "$T/again.out"

finish
