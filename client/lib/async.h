/* async.h - what the async face's engine (async.c) and its public calls
 * (async_api.c) share: operations, jobs and handles. Internal; not
 * installed.
 */
#ifndef CACHIFY_ASYNC_H
#define CACHIFY_ASYNC_H

#include "abackend.h"
#include "instance.h"

enum aop_kind {
	K_CACHED, K_DEL, K_GET, K_LOCK_ACQ, K_LOCK_REL, K_LOCK_RENEW, K_RUN, K_ONCE,
	K_POOL_ACQ, K_SLOT_REL, K_POOL_SIZE, K_POOLED,
};

enum aop_phase {
	PH_READY, /* on the client's ready list */
	PH_MAIN,  /* the main machine or action */
	PH_USER,  /* the user's run function holds the grant */
	PH_GIVE,  /* giving the grant back */
};

/* A machine for a single action: asks for st once, keeps the result. */
struct lc_one {
	struct lc_mach m;
	struct lc_step st;
	struct lc_result res;
};

struct cachify_async_job {
	struct cachify_aop *op;
};

struct cachify_aop {
	struct cachify_aop *prev, *next; /* the instance's operations */
	struct cachify_aop *rnext;	 /* the client's ready list */
	struct cachify_aop *snext, *sprev; /* the client's sleepers */
	bool sleeping;
	const char *wkey; /* what a sleeper polls (the machine's, valid while it sleeps) */
	size_t wklen;
	cachify *in;			 /* NULL once finished or cancelled */
	cachify_async_client *ac;	 /* one reference held */
	int kind, phase;
	bool zombie;
	bool running;	  /* op_run is on the stack */
	bool job_ready;	  /* the job finished while running */
	bool early;	  /* started in its starting call; early_res waits for the loop */
	struct lc_result early_res;
	struct lc_result job_res;
	cachify_async_cb *cb;
	void *arg;
	cachify_async_compute_fn *cfn;
	cachify_async_run_fn *fn;
	void *fnarg;
	cachify_async_job *job;
	void *io;	      /* the backend's pending request */
	struct event *timer;  /* SLEEP; made on first use */
	struct lc_mach *m;    /* the machine running now */
	void *mach;	      /* gmach.c machine storage (malloc'ed) */
	struct lc_one one;
	char *key;
	size_t klen;
	struct backend_grant g; /* what the operation holds */
	bool pool;		/* g is a pool slot */
	int64_t ex_s, ttl_s;
	struct backend_wait w;
	long max;
	double poll_s;
	bool want_fence;
	int64_t default_exp_s;
	const struct cachify_codec *codec;
	struct cachify_once_options once;
	bool auto_renew;	/* lock acquire: the handle renews itself */
	cachify_lost_fn *on_lost;
	void *on_lost_arg;
	bool raise_on_full;
	cachify_run_fn *on_full;
	struct cachify_async_result res;
};

struct cachify_async_lock {
	cachify_async_client *ac; /* one reference held */
	char *key;
	size_t klen;
	struct backend_grant g;
	double poll_s;
	int64_t default_exp_s; /* 0 = never */
	/* auto_renew (async_api.c): a timer every ex_s/3, one renew at a time */
	int64_t ex_s;		 /* the TTL renewed to; 0 = no auto-renew */
	struct event *renew_ev;
	struct cachify_aop *renew_op; /* the renew in flight */
	int64_t ok_ms;		 /* last time the hold was known good, monotonic */
	bool lost;
	cachify_lost_fn *on_lost;
	void *on_lost_arg;
};

/* Starts l's auto-renew timer (async_api.c): 0 or ENOMEM. */
int lc_alock_renew_start(cachify_async_lock *l);

struct cachify_async_slot {
	cachify_async_client *ac;
	char *key;
	size_t klen;
	struct backend_grant g;
	double poll_s;
};

/* A new operation of kind on ac (a reference taken), on in's list when in
 * is not NULL (cancelled with it); cb NULL makes a background one. NULL
 * when out of memory. */
struct cachify_aop *lc_aop_new(cachify *in, cachify_async_client *ac, int kind,
			       cachify_async_cb *cb, void *arg);
/* Frees an operation that never started, or one that ended. */
void lc_aop_free(struct cachify_aop *op);
/* Starts op (rc 0: *opp set if opp, the callback will come) or frees it
 * (rc returned); puts in's reference (lc_instance_put) either way. */
int lc_aop_launch(cachify *c, cachify *in, struct cachify_aop *op, int rc, cachify_aop **opp);

#endif /* CACHIFY_ASYNC_H */
