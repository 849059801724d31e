/* check_list.c - lists, where redis-server cannot be the reference: the
 * object against a model under random operations, Redis 7.2's encoding
 * thresholds both ways, memory accounting back to its start, 100k-element
 * lists, RENAME/MOVE/COPY/expiry/eviction and WATCH. The blocking pops are
 * tests/check_block.c's; byte-for-byte replies tests/diff/cases/list.txt's.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_suites.h"
#include "harness.h"
#include "list.h"

#define SLOW(ms)     ((ms)*h_slow()) /* a bound, scaled for sanitizer builds */
#define BIG_N        100000
#define MODEL_MAX    3000

static struct h_daemon *start(void)
{
	return h_daemon_start("--loglevel", "warning", NULL);
}

/* ---- the object against a model ------------------------------------------ */

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct model {
	char *s[MODEL_MAX];
	size_t len[MODEL_MAX];
	size_t n;
};

/* An element: mostly short, some integers, some past a node's size. */
static char *rand_elem(size_t *len)
{
	static const size_t lens[] = {0, 1, 5, 12, 63, 64, 200, 4095, 9000};
	size_t r = next_rand() % 20, n;
	char *p;

	if (r < 4) {
		p = malloc(24);
		*len = (size_t)snprintf(p, 24, "%lld", (long long)(next_rand() % 100000) - 50000);
		return p;
	}
	n = r < 18 ? 1 + next_rand() % 16 : lens[next_rand() % (sizeof lens / sizeof lens[0])];
	p = malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		p[i] = (char)('a' + next_rand() % 26);
	*len = n;
	return p;
}

static void model_insert(struct model *m, size_t at, char *s, size_t len)
{
	memmove(&m->s[at + 1], &m->s[at], (m->n - at) * sizeof m->s[0]);
	memmove(&m->len[at + 1], &m->len[at], (m->n - at) * sizeof m->len[0]);
	m->s[at] = s;
	m->len[at] = len;
	m->n++;
}

static void model_delete(struct model *m, size_t at, size_t k)
{
	for (size_t i = at; i < at + k; i++)
		free(m->s[i]);
	memmove(&m->s[at], &m->s[at + k], (m->n - at - k) * sizeof m->s[0]);
	memmove(&m->len[at], &m->len[at + k], (m->n - at - k) * sizeof m->len[0]);
	m->n -= k;
}

static void model_check(struct list *l, const struct model *m)
{
	struct list_it it;
	size_t i = 0, len;
	const char *p;

	ck_assert_uint_eq(list_len(l), m->n);
	if (m->n == 0)
		return;
	/* Forwards from the head, backwards from the tail, and a seek. */
	list_seek(l, 0, &it);
	do {
		p = list_it_get(&it, &len);
		ck_assert_uint_lt(i, m->n);
		ck_assert_uint_eq(len, m->len[i]);
		ck_assert(memcmp(p, m->s[i], len) == 0);
		i++;
	} while (list_it_next(&it));
	ck_assert_uint_eq(i, m->n);
	list_seek(l, m->n - 1, &it);
	do {
		i--;
		p = list_it_get(&it, &len);
		ck_assert_uint_eq(len, m->len[i]);
	} while (list_it_prev(&it));
	ck_assert_uint_eq(i, 0);
	i = next_rand() % m->n;
	list_seek(l, i, &it);
	p = list_it_get(&it, &len);
	ck_assert_uint_eq(len, m->len[i]);
	ck_assert(memcmp(p, m->s[i], len) == 0);
	if (list_is_packed(l))
		ck_assert_uint_le(list_nodes(l), 1);
}

static void model_step(struct list *l, struct model *m)
{
	unsigned op = (unsigned)(next_rand() % 10);
	size_t len, at;
	char *s;
	struct list_it it;

	if (m->n == 0 || (op < 4 && m->n < MODEL_MAX - 1)) {
		bool head = next_rand() & 1;

		s = rand_elem(&len);
		list_will_grow(l, len, 1);
		ck_assert_int_eq(list_push(l, head, s, len), 0);
		model_insert(m, head ? 0 : m->n, s, len);
		return;
	}
	at = next_rand() % m->n;
	switch (op) {
	case 4: /* a range, as LTRIM and counted pops remove them */
	case 5: {
		size_t k = 1 + next_rand() % (m->n - at < 50 ? m->n - at : 50);

		list_delete_range(l, at, k);
		model_delete(m, at, k);
		break;
	}
	case 6: /* LREM's delete through a position */
		list_seek(l, at, &it);
		list_it_delete(&it);
		model_delete(m, at, 1);
		break;
	case 7: /* LSET */
		s = rand_elem(&len);
		list_will_grow(l, len, 1);
		list_seek(l, at, &it);
		ck_assert_int_eq(list_it_replace(&it, s, len), 0);
		free(m->s[at]);
		m->s[at] = s;
		m->len[at] = len;
		break;
	default: /* LINSERT before or after */
		if (m->n >= MODEL_MAX - 1)
			return;
		s = rand_elem(&len);
		list_will_grow(l, len, 1);
		list_seek(l, at, &it);
		if (next_rand() & 1) {
			ck_assert_int_eq(list_it_insert(&it, s, len, true), 0);
			model_insert(m, at + 1, s, len);
		} else {
			ck_assert_int_eq(list_it_insert(&it, s, len, false), 0);
			model_insert(m, at, s, len);
		}
		break;
	}
	list_shrunk(l);
}

START_TEST(test_list_object_matches_a_model_under_random_operations)
{
	static const int fills[] = {-2, -1, -5, 1, 4, 128};
	int fill = fills[_i];
	struct model m = {.n = 0};
	struct list *l;

	list_set_fill(fill);
	ck_assert_ptr_nonnull(l = list_new());
	for (int step = 0; step < 6000; step++) {
		model_step(l, &m);
		if (step % 25 == 0)
			model_check(l, &m);
	}
	model_check(l, &m);
	list_free(l);
	model_delete(&m, 0, m.n);
	list_set_fill(LIST_MAX_LISTPACK_SIZE);
}
END_TEST

/* Pushes n copies of s at the tail. */
static void push_n(struct list *l, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		list_will_grow(l, strlen(s), 1);
		ck_assert_int_eq(list_push(l, false, s, strlen(s)), 0);
	}
}

static void pop_to(struct list *l, size_t n)
{
	while (list_len(l) > n) {
		list_delete_range(l, list_len(l) - 1, 1);
		list_shrunk(l);
	}
}

/* With entries per node (a positive list-max-listpack-size): a listpack up
 * to that many, a quicklist past it, and back at half of it. */
START_TEST(test_positive_fill_converts_at_the_count_and_back_at_half)
{
	struct list *l;

	list_set_fill(128);
	ck_assert_ptr_nonnull(l = list_new());
	push_n(l, "e", 128);
	ck_assert(list_is_packed(l));
	push_n(l, "e", 1);
	ck_assert(!list_is_packed(l));
	ck_assert_uint_eq(list_nodes(l), 2);
	pop_to(l, 65);
	ck_assert(!list_is_packed(l));
	pop_to(l, 64);
	ck_assert(list_is_packed(l));
	ck_assert_uint_eq(list_nodes(l), 1);
	list_free(l);
	list_set_fill(LIST_MAX_LISTPACK_SIZE);
}
END_TEST

START_TEST(test_redis_listpack_entry_sizes)
{
	ck_assert_uint_eq(list_entry_rsize("", 0), 2);
	ck_assert_uint_eq(list_entry_rsize("0", 1), 2); /* 7-bit uint */
	ck_assert_uint_eq(list_entry_rsize("127", 3), 2);
	ck_assert_uint_eq(list_entry_rsize("128", 3), 3); /* 13-bit int */
	ck_assert_uint_eq(list_entry_rsize("-4096", 5), 3);
	ck_assert_uint_eq(list_entry_rsize("-4097", 5), 4);        /* 16-bit */
	ck_assert_uint_eq(list_entry_rsize("8388607", 7), 5);      /* 24-bit */
	ck_assert_uint_eq(list_entry_rsize("2147483648", 10), 10); /* 64-bit */
	ck_assert_uint_eq(list_entry_rsize("007", 3), 5);          /* not canonical: a string */
	ck_assert_uint_eq(list_entry_rsize("-0", 2), 4);
	ck_assert_uint_eq(list_entry_rsize("abc", 3), 5);
	ck_assert_uint_eq(
	    list_entry_rsize("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	                     64),
	    64 + 2 + 1);
}
END_TEST

/* ---- daemon helpers --------------------------------------------------------- */

/* RPUSH key with n elements "<prefix><i>", in commands of 1000. */
static void rpush_many(struct h_client *c, const char *key, const char *prefix, int n)
{
	char bufs[1000][32];
	struct resp_arg argv[1002];

	for (int done = 0; done < n;) {
		int k = n - done < 1000 ? n - done : 1000;

		argv[0] = (struct resp_arg){"RPUSH", 5};
		argv[1] = (struct resp_arg){key, strlen(key)};
		for (int i = 0; i < k; i++) {
			int len = snprintf(bufs[i], sizeof bufs[i], "%s%d", prefix, done + i);

			argv[2 + i] = (struct resp_arg){bufs[i], (size_t)len};
		}
		h_cmdv(c, k + 2, argv);
		h_expect_int(c, done + k);
		done += k;
	}
}

/* ---- encodings and memory ---------------------------------------------------- */

/* 10-byte elements: Redis's listpack spends 12 bytes on each, plus 7; it
 * converts past 8192 bytes (the 683rd) and back at one node of at most
 * 4096 (340 elements). */
START_TEST(test_encoding_converts_at_8kb_and_back_at_half_as_redis_7_2)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);

	for (int i = 0; i < 682; i++)
		h_call_int(c, i + 1, "RPUSH", "k", "0123456789");
	h_call_bulk(c, "listpack", "OBJECT", "ENCODING", "k");
	h_call_int(c, 683, "RPUSH", "k", "0123456789");
	h_call_bulk(c, "quicklist", "OBJECT", "ENCODING", "k");
	h_call_bulk(c, "quicklist", "OBJECT", "ENCODING", "k");
	h_ok(c, "LTRIM", "k", "0", "340");
	h_call_bulk(c, "quicklist", "OBJECT", "ENCODING", "k");
	h_call_bulk(c, "0123456789", "RPOP", "k");
	h_call_bulk(c, "listpack", "OBJECT", "ENCODING", "k");
	/* One element larger than a node converts at once; small ones too
	 * when their bytes together pass the limit in one command. */
	h_call_int(c, 1, "RPUSH", "big", "x");
	{
		char *v = calloc(1, 9001);

		memset(v, 'v', 9000);
		h_cmd(c, "RPUSH", "big", v);
		h_expect_int(c, 2);
		h_call_bulk(c, "quicklist", "OBJECT", "ENCODING", "big");
		h_call_bulk(c, "x", "LPOP", "big");
		h_call_bulk(c, "quicklist", "OBJECT", "ENCODING", "big");
		free(v);
	}
	h_call_int(c, 1, "LPUSH", "small", "x");
	h_call_bulk(c, "listpack", "OBJECT", "ENCODING", "small");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_memory_returns_to_its_start_after_del_flushall_and_pops)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	long long base;

	/* The keyspace's tables as they will be: the same keys, as strings. */
	h_ok(c, "MSET", "a", "1", "b", "1", "c", "1");
	h_call_int(c, 3, "DEL", "a", "b", "c");
	base = h_info_ll(c, "memory", "used_memory");
	rpush_many(c, "a", "element-", 20000);
	h_call_int(c, 3, "RPUSH", "b", "x", "y", "z");
	ck_assert_int_gt(h_info_ll(c, "memory", "used_memory"), base + 20000 * 8);
	h_call_int(c, 1, "COPY", "a", "c");
	h_call_int(c, 20001, "LINSERT", "a", "before", "element-5", "new");
	h_ok(c, "LSET", "a", "7", "changed-element-with-a-longer-value");
	h_call_int(c, 1, "LREM", "a", "0", "element-9");
	h_ok(c, "LTRIM", "c", "100", "-100");
	h_call_int(c, 3, "DEL", "a", "b", "c");
	ck_assert_int_eq(h_info_ll(c, "memory", "used_memory"), base);

	rpush_many(c, "a", "e", 5000);
	h_call_int(c, 2, "RPUSH", "b", "1", "2");
	h_ok(c, "FLUSHALL"); /* the tables go too */
	ck_assert_int_eq(h_info_ll(c, "memory", "used_memory"), 0);

	h_ok(c, "SET", "a", "1");
	h_call_int(c, 1, "DEL", "a");
	base = h_info_ll(c, "memory", "used_memory");
	rpush_many(c, "a", "e", 3000);
	h_cmd(c, "LPOP", "a", "2999");
	resp_reply_free(h_reply(c));
	h_call_bulk(c, "e2999", "RPOP", "a");
	h_call_int(c, 0, "EXISTS", "a");
	ck_assert_int_eq(h_info_ll(c, "memory", "used_memory"), base);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* 100k elements: every end operation stays cheap (an O(n) one per push
 * would take minutes), and indexes from both ends agree. */
START_TEST(test_100k_element_list_stays_correct_and_fast)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	int64_t t0 = h_now_ms();
	struct resp_reply *r;

	for (int i = 0; i < BIG_N; i++) {
		char v[16];

		snprintf(v, sizeof v, "%d", i);
		h_cmd(c, "LPUSH", "big", v);
		if (i % 1000 == 999)
			for (int j = 0; j < 1000; j++)
				resp_reply_free(h_reply(c));
	}
	h_call_int(c, BIG_N, "LLEN", "big");
	h_call_bulk(c, "99999", "LINDEX", "big", "0");
	h_call_bulk(c, "0", "LINDEX", "big", "-1");
	h_call_bulk(c, "50000", "LINDEX", "big", "49999");
	h_ok(c, "LSET", "big", "50000", "mid");
	h_call_bulk(c, "mid", "LINDEX", "big", "50000");
	r = h_call(c, "LRANGE", "big", "-3", "-1");
	ck_assert_uint_eq(r->elements, 3);
	ck_assert_str_eq(r->element[2]->str, "0");
	resp_reply_free(r);
	h_call_int(c, 50000, "LPOS", "big", "mid");
	h_call_int(c, BIG_N + 1, "LINSERT", "big", "after", "mid", "after-mid");
	h_call_bulk(c, "after-mid", "LINDEX", "big", "50001");
	for (int i = 0; i < BIG_N / 2; i++)
		h_cmd(c, "RPOP", "big");
	for (int i = 0; i < BIG_N / 2; i++)
		resp_reply_free(h_reply(c));
	h_call_int(c, BIG_N / 2 + 1, "LLEN", "big");
	h_call_bulk(c, "quicklist", "OBJECT", "ENCODING", "big");
	ck_assert_msg(h_now_ms() - t0 < SLOW(30000), "100k operations took %lld ms",
	              (long long)(h_now_ms() - t0));
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- the keyspace ------------------------------------------------------------ */

START_TEST(test_rename_move_copy_and_expiry_of_a_list)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	long long base;
	struct resp_reply *r;

	h_ok(c, "SELECT", "3");
	h_ok(c, "SET", "renamed", "1");
	h_call_int(c, 1, "DEL", "renamed");
	h_ok(c, "SELECT", "0");
	h_ok(c, "MSET", "l", "1", "copy", "1", "renamed", "1");
	h_call_int(c, 3, "DEL", "l", "copy", "renamed");
	base = h_info_ll(c, "memory", "used_memory");
	rpush_many(c, "l", "v", 1000);
	h_call_int(c, 1, "COPY", "l", "copy");
	h_call_bulk(c, "v0", "LPOP", "copy");
	h_call_int(c, 1000, "LLEN", "l"); /* the copy is deep */
	h_ok(c, "RENAME", "l", "renamed");
	h_call_int(c, 0, "EXISTS", "l");
	h_call_int(c, 1, "MOVE", "renamed", "3");
	h_ok(c, "SELECT", "3");
	h_call_bulk(c, "v999", "RPOP", "renamed");
	h_call_status(c, "list", "TYPE", "renamed");
	h_call_int(c, 1, "PEXPIRE", "renamed", "20");
	h_ok(c, "SELECT", "0");
	h_call_int(c, 1, "PEXPIRE", "copy", "20");
	h_sleep_ms(60);
	h_call_int(c, 0, "EXISTS", "copy");
	h_ok(c, "SELECT", "3");
	h_call_int(c, 0, "LLEN", "renamed");
	r = h_call(c, "SCAN", "0", "TYPE", "list");
	ck_assert_uint_eq(r->element[1]->elements, 0);
	resp_reply_free(r);
	ck_assert_int_eq(h_info_ll(c, "memory", "used_memory"), base);
	h_close(c);
	h_daemon_finish(d); /* under ASan: nothing leaked */
}
END_TEST

START_TEST(test_eviction_frees_lists)
{
	struct h_daemon *d = h_daemon_start("--loglevel", "warning", "--maxmemory", "1000000",
	                                    "--maxmemory-policy", "allkeys-lru", NULL);
	struct h_client *c = h_connect(d);

	/* A list may be evicted between two pushes to it: any length will do. */
	for (int k = 0; k < 40; k++) {
		char key[16];

		snprintf(key, sizeof key, "list%d", k);
		for (int i = 0; i < 2000; i++) {
			struct resp_reply *r = h_call(c, "RPUSH", key, "some-element-value-0123");

			ck_assert_int_eq(r->type, RESP_INTEGER);
			resp_reply_free(r);
		}
	}
	ck_assert_int_gt(h_info_ll(c, "stats", "evicted_keys"), 0);
	ck_assert_int_le(h_info_ll(c, "memory", "used_memory"), 1000000 + 200000);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_list_writes_invalidate_watch)
{
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *b = h_connect(d);
	const char *writes[][5] = {
	    {"RPUSH", "w", "x", NULL},      {"LPOP", "w", NULL},
	    {"LSET", "w", "0", "y", NULL},  {"LREM", "w", "0", "z", NULL},
	    {"LTRIM", "w", "0", "0", NULL}, {"LINSERT", "w", "before", "y", "q"},
	};

	h_call_int(a, 3, "RPUSH", "w", "q", "z", "z");
	for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
		const char *const *w = writes[i];
		struct resp_reply *r;

		h_ok(a, "WATCH", "w");
		h_cmd(b, w[0], w[1], w[2], w[3], w[4]);
		resp_reply_free(h_reply(b));
		h_ok(a, "MULTI");
		h_call_status(a, "QUEUED", "LLEN", "w");
		r = h_call(a, "EXEC");
		ck_assert_msg(r->type == RESP_NIL, "%s did not invalidate WATCH", w[0]);
		resp_reply_free(r);
	}
	h_close(a);
	h_close(b);
	h_daemon_finish(d);
}
END_TEST

Suite *list_suite(void)
{
	Suite *s = suite_create("list");
	TCase *obj = tcase_create("object");
	TCase *keys = tcase_create("keyspace");

	tcase_set_timeout(obj, 60);
	tcase_add_loop_test(obj, test_list_object_matches_a_model_under_random_operations, 0, 6);
	tcase_add_test(obj, test_positive_fill_converts_at_the_count_and_back_at_half);
	tcase_add_test(obj, test_redis_listpack_entry_sizes);
	suite_add_tcase(s, obj);

	tcase_set_timeout(keys, 120);
	tcase_add_test(keys, test_encoding_converts_at_8kb_and_back_at_half_as_redis_7_2);
	tcase_add_test(keys, test_memory_returns_to_its_start_after_del_flushall_and_pops);
	tcase_add_test(keys, test_100k_element_list_stays_correct_and_fast);
	tcase_add_test(keys, test_rename_move_copy_and_expiry_of_a_list);
	tcase_add_test(keys, test_eviction_frees_lists);
	tcase_add_test(keys, test_list_writes_invalidate_watch);
	suite_add_tcase(s, keys);
	return s;
}
