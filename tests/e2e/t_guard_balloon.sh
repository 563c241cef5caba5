#!/bin/sh
# Memory guard: memory taken away at run time.  The guest boots with
# 1024 MiB and QEMU's virtio balloon; the test inflates the balloon over
# QMP (socat) down to 320 MiB, well below what the services and a
# workload want, then lets it go again.
#
# Asserts: MemTotal in the guest drops; lifeline's limit for unprotected
# processes follows within a few seconds (5 s, from the moment MemTotal
# reached its final value to the moment the limited group's memory.max
# did; a trace in the guest samples both every 0.1 s); the new limit is
# MemTotal - reserve as `lifelinectl status --json` reports it, written to
# memory.max (memory.high below it), and the change is logged ("memory:
# MemTotal A MiB -> B MiB: limit ...").  Then a hog in an sshd session at
# the small size: it is killed, the listeners keep their PIDs, and a new
# login on both ports succeeds within 10 s of the allocation's start
# (hog_run in lib.sh).  Last, the balloon is let go: MemTotal and the
# limit go up again, within the same 5 s.
. "$(dirname "$0")/lib.sh"
MIB=1048576
SMALL=320
export QEMU_MEM=1024 QEMU_QMP=1 QEMU_EXTRA="-device virtio-balloon-pci,id=balloon0"

boot_system "the balloon"
listeners_init
bound() { qmp '{"execute":"query-balloon"}' | grep -q '"actual"'; }
check "the balloon driver is bound (QMP query-balloon answers)" wait_for 30 bound
note "QMP query-balloon: $(qmp '{"execute":"query-balloon"}')"

# the limited group's memory.max and MemTotal, each change with the time
gssh "$P22" 'cat > /tmp/trace.sh' 2>/dev/null <<'EOF'
last=
while :; do
	read up _ < /proc/uptime
	mt=
	while read -r k v _; do [ "$k" = MemTotal: ] && { mt=$v; break; }; done < /proc/meminfo
	mx=-
	read -r mx < /sys/fs/cgroup/lifeline/limited/memory.max
	[ "$mt $mx" = "$last" ] || echo "$up $mt $mx"
	last="$mt $mx"
	sleep 0.1
done
EOF
trace_start() { gssh "$P22" 'sh /tmp/trace.sh > /tmp/trace 2>/dev/null < /dev/null & echo $! > /tmp/trace.pid' 2>/dev/null; }
trace_stop() { gssh "$P22" 'kill $(cat /tmp/trace.pid)' 2>/dev/null; }
actual_mib() { qmp '{"execute":"query-balloon"}' | sed -n 's/.*"actual": *\([0-9]*\).*/\1/p' | awk '{ print int($1 / 1048576) }'; }
balloon_at() { a=$(actual_mib); [ -n "$a" ] && [ "$a" -le $(( $1 + 4 )) ] && [ "$a" -ge $(( $1 - 4 )) ]; }
memtotal_kb() { gssh "$P22" "awk '/^MemTotal:/ { print \$2 }' /proc/meminfo" 2>/dev/null; }

# follows WHAT: from the trace, the lag between MemTotal's last change and
# memory.max taking its final value (none if memory.max did not change
# after MemTotal's last change); checks the status and the log
follows() {
	what=$1
	sleep 6     # the lag asserted is 5 s: after 6 s quiet, all is in
	tr=$(gssh "$P22" 'cat /tmp/trace' 2>/dev/null)
	lag=$(printf '%s\n' "$tr" | awk '
		NF == 3 { t[NR] = $1; mt[NR] = $2; mx[NR] = $3; n = NR }
		END {
			if (!n) exit
			i = n; while (i > 1 && mt[i - 1] == mt[n]) i--
			j = n; while (j > 1 && mx[j - 1] == mx[n]) j--
			# memory.max took its last value before MemTotal did: it
			# did not follow (no lag to give)
			if (j >= i) printf "%d", (t[j] - t[i]) * 1000 }')
	note "$what: trace (uptime s, MemTotal kB, memory.max): $(printf '%s\n' "$tr" | head -n 1) ... $(printf '%s\n' "$tr" | tail -n 1) ($(printf '%s\n' "$tr" | wc -l) changes)"
	check "$what: memory.max followed MemTotal within 5 s (lag ${lag:-unknown} ms)" \
		within "$lag" 5000
	json=$(gssh "$P22" lifelinectl status --json 2>/dev/null)
	mt=$(num "$(memtotal_kb)")
	set -- $(printf '%s' "$json" | jq -r '.cgroups | "\(.memtotal) \(.reserve) \(.limit) \(.high)"')
	j_total=$(num "${1:-}") j_reserve=$(num "${2:-}") j_limit=$(num "${3:-}") j_high=$(num "${4:-}")
	note "$what: MemTotal $((mt / 1024)) MiB; status: memtotal $((j_total / MIB)) MiB, reserve $((j_reserve / MIB)) MiB, limit $((j_limit / MIB)) MiB, high $((j_high / MIB)) MiB"
	check "$what: status's memtotal is the guest's MemTotal ($((mt * 1024)) = $j_total)" \
		[ "$((mt * 1024))" = "$j_total" ]
	want=$(( (mt * 1024 - j_reserve) / 4096 * 4096 ))
	check "$what: status's limit is MemTotal - reserve ($want = $j_limit)" [ "$want" = "$j_limit" ]
	files=$(gssh "$P22" 'cat /sys/fs/cgroup/lifeline/limited/memory.max /sys/fs/cgroup/lifeline/limited/memory.high' 2>/dev/null | tr '\n' ' ')
	check "$what: memory.max and memory.high are the status's limit and high ($files)" \
		[ "$files" = "$j_limit $j_high " ]
	check "$what: memory.high is below memory.max" [ "${j_high:-0}" -lt "${j_limit:-0}" ]
	check "$what: the log says \"memory: MemTotal A MiB -> $((mt / 1024)) MiB: limit ...\"" \
		has_line "$(gssh "$P22" lifelinectl log 2>/dev/null)" "memory: MemTotal [0-9]+ MiB -> $((mt / 1024)) MiB: limit"
	LIMIT=$j_limit
}

mt0=$(num "$(memtotal_kb)")
limit0=$(num "$(gjson "$P22" '.cgroups.limit')")
note "before: MemTotal $((mt0 / 1024)) MiB, limit $((limit0 / MIB)) MiB"

# --- take memory away
trace_start
reply=$(qmp "{\"execute\":\"balloon\",\"arguments\":{\"value\":$((SMALL * MIB))}}")
check "QMP balloon to $SMALL MiB accepted ($reply)" sh -c 'printf "%s\n" "$1" | grep -q "\"return\""' _ "$reply"
t=$(now_ms)
check "the balloon reaches $SMALL MiB within 180 s" wait_for 180 balloon_at $SMALL
note "balloon inflated to $(actual_mib) MiB in $(( $(now_ms) - t )) ms (as QMP saw it)"
follows "shrunk to $SMALL MiB"
trace_stop
mt1=$(num "$(memtotal_kb)")
check "MemTotal in the guest dropped by more than 600 MiB ($((mt0 / 1024)) -> $((mt1 / 1024)) MiB)" \
	[ $(( (mt0 - mt1) / 1024 )) -gt 600 ]
check "the limit went down with it ($((limit0 / MIB)) -> $((LIMIT / MIB)) MiB)" [ "${LIMIT:-0}" -lt "${limit0:-0}" ]

# --- a runaway session at the small size
hog_run "hog at $SMALL MiB"

# --- give it back
trace_start
reply=$(qmp "{\"execute\":\"balloon\",\"arguments\":{\"value\":$((QEMU_MEM * MIB))}}")
check "QMP balloon back to $QEMU_MEM MiB accepted ($reply)" sh -c 'printf "%s\n" "$1" | grep -q "\"return\""' _ "$reply"
check "the balloon is back at $QEMU_MEM MiB within 180 s" wait_for 180 balloon_at $QEMU_MEM
follows "back at $QEMU_MEM MiB"
trace_stop
mt2=$(num "$(memtotal_kb)")
check "MemTotal went up again ($((mt1 / 1024)) -> $((mt2 / 1024)) MiB)" [ "${mt2:-0}" -gt $((mt1 + 600 * 1024)) ]
check "login on port 22 at the end" login "$P22"
check "login on port 2222 at the end" login "$P2222"
gssh "$P22" lifelinectl log 2>/dev/null | grep -E 'memory|guard' | sed 's/^/# log: /'
finish
