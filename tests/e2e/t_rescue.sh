#!/bin/sh
# tests/e2e/t_rescue.sh: the rescue image (build/e2e/rescue.img, which lets
# in build/e2e/client_key) booted directly by the Debian kernel in QEMU.
#
#   boot 1, DHCP: the SSH banner on the rescue port in bounded time; a key
#     login; PID 1 is rescue/init; passwords refused (the server offers only
#     publickey); port forwarding refused both ways; the console shows the
#     host key fingerprint the server really presents, and the address;
#     a shell runs on the console's terminal; orphans are reaped; a killed
#     dropbear comes back
#   boot 2, ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off and a disk with
#     an ext4 root (root=LABEL=...): a login with no DHCP client running;
#     the real root mounted read-only at /mnt/root
#   boot 3, a zstd image with a network snapshot (initramfs/netsnap.sh,
#     taken in a network namespace from an interface with another name and
#     the guest's MAC) and lifeline.rescue_port=22: the snapshot applied by
#     MAC, no DHCP, a login on port 22
. "$(dirname "$0")/lib.sh"

IMG=$ROOT/build/e2e/rescue.img
HOSTKEY=$ROOT/build/e2e/rescue-keys/dropbear_ed25519_host_key
BANNER_WAIT=${BANNER_WAIT:-150}
for f in "$IMG" "$HOSTKEY" "$KEY"; do
	[ -r "$f" ] || { fail "$f exists (make build/e2e/rescue.img)"; finish; }
done

# QEMU with extra arguments ($QEMU_EXTRA, for the disk of boot 2):
# qemu_boot runs qemu-system-x86_64 from PATH, so a wrapper first in PATH
# adds them; it execs, so $QPID stays QEMU's pid
REAL_QEMU=$(command -v qemu-system-x86_64) || { fail "qemu-system-x86_64 installed"; finish; }
mkdir -p "$T/bin"
cat > "$T/bin/qemu-system-x86_64" <<EOF
#!/bin/sh
# shellcheck disable=SC2086
exec $REAL_QEMU "\$@" \${QEMU_EXTRA:-}
EOF
chmod 755 "$T/bin/qemu-system-x86_64"
PATH=$T/bin:$PATH
QEMU_EXTRA=
export QEMU_EXTRA

stop_qemu() {
	[ -n "$QPID" ] || return 0
	kill -KILL "$QPID" 2>/dev/null
	wait "$QPID" 2>/dev/null
	QPID=
	cp "$SERIAL" "$T/serial-$1.log" 2>/dev/null
}

# ssh options for the checks that read the client's own messages
SSHO="-i $KEY -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10"

# has TEXT PART: TEXT contains PART
has() { case $1 in *"$2"*) return 0 ;; esac; return 1; }

# boot_and_wait NAME 22|2222 IMAGE APPEND: boot, wait for the banner on
# the host port that leads to the guest's 22 or 2222 (set by qemu_boot)
boot_and_wait() {
	qemu_boot "$3" "$4"
	if [ "$2" = 22 ]; then _p=$P22; else _p=$P2222; fi
	if ms=$(wait_banner "$_p" "$BANNER_WAIT"); then
		ok "$1: SSH banner on the rescue port"
		note "$1: boot to SSH banner: $ms ms"
		# rescue/init hands PID 1 over to lifeline once the network and
		# the real root are set up; dropbear restarts under it then (a
		# moment without a listener), so the checks begin after that
		# (a session of the old dropbear may see lifeline already: then a
		# fresh login must work too)
		if wait_for 60 sh -c "[ \"\$(ssh -q -i $KEY -p $_p -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 root@127.0.0.1 cat /proc/1/comm 2>/dev/null)\" = lifeline ]" &&
		   wait_for 20 login "$_p"; then
			ok "$1: the rescue init handed PID 1 over to lifeline"
		else
			fail "$1: the rescue init handed PID 1 over to lifeline within 60 s"
		fi
		return 0
	fi
	fail "$1: SSH banner on the rescue port within ${BANNER_WAIT}s"
	# the next boot overwrites the console log: show this one now
	show_boot 40
	return 1
}

started=$(now_ms)

# ---------------------------------------------------------------- boot 1
if boot_and_wait dhcp 2222 "$IMG" ""; then
	kver=$(gssh "$P2222" uname -r)
	check "dhcp: key login works, kernel $KVER" [ "$kver" = "$KVER" ]
	init=$(gssh "$P2222" "tr '\\0' ' ' < /proc/1/cmdline")
	check "dhcp: PID 1 is lifeline, which the rescue init handed over to ($init)" \
		[ "$init" = "/sbin/lifeline -c /etc/rescue/lifeline.conf -s /run/lifeline/control " ]
	nsup=$(gssh "$P2222" lifelinectl status | grep -cE '^(rescue-ssh|console) +service +running')
	check "dhcp: lifeline supervises the rescue dropbear and the console shell ($nsup of 2)" \
		[ "$nsup" = 2 ]

	# passwords: the server must offer publickey and nothing else
	# shellcheck disable=SC2086
	ssh $SSHO -p "$P2222" -v -o PubkeyAuthentication=no \
		-o PreferredAuthentications=password,keyboard-interactive \
		root@127.0.0.1 true > "$T/pw.out" 2>&1 < /dev/null
	pw_rc=$?
	offered=$(tr -d '\r' < "$T/pw.out" | sed -n 's/.*Authentications that can continue: //p' |
		sort -u | tr '\n' ' ')
	pw_refused() { [ "$pw_rc" != 0 ] && [ "$offered" = "publickey " ]; }
	check "dhcp: password login refused, only publickey offered ($offered)" pw_refused

	# forwarding: a direct-tcpip channel (-W) to the guest's own port, and
	# a remote listener (-R); allowed, -W would print the guest dropbear's
	# banner and -R would stay connected until timeout killed it (124)
	# shellcheck disable=SC2086
	timeout 30 ssh $SSHO -p "$P2222" -W 127.0.0.1:2222 root@127.0.0.1 \
		< /dev/null > "$T/fwd.out" 2> "$T/fwd.err"
	local_refused() {
		! grep -q SSH- "$T/fwd.out" && grep -q 'administratively prohibited' "$T/fwd.err"
	}
	check "dhcp: local forwarding refused (administratively prohibited)" local_refused
	# shellcheck disable=SC2086
	timeout 30 ssh $SSHO -p "$P2222" -N -o ExitOnForwardFailure=yes \
		-R 127.0.0.1:0:127.0.0.1:22 root@127.0.0.1 < /dev/null > "$T/rfwd.err" 2>&1
	rf_rc=$?
	remote_refused() {
		[ "$rf_rc" != 124 ] && [ "$rf_rc" != 0 ] &&
			grep -q 'remote port forwarding failed' "$T/rfwd.err"
	}
	check "dhcp: remote forwarding refused" remote_refused

	# the fingerprint on the console is the key the server presents
	fp=$(dropbearkey -y -f "$HOSTKEY" 2>/dev/null | sed -n 's/^Fingerprint: //p')
	served=$(ssh-keyscan -T 10 -t ed25519 -p "$P2222" 127.0.0.1 2>/dev/null |
		ssh-keygen -lf - 2>/dev/null | awk '{print $2}')
	check "dhcp: console shows the host key fingerprint ($fp)" \
		grep -qF "host key dropbear_ed25519_host_key: Fingerprint: $fp" "$SERIAL"
	check "dhcp: the server presents that key ($served)" test -n "$fp" -a "$served" = "$fp"
	check "dhcp: console shows the address and how to log in" \
		grep -qF "log in with: ssh -p 2222 root@10.0.2.15" "$SERIAL"

	# the console shell, an interactive sh on the serial port's terminal;
	# init starts it last, after dropbear
	console_shell() {
		tty=$(gssh "$P2222" 'for p in $(pidof sh); do
			case $(tr "\0" " " < /proc/$p/cmdline) in "sh -l ") readlink /proc/$p/fd/0 ;; esac
		done')
		[ "$tty" = /dev/ttyS0 ]
	}
	wait_for 30 console_shell
	check "dhcp: a shell runs on the console ($tty)" console_shell

	# an orphan (its parent exits at once) is reaped by PID 1
	zombies=$(gssh "$P2222" 'sh -c "sleep 1 &"; sleep 3;
		grep -l "^State:.Z" /proc/[0-9]*/status 2>/dev/null | wc -l')
	check "dhcp: orphans are reaped by PID 1 (zombies: $zombies)" [ "$zombies" = 0 ]

	# a killed dropbear listener comes back
	gssh "$P2222" 'kill -KILL $(cat /run/dropbear.pid)'
	sleep 1
	check "dhcp: dropbear SIGKILLed, logins again within 20 s" wait_for 20 login "$P2222"
	check "dhcp: its supervisor, lifeline, said so on the console" \
		grep -q "lifeline: rescue-ssh: killed by SIGKILL after" "$SERIAL"
fi
stop_qemu dhcp

# ---------------------------------------------------------------- boot 2
# a root file system with a marker, found by its label (ext4: 16 bytes
# at most)
mkdir -p "$T/rootfs/etc"
echo "lifeline-marker-$$" > "$T/rootfs/etc/marker"
if mkfs.ext4 -q -F -L ll-e2e-root -d "$T/rootfs" "$T/root.img" 16M > "$T/mkfs.err" 2>&1; then
	QEMU_EXTRA="-drive file=$T/root.img,if=virtio,format=raw"
else
	fail "mkfs.ext4 makes a test root: $(cat "$T/mkfs.err")"
fi
if boot_and_wait static 2222 "$IMG" \
	"ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off root=LABEL=ll-e2e-root"; then
	check "static: key login works" login "$P2222"
	dhcp=$(gssh "$P2222" 'pidof udhcpc || echo none')
	check "static: no DHCP client ran ($dhcp)" [ "$dhcp" = none ]
	check "static: console shows the address from ip=" \
		grep -qF "rescue: net: eth0 10.0.2.15/24 (ip=)" "$SERIAL"
	route=$(gssh "$P2222" 'ip route show | grep ^default')
	check "static: default route via 10.0.2.2 ($route)" has "$route" "default via 10.0.2.2 dev eth0"
	# init mounts it after dropbear has started: allow it a moment
	root_mounted() {
		m=$(gssh "$P2222" 'grep " /mnt/root " /proc/mounts')
		has "$m" "/dev/vda /mnt/root ext4 ro,"
	}
	wait_for 20 root_mounted
	check "static: the real root is mounted read-only at /mnt/root ($m)" root_mounted
	check "static: console says so" \
		grep -qF "rescue: real root /dev/vda (root=LABEL=ll-e2e-root) mounted read-only at /mnt/root" "$SERIAL"
	marker=$(gssh "$P2222" cat /mnt/root/etc/marker)
	check "static: /mnt/root has the root's files" [ "$marker" = "lifeline-marker-$$" ]
	w=$(gssh "$P2222" 'touch /mnt/root/x 2>&1 && echo written')
	check "static: /mnt/root cannot be written ($w)" has "$w" "Read-only file system"
fi
stop_qemu static
QEMU_EXTRA=

# ---------------------------------------------------------------- boot 3
# the snapshot: taken from "wan0" with the guest's MAC (QEMU's default
# 52:54:00:12:34:56) in a network namespace, so that the rescue system
# must find eth0 by MAC
SNAP=$T/netsnap
if unshare -n -u sh -c '
	hostname snaphost
	ip tuntap add wan0 mode tap &&
	ip link set wan0 address 52:54:00:12:34:56 up &&
	ip addr add 10.0.2.15/24 dev wan0 &&
	ip route add default via 10.0.2.2 dev wan0 &&
	sh initramfs/netsnap.sh "$1"' sh "$SNAP" 2> "$T/snap.err"; then
	ok "snapshot: netsnap.sh writes one ($(grep -c . "$SNAP") lines)"
else
	fail "snapshot: netsnap.sh in a network namespace: $(cat "$T/snap.err")"
fi
snap_ok() {
	grep -qx 'link wan0 52:54:00:12:34:56 mtu 1500' "$SNAP" &&
		grep -qx 'addr wan0 10.0.2.15/24' "$SNAP" &&
		grep -qx 'route 4 wan0 default via 10.0.2.2' "$SNAP"
}
check "snapshot: it has the link with its MAC, the address and the route" snap_ok
# a small image, zstd this time (the kernel must unpack it): only the
# virtio NIC drivers
if RESCUE_NETSNAP=$SNAP RESCUE_KEYDIR=$ROOT/build/e2e/rescue-keys RESCUE_COMPRESS=zstd \
	RESCUE_DRIVERS="virtio_pci virtio_net" RESCUE_DISK_DRIVERS= RESCUE_FS= KVER=$KVER \
	sh initramfs/mkrescue.sh "$T/snap.img" > "$T/mk.out" 2>&1; then
	ok "snapshot: a zstd image with it ($(sed -n 's/.*: \([0-9]* bytes\).*/\1/p' "$T/mk.out"))"
else
	fail "snapshot: mkrescue.sh with RESCUE_NETSNAP: $(cat "$T/mk.out")"
fi
if [ -r "$T/snap.img" ] && boot_and_wait snapshot 22 "$T/snap.img" "lifeline.rescue_port=22"; then
	check "snapshot: key login on lifeline.rescue_port=22" login "$P22"
	check "snapshot: applied by MAC to eth0" \
		grep -qF "rescue: net: eth0 10.0.2.15/24 (snapshot: wan0)" "$SERIAL"
	got=$(gssh "$P22" 'echo $(hostname) $(pidof udhcpc || echo no-dhcp) $(ip route show | grep ^default)')
	check "snapshot: hostname, no DHCP, default route ($got)" \
		has "$got" "snaphost no-dhcp default via 10.0.2.2 dev eth0"
fi
stop_qemu snapshot

note "t_rescue took $(( ($(now_ms) - started) / 1000 )) s"
finish
