/* instance.h - what cachify.c (instances, keys, TTLs, cached) and
 * lockpool.c (lock, once, pool) share: the instance struct, the global
 * instance's reference counting, key formatting, the tri-state rules, and
 * taking/giving a lock natively or generically. Internal; not installed.
 */
#ifndef CACHIFY_INSTANCE_H
#define CACHIFY_INSTANCE_H

#include <stdarg.h>

#include "backend.h"

#define LC_SUFFIX_CACHED "-cached"
#define LC_SUFFIX_LOCK	 "-lock"
#define LC_SUFFIX_ONCE	 "-once"
#define LC_SUFFIX_POOL	 "-pool"
/* cached's fill lock: key + "-cached" + this. No user key can end in it:
 * every key the API writes ends in one of the four suffixes above. */
#define LC_SUFFIX_FILL	 "-fill"
#define LC_FILL_EXP_S	 30 /* s a fill lock lives when locks never expire */
#define LC_TTL_MAX_S	 ((int64_t)1 << 40) /* s; keeps ms arithmetic far from overflow */

/* Immutable after cachify_init, but for refs. */
struct cachify {
	cachify_client *cl; /* one reference held */
	char *prefix;	    /* NUL-terminated copy */
	size_t plen;
	int64_t lock_exp_s;  /* 0 = never */
	int64_t cache_ttl_s; /* 0 = never */
	int64_t slot_exp_s;  /* 0 = never */
	double poll_s;	     /* > 0 */
	int refs;	     /* atomic: the owner's, plus global calls in flight */
	cachify_async_client *ac;  /* one reference held, or NULL: no async face */
	struct cachify_aop *aops;  /* pending async operations (the loop's thread) */
};

/* A pool description (lockpool.c; async.c reads it too). */
struct cachify_pool {
	cachify_client *cl; /* one reference held */
	cachify_async_client *ac; /* one reference held, or NULL */
	char *key;
	size_t klen;
	long max_size;
	int64_t slot_exp_s; /* resolved; 0 = never */
	bool raise_on_full;
	cachify_run_fn *on_full;
	double poll_s;
	double timeout; /* pooled's wait for a slot: s, 0 none, CACHIFY_WAIT_FOREVER */
};

/* The instance a call works on: c itself, or (c NULL) the global one with a
 * reference taken, so cachify_init/cachify_global_free replacing it cannot
 * free it under the call. 0 or ENOTINIT. Pair with lc_instance_put(c, *in). */
int lc_instance_get(cachify *c, cachify **in);
void lc_instance_put(cachify *c, cachify *in);

/* prefix + printf(fmt, ap) + suffix, NUL-terminated, new (free()). */
int lc_key_v(const cachify *in, const char *suffix, const char *fmt, va_list ap, char **key,
	     size_t *klen);

/* The tri-state: CACHIFY_TTL_DEFAULT -> dflt_s, CACHIFY_TTL_NEVER -> 0
 * (never), N > 0 -> N; anything else EINVAL (what names the parameter). */
int lc_ttl_resolve(int64_t v, int64_t dflt_s, int64_t *out_s, const char *what);

/* A wait is valid: nowait, or a timeout >= 0 or CACHIFY_WAIT_FOREVER. */
int lc_wait_check(const struct backend_wait *w);

/* The fill lock's expiry (s) of cached on an instance. */
static inline int64_t lc_fill_exp_s(const cachify *in)
{
	return in->lock_exp_s ? in->lock_exp_s : LC_FILL_EXP_S;
}

/* Takes the lock at key with the backend's native operation when it has
 * one, else generic.c's (fence only computed when want_fence). ex_s 0 =
 * never. May block. */
int lc_lock_take(cachify_client *cl, const char *key, size_t klen, int64_t ex_s,
		 const struct backend_wait *w, double poll_s, bool want_fence,
		 struct backend_grant *g);
/* Releases (owner-checked), ends a native session, clears g: 0/ENOTOWNER. */
int lc_lock_give(cachify_client *cl, const char *key, size_t klen, struct backend_grant *g);
/* Renews g's hold to ex_s (0 = never) from now: 0, ENOTOWNER, ELOST... */
int lc_lock_extend(cachify_client *cl, const char *key, size_t klen, const struct backend_grant *g,
		   int64_t ex_s);

#endif /* CACHIFY_INSTANCE_H */
