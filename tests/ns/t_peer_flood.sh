#!/bin/sh
# Issue #12 item 1: nobody without a key can cause a rescue, and a host
# whose SSH servers accept but cannot start a session is still rescued.
# Three namespaces on two veth pairs: the host (lifeline as PID 1 with a
# real sshd on 22, LoginGraceTime 10 s and the default MaxStartups, and
# dropbear on 2222), the peer (lifeline-peer probing both ports, grace
# 20 s), and a stranger with 8 addresses (build/tcp-hold).
#   - the peer's own EMFILE (prlimit on the running daemon) for longer
#     than the grace: no verdict, one log line saying it is local;
#   - the stranger keeps 300 connections going to sshd and 40 to
#     dropbear, its first ones spread over 10 s (so that LoginGraceTime
#     frees sshd's slots one at a time, each taken again at once: opened
#     together, they were freed together, and on a loaded machine a probe
#     got in every 10-20 s), so both turn every further connection away
#     without a banner, for 60 s:
#     the peer's probes fail all along, but the host's keepalives say its
#     SSH servers serve new connections (ssh-served): busy, no verdict;
#   - both listeners in a pids cgroup at their limit (every fork fails,
#     sshd and dropbear accept and close): no new connection is served, so
#     the verdict comes once the grace has passed, and lifeline acts on it.
# san: yes
. "$(dirname "$0")/lib.sh"

peer_tools
HOLD=$ROOT/build/tcp-hold
[ -x "$HOLD" ] || { fail "build/tcp-hold exists (make build/tcp-hold)"; exit 1; }
GRACE=20
HOSTIP=10.77.0.2
PEERIP=10.77.0.1
HOSTIP2=10.78.0.2
SH=lfs$$
SS=lft$$
STRANGERNS=
HOLDPID=
CG=
CGROOT=

# the stranger and the cgroup, then what every peer test undoes
flood_cleanup() {
	[ -n "$HOLDPID" ] && kill -KILL "$HOLDPID" 2>/dev/null
	[ -n "$STRANGERNS" ] && kill -KILL "$STRANGERNS" 2>/dev/null
	ip link del "$SH" 2>/dev/null
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		echo max > "$CG/pids.max" 2>/dev/null
		for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do
			echo "$p" > "$CGROOT/cgroup.procs" 2>/dev/null
		done
		rmdir "$CG" 2>/dev/null
	fi
	peer_cleanup
}
trap flood_cleanup EXIT INT TERM

peer_keys

make_keys
# sshd on every address, its pre-authentication limits written out (the
# defaults but LoginGraceTime, which must stay below the peer's grace)
sed -i 's/^ListenAddress .*/ListenAddress 0.0.0.0/' "$T/sshd_config"
printf 'LoginGraceTime 10\nMaxStartups 10:30:100\n' >> "$T/sshd_config"
HOST_SSHD=yes host_conf > "$T/lifeline.conf"
PROBE_INTERVAL=1s PROBE_TIMEOUT=2s DOWN_AFTER=5s PEER_SSH="$HOSTIP:22 $HOSTIP:2222" \
	peer_conf "${GRACE}s" > "$T/peer.conf"
start_ns
for s in rescue-ssh sshd; do wait_for 15 svc_running "$s" || fail "$s runs under lifeline"; done

netns_new STRANGERNS 900
SRCS=10.78.0.11,10.78.0.12,10.78.0.13,10.78.0.14,10.78.0.15,10.78.0.16,10.78.0.17,10.78.0.18
wire() {
	peer_net_setup 900 &&
		ip link add "$SH" type veth peer name "$SS" &&
		ip link set "$SH" netns "$NSPID" && ip link set "$SS" netns "$STRANGERNS" &&
		nsenter -t "$NSPID" -n sh -c "ip addr add $HOSTIP2/24 dev $SH && ip link set $SH up" &&
		nsenter -t "$STRANGERNS" -n sh -c "ip link set lo up && ip link set $SS up &&
			for a in \$(echo $SRCS | tr , ' '); do ip addr add \$a/24 dev $SS || exit 1; done"
}
check "veth pairs: host-peer and host-stranger" wire

check "lifeline-peer starts" peer_start

pstate() { pjson '.hosts[0].state' 2>/dev/null; }
acted() { ctl log 2>/dev/null | grep -c 'keepalive: verdict from .*: booting the rescue system'; }
now_s() { date +%s; }

check "the host comes up at the peer (keepalives, both ports answer)" \
	wait_for 20 sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[0] | \"\(.state) \(.ssh[0].result) \(.ssh[1].result)\"')\" = 'up ok ok' ]"
check "lifeline watches its SSH connections: ports 22 and 2222" \
	sh -c "\"$LIFELINECTL\" -s $T/control status | grep -Eq '^  ssh watch: ports (22 2222|2222 22), '"

# --- 1: the peer's own EMFILE ------------------------------------------
# the soft limit down to 3: every new descriptor (a probe's socket) fails
# with EMFILE; those open stay (and without CAP_SYS_RESOURCE the hard limit
# is left alone, so the soft one can go back)
soft=$(prlimit --pid "$PEERPID" --nofile -o SOFT --noheadings | tr -d ' ')
hard=$(prlimit --pid "$PEERPID" --nofile -o HARD --noheadings | tr -d ' ')
prlimit --pid "$PEERPID" --nofile="3:$hard"
note "lifeline-peer: RLIMIT_NOFILE $soft:$hard lowered to 3:$hard"
sleep $((GRACE + 8))
check "EMFILE on the peer for longer than the grace: no verdict" [ "$(verdicts)" = 0 ]
check "... no 'dead' either" sh -c "! grep -q 'host=web1 event=dead' $T/peer.log"
check "... one line says the probes fail on the peer itself" \
	[ "$(grep -Ec 'event=error probe of host=web1 .* failed on this machine: (Too many open files|No file descriptors available)' "$T/peer.log")" = 1 ]
prlimit --pid "$PEERPID" --nofile="$soft:$hard"
check "... lifeline acted on nothing" [ "$(acted)" = 0 ]
check "limit restored: up, the local errors counted in JSON" \
	wait_for 10 sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[0] | \"\(.state) \(.probe_local_errors > 0)\"')\" = 'up true' ]"

# --- 2: a stranger fills both servers' pre-authentication slots ---------
FLOOD=60
nsenter -t "$STRANGERNS" -n "$HOLD" -t "$FLOOD" -s "$SRCS" -r 10000 "$HOSTIP2:22" 300 "$HOSTIP2:2222" 40 \
	> "$T/hold.out" 2>&1 &
HOLDPID=$!
t0=$(now_s)
: > "$T/states"
while kill -0 "$HOLDPID" 2>/dev/null; do
	echo "$(( $(now_s) - t0 )) $(pjson '.hosts[0] | "\(.state) \(.ssh[0].result) \(.ssh[1].result) \(.state_bits | join("+"))"')" >> "$T/states"
	sleep 1
done
wait "$HOLDPID"
HOLDPID=
sed 's/^/# hold: /' "$T/hold.out"
note "peer's view each second: $(awk '{ print $2 }' "$T/states" | uniq -c | awk '{ printf "%s x%s, ", $2, $1 }')"
# the flood was real: both servers turned connections away without a banner
check "sshd turned the stranger's extra connections away (closed > 0)" \
	awk -F'[ =]' '/target=.*:22 / { for (i = 1; i < NF; i++) if ($i == "closed") c = $(i + 1) } END { exit !(c > 0) }' "$T/hold.out"
check "dropbear too" \
	awk -F'[ =]' '/target=.*:2222 / { for (i = 1; i < NF; i++) if ($i == "closed") c = $(i + 1) } END { exit !(c > 0) }' "$T/hold.out"
# the longest stretch in which no probe of either port got a banner
run=$(awk '$3 != "ok" && $4 != "ok" { n++; if (n > m) m = n; next } { n = 0 } END { print m + 0 }' "$T/states")
note "longest stretch of failing probes on both ports: $run s (grace $GRACE s)"
check "the peer's probes failed on both ports for longer than the grace ($run s > $((GRACE + 5)) s)" \
	[ "$run" -gt $((GRACE + 5)) ]
check "the peer saw the host busy (probes fail, keepalives say ssh-served)" grep -q ' busy ' "$T/states"
check "the flood for $FLOOD s: no verdict" [ "$(verdicts)" = 0 ]
check "... lifeline's status says when it last saw a new connection served" \
	sh -c "\"$LIFELINECTL\" -s $T/control status | grep -Eq '^  ssh watch: ports .*, a new connection served [0-9.]+m?s ago\$'"
check "... no 'dead'" sh -c "! grep -q 'host=web1 event=dead' $T/peer.log"
check "... lifeline acted on nothing" [ "$(acted)" = 0 ]
check "flood over: up again" wait_for 20 sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[0].state')\" = up ]"

# --- 3: the listeners cannot fork a session -----------------------------
if [ -w /sys/fs/cgroup/pids/cgroup.procs ]; then
	CG=/sys/fs/cgroup/pids/lifeline-flood-$$
	CGROOT=/sys/fs/cgroup/pids
elif grep -qw pids /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	echo +pids > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
	CG=/sys/fs/cgroup/lifeline-flood-$$
	CGROOT=/sys/fs/cgroup
fi
if [ -z "$CG" ] || ! mkdir "$CG"; then
	fail "a pids cgroup to make the listeners' forks fail (none writable here)"
	finish
fi
SSHD=$(child_pid sshd)
DB=$(child_pid dropbear)
echo "$SSHD" > "$CG/cgroup.procs" && echo "$DB" > "$CG/cgroup.procs"
echo 2 > "$CG/pids.max"
t0=$(now_s)
check "sshd and dropbear cannot fork: the probes fail" \
	wait_for 10 sh -c "[ \"\$(\"$PEER\" status --json -s $T/peer.sock | jq -r '.hosts[0] | \"\(.ssh[0].result) \(.ssh[1].result)\"')\" = 'closed closed' ]"
while [ "$(verdicts)" = 0 ] && [ $(( $(now_s) - t0 )) -lt 90 ]; do sleep 0.5; done
took=$(( $(now_s) - t0 ))
note "first verdict $took s after the forks started failing (grace $GRACE s, ssh-served held 10 s)"
check "sessions that cannot fork: a verdict" [ "$(verdicts)" -ge 1 ]
check "... not before the grace ($took s >= $GRACE s)" [ "$took" -ge "$GRACE" ]
check "... within grace + 10 s hold + 15 s ($took s)" [ "$took" -le $((GRACE + 25)) ]
check "... lifeline acts on it" wait_for 5 sh -c "[ \"\$(\"$LIFELINECTL\" -s $T/control log | grep -c 'keepalive: verdict from $PEERIP:7500 .*: booting the rescue system')\" -ge 1 ]"
check "... the forks failed for real (pids.events max > 0, or sshd said so)" \
	sh -c "grep -Eq 'max [1-9]' $CG/pids.events 2>/dev/null || \"$LIFELINECTL\" -s $T/control log | grep -q 'fork'"
finish
