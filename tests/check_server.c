/* check_server.c - cachifyd end to end: fork the real daemon on a temporary
 * socket and speak raw bytes to it (beanstalkd's testserv.c).
 *
 * Covers framing (inline, multibulk, pipelining split anywhere, hostile
 * input), per-client limits, the Redis 7 replies of every command, expiry,
 * signals, socket safety and maxmemory. Unit-level detail lives in the
 * module suites; peers (redis-cli, redis-py) are in check_compat.c.
 */
#include <check.h>
#include <sys/resource.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_suites.h"
#include "harness.h"

#define T_SLOW_MS(ms) ((ms) * h_slow()) /* a bound, scaled for sanitizer builds */

/* ---- local helpers -------------------------------------------------------- */

/* Reads n bytes and compares them with want, showing where they differ. */
static void expect_raw_at(const char *file, int line, struct h_client *c, const char *want,
			  size_t n)
{
	char *got = malloc(n + 1);
	size_t i;

	ck_assert_ptr_nonnull(got);
	h_read_exact_at(file, line, c, got, n);
	for (i = 0; i < n && got[i] == want[i]; i++)
		;
	if (i < n) {
		size_t from = i > 40 ? i - 40 : 0;
		size_t len = n - from < 80 ? n - from : 80;

		ck_abort_msg("%s:%d: reply stream differs at byte %zu of %zu:\n"
			     "  want ...%.*s\n  got  ...%.*s",
			     file, line, i, n, (int)len, want + from, (int)len, got + from);
	}
	free(got);
}
#define expect_raw(c, want, n) expect_raw_at(__FILE__, __LINE__, c, want, n)

/* The INFO text of a section (new, NUL-terminated). */
static char *info_text(struct h_client *c, const char *section)
{
	struct resp_reply *r = section ? h_call(c, "INFO", section) : h_call(c, "INFO");
	char *s;

	ck_assert_int_eq(r->type, RESP_BULK);
	s = strdup(r->str);
	ck_assert_ptr_nonnull(s);
	resp_reply_free(r);
	return s;
}

/* Pipelines count commands built by fmt(i) and expects each reply to be
 * exactly reply (raw), reading as it goes so neither side stalls. */
static void pipeline_same_reply(struct h_client *c, int count, const char *fmt, const char *reply)
{
	const int batch = 2000;
	size_t rlen = strlen(reply);
	char *want = malloc(rlen * (size_t)batch);

	ck_assert_ptr_nonnull(want);
	for (int i = 0; i < batch; i++)
		memcpy(want + rlen * (size_t)i, reply, rlen);
	for (int done = 0; done < count; done += batch) {
		int n = count - done < batch ? count - done : batch;
		struct resp_buf b;

		resp_buf_init(&b);
		for (int i = done; i < done + n; i++) {
			char line[256];
			int len = snprintf(line, sizeof line, fmt, i);

			ck_assert_int_eq(resp_buf_append(&b, line, (size_t)len), 0);
		}
		h_send(c, b.data, b.len);
		resp_buf_free(&b);
		expect_raw(c, want, rlen * (size_t)n);
	}
	free(want);
}

/* A bulk string argument of n copies of ch (new). */
static char *filled(size_t n, char ch)
{
	char *p = malloc(n + 1);

	ck_assert_ptr_nonnull(p);
	memset(p, ch, n);
	p[n] = '\0';
	return p;
}

/* ---- PING, ECHO, QUIT, inline and multibulk -------------------------------- */

START_TEST(test_ping_echo_quit_replies_then_eof)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	size_t n = 99;

	h_call_status(c, "PONG", "PING");
	h_call_bulk(c, "hello world", "PING", "hello world");
	h_call_bulk(c, "a\r\nb", "ECHO", "a\r\nb");
	h_call_error(c, "ERR wrong number of arguments for 'echo' command", "ECHO");
	h_send_str(c, "PING\r\nping\r\n");
	h_expect_status(c, "PONG");
	h_expect_status(c, "PONG");
	h_call_status(c, "OK", "QUIT");
	ck_assert_msg(h_read_until_eof(c, T_SLOW_MS(5000), &n), "QUIT did not close");
	ck_assert_uint_eq(n, 0);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_quit_pipelined_drops_later_commands)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	static const char want[] = "+PONG\r\n+OK\r\n";
	char buf[sizeof want - 1];
	size_t n = 99;

	h_send_str(c, "PING\r\nQUIT\r\nSET after quit\r\n");
	h_read_exact(c, buf, sizeof buf);
	ck_assert(memcmp(buf, want, sizeof buf) == 0);
	ck_assert(h_read_until_eof(c, T_SLOW_MS(5000), &n));
	ck_assert_uint_eq(n, 0);
	h_close(c);
	c = h_connect(d);
	h_call_nil(c, "GET", "after");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_inline_quotes_escapes_and_blank_lines)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);

	h_send_str(c, "SET a \"hello world\"\r\nGET a\r\n");
	h_expect_status(c, "OK");
	h_expect_bulk(c, "hello world");
	h_send_str(c, "SET b \"\\x41\\x00z\\n\"\r\nGET b\r\n");
	h_expect_status(c, "OK");
	h_expect_bulkn(c, "A\0z\n", 4);
	h_send_str(c, "SET c 'it\\'s'\r\nGET c\r\n");
	h_expect_status(c, "OK");
	h_expect_bulk(c, "it's");
	/* Blank lines, surrounding blanks and a bare LF terminator. */
	h_send_str(c, "\r\n\r\n   PING   \r\n\tECHO  x\nECHO \"\"\r\n");
	h_expect_status(c, "PONG");
	h_expect_bulk(c, "x");
	h_expect_bulk(c, "");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_multibulk_binary_safe_arguments)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	static const char key[] = "k\0\r\ney";
	static const char val[] = "\0\r\n$3\r\n*1\r\n\xff";
	struct resp_arg set[] = {{"SET", 3}, {key, sizeof key - 1}, {val, sizeof val - 1}};
	struct resp_arg get[] = {{"GET", 3}, {key, sizeof key - 1}};
	struct resp_arg empty[] = {{"SET", 3}, {"", 0}, {"", 0}};
	struct resp_arg getempty[] = {{"GET", 3}, {"", 0}};

	h_cmdv(c, 3, set);
	h_expect_status(c, "OK");
	h_cmdv(c, 2, get);
	h_expect_bulkn(c, val, sizeof val - 1);
	h_cmdv(c, 3, empty);
	h_expect_status(c, "OK");
	h_cmdv(c, 2, getempty);
	h_expect_bulkn(c, "", 0);
	h_call_int(c, 2, "DBSIZE");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* Redis's default limits (issue 11): a 1.1 MB cached value broke
 * py-cachify's pipe when proto-max-bulk-len was 1mb, and a reply bigger
 * than the old 8mb output limit closed the client. Both now pass with
 * the defaults, and MSET may have more than 1024 arguments. */
START_TEST(test_default_limits_take_big_values_and_many_arguments)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	static const size_t sizes[] = {1100 * 1000, 12 * 1024 * 1024};
	enum { PAIRS = 2000 };
	struct resp_arg *mset = calloc(1 + 2 * PAIRS, sizeof *mset);
	char (*names)[16] = calloc(PAIRS, sizeof *names);

	ck_assert_ptr_nonnull(mset);
	ck_assert_ptr_nonnull(names);
	h_set_timeout(c, 30000 * h_slow());
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char *val = malloc(sizes[i]);
		struct resp_arg set[] = {{"SET", 3}, {"big", 3}, {val, sizes[i]}};
		struct resp_arg get[] = {{"GET", 3}, {"big", 3}};

		ck_assert_ptr_nonnull(val);
		for (size_t j = 0; j < sizes[i]; j++)
			val[j] = (char)('a' + (j * 7 + i) % 26);
		h_cmdv(c, 3, set);
		h_expect_status(c, "OK");
		h_cmdv(c, 2, get);
		h_expect_bulkn(c, val, sizes[i]);
		free(val);
	}
	mset[0] = (struct resp_arg){"MSET", 4};
	for (int i = 0; i < PAIRS; i++) {
		snprintf(names[i], sizeof names[i], "k%d", i);
		mset[1 + 2 * i] = (struct resp_arg){names[i], strlen(names[i])};
		mset[2 + 2 * i] = (struct resp_arg){"v", 1};
	}
	h_cmdv(c, 1 + 2 * PAIRS, mset);
	h_expect_status(c, "OK");
	h_call_int(c, PAIRS + 1, "DBSIZE");
	free(mset);
	free(names);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_multibulk_zero_and_negative_counts_are_ignored)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);

	/* Redis skips *0, *-1 and *-10 without a reply and keeps the client. */
	h_send_str(c, "*0\r\n*-1\r\n*-10\r\nPING\r\n");
	h_expect_status(c, "PONG");
	ck_assert(h_is_quiet(c, 100));
	h_send_str(c, "*-10\r\n");
	h_call_status(c, "PONG", "PING");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- hostile input ---------------------------------------------------------- */

/* Each case: bytes that must get exactly this protocol error, then EOF. */
static const struct hostile {
	const char *name;
	const char *bytes; /* NULL: built by hostile_bytes() */
	size_t len;
	const char *error;
} hostile[] = {
#define H(name, bytes, err) {name, bytes, sizeof bytes - 1, err}
	H("huge multibulk count", "*3000000000\r\n", "ERR Protocol error: invalid multibulk length"),
	H("multibulk count over proto-max-args", "*1025\r\n",
	  "ERR Protocol error: invalid multibulk length"),
	H("non-numeric multibulk count", "*x\r\n", "ERR Protocol error: invalid multibulk length"),
	H("missing dollar", "*1\r\nfoo\r\n", "ERR Protocol error: expected '$', got 'f'"),
	H("NUL instead of dollar", "*1\r\n\0", "ERR Protocol error: expected '$', got '\\x00'"),
	H("negative bulk length", "*1\r\n$-10\r\n", "ERR Protocol error: invalid bulk length"),
	H("non-numeric bulk length", "*1\r\n$blabla\r\n", "ERR Protocol error: invalid bulk length"),
	H("bulk over proto-max-bulk-len", "*2\r\n$4\r\nECHO\r\n$1025\r\n",
	  "ERR Protocol error: invalid bulk length"),
	H("unbalanced double quotes", "set \"\"\"test-key\"\"\" test-value\r\n",
	  "ERR Protocol error: unbalanced quotes in request"),
	H("unterminated quote", "SET a \"b\r\n", "ERR Protocol error: unbalanced quotes in request"),
	H("unbalanced single quote", "ECHO 'x\r\n",
	  "ERR Protocol error: unbalanced quotes in request"),
	H("payload not followed by CRLF", "*1\r\n$3\r\nfooXX",
	  "ERR Protocol error: expected CRLF after bulk argument"),
	H("bulk header not ended by CRLF", "*1\r\n$3\rX", "ERR Protocol error: invalid bulk length"),
#undef H
	{"inline line over proto-inline-max", NULL, 0, "ERR Protocol error: too big inline request"},
	{"multibulk count line over proto-inline-max", NULL, 1,
	 "ERR Protocol error: too big mbulk count string"},
};

/* The long cases: one byte past the 64kb default inline limit. */
static char *hostile_bytes(const struct hostile *h, size_t *len)
{
	size_t n = 64 * 1024 + 1;
	char *p = filled(n, h->len == 0 ? 'a' : '1');

	if (h->len == 1)
		p[0] = '*';
	*len = n;
	return p;
}

START_TEST(test_hostile_input_gets_protocol_error_then_eof)
{
	const struct hostile *h = &hostile[_i];
	struct h_daemon *d =
		h_daemon_start("--proto-max-bulk-len", "1kb", "--proto-max-args", "1024", NULL);
	struct h_client *c = h_connect(d);
	struct resp_reply *r;
	char *bytes = NULL, got[600];
	size_t len = h->len, extra = 99;

	if (!h->bytes)
		bytes = hostile_bytes(h, &len);
	/* A good command first: it is answered before the error. */
	h_send_str(c, "PING\r\n");
	h_expect_status(c, "PONG");
	h_try_send(c, bytes ? bytes : h->bytes, len);
	r = h_reply(c);
	h_reply_fmt(r, got, sizeof got);
	ck_assert_msg(r->type == RESP_ERROR && strcmp(r->str, h->error) == 0,
		      "%s: expected -%s, got %s", h->name, h->error, got);
	resp_reply_free(r);
	ck_assert_msg(h_read_until_eof(c, T_SLOW_MS(5000), &extra), "%s: not closed", h->name);
	ck_assert_msg(extra == 0, "%s: %zu bytes after the error", h->name, extra);
	h_close(c);
	free(bytes);
	/* The daemon serves the next client. */
	c = h_connect(d);
	h_call_status(c, "PONG", "PING");
	ck_assert_int_ge(h_info_ll(c, "stats", "total_error_replies_protocol"), 1);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_limits_accept_exactly_the_maximum)
{
	struct h_daemon *d = h_daemon_start("--proto-max-bulk-len", "1kb", NULL);
	struct h_client *c = h_connect(d);
	char *val = filled(1024, 'v');
	char *line = filled(5 + 65531 + 2, 'a');
	struct resp_arg set[] = {{"SET", 3}, {"k", 1}, {val, 1024}};
	struct resp_arg *args = calloc(1024, sizeof *args);

	/* A bulk of exactly proto-max-bulk-len. */
	h_cmdv(c, 3, set);
	h_expect_status(c, "OK");
	h_call_bulk(c, val, "GET", "k");
	/* An inline line of exactly proto-inline-max (64kb) bytes. */
	memcpy(line, "ECHO ", 5);
	memcpy(line + 5 + 65531, "\r\n", 2);
	h_send(c, line, 5 + 65531 + 2);
	h_expect_bulkn(c, line + 5, 65531);
	/* A multibulk of exactly proto-max-args (1024) arguments. */
	ck_assert_ptr_nonnull(args);
	args[0] = (struct resp_arg){"EXISTS", 6};
	for (int i = 1; i < 1024; i++)
		args[i] = (struct resp_arg){"k", 1};
	h_cmdv(c, 1024, args);
	h_expect_int(c, 1023);
	h_call_status(c, "PONG", "PING");
	free(args);
	free(val);
	free(line);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_query_buffer_limit_closes_client)
{
	struct h_daemon *d = h_daemon_start("--client-query-buffer-limit", "1mb",
					    "--proto-max-bulk-len", "1kb", NULL);
	struct h_client *c = h_connect(d), *other = h_connect(d);
	char *arg = filled(1024, 'q');
	struct resp_buf b;
	size_t n = 0;

	/* 1,023 arguments of 1kb of a declared 1,024: each within the limits,
	 * together an unfinished request over the 1mb query buffer. */
	resp_buf_init(&b);
	ck_assert_int_eq(resp_buf_append(&b, "*1024\r\n", 7), 0);
	for (int i = 0; i < 1023; i++) {
		ck_assert_int_eq(resp_buf_append(&b, "$1024\r\n", 7), 0);
		ck_assert_int_eq(resp_buf_append(&b, arg, 1024), 0);
		ck_assert_int_eq(resp_buf_append(&b, "\r\n", 2), 0);
	}
	ck_assert_uint_gt(b.len, 1024 * 1024);
	h_try_send(c, b.data, b.len);
	resp_buf_free(&b);
	free(arg);
	ck_assert_msg(h_read_until_eof(c, T_SLOW_MS(5000), &n), "over-limit client not closed");
	ck_assert_uint_eq(n, 0);
	ck_assert(h_log_wait(d, "query buffer", T_SLOW_MS(2000)));
	h_call_status(other, "PONG", "PING");
	h_close(c);
	h_close(other);
	h_daemon_finish(d);
}
END_TEST

/* ---- pipelining ------------------------------------------------------------- */

/* A request and the exact reply bytes it must produce. */
struct exchange {
	const char *req;
	size_t reqlen;
	const char *rep;
	size_t replen;
};

#define X(req, rep) {req, sizeof req - 1, rep, sizeof rep - 1}

static const struct exchange mixed[] = {
	X("PING\r\n", "+PONG\r\n"),
	X("*1\r\n$4\r\nPING\r\n", "+PONG\r\n"),
	X("SET a 1\r\n", "+OK\r\n"),
	X("*2\r\n$4\r\nINCR\r\n$1\r\na\r\n", ":2\r\n"),
	X("INCRBY a 10\r\n", ":12\r\n"),
	X("GET a\r\n", "$2\r\n12\r\n"),
	X("*3\r\n$3\r\nSET\r\n$3\r\nbin\r\n$5\r\na\0\r\nb\r\n", "+OK\r\n"),
	X("*2\r\n$3\r\nGET\r\n$3\r\nbin\r\n", "$5\r\na\0\r\nb\r\n"),
	X("ECHO \"x y\"\r\n", "$3\r\nx y\r\n"),
	X("\r\n", ""),
	X("*0\r\n", ""),
	X("EXISTS a bin nope\r\n", ":2\r\n"),
	X("DEL a\r\n", ":1\r\n"),
	X("GET a\r\n", "$-1\r\n"),
	X("MSET k1 v1 k2 v2\r\n", "+OK\r\n"),
	X("MGET k1 k2 k3\r\n", "*3\r\n$2\r\nv1\r\n$2\r\nv2\r\n$-1\r\n"),
	X("SET t v EX 100\r\n", "+OK\r\n"),
	X("TTL nope\r\n", ":-2\r\n"),
	X("TTL k1\r\n", ":-1\r\n"),
	X("TYPE k1\r\n", "+string\r\n"),
	X("TYPE nope\r\n", "+none\r\n"),
	X("SELECT 1\r\n", "+OK\r\n"),
	X("GET k1\r\n", "$-1\r\n"),
	X("DBSIZE\r\n", ":0\r\n"),
	X("SELECT 0\r\n", "+OK\r\n"),
	X("DBSIZE\r\n", ":4\r\n"),
	X("SET x y NX\r\n", "+OK\r\n"),
	X("SET x y NX\r\n", "$-1\r\n"),
	X("SET x z XX GET\r\n", "$1\r\ny\r\n"),
	X("GET x\r\n", "$1\r\nz\r\n"),
	X("FOO bar\r\n", "-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n"),
	X("GET\r\n", "-ERR wrong number of arguments for 'get' command\r\n"),
	X("SET k v EX 0\r\n", "-ERR invalid expire time in 'set' command\r\n"),
	X("DECR cnt\r\n", ":-1\r\n"),
	X("DECRBY cnt 5\r\n", ":-6\r\n"),
	X("PERSIST t\r\n", ":1\r\n"),
	X("TTL t\r\n", ":-1\r\n"),
	X("PEXPIRE t 100000\r\n", ":1\r\n"),
	X("PERSIST t\r\n", ":1\r\n"),
	X("ECHO ''\r\n", "$0\r\n\r\n"),
	X("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", "$0\r\n\r\n"),
	X("CLIENT SETNAME pipe\r\n", "+OK\r\n"),
	X("CLIENT GETNAME\r\n", "$4\r\npipe\r\n"),
	X("SET h \"\\x41\\x42\"\r\n", "+OK\r\n"),
	X("GET h\r\n", "$2\r\nAB\r\n"),
	X("EXISTS x x\r\n", ":2\r\n"),
	X("DEL x x nope\r\n", ":1\r\n"),
	X("INCR bin\r\n", "-ERR value is not an integer or out of range\r\n"),
	X("PING hi\r\n", "$2\r\nhi\r\n"),
	X("  PING  \r\n", "+PONG\r\n"),
	X("PING\n", "+PONG\r\n"),
	X("*1\r\n$4\r\nping\r\n", "+PONG\r\n"),
	X("FLUSHDB\r\n", "+OK\r\n"),
	X("DBSIZE\r\n", ":0\r\n"),
};

/* Requests and replies of ex[0..n) concatenated into req and rep (new). */
static void join_exchanges(const struct exchange *ex, size_t n, struct resp_buf *req,
			   struct resp_buf *rep)
{
	resp_buf_init(req);
	resp_buf_init(rep);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(resp_buf_append(req, ex[i].req, ex[i].reqlen), 0);
		if (ex[i].replen)
			ck_assert_int_eq(resp_buf_append(rep, ex[i].rep, ex[i].replen), 0);
	}
}

START_TEST(test_pipeline_sent_byte_by_byte_gets_exact_replies)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	struct resp_buf req, rep;

	join_exchanges(mixed, sizeof mixed / sizeof mixed[0], &req, &rep);
	ck_assert_uint_ge(sizeof mixed / sizeof mixed[0], 50);
	/* One write per byte; every few bytes a pause, so the daemon really
	 * sees requests cut everywhere instead of coalesced reads. */
	for (size_t i = 0; i < req.len; i++) {
		h_send(c, req.data + i, 1);
		if (i % 7 == 0)
			h_sleep_ms(0 == i % 21 ? 1 : 0);
	}
	expect_raw(c, rep.data, rep.len);
	/* Nothing more than expected: the next reply is the next PING's. */
	h_call_status(c, "PONG", "PING");
	resp_buf_free(&req);
	resp_buf_free(&rep);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_pipeline_split_at_every_point_gets_exact_replies)
{
	static const struct exchange five[] = {
		X("SET p hello\r\n", "+OK\r\n"),
		X("*2\r\n$3\r\nGET\r\n$1\r\np\r\n", "$5\r\nhello\r\n"),
		X("ECHO \"a b\"\r\n", "$3\r\na b\r\n"),
		X("*3\r\n$3\r\nDEL\r\n$1\r\np\r\n$1\r\nq\r\n", ":1\r\n"),
		X("PING\r\n", "+PONG\r\n"),
	};
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	struct resp_buf req, rep;

	join_exchanges(five, 5, &req, &rep);
	for (size_t split = 1; split < req.len; split++) {
		h_send(c, req.data, split);
		h_sleep_ms(2);
		h_send(c, req.data + split, req.len - split);
		expect_raw(c, rep.data, rep.len);
	}
	h_call_status(c, "PONG", "PING");
	resp_buf_free(&req);
	resp_buf_free(&rep);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

#undef X

START_TEST(test_pipeline_of_10000_pings_does_not_starve_other_client)
{
	enum { N = 10000 };
	static const char ping[] = "*1\r\n$4\r\nPING\r\n";
	static const char end[] = "*2\r\n$4\r\nECHO\r\n$3\r\nend\r\n";
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *a = h_connect(d), *b = h_connect(d);
	struct resp_buf req, rep;

	resp_buf_init(&req);
	resp_buf_init(&rep);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(resp_buf_append(&req, ping, sizeof ping - 1), 0);
		ck_assert_int_eq(resp_buf_append(&rep, "+PONG\r\n", 7), 0);
	}
	ck_assert_int_eq(resp_buf_append(&req, end, sizeof end - 1), 0);
	ck_assert_int_eq(resp_buf_append(&rep, "$3\r\nend\r\n", 9), 0);
	h_send(a, req.data, req.len);
	/* a has not read anything yet; b is answered anyway. */
	h_call_status(b, "PONG", "PING");
	h_call_bulk(b, "b", "ECHO", "b");
	expect_raw(a, rep.data, rep.len);
	h_call_status(a, "PONG", "PING");
	resp_buf_free(&req);
	resp_buf_free(&rep);
	h_close(a);
	h_close(b);
	h_daemon_finish(d);
}
END_TEST

/* Regression: a client that streams many short commands (and reads every
 * reply) was cut off with "query buffer over ..." although no request was
 * ever incomplete: after a turn's CONN_CMDS_PER_TURN commands the daemon
 * read another CONN_READ_CHUNK bytes on every turn, so complete commands
 * queued up without bound and counted against client-query-buffer-limit.
 * Redis runs such a stream (redis-cli --pipe of PINGs) to the end. */
START_TEST(test_long_stream_of_short_commands_is_not_cut_by_query_buffer_limit)
{
	enum { N = 600000, CHUNK = 64 * 1024 };
	struct h_daemon *d = h_daemon_start("--client-query-buffer-limit", "1mb",
					    "--proto-max-bulk-len", "1kb", NULL);
	struct h_client *c = h_connect(d);
	static const char pong[] = "+PONG\r\n";
	char *buf = malloc(CHUNK);
	size_t want = (size_t)N * 7, got = 0;
	pid_t pid;
	int status;

	ck_assert_ptr_nonnull(buf);
	/* A writer process streams the PINGs while this one reads. */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *req = malloc((size_t)N * 6);

		if (!req)
			_exit(2);
		for (size_t i = 0; i < N; i++)
			memcpy(req + i * 6, "PING\r\n", 6);
		_exit(h_try_send(c, req, (size_t)N * 6) ? 0 : 1);
	}
	while (got < want) {
		ssize_t n = read(c->fd, buf, CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			ck_assert_int_eq(buf[i], pong[(got + (size_t)i) % 7]);
		got += (size_t)n;
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (got < want)
		h_log_dump(d);
	ck_assert_msg(got == want, "%zu of %d PONGs, then the connection was closed", got / 7,
		      N);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer status 0x%x",
		      status);
	h_call_status(c, "PONG", "PING");
	free(buf);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- dying clients ---------------------------------------------------------- */

START_TEST(test_client_killed_mid_request_leaves_state_intact)
{
	static const char half[] = "*3\r\n$3\r\nSET\r\n$4\r\nkeep\r\n$5\r\nxx";
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	int pipefd[2];
	pid_t pid;
	char ch;

	h_ok(c, "SET", "keep", "original");
	/* A process that sends half a command and is SIGKILLed. */
	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = h_connect_fd(d->sock);

		if (fd < 0 || send(fd, half, sizeof half - 1, MSG_NOSIGNAL) < 0)
			_exit(1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	ck_assert_int_eq(read(pipefd[0], &ch, 1), 1);
	close(pipefd[0]);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	/* And a client that closes in the middle of a bulk payload. */
	{
		struct h_client *x = h_connect(d);

		h_send(x, half, sizeof half - 1);
		h_close(x);
	}
	h_call_bulk(c, "original", "GET", "keep");
	h_call_int(c, 1, "DBSIZE");
	h_close(c);
	c = h_connect(d);
	h_call_status(c, "PONG", "PING");
	h_call_bulk(c, "original", "GET", "keep");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- concurrency and client limits ---------------------------------------- */

START_TEST(test_1000_concurrent_set_nx_px_exactly_one_wins)
{
	enum { N = 1000 };
	struct h_client **cl = calloc(N, sizeof *cl);
	struct h_daemon *d;
	int ok = 0, nil = 0, winner = -1;
	long lim = h_raise_nofile(N + 256);
	char val[16];

	ck_assert_ptr_nonnull(cl);
	ck_assert_msg(lim >= N + 64, "RLIMIT_NOFILE is %ld; need %d", lim, N + 64);
	d = h_daemon_start("--maxclients", "2000", NULL);
	for (int i = 0; i < N; i++)
		cl[i] = h_connect(d);
	/* Every request out before any reply is read. */
	for (int i = 0; i < N; i++) {
		snprintf(val, sizeof val, "c%d", i);
		h_cmd(cl[i], "SET", "race", val, "NX", "PX", "10000");
	}
	for (int i = 0; i < N; i++) {
		struct resp_reply *r = h_reply(cl[i]);

		if (r->type == RESP_STRING && strcmp(r->str, "OK") == 0) {
			ok++;
			winner = i;
		} else if (r->type == RESP_NIL) {
			nil++;
		}
		resp_reply_free(r);
	}
	ck_assert_int_eq(ok, 1);
	ck_assert_int_eq(nil, N - 1);
	snprintf(val, sizeof val, "c%d", winner);
	h_call_bulk(cl[0], val, "GET", "race");
	for (int i = 0; i < N; i++)
		h_close(cl[i]);
	free(cl);
	h_daemon_finish(d);
}
END_TEST

/* A client that got past maxclients: retries while the daemon has not yet
 * seen earlier clients go. */
static struct h_client *connect_admitted(struct h_daemon *d)
{
	int64_t deadline = h_now_ms() + T_SLOW_MS(5000);

	for (;;) {
		struct h_client *c = h_connect(d);
		struct resp_reply *r = h_call(c, "PING");
		bool in = r->type == RESP_STRING;

		resp_reply_free(r);
		if (in)
			return c;
		h_close(c);
		ck_assert_msg(h_now_ms() < deadline, "never admitted under maxclients");
		h_sleep_ms(20);
	}
}

START_TEST(test_maxclients_rejects_extra_client_with_error_then_eof)
{
	struct h_daemon *d = h_daemon_start("--maxclients", "2", NULL);
	struct h_client *a = connect_admitted(d), *b = connect_admitted(d), *c;
	size_t n = 99;

	c = h_connect(d);
	h_expect_error_is(c, "ERR max number of clients reached");
	ck_assert(h_read_until_eof(c, T_SLOW_MS(5000), &n));
	ck_assert_uint_eq(n, 0);
	h_close(c);
	/* The admitted ones are unaffected. */
	h_call_status(a, "PONG", "PING");
	h_call_status(b, "PONG", "PING");
	ck_assert_int_ge(h_info_ll(a, "stats", "rejected_connections"), 1);
	ck_assert_int_eq(h_info_ll(a, "clients", "connected_clients"), 2);
	/* A slot that frees up is given to the next client. */
	h_close(b);
	b = connect_admitted(d);
	h_close(a);
	h_close(b);
	h_daemon_finish(d);
}
END_TEST

/* ---- HTTP, output buffer, timeouts --------------------------------------- */

START_TEST(test_http_requests_are_closed_without_reply_and_logged)
{
	static const char *const reqs[] = {
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\r\n",
		"POST /x HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
	};
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c;
	size_t n;

	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		c = h_connect(d);
		n = 99;
		h_try_send(c, reqs[i], strlen(reqs[i]));
		ck_assert_msg(h_read_until_eof(c, T_SLOW_MS(5000), &n), "%s: not closed", reqs[i]);
		ck_assert_msg(n == 0, "%s: got %zu bytes of reply", reqs[i], n);
		h_close(c);
	}
	/* A Host: header after a command, as a proxied request would send it:
	 * closed at once, the pending PONG dropped (as Redis does). */
	c = h_connect(d);
	h_try_send(c, "PING\r\nHost: evil\r\n", 18);
	ck_assert(h_read_until_eof(c, T_SLOW_MS(5000), &n));
	ck_assert_uint_eq(n, 0);
	h_close(c);
	ck_assert_msg(h_log_wait(d, "HTTP", T_SLOW_MS(2000)), "no log line mentions HTTP");
	c = h_connect(d);
	h_call_status(c, "PONG", "PING");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_output_buffer_limit_closes_client_that_does_not_read)
{
	enum { BIG = 512 * 1024, GETS = 200 };
	struct h_daemon *d = h_daemon_start("--client-output-buffer-limit", "64kb", NULL);
	struct h_client *c = h_connect(d), *other = h_connect(d);
	char *big = filled(BIG, 'B');
	struct resp_arg set[] = {{"SET", 3}, {"big", 3}, {big, BIG}};
	static const char get[] = "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
	struct resp_buf b;
	size_t n = 0;

	h_cmdv(c, 3, set);
	h_expect_status(c, "OK");
	h_ok(other, "SET", "small", "v");
	resp_buf_init(&b);
	for (int i = 0; i < GETS; i++)
		ck_assert_int_eq(resp_buf_append(&b, get, sizeof get - 1), 0);
	h_try_send(c, b.data, b.len);
	resp_buf_free(&b);
	ck_assert_msg(h_read_until_eof(c, T_SLOW_MS(5000), &n), "greedy client not closed");
	ck_assert_msg(n < (size_t)BIG * 2, "%zu bytes arrived: the limit did not apply", n);
	ck_assert(h_log_wait(d, "output buffer", T_SLOW_MS(2000)));
	/* Others are unaffected, and so is the keyspace. */
	h_call_status(other, "PONG", "PING");
	h_call_bulk(other, "v", "GET", "small");
	h_call_int(other, 2, "DBSIZE");
	free(big);
	h_close(c);
	h_close(other);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_unfinished_request_times_out_idle_client_does_not)
{
	struct h_daemon *d = h_daemon_start("--client-request-timeout", "1", NULL);
	struct h_daemon *d2 = h_daemon_start("--timeout", "1", NULL);
	struct h_client *slow = h_connect(d), *idle = h_connect(d), *idle2 = h_connect(d2);
	int64_t t0;
	size_t n = 99;

	h_call_status(idle, "PONG", "PING");
	h_call_status(idle2, "PONG", "PING");
	t0 = h_now_ms();
	h_send_str(slow, "*2\r\n$4\r\nPING");
	ck_assert_msg(h_read_until_eof(slow, T_SLOW_MS(5000), &n), "slow request not closed");
	ck_assert_uint_eq(n, 0);
	ck_assert_int_ge(h_now_ms() - t0, 900);
	ck_assert(h_log_wait(d, "unfinished", T_SLOW_MS(2000)));
	/* --timeout 1 closes a client idle between commands... */
	ck_assert_msg(h_read_until_eof(idle2, T_SLOW_MS(5000), &n), "--timeout 1 did not close");
	ck_assert_int_ge(h_now_ms() - t0, 500);
	/* ...and the default (0) never does, even past the request timeout. */
	while (h_now_ms() - t0 < 2500)
		h_sleep_ms(50);
	h_call_status(idle, "PONG", "PING");
	h_close(slow);
	h_close(idle);
	h_close(idle2);
	h_daemon_finish(d);
	h_daemon_finish(d2);
}
END_TEST

/* Peak resident memory of pid in KiB (VmHWM). */
static long proc_peak_kib(pid_t pid)
{
	char path[64], *s, *p;
	long v;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	s = h_slurp(path, NULL);
	ck_assert_ptr_nonnull(s);
	p = strstr(s, "VmHWM:");
	ck_assert_ptr_nonnull(p);
	v = strtol(p + 6, NULL, 10);
	free(s);
	return v;
}

/* Regression: the output limit was checked only once a whole reply was
 * built: MGET of one 1 MB key 1,023 times took the daemon to 1.08 GB and
 * froze the loop for seconds. The limit must stop the reply as it grows. */
START_TEST(test_output_limit_applies_while_a_reply_is_built)
{
	enum { BIG = 1024 * 1024, COPIES = 1023 };
	struct h_daemon *d = h_daemon_start("--client-output-buffer-limit", "8mb", NULL);
	struct h_client *c = h_connect(d), *other = h_connect(d);
	char *big = filled(BIG, 'M');
	struct resp_arg set[] = {{"SET", 3}, {"big", 3}, {big, BIG}};
	static struct resp_arg mget[COPIES + 1];
	long before, after;
	size_t n = 0;
	int64_t t0;

	h_cmdv(c, 3, set);
	h_expect_status(c, "OK");
	before = proc_peak_kib(d->pid);
	mget[0] = (struct resp_arg){"MGET", 4};
	for (int i = 1; i <= COPIES; i++)
		mget[i] = (struct resp_arg){"big", 3};
	h_cmdv(c, COPIES + 1, mget);
	ck_assert_msg(h_read_until_eof(c, T_SLOW_MS(10000), &n), "client over its limit not closed");
	ck_assert_msg(n <= (size_t)9 * 1024 * 1024, "%zu bytes sent past the 8mb limit", n);
	t0 = h_now_ms();
	h_call_status(other, "PONG", "PING");
	ck_assert_int_lt(h_now_ms() - t0, T_SLOW_MS(1000));
	after = proc_peak_kib(d->pid);
	ck_assert_msg(after - before < 64 * 1024, "peak RSS grew %ld KiB for one MGET", after - before);
	ck_assert(h_log_wait(d, "client-output-buffer-limit", T_SLOW_MS(2000)));
	free(big);
	h_close(c);
	h_close(other);
	h_daemon_finish(d);
}
END_TEST

/* Regression: partial_since_ms was not set while a connection waited, so a
 * waiter could park a half-sent request (of any size) for as long as it
 * waited. A complete command queued behind the wait is not unfinished. */
START_TEST(test_blocked_client_with_unfinished_request_times_out)
{
	struct h_daemon *d = h_daemon_start("--client-request-timeout", "1", NULL);
	struct h_client *holder = h_connect(d), *half = h_connect(d), *whole = h_connect(d);
	struct resp_reply *r;
	size_t n = 99;
	int64_t t0;

	r = h_call(holder, "LOCK.ACQUIRE", "k");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	resp_reply_free(r);
	h_send_str(half, "*4\r\n$12\r\nLOCK.ACQUIRE\r\n$1\r\nk\r\n$4\r\nWAIT\r\n$1\r\n0\r\n");
	h_send_str(half, "*2\r\n$3\r\nGET\r\n$100\r\nab");
	h_send_str(whole, "*4\r\n$12\r\nLOCK.ACQUIRE\r\n$1\r\nk\r\n$4\r\nWAIT\r\n$1\r\n0\r\n"
			  "*1\r\n$4\r\nPING\r\n");
	t0 = h_now_ms();
	ck_assert_msg(h_read_until_eof(half, T_SLOW_MS(5000), &n), "blocked half request not closed");
	ck_assert_uint_eq(n, 0);
	ck_assert_int_ge(h_now_ms() - t0, 900);
	ck_assert(h_log_wait(d, "unfinished", T_SLOW_MS(2000)));
	/* The waiter with only whole commands queued keeps waiting... */
	while (h_now_ms() - t0 < 2500)
		h_sleep_ms(50);
	ck_assert(h_is_quiet(whole, 200));
	/* ...and gets its grant, then its pipelined PONG, on release. */
	h_call_int(holder, 1, "DEL", "k");
	r = h_reply(whole);
	ck_assert_int_eq(r->type, RESP_ARRAY);
	resp_reply_free(r);
	h_expect_status(whole, "PONG");
	h_close(holder);
	h_close(half);
	h_close(whole);
	h_daemon_finish(d);
}
END_TEST

/* Regression: with `ulimit -n 64` and maxclients 1024, accept failed with
 * EMFILE every 100 ms (and logged it each time) while clients past the
 * limit sat unanswered in the backlog. maxclients is lowered to fit. */
START_TEST(test_maxclients_is_lowered_to_fit_the_descriptor_limit)
{
	enum { LIMIT = 64, FITS = LIMIT - 32, EXTRA = 4 };
	struct rlimit old, low = {LIMIT, LIMIT};
	struct h_client *cl[FITS + EXTRA];
	struct h_daemon *d;
	char want[64], *log, *at;
	int refused = 0, fits;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	d = h_daemon_start("--maxclients", "1024", NULL);
	setrlimit(RLIMIT_NOFILE, &old); /* back up for our own sockets (root may) */
	ck_assert_msg(h_log_wait(d, "maxclients lowered from 1024 to ", T_SLOW_MS(2000)),
		      "maxclients not lowered");
	/* 32 for a plain daemon; fewer under valgrind, which keeps some. */
	log = h_daemon_log(d);
	at = strstr(log, "maxclients lowered from 1024 to ");
	fits = atoi(at + strlen("maxclients lowered from 1024 to "));
	free(log);
	ck_assert_int_gt(fits, 0);
	ck_assert_int_le(fits, FITS);
	for (int i = 0; i < fits + EXTRA; i++) {
		struct resp_reply *r;

		cl[i] = h_connect(d);
		/* A refused client may be closed before it writes: read anyway. */
		h_try_send(cl[i], "PING\r\n", 6);
		ck_assert_int_eq(h_try_reply(cl[i], &r), 1); /* an answer, never a hang */
		if (r->type == RESP_ERROR) {
			ck_assert_str_eq(r->str, "ERR max number of clients reached");
			refused++;
		} else {
			ck_assert_str_eq(r->str, "PONG");
		}
		resp_reply_free(r);
	}
	ck_assert_int_eq(refused, EXTRA);
	{
		struct resp_reply *info = h_call(cl[0], "INFO", "clients");

		snprintf(want, sizeof want, "maxclients:%d\r\n", fits);
		ck_assert_ptr_nonnull(strstr(info->str, want));
		resp_reply_free(info);
	}
	for (int i = 0; i < fits + EXTRA; i++)
		h_close(cl[i]);
	h_daemon_finish(d);
}
END_TEST

/* ---- commands: SET ------------------------------------------------------------ */

START_TEST(test_set_nx_xx_get_keepttl)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	long long ttl;

	h_ok(c, "SET", "k", "v1", "NX");
	h_call_nil(c, "SET", "k", "v2", "NX");
	h_call_bulk(c, "v1", "GET", "k");
	h_call_nil(c, "SET", "missing", "v", "XX");
	h_call_int(c, 0, "EXISTS", "missing");
	h_ok(c, "SET", "k", "v2", "XX");
	h_call_bulk(c, "v2", "SET", "k", "v3", "GET");
	h_call_nil(c, "SET", "fresh", "v", "GET");
	h_call_bulk(c, "v", "GET", "fresh");
	/* Redis 7: NX with GET returns the old value and does not set. */
	h_call_bulk(c, "v3", "SET", "k", "v4", "NX", "GET");
	h_call_bulk(c, "v3", "GET", "k");
	h_call_nil(c, "SET", "nxget", "v", "NX", "GET");
	h_call_bulk(c, "v", "GET", "nxget");
	/* Options are case-insensitive. */
	h_call_nil(c, "SET", "k", "v", "nx");
	/* KEEPTTL keeps it; a plain SET clears it. */
	h_ok(c, "SET", "t", "a", "EX", "100");
	h_ok(c, "SET", "t", "b", "KEEPTTL");
	ttl = h_call_ll(c, "TTL", "t");
	ck_assert_msg(ttl >= 98 && ttl <= 100, "TTL after KEEPTTL: %lld", ttl);
	h_call_bulk(c, "b", "GET", "t");
	h_ok(c, "SET", "t", "c");
	h_call_int(c, -1, "TTL", "t");
	h_ok(c, "SET", "kt", "v", "KEEPTTL");
	h_call_int(c, -1, "TTL", "kt");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_set_ex_px_exat_pxat)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	long long now_s = (long long)time(NULL), v;
	char at[32];

	h_ok(c, "SET", "ex", "v", "EX", "100");
	v = h_call_ll(c, "TTL", "ex");
	ck_assert_msg(v >= 98 && v <= 100, "EX 100 -> TTL %lld", v);
	h_ok(c, "SET", "px", "v", "PX", "100000");
	v = h_call_ll(c, "PTTL", "px");
	ck_assert_msg(v > 95000 && v <= 100000, "PX 100000 -> PTTL %lld", v);
	snprintf(at, sizeof at, "%lld", now_s + 200);
	h_ok(c, "SET", "exat", "v", "EXAT", at);
	v = h_call_ll(c, "TTL", "exat");
	ck_assert_msg(v >= 195 && v <= 201, "EXAT now+200 -> TTL %lld", v);
	snprintf(at, sizeof at, "%lld", (now_s + 300) * 1000);
	h_ok(c, "SET", "pxat", "v", "pxat", at);
	v = h_call_ll(c, "PTTL", "pxat");
	ck_assert_msg(v > 295000 && v <= 301000, "PXAT now+300s -> PTTL %lld", v);
	/* An absolute time in the past: accepted, and the key is gone. */
	h_ok(c, "SET", "past", "v", "PXAT", "1");
	h_call_nil(c, "GET", "past");
	h_ok(c, "SET", "past", "v", "EXAT", "1");
	h_call_int(c, 0, "EXISTS", "past");
	/* A TTL given with GET. */
	h_call_bulk(c, "v", "SET", "ex", "w", "GET", "EX", "50");
	v = h_call_ll(c, "TTL", "ex");
	ck_assert_msg(v >= 48 && v <= 50, "EX 50 with GET -> TTL %lld", v);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* Regression: SET ... PXAT/EXAT refused absolute times past INT64_MAX/2 ms
 * ("invalid expire time"), which Redis 7 accepts: any positive PXAT, and
 * any EXAT up to LLONG_MAX/1000, is valid there. */
START_TEST(test_set_far_future_exat_pxat_accepted_as_redis)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);

	h_ok(c, "SET", "px", "v", "PXAT", "9223372036854775807");
	ck_assert_int_gt(h_call_ll(c, "TTL", "px"), 1000000000000LL);
	h_ok(c, "SET", "ex", "v", "EXAT", "9223372036854775");
	ck_assert_int_gt(h_call_ll(c, "TTL", "ex"), 1000000000000LL);
	/* Past LLONG_MAX/1000 seconds it is invalid in Redis too. */
	h_cmd(c, "SET", "ex", "v", "EXAT", "9223372036854776");
	h_expect_error_is(c, "ERR invalid expire time in 'set' command");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_set_errors_match_redis)
{
	static const char *const bad_expire[][2] = {
		{"EX", "0"},  {"EX", "-1"}, {"PX", "0"}, {"PX", "-5"},
		{"EX", "9223372036854775807"}, {"PX", "9223372036854775807"},
		{"EXAT", "0"}, {"PXAT", "-1"},
	};
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);

	for (size_t i = 0; i < sizeof bad_expire / sizeof bad_expire[0]; i++) {
		h_cmd(c, "SET", "k", "v", bad_expire[i][0], bad_expire[i][1]);
		h_expect_error_is(c, "ERR invalid expire time in 'set' command");
	}
	h_cmd(c, "SET", "k", "v", "EX", "abc");
	h_expect_error_is(c, "ERR value is not an integer or out of range");
	h_cmd(c, "SET", "k", "v", "PX", "1.5");
	h_expect_error_is(c, "ERR value is not an integer or out of range");
	h_cmd(c, "SET", "k", "v", "EX", "99999999999999999999");
	h_expect_error_is(c, "ERR value is not an integer or out of range");
	h_cmd(c, "SET", "k", "v", "NX", "XX");
	h_expect_error_is(c, "ERR syntax error");
	h_cmd(c, "SET", "k", "v", "EX", "10", "PX", "10");
	h_expect_error_is(c, "ERR syntax error");
	h_cmd(c, "SET", "k", "v", "KEEPTTL", "EX", "10");
	h_expect_error_is(c, "ERR syntax error");
	h_cmd(c, "SET", "k", "v", "EX", "10", "KEEPTTL");
	h_expect_error_is(c, "ERR syntax error");
	h_cmd(c, "SET", "k", "v", "EX");
	h_expect_error_is(c, "ERR syntax error");
	h_cmd(c, "SET", "k", "v", "BOGUS");
	h_expect_error_is(c, "ERR syntax error");
	h_cmd(c, "SET", "k");
	h_expect_error_is(c, "ERR wrong number of arguments for 'set' command");
	/* None of the failed commands wrote anything. */
	h_call_int(c, 0, "DBSIZE");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_arity_and_unknown_command_errors)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	char *longname = filled(200, 'z');

	h_cmd(c, "GET");
	h_expect_error_is(c, "ERR wrong number of arguments for 'get' command");
	h_cmd(c, "GET", "a", "b");
	h_expect_error_is(c, "ERR wrong number of arguments for 'get' command");
	h_cmd(c, "get");
	h_expect_error_is(c, "ERR wrong number of arguments for 'get' command");
	h_cmd(c, "DEL");
	h_expect_error_is(c, "ERR wrong number of arguments for 'del' command");
	h_cmd(c, "INCRBY", "a");
	h_expect_error_is(c, "ERR wrong number of arguments for 'incrby' command");
	h_cmd(c, "PING", "a", "b");
	h_expect_error_is(c, "ERR wrong number of arguments for 'ping' command");
	h_cmd(c, "foo", "a");
	h_expect_error_is(c, "ERR unknown command 'foo', with args beginning with: 'a' ");
	h_cmd(c, "foo");
	h_expect_error_is(c, "ERR unknown command 'foo', with args beginning with: ");
	h_cmd(c, "FOO", "a", "b c");
	h_expect_error_is(c, "ERR unknown command 'FOO', with args beginning with: 'a' 'b c' ");
	/* A huge unknown name is answered (truncated), not echoed whole. */
	h_cmd(c, longname, "x");
	h_expect_error(c, "ERR unknown command 'zzz");
	h_call_status(c, "PONG", "PING");
	free(longname);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* Regression: SET, INCR and the other write commands counted a keyspace
 * miss (or hit) for the key they write, so INFO's keyspace_misses grew on
 * every SET of a new key. Redis counts only read lookups. */
START_TEST(test_write_commands_do_not_count_keyspace_hits_or_misses)
{
	static const char *const writes[][6] = {
		{"SET", "x", "1"},	     {"SET", "y", "1", "NX"}, {"SET", "y", "2", "XX"},
		{"SET", "w", "1", "XX"},     {"INCR", "z"},	      {"INCRBY", "z", "2"},
		{"DECR", "q"},		     {"EXPIRE", "x", "100"},  {"EXPIRE", "nope", "100"},
		{"PERSIST", "x"},	     {"PEXPIRE", "nope", "5"}, {"MSET", "a", "1", "b", "2"},
		{"DEL", "nope", "x"},
	};
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);

	for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
		struct resp_arg argv[6];
		struct resp_reply *r;
		int argc = 0;

		for (; argc < 6 && writes[i][argc]; argc++)
			argv[argc] = (struct resp_arg){writes[i][argc], strlen(writes[i][argc])};
		h_cmdv(c, argc, argv);
		r = h_reply(c);
		ck_assert_int_ne(r->type, RESP_ERROR);
		resp_reply_free(r);
	}
	ck_assert_int_eq(h_info_ll(c, "stats", "keyspace_hits"), 0);
	ck_assert_int_eq(h_info_ll(c, "stats", "keyspace_misses"), 0);
	h_call_nil(c, "GET", "nope");
	h_call_bulk(c, "2", "GET", "y");
	ck_assert_int_eq(h_info_ll(c, "stats", "keyspace_hits"), 1);
	ck_assert_int_eq(h_info_ll(c, "stats", "keyspace_misses"), 1);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- commands: keys ----------------------------------------------------------- */

START_TEST(test_get_del_exists_type)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);

	h_call_nil(c, "GET", "a");
	h_ok(c, "SET", "a", "1");
	h_ok(c, "SET", "b", "2");
	h_call_bulk(c, "1", "GET", "a");
	h_call_int(c, 3, "EXISTS", "a", "a", "b", "nope");
	h_call_int(c, 0, "EXISTS", "nope");
	h_call_status(c, "string", "TYPE", "a");
	h_call_status(c, "none", "TYPE", "nope");
	h_call_int(c, 1, "DEL", "a", "a", "nope");
	h_call_int(c, 0, "DEL", "a");
	h_call_nil(c, "GET", "a");
	h_call_int(c, 1, "EXISTS", "b");
	h_call_int(c, 1, "DBSIZE");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_expire_options_and_ttl_family)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	long long v;

	h_call_int(c, -2, "TTL", "e");
	h_call_int(c, -2, "PTTL", "e");
	h_call_int(c, 0, "EXPIRE", "e", "100");
	h_ok(c, "SET", "e", "v");
	h_call_int(c, -1, "TTL", "e");
	h_call_int(c, -1, "PTTL", "e");
	h_call_int(c, 0, "EXPIRE", "e", "100", "XX");
	h_call_int(c, 0, "EXPIRE", "e", "100", "GT"); /* no TTL counts as infinite */
	h_call_int(c, 1, "EXPIRE", "e", "100", "NX");
	h_call_int(c, 0, "EXPIRE", "e", "200", "NX");
	h_call_int(c, 0, "EXPIRE", "e", "50", "GT");
	h_call_int(c, 1, "EXPIRE", "e", "200", "gt");
	h_call_int(c, 0, "EXPIRE", "e", "300", "LT");
	h_call_int(c, 1, "EXPIRE", "e", "150", "LT");
	h_call_int(c, 1, "EXPIRE", "e", "140", "XX");
	v = h_call_ll(c, "TTL", "e");
	ck_assert_msg(v >= 138 && v <= 140, "TTL %lld", v);
	h_call_int(c, 1, "PEXPIRE", "e", "90000", "LT");
	v = h_call_ll(c, "PTTL", "e");
	ck_assert_msg(v > 85000 && v <= 90000, "PTTL %lld", v);
	h_call_int(c, 1, "PERSIST", "e");
	h_call_int(c, 0, "PERSIST", "e");
	h_call_int(c, -1, "TTL", "e");
	h_call_int(c, 0, "PERSIST", "nope");
	/* LT on a key without TTL sets one. */
	h_call_int(c, 1, "EXPIRE", "e", "500", "LT");
	v = h_call_ll(c, "TTL", "e");
	ck_assert_msg(v >= 498 && v <= 500, "TTL %lld", v);
	/* Errors, with Redis's words. */
	h_cmd(c, "EXPIRE", "e", "10", "NX", "XX");
	h_expect_error_is(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
	h_cmd(c, "EXPIRE", "e", "10", "GT", "LT");
	h_expect_error_is(c, "ERR GT and LT options at the same time are not compatible");
	h_cmd(c, "EXPIRE", "e", "10", "FOO");
	h_expect_error_is(c, "ERR Unsupported option FOO");
	h_cmd(c, "EXPIRE", "e", "abc");
	h_expect_error_is(c, "ERR value is not an integer or out of range");
	h_cmd(c, "EXPIRE", "e", "9223372036854775807");
	h_expect_error_is(c, "ERR invalid expire time in 'expire' command");
	h_cmd(c, "PEXPIRE", "e", "9223372036854775807");
	h_expect_error_is(c, "ERR invalid expire time in 'pexpire' command");
	h_cmd(c, "TTL");
	h_expect_error_is(c, "ERR wrong number of arguments for 'ttl' command");
	/* A TTL in the past deletes the key at once. */
	h_call_int(c, 1, "EXPIRE", "e", "-1");
	h_call_int(c, 0, "EXISTS", "e");
	h_ok(c, "SET", "p", "v");
	h_call_int(c, 1, "PEXPIRE", "p", "0");
	h_call_nil(c, "GET", "p");
	h_call_int(c, 0, "DBSIZE");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_mget_mset)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	struct resp_reply *r;

	h_ok(c, "MSET", "a", "1", "b", "2", "a", "3");
	r = h_call(c, "MGET", "a", "b", "nope", "a");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 4);
	ck_assert_int_eq(r->element[0]->type, RESP_BULK);
	ck_assert_str_eq(r->element[0]->str, "3");
	ck_assert_str_eq(r->element[1]->str, "2");
	ck_assert_int_eq(r->element[2]->type, RESP_NIL);
	ck_assert_str_eq(r->element[3]->str, "3");
	resp_reply_free(r);
	/* MSET clears a TTL, as SET does. */
	h_ok(c, "SET", "t", "x", "EX", "100");
	h_ok(c, "MSET", "t", "y");
	h_call_int(c, -1, "TTL", "t");
	h_cmd(c, "MSET", "a");
	h_expect_error_is(c, "ERR wrong number of arguments for 'mset' command");
	h_cmd(c, "MSET", "a", "1", "b");
	h_expect_error_is(c, "ERR wrong number of arguments for 'mset' command");
	h_cmd(c, "MGET");
	h_expect_error_is(c, "ERR wrong number of arguments for 'mget' command");
	h_call_int(c, 3, "DBSIZE");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_incr_family_overflow_errors_and_ttl)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	long long v;

	h_call_int(c, 1, "INCR", "n");
	h_call_int(c, 11, "INCRBY", "n", "10");
	h_call_int(c, 10, "DECR", "n");
	h_call_int(c, -10, "DECRBY", "n", "20");
	h_call_int(c, -5, "INCRBY", "n", "5");
	h_call_bulk(c, "-5", "GET", "n");
	h_call_int(c, -3, "DECRBY", "fresh", "3");
	/* Overflow both ways. */
	h_ok(c, "SET", "max", "9223372036854775807");
	h_cmd(c, "INCR", "max");
	h_expect_error_is(c, "ERR increment or decrement would overflow");
	h_call_bulk(c, "9223372036854775807", "GET", "max");
	h_ok(c, "SET", "min", "-9223372036854775808");
	h_cmd(c, "DECR", "min");
	h_expect_error_is(c, "ERR increment or decrement would overflow");
	h_cmd(c, "INCRBY", "min", "-1");
	h_expect_error_is(c, "ERR increment or decrement would overflow");
	h_cmd(c, "DECRBY", "n", "-9223372036854775808");
	h_expect_error_is(c, "ERR decrement would overflow");
	/* Values and increments that are not integers. */
	h_ok(c, "SET", "s", "abc");
	h_cmd(c, "INCR", "s");
	h_expect_error_is(c, "ERR value is not an integer or out of range");
	h_ok(c, "SET", "sp", " 1");
	h_cmd(c, "INCR", "sp");
	h_expect_error_is(c, "ERR value is not an integer or out of range");
	h_ok(c, "SET", "big", "9223372036854775808");
	h_cmd(c, "INCR", "big");
	h_expect_error_is(c, "ERR value is not an integer or out of range");
	h_cmd(c, "INCRBY", "n", "abc");
	h_expect_error_is(c, "ERR value is not an integer or out of range");
	h_cmd(c, "INCRBY", "n", "1.5");
	h_expect_error_is(c, "ERR value is not an integer or out of range");
	h_call_bulk(c, "-5", "GET", "n");
	/* INCR keeps the TTL. */
	h_ok(c, "SET", "t", "5", "EX", "100");
	h_call_int(c, 6, "INCR", "t");
	v = h_call_ll(c, "TTL", "t");
	ck_assert_msg(v >= 98 && v <= 100, "TTL after INCR: %lld", v);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_select_isolates_16_databases_and_flush)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d), *other = h_connect(d);
	char db[16], val[16];

	for (int i = 0; i < 16; i++) {
		snprintf(db, sizeof db, "%d", i);
		snprintf(val, sizeof val, "v%d", i);
		h_ok(c, "SELECT", db);
		h_call_nil(c, "GET", "k");
		h_ok(c, "SET", "k", val);
		snprintf(val, sizeof val, "only%d", i);
		h_ok(c, "SET", val, "x");
		h_call_int(c, 2, "DBSIZE");
	}
	/* Each database sees its own k and only<i>, nothing of the others. */
	for (int i = 0; i < 16; i++) {
		snprintf(db, sizeof db, "%d", i);
		snprintf(val, sizeof val, "v%d", i);
		h_ok(c, "SELECT", db);
		h_call_bulk(c, val, "GET", "k");
		for (int j = 0; j < 16; j++) {
			snprintf(val, sizeof val, "only%d", j);
			h_call_int(c, j == i, "EXISTS", val);
		}
	}
	/* The selection belongs to the connection. */
	h_call_bulk(other, "v0", "GET", "k");
	h_cmd(c, "SELECT", "16");
	h_expect_error_is(c, "ERR DB index is out of range");
	h_cmd(c, "SELECT", "-1");
	h_expect_error_is(c, "ERR DB index is out of range");
	h_cmd(c, "SELECT", "abc");
	h_expect_error_is(c, "ERR value is not an integer or out of range");
	h_call_bulk(c, "v15", "GET", "k"); /* still db 15 */
	/* FLUSHDB empties one database, FLUSHALL all of them. */
	h_ok(c, "FLUSHDB");
	h_call_int(c, 0, "DBSIZE");
	h_ok(c, "SELECT", "14");
	h_call_int(c, 2, "DBSIZE");
	h_call_int(other, 2, "DBSIZE");
	h_ok(other, "FLUSHALL");
	h_call_int(c, 0, "DBSIZE");
	h_call_int(other, 0, "DBSIZE");
	h_ok(c, "SELECT", "7");
	h_call_int(c, 0, "DBSIZE");
	h_close(c);
	h_close(other);
	h_daemon_finish(d);
}
END_TEST

/* ---- SCAN --------------------------------------------------------------------- */

/* Counts, for each "key:<i>" (i < nkeys), how often a SCAN reply listed it;
 * fails on a key outside the expected set. Returns the next cursor. */
static unsigned long long scan_step(struct h_client *c, const char *cursor, const char *const *opts,
				    int *seen, int nkeys, int *others)
{
	struct resp_arg argv[16] = {{"SCAN", 4}, {cursor, strlen(cursor)}};
	struct resp_reply *r;
	unsigned long long next;
	int argc = 2;

	for (; opts && opts[argc - 2]; argc++)
		argv[argc] = (struct resp_arg){opts[argc - 2], strlen(opts[argc - 2])};
	h_cmdv(c, argc, argv);
	r = h_reply(c);
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_int_eq(r->element[0]->type, RESP_BULK);
	ck_assert_int_eq(r->element[1]->type, RESP_ARRAY);
	next = strtoull(r->element[0]->str, NULL, 10);
	for (size_t i = 0; i < r->element[1]->elements; i++) {
		const struct resp_reply *k = r->element[1]->element[i];
		int n;

		ck_assert_int_eq(k->type, RESP_BULK);
		if (strncmp(k->str, "key:", 4) == 0) {
			n = atoi(k->str + 4);
			ck_assert_msg(n >= 0 && n < nkeys, "unexpected key %s", k->str);
			seen[n]++;
		} else {
			ck_assert_msg(strncmp(k->str, "other:", 6) == 0, "unexpected key %s", k->str);
			(*others)++;
		}
	}
	resp_reply_free(r);
	return next;
}

START_TEST(test_scan_full_iteration_match_count_type)
{
	enum { N = 1000 };
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	static int seen[N];
	int others = 0, calls = 0;
	char cursor[32] = "0";
	unsigned long long next;

	pipeline_same_reply(c, N, "SET key:%d v\r\n", "+OK\r\n");
	pipeline_same_reply(c, 10, "SET other:%d v\r\n", "+OK\r\n");
	h_call_int(c, N + 10, "DBSIZE");

	/* Full iteration: every key at least once, nothing else. */
	memset(seen, 0, sizeof seen);
	do {
		next = scan_step(c, cursor, NULL, seen, N, &others);
		snprintf(cursor, sizeof cursor, "%llu", next);
		ck_assert_int_lt(++calls, 100000);
	} while (next != 0);
	for (int i = 0; i < N; i++)
		ck_assert_msg(seen[i] >= 1, "key:%d never returned", i);
	ck_assert_int_ge(others, 10);
	ck_assert_int_gt(calls, 1); /* COUNT 10 cannot return 1,010 keys at once */

	/* Keys present for the whole iteration are returned even while the
	 * table grows (and rehashes) under the cursor. */
	memset(seen, 0, sizeof seen);
	strcpy(cursor, "0");
	calls = 0;
	do {
		next = scan_step(c, cursor, NULL, seen, N, &others);
		snprintf(cursor, sizeof cursor, "%llu", next);
		for (int i = 0; i < 5; i++) {
			char k[32];

			snprintf(k, sizeof k, "other:grow%d", calls * 5 + i);
			h_ok(c, "SET", k, "v");
		}
		ck_assert_int_lt(++calls, 5000);
	} while (next != 0);
	for (int i = 0; i < N; i++)
		ck_assert_msg(seen[i] >= 1, "key:%d lost while the table grew", i);
	ck_assert_int_ge(calls * 5, N / 2); /* enough to make the table grow */
	h_call_int(c, (long long)N + 10 + calls * 5, "DBSIZE");
	pipeline_same_reply(c, 1, "FLUSHDB\r\n", "+OK\r\n");
	pipeline_same_reply(c, N, "SET key:%d v\r\n", "+OK\r\n");
	pipeline_same_reply(c, 10, "SET other:%d v\r\n", "+OK\r\n");

	/* MATCH: exactly key:1, key:10..19 and key:100..199. */
	{
		static const char *const match[] = {"MATCH", "key:1*", NULL};
		int total = 0;

		memset(seen, 0, sizeof seen);
		others = 0;
		strcpy(cursor, "0");
		do {
			next = scan_step(c, cursor, match, seen, N, &others);
			snprintf(cursor, sizeof cursor, "%llu", next);
		} while (next != 0);
		for (int i = 0; i < N; i++) {
			char k[16];

			snprintf(k, sizeof k, "%d", i);
			if (k[0] == '1')
				total++;
			ck_assert_msg((seen[i] >= 1) == (k[0] == '1'), "MATCH key:1* and key:%d", i);
		}
		ck_assert_int_eq(total, 111);
		ck_assert_int_eq(others, 0);
	}
	/* A COUNT above the table size returns everything in one call. */
	{
		static const char *const count[] = {"COUNT", "100000", NULL};

		memset(seen, 0, sizeof seen);
		others = 0;
		ck_assert_uint_eq(scan_step(c, "0", count, seen, N, &others), 0);
		for (int i = 0; i < N; i++)
			ck_assert_int_ge(seen[i], 1);
		ck_assert_int_eq(others, 10);
	}
	/* TYPE filters; MATCH and TYPE combine. */
	{
		static const char *const str[] = {"COUNT", "100000", "TYPE", "string", "MATCH",
						  "other:*", NULL};
		static const char *const lock[] = {"COUNT", "100000", "TYPE", "lock", NULL};

		memset(seen, 0, sizeof seen);
		others = 0;
		ck_assert_uint_eq(scan_step(c, "0", str, seen, N, &others), 0);
		ck_assert_int_eq(others, 10);
		for (int i = 0; i < N; i++)
			ck_assert_int_eq(seen[i], 0);
		others = 0;
		ck_assert_uint_eq(scan_step(c, "0", lock, seen, N, &others), 0);
		ck_assert_int_eq(others, 0);
	}
	/* Errors. */
	h_cmd(c, "SCAN", "abc");
	h_expect_error_is(c, "ERR invalid cursor");
	/* Redis reads cursors with strtoul: "-1" is 2^64-1, a bare sign is not. */
	h_cmd(c, "SCAN", "-");
	h_expect_error_is(c, "ERR invalid cursor");
	h_cmd(c, "SCAN", "0", "COUNT", "0");
	h_expect_error_is(c, "ERR syntax error");
	h_cmd(c, "SCAN", "0", "COUNT", "abc");
	h_expect_error_is(c, "ERR value is not an integer or out of range");
	h_cmd(c, "SCAN", "0", "MATCH");
	h_expect_error_is(c, "ERR syntax error");
	h_cmd(c, "SCAN", "0", "FOO", "bar");
	h_expect_error_is(c, "ERR syntax error");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- INFO, CLIENT, COMMAND, CONFIG ---------------------------------------- */

START_TEST(test_info_sections_and_keyspace_line)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d), *c2 = h_connect(d);
	char *s, want[64];

	h_ok(c, "SET", "a", "1");
	h_ok(c, "SET", "b", "2", "EX", "100");
	h_ok(c, "SET", "c", "3", "PX", "100000");
	h_ok(c2, "SELECT", "3");
	h_ok(c2, "SET", "x", "1");
	s = info_text(c, NULL);
	ck_assert_ptr_nonnull(strstr(s, "# Server\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "# Clients\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "# Memory\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "# Stats\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "# Keyspace\r\n"));
	ck_assert_msg(strstr(s, "\r\ndb0:keys=3,expires=2,") != NULL, "keyspace:\n%s", s);
	ck_assert_msg(strstr(s, "\r\ndb3:keys=1,expires=0,") != NULL, "keyspace:\n%s", s);
	ck_assert_ptr_null(strstr(s, "db1:"));
	ck_assert_ptr_nonnull(strstr(s, "redis_version:"));
	snprintf(want, sizeof want, "\r\nprocess_id:%d\r\n", (int)d->pid);
	ck_assert_ptr_nonnull(strstr(s, want));
	free(s);
	ck_assert_int_eq(h_info_ll(c, "clients", "connected_clients"), 2);
	ck_assert_int_gt(h_info_ll(c, "memory", "used_memory"), 0);
	ck_assert_int_ge(h_info_ll(c, "stats", "total_commands_processed"), 5);
	/* One section only. */
	s = info_text(c, "keyspace");
	ck_assert_ptr_nonnull(strstr(s, "# Keyspace\r\n"));
	ck_assert_ptr_null(strstr(s, "# Server"));
	free(s);
	s = info_text(c, "server");
	ck_assert_ptr_nonnull(strstr(s, "# Server\r\n"));
	ck_assert_ptr_null(strstr(s, "# Keyspace"));
	ck_assert_ptr_null(strstr(s, "# Clients"));
	free(s);
	h_close(c);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_client_setname_getname_id_list)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d), *c2 = h_connect(d);
	long long id1, id2;
	struct resp_reply *r;
	char want[64];
	int lines = 0;

	id1 = h_call_ll(c, "CLIENT", "ID");
	id2 = h_call_ll(c2, "CLIENT", "ID");
	ck_assert_int_gt(id1, 0);
	ck_assert_int_gt(id2, id1);
	ck_assert_int_eq(h_call_ll(c, "CLIENT", "ID"), id1);
	h_call_nil(c, "CLIENT", "GETNAME");
	h_ok(c, "CLIENT", "SETNAME", "worker-1");
	h_call_bulk(c, "worker-1", "CLIENT", "GETNAME");
	h_call_error(c, "ERR Client names cannot contain spaces", "CLIENT", "SETNAME", "a b");
	h_call_bulk(c, "worker-1", "CLIENT", "GETNAME");
	h_call_error(c, "ERR unknown subcommand", "CLIENT", "FOO");
	r = h_call(c2, "CLIENT", "LIST");
	ck_assert_int_eq(r->type, RESP_BULK);
	for (const char *p = r->str; (p = strchr(p, '\n')); p++)
		lines++;
	ck_assert_int_eq(lines, 2);
	snprintf(want, sizeof want, "id=%lld ", id1);
	ck_assert_msg(strstr(r->str, want) != NULL, "%s not in\n%s", want, r->str);
	ck_assert_ptr_nonnull(strstr(r->str, "name=worker-1 "));
	snprintf(want, sizeof want, " pid=%d ", (int)getpid());
	ck_assert_msg(strstr(r->str, want) != NULL, "%s not in\n%s", want, r->str);
	snprintf(want, sizeof want, " uid=%d ", (int)getuid());
	ck_assert_msg(strstr(r->str, want) != NULL, "%s not in\n%s", want, r->str);
	resp_reply_free(r);
	/* No length limit, as in Redis (CONN_NAME_MAX was 128). */
	{
		char *name = filled(129, 'n');

		h_ok(c, "CLIENT", "SETNAME", name);
		h_call_bulk(c, name, "CLIENT", "GETNAME");
		free(name);
	}
	/* An empty name clears it. */
	h_ok(c, "CLIENT", "SETNAME", "");
	h_call_nil(c, "CLIENT", "GETNAME");
	h_close(c);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_command_and_config_get)
{
	struct h_daemon *d = h_daemon_start("--maxclients", "77", NULL);
	struct h_client *c = h_connect(d);
	struct resp_reply *r, *e;
	long long n = h_call_ll(c, "COMMAND", "COUNT");
	bool found = false;

	ck_assert_int_ge(n, 28);
	r = h_call(c, "COMMAND");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, (size_t)n);
	for (size_t i = 0; i < r->elements; i++) {
		e = r->element[i];
		ck_assert_int_eq(e->type, RESP_ARRAY);
		ck_assert_uint_eq(e->elements, 10);
		ck_assert_int_eq(e->element[0]->type, RESP_BULK);
		found |= strcmp(e->element[0]->str, "set") == 0;
	}
	ck_assert(found);
	resp_reply_free(r);
	r = h_call(c, "COMMAND", "INFO", "get", "nosuchcommand");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 2);
	e = r->element[0];
	ck_assert_int_eq(e->type, RESP_ARRAY);
	ck_assert_str_eq(e->element[0]->str, "get");
	ck_assert_int_eq(e->element[1]->integer, 2);
	ck_assert_int_eq(e->element[2]->type, RESP_ARRAY);
	ck_assert_int_eq(e->element[3]->integer, 1);
	ck_assert_int_eq(e->element[4]->integer, 1);
	ck_assert_int_eq(e->element[5]->integer, 1);
	ck_assert_int_eq(r->element[1]->type, RESP_NIL);
	resp_reply_free(r);
	r = h_call(c, "CONFIG", "GET", "maxclients");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_str_eq(r->element[0]->str, "maxclients");
	ck_assert_str_eq(r->element[1]->str, "77");
	resp_reply_free(r);
	r = h_call(c, "CONFIG", "GET", "maxclients", "MAXCLIENTS", "max*");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_ge(r->elements, 6); /* maxclients once, maxmemory, maxmemory-policy */
	ck_assert_uint_eq(r->elements % 2, 0);
	resp_reply_free(r);
	r = h_call(c, "CONFIG", "GET", "nosuchdirective");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 0);
	resp_reply_free(r);
	/* Restart-only directives refuse CONFIG SET (check_info.c has the rest). */
	h_call_error(c, "ERR CONFIG SET failed (possibly related to argument 'unixsocket')",
		     "CONFIG", "SET", "unixsocket", "/x");
	h_call_error(c, "ERR wrong number of arguments", "CONFIG", "GET");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- expiry ---------------------------------------------------------------------- */

START_TEST(test_px_ttl_expires_end_to_end)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	long long v;

	h_ok(c, "SET", "short", "v", "PX", "100");
	h_ok(c, "SET", "viaexpire", "v");
	h_call_int(c, 1, "PEXPIRE", "viaexpire", "100");
	h_ok(c, "SET", "long", "v", "PX", "30000");
	h_sleep_ms(400);
	h_call_nil(c, "GET", "short");
	h_call_int(c, 0, "EXISTS", "viaexpire");
	h_call_int(c, -2, "PTTL", "short");
	h_call_bulk(c, "v", "GET", "long");
	v = h_call_ll(c, "PTTL", "long");
	ck_assert_msg(v > 0 && v <= 29600, "PTTL %lld", v);
	h_call_int(c, 1, "DBSIZE");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_active_expiry_removes_20000_keys_without_access)
{
	enum { N = 20000 };
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	int64_t deadline;
	long long n = -1, hits, misses;

	pipeline_same_reply(c, N, "SET ae:%d v PX 100\r\n", "+OK\r\n");
	hits = h_info_ll(c, "stats", "keyspace_hits");
	misses = h_info_ll(c, "stats", "keyspace_misses");
	h_sleep_ms(1500);
	deadline = h_now_ms() + T_SLOW_MS(3000);
	while ((n = h_call_ll(c, "DBSIZE")) != 0 && h_now_ms() < deadline)
		h_sleep_ms(100);
	ck_assert_msg(n == 0, "DBSIZE still %lld: active expiry did not run", n);
	ck_assert_int_ge(h_info_ll(c, "stats", "expired_keys"), N);
	/* Nobody looked the keys up: they went by the background sweep. */
	ck_assert_int_eq(h_info_ll(c, "stats", "keyspace_hits"), hits);
	ck_assert_int_eq(h_info_ll(c, "stats", "keyspace_misses"), misses);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- life cycle --------------------------------------------------------------- */

START_TEST(test_sigterm_exits_0_closes_clients_and_removes_socket)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	struct stat st;
	int status;

	h_call_status(c, "PONG", "PING");
	ck_assert_int_eq(lstat(d->sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	h_daemon_kill(d, SIGTERM);
	status = h_daemon_wait_exit(d, T_SLOW_MS(10000));
	ck_assert_msg(status != -1, "still running 10 s after SIGTERM");
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
	ck_assert_msg(lstat(d->sock, &st) == -1 && errno == ENOENT, "socket file left behind");
	ck_assert(h_read_until_eof(c, T_SLOW_MS(2000), NULL));
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_sigint_exits_0_and_removes_socket)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct stat st;
	int status;

	h_daemon_kill(d, SIGINT);
	status = h_daemon_wait_exit(d, T_SLOW_MS(10000));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
	ck_assert_int_eq(lstat(d->sock, &st), -1);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_socket_file_gets_unixsocketperm_mode)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_daemon *d2 = h_daemon_start("--unixsocketperm", "600", NULL);
	struct stat st;

	ck_assert_int_eq(lstat(d->sock, &st), 0);
	ck_assert_msg((st.st_mode & 07777) == 0660, "default mode %o", st.st_mode & 07777);
	ck_assert_int_eq(lstat(d2->sock, &st), 0);
	ck_assert_msg((st.st_mode & 07777) == 0600, "mode %o", st.st_mode & 07777);
	h_daemon_finish(d);
	h_daemon_finish(d2);
}
END_TEST

START_TEST(test_refuses_socket_path_longer_than_sun_path)
{
	struct h_daemon *d = h_daemon_new();
	char path[300];
	const char *argv[] = {h_cachifyd(), "-s", path, NULL};
	char err[H_PATH_MAX + 16];
	struct stat st;
	int status;

	snprintf(err, sizeof err, "%s/err", d->dir);
	ck_assert_int_lt(snprintf(path, sizeof path, "%s/%0200d", d->dir, 0), sizeof path);
	status = h_exec(argv, NULL, NULL, err, T_SLOW_MS(10000));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 0, "status 0x%x", status);
	ck_assert_int_eq(lstat(path, &st), -1);
	h_daemon_free(d);
}
END_TEST

START_TEST(test_sighup_reloads_loglevel_and_keeps_clients)
{
	struct h_daemon *d = h_daemon_new();
	char conf[H_PATH_MAX + 16];
	const char *args[] = {conf, NULL};
	struct h_client *c;
	struct resp_reply *r;
	int64_t deadline;
	bool debug = false;

	snprintf(conf, sizeof conf, "%s/cachifyd.conf", d->dir);
	h_write_file(conf, "# test\nloglevel warning\n");
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	c = h_connect(d);
	h_ok(c, "SET", "k", "v");
	r = h_call(c, "CONFIG", "GET", "loglevel");
	ck_assert_str_eq(r->element[1]->str, "warning");
	resp_reply_free(r);

	h_write_file(conf, "# test\nloglevel debug\n");
	h_daemon_kill(d, SIGHUP);
	deadline = h_now_ms() + T_SLOW_MS(5000);
	while (!debug && h_now_ms() < deadline) {
		r = h_call(c, "CONFIG", "GET", "loglevel");
		debug = strcmp(r->element[1]->str, "debug") == 0;
		resp_reply_free(r);
		if (!debug)
			h_sleep_ms(20);
	}
	ck_assert_msg(debug, "loglevel not reloaded after SIGHUP");
	/* The same connection keeps working, with its data. */
	h_call_bulk(c, "v", "GET", "k");
	ck_assert(h_log_wait(d, "reloaded", T_SLOW_MS(2000)));

	/* A broken file is refused and the running configuration kept. */
	h_write_file(conf, "loglevel nonsense\n");
	h_daemon_kill(d, SIGHUP);
	ck_assert(h_log_wait(d, "reload failed", T_SLOW_MS(5000)));
	r = h_call(c, "CONFIG", "GET", "loglevel");
	ck_assert_str_eq(r->element[1]->str, "debug");
	resp_reply_free(r);
	h_call_status(c, "PONG", "PING");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- socket safety and configuration test ------------------------------------ */

/* Spawns d and expects it to refuse to start: exit status non-zero. */
static void expect_refusal(struct h_daemon *d)
{
	int status;

	h_daemon_spawn(d, NULL);
	status = h_daemon_wait_exit(d, T_SLOW_MS(5000));
	if (status == -1)
		h_log_dump(d);
	ck_assert_msg(status != -1, "cachifyd started on %s", d->sock);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 0, "status 0x%x", status);
}

START_TEST(test_refuses_regular_file_at_socket_path)
{
	struct h_daemon *d = h_daemon_new();
	char *s;

	h_write_file(d->sock, "precious data\n");
	expect_refusal(d);
	s = h_slurp(d->sock, NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "precious data\n");
	free(s);
	ck_assert(h_log_wait(d, "not a socket", 0));
	h_daemon_free(d);
}
END_TEST

START_TEST(test_refuses_symlink_at_socket_path)
{
	struct h_daemon *d = h_daemon_new();
	char target[H_PATH_MAX + 16], link[H_PATH_MAX + 16];
	ssize_t n;
	struct stat st;
	char *s;

	snprintf(target, sizeof target, "%s/target", d->dir);
	h_write_file(target, "target data\n");
	ck_assert_int_eq(symlink(target, d->sock), 0);
	expect_refusal(d);
	ck_assert_int_eq(lstat(d->sock, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	n = readlink(d->sock, link, sizeof link - 1);
	ck_assert_int_gt(n, 0);
	link[n] = '\0';
	ck_assert_str_eq(link, target);
	s = h_slurp(target, NULL);
	ck_assert_str_eq(s, "target data\n");
	free(s);
	/* A dangling symlink is refused too. */
	ck_assert_int_eq(unlink(target), 0);
	expect_refusal(d);
	ck_assert_int_eq(lstat(d->sock, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(lstat(target, &st), -1);
	h_daemon_free(d);
}
END_TEST

START_TEST(test_refuses_live_socket_of_another_daemon)
{
	struct h_daemon *first = h_daemon_start(NULL);
	struct h_daemon *second = h_daemon_new();
	struct h_client *c;
	struct stat st;

	snprintf(second->sock, sizeof second->sock, "%s", first->sock);
	expect_refusal(second);
	ck_assert(h_log_wait(second, "already listening", 0));
	ck_assert_int_eq(lstat(first->sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	c = h_connect(first);
	h_call_status(c, "PONG", "PING");
	h_close(c);
	h_daemon_free(second);
	h_daemon_finish(first);
}
END_TEST

START_TEST(test_replaces_stale_socket_file)
{
	struct h_daemon *d = h_daemon_new();
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct h_client *c;

	ck_assert_int_ge(fd, 0);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", d->sock);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	close(fd); /* a crashed daemon's socket: the file stays, nobody listens */
	h_daemon_spawn(d, NULL);
	h_daemon_wait_ready(d);
	c = h_connect(d);
	h_call_status(c, "PONG", "PING");
	h_close(c);
	ck_assert(h_log_wait(d, "stale", 0));
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_config_test_flag_reports_file_and_line)
{
	struct h_daemon *d = h_daemon_new();
	char conf[H_PATH_MAX + 16], err[H_PATH_MAX + 16], want[H_PATH_MAX + 32];
	const char *argv[] = {h_cachifyd(), "-t", conf, NULL};
	int status;
	char *s;

	snprintf(conf, sizeof conf, "%s/bad.conf", d->dir);
	snprintf(err, sizeof err, "%s/err", d->dir);
	h_write_file(conf, "# a comment\nmaxclients lots\n");
	status = h_exec(argv, NULL, NULL, err, T_SLOW_MS(10000));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status 0x%x", status);
	s = h_slurp(err, NULL);
	snprintf(want, sizeof want, "%s:2:", conf);
	ck_assert_msg(strstr(s, want) != NULL, "stderr lacks '%s':\n%s", want, s);
	free(s);
	/* An unknown directive too. */
	h_write_file(conf, "loglevel notice\n\n\nno-such-directive 1\n");
	status = h_exec(argv, NULL, NULL, err, T_SLOW_MS(10000));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status 0x%x", status);
	s = h_slurp(err, NULL);
	snprintf(want, sizeof want, "%s:4:", conf);
	ck_assert_msg(strstr(s, want) != NULL, "stderr lacks '%s':\n%s", want, s);
	free(s);
	h_daemon_free(d);
}
END_TEST

START_TEST(test_config_test_flag_accepts_shipped_conf)
{
	struct h_daemon *d = h_daemon_new();
	char conf[H_PATH_MAX], err[H_PATH_MAX + 16];
	const char *argv[] = {h_cachifyd(), "-t", conf, NULL};
	struct stat st;
	int status;
	char *s;

	snprintf(conf, sizeof conf, "%s", h_src_path("cachifyd.conf"));
	snprintf(err, sizeof err, "%s/err", d->dir);
	ck_assert_msg(stat(conf, &st) == 0, "%s: %s", conf, strerror(errno));
	status = h_exec(argv, NULL, NULL, err, T_SLOW_MS(10000));
	s = h_slurp(err, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x:\n%s", status,
		      s ? s : "");
	free(s);
	h_daemon_free(d);
}
END_TEST

/* ---- maxmemory -------------------------------------------------------------- */

START_TEST(test_maxmemory_noeviction_refuses_writes_reads_and_del_work)
{
	struct h_daemon *d = h_daemon_start("--maxmemory", "1mb", NULL);
	struct h_client *c = h_connect(d);
	char *val = filled(1000, 'm'), key[32];
	struct resp_reply *r = NULL;
	int i;

	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof key, "mm:%d", i);
		r = h_call(c, "SET", key, val);
		if (r->type != RESP_STRING)
			break;
		resp_reply_free(r);
		r = NULL;
	}
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, RESP_ERROR);
	ck_assert_str_eq(r->str, "OOM command not allowed when used memory > 'maxmemory'.");
	resp_reply_free(r);
	ck_assert_msg(i > 100 && i < 1100, "OOM after %d writes of 1000 bytes under 1mb", i);
	/* The same write fails again; reads, DEL and FLUSHALL work. */
	h_call_error(c, "OOM ", "SET", "another", val);
	h_call_nil(c, "GET", "another");
	h_call_bulk(c, val, "GET", "mm:0");
	h_call_int(c, i, "DBSIZE");
	h_call_int(c, 1, "DEL", "mm:0");
	h_call_int(c, i - 1, "DBSIZE");
	ck_assert_int_eq(h_info_ll(c, "memory", "maxmemory"), 1024 * 1024);
	h_ok(c, "FLUSHALL");
	h_ok(c, "SET", "after", "flush");
	h_call_bulk(c, "flush", "GET", "after");
	free(val);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

Suite *server_suite(void)
{
	Suite *s = suite_create("server");
	TCase *tc;

	tc = tcase_create("protocol");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ping_echo_quit_replies_then_eof);
	tcase_add_test(tc, test_quit_pipelined_drops_later_commands);
	tcase_add_test(tc, test_inline_quotes_escapes_and_blank_lines);
	tcase_add_test(tc, test_multibulk_binary_safe_arguments);
	tcase_add_test(tc, test_default_limits_take_big_values_and_many_arguments);
	tcase_add_test(tc, test_multibulk_zero_and_negative_counts_are_ignored);
	tcase_add_loop_test(tc, test_hostile_input_gets_protocol_error_then_eof, 0,
			    (int)(sizeof hostile / sizeof hostile[0]));
	tcase_add_test(tc, test_limits_accept_exactly_the_maximum);
	tcase_add_test(tc, test_query_buffer_limit_closes_client);
	tcase_add_test(tc, test_pipeline_sent_byte_by_byte_gets_exact_replies);
	tcase_add_test(tc, test_pipeline_split_at_every_point_gets_exact_replies);
	tcase_add_test(tc, test_pipeline_of_10000_pings_does_not_starve_other_client);
	tcase_add_test(tc, test_long_stream_of_short_commands_is_not_cut_by_query_buffer_limit);
	tcase_add_test(tc, test_client_killed_mid_request_leaves_state_intact);
	suite_add_tcase(s, tc);

	tc = tcase_create("clients");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_1000_concurrent_set_nx_px_exactly_one_wins);
	tcase_add_test(tc, test_maxclients_rejects_extra_client_with_error_then_eof);
	tcase_add_test(tc, test_http_requests_are_closed_without_reply_and_logged);
	tcase_add_test(tc, test_output_buffer_limit_closes_client_that_does_not_read);
	tcase_add_test(tc, test_unfinished_request_times_out_idle_client_does_not);
	tcase_add_test(tc, test_output_limit_applies_while_a_reply_is_built);
	tcase_add_test(tc, test_blocked_client_with_unfinished_request_times_out);
	tcase_add_test(tc, test_maxclients_is_lowered_to_fit_the_descriptor_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("commands");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_set_nx_xx_get_keepttl);
	tcase_add_test(tc, test_set_ex_px_exat_pxat);
	tcase_add_test(tc, test_set_far_future_exat_pxat_accepted_as_redis);
	tcase_add_test(tc, test_set_errors_match_redis);
	tcase_add_test(tc, test_arity_and_unknown_command_errors);
	tcase_add_test(tc, test_get_del_exists_type);
	tcase_add_test(tc, test_write_commands_do_not_count_keyspace_hits_or_misses);
	tcase_add_test(tc, test_expire_options_and_ttl_family);
	tcase_add_test(tc, test_mget_mset);
	tcase_add_test(tc, test_incr_family_overflow_errors_and_ttl);
	tcase_add_test(tc, test_select_isolates_16_databases_and_flush);
	tcase_add_test(tc, test_scan_full_iteration_match_count_type);
	tcase_add_test(tc, test_info_sections_and_keyspace_line);
	tcase_add_test(tc, test_client_setname_getname_id_list);
	tcase_add_test(tc, test_command_and_config_get);
	suite_add_tcase(s, tc);

	tc = tcase_create("expiry");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_px_ttl_expires_end_to_end);
	tcase_add_test(tc, test_active_expiry_removes_20000_keys_without_access);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sigterm_exits_0_closes_clients_and_removes_socket);
	tcase_add_test(tc, test_sigint_exits_0_and_removes_socket);
	tcase_add_test(tc, test_sighup_reloads_loglevel_and_keeps_clients);
	tcase_add_test(tc, test_socket_file_gets_unixsocketperm_mode);
	tcase_add_test(tc, test_refuses_socket_path_longer_than_sun_path);
	tcase_add_test(tc, test_refuses_regular_file_at_socket_path);
	tcase_add_test(tc, test_refuses_symlink_at_socket_path);
	tcase_add_test(tc, test_refuses_live_socket_of_another_daemon);
	tcase_add_test(tc, test_replaces_stale_socket_file);
	tcase_add_test(tc, test_config_test_flag_reports_file_and_line);
	tcase_add_test(tc, test_config_test_flag_accepts_shipped_conf);
	tcase_add_test(tc, test_maxmemory_noeviction_refuses_writes_reads_and_del_work);
	suite_add_tcase(s, tc);
	return s;
}
