/* hash.h - the hash object: field -> value, both binary-safe byte strings.
 *
 * Two encodings, as Redis 7: "listpack" (one lp.h packed list of field,
 * value, field, value ...) while the hash is small, then "hashtable" (a
 * dict.h table of struct sentry, key = field and value = value in one
 * allocation each). A hash converts once it holds more than the entries
 * limit or a field or value longer than the value limit, at the same
 * moments Redis converts, and never converts back. Every byte it owns is
 * reported with object_account. Commands are cmd_hash.c's.
 */
#ifndef CACHIFY_HASH_H
#define CACHIFY_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dict.h"
#include "object.h"

#define HASH_MAX_LISTPACK_ENTRIES 128 /* hash-max-listpack-entries: fields */
#define HASH_MAX_LISTPACK_VALUE	  64  /* hash-max-listpack-value: bytes */

struct hash;

/* The type TYPE, OBJECT ENCODING, COPY and the delete hook go through. */
extern const struct obj_type hash_type;

/* hash-max-listpack-entries and -value (applies to later conversions). */
void hash_set_limits(size_t entries, size_t value);

/* A new, empty, listpack-encoded hash (accounted), or NULL when out of
 * memory. Free with hash_free (which un-accounts it). */
struct hash *hash_new(void);
void hash_free(struct hash *h);

size_t hash_len(const struct hash *h);
bool hash_is_listpack(const struct hash *h);
/* "listpack" or "hashtable". */
const char *hash_encoding(const struct hash *h);

/* Redis's hashTypeTryConversion, before a write of fields and values:
 * converts a listpack to a hashtable when one of them is longer than
 * maxlen allows. 0, or -1 when out of memory (h unchanged). */
int hash_prepare(struct hash *h, size_t maxlen);

/* The value of field: true with *v, *vlen set (borrowed: valid until h
 * next changes), false when absent. */
bool hash_get(struct hash *h, const void *f, size_t flen, const char **v, size_t *vlen);
/* Sets field to value: 1 when the field is new, 0 when it was replaced,
 * -1 when out of memory (h unchanged). May convert h. */
int hash_set(struct hash *h, const void *f, size_t flen, const void *v, size_t vlen);
/* Removes field: 1 when it was there, else 0. */
int hash_del(struct hash *h, const void *f, size_t flen);

/* One field and its value (borrowed: valid until h next changes). */
struct hash_pair {
	const char *f, *v;
	size_t flen, vlen;
};

/* Walks every pair in the encoding's order (listpack: insertion order). */
struct hash_iter {
	struct hash *h;
	size_t pos;	    /* listpack: the next field's position */
	int t;		    /* hashtable: table and bucket of e */
	size_t bucket;
	struct sentry *e;   /* hashtable: the next entry, NULL: find the next bucket */
};
void hash_iter_init(struct hash_iter *it, struct hash *h);
/* The next pair: true, or false at the end. h must not change meanwhile. */
bool hash_iter_next(struct hash_iter *it, struct hash_pair *p);

/* HSCAN's iteration: calls fn for each pair of the steps taken from cursor
 * and returns the next cursor, 0 at the end. A listpack hands every pair
 * over and answers 0, whatever the cursor, as Redis does; a hashtable
 * walks buckets with a reverse-binary cursor (every field present for the
 * whole iteration is reported at least once, across rehashing) until at
 * least count pairs came or count * 10 steps were taken, as Redis does. */
typedef void hash_scan_fn(void *ctx, const struct hash_pair *p);
uint64_t hash_scan(struct hash *h, uint64_t cursor, size_t count, hash_scan_fn *fn, void *ctx);

/* HRANDFIELD's sampling. hash_sample_any fills out[0..n) with pairs taken
 * at random, each independently (repeats allowed); hash_sample_unique
 * fills out[0..n) with n distinct pairs, n < hash_len(h) (a listpack's in
 * its order, a hashtable's in random order). Both for a non-empty h; -1
 * when out of memory for the bookkeeping, else 0. */
void hash_sample_any(struct hash *h, size_t n, struct hash_pair *out);
int hash_sample_unique(struct hash *h, size_t n, struct hash_pair *out);

/* Bytes h currently accounts (the tests check them against INFO). */
size_t hash_bytes(const struct hash *h);

#endif /* CACHIFY_HASH_H */
