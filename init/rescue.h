/* Rescue escalation on the host: arming (kexec_file_load of the kernel with
 * the rescue image, extended with the network snapshot and the keepalive
 * settings, and the same as crash kernel where crashkernel= reserved
 * memory), and booting it on a verdict (rescue_now): sync, then
 * reboot(LINUX_REBOOT_CMD_KEXEC); where kexec cannot go (method = grub,
 * or auto with kexec impossible or refused), the boot loader path: GRUB's
 * one-shot next_entry written into grubenv, then a reboot; else the crash
 * kernel (sysrq-c), else a plain reboot.  Everything is prepared when arming; nothing is allocated
 * when it is needed. */
#ifndef LIFELINE_RESCUE_H
#define LIFELINE_RESCUE_H
#include "config.h"
#include "outbuf.h"
#include <sys/types.h>
#include <stdint.h>

/* From the active config, at boot and after a reload.  machine: lifeline
 * is the machine's PID 1 (not a namespace's, not a subreaper); only then
 * does it arm or reboot for real. */
void rescue_configure(const struct config *c, int machine, uint64_t now);
/* The boot tasks are done: arm, if [rescue] says so. */
void rescue_boot_done(uint64_t now);
/* Start arming (again): `lifelinectl rescue arm`.  An answer for the
 * control connection goes to o when o is not NULL. */
void rescue_arm(struct outbuf *o, uint64_t now);
/* Boot the rescue system now; reason goes to the log.  Does not return
 * when it works on the machine's PID 1. */
void rescue_now(const char *reason);
/* A child lifeline itself started for arming (the network snapshot):
 * 1 if pid was one, 0 otherwise. */
int rescue_child_exited(pid_t pid, int status, uint64_t now);
void rescue_tick(uint64_t now);
uint64_t rescue_next_deadline(void);

void rescue_status_text(struct outbuf *o, uint64_t now);
void rescue_status_json(struct outbuf *o, uint64_t now);

/* ---- the pieces of arming, for the unit tests ---- */

/* Where arming writes keepalive.conf, keepalive.key (0600), netsnap and
 * extra.cpio (the archive appended to the image); 0700. */
#define RESCUE_DIR "/run/lifeline/rescue"
void rescue_set_dir(const char *dir);
/* The message for a kexec_file_load error. */
void rescue_kexec_error(int err, int crash, const char *kernel, char *out, int cap);

#endif
