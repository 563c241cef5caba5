#!/bin/sh
# Arming the rescue system, as far as a namespace's init goes: lifeline
# with [rescue] and [keepalive] writes the rescue system's keepalive.conf
# and key (0600) to /run/lifeline/rescue, runs the network snapshot as a
# child (status says "arming" meanwhile), builds the archive appended to the
# image (extra.cpio: Debian's cpio extracts it) and the command line, and
# then does not load it ("not the machine's PID 1").  `lifelinectl rescue
# now` is logged and does not reboot; `rescue arm` arms again; a missing
# image is a clear NOT ARMED.  The kexec load itself: tests/e2e.
# san: yes
. "$(dirname "$0")/lib.sh"

R=/run/lifeline/rescue
make_keys
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/keepalive.key"
echo >> "$T/keepalive.key"
chmod 600 "$T/keepalive.key"
# the second peer has a key of its own
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/peer-b.key"
echo >> "$T/peer-b.key"
chmod 600 "$T/peer-b.key"
printf 'RESCUE-IMAGE-BYTES' > "$T/rescue.img"      # 18 bytes: 2 of padding
printf 'not a kernel' > "$T/vmlinuz-test"
# the snapshot: a known one, after 2 s so that "arming" can be seen
cat > "$T/snap.sh" <<'EOS'
#!/bin/sh
sleep 2
printf 'lifeline-netsnap 1\nhostname web1\nlink eth0 52:54:00:12:34:56 mtu 1500\naddr eth0 192.0.2.5/24\nroute 4 eth0 default via 192.0.2.1\n' > "$1"
EOS
chmod 755 "$T/snap.sh"

esc_config() { # IMAGE
	standard_config
	cat <<EOC
[keepalive]
peer = 127.0.0.1:7500
peer = [::1]:7501 $T/peer-b.key
key = $T/keepalive.key
host = web1
interval = 1s
[rescue]
image = $1
kernel = $T/vmlinuz-test
snapshot = $T/snap.sh
port = 2200
cmdline = loglevel=7 panic=10
EOC
}
esc_config "$T/rescue.img" > "$T/lifeline.conf"
start_ns

check "status says arming while the snapshot runs" wait_for 10 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q '^rescue: arming (snapshot running)'"
check "then: prepared, not loaded (not the machine's PID 1)" wait_for 15 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q \"^rescue: prepared .*, not loaded (not the machine's PID 1): test + \""
ctl status > "$T/status.txt"
check "status names the image, the snapshot's links and the keepalives" \
	grep -q "$T/rescue.img (.*, snapshot: 1 link, keepalives: yes)" "$T/status.txt"
ctl status --json > "$T/status.json"
check "JSON: state not-loaded, crash not-loaded" \
	grep -q '"rescue":{"enabled":true,"state":"not-loaded","kexec":false,"crash":"not-loaded"' "$T/status.json"
check "the command line ends with the rescue port and [rescue] cmdline" \
	grep -q '"cmdline":"[^"]*lifeline.rescue_port=2200 loglevel=7 panic=10"' "$T/status.json"
check "the log says it was not loaded" sh -c \
	"\"$LIFELINECTL\" -s $T/control log | grep -q \"rescue: prepared .*; not loaded (not the machine's PID 1)\""

# --- the files --------------------------------------------------------
check "$R is mode 700" [ "$(in_ns stat -c %a $R)" = 700 ]
check "keepalive.key is mode 600" [ "$(in_ns stat -c %a $R/keepalive.key)" = 600 ]
check "keepalive.key holds the host's key" sh -c \
	"nsenter -t $NSPID -m cat $R/keepalive.key | cmp -s - $T/keepalive.key"
in_ns cat $R/keepalive.conf > "$T/rescue-ka.conf"
check "keepalive-2.key (the second peer's own) is mode 600 and holds its key" sh -c \
	"[ \$(nsenter -t $NSPID -m stat -c %a $R/keepalive-2.key) = 600 ] && nsenter -t $NSPID -m cat $R/keepalive-2.key | cmp -s - $T/peer-b.key"
check "no key file for the first peer, which has none of its own" sh -c "! nsenter -t $NSPID -m test -e $R/keepalive-1.key"
check "keepalive.conf: the same peers, system = rescue, the rescue key paths" sh -c \
	"grep -qx 'peer = 127.0.0.1:7500' $T/rescue-ka.conf && grep -qx 'peer = \[::1\]:7501 /etc/rescue/keepalive-2.key' $T/rescue-ka.conf &&
	 grep -qx 'system = rescue' $T/rescue-ka.conf && grep -qx 'host = web1' $T/rescue-ka.conf &&
	 grep -qx 'key = /etc/rescue/keepalive.key' $T/rescue-ka.conf && grep -qx 'interval = 1000ms' $T/rescue-ka.conf"
# the rescue system's lifeline.conf includes it next to its own services
{ cat "$T/rescue-ka.conf"; printf '[service shell]\nexec = /bin/sh\n'; } > "$T/rescue-full.conf"
check "keepalive.conf passes lifeline --check-config" sh -c \
	"$LIFELINE --check-config $T/rescue-full.conf >/dev/null 2>&1"
check "the snapshot is there, as the program wrote it" sh -c \
	"nsenter -t $NSPID -m cat $R/netsnap | head -n 1 | grep -qx 'lifeline-netsnap 1'"

# --- the archive ------------------------------------------------------
in_ns cat $R/extra.cpio > "$T/extra.cpio"
mkdir "$T/x"
check "cpio extracts extra.cpio" sh -c "cd $T/x && cpio -idm --quiet < $T/extra.cpio"
check "it holds etc/rescue/{netsnap,keepalive.conf,keepalive.key}" sh -c \
	"[ -f $T/x/etc/rescue/netsnap ] && [ -f $T/x/etc/rescue/keepalive.conf ] && [ -f $T/x/etc/rescue/keepalive.key ]"
check "the key in the archive is mode 600 and the host's key" sh -c \
	"[ \$(stat -c %a $T/x/etc/rescue/keepalive.key) = 600 ] && cmp -s $T/x/etc/rescue/keepalive.key $T/keepalive.key"
check "the conf in the archive is the one in $R" cmp -s "$T/x/etc/rescue/keepalive.conf" "$T/rescue-ka.conf"
check "the second peer's key in the archive: mode 600, its key" sh -c \
	"[ \$(stat -c %a $T/x/etc/rescue/keepalive-2.key) = 600 ] && cmp -s $T/x/etc/rescue/keepalive-2.key $T/peer-b.key"
cpio_len=$(stat -c %s "$T/extra.cpio")
check "initrd_bytes = the image padded to 4 (20) + the archive ($cpio_len)" \
	grep -q "\"initrd_bytes\":$((20 + cpio_len))," "$T/status.json"

# --- rescue now: refused, logged, counted -------------------------------
ctl rescue now --yes > "$T/now.out" 2>&1
rc=$?
check "lifelinectl rescue now --yes exits 0 (got $rc)" [ "$rc" = 0 ]
check "rescue now is logged as refused" wait_for 5 sh -c \
	"\"$LIFELINECTL\" -s $T/control log | grep -q \"not the machine's PID 1: not booting the rescue system\""
check "lifeline is still running" kill -0 "$NSPID"
check "status counts it" sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q '^rescue: verdicts acted on: 1 (not PID 1)'"

# --- rescue arm: again ------------------------------------------------
ctl rescue arm > "$T/arm.out" 2>&1
check "rescue arm starts arming again" grep -q "arming (snapshot running)" "$T/arm.out"
check "a second rescue arm meanwhile is refused" sh -c \
	"! \"$LIFELINECTL\" -s $T/control rescue arm > $T/arm2.out 2>&1 && grep -q 'arming already' $T/arm2.out"
check "and it is prepared again" wait_for 15 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q '^rescue: prepared '"

# --- a missing image ----------------------------------------------------
esc_config "$T/missing.img" > "$T/lifeline.conf"
ctl reload > /dev/null 2>&1
check "a missing image: NOT ARMED with the reason" wait_for 15 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q '^rescue: NOT ARMED: image $T/missing.img: No such file or directory (make rescue-image install-rescue); a verdict reboots the host'"

# --- an image, then a kernel, that is a FIFO: open() would wait for a
# writer with PID 1 in it (issue #12); refused at once instead ----------
mkfifo "$T/fifo.img"
esc_config "$T/fifo.img" > "$T/lifeline.conf"
ctl reload > /dev/null 2>&1
check "an image that is a FIFO: NOT ARMED, said at once" wait_for 15 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q '^rescue: NOT ARMED: image $T/fifo.img: not a regular file but a FIFO'"
mv "$T/vmlinuz-test" "$T/vmlinuz-real"
mkfifo "$T/vmlinuz-test"
esc_config "$T/rescue.img" > "$T/lifeline.conf"
ctl reload > /dev/null 2>&1
check "a kernel that is a FIFO: NOT ARMED, said at once" wait_for 15 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -q '^rescue: NOT ARMED: kernel $T/vmlinuz-test: not a regular file but a FIFO'"
check "lifeline still answers" sh -c "\"$LIFELINECTL\" -s $T/control status > /dev/null"
finish
