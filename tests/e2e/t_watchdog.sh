#!/bin/sh
# tests/e2e/t_watchdog.sh: [watchdog] with softdog in QEMU (the test
# configuration initramfs/system/e2e-watchdog.conf: a boot task loads
# softdog, lifeline opens /dev/watchdog once it is there).
#
#   boot 1, a wedged PID 1: the device is open with a 10 s timeout and
#     petted (the guest outlives three timeouts); then tests/e2e/freeze.c
#     holds PID 1 stopped with ptrace, from outside its loop; softdog
#     resets the guest (QEMU, run with -no-reboot, exits) between the
#     timeout minus one pet interval and the timeout plus a margin
#   boot 2, clean paths: a reload with another timeout reopens the device
#     after a magic close (the kernel does not say "watchdog did not
#     stop!"), the new timeout holds; `lifelinectl reboot` closes it the
#     same way and the guest restarts cleanly, not by the watchdog
. "$(dirname "$0")/lib.sh"

TIMEOUT=10
MARGIN=${WATCHDOG_MARGIN:-20}     # TCG on two shared cores is slow
started=$(now_ms)

wd() { gjson "$P22" ".watchdog.$1"; }
# the guest runs, its pets went from $1 to at least $2, and a login works
alive() { kill -0 "$QPID" 2>/dev/null && [ "$1" -ge "$2" ] && login "$P22"; }
timeout_took() { [ "$(wd timeout_s)" = "$1" ] && [ "$(wd timeout_set)" = true ]; }
wd_open() { [ "$(wd open)" = true ]; }
pets() { num "$(wd pets)"; }

# ---------------------------------------------------------------- boot 1
boot_e2e "the freeze" watchdog "lifeline.e2e.timeout=${TIMEOUT}s"
check "boot 1: lifeline opens /dev/watchdog once the softdog task loaded it" wait_for 30 wd_open
st=$(gssh "$P22" lifelinectl status | grep '^watchdog:')
note "boot 1: $st"
check "boot 1: status: /dev/watchdog with timeout ${TIMEOUT}s, petted ($st)" \
	has_line "$st" "^watchdog: /dev/watchdog, timeout ${TIMEOUT}s, petted [0-9.]+m?s ago \\(every 2.5s\\)"
check "boot 1: the driver took the timeout (timeout_s $(wd timeout_s), timeout_set $(wd timeout_set))" \
	timeout_took "$TIMEOUT"
check "boot 1: the kernel log says the device is open" \
	serial_has "lifeline: watchdog: /dev/watchdog \\(Software Watchdog\\) open, timeout ${TIMEOUT}s"
# petting works: an unpetted softdog would have reset the guest by now
p0=$(pets)
sleep $((TIMEOUT * 3))
p1=$(pets)
check "boot 1: alive after $((TIMEOUT * 3)) s (3 timeouts), pets $p0 -> $p1" \
	alive "$p1" $((p0 + 8))
check "boot 1: no watchdog reset so far" serial_hasnt 'softdog: Initiating'

# PID 1 stops: freeze attaches with ptrace and holds it in a stop
gssh "$P22" 'setsid freeze 1 > /tmp/freeze.out 2>&1 < /dev/null &
	i=0; while [ $i -lt 50 ] && ! grep -q frozen /tmp/freeze.out; do sleep 0.1; i=$((i + 1)); done
	cat /tmp/freeze.out; grep "^State:" /proc/1/status' > "$T/freeze.out" 2>&1
t0=$(now_ms)
note "boot 1: $(tr '\n' ' ' < "$T/freeze.out")"
check "boot 1: PID 1 is stopped (freeze: ptrace)" \
	sh -c "grep -q '^frozen 1' '$T/freeze.out' && grep -q 'State:.*t (tracing stop)' '$T/freeze.out'"
if qemu_wait_exit $((TIMEOUT + MARGIN)); then
	ms=$(( $(now_ms) - t0 ))
	note "boot 1: the guest reset $ms ms after PID 1 stopped"
	# the last pet came at most one interval (2.5 s) before the freeze
	check "boot 1: reset by the watchdog ${ms} ms after PID 1 stopped (between $((TIMEOUT * 1000 - 2500)) and $(( (TIMEOUT + MARGIN) * 1000)) ms)" \
		[ "$ms" -ge $((TIMEOUT * 1000 - 2500)) ]
else
	fail "boot 1: the guest reset within $((TIMEOUT + MARGIN)) s of PID 1 stopping"
fi
check "boot 1: the kernel says so (softdog: Initiating system reboot)" \
	serial_has 'softdog: Initiating system reboot'
[ -n "$QPID" ] && kill -KILL "$QPID" 2>/dev/null
QPID=
cp "$SERIAL" "$T/serial-1.log"

# ---------------------------------------------------------------- boot 2
boot_e2e "the clean paths" watchdog "lifeline.e2e.timeout=${TIMEOUT}s"
check "boot 2: /dev/watchdog open" wait_for 30 wd_open
# a reload with another timeout: the old descriptor is closed with the
# magic 'V' (else the kernel prints "watchdog did not stop!"), then opened
# again
T2=$((TIMEOUT + 4))
gssh "$P22" "sed -i 's/^timeout = ${TIMEOUT}s\$/timeout = ${T2}s/' /etc/lifeline/conf.d/e2e.conf &&
	grep -q '^timeout = ${T2}s' /etc/lifeline/conf.d/e2e.conf && lifelinectl reload" > "$T/reload.out" 2>&1
note "boot 2: reload: $(tr '\n' ' ' < "$T/reload.out")"
new_timeout() { timeout_took "$T2" && wd_open; }
check "boot 2: after a reload the device is open with timeout ${T2}s" wait_for 20 new_timeout
check "boot 2: the old descriptor went with a magic close (lifeline's log)" \
	serial_has "lifeline: watchdog: /dev/watchdog closed \\(magic close\\)"
p0=$(pets)
sleep $((T2 + 6))
p1=$(pets)
check "boot 2: alive ${T2}+6 s after the reload, pets $p0 -> $p1" \
	alive "$p1" $((p0 + 1))
closes=$(serial_count "lifeline: watchdog: /dev/watchdog closed \\(magic close\\)")
gssh "$P22" lifelinectl reboot > /dev/null 2>&1
if qemu_wait_exit 60; then
	ok "boot 2: lifelinectl reboot restarts the guest (QEMU exits) within 60 s"
else
	fail "boot 2: lifelinectl reboot restarts the guest (QEMU exits) within 60 s"
fi
closes2=$(serial_count "lifeline: watchdog: /dev/watchdog closed \\(magic close\\)")
check "boot 2: the reboot closed the device with the magic close ($closes -> $closes2)" \
	[ "$closes2" -gt "$closes" ]
check "boot 2: a clean restart (reboot: Restarting system)" serial_has 'reboot: Restarting system'
check "boot 2: the kernel never said \"watchdog did not stop!\" (an unexpected close)" \
	serial_hasnt 'did not stop'
check "boot 2: no watchdog reset" serial_hasnt 'softdog: Initiating'

note "t_watchdog took $(( ($(now_ms) - started) / 1000 )) s"
finish
