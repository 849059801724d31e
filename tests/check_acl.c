/* check_acl.c - access rules per uid and group (acl-uid, acl-gid,
 * acl-default), lock token secrecy, the ACL command, and the rule
 * directives' parsing.
 *
 * Daemon tests run the real cachifyd and talk to it as several users: the
 * tests run as root, so a forked child takes another uid, gid and groups,
 * connects (SO_PEERCRED and SO_PEERGROUPS are what it was at connect) and
 * hands the socket back over SCM_RIGHTS; the test then speaks for that
 * user with the ordinary harness calls. Rule parsing is also checked in
 * process, without a daemon.
 */
#include <check.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acl.h"
#include "check_suites.h"
#include "config.h"
#include "harness.h"

#define T_OTHER_UID 4242 /* a uid without a passwd entry: shown as "uid 4242" */
#define T_LOG_MAX   128	 /* ACL_LOG_MAX, as documented in PROTOCOL.md */
#define T_SCAN_KEYS 5	 /* keys of each application in the SCAN test */

/* ---- users ------------------------------------------------------------------ */

struct user {
	uid_t uid;
	gid_t gid;
	gid_t groups[4];
	size_t ngroups;
};

static struct user nobody(void)
{
	struct passwd *pw = getpwnam("nobody");
	struct user u = {0};

	ck_assert_msg(pw != NULL, "no user nobody");
	u.uid = pw->pw_uid;
	u.gid = pw->pw_gid;
	return u;
}

static struct user other(void)
{
	struct user u = {.uid = T_OTHER_UID, .gid = T_OTHER_UID};

	ck_assert_msg(getpwuid(T_OTHER_UID) == NULL, "uid %d has a passwd entry", T_OTHER_UID);
	return u;
}

/* ---- a daemon others can reach ------------------------------------------------ */

struct env {
	struct h_daemon *d;
	char pub[H_PATH_MAX]; /* mode 0755 under /tmp: every uid can reach the socket */
	char conf[H_PATH_MAX + 16];
};

/* Starts cachifyd with conf_text as its file, open to every uid. */
static void env_start(struct env *e, const char *conf_text)
{
	const char *args[] = {"-c", e->conf, "--unixsocketperm", "0666", "--allow-uid", "*", NULL};

	ck_assert_msg(getuid() == 0, "these tests take other uids: run them as root");
	e->d = h_daemon_new();
	snprintf(e->pub, sizeof e->pub, "/tmp/cachify-acl.XXXXXX");
	ck_assert_msg(mkdtemp(e->pub) != NULL, "mkdtemp: %s", strerror(errno));
	ck_assert_int_eq(chmod(e->pub, 0755), 0);
	ck_assert_int_lt(snprintf(e->d->sock, sizeof e->d->sock, "%s/sock", e->pub),
			 (int)sizeof e->d->sock);
	snprintf(e->conf, sizeof e->conf, "%s/acl.conf", e->d->dir);
	h_write_file(e->conf, conf_text);
	h_daemon_spawn(e->d, args);
	h_daemon_wait_ready(e->d);
}

static void env_stop(struct env *e)
{
	h_daemon_finish(e->d);
	h_rm_rf(e->pub);
}

/* The child's half: become u, connect, send the socket over sv. */
static void child_connect(int sv, const char *sock, const struct user *u)
{
	char byte = 0;
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof cbuf};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int fd;

	/* Groups first: once the uid is gone, so is the right to set them. */
	if (setgroups(u->ngroups, u->groups) != 0 || setresgid(u->gid, u->gid, u->gid) != 0 ||
	    setresuid(u->uid, u->uid, u->uid) != 0)
		_exit(2);
	fd = h_connect_fd(sock);
	if (fd < 0)
		_exit(3);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	_exit(sendmsg(sv, &mh, 0) == 1 ? 0 : 4);
}

/* A client connected as u (new: h_close it). */
static struct h_client *connect_as(const struct env *e, const struct user *u)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof cbuf};
	struct h_client *c;
	struct cmsghdr *cm;
	int sv[2], status, fd = -1;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fflush(NULL);
	pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(sv[0]);
		child_connect(sv[1], e->d->sock, u);
	}
	close(sv[1]);
	if (recvmsg(sv[0], &mh, 0) == 1 && (cm = CMSG_FIRSTHDR(&mh)) != NULL &&
	    cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	close(sv[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "connecting as uid %u failed: status 0x%x", (unsigned)u->uid, status);
	ck_assert_int_ge(fd, 0);
	c = calloc(1, sizeof *c);
	ck_assert_ptr_nonnull(c);
	c->fd = fd;
	c->timeout_ms = H_TIMEOUT_MS * h_slow();
	resp_reader_init(&c->rd);
	snprintf(c->where, sizeof c->where, "%s as uid %u", e->d->sock, (unsigned)u->uid);
	return c;
}

/* ---- reply helpers ---------------------------------------------------------------- */

/* The value of field in a flat field/value array reply (borrowed from r). */
static const struct resp_reply *field(const struct resp_reply *r, const char *name)
{
	ck_assert_int_eq(r->type, RESP_ARRAY);
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (strcmp(r->element[i]->str, name) == 0)
			return r->element[i + 1];
	ck_abort_msg("no field %s", name);
	return NULL;
}

/* LOCK.ACQUIRE key TOKEN token: asserts the grant. */
static void acquire(struct h_client *c, const char *key, const char *token)
{
	struct resp_reply *r = h_call(c, "LOCK.ACQUIRE", key, "TOKEN", token, "PX", "100000");

	ck_assert_msg(r->type == RESP_ARRAY && r->elements == 2, "LOCK.ACQUIRE %s failed", key);
	ck_assert_str_eq(r->element[0]->str, token);
	resp_reply_free(r);
}

/* POOL.ACQUIRE key 2: the slot id (static buffer). */
static const char *pool_acquire(struct h_client *c, const char *key)
{
	static char id[64];
	struct resp_reply *r = h_call(c, "POOL.ACQUIRE", key, "2");

	ck_assert_msg(r->type == RESP_ARRAY && r->elements == 2, "POOL.ACQUIRE %s failed", key);
	snprintf(id, sizeof id, "%s", r->element[0]->str);
	resp_reply_free(r);
	return id;
}

#define NOPERM_CMD(user, cmd) "NOPERM User " user " has no permissions to run the '" cmd "' command"
#define NOPERM_KEY	      "NOPERM No permissions to access a key"

/* A daemon with conf_text and four clients: uid 4242 (holder, with no rule
 * in the tests that use it), a second connection of that uid (same),
 * nobody (n) and root (an admin). */
struct scene {
	struct env e;
	struct h_client *holder, *same, *n, *root;
};

static void scene_start(struct scene *sc, const char *conf_text)
{
	struct user nb = nobody(), ot = other();

	env_start(&sc->e, conf_text);
	sc->holder = connect_as(&sc->e, &ot);
	sc->same = connect_as(&sc->e, &ot);
	sc->n = connect_as(&sc->e, &nb);
	sc->root = h_connect(sc->e.d);
}

static void scene_stop(struct scene *sc)
{
	h_close(sc->holder);
	h_close(sc->same);
	h_close(sc->n);
	h_close(sc->root);
	env_stop(&sc->e);
}

/* ---- rules by command and by key --------------------------------------------------- */

START_TEST(test_commands_are_denied_and_allowed_by_category_and_by_name)
{
	struct scene sc;

	scene_start(&sc, "acl-uid nobody ~* +@read -get +set +del\n");
	/* nobody: @read but not GET; SET and DEL by name; nothing else. */
	h_cmd(sc.n, "GET", "k");
	h_expect_error_is(sc.n, NOPERM_CMD("nobody", "get"));
	h_ok(sc.n, "SET", "k", "v");
	h_cmd(sc.n, "MGET", "k");
	{
		struct resp_reply *r = h_reply(sc.n);

		ck_assert_int_eq(r->type, RESP_ARRAY);
		ck_assert_str_eq(r->element[0]->str, "v");
		resp_reply_free(r);
	}
	h_call_int(sc.n, 1, "EXISTS", "k");
	h_call_error(sc.n, NOPERM_CMD("nobody", "incr"), "INCR", "n");
	h_call_error(sc.n, NOPERM_CMD("nobody", "ping"), "PING");
	h_call_error(sc.n, NOPERM_CMD("nobody", "lock.acquire"), "LOCK.ACQUIRE", "l");
	h_call_nil(sc.n, "LOCK.INFO", "l");
	h_call_int(sc.n, 1, "DEL", "k");
	/* No rule for uid 4242: the built-in default, everything but admin commands. */
	h_call_status(sc.holder, "PONG", "PING");
	h_ok(sc.holder, "SET", "k", "v");
	h_call_bulk(sc.holder, "v", "GET", "k");
	h_call_int(sc.holder, 2, "INCRBY", "n", "2");
	h_call_error(sc.holder, NOPERM_CMD("uid 4242", "flushdb"), "FLUSHDB");
	h_call_error(sc.holder, NOPERM_CMD("uid 4242", "flushall"), "FLUSHALL");
	h_call_error(sc.holder, NOPERM_CMD("uid 4242", "config"), "CONFIG", "GET", "hz");
	/* root is an admin: rules do not apply. */
	h_call_bulk(sc.root, "v", "GET", "k");
	h_call_status(sc.root, "PONG", "PING");
	scene_stop(&sc);
}
END_TEST

START_TEST(test_key_patterns_apply_to_every_key_argument)
{
	struct scene sc;

	scene_start(&sc, "acl-uid nobody ~app1:* +@all\n");
	h_call_nil(sc.n, "GET", "app1:x");
	h_call_error(sc.n, NOPERM_KEY, "GET", "app2:x");
	h_call_error(sc.n, NOPERM_KEY, "SET", "app2:x", "v");
	/* MSET's keys are every other argument: a value may look like anything. */
	h_ok(sc.n, "MSET", "app1:a", "app2:value", "app1:b", "2");
	h_call_error(sc.n, NOPERM_KEY, "MSET", "app1:c", "1", "app2:b", "2");
	h_call_nil(sc.root, "GET", "app1:c");
	h_call_error(sc.n, NOPERM_KEY, "MGET", "app1:a", "app2:b");
	h_call_error(sc.n, NOPERM_KEY, "DEL", "app1:a", "app2:b");
	h_call_bulk(sc.n, "app2:value", "GET", "app1:a");
	h_call_error(sc.n, NOPERM_KEY, "LOCK.ACQUIRE", "app2:lock");
	acquire(sc.n, "app1:lock", "t1");
	h_call_error(sc.n, NOPERM_KEY, "LOCK.INFO", "app2:lock");
	h_call_error(sc.n, NOPERM_KEY, "POOL.ACQUIRE", "app2:pool", "2");
	pool_acquire(sc.n, "app1:pool");
	h_call_error(sc.n, NOPERM_KEY, "POOL.SIZE", "app2:pool");
	h_call_int(sc.n, 1, "POOL.SIZE", "app1:pool");
	h_call_int(sc.root, 0, "EXISTS", "app2:lock", "app2:pool", "app2:x");
	/* Hashes, sorted sets and lists: every key position, blocking ones and
	 * two-key moves included, is judged before anything runs. */
	h_call_int(sc.n, 1, "HSET", "app1:h", "f", "v");
	h_call_error(sc.n, NOPERM_KEY, "HSET", "app2:h", "f", "v");
	h_call_error(sc.n, NOPERM_KEY, "HGETALL", "app2:h");
	h_call_int(sc.n, 1, "ZADD", "app1:z", "1", "m");
	h_call_error(sc.n, NOPERM_KEY, "ZADD", "app2:z", "1", "m");
	h_call_error(sc.n, NOPERM_KEY, "ZRANGESTORE", "app2:z", "app1:z", "0", "-1");
	h_call_error(sc.n, NOPERM_KEY, "BZPOPMIN", "app1:z", "app2:z", "0");
	h_call_int(sc.n, 1, "RPUSH", "app1:l", "a");
	h_call_error(sc.n, NOPERM_KEY, "LMOVE", "app1:l", "app2:l", "LEFT", "LEFT");
	h_call_error(sc.n, NOPERM_KEY, "BLPOP", "app2:l", "0");
	h_call_error(sc.n, NOPERM_KEY, "LMPOP", "2", "app1:l", "app2:l", "LEFT");
	h_call_int(sc.n, 1, "LLEN", "app1:l");
	h_call_int(sc.root, 0, "EXISTS", "app2:h", "app2:z", "app2:l");
	scene_stop(&sc);
}
END_TEST

START_TEST(test_scan_returns_only_permitted_keys)
{
	struct scene sc;
	char key[32];
	size_t seen = 0, all = 0;

	scene_start(&sc, "acl-uid nobody ~app1:* +@all\n");
	for (int i = 0; i < T_SCAN_KEYS; i++) {
		snprintf(key, sizeof key, "app1:%d", i);
		h_ok(sc.root, "SET", key, "v");
		snprintf(key, sizeof key, "app2:%d", i);
		h_ok(sc.root, "SET", key, "v");
	}
	for (int who = 0; who < 2; who++) {
		char cursor[32] = "0";

		do {
			struct resp_reply *r = h_call(who ? sc.root : sc.n, "SCAN", cursor, "COUNT", "3");

			ck_assert_int_eq(r->type, RESP_ARRAY);
			snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
			for (size_t i = 0; i < r->element[1]->elements; i++) {
				const char *k = r->element[1]->element[i]->str;

				if (who) {
					all++;
				} else {
					ck_assert_msg(strncmp(k, "app1:", 5) == 0, "SCAN gave %s", k);
					seen++;
				}
			}
			resp_reply_free(r);
		} while (strcmp(cursor, "0") != 0);
	}
	ck_assert_uint_eq(seen, T_SCAN_KEYS);
	ck_assert_uint_eq(all, 2 * T_SCAN_KEYS);
	h_cmd(sc.n, "SCAN", "0", "MATCH", "app2:*", "COUNT", "1000");
	{
		struct resp_reply *r = h_reply(sc.n);

		ck_assert_uint_eq(r->element[1]->elements, 0);
		resp_reply_free(r);
	}
	scene_stop(&sc);
}
END_TEST

START_TEST(test_gid_rules_match_primary_then_supplementary_groups_in_config_order)
{
	struct env e;
	struct user primary = {.uid = 4243, .gid = 5002, .groups = {5001}, .ngroups = 1};
	struct user supp = {.uid = 4244, .gid = 4244, .groups = {5002, 5001}, .ngroups = 2};
	struct user none = {.uid = 4245, .gid = 4245};
	struct user byuid = {.uid = 4246, .gid = 5001};
	struct h_client *c;

	env_start(&e, "acl-gid 5001 ~g1:* +@all\n"
		      "acl-gid 5002 ~g2:* +@all\n"
		      "acl-uid 4246 ~u:* +@all\n"
		      "acl-default -@all\n");
	/* The primary group's rule first, though 5001's comes first in the file. */
	c = connect_as(&e, &primary);
	h_call_nil(c, "GET", "g2:x");
	h_call_error(c, NOPERM_KEY, "GET", "g1:x");
	h_close(c);
	/* Supplementary groups: the first rule in the file that names one. */
	c = connect_as(&e, &supp);
	h_call_nil(c, "GET", "g1:x");
	h_call_error(c, NOPERM_KEY, "GET", "g2:x");
	h_close(c);
	c = connect_as(&e, &none);
	h_call_error(c, NOPERM_CMD("uid 4245", "get"), "GET", "g1:x");
	h_close(c);
	/* A uid rule wins over its groups'. */
	c = connect_as(&e, &byuid);
	h_call_nil(c, "GET", "u:x");
	h_call_error(c, NOPERM_KEY, "GET", "g1:x");
	h_close(c);
	env_stop(&e);
}
END_TEST

/* ---- locks and pools of other users ---------------------------------------------- */


START_TEST(test_token_is_hidden_from_other_uids_and_shown_to_holder_and_admin)
{
	struct scene sc;
	struct resp_reply *r;
	char slot[64];

	scene_start(&sc, "");
	acquire(sc.holder, "L", "secret-token");
	snprintf(slot, sizeof slot, "%s", pool_acquire(sc.holder, "P"));
	/* Others learn that it is held, not the token. */
	h_call_bulk(sc.n, ACL_TOKEN_HIDDEN, "GET", "L");
	r = h_call(sc.n, "MGET", "L", "nothing");
	ck_assert_str_eq(r->element[0]->str, ACL_TOKEN_HIDDEN);
	ck_assert_int_eq(r->element[1]->type, RESP_NIL);
	resp_reply_free(r);
	r = h_call(sc.n, "LOCK.INFO", "L");
	ck_assert_str_eq(field(r, "token")->str, ACL_TOKEN_HIDDEN);
	ck_assert_int_eq(field(r, "uid")->integer, T_OTHER_UID);
	resp_reply_free(r);
	r = h_call(sc.n, "POOL.INFO", "P");
	ck_assert_str_eq(field(field(r, "slots")->element[0], "id")->str, ACL_TOKEN_HIDDEN);
	resp_reply_free(r);
	/* The holder's uid, on any connection, and an admin see it. */
	for (int who = 0; who < 2; who++) {
		struct h_client *c = who ? sc.root : sc.same;

		h_call_bulk(c, "secret-token", "GET", "L");
		r = h_call(c, "MGET", "L");
		ck_assert_str_eq(r->element[0]->str, "secret-token");
		resp_reply_free(r);
		r = h_call(c, "LOCK.INFO", "L");
		ck_assert_str_eq(field(r, "token")->str, "secret-token");
		resp_reply_free(r);
		r = h_call(c, "POOL.INFO", "P");
		ck_assert_str_eq(field(field(r, "slots")->element[0], "id")->str, slot);
		resp_reply_free(r);
	}
	scene_stop(&sc);
}
END_TEST

START_TEST(test_release_by_another_uid_with_the_right_token_is_notowner)
{
	struct scene sc;
	char slot[64];

	scene_start(&sc, "");
	acquire(sc.holder, "L", "tok");
	snprintf(slot, sizeof slot, "%s", pool_acquire(sc.holder, "P"));
	h_call_error(sc.n, "NOTOWNER", "LOCK.RELEASE", "L", "tok");
	h_call_error(sc.n, "NOTOWNER", "LOCK.RENEW", "L", "tok", "PX", "1000");
	h_call_error(sc.n, "NOTOWNER", "POOL.RELEASE", "P", slot);
	h_call_error(sc.n, "NOTOWNER", "POOL.RENEW", "P", slot, "PX", "1000");
	h_call_bulk(sc.root, "tok", "GET", "L");
	h_call_int(sc.root, 1, "POOL.SIZE", "P");
	/* The same uid on another connection, and an admin, may. */
	h_call_int(sc.same, 1, "LOCK.RENEW", "L", "tok", "PX", "5000");
	h_call_int(sc.same, 1, "LOCK.RELEASE", "L", "tok");
	h_call_int(sc.root, 1, "POOL.RELEASE", "P", slot);
	acquire(sc.holder, "L2", "tok2");
	h_call_int(sc.root, 1, "LOCK.RELEASE", "L2", "tok2");
	h_call_int(sc.root, 0, "EXISTS", "L", "L2", "P");
	scene_stop(&sc);
}
END_TEST

START_TEST(test_del_or_overwrite_of_another_uids_lock_or_pool_is_noperm)
{
	struct scene sc;

	scene_start(&sc, "");
	acquire(sc.holder, "L", "tok");
	pool_acquire(sc.holder, "P");
	h_ok(sc.n, "SET", "mine", "v");
	h_call_error(sc.n, "NOPERM the lock 'L' is held by uid 4242: only its holder or an admin",
		     "DEL", "L");
	/* All or nothing: the string before it stays. */
	h_call_error(sc.n, "NOPERM the lock 'L'", "DEL", "mine", "L");
	h_call_bulk(sc.n, "v", "GET", "mine");
	h_call_error(sc.n, "NOPERM the pool 'P' has a slot held by uid 4242", "DEL", "P");
	h_call_error(sc.n, "NOPERM the lock 'L'", "SET", "L", "v");
	h_call_nil(sc.n, "SET", "L", "v", "NX");
	h_call_error(sc.n, "NOPERM the lock 'L'", "MSET", "mine", "w", "L", "v");
	h_call_bulk(sc.n, "v", "GET", "mine");
	h_call_error(sc.n, "NOPERM the lock 'L'", "EXPIRE", "L", "1");
	h_call_error(sc.n, "NOPERM the lock 'L'", "PEXPIRE", "L", "0");
	h_call_error(sc.n, "NOPERM the lock 'L'", "PERSIST", "L");
	h_call_error(sc.n, "NOPERM the pool 'P'", "PEXPIRE", "P", "1");
	h_call_bulk(sc.root, "tok", "GET", "L");
	h_call_int(sc.root, 1, "POOL.SIZE", "P");
	/* The holder's uid force-releases as before; so does an admin. */
	h_call_int(sc.same, 1, "DEL", "L");
	h_call_int(sc.root, 1, "DEL", "P");
	h_call_int(sc.n, 0, "EXISTS", "L", "P");
	scene_stop(&sc);
}
END_TEST

START_TEST(test_flushdb_is_admin_only_and_a_granted_one_spares_others_grants)
{
	struct scene sc;

	scene_start(&sc, "acl-uid nobody ~* +@all +flushdb\n");
	/* No FLUSHALL by SELECT n + FLUSHDB for a non-admin... */
	h_ok(sc.holder, "SET", "s", "v");
	h_call_error(sc.holder, NOPERM_CMD("uid 4242", "flushdb"), "FLUSHDB");
	h_call_int(sc.holder, 1, "DBSIZE");
	/* ...unless a rule names it; +@all alone never grants FLUSHALL. */
	h_call_error(sc.n, NOPERM_CMD("nobody", "flushall"), "FLUSHALL");
	acquire(sc.holder, "L", "tok");
	h_call_error(sc.n, "NOPERM the lock 'L' is held by uid 4242", "FLUSHDB");
	h_call_int(sc.n, 2, "DBSIZE");
	h_ok(sc.n, "SELECT", "1");
	h_ok(sc.n, "SET", "a", "v");
	acquire(sc.n, "own", "t");
	h_ok(sc.n, "FLUSHDB");
	h_call_int(sc.n, 0, "DBSIZE");
	/* An admin flushes whatever is held. */
	h_ok(sc.root, "FLUSHDB");
	h_call_int(sc.root, 0, "DBSIZE");
	scene_stop(&sc);
}
END_TEST

/* ---- the ACL command -------------------------------------------------------------- */

START_TEST(test_acl_whoami_list_cat_and_errors)
{
	struct scene sc;
	struct resp_reply *r;
	static const char *const want[] = {
		"admin-uid self,root",
		"acl-uid nobody ~app:* +@read +acl",
		"acl-gid 5001 +get",
		"acl-default +@all ~pub:*",
	};

	scene_start(&sc, "acl-uid   nobody  ~app:*\t+@read +acl\nacl-gid 5001 +get\n"
		      "acl-default +@all ~pub:*\n");
	h_call_bulk(sc.root, "root", "ACL", "WHOAMI");
	h_call_bulk(sc.n, "nobody", "ACL", "WHOAMI");
	h_call_bulk(sc.holder, "uid 4242", "ACL", "WHOAMI");
	r = h_call(sc.root, "ACL", "LIST");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < r->elements; i++)
		ck_assert_str_eq(r->element[i]->str, want[i]);
	resp_reply_free(r);
	/* LIST, DRYRUN and LOG are an admin's, whatever the rule says. */
	h_call_error(sc.n, NOPERM_CMD("nobody", "acl|list"), "ACL", "LIST");
	h_call_error(sc.holder, NOPERM_CMD("uid 4242", "acl|log"), "ACL", "log");
	h_call_error(sc.holder, NOPERM_CMD("uid 4242", "acl|dryrun"), "ACL", "DRYRUN", "root", "get", "k");
	r = h_call(sc.holder, "ACL", "CAT", "lock");
	ck_assert_uint_eq(r->elements, 5);
	for (size_t i = 0; i < r->elements; i++)
		ck_assert_msg(strncmp(r->element[i]->str, "lock.", 5) == 0, "%s in @lock",
			      r->element[i]->str);
	resp_reply_free(r);
	r = h_call(sc.holder, "ACL", "CAT");
	ck_assert_uint_ge(r->elements, 14);
	ck_assert_str_eq(r->element[0]->str, "keyspace");
	resp_reply_free(r);
	h_call_error(sc.holder, "ERR Unknown category 'nosuch'", "ACL", "CAT", "nosuch");
	h_call_error(sc.holder, "ERR unknown subcommand 'frob'. Try ACL HELP.", "ACL", "frob");
	h_call_error(sc.holder, "ERR wrong number of arguments for 'acl|whoami' command", "ACL", "WHOAMI",
		     "x");
	h_call_error(sc.holder, "ERR wrong number of arguments for 'acl' command", "ACL");
	r = h_call(sc.holder, "ACL", "HELP");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_ptr_nonnull(strstr(r->element[0]->str, "ACL <subcommand>"));
	resp_reply_free(r);
	scene_stop(&sc);
}
END_TEST

START_TEST(test_acl_dryrun_answers_as_the_named_user_would_be_answered)
{
	struct env e;
	struct h_client *root;

	env_start(&e, "acl-uid nobody ~app:* +@read +acl\nacl-default -@all\n");
	root = h_connect(e.d);
	h_call_status(root, "OK", "ACL", "DRYRUN", "nobody", "get", "app:1");
	h_call_bulk(root, "No permissions to access the 'other' key", "ACL", "DRYRUN", "nobody",
		    "get", "other");
	h_call_bulk(root, "User nobody has no permissions to run the 'set' command", "ACL",
		    "DRYRUN", "nobody", "set", "app:1", "v");
	h_call_bulk(root, "User uid 4242 has no permissions to run the 'get' command", "ACL",
		    "DRYRUN", "4242", "get", "k");
	h_call_bulk(root, "User nobody has no permissions to run the 'acl|list' command", "ACL",
		    "DRYRUN", "nobody", "acl", "list");
	h_call_status(root, "OK", "ACL", "DRYRUN", "0", "flushall");
	h_call_status(root, "OK", "ACL", "DRYRUN", "root", "config", "get", "hz");
	h_call_error(root, "ERR User 'no-such-user-x' not found", "ACL", "DRYRUN", "no-such-user-x",
		     "get", "k");
	h_call_error(root, "ERR User '4294967295' not found", "ACL", "DRYRUN", "4294967295", "get",
		     "k");
	h_call_error(root, "ERR Command 'frob' not found", "ACL", "DRYRUN", "nobody", "frob");
	h_call_error(root, "ERR wrong number of arguments for 'get' command", "ACL", "DRYRUN",
		     "nobody", "get");
	h_close(root);
	env_stop(&e);
}
END_TEST

START_TEST(test_acl_log_records_groups_bounds_and_resets_denials)
{
	struct scene sc;
	struct user nb = nobody();
	struct resp_reply *r, *x;
	char key[32];

	scene_start(&sc, "acl-uid nobody ~app:* +@read\n");
	h_call_error(sc.n, NOPERM_KEY, "GET", "other");
	h_call_error(sc.n, NOPERM_KEY, "GET", "other");
	h_call_error(sc.n, NOPERM_CMD("nobody", "set"), "SET", "app:1", "v");
	r = h_call(sc.root, "ACL", "LOG");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 2);
	x = r->element[0]; /* newest first */
	ck_assert_uint_eq(x->elements, 20);
	ck_assert_str_eq(x->element[0]->str, "count");
	ck_assert_int_eq(field(x, "count")->integer, 1);
	ck_assert_str_eq(field(x, "reason")->str, "command");
	ck_assert_str_eq(field(x, "context")->str, "toplevel");
	ck_assert_str_eq(field(x, "object")->str, "set");
	ck_assert_str_eq(field(x, "username")->str, "nobody");
	ck_assert_int_eq(field(x, "entry-id")->integer, 1);
	snprintf(key, sizeof key, " uid=%u ", (unsigned)nb.uid);
	ck_assert_ptr_nonnull(strstr(field(x, "client-info")->str, key));
	ck_assert(strtod(field(x, "age-seconds")->str, NULL) >= 0);
	x = r->element[1];
	ck_assert_int_eq(field(x, "count")->integer, 2);
	ck_assert_str_eq(field(x, "reason")->str, "key");
	ck_assert_str_eq(field(x, "object")->str, "other");
	ck_assert_int_eq(field(x, "entry-id")->integer, 0);
	ck_assert_int_gt(field(x, "timestamp-created")->integer, 0);
	ck_assert_int_ge(field(x, "timestamp-last-updated")->integer,
			 field(x, "timestamp-created")->integer);
	resp_reply_free(r);
	r = h_call(sc.root, "ACL", "LOG", "1");
	ck_assert_uint_eq(r->elements, 1);
	resp_reply_free(r);
	h_call_error(sc.root, "ERR value is out of range, must be positive", "ACL", "LOG", "-1");
	h_call_error(sc.root, "ERR value is not an integer", "ACL", "LOG", "x");
	/* Bounded: the oldest go first. */
	for (int i = 0; i < T_LOG_MAX + 2; i++) {
		snprintf(key, sizeof key, "k%d", i);
		h_call_error(sc.n, NOPERM_KEY, "GET", key);
	}
	r = h_call(sc.root, "ACL", "LOG", "100000");
	ck_assert_uint_eq(r->elements, T_LOG_MAX);
	snprintf(key, sizeof key, "k%d", T_LOG_MAX + 1);
	ck_assert_str_eq(field(r->element[0], "object")->str, key);
	ck_assert_str_eq(field(r->element[T_LOG_MAX - 1], "object")->str, "k2");
	resp_reply_free(r);
	h_call_status(sc.root, "OK", "ACL", "LOG", "RESET");
	r = h_call(sc.root, "ACL", "LOG");
	ck_assert_uint_eq(r->elements, 0);
	resp_reply_free(r);
	scene_stop(&sc);
}
END_TEST

START_TEST(test_command_info_shows_acl_categories)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	/* In ACL CAT order, as Redis 7 lists them. */
	static const struct {
		const char *cmd;
		const char *cats[5];
	} want[] = {
		{"get", {"@read", "@string", "@fast"}},
		{"set", {"@write", "@string", "@slow"}},
		{"flushdb", {"@keyspace", "@write", "@slow", "@dangerous"}},
		{"config", {"@admin", "@slow", "@dangerous"}},
		{"lock.acquire", {"@write", "@slow", "@blocking", "@lock"}},
		{"pool.size", {"@read", "@fast", "@pool"}},
		{"ping", {"@fast", "@connection"}},
	};
	struct resp_reply *r = h_call(c, "COMMAND");

	/* Every command is exactly one of @fast and @slow. */
	for (size_t i = 0; i < r->elements; i++) {
		const struct resp_reply *cats = r->element[i]->element[6];
		int speed = 0;

		for (size_t k = 0; k < cats->elements; k++)
			speed += strcmp(cats->element[k]->str, "@fast") == 0 ||
				 strcmp(cats->element[k]->str, "@slow") == 0;
		ck_assert_msg(speed == 1, "%s", r->element[i]->element[0]->str);
	}
	resp_reply_free(r);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct resp_reply *cats;
		size_t n = 0;

		r = h_call(c, "COMMAND", "INFO", want[i].cmd);
		cats = r->element[0]->element[6];
		while (n < 5 && want[i].cats[n])
			n++;
		ck_assert_msg(cats->elements == n, "%s: %zu categories", want[i].cmd,
			      cats->elements);
		for (size_t k = 0; k < n; k++) {
			ck_assert_int_eq(cats->element[k]->type, RESP_STRING);
			ck_assert_str_eq(cats->element[k]->str, want[i].cats[k]);
		}
		resp_reply_free(r);
	}
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- loading rules ------------------------------------------------------------------ */

START_TEST(test_sighup_reload_changes_the_rules_of_connected_clients)
{
	struct scene sc;

	scene_start(&sc, "acl-uid nobody ~app:* +@all\n");
	h_call_error(sc.n, NOPERM_KEY, "GET", "x");
	h_ok(sc.n, "SET", "app:1", "v");
	h_write_file(sc.e.conf, "acl-uid nobody ~* +@read\n");
	h_daemon_kill(sc.e.d, SIGHUP);
	ck_assert(h_log_wait(sc.e.d, "configuration reloaded", H_TIMEOUT_MS * h_slow()));
	h_call_nil(sc.n, "GET", "x");
	h_call_error(sc.n, NOPERM_CMD("nobody", "set"), "SET", "app:1", "v");
	/* A rule that does not parse leaves the running ones in force. */
	h_write_file(sc.e.conf, "acl-uid nobody ~* +@all +frob\n");
	h_daemon_kill(sc.e.d, SIGHUP);
	ck_assert(h_log_wait(sc.e.d, "unknown command 'frob'", H_TIMEOUT_MS * h_slow()));
	h_call_error(sc.n, NOPERM_CMD("nobody", "set"), "SET", "app:1", "v");
	h_call_nil(sc.n, "GET", "x");
	scene_stop(&sc);
}
END_TEST

START_TEST(test_cachifyd_t_reports_a_malformed_rule)
{
	struct h_daemon *d = h_daemon_new();
	char conf[H_PATH_MAX + 16], err[H_PATH_MAX + 16];
	const char *argv[] = {h_cachifyd(), "-t", "-c", conf, NULL};
	char *s;
	int status;

	snprintf(conf, sizeof conf, "%s/bad.conf", d->dir);
	snprintf(err, sizeof err, "%s/err", d->dir);
	h_write_file(conf, "acl-uid 1000 ~app:* +frob\n");
	status = h_exec(argv, NULL, NULL, err, H_TIMEOUT_MS * h_slow());
	s = h_slurp(err, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status 0x%x: %s", status, s);
	ck_assert_msg(strstr(s, "acl-uid '1000 ~app:* +frob': unknown command 'frob'"), "%s", s);
	free(s);
	h_write_file(conf, "acl-uid 1000 ~app:* +get\nacl-default -@all\n");
	status = h_exec(argv, NULL, NULL, err, H_TIMEOUT_MS * h_slow());
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
	h_daemon_free(d);
}
END_TEST

/* In process: the rule words, and what acl_validate says of bad ones. */
static const struct {
	const char *name, *value, *err;
} bad_rules[] = {
	{"acl-uid", "1000 +frob", "acl-uid '1000 +frob': unknown command 'frob'"},
	{"acl-uid", "1000 +@frob", "acl-uid '1000 +@frob': unknown category '@frob' (see ACL CAT)"},
	{"acl-uid", "1000 get", "acl-uid '1000 get': unknown word 'get'"},
	{"acl-uid", "1000 +", "acl-uid '1000 +': unknown word '+'"},
	{"acl-uid", "1000 allkeys ~a*",
	 "acl-uid '1000 allkeys ~a*': '~a*' after allkeys has no effect; resetkeys first"},
	{"acl-gid", "0 allchannels &c*",
	 "acl-gid '0 allchannels &c*': '&c*' after allchannels has no effect; resetchannels first"},
	{"acl-uid", "1000 +acl|list",
	 "acl-uid '1000 +acl|list': '+acl|list': rules for subcommands are not supported"},
	{"acl-uid", "no-such-user-x +get", "acl-uid: no such user 'no-such-user-x'"},
	{"acl-gid", "no-such-group-x +get", "acl-gid: no such group 'no-such-group-x'"},
	{"acl-default", "-@frob", "acl-default '-@frob': unknown category '@frob' (see ACL CAT)"},
};

START_TEST(test_malformed_rules_fail_validation_with_a_clear_message)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";

	config_defaults(&c);
	ck_assert_msg(config_set(&c, bad_rules[_i].name, bad_rules[_i].value, err) == 0, "%s", err);
	ck_assert_int_eq(acl_validate(&c, err), -1);
	ck_assert_str_eq(err, bad_rules[_i].err);
	config_free(&c);
}
END_TEST

START_TEST(test_rule_words_of_redis_parse)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";

	config_defaults(&c);
	ck_assert_int_eq(acl_validate(&c, err), 0);
	ck_assert_int_eq(config_set(&c, "acl-uid",
				    "1000 ~a* ~b:? &ch:* ALLCHANNELS resetchannels reset allkeys "
				    "resetkeys ~* nocommands allcommands -@dangerous +@LOCK -GET "
				    "+flushdb +@all -@all",
				    err),
			 0);
	ck_assert_int_eq(config_set(&c, "acl-uid", "root", err), 0);
	ck_assert_int_eq(config_set(&c, "acl-gid", "0 +get", err), 0);
	ck_assert_int_eq(config_set(&c, "acl-default", "~", err), 0);
	ck_assert_msg(acl_validate(&c, err) == 0, "%s", err);
	/* One rule per uid: the second would never apply. */
	ck_assert_int_eq(config_set(&c, "acl-uid", "0 +set", err), 0);
	ck_assert_int_eq(acl_validate(&c, err), -1);
	ck_assert_str_eq(err, "acl-uid: two rules for uid 0: 'root' and '0 +set'");
	config_free(&c);
}
END_TEST

struct got {
	int n;
	char values[4][128];
};

static void got_cb(void *ctx, const char *name, const char *value)
{
	struct got *g = ctx;

	(void)name;
	if (g->n < 4)
		snprintf(g->values[g->n], sizeof g->values[0], "%s", value);
	g->n++;
}

START_TEST(test_rule_directives_add_up_and_words_join_in_files)
{
	struct h_daemon *d = h_daemon_new();
	char path[H_PATH_MAX + 16], err[CONFIG_ERR_MAX] = "";
	struct config c;
	struct got g = {0};

	snprintf(path, sizeof path, "%s/a.conf", d->dir);
	h_write_file(path, "acl-uid 1000   ~app:*  +get\nacl-uid 1001 \"+set\" nocommands\n"
			   "acl-default +@read\nacl-default \"+@write ~w:*\"\n");
	config_defaults(&c);
	ck_assert_msg(config_load_file(&c, path, err) == 0, "%s", err);
	config_get(&c, "acl-uid", got_cb, &g);
	ck_assert_int_eq(g.n, 2);
	ck_assert_str_eq(g.values[0], "1000 ~app:* +get");
	ck_assert_str_eq(g.values[1], "1001 +set nocommands");
	/* acl-default is one rule: the last wins. */
	memset(&g, 0, sizeof g);
	config_get(&c, "acl-default", got_cb, &g);
	ck_assert_int_eq(g.n, 1);
	ck_assert_str_eq(g.values[0], "+@write ~w:*");
	/* "" drops the rules given so far. */
	ck_assert_int_eq(config_set(&c, "acl-uid", "", err), 0);
	memset(&g, 0, sizeof g);
	config_get(&c, "acl-uid", got_cb, &g);
	ck_assert_int_eq(g.n, 1);
	ck_assert_str_eq(g.values[0], "");
	config_free(&c);
	/* A word holding a blank would change meaning once joined. */
	h_write_file(path, "acl-uid 1000 \"~a b\" +get\n");
	config_defaults(&c);
	ck_assert_int_eq(config_load_file(&c, path, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "a.conf:1: 'acl-uid' has a blank in a word"));
	config_free(&c);
	h_daemon_free(d);
}
END_TEST

START_TEST(test_rule_count_is_bounded)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "", rule[32];

	config_defaults(&c);
	for (int i = 0; i < CONFIG_RULES_MAX; i++) {
		snprintf(rule, sizeof rule, "%d +get", 10000 + i);
		ck_assert_msg(config_set(&c, "acl-gid", rule, err) == 0, "%d: %s", i, err);
	}
	ck_assert_int_eq(config_set(&c, "acl-gid", "1 +get", err), -1);
	ck_assert_ptr_nonnull(strstr(err, "at most 256 rules"));
	config_free(&c);
}
END_TEST

/* The commented two-application example in the shipped cachifyd.conf,
 * uncommented, is a valid configuration. */
START_TEST(test_shipped_example_rules_validate)
{
	struct h_daemon *d = h_daemon_new();
	char path[H_PATH_MAX + 16], err[CONFIG_ERR_MAX] = "";
	char *text = h_slurp(h_src_path("cachifyd.conf"), NULL), *line, *save = NULL;
	FILE *f;
	struct config c;
	int rules = 0;

	ck_assert_ptr_nonnull(text);
	snprintf(path, sizeof path, "%s/example.conf", d->dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# acl-", 6) == 0) {
			fprintf(f, "%s\n", line + 2);
			rules++;
		}
	}
	fclose(f);
	ck_assert_int_ge(rules, 3);
	config_defaults(&c);
	ck_assert_msg(config_load_file(&c, path, err) == 0, "%s", err);
	ck_assert_msg(acl_validate(&c, err) == 0, "%s", err);
	config_free(&c);
	free(text);
	h_daemon_free(d);
}
END_TEST

Suite *acl_suite(void)
{
	Suite *s = suite_create("acl");
	TCase *tr = tcase_create("rules");
	TCase *td = tcase_create("daemon");

	tcase_add_loop_test(tr, test_malformed_rules_fail_validation_with_a_clear_message, 0,
			    sizeof bad_rules / sizeof bad_rules[0]);
	tcase_add_test(tr, test_rule_words_of_redis_parse);
	tcase_add_test(tr, test_rule_directives_add_up_and_words_join_in_files);
	tcase_add_test(tr, test_rule_count_is_bounded);
	tcase_add_test(tr, test_shipped_example_rules_validate);
	suite_add_tcase(s, tr);

	tcase_set_timeout(td, 60);
	tcase_add_test(td, test_commands_are_denied_and_allowed_by_category_and_by_name);
	tcase_add_test(td, test_key_patterns_apply_to_every_key_argument);
	tcase_add_test(td, test_scan_returns_only_permitted_keys);
	tcase_add_test(td, test_gid_rules_match_primary_then_supplementary_groups_in_config_order);
	tcase_add_test(td, test_token_is_hidden_from_other_uids_and_shown_to_holder_and_admin);
	tcase_add_test(td, test_release_by_another_uid_with_the_right_token_is_notowner);
	tcase_add_test(td, test_del_or_overwrite_of_another_uids_lock_or_pool_is_noperm);
	tcase_add_test(td, test_flushdb_is_admin_only_and_a_granted_one_spares_others_grants);
	tcase_add_test(td, test_acl_whoami_list_cat_and_errors);
	tcase_add_test(td, test_acl_dryrun_answers_as_the_named_user_would_be_answered);
	tcase_add_test(td, test_acl_log_records_groups_bounds_and_resets_denials);
	tcase_add_test(td, test_command_info_shows_acl_categories);
	tcase_add_test(td, test_sighup_reload_changes_the_rules_of_connected_clients);
	tcase_add_test(td, test_cachifyd_t_reports_a_malformed_rule);
	suite_add_tcase(s, td);
	return s;
}
