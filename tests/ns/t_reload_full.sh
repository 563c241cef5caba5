#!/bin/sh
# A reload into a full unit table (issue #12): 32 units, the most there
# can be; the reload removes "slow" (which takes 2 s to stop) and adds
# "new".  While "slow" stops it still holds its slot, so "new" has none at
# the reload: it must be added and started once the slot is free, not
# left out until the next reload.
# san: yes
. "$(dirname "$0")/lib.sh"

U=$$
svc() { printf '[service %s]\nexec = /bin/sleep %s.%s\n' "$1" "$2" "$U"; }
host_has() { pgrep -f "^/bin/sleep $1\\.$U\$" >/dev/null; }
others() {
	i=1
	while [ $i -le 31 ]; do
		svc "s$i" "$((1000 + i))"
		i=$((i + 1))
	done
}
{
	printf '[lifeline]\nstop_timeout = 10s\n'
	others
	# on SIGTERM: 2 s more, then gone
	printf '[service slow]\nexec = /bin/sh -c %s\n' \
		"'trap \"sleep 2; exit 0\" TERM; while :; do sleep 0.1; done'"
} > "$T/lifeline.conf"
start_ns
check "32 units, all running" wait_for 15 sh -c \
	"[ \$(\"$LIFELINECTL\" -s $T/control status | awk '\$2 == \"service\" && \$3 == \"running\"' | wc -l) = 32 ]"
{
	printf '[lifeline]\nstop_timeout = 10s\n'
	others
	svc new 1100
} > "$T/lifeline.conf"
ctl reload > "$T/reload.out" 2>&1
check "the reload is accepted" [ $? = 0 ]
check "the log says new waits for a slot" sh -c \
	"\"$LIFELINECTL\" -s $T/control log | grep -q 'reload: no free slot for new yet: added once a removed unit has stopped'"
check "slow stops (2 s)" wait_for 10 sh -c "! \"$LIFELINECTL\" -s $T/control status | grep -q '^slow '"
check "then new is added and runs" wait_for 10 svc_running new
check "its process exists" host_has 1100
check "the others kept running (31)" sh -c \
	"[ \$(\"$LIFELINECTL\" -s $T/control status | awk '\$2 == \"service\" && \$3 == \"running\" && \$1 ~ /^s[0-9]/' | wc -l) = 31 ]"
ctl log | grep -E 'reload|new|slow' | sed 's/^/# /'
finish
