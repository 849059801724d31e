/* resp_reader.c - the reply reader: RESP2 bytes in, reply trees out.
 *
 * The client side of the codec. It keeps the bytes it was fed, remembers how
 * far it has looked, and builds arrays as their elements arrive; reading the
 * socket and matching replies to requests are the caller's business.
 */
#include "resp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes after the type byte of a ":", "$" or "*" line: any longer line
 * cannot hold a valid number, so it fails as a bad number would. */
#define NUM_LINE_MAX 32
/* First element array of an array reply; it doubles as elements arrive. */
#define ELEMENTS_FIRST 16
/* Consumed bytes worth moving out of the buffer (amortized by the rule
 * that they also outnumber the bytes moved). */
#define COMPACT_MIN 4096
/* An empty buffer bigger than this is given back (e.g. after a huge bulk). */
#define KEEP_MAX (64 * 1024)

void resp_reply_free(struct resp_reply *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->elements; i++)
		resp_reply_free(r->element[i]);
	free(r->element);
	free(r->str);
	free(r);
}

void resp_reader_init(struct resp_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->bulk_max = (size_t)RESP_BULK_MAX_CEILING;
	r->elements_max = RESP_REPLY_ELEMENTS_MAX;
	r->bulk_len = -1;
	resp_buf_init(&r->buf);
}

/* Partial arrays are not attached to their parents until complete, so each
 * level owns its own. */
static void drop_stack(struct resp_reader *r)
{
	while (r->depth > 0) {
		r->depth--;
		resp_reply_free(r->stack[r->depth].r);
		r->stack[r->depth].r = NULL;
	}
}

void resp_reader_free(struct resp_reader *r)
{
	drop_stack(r);
	resp_buf_free(&r->buf);
	r->pos = 0;
	r->scan = 0;
	r->bulk_len = -1;
}

int resp_reader_feed(struct resp_reader *r, const void *p, size_t n)
{
	struct resp_buf *b = &r->buf;

	if (r->pos == b->len && b->cap > KEEP_MAX) {
		resp_buf_free(b);
		r->pos = r->scan = 0;
	} else if (r->pos > 0 && (r->pos == b->len ||
				  (r->pos >= COMPACT_MIN && r->pos >= b->len - r->pos))) {
		resp_buf_consume(b, r->pos);
		r->scan -= r->pos;
		r->pos = 0;
	}
	return resp_buf_append(b, p, n);
}

static int rd_fail(struct resp_reader *r, const char *why)
{
	r->err = why;
	drop_stack(r);
	return -1;
}

static struct resp_reply *new_reply(enum resp_type type)
{
	struct resp_reply *x = calloc(1, sizeof(*x));

	if (x)
		x->type = type;
	return x;
}

/* A string reply owning a NUL-terminated copy of s[0..len). */
static struct resp_reply *new_string(enum resp_type type, const char *s, size_t len)
{
	struct resp_reply *x = new_reply(type);

	if (!x)
		return NULL;
	x->str = malloc(len + 1);
	if (!x->str) {
		free(x);
		return NULL;
	}
	if (len)
		memcpy(x->str, s, len);
	x->str[len] = '\0';
	x->len = len;
	return x;
}

/* Hands a finished value to the array being filled, closing every array it
 * completes; 1 with *out set when a top-level reply is done, 0 to go on. */
static int attach(struct resp_reader *r, struct resp_reply *x, struct resp_reply **out)
{
	while (r->depth > 0) {
		int d = r->depth - 1;
		struct resp_reply *a = r->stack[d].r;

		if (r->stack[d].filled == r->stack[d].cap) {
			size_t ncap = r->stack[d].cap ? r->stack[d].cap * 2 : ELEMENTS_FIRST;
			struct resp_reply **n;

			if (ncap > r->stack[d].want)
				ncap = r->stack[d].want;
			n = realloc(a->element, ncap * sizeof(*n));
			if (!n) {
				resp_reply_free(x);
				return rd_fail(r, "out of memory");
			}
			a->element = n;
			r->stack[d].cap = ncap;
		}
		a->element[r->stack[d].filled++] = x;
		a->elements = r->stack[d].filled;
		if (r->stack[d].filled < r->stack[d].want)
			return 0;
		x = a;
		r->stack[d].r = NULL;
		r->depth--;
	}
	*out = x;
	return 1;
}

static const char *bad_number(char type)
{
	switch (type) {
	case ':':
		return "bad integer value";
	case '$':
		return "bad bulk length";
	default:
		return "bad array length";
	}
}

/* Finds the end of the line whose type byte is at pos, resuming at scan.
 * 1 with *cr set, 0 when more bytes are needed, -1 on an error. Length
 * limits are checked the same way whether the CR is here yet or not, so
 * every split of the input gives the same verdict. */
static int find_line(struct resp_reader *r, size_t *cr)
{
	const char *buf = r->buf.data;
	size_t len = r->buf.len, max, at;
	char type = buf[r->pos];
	const char *c, *too_long;

	if (type == '+' || type == '-') {
		max = r->bulk_max;
		too_long = "reply line too long";
	} else {
		max = NUM_LINE_MAX;
		too_long = bad_number(type);
	}
	if (r->scan <= r->pos)
		r->scan = r->pos + 1;
	c = memchr(buf + r->scan, '\r', len - r->scan);
	if (!c) {
		r->scan = len;
		if (len - r->pos - 1 > max)
			return rd_fail(r, too_long);
		return 0;
	}
	at = (size_t)(c - buf);
	if (at - r->pos - 1 > max)
		return rd_fail(r, too_long);
	if (at + 1 == len) {
		r->scan = at;
		return 0;
	}
	if (buf[at + 1] != '\n')
		return rd_fail(r, "expected CRLF at the end of a line");
	*cr = at;
	return 1;
}

/* The value whose header starts at pos: 1 with *x set when one is complete,
 * 2 when a header was taken (an array opened, or a bulk's length read), 0
 * when more bytes are needed, -1 on an error. */
static int read_value(struct resp_reader *r, struct resp_reply **x)
{
	const char *buf = r->buf.data;
	const char *line;
	size_t cr, n;
	long long v;
	char type = buf[r->pos];
	int rc;

	if (type != '+' && type != '-' && type != ':' && type != '$' && type != '*') {
		unsigned char c = (unsigned char)type;

		if (c >= 0x20 && c < 0x7f)
			snprintf(r->errbuf, sizeof(r->errbuf),
				 "protocol error, got '%c' as reply type byte", c);
		else
			snprintf(r->errbuf, sizeof(r->errbuf),
				 "protocol error, got '\\x%02x' as reply type byte", c);
		return rd_fail(r, r->errbuf);
	}
	rc = find_line(r, &cr);
	if (rc <= 0)
		return rc;
	line = buf + r->pos + 1;
	n = cr - r->pos - 1;
	r->pos = r->scan = cr + 2;
	if (type == '+' || type == '-') {
		*x = new_string(type == '+' ? RESP_STRING : RESP_ERROR, line, n);
		return *x ? 1 : rd_fail(r, "out of memory");
	}
	if (resp_parse_ll(line, n, &v) < 0 || (type != ':' && v < -1))
		return rd_fail(r, bad_number(type));
	if (type == ':') {
		*x = new_reply(RESP_INTEGER);
		if (!*x)
			return rd_fail(r, "out of memory");
		(*x)->integer = v;
		return 1;
	}
	if (v == -1) {
		*x = new_reply(RESP_NIL);
		return *x ? 1 : rd_fail(r, "out of memory");
	}
	if (type == '$') {
		if ((unsigned long long)v > r->bulk_max)
			return rd_fail(r, "bulk length out of range");
		r->bulk_len = v;
		return 2;
	}
	if ((unsigned long long)v > r->elements_max)
		return rd_fail(r, "array length out of range");
	/* An empty array counts too: depth is about levels, not bytes. */
	if (r->depth == RESP_REPLY_DEPTH_MAX)
		return rd_fail(r, "nested arrays too deep");
	*x = new_reply(RESP_ARRAY);
	if (!*x)
		return rd_fail(r, "out of memory");
	if (v == 0)
		return 1;
	r->stack[r->depth].r = *x;
	r->stack[r->depth].filled = 0;
	r->stack[r->depth].want = (size_t)v;
	r->stack[r->depth].cap = 0;
	r->depth++;
	*x = NULL;
	return 2;
}

/* The payload of a bulk whose header has been read; data starts at pos. */
static int read_bulk_data(struct resp_reader *r, struct resp_reply **x)
{
	const char *buf = r->buf.data;
	size_t len = r->buf.len;
	size_t end = r->pos + (size_t)r->bulk_len;

	if ((len > end && buf[end] != '\r') || (len > end + 1 && buf[end + 1] != '\n'))
		return rd_fail(r, "expected CRLF after bulk data");
	if (len < end + 2)
		return 0;
	*x = new_string(RESP_BULK, buf + r->pos, (size_t)r->bulk_len);
	if (!*x)
		return rd_fail(r, "out of memory");
	r->bulk_len = -1;
	r->pos = r->scan = end + 2;
	return 1;
}

int resp_reader_get(struct resp_reader *r, struct resp_reply **out)
{
	*out = NULL;
	if (r->err)
		return -1;
	for (;;) {
		struct resp_reply *x = NULL;
		int rc;

		if (r->bulk_len >= 0)
			rc = read_bulk_data(r, &x);
		else if (r->pos < r->buf.len)
			rc = read_value(r, &x);
		else
			return 0;
		if (rc <= 0)
			return rc;
		if (rc == 2)
			continue;
		rc = attach(r, x, out);
		if (rc != 0)
			return rc;
	}
}
