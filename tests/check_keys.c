/* check_keys.c - the keyspace family end to end, where redis-server cannot
 * be the reference: locks and pools under RENAME, RENAMENX, MOVE, COPY and
 * SWAPDB (refused as sources, replaced as destinations, never a stranded
 * waiter or a changed owner), whole SCAN iterations, KEYS and SCAN under
 * key patterns, RANDOMKEY over expired keys, and redis-py's keyspace calls.
 * Byte-for-byte replies are tests/diff/cases/keys.txt's business.
 */
#include <check.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"
#include "harness.h"

#define SLOW(ms)	((ms) * h_slow()) /* a bound, scaled for sanitizer builds */
#define POLL_STEP_MS	2		  /* ms between polls of the daemon's state */
#define SETTLE_MS	5000		  /* bound on the daemon reaching a state (times h_slow()) */
#define QUIET_MS	200		  /* how long "nothing arrives" is watched */
#define PEER_TIMEOUT_MS 60000		  /* one redis-py run (times h_slow()) */
#define SCAN_KEYS	5000		  /* keys of the full SCAN iterations */
#define T_HOLDER_UID	4242		  /* uids without passwd entries, not admins */
#define T_OTHER_UID	4243

#define ERR_BOUND                                                                           \
	"WRONGTYPE Operation against a lock or pool: locks and pools cannot be renamed, moved " \
	"or copied"
#define ERR_SWAPDB(n) "ERR SWAPDB refused: database " n " holds locks, pools or waiters"

/* ---- local helpers -------------------------------------------------------- */

static struct h_daemon *start(void)
{
	return h_daemon_start("--loglevel", "warning", NULL);
}

/* The grant's token or slot id (new, NUL-terminated; free it). */
static char *expect_grant_id_at(const char *file, int line, struct h_client *c)
{
	struct resp_reply *r = h_reply_at(file, line, c);
	char got[256], *id;

	h_reply_fmt(r, got, sizeof got);
	ck_assert_msg(r->type == RESP_ARRAY && r->elements == 2 &&
			      r->element[0]->type == RESP_BULK,
		      "%s:%d: expected a grant [token, fence], got %s", file, line, got);
	id = strndup(r->element[0]->str, r->element[0]->len);
	ck_assert_ptr_nonnull(id);
	resp_reply_free(r);
	return id;
}
#define expect_grant_id(c) expect_grant_id_at(__FILE__, __LINE__, c)

/* The integer field name of a LOCK.INFO or POOL.INFO reply (cmd) of key. */
static long long info_field(struct h_client *c, const char *cmd, const char *key,
			    const char *name)
{
	struct resp_reply *r = h_call(c, cmd, key);
	long long v = -1;

	ck_assert_int_eq(r->type, RESP_ARRAY);
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (strcmp(r->element[i]->str, name) == 0)
			v = r->element[i + 1]->integer;
	resp_reply_free(r);
	return v;
}

/* The token field of LOCK.INFO key (new; free it). */
static char *lock_token(struct h_client *c, const char *key)
{
	struct resp_reply *r = h_call(c, "LOCK.INFO", key);
	char *tok = NULL;

	ck_assert_int_eq(r->type, RESP_ARRAY);
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (strcmp(r->element[i]->str, "token") == 0)
			tok = strndup(r->element[i + 1]->str, r->element[i + 1]->len);
	ck_assert_ptr_nonnull(tok);
	resp_reply_free(r);
	return tok;
}

/* Polls cmd's waiters field of key until it reads want: how a test knows a
 * sent acquire is queued. */
#define wait_waiters(c, cmd, key, want) wait_waiters_at(__FILE__, __LINE__, c, cmd, key, want)
static void wait_waiters_at(const char *file, int line, struct h_client *c, const char *cmd,
			    const char *key, long long want)
{
	int64_t deadline = h_now_ms() + SLOW(SETTLE_MS);
	long long got;

	while ((got = info_field(c, cmd, key, "waiters")) != want) {
		ck_assert_msg(h_now_ms() < deadline, "%s:%d: %s %s waiters is %lld, want %lld",
			      file, line, cmd, key, got, want);
		h_sleep_ms(POLL_STEP_MS);
	}
}

/* Polls INFO clients until blocked_clients reads want (a waiter on a key
 * that is no lock or pool has no INFO of its own). */
static void wait_blocked(struct h_client *c, long long want)
{
	int64_t deadline = h_now_ms() + SLOW(SETTLE_MS);

	for (;;) {
		struct resp_reply *r = h_call(c, "INFO", "clients");
		const char *p = strstr(r->str, "blocked_clients:");
		long long got = p ? strtoll(p + strlen("blocked_clients:"), NULL, 10) : -1;

		resp_reply_free(r);
		if (got == want)
			return;
		ck_assert_msg(h_now_ms() < deadline, "blocked_clients is %lld, want %lld", got,
			      want);
		h_sleep_ms(POLL_STEP_MS);
	}
}

/* Every way of moving the key src somewhere is refused, and changes nothing. */
static void expect_bound(struct h_client *c, const char *src)
{
	h_cmd(c, "RENAME", src, "elsewhere");
	h_expect_error_is(c, ERR_BOUND);
	h_cmd(c, "RENAME", src, src);
	h_expect_error_is(c, ERR_BOUND);
	h_cmd(c, "RENAMENX", src, "elsewhere");
	h_expect_error_is(c, ERR_BOUND);
	h_cmd(c, "MOVE", src, "1");
	h_expect_error_is(c, ERR_BOUND);
	h_cmd(c, "COPY", src, "elsewhere");
	h_expect_error_is(c, ERR_BOUND);
	h_cmd(c, "COPY", src, src, "DB", "1", "REPLACE");
	h_expect_error_is(c, ERR_BOUND);
	h_cmd(c, "SWAPDB", "0", "1");
	h_expect_error_is(c, ERR_SWAPDB("0"));
	h_cmd(c, "SWAPDB", "1", "0");
	h_expect_error_is(c, ERR_SWAPDB("0"));
	h_call_int(c, 0, "EXISTS", "elsewhere");
	h_ok(c, "SELECT", "1");
	h_call_int(c, 0, "EXISTS", src, "elsewhere");
	h_ok(c, "SELECT", "0");
	h_call_int(c, 1, "EXISTS", src);
}

/* ---- locks and pools as sources: refused, owner and waiters untouched ----- */

START_TEST(test_lock_source_is_refused_and_its_waiter_still_granted)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d), *c3 = h_connect(d);
	char *tok, *held, *tok2;

	h_cmd(c1, "LOCK.ACQUIRE", "L", "PX", "100000");
	tok = expect_grant_id(c1);
	h_cmd(c2, "LOCK.ACQUIRE", "L", "WAIT", "0");
	wait_waiters(c3, "LOCK.INFO", "L", 1);

	expect_bound(c3, "L");
	h_call_status(c3, "lock", "TYPE", "L");
	ck_assert_int_gt(h_call_ll(c3, "PTTL", "L"), 0);
	held = lock_token(c1, "L");
	ck_assert_str_eq(held, tok);
	ck_assert_int_eq(info_field(c3, "LOCK.INFO", "L", "waiters"), 1);
	ck_assert(h_is_quiet(c2, QUIET_MS));

	/* The owner still releases it, and the waiter gets it then. */
	h_call_int(c1, 1, "LOCK.RELEASE", "L", tok);
	tok2 = expect_grant_id(c2);
	ck_assert_str_ne(tok2, tok);
	h_call_int(c2, 1, "LOCK.RELEASE", "L", tok2);
	free(tok);
	free(held);
	free(tok2);
	h_close(c1);
	h_close(c2);
	h_close(c3);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_pool_source_is_refused_and_its_waiter_still_granted)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d), *c3 = h_connect(d);
	char *slot, *slot2;

	h_cmd(c1, "POOL.ACQUIRE", "P", "1");
	slot = expect_grant_id(c1);
	h_cmd(c2, "POOL.ACQUIRE", "P", "1", "WAIT", "0");
	wait_waiters(c3, "POOL.INFO", "P", 1);

	expect_bound(c3, "P");
	h_call_status(c3, "pool", "TYPE", "P");
	h_call_int(c3, 1, "POOL.SIZE", "P");
	ck_assert(h_is_quiet(c2, QUIET_MS));

	h_call_int(c1, 1, "POOL.RELEASE", "P", slot);
	slot2 = expect_grant_id(c2);
	h_call_int(c2, 1, "POOL.RELEASE", "P", slot2);
	h_call_int(c3, 0, "EXISTS", "P");
	free(slot);
	free(slot2);
	h_close(c1);
	h_close(c2);
	h_close(c3);
	h_daemon_finish(d);
}
END_TEST

/* Redis's own errors come first: the rules above only apply to a lock or
 * pool that the command would otherwise have moved. */
START_TEST(test_redis_errors_come_before_the_lock_refusal)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	char *tok;

	h_cmd(c, "LOCK.ACQUIRE", "L");
	tok = expect_grant_id(c);
	h_call_error(c, "ERR source and destination objects are the same", "COPY", "L", "L");
	h_call_error(c, "ERR source and destination objects are the same", "MOVE", "L", "0");
	h_call_error(c, "ERR DB index is out of range", "MOVE", "L", "16");
	h_call_error(c, "ERR syntax error", "COPY", "L", "x", "DB");
	h_call_error(c, "ERR no such key", "RENAME", "nokey", "L");
	h_call_int(c, 0, "COPY", "nokey", "L", "REPLACE");
	h_call_int(c, 0, "MOVE", "nokey", "1");
	h_call_int(c, 1, "LOCK.RELEASE", "L", tok);
	free(tok);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- locks and pools as destinations ------------------------------------- */

START_TEST(test_rename_onto_a_lock_replaces_it_and_its_waiter_waits_for_the_new_key)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d), *c3 = h_connect(d);
	char *tok, *tok2;

	h_cmd(c1, "LOCK.ACQUIRE", "L");
	tok = expect_grant_id(c1);
	h_cmd(c2, "LOCK.ACQUIRE", "L", "WAIT", "0");
	wait_waiters(c3, "LOCK.INFO", "L", 1);
	h_ok(c3, "SET", "s", "value");
	h_call_int(c3, 0, "RENAMENX", "s", "L");
	h_call_int(c3, 0, "COPY", "s", "L");
	h_call_status(c3, "lock", "TYPE", "L");

	h_ok(c3, "RENAME", "s", "L");
	h_call_status(c3, "string", "TYPE", "L");
	h_call_bulk(c3, "value", "GET", "L");
	h_call_int(c3, 0, "EXISTS", "s");
	/* The old holder's token is void; the waiter waits for the string. */
	h_call_error(c1, "NOTOWNER", "LOCK.RELEASE", "L", tok);
	ck_assert(h_is_quiet(c2, QUIET_MS));
	h_call_int(c3, 1, "DEL", "L");
	tok2 = expect_grant_id(c2);
	h_call_int(c2, 1, "LOCK.RELEASE", "L", tok2);
	/* Its holder closing later frees nothing of someone else's. */
	h_close(c1);
	h_call_int(c3, 0, "EXISTS", "L");
	free(tok);
	free(tok2);
	h_close(c2);
	h_close(c3);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_copy_replace_onto_a_pool_replaces_it_and_copy_without_replace_does_not)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d), *c3 = h_connect(d);
	char *slot, *slot2;

	h_cmd(c1, "POOL.ACQUIRE", "P", "1");
	slot = expect_grant_id(c1);
	h_cmd(c2, "POOL.ACQUIRE", "P", "1", "WAIT", "0");
	wait_waiters(c3, "POOL.INFO", "P", 1);
	h_ok(c3, "SET", "s", "value", "EX", "100");
	h_call_int(c3, 0, "COPY", "s", "P");
	h_call_status(c3, "pool", "TYPE", "P");
	h_call_int(c3, 1, "POOL.SIZE", "P");

	h_call_int(c3, 1, "COPY", "s", "P", "REPLACE");
	h_call_bulk(c3, "value", "GET", "P");
	ck_assert_int_gt(h_call_ll(c3, "TTL", "P"), 90);
	h_call_bulk(c3, "value", "GET", "s");
	h_call_error(c1, "WRONGTYPE", "POOL.RELEASE", "P", slot);
	ck_assert(h_is_quiet(c2, QUIET_MS));
	h_call_int(c3, 1, "UNLINK", "P");
	slot2 = expect_grant_id(c2);
	h_call_int(c2, 1, "POOL.RELEASE", "P", slot2);
	free(slot);
	free(slot2);
	h_close(c1);
	h_close(c2);
	h_close(c3);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_move_and_copy_onto_a_lock_in_another_db_change_nothing)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d);
	char *tok, *held;

	h_ok(c1, "SELECT", "1");
	h_cmd(c1, "LOCK.ACQUIRE", "k");
	tok = expect_grant_id(c1);
	h_ok(c2, "SET", "k", "v");
	h_call_int(c2, 0, "MOVE", "k", "1");
	h_call_int(c2, 0, "COPY", "k", "k", "DB", "1");
	h_call_bulk(c2, "v", "GET", "k");
	held = lock_token(c1, "k");
	ck_assert_str_eq(held, tok);
	/* With REPLACE the copy is a forced release, as SET would be. */
	h_call_int(c2, 1, "COPY", "k", "k", "DB", "1", "REPLACE");
	h_call_status(c1, "string", "TYPE", "k");
	h_call_error(c1, "NOTOWNER", "LOCK.RELEASE", "k", tok);
	free(tok);
	free(held);
	h_close(c1);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

/* A waiter on a plain key waits for it to go: a rename or move takes it
 * away, and the waiter gets its lock at once. */
START_TEST(test_rename_and_move_of_a_blocking_key_grant_its_waiters)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d), *c3 = h_connect(d);
	char *tok, *tok2;

	h_ok(c3, "SET", "a", "1");
	h_ok(c3, "SET", "b", "1");
	h_cmd(c1, "LOCK.ACQUIRE", "a", "WAIT", "0");
	h_cmd(c2, "LOCK.ACQUIRE", "b", "WAIT", "0");
	wait_blocked(c3, 2);
	h_ok(c3, "RENAME", "a", "a2");
	tok = expect_grant_id(c1);
	ck_assert(h_is_quiet(c2, QUIET_MS));
	h_call_int(c3, 1, "MOVE", "b", "3");
	tok2 = expect_grant_id(c2);
	h_call_status(c3, "lock", "TYPE", "a");
	h_call_status(c3, "lock", "TYPE", "b");
	h_call_int(c1, 1, "LOCK.RELEASE", "a", tok);
	h_call_int(c2, 1, "LOCK.RELEASE", "b", tok2);
	free(tok);
	free(tok2);
	h_close(c1);
	h_close(c2);
	h_close(c3);
	h_daemon_finish(d);
}
END_TEST

/* ---- SWAPDB ---------------------------------------------------------------- */

START_TEST(test_swapdb_is_refused_while_a_db_has_waiters_locks_or_pools)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d), *c3 = h_connect(d);
	char *tok, *slot;

	/* Only a waiter: db 2 holds a plain key someone waits on. */
	h_ok(c1, "SELECT", "2");
	h_ok(c1, "SET", "k", "v");
	h_ok(c2, "SELECT", "2");
	h_cmd(c2, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_blocked(c3, 1);
	h_call_error(c3, ERR_SWAPDB("2"), "SWAPDB", "2", "3");
	h_call_error(c3, ERR_SWAPDB("2"), "SWAPDB", "3", "2");
	h_ok(c3, "SWAPDB", "3", "4");
	h_ok(c3, "SWAPDB", "2", "2");
	h_call_bulk(c1, "v", "GET", "k");

	/* The waiter gets its lock: now db 2 holds one. */
	h_call_int(c1, 1, "DEL", "k");
	tok = expect_grant_id(c2);
	h_call_error(c3, ERR_SWAPDB("2"), "SWAPDB", "2", "3");
	h_call_int(c2, 1, "LOCK.RELEASE", "k", tok);
	/* Released: nothing is bound to db 2 any more. */
	h_ok(c1, "SET", "x", "in2");
	h_ok(c3, "SWAPDB", "2", "3");
	h_call_nil(c1, "GET", "x");
	h_ok(c1, "SELECT", "3");
	h_call_bulk(c1, "in2", "GET", "x");

	/* A pool in db 3, then gone with its last slot. */
	h_cmd(c1, "POOL.ACQUIRE", "p", "2");
	slot = expect_grant_id(c1);
	h_call_error(c3, ERR_SWAPDB("3"), "SWAPDB", "0", "3");
	h_call_int(c1, 1, "POOL.RELEASE", "p", slot);
	h_ok(c3, "SWAPDB", "0", "3");
	h_call_bulk(c3, "in2", "GET", "x");

	/* A lock that expires is collected, and no longer counts. */
	h_cmd(c1, "LOCK.ACQUIRE", "e", "PX", "30", "DETACH");
	free(expect_grant_id(c1));
	h_call_error(c3, ERR_SWAPDB("3"), "SWAPDB", "3", "4");
	h_sleep_ms(60);
	h_call_int(c1, 0, "EXISTS", "e");
	h_ok(c3, "SWAPDB", "3", "4");
	free(tok);
	free(slot);
	h_close(c1);
	h_close(c2);
	h_close(c3);
	h_daemon_finish(d);
}
END_TEST

/* A lock's count moves with FLUSHDB, DEL, a session end and SET over it. */
START_TEST(test_swapdb_counts_every_way_a_lock_or_pool_ends)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d);

	h_ok(c1, "SELECT", "5");
	h_cmd(c1, "LOCK.ACQUIRE", "a");
	free(expect_grant_id(c1));
	h_cmd(c1, "POOL.ACQUIRE", "b", "3");
	free(expect_grant_id(c1));
	h_cmd(c1, "POOL.ACQUIRE", "b", "3");
	free(expect_grant_id(c1));
	h_cmd(c1, "LOCK.ACQUIRE", "c", "DETACH");
	free(expect_grant_id(c1));
	h_cmd(c1, "LOCK.ACQUIRE", "e", "DETACH");
	free(expect_grant_id(c1));
	h_call_error(c2, ERR_SWAPDB("5"), "SWAPDB", "5", "6");
	h_call_int(c1, 1, "DEL", "a");
	h_ok(c1, "SET", "c", "string now");
	h_call_error(c2, ERR_SWAPDB("5"), "SWAPDB", "5", "6");
	h_close(c1); /* b's slots end with the session; e is detached */
	h_call_error(c2, ERR_SWAPDB("5"), "SWAPDB", "6", "5");
	h_ok(c2, "SELECT", "5");
	h_call_int(c2, 0, "EXISTS", "a", "b");
	h_call_status(c2, "lock", "TYPE", "e");
	h_ok(c2, "FLUSHDB");
	h_ok(c2, "SWAPDB", "5", "6");
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

/* ---- SCAN, KEYS, RANDOMKEY ------------------------------------------------ */

/* Full SCAN of the selected database with extra arguments; counts, per key
 * "k<i>" (i < n), how often it came back, in seen (n entries); other keys
 * go to *others. */
static void scan_all(struct h_client *c, const char *const *extra, size_t nextra,
		     unsigned *seen, int n, long long *others)
{
	char cursor[32] = "0";
	int calls = 0;

	do {
		struct resp_arg argv[8];
		struct resp_reply *r;
		int argc = 0;

		argv[argc++] = (struct resp_arg){"SCAN", 4};
		argv[argc++] = (struct resp_arg){cursor, strlen(cursor)};
		for (size_t i = 0; i < nextra; i++)
			argv[argc++] = (struct resp_arg){extra[i], strlen(extra[i])};
		h_cmdv(c, argc, argv);
		r = h_reply(c);
		ck_assert_int_eq(r->type, RESP_ARRAY);
		ck_assert_int_eq(r->elements, 2);
		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		for (size_t i = 0; i < r->element[1]->elements; i++) {
			const char *k = r->element[1]->element[i]->str;
			char *end;
			long v = k[0] == 'k' ? strtol(k + 1, &end, 10) : -1;

			if (v >= 0 && v < n && *end == '\0')
				seen[v]++;
			else
				(*others)++;
		}
		resp_reply_free(r);
		ck_assert_int_lt(++calls, 100 * n + 100);
	} while (strcmp(cursor, "0") != 0);
}

static void fill_keys(struct h_client *c, int n)
{
	char key[32];

	/* Pipelined, then every reply read. */
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof key, "k%d", i);
		h_cmd(c, "SET", key, "v");
	}
	for (int i = 0; i < n; i++)
		h_expect_status(c, "OK");
}

START_TEST(test_scan_iterates_every_key_exactly_once_on_a_stable_table)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	static unsigned seen[SCAN_KEYS];
	const char *count1000[] = {"COUNT", "1000"};
	const char *match[] = {"MATCH", "k1*", "COUNT", "7"};
	const char *type_string[] = {"TYPE", "string"};
	const char *type_lock[] = {"TYPE", "lock", "COUNT", "100"};
	long long others = 0;
	int expect;

	fill_keys(c, SCAN_KEYS);
	h_cmd(c, "LOCK.ACQUIRE", "alock");
	free(expect_grant_id(c));

	memset(seen, 0, sizeof seen);
	scan_all(c, NULL, 0, seen, SCAN_KEYS, &others);
	for (int i = 0; i < SCAN_KEYS; i++)
		ck_assert_msg(seen[i] == 1, "k%d seen %u times", i, seen[i]);
	ck_assert_int_eq(others, 1);

	memset(seen, 0, sizeof seen);
	others = 0;
	scan_all(c, count1000, 2, seen, SCAN_KEYS, &others);
	for (int i = 0; i < SCAN_KEYS; i++)
		ck_assert_msg(seen[i] == 1, "COUNT 1000: k%d seen %u times", i, seen[i]);

	memset(seen, 0, sizeof seen);
	others = 0;
	scan_all(c, match, 4, seen, SCAN_KEYS, &others);
	expect = 0;
	for (int i = 0; i < SCAN_KEYS; i++) {
		char key[32];
		bool want;

		snprintf(key, sizeof key, "%d", i);
		want = key[0] == '1';
		expect += want;
		ck_assert_msg(seen[i] == (want ? 1u : 0u), "MATCH k1*: k%d seen %u times", i,
			      seen[i]);
	}
	ck_assert_int_eq(others, 0);
	ck_assert_int_gt(expect, 1000);

	memset(seen, 0, sizeof seen);
	others = 0;
	scan_all(c, type_string, 2, seen, SCAN_KEYS, &others);
	for (int i = 0; i < SCAN_KEYS; i++)
		ck_assert_msg(seen[i] == 1, "TYPE string: k%d seen %u times", i, seen[i]);
	ck_assert_int_eq(others, 0);

	memset(seen, 0, sizeof seen);
	others = 0;
	scan_all(c, type_lock, 4, seen, SCAN_KEYS, &others);
	for (int i = 0; i < SCAN_KEYS; i++)
		ck_assert_int_eq(seen[i], 0);
	ck_assert_int_eq(others, 1);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* Keys added or deleted mid-iteration may come or go; every key present
 * from start to end comes back at least once, across the table's growth. */
START_TEST(test_scan_returns_every_stable_key_while_the_table_grows)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d), *w = h_connect(d);
	static unsigned seen[SCAN_KEYS];
	char cursor[32] = "0", key[32];
	int added = 0;

	fill_keys(c, 100);
	memset(seen, 0, sizeof seen);
	do {
		struct resp_reply *r = h_call(c, "SCAN", cursor, "COUNT", "5");

		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		for (size_t i = 0; i < r->element[1]->elements; i++) {
			long v = strtol(r->element[1]->element[i]->str + 1, NULL, 10);

			if (r->element[1]->element[i]->str[0] == 'k' && v >= 0 && v < 100)
				seen[v]++;
		}
		resp_reply_free(r);
		/* Grow the table under the cursor: many resizes along the way. */
		for (int j = 0; j < 50 && added < SCAN_KEYS; j++, added++) {
			snprintf(key, sizeof key, "new%d", added);
			h_ok(w, "SET", key, "v");
		}
	} while (strcmp(cursor, "0") != 0);
	for (int i = 0; i < 100; i++)
		ck_assert_msg(seen[i] >= 1, "k%d never returned", i);
	h_close(c);
	h_close(w);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_keys_returns_each_matching_key_once)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	static unsigned seen[SCAN_KEYS];
	struct resp_reply *r;

	fill_keys(c, SCAN_KEYS);
	h_ok(c, "SET", "other", "v");
	h_ok(c, "SET", "k99999", "v");
	h_call_int(c, 1, "PEXPIRE", "k99999", "1");
	h_sleep_ms(5);
	r = h_call(c, "KEYS", "k*");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_int_eq(r->elements, SCAN_KEYS);
	memset(seen, 0, sizeof seen);
	for (size_t i = 0; i < r->elements; i++) {
		long v = strtol(r->element[i]->str + 1, NULL, 10);

		ck_assert(v >= 0 && v < SCAN_KEYS);
		seen[v]++;
	}
	for (int i = 0; i < SCAN_KEYS; i++)
		ck_assert_int_eq(seen[i], 1);
	resp_reply_free(r);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_randomkey_reaches_every_key_and_skips_expired_ones)
{
	struct h_daemon *d = h_daemon_start("--loglevel", "warning", "--hz", "1", NULL);
	struct h_client *c = h_connect(d);
	const char *names[] = {"a", "b", "c", "d"};
	unsigned hits[4] = {0};
	char key[32];

	for (int i = 0; i < 4; i++)
		h_ok(c, "SET", names[i], "v");
	for (int n = 0; n < 400; n++) {
		struct resp_reply *r = h_call(c, "RANDOMKEY");

		ck_assert_int_eq(r->type, RESP_BULK);
		for (int i = 0; i < 4; i++)
			hits[i] += strcmp(r->str, names[i]) == 0;
		resp_reply_free(r);
	}
	for (int i = 0; i < 4; i++)
		ck_assert_msg(hits[i] >= 40, "%s: %u of 400", names[i], hits[i]);

	/* A database of expired keys and one live one: never an expired key,
	 * and an answer even past the bounded number of deletions. */
	h_ok(c, "FLUSHALL");
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "gone%d", i);
		h_cmd(c, "SET", key, "v", "PX", "1");
	}
	for (int i = 0; i < 1000; i++)
		h_expect_status(c, "OK");
	h_ok(c, "SET", "live", "v");
	h_sleep_ms(10);
	h_call_bulk(c, "live", "RANDOMKEY");
	h_call_int(c, 1, "DEL", "live");
	h_call_nil(c, "RANDOMKEY");
	h_call_int(c, 0, "DBSIZE");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- other users: key patterns, forced releases --------------------------- */

struct env {
	struct h_daemon *d;
	char pub[H_PATH_MAX]; /* mode 0755 under /tmp: every uid can reach the socket */
	char conf[H_PATH_MAX + 16];
};

static void env_start(struct env *e, const char *conf_text)
{
	const char *args[] = {"-c", e->conf, "--unixsocketperm", "0666", "--allow-uid", "*", NULL};

	ck_assert_msg(getuid() == 0, "these tests take other uids: run them as root");
	e->d = h_daemon_new();
	snprintf(e->pub, sizeof e->pub, "/tmp/cachify-keys.XXXXXX");
	ck_assert_msg(mkdtemp(e->pub) != NULL, "mkdtemp: %s", strerror(errno));
	ck_assert_int_eq(chmod(e->pub, 0755), 0);
	ck_assert_int_lt(snprintf(e->d->sock, sizeof e->d->sock, "%s/sock", e->pub),
			 (int)sizeof e->d->sock);
	snprintf(e->conf, sizeof e->conf, "%s/keys.conf", e->d->dir);
	h_write_file(e->conf, conf_text);
	h_daemon_spawn(e->d, args);
	h_daemon_wait_ready(e->d);
}

static void env_stop(struct env *e)
{
	h_daemon_finish(e->d);
	h_rm_rf(e->pub);
}

/* A client connected as uid (and gid) uid: a child takes the uid, connects
 * and hands the socket back over SCM_RIGHTS (new: h_close it). */
static struct h_client *connect_as(const struct env *e, uid_t uid)
{
	char byte = 0, cbuf[CMSG_SPACE(sizeof(int))] = {0};
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
		if (setgroups(0, NULL) != 0 || setresgid(uid, uid, uid) != 0 ||
		    setresuid(uid, uid, uid) != 0)
			_exit(2);
		if ((fd = h_connect_fd(e->d->sock)) < 0)
			_exit(3);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof fd);
		_exit(sendmsg(sv[1], &mh, 0) == 1 ? 0 : 4);
	}
	close(sv[1]);
	if (recvmsg(sv[0], &mh, 0) == 1 && (cm = CMSG_FIRSTHDR(&mh)) != NULL &&
	    cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	close(sv[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "connecting as uid %u failed: status 0x%x", (unsigned)uid, status);
	ck_assert_int_ge(fd, 0);
	c = calloc(1, sizeof *c);
	ck_assert_ptr_nonnull(c);
	c->fd = fd;
	c->timeout_ms = H_TIMEOUT_MS * h_slow();
	resp_reader_init(&c->rd);
	snprintf(c->where, sizeof c->where, "%s as uid %u", e->d->sock, (unsigned)uid);
	return c;
}

START_TEST(test_rename_or_copy_onto_another_uids_lock_is_noperm_and_changes_nothing)
{
	struct env e;
	struct h_client *holder, *other, *root;
	char *tok, *held;

	env_start(&e, "");
	holder = connect_as(&e, T_HOLDER_UID);
	other = connect_as(&e, T_OTHER_UID);
	root = h_connect(e.d);
	h_cmd(holder, "LOCK.ACQUIRE", "L");
	tok = expect_grant_id(holder);
	h_ok(other, "SET", "s", "v");
	h_call_error(other, "NOPERM", "RENAME", "s", "L");
	h_call_error(other, "NOPERM", "COPY", "s", "L", "REPLACE");
	h_call_int(other, 1, "EXISTS", "s");
	held = lock_token(root, "L");
	ck_assert_str_eq(held, tok);
	/* RENAMENX and COPY without REPLACE only answer 0, for anyone. */
	h_call_int(other, 0, "RENAMENX", "s", "L");
	h_call_int(other, 0, "COPY", "s", "L");
	/* An admin may force it, as with DEL. */
	h_ok(root, "RENAME", "s", "L");
	h_call_error(holder, "NOTOWNER", "LOCK.RELEASE", "L", tok);
	free(tok);
	free(held);
	h_close(holder);
	h_close(other);
	h_close(root);
	env_stop(&e);
}
END_TEST

START_TEST(test_keys_and_scan_leave_out_keys_outside_the_key_patterns)
{
	struct env e;
	struct h_client *app, *root;
	struct resp_reply *r;
	char conf[128];

	snprintf(conf, sizeof conf, "acl-uid %d ~app:* +@all\n", T_OTHER_UID);
	env_start(&e, conf);
	app = connect_as(&e, T_OTHER_UID);
	root = h_connect(e.d);
	h_ok(root, "SET", "app:1", "v");
	h_ok(root, "SET", "app:2", "v");
	h_ok(root, "SET", "secret", "v");
	r = h_call(app, "KEYS", "*");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_int_eq(r->elements, 2);
	for (size_t i = 0; i < r->elements; i++)
		ck_assert(strncmp(r->element[i]->str, "app:", 4) == 0);
	resp_reply_free(r);
	r = h_call(app, "SCAN", "0", "COUNT", "1000");
	ck_assert_int_eq(r->element[1]->elements, 2);
	resp_reply_free(r);
	r = h_call(root, "KEYS", "*");
	ck_assert_int_eq(r->elements, 3);
	resp_reply_free(r);
	/* Both names of a RENAME are keys the rule checks. */
	h_call_error(app, "NOPERM", "RENAME", "app:1", "secret2");
	h_call_error(app, "NOPERM", "COPY", "secret", "app:3");
	h_ok(app, "RENAME", "app:1", "app:3");
	h_close(app);
	h_close(root);
	env_stop(&e);
}
END_TEST

/* ---- expiry edges ------------------------------------------------------------ */

START_TEST(test_expire_edges_past_times_overflow_and_pxat_max)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);

	h_ok(c, "SET", "k", "v");
	h_call_int(c, 1, "EXPIREAT", "k", "1");
	h_call_int(c, 0, "EXISTS", "k");
	h_ok(c, "SET", "k", "v");
	h_call_int(c, 1, "PEXPIREAT", "k", "-9223372036854775808");
	h_call_int(c, 0, "EXISTS", "k");
	h_ok(c, "SET", "k", "v");
	h_call_error(c, "ERR invalid expire time in 'expire' command", "EXPIRE", "k",
		     "9223372036854775807");
	h_call_error(c, "ERR invalid expire time in 'pexpire' command", "PEXPIRE", "k",
		     "9223372036854775000");
	h_call_error(c, "ERR invalid expire time in 'expireat' command", "EXPIREAT", "k",
		     "9223372036854776");
	h_call_int(c, -1, "TTL", "k");
	/* The largest time comes back as given, again and again. */
	h_ok(c, "SET", "k", "v", "PXAT", "9223372036854775807");
	for (int i = 0; i < 50; i++) {
		h_call_int(c, 9223372036854775807LL, "PEXPIRETIME", "k");
		h_call_int(c, 9223372036854776LL, "EXPIRETIME", "k");
	}
	h_call_int(c, 1, "PEXPIREAT", "k", "99999999999999");
	for (int i = 0; i < 50; i++)
		h_call_int(c, 99999999999999LL, "PEXPIRETIME", "k");
	/* A time of "now" is already past, every time. */
	for (int i = 0; i < 50; i++) {
		h_ok(c, "SET", "k", "v", "EX", "100");
		h_call_int(c, 1, "EXPIRE", "k", "0", "LT");
		h_call_int(c, 0, "EXISTS", "k");
	}
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- redis-py ------------------------------------------------------------------ */

START_TEST(test_redis_py_keyspace_calls_pass)
{
	struct h_daemon *d = start();
	char script[H_PATH_MAX], out[H_PATH_MAX + 8], err[H_PATH_MAX + 8];
	const char *argv[] = {"/usr/bin/python3", script, d->sock, NULL};
	char *o, *e;
	int status;

	snprintf(script, sizeof script, "%s", h_src_path("tests/compat/redis_py_keys.py"));
	snprintf(out, sizeof out, "%s/out", d->dir);
	snprintf(err, sizeof err, "%s/err", d->dir);
	status = h_exec(argv, NULL, out, err, SLOW(PEER_TIMEOUT_MS));
	o = h_slurp(out, NULL);
	e = h_slurp(err, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && o &&
			      strcmp(o, "ok\n") == 0,
		      "redis_py_keys.py: status 0x%x\nstdout:\n%.3000s\nstderr:\n%.3000s", status,
		      o ? o : "", e ? e : "");
	free(o);
	free(e);
	h_daemon_finish(d);
}
END_TEST

Suite *keys_suite(void)
{
	Suite *s = suite_create("keys");
	TCase *bound = tcase_create("locks and pools");
	TCase *iter = tcase_create("iteration");
	TCase *users = tcase_create("users");
	TCase *peers = tcase_create("peers");

	tcase_add_test(bound, test_lock_source_is_refused_and_its_waiter_still_granted);
	tcase_add_test(bound, test_pool_source_is_refused_and_its_waiter_still_granted);
	tcase_add_test(bound, test_redis_errors_come_before_the_lock_refusal);
	tcase_add_test(bound, test_rename_onto_a_lock_replaces_it_and_its_waiter_waits_for_the_new_key);
	tcase_add_test(bound,
		       test_copy_replace_onto_a_pool_replaces_it_and_copy_without_replace_does_not);
	tcase_add_test(bound, test_move_and_copy_onto_a_lock_in_another_db_change_nothing);
	tcase_add_test(bound, test_rename_and_move_of_a_blocking_key_grant_its_waiters);
	tcase_add_test(bound, test_swapdb_is_refused_while_a_db_has_waiters_locks_or_pools);
	tcase_add_test(bound, test_swapdb_counts_every_way_a_lock_or_pool_ends);
	tcase_add_test(bound, test_expire_edges_past_times_overflow_and_pxat_max);
	suite_add_tcase(s, bound);

	tcase_set_timeout(iter, 60);
	tcase_add_test(iter, test_scan_iterates_every_key_exactly_once_on_a_stable_table);
	tcase_add_test(iter, test_scan_returns_every_stable_key_while_the_table_grows);
	tcase_add_test(iter, test_keys_returns_each_matching_key_once);
	tcase_add_test(iter, test_randomkey_reaches_every_key_and_skips_expired_ones);
	suite_add_tcase(s, iter);

	tcase_add_test(users, test_rename_or_copy_onto_another_uids_lock_is_noperm_and_changes_nothing);
	tcase_add_test(users, test_keys_and_scan_leave_out_keys_outside_the_key_patterns);
	suite_add_tcase(s, users);

	tcase_set_timeout(peers, 120);
	tcase_add_test(peers, test_redis_py_keyspace_calls_pass);
	suite_add_tcase(s, peers);
	return s;
}
