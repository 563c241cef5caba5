#!/bin/sh
# Boot: lifeline as PID 1 brings up dropbear, sshd and cron; the real ssh
# client logs in on both ports; status shows all three running.
# san: yes
. "$(dirname "$0")/lib.sh"
make_keys
standard_config "" > "$T/lifeline.conf"
start_ns
check "lifeline is PID 1 of the namespace" \
	sh -c "grep -q '^NSpid:.*[[:space:]]1\$' /proc/$NSPID/status"
for s in rescue-ssh sshd cron; do
	check "$s running" wait_for 15 svc_running "$s"
done
check "ssh login on port 22 (OpenSSH)" wait_for 15 login 22
check "ssh login on port 2222 (dropbear)" wait_for 15 login 2222
check "boot tasks done" sh -c "[ \"\$(\"$LIFELINECTL\" -s $T/control status | awk '\$2==\"boot\" && \$3==\"done\"' | wc -l)\" = 2 ]"
check "status --json names all three" sh -c "ctl_out=\$(\"$LIFELINECTL\" -s $T/control status --json) && echo \"\$ctl_out\" | grep -q '\"name\":\"sshd\"' && echo \"\$ctl_out\" | grep -q '\"name\":\"cron\"' && echo \"\$ctl_out\" | grep -q '\"name\":\"rescue-ssh\"'"
check "service output captured with its name" sh -c "\"$LIFELINECTL\" -s $T/control log | grep -q '^\[.*\] sshd: Server listening'"
ctl status | sed 's/^/# /'
finish
