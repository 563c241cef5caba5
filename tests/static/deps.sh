#!/bin/sh
# No dependency circle among the objects of a folder (issue #14): each
# module of lifeline's PID 1 (init/: the Makefile's CORE, and main.c), of
# lifeline-peer (peer/) and of lib/ is compiled alone, nm says which
# symbols it defines and which it needs from the others, and a module
# that needs, through any chain, a symbol of its own fails the check,
# with the circle and the symbols that close it.  What may call what is
# in docs/design.md, "The module map".
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d /tmp/lifeline-deps.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
# check DIR "MODULES" INCLUDES: one folder's modules, each compiled alone
check() {
	dir=$1
	for m in $2; do
		if ! ${CC:-cc} -c -O0 -w $3 -DLIFELINE_VERSION='"deps"' \
			-o "$T/$m.o" "$dir/$m.c" 2> "$T/$m.err"; then
			echo "not ok - deps: $dir/$m.c compiles alone"
			sed 's/^/# /' "$T/$m.err" | head -n 5
			return 1
		fi
		# "D NAME" for what it defines, "U NAME" for what it needs
		nm "$T/$m.o" | awk -v m="$m" '
			NF == 3 && $2 ~ /^[TDBRC]$/ { print "D", m, $3 }
			NF == 2 && $1 == "U" { print "U", m, $2 }'
	done > "$T/syms"
	echo "# deps: $dir/: $(echo $2 | wc -w) modules"
	awk -v dir="$dir" '
		$1 == "D" { owner[$3] = $2 }
		$1 == "U" { need[++n] = $2 SUBSEP $3 }
		END {
			# the edges: a module needs another one
			for (i = 1; i <= n; i++) {
				split(need[i], p, SUBSEP)
				o = owner[p[2]]
				if (o == "" || o == p[1]) continue
				if (!((p[1], o) in edge)) { edge[p[1], o] = p[2]; mods[p[1]]; mods[o] }
				else if (length(edge[p[1], o]) < 60) edge[p[1], o] = edge[p[1], o] " " p[2]
			}
			# what each module reaches, and through whom (closure by rounds)
			for (k in edge) { split(k, e, SUBSEP); reach[e[1], e[2]] = e[2] }
			do {
				grew = 0
				for (k in reach) {
					split(k, e, SUBSEP)
					for (m in mods)
						if (((e[2], m) in edge) && !((e[1], m) in reach)) {
							reach[e[1], m] = reach[k] " " m; grew = 1
						}
				}
			} while (grew)
			bad = 0
			for (m in mods)
				if ((m, m) in reach) {
					bad = 1
					path = m " -> " reach[m, m]
					gsub(/ /, " -> ", reach[m, m])
					printf "not ok - deps: %s/%s.c is in a circle: %s -> %s\n", dir, m, m, reach[m, m]
					split(m " " path, q, " ")
				}
			if (bad) {
				print "# the edges of the circles (module -> module: symbols):"
				for (k in edge) {
					split(k, e, SUBSEP)
					if (((e[1], e[1]) in reach) && ((e[2], e[2]) in reach) &&
					    ((e[2], e[1]) in reach))
						printf "#   %s -> %s: %s\n", e[1], e[2], edge[k]
				}
				exit 1
			}
			print "ok - deps: no dependency circle among " dir "/ objects"
		}' "$T/syms"
}
core=$(sed -n '/^CORE = /,/[^\\]$/p' Makefile | sed 's/^CORE = //; s/\\//g' | tr -s ' \t\n' ' ')
[ -n "$core" ] || { echo "not ok - deps: no CORE list in the Makefile"; exit 1; }
check init "$core main" "-Iinit -Ilib" || fail=1
check peer "$(ls peer/*.c | sed 's|peer/||; s|\.c$||')" "-Ipeer -Ilib" || fail=1
check lib "$(ls lib/*.c | sed 's|lib/||; s|\.c$||')" "-Ilib" || fail=1
exit $fail
