/* userdb.c against fake passwd/group files, so results do not depend on
 * the host. */
#define _GNU_SOURCE
#include "test.h"
#include "userdb.h"

#include <stdlib.h>

static const char *fake_passwd, *fake_group;

void use_fake_userdb(void)
{
	if (!fake_passwd) {
		static char content[4096];
		/* a line longer than userdb's buffer, skipped whole; the last
		 * line has no newline */
		char longline[1500];
		memset(longline, 'x', sizeof longline - 1);
		longline[sizeof longline - 1] = '\0';
		snprintf(content, sizeof content,
			 "root:x:0:0:root:/root:/bin/sh\n"
			 "alice:x:1000:1001:Alice:/home/alice:/bin/sh\n"
			 "toolong:x:1:1::/%s:/bin/sh\n"
			 "broken:x:notanumber:1::/:/bin/sh\n"
			 "short:x:5\n"
			 "lifeline-bob:x:1002:1002::/srv/bob:/bin/false",
			 longline);
		fake_passwd = temp_file(content);
		fake_group = temp_file("root:x:0:\n"
				       "staff:x:50:alice,bob\n"
				       "alice:x:1001:\n"
				       "wheel:x:10:carol,alice\n"
				       "empty:x:60:\n"
				       "lifeline-ops:x:70:lifeline-bob");
	}
	userdb_passwd_path = fake_passwd;
	userdb_group_path = fake_group;
}

void suite_userdb(void)
{
	uid_t uid;
	gid_t gid;
	char home[64];

	use_fake_userdb();
	TEST("userdb: user by name") {
		CHECK_INT(userdb_lookup_user("alice", &uid, &gid, home, sizeof home), 0);
		CHECK_INT(uid, 1000);
		CHECK_INT(gid, 1001);
		CHECK_STR(home, "/home/alice");
		CHECK(userdb_user_exists("alice"));
		CHECK(userdb_user_exists("root"));
	}
	TEST("userdb: last line without newline") {
		CHECK_INT(userdb_lookup_user("lifeline-bob", &uid, &gid, home, sizeof home), 0);
		CHECK_INT(uid, 1002);
		CHECK_STR(home, "/srv/bob");
	}
	TEST("userdb: unknown user") {
		CHECK_INT(userdb_lookup_user("nosuchuser", &uid, &gid, NULL, 0), -1);
		CHECK(!userdb_user_exists("nosuchuser"));
		CHECK(!userdb_user_exists("alic"));
		CHECK(!userdb_user_exists("broken"));
		CHECK(!userdb_user_exists("short"));
		CHECK(!userdb_user_exists(""));
	}
	TEST("userdb: numeric ids") {
		CHECK_INT(userdb_lookup_user("1000", &uid, &gid, home, sizeof home), 0);
		CHECK_INT(uid, 1000);
		CHECK_INT(gid, 1001);
		CHECK_STR(home, "/home/alice");
		CHECK_INT(userdb_lookup_user("4321", &uid, &gid, home, sizeof home), 0);
		CHECK_INT(uid, 4321);
		CHECK_INT(gid, 4321);
		CHECK_STR(home, "/");
		CHECK(!userdb_user_exists("12x"));
	}
	TEST("userdb: a too-long line is skipped whole") {
		/* its first 1023 bytes would make a valid entry */
		CHECK(!userdb_user_exists("toolong"));
		CHECK_INT(userdb_lookup_user("1", &uid, &gid, home, sizeof home), 0);
		CHECK_STR(home, "/");   /* not found in the file: bare number */
	}
	TEST("userdb: home that does not fit is left empty") {
		char tiny[4];
		CHECK_INT(userdb_lookup_user("alice", &uid, &gid, tiny, sizeof tiny), 0);
		CHECK_STR(tiny, "");
	}
	TEST("userdb: groups") {
		CHECK_INT(userdb_lookup_group("staff", &gid), 0);
		CHECK_INT(gid, 50);
		CHECK_INT(userdb_lookup_group("70", &gid), 0);
		CHECK_INT(gid, 70);
		CHECK_INT(userdb_lookup_group("lifeline-ops", &gid), 0);
		CHECK_INT(gid, 70);
		CHECK_INT(userdb_lookup_group("nosuchgroup", &gid), -1);
		CHECK(userdb_group_exists("wheel"));
		CHECK(!userdb_group_exists("nosuchgroup"));
	}
	TEST("userdb: supplementary groups") {
		gid_t g[8];
		int n = userdb_groups_of("alice", 1001, g, 8);
		CHECK_INT(n, 3);
		if (n == 3) {
			CHECK_INT(g[0], 1001);
			CHECK_INT(g[1], 50);
			CHECK_INT(g[2], 10);
		}
		CHECK_INT(userdb_groups_of("bob", 50, g, 8), 1);  /* primary only */
		CHECK_INT(userdb_groups_of("carol", 5, g, 2), 2);
		CHECK_INT(g[1], 10);
		CHECK_INT(userdb_groups_of("alice", 1001, g, 1), 1);
		CHECK_INT(userdb_groups_of("ali", 1001, g, 8), 1);
	}
	TEST("userdb: missing files") {
		userdb_passwd_path = "/nonexistent/passwd";
		userdb_group_path = "/nonexistent/group";
		CHECK(!userdb_user_exists("alice"));
		CHECK(userdb_user_exists("0"));
		CHECK(!userdb_group_exists("staff"));
		use_fake_userdb();
	}
}
