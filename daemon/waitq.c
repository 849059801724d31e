/* waitq.c - FIFO wait queues keyed by (database, key).
 *
 * Queues exist only while someone waits. A queue is "ready" when its key
 * may have become free (deleted, expired, a slot given back, the head left);
 * waitq_run then grants heads in order until one cannot be granted. While
 * a head waits, a timer fires when what blocks it may expire (its kind's
 * next_expiry), so expiry wakes it on time instead of at the next sweep.
 */
#include "waitq.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "clock.h"
#include "dbkey.h"
#include "entry.h"
#include "reply.h"
#include "store.h"

static int add_failed;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (add_failed = 1)
#include <uthash.h>


struct waitq {
	char *hkey;		/* owned: one byte of db, then the key */
	size_t hlen;
	TAILQ_HEAD(, waiter) waiters;
	size_t n;
	bool ready;
	SLIST_ENTRY(waitq) ready_link;
	struct event *expiry;	/* wakes the queue when what blocks its head may expire */
	UT_hash_handle hh;
};

static struct event_base *base;
static size_t max_waiters = SIZE_MAX;
static struct waitq *queues;
static SLIST_HEAD(, waitq) ready_list = SLIST_HEAD_INITIALIZER(ready_list);
static size_t total_waiting;
static size_t db_waiting[STORE_DBS]; /* waiters per database (SWAPDB) */
static struct waitq_stats stats;

void waitq_init(struct event_base *b)
{
	base = b;
}

void waitq_set_max_waiters(size_t n)
{
	max_waiters = n;
}

static const char *q_key(const struct waitq *q, size_t *klen)
{
	*klen = q->hlen - 1;
	return q->hkey + 1;
}

static int q_db(const struct waitq *q)
{
	return dbkey_db(q->hkey);
}

static struct waitq *q_find(int db, const char *key, size_t klen)
{
	struct waitq *q = NULL;
	struct dbkey k;

	if (!queues || dbkey_make(&k, db, key, klen) != 0)
		return NULL;
	HASH_FIND(hh, queues, k.p, k.len, q);
	dbkey_done(&k);
	return q;
}

static void q_free(struct waitq *q)
{
	if (q->ready)
		SLIST_REMOVE(&ready_list, q, waitq, ready_link);
	HASH_DEL(queues, q);
	if (q->expiry)
		event_free(q->expiry);
	free(q->hkey);
	free(q);
}

static void q_mark_ready(struct waitq *q)
{
	if (q->ready)
		return;
	q->ready = true;
	SLIST_INSERT_HEAD(&ready_list, q, ready_link);
}

static void q_expiry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	q_mark_ready(arg);
	waitq_run();
}

static void waiter_free(struct waiter *w)
{
	struct waitq *q = w->q;

	TAILQ_REMOVE(&q->waiters, w, link);
	q->n--;
	total_waiting--;
	db_waiting[q_db(q)]--;
	w->req.c->waiting = NULL;
	if (w->timer)
		event_free(w->timer);
	free(w->req.token);
	free(w);
}

/* Takes w off its queue and unblocks its client, whose queued commands
 * then run. The queue is marked so the new head gets its chance. */
static void waiter_finish(struct waiter *w)
{
	struct conn *c = w->req.c;

	q_mark_ready(w->q);
	waiter_free(w);
	c->flags &= ~CONN_BLOCKED;
	if (!(c->flags & CONN_CLOSING))
		client_wake(c);
}

static void waiter_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct waiter *w = arg;

	(void)fd;
	(void)what;
	stats.timeouts++;
	reply_errorf(w->req.c, "TIMEOUT no grant within %lld ms",
		     (long long)(clock_ms() - w->since_ms));
	waiter_finish(w);
	waitq_run();
}

static struct waitq *q_new(int db, const char *key, size_t klen)
{
	struct waitq *q = calloc(1, sizeof *q);

	if (!q || !(q->hkey = dbkey_dup(db, key, klen)))
		goto fail;
	q->hlen = klen + 1;
	TAILQ_INIT(&q->waiters);
	if (!(q->expiry = evtimer_new(base, q_expiry_cb, q)))
		goto fail;
	add_failed = 0;
	HASH_ADD_KEYPTR(hh, queues, q->hkey, q->hlen, q);
	if (add_failed)
		goto fail;
	return q;
fail:
	if (q) {
		if (q->expiry)
			event_free(q->expiry);
		free(q->hkey);
		free(q);
	}
	return NULL;
}

bool waitq_admits(const struct grant_req *r, int db, const char *key, size_t klen)
{
	struct waitq *q = q_find(db, key, klen);

	if (q && q->n > 0)
		return false;
	return r->kind->can_grant(r, db, key, klen);
}

int waitq_add(const struct grant_req *r, int db, const char *key, size_t klen, int64_t wait_ms)
{
	struct waitq *q = q_find(db, key, klen);
	struct waiter *w;

	if (q && q->n >= max_waiters)
		return -1;
	if (!(w = calloc(1, sizeof *w)))
		return -1;
	w->req = *r;
	w->since_ms = clock_ms();
	if (wait_ms > 0) {
		struct timeval tv = {wait_ms / 1000, (wait_ms % 1000) * 1000};

		/* libevent times a new timer from the loop turn's cached clock,
		 * which may be a little old: a WAIT must never end early. */
		event_base_update_cache_time(base);
		w->timer = evtimer_new(base, waiter_timeout_cb, w);
		if (!w->timer || evtimer_add(w->timer, &tv) != 0)
			goto fail;
	}
	if (!q && !(q = q_new(db, key, klen)))
		goto fail;
	w->q = q;
	TAILQ_INSERT_TAIL(&q->waiters, w, link);
	q->n++;
	total_waiting++;
	db_waiting[db]++;
	stats.waits++;
	r->c->waiting = w;
	r->c->flags |= CONN_BLOCKED;
	/* A new head: arm the timer of what blocks it. */
	if (q->n == 1)
		q_mark_ready(q);
	return 0;
fail:
	if (w->timer)
		event_free(w->timer);
	free(w);
	return -1;
}

size_t waitq_count(int db, const char *key, size_t klen)
{
	struct waitq *q = q_find(db, key, klen);

	return q ? q->n : 0;
}

void waitq_wake(int db, const char *key, size_t klen)
{
	struct waitq *q = q_find(db, key, klen);

	if (q)
		q_mark_ready(q);
}

/* Tries to grant q's head. true when it was granted (or answered with an
 * error) and left the queue, false when it must keep waiting. */
static bool q_grant_head(struct waitq *q)
{
	struct waiter *w = TAILQ_FIRST(&q->waiters);
	size_t klen;
	const char *key = q_key(q, &klen);

	if (!w->req.kind->can_grant(&w->req, q_db(q), key, klen))
		return false;
	w->req.kind->grant(&w->req, q_db(q), key, klen);
	waiter_finish(w);
	return true;
}

/* Sets the queue's timer to the moment what blocks its head may go. */
#define WAITQ_REARM_MAX_MS (24 * 3600 * 1000LL)

static void q_arm_expiry(struct waitq *q)
{
	const struct waiter *head = TAILQ_FIRST(&q->waiters);
	size_t klen;
	const char *key = q_key(q, &klen);
	int64_t at = head->req.kind->next_expiry(q_db(q), key, klen), delay;
	struct timeval tv;

	if (at == STORE_NO_EXPIRE) {
		event_del(q->expiry);
		return;
	}
	delay = at - clock_ms();
	if (delay < 1)
		delay = 1;
	/* A deadline years away: wake within a day and re-arm then, rather
	 * than hand libevent a time it would overflow. */
	if (delay > WAITQ_REARM_MAX_MS)
		delay = WAITQ_REARM_MAX_MS;
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(q->expiry, &tv);
}

void waitq_run(void)
{
	static bool running;
	struct waitq *q;

	if (running)
		return;
	running = true;
	while ((q = SLIST_FIRST(&ready_list))) {
		SLIST_REMOVE_HEAD(&ready_list, ready_link);
		q->ready = false;
		while (q->n > 0 && q_grant_head(q))
			;
		if (q->n == 0)
			q_free(q); /* also drops it if granting marked it again */
		else
			q_arm_expiry(q);
	}
	running = false;
}

void waitq_conn_gone(struct conn *c)
{
	if (!c->waiting)
		return;
	stats.gone++;
	waiter_finish(c->waiting);
}

bool waitq_unblock(struct conn *c, bool error)
{
	struct waiter *w = c->waiting;

	if (!w)
		return false;
	if (error) {
		reply_error(c, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
	} else {
		stats.timeouts++;
		reply_errorf(c, "TIMEOUT no grant within %lld ms",
			     (long long)(clock_ms() - w->since_ms));
	}
	waiter_finish(w);
	return true;
}

void waitq_shutdown(void)
{
	struct waitq *q, *tmp;

	HASH_ITER(hh, queues, q, tmp) {
		struct waiter *w;

		while ((w = TAILQ_FIRST(&q->waiters))) {
			reply_error(w->req.c, "SHUTDOWN the server is shutting down");
			waiter_finish(w);
		}
		q_free(q);
	}
}

void waitq_free(void)
{
	struct waitq *q, *tmp;

	HASH_ITER(hh, queues, q, tmp) {
		while (!TAILQ_EMPTY(&q->waiters))
			waiter_free(TAILQ_FIRST(&q->waiters));
		q_free(q);
	}
}

size_t waitq_waiting(void)
{
	return total_waiting;
}

size_t waitq_db_waiting(int db)
{
	return db_waiting[db];
}

const struct waitq_stats *waitq_stats(void)
{
	return &stats;
}

const char *waitq_key_of(const struct conn *c, size_t *klen)
{
	if (!c->waiting)
		return NULL;
	return q_key(c->waiting->q, klen);
}
