#!/bin/sh
# `lifeline-peer rescue HOST`: an operator's word instead of the grace.
# The host (lifeline as PID 1 of a PID+mount+net namespace, [keepalive]
# to the peer, a real dropbear on 2222 that answers the probes) and the
# peer (its own network namespace, grace = 10m) as in t_peer.sh.  SSH
# answers all along: without the command there would be no verdict for 10
# minutes.  Checked: the errors (unknown host, no keepalive yet, no daemon,
# not root, no terminal and no --yes: nothing sent), the confirmation on a
# terminal (answered "n": nothing sent), quorum = 2 with only this peer
# asking (lifeline counts 1 of 2 and does not act), a repeat that adds no
# datagram, --cancel, then quorum = 1: lifeline acts on the verdict within
# seconds ("booting the rescue system", refused as not the machine's PID
# 1), and the request ends when the host's keepalives stop.
# san: yes
. "$(dirname "$0")/lib.sh"

peer_tools
HOSTIP=10.77.1.2
PEERIP=10.77.1.1
trap peer_cleanup EXIT INT TERM

peer_keys
"$PEER" keygen "$T/web2.key" > /dev/null || { fail "lifeline-peer keygen"; exit 1; }

# a long grace: any verdict in this test is the operator's
PEER_METRICS=yes peer_conf 10m "
# never sends a keepalive
[host web2]
key = $T/web2.key
address = 10.77.1.7
ssh = no" > "$T/peer.conf"

make_keys
host_conf > "$T/lifeline.conf"
start_ns
wait_for 15 svc_running rescue-ssh || fail "dropbear runs under lifeline"

check "a veth pair between the host's and the peer's namespaces" peer_net_setup

check "lifeline-peer starts and opens its socket" peer_start

pstate() { pjson '.hosts[] | select(.host == "web1") | .state' 2>/dev/null; }
lverdicts() { ctl log | grep -c 'keepalive: verdict from'; }
rescue() { "$PEER" rescue "$@" -s "$T/peer.sock"; }

check "the host comes up at the peer (keepalives, dropbear answers)" wait_for 20 sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[0].state')\" = up ]"

# --- errors: nothing is sent ----------------------------------------------
rescue web9 --yes > "$T/out" 2> "$T/err"
rc=$?
sed 's/^/# /' "$T/err"
check "an unknown host: exit status 1 (was $rc)" [ "$rc" = 1 ]
check "... says so and lists the known hosts" \
	grep -q 'no host "web9" in this peer.s configuration; known hosts: web1 web2$' "$T/err"
rescue web2 --yes > "$T/out" 2> "$T/err"
rc=$?
sed 's/^/# /' "$T/err"
check "a host with no keepalive yet: refused, exit status 1 (was $rc)" [ "$rc" = 1 ]
check "... a verdict needs its boot id" grep -q 'no keepalive from web2 since this peer started: a verdict must echo the boot id' "$T/err"
"$PEER" rescue web1 --yes -s "$T/nosuch.sock" > "$T/out" 2> "$T/err"
rc=$?
sed 's/^/# /' "$T/err"
check "no daemon (no socket): exit status 1 (was $rc), says it is not running" \
	sh -c "[ $rc = 1 ] && grep -q 'nosuch.sock: No such file or directory: lifeline-peer is not running' $T/err"
setpriv --reuid=65534 --regid=65534 --clear-groups "$PEER" rescue web1 --yes -s "$T/peer.sock" \
	> "$T/out" 2> "$T/err"
rc=$?
sed 's/^/# /' "$T/err"
check "not root: permission denied, exit status 1 (was $rc)" \
	sh -c "[ $rc = 1 ] && grep -q 'Permission denied: only root' $T/err"
rescue web1 < /dev/null > "$T/out" 2> "$T/err"
rc=$?
sed 's/^/# /' "$T/err"
check "no --yes, standard input not a terminal: refused, exit status 1 (was $rc)" [ "$rc" = 1 ]
check "... saying why and that nothing was sent" \
	grep -q 'standard input is not a terminal, so nobody can confirm; nothing was sent. Add --yes' "$T/err"
printf 'n\n' | script -qec "\"$PEER\" rescue web1 -s $T/peer.sock" /dev/null > "$T/tty.out" 2>&1
tr -d '\r' < "$T/tty.out" | sed 's/^/# /'
check "on a terminal: the question names the host, its address, keepalive age and state" \
	sh -c "tr -d '\r' < $T/tty.out | grep -Eq 'Boot web1 \(10\.77\.1\.2, last keepalive [0-9.]+m?s ago, state up\) into its rescue system now\? \[y/N\]'"
check "... answered n: not confirmed, nothing sent" grep -q 'not confirmed; nothing was sent' "$T/tty.out"
sleep 1.5
check "after all of these: no verdict sent" [ "$(verdicts)" = 0 ]
check "... no request logged" sh -c "! grep -q 'event=rescue-request' $T/peer.log"
check "... none at lifeline" [ "$(lverdicts)" = 0 ]
check "... and web1 is still up" [ "$(pstate)" = up ]

# a client that connects and sends nothing holds up no one (the daemon reads
# requests without blocking), and the others' answers end at once
sleep 4 | socat -u - "UNIX-CONNECT:$T/peer.sock" &
IDLE=$!
sleep 0.3
t0=$(now_ms)
"$PEER" status -s "$T/peer.sock" > /dev/null
rescue web9 --yes > /dev/null 2>&1
took=$(( $(now_ms) - t0 ))
check "with an idle client connected: status and a rescue answer in $took ms (< 1000)" [ "$took" -lt 1000 ]
kill "$IDLE" 2>/dev/null
wait "$IDLE" 2>/dev/null

# --- quorum = 2, only this peer asks: 1 of 2, no action ---------------------
# the second peer exists only in the host's configuration
host_conf "peer = 10.77.1.9:7500
quorum = 2
quorum_window = 1m" > "$T/lifeline.conf"
ctl reload > /dev/null
check "the host now needs 2 of 2 peers" wait_for 5 sh -c "\"$LIFELINECTL\" -s $T/control status | grep -q 'quorum 2 of 2'"
sleep 1.5    # keepalives of the reloaded [keepalive] reach the peer
sh -c 'echo $$ > '"$T/client.pid"'; exec "$0" rescue web1 --yes -s "$1"' "$PEER" "$T/peer.sock" \
	> "$T/out" 2> "$T/err"
rc=$?
sed 's/^/# /' "$T/out" "$T/err"
check "rescue web1 --yes: exit status 0 (was $rc)" [ "$rc" = 0 ]
check "... the answer says a verdict went now, the schedule and its end" \
	grep -q '^rescue of web1 requested: a verdict went to 10\.77\.1\.2:[0-9]* now, then every 1s for up to 2m00s from now, until web1 reports its rescue system, stops sending keepalives or boots again' "$T/out"
check "... and that the host's quorum decides" \
	grep -q 'With a quorum of 2 or more, run lifeline-peer rescue web1 on another of its peers too' "$T/out"
cpid=$(cat "$T/client.pid")
check "the daemon logs who asked: uid 0, the client's pid ($cpid), over the status socket" \
	grep -q "host=web1 event=rescue-request uid=0 pid=$cpid at=20[0-9-]*T[0-9:]*Z for=2m00s: rescue of web1 requested by uid 0 (pid $cpid) over the status socket" "$T/peer.log"
check "... then the state and the verdict, marked as the operator's" awk '
	/host=web1 event=rescue-request / && !a { a = NR }
	/host=web1 event=rescue-requested by_uid=0 / && !b { b = NR }
	/host=web1 event=verdict seq=1 .* n=1 reason=rescue-request$/ && !c { c = NR }
	END { exit !(a && b && c && a < b && b < c) }' "$T/peer.log"
check "lifeline counts the verdict as 1 of 2" \
	wait_for 5 sh -c "\"$LIFELINECTL\" -s $T/control log | grep -q 'keepalive: verdict from $PEERIP:7500 (1 of 2 needed within 1m)'"
check "status: rescue-requested, while SSH answers" \
	sh -c "\"$PEER\" status -s $T/peer.sock | grep -Eq '^web1 +rescue-requested +[0-9.]+m?s ago +normal +2222:ok '"
check "JSON: the request, by uid 0 and the client's pid" \
	[ "$(pjson '.hosts[0] | "\(.state) \(.rescue_request.uid) \(.rescue_request.pid)"')" = "rescue-requested 0 $cpid" ]
check "metrics: rescue-requested 1" wait_for 5 grep -qx 'lifeline_peer_host_state{host="web1",state="rescue-requested"} 1' "$T/peer.prom"
# asked again at once: the same schedule, one verdict a second
n0=$(verdicts)
t0=$(now_ms)
rescue web1 --yes > "$T/out2" 2>&1
rescue web1 --yes >> "$T/out2" 2>&1
sed 's/^/# /' "$T/out2"
check "asked again: already requested, no extra verdict" grep -q 'was already requested (by uid 0, [0-9.]*m\?s ago): no extra verdict' "$T/out2"
sleep 3
n1=$(verdicts)
t1=$(now_ms)
note "verdicts in $((t1 - t0)) ms after two more requests: $((n1 - n0)) (verdict_interval 1s)"
check "repeated requests do not multiply datagrams ($((n1 - n0)) in $((t1 - t0)) ms)" \
	[ $((n1 - n0)) -ge 2 ] && [ $((n1 - n0)) -le $(( (t1 - t0) / 1000 + 1 )) ]
check "with quorum 2 the host never acts on them" \
	sh -c "! \"$LIFELINECTL\" -s $T/control log | grep -q 'booting the rescue system'"
rescue web1 --cancel > "$T/out" 2> "$T/err"
rc=$?
sed 's/^/# /' "$T/out" "$T/err"
check "--cancel: exit status 0 (was $rc), the request withdrawn" \
	sh -c "[ $rc = 0 ] && grep -q '^rescue request for web1 cancelled after [0-9]* verdict(s); its state now: up' $T/out"
check "... logged, with who cancelled" grep -q 'host=web1 event=rescue-request-end reason=cancelled verdicts=[0-9]* (cancelled by uid 0 (pid [0-9]*) over the status socket)' "$T/peer.log"
n1=$(verdicts)
sleep 2
check "... no verdict after it, web1 up again" sh -c "[ $(verdicts) = $n1 ] && [ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[0].state')\" = up ]"
rescue web1 --cancel > /dev/null 2> "$T/err"
rc=$?
check "--cancel with nothing to cancel: exit status 1 (was $rc)" \
	sh -c "[ $rc = 1 ] && grep -q 'web1: no rescue request to cancel' $T/err"

# --- quorum = 1: lifeline acts at once ----------------------------------------
host_conf > "$T/lifeline.conf"
ctl reload > /dev/null
check "the host needs 1 of 1 again" wait_for 5 sh -c "\"$LIFELINECTL\" -s $T/control status | grep -q 'quorum 1 of 1'"
sleep 1.5
t0=$(now_ms)
rescue web1 --yes > "$T/out" 2> "$T/err"
rc=$?
check "rescue web1 --yes: exit status 0 (was $rc)" [ "$rc" = 0 ]
while ! ctl log | grep -q "verdict from $PEERIP:7500 (1 of 1 within 1m): booting the rescue system" &&
	[ $(( $(now_ms) - t0 )) -lt 10000 ]; do sleep 0.05; done
took=$(( $(now_ms) - t0 ))
note "command to \"booting the rescue system\": $took ms (the peer's grace: 10 minutes)"
check "lifeline acts on the verdict: booting the rescue system" \
	sh -c "\"$LIFELINECTL\" -s $T/control log | grep -q 'keepalive: verdict from $PEERIP:7500 (1 of 1 within 1m): booting the rescue system'"
check "... within seconds of the command ($took ms <= 5000)" [ "$took" -le 5000 ]
check "... and, not the machine's PID 1, does not reboot" \
	sh -c "\"$LIFELINECTL\" -s $T/control log | grep -q 'not the machine.s PID 1: not booting the rescue system'"
check "no stale verdict at lifeline (each echoes a recent keepalive)" \
	sh -c "! \"$LIFELINECTL\" -s $T/control log | grep -q 'dropped.*stale'"

# --- the host's keepalives stop (as a kexec would): the request ends -------
host_conf none > "$T/lifeline.conf"
ctl reload > /dev/null
check "keepalives stop: the request ends (reason=down)" \
	wait_for 8 grep -q 'host=web1 event=rescue-request-end reason=down verdicts=[1-9]' "$T/peer.log"
check "... web1 is down, no request in the JSON" \
	[ "$(pjson '.hosts[0] | "\(.state) \(.rescue_request)"')" = "down null" ]
n1=$(verdicts)
sleep 2
check "... and no verdict after that" [ "$(verdicts)" = "$n1" ]
rescue web1 --yes > /dev/null 2> "$T/err"
rc=$?
sed 's/^/# /' "$T/err"
check "a request for a down host: refused (exit status $rc), nothing sent" \
	sh -c "[ $rc = 1 ] && grep -q 'web1 is down: no keepalive for' $T/err && [ $(verdicts) = $n1 ]"

kill -TERM "$PEERPID"
wait "$PEERPID"
rc=$?
PEERPID=
check "SIGTERM: the peer exits 0 (was $rc)" [ "$rc" = 0 ]
check "the peer logged no error, no sanitizer report" \
	sh -c "! grep -Eq 'event=error|Sanitizer|runtime error' $T/peer.log"
grep -E 'event=(rescue|verdict)' "$T/peer.log" | head -n 8 | sed 's/^/# /'
finish
