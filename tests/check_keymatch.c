/* check_keymatch.c - keymatch_matches(): Redis's pattern syntax, binary safety, bounded time.
 *
 * Besides hand-written cases, every short pattern over a small alphabet is checked
 * against a naive recursive matcher, and a pattern that is exponential for a
 * backtracking matcher must simply finish.
 */
#include <check.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "keymatch.h"

static bool gm(const char *pat, const char *s)
{
	return keymatch_matches(pat, strlen(pat), s, strlen(s), false);
}

static bool gm_nocase(const char *pat, const char *s)
{
	return keymatch_matches(pat, strlen(pat), s, strlen(s), true);
}

START_TEST(test_keymatch_literal_matches_only_itself)
{
	ck_assert(gm("hello", "hello"));
	ck_assert(!gm("hello", "hell"));
	ck_assert(!gm("hello", "hello!"));
	ck_assert(!gm("hello", "Hello"));
	ck_assert(gm("", ""));
	ck_assert(!gm("", "a"));
	ck_assert(!gm("a", ""));
}
END_TEST

START_TEST(test_keymatch_star_matches_any_run_including_empty)
{
	ck_assert(gm("*", ""));
	ck_assert(gm("*", "anything"));
	ck_assert(gm("h*o", "ho"));
	ck_assert(gm("h*o", "hello"));
	ck_assert(!gm("h*o", "hellx"));
	ck_assert(gm("*max*", "maxclients"));
	ck_assert(gm("*max*", "proto-max-args"));
	ck_assert(!gm("*max*", "timeout"));
	ck_assert(gm("a**b", "ab"));
	ck_assert(gm("***", "x"));
}
END_TEST

START_TEST(test_keymatch_star_backtracks_to_the_last_star)
{
	/* The first 'b' after the star is a false lead; the match must retry. */
	ck_assert(gm("*bc", "abbc"));
	ck_assert(gm("a*b*c", "axxbyybzzc"));
	ck_assert(!gm("a*b*c", "axxbyybzz"));
	ck_assert(gm("*a?c", "abcabc"));
	ck_assert(gm("user:*:name", "user:1:2:name"));
	ck_assert(!gm("user:*:name", "user:1:2:names"));
}
END_TEST

START_TEST(test_keymatch_question_matches_exactly_one_byte)
{
	ck_assert(gm("h?llo", "hello"));
	ck_assert(gm("h?llo", "hallo"));
	ck_assert(!gm("h?llo", "hllo"));
	ck_assert(!gm("h?llo", "heello"));
	ck_assert(gm("??", "ab"));
	ck_assert(!gm("?", ""));
}
END_TEST

START_TEST(test_keymatch_set_matches_listed_bytes)
{
	ck_assert(gm("h[ae]llo", "hello"));
	ck_assert(gm("h[ae]llo", "hallo"));
	ck_assert(!gm("h[ae]llo", "hillo"));
	ck_assert(!gm("h[ae]llo", "hllo"));
	ck_assert(gm("[*]", "*"));
	ck_assert(!gm("[*]", "a"));
	ck_assert(gm("[?]", "?"));
	ck_assert(!gm("[?]", "x"));
}
END_TEST

START_TEST(test_keymatch_caret_negates_a_set)
{
	ck_assert(gm("h[^e]llo", "hallo"));
	ck_assert(!gm("h[^e]llo", "hello"));
	ck_assert(!gm("h[^e]llo", "hllo"));
	ck_assert(gm("[^a-c]", "d"));
	ck_assert(!gm("[^a-c]", "b"));
	/* Only '^' negates, as in Redis: '!' is an ordinary member. */
	ck_assert(gm("[!a]", "!"));
	ck_assert(!gm("[!a]", "b"));
}
END_TEST

START_TEST(test_keymatch_ranges_include_both_ends_and_may_be_reversed)
{
	ck_assert(gm("[a-c]", "a"));
	ck_assert(gm("[a-c]", "b"));
	ck_assert(gm("[a-c]", "c"));
	ck_assert(!gm("[a-c]", "d"));
	ck_assert(!gm("[a-c]", "`"));
	ck_assert(gm("[c-a]", "b"));
	ck_assert(gm("[0-9a-f]x", "ex"));
	ck_assert(!gm("[0-9a-f]x", "gx"));
	ck_assert(gm("[x0-2]", "x"));
	ck_assert(gm("[x0-2]", "1"));
}
END_TEST

START_TEST(test_keymatch_dash_at_set_edges_is_literal)
{
	ck_assert(gm("[a-]", "-"));
	ck_assert(gm("[a-]", "a"));
	ck_assert(!gm("[a-]", "b"));
	ck_assert(gm("[-a]", "-"));
	ck_assert(!gm("[-a]", "b"));
}
END_TEST

START_TEST(test_keymatch_backslash_escapes_outside_and_inside_sets)
{
	ck_assert(gm("a\\*b", "a*b"));
	ck_assert(!gm("a\\*b", "axb"));
	ck_assert(gm("a\\?b", "a?b"));
	ck_assert(!gm("a\\?b", "axb"));
	ck_assert(gm("\\[x]", "[x]"));
	ck_assert(!gm("\\[x]", "x"));
	ck_assert(gm("\\\\", "\\"));
	ck_assert(gm("[\\]]", "]"));
	ck_assert(gm("[\\^a]", "^"));
	ck_assert(gm("[a\\-c]", "-"));
	ck_assert(!gm("[a\\-c]", "b"));
	ck_assert(gm("[a-\\]]", "_"));
	ck_assert(!gm("[a-\\]]", "\\"));
}
END_TEST

START_TEST(test_keymatch_trailing_backslash_matches_a_backslash)
{
	ck_assert(gm("a\\", "a\\"));
	ck_assert(!gm("a\\", "a"));
	ck_assert(!gm("a\\", "ab"));
}
END_TEST

START_TEST(test_keymatch_unterminated_set_runs_to_end_of_pattern)
{
	ck_assert(gm("[abc", "b"));
	ck_assert(!gm("[abc", "d"));
	ck_assert(!gm("[abc", "ab"));
	ck_assert(!gm("x[", "xa"));
	ck_assert(!gm("[", ""));
}
END_TEST

START_TEST(test_keymatch_empty_set_matches_nothing_and_negated_empty_anything)
{
	ck_assert(!gm("[]", "a"));
	ck_assert(!gm("[]", "]"));
	ck_assert(gm("[^]", "a"));
	ck_assert(!gm("[^]", ""));
}
END_TEST

START_TEST(test_keymatch_nocase_folds_literals_sets_and_ranges)
{
	ck_assert(gm_nocase("MAXCLIENTS", "maxclients"));
	ck_assert(gm_nocase("max*", "MAXMEMORY"));
	ck_assert(gm_nocase("[A-C]x", "bX"));
	ck_assert(gm_nocase("[a-c]", "B"));
	ck_assert(gm_nocase("[^a-c]", "D"));
	ck_assert(!gm_nocase("[^a-c]", "B"));
	ck_assert(gm_nocase("\\A", "a"));
	ck_assert(!gm("[A-C]x", "bX"));
	/* Folding is ASCII only: bytes above 0x7f are compared as they are. */
	ck_assert(!gm_nocase("\xc0", "\xe0"));
}
END_TEST

START_TEST(test_keymatch_is_binary_safe_including_nul_bytes)
{
	const char pat[] = "a\0*\xff";
	const char yes[] = "a\0zz\xff";
	const char no[] = "a\1zz\xff";

	ck_assert(keymatch_matches(pat, sizeof(pat) - 1, yes, sizeof(yes) - 1, false));
	ck_assert(!keymatch_matches(pat, sizeof(pat) - 1, no, sizeof(no) - 1, false));
	ck_assert(keymatch_matches("?", 1, "\0", 1, false));
	ck_assert(keymatch_matches("[\0-\x01]", 5, "\x01", 1, false));
	ck_assert(keymatch_matches("[\x80-\xff]", 5, "\xfe", 1, false));
	ck_assert(!keymatch_matches("[\x80-\xff]", 5, "\x7f", 1, false));
	/* Lengths are honoured: nothing past plen or slen is looked at. */
	ck_assert(keymatch_matches("abX", 2, "abY", 2, false));
	ck_assert(!keymatch_matches("ab", 2, "abc", 3, false));
}
END_TEST

/* The obvious exponential matcher for '*', '?' and literals: the reference. */
static bool naive(const char *p, size_t pl, const char *s, size_t sl)
{
	if (pl == 0)
		return sl == 0;
	if (p[0] == '*')
		return naive(p + 1, pl - 1, s, sl) || (sl > 0 && naive(p, pl, s + 1, sl - 1));
	if (sl == 0)
		return false;
	return (p[0] == '?' || p[0] == s[0]) && naive(p + 1, pl - 1, s + 1, sl - 1);
}

START_TEST(test_keymatch_agrees_with_naive_matcher_on_all_short_inputs)
{
	static const char palpha[] = "ab*?";
	char pat[5], str[6];
	long mismatches = 0, matches = 0;

	for (int plen = 0; plen <= 4; plen++) {
		int pn = 1;

		for (int k = 0; k < plen; k++)
			pn *= 4;
		for (int pi = 0; pi < pn; pi++) {
			for (int k = 0, x = pi; k < plen; k++, x /= 4)
				pat[k] = palpha[x % 4];
			for (int slen = 0; slen <= 5; slen++) {
				for (int si = 0; si < (1 << slen); si++) {
					bool want, got;

					for (int k = 0; k < slen; k++)
						str[k] = (si >> k) & 1 ? 'b' : 'a';
					want = naive(pat, (size_t)plen, str, (size_t)slen);
					got = keymatch_matches(pat, (size_t)plen, str, (size_t)slen,
							 false);
					if (want != got)
						mismatches++;
					if (got)
						matches++;
				}
			}
		}
	}
	ck_assert_int_eq(mismatches, 0);
	ck_assert_int_gt(matches, 0);
}
END_TEST

START_TEST(test_keymatch_many_stars_against_long_input_finish)
{
	/* A backtracking matcher explores ~C(10000, 10) ways here and never returns,
	 * hanging the suite; the greedy matcher does about len(pat) * len(s) steps. */
	const char *pat = "a*a*a*a*a*a*a*a*a*a*b";
	size_t n = 10000;
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, 'a', n);
	ck_assert(!keymatch_matches(pat, strlen(pat), s, n, false));
	s[n] = 'b';
	ck_assert(keymatch_matches(pat, strlen(pat), s, n + 1, false));
	ck_assert(!keymatch_matches("*a*a*a*a*a*a*a*a*a*a*a*a*c", 26, s, n + 1, false));
	free(s);
}
END_TEST

/* The matcher's header was once daemon/glob.h, which -Idaemon made every
 * <glob.h> resolve to: glob(3) was unusable in the daemon and this file
 * did not compile. */
START_TEST(test_keymatch_header_leaves_system_glob_h_reachable)
{
	glob_t g;

	ck_assert_int_eq(glob("/", 0, NULL, &g), 0);
	ck_assert_uint_eq(g.gl_pathc, 1);
	ck_assert_str_eq(g.gl_pathv[0], "/");
	globfree(&g);
}
END_TEST

Suite *keymatch_suite(void)
{
	Suite *s = suite_create("keymatch");
	TCase *tc = tcase_create("match");

	tcase_add_test(tc, test_keymatch_literal_matches_only_itself);
	tcase_add_test(tc, test_keymatch_star_matches_any_run_including_empty);
	tcase_add_test(tc, test_keymatch_star_backtracks_to_the_last_star);
	tcase_add_test(tc, test_keymatch_question_matches_exactly_one_byte);
	tcase_add_test(tc, test_keymatch_set_matches_listed_bytes);
	tcase_add_test(tc, test_keymatch_caret_negates_a_set);
	tcase_add_test(tc, test_keymatch_ranges_include_both_ends_and_may_be_reversed);
	tcase_add_test(tc, test_keymatch_dash_at_set_edges_is_literal);
	tcase_add_test(tc, test_keymatch_backslash_escapes_outside_and_inside_sets);
	tcase_add_test(tc, test_keymatch_trailing_backslash_matches_a_backslash);
	tcase_add_test(tc, test_keymatch_unterminated_set_runs_to_end_of_pattern);
	tcase_add_test(tc, test_keymatch_empty_set_matches_nothing_and_negated_empty_anything);
	tcase_add_test(tc, test_keymatch_nocase_folds_literals_sets_and_ranges);
	tcase_add_test(tc, test_keymatch_is_binary_safe_including_nul_bytes);
	tcase_add_test(tc, test_keymatch_agrees_with_naive_matcher_on_all_short_inputs);
	tcase_add_test(tc, test_keymatch_many_stars_against_long_input_finish);
	tcase_add_test(tc, test_keymatch_header_leaves_system_glob_h_reachable);
	suite_add_tcase(s, tc);
	return s;
}
