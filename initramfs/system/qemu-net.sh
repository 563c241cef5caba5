#!/bin/sh
# The NIC of the test and demo image (see conf.d/qemu-net.conf): load
# virtio-net, wait for the interface, give it QEMU's user-network address.
# Settings can be overridden on the kernel command line:
#   lifeline.ip=ADDR/PREFIX  lifeline.gw=ADDR
ip=10.0.2.15/24
gw=10.0.2.2
for w in $(cat /proc/cmdline); do
	case $w in
	lifeline.ip=*) ip=${w#*=} ;;
	lifeline.gw=*) gw=${w#*=} ;;
	esac
done
for m in virtio_pci virtio_net; do
	modprobe "$m" || echo "qemu-net: cannot load $m"
done
# the first interface other than lo, once the driver has registered it
dev=
i=0
while [ $i -lt 100 ]; do
	for n in /sys/class/net/*; do
		n=${n##*/}
		[ "$n" = lo ] || [ ! -e "/sys/class/net/$n" ] || { dev=$n; break; }
	done
	[ -n "$dev" ] && break
	sleep 0.1
	i=$((i + 1))
done
[ -n "$dev" ] || { echo "qemu-net: no network interface after 10 s"; exit 1; }
ip link set "$dev" up &&
ip addr add "$ip" dev "$dev" &&
ip route add default via "$gw" || exit 1
echo "qemu-net: $dev $ip via $gw"
