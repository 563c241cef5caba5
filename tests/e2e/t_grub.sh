#!/bin/sh
# tests/e2e/t_grub.sh: the stock Debian disk (tests/e2e/debian.sh) booted
# by GRUB, as a machine with GRUB in its boot sector (GRUB's core image by
# QEMU's -kernel; grub.cfg and grubenv from the disk; every reboot goes
# through GRUB again), kexec unavailable (kernel.kexec_load_disabled=1 on
# the command line, as lockdown or a Xen PV dom0 would have it).  What the
# README's install sections say, done by the test as an admin would
# (issue #13 items 5, 6, 7):
#
#   setup (booted as before, without GRUB): update-grub (the entries
#     "lifeline" of make install and "lifeline-rescue" of make
#     install-rescue), the keepalive key and a drop-in with [keepalive] (to
#     lifeline-peer on this machine) and [rescue]; Debian's poweroff
#   try once: GRUB's default is Debian's own entry: systemd; `grub-reboot
#     lifeline` and a reboot: lifeline, once; Debian's `reboot` under
#     lifeline: systemd again, GRUB's next_entry empty
#   make it permanent (README): init=/sbin/lifeline in GRUB_CMDLINE_LINUX,
#     update-grub; lifeline arms the GRUB path (status says so and why not
#     kexec), grubenv has the rescue command line, the armed archive is in
#     /boot
#   a verdict: both SSH servers stopped, lifeline-peer's grace runs out,
#     lifeline writes next_entry and reboots: GRUB boots the rescue system
#     (a login on the rescue port, the rescue system's keepalives); its
#     `reboot`: the normal system again (GRUB cleared next_entry)
#   an operator's word: `lifeline-peer rescue HOST --yes` with SSH up: the
#     rescue system again, without waiting for the grace; then the normal
#     system
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/debian.sh"

GRACE=20
started=$(now_ms)
[ -x build/lifeline-peer ] || { fail "build/lifeline-peer built (make)"; finish; }
[ -r "$KA_KEY" ] || { fail "$KA_KEY exists (make images)"; finish; }
debian_prepare
debian_copy
PEER_PORT=$(free_udp 3)

# what runs on PORT: "COMM KIND BOOT_ID" (KIND rescue or normal)
whats_up() {
	gssh "$1" 'echo "$(cat /proc/1/comm) $([ -d /etc/rescue ] && echo rescue || echo normal) $(cat /proc/sys/kernel/random/boot_id)"' 2>/dev/null
}
# until a boot other than OLD answers on PORT (SECONDS at most): its
# "COMM KIND BOOT_ID" in $UP, the time since T0 in $t (ms)
next_boot() {
	nb_end=$(( $(now_ms) + $3 * 1000 ))
	while [ "$(now_ms)" -lt "$nb_end" ]; do
		UP=$(whats_up "$1")
		case $UP in
		*" $2"|"") ;;
		*) t=$(( $(now_ms) - $4 )); return 0 ;;
		esac
		[ -n "$QPID" ] && ! kill -0 "$QPID" 2>/dev/null && return 1
		sleep 2
	done
	return 1
}
boot_id() { echo "$UP" | awk '{ print $3 }'; }

# ---------------------------------------------------------------- setup
debian_boot lifeline
wait_banner "$P22" 240 > /dev/null || { fail "setup: SSH banner on port 22 within 240 s"; finish; }
gssh "$P22" 'set -e
	sed -i "s/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX=\"console=ttyS0 sysctl.kernel.kexec_load_disabled=1\"/" /etc/default/grub
	update-grub' > "$T/update-grub.out" 2>&1 || fail "setup: update-grub ($(tr '\n' ' ' < "$T/update-grub.out"))"
sed 's/^/# setup: /' "$T/update-grub.out"
gssh "$P22" 'cat /boot/grub/grub.cfg' > "$T/grub.cfg" 2>/dev/null
check "setup: grub.cfg has the entry 'lifeline' (init=/sbin/lifeline, not the default)" \
	grep -q "menuentry 'Debian GNU/Linux, with lifeline as init.*'lifeline' {" "$T/grub.cfg"
check "setup: grub.cfg has the entry 'lifeline-rescue'" \
	grep -q "\$menuentry_id_option 'lifeline-rescue' {" "$T/grub.cfg"
gssh "$P22" 'umask 077; cat > /etc/lifeline/keepalive.key' < "$KA_KEY"
gssh "$P22" "cat > /etc/lifeline/conf.d/rescue.conf" <<EOF
[keepalive]
peer = 10.0.2.2:$PEER_PORT
host = lifeline-test
interval = 1s

[rescue]
EOF
gssh "$P22" 'lifeline --check-config' > "$T/check.out" 2>&1 ||
	fail "setup: lifeline --check-config ($(tr '\n' ' ' < "$T/check.out"))"
gssh "$P22" /sbin/poweroff > /dev/null 2>&1
qemu_wait_exit 90 || { fail "setup: Debian's poweroff"; finish; }

# ---------------------------------------------------------------- try once
debian_boot_grub
if next_boot "$P22" none 300 "$BOOT_MS"; then
	ok "try once: GRUB's default entry: $(echo "$UP" | cut -d' ' -f1-2), login $t ms after QEMU started"
else
	fail "try once: a login after GRUB's default entry within 300 s"
	finish
fi
check "try once: the default is systemd" [ "$(echo "$UP" | cut -d' ' -f1)" = systemd ]
b=$(boot_id)
t0=$(now_ms)
gssh "$P22" 'grub-reboot lifeline && grub-editenv list && reboot' > "$T/grub-reboot.out" 2>&1
note "try once: $(tr '\n' ' ' < "$T/grub-reboot.out")"
if next_boot "$P22" "$b" 300 "$t0"; then
	ok "try once: after grub-reboot lifeline: $(echo "$UP" | cut -d' ' -f1-2), login $t ms after the reboot"
else
	fail "try once: a login after grub-reboot lifeline within 300 s"
	finish
fi
check "try once: that boot's PID 1 is lifeline" [ "$(echo "$UP" | cut -d' ' -f1)" = lifeline ]
env1=$(gssh "$P22" 'grub-editenv list' 2>/dev/null)
check "try once: GRUB cleared next_entry (grubenv: $(echo "$env1" | tr '\n' ' '))" \
	sh -c '! printf "%s\n" "$1" | grep -q "^next_entry=."' _ "$env1"
b=$(boot_id)
t0=$(now_ms)
gssh "$P22" /sbin/reboot > /dev/null 2>&1
if next_boot "$P22" "$b" 300 "$t0"; then
	ok "try once: Debian's reboot under lifeline: $(echo "$UP" | cut -d' ' -f1-2), login $t ms after the reboot"
else
	fail "try once: a login after the reboot within 300 s"
	finish
fi
check "try once: the next boot is systemd again, untouched" [ "$(echo "$UP" | cut -d' ' -f1)" = systemd ]

# ---------------------------------------------------------------- permanent
b=$(boot_id)
t0=$(now_ms)
gssh "$P22" 'set -e
	sed -i "s/^GRUB_CMDLINE_LINUX=\"\(.*\)\"/GRUB_CMDLINE_LINUX=\"\1 init=\/sbin\/lifeline\"/" /etc/default/grub
	grep "^GRUB_CMDLINE_LINUX=" /etc/default/grub
	update-grub 2>&1
	reboot' > "$T/permanent.out" 2>&1
sed 's/^/# permanent: /' "$T/permanent.out"
if next_boot "$P22" "$b" 300 "$t0"; then
	ok "permanent: $(echo "$UP" | cut -d' ' -f1-2), login $t ms after the reboot"
else
	fail "permanent: a login after the reboot within 300 s"
	finish
fi
check "permanent: PID 1 is lifeline" [ "$(echo "$UP" | cut -d' ' -f1)" = lifeline ]
peer_start "${GRACE}s" || { fail "lifeline-peer started (its socket appeared)"; finish; }
armed() { gssh "$P22" lifelinectl status 2>/dev/null | grep -q '^rescue: armed'; }
wait_for 90 armed
st=$(gssh "$P22" 'lifelinectl status | grep -E "^(keepalive|  peer|rescue)"; cat /sys/kernel/kexec_loaded; grub-editenv list; ls -l /boot/lifeline-rescue-armed.img' 2>&1)
printf '%s\n' "$st" | sed 's/^/# permanent: /'
check "permanent: armed via the GRUB one-shot entry, kexec disabled said why" \
	has_line "$st" '^rescue: armed.*GRUB one-shot entry lifeline-rescue.*kexec.*disabled'
check "permanent: grubenv has the rescue command line (lifeline_rescue_args)" \
	has_line "$st" '^lifeline_rescue_args=.*lifeline.rescue_port=2222'
check "permanent: no next_entry before a verdict" sh -c '! printf "%s\n" "$1" | grep -q "^next_entry=."' _ "$st"
check "permanent: the armed archive is in /boot, root only" has_line "$st" '^-rw------- .* /boot/lifeline-rescue-armed.img$'

# ---------------------------------------------------------------- verdict
b=$(boot_id)
gssh "$P22" 'lifelinectl stop rescue-ssh; lifelinectl stop sshd' > /dev/null 2>&1
t0=$(now_ms)
has_verdict() { [ -n "$(peer_event verdict)" ]; }
wait_for $((GRACE + 60)) has_verdict
tv=$(peer_event verdict)
if [ -n "$tv" ]; then
	ok "verdict: lifeline-peer sent one $(( tv - t0 )) ms after SSH stopped (grace ${GRACE} s)"
else
	fail "verdict: lifeline-peer sent one within $((GRACE + 60)) s"
	finish
fi
if next_boot "$P2222" "$b" 300 "$tv"; then
	ok "verdict: GRUB booted the rescue system: a login on the rescue port $t ms after the verdict"
else
	fail "verdict: a login on the rescue port within 300 s of the verdict"
	finish
fi
check "verdict: it is the rescue system ($UP)" [ "$(echo "$UP" | cut -d' ' -f2)" = rescue ]
rescue_seen() { [ "$(peer_host .state)" = rescue ] && [ "$(peer_host .system)" = rescue ]; }
check "verdict: lifeline-peer hears the rescue system's keepalives" wait_for 60 rescue_seen
b=$(boot_id)
t0=$(now_ms)
gssh "$P2222" reboot > /dev/null 2>&1
if next_boot "$P22" "$b" 300 "$t0"; then
	ok "verdict: the rescue system's reboot: $(echo "$UP" | cut -d' ' -f1-2), login $t ms after it"
else
	fail "verdict: a login on port 22 after the rescue system's reboot within 300 s"
	finish
fi
check "verdict: ... the normal system (GRUB cleared next_entry)" [ "$(echo "$UP" | cut -d' ' -f2)" = normal ]

# ---------------------------------------------------------------- operator
wait_for 90 armed
b=$(boot_id)
t0=$(now_ms)
"$ROOT/build/lifeline-peer" rescue lifeline-test --yes -s "$T/peer.sock" > "$T/rescue.out" 2>&1
rc=$?
note "operator: lifeline-peer rescue said: $(tr '\n' ' ' < "$T/rescue.out")"
check "operator: lifeline-peer rescue lifeline-test --yes exits 0" [ "$rc" = 0 ]
if next_boot "$P2222" "$b" 300 "$t0"; then
	ok "operator: the rescue system, without the grace: a login on the rescue port $t ms after the command"
else
	fail "operator: a login on the rescue port within 300 s of the command"
	finish
fi
check "operator: it is the rescue system ($UP)" [ "$(echo "$UP" | cut -d' ' -f2)" = rescue ]
peer_stop
note "the whole test: $(( ($(now_ms) - started) / 1000 )) s"
finish
