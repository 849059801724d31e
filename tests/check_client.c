/* check_client.c - libcachify's API (init, cached, lock, once, pool) over
 * the in-process memory client and over a custom client: every rule of the
 * reference (defaults, the global instance, isolation, key layout,
 * tri-state TTLs, stampede protection, owner-checked release, fences,
 * once, pool precedence and slot expiry), thread safety, and the examples.
 *
 * The custom client ("tb", for test backend) is a small user vtable in
 * this file: it counts calls and logs every set's expiry, so tests can
 * assert round trips and that the generic algorithms run over it, and its
 * clock is virtual (tb_advance), as is the wall clock the library reads
 * for pool slots (lc_clock_set_wall), so expiry needs no sleep.
 * Tests marked "loop" run once per backend (_i: BK_MEMORY, BK_CUSTOM).
 */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../client/lib/backend.h"
#include "../client/lib/clock.h"
#include "../client/lib/token.h"
#include "cachify.h"
#include "check_suites.h"
#include "harness.h"

enum { BK_MEMORY, BK_CUSTOM, BK_N };

#define TB_MAX	     256  /* keys one test backend holds */
#define TB_LOG	     64	  /* sets remembered, newest last */
#define TB_KEY_MAX   96	  /* bytes of a logged key */
#define TB_MAX_OPEN  4	  /* test backends one test may create */
#define TEST_POLL_S  0.005 /* s: instances made by mk() poll this often */
#define N_THREADS    8
#define RUNS_EACH    200  /* lock_run calls per thread in the overlap test */
#define STAMPEDE_MS  50	  /* ms the stampede's compute takes */

/* ---- the custom test backend ------------------------------------------- */

struct tb_set {
	char key[TB_KEY_MAX];
	int64_t ex;
	bool nx;
};

struct tb {
	pthread_mutex_t mu;
	struct {
		char *key, *val;
		size_t klen, vlen;
		int64_t exp_ms; /* virtual; 0 = never */
	} e[TB_MAX];
	int n;
	int64_t now_ms; /* virtual clock */
	int gets, sets, dels, destroyed;
	struct tb_set log[TB_LOG];
	int nlog;		 /* sets ever logged (ring index = nlog % TB_LOG) */
	int get_code, set_code;	 /* when non-zero, what the next get/set returns */
};

static struct tb *tbs[TB_MAX_OPEN];
static int64_t virt_wall_ms;

static int64_t test_wall(void)
{
	return __atomic_load_n(&virt_wall_ms, __ATOMIC_SEQ_CST);
}

static void tb_remove(struct tb *t, int i)
{
	free(t->e[i].key);
	free(t->e[i].val);
	t->e[i] = t->e[--t->n];
}

static int tb_find(struct tb *t, const char *k, size_t kl)
{
	for (int i = 0; i < t->n; i++) {
		if (t->e[i].klen != kl || memcmp(t->e[i].key, k, kl) != 0)
			continue;
		if (t->e[i].exp_ms && t->e[i].exp_ms <= t->now_ms) {
			tb_remove(t, i);
			return -1;
		}
		return i;
	}
	return -1;
}

static char *memdup(const char *p, size_t n)
{
	char *d = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(d);
	memcpy(d, p, n);
	return d;
}

/* Values are returned without a NUL on purpose: the library must not need one. */
static int tb_get(void *ctx, const char *name, size_t nlen, char **value, size_t *len)
{
	struct tb *t = ctx;
	int i, rc = 1;

	pthread_mutex_lock(&t->mu);
	t->gets++;
	if (t->get_code) {
		rc = t->get_code;
		t->get_code = 0;
	} else if ((i = tb_find(t, name, nlen)) < 0) {
		rc = 0;
	} else {
		*value = memdup(t->e[i].val, t->e[i].vlen);
		*len = t->e[i].vlen;
	}
	pthread_mutex_unlock(&t->mu);
	return rc;
}

static int tb_set(void *ctx, const char *name, size_t nlen, const char *value, size_t len,
		  int64_t ex, bool nx)
{
	struct tb *t = ctx;
	struct tb_set *l;
	int i, rc = 1;

	pthread_mutex_lock(&t->mu);
	t->sets++;
	l = &t->log[t->nlog++ % TB_LOG];
	snprintf(l->key, sizeof l->key, "%.*s", (int)nlen, name);
	l->ex = ex;
	l->nx = nx;
	if (t->set_code) {
		rc = t->set_code;
		t->set_code = 0;
		goto out;
	}
	i = tb_find(t, name, nlen);
	if (i >= 0 && nx) {
		rc = 0;
		goto out;
	}
	if (i < 0) {
		ck_assert_int_lt(t->n, TB_MAX);
		i = t->n++;
		t->e[i].key = memdup(name, nlen);
		t->e[i].klen = nlen;
	} else {
		free(t->e[i].val);
	}
	t->e[i].val = memdup(value, len);
	t->e[i].vlen = len;
	t->e[i].exp_ms = ex ? t->now_ms + ex * 1000 : 0;
out:
	pthread_mutex_unlock(&t->mu);
	return rc;
}

static int tb_del(void *ctx, size_t n, const char *const *names, const size_t *nlens)
{
	struct tb *t = ctx;
	int count = 0;

	pthread_mutex_lock(&t->mu);
	t->dels++;
	for (size_t k = 0; k < n; k++) {
		int i = tb_find(t, names[k], nlens[k]);

		if (i >= 0) {
			tb_remove(t, i);
			count++;
		}
	}
	pthread_mutex_unlock(&t->mu);
	return count;
}

/* The backend outlives its client (teardown frees it) so tests can look. */
static void tb_destroy(void *ctx)
{
	struct tb *t = ctx;

	__atomic_fetch_add(&t->destroyed, 1, __ATOMIC_SEQ_CST);
}

static const struct cachify_client_ops tb_ops = {
	.get = tb_get, .set = tb_set, .del = tb_del, .destroy = tb_destroy,
};

static struct tb *tb_new(void)
{
	struct tb *t = calloc(1, sizeof *t);
	int slot;

	ck_assert_ptr_nonnull(t);
	pthread_mutex_init(&t->mu, NULL);
	t->now_ms = 1000000;
	for (slot = 0; slot < TB_MAX_OPEN && tbs[slot]; slot++)
		;
	ck_assert_int_lt(slot, TB_MAX_OPEN);
	tbs[slot] = t;
	return t;
}

static void tb_free(struct tb *t)
{
	while (t->n)
		tb_remove(t, 0);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/* The newest test backend of this test. */
static struct tb *tb_cur(void)
{
	struct tb *t = NULL;

	for (int i = 0; i < TB_MAX_OPEN && tbs[i]; i++)
		t = tbs[i];
	ck_assert_ptr_nonnull(t);
	return t;
}

/* Advances the backend's clock and the wall clock the library reads. */
static void tb_advance(struct tb *t, int64_t ms)
{
	if (t) {
		pthread_mutex_lock(&t->mu);
		t->now_ms += ms;
		pthread_mutex_unlock(&t->mu);
	}
	__atomic_fetch_add(&virt_wall_ms, ms, __ATOMIC_SEQ_CST);
}

static void tb_reset_counts(struct tb *t)
{
	pthread_mutex_lock(&t->mu);
	t->gets = t->sets = t->dels = 0;
	pthread_mutex_unlock(&t->mu);
}

#define tb_expect_counts(t, g, s, d)                                                      \
	do {                                                                              \
		ck_assert_msg((t)->gets == (g) && (t)->sets == (s) && (t)->dels == (d),   \
			      "round trips: %d get %d set %d del, expected %d %d %d",     \
			      (t)->gets, (t)->sets, (t)->dels, (g), (s), (d));            \
	} while (0)

/* The ex of the newest set of key (fails the test if there was none). */
static int64_t tb_ex(struct tb *t, const char *key)
{
	for (int i = t->nlog - 1; i >= 0 && i >= t->nlog - TB_LOG; i--) {
		if (strcmp(t->log[i % TB_LOG].key, key) == 0)
			return t->log[i % TB_LOG].ex;
	}
	ck_abort_msg("no set of %s logged", key);
	return -1;
}

/* ---- fixtures and helpers ------------------------------------------------ */

static void setup(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	virt_wall_ms = (int64_t)ts.tv_sec * 1000;
	lc_clock_set_wall(test_wall);
}

static void teardown(void)
{
	cachify_global_free();
	lc_clock_set_wall(NULL);
	for (int i = 0; i < TB_MAX_OPEN; i++) {
		if (tbs[i])
			tb_free(tbs[i]);
		tbs[i] = NULL;
	}
}

static cachify_client *new_client(int kind)
{
	cachify_client *cl =
		kind == BK_MEMORY ? cachify_client_memory() : cachify_client_custom(&tb_ops, tb_new());

	ck_assert_ptr_nonnull(cl);
	return cl;
}

/* A new instance (is_global false) on a new client of the kind. o NULL =
 * the defaults but a TEST_POLL_S poll interval. */
static cachify *mk(int kind, struct cachify_options *o)
{
	struct cachify_options d;
	cachify *c = NULL;
	int rc;

	if (!o) {
		cachify_options_init(&d);
		d.lock_poll_interval = TEST_POLL_S;
		o = &d;
	}
	o->sync_client = new_client(kind);
	o->is_global = false;
	rc = cachify_init(o, &c);
	ck_assert_msg(rc == 0, "cachify_init: %s", cachify_last_error());
	cachify_client_free(o->sync_client);
	o->sync_client = NULL;
	return c;
}

/* 1 with *v (new) if the client holds key, else 0. */
static int raw_get(cachify *c, const char *key, char **v, size_t *len)
{
	char *tmp = NULL;
	size_t tl;
	int rc = cachify_client_get(cachify_get_client(c), key, strlen(key), v ? v : &tmp,
				    len ? len : &tl);

	ck_assert_int_ge(rc, 0);
	free(tmp);
	return rc;
}

struct comp {
	int calls; /* atomic */
	const char *val;
	size_t len;
	int fail;     /* returned instead of a value when non-zero */
	int delay_ms; /* slept before returning */
};

static int compute_cb(void *arg, char **value, size_t *len)
{
	struct comp *cp = arg;

	__atomic_fetch_add(&cp->calls, 1, __ATOMIC_SEQ_CST);
	if (cp->delay_ms)
		h_sleep_ms(cp->delay_ms);
	if (cp->fail)
		return cp->fail;
	if (!cp->val) { /* an empty value, handed back as NULL */
		*value = NULL;
		*len = 0;
		return 0;
	}
	*value = memdup(cp->val, cp->len);
	*len = cp->len;
	return 0;
}

/* cachify_cached(key) must succeed with want (wlen bytes), NUL-terminated. */
#define expect_cached(c, o, cp, want, wlen, ...) \
	expect_cached_at(__LINE__, c, o, cp, want, wlen, __VA_ARGS__)
static void expect_cached_at(int line, cachify *c, const struct cachify_cached_options *o,
			     struct comp *cp, const char *want, size_t wlen, const char *keyfmt, ...)
	__attribute__((format(printf, 7, 8)));
static void expect_cached_at(int line, cachify *c, const struct cachify_cached_options *o,
			     struct comp *cp, const char *want, size_t wlen, const char *keyfmt, ...)
{
	char key[256], *v = NULL;
	size_t len = 99;
	int err = -1, rc;
	va_list ap;

	va_start(ap, keyfmt);
	vsnprintf(key, sizeof key, keyfmt, ap);
	va_end(ap);
	rc = cachify_cached(c, o, compute_cb, cp, &err, &v, &len, "%s", key);
	ck_assert_msg(rc == 0, "line %d: cached: %s (%s)", line, cachify_strerror(rc),
		      cachify_last_error());
	ck_assert_int_eq(err, 0);
	ck_assert_ptr_nonnull(v);
	ck_assert_msg(len == wlen && memcmp(v, want, wlen) == 0, "line %d: got %zu bytes", line,
		      len);
	ck_assert_int_eq(v[len], '\0');
	free(v);
}

static int ret_cb(void *arg)
{
	int *calls = arg;

	(*calls)++;
	return 5;
}

/* ---- init, defaults, the global instance -------------------------------- */

START_TEST(test_options_have_the_reference_defaults)
{
	struct cachify_options o;
	struct cachify_lock_options lo;
	struct cachify_pool_options po;

	memset(&o, 0x5a, sizeof o);
	cachify_options_init(&o);
	ck_assert_ptr_null(o.sync_client);
	ck_assert_ptr_null(o.async_client);
	ck_assert_int_eq(o.default_lock_expiration, 30);
	ck_assert_int_eq(o.default_cache_ttl, CACHIFY_TTL_NEVER);
	ck_assert_str_eq(o.prefix, "PYC-");
	ck_assert(o.lock_poll_interval == 0.1);
	ck_assert_int_eq(o.default_pool_slot_expiration, 600);
	ck_assert(o.is_global);

	cachify_lock_options_init(&lo);
	ck_assert(lo.nowait);
	ck_assert(lo.timeout == CACHIFY_WAIT_FOREVER);
	ck_assert_int_eq(lo.exp, CACHIFY_TTL_DEFAULT);
	ck_assert(!lo.auto_renew);
	ck_assert(!lo.shared);
	ck_assert_ptr_null(lo.on_lost);
	cachify_pool_options_init(&po);
	ck_assert_int_eq(po.slot_exp, CACHIFY_TTL_DEFAULT);
	ck_assert(!po.raise_on_full);
	ck_assert_ptr_null(po.on_full);
	ck_assert(po.timeout == 0);

	ck_assert_str_eq(cachify_version(), CACHIFY_VERSION_STRING);
	for (int a = CACHIFY_ENOTSUP; a <= 0; a++) {
		for (int b = a + 1; b <= 0; b++)
			ck_assert_str_ne(cachify_strerror(a), cachify_strerror(b));
	}
	ck_assert_ptr_nonnull(cachify_last_error());
}
END_TEST

START_TEST(test_global_calls_without_init_are_enotinit)
{
	struct cachify_pool_options po;
	struct comp cp = { .val = "v", .len = 1 };
	cachify_lock *l = NULL;
	char *v = NULL;
	size_t len;
	int calls = 0, ret = 0;
	bool ran = true;

	cachify_global_free();
	ck_assert_int_eq(cachify_cached(NULL, NULL, compute_cb, &cp, NULL, &v, &len, "k"),
			 CACHIFY_ENOTINIT);
	ck_assert_str_eq(cachify_strerror(CACHIFY_ENOTINIT),
			 "cachify is not initialized (no global instance)");
	ck_assert_ptr_nonnull(strstr(cachify_last_error(), "not initialized"));
	ck_assert_int_eq(cachify_cached_reset(NULL, "k"), CACHIFY_ENOTINIT);
	ck_assert_int_eq(cachify_lock_acquire(NULL, NULL, &l, "k"), CACHIFY_ENOTINIT);
	ck_assert_ptr_null(l);
	ck_assert_int_eq(cachify_is_locked(NULL, "k"), CACHIFY_ENOTINIT);
	ck_assert_int_eq(cachify_lock_force_release(NULL, "k"), CACHIFY_ENOTINIT);
	ck_assert_int_eq(cachify_lock_run(NULL, NULL, ret_cb, &calls, &ret, "k"), CACHIFY_ENOTINIT);
	ck_assert_int_eq(cachify_once(NULL, NULL, ret_cb, &calls, &ret, &ran, "k"),
			 CACHIFY_ENOTINIT);
	ck_assert(!ran);
	cachify_pool_options_init(&po);
	po.max_size = 1;
	ck_assert_ptr_null(cachify_pool_new(NULL, &po, "k"));
	ck_assert_ptr_nonnull(strstr(cachify_last_error(), "not initialized"));
	ck_assert_ptr_null(cachify_get_client(NULL));
	ck_assert_ptr_null(cachify_get_prefix(NULL));
	ck_assert_int_eq(calls, 0);
	ck_assert_int_eq(cp.calls, 0);
}
END_TEST

START_TEST(test_init_null_options_makes_a_global_memory_instance)
{
	struct comp cp = { .val = "42", .len = 2 };
	cachify *g = NULL;

	ck_assert_int_eq(cachify_init(NULL, &g), 0);
	ck_assert_ptr_nonnull(g);
	ck_assert_ptr_eq(cachify_get_client(NULL), cachify_get_client(g));
	ck_assert_str_eq(cachify_get_client(NULL)->ops->name, "memory");
	ck_assert_str_eq(cachify_get_prefix(NULL), "PYC-");
	expect_cached(NULL, NULL, &cp, "42", 2, "sum-1-2");
	expect_cached(g, NULL, &cp, "42", 2, "sum-1-2"); /* the same instance */
	ck_assert_int_eq(cp.calls, 1);
	ck_assert_int_eq(raw_get(g, "PYC-sum-1-2-cached", NULL, NULL), 1);

	cachify_global_free();
	ck_assert_int_eq(cachify_cached_reset(NULL, "sum-1-2"), CACHIFY_ENOTINIT);
	/* out is optional for a global instance. */
	ck_assert_int_eq(cachify_init(NULL, NULL), 0);
	ck_assert_str_eq(cachify_get_prefix(NULL), "PYC-");
}
END_TEST

START_TEST(test_init_rejects_bad_options)
{
	struct cachify_options o;

	cachify_options_init(&o);
	o.is_global = false;
	ck_assert_int_eq(cachify_init(&o, NULL), CACHIFY_EINVAL);

	const int64_t bad[] = { 0, -3, -100 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cachify_options_init(&o);
		o.default_lock_expiration = bad[i];
		ck_assert_int_eq(cachify_init(&o, NULL), CACHIFY_EINVAL);
		cachify_options_init(&o);
		o.default_cache_ttl = bad[i];
		ck_assert_int_eq(cachify_init(&o, NULL), CACHIFY_EINVAL);
		cachify_options_init(&o);
		o.default_pool_slot_expiration = bad[i];
		ck_assert_int_eq(cachify_init(&o, NULL), CACHIFY_EINVAL);
	}
	cachify_options_init(&o);
	o.lock_poll_interval = 0;
	ck_assert_int_eq(cachify_init(&o, NULL), CACHIFY_EINVAL);
	o.lock_poll_interval = -0.5;
	ck_assert_int_eq(cachify_init(&o, NULL), CACHIFY_EINVAL);
	/* Nothing became global on the way. */
	ck_assert_ptr_null(cachify_get_prefix(NULL));
}
END_TEST

/* Options' CACHIFY_TTL_DEFAULT means "not given": the reference's default. */
START_TEST(test_init_default_means_the_reference_default)
{
	struct cachify_options o;
	struct cachify_pool_options po;
	cachify_lock *l;
	cachify_slot *s;
	cachify_pool *p;
	cachify *c;
	struct tb *t;
	struct comp cp = { .val = "v", .len = 1 };

	cachify_options_init(&o);
	o.default_lock_expiration = CACHIFY_TTL_DEFAULT;
	o.default_cache_ttl = CACHIFY_TTL_DEFAULT;
	o.default_pool_slot_expiration = CACHIFY_TTL_DEFAULT;
	c = mk(BK_CUSTOM, &o);
	t = tb_cur();
	expect_cached(c, NULL, &cp, "v", 1, "k");
	ck_assert_int_eq(tb_ex(t, "PYC-k-cached"), 0);
	ck_assert_int_eq(cachify_lock_acquire(c, NULL, &l, "k"), 0);
	ck_assert_int_eq(tb_ex(t, "PYC-k-lock"), 30);
	ck_assert_int_eq(cachify_lock_release(l), 0);
	cachify_pool_options_init(&po);
	po.max_size = 1;
	p = cachify_pool_new(c, &po, "p");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(cachify_pool_acquire(p, &s), 0);
	ck_assert_int_eq(tb_ex(t, "PYC-p-pool"), 600);
	ck_assert_int_eq(cachify_slot_release(s), 0);
	cachify_pool_free(p);
	cachify_free(c);
}
END_TEST

START_TEST(test_init_global_replaces_and_frees_the_previous)
{
	struct cachify_options o;
	cachify *a, *b;
	struct tb *t;

	cachify_options_init(&o);
	o.sync_client = new_client(BK_CUSTOM);
	t = tb_cur();
	o.prefix = "A-";
	ck_assert_int_eq(cachify_init(&o, &a), 0);
	cachify_client_free(o.sync_client); /* the instance holds its own reference */
	ck_assert_str_eq(cachify_get_prefix(NULL), "A-");
	ck_assert_int_eq(t->destroyed, 0);

	cachify_options_init(&o);
	o.prefix = "B-";
	ck_assert_int_eq(cachify_init(&o, &b), 0);
	ck_assert_str_eq(cachify_get_prefix(NULL), "B-");
	ck_assert_ptr_eq(cachify_get_prefix(b), cachify_get_prefix(NULL));
	ck_assert_int_eq(t->destroyed, 1); /* A went, and its client with it */

	/* An instance is not touched by a global init. */
	cachify_options_init(&o);
	o.prefix = "LOCAL-";
	o.is_global = false;
	ck_assert_int_eq(cachify_init(&o, &a), 0);
	ck_assert_str_eq(cachify_get_prefix(NULL), "B-");
	ck_assert_str_eq(cachify_get_prefix(a), "LOCAL-");
	cachify_free(a);
	ck_assert_str_eq(cachify_get_prefix(NULL), "B-");
	/* Freeing the global through cachify_free unregisters it. */
	cachify_free(b);
	ck_assert_ptr_null(cachify_get_prefix(NULL));
}
END_TEST

struct global_user {
	int rounds;
	int errors;
};

static void *global_user_thread(void *arg)
{
	struct global_user *u = arg;
	struct comp cp = { .val = "x", .len = 1 };

	for (int i = 0; i < u->rounds; i++) {
		char *v = NULL;
		size_t len;
		int rc = cachify_cached(NULL, NULL, compute_cb, &cp, NULL, &v, &len, "k%d", i % 7);

		if (rc != 0 && rc != CACHIFY_ENOTINIT)
			__atomic_fetch_add(&u->errors, 1, __ATOMIC_SEQ_CST);
		free(v);
	}
	return NULL;
}

/* Calls on the global instance hold a reference: replacing it under them
 * is safe (ASan and valgrind watch this one). */
START_TEST(test_global_replaced_while_in_use)
{
	pthread_t th[4];
	struct global_user u = { .rounds = 300 };
	struct cachify_options o;

	cachify_options_init(&o);
	o.lock_poll_interval = TEST_POLL_S;
	ck_assert_int_eq(cachify_init(&o, NULL), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, global_user_thread, &u), 0);
	for (int i = 0; i < 30; i++) {
		ck_assert_int_eq(cachify_init(&o, NULL), 0);
		if (i % 10 == 9)
			cachify_global_free();
		h_sleep_ms(1);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(u.errors, 0);
}
END_TEST

/* ---- isolation and the key layout ---------------------------------------- */

START_TEST(test_global_and_instance_do_not_collide) /* loop */
{
	struct cachify_options o;
	struct comp g = { .val = "global", .len = 6 }, l = { .val = "local", .len = 5 };
	cachify *local;

	cachify_options_init(&o);
	o.prefix = "GLOBAL-";
	o.sync_client = new_client(_i);
	ck_assert_int_eq(cachify_init(&o, NULL), 0);
	cachify_client_free(o.sync_client);
	cachify_options_init(&o);
	o.prefix = "LOCAL-";
	local = mk(_i, &o);

	expect_cached(NULL, NULL, &g, "global", 6, "sum-1-2");
	expect_cached(local, NULL, &l, "local", 5, "sum-1-2");
	expect_cached(NULL, NULL, &g, "global", 6, "sum-1-2");
	expect_cached(local, NULL, &l, "local", 5, "sum-1-2");
	ck_assert_int_eq(g.calls, 1);
	ck_assert_int_eq(l.calls, 1);
	ck_assert_int_eq(raw_get(NULL, "GLOBAL-sum-1-2-cached", NULL, NULL), 1);
	ck_assert_int_eq(raw_get(local, "LOCAL-sum-1-2-cached", NULL, NULL), 1);
	cachify_free(local);
}
END_TEST

/* Two prefixes on one shared client (the reference's USER-/METRICS-). */
START_TEST(test_prefixes_on_one_client_do_not_collide) /* loop */
{
	struct cachify_options o;
	struct comp u = { .val = "user", .len = 4 }, m = { .val = "metric", .len = 6 };
	cachify *user, *metrics;
	cachify_lock *l;
	char *v;
	size_t len;

	cachify_options_init(&o);
	o.prefix = "USER-";
	o.is_global = false;
	o.sync_client = new_client(_i);
	ck_assert_int_eq(cachify_init(&o, &user), 0);
	o.prefix = "METRICS-";
	ck_assert_int_eq(cachify_init(&o, &metrics), 0);
	cachify_client_free(o.sync_client);
	ck_assert_ptr_eq(cachify_get_client(user), cachify_get_client(metrics));

	expect_cached(user, NULL, &u, "user", 4, "x");
	expect_cached(metrics, NULL, &m, "metric", 6, "x");
	ck_assert_int_eq(raw_get(user, "USER-x-cached", &v, &len), 1);
	ck_assert_str_eq(v, "user");
	free(v);
	ck_assert_int_eq(raw_get(user, "METRICS-x-cached", &v, &len), 1);
	ck_assert_str_eq(v, "metric");
	free(v);
	ck_assert_int_eq(cachify_lock_acquire(user, NULL, &l, "job"), 0);
	ck_assert_int_eq(cachify_is_locked(metrics, "job"), 0);
	ck_assert_int_eq(cachify_is_locked(user, "job"), 1);
	ck_assert_int_eq(cachify_lock_release(l), 0);
	cachify_free(user);
	cachify_free(metrics);
}
END_TEST

struct once_probe {
	cachify *c;
	int present; /* the -once key existed while fn ran */
};

static int once_probe_cb(void *arg)
{
	struct once_probe *p = arg;

	p->present = raw_get(p->c, "PYC-o-7-once", NULL, NULL);
	return 0;
}

START_TEST(test_keys_are_prefix_key_suffix) /* loop */
{
	struct cachify_pool_options po;
	struct comp cp = { .val = "v", .len = 1 };
	struct once_probe probe;
	cachify *c = mk(_i, NULL);
	cachify_lock *l;
	cachify_pool *p;
	cachify_slot *s;
	char *v;
	size_t len;

	expect_cached(c, NULL, &cp, "v", 1, "sum-1-2");
	ck_assert_int_eq(raw_get(c, "PYC-sum-1-2-cached", NULL, NULL), 1);
	ck_assert_int_eq(cachify_cached(c, NULL, compute_cb, &cp, NULL, &v, &len, "sum-%d-%s", 3,
					"four"),
			 0);
	free(v);
	ck_assert_int_eq(raw_get(c, "PYC-sum-3-four-cached", NULL, NULL), 1);

	ck_assert_int_eq(cachify_lock_acquire(c, NULL, &l, "job-%d", 42), 0);
	ck_assert_str_eq(cachify_lock_key(l), "PYC-job-42-lock");
	ck_assert_int_eq(raw_get(c, "PYC-job-42-lock", &v, &len), 1);
	ck_assert_uint_eq(len, LC_TOKEN_HEX); /* the owner's token */
	ck_assert_uint_eq(strspn(v, "0123456789abcdef"), LC_TOKEN_HEX);
	free(v);
	ck_assert_int_eq(cachify_lock_release(l), 0);
	ck_assert_int_eq(raw_get(c, "PYC-job-42-lock", NULL, NULL), 0);

	probe.c = c;
	probe.present = -1;
	ck_assert_int_eq(cachify_once(c, NULL, once_probe_cb, &probe, NULL, NULL, "o-%d", 7), 0);
	ck_assert_int_eq(probe.present, 1);
	ck_assert_int_eq(raw_get(c, "PYC-o-7-once", NULL, NULL), 0);

	cachify_pool_options_init(&po);
	po.max_size = 2;
	p = cachify_pool_new(c, &po, "workers");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(cachify_pool_acquire(p, &s), 0);
	ck_assert_int_eq(raw_get(c, "PYC-workers-pool", NULL, NULL), 1);
	ck_assert_int_eq(cachify_slot_release(s), 0);
	ck_assert_int_eq(raw_get(c, "PYC-workers-pool", NULL, NULL), 0);
	cachify_pool_free(p);
	cachify_free(c);
}
END_TEST

/* ---- tri-state TTLs --------------------------------------------------------- */

START_TEST(test_cached_ttl_tristate)
{
	struct cachify_options o;
	struct cachify_cached_options co = { .ttl = CACHIFY_TTL_DEFAULT };
	struct comp cp = { .val = "v", .len = 1 };
	cachify *never, *sixty;
	struct tb *t;
	char *v = NULL;
	size_t len;

	never = mk(BK_CUSTOM, NULL); /* default_cache_ttl None */
	t = tb_cur();
	expect_cached(never, &co, &cp, "v", 1, "a");
	ck_assert_int_eq(tb_ex(t, "PYC-a-cached"), 0);
	co.ttl = 7;
	expect_cached(never, &co, &cp, "v", 1, "b");
	ck_assert_int_eq(tb_ex(t, "PYC-b-cached"), 7);
	expect_cached(never, NULL, &cp, "v", 1, "c"); /* opts NULL = ttl not given */
	ck_assert_int_eq(tb_ex(t, "PYC-c-cached"), 0);

	cachify_options_init(&o);
	o.default_cache_ttl = 60;
	sixty = mk(BK_CUSTOM, &o);
	t = tb_cur();
	co.ttl = CACHIFY_TTL_DEFAULT;
	expect_cached(sixty, &co, &cp, "v", 1, "a");
	ck_assert_int_eq(tb_ex(t, "PYC-a-cached"), 60);
	co.ttl = CACHIFY_TTL_NEVER;
	expect_cached(sixty, &co, &cp, "v", 1, "b");
	ck_assert_int_eq(tb_ex(t, "PYC-b-cached"), 0);
	co.ttl = 7;
	expect_cached(sixty, &co, &cp, "v", 1, "c");
	ck_assert_int_eq(tb_ex(t, "PYC-c-cached"), 7);

	co.ttl = 0;
	ck_assert_int_eq(cachify_cached(sixty, &co, compute_cb, &cp, NULL, &v, &len, "d"),
			 CACHIFY_EINVAL);
	co.ttl = -5;
	ck_assert_int_eq(cachify_cached(sixty, &co, compute_cb, &cp, NULL, &v, &len, "d"),
			 CACHIFY_EINVAL);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(cp.calls, 6);
	cachify_free(never);
	cachify_free(sixty);
}
END_TEST

START_TEST(test_lock_exp_tristate)
{
	struct cachify_options o;
	struct cachify_lock_options lo;
	cachify_lock *l;
	cachify *c, *never;
	struct tb *t;
	int calls = 0;

	c = mk(BK_CUSTOM, NULL); /* default_lock_expiration 30 */
	t = tb_cur();
	cachify_lock_options_init(&lo);
	ck_assert_int_eq(cachify_lock_acquire(c, &lo, &l, "k"), 0);
	ck_assert_int_eq(tb_ex(t, "PYC-k-lock"), 30);
	ck_assert_int_eq(cachify_lock_renew(l, 9), 0);
	ck_assert_int_eq(tb_ex(t, "PYC-k-lock"), 9);
	ck_assert_int_eq(cachify_lock_renew(l, CACHIFY_TTL_NEVER), 0);
	ck_assert_int_eq(tb_ex(t, "PYC-k-lock"), 0);
	ck_assert_int_eq(cachify_lock_renew(l, CACHIFY_TTL_DEFAULT), 0);
	ck_assert_int_eq(tb_ex(t, "PYC-k-lock"), 30);
	ck_assert_int_eq(cachify_lock_renew(l, 0), CACHIFY_EINVAL);
	ck_assert_int_eq(cachify_lock_release(l), 0);
	lo.exp = CACHIFY_TTL_NEVER;
	ck_assert_int_eq(cachify_lock_acquire(c, &lo, &l, "k"), 0);
	ck_assert_int_eq(tb_ex(t, "PYC-k-lock"), 0);
	ck_assert_int_eq(cachify_lock_release(l), 0);
	lo.exp = 5;
	ck_assert_int_eq(cachify_lock_run(c, &lo, ret_cb, &calls, NULL, "k"), 0);
	ck_assert_int_eq(tb_ex(t, "PYC-k-lock"), 5);
	lo.exp = 0;
	ck_assert_int_eq(cachify_lock_acquire(c, &lo, &l, "k"), CACHIFY_EINVAL);
	ck_assert_ptr_null(l);
	lo.exp = -7;
	ck_assert_int_eq(cachify_lock_run(c, &lo, ret_cb, &calls, NULL, "k"), CACHIFY_EINVAL);
	ck_assert_int_eq(calls, 1);
	/* once takes the instance's default lock expiration. */
	ck_assert_int_eq(cachify_once(c, NULL, ret_cb, &calls, NULL, NULL, "k"), 0);
	ck_assert_int_eq(tb_ex(t, "PYC-k-once"), 30);

	cachify_options_init(&o);
	o.default_lock_expiration = CACHIFY_TTL_NEVER;
	never = mk(BK_CUSTOM, &o);
	t = tb_cur();
	ck_assert_int_eq(cachify_lock_acquire(never, NULL, &l, "k"), 0);
	ck_assert_int_eq(tb_ex(t, "PYC-k-lock"), 0);
	ck_assert_int_eq(cachify_lock_renew(l, CACHIFY_TTL_DEFAULT), 0);
	ck_assert_int_eq(tb_ex(t, "PYC-k-lock"), 0);
	ck_assert_int_eq(cachify_lock_release(l), 0);
	ck_assert_int_eq(cachify_once(never, NULL, ret_cb, &calls, NULL, NULL, "k"), 0);
	ck_assert_int_eq(tb_ex(t, "PYC-k-once"), 0);
	cachify_free(c);
	cachify_free(never);
}
END_TEST

/* The slot's expiry as stored in the pool's list (one slot held). */
static int64_t only_slot_expiry(cachify *c, const char *key)
{
	char *v, *sp;
	size_t len;
	long long exp;

	ck_assert_int_eq(raw_get(c, key, &v, &len), 1);
	sp = strchr(v, ' ');
	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(sp - v, LC_TOKEN_HEX);
	exp = strtoll(sp + 1, NULL, 10);
	ck_assert_ptr_eq(strchr(sp, '\n'), v + len - 1);
	free(v);
	return exp;
}

START_TEST(test_pool_slot_exp_tristate)
{
	struct cachify_options o;
	struct cachify_pool_options po;
	cachify_pool *p;
	cachify_slot *s;
	cachify *c, *never;
	struct tb *t;
	const int64_t now = test_wall();
	const struct {
		int64_t slot_exp, want_list_ex, want_expiry;
	} cases[] = {
		{ CACHIFY_TTL_DEFAULT, 600, now + 600000 },
		{ CACHIFY_TTL_NEVER, 0, 0 },
		{ 5, 5, now + 5000 },
	};

	c = mk(BK_CUSTOM, NULL);
	t = tb_cur();
	cachify_pool_options_init(&po);
	po.max_size = 1;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		po.slot_exp = cases[i].slot_exp;
		p = cachify_pool_new(c, &po, "p");
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(cachify_pool_acquire(p, &s), 0);
		ck_assert_int_eq(tb_ex(t, "PYC-p-pool"), cases[i].want_list_ex);
		ck_assert_int_eq(only_slot_expiry(c, "PYC-p-pool"), cases[i].want_expiry);
		ck_assert_int_eq(cachify_slot_release(s), 0);
		cachify_pool_free(p);
	}
	po.slot_exp = 0;
	ck_assert_ptr_null(cachify_pool_new(c, &po, "p"));
	po.slot_exp = -9;
	ck_assert_ptr_null(cachify_pool_new(c, &po, "p"));
	po.slot_exp = 5;
	po.max_size = 0;
	ck_assert_ptr_null(cachify_pool_new(c, &po, "p"));
	ck_assert_ptr_nonnull(strstr(cachify_last_error(), "max_size"));
	ck_assert_ptr_null(cachify_pool_new(c, NULL, "p"));

	cachify_options_init(&o);
	o.default_pool_slot_expiration = CACHIFY_TTL_NEVER;
	never = mk(BK_CUSTOM, &o);
	t = tb_cur();
	po.max_size = 1;
	po.slot_exp = CACHIFY_TTL_DEFAULT;
	p = cachify_pool_new(never, &po, "p");
	ck_assert_int_eq(cachify_pool_acquire(p, &s), 0);
	ck_assert_int_eq(tb_ex(t, "PYC-p-pool"), 0);
	ck_assert_int_eq(only_slot_expiry(never, "PYC-p-pool"), 0);
	ck_assert_int_eq(cachify_slot_release(s), 0);
	cachify_pool_free(p);
	cachify_free(c);
	cachify_free(never);
}
END_TEST

/* ---- cached ---------------------------------------------------------------- */

START_TEST(test_cached_miss_then_hit) /* loop */
{
	static const char bin[] = { 'a', '\0', 'b', '\n', '\0' };
	struct comp cp = { .val = bin, .len = sizeof bin };
	cachify *c = mk(_i, NULL);

	expect_cached(c, NULL, &cp, bin, sizeof bin, "bin-%d", 1);
	ck_assert_int_eq(cp.calls, 1);
	expect_cached(c, NULL, &cp, bin, sizeof bin, "bin-%d", 1);
	expect_cached(c, NULL, &cp, bin, sizeof bin, "bin-%d", 1);
	ck_assert_int_eq(cp.calls, 1);
	expect_cached(c, NULL, &cp, bin, sizeof bin, "bin-%d", 2);
	ck_assert_int_eq(cp.calls, 2);
	/* The fill lock is gone once the value is in. */
	ck_assert_int_eq(raw_get(c, "PYC-bin-1-cached-fill", NULL, NULL), 0);
	cachify_free(c);
}
END_TEST

START_TEST(test_cached_empty_value_is_a_hit) /* loop */
{
	struct comp cp = { .val = NULL, .len = 0 };
	cachify *c = mk(_i, NULL);
	char *v;
	size_t len;

	expect_cached(c, NULL, &cp, "", 0, "empty");
	expect_cached(c, NULL, &cp, "", 0, "empty");
	ck_assert_int_eq(cp.calls, 1);
	ck_assert_int_eq(raw_get(c, "PYC-empty-cached", &v, &len), 1);
	ck_assert_uint_eq(len, 0);
	free(v);
	cachify_free(c);
}
END_TEST

static int enc_cb(void *ctx, const char *in, size_t inlen, char **out, size_t *outlen)
{
	int *fail = ctx;

	if (*fail)
		return -1;
	*out = malloc(inlen + 4);
	memcpy(*out, "enc:", 4);
	memcpy(*out + 4, in, inlen);
	*outlen = inlen + 4;
	return 0;
}

static int dec_cb(void *ctx, const char *in, size_t inlen, char **out, size_t *outlen)
{
	int *fail = ctx;

	if (*fail || inlen < 4 || memcmp(in, "enc:", 4) != 0)
		return -1;
	*out = memdup(in + 4, inlen - 4); /* not NUL-terminated: the library adds one */
	*outlen = inlen - 4;
	return 0;
}

START_TEST(test_cached_codec) /* loop */
{
	int fail = 0;
	struct cachify_codec codec = { .encode = enc_cb, .decode = dec_cb, .ctx = &fail };
	struct cachify_cached_options co = { .ttl = CACHIFY_TTL_DEFAULT, .codec = &codec };
	struct comp cp = { .val = "hello", .len = 5 };
	cachify *c = mk(_i, NULL);
	char *v = NULL;
	size_t len;
	int err;

	expect_cached(c, &co, &cp, "hello", 5, "k"); /* miss: what compute returned */
	ck_assert_int_eq(raw_get(c, "PYC-k-cached", &v, &len), 1);
	ck_assert_str_eq(v, "enc:hello");
	free(v);
	expect_cached(c, &co, &cp, "hello", 5, "k"); /* hit: decoded */
	ck_assert_int_eq(cp.calls, 1);

	fail = 1;
	v = NULL;
	ck_assert_int_eq(cachify_cached(c, &co, compute_cb, &cp, &err, &v, &len, "k"),
			 CACHIFY_ECODEC);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(cachify_cached(c, &co, compute_cb, &cp, &err, &v, &len, "other"),
			 CACHIFY_ECODEC);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(raw_get(c, "PYC-other-cached", NULL, NULL), 0);
	ck_assert_int_eq(raw_get(c, "PYC-other-cached-fill", NULL, NULL), 0);
	cachify_free(c);
}
END_TEST

START_TEST(test_cached_reset_forgets_the_value) /* loop */
{
	struct comp cp = { .val = "v", .len = 1 };
	cachify *c = mk(_i, NULL);

	expect_cached(c, NULL, &cp, "v", 1, "user-%d", 3);
	ck_assert_int_eq(cachify_cached_reset(c, "user-%d", 3), 0);
	ck_assert_int_eq(raw_get(c, "PYC-user-3-cached", NULL, NULL), 0);
	ck_assert_int_eq(cachify_cached_reset(c, "user-%d", 3), 0); /* absent is fine */
	expect_cached(c, NULL, &cp, "v", 1, "user-%d", 3);
	ck_assert_int_eq(cp.calls, 2);
	cachify_free(c);
}
END_TEST

START_TEST(test_cached_compute_failure_caches_nothing) /* loop */
{
	struct comp cp = { .fail = 42 };
	cachify *c = mk(_i, NULL);
	char *v = (char *)&cp;
	size_t len = 7;
	int err = 0;

	ck_assert_int_eq(cachify_cached(c, NULL, compute_cb, &cp, &err, &v, &len, "k"),
			 CACHIFY_ECALLBACK);
	ck_assert_int_eq(err, 42);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(raw_get(c, "PYC-k-cached", NULL, NULL), 0);
	ck_assert_int_eq(raw_get(c, "PYC-k-cached-fill", NULL, NULL), 0);
	cp.fail = 0;
	cp.val = "ok";
	cp.len = 2;
	expect_cached(c, NULL, &cp, "ok", 2, "k");
	ck_assert_int_eq(cp.calls, 2);
	ck_assert_int_eq(cachify_cached(c, NULL, NULL, &cp, &err, &v, &len, "k"), CACHIFY_EINVAL);
	cachify_free(c);
}
END_TEST

START_TEST(test_cached_ttl_expires)
{
	struct cachify_cached_options co = { .ttl = 5 };
	struct comp cp = { .val = "v", .len = 1 };
	cachify *c = mk(BK_CUSTOM, NULL);

	expect_cached(c, &co, &cp, "v", 1, "k");
	tb_advance(tb_cur(), 4000);
	expect_cached(c, &co, &cp, "v", 1, "k");
	ck_assert_int_eq(cp.calls, 1);
	tb_advance(tb_cur(), 1000);
	expect_cached(c, &co, &cp, "v", 1, "k");
	ck_assert_int_eq(cp.calls, 2);
	cachify_free(c);
}
END_TEST

struct stampede {
	cachify *c;
	struct comp cp;
	pthread_barrier_t start;
	int ok; /* atomic: threads that got the value */
};

static void *stampede_thread(void *arg)
{
	struct stampede *st = arg;
	char *v = NULL;
	size_t len;
	int rc;

	pthread_barrier_wait(&st->start);
	rc = cachify_cached(st->c, NULL, compute_cb, &st->cp, NULL, &v, &len, "hot");
	if (rc == 0 && len == 5 && memcmp(v, "value", 5) == 0)
		__atomic_fetch_add(&st->ok, 1, __ATOMIC_SEQ_CST);
	free(v);
	return NULL;
}

START_TEST(test_cached_stampede_computes_once) /* loop */
{
	struct stampede st = { .cp = { .val = "value", .len = 5, .delay_ms = STAMPEDE_MS } };
	pthread_t th[N_THREADS];

	st.c = mk(_i, NULL);
	pthread_barrier_init(&st.start, NULL, N_THREADS);
	for (int i = 0; i < N_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, stampede_thread, &st), 0);
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&st.start);
	ck_assert_int_eq(st.ok, N_THREADS);
	ck_assert_int_eq(st.cp.calls, 1);
	cachify_free(st.c);
}
END_TEST

/* ---- lock ------------------------------------------------------------------ */

START_TEST(test_lock_nowait_when_held_is_elocked) /* loop */
{
	cachify *c = mk(_i, NULL);
	cachify_lock *a, *b = (cachify_lock *)c;

	ck_assert_int_eq(cachify_is_locked(c, "k"), 0);
	ck_assert_int_eq(cachify_lock_acquire(c, NULL, &a, "k"), 0);
	ck_assert_int_eq(cachify_is_locked(c, "k"), 1);
	ck_assert_int_eq(cachify_lock_acquire(c, NULL, &b, "k"), CACHIFY_ELOCKED);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(cachify_lock_acquire(c, NULL, &b, "other"), 0);
	ck_assert_int_eq(cachify_lock_release(b), 0);
	ck_assert_int_eq(cachify_lock_release(a), 0);
	ck_assert_int_eq(cachify_is_locked(c, "k"), 0);
	ck_assert_int_eq(cachify_lock_acquire(c, NULL, &b, "k"), 0);
	ck_assert_int_eq(cachify_lock_release(b), 0);
	ck_assert_int_eq(cachify_lock_release(NULL), 0);
	cachify_free(c);
}
END_TEST

START_TEST(test_lock_wait_times_out) /* loop */
{
	struct cachify_lock_options lo;
	cachify *c = mk(_i, NULL);
	cachify_lock *a, *b;
	int64_t t0, took;

	cachify_lock_options_init(&lo);
	ck_assert_int_eq(cachify_lock_acquire(c, &lo, &a, "k"), 0);
	lo.nowait = false;
	lo.timeout = 0.2;
	t0 = h_now_ms();
	ck_assert_int_eq(cachify_lock_acquire(c, &lo, &b, "k"), CACHIFY_ETIMEOUT);
	took = h_now_ms() - t0;
	ck_assert_msg(took >= 195 && took < 2000 * h_slow(), "waited %lld ms", (long long)took);
	lo.timeout = 0;
	ck_assert_int_eq(cachify_lock_acquire(c, &lo, &b, "k"), CACHIFY_ETIMEOUT);
	lo.timeout = -3;
	ck_assert_int_eq(cachify_lock_acquire(c, &lo, &b, "k"), CACHIFY_EINVAL);
	ck_assert_int_eq(cachify_lock_release(a), 0);
	cachify_free(c);
}
END_TEST

struct holder {
	cachify_lock *l;
	int ms;
};

static void *release_later(void *arg)
{
	struct holder *h = arg;

	h_sleep_ms(h->ms);
	cachify_lock_release(h->l);
	return NULL;
}

START_TEST(test_lock_wait_is_granted_on_release) /* loop */
{
	struct cachify_lock_options lo;
	struct holder h = { .ms = 100 };
	cachify *c = mk(_i, NULL);
	cachify_lock *b;
	pthread_t th;
	int64_t t0, took;

	ck_assert_int_eq(cachify_lock_acquire(c, NULL, &h.l, "k"), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, release_later, &h), 0);
	cachify_lock_options_init(&lo);
	lo.nowait = false; /* timeout: forever */
	t0 = h_now_ms();
	ck_assert_int_eq(cachify_lock_acquire(c, &lo, &b, "k"), 0);
	took = h_now_ms() - t0;
	pthread_join(th, NULL);
	ck_assert_msg(took >= 90, "granted after %lld ms, before the release", (long long)took);
	ck_assert_int_eq(cachify_lock_release(b), 0);
	cachify_free(c);
}
END_TEST

/* A holds; the lock ends under it (expiry on the custom backend, a forced
 * release standing in for it on memory); B takes it. A's release must not
 * delete B's lock, nor A's renew touch it. */
START_TEST(test_lock_release_by_old_owner_keeps_new_holder) /* loop */
{
	struct cachify_lock_options lo;
	cachify *c = mk(_i, NULL);
	cachify_lock *a, *b;
	char *v1, *v2;
	size_t len;

	cachify_lock_options_init(&lo);
	lo.exp = 5;
	ck_assert_int_eq(cachify_lock_acquire(c, &lo, &a, "k"), 0);
	if (_i == BK_CUSTOM)
		tb_advance(tb_cur(), 5000);
	else
		ck_assert_int_eq(cachify_lock_force_release(c, "k"), 0);
	ck_assert_int_eq(cachify_is_locked(c, "k"), 0);
	ck_assert_int_eq(cachify_lock_acquire(c, &lo, &b, "k"), 0);
	ck_assert_int_eq(raw_get(c, "PYC-k-lock", &v1, &len), 1);

	ck_assert_int_eq(cachify_lock_renew(a, 30), CACHIFY_ENOTOWNER);
	ck_assert_int_eq(cachify_lock_release(a), CACHIFY_ENOTOWNER);
	ck_assert_int_eq(cachify_is_locked(c, "k"), 1);
	ck_assert_int_eq(raw_get(c, "PYC-k-lock", &v2, &len), 1);
	ck_assert_str_eq(v1, v2); /* still B's token */
	free(v1);
	free(v2);
	ck_assert_int_eq(cachify_lock_release(b), 0);
	ck_assert_int_eq(cachify_is_locked(c, "k"), 0);
	cachify_free(c);
}
END_TEST

START_TEST(test_lock_renew_extends)
{
	struct cachify_lock_options lo;
	cachify *c = mk(BK_CUSTOM, NULL);
	struct tb *t = tb_cur();
	cachify_lock *a;

	cachify_lock_options_init(&lo);
	lo.exp = 5;
	ck_assert_int_eq(cachify_lock_acquire(c, &lo, &a, "k"), 0);
	tb_advance(t, 4000);
	ck_assert_int_eq(cachify_lock_renew(a, 5), 0);
	tb_advance(t, 4000); /* 8 s after the grant: alive only thanks to renew */
	ck_assert_int_eq(cachify_is_locked(c, "k"), 1);
	tb_advance(t, 1000);
	ck_assert_int_eq(cachify_is_locked(c, "k"), 0);
	ck_assert_int_eq(cachify_lock_renew(a, 5), CACHIFY_ENOTOWNER);
	ck_assert_int_eq(cachify_is_locked(c, "k"), 0); /* a late renew revives nothing */
	ck_assert_int_eq(cachify_lock_release(a), CACHIFY_ENOTOWNER);
	cachify_free(c);
}
END_TEST

START_TEST(test_lock_fences_increase) /* loop */
{
	cachify *c = mk(_i, NULL);
	cachify_lock *l;
	uint64_t last = 0;
	char *v;
	size_t len;

	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(cachify_lock_acquire(c, NULL, &l, "k"), 0);
		ck_assert_uint_gt(cachify_lock_fence(l), last);
		last = cachify_lock_fence(l);
		ck_assert_int_eq(cachify_lock_release(l), 0);
	}
	/* The generic path keeps the counter next to the lock. */
	ck_assert_int_eq(raw_get(c, "PYC-k-lock-fence", &v, &len), 1);
	ck_assert_uint_eq(strtoull(v, NULL, 10), last);
	free(v);
	ck_assert_uint_eq(cachify_lock_fence(NULL), 0);
	cachify_free(c);
}
END_TEST

START_TEST(test_lock_force_release) /* loop */
{
	cachify *c = mk(_i, NULL);
	cachify_lock *a;

	ck_assert_int_eq(cachify_lock_force_release(c, "k"), 0); /* nothing held: fine */
	ck_assert_int_eq(cachify_lock_acquire(c, NULL, &a, "k"), 0);
	ck_assert_int_eq(cachify_lock_force_release(c, "k"), 0);
	ck_assert_int_eq(cachify_is_locked(c, "k"), 0);
	ck_assert_int_eq(cachify_lock_release(a), CACHIFY_ENOTOWNER);
	cachify_free(c);
}
END_TEST

struct self_release {
	cachify *c;
	int calls;
};

static int force_release_self_cb(void *arg)
{
	struct self_release *s = arg;

	s->calls++;
	cachify_lock_force_release(s->c, "k");
	return 9;
}

START_TEST(test_lock_run) /* loop */
{
	struct self_release s;
	cachify *c = mk(_i, NULL);
	cachify_lock *a;
	int calls = 0, ret = 0;

	ck_assert_int_eq(cachify_lock_run(c, NULL, ret_cb, &calls, &ret, "k"), 0);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(ret, 5);
	ck_assert_int_eq(cachify_is_locked(c, "k"), 0);

	ck_assert_int_eq(cachify_lock_acquire(c, NULL, &a, "k"), 0);
	ret = 0;
	ck_assert_int_eq(cachify_lock_run(c, NULL, ret_cb, &calls, &ret, "k"), CACHIFY_ELOCKED);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(ret, 0);
	ck_assert_int_eq(cachify_lock_release(a), 0);

	/* A lock lost while fn runs: fn's result, then ENOTOWNER. */
	s.c = c;
	s.calls = 0;
	ck_assert_int_eq(cachify_lock_run(c, NULL, force_release_self_cb, &s, &ret, "k"),
			 CACHIFY_ENOTOWNER);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(ret, 9);
	ck_assert_int_eq(cachify_lock_run(c, NULL, NULL, NULL, NULL, "k"), CACHIFY_EINVAL);
	cachify_free(c);
}
END_TEST

/* ---- once ------------------------------------------------------------------ */

struct nested_once {
	cachify *c;
	struct cachify_once_options opts; /* for the nested call */
	int rc, ret;
	bool ran;
	int inner_calls;
};

static int inner_cb(void *arg)
{
	struct nested_once *n = arg;

	n->inner_calls++;
	return 1;
}

/* Runs once on the same key from inside a running once. */
static int outer_cb(void *arg)
{
	struct nested_once *n = arg;

	n->ret = -1;
	n->rc = cachify_once(n->c, &n->opts, inner_cb, n, &n->ret, &n->ran, "job-%d", 1);
	return 77;
}

START_TEST(test_once_raise_or_return_on_locked) /* loop */
{
	struct nested_once n = { 0 };
	bool ran = false;
	int ret = 0;

	n.c = mk(_i, NULL);
	n.opts.raise_on_locked = true;
	ck_assert_int_eq(cachify_once(n.c, NULL, outer_cb, &n, &ret, &ran, "job-%d", 1), 0);
	ck_assert(ran);
	ck_assert_int_eq(ret, 77);
	ck_assert_int_eq(n.rc, CACHIFY_ELOCKED);
	ck_assert(!n.ran);
	ck_assert_int_eq(n.inner_calls, 0);

	n.opts.raise_on_locked = false;
	n.opts.return_on_locked = 13;
	ck_assert_int_eq(cachify_once(n.c, NULL, outer_cb, &n, &ret, &ran, "job-%d", 1), 0);
	ck_assert_int_eq(n.rc, 0);
	ck_assert_int_eq(n.ret, 13);
	ck_assert(!n.ran);
	ck_assert_int_eq(n.inner_calls, 0);

	/* Done: the next run runs. */
	ck_assert_int_eq(cachify_once(n.c, NULL, inner_cb, &n, &ret, &ran, "job-%d", 1), 0);
	ck_assert(ran);
	ck_assert_int_eq(ret, 1);
	ck_assert_int_eq(n.inner_calls, 1);
	ck_assert_int_eq(raw_get(n.c, "PYC-job-1-once", NULL, NULL), 0);
	cachify_free(n.c);
}
END_TEST

static int fail_as_locked_cb(void *arg)
{
	(void)arg;
	return CACHIFY_ELOCKED; /* fn's own failure that happens to look like one */
}

START_TEST(test_once_fn_failure_is_not_locked) /* loop */
{
	struct cachify_once_options oo = { .raise_on_locked = true };
	cachify *c = mk(_i, NULL);
	bool ran = false;
	int ret = 0;

	ck_assert_int_eq(cachify_once(c, &oo, fail_as_locked_cb, NULL, &ret, &ran, "k"), 0);
	ck_assert(ran);
	ck_assert_int_eq(ret, CACHIFY_ELOCKED);
	oo.raise_on_locked = false;
	oo.return_on_locked = 5;
	ck_assert_int_eq(cachify_once(c, &oo, fail_as_locked_cb, NULL, &ret, &ran, "k"), 0);
	ck_assert(ran);
	ck_assert_int_eq(ret, CACHIFY_ELOCKED);
	ck_assert_int_eq(cachify_once(c, &oo, NULL, NULL, &ret, &ran, "k"), CACHIFY_EINVAL);
	cachify_free(c);
}
END_TEST

/* ---- pool ------------------------------------------------------------------ */

static cachify_pool *pool_of(cachify *c, long max, const char *key)
{
	struct cachify_pool_options po;
	cachify_pool *p;

	cachify_pool_options_init(&po);
	po.max_size = max;
	p = cachify_pool_new(c, &po, "%s", key);
	ck_assert_msg(p != NULL, "pool_new: %s", cachify_last_error());
	return p;
}

START_TEST(test_pool_max_size_and_full) /* loop */
{
	cachify *c = mk(_i, NULL);
	cachify_pool *p = pool_of(c, 2, "workers");
	cachify_slot *a, *b, *x = (cachify_slot *)c;

	ck_assert_int_eq(cachify_pool_size(p), 0);
	ck_assert_int_eq(cachify_pool_acquire(p, &a), 0);
	ck_assert_int_eq(cachify_pool_size(p), 1);
	ck_assert_int_eq(cachify_pool_acquire(p, &b), 0);
	ck_assert_int_eq(cachify_pool_size(p), 2);
	ck_assert_int_eq(cachify_pool_acquire(p, &x), CACHIFY_EFULL);
	ck_assert_ptr_null(x);
	ck_assert_int_eq(cachify_pool_size(p), 2);
	ck_assert_int_eq(cachify_slot_release(a), 0);
	ck_assert_int_eq(cachify_pool_size(p), 1);
	ck_assert_int_eq(cachify_pool_acquire(p, &a), 0);
	ck_assert_int_eq(cachify_slot_release(b), 0);
	ck_assert_int_eq(cachify_slot_release(a), 0);
	ck_assert_int_eq(cachify_pool_size(p), 0);
	ck_assert_int_eq(cachify_slot_release(NULL), 0);
	cachify_pool_free(p);
	cachify_free(c);
}
END_TEST

struct slot_releaser {
	cachify_slot *s;
	int rc;
};

static void *slot_release_later(void *arg)
{
	struct slot_releaser *r = arg;
	struct timespec ts = {0, 150 * 1000 * 1000};

	nanosleep(&ts, NULL);
	r->rc = cachify_slot_release(r->s);
	return NULL;
}

START_TEST(test_pool_acquire_wait_polls_until_a_slot_frees_or_times_out) /* loop */
{
	cachify *c = mk(_i, NULL);
	cachify_pool *p = pool_of(c, 1, "waited");
	struct slot_releaser r = {0};
	cachify_slot *s = NULL;
	struct timespec t0, t1;
	pthread_t t;
	double took;

	ck_assert_int_eq(cachify_pool_acquire_wait(p, 0, &r.s), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(cachify_pool_acquire_wait(p, 0.2, &s), CACHIFY_ETIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(took >= 0.19, "timed out after %.3f s", took);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(cachify_pool_acquire_wait(p, -5, &s), CACHIFY_EINVAL);
	/* Another thread gives its slot back after 150 ms: the wait gets it. */
	ck_assert_int_eq(pthread_create(&t, NULL, slot_release_later, &r), 0);
	ck_assert_int_eq(cachify_pool_acquire_wait(p, CACHIFY_WAIT_FOREVER, &s), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_ptr_nonnull(cachify_slot_id(s));
	ck_assert_int_eq(cachify_pool_size(p), 1);
	ck_assert_int_eq(cachify_slot_release(s), 0);
	cachify_pool_free(p);
	cachify_free(c);
}
END_TEST

struct full_probe {
	int fn_calls, full_calls;
};

static int pooled_fn(void *arg)
{
	((struct full_probe *)arg)->fn_calls++;
	return 1;
}

static int on_full_fn(void *arg)
{
	((struct full_probe *)arg)->full_calls++;
	return 2;
}

START_TEST(test_pooled_full_precedence) /* loop */
{
	struct cachify_pool_options po;
	struct full_probe fp = { 0 };
	cachify *c = mk(_i, NULL);
	cachify_pool *p, *held = pool_of(c, 1, "w");
	cachify_slot *s;
	bool ran = true;
	int ret = 0;

	cachify_pool_options_init(&po);
	po.max_size = 1;
	/* Not full: fn runs and its slot is given back. */
	p = cachify_pool_new(c, &po, "w");
	ck_assert_int_eq(cachify_pooled(p, pooled_fn, &fp, &ret, &ran), 0);
	ck_assert(ran);
	ck_assert_int_eq(ret, 1);
	ck_assert_int_eq(cachify_pool_size(p), 0);
	cachify_pool_free(p);

	ck_assert_int_eq(cachify_pool_acquire(held, &s), 0);
	/* raise_on_full beats on_full. */
	po.raise_on_full = true;
	po.on_full = on_full_fn;
	p = cachify_pool_new(c, &po, "w");
	ret = 0;
	ck_assert_int_eq(cachify_pooled(p, pooled_fn, &fp, &ret, &ran), CACHIFY_EFULL);
	ck_assert(!ran);
	ck_assert_int_eq(ret, 0);
	cachify_pool_free(p);
	/* on_full alone: its result, nothing ran. */
	po.raise_on_full = false;
	p = cachify_pool_new(c, &po, "w");
	ck_assert_int_eq(cachify_pooled(p, pooled_fn, &fp, &ret, &ran), 0);
	ck_assert(!ran);
	ck_assert_int_eq(ret, 2);
	cachify_pool_free(p);
	/* Neither: nothing runs, no error. */
	po.on_full = NULL;
	p = cachify_pool_new(c, &po, "w");
	ret = 0;
	ck_assert_int_eq(cachify_pooled(p, pooled_fn, &fp, &ret, &ran), 0);
	ck_assert(!ran);
	ck_assert_int_eq(ret, 0);
	cachify_pool_free(p);

	ck_assert_int_eq(fp.fn_calls, 1);
	ck_assert_int_eq(fp.full_calls, 1);
	ck_assert_int_eq(cachify_slot_release(s), 0);
	cachify_pool_free(held);
	cachify_free(c);
}
END_TEST

/* Slots expire by the wall clock (virtual here): no sleep. */
START_TEST(test_pool_slots_expire) /* loop */
{
	struct cachify_pool_options po;
	cachify *c = mk(_i, NULL);
	struct tb *t = _i == BK_CUSTOM ? tb_cur() : NULL;
	cachify_pool *p, *forever;
	cachify_slot *a, *b, *x, *n;

	cachify_pool_options_init(&po);
	po.max_size = 2;
	po.slot_exp = 5;
	p = cachify_pool_new(c, &po, "w");
	ck_assert_int_eq(cachify_pool_acquire(p, &a), 0);
	tb_advance(t, 2000);
	ck_assert_int_eq(cachify_pool_acquire(p, &b), 0);
	ck_assert_int_eq(cachify_pool_acquire(p, &x), CACHIFY_EFULL);
	tb_advance(t, 3000); /* a expired, b has 2 s left */
	ck_assert_int_eq(cachify_pool_size(p), 1);
	ck_assert_int_eq(cachify_pool_acquire(p, &x), 0);
	ck_assert_int_eq(cachify_slot_release(a), CACHIFY_ENOTOWNER);
	ck_assert_int_eq(cachify_pool_size(p), 2);
	tb_advance(t, 60000);
	ck_assert_int_eq(cachify_pool_size(p), 0);
	ck_assert_int_eq(cachify_slot_release(b), CACHIFY_ENOTOWNER);
	ck_assert_int_eq(cachify_slot_release(x), CACHIFY_ENOTOWNER);

	/* Slots that never expire keep counting. */
	po.slot_exp = CACHIFY_TTL_NEVER;
	po.max_size = 1;
	forever = cachify_pool_new(c, &po, "f");
	ck_assert_int_eq(cachify_pool_acquire(forever, &n), 0);
	tb_advance(t, 365LL * 24 * 3600 * 1000);
	ck_assert_int_eq(cachify_pool_size(forever), 1);
	ck_assert_int_eq(cachify_pool_acquire(forever, &x), CACHIFY_EFULL);
	ck_assert_int_eq(cachify_slot_release(n), 0);
	cachify_pool_free(forever);
	cachify_pool_free(p);
	cachify_free(c);
}
END_TEST

START_TEST(test_pool_rejects_a_foreign_value)
{
	cachify *c = mk(BK_MEMORY, NULL);
	cachify_pool *p = pool_of(c, 2, "w");
	cachify_slot *s;

	ck_assert_int_eq(cachify_client_set(cachify_get_client(c), "PYC-w-pool", 10, "junk", 4, 0,
					    false),
			 1);
	ck_assert_int_eq(cachify_pool_size(p), CACHIFY_EPROTO);
	ck_assert_int_eq(cachify_pool_acquire(p, &s), CACHIFY_EPROTO);
	ck_assert_int_eq(raw_get(c, "PYC-w-pool-meta", NULL, NULL), 0); /* meta-lock given back */
	cachify_pool_free(p);
	cachify_free(c);
}
END_TEST

/* ---- threads ----------------------------------------------------------------- */

struct overlap {
	cachify *c;
	cachify_pool *p;
	int inside, max_inside, runs, errors, skipped; /* atomics */
};

static int critical_cb(void *arg)
{
	struct overlap *o = arg;
	int now = __atomic_add_fetch(&o->inside, 1, __ATOMIC_SEQ_CST);
	int max = __atomic_load_n(&o->max_inside, __ATOMIC_SEQ_CST);

	while (now > max &&
	       !__atomic_compare_exchange_n(&o->max_inside, &max, now, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST))
		;
	sched_yield();
	__atomic_fetch_add(&o->runs, 1, __ATOMIC_SEQ_CST);
	__atomic_sub_fetch(&o->inside, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void *lock_run_thread(void *arg)
{
	struct overlap *o = arg;
	struct cachify_lock_options lo;

	cachify_lock_options_init(&lo);
	lo.nowait = false;
	for (int i = 0; i < RUNS_EACH; i++) {
		if (cachify_lock_run(o->c, &lo, critical_cb, o, NULL, "shared") != 0)
			__atomic_fetch_add(&o->errors, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

START_TEST(test_threads_share_an_instance_without_overlap) /* loop */
{
	struct cachify_options opts;
	struct overlap o = { 0 };
	pthread_t th[N_THREADS];

	cachify_options_init(&opts);
	opts.lock_poll_interval = 0.0005;
	o.c = mk(_i, &opts);
	for (int i = 0; i < N_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, lock_run_thread, &o), 0);
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(o.errors, 0);
	ck_assert_int_eq(o.max_inside, 1);
	ck_assert_int_eq(o.runs, N_THREADS * RUNS_EACH);
	ck_assert_int_eq(cachify_is_locked(o.c, "shared"), 0);
	cachify_free(o.c);
}
END_TEST

static void *pooled_thread(void *arg)
{
	struct overlap *o = arg;

	for (int i = 0; i < RUNS_EACH / 4; i++) {
		bool ran = false;

		if (cachify_pooled(o->p, critical_cb, o, NULL, &ran) != 0)
			__atomic_fetch_add(&o->errors, 1, __ATOMIC_SEQ_CST);
		else if (!ran)
			__atomic_fetch_add(&o->skipped, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

START_TEST(test_threads_pooled_never_exceed_max_size) /* loop */
{
	struct overlap o = { 0 };
	pthread_t th[N_THREADS];

	o.c = mk(_i, NULL);
	o.p = pool_of(o.c, 3, "shared");
	for (int i = 0; i < N_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, pooled_thread, &o), 0);
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(o.errors, 0);
	ck_assert_int_le(o.max_inside, 3);
	ck_assert_int_ge(o.max_inside, 1);
	ck_assert_int_eq(o.runs + o.skipped, N_THREADS * (RUNS_EACH / 4));
	ck_assert_int_eq(cachify_pool_size(o.p), 0);
	cachify_pool_free(o.p);
	cachify_free(o.c);
}
END_TEST

/* ---- clients ------------------------------------------------------------------ */

/* What each API call costs over get/set/delete (the generic path). */
START_TEST(test_round_trips_over_a_custom_client)
{
	struct comp cp = { .val = "v", .len = 1 };
	cachify *c = mk(BK_CUSTOM, NULL);
	struct tb *t = tb_cur();
	cachify_pool *p = pool_of(c, 2, "w");
	cachify_lock *l;
	cachify_slot *s;
	int calls = 0;

	tb_reset_counts(t);
	expect_cached(c, NULL, &cp, "v", 1, "k"); /* miss */
	tb_expect_counts(t, 3, 2, 1);		   /* GET, fill SET NX, GET, SET, fill GET+DEL */
	tb_reset_counts(t);
	expect_cached(c, NULL, &cp, "v", 1, "k"); /* hit */
	tb_expect_counts(t, 1, 0, 0);
	tb_reset_counts(t);
	ck_assert_int_eq(cachify_lock_acquire(c, NULL, &l, "k"), 0);
	tb_expect_counts(t, 1, 2, 0); /* SET NX, fence GET + SET */
	tb_reset_counts(t);
	ck_assert_int_eq(cachify_lock_release(l), 0);
	tb_expect_counts(t, 1, 0, 1); /* GET == token, DEL */
	tb_reset_counts(t);
	ck_assert_int_eq(cachify_lock_run(c, NULL, ret_cb, &calls, NULL, "k"), 0);
	tb_expect_counts(t, 1, 1, 1);
	tb_reset_counts(t);
	ck_assert_int_eq(cachify_once(c, NULL, ret_cb, &calls, NULL, NULL, "k"), 0);
	tb_expect_counts(t, 1, 1, 1);
	tb_reset_counts(t);
	ck_assert_int_eq(cachify_is_locked(c, "k"), 0);
	tb_expect_counts(t, 1, 0, 0);
	tb_reset_counts(t);
	ck_assert_int_eq(cachify_pool_acquire(p, &s), 0);
	tb_expect_counts(t, 2, 2, 1); /* meta SET NX, GET list, SET list, meta GET+DEL */
	tb_reset_counts(t);
	ck_assert_int_eq(cachify_pool_size(p), 1);
	tb_expect_counts(t, 1, 0, 0);
	tb_reset_counts(t);
	ck_assert_int_eq(cachify_slot_release(s), 0);
	tb_expect_counts(t, 2, 1, 2); /* meta SET NX, GET list, DEL (empty), meta GET+DEL */
	cachify_pool_free(p);
	cachify_free(c);
}
END_TEST

START_TEST(test_custom_client_contract)
{
	static const struct cachify_client_ops no_get = { .set = tb_set, .del = tb_del };
	struct cachify_options o;
	cachify_client *cl;
	struct tb *t = tb_new();
	cachify *c;
	cachify_reply *r = (cachify_reply *)&o;
	char *v;
	size_t len;
	const char *argv[] = { "PING" };
	size_t argl[] = { 4 };

	ck_assert_ptr_null(cachify_client_custom(&no_get, t));
	ck_assert_ptr_null(cachify_client_custom(NULL, t));
	cl = cachify_client_custom(&tb_ops, t);
	ck_assert_ptr_nonnull(cl);
	ck_assert_str_eq(cl->ops->name, "custom");
	ck_assert_ptr_null(cl->ops->lock_acquire); /* the generic path */

	/* Values come back NUL-terminated though the backend's are not. */
	ck_assert_int_eq(cachify_client_set(cl, "a\0b", 3, "xyz", 3, 0, false), 1);
	ck_assert_int_eq(cachify_client_set(cl, "a\0b", 3, "new", 3, 0, true), 0);
	ck_assert_int_eq(cachify_client_get(cl, "a\0b", 3, &v, &len), 1);
	ck_assert_str_eq(v, "xyz");
	free(v);
	ck_assert_int_eq(cachify_client_get(cl, "a", 1, &v, &len), 0);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(cachify_client_set(cl, "a", 1, "x", 1, -1, false), CACHIFY_EINVAL);
	/* A user's code outside the library's range becomes EIO, with a message. */
	t->get_code = -1000;
	ck_assert_int_eq(cachify_client_get(cl, "a", 1, &v, &len), CACHIFY_EIO);
	ck_assert_ptr_nonnull(strstr(cachify_last_error(), "custom client get"));
	t->set_code = CACHIFY_EIO;
	ck_assert_int_eq(cachify_client_set(cl, "a", 1, "x", 1, 0, false), CACHIFY_EIO);
	t->set_code = 7; /* any truthy "set" */
	ck_assert_int_eq(cachify_client_set(cl, "a", 1, "x", 1, 0, true), 1);
	ck_assert_int_eq(cachify_client_call(cl, 1, argv, argl, &r), CACHIFY_EINVAL);
	ck_assert_ptr_null(r);

	/* The instance holds its own reference; destroy runs once, at the end. */
	cachify_options_init(&o);
	o.sync_client = cl;
	o.is_global = false;
	ck_assert_int_eq(cachify_init(&o, &c), 0);
	cachify_client_free(cl);
	ck_assert_int_eq(t->destroyed, 0);
	ck_assert_ptr_eq(cachify_get_client(c), cl);
	cachify_free(c);
	ck_assert_int_eq(t->destroyed, 1);
}
END_TEST

/* A backend failure reaches the caller as the backend's code. */
START_TEST(test_backend_errors_propagate)
{
	struct comp cp = { .val = "v", .len = 1 };
	cachify *c = mk(BK_CUSTOM, NULL);
	struct tb *t = tb_cur();
	cachify_lock *l;
	char *v = NULL;
	size_t len;

	t->get_code = CACHIFY_EIO;
	ck_assert_int_eq(cachify_cached(c, NULL, compute_cb, &cp, NULL, &v, &len, "k"),
			 CACHIFY_EIO);
	ck_assert_ptr_null(v);
	t->set_code = CACHIFY_EIO;
	ck_assert_int_eq(cachify_lock_acquire(c, NULL, &l, "k"), CACHIFY_EIO);
	t->get_code = CACHIFY_EIO;
	ck_assert_int_eq(cachify_is_locked(c, "k"), CACHIFY_EIO);
	ck_assert_int_eq(cp.calls, 0);
	cachify_free(c);
}
END_TEST

START_TEST(test_memory_client_basics)
{
	cachify_client *cl = cachify_client_memory();
	const char *names[] = { "k\0x", "absent", "e" };
	const size_t lens[] = { 3, 6, 1 };
	cachify_reply *r;
	const char *argv[] = { "PING" };
	size_t argl[] = { 4 };
	char *v;
	size_t len;

	ck_assert_str_eq(cl->ops->name, "memory");
	ck_assert_int_eq(cachify_client_set(cl, "k\0x", 3, "v\0w", 3, 0, false), 1);
	ck_assert_int_eq(cachify_client_set(cl, "k\0y", 3, "other", 5, 0, false), 1);
	ck_assert_int_eq(cachify_client_get(cl, "k\0x", 3, &v, &len), 1);
	ck_assert_uint_eq(len, 3);
	ck_assert(memcmp(v, "v\0w", 4) == 0);
	free(v);
	ck_assert_int_eq(cachify_client_set(cl, "k\0x", 3, "new", 3, 0, true), 0);
	ck_assert_int_eq(cachify_client_set(cl, "e", 1, "", 0, 0, true), 1);
	ck_assert_int_eq(cachify_client_get(cl, "e", 1, &v, &len), 1);
	ck_assert_uint_eq(len, 0);
	free(v);
	ck_assert_int_eq(cachify_client_del(cl, 3, names, lens), 2);
	ck_assert_int_eq(cachify_client_get(cl, "k\0x", 3, &v, &len), 0);
	ck_assert_int_eq(cachify_client_get(cl, "k\0y", 3, &v, &len), 1);
	free(v);
	ck_assert_int_eq(cachify_client_call(cl, 1, argv, argl, &r), CACHIFY_EINVAL);
	ck_assert_ptr_nonnull(strstr(cachify_last_error(), "memory"));

	/* Expiry: 1 s, lazily on CLOCK_MONOTONIC; a plain SET clears it. */
	ck_assert_int_eq(cachify_client_set(cl, "t", 1, "1", 1, 1, false), 1);
	ck_assert_int_eq(cachify_client_set(cl, "keep", 4, "1", 1, 1, false), 1);
	ck_assert_int_eq(cachify_client_set(cl, "keep", 4, "2", 1, 0, false), 1);
	ck_assert_int_eq(cachify_client_set(cl, "t", 1, "x", 1, 1, true), 0);
	h_sleep_ms(1050);
	ck_assert_int_eq(cachify_client_get(cl, "t", 1, &v, &len), 0);
	ck_assert_int_eq(cachify_client_set(cl, "t", 1, "x", 1, 1, true), 1);
	ck_assert_int_eq(cachify_client_get(cl, "keep", 4, &v, &len), 1);
	free(v);
	cachify_client_free(cl);
}
END_TEST

/* Handles hold their own client reference: they outlive the instance. */
START_TEST(test_handles_outlive_their_instance) /* loop */
{
	cachify *c = mk(_i, NULL);
	cachify_pool *p = pool_of(c, 1, "w");
	cachify_lock *l;
	cachify_slot *s;

	ck_assert_int_eq(cachify_lock_acquire(c, NULL, &l, "k"), 0);
	ck_assert_int_eq(cachify_pool_acquire(p, &s), 0);
	cachify_free(c);
	ck_assert_str_eq(cachify_lock_key(l), "PYC-k-lock");
	ck_assert_int_eq(cachify_lock_renew(l, 10), 0);
	ck_assert_int_eq(cachify_lock_release(l), 0);
	ck_assert_int_eq(cachify_pool_size(p), 1);
	ck_assert_int_eq(cachify_slot_release(s), 0);
	cachify_pool_free(p);
}
END_TEST

/* ---- the examples ----------------------------------------------------------- */

static const char *const examples[] = {
	"example1_global",
	"example2_instance",
	"example3_multi",
	"example4_custom_client",
	"example5_async",
};

START_TEST(test_example_runs_and_exits_0) /* loop over examples */
{
	const char *build = getenv("CACHIFY_BUILD");
	char path[H_PATH_MAX], out[H_PATH_MAX];
	const char *argv[2];
	int status;

	ck_assert_msg(build != NULL, "CACHIFY_BUILD is not set (run through make check)");
	snprintf(path, sizeof path, "%s/examples/%s", build, examples[_i]);
	snprintf(out, sizeof out, "%s/examples/%s.out", build, examples[_i]);
	ck_assert_msg(access(path, X_OK) == 0, "%s is not built", path);
	argv[0] = path;
	argv[1] = NULL;
	status = h_exec(argv, NULL, out, out, 20000 * h_slow());
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		char *log = h_slurp(out, NULL);

		ck_abort_msg("%s: status %d, output:\n%s", examples[_i], status,
			     log ? log : "(none)");
	}
	unlink(out);
}
END_TEST

Suite *client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("api");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_options_have_the_reference_defaults);
	tcase_add_test(tc, test_global_calls_without_init_are_enotinit);
	tcase_add_test(tc, test_init_null_options_makes_a_global_memory_instance);
	tcase_add_test(tc, test_init_rejects_bad_options);
	tcase_add_test(tc, test_init_default_means_the_reference_default);
	tcase_add_test(tc, test_init_global_replaces_and_frees_the_previous);
	tcase_add_test(tc, test_global_replaced_while_in_use);
	tcase_add_loop_test(tc, test_global_and_instance_do_not_collide, 0, BK_N);
	tcase_add_loop_test(tc, test_prefixes_on_one_client_do_not_collide, 0, BK_N);
	tcase_add_loop_test(tc, test_keys_are_prefix_key_suffix, 0, BK_N);
	tcase_add_test(tc, test_cached_ttl_tristate);
	tcase_add_test(tc, test_lock_exp_tristate);
	tcase_add_test(tc, test_pool_slot_exp_tristate);
	tcase_add_loop_test(tc, test_cached_miss_then_hit, 0, BK_N);
	tcase_add_loop_test(tc, test_cached_empty_value_is_a_hit, 0, BK_N);
	tcase_add_loop_test(tc, test_cached_codec, 0, BK_N);
	tcase_add_loop_test(tc, test_cached_reset_forgets_the_value, 0, BK_N);
	tcase_add_loop_test(tc, test_cached_compute_failure_caches_nothing, 0, BK_N);
	tcase_add_test(tc, test_cached_ttl_expires);
	tcase_add_loop_test(tc, test_cached_stampede_computes_once, 0, BK_N);
	tcase_add_loop_test(tc, test_lock_nowait_when_held_is_elocked, 0, BK_N);
	tcase_add_loop_test(tc, test_lock_wait_times_out, 0, BK_N);
	tcase_add_loop_test(tc, test_lock_wait_is_granted_on_release, 0, BK_N);
	tcase_add_loop_test(tc, test_lock_release_by_old_owner_keeps_new_holder, 0, BK_N);
	tcase_add_test(tc, test_lock_renew_extends);
	tcase_add_loop_test(tc, test_lock_fences_increase, 0, BK_N);
	tcase_add_loop_test(tc, test_lock_force_release, 0, BK_N);
	tcase_add_loop_test(tc, test_lock_run, 0, BK_N);
	tcase_add_loop_test(tc, test_once_raise_or_return_on_locked, 0, BK_N);
	tcase_add_loop_test(tc, test_once_fn_failure_is_not_locked, 0, BK_N);
	tcase_add_loop_test(tc, test_pool_max_size_and_full, 0, BK_N);
	tcase_add_loop_test(tc, test_pool_acquire_wait_polls_until_a_slot_frees_or_times_out, 0,
			    BK_N);
	tcase_add_loop_test(tc, test_pooled_full_precedence, 0, BK_N);
	tcase_add_loop_test(tc, test_pool_slots_expire, 0, BK_N);
	tcase_add_test(tc, test_pool_rejects_a_foreign_value);
	tcase_add_loop_test(tc, test_threads_share_an_instance_without_overlap, 0, BK_N);
	tcase_add_loop_test(tc, test_threads_pooled_never_exceed_max_size, 0, BK_N);
	tcase_add_test(tc, test_round_trips_over_a_custom_client);
	tcase_add_test(tc, test_custom_client_contract);
	tcase_add_test(tc, test_backend_errors_propagate);
	tcase_add_test(tc, test_memory_client_basics);
	tcase_add_loop_test(tc, test_handles_outlive_their_instance, 0, BK_N);
	tcase_add_loop_test(tc, test_example_runs_and_exits_0, 0,
			    (int)(sizeof examples / sizeof examples[0]));
	suite_add_tcase(s, tc);
	return s;
}
