#!/bin/sh
# Orphans re-parented to PID 1 are reaped: services and a boot task
# double-fork, the grandchildren exit, and no zombie is left.
# san: yes
. "$(dirname "$0")/lib.sh"
cat > "$T/lifeline.conf" <<EOC
[boot orphan-maker]
exec = /bin/sh -c 'for i in 1 2 3 4 5; do ( /bin/sleep 0.3 & ); done'
[service forker]
exec = /bin/sh -c 'i=0; while [ \$i -lt 20 ]; do ( /bin/sleep 0.\$i & ); i=\$((i+1)); done; exec /bin/sleep 1000'
EOC
start_ns
wait_for 5 svc_running forker
# the orphans were re-parented to PID 1 while they slept
check "orphans were re-parented to PID 1" sh -c "[ \$(pgrep -P $NSPID -x sleep | wc -l) -gt 1 ]"
sleep 3
zombies() { ps -e -o pid=,ppid=,stat=,comm= | awk -v p="$NSPID" '$2 == p && $3 ~ /^Z/'; }
z=$(zombies)
check "no zombies left under PID 1 after orphans exit" [ -z "$z" ]
[ -n "$z" ] && echo "$z" | sed 's/^/# zombie: /'
check "the service itself is still supervised" svc_running forker
# zombies whose parent dies are re-parented to PID 1 and reaped there
cat > "$T/lifeline.conf" <<EOC
[service tree]
exec = /bin/sh -c '/bin/sleep 0.2 & /bin/sleep 0.3 & exec /bin/sleep 1000'
EOC
ctl reload >/dev/null
wait_for 5 svc_running tree
main=$(pgrep -P "$NSPID" -f 'sleep 1000')
sleep 1         # the two short sleeps are now zombies of the service
dead=$(ps -e -o pid=,ppid=,stat= | awk -v p="$main" '$2 == p && $3 ~ /^Z/ { print $1 }')
check "the service left zombies of its own (not PID 1's yet)" [ "$(echo $dead | wc -w)" = 2 ]
kill -KILL "$main"
sleep 1
left=
for z in $dead; do [ -e /proc/$z ] && left="$left $z"; done
check "zombies inherited from a killed service are reaped by PID 1" [ -z "$left" ]
check "no zombies under PID 1" [ -z "$(zombies)" ]
finish
