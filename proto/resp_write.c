/* resp_write.c - the growable byte buffer and the RESP2 reply writer.
 *
 * Every writer appends one whole value or nothing, so a failed append never
 * leaves half a reply in an output buffer. Sending the bytes is the caller's
 * business.
 */
#include "resp.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_FIRST 64 /* bytes, first allocation */
#define NUM_MAX	  21 /* bytes, "-9223372036854775808" and its NUL */

void resp_buf_init(struct resp_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void resp_buf_free(struct resp_buf *b)
{
	free(b->data);
	resp_buf_init(b);
}

int resp_buf_reserve(struct resp_buf *b, size_t extra)
{
	size_t need, ncap;
	char *n;

	if (extra <= b->cap - b->len)
		return 0;
	if (extra > SIZE_MAX - b->len)
		return -1;
	need = b->len + extra;
	/* Doubling keeps appends amortized O(1) per byte. */
	ncap = b->cap ? b->cap : BUF_FIRST;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	n = realloc(b->data, ncap);
	if (!n)
		return -1;
	b->data = n;
	b->cap = ncap;
	return 0;
}

int resp_buf_append(struct resp_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (resp_buf_reserve(b, n) < 0)
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int resp_buf_printf(struct resp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || resp_buf_reserve(b, (size_t)n + 1) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void resp_buf_consume(struct resp_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

/* ---------------------------------------------------------------------------
 * Numbers: written backwards from the last digit, no snprintf.
 */

static size_t ull_to_str(char *buf, unsigned long long v)
{
	size_t n = 1, i;
	unsigned long long t;

	for (t = v; t >= 10; t /= 10)
		n++;
	buf[n] = '\0';
	i = n;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return n;
}

size_t resp_ll_to_str(char *buf, long long v)
{
	if (v < 0) {
		buf[0] = '-';
		/* Negating in unsigned arithmetic is defined for LLONG_MIN too. */
		return 1 + ull_to_str(buf + 1, 0ULL - (unsigned long long)v);
	}
	return ull_to_str(buf, (unsigned long long)v);
}

/* ---------------------------------------------------------------------------
 * Writers. Each reserves its whole size first, then writes without checks.
 */

/* Copies a simple string or error, turning CR and LF into spaces. */
static void copy_line(char *dst, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		dst[i] = (s[i] == '\r' || s[i] == '\n') ? ' ' : s[i];
}

static int add_line(struct resp_buf *b, char type, const char *s, size_t len)
{
	char *d;

	if (len > SIZE_MAX - 3 || resp_buf_reserve(b, len + 3) < 0)
		return -1;
	d = b->data + b->len;
	d[0] = type;
	copy_line(d + 1, s, len);
	d[len + 1] = '\r';
	d[len + 2] = '\n';
	b->len += len + 3;
	return 0;
}

int resp_add_simple(struct resp_buf *b, const char *s, size_t len)
{
	return add_line(b, '+', s, len);
}

int resp_add_simple_cstr(struct resp_buf *b, const char *s)
{
	return add_line(b, '+', s, strlen(s));
}

int resp_add_error(struct resp_buf *b, const char *s, size_t len)
{
	return add_line(b, '-', s, len);
}

/* Formats straight into the buffer's spare room; only a message longer than
 * that room costs a second vsnprintf. */
int resp_add_errorf(struct resp_buf *b, const char *fmt, ...)
{
	va_list ap, again;
	size_t room;
	char *d;
	int n;

	if (resp_buf_reserve(b, 128) < 0)
		return -1;
	room = b->cap - b->len - 1;
	va_start(ap, fmt);
	va_copy(again, ap);
	n = vsnprintf(b->data + b->len + 1, room, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n + 2 > room) {
		/* +3: the '-' and the CRLF, which takes vsnprintf's NUL's place. */
		if (resp_buf_reserve(b, (size_t)n + 3) < 0) {
			va_end(again);
			return -1;
		}
		n = vsnprintf(b->data + b->len + 1, (size_t)n + 1, fmt, again);
	}
	va_end(again);
	if (n < 0)
		return -1;
	d = b->data + b->len;
	d[0] = '-';
	copy_line(d + 1, d + 1, (size_t)n);
	d[n + 1] = '\r';
	d[n + 2] = '\n';
	b->len += (size_t)n + 3;
	return 0;
}

/* Writes type, the decimal v and CRLF at d; returns the bytes written. */
static size_t put_header(char *d, char type, unsigned long long v)
{
	size_t n;

	d[0] = type;
	n = ull_to_str(d + 1, v);
	d[n + 1] = '\r';
	d[n + 2] = '\n';
	return n + 3;
}

int resp_add_int(struct resp_buf *b, long long v)
{
	char *d;
	size_t n;

	if (resp_buf_reserve(b, NUM_MAX + 3) < 0)
		return -1;
	d = b->data + b->len;
	d[0] = ':';
	n = resp_ll_to_str(d + 1, v);
	d[n + 1] = '\r';
	d[n + 2] = '\n';
	b->len += n + 3;
	return 0;
}

/* Size of "$len\r\n" + payload + "\r\n", or 0 when it cannot be counted. */
static size_t bulk_size(size_t len)
{
	if (len > SIZE_MAX - (NUM_MAX + 5))
		return 0;
	return len + NUM_MAX + 5;
}

/* The caller has reserved bulk_size(len) bytes. */
static void put_bulk(struct resp_buf *b, const char *p, size_t len)
{
	char *d = b->data + b->len;
	size_t h = put_header(d, '$', len);

	if (len)
		memcpy(d + h, p, len);
	d[h + len] = '\r';
	d[h + len + 1] = '\n';
	b->len += h + len + 2;
}

int resp_add_bulk(struct resp_buf *b, const char *p, size_t len)
{
	size_t need = bulk_size(len);

	if (need == 0 || resp_buf_reserve(b, need) < 0)
		return -1;
	put_bulk(b, p, len);
	return 0;
}

int resp_add_bulk_cstr(struct resp_buf *b, const char *s)
{
	return resp_add_bulk(b, s, strlen(s));
}

int resp_add_nil(struct resp_buf *b)
{
	return resp_buf_append(b, "$-1\r\n", 5);
}

int resp_add_nil_array(struct resp_buf *b)
{
	return resp_buf_append(b, "*-1\r\n", 5);
}

int resp_add_array(struct resp_buf *b, size_t n)
{
	if (resp_buf_reserve(b, NUM_MAX + 3) < 0)
		return -1;
	b->len += put_header(b->data + b->len, '*', n);
	return 0;
}

/* Sums the sizes first so the command is appended whole or not at all. */
int resp_add_command(struct resp_buf *b, int argc, const struct resp_arg *argv)
{
	size_t need = NUM_MAX + 3, one;
	int i;

	if (argc < 0)
		return -1;
	for (i = 0; i < argc; i++) {
		one = bulk_size(argv[i].len);
		if (one == 0 || one > SIZE_MAX - need)
			return -1;
		need += one;
	}
	if (resp_buf_reserve(b, need) < 0)
		return -1;
	b->len += put_header(b->data + b->len, '*', (unsigned long long)argc);
	for (i = 0; i < argc; i++)
		put_bulk(b, argv[i].ptr, argv[i].len);
	return 0;
}
