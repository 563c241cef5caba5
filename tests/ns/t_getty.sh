#!/bin/sh
# A login on the console (issue #13): the real /sbin/agetty on a
# pseudo-terminal (build/pty-relay) that stands in for the serial console,
# bound over /dev/ttyS0 in the test's mount namespace, with "ttyS0" as the
# kernel's console list (a file bound over /sys/class/tty/console/active).
#  - ttys = console ttyS0 nosuch0 makes one unit, getty-ttyS0 (duplicates
#    collapse; a tty not there is a note);
#  - the prompt appears on the line; kill -9 of the getty brings a new one
#    at once, several times in a row;
#  - the getty is protected from its start (oom_score_adj; this namespace
#    lacks CAP_SYS_RESOURCE, so the test protects at 100 and puts sessions
#    at 500, values it may set) while the shell a real root login starts on
#    the line (a test password in a test /etc/shadow bound in the
#    namespace) runs at the session value; logging out brings the prompt
#    back;
#  - an optional service whose program is missing is said once, never
#    retried (no log lines, no wake-ups of PID 1), shown as not-installed,
#    is no problem for --check-config, and a reload after installing it
#    starts it.
# san: yes
. "$(dirname "$0")/lib.sh"
RELAY=$ROOT/build/pty-relay
[ -x "$RELAY" ] || { fail "build/pty-relay exists (make build/pty-relay)"; exit 1; }
[ -x /sbin/agetty ] || { fail "/sbin/agetty is installed (util-linux)"; exit 1; }

# the line: pty-relay holds the master, out gets what the getty writes,
# in (a FIFO) is what we type
mkfifo "$T/in"
: > "$T/out"
"$RELAY" "$T/pty" "$T/out" "$T/in" & RELAY_PID=$!
trap 'kill $RELAY_PID 2>/dev/null; cleanup' EXIT INT TERM
wait_for 5 test -L "$T/pty" || { fail "pty-relay made its pty"; exit 1; }
exec 7> "$T/in"         # held open: the relay's FIFO never sees an end
type_line() { printf '%s\r' "$1" >&7; }
prompts() { grep -o 'login: ' "$T/out" | wc -l; }

# root's password, only in this namespace
PW=lifeline-test-pw
HASH=$(openssl passwd -6 -salt getty1 "$PW")
awk -F: -v h="$HASH" 'BEGIN { OFS = ":" } $1 == "root" { $2 = h } { print }' /etc/shadow > "$T/shadow"
chmod 0640 "$T/shadow"
echo ttyS0 > "$T/active"
for f in wtmp btmp lastlog; do : > "$T/$f"; done
NS_SETUP="mount --bind $(readlink "$T/pty") /dev/ttyS0
mount --bind $T/active /sys/class/tty/console/active
mount --bind $T/shadow /etc/shadow
for f in wtmp btmp lastlog; do [ -e /var/log/\$f ] && mount --bind $T/\$f /var/log/\$f; done
true"

cat > "$T/lifeline.conf" <<EOC
[boot lo]
exec = /sbin/ip link set lo up
[service getty]
exec = /sbin/agetty -o '-p -- \\u' --noclear --keep-baud 115200,57600,38400,9600 %I
ttys = console ttyS0 nosuch0
optional = yes
protect = yes
oom_score_adj = 100
session_oom_score_adj = 500
[service later]
exec = $T/later.sh %I
ttys = console
optional = yes
EOC

check "--check-config: the missing optional program is a note, no problem" \
	sh -c "'$LIFELINE' --check-config '$T/lifeline.conf' > '$T/check.out' 2>&1"
check "--check-config says later-ttyS0 is not installed" \
	grep -q "note: later-ttyS0: $T/later.sh is not installed: not started" "$T/check.out"
check "--check-config notes the tty that is not there" \
	grep -q "note: 'getty': no tty nosuch0 here" "$T/check.out"

start_ns
check "getty-ttyS0 running" wait_for 15 svc_running getty-ttyS0
check "one unit for ttyS0 (console and ttyS0 collapse), none for nosuch0" \
	sh -c "[ \"\$('$LIFELINECTL' -s '$T/control' status | grep -c '^getty-')\" = 1 ]"
check "the prompt appears on the line" wait_for 10 grep -q 'login: ' "$T/out"

gpid=$(child_pid agetty)
# what a getty holds (the shipped config's memory_min is sized on it)
mem() { awk '/^(VmRSS|RssAnon|RssFile):/ { printf "%s %s kB ", $1, $2 }' "/proc/$1/status" 2>/dev/null; }
note "agetty: $(mem "$gpid")"
check "the getty is protected from its start (oom_score_adj 100)" \
	[ "$(cat /proc/"$gpid"/oom_score_adj 2>/dev/null)" = 100 ]

# kill -9, several times in a row: a new getty and a new prompt each time
ok_kills=0
for i in 1 2 3 4 5; do
	n0=$(prompts)
	old=$(child_pid agetty)
	[ -n "$old" ] || break
	kill -KILL "$old"
	wait_for 5 sh -c "[ \$(grep -o 'login: ' '$T/out' | wc -l) -gt $n0 ]" || break
	new=$(child_pid agetty)
	[ -n "$new" ] && [ "$new" != "$old" ] || break
	[ "$(cat /proc/"$new"/oom_score_adj)" = 100 ] || break
	ok_kills=$((ok_kills + 1))
done
check "kill -9 of the getty 5 times: a new protected getty and prompt each time ($ok_kills)" \
	[ "$ok_kills" = 5 ]
check "no restart after a kill was delayed" sh -c \
	"! '$LIFELINECTL' -s '$T/control' log | grep -E 'getty-ttyS0: killed by SIGKILL.*restarting in [1-9]'"

# a real login as root on the line, twice in a row
# login_cycle N: log in, run the probe, check the session, log out
login_cycle() {
	sleep 1.2       # agetty flushes input before its prompt
	type_line root
	if wait_for 10 grep -q 'Password: ' "$T/out"; then
		sleep 0.3
		type_line "$PW"
	fi
	type_line "echo MARK-$1-\$((6*7))"
	check "login $1: root logs in on the console and the shell runs" \
		wait_for 15 grep -q "MARK-$1-42" "$T/out"
	lpid=$(pgrep -P "$NSPID" -x login | head -n 1)
	spid=$( [ -n "$lpid" ] && pgrep -P "$lpid" | head -n 1)
	note "login $1: login after the login: $(mem "$lpid"); its shell: $(mem "$spid")"
	note "login $1: login $lpid (oom_score_adj $(cat /proc/"$lpid"/oom_score_adj 2>/dev/null)), shell $spid ($(cat /proc/"$spid"/oom_score_adj 2>/dev/null))"
	check "login $1: login (the getty's process) keeps the protection (100)" \
		[ "$(cat /proc/"$lpid"/oom_score_adj 2>/dev/null)" = 100 ]
	# sessions are told from their listener by the kernel's fork events
	# (the process connector), which only the machine's own PID 1 can
	# have; the Debian-disk e2e (t_debian) checks the console shell there
	if ctl status | grep -q '^sessions: off'; then
		note "sessions: off in a PID namespace (no fork events): the shell's oom_score_adj is checked by the e2e"
	else
		check "login $1: the console shell runs as a session (500), not protected" \
			[ "$(cat /proc/"$spid"/oom_score_adj 2>/dev/null)" = 500 ]
	fi
	check "login $1: login runs in the getty's process (lifeline's child), the shell is its child" \
		sh -c "[ -n '$lpid' ] && [ -n '$spid' ]"
	n0=$(prompts)
	type_line exit
	check "login $1: logging out brings the prompt back" \
		wait_for 10 sh -c "[ \$(grep -o 'login: ' '$T/out' | wc -l) -gt $n0 ]"
}
login_cycle 1
login_cycle 2
log=$(ctl log)
check "each logout restarts the getty at once (a logout is no crash)" \
	[ "$(printf '%s\n' "$log" | grep -c 'getty-ttyS0: exited 0 after .*; restarting in 0ms')" = 2 ]

# the optional service that is not installed: once, and nothing after
sleep 3
lines=$(ctl log | grep -c 'later-ttyS0')
c0=$(awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { n += $2 } END { print n }' /proc/$NSPID/status)
sleep 4
c1=$(awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { n += $2 } END { print n }' /proc/$NSPID/status)
check "later-ttyS0: one log line, 'not installed: not started'" \
	[ "$(ctl log | grep -c 'later-ttyS0: .* is not installed: not started')" = 1 ]
check "later-ttyS0: no more lines after 4 s ($lines)" [ "$(ctl log | grep -c 'later-ttyS0')" = "$lines" ]
check "PID 1 not woken in 4 s at rest ($c0 -> $c1 context switches)" [ "$c1" = "$c0" ]
check "status shows later-ttyS0 not-installed" [ "$(svc_state later-ttyS0)" = not-installed ]
check "start of a not-installed service says why" \
	sh -c "ctl_out=\$('$LIFELINECTL' -s '$T/control' start later-ttyS0 2>&1); echo \"\$ctl_out\" | grep -q 'is not installed (optional = yes)'"
printf '#!/bin/sh\nexec sleep 1000\n' > "$T/later.sh"
chmod 755 "$T/later.sh"
ctl reload > /dev/null
check "a reload after installing it starts it" wait_for 5 svc_running later-ttyS0
ctl status | sed 's/^/# /'
finish
