/* pool.c - pools: counting semaphores whose slots expire one by one.
 *
 * A pool's keyspace entry points to its struct pool; the entry's TTL is its
 * latest slot expiry, so a pool whose slots all lapse disappears like any
 * key. Expired slots are dropped whenever the pool is looked at, so they
 * never count; the wait queue's timer looks at it when the earliest one ends.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conn.h"
#include "lock.h"
#include "server.h"
#include "waitq.h"

static size_t npools, nslots;

static struct pool *pool_ptr(struct sentry *e)
{
	struct pool *p;

	memcpy(&p, sentry_value(e), sizeof p);
	return p;
}

/* Unlinks s from its pool and its owner and frees it. */
static void slot_free(struct slot *s)
{
	struct pool *p = s->pool;
	struct conn *c = s->h.owner;

	if (s->prev)
		s->prev->next = s->next;
	else
		p->slots = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (c) {
		if (s->cprev)
			s->cprev->cnext = s->cnext;
		else
			c->slots = s->cnext;
		if (s->cnext)
			s->cnext->cprev = s->cprev;
	}
	p->n--;
	nslots--;
	store_account(server.store, 0, malloc_usable_size(s) + holder_bytes(&s->h));
	free(s->h.name);
	free(s);
}

void pool_update_ttl(struct pool *p)
{
	struct sentry *e = store_peek(server.store, p->db, p->key, p->klen);
	int64_t latest = 0;

	if (!e || e->type != STORE_POOL)
		return;
	for (struct slot *s = p->slots; s; s = s->next) {
		if (s->expire == STORE_NO_EXPIRE) {
			latest = STORE_NO_EXPIRE;
			break;
		}
		if (s->expire > latest)
			latest = s->expire;
	}
	if (latest != sentry_expire(e))
		store_set_expire(server.store, p->db, e, latest);
}

struct pool *pool_of(int db, struct sentry *e)
{
	struct pool *p = pool_ptr(e);
	int64_t now = clock_ms();
	size_t dropped = 0;
	struct slot *s, *next;

	for (s = p->slots; s; s = next) {
		next = s->next;
		if (s->expire != STORE_NO_EXPIRE && s->expire <= now) {
			slot_free(s);
			dropped++;
		}
	}
	lock_stats_mut()->pool_expired += dropped;
	if (p->n == 0) {
		/* The hook frees p and wakes the key's waiters. */
		store_delete_entry(server.store, db, e, STORE_DEL_EXPIRED);
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
	struct sentry *e = store_find_write(server.store, db, key, klen);

	*other = false;
	if (!e)
		return NULL;
	if (e->type != STORE_POOL) {
		*other = true;
		return NULL;
	}
	return pool_of(db, e);
}

int64_t pool_next_expiry(int db, const char *key, size_t klen)
{
	struct sentry *e = store_peek(server.store, db, key, klen);
	int64_t first = STORE_NO_EXPIRE;

	if (!e || e->type != STORE_POOL)
		return STORE_NO_EXPIRE;
	for (struct slot *s = pool_ptr(e)->slots; s; s = s->next)
		if (s->expire != STORE_NO_EXPIRE && (first == STORE_NO_EXPIRE || s->expire < first))
			first = s->expire;
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
	if (!store_put(server.store, db, key, klen, &p, sizeof p, STORE_POOL, STORE_NO_EXPIRE)) {
		free(p->key);
		free(p);
		return NULL;
	}
	store_account(server.store, malloc_usable_size(p) + malloc_usable_size(p->key), 0);
	npools++;
	return p;
}

int pool_grant(const struct waiter *w, int db, const char *key, size_t klen)
{
	struct conn *c = w->c;
	bool other;
	struct pool *p = pool_find(db, key, klen, &other);
	struct slot *s;

	if (!p && !(p = pool_create(db, key, klen)))
		goto oom;
	if (!(s = calloc(1, sizeof *s))) {
		if (p->n == 0)
			store_delete(server.store, db, key, klen, STORE_DEL_DELETED);
		goto oom;
	}
	s->pool = p;
	lock_random_hex(s->id);
	s->fence = lock_next_fence();
	s->expire = w->ttl_ms > 0 ? clock_ms() + w->ttl_ms : STORE_NO_EXPIRE;
	holder_init(&s->h, c, w->detach);
	s->next = p->slots;
	if (p->slots)
		p->slots->prev = s;
	p->slots = s;
	if (s->h.owner) {
		s->cnext = c->slots;
		if (c->slots)
			c->slots->cprev = s;
		c->slots = s;
	}
	p->n++;
	p->max = w->max;
	nslots++;
	store_account(server.store, malloc_usable_size(s) + holder_bytes(&s->h), 0);
	lock_stats_mut()->pool_grants++;
	pool_update_ttl(p);
	reply_grant(c, s->id, LOCK_TOKEN_HEX, s->fence);
	return 0;
oom:
	reply_error(c, ERR_OOM);
	return -1;
}

void pool_release_slot(struct slot *s)
{
	struct pool *p = s->pool;

	slot_free(s);
	if (p->n == 0) {
		/* The hook frees p (and p->key) and wakes the waiters. */
		struct sentry *e = store_peek(server.store, p->db, p->key, p->klen);

		if (e)
			store_delete_entry(server.store, p->db, e, STORE_DEL_RELEASED);
		return;
	}
	pool_update_ttl(p);
	waitq_wake(p->db, p->key, p->klen);
}

void pool_entry_gone(struct sentry *e, enum store_reason why)
{
	struct pool *p = pool_ptr(e);

	if (why == STORE_DEL_EXPIRED)
		lock_stats_mut()->pool_expired += p->n;
	else
		lock_stats_mut()->pool_forced += p->n;
	while (p->slots)
		slot_free(p->slots);
	npools--;
	store_account(server.store, 0, malloc_usable_size(p) + malloc_usable_size(p->key));
	free(p->key);
	free(p);
}

size_t pool_count(void)
{
	return npools;
}

size_t pool_slot_count(void)
{
	return nslots;
}
