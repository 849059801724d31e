/* lock.h - locks and pool slots: grants, ownership, release.
 *
 * A lock is a keyspace entry of type STORE_LOCK whose value points to a
 * struct lock; a pool is a STORE_POOL entry pointing to a struct pool that
 * holds its slots. Every grant gets a fence from one daemon-wide counter.
 * Session-bound grants hang off their connection, which gives them all back
 * when it closes.
 */
#ifndef CACHIFY_LOCK_H
#define CACHIFY_LOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"

#define LOCK_TOKEN_MAX 256 /* bytes in a client-chosen TOKEN */
#define LOCK_TOKEN_HEX 32  /* hex digits of a generated token (128 bits) */
#define POOL_MAX_SIZE  (1LL << 32) /* largest max-size accepted */

struct conn;
struct waiter;

/* Who was granted something, for LOCK.INFO and CLIENT LIST. */
struct holder {
	struct conn *owner;	/* NULL when DETACHed or the client is gone */
	uint64_t client_id;
	pid_t pid;
	uid_t uid;
	char *name;		/* owned copy of the client's name, or NULL */
	int64_t since_ms;	/* ms, monotonic: when granted */
};

struct lock {
	int db;
	char *key;		/* owned */
	size_t klen;
	char *token;		/* owned */
	size_t toklen;
	uint64_t fence;
	struct holder h;
	struct lock *cprev, *cnext; /* the owner's locks */
};

struct slot {
	struct pool *pool;
	char id[LOCK_TOKEN_HEX + 1];
	uint64_t fence;
	int64_t expire;		/* ms, monotonic, or STORE_NO_EXPIRE */
	struct holder h;
	struct slot *prev, *next;   /* the pool's slots */
	struct slot *cprev, *cnext; /* the owner's slots */
};

struct pool {
	int db;
	char *key;		/* owned */
	size_t klen;
	long long max;		/* max-size of the latest acquire */
	size_t n;		/* live slots */
	struct slot *slots;
};

/* Every grant ends exactly one way, so for locks (and likewise for slots)
 * grants == held + releases + session_releases + expired + forced. */
struct lock_stats {
	uint64_t grants, releases, notowner, session_releases, expired, forced;
	uint64_t pool_grants, pool_releases, pool_full, pool_notowner, pool_session_releases;
	uint64_t pool_expired, pool_forced;
};

/* A fresh fence: strictly larger than every fence granted before. Starts
 * from the wall clock in microseconds so fences also grow across restarts
 * (while the clock does and fewer than a million grants a second). */
uint64_t lock_next_fence(void);
/* Fills buf with LOCK_TOKEN_HEX random hex digits and a NUL. */
void lock_random_hex(char *buf);

/* Grants the lock on (db, key), which must be absent, to w->c. Replies the
 * grant (or -OOM) to w->c. 0 granted, -1 not (OOM). */
int lock_grant(const struct waiter *w, int db, const char *key, size_t klen);
/* The lock behind a STORE_LOCK entry. */
struct lock *lock_of(struct sentry *e);

/* Pools: the pool behind a STORE_POOL entry, after dropping its expired
 * slots (which may delete the entry: then NULL). */
struct pool *pool_of(int db, struct sentry *e);
/* Looks (db, key) up and returns its pool after purging, or NULL if the key
 * is absent; *other is set when the key exists but is not a pool. */
struct pool *pool_find(int db, const char *key, size_t klen, bool *other);
/* Grants a slot of (db, key) to w->c, creating the pool if needed. Replies.
 * 0 granted, -1 not (OOM). */
int pool_grant(const struct waiter *w, int db, const char *key, size_t klen);
/* Frees slot s (its pool entry is deleted when it was the last). */
void pool_release_slot(struct slot *s);
/* Re-computes the pool entry's TTL from its slots (latest expiry, or none). */
void pool_update_ttl(struct pool *p);
/* The earliest slot expiry of the pool at (db, key), or STORE_NO_EXPIRE. */
int64_t pool_next_expiry(int db, const char *key, size_t klen);

/* The store's delete hook for lock and pool entries: frees the object and
 * counts how it ended (why != STORE_DEL_RELEASED: expired or forced). */
void lock_entry_gone(struct sentry *e, enum store_reason why);
void pool_entry_gone(struct sentry *e, enum store_reason why);

/* The client is closing: releases its session-bound locks and slots. */
void lock_conn_gone(struct conn *c);
/* Locks and slots c holds (CLIENT LIST). */
size_t lock_held_by(const struct conn *c);

/* Shared by lock.c and pool.c: records who is granted something, and
 * replies *2 [id, fence] to a grant. */
void holder_init(struct holder *h, struct conn *c, bool detach);
/* Bytes a holder record owns (its name copy). */
size_t holder_bytes(const struct holder *h);
void reply_grant(struct conn *c, const char *id, size_t len, uint64_t fence);
struct lock_stats *lock_stats_mut(void);

/* Counts for INFO. */
size_t lock_count(void);
size_t pool_count(void);
size_t pool_slot_count(void);
const struct lock_stats *lock_stats(void);

#endif /* CACHIFY_LOCK_H */
