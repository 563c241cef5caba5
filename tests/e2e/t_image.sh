#!/bin/sh
# tests/e2e/t_image.sh: the image builder (initramfs/lib.sh, mkrescue.sh,
# netsnap.sh), without QEMU.
#
#   reproducible: the rescue image built twice with the same
#     SOURCE_DATE_EPOCH is the same bytes, gzip and zstd; every entry has
#     that time stamp and owner 0:0; the image holds what the rescue system
#     needs
#   keys: the host key is made once (0600 in a 0700 directory) and reused;
#     the image, which holds it, is mode 0600
#   errors: a missing binary, module, kernel, driver or authorized_keys
#     stops the build with a message that names it; nothing is left behind
#   network snapshot: netsnap.sh in a network namespace, applied by
#     rescue/net.sh (with busybox ip, as in the rescue system) to an
#     interface with another name and the same MAC, gives back the
#     addresses (IPv4 and IPv6) and routes (on-link gateway, metric, src)
. "$(dirname "$0")/lib.sh"

export SOURCE_DATE_EPOCH=1700000000
KEYS=$T/keys
mkdir -p "$KEYS"
ssh-keygen -q -t ed25519 -N '' -C t_image -f "$T/client" || { fail "ssh-keygen"; finish; }
cp "$T/client.pub" "$KEYS/authorized_keys"

# mkrescue OUT [VAR=VALUE...]: a rescue image, output to $T/mk.out
mkrescue() {
	_out=$1; shift
	env KVER="$KVER" RESCUE_KEYDIR="$KEYS" "$@" sh initramfs/mkrescue.sh "$_out" > "$T/mk.out" 2>&1
}

# ---- keys: made once ----
if mkrescue "$T/a.gz"; then ok "mkrescue.sh builds an image"; else fail "mkrescue.sh builds an image: $(cat "$T/mk.out")"; fi
hk=$KEYS/dropbear_ed25519_host_key
check "the host key is made in RESCUE_KEYDIR, mode 0600" [ "$(stat -c %a "$hk" 2>/dev/null)" = 600 ]
check "RESCUE_KEYDIR is mode 0700" [ "$(stat -c %a "$KEYS")" = 700 ]
sum1=$(sha256sum < "$hk")
check "the image is mode 0600 (it holds the private host key)" [ "$(stat -c %a "$T/a.gz")" = 600 ]

# ---- reproducible ----
mkrescue "$T/b.gz"
check "the host key is kept across builds" [ "$(sha256sum < "$hk")" = "$sum1" ]
check "gzip: two builds are the same bytes" cmp "$T/a.gz" "$T/b.gz"
mkrescue "$T/a.zst" RESCUE_COMPRESS=zstd
mkrescue "$T/b.zst" RESCUE_COMPRESS=zstd
check "zstd: two builds are the same bytes" cmp "$T/a.zst" "$T/b.zst"
check "zstd: the image is zstd" zstd -q -t "$T/a.zst"
check "gzip: the image is gzip" gzip -t "$T/a.gz"
gz=$(wc -c < "$T/a.gz")
zs=$(wc -c < "$T/a.zst")
note "rescue image size: gzip $gz bytes ($((gz / 1024)) KiB), zstd $zs bytes ($((zs / 1024)) KiB)"
check "the rescue image is at most 12 MiB (gzip)" [ "$gz" -le $((12 * 1048576)) ]

# the first newc header: c_mtime at offset 46, c_uid at 22, c_gid at 30
hdr=$(zcat "$T/a.gz" | head -c 54)
mtime=$(printf '%d' "0x$(echo "$hdr" | cut -c47-54)")
check "entries carry SOURCE_DATE_EPOCH ($mtime)" [ "$mtime" = "$SOURCE_DATE_EPOCH" ]
check "entries are owned by 0:0" [ "$(echo "$hdr" | cut -c23-38)" = 0000000000000000 ]
odd=$(zcat "$T/a.gz" | cpio --quiet -itv 2>/dev/null | awk '$3 != "root" || $4 != "root"' | wc -l)
check "every entry is root:root ($odd others)" [ "$odd" = 0 ]

zcat "$T/a.gz" | cpio --quiet -it > "$T/list" 2>/dev/null
missing=
for f in init bin/sh bin/busybox sbin/ip sbin/udhcpc sbin/modprobe usr/sbin/dropbear \
	usr/bin/dropbearkey lib64/ld-linux-x86-64.so.2 lib/rescue/net.sh \
	lib/rescue/dhcp.script lib/rescue/respawn etc/rescue/modules.net \
	etc/rescue/modules.disk etc/passwd \
	etc/dropbear/dropbear_ed25519_host_key root/.ssh/authorized_keys \
	"lib/modules/$KVER/modules.dep"; do
	grep -qx "$f" "$T/list" || missing="$missing $f"
done
# dropbear's shared libraries, where ldd finds them on this host
for f in $(ldd /usr/sbin/dropbear | grep -o '/[^ ]*'); do
	grep -qx "${f#/}" "$T/list" || missing="$missing ${f#/}"
done
check "the image has init, busybox, dropbear and its libraries, keys, modules.dep${missing:+ (missing:$missing)}" [ -z "$missing" ]
nic=$(grep -c '/virtio_net\.ko$\|/e1000\.ko$\|/igb\.ko$' "$T/list")
check "the image has the NIC drivers (virtio_net, e1000, igb)" [ "$nic" = 3 ]
zcat "$T/a.gz" | cpio --quiet -i --to-stdout etc/rescue/modules.net > "$T/mods" 2>/dev/null
check "init loads virtio_pci, virtio_net first ($(head -n 2 "$T/mods" | tr '\n' ' '))" \
	[ "$(head -n 2 "$T/mods" | tr '\n' ' ')" = "virtio_pci virtio_net " ]
zcat "$T/a.gz" | cpio --quiet -i --to-stdout root/.ssh/authorized_keys > "$T/ak" 2>/dev/null
check "authorized_keys is RESCUE_KEYDIR's" cmp "$T/ak" "$KEYS/authorized_keys"

# ---- errors name what is missing ----
# expect_error NAME WORD... -- CMD...: CMD fails, and its message has every WORD
expect_error() {
	_name=$1; shift
	_words=
	while [ "$1" != -- ]; do _words="$_words
$1"; shift; done
	shift
	"$@" > "$T/err.out" 2>&1
	_rc=$?
	if [ "$_rc" = 0 ]; then fail "$_name: exit status 0"; return; fi
	_miss=
	while read -r _w; do
		[ -n "$_w" ] || continue
		grep -qF -- "$_w" "$T/err.out" || _miss="$_miss '$_w'"
	done <<EOF
$_words
EOF
	if [ -z "$_miss" ]; then
		ok "$_name (status $_rc): $(head -n 1 "$T/err.out")"
	else
		fail "$_name: the message lacks$_miss: $(cat "$T/err.out")"
	fi
}
lib() { sh -c '. initramfs/lib.sh; img_init "$1/img"; shift; "$@"' sh "$T" "$@"; }
expect_error "a missing binary is named" /nonexistent/x -- lib img_exec /nonexistent/x
expect_error "a missing module is named, with the kernel" no_such_module "$KVER" -- \
	lib img_modules "$KVER" no_such_module
expect_error "a missing kernel's modules are named, with how to get them" \
	/lib/modules/0.0-none apt-get -- env KVER=0.0-none sh initramfs/mkrescue.sh "$T/x.img"
expect_error "a missing driver in RESCUE_DRIVERS is named" no_such_nic "$KVER" -- \
	env RESCUE_DRIVERS="virtio_net no_such_nic" RESCUE_KEYDIR="$KEYS" KVER="$KVER" \
	sh initramfs/mkrescue.sh "$T/x.img"
mkdir -p "$T/empty"
expect_error "no authorized_keys: both places are named, and how to add a key" \
	"$T/empty/authorized_keys" "$T/nowhere/.ssh/authorized_keys" "authorized_keys" -- \
	env HOME="$T/nowhere" RESCUE_KEYDIR="$T/empty" KVER="$KVER" sh initramfs/mkrescue.sh "$T/x.img"
check "a failed build leaves no image and makes no host key" \
	test ! -e "$T/x.img" -a ! -e "$T/empty/dropbear_ed25519_host_key"
left=$(ls "$T"/x.img* 2>/dev/null | wc -l)
check "and no temporary output ($left files)" [ "$left" = 0 ]

# ---- the network snapshot, taken and applied ----
if ! unshare -n -u true 2>/dev/null; then
	note "no network namespaces here (not root?): snapshot round trip skipped"
	finish
fi
unshare -n -u sh -c '
	hostname web1
	ip tuntap add enp3s0 mode tap
	ip link set enp3s0 address 02:00:00:00:00:01 mtu 1400 up
	ip addr add 203.0.113.10/32 dev enp3s0
	ip addr add 192.0.2.10/24 dev enp3s0
	ip -6 addr add 2001:db8::10/64 dev enp3s0 nodad
	ip route add 172.31.1.1 dev enp3s0 scope link
	ip route add default via 172.31.1.1 dev enp3s0 onlink
	ip route add 10.9.0.0/16 via 192.0.2.1 dev enp3s0 metric 50 src 192.0.2.10
	ip -6 route add default via fe80::1 dev enp3s0
	ip tuntap add tun7 mode tun; ip link set tun7 up; ip addr add 10.60.0.1/24 dev tun7
	sh initramfs/netsnap.sh "$1"' sh "$T/snap" > "$T/snap.err" 2>&1
check "netsnap.sh writes a snapshot" grep -qx 'lifeline-netsnap 1' "$T/snap"
check "the snapshot skips an interface without a MAC (tun7)" sh -c "! grep -q 'addr tun7' '$T/snap'"
# a snapshot taken with busybox's ip (the system image has no iproute2)
# also lists the routes the kernel made for each address's own subnet;
# applying them must not fail
echo "route 4 enp3s0 192.0.2.0/24 scope link" >> "$T/snap"
# applied with busybox's ip to "eth0", which has enp3s0's MAC
mkdir -p "$T/bb"
for a in ip hostname; do ln -s /bin/busybox "$T/bb/$a"; done
unshare -n -u sh -c '
	ip tuntap add eth0 mode tap
	ip link set eth0 address 02:00:00:00:00:01
	PATH=$1/bb:$PATH RESOLV=$1/resolv
	set -f
	. rescue/net.sh
	net_snapshot "$1/snap"
	echo "status $?"
	echo "host $(hostname)"
	ip -o addr show | sed "s/\\\\.*//"
	ip route show
	ip -6 route show
	ip -o link show eth0' sh "$T" > "$T/applied" 2>&1
applied() { grep -q -- "$1" "$T/applied"; }
check "applied: success" applied "^status 0"
check "applied: hostname" applied "^host web1"
check "applied: the /32 address, found by MAC" applied "eth0 *inet 203.0.113.10/32"
check "applied: the /24 address" applied "eth0 *inet 192.0.2.10/24"
check "applied: the IPv6 address" applied "eth0 *inet6 2001:db8::10/64"
check "applied: the mtu" applied "mtu 1400"
check "applied: the on-link gateway's route" applied "^172.31.1.1 dev eth0 scope link"
check "applied: the default route via it, onlink" applied "^default via 172.31.1.1 dev eth0 onlink"
check "applied: a route with src and metric" applied "^10.9.0.0/16 via 192.0.2.1 dev eth0 *src 192.0.2.10 *metric 50"
check "applied: the IPv6 default route" applied "^default via fe80::1 dev eth0"
check "applied: a route the kernel made already is no error" sh -c "! grep -q 'cannot add route' '$T/applied'"
[ "$FAILED" = 0 ] || { note "snapshot:"; sed 's/^/#   /' "$T/snap"; note "applied:"; sed 's/^/#   /' "$T/applied"; }
finish
