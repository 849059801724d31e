/* check_string.c - the string family end to end where Redis has nothing to
 * compare with: string commands over lock and pool keys (refused, or a
 * forced release that wakes waiters), GETEX re-timing a key that blocks a
 * lock, the proto-max-bulk-len limits of APPEND, SETRANGE and LCS, and
 * redis-py driving the whole family. Replies shared with Redis are
 * tests/diff/cases/strings.txt's business.
 *
 * Every test runs its own cachifyd (tests/harness.h) over its socket.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"
#include "harness.h"

#define SLOW(ms)	((ms) * h_slow()) /* a bound, scaled for sanitizer builds */
#define QUIET_MS	200		  /* how long "nothing arrives" is watched */
#define POLL_STEP_MS	2		  /* ms between polls of the daemon's state */
#define SETTLE_MS	5000		  /* bound on the daemon reaching a state (times h_slow()) */
#define WAKE_LATE_MS	250		  /* ms a wake-up may lag an expiry (times h_slow()) */
#define PEER_TIMEOUT_MS 20000		  /* one redis-py run (times h_slow()) */
#define HOLDER_UID	4242		  /* non-admin uids without passwd entries */
#define OTHER_UID	4343
#define WRONGTYPE	"WRONGTYPE Operation against a key holding the wrong kind of value"

static struct h_daemon *start(void)
{
	/* --hz 1: the expiry sweep runs once a second, so a waiter that only
	 * the sweep would wake is visibly late. */
	return h_daemon_start("--loglevel", "warning", "--hz", "1", NULL);
}

/* A grant *2 [token, fence]: the token, as a new NUL-terminated string. */
#define expect_grant(c) expect_grant_at(__FILE__, __LINE__, c)
static char *expect_grant_at(const char *file, int line, struct h_client *c)
{
	struct resp_reply *r = h_reply_at(file, line, c);
	char got[512], *token;

	h_reply_fmt(r, got, sizeof got);
	ck_assert_msg(r->type == RESP_ARRAY && r->elements == 2 &&
			      r->element[0]->type == RESP_BULK &&
			      r->element[1]->type == RESP_INTEGER,
		      "%s:%d: expected a grant [token, fence], got %s", file, line, got);
	token = strdup(r->element[0]->str);
	ck_assert_ptr_nonnull(token);
	resp_reply_free(r);
	return token;
}

/* Waits until a client waits on key (CLIENT LIST's waits= field). */
static void wait_waiter(struct h_client *c, const char *key)
{
	int64_t until = h_now_ms() + SLOW(SETTLE_MS);
	char want[64];

	snprintf(want, sizeof want, " waits=%s\n", key);
	for (;;) {
		struct resp_reply *r = h_call(c, "CLIENT", "LIST");
		bool found;

		ck_assert_int_eq(r->type, RESP_BULK);
		found = strstr(r->str, want) != NULL;
		resp_reply_free(r);
		if (found)
			return;
		ck_assert_msg(h_now_ms() < until, "nobody came to wait on %s", key);
		h_sleep_ms(POLL_STEP_MS);
	}
}

/* Forks a child that becomes uid (a non-admin), connects to d and sends
 * each of n commands (up to 5 words, NULL-ended), expecting a reply that
 * starts with want[i] ("" for any non-error). Returns the index of the
 * first mismatch, or n when all matched. The daemon must admit other uids
 * (see start_shared). */
static int run_as(const struct h_daemon *d, uid_t uid, const char *const (*cmds)[6],
		  const char *const *want, int n)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd;
		struct h_client c = {.timeout_ms = H_TIMEOUT_MS * h_slow()};

		if (setgid(uid) != 0 || setuid(uid) != 0 || (fd = h_connect_fd(d->sock)) < 0)
			_exit(100);
		c.fd = fd;
		resp_reader_init(&c.rd);
		for (int i = 0; i < n; i++) {
			struct resp_arg args[6];
			struct resp_reply *r;
			int k = 0;

			for (; k < 6 && cmds[i][k]; k++)
				args[k] = (struct resp_arg){cmds[i][k], strlen(cmds[i][k])};
			h_cmdv(&c, k, args);
			if (h_try_reply(&c, &r) != 1)
				_exit(i);
			if (want[i][0] ? r->type != RESP_ERROR ||
						 strncmp(r->str, want[i], strlen(want[i])) != 0
				       : r->type == RESP_ERROR)
				_exit(i);
			resp_reply_free(r);
		}
		_exit(n);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 100,
		      "the child could not connect as uid %u", (unsigned)uid);
	return WEXITSTATUS(status);
}

/* A daemon other uids may connect to (a 0755 directory, a 0666 socket). */
static struct h_daemon *start_shared(void)
{
	const char *args[] = {"--loglevel", "warning", "--unixsocketperm", "0666",
			      "--allow-uid", "*", NULL};
	struct h_daemon *d = h_daemon_new();

	ck_assert_int_eq(chmod(d->dir, 0755), 0);
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	return d;
}

/* Every string command that reads or changes a value in place refuses a
 * lock or pool with -WRONGTYPE (LCS with its own words for a non-string),
 * and leaves it as it was. */
static void expect_all_refused(struct h_client *c, const char *key)
{
	static const char *const cmds[][6] = {
		{"GETSET", NULL, "v"},	      {"GETDEL", NULL},
		{"GETEX", NULL},	      {"GETEX", NULL, "PERSIST"},
		{"GETEX", NULL, "EX", "100"}, {"GETEX", NULL, "PXAT", "1"},
		{"APPEND", NULL, "v"},	      {"SETRANGE", NULL, "0", "v"},
		{"GETRANGE", NULL, "0", "-1"}, {"SUBSTR", NULL, "0", "-1"},
		{"STRLEN", NULL},	      {"INCR", NULL},
		{"DECR", NULL},		      {"INCRBY", NULL, "1"},
		{"DECRBY", NULL, "1"},	      {"INCRBYFLOAT", NULL, "1.5"},
		{"SET", NULL, "v", "GET"},    {"SET", NULL, "v", "NX", "GET"},
	};

	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		const char *argv[6];
		struct resp_arg args[6];
		int n = 0;

		for (; n < 6 && (n < 2 || cmds[i][n]); n++)
			argv[n] = n == 1 ? key : cmds[i][n];
		for (int k = 0; k < n; k++)
			args[k] = (struct resp_arg){argv[k], strlen(argv[k])};
		h_cmdv(c, n, args);
		h_expect_error_is(c, WRONGTYPE);
	}
	h_call_error(c, "ERR The specified keys must contain string values", "LCS", key, "x");
	h_call_error(c, "ERR The specified keys must contain string values", "LCS", "x", key);
}

START_TEST(test_string_commands_on_a_lock_are_wrongtype_and_keep_it)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d), *other = h_connect(d);
	char *token;
	long long pttl;

	h_cmd(c, "LOCK.ACQUIRE", "k", "PX", "100000");
	token = expect_grant(c);
	expect_all_refused(other, "k");
	expect_all_refused(c, "k");
	/* Same holder, same TTL, and GET still reads its token. */
	h_call_status(c, "lock", "TYPE", "k");
	h_call_bulk(c, token, "GET", "k");
	pttl = h_call_ll(c, "PTTL", "k");
	ck_assert_msg(pttl > 90000 && pttl <= 100000, "PTTL %lld after the refusals", pttl);
	h_call_error(other, "LOCKED", "LOCK.ACQUIRE", "k");
	h_call_int(c, 1, "LOCK.RELEASE", "k", token);
	free(token);
	h_close(other);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_string_commands_on_a_pool_are_wrongtype_and_keep_it)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d), *other = h_connect(d);
	char *slot;

	h_cmd(c, "POOL.ACQUIRE", "p", "2", "PX", "100000");
	slot = expect_grant(c);
	expect_all_refused(other, "p");
	h_call_error(other, WRONGTYPE, "GET", "p");
	h_call_status(c, "pool", "TYPE", "p");
	h_call_int(c, 1, "POOL.SIZE", "p");
	h_call_int(c, 1, "POOL.RELEASE", "p", slot);
	free(slot);
	h_close(other);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* GETDEL on a lock must not be a back door around LOCK.RELEASE. */
START_TEST(test_getdel_on_a_lock_leaves_it_held)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d), *other = h_connect(d);
	char *token;

	h_cmd(c, "LOCK.ACQUIRE", "k");
	token = expect_grant(c);
	h_call_error(other, "WRONGTYPE", "GETDEL", "k");
	h_call_int(other, 1, "EXISTS", "k");
	h_call_error(other, "LOCKED", "LOCK.ACQUIRE", "k");
	h_call_int(c, 1, "LOCK.RELEASE", "k", token);
	h_call_nil(other, "GETDEL", "k");
	free(token);
	h_close(other);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_setnx_and_msetnx_treat_a_lock_or_pool_as_existing)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	char *token, *slot;

	h_cmd(c, "LOCK.ACQUIRE", "k");
	token = expect_grant(c);
	h_cmd(c, "POOL.ACQUIRE", "p", "1");
	slot = expect_grant(c);
	h_call_int(c, 0, "SETNX", "k", "v");
	h_call_int(c, 0, "SETNX", "p", "v");
	h_call_nil(c, "SET", "k", "v", "NX");
	h_call_int(c, 0, "MSETNX", "new", "v", "k", "v");
	h_call_int(c, 0, "MSETNX", "p", "v", "new", "v");
	h_call_int(c, 0, "EXISTS", "new");
	h_call_bulk(c, token, "GET", "k");
	h_call_int(c, 1, "POOL.SIZE", "p");
	h_call_int(c, 1, "LOCK.RELEASE", "k", token);
	h_call_int(c, 1, "POOL.RELEASE", "p", slot);
	h_call_int(c, 1, "MSETNX", "k", "a", "p", "b");
	h_call_bulk(c, "b", "GET", "p");
	free(token);
	free(slot);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* SET (without NX), SET XX, SETEX, PSETEX and MSET replace a lock or a
 * pool: a forced release, after which the old holder owns nothing. */
START_TEST(test_set_setex_psetex_mset_replace_a_lock_or_pool)
{
	static const char *const how[] = {"SET", "SETXX", "SETEX", "PSETEX", "MSET"};
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);

	for (size_t i = 0; i < sizeof how / sizeof how[0]; i++) {
		for (int pool = 0; pool < 2; pool++) {
			char *id;

			if (pool)
				h_cmd(c, "POOL.ACQUIRE", "k", "3", "PX", "100000");
			else
				h_cmd(c, "LOCK.ACQUIRE", "k", "PX", "100000");
			id = expect_grant(c);
			if (strcmp(how[i], "SET") == 0)
				h_ok(c, "SET", "k", "new");
			else if (strcmp(how[i], "SETXX") == 0)
				h_ok(c, "SET", "k", "new", "XX");
			else if (strcmp(how[i], "SETEX") == 0)
				h_ok(c, "SETEX", "k", "1000", "new");
			else if (strcmp(how[i], "PSETEX") == 0)
				h_ok(c, "PSETEX", "k", "1000000", "new");
			else
				h_ok(c, "MSET", "other", "x", "k", "new");
			h_call_status(c, "string", "TYPE", "k");
			h_call_bulk(c, "new", "GET", "k");
			if (pool) /* the key is no pool any more */
				h_call_error(c, "WRONGTYPE", "POOL.RELEASE", "k", id);
			else
				h_call_error(c, "NOTOWNER", "LOCK.RELEASE", "k", id);
			/* SETEX and PSETEX give the new string their TTL, no other. */
			if (strstr(how[i], "SETEX"))
				ck_assert_int_gt(h_call_ll(c, "TTL", "k"), 900);
			else
				h_call_int(c, -1, "TTL", "k");
			h_call_int(c, 1, "DEL", "k");
			free(id);
		}
	}
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* The forced release of SET, SETEX, PSETEX and MSET is for the holder's
 * uid and admins: another uid gets -NOPERM and the lock stays; SETNX and
 * MSETNX just see an existing key. */
START_TEST(test_setex_psetex_over_another_uids_lock_are_noperm)
{
	static const char *const hold[][6] = {
		{"LOCK.ACQUIRE", "L", "TOKEN", "tok", "DETACH"},
	};
	static const char *const other[][6] = {
		{"SETEX", "L", "100", "v"}, {"PSETEX", "L", "100000", "v"},
		{"SET", "L", "v", "XX"},    {"SET", "L", "v"},
		{"MSET", "x", "1", "L", "v"}, {"SETNX", "L", "v"},
		{"MSETNX", "L", "v"},	    {"GETSET", "L", "v"},
		{"EXISTS", "x"},
	};
	static const char *const want[] = {
		"NOPERM the lock 'L' is held by uid 4242", "NOPERM the lock 'L'", "NOPERM the lock 'L'",
		"NOPERM the lock 'L'", "NOPERM the lock 'L'", "", "", "WRONGTYPE", "",
	};
	static const char *const hold_ok[] = {""};
	int n = (int)(sizeof other / sizeof other[0]);
	struct h_daemon *d = start_shared();
	struct h_client *root;

	ck_assert_msg(getuid() == 0, "this test takes other uids: run it as root");
	ck_assert_int_eq(run_as(d, HOLDER_UID, hold, hold_ok, 1), 1);
	ck_assert_int_eq(run_as(d, OTHER_UID, other, want, n), n);
	root = h_connect(d);
	h_call_bulk(root, "tok", "GET", "L");
	h_call_int(root, 0, "EXISTS", "x");
	/* An admin may: its SETEX is a forced release. */
	h_ok(root, "SETEX", "L", "100", "v");
	h_call_status(root, "string", "TYPE", "L");
	h_close(root);
	h_daemon_finish(d);
}
END_TEST

/* A waiter on a lock is woken when SETEX replaces the lock, finds the new
 * string, and waits on until that string expires; then it is granted at
 * once, not at the next expiry sweep. */
START_TEST(test_setex_over_a_lock_wakes_waiter_which_then_waits_for_the_string)
{
	struct h_daemon *d = start();
	struct h_client *holder = h_connect(d), *w = h_connect(d), *c = h_connect(d);
	char *token, *got;
	int64_t expiry, at;

	h_cmd(holder, "LOCK.ACQUIRE", "k");
	token = expect_grant(holder);
	h_cmd(w, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_waiter(c, "k");
	expiry = h_now_ms() + 400;
	h_ok(c, "PSETEX", "k", "400", "v");
	ck_assert_msg(h_is_quiet(w, QUIET_MS), "the waiter was granted over a live string");
	h_call_bulk(c, "v", "GET", "k");
	got = expect_grant(w);
	at = h_now_ms();
	ck_assert_msg(at >= expiry, "granted %lld ms before the string expired",
		      (long long)(expiry - at));
	ck_assert_msg(at - expiry <= SLOW(WAKE_LATE_MS),
		      "granted %lld ms after the string expired: only the sweep woke it",
		      (long long)(at - expiry));
	h_call_bulk(w, got, "GET", "k");
	h_call_error(holder, "NOTOWNER", "LOCK.RELEASE", "k", token);
	free(got);
	free(token);
	h_close(c);
	h_close(w);
	h_close(holder);
	h_daemon_finish(d);
}
END_TEST

/* GETEX gives a key that blocks a lock a TTL: the waiter's timer must
 * follow it, as it follows PEXPIRE. */
START_TEST(test_getex_on_a_blocking_key_grants_lock_waiter_at_the_new_expiry)
{
	struct h_daemon *d = start();
	struct h_client *w = h_connect(d), *c = h_connect(d);
	int64_t expiry, at;
	char *got;

	h_ok(c, "SET", "k", "v", "EX", "1000");
	h_cmd(w, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_waiter(c, "k");
	expiry = h_now_ms() + 300;
	h_call_bulk(c, "v", "GETEX", "k", "PX", "300");
	got = expect_grant(w);
	at = h_now_ms();
	ck_assert_msg(at >= expiry, "granted %lld ms before the key expired",
		      (long long)(expiry - at));
	ck_assert_msg(at - expiry <= SLOW(WAKE_LATE_MS),
		      "granted %lld ms after the key expired: GETEX did not re-arm the queue",
		      (long long)(at - expiry));
	free(got);
	/* GETEX PERSIST on a blocking key: the waiter keeps waiting. */
	h_ok(c, "SET", "j", "v", "PX", "300");
	h_cmd(w, "LOCK.ACQUIRE", "j", "WAIT", "0");
	wait_waiter(c, "j");
	h_call_bulk(c, "v", "GETEX", "j", "PERSIST");
	ck_assert_msg(h_is_quiet(w, 300 + QUIET_MS), "granted although PERSIST kept the key");
	h_call_int(c, 1, "DEL", "j");
	free(expect_grant(w));
	h_close(c);
	h_close(w);
	h_daemon_finish(d);
}
END_TEST

/* APPEND and SETRANGE may not grow a string past proto-max-bulk-len, and
 * LCS's table may not need more than it; the values stay as they were. */
START_TEST(test_append_setrange_lcs_respect_proto_max_bulk_len)
{
	struct h_daemon *d = h_daemon_start("--loglevel", "warning", "--proto-max-bulk-len",
					    "1024", "--client-query-buffer-limit", "1mb", NULL);
	struct h_client *c = h_connect(d);
	char big[1001];

	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	h_ok(c, "SET", "k", big);
	h_call_int(c, 1024, "APPEND", "k", "bbbbbbbbbbbbbbbbbbbbbbbb");
	h_call_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
		     "APPEND", "k", "c");
	h_call_int(c, 1024, "STRLEN", "k");
	h_call_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
		     "SETRANGE", "k", "1024", "x");
	h_call_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
		     "SETRANGE", "new", "1020", "xxxxx");
	h_call_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
		     "SETRANGE", "k", "9223372036854775807", "x");
	h_call_int(c, 0, "EXISTS", "new");
	h_call_int(c, 1024, "SETRANGE", "new", "1023", "x");
	h_call_int(c, 1024, "SETRANGE", "k", "1023", "z");
	h_call_int(c, 1024, "SETRANGE", "k", "5000", "");
	h_call_bulk(c, "bz", "GETRANGE", "k", "-2", "-1");
	/* (15+1) * (15+1) * 4 = 1024 bytes of table fits; 16 by 16 does not. */
	h_ok(c, "MSET", "a", "abcdefghijklmno", "b", "xbxdxfxhxjxlxnx", "c", "abcdefghijklmnop");
	h_call_bulk(c, "bdfhjln", "LCS", "a", "b");
	h_call_error(c, "ERR Insufficient memory, transient memory for LCS exceeds "
			"proto-max-bulk-len", "LCS", "c", "c");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_redis_py_strings_suite_passes)
{
	struct h_daemon *d = start();
	char script[H_PATH_MAX], out[H_PATH_MAX + 8];
	const char *argv[] = {"/usr/bin/python3", script, d->sock, NULL};
	int status;
	char *o;

	snprintf(script, sizeof script, "%s", h_src_path("tests/compat/redis_py_strings.py"));
	snprintf(out, sizeof out, "%s/out", d->dir);
	status = h_exec(argv, NULL, out, out, PEER_TIMEOUT_MS * h_slow());
	o = h_slurp(out, NULL);
	ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && o &&
			      strcmp(o, "ok\n") == 0,
		      "redis_py_strings.py: status 0x%x, said:\n%s", status, o ? o : "");
	free(o);
	h_daemon_finish(d);
}
END_TEST

Suite *string_suite(void)
{
	Suite *s = suite_create("string");
	TCase *tc = tcase_create("string_commands");

	tcase_set_timeout(tc, 60 * h_slow());
	tcase_add_test(tc, test_string_commands_on_a_lock_are_wrongtype_and_keep_it);
	tcase_add_test(tc, test_string_commands_on_a_pool_are_wrongtype_and_keep_it);
	tcase_add_test(tc, test_getdel_on_a_lock_leaves_it_held);
	tcase_add_test(tc, test_setnx_and_msetnx_treat_a_lock_or_pool_as_existing);
	tcase_add_test(tc, test_set_setex_psetex_mset_replace_a_lock_or_pool);
	tcase_add_test(tc, test_setex_psetex_over_another_uids_lock_are_noperm);
	tcase_add_test(tc, test_setex_over_a_lock_wakes_waiter_which_then_waits_for_the_string);
	tcase_add_test(tc, test_getex_on_a_blocking_key_grants_lock_waiter_at_the_new_expiry);
	tcase_add_test(tc, test_append_setrange_lcs_respect_proto_max_bulk_len);
	tcase_add_test(tc, test_redis_py_strings_suite_passes);
	suite_add_tcase(s, tc);
	return s;
}
