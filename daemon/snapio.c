/* snapio.c - the snapshot writer's buffer and checksum, and the reader's
 * bounds checks (see snapio.h).
 */
#include "snapio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc64.h"

#define SNAPIO_VARINT_MAX 10 /* bytes of a 64-bit LEB128 varint */

int snap_out_init(struct snap_out *o, int fd)
{
	memset(o, 0, sizeof *o);
	o->fd = fd;
	o->crc = CRC64_INIT;
	o->buf = malloc(SNAPIO_BUF);
	return o->buf ? 0 : -1;
}

int snap_out_flush(struct snap_out *o)
{
	size_t done = 0;

	if (!o->err)
		o->crc = crc64(o->crc, o->buf, o->len);
	while (!o->err && done < o->len) {
		ssize_t n = write(o->fd, o->buf + done, o->len - done);

		if (n > 0)
			done += (size_t)n;
		else if (n == 0)
			o->err = ENOSPC;
		else if (errno != EINTR)
			o->err = errno;
	}
	o->len = 0;
	return o->err ? -1 : 0;
}

void snap_out_free(struct snap_out *o)
{
	free(o->buf);
	o->buf = NULL;
}

void snap_put(struct snap_out *o, const void *p, size_t len)
{
	const unsigned char *s = p;

	if (o->err)
		return;
	o->bytes += len;
	while (len > 0) {
		size_t n = SNAPIO_BUF - o->len < len ? SNAPIO_BUF - o->len : len;

		memcpy(o->buf + o->len, s, n);
		o->len += n;
		s += n;
		len -= n;
		if (o->len == SNAPIO_BUF && snap_out_flush(o) != 0)
			return;
	}
}

void snap_put_u8(struct snap_out *o, unsigned v)
{
	unsigned char b = (unsigned char)v;

	snap_put(o, &b, 1);
}

void snap_put_u64(struct snap_out *o, uint64_t v)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	snap_put(o, b, 8);
}

void snap_put_len(struct snap_out *o, uint64_t v)
{
	unsigned char b[SNAPIO_VARINT_MAX];
	size_t n = 0;

	do {
		b[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	snap_put(o, b, n);
}

void snap_put_str(struct snap_out *o, const void *p, size_t len)
{
	snap_put_len(o, len);
	snap_put(o, p, len);
}

void snap_put_double(struct snap_out *o, double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof v);
	snap_put_u64(o, v);
}

/* ---- the reader ---- */

size_t snap_offset(const struct snap_in *in)
{
	return (size_t)(in->p - in->base);
}

size_t snap_left(const struct snap_in *in)
{
	return (size_t)(in->end - in->p);
}

int snap_fail(struct snap_in *in, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (in->failed)
		return -1;
	in->failed = true;
	n = snprintf(in->err, sizeof in->err, "offset %zu: ", snap_offset(in));
	va_start(ap, fmt);
	vsnprintf(in->err + n, sizeof in->err - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

int snap_get_u8(struct snap_in *in, unsigned *v)
{
	if (snap_left(in) < 1)
		return snap_fail(in, "the file ends inside a record");
	*v = *in->p++;
	return 0;
}

int snap_get_u64(struct snap_in *in, uint64_t *v)
{
	if (snap_left(in) < 8)
		return snap_fail(in, "the file ends inside a record (8 bytes expected, %zu left)",
				 snap_left(in));
	*v = 0;
	for (int i = 0; i < 8; i++)
		*v |= (uint64_t)in->p[i] << (8 * i);
	in->p += 8;
	return 0;
}

int snap_get_len(struct snap_in *in, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < SNAPIO_VARINT_MAX; i++) {
		unsigned b = 0;

		if (snap_get_u8(in, &b) != 0)
			return -1;
		/* The tenth byte may only hold the 64th bit. */
		if (i == SNAPIO_VARINT_MAX - 1 && b > 1)
			return snap_fail(in, "a length overflows 64 bits");
		*v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			return 0;
	}
	return snap_fail(in, "a length overflows 64 bits");
}

int snap_get_count(struct snap_in *in, size_t min_bytes, size_t *n)
{
	uint64_t v;

	if (snap_get_len(in, &v) != 0)
		return -1;
	if (min_bytes > 0 && v > snap_left(in) / min_bytes)
		return snap_fail(in, "a count of %llu items cannot fit in the %zu bytes left",
				 (unsigned long long)v, snap_left(in));
	*n = (size_t)v;
	return 0;
}

int snap_get_bytes(struct snap_in *in, size_t n, const char **p)
{
	if (n > snap_left(in))
		return snap_fail(in, "the file ends inside a record (%zu bytes expected, %zu left)",
				 n, snap_left(in));
	*p = (const char *)in->p;
	in->p += n;
	return 0;
}

int snap_get_str(struct snap_in *in, const char **p, size_t *len)
{
	uint64_t v;

	if (snap_get_len(in, &v) != 0)
		return -1;
	if (v > snap_left(in))
		return snap_fail(in, "a string of %llu bytes runs past the %zu bytes left",
				 (unsigned long long)v, snap_left(in));
	*p = (const char *)in->p;
	*len = (size_t)v;
	in->p += v;
	return 0;
}

int snap_get_double(struct snap_in *in, double *d)
{
	uint64_t v;

	if (snap_get_u64(in, &v) != 0)
		return -1;
	memcpy(d, &v, sizeof *d);
	return 0;
}
