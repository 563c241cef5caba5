# lifeline: `make` builds, `make check` tests everything, `make demo` shows it.
VERSION ?= 0.1.0
PREFIX ?= /usr
SBINDIR ?= /sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR ?=

MUSLCC ?= musl-gcc
CC ?= cc
WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
BASE = -std=c11 -DLIFELINE_VERSION=\"$(VERSION)\" $(WARN)
# PID 1: small, static, no unwind tables; sections so --gc-sections trims
PID1_CFLAGS = $(BASE) -Os -static -fno-asynchronous-unwind-tables \
	-ffunction-sections -fdata-sections -fno-stack-protector
PID1_LDFLAGS = -static -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,--build-id=none
# glibc debug build with sanitizers, for unit and namespace tests
SAN_CFLAGS = $(BASE) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined -DLIFELINE_NO_MLOCK

B = build
CORE = loop unittab log config config_service config_ttys config_memory config_escalation \
	config_value configure commands userdb backoff exitinfo outbuf spawn oomwatch service status \
	control mounts memlock shutdown meminfo victim guard cgroup procev \
	protect sshwatch peerlink quorum rescue rescuefiles grubarm grubenv watchdog initrd kcmdline panic initctl
CORE_SRC = $(CORE:%=init/%.c)
HDRS = $(wildcard init/*.h)
# every man/NAME.SECTION.scd becomes build/NAME.SECTION
MAN = $(patsubst man/%.scd,$(B)/%,$(wildcard man/*.scd))
# lib/: what all three programs share: formatting and parsing (fmt, scan),
# the INI line reader of both config files (ini) and their peer addresses
# (netaddr), the keepalive protocol, and BearSSL for its HMAC.  Debian's libbearssl.a
# is built against glibc with fortify: musl links need lib/fortify.c, and
# see only bearssl.h (through build/musl-inc), never the rest of
# /usr/include.
LIB_SRC = lib/fmt.c lib/scan.c lib/keepalive.c lib/ini.c lib/netaddr.c
LIB_HDRS = $(wildcard lib/*.h)
BEARSSL_A = $(shell $(CC) -print-file-name=libbearssl.a)

# lifeline-peer, the watcher on another machine (peer/): the daemon
# (peer/peer_daemon.h: main in peer/peer.c, its loop, sockets and
# children) and the pure modules it is built on (peer/peer.h), which the
# unit tests link too
PEER_SRC = $(wildcard peer/*.c)
PEER_DAEMON = $(addprefix peer/,peer.c peer_client.c peer_hosts.c peer_log.c peer_loop.c \
	peer_poll.c peer_probes.c peer_server.c peer_udp.c)
PEER_LIB = $(filter-out $(PEER_DAEMON),$(PEER_SRC))
PEER_HDRS = $(wildcard peer/*.h)
# init/ and peer/ see lib/ and never each other; tests see all three
INIT_INC = -Iinit -Ilib
PEER_INC = -Ipeer -Ilib
INC = -Iinit -Ilib -Ipeer

all: $(B)/lifeline $(B)/lifelinectl $(B)/lifeline-peer man

$(B):
	mkdir -p $(B)

# build/lifeline.debug keeps symbols: tests run nm on it
$(B)/lifeline.debug: $(CORE_SRC) init/main.c $(HDRS) $(LIB_SRC) $(LIB_HDRS) lib/fortify.c \
		Makefile $(B)/musl-inc/bearssl.h | $(B)
	$(MUSLCC) $(PID1_CFLAGS) $(INIT_INC) -I$(B)/musl-inc -o $@ $(CORE_SRC) init/main.c \
		$(LIB_SRC) lib/fortify.c $(BEARSSL_A) $(PID1_LDFLAGS)

$(B)/lifeline: $(B)/lifeline.debug
	strip -s -R .comment -o $@ $<

# lifelinectl keygen writes keys with the keepalive module (with BearSSL:
# keepalive.c is one unit; --gc-sections drops what keygen does not use)
$(B)/lifelinectl: init/lifelinectl.c $(LIB_SRC) $(LIB_HDRS) lib/fortify.c \
		$(B)/musl-inc/bearssl.h | $(B)
	$(MUSLCC) $(PID1_CFLAGS) $(INIT_INC) -I$(B)/musl-inc -o $@ init/lifelinectl.c \
		$(LIB_SRC) lib/fortify.c $(BEARSSL_A) $(PID1_LDFLAGS)
	strip -s $@

$(B)/lifeline-peer: $(PEER_SRC) $(PEER_HDRS) $(LIB_SRC) $(LIB_HDRS) lib/fortify.c \
		$(B)/musl-inc/bearssl.h | $(B)
	$(MUSLCC) $(PID1_CFLAGS) $(PEER_INC) -I$(B)/musl-inc -o $@ $(PEER_SRC) \
		$(LIB_SRC) lib/fortify.c $(BEARSSL_A) $(PID1_LDFLAGS)
	strip -s -R .comment $@

# sanitizer builds (glibc)
$(B)/san/lifeline: $(CORE_SRC) init/main.c $(HDRS) $(LIB_SRC) $(LIB_HDRS)
	mkdir -p $(B)/san
	$(CC) $(SAN_CFLAGS) $(INIT_INC) -o $@ $(CORE_SRC) init/main.c $(LIB_SRC) -lbearssl

$(B)/san/lifelinectl: init/lifelinectl.c $(LIB_SRC) $(LIB_HDRS)
	mkdir -p $(B)/san
	$(CC) $(SAN_CFLAGS) $(INIT_INC) -o $@ init/lifelinectl.c $(LIB_SRC) -lbearssl

$(B)/unit-tests: tests/unit/*.c tests/unit/*.h $(CORE_SRC) $(HDRS) $(LIB_SRC) $(LIB_HDRS) \
		$(PEER_LIB) $(PEER_HDRS) | $(B)
	$(CC) $(BASE) -O1 -g $(INC) -o $@ tests/unit/*.c $(CORE_SRC) $(LIB_SRC) \
		$(PEER_LIB) -lbearssl

$(B)/san/unit-tests: tests/unit/*.c tests/unit/*.h $(CORE_SRC) $(HDRS) $(LIB_SRC) $(LIB_HDRS) \
		$(PEER_LIB) $(PEER_HDRS)
	mkdir -p $(B)/san
	$(CC) $(SAN_CFLAGS) $(INC) -o $@ tests/unit/*.c $(CORE_SRC) $(LIB_SRC) \
		$(PEER_LIB) -lbearssl

$(B)/san/lifeline-peer: $(PEER_SRC) $(PEER_HDRS) $(LIB_SRC) $(LIB_HDRS)
	mkdir -p $(B)/san
	$(CC) $(SAN_CFLAGS) $(PEER_INC) -o $@ $(PEER_SRC) $(LIB_SRC) -lbearssl

# the config parser alone: init/config*.c, what they call, and lib/
CONFIG_SRC = $(filter init/config.c init/config_%.c,$(CORE_SRC)) init/userdb.c
$(B)/fuzz-config: tests/fuzz/fuzz_config.c $(CONFIG_SRC) $(HDRS) $(LIB_SRC) $(LIB_HDRS) | $(B)
	clang $(BASE) -g -O1 -fsanitize=fuzzer,address,undefined $(INIT_INC) -o $@ \
		tests/fuzz/fuzz_config.c $(CONFIG_SRC) lib/fmt.c lib/scan.c lib/ini.c \
		lib/netaddr.c

$(B)/fuzz-keepalive: tests/fuzz/fuzz_keepalive.c $(LIB_SRC) $(LIB_HDRS) | $(B)
	clang $(BASE) -g -O1 -fsanitize=fuzzer,address,undefined -Ilib -o $@ \
		tests/fuzz/fuzz_keepalive.c $(LIB_SRC) -lbearssl

$(B)/fuzz-peerconf: tests/fuzz/fuzz_peerconf.c $(PEER_LIB) $(PEER_HDRS) $(LIB_SRC) $(LIB_HDRS) | $(B)
	clang $(BASE) -g -O1 -fsanitize=fuzzer,address,undefined $(INC) -o $@ \
		tests/fuzz/fuzz_peerconf.c $(PEER_LIB) $(LIB_SRC) -lbearssl

# bearssl.h alone, for musl builds
$(B)/musl-inc/bearssl.h: | $(B)
	mkdir -p $(B)/musl-inc
	ln -sfn /usr/include/bearssl $(B)/musl-inc/bearssl
	ln -sfn /usr/include/bearssl.h $@

# proof that the keepalive module and BearSSL link into a static musl binary
$(B)/ka-selftest: tests/selftest/ka_selftest.c tests/unit/rfc4231.h $(LIB_SRC) $(LIB_HDRS) \
		lib/fortify.c $(B)/musl-inc/bearssl.h
	$(MUSLCC) $(PID1_CFLAGS) -Ilib -I$(B)/musl-inc -o $@ \
		tests/selftest/ka_selftest.c $(LIB_SRC) lib/fortify.c \
		$(BEARSSL_A) $(PID1_LDFLAGS)

# the keepalive protocol from a shell, for the ns and e2e tests (glibc)
$(B)/ka-tool: tests/tools/ka_tool.c $(LIB_SRC) $(LIB_HDRS) | $(B)
	$(CC) $(BASE) -O1 -g -Ilib -o $@ tests/tools/ka_tool.c $(LIB_SRC) \
		-lbearssl

# a stranger holding SSH servers' pre-authentication slots (ns t_peer_flood)
$(B)/tcp-hold: tests/tools/tcp_hold.c | $(B)
	$(CC) $(BASE) -O1 -g -o $@ tests/tools/tcp_hold.c

# a pseudo-terminal standing in for a serial line (ns t_getty)
$(B)/pty-relay: tests/tools/pty_relay.c | $(B)
	$(CC) $(BASE) -O1 -g -o $@ tests/tools/pty_relay.c

man: $(MAN)
$(B)/%: man/%.scd | $(B)
	scdoc < $< > $@

deps:
	sh tests/deps.sh

check-fast: deps all $(B)/unit-tests $(B)/san/unit-tests $(B)/san/lifeline \
		$(B)/san/lifelinectl $(B)/san/lifeline-peer $(B)/fuzz-config $(B)/fuzz-keepalive $(B)/fuzz-peerconf $(B)/ka-selftest $(B)/ka-tool $(B)/tcp-hold \
		$(B)/pty-relay
	sh tests/run.sh fast

check: deps all images $(B)/unit-tests $(B)/san/unit-tests $(B)/san/lifeline \
		$(B)/san/lifelinectl $(B)/san/lifeline-peer $(B)/fuzz-config $(B)/fuzz-keepalive $(B)/fuzz-peerconf $(B)/ka-selftest $(B)/ka-tool $(B)/tcp-hold \
		$(B)/pty-relay
	sh tests/run.sh all

# the Xen dom0 e2e alone (tests/e2e/t_xen_dom0.sh): see README, Tests
check-xen: deps all $(B)/e2e/client_key
	sh tests/run.sh xen

bench: deps all images $(B)/tcp-hold
	sh tests/bench/run.sh

install: all
	install -D -m 0755 $(B)/lifeline $(DESTDIR)$(SBINDIR)/lifeline
	install -D -m 0755 $(B)/lifelinectl $(DESTDIR)$(SBINDIR)/lifelinectl
	install -D -m 0755 $(B)/lifeline-peer $(DESTDIR)$(PREFIX)/sbin/lifeline-peer
	# the network snapshot lifeline takes when it arms the rescue system
	install -D -m 0755 initramfs/netsnap.sh $(DESTDIR)$(PREFIX)/lib/lifeline/netsnap
	install -D -m 0644 configs/peer.conf $(DESTDIR)$(PREFIX)/share/doc/lifeline/peer.conf.example
	# a Xen dom0's units (xenstored, xen-init-dom0, xenconsoled): copied into
	# conf.d by the admin of a dom0 (README "A Xen dom0")
	install -D -m 0644 configs/examples/xen-dom0.conf \
		$(DESTDIR)$(PREFIX)/share/doc/lifeline/xen-dom0.conf.example
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/lifeline/conf.d
	install -m 0644 configs/conf.d/README $(DESTDIR)$(SYSCONFDIR)/lifeline/conf.d/README
	# a GRUB entry with init=/sbin/lifeline, never the default: update-grub
	# adds it, grub-reboot lifeline boots it once (README "Try it once")
	install -D -m 0755 configs/grub.d/41_lifeline $(DESTDIR)$(SYSCONFDIR)/grub.d/41_lifeline
	install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/lifeline/rescue
	# an existing lifeline.conf is the admin's: never overwritten
	test -e $(DESTDIR)$(SYSCONFDIR)/lifeline/lifeline.conf || \
		install -m 0644 configs/lifeline.conf $(DESTDIR)$(SYSCONFDIR)/lifeline/lifeline.conf
	for m in $(MAN); do s=$${m##*.}; \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/$${m##*/} || exit 1; done

# ---- images (issue #4) ----
# KVER: the kernel version to build for; the scripts default to the newest
# one installed (/boot/vmlinuz-*), found when they run, after `make deps`
KVER ?=
RESCUE_KEYDIR ?= /etc/lifeline/rescue
E2E = $(B)/e2e

# RESCUE_ROOT_HASH='$$6$$...', a crypt hash, from the environment or the
# command line, makes the rescue console ask for root's password: passed to
# mkrescue.sh as written (make would expand its $6, $salt...), through the
# environment (not echoed with the recipe)
ifneq ($(value RESCUE_ROOT_HASH),)
override RESCUE_ROOT_HASH := $(value RESCUE_ROOT_HASH)
export RESCUE_ROOT_HASH
endif

# the rescue image for this server: keys from $(RESCUE_KEYDIR), written to
# $(RESCUE_IMG) (default build/rescue.img)
RESCUE_IMG ?= $(B)/rescue.img
rescue-image: all
	KVER=$(KVER) RESCUE_KEYDIR=$(RESCUE_KEYDIR) sh initramfs/mkrescue.sh $(RESCUE_IMG)

# where lifeline's [rescue] image (default) finds it; root only: it holds
# the rescue system's SSH host key.  With it the kernel it was built for
# and the GRUB entry for the boot loader path (where kexec cannot go):
# update-grub afterwards adds the entry (README "Where kexec cannot go")
install-rescue:
	test -s $(RESCUE_IMG) || { echo "make rescue-image first" >&2; exit 1; }
	install -D -m 0600 $(RESCUE_IMG) $(DESTDIR)/boot/lifeline-rescue.img
	if [ -s $(RESCUE_IMG).kver ]; then \
		install -m 0644 $(RESCUE_IMG).kver $(DESTDIR)/boot/lifeline-rescue.kver; \
	else rm -f $(DESTDIR)/boot/lifeline-rescue.kver; fi
	install -D -m 0755 configs/grub.d/42_lifeline-rescue \
		$(DESTDIR)$(SYSCONFDIR)/grub.d/42_lifeline-rescue
	@echo "install-rescue: now run update-grub (the one-shot GRUB entry lifeline-rescue)"

# test and demo images: they let in the test client's key only
$(E2E)/client_key:
	mkdir -p $(E2E)
	ssh-keygen -q -t ed25519 -N '' -C lifeline-e2e -f $@

$(E2E)/rescue.img: $(E2E)/client_key $(B)/lifeline $(B)/lifelinectl initramfs/*.sh rescue/*
	mkdir -p $(E2E)/rescue-keys
	cp $(E2E)/client_key.pub $(E2E)/rescue-keys/authorized_keys
	env -u RESCUE_ROOT_HASH KVER=$(KVER) RESCUE_KEYDIR=$(E2E)/rescue-keys \
		sh initramfs/mkrescue.sh $@

# the console's root password in the e2e tests (t_console): random, made
# once, never in the repository; only its hash goes into the image
$(E2E)/console_password:
	mkdir -p $(E2E)
	(umask 077 && head -c 18 /dev/urandom | base64 | tr -d '+/=' > $@)

# a small rescue image (virtio NIC only) whose console asks for it
$(E2E)/rescue-pw.img: $(E2E)/client_key $(E2E)/console_password $(B)/lifeline $(B)/lifelinectl \
		initramfs/*.sh rescue/*
	mkdir -p $(E2E)/rescue-keys
	cp $(E2E)/client_key.pub $(E2E)/rescue-keys/authorized_keys
	RESCUE_ROOT_HASH="$$(openssl passwd -6 -stdin < $(E2E)/console_password)" \
		KVER=$(KVER) RESCUE_KEYDIR=$(E2E)/rescue-keys RESCUE_DRIVERS="virtio_pci virtio_net" \
		RESCUE_DISK_DRIVERS= RESCUE_FS= sh initramfs/mkrescue.sh $@

$(B)/system.img: $(E2E)/client_key $(E2E)/rescue.img $(B)/lifeline $(B)/lifelinectl \
		initramfs/*.sh initramfs/system/* configs/lifeline.conf tests/e2e/*.c
	KVER=$(KVER) AUTHORIZED_KEYS=$(E2E)/client_key.pub RESCUE_IMG=$(E2E)/rescue.img \
		sh initramfs/mksystem.sh $@

system-image: $(B)/system.img

images: $(B)/system.img $(E2E)/rescue.img $(E2E)/rescue-pw.img

demo: deps all images
	sh tests/e2e/demo.sh

clean:
	rm -rf $(B)

.PHONY: all man deps check check-fast bench install demo clean rescue-image system-image images \
	install-rescue check-xen
