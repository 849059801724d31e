/* waitq.h - server-side FIFO wait queues for locks and pool slots.
 *
 * One queue per (database, key) that someone waits on. The keyspace reports
 * every key that disappears or changes (waitq_wake); the queue's head is
 * then granted in the same loop turn, in arrival order, without polling.
 * What a grant means is the request's grant_kind's business (lock.c,
 * pool.c): the queue knows no kind.
 */
#ifndef CACHIFY_WAITQ_H
#define CACHIFY_WAITQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "grant.h"

struct conn;
struct event;
struct event_base;
struct waitq;

/* A blocked client's request, owned by its queue. */
struct waiter {
	struct grant_req req;	/* its token is owned here */
	struct waitq *q;
	TAILQ_ENTRY(waiter) link;
	int64_t since_ms;	/* ms, monotonic: when it started waiting */
	struct event *timer;	/* WAIT deadline; NULL for WAIT 0 (forever) */
};

struct waitq_stats {
	uint64_t waits;		/* clients that started waiting */
	uint64_t timeouts;	/* waits that ended in -TIMEOUT */
	uint64_t gone;		/* waiters that disconnected while queued */
};

/* Timers run on base; queues hold at most max_waiters each. */
void waitq_init(struct event_base *base);
void waitq_set_max_waiters(size_t max_waiters);
/* Frees every queue without replying (process exit). */
void waitq_free(void);

/* The admission rule, for commands and queues alike: r may be granted on
 * (db, key) now when nobody waits there (FIFO: newcomers go behind) and
 * its kind can grant it. */
bool waitq_admits(const struct grant_req *r, int db, const char *key, size_t klen);

/* Queues r->c behind the other waiters of (db, key), waiting at most
 * wait_ms (0 = forever), and blocks it. r is copied and its token taken.
 * 0, or -1 when the queue is full (max_waiters) or memory runs out: then
 * nothing changed and the caller still owns r's token. */
int waitq_add(const struct grant_req *r, int db, const char *key, size_t klen, int64_t wait_ms);

size_t waitq_count(int db, const char *key, size_t klen);

/* (db, key) changed: it left the keyspace, a pool on it freed a slot, or
 * its TTL moved. Its queue's head may be granted now, or its wake-up timer
 * needs re-arming. Safe to call from the store's delete hook (it only marks
 * the queue; waitq_run does the work). */
void waitq_wake(int db, const char *key, size_t klen);
/* Grants what can be granted on the marked queues. Called after every
 * command and every event that may remove keys. */
void waitq_run(void);

/* The client is going away: it leaves its queue now. */
void waitq_conn_gone(struct conn *c);
/* CLIENT UNBLOCK: c's wait ends with -TIMEOUT (error false) or
 * -UNBLOCKED (error true). false when c is not waiting. */
bool waitq_unblock(struct conn *c, bool error);
/* Shutdown: every waiter gets -SHUTDOWN and leaves its queue. */
void waitq_shutdown(void);

/* Total clients waiting, and the counters. */
size_t waitq_waiting(void);
/* Clients waiting on keys of database db (0 <= db < STORE_DBS). */
size_t waitq_db_waiting(int db);
const struct waitq_stats *waitq_stats(void);
/* The key c waits on, or NULL (for CLIENT LIST). */
const char *waitq_key_of(const struct conn *c, size_t *klen);

#endif /* CACHIFY_WAITQ_H */
