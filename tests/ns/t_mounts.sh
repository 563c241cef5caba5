#!/bin/sh
# As PID 1, lifeline mounts what is missing and leaves alone what is there.
# First boot: the namespace starts with /proc, /sys, /dev, /dev/pts and /run
# all unmounted (lazily, before lifeline starts): lifeline mounts proc,
# sysfs, devtmpfs, devpts, tmpfs and cgroup2.  Second boot: everything is
# there already (/run as a tmpfs of our own) and lifeline mounts nothing.
# san: yes
. "$(dirname "$0")/lib.sh"
cat > "$T/lifeline.conf" <<EOC
[service s]
exec = /bin/sleep 1000
EOC
cat > "$T/ns-init.sh" <<EOC
umount -R -l /sys 2>/dev/null
umount -R -l /dev 2>/dev/null
while umount -l /run 2>/dev/null; do :; done
umount -R -l /proc 2>/dev/null
exec $LIFELINE -c $T/lifeline.conf -s $T/control.sock
EOC
# the socket lives outside /run, which lifeline itself mounts
unshare --pid --fork --mount --net --propagation private \
	sh "$T/ns-init.sh" > "$T/console.log" 2>&1 &
UNSHARE_PID=$!
wait_for 5 sh -c "pgrep -P $UNSHARE_PID >/dev/null"
NSPID=$(pgrep -P "$UNSHARE_PID")
wait_for 10 test -S "$T/control.sock"
# mount point and type, from the namespace's mountinfo
awk '{ for (i = 1; i <= NF; i++) if ($i == "-") print $5, $(i + 1) }' \
	/proc/$NSPID/mountinfo > "$T/mounts"
for m in "/proc proc" "/sys sysfs" "/dev devtmpfs" "/dev/pts devpts" "/run tmpfs" \
	 "/sys/fs/cgroup cgroup2"; do
	set -- $m
	check "a missing $1 is mounted ($2)" grep -qx "$1 $2" "$T/mounts"
	check "and the console says so" grep -q "^lifeline: mounted $1 ($2)\$" "$T/console.log"
done
check "services start on the mounted system" wait_for 5 sh -c \
	"\"$LIFELINECTL\" -s $T/control.sock status | grep -Eq '^s +service +running'"
check "status reads /proc (faults and locked memory are known)" sh -c \
	"\"$LIFELINECTL\" -s $T/control.sock status | grep -Eq 'locked [0-9]+K +rss [0-9]+K +faults [0-9]+/'"
kill -KILL "$NSPID"
wait "$UNSHARE_PID" 2>/dev/null

# second boot: everything mounted already
cat > "$T/ns-init.sh" <<EOC
mount -t tmpfs -o mode=0755 tmpfs /run
exec $LIFELINE -c $T/lifeline.conf -s $T/control.sock
EOC
rm -f "$T/control.sock"
unshare --pid --fork --mount --net --mount-proc --propagation private \
	sh "$T/ns-init.sh" > "$T/console.log" 2>&1 &
UNSHARE_PID=$!
wait_for 5 sh -c "pgrep -P $UNSHARE_PID >/dev/null"
NSPID=$(pgrep -P "$UNSHARE_PID")
wait_for 10 test -S "$T/control.sock"
check "what is mounted already is left alone" sh -c "! grep -q '^lifeline: mounted' $T/console.log"
check "and the service runs" wait_for 5 sh -c \
	"\"$LIFELINECTL\" -s $T/control.sock status | grep -Eq '^s +service +running'"
finish
