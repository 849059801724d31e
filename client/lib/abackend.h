/* abackend.h - libcachify's async (libevent) backend interface and the
 * async client wrapper. Internal; not installed.
 *
 * An async backend carries out one action of gmach.h's vocabulary at a
 * time per request (get/set/delete, and natively lock/pool acquire,
 * release, renew, size) and reports the result through a callback from
 * the loop. async.c owns operations, machines, cancellation and the
 * public API; backends (adaemon.c, akv.c) own I/O.
 */
#ifndef CACHIFY_ABACKEND_H
#define CACHIFY_ABACKEND_H

#include <stdbool.h>

#include "backend.h"
#include "gmach.h"

struct event;
struct event_base;

typedef void lc_adone_fn(void *owner, struct lc_result *res);

struct abackend_ops {
	const char *name;
	bool native; /* lock/pool actions are native (else gmach.c's over get/set/del) */
	/* Starts st (the pointers in st are borrowed for the call only).
	 * Returns 1 with *res filled when the result is there at once; 0 when
	 * pending: *h names the request and done(owner, res) runs later from
	 * the loop, exactly once, unless cancel(h) returned true; or a negative
	 * code (nothing started, message recorded). */
	int (*start)(void *ctx, const struct lc_step *st, lc_adone_fn *done, void *owner, void **h,
		     struct lc_result *res);
	/* Stops pending request h: true when it is over (done never runs, and
	 * whatever it would have granted is given back); false when it cannot
	 * be stopped (done still runs: its owner cleans up then). */
	bool (*cancel)(void *ctx, void *h);
	/* Gives back a native grant nobody will release (its operation was
	 * cancelled), without waiting: ends its session. */
	void (*drop)(void *ctx, struct backend_grant *g);
	void (*destroy)(void *ctx);
};

struct cachify_async_client {
	const struct abackend_ops *ops;
	void *ctx;
	struct event_base *base;
	int refs;		   /* atomic: pools may come and go on other threads */
	int depth;		   /* backend callbacks on the stack: destroy waits for 0 */
	cachify_client *mem;	   /* memory: the blocking client whose data it shares */
	struct event *kick;	   /* runs ready operations' first steps */
	struct cachify_aop *ready; /* operations not started yet, FIFO */
	struct cachify_aop *ready_tail;
	struct cachify_aop *sleepers;	/* generic waits between polls (get/set/del backends) */
	struct cachify_async_client_ops user; /* custom: the user's ops */
	void *user_ctx;
};

/* Wraps a backend into a client with one reference; NULL when out of
 * memory (ctx is then destroyed). */
cachify_async_client *lc_aclient_new(struct event_base *base, const struct abackend_ops *ops,
				     void *ctx);
void lc_aclient_ref(cachify_async_client *ac);
/* Backends bracket calls of done with these: a client whose last
 * reference goes inside is destroyed at the outermost leave. */
void lc_aclient_enter(cachify_async_client *ac);
void lc_aclient_leave(cachify_async_client *ac);

/* async.c: cancels every operation of an instance that is going away. */
void lc_async_instance_gone(cachify *in);

#endif /* CACHIFY_ABACKEND_H */
