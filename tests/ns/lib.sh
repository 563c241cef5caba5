# Shared by the namespace tests (sourced, POSIX sh).
#
# Each test runs lifeline as PID 1 of a new PID + mount + network
# namespace, with private tmpfs on /run, /root and /etc/dropbear so the
# host is untouched.  The real sshd, cron and dropbear run inside; the
# real ssh client logs in through the namespace's loopback (nsenter -n).
#
# Results: ok "name" / fail "name: why" print the lines tests/run.sh counts.

cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
LIFELINE=$ROOT/${LIFELINE:-build/lifeline}
LIFELINECTL=$ROOT/${LIFELINECTL:-build/lifelinectl}
case ${LIFELINE#"$ROOT/"} in /*) LIFELINE=${LIFELINE#"$ROOT/"} ;; esac
case ${LIFELINECTL#"$ROOT/"} in /*) LIFELINECTL=${LIFELINECTL#"$ROOT/"} ;; esac
T=$(mktemp -d /tmp/lifeline-ns.XXXXXX)
chmod 755 "$T"
FAILED=0
NSPID=
UNSHARE_PID=

ok() { echo "ok - $*"; }
fail() { echo "not ok - $*"; FAILED=1; }
check() { # check NAME CMD...: ok if CMD succeeds
	_n=$1; shift
	if "$@"; then ok "$_n"; else fail "$_n"; fi
}
note() { echo "# $*"; }

cleanup() {
	if [ -n "$UNSHARE_PID" ] && kill -0 "$UNSHARE_PID" 2>/dev/null; then
		[ -n "$NSPID" ] && kill -KILL "$NSPID" 2>/dev/null
		sleep 0.2
		kill -KILL "$UNSHARE_PID" 2>/dev/null
	fi
	if [ "$FAILED" != 0 ] && [ -f "$T/console.log" ]; then
		echo "# --- lifeline console (last 40 lines) ---"
		tail -n 40 "$T/console.log" | sed 's/^/# /'
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM

# wait_for SECONDS CMD...: poll CMD every 0.1 s; 0 if it succeeded in time
wait_for() {
	_end=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ $(( $(date +%s%N) / 1000000 )) -ge $_end ] && return 1
		sleep 0.1
	done
}

# Keys for the client, sshd and dropbear, and an sshd config for the ns.
make_keys() {
	ssh-keygen -q -t ed25519 -N '' -f "$T/client_key" -C lifeline-test
	ssh-keygen -q -t ed25519 -N '' -f "$T/ssh_host_ed25519_key"
	dropbearkey -t ed25519 -f "$T/dropbear_key" >/dev/null 2>&1
	cp "$T/client_key.pub" "$T/authorized_keys"
	cat > "$T/sshd_config" <<EOC
Port 22
ListenAddress 127.0.0.1
HostKey $T/ssh_host_ed25519_key
AuthorizedKeysFile $T/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
EOC
}

# The usual services: loopback up, sshd on 22, dropbear on 2222, cron.
# Extra lines for [lifeline] come in $1.
standard_config() {
	cat <<EOC
[lifeline]
$1
[boot lo]
exec = /sbin/ip link set lo up
[boot run-sshd]
exec = /bin/mkdir -p -m 0755 /run/sshd
[service rescue-ssh]
exec = /usr/sbin/dropbear -F -E -s -j -k -p 127.0.0.1:2222 -r $T/dropbear_key
early = yes
protect = yes
[service sshd]
exec = /usr/sbin/sshd -D -e -f $T/sshd_config
protect = yes
[service cron]
exec = /usr/sbin/cron -f
EOC
}

# start_ns [CONFIG]: boot lifeline in new namespaces (default $T/lifeline.conf);
# the shell lines in $NS_SETUP run in them first (bind mounts, say)
start_ns() {
	_conf=${1:-$T/lifeline.conf}
	cat > "$T/ns-init.sh" <<EOC
set -e
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=0700 tmpfs /root
mkdir -m 0700 /root/.ssh
cp $T/client_key.pub /root/.ssh/authorized_keys 2>/dev/null || true
mkdir -p /etc/dropbear
mount -t tmpfs -o mode=0755 tmpfs /etc/dropbear
${NS_SETUP:-}
exec $LIFELINE -c $_conf -s $T/control
EOC
	unshare --pid --fork --mount --net --mount-proc --propagation private \
		sh "$T/ns-init.sh" > "$T/console.log" 2>&1 &
	UNSHARE_PID=$!
	# the namespace's PID 1 is unshare's child
	wait_for 5 sh -c "pgrep -P $UNSHARE_PID >/dev/null" || { fail "namespace started"; exit 1; }
	NSPID=$(pgrep -P "$UNSHARE_PID")
	if ! wait_for 10 test -S "$T/control"; then
		fail "lifeline opened its control socket"
		exit 1
	fi
}

ctl() { "$LIFELINECTL" -s "$T/control" "$@"; }

# peer_tools: PEER, lifeline-peer (its ASan build when lifeline's is), and
# KT, build/ka-tool; the test ends if either is missing
peer_tools() {
	PEER=$ROOT/build/lifeline-peer
	case $LIFELINE in */san/*) PEER=$ROOT/build/san/lifeline-peer ;; esac
	KT=$ROOT/build/ka-tool
	for b in "$PEER" "$KT"; do
		[ -x "$b" ] || { fail "$b exists (make)"; exit 1; }
	done
}

# boot_standard [LIFELINE-SETTINGS]: keys, the usual services, boot, and
# wait (bounded) for the three of them to run
boot_standard() {
	make_keys
	standard_config "${1:-}" > "$T/lifeline.conf"
	start_ns
	for _s in rescue-ssh sshd cron; do wait_for 15 svc_running "$_s"; done
}

# in_ns CMD...: run CMD in the namespaces (net, pid, mount)
in_ns() { nsenter -t "$NSPID" -n -p -m -- "$@"; }

# login PORT: a real ssh login through the namespace's loopback
login() {
	nsenter -t "$NSPID" -n -- ssh -q -i "$T/client_key" -p "$1" \
		-o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 \
		-o LogLevel=ERROR root@127.0.0.1 echo logged-in 2>&1 | grep -q logged-in
}

# svc_pid NAME: the PID (in the namespace) status shows for NAME, or -
svc_pid() { ctl status 2>/dev/null | awk -v n="$1" '$1 == n { print $4 }'; }
svc_state() { ctl status 2>/dev/null | awk -v n="$1" '$1 == n { print $3 }'; }
svc_running() { [ "$(svc_state "$1")" = running ]; }
# child_pid COMM: host PID of lifeline's child named COMM
child_pid() { pgrep -P "$NSPID" -x "$1" | head -n 1; }

# stat_field PID N: field N of /proc/PID/stat (counting from 1; comm-safe)
stat_field() { sed 's/.*) //' "/proc/$1/stat" | awk -v n="$2" '{ print $(n - 2) }'; }

# ---- shutdown: the namespace's init ends (t_poweroff.sh, t_initctl.sh) ----

# in_order FILE REGEX...: each (grep -E) REGEX matches a line of FILE
# after the line the previous one matched
in_order() {
	_io_f=$1; shift
	_io_from=0
	for _io_re in "$@"; do
		_io_at=$(awk -v from="$_io_from" -v re="$_io_re" 'NR > from && $0 ~ re { print NR; exit }' "$_io_f")
		if [ -z "$_io_at" ]; then
			note "in $_io_f: no line matching /$_io_re/ after line $_io_from"
			return 1
		fi
		_io_from=$_io_at
	done
}

# gone PID: PID has exited (a zombie waiting for `wait` counts as gone)
gone() {
	[ ! -e "/proc/$1" ] && return 0
	[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ]
}

# wait_down: wait up to 30 s for the namespace to end.  Sets RC: wait's
# status of unshare, or "timeout" (then both are killed).  The next boot
# can start_ns again.
wait_down() {
	if wait_for 30 gone "$UNSHARE_PID"; then
		wait "$UNSHARE_PID"
		RC=$?
	else
		RC=timeout
		kill -KILL "$NSPID" 2>/dev/null
		sleep 0.2
		kill -KILL "$UNSHARE_PID" 2>/dev/null
		wait "$UNSHARE_PID" 2>/dev/null
	fi
	UNSHARE_PID=
	NSPID=
}

# ---- a lifeline-peer next to the namespace (t_peer*.sh) ----
# The peer runs in a network namespace of its own: PEERNS is the PID of a
# process that holds it, PEERPID the daemon's.  A veth pair joins it to
# lifeline's namespace: VH on lifeline's side, VP on the peer's, with
# HOSTIP and PEERIP (both IPv4, /24, or both IPv6, /64), which the test sets.
PEERNS=
PEERPID=
VH=vh$$
VP=vp$$

# peer_cleanup: the EXIT trap of a test with a peer (a test with more to
# undo does that, then calls this): the daemon, its namespace, the veth
# pair, the peer's log when a check failed, then cleanup
peer_cleanup() {
	[ -n "$PEERPID" ] && kill -TERM "$PEERPID" 2>/dev/null
	[ -n "$PEERNS" ] && kill -KILL "$PEERNS" 2>/dev/null
	ip link del "$VH" 2>/dev/null
	if [ "$FAILED" != 0 ] && [ -f "$T/peer.log" ]; then
		echo "# --- lifeline-peer log (last 30 lines) ---"
		tail -n 30 "$T/peer.log" | sed 's/^/# /'
	fi
	cleanup
}

# netns_new VAR [SECONDS]: VAR = the PID of a process (sleep SECONDS, 600
# by default) in a new network namespace; 0 once it is in it
netns_new() {
	unshare --net sleep "${2:-600}" &
	eval "$1=\$!"
	wait_for 5 sh -c "[ \"\$(readlink /proc/$!/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
}

# hostport ADDR PORT: ADDR:PORT, an IPv6 ADDR in brackets
hostport() {
	case $1 in
	*:*) echo "[$1]:$2" ;;
	*) echo "$1:$2" ;;
	esac
}

# peer_keys: web1's keepalive key for lifeline ($T/host.key) and the peer's
# copy of it ($T/peer-web1.key: the same content, its own file)
peer_keys() {
	"$LIFELINECTL" keygen "$T/host.key" > /dev/null || { fail "lifelinectl keygen"; exit 1; }
	cp "$T/host.key" "$T/peer-web1.key" && chmod 600 "$T/peer-web1.key"
}

# host_conf [KEEPALIVE-EXTRA | none]: lifeline.conf for the host web1: lo
# up and the rescue dropbear on port 2222 (with HOST_SSHD=yes also sshd, as
# make_keys configured it), then [keepalive] to the peer every 500 ms with
# the extra lines, or, with "none", no [keepalive]
host_conf() {
	printf '[boot lo]\nexec = /sbin/ip link set lo up\n'
	if [ "${HOST_SSHD:-}" = yes ]; then
		printf '[boot run-sshd]\nexec = /bin/mkdir -p -m 0755 /run/sshd\n'
	fi
	cat <<EOC
[service rescue-ssh]
exec = /usr/sbin/dropbear -F -E -s -j -k -p 2222 -r $T/dropbear_key
early = yes
protect = yes
EOC
	if [ "${HOST_SSHD:-}" = yes ]; then
		printf '[service sshd]\nexec = /usr/sbin/sshd -D -e -f %s\nprotect = yes\n' \
			"$T/sshd_config"
	fi
	[ "${1:-}" = none ] && return
	printf '[keepalive]\npeer = %s\nkey = %s\nhost = web1\ninterval = 500ms\n%s\n' \
		"$(hostport "$PEERIP" 7500)" "$T/host.key" "${1:-}"
}

# peer_conf GRACE [MORE]: lifeline-peer's peer.conf: it listens on PEERIP
# port 7500, gives the grace GRACE, probes every PROBE_INTERVAL (500ms)
# with a PROBE_TIMEOUT (1s), repeats a verdict every second, says down
# after DOWN_AFTER (3s), serves $T/peer.sock, and writes $T/peer.prom each
# second if PEER_METRICS=yes (else no metrics); [host web1] at HOSTIP, its
# SSH probed at PEER_SSH (default: HOSTIP port 2222); MORE at the end
# (other hosts' sections)
peer_conf() {
	_pc_metrics="metrics = no"
	[ "${PEER_METRICS:-}" = yes ] &&
		_pc_metrics="metrics = $T/peer.prom
metrics_interval = 1s"
	cat <<EOC
[peer]
listen = $(hostport "$PEERIP" 7500)
grace = $1
probe_interval = ${PROBE_INTERVAL:-500ms}
probe_timeout = ${PROBE_TIMEOUT:-1s}
verdict_interval = 1s
down_after = ${DOWN_AFTER:-3s}
socket = $T/peer.sock
$_pc_metrics

[host web1]
key = $T/peer-web1.key
address = $HOSTIP
ssh = ${PEER_SSH:-$(hostport "$HOSTIP" 2222)}
${2:-}
EOC
}

# peer_net_setup [SECONDS]: the peer's namespace (PEERNS, held for SECONDS)
# and the veth pair between it and lifeline's (started by start_ns), the
# addresses up; 0 if all went
peer_net_setup() {
	netns_new PEERNS "${1:-600}"
	case $HOSTIP in
	*:*) _pn_add="ip -6 addr add" _pn_len=64 _pn_opt=" nodad" ;;
	*) _pn_add="ip addr add" _pn_len=24 _pn_opt= ;;
	esac
	ip link add "$VH" type veth peer name "$VP" &&
		ip link set "$VH" netns "$NSPID" && ip link set "$VP" netns "$PEERNS" &&
		nsenter -t "$NSPID" -n sh -c "$_pn_add $HOSTIP/$_pn_len dev $VH$_pn_opt &&
			ip link set $VH up" &&
		nsenter -t "$PEERNS" -n sh -c "ip link set lo up &&
			$_pn_add $PEERIP/$_pn_len dev $VP$_pn_opt && ip link set $VP up"
}

# peer_start: lifeline-peer with $T/peer.conf in the peer's namespace
# (stdout in $T/peer.out, the log in $T/peer.log); 0 once its socket is there
peer_start() {
	nsenter -t "$PEERNS" -n "$PEER" -c "$T/peer.conf" > "$T/peer.out" 2> "$T/peer.log" \
		< /dev/null &
	PEERPID=$!
	wait_for 10 test -S "$T/peer.sock"
}

# pjson FILTER: jq -r FILTER on the peer's status --json
pjson() { "$PEER" status --json -s "$T/peer.sock" | jq -r "$1"; }
# verdicts: how many verdicts for web1 the peer has logged
verdicts() { grep -c 'host=web1 event=verdict ' "$T/peer.log"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

finish() { exit "$FAILED"; }
