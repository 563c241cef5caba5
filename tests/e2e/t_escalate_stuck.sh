#!/bin/sh
# tests/e2e/t_escalate_stuck.sh: a verdict still reaches the rescue system
# while the storage has stopped answering with dirty data waiting (issue
# #12 item 6).  The configuration of t_escalate (e2e-escalate.conf: a
# lifeline-peer on the test machine, grace 5 s; the rescue image armed at
# boot, kexec) and a second disk, a raw ext4 image made here, as
# virtio /dev/vda.
#
#   1. the rescue image is armed and the peer sees the host up
#   2. in the guest: a device-mapper device "linear" over /dev/vda
#      (tests/e2e/dmhang.c), ext4 mounted on it, 8 MiB written and left
#      dirty in the page cache, then the device suspended with noflush and
#      without locking the filesystem (dmsetup suspend --noflush
#      --nolockfs).  `fsfreeze -f` or a plain suspend would flush first, and
#      a later sync would return; here nothing can be written any more.
#      Proof that the storage hangs: a plain `sync` started then is still
#      in state D $SYNC_WAIT s later, and still when the verdict comes.
#      A sync() in PID 1 (the code before issue #12) never returns here.
#   3. both SSH listeners stopped (SIGSTOP): the peer sends a verdict
#   4. lifeline logs "booting the rescue system", its sync child does not
#      finish and it says so 5 s later (sync_bounded, RESCUE_SYNC_MS), and
#      the guest kexecs: a second kernel, the rescue system's SSH banner
#      within $RESCUE_MAX s of the verdict, a key login, its motd
. "$(dirname "$0")/lib.sh"

GRACE=5
SYNC_WAIT=${SYNC_WAIT:-10}      # how long the plain sync must hang, at least
RESCUE_MAX=${RESCUE_MAX:-90}    # verdict to the rescue banner; ~25 s alone
started=$(now_ms)
[ -x build/lifeline-peer ] || { fail "build/lifeline-peer built (make)"; finish; }
[ -r "$KA_KEY" ] || { fail "$KA_KEY exists (make images)"; finish; }
command -v mkfs.ext4 >/dev/null || { fail "mkfs.ext4 installed (apt-get install e2fsprogs)"; finish; }

# the second disk: 32 MiB of ext4, made on the test machine
truncate -s 32M "$T/disk.img" && mkfs.ext4 -q -F -L stuck "$T/disk.img" ||
	{ fail "an ext4 image made with mkfs.ext4"; finish; }
QEMU_EXTRA="-drive file=$T/disk.img,format=raw,if=virtio"
# what only this test needs, appended to the system image as a second
# archive (the kernel unpacks both): dm-mod, virtio_blk, ext4 and
# tests/e2e/dmhang.c, with a modules.dep that covers the image's own
# modules too (it replaces the image's)
stuck_image() (
	. initramfs/lib.sh
	IMG=$T/extra
	mkdir -p "$IMG/usr/bin"
	musl-gcc -static -Os -s -Wall -Wextra -Werror -o "$IMG/usr/bin/dmhang" tests/e2e/dmhang.c ||
		exit 1
	# crc32c_generic by name, for ext4's checksums: under TCG the CPU has
	# no SSE4.2 for crc32c-intel
	img_modules "$KVER" virtio_pci virtio_net virtio_balloon softdog inet_diag tcp_diag \
		dm_mod virtio_blk crc32c_generic ext4
	(cd "$IMG" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$T/extra.cpio" || exit 1
	# the kernel looks for a next archive at a multiple of 4 bytes, after
	# zeros: pad the image to it
	size=$(stat -c %s build/system.img)
	{ cat build/system.img; head -c $(( (4 - size % 4) % 4 )) /dev/zero; cat "$T/extra.cpio"; } \
		> "$T/system-stuck.img"
)
check "the test's own archive (dm-mod, virtio_blk, ext4, dmhang) appended to the image" stuck_image
SYSTEM_IMG=$T/system-stuck.img

PEER_PORT=$(free_udp 3)
boot_e2e "the stuck storage" escalate "lifeline.e2e.peer=$PEER_PORT"
peer_start "${GRACE}s" || { fail "lifeline-peer started (its socket appeared)"; finish; }

# ---- 1. armed, up
armed() { [ "$(gjson "$P22" .rescue.state)" = armed ]; }
check "1: lifeline armed the rescue image" wait_for 60 armed
check "1: the kernel has it loaded (/sys/kernel/kexec_loaded)" \
	[ "$(gssh "$P22" cat /sys/kernel/kexec_loaded)" = 1 ]
up() { [ "$(peer_host .state)" = up ]; }
check "1: the peer sees the host up" wait_for 30 up

# ---- 2. storage that stops answering, with dirty data waiting
gssh "$P22" 'set -e
	for m in virtio_blk dm_mod crc32c_generic ext4; do modprobe $m; done
	i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	dmhang create stuck /dev/vda' > "$T/create.out" 2>&1
note "2: $(tr '\n' ' ' < "$T/create.out")"
dm=$(sed -n 's|^created stuck /dev/\(dm-[0-9]*\) .*|\1|p' "$T/create.out")
check "2: a device-mapper device over /dev/vda (${dm:-none})" [ -n "$dm" ]
[ -n "$dm" ] || finish
gssh "$P22" "set -e
	mkdir -p /mnt/stuck
	mount -t ext4 /dev/$dm /mnt/stuck
	grep ' /mnt/stuck ' /proc/mounts
	dd if=/dev/zero of=/mnt/stuck/dirty bs=1M count=8 2>/dev/null
	grep -E '^(Dirty|Writeback):' /proc/meminfo | tr -s ' ' | tr '\n' ' '; echo
	dmhang suspend stuck
	echo suspended=\$(cat /sys/block/$dm/dm/suspended)" > "$T/suspend.out" 2>&1
sed 's/^/# 2: /' "$T/suspend.out"
check "2: ext4 mounted on /dev/$dm" grep -q "^/dev/$dm /mnt/stuck ext4 " "$T/suspend.out"
dirty=$(sed -n 's/.*Dirty: \([0-9]*\) kB.*/\1/p' "$T/suspend.out")
check "2: dirty data waiting in the page cache (Dirty: ${dirty:-?} kB >= 4096 kB)" \
	[ "$(num "$dirty")" -ge 4096 ]
check "2: $dm suspended with noflush and without lockfs (sysfs dm/suspended = 1)" \
	grep -q '^suspended=1$' "$T/suspend.out"

# a plain sync now: the proof that the storage hangs
gssh "$P22" 'setsid sync < /dev/null > /dev/null 2>&1 &
	i=0; while ! pidof sync > /dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	pidof sync' > "$T/sync.pid" 2>&1
t_sync=$(now_ms)
spid=$(num "$(head -n 1 "$T/sync.pid")")
check "2: a plain sync started in the guest (pid $spid)" [ "$spid" -gt 0 ]
# STATE WCHAN of the guest's process $1 ("gone" once it ended)
sync_state() {
	gssh "$P22" "if [ -r /proc/$1/stat ]; then
		echo \$(sed 's/.*) //' /proc/$1/stat | cut -d' ' -f1) \$(cat /proc/$1/wchan); else echo gone; fi" 2>/dev/null
}
sleep "$SYNC_WAIT"
st=$(sync_state "$spid")
hung_ms=$(( $(now_ms) - t_sync ))
note "2: the plain sync after $hung_ms ms: state $st"
check "2: the plain sync hangs: still in state D after $hung_ms ms (got: ${st:-no answer})" \
	has_line "$st" '^D '

# ---- 3. both SSH listeners stop answering: a verdict
listeners_init
note "3: stopping sshd ($sshd_pid) and dropbear ($drop_pid) with SIGSTOP"
# the last look at the plain sync, with the same login that stops them
st=$(gssh "$P22" "echo \$(sed 's/.*) //' /proc/$spid/stat | cut -d' ' -f1); kill -STOP $sshd_pid $drop_pid" 2>/dev/null)
hung_ms=$(( $(now_ms) - t_sync ))
t_stop=$(now_ms)
check "3: the plain sync still hangs when the listeners stop ($hung_ms ms, state ${st:-?})" \
	[ "$st" = D ]
verdict_sent() { [ -n "$(peer_event verdict)" ]; }
check "3: the peer sends a verdict" wait_for $((GRACE + 40)) verdict_sent
t_verdict=$(peer_event verdict)
note "3: the first verdict $(( ${t_verdict:-0} - t_stop )) ms after the SIGSTOP, $(( ${t_verdict:-0} - t_sync )) ms after the plain sync started"
grep 'host=lifeline-test event=' "$PEER_LOG" | sed 's/^/# 3: peer log: /'

# ---- 4. the rescue system all the same
check "4: lifeline acts on the verdict (booting the rescue system)" \
	wait_for 30 serial_has 'booting the rescue system'
SYNC_RE='lifeline: sync has not finished after 5000ms'
check "4: lifeline says its sync did not finish within 5 s and goes on" \
	wait_for 30 serial_has "$SYNC_RE"
kexec_seen() { [ "$(serial_count 'Linux version')" -ge 2 ]; }
if ! wait_for 60 kexec_seen; then
	fail "4: a second kernel boots (kexec) within 60 s of the sync's time limit"
	finish
fi
ok "4: a second kernel boots (kexec)"
grep -E 'booting the rescue|lifeline: sync has not|Linux version' "$SERIAL" |
	sed -e 's/.*\(\[ *[0-9.]*\] Linux version [^ ]*\).*/\1/' -e 's/^/# 4: serial: /'
# the kernel's own clock: lifeline's two lines, 5 s apart, then the jump
ktime() { grep -E "$1" "$SERIAL" | head -n 1 | sed -n 's/^\[ *\([0-9]*\)\.\([0-9]\{3\}\).*/\1\2/p'; }
k_boot=$(num "$(ktime 'booting the rescue system')")
k_sync=$(num "$(ktime "$SYNC_RE")")
k_gap=$((k_sync - k_boot))
note "4: kernel log: the sync's time limit ran out $k_gap ms after \"booting the rescue system\""
check "4: that is the 5 s limit ($k_gap ms, 5000-8000)" \
	sh -c "[ $k_gap -ge 5000 ] && [ $k_gap -le 8000 ]"
in_order() {
	awk -v re="$SYNC_RE" '$0 ~ re && !s { s = NR } /Linux version/ { n++; if (n == 2) k = NR }
		END { exit !(s && k && s < k) }' "$SERIAL"
}
check "4: the kexec comes after lifeline gave up on the sync" in_order
check "4: the rescue init runs" wait_for 60 serial_has 'rescue: lifeline rescue system, kernel'
if wait_banner "$P2222" "$RESCUE_MAX" > /dev/null; then
	ms=$(( $(now_ms) - t_verdict ))
	check "4: SSH banner on the rescue port $ms ms after the verdict (at most ${RESCUE_MAX} s)" \
		[ "$ms" -le $((RESCUE_MAX * 1000)) ]
else
	fail "4: SSH banner on the rescue port within $RESCUE_MAX s of the verdict"
	finish
fi
check "4: key login on the rescue port" wait_for 30 login "$P2222"
# the rescue init hands PID 1 over to lifeline when its set-up is done
# (dropbear answers before that, and /etc/motd comes with the set-up)
check "4: the rescue init handed PID 1 over to lifeline" wait_for 60 pid1_is "$P2222" lifeline
wait_for 20 login "$P2222"
motd=$(gssh "$P2222" 'head -n 1 /etc/motd; cat /proc/cmdline')
note "4: $motd"
in_rescue() { has_line "$motd" "^lifeline rescue system" && has_line "$motd" "lifeline.rescue_port=2222"; }
check "4: it is the rescue system (motd), booted with lifeline.rescue_port" in_rescue

peer_stop
note "t_escalate_stuck took $(( ($(now_ms) - started) / 1000 )) s"
finish
