/* hostile.c - the hostile client: while the load runs, sends bad payloads on
 * fresh connections (Redis's protocol.tcl list: negative and huge counts, bad
 * lengths, unbalanced quotes, NUL bytes, oversized lines; partial requests
 * then close; seeded random garbage), slowloris connections, and bursts of
 * connections. Each payload's answer must be the one proto/PROTOCOL.md gives,
 * and after each one the daemon must still answer PING on a connection of
 * its own. Memory is the monitor's to watch (VmRSS).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "torture.h"

#define QUIET_MS       30  /* a partial request: nothing may come back this long */
#define ANY_QUIET_MS   100 /* garbage: the answer is over after this much silence */
#define GARBAGE_MAX    512 /* bytes of one random payload */
#define SLOW_BYTE_MS   40  /* slowloris that finishes: one byte every ... */
#define STUCK_BYTE_MS  300 /* slowloris that never finishes: one byte every ... */
#define SLOW_COMPLETE  3   /* connections of each kind in one slowloris round */
#define SLOW_STUCK     2
#define BURST_CONNS    64 /* connections opened at once in a burst */
#define PIPELINE_PINGS 2000
#define ROUND_EVERY    40          /* payloads between slowloris rounds and bursts */
#define GARBAGE_EVERY  4           /* every so many payloads, one of random garbage */
#define OVERSIZE       (70 * 1024) /* past proto-inline-max (64kb) */

enum expect {
	EX_CLOSE,     /* exactly reply, then the daemon closes */
	EX_OPEN,      /* exactly reply, and the connection still answers PING */
	EX_OPEN_LINE, /* one line starting with reply, connection still open */
	EX_QUIET,     /* a partial request: no answer, no close (then we close) */
	EX_ANY,       /* garbage: any well-formed replies, closed or not */
};

struct payload {
	const char *name;
	char *bytes; /* owned */
	size_t len;
	enum expect ex;
	char *reply; /* owned; may hold NUL */
	size_t rlen;
};

struct hostile {
	uint64_t rnd;
	struct payload *p;
	size_t n, cap;
	struct rconn ctl; /* for PING after each payload */
	int ctl_gen;
};

#define PERR "-ERR Protocol error: "

static void add(struct hostile *h, const char *name, const void *bytes, size_t len, enum expect ex,
                const char *reply, size_t rlen)
{
	struct payload *p;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		if (!(h->p = realloc(h->p, h->cap * sizeof *h->p)))
			abort();
	}
	p = &h->p[h->n++];
	p->name = name;
	p->len = len;
	p->ex = ex;
	p->rlen = rlen;
	if (!(p->bytes = malloc(len ? len : 1)) || !(p->reply = malloc(rlen ? rlen : 1)))
		abort();
	memcpy(p->bytes, bytes, len);
	memcpy(p->reply, reply, rlen);
}

#define ADD(h, name, lit, ex, reply)                                                               \
	add(h, name, lit, sizeof(lit) - 1, ex, reply, sizeof(reply) - 1)

/* prefix, then n copies of c, then suffix, as one payload. */
static void add_long(struct hostile *h, const char *name, const char *prefix, char c, size_t n,
                     const char *suffix, enum expect ex, const char *reply)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	char *b = malloc(pl + n + sl);

	if (!b)
		abort();
	memcpy(b, prefix, pl);
	memset(b + pl, c, n);
	memcpy(b + pl + n, suffix, sl);
	add(h, name, b, pl + n + sl, ex, reply, strlen(reply));
	free(b);
}

/* head, then count copies of unit; the reply is reps copies of rep. */
static void add_repeat(struct hostile *h, const char *name, const char *head, const char *unit,
                       int count, enum expect ex, const char *rep, int reps)
{
	size_t hl = strlen(head), ul = strlen(unit), rl = strlen(rep);
	char *b = malloc(hl + ul * (size_t)count), *r = malloc(rl * (size_t)reps + 1);

	if (!b || !r)
		abort();
	memcpy(b, head, hl);
	for (int i = 0; i < count; i++)
		memcpy(b + hl + ul * (size_t)i, unit, ul);
	for (int i = 0; i < reps; i++)
		memcpy(r + rl * (size_t)i, rep, rl);
	add(h, name, b, hl + ul * (size_t)count, ex, r, rl * (size_t)reps);
	free(b);
	free(r);
}

static void payloads_build(struct hostile *h)
{
	char tok[300];

	ADD(h, "negative multibulk count", "*-1\r\nPING\r\n", EX_OPEN, "+PONG\r\n");
	ADD(h, "zero and negative counts", "*0\r\n*-10\r\nPING\r\n", EX_OPEN, "+PONG\r\n");
	ADD(h, "multibulk count over the ceiling", "*1048577\r\n", EX_CLOSE,
	    PERR "invalid multibulk length\r\n");
	ADD(h, "multibulk count past int64", "*99999999999999999999\r\n", EX_CLOSE,
	    PERR "invalid multibulk length\r\n");
	ADD(h, "multibulk count with a plus", "*+1\r\n", EX_CLOSE,
	    PERR "invalid multibulk length\r\n");
	ADD(h, "count line ended by a bare LF", "*1\n$4\r\nPING\r\n", EX_CLOSE,
	    PERR "invalid multibulk length\r\n");
	ADD(h, "more arguments than proto-max-args", "*1025\r\n", EX_CLOSE,
	    PERR "invalid multibulk length\r\n");
	ADD(h, "negative bulk length", "*3\r\n$-5\r\n", EX_CLOSE, PERR "invalid bulk length\r\n");
	ADD(h, "bulk length over the ceiling", "*1\r\n$2147483648\r\n", EX_CLOSE,
	    PERR "invalid bulk length\r\n");
	ADD(h, "bulk length with a leading zero", "*1\r\n$04\r\nPING\r\n", EX_CLOSE,
	    PERR "invalid bulk length\r\n");
	ADD(h, "missing dollar", "*1\r\nfoo\r\n", EX_CLOSE, PERR "expected '$', got 'f'\r\n");
	ADD(h, "payload longer than its length", "*2\r\n$4\r\nPING\r\n$1\r\nab\r\n", EX_CLOSE,
	    PERR "expected CRLF after bulk argument\r\n");
	ADD(h, "unbalanced double quote", "SET k \"abc\r\n", EX_CLOSE,
	    PERR "unbalanced quotes in request\r\n");
	ADD(h, "text after a closing quote", "SET k \"a\"b\r\n", EX_CLOSE,
	    PERR "unbalanced quotes in request\r\n");
	ADD(h, "unbalanced single quote", "ECHO 'abc\r\n", EX_CLOSE,
	    PERR "unbalanced quotes in request\r\n");
	ADD(h, "NUL in an inline argument", "ECHO a\0b\r\n", EX_OPEN, "$3\r\na\0b\r\n");
	ADD(h, "NUL in a bulk argument", "*2\r\n$4\r\nECHO\r\n$3\r\na\0b\r\n", EX_OPEN,
	    "$3\r\na\0b\r\n");
	ADD(h, "empty bulk argument", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", EX_OPEN, "$0\r\n\r\n");
	ADD(h, "blank inline lines", "\r\n\r\n  \r\nPING\r\n", EX_OPEN, "+PONG\r\n");
	ADD(h, "binary unknown command", "*2\r\n$3\r\nF\0O\r\n$1\r\n\xff\r\n", EX_OPEN_LINE,
	    "-ERR unknown command");
	ADD(h, "HTTP request", "POST / HTTP/1.1\r\nHost: x\r\n\r\n", EX_CLOSE, "");
	ADD(h, "partial bulk, then close", "*1\r\n$1000000\r\nabc", EX_QUIET, "");
	ADD(h, "partial multibulk, then close", "*100\r\n$4\r\nPING\r\n", EX_QUIET, "");
	ADD(h, "half an inline line, then close", "PIN", EX_QUIET, "");
	/* Argument errors: the class is the contract (PROTOCOL.md), the
	 * wording is not, except where PROTOCOL.md gives it. */
	ADD(h, "lock TTL out of range", "LOCK.ACQUIRE tt:hostile PX -1\r\n", EX_OPEN_LINE, "-ERR ");
	ADD(h, "negative WAIT", "LOCK.ACQUIRE tt:hostile WAIT -5\r\n", EX_OPEN_LINE, "-ERR ");
	ADD(h, "negative pool size", "POOL.ACQUIRE tt:hostile -1\r\n", EX_OPEN_LINE, "-ERR ");
	ADD(h, "pool size past the limit", "POOL.ACQUIRE tt:hostile 4294967297\r\n", EX_OPEN_LINE,
	    "-ERR ");
	ADD(h, "fence not a number", "LOCK.CHECK tt:hostile abc\r\n", EX_OPEN,
	    "-ERR value is not an integer or out of range\r\n");
	ADD(h, "release by a stranger", "LOCK.RELEASE tt:hostile nope\r\n", EX_OPEN_LINE,
	    "-NOTOWNER ");
	ADD(h, "renew without PX", "LOCK.RENEW tt:hostile t XX 5\r\n", EX_OPEN_LINE, "-ERR ");
	snprintf(tok, sizeof tok, "LOCK.ACQUIRE tt:hostile TOKEN %0257d\r\n", 0);
	add(h, "token over 256 bytes", tok, strlen(tok), EX_OPEN_LINE, "-ERR ", 5);
	add_long(h, "oversized inline line", "", 'A', OVERSIZE, "", EX_CLOSE,
	         PERR "too big inline request\r\n");
	add_long(h, "oversized inline line with its newline", "", 'A', OVERSIZE, "\r\n", EX_CLOSE,
	         PERR "too big inline request\r\n");
	add_long(h, "oversized count line", "*", '9', OVERSIZE, "", EX_CLOSE,
	         PERR "too big mbulk count string\r\n");
	add_long(h, "oversized bulk length line", "*1\r\n$", '9', OVERSIZE, "", EX_CLOSE,
	         PERR "too big bulk count string\r\n");
	add_repeat(h, "pipelined PINGs", "", "PING\r\n", PIPELINE_PINGS, EX_OPEN, "+PONG\r\n",
	           PIPELINE_PINGS);
	add_repeat(h, "proto-max-args arguments", "*1024\r\n", "$1\r\na\r\n", 1024, EX_OPEN_LINE,
	           "-ERR unknown command 'a'", 1);
}

static void payloads_free(struct hostile *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->p[i].bytes);
		free(h->p[i].reply);
	}
	free(h->p);
}

/* Sends bytes, sometimes in random pieces (the parser must not care).
 * 0, or -1 when the daemon closed first. */
static int send_bytes(struct hostile *h, struct rconn *c, const char *b, size_t len)
{
	bool split = len < 256 && tt_range(&h->rnd, 0, 2) == 0;
	size_t off = 0;

	while (off < len) {
		size_t n = split ? (size_t)tt_range(&h->rnd, 1, 8) : len - off;

		if (n > len - off)
			n = len - off;
		if (rconn_send_raw(c, b + off, n) != 0)
			return -1;
		off += n;
		if (split)
			tt_sleep_us(tt_range(&h->rnd, 0, 1000));
	}
	return 0;
}

/* Reads raw bytes into buf (up to cap) for at most timeout_ms, stopping
 * early at want bytes (0: no limit) or at the first CRLF when line is set.
 * Returns 0 on EOF (or reset), 1 if it stopped for want/line, -1 on
 * timeout. */
static int read_raw(int fd, char *buf, size_t cap, size_t *n, size_t want, bool line,
                    int timeout_ms)
{
	int64_t deadline = rconn_now_ns() + (int64_t)timeout_ms * 1000000;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = (deadline - rconn_now_ns()) / 1000000;
		char trash[4096];
		ssize_t r;

		if ((want && *n >= want) || (line && memmem(buf, *n, "\r\n", 2)))
			return 1;
		if (left <= 0)
			return -1;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (*n < cap)
			r = read(fd, buf + *n, cap - *n);
		else /* more than we can show: count none of it */
			r = read(fd, trash, sizeof trash);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		if (*n < cap)
			*n += (size_t)r;
	}
}

/* Whether the bytes are a sequence of well-formed RESP replies (a last one
 * may be cut short by a close). */
static bool well_formed(const char *b, size_t n)
{
	struct resp_reader rd;
	struct resp_reply *r;
	int rc;

	resp_reader_init(&rd);
	resp_reader_feed(&rd, b, n);
	while ((rc = resp_reader_get(&rd, &r)) == 1)
		resp_reply_free(r);
	resp_reader_free(&rd);
	return rc == 0;
}

/* PING on c: +PONG within the hang bound. */
static bool answers_ping(struct rconn *c)
{
	struct resp_arg a[] = {{"PING", 4}};
	struct resp_reply *r;
	bool ok;

	if (rconn_send(c, 1, a) != 0 || rconn_reply(c, tt_ms(TT_HANG_MS), &r, NULL) != 1)
		return false;
	ok = r->type == RESP_STRING && strcmp(r->str, "PONG") == 0;
	resp_reply_free(r);
	return ok;
}

/* Sends one payload on a fresh connection and judges the answer. */
static void run_payload(struct hostile *h, const struct payload *p)
{
	size_t cap = p->rlen + 4096, n = 0;
	char *got = malloc(cap), shown[300], wanted[300];
	bool line = p->ex == EX_OPEN_LINE;
	struct rconn c;
	bool ok;
	int gen, rc;

	if (!got || tt_connect(&c, &gen, tt_ms(TT_HANG_MS)) != 0) {
		free(got);
		return;
	}
	send_bytes(h, &c, p->bytes, p->len);
	switch (p->ex) {
	case EX_CLOSE:
		rc = read_raw(c.fd, got, cap, &n, 0, false, tt_ms(TT_HANG_MS));
		ok = rc == 0 && n == p->rlen && memcmp(got, p->reply, n) == 0;
		break;
	case EX_OPEN:
	case EX_OPEN_LINE:
		rc = read_raw(c.fd, got, cap, &n, line ? 0 : p->rlen, line, tt_ms(TT_HANG_MS));
		ok = rc == 1 && (line ? n >= p->rlen : n == p->rlen) &&
		     memcmp(got, p->reply, p->rlen) == 0 && answers_ping(&c);
		break;
	case EX_QUIET:
		rc = read_raw(c.fd, got, cap, &n, 1, false, QUIET_MS);
		ok = rc == -1 && n == 0;
		break;
	default:
		rc = read_raw(c.fd, got, cap, &n, 0, false, ANY_QUIET_MS);
		ok = well_formed(got, n);
		break;
	}
	tt_add(&tt_shm->bad_inputs, 1);
	tt_checked(INV_HOSTILE, 1);
	if (!ok && !tt_close_expected(gen))
		tt_violation(INV_HOSTILE, "%s: expected %s\"%s\", got %s\"%s\"", p->name,
		             p->ex == EX_CLOSE ? "then close " : "",
		             tt_escape(p->reply, p->rlen, wanted, sizeof wanted),
		             rc == 0  ? "then close "
		             : rc < 0 ? "(then silence) "
		                      : "",
		             tt_escape(got, n, shown, sizeof shown));
	rconn_close(&c);
	free(got);
}

static void run_garbage(struct hostile *h)
{
	char b[GARBAGE_MAX];
	size_t len = (size_t)tt_range(&h->rnd, 1, GARBAGE_MAX);
	char none[1] = "";
	struct payload p = {"random garbage", b, len, EX_ANY, none, 0};

	for (size_t i = 0; i < len; i++)
		b[i] = (char)tt_rand(&h->rnd);
	/* Half start like a request, to get past the first byte. */
	if (tt_range(&h->rnd, 0, 1))
		b[0] = tt_range(&h->rnd, 0, 1) ? '*' : '$';
	run_payload(h, &p);
}

/* Slowloris: SLOW_COMPLETE connections dribble a PING one byte at a time
 * and must get +PONG; SLOW_STUCK never finish a request and must be closed
 * by client-request-timeout. Meanwhile the load goes on. */
static void run_slowloris(struct hostile *h)
{
	static const char slow[] = "*1\r\n$4\r\nPING\r\n", stuck[] = "*2\r\n$3\r\nGET\r\n$100\r\n";
	struct rconn sc[SLOW_COMPLETE], kc[SLOW_STUCK];
	int sgen[SLOW_COMPLETE], kgen[SLOW_STUCK];
	bool closed[SLOW_STUCK] = {false};
	int64_t start = rconn_now_ns(), deadline, next_stuck = start;
	size_t sent = 0;

	deadline = start + ((int64_t)TT_REQUEST_TIMEOUT * 1000 + tt_ms(5000)) * 1000000;
	for (int i = 0; i < SLOW_COMPLETE; i++) {
		sgen[i] = -1;
		if (tt_connect(&sc[i], &sgen[i], tt_ms(TT_HANG_MS)) != 0)
			rconn_init(&sc[i]);
	}
	for (int i = 0; i < SLOW_STUCK; i++) {
		kgen[i] = -1;
		if (tt_connect(&kc[i], &kgen[i], tt_ms(TT_HANG_MS)) != 0 ||
		    rconn_send_raw(&kc[i], stuck, sizeof stuck - 1) != 0)
			closed[i] = true;
	}
	for (;;) {
		bool open = false;

		for (int i = 0; sent < sizeof slow - 1 && i < SLOW_COMPLETE; i++)
			if (sc[i].fd >= 0)
				rconn_send_raw(&sc[i], slow + sent, 1);
		if (sent < sizeof slow - 1)
			sent++;
		for (int i = 0; i < SLOW_STUCK; i++) {
			struct pollfd p = {.fd = kc[i].fd, .events = POLLIN};
			char b[64];

			if (closed[i])
				continue;
			if ((poll(&p, 1, 0) > 0 && read(kc[i].fd, b, sizeof b) <= 0) ||
			    (rconn_now_ns() >= next_stuck && rconn_send_raw(&kc[i], "x", 1) != 0))
				closed[i] = true;
			open |= !closed[i];
		}
		if (rconn_now_ns() >= next_stuck)
			next_stuck += (int64_t)STUCK_BYTE_MS * 1000000;
		if ((!open && sent == sizeof slow - 1) || rconn_now_ns() > deadline ||
		    tt_load(&tt_shm->stop))
			break;
		tt_sleep_us(SLOW_BYTE_MS * 1000);
	}
	for (int i = 0; i < SLOW_COMPLETE; i++) {
		struct resp_reply *r;
		bool ok = sc[i].fd >= 0 && rconn_reply(&sc[i], tt_ms(TT_HANG_MS), &r, NULL) == 1;

		if (ok) {
			ok = r->type == RESP_STRING && strcmp(r->str, "PONG") == 0;
			resp_reply_free(r);
		}
		tt_checked(INV_HOSTILE, 1);
		if (!ok && sent == sizeof slow - 1 && !tt_close_expected(sgen[i]))
			tt_violation(INV_HOSTILE, "slowloris PING one byte per %d ms: no +PONG",
			             SLOW_BYTE_MS);
		rconn_close(&sc[i]);
	}
	for (int i = 0; i < SLOW_STUCK; i++) {
		tt_checked(INV_HOSTILE, 1);
		if (!closed[i] && !tt_load(&tt_shm->stop) && !tt_close_expected(kgen[i]))
			tt_violation(INV_HOSTILE,
			             "unfinished request not closed %.1f s after it began "
			             "(client-request-timeout %d s)",
			             (double)(rconn_now_ns() - start) / 1e9, TT_REQUEST_TIMEOUT);
		if (kc[i].fd >= 0)
			rconn_close(&kc[i]);
	}
	tt_add(&tt_shm->slowloris, SLOW_COMPLETE + SLOW_STUCK);
}

/* BURST_CONNS connections at once, each a PING, then all closed. */
static void run_burst(struct hostile *h)
{
	struct rconn c[BURST_CONNS];
	int gen[BURST_CONNS];

	(void)h;
	for (int i = 0; i < BURST_CONNS; i++)
		if (tt_connect(&c[i], &gen[i], tt_ms(TT_HANG_MS)) != 0)
			rconn_init(&c[i]);
	for (int i = 0; i < BURST_CONNS; i++) {
		if (c[i].fd < 0)
			continue;
		tt_checked(INV_HOSTILE, 1);
		if (!answers_ping(&c[i]) && !tt_close_expected(gen[i]))
			tt_violation(INV_HOSTILE, "connection %d of a burst of %d: no +PONG", i,
			             BURST_CONNS);
		rconn_close(&c[i]);
	}
	tt_add(&tt_shm->bad_inputs, 1);
}

/* After each payload: the daemon still answers, on a connection of ours. */
static void check_alive(struct hostile *h, const char *after)
{
	if (h->ctl.fd < 0 && tt_connect(&h->ctl, &h->ctl_gen, tt_ms(TT_HANG_MS)) != 0)
		return;
	tt_checked(INV_HOSTILE, 1);
	if (!answers_ping(&h->ctl)) {
		if (!tt_close_expected(h->ctl_gen))
			tt_violation(INV_HOSTILE, "no +PONG after \"%s\"", after);
		rconn_close(&h->ctl);
	}
}

void hostile_main(void)
{
	struct hostile h = {.rnd = tt_seed_for(2, 0, 0)};
	uint64_t i = 0;

	rconn_init(&h.ctl);
	payloads_build(&h);
	while (!tt_load(&tt_shm->stop)) {
		const struct payload *p = &h.p[tt_range(&h.rnd, 0, (long)h.n - 1)];

		i++;
		if (i % GARBAGE_EVERY == 0) {
			run_garbage(&h);
			check_alive(&h, "random garbage");
		} else {
			run_payload(&h, p);
			check_alive(&h, p->name);
		}
		if (i % ROUND_EVERY == 0) {
			run_slowloris(&h);
			run_burst(&h);
			check_alive(&h, "slowloris and a burst of connections");
		}
		tt_sleep_us(5000);
	}
	rconn_close(&h.ctl);
	payloads_free(&h);
	exit(0);
}
