/* store.c - the keyspace: entries of 16 databases, expiry, accounting, eviction.
 *
 * Owns the entries and their memory; the hash tables are dict.c's. Every
 * removal goes through the hook, then store_release(), so the hook, the
 * per-database counters, the stats and the byte count never disagree.
 */
#include "store.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "dict.h"

#define STORE_LRU_MAX     ((1u << 28) - 1) /* s: the lru field wraps after this */
#define STORE_LFU_MIN_MAX ((1u << 20) - 1) /* min: LFU's access time wraps after this */
#define STORE_LFU_MAX     255              /* the 8-bit LFU counter saturates here */
#define STORE_REUSE_SLACK 16               /* bytes: reuse an entry in place if it wastes fewer */
#define STORE_EVPOOL_SIZE 16   /* best candidates kept across evictions (Redis's EVPOOL_SIZE) */
#define STORE_EVICT_STEPS 10   /* buckets a sample may visit per key wanted (as Redis) */
#define STORE_EVICT_EMPTY 5    /* empty buckets in a row before a sample jumps elsewhere */
#define STORE_PICK_STEPS  1024 /* buckets a random pick may look through */
#define STORE_RANDOM_PROBES 64   /* random buckets RANDOMKEY tries before walking in order */
#define STORE_RANDOM_TRIES  100  /* expired keys RANDOMKEY deletes before walking in order */

#define STORE_BUG(msg) store_bug(__FILE__, __LINE__, (msg))

struct store_db {
	struct dict dict;
	size_t expires;          /* entries with a TTL */
	size_t data;          /* data entries (store_type_is_data): what allkeys-* may evict */
	size_t volatile_data; /* of those, the ones with a TTL: volatile-* */
};

/* An eviction candidate remembered in the pool. e is only compared, never
 * read, until it is found again in its hash's chain: it may have been freed
 * since it was sampled. */
struct store_candidate {
	struct sentry *e; /* NULL: empty slot (the used ones are a prefix) */
	uint64_t hash;    /* of e's key */
	uint64_t score;   /* the higher, the better a victim (idle time, ...) */
	int db;
};

struct store {
	struct store_db db[STORE_DBS];
	size_t entry_bytes; /* malloc_usable_size() summed over the entries */
	size_t value_bytes; /* reported by value owners through store_account */
	size_t maxmemory;   /* bytes, 0 = unlimited */
	enum store_policy policy;
	unsigned samples;        /* maxmemory-samples: keys sampled per database */
	unsigned lfu_log_factor; /* the LFU counter's logarithm base, in effect */
	unsigned lfu_decay_time; /* min per counter step down; 0 = never */
	store_delete_hook *hook;
	void *hook_ctx;
	store_touch_hook *touch;
	void *touch_ctx;
	store_add_hook *add;
	void *add_ctx;
	store_pinned_fn *pinned;
	void *pinned_ctx;
	struct store_candidate pool[STORE_EVPOOL_SIZE]; /* ascending score */
	int random_db;                                  /* random eviction's next database */
	struct store_stats stats;
	int expire_db;                   /* active expiry resumes in this database... */
	size_t expire_idx;               /* ...at this bucket of its t[0] */
	int evict_db;                    /* eviction's ordered walk resumes here... */
	size_t evict_idx;                /* ...at this bucket of t[0] followed by t[1] */
	const struct sentry *evict_keep; /* the entry a put replaces: never evicted under it */
	uint64_t rng;                    /* xorshift state for eviction sampling */
	bool in_callback;                /* a delete hook or scan callback is running */
	bool no_touch;                   /* lookups leave the LRU clock alone (CLIENT NO-TOUCH) */
	bool child_reads;                /* a forked child reads the entries: leave them alone */
};

static _Noreturn void store_bug(const char *file, int line, const char *msg)
{
	fprintf(stderr, "%s:%d: store: %s\n", file, line, msg);
	abort();
}

static int store_check_db(int db)
{
	if (db < 0 || db >= STORE_DBS)
		STORE_BUG("database index out of range");
	return db;
}

static struct store_db *store_db_get(struct store *s, int db)
{
	return &s->db[store_check_db(db)];
}

/* Guards every call that may change a table: one made from a hook or a scan
 * callback would unlink entries under a loop that is walking them. */
static void store_enter(const struct store *s)
{
	if (s->in_callback)
		STORE_BUG("store changed from inside a delete hook or scan callback");
}

static uint32_t store_lru_now(void)
{
	return (uint32_t)(clock_ms() / 1000) & STORE_LRU_MAX;
}

static uint64_t store_rand(struct store *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

/* ---------------------------------------------------------------------------
 * Access tracking. Under an LFU policy the 28 lru bits hold Redis's LFU
 * pair: the minute of the last decrement (20 bits) and a logarithmic 8-bit
 * counter, which climbs with probability 1 / ((counter - 5) * factor + 1)
 * per access and loses one per lfu-decay-time minutes idle.
 */

static uint32_t store_lfu_minutes(void)
{
	return (uint32_t)(clock_ms() / 60000) & STORE_LFU_MIN_MAX;
}

bool store_policy_is_lfu(const struct store *s)
{
	return s->policy == STORE_VOLATILE_LFU || s->policy == STORE_ALLKEYS_LFU;
}

/* The counter of an lru field, less the periods that passed since. */
static unsigned store_lfu_decayed(const struct store *s, uint32_t lru)
{
	unsigned counter = lru & STORE_LFU_MAX;
	uint32_t idle = (store_lfu_minutes() - (lru >> 8)) & STORE_LFU_MIN_MAX;
	uint32_t periods = s->lfu_decay_time ? idle / s->lfu_decay_time : 0;

	return periods >= counter ? 0 : counter - periods;
}

static unsigned store_lfu_incr(struct store *s, unsigned counter)
{
	double base, r;

	if (counter == STORE_LFU_MAX)
		return counter;
	base = counter > STORE_LFU_INIT ? counter - STORE_LFU_INIT : 0;
	r = (double)(store_rand(s) >> 11) * 0x1.0p-53; /* uniform in [0, 1) */
	return r < 1.0 / (base * s->lfu_log_factor + 1) ? counter + 1 : counter;
}

static uint32_t store_lfu_pack(unsigned counter)
{
	return store_lfu_minutes() << 8 | counter;
}

/* The lru field of an entry created now. */
static uint32_t store_lru_new(const struct store *s)
{
	return store_policy_is_lfu(s) ? store_lfu_pack(STORE_LFU_INIT) : store_lru_now();
}

/* A read or write of e: its LRU time or LFU counter, unless the running
 * command's client asked CLIENT NO-TOUCH, or a snapshot child shares the
 * memory (each first write to a page would copy it: Redis skips these
 * updates then too). */
static void store_access(struct store *s, struct sentry *e)
{
	if (s->no_touch || s->child_reads)
		return;
	if (store_policy_is_lfu(s))
		e->lru = store_lfu_pack(store_lfu_incr(s, store_lfu_decayed(s, e->lru)));
	else
		e->lru = store_lru_now();
}

uint32_t store_idle_s(const struct store *s, const struct sentry *e)
{
	(void)s;
	return (store_lru_now() - e->lru) & STORE_LRU_MAX;
}

unsigned store_lfu_freq(const struct store *s, const struct sentry *e)
{
	return store_lfu_decayed(s, e->lru);
}

static bool store_is_expired(const struct sentry *e)
{
	return e->has_ttl && sentry_expire(e) <= clock_ms();
}

static size_t store_entry_size(bool ttl, size_t klen, size_t vlen)
{
	return offsetof(struct sentry, data) + (ttl ? sizeof(int64_t) : 0) + klen + vlen;
}

/* True when an allocation of have bytes may hold size bytes without wasting
 * more than a fresh malloc of size would (glibc rounds to 16). */
static bool store_fits(size_t size, size_t have)
{
	return size <= have && have - size < STORE_REUSE_SLACK;
}

static void store_call_hook(struct store *s, int db, struct sentry *e, enum store_reason why)
{
	bool was = s->in_callback;

	if (!s->hook)
		return;
	s->in_callback = true;
	s->hook(s->hook_ctx, db, e, why);
	s->in_callback = was;
}

void store_touch(struct store *s, int db, const void *key, size_t klen)
{
	bool was = s->in_callback;

	if (!s->touch)
		return;
	s->in_callback = true;
	s->touch(s->touch_ctx, db, key, klen);
	s->in_callback = was;
}

/* Counts e into (in) or out of its database's counters. */
static void store_count(struct store_db *sd, const struct sentry *e, bool in)
{
	size_t step = in ? 1 : SIZE_MAX; /* unsigned: adding SIZE_MAX takes one away */

	if (e->has_ttl)
		sd->expires += step;
	if (store_type_is_data(e->type)) {
		sd->data += step;
		if (e->has_ttl)
			sd->volatile_data += step;
	}
}

/* Accounts for and frees e, which the hook has seen and the table no longer
 * holds. */
static void store_release(struct store *s, int db, struct sentry *e, enum store_reason why)
{
	store_count(&s->db[db], e, false);
	s->entry_bytes -= malloc_usable_size(e);
	if (why == STORE_DEL_EXPIRED)
		s->stats.expired++;
	else if (why == STORE_DEL_EVICTED)
		s->stats.evicted++;
	free(e);
}

/* Removes the entry *link points at. Leaves shrinking to the caller, so that
 * loops over a table never see it change under them. */
static void store_remove(struct store *s, int db, struct sentry **link, enum store_reason why)
{
	struct sentry *e = *link;

	store_call_hook(s, db, e, why);
	dict_unlink(&s->db[db].dict, link);
	store_touch(s, db, sentry_key(e), e->klen);
	store_release(s, db, e, why);
}

/* Sets e's expire time in place, moving the first keep bytes after the
 * expire slot when it appears or disappears. The allocation must fit. */
static void store_retime(struct store_db *sd, struct sentry *e, int64_t expire, size_t keep)
{
	bool ttl = expire != STORE_NO_EXPIRE;

	if (ttl != e->has_ttl) {
		memmove(e->data + (ttl ? sizeof expire : 0), e->data + (ttl ? 0 : sizeof expire),
		        keep);
		store_count(sd, e, false);
		e->has_ttl = ttl;
		store_count(sd, e, true);
	}
	if (ttl)
		memcpy(e->data, &expire, sizeof expire);
}

struct store *store_new(void)
{
	struct store *s = dict_calloc(1, sizeof *s);
	int i;

	if (!s)
		return NULL;
	dict_seed_init();
	for (i = 0; i < STORE_DBS; i++)
		dict_init(&s->db[i].dict);
	s->rng = dict_hash("store_rng", 9) | 1;
	s->samples = STORE_SAMPLES_DEFAULT;
	s->lfu_log_factor = STORE_LFU_LOG_DEFAULT;
	s->lfu_decay_time = STORE_LFU_DECAY_DEFAULT;
	return s;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	store_flushall(s);
	free(s);
}

void store_set_delete_hook(struct store *s, store_delete_hook *fn, void *ctx)
{
	s->hook = fn;
	s->hook_ctx = ctx;
}

void store_set_touch_hook(struct store *s, store_touch_hook *fn, void *ctx)
{
	s->touch = fn;
	s->touch_ctx = ctx;
}

void store_set_add_hook(struct store *s, store_add_hook *fn, void *ctx)
{
	s->add = fn;
	s->add_ctx = ctx;
}

void store_set_pinned(struct store *s, store_pinned_fn *fn, void *ctx)
{
	s->pinned = fn;
	s->pinned_ctx = ctx;
}

void store_set_maxmemory(struct store *s, size_t bytes, enum store_policy policy)
{
	s->maxmemory = bytes;
	/* Scores of another policy mean nothing to this one. */
	if (policy != s->policy)
		memset(s->pool, 0, sizeof s->pool);
	s->policy = policy;
}

void store_set_eviction(struct store *s, unsigned samples, unsigned lfu_log_factor,
                        unsigned lfu_decay_time)
{
	s->samples = samples ? samples : 1;
	s->lfu_log_factor = lfu_log_factor;
	s->lfu_decay_time = lfu_decay_time;
}

/* The live entry for key, deleting it if it expired. */
static struct sentry *store_lookup(struct store *s, int db, const void *key, size_t klen)
{
	struct store_db *sd = store_db_get(s, db);
	struct sentry **link;

	store_enter(s);
	dict_step(&sd->dict);
	link = dict_find(&sd->dict, dict_hash(key, klen), key, klen);
	if (!link)
		return NULL;
	if (!store_is_expired(*link))
		return *link;
	store_remove(s, db, link, STORE_DEL_EXPIRED);
	dict_maybe_shrink(&sd->dict);
	return NULL;
}

struct sentry *store_find(struct store *s, int db, const void *key, size_t klen)
{
	struct sentry *e = store_lookup(s, db, key, klen);

	if (!e) {
		s->stats.misses++;
		return NULL;
	}
	s->stats.hits++;
	store_access(s, e);
	return e;
}

struct sentry *store_find_notouch(struct store *s, int db, const void *key, size_t klen)
{
	struct sentry *e = store_lookup(s, db, key, klen);

	if (e)
		s->stats.hits++;
	else
		s->stats.misses++;
	return e;
}

struct sentry *store_find_write(struct store *s, int db, const void *key, size_t klen)
{
	struct sentry *e = store_lookup(s, db, key, klen);

	if (e)
		store_access(s, e);
	return e;
}

void store_set_no_touch(struct store *s, bool on)
{
	s->no_touch = on;
}

void store_set_child_reads(struct store *s, bool on)
{
	s->child_reads = on;
}

struct sentry *store_peek_any(struct store *s, int db, const void *key, size_t klen)
{
	struct sentry **link = dict_find(&store_db_get(s, db)->dict, dict_hash(key, klen), key, klen);

	return link ? *link : NULL;
}

/* No rehash step: a live key leaves the tables as they were. An expired one
 * is deleted, as by store_find, so that callers that free what an entry
 * owns through the hook (lock_conn_gone) see it go. */
struct sentry *store_peek(struct store *s, int db, const void *key, size_t klen)
{
	struct store_db *sd = store_db_get(s, db);
	struct sentry **link = dict_find(&sd->dict, dict_hash(key, klen), key, klen);

	if (!link)
		return NULL;
	if (!store_is_expired(*link))
		return *link;
	store_enter(s);
	store_remove(s, db, link, STORE_DEL_EXPIRED);
	dict_maybe_shrink(&sd->dict);
	return NULL;
}

static bool store_overlaps(const void *p, size_t len, const struct sentry *e, size_t size)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)e;

	return len > 0 && a < b + size && b < a + len;
}

/* Overwrites the live string old with a string of the same allocation class;
 * false when that is not possible. */
static bool store_put_in_place(struct store *s, int db, struct sentry *old, const void *value,
                               size_t vlen, enum store_type type, int64_t expire)
{
	size_t have = malloc_usable_size(old);

	if (old->type != STORE_STRING || type != STORE_STRING ||
	    !store_fits(store_entry_size(expire != STORE_NO_EXPIRE, old->klen, vlen), have) ||
	    store_overlaps(value, vlen, old, have))
		return false;
	store_call_hook(s, db, old, STORE_DEL_REPLACED);
	store_retime(&s->db[db], old, expire, old->klen);
	old->vlen = (uint32_t)vlen;
	/* An overwrite keeps the LFU counter, as Redis's dbSetValue does. */
	if (!store_policy_is_lfu(s))
		old->lru = store_lru_now();
	if (value && vlen)
		memcpy(sentry_value(old), value, vlen);
	store_touch(s, db, sentry_key(old), old->klen);
	return true;
}

/* Near maxmemory, chains may grow longer rather than a put evicting a whole
 * new bucket array's worth of keys (and taking time for it). */
static bool store_may_grow(const struct store *s, const struct dict *d, size_t bytes)
{
	return !s->maxmemory || store_used_memory(s) + bytes + dict_grow_bytes(d) <= s->maxmemory;
}

static struct sentry *store_entry_new(const struct store *s, const void *key, size_t klen,
                                      const void *value, size_t vlen, enum store_type type,
                                      int64_t expire)
{
	bool ttl = expire != STORE_NO_EXPIRE;
	struct sentry *e = dict_malloc(store_entry_size(ttl, klen, vlen));

	if (!e)
		return NULL;
	e->next = NULL;
	e->klen = (uint32_t)klen;
	e->vlen = (uint32_t)vlen;
	e->type = type;
	e->has_ttl = ttl;
	e->lru = store_lru_new(s);
	if (ttl)
		memcpy(e->data, &expire, sizeof expire);
	if (klen)
		memcpy(e->data + (ttl ? sizeof expire : 0), key, klen);
	if (value && vlen)
		memcpy(sentry_value(e), value, vlen);
	return e;
}

struct sentry *store_put(struct store *s, int db, const void *key, size_t klen, const void *value,
                         size_t vlen, enum store_type type, int64_t expire)
{
	struct store_db *sd = store_db_get(s, db);
	struct sentry **link, *old, *e;
	size_t bytes, old_bytes;
	uint64_t hash, evicted;
	enum store_reason why;
	int rc;

	store_enter(s);
	if (klen > UINT32_MAX || vlen > UINT32_MAX)
		return NULL;
	dict_step(&sd->dict);
	hash = dict_hash(key, klen);
	link = dict_find(&sd->dict, hash, key, klen);
	old = link ? *link : NULL;
	why = old && store_is_expired(old) ? STORE_DEL_EXPIRED : STORE_DEL_REPLACED;
	if (old && why == STORE_DEL_REPLACED &&
	    store_put_in_place(s, db, old, value, vlen, type, expire))
		return old;

	/* Copy key and value before anything is evicted or freed: either may
	 * point into an entry of this store, old included. */
	e = store_entry_new(s, key, klen, value, vlen, type, expire);
	if (!e)
		return NULL;
	if (old && why == STORE_DEL_REPLACED && store_policy_is_lfu(s))
		e->lru = old->lru;
	bytes = malloc_usable_size(e);
	old_bytes = old ? malloc_usable_size(old) : 0;
	if (s->maxmemory && bytes > old_bytes) {
		evicted = s->stats.evicted;
		s->evict_keep = old;
		rc = store_make_room(s, bytes - old_bytes);
		s->evict_keep = NULL;
		if (rc < 0) {
			free(e);
			return NULL;
		}
		if (old && s->stats.evicted != evicted)
			link = dict_link_of(&sd->dict, old);
	}

	if (old) {
		store_call_hook(s, db, old, why);
		dict_replace(link, e);
		store_release(s, db, old, why);
	} else {
		if (dict_insert(&sd->dict, hash, e, store_may_grow(s, &sd->dict, bytes)) < 0) {
			free(e);
			return NULL;
		}
	}
	store_count(sd, e, true);
	s->entry_bytes += bytes;
	if (s->add && (!old || why == STORE_DEL_EXPIRED))
		s->add(s->add_ctx, db, sentry_key(e), e->klen);
	store_touch(s, db, sentry_key(e), e->klen);
	return e;
}

/* Not held to maxmemory: the entry grows by the expire slot at most, and,
 * as Redis's EXPIRE, a TTL change is never refused for memory. */
struct sentry *store_set_expire(struct store *s, int db, struct sentry *e, int64_t expire)
{
	struct store_db *sd = store_db_get(s, db);
	bool ttl = expire != STORE_NO_EXPIRE;
	size_t have = malloc_usable_size(e);
	struct sentry **link, *n;

	store_enter(s);
	if (ttl == e->has_ttl || store_fits(store_entry_size(ttl, e->klen, e->vlen), have)) {
		store_retime(sd, e, expire, (size_t)e->klen + e->vlen);
		store_touch(s, db, sentry_key(e), e->klen);
		return e;
	}
	link = dict_link_of(&sd->dict, e);
	if (!link)
		STORE_BUG("store_set_expire: entry is not in this database");
	n = dict_malloc(store_entry_size(ttl, e->klen, e->vlen));
	if (!n)
		return NULL;
	memcpy(n, e, offsetof(struct sentry, data));
	n->has_ttl = ttl;
	if (ttl)
		memcpy(n->data, &expire, sizeof expire);
	memcpy(n->data + (ttl ? sizeof expire : 0), sentry_key(e), (size_t)e->klen + e->vlen);
	dict_replace(link, n);
	store_count(sd, e, false);
	store_count(sd, n, true);
	s->entry_bytes += malloc_usable_size(n);
	s->entry_bytes -= have;
	free(e);
	store_touch(s, db, sentry_key(n), n->klen);
	return n;
}

int store_delete(struct store *s, int db, const void *key, size_t klen, enum store_reason why)
{
	struct store_db *sd = store_db_get(s, db);
	struct sentry **link;
	bool live;

	store_enter(s);
	dict_step(&sd->dict);
	link = dict_find(&sd->dict, dict_hash(key, klen), key, klen);
	if (!link)
		return 0;
	live = !store_is_expired(*link);
	store_remove(s, db, link, live ? why : STORE_DEL_EXPIRED);
	dict_maybe_shrink(&sd->dict);
	return live ? 1 : 0;
}

void store_delete_entry(struct store *s, int db, struct sentry *e, enum store_reason why)
{
	struct store_db *sd = store_db_get(s, db);
	struct sentry **link;

	store_enter(s);
	link = dict_link_of(&sd->dict, e);
	if (!link)
		STORE_BUG("store_delete_entry: entry is not in this database");
	store_remove(s, db, link, why);
	dict_maybe_shrink(&sd->dict);
}

struct store_flush {
	struct store *s;
	int db;
};

static void store_flush_cb(void *ctx, struct sentry *e)
{
	struct store_flush *f = ctx;

	store_call_hook(f->s, f->db, e, STORE_DEL_FLUSHED);
	store_release(f->s, f->db, e, STORE_DEL_FLUSHED);
}

void store_flushdb(struct store *s, int db)
{
	struct store_flush f = {s, db};

	store_enter(s);
	if (store_db_get(s, db)->dict.count)
		store_touch(s, db, NULL, 0);
	dict_clear(&store_db_get(s, db)->dict, store_flush_cb, &f);
}

void store_flushall(struct store *s)
{
	int db;

	for (db = 0; db < STORE_DBS; db++)
		store_flushdb(s, db);
}

size_t store_dbsize(const struct store *s, int db)
{
	return s->db[store_check_db(db)].dict.count;
}

size_t store_expires(const struct store *s, int db)
{
	return s->db[store_check_db(db)].expires;
}

struct store_scan_ctx {
	store_scan_fn *fn;
	void *ctx;
	int64_t now; /* ms, monotonic */
};

static void store_scan_cb(void *arg, struct sentry *e)
{
	struct store_scan_ctx *c = arg;

	if (!e->has_ttl || sentry_expire(e) > c->now)
		c->fn(c->ctx, e);
}

uint64_t store_scan(struct store *s, int db, uint64_t cursor, size_t count, store_scan_fn *fn,
                    void *ctx)
{
	struct store_scan_ctx c = {fn, ctx, clock_ms()};
	bool was = s->in_callback;
	uint64_t next;

	s->in_callback = true;
	next = dict_scan(&store_db_get(s, db)->dict, cursor, count, store_scan_cb, &c);
	s->in_callback = was;
	return next;
}

static size_t store_expire_chain(struct store *s, int db, struct sentry **link, int64_t now)
{
	size_t n = 0;

	while (*link) {
		if ((*link)->has_ttl && sentry_expire(*link) <= now) {
			store_remove(s, db, link, STORE_DEL_EXPIRED);
			n++;
		} else {
			link = &(*link)->next;
		}
	}
	return n;
}

size_t store_expire_cycle(struct store *s, int64_t now, size_t max_buckets)
{
	size_t visited = 0, deleted = 0, n;
	unsigned touched = 0;
	int switches = 0, db;
	struct store_db *sd;

	store_enter(s);
	/* One pass may wrap once around all databases; switches bounds the
	 * loop when none has keys with a TTL. */
	while (visited < max_buckets && switches <= STORE_DBS) {
		sd = &s->db[s->expire_db];
		if (sd->expires == 0 ||
		    (!dict_is_rehashing(&sd->dict) && s->expire_idx >= sd->dict.size[0])) {
			s->expire_db = (s->expire_db + 1) % STORE_DBS;
			s->expire_idx = 0;
			switches++;
			continue;
		}
		/* Entries move between tables while rehashing; finishing the
		 * move first means the sweep below only ever sees one table. */
		if (dict_is_rehashing(&sd->dict)) {
			visited += dict_rehash(&sd->dict, SIZE_MAX, max_buckets - visited);
			continue;
		}
		n = store_expire_chain(s, s->expire_db, &sd->dict.tab[0][s->expire_idx++], now);
		if (n) {
			deleted += n;
			touched |= 1u << s->expire_db;
		}
		visited++;
	}
	s->stats.expire_buckets += visited;
	for (db = 0; db < STORE_DBS; db++)
		if (touched & 1u << db)
			dict_maybe_shrink(&s->db[db].dict);
	return deleted;
}

bool store_rehash_step(struct store *s, size_t max_buckets)
{
	size_t visited = 0;
	bool busy = false;
	int db;

	store_enter(s);
	for (db = 0; db < STORE_DBS; db++) {
		struct dict *d = &s->db[db].dict;

		if (visited < max_buckets)
			visited += dict_rehash(d, SIZE_MAX, max_buckets - visited);
		/* Eviction does not shrink as it goes, and a finished rehash
		 * may leave a table sparse enough for the next: catch up here,
		 * so that false means no table wants work. */
		dict_maybe_shrink(d);
		busy = busy || dict_is_rehashing(d);
	}
	return busy;
}

void store_account(struct store *s, size_t add, size_t sub)
{
	s->value_bytes += add;
	s->value_bytes -= sub;
}

int store_reserve(struct store *s, int db, size_t n)
{
	return dict_reserve(&store_db_get(s, db)->dict, n);
}

size_t store_used_memory(const struct store *s)
{
	size_t bytes = s->entry_bytes + s->value_bytes;
	int db;

	for (db = 0; db < STORE_DBS; db++)
		bytes += dict_bytes(&s->db[db].dict);
	return bytes;
}

/* ---------------------------------------------------------------------------
 * Eviction, as Redis's evict.c: each eviction samples maxmemory-samples keys
 * of every database into a pool of the best candidates kept across calls,
 * then evicts the best one still there. Random policies take one random key
 * from the databases in turn. An ordered walk backs both up when sampling
 * meets nothing evictable (rare keys with a TTL).
 */

static bool store_is_volatile(const struct store *s)
{
	return s->policy >= STORE_VOLATILE_LRU && s->policy <= STORE_VOLATILE_TTL;
}

/* Keys of db the policy chooses from (pinned ones included). */
static size_t store_db_candidates(const struct store *s, int db)
{
	return store_is_volatile(s) ? s->db[db].volatile_data : s->db[db].data;
}

static bool store_evictable(const struct store *s, int db, const struct sentry *e)
{
	/* Locks and pools have owners and waiters: only their TTL or an
	 * explicit release may end them. */
	if (!store_type_is_data(e->type) || e == s->evict_keep || (!e->has_ttl && store_is_volatile(s)))
		return false;
	return !s->pinned || !s->pinned(s->pinned_ctx, db, e);
}

/* How good a victim e is: the higher the better. */
static uint64_t store_score(const struct store *s, const struct sentry *e)
{
	int64_t at;

	switch (s->policy) {
	case STORE_VOLATILE_TTL:
		at = sentry_expire(e);
		return UINT64_MAX - (uint64_t)(at > 0 ? at : 0);
	case STORE_VOLATILE_LFU:
	case STORE_ALLKEYS_LFU:
		return STORE_LFU_MAX - store_lfu_decayed(s, e->lru);
	default:
		return store_idle_s(s, e);
	}
}

static void store_pool_drop(struct store *s, int k)
{
	memmove(s->pool + k, s->pool + k + 1, (STORE_EVPOOL_SIZE - k - 1) * sizeof s->pool[0]);
	s->pool[STORE_EVPOOL_SIZE - 1].e = NULL;
}

/* Redis's evictionPoolPopulate step for one key: in score order, pushing
 * out the worst candidate when the pool is full. */
static void store_pool_insert(struct store *s, int db, struct sentry *e)
{
	struct store_candidate *pool = s->pool;
	uint64_t score = store_score(s, e);
	int k;

	/* Sampled again: its score may have changed, and one slot is enough. */
	for (k = 0; k < STORE_EVPOOL_SIZE && pool[k].e; k++) {
		if (pool[k].e == e && pool[k].db == db) {
			store_pool_drop(s, k);
			break;
		}
	}
	for (k = 0; k < STORE_EVPOOL_SIZE && pool[k].e && pool[k].score < score; k++)
		;
	if (k == 0 && pool[STORE_EVPOOL_SIZE - 1].e)
		return;
	if (k == STORE_EVPOOL_SIZE || pool[k].e) {
		if (!pool[STORE_EVPOOL_SIZE - 1].e) {
			memmove(pool + k + 1, pool + k,
			        (STORE_EVPOOL_SIZE - k - 1) * sizeof pool[0]);
		} else {
			k--;
			memmove(pool, pool + 1, (size_t)k * sizeof pool[0]);
		}
	}
	pool[k] = (struct store_candidate){e, dict_hash(sentry_key(e), e->klen), score, db};
}

/* Samples up to want evictable entries of db, from consecutive buckets
 * after a random one (Redis's dictGetSomeKeys), into the pool; or, with
 * pick, returns the first one found (looking further: Redis's random key
 * always exists). */
static struct sentry *store_sample(struct store *s, int db, size_t want, bool pick)
{
	struct dict *d = &s->db[db].dict;
	size_t mask, i, steps, empty = 0, got = 0;
	struct sentry *e;
	bool seen;
	int t;

	if (!d->count)
		return NULL;
	if (want > d->count)
		want = d->count;
	mask = (d->size[0] > d->size[1] ? d->size[0] : d->size[1]) - 1;
	i = store_rand(s) & mask;
	for (steps = pick ? STORE_PICK_STEPS : want * STORE_EVICT_STEPS; steps && got < want;
	     steps--) {
		seen = false;
		for (t = 0; t < 2; t++) {
			if (!d->tab[t] || i >= d->size[t])
				continue;
			for (e = dict_bucket(d, t, i); e; e = e->next) {
				seen = true;
				if (!store_evictable(s, db, e))
					continue;
				if (pick)
					return e;
				store_pool_insert(s, db, e);
				got++;
			}
		}
		/* A run of empty buckets: the table is sparse here, jump. */
		if (seen) {
			empty = 0;
		} else if (++empty >= STORE_EVICT_EMPTY && empty > want) {
			i = store_rand(s) & mask;
			empty = 0;
		}
		i = (i + 1) & mask;
	}
	return NULL;
}

/* The link to a pooled candidate, found by address in its key's buckets;
 * NULL when it left the keyspace since it was sampled. */
static struct sentry **store_candidate_link(struct store *s, const struct store_candidate *c)
{
	struct dict *d = &s->db[c->db].dict;
	struct sentry **link;
	size_t i;
	int t;

	for (t = 0; t < 2; t++) {
		if (!d->tab[t])
			continue;
		i = c->hash & (d->size[t] - 1);
		if (!dict_bucket(d, t, i))
			continue;
		for (link = &d->tab[t][i]; *link; link = &(*link)->next) {
			if (*link != c->e)
				continue;
			/* Its memory may hold another key by now. */
			return dict_hash(sentry_key(*link), (*link)->klen) == c->hash ? link : NULL;
		}
	}
	return NULL;
}

static struct sentry *store_pick_pooled(struct store *s, int *db)
{
	struct store_candidate c;
	struct sentry **link;
	int k;

	for (k = 0; k < STORE_DBS; k++)
		if (store_db_candidates(s, k))
			store_sample(s, k, s->samples, false);
	for (k = STORE_EVPOOL_SIZE - 1; k >= 0; k--) {
		c = s->pool[k];
		if (!c.e)
			continue;
		s->pool[k].e = NULL;
		link = store_candidate_link(s, &c);
		if (link && store_evictable(s, c.db, *link)) {
			*db = c.db;
			return *link;
		}
	}
	return NULL;
}

static struct sentry *store_pick_random(struct store *s, int *db)
{
	struct sentry *e;
	int i;

	for (i = 0; i < STORE_DBS; i++) {
		*db = s->random_db;
		s->random_db = (s->random_db + 1) % STORE_DBS;
		if (store_db_candidates(s, *db) && (e = store_sample(s, *db, 1, true)))
			return e;
	}
	return NULL;
}

/* Bucket i of t[0] followed by t[1]. */
static struct sentry *store_bucket(const struct dict *d, size_t i)
{
	return i < d->size[0] ? dict_bucket(d, 0, i) : dict_bucket(d, 1, i - d->size[0]);
}

/* Random samples miss evictable keys when they are rare; a walk in order,
 * resuming where the last one stopped, reaches them all. The best of the
 * first bucket that has one. It gives up after one full round, so a write
 * is refused only when nothing is evictable; the counters make that round
 * rare (only pinned candidates left), as a policy with no candidate at all
 * fails before it starts. */
static struct sentry *store_pick_walk(struct store *s, int *db)
{
	struct sentry *e, *best = NULL;
	size_t total = 0, visited = 0;
	const struct dict *d;
	int i;

	for (i = 0; i < STORE_DBS; i++)
		if (store_db_candidates(s, i))
			total += s->db[i].dict.size[0] + s->db[i].dict.size[1];
	while (!best && visited < total) {
		d = &s->db[s->evict_db].dict;
		/* What the rehash drained of t[0] is empty: go past it. */
		if (dict_is_rehashing(d) && s->evict_idx < d->rehash_idx)
			s->evict_idx = d->rehash_idx;
		if (!store_db_candidates(s, s->evict_db) ||
		    s->evict_idx >= d->size[0] + d->size[1]) {
			s->evict_db = (s->evict_db + 1) % STORE_DBS;
			s->evict_idx = 0;
			continue;
		}
		visited++;
		for (e = store_bucket(d, s->evict_idx++); e; e = e->next)
			if (store_evictable(s, s->evict_db, e) &&
			    (!best || store_score(s, e) > store_score(s, best)))
				best = e;
	}
	*db = s->evict_db;
	return best;
}

static int store_evict_one(struct store *s)
{
	struct sentry *e;
	int db = 0;

	if (s->policy == STORE_VOLATILE_RANDOM || s->policy == STORE_ALLKEYS_RANDOM)
		e = store_pick_random(s, &db);
	else
		e = store_pick_pooled(s, &db);
	if (!e)
		e = store_pick_walk(s, &db);
	if (!e)
		return -1;
	store_remove(s, db, dict_link_of(&s->db[db].dict, e), STORE_DEL_EVICTED);
	return 0;
}

int store_make_room(struct store *s, size_t need)
{
	store_enter(s);
	if (!s->maxmemory)
		return 0;
	while (need > s->maxmemory || store_used_memory(s) > s->maxmemory - need) {
		if (s->policy == STORE_NOEVICTION || need > s->maxmemory || store_evict_one(s) < 0)
			return -1;
	}
	return 0;
}

const struct store_stats *store_stats(const struct store *s)
{
	return &s->stats;
}

void store_stats_reset(struct store *s)
{
	memset(&s->stats, 0, sizeof s->stats);
}

/* ---- whole keys and databases: RENAME, MOVE, RANDOMKEY, SWAPDB -------- */

size_t store_owned(const struct store *s, int db)
{
	const struct store_db *sd = &s->db[store_check_db(db)];

	/* every entry that is not data is a lock or a pool */
	return sd->dict.count - sd->data;
}

/* Not held to maxmemory, as Redis's RENAME and MOVE, which reuse the value:
 * the entry is made again under its new name and the old one freed. */
int store_rename(struct store *s, int db, struct sentry *e, int dstdb, const void *key,
                 size_t klen)
{
	struct store_db *sd = store_db_get(s, db), *dd = store_db_get(s, dstdb);
	struct sentry **link, *n, *old;
	enum store_reason why;
	uint64_t hash;

	store_enter(s);
	if (!store_type_is_data(e->type))
		STORE_BUG("store_rename: a lock or pool is bound to its name");
	if (klen > UINT32_MAX)
		return -1;
	n = store_entry_new(s, key, klen, sentry_value(e), e->vlen, e->type, sentry_expire(e));
	if (!n)
		return -1;
	n->lru = e->lru;
	hash = dict_hash(key, klen);
	link = dict_find(&dd->dict, hash, key, klen);
	if (link) {
		old = *link;
		why = store_is_expired(old) ? STORE_DEL_EXPIRED : STORE_DEL_REPLACED;
		store_call_hook(s, dstdb, old, why);
		dict_replace(link, n);
		store_release(s, dstdb, old, why);
	} else if (dict_insert(&dd->dict, hash, n, store_may_grow(s, &dd->dict, 0)) < 0) {
		free(n);
		return -1;
	}
	store_count(dd, n, true);
	s->entry_bytes += malloc_usable_size(n);
	if (s->add)
		s->add(s->add_ctx, dstdb, sentry_key(n), n->klen);
	store_touch(s, dstdb, key, klen);
	/* The old name leaves through the hook: its waiters get their turn. */
	store_remove(s, db, dict_link_of(&sd->dict, e), STORE_DEL_MOVED);
	dict_maybe_shrink(&sd->dict);
	return 0;
}

/* A random entry of d (expired or not), NULL if d is empty: a random
 * non-empty bucket, then a random entry of its chain, as Redis's
 * dictGetRandomKey. Probes at random first; a table too sparse for them
 * is walked in order from a random bucket. */
static struct sentry *store_random_entry(struct store *s, const struct dict *d)
{
	size_t buckets = d->size[0] + d->size[1], i, n;
	struct sentry *head = NULL, *e;

	if (d->count == 0)
		return NULL;
	for (i = 0; !head && i < STORE_RANDOM_PROBES; i++)
		head = store_bucket(d, store_rand(s) % buckets);
	for (i = store_rand(s) % buckets; !head; i = (i + 1) % buckets)
		head = store_bucket(d, i);
	for (n = 0, e = head; e; e = e->next)
		n++;
	for (n = store_rand(s) % n, e = head; n; n--)
		e = e->next;
	return e;
}

struct sentry *store_random(struct store *s, int db)
{
	struct store_db *sd = store_db_get(s, db);
	struct sentry *e = NULL, *next;
	size_t i;
	int tries;

	store_enter(s);
	for (tries = 0; tries < STORE_RANDOM_TRIES; tries++) {
		e = store_random_entry(s, &sd->dict);
		if (!e || !store_is_expired(e))
			return e;
		store_remove(s, db, dict_link_of(&sd->dict, e), STORE_DEL_EXPIRED);
	}
	/* Mostly expired keys: one ordered pass deletes them up to the first
	 * live one, as Redis's retries would, without looping at random. */
	e = NULL;
	for (i = 0; !e && i < sd->dict.size[0] + sd->dict.size[1]; i++) {
		for (e = store_bucket(&sd->dict, i); e && store_is_expired(e); e = next) {
			next = e->next;
			store_remove(s, db, dict_link_of(&sd->dict, e), STORE_DEL_EXPIRED);
		}
	}
	dict_maybe_shrink(&sd->dict);
	return e;
}

void store_swapdb(struct store *s, int a, int b)
{
	struct store_db tmp = *store_db_get(s, a);
	bool full = s->db[a].dict.count || s->db[b].dict.count;

	store_enter(s);
	/* WATCHed keys of both databases change, unless both are empty. */
	if (full && a != b) {
		store_touch(s, a, NULL, 0);
		store_touch(s, b, NULL, 0);
	}
	s->db[a] = *store_db_get(s, b);
	s->db[b] = tmp;
}
