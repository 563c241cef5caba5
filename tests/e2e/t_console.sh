#!/bin/sh
# tests/e2e/t_console.sh: the rescue system's console, typed on.  QEMU's
# serial port is a socket here (a wrapper first in PATH turns qemu_boot's
# -serial file:LOG into a socket chardev that still logs to LOG), and socat
# types on it and reads what the console prints.
#
#   build: mkrescue.sh refuses a RESCUE_ROOT_HASH that is empty, a
#     clear-text password, a yescrypt, MD5 or malformed hash, with a message
#     that says how to make one, before it builds anything; the image
#     build/e2e/rescue-pw.img (RESCUE_ROOT_HASH from `openssl passwd -6` of
#     the random build/e2e/console_password) has root's hash in
#     /etc/shadow, mode 0600
#   boot 1, that image: before a login only getty runs on the console, which
#     prompts for one; a wrong password is refused and not echoed; root and
#     the password give a root shell on ttyS0 that runs a command; after
#     `exit` lifeline starts getty again: a new prompt
#   boot 2, that image with /sbin/lifeline replaced (an archive appended to
#     the image, as arming appends one) by a program whose config check
#     fails: rescue/init stays PID 1 and supervises the console itself; it
#     asks for the password too
#   boot 3, build/e2e/rescue.img (no RESCUE_ROOT_HASH): the console is a
#     root shell at once, no login
. "$(dirname "$0")/lib.sh"

IMG=$ROOT/build/e2e/rescue-pw.img
PLAIN=$ROOT/build/e2e/rescue.img
PWFILE=$ROOT/build/e2e/console_password
for f in "$IMG" "$PLAIN" "$PWFILE" "$KEY"; do
	[ -r "$f" ] || { fail "$f exists (make build/e2e/rescue-pw.img build/e2e/rescue.img)"; finish; }
done
PW=$(cat "$PWFILE")
WRONG="not-$PW"
started=$(now_ms)

# ---------------------------------------------------------------- build
# mkrescue_err NAME HASH: mkrescue.sh with RESCUE_ROOT_HASH=HASH fails,
# says why and how to make a hash, and writes no image
mkrescue_err() {
	if env KVER="$KVER" RESCUE_KEYDIR="$ROOT/build/e2e/rescue-keys" RESCUE_ROOT_HASH="$2" \
		sh initramfs/mkrescue.sh "$T/bad.img" > "$T/mk.out" 2>&1; then
		fail "build: $1 refused (it built an image)"
	elif [ -e "$T/bad.img" ]; then
		fail "build: $1 refused, no image left behind"
	elif grep -q 'RESCUE_ROOT_HASH.*openssl passwd -6' "$T/mk.out"; then
		ok "build: $1 refused: $(head -n 1 "$T/mk.out" | cut -c1-100)..."
	else
		fail "build: $1 refused with a message naming RESCUE_ROOT_HASH and openssl passwd -6: $(cat "$T/mk.out")"
	fi
}
mkrescue_err "an empty hash" ""
mkrescue_err "a clear-text password" "$PW"
mkrescue_err "a yescrypt hash" '$y$j9T$abcdefghabcdefgh$33GKDcejmUsteEtKC/Ej0TjjSYt7OxVNq.2SLlXxZu6'
mkrescue_err "an MD5 hash" "$(openssl passwd -1 -salt abcdefgh "$WRONG")"
mkrescue_err "a cut SHA-512 hash" "$(openssl passwd -6 -salt abcdefgh "$WRONG" | cut -c1-50)"
mkrescue_err "a hash with a second line" "$(openssl passwd -6 "$WRONG")
root::0:0::/:/bin/sh"
mkrescue_err "rounds busybox would compute otherwise" \
	"$(openssl passwd -6 -salt abcdefgh "$WRONG" | sed 's/^\$6\$/$6$rounds=500$/')"
# busybox (the image's login) and openssl compute the same hash
bb=$(busybox mkpasswd -m sha512 "$WRONG" abcdefgh) os=$(openssl passwd -6 -salt abcdefgh "$WRONG")
check "build: busybox mkpasswd -m sha512 and openssl passwd -6 agree" [ -n "$bb" -a "$bb" = "$os" ]

zcat "$IMG" | cpio --quiet -itv etc/shadow > "$T/shadow.ls" 2>/dev/null
zcat "$IMG" | cpio --quiet -i --to-stdout etc/shadow > "$T/shadow" 2>/dev/null
check "build: the image's /etc/shadow is mode 0600 ($(cut -c1-10 "$T/shadow.ls"))" \
	grep -q '^-rw------- ' "$T/shadow.ls"
root_hash=$(sed -n 's/^root:\([^:]*\):.*/\1/p' "$T/shadow")
hash_ok() {
	case $root_hash in '$6$'*) ;; *) return 1 ;; esac
	[ "$(printf '%s' "$PW" | openssl passwd -6 -stdin -salt "$(echo "$root_hash" | cut -d'$' -f3)")" = "$root_hash" ]
}
check "build: it holds the SHA-512 hash of build/e2e/console_password for root" hash_ok
check "build: not the password itself" sh -c '! zcat "$1" | grep -aqF "$2"' _ "$IMG" "$PW"

# ---------------------------------------------------------------- QEMU
. "$(dirname "$0")/console.sh"
console_setup

# a command whose output its echo cannot contain: the shell's user id, the
# console's terminal and 6*7, on one line
PROBE='echo "probe uid=$(id -u) tty=$(tty) $((6*7))"'
PROBE_OUT='probe uid=0 tty=/dev/ttyS0 42'
# (not at the end of a line: the kernel's log may follow on the console)
PROMPT='rescue login: '
# the shell's prompt (/etc/profile's PS1; ash asks the terminal where its
# cursor is right after it)
SHELL_PROMPT='^\[rescue rescue\] [^ ]+ # '

# login_checks NAME: from the first prompt on (fail, then the password)
login_checks() {
	if con_wait "$PROMPT" 120; then
		ok "$1: the console prompts for a login ($(( $(now_ms) - BOOT_MS )) ms after the start)"
	else
		fail "$1: the console prompts for a login within 120 s"
		return 1
	fi
	con_mark
	con_type root
	check "$1: root: it asks for the password" con_wait 'Password: ' 20
	con_mark
	con_type "$WRONG"
	refused() { con_seen 'Login incorrect' && con_seen "$PROMPT"; }
	check "$1: a wrong password: \"Login incorrect\", a new prompt" wait_for 30 refused
	check "$1: ... no shell ran" sh -c '! printf "%s" "$1" | grep -Eq "$2"' _ "$(con_since)" "$SHELL_PROMPT"
	check "$1: ... the password was not echoed" sh -c '! printf "%s" "$1" | grep -qF "$2"' _ "$(con_since)" "$WRONG"
	con_mark
	con_type root
	con_wait 'Password: ' 20
	con_mark
	con_type "$PW"
	check "$1: root's password: a shell prompt" con_wait "$SHELL_PROMPT" 30
	check "$1: ... the password was not echoed" sh -c '! printf "%s" "$1" | grep -qF "$2"' _ "$(con_since)" "$PW"
	con_mark
	con_type "$PROBE"
	check "$1: the shell runs a command as root on the console ($PROBE_OUT)" con_wait "^$PROBE_OUT\$" 20
}

# ---------------------------------------------------------------- boot 1
if con_open login qemu_boot "$IMG" ""; then
	logged_in=no
	if login_checks login; then logged_in=yes; fi
	# over SSH (the console's shell is ours now): PID 1, what runs on ttyS0
	if wait_banner "$P2222" 60 > /dev/null; then
		on_tty=$(gssh "$P2222" 'cat /proc/1/comm; for p in /proc/[0-9]*; do
			[ "$(readlink $p/fd/0)" = /dev/ttyS0 ] && echo "$(tr "\0" " " < $p/cmdline)"; done' 2>/dev/null)
		note "login: PID 1 and the processes on ttyS0: $(echo "$on_tty" | tr '\n' '|')"
		check "login: PID 1 is lifeline" [ "$(echo "$on_tty" | head -n 1)" = lifeline ]
		check "login: the console's shell is a login shell under login (-sh)" has_line "$on_tty" '^-sh $'
	else
		fail "login: SSH banner on the rescue port within 60 s"
	fi
	con_mark
	con_type exit
	if [ $logged_in = yes ]; then
		check "login: after exit, lifeline starts getty again: a new prompt" con_wait "$PROMPT" 30
		# nothing but getty on the console now
		getty_only() {
			on_tty=$(gssh "$P2222" 'for p in /proc/[0-9]*; do
				[ "$(readlink $p/fd/0)" = /dev/ttyS0 ] && echo "$(tr "\0" " " < $p/cmdline)"; done' 2>/dev/null)
			[ "$on_tty" = "getty -L 0 - " ]
		}
		wait_for 10 getty_only
		check "login: ... and only getty runs on the console (got: $(echo "$on_tty" | tr '\n' '|'))" \
			[ "$on_tty" = "getty -L 0 - " ]
		check "login: ... lifeline said the console service exited" \
			grep -q 'lifeline: console: exited 0 after' "$SERIAL"
	fi
fi
con_close login

# ---------------------------------------------------------------- boot 2
# /sbin/lifeline replaced by a program that fails every call, so its config
# check too: rescue/init stays PID 1.  The archive is appended after zeros
# to a 4-byte boundary, as lifeline's arming appends its own.
mkdir -p "$T/ovr/sbin"
printf '#!/bin/sh\necho "not lifeline" >&2\nexit 1\n' > "$T/ovr/sbin/lifeline"
chmod 755 "$T/ovr/sbin/lifeline"
(cd "$T/ovr" && find . -mindepth 1 | cpio --quiet -o -H newc --owner=0:0) > "$T/ovr.cpio"
cp "$IMG" "$T/fallback.img"
pad=$(( (4 - $(wc -c < "$IMG") % 4) % 4 ))
head -c "$pad" /dev/zero >> "$T/fallback.img"
cat "$T/ovr.cpio" >> "$T/fallback.img"
if con_open fallback qemu_boot "$T/fallback.img" ""; then
	login_checks fallback
	check "fallback: rescue/init said lifeline cannot take over" \
		grep -q 'lifeline cannot take over (its config check failed); this shell stays PID 1' "$SERIAL"
	if wait_banner "$P2222" 60 > /dev/null; then
		pid1=$(gssh "$P2222" 'cat /proc/1/comm' 2>/dev/null)
		check "fallback: PID 1 is rescue/init, not lifeline ($pid1)" [ "$pid1" = init ]
	else
		fail "fallback: SSH banner on the rescue port within 60 s"
	fi
	con_mark
	con_type exit
	check "fallback: after exit, the shell's supervisor starts getty again: a new prompt" \
		con_wait "$PROMPT" 30
fi
con_close fallback

# ---------------------------------------------------------------- boot 3
if con_open plain qemu_boot "$PLAIN" ""; then
	# Enter until the shell's prompt shows (wait_for cannot nest)
	got_shell() { con_type ''; sleep 1; con_seen "$SHELL_PROMPT"; }
	if wait_for 120 got_shell; then
		ok "plain: a shell prompt on the console, no login ($(( $(now_ms) - BOOT_MS )) ms after the start)"
		con_mark
		con_type "$PROBE"
		check "plain: the shell runs a command as root on the console ($PROBE_OUT)" con_wait "^$PROBE_OUT\$" 20
	else
		fail "plain: a shell prompt on the console within 120 s"
	fi
	check "plain: no login prompt" sh -c '! grep -q "login: " "$1"' _ "$CON"
	check "plain: rescue/init said: shell on the console" grep -q 'rescue: shell on the console' "$SERIAL"
fi
con_close plain

note "t_console took $(( ($(now_ms) - started) / 1000 )) s"
finish
