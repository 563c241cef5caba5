#!/bin/sh
# What a service gets: its user, group (and the user's other groups),
# working directory, environment, nice value and oom_score_adj; stdin on
# /dev/null; its own session.  And the restart policies: always,
# on-failure, never.
# san: yes
. "$(dirname "$0")/lib.sh"
cat > "$T/lifeline.conf" <<EOC
[service who]
exec = /bin/sh -c 'echo "uid=\$(id -u) gid=\$(id -g) groups=\$(id -G) cwd=\$(pwd) foo=\$FOO path=\$PATH home=\$HOME user=\$USER nice=\$(cut -d" " -f19 /proc/self/stat) oom=\$(cat /proc/self/oom_score_adj) sid=\$(cut -d" " -f6 /proc/self/stat) pid=\$\$"; ls -l /proc/self/fd/0; exec /bin/sleep 1000'
user = nobody
group = nogroup
cwd = /tmp
env = FOO=bar baz
env = HOME=/nonexistent-home
nice = 5
oom_score_adj = 500
[service ok-once]
exec = /bin/true
restart = on-failure
[service fails]
exec = /bin/sh -c 'exit 3'
restart = on-failure
restart_delay_max = 100ms
[service never]
exec = /bin/sh -c 'exit 4'
restart = never
EOC
start_ns
wait_for 5 svc_running who
sleep 1
log=$(ctl log)
line=$(echo "$log" | grep 'who: uid=')
note "$line"
nobody_uid=$(id -u nobody) nogroup_gid=$(getent group nogroup | cut -d: -f3)
check "runs as the configured user" sh -c "echo '$line' | grep -q 'uid=$nobody_uid '"
check "runs with the configured group" sh -c "echo '$line' | grep -q 'gid=$nogroup_gid '"
check "and no other groups of root's" sh -c "echo '$line' | grep -q 'groups=$nogroup_gid cwd'"
check "in the configured directory" sh -c "echo '$line' | grep -q 'cwd=/tmp '"
check "with its env entries, spaces kept" sh -c "echo '$line' | grep -q 'foo=bar baz '"
check "an env entry overrides the default (HOME)" sh -c "echo '$line' | grep -q 'home=/nonexistent-home '"
check "with a default PATH and USER" sh -c "echo '$line' | grep -q 'path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin home=.* user=nobody '"
check "at the configured nice value" sh -c "echo '$line' | grep -q 'nice=5 '"
check "with the configured oom_score_adj" sh -c "echo '$line' | grep -q 'oom=500 '"
check "in a session of its own" sh -c "echo '$line' | sed 's/.*sid=\([0-9]*\) pid=\([0-9]*\).*/\1 \2/' | awk '{ exit \$1 != \$2 }'"
check "stdin is /dev/null" sh -c "echo \"\$1\" | grep 'who: ' | grep -q -- '-> /dev/null'" x "$log"
sleep 1
check "on-failure: a clean exit is not restarted" sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -Eq '^ok-once +service +down +- +- +0 .*  exited 0'"
check "on-failure: a failure is restarted" sh -c \
	"[ \$(\"$LIFELINECTL\" -s $T/control status | awk '\$1 == \"fails\" { print \$6 }') -ge 2 ]"
check "never: not restarted even after a failure" sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -Eq '^never +service +down +- +- +0 .*  exited 4'"
check "the log says why it is not restarted" sh -c "echo \"\$1\" | grep -q 'never: exited 4 after .*; not restarting'" x "$log"
finish
