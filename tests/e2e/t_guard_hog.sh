#!/bin/sh
# Memory guard: a runaway process in an sshd session, in the system image
# with the shipped configuration (512 MiB guest, no swap).
#
# First, protection is for the listeners only: on both ports the listener
# (sshd, the rescue dropbear) has oom_score_adj -1000, while a login shell
# and the commands it runs have 0 and live in lifeline's limited group
# (/sys/fs/cgroup/lifeline/limited/sessions/...).
#
# Then twice, `hog` (allocates without limit, tests/e2e/hog.c) runs in the
# foreground of a session on port 22: once as it is, once after setting
# its own oom_score_adj to -1000 (the kernel's OOM killer never takes such
# a process; lifeline's guard must).  Each time: the hog is killed (by the
# guard or, the first time, by the kernel at the limited group's limit),
# the sshd listener and the rescue dropbear keep their PIDs and were never
# killed, and a new login on port 22 and on port 2222, each started after
# the hog's session has ended, succeeds within 10 s of the start of the
# allocation.  The start is when the host receives the hog's "hog: start"
# line (its first act), so the ssh connection set-up does not count.
. "$(dirname "$0")/lib.sh"

boot_system "the hogs"
listeners_init
check "found the sshd listener ($sshd_pid) and the rescue dropbear ($drop_pid)" \
	[ -n "$sshd_pid" -a -n "$drop_pid" ]
note "$(gssh "$P22" free 2>/dev/null | awk '/^Mem:/ { print "MemTotal " $2 " KiB, available " $NF " KiB" }')"

# --- protection is for the listener, not for the sessions
adj=$(gssh "$P22" "cat /proc/$sshd_pid/oom_score_adj /proc/$drop_pid/oom_score_adj" 2>/dev/null | tr '\n' ' ')
check "oom_score_adj of the listeners: sshd -1000, rescue dropbear -1000 (got: $adj)" \
	[ "$adj" = "-1000 -1000 " ]
check_sessions '^0::/lifeline/limited/sessions/[0-9]+$'

hog_run "hog"
hog_run "hog -a -1000" -a -1000
check "hog -a -1000: lifeline's guard killed it (\"memory guard: killed hog\"; the kernel never takes -1000)" \
	[ "$GUARD_KILLS" -ge 1 ]
gssh "$P22" lifelinectl status 2>/dev/null | sed 's/^/# /'
finish
