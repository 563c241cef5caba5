#!/bin/sh
# make bench, what lifeline's own setup costs in MemAvailable (issue #11,
# "Explain the 10 MiB"): the system image in QEMU (TCG, no swap, booted
# with 1024 MiB and a virtio balloon), idle, under five setups:
#
#   none        BusyBox init (initramfs/system/bench-init.sh) starting
#               sshd, the rescue dropbear and cron: no guard, no cgroups
#   lifeline    lifeline as PID 1 with the shipped configuration
#   nomemory    the shipped configuration without its [memory] section
#   nocgroups   the shipped configuration with cgroups = no
#   noguard     the shipped configuration with guard = no
#
# The three variants are the image's own /etc/lifeline/lifeline.conf
# (configs/lifeline.conf) edited here with sed and laid over the image as
# a second cpio archive after build/system.img's (the kernel unpacks both;
# a later file replaces an earlier one): the image is not rebuilt, and a
# variant cannot drift from the shipped file.  Every setup boots an image
# made the same way (the kernel frees the archive once unpacked).
#
# One boot per setup: SETTLE s after both logins work, then at full size
# (1024 MiB); then the balloon over QMP to TARGET (208 MiB: the issue's
# figure) and SETTLE s after it has settled, the same readings again:
#
#   MemAvailable   the median of SAMPLES readings 2 s apart of the
#                  balloon's guest statistics over QMP (the kernel's
#                  si_mem_available(), what /proc/meminfo says): no login
#                  is open while they are taken, so nothing of the reading
#                  costs memory in the guest
#   free           MemFree plus the free pages on the per-CPU lists: the
#                  kernel keeps up to ~30 MiB there in this guest, which
#                  MemFree and MemAvailable do not count, and how much
#                  varies from boot to boot; MemAvailable moves with it
#                  (and is 0 whenever MemFree is below the kernel's
#                  reserve, ~70 MiB here, sized at boot for 1 GiB)
#   the fields     then one SSH login on port 22 (the same script in every
#                  setup) reads /proc/meminfo SAMPLES times 2 s apart
#                  (medians), cgroup.stat (live and dying cgroups), the
#                  controllers enabled at the root, PID 1's VmRSS and
#                  VmLck, and each process's RSS and PSS.  Its own session
#                  (sshd's session processes, a shell, and under lifeline
#                  the session's cgroup) is in these figures, in every
#                  setup alike.
#
# Printed, never asserted.  Environment: SETUPS (default "none lifeline
# nomemory nocgroups noguard"), MEMCOST_TARGET (208), MEMCOST_SETTLE (20),
# MEMCOST_SAMPLES (5).  About 100 s per setup on a 2-core machine under
# TCG, 9 minutes for the five.
. "$(dirname "$0")/../e2e/lib.sh"
SETUPS=${SETUPS:-none lifeline nomemory nocgroups noguard}
TARGET=${MEMCOST_TARGET:-208}
SETTLE=${MEMCOST_SETTLE:-20}
SAMPLES=${MEMCOST_SAMPLES:-5}
export QEMU_MEM=1024 QEMU_QMP=1 QEMU_EXTRA="-device virtio-balloon-pci,id=balloon0"
ROWS=$T/rows
: > "$ROWS"

[ -r build/system.img ] || { echo "memcost bench: no build/system.img (make images)"; exit 1; }
for c in jq socat cpio zstd; do
	command -v $c >/dev/null || { echo "memcost bench: $c is missing (tests/deps.sh)"; exit 1; }
done

# in the guest, from a login: /proc/meminfo $1 times 2 s apart, then the
# cgroups, PID 1 and every process with memory of its own
DETAIL='n=$1 i=0
cs() { w=0; while read -r k v; do case $k in voluntary_ctxt_switches:|nonvoluntary_ctxt_switches:) w=$((w + v)) ;; esac; done < /proc/1/status; }
cs; w0=$w
while [ $i -lt $n ]; do
	[ $i -gt 0 ] && sleep 2
	while read -r k v u; do echo "M ${k%:} $v"; done < /proc/meminfo
	awk "/^Node/ { z++ } \$1 == \"count:\" { p += \$2 } \$1 == \"high\" && NF == 2 { h += \$2 }
	     /protection:/ { gsub(/[(),]/, \" \"); m = 0; for (j = 2; j <= NF; j++) if (\$j > m) m = \$j; r += m }
	     END { print \"M pcp\", p * 4; print \"M reserve\", (h + r) * 4 }" /proc/zoneinfo
	i=$((i + 1))
done
cs; echo "L wakeups $((w - w0))"
awk "NR > 1 { r += \$5 } END { print \"C netlink_rmem\", r + 0 }" /proc/net/netlink
if [ -r /sys/fs/cgroup/cgroup.stat ]; then
	while read -r k v; do echo "C $k $v"; done < /sys/fs/cgroup/cgroup.stat
	c=$(cat /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null)
	echo "C subtree ${c:-none}" | tr " " , | sed "s/^C,subtree,/C subtree /"
	for g in lifeline lifeline/protected; do
		[ -r /sys/fs/cgroup/$g/memory.min ] && echo "C min:$g $(cat /sys/fs/cgroup/$g/memory.min)"
	done
	echo "C memcgs $(awk "\$1 == \"memory\" { print \$3 }" /proc/cgroups)"
fi
while read -r k v u; do
	case $k in VmRSS:|VmLck:) echo "L ${k%:} $v" ;; esac
done < /proc/1/status
for d in /proc/[0-9]*; do
	rss= pss=
	while read -r k v u; do case $k in VmRSS:) rss=$v ;; esac; done < $d/status 2>/dev/null
	[ -n "$rss" ] || continue
	while read -r k v u; do case $k in Pss:) pss=$v ;; esac; done < $d/smaps_rollup 2>/dev/null
	read -r c < $d/comm
	echo "P ${d#/proc/} $c $rss ${pss:-0}"
done'

# image SETUP: the image for SETUP, made the same way for every setup: the
# image's archive, then (for a variant) a second archive with lifeline.conf
# edited, recompressed as one stream (the kernel's zstd reader stops at
# the end of a frame and loses an archive appended after it)
image() {
	case $1 in
	nomemory) sed_prog='/^\[memory\]/,/^\[/{/^\[memory\]/d;/^\[/!d;}' want='!^\[memory\]' ;;
	nocgroups) sed_prog='s/^cgroups = yes/cgroups = no/' want='^cgroups = no' ;;
	noguard) sed_prog='s/^guard = yes/guard = no/' want='^guard = no' ;;
	*) sed_prog= ;;
	esac
	[ -s "$T/base.cpio" ] || zstd -q -dc build/system.img > "$T/base.cpio" || return 1
	: > "$T/ov-$1.cpio"
	if [ -n "$sed_prog" ]; then
		mkdir -p "$T/ov-$1/etc/lifeline"
		sed "$sed_prog" configs/lifeline.conf > "$T/ov-$1/etc/lifeline/lifeline.conf"
		case $want in
		!*) ! grep -q "${want#!}" "$T/ov-$1/etc/lifeline/lifeline.conf" ;;
		*) grep -q "$want" "$T/ov-$1/etc/lifeline/lifeline.conf" ;;
		esac || { echo "memcost bench: $1: configs/lifeline.conf did not change as expected" >&2; return 1; }
		(cd "$T/ov-$1" && echo etc/lifeline/lifeline.conf | cpio -o -H newc -R 0:0 --quiet) > "$T/ov-$1.cpio" || return 1
	fi
	cat "$T/base.cpio" "$T/ov-$1.cpio" | zstd -q -T0 > "$T/img-$1" || return 1
	echo "$T/img-$1"
}

stop_guest() {
	[ -n "$QPID" ] && kill -KILL "$QPID" 2>/dev/null
	[ -n "$QPID" ] && wait "$QPID" 2>/dev/null
	QPID=
}

# qmp_avail: the median MemAvailable (KiB) and the last MemTotal of
# $SAMPLES readings of the balloon's statistics, 2 s apart
qmp_avail() {
	qa_i=0 qa_v= qa_t=
	while [ $qa_i -lt "$SAMPLES" ]; do
		[ $qa_i -gt 0 ] && sleep 2
		set -- $(balloon_stats)
		[ -n "${2:-}" ] && qa_v="$qa_v $2" qa_t=$1
		qa_i=$((qa_i + 1))
	done
	echo "$(printf '%s\n' $qa_v | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }') ${qa_t:--}"
}

# measure SETUP SIZE: the readings, one row per size
measure() {
	set -- "$1" "$2" $(qmp_avail)
	printf '%s\n' "$DETAIL" | gssh "$P22" sh -s "$SAMPLES" > "$T/detail-$1-$2" 2>/dev/null
	awk -v setup="$1" -v size="$2" -v qavail="$3" -v qtotal="$4" '
	$1 == "M" { n[$2]++; v[$2, n[$2]] = $3 }
	$1 == "C" { c[$2] = $3 }
	$1 == "L" { l[$2] = $3 }
	$1 == "P" { urss += $4; upss += $5; np++
		    if ($5 > 0) procs = procs sprintf(" %s:%d/%d", $3, $4, $5) }
	function med(k,   i, j, t, a, m) {
		m = n[k]; if (!m) return "-"
		for (i = 1; i <= m; i++) a[i] = v[k, i]
		for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
		return a[int((m + 1) / 2)]
	}
	END {
		printf "%s\t%s\t%s\t%s", setup, size, qavail, qtotal
		split("MemTotal MemAvailable MemFree Cached Shmem Slab SReclaimable SUnreclaim KernelStack PageTables Percpu Mlocked Unevictable", f, " ")
		for (i = 1; i <= 13; i++) printf "\t%s", med(f[i])
		# memory in no field of /proc/meminfo (VmallocUsed holds the kernel stacks)
		other = med("MemTotal") - med("MemFree") - med("Cached") - med("Buffers") - med("AnonPages") - med("Slab") - med("PageTables") - med("Percpu") - med("VmallocUsed")
		printf "\t%s\t%s\t%s\t%s\t%s", med("pcp"), other, med("reserve"), l["wakeups"] == "" ? "-" : l["wakeups"], c["netlink_rmem"] == "" ? "-" : c["netlink_rmem"]
		printf "\t%s/%s\t%s\t%s\t%s\t%s/%s\t%d/%d/%d\t%s\t%s\n", c["nr_descendants"] == "" ? "-" : c["nr_descendants"],
			c["nr_dying_descendants"] == "" ? "-" : c["nr_dying_descendants"], c["memcgs"] == "" ? "-" : c["memcgs"],
			c["subtree"] == "" ? "-" : c["subtree"], c["min:lifeline"] == "" ? "-" : c["min:lifeline"],
			l["VmRSS"] == "" ? "-" : l["VmRSS"], l["VmLck"] == "" ? "-" : l["VmLck"], np, urss, upss, procs, "" }' \
		"$T/detail-$1-$2" >> "$ROWS"
}

memcost_setup() {
	setup=$1
	case $setup in
	none) init=/usr/lib/lifeline-test/bench-init app=bench.guard=none ;;
	lifeline|nomemory|nocgroups|noguard) init=/sbin/lifeline app= ;;
	*) echo "memcost bench: unknown setup $setup"; return ;;
	esac
	img=$(image "$setup") || { printf '%s\t-\tno image\n' "$setup" >> "$ROWS"; return; }
	qemu_boot "$img" "rdinit=$init${app:+ $app}"
	if ! wait_banner "$P22" 180 >/dev/null || ! wait_for 60 login "$P22" || ! wait_for 60 login "$P2222"; then
		printf '%s\t-\tno boot\n' "$setup" >> "$ROWS"
		stop_guest; return
	fi
	wait_for 30 eval '[ -n "$(balloon_mib)" ]' || { printf '%s\t-\tno balloon\n' "$setup" >> "$ROWS"; stop_guest; return; }
	if [ "$init" = /sbin/lifeline ]; then
		# the variant is the configuration lifeline runs
		m=$(gjson "$P22" '"memory.present \(.memory.present) guard \(.memory.guard), cgroups \(.cgroups.state)"')
		note "memcost: $setup: status: ${m:-?}"
	fi
	balloon_stats > /dev/null   # turns the guest statistics on (every 1 s)
	sleep "$SETTLE"
	measure "$setup" "$QEMU_MEM"
	if ! balloon_to "$TARGET"; then
		printf '%s\t%s\tQMP balloon refused\n' "$setup" "$TARGET" >> "$ROWS"
		stop_guest; return
	fi
	set -- $(balloon_settle "$TARGET" 240 5)
	note "memcost: $setup: balloon ${3:-?} at ${2:-?} MiB"
	sleep "$SETTLE"
	if kill -0 "$QPID" 2>/dev/null; then
		measure "$setup" "$TARGET"
	else
		printf '%s\t%s\tguest gone\n' "$setup" "$TARGET" >> "$ROWS"
	fi
	stop_guest
}

start=$(now_ms)
for s in $SETUPS; do
	t0=$(now_ms)
	memcost_setup "$s"
	note "memcost: $s: $(( ($(now_ms) - t0) / 1000 )) s"
done

mib() { awk -v k="$1" 'BEGIN { if (k == "-" || k == "") print "-"; else printf "%.1f", k / 1024 }'; }
echo "memcost: what each setup costs in MemAvailable, idle; QEMU TCG guest booted with 1024 MiB, virtio balloon, no swap; one boot per setup: ${SETTLE} s after the logins work, then the balloon to $TARGET MiB and ${SETTLE} s after it settled"
printf '%-10s %11s %8s %11s %8s %9s %13s %8s %13s %8s\n' setup "avail@$QEMU_MEM" "d(none)" "avail@$TARGET" "d(none)" "MemTotal" "free@$QEMU_MEM" "d(none)" "free@$TARGET" "d(none)"
awk -F'\t' -v full="$QEMU_MEM" -v tgt="$TARGET" '
	NF < 10 { bad[$1] = bad[$1] " " $2 ": " $3; order[++no] = $1; next }
	{ a[$1, $2] = $3; t[$1, $2] = $4; if (!seen[$1]++) order[++no] = $1
	  if ($7 != "-" && $18 != "-") p[$1, $2] = $7 + $18 }
	function m(x) { return x == "-" || x == "" ? "-" : sprintf("%.1f", x / 1024) }
	function d(x, y) { return x == "" || y == "" || x == "-" || y == "-" ? "-" : sprintf("%+.1f", (x - y) / 1024) }
	END {
		for (i = 1; i <= no; i++) {
			s = order[i]; if (done[s]++) continue
			printf "%-10s %11s %8s %11s %8s %9s %13s %8s %13s %8s%s\n", s, m(a[s, full]), d(a[s, full], a["none", full]),
				m(a[s, tgt]), d(a[s, tgt], a["none", tgt]), m(t[s, tgt]),
				m(p[s, full]), d(p[s, full], p["none", full]), m(p[s, tgt]), d(p[s, tgt], p["none", tgt]),
				bad[s] ? "  (" bad[s] " )" : ""
		}
	}' "$ROWS"
echo "  avail: MiB, the median of $SAMPLES readings 2 s apart of the balloon's guest statistics (no login open); d(none): against BusyBox init; MemTotal: MiB at $TARGET"
echo "  free: MemFree plus the free pages on the per-CPU lists, read from the login (medians): MemAvailable leaves the per-CPU lists out, and they alone move it by up to 30 MiB from one boot to the next (it is also 0 whenever MemFree is below the kernel's reserve); the steady figure to compare"
for size in "$QEMU_MEM" "$TARGET"; do
	echo
	echo "at $size MiB, from one SSH login (the same in every setup), medians of $SAMPLES readings of /proc/meminfo and /proc/zoneinfo; MiB"
	printf '%-10s %6s %6s %6s %7s %6s %5s %5s %5s %6s %5s %5s %5s %6s %6s %6s %6s\n' \
		setup Total Avail Free Reserve Cached Shmem Slab SRecl SUnrec KStk PgTbl Percpu Mlock Unevict PCP other
	awk -F'\t' -v size="$size" '
	function m(x) { return x == "-" || x == "" ? "-" : sprintf("%.1f", x / 1024) }
	function k(x) { return x == "-" || x == "" ? "-" : sprintf("%.2f", x / 1024) }
	$2 == size && NF >= 29 {
		printf "%-10s %6s %6s %6s %7s %6s %5s %5s %5s %6s %5s %5s %5s %6s %6s %6s %6s\n",
			$1, m($5), m($6), m($7), m($20), m($8), m($9), m($10), m($11), m($12),
			k($13), k($14), k($15), k($16), k($17), m($18), m($19) }' "$ROWS"
	printf '%-10s %10s %-17s %5s %13s %9s %8s %16s\n' setup "cg/dy(mcg)" controllers min "PID1 RSS/Lck" wake-ups "nl rmem" "procs/RSS/PSS"
	awk -F'\t' -v size="$size" '
	$2 == size && NF >= 29 {
		printf "%-10s %10s %-17s %5s %13s %9s %8s %16s\n", $1, $23 "(" $24 ")", $25,
			$26 == "-" ? "-" : sprintf("%dM", $26 / 1048576), $27, $21, $22, $28 }' "$ROWS"
done
echo "  Avail: MemAvailable while the login reads; Reserve: the kernel's totalreserve_pages (each zone's high watermark and largest lowmem reserve, /proc/zoneinfo), which MemAvailable subtracts from MemFree; KStk, PgTbl, Percpu (memory the kernel keeps per CPU, per memory cgroup among others), Mlock, Unevict: KernelStack, PageTables, Percpu, Mlocked, Unevictable"
echo "  PCP: free pages on the per-CPU lists (/proc/zoneinfo count:), which MemFree and MemAvailable leave out; other: MemTotal - MemFree - Cached - Buffers - AnonPages - Slab - PageTables - Percpu - VmallocUsed (kernel stacks included), memory in no field: the per-CPU lists, page allocations of drivers, sockets and pipes"
echo "  cg/dy(mcg): cgroups below the root (cgroup.stat nr_descendants/nr_dying_descendants) and (memory cgroups in all, /proc/cgroups, root included); controllers: the root's cgroup.subtree_control; min: memory.min of /sys/fs/cgroup/lifeline"
echo "  PID 1 RSS/Lck: KiB; wake-ups: PID 1's context switches during the ${SAMPLES} readings; nl rmem: bytes queued on netlink sockets; procs/RSS/PSS: processes with memory of their own (the reading login's included), their RSS and PSS summed, KiB"
echo
echo "processes (RSS/PSS KiB; at $QEMU_MEM MiB, from the reading login, which is among them):"
awk -F'\t' -v size="$QEMU_MEM" '$2 == size && NF >= 29 { printf "  %-10s%s\n", $1, $29 }' "$ROWS"
echo "  (memcost bench: $(( ($(now_ms) - start) / 1000 )) s)"
