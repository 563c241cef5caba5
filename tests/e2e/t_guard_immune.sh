#!/bin/sh
# Memory guard: an immune hog harms nobody else.  A 256 MiB guest with the
# shipped config; in an SSH session a hog sets its own oom_score_adj to
# -1000 (the kernel's OOM killer can never take it) and allocates without
# end.  The sessions have a limit of their own (lifeline/limited/sessions,
# inside the shared one): the hog reaches its high mark, the kernel counts
# it in memory.events, and lifeline's guard kills the hog within 2 s of
# that, before the kernel's cgroup OOM killer takes any other process.
#
# Asserts: the guard killed the hog (its log line); the time from the
# first "high" count of the sessions' group (a tracer in the guest's root
# cgroup, so no limit slows it, samples memory.events every 50 ms) to the
# guard's kill (kernel log) is at most 2 s; the kernel killed no process
# at all; cron, sshd and the rescue dropbear keep their PIDs and no
# service restarted; new logins on both ports within 10 s of the
# allocation's start (hog_run).
. "$(dirname "$0")/lib.sh"
export QEMU_MEM=256

boot_system "the immune hog"
listeners_init
cron_pid=$(gpid "$P22" cron)
check "found the listeners ($sshd_pid, $drop_pid) and cron ($cron_pid)" \
	[ -n "$sshd_pid" -a -n "$drop_pid" -a -n "$cron_pid" ]
note "limits: $(gjson "$P22" '.cgroups | {memtotal, reserve, limit, sessions_limit, sessions_high}' | tr -d '\n ')"

# the tracer: leaves every lifeline group for the root cgroup, then prints
# the uptime (ms) at each change of the sessions' "high" count
gssh "$P22" 'cat > /tmp/trace.sh' 2>/dev/null <<'EOS'
echo $$ > /sys/fs/cgroup/cgroup.procs
f=/sys/fs/cgroup/lifeline/limited/sessions/memory.events
last=
while :; do
	while read -r k v; do [ "$k" = high ] && break; done < "$f"
	if [ "$v" != "$last" ]; then
		read -r up _ < /proc/uptime
		echo "${up%.*}${up#*.}0 $v"
		last=$v
	fi
	sleep 0.05
done
EOS
gssh "$P22" 'sh /tmp/trace.sh > /tmp/trace 2>/dev/null < /dev/null & echo $! > /tmp/trace.pid' 2>/dev/null
sleep 1

hog_run "hog -a -1000" -a -1000
check "lifeline's guard killed the -1000 hog (\"memory guard: killed hog\")" [ "${GUARD_KILLS:-0}" -ge 1 ]

gssh "$P22" 'kill $(cat /tmp/trace.pid)' 2>/dev/null
trace=$(gssh "$P22" 'cat /tmp/trace' 2>/dev/null)
kmsg=$(gssh "$P22" dmesg 2>/dev/null)
# first change of the count after the first line (the count before the hog)
t_high=$(printf '%s\n' "$trace" | awk 'NR == 1 { base = $2; next } $2 > base { print $1; exit }')
t_kill=$(printf '%s\n' "$kmsg" | sed -n 's/^\[ *\([0-9]*\)\.\([0-9]\{3\}\).*memory guard: killed hog .*/\1\2/p' | head -n 1)
note "sessions' high count: $(printf '%s\n' "$trace" | head -n 3 | tr '\n' ';') ... ; first rise at ${t_high:-?} ms, guard kill at ${t_kill:-?} ms (uptime)"
lag=
[ -n "$t_high" ] && [ -n "$t_kill" ] && lag=$(( t_kill - t_high ))
check "the guard killed the hog within 2 s of the sessions' group reaching its high mark (${lag:-unknown} ms)" \
	within "${lag:-x}" 2000
others=$(printf '%s\n' "$kmsg" | grep -E 'Killed process [0-9]+ \(' | grep -v '(hog)')
check "the kernel's OOM killer took no other process" [ -z "$others" ]
[ -z "$others" ] || printf '%s\n' "$others" | sed 's/^/# kernel: /'
check "cron kept its PID ($cron_pid)" [ "$(gpid "$P22" cron)" = "$cron_pid" ]
json=$(gssh "$P22" lifelinectl status --json 2>/dev/null)
r=$(printf '%s' "$json" | jq -r '[.units[] | select(.kind == "service") | .restarts] | add')
check "no service restarted (restarts in all: $r)" [ "$r" = 0 ]
printf '%s\n' "$kmsg" | grep -E 'memory guard|Memory cgroup|Killed process' | tail -n 20 | sed 's/^/# log: /'
finish
