#!/bin/sh
# Static properties of the PID-1 binary: static, stripped, and no malloc
# family linked in at all (docs/design.md, "No allocation after start").
# nm runs on the unstripped twin build/lifeline.debug, built from the same
# objects.
cd "$(dirname "$0")/../.."
bin=build/lifeline dbg=build/lifeline.debug
fail=0
res() { if [ "$1" = 0 ]; then echo "ok - $2"; else echo "not ok - $2"; fail=1; fi; }

readelf -l "$bin" | grep -q INTERP
res $(( ! $? )) "build/lifeline is static (no ELF interpreter)"
file_syms=$(nm "$bin" 2>&1 | grep -vc 'no symbols')
res "$file_syms" "build/lifeline is stripped"

syms=$(nm "$dbg")
# the check must be able to fail: the symbol table is really there
echo "$syms" | grep -qE ' T (main|service_boot|spawn_unit)$'
res $? "nm sees lifeline's own symbols in $dbg"
bad=$(echo "$syms" | grep -E ' [TtWwU] (malloc|calloc|realloc|free|aligned_alloc|posix_memalign|memalign|__libc_malloc|__malloc0|__simple_malloc)$')
if [ -z "$bad" ]; then res 0 "no malloc, calloc, realloc or free in the PID-1 binary"
else echo "$bad"; res 1 "no malloc, calloc, realloc or free in the PID-1 binary"; fi

out=$("$bin" --check-config configs/lifeline.conf 2>&1)
res $? "the shipped configs/lifeline.conf passes --check-config"
echo "$out" | sed 's/^/# /'
echo "$out" | grep -q ': warning: '
res $(( ! $? )) "the shipped config has a startable sshd or dropbear (no warning)"

# the Xen dom0 example, as its admin installs it: a drop-in next to the
# shipped config
X=$(mktemp -d)
mkdir "$X/conf.d"
cp configs/lifeline.conf "$X/lifeline.conf"
cp configs/examples/xen-dom0.conf "$X/conf.d/xen-dom0.conf"
out=$("$bin" --check-config "$X/lifeline.conf" 2>&1)
res $? "configs/examples/xen-dom0.conf passes --check-config as a drop-in"
# two services more than the shipped config alone (whose count depends on
# this machine's consoles: one getty per tty)
base=$("$bin" --check-config configs/lifeline.conf 2>/dev/null | sed -n 's/.*ok (\([0-9]*\) services.*/\1/p')
echo "$out" | grep -q "ok ($(( ${base:-0} + 2 )) services"
res $? "with it the config has the xenstored and xenconsoled services ($out)"
rm -rf "$X"

# make install into a scratch root, twice: the admin's config survives
D=$(mktemp -d)
make -s install DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
ok_files=1
for f in /sbin/lifeline /sbin/lifelinectl /etc/lifeline/lifeline.conf \
	 /etc/lifeline/conf.d/README /usr/share/man/man8/lifeline.8 \
	 /usr/share/man/man8/lifelinectl.8 /usr/share/man/man5/lifeline.conf.5 /usr/share/man/man7/lifeline-keepalive.7; do
	[ -f "$D$f" ] || { echo "# missing after make install: $f"; ok_files=0; }
done
[ "$(stat -c %a "$D/etc/lifeline/rescue" 2>/dev/null)" = 700 ] || ok_files=0
res $(( ! ok_files )) "make install puts binaries, config and man pages in place (rescue/ is 0700)"
echo "# edited" >> "$D/etc/lifeline/lifeline.conf"
make -s install DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
grep -q '^# edited' "$D/etc/lifeline/lifeline.conf"
res $? "make install again keeps an edited lifeline.conf"
rm -rf "$D"

echo "# size: $(wc -c < "$bin") bytes (build/lifeline)"
exit $fail
