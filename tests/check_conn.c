/* check_conn.c - connection commands and diagnostics end to end (HELLO,
 * RESET, TIME, MONITOR, CLIENT, SLOWLOG, LATENCY) on the real daemon, and
 * CLIENT NO-TOUCH's store switch in-process.
 *
 * What redis-server answers the same way is also in tests/diff/cases/conn.txt;
 * these tests cover what needs several clients, time or cachifyd's own rules
 * (pause ordering, kills, monitor lines, the slow log's shapes, reloads).
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "check_suites.h"
#include "clock.h"
#include "harness.h"
#include "store.h"

#define T_SLOW_MS(ms) ((ms) * h_slow()) /* a bound, scaled for sanitizer builds */

/* A bulk reply's text as a new C string; frees the reply. */
static char *bulk_text(struct resp_reply *r)
{
	char *s;

	ck_assert_msg(r->type == RESP_BULK, "not a bulk reply");
	s = strdup(r->str);
	ck_assert_ptr_nonnull(s);
	resp_reply_free(r);
	return s;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; (s = strchr(s, '\n')); s++)
		n++;
	return n;
}

/* One MONITOR line, read raw up to its "\r\n" (new). */
static char *read_line(struct h_client *c)
{
	char buf[4096];
	size_t n = 0;

	while (n < sizeof buf - 1) {
		h_read_exact(c, buf + n, 1);
		n++;
		if (n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n')
			break;
	}
	buf[n] = '\0';
	return strdup(buf);
}

/* ---- HELLO, TIME, RESET ---------------------------------------------------- */

START_TEST(test_hello_2_answers_the_map_flat_and_3_is_noproto)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	struct resp_reply *r = h_call(c, "HELLO", "2", "AUTH", "default", "any", "SETNAME", "w1");
	long long id = 0;

	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 14);
	ck_assert_str_eq(r->element[0]->str, "server");
	ck_assert_str_eq(r->element[1]->str, "redis");
	ck_assert_str_eq(r->element[4]->str, "proto");
	ck_assert_int_eq(r->element[5]->integer, 2);
	ck_assert_str_eq(r->element[6]->str, "id");
	id = r->element[7]->integer;
	ck_assert_str_eq(r->element[9]->str, "standalone");
	ck_assert_str_eq(r->element[11]->str, "master");
	ck_assert_int_eq(r->element[13]->type, RESP_ARRAY);
	ck_assert_uint_eq(r->element[13]->elements, 0);
	resp_reply_free(r);
	ck_assert_int_eq(h_call_ll(c, "CLIENT", "ID"), id);
	h_call_bulk(c, "w1", "CLIENT", "GETNAME");
	h_call_error(c, "NOPROTO unsupported protocol version", "HELLO", "3");
	h_call_error(c, "WRONGPASS invalid username-password pair", "HELLO", "2", "AUTH", "bob",
		     "pw");
	/* Options act in order: the SETNAME before the bad option stays. */
	h_call_error(c, "ERR Syntax error in HELLO option 'bad'", "HELLO", "2", "SETNAME", "w2",
		     "bad");
	h_call_bulk(c, "w2", "CLIENT", "GETNAME");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_time_is_the_wall_clock_in_two_bulks)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	struct resp_reply *r = h_call(c, "TIME");
	struct timeval tv;

	gettimeofday(&tv, NULL);
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_int_eq(r->element[0]->type, RESP_BULK);
	ck_assert_int_le(llabs(atoll(r->element[0]->str) - (long long)tv.tv_sec), 2);
	ck_assert_int_lt(atoll(r->element[1]->str), 1000000);
	resp_reply_free(r);
	h_call_error(c, "ERR wrong number of arguments for 'time' command", "TIME", "x");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_reset_clears_the_session_but_keeps_its_locks)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d), *o = h_connect(d);
	struct resp_reply *r;
	char *info;

	h_ok(c, "SELECT", "4");
	h_ok(c, "CLIENT", "SETNAME", "before");
	h_ok(c, "CLIENT", "NO-EVICT", "on");
	h_ok(c, "CLIENT", "NO-TOUCH", "on");
	r = h_call(c, "LOCK.ACQUIRE", "L");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	resp_reply_free(r);
	h_call_status(c, "RESET", "RESET");
	h_call_nil(c, "CLIENT", "GETNAME");
	info = bulk_text(h_call(c, "CLIENT", "INFO"));
	ck_assert_msg(strstr(info, " db=0 ") && strstr(info, " flags=U "), "%s", info);
	free(info);
	/* The lock was taken in db 4 and is still held by c. */
	h_ok(o, "SELECT", "4");
	r = h_call(o, "LOCK.INFO", "L");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	resp_reply_free(r);
	h_close(c);
	h_close(o);
	h_daemon_finish(d);
}
END_TEST

/* ---- CLIENT ------------------------------------------------------------------ */

START_TEST(test_client_subcommand_errors_name_the_subcommand)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	struct resp_reply *r;

	h_call_error(c, "ERR unknown subcommand 'nope'. Try CLIENT HELP.", "CLIENT", "nope");
	h_call_error(c, "ERR wrong number of arguments for 'client|id' command", "CLIENT", "ID",
		     "x");
	h_call_error(c, "ERR wrong number of arguments for 'client|kill' command", "CLIENT",
		     "KILL");
	h_call_error(c, "ERR wrong number of arguments for 'client|setinfo' command", "CLIENT",
		     "SETINFO", "lib-name");
	h_call_error(c, "ERR syntax error", "CLIENT", "NO-TOUCH", "maybe");
	h_call_error(c, "ERR Unrecognized option 'lib'", "CLIENT", "SETINFO", "lib", "x");
	h_call_error(c, "ERR lib-ver cannot contain spaces, newlines or special characters.",
		     "CLIENT", "SETINFO", "lib-ver", "1 2");
	r = h_call(c, "CLIENT", "HELP");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_gt(r->elements, 10);
	ck_assert_str_eq(r->element[0]->str,
			 "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
	resp_reply_free(r);
	/* Names have no length limit, as in Redis. */
	{
		char name[300];

		memset(name, 'n', sizeof name - 1);
		name[sizeof name - 1] = '\0';
		h_ok(c, "CLIENT", "SETNAME", name);
		h_call_bulk(c, name, "CLIENT", "GETNAME");
	}
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_client_list_shows_redis_fields_lib_and_ours_oldest_first)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *a = h_connect(d), *b = h_connect(d);
	long long ida = h_call_ll(a, "CLIENT", "ID"), idb = h_call_ll(b, "CLIENT", "ID");
	char want[128], *list, *pa, *pb;

	h_ok(a, "CLIENT", "SETINFO", "LIB-NAME", "redis-py");
	h_ok(a, "CLIENT", "SETINFO", "lib-ver", "5.0.1");
	h_ok(a, "CLIENT", "NO-EVICT", "ON");
	h_ok(a, "CLIENT", "NO-TOUCH", "on");
	list = bulk_text(h_call(b, "CLIENT", "LIST"));
	ck_assert_int_eq(count_lines(list), 2);
	snprintf(want, sizeof want, "id=%lld ", ida);
	pa = strstr(list, want);
	snprintf(want, sizeof want, "id=%lld ", idb);
	pb = strstr(list, want);
	ck_assert_msg(pa && pb && pa < pb, "not oldest first:\n%s", list);
	ck_assert_msg(strstr(list, " flags=UeT ") && strstr(list, " lib-name=redis-py lib-ver=5.0.1 "),
		      "%s", list);
	ck_assert_msg(strstr(list, " cmd=client|list user=default redir=-1 resp=2 lib-name= "),
		      "%s", list);
	snprintf(want, sizeof want, " pid=%d uid=%d ", (int)getpid(), (int)getuid());
	ck_assert_msg(strstr(list, want), "%s", list);
	free(list);
	/* Filters: TYPE normal is everyone, other types nobody; ID in order. */
	list = bulk_text(h_call(b, "CLIENT", "LIST", "TYPE", "normal"));
	ck_assert_int_eq(count_lines(list), 2);
	free(list);
	list = bulk_text(h_call(b, "CLIENT", "LIST", "TYPE", "pubsub"));
	ck_assert_str_eq(list, "");
	free(list);
	snprintf(want, sizeof want, "%lld", ida);
	list = bulk_text(h_call(b, "CLIENT", "LIST", "ID", want));
	ck_assert_int_eq(count_lines(list), 1);
	snprintf(want, sizeof want, "id=%lld ", ida);
	ck_assert(strncmp(list, want, strlen(want)) == 0);
	free(list);
	h_call_error(b, "ERR Invalid client ID", "CLIENT", "LIST", "ID", "1", "x");
	h_call_error(b, "ERR Unknown client type 'bogus'", "CLIENT", "LIST", "TYPE", "bogus");
	h_close(a);
	h_close(b);
	h_daemon_finish(d);
}
END_TEST

/* A client the daemon has accepted: connect() returns before it has, so a
 * KILL sent at once by another client could miss it. */
static struct h_client *connect_known(const struct h_daemon *d)
{
	struct h_client *c = h_connect(d);

	h_call_status(c, "PONG", "PING");
	return c;
}

/* Asserts that c was closed by the server. */
static void expect_closed(struct h_client *c)
{
	ck_assert(h_read_until_eof(c, T_SLOW_MS(3000), NULL));
}

START_TEST(test_client_kill_by_each_filter)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *k = h_connect(d), *v1 = h_connect(d), *v2 = h_connect(d);
	char id[32], addr[H_SOCK_MAX + 4];

	snprintf(addr, sizeof addr, "%s:0", d->sock);
	/* ID: exactly that client. */
	snprintf(id, sizeof id, "%lld", h_call_ll(v1, "CLIENT", "ID"));
	h_call_int(k, 1, "CLIENT", "KILL", "ID", id);
	expect_closed(v1);
	h_close(v1);
	h_call_int(k, 0, "CLIENT", "KILL", "ID", id);
	h_call_status(v2, "PONG", "PING");
	/* TYPE normal, USER default, ADDR and LADDR match every other client;
	 * the caller is skipped (SKIPME yes is the default). */
	h_call_int(k, 1, "CLIENT", "KILL", "TYPE", "normal");
	expect_closed(v2);
	h_close(v2);
	v1 = connect_known(d);
	h_call_int(k, 1, "CLIENT", "KILL", "USER", "default");
	expect_closed(v1);
	h_close(v1);
	v1 = connect_known(d);
	h_call_int(k, 0, "CLIENT", "KILL", "TYPE", "pubsub");
	h_call_int(k, 0, "CLIENT", "KILL", "ADDR", "127.0.0.1:6379");
	h_call_int(k, 1, "CLIENT", "KILL", "LADDR", addr);
	expect_closed(v1);
	h_close(v1);
	/* MAXAGE: only connections older than that many seconds. */
	v1 = connect_known(d);
	h_call_status(v1, "PONG", "PING");
	h_call_int(k, 0, "CLIENT", "KILL", "MAXAGE", "100");
	h_call_status(v1, "PONG", "PING");
	h_sleep_ms(2100);
	h_call_int(k, 1, "CLIENT", "KILL", "MAXAGE", "1");
	expect_closed(v1);
	h_close(v1);
	/* The old form: +OK, or no such client; it kills the caller too. */
	h_call_error(k, "ERR No such client", "CLIENT", "KILL", "nowhere:1");
	v1 = connect_known(d);
	h_ok(v1, "CLIENT", "KILL", addr);
	expect_closed(k);
	expect_closed(v1);
	h_close(k);
	h_close(v1);
	/* SKIPME no: the caller too, after its reply. */
	k = connect_known(d);
	h_call_int(k, 1, "CLIENT", "KILL", "ADDR", addr, "SKIPME", "no");
	expect_closed(k);
	h_close(k);
	k = connect_known(d);
	h_call_error(k, "ERR syntax error", "CLIENT", "KILL", "SKIPME", "perhaps");
	h_call_error(k, "ERR client-id should be greater than 0", "CLIENT", "KILL", "ID", "0");
	h_call_error(k, "ERR No such user 'root'", "CLIENT", "KILL", "USER", "root");
	h_close(k);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_client_pause_write_holds_writes_in_order_and_lets_reads_pass)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *a = h_connect(d), *b = h_connect(d), *c = h_connect(d);
	int64_t t0;
	char *list;

	h_ok(a, "SET", "k", "0");
	t0 = h_now_ms();
	h_ok(a, "CLIENT", "PAUSE", "400", "WRITE");
	/* Reads answer at once. */
	h_call_bulk(b, "0", "GET", "k");
	ck_assert_int_lt(h_now_ms() - t0, 300);
	/* Writes wait, and b's pipelined GET waits behind its SET. */
	h_cmd(b, "SET", "k", "1");
	h_cmd(b, "GET", "k");
	h_sleep_ms(50);
	h_cmd(c, "SET", "k", "2");
	ck_assert(h_is_quiet(b, 100));
	ck_assert(h_is_quiet(c, 10));
	list = bulk_text(h_call(a, "CLIENT", "LIST"));
	ck_assert_msg(strstr(list, "flags=bU"), "held clients show flag b:\n%s", list);
	free(list);
	h_expect_status(b, "OK");
	ck_assert_int_ge(h_now_ms() - t0, 390);
	h_expect_bulk(b, "1");
	h_expect_status(c, "OK");
	/* Held in arrival order: c's SET ran last. */
	h_call_bulk(a, "2", "GET", "k");
	h_close(a);
	h_close(b);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_client_pause_all_holds_every_command_even_unpause)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *a = h_connect(d), *b = h_connect(d), *e = h_connect(d),
			*gone = h_connect(d);

	h_ok(a, "CLIENT", "PAUSE", "100000");
	h_cmd(b, "PING");
	h_cmd(gone, "SET", "x", "1");
	ck_assert(h_is_quiet(b, 100));
	/* Errors from unknown commands and bad arities are not held. */
	h_call_error(e, "ERR unknown command", "NOSUCH");
	h_call_error(e, "ERR wrong number of arguments for 'get' command", "GET");
	/* A held client that disconnects leaves the queue (ASan/valgrind watch). */
	h_close(gone);
	/* Everyone is held, the pauser too: UNPAUSE cannot come from a client. */
	h_cmd(a, "CLIENT", "UNPAUSE");
	ck_assert(h_is_quiet(a, 100));
	ck_assert(h_is_quiet(b, 10));
	h_close(a);
	h_close(b);
	h_close(e);
	/* Shutting down while clients are held frees everything. */
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_client_pause_ends_by_timeout_and_unpause)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *a = h_connect(d), *b = h_connect(d);
	int64_t t0 = h_now_ms();

	h_ok(a, "CLIENT", "PAUSE", "300", "ALL");
	h_cmd(b, "PING");
	ck_assert(h_is_quiet(b, 100));
	h_expect_status(b, "PONG");
	ck_assert_int_ge(h_now_ms() - t0, 290);
	/* WRITE pauses end with UNPAUSE from a reader. */
	h_ok(a, "CLIENT", "PAUSE", "100000", "WRITE");
	h_cmd(b, "SET", "k", "v");
	ck_assert(h_is_quiet(b, 100));
	h_ok(a, "CLIENT", "UNPAUSE");
	h_expect_status(b, "OK");
	h_call_error(a, "ERR timeout is negative", "CLIENT", "PAUSE", "-1");
	h_call_error(a, "ERR CLIENT PAUSE mode must be WRITE or ALL", "CLIENT", "PAUSE", "x", "y");
	h_close(a);
	h_close(b);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_non_admins_may_not_pause_monitor_or_read_the_logs)
{
	/* The test's own uid is not an admin here. */
	struct h_daemon *d = h_daemon_start("--admin-uid", "65534", NULL);
	struct h_client *c = h_connect(d), *o = h_connect(d);
	struct resp_reply *r = h_call(c, "CLIENT", "PAUSE", "10000");

	ck_assert_int_eq(r->type, RESP_ERROR);
	ck_assert_msg(strncmp(r->str, "NOPERM User ", 12) == 0 &&
			      strstr(r->str, " has no permissions to run the 'client|pause' command"),
		      "%s", r->str);
	resp_reply_free(r);
	h_call_status(o, "OK", "SET", "k", "v");
	h_call_error(c, "NOPERM User ", "CLIENT", "UNPAUSE");
	h_call_error(c, "NOPERM User ", "MONITOR");
	h_call_error(c, "NOPERM User ", "SLOWLOG", "GET");
	h_call_error(c, "NOPERM User ", "LATENCY", "LATEST");
	/* KILL is for everyone, over its own uid's connections. */
	h_call_status(o, "PONG", "PING");
	h_call_int(c, 1, "CLIENT", "KILL", "TYPE", "normal");
	ck_assert(h_read_until_eof(o, T_SLOW_MS(3000), NULL));
	h_close(c);
	h_close(o);
	h_daemon_finish(d);
}
END_TEST

/* ---- MONITOR --------------------------------------------------------------- */

START_TEST(test_monitor_lines_quote_binary_and_hide_admin_commands)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *m = h_connect(d), *c = h_connect(d);
	struct resp_arg set[] = {{"set", 3}, {"k\x00\x01\xff\"\\ \n\r\t\a\b", 12}, {"v", 1}};
	char *line, want[H_SOCK_MAX + 64];
	const char *p;

	h_ok(m, "MONITOR");
	h_ok(c, "SELECT", "2");
	h_cmdv(c, 3, set);
	h_expect_status(c, "OK");
	/* Not shown: admin commands, and commands refused before they ran. */
	resp_reply_free(h_call(c, "CONFIG", "GET", "hz"));
	resp_reply_free(h_call(c, "SLOWLOG", "LEN"));
	resp_reply_free(h_call(c, "CLIENT", "LIST"));
	h_call_error(c, "ERR wrong number", "GET");
	h_call_error(c, "ERR wrong number", "CLIENT", "ID", "x");
	h_cmd(c, "HELLO", "2", "AUTH", "default", "secret");
	resp_reply_free(h_reply(c));

	line = read_line(m);
	/* +<sec>.<6 digits> [db unix:<socket>] "args" */
	ck_assert_msg(line[0] == '+' && (p = strchr(line, '.')) && strspn(p + 1, "0123456789") == 6,
		      "%s", line);
	snprintf(want, sizeof want, " [2 unix:%s] \"SELECT\" \"2\"\r\n", d->sock);
	ck_assert_msg(strstr(line, want) == p + 7, "%s", line);
	free(line);
	line = read_line(m);
	ck_assert_msg(strstr(line, "] \"set\" \"k\\x00\\x01\\xff\\\"\\\\ \\n\\r\\t\\a\\b\" \"v\"\r\n"),
		      "%s", line);
	free(line);
	line = read_line(m);
	ck_assert_msg(strstr(line, "] \"HELLO\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\"\r\n"),
		      "%s", line);
	free(line);
	/* A monitor cannot touch the keyspace but may PING, and sees itself. */
	h_call_error(m, "ERR Replica can't interact with the keyspace", "GET", "k");
	h_call_status(m, "PONG", "PING");
	/* Its own line came with the reply: through the reply reader. */
	{
		struct resp_reply *r = h_reply(m);

		ck_assert_int_eq(r->type, RESP_STRING);
		ck_assert_msg(strstr(r->str, "] \"PING\""), "%s", r->str);
		resp_reply_free(r);
	}
	/* RESET ends it. */
	h_call_status(m, "RESET", "RESET");
	h_call_nil(m, "GET", "k");
	h_ok(c, "SET", "k2", "v");
	ck_assert(h_is_quiet(m, 100));
	h_close(m);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- SLOWLOG and LATENCY --------------------------------------------------- */

START_TEST(test_slowlog_at_zero_logs_every_command_in_redis_shape)
{
	struct h_daemon *d = h_daemon_start("--slowlog-log-slower-than", "0", "--slowlog-max-len",
					    "3", NULL);
	struct h_client *c = h_connect(d);
	struct resp_arg args[39];
	char words[39][16], big[200];
	struct resp_reply *r, *e;
	char addr[H_SOCK_MAX + 4];

	snprintf(addr, sizeof addr, "%s:0", d->sock);
	h_ok(c, "CLIENT", "SETNAME", "logger");
	h_ok(c, "SLOWLOG", "RESET");
	/* 39 arguments: 31 kept, then "... (8 more arguments)". */
	args[0] = (struct resp_arg){"mset", 4};
	for (int i = 1; i < 39; i++) {
		snprintf(words[i], sizeof words[i], "k%d", i);
		args[i] = (struct resp_arg){words[i], strlen(words[i])};
	}
	h_cmdv(c, 39, args);
	h_expect_status(c, "OK");
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	h_call_bulk(c, big, "ECHO", big);
	r = h_call(c, "SLOWLOG", "GET");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	/* SLOWLOG RESET, MSET, ECHO: the GET itself is logged after it ran. */
	ck_assert_uint_eq(r->elements, 3);
	e = r->element[0];
	ck_assert_uint_eq(e->elements, 6);
	ck_assert_int_eq(e->element[0]->type, RESP_INTEGER);
	ck_assert_int_eq(e->element[3]->element[0]->len, 4);
	ck_assert_str_eq(e->element[3]->element[0]->str, "ECHO");
	ck_assert_str_eq(e->element[3]->element[1]->str + 128, "... (71 more bytes)");
	ck_assert_str_eq(e->element[4]->str, addr);
	ck_assert_str_eq(e->element[5]->str, "logger");
	e = r->element[1];
	ck_assert_uint_eq(e->element[3]->elements, 32);
	ck_assert_str_eq(e->element[3]->element[31]->str, "... (8 more arguments)");
	ck_assert_int_eq(r->element[0]->element[0]->integer, e->element[0]->integer + 1);
	resp_reply_free(r);
	/* max-len 3 keeps the newest three; GET 1 and GET -1 and the HELLO secret. */
	h_cmd(c, "HELLO", "2", "AUTH", "default", "pw");
	resp_reply_free(h_reply(c));
	h_call_int(c, 3, "SLOWLOG", "LEN");
	r = h_call(c, "SLOWLOG", "GET", "1");
	ck_assert_uint_eq(r->elements, 1);
	ck_assert_str_eq(r->element[0]->element[3]->element[0]->str, "SLOWLOG");
	resp_reply_free(r);
	r = h_call(c, "SLOWLOG", "GET", "-1");
	ck_assert_uint_eq(r->elements, 3);
	e = r->element[2]->element[3];
	ck_assert_str_eq(e->element[0]->str, "HELLO");
	ck_assert_str_eq(e->element[3]->str, "(redacted)");
	ck_assert_str_eq(e->element[4]->str, "(redacted)");
	resp_reply_free(r);
	h_call_error(c, "ERR count should be greater than or equal to -1", "SLOWLOG", "GET", "-2");
	h_call_error(c, "ERR unknown subcommand 'x'. Try SLOWLOG HELP.", "SLOWLOG", "x");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_slowlog_threshold_is_reloaded_on_sighup)
{
	struct h_daemon *d = h_daemon_new();
	char conf[H_PATH_MAX + 16];
	const char *args[] = {conf, NULL};
	struct h_client *c;
	int64_t deadline;
	long long n = 0;

	snprintf(conf, sizeof conf, "%s/cachifyd.conf", d->dir);
	h_write_file(conf, "slowlog-log-slower-than -1\n");
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	c = h_connect(d);
	h_call_status(c, "PONG", "PING");
	h_call_int(c, 0, "SLOWLOG", "LEN");
	h_write_file(conf, "slowlog-log-slower-than 0\nslowlog-max-len 1000\n");
	h_daemon_kill(d, SIGHUP);
	deadline = h_now_ms() + T_SLOW_MS(5000);
	while (n == 0 && h_now_ms() < deadline) {
		h_sleep_ms(20);
		n = h_call_ll(c, "SLOWLOG", "LEN");
	}
	ck_assert_int_gt(n, 0);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_latency_records_commands_over_the_threshold)
{
	struct h_daemon *d = h_daemon_start("--latency-monitor-threshold", "1", NULL);
	struct h_client *c = h_connect(d);
	struct resp_reply *r;
	char *doc;
	int found = 0;

	/* FLUSHALL of 200k keys takes well over 1 ms (a slow command). */
	for (int batch = 0; batch < 200; batch++) {
		struct resp_arg args[1001];
		char keys[500][32];

		args[0] = (struct resp_arg){"mset", 4};
		for (int i = 0; i < 500; i++) {
			snprintf(keys[i], sizeof keys[i], "k%d-%d", batch, i);
			args[1 + 2 * i] = (struct resp_arg){keys[i], strlen(keys[i])};
			args[2 + 2 * i] = (struct resp_arg){"v", 1};
		}
		h_cmdv(c, 1001, args);
		h_expect_status(c, "OK");
	}
	h_ok(c, "FLUSHALL");
	r = h_call(c, "LATENCY", "LATEST");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	for (size_t i = 0; i < r->elements; i++) {
		struct resp_reply *e = r->element[i];

		ck_assert_uint_eq(e->elements, 4);
		if (strcmp(e->element[0]->str, "command") == 0) {
			found = 1;
			ck_assert_int_ge(e->element[2]->integer, 1);
			ck_assert_int_ge(e->element[3]->integer, e->element[2]->integer);
		}
	}
	ck_assert_msg(found, "no \"command\" event after a slow FLUSHALL");
	resp_reply_free(r);
	r = h_call(c, "LATENCY", "HISTORY", "command");
	ck_assert_uint_ge(r->elements, 1);
	ck_assert_uint_eq(r->element[0]->elements, 2);
	resp_reply_free(r);
	doc = bulk_text(h_call(c, "LATENCY", "DOCTOR"));
	ck_assert_msg(strstr(doc, "command: "), "%s", doc);
	free(doc);
	/* (The RESET may itself be slow enough to start a new "command"
	 * event under valgrind: only the count it answers is certain.) */
	h_call_int(c, 1, "LATENCY", "RESET", "command", "nosuch");
	h_call_int(c, 0, "LATENCY", "RESET", "nosuch");
	h_call_error(c, "ERR No samples available for event 'nosuch'", "LATENCY", "GRAPH",
		     "nosuch");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- NO-TOUCH in the store ------------------------------------------------- */

START_TEST(test_store_no_touch_leaves_the_lru_clock_alone)
{
	struct store *s;
	struct sentry *e;
	uint32_t lru;

	clock_fake_set(1000000, 0);
	s = store_new();
	ck_assert_ptr_nonnull(store_put(s, 0, "k", 1, "v", 1, STORE_STRING, STORE_NO_EXPIRE));
	lru = store_find(s, 0, "k", 1)->lru;
	clock_fake_set(1000000 + 5000, 0);
	store_set_no_touch(s, true);
	ck_assert_uint_eq(store_find(s, 0, "k", 1)->lru, lru);
	ck_assert_uint_eq(store_find_write(s, 0, "k", 1)->lru, lru);
	store_set_no_touch(s, false);
	e = store_find(s, 0, "k", 1);
	ck_assert_uint_eq(e->lru, lru + 5);
	store_free(s);
	clock_fake_off();
}
END_TEST

Suite *conn_suite(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("conn");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hello_2_answers_the_map_flat_and_3_is_noproto);
	tcase_add_test(tc, test_time_is_the_wall_clock_in_two_bulks);
	tcase_add_test(tc, test_reset_clears_the_session_but_keeps_its_locks);
	tcase_add_test(tc, test_client_subcommand_errors_name_the_subcommand);
	tcase_add_test(tc, test_client_list_shows_redis_fields_lib_and_ours_oldest_first);
	tcase_add_test(tc, test_client_kill_by_each_filter);
	tcase_add_test(tc, test_client_pause_write_holds_writes_in_order_and_lets_reads_pass);
	tcase_add_test(tc, test_client_pause_all_holds_every_command_even_unpause);
	tcase_add_test(tc, test_client_pause_ends_by_timeout_and_unpause);
	tcase_add_test(tc, test_non_admins_may_not_pause_monitor_or_read_the_logs);
	tcase_add_test(tc, test_monitor_lines_quote_binary_and_hide_admin_commands);
	tcase_add_test(tc, test_slowlog_at_zero_logs_every_command_in_redis_shape);
	tcase_add_test(tc, test_slowlog_threshold_is_reloaded_on_sighup);
	tcase_add_test(tc, test_latency_records_commands_over_the_threshold);
	tcase_add_test(tc, test_store_no_touch_leaves_the_lru_clock_alone);
	suite_add_tcase(s, tc);
	return s;
}
