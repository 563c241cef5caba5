#!/bin/sh
# The tree's size for people: the longest C files and functions, and the
# average function length, of the working tree or of a revision
# (`sh tests/static/codesize.sh [REV]`).  Prints figures, asserts
# nothing: the closing notes of restructurings quote it.  A function is
# what runs from a line "{" at column 0 to the next "}" at column 0; its
# name is the identifier before the first "(" of the lines above.
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d /tmp/lifeline-codesize.XXXXXX)
trap 'rm -rf "$T"' EXIT
if [ -n "${1:-}" ]; then
	git archive "$1" | tar -x -C "$T" || exit 1
	D=$T
else
	D=.
fi
cd "$D" || exit 1
files=$(ls init/*.c lib/*.c peer/*.c rescue/*.c 2>/dev/null)
echo "# C files: $(echo "$files" | wc -l), lines: $(cat $files | wc -l)"
echo "# longest files"
wc -l $files | grep -v ' total$' | sort -rn | head -8 | sed 's/^/  /'
awk '
FNR == 1 { sig = "" }
/^[A-Za-z_].*\(/ && !inside { sig = $0 }
/^\{/ { inside = 1; start = FNR; next }
/^\}/ && inside {
	inside = 0
	name = sig; sub(/\(.*/, "", name); n = split(name, w, /[ *]+/)
	printf "%d %s:%s\n", FNR - start - 1, FILENAME, w[n]
}' $files > "$T/fn"
n=$(wc -l < "$T/fn")
avg=$(awk '{ s += $1 } END { if (NR) printf "%.1f", s / NR }' "$T/fn")
echo "# functions: $n, average body $avg lines; longest"
sort -rn "$T/fn" | head -10 | sed 's/^/  /'
