/* check_zset.c - sorted sets where redis-server has nothing to compare
 * with (its replies are tests/diff/cases/zset.txt's business): the set
 * against a simple model under random operations in both encodings, memory
 * accounting back to its start, 200k-member sets staying correct and
 * fast, RENAME/MOVE/COPY, expiry and eviction freeing sets, WATCH,
 * MULTI and scripts, keyspace events, and a redis-semaphore-style
 * semaphore run by 8 processes through EVALSHA.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"
#include "harness.h"
#include "object.h"
#include "store.h"
#include "zset.h"

#define SLOW(ms)       ((ms) * h_slow()) /* a bound, scaled for sanitizer builds */
#define MODEL_MAX      300		 /* members in the model */
#define MODEL_OPS      20000		 /* random operations per run */
#define BIG_MEMBERS    200000		 /* the big set */
#define BIG_BATCH      1000		 /* members per ZADD */
#define BIG_BOUND_MS   60000		 /* the whole big-set test (times h_slow()) */
#define SEM_CLIENTS    8
#define SEM_LIMIT      3
#define SEM_ROUNDS     15		 /* acquisitions per client */
#define SEM_TTL_MS     60000		 /* a holder's ttl: no live one expires */
#define SEM_BOUND_MS   60000		 /* the whole semaphore run (times h_slow()) */

/* ---- the model: sorted (score, member) pairs ------------------------------ */

struct pair {
	char m[12];
	size_t len;
	double score;
};

struct model {
	struct pair p[MODEL_MAX];
	size_t n;
};

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int pair_cmp(double s1, const char *m1, size_t l1, const struct pair *b)
{
	int c;

	if (s1 != b->score)
		return s1 < b->score ? -1 : 1;
	c = memcmp(m1, b->m, l1 < b->len ? l1 : b->len);
	return c ? c : (l1 > b->len) - (l1 < b->len);
}

static long model_find(const struct model *md, const char *m, size_t len)
{
	for (size_t i = 0; i < md->n; i++)
		if (md->p[i].len == len && memcmp(md->p[i].m, m, len) == 0)
			return (long)i;
	return -1;
}

static void model_del_at(struct model *md, size_t i)
{
	memmove(&md->p[i], &md->p[i + 1], (md->n - i - 1) * sizeof md->p[0]);
	md->n--;
}

static void model_put(struct model *md, double score, const char *m, size_t len)
{
	long at = model_find(md, m, len);
	size_t i = 0;

	if (at >= 0)
		model_del_at(md, (size_t)at);
	while (i < md->n && pair_cmp(score, m, len, &md->p[i]) > 0)
		i++;
	memmove(&md->p[i + 1], &md->p[i], (md->n - i) * sizeof md->p[0]);
	memcpy(md->p[i].m, m, len);
	md->p[i].len = len;
	md->p[i].score = score;
	md->n++;
}

/* Members: 0..11 bytes from a small alphabet (with a NUL), so prefixes and
 * ties are common. */
static size_t random_member(char *m)
{
	size_t len = next_rand() % 12;

	for (size_t i = 0; i < len; i++)
		m[i] = "ab\0z"[next_rand() % 4];
	return len;
}

static double random_score(bool same)
{
	static const double special[] = {0, -0.0, 1, -1, 0.5, INFINITY, -INFINITY, 1e300};

	if (same)
		return 7;
	if (next_rand() % 5 == 0)
		return special[next_rand() % 8];
	return (double)(next_rand() % 20) / 4;
}

static void check_same(const struct zset *z, const struct model *md)
{
	struct zset_iter it;
	const char *m;
	size_t len, i = 0;
	double score;

	ck_assert_uint_eq(zset_len(z), md->n);
	zset_iter_init(&it, z, 0, false);
	for (; zset_iter_next(&it, &m, &len, &score); i++) {
		ck_assert_uint_lt(i, md->n);
		ck_assert_uint_eq(len, md->p[i].len);
		ck_assert(len == 0 || memcmp(m, md->p[i].m, len) == 0);
		ck_assert(score == md->p[i].score || (score == 0 && md->p[i].score == 0));
	}
	ck_assert_uint_eq(i, md->n);
	zset_iter_init(&it, z, md->n ? md->n - 1 : 0, true);
	for (i = md->n; zset_iter_next(&it, &m, &len, &score); i--) {
		ck_assert_uint_gt(i, 0);
		ck_assert_uint_eq(len, md->p[i - 1].len);
	}
	ck_assert_uint_eq(i, 0);
}

/* A score interval against the model: the expected first and last rank. */
static bool model_score_span(const struct model *md, const struct zset_score_range *r,
			     size_t *first, size_t *last)
{
	bool any = false;

	for (size_t i = 0; i < md->n; i++) {
		double s = md->p[i].score;
		bool in = (r->minex ? s > r->min : s >= r->min) && (r->maxex ? s < r->max : s <= r->max);

		if (in && !any)
			*first = i;
		if (in)
			*last = i;
		any |= in;
	}
	return any;
}

static bool model_lex_span(const struct model *md, const struct zset_lex_range *r, size_t *first,
			   size_t *last)
{
	bool any = false;

	for (size_t i = 0; i < md->n; i++) {
		const struct pair *p = &md->p[i];
		int cmin = pair_cmp(7, r->min, r->minlen, p), cmax = pair_cmp(7, r->max, r->maxlen, p);
		bool in = (r->minex ? cmin < 0 : cmin <= 0) && (r->maxex ? cmax > 0 : cmax >= 0);

		if (in && !any)
			*first = i;
		if (in)
			*last = i;
		any |= in;
	}
	return any;
}

static void check_spans(const struct zset *z, const struct model *md, bool same)
{
	size_t f1 = 0, l1 = 0, f2 = 0, l2 = 0;
	bool a, b;

	if (same) {
		char lo[12], hi[12];
		struct zset_lex_range r = {.min = lo, .max = hi, .minex = next_rand() % 2,
					   .maxex = next_rand() % 2};

		r.minlen = random_member(lo);
		r.maxlen = random_member(hi);
		a = zset_lex_span(z, &r, next_rand() % 2, &f1, &l1);
		b = model_lex_span(md, &r, &f2, &l2);
	} else {
		struct zset_score_range r = {random_score(false), random_score(false),
					     next_rand() % 2, next_rand() % 2};

		a = zset_score_span(z, &r, &f1, &l1);
		b = model_score_span(md, &r, &f2, &l2);
	}
	ck_assert_int_eq(a, b);
	if (a) {
		ck_assert_uint_eq(f1, f2);
		ck_assert_uint_eq(l1, l2);
	}
}

/* One random operation on both. */
static void random_op(struct zset *z, struct model *md, bool same)
{
	char m[12];
	size_t len = random_member(m);
	double score = random_score(same), got, newscore;
	long at = model_find(md, m, len);
	unsigned out;

	switch (next_rand() % 8) {
	case 0:
	case 1:
	case 2:
		if (at < 0 && md->n == MODEL_MAX)
			break;
		ck_assert_int_eq(zset_add(z, score, m, len, 0, &out, &newscore), 0);
		ck_assert_uint_eq(out, at < 0 ? ZADD_OUT_ADDED
				  : md->p[at].score != score ? ZADD_OUT_UPDATED : 0);
		model_put(md, score, m, len);
		break;
	case 3:
		ck_assert_int_eq(zset_del(z, m, len), at >= 0);
		if (at >= 0)
			model_del_at(md, (size_t)at);
		break;
	case 4:
		ck_assert_int_eq(zset_score(z, m, len, &got), at >= 0);
		if (at >= 0)
			ck_assert(got == md->p[at].score);
		ck_assert_int_eq(zset_rank(z, m, len, false, NULL), at);
		if (at >= 0)
			ck_assert_int_eq(zset_rank(z, m, len, true, NULL), (long)md->n - 1 - at);
		break;
	case 5:
		if (md->n > 0 && next_rand() % 4 == 0) {
			size_t first = next_rand() % md->n, last = first + next_rand() % 3;

			if (last >= md->n)
				last = md->n - 1;
			zset_del_range(z, first, last);
			for (size_t i = first; i <= last; i++)
				model_del_at(md, first);
		}
		break;
	default:
		check_spans(z, md, same);
		break;
	}
}

static void model_run(size_t entries, size_t value, bool same)
{
	struct store *st = store_new();
	size_t base;
	struct model md = {.n = 0};
	struct zset *z;

	ck_assert_ptr_nonnull(st);
	object_set_store(st);
	base = store_used_memory(st);
	zset_set_limits(entries, value);
	z = zset_new(0, 0);
	ck_assert_ptr_nonnull(z);
	for (int i = 0; i < MODEL_OPS; i++) {
		random_op(z, &md, same);
		if (i % 97 == 0)
			check_same(z, &md);
		ck_assert_uint_eq(store_used_memory(st), base + zset_bytes(z));
	}
	check_same(z, &md);
	zset_type.free(z);
	ck_assert_uint_eq(store_used_memory(st), base);
	zset_set_limits(ZSET_LISTPACK_ENTRIES, ZSET_LISTPACK_VALUE);
	object_set_store(NULL);
	store_free(st);
}

START_TEST(test_zset_matches_a_model_in_both_encodings)
{
	model_run(ZSET_LISTPACK_ENTRIES, ZSET_LISTPACK_VALUE, false); /* mostly listpack */
	model_run(4, 6, false);					      /* converts early */
	model_run(0, 0, false);					      /* skiplist only */
	model_run(ZSET_LISTPACK_ENTRIES, ZSET_LISTPACK_VALUE, true);  /* lex, listpack */
	model_run(0, 0, true);					      /* lex, skiplist */
}
END_TEST

START_TEST(test_dup_is_deep_and_keeps_the_encoding)
{
	struct zset *a = zset_new(0, 0), *b;
	unsigned out;
	double ns;
	char m[16];

	for (int i = 0; i < 300; i++) {
		int n = snprintf(m, sizeof m, "m%d", i);

		ck_assert_int_eq(zset_add(a, i, m, (size_t)n, 0, &out, &ns), 0);
		if (i == 10) {
			b = zset_type.dup(a);
			ck_assert(zset_is_listpack(b));
			ck_assert_uint_eq(zset_len(b), 11);
			zset_type.free(b);
		}
	}
	ck_assert(!zset_is_listpack(a));
	b = zset_type.dup(a);
	ck_assert(!zset_is_listpack(b));
	ck_assert(zset_del(a, "m5", 2));
	ck_assert_uint_eq(zset_len(b), 300);
	ck_assert_int_eq(zset_rank(b, "m299", 4, false, NULL), 299);
	zset_type.free(a);
	zset_type.free(b);
}
END_TEST

/* ---- the daemon ------------------------------------------------------------ */

/* ZADD key with members prefix0..prefix(n-1) scored by their number, in
 * one command. */
static void zadd_range(struct h_client *c, const char *key, const char *prefix, long from,
		       long n, long long expect)
{
	struct resp_arg *argv = calloc((size_t)(2 + 2 * n), sizeof *argv);
	char *buf = malloc((size_t)n * 64), *p = buf;

	ck_assert(argv && buf);
	argv[0] = (struct resp_arg){"ZADD", 4};
	argv[1] = (struct resp_arg){key, strlen(key)};
	for (long i = 0; i < n; i++) {
		int a = sprintf(p, "%ld", from + i);

		argv[2 + 2 * i] = (struct resp_arg){p, (size_t)a};
		p += a + 1;
		a = sprintf(p, "%s%08ld", prefix, from + i);
		argv[3 + 2 * i] = (struct resp_arg){p, (size_t)a};
		p += a + 1;
	}
	h_cmdv(c, (int)(2 + 2 * n), argv);
	h_expect_int(c, expect);
	free(argv);
	free(buf);
}

static void expect_encoding(struct h_client *c, const char *key, const char *enc)
{
	h_call_bulk(c, enc, "OBJECT", "ENCODING", key);
}

START_TEST(test_used_memory_returns_to_its_start)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	long long base0 = h_info_ll(c, NULL, "used_memory"), base;

	h_ok(c, "SET", "anchor", "x");
	base = h_info_ll(c, NULL, "used_memory");
	/* A listpack set, grown and emptied by ZREM. */
	zadd_range(c, "z", "m", 0, 50, 50);
	ck_assert_int_gt(h_info_ll(c, NULL, "used_memory"), base + 50 * 10);
	for (int i = 0; i < 50; i++) {
		char m[16];

		snprintf(m, sizeof m, "m%08d", i);
		h_call_int(c, 1, "ZREM", "z", m);
	}
	h_call_int(c, 0, "EXISTS", "z");
	ck_assert_int_eq(h_info_ll(c, NULL, "used_memory"), base);
	/* Converted to a skiplist, then DEL. */
	zadd_range(c, "z", "m", 0, 1000, 1000);
	expect_encoding(c, "z", "skiplist");
	h_call_int(c, 500, "ZREMRANGEBYRANK", "z", "0", "499");
	h_call_int(c, 1, "DEL", "z");
	ck_assert_int_eq(h_info_ll(c, NULL, "used_memory"), base);
	/* Pops, ZRANGESTORE, COPY, then FLUSHALL. */
	zadd_range(c, "z", "m", 0, 300, 300);
	h_call_int(c, 10, "ZRANGESTORE", "small", "z", "0", "9");
	h_call_int(c, 1, "COPY", "z", "copy");
	h_call_int(c, 1, "COPY", "small", "copy2");
	h_cmd(c, "ZPOPMIN", "z", "100");
	resp_reply_free(h_reply(c));
	h_ok(c, "FLUSHALL");
	ck_assert_int_eq(h_info_ll(c, NULL, "used_memory"), base0);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ZRANGE key a b WITHSCORES must be exactly prefix(a..b) with scores a..b. */
static void expect_slice(struct h_client *c, const char *key, long a, long b)
{
	char sa[24], sb[24], want[32];
	struct resp_reply *r;

	snprintf(sa, sizeof sa, "%ld", a);
	snprintf(sb, sizeof sb, "%ld", b);
	r = h_call(c, "ZRANGE", key, sa, sb, "WITHSCORES");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, (size_t)(2 * (b - a + 1)));
	for (long i = a; i <= b; i++) {
		snprintf(want, sizeof want, "m%08ld", i);
		ck_assert_str_eq(r->element[2 * (i - a)]->str, want);
		snprintf(want, sizeof want, "%ld", i);
		ck_assert_str_eq(r->element[2 * (i - a) + 1]->str, want);
	}
	resp_reply_free(r);
}

START_TEST(test_200k_members_stay_correct_and_fast)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	int64_t t0 = h_now_ms();
	long long base;
	unsigned char *seen = calloc(BIG_MEMBERS, 1);
	struct resp_reply *r;
	char cursor[32] = "0";
	long distinct = 0;

	ck_assert_ptr_nonnull(seen);
	h_ok(c, "SET", "anchor", "x"); /* keeps db 0's table: DEL frees the set alone */
	base = h_info_ll(c, NULL, "used_memory");
	for (long i = 0; i < BIG_MEMBERS; i += BIG_BATCH)
		zadd_range(c, "big", "m", i, BIG_BATCH, BIG_BATCH);
	h_call_int(c, BIG_MEMBERS, "ZCARD", "big");
	expect_encoding(c, "big", "skiplist");
	h_call_int(c, 123456, "ZRANK", "big", "m00123456");
	h_call_int(c, BIG_MEMBERS - 1 - 123456, "ZREVRANK", "big", "m00123456");
	h_call_bulk(c, "199999", "ZSCORE", "big", "m00199999");
	h_call_int(c, 1001, "ZCOUNT", "big", "1000", "2000");
	h_call_int(c, 1000, "ZLEXCOUNT", "big", "[m00001000", "(m00002000");
	expect_slice(c, "big", 0, 2);
	expect_slice(c, "big", 150000, 150004);
	expect_slice(c, "big", BIG_MEMBERS - 3, BIG_MEMBERS - 1);
	r = h_call(c, "ZRANGEBYSCORE", "big", "(100000", "+inf", "LIMIT", "5", "2");
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_str_eq(r->element[0]->str, "m00100006");
	ck_assert_str_eq(r->element[1]->str, "m00100007");
	resp_reply_free(r);
	/* Every member at least once through ZSCAN. */
	do {
		r = h_call(c, "ZSCAN", "big", cursor, "COUNT", "1000");
		ck_assert_uint_eq(r->elements, 2);
		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		for (size_t i = 0; i < r->element[1]->elements; i += 2) {
			long n = strtol(r->element[1]->element[i]->str + 1, NULL, 10);

			ck_assert_int_eq(n, strtol(r->element[1]->element[i + 1]->str, NULL, 10));
			distinct += !seen[n];
			seen[n] = 1;
		}
		resp_reply_free(r);
	} while (strcmp(cursor, "0") != 0);
	ck_assert_int_eq(distinct, BIG_MEMBERS);
	/* Big removals. */
	h_call_int(c, 100000, "ZREMRANGEBYRANK", "big", "0", "99999");
	h_call_int(c, 50000, "ZREMRANGEBYSCORE", "big", "150000", "+inf");
	h_call_int(c, 50000, "ZCARD", "big");
	h_call_int(c, 0, "ZRANK", "big", "m00100000");
	h_call_int(c, 49999, "ZREVRANK", "big", "m00100000");
	h_call_int(c, 1, "DEL", "big");
	ck_assert_int_eq(h_info_ll(c, NULL, "used_memory"), base);
	ck_assert_msg(h_now_ms() - t0 < SLOW(BIG_BOUND_MS), "200k members took %lld ms",
		      (long long)(h_now_ms() - t0));
	free(seen);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_encoding_converts_at_the_limits_both_ways)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	char m65[66];

	zadd_range(c, "z", "m", 0, ZSET_LISTPACK_ENTRIES, ZSET_LISTPACK_ENTRIES);
	expect_encoding(c, "z", "listpack");
	zadd_range(c, "z", "m", ZSET_LISTPACK_ENTRIES, 1, 1);
	expect_encoding(c, "z", "skiplist");
	/* Shrinking keeps the skiplist; a new set of the same members is small. */
	h_call_int(c, 1, "ZREM", "z", "m00000000");
	expect_encoding(c, "z", "skiplist");
	h_call_int(c, ZSET_LISTPACK_ENTRIES, "ZRANGESTORE", "back", "z", "0", "-1");
	expect_encoding(c, "back", "listpack");
	h_call_int(c, 42, "ZRANK", "back", "m00000043");
	/* One member over 64 bytes converts at once, whatever the count. */
	memset(m65, 'x', 65);
	m65[65] = '\0';
	h_call_int(c, 1, "ZADD", "long", "1", m65);
	expect_encoding(c, "long", "skiplist");
	m65[64] = '\0';
	h_call_int(c, 1, "ZADD", "edge", "1", m65);
	expect_encoding(c, "edge", "listpack");
	h_call_int(c, 1, "ZADD", "edge", "2", "y");
	h_call_int(c, 1, "ZRANK", "edge", "y");
	expect_encoding(c, "edge", "listpack");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_rename_move_copy_keep_the_set)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	long long base = h_info_ll(c, NULL, "used_memory");

	zadd_range(c, "a", "m", 0, 200, 200);
	h_ok(c, "RENAME", "a", "b");
	h_call_int(c, 0, "EXISTS", "a");
	h_call_int(c, 200, "ZCARD", "b");
	expect_encoding(c, "b", "skiplist");
	h_call_int(c, 1, "MOVE", "b", "3");
	h_call_int(c, 0, "EXISTS", "b");
	h_ok(c, "SELECT", "3");
	h_call_int(c, 42, "ZRANK", "b", "m00000042");
	h_call_int(c, 1, "COPY", "b", "c", "DB", "0");
	h_call_int(c, 1, "COPY", "b", "d");
	/* The copy is independent. */
	h_call_int(c, 1, "ZREM", "d", "m00000000");
	h_call_int(c, 200, "ZCARD", "b");
	h_call_int(c, 199, "ZCARD", "d");
	h_call_status(c, "zset", "TYPE", "d");
	h_ok(c, "SELECT", "0");
	h_call_int(c, 200, "ZCARD", "c");
	expect_encoding(c, "c", "skiplist");
	/* RENAME onto an existing set replaces (and frees) it. */
	zadd_range(c, "e", "x", 0, 5, 5);
	h_ok(c, "RENAME", "e", "c");
	h_call_int(c, 5, "ZCARD", "c");
	expect_encoding(c, "c", "listpack");
	h_ok(c, "FLUSHALL");
	ck_assert_int_eq(h_info_ll(c, NULL, "used_memory"), base);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_expired_and_evicted_sets_are_freed)
{
	struct h_daemon *d = h_daemon_start("--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru",
					    NULL);
	struct h_client *c = h_connect(d);
	long long base0 = h_info_ll(c, NULL, "used_memory"), base;
	char key[32];
	int i;

	h_ok(c, "SET", "anchor", "x");
	base = h_info_ll(c, NULL, "used_memory");
	zadd_range(c, "short", "m", 0, 300, 300);
	zadd_range(c, "shortlp", "m", 0, 3, 3);
	h_call_int(c, 1, "PEXPIRE", "short", "20");
	h_call_int(c, 1, "PEXPIRE", "shortlp", "20");
	h_sleep_ms(100);
	h_call_int(c, 0, "EXISTS", "short", "shortlp");
	ck_assert_int_eq(h_info_ll(c, NULL, "used_memory"), base);
	/* Far more than 2 MB of sets: older ones are evicted. */
	for (i = 0; i < 400; i++) {
		snprintf(key, sizeof key, "z%d", i);
		zadd_range(c, key, "member-", 0, 200, 200);
	}
	ck_assert_int_gt(h_info_ll(c, NULL, "evicted_keys"), 0);
	ck_assert_int_le(h_info_ll(c, NULL, "used_memory"), 2 * 1024 * 1024);
	h_call_int(c, 200, "ZCARD", "z399");
	h_ok(c, "FLUSHALL");
	ck_assert_int_eq(h_info_ll(c, NULL, "used_memory"), base0);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_watch_sees_changes_but_not_noops)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d), *o = h_connect(d);
	struct resp_reply *r;
	static const char *const noops[][6] = {
		{"ZADD", "z", "NX", "5", "a", NULL}, {"ZADD", "z", "1", "a", NULL},
		{"ZREM", "z", "nope", NULL},	     {"ZREMRANGEBYSCORE", "z", "100", "200", NULL},
		{"ZINCRBY", "z", "0", "a", NULL},   {"ZRANGESTORE", "x", "z", "5", "9", NULL},
	};
	static const char *const writes[][6] = {
		{"ZADD", "z", "2", "a", NULL},	  {"ZINCRBY", "z", "1", "a", NULL},
		{"ZREM", "z", "b", NULL},	  {"ZPOPMIN", "z", NULL},
		{"ZREMRANGEBYRANK", "z", "0", "0", NULL},
	};

	for (size_t i = 0; i < sizeof noops / sizeof noops[0]; i++) {
		h_cmd(c, "DEL", "z");
		resp_reply_free(h_reply(c));
		h_call_int(c, 2, "ZADD", "z", "1", "a", "2", "b");
		h_ok(c, "WATCH", "z");
		h_cmd(o, noops[i][0], noops[i][1], noops[i][2], noops[i][3], noops[i][4]);
		resp_reply_free(h_reply(o));
		h_ok(c, "MULTI");
		h_call_status(c, "QUEUED", "ZCARD", "z");
		r = h_call(c, "EXEC");
		ck_assert_msg(r->type == RESP_ARRAY && r->elements == 1, "noop %s invalidated WATCH",
			      noops[i][0]);
		resp_reply_free(r);
	}
	for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
		h_cmd(c, "DEL", "z");
		resp_reply_free(h_reply(c));
		h_call_int(c, 2, "ZADD", "z", "1", "a", "2", "b");
		h_ok(c, "WATCH", "z");
		h_cmd(o, writes[i][0], writes[i][1], writes[i][2], writes[i][3], writes[i][4]);
		resp_reply_free(h_reply(o));
		h_ok(c, "MULTI");
		h_call_status(c, "QUEUED", "ZCARD", "z");
		r = h_call(c, "EXEC");
		ck_assert_msg(r->type == RESP_NIL, "%s did not invalidate WATCH", writes[i][0]);
		resp_reply_free(r);
	}
	h_close(o);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_multi_and_scripts_drive_sorted_sets)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	struct resp_reply *r;

	h_ok(c, "MULTI");
	h_call_status(c, "QUEUED", "ZADD", "z", "1", "a", "2", "b", "3", "c");
	h_call_status(c, "QUEUED", "ZINCRBY", "z", "10", "a");
	h_call_status(c, "QUEUED", "ZPOPMAX", "z");
	r = h_call(c, "EXEC");
	ck_assert_uint_eq(r->elements, 3);
	ck_assert_int_eq(r->element[0]->integer, 3);
	ck_assert_str_eq(r->element[1]->str, "11");
	ck_assert_str_eq(r->element[2]->element[0]->str, "a");
	ck_assert_str_eq(r->element[2]->element[1]->str, "11");
	resp_reply_free(r);
	r = h_call(c, "EVAL",
		   "redis.call('ZADD', KEYS[1], 0.5, 'x') "
		   "local t = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES') "
		   "return {#t, t[1], t[2], redis.call('ZSCORE', KEYS[1], 'nope')}",
		   "1", "z");
	ck_assert_uint_eq(r->elements, 4);
	ck_assert_int_eq(r->element[0]->integer, 6);
	ck_assert_str_eq(r->element[1]->str, "x");
	ck_assert_str_eq(r->element[2]->str, "0.5");
	ck_assert_int_eq(r->element[3]->type, RESP_NIL); /* ZSCORE's nil is Lua's false */
	resp_reply_free(r);
	h_call_error(c, "ERR value is not a valid float", "EVAL",
		     "return redis.call('ZADD', KEYS[1], 'x', 'y')", "1", "z");
	h_call_error(c, "WRONGTYPE", "EVAL",
		     "redis.call('SET', 's', 'v') return redis.call('ZCARD', 's')", "0");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_emptying_writes_send_their_event_then_del)
{
	struct h_daemon *d = h_daemon_start("--notify-keyspace-events", "Ezg", NULL);
	struct h_client *c = h_connect(d), *s = h_connect(d);
	static const char *const order[] = {"zadd", "zpopmin", "del"};
	struct resp_reply *r;

	h_cmd(s, "PSUBSCRIBE", "__keyevent@0__:*");
	resp_reply_free(h_reply(s));
	h_call_int(c, 1, "ZADD", "z", "1", "a");
	h_cmd(c, "ZPOPMIN", "z");
	resp_reply_free(h_reply(c));
	for (size_t i = 0; i < 3; i++) {
		r = h_reply(s);
		ck_assert_uint_eq(r->elements, 4);
		ck_assert_str_eq(r->element[3]->str, "z");
		ck_assert_msg(strstr(r->element[2]->str, order[i]) != NULL, "event %zu: %s", i,
			      r->element[2]->str);
		resp_reply_free(r);
	}
	ck_assert(h_is_quiet(s, 100));
	h_close(s);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- a semaphore in the style of redis-semaphore ---------------------------- */

static const char sem_acquire[] =
	"local key, limit, id, ttl, now = KEYS[1], tonumber(ARGV[1]), ARGV[2], "
	"tonumber(ARGV[3]), tonumber(ARGV[4]) "
	"redis.call('zremrangebyscore', key, '-inf', now - ttl) "
	"if redis.call('zcard', key) < limit then "
	"  redis.call('zadd', key, now, id) "
	"  redis.call('pexpire', key, ttl) "
	"  return 1 "
	"end "
	"return 0";

/* holders += 1, and maxseen = max(maxseen, holders). */
static const char sem_enter[] =
	"local v = redis.call('incr', KEYS[1]) "
	"if v > tonumber(redis.call('get', KEYS[2]) or '0') then redis.call('set', KEYS[2], v) end "
	"return v";

/* One client: SEM_ROUNDS acquisitions, each held a moment. Runs in a child. */
static int sem_client(const struct h_daemon *d, int id, const char *acq, const char *enter)
{
	struct h_client *c = h_connect(d);
	char me[32], now[32], limit[8], ttl[16];
	int got = 0;

	snprintf(me, sizeof me, "client-%d", id);
	snprintf(limit, sizeof limit, "%d", SEM_LIMIT);
	snprintf(ttl, sizeof ttl, "%d", SEM_TTL_MS);
	while (got < SEM_ROUNDS) {
		snprintf(now, sizeof now, "%lld", (long long)h_now_ms());
		if (h_call_ll(c, "EVALSHA", acq, "1", "sem", limit, me, ttl, now) != 1) {
			h_sleep_ms(1);
			continue;
		}
		if (h_call_ll(c, "EVALSHA", enter, "2", "holders", "maxseen") > SEM_LIMIT)
			return 2;
		h_sleep_ms(1 + id % 3);
		if (h_call_ll(c, "DECR", "holders") < 0)
			return 3;
		h_call_int(c, 1, "ZREM", "sem", me);
		got++;
	}
	h_close(c);
	return 0;
}

static char *load_script(struct h_client *c, const char *body)
{
	struct resp_reply *r = h_call(c, "SCRIPT", "LOAD", body);
	char *sha;

	ck_assert_int_eq(r->type, RESP_BULK);
	sha = strdup(r->str);
	resp_reply_free(r);
	return sha;
}

START_TEST(test_semaphore_of_8_clients_never_exceeds_3)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	char *acq = load_script(c, sem_acquire), *enter = load_script(c, sem_enter);
	pid_t pids[SEM_CLIENTS];
	struct resp_reply *r;
	char stale[32];
	int64_t t0 = h_now_ms();

	/* A holder that died long ago: the first acquire clears it. */
	snprintf(stale, sizeof stale, "%lld", (long long)(h_now_ms() - 2 * SEM_TTL_MS));
	h_call_int(c, 1, "ZADD", "sem", stale, "ghost");
	for (int i = 0; i < SEM_CLIENTS; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0)
			_exit(sem_client(d, i, acq, enter));
	}
	for (int i = 0; i < SEM_CLIENTS; i++) {
		int status;

		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "client %d: status 0x%x (2: more than %d holders)", i, status,
			      SEM_LIMIT);
	}
	ck_assert_msg(h_now_ms() - t0 < SLOW(SEM_BOUND_MS), "the semaphore run took %lld ms",
		      (long long)(h_now_ms() - t0));
	h_call_bulk(c, "0", "GET", "holders");
	r = h_call(c, "GET", "maxseen");
	ck_assert_int_eq(r->type, RESP_BULK);
	ck_assert_int_ge(strtol(r->str, NULL, 10), 1);
	ck_assert_int_le(strtol(r->str, NULL, 10), SEM_LIMIT);
	resp_reply_free(r);
	h_call_int(c, 0, "EXISTS", "sem");
	free(acq);
	free(enter);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

Suite *zset_suite(void)
{
	Suite *s = suite_create("zset");
	TCase *unit = tcase_create("model");
	TCase *daemon = tcase_create("daemon");

	tcase_set_timeout(unit, 60);
	tcase_add_test(unit, test_zset_matches_a_model_in_both_encodings);
	tcase_add_test(unit, test_dup_is_deep_and_keeps_the_encoding);
	tcase_set_timeout(daemon, 120);
	tcase_add_test(daemon, test_used_memory_returns_to_its_start);
	tcase_add_test(daemon, test_200k_members_stay_correct_and_fast);
	tcase_add_test(daemon, test_encoding_converts_at_the_limits_both_ways);
	tcase_add_test(daemon, test_rename_move_copy_keep_the_set);
	tcase_add_test(daemon, test_expired_and_evicted_sets_are_freed);
	tcase_add_test(daemon, test_watch_sees_changes_but_not_noops);
	tcase_add_test(daemon, test_multi_and_scripts_drive_sorted_sets);
	tcase_add_test(daemon, test_emptying_writes_send_their_event_then_del);
	tcase_add_test(daemon, test_semaphore_of_8_clients_never_exceeds_3);
	suite_add_tcase(s, unit);
	suite_add_tcase(s, daemon);
	return s;
}
