#!/bin/sh
# A broken config never locks you out: the errors go to the console (and
# the kernel log), and lifeline runs its built-in fallback set, the rescue
# dropbear on port 2222 and Debian's own sshd on port 22.  A real login
# works on both.
# san: yes
. "$(dirname "$0")/lib.sh"
make_keys
cat > "$T/lifeline.conf" <<EOC
[service sshd]
exec = /usr/sbin/sshd -D -e
protekt = yes
[service cron
exec = /usr/sbin/cron -f
EOC
if [ ! -e /etc/ssh/ssh_host_ed25519_key ]; then
	ssh-keygen -A >/dev/null     # what openssh-server's install does
fi
start_ns
check "the error is reported as file:line:col on the console" wait_for 5 \
	grep -q "$T/lifeline.conf:3:1: unknown key 'protekt'" "$T/console.log"
check "and in the kernel log (/dev/kmsg)" sh -c "dmesg | grep -qF 'lifeline: $T/lifeline.conf:3:1: unknown key'"
check "every error is reported" grep -q "$T/lifeline.conf:4:.*missing ']'" "$T/console.log"
check "the console says the fallback set runs" grep -q 'running the built-in fallback set' "$T/console.log"
check "status says the config is broken" sh -c "\"$LIFELINECTL\" -s $T/control status | grep -q 'BROKEN: running built-in fallback'"
check "fallback rescue dropbear is up" wait_for 15 svc_running rescue-ssh
check "fallback sshd is up" wait_for 15 svc_running sshd
check "ssh login on port 2222 (fallback dropbear)" wait_for 20 login 2222
check "ssh login on port 22 (fallback sshd, Debian's config)" wait_for 20 login 22
# a fixed config can then be loaded without a reboot
standard_config "" > "$T/lifeline.conf"
check "reload of a repaired config is accepted" ctl reload
check "the repaired config's cron runs" wait_for 10 svc_running cron
check "status no longer says broken" sh -c "! \"$LIFELINECTL\" -s $T/control status | grep -q BROKEN"
finish
