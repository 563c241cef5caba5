#!/bin/sh
# Kill: inside the guest, SIGKILL the sshd listener (the sshd whose parent
# is PID 1), cron and the rescue dropbear.  Each comes back with a new PID,
# logins work on both ports afterwards, and lifelinectl status shows each
# restart (restarts >= 1, last exit "killed by SIGKILL").  The sshd
# listener is killed from a dropbear session and the rescue dropbear from
# an sshd session, so that no kill cuts the connection it is sent over.
. "$(dirname "$0")/lib.sh"

# gpid PORT COMM: over PORT, the PID of the process COMM whose parent is
# PID 1 (the service lifeline started, not a per-connection child)
gpid() {
	gssh "$1" "ps -o pid,ppid,comm | awk '\$2 == 1 && \$3 == \"$2\" { print \$1 }'" 2>/dev/null
}
# respawned PORT COMM OLDPID: a COMM under PID 1 again, with another PID
respawned() {
	_new=$(gpid "$1" "$2")
	[ -n "$_new" ] && [ "$_new" != "$3" ]
}
has() { printf '%s\n' "$st" | grep -Eq "$1"; }
restarts() { printf '%s\n' "$st" | awk -v n="$1" '$1 == n && $2 == "service" { print $6 }'; }

boot_system "the kills"

sshd_pid=$(gpid "$P2222" sshd)
cron_pid=$(gpid "$P2222" cron)
drop_pid=$(gpid "$P22" dropbear)
note "before: sshd listener $sshd_pid, cron $cron_pid, rescue dropbear $drop_pid"
[ -n "$sshd_pid" ] && [ -n "$cron_pid" ] && [ -n "$drop_pid" ] ||
	{ fail "found the sshd listener, cron and the rescue dropbear under PID 1"; finish; }

# the sshd listener, over the rescue dropbear
gssh "$P2222" "kill -KILL $sshd_pid" 2>/dev/null
check "sshd listener killed (over port 2222) is back with a new PID" \
	wait_for 20 respawned "$P2222" sshd "$sshd_pid"
check "login on port 22 after the sshd listener was killed" wait_for 20 login "$P22"

# the rescue dropbear, over sshd
gssh "$P22" "kill -KILL $drop_pid" 2>/dev/null
check "rescue dropbear killed (over port 22) is back with a new PID" \
	wait_for 20 respawned "$P22" dropbear "$drop_pid"
check "login on port 2222 after the rescue dropbear was killed" wait_for 20 login "$P2222"

# cron, over either
gssh "$P22" "kill -KILL $cron_pid" 2>/dev/null
check "cron killed (over port 22) is back with a new PID" \
	wait_for 20 respawned "$P22" cron "$cron_pid"

note "after: sshd listener $(gpid "$P22" sshd), cron $(gpid "$P22" cron), rescue dropbear $(gpid "$P22" dropbear)"
check "login on port 22 after all three kills" login "$P22"
check "login on port 2222 after all three kills" login "$P2222"

st=$(gssh "$P22" lifelinectl status 2>&1)
for s in sshd cron rescue-ssh; do
	check "lifelinectl status: $s running again" has "^$s +service +running +[0-9]+ "
	r=$(restarts "$s")
	check "lifelinectl status: $s restarted (restarts ${r:-?} >= 1)" \
		[ "${r:-0}" -ge 1 ]
	check "lifelinectl status: $s last exit \"killed by SIGKILL\"" \
		has "^$s +service .* killed by SIGKILL "
done
printf '%s\n' "$st" | sed 's/^/# /'
# how long each restart took, as lifeline logged it
gssh "$P22" lifelinectl log 2>/dev/null | grep -E '(sshd|cron|rescue-ssh): killed by SIGKILL' |
	sed 's/^/# /'
finish
