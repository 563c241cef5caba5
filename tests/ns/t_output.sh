#!/bin/sh
# Service output: stdout and stderr are captured line by line into the log
# ring, prefixed with the service name; a chatty service is rate limited
# (with a "(N lines suppressed)" record) and cannot flush the ring or make
# lifeline unresponsive; a line longer than 200 bytes is split, not lost;
# lifeline's own messages are in the log too.
# san: yes
. "$(dirname "$0")/lib.sh"

U=$$
LINES=20000
# the rate limit of init/log.h: a burst of 100 lines, then 20 per second
BURST=100
RATE=20

cat > "$T/lifeline.conf" <<EOC
[service talk]
exec = /bin/sh -c 'echo to-stdout; echo to-stderr >&2; exec /bin/sleep 1000.$U'
[service chatty]
exec = /bin/sh -c 'i=0; while [ \$i -lt $LINES ]; do echo line \$i; i=\$((i+1)); done; exec /bin/sleep 1001.$U'
[service long]
exec = /usr/bin/awk 'BEGIN { for (i = 0; i < 45; i++) printf "%09d|", i; printf "\\n"; for (i = 0; i < 3; i++) printf "after-%d\\n", i }'
restart = never
EOC
t0=$(date +%s%N)
start_ns

# responsiveness while chatty floods: every status answers within 2 s
slow=0
n=0
while [ $n -lt 10 ]; do
	s=$(date +%s%N)
	timeout 5 "$LIFELINECTL" -s "$T/control" status > /dev/null 2>&1 || slow=$((slow + 1))
	[ $(( ($(date +%s%N) - s) / 1000000 )) -lt 2000 ] || slow=$((slow + 1))
	n=$((n + 1))
	sleep 0.05
done
check "status answers promptly while a service floods its output" [ "$slow" = 0 ]

check "chatty finished its $LINES lines" wait_for 20 pgrep -f "^/bin/sleep 1001\\.$U\$"
elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "talk running" wait_for 10 svc_running talk
sleep 1
ctl log > "$T/log" 2> "$T/log.err"
rc=$?
check "lifelinectl log exits 0 (got $rc)" [ "$rc" = 0 ]
check "lifelinectl log prints no error" [ ! -s "$T/log.err" ]
check "every log record has a time stamp" sh -c "! grep -v '^\[ *[0-9]*\.[0-9]\{3\}\] ' '$T/log'"

# --- stdout and stderr -------------------------------------------------------
check "stdout is captured: 'talk: to-stdout'" grep -q '^\[.*\] talk: to-stdout$' "$T/log"
check "stderr is captured: 'talk: to-stderr'" grep -q '^\[.*\] talk: to-stderr$' "$T/log"

# --- lifeline's own messages ---------------------------------------------------
check "lifeline's own start-up message is in the log" grep -q '^\[.*\] lifeline: lifeline .* starting' "$T/log"
check "lifeline's own messages are in the log" grep -q '^\[.*\] lifeline: boot tasks done; starting services$' "$T/log"

# --- the chatty service --------------------------------------------------------
shown=$(grep -c '^\[.*\] chatty: line [0-9]*$' "$T/log")
# what the token bucket allows from boot until now, plus slack
now_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
max=$(( BURST + RATE * (now_ms / 1000 + 1) + 20 ))
note "chatty: $shown of $LINES lines in the log after ${now_ms} ms (allowed at most $max); flood done after ${elapsed_ms} ms"
check "chatty: some of its lines are logged ($shown)" [ "$shown" -gt 0 ]
check "chatty: the first lines of the burst are logged in order" sh -c \
	"grep '^\[.*\] chatty: line [0-9]*\$' '$T/log' | head -n 3 | sed 's/.* chatty: //' | tr '\n' , | grep -qx 'line 0,line 1,line 2,'"
check "chatty: far fewer than $LINES lines reach the log ($shown <= $max)" [ "$shown" -le "$max" ]
check "chatty: a '(N lines suppressed)' record is logged" \
	grep -q '^\[.*\] chatty: ([1-9][0-9]* lines suppressed)$' "$T/log"
# every line is either logged or counted as suppressed, including those
# after the last line that got through (the service went quiet then)
supp=$(sed -n 's/^\[.*\] chatty: (\([0-9]*\) lines suppressed)$/\1/p' "$T/log" | awk '{ s += $1 } END { print s + 0 }')
note "chatty: $shown lines logged + $supp reported suppressed = $((shown + supp)) of $LINES"
check "chatty: logged + reported suppressed lines = $LINES (got $((shown + supp)))" \
	[ $((shown + supp)) = "$LINES" ]
check "the flood did not push lifeline's first message out of the ring" \
	grep -q '^\[.*\] lifeline: lifeline .* starting' "$T/log"
check "talk's lines were not pushed out by chatty" grep -q '^\[.*\] talk: to-stdout$' "$T/log"

# --- a long line is split, not lost -------------------------------------------
want=$(awk 'BEGIN { for (i = 0; i < 45; i++) printf "%09d|", i; printf "\n" }')
sed -n 's/^\[[^]]*\] long: //p' "$T/log" > "$T/long"
sed 's/^/# long: /' "$T/long"
check "long: the 450-byte line comes as records of at most 200 bytes" \
	sh -c "[ \"\$(grep -c '^[0-9|]*\$' '$T/long')\" = 3 ] && awk 'length(\$0) > 200 { bad = 1 } END { exit bad }' '$T/long'"
check "long: the first record holds the first 200 bytes" \
	sh -c "[ \"\$(sed -n 1p '$T/long')\" = \"\$(echo '$want' | cut -c 1-200)\" ]"
check "long: the pieces put together give the whole line" \
	sh -c "[ \"\$(grep '^[0-9|]*\$' '$T/long' | tr -d '\n')\" = '$want' ]"
check "long: the lines after it are intact" \
	sh -c "[ \"\$(grep '^after-' '$T/long' | tr '\n' ,)\" = 'after-0,after-1,after-2,' ]"
check "long: nothing else was logged for it" [ "$(wc -l < "$T/long")" = 6 ]

check "lifeline still answers status after all this" sh -c "\"$LIFELINECTL\" -s $T/control status > /dev/null"
check "lifeline is still PID 1 of the namespace" kill -0 "$NSPID"
ctl status | sed 's/^/# /'
finish
