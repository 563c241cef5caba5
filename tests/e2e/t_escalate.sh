#!/bin/sh
# tests/e2e/t_escalate.sh: the rescue escalation, the whole story, in one
# QEMU guest and one lifeline-peer on the test machine.
#
#   The system image boots with the test configuration
#   initramfs/system/e2e-escalate.conf: keepalives every second to
#   10.0.2.2:$PEER_PORT (QEMU's user network takes them to 127.0.0.1, where
#   build/lifeline-peer listens), [rescue] with the defaults, armed when the
#   boot tasks are done.  The peer watches the guest's SSH ports through
#   QEMU's forwards, grace 5 s.
#
#   1. lifeline has armed the rescue image (kexec loaded; no crash kernel:
#      none reserved); the peer sees the host up, both SSH servers in its
#      keepalives, and sends no verdict while SSH answers (10 s, twice the
#      grace)
#   2. both SSH listeners are stopped (SIGSTOP) inside the guest: the host
#      lives on and keepalives go on, but no banner comes; the peer counts
#      down and sends a verdict no sooner than the grace allows
#   3. the guest kexecs into the rescue image: the serial console shows
#      lifeline's "booting the rescue system", a second kernel and the
#      rescue init, which applied the network snapshot taken when arming;
#      a key login on the rescue port (the same forwarded 2222) works, in
#      the rescue system
#   4. the rescue system sends keepalives that say "rescue": the peer shows
#      the host in rescue, and its verdict count stays the same
. "$(dirname "$0")/lib.sh"

GRACE=5
started=$(now_ms)
[ -x build/lifeline-peer ] || { fail "build/lifeline-peer built (make)"; finish; }
[ -r "$KA_KEY" ] || { fail "$KA_KEY exists (make images)"; finish; }

PEER_PORT=$(free_udp 3)
boot_e2e "the escalation" escalate "lifeline.e2e.peer=$PEER_PORT"
peer_start "${GRACE}s" || { fail "lifeline-peer started (its socket appeared)"; finish; }

# ---- 1. armed, up, no verdict
armed() { [ "$(gjson "$P22" .rescue.state)" = armed ]; }
check "1: lifeline armed the rescue image" wait_for 60 armed
st=$(gssh "$P22" lifelinectl status | grep -E '^(keepalive|  peer|rescue|watchdog)')
printf '%s\n' "$st" | sed 's/^/# 1: guest: /'
check "1: status: armed, kexec of the running kernel with /boot/lifeline-rescue.img" \
	has_line "$st" "^rescue: armed .*: kexec .*$KVER.*/boot/lifeline-rescue.img"
check "1: the kernel has it loaded (/sys/kernel/kexec_loaded)" \
	[ "$(gssh "$P22" cat /sys/kernel/kexec_loaded)" = 1 ]
crash=$(gjson "$P22" .rescue.crash)
check "1: no crash kernel: none reserved (crash: $crash)" [ "$crash" = not-reserved ]
check "1: the network snapshot was taken (snapshot: $(gjson "$P22" .rescue.snapshot))" \
	[ "$(gjson "$P22" .rescue.snapshot)" = true ]
cmdline=$(gjson "$P22" .rescue.cmdline)
note "1: rescue command line: $cmdline"
check "1: the rescue command line has the rescue port and the configured panic=-1" \
	has_line "$cmdline" "lifeline.rescue_port=2222.*panic=-1"
check "1: keepalives sent (sent $(gjson "$P22" .keepalive.sent))" \
	[ "$(num "$(gjson "$P22" .keepalive.sent)")" -gt 0 ]

up() { [ "$(peer_host .state)" = up ]; }
check "1: the peer sees the host up" wait_for 30 up
bits=$(peer_host '.state_bits | join(",")')
sys=$(peer_host .system)
normal_both() { [ "$sys" = normal ] && has_line "$bits" "(^|,)sshd(,|$)" && has_line "$bits" "rescue-ssh"; }
check "1: its keepalives say: normal system, sshd and the rescue ssh run ($sys $bits)" normal_both
build/lifeline-peer status -s "$T/peer.sock" 2>&1 | sed 's/^/# 1: peer: /'
sleep $((GRACE * 2))
check "1: no verdict while SSH answers ($((GRACE * 2)) s, twice the grace)" \
	[ "$(peer_host .verdicts_sent)" = 0 ]
check "1: the peer's metrics file says up" \
	grep -q 'lifeline_peer_host_state{host="lifeline-test",state="up"} 1' "$T/peer.prom"

# ---- 2. both SSH listeners stop answering; the host lives on
listeners_init
note "2: stopping sshd ($sshd_pid) and dropbear ($drop_pid) with SIGSTOP"
gssh "$P22" "kill -STOP $sshd_pid $drop_pid" || fail "2: SIGSTOP sent"
t_stop=$(now_ms)
check "2: no SSH banner on port 22" sh -c "! timeout 3 busybox nc 127.0.0.1 $P22 </dev/null | grep -q SSH-"
sent0=$(num "$(peer_host .keepalives)")
# (from its log: the state itself lasts only what is left of the grace)
unreachable() { [ -n "$(peer_event unreachable)" ]; }
check "2: the peer counts down (event=unreachable)" wait_for 20 unreachable
build/lifeline-peer status -s "$T/peer.sock" 2>&1 | sed 's/^/# 2: peer: /'
verdict_sent() { [ -n "$(peer_event verdict)" ]; }
check "2: the peer sends a verdict" wait_for $((GRACE + 30)) verdict_sent
t_verdict=$(peer_event verdict)
dt=$(( ${t_verdict:-0} - t_stop ))
note "2: the first verdict $dt ms after the SIGSTOP"
# the countdown runs from the last banner seen, at most a probe interval
# (1 s) before the SIGSTOP
check "2: not before the grace period ($dt ms >= $((GRACE * 1000 - 1500)) ms)" \
	[ "$dt" -ge $((GRACE * 1000 - 1500)) ]
t_u=$(peer_event unreachable) t_d=$(peer_event dead)
in_order() { [ -n "$t_d" ] && [ "$t_u" -le "$t_d" ] && [ "$t_d" -le "$t_verdict" ]; }
check "2: in that order: unreachable, dead, verdict" in_order
grep 'host=lifeline-test event=' "$PEER_LOG" | sed 's/^/# 2: peer log: /'
check "2: keepalives went on while SSH was down ($sent0 before the countdown)" \
	sh -c "[ $(num "$(peer_host .keepalives)") -gt $sent0 ]"

# ---- 3. the guest kexecs into the rescue system
kexec_seen() { serial_has 'booting the rescue system' && [ "$(serial_count 'Linux version')" -ge 2 ]; }
check "3: lifeline acts on the verdict and a second kernel boots (kexec)" wait_for 30 kexec_seen
grep -E 'lifeline: (keepalive|rescue|peerlink)|booting the rescue' "$SERIAL" | tail -n 5 |
	sed 's/^/# 3: serial: /'
check "3: the rescue init runs" wait_for 60 serial_has 'rescue: lifeline rescue system, kernel'
if ms=$(wait_banner "$P2222" 120); then
	ok "3: SSH banner on the rescue port ($(( $(now_ms) - t_verdict )) ms after the verdict)"
else
	fail "3: SSH banner on the rescue port within 120 s of the verdict"
fi
check "3: the rescue system took the network snapshot" \
	serial_has 'rescue: net: eth0 10\.0\.2\.15/24 \(snapshot: eth0\)'
check "3: key login on the rescue port" wait_for 30 login "$P2222"
# the rescue init hands PID 1 over to lifeline when its set-up is done
# (dropbear answers before that)
check "3: the rescue init handed PID 1 over to lifeline" wait_for 60 pid1_is "$P2222" lifeline
wait_for 20 login "$P2222"
motd=$(gssh "$P2222" 'head -n 1 /etc/motd; cat /proc/cmdline')
note "3: $motd"
in_rescue() { has_line "$motd" "^lifeline rescue system" && has_line "$motd" "lifeline.rescue_port=2222"; }
check "3: it is the rescue system (motd), booted with lifeline.rescue_port" in_rescue
check "3: its keepalive settings came with the image (/etc/rescue/keepalive.conf, key 0600)" \
	[ "$(gssh "$P2222" 'grep -c "^system = rescue" /etc/rescue/keepalive.conf; stat -c %a /etc/rescue/keepalive.key' | tr '\n' ' ')" = "1 600 " ]

rst=$(gssh "$P2222" lifelinectl status | grep -E '^(keepalive|  peer)')
printf '%s\n' "$rst" | sed 's/^/# 3: rescue: /'
check "3: the rescue system's lifeline sends keepalives as the rescue system" \
	has_line "$rst" "^keepalive: host lifeline-test \\(rescue system: verdicts ignored\\)"

# ---- 4. the peer sees the rescue system, and sends no more verdicts
rescue_seen() { [ "$(peer_host .state)" = rescue ] && [ "$(peer_host .system)" = rescue ]; }
check "4: the peer shows the host in rescue" wait_for 60 rescue_seen
v1=$(peer_host .verdicts_sent)
sleep 8
v2=$(peer_host .verdicts_sent)
check "4: no further verdicts (sent: $v1, 8 s later $v2; verdict_interval 2 s)" [ "$v1" = "$v2" ]
check "4: the rescue system's keepalives go on" \
	sh -c "[ $(num "$(peer_host .last_keepalive_ms_ago)") -lt 5000 ]"
check "4: the metrics file says rescue" \
	grep -q 'lifeline_peer_host_state{host="lifeline-test",state="rescue"} 1' "$T/peer.prom"
build/lifeline-peer status -s "$T/peer.sock" 2>&1 | sed 's/^/# 4: peer: /'
grep 'host=lifeline-test event=' "$PEER_LOG" | tail -n 3 | sed 's/^/# 4: peer log: /'

peer_stop
note "t_escalate took $(( ($(now_ms) - started) / 1000 )) s"
finish
