#!/bin/sh
# Run the fuzz targets for a bounded time each, on copies of their seed
# corpora, so the checked-in seeds never change:
#   config     build/fuzz-config, tests/fuzz/corpus (FUZZ_SECONDS, default 20)
#   keepalive  build/fuzz-keepalive, tests/fuzz/corpus-keepalive
#              (FUZZ_KA_SECONDS, default 10); before it, build/ka-selftest,
#              the keepalive module linked static against musl and BearSSL
#   peerconf   build/fuzz-peerconf, tests/fuzz/corpus-peerconf
#              (FUZZ_PEER_SECONDS, default 10): lifeline-peer's peer.conf
# With no argument all run, else the named ones.  Each prints one result
# line, "ok - fuzz-NAME: ..." or "not ok - fuzz-NAME: ...", and the script
# exits non-zero on a crash; the crashing input is kept under
# build/fuzz-crashes/.  libFuzzer's own output is shown prefixed with "# ".
set -u
cd "$(dirname "$0")/../.." || exit 1
root=$(pwd)
crashes=$root/build/fuzz-crashes

# fuzz NAME SECONDS MAXLEN CORPUS [DICT]
fuzz() {
	name=fuzz-$1 bin=$root/build/fuzz-$1 secs=$2 maxlen=$3 corpus=$4 dict=
	[ $# -ge 5 ] && [ -f "$5" ] && dict=-dict=$5
	case $secs in
	''|*[!0-9]*) echo "not ok - $name: the time must be a number of seconds"; return 1 ;;
	esac
	if [ ! -x "$bin" ]; then
		echo "not ok - $name: $bin is not built (make build/$name)"
		return 1
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX") || {
		echo "not ok - $name: cannot make a temporary directory"
		return 1
	}
	if ! mkdir "$work/corpus" || ! mkdir -p "$crashes"; then
		echo "not ok - $name: cannot make $work/corpus or $crashes"
		rm -rf "$work"
		return 1
	fi
	cp "$corpus"/* "$work/corpus/" || {
		echo "not ok - $name: cannot copy the seed corpus"
		rm -rf "$work"
		return 1
	}
	# leak detection is off: the code under test never allocates, and a
	# leak report at exit would only hide the interesting crashes
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} \
	"$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$crashes/" $dict "$work/corpus" > "$work/log" 2>&1
	rc=$?

	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
	[ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/log" | tail -n 1)
	[ -n "$runs" ] || runs="?"
	if [ "$rc" -eq 0 ]; then
		tail -n 5 "$work/log" | sed 's/^/# /'
		echo "ok - $name: $runs runs, no crash"
		rm -rf "$work"
		return 0
	fi
	tail -n 60 "$work/log" | sed 's/^/# /'
	artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$work/log" | tail -n 1)
	why=$(grep -m 1 -E 'broken invariant|ERROR: (Address|Undefined|libFuzzer)|runtime error|deadly signal' \
		"$work/log" | sed 's/^==[0-9]*==//')
	echo "not ok - $name: exit $rc after $runs runs: ${why:-see log}; input kept in ${artifact:-$crashes/}"
	rm -rf "$work"
	return 1
}

trap 'exit 130' INT TERM
fail=0
targets=${*:-config keepalive peerconf}
for t in $targets; do
	case $t in
	config) fuzz config "${FUZZ_SECONDS:-20}" 4096 tests/fuzz/corpus tests/fuzz/config.dict ||
		fail=1 ;;
	keepalive)
		# 113: a datagram and one byte more (the target signs such inputs)
		fuzz keepalive "${FUZZ_KA_SECONDS:-10}" 256 tests/fuzz/corpus-keepalive || fail=1 ;;
	peerconf)
		fuzz peerconf "${FUZZ_PEER_SECONDS:-10}" 4096 tests/fuzz/corpus-peerconf || fail=1 ;;
	*) echo "not ok - fuzz-$t: no such fuzz target"; fail=1 ;;
	esac
done
exit $fail
