# Shared by the end-to-end tests (sourced, POSIX sh): the Debian kernel
# boots an image in QEMU (-accel tcg: no KVM here), user networking
# forwards two free loopback ports to the guest's 22 and 2222, and the
# serial console goes to a log.  Every wait is bounded.
#
#   qemu_boot IMAGE [APPEND]   boot; sets QPID, P22, P2222, SERIAL
#   wait_banner PORT SECONDS   until the port answers "SSH-"
#   gssh PORT CMD...           run CMD in the guest as root over ssh
#   qemu_wait_exit SECONDS     until QEMU has exited (0) or not (1)
#   boot_system WHAT           boot the system image, both banners, logins
# Environment of qemu_boot: QEMU_PANIC (kernel parameters in place of
# " panic=-1", which makes a panic end QEMU at once), QEMU_MEM (MiB, default 512), QEMU_EXTRA (more
# QEMU arguments), QEMU_QMP=1 (a QMP socket $QMP, for `qmp`), BOOT_APPEND
# (more kernel parameters for boot_system), BOOT_INIT (boot_system's
# rdinit=, default /sbin/lifeline).
#
# Memory guard helpers (issue #5):
#   qmp JSON                   one QMP command; prints its reply line
#   gpid PORT COMM             PID of the process COMM whose parent is PID 1
#   gjson PORT FILTER          jq FILTER over `lifelinectl status --json`
#   hog_fg PORT OUT ARGS...    run `hog ARGS` in the foreground of an SSH
#                              session in the background; each line of its
#                              output into OUT after the host's time in ms
#   hog_t0 OUT SECONDS         the host's time of "hog: start" in OUT
#   has_line TEXT ERE          a line of TEXT matches ERE
#   num TEXT                   TEXT if it is a whole number, else 0
#   within MS LIMIT            MS is a number no greater than LIMIT
#   listeners_init             sshd_pid, drop_pid: the two listeners' PIDs
#   hog_run WHAT [ARGS]        `hog ARGS` in the foreground of a port-22
#                              session; checks that it is killed, that the
#                              listeners live on and that a new login on
#                              each port, started after the hog's session
#                              ended, succeeds within 10 s of the start of
#                              the allocation (the host's receipt of "hog:
#                              start"); sets GUARD_KILLS (kills of the hog
#                              by lifeline's guard during the run)
#   check_sessions CGREGEX     on both ports: a login shell and a command
#                              in it have oom_score_adj 0, and the shell's
#                              /proc/self/cgroup matches CGREGEX
#   login_by PORT T0 SECONDS   logins until one succeeds, at most until
#                              T0 + SECONDS (ms); prints the time from T0
#                              to that success
# Results: ok / fail / check / note / finish, as in tests/ns/lib.sh.

cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
T=$(mktemp -d /tmp/lifeline-e2e.XXXXXX)
FAILED=0
QPID=
KVER=${KVER:-$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -n 1)}
KERNEL=/boot/vmlinuz-$KVER
# the test client's key, baked into the images by `make system-image`
KEY=${E2E_KEY:-$ROOT/build/e2e/client_key}

ok() { echo "ok - $*"; }
fail() { echo "not ok - $*"; FAILED=1; }
check() {
	_check_name=$1; shift
	if "$@"; then ok "$_check_name"; else fail "$_check_name"; fi
}
note() { echo "# $*"; }
finish() { exit "$FAILED"; }

# show_boot LINES: what QEMU itself said (a host port it could not bind)
# and the last LINES of the guest's console, as notes in the test's log
show_boot() {
	if [ -s "$T/qemu.out" ]; then
		echo "# --- QEMU's own output ---"
		sed 's/^/# /' "$T/qemu.out"
	fi
	if [ -f "${SERIAL:-/nonexistent}" ]; then
		echo "# --- serial console (last $1 lines) ---"
		tail -n "$1" "$SERIAL" | sed 's/^/# /'
	fi
}

e2e_cleanup() {
	[ -n "$QPID" ] && kill -KILL "$QPID" 2>/dev/null
	[ -n "${PEER_PID:-}" ] && kill -TERM "$PEER_PID" 2>/dev/null
	[ "$FAILED" != 0 ] && show_boot 60
	if [ "$FAILED" != 0 ] && [ -s "${PEER_LOG:-/nonexistent}" ]; then
		echo "# --- lifeline-peer's log (last 30 lines) ---"
		tail -n 30 "$PEER_LOG" | sed 's/^/# /'
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap e2e_cleanup EXIT INT TERM

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

wait_for() {
	_end=$(( $(now_ms) + $1 * 1000 )); shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(now_ms)" -ge $_end ] && return 1
		sleep 0.2
	done
}

# a loopback port nobody listens on
free_port() {
	_p=$(( 20000 + ($$ * 7 + ${1:-0} * 13) % 20000 ))
	while ss -ltnH "sport = :$_p" 2>/dev/null | grep -q .; do _p=$((_p + 1)); done
	echo "$_p"
}

qemu_boot() {
	_img=$1
	_append=${2:-}
	[ -r "$KERNEL" ] || { fail "kernel $KERNEL readable (apt-get install linux-image-amd64)"; exit 1; }
	[ -r "$_img" ] || { fail "image $_img built"; exit 1; }
	P22=$(free_port 1)
	P2222=$(free_port 2)
	[ "$P2222" = "$P22" ] && P2222=$((P22 + 1))
	SERIAL=$T/serial.log
	BOOT_MS=$(now_ms)
	QMP=
	if [ "${QEMU_QMP:-0}" = 1 ]; then
		QMP=$T/qmp.sock
		set -- -qmp "unix:$QMP,server=on,wait=off"
	else
		set --
	fi
	# QEMU_EXTRA is a list of arguments.  A wrapper of the test's own in
	# $T (t_rescue has one) adds them itself: not twice.
	case $(command -v qemu-system-x86_64) in
	"$T"/*) ;;
	*) # shellcheck disable=SC2086
	   set -- "$@" ${QEMU_EXTRA:-} ;;
	esac
	# +rdrand: the kernel (RANDOM_TRUST_CPU) has its random numbers at
	# boot, as on real x86 servers; without it getrandom() in sshd's start
	# waited on the kernel's jitter entropy, which on a starved TCG vCPU
	# took past t_idle's 120 s (an RCU stall in __x64_sys_getrandom)
	qemu-system-x86_64 -accel tcg -cpu qemu64,+rdrand -smp 2 -m "${QEMU_MEM:-512}" "$@" \
		-nographic -no-reboot -monitor none \
		-kernel "$KERNEL" -initrd "$_img" \
		-append "console=ttyS0${QEMU_PANIC-" panic=-1"} $_append" \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$P22-:22,hostfwd=tcp:127.0.0.1:$P2222-:2222" \
		-device virtio-net-pci,netdev=n0 \
		-serial "file:$SERIAL" > "$T/qemu.out" 2>&1 < /dev/null &
	QPID=$!
}

# "SSH-" from the port within SECONDS; prints the time since boot in ms
banner() { timeout 1 busybox nc 127.0.0.1 "$1" < /dev/null 2>/dev/null | head -c 4 | grep -q '^SSH-'; }
wait_banner() {
	if wait_for "$2" banner "$1"; then
		echo $(( $(now_ms) - BOOT_MS ))
		return 0
	fi
	return 1
}

gssh() {
	_port=$1; shift
	ssh -q -i "$KEY" -p "$_port" -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 -o LogLevel=ERROR \
		root@127.0.0.1 "$@"
}

login() { gssh "$1" echo logged-in 2>/dev/null | grep -q logged-in; }

qemu_wait_exit() {
	wait_for "$1" sh -c "! kill -0 $QPID 2>/dev/null" || return 1
	wait "$QPID" 2>/dev/null
	QPID=
	return 0
}

# boot_system WHAT: boot build/system.img (or $SYSTEM_IMG) with lifeline as PID 1, wait for
# both banners (the test ends if none comes) and log in on both ports
boot_system() {
	qemu_boot "${SYSTEM_IMG:-build/system.img}" "rdinit=${BOOT_INIT:-/sbin/lifeline}${BOOT_APPEND:+ $BOOT_APPEND}"
	wait_banner "$P22" 120 >/dev/null || { fail "SSH banner on port 22 within 120 s"; finish; }
	wait_banner "$P2222" 30 >/dev/null || { fail "SSH banner on port 2222 within 30 s"; finish; }
	check "login on port 22 before $1" login "$P22"
	check "login on port 2222 before $1" login "$P2222"
}

# ---- memory guard (issue #5) ----

# qmp JSON: QEMU's machine protocol over $QMP (QEMU_QMP=1): the capability
# handshake, then JSON; prints JSON's reply ({"return": ...} or
# {"error": ...}), not the events around it.  Needs socat.
qmp() {
	[ -n "$QMP" ] || { echo "qmp: boot with QEMU_QMP=1" >&2; return 1; }
	command -v socat >/dev/null || { echo "qmp: socat is missing (apt-get install socat)" >&2; return 1; }
	printf '{"execute":"qmp_capabilities"}\n%s\n' "$1" |
		socat -t 3 - "UNIX-CONNECT:$QMP" 2>/dev/null |
		grep -E '"(return|error)"' | sed -n '2p'
}

gpid() {
	gssh "$1" "ps -o pid,ppid,comm | awk '\$2 == 1 && \$3 == \"$2\" { print \$1 }'" 2>/dev/null
}

gjson() {
	gssh "$1" lifelinectl status --json 2>/dev/null | jq -r "$2" 2>/dev/null
}

# the listener PIDs of both SSH servers and whether they are unchanged
listeners() { echo "$(gpid "$P22" sshd) $(gpid "$P22" dropbear)"; }

listeners_init() {
	set -- $(listeners)
	sshd_pid=${1:-} drop_pid=${2:-}
}

stamp_lines() { while IFS= read -r sl_line; do echo "$(now_ms) $sl_line"; done; }

hog_fg() {
	hf_port=$1 hf_out=$2; shift 2
	: > "$hf_out"
	( gssh "$hf_port" hog "$@" 2>&1; echo "ssh-exit $?" ) | stamp_lines >> "$hf_out" &
	HOG_SSH=$!
}

hog_t0() {
	wait_for "$2" grep -q ' hog: start$' "$1" || return 1
	awk '$2 == "hog:" && $3 == "start" { print $1; exit }' "$1"
}

# the session (ssh) of hog_fg has ended
hog_fg_done() { grep -q ' ssh-exit ' "$1"; }

has_line() { printf '%s\n' "$1" | grep -Eq "$2"; }

num() { case $1 in ''|-|*[!0-9-]*|?*-*) echo 0 ;; *) echo "$1" ;; esac; }

within() { [ -n "$1" ] && [ "$1" -le "$2" ]; }

login_by() {
	lb_end=$(( $2 + $3 * 1000 ))
	while :; do
		lb_left=$(( (lb_end - $(now_ms) + 999) / 1000 ))
		[ "$lb_left" -gt 0 ] || return 1
		# gssh is a function, which timeout cannot run
		if timeout "$lb_left" ssh -q -i "$KEY" -p "$1" -o BatchMode=yes \
			-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
			-o ConnectTimeout=10 -o LogLevel=ERROR root@127.0.0.1 \
			echo logged-in 2>/dev/null | grep -q logged-in; then
			echo $(( $(now_ms) - $2 ))
			return 0
		fi
		sleep 0.2
	done
}

check_sessions() {
	cs_re=$1
	for cs_port in "$P22" "$P2222"; do
		[ "$cs_port" = "$P22" ] && cs_name="port 22 (sshd)" || cs_name="port 2222 (dropbear)"
		# the shell's own value, then a command's (cat), the shell's
		# group, and the per-connection server process (its parent)
		cs_out=$(gssh "$cs_port" 'cat /proc/$$/oom_score_adj; cat /proc/self/oom_score_adj
			echo "cg $(cat /proc/$$/cgroup)"
			echo "parent $(cat /proc/$PPID/comm) $(cat /proc/$PPID/oom_score_adj) $(cat /proc/$PPID/cgroup)"' 2>/dev/null)
		set -- $cs_out
		check "$cs_name: the login shell's oom_score_adj is 0 (got: ${1:-none})" [ "${1:-}" = 0 ]
		check "$cs_name: a command's in that shell is 0 (got: ${2:-none})" [ "${2:-}" = 0 ]
		cs_cg=$(printf '%s\n' "$cs_out" | sed -n 's/^cg //p')
		check "$cs_name: the session's cgroup matches $cs_re (got: $cs_cg)" sh -c \
			'printf "%s\n" "$2" | grep -Eq "$1"' _ "$cs_re" "$cs_cg"
		note "$cs_name: the shell's parent: $(printf '%s\n' "$cs_out" | sed -n 's/^parent //p')"
	done
}

no_hog() { gssh "$P22" 'pidof hog >/dev/null || echo none' 2>/dev/null | grep -q none; }

hog_run() {
	what=$1; shift
	kmsg=$(gssh "$P22" dmesg 2>/dev/null)
	before=$(printf '%s\n' "$kmsg" | grep -Ec 'memory guard: killed hog |Killed process [0-9]+ \(hog\)')
	gbefore=$(printf '%s\n' "$kmsg" | grep -c 'memory guard: killed hog ')
	hog_fg "$P22" "$T/hog.out" "$@"
	if ! t0=$(hog_t0 "$T/hog.out" 60); then
		fail "$what: the hog started (no \"hog: start\" within 60 s)"
		return
	fi
	check "$what: the hog's session ends (the hog was killed) within 120 s" \
		wait_for 120 hog_fg_done "$T/hog.out"
	t_end=$(awk '$2 == "ssh-exit" { print $1 }' "$T/hog.out")
	note "$what: the hog's session ended $(( ${t_end:-0} - t0 )) ms after the start of the allocation ($(grep -c 'MiB$' "$T/hog.out") progress lines; $(grep ssh-exit "$T/hog.out" | cut -d' ' -f2-))"
	# new logins, both ports at once, each started after the session ended
	login_by "$P22" "$t0" 60 > "$T/l22" &
	l22=$!
	login_by "$P2222" "$t0" 60 > "$T/l2222" &
	l2222=$!
	wait "$l22"; wait "$l2222"
	ms22=$(cat "$T/l22") ms2222=$(cat "$T/l2222")
	check "$what: a new login on port 22 within 10 s of the allocation's start (${ms22:-no login in 60 s} ms)" \
		within "$ms22" 10000
	check "$what: a new login on port 2222 within 10 s of the allocation's start (${ms2222:-no login in 60 s} ms)" \
		within "$ms2222" 10000

	kmsg=$(gssh "$P22" dmesg 2>/dev/null)
	after=$(printf '%s\n' "$kmsg" | grep -Ec 'memory guard: killed hog |Killed process [0-9]+ \(hog\)')
	check "$what: the kernel log records the hog's kill (by the guard or the kernel)" \
		[ "${after:-0}" -gt "${before:-0}" ]
	GUARD_KILLS=$(( $(printf '%s\n' "$kmsg" | grep -c 'memory guard: killed hog ') - gbefore ))
	check "$what: no hog left" wait_for 30 no_hog
	printf '%s\n' "$kmsg" | grep -E 'memory guard: killed|Killed process|memory: MemTotal' |
		tail -n 8 | sed "s/^/# $what: kernel log: /"
	check "$what: the sshd listener and the rescue dropbear kept their PIDs" \
		[ "$(listeners)" = "$sshd_pid $drop_pid" ]
	for p in $sshd_pid $drop_pid; do
		check "$what: PID $p (a listener) was never killed (kernel log)" sh -c \
			"! printf '%s\n' \"\$1\" | grep -Eq 'Killed process $p |memory guard: killed [^ ]+ \\(pid $p,'" _ "$kmsg"
	done
	json=$(gssh "$P22" lifelinectl status --json 2>/dev/null)
	for s in sshd rescue-ssh; do
		r=$(printf '%s' "$json" | jq -r ".units[] | select(.name == \"$s\") | .restarts")
		check "$what: $s restarts 0 (got: $r)" [ "$r" = 0 ]
	done
	note "$what: status memory: $(printf '%s' "$json" | jq -c '.memory | {kills, threshold_kb, last_kill}' 2>/dev/null)"
}

# ---- rescue escalation (issue #6) ----
#   boot_e2e WHAT NAME [APPEND]  boot_system with the test configuration
#                              NAME (initramfs/system/e2e-NAME.conf, picked
#                              by rdinit=/usr/lib/lifeline-test/e2e-init);
#                              APPEND: more kernel parameters, among them
#                              lifeline.e2e.KEY=VALUE for its @KEY@s
#   serial_has ERE             a line of the serial console matches ERE
#   serial_count ERE           how many do
#   serial_hasnt ERE           no line does
#   pid1_is PORT COMM          the guest's PID 1 is COMM (over ssh on PORT)
#   KA_KEY                     the test keepalive key, also in the image
#                              as /etc/lifeline/keepalive.key
#   free_udp N                 a loopback UDP port nobody uses
#   peer_start GRACE [MORE]    build/lifeline-peer on 127.0.0.1:$PEER_PORT
#                              (set it before the boot, the guest sends to
#                              10.0.2.2:$PEER_PORT), watching the guest as
#                              host lifeline-test from 127.0.0.1 with its
#                              SSH ports $P22 and $P2222; grace GRACE; MORE:
#                              more [peer] lines; its log lines, each after
#                              the host's time in ms, go to $PEER_LOG;
#                              sets PEER_PID
#   peer_stop                  ends it
#   peer_json FILTER           jq FILTER over `lifeline-peer status --json`
#   peer_host FILTER           ... over the guest's entry in it
#   peer_event EVENT           the host's time in ms of the first log line
#                              of host=lifeline-test event=EVENT (empty:
#                              none yet)
KA_KEY=$ROOT/build/e2e/system-keys/keepalive.key

boot_e2e() {
	BOOT_INIT=/usr/lib/lifeline-test/e2e-init \
	BOOT_APPEND="lifeline.e2e=$2${3:+ $3}" boot_system "$1"
}

serial_has() { grep -Eq "$1" "$SERIAL" 2>/dev/null; }
serial_count() { grep -Ec "$1" "$SERIAL" 2>/dev/null; }
serial_hasnt() { ! grep -Eq "$1" "$SERIAL" 2>/dev/null; }
pid1_is() { [ "$(gssh "$1" cat /proc/1/comm 2>/dev/null)" = "$2" ]; }

free_udp() {
	_p=$(( 20000 + ($$ * 11 + ${1:-0} * 17) % 20000 ))
	while ss -lunH "sport = :$_p" 2>/dev/null | grep -q .; do _p=$((_p + 1)); done
	echo "$_p"
}

PEER_PID=
PEER_LOG=$T/peer.log
peer_start() {
	cat > "$T/peer.conf" <<EOC
[peer]
listen = 127.0.0.1:$PEER_PORT
grace = $1
probe_interval = 1s
probe_timeout = 3s
verdict_interval = 2s
down_after = 10s
socket = $T/peer.sock
metrics = $T/peer.prom
metrics_interval = 1s
${2:-}

[host lifeline-test]
key = $KA_KEY
address = 127.0.0.1
ssh = 127.0.0.1:$P22 127.0.0.1:$P2222
EOC
	: > "$PEER_LOG"
	rm -f "$T/peer.fifo" "$T/peer.sock"
	mkfifo "$T/peer.fifo" || return 1
	stamp_lines < "$T/peer.fifo" >> "$PEER_LOG" &
	"$ROOT/build/lifeline-peer" -c "$T/peer.conf" > "$T/peer.fifo" 2>&1 < /dev/null &
	PEER_PID=$!
	wait_for 10 test -S "$T/peer.sock"
}

peer_stop() {
	[ -n "$PEER_PID" ] || return 0
	kill -TERM "$PEER_PID" 2>/dev/null
	wait "$PEER_PID" 2>/dev/null
	PEER_PID=
}

peer_json() {
	"$ROOT/build/lifeline-peer" status --json -s "$T/peer.sock" 2>/dev/null | jq -r "$1" 2>/dev/null
}
peer_host() { peer_json ".hosts[] | select(.host == \"lifeline-test\") | $1"; }

peer_event() {
	awk -v e="event=$1" '$0 ~ /host=lifeline-test / && index($0, e " ") { print $1; exit }' "$PEER_LOG"
}

# ---- balloon squeezes (issue #11) ----
# Boot with QEMU_QMP=1 and QEMU_EXTRA="-device virtio-balloon-pci,id=balloon0"
# (the id is what balloon_stats asks for).
#   balloon_mib                QMP's `actual` of the balloon, in MiB (the
#                              memory the guest has now), empty if none
#   balloon_to MIB             QMP `balloon` to MIB MiB; 0 if accepted
#   balloon_settle MIB MAX QUIET  waits until `actual` is within 1 MiB of
#                              MIB, or has not changed for QUIET s, or MAX
#                              s have passed; prints "MS ACTUAL HOW": the
#                              host's time in ms when `actual` took its
#                              last value, that value, and HOW = reached,
#                              stalled or moving (MAX ran out)
#   balloon_stats              "TOTAL AVAIL", the guest's MemTotal and
#                              MemAvailable in KiB from the balloon's guest
#                              statistics (no login needed: they work when
#                              SSH does not); empty if none
#   hogs_start N MIB           N `hog -s MIB` each in the foreground of an
#                              SSH session, alternately on port 22 and 2222
#                              (output in $T/hogN.out, as hog_fg); sets
#                              HOGS_UP to how many reached MIB - 8 MiB
#                              within 180 s (not for $(...): the sessions
#                              would hold its pipe open)
#   squeeze_to MIB MAX QUIET   the balloon to MIB, then login rounds until
#                              it stays put: wait for balloon_settle (MAX,
#                              QUIET), try a login on both ports at once
#                              for 10 s, and go again if `actual` moved
#                              meanwhile (a login's allocation is often
#                              what makes the kernel kill a hog that held
#                              the balloon back: with nothing allocating,
#                              a balloon stalled by hogs stays stalled);
#                              at most MAX s in all.  Sets SQ_ACTUAL,
#                              SQ_HOW (reached/stalled/moving/gone: QEMU
#                              ended, a panic), SQ_ROUNDS, SQ_22 and
#                              SQ_2222 (each round's login time in ms from
#                              the round's start, or "no", comma-separated),
#                              SQ_SETTLE_MS (the command to the last
#                              settle), SQ_LOG (a line per round); 1 if the
#                              QMP command was refused
#   serial_since LINE          the serial console from line LINE + 1 on
#   kills_in TEXT              a summary of the kills in a piece of kernel
#                              log: "guard:NAME*K kernel:NAME*K
#                              earlyoom:NAME*K" (lifeline's "memory guard:
#                              killed", the kernel's "Killed process",
#                              earlyoom's "sending SIG..."), "-" if none
#   panicked                   the serial console says "Kernel panic"
balloon_mib() {
	qmp '{"execute":"query-balloon"}' | sed -n 's/.*"actual": *\([0-9]*\).*/\1/p' |
		awk '{ print int($1 / 1048576) }'
}

balloon_to() {
	qmp "{\"execute\":\"balloon\",\"arguments\":{\"value\":$(( $1 * 1048576 ))}}" | grep -q '"return"'
}

balloon_settle() {
	bs_end=$(( $(now_ms) + $2 * 1000 )) bs_last= bs_t=$(now_ms)
	while :; do
		bs_a=$(balloon_mib)
		bs_now=$(now_ms)
		# a failed query (QEMU busy, or gone) is no change
		if [ -n "$bs_a" ] && [ "$bs_a" != "$bs_last" ]; then
			bs_last=$bs_a bs_t=$bs_now
		fi
		if [ -n "$bs_last" ] && [ "$bs_last" -le $(( $1 + 1 )) ] && [ "$bs_last" -ge $(( $1 - 1 )) ]; then
			echo "$bs_t $bs_last reached"; return 0
		fi
		if [ $(( bs_now - bs_t )) -ge $(( $3 * 1000 )) ]; then
			echo "$bs_t ${bs_last:--} stalled"; return 0
		fi
		if [ "$bs_now" -ge "$bs_end" ]; then
			echo "$bs_t ${bs_last:--} moving"; return 1
		fi
		sleep 0.5
	done
}

balloon_stats() {
	qmp '{"execute":"qom-set","arguments":{"path":"/machine/peripheral/balloon0","property":"guest-stats-polling-interval","value":1}}' >/dev/null
	qmp '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/balloon0","property":"guest-stats"}}' |
		jq -r '.return.stats | "\(."stat-total-memory" / 1024 | floor) \(."stat-available-memory" / 1024 | floor)"' 2>/dev/null |
		grep -E '^[0-9]+ [0-9]+$'
}

hogs_start() {
	hs_i=1
	while [ "$hs_i" -le "$1" ]; do
		[ $((hs_i % 2)) = 1 ] && hs_port=$P22 || hs_port=$P2222
		hog_fg "$hs_port" "$T/hog$hs_i.out" -s "$2" < /dev/null
		hs_i=$((hs_i + 1))
	done
	# hog reports every 16 MiB: MIB - 8 rounded down to 16 is its last line
	hs_want=$(( ($2 - 8) / 16 * 16 ))
	hs_end=$(( $(now_ms) + 180000 ))
	while :; do
		hs_n=0 hs_i=1
		while [ "$hs_i" -le "$1" ]; do
			grep -q " hog: $hs_want MiB\$" "$T/hog$hs_i.out" 2>/dev/null && hs_n=$((hs_n + 1))
			hs_i=$((hs_i + 1))
		done
		[ "$hs_n" -ge "$1" ] || [ "$(now_ms)" -ge "$hs_end" ] && break
		sleep 1
	done
	HOGS_UP=$hs_n
}

squeeze_to() {
	SQ_ACTUAL=- SQ_HOW=moving SQ_ROUNDS=0 SQ_22= SQ_2222= SQ_LOG= SQ_SETTLE_MS=
	sq_t=$(now_ms)
	balloon_to "$1" || return 1
	sq_end=$(( sq_t + $2 * 1000 ))
	while :; do
		sq_left=$(( (sq_end - $(now_ms)) / 1000 ))
		[ "$sq_left" -gt 0 ] || { SQ_HOW=moving; break; }
		set -- "$1" "$2" "$3" $(balloon_settle "$1" "$sq_left" "$3")
		SQ_SETTLE_MS=$(( ${4:-$sq_t} - sq_t )) SQ_ACTUAL=${5:--} SQ_HOW=${6:-moving}
		# a panic ends QEMU (panic=-1, -no-reboot)
		kill -0 "$QPID" 2>/dev/null || { SQ_HOW=gone; break; }
		[ "$SQ_HOW" = moving ] && break
		SQ_ROUNDS=$((SQ_ROUNDS + 1))
		sq_r0=$(now_ms)
		login_by "$P22" "$sq_r0" 10 > "$T/sq22" & sq_l1=$!
		login_by "$P2222" "$sq_r0" 10 > "$T/sq2222" & sq_l2=$!
		wait "$sq_l1"; wait "$sq_l2"
		sq_a=$(cat "$T/sq22") sq_b=$(cat "$T/sq2222")
		SQ_22=${SQ_22:+$SQ_22,}${sq_a:-no} SQ_2222=${SQ_2222:+$SQ_2222,}${sq_b:-no}
		sleep 2   # a kill the logins caused, and the balloon's next step
		sq_now=$(balloon_mib)
		SQ_LOG="${SQ_LOG:+$SQ_LOG
}round $SQ_ROUNDS: balloon $SQ_HOW at $SQ_ACTUAL MiB $SQ_SETTLE_MS ms after the command; logins: port 22 ${sq_a:-none} ms, port 2222 ${sq_b:-none} ms; then ${sq_now:-no answer} MiB"
		kill -0 "$QPID" 2>/dev/null || { SQ_HOW=gone; break; }
		[ "$sq_now" = "$SQ_ACTUAL" ] && break
	done
	return 0
}

serial_since() { tail -n +"$(( $1 + 1 ))" "$SERIAL" 2>/dev/null; }

kills_in() {
	printf '%s\n' "$1" | sed -n \
		-e 's/.*memory guard: killed \([^ ]*\) (pid.*/guard:\1/p' \
		-e 's/.*Killed process [0-9]* (\([^)]*\)).*/kernel:\1/p' \
		-e 's/.*sending SIG[A-Z]* to process [0-9]* uid [0-9]* "\([^"]*\)".*/earlyoom:\1/p' |
		sort | uniq -c | awk '{ printf "%s%s*%d", n++ ? " " : "", $2, $1 } END { if (!n) printf "-" }'
}

panicked() { grep -q 'Kernel panic' "$SERIAL" 2>/dev/null; }
