#!/bin/sh
# Run one test program for tests/run.sh: NAME COMMAND.  Its output goes
# to $LOGS/NAME.log; its result lines are echoed, prefixed with NAME.
name=$1
cmd=$2
start=$(date +%s)
sh -c "$cmd" > "$LOGS/$name.log" 2>&1 < /dev/null
rc=$?
# a program that failed without saying so still fails
if [ $rc -ne 0 ] && ! grep -q '^not ok' "$LOGS/$name.log"; then
	echo "not ok - $name: exited $rc" >> "$LOGS/$name.log"
fi
if ! grep -qE '^(not )?ok' "$LOGS/$name.log"; then
	echo "not ok - $name: printed no result" >> "$LOGS/$name.log"
fi
echo "[$name: $(( $(date +%s) - start ))s]" >> "$LOGS/$name.log"
grep -E '^(not )?ok' "$LOGS/$name.log" | sed "s/^/$name: /"
