/* lock.c - locks: tokens, fences, grants and session-bound ownership.
 *
 * A lock's keyspace entry holds a pointer to its struct lock; the entry's
 * TTL is the lock's TTL, so GET, PTTL, DEL and expiry work on it as on any
 * key. The store's delete hook (lock_entry_gone) is the one place a lock is
 * freed, whatever removed it.
 */
#include "lock.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "clock.h"
#include "conn.h"
#include "log.h"
#include "server.h"
#include "waitq.h"

#define RANDOM_POOL 4096 /* bytes of randomness fetched per getrandom() */

static uint64_t last_fence;
static size_t nlocks;
static struct lock_stats stats;

uint64_t lock_next_fence(void)
{
	if (last_fence == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		last_fence = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	}
	return ++last_fence;
}

void lock_random_hex(char *buf)
{
	static unsigned char pool[RANDOM_POOL];
	static size_t left;
	static const char hex[] = "0123456789abcdef";

	if (left < LOCK_TOKEN_HEX / 2) {
		size_t got = 0;

		while (got < sizeof pool) {
			ssize_t n = getrandom(pool + got, sizeof pool - got, 0);

			if (n <= 0) {
				/* getrandom on Linux >= 3.17 does not fail once seeded;
				 * keep going with what the pool holds rather than abort. */
				break;
			}
			got += (size_t)n;
		}
		left = got;
	}
	for (int i = 0; i < LOCK_TOKEN_HEX / 2; i++) {
		unsigned char b = pool[--left];

		buf[2 * i] = hex[b >> 4];
		buf[2 * i + 1] = hex[b & 15];
	}
	buf[LOCK_TOKEN_HEX] = '\0';
}

struct lock *lock_of(struct sentry *e)
{
	struct lock *l;

	memcpy(&l, sentry_value(e), sizeof l);
	return l;
}

void holder_init(struct holder *h, struct conn *c, bool detach)
{
	h->owner = detach ? NULL : c;
	h->client_id = c->id;
	h->pid = c->pid;
	h->uid = c->uid;
	h->name = c->name ? strdup(c->name) : NULL;
	h->since_ms = clock_ms();
}

size_t holder_bytes(const struct holder *h)
{
	return h->name ? malloc_usable_size(h->name) : 0;
}

/* What a lock owns outside its keyspace entry (counted against maxmemory). */
static size_t lock_bytes(const struct lock *l)
{
	return malloc_usable_size((void *)l) + malloc_usable_size(l->key) +
	       malloc_usable_size(l->token) + holder_bytes(&l->h);
}

static void lock_free(struct lock *l)
{
	free(l->key);
	free(l->token);
	free(l->h.name);
	free(l);
}

/* Replies *2 [id, fence]: the answer to every grant. */
void reply_grant(struct conn *c, const char *id, size_t len, uint64_t fence)
{
	reply_array(c, 2);
	reply_bulk(c, id, len);
	reply_int(c, (long long)fence);
}

int lock_grant(const struct waiter *w, int db, const char *key, size_t klen)
{
	struct conn *c = w->c;
	struct lock *l = calloc(1, sizeof *l);
	int64_t expire = w->ttl_ms > 0 ? clock_ms() + w->ttl_ms : STORE_NO_EXPIRE;

	if (!l || !(l->key = malloc(klen ? klen : 1)))
		goto oom;
	memcpy(l->key, key, klen);
	l->klen = klen;
	l->db = db;
	if (w->token) {
		l->token = malloc(w->toklen ? w->toklen : 1);
		if (!l->token)
			goto oom;
		memcpy(l->token, w->token, w->toklen);
		l->toklen = w->toklen;
	} else {
		if (!(l->token = malloc(LOCK_TOKEN_HEX + 1)))
			goto oom;
		lock_random_hex(l->token);
		l->toklen = LOCK_TOKEN_HEX;
	}
	if (!store_put(server.store, db, key, klen, &l, sizeof l, STORE_LOCK, expire))
		goto oom;
	l->fence = lock_next_fence();
	holder_init(&l->h, c, w->detach);
	if (l->h.owner) {
		l->cnext = c->locks;
		if (c->locks)
			c->locks->cprev = l;
		c->locks = l;
	}
	store_account(server.store, lock_bytes(l), 0);
	nlocks++;
	stats.grants++;
	reply_grant(c, l->token, l->toklen, l->fence);
	return 0;
oom:
	if (l)
		lock_free(l);
	reply_error(c, ERR_OOM);
	return -1;
}

void lock_entry_gone(struct sentry *e, enum store_reason why)
{
	struct lock *l = lock_of(e);
	struct conn *c = l->h.owner;

	if (why == STORE_DEL_EXPIRED)
		stats.expired++;
	else if (why != STORE_DEL_RELEASED)
		stats.forced++;
	if (c) {
		if (l->cprev)
			l->cprev->cnext = l->cnext;
		else
			c->locks = l->cnext;
		if (l->cnext)
			l->cnext->cprev = l->cprev;
	}
	store_account(server.store, 0, lock_bytes(l));
	nlocks--;
	lock_free(l);
}

void lock_conn_gone(struct conn *c)
{
	while (c->locks) {
		struct lock *l = c->locks;
		struct sentry *e = store_peek(server.store, l->db, l->key, l->klen);

		/* Counted here only if it is still live: an expired entry is
		 * counted as expired by the hook inside store_peek. */
		if (e)
			stats.session_releases++;
		/* The hook unlinks l from c->locks and frees it (an expired
		 * entry goes through the hook inside store_peek). */
		if (e)
			store_delete_entry(server.store, l->db, e, STORE_DEL_RELEASED);
		if (c->locks == l) {
			log_warning("%s:%d: a held lock is missing from the keyspace", __FILE__,
				    __LINE__);
			abort();
		}
	}
	while (c->slots) {
		struct slot *s = c->slots;

		/* A lapsed slot not yet purged ended by expiry, not by us. */
		if (s->expire != STORE_NO_EXPIRE && s->expire <= clock_ms())
			stats.pool_expired++;
		else
			stats.pool_session_releases++;
		pool_release_slot(s);
	}
}

size_t lock_held_by(const struct conn *c)
{
	size_t n = 0;

	for (const struct lock *l = c->locks; l; l = l->cnext)
		n++;
	for (const struct slot *s = c->slots; s; s = s->cnext)
		n++;
	return n;
}

size_t lock_count(void)
{
	return nlocks;
}

struct lock_stats *lock_stats_mut(void)
{
	return &stats;
}

const struct lock_stats *lock_stats(void)
{
	return &stats;
}
