/* store.h - the keyspace: 16 databases of binary-safe keys with TTLs.
 *
 * Owns the entries, the hash tables (incrementally rehashed), lazy and
 * active expiry, memory accounting and eviction. Knows nothing of clients,
 * replies, locks or pools: an entry's type and value bytes are opaque to it,
 * and every removal is reported through one hook so the owners of lock and
 * pool values can free them and wake waiters; every change of a key, removals
 * included, through a second one (WATCH).
 */
#ifndef CACHIFY_STORE_H
#define CACHIFY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "entry.h"

#define STORE_DBS	16	/* databases, as Redis */

enum store_type {
	STORE_STRING = 0,
	STORE_LOCK = 1, /* value: a pointer owned by the lock module */
	STORE_POOL = 2, /* value: a pointer owned by the pool module */
	STORE_HASH = 3, /* value: a pointer to the type's object (object.h) */
	STORE_ZSET = 4, /* likewise */
	STORE_LIST = 5, /* likewise */
};

/* Data: strings, hashes, sorted sets and lists. They may be evicted,
 * renamed, moved, copied and swapped with their database; locks and pools
 * are bound to their (db, key) and to the clients holding and waiting. */
static inline bool store_type_is_data(unsigned type)
{
	return type == STORE_STRING || type >= STORE_HASH;
}

/* Hashes, sorted sets and lists: the entry's value is a pointer to an
 * object that object.c frees when the entry leaves (unless it moved). */
static inline bool store_type_is_object(unsigned type)
{
	return type >= STORE_HASH;
}

/* Why an entry leaves the keyspace (passed to the delete hook). */
enum store_reason {
	STORE_DEL_DELETED,  /* DEL, or a command that removes the key */
	STORE_DEL_REPLACED, /* overwritten by a put (the new entry is not in yet) */
	STORE_DEL_EXPIRED,  /* its TTL passed (lazily or by the sweep) */
	STORE_DEL_EVICTED,  /* maxmemory eviction */
	STORE_DEL_FLUSHED,  /* FLUSHDB / FLUSHALL */
	STORE_DEL_RELEASED, /* given back by its owner (LOCK.RELEASE, a slot, a session end) */
	STORE_DEL_MOVED,    /* its value went on under another name (RENAME, MOVE): not freed */
};

/* Called for every entry that leaves the keyspace, just before it is freed.
 * The hook must not call back into the store (queue the work instead). */
typedef void store_delete_hook(void *ctx, int db, struct sentry *e, enum store_reason why);

/* Called whenever a key changes: written, re-timed, deleted, expired
 * (lazily or by the sweep), evicted, or changed in place by its value's
 * owner (store_touch). Called after the change, with key NULL for "every
 * key of db": then before the change (FLUSHDB, FLUSHALL), so the hook may
 * still see which keys exist; a command that swaps whole databases calls it
 * before and after, for both. For WATCH: the hook must only read the store
 * (store_peek_any) and must be cheap when nobody listens. */
typedef void store_touch_hook(void *ctx, int db, const void *key, size_t klen);

/* Called when a key that was not live is added: by store_put (nothing, or
 * an expired entry, was there) and for store_rename's target (always: the
 * old one, if any, was dropped first, as Redis's RENAME does). For
 * keyspace notifications' "new"; the hook must not touch the store. */
typedef void store_add_hook(void *ctx, int db, const void *key, size_t klen);

/* What eviction may take past maxmemory: keys with a TTL only (volatile) or
 * any data key (allkeys), chosen by approximate LRU or LFU (sampled into a
 * pool of the best candidates, as Redis does), nearest TTL, or at random.
 * Locks, pools and keys that clients wait on are never evicted. */
enum store_policy {
	STORE_NOEVICTION,      /* writes past maxmemory fail (-OOM) */
	STORE_VOLATILE_LRU,
	STORE_VOLATILE_LFU,
	STORE_VOLATILE_RANDOM,
	STORE_VOLATILE_TTL,
	STORE_ALLKEYS_LRU,
	STORE_ALLKEYS_LFU,
	STORE_ALLKEYS_RANDOM,
};

/* Redis's defaults for the eviction tunables. */
#define STORE_SAMPLES_DEFAULT	 5  /* maxmemory-samples */
#define STORE_LFU_LOG_DEFAULT	 10 /* lfu-log-factor */
#define STORE_LFU_DECAY_DEFAULT	 1  /* lfu-decay-time, minutes */
#define STORE_LFU_INIT		 5  /* a new key's LFU counter, as Redis's LFU_INIT_VAL */

struct store_stats {
	uint64_t expired; /* keys removed because their TTL passed */
	uint64_t evicted; /* keys removed by maxmemory eviction */
	uint64_t hits;	  /* store_find found a live key */
	uint64_t misses;  /* store_find found nothing */
	uint64_t expire_buckets; /* buckets store_expire_cycle visited (swept or rehashed) */
};

struct store;

/* A new, empty keyspace; NULL when out of memory. */
struct store *store_new(void);
/* Frees every entry (calling the delete hook with STORE_DEL_FLUSHED). */
void store_free(struct store *s);

void store_set_delete_hook(struct store *s, store_delete_hook *fn, void *ctx);
void store_set_touch_hook(struct store *s, store_touch_hook *fn, void *ctx);
void store_set_add_hook(struct store *s, store_add_hook *fn, void *ctx);
/* Reports a change to the touch hook: one an entry's value owner made in
 * place (a pool slot granted or given back), or with key NULL one to every
 * key of db (a command that swaps or moves whole databases: call it before
 * and after, for each database). */
void store_touch(struct store *s, int db, const void *key, size_t klen);

/* Asked of every eviction candidate: true keeps it (a key clients wait on).
 * Must not call back into the store. */
typedef bool store_pinned_fn(void *ctx, int db, const struct sentry *e);
void store_set_pinned(struct store *s, store_pinned_fn *fn, void *ctx);

/* maxmemory in bytes (0 = unlimited) and the policy that applies past it. */
void store_set_maxmemory(struct store *s, size_t bytes, enum store_policy policy);
/* maxmemory-samples (>= 1: keys sampled per database per eviction),
 * lfu-log-factor and lfu-decay-time (minutes per counter step down; 0 =
 * never decay), as Redis's directives. */
void store_set_eviction(struct store *s, unsigned samples, unsigned lfu_log_factor,
			unsigned lfu_decay_time);

/* What OBJECT reports. The lru field holds seconds of last access under a
 * non-LFU policy and minutes + an 8-bit logarithmic counter under an LFU
 * one, so which one is meaningful depends on the policy in force. */
bool store_policy_is_lfu(const struct store *s);
/* s since e's last access (non-LFU policies). */
uint32_t store_idle_s(const struct store *s, const struct sentry *e);
/* e's LFU counter after decay (LFU policies); e is not changed. */
unsigned store_lfu_freq(const struct store *s, const struct sentry *e);

/* The live entry for key in db, or NULL. An expired entry found here is
 * deleted (hook: STORE_DEL_EXPIRED) and NULL returned. Records the access
 * (LRU time or LFU counter) and counts the hit or miss. The pointer stays
 * valid until the next call that modifies the store. */
struct sentry *store_find(struct store *s, int db, const void *key, size_t klen);

/* store_find for commands that write: records the access, counts no hit or miss
 * (INFO's keyspace_hits/misses are about reads, as in Redis). */
struct sentry *store_find_write(struct store *s, int db, const void *key, size_t klen);

/* While on, store_find and store_find_write leave the LRU clock alone:
 * dispatch sets it around the commands of a CLIENT NO-TOUCH client. */
void store_set_no_touch(struct store *s, bool on);

/* While a forked child (a background snapshot) shares the store's memory,
 * lookups leave the entries' access times alone, so reads copy no pages. */
void store_set_child_reads(struct store *s, bool on);

/* The entry for key as stored, even if its TTL has passed (nothing is
 * deleted): for an owner re-timing its own entry, where a lazy expiry
 * would free what the caller is still using. */
struct sentry *store_peek_any(struct store *s, int db, const void *key, size_t klen);

/* store_find that records no access (OBJECT), yet counts the hit or miss
 * as Redis's LOOKUP_NOTOUCH does. */
struct sentry *store_find_notouch(struct store *s, int db, const void *key, size_t klen);

/* Like store_find but neither records an access nor counts a hit or miss. */
struct sentry *store_peek(struct store *s, int db, const void *key, size_t klen);

/* Inserts or replaces key with value, type and expire (ms, monotonic, or
 * STORE_NO_EXPIRE). A replaced entry goes through the hook first
 * (STORE_DEL_REPLACED). Returns the new entry, or NULL when out of memory or
 * over maxmemory with nothing evictable (the old entry, if any, is then left
 * untouched). value may be NULL to leave vlen bytes uninitialised. */
struct sentry *store_put(struct store *s, int db, const void *key, size_t klen,
			 const void *value, size_t vlen, enum store_type type, int64_t expire);

/* Sets or clears (STORE_NO_EXPIRE) the expire time of e, which must be a live
 * entry of db. May move the entry: returns its new address, or NULL when out
 * of memory (e is then unchanged and still valid). */
struct sentry *store_set_expire(struct store *s, int db, struct sentry *e, int64_t expire);

/* Removes key (hook: why). Returns 1 if it existed and was live, else 0. */
int store_delete(struct store *s, int db, const void *key, size_t klen, enum store_reason why);
/* Removes the entry e of db (hook: why). */
void store_delete_entry(struct store *s, int db, struct sentry *e, enum store_reason why);

/* Removes every entry of one database, or of all (hook: STORE_DEL_FLUSHED). */
void store_flushdb(struct store *s, int db);
void store_flushall(struct store *s);

/* Sizes db's empty table for n keys at once (a snapshot's load: no rehash
 * on the way). Not held to maxmemory. 0, or -1 when out of memory. */
int store_reserve(struct store *s, int db, size_t n);

/* Keys in db (expired but not yet collected ones included, as Redis), and
 * how many of them have a TTL. */
size_t store_dbsize(const struct store *s, int db);
size_t store_expires(const struct store *s, int db);

/* SCAN: calls fn for the entries of about count buckets starting at cursor
 * and returns the next cursor (0 when the iteration is complete). Every key
 * present for the whole iteration is reported at least once, even across a
 * resize (Redis's reverse-binary cursor). Expired entries are skipped. fn
 * must not modify the store. */
typedef void store_scan_fn(void *ctx, struct sentry *e);
uint64_t store_scan(struct store *s, int db, uint64_t cursor, size_t count, store_scan_fn *fn,
		    void *ctx);

/* Active expiry: visits at most max_buckets buckets (across the databases
 * that have keys with a TTL), continuing where the previous call stopped,
 * and deletes the entries whose expire time is <= now (ms, monotonic).
 * Returns the number deleted. The daemon calls it in time-boxed slices. */
size_t store_expire_cycle(struct store *s, int64_t now, size_t max_buckets);

/* Incremental rehashing: moves at most max_buckets buckets. Returns true
 * while some table is still being rehashed. */
bool store_rehash_step(struct store *s, size_t max_buckets);

/* Bytes the store accounts for: entries, hash tables, and what owners of
 * entry values (locks, pools) report with store_account. */
size_t store_used_memory(const struct store *s);
/* Adds add and removes sub bytes of memory that entries' values own
 * outside the store, so maxmemory sees it. */
void store_account(struct store *s, size_t add, size_t sub);
/* Frees memory until used memory is under maxmemory plus need bytes, by the
 * policy. 0 if under the limit (or unlimited), -1 if it cannot get there. */
int store_make_room(struct store *s, size_t need);

const struct store_stats *store_stats(const struct store *s);
/* Zeroes them (CONFIG RESETSTAT). */
void store_stats_reset(struct store *s);

/* Entries of db that are not data (locks and pools): SWAPDB refuses to
 * move them, as their holders and waiters are bound to (db, key). */
size_t store_owned(const struct store *s, int db);

/* Moves the live data entry e of db to key in dstdb (RENAME, MOVE), with
 * its TTL; an entry already under that key is replaced (hook:
 * STORE_DEL_REPLACED) and e leaves through the hook (STORE_DEL_MOVED: an
 * object it points to now belongs to the new entry).
 * key must differ from e's when dstdb == db. Not held to maxmemory. 0, or
 * -1 when out of memory (nothing changed). */
int store_rename(struct store *s, int db, struct sentry *e, int dstdb, const void *key,
		 size_t klen);

/* A random live entry of db (RANDOMKEY), or NULL when it has none. Expired
 * entries met on the way are deleted (hook: STORE_DEL_EXPIRED): a bounded
 * number at random, then in one ordered pass up to the first live entry,
 * so it never loops on a database of expired keys. */
struct sentry *store_random(struct store *s, int db);

/* Swaps the contents of databases a and b (SWAPDB) in O(1); no hook runs. */
void store_swapdb(struct store *s, int a, int b);

#endif /* CACHIFY_STORE_H */
