#!/bin/sh
# A real OOM kill, told apart from a plain SIGKILL: lifeline runs as a
# subreaper (not PID 1, so the kernel's PIDs are its own); a service moves
# itself into a memory cgroup with a small limit and allocates past it, the kernel's OOM
# killer kills it, and status says "oom-killed" (from the kernel's
# "Killed process PID" record and its oom_kill counter).  Also shows the
# subreaper: orphans of services are re-parented to lifeline.
# san: yes
. "$(dirname "$0")/lib.sh"
rel=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
BASE=/sys/fs/cgroup/memory$rel
CG=$BASE/lifeline-oom-$$
LPID=
oom_cleanup() {
	[ -n "$LPID" ] && kill -KILL "$LPID" 2>/dev/null
	sleep 0.3
	[ -d "$CG" ] && for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -KILL "$p"; done
	sleep 0.3
	[ -d "$CG" ] && rmdir "$CG" 2>/dev/null
}
trap 'oom_cleanup; cleanup' EXIT INT TERM
if ! [ -w "$BASE/cgroup.procs" ] || ! mkdir "$CG"; then
	fail "a memory cgroup for a real OOM kill (cgroup v1 memory controller writable)"
	finish
fi
echo $((64 * 1024 * 1024)) > "$CG/memory.limit_in_bytes"
cat > "$T/lifeline.conf" <<EOC
[service hog]
exec = /bin/sh -c 'echo \$\$ > $CG/cgroup.procs && exec /bin/dd if=/dev/zero of=/dev/null bs=256M count=1'
restart_delay_max = 1s
[service hog2]
exec = /bin/sh -c 'while ! [ -e $T/go ]; do sleep 0.1; done; echo \$\$ > $CG/cgroup.procs && exec /bin/dd if=/dev/zero of=/dev/null bs=256M count=1'
restart = never
[service victim]
exec = /bin/sleep 1001.$$
restart = never
[service parent]
exec = /bin/sh -c '/bin/sleep 1000.$$ & exit 0'
restart = never
EOC
# the hogs move themselves into the cgroup; lifeline stays out of it: the
# kernel's OOM killer, finding the victim it chose already reaped but not
# yet uncharged, takes the next largest in the group, and as a subreaper
# lifeline cannot protect itself here (no CAP_SYS_RESOURCE for a negative
# oom_score_adj; as PID 1 it has -1000 and its own cgroup)
$LIFELINE -c "$T/lifeline.conf" -s "$T/control" > "$T/console.log" 2>&1 &
LPID=$!
wait_for 10 test -S "$T/control" || { fail "lifeline started"; finish; }
check "the hog is OOM-killed and status says so" wait_for 15 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -Eq '^hog .*oom-killed'"
check "status --json marks it oom_killed" sh -c \
	"\"$LIFELINECTL\" -s $T/control status --json | grep -q '\"name\":\"hog\",[^}]*\"oom_killed\":true'"
check "the log names the OOM kill" sh -c "\"$LIFELINECTL\" -s $T/control log | grep -q 'hog: oom-killed after'"
check "and lifeline restarts it" wait_for 10 sh -c \
	"[ \$(\"$LIFELINECTL\" -s $T/control status | awk '\$1 == \"hog\" { print \$6 }') -ge 2 ]"
check "the kernel's log agrees (a memory-cgroup OOM kill of dd)" sh -c \
	"dmesg | grep -q 'Memory cgroup out of memory: Killed process [0-9]* (dd)'"
ctl stop hog >/dev/null
# A kernel log record far over 1024 bytes once the kernel has escaped it
# (900 control characters become 3600 bytes of \xNN), then hog2's OOM
# kill: a reader with a small buffer fails on the first with EINVAL
# (older kernels keep it there for good) and misses the OOM record after
# it (issue #12)
big=$(awk 'BEGIN { printf "lifeline-t_oom: "; for (i = 0; i < 900; i++) printf "%c", 1 }')
printf '%s\n' "$big" > /dev/kmsg
check "a kernel log record of over 2000 bytes is in the log" sh -c \
	"dmesg | grep -a 'lifeline-t_oom: ' | tail -n 1 | awk '{ exit length(\$0) < 2000 }'"
touch "$T/go"
check "an OOM kill right after it is still named (status says oom-killed)" wait_for 15 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -Eq '^hog2 .*(oom-killed|killed by)'"
ctl status | grep '^hog2 ' | sed 's/^/# /'
check "and it is oom-killed, not a plain SIGKILL" sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -Eq '^hog2 .*oom-killed'"
kill -KILL "$(pgrep -f "sleep 1001.$$")"
check "a plain SIGKILL is not called an OOM kill" wait_for 5 sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -Eq '^victim .* killed by SIGKILL *-\$'"
# subreaper: the orphan of 'parent' now has lifeline as its parent
orphan=$(pgrep -f "sleep 1000.$$")
check "an orphan of a service is re-parented to lifeline (subreaper)" \
	[ -n "$orphan" ] && [ "$(awk '/^PPid:/ { print $2 }' /proc/$orphan/status)" = "$LPID" ]
kill -KILL "$orphan" 2>/dev/null
sleep 0.5
check "and reaped by it" sh -c "! ps -o stat= -p $orphan 2>/dev/null | grep -q Z"
ctl status | sed 's/^/# /'
finish
