/* check_evict.c - maxmemory policies and OBJECT, end to end on the real
 * daemon: what each policy evicts and keeps, what it never touches (locks,
 * pools, keys with waiters), eviction before commands that are not denyoom,
 * SIGHUP reloading the policy, and OBJECT's replies and errors.
 *
 * Each test starts its daemon with the directives it needs on the command
 * line; the sampling itself is unit-tested in check_store.c.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "harness.h"

#define T_SLOW_MS(ms) ((ms) * h_slow()) /* a bound, scaled for sanitizer builds */
#define VAL_SIZE      1000		/* bytes of each filler value */
#define CLOCK_TICK_MS 1100		/* sleep past one tick of the 1 s LRU clock */

static const char *const all_policies[] = {
	"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
	"allkeys-lru",	"allkeys-lfu",	"allkeys-random",
};
#define NPOLICIES (sizeof all_policies / sizeof all_policies[0])

static const char *const lfu_not_selected =
	"ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
	"that when switching between policies at runtime LRU and LFU data will take some time "
	"to adjust.";
static const char *const lfu_selected =
	"ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
	"switching between policies at runtime LRU and LFU data will take some time to adjust.";

static char val[VAL_SIZE + 1];

static void setup(void)
{
	memset(val, 'v', VAL_SIZE);
}

/* SET prefix:i val [EX ex]: the reply, new. */
static struct resp_reply *set_i(struct h_client *c, const char *prefix, int i, const char *ex)
{
	char key[64];

	snprintf(key, sizeof key, "%s:%d", prefix, i);
	return ex ? h_call(c, "SET", key, val, "EX", ex) : h_call(c, "SET", key, val);
}

static void set_ok(struct h_client *c, const char *prefix, int i, const char *ex)
{
	struct resp_reply *r = set_i(c, prefix, i, ex);

	ck_assert_msg(r->type == RESP_STRING, "SET %s:%d: %s", prefix, i,
		      r->type == RESP_ERROR ? r->str : "not +OK");
	resp_reply_free(r);
}

static bool exists_i(struct h_client *c, const char *prefix, int i)
{
	char key[64];

	snprintf(key, sizeof key, "%s:%d", prefix, i);
	return h_call_ll(c, "EXISTS", key) == 1;
}

/* Waits until the log says the configuration was reloaded n times. */
static void reloaded(const struct h_daemon *d, int n)
{
	int64_t deadline = h_now_ms() + T_SLOW_MS(5000);
	int seen = 0;

	while (seen < n && h_now_ms() < deadline) {
		char *log = h_daemon_log(d), *p = log;

		for (seen = 0; (p = strstr(p, "configuration reloaded")); p++)
			seen++;
		free(log);
		if (seen < n)
			h_sleep_ms(20);
	}
	ck_assert_msg(seen >= n, "reload %d not logged", n);
}

/* ---- what each policy evicts ------------------------------------------------ */

START_TEST(test_allkeys_lru_keeps_a_hot_set_touched_every_second)
{
	struct h_daemon *d =
		h_daemon_start("--maxmemory", "1mb", "--maxmemory-policy", "allkeys-lru", NULL);
	struct h_client *c = h_connect(d);
	int i, round, n = 0;

	for (i = 0; i < 50; i++)
		set_ok(c, "hot", i, NULL);
	/* Each round the hot keys are read a clock tick after the cold keys
	 * of the round before were written, so those are always older. */
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 300; i++)
			set_ok(c, "cold", n++, NULL);
		h_sleep_ms(CLOCK_TICK_MS);
		for (i = 0; i < 50; i++)
			ck_assert_msg(exists_i(c, "hot", i), "round %d: hot:%d evicted", round, i);
	}
	ck_assert_int_gt(h_info_ll(c, NULL, "evicted_keys"), 200);
	ck_assert_int_le(h_info_ll(c, NULL, "used_memory"), 1024 * 1024);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_allkeys_lfu_keeps_frequently_read_keys_over_newer_cold_ones)
{
	/* Log factor 0: each read counts, so a minute's decay (the test may
	 * cross a minute) leaves the hot keys above the new ones' 5. */
	struct h_daemon *d = h_daemon_start("--maxmemory", "1mb", "--maxmemory-policy",
					    "allkeys-lfu", "--lfu-log-factor", "0", NULL);
	struct h_client *c = h_connect(d);
	char key[64];
	int i, j;

	for (i = 0; i < 50; i++) {
		set_ok(c, "hot", i, NULL);
		snprintf(key, sizeof key, "hot:%d", i);
		for (j = 0; j < 5; j++)
			h_call_bulk(c, val, "GET", key);
	}
	/* Written later than every read of the hot keys: LRU would keep these. */
	for (i = 0; i < 2000; i++)
		set_ok(c, "cold", i, NULL);
	ck_assert_int_gt(h_info_ll(c, NULL, "evicted_keys"), 1000);
	for (i = 0; i < 50; i++)
		ck_assert_msg(exists_i(c, "hot", i), "hot:%d evicted", i);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_volatile_policies_keep_persistent_keys_and_then_refuse)
{
	for (size_t p = 0; p < NPOLICIES && strncmp(all_policies[p], "volatile", 8) == 0; p++) {
		struct h_daemon *d = h_daemon_start("--maxmemory", "1mb", "--maxmemory-policy",
						    all_policies[p], NULL);
		struct h_client *c = h_connect(d);
		struct resp_reply *r = NULL;
		int i, persistent;

		for (i = 0; i < 100; i++)
			set_ok(c, "ttl", i, "1000");
		for (persistent = 0; persistent < 5000; persistent++) {
			r = set_i(c, "keep", persistent, NULL);
			if (r->type != RESP_STRING)
				break;
			resp_reply_free(r);
			r = NULL;
		}
		ck_assert_ptr_nonnull(r);
		ck_assert_msg(r->type == RESP_ERROR &&
				      strcmp(r->str, "OOM command not allowed when used memory > "
						     "'maxmemory'.") == 0,
			      "%s: the write past the last TTL key was not refused with -OOM",
			      all_policies[p]);
		resp_reply_free(r);
		ck_assert_int_eq(h_info_ll(c, NULL, "evicted_keys"), 100);
		ck_assert_int_eq(h_call_ll(c, "DBSIZE"), persistent);
		for (i = 0; i < persistent; i++)
			ck_assert_msg(exists_i(c, "keep", i), "%s evicted keep:%d", all_policies[p],
				      i);
		/* Reads and DEL still work; DEL makes room again. */
		h_call_int(c, 1, "DEL", "keep:0");
		set_ok(c, "keep", 0, NULL);
		h_close(c);
		h_daemon_finish(d);
	}
}
END_TEST

START_TEST(test_volatile_ttl_evicts_the_nearest_expiry_first)
{
	/* 100 samples cover the 100 TTL keys: the order is exact. */
	struct h_daemon *d = h_daemon_start("--maxmemory", "1mb", "--maxmemory-policy",
					    "volatile-ttl", "--maxmemory-samples", "100", NULL);
	struct h_client *c = h_connect(d);
	char ex[16];
	long long evicted = 0;
	int i;

	/* TTLs out of key order: key i lives 1000 + (i * 37 % 100) s. */
	for (i = 0; i < 100; i++) {
		snprintf(ex, sizeof ex, "%d", 1000 + i * 37 % 100);
		set_ok(c, "ttl", i, ex);
	}
	for (i = 0; i < 5000 && evicted < 30; i++) {
		set_ok(c, "keep", i, NULL);
		evicted = h_info_ll(c, NULL, "evicted_keys");
	}
	ck_assert_int_eq(evicted, 30);
	for (i = 0; i < 100; i++)
		ck_assert_msg(exists_i(c, "ttl", i) == (i * 37 % 100 >= 30),
			      "ttl:%d (TTL rank %d) %s", i, i * 37 % 100,
			      i * 37 % 100 >= 30 ? "evicted" : "kept");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_allkeys_random_evicts_persistent_keys_too)
{
	struct h_daemon *d =
		h_daemon_start("--maxmemory", "1mb", "--maxmemory-policy", "allkeys-random", NULL);
	struct h_client *c = h_connect(d);
	int i, gone = 0;

	for (i = 0; i < 3000; i++)
		set_ok(c, "k", i, NULL);
	for (i = 0; i < 3000; i++)
		gone += !exists_i(c, "k", i);
	ck_assert_int_eq(gone, h_info_ll(c, NULL, "evicted_keys"));
	ck_assert_int_gt(gone, 1500);
	ck_assert_int_eq(h_call_ll(c, "DBSIZE"), 3000 - gone);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* Under every policy: a lock and a pool (with and without a TTL) and a
 * string a client waits on are never evicted, however many writes push. */
START_TEST(test_locks_pools_and_waited_keys_survive_every_policy)
{
	for (size_t p = 0; p < NPOLICIES; p++) {
		struct h_daemon *d = h_daemon_start("--maxmemory", "1mb", "--maxmemory-policy",
						    all_policies[p], NULL);
		struct h_client *c = h_connect(d), *w = h_connect(d);
		struct resp_reply *r;
		int i;

		r = h_call(c, "LOCK.ACQUIRE", "lk", "PX", "100000", "DETACH");
		ck_assert_int_eq(r->type, RESP_ARRAY);
		resp_reply_free(r);
		r = h_call(c, "LOCK.ACQUIRE", "lk2");
		ck_assert_int_eq(r->type, RESP_ARRAY);
		resp_reply_free(r);
		r = h_call(c, "POOL.ACQUIRE", "pk", "3", "PX", "100000");
		ck_assert_int_eq(r->type, RESP_ARRAY);
		resp_reply_free(r);
		h_ok(c, "SET", "waited", "v", "EX", "1000");
		h_ok(c, "SET", "waited2", "v");
		h_cmd(w, "LOCK.ACQUIRE", "waited", "WAIT", "0");
		ck_assert(h_is_quiet(w, 50));

		for (i = 0; i < 3000; i++)
			set_ok(c, "fill", i, "1000");
		ck_assert_msg(h_info_ll(c, NULL, "evicted_keys") > 1000, "%s evicted too little",
			      all_policies[p]);
		h_call_status(c, "lock", "TYPE", "lk");
		h_call_status(c, "lock", "TYPE", "lk2");
		h_call_status(c, "pool", "TYPE", "pk");
		h_call_bulk(c, "v", "GET", "waited");
		ck_assert_msg(h_is_quiet(w, 20), "%s: the waiter was granted by eviction",
			      all_policies[p]);
		/* The waiter gets it when the key really goes. */
		h_call_int(c, 1, "DEL", "waited");
		r = h_reply(w);
		ck_assert_int_eq(r->type, RESP_ARRAY);
		resp_reply_free(r);
		h_close(w);
		h_close(c);
		h_daemon_finish(d);
	}
}
END_TEST

/* ---- when eviction runs ----------------------------------------------------- */

/* As Redis's performEvictions: any command, not only writes that may grow
 * memory, first evicts down to maxmemory. A SIGHUP lowering maxmemory makes
 * that visible: a DBSIZE right after shows the keys already gone. */
START_TEST(test_reload_lowers_maxmemory_and_the_next_command_evicts)
{
	struct h_daemon *d = h_daemon_new();
	char conf[H_PATH_MAX + 16];
	const char *args[] = {conf, NULL};
	struct h_client *c;
	struct resp_reply *r;
	int i;

	snprintf(conf, sizeof conf, "%s/cachifyd.conf", d->dir);
	h_write_file(conf, "maxmemory 4mb\nmaxmemory-policy noeviction\n");
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	c = h_connect(d);
	for (i = 0; i < 2500; i++)
		set_ok(c, "k", i, NULL);
	ck_assert_int_eq(h_info_ll(c, NULL, "evicted_keys"), 0);

	/* noeviction at 1mb: reads go on, writes are refused, nothing goes. */
	h_write_file(conf, "maxmemory 1mb\nmaxmemory-policy noeviction\n");
	h_daemon_kill(d, SIGHUP);
	reloaded(d, 1);
	h_call_int(c, 2500, "DBSIZE");
	r = set_i(c, "new", 0, NULL);
	ck_assert_int_eq(r->type, RESP_ERROR);
	ck_assert_str_eq(r->str, "OOM command not allowed when used memory > 'maxmemory'.");
	resp_reply_free(r);
	ck_assert_int_eq(h_info_ll(c, NULL, "evicted_keys"), 0);

	/* allkeys-random: the very next command, a read, finds the keys gone. */
	h_write_file(conf, "maxmemory 1mb\nmaxmemory-policy allkeys-random\n");
	h_daemon_kill(d, SIGHUP);
	reloaded(d, 2);
	ck_assert_int_lt(h_call_ll(c, "DBSIZE"), 1100);
	ck_assert_int_gt(h_info_ll(c, NULL, "evicted_keys"), 1400);
	ck_assert_int_le(h_info_ll(c, NULL, "used_memory"), 1024 * 1024);
	set_ok(c, "new", 0, NULL);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- OBJECT ----------------------------------------------------------------- */

START_TEST(test_object_encoding_refcount_and_missing_keys)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	struct resp_reply *r;

	h_ok(c, "SET", "s", "hello");
	h_ok(c, "SET", "n", "12345");
	h_ok(c, "SET", "e", "");
	h_ok(c, "SET", "long", val);
	h_call_bulk(c, "embstr", "OBJECT", "ENCODING", "s");
	h_call_bulk(c, "embstr", "object", "encoding", "n");
	h_call_bulk(c, "embstr", "OBJECT", "Encoding", "e");
	h_call_bulk(c, "embstr", "OBJECT", "ENCODING", "long");
	h_call_int(c, 1, "OBJECT", "REFCOUNT", "n");
	r = h_call(c, "LOCK.ACQUIRE", "lk");
	resp_reply_free(r);
	r = h_call(c, "POOL.ACQUIRE", "pk", "2");
	resp_reply_free(r);
	h_call_bulk(c, "lock", "OBJECT", "ENCODING", "lk");
	h_call_bulk(c, "pool", "OBJECT", "ENCODING", "pk");
	h_call_int(c, 1, "OBJECT", "REFCOUNT", "lk");
	h_call_nil(c, "OBJECT", "ENCODING", "missing");
	h_call_nil(c, "OBJECT", "REFCOUNT", "missing");
	h_call_nil(c, "OBJECT", "IDLETIME", "missing");
	h_call_nil(c, "OBJECT", "FREQ", "missing");
	/* An expired key is missing. */
	h_ok(c, "SET", "x", "v", "PX", "30");
	h_sleep_ms(60);
	h_call_nil(c, "OBJECT", "ENCODING", "x");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_object_idletime_counts_seconds_and_does_not_touch)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	long long hits;

	h_ok(c, "SET", "k", "v");
	h_call_int(c, 0, "OBJECT", "IDLETIME", "k");
	h_sleep_ms(2 * CLOCK_TICK_MS);
	ck_assert_int_ge(h_call_ll(c, "OBJECT", "IDLETIME", "k"), 2);
	/* OBJECT itself is not an access, but it counts as a keyspace hit as
	 * in Redis; GET is an access. */
	hits = h_info_ll(c, NULL, "keyspace_hits");
	ck_assert_int_ge(h_call_ll(c, "OBJECT", "IDLETIME", "k"), 2);
	ck_assert_int_eq(h_info_ll(c, NULL, "keyspace_hits"), hits + 1);
	h_call_bulk(c, "v", "GET", "k");
	h_call_int(c, 0, "OBJECT", "IDLETIME", "k");
	h_cmd(c, "OBJECT", "FREQ", "k");
	h_expect_error_is(c, lfu_not_selected);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_object_freq_under_lfu_starts_at_5_and_climbs)
{
	struct h_daemon *d =
		h_daemon_start("--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0", NULL);
	struct h_client *c = h_connect(d);
	int i;

	h_ok(c, "SET", "k", "v");
	h_call_int(c, 5, "OBJECT", "FREQ", "k");
	h_call_int(c, 5, "OBJECT", "FREQ", "k");
	/* lfu-log-factor 0: every access counts. */
	for (i = 0; i < 10; i++)
		h_call_bulk(c, "v", "GET", "k");
	h_call_int(c, 15, "OBJECT", "FREQ", "k");
	h_ok(c, "SET", "k", "w");
	h_call_int(c, 16, "OBJECT", "FREQ", "k");
	h_cmd(c, "OBJECT", "IDLETIME", "k");
	h_expect_error_is(c, lfu_selected);
	h_call_nil(c, "OBJECT", "IDLETIME", "missing");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_object_help_and_errors_as_redis)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	struct resp_reply *r;

	r = h_call(c, "OBJECT", "HELP");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 15);
	ck_assert_str_eq(r->element[0]->str,
			 "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
	ck_assert_str_eq(r->element[14]->str, "    Prints this help.");
	resp_reply_free(r);
	h_cmd(c, "OBJECT");
	h_expect_error_is(c, "ERR wrong number of arguments for 'object' command");
	h_cmd(c, "OBJECT", "foo");
	h_expect_error_is(c, "ERR unknown subcommand 'foo'. Try OBJECT HELP.");
	h_cmd(c, "OBJECT", "foo", "k");
	h_expect_error_is(c, "ERR unknown subcommand 'foo'. Try OBJECT HELP.");
	h_cmd(c, "OBJECT", "ENCODING");
	h_expect_error_is(c, "ERR wrong number of arguments for 'object|encoding' command");
	h_cmd(c, "OBJECT", "freq", "a", "b");
	h_expect_error_is(c, "ERR wrong number of arguments for 'object|freq' command");
	h_cmd(c, "OBJECT", "HELP", "x");
	h_expect_error_is(c, "ERR wrong number of arguments for 'object|help' command");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

Suite *evict_suite(void)
{
	Suite *su = suite_create("evict");
	TCase *tc = tcase_create("policies");
	TCase *obj = tcase_create("object");

	tcase_add_checked_fixture(tc, setup, NULL);
	/* Seven daemons in one test, 1 s clock ticks in others. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_allkeys_lru_keeps_a_hot_set_touched_every_second);
	tcase_add_test(tc, test_allkeys_lfu_keeps_frequently_read_keys_over_newer_cold_ones);
	tcase_add_test(tc, test_volatile_policies_keep_persistent_keys_and_then_refuse);
	tcase_add_test(tc, test_volatile_ttl_evicts_the_nearest_expiry_first);
	tcase_add_test(tc, test_allkeys_random_evicts_persistent_keys_too);
	tcase_add_test(tc, test_locks_pools_and_waited_keys_survive_every_policy);
	tcase_add_test(tc, test_reload_lowers_maxmemory_and_the_next_command_evicts);
	suite_add_tcase(su, tc);

	tcase_add_checked_fixture(obj, setup, NULL);
	tcase_set_timeout(obj, 30);
	tcase_add_test(obj, test_object_encoding_refcount_and_missing_keys);
	tcase_add_test(obj, test_object_idletime_counts_seconds_and_does_not_touch);
	tcase_add_test(obj, test_object_freq_under_lfu_starts_at_5_and_climbs);
	tcase_add_test(obj, test_object_help_and_errors_as_redis);
	suite_add_tcase(su, obj);
	return su;
}
