/* check_client_rw.c - libcachify's everyday additions over the in-process
 * clients (memory, and a custom client wrapping one): shared (reader)
 * locks and their FIFO rule, lock auto-renew and loss on both faces,
 * pooled with a wait, and once's is_locked/release. The same API against
 * a real cachifyd is check_client_everyday.c's.
 *
 * Waits are observed, not timed: a writer is known to be queued when a
 * reader's nowait attempt starts failing (readers queue behind waiters).
 * The few real sleeps are TTLs of 1 s, which the renewer must outlive.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cachify.h"
#include "check_suites.h"
#include "harness.h"

#define SLOW(ms)     ((ms) * h_slow())
#define SETTLE_MS    5000  /* bound on a thread reaching a state (times h_slow()) */
#define POLL_MS	     2	   /* ms between looks at a state */
#define EXP_S	     2	   /* s: the lock TTL the renewer must outlive (slack on a loaded machine) */
#define OUTLIVE_MS   4500  /* ms held with auto-renew: more than two TTLs */
#define READERS	     3

#define expect_rc(got, want)                                                                   \
	do {                                                                                   \
		int got_ = (got);                                                              \
		ck_assert_msg(got_ == (want), "%s: got %d (%s), want %d; last error: %s", #got, \
			      got_, cachify_strerror(got_), (want), cachify_last_error());     \
	} while (0)

static cachify *mk_on(cachify_client *cl, struct event_base *base)
{
	struct cachify_options o;
	cachify *c = NULL;

	cachify_options_init(&o);
	o.sync_client = cl;
	o.event_base = base;
	o.is_global = false;
	o.lock_poll_interval = 0.005;
	expect_rc(cachify_init(&o, &c), 0);
	return c;
}

static cachify *mk(void)
{
	return mk_on(NULL, NULL);
}

static struct cachify_lock_options lopts(bool shared, bool nowait, double timeout, int64_t exp)
{
	struct cachify_lock_options o;

	cachify_lock_options_init(&o);
	o.shared = shared;
	o.nowait = nowait;
	o.timeout = timeout;
	o.exp = exp;
	return o;
}

/* ---- a custom client over a memory one, counting sets ---------------------- */

struct wrap {
	cachify_client *mem;
	atomic_int sets;
};

static int w_get(void *ctx, const char *n, size_t nl, char **v, size_t *l)
{
	return cachify_client_get(((struct wrap *)ctx)->mem, n, nl, v, l);
}

static int w_set(void *ctx, const char *n, size_t nl, const char *v, size_t l, int64_t ex, bool nx)
{
	struct wrap *w = ctx;

	atomic_fetch_add(&w->sets, 1);
	return cachify_client_set(w->mem, n, nl, v, l, ex, nx);
}

static int w_del(void *ctx, size_t n, const char *const *names, const size_t *nl)
{
	return cachify_client_del(((struct wrap *)ctx)->mem, n, names, nl);
}

static const struct cachify_client_ops wrap_ops = { .get = w_get, .set = w_set, .del = w_del };

/* ---- threads waiting for a lock ------------------------------------------- */

struct waiter {
	cachify *c;
	const char *key;
	bool shared;
	int rc;
	int order;	  /* grant order, from *seq */
	atomic_int *seq;
	atomic_int *holding; /* readers holding together */
	int together;	  /* hold until this many hold (0: release at once) */
	atomic_bool done;
	pthread_t t;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct cachify_lock_options o = lopts(w->shared, false, SLOW(SETTLE_MS) / 1000.0, 30);
	cachify_lock *l = NULL;
	int64_t deadline;

	w->rc = cachify_lock_acquire(w->c, &o, &l, "%s", w->key);
	if (w->rc == 0) {
		w->order = atomic_fetch_add(w->seq, 1);
		atomic_fetch_add(w->holding, 1);
		deadline = h_now_ms() + SLOW(SETTLE_MS);
		while (w->together && atomic_load(w->holding) < w->together && h_now_ms() < deadline)
			h_sleep_ms(POLL_MS);
		if (w->together && atomic_load(w->holding) < w->together)
			w->rc = -100; /* the others never held it with us */
		atomic_fetch_sub(w->holding, 0);
		cachify_lock_release(l);
	}
	atomic_store(&w->done, true);
	return NULL;
}

static void waiter_start(struct waiter *w, cachify *c, const char *key, bool shared,
			 atomic_int *seq, atomic_int *holding, int together)
{
	memset(w, 0, sizeof *w);
	w->c = c;
	w->key = key;
	w->shared = shared;
	w->seq = seq;
	w->holding = holding;
	w->together = together;
	ck_assert_int_eq(pthread_create(&w->t, NULL, waiter_main, w), 0);
}

static void waiter_join(struct waiter *w)
{
	pthread_join(w->t, NULL);
}

/* Waits until a reader's nowait attempt on key fails: someone queued. */
static void wait_queued(cachify *c, const char *key)
{
	struct cachify_lock_options o = lopts(true, true, 0, 30);
	int64_t deadline = h_now_ms() + SLOW(SETTLE_MS);
	cachify_lock *l;
	int rc;

	while ((rc = cachify_lock_acquire(c, &o, &l, "%s", key)) == 0) {
		cachify_lock_release(l);
		ck_assert_msg(h_now_ms() < deadline, "%s: nobody queued", key);
		h_sleep_ms(POLL_MS);
	}
	expect_rc(rc, CACHIFY_ELOCKED);
}

/* ---- shared locks ----------------------------------------------------------- */

START_TEST(test_shared_readers_hold_together_and_keep_a_writer_out)
{
	cachify *c = mk();
	struct cachify_lock_options r = lopts(true, true, 0, 30), w = lopts(false, true, 0, 30);
	cachify_lock *r1, *r2, *wl;

	expect_rc(cachify_lock_acquire(c, &r, &r1, "k"), 0);
	expect_rc(cachify_lock_acquire(c, &r, &r2, "k"), 0);
	ck_assert_str_ne(cachify_lock_key(r1), "");
	ck_assert_uint_gt(cachify_lock_fence(r2), cachify_lock_fence(r1));
	expect_rc(cachify_is_locked(c, "k"), 1);
	expect_rc(cachify_lock_acquire(c, &w, &wl, "k"), CACHIFY_ELOCKED);
	expect_rc(cachify_lock_renew(r1, 60), 0);
	expect_rc(cachify_lock_release(r1), 0);
	expect_rc(cachify_lock_acquire(c, &w, &wl, "k"), CACHIFY_ELOCKED);
	expect_rc(cachify_lock_release(r2), 0);
	expect_rc(cachify_is_locked(c, "k"), 0);
	expect_rc(cachify_lock_acquire(c, &w, &wl, "k"), 0);
	ck_assert_uint_gt(cachify_lock_fence(wl), 2);
	expect_rc(cachify_lock_acquire(c, &r, &r1, "k"), CACHIFY_ELOCKED);
	expect_rc(cachify_lock_release(wl), 0);
	cachify_free(c);
}
END_TEST

START_TEST(test_shared_release_by_a_stranger_is_notowner)
{
	cachify *c = mk();
	struct cachify_lock_options r = lopts(true, true, 0, 30);
	cachify_lock *r1, *r2;

	expect_rc(cachify_lock_acquire(c, &r, &r1, "k"), 0);
	expect_rc(cachify_lock_acquire(c, &r, &r2, "k"), 0);
	expect_rc(cachify_lock_force_release(c, "k"), 0); /* DEL ends every reader */
	expect_rc(cachify_is_locked(c, "k"), 0);
	expect_rc(cachify_lock_renew(r1, 10), CACHIFY_ENOTOWNER);
	expect_rc(cachify_lock_release(r1), CACHIFY_ENOTOWNER);
	expect_rc(cachify_lock_release(r2), CACHIFY_ENOTOWNER);
	cachify_free(c);
}
END_TEST

/* A reader arriving while a writer waits queues behind it: the writer
 * gets the key before it, whatever the readers ahead do. */
START_TEST(test_shared_reader_behind_a_waiting_writer_waits_its_turn)
{
	cachify *c = mk();
	struct cachify_lock_options r = lopts(true, true, 0, 30);
	atomic_int seq = 0, holding = 0;
	struct waiter w, r2;
	cachify_lock *r1;

	expect_rc(cachify_lock_acquire(c, &r, &r1, "k"), 0);
	waiter_start(&w, c, "k", false, &seq, &holding, 0);
	wait_queued(c, "k");
	waiter_start(&r2, c, "k", true, &seq, &holding, 0);
	h_sleep_ms(50); /* r2 reaches its queue (if late, it queues all the same) */
	ck_assert(!atomic_load(&r2.done));
	ck_assert(!atomic_load(&w.done));
	expect_rc(cachify_lock_release(r1), 0);
	waiter_join(&w);
	waiter_join(&r2);
	expect_rc(w.rc, 0);
	expect_rc(r2.rc, 0);
	ck_assert_int_eq(w.order, 0);
	ck_assert_int_eq(r2.order, 1);
	cachify_free(c);
}
END_TEST

/* Readers queued behind a writer are granted together when it leaves:
 * each holds until all of them do. */
START_TEST(test_shared_run_of_queued_readers_is_granted_together)
{
	cachify *c = mk();
	struct cachify_lock_options w = lopts(false, true, 0, 30);
	atomic_int seq = 0, holding = 0;
	struct waiter r[READERS];
	cachify_lock *wl;

	expect_rc(cachify_lock_acquire(c, &w, &wl, "k"), 0);
	for (int i = 0; i < READERS; i++)
		waiter_start(&r[i], c, "k", true, &seq, &holding, READERS);
	h_sleep_ms(50);
	for (int i = 0; i < READERS; i++)
		ck_assert(!atomic_load(&r[i].done));
	expect_rc(cachify_lock_release(wl), 0);
	for (int i = 0; i < READERS; i++) {
		waiter_join(&r[i]);
		expect_rc(r[i].rc, 0);
	}
	ck_assert_int_eq(atomic_load(&seq), READERS);
	cachify_free(c);
}
END_TEST

START_TEST(test_shared_readers_expire_each_on_its_own_ttl)
{
	cachify *c = mk();
	struct cachify_lock_options shortr = lopts(true, true, 0, EXP_S),
				    longr = lopts(true, true, 0, 60), w = lopts(false, false, 10, 30);
	cachify_lock *a, *b, *wl;
	int64_t t0 = h_now_ms();

	expect_rc(cachify_lock_acquire(c, &shortr, &a, "k"), 0);
	expect_rc(cachify_lock_acquire(c, &longr, &b, "k"), 0);
	h_sleep_ms(EXP_S * 1000 + 200);
	expect_rc(cachify_lock_renew(a, 10), CACHIFY_ENOTOWNER);
	expect_rc(cachify_lock_renew(b, 60), 0);
	expect_rc(cachify_is_locked(c, "k"), 1);
	expect_rc(cachify_lock_release(a), CACHIFY_ENOTOWNER);
	/* The writer waits for the long reader only, woken by its release. */
	w.timeout = 0.2;
	expect_rc(cachify_lock_acquire(c, &w, &wl, "k"), CACHIFY_ETIMEOUT);
	expect_rc(cachify_lock_release(b), 0);
	w.nowait = true;
	expect_rc(cachify_lock_acquire(c, &w, &wl, "k"), 0);
	expect_rc(cachify_lock_release(wl), 0);
	ck_assert_int_ge(h_now_ms() - t0, EXP_S * 1000);
	cachify_free(c);
}
END_TEST

/* A waiting writer is granted when the holder's TTL runs out, with no
 * release to wake it. */
START_TEST(test_memory_wait_is_granted_when_the_holder_expires)
{
	cachify *c = mk();
	struct cachify_lock_options r = lopts(true, true, 0, EXP_S), w = lopts(false, false, 10, 30);
	cachify_lock *a, *wl;
	int64_t t0;

	expect_rc(cachify_lock_acquire(c, &r, &a, "k"), 0);
	t0 = h_now_ms();
	expect_rc(cachify_lock_acquire(c, &w, &wl, "k"), 0);
	ck_assert_int_ge(h_now_ms() - t0, EXP_S * 1000 - 50);
	ck_assert_int_lt(h_now_ms() - t0, SLOW(EXP_S * 1000 + 1500));
	expect_rc(cachify_lock_release(a), CACHIFY_ENOTOWNER);
	expect_rc(cachify_lock_release(wl), 0);
	cachify_free(c);
}
END_TEST

START_TEST(test_shared_on_a_custom_client_or_the_async_memory_face_is_enotsup)
{
	struct wrap wr = { .mem = cachify_client_memory() };
	cachify_client *cl = cachify_client_custom(&wrap_ops, &wr);
	struct event_base *base = event_base_new();
	struct cachify_lock_options r = lopts(true, true, 0, 30);
	cachify *c = mk_on(cl, NULL), *a = mk_on(NULL, base);
	cachify_lock *l = NULL;

	expect_rc(cachify_lock_acquire(c, &r, &l, "k"), CACHIFY_ENOTSUP);
	ck_assert_ptr_null(l);
	ck_assert_ptr_nonnull(strstr(cachify_last_error(), "shared"));
	expect_rc(cachify_async_lock_acquire(a, &r, (cachify_async_cb *)abort, NULL, NULL, "k"),
		  CACHIFY_ENOTSUP);
	ck_assert_str_eq(cachify_strerror(CACHIFY_ENOTSUP), "not supported by this backend");
	cachify_free(a);
	cachify_free(c);
	cachify_client_free(cl);
	cachify_client_free(wr.mem);
	event_base_free(base);
}
END_TEST

/* ---- auto-renew, blocking face ---------------------------------------------- */

struct lost {
	atomic_int calls;
	char key[64];
};

static void lost_cb(void *arg, const char *key)
{
	struct lost *l = arg;

	snprintf(l->key, sizeof l->key, "%s", key);
	atomic_fetch_add(&l->calls, 1);
}

START_TEST(test_auto_renew_keeps_a_lock_past_its_exp)
{
	cachify *c = mk();
	struct cachify_lock_options o = lopts(false, true, 0, EXP_S), plain = o;
	cachify_lock *l, *other;

	o.auto_renew = true;
	expect_rc(cachify_lock_acquire(c, &o, &l, "renewed"), 0);
	expect_rc(cachify_lock_acquire(c, &plain, &other, "control"), 0);
	h_sleep_ms(OUTLIVE_MS);
	expect_rc(cachify_lock_release(other), CACHIFY_ENOTOWNER); /* expired meanwhile */
	expect_rc(cachify_is_locked(c, "renewed"), 1);
	expect_rc(cachify_lock_acquire(c, &plain, &other, "renewed"), CACHIFY_ELOCKED);
	ck_assert(!cachify_lock_lost(l));
	expect_rc(cachify_lock_release(l), 0);
	expect_rc(cachify_is_locked(c, "renewed"), 0);
	expect_rc(cachify_lock_acquire(c, &plain, &l, "control"), 0);
	expect_rc(cachify_lock_release(l), 0);
	cachify_free(c);
}
END_TEST

START_TEST(test_auto_renew_reports_a_lost_lock_once)
{
	cachify *c = mk();
	struct cachify_lock_options o = lopts(false, true, 0, EXP_S);
	struct lost lo = { 0 };
	cachify_lock *l;
	int64_t deadline;

	o.auto_renew = true;
	o.on_lost = lost_cb;
	o.on_lost_arg = &lo;
	expect_rc(cachify_lock_acquire(c, &o, &l, "job"), 0);
	expect_rc(cachify_lock_force_release(c, "job"), 0);
	deadline = h_now_ms() + SLOW(SETTLE_MS);
	while (atomic_load(&lo.calls) == 0 && h_now_ms() < deadline)
		h_sleep_ms(POLL_MS);
	ck_assert_int_eq(atomic_load(&lo.calls), 1);
	ck_assert_str_eq(lo.key, "PYC-job-lock");
	ck_assert(cachify_lock_lost(l));
	h_sleep_ms(EXP_S * 1000); /* two more periods: never called again */
	ck_assert_int_eq(atomic_load(&lo.calls), 1);
	expect_rc(cachify_lock_release(l), CACHIFY_ENOTOWNER);
	cachify_free(c);
}
END_TEST

/* Over a custom client the renewer's SETs are visible: none after the
 * release, and the thread is gone (the handle's release joined it). */
START_TEST(test_auto_renew_stops_at_release)
{
	struct wrap wr = { .mem = cachify_client_memory() };
	cachify_client *cl = cachify_client_custom(&wrap_ops, &wr);
	cachify *c = mk_on(cl, NULL);
	struct cachify_lock_options o = lopts(false, true, 0, EXP_S);
	cachify_lock *l;
	int before;

	o.auto_renew = true;
	for (int i = 0; i < 20; i++) { /* threads come and go with their handles */
		expect_rc(cachify_lock_acquire(c, &o, &l, "k%d", i % 3), 0);
		expect_rc(cachify_lock_release(l), 0);
	}
	before = atomic_load(&wr.sets);
	expect_rc(cachify_lock_acquire(c, &o, &l, "k"), 0);
	h_sleep_ms(EXP_S * 1000);
	ck_assert_int_ge(atomic_load(&wr.sets) - before, 1 + 2); /* acquire + fence, then renews */
	expect_rc(cachify_lock_release(l), 0);
	before = atomic_load(&wr.sets);
	h_sleep_ms(EXP_S * 1000);
	ck_assert_int_eq(atomic_load(&wr.sets), before);
	expect_rc(cachify_is_locked(c, "k"), 0);
	cachify_free(c);
	cachify_client_free(cl);
	cachify_client_free(wr.mem);
}
END_TEST

struct held {
	cachify *c;
	int locked_late;
};

static int long_job(void *arg)
{
	struct held *h = arg;

	h_sleep_ms(OUTLIVE_MS);
	h->locked_late = cachify_is_locked(h->c, "run");
	return 7;
}

START_TEST(test_lock_run_with_auto_renew_outlives_exp)
{
	cachify *c = mk();
	struct cachify_lock_options o = lopts(false, true, 0, EXP_S);
	struct held h = { .c = c };
	int ret = 0;

	o.auto_renew = true;
	expect_rc(cachify_lock_run(c, &o, long_job, &h, &ret, "run"), 0);
	ck_assert_int_eq(ret, 7);
	ck_assert_int_eq(h.locked_late, 1);
	/* Without it the lock is gone before the job ends: ENOTOWNER. */
	o.auto_renew = false;
	expect_rc(cachify_lock_run(c, &o, long_job, &h, &ret, "run"), CACHIFY_ENOTOWNER);
	ck_assert_int_eq(h.locked_late, 0);
	cachify_free(c);
}
END_TEST

static void job_fn(void *arg, cachify_async_job *job);
static void async_release_cb(void *arg, struct cachify_async_result *res);

/* ---- auto-renew, async face ----------------------------------------------------- */

struct arec {
	int calls, rc;
	cachify_async_lock *lock;
	long n;
	bool ran;
	int fn_ret;
};

static void arec_cb(void *arg, struct cachify_async_result *res)
{
	struct arec *r = arg;

	r->calls++;
	r->rc = res->rc;
	r->n = res->n;
	r->ran = res->ran;
	r->fn_ret = res->fn_ret;
	r->lock = res->lock;
	res->lock = NULL;
}

static void run_for(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

#define run_until(base, cond)                                                                  \
	do {                                                                                   \
		int64_t dl_ = h_now_ms() + SLOW(SETTLE_MS);                                    \
		while (!(cond)) {                                                              \
			ck_assert_msg(h_now_ms() < dl_, "timed out waiting for %s", #cond);    \
			run_for(base, POLL_MS);                                                \
		}                                                                              \
	} while (0)

START_TEST(test_async_auto_renew_keeps_a_lock_and_reports_its_loss)
{
	struct event_base *base = event_base_new();
	cachify *c = mk_on(NULL, base);
	struct cachify_lock_options o = lopts(false, true, 0, EXP_S);
	struct arec r = { 0 };
	struct lost lo = { 0 };
	int rel;

	o.auto_renew = true;
	o.on_lost = lost_cb;
	o.on_lost_arg = &lo;
	expect_rc(cachify_async_lock_acquire(c, &o, arec_cb, &r, NULL, "job"), 0);
	run_until(base, r.calls == 1);
	expect_rc(r.rc, 0);
	run_for(base, OUTLIVE_MS);
	expect_rc(cachify_is_locked(c, "job"), 1); /* the blocking face sees the same data */
	ck_assert(!cachify_async_lock_lost(r.lock));
	expect_rc(cachify_lock_force_release(c, "job"), 0);
	run_until(base, atomic_load(&lo.calls) == 1);
	ck_assert(cachify_async_lock_lost(r.lock));
	ck_assert_str_eq(lo.key, "PYC-job-lock");
	expect_rc(cachify_async_lock_run(c, &o, job_fn, NULL, arec_cb, &r, NULL, "run"),
		  CACHIFY_ENOTSUP);
	rel = 0;
	expect_rc(cachify_async_lock_release(r.lock, async_release_cb, &rel, NULL), 0);
	run_until(base, rel != 0);
	ck_assert_int_eq(rel, 1000 + CACHIFY_ENOTOWNER);
	cachify_free(c);
	event_base_free(base);
}
END_TEST

static void async_release_cb(void *arg, struct cachify_async_result *res)
{
	*(int *)arg = res->rc + 1000;
}

START_TEST(test_async_auto_renew_stops_at_release)
{
	struct event_base *base = event_base_new();
	cachify *c = mk_on(NULL, base);
	struct cachify_lock_options o = lopts(false, true, 0, EXP_S);
	struct arec r = { 0 };
	int rel = 0;

	o.auto_renew = true;
	expect_rc(cachify_async_lock_acquire(c, &o, arec_cb, &r, NULL, "job"), 0);
	run_until(base, r.calls == 1);
	expect_rc(cachify_async_lock_release(r.lock, async_release_cb, &rel, NULL), 0);
	run_until(base, rel != 0);
	ck_assert_int_eq(rel, 1000);
	/* Nothing renews it now: the loop has nothing left to do. */
	ck_assert_int_eq(event_base_dispatch(base), 1);
	expect_rc(cachify_is_locked(c, "job"), 0);
	cachify_free(c);
	event_base_free(base);
}
END_TEST

/* ---- once is_locked / release, pooled with a wait --------------------------------- */

struct once_probe {
	cachify *c;
	int locked_inside, released, locked_after, nested_ret;
	bool nested_ran;
};

static int nested_fn(void *arg)
{
	return 5;
}

static int once_fn(void *arg)
{
	struct once_probe *p = arg;

	p->locked_inside = cachify_once_is_locked(p->c, "task-%d", 1);
	p->released = cachify_once_release(p->c, "task-%d", 1);
	p->locked_after = cachify_once_is_locked(p->c, "task-%d", 1);
	/* Released: the next run goes ahead at once. */
	cachify_once(p->c, NULL, nested_fn, NULL, &p->nested_ret, &p->nested_ran, "task-%d", 1);
	return 0;
}

START_TEST(test_once_is_locked_and_release)
{
	cachify *c = mk();
	struct once_probe p = { .c = c };
	int ret;
	bool ran;

	expect_rc(cachify_once_is_locked(c, "task-%d", 1), 0);
	expect_rc(cachify_once(c, NULL, once_fn, &p, &ret, &ran, "task-%d", 1), CACHIFY_ENOTOWNER);
	ck_assert(ran);
	ck_assert_int_eq(p.locked_inside, 1);
	ck_assert_int_eq(p.released, 0);
	ck_assert_int_eq(p.locked_after, 0);
	ck_assert(p.nested_ran);
	ck_assert_int_eq(p.nested_ret, 5);
	expect_rc(cachify_once_is_locked(c, "task-%d", 1), 0);
	expect_rc(cachify_is_locked(c, "task-%d", 1), 0); /* a lock key is not a once key */
	cachify_free(c);
}
END_TEST

static int count_fn(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
	return 1;
}

struct freer {
	cachify_slot *s;
	int ms;
	pthread_t t;
};

static void *freer_main(void *arg)
{
	struct freer *f = arg;

	h_sleep_ms(f->ms);
	cachify_slot_release(f->s);
	return NULL;
}

START_TEST(test_pooled_waits_up_to_its_timeout)
{
	cachify *c = mk();
	struct cachify_pool_options po;
	cachify_pool *p;
	cachify_slot *s;
	struct freer f;
	atomic_int n = 0;
	int ret = 0;
	bool ran = true;
	int64_t t0;

	cachify_pool_options_init(&po);
	po.max_size = 1;
	po.timeout = 0.3;
	po.raise_on_full = true;
	ck_assert_ptr_nonnull(p = cachify_pool_new(c, &po, "pw"));
	expect_rc(cachify_pool_acquire(p, &s), 0);
	t0 = h_now_ms();
	expect_rc(cachify_pooled(p, count_fn, &n, &ret, &ran), CACHIFY_ETIMEOUT);
	ck_assert_int_ge(h_now_ms() - t0, 290);
	ck_assert(!ran);
	cachify_pool_free(p);

	po.raise_on_full = false;
	po.on_full = nested_fn;
	ck_assert_ptr_nonnull(p = cachify_pool_new(c, &po, "pw"));
	expect_rc(cachify_pooled(p, count_fn, &n, &ret, &ran), 0);
	ck_assert(!ran);
	ck_assert_int_eq(ret, 5);
	cachify_pool_free(p);

	po.timeout = SLOW(SETTLE_MS) / 1000.0;
	ck_assert_ptr_nonnull(p = cachify_pool_new(c, &po, "pw"));
	f.s = s;
	f.ms = 100;
	ck_assert_int_eq(pthread_create(&f.t, NULL, freer_main, &f), 0);
	expect_rc(cachify_pooled(p, count_fn, &n, &ret, &ran), 0);
	pthread_join(f.t, NULL);
	ck_assert(ran);
	ck_assert_int_eq(ret, 1);
	ck_assert_int_eq(atomic_load(&n), 1);
	cachify_pool_free(p);

	po.timeout = -5;
	ck_assert_ptr_null(cachify_pool_new(c, &po, "pw"));
	cachify_free(c);
}
END_TEST

static void job_fn(void *arg, cachify_async_job *job)
{
	cachify_async_job_done(job, 9);
}

START_TEST(test_async_once_is_locked_release_and_pooled_wait)
{
	struct event_base *base = event_base_new();
	cachify *c = mk_on(NULL, base);
	struct cachify_pool_options po;
	struct arec a = { 0 }, b = { 0 };
	cachify_pool *p;
	cachify_slot *s;
	cachify_lock *l;
	struct cachify_lock_options o = lopts(false, true, 0, 30);

	/* A once key held (as a run in progress would): is_locked says so,
	 * release frees it. Keys as the blocking calls'. */
	expect_rc(cachify_lock_acquire(c, &o, &l, "x"), 0); /* a lock key: not a once key */
	expect_rc(cachify_async_once_is_locked(c, arec_cb, &a, NULL, "x"), 0);
	run_until(base, a.calls == 1);
	ck_assert_int_eq(a.n, 0);
	expect_rc(cachify_client_set(cachify_get_client(c), "PYC-x-once", 10, "t", 1, 30, true), 1);
	expect_rc(cachify_async_once_is_locked(c, arec_cb, &b, NULL, "x"), 0);
	run_until(base, b.calls == 1);
	ck_assert_int_eq(b.n, 1);
	memset(&a, 0, sizeof a);
	expect_rc(cachify_async_once_release(c, arec_cb, &a, NULL, "x"), 0);
	run_until(base, a.calls == 1);
	expect_rc(a.rc, 0);
	expect_rc(cachify_once_is_locked(c, "x"), 0);
	expect_rc(cachify_lock_release(l), 0);

	cachify_pool_options_init(&po);
	po.max_size = 1;
	po.timeout = 0.2;
	po.raise_on_full = true;
	ck_assert_ptr_nonnull(p = cachify_pool_new(c, &po, "apw"));
	expect_rc(cachify_pool_acquire(p, &s), 0);
	memset(&a, 0, sizeof a);
	expect_rc(cachify_async_pooled(p, job_fn, NULL, arec_cb, &a, NULL), 0);
	run_until(base, a.calls == 1);
	expect_rc(a.rc, CACHIFY_ETIMEOUT);
	ck_assert(!a.ran);
	expect_rc(cachify_slot_release(s), 0);
	memset(&a, 0, sizeof a);
	expect_rc(cachify_async_pooled(p, job_fn, NULL, arec_cb, &a, NULL), 0);
	run_until(base, a.calls == 1);
	expect_rc(a.rc, 0);
	ck_assert(a.ran);
	ck_assert_int_eq(a.fn_ret, 9);
	cachify_pool_free(p);
	cachify_free(c);
	event_base_free(base);
}
END_TEST

Suite *client_rw_suite(void)
{
	Suite *s = suite_create("client_rw");
	TCase *tc = tcase_create("memory");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_shared_readers_hold_together_and_keep_a_writer_out);
	tcase_add_test(tc, test_shared_release_by_a_stranger_is_notowner);
	tcase_add_test(tc, test_shared_reader_behind_a_waiting_writer_waits_its_turn);
	tcase_add_test(tc, test_shared_run_of_queued_readers_is_granted_together);
	tcase_add_test(tc, test_shared_readers_expire_each_on_its_own_ttl);
	tcase_add_test(tc, test_memory_wait_is_granted_when_the_holder_expires);
	tcase_add_test(tc, test_shared_on_a_custom_client_or_the_async_memory_face_is_enotsup);
	tcase_add_test(tc, test_auto_renew_keeps_a_lock_past_its_exp);
	tcase_add_test(tc, test_auto_renew_reports_a_lost_lock_once);
	tcase_add_test(tc, test_auto_renew_stops_at_release);
	tcase_add_test(tc, test_lock_run_with_auto_renew_outlives_exp);
	tcase_add_test(tc, test_async_auto_renew_keeps_a_lock_and_reports_its_loss);
	tcase_add_test(tc, test_async_auto_renew_stops_at_release);
	tcase_add_test(tc, test_once_is_locked_and_release);
	tcase_add_test(tc, test_pooled_waits_up_to_its_timeout);
	tcase_add_test(tc, test_async_once_is_locked_release_and_pooled_wait);
	suite_add_tcase(s, tc);
	return s;
}
