#!/bin/sh
# OOM: the kernel's real OOM killer and lifeline's attribution of a death
# to it, in a 256 MiB guest with the shipped configuration.
#
# Before the memory guard (issue #5) this test let a session's hog drive
# the whole machine into the kernel's global OOM killer, with a workaround:
# sessions inherited the listeners' -1000.  With the guard on (as shipped)
# a runaway session is the guard's and the limited group's (t_guard_hog),
# and sessions run at 0.  So here the kernel's OOM killer is met where it
# still acts on its own: a service with its own limit.  The test adds a
# conf.d file over SSH and reloads:
#
#     [service oomtest]
#     exec = /usr/bin/hog         (tests/e2e/hog.c: allocates without end)
#     memory_max = 32M            (its group's memory.max)
#
# The kernel kills the hog in its group (a memcg OOM kill), lifeline
# restarts it, again and again with its backoff.
#
# Asserts: the kernel log says "Killed process N (hog)" with the OOM
# constraint of the service's group (lifeline/limited/oomtest); lifeline
# calls the service's death "oom-killed" in `lifelinectl status` and in its
# log ("oomtest: oom-killed after"), and never anything else; status
# --json gives the service's oom_kills (memory.events) > 0 and its
# mem_max (32 MiB); the status counts the kernel's OOM kills; sshd, cron
# and the rescue dropbear were not touched (same PIDs, restarts 0), and
# logins on both ports work.  The time from the kernel's kill to
# lifeline's exit line (both in the kernel log) is printed.  At the end
# the file is removed and a reload stops the service.
. "$(dirname "$0")/lib.sh"
QEMU_MEM=${QEMU_MEM:-256}

has() { printf '%s\n' "$st" | grep -Eq "$1"; }
col() { printf '%s\n' "$st" | awk -v n="$1" -v c="$2" '$1 == n && $2 == "service" { print $c }'; }

boot_system "the OOM service"
sshd_pid=$(gpid "$P22" sshd)
cron_pid=$(gpid "$P22" cron)
drop_pid=$(gpid "$P22" dropbear)
note "before: sshd listener $sshd_pid, cron $cron_pid, rescue dropbear $drop_pid; $(gssh "$P22" free 2>/dev/null | awk '/^Mem:/ { print "MemTotal " $2 " KiB, available " $NF " KiB" }')"
check "oom_score_adj: sshd and the rescue dropbear -1000, cron 0" sh -c \
	"[ \"\$1\" = '-1000 0 -1000' ]" _ "$(gssh "$P22" "cat /proc/$sshd_pid/oom_score_adj /proc/$cron_pid/oom_score_adj /proc/$drop_pid/oom_score_adj" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"

printf '[service oomtest]\nexec = /usr/bin/hog\nmemory_max = 32M\n' |
	gssh "$P22" 'cat > /etc/lifeline/conf.d/oomtest.conf' 2>/dev/null
out=$(gssh "$P22" 'lifelinectl reload' 2>&1)
check "lifelinectl reload takes the conf.d service with memory_max ($out)" \
	sh -c '! printf "%s\n" "$1" | grep -qi error' _ "$out"
oom_seen() {
	st=$(gssh "$P22" lifelinectl status 2>/dev/null)
	has '^oomtest +service .* oom-killed ' && [ "$(col oomtest 6)" -ge 1 ] 2>/dev/null
}
check "status: oomtest restarted, its last exit oom-killed (within 60 s)" wait_for 60 oom_seen

kmsg=$(gssh "$P22" dmesg 2>/dev/null)
llog=$(gssh "$P22" 'lifelinectl log' 2>/dev/null)
json=$(gssh "$P22" lifelinectl status --json 2>/dev/null)
st=$(gssh "$P22" lifelinectl status 2>/dev/null)
printf '%s\n' "$kmsg" | grep -Ei 'out of memory|oom-kill:' | head -n 6 | sed 's/, anon-rss.*oom_score_adj:/, oom_score_adj /; s/^/# kernel: /'
check "the kernel log says \"Killed process N (hog)\" (out of memory)" \
	has_line "$kmsg" '[Oo]ut of memory: Killed process [0-9]+ \(hog\)'
check "the kernel's OOM kill was in the service's group (oom_memcg=/lifeline/limited/oomtest, task=hog)" \
	has_line "$kmsg" 'oom-kill:.*oom_memcg=/lifeline/limited/oomtest,.*task=hog,'
check "lifeline's log: \"oomtest: oom-killed after\"" has_line "$llog" 'lifeline: oomtest: oom-killed after'
check "lifeline's log: oomtest died of nothing but the OOM killer" sh -c \
	"! printf '%s\n' \"\$1\" | grep -E 'lifeline: oomtest: (killed by|exited)' | grep -v 'oom-killed' | grep -q ." _ "$llog"
u=$(printf '%s' "$json" | jq -c '.units[] | select(.name == "oomtest")')
note "status --json oomtest: $u"
check "status --json: oomtest oom_killed true" [ "$(printf '%s' "$u" | jq -r .oom_killed)" = true ]
check "status --json: oomtest oom_kills (memory.events) > 0" \
	[ "$(num "$(printf '%s' "$u" | jq -r .oom_kills)")" -gt 0 ]
check "status --json: oomtest mem_max is 32 MiB" [ "$(printf '%s' "$u" | jq -r .mem_max)" = 33554432 ]
check "status counts the kernel's OOM kills" has '^config .* kernel oom kills [1-9][0-9]*$'

# the others were not touched
check "sshd, cron, rescue dropbear: same PIDs" \
	[ "$(gpid "$P22" sshd) $(gpid "$P22" cron) $(gpid "$P22" dropbear)" = "$sshd_pid $cron_pid $drop_pid" ]
for s in sshd cron rescue-ssh; do
	check "$s running, restarts 0" has "^$s +service +running +[0-9]+ +[^ ]+ +0 "
done
check "login on port 22" login "$P22"
check "login on port 2222" login "$P2222"

# Respawn: the kernel stamps its log with its own clock; lifeline's exit
# line is in the kernel log too, and lifeline logs it after it has started
# the new instance: kill record -> exit line bounds the respawn from above.
times=$(printf '%s\n' "$kmsg" | awk '
	/Killed process [0-9]+ \(hog\)/ && !k { k = $0; sub(/^\[ */, "", k); sub(/\].*/, "", k) }
	/lifeline: oomtest: oom-killed after/ && k && !l { l = $0; sub(/^\[ */, "", l); sub(/\].*/, "", l) }
	END { if (k && l) printf "%d", (l - k) * 1000 }')
note "respawn of oomtest: the kernel killed the hog; lifeline had reaped it, started a new one and logged \"oom-killed\" ${times:-?} ms later (kernel clock)"

gssh "$P22" 'rm /etc/lifeline/conf.d/oomtest.conf && lifelinectl reload' >/dev/null 2>&1
gone() { gssh "$P22" 'pidof hog >/dev/null || echo none' 2>/dev/null | grep -q none; }
check "after removing it and a reload, no hog runs" wait_for 60 gone
printf '%s\n' "$st" | sed 's/^/# /'
finish
