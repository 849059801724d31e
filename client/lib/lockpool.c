/* lockpool.c - the reference's lock, once, pool and pooled over any client:
 * the backend's native operations when it has them (cachifyd), else
 * generic.c's algorithms over get/set/delete. Handles (locks, pools, slots)
 * hold their own client reference and copies of what they need, never the
 * instance, so freeing an instance does not invalidate them.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "abackend.h"
#include "instance.h"
#include "renew.h"

struct cachify_lock {
	cachify_client *cl; /* one reference held */
	char *key;	    /* full key, NUL-terminated */
	size_t klen;
	struct backend_grant g;	 /* token, fence, native session */
	double poll_s;
	int64_t default_exp_s; /* the instance's, for renew(CACHIFY_TTL_DEFAULT); 0 = never */
	struct lc_renewal rn;  /* auto_renew's registration (rn.on) */
};

struct cachify_slot {
	cachify_client *cl; /* one reference held */
	char *key;
	size_t klen;
	struct backend_grant g; /* slot id, fence, native session */
	double poll_s;
};

/* ---- lock --------------------------------------------------------------- */

void cachify_lock_options_init(struct cachify_lock_options *o)
{
	if (!o)
		return;
	o->nowait = true;
	o->timeout = CACHIFY_WAIT_FOREVER;
	o->exp = CACHIFY_TTL_DEFAULT;
	o->auto_renew = false;
	o->shared = false;
	o->on_lost = NULL;
	o->on_lost_arg = NULL;
}

/* Starts auto-renewing the hold g at key (to ex_s, every ex_s/3) when the
 * options ask and it expires at all. */
static int renew_begin(cachify_client *cl, const struct cachify_lock_options *opts,
		       const char *key, size_t klen, struct backend_grant *g, int64_t ex_s,
		       struct lc_renewal *r)
{
	memset(r, 0, sizeof *r);
	if (!opts || !opts->auto_renew || ex_s == 0)
		return 0;
	r->key = key;
	r->klen = klen;
	r->g = g;
	r->ex_s = ex_s;
	r->on_lost = opts->on_lost;
	r->on_lost_arg = opts->on_lost_arg;
	return lc_renew_start(cl, r);
}

/* Resolves a lock's key and options on an instance. */
static int lock_prepare(cachify *in, const struct cachify_lock_options *opts, const char *suffix,
			const char *keyfmt, va_list ap, char **key, size_t *klen, int64_t *ex_s,
			struct backend_wait *w)
{
	struct cachify_lock_options d;
	int rc;

	if (!opts) {
		cachify_lock_options_init(&d);
		opts = &d;
	}
	w->nowait = opts->nowait;
	w->timeout = opts->timeout;
	w->shared = opts->shared;
	rc = lc_wait_check(w);
	if (rc == 0)
		rc = lc_ttl_resolve(opts->exp, in->lock_exp_s, ex_s, "exp");
	if (rc == 0)
		rc = lc_key_v(in, suffix, keyfmt, ap, key, klen);
	return rc;
}

int cachify_lock_acquire(cachify *c, const struct cachify_lock_options *opts, cachify_lock **out,
			 const char *keyfmt, ...)
{
	struct backend_wait w;
	cachify_lock *l;
	cachify *in;
	va_list ap;
	int64_t ex_s;
	int rc;

	if (!out)
		return lc_set_error(CACHIFY_EINVAL, "lock acquire: out is required");
	*out = NULL;
	rc = lc_instance_get(c, &in);
	if (rc)
		return rc;
	l = calloc(1, sizeof *l);
	if (!l) {
		lc_instance_put(c, in);
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	}
	va_start(ap, keyfmt);
	rc = lock_prepare(in, opts, LC_SUFFIX_LOCK, keyfmt, ap, &l->key, &l->klen, &ex_s, &w);
	va_end(ap);
	if (rc == 0)
		rc = lc_lock_take(in->cl, l->key, l->klen, ex_s, &w, in->poll_s, true, &l->g);
	if (rc == 0 && (rc = renew_begin(in->cl, opts, l->key, l->klen, &l->g, ex_s, &l->rn)) != 0)
		lc_lock_give(in->cl, l->key, l->klen, &l->g);
	if (rc) {
		free(l->key);
		free(l);
		lc_instance_put(c, in);
		return rc;
	}
	lc_client_ref(in->cl);
	l->cl = in->cl;
	l->poll_s = in->poll_s;
	l->default_exp_s = in->lock_exp_s;
	lc_instance_put(c, in);
	*out = l;
	return 0;
}

int cachify_lock_release(cachify_lock *l)
{
	int rc;

	if (!l)
		return 0;
	lc_renew_stop(l->cl, &l->rn);
	rc = lc_lock_give(l->cl, l->key, l->klen, &l->g);
	cachify_client_free(l->cl);
	free(l->key);
	free(l);
	return rc;
}

int cachify_lock_renew(cachify_lock *l, int64_t exp)
{
	int64_t ex_s;
	int rc;

	if (!l)
		return lc_set_error(CACHIFY_EINVAL, "lock renew: NULL lock");
	rc = lc_ttl_resolve(exp, l->default_exp_s, &ex_s, "exp");
	if (rc)
		return rc;
	/* Never on the wire together with the renewer's (one connection). */
	lc_renew_hold(l->cl, &l->rn);
	rc = lc_lock_extend(l->cl, l->key, l->klen, &l->g, ex_s);
	if (rc == 0 && ex_s > 0)
		l->rn.ex_s = ex_s; /* the watchdog keeps the new TTL */
	lc_renew_unhold(l->cl, &l->rn, rc);
	return rc;
}

bool cachify_lock_lost(const cachify_lock *l)
{
	return l && lc_renew_lost(&l->rn);
}

uint64_t cachify_lock_fence(const cachify_lock *l)
{
	return l ? l->g.fence : 0;
}

const char *cachify_lock_key(const cachify_lock *l)
{
	return l ? l->key : NULL;
}

/* Runs op on the instance's key for suffix: GET (is_locked) or DEL. */
static int key_op(cachify *c, bool del, const char *suffix, const char *keyfmt, va_list ap)
{
	cachify *in;
	char *key, *v = NULL;
	size_t klen, vlen;
	int rc = lc_instance_get(c, &in);

	if (rc)
		return rc;
	rc = lc_key_v(in, suffix, keyfmt, ap, &key, &klen);
	if (rc == 0) {
		if (del) {
			rc = cachify_client_del(in->cl, 1, (const char *const *)&key, &klen);
			rc = rc < 0 ? rc : 0;
		} else {
			rc = cachify_client_get(in->cl, key, klen, &v, &vlen);
			free(v);
		}
		free(key);
	}
	lc_instance_put(c, in);
	return rc;
}

int cachify_is_locked(cachify *c, const char *keyfmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, keyfmt);
	rc = key_op(c, false, LC_SUFFIX_LOCK, keyfmt, ap);
	va_end(ap);
	return rc;
}

int cachify_lock_force_release(cachify *c, const char *keyfmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, keyfmt);
	rc = key_op(c, true, LC_SUFFIX_LOCK, keyfmt, ap);
	va_end(ap);
	return rc;
}

/* Takes the lock, runs fn (auto-renewed when opts ask), gives the lock
 * back. A lost lock (expired while fn ran, or found lost by the renewer)
 * is ENOTOWNER (or ELOST) after fn ran; *ran says whether it did. */
static int run_locked(cachify *in, const struct cachify_lock_options *opts, const char *key,
		      size_t klen, int64_t ex_s, const struct backend_wait *w, cachify_run_fn *fn,
		      void *arg, int *fn_ret, bool *ran)
{
	struct backend_grant g;
	struct lc_renewal rn;
	int rc, r;

	rc = lc_lock_take(in->cl, key, klen, ex_s, w, in->poll_s, false, &g);
	if (rc == 0 && (rc = renew_begin(in->cl, opts, key, klen, &g, ex_s, &rn)) != 0)
		lc_lock_give(in->cl, key, klen, &g);
	if (rc)
		return rc;
	r = fn(arg);
	*ran = true;
	if (fn_ret)
		*fn_ret = r;
	lc_renew_stop(in->cl, &rn);
	rc = lc_lock_give(in->cl, key, klen, &g);
	if (rc == 0 && lc_renew_lost(&rn))
		rc = lc_set_error(CACHIFY_ENOTOWNER, "%s: lost while fn ran", key);
	return rc;
}

int cachify_lock_run(cachify *c, const struct cachify_lock_options *opts, cachify_run_fn *fn,
		     void *arg, int *fn_ret, const char *keyfmt, ...)
{
	struct backend_wait w;
	cachify *in;
	char *key = NULL;
	size_t klen;
	int64_t ex_s;
	va_list ap;
	bool ran = false;
	int rc;

	if (!fn)
		return lc_set_error(CACHIFY_EINVAL, "lock run: fn is required");
	rc = lc_instance_get(c, &in);
	if (rc)
		return rc;
	va_start(ap, keyfmt);
	rc = lock_prepare(in, opts, LC_SUFFIX_LOCK, keyfmt, ap, &key, &klen, &ex_s, &w);
	va_end(ap);
	if (rc == 0)
		rc = run_locked(in, opts, key, klen, ex_s, &w, fn, arg, fn_ret, &ran);
	free(key);
	lc_instance_put(c, in);
	return rc;
}

/* ---- once ----------------------------------------------------------------- */

int cachify_once(cachify *c, const struct cachify_once_options *opts, cachify_run_fn *fn, void *arg,
		 int *fn_ret, bool *ran, const char *keyfmt, ...)
{
	struct backend_wait w = { .nowait = true, .timeout = 0 };
	struct cachify_once_options d = { .raise_on_locked = false, .return_on_locked = 0 };
	cachify *in;
	char *key = NULL;
	size_t klen;
	va_list ap;
	bool did = false;
	int rc;

	if (ran)
		*ran = false;
	if (!fn)
		return lc_set_error(CACHIFY_EINVAL, "once: fn is required");
	if (!opts)
		opts = &d;
	rc = lc_instance_get(c, &in);
	if (rc)
		return rc;
	va_start(ap, keyfmt);
	rc = lc_key_v(in, LC_SUFFIX_ONCE, keyfmt, ap, &key, &klen);
	va_end(ap);
	if (rc == 0)
		rc = run_locked(in, NULL, key, klen, in->lock_exp_s, &w, fn, arg, fn_ret, &did);
	/* Only "someone else runs it" is ELOCKED: fn's own result went to
	 * *fn_ret above and never reaches this branch. */
	if (rc == CACHIFY_ELOCKED && !did && !opts->raise_on_locked) {
		if (fn_ret)
			*fn_ret = opts->return_on_locked;
		rc = 0;
	}
	if (ran)
		*ran = did;
	free(key);
	lc_instance_put(c, in);
	return rc;
}

int cachify_once_is_locked(cachify *c, const char *keyfmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, keyfmt);
	rc = key_op(c, false, LC_SUFFIX_ONCE, keyfmt, ap);
	va_end(ap);
	return rc;
}

int cachify_once_release(cachify *c, const char *keyfmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, keyfmt);
	rc = key_op(c, true, LC_SUFFIX_ONCE, keyfmt, ap);
	va_end(ap);
	return rc;
}

/* ---- pool / pooled ------------------------------------------------------ */

void cachify_pool_options_init(struct cachify_pool_options *o)
{
	if (!o)
		return;
	o->max_size = 0; /* required: the caller sets it */
	o->slot_exp = CACHIFY_TTL_DEFAULT;
	o->raise_on_full = false;
	o->on_full = NULL;
	o->timeout = 0;
}

cachify_pool *cachify_pool_new(cachify *c, const struct cachify_pool_options *opts,
			       const char *keyfmt, ...)
{
	cachify_pool *p;
	cachify *in;
	va_list ap;
	int rc;

	if (!opts || opts->max_size < 1) {
		lc_set_error(CACHIFY_EINVAL, "pool: max_size must be >= 1");
		return NULL;
	}
	if (!(opts->timeout >= 0 && opts->timeout <= (double)LC_TTL_MAX_S) &&
	    opts->timeout != CACHIFY_WAIT_FOREVER) {
		lc_set_error(CACHIFY_EINVAL, "pool: timeout %g is not >= 0 or CACHIFY_WAIT_FOREVER",
			     opts->timeout);
		return NULL;
	}
	if (lc_instance_get(c, &in))
		return NULL;
	p = calloc(1, sizeof *p);
	if (!p) {
		lc_instance_put(c, in);
		lc_set_error(CACHIFY_ENOMEM, "out of memory");
		return NULL;
	}
	rc = lc_ttl_resolve(opts->slot_exp, in->slot_exp_s, &p->slot_exp_s, "slot_exp");
	if (rc == 0) {
		va_start(ap, keyfmt);
		rc = lc_key_v(in, LC_SUFFIX_POOL, keyfmt, ap, &p->key, &p->klen);
		va_end(ap);
	}
	if (rc) {
		free(p);
		lc_instance_put(c, in);
		return NULL;
	}
	lc_client_ref(in->cl);
	p->cl = in->cl;
	if (in->ac) {
		lc_aclient_ref(in->ac);
		p->ac = in->ac;
	}
	p->max_size = opts->max_size;
	p->raise_on_full = opts->raise_on_full;
	p->on_full = opts->on_full;
	p->poll_s = in->poll_s;
	p->timeout = opts->timeout;
	lc_instance_put(c, in);
	return p;
}

void cachify_pool_free(cachify_pool *p)
{
	if (!p)
		return;
	cachify_client_free(p->cl);
	cachify_async_client_free(p->ac);
	free(p->key);
	free(p);
}

int cachify_pool_acquire(cachify_pool *p, cachify_slot **out)
{
	return cachify_pool_acquire_wait(p, 0, out);
}

const char *cachify_slot_id(const cachify_slot *s)
{
	return s ? s->g.id : NULL;
}

uint64_t cachify_slot_fence(const cachify_slot *s)
{
	return s ? s->g.fence : 0;
}

int cachify_pool_acquire_wait(cachify_pool *p, double timeout, cachify_slot **out)
{
	const struct backend_ops *ops;
	struct backend_wait w = { .nowait = timeout == 0, .timeout = timeout };
	cachify_slot *s;
	int rc;

	if (!p || !out)
		return lc_set_error(CACHIFY_EINVAL, "pool acquire: NULL argument");
	if (timeout < 0 && timeout != CACHIFY_WAIT_FOREVER)
		return lc_set_error(CACHIFY_EINVAL, "pool acquire: negative timeout");
	*out = NULL;
	s = calloc(1, sizeof *s);
	if (!s)
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	s->key = strdup(p->key);
	if (!s->key) {
		free(s);
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	}
	ops = p->cl->ops;
	if (ops->pool_acquire)
		rc = ops->pool_acquire(p->cl->ctx, p->key, p->klen, p->max_size,
				       p->slot_exp_s ? p->slot_exp_s * 1000 : -1, &w, &s->g);
	else
		rc = lc_generic_pool_acquire(p->cl, p->key, p->klen, p->max_size, p->slot_exp_s,
					     p->poll_s, timeout, &s->g);
	if (rc) {
		free(s->key);
		free(s);
		return rc;
	}
	lc_client_ref(p->cl);
	s->cl = p->cl;
	s->klen = p->klen;
	s->poll_s = p->poll_s;
	*out = s;
	return 0;
}

int cachify_slot_release(cachify_slot *s)
{
	const struct backend_ops *ops;
	int rc;

	if (!s)
		return 0;
	ops = s->cl->ops;
	if (ops->pool_acquire) {
		rc = ops->pool_release ? ops->pool_release(s->cl->ctx, s->key, s->klen, &s->g)
				       : lc_set_error(CACHIFY_EINVAL, "%s client: no pool release",
						      ops->name);
		if (s->g.session && ops->session_end)
			ops->session_end(s->cl->ctx, s->g.session);
	} else {
		rc = lc_generic_pool_release(s->cl, s->key, s->klen, s->poll_s, &s->g);
	}
	lc_grant_clear(&s->g);
	cachify_client_free(s->cl);
	free(s->key);
	free(s);
	return rc;
}

long cachify_pool_size(cachify_pool *p)
{
	const struct backend_ops *ops;

	if (!p)
		return lc_set_error(CACHIFY_EINVAL, "pool size: NULL pool");
	ops = p->cl->ops;
	if (ops->pool_acquire) {
		if (!ops->pool_size)
			return lc_set_error(CACHIFY_EINVAL, "%s client: no pool size", ops->name);
		return ops->pool_size(p->cl->ctx, p->key, p->klen);
	}
	return lc_generic_pool_size(p->cl, p->key, p->klen);
}

int cachify_pooled(cachify_pool *p, cachify_run_fn *fn, void *arg, int *fn_ret, bool *ran)
{
	cachify_slot *s;
	int rc, r;

	if (ran)
		*ran = false;
	if (!p || !fn)
		return lc_set_error(CACHIFY_EINVAL, "pooled: pool and fn are required");
	rc = cachify_pool_acquire_wait(p, p->timeout, &s);
	if (rc == CACHIFY_EFULL || (rc == CACHIFY_ETIMEOUT && p->timeout != 0)) {
		/* Precedence as in the reference: raise_on_full, then on_full. */
		if (p->raise_on_full)
			return rc;
		if (p->on_full) {
			r = p->on_full(arg);
			if (fn_ret)
				*fn_ret = r;
		}
		return 0;
	}
	if (rc)
		return rc;
	r = fn(arg);
	if (ran)
		*ran = true;
	if (fn_ret)
		*fn_ret = r;
	rc = cachify_slot_release(s);
	/* As in the reference, a slot's expiry does not interrupt the code it
	 * admitted: it only stops counting. Running past it is no error. */
	return rc == CACHIFY_ENOTOWNER ? 0 : rc;
}
