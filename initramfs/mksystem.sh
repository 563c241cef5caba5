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
#   /boot/vmlinuz-$KVER, /boot/lifeline-rescue.img   the kernel and
#                                          $RESCUE_IMG, where [rescue]
#                                          looks for them by default
#   /usr/lib/lifeline/netsnap             initramfs/netsnap.sh, the network
#                                          snapshot taken when arming; it
#                                          gets busybox's ip (busybox sh
#                                          prefers its applets), which
#                                          prints no "proto kernel": the
#                                          subnet route lands in the
#                                          snapshot too, and the rescue
#                                          system's attempt to add it again
#                                          fails, harmlessly
#   /etc/lifeline/keepalive.key           the test keepalive key, made once
#                                          in $SYSTEM_KEYDIR/keepalive.key
#                                          (the test machine's lifeline-peer
#                                          and build/ka-tool use that file)
#   softdog                               for the watchdog test
#   /etc/lifeline/e2e/NAME.conf           test configurations of the rescue
#                                          escalation, chosen at boot by
#                                          rdinit=/usr/lib/lifeline-test/
#                                          e2e-init lifeline.e2e=NAME (see
#                                          initramfs/system/e2e-init.sh)
#   /usr/bin/freeze, /usr/bin/kunload    tests/e2e/freeze.c (holds PID 1
#                                          stopped: the watchdog test) and
#                                          kunload.c (unloads a kexec image:
#                                          the crash kernel test)
#   inet_diag, tcp_diag                   sock_diag for lifeline's ssh watch
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
# the keepalive key (64 hex digits, lifeline-keepalive(7)), shared with the
# test machine's lifeline-peer and build/ka-tool
if [ ! -s "$KEYDIR/keepalive.key" ]; then
	(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$KEYDIR/keepalive.key.tmp" &&
		echo >> "$KEYDIR/keepalive.key.tmp" &&
		mv "$KEYDIR/keepalive.key.tmp" "$KEYDIR/keepalive.key") ||
		img_die "cannot write $KEYDIR/keepalive.key"
fi
grep -Eqx '[0-9a-f]{64}' "$KEYDIR/keepalive.key" || img_die "$KEYDIR/keepalive.key is not 64 hex digits (remove it to have a new one made)"
chmod 0600 "$KEYDIR/keepalive.key"
img_file "$KEYDIR/ssh_host_ed25519_key.pub" /etc/ssh/ssh_host_ed25519_key.pub 0644

# --- lifeline's configuration: the shipped file, and the image's network
img_dir etc/lifeline 0755
img_file configs/lifeline.conf /etc/lifeline/lifeline.conf 0644
img_dir etc/lifeline/conf.d 0755
img_file "$SYS/qemu-net.conf" /etc/lifeline/conf.d/qemu-net.conf 0644
img_file "$SYS/qemu-net.sh" /etc/lifeline/qemu-net.sh 0755
img_file "$KEYDIR/keepalive.key" /etc/lifeline/keepalive.key 0600
# the rescue escalation's test configurations (e2e-init.sh picks one)
img_dir etc/lifeline/e2e 0755
for f in "$SYS"/e2e-*.conf; do
	n=${f##*/e2e-}
	img_file "$f" "/etc/lifeline/e2e/$n" 0644
done
img_dir etc/lifeline/rescue 0700
img_file "$KEYDIR/dropbear_ed25519_host_key" /etc/lifeline/rescue/dropbear_ed25519_host_key 0600

# --- the NIC driver for QEMU's virtio-net, with its dependencies
img_modules "$KVER" virtio_pci virtio_net
# and QEMU's balloon device (qemu-net.sh loads it when the device is there)
img_modules "$KVER" virtio_balloon
# the software watchdog, for [watchdog] (tests/e2e/t_watchdog.sh)
img_modules "$KVER" softdog
# (t_escalate_stuck's dm-mod, virtio_blk, ext4 and dmhang are not here:
# the test appends them in an archive of its own, as ~3 MiB of modules in
# the image would be ~3 MiB less memory in every guest, and the squeeze
# tests run at the edge)
# sock_diag for TCP, which lifeline uses to see its SSH servers' connections
# (sshwatch.c; the kernel loads them through modprobe on first use, as on
# a Debian server)
img_modules "$KVER" inet_diag tcp_diag

# --- the kernel and the rescue image, for kexec: where [rescue] looks by
# default (the running kernel's /boot/vmlinuz, /boot/lifeline-rescue.img),
# and the network snapshot program arming runs
img_file "/boot/vmlinuz-$KVER" "/boot/vmlinuz-$KVER" 0644
img_file "$RESCUE_IMG" /boot/lifeline-rescue.img 0600    # it holds the rescue host key
img_file initramfs/netsnap.sh /usr/lib/lifeline/netsnap 0755

# --- the memory hog of the OOM test and the demo
musl-gcc -static -Os -s -Wall -Wextra -o "$STAGE/hog" tests/e2e/hog.c ||
	img_die "cannot compile tests/e2e/hog.c with musl-gcc"
img_exec "$STAGE/hog" /usr/bin/hog
# --- the rescue escalation's test tools
for t in freeze kunload; do
	musl-gcc -static -Os -s -Wall -Wextra -Werror -o "$STAGE/$t" "tests/e2e/$t.c" ||
		img_die "cannot compile tests/e2e/$t.c with musl-gcc"
	img_exec "$STAGE/$t" "/usr/bin/$t"
done

# --- the memory guard's tests and benchmark: other inits for the same
# image (a legacy cgroup v1 layout before lifeline; BusyBox init with or
# without earlyoom), and Debian's earlyoom where it is installed
img_dir usr/lib/lifeline-test 0755
img_file "$SYS/cgroup-v1-init.sh" /usr/lib/lifeline-test/cgroup-v1-init 0755
img_file "$SYS/bench-init.sh" /usr/lib/lifeline-test/bench-init 0755
img_file "$SYS/e2e-init.sh" /usr/lib/lifeline-test/e2e-init 0755
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
		grep -Ev ': (executable not found|unknown (user|group)|note: )')
	[ -z "$bad" ] || img_die "the image's lifeline configuration has errors (paths in the image):
$(printf "%s\n" "$bad" | sed "s|^$IMG||")"
fi

# and so must each test configuration of the rescue escalation as a
# drop-in, with sample values where the kernel command line puts the test's
mkdir -p "$STAGE/check/conf.d"
cp "$IMG/etc/lifeline/lifeline.conf" "$STAGE/check/"
cp "$IMG"/etc/lifeline/conf.d/*.conf "$STAGE/check/conf.d/"
for f in "$IMG"/etc/lifeline/e2e/*.conf; do
	sed -e 's/@peer@/7500/g' -e 's/@peer2@/7600/g' -e 's/@timeout@/10s/g' \
		-e '/@[A-Za-z0-9_]*@/d' "$f" > "$STAGE/check/conf.d/e2e.conf"
	out=$(build/lifeline --check-config "$STAGE/check/lifeline.conf" 2>&1) && continue
	bad=$(printf '%s\n' "$out" | grep -E '^[^ ]+:[0-9]+:[0-9]+: ' |
		grep -Ev ': (executable not found|unknown (user|group)|note: )')
	[ -z "$bad" ] || img_die "the test configuration ${f##*/} has errors:
$(printf "%s\n" "$bad" | sed "s|^$STAGE/check/conf.d/e2e.conf|initramfs/system/e2e-${f##*/}|")"
done

mkdir -p "$(dirname "$OUT")"
img_write "$OUT" "$COMPRESS"
size=$(wc -c < "$OUT")
echo "$OUT: $size bytes ($(( (size + 524288) / 1048576 )) MiB, $COMPRESS), kernel $KVER"
