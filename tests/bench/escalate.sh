#!/bin/sh
# make bench, the rescue escalation (issue #6): how long from a verdict to
# the rescue system's SSH banner, through kexec (what lifeline arms at
# boot), against a full reboot of the same guest into the same rescue
# image.  QEMU, TCG, 512 MiB, the system image with the test
# configuration initramfs/system/e2e-escalate.conf.  Printed, never
# asserted (the machine is shared and noisy).
#
#   kexec    lifeline-peer on this machine (grace 5 s) watches the guest;
#            both SSH listeners are stopped; from the peer's first verdict
#            (its log line, stamped with this machine's clock) to the first
#            "SSH-" banner on the rescue port (polled every 0.2 s)
#   reboot   the same guest, armed the same way, then its kexec image
#            unloaded (tests/e2e/kunload.c), the same hang and verdict:
#            lifeline finds no rescue kernel and reboots (RB_AUTOBOOT) at
#            once; from the verdict to QEMU's exit (-no-reboot), plus a
#            fresh QEMU booting the rescue image (build/e2e/rescue.img, the
#            address from ip=) to its banner.  QEMU's firmware is quick; a
#            real server's firmware adds tens of seconds to a reboot, not
#            to a kexec.
#
# Also printed: when the rescue kernel's first console line appeared (the
# host's clock, polled) and its own clock when it ran /init.  Under TCG
# most of a kexec's time goes between the old kernel's "Starting new
# kernel" (milliseconds after the verdict) and the new kernel's first line:
# the purgatory's SHA-256 check of the loaded segments (~15 MB) and the
# kernel's decompressor, emulated instruction by instruction.
#
# Environment: RUNS (per method, default 2).
. "$(dirname "$0")/../e2e/lib.sh"
RUNS=${RUNS:-2}
ROWS=$T/rows
: > "$ROWS"
for f in build/system.img build/e2e/rescue.img build/lifeline-peer "$KA_KEY"; do
	[ -r "$f" ] || { echo "escalate bench: no $f (make all images)"; exit 1; }
done

boot_armed() {  # boot the escalation config with a peer port; armed
	PEER_PORT=$(free_udp 3)
	qemu_boot build/system.img "rdinit=/usr/lib/lifeline-test/e2e-init lifeline.e2e=escalate lifeline.e2e.peer=$PEER_PORT"
	wait_banner "$P22" 150 >/dev/null || return 1
	wait_for 60 sh -c "[ \"\$(ssh -q -i $KEY -p $P22 -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@127.0.0.1 cat /sys/kernel/kexec_loaded 2>/dev/null)\" = 1 ]"
}

# the rescue kernel's clock when it started /init (the last boot in the
# serial log): kernel boot against the rest
run_init() {
	grep -a 'Run /init as init process' "$SERIAL" | tail -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'
}

stop_guest() {
	[ -n "$QPID" ] && kill -KILL "$QPID" 2>/dev/null
	[ -n "$QPID" ] && wait "$QPID" 2>/dev/null
	QPID=
}

# the verdict: lifeline-peer watches the guest (grace 5 s), both SSH
# listeners stop; sets t_v, the peer's first verdict (this machine's ms)
verdict_after_hang() {
	peer_start 5s || { echo "$1: lifeline-peer did not start"; return 1; }
	up() { [ "$(peer_host .state)" = up ]; }
	wait_for 30 up || { echo "$1: the peer does not see the host up"; return 1; }
	listeners_init
	gssh "$P22" "kill -STOP $sshd_pid $drop_pid"
	verdict() { [ -n "$(peer_event verdict)" ]; }
	wait_for 60 verdict || { echo "$1: no verdict"; return 1; }
	t_v=$(peer_event verdict)
}

run_kexec() {
	if boot_armed && verdict_after_hang "kexec run $1"; then
		wait_for 60 kernels 2
		k=$(( $(now_ms) - t_v ))
		if wait_for 150 banner "$P2222"; then
			ms=$(( $(now_ms) - t_v ))
			echo "kexec $ms" >> "$ROWS"
			echo "kexec run $1: verdict -> rescue SSH banner $ms ms (its first console line after ~$k ms; /init at $(run_init) s of its clock)"
		else
			echo "kexec run $1: no rescue banner within 150 s of the verdict"
		fi
	else
		echo "kexec run $1: failed (see above)"
	fi
	stop_guest
	peer_stop
}

kernels() { [ "$(grep -ac 'Linux version' "$SERIAL")" -ge "$1" ]; }

run_reboot() {
	if ! boot_armed; then
		echo "reboot run $1: the guest did not boot or arm"
		stop_guest
		return
	fi
	gssh "$P22" kunload > /dev/null 2>&1
	if ! verdict_after_hang "reboot run $1"; then
		stop_guest
		peer_stop
		return
	fi
	if ! qemu_wait_exit 60; then
		echo "reboot run $1: QEMU did not exit within 60 s of the verdict"
		stop_guest
		peer_stop
		return
	fi
	down=$(( $(now_ms) - t_v ))
	peer_stop
	grep -q 'rescue: no rescue kernel: plain reboot' "$SERIAL" ||
		echo "reboot run $1: (the guest did not say \"no rescue kernel: plain reboot\")"
	rm -f "$SERIAL"   # the same file: the guest before must not count
	qemu_boot build/e2e/rescue.img "ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off"
	wait_for 60 kernels 1
	k=$(( $(now_ms) - BOOT_MS ))
	if up=$(wait_banner "$P2222" 150); then
		echo "reboot $((down + up)) $down $up" >> "$ROWS"
		echo "reboot run $1: verdict -> QEMU exit $down ms + QEMU start -> rescue SSH banner $up ms = $((down + up)) ms (first console line after ~$k ms; /init at $(run_init) s)"
	else
		echo "reboot run $1: the rescue image gave no banner within 150 s"
	fi
	stop_guest
}

echo "rescue escalation: verdict to rescue SSH banner, kexec vs full reboot (QEMU TCG, $RUNS runs each)"
i=1
while [ $i -le "$RUNS" ]; do
	run_kexec $i
	run_reboot $i
	i=$((i + 1))
done
awk '$1 == "kexec" { k += $2; nk++ } $1 == "reboot" { r += $2; nr++ }
END {
	if (nk) printf "  kexec:  mean %.1f s over %d runs\n", k / nk / 1000, nk
	if (nr) printf "  reboot: mean %.1f s over %d runs\n", r / nr / 1000, nr
	if (nk && nr) printf "  ratio reboot / kexec: %.2f\n", (r / nr) / (k / nk)
}' "$ROWS"
