/* Users and groups from /etc/passwd and /etc/group, read with fixed
 * buffers (libc's getpwnam may allocate).  Numeric ids are accepted. */
#ifndef LIFELINE_USERDB_H
#define LIFELINE_USERDB_H
#include <sys/types.h>

int userdb_user_exists(const char *name);
int userdb_group_exists(const char *name);
/* 0 found, -1 not found. home may be NULL. */
int userdb_lookup_user(const char *name, uid_t *uid, gid_t *gid,
		       char *home, int home_cap);
int userdb_lookup_group(const char *name, gid_t *gid);
/* Supplementary groups listing user as a member; returns count. */
int userdb_groups_of(const char *user, gid_t primary, gid_t *out, int max);

/* Files read; tests point these elsewhere. */
extern const char *userdb_passwd_path;
extern const char *userdb_group_path;

#endif
