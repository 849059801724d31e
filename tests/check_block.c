/* check_block.c - clients blocked on keys (block.c): the list pops and
 * BZPOPMIN/BZPOPMAX, where redis-server cannot be the reference: FIFO order,
 * several keys, timeouts, a killed waiter, BLMOVE chains, MULTI and
 * scripts, CLIENT LIST/INFO/UNBLOCK, shutdown, a list waiter and a sorted
 * set waiter on one key, and a python-redis-lock style lock built on
 * BLPOP. Byte-for-byte replies (served order included) are the diff
 * cases' business (tests/diff/cases/list.txt, zset.txt).
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"
#include "harness.h"

#define SLOW(ms)     ((ms)*h_slow()) /* a bound, scaled for sanitizer builds */
#define POLL_STEP_MS 2
#define SETTLE_MS    5000 /* bound on the daemon reaching a state (times h_slow()) */
#define QUIET_MS     150  /* how long "nothing arrives" is watched */

static struct h_daemon *start(void)
{
	return h_daemon_start("--loglevel", "warning", NULL);
}

static void wait_blocked(struct h_client *c, long long n)
{
	int64_t until = h_now_ms() + SLOW(SETTLE_MS);

	while (h_info_ll(c, "clients", "blocked_clients") != n) {
		ck_assert_msg(h_now_ms() < until, "blocked_clients never reached %lld", n);
		h_sleep_ms(POLL_STEP_MS);
	}
}

static void expect_raw(struct h_client *c, const char *s)
{
	char buf[64] = {0};

	h_read_exact(c, buf, strlen(s));
	ck_assert_str_eq(buf, s);
}

static void expect_pair(struct h_client *c, const char *k, const char *v)
{
	struct resp_reply *r = h_reply(c);

	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_str_eq(r->element[0]->str, k);
	ck_assert_str_eq(r->element[1]->str, v);
	resp_reply_free(r);
}

/* ---- blocking --------------------------------------------------------------- */

START_TEST(test_blpop_serves_five_waiters_in_fifo_order)
{
	struct h_daemon *d = start();
	struct h_client *w[5], *p = h_connect(d);

	for (int i = 0; i < 5; i++) {
		w[i] = h_connect(d);
		h_cmd(w[i], "BLPOP", "q", "0");
		wait_blocked(p, i + 1);
	}
	/* 3 elements, 5 waiters: the first 3 get one each, in order. */
	h_call_int(p, 3, "RPUSH", "q", "a", "b", "c");
	expect_pair(w[0], "q", "a");
	expect_pair(w[1], "q", "b");
	expect_pair(w[2], "q", "c");
	ck_assert(h_is_quiet(w[3], QUIET_MS));
	h_call_int(p, 0, "EXISTS", "q");
	h_call_int(p, 2, "RPUSH", "q", "d", "e");
	expect_pair(w[3], "q", "d");
	expect_pair(w[4], "q", "e");
	wait_blocked(p, 0);
	for (int i = 0; i < 5; i++)
		h_close(w[i]);
	h_close(p);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_multi_key_blpop_takes_the_first_key_with_data_in_argument_order)
{
	struct h_daemon *d = start();
	struct h_client *w = h_connect(d), *p = h_connect(d);

	h_call_int(p, 1, "RPUSH", "k3", "three");
	h_cmd(w, "BLPOP", "k1", "k2", "k3", "0");
	expect_pair(w, "k3", "three");
	h_cmd(w, "BRPOP", "k1", "k2", "k3", "0");
	wait_blocked(p, 1);
	/* One transaction fills k3, then k2: k2 comes first in the arguments. */
	h_ok(p, "MULTI");
	h_call_status(p, "QUEUED", "RPUSH", "k3", "x3");
	h_call_status(p, "QUEUED", "RPUSH", "k2", "x2");
	resp_reply_free(h_call(p, "EXEC"));
	expect_pair(w, "k2", "x2");
	h_call_int(p, 1, "LLEN", "k3");
	h_close(w);
	h_close(p);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_timeouts_reply_nil_in_each_command_shape)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	int64_t t0 = h_now_ms();

	h_cmd(c, "BLPOP", "none", "0.2");
	expect_raw(c, "*-1\r\n");
	ck_assert_int_ge(h_now_ms() - t0, 190);
	ck_assert_int_lt(h_now_ms() - t0, SLOW(5000));
	h_cmd(c, "BRPOP", "none", "other", "0.05");
	expect_raw(c, "*-1\r\n");
	h_cmd(c, "BLMOVE", "none", "dst", "LEFT", "RIGHT", "0.05");
	expect_raw(c, "$-1\r\n");
	h_cmd(c, "BRPOPLPUSH", "none", "dst", "0.05");
	expect_raw(c, "$-1\r\n");
	h_cmd(c, "BLMPOP", "0.05", "2", "none", "other", "LEFT", "COUNT", "3");
	expect_raw(c, "*-1\r\n");
	h_call_int(c, 0, "EXISTS", "dst");
	/* Pipelined commands wait behind the blocked one. */
	h_send_str(c, "BLPOP none 0.1\r\nPING\r\n");
	expect_raw(c, "*-1\r\n+PONG\r\n");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* A killed waiter leaves its queue at once, whatever it waited with: the
 * next waiter gets what the push brings. */
static const struct {
	const char *first, *next; /* the killed waiter's command, the next one's */
	const char *fill[6];	  /* what a third client sends */
	const char *served;	  /* the next waiter's reply */
} killed_cases[] = {
	{"BLPOP", "BLPOP", {"RPUSH", "k", "v"}, "*2\r\n$1\r\nk\r\n$1\r\nv\r\n"},
	{"BZPOPMIN", "BZPOPMAX", {"ZADD", "k", "1", "low", "2", "high"},
	 "*3\r\n$1\r\nk\r\n$4\r\nhigh\r\n$1\r\n2\r\n"},
};

START_TEST(test_killed_waiter_leaves_the_queue_at_once)
{
	struct h_daemon *d = start();
	struct h_client *p = h_connect(d), *next;
	const char *const *fill = killed_cases[_i].fill;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct h_client *w = h_connect(d);

		h_cmd(w, killed_cases[_i].first, "k", "0");
		pause();
		_exit(0);
	}
	wait_blocked(p, 1);
	next = h_connect(d);
	h_cmd(next, killed_cases[_i].next, "k", "0");
	wait_blocked(p, 2);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	wait_blocked(p, 1);
	resp_reply_free(h_call(p, fill[0], fill[1], fill[2], fill[3], fill[4], fill[5]));
	expect_raw(next, killed_cases[_i].served);
	ck_assert_int_eq(h_info_ll(p, "clients", "total_blocking_keys"), 0);
	h_close(next);
	h_close(p);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_blmove_chain_serves_each_link_in_the_same_turn)
{
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *b = h_connect(d), *c = h_connect(d), *p = h_connect(d);

	h_cmd(a, "BLMOVE", "l1", "l2", "LEFT", "RIGHT", "0");
	wait_blocked(p, 1);
	h_cmd(b, "BRPOPLPUSH", "l2", "l3", "0");
	wait_blocked(p, 2);
	h_cmd(c, "BLPOP", "l3", "0");
	wait_blocked(p, 3);
	h_call_int(p, 1, "RPUSH", "l1", "x");
	h_expect_bulk(a, "x");
	h_expect_bulk(b, "x");
	expect_pair(c, "l3", "x");
	h_call_int(p, 0, "EXISTS", "l1", "l2", "l3");
	/* A destination of another type: the served client gets WRONGTYPE. */
	h_ok(p, "SET", "str", "v");
	h_cmd(a, "BLMOVE", "src", "str", "LEFT", "LEFT", "0");
	wait_blocked(p, 1);
	h_call_int(p, 1, "RPUSH", "src", "y");
	h_expect_error(a, "WRONGTYPE");
	h_call_int(p, 1, "LLEN", "src");
	h_close(a);
	h_close(b);
	h_close(c);
	h_close(p);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_blocking_forms_do_not_block_in_multi_or_scripts)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct resp_reply *r;

	h_ok(c, "MULTI");
	h_call_status(c, "QUEUED", "BLPOP", "none", "0");
	h_call_status(c, "QUEUED", "BLMOVE", "none", "d", "LEFT", "LEFT", "0");
	r = h_call(c, "EXEC");
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_int_eq(r->element[0]->type, RESP_NIL);
	ck_assert_int_eq(r->element[1]->type, RESP_NIL);
	resp_reply_free(r);
	r = h_call(c, "EVAL", "return redis.call('blmpop', 0, 1, 'none', 'left')", "0");
	ck_assert_int_eq(r->type, RESP_NIL);
	resp_reply_free(r);
	ck_assert_int_eq(h_info_ll(c, "clients", "blocked_clients"), 0);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* A push inside MULTI is served after EXEC: the waiter never sees the
 * transaction half done, and a pop later in it gets nothing. */
START_TEST(test_waiters_are_served_after_exec_and_after_scripts)
{
	struct h_daemon *d = start();
	struct h_client *w = h_connect(d), *p = h_connect(d);
	struct resp_reply *r;

	h_cmd(w, "BLPOP", "q", "0");
	wait_blocked(p, 1);
	h_ok(p, "MULTI");
	h_call_status(p, "QUEUED", "RPUSH", "q", "a", "b");
	h_call_status(p, "QUEUED", "LPOP", "q");
	r = h_call(p, "EXEC");
	ck_assert_str_eq(r->element[1]->str, "a");
	resp_reply_free(r);
	expect_pair(w, "q", "b");
	h_cmd(w, "BLPOP", "q", "0");
	wait_blocked(p, 1);
	r = h_call(p, "EVAL",
	           "redis.call('rpush', KEYS[1], 'x', 'y'); return redis.call('llen', KEYS[1])",
	           "1", "q");
	ck_assert_int_eq(r->integer, 2); /* nobody took x while the script ran */
	resp_reply_free(r);
	expect_pair(w, "q", "x");
	h_call_int(p, 1, "LLEN", "q");
	/* RENAME onto a waited-on key serves it too. */
	h_cmd(w, "BLPOP", "target", "0");
	wait_blocked(p, 1);
	h_ok(p, "RENAME", "q", "target");
	expect_pair(w, "target", "y");
	/* So do MOVE, COPY and SWAPDB into the waiter's database. */
	h_ok(w, "SELECT", "1");
	h_cmd(w, "BLPOP", "k", "0");
	wait_blocked(p, 1);
	h_call_int(p, 1, "RPUSH", "k", "moved");
	h_call_int(p, 1, "MOVE", "k", "1");
	expect_pair(w, "k", "moved");
	h_cmd(w, "BLPOP", "k", "0");
	wait_blocked(p, 1);
	h_call_int(p, 1, "RPUSH", "s", "copied");
	h_call_int(p, 1, "COPY", "s", "k", "DB", "1");
	expect_pair(w, "k", "copied");
	h_cmd(w, "BLPOP", "k", "0");
	wait_blocked(p, 1);
	h_call_int(p, 1, "RPUSH", "k", "swapped");
	h_ok(p, "SWAPDB", "0", "1");
	expect_pair(w, "k", "swapped");
	h_close(w);
	h_close(p);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_client_list_info_and_unblock)
{
	struct h_daemon *d = start();
	struct h_client *w = h_connect(d), *p = h_connect(d), *l = h_connect(d);
	long long id = h_call_ll(w, "CLIENT", "ID");
	long long lid = h_call_ll(l, "CLIENT", "ID");
	struct resp_reply *r;
	char ids[24], lids[24];

	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(lids, sizeof lids, "%lld", lid);
	h_cmd(w, "BLPOP", "a", "b", "a", "0");
	wait_blocked(p, 1);
	ck_assert_int_eq(h_info_ll(p, "clients", "total_blocking_keys"), 2);
	r = h_call(p, "CLIENT", "LIST", "ID", ids);
	ck_assert_ptr_nonnull(strstr(r->str, " flags=bU "));
	ck_assert_ptr_nonnull(strstr(r->str, " cmd=blpop "));
	resp_reply_free(r);
	h_call_int(p, 1, "CLIENT", "UNBLOCK", ids);
	expect_raw(w, "*-1\r\n");
	h_call_int(p, 0, "CLIENT", "UNBLOCK", ids);
	h_cmd(w, "BLMOVE", "a", "b", "LEFT", "LEFT", "0");
	wait_blocked(p, 1);
	h_call_int(p, 1, "CLIENT", "UNBLOCK", ids, "ERROR");
	h_expect_error_is(w, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
	h_call_error(p, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR", "CLIENT", "UNBLOCK",
	             ids, "FOO");
	ck_assert_int_eq(h_info_ll(p, "clients", "total_blocking_keys"), 0);
	/* Lock waiters too. */
	resp_reply_free(h_call(p, "LOCK.ACQUIRE", "lk"));
	h_cmd(l, "LOCK.ACQUIRE", "lk", "WAIT", "0");
	wait_blocked(p, 1);
	h_call_int(p, 1, "CLIENT", "UNBLOCK", lids, "TIMEOUT");
	h_expect_error(l, "TIMEOUT");
	h_cmd(l, "LOCK.ACQUIRE", "lk", "WAIT", "0");
	wait_blocked(p, 1);
	h_call_int(p, 1, "CLIENT", "UNBLOCK", lids, "ERROR");
	h_expect_error(l, "UNBLOCKED");
	h_call_int(p, 0, "CLIENT", "UNBLOCK", "999999");
	h_close(w);
	h_close(l);
	h_close(p);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_shutdown_answers_blocked_clients)
{
	struct h_daemon *d = start();
	struct h_client *w = h_connect(d), *p = h_connect(d);
	int status;

	h_cmd(w, "BLPOP", "q", "0");
	wait_blocked(p, 1);
	h_daemon_kill(d, SIGTERM);
	h_expect_error(w, "SHUTDOWN");
	h_close(w);
	h_close(p);
	status = h_daemon_wait_exit(d, SLOW(SETTLE_MS));
	ck_assert_msg(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x",
	              status);
	h_daemon_finish(d);
}
END_TEST

/* ---- a lock on BLPOP, as python-redis-lock builds it --------------------------- */

#define LOCK_WORKERS 4
#define LOCK_ROUNDS  40

static const char release_lua[] = "if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end "
                                  "redis.call('del', KEYS[1]) redis.call('rpush', KEYS[2], 1) "
                                  "redis.call('pexpire', KEYS[2], 1000) return 1";

/* One worker: LOCK_ROUNDS times acquire (SET NX, else BLPOP the signal
 * for 1 s and retry), check nobody else is inside, release by script.
 * Exit status: the number of violations seen (0 expected). */
static int lock_worker(const struct h_daemon *d, int me)
{
	struct h_client *c = h_connect(d);
	char token[16];
	int bad = 0;

	snprintf(token, sizeof token, "w%d", me);
	for (int round = 0; round < LOCK_ROUNDS; round++) {
		for (;;) {
			struct resp_reply *r = h_call(c, "SET", "lock", token, "NX", "PX", "10000");
			bool got = r->type == RESP_STRING;

			resp_reply_free(r);
			if (got)
				break;
			resp_reply_free(h_call(c, "BLPOP", "signal", "1"));
		}
		if (h_call_ll(c, "INCR", "inside") != 1)
			bad++;
		usleep(200);
		if (h_call_ll(c, "DECR", "inside") != 0)
			bad++;
		h_call_int(c, 1, "EVAL", release_lua, "2", "lock", "signal", token);
		h_call_ll(c, "INCR", "done");
	}
	h_close(c);
	return bad;
}

START_TEST(test_python_redis_lock_style_signal_gives_mutual_exclusion)
{
	struct h_daemon *d = start();
	struct h_client *c;
	pid_t pids[LOCK_WORKERS];

	for (int i = 0; i < LOCK_WORKERS; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0)
			_exit(lock_worker(d, i));
	}
	for (int i = 0; i < LOCK_WORKERS; i++) {
		int st;

		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "worker %d: status %d", i, st);
	}
	c = h_connect(d);
	h_call_bulk(c, "160", "GET", "done");
	h_call_int(c, 0, "EXISTS", "lock");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- BZPOPMIN and BZPOPMAX ---------------------------------------------------- */

static void expect_triple(struct h_client *c, const char *k, const char *m, const char *score)
{
	struct resp_reply *r = h_reply(c);

	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 3);
	ck_assert_str_eq(r->element[0]->str, k);
	ck_assert_str_eq(r->element[1]->str, m);
	ck_assert_str_eq(r->element[2]->str, score);
	resp_reply_free(r);
}

/* A list waiter and a sorted-set waiter on the same key: each is served
 * only by its own type, the other keeps waiting. */
START_TEST(test_list_and_zset_waiters_on_one_key_wait_for_their_type)
{
	struct h_daemon *d = start();
	struct h_client *l = h_connect(d), *z = h_connect(d), *p = h_connect(d);
	int64_t t0 = h_now_ms();

	h_cmd(l, "BLPOP", "k", "0");
	wait_blocked(p, 1);
	h_cmd(z, "BZPOPMIN", "k", "0");
	wait_blocked(p, 2);
	ck_assert_int_eq(h_info_ll(p, "clients", "total_blocking_keys"), 1);
	h_call_int(p, 1, "ZADD", "k", "5", "m");
	expect_triple(z, "k", "m", "5");
	ck_assert(h_is_quiet(l, QUIET_MS));
	h_call_int(p, 1, "RPUSH", "k", "v");
	expect_pair(l, "k", "v");
	wait_blocked(p, 0);
	/* A timeout, then pipelined commands behind a blocked BZPOPMAX. */
	h_send_str(z, "BZPOPMAX none 0.1\r\nPING\r\n");
	expect_raw(z, "*-1\r\n+PONG\r\n");
	ck_assert_int_ge(h_now_ms() - t0, 100);
	h_close(l);
	h_close(z);
	h_close(p);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_client_unblock_ends_a_bzpop)
{
	struct h_daemon *d = start();
	struct h_client *w = h_connect(d), *p = h_connect(d);
	char id[24];

	snprintf(id, sizeof id, "%lld", h_call_ll(w, "CLIENT", "ID"));
	h_cmd(w, "BZPOPMIN", "z", "0");
	wait_blocked(p, 1);
	h_call_int(p, 1, "CLIENT", "UNBLOCK", id);
	expect_raw(w, "*-1\r\n");
	h_cmd(w, "BZPOPMAX", "z", "0");
	wait_blocked(p, 1);
	h_call_int(p, 1, "CLIENT", "UNBLOCK", id, "ERROR");
	h_expect_error_is(w, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
	h_call_int(p, 0, "EXISTS", "z");
	h_close(w);
	h_close(p);
	h_daemon_finish(d);
}
END_TEST

Suite *block_suite(void)
{
	Suite *s = suite_create("block");
	TCase *blk = tcase_create("blocking");

	tcase_set_timeout(blk, 60);
	tcase_add_test(blk, test_blpop_serves_five_waiters_in_fifo_order);
	tcase_add_test(blk, test_multi_key_blpop_takes_the_first_key_with_data_in_argument_order);
	tcase_add_test(blk, test_timeouts_reply_nil_in_each_command_shape);
	tcase_add_loop_test(blk, test_killed_waiter_leaves_the_queue_at_once, 0,
			    (int)(sizeof killed_cases / sizeof killed_cases[0]));
	tcase_add_test(blk, test_blmove_chain_serves_each_link_in_the_same_turn);
	tcase_add_test(blk, test_blocking_forms_do_not_block_in_multi_or_scripts);
	tcase_add_test(blk, test_waiters_are_served_after_exec_and_after_scripts);
	tcase_add_test(blk, test_client_list_info_and_unblock);
	tcase_add_test(blk, test_shutdown_answers_blocked_clients);
	tcase_add_test(blk, test_python_redis_lock_style_signal_gives_mutual_exclusion);
	tcase_add_test(blk, test_list_and_zset_waiters_on_one_key_wait_for_their_type);
	tcase_add_test(blk, test_client_unblock_ends_a_bzpop);
	suite_add_tcase(s, blk);
	return s;
}
