/* waitq.h - server-side FIFO wait queues for locks and pool slots.
 *
 * One queue per (database, key) that someone waits on. The keyspace reports
 * every key that disappears (waitq_wake); the queue's head is then
 * granted in the same loop turn, in arrival order, without polling. What a
 * grant means (a lock, a slot) is left to lock.c and pool.c.
 */
#ifndef CACHIFY_WAITQ_H
#define CACHIFY_WAITQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct event;
struct waitq;

enum wait_kind {
	WAIT_LOCK,
	WAIT_POOL,
};

/* What a blocked client asked for; filled by the command, owned by the
 * queue once waitq_add succeeds. */
struct waiter {
	struct conn *c;
	struct waitq *q;
	struct waiter *prev, *next;
	enum wait_kind kind;
	int64_t ttl_ms;		/* PX of the grant, or -1 for none */
	long long max;		/* pool max-size */
	bool detach;		/* DETACH: the grant outlives the connection */
	char *token;		/* owned; LOCK TOKEN, NULL to generate one */
	size_t toklen;
	int64_t since_ms;	/* ms, monotonic: when it started waiting */
	struct event *timer;	/* WAIT deadline; NULL for WAIT 0 (forever) */
};

struct waitq_stats {
	uint64_t waits;		/* clients that started waiting */
	uint64_t timeouts;	/* waits that ended in -TIMEOUT */
	uint64_t gone;		/* waiters that disconnected while queued */
};

/* Frees every queue without replying (process exit). */
void waitq_free(void);

/* Queues c behind the other waiters of (db, key), waiting at most wait_ms
 * (0 = forever), and blocks c. w is copied; its token is taken. 0, or -1
 * when the queue is full (lock-max-waiters) or memory runs out: then
 * nothing changed and the caller still owns w's token. */
int waitq_add(const struct waiter *w, int db, const char *key, size_t klen, int64_t wait_ms);

/* True when someone waits on (db, key): a new acquirer must queue behind. */
bool waitq_has_waiters(int db, const char *key, size_t klen);
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
/* Shutdown: every waiter gets -SHUTDOWN and leaves its queue. */
void waitq_shutdown(void);

/* Total clients waiting, and the counters. */
size_t waitq_waiting(void);
const struct waitq_stats *waitq_stats(void);
/* The key c waits on, or NULL (for CLIENT LIST). */
const char *waitq_key_of(const struct conn *c, size_t *klen);

#endif /* CACHIFY_WAITQ_H */
