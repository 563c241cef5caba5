# The serial console typed on, for the end-to-end tests (sourced after
# tests/e2e/lib.sh, POSIX sh).  QEMU's serial port becomes a socket: a
# wrapper first in PATH turns the -serial file:LOG that qemu_boot (and
# debian_boot) pass into a socket chardev that still logs to LOG (the log
# keeps what the guest printed while no client was connected), and socat
# types on it and reads what the console prints.
#
#   console_setup              the wrapper; call once, before any boot
#   con_open NAME BOOT...      run BOOT... (a boot function), connect;
#                              1 if QEMU made no socket
#   con_close NAME             QEMU and socat stopped; the console kept as
#                              $T/console-NAME.out, its end shown if this
#                              boot was the first to fail
#   con_mark                   from here on for con_since/con_seen
#   con_since                  what the console printed since the mark
#   con_seen ERE               ... has a line matching ERE
#   con_wait ERE SECONDS       until con_seen ERE
#   con_type TEXT              TEXT and Enter (CR, as a terminal sends)
#
# getty sleeps and flushes input before its prompt: type only after it;
# the kernel's log may follow a prompt on the same line: match prompts
# unanchored.  lib.sh's wait_for keeps its end in a global: never nest it.

# qemu_boot runs qemu-system-x86_64 from PATH: this wrapper puts the serial
# port on the socket $T/console.sock, logging to the file qemu_boot named
# ($SERIAL, for show_boot), and adds $QEMU_EXTRA; it execs, so $QPID stays
# QEMU's pid
console_setup() {
	REAL_QEMU=$(command -v qemu-system-x86_64) || { fail "qemu-system-x86_64 installed"; finish; }
	command -v socat > /dev/null || { fail "socat installed (apt-get install socat)"; finish; }
	mkdir -p "$T/bin"
	cat > "$T/bin/qemu-system-x86_64" <<EOF
#!/bin/sh
log= prev=
for a do
	shift
	if [ "\$prev" = -serial ]; then
		case \$a in file:*) log=\${a#file:}; a=chardev:con0 ;; esac
	fi
	set -- "\$@" "\$a"
	prev=\$a
done
[ -n "\$log" ] && set -- "\$@" -chardev "socket,id=con0,path=$T/console.sock,server=on,wait=off,logfile=\$log"
# shellcheck disable=SC2086
exec $REAL_QEMU "\$@" \${QEMU_EXTRA:-}
EOF
	chmod 755 "$T/bin/qemu-system-x86_64"
	PATH=$T/bin:$PATH
	QEMU_EXTRA=${QEMU_EXTRA:-}
	export QEMU_EXTRA
	trap 'con_close end; e2e_cleanup' EXIT INT TERM
}

# the console: socat between the socket and $CON (what it printed), typing
# what goes into the FIFO $T/con.in (held open on fd 7)
CON=$T/console.out
SOCAT_PID=
con_open() {
	co_name=$1; shift
	rm -f "$T/console.sock" "$T/con.in"
	"$@"
	wait_for 20 test -S "$T/console.sock" || { fail "$co_name: QEMU made the console socket"; return 1; }
	mkfifo "$T/con.in"
	: > "$CON"
	socat "UNIX-CONNECT:$T/console.sock" STDIO < "$T/con.in" > "$CON" 2> "$T/socat.err" &
	SOCAT_PID=$!
	exec 7> "$T/con.in"
	CON_MARK=0 CON_FAILED=$FAILED
}
con_close() {
	exec 7>&-
	[ -n "$QPID" ] && { kill -KILL "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null; QPID=; }
	[ -n "$SOCAT_PID" ] && { kill "$SOCAT_PID" 2>/dev/null; wait "$SOCAT_PID" 2>/dev/null; SOCAT_PID=; }
	cp "$CON" "$T/console-$1.out" 2>/dev/null
	# the first boot with a failure: what the console printed
	if [ "$FAILED" != 0 ] && [ "${CON_FAILED:-1}" = 0 ] && [ -s "$CON" ]; then
		echo "# --- $1: the console as socat read it (last 40 lines) ---"
		tr -d '\r' < "$CON" | tail -n 40 | sed 's/^/# /'
	fi
	CON_FAILED=1
}
# what the console printed since the last con_mark, without CRs
con_mark() { CON_MARK=$(wc -c < "$CON"); }
con_since() { tail -c +"$((CON_MARK + 1))" "$CON" | tr -d '\r'; }
con_seen() { con_since | grep -Eq "$1"; }
con_wait() { wait_for "$2" con_seen "$1"; }
# a line typed on the console, ended with Enter (CR, as a terminal sends)
con_type() { printf '%s\r' "$1" >&7; }
