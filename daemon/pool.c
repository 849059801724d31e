/* pool.c - pool slots: grants, expiry, ownership.
 *
 * Expired slots are dropped whenever a pool is looked at, so they never
 * count; the wait queue's timer looks at it when the earliest one ends.
 * The store's delete hook (pool_entry_gone) is the one place a pool is
 * freed, whatever removed its entry.
 */
#include "pool.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "clock.h"
#include "kevent.h"
#include "reply.h"
#include "waitq.h"

static struct store *store;
static size_t npools, nslots;
static struct pool_stats stats;

void pool_init(struct store *st)
{
	store = st;
}

static struct pool *pool_ptr(struct sentry *e)
{
	struct pool *p;

	memcpy(&p, sentry_value(e), sizeof p);
	return p;
}

static bool slot_is_expired(const struct slot *s, int64_t now)
{
	return s->expire != STORE_NO_EXPIRE && s->expire <= now;
}

bool pool_has_other_holder(struct sentry *e, uid_t uid, uid_t *other)
{
	int64_t now = clock_ms();
	const struct slot *s;

	LIST_FOREACH(s, &pool_ptr(e)->slots, in_pool) {
		if (s->h.uid != uid && !slot_is_expired(s, now)) {
			*other = s->h.uid;
			return true;
		}
	}
	return false;
}

/* Unlinks s from its pool and its owner and frees it. */
static void slot_free(struct slot *s)
{
	LIST_REMOVE(s, in_pool);
	if (s->h.owner)
		LIST_REMOVE(s, owned);
	s->pool->n--;
	nslots--;
	store_account(store, 0, malloc_usable_size(s) + holder_bytes(&s->h));
	holder_free(&s->h);
	free(s);
}

/* Re-computes the pool entry's TTL from its slots (latest expiry, or none). */
static void pool_update_ttl(struct pool *p)
{
	/* Not store_peek: the entry's old TTL may have just passed while p
	 * has new or renewed slots, and a lazy expiry there would free p (and
	 * the slot a grant is about to reply) under the caller. */
	struct sentry *e = store_peek_any(store, p->db, p->key, p->klen);
	int64_t latest = 0;
	struct slot *s;

	if (!e || e->type != STORE_POOL)
		return;
	LIST_FOREACH(s, &p->slots, in_pool) {
		if (s->expire == STORE_NO_EXPIRE) {
			latest = STORE_NO_EXPIRE;
			break;
		}
		if (s->expire > latest)
			latest = s->expire;
	}
	if (latest != sentry_expire(e))
		store_set_expire(store, p->db, e, latest);
}

/* The pool behind entry e of db after dropping its expired slots (which
 * may delete the entry: then NULL). */
static struct pool *pool_of(int db, struct sentry *e)
{
	struct pool *p = pool_ptr(e);
	int64_t now = clock_ms();
	size_t dropped = 0;
	struct slot *s, *next;

	for (s = LIST_FIRST(&p->slots); s; s = next) {
		next = LIST_NEXT(s, in_pool);
		if (slot_is_expired(s, now)) {
			slot_free(s);
			dropped++;
		}
	}
	stats.expired += dropped;
	if (dropped && p->n) {
		store_touch(store, db, p->key, p->klen); /* WATCH: the pool changed */
		/* The last slot's expiry is the entry's: the store hook tells it. */
		kevent_notify(KEV_LOCK, "pool.expired", db, p->key, p->klen);
	}
	if (p->n == 0) {
		/* The hook frees p and wakes the key's waiters. */
		store_delete_entry(store, db, e, STORE_DEL_EXPIRED);
		return NULL;
	}
	if (dropped) {
		pool_update_ttl(p);
		waitq_wake(db, p->key, p->klen);
	}
	return p;
}

struct pool *pool_find(int db, const char *key, size_t klen, bool *other)
{
	struct sentry *e = store_find_write(store, db, key, klen);

	*other = false;
	if (!e)
		return NULL;
	if (e->type != STORE_POOL) {
		*other = true;
		return NULL;
	}
	return pool_of(db, e);
}

struct slot *pool_slot(struct pool *p, const char *id, size_t len)
{
	struct slot *s;

	if (len != GRANT_TOKEN_HEX)
		return NULL;
	LIST_FOREACH(s, &p->slots, in_pool)
		if (memcmp(s->id, id, GRANT_TOKEN_HEX) == 0)
			return s;
	return NULL;
}

static bool pool_can_grant(const struct grant_req *r, int db, const char *key, size_t klen)
{
	bool other;
	struct pool *p = pool_find(db, key, klen, &other);

	return !other && (!p || (long long)p->n < r->max);
}

static int64_t pool_next_expiry(int db, const char *key, size_t klen)
{
	struct sentry *e = store_peek(store, db, key, klen);
	int64_t first = STORE_NO_EXPIRE;
	struct slot *s;

	if (!e)
		return STORE_NO_EXPIRE;
	if (e->type != STORE_POOL)
		return sentry_expire(e); /* another kind of key: it must go */
	LIST_FOREACH(s, &pool_ptr(e)->slots, in_pool)
		if (s->expire != STORE_NO_EXPIRE && (first == STORE_NO_EXPIRE || s->expire < first))
			first = s->expire;
	/* An EXPIRE on the pool's key ends every slot at once. */
	if (sentry_expire(e) != STORE_NO_EXPIRE &&
	    (first == STORE_NO_EXPIRE || sentry_expire(e) < first))
		first = sentry_expire(e);
	return first;
}

static struct pool *pool_create(int db, const char *key, size_t klen)
{
	struct pool *p = calloc(1, sizeof *p);

	if (!p || !(p->key = malloc(klen ? klen : 1))) {
		free(p);
		return NULL;
	}
	memcpy(p->key, key, klen);
	p->klen = klen;
	p->db = db;
	LIST_INIT(&p->slots);
	if (!store_put(store, db, key, klen, &p, sizeof p, STORE_POOL, STORE_NO_EXPIRE)) {
		free(p->key);
		free(p);
		return NULL;
	}
	store_account(store, malloc_usable_size(p) + malloc_usable_size(p->key), 0);
	npools++;
	return p;
}

static int pool_grant(const struct grant_req *r, int db, const char *key, size_t klen)
{
	struct conn *c = r->c;
	bool other;
	struct pool *p = pool_find(db, key, klen, &other);
	struct slot *s;

	if (!p && !(p = pool_create(db, key, klen)))
		goto oom;
	if (!(s = calloc(1, sizeof *s))) {
		if (p->n == 0)
			store_delete(store, db, key, klen, STORE_DEL_DELETED);
		goto oom;
	}
	s->pool = p;
	grant_token(s->id);
	s->fence = grant_next_fence();
	s->expire = r->ttl_ms > 0 ? clock_ms() + r->ttl_ms : STORE_NO_EXPIRE;
	holder_init(&s->h, c, r->detach);
	LIST_INSERT_HEAD(&p->slots, s, in_pool);
	if (s->h.owner)
		LIST_INSERT_HEAD(&c->slots, s, owned);
	p->n++;
	p->max = r->max;
	nslots++;
	store_account(store, malloc_usable_size(s) + holder_bytes(&s->h), 0);
	stats.grants++;
	kevent_notify(KEV_LOCK, "pool.acquire", db, key, klen);
	store_touch(store, db, key, klen); /* WATCH: a slot taken is a write */
	pool_update_ttl(p);
	grant_reply(c, s->id, GRANT_TOKEN_HEX, s->fence);
	return 0;
oom:
	reply_error(c, ERR_OOM);
	return -1;
}

struct pool *pool_restore(int db, const char *key, size_t klen, long long max)
{
	struct pool *p = pool_create(db, key, klen);

	if (p)
		p->max = max;
	return p;
}

int pool_restore_slot(struct pool *p, const char *id, int64_t expire,
		      const struct grant_saved *g)
{
	struct slot *s = calloc(1, sizeof *s);

	if (!s || holder_restore(&s->h, g) != 0) {
		free(s);
		return -1;
	}
	s->pool = p;
	memcpy(s->id, id, GRANT_TOKEN_HEX);
	s->fence = g->fence;
	s->expire = expire;
	LIST_INSERT_HEAD(&p->slots, s, in_pool);
	p->n++;
	nslots++;
	store_account(store, malloc_usable_size(s) + holder_bytes(&s->h), 0);
	stats.grants++;
	pool_update_ttl(p);
	return 0;
}

const struct grant_kind pool_kind = {
	.name = "pool",
	.can_grant = pool_can_grant,
	.grant = pool_grant,
	.next_expiry = pool_next_expiry,
};

void pool_release_slot(struct slot *s)
{
	struct pool *p = s->pool;

	kevent_notify(KEV_LOCK, "pool.release", p->db, p->key, p->klen);
	slot_free(s);
	if (p->n == 0) {
		/* The hook frees p (and p->key) and wakes the waiters. */
		struct sentry *e = store_peek(store, p->db, p->key, p->klen);

		if (e)
			store_delete_entry(store, p->db, e, STORE_DEL_RELEASED);
		return;
	}
	/* Wake first: re-timing may find the pool's own TTL passed (slots
	 * lapsed, not yet purged) and delete it, and the hook frees p. */
	waitq_wake(p->db, p->key, p->klen);
	store_touch(store, p->db, p->key, p->klen);
	pool_update_ttl(p);
}

void pool_renew_slot(struct slot *s, int64_t expire)
{
	struct pool *p = s->pool;

	s->expire = expire;
	/* A shorter TTL may move the earliest expiry the waiters' timer uses.
	 * Wake first, as in pool_release_slot: re-timing may find the pool's
	 * own TTL just passed and free it (and s). */
	waitq_wake(p->db, p->key, p->klen);
	store_touch(store, p->db, p->key, p->klen);
	pool_update_ttl(p);
}

void pool_entry_gone(struct sentry *e, enum store_reason why)
{
	struct pool *p = pool_ptr(e);

	if (why == STORE_DEL_EXPIRED)
		stats.expired += p->n;
	else
		stats.forced += p->n;
	while (!LIST_EMPTY(&p->slots))
		slot_free(LIST_FIRST(&p->slots));
	npools--;
	store_account(store, 0, malloc_usable_size(p) + malloc_usable_size(p->key));
	free(p->key);
	free(p);
}

void pool_conn_gone(struct conn *c)
{
	struct slot *s;

	while ((s = LIST_FIRST(&c->slots))) {
		/* A lapsed slot not yet purged ended by expiry, not by us. */
		if (slot_is_expired(s, clock_ms()))
			stats.expired++;
		else
			stats.session_releases++;
		pool_release_slot(s);
	}
}

size_t pool_held_by(const struct conn *c)
{
	size_t n = 0;
	const struct slot *s;

	LIST_FOREACH(s, &c->slots, owned)
		n++;
	return n;
}

size_t pool_count(void)
{
	return npools;
}

size_t pool_slot_count(void)
{
	return nslots;
}

const struct pool_stats *pool_stats(void)
{
	return &stats;
}

struct pool_stats *pool_stats_mut(void)
{
	return &stats;
}
