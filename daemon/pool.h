/* pool.h - pools: counting semaphores whose slots expire one by one.
 *
 * A pool is a STORE_POOL keyspace entry pointing to a struct pool; the
 * entry's TTL is its latest slot expiry. Created on the first grant, gone
 * with its last slot. Session-bound slots hang off their connection.
 */
#ifndef CACHIFY_POOL_H
#define CACHIFY_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "grant.h"
#include "store.h"

#define POOL_MAX_SIZE (1LL << 32) /* largest max-size accepted */

struct conn;

struct slot {
	struct pool *pool;
	char id[GRANT_TOKEN_HEX + 1];
	uint64_t fence;
	int64_t expire;			/* ms, monotonic, or STORE_NO_EXPIRE */
	struct holder h;
	LIST_ENTRY(slot) in_pool;	/* the pool's slots */
	LIST_ENTRY(slot) owned;		/* the owner's session-bound slots */
};

struct pool {
	int db;
	char *key;			/* owned */
	size_t klen;
	long long max;			/* max-size of the latest acquire */
	size_t n;			/* live slots */
	LIST_HEAD(, slot) slots;
};

/* As for locks: slot grants == held + releases + session_releases +
 * expired + forced. */
struct pool_stats {
	uint64_t grants, releases, full, notowner, session_releases, expired, forced;
};

/* The grant kind of POOL.ACQUIRE: free while fewer than max live slots. */
extern const struct grant_kind pool_kind;

/* Uses st for the pools' keyspace entries. */
void pool_init(struct store *st);

/* Does the pool behind the STORE_POOL entry e have a live slot granted to
 * a uid other than uid? Then *other is that uid. (Who may force-release a
 * pool: acl.c.) */
bool pool_has_other_holder(struct sentry *e, uid_t uid, uid_t *other);

/* Looks (db, key) up and returns its pool after dropping expired slots, or
 * NULL if the key is absent (or the pool just emptied); *other is set when
 * the key exists but is not a pool. */
struct pool *pool_find(int db, const char *key, size_t klen, bool *other);
/* The slot with this id in p, or NULL. */
struct slot *pool_slot(struct pool *p, const char *id, size_t len);
/* Gives s back (the pool goes with its last slot) and wakes the waiters. */
void pool_release_slot(struct slot *s);
/* Sets s's expiry (ms, monotonic) and re-times the pool and its waiters. */
void pool_renew_slot(struct slot *s, int64_t expire);

/* The store's delete hook for STORE_POOL entries: frees the pool and its
 * slots, counting them as expired or forced. */
void pool_entry_gone(struct sentry *e, enum store_reason why);

/* Puts back a pool a snapshot held, empty (max-size max), replacing an
 * entry under the key; pool_restore_slot then adds its DETACHed slots. A
 * pool left without slots must be deleted by the caller. NULL when out of
 * memory. */
struct pool *pool_restore(int db, const char *key, size_t klen, long long max);
/* Adds a slot with id (GRANT_TOKEN_HEX bytes), expire (ms, monotonic, or
 * STORE_NO_EXPIRE) and the saved holder. 0, or -1 when out of memory. */
int pool_restore_slot(struct pool *p, const char *id, int64_t expire,
		      const struct grant_saved *g);

/* The client is closing: releases its session-bound slots. */
void pool_conn_gone(struct conn *c);
/* Session-bound slots c holds (CLIENT LIST). */
size_t pool_held_by(const struct conn *c);

size_t pool_count(void);
size_t pool_slot_count(void);
const struct pool_stats *pool_stats(void);
struct pool_stats *pool_stats_mut(void);

#endif /* CACHIFY_POOL_H */
