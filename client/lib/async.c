/* async.c - libcachify's async face, its engine: operations on a libevent
 * loop (async_api.c makes them from the public calls). Each runs the same
 * sans-I/O machines as the blocking face (gmach.c) or one native action,
 * through the instance's async backend (adaemon.c, akv.c), then the user's
 * code (compute, run function) and the release, and ends in exactly one
 * callback. Owns operations and their cancellation, jobs, handles, and the
 * async client wrapper; I/O is the backends'.
 *
 * A cancelled operation delivers its callback at once and becomes a
 * "zombie": with nobody to call back, it only finishes what cannot be cut
 * (a custom client's request in flight, a release) and gives back what it
 * took, then frees itself. Zombies hold the client, never the instance.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "async.h"

static void op_run(struct cachify_aop *op, struct lc_result *last);
static void ready_kick_cb(evutil_socket_t fd, short what, void *arg);
static void sleeper_unlink(struct cachify_aop *op);

/* ---- the client wrapper --------------------------------------------------------- */

cachify_async_client *lc_aclient_new(struct event_base *base, const struct abackend_ops *ops,
				     void *ctx)
{
	cachify_async_client *ac = calloc(1, sizeof *ac);

	if (ac)
		ac->kick = event_new(base, -1, 0, ready_kick_cb, ac);
	if (!ac || !ac->kick) {
		free(ac);
		if (ops->destroy)
			ops->destroy(ctx);
		lc_set_error(CACHIFY_ENOMEM, "out of memory creating an async %s client", ops->name);
		return NULL;
	}
	ac->ops = ops;
	ac->ctx = ctx;
	ac->base = base;
	ac->refs = 1;
	return ac;
}

void lc_aclient_ref(cachify_async_client *ac)
{
	__atomic_fetch_add(&ac->refs, 1, __ATOMIC_RELAXED);
}

static void aclient_destroy(cachify_async_client *ac)
{
	if (ac->ops->destroy)
		ac->ops->destroy(ac->ctx);
	if (ac->user.destroy)
		ac->user.destroy(ac->user_ctx);
	cachify_client_free(ac->mem);
	event_free(ac->kick);
	free(ac);
}

void cachify_async_client_free(cachify_async_client *ac)
{
	if (!ac || __atomic_sub_fetch(&ac->refs, 1, __ATOMIC_ACQ_REL) > 0 || ac->depth > 0)
		return;
	aclient_destroy(ac);
}

void lc_aclient_enter(cachify_async_client *ac)
{
	ac->depth++;
}

void lc_aclient_leave(cachify_async_client *ac)
{
	if (--ac->depth == 0 && __atomic_load_n(&ac->refs, __ATOMIC_ACQUIRE) == 0)
		aclient_destroy(ac);
}

cachify_async_client *cachify_get_async_client(cachify *c)
{
	cachify *in;
	cachify_async_client *ac;

	if (lc_instance_get(c, &in))
		return NULL;
	ac = in->ac;
	lc_instance_put(c, in);
	return ac;
}

/* ---- operations: life and death ----------------------------------------------------- */

static void op_unlink(struct cachify_aop *op)
{
	if (!op->in)
		return;
	if (op->prev)
		op->prev->next = op->next;
	else
		op->in->aops = op->next;
	if (op->next)
		op->next->prev = op->prev;
	op->prev = op->next = NULL;
	op->in = NULL;
}

static void mach_free(struct cachify_aop *op)
{
	if (!op->mach)
		return;
	switch (op->kind) {
	case K_CACHED:
		lc_cached_clear(op->mach);
		break;
	case K_POOL_ACQ:
	case K_POOLED:
	case K_SLOT_REL:
	case K_POOL_SIZE:
		lc_gpool_clear(op->mach);
		break;
	default:
		lc_glock_clear(op->mach);
	}
	free(op->mach);
	op->mach = NULL;
}

void lc_aop_free(struct cachify_aop *op)
{
	op_unlink(op);
	sleeper_unlink(op);
	mach_free(op);
	if (op->timer)
		event_free(op->timer);
	free(op->one.res.value);
	lc_grant_clear(&op->one.res.grant);
	free(op->early_res.value);
	lc_grant_clear(&op->early_res.grant);
	lc_grant_clear(&op->g);
	free(op->res.value);
	free(op->job);
	free(op->key);
	cachify_async_client_free(op->ac);
	free(op);
}

struct cachify_aop *lc_aop_new(cachify *in, cachify_async_client *ac, int kind,
			       cachify_async_cb *cb, void *arg)
{
	struct cachify_aop *op = calloc(1, sizeof *op);

	if (!op) {
		lc_set_error(CACHIFY_ENOMEM, "out of memory");
		return NULL;
	}
	op->kind = kind;
	op->cb = cb;
	op->arg = arg;
	op->zombie = !cb;
	op->ac = ac;
	lc_aclient_ref(ac);
	if (in) {
		op->in = in;
		op->next = in->aops;
		if (in->aops)
			in->aops->prev = op;
		in->aops = op;
	}
	return op;
}

/* Queues op's first step for the loop: callbacks never run inside the call
 * that starts an operation. */
static void op_ready(struct cachify_aop *op)
{
	cachify_async_client *ac = op->ac;

	op->phase = PH_READY;
	op->rnext = NULL;
	if (ac->ready_tail)
		ac->ready_tail->rnext = op;
	else
		ac->ready = op;
	ac->ready_tail = op;
	event_active(ac->kick, EV_TIMEOUT, 0);
}

static void ready_unlink(struct cachify_aop *op)
{
	cachify_async_client *ac = op->ac;
	struct cachify_aop **pp = &ac->ready, *prev = NULL;

	while (*pp && *pp != op) {
		prev = *pp;
		pp = &(*pp)->rnext;
	}
	if (!*pp)
		return;
	*pp = op->rnext;
	if (ac->ready_tail == op)
		ac->ready_tail = prev;
}

/* Delivers the callback once (unless a zombie), then frees op. */
static void op_finish(struct cachify_aop *op, int rc)
{
	cachify_async_cb *cb = op->cb;

	op->res.rc = rc;
	op->cb = NULL;
	op_unlink(op);
	if (cb && !op->zombie) {
		op->zombie = true;
		cb(op->arg, &op->res);
	}
	if (op->res.lock) /* not taken: give it back */
		cachify_async_lock_release(op->res.lock, NULL, NULL, NULL);
	if (op->res.slot)
		cachify_async_slot_release(op->res.slot, NULL, NULL, NULL);
	lc_aop_free(op);
}

/* ---- machines ------------------------------------------------------------------------- */

static void one_step(struct lc_mach *m, struct lc_result *last, struct lc_step *next)
{
	struct lc_one *o = (struct lc_one *)m;

	if (!last) {
		*next = o->st;
		return;
	}
	o->res = *last;
	last->value = NULL;
	memset(&last->grant, 0, sizeof last->grant);
	memset(next, 0, sizeof *next);
	next->act = LC_ACT_DONE;
	next->rc = o->res.rc;
}

static void one_init(struct cachify_aop *op, enum lc_act act)
{
	free(op->one.res.value);
	lc_grant_clear(&op->one.res.grant);
	memset(&op->one, 0, sizeof op->one);
	op->one.m.step = one_step;
	op->one.st.act = act;
	op->one.st.key = op->key;
	op->one.st.klen = op->klen;
	op->one.st.grant = &op->g;
	op->m = &op->one.m;
}

static int mach_alloc(struct cachify_aop *op, size_t size)
{
	mach_free(op);
	op->mach = malloc(size);
	if (!op->mach)
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	return 0;
}

/* The acquire of op's kind: native one-shot or gmach.c's machine. */
static int begin_acquire(struct cachify_aop *op)
{
	bool native = op->ac->ops->native;

	if (op->pool) {
		if (native) {
			one_init(op, LC_ACT_NPOOL_ACQ);
			op->one.st.max = op->max;
			op->one.st.ttl_ms = op->ex_s ? op->ex_s * 1000 : -1;
			op->one.st.wait = op->w;
			return 0;
		}
		if (mach_alloc(op, sizeof(struct lc_gpool)))
			return CACHIFY_ENOMEM;
		lc_gpool_acquire_init(op->mach, op->key, op->klen, op->max, op->ex_s, op->poll_s,
				      op->w.nowait ? 0 : op->w.timeout, &op->g);
		op->m = op->mach;
		return 0;
	}
	if (native) {
		one_init(op, LC_ACT_NLOCK_ACQ);
		op->one.st.ttl_ms = op->ex_s ? op->ex_s * 1000 : -1;
		op->one.st.wait = op->w;
		return 0;
	}
	if (mach_alloc(op, sizeof(struct lc_glock)))
		return CACHIFY_ENOMEM;
	lc_glock_acquire_init(op->mach, op->key, op->klen, op->ex_s, &op->w, op->poll_s,
			      op->want_fence, &op->g);
	op->m = op->mach;
	return 0;
}

/* Gives op->g back: native release (the backend ends the session) or
 * gmach.c's owner-checked one. */
static int begin_give(struct cachify_aop *op)
{
	op->phase = PH_GIVE;
	if (op->ac->ops->native) {
		one_init(op, op->pool ? LC_ACT_NPOOL_REL : LC_ACT_NLOCK_REL);
		return 0;
	}
	if (op->pool) {
		if (mach_alloc(op, sizeof(struct lc_gpool)))
			return CACHIFY_ENOMEM;
		lc_gpool_release_init(op->mach, op->key, op->klen, op->poll_s, &op->g);
	} else {
		if (mach_alloc(op, sizeof(struct lc_glock)))
			return CACHIFY_ENOMEM;
		lc_glock_release_init(op->mach, op->key, op->klen, &op->g);
	}
	op->m = op->mach;
	return 0;
}

/* The first step of each kind. */
static int op_begin(struct cachify_aop *op)
{
	bool native = op->ac->ops->native;

	op->phase = PH_MAIN;
	switch (op->kind) {
	case K_CACHED:
		if (mach_alloc(op, sizeof(struct lc_cached)))
			return CACHIFY_ENOMEM;
		lc_cached_init(op->mach, native, op->key, op->klen, op->ttl_s, op->ex_s, op->poll_s,
			       op->codec);
		op->m = op->mach;
		return 0;
	case K_DEL:
		one_init(op, LC_ACT_DEL);
		return 0;
	case K_GET:
		one_init(op, LC_ACT_GET);
		return 0;
	case K_LOCK_ACQ:
	case K_RUN:
	case K_ONCE:
	case K_POOL_ACQ:
	case K_POOLED:
		return begin_acquire(op);
	case K_LOCK_REL:
	case K_SLOT_REL:
		begin_give(op);
		op->phase = PH_MAIN;
		return op->m ? 0 : CACHIFY_ENOMEM;
	case K_LOCK_RENEW:
		if (native) {
			one_init(op, LC_ACT_NLOCK_RENEW);
			op->one.st.ttl_ms = op->ex_s ? op->ex_s * 1000 : -1;
			return 0;
		}
		if (mach_alloc(op, sizeof(struct lc_glock)))
			return CACHIFY_ENOMEM;
		lc_glock_renew_init(op->mach, op->key, op->klen, &op->g, op->ex_s);
		op->m = op->mach;
		return 0;
	case K_POOL_SIZE:
		if (native) {
			one_init(op, LC_ACT_NPOOL_SIZE);
			return 0;
		}
		if (mach_alloc(op, sizeof(struct lc_gpool)))
			return CACHIFY_ENOMEM;
		lc_gpool_size_init(op->mach, op->key, op->klen);
		op->m = op->mach;
		return 0;
	}
	return CACHIFY_EINVAL;
}

static void ready_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	cachify_async_client *ac = arg;
	struct cachify_aop *op;
	int n = 0;

	/* Only the operations queued before this turn: later ones wait for
	 * the next (the event is active again), so the loop stays fair. */
	lc_aclient_ref(ac);
	for (struct cachify_aop *o = ac->ready; o; o = o->rnext)
		n++;
	while (n-- > 0 && (op = ac->ready)) {
		int rc;

		ac->ready = op->rnext;
		if (!ac->ready)
			ac->ready_tail = NULL;
		op->rnext = NULL;
		if (op->early) { /* its request got an answer at once: deliver it now */
			struct lc_result res = op->early_res;

			memset(&op->early_res, 0, sizeof op->early_res);
			op->early = false;
			op->phase = PH_MAIN;
			op_run(op, &res);
			continue;
		}
		rc = op_begin(op);
		if (rc)
			op_finish(op, rc);
		else
			op_run(op, NULL);
	}
	cachify_async_client_free(ac);
}

/* ---- sleepers: generic waits between polls ---------------------------------------------------
 * A wait over get/set/delete polls every lock_poll_interval. When an
 * operation of this client deletes or overwrites the very key a wait
 * polls, the oldest such wait polls at once instead of at its next tick:
 * the in-process notification that makes a handoff between operations of
 * one loop immediate, in the order they began to wait. Only one is woken
 * per write (a herd would only fight over the key); the others keep their
 * ticks. Writes by others (other processes, blocking threads) are seen at
 * the next poll. */

static void sleeper_unlink(struct cachify_aop *op)
{
	if (!op->sleeping)
		return;
	if (op->sprev)
		op->sprev->snext = op->snext;
	else
		op->ac->sleepers = op->snext;
	if (op->snext)
		op->snext->sprev = op->sprev;
	op->snext = op->sprev = NULL;
	op->sleeping = false;
}

static void sleeper_add(struct cachify_aop *op)
{
	cachify_async_client *ac = op->ac;
	struct cachify_aop **pp = &ac->sleepers, *prev = NULL;

	if (op->sleeping)
		return;
	while (*pp) { /* oldest first: woken in the order they began to wait */
		prev = *pp;
		pp = &(*pp)->snext;
	}
	op->sprev = prev;
	op->snext = NULL;
	*pp = op;
	op->sleeping = true;
}

/* Wakes the oldest wait polling key. */
static void sleepers_wake(cachify_async_client *ac, const char *key, size_t klen)
{
	for (struct cachify_aop *op = ac->sleepers; op; op = op->snext) {
		if (op->wklen == klen && memcmp(op->wkey, key, klen) == 0) {
			sleeper_unlink(op);
			event_del(op->timer);
			event_active(op->timer, EV_TIMEOUT, 0);
			return;
		}
	}
}

/* ---- the driver ---------------------------------------------------------------------------- */

static void io_done_cb(void *owner, struct lc_result *res)
{
	struct cachify_aop *op = owner;

	op->io = NULL;
	op_run(op, res);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lc_result res = { 0 };

	sleeper_unlink(arg);
	op_run(arg, &res);
}

/* The main machine ended with rc: what comes next for op's kind. Returns
 * true when op->m is the next machine to run, false when op is finished
 * (freed) or waits for the user's job. */
static bool op_main_done(struct cachify_aop *op, int rc)
{
	struct cachify_async_result *r = &op->res;

	if (op->m == &op->one.m && op->one.res.grant.id) {
		op->g = op->one.res.grant;
		memset(&op->one.res.grant, 0, sizeof op->one.res.grant);
	}
	switch (op->kind) {
	case K_CACHED:
		if (rc == 0)
			lc_cached_take(op->mach, &r->value, &r->len);
		else if (rc == CACHIFY_ECALLBACK)
			r->fn_ret = ((struct lc_cached *)op->mach)->fn_err;
		break;
	case K_GET:
		r->n = rc > 0;
		rc = rc < 0 ? rc : 0;
		break;
	case K_DEL:
	case K_LOCK_REL:
	case K_SLOT_REL:
		rc = rc < 0 ? rc : 0;
		break;
	case K_POOL_SIZE:
		r->n = rc;
		rc = rc < 0 ? rc : 0;
		break;
	case K_LOCK_ACQ:
	case K_POOL_ACQ:
		if (rc == 0 && op->zombie) {
			/* Cancelled while a custom client's request was out:
			 * give back what it took. */
			if (begin_give(op) == 0)
				return true;
		} else if (rc == 0 && op->kind == K_LOCK_ACQ) {
			cachify_async_lock *l = calloc(1, sizeof *l);

			if (!l) {
				rc = lc_set_error(CACHIFY_ENOMEM, "out of memory");
				break;
			}
			l->ac = op->ac;
			lc_aclient_ref(op->ac);
			l->key = op->key;
			l->klen = op->klen;
			l->g = op->g;
			l->poll_s = op->poll_s;
			l->default_exp_s = op->default_exp_s;
			op->key = NULL;
			memset(&op->g, 0, sizeof op->g);
			r->lock = l;
			if (op->auto_renew && op->ex_s > 0) {
				l->ex_s = op->ex_s;
				l->on_lost = op->on_lost;
				l->on_lost_arg = op->on_lost_arg;
				if ((rc = lc_alock_renew_start(l)) != 0) {
					r->lock = NULL;
					cachify_async_lock_release(l, NULL, NULL, NULL);
				}
			}
		} else if (rc == 0) {
			cachify_async_slot *s = calloc(1, sizeof *s);

			if (!s) {
				rc = lc_set_error(CACHIFY_ENOMEM, "out of memory");
				break;
			}
			s->ac = op->ac;
			lc_aclient_ref(op->ac);
			s->key = op->key;
			s->klen = op->klen;
			s->g = op->g;
			s->poll_s = op->poll_s;
			op->key = NULL;
			memset(&op->g, 0, sizeof op->g);
			r->slot = s;
		}
		break;
	case K_RUN:
	case K_ONCE:
	case K_POOLED:
		if (rc == 0) {
			if (op->zombie)
				return begin_give(op) == 0;
			op->phase = PH_USER;
			op->job = calloc(1, sizeof *op->job);
			if (!op->job) {
				lc_set_error(CACHIFY_ENOMEM, "out of memory");
				return begin_give(op) == 0;
			}
			op->job->op = op;
			op->fn(op->fnarg, op->job); /* op->running: a job done inside waits */
			if (op->job_ready) {
				op->job_ready = false;
				if (begin_give(op) == 0)
					return true;
				op_finish(op, CACHIFY_ENOMEM);
				return false;
			}
			op->running = false;
			return false;
		}
		/* Precedence as in the reference and the blocking calls. */
		if (op->kind == K_ONCE && rc == CACHIFY_ELOCKED && !op->once.raise_on_locked) {
			r->fn_ret = op->once.return_on_locked;
			rc = 0;
		} else if (op->kind == K_POOLED && !op->raise_on_full &&
			   (rc == CACHIFY_EFULL || (rc == CACHIFY_ETIMEOUT && !op->w.nowait))) {
			if (op->on_full && !op->zombie)
				r->fn_ret = op->on_full(op->fnarg);
			rc = 0;
		}
		break;
	}
	op_finish(op, rc);
	return false;
}

/* The grant was given back with rc. */
static void op_give_done(struct cachify_aop *op, int rc)
{
	lc_grant_clear(&op->g);
	if (op->kind == K_POOLED && rc == CACHIFY_ENOTOWNER)
		rc = 0; /* a slot's expiry does not interrupt what it admitted */
	if (op->kind == K_LOCK_ACQ || op->kind == K_POOL_ACQ)
		rc = CACHIFY_ECANCELED; /* a zombie's: nobody hears it */
	op_finish(op, rc);
}

/* Runs op's machine from last (NULL: its first step) until it waits for
 * the backend, a timer or the user, or the operation ends. */
static void op_run(struct cachify_aop *op, struct lc_result *last)
{
	cachify_async_client *ac = op->ac;
	struct lc_result res;
	struct lc_step st;

	op->running = true;
	for (;;) {
		int rc;

		op->m->step(op->m, last, &st);
		last = NULL;
		memset(&res, 0, sizeof res);
		switch (st.act) {
		case LC_ACT_DONE:
			if (op->phase == PH_GIVE) {
				op_give_done(op, st.rc);
				return;
			}
			if (!op_main_done(op, st.rc))
				return; /* finished (freed), or waiting for the user's job */
			continue;
		case LC_ACT_SLEEP:
			if (!op->timer && !(op->timer = evtimer_new(ac->base, timer_cb, op))) {
				res.rc = lc_set_error(CACHIFY_ENOMEM, "out of memory");
				last = &res;
				continue;
			}
			{
				struct timeval tv = { st.ms / 1000, (st.ms % 1000) * 1000 };

				evtimer_add(op->timer, &tv);
			}
			op->wkey = st.key;
			op->wklen = st.klen;
			if (st.key)
				sleeper_add(op);
			op->running = false;
			return;
		case LC_ACT_COMPUTE:
			if (op->zombie) { /* nobody wants the value: give the fill lock back */
				res.rc = CACHIFY_ECANCELED;
				last = &res;
				continue;
			}
			op->job = calloc(1, sizeof *op->job);
			if (!op->job) {
				res.rc = lc_set_error(CACHIFY_ENOMEM, "out of memory");
				last = &res;
				continue;
			}
			op->job->op = op;
			op->cfn(op->fnarg, op->job);
			if (!op->job_ready) {
				op->running = false;
				return;
			}
			/* The compute finished inside cfn: go on from here. */
			op->job_ready = false;
			res = op->job_res;
			memset(&op->job_res, 0, sizeof op->job_res);
			last = &res;
			continue;
		default:
			if (!ac->ops->native &&
			    (st.act == LC_ACT_DEL || (st.act == LC_ACT_SET && !st.nx)))
				sleepers_wake(ac, st.key, st.klen);
			rc = ac->ops->start(ac->ctx, &st, io_done_cb, op, &op->io, &res);
			if (rc == 0) {
				op->running = false;
				return;
			}
			if (rc < 0) {
				memset(&res, 0, sizeof res);
				res.rc = rc;
			}
			last = &res;
			continue;
		}
	}
}

static void job_end(cachify_async_job *job, struct lc_result *res)
{
	struct cachify_aop *op = job->op;

	free(job);
	op->job = NULL;
	if (op->running) { /* inside fn, called from op_run: it goes on */
		op->job_res = *res;
		op->job_ready = true;
		return;
	}
	if (op->phase == PH_USER) {
		if (begin_give(op) != 0) {
			op_finish(op, CACHIFY_ENOMEM);
			return;
		}
		op_run(op, NULL);
		return;
	}
	op_run(op, res);
}

void cachify_async_job_value(cachify_async_job *job, int err, char *value, size_t len)
{
	struct lc_result res = { .rc = err, .value = err ? NULL : value, .len = len };

	if (!job)
		return;
	if (err)
		free(value);
	job_end(job, &res);
}

void cachify_async_job_done(cachify_async_job *job, int ret)
{
	struct lc_result res = { 0 };

	if (!job)
		return;
	job->op->res.fn_ret = ret;
	job->op->res.ran = true;
	job_end(job, &res);
}

/* ---- cancellation ------------------------------------------------------------------------------- */

/* Ends the sessions of native grants op holds (cachifyd: closing their
 * connections frees them on the server). */
static void drop_grants(struct cachify_aop *op)
{
	const struct abackend_ops *ops = op->ac->ops;

	if (!ops->drop)
		return;
	if (op->g.id)
		ops->drop(op->ac->ctx, &op->g);
	if (op->kind == K_CACHED && op->mach && ((struct lc_cached *)op->mach)->g.id)
		ops->drop(op->ac->ctx, &((struct lc_cached *)op->mach)->g);
}

void cachify_aop_cancel(cachify_aop *op)
{
	cachify_async_cb *cb;

	if (!op || op->zombie || !op->cb)
		return;
	cb = op->cb;
	op->cb = NULL;
	op->zombie = true;
	op_unlink(op);
	op->res.rc = CACHIFY_ECANCELED;
	lc_set_error(CACHIFY_ECANCELED, "operation cancelled");
	cb(op->arg, &op->res);
	op->res.value = NULL;

	if (op->running)
		return; /* inside its own fn: op_run finishes it as a zombie */
	switch (op->phase) {
	case PH_READY:
		ready_unlink(op);
		lc_aop_free(op);
		return;
	case PH_USER:
		return; /* the job still runs; its end gives the grant back */
	default:
		break;
	}
	if (op->timer && evtimer_pending(op->timer, NULL)) {
		/* Polling between attempts holds nothing. A release never
		 * sleeps but in a pool's meta-lock: let it go on. */
		if (op->phase == PH_MAIN && op->kind != K_SLOT_REL) {
			event_del(op->timer);
			mach_free(op);
			lc_aop_free(op);
		}
		return;
	}
	if (op->io && op->ac->ops->cancel(op->ac->ctx, op->io)) {
		op->io = NULL;
		drop_grants(op);
		lc_aop_free(op);
		return;
	}
	if (!op->io && !op->job) {
		drop_grants(op);
		lc_aop_free(op);
	}
	/* Else a request that cannot be cut is out: the zombie finishes. */
}

void lc_async_instance_gone(cachify *in)
{
	while (in->aops)
		cachify_aop_cancel(in->aops);
}

/* A native one-shot's request goes out in its starting call, so the
 * daemon works on it while the loop goes on with other callbacks (a lock
 * pair's release leaves while the acquires of other chains are still
 * being read). A result that comes at once (an error) waits for the loop:
 * callbacks never run inside the starting call. 0, or a code. */
static int op_start_now(struct cachify_aop *op)
{
	cachify_async_client *ac = op->ac;
	struct lc_step st;
	int rc = op_begin(op);

	if (rc)
		return rc;
	if (op->m != &op->one.m) {
		op_ready(op); /* a machine: its first step runs from the loop */
		return 0;
	}
	op->m->step(op->m, NULL, &st);
	rc = ac->ops->start(ac->ctx, &st, io_done_cb, op, &op->io, &op->early_res);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		memset(&op->early_res, 0, sizeof op->early_res);
		op->early_res.rc = rc;
	}
	op->early = true;
	op_ready(op);
	return 0;
}

/* Either queues op (0, *opp set) or frees it (rc). */
int lc_aop_launch(cachify *c, cachify *in, struct cachify_aop *op, int rc, cachify_aop **opp)
{
	if (rc == 0 && op->ac->ops->native)
		rc = op_start_now(op);
	else if (rc == 0)
		op_ready(op);
	if (rc) {
		op->cb = NULL;
		lc_aop_free(op);
	} else if (opp) {
		*opp = op;
	}
	if (in)
		lc_instance_put(c, in);
	return rc;
}

