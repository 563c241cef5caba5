#!/bin/sh
# Install what lifeline's build and tests need, from Debian's archive only.
# Safe to run again: it installs only what is missing.
set -eu
PKGS="make gcc libc6-dev binutils musl-tools clang llvm scdoc util-linux
iproute2 procps openssh-server openssh-client dropbear-bin cron cppcheck
clang-tidy qemu-system-x86 linux-image-amd64 busybox-static cpio zstd kmod e2fsprogs
git socat jq earlyoom libbearssl-dev debootstrap xen-hypervisor-4.17-amd64
strace grub-common systemd"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# services in packages must not start on the build host
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
