#!/bin/sh
# Fork failures are injected with a pids cgroup limit on PID 1: the service
# waits in spawn-retry (not counted as a crash, logged once), and comes
# back by itself when forks work again.
# san: yes
. "$(dirname "$0")/lib.sh"
cat > "$T/lifeline.conf" <<EOC
[lifeline]
spawn_retry = 500ms
[service sleeper]
exec = /bin/sleep 1000
EOC
start_ns
wait_for 5 svc_running sleeper

# a pids cgroup for PID 1 alone: v1 hierarchy or cgroup2
CG=
if [ -w /sys/fs/cgroup/pids/cgroup.procs ]; then
	CG=/sys/fs/cgroup/pids/lifeline-test-$$
	CGROOT=/sys/fs/cgroup/pids
elif grep -qw pids /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	echo +pids > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
	CG=/sys/fs/cgroup/lifeline-test-$$
	CGROOT=/sys/fs/cgroup
fi
cg_cleanup() {
	[ -n "$CG" ] && [ -d "$CG" ] || return 0
	echo max > "$CG/pids.max" 2>/dev/null
	for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do
		echo "$p" > "$CGROOT/cgroup.procs" 2>/dev/null
	done
	rmdir "$CG" 2>/dev/null
}
trap 'cg_cleanup; cleanup' EXIT INT TERM
if [ -z "$CG" ] || ! mkdir "$CG"; then
	fail "a pids cgroup to inject fork failures (none writable here)"
	finish
fi
echo "$NSPID" > "$CG/cgroup.procs"
echo 1 > "$CG/pids.max"          # PID 1 itself: no fork can succeed

old=$(child_pid sleep)
kill -KILL "$old"
check "the service waits in spawn-retry while fork fails" wait_for 5 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -E '^sleeper +service +spawn-retry .*fork failed'"
sleep 2         # several retries
n=$(ctl log | grep -c 'sleeper: cannot start: fork')
check "the fork failure is logged once, not per retry (logged $n times)" [ "$n" = 1 ]
r=$(ctl status | awk '$1 == "sleeper" { print $6 }')
check "failed forks do not count as crashes (restarts $r = 1)" [ "$r" = 1 ]
check "status --json carries the spawn error" sh -c \
	"\"$LIFELINECTL\" -s $T/control status --json | grep -q '\"spawn_error\":\"fork: '"

echo max > "$CG/pids.max"
check "the service is back once forks work" wait_for 5 svc_running sleeper
check "the recovery is logged" sh -c "\"$LIFELINECTL\" -s $T/control log | grep -q 'sleeper: started after [0-9]* failed attempts'"
check "no process was lost: the new sleeper differs from the killed one" \
	[ "$(child_pid sleep)" != "$old" ]
ctl status | sed 's/^/# /'
finish
