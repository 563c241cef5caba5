#!/bin/sh
# Memory guard: a fork bomb in an sshd session (`hog -f`: every process
# forks without end and never exits; a failed fork is retried after 1 s,
# as bash's first "fork: retry" does), in the system image with the
# shipped configuration.
#
# Asserts: the bomb's session group (lifeline/limited/sessions/...) has a
# pids.max (not "max"), the bomb reaches it (pids.events "max" > 0) and
# never passes it; while the bomb runs, logins on both ports succeed (60 s
# bound, the times are printed: a thousand processes retrying fork take
# most of the guest's two CPUs under TCG, and pids.max limits processes,
# not CPU) and commands in them can fork; lifeline itself can still fork:
# killing cron starts a new one.
# The bomb is then killed through its group's cgroup.kill; logins on both
# ports work after, and the listeners kept their PIDs throughout.
. "$(dirname "$0")/lib.sh"

boot_system "the fork bomb"
listeners_init
cron0=$(gpid "$P22" cron)

out=$(gssh "$P22" 'hog -f </dev/null >/dev/null 2>&1 & echo "pid $!"; echo "cg $(cat /proc/$!/cgroup)"' 2>/dev/null)
bomb=$(printf '%s\n' "$out" | sed -n 's/^pid //p')
cg=$(printf '%s\n' "$out" | sed -n 's/^cg 0:://p')
check "the bomb ($bomb) runs in a session group under lifeline/limited/sessions/ ($cg)" \
	has_line "$cg" '^/lifeline/limited/sessions/[0-9]+$'
G=/sys/fs/cgroup$cg
pmax=$(gssh "$P22" "cat $G/pids.max" 2>/dev/null)
check "the session group has a pids.max (got: ${pmax:-none})" has_line "${pmax:-}" '^[0-9]+$'
t0=$(now_ms)
maxed() { gssh "$P22" "cat $G/pids.events" 2>/dev/null | awk '$1 == "max" && $2 > 0 { ok = 1 } END { exit !ok }'; }
check "the bomb reaches pids.max (pids.events: max > 0) within 120 s" wait_for 120 maxed
note "pids.max reached $(( $(now_ms) - t0 )) ms after the bomb's start (as seen from the host)"

# while it runs
n=$(gssh "$P22" "cat $G/pids.current; pidof hog | wc -w; cat $G/pids.events" 2>/dev/null | tr '\n' ' ')
note "during: pids.current, hog processes, pids.events: $n"
set -- $n
check "during: the group holds no more than pids.max ($pmax) tasks (${1:-none})" within "${1:-}" "${pmax:-0}"
t=$(now_ms)
ms22=$(login_by "$P22" "$t" 60)
check "during: a login on port 22 (${ms22:-none in 60 s} ms)" [ -n "$ms22" ]
t=$(now_ms)
ms2222=$(login_by "$P2222" "$t" 60)
check "during: a login on port 2222 (${ms2222:-none in 60 s} ms)" [ -n "$ms2222" ]
forks() { [ "$(gssh "$1" 'echo $(echo forked)' 2>/dev/null)" = forked ]; }
check "during: a command in a new session on port 22 can fork" wait_for 60 forks "$P22"
check "during: a command in a new session on port 2222 can fork" wait_for 60 forks "$P2222"
gssh "$P22" "kill $cron0" 2>/dev/null
new_cron() { c=$(gpid "$P22" cron); [ -n "$c" ] && [ "$c" != "$cron0" ]; }
check "during: lifeline restarts a killed cron (PID 1 can fork)" wait_for 60 new_cron
n=$(gssh "$P22" "cat $G/pids.current $G/pids.events" 2>/dev/null | tr '\n' ' ')
note "still during: pids.current, pids.events: $n"
set -- $n
check "during: still no more than pids.max ($pmax) tasks (${1:-none})" within "${1:-}" "${pmax:-0}"

# the end of it
gssh "$P22" "echo 1 > $G/cgroup.kill" 2>/dev/null
gone() { gssh "$P22" 'pidof hog >/dev/null || echo none' 2>/dev/null | grep -q none; }
check "the bomb is gone after cgroup.kill (within 60 s)" wait_for 60 gone
check "after: login on port 22" wait_for 30 login "$P22"
check "after: login on port 2222" wait_for 30 login "$P2222"
check "the sshd listener and the rescue dropbear kept their PIDs" \
	[ "$(listeners)" = "$sshd_pid $drop_pid" ]
st=$(gssh "$P22" lifelinectl status 2>/dev/null)
for s in sshd rescue-ssh; do
	check "$s: restarts 0" has_line "$st" "^$s +service +running +[0-9]+ +[^ ]+ +0 "
done
printf '%s\n' "$st" | sed 's/^/# /'
finish
