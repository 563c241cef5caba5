#!/bin/sh
# Shutdown of the namespace: `lifelinectl poweroff` runs the shutdown
# tasks, stops the services, sends SIGTERM to everything left (orphans
# too), syncs and calls reboot(2), which ends the PID namespace.  Then one
# boot each for the other ways down: SIGTERM, SIGINT (reboot), SIGUSR1
# (halt), SIGUSR2 (poweroff), `lifelinectl reboot` and `lifelinectl halt`.
#
# In a PID namespace reboot(2) kills the namespace's init with SIGINT for
# power-off and halt and with SIGHUP for restart; unshare re-raises the
# signal, so `wait` on it gives 130 (poweroff, halt) or 129 (reboot).
# san: yes
. "$(dirname "$0")/lib.sh"

U=$$
RC_REBOOT=129
RC_OFF=130

# host_has SECONDS: a process "/bin/sleep SECONDS.$U" exists on the host
host_has() { pgrep -f "^/bin/sleep $1\\.$U\$" >/dev/null; }

# down NAME ACTION...: boot lifeline with $CONF, wait for the service
# "main" to run, do ACTION (a shell command; $NSPID is lifeline's host
# PID), then wait up to 30 s for the namespace to end.  Sets RC (wait's
# status of unshare; "timeout" if it did not end), keeps the console log
# in $T/console.NAME.log.
down() {
	_name=$1; shift
	rm -f "$T/control"
	start_ns "$CONF"
	if ! wait_for 10 svc_running main; then
		fail "$_name: service main running before the shutdown"
	fi
	ACTION_RC=0
	eval "$*" || ACTION_RC=$?
	wait_down
	cp "$T/console.log" "$T/console.$_name.log"
}

dump_console() {
	echo "# --- console of the $1 boot ---"
	sed 's/^/# /' "$T/console.$1.log"
}

# --- poweroff through lifelinectl, with a shutdown task and an orphan --------
CONF=$T/lifeline.conf
cat > "$CONF" <<EOC
[lifeline]
stop_timeout = 1s
[service main]
exec = /bin/sh -c '/bin/sleep 1000.$U & exec /bin/sleep 1001.$U'
[service stubborn]
exec = /bin/sh -c 'trap "" TERM; exec /bin/sleep 1003.$U'
[shutdown bye]
exec = /bin/sh -c 'echo shutdown-task-ran; echo ran > $T/bye.ran'
EOC
# act_poweroff: the orphan-to-be is there, then `lifelinectl poweroff`
act_poweroff() {
	wait_for 5 host_has 1000 || fail "the service's background sleep runs before poweroff"
	wait_for 5 svc_running stubborn || fail "stubborn runs before poweroff"
	ctl poweroff > "$T/ctl.out" 2> "$T/ctl.err"
}
f0=$FAILED
rm -f "$T/bye.ran"
down poweroff act_poweroff
C=$T/console.poweroff.log
check "lifelinectl poweroff exits 0 (got $ACTION_RC)" [ "$ACTION_RC" = 0 ]
check "lifelinectl poweroff prints no error" [ ! -s "$T/ctl.err" ]
check "the namespace's init ended within 30 s (unshare status $RC)" [ "$RC" != timeout ]
check "poweroff ends the namespace's init with SIGINT (unshare status $RC = $RC_OFF)" [ "$RC" = "$RC_OFF" ]
check "the shutdown task ran" grep -qx ran "$T/bye.ran"
check "console: shutdown requested, the task's exit, stopping services, SIGTERM to all, sync, powering off (in order)" \
	in_order "$C" '^lifeline: shutdown requested: powering off$' \
	'^lifeline: bye: running shutdown task$' '^lifeline: bye: exited 0 ' \
	'^lifeline: stopping services$' '^lifeline: sending SIGTERM to all processes$' \
	'^lifeline: syncing filesystems$' '^lifeline: powering off$'
check "console: the service was stopped by SIGTERM" grep -q '^lifeline: main: killed by SIGTERM .*stopped' "$C"
check "console: a service ignoring SIGTERM gets SIGKILL after stop_timeout" \
	in_order "$C" '^lifeline: stopping services$' \
	'^lifeline: stubborn: still running 1000ms after SIGTERM; sending SIGKILL$' \
	'^lifeline: stubborn: killed by SIGKILL .*stopped' '^lifeline: sending SIGTERM to all processes$'
check "no process of the test remains (services and the orphan)" sh -c \
	"! pgrep -f '^/bin/sleep 100[013]\\.$U\$' >/dev/null"
check "console: 'powering off' is the last word" [ "$(tail -n 1 "$C")" = "lifeline: powering off" ]
check "console: reboot(2) did not fail" sh -c "! grep -q 'reboot(2) failed' '$C'"
[ "$FAILED" = "$f0" ] || dump_console poweroff

# --- the other ways down, one boot each ----------------------------------
CONF=$T/simple.conf
cat > "$CONF" <<EOC
[service main]
exec = /bin/sleep 1002.$U
EOC

# boot_case NAME ACTION EXPECTED_RC WORD: one boot, brought down by ACTION
boot_case() {
	f0=$FAILED
	down "$1" "$2"
	C=$T/console.$1.log
	check "$1: the action succeeded (status $ACTION_RC)" [ "$ACTION_RC" = 0 ]
	check "$1: the namespace's init ended within 30 s (unshare status $RC)" [ "$RC" != timeout ]
	check "$1: init ended as for $4 (unshare status $RC = $3)" [ "$RC" = "$3" ]
	check "$1: console says 'shutdown requested: $4'" grep -qx "lifeline: shutdown requested: $4" "$C"
	check "$1: console: stopping services, syncing, then '$4'" \
		in_order "$C" '^lifeline: stopping services$' '^lifeline: syncing filesystems$' "^lifeline: $4\$"
	check "$1: '$4' is the last word on the console" [ "$(tail -n 1 "$C")" = "lifeline: $4" ]
	check "$1: no process of the test remains" sh -c "! pgrep -f '^/bin/sleep 1002\\.$U\$' >/dev/null"
	[ "$FAILED" = "$f0" ] || dump_console "$1"
}

boot_case ctl-poweroff 'ctl poweroff' "$RC_OFF" "powering off"
boot_case sigterm 'kill -TERM "$NSPID"' "$RC_REBOOT" rebooting
boot_case sigusr2 'kill -USR2 "$NSPID"' "$RC_OFF" "powering off"
boot_case sigusr1 'kill -USR1 "$NSPID"' "$RC_OFF" halting
boot_case sigint 'kill -INT "$NSPID"' "$RC_REBOOT" rebooting
boot_case ctl-reboot 'ctl reboot' "$RC_REBOOT" rebooting
boot_case ctl-halt 'ctl halt' "$RC_OFF" halting
finish
