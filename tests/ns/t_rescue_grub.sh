#!/bin/sh
# The boot loader path of the rescue escalation (a one-shot GRUB entry,
# where kexec cannot go), as far as a namespace's init goes.  The entry
# is made by configs/grub.d/42_lifeline-rescue as update-grub runs it,
# after Debian's own /etc/grub.d/00_header (grub-common), and checked
# with grub-script-check.  lifeline, in a namespace where this kernel
# shows no kexec (a tmpfs over /sys/kernel: no kexec_loaded), with
# method = auto and grubenv pointed at a test directory, takes the GRUB
# path: it checks grubenv and grub.cfg, writes lifeline_rescue_args into
# grubenv in place (1024 bytes, other variables kept) and the archive to
# armed_image (0600, the same bytes as extra.cpio), and says so in
# status.  `rescue now` writes nothing (not the machine's PID 1);
# method = kexec never takes the path; a grub.cfg without the entry is a
# clear NOT ARMED.  The verdict's next_entry write and the reboot into
# the entry: unit t_grubenv (grubenv_commit) and the QEMU e2e.
# san: yes
. "$(dirname "$0")/lib.sh"

for t in grub-editenv grub-script-check; do
	command -v $t >/dev/null || { fail "$t is installed (make deps: grub-common)"; exit 1; }
done
B=$T/boot
mkdir -p "$B/grub" "$T/empty"
SCRIPT_42=$ROOT/configs/grub.d/42_lifeline-rescue
export pkgdatadir=/usr/share/grub grub_probe=grub-probe grub_mkrelpath=grub-mkrelpath

# --- the GRUB entry ---------------------------------------------------
LIFELINE_BOOT_DIR=$T/empty sh "$SCRIPT_42" > "$T/none.out" 2> "$T/none.err"
rc=$?
check "42_lifeline-rescue without the rescue image: nothing, no error (rc $rc)" \
	sh -c "[ $rc = 0 ] && [ ! -s $T/none.out ] && [ ! -s $T/none.err ]"
printf 'RESCUE-IMAGE-BYTES' > "$B/lifeline-rescue.img"
: > "$B/vmlinuz-6.1.0-old"
: > "$B/vmlinuz-6.1.0-test"
: > "$B/vmlinuz-6.1.0-test.dpkg-tmp"
echo 6.1.0-test > "$B/lifeline-rescue.kver"
sh /etc/grub.d/00_header > "$B/grub/grub.cfg" 2> /dev/null
LIFELINE_BOOT_DIR=$B GRUB_DEVICE_BOOT= sh "$SCRIPT_42" > "$T/entry.cfg" 2> "$T/entry.err"
cat "$T/entry.cfg" >> "$B/grub/grub.cfg"
check "Debian's 00_header clears next_entry after using it" \
	grep -q '^   save_env next_entry$' "$B/grub/grub.cfg"
check "the entry: id lifeline-rescue, never the default" \
	grep -q "^menuentry 'lifeline rescue system (one-shot; Linux 6.1.0-test)' .*\$menuentry_id_option 'lifeline-rescue' {\$" "$T/entry.cfg"
check "it boots the image's kernel with the args from grubenv" \
	grep -qx "	linux	$B/vmlinuz-6.1.0-test \${lifeline_rescue_args}" "$T/entry.cfg"
check "with the rescue image and the armed archive" \
	grep -qx "		initrd	$B/lifeline-rescue.img $B/lifeline-rescue-armed.img" "$T/entry.cfg"
check "grub-script-check accepts grub.cfg" grub-script-check "$B/grub/grub.cfg"
rm "$B/lifeline-rescue.kver"
LIFELINE_BOOT_DIR=$B GRUB_DEVICE_BOOT= sh "$SCRIPT_42" 2>/dev/null > "$T/newest.cfg"
check "without lifeline-rescue.kver: the newest kernel" \
	grep -q "linux	$B/vmlinuz-6.1.0-test " "$T/newest.cfg"

grub-editenv "$B/grub/grubenv" create
grub-editenv "$B/grub/grubenv" set saved_entry=gnulinux-simple-1234

# --- lifeline arms the GRUB path ----------------------------------------
make_keys
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/keepalive.key"
echo >> "$T/keepalive.key"
chmod 600 "$T/keepalive.key"
conf() { # [RESCUE-LINES]
	standard_config
	cat <<EOC
[keepalive]
peer = 127.0.0.1:7500
key = $T/keepalive.key
host = web1
[rescue]
image = $B/lifeline-rescue.img
kernel = $B/vmlinuz-6.1.0-test
snapshot = no
crash = no
port = 2200
cmdline = console=ttyS0,115200n8
grubenv = $B/grub/grubenv
grub_cfg = $B/grub/grub.cfg
armed_image = $B/lifeline-rescue-armed.img
$1
EOC
}
conf > "$T/lifeline.conf"
# no kexec, as far as lifeline can see: no /sys/kernel/kexec_loaded
NS_SETUP="mount -t tmpfs -o mode=0755 tmpfs /sys/kernel"
start_ns

st() { "$LIFELINECTL" -s "$T/control" status; }
check "status: prepared via GRUB one-shot entry lifeline-rescue, and why not kexec" \
	wait_for 15 sh -c "\"$LIFELINECTL\" -s $T/control status | grep -qF \"via GRUB one-shot entry lifeline-rescue, not armed (not the machine's PID 1; kexec: this kernel has none (no /sys/kernel/kexec_loaded)): $B/lifeline-rescue.img + $B/lifeline-rescue-armed.img (\""
st > "$T/status.txt"
check "status names the keepalives" grep -q "keepalives: yes)" "$T/status.txt"
ctl status --json > "$T/status.json"
check "JSON: method grub, the kexec problem, the entry" grep -qF \
	'"method":"grub","kexec_problem":"kexec: this kernel has none (no /sys/kernel/kexec_loaded)","grub_entry":"lifeline-rescue"' "$T/status.json"
check "the log says it" sh -c "\"$LIFELINECTL\" -s $T/control log | grep -q 'rescue: prepared via GRUB one-shot entry lifeline-rescue'"

A=$B/lifeline-rescue-armed.img
check "the armed archive is mode 600" [ "$(stat -c %a "$A" 2>/dev/null)" = 600 ]
in_ns cat /run/lifeline/rescue/extra.cpio > "$T/extra.cpio"
check "it is extra.cpio, byte for byte" cmp -s "$A" "$T/extra.cpio"
mkdir "$T/x"
check "cpio extracts it: keepalive.conf and the key (600)" sh -c \
	"cd $T/x && cpio -idm --quiet < $A && grep -qx 'system = rescue' etc/rescue/keepalive.conf &&
	 [ \$(stat -c %a etc/rescue/keepalive.key) = 600 ] && cmp -s etc/rescue/keepalive.key $T/keepalive.key"
check "no temporary file left" [ ! -e "$A.new" ]

check "grubenv is still 1024 bytes" [ "$(stat -c %s "$B/grub/grubenv")" = 1024 ]
grub-editenv "$B/grub/grubenv" list > "$T/env.txt"
check "grubenv keeps saved_entry" grep -qx 'saved_entry=gnulinux-simple-1234' "$T/env.txt"
check "grubenv has the command line, the rescue port and [rescue] cmdline last" \
	grep -q '^lifeline_rescue_args=.*lifeline.rescue_port=2200 console=ttyS0,115200n8$' "$T/env.txt"
check "no next_entry: that is the verdict's" sh -c "! grep -q '^next_entry=' $T/env.txt"

# --- rescue now: refused, nothing written ---------------------------------
cp "$B/grub/grubenv" "$T/grubenv.before"
ctl rescue now --yes > /dev/null 2>&1
check "rescue now is refused as not the machine's PID 1" wait_for 5 sh -c \
	"\"$LIFELINECTL\" -s $T/control log | grep -q \"not the machine's PID 1: not booting the rescue system\""
check "grubenv is unchanged" cmp -s "$B/grub/grubenv" "$T/grubenv.before"
check "lifeline is still running" kill -0 "$NSPID"

# --- method = kexec: never the GRUB path ---------------------------------
conf "method = kexec" > "$T/lifeline.conf"
ctl reload > /dev/null 2>&1
check "method = kexec: prepared for kexec, not the GRUB path" wait_for 15 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q \"^rescue: prepared .*, not loaded (not the machine's PID 1): \""
check "no GRUB in its status" sh -c "! \"$LIFELINECTL\" -s $T/control status | grep -q GRUB"

# --- a grub.cfg without the entry: NOT ARMED, and what to do -------------
sh /etc/grub.d/00_header > "$B/grub/grub.cfg" 2> /dev/null
conf "method = grub" > "$T/lifeline.conf"
ctl reload > /dev/null 2>&1
check "no entry in grub.cfg: NOT ARMED, make install-rescue, update-grub" wait_for 15 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -qxF \"rescue: NOT ARMED: no 'lifeline-rescue' entry in $B/grub/grub.cfg: make install-rescue, update-grub; a verdict reboots the host\""
finish
