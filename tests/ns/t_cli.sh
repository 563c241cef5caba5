#!/bin/sh
# The command lines: `lifeline --version`, `lifeline --check-config` with
# good and bad files (file:line:col for each error), an unknown option;
# lifelinectl's exit codes (0 done, 1 refused, 2 usage, 3 unreachable),
# start/stop/restart of a real service, and the root-only socket.
# san: yes
. "$(dirname "$0")/lib.sh"

U=$$
# run_cmd NAME CMD...: run CMD (5 s at most), keep stdout, stderr and status
# in $T/NAME.out, $T/NAME.err and $RC
run_cmd() {
	_rc_name=$1; shift
	timeout 5 "$@" > "$T/$_rc_name.out" 2> "$T/$_rc_name.err" < /dev/null
	RC=$?
}
has_err() { grep -q -- "$2" "$T/$1.err"; }
has_out() { grep -q -- "$2" "$T/$1.out"; }
host_has() { pgrep -f "^/bin/sleep $1\\.$U\$" >/dev/null; }

# --- lifeline itself -------------------------------------------------------
run_cmd version "$LIFELINE" --version
check "lifeline --version exits 0 (got $RC)" [ "$RC" = 0 ]
check "lifeline --version prints 'lifeline VERSION'" \
	grep -Eqx 'lifeline [0-9]+\.[0-9]+\.[0-9]+.*' "$T/version.out"
check "lifeline --version prints one line" [ "$(wc -l < "$T/version.out")" = 1 ]
VERSION=$(cut -d' ' -f2 "$T/version.out")

GOOD=$T/good.conf
cat > "$GOOD" <<EOC
[lifeline]
stop_timeout = 5s
[service main]
exec = /bin/sleep 1000.$U
[service other]
exec = /bin/sleep 1001.$U
[boot hello]
exec = /bin/true
EOC
run_cmd good "$LIFELINE" --check-config "$GOOD"
check "--check-config of a good file exits 0 (got $RC)" [ "$RC" = 0 ]
check "--check-config of a good file says ok" grep -q "^$GOOD: ok" "$T/good.out"
check "--check-config counts what it found" has_out good "2 services, 1 boot task"
# a config without sshd or dropbear is fine but earns a warning
check "--check-config of a good file prints no error" \
	sh -c "! grep -v ': warning: ' '$T/good.err'"
check "--check-config warns when no service runs sshd or dropbear" \
	grep -q "^$GOOD:1:1: warning: no service with an existing program runs sshd or dropbear" "$T/good.err"

BAD=$T/bad.conf
cat > "$BAD" <<EOC
[lifeline]
stop_timeout = forever
[service a]
exec = /bin/sleep 1000.$U
   colour = blue
[service b]
exec = /nonexistent/lifeline-test/thing
oom_score_adj = -5000
[service  a]
exec = /bin/true
[service c]
exec = /bin/true
nice = -3
early = perhaps
EOC
run_cmd bad "$LIFELINE" --check-config "$BAD"
sed 's/^/# check-config stderr: /' "$T/bad.err"
check "--check-config of a bad file exits 1 (got $RC)" [ "$RC" = 1 ]
check "bad duration at $BAD:2:16" grep -q "^$BAD:2:16: bad duration 'forever'" "$T/bad.err"
check "unknown key at $BAD:5:4" grep -q "^$BAD:5:4: unknown key 'colour'" "$T/bad.err"
check "missing executable at $BAD:7:8" \
	grep -q "^$BAD:7:8: executable not found: /nonexistent/lifeline-test/thing" "$T/bad.err"
check "bad oom_score_adj value at $BAD:8:17" grep -q "^$BAD:8:17: oom_score_adj must be" "$T/bad.err"
check "duplicate service at $BAD:9:11, naming the first at line 3" \
	grep -q "^$BAD:9:11: duplicate name 'a' (first defined at $BAD:3)" "$T/bad.err"
check "bad early value at $BAD:14:9" grep -q "^$BAD:14:9: early must be yes or no" "$T/bad.err"
check "every error line has the form file:line:col: message" \
	sh -c "! grep -v -e '^$BAD:[0-9][0-9]*:[0-9][0-9]*: [^ ]' -e '^$BAD: [0-9]* problems\$' '$T/bad.err'"
check "exactly 6 errors are reported" [ "$(grep -v ': warning: ' "$T/bad.err" | grep -c "^$BAD:[0-9]*:[0-9]*: ")" = 6 ]
check "the summary counts 6 problems" grep -qx "$BAD: 6 problems" "$T/bad.err"
check "--check-config of a bad file prints nothing on stdout" [ ! -s "$T/bad.out" ]

run_cmd missing "$LIFELINE" --check-config "$T/no-such.conf"
check "--check-config of a missing file exits 1 (got $RC)" [ "$RC" = 1 ]
check "--check-config of a missing file names it" has_err missing "^$T/no-such.conf:.*cannot open"

run_cmd badopt "$LIFELINE" --no-such-option
check "an unknown option (not PID 1) exits 100 (got $RC)" [ "$RC" = 100 ]
check "an unknown option prints the usage on stderr" has_err badopt "usage: lifeline"

# --- lifelinectl without a lifeline ------------------------------------------
run_cmd noargs "$LIFELINECTL"
check "lifelinectl with no arguments exits 2 (got $RC)" [ "$RC" = 2 ]
check "lifelinectl with no arguments prints the usage" has_err noargs "usage: lifelinectl"
run_cmd unknown "$LIFELINECTL" -s "$T/control" frobnicate
check "lifelinectl unknown command exits 2 (got $RC)" [ "$RC" = 2 ]
check "lifelinectl unknown command names it" has_err unknown "unknown command 'frobnicate'"
run_cmd noname "$LIFELINECTL" -s "$T/control" start
check "lifelinectl start without a name exits 2 (got $RC)" [ "$RC" = 2 ]
check "lifelinectl start without a name says so" has_err noname "start needs"
run_cmd badopt2 "$LIFELINECTL" --frob status
check "lifelinectl unknown option exits 2 (got $RC)" [ "$RC" = 2 ]
run_cmd nosock "$LIFELINECTL" -s "$T/no-such-socket" status
check "lifelinectl with no socket exits 3 (got $RC)" [ "$RC" = 3 ]
check "lifelinectl with no socket names the socket" has_err nosock "$T/no-such-socket"

# --- lifelinectl against a running lifeline -------------------------------
start_ns "$GOOD"
check "main running" wait_for 10 svc_running main
check "other running" wait_for 10 svc_running other
check "status shows the version --version printed" sh -c \
	"\"$LIFELINECTL\" -s $T/control status | head -n 1 | grep -q '^lifeline $VERSION '"

run_cmd nosuch "$LIFELINECTL" -s "$T/control" stop nosuch
check "stop nosuch exits 1 (got $RC)" [ "$RC" = 1 ]
check "stop nosuch says 'no such service'" has_err nosuch "no such service"
run_cmd nosuch2 "$LIFELINECTL" -s "$T/control" start nosuch
check "start nosuch exits 1 (got $RC)" [ "$RC" = 1 ]
run_cmd task "$LIFELINECTL" -s "$T/control" restart hello
check "restart of a boot task exits 1 (got $RC)" [ "$RC" = 1 ]

P0=$(svc_pid main)
O0=$(svc_pid other)
run_cmd start1 "$LIFELINECTL" -s "$T/control" start main
check "start of a running service exits 0 (got $RC)" [ "$RC" = 0 ]
sleep 0.3
check "start of a running service keeps its PID" [ "$(svc_pid main)" = "$P0" ]

run_cmd stop "$LIFELINECTL" -s "$T/control" stop main
check "stop main exits 0 (got $RC)" [ "$RC" = 0 ]
check "stop: main is down" wait_for 5 sh -c "[ \"\$(\"$LIFELINECTL\" -s $T/control status | awk '\$1 == \"main\" { print \$3 }')\" = down ]"
check "stop: main's process is gone" wait_for 5 sh -c "! pgrep -f '^/bin/sleep 1000\\.$U\$' >/dev/null"
sleep 2
check "stop: main is still down 2 s later" [ "$(svc_state main)" = down ]
check "stop: main shows no PID" [ "$(svc_pid main)" = - ]
check "stop: main was not restarted" sh -c "! pgrep -f '^/bin/sleep 1000\\.$U\$' >/dev/null"
check "stop: other kept running with its PID" [ "$(svc_pid other)" = "$O0" ]
run_cmd stop2 "$LIFELINECTL" -s "$T/control" stop main
check "stop of a stopped service exits 0 (got $RC)" [ "$RC" = 0 ]

run_cmd start "$LIFELINECTL" -s "$T/control" start main
check "start main exits 0 (got $RC)" [ "$RC" = 0 ]
check "start: main is running" wait_for 5 svc_running main
P1=$(svc_pid main)
check "start: main has a new PID ($P0 -> $P1)" sh -c "[ -n '$P1' ] && [ '$P1' != - ] && [ '$P1' != '$P0' ]"
check "start: main's process exists" host_has 1000

run_cmd restart "$LIFELINECTL" -s "$T/control" restart main
check "restart main exits 0 (got $RC)" [ "$RC" = 0 ]
check "restart: main is running with a new PID" wait_for 5 sh -c \
	"p=\$(\"$LIFELINECTL\" -s $T/control status | awk '\$1 == \"main\" && \$3 == \"running\" { print \$4 }'); [ -n \"\$p\" ] && [ \"\$p\" != '$P1' ]"
check "restart: exactly one main process" [ "$(pgrep -f "^/bin/sleep 1000\\.$U\$" | wc -l)" = 1 ]
check "restart: other kept its PID" [ "$(svc_pid other)" = "$O0" ]

# --- root only --------------------------------------------------------------
check "the socket is created mode 0600" [ "$(stat -c %a "$T/control")" = 600 ]
chmod 0666 "$T/control"
run_cmd nobody setpriv --reuid=nobody --regid=nogroup --clear-groups "$LIFELINECTL" -s "$T/control" status
sed 's/^/# nobody stderr: /' "$T/nobody.err"
check "a non-root client is refused: exit 1 (got $RC)" [ "$RC" = 1 ]
check "a non-root client is told 'permission denied'" has_err nobody "permission denied"
check "a non-root client gets no status" [ ! -s "$T/nobody.out" ]
run_cmd nobody2 setpriv --reuid=nobody --regid=nogroup --clear-groups "$LIFELINECTL" -s "$T/control" stop other
check "a non-root stop is refused: exit 1 (got $RC)" [ "$RC" = 1 ]
check "a non-root stop did nothing" [ "$(svc_pid other)" = "$O0" ]
chmod 0600 "$T/control"
run_cmd nobody3 setpriv --reuid=nobody --regid=nogroup --clear-groups "$LIFELINECTL" -s "$T/control" status
check "non-root with the 0600 socket cannot connect: exit 3 (got $RC)" [ "$RC" = 3 ]
check "non-root with the 0600 socket: the message names the socket" has_err nobody3 "$T/control"
run_cmd root "$LIFELINECTL" -s "$T/control" status
check "root still gets status (exit $RC)" [ "$RC" = 0 ]
ctl status | sed 's/^/# /'

# --- the socket is 0600 from its first moment (issue #12) -----------------
# A chmod() after bind() leaves a moment with the mode the umask gave (000
# here: srwxrwxrwx) and follows a symlink planted at the path in that
# moment.  Under strace: the bind happens with a umask that makes it 0600,
# and nothing changes the mode by path afterwards.
cat > "$T/sock.conf" <<EOC
[service main]
exec = /bin/sleep 1002.$U
[service noisy]
exec = /bin/sh $T/noisy.sh
restart = never
[service quiet]
exec = /bin/echo lifeline-t_cli-kmsg-no-$U
restart = never
kmsg = no
[service loud]
exec = /bin/echo lifeline-t_cli-kmsg-yes-$U
restart = never
EOC
# a service's output with an escape sequence (ESC [ 2 J, clear screen),
# a carriage return, a C1 CSI in UTF-8 (C2 9B) and plain UTF-8 (é)
printf 'printf "noisy: \\033[2J, \\r, \\302\\233m, caf\\303\\251\\n"\n' > "$T/noisy.sh"
(umask 000; exec strace -f -qq -e trace=umask,bind,chmod,fchmodat -o "$T/strace.log" \
	"$LIFELINE" -c "$T/sock.conf" -s "$T/control2") > "$T/sock.console" 2>&1 &
SPID=$!
if wait_for 10 test -S "$T/control2"; then
	sed 's/^/# strace: /' "$T/strace.log"
	check "the socket is bound while the umask is 0177" awk -v p="$T/control2" '
		/umask\(0177\)/ { m = 1 } /umask\(/ && !/umask\(0177\)/ { m = 0 }
		/bind\(/ && index($0, p) { found = 1; ok = m }
		END { exit !(found && ok) }' "$T/strace.log"
	check "no chmod of the socket's path after the bind" sh -c \
		"! grep -E 'chmod|fchmodat' '$T/strace.log' | grep -qF '$T/control2'"
	check "the socket is mode 0600 under an inherited umask of 000" \
		[ "$(stat -c %a "$T/control2")" = 600 ]
	# --- lifelinectl log escapes control characters (issue #12) ---
	wait_for 5 sh -c "\"$LIFELINECTL\" -s $T/control2 log | grep -q 'noisy: noisy' &&
		\"$LIFELINECTL\" -s $T/control2 log | grep -q 'quiet: lifeline' &&
		\"$LIFELINECTL\" -s $T/control2 log | grep -q 'loud: lifeline'"
	"$LIFELINECTL" -s "$T/control2" log > "$T/log.out" 2>&1
	grep 'noisy: noisy' "$T/log.out" | sed 's/^/# log: /'
	check "lifelinectl log prints no raw escape, carriage return or C1 control" \
		sh -c "! grep -q \"\$(printf '\\033\\|\\r\\|\\302\\233')\" '$T/log.out'"
	check "lifelinectl log shows them as \\xNN" \
		grep -qF 'noisy: \x1b[2J, \x0d, \xc2\x9bm, caf' "$T/log.out"
	check "lifelinectl log keeps UTF-8 text as it is" \
		grep -q "caf$(printf '\303\251')" "$T/log.out"
	# --- kmsg = no: the output in the log ring, not in the kernel's log
	check "kmsg = no: the output is in lifelinectl log" \
		grep -q "quiet: lifeline-t_cli-kmsg-no-$U" "$T/log.out"
	check "kmsg = no: it is not in the kernel's log" \
		sh -c "! dmesg | grep -q 'lifeline-t_cli-kmsg-no-$U'"
	check "kmsg unset: the output is in the kernel's log too" \
		sh -c "dmesg | grep -q 'loud: lifeline-t_cli-kmsg-yes-$U'"
else
	fail "lifeline under strace opened $T/control2"
fi
# lifeline is strace's child: stopped, it ends strace too
kill -TERM $(pgrep -P "$SPID") 2>/dev/null
wait_for 10 sh -c "! kill -0 $SPID 2>/dev/null" || kill -KILL "$SPID" $(pgrep -P "$SPID") 2>/dev/null
pkill -KILL -f "^/bin/sleep 1002\\.$U\$" 2>/dev/null
finish
