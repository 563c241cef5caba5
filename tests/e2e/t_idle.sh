#!/bin/sh
# Zero wake-ups with the memory guard on.  The guest runs the shipped
# config (the [memory] section, the cgroup v2 memory controller, the PSI
# trigger) and no balloon device.  At rest, PID 1 is not woken once in
# 30 s: its context switches in /proc/1/status do not change.  The guard
# waits for the kernel (PSI, memory.events) instead of polling.
#
# The count is read at both ends of ONE ssh session: the session's own
# fork by the sshd listener (which lifeline hears of, to move it into its
# group) happens before the first read; what the session's shell forks
# is filtered out in the kernel.
. "$(dirname "$0")/lib.sh"
SECS=${IDLE_SECS:-30}

boot_system "rest"
check "the memory controller is on (cgroups: on)" \
	[ "$(gjson "$P22" '.cgroups.state')" = on ]
check "the PSI trigger is armed" [ "$(gjson "$P22" '.memory.psi_state')" = armed ]
# the shipped config's console gettys, without agetty in the image: said
# once at load, never started nor retried (#13)
gettys=$(gssh "$P22" "lifelinectl status" 2>/dev/null | awk '$1 ~ /^getty-/ { print $1, $3, $6 }')
note "gettys: $(echo "$gettys" | tr '\n' '|')"
check "the console's getty is not-installed, 0 restarts (no agetty here)" \
	sh -c 'printf "%s\n" "$1" | grep -q "^getty-ttyS0 not-installed 0$"' _ "$gettys"
sleep 10        # boot-time work done (the protection 2 s after start, ...)
out=$(gssh "$P22" "cs() { awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { n += \$2 } END { print n }' /proc/1/status; }
a=\$(cs); sleep $SECS; b=\$(cs); echo \"\$a \$b\"" 2>/dev/null)
set -- $out
note "PID 1's context switches: ${1:-?} -> ${2:-?} over $SECS s"
check "PID 1 woke 0 times in $SECS s at rest ($(( ${2:-0} - ${1:-0} )) context switches)" \
	[ "${1:-none}" = "${2:-unknown}" ]
check "login on port 22 afterwards" login "$P22"
finish
