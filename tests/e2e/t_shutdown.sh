#!/bin/sh
# Shutdown: `lifelinectl poweroff` over SSH ends QEMU within a bounded time,
# and the serial console shows lifeline's shutdown sequence in order:
# "shutdown requested: powering off", "stopping services", each of sshd,
# cron and rescue-ssh stopped, "sending SIGTERM to all processes",
# "syncing filesystems", "powering off", then the kernel's "reboot: Power
# down".  Then `lifelinectl reboot` on a fresh boot: QEMU (-no-reboot)
# exits as well, the log says "rebooting" and the kernel "Restarting
# system".  No kernel panic either time.  The wait between SIGTERM and
# SIGKILL to all processes ends early once they are gone.
. "$(dirname "$0")/lib.sh"

# in_order FILE PATTERN...: each fixed string PATTERN occurs on a line of
# FILE after the line of the one before it
in_order() {
	io_f=$1; shift
	io_at=0
	for io_p in "$@"; do
		io_n=$(awk -v from="$io_at" -v p="$io_p" 'NR > from && index($0, p) { print NR; exit }' "$io_f")
		[ -n "$io_n" ] || { note "not found after line $io_at: $io_p"; return 1; }
		io_at=$io_n
	done
}
# stopped FILE NAME: NAME's exit line "; stopped" comes after "stopping
# services" and before "sending SIGTERM to all processes"
stopped() {
	awk -v n="lifeline: $2: " '
		index($0, "lifeline: stopping services") { s = 1 }
		index($0, "sending SIGTERM to all processes") { exit }
		{ sub(/\r$/, "") }
		s && index($0, n) && /; stopped$/ { found = 1 }
		END { exit !found }' "$1"
}

for how in poweroff reboot; do
	case $how in
	poweroff) word="powering off"; kernel="reboot: Power down" ;;
	reboot) word="rebooting"; kernel="reboot: Restarting system" ;;
	esac
	qemu_boot build/system.img "rdinit=/sbin/lifeline"
	if ! wait_banner "$P22" 120 >/dev/null || ! wait_banner "$P2222" 30 >/dev/null; then
		fail "$how: SSH banners on both ports"
		kill -KILL "$QPID" 2>/dev/null
		wait "$QPID" 2>/dev/null
		QPID=
		continue
	fi
	check "$how: login on port 22" login "$P22"
	t0=$(now_ms)
	# the session may be cut before the answer arrives: no status check
	gssh "$P22" "lifelinectl $how" >/dev/null 2>&1 &
	spid=$!
	if qemu_wait_exit 60; then
		ok "$how: QEMU exits after lifelinectl $how"
		note "$how: QEMU exited $(( $(now_ms) - t0 )) ms after lifelinectl $how"
	else
		fail "$how: QEMU exits within 60 s of lifelinectl $how"
		kill -KILL "$QPID" 2>/dev/null
		QPID=
	fi
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	check "$how: the shutdown sequence on the serial console, in order" in_order "$SERIAL" \
		"lifeline: shutdown requested: $word" \
		"lifeline: stopping services" \
		"lifeline: sending SIGTERM to all processes" \
		"lifeline: syncing filesystems" \
		"lifeline: $word" \
		"$kernel"
	for s in sshd cron rescue-ssh; do
		check "$how: $s stopped between \"stopping services\" and SIGTERM to all" \
			stopped "$SERIAL" "$s"
	done
	check "$how: no kernel panic" sh -c "! grep -q 'Kernel panic' '$SERIAL'"
	grep -E 'lifeline: (shutdown requested|stopping services|sshd:|cron:|rescue-ssh:|sending SIG|syncing|unmounted|remounted|cannot|powering off|rebooting)|reboot: ' \
		"$SERIAL" | grep -v '^lifeline' | sed "s/^/# $how: /"
	# lifeline gives processes up to 3 s after SIGTERM to all, and goes on
	# as soon as none is left; here only a few sshd session processes are,
	# and they exit at once
	gap=$(awk '
		{ sub(/\r$/, "") }
		/^\[ *[0-9.]+\] lifeline: sending SIGTERM to all/ { gsub(/[][]/, " "); t = $1 }
		/^\[ *[0-9.]+\] lifeline: sending SIGKILL to all/ && t { gsub(/[][]/, " ");
			printf "%d", ($1 - t) * 1000; exit }' "$SERIAL")
	note "$how: from SIGTERM to SIGKILL to all processes: ${gap:-?} ms"
	check "$how: the wait after SIGTERM to all ends when the processes are gone (${gap:-?} ms < 2500 ms)" \
		[ "${gap:-9999}" -lt 2500 ]
	cp "$SERIAL" "$T/serial-$how.log"
done
finish
