/* lock.c - locks: grants, ownership, and the one place a lock is freed.
 *
 * The store's delete hook (lock_entry_gone) frees a lock whatever removed
 * its entry: a release, DEL, expiry, FLUSHDB or its holder's disconnect.
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

static struct store *store;
static size_t nlocks;
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
	holder_free(&l->h);
	free(l);
}

static bool lock_can_grant(const struct grant_req *r, int db, const char *key, size_t klen)
{
	(void)r;
	return store_find_write(store, db, key, klen) == NULL;
}

static int64_t lock_next_expiry(int db, const char *key, size_t klen)
{
	struct sentry *e = store_peek(store, db, key, klen);

	/* Whatever holds the key (a lock, a value, a whole pool) must go. */
	return e ? sentry_expire(e) : STORE_NO_EXPIRE;
}

static char *lock_copy(const char *p, size_t len)
{
	char *q = malloc(len ? len : 1);

	if (q)
		memcpy(q, p, len);
	return q;
}

static int lock_grant(const struct grant_req *r, int db, const char *key, size_t klen)
{
	struct conn *c = r->c;
	struct lock *l = calloc(1, sizeof *l);
	int64_t expire = r->ttl_ms > 0 ? clock_ms() + r->ttl_ms : STORE_NO_EXPIRE;

	if (!l || !(l->key = lock_copy(key, klen)))
		goto oom;
	l->klen = klen;
	l->db = db;
	if (r->token) {
		if (!(l->token = lock_copy(r->token, r->toklen)))
			goto oom;
		l->toklen = r->toklen;
	} else {
		if (!(l->token = malloc(GRANT_TOKEN_HEX + 1)))
			goto oom;
		grant_token(l->token);
		l->toklen = GRANT_TOKEN_HEX;
	}
	if (!store_put(store, db, key, klen, &l, sizeof l, STORE_LOCK, expire))
		goto oom;
	l->fence = grant_next_fence();
	holder_init(&l->h, c, r->detach);
	if (l->h.owner)
		LIST_INSERT_HEAD(&c->locks, l, owned);
	store_account(store, lock_bytes(l), 0);
	nlocks++;
	stats.grants++;
	kevent_notify(KEV_LOCK, "lock.acquire", db, key, klen);
	grant_reply(c, l->token, l->toklen, l->fence);
	return 0;
oom:
	if (l)
		lock_free(l);
	reply_error(c, ERR_OOM);
	return -1;
}

int lock_restore(int db, const char *key, size_t klen, const char *token, size_t toklen,
		 int64_t expire, const struct grant_saved *g)
{
	struct lock *l = calloc(1, sizeof *l);

	if (!l)
		return -1;
	if (!(l->key = lock_copy(key, klen)) || !(l->token = lock_copy(token, toklen)) ||
	    holder_restore(&l->h, g) != 0 ||
	    !store_put(store, db, key, klen, &l, sizeof l, STORE_LOCK, expire)) {
		lock_free(l);
		return -1;
	}
	l->klen = klen;
	l->db = db;
	l->toklen = toklen;
	l->fence = g->fence;
	store_account(store, lock_bytes(l), 0);
	nlocks++;
	stats.grants++; /* it ends one way too: grants == held + ended stays true */
	return 0;
}

const struct grant_kind lock_kind = {
	.name = "lock",
	.can_grant = lock_can_grant,
	.grant = lock_grant,
	.next_expiry = lock_next_expiry,
};

void lock_entry_gone(struct sentry *e, enum store_reason why)
{
	struct lock *l = lock_of(e);

	if (why == STORE_DEL_EXPIRED)
		stats.expired++;
	else if (why != STORE_DEL_RELEASED)
		stats.forced++;
	if (l->h.owner)
		LIST_REMOVE(l, owned);
	store_account(store, 0, lock_bytes(l));
	nlocks--;
	lock_free(l);
}

void lock_conn_gone(struct conn *c)
{
	struct lock *l;

	while ((l = LIST_FIRST(&c->locks))) {
		/* An expired entry goes through the hook inside store_peek and
		 * is counted there as expired; a live one is ours to release. */
		struct sentry *e = store_peek(store, l->db, l->key, l->klen);

		if (e) {
			stats.session_releases++;
			/* The hook unlinks l from c->locks and frees it. */
			store_delete_entry(store, l->db, e, STORE_DEL_RELEASED);
		}
		if (LIST_FIRST(&c->locks) == l) {
			log_warning("%s:%d: a held lock is missing from the keyspace", __FILE__,
				    __LINE__);
			abort();
		}
	}
}

size_t lock_held_by(const struct conn *c)
{
	size_t n = 0;
	const struct lock *l;

	LIST_FOREACH(l, &c->locks, owned)
		n++;
	return n;
}

size_t lock_count(void)
{
	return nlocks;
}

const struct lock_stats *lock_stats(void)
{
	return &stats;
}

struct lock_stats *lock_stats_mut(void)
{
	return &stats;
}
