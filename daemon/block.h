/* block.h - clients blocked on keys until one of them holds data (BLPOP,
 * BRPOP, BLMOVE, BLMPOP; BZPOPMIN and friends plug in their own kind).
 *
 * A client blocks on one or more keys of its database with a struct
 * block_kind that says what "ready" means and how to serve it. Every key
 * change the keyspace reports (block_touch, from the store's touch hook)
 * marks the key's queue; block_run, called after each command (so after
 * a whole EXEC or script), serves each marked key's clients in the order
 * they blocked, for as long as the key stays ready for the head, as
 * Redis's handleClientsBlockedOnKeys does. Serving may make other keys
 * ready (BLMOVE's push): they are served in the same run. While blocked
 * the client's later input waits (CONN_BLOCKED, as lock waiters in
 * waitq.c); the lock and pool queues are waitq.c's, not these.
 */
#ifndef CACHIFY_BLOCK_H
#define CACHIFY_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct event_base;
struct blocked;
struct resp_arg;

struct block_kind {
	const char *name;
	/* Does (db, key) hold what b waits for? Must not change anything. */
	bool (*ready)(const struct blocked *b, int db, const char *key, size_t klen);
	/* Serves b from (db, key), which ready() allowed: pops, replies to
	 * block_conn(b), notifies. May change other keys. */
	void (*serve)(struct blocked *b, int db, const char *key, size_t klen);
	/* Replies what the command answers when its timeout passes. */
	void (*timeout)(struct blocked *b);
	/* Frees the kind's state (block_state(b)); may be NULL. */
	void (*free)(void *state);
};

/* Timers run on base. */
void block_init(struct event_base *base);

/* Blocks c on keys[0..nkeys) of db (duplicates count once) with kind and
 * state (taken: kind->free frees it, also when this fails), for at most
 * timeout_ms (0 = forever). 0, or -1 when out of memory (nothing blocked;
 * the caller replies). */
int block_add(struct conn *c, const struct block_kind *kind, void *state, int db,
              const struct resp_arg *keys, int nkeys, int64_t timeout_ms);

/* The client and the kind's state of a blocked client. */
struct conn *block_conn(const struct blocked *b);
void *block_state(const struct blocked *b);

/* (db, key) changed (key NULL: every key of db): its blocked clients get
 * their chance at the next block_run. Cheap when nobody is blocked. */
void block_touch(int db, const void *key, size_t klen);
/* Serves what can be served on the touched keys. */
void block_run(void);

/* c is going away: it leaves every queue, unanswered. */
void block_conn_gone(struct conn *c);
/* CLIENT UNBLOCK: answers c as its timeout would (error false) or with
 * -UNBLOCKED (error true). false when c is not blocked here. */
bool block_unblock(struct conn *c, bool error);
/* Shutdown: every blocked client gets -SHUTDOWN, as lock waiters do. */
void block_shutdown(void);
/* Frees everything without replying (process exit). */
void block_free(void);

/* INFO: clients blocked here, and keys with a queue (total_blocking_keys). */
size_t block_clients(void);
size_t block_keys(void);
bool block_is_blocked(const struct conn *c);

#endif /* CACHIFY_BLOCK_H */
