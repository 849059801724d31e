/* block.c - queues of clients blocked on keys (see block.h).
 *
 * One queue per (database, key) someone is blocked on, holding one link per
 * blocked client in arrival order; a client blocked on n keys has n links.
 * Queues exist only while someone waits, so a touch of any other key costs
 * one failed lookup, and nothing at all when no client is blocked.
 */
#include "block.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "client.h"
#include "dbkey.h"
#include "reply.h"
#include "resp.h"
#include "store.h"

static int add_failed;
#define HASH_NONFATAL_OOM        1
#define uthash_nonfatal_oom(obj) (add_failed = 1)
#include <uthash.h>

struct bqueue;

/* One client's place in one key's queue. */
struct blink {
	struct blocked *b;
	struct bqueue *q;
	TAILQ_ENTRY(blink) link;
};

struct blocked {
	struct conn *c;
	const struct block_kind *kind;
	void *state;
	int db;
	int nlinks;
	struct blink *links; /* nlinks, one per distinct key */
	struct event *timer; /* NULL when it waits forever */
};

struct bqueue {
	char *hkey; /* owned: one byte of db, then the key */
	size_t hlen;
	TAILQ_HEAD(, blink) links;
	size_t n;
	bool ready;
	STAILQ_ENTRY(bqueue) ready_link;
	UT_hash_handle hh;
};

static struct event_base *base;
static struct bqueue *queues;
static STAILQ_HEAD(, bqueue) ready_list = STAILQ_HEAD_INITIALIZER(ready_list);
static size_t nblocked, nqueues;
static struct bqueue *serving;     /* the queue block_run walks: kept alive */
static struct bqueue *serving_key; /* the one a client is served from: likewise */

void block_init(struct event_base *b)
{
	base = b;
}

struct conn *block_conn(const struct blocked *b)
{
	return b->c;
}

void *block_state(const struct blocked *b)
{
	return b->state;
}

static struct bqueue *q_find(int db, const char *key, size_t klen)
{
	struct bqueue *q = NULL;
	struct dbkey k;

	if (!queues || dbkey_make(&k, db, key, klen) != 0)
		return NULL;
	HASH_FIND(hh, queues, k.p, k.len, q);
	dbkey_done(&k);
	return q;
}

static struct bqueue *q_new(int db, const char *key, size_t klen)
{
	struct bqueue *q = calloc(1, sizeof *q);

	if (!q || !(q->hkey = dbkey_dup(db, key, klen))) {
		free(q);
		return NULL;
	}
	q->hlen = klen + 1;
	TAILQ_INIT(&q->links);
	add_failed = 0;
	HASH_ADD_KEYPTR(hh, queues, q->hkey, q->hlen, q);
	if (add_failed) {
		free(q->hkey);
		free(q);
		return NULL;
	}
	nqueues++;
	return q;
}

static void q_free(struct bqueue *q)
{
	if (q->ready)
		STAILQ_REMOVE(&ready_list, q, bqueue, ready_link);
	HASH_DEL(queues, q);
	nqueues--;
	free(q->hkey);
	free(q);
}

static void q_mark_ready(struct bqueue *q)
{
	if (q->ready)
		return;
	q->ready = true;
	STAILQ_INSERT_TAIL(&ready_list, q, ready_link);
}

/* Takes b off its queues and frees it (not its kind's state); its
 * client is no longer blocked. */
static void blocked_unlink(struct blocked *b)
{
	struct conn *c = b->c;

	for (int i = 0; i < b->nlinks; i++) {
		struct bqueue *q = b->links[i].q;

		TAILQ_REMOVE(&q->links, &b->links[i], link);
		if (--q->n == 0 && q != serving && q != serving_key)
			q_free(q);
	}
	if (b->timer)
		event_free(b->timer);
	free(b->links);
	free(b);
	nblocked--;
	c->blocked = NULL;
	c->flags &= ~CONN_BLOCKED;
}

/* b was answered (or its client is gone): free it all, and let its client
 * run its queued input again (unless it is going away). */
static void blocked_finish(struct blocked *b)
{
	struct conn *c = b->c;

	if (b->kind->free)
		b->kind->free(b->state);
	blocked_unlink(b);
	if (!(c->flags & CONN_CLOSING))
		client_wake(c);
}

static void blocked_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct blocked *b = arg;

	(void)fd;
	(void)what;
	b->kind->timeout(b);
	blocked_finish(b);
}

/* Links b into the queue of (db, key) unless an earlier key was the same. */
static int blocked_link(struct blocked *b, int db, const struct resp_arg *key)
{
	struct bqueue *q = q_find(db, key->ptr, key->len);
	struct blink *l = &b->links[b->nlinks];

	for (int i = 0; q && i < b->nlinks; i++)
		if (b->links[i].q == q)
			return 0;
	if (!q && !(q = q_new(db, key->ptr, key->len)))
		return -1;
	l->b = b;
	l->q = q;
	TAILQ_INSERT_TAIL(&q->links, l, link);
	q->n++;
	b->nlinks++;
	return 0;
}

int block_add(struct conn *c, const struct block_kind *kind, void *state, int db,
              const struct resp_arg *keys, int nkeys, int64_t timeout_ms)
{
	struct blocked *b = calloc(1, sizeof *b);

	if (!b || !(b->links = calloc((size_t)nkeys, sizeof *b->links)))
		goto fail;
	b->c = c;
	b->kind = kind;
	b->state = state;
	b->db = db;
	if (timeout_ms > 0) {
		struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};

		/* The loop's cached clock may be a little old: never end early. */
		event_base_update_cache_time(base);
		if (!(b->timer = evtimer_new(base, blocked_timeout_cb, b)) ||
		    evtimer_add(b->timer, &tv) != 0)
			goto fail;
	}
	nblocked++;
	c->blocked = b;
	c->flags |= CONN_BLOCKED;
	for (int i = 0; i < nkeys; i++) {
		if (blocked_link(b, db, &keys[i]) != 0) {
			blocked_unlink(b); /* the caller replies the error */
			goto fail_state;
		}
	}
	return 0;
fail:
	if (b) {
		if (b->timer)
			event_free(b->timer);
		free(b->links);
		free(b);
	}
fail_state:
	if (kind->free)
		kind->free(state);
	return -1;
}

void block_touch(int db, const void *key, size_t klen)
{
	struct bqueue *q, *tmp;

	if (!nblocked)
		return;
	if (key) {
		if ((q = q_find(db, key, klen)))
			q_mark_ready(q);
		return;
	}
	HASH_ITER(hh, queues, q, tmp)
	{
		if (dbkey_db(q->hkey) == db)
			q_mark_ready(q);
	}
}

/* b may be served: from the first of its keys, in the order it named
 * them, that is ready for it (Redis 7.2 runs the command again, which
 * looks at the keys in that order). false when none is. */
static bool blocked_try_serve(struct blocked *b)
{
	for (int i = 0; i < b->nlinks; i++) {
		struct bqueue *q = b->links[i].q;
		const char *key = q->hkey + 1;
		size_t klen = q->hlen - 1;

		if (b->kind->ready(b, b->db, key, klen)) {
			serving_key = q;
			b->kind->serve(b, b->db, key, klen);
			blocked_finish(b);
			serving_key = NULL;
			if (q != serving && q->n == 0)
				q_free(q);
			return true;
		}
	}
	return false;
}

void block_run(void)
{
	static bool running;
	struct bqueue *q;

	if (running)
		return;
	running = true;
	/* FIFO over the keys, in the order they became ready; on each, every
	 * client it is ready for, in the order they blocked (one that waits
	 * for another type stays, as in Redis). Serving b frees only b's
	 * links, so the next one stays valid. */
	while ((q = STAILQ_FIRST(&ready_list))) {
		struct blink *l, *next;

		STAILQ_REMOVE_HEAD(&ready_list, ready_link);
		q->ready = false;
		serving = q;
		for (l = TAILQ_FIRST(&q->links); l; l = next) {
			next = TAILQ_NEXT(l, link);
			blocked_try_serve(l->b);
		}
		serving = NULL;
		if (q->n == 0)
			q_free(q);
	}
	running = false;
}

void block_conn_gone(struct conn *c)
{
	if (c->blocked)
		blocked_finish(c->blocked);
}

bool block_unblock(struct conn *c, bool error)
{
	struct blocked *b = c->blocked;

	if (!b)
		return false;
	if (error)
		reply_error(c, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
	else
		b->kind->timeout(b);
	blocked_finish(b);
	return true;
}

/* Answers (or drops) every blocked client, a queue at a time: finishing
 * a client frees the other queues it emptied, so always take the first. */
static void block_drain(bool reply)
{
	struct bqueue *q;

	while ((q = queues)) {
		struct blink *l;

		serving = q;
		while ((l = TAILQ_FIRST(&q->links))) {
			struct blocked *b = l->b;

			if (reply) {
				reply_error(b->c, "SHUTDOWN the server is shutting down");
			} else {
				b->c->flags |= CONN_CLOSING; /* no wake-up: the loop is gone */
			}
			blocked_finish(b);
		}
		serving = NULL;
		q_free(q);
	}
}

void block_shutdown(void)
{
	block_drain(true);
}

void block_free(void)
{
	block_drain(false);
}

size_t block_clients(void)
{
	return nblocked;
}

size_t block_keys(void)
{
	return nqueues;
}

bool block_is_blocked(const struct conn *c)
{
	return c->blocked != NULL;
}
