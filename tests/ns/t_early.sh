#!/bin/sh
# A hung boot task (a stuck mount, an fsck waiting for input) never keeps
# the rescue SSH from coming up: early services start before boot tasks.
# The task is killed at its timeout and the boot goes on.
# san: yes
. "$(dirname "$0")/lib.sh"
make_keys
cat > "$T/lifeline.conf" <<EOC
[boot lo]
exec = /sbin/ip link set lo up
[boot hung]
exec = /bin/sleep 1000
timeout = 8s
[boot run-sshd]
exec = /bin/mkdir -p -m 0755 /run/sshd
[service rescue-ssh]
exec = /usr/sbin/dropbear -F -E -s -j -k -p 127.0.0.1:2222 -r $T/dropbear_key
early = yes
[service sshd]
exec = /usr/sbin/sshd -D -e -f $T/sshd_config
EOC
start_ns
check "rescue login on port 2222 while a boot task hangs" wait_for 6 login 2222
check "the hung boot task is still running then" sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -Eq '^hung +boot +running-task'"
check "ordinary services wait for the boot tasks" sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -Eq '^sshd +service +waiting'"
check "the hung task is killed at its timeout and boot goes on" wait_for 15 svc_running sshd
check "the timeout is logged" sh -c "\"$LIFELINECTL\" -s $T/control log | grep -q 'hung: boot task timed out after 8000ms'"
check "boot tasks after the hung one still ran" sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -Eq '^run-sshd +boot +done .*exited 0'"
check "ssh login on port 22 after boot" wait_for 15 login 22
check "the hung task's process is gone" sh -c "! pgrep -P $NSPID -f 'sleep 1000' >/dev/null"
finish
