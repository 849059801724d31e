/* watch.c - the watched keys: a hash of (database, key) -> the clients
 * watching it, and each client's list of its watches, so that a change
 * finds its watchers in one lookup and a client's close finds its keys.
 *
 * Only marks clients (CONN_DIRTY_CAS); what a dirty client's EXEC answers
 * is cmd_multi.c's.
 */
#include "watch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "dbkey.h"
#include "store.h"

static int add_failed;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (add_failed = 1)
#include <uthash.h>


/* One watched (database, key) and who watches it. */
struct watch_key {
	char *hkey; /* owned: one byte of db, then the key */
	size_t hlen;
	LIST_HEAD(, watch) watchers;
	UT_hash_handle hh;
};

static struct watch_key *keys;
static size_t nkeys;		   /* entries in keys */
static size_t ndb[STORE_DBS];	   /* of them, in each database */

/* The entry for (db, key), or NULL; *oom set when a long key could not be
 * built for the lookup. */
static struct watch_key *wk_find(int db, const void *key, size_t klen, bool *oom)
{
	struct watch_key *wk = NULL;
	struct dbkey k;

	*oom = dbkey_make(&k, db, key, klen) != 0;
	if (*oom)
		return NULL;
	HASH_FIND(hh, keys, k.p, k.len, wk);
	dbkey_done(&k);
	return wk;
}

static void wk_mark(struct watch_key *wk)
{
	struct watch *w;

	LIST_FOREACH(w, &wk->watchers, by_key)
		w->c->flags |= CONN_DIRTY_CAS;
}

/* Marks the watchers of db's keys that exist now (all of them when
 * exists_only is false). */
static void wk_mark_db(struct store *s, int db, bool exists_only)
{
	struct watch_key *wk, *tmp;

	HASH_ITER(hh, keys, wk, tmp) {
		if (dbkey_db(wk->hkey) == db &&
		    (!exists_only || store_peek_any(s, db, wk->hkey + 1, wk->hlen - 1)))
			wk_mark(wk);
	}
}

void watch_touch_cb(void *ctx, int db, const void *key, size_t klen)
{
	struct watch_key *wk;
	bool oom;

	if (nkeys == 0 || ndb[db] == 0)
		return;
	if (!key) {
		/* A flush changes only the watched keys it finds: watching a
		 * key that does not exist survives it, as in Redis. */
		wk_mark_db(ctx, db, true);
		return;
	}
	wk = wk_find(db, key, klen, &oom);
	if (wk)
		wk_mark(wk);
	else if (oom)
		wk_mark_db(ctx, db, false); /* cannot tell which: a failed EXEC is the safe side */
}

int watch_key(struct conn *c, int db, const void *key, size_t klen)
{
	struct watch_key *wk;
	struct watch *w;
	bool oom;

	if ((wk = wk_find(db, key, klen, &oom))) {
		LIST_FOREACH(w, &wk->watchers, by_key)
			if (w->c == c)
				return 0;
	} else {
		if (oom || !(wk = calloc(1, sizeof *wk)) || !(wk->hkey = dbkey_dup(db, key, klen))) {
			free(wk);
			return -1;
		}
		wk->hlen = klen + 1;
		LIST_INIT(&wk->watchers);
		add_failed = 0;
		HASH_ADD_KEYPTR(hh, keys, wk->hkey, wk->hlen, wk);
		if (add_failed) {
			free(wk->hkey);
			free(wk);
			return -1;
		}
		nkeys++;
		ndb[db]++;
	}
	if (!(w = calloc(1, sizeof *w))) {
		if (LIST_EMPTY(&wk->watchers)) {
			HASH_DEL(keys, wk);
			nkeys--;
			ndb[db]--;
			free(wk->hkey);
			free(wk);
		}
		return -1;
	}
	w->wk = wk;
	w->c = c;
	LIST_INSERT_HEAD(&wk->watchers, w, by_key);
	LIST_INSERT_HEAD(&c->watches, w, by_conn);
	return 0;
}

void watch_unwatch_all(struct conn *c)
{
	struct watch *w;

	while ((w = LIST_FIRST(&c->watches))) {
		struct watch_key *wk = w->wk;

		LIST_REMOVE(w, by_conn);
		LIST_REMOVE(w, by_key);
		free(w);
		if (LIST_EMPTY(&wk->watchers)) {
			HASH_DEL(keys, wk);
			nkeys--;
			ndb[dbkey_db(wk->hkey)]--;
			free(wk->hkey);
			free(wk);
		}
	}
}

void watch_each(struct conn *c, watch_key_fn *fn, void *ctx)
{
	struct watch *w;

	LIST_FOREACH(w, &c->watches, by_conn)
		fn(ctx, dbkey_db(w->wk->hkey), w->wk->hkey + 1, w->wk->hlen - 1);
}

size_t watch_count(void)
{
	return nkeys;
}
