/* waitq.c - FIFO wait queues keyed by (database, key).
 *
 * Queues exist only while someone waits. A queue is "ready" when its key
 * may have become free (deleted, expired, a slot given back, the head left);
 * waitq_run then grants heads in order until one cannot be granted. While
 * a head waits on a key with a TTL, a timer fires at that TTL so expiry
 * wakes it on time instead of at the next sweep.
 */
#include "waitq.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conn.h"
#include "lock.h"
#include "log.h"
#include "server.h"
#include "store.h"

static int add_failed;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (add_failed = 1)
#include <uthash.h>

struct waitq {
	char *hkey;		/* owned: one byte of db, then the key */
	size_t hlen;
	struct waiter *head, *tail;
	size_t n;
	bool ready;
	struct waitq *ready_next;
	struct event *expiry;	/* wakes the queue when the blocking key's TTL ends */
	UT_hash_handle hh;
};

static struct waitq *queues;
static struct waitq *ready_list;
static size_t total_waiting;
static struct waitq_stats stats;

static const char *q_key(const struct waitq *q, size_t *klen)
{
	*klen = q->hlen - 1;
	return q->hkey + 1;
}

static int q_db(const struct waitq *q)
{
	return (unsigned char)q->hkey[0];
}

static struct waitq *q_find(int db, const char *key, size_t klen)
{
	char stackbuf[256];
	char *hk = klen + 1 <= sizeof stackbuf ? stackbuf : malloc(klen + 1);
	struct waitq *q = NULL;

	if (!queues || !hk) {
		if (hk != stackbuf)
			free(hk);
		return NULL;
	}
	hk[0] = (char)db;
	memcpy(hk + 1, key, klen);
	HASH_FIND(hh, queues, hk, klen + 1, q);
	if (hk != stackbuf)
		free(hk);
	return q;
}

static void q_free(struct waitq *q)
{
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
	q->ready_next = ready_list;
	ready_list = q;
}

static void q_expiry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	q_mark_ready(arg);
	waitq_run();
}

static void q_unlink(struct waiter *w)
{
	struct waitq *q = w->q;

	if (w->prev)
		w->prev->next = w->next;
	else
		q->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		q->tail = w->prev;
	q->n--;
	total_waiting--;
}

/* Takes w off its queue and unblocks its client, whose queued commands
 * then run. The queue is marked so the new head gets its chance. */
static void waiter_finish(struct waiter *w)
{
	struct conn *c = w->c;

	q_unlink(w);
	q_mark_ready(w->q);
	if (w->timer)
		event_free(w->timer);
	free(w->token);
	free(w);
	c->waiting = NULL;
	c->flags &= ~CONN_BLOCKED;
	if (!(c->flags & CONN_CLOSING)) {
		conn_schedule(c);
		conn_flush(c);
	}
}

static void waiter_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct waiter *w = arg;

	(void)fd;
	(void)what;
	stats.timeouts++;
	reply_errorf(w->c, "TIMEOUT no grant within %lld ms",
		     (long long)(clock_ms() - w->since_ms));
	waiter_finish(w);
	waitq_run();
}

int waitq_add(const struct waiter *tmpl, int db, const char *key, size_t klen, int64_t wait_ms)
{
	struct waitq *q = q_find(db, key, klen);
	struct waiter *w;
	bool fresh = false;

	if (q && q->n >= server.cfg.lock_max_waiters)
		return -1;
	w = malloc(sizeof *w);
	if (!w)
		return -1;
	*w = *tmpl;
	w->prev = w->next = NULL;
	w->timer = NULL;
	w->since_ms = clock_ms();
	if (wait_ms > 0) {
		struct timeval tv = {wait_ms / 1000, (wait_ms % 1000) * 1000};

		/* libevent times a new timer from the loop turn's cached clock,
		 * which may be a little old: a WAIT must never end early. */
		event_base_update_cache_time(server.base);
		w->timer = evtimer_new(server.base, waiter_timeout_cb, w);
		if (!w->timer || evtimer_add(w->timer, &tv) != 0)
			goto fail;
	}
	if (!q) {
		q = calloc(1, sizeof *q);
		if (!q || !(q->hkey = malloc(klen + 1)))
			goto fail_q;
		q->hkey[0] = (char)db;
		memcpy(q->hkey + 1, key, klen);
		q->hlen = klen + 1;
		q->expiry = evtimer_new(server.base, q_expiry_cb, q);
		if (!q->expiry)
			goto fail_q;
		add_failed = 0;
		HASH_ADD_KEYPTR(hh, queues, q->hkey, q->hlen, q);
		if (add_failed)
			goto fail_q;
		fresh = true;
	}
	w->q = q;
	w->prev = q->tail;
	if (q->tail)
		q->tail->next = w;
	else
		q->head = w;
	q->tail = w;
	q->n++;
	total_waiting++;
	stats.waits++;
	w->c->waiting = w;
	w->c->flags |= CONN_BLOCKED;
	/* Arm the TTL timer of the key it waits on. */
	if (fresh || q->n == 1)
		q_mark_ready(q);
	return 0;

fail_q:
	if (q) {
		if (q->expiry)
			event_free(q->expiry);
		free(q->hkey);
		free(q);
	}
fail:
	if (w->timer)
		event_free(w->timer);
	free(w);
	return -1;
}

bool waitq_has_waiters(int db, const char *key, size_t klen)
{
	struct waitq *q = q_find(db, key, klen);

	return q && q->n > 0;
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
 * error and removed), false when it must keep waiting. */
static bool q_grant_head(struct waitq *q)
{
	struct waiter *w = q->head;
	size_t klen;
	const char *key = q_key(q, &klen);
	int db = q_db(q);

	if (w->kind == WAIT_LOCK) {
		if (store_find_write(server.store, db, key, klen))
			return false;
		lock_grant(w, db, key, klen);
	} else {
		bool other = false;
		struct pool *p = pool_find(db, key, klen, &other);

		if (other || (p && (long long)p->n >= w->max))
			return false;
		pool_grant(w, db, key, klen);
	}
	waiter_finish(w);
	return true;
}

/* Sets the queue's timer to the moment the key blocking its head may go. */
static void q_arm_expiry(struct waitq *q)
{
	size_t klen;
	const char *key = q_key(q, &klen);
	struct sentry *e = store_peek(server.store, q_db(q), key, klen);
	int64_t at = STORE_NO_EXPIRE, delay;
	struct timeval tv;

	if (e && e->type == STORE_POOL)
		at = pool_next_expiry(q_db(q), key, klen);
	else if (e)
		at = sentry_expire(e);
	if (at == STORE_NO_EXPIRE) {
		event_del(q->expiry);
		return;
	}
	delay = at - clock_ms();
	if (delay < 1)
		delay = 1;
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	evtimer_add(q->expiry, &tv);
}

void waitq_run(void)
{
	static bool running;

	if (running)
		return;
	running = true;
	while (ready_list) {
		struct waitq *q = ready_list;

		ready_list = q->ready_next;
		q->ready = false;
		while (q->head && q_grant_head(q))
			;
		if (q->n == 0) {
			if (q->ready) {
				/* Marked again while granting: drop it from the list. */
				struct waitq **pp = &ready_list;

				while (*pp != q)
					pp = &(*pp)->ready_next;
				*pp = q->ready_next;
			}
			q_free(q);
		} else {
			q_arm_expiry(q);
		}
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

void waitq_shutdown(void)
{
	struct waitq *q, *tmp;

	HASH_ITER(hh, queues, q, tmp) {
		while (q->head) {
			reply_error(q->head->c, "SHUTDOWN the server is shutting down");
			waiter_finish(q->head);
		}
	}
	ready_list = NULL;
	HASH_ITER(hh, queues, q, tmp)
		q_free(q);
}

void waitq_free(void)
{
	struct waitq *q, *tmp;

	HASH_ITER(hh, queues, q, tmp) {
		while (q->head) {
			struct waiter *w = q->head;

			q_unlink(w);
			w->c->waiting = NULL;
			if (w->timer)
				event_free(w->timer);
			free(w->token);
			free(w);
		}
		q_free(q);
	}
	ready_list = NULL;
}

size_t waitq_waiting(void)
{
	return total_waiting;
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
