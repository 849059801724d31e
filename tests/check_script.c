/* check_script.c - scripting on the real daemon: conversions both ways,
 * error texts, atomicity, BUSY and SCRIPT KILL of a runaway script,
 * UNKILLABLE after a write, acquires that cannot block inside a script,
 * access rules inside scripts, sandbox escapes refused, the script cache
 * and its memory, redis.log into the daemon's log, SHA-1 against known
 * digests, and redis-py's Lock end to end (tests/compat/redis_py_lock.py).
 *
 * Byte-for-byte agreement with redis-server is tests/diff/cases/scripting.txt's.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check_suites.h"
#include "harness.h"
#include "sha1.h"

#define PEER_TIMEOUT_MS 60000 /* redis_py_lock.py's whole run (times h_slow()) */
#define BUSY_MS		100   /* busy-reply-threshold of the busy tests */
#define RUNAWAY		"while true do end"

static struct h_daemon *start(void)
{
	return h_daemon_start("--loglevel", "warning", NULL);
}

static struct h_daemon *start_busy(void)
{
	return h_daemon_start("--loglevel", "warning", "--busy-reply-threshold", "100", NULL);
}

/* Waits (bounded) until a script is past the threshold, seen as PING
 * answering BUSY. */
static void wait_busy(struct h_client *o)
{
	int64_t until = h_now_ms() + H_TIMEOUT_MS * h_slow();

	for (;;) {
		struct resp_reply *r = h_call(o, "PING");
		bool busy = r->type == RESP_ERROR && strncmp(r->str, "BUSY ", 5) == 0;

		resp_reply_free(r);
		if (busy)
			return;
		ck_assert_msg(h_now_ms() < until, "the script never became busy");
		h_sleep_ms(20);
	}
}

/* ---- SHA-1 ----------------------------------------------------------------- */

START_TEST(test_sha1_matches_known_digests)
{
	static const struct {
		const char *in;
		const char *hex;
	} v[] = {
		{"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
		/* redis-server's SCRIPT LOAD of these bodies */
		{"return 1", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"},
		{"return 2", "7f923f79fe76194c868d7e1d0820de36700eb649"},
	};
	char hex[SHA1_HEX_LEN + 1];
	char *million = malloc(1000000);

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		sha1_hex(hex, v[i].in, strlen(v[i].in));
		ck_assert_str_eq(hex, v[i].hex);
	}
	ck_assert_ptr_nonnull(million);
	memset(million, 'a', 1000000);
	sha1_hex(hex, million, 1000000);
	ck_assert_str_eq(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	free(million);
}
END_TEST

/* ---- conversions and errors --------------------------------------------------- */

START_TEST(test_lua_values_become_replies)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct resp_reply *r;

	h_call_int(c, 3, "EVAL", "return 3.99", "0");
	h_call_int(c, -3, "EVAL", "return -3.7", "0");
	h_call_int(c, 1, "EVAL", "return true", "0");
	h_call_nil(c, "EVAL", "return false", "0");
	h_call_nil(c, "EVAL", "return nil", "0");
	h_call_bulk(c, "hi", "EVAL", "return 'hi'", "0");
	h_call_status(c, "fine", "EVAL", "return {ok='fine'}", "0");
	h_call_error(c, "MY err", "EVAL", "return {err='MY err'}", "0");
	h_call_int(c, -9223372036854775807LL - 1, "EVAL", "return 1e20", "0");
	r = h_call(c, "EVAL", "return {1, 'a', {2}, nil, 5}", "0");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 3);
	ck_assert_int_eq(r->element[0]->integer, 1);
	ck_assert_str_eq(r->element[1]->str, "a");
	ck_assert_int_eq(r->element[2]->type, RESP_ARRAY);
	resp_reply_free(r);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_replies_become_lua_values)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);

	h_ok(c, "SET", "s", "a\0b");
	h_call_bulk(c, "number", "EVAL", "return type(redis.call('incr', 'n'))", "0");
	h_call_bulk(c, "string", "EVAL", "return type(redis.call('get', 's'))", "0");
	h_call_bulk(c, "boolean", "EVAL", "return tostring(redis.call('get', 'nope'))=='false' "
					  "and 'boolean' or 'x'", "0");
	h_call_bulk(c, "OK", "EVAL", "return redis.call('set', 'x', 'y').ok", "0");
	h_call_int(c, 3, "EVAL", "return #redis.call('mget', 's', 'nope', 'x')", "0");
	h_call_bulk(c, "ERR value is not an integer or out of range", "EVAL",
		    "return redis.pcall('incr', 's').err", "0");
	h_call_error(c, "ERR value is not an integer or out of range script: ", "EVAL",
		     "return redis.call('incr', 's')", "0");
	/* Numbers go as %.17g, as Redis sends them. */
	h_call_status(c, "OK", "EVAL", "return redis.call('set', 'f', 0.1)", "0");
	h_call_bulk(c, "0.10000000000000001", "GET", "f");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_errors_name_the_script_and_line)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);

	h_cmd(c, "EVAL", "\n\nreturn x", "0");
	h_expect_error_is(c, "ERR user_script:3: Script attempted to access nonexistent global "
			     "variable 'x' script: ae8a1f8560ec25cf42c6a952891220e0f0ce663e, on "
			     "@user_script:3.");
	h_call_error(c, "ERR Error compiling script (new function): user_script:1: ", "EVAL",
		     "return 1 +", "0");
	h_call_error(c, "NOSCRIPT No matching script. Please use EVAL.", "EVALSHA",
		     "ffffffffffffffffffffffffffffffffffffffff", "0");
	h_call_error(c, "ERR Number of keys can't be greater than number of args", "EVAL",
		     "return 1", "2", "a");
	h_call_error(c, "ERR Number of keys can't be negative", "EVAL", "return 1", "-1");
	h_call_error(c, "ERR This Redis command is not allowed from script", "EVAL",
		     "return redis.call('eval', 'return 1', 0)", "0");
	h_call_error(c, "ERR Write commands are not allowed from read-only scripts.", "EVAL_RO",
		     "return redis.call('set', 'a', 'b')", "0");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- atomicity and blocking ------------------------------------------------------- */

START_TEST(test_no_command_runs_between_a_scripts_commands)
{
	/* A threshold no run reaches, valgrind's neither. */
	struct h_daemon *d = h_daemon_start("--loglevel", "warning", "--busy-reply-threshold",
					    "600s", NULL);
	struct h_client *c = h_connect(d), *o = h_connect(d);

	/* The script writes 1, spins (100 ms here, seconds under valgrind),
	 * writes 2; a GET sent meanwhile must see the end, never the middle. */
	h_set_timeout(c, 120000);
	h_set_timeout(o, 120000);
	h_cmd(c, "EVAL", "redis.call('set', 'k', '1') local n = 0 "
			 "while n < 1e7 do n = n + 1 end "
			 "redis.call('set', 'k', '2') return 1", "0");
	h_sleep_ms(20);
	h_call_bulk(o, "2", "GET", "k");
	h_expect_int(c, 1);
	h_close(c);
	h_close(o);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_acquire_with_wait_inside_a_script_does_not_block)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d), *o = h_connect(d);
	struct resp_reply *r;
	int64_t t0;

	r = h_call(o, "LOCK.ACQUIRE", "L", "WAIT", "0");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	resp_reply_free(r);
	t0 = h_now_ms();
	h_call_error(c, "LOCKED ", "EVAL", "return redis.pcall('lock.acquire', KEYS[1], 'WAIT', '0')",
		     "1", "L");
	h_call_error(c, "LOCKED ", "EVAL", "return redis.call('lock.acquire', KEYS[1], 'WAIT', '1000')",
		     "1", "L");
	ck_assert_int_lt(h_now_ms() - t0, 900);
	/* A lock a script takes is the caller's: its close frees it. */
	r = h_call(c, "EVAL", "return redis.call('lock.acquire', KEYS[1])", "1", "M");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	resp_reply_free(r);
	h_call_int(o, 1, "EXISTS", "M");
	h_close(c);
	h_sleep_ms(100);
	h_call_int(o, 0, "EXISTS", "M");
	h_close(o);
	h_daemon_finish(d);
}
END_TEST

/* ---- busy scripts ------------------------------------------------------------------ */

START_TEST(test_busy_script_answers_busy_and_script_kill_stops_it)
{
	struct h_daemon *d = start_busy();
	struct h_client *c = h_connect(d), *o = h_connect(d), *n;

	h_call_error(o, "NOTBUSY No scripts in execution right now.", "SCRIPT", "KILL");
	h_set_timeout(c, H_TIMEOUT_MS * 4 * h_slow());
	h_cmd(c, "EVAL", RUNAWAY, "0");
	wait_busy(o);
	h_cmd(o, "GET", "x");
	h_expect_error_is(o, "BUSY Redis is busy running a script. You can only call SCRIPT KILL "
			     "or SHUTDOWN NOSAVE.");
	/* A client that connects meanwhile is served too. */
	n = h_connect(d);
	h_call_error(n, "BUSY ", "SET", "a", "b");
	h_ok(n, "SCRIPT", "KILL");
	h_expect_error_is(c, "ERR Script killed by user with SCRIPT KILL... script: "
			     "694a5fe1ddb97a4c6a1bf299d9537c7d3d0f84e7, on @user_script:1.");
	h_call_status(o, "PONG", "PING");
	h_call_status(c, "PONG", "PING");
	h_call_nil(o, "GET", "a");
	ck_assert(h_log_wait(d, "Slow script detected", H_TIMEOUT_MS * h_slow()));
	h_close(c);
	h_close(o);
	h_close(n);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_script_that_wrote_is_unkillable_and_shutdown_stops_it)
{
	struct h_daemon *d = start_busy();
	struct h_client *c = h_connect(d), *o = h_connect(d);
	int status;

	h_cmd(c, "EVAL", "redis.call('set', 'w', '1') " RUNAWAY, "0");
	wait_busy(o);
	h_cmd(o, "SCRIPT", "KILL");
	h_expect_error_is(o, "UNKILLABLE Sorry the script already executed write commands against "
			     "the dataset. You can either wait the script termination or kill the "
			     "server in a hard way using the SHUTDOWN NOSAVE command.");
	h_cmd(o, "SHUTDOWN", "NOSAVE");
	status = h_daemon_wait_exit(d, H_STOP_TIMEOUT_MS * h_slow());
	ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "status 0x%x", status);
	h_close(c);
	h_close(o);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_busy_reply_threshold_is_runtime_changeable)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d), *o = h_connect(d);

	h_ok(o, "CONFIG", "SET", "lua-time-limit", "150");
	h_cmd(o, "CONFIG", "GET", "busy-reply-threshold");
	resp_reply_free(h_reply(o));
	h_cmd(c, "EVAL", RUNAWAY, "0");
	wait_busy(o);
	h_ok(o, "SCRIPT", "KILL");
	h_expect_error(c, "ERR Script killed by user with SCRIPT KILL...");
	h_close(c);
	h_close(o);
	h_daemon_finish(d);
}
END_TEST

/* ---- access rules and the sandbox ---------------------------------------------- */

START_TEST(test_access_rules_apply_inside_scripts)
{
	struct h_daemon *d = h_daemon_new();
	char conf[H_PATH_MAX + 16];
	const char *args[] = {"--loglevel", "warning", "-c", conf, NULL};
	struct h_client *c;

	/* The test's own uid is no admin here, so the rules apply to it. */
	snprintf(conf, sizeof conf, "%s/script.conf", d->dir);
	h_write_file(conf, "admin-uid 4242\nacl-default +@all -incr ~app:*\n");
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	c = h_connect(d);
	h_call_error(c, "ERR The user executing the script can't run this command or subcommand "
			"script: ", "EVAL", "return redis.call('incr', 'app:n')", "0");
	h_call_bulk(c, "ERR The user executing the script can't run this command or subcommand",
		    "EVAL", "return redis.pcall('set', 'other', 'v').err", "0");
	h_call_status(c, "OK", "EVAL", "return redis.call('set', 'app:k', 'v')", "0");
	h_call_int(c, 0, "EVAL", "return redis.acl_check_cmd('incr', 'app:n') and 1 or 0", "0");
	h_call_error(c, "NOPERM ", "GET", "other");
	h_call_bulk(c, "v", "GET", "app:k");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

static const char *const escapes[] = {
	"return os.execute('true')",
	"return io.open('/etc/passwd')",
	"return require('os')",
	"return dofile('/etc/passwd')",
	"return loadfile('/etc/passwd')",
	"return debug.getregistry()",
	"return getfenv(0)",
	"return package.loadlib",
	"return loadstring(string.dump(function() return 1 end))()",
	"string.dump = nil",
	"_G.leak = 1",
	"rawset(_G, 'leak', 1)",
	"setmetatable(_G, nil)",
	"getmetatable('').__index = nil",
	"redis.call = function() return 1 end",
	"math.random = nil",
};

START_TEST(test_sandbox_escapes_are_refused)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct resp_reply *r = h_call(c, "EVAL", escapes[_i], "0");
	char got[512];

	h_reply_fmt(r, got, sizeof got);
	ck_assert_msg(r->type == RESP_ERROR && strncmp(r->str, "ERR ", 4) == 0, "%s: %s",
		      escapes[_i], got);
	resp_reply_free(r);
	/* Nothing leaked into the next script's world. */
	h_call_error(c, "ERR user_script:1: Script attempted to access nonexistent global variable "
			"'leak'", "EVAL", "return leak", "0");
	h_call_bulk(c, "ABC", "EVAL", "return ('abc'):upper()", "0");
	h_call_int(c, 7, "EVAL", "return redis.call('strlen', 'x') + 7", "0");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- the cache, memory, log ------------------------------------------------------ */

START_TEST(test_script_cache_counts_and_flush_frees_it)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	char body[64];

	for (int i = 0; i < 1000; i++) {
		snprintf(body, sizeof body, "return %d", i);
		h_cmd(c, "SCRIPT", "LOAD", body);
		resp_reply_free(h_reply(c));
	}
	h_call_int(c, 1000, "EVAL", "return 1000", "0");
	ck_assert_int_eq(h_info_ll(c, "memory", "number_of_cached_scripts"), 1001);
	ck_assert_int_gt(h_info_ll(c, "memory", "used_memory_scripts"), 1000 * 8);
	ck_assert_int_gt(h_info_ll(c, "memory", "used_memory_lua"), 0);
	h_call_int(c, 1, "EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0");
	h_ok(c, "SCRIPT", "FLUSH");
	ck_assert_int_eq(h_info_ll(c, "memory", "number_of_cached_scripts"), 0);
	ck_assert_int_eq(h_info_ll(c, "memory", "used_memory_scripts"), 0);
	h_call_error(c, "NOSCRIPT ", "EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0");
	h_close(c);
	/* Under ASan or valgrind a leak of the old state fails here. */
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_redis_log_writes_the_daemon_log)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);

	h_call_nil(c, "EVAL", "redis.log(redis.LOG_WARNING, 'hello', 'from', 42)", "0");
	ck_assert(h_log_wait(d, "hello from 42", H_TIMEOUT_MS * h_slow()));
	h_call_nil(c, "EVAL", "redis.log(redis.LOG_DEBUG, 'quiet-line')", "0");
	h_call_int(c, 1, "EVAL", "return 1", "0");
	{
		char *log = h_daemon_log(d);

		ck_assert_msg(!strstr(log, "quiet-line"), "a debug line passed loglevel warning");
		free(log);
	}
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- redis-py ------------------------------------------------------------------- */

START_TEST(test_redis_py_lock_works_unchanged)
{
	struct h_daemon *d = start();
	char script[H_PATH_MAX], out[H_PATH_MAX + 8], err[H_PATH_MAX + 8];
	const char *argv[] = {"/usr/bin/python3", script, d->sock, NULL};
	char *o, *e;
	int status;

	snprintf(script, sizeof script, "%s", h_src_path("tests/compat/redis_py_lock.py"));
	snprintf(out, sizeof out, "%s/out", d->dir);
	snprintf(err, sizeof err, "%s/err", d->dir);
	status = h_exec(argv, NULL, out, err, PEER_TIMEOUT_MS * h_slow());
	o = h_slurp(out, NULL);
	e = h_slurp(err, NULL);
	ck_assert_msg(status != -1, "redis_py_lock.py still running after %d ms",
		      PEER_TIMEOUT_MS * h_slow());
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && o && strcmp(o, "ok\n") == 0,
		      "redis_py_lock.py: status 0x%x\nstdout:\n%.3000s\nstderr:\n%.3000s", status,
		      o ? o : "", e ? e : "");
	free(o);
	free(e);
	h_daemon_finish(d);
}
END_TEST

Suite *script_suite(void)
{
	Suite *s = suite_create("script");
	TCase *tc = tcase_create("scripting");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sha1_matches_known_digests);
	tcase_add_test(tc, test_lua_values_become_replies);
	tcase_add_test(tc, test_replies_become_lua_values);
	tcase_add_test(tc, test_errors_name_the_script_and_line);
	tcase_add_test(tc, test_no_command_runs_between_a_scripts_commands);
	tcase_add_test(tc, test_acquire_with_wait_inside_a_script_does_not_block);
	tcase_add_test(tc, test_busy_script_answers_busy_and_script_kill_stops_it);
	tcase_add_test(tc, test_script_that_wrote_is_unkillable_and_shutdown_stops_it);
	tcase_add_test(tc, test_busy_reply_threshold_is_runtime_changeable);
	tcase_add_test(tc, test_access_rules_apply_inside_scripts);
	tcase_add_loop_test(tc, test_sandbox_escapes_are_refused, 0,
			    (int)(sizeof escapes / sizeof escapes[0]));
	tcase_add_test(tc, test_script_cache_counts_and_flush_frees_it);
	tcase_add_test(tc, test_redis_log_writes_the_daemon_log);
	tcase_add_test(tc, test_redis_py_lock_works_unchanged);
	suite_add_tcase(s, tc);
	return s;
}
