/* The files the rescue system gets from the running one, written when
 * arming into lifeline's run directory (RESCUE_DIR, rescue.h) and added
 * to the rescue image as an archive: what it needs to send keepalives
 * (keepalive.conf, the keys) and the network snapshot. */
#ifndef LIFELINE_RESCUEFILES_H
#define LIFELINE_RESCUEFILES_H
#include "config.h"
#include <stdint.h>

/* Where the rescue system finds the key (the archive puts it there). */
#define RESCUE_KEY_PATH "/etc/rescue/keepalive.key"
/* ... and a peer's own key, N its place in [keepalive] from 1 */
#define RESCUE_PEER_KEY_FMT "/etc/rescue/keepalive-%d.key"

/* The rescue system's [keepalive]: the same peers (a peer with a key of
 * its own with RESCUE_PEER_KEY_FMT), interval and quorum, host as given,
 * key RESCUE_KEY_PATH, system = rescue.  Its length, or -1
 * if cap is too small. */
int rescuefiles_keepalive_conf(const struct keepalive_conf *ka, const char *host,
			       char *out, int cap);
/* keepalive.conf and the keys (0600) into dir, after removing earlier
 * ones.  1 if written; 0 if [keepalive] is off, or with the reason in
 * note (then none are left: the rescue system sends no keepalives). */
int rescuefiles_write_keepalive(const char *dir, const struct keepalive_conf *ka, char *note,
				int cap);
/* A newc archive of from/{netsnap,keepalive.conf,keepalive.key,
 * keepalive-1.key .. keepalive-8.key}, those
 * that exist, as etc/rescue/NAME, into fd.  The number of files, or -1
 * (errno set). */
int rescuefiles_cpio(int fd, const char *from, uint32_t mtime);

#endif
