/* core.c - libcachify's clients and errors: the reference-counted client
 * wrapper every backend lives in, custom clients over user ops, the
 * get/set/delete/call entry points, the thread-local error text, and the
 * version. Backends themselves live in memory.c and daemon.c; the
 * algorithms over them in generic.c, cachify.c and lockpool.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"

#define LC_ERR_MAX 256 /* bytes of a thread's error text, NUL included */

/* ---- errors ------------------------------------------------------------- */

static _Thread_local char lc_err[LC_ERR_MAX];

int lc_set_error(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lc_err, sizeof lc_err, fmt, ap);
	va_end(ap);
	return err;
}

const char *cachify_last_error(void)
{
	return lc_err[0] ? lc_err : "no error";
}

const char *cachify_strerror(int err)
{
	switch (err) {
	case CACHIFY_OK:
		return "success";
	case CACHIFY_ENOTINIT:
		return "cachify is not initialized (no global instance)";
	case CACHIFY_ELOCKED:
		return "locked by someone else";
	case CACHIFY_EFULL:
		return "pool is full";
	case CACHIFY_ETIMEOUT:
		return "timed out waiting";
	case CACHIFY_ENOTOWNER:
		return "not the owner (expired or taken over)";
	case CACHIFY_EIO:
		return "backend unreachable or connection broken";
	case CACHIFY_EPROTO:
		return "unexpected answer from the backend";
	case CACHIFY_ENOMEM:
		return "out of memory";
	case CACHIFY_EINVAL:
		return "invalid argument";
	case CACHIFY_ESERVER:
		return "server error";
	case CACHIFY_ELOST:
		return "lock or slot lost with its connection";
	case CACHIFY_ECALLBACK:
		return "callback failed";
	case CACHIFY_ECODEC:
		return "encoder or decoder failed";
	case CACHIFY_ECANCELED:
		return "operation cancelled";
	case CACHIFY_ENOTSUP:
		return "not supported by this backend";
	default:
		return "unknown error";
	}
}

const char *cachify_version(void)
{
	return CACHIFY_VERSION_STRING;
}

/* ---- the client wrapper ------------------------------------------------- */

cachify_client *lc_client_new(const struct backend_ops *ops, void *ctx)
{
	cachify_client *cl = calloc(1, sizeof *cl);

	if (!cl) {
		if (ops->destroy)
			ops->destroy(ctx);
		lc_set_error(CACHIFY_ENOMEM, "out of memory creating a %s client", ops->name);
		return NULL;
	}
	cl->ops = ops;
	cl->ctx = ctx;
	cl->refs = 1;
	return cl;
}

void lc_client_ref(cachify_client *cl)
{
	__atomic_fetch_add(&cl->refs, 1, __ATOMIC_RELAXED);
}

void cachify_client_free(cachify_client *cl)
{
	if (!cl)
		return;
	/* Release pairs with the acquire below: whoever destroys sees every
	 * other holder's writes. */
	if (__atomic_sub_fetch(&cl->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (cl->ops->destroy)
		cl->ops->destroy(cl->ctx);
	free(cl);
}

/* ---- custom clients: user ops behind the backend vtable -----------------
 * ctx is the client itself, so the trampolines find the user's ops. User
 * codes are checked: a positive "found"/"set" is folded to 1, a negative
 * code outside the CACHIFY_E* range becomes EIO, and every failure gets a
 * message (a user's backend cannot set one). */

static int custom_code(int rc, const char *op)
{
	if (rc >= 0)
		return rc;
	if (rc < CACHIFY_ECODEC)
		rc = CACHIFY_EIO;
	return lc_set_error(rc, "custom client %s failed: %s", op, cachify_strerror(rc));
}

static int custom_get(void *ctx, const char *name, size_t nlen, char **value, size_t *len)
{
	cachify_client *cl = ctx;
	int rc = custom_code(cl->user.get(cl->user_ctx, name, nlen, value, len), "get");

	return rc > 1 ? 1 : rc;
}

static int custom_set(void *ctx, const char *name, size_t nlen, const char *value, size_t len,
		      int64_t ex, bool nx)
{
	cachify_client *cl = ctx;
	int rc = custom_code(cl->user.set(cl->user_ctx, name, nlen, value, len, ex, nx), "set");

	return rc > 1 ? 1 : rc;
}

static int custom_del(void *ctx, size_t n, const char *const *names, const size_t *nlens)
{
	cachify_client *cl = ctx;

	return custom_code(cl->user.del(cl->user_ctx, n, names, nlens), "delete");
}

static void custom_destroy(void *ctx)
{
	cachify_client *cl = ctx;

	if (cl->user.destroy)
		cl->user.destroy(cl->user_ctx);
}

static const struct backend_ops custom_ops = {
	.name = "custom",
	.get = custom_get,
	.set = custom_set,
	.del = custom_del,
	.destroy = custom_destroy,
};

cachify_client *cachify_client_custom(const struct cachify_client_ops *ops, void *ctx)
{
	cachify_client *cl;

	if (!ops || !ops->get || !ops->set || !ops->del) {
		lc_set_error(CACHIFY_EINVAL, "custom client: get, set and del are required");
		return NULL;
	}
	/* Not lc_client_new: on failure the user keeps ctx (nothing is destroyed). */
	cl = calloc(1, sizeof *cl);
	if (!cl) {
		lc_set_error(CACHIFY_ENOMEM, "out of memory creating a custom client");
		return NULL;
	}
	cl->ops = &custom_ops;
	cl->ctx = cl;
	cl->refs = 1;
	cl->user = *ops;
	cl->user_ctx = ctx;
	return cl;
}

/* ---- get / set / delete / call ------------------------------------------ */

int cachify_client_get(cachify_client *cl, const char *name, size_t nlen, char **value, size_t *len)
{
	char *v = NULL, *nv;
	size_t vlen = 0;
	int rc;

	if (!cl || (!name && nlen) || !value || !len)
		return lc_set_error(CACHIFY_EINVAL, "client get: NULL argument");
	*value = NULL;
	*len = 0;
	rc = cl->ops->get(cl->ctx, name ? name : "", nlen, &v, &vlen);
	if (rc <= 0) {
		if (rc == 0)
			free(v); /* a backend that set it anyway */
		return rc;
	}
	/* Every value handed out is NUL-terminated (never relied on for its
	 * length): a custom backend's may not be, and a found empty value may
	 * come back as NULL. */
	nv = realloc(v, vlen + 1);
	if (!nv) {
		free(v);
		return lc_set_error(CACHIFY_ENOMEM, "out of memory reading a value");
	}
	nv[vlen] = '\0';
	*value = nv;
	*len = vlen;
	return 1;
}

int cachify_client_set(cachify_client *cl, const char *name, size_t nlen, const char *value,
		       size_t len, int64_t ex, bool nx)
{
	if (!cl || (!name && nlen) || (!value && len))
		return lc_set_error(CACHIFY_EINVAL, "client set: NULL argument");
	if (ex < 0)
		return lc_set_error(CACHIFY_EINVAL, "client set: negative expiry %lld",
				    (long long)ex);
	return cl->ops->set(cl->ctx, name ? name : "", nlen, value ? value : "", len, ex, nx);
}

int cachify_client_del(cachify_client *cl, size_t n, const char *const *names, const size_t *nlens)
{
	if (!cl || (n && (!names || !nlens)))
		return lc_set_error(CACHIFY_EINVAL, "client del: NULL argument");
	if (n == 0)
		return 0;
	return cl->ops->del(cl->ctx, n, names, nlens);
}

int cachify_client_call(cachify_client *cl, int argc, const char *const *argv, const size_t *argvlen,
			cachify_reply **out)
{
	if (out)
		*out = NULL;
	if (!cl || argc < 1 || !argv || !argvlen || !out)
		return lc_set_error(CACHIFY_EINVAL, "client call: bad argument");
	if (!cl->ops->call)
		return lc_set_error(CACHIFY_EINVAL, "the %s client does not take commands",
				    cl->ops->name);
	return cl->ops->call(cl->ctx, argc, argv, argvlen, out);
}

void cachify_reply_free(cachify_reply *r)
{
	if (!r)
		return;
	if (r->element) {
		for (size_t i = 0; i < r->elements; i++)
			cachify_reply_free(r->element[i]);
		free(r->element);
	}
	free(r->str);
	free(r);
}
