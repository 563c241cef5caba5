#!/bin/sh
# initramfs/mkrescue.sh OUT: build the lifeline rescue initramfs (`make
# rescue-image` writes build/rescue.img with it).  The rescue system is
# busybox (static) + dropbear, booted by rescue/init: network from ip=, a
# snapshot or DHCP, SSH on the rescue port with keys only, a shell on the
# console, the real root read-only at /mnt/root.
#
# Settings, from the environment:
#   KVER              kernel version (default: the newest /boot/vmlinuz-*);
#                     its modules must be in /lib/modules/KVER
#   RESCUE_KEYDIR     host key and authorized_keys (/etc/lifeline/rescue).
#                     The host key dropbear_ed25519_host_key is made there
#                     once, so its fingerprint stays the same across builds.
#                     Who may log in: RESCUE_KEYDIR/authorized_keys, else
#                     $HOME/.ssh/authorized_keys (root's, when run as root)
#   RESCUE_DRIVERS    network drivers (default: virtio_pci virtio_net, and
#                     where the kernel has them e1000 e1000e igb ixgbe i40e
#                     bnxt_en r8169 tg3); when set, every one must exist
#   RESCUE_DISK_DRIVERS  disk drivers, to mount the real root (default,
#                     where the kernel has them: virtio_blk virtio_scsi ahci
#                     sd_mod nvme); when set, every one must exist
#   RESCUE_FS         file systems (default: ext4, and where the kernel has
#                     them xfs vfat); when set, every one must exist
#   RESCUE_NETSNAP    a network snapshot (initramfs/netsnap.sh) to use when
#                     the kernel command line has no ip=
#   RESCUE_COMPRESS   gzip (default) or zstd
#   RESCUE_ROOT_HASH  root's password for the console, as a crypt(3) hash:
#                     SHA-512 ($6$..., from `openssl passwd -6` or
#                     `mkpasswd -m sha-512`) or SHA-256 ($5$...), never the
#                     password itself.  The console then asks for a login
#                     (busybox getty and login), also when rescue/init has
#                     to supervise it without lifeline.  Unset: the console
#                     is a root shell with no password (whoever has the
#                     console is root).  SSH stays keys only either way
#   SOURCE_DATE_EPOCH time stamps (the same inputs give the same bytes)
#
# At boot: lifeline.rescue_port=N (2222), ip=, ifname=NAME:MAC, root=,
# rootfstype=, rootflags=, lifeline.rescue_rootwait=SECONDS (10).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
. "$HERE/lib.sh"

die() { echo "mkrescue: $*" >&2; exit 1; }
[ $# = 1 ] || die "usage: KVER=... RESCUE_KEYDIR=DIR sh initramfs/mkrescue.sh OUT"
OUT=$1

# ---- the kernel ----
if [ -z "${KVER:-}" ]; then
	KVER=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n 1)
	[ -n "$KVER" ] || die "no kernel in /boot: install one (apt-get install linux-image-amd64) or set KVER"
fi
if [ ! -d "/lib/modules/$KVER" ]; then
	die "no modules for kernel $KVER: /lib/modules/$KVER is missing.
  Install that kernel's package (apt-get install linux-image-$KVER; for
  Debian's current kernel: apt-get install linux-image-amd64), or set KVER
  to an installed one: $(ls /lib/modules 2>/dev/null | tr '\n' ' ')"
fi
[ -e "/boot/vmlinuz-$KVER" ] ||
	echo "mkrescue: note: /boot/vmlinuz-$KVER is missing; boot this image with kernel $KVER" >&2

COMPRESS=${RESCUE_COMPRESS:-gzip}
case $COMPRESS in
gzip) kopt=CONFIG_RD_GZIP ;;
zstd) kopt=CONFIG_RD_ZSTD ;;
*) die "RESCUE_COMPRESS=$COMPRESS: gzip or zstd" ;;
esac
if [ -r "/boot/config-$KVER" ] && ! grep -q "^$kopt=y" "/boot/config-$KVER"; then
	die "kernel $KVER cannot unpack a $COMPRESS initramfs ($kopt is not set in /boot/config-$KVER); use RESCUE_COMPRESS=gzip"
fi

# ---- the programs ----
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "$BUSYBOX is missing: apt-get install busybox-static"
case $(LC_ALL=C ldd "$BUSYBOX" 2>&1) in
*"not a dynamic executable"*|*"statically linked"*) ;;
*) die "$BUSYBOX is not static (the busybox package); apt-get install busybox-static" ;;
esac
for p in /usr/sbin/dropbear /usr/bin/dropbearkey; do
	[ -x "$p" ] || die "$p is missing: apt-get install dropbear-bin"
done

# ---- the console: a password, or none ----
# RESCUE_ROOT_HASH: $6$ or $5$ in the form crypt(3) writes them (busybox
# 1.35's login knows no yescrypt $y$, scrypt $7$ or bcrypt $2b$; MD5 $1$
# and DES are too weak to offer).  The image's busybox must then compute
# the same setting (method, rounds, salt) and a digest as long from it, as
# its login does with the password typed at the console.
ROOT_HASH=
if [ -n "${RESCUE_ROOT_HASH+set}" ]; then
	ROOT_HASH=$RESCUE_ROOT_HASH
	how="make one with: openssl passwd -6 (it asks for the password), or mkpasswd -m sha-512"
	case $ROOT_HASH in
	'') die "RESCUE_ROOT_HASH is set but empty: unset it for a console without a password, or $how" ;;
	'$6$'*) hash_m=sha512 hash_name=SHA-512 hash_len=86 ;;
	'$5$'*) hash_m=sha256 hash_name=SHA-256 hash_len=43 ;;
	'$y$'*|'$gy$'*|'$7$'*|'$2'[abxy]'$'*)
		die "RESCUE_ROOT_HASH is a yescrypt, scrypt or bcrypt hash, which busybox's login in the rescue image cannot check; $how" ;;
	'$1$'*) die "RESCUE_ROOT_HASH is an MD5 hash (\$1\$...): too weak; $how" ;;
	*) die "RESCUE_ROOT_HASH is not a crypt(3) hash (\$6\$SALT\$DIGEST): give the hash, never the password itself; $how" ;;
	esac
	# one line of crypt's alphabet: no ':' or newline can reach /etc/shadow
	case $ROOT_HASH in *'
'*) hash_ok=no ;; *) hash_ok=yes ;; esac
	[ $hash_ok = yes ] && printf '%s\n' "$ROOT_HASH" |
		grep -Eqx '\$[56]\$(rounds=[1-9][0-9]{0,8}\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{'"$hash_len"'}' ||
		die "RESCUE_ROOT_HASH is not a well-formed $hash_name hash (\$N\$[rounds=R\$]SALT\$DIGEST, a salt of 1-16 and a digest of $hash_len characters of [./0-9A-Za-z]); $how"
	setting=${ROOT_HASH%\$*}
	probe=$("$BUSYBOX" mkpasswd -m "$hash_m" -S "${setting#\$?\$}" lifeline-probe 2>/dev/null)
	digest=${probe##*\$}
	[ "${probe%\$*}" = "$setting" ] && [ "${#digest}" = "$hash_len" ] ||
		die "RESCUE_ROOT_HASH: $BUSYBOX does not compute $setting\$... hashes (it gave '${probe%\$*}\$...'), so its login could not check the password; $how"
fi

# ---- the keys ----
KEYDIR=${RESCUE_KEYDIR:-/etc/lifeline/rescue}
HOSTKEY=$KEYDIR/dropbear_ed25519_host_key
ROOTKEYS=${HOME:-/root}/.ssh/authorized_keys
if [ -s "$KEYDIR/authorized_keys" ]; then
	AUTHKEYS=$KEYDIR/authorized_keys
elif [ -s "$ROOTKEYS" ]; then
	AUTHKEYS=$ROOTKEYS
else
	die "nobody could log in to the rescue system: no authorized_keys.
  Looked for $KEYDIR/authorized_keys, then $ROOTKEYS.
  Add the public key of whoever must get in (a line such as your
  ~/.ssh/id_ed25519.pub on your own machine), e.g.:
    install -d -m 0700 $KEYDIR
    echo 'ssh-ed25519 AAAA... you@laptop' >> $KEYDIR/authorized_keys"
fi
grep -Eq '^[^#]*(ssh-|ecdsa-|sk-)' "$AUTHKEYS" || die "$AUTHKEYS has no public key in it"
if [ ! -s "$HOSTKEY" ]; then
	# once: later builds reuse it, so the fingerprint people have checked
	# stays valid
	(umask 077 && mkdir -p "$KEYDIR") || die "cannot create $KEYDIR"
	chmod 0700 "$KEYDIR"
	(umask 077 && dropbearkey -t ed25519 -f "$HOSTKEY" >/dev/null 2>&1) ||
		die "cannot write a host key to $HOSTKEY (run as root?)"
	chmod 0600 "$HOSTKEY"
	echo "mkrescue: made a new rescue host key $HOSTKEY" >&2
fi
FINGERPRINT=$(dropbearkey -y -f "$HOSTKEY" 2>/dev/null | sed -n 's/^Fingerprint: //p')
[ -n "$FINGERPRINT" ] || die "$HOSTKEY is not a dropbear host key (remove it to have a new one made)"

if [ -n "${RESCUE_NETSNAP:-}" ]; then
	[ -r "$RESCUE_NETSNAP" ] || die "RESCUE_NETSNAP=$RESCUE_NETSNAP: no such file (write one with initramfs/netsnap.sh)"
	[ "$(head -n 1 "$RESCUE_NETSNAP")" = "lifeline-netsnap 1" ] ||
		die "RESCUE_NETSNAP=$RESCUE_NETSNAP is not a network snapshot (initramfs/netsnap.sh writes them)"
fi

# ---- the image ----
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/mkrescue.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
img_init "$STAGE/root"

img_exec "$BUSYBOX" /bin/busybox
# every applet busybox has, where it says it belongs; /init is ours
"$BUSYBOX" --list-full | while read -r a; do
	case $a in
	linuxrc|sbin/init|bin/busybox) continue ;;
	esac
	img_link /bin/busybox "/$a"
done
[ -L "$IMG/bin/sh" ] || die "$BUSYBOX has no sh applet"

img_exec /usr/sbin/dropbear
img_exec /usr/bin/dropbearkey

img_file "$SRC/rescue/init" /init 0755
# PID 1 once the set-up is done (rescue/init execs it)
for b in lifeline lifelinectl; do
	[ -x "$SRC/build/$b" ] || die "missing build/$b: run make first"
	img_exec "$SRC/build/$b" "/sbin/$b"
done
img_dir etc/rescue
img_file "$SRC/rescue/net.sh" /lib/rescue/net.sh 0644
img_file "$SRC/rescue/dhcp.script" /lib/rescue/dhcp.script 0755
img_file "$SRC/rescue/respawn" /lib/rescue/respawn 0755

img_dir /etc/dropbear 0700
img_file "$HOSTKEY" /etc/dropbear/dropbear_ed25519_host_key 0600
img_dir /root/.ssh 0700
img_file "$AUTHKEYS" /root/.ssh/authorized_keys 0600
[ -n "${RESCUE_NETSNAP:-}" ] && img_file "$RESCUE_NETSNAP" /etc/rescue/netsnap 0644

img_text /etc/passwd 0644 <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
# root's password: locked (the console is a shell without one), or the
# hash of RESCUE_ROOT_HASH (rescue/init then runs getty and login on the
# console)
if [ -n "$ROOT_HASH" ]; then
	printf 'root:%s:1::::::\n' "$ROOT_HASH" | img_text /etc/shadow 0600
	img_text /etc/issue 0644 <<'EOF'

lifeline rescue system (\l): log in as root

EOF
else
	img_text /etc/shadow 0600 <<'EOF'
root:*:1::::::
EOF
fi
img_text /etc/group 0644 <<'EOF'
root:x:0:
tty:x:5:
EOF
img_text /etc/shells 0644 <<'EOF'
/bin/sh
/bin/ash
EOF
img_text /etc/nsswitch.conf 0644 <<'EOF'
passwd: files
group: files
shadow: files
hosts: files dns
EOF
img_text /etc/hosts 0644 <<'EOF'
127.0.0.1 localhost rescue
::1 localhost
EOF
img_text /etc/profile 0644 <<'EOF'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PS1='[rescue \h] \w \$ '
EOF

# ---- drivers ----
# img_modules [-o] MOD...: -o skips what the kernel lacks.  Unset lists:
# the required ones, then the optional; a list someone set: all required.
NET_REQ="virtio_pci virtio_net"
NET_OPT="e1000 e1000e igb ixgbe i40e bnxt_en r8169 tg3"
DISK_OPT="virtio_blk virtio_scsi ahci sd_mod nvme"
FS_REQ=ext4
FS_OPT="xfs vfat"
add_modules() {  # REQUIRED-LIST OPTIONAL-LIST
	# shellcheck disable=SC2086
	[ -n "$1" ] && img_modules "$KVER" $1
	# shellcheck disable=SC2086
	[ -n "$2" ] && img_modules "$KVER" -o $2
	return 0
}
if [ -n "${RESCUE_DRIVERS+set}" ]; then add_modules "$RESCUE_DRIVERS" ""
else add_modules "$NET_REQ" "$NET_OPT"; fi
if [ -n "${RESCUE_DISK_DRIVERS+set}" ]; then add_modules "$RESCUE_DISK_DRIVERS" ""
else add_modules "" "$DISK_OPT"; fi
if [ -n "${RESCUE_FS+set}" ]; then add_modules "$RESCUE_FS" ""
else add_modules "$FS_REQ" "$FS_OPT"; fi

# what rescue/init loads, in this order (modprobe brings the dependencies;
# modules built into the kernel are left out): /etc/rescue/modules.net
# before dropbear starts, /etc/rescue/modules.disk before it mounts the root
loadable() {  # MOD...: those that are modules here
	for m in "$@"; do
		last=$(modprobe --show-depends -S "$KVER" "$m" 2>/dev/null | tail -n 1)
		case $last in insmod\ *) echo "$m" ;; esac
	done
	return 0
}
# shellcheck disable=SC2086
loadable ${RESCUE_DRIVERS-$NET_REQ $NET_OPT} | img_text /etc/rescue/modules.net 0644
# shellcheck disable=SC2086
loadable ${RESCUE_DISK_DRIVERS-$DISK_OPT} ${RESCUE_FS-$FS_REQ $FS_OPT} |
	img_text /etc/rescue/modules.disk 0644
echo "$KVER" | img_text /etc/rescue/kver 0644

# ---- write ----
# the image holds the private host key: readable by root only, from the
# first byte on (img_write's temporary files too)
mkdir -p "$(dirname "$OUT")"
umask 077
img_write "$OUT" "$COMPRESS"
chmod 0600 "$OUT"
# the kernel it is for, next to it: install-rescue puts it in /boot for
# the GRUB entry (/etc/grub.d/42_lifeline-rescue)
echo "$KVER" > "$OUT.kver"
size=$(wc -c < "$OUT")
echo "mkrescue: $OUT: $size bytes ($(awk "BEGIN { printf \"%.1f\", $size / 1048576 }") MiB, $COMPRESS), kernel $KVER"
echo "mkrescue: drivers: $(cat "$IMG/etc/rescue/modules.net" "$IMG/etc/rescue/modules.disk" | tr '\n' ' ')"
echo "mkrescue: host key $FINGERPRINT; logins: $AUTHKEYS"
[ -n "${RESCUE_NETSNAP:-}" ] && echo "mkrescue: network snapshot: $RESCUE_NETSNAP"
if [ -n "$ROOT_HASH" ]; then
	echo "mkrescue: console: a login, root's password from RESCUE_ROOT_HASH ($hash_name)"
else
	echo "mkrescue: console: a root shell, no password (whoever has the console is root; RESCUE_ROOT_HASH makes it ask for one)"
fi
[ "$size" -le $((12 * 1048576)) ] || echo "mkrescue: note: larger than 12 MiB; fewer drivers (RESCUE_DRIVERS) make it smaller" >&2
exit 0
