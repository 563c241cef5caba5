#!/bin/sh
# PID 1 lives in locked memory: across 1000 kill-and-respawn cycles its
# minor and major page-fault counts (/proc/PID/stat) do not grow, and
# VmLck covers its whole resident set.
# san: no (the sanitizer build does not lock memory)
. "$(dirname "$0")/lib.sh"
CYCLES=${CYCLES:-1000}
cat > "$T/lifeline.conf" <<EOC
[lifeline]
stable_after = 100ms    # the minimum: up this long, a restart is immediate
[service victim]
exec = /bin/sleep 1000
EOC
start_ns
wait_for 5 svc_running victim
sleep 0.5
min0=$(stat_field "$NSPID" 10) maj0=$(stat_field "$NSPID" 12)
i=0 old= end=$(( $(date +%s) + 400 ))
while [ $i -lt "$CYCLES" ] && [ "$(date +%s)" -lt $end ]; do
	p=$(pgrep -P "$NSPID" -x sleep)
	if [ -n "$p" ] && [ "$p" != "$old" ]; then
		sleep 0.11      # past stable_after, so the restart is immediate
		kill -KILL "$p"
		old=$p
		i=$((i + 1))
	fi
done
wait_for 5 sh -c "p=\$(pgrep -P $NSPID -x sleep); [ -n \"\$p\" ] && [ \"\$p\" != $old ]"
min1=$(stat_field "$NSPID" 10) maj1=$(stat_field "$NSPID" 12)
note "faults before: minor $min0 major $maj0; after $i respawns: minor $min1 major $maj1"
check "$CYCLES kill-and-respawn cycles done ($i)" [ "$i" = "$CYCLES" ]
check "minor page faults of PID 1 did not grow ($min0 -> $min1)" [ "$min1" = "$min0" ]
check "major page faults of PID 1 did not grow ($maj0 -> $maj1)" [ "$maj1" = "$maj0" ]
r=$(ctl status | awk '$1 == "victim" { print $6 }')
check "status counts the restarts ($r)" [ "$r" = "$CYCLES" ]
lck=$(awk '/^VmLck:/ { print $2 }' /proc/$NSPID/status)
rss=$(awk '/^VmRSS:/ { print $2 }' /proc/$NSPID/status)
note "VmLck ${lck} kB, VmRSS ${rss} kB"
# the vDSO is mapped by the kernel and cannot be locked; everything else is
vdso=$(awk '/\[vdso\]/ { f = 1 } f && /^Rss:/ { print $2; exit }' /proc/$NSPID/smaps)
check "all of PID 1's resident memory but the vDSO is locked (VmLck $lck kB, VmRSS $rss kB, vDSO ${vdso:-0} kB)" [ "$lck" -ge $((rss - ${vdso:-0})) ]
finish
