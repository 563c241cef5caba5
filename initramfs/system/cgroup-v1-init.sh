#!/bin/sh
# rdinit= of the e2e test without cgroup2 (tests/e2e/t_guard_nocgroup.sh):
# a legacy layout, as an old or hybrid system has it, before lifeline
# starts.  A tmpfs on /sys/fs/cgroup with cgroup v1 hierarchies for the
# memory and pids controllers: /sys/fs/cgroup is not a cgroup2 mount, and
# since a controller serves one hierarchy only, neither controller can be
# had through cgroup2 anywhere.  Then lifeline, as PID 1 (exec keeps it).
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=0755,nosuid,nodev,noexec cgroup /sys/fs/cgroup
for c in memory pids; do
	mkdir -p "/sys/fs/cgroup/$c"
	mount -t cgroup -o "$c" "cgroup-$c" "/sys/fs/cgroup/$c" ||
		echo "cgroup-v1-init: cannot mount the v1 $c hierarchy" > /dev/console
done
exec /sbin/lifeline
