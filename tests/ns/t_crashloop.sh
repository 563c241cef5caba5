#!/bin/sh
# A service that exits at once is restarted forever with a growing delay,
# and costs PID 1 almost no CPU: measured over 30 s from /proc/PID/stat.
# A protected service (an access service) backs off 2 s at most by
# default: fixed after a long crash loop, it is back within seconds.
# san: no (CPU time of the sanitizer build is not what is promised)
. "$(dirname "$0")/lib.sh"
SECS=${CRASH_SECS:-30}
cat > "$T/lifeline.conf" <<EOC
[service crasher]
exec = /bin/false
[service capped]
exec = /bin/sh -c 'exit 7'
restart_delay_max = 1s
[service steady]
exec = /bin/sh -c 'sleep 1.2; exit 3'
stable_after = 1s
[service access]
exec = /bin/sh -c '[ -e $T/fixed ] || exit 1; exec sleep 1000'
protect = yes
EOC
start_ns
wait_for 5 sh -c "\"$LIFELINECTL\" -s $T/control status | grep -q '^crasher .*exited 1'"
hz=$(getconf CLK_TCK)
t0=$(( $(stat_field "$NSPID" 14) + $(stat_field "$NSPID" 15) ))
sleep "$SECS"
t1=$(( $(stat_field "$NSPID" 14) + $(stat_field "$NSPID" 15) ))
ticks=$((t1 - t0))
cpu_ms=$((ticks * 1000 / hz))
note "PID 1 used ${cpu_ms} ms of CPU in ${SECS} s of two crash-looping services"
# "almost no CPU": under 1% of the wall time
check "crash loop costs PID 1 under 1% CPU (${cpu_ms} ms in ${SECS} s)" \
	[ "$cpu_ms" -lt $((SECS * 10)) ]
log=$(ctl log)
for d in 0ms 100ms 200ms 400ms 800ms 1600ms 3200ms; do
	check "crasher restarted after a ${d} delay" sh -c "echo \"\$1\" | grep -q 'crasher: exited 1 after .*restarting in $d\$'" x "$log"
done
maxd=$(echo "$log" | sed -n 's/.*capped: exited 7 .*restarting in \([0-9]*\)ms$/\1/p' | sort -n | tail -n 1)
check "the delay is capped at restart_delay_max (largest: ${maxd}ms)" [ "$maxd" = 1000 ]
check "the backoff resets once a service stayed up for stable_after" sh -c \
	"echo \"\$1\" | grep -c 'steady: exited 3 .*restarting in 0ms' | grep -qv '^[01]\$' && ! echo \"\$1\" | grep -q 'steady: exited 3 .*restarting in [1-9]'" x "$log"
maxa=$(echo "$log" | sed -n 's/.*access: exited 1 .*restarting in \([0-9]*\)ms$/\1/p' | sort -n | tail -n 1)
check "a protected service backs off 2 s at most by default (largest: ${maxa}ms)" [ "$maxa" = 2000 ]
touch "$T/fixed"
t0=$(date +%s%N)
wait_for 10 svc_running access
back=$(( ($(date +%s%N) - t0) / 1000000 ))
check "fixed after a ${SECS} s crash loop, the protected service runs within 4 s (${back} ms)" \
	[ "$back" -le 4000 ]
r=$(ctl status | awk '$1 == "capped" { print $6 }')
check "capped kept restarting: $r restarts in ${SECS} s (>= $((SECS - 5)))" [ "${r:-0}" -ge $((SECS - 5)) ]
check "crasher is still scheduled, never given up" sh -c "\"$LIFELINECTL\" -s $T/control status | grep -Eq '^crasher .*(backoff|running)'"
ctl status | sed 's/^/# /'
finish
