/* akv.c - the async face of the get/set/delete backends: the memory client
 * (its calls never block, so they complete at once, on the loop's thread)
 * and custom clients over the reference's AsyncClient protocol (the user's
 * calls complete later through cachify_async_kv_done). Neither has native
 * locks or pools: async.c runs gmach.c's machines over them, polling with
 * loop timers.
 */
#include <stdlib.h>
#include <string.h>

#include "abackend.h"

/* ---- memory ----------------------------------------------------------------- */

static int mem_start(void *ctx, const struct lc_step *st, lc_adone_fn *done, void *owner,
		     void **h, struct lc_result *res)
{
	cachify_client *mem = ctx;

	memset(res, 0, sizeof *res);
	switch (st->act) {
	case LC_ACT_GET:
		res->rc = cachify_client_get(mem, st->key, st->klen, &res->value, &res->len);
		break;
	case LC_ACT_SET:
		res->rc = cachify_client_set(mem, st->key, st->klen, st->val, st->vlen, st->ex_s,
					     st->nx);
		break;
	case LC_ACT_DEL:
		res->rc = cachify_client_del(mem, 1, &st->key, &st->klen);
		break;
	default:
		res->rc = lc_set_error(CACHIFY_EINVAL, "memory client: no native operations");
	}
	return 1;
}

static bool never_pending(void *ctx, void *h)
{
	return true;
}

static const struct abackend_ops amem_ops = {
	.name = "memory",
	.native = false,
	.start = mem_start,
	.cancel = never_pending,
};

cachify_async_client *cachify_async_client_memory(struct event_base *base, cachify_client *mem)
{
	cachify_async_client *ac;

	if (!base) {
		lc_set_error(CACHIFY_EINVAL, "async memory client: no event_base");
		return NULL;
	}
	if (mem && mem->ops != lc_memory_ops()) {
		lc_set_error(CACHIFY_EINVAL, "async memory client: the %s client is not a memory one",
			     mem->ops->name);
		return NULL;
	}
	if (mem)
		lc_client_ref(mem);
	else if (!(mem = cachify_client_memory()))
		return NULL;
	if (!(ac = lc_aclient_new(base, &amem_ops, mem))) {
		cachify_client_free(mem);
		return NULL;
	}
	ac->mem = mem; /* the reference is the wrapper's now */
	return ac;
}

/* ---- custom: the AsyncClient protocol ------------------------------------------- */

struct cachify_async_kv {
	cachify_async_client *ac; /* one reference held until the user completes */
	lc_adone_fn *done;
	void *owner;	/* NULL: nobody waits (never, today: cancel says no) */
	int act;
	bool in_call;	/* the user's call is on the stack */
	bool completed;
	struct lc_result res;
};

/* A user's code folded into the library's: "found"/"set" to 1, an unknown
 * negative code to EIO, and a message for every failure. */
static int user_code(int rc, int act)
{
	static const char *const names[] = { "get", "set", "delete" };
	const char *op = names[act == LC_ACT_GET ? 0 : act == LC_ACT_SET ? 1 : 2];

	if (rc >= 0)
		return act != LC_ACT_DEL && rc > 1 ? 1 : rc;
	if (rc < CACHIFY_ECODEC)
		rc = CACHIFY_EIO;
	return lc_set_error(rc, "custom async client %s failed: %s", op, cachify_strerror(rc));
}

void cachify_async_kv_done(cachify_async_kv *req, int rc, char *value, size_t len)
{
	cachify_async_client *ac;
	struct lc_result res = { 0 };

	if (!req)
		return;
	res.rc = user_code(rc, req->act);
	if (req->act == LC_ACT_GET && res.rc == 1) {
		res.value = value;
		res.len = len;
	} else {
		free(value);
	}
	if (req->in_call) { /* completed inside the call: start returns it */
		req->res = res;
		req->completed = true;
		return;
	}
	ac = req->ac;
	lc_aclient_enter(ac);
	if (req->owner)
		req->done(req->owner, &res);
	else
		free(res.value);
	free(req);
	cachify_async_client_free(ac);
	lc_aclient_leave(ac);
}

static int custom_start(void *ctx, const struct lc_step *st, lc_adone_fn *done, void *owner,
			void **h, struct lc_result *res)
{
	cachify_async_client *ac = ctx;
	cachify_async_kv *req = calloc(1, sizeof *req);
	int rc;

	if (!req)
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	req->ac = ac;
	req->done = done;
	req->owner = owner;
	req->act = st->act;
	req->in_call = true;
	switch (st->act) {
	case LC_ACT_GET:
		rc = ac->user.get(ac->user_ctx, st->key, st->klen, req);
		break;
	case LC_ACT_SET:
		rc = ac->user.set(ac->user_ctx, st->key, st->klen, st->val, st->vlen, st->ex_s,
				  st->nx, req);
		break;
	case LC_ACT_DEL:
		rc = ac->user.del(ac->user_ctx, 1, &st->key, &st->klen, req);
		break;
	default:
		free(req);
		return lc_set_error(CACHIFY_EINVAL, "custom client: no native operations");
	}
	req->in_call = false;
	if (req->completed) {
		*res = req->res;
		free(req);
		return 1;
	}
	if (rc < 0) {
		free(req);
		return user_code(rc, st->act);
	}
	lc_aclient_ref(ac);
	*h = req;
	return 0;
}

/* A user's request cannot be called back: it runs to its end, and the
 * operation that made it finishes in the background (async.c). */
static bool custom_cancel(void *ctx, void *h)
{
	return false;
}

static const struct abackend_ops acustom_ops = {
	.name = "custom",
	.native = false,
	.start = custom_start,
	.cancel = custom_cancel,
};

cachify_async_client *cachify_async_client_custom(struct event_base *base,
						  const struct cachify_async_client_ops *ops,
						  void *ctx)
{
	cachify_async_client *ac;

	if (!base || !ops || !ops->get || !ops->set || !ops->del) {
		lc_set_error(CACHIFY_EINVAL, "custom async client: base, get, set and del are required");
		return NULL;
	}
	/* The user keeps ctx if this fails: no destroy until it exists. */
	if (!(ac = lc_aclient_new(base, &acustom_ops, NULL)))
		return NULL;
	ac->ctx = ac;
	ac->user = *ops;
	ac->user_ctx = ctx;
	return ac;
}
