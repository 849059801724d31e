/* resp_req.c - the request parser: multibulk and inline commands, and the
 * one safe number parser everyone shares.
 *
 * It owns the framing rules and the protocol error texts; the connection
 * owns the bytes (query buffer) and decides what to do with an error.
 */
#include "resp.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum req_state {
	REQ_START = 0, /* nothing of the request scanned yet */
	REQ_INLINE,    /* looking for the LF that ends an inline line */
	REQ_MB_COUNT,  /* looking for the CR of the "*N" line */
	REQ_BULK_HDR,  /* reading a "$len" line at mark */
	REQ_BULK_DATA, /* waiting for bulk_len bytes + CRLF at mark */
	REQ_ERROR,     /* failed; only resp_req_reset() gets out of here */
};

/* First argument array size: most commands have few arguments. */
#define REQ_ARGS_FIRST 8

void resp_limits_default(struct resp_limits *lim)
{
	lim->inline_max = RESP_INLINE_MAX;
	lim->args_max = RESP_ARGS_MAX;
	lim->bulk_max = RESP_BULK_MAX;
}

void resp_req_init(struct resp_req *p, const struct resp_limits *lim)
{
	memset(p, 0, sizeof(*p));
	p->bulk_len = -1;
	resp_req_set_limits(p, lim);
}

void resp_req_free(struct resp_req *p)
{
	free(p->argv);
	free(p->offs);
	free(p->lens);
	free(p->scratch);
	p->argv = NULL;
	p->offs = NULL;
	p->lens = NULL;
	p->scratch = NULL;
	p->cap = 0;
	p->scratch_cap = 0;
	resp_req_reset(p);
}

/* The ceilings hold whatever the configuration says: argc is an int, and
 * nothing past 512mb is a sane single argument (Redis's own ceiling). The
 * config module is where a user learns about them. */
void resp_req_set_limits(struct resp_req *p, const struct resp_limits *lim)
{
	if (lim)
		p->lim = *lim;
	else
		resp_limits_default(&p->lim);
	if (p->lim.args_max > RESP_ARGS_MAX_CEILING)
		p->lim.args_max = RESP_ARGS_MAX_CEILING;
	if (p->lim.bulk_max > (size_t)RESP_BULK_MAX_CEILING)
		p->lim.bulk_max = (size_t)RESP_BULK_MAX_CEILING;
}

/* Forgets the partial request but not the last command's outputs, which
 * stay valid until the next call. */
static void req_restart(struct resp_req *p)
{
	p->state = REQ_START;
	p->pos = 0;
	p->mark = 0;
	p->nargs = 0;
	p->mb_left = 0;
	p->bulk_len = -1;
}

void resp_req_reset(struct resp_req *p)
{
	req_restart(p);
	p->argc = 0;
	p->is_inline = false;
	p->err = NULL;
}

static int req_fail(struct resp_req *p, const char *why)
{
	p->err = why;
	p->state = REQ_ERROR;
	return -1;
}

/* Redis prints the offending byte raw; we escape the unprintable ones so a
 * NUL or a control byte cannot end up inside an error reply. */
static int req_fail_dollar(struct resp_req *p, unsigned char c)
{
	if (c >= 0x20 && c < 0x7f)
		snprintf(p->errbuf, sizeof(p->errbuf), "expected '$', got '%c'", c);
	else
		snprintf(p->errbuf, sizeof(p->errbuf), "expected '$', got '\\x%02x'", c);
	return req_fail(p, p->errbuf);
}

/* Makes room for one more argument: doubles, but never past want, the most
 * arguments this command can have, so a declared count costs nothing until
 * its arguments arrive. */
static int req_grow_args(struct resp_req *p, size_t want)
{
	size_t ncap;
	void *n;

	if (p->nargs < p->cap)
		return 0;
	ncap = p->cap ? p->cap * 2 : REQ_ARGS_FIRST;
	if (ncap > want)
		ncap = want;
	if (ncap <= p->cap)
		return -1;
	n = realloc(p->argv, ncap * sizeof(*p->argv));
	if (!n)
		return -1;
	p->argv = n;
	n = realloc(p->offs, ncap * sizeof(*p->offs));
	if (!n)
		return -1;
	p->offs = n;
	n = realloc(p->lens, ncap * sizeof(*p->lens));
	if (!n)
		return -1;
	p->lens = n;
	p->cap = ncap;
	return 0;
}

/* ---------------------------------------------------------------------------
 * Inline commands.
 */

/* isspace() in the C locale: what separates arguments before one starts
 * and what must follow a closing quote. */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* What ends an unquoted argument. \v and \f do not, as in Redis. */
static bool ends_word(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char unescape(char c)
{
	switch (c) {
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case 'b':
		return '\b';
	case 'a':
		return '\a';
	default:
		return c;
	}
}

/* Reads one argument starting at s[*i] (not a blank) into out; advances *i
 * past it and its separator. Returns the argument's length, or -1 for
 * unbalanced quotes. The rules are Redis's sdssplitargs(), except that a
 * NUL byte is an ordinary byte here. */
static long inline_word(const char *s, size_t n, size_t *i, char *out)
{
	size_t k = *i, o = 0;
	char quote = 0;

	for (;;) {
		if (k == n) {
			if (quote)
				return -1;
			break;
		}
		if (quote == '"') {
			if (s[k] == '\\' && k + 3 < n && s[k + 1] == 'x' &&
			    hex_val(s[k + 2]) >= 0 && hex_val(s[k + 3]) >= 0) {
				out[o++] = (char)(hex_val(s[k + 2]) * 16 + hex_val(s[k + 3]));
				k += 4;
			} else if (s[k] == '\\' && k + 1 < n) {
				out[o++] = unescape(s[k + 1]);
				k += 2;
			} else if (s[k] == '"') {
				/* "foo"bar is a typo, not two arguments. */
				if (k + 1 < n && !is_blank(s[k + 1]))
					return -1;
				k++;
				break;
			} else {
				out[o++] = s[k++];
			}
		} else if (quote == '\'') {
			if (s[k] == '\\' && k + 1 < n && s[k + 1] == '\'') {
				out[o++] = '\'';
				k += 2;
			} else if (s[k] == '\'') {
				if (k + 1 < n && !is_blank(s[k + 1]))
					return -1;
				k++;
				break;
			} else {
				out[o++] = s[k++];
			}
		} else if (ends_word(s[k])) {
			k++;
			break;
		} else if (s[k] == '"' || s[k] == '\'') {
			quote = s[k++];
		} else {
			out[o++] = s[k++];
		}
	}
	*i = k;
	return (long)o;
}

/* Splits the line s[0..n) (terminator removed) into arguments in scratch.
 * One pass, so a line costs time linear in its length. */
static int inline_split(struct resp_req *p, const char *s, size_t n)
{
	size_t i = 0, out = 0;

	if (n > p->scratch_cap) {
		size_t ncap = p->scratch_cap ? p->scratch_cap : 64;
		char *ns;

		while (ncap < n)
			ncap *= 2;
		ns = realloc(p->scratch, ncap);
		if (!ns)
			return req_fail(p, "out of memory");
		p->scratch = ns;
		p->scratch_cap = ncap;
	}
	p->nargs = 0;
	for (;;) {
		long wlen;

		while (i < n && is_blank(s[i]))
			i++;
		if (i == n)
			break;
		if (p->nargs >= p->lim.args_max)
			return req_fail(p, "too many arguments in inline request");
		if (req_grow_args(p, p->lim.args_max) < 0)
			return req_fail(p, "out of memory");
		wlen = inline_word(s, n, &i, p->scratch + out);
		if (wlen < 0)
			return req_fail(p, "unbalanced quotes in request");
		/* scratch never moves during the split: its pointers are final. */
		p->argv[p->nargs].ptr = p->scratch + out;
		p->argv[p->nargs].len = (size_t)wlen;
		p->nargs++;
		out += (size_t)wlen;
	}
	return 0;
}

static int parse_inline(struct resp_req *p, const char *buf, size_t len, size_t *consumed)
{
	const char *nl = memchr(buf + p->pos, '\n', len - p->pos);
	size_t end, line;

	if (!nl) {
		/* A trailing CR may still become part of the terminator. */
		p->pos = len;
		line = len - (buf[len - 1] == '\r');
		if (line > p->lim.inline_max)
			return req_fail(p, "too big inline request");
		return 0;
	}
	end = (size_t)(nl - buf);
	line = end - (end > 0 && buf[end - 1] == '\r');
	if (line > p->lim.inline_max)
		return req_fail(p, "too big inline request");
	if (inline_split(p, buf, line) < 0)
		return -1;
	p->argc = (int)p->nargs;
	p->is_inline = true;
	*consumed = end + 1;
	req_restart(p);
	return 1;
}

/* ---------------------------------------------------------------------------
 * Multibulk commands.
 */

/* Finds the CR of the "*N" or "$len" line starting at mark, resuming at pos.
 * 1 with *cr set when the line and its LF are there, 0 when more bytes are
 * needed, -1 on an error. The length check holds whether the CR is found
 * now or later, so any split of the input gives the same verdict. */
static int find_line(struct resp_req *p, const char *buf, size_t len, size_t *cr,
		     const char *too_big, const char *bad_end)
{
	const char *c = memchr(buf + p->pos, '\r', len - p->pos);
	size_t at;

	if (!c) {
		p->pos = len;
		if (len - p->mark > p->lim.inline_max)
			return req_fail(p, too_big);
		return 0;
	}
	at = (size_t)(c - buf);
	if (at - p->mark > p->lim.inline_max)
		return req_fail(p, too_big);
	if (at + 1 == len) {
		p->pos = at; /* the next call finds this CR again at once */
		return 0;
	}
	if (buf[at + 1] != '\n')
		return req_fail(p, bad_end);
	*cr = at;
	return 1;
}

static int mb_count(struct resp_req *p, const char *buf, size_t len, size_t *consumed)
{
	size_t cr;
	long long n;
	int rc = find_line(p, buf, len, &cr, "too big mbulk count string",
			   "invalid multibulk length");

	if (rc <= 0)
		return rc;
	if (resp_parse_ll(buf + 1, cr - 1, &n) < 0)
		return req_fail(p, "invalid multibulk length");
	if (n <= 0) {
		/* Redis skips "*0" and "*-1" as empty commands. */
		p->argc = 0;
		p->is_inline = false;
		*consumed = cr + 2;
		req_restart(p);
		return 1;
	}
	if ((unsigned long long)n > p->lim.args_max)
		return req_fail(p, "invalid multibulk length");
	p->mb_left = n;
	p->mark = p->pos = cr + 2;
	p->state = REQ_BULK_HDR;
	return 2;
}

static int bulk_header(struct resp_req *p, const char *buf, size_t len)
{
	size_t cr;
	long long n;
	int rc;

	if (len <= p->mark)
		return 0;
	/* Checked as soon as the byte arrives: no reason to wait for a CR. */
	if (buf[p->mark] != '$')
		return req_fail_dollar(p, (unsigned char)buf[p->mark]);
	if (p->pos <= p->mark)
		p->pos = p->mark + 1;
	rc = find_line(p, buf, len, &cr, "too big bulk count string", "invalid bulk length");
	if (rc <= 0)
		return rc;
	if (resp_parse_ll(buf + p->mark + 1, cr - p->mark - 1, &n) < 0 || n < 0 ||
	    (unsigned long long)n > p->lim.bulk_max)
		return req_fail(p, "invalid bulk length");
	p->bulk_len = n;
	p->mark = p->pos = cr + 2;
	p->state = REQ_BULK_DATA;
	return 2;
}

static int bulk_data(struct resp_req *p, const char *buf, size_t len, size_t *consumed)
{
	size_t end = p->mark + (size_t)p->bulk_len;
	size_t i;

	/* The CRLF is checked byte by byte so a wrong byte fails at once. */
	if ((len > end && buf[end] != '\r') || (len > end + 1 && buf[end + 1] != '\n'))
		return req_fail(p, "expected CRLF after bulk argument");
	if (len < end + 2) {
		p->pos = len > p->mark ? len : p->mark;
		return 0;
	}
	if (req_grow_args(p, p->nargs + (size_t)p->mb_left) < 0)
		return req_fail(p, "out of memory");
	p->offs[p->nargs] = p->mark;
	p->lens[p->nargs] = (size_t)p->bulk_len;
	p->nargs++;
	p->mb_left--;
	p->bulk_len = -1;
	p->mark = p->pos = end + 2;
	if (p->mb_left > 0) {
		p->state = REQ_BULK_HDR;
		return 2;
	}
	/* Pointers are made only now: buf may have moved since each offset. */
	for (i = 0; i < p->nargs; i++) {
		p->argv[i].ptr = buf + p->offs[i];
		p->argv[i].len = p->lens[i];
	}
	p->argc = (int)p->nargs;
	p->is_inline = false;
	*consumed = p->mark;
	req_restart(p);
	return 1;
}

int resp_req_parse(struct resp_req *p, const char *buf, size_t len, size_t *consumed)
{
	int rc;

	*consumed = 0;
	if (p->state == REQ_ERROR)
		return -1;
	/* Fewer bytes than already scanned breaks the contract; starting over
	 * is slower but safe. */
	if (len < p->pos)
		req_restart(p);
	if (p->state == REQ_START) {
		if (len == 0)
			return 0;
		if (buf[0] == '*') {
			p->state = REQ_MB_COUNT;
			p->pos = 1;
		} else {
			p->state = REQ_INLINE;
		}
	}
	if (p->state == REQ_INLINE)
		return parse_inline(p, buf, len, consumed);
	/* Each step returns 2 when it finished its part and the next may go on. */
	do {
		switch (p->state) {
		case REQ_MB_COUNT:
			rc = mb_count(p, buf, len, consumed);
			break;
		case REQ_BULK_HDR:
			rc = bulk_header(p, buf, len);
			break;
		case REQ_BULK_DATA:
			rc = bulk_data(p, buf, len, consumed);
			break;
		default:
			rc = req_fail(p, "parser in a bad state");
			break;
		}
	} while (rc == 2);
	return rc;
}

/* ---------------------------------------------------------------------------
 * Numbers.
 */

/* The digits of (p, len), all of them, as a number of at most max. 0 or -1. */
static int resp_parse_digits(const char *p, size_t len, unsigned long long max,
			     unsigned long long *out)
{
	unsigned long long v = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)p[i] - '0';

		if (d > 9 || d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int resp_parse_ll(const char *p, size_t len, long long *out)
{
	unsigned long long v;
	bool neg = len > 0 && p[0] == '-';

	/* Rejects "", "-", "-0", "01": one spelling per number. */
	if (len == 1 && p[0] == '0') {
		*out = 0;
		return 0;
	}
	if (len <= (size_t)neg || p[neg] < '1' || p[neg] > '9')
		return -1;
	if (resp_parse_digits(p + neg, len - neg, (unsigned long long)LLONG_MAX + neg, &v) != 0)
		return -1;
	if (neg)
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
	else
		*out = (long long)v;
	return 0;
}

int resp_parse_ull(const char *p, size_t len, unsigned long long max, unsigned long long *out)
{
	return resp_parse_digits(p, len, max, out);
}
