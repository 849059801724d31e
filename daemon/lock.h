/* lock.h - locks: a keyspace entry of type STORE_LOCK whose value points to
 * a struct lock, held exclusively by one hold or shared by reader holds.
 * An exclusive lock's TTL is its entry's, so GET, PTTL, DEL and expiry work
 * on it as on any key; a shared lock's readers expire one by one and the
 * entry lives until the last one does. Session-bound holds hang off their
 * connection.
 */
#ifndef CACHIFY_LOCK_H
#define CACHIFY_LOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "grant.h"
#include "store.h"

struct conn;

/* One holder of a lock: the only one of an exclusive lock, or one reader
 * of a shared lock. */
struct lock_hold {
	struct lock *lock;
	char *token;			/* owned */
	size_t toklen;
	uint64_t fence;
	int64_t expire;			/* ms, monotonic, or STORE_NO_EXPIRE: readers only
					 * (an exclusive hold's TTL is the entry's) */
	struct holder h;
	TAILQ_ENTRY(lock_hold) in_lock;	/* the lock's holds, oldest first */
	LIST_ENTRY(lock_hold) owned;	/* the owner's session-bound holds */
};

struct lock {
	int db;
	char *key;			/* owned */
	size_t klen;
	bool shared;			/* readers (SHARED), else one exclusive hold */
	size_t n;			/* holds */
	TAILQ_HEAD(, lock_hold) holds;
};

/* Every hold granted ends exactly one way, so
 * grants == held + releases + session_releases + expired + forced
 * (a reader is one hold, as an exclusive lock is). */
struct lock_stats {
	uint64_t grants, releases, notowner, session_releases, expired, forced;
};

/* The grant kind of LOCK.ACQUIRE: a writer when the key does not exist, a
 * reader (SHARED) also while readers hold it. */
extern const struct grant_kind lock_kind;

/* Uses st for the locks' keyspace entries. */
void lock_init(struct store *st);

/* The lock behind a STORE_LOCK entry. */
struct lock *lock_of(struct sentry *e);

/* The oldest hold of the lock behind the live entry e that has not
 * expired (there is one: the entry lives as long as its latest hold). */
struct lock_hold *lock_oldest(struct sentry *e);
/* When the hold h of the lock behind entry e expires (ms, monotonic, or
 * STORE_NO_EXPIRE). */
int64_t lock_hold_expire(struct sentry *e, const struct lock_hold *h);
/* Live holds of the lock behind e. */
size_t lock_live_holds(struct sentry *e);

/* The live entry of the lock at (db, key), its expired readers dropped
 * first, or NULL when there is none (then *other tells whether another
 * kind of key is there). */
struct sentry *lock_find(int db, const char *key, size_t klen, bool *other);
/* The live hold of the lock behind e with this token, or NULL. */
struct lock_hold *lock_hold_by_token(struct sentry *e, const char *token, size_t len);
/* Does the lock behind e have a live hold of a uid other than uid? Then
 * *other is that uid. (Who may force-release a lock: acl.c.) */
bool lock_has_other_holder(struct sentry *e, uid_t uid, uid_t *other);

/* Ends the hold h (of the lock behind e, in db): a release. The lock goes
 * with its last hold; a reader leaving others behind wakes the waiters. */
void lock_release_hold(int db, struct sentry *e, struct lock_hold *h);
/* Sets the expiry of h (ms, monotonic) and re-times the waiters. 0, or -1
 * when out of memory. */
int lock_renew_hold(int db, struct sentry *e, struct lock_hold *h, int64_t expire);

/* The store's delete hook for STORE_LOCK entries: frees the lock and counts
 * how its holds ended (why != STORE_DEL_RELEASED: expired or forced). */
void lock_entry_gone(struct sentry *e, enum store_reason why);

/* Puts back a lock a snapshot held, without holds yet: exclusive, its
 * entry expiring at expire (ms, monotonic, or STORE_NO_EXPIRE), or shared
 * (its TTL then follows its readers'). An entry under the key is replaced.
 * lock_restore_hold must then add at least one hold. NULL when out of
 * memory. */
struct lock *lock_restore(int db, const char *key, size_t klen, bool shared, int64_t expire);
/* Adds a DETACHed hold with token, the saved fence and holder, and for a
 * reader its expire (ms, monotonic, or STORE_NO_EXPIRE). 0, or -1 when out
 * of memory. */
int lock_restore_hold(struct lock *l, const char *token, size_t toklen, int64_t expire,
		      const struct grant_saved *g);

/* The client is closing: releases its session-bound holds. */
void lock_conn_gone(struct conn *c);
/* Session-bound holds c has (CLIENT LIST). */
size_t lock_held_by(const struct conn *c);

/* Holds (an exclusive lock is one, each reader one), and of them readers. */
size_t lock_count(void);
size_t lock_reader_count(void);
const struct lock_stats *lock_stats(void);
struct lock_stats *lock_stats_mut(void);

#endif /* CACHIFY_LOCK_H */
