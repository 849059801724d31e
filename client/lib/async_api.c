/* async_api.c - the public cachify_async_* calls: each resolves its
 * instance, key and options as its blocking twin does (instance.h's
 * helpers), makes an operation and hands it to async.c's engine; plus the
 * lock and slot handles' accessors.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "async.h"
#include "clock.h"

/* ---- starting operations --------------------------------------------------------------------- */

/* The instance and its async client for a call, with an operation made. */
static int op_start(cachify *c, cachify **in, int kind, cachify_async_cb *cb, void *arg,
		    struct cachify_aop **out)
{
	int rc;

	*out = NULL;
	if (!cb)
		return lc_set_error(CACHIFY_EINVAL, "async: a callback is required");
	if ((rc = lc_instance_get(c, in)) != 0)
		return rc;
	if (!(*in)->ac) {
		lc_instance_put(c, *in);
		return lc_set_error(CACHIFY_EINVAL,
				    "this instance has no async client (cachify_options.async_client "
				    "or event_base)");
	}
	if (!(*out = lc_aop_new(*in, (*in)->ac, kind, cb, arg))) {
		lc_instance_put(c, *in);
		return CACHIFY_ENOMEM;
	}
	(*out)->poll_s = (*in)->poll_s;
	return 0;
}

int cachify_async_cached(cachify *c, const struct cachify_cached_options *opts,
			 cachify_async_compute_fn *fn, void *fnarg, cachify_async_cb *cb, void *arg,
			 cachify_aop **opp, const char *keyfmt, ...)
{
	struct cachify_aop *op;
	cachify *in;
	va_list ap;
	int rc;

	if (!fn)
		return lc_set_error(CACHIFY_EINVAL, "cached: fn is required");
	if ((rc = op_start(c, &in, K_CACHED, cb, arg, &op)) != 0)
		return rc;
	op->cfn = fn;
	op->fnarg = fnarg;
	op->codec = opts ? opts->codec : NULL;
	op->ex_s = lc_fill_exp_s(in);
	rc = lc_ttl_resolve(opts ? opts->ttl : CACHIFY_TTL_DEFAULT, in->cache_ttl_s, &op->ttl_s,
			    "ttl");
	if (rc == 0) {
		va_start(ap, keyfmt);
		rc = lc_key_v(in, LC_SUFFIX_CACHED, keyfmt, ap, &op->key, &op->klen);
		va_end(ap);
	}
	return lc_aop_launch(c, in, op, rc, opp);
}

/* An operation on one key of the instance (reset, is_locked, force release). */
static int key_op(cachify *c, int kind, const char *suffix, cachify_async_cb *cb, void *arg,
		  cachify_aop **opp, const char *keyfmt, va_list ap)
{
	struct cachify_aop *op;
	cachify *in;
	int rc;

	if ((rc = op_start(c, &in, kind, cb, arg, &op)) != 0)
		return rc;
	rc = lc_key_v(in, suffix, keyfmt, ap, &op->key, &op->klen);
	return lc_aop_launch(c, in, op, rc, opp);
}

int cachify_async_cached_reset(cachify *c, cachify_async_cb *cb, void *arg, cachify_aop **opp,
			       const char *keyfmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, keyfmt);
	rc = key_op(c, K_DEL, LC_SUFFIX_CACHED, cb, arg, opp, keyfmt, ap);
	va_end(ap);
	return rc;
}

int cachify_async_is_locked(cachify *c, cachify_async_cb *cb, void *arg, cachify_aop **opp,
			    const char *keyfmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, keyfmt);
	rc = key_op(c, K_GET, LC_SUFFIX_LOCK, cb, arg, opp, keyfmt, ap);
	va_end(ap);
	return rc;
}

int cachify_async_lock_force_release(cachify *c, cachify_async_cb *cb, void *arg,
				     cachify_aop **opp, const char *keyfmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, keyfmt);
	rc = key_op(c, K_DEL, LC_SUFFIX_LOCK, cb, arg, opp, keyfmt, ap);
	va_end(ap);
	return rc;
}

/* lock_acquire, lock_run and once: resolve options as the blocking calls. */
static int lock_op(cachify *c, int kind, const struct cachify_lock_options *opts,
		   const char *suffix, cachify_async_cb *cb, void *arg, cachify_aop **opp,
		   struct cachify_aop **outop, cachify **outin, const char *keyfmt, va_list ap)
{
	struct cachify_lock_options d;
	struct cachify_aop *op;
	cachify *in;
	int rc;

	if ((rc = op_start(c, &in, kind, cb, arg, &op)) != 0)
		return rc;
	if (!opts) {
		cachify_lock_options_init(&d);
		opts = &d;
	}
	op->w.nowait = opts->nowait;
	op->w.timeout = opts->timeout;
	op->w.shared = opts->shared;
	op->default_exp_s = in->lock_exp_s;
	op->want_fence = kind == K_LOCK_ACQ;
	op->auto_renew = opts->auto_renew;
	op->on_lost = opts->on_lost;
	op->on_lost_arg = opts->on_lost_arg;
	rc = lc_wait_check(&op->w);
	if (rc == 0 && opts->shared && !op->ac->ops->native)
		rc = lc_set_error(CACHIFY_ENOTSUP,
				  "async %s client: no shared locks (only cachifyd has them on the "
				  "async face)",
				  op->ac->ops->name);
	if (rc == 0)
		rc = lc_ttl_resolve(opts->exp, in->lock_exp_s, &op->ex_s, "exp");
	if (rc == 0)
		rc = lc_key_v(in, suffix, keyfmt, ap, &op->key, &op->klen);
	if (rc || !outop)
		return lc_aop_launch(c, in, op, rc, opp);
	*outop = op;
	*outin = in;
	return 0;
}

int cachify_async_lock_acquire(cachify *c, const struct cachify_lock_options *opts,
			       cachify_async_cb *cb, void *arg, cachify_aop **opp,
			       const char *keyfmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, keyfmt);
	rc = lock_op(c, K_LOCK_ACQ, opts, LC_SUFFIX_LOCK, cb, arg, opp, NULL, NULL, keyfmt, ap);
	va_end(ap);
	return rc;
}

int cachify_async_lock_run(cachify *c, const struct cachify_lock_options *opts,
			   cachify_async_run_fn *fn, void *fnarg, cachify_async_cb *cb, void *arg,
			   cachify_aop **opp, const char *keyfmt, ...)
{
	struct cachify_aop *op;
	cachify *in;
	va_list ap;
	int rc;

	if (!fn)
		return lc_set_error(CACHIFY_EINVAL, "lock run: fn is required");
	if (opts && opts->auto_renew)
		return lc_set_error(CACHIFY_ENOTSUP,
				    "async lock run: no auto_renew (acquire a handle, which renews "
				    "itself)");
	va_start(ap, keyfmt);
	rc = lock_op(c, K_RUN, opts, LC_SUFFIX_LOCK, cb, arg, opp, &op, &in, keyfmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	op->fn = fn;
	op->fnarg = fnarg;
	return lc_aop_launch(c, in, op, 0, opp);
}

int cachify_async_once(cachify *c, const struct cachify_once_options *opts,
		       cachify_async_run_fn *fn, void *fnarg, cachify_async_cb *cb, void *arg,
		       cachify_aop **opp, const char *keyfmt, ...)
{
	struct cachify_lock_options lo = { .nowait = true, .timeout = 0,
					   .exp = CACHIFY_TTL_DEFAULT };
	struct cachify_aop *op;
	cachify *in;
	va_list ap;
	int rc;

	if (!fn)
		return lc_set_error(CACHIFY_EINVAL, "once: fn is required");
	va_start(ap, keyfmt);
	rc = lock_op(c, K_ONCE, &lo, LC_SUFFIX_ONCE, cb, arg, opp, &op, &in, keyfmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	op->fn = fn;
	op->fnarg = fnarg;
	if (opts)
		op->once = *opts;
	return lc_aop_launch(c, in, op, 0, opp);
}

int cachify_async_once_is_locked(cachify *c, cachify_async_cb *cb, void *arg, cachify_aop **opp,
				 const char *keyfmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, keyfmt);
	rc = key_op(c, K_GET, LC_SUFFIX_ONCE, cb, arg, opp, keyfmt, ap);
	va_end(ap);
	return rc;
}

int cachify_async_once_release(cachify *c, cachify_async_cb *cb, void *arg, cachify_aop **opp,
			       const char *keyfmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, keyfmt);
	rc = key_op(c, K_DEL, LC_SUFFIX_ONCE, cb, arg, opp, keyfmt, ap);
	va_end(ap);
	return rc;
}

/* ---- lock handles ---------------------------------------------------------------------------- */

/* An operation on a handle's grant (no instance: handles outlive theirs). */
static struct cachify_aop *grant_op(cachify_async_client *ac, int kind, cachify_async_cb *cb,
				    void *arg)
{
	return lc_aop_new(NULL, ac, kind, cb, arg);
}

int cachify_async_lock_release(cachify_async_lock *l, cachify_async_cb *cb, void *arg,
			       cachify_aop **opp)
{
	struct cachify_aop *op;

	if (!l)
		return lc_set_error(CACHIFY_EINVAL, "lock release: NULL lock");
	/* No renew after this: the timer goes, a renew in flight is cut (its
	 * request, on cachifyd, still goes before the release's). */
	if (l->renew_ev)
		event_free(l->renew_ev);
	l->renew_ev = NULL;
	if (l->renew_op)
		cachify_aop_cancel(l->renew_op);
	/* The handle goes now whatever happens: the operation owns the grant. */
	op = grant_op(l->ac, K_LOCK_REL, cb, arg);
	if (!op) {
		/* Out of memory: the grant ends with its session at least. */
		if (l->ac->ops->drop)
			l->ac->ops->drop(l->ac->ctx, &l->g);
		lc_grant_clear(&l->g);
		cachify_async_client_free(l->ac);
		free(l->key);
		free(l);
		return CACHIFY_ENOMEM;
	}
	op->key = l->key;
	op->klen = l->klen;
	op->g = l->g;
	op->poll_s = l->poll_s;
	cachify_async_client_free(l->ac);
	free(l);
	return lc_aop_launch(NULL, NULL, op, 0, opp);
}

int cachify_async_lock_renew(cachify_async_lock *l, int64_t exp, cachify_async_cb *cb, void *arg,
			     cachify_aop **opp)
{
	struct cachify_aop *op;
	int64_t ex_s;
	int rc;

	if (!l || !cb)
		return lc_set_error(CACHIFY_EINVAL, "lock renew: NULL lock or callback");
	if ((rc = lc_ttl_resolve(exp, l->default_exp_s, &ex_s, "exp")) != 0)
		return rc;
	if (l->ac->ops->native && ex_s == 0)
		return lc_set_error(CACHIFY_EINVAL, "cachifyd renews locks to a TTL of at least 1 s");
	if (!(op = grant_op(l->ac, K_LOCK_RENEW, cb, arg)))
		return CACHIFY_ENOMEM;
	/* The handle keeps the grant: the operation borrows copies. */
	op->key = malloc(l->klen + 1);
	op->g.id = malloc(l->g.idlen + 1);
	if (!op->key || !op->g.id) {
		op->cb = NULL;
		lc_aop_free(op);
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	}
	memcpy(op->key, l->key, l->klen + 1);
	op->klen = l->klen;
	memcpy(op->g.id, l->g.id, l->g.idlen);
	op->g.id[l->g.idlen] = '\0';
	op->g.idlen = l->g.idlen;
	op->g.session = l->g.session;
	op->ex_s = ex_s;
	return lc_aop_launch(NULL, NULL, op, 0, opp);
}

uint64_t cachify_async_lock_fence(const cachify_async_lock *l)
{
	return l ? l->g.fence : 0;
}

const char *cachify_async_lock_key(const cachify_async_lock *l)
{
	return l ? l->key : NULL;
}

bool cachify_async_lock_lost(const cachify_async_lock *l)
{
	return l && l->lost;
}

/* ---- auto-renew: a timer per handle, one renew at a time ---- */

static void alock_renew_arm(cachify_async_lock *l, int64_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(l->renew_ev, &tv);
}

static int64_t alock_period_ms(const cachify_async_lock *l)
{
	int64_t p = l->ex_s * 1000 / 3;

	return p > 0 ? p : 1;
}

static void alock_renewed_cb(void *arg, struct cachify_async_result *res)
{
	cachify_async_lock *l = arg;
	int64_t now = lc_clock_ms();

	l->renew_op = NULL;
	if (res->rc == CACHIFY_ECANCELED)
		return; /* released: the handle is going */
	if (res->rc == 0) {
		l->ok_ms = now;
		alock_renew_arm(l, alock_period_ms(l));
		return;
	}
	if (res->rc != CACHIFY_ENOTOWNER && res->rc != CACHIFY_ELOST &&
	    now - l->ok_ms < l->ex_s * 1000) {
		alock_renew_arm(l, alock_period_ms(l) / 3 + 1); /* passing: try again soon */
		return;
	}
	l->lost = true;
	if (l->on_lost)
		l->on_lost(l->on_lost_arg, l->key);
}

static void alock_renew_cb(evutil_socket_t fd, short what, void *arg)
{
	cachify_async_lock *l = arg;

	if (l->renew_op || l->lost)
		return;
	if (cachify_async_lock_renew(l, l->ex_s, alock_renewed_cb, l, &l->renew_op) != 0) {
		struct cachify_async_result res = { .rc = CACHIFY_ENOMEM };

		alock_renewed_cb(l, &res);
	}
}

int lc_alock_renew_start(cachify_async_lock *l)
{
	if (!(l->renew_ev = evtimer_new(l->ac->base, alock_renew_cb, l)))
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	l->ok_ms = lc_clock_ms();
	alock_renew_arm(l, alock_period_ms(l));
	return 0;
}

/* ---- pools --------------------------------------------------------------------------------- */

static int pool_op(cachify_pool *p, int kind, cachify_async_cb *cb, void *arg,
		   struct cachify_aop **out)
{
	*out = NULL;
	if (!p || !cb)
		return lc_set_error(CACHIFY_EINVAL, "async pool: NULL pool or callback");
	if (!p->ac)
		return lc_set_error(CACHIFY_EINVAL, "this pool's instance has no async client");
	if (!(*out = lc_aop_new(NULL, p->ac, kind, cb, arg)))
		return CACHIFY_ENOMEM;
	(*out)->key = malloc(p->klen + 1);
	if (!(*out)->key) {
		(*out)->cb = NULL;
		lc_aop_free(*out);
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	}
	memcpy((*out)->key, p->key, p->klen + 1);
	(*out)->klen = p->klen;
	(*out)->pool = true;
	(*out)->max = p->max_size;
	(*out)->ex_s = p->slot_exp_s;
	(*out)->poll_s = p->poll_s;
	(*out)->raise_on_full = p->raise_on_full;
	(*out)->on_full = p->on_full;
	return 0;
}

int cachify_async_pool_acquire(cachify_pool *p, double timeout, cachify_async_cb *cb, void *arg,
			       cachify_aop **opp)
{
	struct cachify_aop *op;
	int rc;

	if (timeout < 0 && timeout != CACHIFY_WAIT_FOREVER)
		return lc_set_error(CACHIFY_EINVAL, "pool acquire: negative timeout");
	if ((rc = pool_op(p, K_POOL_ACQ, cb, arg, &op)) != 0)
		return rc;
	op->w.nowait = timeout == 0;
	op->w.timeout = timeout;
	return lc_aop_launch(NULL, NULL, op, 0, opp);
}

int cachify_async_pool_size(cachify_pool *p, cachify_async_cb *cb, void *arg, cachify_aop **opp)
{
	struct cachify_aop *op;
	int rc;

	if ((rc = pool_op(p, K_POOL_SIZE, cb, arg, &op)) != 0)
		return rc;
	return lc_aop_launch(NULL, NULL, op, 0, opp);
}

int cachify_async_pooled(cachify_pool *p, cachify_async_run_fn *fn, void *fnarg,
			 cachify_async_cb *cb, void *arg, cachify_aop **opp)
{
	struct cachify_aop *op;
	int rc;

	if (!fn)
		return lc_set_error(CACHIFY_EINVAL, "pooled: fn is required");
	if ((rc = pool_op(p, K_POOLED, cb, arg, &op)) != 0)
		return rc;
	op->fn = fn;
	op->fnarg = fnarg;
	op->w.nowait = p->timeout == 0;
	op->w.timeout = p->timeout;
	return lc_aop_launch(NULL, NULL, op, 0, opp);
}

int cachify_async_slot_release(cachify_async_slot *s, cachify_async_cb *cb, void *arg,
			       cachify_aop **opp)
{
	struct cachify_aop *op;

	if (!s)
		return lc_set_error(CACHIFY_EINVAL, "slot release: NULL slot");
	op = lc_aop_new(NULL, s->ac, K_SLOT_REL, cb, arg);
	if (!op) {
		if (s->ac->ops->drop)
			s->ac->ops->drop(s->ac->ctx, &s->g);
		lc_grant_clear(&s->g);
		cachify_async_client_free(s->ac);
		free(s->key);
		free(s);
		return CACHIFY_ENOMEM;
	}
	op->key = s->key;
	op->klen = s->klen;
	op->g = s->g;
	op->pool = true;
	op->poll_s = s->poll_s;
	cachify_async_client_free(s->ac);
	free(s);
	return lc_aop_launch(NULL, NULL, op, 0, opp);
}

const char *cachify_async_slot_id(const cachify_async_slot *s)
{
	return s ? s->g.id : NULL;
}

uint64_t cachify_async_slot_fence(const cachify_async_slot *s)
{
	return s ? s->g.fence : 0;
}
