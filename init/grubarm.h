/* Arming the GRUB one-shot path, where kexec cannot go (rescue.c decides
 * when): the checks that GRUB can boot the rescue entry once and clear
 * it, and the writes (the command line into grubenv, the archive to
 * [rescue] armed_image).  A verdict's own write is grubenv_commit. */
#ifndef LIFELINE_GRUBARM_H
#define LIFELINE_GRUBARM_H
#include "config.h"

/* The grubenv variable 42_lifeline-rescue passes to the rescue kernel */
#define GRUB_ARGS_VAR "lifeline_rescue_args"

/* A grub.cfg line that is a menuentry with --id ID (or, as grub-mkconfig
 * writes it, $menuentry_id_option 'ID'): 1; else 0. */
int grubarm_cfg_entry(const char *line, const char *id);
/* Check rc's grubenv (a whole block, not on btrfs, ZFS, LVM, md...),
 * grub.cfg (the entry, Debian's clearing of next_entry) and image; set
 * GRUB_ARGS_VAR to cmdline (which must do without quotes, backslashes,
 * * and ?) with room left for next_entry; copy the archive at extra to
 * armed_image, synced.  0, or -1 with the reason in err.  Blocking disk
 * I/O: call it in a child. */
int grubarm_prepare(const struct rescue_conf *rc, const char *cmdline, const char *extra,
		    char *err, int cap);

#endif
