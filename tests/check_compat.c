/* check_compat.c - stock Redis peers against cachifyd: redis-cli,
 * redis-benchmark and redis-py, unchanged, on the daemon's socket.
 *
 * The peers are installed by scripts/deps (redis-tools, python3-redis). A
 * missing peer fails its test: it is a broken test environment, not a
 * reason to skip. Protocol details are check_server.c's business.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check_suites.h"
#include "harness.h"

#define PEER_TIMEOUT_MS 20000 /* one peer run (times h_slow()) */

/* Runs argv with stdin from in (NULL = none); returns its stdout (new) and
 * asserts it exited with want_status. stderr goes to the report on failure. */
static char *run_peer(const struct h_daemon *d, const char *const *argv, const char *in,
		      int want_status)
{
	char out[H_PATH_MAX + 8], err[H_PATH_MAX + 8];
	int status;
	char *o, *e;

	snprintf(out, sizeof out, "%s/out", d->dir);
	snprintf(err, sizeof err, "%s/err", d->dir);
	status = h_exec(argv, in, out, err, PEER_TIMEOUT_MS * h_slow());
	o = h_slurp(out, NULL);
	e = h_slurp(err, NULL);
	ck_assert_msg(status != -1, "%s: still running after %d ms", argv[0],
		      PEER_TIMEOUT_MS * h_slow());
	ck_assert_msg(!(WIFEXITED(status) && WEXITSTATUS(status) == 127),
		      "%s cannot be run (exit 127): install it with scripts/deps\n%s", argv[0],
		      e ? e : "");
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == want_status,
		      "%s %s: status 0x%x, want exit %d\nstdout:\n%.3000s\nstderr:\n%.3000s", argv[0],
		      argv[1] ? argv[1] : "", status, want_status, o ? o : "", e ? e : "");
	free(e);
	ck_assert_ptr_nonnull(o);
	return o;
}

/* redis-cli -s SOCK args... : asserts exit 0 and stdout == want. */
#define cli_expect(d, want, ...)                                                     \
	do {                                                                         \
		const char *argv_[] = {"redis-cli", "-s", (d)->sock, __VA_ARGS__, NULL}; \
		char *out_ = run_peer(d, argv_, NULL, 0);                            \
		ck_assert_msg(strcmp(out_, want) == 0, "redis-cli %s: stdout %s, want %s", \
			      argv_[3], out_, want);                                 \
		free(out_);                                                          \
	} while (0)

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of s sorted and joined with '\n' (s is modified; new result). */
static char *sorted_lines(char *s)
{
	char *lines[256], *save = NULL, *out;
	size_t n = 0, len = 0;

	for (char *l = strtok_r(s, "\n", &save); l && n < 256; l = strtok_r(NULL, "\n", &save)) {
		lines[n++] = l;
		len += strlen(l) + 1;
	}
	qsort(lines, n, sizeof lines[0], cmp_lines);
	out = calloc(1, len + 1);
	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
	}
	return out;
}

START_TEST(test_redis_cli_commands_exact_stdout)
{
	struct h_daemon *d = h_daemon_start(NULL);
	const char *scan[] = {"redis-cli", "-s", d->sock, "--scan", NULL};
	const char *scan_pat[] = {"redis-cli", "-s", d->sock, "--scan", "--pattern", "c*", NULL};
	struct h_client *c;
	char *out, *sorted;

	cli_expect(d, "PONG\n", "PING");
	cli_expect(d, "OK\n", "SET", "a", "hello world");
	cli_expect(d, "hello world\n", "GET", "a");
	cli_expect(d, "\n", "GET", "missing");
	cli_expect(d, "1\n", "INCR", "counter");
	cli_expect(d, "2\n", "INCR", "counter");
	cli_expect(d, "12\n", "INCRBY", "counter", "10");
	cli_expect(d, "OK\n", "SET", "count2", "x", "EX", "100");
	cli_expect(d, "3\n", "DBSIZE");
	cli_expect(d, "1\n", "EXISTS", "a");
	out = run_peer(d, scan, NULL, 0);
	sorted = sorted_lines(out);
	ck_assert_str_eq(sorted, "a\ncount2\ncounter\n");
	free(out);
	free(sorted);
	out = run_peer(d, scan_pat, NULL, 0);
	sorted = sorted_lines(out);
	ck_assert_str_eq(sorted, "count2\ncounter\n");
	free(out);
	free(sorted);
	/* An error reply is printed, and the command does not write. */
	{
		const char *argv[] = {"redis-cli", "-s", d->sock, "SET", "k", "v", "EX", "0", NULL};

		out = run_peer(d, argv, NULL, 0);
		ck_assert_msg(strstr(out, "ERR invalid expire time in 'set' command") != NULL,
			      "stdout: %s", out);
		free(out);
	}
	cli_expect(d, "0\n", "EXISTS", "k");

	/* -n 3 selects database 3 for the command. */
	cli_expect(d, "OK\n", "-n", "3", "SET", "a", "b");
	cli_expect(d, "b\n", "-n", "3", "GET", "a");
	cli_expect(d, "1\n", "-n", "3", "DBSIZE");
	cli_expect(d, "hello world\n", "GET", "a");
	c = h_connect(d);
	h_call_bulk(c, "hello world", "GET", "a");
	h_ok(c, "SELECT", "3");
	h_call_bulk(c, "b", "GET", "a");
	h_ok(c, "SELECT", "4");
	h_call_nil(c, "GET", "a");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_redis_cli_pipe_mode_transfers_all_commands)
{
	enum { N = 1000 };
	struct h_daemon *d = h_daemon_start(NULL);
	const char *argv[] = {"redis-cli", "-s", d->sock, "--pipe", NULL};
	char in[H_PATH_MAX + 8], key[32];
	struct resp_buf b;
	struct h_client *c;
	FILE *f;
	char *out;

	/* The RESP stream --pipe expects, as a mass-insertion file. */
	resp_buf_init(&b);
	for (int i = 0; i < N; i++) {
		struct resp_arg args[3] = {{"SET", 3}, {key, 0}, {"v", 1}};

		args[1].len = (size_t)snprintf(key, sizeof key, "pipe:%d", i);
		ck_assert_int_eq(resp_add_command(&b, 3, args), 0);
	}
	snprintf(in, sizeof in, "%s/in", d->dir);
	f = fopen(in, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(b.data, 1, b.len, f), b.len);
	ck_assert_int_eq(fclose(f), 0);
	resp_buf_free(&b);
	out = run_peer(d, argv, in, 0);
	ck_assert_msg(strstr(out, "errors: 0, replies: 1000") != NULL, "stdout: %s", out);
	free(out);
	c = h_connect(d);
	h_call_int(c, N, "DBSIZE");
	h_call_bulk(c, "v", "GET", "pipe:999");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* The requests-per-second figure redis-benchmark -q printed for test, or
 * -1 if it printed none. Progress lines end in \r, final ones in \n. */
static double bench_rps(const char *out, const char *test)
{
	char key[64];
	const char *p = out;
	double best = -1;

	snprintf(key, sizeof key, "%s: ", test);
	while ((p = strstr(p, key)) != NULL) {
		double v;
		char tail[32];

		if ((p == out || p[-1] == '\r' || p[-1] == '\n' || p[-1] == ' ') &&
		    sscanf(p + strlen(key), "%lf %31s", &v, tail) == 2 &&
		    strcmp(tail, "requests") == 0)
			best = v;
		p += strlen(key);
	}
	return best;
}

START_TEST(test_redis_benchmark_set_get_incr_ping)
{
	static const char *const tests[] = {"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR"};
	struct h_daemon *d = h_daemon_start(NULL);
	const char *argv[] = {"redis-benchmark", "-s", d->sock, "-q", "-n", "20000", "-c", "20",
			      "-t", "set,get,incr,ping", NULL};
	struct h_client *c;
	char *out = run_peer(d, argv, NULL, 0);

	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		double rps = bench_rps(out, tests[i]);

		ck_assert_msg(rps > 0, "no positive rps for %s in:\n%.2000s", tests[i], out);
	}
	free(out);
	/* The daemon is healthy afterwards and holds what the run wrote. */
	c = h_connect(d);
	h_call_bulk(c, "20000", "GET", "counter:__rand_int__");
	h_call_status(c, "PONG", "PING");
	ck_assert_int_eq(h_call_ll(c, "DBSIZE"), 2);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_redis_py_client_suite_passes)
{
	struct h_daemon *d = h_daemon_start(NULL);
	char script[H_PATH_MAX];
	const char *argv[] = {"/usr/bin/python3", script, d->sock, NULL};
	char *out;

	snprintf(script, sizeof script, "%s", h_src_path("tests/compat/redis_py.py"));
	out = run_peer(d, argv, NULL, 0);
	ck_assert_msg(strcmp(out, "ok\n") == 0, "redis_py.py said:\n%s", out);
	free(out);
	h_daemon_finish(d);
}
END_TEST

Suite *compat_suite(void)
{
	Suite *s = suite_create("compat");
	TCase *tc = tcase_create("peers");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_redis_cli_commands_exact_stdout);
	tcase_add_test(tc, test_redis_cli_pipe_mode_transfers_all_commands);
	tcase_add_test(tc, test_redis_benchmark_set_get_incr_ping);
	tcase_add_test(tc, test_redis_py_client_suite_passes);
	suite_add_tcase(s, tc);
	return s;
}
