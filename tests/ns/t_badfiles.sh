#!/bin/sh
# No file can hang PID 1 (issue #12): a conf.d file that is a FIFO (open()
# would wait for a writer for ever) and one that is a link to /dev/zero
# (read() would never end) are refused with one clear message each, before
# any service starts; lifeline boots into its built-in fallback set, so SSH
# answers; `--check-config` and a reload say the same within seconds and
# a refused reload keeps the running set.
# san: yes
. "$(dirname "$0")/lib.sh"
make_keys
if [ ! -e /etc/ssh/ssh_host_ed25519_key ]; then
	ssh-keygen -A >/dev/null     # what openssh-server's install does
fi
standard_config "" > "$T/lifeline.conf"
mkdir "$T/conf.d"
mkfifo "$T/conf.d/fifo.conf"
ln -s /dev/zero "$T/conf.d/zero.conf"

# --check-config: a bounded answer, naming both
timeout 10 "$LIFELINE" --check-config "$T/lifeline.conf" > "$T/check.out" 2>&1
rc=$?
sed 's/^/# check-config: /' "$T/check.out"
check "--check-config ends (not killed by the 10 s timeout) and fails (exit $rc)" \
	sh -c "[ $rc != 124 ] && [ $rc != 0 ]"
check "--check-config: the FIFO is not a regular file" \
	grep -qF "$T/conf.d/fifo.conf:0:0: not a regular file but a FIFO: not read" "$T/check.out"
check "--check-config: the link to /dev/zero is not a regular file" \
	grep -qF "$T/conf.d/zero.conf:0:0: not a regular file but a character device: not read" "$T/check.out"

# boot: the same messages, and the fallback set keeps SSH
start_ns
check "at boot the FIFO is named on the console" wait_for 5 \
	grep -qF "$T/conf.d/fifo.conf:0:0: not a regular file but a FIFO" "$T/console.log"
check "and the link to /dev/zero" \
	grep -qF "$T/conf.d/zero.conf:0:0: not a regular file but a character device" "$T/console.log"
check "the fallback set runs" grep -q 'running the built-in fallback set' "$T/console.log"
check "fallback rescue dropbear is up" wait_for 15 svc_running rescue-ssh
check "a login on port 2222" wait_for 20 login 2222

# a good config, then the FIFO back: the reload is refused at once
rm "$T/conf.d/fifo.conf" "$T/conf.d/zero.conf"
check "reload of the repaired config is accepted" ctl reload
check "its cron runs" wait_for 10 svc_running cron
p0=$(svc_pid cron)
mkfifo "$T/conf.d/fifo.conf"
timeout 10 "$LIFELINECTL" -s "$T/control" reload > "$T/reload.out" 2>&1
rc=$?
sed 's/^/# reload: /' "$T/reload.out"
check "a reload with a FIFO in conf.d answers and is refused (exit $rc)" [ "$rc" = 1 ]
check "the answer names it" grep -qF "$T/conf.d/fifo.conf:0:0: not a regular file but a FIFO" "$T/reload.out"
check "cron kept its PID ($p0)" [ "$(svc_pid cron)" = "$p0" ]
check "status still answers" sh -c "\"$LIFELINECTL\" -s $T/control status > /dev/null"
finish
