#!/bin/sh
# make bench, boot to login on the stock Debian disk (issue #13): the disk
# of tests/e2e/t_debian.sh (initramfs/mkdebian.sh), booted read-only
# (snapshot=on) with the disk's own kernel and initramfs, ROUNDS times
# each, alternating: `init=/sbin/lifeline` against the disk's default init,
# systemd.  Printed per boot: the time from QEMU's start to the first SSH
# banner on port 22 and to the first completed login (a command run over
# ssh), and for lifeline also to the rescue port's banner (systemd has no
# rescue port).  Then the medians and lifeline's as a ratio of systemd's,
# measured in the same run (the machine is shared and noisy: compare the
# ratio, not the seconds).  Asserts nothing.
#
# Environment: ROUNDS (default 3), DEBIAN_MEM (MiB, default 768).
ROUNDS=${ROUNDS:-3}
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/debian.sh"

debian_prepare > "$T/prepare.log" 2>&1 || { cat "$T/prepare.log"; exit 1; }
grep -v '^#' "$T/prepare.log"

# one boot: prints "banner22 login22 banner2222" in ms (- where none came)
one_boot() {
	debian_boot "$1"
	b22=- l22=- b2222=-
	b22=$(wait_banner "$P22" 300) || b22=-
	if [ "$b22" != - ]; then
		ob_end=$(( $(now_ms) + 60000 ))
		while [ "$(now_ms)" -lt "$ob_end" ]; do
			if login "$P22"; then l22=$(( $(now_ms) - BOOT_MS )); break; fi
			sleep 0.5
		done
	fi
	[ "$1" = lifeline ] && { b2222=$(wait_banner "$P2222" 30) || b2222=-; }
	kill -KILL "$QPID" 2>/dev/null
	wait "$QPID" 2>/dev/null
	QPID=
	echo "$b22 $l22 $b2222"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }

echo "boot to login on the Debian disk (QEMU TCG, ${DEBIAN_MEM:-768} MiB, ms after QEMU's start)"
printf '%-9s %5s %10s %10s %12s\n' init round banner22 login22 banner2222
: > "$T/lifeline" ; : > "$T/systemd"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for init in lifeline systemd; do
		set -- $(one_boot $init)
		printf '%-9s %5s %10s %10s %12s\n' "$init" "$r" "$1" "$2" "$3"
		echo "$1 $2 $3" >> "$T/$init"
	done
	r=$((r + 1))
done
for init in lifeline systemd; do
	eval "m_$init=\"$(awk '$2 != "-" { print $2 }' "$T/$init" | median)\""
done
# shellcheck disable=SC2154
echo "median login: lifeline $m_lifeline ms, systemd $m_systemd ms"
case "$m_lifeline$m_systemd" in
*-*) echo "ratio: - (a boot without a login)" ;;
*) echo "ratio lifeline/systemd (login): $(awk -v a="$m_lifeline" -v b="$m_systemd" 'BEGIN { printf "%.2f", a / b }')" ;;
esac
