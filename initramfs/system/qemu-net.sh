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
# QEMU's balloon device, where the guest has one (the memory guard's test
# tests/e2e/t_guard_balloon.sh); a real server's udev would load it
for d in /sys/bus/pci/devices/*; do
	case $(cat "$d/vendor" "$d/device" 2>/dev/null | tr '\n' ' ') in
	"0x1af4 0x1002 "|"0x1af4 0x1045 ")
		modprobe virtio_balloon || echo "qemu-net: cannot load virtio_balloon"
		break ;;
	esac
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
