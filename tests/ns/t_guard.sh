#!/bin/sh
# The early OOM killer's kill path, with lifeline as PID 1 of a PID
# namespace.  The machine here has plenty of memory, so the thresholds are
# set where MemAvailable is always below them (100% of MemTotal); what is
# tested is the choice and the kill, not the trigger (tests/unit/t_guard.c
# covers the thresholds, tests/e2e/t_guard_* the real exhaustion):
#  - the largest unprotected process (a 64 MiB hog) is killed, logged with
#    its name, PID, size and reason, restarted by lifeline, and shown as
#    oom-killed;
#  - a protected service's listener is never killed, though it is there
#    the whole time; a process on the never_kill list neither;
#  - the listener keeps answering (the sessions it forked are unprotected,
#    and the guard may take them);
#  - status reports the kills, and the cgroup layer as off: a container's
#    cgroups are its host's business.
# san: yes
. "$(dirname "$0")/lib.sh"
make_keys
cc -O1 -o "$T/hog" tests/e2e/hog.c || { fail "hog compiles"; finish; }
cat > "$T/lifeline.conf" <<EOC
[memory]
mem_min_percent = 100
mem_min_size = 1T
swap_min_percent = 100
psi = no
never_kill = sleep
[boot lo]
exec = /sbin/ip link set lo up
[service rescue-ssh]
exec = /usr/sbin/dropbear -F -E -s -j -k -p 127.0.0.1:2222 -r $T/dropbear_key
early = yes
protect = yes
[service hog]
exec = $T/hog -s 64
[service spare]
exec = /bin/sleep 1000
EOC
start_ns
drop=
wait_for 15 svc_running rescue-ssh && drop=$(svc_pid rescue-ssh)
check "the guard kills the hog, the largest unprotected process" wait_for 20 sh -c \
	"\"$LIFELINECTL\" -s $T/control log | grep -Eq 'memory guard: killed hog \(pid [0-9]+, '"
line=$(ctl log | grep -E 'memory guard: killed hog' | head -n 1)
note "$line"
check "the kill is logged with its size and reason" sh -c \
	"echo '$line' | grep -Eq 'RSS [0-9]+ MiB.*MemAvailable'"
check "lifeline restarts the hog and sees it killed again" wait_for 30 sh -c \
	"[ \$(\"$LIFELINECTL\" -s $T/control status | awk '\$1 == \"hog\" { print \$6 }') -ge 2 ]"
check "status calls the hog oom-killed (the guard killed it)" sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -Eq '^hog +service .*oom-killed'"
check "the protected listener was never killed" sh -c \
	"[ -n '$drop' ] && [ \"\$(\"$LIFELINECTL\" -s $T/control status | awk '\$1 == \"rescue-ssh\" { print \$4 }')\" = '$drop' ]"
check "the process on the never_kill list was never killed" sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -Eq '^spare +service +running .* 0 +'"
check "no kill named anything but the hog" sh -c \
	"! \"$LIFELINECTL\" -s $T/control log | grep 'memory guard: killed' | grep -qv 'killed hog '"
check "the protected rescue port still accepts connections" \
	nsenter -t "$NSPID" -n -- timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/2222'
check "and the listener is still the same process" sh -c \
	"[ \"\$(\"$LIFELINECTL\" -s $T/control status | awk '\$1 == \"rescue-ssh\" { print \$4 }')\" = '$drop' ]"
ctl status > "$T/st"
ctl status --json > "$T/js"
check "status counts the kills" grep -Eq '^memory: .*kills [1-9]' "$T/st"
check "status says the cgroup layer is off in a namespace" \
	grep -q "^cgroups: off (not the machine's init)" "$T/st"
check "status --json has the guard's figures" sh -c \
	"grep -q '\"guard\":true' '$T/js' && grep -Eq '\"kills\":[1-9]' '$T/js'"
check "lifeline is still PID 1 of the namespace" kill -0 "$NSPID"
finish
