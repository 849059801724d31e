/* check_diff.c - differential tests: tests/diff/diff.py sends every line
 * of the case files (tests/diff/cases/, one per command family) to Debian's
 * redis-server and to cachifyd and compares the replies byte for byte. One
 * Check test per case file, each against a fresh cachifyd (the driver
 * starts its own redis-server).
 *
 * Intentional differences are listed in proto/PROTOCOL.md; the driver
 * skips only lines marked with one of their ids.
 */
#include <check.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check_suites.h"
#include "harness.h"

#define DIFF_TIMEOUT_MS 120000 /* one case file, both servers (times h_slow()) */
#define CASES_MAX	64

static char *cases[CASES_MAX];
static size_t ncases;

/* Runs the driver on one case file against d; returns its exit status and
 * its output (new) in *out. */
static int run_driver(const struct h_daemon *d, const char *casefile, char **out)
{
	char script[H_PATH_MAX], proto[H_PATH_MAX], outp[H_PATH_MAX + 16];
	const char *argv[] = {"/usr/bin/python3", script, "--cachify-sock", d->sock,
			      "--protocol", proto, casefile, NULL};
	int status;

	snprintf(script, sizeof script, "%s", h_src_path("tests/diff/diff.py"));
	snprintf(proto, sizeof proto, "%s", h_src_path("proto/PROTOCOL.md"));
	snprintf(outp, sizeof outp, "%s/diff.out", d->dir);
	status = h_exec(argv, NULL, outp, outp, DIFF_TIMEOUT_MS * h_slow());
	*out = h_slurp(outp, NULL);
	ck_assert_ptr_nonnull(*out);
	ck_assert_msg(status != -1, "diff.py %s: still running after %d ms\n%s", casefile,
		      DIFF_TIMEOUT_MS * h_slow(), *out);
	ck_assert_msg(WIFEXITED(status), "diff.py %s: status 0x%x\n%s", casefile, status, *out);
	return WEXITSTATUS(status);
}

/* A case file may say "# diff: not-under-valgrind": its replies depend on
 * the x87 long double, which valgrind computes as a 64-bit double
 * (INCRBYFLOAT). check-valgrind sets CACHIFYD_REAL. */
static bool skip_under_valgrind(const char *casefile)
{
	char *text = h_slurp(casefile, NULL);
	bool skip = text && strstr(text, "\n# diff: not-under-valgrind\n") && getenv("CACHIFYD_REAL");

	free(text);
	return skip;
}

START_TEST(test_case_file_matches_redis)
{
	struct h_daemon *d;
	char *out;
	int rc;

	ck_assert_msg(ncases > 0, "no tests/diff/cases/*.txt found");
	if (skip_under_valgrind(cases[_i])) {
		printf("diff: %s skipped under valgrind (long double)\n", cases[_i]);
		return;
	}
	/* Its snapshots (SAVE, BGSAVE) go in its own directory, as the
	 * driver's redis-server's go in the driver's. */
	d = h_daemon_new();
	{
		const char *args[] = {"--dir", d->dir, NULL};

		h_daemon_spawn(d, args);
		h_daemon_wait_ready(d);
	}
	rc = run_driver(d, cases[_i], &out);
	/* Check passes failure messages through a pipe of limited size: the
	 * first mismatches are what matter. */
	ck_assert_msg(rc == 0, "%s differs from redis-server (exit %d):\n%.3500s", cases[_i], rc,
		      out);
	ck_assert_msg(strstr(out, " 0 mismatch(es)") != NULL, "no summary line:\n%s", out);
	free(out);
	h_daemon_finish(d);
}
END_TEST

/* The driver must be able to fail: a cachifyd-only command differs, and a
 * `known` mark whose id PROTOCOL.md does not list is refused. */
START_TEST(test_driver_reports_differences_and_unlisted_ids)
{
	struct h_daemon *d = h_daemon_start(NULL);
	char path[H_PATH_MAX + 16];
	char *out;

	snprintf(path, sizeof path, "%s/bad.txt", d->dir);
	h_write_file(path, "SET k v\nLOCK.ACQUIRE lk\nGET k\nknown D999: GET k\n");
	ck_assert_int_eq(run_driver(d, path, &out), 1);
	ck_assert_msg(strstr(out, "bad.txt:2: LOCK.ACQUIRE lk") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "bad.txt:3") == NULL, "GET k matched, yet reported:\n%s", out);
	ck_assert_msg(strstr(out, "D999 is not in PROTOCOL.md") != NULL, "%s", out);
	ck_assert_msg(strstr(out, " 2 mismatch(es)") != NULL, "%s", out);
	free(out);
	h_daemon_finish(d);
}
END_TEST

static void find_cases(void)
{
	const char *src = getenv("CACHIFY_SRC");
	char pattern[4096];
	glob_t g;

	if (!src || ncases)
		return;
	snprintf(pattern, sizeof pattern, "%s/tests/diff/cases/*.txt", src);
	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc && ncases < CASES_MAX; i++)
		cases[ncases++] = strdup(g.gl_pathv[i]);
	globfree(&g);
}

Suite *diff_suite(void)
{
	Suite *s = suite_create("diff");
	TCase *tc = tcase_create("redis");

	find_cases();
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_driver_reports_differences_and_unlisted_ids);
	/* At least one iteration, so an empty directory fails. */
	tcase_add_loop_test(tc, test_case_file_matches_redis, 0, ncases ? (int)ncases : 1);
	suite_add_tcase(s, tc);
	return s;
}
