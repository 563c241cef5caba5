# The stock Debian disk for the end-to-end tests (sourced after
# tests/e2e/lib.sh, POSIX sh): initramfs/mkdebian.sh's bookworm install
# with this tree's lifeline installed as README.md says, booted by QEMU.
#
#   debian_prepare             build/e2e/debian/ (disk.img, vmlinuz,
#                              initrd.img) made again when this tree's
#                              lifeline, configs or builder changed (a key
#                              over them in build/e2e/debian/key; one
#                              builder at a time); ends the test if it fails
#   debian_copy                $DISK: a sparse copy of the disk the test
#                              may change and check afterwards
#   debian_boot INIT [APPEND]  boot $DISK (or the pristine disk read-only
#                              with snapshot=on when DISK is empty) with
#                              the disk's own kernel and initramfs, as its
#                              boot loader would: INIT lifeline
#                              (init=/sbin/lifeline) or systemd (the
#                              disk's default); console ttyS0; sets QPID,
#                              P22, P2222, SERIAL, BOOT_MS
#   debian_boot_grub           boot $DISK through GRUB, as a machine with
#                              GRUB in its boot sector would: GRUB's core
#                              image (grub.lnx) by QEMU's -kernel, then
#                              /boot/grub/grub.cfg and grubenv from the
#                              disk (update-grub in the guest writes the
#                              first).  A reboot is a reboot: QEMU starts
#                              GRUB again (no -no-reboot); sets the same
#                              variables as debian_boot
#
# Environment: DEBIAN_MEM (MiB, default 768), DEBIAN_EXTRA (more QEMU
# arguments: a second disk, say).
DEBIAN_DIR=$ROOT/build/e2e/debian
DISK=

debian_key() {
	{
		for f in build/lifeline build/lifelinectl build/lifeline-peer "$KEY.pub" \
			initramfs/mkdebian.sh initramfs/netsnap.sh Makefile tests/e2e/hog.c \
			configs/lifeline.conf configs/peer.conf configs/examples/* configs/conf.d/* \
			man/*.scd; do
			sha256sum "$f" 2>/dev/null || echo "missing $f"
		done
		ls /var/cache/lifeline/ 2>/dev/null
	} | sha256sum | cut -c1-32
}

debian_prepare() {
	dp_key=$(debian_key)
	mkdir -p "$DEBIAN_DIR"
	# the builder's own lock also keeps two tests from building at once;
	# the second finds the key written by the first
	exec 8> "$DEBIAN_DIR.lock"
	flock -w 1800 8 || { fail "the Debian disk's lock within 30 min"; finish; }
	if [ -s "$DEBIAN_DIR/disk.img" ] && [ "$(cat "$DEBIAN_DIR/key" 2>/dev/null)" = "$dp_key" ]; then
		note "disk: $DEBIAN_DIR/disk.img is current (key $dp_key)"
	else
		rm -f "$DEBIAN_DIR/key"
		dp_t0=$(now_ms)
		if ! AUTHORIZED_KEYS="$KEY.pub" sh initramfs/mkdebian.sh "$DEBIAN_DIR" > "$T/mkdebian.log" 2>&1; then
			sed 's/^/# /' "$T/mkdebian.log"
			fail "initramfs/mkdebian.sh built the Debian disk"
			finish
		fi
		sed 's/^/# /' "$T/mkdebian.log"
		echo "$dp_key" > "$DEBIAN_DIR/key"
		note "disk: made in $(( ($(now_ms) - dp_t0) / 1000 )) s"
	fi
	exec 8>&-
}

debian_copy() {
	DISK=$T/disk.img
	cp --sparse=always "$DEBIAN_DIR/disk.img" "$DISK" || { fail "a copy of the Debian disk in $T"; finish; }
}

debian_boot() {
	case $1 in
	lifeline) db_init=" init=/sbin/lifeline" ;;
	systemd) db_init= ;;
	*) echo "debian_boot: lifeline or systemd, not $1" >&2; exit 2 ;;
	esac
	if [ -n "$DISK" ]; then
		db_drive="file=$DISK,format=raw,if=virtio"
	else
		db_drive="file=$DEBIAN_DIR/disk.img,format=raw,if=virtio,snapshot=on"
	fi
	P22=$(free_port 1)
	P2222=$(free_port 2)
	[ "$P2222" = "$P22" ] && P2222=$((P22 + 1))
	SERIAL=$T/serial.log
	BOOT_MS=$(now_ms)
	# shellcheck disable=SC2086
	qemu-system-x86_64 -accel tcg -smp 2 -m "${DEBIAN_MEM:-768}" \
		-nographic -no-reboot -monitor none \
		-kernel "$DEBIAN_DIR/vmlinuz" -initrd "$DEBIAN_DIR/initrd.img" \
		-append "root=/dev/vda ro console=ttyS0$db_init${2:+ $2}" \
		-drive "$db_drive" ${DEBIAN_EXTRA:-} \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$P22-:22,hostfwd=tcp:127.0.0.1:$P2222-:2222" \
		-device virtio-net-pci,netdev=n0 \
		-serial "file:$SERIAL" > "$T/qemu.out" 2>&1 < /dev/null &
	QPID=$!
}

debian_boot_grub() {
	[ -s "$DEBIAN_DIR/grub.lnx" ] || { fail "GRUB's core image $DEBIAN_DIR/grub.lnx built"; finish; }
	[ -n "$DISK" ] || { echo "debian_boot_grub: debian_copy first" >&2; exit 2; }
	P22=$(free_port 1)
	P2222=$(free_port 2)
	[ "$P2222" = "$P22" ] && P2222=$((P22 + 1))
	SERIAL=$T/serial.log
	BOOT_MS=$(now_ms)
	# shellcheck disable=SC2086
	qemu-system-x86_64 -accel tcg -smp 2 -m "${DEBIAN_MEM:-768}" \
		-nographic -monitor none \
		-kernel "$DEBIAN_DIR/grub.lnx" \
		-drive "file=$DISK,format=raw,if=virtio" ${DEBIAN_EXTRA:-} \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$P22-:22,hostfwd=tcp:127.0.0.1:$P2222-:2222" \
		-device virtio-net-pci,netdev=n0 \
		-serial "file:$SERIAL" > "$T/qemu.out" 2>&1 < /dev/null &
	QPID=$!
}
