#!/bin/sh
# Reload: `lifelinectl reload` and SIGHUP re-read the config.  Unchanged
# services keep their PID, changed ones restart, removed ones stop and go
# away, added ones start.  A config with errors is refused with
# file:line:col for each error and the running set is kept; check-config
# reports the same errors.
# san: yes
. "$(dirname "$0")/lib.sh"

# Unique sleep arguments, so the host-side pgrep sees only our processes.
U=$$
CONF=$T/lifeline.conf

# svc NAME SECONDS: a [service] section running /bin/sleep SECONDS.$U
svc() { printf '[service %s]\nexec = /bin/sleep %s.%s\n' "$1" "$2" "$U"; }

# host_has SECONDS: a process "/bin/sleep SECONDS.$U" exists on the host
host_has() { pgrep -f "^/bin/sleep $1\\.$U\$" >/dev/null; }

# pids: "name=pid" for every service in status, sorted (for comparison)
pids() { ctl status 2>/dev/null | awk '$2 == "service" { print $1 "=" $4 }' | sort; }
names() { ctl status 2>/dev/null | awk '$2 == "service" { print $1 }' | sort | tr '\n' ' '; }

{ svc a 1001; svc b 1002; svc c 1003; } > "$CONF"
start_ns
for s in a b c; do
	check "$s running after boot" wait_for 10 svc_running "$s"
done
A0=$(svc_pid a); B0=$(svc_pid b); C0=$(svc_pid c)
note "before reload: a=$A0 b=$B0 c=$C0"
check "c's process exists on the host before reload" host_has 1003

# --- reload through the control socket --------------------------------
{ svc a 1001; svc b 1012; svc d 1004; } > "$CONF"
ctl reload > "$T/reload.out" 2> "$T/reload.err"
rc=$?
check "lifelinectl reload of a good config exits 0 (got $rc)" [ "$rc" = 0 ]
check "reload prints no error" [ ! -s "$T/reload.err" ]
check "unchanged a keeps its PID" sh -c "sleep 0.5; [ \"\$(\"$LIFELINECTL\" -s $T/control status | awk '\$1 == \"a\" { print \$4 }')\" = '$A0' ]"
check "a still running" svc_running a
check "changed b restarts with a new PID" wait_for 10 sh -c \
	"p=\$(\"$LIFELINECTL\" -s $T/control status | awk '\$1 == \"b\" && \$3 == \"running\" { print \$4 }'); [ -n \"\$p\" ] && [ \"\$p\" != '$B0' ] && [ \"\$p\" != - ]"
check "b now runs the new command" wait_for 5 host_has 1012
check "b's old command is gone" wait_for 5 sh -c "! pgrep -f '^/bin/sleep 1002\\.$U\$' >/dev/null"
check "removed c is gone from status" wait_for 10 sh -c \
	"! \"$LIFELINECTL\" -s $T/control status | grep -q '^c '"
check "removed c's process is gone" wait_for 10 sh -c "! pgrep -f '^/bin/sleep 1003\\.$U\$' >/dev/null"
check "added d is running" wait_for 10 svc_running d
check "d's process exists" wait_for 5 host_has 1004
check "the log tells what the reload did" sh -c \
	"\"$LIFELINECTL\" -s $T/control log | grep -q 'reload: 1 added, 1 removed, 1 changed'"
A1=$(svc_pid a); B1=$(svc_pid b); D1=$(svc_pid d)
note "after reload: a=$A1 b=$B1 d=$D1"

# --- reload through SIGHUP ----------------------------------------------
{ svc a 1001; svc b 1012; svc d 1004; svc e 1005; } > "$CONF"
kill -HUP "$NSPID"
check "SIGHUP: added e starts" wait_for 10 svc_running e
check "SIGHUP: e's process exists" wait_for 5 host_has 1005
sleep 0.5
check "SIGHUP: a keeps its PID" [ "$(svc_pid a)" = "$A1" ]
check "SIGHUP: b keeps its PID" [ "$(svc_pid b)" = "$B1" ]
check "SIGHUP: d keeps its PID" [ "$(svc_pid d)" = "$D1" ]
check "SIGHUP: lifeline is still PID 1 of the namespace" kill -0 "$NSPID"
E1=$(svc_pid e)
GOOD=$(pids)
note "running set: $(echo $GOOD)"

# --- a broken config is refused ----------------------------------------
# line 3: unknown key at column 3; line 6: bad nice value at column 10;
# line 9: bad restart value at column 11
cat > "$CONF" <<EOC
[service a]
exec = /bin/sleep 1001.$U
  bogus = 1
[service b]
exec = /bin/sleep 1012.$U
nice =   99
[service d]
exec = /bin/sleep 1004.$U
restart = sometimes
[service e]
exec = /bin/sleep 1005.$U
[service f]
exec = /bin/sleep 1006.$U
EOC
ctl reload > "$T/bad.out" 2> "$T/bad.err"
rc=$?
sed 's/^/# reload stderr: /' "$T/bad.err"
check "reload of a broken config exits 1 (got $rc)" [ "$rc" = 1 ]
check "reload names the unknown key at $CONF:3:3" \
	grep -q "^$CONF:3:3: unknown key 'bogus'" "$T/bad.err"
check "reload names the bad nice value at $CONF:6:10" \
	grep -q "^$CONF:6:10: nice must be" "$T/bad.err"
check "reload names the bad restart value at $CONF:9:11" \
	grep -q "^$CONF:9:11: restart must be" "$T/bad.err"
check "reload says the running set is kept" grep -q 'keeping the running set' "$T/bad.err"
check "reload of a broken config prints nothing on stdout" [ ! -s "$T/bad.out" ]
sleep 1
check "broken reload: every service keeps its PID" [ "$(pids)" = "$GOOD" ]
check "broken reload: status lists the old set (a b d e)" [ "$(names)" = "a b d e " ]
check "broken reload: f was not started" sh -c "! pgrep -f '^/bin/sleep 1006\\.$U\$' >/dev/null"
for s in a b d e; do
	check "broken reload: $s still running" svc_running "$s"
done

# SIGHUP with the broken config is refused the same way
kill -HUP "$NSPID"
sleep 1
check "broken SIGHUP: every service keeps its PID" [ "$(pids)" = "$GOOD" ]
check "broken SIGHUP: refusal is logged" sh -c \
	"\"$LIFELINECTL\" -s $T/control log | grep -c 'reload refused' | grep -qx 2"

# --- check-config against the broken, then a good file -------------------
ctl check-config > "$T/cc.out" 2> "$T/cc.err"
rc=$?
check "check-config of the broken file exits 1 (got $rc)" [ "$rc" = 1 ]
check "check-config names $CONF:3:3" grep -q "^$CONF:3:3: unknown key 'bogus'" "$T/cc.err"
check "check-config names $CONF:6:10" grep -q "^$CONF:6:10: nice must be" "$T/cc.err"
check "check-config names $CONF:9:11" grep -q "^$CONF:9:11: restart must be" "$T/cc.err"
check "check-config reports the same errors as reload" sh -c \
	"[ \"\$(grep '^/' $T/cc.err)\" = \"\$(grep '^/' $T/bad.err)\" ]"
check "check-config does not touch the running set" [ "$(pids)" = "$GOOD" ]

# many errors: each is reported, or the answer says that some were left out;
# never a line cut in the middle
{ svc a 1001; svc b 1012; svc d 1004; svc e 1005
  i=0; while [ $i -lt 80 ]; do echo "bogus$i = 1"; i=$((i + 1)); done; } > "$CONF"
for how in reload check-config; do
	ctl $how > "$T/many.out" 2> "$T/many.err"
	rc=$?
	got=$(grep -c "^$CONF:[0-9]*:1: unknown key 'bogus[0-9]*'\$" "$T/many.err")
	check "$how with 80 errors exits 1 (got $rc)" [ "$rc" = 1 ]
	check "$how with 80 errors: every error, or a note of how many were left out (got $got)" \
		sh -c "[ '$got' = 80 ] || grep -Eqi 'left out|truncated|more problem|more error' '$T/many.err'"
	check "$how with 80 errors: the answer ends with a whole line" \
		sh -c "[ \"\$(tail -c 1 '$T/many.err' | od -An -c | tr -d ' ')\" = '\\n' ]"
done
check "80 errors: every service keeps its PID" [ "$(pids)" = "$GOOD" ]

{ svc a 1001; svc b 1012; svc d 1004; svc e 1005; } > "$CONF"
ctl check-config > "$T/cc.out" 2> "$T/cc.err"
rc=$?
check "check-config of a good file exits 0 (got $rc)" [ "$rc" = 0 ]
check "check-config of a good file says ok" grep -qx "$CONF: ok" "$T/cc.out"
check "check-config of a good file prints no error" [ ! -s "$T/cc.err" ]
# reloading the same set, in another order, changes nothing
{ svc e 1005; svc d 1004; svc b 1012; svc a 1001; } > "$CONF"
ctl reload >/dev/null 2>&1
rc=$?
check "reload of the same services in another order exits 0 (got $rc)" [ "$rc" = 0 ]
sleep 0.5
check "reordered reload: every service keeps its PID" [ "$(pids)" = "$GOOD" ]
check "reordered reload: the log says nothing changed" sh -c \
	"\"$LIFELINECTL\" -s $T/control log | grep 'reload: [0-9]* added' | tail -n 1 | grep -q 'reload: 0 added, 0 removed, 0 changed'"
check "e kept its PID throughout" [ "$(svc_pid e)" = "$E1" ]
ctl status | sed 's/^/# /'
finish
