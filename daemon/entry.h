/* entry.h - one keyspace entry (struct sentry) and its accessors.
 *
 * The layout shared by the hash table (dict.c), which chains entries, and
 * the keyspace (store.c), which owns them. Neither module's logic is here.
 */
#ifndef CACHIFY_ENTRY_H
#define CACHIFY_ENTRY_H

#include <stdint.h>
#include <string.h>

#define STORE_NO_EXPIRE (-1) /* expire value meaning "never" */

/* One key. A single allocation holds header, expire time, key and value. */
struct sentry {
	struct sentry *next; /* hash chain */
	uint32_t klen;
	uint32_t vlen;
	uint32_t type : 3;    /* enum store_type */
	uint32_t has_ttl : 1; /* data starts with an int64_t expire time */
	uint32_t lru : 28;    /* last access: s (LRU), or min << 8 | counter (LFU) */
	char data[];	      /* [int64_t expire (ms, monotonic)][key][value] */
};

static inline int64_t sentry_expire(const struct sentry *e)
{
	int64_t at;

	if (!e->has_ttl)
		return STORE_NO_EXPIRE;
	memcpy(&at, e->data, sizeof at);
	return at;
}

static inline const char *sentry_key(const struct sentry *e)
{
	return e->data + (e->has_ttl ? sizeof(int64_t) : 0);
}

static inline char *sentry_value(struct sentry *e)
{
	return e->data + (e->has_ttl ? sizeof(int64_t) : 0) + e->klen;
}

/* The object a hash, sorted set or list entry points to: its value bytes
 * are that pointer (see store_put_object). */
static inline void *sentry_object(struct sentry *e)
{
	void *p;

	memcpy(&p, sentry_value(e), sizeof p);
	return p;
}

#endif /* CACHIFY_ENTRY_H */
