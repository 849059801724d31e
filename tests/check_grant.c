/* check_grant.c - what locks and slots share: tokens from the daemon's one
 * random source (random.c) and fences (grant.c), on stubbed entropy and the
 * fake clock. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_suites.h"
#include "clock.h"
#include "grant.h"
#include "random.h"

#define TOKENS 3000 /* tokens drawn per test: several refills of the pool */

static unsigned stub_calls;
static uint64_t stub_state = 0x9e3779b97f4a7c15ULL;

/* Distinct, deterministic bytes (xorshift64*). */
static unsigned char stub_byte(void)
{
	stub_state ^= stub_state >> 12;
	stub_state ^= stub_state << 25;
	stub_state ^= stub_state >> 27;
	return (unsigned char)((stub_state * 0x2545f4914f6cdd1dULL) >> 56);
}

/* getrandom as it may legally behave: EINTR first, then at most 3 bytes. */
static ssize_t stub_short(void *buf, size_t n, unsigned flags)
{
	unsigned char *p = buf;
	size_t give = n < 3 ? n : 3;

	(void)flags;
	if (stub_calls++ == 0) {
		errno = EINTR;
		return -1;
	}
	for (size_t i = 0; i < give; i++)
		p[i] = stub_byte();
	return (ssize_t)give;
}

/* getrandom under a seccomp filter that refuses it. */
static ssize_t stub_enosys(void *buf, size_t n, unsigned flags)
{
	(void)buf;
	(void)n;
	(void)flags;
	stub_calls++;
	errno = ENOSYS;
	return -1;
}

static int cmp_token(const void *a, const void *b)
{
	return memcmp(a, b, GRANT_TOKEN_HEX + 1);
}

/* Draws TOKENS tokens; each must be GRANT_TOKEN_HEX hex digits, all distinct. */
static void check_tokens_distinct(void)
{
	static char toks[TOKENS][GRANT_TOKEN_HEX + 1];

	for (int i = 0; i < TOKENS; i++) {
		grant_token(toks[i]);
		ck_assert_uint_eq(strlen(toks[i]), GRANT_TOKEN_HEX);
		ck_assert_uint_eq(strspn(toks[i], "0123456789abcdef"), GRANT_TOKEN_HEX);
	}
	qsort(toks, TOKENS, sizeof toks[0], cmp_token);
	for (int i = 1; i < TOKENS; i++)
		ck_assert_msg(memcmp(toks[i - 1], toks[i], sizeof toks[0]) != 0,
			      "token %s repeated", toks[i]);
}

/* Regression: lock_random_hex read below its pool when getrandom returned
 * early (EINTR): an out-of-bounds read, and tokens could repeat. */
START_TEST(test_tokens_survive_eintr_and_short_reads)
{
	random_set_source(stub_short);
	check_tokens_distinct();
	ck_assert_uint_gt(stub_calls, TOKENS * 16 / 3); /* every byte came from the stub */
	random_set_source(NULL);
}
END_TEST

START_TEST(test_tokens_fall_back_to_urandom_when_getrandom_is_refused)
{
	random_set_source(stub_enosys);
	check_tokens_distinct();
	ck_assert_uint_gt(stub_calls, 0);
	ck_assert_int_eq(random_init(), 0);
	random_set_source(NULL);
}
END_TEST

START_TEST(test_random_bytes_fills_every_byte_from_short_reads)
{
	unsigned char got[64], want[64];

	random_set_source(stub_short);
	ck_assert_int_eq(random_bytes(got, sizeof got), 0);
	stub_state = 0x9e3779b97f4a7c15ULL; /* replay the stub's sequence */
	for (size_t i = 0; i < sizeof want; i++)
		want[i] = stub_byte();
	ck_assert_mem_eq(got, want, sizeof got);
	ck_assert_uint_eq(stub_calls, 1 + (sizeof got + 2) / 3);
	random_set_source(NULL);
}
END_TEST

/* Regression: fences read CLOCK_REALTIME directly, past the clock seam.
 * On the fake wall clock they must start at its microseconds and keep
 * growing when it steps back. */
START_TEST(test_fences_follow_the_wall_clock_seam_and_never_go_back)
{
	int64_t t = ((int64_t)time(NULL) + 10LL * 365 * 86400) * 1000; /* ms, 10 years ahead */
	uint64_t f1, f2, f3, f4;

	clock_fake_set(5000, t);
	f1 = grant_next_fence();
	ck_assert_uint_ge(f1, (uint64_t)t * 1000);
	clock_fake_set(5000, t - 3600 * 1000); /* the wall clock steps back an hour */
	f2 = grant_next_fence();
	f3 = grant_next_fence();
	ck_assert_uint_gt(f2, f1);
	ck_assert_uint_gt(f3, f2);
	clock_fake_set(5000, t + 3600 * 1000);
	f4 = grant_next_fence();
	ck_assert_uint_ge(f4, (uint64_t)(t + 3600 * 1000) * 1000);
	ck_assert_uint_gt(f4, f3);
	clock_fake_off();
}
END_TEST

Suite *grant_suite(void)
{
	Suite *s = suite_create("grant");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tokens_survive_eintr_and_short_reads);
	tcase_add_test(tc, test_tokens_fall_back_to_urandom_when_getrandom_is_refused);
	tcase_add_test(tc, test_random_bytes_fills_every_byte_from_short_reads);
	tcase_add_test(tc, test_fences_follow_the_wall_clock_seam_and_never_go_back);
	suite_add_tcase(s, tc);
	return s;
}
