#!/bin/sh
# initramfs/mksystem.sh OUT: the system image for the end-to-end tests and
# the demo.  A whole small root filesystem in an initramfs, booted with
# rdinit=/sbin/lifeline:
#
#   /sbin/lifeline, /sbin/lifelinectl      build/ (make)
#   /usr/sbin/sshd (OpenSSH), cron, dropbear, dropbearkey   Debian's, with
#                                          their shared libraries
#   /bin/busybox and its applets          a shell environment (no ifup,
#                                          no init, no crond)
#   /etc/lifeline/lifeline.conf           configs/lifeline.conf, as shipped
#   /etc/lifeline/conf.d/qemu-net.conf    loads virtio-net, sets 10.0.2.15
#   /etc/ssh/, /etc/passwd, ...           initramfs/system/
#   host keys (sshd, rescue dropbear)     generated once into $SYSTEM_KEYDIR
#                                          and reused, so that rebuilds are
#                                          byte for byte the same
#   /root/.ssh/authorized_keys            $AUTHORIZED_KEYS
#   /boot/vmlinuz-$KVER, /boot/rescue.img the kernel and $RESCUE_IMG
#   /usr/bin/hog                          tests/e2e/hog.c (musl, static)
#   virtio_balloon                        for the balloon test
#   /usr/lib/lifeline-test/               rdinit= scripts of the memory
#                                          guard's tests and benchmark:
#                                          cgroup-v1-init, bench-init and
#                                          init (BusyBox init)
#   /usr/bin/earlyoom                     Debian's, for `make bench`, when
#                                          installed (tests/deps.sh)
#
# Environment: KVER (default: the newest /boot/vmlinuz-*), AUTHORIZED_KEYS
# and RESCUE_IMG (required), SYSTEM_KEYDIR (default build/e2e/system-keys),
# COMPRESS (gzip or zstd; default zstd), SOURCE_DATE_EPOCH.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
. initramfs/lib.sh

OUT=${1:?usage: initramfs/mksystem.sh OUT}
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
SYS=initramfs/system
KVER=${KVER:-$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -n 1)}
[ -n "$KVER" ] || img_die "no kernel in /boot (apt-get install linux-image-amd64)"
[ -r "/boot/vmlinuz-$KVER" ] || img_die "missing kernel /boot/vmlinuz-$KVER (apt-get install linux-image-$KVER)"
[ -n "${AUTHORIZED_KEYS:-}" ] || img_die "AUTHORIZED_KEYS is not set (the public key file that may log in as root)"
[ -s "$AUTHORIZED_KEYS" ] || img_die "missing key: $AUTHORIZED_KEYS (AUTHORIZED_KEYS; make one with ssh-keygen -t ed25519)"
[ -n "${RESCUE_IMG:-}" ] || img_die "RESCUE_IMG is not set (the rescue initramfs to put in /boot; make build/e2e/rescue.img)"
[ -s "$RESCUE_IMG" ] || img_die "missing rescue image: $RESCUE_IMG (make build/e2e/rescue.img)"
for b in build/lifeline build/lifelinectl; do
	[ -x "$b" ] || img_die "missing $b (run make first)"
done
command -v musl-gcc >/dev/null || img_die "musl-gcc is missing (apt-get install musl-tools)"
BUSYBOX=${BUSYBOX:-/bin/busybox}
case $(LC_ALL=C ldd "$BUSYBOX" 2>&1) in
*"not a dynamic"*|*"statically linked"*) ;;
*) img_die "$BUSYBOX is missing or not static (apt-get install busybox-static)" ;;
esac
KEYDIR=${SYSTEM_KEYDIR:-$ROOT/build/e2e/system-keys}
COMPRESS=${COMPRESS:-zstd}

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/lifeline-system.XXXXXX") || exit 1
trap 'rm -rf "$STAGE"' EXIT INT TERM
img_init "$STAGE/root"

# --- lifeline: PID 1 and its client
img_exec build/lifeline /sbin/lifeline
img_exec build/lifelinectl /sbin/lifelinectl

# --- busybox and its applets, where Debian puts the real programs; left
# out: init and linuxrc (lifeline is init), crond and crontab (the real
# cron is here).  busybox's sh runs its own applets even without a link
# (ifup among them), so the image has an /etc/network/interfaces.
img_exec "$BUSYBOX" /bin/busybox
for a in $("$BUSYBOX" --list-full); do
	case ${a##*/} in
	busybox|init|linuxrc|crond|crontab) continue ;;
	esac
	[ -e "$IMG/$a" ] || [ -L "$IMG/$a" ] || img_link /bin/busybox "$a"
done

# --- OpenSSH: the server only; privilege separation as user sshd in
# /run/sshd (made by the shipped [boot run-sshd] task)
img_exec /usr/sbin/sshd
img_file "$SYS/sshd_config" /etc/ssh/sshd_config 0644

# --- cron, in the foreground; Debian's spool layout
img_exec /usr/sbin/cron
img_file "$SYS/crontab" /etc/crontab 0644
img_dir etc/cron.d 0755
img_dir var/spool/cron 0755
img_dir var/spool/cron/crontabs 1730

# --- dropbear: the rescue SSH server of the shipped config
img_exec /usr/sbin/dropbear
img_exec /usr/bin/dropbearkey

# --- users, name service, shells, host name; an empty fstab for mount -a
img_file "$SYS/passwd" /etc/passwd 0644
img_file "$SYS/group" /etc/group 0644
img_file "$SYS/shadow" /etc/shadow 0640
img_file "$SYS/shells" /etc/shells 0644
img_file "$SYS/nsswitch.conf" /etc/nsswitch.conf 0644
img_file "$SYS/hosts" /etc/hosts 0644
img_file "$SYS/hostname" /etc/hostname 0644
img_file "$SYS/fstab" /etc/fstab 0644
img_file "$SYS/interfaces" /etc/network/interfaces 0644
img_dir var/log 0755
img_dir var/tmp 1777
img_link /proc/self/mounts etc/mtab
img_link /run var/run

# --- who may log in: root, with these keys, on both ports
img_dir root/.ssh 0700
img_file "$AUTHORIZED_KEYS" /root/.ssh/authorized_keys 0600

# --- host keys: made once, kept in $KEYDIR, so the image is reproducible
# and clients see the same fingerprints after a rebuild
mkdir -p "$KEYDIR" && chmod 0700 "$KEYDIR" || img_die "cannot create $KEYDIR"
if [ ! -s "$KEYDIR/ssh_host_ed25519_key" ]; then
	command -v ssh-keygen >/dev/null || img_die "ssh-keygen is missing (apt-get install openssh-client)"
	rm -f "$KEYDIR/ssh_host_ed25519_key" "$KEYDIR/ssh_host_ed25519_key.pub"
	ssh-keygen -q -t ed25519 -N '' -C lifeline-system -f "$KEYDIR/ssh_host_ed25519_key" ||
		img_die "ssh-keygen failed"
fi
if [ ! -s "$KEYDIR/dropbear_ed25519_host_key" ]; then
	rm -f "$KEYDIR/dropbear_ed25519_host_key"
	dropbearkey -t ed25519 -f "$KEYDIR/dropbear_ed25519_host_key" >/dev/null 2>&1 ||
		img_die "dropbearkey failed (apt-get install dropbear-bin)"
fi
img_file "$KEYDIR/ssh_host_ed25519_key" /etc/ssh/ssh_host_ed25519_key 0600
img_file "$KEYDIR/ssh_host_ed25519_key.pub" /etc/ssh/ssh_host_ed25519_key.pub 0644

# --- lifeline's configuration: the shipped file, and the image's network
img_dir etc/lifeline 0755
img_file configs/lifeline.conf /etc/lifeline/lifeline.conf 0644
img_dir etc/lifeline/conf.d 0755
img_file "$SYS/qemu-net.conf" /etc/lifeline/conf.d/qemu-net.conf 0644
img_file "$SYS/qemu-net.sh" /etc/lifeline/qemu-net.sh 0755
img_dir etc/lifeline/rescue 0700
img_file "$KEYDIR/dropbear_ed25519_host_key" /etc/lifeline/rescue/dropbear_ed25519_host_key 0600

# --- the NIC driver for QEMU's virtio-net, with its dependencies
img_modules "$KVER" virtio_pci virtio_net
# and QEMU's balloon device (qemu-net.sh loads it when the device is there)
img_modules "$KVER" virtio_balloon

# --- the kernel and the rescue image, for kexec
img_file "/boot/vmlinuz-$KVER" "/boot/vmlinuz-$KVER" 0644
img_file "$RESCUE_IMG" /boot/rescue.img 0600    # it holds the rescue host key

# --- the memory hog of the OOM test and the demo
musl-gcc -static -Os -s -Wall -Wextra -o "$STAGE/hog" tests/e2e/hog.c ||
	img_die "cannot compile tests/e2e/hog.c with musl-gcc"
img_exec "$STAGE/hog" /usr/bin/hog

# --- the memory guard's tests and benchmark: other inits for the same
# image (a legacy cgroup v1 layout before lifeline; BusyBox init with or
# without earlyoom), and Debian's earlyoom where it is installed
img_dir usr/lib/lifeline-test 0755
img_file "$SYS/cgroup-v1-init.sh" /usr/lib/lifeline-test/cgroup-v1-init 0755
img_file "$SYS/bench-init.sh" /usr/lib/lifeline-test/bench-init 0755
img_link /bin/busybox usr/lib/lifeline-test/init
if [ -x /usr/bin/earlyoom ]; then
	img_exec /usr/bin/earlyoom
else
	echo "initramfs: no /usr/bin/earlyoom (apt-get install earlyoom): make bench will skip it" >&2
fi

# lifeline.conf and conf.d as the image has them must parse.  Programs and
# users are looked up on this machine, not in the image, so only those
# problems are let through.
if ! out=$(build/lifeline --check-config "$IMG/etc/lifeline/lifeline.conf" 2>&1); then
	bad=$(printf '%s\n' "$out" | grep -E '^[^ ]+:[0-9]+:[0-9]+: ' |
		grep -Ev ': (executable not found|unknown (user|group))')
	[ -z "$bad" ] || img_die "the image's lifeline configuration has errors (paths in the image):
$(printf "%s\n" "$bad" | sed "s|^$IMG||")"
fi

mkdir -p "$(dirname "$OUT")"
img_write "$OUT" "$COMPRESS"
size=$(wc -c < "$OUT")
echo "$OUT: $size bytes ($(( (size + 524288) / 1048576 )) MiB, $COMPRESS), kernel $KVER"
