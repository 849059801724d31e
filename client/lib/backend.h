/* backend.h - libcachify's internal backend interface. Internal symbols
 * that are not static start with lc_ (the test binary links the daemon too).
 *
 * Every client is a vtable: the reference's get/set/delete, plus optional
 * native operations that the API prefers when present (cachifyd implements
 * them with LOCK.* and POOL.*; a later Redis backend will with scripts).
 * When a native operation is NULL the API runs the generic algorithm of
 * generic.c over get/set/delete. Not installed; not part of the ABI.
 */
#ifndef CACHIFY_BACKEND_H
#define CACHIFY_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cachify.h"

/* A wait request for native acquire calls. */
struct backend_wait {
	bool nowait;	/* fail at once when taken */
	double timeout; /* s; CACHIFY_WAIT_FOREVER to wait without limit */
	bool shared;	/* locks: a reader's (shared) hold */
};

/* What a native grant hands back. session is the backend's handle for a
 * session-bound grant (cachifyd: the connection it was made on, kept out of
 * the connection pool until release); NULL if none. */
struct backend_grant {
	char *id;	/* malloc'ed token or slot id */
	size_t idlen;
	uint64_t fence;
	void *session;
};

struct backend_ops {
	const char *name; /* "memory", "cachifyd", "custom" */

	/* The SyncClient protocol: same contracts as cachify_client_ops. */
	int (*get)(void *ctx, const char *name, size_t nlen, char **value, size_t *len);
	int (*set)(void *ctx, const char *name, size_t nlen, const char *value, size_t len,
		   int64_t ex, bool nx);
	int (*del)(void *ctx, size_t n, const char *const *names, const size_t *nlens);
	void (*destroy)(void *ctx);

	/* Optional native operations (NULL = use generic.c). ttl_ms < 0 means
	 * no expiry. Each returns 0 or a negative CACHIFY_E* code. */
	int (*lock_acquire)(void *ctx, const char *key, size_t klen, int64_t ttl_ms,
			    const struct backend_wait *w, struct backend_grant *g);
	int (*lock_release)(void *ctx, const char *key, size_t klen, const struct backend_grant *g);
	int (*lock_renew)(void *ctx, const char *key, size_t klen, const struct backend_grant *g,
			  int64_t ttl_ms);
	/* Ends a grant's session without releasing (after release or loss). */
	void (*session_end)(void *ctx, void *session);
	int (*pool_acquire)(void *ctx, const char *key, size_t klen, long max, int64_t ttl_ms,
			    const struct backend_wait *w, struct backend_grant *g);
	int (*pool_release)(void *ctx, const char *key, size_t klen, const struct backend_grant *g);
	/* Live slots, or a negative code. */
	long (*pool_size)(void *ctx, const char *key, size_t klen);
	/* The memory client's in-process locks (exclusive and shared, FIFO,
	 * no polling), used by the blocking face instead of generic.c's when
	 * present; contracts as lock_acquire/release/renew (no session). */
	int (*rw_acquire)(void *ctx, const char *key, size_t klen, int64_t ttl_ms,
			  const struct backend_wait *w, struct backend_grant *g);
	int (*rw_release)(void *ctx, const char *key, size_t klen, const struct backend_grant *g);
	int (*rw_renew)(void *ctx, const char *key, size_t klen, const struct backend_grant *g,
			int64_t ttl_ms);
	/* cachify_client_call; NULL = EINVAL. */
	int (*call)(void *ctx, int argc, const char *const *argv, const size_t *argvlen,
		    cachify_reply **out);
};

struct lc_renewer;

struct cachify_client {
	const struct backend_ops *ops;
	void *ctx;
	int refs; /* atomic */
	struct lc_renewer *renewer; /* renew.c's auto-renew thread, or NULL (its mutex guards it) */
	struct cachify_client_ops user; /* custom clients: the user's ops */
	void *user_ctx;
};

/* Wraps a vtable into a client with one reference. NULL when out of memory
 * (ctx is then destroyed through ops->destroy). */
cachify_client *lc_client_new(const struct backend_ops *ops, void *ctx);
void lc_client_ref(cachify_client *cl);

/* memory.c's vtable: how the async face knows a memory client. */
const struct backend_ops *lc_memory_ops(void);

/* Records the calling thread's error text and returns err (for chaining:
 * return lc_set_error(CACHIFY_EIO, "connect %s: %s", path, strerror(errno))). */
int lc_set_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- generic.c: the reference's algorithms over get/set/delete ----------
 * Expiries here are whole seconds as in cachify_client_set (0 = none).
 * On failure a grant is left empty (id NULL), as native acquires must too.
 * Replies (cachify_client_call): every node, its str and its element array
 * are separate malloc blocks, freed by cachify_reply_free (core.c). */

/* Frees g->id and zeroes g (not the session: see session_end). */
void lc_grant_clear(struct backend_grant *g);

/* SET key token NX EX ex, polling every poll s while w allows: 0 with g
 * filled (fence from key+"-fence" when want_fence, else 0), ELOCKED,
 * ETIMEOUT, or the backend's code. May block. */
int lc_generic_lock_acquire(cachify_client *cl, const char *key, size_t klen, int64_t ex,
			    const struct backend_wait *w, double poll, bool want_fence,
			    struct backend_grant *g);
/* Owner-checked (GET == token, then DEL / SET): 0 or ENOTOWNER. */
int lc_generic_lock_release(cachify_client *cl, const char *key, size_t klen,
			    const struct backend_grant *g);
int lc_generic_lock_renew(cachify_client *cl, const char *key, size_t klen,
			  const struct backend_grant *g, int64_t ex);
/* Pools: a slot list at key under the meta-lock key+"-meta". acquire: 0,
 * EFULL (timeout 0), or ETIMEOUT after polling every poll s for up to
 * timeout s (CACHIFY_WAIT_FOREVER: no limit); ex 0 = slots never expire. */
int lc_generic_pool_acquire(cachify_client *cl, const char *key, size_t klen, long max, int64_t ex,
			    double poll, double timeout, struct backend_grant *g);
int lc_generic_pool_release(cachify_client *cl, const char *key, size_t klen, double poll,
			    const struct backend_grant *g);
long lc_generic_pool_size(cachify_client *cl, const char *key, size_t klen);

#endif /* CACHIFY_BACKEND_H */
