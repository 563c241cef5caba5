#!/bin/sh
# make demo: the story, told as it happens.  The system image boots in QEMU
# with lifeline as PID 1 and 1 GiB of memory; we log in on both ports; the
# hypervisor takes most of the memory away through the balloon (as in the
# failure lifeline exists to prevent), and lifeline's limits follow; a
# runaway process that shields itself from the OOM killer (oom_score_adj
# -1000) eats the rest in an SSH session; lifeline's memory guard kills it;
# the SSH listeners never die; we log in again on both ports; power off.
# Chapter 2, the rescue escalation: the system boots again with a keepalive
# peer (build/lifeline-peer on this machine); both SSH servers hang while
# the host lives on; the peer counts down and sends a verdict; the host
# kexecs into the rescue system armed at boot; we log in to the rescue
# shell; the peer sees the rescue system and stops.
# DEMO_CHAPTERS="memory escalate" (the default) picks the chapters.
. "$(dirname "$0")/lib.sh"
START=$(now_ms)
say() {
	_t=$(( $(now_ms) - START ))
	printf '[%3d.%ds] %s\n' $((_t / 1000)) $((_t % 1000 / 100)) "$*"
}
show() { sed 's/^/          | /'; }
die() { say "FAILED: $*"; FAILED=1; exit 1; }
MIB=1048576
SMALL=320
chapter_memory() {
	say "lifeline demo: a remote server that must never lose SSH."
	say "Booting build/system.img in QEMU (Debian kernel $KVER, software emulation,"
	say "1 GiB of memory, a virtio balloon) with lifeline as PID 1 (rdinit=/sbin/lifeline)..."
	QEMU_MEM=1024 QEMU_QMP=1 QEMU_EXTRA="-device virtio-balloon-pci,id=balloon0" \
		qemu_boot build/system.img "rdinit=/sbin/lifeline"
	t22=$(wait_banner "$P22" 120) || die "no SSH banner on port 22 within 120 s"
	say "sshd answers on port 22 ($((t22 / 1000)).$((t22 % 1000 / 100)) s after QEMU started)."
	t2222=$(wait_banner "$P2222" 30) || die "no SSH banner on port 2222"
	say "The rescue dropbear answers on port 2222 ($((t2222 / 1000)).$((t2222 % 1000 / 100)) s)."
	login "$P22" || die "login on port 22"
	say "Logged in on port 22 (OpenSSH):  $(gssh "$P22" 'echo "PID 1 is $(cat /proc/1/comm)"')"
	login "$P2222" || die "login on port 2222"
	say "Logged in on port 2222 (dropbear): $(gssh "$P2222" 'echo "PID 1 is $(cat /proc/1/comm)"')"
	say "What lifeline supervises, and the memory guard (lifelinectl status):"
	gssh "$P22" lifelinectl status | show
	say "Protection is for the listeners, not for the sessions they start:"
	gssh "$P22" 'for p in $(pidof sshd dropbear cron) $$; do
		printf "%-9s pid %-5s oom_score_adj %5s  cgroup %s\n" "$(cat /proc/$p/comm)" $p \
			"$(cat /proc/$p/oom_score_adj)" "$(cut -d: -f3 /proc/$p/cgroup)"
	done' | show
	listeners_init

	say "Now the failure.  The hypervisor takes memory away: balloon to $SMALL MiB."
	qmp "{\"execute\":\"balloon\",\"arguments\":{\"value\":$((SMALL * MIB))}}" >/dev/null ||
		die "QMP balloon"
	small() { a=$(qmp '{"execute":"query-balloon"}' | sed -n 's/.*"actual": *\([0-9]*\).*/\1/p')
		[ -n "$a" ] && [ $((a / MIB)) -le $((SMALL + 4)) ]; }
	wait_for 180 small || die "the balloon did not reach $SMALL MiB within 180 s"
	sleep 2
	say "The guest's MemTotal is now $(gssh "$P22" "awk '/^MemTotal:/ { print int(\$2 / 1024) }' /proc/meminfo") MiB; lifeline followed (lifelinectl log):"
	gssh "$P22" 'lifelinectl log | grep "memory: MemTotal" | tail -n 2' | show

	say "A runaway process in an SSH session eats all memory.  It has set its own"
	say "oom_score_adj to -1000: the kernel's OOM killer would never pick it."
	t0=$(now_ms)
	gssh "$P22" 'hog -a -1000 </dev/null >/dev/null 2>&1 &'
	killed() { gssh "$P2222" 'dmesg | grep -Eq "memory guard: killed hog|Killed process [0-9]+ \(hog\)"' 2>/dev/null; }
	wait_for 120 killed || die "the hog was not killed within 120 s"
	say "It was killed, $(( ($(now_ms) - t0) / 1000 )) s after it started.  The kernel log:"
	gssh "$P2222" 'dmesg | grep -E "memory guard|Killed process|memory: MemTotal"' | tail -n 6 | show
	gone() { gssh "$P2222" '! pidof hog >/dev/null' 2>/dev/null; }
	wait_for 60 gone || die "the hog is still there"
	say "Logging in again:"
	ms22=$(login_by "$P22" "$t0" 60) && say "  port 22 (sshd): ok, $ms22 ms after the runaway started" ||
		die "login on port 22 after the runaway"
	ms2222=$(login_by "$P2222" "$t0" 60) && say "  port 2222 (dropbear): ok, $ms2222 ms after it started" ||
		die "login on port 2222 after the runaway"
	[ "$(listeners)" = "$sshd_pid $drop_pid" ] &&
		say "The sshd listener ($sshd_pid) and the rescue dropbear ($drop_pid) were never killed." ||
		say "A listener was restarted: $(listeners) (before: $sshd_pid $drop_pid)"
	gssh "$P22" lifelinectl status | show

	say "Powering off cleanly (lifelinectl poweroff):"
	gssh "$P22" lifelinectl poweroff >/dev/null 2>&1
	qemu_wait_exit 60 || die "QEMU still running 60 s after poweroff"
	grep -E "shutdown requested|stopping services|SIGTERM to all|SIGKILL to all|syncing|unmounted|remounted|powering off" "$SERIAL" | show
	say "QEMU has exited.  Total: $(( ($(now_ms) - START) / 1000 )) s."
}
# Chapter 2 (issue #6): the host is alive, but nobody can get in.  A
# keepalive peer on another machine (here: build/lifeline-peer on this one)
# sees that and sends a verdict; the host kexecs into the rescue system,
# which was armed at boot, and we log in there.
chapter_escalate() {
	GRACE=10
	START=$(now_ms)
	say "Chapter 2: the host is alive, but nobody can get in."
	say "Booting the system image again, with a keepalive peer: lifeline sends signed"
	say "keepalives every second to lifeline-peer, which runs on this machine (the guest"
	say "reaches it as 10.0.2.2) and probes the guest's two SSH ports from outside."
	PEER_PORT=$(free_udp 3)
	qemu_boot build/system.img "rdinit=/usr/lib/lifeline-test/e2e-init lifeline.e2e=escalate lifeline.e2e.peer=$PEER_PORT"
	wait_banner "$P22" 120 >/dev/null || die "no SSH banner on port 22 within 120 s"
	peer_start "${GRACE}s" || die "lifeline-peer did not start"
	say "The guest's configuration for this (/etc/lifeline/conf.d/e2e.conf):"
	gssh "$P22" "grep -v '^#' /etc/lifeline/conf.d/e2e.conf | grep ." | show
	armed() { [ "$(gjson "$P22" .rescue.state)" = armed ]; }
	wait_for 60 armed || die "lifeline did not arm the rescue system"
	up() { [ "$(peer_host .state)" = up ]; }
	wait_for 30 up || die "the peer does not see the host up"
	say "At boot lifeline armed the rescue system: the kernel, the rescue image, a"
	say "snapshot of the network and the keepalive settings are loaded with kexec_file_load."
	gssh "$P22" "lifelinectl status | grep -E '^(keepalive|  peer|rescue)'" | show
	say "The peer (lifeline-peer status), grace period ${GRACE} s for the demo (10 minutes by default):"
	build/lifeline-peer status -s "$T/peer.sock" | show

	listeners_init
	say "Now the failure: both SSH servers hang (we stop sshd, pid $sshd_pid, and the rescue"
	say "dropbear, pid $drop_pid, with SIGSTOP).  The host itself runs on; its ports accept"
	say "connections, but no server ever answers."
	gssh "$P22" "kill -STOP $sshd_pid $drop_pid" || die "SIGSTOP"
	if timeout 5 ssh -q -i "$KEY" -p "$P22" -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o ConnectTimeout=3 root@127.0.0.1 true 2>/dev/null; then
		die "a login still works"
	fi
	say "ssh -p 22 root@host: no answer.  The keepalives still come; the peer counts down:"
	i=0
	while [ -z "$(peer_event verdict)" ] && [ $i -lt 30 ]; do
		build/lifeline-peer status -s "$T/peer.sock" | tail -n 1 | show
		sleep 2
		i=$((i + 1))
	done
	t_v=$(peer_event verdict)
	[ -n "$t_v" ] || die "no verdict within 60 s"
	say "The peer's log (what monitoring would match):"
	grep 'host=lifeline-test event=' "$PEER_LOG" | cut -d' ' -f2- | show
	say "The guest's console: lifeline checks the verdict and boots the rescue system."
	kexec_seen() { serial_has 'rescue system: booting|booting the rescue system' && [ "$(serial_count 'Linux version')" -ge 2 ]; }
	wait_for 30 kexec_seen || die "no kexec within 30 s"
	grep -E 'lifeline: (keepalive|rescue): verdict' "$SERIAL" | show
	grep -o '\[ *0\.0*\] Linux version [^ ]*' "$SERIAL" | tail -n 1 | sed 's/$/ ...  (the rescue kernel)/' | show
	ms=$(wait_banner "$P2222" 120) || die "no SSH banner on the rescue port within 120 s"
	say "The rescue system answers on port 2222, $(( ($(now_ms) - t_v) / 1000 )) s after the verdict.  Its console:"
	grep -E '^rescue: ' "$SERIAL" | show
	wait_for 60 pid1_is "$P2222" lifeline || true
	wait_for 20 login "$P2222" || die "no login on the rescue port"
	say "Logging in to the rescue shell (ssh -p 2222 root@host):"
	gssh "$P2222" 'cat /etc/motd; echo "# uname -r: $(uname -r), PID 1: $(cat /proc/1/comm)"
		ip -o -4 addr show scope global | sed "s/^/# /"; lifelinectl status | grep -E "^(keepalive|  peer)"' | show
	rescue_seen() { [ "$(peer_host .state)" = rescue ]; }
	wait_for 30 rescue_seen || die "the peer does not see the rescue system"
	say "The rescue system tells the peer where it is; no more verdicts:"
	build/lifeline-peer status -s "$T/peer.sock" | show
	grep 'lifeline_peer_host_state{host="lifeline-test"' "$T/peer.prom" | grep ' 1$' | show
	say "Powering the rescue system off."
	gssh "$P2222" poweroff >/dev/null 2>&1
	qemu_wait_exit 60 || die "QEMU still running 60 s after poweroff"
	peer_stop
	say "QEMU has exited.  Chapter 2: $(( ($(now_ms) - START) / 1000 )) s."
}

for chapter in ${DEMO_CHAPTERS:-memory escalate}; do
	chapter_$chapter
	echo
done
finish
