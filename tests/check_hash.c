/* check_hash.c - hashes where redis-server has nothing to compare with:
 * hash.c against a simple model under random operations (and its memory
 * accounting back to zero), then the real daemon over its socket: used
 * memory back to its start after DEL, FLUSHALL and expiry, the listpack to
 * hashtable conversion (never back), 100k-field hashes, COPY/RENAME/MOVE,
 * eviction, WATCH, and a Redisson-style reentrant lock run as Lua scripts
 * by four contending clients. Replies shared with Redis are
 * tests/diff/cases/hash.txt's business.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"
#include "harness.h"
#include "hash.h"
#include "object.h"
#include "store.h"

#define MODEL_FIELDS  300   /* distinct fields the random test draws from */
#define MODEL_OPS     20000 /* random operations per run */
#define BIG_FIELDS    100000
#define BIG_BATCH     500   /* fields per pipelined HSET */
#define BIG_BOUND_MS  20000 /* loading and checking 100k fields (times h_slow()) */
#define LOCK_CLIENTS  4
#define LOCK_ROUNDS   150   /* acquisitions per contending client */
#define LOCK_LEASE_MS "30000"
#define LOCK_RETRY_US 500

/* ---- hash.c against a model ---------------------------------------------- */

struct model {
	char *v[MODEL_FIELDS]; /* NULL: absent */
	size_t len;
};

/* Field i's name; every 7th is longer than a listpack may hold. */
static size_t field_name(char *buf, size_t size, int i)
{
	if (i % 7 == 6 && i > 250)
		return (size_t)snprintf(buf, size, "long-field-%d-%070d", i, i);
	return (size_t)snprintf(buf, size, "f%d", i);
}

static void model_check(struct model *m, struct hash *h)
{
	struct hash_iter it;
	struct hash_pair p;
	bool seen[MODEL_FIELDS] = {false};
	size_t n = 0;

	ck_assert_uint_eq(hash_len(h), m->len);
	hash_iter_init(&it, h);
	while (hash_iter_next(&it, &p)) {
		char name[128];
		int i = -1;

		for (int k = 0; k < MODEL_FIELDS && i < 0; k++) {
			size_t len = field_name(name, sizeof name, k);

			if (len == p.flen && memcmp(name, p.f, len) == 0)
				i = k;
		}
		ck_assert_int_ge(i, 0);
		ck_assert(!seen[i]);
		seen[i] = true;
		ck_assert_ptr_nonnull(m->v[i]);
		ck_assert_uint_eq(p.vlen, strlen(m->v[i]));
		ck_assert(memcmp(p.v, m->v[i], p.vlen) == 0);
		n++;
	}
	ck_assert_uint_eq(n, m->len);
}

START_TEST(test_hash_matches_a_model_under_random_operations)
{
	struct store *st = store_new();
	struct model m = {{NULL}, 0};
	size_t base;
	struct hash *h;

	ck_assert_ptr_nonnull(st);
	object_set_store(st);
	base = store_used_memory(st);
	h = hash_new();
	ck_assert_ptr_nonnull(h);
	srandom(1234 + (unsigned)_i);
	for (int op = 0; op < MODEL_OPS; op++) {
		/* First a listpack's size, later up to every field. */
		int span = op < MODEL_OPS / 4 ? 120 : MODEL_FIELDS;
		int i = (int)(random() % span), r;
		char name[128], val[128];
		size_t flen = field_name(name, sizeof name, i), vlen;
		const char *got;
		size_t glen;

		switch (random() % 4) {
		case 0:
		case 1:
			vlen = (size_t)snprintf(val, sizeof val, "%ld", random() % 100000);
			if (random() % 50 == 0)
				vlen = (size_t)snprintf(val, sizeof val, "%080d", op);
			r = hash_set(h, name, flen, val, vlen);
			ck_assert_int_eq(r, m.v[i] == NULL);
			m.len += m.v[i] == NULL;
			free(m.v[i]);
			m.v[i] = strdup(val);
			break;
		case 2:
			r = hash_del(h, name, flen);
			ck_assert_int_eq(r, m.v[i] != NULL);
			m.len -= m.v[i] != NULL;
			free(m.v[i]);
			m.v[i] = NULL;
			break;
		default:
			ck_assert_int_eq(hash_get(h, name, flen, &got, &glen), m.v[i] != NULL);
			if (m.v[i])
				ck_assert(glen == strlen(m.v[i]) && memcmp(got, m.v[i], glen) == 0);
		}
		/* Once a hashtable, always one. */
		if (m.len > HASH_MAX_LISTPACK_ENTRIES)
			ck_assert(!hash_is_listpack(h));
		ck_assert_uint_eq(store_used_memory(st), base + hash_bytes(h));
		if (op % 1000 == 0)
			model_check(&m, h);
	}
	model_check(&m, h);
	hash_free(h);
	ck_assert_uint_eq(store_used_memory(st), base);
	for (int i = 0; i < MODEL_FIELDS; i++)
		free(m.v[i]);
	object_set_store(NULL);
	store_free(st);
}
END_TEST

static void count_cb(void *ctx, const struct hash_pair *p)
{
	int *seen = ctx;
	int i = atoi(p->f + 1);

	seen[i]++;
}

/* HSCAN's guarantee: a field present for the whole iteration is met at
 * least once, across the table's growth and shrinking in between. */
START_TEST(test_hash_scan_meets_every_field_across_rehashing)
{
	static int seen[4000];
	struct hash *h = hash_new();
	uint64_t cursor = 0;
	char f[16];
	int step = 0;

	ck_assert_ptr_nonnull(h);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(hash_set(h, f, (size_t)snprintf(f, sizeof f, "f%d", i), "v", 1), 1);
	ck_assert(!hash_is_listpack(h));
	do {
		cursor = hash_scan(h, cursor, 7, count_cb, seen);
		/* Grow (fields 1000..3999), then shrink back. */
		for (int k = 0; k < 30 && step < 3000; k++, step++)
			hash_set(h, f, (size_t)snprintf(f, sizeof f, "f%d", 1000 + step), "v", 1);
		if (step == 3000)
			for (int i = 1000; i < 4000; i++)
				hash_del(h, f, (size_t)snprintf(f, sizeof f, "f%d", i));
	} while (cursor != 0);
	for (int i = 0; i < 1000; i++)
		ck_assert_msg(seen[i] >= 1, "field f%d never met", i);
	hash_free(h);
}
END_TEST

START_TEST(test_hash_samples_are_distinct_and_from_the_hash)
{
	struct hash_pair out[200];
	char f[16];

	for (int size = 5; size <= 1000; size *= 4) {
		struct hash *h = hash_new();

		ck_assert_ptr_nonnull(h);
		for (int i = 0; i < size; i++) {
			size_t n = (size_t)snprintf(f, sizeof f, "f%d", i);

			hash_set(h, f, n, f, n);
		}
		for (size_t n = 1; n < (size_t)size && n <= 200; n = n * 3 + 1) {
			int seen[1000] = {0};

			ck_assert_int_eq(hash_sample_unique(h, n, out), 0);
			for (size_t k = 0; k < n; k++) {
				int i = atoi(out[k].f + 1);

				ck_assert(out[k].vlen == out[k].flen &&
					  memcmp(out[k].v, out[k].f, out[k].flen) == 0);
				ck_assert_int_eq(seen[i]++, 0);
			}
		}
		hash_sample_any(h, 200, out);
		for (size_t k = 0; k < 200; k++)
			ck_assert_int_lt(atoi(out[k].f + 1), size);
		hash_free(h);
	}
}
END_TEST

/* ---- the daemon ------------------------------------------------------------ */

static struct h_daemon *start(void)
{
	return h_daemon_start("--loglevel", "warning", NULL);
}

/* INFO's used_memory. */
static long long used_memory(struct h_client *c)
{
	struct resp_reply *r = h_call(c, "INFO", "memory");
	const char *p;
	long long v;

	ck_assert_int_eq(r->type, RESP_BULK);
	p = strstr(r->str, "\r\nused_memory:");
	ck_assert_ptr_nonnull(p);
	v = atoll(p + strlen("\r\nused_memory:"));
	resp_reply_free(r);
	return v;
}

/* HSETs fields from..to-1 (field fN, value vN) into key, pipelined. */
static void fill(struct h_client *c, const char *key, int from, int to)
{
	int sent = 0;

	for (int i = from; i < to; i += BIG_BATCH) {
		struct resp_arg argv[2 + 2 * BIG_BATCH];
		static char buf[2 * BIG_BATCH][24];
		int n = 0;

		argv[n++] = (struct resp_arg){"HSET", 4};
		argv[n++] = (struct resp_arg){key, strlen(key)};
		for (int j = i; j < to && j < i + BIG_BATCH; j++) {
			int k = 2 * (j - i);

			snprintf(buf[k], sizeof buf[k], "f%d", j);
			snprintf(buf[k + 1], sizeof buf[k + 1], "v%d", j);
			argv[n++] = (struct resp_arg){buf[k], strlen(buf[k])};
			argv[n++] = (struct resp_arg){buf[k + 1], strlen(buf[k + 1])};
		}
		h_cmdv(c, n, argv);
		sent++;
	}
	for (; sent > 0; sent--) {
		struct resp_reply *r = h_reply(c);

		ck_assert_int_eq(r->type, RESP_INTEGER);
		resp_reply_free(r);
	}
}

static void expect_encoding(struct h_client *c, const char *key, const char *enc)
{
	h_call_bulk(c, enc, "OBJECT", "ENCODING", key);
}

START_TEST(test_used_memory_returns_to_its_start_after_del_flushall_and_expiry)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	long long base, small, big;

	/* The keyspace's own table, once allocated, stays: measure with it. */
	h_ok(c, "SET", "anchor", "1");
	base = used_memory(c);
	h_call_int(c, 2, "HSET", "small", "a", "1", "b", "2");
	small = used_memory(c);
	ck_assert_int_gt(small, base);
	fill(c, "big", 0, 5000);
	big = used_memory(c);
	/* Each field costs at least its bytes in the table. */
	ck_assert_int_gt(big - small, 5000 * 8);
	h_call_int(c, 2, "DEL", "small", "big");
	ck_assert_int_eq(used_memory(c), base);

	/* In-place growth and shrinking are accounted too. */
	h_call_int(c, 1, "HSET", "h", "f", "x");
	small = used_memory(c);
	h_call_int(c, 0, "HSET", "h", "f", "a much longer value than before: sixty bytes, still a listpack");
	ck_assert_int_gt(used_memory(c), small);
	h_call_int(c, 0, "HSET", "h", "f", "x");
	ck_assert_int_eq(used_memory(c), small);
	h_call_int(c, 1, "HDEL", "h", "f");
	ck_assert_int_eq(used_memory(c), base);

	fill(c, "big", 0, 3000);
	h_call_int(c, 1, "COPY", "big", "big2");
	h_ok(c, "RENAME", "big2", "big3");
	h_ok(c, "FLUSHALL");
	h_ok(c, "SET", "anchor", "1");
	ck_assert_int_eq(used_memory(c), base);

	fill(c, "exp", 0, 1000);
	h_call_int(c, 1, "HSET", "exp2", "a", "1");
	h_call_int(c, 1, "PEXPIRE", "exp", "20");
	h_call_int(c, 1, "PEXPIRE", "exp2", "20");
	h_sleep_ms(40);
	h_call_int(c, 0, "EXISTS", "exp", "exp2");
	ck_assert_int_eq(used_memory(c), base);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_encoding_converts_past_the_limits_and_never_back)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	char f[16];

	fill(c, "h", 0, HASH_MAX_LISTPACK_ENTRIES);
	expect_encoding(c, "h", "listpack");
	fill(c, "h", HASH_MAX_LISTPACK_ENTRIES, HASH_MAX_LISTPACK_ENTRIES + 1);
	expect_encoding(c, "h", "hashtable");
	for (int i = 1; i <= HASH_MAX_LISTPACK_ENTRIES; i++)
		h_call_int(c, 1, "HDEL", "h", (snprintf(f, sizeof f, "f%d", i), f));
	h_call_int(c, 1, "HLEN", "h");
	expect_encoding(c, "h", "hashtable");
	h_call_bulk(c, "v0", "HGET", "h", "f0");

	/* A long value converts at once; deleting it changes nothing. */
	h_call_int(c, 1, "HSET", "v", "a", "1");
	expect_encoding(c, "v", "listpack");
	h_call_int(c, 1, "HSET", "v", "b",
		   "0123456789012345678901234567890123456789012345678901234567890123456789");
	expect_encoding(c, "v", "hashtable");
	h_call_int(c, 1, "HDEL", "v", "b");
	expect_encoding(c, "v", "hashtable");
	h_call_bulk(c, "1", "HGET", "v", "a");
	/* COPY keeps what the source holds. */
	h_call_int(c, 1, "COPY", "v", "v2");
	expect_encoding(c, "v2", "hashtable");
	h_call_bulk(c, "1", "HGET", "v2", "a");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* 100k fields: loads, answers and iterates in bounded time (no O(n^2)). */
START_TEST(test_a_hash_of_100k_fields_stays_correct_and_fast)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	int64_t t0 = h_now_ms();
	static unsigned char seen[BIG_FIELDS];
	uint64_t cursor = 0;
	char f[24], v[24];
	size_t met = 0;

	h_set_timeout(c, BIG_BOUND_MS * h_slow());
	fill(c, "big", 0, BIG_FIELDS);
	h_call_int(c, BIG_FIELDS, "HLEN", "big");
	expect_encoding(c, "big", "hashtable");
	for (int i = 0; i < BIG_FIELDS; i += 997) {
		snprintf(f, sizeof f, "f%d", i);
		snprintf(v, sizeof v, "v%d", i);
		h_call_bulk(c, v, "HGET", "big", f);
	}
	/* Unchanged during the iteration: every field exactly once. */
	do {
		char cur[24];
		struct resp_reply *r;

		snprintf(cur, sizeof cur, "%llu", (unsigned long long)cursor);
		r = h_call(c, "HSCAN", "big", cur, "COUNT", "1000");
		ck_assert_int_eq(r->type, RESP_ARRAY);
		cursor = strtoull(r->element[0]->str, NULL, 10);
		for (size_t k = 0; k < r->element[1]->elements; k += 2) {
			int i = atoi(r->element[1]->element[k]->str + 1);

			ck_assert_int_eq(seen[i]++, 0);
			met++;
		}
		resp_reply_free(r);
	} while (cursor != 0);
	ck_assert_uint_eq(met, BIG_FIELDS);
	{
		struct resp_reply *r = h_call(c, "HGETALL", "big");

		ck_assert_uint_eq(r->elements, 2 * BIG_FIELDS);
		resp_reply_free(r);
		r = h_call(c, "HRANDFIELD", "big", "-50000", "WITHVALUES");
		ck_assert_uint_eq(r->elements, 100000);
		resp_reply_free(r);
		r = h_call(c, "HRANDFIELD", "big", "60000");
		ck_assert_uint_eq(r->elements, 60000);
		resp_reply_free(r);
	}
	for (int i = 0; i < BIG_FIELDS; i += BIG_BATCH) {
		struct resp_arg argv[2 + BIG_BATCH];
		static char buf[BIG_BATCH][24];
		int n = 0;

		argv[n++] = (struct resp_arg){"HDEL", 4};
		argv[n++] = (struct resp_arg){"big", 3};
		for (int j = i; j < i + BIG_BATCH; j++) {
			snprintf(buf[j - i], sizeof buf[0], "f%d", j);
			argv[n++] = (struct resp_arg){buf[j - i], strlen(buf[j - i])};
		}
		h_cmdv(c, n, argv);
		h_expect_int(c, BIG_BATCH);
	}
	h_call_int(c, 0, "EXISTS", "big");
	ck_assert_msg(h_now_ms() - t0 < BIG_BOUND_MS * h_slow(), "100k fields took %lld ms",
		      (long long)(h_now_ms() - t0));
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_copy_rename_move_carry_the_hash)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);

	fill(c, "h", 0, 300);
	h_call_int(c, 1, "COPY", "h", "c");
	h_call_int(c, 1, "HSET", "c", "new", "1");
	h_call_int(c, 300, "HLEN", "h");
	h_call_int(c, 301, "HLEN", "c");
	h_ok(c, "RENAME", "c", "r");
	h_call_int(c, 0, "EXISTS", "c");
	h_call_bulk(c, "v299", "HGET", "r", "f299");
	h_call_int(c, 1, "MOVE", "r", "3");
	h_ok(c, "SELECT", "3");
	h_call_int(c, 301, "HLEN", "r");
	h_call_int(c, 1, "HDEL", "r", "new");
	h_ok(c, "SELECT", "0");
	h_call_int(c, 1, "COPY", "h", "h", "DB", "5");
	h_call_int(c, 1, "DEL", "h");
	h_ok(c, "SELECT", "5");
	h_call_bulk(c, "v7", "HGET", "h", "f7");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* Hashes are evicted like any data key; the evicted objects are freed
 * (the ASan build would report a leak or a use after free). */
START_TEST(test_hashes_are_evicted_under_maxmemory)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct resp_reply *r;
	char key[16];

	h_ok(c, "CONFIG", "SET", "maxmemory-policy", "allkeys-random");
	h_ok(c, "CONFIG", "SET", "maxmemory", "2000000");
	for (int i = 0; i < 500; i++) {
		snprintf(key, sizeof key, "k%d", i);
		fill(c, key, 0, 200);
	}
	ck_assert_int_le(used_memory(c), 2000000 + 200000);
	r = h_call(c, "INFO", "stats");
	ck_assert_ptr_null(strstr(r->str, "\r\nevicted_keys:0\r\n"));
	resp_reply_free(r);
	ck_assert_int_lt(h_call_ll(c, "DBSIZE"), 500);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_writes_in_place_invalidate_watch)
{
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *b = h_connect(d);
	const char *const writes[][5] = {
		{"HSET", "h", "f", "2", NULL},	 {"HINCRBY", "h", "n", "1", NULL},
		{"HINCRBYFLOAT", "h", "n", "1", NULL}, {"HDEL", "h", "f", NULL, NULL},
		{"HSETNX", "h", "new", "1", NULL}, {"HMSET", "h", "x", "1", NULL},
	};

	for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
		h_cmd(a, "HSET", "h", "f", "1");
		resp_reply_free(h_reply(a));
		h_ok(a, "WATCH", "h");
		h_cmd(b, writes[i][0], writes[i][1], writes[i][2], writes[i][3], writes[i][4]);
		resp_reply_free(h_reply(b));
		h_ok(a, "MULTI");
		h_call_status(a, "QUEUED", "HGET", "h", "f");
		h_call_nil(a, "EXEC");
	}
	/* Writes that change nothing leave the watch alone, as in Redis. */
	h_ok(a, "WATCH", "h");
	h_call_int(b, 0, "HDEL", "h", "nosuchfield");
	h_call_int(b, 0, "HSETNX", "h", "new", "2");
	h_ok(a, "MULTI");
	h_call_status(a, "QUEUED", "HGET", "h", "new");
	{
		struct resp_reply *r = h_call(a, "EXEC");

		ck_assert_int_eq(r->type, RESP_ARRAY);
		ck_assert_uint_eq(r->elements, 1);
		ck_assert_str_eq(r->element[0]->str, "1");
		resp_reply_free(r);
	}
	h_close(a);
	h_close(b);
	h_daemon_finish(d);
}
END_TEST

/* ---- a Redisson-style reentrant lock, its scripts run unchanged ------------ */

static const char *const lock_script =
	"if (redis.call('exists', KEYS[1]) == 0) then "
	"redis.call('hincrby', KEYS[1], ARGV[2], 1); "
	"redis.call('pexpire', KEYS[1], ARGV[1]); "
	"return nil; "
	"end; "
	"if (redis.call('hexists', KEYS[1], ARGV[2]) == 1) then "
	"redis.call('hincrby', KEYS[1], ARGV[2], 1); "
	"redis.call('pexpire', KEYS[1], ARGV[1]); "
	"return nil; "
	"end; "
	"return redis.call('pttl', KEYS[1]);";

static const char *const unlock_script =
	"if (redis.call('hexists', KEYS[1], ARGV[3]) == 0) then "
	"return nil;"
	"end; "
	"local counter = redis.call('hincrby', KEYS[1], ARGV[3], -1); "
	"if (counter > 0) then "
	"redis.call('pexpire', KEYS[1], ARGV[2]); "
	"return 0; "
	"else "
	"redis.call('del', KEYS[1]); "
	"redis.call('publish', KEYS[2], ARGV[1]); "
	"return 1; "
	"end; "
	"return nil;";

/* SCRIPT LOAD: the sha, as a new string. */
static char *load(struct h_client *c, const char *script)
{
	struct resp_reply *r = h_call(c, "SCRIPT", "LOAD", script);
	char *sha;

	ck_assert_int_eq(r->type, RESP_BULK);
	sha = strdup(r->str);
	resp_reply_free(r);
	return sha;
}

START_TEST(test_redisson_lock_reenters_refuses_others_and_publishes_release)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d), *sub = h_connect(d);
	char *lsha = load(c, lock_script), *usha = load(c, unlock_script);
	struct resp_reply *r;

	h_cmd(sub, "SUBSCRIBE", "redisson_lock__channel:{L}");
	resp_reply_free(h_reply(sub));
	/* First acquisition through EVAL, re-entries through EVALSHA. */
	h_call_nil(c, "EVAL", lock_script, "1", "{L}", LOCK_LEASE_MS, "owner:1");
	h_call_nil(c, "EVALSHA", lsha, "1", "{L}", LOCK_LEASE_MS, "owner:1");
	h_call_nil(c, "EVALSHA", lsha, "1", "{L}", LOCK_LEASE_MS, "owner:1");
	h_call_bulk(c, "3", "HGET", "{L}", "owner:1");
	h_call_status(c, "hash", "TYPE", "{L}");
	/* A foreign owner gets the remaining TTL. */
	r = h_call(c, "EVALSHA", lsha, "1", "{L}", LOCK_LEASE_MS, "owner:2");
	ck_assert_int_eq(r->type, RESP_INTEGER);
	ck_assert(r->integer > 0 && r->integer <= 30000);
	resp_reply_free(r);
	h_call_nil(c, "EVALSHA", usha, "2", "{L}", "redisson_lock__channel:{L}", "0",
		   LOCK_LEASE_MS, "owner:2");
	/* Releases count down; the last deletes and publishes. */
	h_call_int(c, 0, "EVALSHA", usha, "2", "{L}", "redisson_lock__channel:{L}", "0",
		   LOCK_LEASE_MS, "owner:1");
	h_call_int(c, 0, "EVALSHA", usha, "2", "{L}", "redisson_lock__channel:{L}", "0",
		   LOCK_LEASE_MS, "owner:1");
	h_call_bulk(c, "1", "HGET", "{L}", "owner:1");
	ck_assert(h_is_quiet(sub, 50));
	h_call_int(c, 1, "EVAL", unlock_script, "2", "{L}", "redisson_lock__channel:{L}", "0",
		   LOCK_LEASE_MS, "owner:1");
	h_call_int(c, 0, "EXISTS", "{L}");
	r = h_reply(sub);
	ck_assert_uint_eq(r->elements, 3);
	ck_assert_str_eq(r->element[0]->str, "message");
	ck_assert_str_eq(r->element[1]->str, "redisson_lock__channel:{L}");
	ck_assert_str_eq(r->element[2]->str, "0");
	resp_reply_free(r);
	/* Free again: the other owner gets it. */
	h_call_nil(c, "EVALSHA", lsha, "1", "{L}", LOCK_LEASE_MS, "owner:2");
	free(lsha);
	free(usha);
	h_close(sub);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* One contender: LOCK_ROUNDS times acquire (retrying on a TTL reply),
 * enter twice (re-entry), check nobody else is inside, leave. Exit status:
 * 0, or 1 + the round where the mutual exclusion broke. */
static int contend(const struct h_daemon *d, int id, const char *lsha, const char *usha)
{
	struct h_client *c = h_connect(d);
	char owner[32];

	snprintf(owner, sizeof owner, "owner:%d", id);
	for (int round = 0; round < LOCK_ROUNDS; round++) {
		struct resp_reply *r;
		bool got = false;
		long long inside;

		while (!got) {
			r = h_call(c, "EVALSHA", lsha, "1", "{L}", LOCK_LEASE_MS, owner);
			got = r->type == RESP_NIL;
			resp_reply_free(r);
			if (!got)
				usleep(LOCK_RETRY_US);
		}
		h_call_nil(c, "EVALSHA", lsha, "1", "{L}", LOCK_LEASE_MS, owner);
		inside = h_call_ll(c, "INCR", "inside");
		if (inside != 1)
			return 1 + round;
		h_call_ll(c, "INCR", "total");
		h_call_int(c, 0, "DECR", "inside");
		h_call_int(c, 0, "EVALSHA", usha, "2", "{L}", "ch", "0", LOCK_LEASE_MS, owner);
		h_call_int(c, 1, "EVALSHA", usha, "2", "{L}", "ch", "0", LOCK_LEASE_MS, owner);
	}
	h_close(c);
	return 0;
}

START_TEST(test_redisson_lock_excludes_four_contending_clients)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	char *lsha = load(c, lock_script), *usha = load(c, unlock_script);
	pid_t pids[LOCK_CLIENTS];
	int status;

	fflush(NULL);
	for (int i = 0; i < LOCK_CLIENTS; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0)
			_exit(contend(d, i, lsha, usha));
	}
	for (int i = 0; i < LOCK_CLIENTS; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "client %d: status 0x%x (two holders at once, or a failed check)", i,
			      status);
	}
	h_call_bulk(c, "0", "GET", "inside");
	{
		char want[16];

		snprintf(want, sizeof want, "%d", LOCK_CLIENTS * LOCK_ROUNDS);
		h_call_bulk(c, want, "GET", "total");
	}
	h_call_int(c, 0, "EXISTS", "{L}");
	free(lsha);
	free(usha);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

Suite *hash_suite(void)
{
	Suite *s = suite_create("hash");
	TCase *unit = tcase_create("hash_object");
	TCase *tc = tcase_create("hash_daemon");

	tcase_set_timeout(unit, 60 * h_slow());
	tcase_add_loop_test(unit, test_hash_matches_a_model_under_random_operations, 0, 3);
	tcase_add_test(unit, test_hash_scan_meets_every_field_across_rehashing);
	tcase_add_test(unit, test_hash_samples_are_distinct_and_from_the_hash);
	suite_add_tcase(s, unit);
	tcase_set_timeout(tc, 120 * h_slow());
	tcase_add_test(tc, test_used_memory_returns_to_its_start_after_del_flushall_and_expiry);
	tcase_add_test(tc, test_encoding_converts_past_the_limits_and_never_back);
	tcase_add_test(tc, test_a_hash_of_100k_fields_stays_correct_and_fast);
	tcase_add_test(tc, test_copy_rename_move_carry_the_hash);
	tcase_add_test(tc, test_hashes_are_evicted_under_maxmemory);
	tcase_add_test(tc, test_writes_in_place_invalidate_watch);
	tcase_add_test(tc, test_redisson_lock_reenters_refuses_others_and_publishes_release);
	tcase_add_test(tc, test_redisson_lock_excludes_four_contending_clients);
	suite_add_tcase(s, tc);
	return s;
}
