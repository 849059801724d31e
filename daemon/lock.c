/* lock.c - locks: grants (exclusive or shared), holds, ownership, reader
 * expiry, and the one place a lock is freed.
 *
 * The store's delete hook (lock_entry_gone) frees a lock whatever removed
 * its entry: a release of its last hold, DEL, expiry, FLUSHDB or its
 * holder's disconnect. A shared lock's lapsed readers are dropped whenever
 * it is looked up (lock_find), as pool.c drops lapsed slots; the wait
 * queue's timer looks it up when the earliest one ends.
 */
#include "lock.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "clock.h"
#include "kevent.h"
#include "log.h"
#include "reply.h"
#include "waitq.h"

static struct store *store;
static size_t nholds, nreaders;
static struct lock_stats stats;

void lock_init(struct store *st)
{
	store = st;
}

struct lock *lock_of(struct sentry *e)
{
	struct lock *l;

	memcpy(&l, sentry_value(e), sizeof l);
	return l;
}

/* What a hold, and a lock itself, own outside the keyspace entry (counted
 * against maxmemory). */
static size_t hold_bytes(const struct lock_hold *h)
{
	return malloc_usable_size((void *)h) + malloc_usable_size(h->token) +
	       holder_bytes(&h->h);
}

static size_t lock_own_bytes(const struct lock *l)
{
	return malloc_usable_size((void *)l) + malloc_usable_size(l->key);
}

/* Unlinks h from its lock and its owner and frees it. */
static void hold_free(struct lock_hold *h)
{
	struct lock *l = h->lock;

	TAILQ_REMOVE(&l->holds, h, in_lock);
	if (h->h.owner)
		LIST_REMOVE(h, owned);
	l->n--;
	nholds--;
	if (l->shared)
		nreaders--;
	store_account(store, 0, hold_bytes(h));
	free(h->token);
	holder_free(&h->h);
	free(h);
}

static void lock_free(struct lock *l)
{
	while (!TAILQ_EMPTY(&l->holds))
		hold_free(TAILQ_FIRST(&l->holds));
	store_account(store, 0, lock_own_bytes(l));
	free(l->key);
	free(l);
}

int64_t lock_hold_expire(struct sentry *e, const struct lock_hold *h)
{
	int64_t entry = sentry_expire(e);

	/* A PEXPIRE on a shared lock's key can cut every reader short. */
	if (!h->lock->shared || h->expire == STORE_NO_EXPIRE)
		return entry;
	if (entry == STORE_NO_EXPIRE || h->expire < entry)
		return h->expire;
	return entry;
}

static bool hold_is_live(struct sentry *e, const struct lock_hold *h, int64_t now)
{
	int64_t at = lock_hold_expire(e, h);

	return at == STORE_NO_EXPIRE || at > now;
}

struct lock_hold *lock_oldest(struct sentry *e)
{
	int64_t now = clock_ms();
	struct lock_hold *h;

	TAILQ_FOREACH(h, &lock_of(e)->holds, in_lock)
		if (hold_is_live(e, h, now))
			return h;
	return TAILQ_FIRST(&lock_of(e)->holds);
}

size_t lock_live_holds(struct sentry *e)
{
	int64_t now = clock_ms();
	const struct lock_hold *h;
	size_t n = 0;

	TAILQ_FOREACH(h, &lock_of(e)->holds, in_lock)
		n += hold_is_live(e, h, now);
	return n;
}

struct lock_hold *lock_hold_by_token(struct sentry *e, const char *token, size_t len)
{
	int64_t now = clock_ms();
	struct lock_hold *h;

	TAILQ_FOREACH(h, &lock_of(e)->holds, in_lock)
		if (h->toklen == len && memcmp(h->token, token, len) == 0 &&
		    hold_is_live(e, h, now))
			return h;
	return NULL;
}

bool lock_has_other_holder(struct sentry *e, uid_t uid, uid_t *other)
{
	int64_t now = clock_ms();
	const struct lock_hold *h;

	TAILQ_FOREACH(h, &lock_of(e)->holds, in_lock) {
		if (h->h.uid != uid && hold_is_live(e, h, now)) {
			*other = h->h.uid;
			return true;
		}
	}
	return false;
}

/* A shared lock's entry lives until its latest reader expires: re-computes
 * its TTL from the readers. 0, or -1 when out of memory. */
static int lock_update_ttl(struct lock *l)
{
	/* Not store_peek: a lazy expiry there would free l under the caller. */
	struct sentry *e = store_peek_any(store, l->db, l->key, l->klen);
	int64_t latest = 0;
	const struct lock_hold *h;

	if (!e || e->type != STORE_LOCK || !l->shared)
		return 0;
	TAILQ_FOREACH(h, &l->holds, in_lock) {
		if (h->expire == STORE_NO_EXPIRE) {
			latest = STORE_NO_EXPIRE;
			break;
		}
		if (h->expire > latest)
			latest = h->expire;
	}
	if (latest != sentry_expire(e) && !store_set_expire(store, l->db, e, latest))
		return -1;
	return 0;
}

/* Drops the lapsed readers of the lock behind e: the entry (it may have
 * moved), or NULL when the last one went with them. */
static struct sentry *lock_purge(int db, struct sentry *e)
{
	struct lock *l = lock_of(e);
	int64_t now = clock_ms();
	struct lock_hold *h, *next;
	size_t dropped = 0;

	if (!l->shared)
		return e;
	for (h = TAILQ_FIRST(&l->holds); h; h = next) {
		next = TAILQ_NEXT(h, in_lock);
		if (!hold_is_live(e, h, now)) {
			hold_free(h);
			dropped++;
		}
	}
	stats.expired += dropped;
	if (!dropped)
		return e;
	if (l->n == 0) {
		/* The hook frees l, tells lock.expired and wakes the waiters. */
		store_delete_entry(store, db, e, STORE_DEL_EXPIRED);
		return NULL;
	}
	kevent_notify(KEV_LOCK, "lock.expired", db, l->key, l->klen);
	store_touch(store, db, l->key, l->klen); /* WATCH: the readers changed */
	waitq_wake(db, l->key, l->klen);
	lock_update_ttl(l);
	return store_peek_any(store, db, l->key, l->klen);
}

struct sentry *lock_find(int db, const char *key, size_t klen, bool *other)
{
	struct sentry *e = store_find_write(store, db, key, klen);

	*other = e && e->type != STORE_LOCK;
	if (!e || *other)
		return NULL;
	return lock_purge(db, e);
}

static bool lock_can_grant(const struct grant_req *r, int db, const char *key, size_t klen)
{
	bool other;
	struct sentry *e = lock_find(db, key, klen, &other);

	/* A writer needs the key free; a reader shares it with readers. */
	return !other && (!e || (r->shared && lock_of(e)->shared));
}

static int64_t lock_next_expiry(int db, const char *key, size_t klen)
{
	struct sentry *e = store_peek(store, db, key, klen);
	int64_t first = STORE_NO_EXPIRE;
	const struct lock_hold *h;

	if (!e)
		return STORE_NO_EXPIRE;
	/* Whatever holds the key (a lock, a value, a whole pool) must go. */
	if (e->type != STORE_LOCK || !lock_of(e)->shared)
		return sentry_expire(e);
	/* A writer waits for every reader: wake at the first one's end. */
	TAILQ_FOREACH(h, &lock_of(e)->holds, in_lock) {
		int64_t at = lock_hold_expire(e, h);

		if (at != STORE_NO_EXPIRE && (first == STORE_NO_EXPIRE || at < first))
			first = at;
	}
	return first;
}

static char *lock_copy(const char *p, size_t len)
{
	char *q = malloc(len ? len : 1);

	if (q)
		memcpy(q, p, len);
	return q;
}

/* A hold with r's token (or a generated one), linked to nothing yet. */
static struct lock_hold *hold_new(const struct grant_req *r)
{
	struct lock_hold *h = calloc(1, sizeof *h);

	if (!h)
		return NULL;
	if (r->token) {
		h->token = lock_copy(r->token, r->toklen);
		h->toklen = r->toklen;
	} else if ((h->token = malloc(GRANT_TOKEN_HEX + 1))) {
		grant_token(h->token);
		h->toklen = GRANT_TOKEN_HEX;
	}
	if (!h->token) {
		free(h);
		return NULL;
	}
	return h;
}

/* A new lock entry at (db, key) expiring at expire, with no hold yet. */
static struct lock *lock_create(int db, const char *key, size_t klen, bool shared,
				int64_t expire)
{
	struct lock *l = calloc(1, sizeof *l);

	if (!l || !(l->key = lock_copy(key, klen))) {
		free(l);
		return NULL;
	}
	l->klen = klen;
	l->db = db;
	l->shared = shared;
	TAILQ_INIT(&l->holds);
	if (!store_put(store, db, key, klen, &l, sizeof l, STORE_LOCK, expire)) {
		free(l->key);
		free(l);
		return NULL;
	}
	store_account(store, lock_own_bytes(l), 0);
	return l;
}

static int lock_grant(const struct grant_req *r, int db, const char *key, size_t klen)
{
	struct conn *c = r->c;
	int64_t expire = r->ttl_ms > 0 ? clock_ms() + r->ttl_ms : STORE_NO_EXPIRE;
	/* can_grant allowed it: the key is free, or a shared lock for a reader. */
	struct sentry *e = store_peek(store, db, key, klen);
	struct lock_hold *h = hold_new(r);
	struct lock *l;

	if (!h)
		goto oom;
	if (e)
		l = lock_of(e);
	else if (!(l = lock_create(db, key, klen, r->shared, expire)))
		goto oom;
	h->lock = l;
	h->fence = grant_next_fence();
	h->expire = l->shared ? expire : STORE_NO_EXPIRE;
	holder_init(&h->h, c, r->detach);
	TAILQ_INSERT_TAIL(&l->holds, h, in_lock);
	if (h->h.owner)
		LIST_INSERT_HEAD(&c->locks, h, owned);
	l->n++;
	nholds++;
	if (l->shared)
		nreaders++;
	store_account(store, hold_bytes(h), 0);
	stats.grants++;
	if (e) {
		store_touch(store, db, key, klen); /* WATCH: a reader joining is a write */
		lock_update_ttl(l);
	}
	kevent_notify(KEV_LOCK, "lock.acquire", db, key, klen);
	grant_reply(c, h->token, h->toklen, h->fence);
	return 0;
oom:
	if (h) {
		free(h->token);
		free(h);
	}
	reply_error(c, ERR_OOM);
	return -1;
}

struct lock *lock_restore(int db, const char *key, size_t klen, bool shared, int64_t expire)
{
	return lock_create(db, key, klen, shared, shared ? STORE_NO_EXPIRE : expire);
}

int lock_restore_hold(struct lock *l, const char *token, size_t toklen, int64_t expire,
		      const struct grant_saved *g)
{
	struct lock_hold *h = calloc(1, sizeof *h);

	if (!h || !(h->token = lock_copy(token, toklen)) || holder_restore(&h->h, g) != 0) {
		if (h)
			free(h->token);
		free(h);
		return -1;
	}
	h->toklen = toklen;
	h->lock = l;
	h->fence = g->fence;
	h->expire = l->shared ? expire : STORE_NO_EXPIRE;
	TAILQ_INSERT_TAIL(&l->holds, h, in_lock);
	l->n++;
	nholds++;
	if (l->shared)
		nreaders++;
	store_account(store, hold_bytes(h), 0);
	stats.grants++; /* it ends one way too: grants == held + ended stays true */
	return lock_update_ttl(l);
}

const struct grant_kind lock_kind = {
	.name = "lock",
	.can_grant = lock_can_grant,
	.grant = lock_grant,
	.next_expiry = lock_next_expiry,
};

void lock_release_hold(int db, struct sentry *e, struct lock_hold *h)
{
	struct lock *l = h->lock;

	if (l->n == 1) {
		/* The hook tells lock.release, frees l and wakes the waiters. */
		store_delete_entry(store, db, e, STORE_DEL_RELEASED);
		return;
	}
	kevent_notify(KEV_LOCK, "lock.release", db, l->key, l->klen);
	hold_free(h);
	/* A waiting writer's timer may have been set by this reader's TTL. */
	waitq_wake(db, l->key, l->klen);
	store_touch(store, db, l->key, l->klen);
	lock_update_ttl(l);
}

int lock_renew_hold(int db, struct sentry *e, struct lock_hold *h, int64_t expire)
{
	struct lock *l = h->lock;

	if (!l->shared) {
		if (!store_set_expire(store, db, e, expire))
			return -1;
	} else {
		h->expire = expire;
		store_touch(store, db, l->key, l->klen);
		if (lock_update_ttl(l) != 0)
			return -1;
	}
	/* Waiters time their wake-up by the TTL: re-arm for the new one. */
	waitq_wake(db, l->key, l->klen);
	return 0;
}

void lock_entry_gone(struct sentry *e, enum store_reason why)
{
	struct lock *l = lock_of(e);

	if (why == STORE_DEL_EXPIRED)
		stats.expired += l->n;
	else if (why != STORE_DEL_RELEASED)
		stats.forced += l->n;
	lock_free(l);
}

void lock_conn_gone(struct conn *c)
{
	struct lock_hold *h;

	while ((h = LIST_FIRST(&c->locks))) {
		int db = h->lock->db;
		/* An expired entry goes through the hook inside store_peek and
		 * its holds are counted there as expired. */
		struct sentry *e = store_peek(store, db, h->lock->key, h->lock->klen);

		if (e && !hold_is_live(e, h, clock_ms())) {
			lock_purge(db, e); /* a lapsed reader: it ended by expiry */
		} else if (e) {
			stats.session_releases++;
			lock_release_hold(db, e, h);
		}
		if (LIST_FIRST(&c->locks) == h) {
			log_warning("%s:%d: a held lock is missing from the keyspace", __FILE__,
				    __LINE__);
			abort();
		}
	}
}

size_t lock_held_by(const struct conn *c)
{
	size_t n = 0;
	const struct lock_hold *h;

	LIST_FOREACH(h, &c->locks, owned)
		n++;
	return n;
}

size_t lock_count(void)
{
	return nholds;
}

size_t lock_reader_count(void)
{
	return nreaders;
}

const struct lock_stats *lock_stats(void)
{
	return &stats;
}

struct lock_stats *lock_stats_mut(void)
{
	return &stats;
}
