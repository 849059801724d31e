/* memory.c - the in-process memory client (the reference's default when no
 * client is given): a uthash map of binary-safe keys and values behind one
 * mutex, atomic SET NX, and lazy expiry on CLOCK_MONOTONIC (a read or write
 * of an expired key drops it; an amortized sweep drops the ones nobody
 * touches). Its blocking face's locks are in-process reader/writer locks
 * (rw_*): a writer's hold is a plain entry (key = token, with its TTL) that
 * the generic SET NX algorithm of the async face sees and respects, readers
 * share one entry with a token and TTL each, and waits are FIFO on
 * condition variables, no polling. Pools and cached's fill locks run the
 * reference's algorithms (generic.c) over get/set/delete.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "clock.h"
#include "token.h"

/* uthash must never exit(): a failed add sets the caller's local `oom`. */
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (oom = 1)
#include <uthash.h>

#define MEM_SWEEP_MIN	 1024	  /* writes between sweeps, at least (else the map's size) */
#define MEM_FENCE_SUFFIX "-fence" /* gmach.c's: both faces count fences in one place */
#define MEM_RECHECK_MS	 1000	  /* longest sleep of a lock wait between checks */
#define MEM_FENCE_DIGITS 20

/* One reader of a shared lock. */
struct mem_reader {
	char tok[LC_TOKEN_HEX + 1];
	int64_t expires_ms; /* monotonic; 0 = never */
};

struct mem_entry {
	UT_hash_handle hh;
	char *val; /* malloc'ed, vlen bytes */
	size_t vlen;
	int64_t expires_ms; /* monotonic; 0 = never (a shared lock: its last reader's) */
	struct mem_reader *rd; /* a shared lock's readers (val: the first one's token) */
	size_t nrd, rdcap;
	size_t klen;
	char key[]; /* klen bytes */
};

/* A blocked lock acquire, in arrival order on m->waiters. */
struct mem_waiter {
	struct mem_waiter *next, *prev;
	const char *key;
	size_t klen;
	bool shared;
	int64_t ttl_ms; /* < 0: never expires */
	struct backend_grant *g;
	int rc;	      /* the grant's result, once granted */
	bool granted; /* taken off the queue, g filled (or rc set) */
	pthread_cond_t cv;
};

struct mem {
	pthread_mutex_t mu;
	struct mem_entry *map;
	size_t writes; /* since the last sweep */
	struct mem_waiter *waiters, *wtail; /* oldest first */
};

static bool entry_expired(const struct mem_entry *e, int64_t now)
{
	return e->expires_ms && e->expires_ms <= now;
}

static void entry_drop(struct mem *m, struct mem_entry *e)
{
	HASH_DELETE(hh, m->map, e);
	free(e->val);
	free(e->rd);
	free(e);
}

/* A shared lock's expiry: its last reader's (0 when one never expires). */
static void readers_expiry(struct mem_entry *e)
{
	e->expires_ms = 0;
	for (size_t i = 0; i < e->nrd; i++) {
		if (e->rd[i].expires_ms == 0) {
			e->expires_ms = 0;
			return;
		}
		if (e->rd[i].expires_ms > e->expires_ms)
			e->expires_ms = e->rd[i].expires_ms;
	}
}

/* Drops a shared lock's expired readers; false when none is left. */
static bool readers_prune(struct mem_entry *e, int64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nrd; i++)
		if (!(e->rd[i].expires_ms && e->rd[i].expires_ms <= now))
			e->rd[n++] = e->rd[i];
	e->nrd = n;
	readers_expiry(e);
	return n > 0;
}

/* The live entry for name, dropping it (or a shared lock's expired
 * readers) if it has expired. Locked. */
static struct mem_entry *entry_find(struct mem *m, const char *name, size_t nlen, int64_t now)
{
	struct mem_entry *e;

	HASH_FIND(hh, m->map, name, nlen, e);
	if (e && e->rd && !readers_prune(e, now)) {
		entry_drop(m, e);
		return NULL;
	}
	if (e && entry_expired(e, now)) {
		entry_drop(m, e);
		e = NULL;
	}
	return e;
}

/* Drops every expired entry once as many writes happened as the map holds
 * entries: O(1) amortized per write, and a bounded share of dead keys. */
static void maybe_sweep(struct mem *m, int64_t now)
{
	struct mem_entry *e, *tmp;
	size_t n = HASH_COUNT(m->map);

	if (++m->writes < (n > MEM_SWEEP_MIN ? n : MEM_SWEEP_MIN))
		return;
	m->writes = 0;
	HASH_ITER(hh, m->map, e, tmp) {
		if (entry_expired(e, now))
			entry_drop(m, e);
	}
}

static int mem_get(void *ctx, const char *name, size_t nlen, char **value, size_t *len)
{
	struct mem *m = ctx;
	struct mem_entry *e;
	int rc = 0;

	pthread_mutex_lock(&m->mu);
	e = entry_find(m, name, nlen, lc_clock_ms());
	if (e) {
		char *v = malloc(e->vlen + 1);

		if (v) {
			memcpy(v, e->val, e->vlen);
			v[e->vlen] = '\0';
			*value = v;
			*len = e->vlen;
			rc = 1;
		} else {
			rc = CACHIFY_ENOMEM;
		}
	}
	pthread_mutex_unlock(&m->mu);
	if (rc == CACHIFY_ENOMEM)
		lc_set_error(rc, "memory client: out of memory reading a value");
	return rc;
}

/* Stores name = v (taken, len bytes), expiring at expires (0: never): 1,
 * 0 when nx and it exists, or ENOMEM. Locked. */
static int entry_store(struct mem *m, const char *name, size_t nlen, char *v, size_t len,
		       int64_t expires, bool nx, int64_t now)
{
	struct mem_entry *e = entry_find(m, name, nlen, now);
	int oom = 0;

	if (e && nx) {
		free(v);
		return 0;
	}
	if (!e) {
		e = calloc(1, sizeof *e + nlen);
		if (!e) {
			free(v);
			return CACHIFY_ENOMEM;
		}
		memcpy(e->key, name, nlen);
		e->klen = nlen;
		HASH_ADD_KEYPTR(hh, m->map, e->key, e->klen, e);
		if (oom) {
			free(e);
			free(v);
			return CACHIFY_ENOMEM;
		}
	}
	/* A plain value over a shared lock ends its readers. */
	free(e->rd);
	e->rd = NULL;
	e->nrd = e->rdcap = 0;
	free(e->val);
	e->val = v;
	e->vlen = len;
	e->expires_ms = expires;
	maybe_sweep(m, now);
	return 1;
}

/* now + ex s in ms; 0 (never) for ex 0 or one too far to count in ms. */
static int64_t expiry_s(int64_t ex, int64_t now)
{
	return ex > 0 && ex < (INT64_MAX - now) / 1000 ? now + ex * 1000 : 0;
}

static int64_t expiry_ms(int64_t ttl_ms, int64_t now)
{
	return ttl_ms >= 0 && ttl_ms < INT64_MAX - now ? now + (ttl_ms ? ttl_ms : 1) : 0;
}

static void rw_wake(struct mem *m, const char *key, size_t klen, int64_t now);

static int mem_set(void *ctx, const char *name, size_t nlen, const char *value, size_t len,
		   int64_t ex, bool nx)
{
	struct mem *m = ctx;
	int64_t now = lc_clock_ms();
	char *v = malloc(len ? len : 1);
	int rc;

	if (!v)
		return lc_set_error(CACHIFY_ENOMEM, "memory client: out of memory");
	memcpy(v, value, len);
	pthread_mutex_lock(&m->mu);
	rc = entry_store(m, name, nlen, v, len, expiry_s(ex, now), nx, now);
	pthread_mutex_unlock(&m->mu);
	if (rc < 0)
		return lc_set_error(rc, "memory client: out of memory");
	return rc;
}

static int mem_del(void *ctx, size_t n, const char *const *names, const size_t *nlens)
{
	struct mem *m = ctx;
	int64_t now = lc_clock_ms();
	int count = 0;

	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < n; i++) {
		struct mem_entry *e = entry_find(m, names[i], nlens[i], now);

		if (e) {
			entry_drop(m, e);
			count++;
			rw_wake(m, names[i], nlens[i], now); /* a force release */
		}
	}
	pthread_mutex_unlock(&m->mu);
	return count;
}

/* ---- locks: in-process reader/writer locks ---------------------------------
 * Same rules as cachifyd's LOCK.ACQUIRE [SHARED]: a writer needs the key
 * free, readers share a key only readers hold; a request that cannot be
 * granted at once queues (so does a reader while anyone waits: writers
 * do not starve), and a run of readers at the head is granted together. */

/* Bumps key + "-fence" (as gmach.c's generic locks do): the grant's fence. */
static int fence_bump(struct mem *m, const char *key, size_t klen, int64_t now, uint64_t *fence)
{
	char fkey[klen + sizeof MEM_FENCE_SUFFIX], buf[MEM_FENCE_DIGITS + 1], *v;
	struct mem_entry *e;
	uint64_t f = 0;
	int n;

	memcpy(fkey, key, klen);
	memcpy(fkey + klen, MEM_FENCE_SUFFIX, sizeof MEM_FENCE_SUFFIX);
	e = entry_find(m, fkey, klen + sizeof MEM_FENCE_SUFFIX - 1, now);
	if (e && e->vlen <= MEM_FENCE_DIGITS) {
		memcpy(buf, e->val, e->vlen);
		buf[e->vlen] = '\0';
		f = strtoull(buf, NULL, 10);
	}
	n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)(f + 1));
	if (!(v = malloc((size_t)n)))
		return CACHIFY_ENOMEM;
	memcpy(v, buf, (size_t)n);
	if (entry_store(m, fkey, klen + sizeof MEM_FENCE_SUFFIX - 1, v, (size_t)n, 0, false, now) < 0)
		return CACHIFY_ENOMEM;
	*fence = f + 1;
	return 0;
}

/* Whether a request can be granted now, queue aside. */
static bool rw_fits(struct mem *m, const char *key, size_t klen, bool shared, int64_t now)
{
	struct mem_entry *e = entry_find(m, key, klen, now);

	return !e || (shared && e->rd);
}

/* Makes the hold: a plain entry for a writer, one more reader for a
 * reader. 0 with g filled (token, fence), or ENOMEM. Locked. */
static int rw_hold(struct mem *m, const char *key, size_t klen, bool shared, int64_t ttl_ms,
		   int64_t now, struct backend_grant *g)
{
	char tok[LC_TOKEN_HEX + 1];
	struct mem_entry *e;
	int rc;

	memset(g, 0, sizeof *g);
	if ((rc = lc_token_make(tok)) != 0)
		return rc;
	if (!(g->id = strdup(tok)))
		return CACHIFY_ENOMEM;
	g->idlen = LC_TOKEN_HEX;
	if ((rc = fence_bump(m, key, klen, now, &g->fence)) != 0)
		goto fail;
	e = entry_find(m, key, klen, now);
	if (!e) {
		char *v = strdup(tok);

		if (!v || (rc = entry_store(m, key, klen, v, LC_TOKEN_HEX, shared ? 0 : expiry_ms(ttl_ms, now),
					    false, now)) < 0) {
			rc = CACHIFY_ENOMEM;
			goto fail;
		}
		if (!shared)
			return 0;
		e = entry_find(m, key, klen, now);
	}
	if (e->nrd == e->rdcap) {
		size_t cap = e->rdcap ? e->rdcap * 2 : 4;
		struct mem_reader *rd = realloc(e->rd, cap * sizeof *rd);

		if (!rd) {
			rc = CACHIFY_ENOMEM;
			if (!e->nrd)
				entry_drop(m, e);
			goto fail;
		}
		e->rd = rd;
		e->rdcap = cap;
	}
	memcpy(e->rd[e->nrd].tok, tok, sizeof tok);
	e->rd[e->nrd++].expires_ms = expiry_ms(ttl_ms, now);
	readers_expiry(e);
	return 0;
fail:
	lc_grant_clear(g);
	return rc;
}

static void waiter_unlink(struct mem *m, struct mem_waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		m->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		m->wtail = w->prev;
	w->next = w->prev = NULL;
}

static bool waiter_on(const struct mem_waiter *w, const char *key, size_t klen)
{
	return w->klen == klen && memcmp(w->key, key, klen) == 0;
}

/* Grants the waiters at the head of key's queue that fit now: a writer,
 * or a run of readers. Locked. */
static void rw_wake(struct mem *m, const char *key, size_t klen, int64_t now)
{
	struct mem_waiter *w = m->waiters, *next;

	for (; w; w = next) {
		next = w->next;
		if (!waiter_on(w, key, klen))
			continue;
		if (!rw_fits(m, key, klen, w->shared, now))
			return;
		waiter_unlink(m, w);
		w->rc = rw_hold(m, key, klen, w->shared, w->ttl_ms, now, w->g);
		w->granted = true;
		pthread_cond_signal(&w->cv);
		if (!w->shared)
			return;
	}
}

static bool rw_queued(struct mem *m, const char *key, size_t klen)
{
	for (struct mem_waiter *w = m->waiters; w; w = w->next)
		if (waiter_on(w, key, klen))
			return true;
	return false;
}

/* When a wait on key must look again by itself: its holder's expiry,
 * bounded by MEM_RECHECK_MS and the deadline (< 0: none). */
static int64_t rw_recheck_at(struct mem *m, const char *key, size_t klen, int64_t now,
			     int64_t deadline)
{
	struct mem_entry *e = entry_find(m, key, klen, now);
	int64_t at = now + MEM_RECHECK_MS;

	if (e && e->rd) {
		for (size_t i = 0; i < e->nrd; i++)
			if (e->rd[i].expires_ms && e->rd[i].expires_ms < at)
				at = e->rd[i].expires_ms;
	} else if (e && e->expires_ms && e->expires_ms < at) {
		at = e->expires_ms;
	}
	return deadline >= 0 && deadline < at ? deadline : at;
}

static void cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t at_ms)
{
	struct timespec ts = { .tv_sec = at_ms / 1000, .tv_nsec = (at_ms % 1000) * 1000000L };

	pthread_cond_timedwait(cv, mu, &ts);
}

/* Queues w and sleeps until it is granted or the deadline passes. */
static int rw_wait(struct mem *m, struct mem_waiter *w, int64_t deadline, double timeout)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	w->prev = m->wtail;
	if (m->wtail)
		m->wtail->next = w;
	else
		m->waiters = w;
	m->wtail = w;
	for (;;) {
		int64_t now = lc_clock_ms();

		if (!w->granted)
			rw_wake(m, w->key, w->klen, now); /* a holder may have expired */
		if (w->granted)
			break;
		if (deadline >= 0 && now >= deadline) {
			waiter_unlink(m, w);
			rw_wake(m, w->key, w->klen, now); /* those behind it may fit now */
			w->rc = lc_set_error(CACHIFY_ETIMEOUT, "%.*s: still locked after %.3f s",
					     (int)w->klen, w->key, timeout);
			break;
		}
		cond_wait_until(&w->cv, &m->mu, rw_recheck_at(m, w->key, w->klen, now, deadline));
	}
	pthread_cond_destroy(&w->cv);
	return w->rc;
}

static int rw_acquire(void *ctx, const char *key, size_t klen, int64_t ttl_ms,
		      const struct backend_wait *bw, struct backend_grant *g)
{
	struct mem *m = ctx;
	struct mem_waiter w = { .key = key, .klen = klen, .shared = bw->shared, .ttl_ms = ttl_ms,
				.g = g };
	int64_t now = lc_clock_ms(), deadline = -1;
	int rc;

	memset(g, 0, sizeof *g);
	if (!bw->nowait && bw->timeout >= 0)
		deadline = now + (int64_t)(bw->timeout * 1000.0 + 0.999);
	pthread_mutex_lock(&m->mu);
	if (!rw_queued(m, key, klen) && rw_fits(m, key, klen, bw->shared, now))
		rc = rw_hold(m, key, klen, bw->shared, ttl_ms, now, g);
	else if (bw->nowait)
		rc = lc_set_error(CACHIFY_ELOCKED, "%.*s is locked", (int)klen, key);
	else
		rc = rw_wait(m, &w, deadline, bw->timeout);
	pthread_mutex_unlock(&m->mu);
	if (rc == CACHIFY_ENOMEM)
		lc_set_error(rc, "memory client: out of memory");
	return rc;
}

/* The hold g names in e: the reader's index, or -1 for the writer's
 * entry itself; -2 when g holds nothing here. */
static long rw_find(const struct mem_entry *e, const struct backend_grant *g)
{
	if (!e || !g->id || g->idlen != LC_TOKEN_HEX)
		return -2;
	if (!e->rd)
		return e->vlen == g->idlen && memcmp(e->val, g->id, g->idlen) == 0 ? -1 : -2;
	for (size_t i = 0; i < e->nrd; i++)
		if (memcmp(e->rd[i].tok, g->id, LC_TOKEN_HEX) == 0)
			return (long)i;
	return -2;
}

static int not_owner(const char *key, size_t klen)
{
	return lc_set_error(CACHIFY_ENOTOWNER, "%.*s: not held by this token (expired or taken over)",
			    (int)klen, key);
}

static int rw_release(void *ctx, const char *key, size_t klen, const struct backend_grant *g)
{
	struct mem *m = ctx;
	int64_t now = lc_clock_ms();
	struct mem_entry *e;
	long i;
	int rc = 0;

	pthread_mutex_lock(&m->mu);
	e = entry_find(m, key, klen, now);
	i = rw_find(e, g);
	if (i == -2) {
		rc = not_owner(key, klen);
	} else if (i == -1 || e->nrd == 1) {
		entry_drop(m, e);
	} else {
		e->rd[i] = e->rd[--e->nrd];
		readers_expiry(e);
	}
	if (rc == 0)
		rw_wake(m, key, klen, now);
	pthread_mutex_unlock(&m->mu);
	return rc;
}

static int rw_renew(void *ctx, const char *key, size_t klen, const struct backend_grant *g,
		    int64_t ttl_ms)
{
	struct mem *m = ctx;
	int64_t now = lc_clock_ms();
	struct mem_entry *e;
	long i;
	int rc = 0;

	pthread_mutex_lock(&m->mu);
	e = entry_find(m, key, klen, now);
	i = rw_find(e, g);
	if (i == -2) {
		rc = not_owner(key, klen);
	} else if (i == -1) {
		e->expires_ms = expiry_ms(ttl_ms, now);
	} else {
		e->rd[i].expires_ms = expiry_ms(ttl_ms, now);
		readers_expiry(e);
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}

static void mem_destroy(void *ctx)
{
	struct mem *m = ctx;
	struct mem_entry *e, *tmp;

	HASH_ITER(hh, m->map, e, tmp) {
		entry_drop(m, e);
	}
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static const struct backend_ops memory_ops = {
	.name = "memory",
	.get = mem_get,
	.set = mem_set,
	.del = mem_del,
	.destroy = mem_destroy,
	.rw_acquire = rw_acquire,
	.rw_release = rw_release,
	.rw_renew = rw_renew,
};

const struct backend_ops *lc_memory_ops(void)
{
	return &memory_ops;
}

cachify_client *cachify_client_memory(void)
{
	struct mem *m = calloc(1, sizeof *m);

	if (!m) {
		lc_set_error(CACHIFY_ENOMEM, "out of memory creating a memory client");
		return NULL;
	}
	pthread_mutex_init(&m->mu, NULL);
	return lc_client_new(&memory_ops, m);
}
