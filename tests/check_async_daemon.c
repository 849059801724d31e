/* check_async_daemon.c - libcachify's async face over the real cachifyd:
 * every call, 1,000 concurrent waits on one thread granted in FIFO order
 * (and what each costs the client), cancellation before connect, while
 * queued and granted-but-not-delivered without leaking a lock or a slot,
 * a daemon killed and restarted mid-operation, blocking and async callers
 * in one FIFO, pipelining on one connection, and freeing an instance.
 *
 * Each test forks its own cachifyd (tests/harness.h) and checks what the
 * library did with raw commands on a second connection.
 */
#include <check.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>

#include "cachify.h"
#include "check_suites.h"
#include "harness.h"

#define SLOW(ms)      ((ms) * h_slow())
#define SETTLE_MS     10000 /* bound on reaching a state (times h_slow()) */
#define STEP_MS       5	    /* one loop turn's bound while waiting */
#define FIFO_WAITS    1000  /* concurrent waits on one thread */
#define WAIT_BYTES_MAX 2048 /* client heap per pending wait, at most (the target) */
#define PIPELINED     200   /* independent requests started in one turn */

#define expect_rc(got, want)                                                                 \
	do {                                                                                 \
		int got_ = (got);                                                            \
		ck_assert_msg(got_ == (want), "%s: got %d (%s), want %d; last error: %s", #got, \
			      got_, cachify_strerror(got_), (want), cachify_last_error());   \
	} while (0)

static void loop_once(struct event_base *b)
{
	struct timeval tv = { 0, STEP_MS * 1000 };

	event_base_loopexit(b, &tv);
	event_base_loop(b, EVLOOP_ONCE);
}

#define run_until(b, cond)                                                                  \
	do {                                                                                \
		int64_t dl_ = h_now_ms() + SLOW(SETTLE_MS);                                 \
		while (!(cond)) {                                                           \
			ck_assert_msg(h_now_ms() < dl_, "timed out waiting for %s", #cond); \
			loop_once(b);                                                       \
		}                                                                           \
	} while (0)

static int seq;

struct rec {
	int calls;
	int rc;
	long n;
	int fn_ret;
	bool ran;
	char *value;
	int order;
	int64_t ms; /* when the callback ran */
	uint64_t fence;
	cachify_async_lock *lock;
	cachify_async_slot *slot;
	bool release_now;
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
	x->ms = h_now_ms();
	free(x->value);
	x->value = r->value;
	r->value = NULL;
	if (r->lock) {
		x->fence = cachify_async_lock_fence(r->lock);
		if (x->release_now)
			ck_assert_int_eq(cachify_async_lock_release(r->lock, NULL, NULL, NULL), 0);
		else
			x->lock = r->lock;
		r->lock = NULL;
	}
	x->slot = r->slot;
	r->slot = NULL;
}

struct comp {
	int calls;
	const char *value;
};

static void comp_fn(void *arg, cachify_async_job *job)
{
	struct comp *k = arg;
	char *v = strdup(k->value);

	k->calls++;
	cachify_async_job_value(job, 0, v, strlen(v));
}

static void run_fn(void *arg, cachify_async_job *job)
{
	int *calls = arg;

	cachify_async_job_done(job, ++*calls);
}

/* ---- fixture ---------------------------------------------------------------------- */

struct afx {
	struct h_daemon *d;
	struct event_base *base;
	cachify_client *cl;	 /* blocking client (ours) */
	cachify_async_client *ac; /* async client (ours) */
	cachify *c;		 /* both faces */
	struct h_client *raw;
};

static void afx_start(struct afx *f)
{
	struct cachify_options o;

	f->d = h_daemon_start("--loglevel", "warning", NULL);
	f->base = event_base_new();
	f->cl = cachify_client_daemon(f->d->sock, NULL);
	f->ac = cachify_async_client_daemon(f->base, f->d->sock, NULL);
	ck_assert(f->cl && f->ac);
	cachify_options_init(&o);
	o.is_global = false;
	o.sync_client = f->cl;
	o.async_client = f->ac;
	expect_rc(cachify_init(&o, &f->c), 0);
	f->raw = h_connect(f->d);
}

static void afx_end(struct afx *f)
{
	cachify_free(f->c);
	cachify_async_client_free(f->ac);
	cachify_client_free(f->cl);
	for (int i = 0; i < 5; i++)
		loop_once(f->base);
	event_base_free(f->base);
	h_close(f->raw);
	h_daemon_finish(f->d);
}

/* A field of LOCK.INFO / POOL.INFO pairs, or -2 when the key is absent. */
static long long info_field(struct h_client *raw, const char *cmd, const char *key,
			    const char *field)
{
	struct resp_reply *r = h_call(raw, cmd, key);
	long long v = -2;

	if (r->type == RESP_ARRAY) {
		for (size_t i = 0; i + 1 < r->elements; i += 2)
			if (r->element[i]->type == RESP_BULK &&
			    strcmp(r->element[i]->str, field) == 0 &&
			    r->element[i + 1]->type == RESP_INTEGER)
				v = r->element[i + 1]->integer;
	} else {
		ck_assert_msg(r->type == RESP_NIL, "%s %s: neither pairs nor nil", cmd, key);
	}
	resp_reply_free(r);
	return v;
}

static long long waiters(struct h_client *raw, const char *key)
{
	return info_field(raw, "LOCK.INFO", key, "waiters");
}

static long long connected_clients(struct h_client *raw)
{
	struct resp_reply *r = h_call(raw, "INFO", "clients");
	const char *p = strstr(r->str, "connected_clients:");
	long long v;

	ck_assert_ptr_nonnull(p);
	v = atoll(p + strlen("connected_clients:"));
	resp_reply_free(r);
	return v;
}

/* ---- every call ----------------------------------------------------------------------- */

START_TEST(test_async_daemon_every_call_matches_the_blocking_results)
{
	struct afx f;
	struct cachify_lock_options lo;
	struct cachify_pool_options po;
	struct cachify_once_options oo = { .raise_on_locked = false, .return_on_locked = 9 };
	struct comp k = { .value = "42" };
	struct rec r[16];
	cachify_lock *bl = NULL;
	cachify_pool *p;
	char *v;
	size_t len;
	int fn_err, runs = 0;

	memset(r, 0, sizeof r);
	afx_start(&f);
	/* cached: a miss computes, a hit does not, the blocking face agrees. */
	expect_rc(cachify_async_cached(f.c, NULL, comp_fn, &k, rec_cb, &r[0], NULL, "s-%d", 1), 0);
	run_until(f.base, r[0].calls == 1);
	expect_rc(r[0].rc, 0);
	ck_assert_str_eq(r[0].value, "42");
	expect_rc(cachify_cached(f.c, NULL, NULL, NULL, &fn_err, &v, &len, "s-1"), CACHIFY_EINVAL);
	h_call_bulk(f.raw, "42", "GET", "PYC-s-1-cached");
	expect_rc(cachify_async_cached(f.c, NULL, comp_fn, &k, rec_cb, &r[1], NULL, "s-1"), 0);
	run_until(f.base, r[1].calls == 1);
	ck_assert_int_eq(k.calls, 1);
	expect_rc(cachify_async_cached_reset(f.c, rec_cb, &r[2], NULL, "s-1"), 0);
	run_until(f.base, r[2].calls == 1);
	h_call_nil(f.raw, "GET", "PYC-s-1-cached");

	/* locks: held by the async face, seen and refused by the blocking one. */
	cachify_lock_options_init(&lo);
	lo.exp = 30;
	expect_rc(cachify_async_lock_acquire(f.c, &lo, rec_cb, &r[3], NULL, "L"), 0);
	run_until(f.base, r[3].calls == 1);
	expect_rc(r[3].rc, 0);
	ck_assert_uint_gt(r[3].fence, 0);
	ck_assert_int_ge(info_field(f.raw, "LOCK.INFO", "PYC-L-lock", "ttl-ms"), 25000);
	expect_rc(cachify_lock_acquire(f.c, NULL, &bl, "L"), CACHIFY_ELOCKED);
	expect_rc(cachify_async_lock_acquire(f.c, NULL, rec_cb, &r[4], NULL, "L"), 0);
	lo.nowait = false;
	lo.timeout = 0.1;
	expect_rc(cachify_async_lock_acquire(f.c, &lo, rec_cb, &r[5], NULL, "L"), 0);
	expect_rc(cachify_async_is_locked(f.c, rec_cb, &r[6], NULL, "L"), 0);
	run_until(f.base, r[4].calls && r[5].calls && r[6].calls);
	expect_rc(r[4].rc, CACHIFY_ELOCKED);
	expect_rc(r[5].rc, CACHIFY_ETIMEOUT);
	ck_assert_int_eq(r[6].n, 1);
	expect_rc(cachify_async_lock_renew(r[3].lock, 100, rec_cb, &r[7], NULL), 0);
	run_until(f.base, r[7].calls == 1);
	expect_rc(r[7].rc, 0);
	ck_assert_int_gt(info_field(f.raw, "LOCK.INFO", "PYC-L-lock", "ttl-ms"), 90000);
	expect_rc(cachify_async_lock_release(r[3].lock, rec_cb, &r[8], NULL), 0);
	run_until(f.base, r[8].calls == 1);
	expect_rc(r[8].rc, 0);
	ck_assert_int_eq(info_field(f.raw, "LOCK.INFO", "PYC-L-lock", "waiters"), -2);
	/* force release of a blocking holder's lock */
	expect_rc(cachify_lock_acquire(f.c, NULL, &bl, "L"), 0);
	expect_rc(cachify_async_lock_force_release(f.c, rec_cb, &r[9], NULL, "L"), 0);
	run_until(f.base, r[9].calls == 1);
	expect_rc(cachify_lock_release(bl), CACHIFY_ENOTOWNER);

	/* once and lock_run */
	h_ok(f.raw, "SET", "PYC-o-once", "x");
	expect_rc(cachify_async_once(f.c, &oo, run_fn, &runs, rec_cb, &r[10], NULL, "o"), 0);
	run_until(f.base, r[10].calls == 1);
	expect_rc(r[10].rc, 0);
	ck_assert(!r[10].ran);
	ck_assert_int_eq(r[10].fn_ret, 9);
	h_call_int(f.raw, 1, "DEL", "PYC-o-once");
	memset(&r[10], 0, sizeof r[10]);
	expect_rc(cachify_async_once(f.c, &oo, run_fn, &runs, rec_cb, &r[10], NULL, "o"), 0);
	expect_rc(cachify_async_lock_run(f.c, NULL, run_fn, &runs, rec_cb, &r[11], NULL, "o"), 0);
	run_until(f.base, r[10].calls == 1 && r[11].calls == 1);
	ck_assert(r[10].ran && r[11].ran);
	ck_assert_int_eq(runs, 2);
	h_call_nil(f.raw, "LOCK.INFO", "PYC-o-once");

	/* pools */
	cachify_pool_options_init(&po);
	po.max_size = 1;
	p = cachify_pool_new(f.c, &po, "P");
	expect_rc(cachify_async_pool_acquire(p, 0, rec_cb, &r[12], NULL), 0);
	run_until(f.base, r[12].calls == 1);
	expect_rc(r[12].rc, 0);
	ck_assert_int_eq(cachify_pool_size(p), 1);
	expect_rc(cachify_async_pool_size(p, rec_cb, &r[13], NULL), 0);
	expect_rc(cachify_async_pooled(p, run_fn, &runs, rec_cb, &r[14], NULL), 0);
	run_until(f.base, r[13].calls == 1 && r[14].calls == 1);
	ck_assert_int_eq(r[13].n, 1);
	expect_rc(r[14].rc, 0);
	ck_assert(!r[14].ran);
	expect_rc(cachify_async_pool_acquire(p, 5, rec_cb, &r[15], NULL), 0);
	for (int i = 0; i < 5; i++)
		loop_once(f.base);
	ck_assert_int_eq(r[15].calls, 0);
	expect_rc(cachify_async_slot_release(r[12].slot, NULL, NULL, NULL), 0);
	run_until(f.base, r[15].calls == 1);
	expect_rc(r[15].rc, 0);
	expect_rc(cachify_async_slot_release(r[15].slot, NULL, NULL, NULL), 0);
	run_until(f.base, cachify_pool_size(p) == 0);
	cachify_pool_free(p);
	for (int i = 0; i < 16; i++)
		free(r[i].value);
	afx_end(&f);
}
END_TEST

START_TEST(test_async_daemon_pipelines_independent_requests_on_one_connection)
{
	struct afx f;
	struct rec r[PIPELINED];
	long long before;
	int done = 0;

	memset(r, 0, sizeof r);
	afx_start(&f);
	before = connected_clients(f.raw);
	for (int i = 0; i < PIPELINED; i++)
		expect_rc(cachify_async_is_locked(f.c, rec_cb, &r[i], NULL, "k%d", i), 0);
	while (done < PIPELINED) {
		loop_once(f.base);
		done = 0;
		for (int i = 0; i < PIPELINED; i++)
			done += r[i].calls;
	}
	for (int i = 0; i < PIPELINED; i++) {
		expect_rc(r[i].rc, 0);
		ck_assert_int_eq(r[i].order, r[0].order + i); /* replies in request order */
	}
	ck_assert_int_eq(connected_clients(f.raw), before + 1);
	afx_end(&f);
}
END_TEST

/* ---- 1,000 waits in FIFO order ------------------------------------------------------------ */

START_TEST(test_async_daemon_1000_waits_on_one_thread_are_granted_in_fifo_order)
{
	struct afx f;
	struct cachify_lock_options lo;
	struct rec *r = calloc(FIFO_WAITS, sizeof *r);
	struct mallinfo2 m0, m1;
	struct resp_reply *rep;
	double per_wait;

	h_raise_nofile(4 * FIFO_WAITS);
	afx_start(&f);
	rep = h_call(f.raw, "LOCK.ACQUIRE", "PYC-fifo-lock", "DETACH");
	ck_assert_int_eq(rep->type, RESP_ARRAY);
	resp_reply_free(rep);
	cachify_lock_options_init(&lo);
	lo.nowait = false;
	m0 = mallinfo2();
	/* Each wait reaches the daemon's queue before the next is sent, so
	 * arrival order is start order. */
	for (int i = 0; i < FIFO_WAITS; i++) {
		r[i].release_now = true;
		expect_rc(cachify_async_lock_acquire(f.c, &lo, rec_cb, &r[i], NULL, "fifo"), 0);
		if (i % 50 == 49 || i == FIFO_WAITS - 1)
			run_until(f.base, waiters(f.raw, "PYC-fifo-lock") == i + 1);
		else
			while (waiters(f.raw, "PYC-fifo-lock") != i + 1)
				loop_once(f.base);
	}
	m1 = mallinfo2();
	per_wait = (double)(m1.uordblks - m0.uordblks) / FIFO_WAITS;
	if (getenv("CACHIFY_TEST_REPORT"))
		fprintf(stderr, "async_daemon: %d pending waits cost %.0f bytes of client heap each\n",
			FIFO_WAITS, per_wait);
	if (h_slow() == 1) /* the sanitizers' allocator keeps its own books */
		ck_assert_msg(per_wait < WAIT_BYTES_MAX, "%.0f bytes per wait", per_wait);
	for (int i = 0; i < FIFO_WAITS; i++)
		ck_assert_int_eq(r[i].calls, 0);
	/* Release: each grant is released in its callback, handing on. */
	h_call_int(f.raw, 1, "DEL", "PYC-fifo-lock");
	run_until(f.base, r[FIFO_WAITS - 1].calls == 1);
	for (int i = 0; i < FIFO_WAITS; i++) {
		ck_assert_int_eq(r[i].calls, 1);
		expect_rc(r[i].rc, 0);
		if (i > 0) {
			ck_assert_msg(r[i].order == r[i - 1].order + 1, "wait %d granted out of order", i);
			ck_assert_uint_gt(r[i].fence, r[i - 1].fence);
		}
	}
	run_until(f.base, info_field(f.raw, "LOCK.INFO", "PYC-fifo-lock", "waiters") == -2);
	free(r);
	afx_end(&f);
}
END_TEST

/* ---- cancellation ----------------------------------------------------------------------------- */

START_TEST(test_async_daemon_cancel_at_every_stage_leaks_no_lock_or_slot)
{
	struct afx f;
	struct cachify_lock_options lo;
	struct cachify_pool_options po;
	struct rec a = { 0 }, b = { 0 }, c = { 0 }, s = { 0 }, t = { 0 };
	cachify_aop *op;
	cachify_pool *p;
	struct resp_reply *rep;

	afx_start(&f);
	cachify_lock_options_init(&lo);
	lo.nowait = false;
	/* 1. Before connect: nothing ever reaches the daemon. */
	expect_rc(cachify_async_lock_acquire(f.c, &lo, rec_cb, &a, &op, "x"), 0);
	cachify_aop_cancel(op);
	ck_assert_int_eq(a.calls, 1);
	expect_rc(a.rc, CACHIFY_ECANCELED);
	for (int i = 0; i < 10; i++)
		loop_once(f.base);
	ck_assert_int_eq(a.calls, 1);
	h_call_nil(f.raw, "LOCK.INFO", "PYC-x-lock");

	/* 2. Queued behind a holder: the wait leaves the daemon's queue. */
	rep = h_call(f.raw, "LOCK.ACQUIRE", "PYC-x-lock", "DETACH");
	resp_reply_free(rep);
	expect_rc(cachify_async_lock_acquire(f.c, &lo, rec_cb, &b, &op, "x"), 0);
	run_until(f.base, waiters(f.raw, "PYC-x-lock") == 1);
	cachify_aop_cancel(op);
	ck_assert_int_eq(b.calls, 1);
	expect_rc(b.rc, CACHIFY_ECANCELED);
	run_until(f.base, waiters(f.raw, "PYC-x-lock") == 0);

	/* 3. Granted but not delivered: the daemon gave it to our queued
	 * wait; the loop has not read the reply yet. */
	expect_rc(cachify_async_lock_acquire(f.c, &lo, rec_cb, &c, &op, "x"), 0);
	run_until(f.base, waiters(f.raw, "PYC-x-lock") == 1);
	h_call_int(f.raw, 1, "DEL", "PYC-x-lock");
	ck_assert_int_ge(info_field(f.raw, "LOCK.INFO", "PYC-x-lock", "fence"), 1); /* granted */
	cachify_aop_cancel(op);
	ck_assert_int_eq(c.calls, 1);
	expect_rc(c.rc, CACHIFY_ECANCELED);
	run_until(f.base, info_field(f.raw, "LOCK.INFO", "PYC-x-lock", "fence") == -2);
	for (int i = 0; i < 10; i++)
		loop_once(f.base);
	ck_assert_int_eq(c.calls, 1);

	/* Pools: a slot queued, then granted-but-not-delivered. */
	cachify_pool_options_init(&po);
	po.max_size = 1;
	p = cachify_pool_new(f.c, &po, "Q");
	rep = h_call(f.raw, "POOL.ACQUIRE", "PYC-Q-pool", "1", "DETACH");
	ck_assert_int_eq(rep->type, RESP_ARRAY);
	expect_rc(cachify_async_pool_acquire(p, CACHIFY_WAIT_FOREVER, rec_cb, &s, &op), 0);
	run_until(f.base, info_field(f.raw, "POOL.INFO", "PYC-Q-pool", "waiters") == 1);
	cachify_aop_cancel(op);
	expect_rc(s.rc, CACHIFY_ECANCELED);
	run_until(f.base, info_field(f.raw, "POOL.INFO", "PYC-Q-pool", "waiters") == 0);
	expect_rc(cachify_async_pool_acquire(p, CACHIFY_WAIT_FOREVER, rec_cb, &t, &op), 0);
	run_until(f.base, info_field(f.raw, "POOL.INFO", "PYC-Q-pool", "waiters") == 1);
	h_call_int(f.raw, 1, "POOL.RELEASE", "PYC-Q-pool", rep->element[0]->str);
	h_call_int(f.raw, 1, "POOL.SIZE", "PYC-Q-pool"); /* granted to our wait */
	cachify_aop_cancel(op);
	expect_rc(t.rc, CACHIFY_ECANCELED);
	run_until(f.base, cachify_pool_size(p) == 0);
	resp_reply_free(rep);
	cachify_pool_free(p);
	afx_end(&f);
}
END_TEST

START_TEST(test_async_daemon_free_instance_cancels_waits_and_frees_their_places)
{
	struct afx f;
	struct cachify_lock_options lo;
	struct rec r[10];
	struct resp_reply *rep;

	memset(r, 0, sizeof r);
	afx_start(&f);
	rep = h_call(f.raw, "LOCK.ACQUIRE", "PYC-w-lock", "DETACH");
	resp_reply_free(rep);
	cachify_lock_options_init(&lo);
	lo.nowait = false;
	for (int i = 0; i < 10; i++)
		expect_rc(cachify_async_lock_acquire(f.c, &lo, rec_cb, &r[i], NULL, "w"), 0);
	run_until(f.base, waiters(f.raw, "PYC-w-lock") == 10);
	cachify_free(f.c);
	f.c = NULL;
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(r[i].calls, 1);
		expect_rc(r[i].rc, CACHIFY_ECANCELED);
	}
	run_until(f.base, waiters(f.raw, "PYC-w-lock") == 0);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(r[i].calls, 1);
	afx_end(&f);
}
END_TEST

/* ---- a daemon killed mid-operation ------------------------------------------------------------ */

START_TEST(test_async_daemon_killed_mid_operation_fails_every_callback_once)
{
	struct afx f;
	struct cachify_lock_options lo;
	struct rec h = { 0 }, w = { 0 }, g[20], x = { 0 }, after = { 0 };
	const char *args[] = { "--loglevel", "warning", NULL };

	memset(g, 0, sizeof g);
	afx_start(&f);
	cachify_lock_options_init(&lo);
	expect_rc(cachify_async_lock_acquire(f.c, &lo, rec_cb, &h, NULL, "k"), 0);
	run_until(f.base, h.calls == 1);
	expect_rc(h.rc, 0);
	lo.nowait = false;
	expect_rc(cachify_async_lock_acquire(f.c, &lo, rec_cb, &w, NULL, "k"), 0);
	run_until(f.base, waiters(f.raw, "PYC-k-lock") == 1);
	/* Pipelined requests in flight when the daemon dies. */
	h_daemon_kill(f.d, SIGSTOP);
	for (int i = 0; i < 20; i++)
		expect_rc(cachify_async_is_locked(f.c, rec_cb, &g[i], NULL, "k"), 0);
	for (int i = 0; i < 5; i++)
		loop_once(f.base);
	h_daemon_kill(f.d, SIGKILL);
	h_daemon_kill(f.d, SIGCONT);
	ck_assert_int_ge(h_daemon_wait_exit(f.d, SLOW(SETTLE_MS)), 0);
	run_until(f.base, w.calls == 1 && g[19].calls == 1);
	expect_rc(w.rc, CACHIFY_EIO);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(g[i].calls, 1);
		ck_assert_msg(g[i].rc == CACHIFY_EIO, "request %d: %d", i, g[i].rc);
	}
	/* The held lock died with its connection. */
	expect_rc(cachify_async_lock_release(h.lock, rec_cb, &x, NULL), 0);
	run_until(f.base, x.calls == 1);
	expect_rc(x.rc, CACHIFY_ELOST);
	/* Back again: new requests reconnect. */
	h_close(f.raw);
	h_daemon_spawn(f.d, args);
	h_daemon_wait_ready(f.d);
	f.raw = h_connect(f.d);
	lo.nowait = true;
	after.release_now = true;
	expect_rc(cachify_async_lock_acquire(f.c, &lo, rec_cb, &after, NULL, "k"), 0);
	run_until(f.base, after.calls == 1);
	expect_rc(after.rc, 0);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(g[i].calls, 1);
	ck_assert_int_eq(w.calls, 1);
	afx_end(&f);
}
END_TEST

START_TEST(test_async_daemon_silent_server_is_eio_after_the_io_timeout)
{
	struct afx f;
	struct cachify_daemon_options o;
	struct cachify_lock_options lo;
	cachify_async_client *ac;
	struct cachify_options io;
	struct rec g = { 0 }, w = { 0 };
	cachify *c = NULL;
	int64_t t0, took;

	afx_start(&f);
	cachify_daemon_options_init(&o);
	o.io_timeout = 0.3;
	ac = cachify_async_client_daemon(f.base, f.d->sock, &o);
	cachify_options_init(&io);
	io.is_global = false;
	io.async_client = ac;
	expect_rc(cachify_init(&io, &c), 0);
	/* Connected first, so the stop hits requests, not the connect. */
	expect_rc(cachify_async_is_locked(c, rec_cb, &g, NULL, "warm"), 0);
	run_until(f.base, g.calls == 1);
	g.calls = 0;
	h_daemon_kill(f.d, SIGSTOP);
	t0 = h_now_ms();
	cachify_lock_options_init(&lo);
	lo.nowait = false;
	lo.timeout = 0.2;
	expect_rc(cachify_async_is_locked(c, rec_cb, &g, NULL, "k"), 0);
	expect_rc(cachify_async_lock_acquire(c, &lo, rec_cb, &w, NULL, "k"), 0);
	run_until(f.base, g.calls == 1 && w.calls == 1);
	took = h_now_ms() - t0;
	h_daemon_kill(f.d, SIGCONT);
	expect_rc(g.rc, CACHIFY_EIO);
	expect_rc(w.rc, CACHIFY_EIO); /* its wait (0.2 s) plus the io timeout */
	ck_assert_msg(took >= 450 && took < SLOW(3000), "EIO after %lld ms", (long long)took);
	ck_assert_ptr_nonnull(strstr(cachify_last_error(), "I/O timeout"));
	cachify_free(c);
	cachify_async_client_free(ac);
	afx_end(&f);
}
END_TEST

/* ---- blocking and async callers in one FIFO --------------------------------------------------- */

struct blocker {
	cachify *c;
	int rc;
	int64_t granted_ms;
	volatile int done;
};

static void *blocker_main(void *arg)
{
	struct blocker *b = arg;
	struct cachify_lock_options lo;
	cachify_lock *l = NULL;

	cachify_lock_options_init(&lo);
	lo.nowait = false;
	b->rc = cachify_lock_acquire(b->c, &lo, &l, "mix");
	b->granted_ms = h_now_ms();
	h_sleep_ms(50); /* hold it a little: the async waiter behind must wait */
	if (b->rc == 0)
		b->rc = cachify_lock_release(l);
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

START_TEST(test_async_daemon_blocking_and_async_callers_share_one_fifo)
{
	struct afx f;
	struct cachify_lock_options lo;
	struct rec a = { 0 }, c = { 0 };
	struct blocker b = { 0 };
	struct resp_reply *rep;
	pthread_t t;
	int64_t a_ms, c_ms;

	afx_start(&f);
	rep = h_call(f.raw, "LOCK.ACQUIRE", "PYC-mix-lock", "DETACH");
	resp_reply_free(rep);
	cachify_lock_options_init(&lo);
	lo.nowait = false;
	a.release_now = true;
	expect_rc(cachify_async_lock_acquire(f.c, &lo, rec_cb, &a, NULL, "mix"), 0);
	run_until(f.base, waiters(f.raw, "PYC-mix-lock") == 1);
	b.c = f.c;
	ck_assert_int_eq(pthread_create(&t, NULL, blocker_main, &b), 0);
	run_until(f.base, waiters(f.raw, "PYC-mix-lock") == 2);
	expect_rc(cachify_async_lock_acquire(f.c, &lo, rec_cb, &c, NULL, "mix"), 0);
	run_until(f.base, waiters(f.raw, "PYC-mix-lock") == 3);
	/* FIFO: async A, then the blocking thread, then async C. */
	h_call_int(f.raw, 1, "DEL", "PYC-mix-lock");
	run_until(f.base, a.calls == 1);
	a_ms = a.ms; /* granted, and released in the callback */
	expect_rc(a.rc, 0);
	run_until(f.base, c.calls == 1);
	c_ms = c.ms;
	expect_rc(c.rc, 0);
	pthread_join(t, NULL);
	expect_rc(b.rc, 0);
	ck_assert_msg(a_ms <= b.granted_ms && b.granted_ms <= c_ms,
		      "grant order: async %lld, blocking %lld, async %lld", (long long)a_ms,
		      (long long)b.granted_ms, (long long)c_ms);
	ck_assert_uint_gt(c.fence, a.fence);
	expect_rc(cachify_async_lock_release(c.lock, NULL, NULL, NULL), 0);
	run_until(f.base, info_field(f.raw, "LOCK.INFO", "PYC-mix-lock", "fence") == -2);
	afx_end(&f);
}
END_TEST

Suite *async_daemon_suite(void)
{
	Suite *s = suite_create("async_daemon");
	TCase *tc = tcase_create("cachifyd");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_async_daemon_every_call_matches_the_blocking_results);
	tcase_add_test(tc, test_async_daemon_pipelines_independent_requests_on_one_connection);
	tcase_add_test(tc, test_async_daemon_1000_waits_on_one_thread_are_granted_in_fifo_order);
	tcase_add_test(tc, test_async_daemon_cancel_at_every_stage_leaks_no_lock_or_slot);
	tcase_add_test(tc, test_async_daemon_free_instance_cancels_waits_and_frees_their_places);
	tcase_add_test(tc, test_async_daemon_killed_mid_operation_fails_every_callback_once);
	tcase_add_test(tc, test_async_daemon_blocking_and_async_callers_share_one_fifo);
	tcase_add_test(tc, test_async_daemon_silent_server_is_eio_after_the_io_timeout);
	suite_add_tcase(s, tc);
	return s;
}
