/* check_dispatch.c - the command table and handlers, in-process, on the fake
 * clock: lookup, arity, error texts, and TTL logic with no sleeping. The
 * same commands are also driven over a real socket in check_server.c.
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "clock.h"
#include "config.h"
#include "client.h"
#include "command.h"
#include "dispatch.h"
#include "lock.h"
#include "pool.h"
#include "server.h"
#include "store.h"
#include "waitq.h"

static struct conn *c;

static void setup(void)
{
	config_defaults(&server.cfg);
	server.store = server_store_new();
	ck_assert_ptr_nonnull(server.store);
	ck_assert_int_eq(command_init(), 0);
	c = calloc(1, sizeof *c);
	ck_assert_ptr_nonnull(c);
	resp_buf_init(&c->out);
	clock_fake_set(1000000, 1700000000000LL);
}

static void teardown(void)
{
	clock_fake_off();
	store_free(server.store); /* before c: session-bound locks point at it */
	server.store = NULL;
	resp_buf_free(&c->out);
	free(c);
	command_free();
	config_free(&server.cfg);
}

/* Runs one command given as space-separated words; returns its reply. */
static const char *run(const char *line)
{
	static char reply[4096];
	struct resp_arg argv[32];
	char buf[1024];
	int argc = 0;

	strcpy(buf, line);
	for (char *tok = strtok(buf, " "); tok && argc < 32; tok = strtok(NULL, " ")) {
		argv[argc].ptr = tok;
		argv[argc].len = strlen(tok);
		argc++;
	}
	c->out.len = 0;
	dispatch(c, argc, argv);
	ck_assert_uint_lt(c->out.len, sizeof reply);
	memcpy(reply, c->out.data, c->out.len);
	reply[c->out.len] = '\0';
	return reply;
}

static void advance(int64_t ms)
{
	clock_fake_set(clock_ms() + ms, clock_wall_ms() + ms);
}

START_TEST(test_table_names_are_lower_case_and_unique_with_sane_arity)
{
	const struct command *cmd;

	for (size_t i = 0; (cmd = command_at(i)) != NULL; i++) {
		for (const char *p = cmd->name; *p; p++)
			ck_assert_msg(!isupper((unsigned char)*p), "%s is not lower case", cmd->name);
		ck_assert_int_ne(cmd->arity, 0);
		ck_assert_ptr_eq(command_lookup(cmd->name, strlen(cmd->name)), cmd);
		ck_assert_ptr_nonnull(cmd->proc);
		if (cmd->first_key > 0)
			ck_assert(cmd->key_step > 0);
	}
}
END_TEST

START_TEST(test_lookup_ignores_case_and_rejects_prefixes)
{
	ck_assert_ptr_nonnull(command_lookup("GeT", 3));
	ck_assert_ptr_nonnull(command_lookup("LOCK.ACQUIRE", 12));
	ck_assert_ptr_null(command_lookup("ge", 2));
	ck_assert_ptr_null(command_lookup("gets", 4));
	ck_assert_ptr_null(command_lookup("", 0));
}
END_TEST

START_TEST(test_unknown_command_and_wrong_arity_use_redis_wording)
{
	ck_assert_str_eq(run("FOO a b"),
			 "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n");
	ck_assert_str_eq(run("GET"), "-ERR wrong number of arguments for 'get' command\r\n");
	ck_assert_str_eq(run("GET a b"), "-ERR wrong number of arguments for 'get' command\r\n");
	ck_assert_str_eq(run("SET a"), "-ERR wrong number of arguments for 'set' command\r\n");
}
END_TEST

START_TEST(test_set_px_expires_exactly_at_its_deadline_on_the_fake_clock)
{
	ck_assert_str_eq(run("SET k v PX 100"), "+OK\r\n");
	ck_assert_str_eq(run("PTTL k"), ":100\r\n");
	advance(99);
	ck_assert_str_eq(run("GET k"), "$1\r\nv\r\n");
	advance(1);
	ck_assert_str_eq(run("GET k"), "$-1\r\n");
	ck_assert_str_eq(run("PTTL k"), ":-2\r\n");
}
END_TEST

START_TEST(test_ttl_rounds_to_the_nearest_second)
{
	ck_assert_str_eq(run("SET k v EX 10"), "+OK\r\n");
	advance(400);
	ck_assert_str_eq(run("TTL k"), ":10\r\n");
	advance(200);
	ck_assert_str_eq(run("TTL k"), ":9\r\n");
	ck_assert_str_eq(run("SET n v"), "+OK\r\n");
	ck_assert_str_eq(run("TTL n"), ":-1\r\n");
}
END_TEST

START_TEST(test_exat_and_pxat_follow_the_wall_clock)
{
	/* wall = 1700000000000 ms: 10 s later in wall time is 10 s of TTL */
	ck_assert_str_eq(run("SET k v EXAT 1700000010"), "+OK\r\n");
	ck_assert_str_eq(run("PTTL k"), ":10000\r\n");
	ck_assert_str_eq(run("SET p v PXAT 1700000000500"), "+OK\r\n");
	ck_assert_str_eq(run("PTTL p"), ":500\r\n");
	/* A time already past sets and deletes at once. */
	ck_assert_str_eq(run("SET old v PXAT 1699999999999"), "+OK\r\n");
	ck_assert_str_eq(run("EXISTS old"), ":0\r\n");
}
END_TEST

START_TEST(test_keepttl_and_incr_keep_the_deadline)
{
	ck_assert_str_eq(run("SET k 1 PX 1000"), "+OK\r\n");
	advance(300);
	ck_assert_str_eq(run("INCR k"), ":2\r\n");
	ck_assert_str_eq(run("PTTL k"), ":700\r\n");
	ck_assert_str_eq(run("SET k x KEEPTTL"), "+OK\r\n");
	ck_assert_str_eq(run("PTTL k"), ":700\r\n");
	ck_assert_str_eq(run("SET k y"), "+OK\r\n");
	ck_assert_str_eq(run("PTTL k"), ":-1\r\n");
}
END_TEST

START_TEST(test_expire_conditions_nx_xx_gt_lt)
{
	ck_assert_str_eq(run("SET k v"), "+OK\r\n");
	ck_assert_str_eq(run("EXPIRE k 100 XX"), ":0\r\n");
	ck_assert_str_eq(run("EXPIRE k 100 GT"), ":0\r\n");
	ck_assert_str_eq(run("EXPIRE k 100 NX"), ":1\r\n");
	ck_assert_str_eq(run("EXPIRE k 200 NX"), ":0\r\n");
	ck_assert_str_eq(run("EXPIRE k 50 GT"), ":0\r\n");
	ck_assert_str_eq(run("EXPIRE k 50 LT"), ":1\r\n");
	ck_assert_str_eq(run("PTTL k"), ":50000\r\n");
	ck_assert_str_eq(run("EXPIRE k 10 NX XX"),
			 "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n");
	ck_assert_str_eq(run("PEXPIRE k 0"), ":1\r\n");
	ck_assert_str_eq(run("EXISTS k"), ":0\r\n");
}
END_TEST

START_TEST(test_set_option_errors)
{
	ck_assert_str_eq(run("SET k v EX 0"), "-ERR invalid expire time in 'set' command\r\n");
	ck_assert_str_eq(run("SET k v PX -5"), "-ERR invalid expire time in 'set' command\r\n");
	ck_assert_str_eq(run("SET k v EX abc"),
			 "-ERR value is not an integer or out of range\r\n");
	ck_assert_str_eq(run("SET k v EX 9223372036854775807"),
			 "-ERR invalid expire time in 'set' command\r\n");
	ck_assert_str_eq(run("SET k v NX XX"), "-ERR syntax error\r\n");
	ck_assert_str_eq(run("SET k v EX 1 PX 1"), "-ERR syntax error\r\n");
	ck_assert_str_eq(run("SET k v KEEPTTL EX 1"), "-ERR syntax error\r\n");
	ck_assert_str_eq(run("EXISTS k"), ":0\r\n");
}
END_TEST

START_TEST(test_lock_ttl_runs_on_the_fake_clock)
{
	const char *r = run("LOCK.ACQUIRE L PX 200 TOKEN t1");

	ck_assert_msg(strncmp(r, "*2\r\n$2\r\nt1\r\n:", 13) == 0, "grant: %s", r);
	ck_assert_str_eq(run("GET L"), "$2\r\nt1\r\n");
	ck_assert_str_eq(run("TYPE L"), "+lock\r\n");
	ck_assert(strncmp(run("LOCK.ACQUIRE L"), "-LOCKED", 7) == 0);
	advance(150);
	ck_assert_str_eq(run("LOCK.RENEW L t1 PX 200"), ":1\r\n");
	advance(150);
	ck_assert_str_eq(run("PTTL L"), ":50\r\n");
	advance(50);
	ck_assert(strncmp(run("LOCK.RELEASE L t1"), "-NOTOWNER", 9) == 0);
	ck_assert_str_eq(run("EXISTS L"), ":0\r\n");
}
END_TEST

START_TEST(test_pool_slot_expiry_runs_on_the_fake_clock)
{
	ck_assert(strncmp(run("POOL.ACQUIRE P 2 PX 100"), "*2\r\n$32\r\n", 9) == 0);
	advance(50);
	ck_assert(strncmp(run("POOL.ACQUIRE P 2 PX 100"), "*2\r\n$32\r\n", 9) == 0);
	ck_assert(strncmp(run("POOL.ACQUIRE P 2"), "-FULL", 5) == 0);
	advance(50);
	ck_assert_str_eq(run("POOL.SIZE P"), ":1\r\n");
	advance(50);
	ck_assert_str_eq(run("POOL.SIZE P"), ":0\r\n");
	ck_assert_str_eq(run("EXISTS P"), ":0\r\n");
}
END_TEST

START_TEST(test_locks_and_pools_count_against_used_memory)
{
	size_t base, held;
	char cmd[512];

	/* The table's first buckets stay once made: measure from there. */
	ck_assert_str_eq(run("SET x y"), "+OK\r\n");
	base = store_used_memory(server.store);
	/* A 250-byte token lives in the lock object, not in the entry. */
	snprintf(cmd, sizeof cmd, "LOCK.ACQUIRE L TOKEN %0250d", 7);
	ck_assert(strncmp(run(cmd), "*2\r\n$250\r\n", 10) == 0);
	held = store_used_memory(server.store);
	ck_assert_msg(held >= base + 250 + sizeof(struct lock), "%zu -> %zu", base, held);
	snprintf(cmd, sizeof cmd, "LOCK.RELEASE L %0250d", 7);
	ck_assert_str_eq(run(cmd), ":1\r\n");
	ck_assert_uint_eq(store_used_memory(server.store), base);

	ck_assert(strncmp(run("POOL.ACQUIRE P 3"), "*2\r\n", 4) == 0);
	ck_assert(strncmp(run("POOL.ACQUIRE P 3"), "*2\r\n", 4) == 0);
	held = store_used_memory(server.store);
	ck_assert(held >= base + sizeof(struct pool) + 2 * sizeof(struct slot));
	ck_assert_str_eq(run("DEL P"), ":1\r\n");
	ck_assert_uint_eq(store_used_memory(server.store), base);
}
END_TEST

/* Found by fuzz_server: a client closing with slots of a pool whose TTL had
 * passed (all slots lapsed, none purged yet) released the first slot, the
 * re-timing found the pool expired and freed it, and the waiters were then
 * woken through the freed pool. A use-after-free: check-asan catches it. */
START_TEST(test_closing_client_whose_pool_lapsed_frees_the_pool_once)
{
	uint64_t expired = pool_stats()->expired;

	ck_assert(strncmp(run("POOL.ACQUIRE P 2 PX 100"), "*2\r\n", 4) == 0);
	ck_assert(strncmp(run("POOL.ACQUIRE P 2 PX 100"), "*2\r\n", 4) == 0);
	advance(100);
	pool_conn_gone(c);
	ck_assert_uint_eq(pool_slot_count(), 0);
	ck_assert_uint_eq(pool_count(), 0);
	ck_assert_uint_eq(pool_stats()->expired, expired + 2);
	ck_assert_str_eq(run("EXISTS P"), ":0\r\n");
}
END_TEST

Suite *dispatch_suite(void)
{
	Suite *s = suite_create("dispatch");
	TCase *tc = tcase_create("commands");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_table_names_are_lower_case_and_unique_with_sane_arity);
	tcase_add_test(tc, test_lookup_ignores_case_and_rejects_prefixes);
	tcase_add_test(tc, test_unknown_command_and_wrong_arity_use_redis_wording);
	tcase_add_test(tc, test_set_px_expires_exactly_at_its_deadline_on_the_fake_clock);
	tcase_add_test(tc, test_ttl_rounds_to_the_nearest_second);
	tcase_add_test(tc, test_exat_and_pxat_follow_the_wall_clock);
	tcase_add_test(tc, test_keepttl_and_incr_keep_the_deadline);
	tcase_add_test(tc, test_expire_conditions_nx_xx_gt_lt);
	tcase_add_test(tc, test_set_option_errors);
	tcase_add_test(tc, test_lock_ttl_runs_on_the_fake_clock);
	tcase_add_test(tc, test_pool_slot_expiry_runs_on_the_fake_clock);
	tcase_add_test(tc, test_locks_and_pools_count_against_used_memory);
	tcase_add_test(tc, test_closing_client_whose_pool_lapsed_frees_the_pool_once);
	suite_add_tcase(s, tc);
	return s;
}
