# initramfs/lib.sh: the image builder's functions (sourced, POSIX sh).
#
#   img_init DIR            start an image in the staging directory DIR
#   img_exec PATH [DEST]    an executable and every shared library it needs
#   img_file SRC DEST [MODE]  one file
#   img_text DEST MODE      a file from standard input
#   img_dir DEST [MODE]     a directory
#   img_link TARGET LINK    a symbolic link
#   img_modules KVER [-o] MOD...  kernel modules with their dependencies
#                           (-o: optional, skip those the kernel lacks)
#   img_write OUT gzip|zstd write DIR as a reproducible newc cpio
#
# Reproducible: entries sorted by name, owners 0:0, every time stamp set to
# $SOURCE_DATE_EPOCH (default: the last commit's time, else 0), and
# compressors that record no name or time.  Errors name what is missing
# and how to get it, then exit 1.

IMG=
img_die() { echo "initramfs: $*" >&2; exit 1; }

img_init() {
	IMG=$1
	umask 022   # modes of what we create must not depend on the caller's
	rm -rf "$IMG"
	mkdir -p "$IMG" || img_die "cannot create $IMG"
	for d in bin sbin etc dev proc sys run tmp root usr/bin usr/sbin lib \
		 lib64 var mnt; do
		mkdir -p "$IMG/$d"
	done
	chmod 1777 "$IMG/tmp"
	chmod 0700 "$IMG/root"
}

img_dir() {
	mkdir -p "$IMG/$1" && chmod "${2:-0755}" "$IMG/$1"
}

img_file() {
	[ -e "$1" ] || img_die "missing file: $1${IMG_HINT:+ ($IMG_HINT)}"
	mkdir -p "$IMG/$(dirname "$2")"
	cp -L "$1" "$IMG/$2" || img_die "cannot copy $1"
	chmod "${3:-0644}" "$IMG/$2"
}

img_text() {
	mkdir -p "$IMG/$(dirname "$1")"
	cat > "$IMG/$1"
	chmod "$2" "$IMG/$1"
}

img_link() {
	mkdir -p "$IMG/$(dirname "$2")"
	ln -sfn "$1" "$IMG/$2"
}

# which Debian package ships PATH, for error messages
img_pkg_hint() {
	p=$(dpkg -S "$1" 2>/dev/null | head -n 1 | cut -d: -f1)
	[ -n "$p" ] && echo "install it with: apt-get install $p" && return
	echo "is the package that ships it installed?"
}

# copy PATH's shared libraries (and the dynamic loader), as ldd lists them
img_libs() {
	out=$(LC_ALL=C ldd "$1" 2>&1)
	case $out in
	*"not a dynamic executable"*|*"statically linked"*) return 0 ;;
	esac
	while read -r a b c d; do
		case "$a $b $c" in
		*"not found"*) img_die "$1 needs $a, which is not installed" ;;
		esac
		lib=
		if [ "$b" = "=>" ] && [ -n "$c" ]; then lib=$c
		elif [ "${a#/}" != "$a" ]; then lib=$a
		fi
		[ -n "$lib" ] || continue
		[ -e "$IMG$lib" ] && continue
		mkdir -p "$IMG$(dirname "$lib")"
		cp -L "$lib" "$IMG$lib" || img_die "cannot copy $lib"
	done <<EOL
$out
EOL
}

img_exec() {
	src=$1
	dest=${2:-$1}
	if [ ! -x "$src" ]; then
		img_die "missing executable: $src ($(img_pkg_hint "$src"))"
	fi
	mkdir -p "$IMG$(dirname "$dest")"
	cp -L "$src" "$IMG$dest" || img_die "cannot copy $src"
	chmod 0755 "$IMG$dest"
	img_libs "$src" || exit 1
}

img_modules() {
	kver=$1
	shift
	optional=0
	if [ "$1" = "-o" ]; then optional=1; shift; fi
	[ -d "/lib/modules/$kver" ] ||
		img_die "no modules for kernel $kver in /lib/modules (apt-get install linux-image-$kver)"
	for m in "$@"; do
		if ! deps=$(modprobe --show-depends -S "$kver" "$m" 2>/dev/null); then
			[ $optional = 1 ] && continue
			img_die "kernel $kver has no module $m"
		fi
		while read -r kind path rest; do
			[ "$kind" = insmod ] || continue   # builtin: nothing to copy
			[ -e "$IMG$path" ] && continue
			mkdir -p "$IMG$(dirname "$path")"
			cp "$path" "$IMG$path" || img_die "cannot copy $path"
		done <<EOL
$deps
EOL
	done
	mkdir -p "$IMG/lib/modules/$kver"   # even when every one is built in
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ -e "/lib/modules/$kver/$f" ] && cp "/lib/modules/$kver/$f" "$IMG/lib/modules/$kver/"
	done
	depmod -b "$IMG" "$kver" || img_die "depmod failed for $kver"
}

img_epoch() {
	if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then echo "$SOURCE_DATE_EPOCH"
	else git -C "$(dirname "$0")" log -1 --format=%ct 2>/dev/null || echo 0
	fi
}

img_write() {
	out=$1
	comp=${2:-gzip}
	epoch=$(img_epoch)
	command -v cpio >/dev/null || img_die "cpio is missing (apt-get install cpio)"
	find "$IMG" -exec touch -h -d "@$epoch" {} + || img_die "cannot set time stamps"
	tmp="$out.tmp.$$"
	case $comp in
	gzip) z="gzip -n -9" ;;
	zstd) command -v zstd >/dev/null || img_die "zstd is missing (apt-get install zstd)"
	      z="zstd -q -19 -T1" ;;
	*) img_die "unknown compression $comp (gzip or zstd)" ;;
	esac
	# two steps: in one pipeline a failing cpio would go unnoticed (the
	# status is the compressor's) and leave a truncated image
	(cd "$IMG" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc --reproducible --owner=0:0) > "$tmp.cpio" ||
		{ rm -f "$tmp.cpio"; img_die "cpio failed writing $out"; }
	$z < "$tmp.cpio" > "$tmp" ||
		{ rm -f "$tmp" "$tmp.cpio"; img_die "$comp failed writing $out"; }
	rm -f "$tmp.cpio"
	mv "$tmp" "$out" || img_die "cannot write $out"
}
