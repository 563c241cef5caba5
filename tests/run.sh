#!/bin/sh
# The test runner behind `make check` (all) and `make check-fast` (no QEMU).
# Every test program prints "ok - NAME" or "not ok - NAME: why" lines; this
# counts them, keeps each program's full output under build/test-logs/, and
# ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
MODE=${1:-fast}
LOGS=build/test-logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
JOBS=${TEST_JOBS:-4}

# name<TAB>command lines; namespace tests run in parallel (they mostly wait)
list=$LOGS/list
: > "$list"
add() { printf '%s\t%s\n' "$1" "$2" >> "$list"; }

add unit "build/unit-tests"
add unit-asan "build/san/unit-tests"
add static "sh tests/static/check.sh"
add lint "sh tests/static/lint.sh"
add deps "sh tests/static/deps.sh"
add fuzz-config "sh tests/fuzz/run.sh"
add ka-selftest "build/ka-selftest"
for t in tests/ns/t_*.sh; do
	n=$(basename "$t" .sh)
	add "$n" "sh $t"
	# functional tests again against the ASan/UBSan build
	if grep -q '^# san: yes' "$t"; then
		add "$n-asan" "env LIFELINE=build/san/lifeline LIFELINECTL=build/san/lifelinectl sh $t"
	fi
done
# QEMU tests run after the others, two at a time: each guest wants both
# cores.  The Xen dom0 test ("# suite: xen": ~6 min, 10 with a cold disk
# cache) runs last and alone: under TCG its balloon drain already leaves
# the guest short of CPU, and it must not share the cores with another.
e2e=$LOGS/list-e2e
xen=$LOGS/list-xen
: > "$e2e"
: > "$xen"
if [ "$MODE" = all ] || [ "$MODE" = xen ]; then
	for t in tests/e2e/t_*.sh; do
		[ -e "$t" ] || continue
		if grep -q '^# suite: xen' "$t"; then
			printf '%s\t%s\n' "e2e-$(basename "$t" .sh)" "sh $t" >> "$xen"
		elif [ "$MODE" = all ]; then
			printf '%s\t%s\n' "e2e-$(basename "$t" .sh)" "sh $t" >> "$e2e"
		fi
	done
fi

tab=$(printf '\t')
export LOGS
[ "$MODE" = xen ] && : > "$list"
run_list() { # LIST JOBS
	while IFS="$tab" read -r name cmd; do
		printf '%s\0%s\0' "$name" "$cmd"
	done < "$1" | xargs -0 -r -n 2 -P "$2" sh tests/run_one.sh
}
{
	run_list "$list" "$JOBS"
	run_list "$e2e" "${E2E_JOBS:-2}"
	run_list "$xen" 1
} | tee "$LOGS/results"

passed=$(grep -c ': ok' "$LOGS/results")
failed=$(grep -c ': not ok' "$LOGS/results")
if [ "$failed" -gt 0 ]; then
	echo
	echo "failures (full logs in $LOGS/):"
	grep ': not ok' "$LOGS/results"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
