#!/bin/sh
# Fuzz the config parser for a bounded time (FUZZ_SECONDS, default 20) on a
# copy of tests/fuzz/corpus, so the checked-in seeds never change.
# Prints one result line, "ok - fuzz-config: ..." or "not ok - fuzz-config:
# ...", and exits non-zero on a crash; the crashing input is kept under
# build/fuzz-crashes/.  libFuzzer's own output is shown prefixed with "# ".
set -u
cd "$(dirname "$0")/../.." || exit 1
root=$(pwd)
bin=$root/build/fuzz-config
secs=${FUZZ_SECONDS:-20}
crashes=$root/build/fuzz-crashes

case $secs in
''|*[!0-9]*) echo "not ok - fuzz-config: FUZZ_SECONDS must be a number of seconds"; exit 1 ;;
esac
if [ ! -x "$bin" ]; then
	echo "not ok - fuzz-config: $bin is not built (make build/fuzz-config)"
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-config.XXXXXX") || {
	echo "not ok - fuzz-config: cannot make a temporary directory"
	exit 1
}
trap 'rm -rf "$work"' 0
trap 'exit 130' INT TERM
if ! mkdir "$work/corpus" || ! mkdir -p "$crashes"; then
	echo "not ok - fuzz-config: cannot make $work/corpus or $crashes"
	exit 1
fi
cp tests/fuzz/corpus/* "$work/corpus/" || {
	echo "not ok - fuzz-config: cannot copy the seed corpus"
	exit 1
}
dict=
[ -f tests/fuzz/config.dict ] && dict=-dict=tests/fuzz/config.dict

# leak detection is off: the parser never allocates, and a leak report at
# exit would only hide the interesting crashes
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} \
"$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 -print_final_stats=1 \
	-artifact_prefix="$crashes/" $dict "$work/corpus" > "$work/log" 2>&1
rc=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
[ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/log" | tail -n 1)
[ -n "$runs" ] || runs="?"
if [ "$rc" -eq 0 ]; then
	tail -n 5 "$work/log" | sed 's/^/# /'
	echo "ok - fuzz-config: $runs runs, no crash"
	exit 0
fi
tail -n 60 "$work/log" | sed 's/^/# /'
artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$work/log" | tail -n 1)
why=$(grep -m 1 -E 'broken invariant|ERROR: (Address|Undefined|libFuzzer)|runtime error' "$work/log" |
	sed 's/^==[0-9]*==//')
echo "not ok - fuzz-config: exit $rc after $runs runs: ${why:-see log}; input kept in ${artifact:-$crashes/}"
exit 1
