# Shared by the end-to-end tests (sourced, POSIX sh): the Debian kernel
# boots an image in QEMU (-accel tcg: no KVM here), user networking
# forwards two free loopback ports to the guest's 22 and 2222, and the
# serial console goes to a log.  Every wait is bounded.
#
#   qemu_boot IMAGE [APPEND]   boot; sets QPID, P22, P2222, SERIAL
#   wait_banner PORT SECONDS   until the port answers "SSH-"
#   gssh PORT CMD...           run CMD in the guest as root over ssh
#   qemu_wait_exit SECONDS     until QEMU has exited (0) or not (1)
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

e2e_cleanup() {
	[ -n "$QPID" ] && kill -KILL "$QPID" 2>/dev/null
	if [ "$FAILED" != 0 ] && [ -f "${SERIAL:-/nonexistent}" ]; then
		echo "# --- serial console (last 60 lines) ---"
		tail -n 60 "$SERIAL" | sed 's/^/# /'
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
	qemu-system-x86_64 -accel tcg -smp 2 -m "${QEMU_MEM:-512}" \
		-nographic -no-reboot -monitor none \
		-kernel "$KERNEL" -initrd "$_img" \
		-append "console=ttyS0 panic=-1 $_append" \
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

# boot_system WHAT: boot build/system.img with lifeline as PID 1, wait for
# both banners (the test ends if none comes) and log in on both ports
boot_system() {
	qemu_boot build/system.img "rdinit=/sbin/lifeline"
	wait_banner "$P22" 120 >/dev/null || { fail "SSH banner on port 22 within 120 s"; finish; }
	wait_banner "$P2222" 30 >/dev/null || { fail "SSH banner on port 2222 within 30 s"; finish; }
	check "login on port 22 before $1" login "$P22"
	check "login on port 2222 before $1" login "$P2222"
}
