/* snapio.h - the snapshot file's primitives: a buffered, checksumming
 * writer and a bounds-checked reader, for snapshot.c and for the object
 * types' save and load callbacks (object.h).
 *
 * Numbers are little-endian; lengths and counts are LEB128 varints. The
 * reader never trusts a length beyond the bytes left in the file: every
 * get checks first and fails with the offset it stopped at.
 */
#ifndef CACHIFY_SNAPIO_H
#define CACHIFY_SNAPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNAPIO_BUF	 (64 * 1024) /* bytes the writer gathers per write(2) */
#define SNAPIO_ERR_MAX	 256	     /* bytes of a reader's message */

/* The writer: gathers bytes, checksums and writes them out. A failure is
 * sticky: later puts do nothing and err keeps the first errno. */
struct snap_out {
	int fd;
	int err;		/* errno of the first failure, 0 while fine */
	uint64_t crc;		/* CRC-64 of every byte flushed so far */
	uint64_t bytes;		/* bytes put so far */
	size_t len;		/* bytes waiting in buf */
	unsigned char *buf;	/* SNAPIO_BUF bytes, owned */
};

/* 0, or -1 when out of memory (errno set). */
int snap_out_init(struct snap_out *o, int fd);
/* Writes out what is buffered: 0, or -1 (o->err set). Frees nothing. */
int snap_out_flush(struct snap_out *o);
void snap_out_free(struct snap_out *o);

void snap_put(struct snap_out *o, const void *p, size_t len);
void snap_put_u8(struct snap_out *o, unsigned v);
void snap_put_u64(struct snap_out *o, uint64_t v);
void snap_put_len(struct snap_out *o, uint64_t v);		/* varint */
void snap_put_str(struct snap_out *o, const void *p, size_t len); /* varint length, bytes */
void snap_put_double(struct snap_out *o, double d);		/* its 8 bytes */

/* The reader: a window over the file's bytes (borrowed, e.g. mapped). */
struct snap_in {
	const unsigned char *base; /* the file's first byte: offsets count from it */
	const unsigned char *p;	   /* the next byte */
	const unsigned char *end;  /* one past the last byte records may use */
	char err[SNAPIO_ERR_MAX];  /* the first failure: "offset N: what" */
	bool failed;
};

/* Records the first failure (at the current offset) and returns -1. */
int snap_fail(struct snap_in *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t snap_offset(const struct snap_in *in);
size_t snap_left(const struct snap_in *in);

/* Each: 0, or -1 with in->err set (too few bytes left, a malformed varint). */
int snap_get_u8(struct snap_in *in, unsigned *v);
int snap_get_u64(struct snap_in *in, uint64_t *v);
int snap_get_len(struct snap_in *in, uint64_t *v);
/* A count of items that take at least min_bytes each: checked against the
 * bytes left, so a count can never promise more than the file holds. */
int snap_get_count(struct snap_in *in, size_t min_bytes, size_t *n);
/* n bytes as they are: *p points into the file's bytes (borrowed). */
int snap_get_bytes(struct snap_in *in, size_t n, const char **p);
/* A string: *p points into the file's bytes (borrowed). */
int snap_get_str(struct snap_in *in, const char **p, size_t *len);
int snap_get_double(struct snap_in *in, double *d);

#endif /* CACHIFY_SNAPIO_H */
