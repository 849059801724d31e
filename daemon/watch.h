/* watch.h - WATCH: which clients watch which (database, key), and marking
 * them CONN_DIRTY_CAS when the keyspace changes one of those keys.
 *
 * The store reports every change through its touch hook (watch_touch_cb);
 * MULTI, EXEC and the commands are cmd_multi.c's.
 */
#ifndef CACHIFY_WATCH_H
#define CACHIFY_WATCH_H

#include <stddef.h>
#include <sys/queue.h>

struct conn;
struct watch_key;

/* One client watching one key: on the key's list and on the client's. */
struct watch {
	struct watch_key *wk;
	struct conn *c;
	LIST_ENTRY(watch) by_key;
	LIST_ENTRY(watch) by_conn; /* c->watches */
};

/* The store's touch hook (store_set_touch_hook; ctx is the store): marks
 * every client watching (db, key) dirty; with key NULL (a flush, called
 * before it), every client watching a key of db that exists now, as Redis
 * does. A counter check and nothing else while nobody watches. */
void watch_touch_cb(void *ctx, int db, const void *key, size_t klen);

/* c watches key (copied) in database db; watching it twice is once.
 * 0, or -1 when out of memory. */
int watch_key(struct conn *c, int db, const void *key, size_t klen);
/* c stops watching everything (UNWATCH, EXEC, DISCARD, RESET, close). */
void watch_unwatch_all(struct conn *c);
/* Calls fn(ctx, db, key, klen) for each key c watches; fn must not change
 * what c watches. */
typedef void watch_key_fn(void *ctx, int db, const char *key, size_t klen);
void watch_each(struct conn *c, watch_key_fn *fn, void *ctx);

/* Distinct keys watched by anyone (INFO, tests). */
size_t watch_count(void);

#endif /* CACHIFY_WATCH_H */
