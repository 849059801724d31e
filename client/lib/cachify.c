/* cachify.c - init_cachify in C: options and their defaults, instances and
 * the global one, key formatting, the tri-state TTL rules, and cached
 * (get-or-compute with stampede protection). Locks, once and pools are in
 * lockpool.c; backends in memory.c, daemon.c and core.c.
 *
 * Thread safety: an instance never changes after cachify_init. The global
 * pointer does; it is guarded by a mutex, and a call on the global instance
 * holds a reference for its duration, so replacing or freeing the global
 * instance while calls run on it is safe (they finish on the old one).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gmach.h"
#include "abackend.h"
#include "instance.h"

#define DEFAULT_LOCK_EXP_S  30
#define DEFAULT_PREFIX	    "PYC-"
#define DEFAULT_POLL_S	    0.1
#define DEFAULT_SLOT_EXP_S  600

static pthread_mutex_t global_mu = PTHREAD_MUTEX_INITIALIZER;
static cachify *global; /* guarded by global_mu */

/* ---- instances ---------------------------------------------------------- */

void cachify_options_init(struct cachify_options *o)
{
	if (!o)
		return;
	memset(o, 0, sizeof *o);
	o->sync_client = NULL;
	o->async_client = NULL;
	o->default_lock_expiration = DEFAULT_LOCK_EXP_S;
	o->default_cache_ttl = CACHIFY_TTL_NEVER;
	o->prefix = DEFAULT_PREFIX;
	o->lock_poll_interval = DEFAULT_POLL_S;
	o->default_pool_slot_expiration = DEFAULT_SLOT_EXP_S;
	o->is_global = true;
}

static void instance_unref(cachify *in)
{
	if (!in || __atomic_sub_fetch(&in->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* Pending async operations end now, each with one ECANCELED callback. */
	lc_async_instance_gone(in);
	cachify_async_client_free(in->ac);
	cachify_client_free(in->cl);
	free(in->prefix);
	free(in);
}

int lc_ttl_resolve(int64_t v, int64_t dflt_s, int64_t *out_s, const char *what)
{
	if (v == CACHIFY_TTL_DEFAULT)
		*out_s = dflt_s;
	else if (v == CACHIFY_TTL_NEVER)
		*out_s = 0;
	else if (v > 0 && v <= LC_TTL_MAX_S)
		*out_s = v;
	else
		return lc_set_error(CACHIFY_EINVAL,
				    "%s: %lld is not a number of seconds > 0, CACHIFY_TTL_DEFAULT "
				    "or CACHIFY_TTL_NEVER",
				    what, (long long)v);
	return 0;
}

int lc_wait_check(const struct backend_wait *w)
{
	if (w->nowait || w->timeout == CACHIFY_WAIT_FOREVER ||
	    (w->timeout >= 0 && w->timeout <= (double)LC_TTL_MAX_S))
		return 0;
	return lc_set_error(CACHIFY_EINVAL, "timeout: %g is not >= 0 or CACHIFY_WAIT_FOREVER",
			    w->timeout);
}

int cachify_init(const struct cachify_options *o, cachify **out)
{
	struct cachify_options defaults;
	cachify *in, *old;
	int rc;

	if (out)
		*out = NULL;
	if (!o) {
		cachify_options_init(&defaults);
		o = &defaults;
	}
	if (!o->is_global && !out)
		return lc_set_error(CACHIFY_EINVAL,
				    "an instance (is_global false) needs out: it is the caller's");
	if (!(o->lock_poll_interval > 0 && o->lock_poll_interval <= (double)LC_TTL_MAX_S))
		return lc_set_error(CACHIFY_EINVAL, "lock_poll_interval: %g is not > 0",
				    o->lock_poll_interval);
	in = calloc(1, sizeof *in);
	if (!in)
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	in->refs = 1;
	in->poll_s = o->lock_poll_interval;
	/* "Not given" at init means the reference's own default. */
	rc = lc_ttl_resolve(o->default_lock_expiration, DEFAULT_LOCK_EXP_S, &in->lock_exp_s,
			    "default_lock_expiration");
	if (rc == 0)
		rc = lc_ttl_resolve(o->default_cache_ttl, 0, &in->cache_ttl_s, "default_cache_ttl");
	if (rc == 0)
		rc = lc_ttl_resolve(o->default_pool_slot_expiration, DEFAULT_SLOT_EXP_S,
				    &in->slot_exp_s, "default_pool_slot_expiration");
	if (rc) {
		free(in);
		return rc;
	}
	in->prefix = strdup(o->prefix ? o->prefix : DEFAULT_PREFIX);
	if (!in->prefix) {
		free(in);
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	}
	in->plen = strlen(in->prefix);
	if (o->sync_client) {
		lc_client_ref(o->sync_client);
		in->cl = o->sync_client;
	} else {
		in->cl = cachify_client_memory();
		if (!in->cl) {
			free(in->prefix);
			free(in);
			return CACHIFY_ENOMEM;
		}
	}

	/* The reference's defaulting: an async face over the same memory
	 * client, or over a new one when the sync client is something else. */
	if (o->async_client) {
		lc_aclient_ref(o->async_client);
		in->ac = o->async_client;
	} else if (o->event_base) {
		in->ac = cachify_async_client_memory(o->event_base,
						     in->cl->ops == lc_memory_ops() ? in->cl : NULL);
		if (!in->ac) {
			cachify_client_free(in->cl);
			free(in->prefix);
			free(in);
			return CACHIFY_ENOMEM;
		}
	}

	if (o->is_global) {
		pthread_mutex_lock(&global_mu);
		old = global;
		global = in;
		pthread_mutex_unlock(&global_mu);
		instance_unref(old);
	}
	if (out)
		*out = in;
	return 0;
}

void cachify_global_free(void)
{
	cachify *old;

	pthread_mutex_lock(&global_mu);
	old = global;
	global = NULL;
	pthread_mutex_unlock(&global_mu);
	instance_unref(old);
}

void cachify_free(cachify *c)
{
	bool was_global;

	if (!c)
		return;
	pthread_mutex_lock(&global_mu);
	was_global = c == global;
	if (was_global)
		global = NULL;
	pthread_mutex_unlock(&global_mu);
	instance_unref(c);
}

int lc_instance_get(cachify *c, cachify **in)
{
	if (c) {
		*in = c;
		return 0;
	}
	pthread_mutex_lock(&global_mu);
	*in = global;
	if (global)
		__atomic_fetch_add(&global->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&global_mu);
	if (!*in)
		return lc_set_error(CACHIFY_ENOTINIT,
				    "cachify is not initialized: call cachify_init with is_global "
				    "first (CachifyInitError)");
	return 0;
}

void lc_instance_put(cachify *c, cachify *in)
{
	if (!c)
		instance_unref(in);
}

/* The accessors borrow from the global instance without a reference: the
 * header's rule (no cachify_init/global_free racing with its users) covers
 * them. */
cachify_client *cachify_get_client(cachify *c)
{
	cachify *in;
	cachify_client *cl;

	if (lc_instance_get(c, &in))
		return NULL;
	cl = in->cl;
	lc_instance_put(c, in);
	return cl;
}

const char *cachify_get_prefix(cachify *c)
{
	cachify *in;
	const char *p;

	if (lc_instance_get(c, &in))
		return NULL;
	p = in->prefix;
	lc_instance_put(c, in);
	return p;
}

int lc_key_v(const cachify *in, const char *suffix, const char *fmt, va_list ap, char **key,
	     size_t *klen)
{
	size_t slen = strlen(suffix);
	va_list ap2;
	char *k;
	int n;

	*key = NULL;
	if (!fmt)
		return lc_set_error(CACHIFY_EINVAL, "key format is NULL");
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return lc_set_error(CACHIFY_EINVAL, "key format \"%s\" failed", fmt);
	k = malloc(in->plen + (size_t)n + slen + 1);
	if (!k)
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	memcpy(k, in->prefix, in->plen);
	vsnprintf(k + in->plen, (size_t)n + 1, fmt, ap);
	memcpy(k + in->plen + n, suffix, slen + 1);
	*key = k;
	*klen = in->plen + (size_t)n + slen;
	return 0;
}

/* ---- taking and giving locks: native when the backend has them ---------- */

int lc_lock_take(cachify_client *cl, const char *key, size_t klen, int64_t ex_s,
		 const struct backend_wait *w, double poll_s, bool want_fence,
		 struct backend_grant *g)
{
	const struct backend_ops *ops = cl->ops;

	memset(g, 0, sizeof *g);
	if (ops->lock_acquire)
		return ops->lock_acquire(cl->ctx, key, klen, ex_s ? ex_s * 1000 : -1, w, g);
	if (ops->rw_acquire)
		return ops->rw_acquire(cl->ctx, key, klen, ex_s ? ex_s * 1000 : -1, w, g);
	if (w->shared)
		return lc_set_error(CACHIFY_ENOTSUP,
				    "%s client: no shared locks (SET NX cannot count readers)",
				    ops->name);
	return lc_generic_lock_acquire(cl, key, klen, ex_s, w, poll_s, want_fence, g);
}

int lc_lock_extend(cachify_client *cl, const char *key, size_t klen, const struct backend_grant *g,
		   int64_t ex_s)
{
	const struct backend_ops *ops = cl->ops;

	if (ops->lock_acquire && !ops->lock_renew)
		return lc_set_error(CACHIFY_EINVAL, "%s client: no lock renew", ops->name);
	if (ops->lock_acquire)
		return ops->lock_renew(cl->ctx, key, klen, g, ex_s ? ex_s * 1000 : -1);
	if (ops->rw_renew)
		return ops->rw_renew(cl->ctx, key, klen, g, ex_s ? ex_s * 1000 : -1);
	return lc_generic_lock_renew(cl, key, klen, g, ex_s);
}

int lc_lock_give(cachify_client *cl, const char *key, size_t klen, struct backend_grant *g)
{
	const struct backend_ops *ops = cl->ops;
	int rc;

	if (ops->lock_acquire) {
		rc = ops->lock_release ? ops->lock_release(cl->ctx, key, klen, g)
				       : lc_set_error(CACHIFY_EINVAL, "%s client: no lock release",
						      ops->name);
		if (g->session && ops->session_end)
			ops->session_end(cl->ctx, g->session);
	} else if (ops->rw_release) {
		rc = ops->rw_release(cl->ctx, key, klen, g);
	} else {
		rc = lc_generic_lock_release(cl, key, klen, g);
	}
	lc_grant_clear(g);
	return rc;
}

/* ---- cached ------------------------------------------------------------- */

int cachify_cached(cachify *c, const struct cachify_cached_options *opts, cachify_compute_fn *fn,
		   void *arg, int *fn_err, char **value, size_t *len, const char *keyfmt, ...)
{
	struct lc_cached m;
	cachify *in;
	char *key = NULL;
	size_t klen;
	int64_t ttl_s = 0;
	va_list ap;
	int rc;

	if (fn_err)
		*fn_err = 0;
	if (value)
		*value = NULL;
	if (len)
		*len = 0;
	if (!fn || !value || !len)
		return lc_set_error(CACHIFY_EINVAL, "cached: fn, value and len are required");
	rc = lc_instance_get(c, &in);
	if (rc)
		return rc;
	rc = lc_ttl_resolve(opts ? opts->ttl : CACHIFY_TTL_DEFAULT, in->cache_ttl_s, &ttl_s, "ttl");
	if (rc == 0) {
		va_start(ap, keyfmt);
		rc = lc_key_v(in, LC_SUFFIX_CACHED, keyfmt, ap, &key, &klen);
		va_end(ap);
	}
	if (rc == 0) {
		/* gmach.c's get-or-compute, shared with cachify_async_cached. */
		lc_cached_init(&m, in->cl->ops->lock_acquire != NULL, key, klen, ttl_s,
			       lc_fill_exp_s(in), in->poll_s, opts ? opts->codec : NULL);
		rc = lc_mach_run(in->cl, &m.m, fn, arg);
		if (rc == 0)
			lc_cached_take(&m, value, len);
		else if (rc == CACHIFY_ECALLBACK && fn_err)
			*fn_err = m.fn_err;
		lc_cached_clear(&m);
	}
	free(key);
	lc_instance_put(c, in);
	return rc;
}

int cachify_cached_reset(cachify *c, const char *keyfmt, ...)
{
	cachify *in;
	char *key;
	size_t klen;
	va_list ap;
	int rc = lc_instance_get(c, &in);

	if (rc)
		return rc;
	va_start(ap, keyfmt);
	rc = lc_key_v(in, LC_SUFFIX_CACHED, keyfmt, ap, &key, &klen);
	va_end(ap);
	if (rc == 0) {
		rc = cachify_client_del(in->cl, 1, (const char *const *)&key, &klen);
		free(key);
	}
	lc_instance_put(c, in);
	return rc < 0 ? rc : 0;
}
