/* check_multi.c - transactions on the real daemon: MULTI/EXEC/DISCARD,
 * queuing errors, WATCH invalidation by every kind of change (locks and
 * pools included, which the differential tests cannot reach), no blocking
 * inside EXEC, state freed on disconnect, a huge transaction, maxmemory,
 * and redis-py's pipelines and optimistic-locking loop
 * (tests/compat/redis_py_tx.py).
 *
 * Byte-for-byte agreement with redis-server is tests/diff/cases/multi.txt's.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check_suites.h"
#include "harness.h"

#define HUGE_TX	       100000 /* commands in the huge transaction */
#define PEER_TIMEOUT_MS 60000 /* redis_py_tx.py's whole run (times h_slow()) */
#define QUIET_MS	200    /* how long "nothing arrives" is watched */

static struct h_daemon *start(void)
{
	return h_daemon_start("--loglevel", "warning", NULL);
}

/* MULTI, PING, EXEC on c: true when EXEC answered the nil array (a watched
 * key changed), false when it ran; anything else fails the test. */
#define exec_aborted(c) exec_aborted_at(__FILE__, __LINE__, c)
static bool exec_aborted_at(const char *file, int line, struct h_client *c)
{
	struct resp_reply *r;
	char got[256];
	bool nil;

	h_cmd_at(file, line, c, "MULTI", (const char *)NULL);
	h_expect_status_at(file, line, c, "OK");
	h_cmd_at(file, line, c, "PING", (const char *)NULL);
	h_expect_status_at(file, line, c, "QUEUED");
	h_cmd_at(file, line, c, "EXEC", (const char *)NULL);
	r = h_reply_at(file, line, c);
	h_reply_fmt(r, got, sizeof got);
	nil = r->type == RESP_NIL;
	ck_assert_msg(nil || (r->type == RESP_ARRAY && r->elements == 1 &&
			      r->element[0]->type == RESP_STRING &&
			      strcmp(r->element[0]->str, "PONG") == 0),
		      "%s:%d: EXEC answered %s", file, line, got);
	resp_reply_free(r);
	return nil;
}

/* Reads a grant (*2 [id, fence]) and copies its id into id (size bytes). */
static void expect_grant_id(struct h_client *c, char *id, size_t size)
{
	struct resp_reply *r = h_reply(c);
	char got[256];

	h_reply_fmt(r, got, sizeof got);
	ck_assert_msg(r->type == RESP_ARRAY && r->elements == 2 &&
			      r->element[0]->type == RESP_BULK && r->element[0]->len < size,
		      "expected a grant, got %s", got);
	memcpy(id, r->element[0]->str, r->element[0]->len + 1);
	resp_reply_free(r);
}

/* ---- MULTI / EXEC / DISCARD ----------------------------------------------- */

START_TEST(test_queued_commands_run_at_exec_and_answer_an_array)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d), *o = h_connect(d);
	struct resp_reply *r;

	h_ok(c, "MULTI");
	h_call_status(c, "QUEUED", "SET", "k", "v");
	h_call_status(c, "QUEUED", "INCR", "n");
	h_call_status(c, "QUEUED", "GET", "k");
	h_call_status(c, "QUEUED", "MGET", "k", "missing");
	/* Nothing ran yet: another client sees no key. */
	h_call_nil(o, "GET", "k");
	r = h_call(c, "EXEC");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 4);
	ck_assert_str_eq(r->element[0]->str, "OK");
	ck_assert_int_eq(r->element[1]->integer, 1);
	ck_assert_str_eq(r->element[2]->str, "v");
	ck_assert_int_eq(r->element[3]->type, RESP_ARRAY);
	ck_assert_int_eq(r->element[3]->element[1]->type, RESP_NIL);
	resp_reply_free(r);
	h_call_bulk(o, "v", "GET", "k");
	/* The transaction is over: EXEC again is an error, commands run. */
	h_call_error(c, "ERR EXEC without MULTI", "EXEC");
	h_call_int(c, 2, "INCR", "n");
	h_close(c);
	h_close(o);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_queuing_error_fails_the_transaction_with_execabort)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct resp_reply *r;

	h_ok(c, "MULTI");
	h_call_status(c, "QUEUED", "SET", "a", "1");
	h_call_error(c, "ERR unknown command 'nosuch'", "nosuch", "x");
	h_call_error(c, "ERR wrong number of arguments for 'get' command", "GET");
	h_call_status(c, "QUEUED", "SET", "b", "2");
	h_cmd(c, "EXEC");
	h_expect_error_is(c, "EXECABORT Transaction discarded because of previous errors.");
	h_call_nil(c, "GET", "a");
	h_call_nil(c, "GET", "b");
	h_call_error(c, "ERR EXEC without MULTI", "EXEC");
	/* Nested MULTI and WATCH inside MULTI do not fail it. */
	h_ok(c, "MULTI");
	h_call_error(c, "ERR MULTI calls can not be nested", "MULTI");
	h_call_error(c, "ERR WATCH inside MULTI is not allowed", "WATCH", "a");
	h_call_status(c, "QUEUED", "SET", "a", "1");
	r = h_call(c, "EXEC");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 1);
	resp_reply_free(r);
	h_call_bulk(c, "1", "GET", "a");
	/* A refused EXEC discards the transaction, in Redis's words. */
	h_ok(c, "MULTI");
	h_call_status(c, "QUEUED", "SET", "a", "2");
	h_cmd(c, "EXEC", "extra");
	h_expect_error_is(c, "EXECABORT Transaction discarded because of: wrong number of "
			     "arguments for 'exec' command");
	h_call_error(c, "ERR EXEC without MULTI", "EXEC");
	h_call_bulk(c, "1", "GET", "a");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_runtime_errors_are_elements_and_the_rest_runs)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct resp_reply *r;

	h_ok(c, "SET", "s", "text");
	h_ok(c, "MULTI");
	h_call_status(c, "QUEUED", "INCR", "s");
	h_call_status(c, "QUEUED", "SET", "k", "v", "EX", "0");
	h_call_status(c, "QUEUED", "SELECT", "99");
	h_call_status(c, "QUEUED", "SELECT", "4");
	h_call_status(c, "QUEUED", "SET", "k", "in4");
	r = h_call(c, "EXEC");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 5);
	ck_assert_int_eq(r->element[0]->type, RESP_ERROR);
	ck_assert_str_eq(r->element[0]->str, "ERR value is not an integer or out of range");
	ck_assert_str_eq(r->element[1]->str, "ERR invalid expire time in 'set' command");
	ck_assert_str_eq(r->element[2]->str, "ERR DB index is out of range");
	ck_assert_str_eq(r->element[3]->str, "OK");
	ck_assert_str_eq(r->element[4]->str, "OK");
	resp_reply_free(r);
	/* SELECT inside the transaction moved the later commands, and stays. */
	h_call_bulk(c, "in4", "GET", "k");
	h_ok(c, "SELECT", "0");
	h_call_nil(c, "GET", "k");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_discard_drops_the_queue)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);

	h_call_error(c, "ERR DISCARD without MULTI", "DISCARD");
	h_ok(c, "MULTI");
	h_call_status(c, "QUEUED", "SET", "k", "v");
	h_ok(c, "DISCARD");
	h_call_nil(c, "GET", "k");
	h_call_error(c, "ERR EXEC without MULTI", "EXEC");
	h_ok(c, "SET", "k", "v");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- WATCH ------------------------------------------------------------------ */

/* One kind of change another client makes to a watched key k. */
struct change {
	const char *what;
	const char *setup[6]; /* run by the other client before WATCH; NULL-ended */
	const char *cmd[6];   /* the change, run by the other client after WATCH */
};

static const struct change changes[] = {
	{"SET", {"SET", "k", "1"}, {"SET", "k", "2"}},
	{"SET on a missing key", {"DEL", "k"}, {"SET", "k", "2"}},
	{"DEL", {"SET", "k", "1"}, {"DEL", "k"}},
	{"INCR", {"SET", "k", "1"}, {"INCR", "k"}},
	{"MSET", {"SET", "k", "1"}, {"MSET", "a", "1", "k", "2"}},
	{"EXPIRE", {"SET", "k", "1"}, {"EXPIRE", "k", "100"}},
	{"PEXPIRE 0", {"SET", "k", "1"}, {"PEXPIRE", "k", "0"}},
	{"PERSIST", {"SET", "k", "1", "EX", "100"}, {"PERSIST", "k"}},
	{"FLUSHALL", {"SET", "k", "1"}, {"FLUSHALL"}},
	{"FLUSHDB", {"SET", "k", "1"}, {"FLUSHDB"}},
	{"LOCK.ACQUIRE", {"DEL", "k"}, {"LOCK.ACQUIRE", "k", "TOKEN", "t"}},
	{"LOCK.RENEW", {"LOCK.ACQUIRE", "k", "TOKEN", "t", "DETACH"},
	 {"LOCK.RENEW", "k", "t", "PX", "10000"}},
	{"LOCK.RELEASE", {"LOCK.ACQUIRE", "k", "TOKEN", "t", "DETACH"}, {"LOCK.RELEASE", "k", "t"}},
	{"POOL.ACQUIRE on a new pool", {"DEL", "k"}, {"POOL.ACQUIRE", "k", "5"}},
	{"POOL.ACQUIRE on a pool", {"POOL.ACQUIRE", "k", "5", "DETACH"}, {"POOL.ACQUIRE", "k", "5"}},
};

/* Sends words (NULL-ended) with "k" replaced by key, and reads the reply,
 * which must not be an error. */
static void run_words(struct h_client *o, const char *const *words, const char *key,
		      const char *what)
{
	struct resp_arg a[8];
	struct resp_reply *r;
	int n;

	for (n = 0; words[n] && n < 8; n++) {
		const char *w = strcmp(words[n], "k") == 0 ? key : words[n];

		a[n] = (struct resp_arg){w, strlen(w)};
	}
	h_cmdv(o, n, a);
	r = h_reply(o);
	ck_assert_msg(r->type != RESP_ERROR, "%s (%s): %s", what, words[0], r->str);
	resp_reply_free(r);
}

/* Another client's change to the watched key aborts EXEC; the same
 * change to another key (for a flush: of another database) does not. */
START_TEST(test_watch_is_invalidated_by_each_kind_of_change)
{
	const struct change *ch = &changes[_i];
	bool flush = strncmp(ch->what, "FLUSH", 5) == 0;
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d), *o = h_connect(d);

	run_words(o, ch->setup, "unrelated", ch->what);
	h_ok(c, "WATCH", "k");
	if (flush)
		h_ok(o, "SELECT", "9");
	run_words(o, ch->cmd, "unrelated", ch->what);
	if (flush)
		h_ok(o, "SELECT", "0");
	ck_assert_msg(!exec_aborted(c), "%s on another key aborted EXEC", ch->what);

	run_words(o, ch->setup, "k", ch->what);
	h_ok(c, "WATCH", "k");
	run_words(o, ch->cmd, "k", ch->what);
	ck_assert_msg(exec_aborted(c), "%s on the watched key did not abort EXEC", ch->what);
	/* EXEC ended the watch: the next transaction runs. */
	h_cmd(o, "DEL", "k");
	resp_reply_free(h_reply(o));
	ck_assert_msg(!exec_aborted(c), "%s: still watching after EXEC", ch->what);
	h_close(c);
	h_close(o);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_watch_expiry_lazy_or_at_exec_counts_as_change)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d), *o = h_connect(d);

	/* Live at WATCH, expired by EXEC, deleted by nobody. */
	h_ok(c, "SET", "k", "1", "PX", "50");
	h_ok(c, "WATCH", "k");
	h_sleep_ms(120);
	ck_assert(exec_aborted(c));
	/* Deleted lazily by another client's read. */
	h_ok(c, "SET", "k", "1", "PX", "50");
	h_ok(c, "WATCH", "k");
	h_sleep_ms(120);
	h_call_nil(o, "GET", "k");
	ck_assert(exec_aborted(c));
	/* Already expired at WATCH: its deletion changes nothing. */
	h_ok(c, "SET", "k", "1", "PX", "50");
	h_sleep_ms(120);
	h_ok(c, "WATCH", "k");
	h_call_nil(o, "GET", "k");
	ck_assert(!exec_aborted(c));
	/* A TTL still running is no change. */
	h_ok(c, "SET", "k", "1", "PX", "60000");
	h_ok(c, "WATCH", "k");
	ck_assert(!exec_aborted(c));
	h_close(c);
	h_close(o);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_watch_lock_session_end_pool_release_and_slot_lapse)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d), *o = h_connect(d), *p = h_connect(d);
	char id[64];

	/* The holder's connection closes: its session-bound lock goes. */
	h_cmd(o, "LOCK.ACQUIRE", "k");
	expect_grant_id(o, id, sizeof id);
	h_ok(c, "WATCH", "k");
	h_close(o);
	h_sleep_ms(50);
	h_call_int(c, 0, "EXISTS", "k");
	ck_assert(exec_aborted(c));
	/* A pool slot given back while others stay. */
	h_cmd(p, "POOL.ACQUIRE", "pl", "5");
	expect_grant_id(p, id, sizeof id);
	h_cmd(p, "POOL.ACQUIRE", "pl", "5");
	expect_grant_id(p, id, sizeof id);
	h_ok(c, "WATCH", "pl");
	h_call_int(p, 1, "POOL.RELEASE", "pl", id);
	ck_assert(exec_aborted(c));
	h_call_int(c, 1, "POOL.SIZE", "pl");
	/* A slot that lapses (found lapsed by POOL.SIZE) while another stays. */
	h_cmd(p, "POOL.ACQUIRE", "pl", "5", "PX", "50");
	expect_grant_id(p, id, sizeof id);
	h_ok(c, "WATCH", "pl");
	h_sleep_ms(120);
	h_call_int(p, 1, "POOL.SIZE", "pl");
	ck_assert(exec_aborted(c));
	/* Reading a lock or pool changes nothing. */
	h_ok(c, "WATCH", "pl");
	resp_reply_free(h_call(p, "POOL.INFO", "pl"));
	h_call_int(p, 1, "POOL.SIZE", "pl");
	ck_assert(!exec_aborted(c));
	h_close(c);
	h_close(p);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_watch_counts_own_writes_but_not_the_transactions)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d), *o = h_connect(d);
	struct resp_reply *r;

	h_ok(c, "SET", "k", "1");
	h_ok(c, "WATCH", "k");
	h_ok(c, "SET", "k", "2");
	/* CLIENT LIST shows it as Redis does: d (dirty), x (in MULTI), U (unix socket). */
	r = h_call(c, "CLIENT", "INFO");
	ck_assert_msg(strstr(r->str, " flags=dU ") != NULL, "%s", r->str);
	resp_reply_free(r);
	h_ok(c, "MULTI");
	h_call_status(c, "QUEUED", "GET", "k");
	r = h_call(o, "CLIENT", "LIST");
	ck_assert_msg(strstr(r->str, " flags=xdU ") != NULL, "%s", r->str);
	ck_assert_msg(strstr(r->str, " multi=1 ") != NULL, "%s", r->str);
	ck_assert_msg(strstr(r->str, " multi=-1 ") != NULL, "the other client: %s", r->str);
	resp_reply_free(r);
	h_ok(c, "DISCARD");
	ck_assert(!exec_aborted(c));
	h_ok(c, "WATCH", "k");
	h_ok(c, "SET", "k", "2");
	ck_assert(exec_aborted(c));
	h_ok(c, "WATCH", "k");
	h_ok(c, "MULTI");
	h_call_status(c, "QUEUED", "INCR", "k");
	r = h_call(c, "EXEC");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_int_eq(r->element[0]->integer, 3);
	resp_reply_free(r);
	/* UNWATCH forgets the change; DISCARD ends the watch too. */
	h_ok(c, "WATCH", "k");
	h_ok(c, "SET", "k", "4");
	h_ok(c, "UNWATCH");
	ck_assert(!exec_aborted(c));
	h_ok(c, "WATCH", "k");
	h_ok(c, "MULTI");
	h_ok(c, "DISCARD");
	h_ok(c, "SET", "k", "5");
	ck_assert(!exec_aborted(c));
	h_close(c);
	h_close(o);
	h_daemon_finish(d);
}
END_TEST

/* ---- no blocking inside EXEC ---------------------------------------------- */

START_TEST(test_acquire_with_wait_inside_exec_answers_at_once)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d), *o = h_connect(d), *x = h_connect(d);
	struct resp_reply *r;
	char id[64];
	int64_t t0;

	h_cmd(o, "LOCK.ACQUIRE", "k");
	expect_grant_id(o, id, sizeof id);
	h_cmd(o, "POOL.ACQUIRE", "p", "1");
	expect_grant_id(o, id, sizeof id);
	h_ok(c, "MULTI");
	h_call_status(c, "QUEUED", "LOCK.ACQUIRE", "k", "WAIT", "0");
	h_call_status(c, "QUEUED", "POOL.ACQUIRE", "p", "1", "WAIT", "0");
	h_call_status(c, "QUEUED", "LOCK.ACQUIRE", "free", "WAIT", "0");
	h_call_status(c, "QUEUED", "PING");
	t0 = h_now_ms();
	r = h_call(c, "EXEC");
	ck_assert_int_lt(h_now_ms() - t0, 1000 * h_slow());
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 4);
	ck_assert_int_eq(r->element[0]->type, RESP_ERROR);
	ck_assert_msg(strncmp(r->element[0]->str, "LOCKED ", 7) == 0, "%s", r->element[0]->str);
	ck_assert_int_eq(r->element[1]->type, RESP_ERROR);
	ck_assert_msg(strncmp(r->element[1]->str, "FULL ", 5) == 0, "%s", r->element[1]->str);
	ck_assert_int_eq(r->element[2]->type, RESP_ARRAY); /* a free key is granted */
	ck_assert_str_eq(r->element[3]->str, "PONG");
	resp_reply_free(r);
	/* Everyone stays responsive, and c is not queued behind o. */
	h_call_status(x, "PONG", "PING");
	h_call_status(c, "PONG", "PING");
	r = h_call(c, "LOCK.INFO", "k");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (strcmp(r->element[i]->str, "waiters") == 0)
			ck_assert_int_eq(r->element[i + 1]->integer, 0);
	resp_reply_free(r);
	/* Outside a transaction the same WAIT does wait. */
	h_call_error(c, "TIMEOUT", "LOCK.ACQUIRE", "k", "WAIT", "50");
	h_close(c);
	h_close(o);
	h_close(x);
	h_daemon_finish(d);
}
END_TEST

/* ---- state on disconnect, size, memory, access rules ------------------------ */

START_TEST(test_disconnect_mid_multi_frees_queue_and_watches)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d), *o = h_connect(d);
	char val[1024], key[32];

	memset(val, 'v', sizeof val - 1);
	val[sizeof val - 1] = '\0';
	h_ok(c, "WATCH", "k", "k2", "k3");
	h_ok(c, "MULTI");
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "q:%d", i);
		h_call_status(c, "QUEUED", "SET", key, val);
	}
	h_close(c);
	h_sleep_ms(50);
	/* Writing the keys it watched reaches no freed client (ASan,
	 * valgrind), and nothing it queued ran. */
	h_ok(o, "SET", "k", "1");
	h_ok(o, "SET", "k2", "1");
	h_call_int(o, 2, "DBSIZE");
	/* QUIT inside MULTI: +OK, the end, and the queue never runs. */
	c = h_connect(d);
	h_ok(c, "WATCH", "k");
	h_ok(c, "MULTI");
	h_call_status(c, "QUEUED", "SET", "quit", "1");
	h_ok(c, "QUIT");
	ck_assert(h_read_until_eof(c, H_TIMEOUT_MS * h_slow(), NULL));
	h_close(c);
	h_ok(o, "SET", "k", "2");
	h_call_int(o, 0, "EXISTS", "quit");
	h_close(o);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_huge_transaction_runs_every_command)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct resp_arg incr[2] = {{"INCR", 4}, {"n", 1}}, multi = {"MULTI", 5},
			exec = {"EXEC", 4};
	struct resp_reply *r;
	struct resp_buf b;

	resp_buf_init(&b);
	ck_assert_int_eq(resp_add_command(&b, 1, &multi), 0);
	for (int i = 0; i < HUGE_TX; i++)
		ck_assert_int_eq(resp_add_command(&b, 2, incr), 0);
	ck_assert_int_eq(resp_add_command(&b, 1, &exec), 0);
	h_set_timeout(c, 30000 * h_slow());
	h_send(c, b.data, b.len);
	resp_buf_free(&b);
	h_expect_status(c, "OK");
	for (int i = 0; i < HUGE_TX; i++)
		h_expect_status(c, "QUEUED");
	r = h_reply(c);
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, HUGE_TX);
	for (int i = 0; i < HUGE_TX; i++)
		ck_assert_int_eq(r->element[i]->integer, i + 1);
	resp_reply_free(r);
	h_call_bulk(c, "100000", "GET", "n");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* Rewrites conf to set maxmemory, reloads it (SIGHUP) and waits until o
 * sees the new value. */
static void set_maxmemory(struct h_daemon *d, struct h_client *o, const char *conf,
			  const char *value, const char *bytes)
{
	char text[64];
	int64_t until = h_now_ms() + H_TIMEOUT_MS * h_slow();

	snprintf(text, sizeof text, "maxmemory %s\n", value);
	h_write_file(conf, text);
	h_daemon_kill(d, SIGHUP);
	for (;;) {
		struct resp_reply *r = h_call(o, "CONFIG", "GET", "maxmemory");
		bool done = r->type == RESP_ARRAY && r->elements == 2 &&
			    strcmp(r->element[1]->str, bytes) == 0;

		resp_reply_free(r);
		if (done)
			return;
		ck_assert_msg(h_now_ms() < until, "maxmemory %s never took effect", value);
		h_sleep_ms(10);
	}
}

START_TEST(test_maxmemory_refuses_queuing_and_exec_of_writes)
{
	struct h_daemon *d = h_daemon_new();
	char conf[H_PATH_MAX + 16], val[1000], key[32];
	const char *args[] = {"--loglevel", "notice", "-c", conf, NULL};
	struct h_client *c, *o;
	struct resp_reply *r;

	snprintf(conf, sizeof conf, "%s/multi.conf", d->dir);
	h_write_file(conf, "maxmemory 16mb\n");
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	c = h_connect(d);
	o = h_connect(d);
	memset(val, 'm', sizeof val - 1);
	val[sizeof val - 1] = '\0';
	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof key, "fill:%d", i);
		h_ok(o, "SET", key, val);
	}
	h_ok(c, "MULTI");
	h_call_status(c, "QUEUED", "SET", "a", "1");
	/* The limit drops under what is used between queuing and EXEC. */
	set_maxmemory(d, o, conf, "1mb", "1048576");
	h_cmd(c, "EXEC");
	h_expect_error_is(c, "EXECABORT Transaction discarded because of: OOM command not allowed "
			     "when used memory > 'maxmemory'.");
	h_call_error(c, "ERR EXEC without MULTI", "EXEC");
	h_call_nil(c, "GET", "a");
	/* Full: inside MULTI every command is refused (queuing grows memory)
	 * and fails the transaction; DISCARD and an empty EXEC still work, and
	 * so does an EXEC of reads queued before memory ran out. */
	h_ok(c, "MULTI");
	h_call_error(c, "OOM ", "GET", "x");
	h_cmd(c, "EXEC");
	h_expect_error_is(c, "EXECABORT Transaction discarded because of previous errors.");
	h_ok(c, "MULTI");
	h_ok(c, "DISCARD");
	h_ok(c, "MULTI");
	r = h_call(c, "EXEC");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 0);
	resp_reply_free(r);
	set_maxmemory(d, o, conf, "16mb", "16777216");
	h_ok(c, "MULTI");
	h_call_status(c, "QUEUED", "GET", "fill:0");
	set_maxmemory(d, o, conf, "1mb", "1048576");
	r = h_call(c, "EXEC");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 1);
	ck_assert_str_eq(r->element[0]->str, val);
	resp_reply_free(r);
	h_close(c);
	h_close(o);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_access_rules_refuse_queuing_and_are_checked_again_at_exec)
{
	struct h_daemon *d = h_daemon_new();
	char conf[H_PATH_MAX + 16];
	const char *args[] = {"--loglevel", "notice", "-c", conf, NULL};
	struct h_client *c;
	struct resp_reply *r;

	/* The test's own uid is no admin here, so the rules apply to it. */
	snprintf(conf, sizeof conf, "%s/multi.conf", d->dir);
	h_write_file(conf, "admin-uid 4242\nacl-default +@all -incr ~*\n");
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	c = h_connect(d);
	h_ok(c, "MULTI");
	h_call_status(c, "QUEUED", "SET", "n", "1");
	h_call_error(c, "NOPERM ", "INCR", "n");
	h_cmd(c, "EXEC");
	h_expect_error_is(c, "EXECABORT Transaction discarded because of previous errors.");
	h_call_nil(c, "GET", "n");
	/* Rules reloaded between queuing and EXEC: that command's element. */
	h_ok(c, "MULTI");
	h_call_status(c, "QUEUED", "SET", "n", "1");
	h_call_status(c, "QUEUED", "GET", "n");
	h_write_file(conf, "admin-uid 4242\nacl-default +@all -set ~*\n");
	h_daemon_kill(d, SIGHUP);
	ck_assert(h_log_wait(d, "configuration reloaded", H_TIMEOUT_MS * h_slow()));
	r = h_call(c, "EXEC");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_int_eq(r->element[0]->type, RESP_ERROR);
	ck_assert_str_eq(r->element[0]->str, "NOPERM ACLs rules changed between the moment the "
					     "transaction was accumulated and its execution");
	ck_assert_int_eq(r->element[1]->type, RESP_NIL);
	resp_reply_free(r);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- redis-py ----------------------------------------------------------------- */

START_TEST(test_redis_py_pipelines_and_watch_retry_loop)
{
	struct h_daemon *d = start();
	char script[H_PATH_MAX], out[H_PATH_MAX + 8], err[H_PATH_MAX + 8];
	const char *argv[] = {"/usr/bin/python3", script, d->sock, NULL};
	char *o, *e;
	int status;

	snprintf(script, sizeof script, "%s", h_src_path("tests/compat/redis_py_tx.py"));
	snprintf(out, sizeof out, "%s/out", d->dir);
	snprintf(err, sizeof err, "%s/err", d->dir);
	status = h_exec(argv, NULL, out, err, PEER_TIMEOUT_MS * h_slow());
	o = h_slurp(out, NULL);
	e = h_slurp(err, NULL);
	ck_assert_msg(status != -1, "redis_py_tx.py still running after %d ms",
		      PEER_TIMEOUT_MS * h_slow());
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && o && strcmp(o, "ok\n") == 0,
		      "redis_py_tx.py: status 0x%x\nstdout:\n%.3000s\nstderr:\n%.3000s", status,
		      o ? o : "", e ? e : "");
	free(o);
	free(e);
	h_daemon_finish(d);
}
END_TEST

Suite *multi_suite(void)
{
	Suite *s = suite_create("multi");
	TCase *tc = tcase_create("transactions");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_queued_commands_run_at_exec_and_answer_an_array);
	tcase_add_test(tc, test_queuing_error_fails_the_transaction_with_execabort);
	tcase_add_test(tc, test_runtime_errors_are_elements_and_the_rest_runs);
	tcase_add_test(tc, test_discard_drops_the_queue);
	tcase_add_loop_test(tc, test_watch_is_invalidated_by_each_kind_of_change, 0,
			    (int)(sizeof changes / sizeof changes[0]));
	tcase_add_test(tc, test_watch_expiry_lazy_or_at_exec_counts_as_change);
	tcase_add_test(tc, test_watch_lock_session_end_pool_release_and_slot_lapse);
	tcase_add_test(tc, test_watch_counts_own_writes_but_not_the_transactions);
	tcase_add_test(tc, test_acquire_with_wait_inside_exec_answers_at_once);
	tcase_add_test(tc, test_disconnect_mid_multi_frees_queue_and_watches);
	tcase_add_test(tc, test_huge_transaction_runs_every_command);
	tcase_add_test(tc, test_maxmemory_refuses_queuing_and_exec_of_writes);
	tcase_add_test(tc, test_access_rules_refuse_queuing_and_are_checked_again_at_exec);
	tcase_add_test(tc, test_redis_py_pipelines_and_watch_retry_loop);
	suite_add_tcase(s, tc);
	return s;
}
