/* lock.h - locks: a keyspace entry of type STORE_LOCK whose value points to
 * a struct lock. Its TTL is the entry's, so GET, PTTL, DEL and expiry work
 * on it as on any key. Session-bound locks hang off their connection.
 */
#ifndef CACHIFY_LOCK_H
#define CACHIFY_LOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "grant.h"
#include "store.h"

struct conn;

struct lock {
	int db;
	char *key;		/* owned */
	size_t klen;
	char *token;		/* owned */
	size_t toklen;
	uint64_t fence;
	struct holder h;
	LIST_ENTRY(lock) owned;	/* the owner's session-bound locks */
};

/* Every grant ends exactly one way, so
 * grants == held + releases + session_releases + expired + forced. */
struct lock_stats {
	uint64_t grants, releases, notowner, session_releases, expired, forced;
};

/* The grant kind of LOCK.ACQUIRE: free when the key does not exist. */
extern const struct grant_kind lock_kind;

/* Uses st for the locks' keyspace entries. */
void lock_init(struct store *st);

/* The lock behind a STORE_LOCK entry. */
struct lock *lock_of(struct sentry *e);

/* The store's delete hook for STORE_LOCK entries: frees the lock and counts
 * how it ended (why != STORE_DEL_RELEASED: expired or forced). */
void lock_entry_gone(struct sentry *e, enum store_reason why);

/* Puts back a DETACHed lock a snapshot held: token, fence and holder as
 * saved, expire (ms, monotonic, or STORE_NO_EXPIRE). An entry under the
 * key is replaced. 0, or -1 when out of memory (nothing added). */
int lock_restore(int db, const char *key, size_t klen, const char *token, size_t toklen,
		 int64_t expire, const struct grant_saved *g);

/* The client is closing: releases its session-bound locks. */
void lock_conn_gone(struct conn *c);
/* Session-bound locks c holds (CLIENT LIST). */
size_t lock_held_by(const struct conn *c);

size_t lock_count(void);
const struct lock_stats *lock_stats(void);
struct lock_stats *lock_stats_mut(void);

#endif /* CACHIFY_LOCK_H */
