#!/bin/sh
# Shutdown with a service that cannot die (issue #12): its process is
# frozen (the cgroup v1 freezer: a frozen task keeps a SIGKILL pending
# until it is thawed, as a task stuck in D state on a dead disk never
# returns to take it).  lifeline sends SIGTERM, SIGKILL after
# stop_timeout, and 5 s later goes down without it, saying so; before,
# it waited for it for ever while the watchdog was still petted.
# san: yes
. "$(dirname "$0")/lib.sh"

U=$$
FRZ=/sys/fs/cgroup/freezer/lifeline-stuck-$U
stuck_cleanup() {
	if [ -d "$FRZ" ]; then
		echo THAWED > "$FRZ/freezer.state" 2>/dev/null
		for p in $(cat "$FRZ/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		sleep 0.3
		rmdir "$FRZ" 2>/dev/null
	fi
	cleanup
}
trap stuck_cleanup EXIT INT TERM
if ! mkdir "$FRZ" 2>/dev/null; then
	fail "a cgroup v1 freezer group (/sys/fs/cgroup/freezer writable)"
	finish
fi
cat > "$T/lifeline.conf" <<EOC
[lifeline]
stop_timeout = 1s
[service stuck]
exec = /bin/sleep 1000.$U
[service fine]
exec = /bin/sleep 1001.$U
EOC
start_ns
check "the stuck service runs" wait_for 10 svc_running stuck
check "the other one too" wait_for 10 svc_running fine
sp=$(pgrep -f "^/bin/sleep 1000\\.$U\$")
echo "$sp" > "$FRZ/cgroup.procs"
echo FROZEN > "$FRZ/freezer.state"
check "the stuck service's process is frozen" wait_for 5 grep -q FROZEN "$FRZ/freezer.state"
t0=$(date +%s)
ctl poweroff > /dev/null 2>&1
# stop_timeout 1 s + 5 s, then the final steps (their own bound: 20 s);
# reboot(2) is the end of lifeline's part.  (In a PID namespace the
# namespace itself then waits for the frozen task: the kernel's business.)
check "lifeline went on to reboot(2) (\"powering off\") within 40 s" \
	wait_for 40 grep -q "lifeline: powering off" "$T/console.log"
t1=$(date +%s)
note "poweroff to reboot(2): $((t1 - t0)) s"
sed 's/^/# console: /' "$T/console.log" | tail -n 10
check "the console names the process that would not die" \
	grep -q "stuck (pid [0-9]*) still there 5000ms after SIGKILL (stuck in the kernel?): going down without it" "$T/console.log"
check "the rest of the shutdown ran (sync)" grep -q "syncing filesystems" "$T/console.log"
finish
