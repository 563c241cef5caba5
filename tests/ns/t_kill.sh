#!/bin/sh
# A kill storm, as an OOM killer working through a short-memory machine
# makes one: sshd, cron and the rescue dropbear are each SIGKILLed 20 times
# in a row (KILLS), each time as soon as the new process is there, with
# the shipped restart settings (no backoff override).  A service killed
# from outside is not crash-looping: every kill is followed by a new
# process within 1 s (the kernel's start time of the new process), the status
# keeps the crash count at 0, and logins on both ports work right after.
# san: yes
. "$(dirname "$0")/lib.sh"
KILLS=${KILLS:-20}
boot_standard

HZ=$(getconf CLK_TCK)
# uptime in ms (the kernel's clock, 10 ms steps)
# (the hundredths as 1xx - 100: "08" alone would be read as octal)
up_ms() { read -r u _ < /proc/uptime; echo $(( ${u%.*} * 1000 + 10 * (1${u#*.} - 100) )); }
# kill_loop COMM: SIGKILL lifeline's child COMM $KILLS times; one line per
# kill with the time (ms) from the kill to the new process's start, as the
# kernel recorded it (its starttime): how long the test's own polling
# takes on a loaded machine does not count
kill_loop() {
	i=0
	: > "$T/respawn.$1"
	while [ $i -lt "$KILLS" ]; do
		wait_for 10 sh -c "pgrep -P $NSPID -x $1 >/dev/null" || break
		old=$(child_pid "$1")
		t0=$(up_ms)
		kill -KILL "$old"
		if ! wait_for 10 sh -c "p=\$(pgrep -P $NSPID -x $1 | head -n1); [ -n \"\$p\" ] && [ \"\$p\" != $old ]"; then
			break
		fi
		new=$(child_pid "$1")
		st=$(stat_field "$new" 22 2>/dev/null)
		[ -n "$st" ] || st=0
		d=$(( st * 1000 / HZ - t0 ))
		[ "$d" -ge 0 ] || d=0
		echo "$d" >> "$T/respawn.$1"
		i=$((i + 1))
	done
}
kill_loop dropbear & p1=$!
kill_loop sshd & p2=$!
kill_loop cron & p3=$!
wait $p1 $p2 $p3
for c in dropbear sshd cron; do
	n=$(wc -l < "$T/respawn.$c")
	worst=$(sort -n "$T/respawn.$c" | tail -n 1)
	note "$c: respawn after each kill (ms): $(tr '\n' ' ' < "$T/respawn.$c")"
	check "$c came back after each of $KILLS SIGKILLs (got $n)" [ "$n" = "$KILLS" ]
	check "$c came back within 1 s every time (slowest ${worst:-?} ms)" [ "${worst:-99999}" -le 1000 ]
done
log=$(ctl log)
for s in rescue-ssh sshd cron; do
	r=$(ctl status | awk -v n="$s" '$1 == n { print $6 }')
	check "status counts $s's restarts ($r >= $KILLS)" [ "${r:-0}" -ge "$KILLS" ]
	check "status shows $s killed by SIGKILL" sh -c "\"$LIFELINECTL\" -s $T/control status | grep '^$s ' | grep -q 'killed by SIGKILL'"
	check "no restart of $s after a SIGKILL was delayed" sh -c \
		"! printf '%s\n' \"\$1\" | grep -E '$s: killed by SIGKILL.*restarting in [1-9]'" x "$log"
done
check "ssh login on port 22 right after the kills" wait_for 5 login 22
check "ssh login on port 2222 right after the kills" wait_for 5 login 2222
ctl status | sed 's/^/# /'
finish
