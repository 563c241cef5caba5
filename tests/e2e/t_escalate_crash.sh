#!/bin/sh
# tests/e2e/t_escalate_crash.sh: verdicts that must do nothing, and the
# crash kernel path, in one QEMU guest booted with crashkernel=.
#
#   The test configuration initramfs/system/e2e-crash.conf: keepalives
#   every second to two peers, 10.0.2.2:$PA and 10.0.2.2:$PB (both played
#   by build/ka-tool on the test machine, through QEMU's user network),
#   quorum 2; [rescue] with the defaults.
#
#   1. lifeline armed both: the kexec image and, since crashkernel=
#      reserved memory, the same as the crash kernel; keepalives arrive at
#      the peer addresses, from host lifeline-test, state sshd+rescue-ssh
#      (+ssh-served after the test's own logins)
#   2. from peer A: a forged verdict (signed with another key) is dropped
#      as bad-mac; a valid one is counted (1 of the 2 the quorum needs) and
#      not acted on; the same bytes again are dropped as a replay; a
#      verdict that echoes an old keepalive is dropped as stale.  The host
#      stays up, nothing acted on
#   3. the kexec image is unloaded (tests/e2e/kunload.c, as `kexec -u`),
#      then `lifelinectl rescue now --yes`: reboot(KEXEC) is not possible,
#      so lifeline goes through sysrq-c into the crash kernel, which boots
#      the rescue image (/proc/vmcore is there); a key login on the rescue
#      port works; its keepalives reach peer A saying "rescue"
. "$(dirname "$0")/lib.sh"

CRASH_MEM=${CRASH_MEM:-192M}
started=$(now_ms)
KT=$ROOT/build/ka-tool
[ -x "$KT" ] || { fail "build/ka-tool built (make build/ka-tool)"; finish; }
[ -r "$KA_KEY" ] || { fail "$KA_KEY exists (make images)"; finish; }
# a key the guest does not have, for the forged verdict
(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$T/wrong.key")

PA=$(free_udp 3)
PB=$(free_udp 4)
[ "$PB" = "$PA" ] && PB=$((PA + 1))
QEMU_MEM=768 boot_e2e "the verdicts" crash \
	"crashkernel=$CRASH_MEM lifeline.e2e.peer=$PA lifeline.e2e.peer2=$PB"

# ---- 1. armed twice; keepalives to both peers
armed() { [ "$(gjson "$P22" .rescue.state)" = armed ]; }
check "1: lifeline armed the rescue image" wait_for 60 armed
st=$(gssh "$P22" lifelinectl status | grep -E '^(keepalive|  peer|rescue)')
printf '%s\n' "$st" | sed 's/^/# 1: guest: /'
crash=$(gjson "$P22" .rescue.crash)
check "1: loaded as the crash kernel too (crash: $crash)" [ "$crash" = armed ]
loaded=$(gssh "$P22" 'cat /sys/kernel/kexec_loaded /sys/kernel/kexec_crash_loaded' | tr '\n' ' ')
check "1: the kernel has both (kexec_loaded, kexec_crash_loaded: $loaded)" [ "$loaded" = "1 1 " ]
"$KT" listen "127.0.0.1:$PA" "$KA_KEY" 2 -t 20 > "$T/listen-a" 2>&1
"$KT" listen "127.0.0.1:$PB" "$KA_KEY" 1 -t 20 > "$T/listen-b" 2>&1
sed 's/^/# 1: peer A: /' "$T/listen-a"
ka_from_host() {  # FILE: keepalives from lifeline-test, normal system, both SSH servers
	grep -Eq '^keepalive from=127\.0\.0\.1:[0-9]+ host=lifeline-test state=sshd\+rescue-ssh(\+ssh-served)? seq=[0-9]+' "$1"
}
check "1: keepalives reach peer A (host lifeline-test, state sshd+rescue-ssh)" ka_from_host "$T/listen-a"
check "1: and peer B" ka_from_host "$T/listen-b"

# ---- 2. verdicts that must do nothing
peer_a() { gjson "$P22" ".keepalive.peers[] | select(.peer == \"10.0.2.2:$PA\") | $1"; }
counter() { num "$(peer_a ".counters[\"$1\"]")"; }
"$KT" verdict "127.0.0.1:$PA" "$KA_KEY" --sign-key "$T/wrong.key" -t 20 > "$T/forged" 2>&1
note "2: forged: $(cat "$T/forged")"
bad_mac() { [ "$(counter bad-mac)" -ge 1 ]; }
check "2: a forged verdict (another key) is dropped as bad-mac" wait_for 10 bad_mac
# the valid verdict, then at once (at the next keepalive, while the
# verdict still answers one of the host's last 8) the same bytes again
"$KT" verdict "127.0.0.1:$PA" "$KA_KEY" --save "$T/valid.bin" --boot 00000000000e2e01 --seq 1 -t 20 > "$T/valid" 2>&1
"$KT" replay "127.0.0.1:$PA" "$T/valid.bin" -t 20 > "$T/replay" 2>&1
note "2: valid: $(cat "$T/valid")"
note "2: replay: $(cat "$T/replay")"
counted() { [ "$(counter ok)" = 1 ]; }
check "2: a valid verdict from peer A is counted" wait_for 10 counted
in_window=$(gjson "$P22" .keepalive.verdicts_in_window)
reached=$(gjson "$P22" .keepalive.quorums_reached)
one_of_two() { [ "$in_window" = 1 ] && [ "$reached" = 0 ]; }
check "2: one verdict in the quorum window, no quorum reached (in window: $in_window, quorums reached: $reached)" \
	one_of_two
replayed() { [ "$(counter replay)" -ge 1 ]; }
check "2: the same bytes again are dropped as a replay" wait_for 10 replayed
"$KT" verdict "127.0.0.1:$PA" "$KA_KEY" --stale 9 --boot 00000000000e2e01 --seq 2 -t 20 > "$T/stale" 2>&1
note "2: stale: $(cat "$T/stale")"
stale() { [ "$(counter stale)" -ge 1 ]; }
check "2: a verdict echoing an old keepalive (seq - 9, outside the last 8) is dropped as stale" wait_for 10 stale
sleep 2
st=$(gssh "$P22" lifelinectl status | grep -E '^(keepalive|  peer|rescue)')
printf '%s\n' "$st" | sed 's/^/# 2: guest: /'
check "2: counted exactly: ok 1, bad-mac 1, replay 1, stale 1" \
	[ "$(counter ok) $(counter bad-mac) $(counter replay) $(counter stale)" = "1 1 1 1" ]
check "2: the host is still up (login on port 22)" login "$P22"
check "2: nothing acted on (escalations $(gjson "$P22" .rescue.escalations))" \
	[ "$(gjson "$P22" .rescue.escalations)" = 0 ]
check "2: the kernel log says the verdict was counted, not acted on" \
	serial_has "keepalive: verdict from 10\\.0\\.2\\.2:$PA \\(1 of 2 needed"
check "2: still one kernel (no kexec)" [ "$(serial_count 'Linux version')" = 1 ]

# ---- 3. no kexec image: the crash kernel
unl=$(gssh "$P22" kunload 2>&1)
note "3: kunload: $unl"
check "3: the kexec image is unloaded, the crash kernel stays" \
	[ "$(gssh "$P22" 'cat /sys/kernel/kexec_loaded /sys/kernel/kexec_crash_loaded' | tr '\n' ' ')" = "0 1 " ]
no_yes=$(gssh "$P22" 'lifelinectl rescue now < /dev/null; echo "exit $?"' 2>&1)
check "3: lifelinectl rescue now without --yes refuses ($(echo "$no_yes" | tail -n 1))" \
	has_line "$no_yes" "^exit [1-9]"
t0=$(now_ms)
(gssh "$P22" lifelinectl rescue now --yes > "$T/now.out" 2>&1 &)
crash_seen() { serial_has 'rescue: starting the crash kernel \(sysrq-c\)' &&
	[ "$(serial_count 'Linux version')" -ge 2 ]; }
check "3: lifeline goes through sysrq-c and the crash kernel boots" wait_for 60 crash_seen
grep -E 'lifeline: rescue|sysrq|Kernel panic|Command line:' "$SERIAL" | tail -n 6 | sed 's/^/# 3: serial: /'
check "3: the crash kernel's command line (irqpoll nr_cpus=1 reset_devices, the rescue port)" \
	serial_has 'Command line: .*lifeline\.rescue_port=2222.*irqpoll nr_cpus=1 reset_devices'
check "3: the rescue init runs" wait_for 90 serial_has 'rescue: lifeline rescue system, kernel'
if ms=$(wait_banner "$P2222" 150); then
	ok "3: SSH banner on the rescue port ($(( $(now_ms) - t0 )) ms after rescue now)"
else
	fail "3: SSH banner on the rescue port within 150 s"
fi
check "3: key login on the rescue port" wait_for 30 login "$P2222"
check "3: the rescue init handed PID 1 over to lifeline" wait_for 60 pid1_is "$P2222" lifeline
wait_for 20 login "$P2222"
in_crash() { has_line "$got" "vmcore" && has_line "$got" "rescue system"; }
got=$(gssh "$P2222" 'head -n 1 /etc/motd; test -e /proc/vmcore && echo vmcore' 2>/dev/null | tr '\n' ' ')
check "3: it is the rescue system in the crash kernel ($got)" in_crash
"$KT" listen "127.0.0.1:$PA" "$KA_KEY" 1 -t 30 > "$T/listen-r" 2>&1
sed 's/^/# 3: peer A: /' "$T/listen-r"
check "3: its keepalives reach peer A saying rescue" \
	grep -Eq '^keepalive from=.* host=lifeline-test state=rescue(\+rescue-ssh)?(\+ssh-served)? ' "$T/listen-r"

note "t_escalate_crash took $(( ($(now_ms) - started) / 1000 )) s"
finish
