#!/bin/sh
# Memory guard without the cgroup layer: lifeline boots, supervises and
# says what is missing.  Two boots of the system image, shipped config:
#
# 1. cgroup_disable=memory on the kernel command line: cgroup2 is there,
#    its memory controller is not (pids is).
# 2. A legacy layout made before lifeline starts (rdinit=
#    /usr/lib/lifeline-test/cgroup-v1-init, initramfs/system/
#    cgroup-v1-init.sh): a tmpfs on /sys/fs/cgroup with cgroup v1
#    hierarchies of memory and pids, as an old or hybrid system has it.
#    /sys/fs/cgroup is then no cgroup2 mount and neither controller can be
#    had through cgroup2 at all.  (The kernel has no parameter that removes
#    cgroup2 itself; this is the real case of a machine without it.)
#
# Each boot asserts: logins on both ports; killing cron makes lifeline
# start a new one; `lifelinectl status --json` says cgroups.state is not
# "on" (and names memory), the text status has a "cgroups:" line with the
# same words, and lifeline's log says it once; a login shell still gets
# oom_score_adj 0 while the listeners keep -1000 (that layer needs no
# cgroups).  In the first boot, with no memory limit, a hog in an sshd
# session and then one that set its own oom_score_adj to -1000 (hog_run:
# killed, listeners live on, logins on both ports within 10 s of the
# allocation's start); the second only lifeline's guard can kill.
. "$(dirname "$0")/lib.sh"

nocg() {
	what=$1
	listeners_init
	adj=$(gssh "$P22" "cat /proc/$sshd_pid/oom_score_adj /proc/$drop_pid/oom_score_adj" 2>/dev/null | tr '\n' ' ')
	check "$what: the listeners' oom_score_adj: -1000 -1000 (got: $adj)" [ "$adj" = "-1000 -1000 " ]
	check_sessions '.'
	json=$(gssh "$P22" lifelinectl status --json 2>/dev/null)
	state=$(printf '%s' "$json" | jq -r '.cgroups.state')
	note "$what: status --json cgroups: $(printf '%s' "$json" | jq -c '.cgroups')"
	check "$what: status --json: cgroups.state is not \"on\" (got: $state)" \
		sh -c '[ -n "$1" ] && [ "$1" != null ] && [ "$1" != on ]' _ "$state"
	check "$what: cgroups.state names the memory controller or cgroup2 ($state)" \
		has_line "$state" 'memory|cgroup2'
	st=$(gssh "$P22" lifelinectl status 2>/dev/null)
	check "$what: the text status's cgroups: line says it" \
		has_line "$st" "^cgroups: .*$(printf '%s' "$state" | sed 's/[][\.*^$()+?{}|]/\\&/g')"
	llog=$(gssh "$P22" lifelinectl log 2>/dev/null)
	n=$(printf '%s\n' "$llog" | grep -Fc "$state")
	check "$what: lifeline's log says \"$state\" once (got: $n)" [ "$n" = 1 ]
	printf '%s\n' "$llog" | grep -Ei 'cgroup|memory' | sed "s/^/# $what: log: /"
	cron0=$(gpid "$P22" cron)
	gssh "$P22" "kill $cron0" 2>/dev/null
	new_cron() { c=$(gpid "$P22" cron); [ -n "$c" ] && [ "$c" != "$cron0" ]; }
	check "$what: cron killed ($cron0): lifeline starts a new one" wait_for 60 new_cron
	cron_restarted() {
		st=$(gssh "$P22" lifelinectl status 2>/dev/null)
		has_line "$st" '^cron +service +running +[0-9]+ +[^ ]+ +1 '
	}
	check "$what: status: cron running after 1 restart" wait_for 30 cron_restarted
	printf '%s\n' "$st" | sed "s/^/# $what: /"
}

BOOT_APPEND="cgroup_disable=memory" boot_system "cgroup_disable=memory"
check "cgroup_disable=memory: the guest's cgroup2 has no memory controller" sh -c \
	'! printf "%s\n" "$1" | grep -qw memory' _ "$(gssh "$P22" 'cat /sys/fs/cgroup/cgroup.controllers' 2>/dev/null)"
nocg "cgroup_disable=memory"
check "cgroup_disable=memory: status --json says the guard is on" \
	[ "$(gjson "$P22" '.memory.guard')" = true ]
hog_run "cgroup_disable=memory: hog"
note "cgroup_disable=memory: hog: killed by $([ "$GUARD_KILLS" -ge 1 ] && echo "lifeline's guard" || echo "the kernel's OOM killer")"
hog_run "cgroup_disable=memory: hog -a -1000" -a -1000
check "cgroup_disable=memory: lifeline's guard killed the hog -a -1000 (the kernel never takes -1000)" \
	[ "$GUARD_KILLS" -ge 1 ]
kill -KILL "$QPID" 2>/dev/null
wait "$QPID" 2>/dev/null
QPID=

BOOT_INIT=/usr/lib/lifeline-test/cgroup-v1-init boot_system "the cgroup v1 layout"
check "v1 layout: PID 1 is lifeline" [ "$(gssh "$P22" 'cat /proc/1/comm' 2>/dev/null)" = lifeline ]
check "v1 layout: /sys/fs/cgroup is a tmpfs with v1 memory and pids" sh -c \
	'printf "%s\n" "$1" | grep -q "^cgroup /sys/fs/cgroup tmpfs" &&
	 printf "%s\n" "$1" | grep -q " /sys/fs/cgroup/memory cgroup .*memory" &&
	 printf "%s\n" "$1" | grep -q " /sys/fs/cgroup/pids cgroup .*pids"' _ \
	"$(gssh "$P22" 'cat /proc/mounts' 2>/dev/null)"
nocg "v1 layout"
finish
