#!/bin/sh
# sshd, cron and the rescue dropbear are each SIGKILLed 100 times; each
# comes back every time, and logins on both ports work afterwards.
# san: yes
. "$(dirname "$0")/lib.sh"
KILLS=${KILLS:-100}
# a short backoff cap keeps 300 kills within a few minutes; the backoff
# itself is covered by the unit tests and t_crashloop
boot_standard "restart_delay_max = 300ms"

# kill_loop COMM: SIGKILL lifeline's child COMM $KILLS times
kill_loop() {
	i=0
	while [ $i -lt "$KILLS" ]; do
		old=
		wait_for 10 sh -c "pgrep -P $NSPID -x $1 >/dev/null" || break
		old=$(child_pid "$1")
		kill -KILL "$old"
		if ! wait_for 10 sh -c "p=\$(pgrep -P $NSPID -x $1 | head -n1); [ -n \"\$p\" ] && [ \"\$p\" != $old ]"; then
			break
		fi
		i=$((i + 1))
	done
	echo "$i" > "$T/kills.$1"
}
kill_loop dropbear & p1=$!
kill_loop sshd & p2=$!
kill_loop cron & p3=$!
wait $p1 $p2 $p3
for c in dropbear sshd cron; do
	n=$(cat "$T/kills.$c")
	check "$c came back after each of $KILLS SIGKILLs (got $n)" [ "$n" = "$KILLS" ]
done
for s in rescue-ssh sshd cron; do
	r=$(ctl status | awk -v n="$s" '$1 == n { print $6 }')
	check "status counts $s's restarts ($r >= $KILLS)" [ "${r:-0}" -ge "$KILLS" ]
	check "status shows $s killed by SIGKILL" sh -c "\"$LIFELINECTL\" -s $T/control status | grep '^$s ' | grep -q 'killed by SIGKILL'"
done
check "ssh login on port 22 after the kills" wait_for 15 login 22
check "ssh login on port 2222 after the kills" wait_for 15 login 2222
ctl status | sed 's/^/# /'
finish
