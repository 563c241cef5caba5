# Xen dom0 helpers for the end-to-end tests (sourced after tests/e2e/lib.sh,
# POSIX sh).  The host's Xen hypervisor boots under QEMU TCG through QEMU's
# multiboot loader, as Xen's own CI does, with a stock Debian bookworm disk
# (initramfs/mkdebian.sh) as dom0; dom0's console is hvc0, which Xen
# prints on its serial console, so $SERIAL has Xen's and dom0's lines.
#
#   xen_prepare                the hypervisor (build/e2e/xen) and the disk
#                              (build/e2e/debian/), made again from the
#                              cache every time so they hold this tree's
#                              lifeline; ends the test if either fails
#   xen_boot INIT              boot: INIT lifeline (init=/sbin/lifeline) or
#                              systemd (no init=, the disk's default);
#                              sets QPID, P22, P2222, SERIAL, BOOT_MS
#   xen_wait_banner PORT SECONDS  until PORT answers "SSH-", gently (see
#                              below); prints the time since boot in ms;
#                              returns 1 after SECONDS, 2 at once if the
#                              boot hung before the kernel started init
#                              (its console still for XEN_STALL_S, 120 s)
#   xen_alive                  QEMU still runs and Xen has not said that
#                              dom0 died (it then reboots the machine, and
#                              QEMU, started with -no-reboot, exits)
#   xen_panicked               the serial console shows a kernel panic
#   xen_sampler PORT           dom0 prints its memory, Xen's figures and
#                              PSI on the console every 2 s
#   xen_evidence T0UP          the serial console's memory lines (guard
#                              kills, OOM kills, panics, balloon, the
#                              sampler's), each
#                              with its time after dom0 uptime T0UP (s);
#                              lifeline's MemTotal lines at most one per 5 s
#   login_within PORT SECONDS  a login on PORT that completes within
#                              SECONDS; prints the time it took in ms
#
# Environment: XEN_MEM (QEMU's memory in MiB, default 2048), XEN_DOM0_MEM
# (default 1024M), XEN_APPEND (more Xen options), XEN_DOM0_APPEND (more
# dom0 kernel options), XEN_DISK_REUSE=1 (do not remake the disk: for
# repeated runs by hand).
XEN=$ROOT/build/e2e/xen
XEN_DIR=$ROOT/build/e2e/debian
XEN_GZ=/boot/xen-4.17-amd64.gz

xen_prepare() {
	# Xen's multiboot image: QEMU loads only a 32-bit ELF with a multiboot
	# header, which is what xen-hypervisor-4.17-amd64 ships, gzipped
	[ -s "$XEN_GZ" ] || { fail "the Xen hypervisor is installed (/boot/xen-4.17-amd64.gz: apt-get install xen-hypervisor-4.17-amd64)"; finish; }
	# (2.5 MB: made again every time, so it is always the installed one)
	mkdir -p "${XEN%/*}"
	if ! { gunzip -c "$XEN_GZ" > "$XEN.tmp" && mv "$XEN.tmp" "$XEN"; }; then
		fail "gunzip $XEN_GZ into $XEN"
		finish
	fi
	# byte 5 of an ELF file: 1 is 32-bit
	check "$XEN is a 32-bit ELF (QEMU's multiboot loader needs one)" sh -c \
		'[ "$(head -c 4 "$1" | tail -c 3)" = ELF ] && [ "$(od -An -tu1 -j4 -N1 "$1" | tr -d " ")" = 1 ]' _ "$XEN"
	if [ "${XEN_DISK_REUSE:-0}" = 1 ] && [ -s "$XEN_DIR/disk.img" ]; then
		note "disk: reused $XEN_DIR/disk.img (XEN_DISK_REUSE=1)"
	else
		xp_t0=$(now_ms)
		if ! AUTHORIZED_KEYS="$KEY.pub" sh initramfs/mkdebian.sh "$XEN_DIR" > "$T/mkdebian.log" 2>&1; then
			sed 's/^/# /' "$T/mkdebian.log"
			fail "initramfs/mkdebian.sh built the Debian disk"
			finish
		fi
		sed 's/^/# /' "$T/mkdebian.log"
		note "disk: made in $(( ($(now_ms) - xp_t0) / 1000 )) s"
		# which lifeline the disk has: make install builds from the work tree
		if xp_rev=$(git rev-parse --short HEAD 2>/dev/null); then
			git diff --quiet HEAD -- init lib peer rescue 2>/dev/null ||
				xp_rev="$xp_rev + uncommitted changes in init/, lib/, peer/ or rescue/"
		else
			xp_rev="a tree outside git"
		fi
		note "disk: lifeline from $xp_rev ($(build/lifeline --version 2>&1 | head -n 1))"
	fi
	xv_host=$(dpkg-query -W -f='${Version}' xen-hypervisor-4.17-amd64 2>/dev/null)
	xv_disk=$(sed -n 's/^xen-utils-4.17 //p' "$XEN_DIR/versions" 2>/dev/null)
	# libxc checks the hypervisor's interface version, which is the same
	# within 4.17.x: a mismatch is worth knowing, not failing for
	[ "$xv_host" = "$xv_disk" ] ||
		note "warning: the hypervisor is $xv_host, the disk's xen-utils-4.17 $xv_disk"
}

xen_boot() {
	[ -s "$XEN_DIR/disk.img" ] || { fail "disk $XEN_DIR/disk.img built"; finish; }
	case $1 in
	lifeline) xb_init=" init=/sbin/lifeline" ;;
	systemd) xb_init= ;;
	*) echo "xen_boot: lifeline or systemd, not $1" >&2; exit 2 ;;
	esac
	P22=$(free_port 1)
	P2222=$(free_port 2)
	[ "$P2222" = "$P22" ] && P2222=$((P22 + 1))
	SERIAL=$T/serial.log
	BOOT_MS=$(now_ms)
	# -cpu qemu64,+svm as Xen's CI: -cpu max crashes dom0 under TCG.
	# Xen on the serial port (com1), dom0 on hvc0 (printed by Xen there
	# too).  The multiboot modules are "FILE ARGS" separated by commas, so
	# no argument of dom0's may hold a comma.  ignore_loglevel: every
	# kernel message reaches the console, whatever the init sets (Debian's
	# procps sets kernel.printk to 4 under systemd, which hides the OOM
	# killer's lines): both inits' runs show the same evidence.
	# snapshot=on: the guest's
	# writes go to a temporary overlay, the disk stays as built (the
	# systemd run boots the same bytes).
	# shellcheck disable=SC2086
	qemu-system-x86_64 -accel tcg -cpu qemu64,+svm -m "${XEN_MEM:-2048}" -smp 2 \
		-nographic -no-reboot -monitor none \
		-kernel "$XEN" \
		-append "console=com1 com1=115200,8n1 dom0_mem=${XEN_DOM0_MEM:-1024M},max:${XEN_DOM0_MEM:-1024M}${XEN_APPEND:+ $XEN_APPEND}" \
		-initrd "$XEN_DIR/vmlinuz root=/dev/vda ro console=hvc0 ignore_loglevel$xb_init${XEN_DOM0_APPEND:+ $XEN_DOM0_APPEND},$XEN_DIR/initrd.img" \
		-drive "file=$XEN_DIR/disk.img,format=raw,if=virtio,snapshot=on" \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$P22-:22,hostfwd=tcp:127.0.0.1:$P2222-:2222" \
		-device virtio-net-pci,netdev=n0 \
		-serial "file:$SERIAL" > "$T/qemu.out" 2>&1 < /dev/null &
	QPID=$!
}

# lib.sh's wait_banner probes every 0.2 s with a 1 s timeout: right for
# the small guests, but in a PV dom0 under TCG on a busy machine each
# connection costs sshd seconds (a fork and a re-exec, every page table
# update a hypercall), the aborted probes pile up past sshd's MaxStartups
# (10), and sshd then drops new connections at random, ours among them.
# One probe at a time, with time to answer, keeps it at one or two.
xen_banner() { timeout 10 busybox nc 127.0.0.1 "$1" < /dev/null 2>/dev/null | head -c 4 | grep -q '^SSH-'; }
xen_wait_banner() {
	xwb_end=$(( $(now_ms) + $2 * 1000 ))
	xwb_size=-1 xwb_still=$(now_ms)
	while :; do
		if xen_banner "$1"; then
			echo $(( $(now_ms) - BOOT_MS ))
			return 0
		fi
		[ "$(now_ms)" -ge "$xwb_end" ] && return 1
		# a boot that stopped before the kernel ran init: the console
		# has not grown for XEN_STALL_S (120) s
		xwb_now=$(wc -c < "$SERIAL" 2>/dev/null || echo 0)
		if [ "$xwb_now" != "$xwb_size" ]; then
			xwb_size=$xwb_now xwb_still=$(now_ms)
		elif [ $(( $(now_ms) - xwb_still )) -ge $(( ${XEN_STALL_S:-120} * 1000 )) ] &&
		     ! grep -aq 'as init process' "$SERIAL"; then
			return 2
		fi
		sleep 2
	done
}

# (Xen waits 5 s before it reboots: its own line counts at once)
xen_alive() {
	[ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null &&
		! grep -aq '(XEN) Hardware Dom0 \(crashed\|shutdown\)' "$SERIAL" 2>/dev/null
}
xen_panicked() { grep -Eq 'Kernel panic|deadlocked on memory' "$SERIAL" 2>/dev/null; }

xen_evidence() {
	grep -aE 'sample: |memory guard|Killed process|invoked oom-killer|Out of memory|Kernel panic|deadlocked on memory|memory: MemTotal|balloon|\(XEN\) Hardware Dom0|lifeline: [^ ]+: (oom-killed|killed by|exited [1-9])' "$SERIAL" 2>/dev/null |
		tr -d '\r' |
		awk -v t0="$1" '{
			rel = ""; ts = ""
			# the time stamp, also after a getty prompt on the same line
			if (match($0, /\[ *[0-9]+\.[0-9]+\]/)) {
				ts = substr($0, RSTART + 1, RLENGTH - 2) + 0
				rel = sprintf("[+%.1fs] ", ts - t0)
			}
			# a balloon moving makes lifeline log MemTotal many times
			# a second: one such line per 5 s is enough to follow it
			if (index($0, "memory: MemTotal") && ts != "") {
				if (mt != "" && ts - mt < 5) { skipped++; next }
				mt = ts
				if (skipped) rel = rel "(" skipped " MemTotal lines before left out) "
				skipped = 0
			}
			print rel $0 }'
}

# xen_sampler PORT: from now on dom0 prints its memory, Xen's figures and
# PSI on its console every 2 s (tests/e2e/xen_sampler.sh)
xen_sampler() {
	# (cat first, not in the background: a job started with & reads
	# /dev/null)
	gssh "$1" 'cat > /run/sampler.sh; setsid sh /run/sampler.sh > /dev/hvc0 2>&1 < /dev/null &' \
		< "$ROOT/tests/e2e/xen_sampler.sh" 2>/dev/null
}

login_within() {
	lw_t0=$(now_ms)
	# gssh is a function, which timeout cannot run
	if timeout "$2" ssh -q -i "$KEY" -p "$1" -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o ConnectTimeout="$2" -o LogLevel=ERROR \
		root@127.0.0.1 echo logged-in 2>/dev/null | grep -q logged-in; then
		echo $(( $(now_ms) - lw_t0 ))
		return 0
	fi
	return 1
}
