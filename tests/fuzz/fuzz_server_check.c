/* fuzz_server_check.c - the invariants fuzz_server checks at every quiet
 * point, read from the daemon's own structures without changing them.
 *
 * The keyspace: every lock and pool entry's owner is a live client that
 * lists it, counts and INFO's grant accounting agree, used memory covers
 * what is allocated. The clients: blocked exactly when waiting, each
 * queue's links visit exactly its waiters, a head waits only on a key that
 * is really taken (else a wake-up was lost), one reply per command. Between
 * two quiet points: grants on a key go in queue order, to waiters ahead of
 * the first that still waits, and nobody barges in.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "clock.h"
#include "lock.h"
#include "pool.h"
#include "server.h"
#include "store.h"
#include "waitq.h"

#include "fuzz_server.h"

#define HOLDS_MAX 64 /* fences remembered per waited-on key */

enum wait_end { W_PERSIST, W_GRANT, W_ENDED, W_UNKNOWN };

struct conn *conn_by_id(uint64_t id)
{
	struct conn *c;

	LIST_FOREACH(c, &server.clients, link)
		if (c->id == id)
			return c;
	return NULL;
}

/* ---- state checks ------------------------------------------------------- */

struct entry_at {
	int db;
	struct sentry *e;
};

static struct entry_at *ents;
static size_t nents, ents_cap;

static void collect_cb(void *ctx, struct sentry *e)
{
	int db = *(int *)ctx;

	if (nents == ents_cap) {
		ents_cap = ents_cap ? 2 * ents_cap : 64;
		ents = realloc(ents, ents_cap * sizeof *ents);
		CHECK(ents != NULL);
	}
	ents[nents++] = (struct entry_at){db, e};
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry_at *x = a, *y = b;

	return x->e < y->e ? -1 : x->e > y->e;
}

/* Every entry once (SCAN may repeat some across a resize). With expired,
 * the clock is stepped back for the scan so expired entries not yet
 * collected show too: SCAN modifies nothing either way. */
static void scan_all(bool expired)
{
	size_t out = 0;

	nents = 0;
	if (expired)
		clock_fake_set(0, now_wall_ms);
	for (int db = 0; db < STORE_DBS; db++) {
		uint64_t cursor = 0;

		do
			cursor = store_scan(server.store, db, cursor, 1024, collect_cb, &db);
		while (cursor != 0);
	}
	clock_fake_set(now_ms, now_wall_ms);
	if (nents > 1)
		qsort(ents, nents, sizeof *ents, entry_cmp);
	for (size_t i = 0; i < nents; i++)
		if (out == 0 || ents[out - 1].e != ents[i].e)
			ents[out++] = ents[i];
	nents = out;
}

static struct sentry *live_entry(int db, const char *key, size_t klen)
{
	for (size_t i = 0; i < nents; i++)
		if (ents[i].db == db && ents[i].e->klen == klen &&
		    memcmp(sentry_key(ents[i].e), key, klen) == 0)
			return ents[i].e;
	return NULL;
}

static struct pool *pool_at(struct sentry *e)
{
	struct pool *p;

	memcpy(&p, sentry_value(e), sizeof p);
	return p;
}

/* A session-bound holder is a live client that lists the grant. */
static void check_holder(const struct holder *h, const void *grant, bool is_lock)
{
	struct conn *c;
	bool listed = false;

	if (!h->owner)
		return; /* DETACHed */
	LIST_FOREACH(c, &server.clients, link)
		if (c == h->owner)
			break;
	CHECK(c != NULL);
	CHECK(c->id == h->client_id);
	if (is_lock) {
		const struct lock_hold *l;

		LIST_FOREACH(l, &c->locks, owned)
			listed |= l == grant;
	} else {
		const struct slot *s;

		LIST_FOREACH(s, &c->slots, owned)
			listed |= s == grant;
	}
	CHECK(listed);
}

/* Holders, lists, counts, accounting and memory, from every entry. */
static void check_keyspace(void)
{
	const struct lock_stats *ls = lock_stats();
	const struct pool_stats *ps = pool_stats();
	size_t nlocks = 0, npools = 0, nslots = 0, bytes = 0, used;
	struct conn *c;

	scan_all(true);
	for (size_t i = 0; i < nents; i++) {
		struct sentry *e = ents[i].e;

		bytes += malloc_usable_size(e);
		if (e->type == STORE_LOCK) {
			const struct lock *l = lock_of(e);
			const struct lock_hold *h;
			size_t n = 0;

			CHECK(l->db == ents[i].db && l->klen == e->klen);
			CHECK(memcmp(l->key, sentry_key(e), e->klen) == 0);
			TAILQ_FOREACH(h, &l->holds, in_lock) {
				CHECK(h->lock == l);
				check_holder(&h->h, h, true);
				bytes += malloc_usable_size((void *)h) + malloc_usable_size(h->token);
				n++;
			}
			/* An exclusive lock is one hold; a shared one, its readers. */
			CHECK(n == l->n && n > 0 && (l->shared || n == 1));
			bytes += malloc_usable_size((void *)l) + malloc_usable_size(l->key);
			nlocks += n;
		} else if (e->type == STORE_POOL) {
			struct pool *p = pool_at(e);
			const struct slot *s;
			size_t n = 0;

			CHECK(p->db == ents[i].db && p->klen == e->klen);
			CHECK(memcmp(p->key, sentry_key(e), e->klen) == 0);
			LIST_FOREACH(s, &p->slots, in_pool) {
				CHECK(s->pool == p);
				check_holder(&s->h, s, false);
				bytes += malloc_usable_size((void *)s);
				n++;
			}
			CHECK(n == p->n && n > 0);
			bytes += malloc_usable_size(p) + malloc_usable_size(p->key);
			npools++;
			nslots += n;
		}
	}
	CHECK(nlocks == lock_count());
	CHECK(npools == pool_count());
	CHECK(nslots == pool_slot_count());
	CHECK(ls->grants ==
	      lock_count() + ls->releases + ls->session_releases + ls->expired + ls->forced);
	CHECK(ps->grants ==
	      pool_slot_count() + ps->releases + ps->session_releases + ps->expired + ps->forced);
	used = store_used_memory(server.store);
	CHECK(used >= bytes && used < ((size_t)1 << 40));

	/* From the clients' side: what each lists is its own and in the keyspace. */
	LIST_FOREACH(c, &server.clients, link) {
		const struct lock_hold *l;
		const struct slot *s;

		LIST_FOREACH(l, &c->locks, owned) {
			struct sentry *e = live_entry(l->lock->db, l->lock->key, l->lock->klen);

			CHECK(l->h.owner == c && e && e->type == STORE_LOCK && lock_of(e) == l->lock);
		}
		LIST_FOREACH(s, &c->slots, owned) {
			struct sentry *e = live_entry(s->pool->db, s->pool->key, s->pool->klen);

			CHECK(s->h.owner == c && e && e->type == STORE_POOL &&
			      pool_at(e) == s->pool);
		}
	}
}

/* ---- wait queues and FIFO order ----------------------------------------- */

struct qsnap {
	int db;
	char *key; /* owned */
	size_t klen;
	int n;
	struct {
		int slot;
		uint64_t id;
	} w[NCLIENTS]; /* queue order */
	const struct waiter *head;
	uint64_t fences[HOLDS_MAX]; /* of the grants held on the key */
	int nfences;		    /* -1: too many to remember */
};

struct snap {
	struct qsnap q[NCLIENTS];
	int nq;
	bool valid;
};

static struct snap prev, cur;

static void snap_clear(struct snap *s)
{
	for (int i = 0; i < s->nq; i++)
		free(s->q[i].key);
	s->nq = 0;
	s->valid = false;
}

static int slot_of(uint64_t id)
{
	for (int i = 0; i < NCLIENTS; i++)
		if (cl[i].id == id)
			return i;
	return -1;
}

static void hold_fences(struct qsnap *q)
{
	struct sentry *e = live_entry(q->db, q->key, q->klen);
	const struct slot *s;

	q->nfences = 0;
	if (!e || e->type == STORE_STRING)
		return;
	if (e->type == STORE_LOCK) {
		const struct lock_hold *h;

		TAILQ_FOREACH(h, &lock_of(e)->holds, in_lock) {
			if (q->nfences == HOLDS_MAX) {
				q->nfences = -1;
				return;
			}
			q->fences[q->nfences++] = h->fence;
		}
		return;
	}
	LIST_FOREACH(s, &pool_at(e)->slots, in_pool) {
		if (q->nfences == HOLDS_MAX) {
			q->nfences = -1;
			return;
		}
		q->fences[q->nfences++] = s->fence;
	}
}

/* A head still waiting must have cause to: its key is held (a pool: by at
 * least max live slots). Anything else is a lost wake-up. */
static void check_head_blocked(const struct qsnap *q)
{
	const struct waiter *h = q->head;
	struct sentry *e = live_entry(q->db, q->key, q->klen);

	CHECK(e != NULL);
	if (h->req.kind == &pool_kind && e->type == STORE_POOL) {
		const struct slot *s;
		long long live = 0;

		LIST_FOREACH(s, &pool_at(e)->slots, in_pool)
			live += s->expire == STORE_NO_EXPIRE || s->expire > now_ms;
		CHECK(live >= h->req.max);
	}
}

/* Rebuilds the queues from the blocked clients: each waiter's client
 * points back at it, and following the queue links from the head visits
 * exactly the waiters that share its queue. */
static void snap_take(struct snap *s)
{
	const struct waiter *ws[NCLIENTS];
	struct conn *c;
	size_t nw = 0;

	snap_clear(s);
	LIST_FOREACH(c, &server.clients, link) {
		CHECK(!(c->flags & CONN_CLOSING));
		CHECK(!!(c->flags & CONN_BLOCKED) == (c->waiting != NULL));
		if (!c->waiting)
			continue;
		CHECK(c->waiting->req.c == c && nw < NCLIENTS);
		ws[nw++] = c->waiting;
	}
	CHECK(nw == waitq_waiting());
	scan_all(false);
	for (size_t i = 0; i < nw; i++) {
		const struct waiter *w = ws[i];
		struct qsnap *q;
		bool is_head = true;
		size_t klen;
		const char *key;

		for (size_t j = 0; j < nw; j++)
			is_head &= TAILQ_NEXT(ws[j], link) != w;
		if (!is_head)
			continue;
		CHECK(s->nq < NCLIENTS);
		q = &s->q[s->nq++];
		key = waitq_key_of(w->req.c, &klen);
		q->db = w->req.c->db;
		q->key = malloc(klen ? klen : 1);
		CHECK(q->key != NULL);
		memcpy(q->key, key, klen);
		q->klen = klen;
		q->head = w;
		q->n = 0;
		for (const struct waiter *x = w; x; x = TAILQ_NEXT(x, link)) {
			size_t xlen;
			const char *xkey = waitq_key_of(x->req.c, &xlen);

			CHECK(x->q == w->q && q->n < NCLIENTS);
			CHECK(x->req.c->db == q->db && xlen == klen && memcmp(xkey, key, klen) == 0);
			q->w[q->n].slot = slot_of(x->req.c->id);
			q->w[q->n].id = x->req.c->id;
			CHECK(q->w[q->n].slot >= 0);
			q->n++;
		}
		CHECK((size_t)q->n == waitq_count(q->db, key, klen));
		hold_fences(q);
		check_head_blocked(q);
	}
	{
		int total = 0;

		for (int i = 0; i < s->nq; i++)
			total += s->q[i].n;
		CHECK((size_t)total == nw);
	}
	s->valid = true;
}

static const struct qsnap *snap_find(const struct snap *s, int db, const char *key,
				     size_t klen)
{
	for (int i = 0; i < s->nq; i++)
		if (s->q[i].db == db && s->q[i].klen == klen && memcmp(s->q[i].key, key, klen) == 0)
			return &s->q[i];
	return NULL;
}

/* How a waiter of the previous quiet point fared since. A blocked client
 * gets no reply until its wait ends, so no reply means it still waits. */
static enum wait_end how_wait_ended(int slot, uint64_t id)
{
	const struct client *k = &cl[slot];

	if (k->uncertain || k->id != id)
		return W_UNKNOWN;
	if (k->replies_since > 0)
		return k->first_is_grant ? W_GRANT : W_ENDED;
	return conn_by_id(id) ? W_PERSIST : W_ENDED;
}

static bool fence_known(const struct qsnap *q, uint64_t fence)
{
	for (int i = 0; i < q->nfences; i++)
		if (q->fences[i] == fence)
			return true;
	return false;
}

/* The grants on a key since the previous quiet point went to the waiters
 * ahead of the first one still waiting, in queue order. */
static void check_fifo(const struct qsnap *p)
{
	const struct qsnap *q = snap_find(&cur, p->db, p->key, p->klen);
	enum wait_end end[NCLIENTS];
	int first_waiting = p->n, seen = 0;
	uint64_t last_fence = 0;
	struct sentry *e;

	for (int j = 0; j < p->n; j++) {
		end[j] = how_wait_ended(p->w[j].slot, p->w[j].id);
		if (end[j] == W_PERSIST && first_waiting == p->n)
			first_waiting = j;
		if (end[j] == W_GRANT) {
			CHECK(j < first_waiting);
			CHECK(cl[p->w[j].slot].first_fence > last_fence);
			last_fence = cl[p->w[j].slot].first_fence;
		}
	}
	if (first_waiting == p->n)
		return;
	/* Those still waiting lead the queue now, in their order. */
	CHECK(q != NULL);
	for (int j = 0; j < q->n; j++) {
		if (cl[q->w[j].slot].uncertain)
			continue;
		while (seen < p->n && end[seen] != W_PERSIST)
			seen++;
		if (seen == p->n)
			break;
		CHECK(q->w[j].id == p->w[seen].id);
		seen++;
	}
	while (seen < p->n && end[seen] != W_PERSIST)
		seen++;
	CHECK(seen == p->n);
	/* Nobody barged in: every new grant on the key is theirs. */
	if (p->nfences < 0 || !(e = live_entry(p->db, p->key, p->klen)) ||
	    e->type == STORE_STRING)
		return;
	if (e->type == STORE_LOCK) {
		const struct lock_hold *h;

		TAILQ_FOREACH(h, &lock_of(e)->holds, in_lock) {
			bool ahead = false;

			for (int j = 0; j < first_waiting; j++)
				ahead |= p->w[j].id == h->h.client_id;
			CHECK(fence_known(p, h->fence) || ahead);
		}
	} else {
		const struct slot *s;

		LIST_FOREACH(s, &pool_at(e)->slots, in_pool) {
			bool ahead = false;

			for (int j = 0; j < first_waiting; j++)
				ahead |= p->w[j].id == s->h.client_id;
			CHECK(fence_known(p, s->fence) || ahead);
		}
	}
}

/* One reply per command: a client that is not blocked, whose bytes the
 * daemon has all read, has had every complete command answered. */
static void check_replies(void)
{
	for (int i = 0; i < NCLIENTS; i++) {
		const struct client *k = &cl[i];
		struct conn *c = k->fd >= 0 ? conn_by_id(k->id) : NULL;

		if (!c || k->mirror_off || k->stalled || c->waiting ||
		    (c->flags & CONN_CLOSE_AFTER_REPLY) || k->rd.buf.len > k->rd.pos)
			continue;
		CHECK(k->replies == k->cmds);
	}
}

/* At a quiet point: everything above, then this point becomes "previous". */
void check_quiet(void)
{
	struct snap t;

	check_keyspace();
	snap_take(&cur);
	check_replies();
	if (prev.valid)
		for (int i = 0; i < prev.nq; i++)
			check_fifo(&prev.q[i]);
	t = prev;
	prev = cur;
	cur = t;
	snap_clear(&cur);
	for (int i = 0; i < NCLIENTS; i++) {
		cl[i].replies_since = 0;
		cl[i].uncertain = cl[i].stalled || cl[i].fd < 0;
	}
}

void check_reset(void)
{
	snap_clear(&prev);
	snap_clear(&cur);
}
