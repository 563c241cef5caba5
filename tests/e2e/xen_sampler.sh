#!/bin/sh
# Runs in the Xen dom0 of t_xen_dom0 (copied there by xen.sh's
# xen_sampler): every 2 s one line on stdout (the console, hvc0):
#   [UPTIME] sample: MemTotal, MemAvailable, MemFree (MiB); what Xen holds
#   for dom0 and its balloon target (MiB); PSI memory full and CPU some
#   (avg10, %)
# so the console shows what a squeeze does to memory and to CPU with no
# SSH login needed.  One awk per line; the rest is the shell's.
x=/sys/devices/system/xen_memory/xen_memory0
while :; do
	awk 'FILENAME == "/proc/uptime" { up = $1 }
	/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } /^MemFree:/ { f = $2 }
	FILENAME ~ /current_kb$/ { c = $1 } FILENAME ~ /target_kb$/ { g = $1 }
	FILENAME ~ /memory$/ && /^full/ { split($2, v, "="); pm = v[2] }
	FILENAME ~ /cpu$/ && /^some/ { split($2, v, "="); pc = v[2] }
	END {
		printf "[%12.6f] sample: MemTotal %d MemAvailable %d free %d MiB; xen %d target %d MiB; psi memory full %s%% cpu some %s%%\n",
			up, t / 1024, a / 1024, f / 1024, c / 1024, g / 1024, pm, pc
	}' /proc/uptime /proc/meminfo "$x/info/current_kb" "$x/target_kb" \
		/proc/pressure/memory /proc/pressure/cpu
	sleep 2
done
