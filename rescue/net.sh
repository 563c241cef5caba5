# rescue/net.sh: the rescue system's network setup (sourced by rescue/init;
# busybox sh and busybox ip).  Three sources, tried in this order by init:
#
#   net_ip_param SPEC    the kernel's ip= parameter (the kernel here has no
#                        CONFIG_IP_PNP, so we parse it):
#                        ip=CLIENT:SERVER:GW:NETMASK:HOSTNAME:DEVICE:AUTOCONF:DNS0:DNS1
#                        or ip=dhcp|on|any|bootp|both; ip=off|none gives up
#                        (init then tries the next source)
#   net_snapshot FILE    a snapshot of the running system's addresses and
#                        routes, written by initramfs/netsnap.sh (the format
#                        is documented there); interfaces are found by MAC,
#                        because the rescue kernel names them eth0, eth1...
#                        where the running system had enp3s0 or eno1
#   dhcp_on IF...        busybox udhcpc on each IF at once, with
#                        rescue/dhcp.script; bounded: after ~10 s without a
#                        lease udhcpc goes on trying in the background
#
# Each returns 0 when at least one address was configured.  Also here:
# net_ifnames (dracut's ifname=NAME:MAC), net_links, net_wait_links,
# net_summary.  Messages go to standard output (the console), prefixed
# "rescue: net:".  $RESOLV (default /etc/resolv.conf) and $DHCP_SCRIPT can
# be pointed elsewhere, for tests on the build host.

RESOLV=${RESOLV:-/etc/resolv.conf}
DHCP_SCRIPT=${DHCP_SCRIPT:-/lib/rescue/dhcp.script}
NET_MAP=

net_log() { echo "rescue: net: $*"; }

# interface names other than lo, one a line ("eth0@if3" -> "eth0")
net_links() {
	ip -o link show | while read -r _ name _; do
		name=${name%:}
		name=${name%%@*}
		[ "$name" = lo ] || echo "$name"
	done
}

# MAC -> the interface that has it (case-insensitive)
net_link_by_mac() {
	want=$(echo "$1" | tr 'A-F' 'a-f')
	ip -o link show | while read -r _ name rest; do
		name=${name%:}
		name=${name%%@*}
		case $rest in
		*"link/ether $want "*|*"link/ether $want") echo "$name"; break ;;
		esac
	done | grep .
}

# until an interface other than lo exists, or SECONDS pass
net_wait_links() {
	n=$(( $1 * 5 ))
	while [ "$n" -gt 0 ]; do
		[ -n "$(net_links)" ] && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

net_wait_link() {
	n=$(( $2 * 5 ))
	while [ "$n" -gt 0 ]; do
		ip link show dev "$1" >/dev/null 2>&1 && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# dotted netmask -> prefix length ("" if it is not a netmask)
net_mask_prefix() {
	case $1 in
	[0-9]|[1-2][0-9]|3[0-2]) echo "$1"; return ;;
	esac
	bits=0
	oldifs=$IFS; IFS=.
	# shellcheck disable=SC2086
	set -- $1
	IFS=$oldifs
	[ $# = 4 ] || return 0
	full=yes   # every octet so far was 255: the next may be partial
	for o in "$@"; do
		case $full:$o in
		yes:255) bits=$((bits + 8)); continue ;;
		yes:254) bits=$((bits + 7)) ;; yes:252) bits=$((bits + 6)) ;;
		yes:248) bits=$((bits + 5)) ;; yes:240) bits=$((bits + 4)) ;;
		yes:224) bits=$((bits + 3)) ;; yes:192) bits=$((bits + 2)) ;;
		yes:128) bits=$((bits + 1)) ;;
		*:0) ;;
		*) return 0 ;;
		esac
		full=no
	done
	echo "$bits"
}

# the kernel's default when ip= gives no netmask: by address class
net_class_prefix() {
	first=${1%%.*}
	if [ "$first" -lt 128 ]; then echo 8
	elif [ "$first" -lt 192 ]; then echo 16
	else echo 24
	fi
}

net_dns_add() {
	[ -n "$1" ] || return 0
	case $1 in 0.0.0.0) return 0 ;; esac
	grep -qx "nameserver $1" "$RESOLV" 2>/dev/null || echo "nameserver $1" >> "$RESOLV"
}

# ip route add, and again with onlink when the gateway is outside every
# subnet of the interface (common on rented servers: a /32 and a gateway
# "on the link")
net_route_add() {
	ip "$@" 2>/dev/null && return 0
	ip "$@" onlink
}

# dracut's ifname=NAME:MAC: the interface with MAC is renamed NAME, so that
# ip= and the console name it as the running system did
net_ifnames() {
	for spec in "$@"; do
		name=${spec%%:*}
		mac=${spec#*:}
		cur=$(net_link_by_mac "$mac") || { net_log "ifname=$spec: no interface has MAC $mac"; continue; }
		[ "$cur" = "$name" ] && continue
		ip link set dev "$cur" down
		if ip link set dev "$cur" name "$name"; then
			net_log "renamed $cur to $name ($mac)"
		else
			net_log "ifname=$spec: cannot rename $cur to $name"
		fi
	done
}

dhcp_on() {
	for i in "$@"; do
		ip link set dev "$i" up
		# -b: after -t tries -T seconds apart, go on in the background;
		# -A: then retry every 10 s; staticroutes: DHCP option 121
		udhcpc -i "$i" -s "$DHCP_SCRIPT" -b -t 5 -T 2 -A 10 -O staticroutes \
			-p "/run/udhcpc.$i.pid" &
	done
	# each udhcpc returns here once it has a lease or has gone to the
	# background
	wait
	[ -n "$(ip -4 -o addr show scope global 2>/dev/null)" ]
}

dhcp_all() {
	# shellcheck disable=SC2046
	dhcp_on $(net_links)
}

net_ip_param() {
	spec=$1
	case $spec in
	off|none) net_log "ip=$spec: no configuration from ip="; return 1 ;;
	on|any|dhcp|bootp|rarp|both) dhcp_all; return ;;
	esac
	oldifs=$IFS; IFS=:
	# shellcheck disable=SC2086
	set -- $spec
	IFS=$oldifs
	cip=${1:-} gw=${3:-} mask=${4:-} host=${5:-} dev=${6:-} auto=${7:-}
	dns0=${8:-} dns1=${9:-}
	if [ -n "$dev" ]; then
		net_wait_link "$dev" 10 || { net_log "ip=$spec: no interface $dev (have: $(net_links | tr '\n' ' '))"; return 1; }
	fi
	[ -n "$host" ] && hostname "$host"
	net_dns_add "$dns0"
	net_dns_add "$dns1"
	if [ -z "$cip" ]; then
		# no address: the kernel's default autoconf is "any"
		case $auto in
		off|none) net_log "ip=$spec: neither an address nor autoconfiguration"; return 1 ;;
		esac
		if [ -n "$dev" ]; then dhcp_on "$dev"; else dhcp_all; fi
		return
	fi
	[ -n "$dev" ] || dev=$(net_links | head -n 1)
	[ -n "$dev" ] || { net_log "ip=$spec: no network interface"; return 1; }
	prefix=$(net_mask_prefix "$mask")
	if [ -z "$prefix" ]; then
		[ -n "$mask" ] && net_log "ip=$spec: bad netmask $mask, using the class default"
		prefix=$(net_class_prefix "$cip")
	fi
	ip link set dev "$dev" up
	ip addr add "$cip/$prefix" dev "$dev" || { net_log "ip=$spec: cannot add $cip/$prefix to $dev"; return 1; }
	net_log "$dev $cip/$prefix (ip=)"
	if [ -n "$gw" ]; then
		net_route_add route add default via "$gw" dev "$dev" ||
			net_log "ip=$spec: cannot add the default route via $gw"
	fi
	return 0
}

# snapshot name -> interface here, from the link lines read so far
net_map() {
	echo "$NET_MAP" | while read -r from to; do
		[ "$from" = "$1" ] && echo "$to" && break
	done | grep .
}

net_snapshot() {
	file=$1
	got=1
	read -r magic version < "$file"
	if [ "$magic" != lifeline-netsnap ] || [ "$version" != 1 ]; then
		net_log "$file: not a network snapshot (format 1)"
		return 1
	fi
	NET_MAP=
	while read -r kind a b rest; do
		case $kind in
		''|'#'*|lifeline-netsnap) ;;
		hostname) hostname "$a" ;;
		dns) net_dns_add "$a" ;;
		link)
			# link NAME MAC [mtu N]
			if ! dev=$(net_link_by_mac "$b"); then
				net_log "snapshot: no interface has $a's MAC $b; skipped"
				continue
			fi
			NET_MAP="$NET_MAP
$a $dev"
			ip link set dev "$dev" up
			case $rest in
			"mtu "*) ip link set dev "$dev" mtu "${rest#mtu }" ;;
			esac
			;;
		addr)
			# addr NAME ADDRESS/PREFIX
			dev=$(net_map "$a") || continue
			if ip addr add "$b" dev "$dev"; then
				net_log "$dev $b (snapshot: $a)"
				got=0
			fi
			;;
		route)
			# route 4|6 NAME DEST [via GW] [src A] [metric N] [onlink] [scope link]
			set -f
			# shellcheck disable=SC2086
			set -- $rest
			dev=$(net_map "$b") || continue
			dest=$1; shift
			# replace: the kernel made the route of each address's own
			# subnet (and fe80::/64) when the address was added; a
			# snapshot taken with busybox ip lists those too
			ip -"$a" route replace "$dest" dev "$dev" "$@" 2>/dev/null ||
				net_log "snapshot: cannot add route $dest dev $dev $*"
			;;
		*) net_log "snapshot: unknown line: $kind $a $b $rest" ;;
		esac
	done < "$file"
	return $got
}

# what the console shows: addresses and default routes
net_summary() {
	ip -o addr show 2>/dev/null | while read -r _ dev _ addr rest; do
		case $rest in *"scope global"*) ;; *) continue ;; esac
		echo "rescue: address $dev $addr"
	done
	ip route show 2>/dev/null | grep '^default' | sed 's/^/rescue: route /'
	ip -6 route show 2>/dev/null | grep '^default' | sed 's/^/rescue: route /'
}

# addresses only, without prefix, one a line (for the ssh hint)
net_addresses() {
	ip -o addr show 2>/dev/null | while read -r _ _ _ addr rest; do
		case $rest in *"scope global"*) echo "${addr%/*}" ;; esac
	done
}
