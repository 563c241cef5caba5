#!/bin/sh
# Typos in both SSH paths: a config whose only problems are programs not
# found runs (they may appear after a boot task), but never without a way
# in: when no sshd or dropbear can start, the fallback set's services are
# added (a service whose name the config already uses as fallback-NAME; a
# boot task it already has is skipped), at boot and on every reload.
# san: yes
. "$(dirname "$0")/lib.sh"
make_keys
[ -e /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -A >/dev/null
cat > "$T/lifeline.conf" <<EOC
[boot lo]
exec = /sbin/ip link set lo up
[service sshd]
exec = /usr/sbin/sshdd -D -e
[service rescue]
exec = /usr/sbin/dropbaer -F -E -p 2222
[service work]
exec = /bin/sleep 1000
EOC
start_ns
check "the typos are reported" wait_for 5 grep -q "executable not found: /usr/sbin/dropbaer" "$T/console.log"
check "the fallback's access services are added" grep -q 'no sshd or dropbear can start: added 4 service(s)' "$T/console.log"
check "status says so" sh -c "\"$LIFELINECTL\" -s $T/control status | grep -q 'fallback access added'"
check "the config's own services run or retry" sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -Eq '^work +service +running' && \"$LIFELINECTL\" -s $T/control status | grep -Eq '^rescue +service +spawn-retry'"
check "the fallback rescue dropbear runs" wait_for 10 svc_running rescue-ssh
check "ssh login on port 2222" wait_for 20 login 2222
check "the config keeps its (broken) sshd; the fallback's runs as fallback-sshd" sh -c \
	"\"$LIFELINECTL\" -s $T/control status | grep -Eq '^sshd +service +spawn-retry' && \"$LIFELINECTL\" -s $T/control status | grep -Eq '^fallback-sshd +service +running'"
check "ssh login on port 22 (the fallback's sshd)" wait_for 20 login 22
p1=$(svc_pid rescue-ssh)
kill -HUP "$NSPID"
sleep 1
check "a reload of the same config keeps the added services (same PID)" \
	[ "$(svc_pid rescue-ssh)" = "$p1" ]
check "lifelinectl reload says what it added" sh -c \
	"\"$LIFELINECTL\" -s $T/control reload | grep -q 'no sshd or dropbear can start: added'"
check "still a way in" wait_for 10 login 2222
finish
