/* Arming the rescue system (rescue.c) as far as a unit test can go: in a
 * temporary directory, as a process that is not the machine's PID 1, so
 * every step but kexec_file_load runs for real (the keepalive files, the
 * snapshot child and its timeout, the archive, the initrd, the command
 * line), then rescue_now, which must refuse to reboot.  The load itself is
 * tested in QEMU (tests/e2e/t_escalate*.sh). */
#include "test.h"
#include "keepalive.h"
#include "log.h"
#include "outbuf.h"
#include "rescue.h"
#include "rescuefiles.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* from t_initrd.c */
struct cpio_entry {
	char name[128];
	uint32_t ino, mode, uid, gid, nlink, mtime, size, namesize;
	const unsigned char *data;
};
int cpio_parse(const unsigned char *buf, size_t len, struct cpio_entry *e, int max,
	       char *why, size_t whycap);
unsigned char *slurp(const char *path, size_t *len);
int cpio_extract(const char *path, const char *dir);

#define KEYHEX "00112233445566778899aabbccddeeff0123456789abcdef0f1e2d3c4b5a6978"

static struct config cfg;
static struct capture cap;
static char dir[256], run[300], img[300], kern[300], key[300], snap[300];

static int load(const char *more)
{
	char text[2048];
	snprintf(text, sizeof text,
		 "[keepalive]\npeer = 192.0.2.10:7500\npeer = [2001:db8::1]:7600\nhost = web1\n"
		 "key = %s\ninterval = 1500ms\nquorum = 2\nquorum_window = 30s\n"
		 "[rescue]\nimage = %s\nkernel = %s\nsnapshot = %s\ncmdline = loglevel=7\n"
		 "port = 2200\n%s", key, img, kern, snap, more);
	return rfix_parse(&cfg, text);
}

static void path_of(char *out, size_t outcap, const char *name)
{
	snprintf(out, outcap, "%s/%s", run, name);
}

void suite_rescue(void)
{
	char p[500], why[160];
	struct stat st;
	snprintf(dir, sizeof dir, "%s", temp_dir());
	snprintf(run, sizeof run, "%s/rescue", dir);
	snprintf(img, sizeof img, "%s/rescue.img", dir);
	snprintf(kern, sizeof kern, "%s/vmlinuz-6.1.0-test", dir);
	snprintf(key, sizeof key, "%s/keepalive.key", dir);
	snprintf(snap, sizeof snap, "%s/netsnap.sh", dir);
	rfix_put_text(img, "RESCUE-IMAGE", 0644);       /* 12 bytes: no padding */
	rfix_put_text(kern, "KERNEL", 0644);
	rfix_put_text(key, KEYHEX "\n", 0600);
	rfix_put_text(snap, "#!/bin/sh\nprintf 'lifeline-netsnap 1\\nhostname web1\\n"
	    "link eth0 52:54:00:12:34:56 mtu 1500\\naddr eth0 192.0.2.5/24\\n"
	    "link eth1 52:54:00:12:34:57\\n' > \"$1\"\n", 0755);
	rescue_set_dir(run);

	TEST("rescue: the rescue system's keepalive.conf parses to the same peers") {
		if (load("") == 0) {
			char text[2048];
			int n = rescuefiles_keepalive_conf(&cfg.ka, "web1", text, sizeof text);
			CHECK(n > 0);
			struct config out;
			struct config_parser pp;
			struct capture cc;
			CHECK_INT(parse_text(&pp, &out, &cc, text, n), 0);
			CHECK_INT(out.ka.present, 1);
			CHECK_INT(out.ka.rescue, 1);
			CHECK_STR(out.ka.host, "web1");
			CHECK_STR(out.ka.key, "/etc/rescue/keepalive.key");
			CHECK_INT(out.ka.npeers, 2);
			for (int i = 0; i < 2; i++) {
				CHECK_INT(out.ka.peer[i].family, cfg.ka.peer[i].family);
				CHECK_INT(out.ka.peer[i].port, cfg.ka.peer[i].port);
				CHECK(!memcmp(out.ka.peer[i].addr, cfg.ka.peer[i].addr, 16));
			}
			CHECK_INT(out.ka.interval_ms, 1500);
			CHECK_INT(out.ka.quorum, 2);
			CHECK_INT(out.ka.quorum_window_ms, 30000);
			CHECK_INT(rescuefiles_keepalive_conf(&cfg.ka, "web1", text, 100), -1);
			CHECK_STR(out.ka.peer[0].key, "");
			/* a peer with a key of its own: the rescue system's copy of it */
			snprintf(cfg.ka.peer[1].key, sizeof cfg.ka.peer[1].key, "/etc/lifeline/b.key");
			n = rescuefiles_keepalive_conf(&cfg.ka, "web1", text, sizeof text);
			CHECK_INT(parse_text(&pp, &out, &cc, text, n), 0);
			CHECK_STR(out.ka.peer[0].key, "");
			CHECK_STR(out.ka.peer[1].key, "/etc/rescue/keepalive-2.key");
			cfg.ka.peer[1].key[0] = '\0';
		}
	}

	TEST("rescue: one clear message per kexec_file_load error") {
		char m[200];
		rescue_kexec_error(ENOSYS, 0, "/boot/vmlinuz-x", m, sizeof m);
		CHECK_STR(m, "kexec: this kernel has no kexec_file_load");
		rescue_kexec_error(EKEYREJECTED, 0, "/boot/vmlinuz-x", m, sizeof m);
		CHECK_CONTAINS(m, "/boot/vmlinuz-x is not signed with a key this kernel trusts");
		rescue_kexec_error(ENOMEM, 1, "/boot/vmlinuz-x", m, sizeof m);
		CHECK_CONTAINS(m, "crash kernel: the memory crashkernel= reserved is too small");
		rescue_kexec_error(EADDRNOTAVAIL, 1, "/boot/vmlinuz-x", m, sizeof m);
		CHECK_CONTAINS(m, "crashkernel= reserved is too small");
		rescue_kexec_error(EPERM, 0, "/boot/vmlinuz-x", m, sizeof m);
		CHECK(strstr(m, "kexec_load_disabled") || strstr(m, "lockdown"));
		rescue_kexec_error(ENOEXEC, 0, "/boot/vmlinuz-x", m, sizeof m);
		CHECK_CONTAINS(m, "not a kernel image");
		rescue_kexec_error(EBUSY, 1, "/boot/vmlinuz-x", m, sizeof m);
		CHECK_CONTAINS(m, "crash kernel: kexec_file_load: ");
	}

	TEST("rescue: off without [rescue]") {
		rfix_off(0);
		CHECK_STR(rfix_text(0), "");
		CHECK_CONTAINS(rfix_json(0), "\"rescue\":{\"enabled\":false,\"state\":\"off\"");
		CHECK_INT(rescue_next_deadline(), 0);
	}

	TEST("rescue: not armed before the boot tasks are done") {
		if (load("") == 0) {
			rescue_configure(&cfg, 0, 1000);
			CHECK_STR(rfix_text(1000), "rescue: NOT ARMED: waiting for the boot tasks; "
				  "a verdict reboots the host\n");
			CHECK_CONTAINS(rfix_json(1000), "\"state\":\"unarmed\"");
		}
	}

	TEST("rescue: arming runs the snapshot as a child, then prepares the initrd") {
		uint64_t cur = log_ring_head();
		rescue_boot_done(2000);
		CHECK_STR(rfix_text(2000), "rescue: arming (snapshot running)\n");
		CHECK_INT(rescue_next_deadline(), 12000);
		/* the key and conf are written before the snapshot starts */
		path_of(p, sizeof p, "keepalive.key");
		CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600);
		CHECK(stat(run, &st) == 0 && (st.st_mode & 07777) == 0700);
		CHECK_INT(rfix_reap(2500), 1);
		CHECK_INT(rescue_next_deadline(), 0);
		const char *t = rfix_text(3500);
		CHECK_CONTAINS(t, "rescue: prepared 1.0s ago, not loaded (not the machine's PID 1): "
			       "6.1.0-test + ");
		CHECK_CONTAINS(t, "snapshot: 2 links, keepalives: yes)");
		const char *j = rfix_json(3500);
		CHECK_CONTAINS(j, "\"state\":\"not-loaded\",\"kexec\":false,\"crash\":\"not-loaded\"");
		CHECK_CONTAINS(j, "\"snapshot\":true,\"snapshot_links\":2,\"keepalive\":true");
		CHECK_CONTAINS(j, "lifeline.rescue_port=2200 loglevel=7\"");
		char logbuf[4096];
		size_t n = log_ring_read(&cur, logbuf, sizeof logbuf - 1);
		logbuf[n] = '\0';
		CHECK_CONTAINS(logbuf, "not loaded (not the machine's PID 1)");
	}

	TEST("rescue: the key file holds the key, the conf the rescue system's keepalives") {
		char text[256];
		uint8_t k1[KA_KEY_SIZE], k2[KA_KEY_SIZE];
		path_of(p, sizeof p, "keepalive.key");
		CHECK_INT(ka_key_load(p, k1, why, sizeof why), 0);
		CHECK_INT(ka_key_load(key, k2, why, sizeof why), 0);
		CHECK(!memcmp(k1, k2, sizeof k1));
		path_of(p, sizeof p, "keepalive.conf");
		CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0644);
		struct config out;
		int miss = 0;
		CHECK_INT(config_load(&out, p, capture_report, &cap, &miss), 0);
		CHECK_INT(out.ka.rescue, 1);
		CHECK_INT(out.ka.npeers, 2);
		CHECK_STR(out.ka.peer[1].text, "[2001:db8::1]:7600");
		(void)text;
	}

	TEST("rescue: extra.cpio holds the three files; the initrd is the image + it") {
		size_t len;
		path_of(p, sizeof p, "extra.cpio");
		unsigned char *b = slurp(p, &len);
		struct cpio_entry e[4];
		int n = b ? cpio_parse(b, len, e, 4, why, sizeof why) : -1;
		CHECK_MSG(n == 3, "%d entries: %s", n, why);
		if (n == 3) {
			CHECK_STR(e[0].name, "etc/rescue/netsnap");
			CHECK_INT(e[0].mode, 0100644);
			CHECK(!memcmp(e[0].data, "lifeline-netsnap 1\nhostname web1\n", 33));
			CHECK_STR(e[1].name, "etc/rescue/keepalive.conf");
			CHECK_INT(e[1].mode, 0100644);
			CHECK_STR(e[2].name, "etc/rescue/keepalive.key");
			CHECK_INT(e[2].mode, 0100600);
			CHECK_INT(e[2].size, 65);
			CHECK(!memcmp(e[2].data, KEYHEX "\n", 65));
		}
		char want[64];
		snprintf(want, sizeof want, "\"initrd_bytes\":%zu,", 12 + len);
		CHECK_CONTAINS(rfix_json(4000), want);
		/* and Debian's cpio agrees */
		char out[300];
		snprintf(out, sizeof out, "%s/x", dir);
		mkdir(out, 0755);
		CHECK_INT(cpio_extract(p, out), 0);
		snprintf(p, sizeof p, "%s/etc/rescue/keepalive.key", out);
		CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_size == 65);
		free(b);
	}

	TEST("rescue: rescue now as a namespace's or subreaper's init: logged, no reboot") {
		uint64_t cur = log_ring_head();
		rescue_now("verdict from 192.0.2.10:7500");
		char logbuf[2048];
		size_t n = log_ring_read(&cur, logbuf, sizeof logbuf - 1);
		logbuf[n] = '\0';
		CHECK_CONTAINS(logbuf, "verdict from 192.0.2.10:7500: booting the rescue system");
		CHECK_CONTAINS(logbuf, "not the machine's PID 1: not booting the rescue system");
		CHECK_CONTAINS(rfix_text(5000), "rescue: verdicts acted on: 1 (not PID 1)\n");
		CHECK_CONTAINS(rfix_json(5000), "\"escalations\":0,\"not_pid1\":1}");
	}

	TEST("rescue: a reload with a changed [rescue] arms again, an unchanged one does not") {
		if (load("") == 0) {
			rescue_configure(&cfg, 0, 6000);
			CHECK_CONTAINS(rfix_text(6000), "prepared ");     /* unchanged */
			load("crash = no\n");
			rescue_configure(&cfg, 0, 7000);
			CHECK_CONTAINS(rfix_text(7000), "rescue: arming (snapshot running)\n");
			CHECK_INT(rfix_reap(7100), 1);
			CHECK_CONTAINS(rfix_text(7100), "prepared 0ms ago");
		}
	}

	TEST("rescue: rescue arm while arming is refused, else it arms again") {
		char buf[1024];
		struct outbuf o;
		ob_init(&o, buf, sizeof buf);
		rescue_arm(&o, 8000);
		CHECK(!strncmp(buf, "ok\nrescue: arming (snapshot running)\n", 37));
		ob_init(&o, buf, sizeof buf);
		rescue_arm(&o, 8001);
		CHECK_STR(buf, "error: arming already (the network snapshot runs)\n");
		CHECK_INT(rfix_reap(8100), 1);
	}

	TEST("rescue: a failing snapshot is logged; arming goes on without it") {
		rfix_put_text(snap, "#!/bin/sh\necho 'netsnap: ip is missing' >&2\nexit 3\n", 0755);
		rescue_arm(NULL, 9000);
		CHECK_INT(rfix_reap(9100), 1);
		const char *t = rfix_text(9100);
		CHECK_CONTAINS(t, "snapshot: none, keepalives: yes)");
		CHECK_CONTAINS(t, "rescue: note: network snapshot failed (exit status 3: netsnap: "
			       "ip is missing): the rescue system uses ip= or DHCP\n");
		path_of(p, sizeof p, "netsnap");
		CHECK(stat(p, &st) < 0);
		size_t len;
		path_of(p, sizeof p, "extra.cpio");
		unsigned char *b = slurp(p, &len);
		struct cpio_entry e[4];
		CHECK_INT(b ? cpio_parse(b, len, e, 4, why, sizeof why) : -1, 2);
		free(b);
	}

	TEST("rescue: a snapshot that hangs is killed after 10 s") {
		rfix_put_text(snap, "#!/bin/sh\nexec sleep 60\n", 0755);
		rescue_arm(NULL, 10000);
		rescue_tick(19999);
		CHECK_CONTAINS(rfix_text(19999), "rescue: arming (snapshot running)\n");
		rescue_tick(20000);             /* SIGKILL */
		CHECK_INT(rfix_reap(20100), 1);
		CHECK_CONTAINS(rfix_text(20100), "network snapshot failed (took more than 10s: "
			       "killed)");
	}

	TEST("rescue: no snapshot program: arming is immediate") {
		load("snapshot = no\n");
		rescue_configure(&cfg, 0, 21000);
		CHECK_CONTAINS(rfix_text(21000), "prepared 0ms ago, not loaded");
		CHECK_NOT_CONTAINS(rfix_text(21000), "note:");
	}

	TEST("rescue: a key others can read is refused: no keepalive files, a note") {
		chmod(key, 0644);
		rescue_arm(NULL, 22000);
		chmod(key, 0600);
		path_of(p, sizeof p, "keepalive.key");
		CHECK(stat(p, &st) < 0);
		path_of(p, sizeof p, "keepalive.conf");
		CHECK(stat(p, &st) < 0);
		CHECK_CONTAINS(rfix_text(22000), "keepalives: no)");
		CHECK_CONTAINS(rfix_text(22000), "the rescue system sends no keepalives");
	}

	TEST("rescue: a missing image or kernel: NOT ARMED with the reason") {
		char text[400];
		snprintf(text, sizeof text, "snapshot = no\nimage = %s/missing.img\n", dir);
		load(text);
		rescue_configure(&cfg, 0, 23000);
		CHECK_CONTAINS(rfix_text(23000), "rescue: NOT ARMED: image ");
		CHECK_CONTAINS(rfix_text(23000), "missing.img: No such file or directory "
			       "(make rescue-image install-rescue); a verdict reboots the host\n");
		CHECK_CONTAINS(rfix_json(23000), "\"state\":\"failed\"");
		snprintf(text, sizeof text, "snapshot = no\nkernel = %s/vmlinuz-none\n", dir);
		load(text);
		rescue_configure(&cfg, 0, 24000);
		CHECK_CONTAINS(rfix_text(24000), "vmlinuz-none: No such file or directory");
	}

	TEST("rescue: [rescue] cmdline reaches the rescue command line whole") {
		char text[700];
		memset(text, 0, sizeof text);
		strcpy(text, "snapshot = no\ncmdline = ");
		size_t n = strlen(text);
		memset(text + n, 'x', 500);
		strcpy(text + n + 500, "\n");
		/* too long a line is refused: see t_kcmdline.c (this one fits) */
		load(text);
		CHECK_INT((int)strlen(cfg.rescue.cmdline), 500);
		rescue_configure(&cfg, 0, 25000);
		CHECK_CONTAINS(rfix_json(25000), "xxxxxxxx\"");
	}

	TEST("rescue: as the machine's init: the load runs in a child; garbage is refused") {
		/* "KERNEL" is no kernel: kexec_file_load refuses it (ENOEXEC; EPERM
		 * without CAP_SYS_BOOT; ENOSYS without kexec), nothing is loaded */
		load("snapshot = no\ncrash = no\nmethod = kexec\n");
		rescue_configure(&cfg, 1, 27000);
		const char *t = rfix_text(27000);
		if (strstr(t, "loading the kernel")) {
			CHECK_INT(rfix_reap(27500), 1);
			t = rfix_text(27500);
		} else {
			FAIL("no load started: %s", t);
		}
		CHECK_CONTAINS(t, "rescue: NOT ARMED: kexec: ");
		CHECK_CONTAINS(t, "; a verdict reboots the host\n");
		CHECK(strstr(t, "is not a kernel image") || strstr(t, "not permitted") ||
		      strstr(t, "no kexec_file_load"));
		CHECK_CONTAINS(rfix_json(27500), "\"state\":\"failed\",\"kexec\":false,"
			       "\"crash\":\"off\"");
		rescue_configure(&cfg, 0, 28000);       /* never a machine again here */
	}

	TEST("rescue: [rescue] removed by a reload: off") {
		rfix_off(0);
		CHECK_STR(rfix_text(26000), "rescue: off; verdicts acted on: 1 (not PID 1)\n");
		CHECK_CONTAINS(rfix_json(26000), "\"enabled\":false,\"state\":\"off\"");
	}
	rescue_set_dir(RESCUE_DIR);
}
