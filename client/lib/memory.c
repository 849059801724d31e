/* memory.c - the in-process memory client (the reference's default when no
 * client is given): a uthash map of binary-safe keys and values behind one
 * mutex, atomic SET NX, and lazy expiry on CLOCK_MONOTONIC (a read or write
 * of an expired key drops it; an amortized sweep drops the ones nobody
 * touches). It has no native lock or pool operations: generic.c runs the
 * reference's algorithms over it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "clock.h"

/* uthash must never exit(): a failed add sets the caller's local `oom`. */
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (oom = 1)
#include <uthash.h>

#define MEM_SWEEP_MIN 1024 /* writes between sweeps, at least (else the map's size) */

struct mem_entry {
	UT_hash_handle hh;
	char *val; /* malloc'ed, vlen bytes */
	size_t vlen;
	int64_t expires_ms; /* monotonic; 0 = never */
	size_t klen;
	char key[]; /* klen bytes */
};

struct mem {
	pthread_mutex_t mu;
	struct mem_entry *map;
	size_t writes; /* since the last sweep */
};

static bool entry_expired(const struct mem_entry *e, int64_t now)
{
	return e->expires_ms && e->expires_ms <= now;
}

static void entry_drop(struct mem *m, struct mem_entry *e)
{
	HASH_DELETE(hh, m->map, e);
	free(e->val);
	free(e);
}

/* The live entry for name, dropping it if it has expired. Locked. */
static struct mem_entry *entry_find(struct mem *m, const char *name, size_t nlen, int64_t now)
{
	struct mem_entry *e;

	HASH_FIND(hh, m->map, name, nlen, e);
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

static int mem_set(void *ctx, const char *name, size_t nlen, const char *value, size_t len,
		   int64_t ex, bool nx)
{
	struct mem *m = ctx;
	struct mem_entry *e;
	char *v;
	int64_t now = lc_clock_ms();
	int64_t expires = 0;
	int oom = 0;

	/* An expiry too far to count in ms is as good as none. */
	if (ex > 0 && ex < (INT64_MAX - now) / 1000)
		expires = now + ex * 1000;
	v = malloc(len ? len : 1);
	if (!v)
		return lc_set_error(CACHIFY_ENOMEM, "memory client: out of memory");
	memcpy(v, value, len);

	pthread_mutex_lock(&m->mu);
	e = entry_find(m, name, nlen, now);
	if (e && nx) {
		pthread_mutex_unlock(&m->mu);
		free(v);
		return 0;
	}
	if (!e) {
		e = malloc(sizeof *e + nlen);
		if (!e)
			goto nomem;
		memcpy(e->key, name, nlen);
		e->klen = nlen;
		e->val = NULL;
		HASH_ADD_KEYPTR(hh, m->map, e->key, e->klen, e);
		if (oom) {
			free(e);
			goto nomem;
		}
	}
	free(e->val);
	e->val = v;
	e->vlen = len;
	e->expires_ms = expires;
	maybe_sweep(m, now);
	pthread_mutex_unlock(&m->mu);
	return 1;

nomem:
	pthread_mutex_unlock(&m->mu);
	free(v);
	return lc_set_error(CACHIFY_ENOMEM, "memory client: out of memory");
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
		}
	}
	pthread_mutex_unlock(&m->mu);
	return count;
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
