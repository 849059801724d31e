/* check_store.c - the keyspace: entries, TTLs, rehashing, SCAN, active expiry,
 * maxmemory and the delete hook.
 *
 * Time comes from the fake clock only; out-of-memory paths are driven by
 * dict_fail_alloc_after(). Sizes are measured, never assumed, so the tests
 * hold under glibc, ASan and valgrind allocators alike.
 */
#include <check.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"
#include "clock.h"
#include "dict.h"
#include "store.h"

#define T0_MS    1000000            /* ms: where the fake clock starts */
#define FAR_MS   ((int64_t)1 << 40) /* ms: an expire time no test reaches */
#define KEY_LEN  16                 /* bytes, as in the memory target */
#define VAL_LEN  32
#define SNAP_MAX 128 /* bytes of key and value the hook log keeps */

/* What the delete hook saw; the hook itself never calls the store. */
struct hook_log {
	size_t count[STORE_DEL_MOVED + 1]; /* by reason */
	size_t by_db[STORE_DBS];
	size_t bad_evictions; /* evicted entries that were not strings with a TTL */
	int last_db;
	enum store_reason last_why;
	char last_key[SNAP_MAX];
	size_t last_klen;
	char last_val[SNAP_MAX];
	size_t last_vlen;
};

static struct store *s;
static struct hook_log hk;

static void record_hook(void *ctx, int db, struct sentry *e, enum store_reason why)
{
	struct hook_log *h = ctx;

	h->count[why]++;
	h->by_db[db]++;
	if (why == STORE_DEL_EVICTED && (e->type != STORE_STRING || !e->has_ttl))
		h->bad_evictions++;
	h->last_db = db;
	h->last_why = why;
	h->last_klen = e->klen;
	h->last_vlen = e->vlen;
	memcpy(h->last_key, sentry_key(e), e->klen < SNAP_MAX ? e->klen : SNAP_MAX);
	memcpy(h->last_val, sentry_value(e), e->vlen < SNAP_MAX ? e->vlen : SNAP_MAX);
}

static void setup(void)
{
	clock_fake_set(T0_MS, 0);
	dict_fail_alloc_after(-1);
	memset(&hk, 0, sizeof hk);
	s = store_new();
	ck_assert_ptr_nonnull(s);
	store_set_delete_hook(s, record_hook, &hk);
}

static void teardown(void)
{
	dict_fail_alloc_after(-1);
	store_free(s);
	s = NULL;
	clock_fake_off();
}

/* A KEY_LEN-byte key: one letter, then i in decimal. */
static size_t key_of(char *buf, char prefix, long i)
{
	return (size_t)snprintf(buf, KEY_LEN + 1, "%c%015ld", prefix, i);
}

static struct sentry *put_n(struct store *st, int db, char prefix, long i, size_t vlen,
                            enum store_type type, int64_t expire)
{
	char key[KEY_LEN + 1], val[256];

	memset(val, 'a' + (int)(i % 26), sizeof val);
	return store_put(st, db, key, key_of(key, prefix, i), val, vlen, type, expire);
}

static struct sentry *peek_n(struct store *st, int db, char prefix, long i)
{
	char key[KEY_LEN + 1];

	return store_peek(st, db, key, key_of(key, prefix, i));
}

static struct sentry *find_n(int db, char prefix, long i)
{
	char key[KEY_LEN + 1];

	return store_find(s, db, key, key_of(key, prefix, i));
}

static int delete_n(int db, char prefix, long i)
{
	char key[KEY_LEN + 1];

	return store_delete(s, db, key, key_of(key, prefix, i), STORE_DEL_DELETED);
}

static struct sentry *put_str(int db, const char *key, const char *val, int64_t expire)
{
	return store_put(s, db, key, strlen(key), val, strlen(val), STORE_STRING, expire);
}

static bool value_is(const struct sentry *e, const char *val)
{
	return e && e->vlen == strlen(val) &&
	       memcmp(sentry_value((struct sentry *)e), val, e->vlen) == 0;
}

/* Steps rehashing until no table is being rehashed. */
static void finish_rehash(struct store *st)
{
	int i;

	for (i = 0; i < 1000 && store_rehash_step(st, 1 << 20); i++)
		;
	ck_assert_msg(!store_rehash_step(st, 0), "rehashing never finished");
}

START_TEST(test_store_binary_keys_with_nul_bytes_are_distinct)
{
	const char k1[] = {'a', 0, 'b'}, k2[] = {'a', 0, 'c'}, val[] = {0, 1, 0, 2};
	struct sentry *e;

	e = store_put(s, 0, k1, sizeof k1, val, sizeof val, STORE_STRING, STORE_NO_EXPIRE);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(store_put(s, 0, "", 0, "empty", 5, STORE_STRING, STORE_NO_EXPIRE));
	ck_assert_ptr_eq(store_find(s, 0, k1, sizeof k1), e);
	ck_assert_uint_eq(e->klen, 3);
	ck_assert_uint_eq(e->vlen, 4);
	ck_assert_mem_eq(sentry_key(e), k1, 3);
	ck_assert_mem_eq(sentry_value(e), val, 4);
	ck_assert_ptr_null(store_find(s, 0, k2, sizeof k2));
	ck_assert_ptr_null(store_find(s, 0, "a", 1));
	ck_assert(value_is(store_find(s, 0, "", 0), "empty"));
	ck_assert_uint_eq(store_dbsize(s, 0), 2);

	ck_assert_int_eq(store_delete(s, 0, k1, sizeof k1, STORE_DEL_DELETED), 1);
	ck_assert_ptr_null(store_find(s, 0, k1, sizeof k1));
	ck_assert_int_eq(store_delete(s, 0, k1, sizeof k1, STORE_DEL_DELETED), 0);
	ck_assert_uint_eq(store_dbsize(s, 0), 1);
	ck_assert_uint_eq(hk.count[STORE_DEL_DELETED], 1);
}
END_TEST

START_TEST(test_store_put_replaces_and_hook_sees_the_old_value)
{
	const char *big = "a value long enough to need an allocation of another size class";
	struct sentry *e;

	ck_assert_ptr_nonnull(put_str(0, "k", "one", STORE_NO_EXPIRE));
	e = put_str(0, "k", big, STORE_NO_EXPIRE);
	ck_assert(value_is(e, big));
	ck_assert_uint_eq(hk.count[STORE_DEL_REPLACED], 1);
	ck_assert_uint_eq(hk.last_vlen, 3);
	ck_assert_mem_eq(hk.last_val, "one", 3);

	ck_assert_ptr_nonnull(put_str(0, "k", "two", STORE_NO_EXPIRE));
	ck_assert(value_is(store_find(s, 0, "k", 1), "two"));
	ck_assert_uint_eq(hk.count[STORE_DEL_REPLACED], 2);
	ck_assert_uint_eq(hk.last_vlen, strlen(big));

	/* Same size, so possibly reused in place: the hook still runs. */
	ck_assert_ptr_nonnull(put_str(0, "k", "six", STORE_NO_EXPIRE));
	ck_assert_uint_eq(hk.count[STORE_DEL_REPLACED], 3);
	ck_assert_mem_eq(hk.last_val, "two", 3);

	e = store_put(s, 0, "k", 1, "tok", 3, STORE_LOCK, T0_MS + 500);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->type, STORE_LOCK);
	ck_assert_uint_eq(hk.count[STORE_DEL_REPLACED], 4);
	ck_assert_uint_eq(store_dbsize(s, 0), 1);
	ck_assert_uint_eq(store_expires(s, 0), 1);
	ck_assert_uint_eq(hk.count[STORE_DEL_DELETED] + hk.count[STORE_DEL_EXPIRED], 0);
}
END_TEST

START_TEST(test_store_replace_toggling_ttl_keeps_one_entry_and_counts_expires)
{
	struct sentry *e;

	ck_assert_ptr_nonnull(put_str(0, "k", "value-one", STORE_NO_EXPIRE));
	e = put_str(0, "k", "value-two", T0_MS + 100);
	ck_assert(value_is(e, "value-two"));
	ck_assert(e->has_ttl);
	ck_assert_int_eq(sentry_expire(e), T0_MS + 100);
	ck_assert_uint_eq(store_expires(s, 0), 1);

	e = put_str(0, "k", "value-3", STORE_NO_EXPIRE);
	ck_assert(value_is(e, "value-3"));
	ck_assert(!e->has_ttl);
	ck_assert_int_eq(sentry_expire(e), STORE_NO_EXPIRE);
	ck_assert_uint_eq(store_expires(s, 0), 0);
	ck_assert_uint_eq(store_dbsize(s, 0), 1);
	ck_assert_ptr_eq(store_find(s, 0, "k", 1), e);
}
END_TEST

START_TEST(test_store_sixteen_databases_are_independent)
{
	char val[16];
	int db;

	for (db = 0; db < STORE_DBS; db++) {
		snprintf(val, sizeof val, "v%d", db);
		ck_assert_ptr_nonnull(
		    put_str(db, "same", val, db % 2 ? T0_MS + 10 : STORE_NO_EXPIRE));
	}
	ck_assert_int_eq(store_delete(s, 3, "same", 4, STORE_DEL_DELETED), 1);
	store_flushdb(s, 4);
	for (db = 0; db < STORE_DBS; db++) {
		snprintf(val, sizeof val, "v%d", db);
		if (db == 3 || db == 4) {
			ck_assert_ptr_null(store_find(s, db, "same", 4));
			ck_assert_uint_eq(store_dbsize(s, db), 0);
			continue;
		}
		ck_assert(value_is(store_find(s, db, "same", 4), val));
		ck_assert_uint_eq(store_dbsize(s, db), 1);
		ck_assert_uint_eq(store_expires(s, db), db % 2 ? 1 : 0);
	}
	ck_assert_uint_eq(hk.by_db[3], 1);
	ck_assert_uint_eq(hk.by_db[4], 1);
	ck_assert_uint_eq(hk.count[STORE_DEL_FLUSHED], 1);
}
END_TEST

START_TEST(test_store_find_treats_expire_equal_to_now_as_expired)
{
	ck_assert_ptr_nonnull(put_str(2, "k", "v", T0_MS + 500));
	clock_fake_set(T0_MS + 499, 0);
	ck_assert(value_is(store_find(s, 2, "k", 1), "v"));
	ck_assert_uint_eq(store_stats(s)->hits, 1);
	ck_assert_uint_eq(hk.count[STORE_DEL_EXPIRED], 0);

	clock_fake_set(T0_MS + 500, 0);
	ck_assert_ptr_null(store_find(s, 2, "k", 1));
	ck_assert_uint_eq(store_stats(s)->misses, 1);
	ck_assert_uint_eq(store_stats(s)->expired, 1);
	ck_assert_uint_eq(hk.count[STORE_DEL_EXPIRED], 1);
	ck_assert_int_eq(hk.last_db, 2);
	ck_assert_uint_eq(store_dbsize(s, 2), 0);
	ck_assert_uint_eq(store_expires(s, 2), 0);
}
END_TEST

START_TEST(test_store_dbsize_counts_expired_keys_until_collected)
{
	ck_assert_ptr_nonnull(put_str(0, "k", "v", T0_MS + 1));
	clock_fake_set(T0_MS + 10, 0);
	ck_assert_uint_eq(store_dbsize(s, 0), 1);
	ck_assert_uint_eq(store_expires(s, 0), 1);
	ck_assert_ptr_null(store_find(s, 0, "k", 1));
	ck_assert_uint_eq(store_dbsize(s, 0), 0);
}
END_TEST

START_TEST(test_store_find_counts_hits_and_misses_and_updates_lru)
{
	struct sentry *e;

	clock_fake_set(5000, 0);
	e = put_str(0, "k", "v", STORE_NO_EXPIRE);
	ck_assert_uint_eq(e->lru, 5);
	clock_fake_set(9999, 0);
	ck_assert_ptr_eq(store_peek(s, 0, "k", 1), e);
	ck_assert_uint_eq(e->lru, 5);
	ck_assert_uint_eq(store_stats(s)->hits, 0);
	ck_assert_ptr_null(store_peek(s, 0, "nope", 4));
	ck_assert_uint_eq(store_stats(s)->misses, 0);

	ck_assert_ptr_eq(store_find(s, 0, "k", 1), e);
	ck_assert_uint_eq(e->lru, 9);
	ck_assert_ptr_null(store_find(s, 0, "nope", 4));
	ck_assert_uint_eq(store_stats(s)->hits, 1);
	ck_assert_uint_eq(store_stats(s)->misses, 1);
}
END_TEST

START_TEST(test_store_peek_deletes_expired_keys_without_hit_or_miss_stats)
{
	ck_assert_ptr_nonnull(put_str(0, "k", "v", T0_MS + 5));
	clock_fake_set(T0_MS + 5, 0);
	ck_assert_ptr_null(store_peek(s, 0, "k", 1));
	ck_assert_uint_eq(store_stats(s)->hits + store_stats(s)->misses, 0);
	ck_assert_uint_eq(store_stats(s)->expired, 1);
	ck_assert_uint_eq(hk.count[STORE_DEL_EXPIRED], 1);
	ck_assert_uint_eq(store_dbsize(s, 0), 0);
	ck_assert_uint_eq(store_expires(s, 0), 0);
}
END_TEST

START_TEST(test_store_delete_of_expired_key_returns_0_and_reports_expired)
{
	ck_assert_ptr_nonnull(put_str(0, "k", "v", T0_MS + 5));
	clock_fake_set(T0_MS + 6, 0);
	ck_assert_int_eq(store_delete(s, 0, "k", 1, STORE_DEL_DELETED), 0);
	ck_assert_uint_eq(hk.count[STORE_DEL_EXPIRED], 1);
	ck_assert_uint_eq(hk.count[STORE_DEL_DELETED], 0);
	ck_assert_uint_eq(store_dbsize(s, 0), 0);
	ck_assert_uint_eq(store_expires(s, 0), 0);
}
END_TEST

START_TEST(test_store_put_copies_key_and_value_that_point_into_the_replaced_entry)
{
	const char *val = "0123456789abcdefghijklmnopqrstuv";
	struct sentry *e;

	ck_assert_ptr_nonnull(put_str(0, "alias-key", val, STORE_NO_EXPIRE));
	e = store_find(s, 0, "alias-key", 9);
	e = store_put(s, 0, sentry_key(e), e->klen, sentry_value(e), e->vlen, STORE_STRING,
	              T0_MS + 100);
	ck_assert(value_is(e, val));
	ck_assert(e->has_ttl);
	e = store_put(s, 0, sentry_key(e), e->klen, sentry_value(e) + 10, 10, STORE_STRING,
	              STORE_NO_EXPIRE);
	ck_assert(value_is(store_find(s, 0, "alias-key", 9), "abcdefghij"));
	ck_assert_uint_eq(store_dbsize(s, 0), 1);
	ck_assert_uint_eq(store_expires(s, 0), 0);
}
END_TEST

START_TEST(test_store_put_rejects_key_or_value_longer_than_4gb)
{
	size_t huge = (size_t)UINT32_MAX + 1;

	ck_assert_ptr_null(store_put(s, 0, "k", huge, "v", 1, STORE_STRING, STORE_NO_EXPIRE));
	ck_assert_ptr_null(store_put(s, 0, "k", 1, "v", huge, STORE_STRING, STORE_NO_EXPIRE));
	ck_assert_uint_eq(store_dbsize(s, 0), 0);
	ck_assert_uint_eq(store_used_memory(s), 0);
}
END_TEST

START_TEST(test_store_set_expire_toggles_ttl_and_relinks_among_many_keys)
{
	const long n = 20000;
	struct sentry *e, *m;
	long i, moved = 0;
	char want[256];

	for (i = 0; i < n; i++)
		ck_assert_ptr_nonnull(
		    put_n(s, 0, 'k', i, 20 + (size_t)(i % 40), STORE_STRING, STORE_NO_EXPIRE));
	for (i = 0; i < n; i++) {
		e = find_n(0, 'k', i);
		m = store_set_expire(s, 0, e, FAR_MS + i);
		ck_assert_ptr_nonnull(m);
		moved += m != e;
		ck_assert_ptr_eq(peek_n(s, 0, 'k', i), m);
		ck_assert(m->has_ttl);
		ck_assert_int_eq(sentry_expire(m), FAR_MS + i);
	}
	ck_assert_int_gt(moved, 0);
	ck_assert_uint_eq(store_expires(s, 0), (size_t)n);

	e = find_n(0, 'k', 7);
	ck_assert_ptr_eq(store_set_expire(s, 0, e, FAR_MS - 1), e);
	ck_assert_int_eq(sentry_expire(e), FAR_MS - 1);

	for (i = 0; i < n; i++) {
		m = store_set_expire(s, 0, find_n(0, 'k', i), STORE_NO_EXPIRE);
		ck_assert_ptr_nonnull(m);
		ck_assert(!m->has_ttl);
	}
	ck_assert_uint_eq(store_expires(s, 0), 0);
	ck_assert_uint_eq(store_dbsize(s, 0), (size_t)n);
	for (i = 0; i < n; i++) {
		e = peek_n(s, 0, 'k', i);
		ck_assert_ptr_nonnull(e);
		memset(want, 'a' + (int)(i % 26), sizeof want);
		ck_assert_uint_eq(e->vlen, 20 + (size_t)(i % 40));
		ck_assert_mem_eq(sentry_value(e), want, e->vlen);
	}
}
END_TEST

START_TEST(test_store_set_expire_out_of_memory_leaves_the_entry_unchanged)
{
	struct sentry *e = NULL;
	size_t vlen;

	/* A value size whose entry cannot take the expire slot in place. */
	for (vlen = 16; vlen < 64; vlen++) {
		e = put_n(s, 0, 'k', 1, vlen, STORE_STRING, STORE_NO_EXPIRE);
		if (malloc_usable_size(e) < offsetof(struct sentry, data) + 8 + KEY_LEN + vlen)
			break;
	}
	ck_assert_uint_lt(vlen, 64);
	dict_fail_alloc_after(0);
	ck_assert_ptr_null(store_set_expire(s, 0, e, T0_MS + 10));
	dict_fail_alloc_after(-1);
	ck_assert_ptr_eq(peek_n(s, 0, 'k', 1), e);
	ck_assert(!e->has_ttl);
	ck_assert_uint_eq(e->vlen, vlen);
	ck_assert_uint_eq(store_expires(s, 0), 0);
	ck_assert_ptr_nonnull(store_set_expire(s, 0, e, T0_MS + 10));
	ck_assert_uint_eq(store_expires(s, 0), 1);
}
END_TEST

START_TEST(test_store_keys_stay_findable_during_and_after_incremental_rehash)
{
	const long n = 200000;
	long i, j, checks = 0;

	for (i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(put_n(s, 1, 'k', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE));
		/* Lookups take rehash steps too, so this check spans a rehash. */
		if (i % 10000 == 9999 && store_rehash_step(s, 0)) {
			for (j = 0; j <= i; j++)
				ck_assert_msg(find_n(1, 'k', j), "key %ld lost at %ld", j, i);
			checks++;
		}
	}
	ck_assert_int_gt(checks, 0);
	finish_rehash(s);
	for (i = 0; i < n; i++)
		ck_assert_ptr_nonnull(peek_n(s, 1, 'k', i));
	ck_assert_ptr_null(peek_n(s, 1, 'k', n));
	ck_assert_uint_eq(store_dbsize(s, 1), (size_t)n);
}
END_TEST

START_TEST(test_store_table_shrinks_after_deletes)
{
	const long n = 100000, keep = 10;
	size_t entry, big = 0, full;
	long i;

	for (i = 0; i < n; i++)
		put_n(s, 0, 'k', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
	finish_rehash(s);
	/* Entries differ: one may sit in a larger chunk the heap had free
	 * (the runner's own allocations decide which). The lower bound takes
	 * the smallest, the upper one the largest. */
	entry = SIZE_MAX;
	for (i = 0; i < n; i++) {
		size_t u = malloc_usable_size(peek_n(s, 0, 'k', i));

		entry = u < entry ? u : entry;
		big = u > big ? u : big;
	}
	full = store_used_memory(s);
	ck_assert_uint_ge(full, n * entry + n * sizeof(void *));

	for (i = keep; i < n; i++)
		ck_assert_int_eq(delete_n(0, 'k', i), 1);
	finish_rehash(s);
	ck_assert_uint_eq(store_dbsize(s, 0), (size_t)keep);
	/* 10 keys want a 32-bucket table; allow one doubling. */
	ck_assert_uint_le(store_used_memory(s), keep * big + 64 * sizeof(void *));
	for (i = 0; i < keep; i++)
		ck_assert_ptr_nonnull(find_n(0, 'k', i));
}
END_TEST

START_TEST(test_store_flush_calls_hook_and_returns_memory_to_baseline)
{
	size_t base = store_used_memory(s);
	long i;

	for (i = 0; i < 1000; i++)
		put_n(s, 0, 'k', i, VAL_LEN, STORE_STRING, i % 2 ? T0_MS + 50 : STORE_NO_EXPIRE);
	for (i = 0; i < 500; i++)
		put_n(s, 5, 'k', i, VAL_LEN, STORE_POOL, T0_MS + 50);
	ck_assert_uint_gt(store_used_memory(s), base + 1500 * 48);

	store_flushdb(s, 5);
	ck_assert_uint_eq(hk.count[STORE_DEL_FLUSHED], 500);
	ck_assert_uint_eq(hk.by_db[5], 500);
	ck_assert_uint_eq(hk.by_db[0], 0);
	ck_assert_uint_eq(store_dbsize(s, 5), 0);
	ck_assert_uint_eq(store_expires(s, 5), 0);
	ck_assert_uint_eq(store_dbsize(s, 0), 1000);
	ck_assert_uint_eq(store_expires(s, 0), 500);

	store_flushall(s);
	ck_assert_uint_eq(hk.count[STORE_DEL_FLUSHED], 1500);
	ck_assert_uint_eq(store_dbsize(s, 0), 0);
	ck_assert_uint_eq(store_expires(s, 0), 0);
	ck_assert_uint_eq(store_used_memory(s), base);
	ck_assert_ptr_nonnull(put_str(0, "after", "flush", STORE_NO_EXPIRE));
	ck_assert(value_is(store_find(s, 0, "after", 5), "flush"));
}
END_TEST

/* Marks keys 'k' + index seen; counts the others. */
struct scan_seen {
	unsigned char *seen;
	long n;
	long expired_seen;
	int64_t now;
};

static void scan_mark_cb(void *ctx, struct sentry *e)
{
	struct scan_seen *sc = ctx;
	char buf[KEY_LEN + 1];
	long i;

	if (e->has_ttl && sentry_expire(e) <= sc->now)
		sc->expired_seen++;
	if (e->klen != KEY_LEN || sentry_key(e)[0] != 'k')
		return;
	memcpy(buf, sentry_key(e), KEY_LEN);
	buf[KEY_LEN] = 0;
	i = strtol(buf + 1, NULL, 10);
	if (i >= 0 && i < sc->n)
		sc->seen[i] = 1;
}

static long count_unseen(const struct scan_seen *sc)
{
	long i, missing = 0;

	for (i = 0; i < sc->n; i++)
		missing += !sc->seen[i];
	return missing;
}

START_TEST(test_store_scan_reports_every_key_while_the_table_grows)
{
	unsigned char seen[1000] = {0};
	struct scan_seen sc = {seen, 1000, 0, T0_MS};
	uint64_t cursor = 0;
	long i, calls = 0, added = 0;
	bool resized = false;

	for (i = 0; i < sc.n; i++)
		put_n(s, 0, 'k', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
	finish_rehash(s);
	do {
		cursor = store_scan(s, 0, cursor, 4, scan_mark_cb, &sc);
		/* Enough to double the table twice, not so many that the
		 * table outgrows the cursor for good. */
		for (i = 0; i < 40 && added < 3000; i++)
			put_n(s, 0, 'n', added++, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
		resized = resized || store_rehash_step(s, 0);
	} while (cursor != 0 && ++calls < 100000);
	ck_assert_uint_eq(cursor, 0);
	ck_assert_msg(resized, "the table never resized during the scan");
	ck_assert_int_eq(count_unseen(&sc), 0);
}
END_TEST

START_TEST(test_store_scan_reports_every_key_while_the_table_shrinks)
{
	unsigned char seen[500] = {0};
	struct scan_seen sc = {seen, 500, 0, T0_MS};
	uint64_t cursor = 0;
	long i, calls = 0, doomed = 8000, gone = 0;
	bool resized = false;

	for (i = 0; i < sc.n; i++)
		put_n(s, 0, 'k', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
	for (i = 0; i < doomed; i++)
		put_n(s, 0, 'd', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
	finish_rehash(s);
	do {
		cursor = store_scan(s, 0, cursor, 2, scan_mark_cb, &sc);
		for (i = 0; i < 100 && gone < doomed; i++)
			ck_assert_int_eq(delete_n(0, 'd', gone++), 1);
		resized = resized || store_rehash_step(s, 0);
	} while (cursor != 0 && ++calls < 100000);
	ck_assert_uint_eq(cursor, 0);
	ck_assert_msg(resized, "the table never resized during the scan");
	ck_assert_int_eq(count_unseen(&sc), 0);
}
END_TEST

START_TEST(test_store_scan_skips_expired_keys_without_deleting_them)
{
	unsigned char seen[300] = {0};
	struct scan_seen sc = {seen, 300, 0, T0_MS + 100};
	uint64_t cursor = 0;
	long i, calls = 0;

	for (i = 0; i < sc.n; i++)
		put_n(s, 0, 'k', i, VAL_LEN, STORE_STRING, i % 2 ? STORE_NO_EXPIRE : T0_MS + 100);
	clock_fake_set(T0_MS + 100, 0);
	do
		cursor = store_scan(s, 0, cursor, 8, scan_mark_cb, &sc);
	while (cursor != 0 && ++calls < 10000);
	ck_assert_uint_eq(cursor, 0);
	ck_assert_int_eq(sc.expired_seen, 0);
	for (i = 0; i < sc.n; i++)
		ck_assert_int_eq(seen[i], i % 2);
	ck_assert_uint_eq(store_dbsize(s, 0), 300);
	ck_assert_uint_eq(store_stats(s)->expired, 0);
}
END_TEST

START_TEST(test_store_scan_of_empty_database_ends_at_once)
{
	struct scan_seen sc = {NULL, 0, 0, T0_MS};

	ck_assert_uint_eq(store_scan(s, 9, 0, 10, scan_mark_cb, &sc), 0);
	ck_assert_ptr_nonnull(put_str(9, "x", "y", STORE_NO_EXPIRE));
	ck_assert_int_eq(store_delete(s, 9, "x", 1, STORE_DEL_DELETED), 1);
	ck_assert_uint_eq(store_scan(s, 9, 0, 10, scan_mark_cb, &sc), 0);
}
END_TEST

/* Runs expiry in slices of max buckets until db has no TTL keys left;
 * checks every slice's bucket count. Returns the calls made. */
static long expire_until_done(int db, int64_t now, size_t max, size_t *deleted, long limit)
{
	uint64_t before;
	long calls = 0;

	*deleted = 0;
	while (store_expires(s, db) > 0 && calls < limit) {
		before = store_stats(s)->expire_buckets;
		*deleted += store_expire_cycle(s, now, max);
		ck_assert_uint_le(store_stats(s)->expire_buckets - before, max);
		calls++;
	}
	return calls;
}

START_TEST(test_store_expire_cycle_reclaims_100k_keys_in_bounded_slices)
{
	const long n = 100000;
	size_t deleted;
	long i, calls;

	for (i = 0; i < n; i++)
		put_n(s, 3, 'k', i, VAL_LEN, STORE_STRING, T0_MS + 5000);
	for (i = 0; i < 1000; i++) {
		put_n(s, 7, 'k', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
		put_n(s, 0, 'k', i, VAL_LEN, STORE_STRING, FAR_MS);
	}
	/* ~200k buckets to rehash and sweep in 1024-bucket slices: ~200 calls. */
	calls = expire_until_done(3, T0_MS + 5000, 1024, &deleted, 400);
	ck_assert_uint_eq(store_expires(s, 3), 0);
	ck_assert_int_le(calls, 400);
	ck_assert_uint_eq(deleted, (size_t)n);
	ck_assert_uint_eq(store_dbsize(s, 3), 0);
	ck_assert_uint_eq(hk.count[STORE_DEL_EXPIRED], (size_t)n);
	ck_assert_uint_eq(store_stats(s)->expired, (size_t)n);
	ck_assert_uint_eq(store_dbsize(s, 7), 1000);
	ck_assert_uint_eq(store_dbsize(s, 0), 1000);
	ck_assert_uint_eq(store_expires(s, 0), 1000);
}
END_TEST

START_TEST(test_store_expire_cycle_deletes_only_keys_that_are_due)
{
	ck_assert_ptr_nonnull(put_str(0, "a", "1", 1000));
	ck_assert_ptr_nonnull(put_str(0, "b", "2", 1001));
	ck_assert_ptr_nonnull(put_str(0, "c", "3", STORE_NO_EXPIRE));
	ck_assert_uint_eq(store_expire_cycle(s, 999, 1 << 20), 0);
	ck_assert_uint_eq(store_expire_cycle(s, 1000, 1 << 20), 1);
	ck_assert_uint_eq(hk.last_klen, 1);
	ck_assert_int_eq(hk.last_key[0], 'a');
	ck_assert_uint_eq(store_expire_cycle(s, 1001, 1 << 20), 1);
	ck_assert_uint_eq(store_dbsize(s, 0), 1);
	ck_assert_uint_eq(store_expires(s, 0), 0);
	ck_assert_uint_eq(store_expire_cycle(s, FAR_MS, 1 << 20), 0);
	ck_assert_ptr_nonnull(store_peek(s, 0, "c", 1));
}
END_TEST

START_TEST(test_store_expire_cycle_with_zero_budget_visits_nothing)
{
	ck_assert_ptr_nonnull(put_str(0, "a", "1", 1000));
	ck_assert_uint_eq(store_expire_cycle(s, 2000, 0), 0);
	ck_assert_uint_eq(store_stats(s)->expire_buckets, 0);
	ck_assert_uint_eq(store_dbsize(s, 0), 1);
}
END_TEST

START_TEST(test_store_expire_cycle_progresses_while_the_table_rehashes)
{
	size_t deleted;
	long i, calls;

	/* The 4097th key finds the 4096-bucket table full: a grow starts. */
	for (i = 0; i < 4097; i++)
		put_n(s, 1, 'k', i, VAL_LEN, STORE_STRING, T0_MS + 1);
	ck_assert(store_rehash_step(s, 0));
	calls = expire_until_done(1, T0_MS + 1, 16, &deleted, 10000);
	ck_assert_uint_eq(deleted, 4097);
	ck_assert_int_le(calls, 2 * (4096 + 8192) / 16);
	ck_assert_uint_eq(store_dbsize(s, 1), 0);
}
END_TEST

START_TEST(test_store_noeviction_rejects_writes_past_maxmemory_and_keeps_old_value)
{
	char big[200];
	struct sentry *e;
	size_t used;
	long i;

	memset(big, 'z', sizeof big);
	for (i = 0; i < 50; i++)
		put_n(s, 0, 'k', i, VAL_LEN, STORE_STRING, FAR_MS);
	finish_rehash(s);
	used = store_used_memory(s);
	store_set_maxmemory(s, used + 8, STORE_NOEVICTION);

	ck_assert_ptr_null(put_n(s, 0, 'x', 0, 100, STORE_STRING, STORE_NO_EXPIRE));
	ck_assert_ptr_null(peek_n(s, 0, 'x', 0));
	e = peek_n(s, 0, 'k', 0);
	ck_assert_ptr_null(
	    store_put(s, 0, sentry_key(e), e->klen, big, sizeof big, STORE_STRING, FAR_MS));
	ck_assert_ptr_eq(peek_n(s, 0, 'k', 0), e);
	ck_assert_uint_eq(e->vlen, VAL_LEN);
	ck_assert_int_eq(sentry_value(e)[0], 'a');
	ck_assert_uint_eq(store_used_memory(s), used);
	ck_assert_uint_eq(store_dbsize(s, 0), 50);

	/* A replacement that needs no more memory goes through. */
	e = put_n(s, 0, 'k', 1, VAL_LEN, STORE_STRING, FAR_MS);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(store_make_room(s, 0), 0);
	ck_assert_int_eq(store_make_room(s, 1000), -1);
	ck_assert_uint_eq(store_stats(s)->evicted, 0);
	ck_assert_uint_eq(hk.count[STORE_DEL_EVICTED], 0);
}
END_TEST

START_TEST(test_store_volatile_lru_evicts_only_strings_with_ttl)
{
	size_t max;
	long i;

	for (i = 0; i < 200; i++)
		put_n(s, 0, 'p', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
	for (i = 0; i < 50; i++) {
		put_n(s, 1, 'L', i, 8, STORE_LOCK, FAR_MS);
		put_n(s, 1, 'P', i, 8, STORE_POOL, FAR_MS);
	}
	for (i = 0; i < 200; i++)
		put_n(s, 2, 'v', i, VAL_LEN, STORE_STRING, FAR_MS);
	/* A rehash finishing later would free a bucket array: room without
	 * evicting. */
	finish_rehash(s);
	max = store_used_memory(s);
	store_set_maxmemory(s, max, STORE_VOLATILE_LRU);

	for (i = 0; i < 100; i++)
		ck_assert_ptr_nonnull(put_n(s, 0, 'n', i, VAL_LEN, STORE_STRING, FAR_MS));
	ck_assert_uint_ge(hk.count[STORE_DEL_EVICTED], 100);
	ck_assert_uint_eq(hk.bad_evictions, 0);
	ck_assert_uint_eq(store_stats(s)->evicted, hk.count[STORE_DEL_EVICTED]);
	ck_assert_uint_le(store_used_memory(s), max);
	for (i = 0; i < 200; i++)
		ck_assert_ptr_nonnull(peek_n(s, 0, 'p', i));
	for (i = 0; i < 50; i++) {
		ck_assert_ptr_nonnull(peek_n(s, 1, 'L', i));
		ck_assert_ptr_nonnull(peek_n(s, 1, 'P', i));
	}
	ck_assert_uint_eq(store_dbsize(s, 0) + store_dbsize(s, 1) + store_dbsize(s, 2),
	                  600 - hk.count[STORE_DEL_EVICTED]);
}
END_TEST

START_TEST(test_store_volatile_lru_evicts_least_recently_used_keys)
{
	size_t entry;
	long i;

	clock_fake_set(100 * 1000, 0);
	for (i = 0; i < 100; i++)
		put_n(s, 0, 'k', i, VAL_LEN, STORE_STRING, FAR_MS);
	clock_fake_set(200 * 1000, 0);
	for (i = 0; i < 10; i++)
		ck_assert_ptr_nonnull(find_n(0, 'k', i));
	finish_rehash(s);
	/* A random victim would hit one of the 10 hot keys in 40 evictions
	 * all but 0.5% of the time; the 16-key sample practically never. */
	entry = malloc_usable_size(peek_n(s, 0, 'k', 0));
	store_set_maxmemory(s, store_used_memory(s) - 40 * entry, STORE_VOLATILE_LRU);
	ck_assert_int_eq(store_make_room(s, 0), 0);
	ck_assert_uint_eq(hk.count[STORE_DEL_EVICTED], 40);
	for (i = 0; i < 10; i++)
		ck_assert_msg(peek_n(s, 0, 'k', i), "hot key %ld evicted", i);
	ck_assert_uint_eq(store_dbsize(s, 0), 60);
}
END_TEST

START_TEST(test_store_volatile_lru_fails_when_nothing_is_evictable)
{
	long i;

	for (i = 0; i < 200; i++)
		put_n(s, 0, 'p', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
	for (i = 0; i < 20; i++) {
		put_n(s, 1, 'L', i, 8, STORE_LOCK, FAR_MS);
		put_n(s, 1, 'P', i, 8, STORE_POOL, FAR_MS);
	}
	finish_rehash(s);
	store_set_maxmemory(s, store_used_memory(s), STORE_VOLATILE_LRU);
	ck_assert_ptr_null(put_n(s, 0, 'x', 0, VAL_LEN, STORE_STRING, FAR_MS));
	ck_assert_int_eq(store_make_room(s, 0), 0);
	ck_assert_int_eq(store_make_room(s, 1), -1);
	ck_assert_uint_eq(store_stats(s)->evicted, 0);
	ck_assert_uint_eq(hk.count[STORE_DEL_EVICTED], 0);
	ck_assert_uint_eq(store_dbsize(s, 0) + store_dbsize(s, 1), 240);
}
END_TEST

START_TEST(test_store_put_never_evicts_the_entry_it_replaces)
{
	struct sentry *e;
	long i;

	for (i = 0; i < 200; i++)
		put_n(s, 0, 'p', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
	ck_assert_ptr_nonnull(put_n(s, 0, 'v', 0, VAL_LEN, STORE_STRING, FAR_MS));
	finish_rehash(s);
	store_set_maxmemory(s, store_used_memory(s), STORE_VOLATILE_LRU);

	/* The only key with a TTL is the one being replaced: nothing to evict. */
	ck_assert_ptr_null(put_n(s, 0, 'v', 0, 200, STORE_STRING, FAR_MS));
	ck_assert_uint_eq(hk.count[STORE_DEL_EVICTED], 0);
	e = peek_n(s, 0, 'v', 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->vlen, VAL_LEN);

	/* With another one about, that one goes and the replace succeeds. */
	store_set_maxmemory(s, 0, STORE_NOEVICTION);
	ck_assert_ptr_nonnull(put_n(s, 0, 'w', 0, 250, STORE_STRING, FAR_MS));
	store_set_maxmemory(s, store_used_memory(s), STORE_VOLATILE_LRU);
	e = put_n(s, 0, 'v', 0, 200, STORE_STRING, FAR_MS);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->vlen, 200);
	ck_assert_uint_eq(hk.count[STORE_DEL_EVICTED], 1);
	ck_assert_ptr_null(peek_n(s, 0, 'w', 0));
	ck_assert_ptr_eq(peek_n(s, 0, 'v', 0), e);
}
END_TEST

START_TEST(test_store_eviction_finds_rare_ttl_keys_by_walking_in_order)
{
	long i;

	for (i = 0; i < 20000; i++)
		put_n(s, 0, 'p', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
	ck_assert_ptr_nonnull(put_n(s, 0, 'v', 0, VAL_LEN, STORE_STRING, FAR_MS));
	finish_rehash(s);
	store_set_maxmemory(s, store_used_memory(s), STORE_VOLATILE_LRU);
	/* Random probes rarely meet the one TTL key; the resumable walk must,
	 * within the walks it takes to cover the table once. */
	for (i = 0; i < 64 && store_make_room(s, 1) < 0; i++)
		;
	ck_assert_uint_eq(hk.count[STORE_DEL_EVICTED], 1);
	ck_assert_ptr_null(peek_n(s, 0, 'v', 0));
	ck_assert_uint_eq(store_dbsize(s, 0), 20000);
}
END_TEST

/* ---- policies: sampling, the pool, LFU counters ---------------------------- */

static const enum store_policy evicting_policies[] = {
	STORE_VOLATILE_LRU, STORE_VOLATILE_LFU, STORE_VOLATILE_RANDOM, STORE_VOLATILE_TTL,
	STORE_ALLKEYS_LRU,  STORE_ALLKEYS_LFU,  STORE_ALLKEYS_RANDOM,
};
#define NPOLICIES (sizeof evicting_policies / sizeof evicting_policies[0])

/* Sets maxmemory so that room for n more entries like e must be made by
 * evicting n of them. */
static void limit_to_evict(enum store_policy p, const struct sentry *e, size_t n)
{
	finish_rehash(s);
	store_set_maxmemory(s, store_used_memory(s) - n * malloc_usable_size((void *)e), p);
}

START_TEST(test_store_allkeys_lru_keeps_the_hot_set_and_evicts_keys_without_ttl)
{
	long i;

	clock_fake_set(100 * 1000, 0);
	for (i = 0; i < 100; i++)
		put_n(s, 0, 'k', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
	clock_fake_set(200 * 1000, 0);
	for (i = 0; i < 10; i++)
		ck_assert_ptr_nonnull(find_n(0, 'k', i));
	limit_to_evict(STORE_ALLKEYS_LRU, peek_n(s, 0, 'k', 0), 60);
	ck_assert_int_eq(store_make_room(s, 0), 0);
	ck_assert_uint_eq(hk.count[STORE_DEL_EVICTED], 60);
	/* A random victim would be one of the 10 hot keys in 60 evictions
	 * nearly always; the pool keeps cold candidates for the next one. */
	for (i = 0; i < 10; i++)
		ck_assert_msg(peek_n(s, 0, 'k', i), "hot key %ld evicted", i);
}
END_TEST

START_TEST(test_store_lru_with_samples_covering_the_table_is_exact)
{
	long i;

	store_set_eviction(s, 1000, STORE_LFU_LOG_DEFAULT, STORE_LFU_DECAY_DEFAULT);
	for (i = 0; i < 100; i++) {
		clock_fake_set((100 + i) * 1000, 0);
		put_n(s, 0, 'k', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
	}
	limit_to_evict(STORE_ALLKEYS_LRU, peek_n(s, 0, 'k', 0), 30);
	ck_assert_int_eq(store_make_room(s, 0), 0);
	for (i = 0; i < 100; i++)
		ck_assert_msg(!peek_n(s, 0, 'k', i) == (i < 30), "key %ld (written at %lds)", i,
			      100 + i);
}
END_TEST

START_TEST(test_store_allkeys_lfu_keeps_frequently_read_keys_over_newer_cold_ones)
{
	long i, j;

	/* At the start of a minute, so that nothing decays below. */
	clock_fake_set(20 * 60 * 1000, 0);
	store_set_maxmemory(s, 0, STORE_ALLKEYS_LFU);
	for (i = 0; i < 10; i++) {
		put_n(s, 0, 'h', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
		for (j = 0; j < 50; j++)
			find_n(0, 'h', i);
		ck_assert_uint_gt(store_lfu_freq(s, peek_n(s, 0, 'h', i)), STORE_LFU_INIT);
	}
	/* Newer, in the same minute: LRU would keep these. */
	clock_fake_set(20 * 60 * 1000 + 30 * 1000, 0);
	for (i = 0; i < 90; i++)
		put_n(s, 0, 'c', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
	/* A sample of hot keys alone, with no cold candidate left in the pool,
	 * would take a hot one: with 10 of 100 hot, practically never. */
	limit_to_evict(STORE_ALLKEYS_LFU, peek_n(s, 0, 'c', 0), 50);
	ck_assert_int_eq(store_make_room(s, 0), 0);
	ck_assert_uint_eq(hk.count[STORE_DEL_EVICTED], 50);
	for (i = 0; i < 10; i++)
		ck_assert_msg(peek_n(s, 0, 'h', i), "frequently read key %ld evicted", i);
}
END_TEST

START_TEST(test_store_volatile_ttl_evicts_the_nearest_expiry_first)
{
	long i;

	store_set_eviction(s, 1000, STORE_LFU_LOG_DEFAULT, STORE_LFU_DECAY_DEFAULT);
	for (i = 0; i < 100; i++) {
		put_n(s, 0, 'p', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
		/* Expire times out of key order: 97, 94, ... */
		put_n(s, 0, 't', i, VAL_LEN, STORE_STRING, FAR_MS + (i * 37 % 100) * 1000);
	}
	limit_to_evict(STORE_VOLATILE_TTL, peek_n(s, 0, 't', 0), 20);
	ck_assert_int_eq(store_make_room(s, 0), 0);
	ck_assert_uint_eq(hk.count[STORE_DEL_EVICTED], 20);
	for (i = 0; i < 100; i++) {
		ck_assert_ptr_nonnull(peek_n(s, 0, 'p', i));
		ck_assert_msg(!peek_n(s, 0, 't', i) == (i * 37 % 100 < 20), "key %ld, %lds", i,
			      i * 37 % 100);
	}
}
END_TEST

START_TEST(test_store_volatile_policies_evict_only_ttl_keys_then_refuse)
{
	size_t p;
	long i, n;

	for (p = 0; p < NPOLICIES && evicting_policies[p] <= STORE_VOLATILE_TTL; p++) {
		memset(&hk, 0, sizeof hk);
		store_flushall(s);
		store_set_maxmemory(s, 0, STORE_NOEVICTION);
		for (i = 0; i < 200; i++)
			put_n(s, 0, 'p', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
		for (i = 0; i < 50; i++)
			put_n(s, 3, 'v', i, VAL_LEN, STORE_STRING, FAR_MS);
		finish_rehash(s);
		store_set_maxmemory(s, store_used_memory(s), evicting_policies[p]);
		memset(&hk, 0, sizeof hk);
		for (n = 0; n < 100 && put_n(s, 0, 'n', n, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
		     n++)
			;
		ck_assert_msg(n >= 40 && n < 100, "policy %d: %ld writes for 50 TTL keys",
			      (int)evicting_policies[p], n);
		ck_assert_uint_eq(hk.count[STORE_DEL_EVICTED], 50);
		ck_assert_uint_eq(hk.bad_evictions, 0);
		ck_assert_uint_eq(store_dbsize(s, 3), 0);
		for (i = 0; i < 200; i++)
			ck_assert_ptr_nonnull(peek_n(s, 0, 'p', i));
		ck_assert_ptr_null(put_n(s, 0, 'x', 0, VAL_LEN, STORE_STRING, FAR_MS));
	}
}
END_TEST

/* Pins the keys that start with 'w', as the daemon pins waited-on keys. */
static bool pin_w(void *ctx, int db, const struct sentry *e)
{
	(void)ctx;
	(void)db;
	return sentry_key(e)[0] == 'w';
}

START_TEST(test_store_locks_pools_and_pinned_keys_survive_every_policy)
{
	size_t p;
	long i;

	store_set_pinned(s, pin_w, NULL);
	for (p = 0; p < NPOLICIES; p++) {
		store_flushall(s);
		store_set_maxmemory(s, 0, STORE_NOEVICTION);
		for (i = 0; i < 20; i++) {
			put_n(s, 0, 'L', i, 8, STORE_LOCK, i % 2 ? FAR_MS : STORE_NO_EXPIRE);
			put_n(s, 0, 'P', i, 8, STORE_POOL, i % 2 ? FAR_MS : STORE_NO_EXPIRE);
			put_n(s, 0, 'w', i, VAL_LEN, STORE_STRING, i % 2 ? FAR_MS : STORE_NO_EXPIRE);
		}
		for (i = 0; i < 100; i++)
			put_n(s, 0, 'v', i, VAL_LEN, STORE_STRING, FAR_MS);
		finish_rehash(s);
		store_set_maxmemory(s, store_used_memory(s), evicting_policies[p]);
		for (i = 0; i < 300 && put_n(s, 0, 'n', i, VAL_LEN, STORE_STRING, FAR_MS); i++)
			;
		ck_assert_msg(i == 300, "policy %d: refused after %ld writes",
			      (int)evicting_policies[p], i);
		for (i = 0; i < 20; i++) {
			ck_assert_ptr_nonnull(peek_n(s, 0, 'L', i));
			ck_assert_ptr_nonnull(peek_n(s, 0, 'P', i));
			ck_assert_msg(peek_n(s, 0, 'w', i), "policy %d evicted pinned key %ld",
				      (int)evicting_policies[p], i);
		}
	}
}
END_TEST

START_TEST(test_store_lfu_counter_starts_at_5_climbs_decays_and_saturates)
{
	struct sentry *e;
	int i;

	store_set_maxmemory(s, 0, STORE_ALLKEYS_LFU);
	ck_assert(store_policy_is_lfu(s));
	/* Factor 0: every access counts. */
	store_set_eviction(s, 5, 0, 1);
	e = put_str(0, "k", "v", STORE_NO_EXPIRE);
	ck_assert_uint_eq(store_lfu_freq(s, e), STORE_LFU_INIT);
	for (i = 0; i < 10; i++)
		store_find(s, 0, "k", 1);
	ck_assert_uint_eq(store_lfu_freq(s, e), 15);
	/* An overwrite keeps the counter, as Redis. */
	e = put_str(0, "k", "w", STORE_NO_EXPIRE);
	ck_assert_uint_eq(store_lfu_freq(s, e), 15);
	e = put_str(0, "k", "a longer value that needs a new entry", STORE_NO_EXPIRE);
	ck_assert_uint_eq(store_lfu_freq(s, e), 15);
	/* One step down per lfu-decay-time minutes idle (whole minutes of the
	 * clock: T0 is 16 min 40 s); reading it does not. */
	clock_fake_set(T0_MS + 3 * 60 * 1000, 0);
	ck_assert_uint_eq(store_lfu_freq(s, e), 12);
	ck_assert_uint_eq(store_lfu_freq(s, e), 12);
	e = store_find(s, 0, "k", 1);
	ck_assert_uint_eq(store_lfu_freq(s, e), 13);
	store_set_eviction(s, 5, 0, 0);
	clock_fake_set(T0_MS + 1000 * 60 * 1000, 0);
	ck_assert_uint_eq(store_lfu_freq(s, e), 13);
	for (i = 0; i < 300; i++)
		store_find(s, 0, "k", 1);
	ck_assert_uint_eq(store_lfu_freq(s, e), 255);

	/* Factor 10: logarithmic, a thousand reads take it to about 19. */
	store_set_eviction(s, 5, 10, 1);
	e = put_str(0, "j", "v", STORE_NO_EXPIRE);
	for (i = 0; i < 1000; i++)
		store_find(s, 0, "j", 1);
	ck_assert_uint_ge(store_lfu_freq(s, e), 12);
	ck_assert_uint_le(store_lfu_freq(s, e), 30);
}
END_TEST

START_TEST(test_store_find_notouch_counts_but_keeps_the_access_time)
{
	struct sentry *e;

	put_str(0, "k", "v", STORE_NO_EXPIRE);
	clock_fake_set(T0_MS + 7000, 0);
	e = store_find_notouch(s, 0, "k", 1);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(store_idle_s(s, e), 7);
	ck_assert_ptr_null(store_find_notouch(s, 0, "x", 1));
	ck_assert_uint_eq(store_stats(s)->hits, 1);
	ck_assert_uint_eq(store_stats(s)->misses, 1);
	store_find(s, 0, "k", 1);
	ck_assert_uint_eq(store_idle_s(s, e), 0);
}
END_TEST

/* The volatile candidates follow EXPIRE and PERSIST (store_set_expire, in
 * place or moved), and locks with a TTL are none of them. */
START_TEST(test_store_volatile_candidates_follow_expire_and_persist)
{
	long i;

	for (i = 0; i < 200; i++)
		put_n(s, 0, 'p', i, i % 2 ? VAL_LEN : VAL_LEN + 8, STORE_STRING, STORE_NO_EXPIRE);
	for (i = 0; i < 20; i++)
		put_n(s, 0, 'L', i, 8, STORE_LOCK, FAR_MS);
	finish_rehash(s);
	store_set_maxmemory(s, store_used_memory(s), STORE_VOLATILE_LRU);
	ck_assert_int_eq(store_make_room(s, 1), -1);

	for (i = 0; i < 4; i++)
		ck_assert_ptr_nonnull(store_set_expire(s, 0, peek_n(s, 0, 'p', i), FAR_MS));
	ck_assert_ptr_nonnull(store_set_expire(s, 0, peek_n(s, 0, 'p', 2), STORE_NO_EXPIRE));
	ck_assert_ptr_nonnull(store_set_expire(s, 0, peek_n(s, 0, 'p', 3), STORE_NO_EXPIRE));
	for (i = 0; i < 10 && store_make_room(s, 1) == 0; i++)
		store_set_maxmemory(s, store_used_memory(s), STORE_VOLATILE_LRU);
	ck_assert_uint_eq(hk.count[STORE_DEL_EVICTED], 2);
	ck_assert_ptr_null(peek_n(s, 0, 'p', 0));
	ck_assert_ptr_null(peek_n(s, 0, 'p', 1));
	ck_assert_ptr_nonnull(peek_n(s, 0, 'p', 2));
	ck_assert_ptr_nonnull(peek_n(s, 0, 'p', 3));
	for (i = 0; i < 20; i++)
		ck_assert_ptr_nonnull(peek_n(s, 0, 'L', i));
	ck_assert_uint_eq(store_expires(s, 0), 20);
}
END_TEST

/* Regression: a random pick gave up after 10 buckets, and the ordered walk
 * then spent itself on the part of t[0] the rehash had drained: -OOM with
 * thousands of keys to evict (bench/evict.sh, volatile-random). */
START_TEST(test_store_random_eviction_never_fails_while_the_table_rehashes)
{
	long i;

	for (i = 0; i < 20000; i++)
		put_n(s, 0, 'k', i, VAL_LEN, STORE_STRING, FAR_MS);
	store_rehash_step(s, 4000);
	ck_assert_msg(store_rehash_step(s, 0), "the table should be mid-rehash");
	store_set_maxmemory(s, store_used_memory(s), STORE_VOLATILE_RANDOM);
	for (i = 0; i < 3000; i++)
		ck_assert_msg(put_n(s, 0, 'n', i, VAL_LEN, STORE_STRING, FAR_MS),
			      "write %ld refused with 20000 keys to evict", i);
	ck_assert_msg(store_rehash_step(s, 0), "the rehash ended before the writes");
	ck_assert_uint_ge(hk.count[STORE_DEL_EVICTED], 3000);
}
END_TEST

START_TEST(test_store_hook_gets_the_reason_of_every_removal_path)
{
	struct sentry *e;
	size_t max;
	long i;

	put_str(0, "del", "1", STORE_NO_EXPIRE);
	store_delete(s, 0, "del", 3, STORE_DEL_DELETED);
	ck_assert_int_eq(hk.last_why, STORE_DEL_DELETED);

	e = put_str(1, "ent", "2", STORE_NO_EXPIRE);
	store_delete_entry(s, 1, e, STORE_DEL_EVICTED);
	ck_assert_int_eq(hk.last_why, STORE_DEL_EVICTED);
	ck_assert_int_eq(hk.last_db, 1);
	ck_assert_uint_eq(store_stats(s)->evicted, 1);

	put_str(0, "rep", "3", STORE_NO_EXPIRE);
	put_str(0, "rep", "4", STORE_NO_EXPIRE);
	ck_assert_int_eq(hk.last_why, STORE_DEL_REPLACED);
	ck_assert_mem_eq(hk.last_val, "3", 1);

	put_str(0, "lazy", "5", T0_MS + 1);
	put_str(0, "sweep", "6", T0_MS + 1);
	put_str(0, "over", "7", T0_MS + 1);
	clock_fake_set(T0_MS + 1, 0);
	store_find(s, 0, "lazy", 4);
	ck_assert_int_eq(hk.last_why, STORE_DEL_EXPIRED);
	ck_assert_mem_eq(hk.last_key, "lazy", 4);
	/* Putting over an expired key expires it, it does not replace it. */
	put_str(0, "over", "8", STORE_NO_EXPIRE);
	ck_assert_int_eq(hk.last_why, STORE_DEL_EXPIRED);
	ck_assert_mem_eq(hk.last_key, "over", 4);
	ck_assert_uint_eq(store_expire_cycle(s, T0_MS + 1, 1 << 20), 1);
	ck_assert_int_eq(hk.last_why, STORE_DEL_EXPIRED);
	ck_assert_mem_eq(hk.last_key, "sweep", 5);
	ck_assert_uint_eq(hk.count[STORE_DEL_EXPIRED], 3);

	for (i = 0; i < 20; i++)
		put_n(s, 2, 'v', i, VAL_LEN, STORE_STRING, FAR_MS);
	finish_rehash(s);
	max = store_used_memory(s);
	store_set_maxmemory(s, max, STORE_VOLATILE_LRU);
	ck_assert_ptr_nonnull(put_n(s, 2, 'v', 100, VAL_LEN, STORE_STRING, FAR_MS));
	ck_assert_int_eq(hk.last_why, STORE_DEL_EVICTED);
	ck_assert_int_eq(hk.last_db, 2);
	store_set_maxmemory(s, 0, STORE_NOEVICTION);

	store_flushdb(s, 2);
	ck_assert_int_eq(hk.last_why, STORE_DEL_FLUSHED);
	ck_assert_int_eq(hk.last_db, 2);
	ck_assert_uint_eq(hk.count[STORE_DEL_DELETED], 1);
	ck_assert_uint_eq(hk.count[STORE_DEL_REPLACED], 1);
	ck_assert_uint_eq(hk.count[STORE_DEL_FLUSHED], 20);
}
END_TEST

/* What the touch hook saw (WATCH's view of the keyspace). */
struct touch_log {
	size_t n;	    /* calls */
	size_t flushes;	    /* calls with key NULL */
	size_t live_at_flush; /* of db 0's key "w", whether it existed at that call */
	char key[SNAP_MAX]; /* the last key */
	size_t klen;
	int db;
};

static void record_touch(void *ctx, int db, const void *key, size_t klen)
{
	struct touch_log *t = ctx;

	t->n++;
	t->db = db;
	if (!key) {
		t->flushes++;
		t->live_at_flush += store_peek_any(s, 0, "w", 1) != NULL;
		return;
	}
	t->klen = klen;
	memcpy(t->key, key, klen < SNAP_MAX ? klen : SNAP_MAX);
}

#define touched(t, k) ((t)->klen == strlen(k) && memcmp((t)->key, k, (t)->klen) == 0)

START_TEST(test_store_touch_hook_sees_every_change_and_no_read)
{
	struct touch_log t = {0};
	struct sentry *e;
	size_t n, max;
	long i;

	store_set_touch_hook(s, record_touch, &t);
	put_str(3, "w", "1", STORE_NO_EXPIRE);
	ck_assert(t.n == 1 && t.db == 3 && touched(&t, "w"));
	put_str(3, "w", "2", STORE_NO_EXPIRE); /* in place */
	ck_assert_uint_eq(t.n, 2);
	put_str(3, "w", "a much longer value than before", STORE_NO_EXPIRE); /* new entry */
	ck_assert_uint_eq(t.n, 3);
	e = store_find(s, 3, "w", 1);
	e = store_set_expire(s, 3, e, T0_MS + 10);
	ck_assert_uint_eq(t.n, 4);
	/* Reads change nothing. */
	store_find(s, 3, "w", 1);
	store_find_write(s, 3, "w", 1);
	store_peek(s, 3, "w", 1);
	store_peek_any(s, 3, "w", 1);
	store_find(s, 3, "missing", 7);
	ck_assert_uint_eq(t.n, 4);
	/* Removals: delete, delete of a missing key (nothing), lazy expiry,
	 * the sweep, eviction, value owners' own changes. */
	store_delete(s, 3, "w", 1, STORE_DEL_DELETED);
	ck_assert(t.n == 5 && touched(&t, "w"));
	store_delete(s, 3, "w", 1, STORE_DEL_DELETED);
	ck_assert_uint_eq(t.n, 5);
	put_str(0, "lazy", "1", T0_MS + 1);
	put_str(0, "sweep", "1", T0_MS + 1);
	n = t.n;
	clock_fake_set(T0_MS + 1, 0);
	store_find(s, 0, "lazy", 4);
	ck_assert(t.n == n + 1 && touched(&t, "lazy"));
	ck_assert_uint_eq(store_expire_cycle(s, T0_MS + 1, 1 << 20), 1);
	ck_assert(t.n == n + 2 && touched(&t, "sweep"));
	for (i = 0; i < 20; i++)
		put_n(s, 2, 'v', i, VAL_LEN, STORE_STRING, FAR_MS);
	finish_rehash(s);
	max = store_used_memory(s);
	store_set_maxmemory(s, max, STORE_VOLATILE_LRU);
	n = t.n;
	ck_assert_ptr_nonnull(put_n(s, 2, 'v', 100, VAL_LEN, STORE_STRING, FAR_MS));
	ck_assert_uint_eq(t.n, n + 2); /* the evicted key and the new one */
	store_set_maxmemory(s, 0, STORE_NOEVICTION);
	store_touch(s, 1, "pool", 4);
	ck_assert(t.db == 1 && touched(&t, "pool"));
	/* A flush: one call for the database, made while its keys exist;
	 * none for an empty database. */
	put_str(0, "w", "1", STORE_NO_EXPIRE);
	n = t.n;
	store_flushdb(s, 0);
	ck_assert_uint_eq(t.flushes, 1);
	ck_assert_uint_eq(t.live_at_flush, 1);
	ck_assert_uint_eq(t.n, n + 1);
	store_flushdb(s, 0);
	ck_assert_uint_eq(t.flushes, 1);
	store_flushall(s);
	ck_assert_uint_eq(t.flushes, 2); /* only database 2 had keys */
	ck_assert_int_eq(t.db, 2);
}
END_TEST

START_TEST(test_store_free_reports_remaining_entries_as_flushed)
{
	put_str(0, "a", "1", STORE_NO_EXPIRE);
	put_str(15, "b", "2", T0_MS + 1);
	store_free(s);
	s = NULL;
	ck_assert_uint_eq(hk.count[STORE_DEL_FLUSHED], 2);
	ck_assert_uint_eq(hk.by_db[15], 1);
}
END_TEST

START_TEST(test_store_new_out_of_memory_returns_null)
{
	dict_fail_alloc_after(0);
	ck_assert_ptr_null(store_new());
}
END_TEST

START_TEST(test_store_put_out_of_memory_leaves_the_store_unchanged)
{
	/* No memory for the entry, then none for the first bucket array. */
	dict_fail_alloc_after(0);
	ck_assert_ptr_null(put_str(0, "k", "v", T0_MS + 5));
	dict_fail_alloc_after(1);
	ck_assert_ptr_null(put_str(0, "k", "v", T0_MS + 5));
	dict_fail_alloc_after(-1);
	ck_assert_uint_eq(store_dbsize(s, 0), 0);
	ck_assert_uint_eq(store_expires(s, 0), 0);
	ck_assert_uint_eq(store_used_memory(s), 0);

	ck_assert_ptr_nonnull(put_str(0, "k", "old", STORE_NO_EXPIRE));
	dict_fail_alloc_after(0);
	ck_assert_ptr_null(put_str(0, "k", "a new value of another size", T0_MS + 5));
	dict_fail_alloc_after(-1);
	ck_assert(value_is(store_find(s, 0, "k", 1), "old"));
	ck_assert_uint_eq(store_expires(s, 0), 0);
	ck_assert_uint_eq(hk.count[STORE_DEL_REPLACED], 0);
}
END_TEST

START_TEST(test_store_failed_grow_still_inserts_and_grows_later)
{
	long i;

	for (i = 0; i < 4; i++)
		put_n(s, 0, 'k', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
	ck_assert(!store_rehash_step(s, 0));
	dict_fail_alloc_after(1);
	ck_assert_ptr_nonnull(put_n(s, 0, 'k', 4, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE));
	dict_fail_alloc_after(-1);
	ck_assert(!store_rehash_step(s, 0));
	ck_assert_ptr_nonnull(put_n(s, 0, 'k', 5, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE));
	ck_assert(store_rehash_step(s, 0));
	for (i = 0; i < 6; i++)
		ck_assert_ptr_nonnull(find_n(0, 'k', i));
	ck_assert_uint_eq(store_dbsize(s, 0), 6);
}
END_TEST

struct scan_count {
	size_t keys;
	size_t ttls;
};

static void scan_count_cb(void *ctx, struct sentry *e)
{
	struct scan_count *c = ctx;

	c->keys++;
	c->ttls += e->has_ttl;
}

START_TEST(test_store_out_of_memory_at_any_allocation_keeps_the_store_consistent)
{
	struct scan_count c;
	struct sentry *e, *m;
	struct store *t;
	long n, i, failures = 0;

	for (n = 0; n < 140; n++) {
		t = store_new();
		ck_assert_ptr_nonnull(t);
		for (i = 0; i < 40; i++)
			put_n(t, 0, 'a', i, VAL_LEN, STORE_STRING, STORE_NO_EXPIRE);
		dict_fail_alloc_after(n);
		for (i = 0; i < 60; i++)
			failures += !put_n(t, 0, 'b', i, VAL_LEN, STORE_STRING,
			                   i % 3 ? STORE_NO_EXPIRE : FAR_MS);
		for (i = 0; i < 20; i++) {
			e = peek_n(t, 0, 'a', i);
			m = store_set_expire(t, 0, e, FAR_MS);
			failures += !m;
			ck_assert_ptr_eq(peek_n(t, 0, 'a', i), m ? m : e);
		}
		for (i = 20; i < 40; i++)
			failures += !put_n(t, 0, 'a', i, 200, STORE_STRING, STORE_NO_EXPIRE);
		dict_fail_alloc_after(-1);

		memset(&c, 0, sizeof c);
		ck_assert_uint_eq(store_scan(t, 0, 0, SIZE_MAX, scan_count_cb, &c), 0);
		ck_assert_uint_eq(c.keys, store_dbsize(t, 0));
		ck_assert_uint_eq(c.ttls, store_expires(t, 0));
		for (i = 0; i < 40; i++)
			ck_assert_ptr_nonnull(peek_n(t, 0, 'a', i));
		store_flushall(t);
		ck_assert_uint_eq(store_used_memory(t), 0);
		store_free(t);
	}
	ck_assert_int_gt(failures, 0);
}
END_TEST

/* A bare entry for the table tests below; free with free(). */
static struct sentry *dict_entry_new(long i)
{
	char key[KEY_LEN + 1];
	size_t klen = key_of(key, 'k', i);
	struct sentry *e = calloc(1, offsetof(struct sentry, data) + klen);

	ck_assert_ptr_nonnull(e);
	e->klen = (uint32_t)klen;
	memcpy(e->data, key, klen);
	return e;
}

static void dict_free_entry_cb(void *ctx, struct sentry *e)
{
	free(e);
}

START_TEST(test_dict_shrinks_by_at_most_64_and_unmaps_drained_buckets_as_it_goes)
{
	const long n = 100000;
	struct sentry **link;
	struct dict d;
	size_t bytes;
	long i;

	dict_seed_init();
	dict_init(&d);
	for (i = 0; i < n; i++) {
		struct sentry *e = dict_entry_new(i);

		dict_step(&d);
		ck_assert_int_eq(dict_insert(&d, dict_hash(sentry_key(e), e->klen), e, true), 0);
	}
	while (dict_rehash(&d, SIZE_MAX, SIZE_MAX) > 0)
		;
	ck_assert_uint_eq(d.size[0], 131072);
	ck_assert_uint_eq(dict_bytes(&d), 131072 * sizeof(void *));
	/* Unlink all but two without shrinking on the way (as a long expiry
	 * slice does); then one shrink may divide the size by 64 only. */
	for (i = 2; i < n; i++) {
		char key[KEY_LEN + 1];
		struct sentry *e;

		link = dict_find(&d, dict_hash(key, key_of(key, 'k', i)), key, KEY_LEN);
		ck_assert_ptr_nonnull(link);
		e = *link;
		dict_unlink(&d, link);
		free(e);
	}
	dict_maybe_shrink(&d);
	ck_assert(dict_is_rehashing(&d));
	ck_assert_uint_eq(d.size[1], 131072 / DICT_SHRINK_STEP);

	/* 64 KiB of drained buckets at a time go back to the kernel. */
	bytes = dict_bytes(&d);
	dict_rehash(&d, SIZE_MAX, 16384);
	ck_assert(dict_is_rehashing(&d));
	ck_assert_uint_eq(dict_bytes(&d), bytes - 16384 * sizeof(void *));
	for (i = 0; i < 2; i++) {
		char key[KEY_LEN + 1];

		ck_assert_ptr_nonnull(
		    dict_find(&d, dict_hash(key, key_of(key, 'k', i)), key, KEY_LEN));
	}
	while (dict_rehash(&d, SIZE_MAX, SIZE_MAX) > 0)
		;
	ck_assert_uint_eq(d.size[0], 131072 / DICT_SHRINK_STEP);
	ck_assert_uint_eq(d.count, 2);
	dict_clear(&d, dict_free_entry_cb, NULL);
	ck_assert_uint_eq(dict_bytes(&d), 0);
}
END_TEST

static void reentrant_hook_cb(void *ctx, int db, struct sentry *e, enum store_reason why)
{
	store_delete(ctx, db, "other", 5, STORE_DEL_DELETED);
}

static void reentrant_scan_cb(void *ctx, struct sentry *e)
{
	store_find(ctx, 0, "other", 5);
}

/* Runs fn in a child and returns how the child ended. */
static int run_in_child(void (*fn)(void))
{
	int status = 0;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* The abort message is expected; keep the test log clean. */
		ck_assert_ptr_nonnull(freopen("/dev/null", "w", stderr));
		fn();
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void delete_with_reentrant_hook(void)
{
	store_set_delete_hook(s, reentrant_hook_cb, s);
	put_str(0, "k", "v", STORE_NO_EXPIRE);
	put_str(0, "other", "v", STORE_NO_EXPIRE);
	store_delete(s, 0, "k", 1, STORE_DEL_DELETED);
}

static void scan_with_reentrant_callback(void)
{
	put_str(0, "other", "v", STORE_NO_EXPIRE);
	store_scan(s, 0, 0, SIZE_MAX, reentrant_scan_cb, s);
}

START_TEST(test_store_aborts_when_a_hook_or_scan_callback_changes_the_store)
{
	int status;

	status = run_in_child(delete_with_reentrant_hook);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGABRT);
	status = run_in_child(scan_with_reentrant_callback);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGABRT);

	/* Here the hook only records: the guard is lifted once it returns. */
	ck_assert_ptr_nonnull(put_str(0, "k", "v", STORE_NO_EXPIRE));
	ck_assert_int_eq(store_delete(s, 0, "k", 1, STORE_DEL_DELETED), 1);
	ck_assert_ptr_nonnull(put_str(0, "k", "v", STORE_NO_EXPIRE));
}
END_TEST

Suite *store_suite(void)
{
	Suite *su = suite_create("store");
	TCase *tc = tcase_create("keys");
	TCase *big = tcase_create("scale");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_store_binary_keys_with_nul_bytes_are_distinct);
	tcase_add_test(tc, test_store_put_replaces_and_hook_sees_the_old_value);
	tcase_add_test(tc, test_store_touch_hook_sees_every_change_and_no_read);
	tcase_add_test(tc, test_store_replace_toggling_ttl_keeps_one_entry_and_counts_expires);
	tcase_add_test(tc, test_store_sixteen_databases_are_independent);
	tcase_add_test(tc, test_store_find_treats_expire_equal_to_now_as_expired);
	tcase_add_test(tc, test_store_dbsize_counts_expired_keys_until_collected);
	tcase_add_test(tc, test_store_find_counts_hits_and_misses_and_updates_lru);
	tcase_add_test(tc, test_store_peek_deletes_expired_keys_without_hit_or_miss_stats);
	tcase_add_test(tc, test_store_delete_of_expired_key_returns_0_and_reports_expired);
	tcase_add_test(tc, test_store_put_copies_key_and_value_that_point_into_the_replaced_entry);
	tcase_add_test(tc, test_store_put_rejects_key_or_value_longer_than_4gb);
	tcase_add_test(tc, test_store_set_expire_out_of_memory_leaves_the_entry_unchanged);
	tcase_add_test(tc, test_store_flush_calls_hook_and_returns_memory_to_baseline);
	tcase_add_test(tc, test_store_scan_reports_every_key_while_the_table_grows);
	tcase_add_test(tc, test_store_scan_reports_every_key_while_the_table_shrinks);
	tcase_add_test(tc, test_store_scan_skips_expired_keys_without_deleting_them);
	tcase_add_test(tc, test_store_scan_of_empty_database_ends_at_once);
	tcase_add_test(tc, test_store_expire_cycle_deletes_only_keys_that_are_due);
	tcase_add_test(tc, test_store_expire_cycle_with_zero_budget_visits_nothing);
	tcase_add_test(tc, test_store_expire_cycle_progresses_while_the_table_rehashes);
	tcase_add_test(tc, test_store_noeviction_rejects_writes_past_maxmemory_and_keeps_old_value);
	tcase_add_test(tc, test_store_volatile_lru_evicts_only_strings_with_ttl);
	tcase_add_test(tc, test_store_volatile_lru_evicts_least_recently_used_keys);
	tcase_add_test(tc, test_store_volatile_lru_fails_when_nothing_is_evictable);
	tcase_add_test(tc, test_store_put_never_evicts_the_entry_it_replaces);
	tcase_add_test(tc, test_store_allkeys_lru_keeps_the_hot_set_and_evicts_keys_without_ttl);
	tcase_add_test(tc, test_store_lru_with_samples_covering_the_table_is_exact);
	tcase_add_test(tc, test_store_allkeys_lfu_keeps_frequently_read_keys_over_newer_cold_ones);
	tcase_add_test(tc, test_store_volatile_ttl_evicts_the_nearest_expiry_first);
	tcase_add_test(tc, test_store_volatile_policies_evict_only_ttl_keys_then_refuse);
	tcase_add_test(tc, test_store_locks_pools_and_pinned_keys_survive_every_policy);
	tcase_add_test(tc, test_store_lfu_counter_starts_at_5_climbs_decays_and_saturates);
	tcase_add_test(tc, test_store_find_notouch_counts_but_keeps_the_access_time);
	tcase_add_test(tc, test_store_volatile_candidates_follow_expire_and_persist);
	tcase_add_test(tc, test_store_hook_gets_the_reason_of_every_removal_path);
	tcase_add_test(tc, test_store_free_reports_remaining_entries_as_flushed);
	tcase_add_test(tc, test_store_new_out_of_memory_returns_null);
	tcase_add_test(tc, test_store_put_out_of_memory_leaves_the_store_unchanged);
	tcase_add_test(tc, test_store_failed_grow_still_inserts_and_grows_later);
	tcase_add_test(tc, test_store_out_of_memory_at_any_allocation_keeps_the_store_consistent);
	tcase_add_test(tc, test_store_aborts_when_a_hook_or_scan_callback_changes_the_store);
	suite_add_tcase(su, tc);

	/* 20k-200k keys: seconds under sanitizers, more under valgrind. */
	tcase_add_checked_fixture(big, setup, teardown);
	tcase_set_timeout(big, 300);
	tcase_add_test(big, test_store_set_expire_toggles_ttl_and_relinks_among_many_keys);
	tcase_add_test(big, test_store_keys_stay_findable_during_and_after_incremental_rehash);
	tcase_add_test(big, test_store_table_shrinks_after_deletes);
	tcase_add_test(big, test_store_expire_cycle_reclaims_100k_keys_in_bounded_slices);
	tcase_add_test(big, test_store_eviction_finds_rare_ttl_keys_by_walking_in_order);
	tcase_add_test(big, test_store_random_eviction_never_fails_while_the_table_rehashes);
	tcase_add_test(big, test_dict_shrinks_by_at_most_64_and_unmaps_drained_buckets_as_it_goes);
	suite_add_tcase(su, big);
	return su;
}
