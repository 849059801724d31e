/* lp.c - the packed list (see lp.h for the layout's why).
 *
 *   [u32 bytes used][u32 count] entry... where
 *   entry = [varint len][len bytes][backlen]
 *
 * varint: 7 bits per byte, low bits first, high bit = more follow.
 * backlen: the size of [varint len][bytes], written so that read from its
 * last byte backwards it is a varint: each byte's high bit says another
 * byte lies to its left.
 */
#include "lp.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#define LP_HDR 8

static uint32_t lp_get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof v);
	return v;
}

static void lp_put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof v);
}

static size_t varint_size(size_t v)
{
	size_t n = 1;

	while (v >= 128) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t varint_put(unsigned char *p, size_t v)
{
	size_t n = 0;

	while (v >= 128) {
		p[n++] = (unsigned char)(v & 127) | 128;
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

static size_t varint_get(const unsigned char *p, size_t *v)
{
	size_t n = 0, shift = 0, r = 0;

	for (;;) {
		unsigned char b = p[n++];

		r |= (size_t)(b & 127) << shift;
		if (!(b & 128))
			break;
		shift += 7;
	}
	*v = r;
	return n;
}

/* Writes v as a backlen ending at p + varint_size(v). */
static void backlen_put(unsigned char *p, size_t v)
{
	size_t k = varint_size(v);

	for (size_t i = 0; i < k; i++) {
		unsigned char b = (unsigned char)(v & 127);

		if (i + 1 < k)
			b |= 128;
		p[k - 1 - i] = b;
		v >>= 7;
	}
}

/* Reads the backlen that ends just before end; *start gets its first byte. */
static size_t backlen_get(const unsigned char *lp, size_t end, size_t *start)
{
	size_t v = 0, shift = 0;

	for (;;) {
		unsigned char b = lp[--end];

		v |= (size_t)(b & 127) << shift;
		shift += 7;
		if (!(b & 128))
			break;
	}
	*start = end;
	return v;
}

/* Bytes an entry of len bytes takes. */
static size_t entry_size(size_t len)
{
	size_t head = varint_size(len) + len;

	return head + varint_size(head);
}

/* Bytes of the entry at pos. */
static size_t entry_at_size(const unsigned char *lp, size_t pos)
{
	size_t len;
	size_t n = varint_get(lp + pos, &len);

	return n + len + varint_size(n + len);
}

static void entry_write(unsigned char *p, const void *s, size_t len)
{
	size_t n = varint_put(p, len);

	if (len)
		memcpy(p + n, s, len);
	backlen_put(p + n + len, n + len);
}

unsigned char *lp_new(void)
{
	unsigned char *lp = malloc(LP_HDR);

	if (!lp)
		return NULL;
	lp_put32(lp, LP_HDR);
	lp_put32(lp + 4, 0);
	return lp;
}

void lp_free(unsigned char *lp)
{
	free(lp);
}

unsigned char *lp_dup(const unsigned char *lp)
{
	size_t n = lp_bytes(lp);
	unsigned char *d = malloc(n);

	if (d)
		memcpy(d, lp, n);
	return d;
}

uint32_t lp_count(const unsigned char *lp)
{
	return lp_get32(lp + 4);
}

size_t lp_bytes(const unsigned char *lp)
{
	return lp_get32(lp);
}

size_t lp_alloc_size(const unsigned char *lp)
{
	return malloc_usable_size((void *)lp);
}

size_t lp_first(const unsigned char *lp)
{
	return lp_count(lp) ? LP_HDR : LP_END;
}

size_t lp_last(const unsigned char *lp)
{
	size_t end = lp_bytes(lp), start, head;

	if (!lp_count(lp))
		return LP_END;
	head = backlen_get(lp, end, &start);
	return start - head;
}

size_t lp_next(const unsigned char *lp, size_t pos)
{
	size_t np = pos + entry_at_size(lp, pos);

	return np < lp_bytes(lp) ? np : LP_END;
}

size_t lp_prev(const unsigned char *lp, size_t pos)
{
	size_t start, head;

	if (pos == LP_HDR)
		return LP_END;
	head = backlen_get(lp, pos, &start);
	return start - head;
}

size_t lp_seek(const unsigned char *lp, long long i)
{
	long long n = lp_count(lp);
	size_t pos;

	if (i < 0)
		i += n;
	if (i < 0 || i >= n)
		return LP_END;
	if (i <= n / 2) {
		pos = lp_first(lp);
		while (i-- > 0)
			pos = lp_next(lp, pos);
	} else {
		pos = lp_last(lp);
		for (long long k = n - 1; k > i; k--)
			pos = lp_prev(lp, pos);
	}
	return pos;
}

const char *lp_get(const unsigned char *lp, size_t pos, size_t *len)
{
	size_t n = varint_get(lp + pos, len);

	return (const char *)lp + pos + n;
}

bool lp_eq(const unsigned char *lp, size_t pos, const void *s, size_t len)
{
	size_t have;
	const char *p = lp_get(lp, pos, &have);

	return have == len && (len == 0 || memcmp(p, s, len) == 0);
}

size_t lp_find(const unsigned char *lp, size_t pos, const void *s, size_t len, unsigned skip)
{
	while (pos != LP_END) {
		if (lp_eq(lp, pos, s, len))
			return pos;
		for (unsigned k = 0; k <= skip && pos != LP_END; k++)
			pos = lp_next(lp, pos);
	}
	return LP_END;
}

/* Resizes lp to hold bytes, moving the tail at from by delta (>0 opens a
 * gap, <0 closes one). NULL when out of memory (lp unchanged). */
static unsigned char *lp_shift(unsigned char *lp, size_t from, long long delta)
{
	size_t used = lp_bytes(lp), nused = (size_t)((long long)used + delta);
	unsigned char *n = lp;

	if (nused > UINT32_MAX)
		return NULL;
	if (delta > 0) {
		n = realloc(lp, nused);
		if (!n)
			return NULL;
		memmove(n + from + delta, n + from, used - from);
	} else if (delta < 0) {
		unsigned char *s;

		memmove(n + from + delta, n + from, used - from);
		/* Give the bytes back at once (as Redis's listpack does), so a
		 * list that shrank in small steps holds no slack; a failed
		 * shrink keeps the old, larger block. */
		s = realloc(n, nused);
		if (s)
			n = s;
	}
	lp_put32(n, (uint32_t)nused);
	return n;
}

unsigned char *lp_insert(unsigned char *lp, size_t pos, const void *s, size_t len, size_t *newpos)
{
	size_t at = pos == LP_END ? lp_bytes(lp) : pos, need = entry_size(len);
	unsigned char *n;

	if (len > UINT32_MAX || lp_count(lp) == UINT32_MAX)
		return NULL;
	n = lp_shift(lp, at, (long long)need);
	if (!n)
		return NULL;
	entry_write(n + at, s, len);
	lp_put32(n + 4, lp_count(n) + 1);
	if (newpos)
		*newpos = at;
	return n;
}

unsigned char *lp_append(unsigned char *lp, const void *s, size_t len)
{
	return lp_insert(lp, LP_END, s, len, NULL);
}

unsigned char *lp_prepend(unsigned char *lp, const void *s, size_t len)
{
	return lp_insert(lp, lp_first(lp), s, len, NULL);
}

unsigned char *lp_replace(unsigned char *lp, size_t pos, const void *s, size_t len)
{
	size_t old = entry_at_size(lp, pos), need = entry_size(len);
	unsigned char *n;

	if (len > UINT32_MAX)
		return NULL;
	n = lp_shift(lp, pos + old, (long long)need - (long long)old);
	if (!n)
		return NULL;
	entry_write(n + pos, s, len);
	return n;
}

unsigned char *lp_delete(unsigned char *lp, size_t pos, size_t n)
{
	size_t end = pos, k = 0, used = lp_bytes(lp);

	if (pos == LP_END)
		return lp;
	while (k < n && end < used) {
		end += entry_at_size(lp, end);
		k++;
	}
	lp = lp_shift(lp, end, -(long long)(end - pos));
	lp_put32(lp + 4, lp_count(lp) - (uint32_t)k);
	return lp;
}
