/* check_lp.c - the packed list against a model (an array of strings):
 * random inserts, replaces and deletes of lengths that cross every varint
 * boundary, then both walks, seeks and finds must agree with the model.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "lp.h"

#define MODEL_MAX 400

struct model {
	char *s[MODEL_MAX];
	size_t len[MODEL_MAX];
	size_t n;
};

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Lengths around the 1-, 2- and 3-byte varint and backlen boundaries. */
static size_t pick_len(void)
{
	static const size_t edge[] = {0, 1, 2, 124, 125, 126, 127, 128, 129, 255, 16380, 16381, 16383, 16384, 16385, 70000};

	if (next_rand() % 3 == 0)
		return edge[next_rand() % (sizeof edge / sizeof edge[0])];
	return next_rand() % 40;
}

static char *make_str(size_t len)
{
	char *s = malloc(len + 1);

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < len; i++)
		s[i] = (char)(next_rand() & 0xff);
	return s;
}

static void check_same(const unsigned char *lp, const struct model *m)
{
	size_t pos, len, i;
	const char *p;

	ck_assert_uint_eq(lp_count(lp), m->n);
	for (pos = lp_first(lp), i = 0; pos != LP_END; pos = lp_next(lp, pos), i++) {
		ck_assert_uint_lt(i, m->n);
		p = lp_get(lp, pos, &len);
		ck_assert_uint_eq(len, m->len[i]);
		ck_assert(len == 0 || memcmp(p, m->s[i], len) == 0);
		ck_assert_uint_eq(lp_seek(lp, (long long)i), pos);
		ck_assert_uint_eq(lp_seek(lp, (long long)i - (long long)m->n), pos);
	}
	ck_assert_uint_eq(i, m->n);
	for (pos = lp_last(lp), i = m->n; pos != LP_END; pos = lp_prev(lp, pos)) {
		ck_assert_uint_gt(i, 0);
		i--;
		ck_assert(lp_eq(lp, pos, m->s[i], m->len[i]));
	}
	ck_assert_uint_eq(i, 0);
	ck_assert_uint_eq(lp_seek(lp, (long long)m->n), LP_END);
	ck_assert_uint_eq(lp_seek(lp, -(long long)m->n - 1), LP_END);
}

START_TEST(test_lp_matches_a_model_under_random_edits)
{
	struct model m = {0};
	unsigned char *lp = lp_new();

	ck_assert_ptr_nonnull(lp);
	check_same(lp, &m);
	for (int step = 0; step < 3000; step++) {
		unsigned op = (unsigned)(next_rand() % 10);
		size_t i = m.n ? (size_t)(next_rand() % m.n) : 0;

		if (op < 5 && m.n < MODEL_MAX) { /* insert before i, or append */
			size_t len = pick_len(), at = next_rand() % 4 == 0 ? m.n : i, np;
			char *s = make_str(len);

			lp = lp_insert(lp, at == m.n ? LP_END : lp_seek(lp, (long long)at), s, len, &np);
			ck_assert_ptr_nonnull(lp);
			ck_assert(lp_eq(lp, np, s, len));
			memmove(&m.s[at + 1], &m.s[at], (m.n - at) * sizeof m.s[0]);
			memmove(&m.len[at + 1], &m.len[at], (m.n - at) * sizeof m.len[0]);
			m.s[at] = s;
			m.len[at] = len;
			m.n++;
		} else if (op < 7 && m.n) { /* replace i */
			size_t len = pick_len();
			char *s = make_str(len);

			lp = lp_replace(lp, lp_seek(lp, (long long)i), s, len);
			ck_assert_ptr_nonnull(lp);
			free(m.s[i]);
			m.s[i] = s;
			m.len[i] = len;
		} else if (m.n) { /* delete k from i */
			size_t k = 1 + next_rand() % 3;

			if (k > m.n - i)
				k = m.n - i;
			lp = lp_delete(lp, lp_seek(lp, (long long)i), k);
			for (size_t j = 0; j < k; j++)
				free(m.s[i + j]);
			memmove(&m.s[i], &m.s[i + k], (m.n - i - k) * sizeof m.s[0]);
			memmove(&m.len[i], &m.len[i + k], (m.n - i - k) * sizeof m.len[0]);
			m.n -= k;
		}
		if (step % 50 == 0 || m.n < 3)
			check_same(lp, &m);
	}
	check_same(lp, &m);
	for (size_t i = 0; i < m.n; i++)
		free(m.s[i]);
	lp_free(lp);
}
END_TEST

START_TEST(test_lp_find_steps_over_values_and_dup_is_independent)
{
	unsigned char *lp = lp_new(), *copy;
	size_t pos;

	/* field/value pairs where a value equals a later field */
	lp = lp_append(lp, "f1", 2);
	lp = lp_append(lp, "f2", 2);
	lp = lp_append(lp, "f2", 2);
	lp = lp_append(lp, "v2", 2);
	ck_assert_ptr_nonnull(lp);
	pos = lp_find(lp, lp_first(lp), "f2", 2, 1);
	ck_assert_uint_eq(pos, lp_seek(lp, 2));
	ck_assert_uint_eq(lp_find(lp, lp_first(lp), "v2", 2, 1), LP_END);
	ck_assert_uint_eq(lp_find(lp, lp_first(lp), "v2", 2, 0), lp_seek(lp, 3));
	ck_assert_uint_eq(lp_find(lp, lp_first(lp), "", 0, 0), LP_END);
	copy = lp_dup(lp);
	ck_assert_ptr_nonnull(copy);
	lp = lp_delete(lp, lp_first(lp), 4);
	ck_assert_uint_eq(lp_count(lp), 0);
	ck_assert_uint_eq(lp_first(lp), LP_END);
	ck_assert_uint_eq(lp_last(lp), LP_END);
	ck_assert_uint_eq(lp_count(copy), 4);
	ck_assert(lp_eq(copy, lp_last(copy), "v2", 2));
	copy = lp_prepend(copy, "", 0);
	ck_assert(lp_eq(copy, lp_first(copy), "", 0));
	ck_assert_uint_ge(lp_alloc_size(copy), lp_bytes(copy));
	lp_free(lp);
	lp_free(copy);
}
END_TEST

Suite *lp_suite(void)
{
	Suite *su = suite_create("lp");
	TCase *tc = tcase_create("lp");

	tcase_add_test(tc, test_lp_matches_a_model_under_random_edits);
	tcase_add_test(tc, test_lp_find_steps_over_values_and_dup_is_independent);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(su, tc);
	return su;
}
