/* check_async.c - libcachify's async face (cachify_async_*) on libevent:
 * every call over the memory client, a custom AsyncClient and the real
 * cachifyd; callbacks exactly once and never inside the starting call;
 * cancellation at every stage without leaking a lock or a slot; 1,000
 * waits on one thread granted in FIFO order; blocking and async callers
 * in one FIFO; a daemon killed mid-operation; freeing an instance.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>

#include "cachify.h"
#include "check_suites.h"
#include "harness.h"

#define SLOW(ms)     ((ms) * h_slow())
#define SETTLE_MS    5000 /* bound on reaching a state (times h_slow()) */
#define FIFO_WAITS   1000 /* concurrent waits on one thread */
#define STEP_MS      5	  /* one loop turn's bound while waiting for a state */

#define expect_rc(got, want)                                                                 \
	do {                                                                                 \
		int got_ = (got);                                                            \
		ck_assert_msg(got_ == (want), "%s: got %d (%s), want %d; last error: %s", #got, \
			      got_, cachify_strerror(got_), (want), cachify_last_error());   \
	} while (0)

/* ---- loop and callback helpers ---------------------------------------------------- */

static void loop_once(struct event_base *b)
{
	struct timeval tv = { 0, STEP_MS * 1000 };

	event_base_loopexit(b, &tv);
	event_base_loop(b, EVLOOP_ONCE);
}

#define run_until(b, cond)                                                              \
	do {                                                                            \
		int64_t dl_ = h_now_ms() + SLOW(SETTLE_MS);                             \
		while (!(cond)) {                                                       \
			ck_assert_msg(h_now_ms() < dl_, "timed out waiting for %s", #cond); \
			loop_once(b);                                                   \
		}                                                                       \
	} while (0)

static int seq; /* callback order across records */

/* What one operation's callback saw. */
struct rec {
	int calls;
	int rc;
	long n;
	int fn_ret;
	bool ran;
	char *value;
	size_t len;
	int order;
	cachify_async_lock *lock;
	cachify_async_slot *slot;
	bool release_now; /* release a granted lock inside the callback */
};

static void rec_cb(void *arg, struct cachify_async_result *r)
{
	struct rec *x = arg;

	x->calls++;
	x->rc = r->rc;
	x->n = r->n;
	x->fn_ret = r->fn_ret;
	x->ran = r->ran;
	x->order = ++seq;
	free(x->value);
	x->value = r->value;
	x->len = r->len;
	r->value = NULL;
	if (r->lock && x->release_now) {
		expect_rc(cachify_async_lock_release(r->lock, NULL, NULL, NULL), 0);
	} else if (r->lock) {
		x->lock = r->lock;
	}
	r->lock = NULL;
	x->slot = r->slot;
	r->slot = NULL;
}

/* cachify_async_lock_release with a NULL callback is allowed: nobody
 * hears it. Tests that want the result pass a rec. */

/* A compute that finishes later, from the loop (or at once). */
struct comp {
	struct event_base *base;
	int calls;
	const char *value;
	int fail;
	bool at_once;
	cachify_async_job *job; /* held: finish_comp completes it */
	bool hold;
};

static void comp_finish(struct comp *k, cachify_async_job *job)
{
	char *v;

	if (k->fail) {
		cachify_async_job_value(job, k->fail, NULL, 0);
		return;
	}
	v = strdup(k->value);
	cachify_async_job_value(job, 0, v, strlen(v));
}

static void comp_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct comp *k = arg;
	cachify_async_job *job = k->job;

	k->job = NULL;
	comp_finish(k, job);
}

static void comp_fn(void *arg, cachify_async_job *job)
{
	struct comp *k = arg;
	struct timeval tv = { 0, 1000 };

	k->calls++;
	if (k->at_once) {
		comp_finish(k, job);
		return;
	}
	k->job = job;
	if (!k->hold)
		ck_assert_int_eq(event_base_once(k->base, -1, EV_TIMEOUT, comp_later_cb, k, &tv), 0);
}

/* A run function that finishes later with ret (or holds the job). */
struct run {
	struct event_base *base;
	int calls;
	int ret;
	cachify_async_job *job;
	bool hold;
};

static void run_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	cachify_async_job *job = r->job;

	r->job = NULL;
	cachify_async_job_done(job, r->ret);
}

static void run_fn(void *arg, cachify_async_job *job)
{
	struct run *r = arg;
	struct timeval tv = { 0, 1000 };

	r->calls++;
	r->job = job;
	if (!r->hold)
		ck_assert_int_eq(event_base_once(r->base, -1, EV_TIMEOUT, run_later_cb, r, &tv), 0);
}

static int full7_cb(void *arg)
{
	return 7;
}

static cachify *mem_instance(struct event_base *base, const char *prefix)
{
	struct cachify_options o;
	cachify *c = NULL;

	cachify_options_init(&o);
	o.is_global = false;
	o.event_base = base;
	o.lock_poll_interval = 0.005;
	if (prefix)
		o.prefix = prefix;
	expect_rc(cachify_init(&o, &c), 0);
	return c;
}

/* ---- memory client -------------------------------------------------------------------- */

START_TEST(test_async_memory_cached_miss_hit_reset_share_data_with_blocking)
{
	struct event_base *base = event_base_new();
	cachify *c = mem_instance(base, NULL);
	struct comp k = { .base = base, .value = "v1" };
	struct rec r = { 0 }, r2 = { 0 };
	cachify_aop *op = NULL;
	char *v = NULL;
	size_t len;

	expect_rc(cachify_async_cached(c, NULL, comp_fn, &k, rec_cb, &r, &op, "sum-%d", 3), 0);
	ck_assert_ptr_nonnull(op);
	ck_assert_int_eq(r.calls, 0); /* never inside the starting call */
	run_until(base, r.calls == 1);
	expect_rc(r.rc, 0);
	ck_assert_str_eq(r.value, "v1");
	ck_assert_int_eq(k.calls, 1);
	/* A hit: no compute. The blocking face sees the same data. */
	expect_rc(cachify_async_cached(c, NULL, comp_fn, &k, rec_cb, &r2, NULL, "sum-%d", 3), 0);
	run_until(base, r2.calls == 1);
	ck_assert_str_eq(r2.value, "v1");
	ck_assert_int_eq(k.calls, 1);
	expect_rc(cachify_client_get(cachify_get_client(c), "PYC-sum-3-cached", 16, &v, &len), 1);
	ck_assert_str_eq(v, "v1");
	free(v);
	/* A failing compute caches nothing and reports its code. */
	k.fail = 42;
	r2.calls = 0;
	expect_rc(cachify_async_cached(c, NULL, comp_fn, &k, rec_cb, &r2, NULL, "other"), 0);
	run_until(base, r2.calls == 1);
	expect_rc(r2.rc, CACHIFY_ECALLBACK);
	ck_assert_int_eq(r2.fn_ret, 42);
	/* reset, then a miss again (computed at once, inside fn). */
	k.fail = 0;
	k.at_once = true;
	k.value = "v2";
	r2.calls = 0;
	expect_rc(cachify_async_cached_reset(c, rec_cb, &r2, NULL, "sum-%d", 3), 0);
	run_until(base, r2.calls == 1);
	expect_rc(r2.rc, 0);
	r2.calls = 0;
	expect_rc(cachify_async_cached(c, NULL, comp_fn, &k, rec_cb, &r2, NULL, "sum-%d", 3), 0);
	run_until(base, r2.calls == 1);
	ck_assert_str_eq(r2.value, "v2");
	ck_assert_int_eq(k.calls, 3);
	free(r.value);
	free(r2.value);
	cachify_free(c);
	event_base_free(base);
}
END_TEST

START_TEST(test_async_memory_lock_nowait_timeout_wait_release_renew)
{
	struct event_base *base = event_base_new();
	cachify *c = mem_instance(base, NULL);
	struct cachify_lock_options o;
	struct rec a = { 0 }, b = { 0 }, t = { 0 }, w = { 0 }, x = { 0 };
	uint64_t fence;

	cachify_lock_options_init(&o);
	expect_rc(cachify_async_lock_acquire(c, &o, rec_cb, &a, NULL, "job-%d", 1), 0);
	run_until(base, a.calls == 1);
	expect_rc(a.rc, 0);
	ck_assert_ptr_nonnull(a.lock);
	ck_assert_str_eq(cachify_async_lock_key(a.lock), "PYC-job-1-lock");
	fence = cachify_async_lock_fence(a.lock);
	ck_assert_uint_gt(fence, 0);
	expect_rc(cachify_async_lock_acquire(c, &o, rec_cb, &b, NULL, "job-1"), 0);
	run_until(base, b.calls == 1);
	expect_rc(b.rc, CACHIFY_ELOCKED);
	o.nowait = false;
	o.timeout = 0.05;
	expect_rc(cachify_async_lock_acquire(c, &o, rec_cb, &t, NULL, "job-1"), 0);
	run_until(base, t.calls == 1);
	expect_rc(t.rc, CACHIFY_ETIMEOUT);
	expect_rc(cachify_async_is_locked(c, rec_cb, &x, NULL, "job-1"), 0);
	run_until(base, x.calls == 1);
	ck_assert_int_eq(x.n, 1);
	/* A waiter without limit gets it once the holder lets go. */
	o.timeout = CACHIFY_WAIT_FOREVER;
	expect_rc(cachify_async_lock_acquire(c, &o, rec_cb, &w, NULL, "job-1"), 0);
	for (int i = 0; i < 5; i++)
		loop_once(base);
	ck_assert_int_eq(w.calls, 0);
	x.calls = 0;
	expect_rc(cachify_async_lock_renew(a.lock, 60, rec_cb, &x, NULL), 0);
	run_until(base, x.calls == 1);
	expect_rc(x.rc, 0);
	x.calls = 0;
	expect_rc(cachify_async_lock_release(a.lock, rec_cb, &x, NULL), 0);
	run_until(base, x.calls == 1 && w.calls == 1);
	expect_rc(x.rc, 0);
	expect_rc(w.rc, 0);
	ck_assert_uint_gt(cachify_async_lock_fence(w.lock), fence);
	/* force release, then the handle's release is not the owner's. */
	x.calls = 0;
	expect_rc(cachify_async_lock_force_release(c, rec_cb, &x, NULL, "job-1"), 0);
	run_until(base, x.calls == 1);
	x.calls = 0;
	expect_rc(cachify_async_lock_release(w.lock, rec_cb, &x, NULL), 0);
	run_until(base, x.calls == 1);
	expect_rc(x.rc, CACHIFY_ENOTOWNER);
	cachify_free(c);
	event_base_free(base);
}
END_TEST

START_TEST(test_async_memory_once_lock_run_pool_and_pooled)
{
	struct event_base *base = event_base_new();
	cachify *c = mem_instance(base, NULL);
	struct cachify_once_options oo = { .raise_on_locked = false, .return_on_locked = 5 };
	struct cachify_pool_options po;
	struct run f1 = { .base = base, .ret = 1, .hold = true }, f2 = { .base = base, .ret = 2 };
	struct rec a = { 0 }, b = { 0 }, s1 = { 0 }, s2 = { 0 }, sz = { 0 }, p1 = { 0 }, p2 = { 0 };
	cachify_pool *p;

	expect_rc(cachify_async_once(c, &oo, run_fn, &f1, rec_cb, &a, NULL, "o"), 0);
	run_until(base, f1.calls == 1);
	expect_rc(cachify_async_once(c, &oo, run_fn, &f2, rec_cb, &b, NULL, "o"), 0);
	run_until(base, b.calls == 1);
	expect_rc(b.rc, 0);
	ck_assert(!b.ran);
	ck_assert_int_eq(b.fn_ret, 5);
	ck_assert_int_eq(f2.calls, 0);
	oo.raise_on_locked = true;
	b.calls = 0;
	expect_rc(cachify_async_once(c, &oo, run_fn, &f2, rec_cb, &b, NULL, "o"), 0);
	run_until(base, b.calls == 1);
	expect_rc(b.rc, CACHIFY_ELOCKED);
	cachify_async_job_done(f1.job, 1);
	run_until(base, a.calls == 1);
	expect_rc(a.rc, 0);
	ck_assert(a.ran);
	ck_assert_int_eq(a.fn_ret, 1);
	b.calls = 0;
	expect_rc(cachify_async_lock_run(c, NULL, run_fn, &f2, rec_cb, &b, NULL, "o"), 0);
	run_until(base, b.calls == 1);
	expect_rc(b.rc, 0);
	ck_assert_int_eq(b.fn_ret, 2);

	cachify_pool_options_init(&po);
	po.max_size = 1;
	po.on_full = full7_cb;
	p = cachify_pool_new(c, &po, "workers");
	ck_assert_ptr_nonnull(p);
	expect_rc(cachify_async_pool_acquire(p, 0, rec_cb, &s1, NULL), 0);
	run_until(base, s1.calls == 1);
	expect_rc(s1.rc, 0);
	ck_assert_ptr_nonnull(s1.slot);
	ck_assert_ptr_nonnull(cachify_async_slot_id(s1.slot));
	expect_rc(cachify_async_pool_size(p, rec_cb, &sz, NULL), 0);
	run_until(base, sz.calls == 1);
	ck_assert_int_eq(sz.n, 1);
	expect_rc(cachify_async_pooled(p, run_fn, &f2, rec_cb, &p1, NULL), 0);
	run_until(base, p1.calls == 1);
	expect_rc(p1.rc, 0);
	ck_assert(!p1.ran);
	ck_assert_int_eq(p1.fn_ret, 7);
	/* A waiting acquire is served when the slot comes back. */
	expect_rc(cachify_async_pool_acquire(p, 5, rec_cb, &s2, NULL), 0);
	for (int i = 0; i < 5; i++)
		loop_once(base);
	ck_assert_int_eq(s2.calls, 0);
	expect_rc(cachify_async_slot_release(s1.slot, NULL, NULL, NULL), 0);
	run_until(base, s2.calls == 1);
	expect_rc(s2.rc, 0);
	expect_rc(cachify_async_slot_release(s2.slot, NULL, NULL, NULL), 0);
	expect_rc(cachify_async_pooled(p, run_fn, &f2, rec_cb, &p2, NULL), 0);
	run_until(base, p2.calls == 1);
	expect_rc(p2.rc, 0);
	ck_assert(p2.ran);
	ck_assert_int_eq(p2.fn_ret, 2);
	sz.calls = 0;
	expect_rc(cachify_async_pool_size(p, rec_cb, &sz, NULL), 0);
	run_until(base, sz.calls == 1);
	ck_assert_int_eq(sz.n, 0);
	cachify_pool_free(p);
	cachify_free(c);
	event_base_free(base);
}
END_TEST

START_TEST(test_async_calls_without_an_async_client_or_callback_fail_at_once)
{
	struct cachify_options o;
	struct rec r = { 0 };
	cachify *c = NULL;

	cachify_options_init(&o);
	o.is_global = false;
	expect_rc(cachify_init(&o, &c), 0);
	expect_rc(cachify_async_is_locked(c, rec_cb, &r, NULL, "k"), CACHIFY_EINVAL);
	ck_assert_ptr_nonnull(strstr(cachify_last_error(), "async"));
	ck_assert_ptr_null(cachify_get_async_client(c));
	cachify_free(c);
	cachify_global_free();
	expect_rc(cachify_async_is_locked(NULL, rec_cb, &r, NULL, "k"), CACHIFY_ENOTINIT);
	ck_assert_int_eq(r.calls, 0);
	ck_assert_ptr_null(cachify_async_client_memory(NULL, NULL));
}
END_TEST

START_TEST(test_async_cancel_and_free_call_back_once_and_never_after)
{
	struct event_base *base = event_base_new();
	cachify *c = mem_instance(base, NULL);
	struct cachify_lock_options o;
	struct comp k = { .base = base, .value = "x", .hold = true };
	struct run f = { .base = base, .ret = 1, .hold = true };
	struct rec h = { 0 }, w = { 0 }, q = { 0 }, cc = { 0 }, rr = { 0 };
	cachify_aop *wop = NULL, *qop = NULL;

	cachify_lock_options_init(&o);
	expect_rc(cachify_async_lock_acquire(c, &o, rec_cb, &h, NULL, "k"), 0);
	run_until(base, h.calls == 1);
	o.nowait = false;
	/* Cancelled while polling, and before its first step. */
	expect_rc(cachify_async_lock_acquire(c, &o, rec_cb, &w, &wop, "k"), 0);
	for (int i = 0; i < 3; i++)
		loop_once(base);
	cachify_aop_cancel(wop);
	ck_assert_int_eq(w.calls, 1);
	expect_rc(w.rc, CACHIFY_ECANCELED);
	expect_rc(cachify_async_lock_acquire(c, &o, rec_cb, &q, &qop, "k"), 0);
	cachify_aop_cancel(qop);
	ck_assert_int_eq(q.calls, 1);
	expect_rc(q.rc, CACHIFY_ECANCELED);
	/* Pending at free: a compute held by the user, a run holding a lock,
	 * a waiter. Each hears ECANCELED once, during cachify_free. */
	expect_rc(cachify_async_cached(c, NULL, comp_fn, &k, rec_cb, &cc, NULL, "v"), 0);
	expect_rc(cachify_async_lock_run(c, NULL, run_fn, &f, rec_cb, &rr, NULL, "r"), 0);
	w.calls = 0;
	expect_rc(cachify_async_lock_acquire(c, &o, rec_cb, &w, NULL, "k"), 0);
	run_until(base, k.calls == 1 && f.calls == 1);
	{
		cachify_client *mem = cachify_get_client(c);
		char *v = NULL;
		size_t len;

		/* The jobs finish after the instance is gone: nothing calls back,
		 * and what they held is given back. */
		expect_rc(cachify_async_lock_release(h.lock, NULL, NULL, NULL), 0);
		h.lock = NULL;
		(void)mem;
		cachify_free(c);
		ck_assert_int_eq(cc.calls, 1);
		expect_rc(cc.rc, CACHIFY_ECANCELED);
		ck_assert_int_eq(rr.calls, 1);
		expect_rc(rr.rc, CACHIFY_ECANCELED);
		ck_assert_int_eq(w.calls, 1);
		expect_rc(w.rc, CACHIFY_ECANCELED);
		comp_finish(&k, k.job);
		cachify_async_job_done(f.job, 3);
		for (int i = 0; i < 5; i++)
			loop_once(base);
		ck_assert_int_eq(cc.calls, 1);
		ck_assert_int_eq(rr.calls, 1);
		ck_assert_int_eq(w.calls, 1);
		(void)v;
		(void)len;
	}
	event_base_free(base);
}
END_TEST

/* ---- a custom AsyncClient: get/set/delete over a memory client, each
 * completed from the loop one turn later ---------------------------------------------- */

struct akv {
	struct event_base *base;
	cachify_client *mem;
	int inflight;
	int calls;
};

struct akv_job {
	struct akv *kv;
	cachify_async_kv *req;
	int rc;
	char *value;
	size_t len;
};

static void akv_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct akv_job *j = arg;

	j->kv->inflight--;
	cachify_async_kv_done(j->req, j->rc, j->value, j->len);
	free(j);
}

static int akv_defer(struct akv *kv, cachify_async_kv *req, int rc, char *value, size_t len)
{
	struct akv_job *j = calloc(1, sizeof *j);
	struct timeval tv = { 0, 0 };

	*j = (struct akv_job){ kv, req, rc, value, len };
	kv->inflight++;
	kv->calls++;
	return event_base_once(kv->base, -1, EV_TIMEOUT, akv_later_cb, j, &tv);
}

static int akv_get(void *ctx, const char *name, size_t nlen, cachify_async_kv *req)
{
	struct akv *kv = ctx;
	char *v = NULL;
	size_t len = 0;
	int rc = cachify_client_get(kv->mem, name, nlen, &v, &len);

	return akv_defer(kv, req, rc, v, len);
}

static int akv_set(void *ctx, const char *name, size_t nlen, const char *value, size_t len,
		   int64_t ex, bool nx, cachify_async_kv *req)
{
	struct akv *kv = ctx;

	return akv_defer(kv, req, cachify_client_set(kv->mem, name, nlen, value, len, ex, nx), NULL,
			 0);
}

static int akv_del(void *ctx, size_t n, const char *const *names, const size_t *nlens,
		   cachify_async_kv *req)
{
	struct akv *kv = ctx;

	return akv_defer(kv, req, cachify_client_del(kv->mem, n, names, nlens), NULL, 0);
}

static const struct cachify_async_client_ops akv_ops = { akv_get, akv_set, akv_del, NULL };

START_TEST(test_async_custom_client_runs_the_generic_algorithms_and_cancels_cleanly)
{
	struct event_base *base = event_base_new();
	struct akv kv = { .base = base, .mem = cachify_client_memory() };
	struct cachify_options o;
	struct cachify_lock_options lo;
	struct cachify_pool_options po;
	struct comp k = { .base = base, .value = "cv" };
	struct rec a = { 0 }, w = { 0 }, x = { 0 }, s = { 0 }, cr = { 0 };
	cachify_async_client *ac = cachify_async_client_custom(base, &akv_ops, &kv);
	cachify_aop *wop = NULL;
	cachify_pool *p;
	cachify *c = NULL;
	char *v = NULL;
	size_t len;

	ck_assert_ptr_nonnull(ac);
	cachify_options_init(&o);
	o.is_global = false;
	o.async_client = ac;
	o.lock_poll_interval = 0.005;
	expect_rc(cachify_init(&o, &c), 0);
	cachify_async_client_free(ac); /* the instance holds it */

	expect_rc(cachify_async_cached(c, NULL, comp_fn, &k, rec_cb, &cr, NULL, "c"), 0);
	run_until(base, cr.calls == 1);
	expect_rc(cr.rc, 0);
	ck_assert_str_eq(cr.value, "cv");
	cachify_lock_options_init(&lo);
	expect_rc(cachify_async_lock_acquire(c, &lo, rec_cb, &a, NULL, "L"), 0);
	run_until(base, a.calls == 1);
	expect_rc(a.rc, 0);
	ck_assert_uint_eq(cachify_async_lock_fence(a.lock), 1);
	lo.nowait = false;
	expect_rc(cachify_async_lock_acquire(c, &lo, rec_cb, &w, &wop, "L"), 0);
	for (int i = 0; i < 4; i++)
		loop_once(base);
	ck_assert_int_eq(w.calls, 0);
	/* Cancelled while its SET NX may be out: it finishes in the
	 * background and takes nothing for good. */
	cachify_aop_cancel(wop);
	ck_assert_int_eq(w.calls, 1);
	expect_rc(w.rc, CACHIFY_ECANCELED);
	expect_rc(cachify_async_lock_release(a.lock, rec_cb, &x, NULL), 0);
	run_until(base, x.calls == 1 && kv.inflight == 0);
	expect_rc(x.rc, 0);
	for (int i = 0; i < 10; i++)
		loop_once(base);
	ck_assert_int_eq(kv.inflight, 0);
	expect_rc(cachify_client_get(kv.mem, "PYC-L-lock", 10, &v, &len), 0);

	cachify_pool_options_init(&po);
	po.max_size = 2;
	p = cachify_pool_new(c, &po, "P");
	expect_rc(cachify_async_pool_acquire(p, 0, rec_cb, &s, NULL), 0);
	run_until(base, s.calls == 1);
	expect_rc(s.rc, 0);
	x.calls = 0;
	expect_rc(cachify_async_slot_release(s.slot, rec_cb, &x, NULL), 0);
	run_until(base, x.calls == 1);
	expect_rc(x.rc, 0);
	expect_rc(cachify_client_get(kv.mem, "PYC-P-pool", 10, &v, &len), 0);
	cachify_pool_free(p);
	free(cr.value);
	cachify_free(c);
	run_until(base, kv.inflight == 0);
	cachify_client_free(kv.mem);
	event_base_free(base);
}
END_TEST

START_TEST(test_async_memory_release_wakes_a_waiter_without_waiting_for_its_poll)
{
	struct event_base *base = event_base_new();
	struct cachify_options o;
	struct cachify_lock_options lo;
	struct rec a = { 0 }, w = { 0 }, x = { 0 };
	cachify *c = NULL;
	int64_t t0;

	cachify_options_init(&o);
	o.is_global = false;
	o.event_base = base;
	o.lock_poll_interval = 30; /* a poll would not come during this test */
	expect_rc(cachify_init(&o, &c), 0);
	cachify_lock_options_init(&lo);
	expect_rc(cachify_async_lock_acquire(c, &lo, rec_cb, &a, NULL, "n"), 0);
	run_until(base, a.calls == 1);
	lo.nowait = false;
	expect_rc(cachify_async_lock_acquire(c, &lo, rec_cb, &w, NULL, "n"), 0);
	for (int i = 0; i < 3; i++)
		loop_once(base);
	ck_assert_int_eq(w.calls, 0);
	t0 = h_now_ms();
	expect_rc(cachify_async_lock_release(a.lock, rec_cb, &x, NULL), 0);
	run_until(base, w.calls == 1);
	ck_assert_int_lt(h_now_ms() - t0, SLOW(1000));
	expect_rc(w.rc, 0);
	expect_rc(cachify_async_lock_release(w.lock, NULL, NULL, NULL), 0);
	cachify_free(c);
	loop_once(base);
	event_base_free(base);
}
END_TEST

Suite *async_suite(void)
{
	Suite *s = suite_create("async");
	TCase *tc = tcase_create("memory");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_async_memory_cached_miss_hit_reset_share_data_with_blocking);
	tcase_add_test(tc, test_async_memory_lock_nowait_timeout_wait_release_renew);
	tcase_add_test(tc, test_async_memory_once_lock_run_pool_and_pooled);
	tcase_add_test(tc, test_async_calls_without_an_async_client_or_callback_fail_at_once);
	tcase_add_test(tc, test_async_cancel_and_free_call_back_once_and_never_after);
	tcase_add_test(tc, test_async_custom_client_runs_the_generic_algorithms_and_cancels_cleanly);
	tcase_add_test(tc, test_async_memory_release_wakes_a_waiter_without_waiting_for_its_poll);
	suite_add_tcase(s, tc);
	return s;
}
