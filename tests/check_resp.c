/* check_resp.c - tests for the RESP codec: request parser, reply writer,
 * reply reader and the number helpers.
 *
 * Parser and reader results are turned into a small text log so one string
 * comparison checks a whole stream, fed whole, split in two at every byte,
 * and one byte at a time.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "resp.h"

#define S(lit) lit, sizeof(lit) - 1

/* ---------------------------------------------------------------------------
 * Logs: "m(SET)(k)(v)" for a multibulk command, "i(...)" for an inline one,
 * "m" / "i" for an empty one, "=N" for N bytes left unparsed at the end,
 * "!reason" for a protocol error. Unprintable bytes and ()\ become \xHH.
 */

static void log_raw(struct resp_buf *log, const char *s)
{
	ck_assert_int_eq(resp_buf_append(log, s, strlen(s)), 0);
}

static void log_bytes(struct resp_buf *log, const char *p, size_t n)
{
	char hex[8];
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c >= 0x7f || c == '(' || c == ')' || c == '\\') {
			snprintf(hex, sizeof(hex), "\\x%02x", c);
			log_raw(log, hex);
		} else {
			ck_assert_int_eq(resp_buf_append(log, &p[i], 1), 0);
		}
	}
}

/* Hands the log over as a NUL-terminated string (free it). */
static char *log_done(struct resp_buf *log)
{
	ck_assert_int_eq(resp_buf_append(log, "", 1), 0);
	return log->data;
}

static void log_command(struct resp_buf *log, const struct resp_req *p)
{
	int i;

	if (log->len)
		log_raw(log, " ");
	log_raw(log, p->is_inline ? "i" : "m");
	for (i = 0; i < p->argc; i++) {
		log_raw(log, "(");
		log_bytes(log, p->argv[i].ptr, p->argv[i].len);
		log_raw(log, ")");
	}
}

/* ---------------------------------------------------------------------------
 * Request stream driver: acts as a connection would. Bytes arrive in chunks
 * (whole, split at one offset, or one byte at a time); after each chunk the
 * parser runs until it wants more. Every call gets a fresh copy of the
 * unconsumed bytes, so a parser that kept a pointer across calls, or read
 * past len, trips the sanitizers.
 */

enum feed { FEED_WHOLE, FEED_SPLIT, FEED_BYTES };

/* Bytes to deliver next when at of n were delivered. */
static size_t chunk_size(enum feed how, size_t at, size_t split, size_t n)
{
	if (how == FEED_BYTES)
		return 1;
	if (how == FEED_SPLIT && at < split)
		return split - at;
	return n - at;
}

/* Below this the driver copies the pending bytes for every call. */
#define COPY_MAX 4096

static char *run_req(const char *in, size_t n, const struct resp_limits *lim, enum feed how,
		     size_t split)
{
	struct resp_req p;
	struct resp_buf q, log;
	size_t at = 0;
	bool failed = false;
	char left[32];

	resp_req_init(&p, lim);
	resp_buf_init(&q);
	resp_buf_init(&log);
	while (at < n && !failed) {
		size_t chunk = chunk_size(how, at, split, n);

		ck_assert_int_eq(resp_buf_append(&q, in + at, chunk), 0);
		at += chunk;
		for (;;) {
			char *copy = NULL;
			const char *view = q.data;
			size_t consumed = 99;
			int rc;

			if (q.len < COPY_MAX) {
				copy = malloc(q.len ? q.len : 1);
				ck_assert_ptr_nonnull(copy);
				if (q.len)
					memcpy(copy, q.data, q.len);
				view = copy;
			}
			rc = resp_req_parse(&p, view, q.len, &consumed);
			if (rc == 1) {
				ck_assert_uint_gt(consumed, 0);
				ck_assert_uint_le(consumed, q.len);
				log_command(&log, &p);
				free(copy);
				resp_buf_consume(&q, consumed);
				continue;
			}
			free(copy);
			ck_assert_uint_eq(consumed, 0);
			if (rc < 0) {
				ck_assert_ptr_nonnull(p.err);
				if (log.len)
					log_raw(&log, " ");
				log_raw(&log, "!");
				log_raw(&log, p.err);
				failed = true;
			} else {
				ck_assert_int_eq(rc, 0);
			}
			break;
		}
	}
	if (!failed) {
		snprintf(left, sizeof(left), "%s=%zu", log.len ? " " : "", q.len);
		log_raw(&log, left);
	}
	resp_req_free(&p);
	resp_buf_free(&q);
	return log_done(&log);
}

/* Whole, every two-part split, and byte by byte must all log want. */
static void check_req_stream(const char *in, size_t n, const struct resp_limits *lim,
			     const char *want, size_t idx)
{
	char *got;
	size_t k;

	got = run_req(in, n, lim, FEED_WHOLE, 0);
	ck_assert_msg(strcmp(got, want) == 0, "case %zu whole: got \"%s\", want \"%s\"", idx, got,
		      want);
	free(got);
	for (k = 1; k < n; k++) {
		got = run_req(in, n, lim, FEED_SPLIT, k);
		ck_assert_msg(strcmp(got, want) == 0,
			      "case %zu split at %zu: got \"%s\", want \"%s\"", idx, k, got, want);
		free(got);
	}
	got = run_req(in, n, lim, FEED_BYTES, 0);
	ck_assert_msg(strcmp(got, want) == 0, "case %zu bytewise: got \"%s\", want \"%s\"", idx,
		      got, want);
	free(got);
}

struct req_case {
	const char *in;
	size_t len;
	const char *want;
	size_t inline_max, args_max, bulk_max; /* 0: the default */
};

static void limits_of(const struct req_case *c, struct resp_limits *lim)
{
	resp_limits_default(lim);
	if (c->inline_max)
		lim->inline_max = c->inline_max;
	if (c->args_max)
		lim->args_max = c->args_max;
	if (c->bulk_max)
		lim->bulk_max = c->bulk_max;
}

/* Designated initializers: the limits default to 0 without a warning. */
#define REQ(lit, w)	     {.in = lit, .len = sizeof(lit) - 1, .want = w}
#define REQ_LIM(lit, w, ...) {.in = lit, .len = sizeof(lit) - 1, .want = w, __VA_ARGS__}

static const struct req_case valid_requests[] = {
	REQ("*1\r\n$4\r\nPING\r\n", "m(PING) =0"),
	REQ("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$5\r\nhello\r\n", "m(SET)(a)(hello) =0"),
	REQ("*2\r\n$4\r\nECHO\r\n$5\r\na\0\r\nb\r\n", "m(ECHO)(a\\x00\\x0d\\x0ab) =0"),
	REQ("*1\r\n$1\r\n\0\r\n", "m(\\x00) =0"),
	REQ("*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n", "m(SET)()() =0"),
	REQ("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "m(PING) m(GET)(k) =0"),
	REQ("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET", "m(PING) =11"),
	REQ("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n", "m m m(PING) =0"),
	REQ("PING\r\n", "i(PING) =0"),
	REQ("GET k\n", "i(GET)(k) =0"),
	REQ("SET a \"hello world\" NX EX 10\r\n", "i(SET)(a)(hello world)(NX)(EX)(10) =0"),
	REQ("ECHO \"a\\nb\\x41\\\\\\\"\" 'it\\'s'\r\n", "i(ECHO)(a\\x0abA\\x5c\")(it's) =0"),
	REQ("ECHO \"\\r\\t\\b\\a\\xfF\\xZZ\\q\"\n", "i(ECHO)(\\x0d\\x09\\x08\\x07\\xffxZZq) =0"),
	REQ("ECHO 'a\\nb' foo\"bar baz\"\r\n", "i(ECHO)(a\\x5cnb)(foobar baz) =0"),
	REQ("  GET\t\tk  \r\n", "i(GET)(k) =0"),
	REQ("ECHO \"\" ''\r\n", "i(ECHO)()() =0"),
	REQ("ECHO a\0b\r\n", "i(ECHO)(a\\x00b) =0"),
	REQ("\r\nPING\n\n", "i i(PING) i =0"),
	REQ("PING\r\n*1\r\n$4\r\nPING\r\n", "i(PING) m(PING) =0"),
	REQ("\v\fGET a\vb\r\n", "i(GET)(a\\x0bb) =0"),
	REQ("GET a\rb\r\n", "i(GET)(a)(b) =0"),
	REQ("SET 'a b'\t\"c\"\n", "i(SET)(a b)(c) =0"),
};

START_TEST(test_valid_requests_parse_the_same_whole_split_and_bytewise)
{
	const struct req_case *c = &valid_requests[_i];
	struct resp_limits lim;

	limits_of(c, &lim);
	check_req_stream(c->in, c->len, &lim, c->want, (size_t)_i);
}
END_TEST

/* Redis's tests/unit/protocol.tcl hostile inputs, and the limits around them. */
static const struct req_case hostile_requests[] = {
	REQ("*-10\r\nPING\r\n", "m i(PING) =0"),
	REQ("*3000000000\r\n", "!invalid multibulk length"),
	REQ("*20000000\r\n", "!invalid multibulk length"),
	REQ("*99999999999999999999\r\n", "!invalid multibulk length"),
	REQ("*-0\r\n", "!invalid multibulk length"),
	REQ("*+1\r\n", "!invalid multibulk length"),
	REQ("* 1\r\n", "!invalid multibulk length"),
	REQ("*01\r\n", "!invalid multibulk length"),
	REQ("*\r\n", "!invalid multibulk length"),
	REQ("*1x\r\n", "!invalid multibulk length"),
	REQ("*1\rX", "!invalid multibulk length"),
	REQ("*1\n$4\r\nPING\r\n", "!invalid multibulk length"),
	REQ("*1\r\nfoo", "!expected '$', got 'f'"),
	REQ("*1\r\nfoo=bar\r\n", "!expected '$', got 'f'"),
	REQ("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", "!expected '$', got 'f'"),
	REQ("*1\r\n\0", "!expected '$', got '\\x00'"),
	REQ("*1\r\n*", "!expected '$', got '*'"),
	REQ("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n", "!invalid bulk length"),
	REQ("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n", "!invalid bulk length"),
	REQ("*1\r\n$3000000000\r\n", "!invalid bulk length"),
	REQ("*1\r\n$99999999999999999999\r\n", "!invalid bulk length"),
	REQ("*1\r\n$1048577\r\n", "!invalid bulk length"),
	REQ("*1\r\n$-1\r\n", "!invalid bulk length"),
	REQ("*1\r\n$\r\n", "!invalid bulk length"),
	REQ("*1\r\n$3\rX", "!invalid bulk length"),
	REQ("*1\r\n$3\r\nfooX", "!expected CRLF after bulk argument"),
	REQ("*1\r\n$3\r\nfooX\n", "!expected CRLF after bulk argument"),
	REQ("*1\r\n$3\r\nfoo\rX", "!expected CRLF after bulk argument"),
	REQ("*1\r\n$3\r\nfoo\n\r", "!expected CRLF after bulk argument"),
	REQ("*1\r\n$3\r\nfoo", "=11"),
	REQ("\"foo\r\n", "!unbalanced quotes in request"),
	REQ("'bar\r\n", "!unbalanced quotes in request"),
	REQ("\"foo\"bar\r\n", "!unbalanced quotes in request"),
	REQ("'a'b\n", "!unbalanced quotes in request"),
	REQ("set \"\"\"test-key\"\"\" test-value\r\n", "!unbalanced quotes in request"),
	REQ("ECHO \"a\\\"\n", "!unbalanced quotes in request"),
	REQ("PING\r\n\"x\n", "i(PING) !unbalanced quotes in request"),
	/* Limits overridden: inline_max 8, args_max 2, bulk_max 4. */
	REQ_LIM("AAAAAAAA\r\n", "i(AAAAAAAA) =0", .inline_max = 8),
	REQ_LIM("AAAAAAAAA\n", "!too big inline request", .inline_max = 8),
	REQ_LIM("AAAAAAAAA", "!too big inline request", .inline_max = 8),
	REQ_LIM("AAAAAAAA\r", "=9", .inline_max = 8),
	REQ_LIM("AAAAAAAA\rX", "!too big inline request", .inline_max = 8),
	REQ_LIM("*0000001\r\n", "!invalid multibulk length", .inline_max = 8),
	REQ_LIM("*000000001\r\n", "!too big mbulk count string", .inline_max = 8),
	REQ_LIM("*00000001", "!too big mbulk count string", .inline_max = 8),
	REQ_LIM("*1\r\n$0000003\r\n", "!invalid bulk length", .inline_max = 8),
	REQ_LIM("*1\r\n$000000003\r\n", "!too big bulk count string", .inline_max = 8),
	REQ_LIM("*1\r\n$00000003", "!too big bulk count string", .inline_max = 8),
	REQ_LIM("*2\r\n$1\r\na\r\n$1\r\nb\r\n*3\r\n", "m(a)(b) !invalid multibulk length",
		.args_max = 2),
	REQ_LIM("a b\na b c\n", "i(a)(b) !too many arguments in inline request", .args_max = 2),
	REQ_LIM("*1\r\n$4\r\nabcd\r\n*1\r\n$5\r\n", "m(abcd) !invalid bulk length",
		.bulk_max = 4),
};

START_TEST(test_hostile_requests_fail_the_same_whole_split_and_bytewise)
{
	const struct req_case *c = &hostile_requests[_i];
	struct resp_limits lim;

	limits_of(c, &lim);
	check_req_stream(c->in, c->len, &lim, c->want, (size_t)_i);
}
END_TEST

/* A long string of n bytes c (free it). */
static char *filled(size_t n, char c)
{
	char *s = malloc(n + 3);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	return s;
}

START_TEST(test_inline_line_at_default_limit_parses_and_one_more_byte_fails)
{
	char *s = filled(RESP_INLINE_MAX + 1, 'A');
	char *got;

	memcpy(s + RESP_INLINE_MAX, "\r\n", 2);
	got = run_req(s, RESP_INLINE_MAX + 2, NULL, FEED_WHOLE, 0);
	ck_assert_uint_eq(strlen(got), RESP_INLINE_MAX + 6); /* "i(" A... ") =0" */
	ck_assert_str_eq(got + strlen(got) - 4, ") =0");
	free(got);

	memset(s, 'A', RESP_INLINE_MAX + 1);
	got = run_req(s, RESP_INLINE_MAX + 1, NULL, FEED_WHOLE, 0);
	ck_assert_str_eq(got, "!too big inline request");
	free(got);
	got = run_req(s, RESP_INLINE_MAX + 1, NULL, FEED_BYTES, 0);
	ck_assert_str_eq(got, "!too big inline request");
	free(got);

	s[RESP_INLINE_MAX + 1] = '\n';
	got = run_req(s, RESP_INLINE_MAX + 2, NULL, FEED_WHOLE, 0);
	ck_assert_str_eq(got, "!too big inline request");
	free(got);
	free(s);
}
END_TEST

START_TEST(test_mbulk_count_line_past_default_limit_is_too_big)
{
	char *s = filled(RESP_INLINE_MAX + 1, '1');
	char *got;

	s[0] = '*';
	got = run_req(s, RESP_INLINE_MAX + 1, NULL, FEED_WHOLE, 0);
	ck_assert_str_eq(got, "!too big mbulk count string");
	free(got);
	got = run_req(s, RESP_INLINE_MAX, NULL, FEED_WHOLE, 0);
	ck_assert_str_eq(got, "=65536");
	free(got);
	free(s);
}
END_TEST

START_TEST(test_bulk_count_line_past_default_limit_is_too_big)
{
	char *s = filled(4 + RESP_INLINE_MAX + 1, '1');
	char *got;

	memcpy(s, "*1\r\n$", 5);
	got = run_req(s, 4 + RESP_INLINE_MAX + 1, NULL, FEED_WHOLE, 0);
	ck_assert_str_eq(got, "!too big bulk count string");
	free(got);
	free(s);
}
END_TEST

/* A request with an argument of n bytes 'x' (free it); *len gets its size. */
static char *big_bulk_request(size_t n, size_t *len)
{
	char *s = malloc(n + 64);
	int h;

	ck_assert_ptr_nonnull(s);
	h = snprintf(s, 64, "*2\r\n$4\r\nECHO\r\n$%zu\r\n", n);
	memset(s + h, 'x', n);
	memcpy(s + h + n, "\r\n", 2);
	*len = (size_t)h + n + 2;
	return s;
}

START_TEST(test_bulk_at_bulk_max_parses_zero_copy)
{
	struct resp_req p;
	size_t len, consumed;
	char *s = big_bulk_request(RESP_BULK_MAX, &len);

	resp_req_init(&p, NULL);
	ck_assert_int_eq(resp_req_parse(&p, s, len, &consumed), 1);
	ck_assert_uint_eq(consumed, len);
	ck_assert_int_eq(p.argc, 2);
	ck_assert_uint_eq(p.argv[1].len, RESP_BULK_MAX);
	/* Zero copy: the argument is the caller's own bytes. */
	ck_assert_ptr_eq(p.argv[1].ptr, s + len - 2 - RESP_BULK_MAX);
	ck_assert_ptr_eq(p.argv[0].ptr, s + 8);
	resp_req_free(&p);
	free(s);
}
END_TEST

/* Fed byte by byte without copying: linear if the parser resumes where it
 * stopped. A parser that rescans the bulk takes hours and hits the test
 * timeout; for the inline line the scan position itself is checked. */
START_TEST(test_byte_by_byte_feeding_of_large_requests_is_linear)
{
	struct resp_req p;
	size_t len, i, consumed = 0;
	char *s = big_bulk_request(RESP_BULK_MAX, &len);
	char *line = filled(RESP_INLINE_MAX - 1, 'a');
	int rc = 0;

	resp_req_init(&p, NULL);
	for (i = 1; i <= len; i++) {
		rc = resp_req_parse(&p, s, i, &consumed);
		if (rc != 0)
			break;
	}
	ck_assert_int_eq(rc, 1);
	ck_assert_uint_eq(i, len);
	ck_assert_uint_eq(p.argv[1].len, RESP_BULK_MAX);

	line[0] = 'E';
	line[1] = ' ';
	line[RESP_INLINE_MAX - 1] = '\n';
	for (i = 1; i <= RESP_INLINE_MAX; i++) {
		rc = resp_req_parse(&p, line, i, &consumed);
		if (rc != 0)
			break;
		ck_assert_uint_eq(p.pos, i);
	}
	ck_assert_int_eq(rc, 1);
	ck_assert_uint_eq(consumed, RESP_INLINE_MAX);
	ck_assert_int_eq(p.argc, 2);
	ck_assert_uint_eq(p.argv[1].len, RESP_INLINE_MAX - 3);
	resp_req_free(&p);
	free(line);
	free(s);
}
END_TEST

/* The parser must not look again at bytes it has scanned: a newline planted
 * in them afterwards goes unseen. (Callers never do this; it only makes a
 * rescan visible.) */
START_TEST(test_inline_parser_never_rescans_bytes_it_has_seen)
{
	struct resp_req p;
	char buf[16];
	size_t consumed;

	resp_req_init(&p, NULL);
	memcpy(buf, "GET aaaa b\n", 11);
	ck_assert_int_eq(resp_req_parse(&p, buf, 8, &consumed), 0);
	buf[5] = '\n';
	ck_assert_int_eq(resp_req_parse(&p, buf, 11, &consumed), 1);
	ck_assert_uint_eq(consumed, 11);
	ck_assert_int_eq(p.argc, 4);

	/* A count line: the planted "\r\n" would make it "*1". */
	resp_req_reset(&p);
	memcpy(buf, "*12345\r\n", 8);
	ck_assert_int_eq(resp_req_parse(&p, buf, 6, &consumed), 0);
	buf[2] = '\r';
	buf[3] = '\n';
	ck_assert_int_eq(resp_req_parse(&p, buf, 8, &consumed), -1);
	ck_assert_str_eq(p.err, "invalid multibulk length");

	/* A bulk length line: the planted "\r\n" would make it "$1". */
	resp_req_reset(&p);
	memcpy(buf, "*1\r\n$12345\r\n", 12);
	ck_assert_int_eq(resp_req_parse(&p, buf, 10, &consumed), 0);
	buf[6] = '\r';
	buf[7] = '\n';
	ck_assert_int_eq(resp_req_parse(&p, buf, 12, &consumed), -1);
	ck_assert_str_eq(p.err, "invalid bulk length");
	resp_req_free(&p);
}
END_TEST

START_TEST(test_declared_arg_count_allocates_only_for_args_that_arrived)
{
	struct resp_req p;
	struct resp_buf b;
	size_t consumed;
	int i;

	resp_req_init(&p, NULL);
	resp_buf_init(&b);
	ck_assert_int_eq(resp_buf_append(&b, S("*1000\r\n")), 0);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(resp_buf_append(&b, S("$1\r\na\r\n")), 0);
	ck_assert_int_eq(resp_req_parse(&p, b.data, b.len, &consumed), 0);
	/* 20 arguments in, 1000 declared: room for 32 at most (8, 16, 32). */
	ck_assert_uint_ge(p.cap, 20);
	ck_assert_uint_le(p.cap, 32);
	resp_req_free(&p);
	resp_buf_free(&b);
}
END_TEST

START_TEST(test_argument_array_never_exceeds_declared_count)
{
	struct resp_req p;
	struct resp_buf b;
	size_t consumed;
	int i;

	resp_req_init(&p, NULL);
	resp_buf_init(&b);
	ck_assert_int_eq(resp_buf_append(&b, S("*9\r\n")), 0);
	for (i = 0; i < 9; i++)
		ck_assert_int_eq(resp_buf_append(&b, S("$1\r\na\r\n")), 0);
	ck_assert_int_eq(resp_req_parse(&p, b.data, b.len, &consumed), 1);
	ck_assert_int_eq(p.argc, 9);
	ck_assert_uint_eq(p.cap, 9);
	resp_req_free(&p);
	resp_buf_free(&b);
}
END_TEST

START_TEST(test_error_is_sticky_until_reset)
{
	struct resp_req p;
	size_t consumed = 7;

	resp_req_init(&p, NULL);
	ck_assert_int_eq(resp_req_parse(&p, S("*x\r\n"), &consumed), -1);
	ck_assert_str_eq(p.err, "invalid multibulk length");
	ck_assert_int_eq(resp_req_parse(&p, S("PING\r\n"), &consumed), -1);
	ck_assert_uint_eq(consumed, 0);
	resp_req_reset(&p);
	ck_assert_ptr_null(p.err);
	ck_assert_int_eq(resp_req_parse(&p, S("PING\r\n"), &consumed), 1);
	ck_assert_int_eq(p.argc, 1);
	ck_assert_uint_eq(consumed, 6);
	resp_req_free(&p);
}
END_TEST

START_TEST(test_quoted_byte_in_dollar_error_survives_reset)
{
	struct resp_req p;
	size_t consumed;
	const char *err;

	resp_req_init(&p, NULL);
	ck_assert_int_eq(resp_req_parse(&p, S("*1\r\n\x7f"), &consumed), -1);
	err = p.err;
	ck_assert_str_eq(err, "expected '$', got '\\x7f'");
	resp_req_reset(&p);
	ck_assert_str_eq(err, "expected '$', got '\\x7f'");
	resp_req_free(&p);
}
END_TEST

START_TEST(test_reset_forgets_a_partial_request)
{
	struct resp_req p;
	size_t consumed;

	resp_req_init(&p, NULL);
	ck_assert_int_eq(resp_req_parse(&p, S("*2\r\n$3\r\nGET\r\n"), &consumed), 0);
	resp_req_reset(&p);
	ck_assert_int_eq(resp_req_parse(&p, S("PING\r\n"), &consumed), 1);
	ck_assert(p.is_inline);
	ck_assert_int_eq(p.argc, 1);
	ck_assert_int_eq(memcmp(p.argv[0].ptr, "PING", 4), 0);
	resp_req_free(&p);
}
END_TEST

START_TEST(test_shorter_buffer_than_scanned_restarts_instead_of_reading_past_it)
{
	struct resp_req p;
	size_t consumed;

	resp_req_init(&p, NULL);
	ck_assert_int_eq(resp_req_parse(&p, S("*1\r\n$4\r\nPI"), &consumed), 0);
	ck_assert_int_eq(resp_req_parse(&p, S("GET"), &consumed), 0);
	ck_assert_int_eq(resp_req_parse(&p, S("GET k\r\n"), &consumed), 1);
	ck_assert(p.is_inline);
	ck_assert_int_eq(p.argc, 2);
	resp_req_free(&p);
}
END_TEST

START_TEST(test_set_limits_applies_to_the_next_command)
{
	struct resp_req p;
	struct resp_limits lim;
	size_t consumed;

	resp_req_init(&p, NULL);
	ck_assert_int_eq(resp_req_parse(&p, S("*1\r\n$5\r\nhello\r\n"), &consumed), 1);
	resp_limits_default(&lim);
	lim.bulk_max = 4;
	resp_req_set_limits(&p, &lim);
	ck_assert_int_eq(resp_req_parse(&p, S("*1\r\n$5\r\nhello\r\n"), &consumed), -1);
	ck_assert_str_eq(p.err, "invalid bulk length");
	resp_req_free(&p);
}
END_TEST

START_TEST(test_set_limits_clamps_to_the_ceilings)
{
	struct resp_req p;
	struct resp_limits lim = {.inline_max = 10, .args_max = SIZE_MAX, .bulk_max = SIZE_MAX};

	resp_req_init(&p, &lim);
	ck_assert_uint_eq(p.lim.args_max, RESP_ARGS_MAX_CEILING);
	ck_assert_uint_eq(p.lim.bulk_max, (size_t)RESP_BULK_MAX_CEILING);
	ck_assert_uint_eq(p.lim.inline_max, 10);
	resp_req_free(&p);
}
END_TEST

START_TEST(test_inline_args_point_into_scratch_and_multibulk_into_buf)
{
	struct resp_req p;
	size_t consumed;
	const char in[] = "SET k v\r\n";

	resp_req_init(&p, NULL);
	ck_assert_int_eq(resp_req_parse(&p, in, sizeof(in) - 1, &consumed), 1);
	ck_assert(p.argv[1].ptr < in || p.argv[1].ptr >= in + sizeof(in));
	ck_assert_ptr_eq(p.argv[1].ptr, p.scratch + 3);
	resp_req_free(&p);
}
END_TEST

START_TEST(test_command_written_by_writer_parses_back_to_same_args)
{
	const struct resp_arg args[] = {{"SET", 3}, {"k\r\n\0", 4}, {"", 0}, {"*1\r\n", 4}};
	struct resp_req p;
	struct resp_buf b;
	size_t consumed;
	int i;

	resp_buf_init(&b);
	ck_assert_int_eq(resp_add_command(&b, 4, args), 0);
	resp_req_init(&p, NULL);
	ck_assert_int_eq(resp_req_parse(&p, b.data, b.len, &consumed), 1);
	ck_assert_uint_eq(consumed, b.len);
	ck_assert_int_eq(p.argc, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(p.argv[i].len, args[i].len);
		ck_assert_int_eq(memcmp(p.argv[i].ptr, args[i].ptr, args[i].len), 0);
	}
	resp_req_free(&p);
	resp_buf_free(&b);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Numbers.
 */

START_TEST(test_parse_ll_accepts_canonical_numbers)
{
	long long v = 7;

	ck_assert_int_eq(resp_parse_ll(S("0"), &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(resp_parse_ll(S("-1"), &v), 0);
	ck_assert_int_eq(v, -1);
	ck_assert_int_eq(resp_parse_ll(S("1234567890"), &v), 0);
	ck_assert_int_eq(v, 1234567890);
	ck_assert_int_eq(resp_parse_ll(S("9223372036854775807"), &v), 0);
	ck_assert(v == LLONG_MAX);
	ck_assert_int_eq(resp_parse_ll(S("-9223372036854775808"), &v), 0);
	ck_assert(v == LLONG_MIN);
	/* Only len bytes count. */
	ck_assert_int_eq(resp_parse_ll("123", 2, &v), 0);
	ck_assert_int_eq(v, 12);
}
END_TEST

START_TEST(test_parse_ll_rejects_other_spellings_and_overflow)
{
	static const char *const bad[] = {
		"", "-", "-0", "+1", " 1", "1 ", "01", "00", "-01", "1a", "a", "0x10", "1e3", "--1",
		"9223372036854775808", "-9223372036854775809", "99999999999999999999",
		"18446744073709551616",
	};
	long long v = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(resp_parse_ll(bad[i], strlen(bad[i]), &v) == -1, "accepted \"%s\"",
			      bad[i]);
		ck_assert_int_eq(v, 42);
	}
	ck_assert_int_eq(resp_parse_ll("1\0", 2, &v), -1);
}
END_TEST

START_TEST(test_parse_ull_accepts_digits_up_to_max)
{
	unsigned long long v = 7;

	ck_assert_int_eq(resp_parse_ull(S("0"), ULLONG_MAX, &v), 0);
	ck_assert(v == 0);
	ck_assert_int_eq(resp_parse_ull(S("18446744073709551615"), ULLONG_MAX, &v), 0);
	ck_assert(v == ULLONG_MAX);
	/* max is inclusive. */
	ck_assert_int_eq(resp_parse_ull(S("4294967294"), 4294967294ULL, &v), 0);
	ck_assert(v == 4294967294ULL);
	ck_assert_int_eq(resp_parse_ull(S("0"), 0, &v), 0);
	ck_assert(v == 0);
	/* Leading zeros are how config files and systemd's variables may spell a
	 * number ("0010" is 10): unlike resp_parse_ll, this is not a wire format. */
	ck_assert_int_eq(resp_parse_ull(S("0010"), ULLONG_MAX, &v), 0);
	ck_assert(v == 10);
	ck_assert_int_eq(resp_parse_ull(S("00"), ULLONG_MAX, &v), 0);
	ck_assert(v == 0);
	/* Only len bytes count: a caller may parse the digits before a unit. */
	ck_assert_int_eq(resp_parse_ull("64kb", 2, ULLONG_MAX, &v), 0);
	ck_assert(v == 64);
}
END_TEST

START_TEST(test_parse_ull_rejects_signs_junk_overflow_and_values_above_max)
{
	static const char *const bad[] = {
		"", "-", "-0", "-1", "+1", " 1", "1 ", "1a", "a", "0x10", "1e3", "1.5", "1000abc",
		"18446744073709551616", "99999999999999999999", "184467440737095516150",
	};
	unsigned long long v = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(resp_parse_ull(bad[i], strlen(bad[i]), ULLONG_MAX, &v) == -1,
			      "accepted \"%s\"", bad[i]);
		ck_assert(v == 42);
	}
	ck_assert_int_eq(resp_parse_ull("1\0", 2, ULLONG_MAX, &v), -1);
	ck_assert_int_eq(resp_parse_ull(S("4294967295"), 4294967294ULL, &v), -1);
	ck_assert_int_eq(resp_parse_ull(S("1"), 0, &v), -1);
	ck_assert(v == 42);
}
END_TEST

/* Small maxima are where a "(max - digit) / 10" bound can wrap around. */
START_TEST(test_parse_ull_max_is_exact_for_small_and_large_bounds)
{
	static const unsigned long long maxes[] = {0, 1, 9, 10, 11, 99, 100, 255, 4294967294ULL,
						   ULLONG_MAX - 1};
	char buf[32];

	for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
		for (unsigned long long k = 0; k < 300; k++) {
			unsigned long long x = maxes[m] > 150 ? maxes[m] - 150 + k : k, v = 0;
			int n = snprintf(buf, sizeof(buf), "%llu", x);

			ck_assert_int_eq(resp_parse_ull(buf, (size_t)n, maxes[m], &v),
					 x <= maxes[m] ? 0 : -1);
			ck_assert(x > maxes[m] || v == x);
		}
	}
}
END_TEST

START_TEST(test_ll_to_str_formats_extremes)
{
	char buf[21];

	ck_assert_uint_eq(resp_ll_to_str(buf, 0), 1);
	ck_assert_str_eq(buf, "0");
	ck_assert_uint_eq(resp_ll_to_str(buf, -7), 2);
	ck_assert_str_eq(buf, "-7");
	ck_assert_uint_eq(resp_ll_to_str(buf, 1000000), 7);
	ck_assert_str_eq(buf, "1000000");
	ck_assert_uint_eq(resp_ll_to_str(buf, LLONG_MAX), 19);
	ck_assert_str_eq(buf, "9223372036854775807");
	ck_assert_uint_eq(resp_ll_to_str(buf, LLONG_MIN), 20);
	ck_assert_str_eq(buf, "-9223372036854775808");
}
END_TEST

START_TEST(test_ll_to_str_round_trips_through_parse_ll)
{
	long long v = 1, back;
	char buf[21];
	int i;

	for (i = 0; i < 62; i++, v *= 2) {
		size_t n = resp_ll_to_str(buf, v - 1);

		ck_assert_int_eq(resp_parse_ll(buf, n, &back), 0);
		ck_assert(back == v - 1);
		n = resp_ll_to_str(buf, -v);
		ck_assert_int_eq(resp_parse_ll(buf, n, &back), 0);
		ck_assert(back == -v);
	}
}
END_TEST

/* ---------------------------------------------------------------------------
 * Buffer and writer.
 */

#define ck_assert_buf(b, lit)                                                                      \
	do {                                                                                       \
		ck_assert_uint_eq((b)->len, sizeof(lit) - 1);                                      \
		ck_assert_int_eq(memcmp((b)->data, lit, sizeof(lit) - 1), 0);                      \
	} while (0)

START_TEST(test_writer_emits_exact_resp2_bytes)
{
	struct resp_buf b;

	resp_buf_init(&b);
	ck_assert_int_eq(resp_add_simple(&b, S("OK")), 0);
	ck_assert_int_eq(resp_add_simple_cstr(&b, "PONG"), 0);
	ck_assert_int_eq(resp_add_error(&b, S("ERR no")), 0);
	ck_assert_int_eq(resp_add_int(&b, 0), 0);
	ck_assert_int_eq(resp_add_int(&b, -42), 0);
	ck_assert_int_eq(resp_add_bulk(&b, S("a\0b")), 0);
	ck_assert_int_eq(resp_add_bulk(&b, S("")), 0);
	ck_assert_int_eq(resp_add_bulk_cstr(&b, "hello"), 0);
	ck_assert_int_eq(resp_add_nil(&b), 0);
	ck_assert_int_eq(resp_add_nil_array(&b), 0);
	ck_assert_int_eq(resp_add_array(&b, 0), 0);
	ck_assert_int_eq(resp_add_array(&b, 12), 0);
	ck_assert_buf(&b, "+OK\r\n+PONG\r\n-ERR no\r\n:0\r\n:-42\r\n$3\r\na\0b\r\n$0\r\n\r\n"
			  "$5\r\nhello\r\n$-1\r\n*-1\r\n*0\r\n*12\r\n");
	resp_buf_free(&b);
}
END_TEST

START_TEST(test_writer_int_extremes)
{
	struct resp_buf b;

	resp_buf_init(&b);
	ck_assert_int_eq(resp_add_int(&b, LLONG_MIN), 0);
	ck_assert_int_eq(resp_add_int(&b, LLONG_MAX), 0);
	ck_assert_buf(&b, ":-9223372036854775808\r\n:9223372036854775807\r\n");
	resp_buf_free(&b);
}
END_TEST

START_TEST(test_writer_replaces_cr_lf_in_simple_strings_and_errors)
{
	struct resp_buf b;

	resp_buf_init(&b);
	ck_assert_int_eq(resp_add_simple(&b, S("a\r\nb\rc\n")), 0);
	ck_assert_int_eq(resp_add_error(&b, S("ERR x\r\n+OK")), 0);
	ck_assert_int_eq(resp_add_errorf(&b, "ERR %s %d", "bad\r\nkey", 5), 0);
	ck_assert_buf(&b, "+a  b c \r\n-ERR x  +OK\r\n-ERR bad  key 5\r\n");
	resp_buf_free(&b);
}
END_TEST

START_TEST(test_errorf_handles_messages_longer_than_its_first_guess)
{
	struct resp_buf b;
	char *want;
	size_t i;

	for (i = 100; i < 400; i += 7) {
		char *arg = filled(i, 'x');

		arg[i] = '\0';
		resp_buf_init(&b);
		ck_assert_int_eq(resp_buf_append(&b, S("junk")), 0);
		ck_assert_int_eq(resp_add_errorf(&b, "ERR %s!", arg), 0);
		ck_assert_uint_eq(b.len, 4 + 1 + 4 + i + 1 + 2);
		want = malloc(i + 16);
		ck_assert_ptr_nonnull(want);
		snprintf(want, i + 16, "junk-ERR %s!\r\n", arg);
		ck_assert_int_eq(memcmp(b.data, want, b.len), 0);
		free(want);
		free(arg);
		resp_buf_free(&b);
	}
}
END_TEST

START_TEST(test_add_command_writes_multibulk)
{
	const struct resp_arg args[] = {{"GET", 3}, {"k", 1}};
	struct resp_buf b;

	resp_buf_init(&b);
	ck_assert_int_eq(resp_add_command(&b, 2, args), 0);
	ck_assert_int_eq(resp_add_command(&b, 0, args), 0);
	ck_assert_buf(&b, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*0\r\n");
	resp_buf_free(&b);
}
END_TEST

START_TEST(test_buf_grows_geometrically)
{
	struct resp_buf b;
	size_t last = 0;
	int i, grows = 0;

	resp_buf_init(&b);
	for (i = 0; i < 100000; i++) {
		ck_assert_int_eq(resp_buf_append(&b, "x", 1), 0);
		if (b.cap != last) {
			grows++;
			last = b.cap;
		}
	}
	ck_assert_uint_eq(b.len, 100000);
	/* 64 bytes doubled up to 128 KiB: 12 allocations. */
	ck_assert_int_le(grows, 12);
	ck_assert_uint_lt(b.cap, 2 * 100000);
	resp_buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(test_buf_consume_moves_the_rest_to_the_front)
{
	struct resp_buf b;

	resp_buf_init(&b);
	ck_assert_int_eq(resp_buf_append(&b, S("hello world")), 0);
	resp_buf_consume(&b, 6);
	ck_assert_buf(&b, "world");
	resp_buf_consume(&b, 5);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(resp_buf_append(&b, NULL, 0), 0);
	ck_assert_uint_eq(b.len, 0);
	resp_buf_free(&b);
}
END_TEST

START_TEST(test_buf_reserve_refuses_overflowing_sizes)
{
	struct resp_buf b;

	resp_buf_init(&b);
	ck_assert_int_eq(resp_buf_append(&b, S("abc")), 0);
	ck_assert_int_eq(resp_buf_reserve(&b, SIZE_MAX - 1), -1);
	ck_assert_int_eq(resp_add_bulk(&b, "x", SIZE_MAX - 2), -1);
	ck_assert_buf(&b, "abc");
	resp_buf_free(&b);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Reply reader. Log: S(simple) E(error) I(int) B(bulk) N A[elem elem].
 */

static void log_reply(struct resp_buf *log, const struct resp_reply *x)
{
	char num[32];
	size_t i;

	switch (x->type) {
	case RESP_STRING:
	case RESP_ERROR:
	case RESP_BULK:
		log_raw(log, x->type == RESP_STRING ? "S(" : x->type == RESP_ERROR ? "E(" : "B(");
		log_bytes(log, x->str, x->len);
		log_raw(log, ")");
		ck_assert_int_eq(x->str[x->len], '\0');
		break;
	case RESP_INTEGER:
		snprintf(num, sizeof(num), "I(%lld)", x->integer);
		log_raw(log, num);
		break;
	case RESP_NIL:
		log_raw(log, "N");
		break;
	case RESP_ARRAY:
		log_raw(log, "A[");
		for (i = 0; i < x->elements; i++) {
			if (i)
				log_raw(log, " ");
			log_reply(log, x->element[i]);
		}
		log_raw(log, "]");
		break;
	default:
		ck_abort_msg("bad reply type %d", (int)x->type);
	}
}

struct reader_limits {
	size_t bulk_max, elements_max; /* 0: the default */
};

static char *run_reader(const char *in, size_t n, const struct reader_limits *lim, enum feed how,
			size_t split)
{
	struct resp_reader r;
	struct resp_buf log;
	size_t at = 0;
	bool failed = false;

	resp_reader_init(&r);
	if (lim && lim->bulk_max)
		r.bulk_max = lim->bulk_max;
	if (lim && lim->elements_max)
		r.elements_max = lim->elements_max;
	resp_buf_init(&log);
	while (at < n && !failed) {
		size_t chunk = chunk_size(how, at, split, n);
		struct resp_reply *x;
		int rc;

		ck_assert_int_eq(resp_reader_feed(&r, in + at, chunk), 0);
		at += chunk;
		while ((rc = resp_reader_get(&r, &x)) == 1) {
			ck_assert_ptr_nonnull(x);
			if (log.len)
				log_raw(&log, " ");
			log_reply(&log, x);
			resp_reply_free(x);
		}
		ck_assert_ptr_null(x);
		if (rc < 0) {
			ck_assert_ptr_nonnull(r.err);
			if (log.len)
				log_raw(&log, " ");
			log_raw(&log, "!");
			log_raw(&log, r.err);
			failed = true;
		}
	}
	resp_reader_free(&r);
	return log_done(&log);
}

static void check_reply_stream(const char *in, size_t n, const struct reader_limits *lim,
			       const char *want, size_t idx)
{
	char *got;
	size_t k;

	got = run_reader(in, n, lim, FEED_WHOLE, 0);
	ck_assert_msg(strcmp(got, want) == 0, "case %zu whole: got \"%s\", want \"%s\"", idx, got,
		      want);
	free(got);
	for (k = 1; k < n; k++) {
		got = run_reader(in, n, lim, FEED_SPLIT, k);
		ck_assert_msg(strcmp(got, want) == 0,
			      "case %zu split at %zu: got \"%s\", want \"%s\"", idx, k, got, want);
		free(got);
	}
	got = run_reader(in, n, lim, FEED_BYTES, 0);
	ck_assert_msg(strcmp(got, want) == 0, "case %zu bytewise: got \"%s\", want \"%s\"", idx,
		      got, want);
	free(got);
}

struct reply_case {
	const char *in;
	size_t len;
	const char *want;
	struct reader_limits lim;
};

#define REP(lit, w)	     {.in = lit, .len = sizeof(lit) - 1, .want = w}
#define REP_LIM(lit, w, ...) {.in = lit, .len = sizeof(lit) - 1, .want = w, __VA_ARGS__}

static const struct reply_case valid_replies[] = {
	REP("+OK\r\n", "S(OK)"),
	REP("-ERR unknown command\r\n", "E(ERR unknown command)"),
	REP(":0\r\n:-9223372036854775808\r\n:9223372036854775807\r\n",
	    "I(0) I(-9223372036854775808) I(9223372036854775807)"),
	REP("$5\r\nhello\r\n", "B(hello)"),
	REP("$0\r\n\r\n", "B()"),
	REP("$-1\r\n*-1\r\n", "N N"),
	REP("$4\r\na\0\r\n\r\n", "B(a\\x00\\x0d\\x0a)"),
	REP("*0\r\n", "A[]"),
	REP("*2\r\n$5\r\ntoken\r\n:42\r\n", "A[B(token) I(42)]"),
	REP("*3\r\n*2\r\n:1\r\n*1\r\n+x\r\n$-1\r\n*0\r\n", "A[A[I(1) A[S(x)]] N A[]]"),
	REP("*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", "A[A[A[A[A[A[A[I(1)]]]]]]]"),
	REP("*2\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*0\r\n",
	    "A[A[A[A[A[A[A[I(1)]]]]]] A[A[A[A[A[A[]]]]]]]"),
	REP("+PONG\r\n+PONG\r\n", "S(PONG) S(PONG)"),
	REP("*3\r\n$-1\r\n*-1\r\n-LOCKED held\r\n", "A[N N E(LOCKED held)]"),
	REP("+a\nb\r\n", "S(a\\x0ab)"),
	REP("*2\r\n:1\r\n", ""),
	REP("$5\r\nhel", ""),
	REP_LIM("$5\r\nhello\r\n", "B(hello)", .lim.bulk_max = 5),
	REP_LIM("*2\r\n:1\r\n:2\r\n", "A[I(1) I(2)]", .lim.elements_max = 2),
};

START_TEST(test_valid_replies_read_the_same_whole_split_and_bytewise)
{
	const struct reply_case *c = &valid_replies[_i];

	check_reply_stream(c->in, c->len, &c->lim, c->want, (size_t)_i);
}
END_TEST

static const struct reply_case hostile_replies[] = {
	REP("!foo\r\n", "!protocol error, got '!' as reply type byte"),
	REP("\x01", "!protocol error, got '\\x01' as reply type byte"),
	REP("+OK\r\n?", "S(OK) !protocol error, got '?' as reply type byte"),
	REP("*2\r\n:1\r\nx", "!protocol error, got 'x' as reply type byte"),
	REP(":abc\r\n", "!bad integer value"),
	REP(":+1\r\n", "!bad integer value"),
	REP(":\r\n", "!bad integer value"),
	REP(":-1\r\n:123456789012345678901234567890123", "I(-1) !bad integer value"),
	REP("$-2\r\n", "!bad bulk length"),
	REP("$abc\r\n", "!bad bulk length"),
	REP("*-2\r\n", "!bad array length"),
	REP("*1x\r\n", "!bad array length"),
	REP("$3\r\nfooX", "!expected CRLF after bulk data"),
	REP("$3\r\nfooX\n", "!expected CRLF after bulk data"),
	REP("$3\r\nfoo\rX", "!expected CRLF after bulk data"),
	REP("+OK\rX", "!expected CRLF at the end of a line"),
	REP("*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",
	    "!nested arrays too deep"),
	/* Regression (fuzz_reply): an empty array slipped past the depth limit. */
	REP("*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*0\r\n",
	    "!nested arrays too deep"),
	REP_LIM("$5\r\n", "!bulk length out of range", .lim.bulk_max = 4),
	REP_LIM("+hello\r\n", "!reply line too long", .lim.bulk_max = 4),
	REP_LIM("-hello", "!reply line too long", .lim.bulk_max = 4),
	REP_LIM("+hell\r\n", "S(hell)", .lim.bulk_max = 4),
	REP_LIM("*3\r\n", "!array length out of range", .lim.elements_max = 2),
	REP("*3000000000000\r\n", "!array length out of range"),
	REP("$3000000000\r\n", "!bulk length out of range"),
};

START_TEST(test_hostile_replies_fail_the_same_whole_split_and_bytewise)
{
	const struct reply_case *c = &hostile_replies[_i];

	check_reply_stream(c->in, c->len, &c->lim, c->want, (size_t)_i);
}
END_TEST

START_TEST(test_reader_error_is_sticky)
{
	struct resp_reader r;
	struct resp_reply *x = NULL;

	resp_reader_init(&r);
	ck_assert_int_eq(resp_reader_feed(&r, S("%\r\n")), 0);
	ck_assert_int_eq(resp_reader_get(&r, &x), -1);
	ck_assert_int_eq(resp_reader_feed(&r, S("+OK\r\n")), 0);
	ck_assert_int_eq(resp_reader_get(&r, &x), -1);
	ck_assert_ptr_null(x);
	resp_reader_free(&r);
}
END_TEST

START_TEST(test_reader_array_of_many_elements_grows_as_they_arrive)
{
	struct resp_reader r;
	struct resp_reply *x;
	size_t i;

	resp_reader_init(&r);
	ck_assert_int_eq(resp_reader_feed(&r, S("*1000\r\n")), 0);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(resp_reader_feed(&r, S(":7\r\n")), 0);
	ck_assert_int_eq(resp_reader_get(&r, &x), 0);
	/* 20 of 1000 elements in: 16 then 32 entries, never 1000. */
	ck_assert_int_eq(r.depth, 1);
	ck_assert_uint_eq(r.stack[0].cap, 32);
	for (; i < 1000; i++)
		ck_assert_int_eq(resp_reader_feed(&r, S(":7\r\n")), 0);
	ck_assert_int_eq(resp_reader_get(&r, &x), 1);
	ck_assert_int_eq(x->type, RESP_ARRAY);
	ck_assert_uint_eq(x->elements, 1000);
	ck_assert_int_eq(x->element[999]->integer, 7);
	resp_reply_free(x);

	/* The last growth stops at the declared count: 16, then 20, not 32. */
	ck_assert_int_eq(resp_reader_feed(&r, S("*20\r\n")), 0);
	for (i = 0; i < 17; i++)
		ck_assert_int_eq(resp_reader_feed(&r, S(":7\r\n")), 0);
	ck_assert_int_eq(resp_reader_get(&r, &x), 0);
	ck_assert_uint_eq(r.stack[0].cap, 20);
	resp_reader_free(&r);
}
END_TEST

START_TEST(test_reader_declared_huge_bulk_allocates_nothing_up_front)
{
	struct resp_reader r;
	struct resp_reply *x;

	resp_reader_init(&r);
	ck_assert_int_eq(resp_reader_feed(&r, S("*16000000\r\n$500000000\r\nab")), 0);
	ck_assert_int_eq(resp_reader_get(&r, &x), 0);
	ck_assert_uint_le(r.buf.cap, 64);
	ck_assert_ptr_null(r.stack[0].r->element);
	ck_assert_int_eq(r.bulk_len, 500000000);
	resp_reader_free(&r);
}
END_TEST

START_TEST(test_reader_resumes_a_long_line_without_rescanning)
{
	struct resp_reader r;
	struct resp_reply *x;
	size_t i, n = 1 << 20;

	resp_reader_init(&r);
	ck_assert_int_eq(resp_reader_feed(&r, "+", 1), 0);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(resp_reader_feed(&r, "a", 1), 0);
		ck_assert_int_eq(resp_reader_get(&r, &x), 0);
	}
	ck_assert_uint_eq(r.scan, n + 1);
	ck_assert_int_eq(resp_reader_feed(&r, "\r", 1), 0);
	ck_assert_int_eq(resp_reader_get(&r, &x), 0);
	ck_assert_int_eq(resp_reader_feed(&r, "\n", 1), 0);
	ck_assert_int_eq(resp_reader_get(&r, &x), 1);
	ck_assert_uint_eq(x->len, n);
	resp_reply_free(x);
	resp_reader_free(&r);
}
END_TEST

/* Same idea for the reader: a CR planted behind the scan position is not
 * seen, so the line ends where the first unseen CRLF is. */
START_TEST(test_reader_never_rescans_bytes_it_has_seen)
{
	struct resp_reader r;
	struct resp_reply *x;

	resp_reader_init(&r);
	ck_assert_int_eq(resp_reader_feed(&r, S("+abcd")), 0);
	ck_assert_int_eq(resp_reader_get(&r, &x), 0);
	r.buf.data[2] = '\r';
	r.buf.data[3] = '\n';
	ck_assert_int_eq(resp_reader_feed(&r, S("e\r\n")), 0);
	ck_assert_int_eq(resp_reader_get(&r, &x), 1);
	ck_assert_uint_eq(x->len, 5);
	ck_assert_int_eq(memcmp(x->str, "a\r\nde", 5), 0);
	resp_reply_free(x);
	resp_reader_free(&r);
}
END_TEST

START_TEST(test_reader_compacts_its_buffer_as_replies_are_taken)
{
	struct resp_reader r;
	struct resp_reply *x;
	int i;

	resp_reader_init(&r);
	for (i = 0; i < 100000; i++) {
		ck_assert_int_eq(resp_reader_feed(&r, S("+OK\r\n:1")), 0);
		ck_assert_int_eq(resp_reader_get(&r, &x), 1);
		resp_reply_free(x);
		ck_assert_int_eq(resp_reader_get(&r, &x), 0);
		ck_assert_int_eq(resp_reader_feed(&r, S("\r\n")), 0);
		ck_assert_int_eq(resp_reader_get(&r, &x), 1);
		ck_assert_int_eq(x->integer, 1);
		resp_reply_free(x);
	}
	ck_assert_uint_le(r.buf.cap, 64);
	resp_reader_free(&r);
}
END_TEST

START_TEST(test_reader_compacts_a_buffer_that_never_drains)
{
	struct resp_reader r;
	struct resp_reply *x;
	int i;

	/* A partial reply is always pending, so the buffer is never empty. */
	resp_reader_init(&r);
	ck_assert_int_eq(resp_reader_feed(&r, S(":1")), 0);
	for (i = 0; i < 100000; i++) {
		ck_assert_int_eq(resp_reader_feed(&r, S("\r\n:1")), 0);
		ck_assert_int_eq(resp_reader_get(&r, &x), 1);
		ck_assert_int_eq(x->integer, 1);
		resp_reply_free(x);
		ck_assert_int_eq(resp_reader_get(&r, &x), 0);
	}
	/* 400 KB went through; what stays is at most twice the compaction step. */
	ck_assert_uint_le(r.buf.cap, 16384);
	resp_reader_free(&r);
}
END_TEST

START_TEST(test_reader_gives_back_a_huge_buffer_once_drained)
{
	struct resp_reader r;
	struct resp_reply *x;
	size_t n = 1 << 20;
	char *s = filled(n + 32, 'z');
	int h = snprintf(s, 32, "$%zu\r\n", n);

	s[h + n] = '\r';
	s[h + n + 1] = '\n';
	resp_reader_init(&r);
	ck_assert_int_eq(resp_reader_feed(&r, s, (size_t)h + n + 2), 0);
	ck_assert_int_eq(resp_reader_get(&r, &x), 1);
	ck_assert_uint_eq(x->len, n);
	ck_assert_int_eq(x->str[n - 1], 'z');
	resp_reply_free(x);
	ck_assert_uint_gt(r.buf.cap, n);
	ck_assert_int_eq(resp_reader_feed(&r, S(":5\r\n")), 0);
	ck_assert_uint_le(r.buf.cap, 64);
	ck_assert_int_eq(resp_reader_get(&r, &x), 1);
	ck_assert_int_eq(x->integer, 5);
	resp_reply_free(x);
	resp_reader_free(&r);
	free(s);
}
END_TEST

START_TEST(test_reader_reads_what_the_writer_wrote)
{
	struct resp_buf b;
	struct resp_reader r;
	struct resp_reply *x;
	struct resp_buf log;
	char *got;

	resp_buf_init(&b);
	ck_assert_int_eq(resp_add_array(&b, 5), 0);
	ck_assert_int_eq(resp_add_bulk(&b, S("tok\0en")), 0);
	ck_assert_int_eq(resp_add_int(&b, LLONG_MIN), 0);
	ck_assert_int_eq(resp_add_nil(&b), 0);
	ck_assert_int_eq(resp_add_nil_array(&b), 0);
	ck_assert_int_eq(resp_add_errorf(&b, "NOTOWNER %s", "not\r\nyours"), 0);
	resp_reader_init(&r);
	ck_assert_int_eq(resp_reader_feed(&r, b.data, b.len), 0);
	ck_assert_int_eq(resp_reader_get(&r, &x), 1);
	resp_buf_init(&log);
	log_reply(&log, x);
	got = log_done(&log);
	ck_assert_str_eq(got,
			 "A[B(tok\\x00en) I(-9223372036854775808) N N E(NOTOWNER not  yours)]");
	free(got);
	resp_reply_free(x);
	resp_reader_free(&r);
	resp_buf_free(&b);
}
END_TEST

START_TEST(test_reply_free_accepts_null)
{
	struct resp_reader r;

	resp_reply_free(NULL);
	/* Freeing a reader holding a half-built nested reply frees it all. */
	resp_reader_init(&r);
	ck_assert_int_eq(resp_reader_feed(&r, S("*2\r\n*2\r\n$1\r\na\r\n")), 0);
	ck_assert_int_eq(resp_reader_get(&r, &(struct resp_reply *){NULL}), 0);
	ck_assert_int_eq(r.depth, 2);
	resp_reader_free(&r);
	ck_assert_int_eq(r.depth, 0);
}
END_TEST

#define NCASES(a) (int)(sizeof(a) / sizeof((a)[0]))

Suite *resp_suite(void)
{
	Suite *s = suite_create("resp");
	TCase *req = tcase_create("request");
	TCase *num = tcase_create("numbers");
	TCase *wr = tcase_create("writer");
	TCase *rd = tcase_create("reader");

	tcase_set_timeout(req, 60);
	tcase_add_loop_test(req, test_valid_requests_parse_the_same_whole_split_and_bytewise, 0,
			NCASES(valid_requests));
	tcase_add_loop_test(req, test_hostile_requests_fail_the_same_whole_split_and_bytewise, 0,
			NCASES(hostile_requests));
	tcase_add_test(req, test_inline_line_at_default_limit_parses_and_one_more_byte_fails);
	tcase_add_test(req, test_mbulk_count_line_past_default_limit_is_too_big);
	tcase_add_test(req, test_bulk_count_line_past_default_limit_is_too_big);
	tcase_add_test(req, test_bulk_at_bulk_max_parses_zero_copy);
	tcase_add_test(req, test_byte_by_byte_feeding_of_large_requests_is_linear);
	tcase_add_test(req, test_inline_parser_never_rescans_bytes_it_has_seen);
	tcase_add_test(req, test_declared_arg_count_allocates_only_for_args_that_arrived);
	tcase_add_test(req, test_argument_array_never_exceeds_declared_count);
	tcase_add_test(req, test_error_is_sticky_until_reset);
	tcase_add_test(req, test_quoted_byte_in_dollar_error_survives_reset);
	tcase_add_test(req, test_reset_forgets_a_partial_request);
	tcase_add_test(req, test_shorter_buffer_than_scanned_restarts_instead_of_reading_past_it);
	tcase_add_test(req, test_set_limits_applies_to_the_next_command);
	tcase_add_test(req, test_set_limits_clamps_to_the_ceilings);
	tcase_add_test(req, test_inline_args_point_into_scratch_and_multibulk_into_buf);
	tcase_add_test(req, test_command_written_by_writer_parses_back_to_same_args);
	suite_add_tcase(s, req);

	tcase_add_test(num, test_parse_ll_accepts_canonical_numbers);
	tcase_add_test(num, test_parse_ll_rejects_other_spellings_and_overflow);
	tcase_add_test(num, test_parse_ull_accepts_digits_up_to_max);
	tcase_add_test(num, test_parse_ull_rejects_signs_junk_overflow_and_values_above_max);
	tcase_add_test(num, test_parse_ull_max_is_exact_for_small_and_large_bounds);
	tcase_add_test(num, test_ll_to_str_formats_extremes);
	tcase_add_test(num, test_ll_to_str_round_trips_through_parse_ll);
	suite_add_tcase(s, num);

	tcase_add_test(wr, test_writer_emits_exact_resp2_bytes);
	tcase_add_test(wr, test_writer_int_extremes);
	tcase_add_test(wr, test_writer_replaces_cr_lf_in_simple_strings_and_errors);
	tcase_add_test(wr, test_errorf_handles_messages_longer_than_its_first_guess);
	tcase_add_test(wr, test_add_command_writes_multibulk);
	tcase_add_test(wr, test_buf_grows_geometrically);
	tcase_add_test(wr, test_buf_consume_moves_the_rest_to_the_front);
	tcase_add_test(wr, test_buf_reserve_refuses_overflowing_sizes);
	suite_add_tcase(s, wr);

	tcase_set_timeout(rd, 60);
	tcase_add_loop_test(rd, test_valid_replies_read_the_same_whole_split_and_bytewise, 0,
			NCASES(valid_replies));
	tcase_add_loop_test(rd, test_hostile_replies_fail_the_same_whole_split_and_bytewise, 0,
			NCASES(hostile_replies));
	tcase_add_test(rd, test_reader_error_is_sticky);
	tcase_add_test(rd, test_reader_array_of_many_elements_grows_as_they_arrive);
	tcase_add_test(rd, test_reader_declared_huge_bulk_allocates_nothing_up_front);
	tcase_add_test(rd, test_reader_resumes_a_long_line_without_rescanning);
	tcase_add_test(rd, test_reader_never_rescans_bytes_it_has_seen);
	tcase_add_test(rd, test_reader_compacts_its_buffer_as_replies_are_taken);
	tcase_add_test(rd, test_reader_compacts_a_buffer_that_never_drains);
	tcase_add_test(rd, test_reader_gives_back_a_huge_buffer_once_drained);
	tcase_add_test(rd, test_reader_reads_what_the_writer_wrote);
	tcase_add_test(rd, test_reply_free_accepts_null);
	suite_add_tcase(s, rd);
	return s;
}
