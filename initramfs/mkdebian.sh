#!/bin/sh
# initramfs/mkdebian.sh OUTDIR: a stock Debian bookworm disk with lifeline
# installed the way README.md's "Install" section tells a user, for the
# end-to-end tests that need a whole Debian system (the Xen dom0 test of
# issue #11).  Writes:
#
#   OUTDIR/disk.img      raw ext4 file system (no partition table), the
#                        root file system: boot it with root=/dev/vda
#   OUTDIR/vmlinuz       the disk's own kernel and initramfs (initramfs-tools,
#   OUTDIR/initrd.img    made in the disk), as its boot loader would load them
#   OUTDIR/versions      the kernel's and xen-utils' versions in the disk
#   OUTDIR/grub.lnx      GRUB's core image (prefix (hd0)/boot/grub) behind
#                        lnxboot.img: QEMU's -kernel starts it as a boot
#                        sector would
#
# Two stages, because the first is slow (minutes of debootstrap and apt):
#
# 1. The Debian system, cached as a tarball outside the work tree
#    ($LIFELINE_CACHE, default /var/cache/lifeline: CI runs from a fresh
#    clone on the same machine), keyed by a hash of this script's stage-1
#    code, the package list, the mirrors and the versions wanted:
#    debootstrap (default variant, so systemd is there as Debian installs
#    it, and the same disk also boots with systemd for comparison), then
#    with bookworm-security and -updates enabled: openssh-server, cron,
#    dropbear-bin, ifupdown, isc-dhcp-client, rsyslog, grub-pc-bin,
#    grub2-common, linux-image-amd64 and
#    xen-utils-4.17, the kernel and xen-utils at the host's own versions
#    where the archive still has them (the test boots the host's Xen
#    hypervisor: tools and hypervisor must match).  The mirror is the one
#    in this machine's apt sources; nothing else is contacted.
# 2. Every run, from the tarball (about a minute): `make install
#    DESTDIR=`, the rescue host key (README step 3), the network (DHCP on
#    the first NIC with ifupdown), root's authorized_keys, a host name,
#    configs/examples/xen-dom0.conf as a drop-in, a cron job that proves
#    cron runs jobs, the test hog, the rescue image (make rescue-image
#    install-rescue, README "Setting up a peer"), GRUB's files in /boot/grub
#    and /etc/default/grub (a serial console); then `mkfs.ext4 -d` (no
#    loop device).  So the disk always holds the current lifeline and
#    configs.
#
# Environment: AUTHORIZED_KEYS (required: the public key root accepts),
# LIFELINE_CACHE (the tarball's directory), KVER (the kernel version
# wanted; default the newest /boot/vmlinuz-* of this machine),
# DEBIAN_HOSTNAME (default lifeline-dom0), DISK_FREE_MB (free space on the
# disk, default 1024).  Needs root (debootstrap, chroot, tar with owners),
# debootstrap, e2fsprogs, zstd, musl-tools.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)

die() { echo "mkdebian: $*" >&2; exit 1; }
say() { echo "mkdebian: $*" >&2; }

OUT=${1:?usage: initramfs/mkdebian.sh OUTDIR}
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, file owners in the disk)"
for c in debootstrap mkfs.ext4 zstd tar chroot flock musl-gcc sha256sum; do
	command -v "$c" >/dev/null 2>&1 ||
		die "$c is missing (apt-get install debootstrap e2fsprogs zstd tar util-linux musl-tools)"
done
[ -n "${AUTHORIZED_KEYS:-}" ] || die "AUTHORIZED_KEYS is not set (the public key file root accepts)"
[ -s "$AUTHORIZED_KEYS" ] || die "missing key: $AUTHORIZED_KEYS (make build/e2e/client_key)"
[ -f configs/examples/xen-dom0.conf ] || die "missing configs/examples/xen-dom0.conf"

SUITE=bookworm
CACHE=${LIFELINE_CACHE:-/var/cache/lifeline}
KVER=${KVER:-$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -n 1)}
HOSTNAME_=${DEBIAN_HOSTNAME:-lifeline-dom0}
FREE_MB=${DISK_FREE_MB:-1024}
# rsyslog: the text logs (/var/log/syslog, auth.log) an admin looks for,
# which bookworm no longer installs by default (journald had them); GRUB's
# tools without grub-pc's boot-sector installer: the GRUB e2e loads GRUB
# itself (tests/e2e/debian.sh)
PKGS="openssh-server cron dropbear-bin ifupdown isc-dhcp-client linux-image-amd64 xen-utils-4.17 rsyslog grub-pc-bin grub2-common"

# --- the mirrors, from this machine's apt sources (one-line .list files
# and deb822 .sources files): the first "deb" entry for $SUITE, and the
# first for $SUITE-security.  Never another host.
apt_sources() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		# deb [opts] URI SUITE COMPONENTS...
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk '$1 == "deb" && NF >= 3 { print $2, $3 }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		# stanzas separated by blank lines; Enabled: no skips one
		awk 'function flush() {
				if (types ~ /(^| )deb( |$)/ && enabled != "no")
					for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j]
				types = ""; enabled = ""; nu = 0; ns = 0 }
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			tolower($1) == "types:" { types = $0; sub(/^[^:]*:[ \t]*/, "", types) }
			tolower($1) == "enabled:" { enabled = tolower($2) }
			tolower($1) == "uris:" { for (i = 2; i <= NF; i++) u[++nu] = $i }
			tolower($1) == "suites:" { for (i = 2; i <= NF; i++) s[++ns] = $i }
			END { flush() }' "$f"
	done
}
MIRROR=$(apt_sources | awk -v s="$SUITE" '$2 == s { print $1; exit }')
SECURITY=$(apt_sources | awk -v s="$SUITE-security" '$2 == s || $2 == s "/updates" { print $1; exit }')
[ -n "$MIRROR" ] || die "no '$SUITE' entry in this machine's apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d/)"
[ -n "$SECURITY" ] || say "no '$SUITE-security' entry in the apt sources: the disk gets $SUITE and $SUITE-updates only"

# --- the versions wanted: the host's, so that the disk's xen-utils match
# the hypervisor the test boots (xen-hypervisor-4.17-amd64 on this machine)
# and the kernel is the one the other e2e tests use
ver_of() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }
XENVER=$(ver_of xen-hypervisor-4.17-amd64)
KPKG=
[ -n "$KVER" ] && KPKG=linux-image-$KVER
KPKGVER=
[ -n "$KPKG" ] && KPKGVER=$(ver_of "$KPKG")

# --- stage 1: the cached Debian system.  Its key: the text of this
# script between the two stage-1 marks below (so that changes to stage 2
# do not throw the cache away), the package list, the mirrors and the
# versions wanted.
KEY=$( { sed -n '/^# >>> stage 1/,/^# <<< stage 1/p' "$0"
	echo "$SUITE|$PKGS|$MIRROR|$SECURITY|$XENVER|$KPKG=$KPKGVER"; } |
	sha256sum | cut -c1-16)
TARBALL=$CACHE/debian-$SUITE-$KEY.tar.zst
mkdir -p "$CACHE" || die "cannot create $CACHE (LIFELINE_CACHE)"
mkdir -p "$OUT" || die "cannot create $OUT"

# >>> stage 1 (the cache key covers the text from here to its end mark)
# mounts in a chroot being built, undone on every way out
CHROOT=
chroot_umount() {
	[ -n "$CHROOT" ] || return 0
	for m in dev/pts dev sys proc; do
		mountpoint -q "$CHROOT/$m" 2>/dev/null && umount -l "$CHROOT/$m"
	done
	return 0
}
WORK=
cleanup() {
	chroot_umount
	[ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

in_root() { LC_ALL=C DEBIAN_FRONTEND=noninteractive chroot "$CHROOT" "$@"; }

# apt-get install PKG=VERSION if the archive has that version, else PKG
# (with a warning: the host is behind or ahead of the archive)
install_pinned() {
	p=$1 v=$2
	if [ -n "$v" ] && in_root apt-get install -y -q --no-install-recommends "$p=$v" >> "$LOG" 2>&1; then
		return 0
	fi
	[ -n "$v" ] && say "warning: $p=$v (the host's) is not in the archive; installing the archive's $p"
	in_root apt-get install -y -q --no-install-recommends "$p" >> "$LOG" 2>&1
}

build_tarball() {
	WORK=$(mktemp -d "$CACHE/build.XXXXXX") || die "cannot create a directory in $CACHE"
	CHROOT=$WORK/root
	LOG=$WORK/log
	t0=$(date +%s)
	say "stage 1: debootstrap $SUITE from $MIRROR (a few minutes; log: $LOG)"
	# the default variant: what a stock `debootstrap bookworm` gives,
	# systemd and udev included
	if ! debootstrap --arch=amd64 --components=main \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		"$SUITE" "$CHROOT" "$MIRROR" > "$LOG" 2>&1; then
		tail -n 20 "$LOG" >&2
		die "debootstrap failed (full log above was $LOG)"
	fi
	{
		echo "deb $MIRROR $SUITE main"
		echo "deb $MIRROR $SUITE-updates main"
		[ -n "$SECURITY" ] && echo "deb $SECURITY $SUITE-security main"
	} > "$CHROOT/etc/apt/sources.list"
	# the packages' services must not start in the chroot
	printf '#!/bin/sh\nexit 101\n' > "$CHROOT/usr/sbin/policy-rc.d"
	chmod 755 "$CHROOT/usr/sbin/policy-rc.d"
	mount -t proc proc "$CHROOT/proc" &&
		mount -t sysfs sys "$CHROOT/sys" &&
		mount --bind /dev "$CHROOT/dev" &&
		mount --bind /dev/pts "$CHROOT/dev/pts" || die "cannot mount /proc, /sys, /dev in $CHROOT"
	say "stage 1: apt-get install $PKGS (+ $KPKG, xen-utils-4.17 ${XENVER:-any})"
	in_root apt-get update -q >> "$LOG" 2>&1 || { tail -n 20 "$LOG" >&2; die "apt-get update in the chroot failed"; }
	in_root apt-get -y -q dist-upgrade >> "$LOG" 2>&1 || { tail -n 20 "$LOG" >&2; die "apt-get dist-upgrade in the chroot failed"; }
	# --no-install-recommends: xen-utils recommends qemu-system-xen and
	# grub-xen-host, hundreds of MiB that a dom0 without HVM guests and a
	# disk booted by QEMU do not use
	# shellcheck disable=SC2086
	in_root apt-get install -y -q --no-install-recommends $PKGS >> "$LOG" 2>&1 ||
		{ tail -n 20 "$LOG" >&2; die "apt-get install $PKGS failed"; }
	if [ -n "$KPKG" ]; then
		install_pinned "$KPKG" "$KPKGVER" ||
			say "warning: no $KPKG in the archive; the disk keeps linux-image-amd64's kernel"
	fi
	install_pinned xen-utils-4.17 "$XENVER" || { tail -n 20 "$LOG" >&2; die "xen-utils-4.17 failed"; }
	in_root apt-get clean >> "$LOG" 2>&1
	rm -f "$CHROOT/usr/sbin/policy-rc.d"
	chroot_umount
	# debootstrap leaves the build host's name and resolver behind
	rm -f "$CHROOT/etc/hostname" "$CHROOT/etc/resolv.conf"
	rm -rf "$CHROOT/var/lib/apt/lists/"* "$CHROOT/var/cache/apt/"*.bin
	say "stage 1: writing $TARBALL"
	# numeric owners and xattrs (file capabilities of ping and friends)
	(cd "$CHROOT" && tar --numeric-owner --xattrs --xattrs-include='*' -cf - .) |
		zstd -q -T0 -3 > "$WORK/rootfs.tar.zst" || die "cannot write the tarball"
	mv "$WORK/rootfs.tar.zst" "$TARBALL" || die "cannot move the tarball to $TARBALL"
	rm -rf "$WORK"
	WORK=
	CHROOT=
	say "stage 1: done in $(( $(date +%s) - t0 )) s"
	# older keys are of no use any more (changed script or versions)
	for old in "$CACHE"/debian-$SUITE-*.tar.zst; do
		[ "$old" = "$TARBALL" ] || rm -f "$old"
	done
}
# <<< stage 1

# one builder at a time per cache (make check and a developer's run)
exec 9> "$CACHE/.lock" || die "cannot open $CACHE/.lock"
flock -w 3600 9 || die "another mkdebian.sh held $CACHE/.lock for an hour"

T_START=$(date +%s)
if [ -s "$TARBALL" ]; then
	say "stage 1: cached ($TARBALL)"
else
	build_tarball
fi

# --- stage 2: this tree's lifeline on top, then the file system
t1=$(date +%s)
WORK=$(mktemp -d "$CACHE/disk.XXXXXX") || die "cannot create a directory in $CACHE"
R=$WORK/root
mkdir "$R"
zstd -q -d < "$TARBALL" | (cd "$R" && tar --numeric-owner --xattrs --xattrs-include='*' -xpf -) ||
	die "cannot unpack $TARBALL (remove it to have it made again)"

# lifeline, as README.md's Install section says: make, make install
make -s -C "$ROOT" install DESTDIR="$R" > "$WORK/make.log" 2>&1 ||
	{ tail -n 20 "$WORK/make.log" >&2; die "make install DESTDIR=$R failed"; }
# README "Before the first boot", step 3: the rescue host key, made now
# because the rescue dropbear starts before / is read-write
chroot "$R" /usr/bin/dropbearkey -t ed25519 -f /etc/lifeline/rescue/dropbear_ed25519_host_key \
	> /dev/null 2>&1 || die "dropbearkey in the disk failed"
# the Xen dom0 drop-in, as README "A Xen dom0" tells a dom0's admin:
# from the example make install put in place
cp "$R/usr/share/doc/lifeline/xen-dom0.conf.example" "$R/etc/lifeline/conf.d/xen-dom0.conf" ||
	die "make install did not put xen-dom0.conf.example in place"
out=$(build/lifeline --check-config "$R/etc/lifeline/lifeline.conf" 2>&1)
# programs are looked up on this machine, not in the disk: only those
# problems may remain
bad=$(printf '%s\n' "$out" | grep -E '^[^ ]+:[0-9]+:[0-9]+: ' | grep -Ev ': (warning|note): ' |
	grep -Ev ': (executable not found|unknown (user|group))')
[ -z "$bad" ] || die "the disk's lifeline configuration has errors:
$bad"

# README "Before the first boot", step 1: the network.  The first NIC,
# whatever udev names it (ens3, enp0s3, eth0), by DHCP: ifupdown's
# pattern "/e*/1" is the first interface whose name starts with e.
cat > "$R/etc/network/interfaces" <<'EOF'
# Written by lifeline's initramfs/mkdebian.sh: QEMU user networking hands
# out 10.0.2.15 by DHCP on the first NIC.
source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback

auto /e*/1=lan
iface lan inet dhcp
EOF
echo "$HOSTNAME_" > "$R/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
	"$HOSTNAME_" > "$R/etc/hosts"
echo "/dev/vda / ext4 errors=remount-ro 0 1" > "$R/etc/fstab"
# step 2: keys
install -d -m 0700 "$R/root/.ssh"
install -m 0600 "$AUTHORIZED_KEYS" "$R/root/.ssh/authorized_keys"
# a job that proves cron runs jobs (the tests read /run/cron-tick)
cat > "$R/etc/cron.d/lifeline-tick" <<'EOF'
# lifeline's e2e tests: cron runs jobs
* * * * * root date +\%s > /run/cron-tick
EOF
# the memory hog of the e2e tests (as initramfs/mksystem.sh builds it)
musl-gcc -static -Os -s -Wall -Wextra -o "$R/usr/local/bin/hog" tests/e2e/hog.c ||
	die "cannot compile tests/e2e/hog.c with musl-gcc"

# README "Setting up a peer", step 2, done on the host itself: the rescue
# image for the disk's kernel with the disk's rescue host key, and
# install-rescue (the image, its kernel version, the GRUB entry script)
dkver0=$(ls "$R"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
dkver0=${dkver0##*/vmlinuz-}
if [ -d "/lib/modules/$dkver0" ]; then
	kd=$WORK/rescue-keys
	mkdir -m 0700 "$kd"
	cp "$R/etc/lifeline/rescue/dropbear_ed25519_host_key" "$AUTHORIZED_KEYS" "$kd/" &&
		mv "$kd/${AUTHORIZED_KEYS##*/}" "$kd/authorized_keys" || die "cannot prepare $kd"
	make -s -C "$ROOT" rescue-image install-rescue KVER="$dkver0" RESCUE_KEYDIR="$kd" \
		RESCUE_IMG="$WORK/rescue.img" DESTDIR="$R" > "$WORK/rescue.log" 2>&1 ||
		{ tail -n 20 "$WORK/rescue.log" >&2; die "make rescue-image install-rescue failed"; }
else
	say "warning: no /lib/modules/$dkver0 on this machine: no rescue image in the disk"
fi

# GRUB as grub-install sets it up (its modules and environment block in
# /boot/grub, /etc/default/grub), for a server with a serial console
# (IPMI serial-over-LAN), but no boot sector: the tests start GRUB's own
# core image, made here by the disk's grub-mkimage, with QEMU's -kernel
# through GRUB's lnxboot.img ($OUT/grub.lnx); update-grub in the running
# guest writes grub.cfg, as on a real machine
if [ -d "$R/usr/lib/grub/i386-pc" ]; then
	mkdir -p "$R/boot/grub" && cp -a "$R/usr/lib/grub/i386-pc" "$R/boot/grub/" ||
		die "cannot copy GRUB's modules to /boot/grub"
	chroot "$R" grub-editenv /boot/grub/grubenv create || die "grub-editenv create failed"
	[ -e "$R/etc/default/grub" ] || cp "$R/usr/share/grub/default/grub" "$R/etc/default/grub"
	sed -i -e 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=1/' \
		-e 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX="console=ttyS0"/' "$R/etc/default/grub"
	printf '%s\n' 'GRUB_TERMINAL=serial' \
		'GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"' >> "$R/etc/default/grub"
	chroot "$R" grub-mkimage -O i386-pc -o /boot/grub/core.lnx.tmp -p '(hd0)/boot/grub' \
		biosdisk part_msdos ext2 || die "grub-mkimage failed"
	cat "$R/usr/lib/grub/i386-pc/lnxboot.img" "$R/boot/grub/core.lnx.tmp" > "$OUT/grub.lnx.tmp" ||
		die "cannot write $OUT/grub.lnx.tmp"
	rm -f "$R/boot/grub/core.lnx.tmp"
fi

# the boot loader's files, for QEMU's -kernel and the multiboot modules
k=$(ls "$R"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$k" ] || die "no kernel in the disk's /boot"
dkver=${k##*/vmlinuz-}
[ -s "$R/boot/initrd.img-$dkver" ] || die "no initrd.img-$dkver in the disk's /boot"
cp "$k" "$OUT/vmlinuz.tmp" && cp "$R/boot/initrd.img-$dkver" "$OUT/initrd.img.tmp" ||
	die "cannot copy the kernel to $OUT"
xver=$(chroot "$R" dpkg-query -W -f='${Version}' xen-utils-4.17 2>/dev/null)

# --- the file system: used space plus DISK_FREE_MB, sparse
used=$(du -sm "$R" | cut -f1)
size=$(( used + used / 4 + FREE_MB ))
rm -f "$OUT/disk.img.tmp"
truncate -s "${size}M" "$OUT/disk.img.tmp" || die "cannot create $OUT/disk.img.tmp"
if ! mkfs.ext4 -q -F -L debian-root -d "$R" "$OUT/disk.img.tmp" > "$WORK/mkfs.log" 2>&1; then
	cat "$WORK/mkfs.log" >&2
	die "mkfs.ext4 -d failed"
fi
mv "$OUT/disk.img.tmp" "$OUT/disk.img" && mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz" &&
	mv "$OUT/initrd.img.tmp" "$OUT/initrd.img" || die "cannot write $OUT"
if [ -e "$OUT/grub.lnx.tmp" ]; then
	mv "$OUT/grub.lnx.tmp" "$OUT/grub.lnx" || die "cannot write $OUT/grub.lnx"
fi
printf 'kernel %s\nxen-utils-4.17 %s\nhost xen-hypervisor-4.17-amd64 %s\n' \
	"$dkver" "$xver" "${XENVER:-none}" > "$OUT/versions"
rm -rf "$WORK"
WORK=
say "stage 2: $OUT/disk.img ${size} MiB (${used} MiB used), kernel $dkver, xen-utils $xver, in $(( $(date +%s) - t1 )) s (total $(( $(date +%s) - T_START )) s)"
