/* dict.h - the store's hash table: chained, power-of-two sized, rehashed incrementally.
 *
 * Chains run through the entries' own next pointers, so the table costs one
 * pointer per bucket and nothing per entry. It knows keys only: TTLs, memory
 * limits, counters and the delete hook are the store's business.
 */
#ifndef CACHIFY_DICT_H
#define CACHIFY_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"

#define DICT_MIN_SIZE     4  /* buckets: the smallest table ever allocated */
#define DICT_SHRINK_RATIO 10 /* shrink once entries * ratio < buckets (load < 0.1) */
#define DICT_EMPTY_VISITS 10 /* empty buckets one per-operation rehash step may skip */
#define DICT_SHRINK_STEP  64 /* one shrink divides the buckets by at most this */

/* While rehashing, t[0] is drained bucket by bucket into t[1] and lookups
 * check both; when t[0] is empty, t[1] becomes t[0]. */
struct dict {
	struct sentry **tab[2]; /* bucket heads; NULL when that table is absent */
	size_t size[2];         /* buckets: 0 or a power of two */
	size_t count;           /* entries in both tables */
	size_t rehash_idx;      /* next bucket of t[0] to move, while rehashing */
	size_t released;        /* buckets of t[0] (all drained) given back to the kernel */
};

/* Seeds the hash with per-process random bytes; idempotent. */
void dict_seed_init(void);
/* SipHash-1-3 of key under the process seed. */
uint64_t dict_hash(const void *key, size_t len);

void dict_init(struct dict *d);

static inline bool dict_is_rehashing(const struct dict *d)
{
	return d->tab[1] != NULL;
}

/* Bytes of the bucket arrays. */
static inline size_t dict_bytes(const struct dict *d)
{
	return (d->size[0] - d->released + d->size[1]) * sizeof(struct sentry *);
}

/* Head of bucket i of table t. Buckets of t[0] that the rehash drained are
 * empty, and their memory may be gone: never read them. */
static inline struct sentry *dict_bucket(const struct dict *d, int t, size_t i)
{
	if (t == 0 && dict_is_rehashing(d) && i < d->rehash_idx)
		return NULL;
	return d->tab[t][i];
}

/* The link (bucket head or a predecessor's next field) that points at the
 * entry with this key, or NULL. Valid until the table next changes. */
struct sentry **dict_find(struct dict *d, uint64_t hash, const void *key, size_t klen);
/* The link that points at e itself; NULL if e is not in d. */
struct sentry **dict_link_of(struct dict *d, const struct sentry *e);

/* Bytes of the bucket array that inserting one more entry would allocate
 * to grow the table (0 if that insert would not grow it). */
size_t dict_grow_bytes(const struct dict *d);
/* Links e (whose key must not be in d yet). Grows the table first when the
 * load reaches 1.0 and may_grow is set; a failed grow is not an error, the
 * entry goes into the current table. -1 only when d has no table at all and
 * none can be allocated. */
int dict_insert(struct dict *d, uint64_t hash, struct sentry *e, bool may_grow);

/* Removes the entry *link points at from the table (the entry is not freed). */
static inline void dict_unlink(struct dict *d, struct sentry **link)
{
	*link = (*link)->next;
	d->count--;
}

/* Puts e in the place of the entry *link points at (same key). */
static inline void dict_replace(struct sentry **link, struct sentry *e)
{
	e->next = (*link)->next;
	*link = e;
}

/* Starts shrinking when the load fell under 1/DICT_SHRINK_RATIO (frees a
 * small table outright when d is empty). No-op while rehashing or out of
 * memory. */
void dict_maybe_shrink(struct dict *d);
/* An empty table sized for n entries at once (a snapshot's load), so it
 * never rehashes on the way there; a table with entries is left alone.
 * 0, or -1 when out of memory (d unchanged). */
int dict_reserve(struct dict *d, size_t n);

/* Moves up to max_moves non-empty buckets from t[0] to t[1], visiting at
 * most max_visits buckets. Returns the buckets visited. */
size_t dict_rehash(struct dict *d, size_t max_moves, size_t max_visits);

/* The rehash share of one lookup or update: one bucket moved. */
static inline void dict_step(struct dict *d)
{
	if (dict_is_rehashing(d))
		dict_rehash(d, 1, 1 + DICT_EMPTY_VISITS);
}

/* Reverse-binary cursor iteration (see dict.c). Calls fn for every entry in
 * at least count buckets (both tables while rehashing) and returns the next
 * cursor, 0 at the end. fn must not change d. */
typedef void dict_scan_fn(void *ctx, struct sentry *e);
uint64_t dict_scan(struct dict *d, uint64_t cursor, size_t count, dict_scan_fn *fn, void *ctx);

/* Calls fn for every entry (fn may free it), then frees the tables. */
void dict_clear(struct dict *d, dict_scan_fn *fn, void *ctx);

/* Every allocation of the store and its tables goes through these, so tests
 * can make the n+1st and later ones fail: dict_fail_alloc_after(n); n < 0
 * turns failures off. */
void *dict_malloc(size_t size);
void *dict_calloc(size_t n, size_t size);
void dict_fail_alloc_after(long n);

#endif /* CACHIFY_DICT_H */
