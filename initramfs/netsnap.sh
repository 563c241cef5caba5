#!/bin/sh
# initramfs/netsnap.sh [OUT]: write a snapshot of this system's network (its
# global addresses and routes) for the rescue system, to OUT or standard
# output.  mkrescue.sh puts it in the image when RESCUE_NETSNAP=FILE names
# it; rescue/net.sh (net_snapshot) applies it when the kernel command line
# has no ip=.  Needs iproute2's ip.
#
# Format 1, plain text, one record a line, fields separated by spaces,
# lines starting with # are comments:
#
#   lifeline-netsnap 1                  always the first line
#   hostname NAME
#   link NAME MAC [mtu N]               an interface with a global address;
#                                       the rescue kernel may name it
#                                       differently, so it is found by MAC
#   addr NAME ADDRESS/PREFIX            an IPv4 or IPv6 address of NAME
#   route 4|6 NAME DEST [via GW] [src ADDR] [metric N] [onlink] [scope link]
#                                       DEST is "default" or a prefix; routes
#                                       without a gateway come first
#   dns ADDRESS                         a name server
#
# Left out: lo; addresses of scope host or link, IPv6 temporary (privacy)
# addresses; point-to-point peers; interfaces without a MAC (tun,
# wireguard) or stacked on another one (VLANs, macvlan, veth: their MAC is
# their parent's); routes the kernel makes itself (proto kernel), and
# routes of other tables.  Name servers on loopback (systemd-resolved's
# 127.0.0.53) are replaced by resolved's upstream ones when known.
#
# Example:
#   lifeline-netsnap 1
#   hostname web1
#   link enp3s0 52:54:00:12:34:56 mtu 1500
#   addr enp3s0 203.0.113.10/32
#   addr enp3s0 2001:db8::10/64
#   route 4 enp3s0 172.31.1.1 scope link
#   route 4 enp3s0 default via 172.31.1.1 onlink
#   route 6 enp3s0 default via fe80::1
#   dns 185.12.64.1
set -u
export LC_ALL=C

out=${1:-}
command -v ip >/dev/null || { echo "netsnap: ip is missing (apt-get install iproute2)" >&2; exit 1; }
if [ -n "$out" ]; then
	exec > "$out.tmp.$$" || exit 1
	trap 'rm -f "$out.tmp.$$"' EXIT
fi

# name -> "MAC [mtu N]", or nothing when NAME cannot be found by MAC
link_info() {
	ip -o link show dev "$1" 2>/dev/null | {
		read -r _ name rest || exit 0
		case $name in *@*) exit 0 ;; esac   # stacked: vlan, macvlan, veth
		mac='' mtu=''
		set -f
		# shellcheck disable=SC2086
		set -- $rest
		while [ $# -gt 0 ]; do
			case $1 in
			mtu) mtu=${2:-} ;;
			link/ether) mac=${2:-} ;;
			esac
			shift
		done
		[ -n "$mac" ] && echo "$mac${mtu:+ mtu $mtu}"
	}
}

# routes of the main table, for the links in $links; kept: DEST, via,
# src, metric, onlink, scope link; dropped: proto, pref, expires...
routes() {  # 4|6
	fam=$1
	ip -"$fam" route show table main 2>/dev/null | while read -r dest rest; do
		set -f
		case $dest in
		unicast)
			# shellcheck disable=SC2086
			set -- $rest; dest=${1:-}; shift; rest=$* ;;
		broadcast|local|multicast|unreachable|blackhole|prohibit|throw|anycast|nat)
			continue ;;
		esac
		case " $rest " in *" proto kernel "*) continue ;; esac
		dev='' opts='' key=1
		# shellcheck disable=SC2086
		set -- $rest
		while [ $# -gt 0 ]; do
			case $1 in
			dev) dev=${2:-}; shift ;;
			via) opts="$opts via ${2:-}"; key=2; shift ;;
			src|metric) opts="$opts $1 ${2:-}"; shift ;;
			scope) [ "${2:-}" = link ] && opts="$opts scope link"; shift ;;
			onlink) opts="$opts onlink" ;;
			proto|pref|expires|table|realm|mtu|advmss|hoplimit|initcwnd|\
			initrwnd|features|quickack|rto_min|congctl|nhid|weight|tos|\
			dsfield|from|error) shift ;;
			esac
			shift
		done
		[ -n "$dev" ] || continue
		case " $links " in *" $dev "*) ;; *) continue ;; esac
		# sort key: on-link routes, then routes via a gateway, default last
		[ "$dest" = default ] && key=3
		echo "$key route $fam $dev $dest$opts"
	done
}

echo "lifeline-netsnap 1"
echo "# written by initramfs/netsnap.sh; the format is described there"
h=$(cat /proc/sys/kernel/hostname 2>/dev/null) && [ -n "$h" ] && echo "hostname $h"

# links and addresses, then the routes of those links: one pipeline, so
# that $links is still set when the routes are read
# ("2: eth0    inet 10.0.2.15/24 brd ... scope global dynamic eth0\ ...")
ip -o addr show scope global | {
	links=
	while read -r _ dev fam addr rest; do
		[ "$dev" = lo ] && continue
		case $rest in *temporary*|peer*) continue ;; esac
		case " $links " in
		*" $dev-skipped "*) continue ;;
		*" $dev "*) ;;
		*)
			info=$(link_info "$dev")
			if [ -z "$info" ]; then
				echo "# skipped $dev: it cannot be found by MAC (none, or its parent's)"
				links="$links $dev-skipped"
				continue
			fi
			echo "link $dev $info"
			links="$links $dev"
			;;
		esac
		echo "addr $dev $addr"
	done
	{ routes 4; routes 6; } | sort -s -k1,1n | cut -d' ' -f2-
}

# name servers: the real ones when systemd-resolved stands in front
rc=/etc/resolv.conf
[ -r /run/systemd/resolve/resolv.conf ] && grep -q '^nameserver 127\.0\.0\.53' $rc 2>/dev/null &&
	rc=/run/systemd/resolve/resolv.conf
if [ -r "$rc" ]; then
	while read -r k a _; do
		[ "$k" = nameserver ] || continue
		case $a in 127.*|::1) continue ;; esac
		echo "dns $a"
	done < "$rc"
fi

if [ -n "$out" ]; then
	exec >&-
	mv "$out.tmp.$$" "$out" || exit 1
	trap - EXIT
fi
exit 0
