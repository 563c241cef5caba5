#!/bin/sh
# One event loop, nothing polled: with sshd, cron and dropbear running and
# nothing happening, PID 1 is not woken once in 30 s (context switches in
# /proc/PID/status do not change).
# san: no
. "$(dirname "$0")/lib.sh"
SECS=${IDLE_SECS:-30}
boot_standard
sleep 2         # let start-up output drain
cs() { awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { n += $2 } END { print n }' /proc/$NSPID/status; }
c0=$(cs)
sleep "$SECS"
c1=$(cs)
note "context switches of PID 1: $c0 -> $c1 over $SECS s"
check "idle PID 1 woke up 0 times in $SECS s ($((c1 - c0)) context switches)" [ "$c1" = "$c0" ]
check "and it still answers afterwards" svc_running sshd
finish
