/* See userdb.h.  Lines longer than the line buffer are skipped whole. */
#define _GNU_SOURCE
#include "userdb.h"
#include "scan.h"
#include "sizes.h"

#include <errno.h>
#include <string.h>

const char *userdb_passwd_path = "/etc/passwd";
const char *userdb_group_path = "/etc/group";

#define MAX_FIELDS 7

typedef int (*line_fn)(void *ctx, char **f, int nf);

struct split {
	line_fn fn;
	void *ctx;
};

static int split_line(void *vctx, char *line)
{
	struct split *s = vctx;
	char *f[MAX_FIELDS];
	int nf = 0;
	if (!*line)
		return 0;
	f[nf++] = line;
	for (char *c = line; *c && nf < MAX_FIELDS; c++)
		if (*c == ':') {
			*c = '\0';
			f[nf++] = c + 1;
		}
	return s->fn(s->ctx, f, nf);
}

/* Calls fn for each line split on ':'; stops when fn returns non-zero. */
static int scan(const char *path, line_fn fn, void *ctx)
{
	static char buf[1024];
	struct split s = { fn, ctx };
	int r = scan_lines(path, buf, sizeof buf, split_line, &s);
	return r < 0 ? 0 : r;
}

static int numeric(const char *s, unsigned long *out)
{
	const char *end;
	if (!*s || *s < '0' || *s > '9')
		return 0;
	uint64_t v = scan_uint(s, 10, &end);
	*out = (unsigned long)v;
	return !*end && v < 0xffffffffULL;
}

struct user_q {
	const char *name;
	uid_t uid;
	gid_t gid;
	char *home;
	int home_cap;
	int found;
};

static int user_line(void *ctx, char **f, int nf)
{
	struct user_q *q = ctx;
	unsigned long v;
	if (nf < 6)
		return 0;
	if (strcmp(f[0], q->name) != 0 && !(numeric(q->name, &v) && numeric(f[2], &v) &&
				       !strcmp(f[2], q->name)))
		return 0;
	if (!numeric(f[2], &v))
		return 0;
	q->uid = (uid_t)v;
	if (!numeric(f[3], &v))
		return 0;
	q->gid = (gid_t)v;
	if (q->home && q->home_cap > 0) {
		size_t l = strlen(f[5]);
		if ((int)l >= q->home_cap)
			l = 0;
		memcpy(q->home, f[5], l);
		q->home[l] = '\0';
	}
	q->found = 1;
	return 1;
}

int userdb_lookup_user(const char *name, uid_t *uid, gid_t *gid,
		       char *home, int home_cap)
{
	struct user_q q = { name, 0, 0, home, home_cap, 0 };
	scan(userdb_passwd_path, user_line, &q);
	if (!q.found) {
		unsigned long v;
		/* a bare number need not be in /etc/passwd */
		if (!numeric(name, &v))
			return -1;
		q.uid = (uid_t)v;
		q.gid = (gid_t)v;
		if (home && home_cap > 1)
			strcpy(home, "/");
	}
	*uid = q.uid;
	*gid = q.gid;
	return 0;
}

struct group_q {
	const char *name;
	gid_t gid;
	int found;
	/* membership scan */
	const char *user;
	gid_t primary;
	gid_t *out;
	int max, n;
};

static int group_line(void *ctx, char **f, int nf)
{
	struct group_q *q = ctx;
	unsigned long v;
	if (nf < 3 || !numeric(f[2], &v))
		return 0;
	if (strcmp(f[0], q->name) != 0 && strcmp(f[2], q->name) != 0)
		return 0;
	q->gid = (gid_t)v;
	q->found = 1;
	return 1;
}

int userdb_lookup_group(const char *name, gid_t *gid)
{
	struct group_q q = { .name = name };
	scan(userdb_group_path, group_line, &q);
	if (!q.found) {
		unsigned long v;
		if (!numeric(name, &v))
			return -1;
		q.gid = (gid_t)v;
	}
	*gid = q.gid;
	return 0;
}

static int member_line(void *ctx, char **f, int nf)
{
	struct group_q *q = ctx;
	unsigned long v;
	if (nf < 4 || !numeric(f[2], &v) || (gid_t)v == q->primary)
		return 0;
	size_t ul = strlen(q->user);
	for (char *m = f[3]; *m;) {
		char *e = strchr(m, ',');
		size_t ml = e ? (size_t)(e - m) : strlen(m);
		if (ml == ul && !strncmp(m, q->user, ul)) {
			if (q->n < q->max)
				q->out[q->n++] = (gid_t)v;
			break;
		}
		if (!e)
			break;
		m = e + 1;
	}
	return q->n >= q->max;
}

int userdb_groups_of(const char *user, gid_t primary, gid_t *out, int max)
{
	struct group_q q = { .user = user, .primary = primary, .out = out, .max = max };
	if (max < 1)
		return 0;
	out[q.n++] = primary;
	scan(userdb_group_path, member_line, &q);
	return q.n;
}

int userdb_user_exists(const char *name)
{
	uid_t u;
	gid_t g;
	return userdb_lookup_user(name, &u, &g, NULL, 0) == 0;
}

int userdb_group_exists(const char *name)
{
	gid_t g;
	return userdb_lookup_group(name, &g) == 0;
}
