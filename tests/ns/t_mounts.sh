#!/bin/sh
# As PID 1, lifeline mounts what is missing and leaves alone what is there:
# the namespace starts without /run and /dev/pts mounted (lazily unmounted
# before lifeline starts) and with /proc already mounted.
# san: yes
. "$(dirname "$0")/lib.sh"
cat > "$T/lifeline.conf" <<EOC
[service s]
exec = /bin/sleep 1000
EOC
cat > "$T/ns-init.sh" <<EOC
# mounts may be stacked: take them all away
while umount -l /run 2>/dev/null; do :; done
while umount -l /dev/pts 2>/dev/null; do :; done
exec $LIFELINE -c $T/lifeline.conf -s $T/control.sock
EOC
# the socket lives outside /run, which lifeline itself mounts
unshare --pid --fork --mount --net --mount-proc --propagation private \
	sh "$T/ns-init.sh" > "$T/console.log" 2>&1 &
UNSHARE_PID=$!
wait_for 5 sh -c "pgrep -P $UNSHARE_PID >/dev/null"
NSPID=$(pgrep -P "$UNSHARE_PID")
wait_for 10 test -S "$T/control.sock"
mi=/proc/$NSPID/mountinfo
check "a missing /run is mounted (tmpfs)" sh -c "awk '\$5 == \"/run\"' $mi | grep -q ' - tmpfs '"
check "a missing /dev/pts is mounted (devpts)" sh -c "awk '\$5 == \"/dev/pts\"' $mi | grep -q ' - devpts '"
check "the console says so" sh -c "grep -q 'mounted /run (tmpfs)' $T/console.log && grep -q 'mounted /dev/pts (devpts)' $T/console.log"
check "/proc, /sys, /dev, already mounted, are left alone" sh -c \
	"! grep -Eq 'mounted /(proc|sys|dev) ' $T/console.log"
check "nothing else was mounted" sh -c "[ \$(grep -c '^lifeline: mounted' $T/console.log) = 2 ]"
check "and the service runs" sh -c "\"$LIFELINECTL\" -s $T/control.sock status | grep -Eq '^s +service +running'"
finish
