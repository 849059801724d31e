/* check_client_everyday.c - libcachify's everyday additions against a real
 * cachifyd, both faces: connection names (LOCK.INFO's holder name, CLIENT
 * LIST), lock auto-renew and loss (the daemon killed under a held lock),
 * shared locks (LOCK.ACQUIRE ... SHARED; skipped, saying so, on a daemon
 * that predates them), pooled with a wait, once's is_locked/release, and
 * the cross-process examples (example6..9) run against a forked daemon.
 * The memory-client side of the same API is check_client_rw.c's.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "cachify.h"
#include "check_suites.h"
#include "harness.h"

#define SLOW(ms)   ((ms) * h_slow())
#define SETTLE_MS  5000 /* bound on the daemon or a thread reaching a state (times h_slow()) */
#define POLL_MS	   2
#define EXP_S	   2	/* s: the TTL auto-renew must outlive (slack on a loaded machine) */
#define OUTLIVE_MS 4500 /* ms held with auto-renew: more than two TTLs */
#define EXAMPLE_MS 30000 /* one example's run, at most (times h_slow()) */

#define expect_rc(got, want)                                                                   \
	do {                                                                                   \
		int got_ = (got);                                                              \
		ck_assert_msg(got_ == (want), "%s: got %d (%s), want %d; last error: %s", #got, \
			      got_, cachify_strerror(got_), (want), cachify_last_error());     \
	} while (0)

struct fx {
	struct h_daemon *d;
	cachify_client *cl;
	cachify *c;
	struct h_client *raw;
	struct event_base *base;
	cachify_async_client *ac;
	cachify *a; /* an instance whose async face is ac */
};

static void fx_start(struct fx *f, const char *name)
{
	struct cachify_daemon_options o;
	struct cachify_options io;

	memset(f, 0, sizeof *f);
	f->d = h_daemon_start("--loglevel", "warning", NULL);
	cachify_daemon_options_init(&o);
	o.name = name;
	ck_assert_ptr_nonnull(f->cl = cachify_client_daemon(f->d->sock, &o));
	ck_assert_ptr_nonnull(f->base = event_base_new());
	ck_assert_ptr_nonnull(f->ac = cachify_async_client_daemon(f->base, f->d->sock, &o));
	cachify_options_init(&io);
	io.sync_client = f->cl;
	io.is_global = false;
	expect_rc(cachify_init(&io, &f->c), 0);
	io.async_client = f->ac;
	expect_rc(cachify_init(&io, &f->a), 0);
	f->raw = h_connect(f->d);
}

static void fx_end(struct fx *f)
{
	event_base_dispatch(f->base); /* background releases finish */
	cachify_free(f->a);
	cachify_free(f->c);
	cachify_async_client_free(f->ac);
	cachify_client_free(f->cl);
	event_base_free(f->base);
	h_close(f->raw);
	h_daemon_finish(f->d);
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

/* LOCK.INFO key's field as a string (new), or NULL when the key is free. */
static char *lock_info(struct h_client *raw, const char *key, const char *field)
{
	struct resp_reply *r = h_call(raw, "LOCK.INFO", key);
	char *v = NULL;

	if (r->type == RESP_ARRAY) {
		for (size_t i = 0; i + 1 < r->elements; i += 2) {
			const struct resp_reply *val = r->element[i + 1];

			if (strcmp(r->element[i]->str, field) != 0)
				continue;
			if (val->type == RESP_INTEGER) {
				v = malloc(24);
				snprintf(v, 24, "%lld", val->integer);
			} else {
				v = strdup(val->str ? val->str : "");
			}
		}
	}
	resp_reply_free(r);
	return v;
}

static void expect_info(struct h_client *raw, const char *key, const char *field, const char *want)
{
	char *v = lock_info(raw, key, field);

	ck_assert_msg(v && strcmp(v, want) == 0, "LOCK.INFO %s %s: %s, want %s", key, field,
		      v ? v : "(free)", want);
	free(v);
}

/* ---- async helpers ----------------------------------------------------------- */

struct arec {
	int calls, rc;
	long n;
	cachify_async_lock *lock;
};

static void arec_cb(void *arg, struct cachify_async_result *res)
{
	struct arec *r = arg;

	r->calls++;
	r->rc = res->rc;
	r->n = res->n;
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

/* ---- names ------------------------------------------------------------------- */

START_TEST(test_daemon_connections_carry_the_client_name)
{
	struct fx f;
	struct cachify_lock_options o = lopts(false, true, 0, 30);
	struct arec r = { 0 };
	cachify_lock *l;
	struct resp_reply *list;

	fx_start(&f, "deploy job\n#7\xc3\xa9");
	expect_rc(cachify_lock_acquire(f.c, &o, &l, "sync"), 0);
	expect_info(f.raw, "PYC-sync-lock", "name", "deploy_job_#7__");
	expect_rc(cachify_async_lock_acquire(f.a, &o, arec_cb, &r, NULL, "async"), 0);
	run_until(f.base, r.calls == 1);
	expect_rc(r.rc, 0);
	expect_info(f.raw, "PYC-async-lock", "name", "deploy_job_#7__");
	list = h_call(f.raw, "CLIENT", "LIST");
	ck_assert_int_eq(list->type, RESP_BULK);
	ck_assert_msg(strstr(list->str, " name=deploy_job_#7__ ") != NULL, "%s", list->str);
	resp_reply_free(list);
	expect_rc(cachify_lock_release(l), 0);
	cachify_async_lock_release(r.lock, NULL, NULL, NULL);
	run_for(f.base, 10);
	fx_end(&f);
}
END_TEST

START_TEST(test_daemon_name_defaults_to_the_program_and_empty_is_none)
{
	struct fx f;
	struct cachify_lock_options o = lopts(false, true, 0, 30);
	cachify_client *anon;
	cachify_lock *l;
	struct cachify_daemon_options d;
	struct cachify_options io;
	cachify *c = NULL;
	char want[CACHIFY_NAME_MAX + 1];

	cachify_daemon_options_init(&d);
	ck_assert_ptr_null(d.name);
	fx_start(&f, NULL);
	snprintf(want, sizeof want, "%s", program_invocation_short_name);
	expect_rc(cachify_lock_acquire(f.c, &o, &l, "mine"), 0);
	expect_info(f.raw, "PYC-mine-lock", "name", want);
	expect_rc(cachify_lock_release(l), 0);

	d.name = "";
	ck_assert_ptr_nonnull(anon = cachify_client_daemon(f.d->sock, &d));
	cachify_options_init(&io);
	io.sync_client = anon;
	io.is_global = false;
	expect_rc(cachify_init(&io, &c), 0);
	expect_rc(cachify_lock_acquire(c, &o, &l, "anon"), 0);
	expect_info(f.raw, "PYC-anon-lock", "name", "");
	expect_rc(cachify_lock_release(l), 0);
	cachify_free(c);
	cachify_client_free(anon);
	fx_end(&f);
}
END_TEST

/* ---- auto-renew ------------------------------------------------------------------ */

struct lost {
	atomic_int calls;
};

static void lost_cb(void *arg, const char *key)
{
	atomic_fetch_add(&((struct lost *)arg)->calls, 1);
}

START_TEST(test_daemon_auto_renew_keeps_the_lock_with_one_holder)
{
	struct fx f;
	struct cachify_lock_options o = lopts(false, true, 0, EXP_S);
	struct arec r = { 0 };
	cachify_lock *l;
	char *tok, *fence;

	fx_start(&f, "renewer");
	o.auto_renew = true;
	expect_rc(cachify_lock_acquire(f.c, &o, &l, "job"), 0);
	expect_rc(cachify_async_lock_acquire(f.a, &o, arec_cb, &r, NULL, "ajob"), 0);
	run_until(f.base, r.calls == 1);
	expect_rc(r.rc, 0);
	tok = lock_info(f.raw, "PYC-job-lock", "token");
	fence = lock_info(f.raw, "PYC-job-lock", "fence");
	run_for(f.base, OUTLIVE_MS); /* the blocking one renews from its thread meanwhile */
	expect_info(f.raw, "PYC-job-lock", "token", tok);
	expect_info(f.raw, "PYC-job-lock", "fence", fence);
	h_call_int(f.raw, 1, "EXISTS", "PYC-ajob-lock");
	ck_assert_int_gt(h_call_ll(f.raw, "PTTL", "PYC-job-lock"), 0);
	ck_assert_int_le(h_call_ll(f.raw, "PTTL", "PYC-job-lock"), EXP_S * 1000);
	ck_assert(!cachify_lock_lost(l));
	ck_assert(!cachify_async_lock_lost(r.lock));
	expect_rc(cachify_lock_release(l), 0);
	cachify_async_lock_release(r.lock, NULL, NULL, NULL);
	run_until(f.base, h_call_ll(f.raw, "EXISTS", "PYC-ajob-lock") == 0);
	h_call_int(f.raw, 0, "EXISTS", "PYC-job-lock");
	free(tok);
	free(fence);
	fx_end(&f);
}
END_TEST

START_TEST(test_daemon_auto_renew_reports_the_loss_when_the_daemon_dies)
{
	struct fx f;
	struct cachify_lock_options o = lopts(false, true, 0, EXP_S);
	struct lost sl = { 0 }, al = { 0 };
	struct arec r = { 0 };
	cachify_lock *l;
	int64_t deadline;

	fx_start(&f, "victim");
	o.auto_renew = true;
	o.on_lost = lost_cb;
	o.on_lost_arg = &sl;
	expect_rc(cachify_lock_acquire(f.c, &o, &l, "job"), 0);
	o.on_lost_arg = &al;
	expect_rc(cachify_async_lock_acquire(f.a, &o, arec_cb, &r, NULL, "ajob"), 0);
	run_until(f.base, r.calls == 1);
	expect_rc(r.rc, 0);
	h_daemon_kill(f.d, SIGKILL);
	ck_assert_int_ge(h_daemon_wait_exit(f.d, SLOW(SETTLE_MS)), 0);
	run_until(f.base, atomic_load(&al.calls) == 1);
	deadline = h_now_ms() + SLOW(SETTLE_MS);
	while (atomic_load(&sl.calls) == 0 && h_now_ms() < deadline)
		h_sleep_ms(POLL_MS);
	ck_assert_int_eq(atomic_load(&sl.calls), 1);
	ck_assert(cachify_lock_lost(l));
	ck_assert(cachify_async_lock_lost(r.lock));
	expect_rc(cachify_lock_release(l), CACHIFY_ELOST);
	cachify_async_lock_release(r.lock, NULL, NULL, NULL);
	run_for(f.base, 10);
	cachify_free(f.a);
	cachify_free(f.c);
	cachify_async_client_free(f.ac);
	cachify_client_free(f.cl);
	event_base_free(f.base);
	h_close(f.raw);
	h_daemon_free(f.d);
}
END_TEST

/* ---- shared locks ----------------------------------------------------------------- */

/* Whether the daemon knows SHARED; says why it skips when not. */
static bool shared_supported(struct fx *f, const char *test)
{
	struct cachify_lock_options r = lopts(true, true, 0, 30);
	cachify_lock *l = NULL;
	int rc = cachify_lock_acquire(f->c, &r, &l, "probe");

	if (rc == CACHIFY_ENOTSUP) {
		fprintf(stderr, "SKIP %s: this cachifyd has no LOCK.ACQUIRE ... SHARED (%s)\n", test,
			cachify_last_error());
		return false;
	}
	expect_rc(rc, 0);
	expect_rc(cachify_lock_release(l), 0);
	return true;
}

struct sw {
	cachify *c;
	bool shared;
	int rc;
	atomic_int *seq;
	int order;
	atomic_bool done;
	pthread_t t;
};

static void *sw_main(void *arg)
{
	struct sw *w = arg;
	struct cachify_lock_options o = lopts(w->shared, false, SLOW(SETTLE_MS) / 1000.0, 30);
	cachify_lock *l;

	if ((w->rc = cachify_lock_acquire(w->c, &o, &l, "rw")) == 0) {
		w->order = atomic_fetch_add(w->seq, 1);
		cachify_lock_release(l);
	}
	atomic_store(&w->done, true);
	return NULL;
}

static void wait_waiters(struct h_client *raw, const char *key, const char *want)
{
	int64_t deadline = h_now_ms() + SLOW(SETTLE_MS);
	char *v;

	while (!((v = lock_info(raw, key, "waiters")) && strcmp(v, want) == 0)) {
		free(v);
		ck_assert_msg(h_now_ms() < deadline, "%s: never %s waiters", key, want);
		h_sleep_ms(POLL_MS);
	}
	free(v);
}

START_TEST(test_daemon_shared_readers_share_and_a_writer_is_not_starved)
{
	struct fx f;
	struct cachify_lock_options r = lopts(true, true, 0, 30), w = lopts(false, true, 0, 30);
	struct sw wr = { 0 }, late = { 0 };
	atomic_int seq = 0;
	cachify_lock *r1, *r2, *x;

	fx_start(&f, "readers");
	if (!shared_supported(&f, "test_daemon_shared_readers_share_and_a_writer_is_not_starved")) {
		fx_end(&f);
		return;
	}
	expect_rc(cachify_lock_acquire(f.c, &r, &r1, "rw"), 0);
	expect_rc(cachify_lock_acquire(f.c, &r, &r2, "rw"), 0);
	ck_assert_uint_gt(cachify_lock_fence(r2), cachify_lock_fence(r1));
	expect_info(f.raw, "PYC-rw-lock", "mode", "shared");
	expect_info(f.raw, "PYC-rw-lock", "readers", "2");
	expect_rc(cachify_lock_acquire(f.c, &w, &x, "rw"), CACHIFY_ELOCKED);
	/* A writer queues; a reader after it queues too. */
	wr = (struct sw){ .c = f.c, .shared = false, .seq = &seq };
	ck_assert_int_eq(pthread_create(&wr.t, NULL, sw_main, &wr), 0);
	wait_waiters(f.raw, "PYC-rw-lock", "1");
	expect_rc(cachify_lock_acquire(f.c, &r, &x, "rw"), CACHIFY_ELOCKED);
	late = (struct sw){ .c = f.c, .shared = true, .seq = &seq };
	ck_assert_int_eq(pthread_create(&late.t, NULL, sw_main, &late), 0);
	wait_waiters(f.raw, "PYC-rw-lock", "2");
	expect_rc(cachify_lock_release(r1), 0);
	expect_rc(cachify_lock_release(r2), 0);
	pthread_join(wr.t, NULL);
	pthread_join(late.t, NULL);
	expect_rc(wr.rc, 0);
	expect_rc(late.rc, 0);
	ck_assert_int_eq(wr.order, 0);
	ck_assert_int_eq(late.order, 1);
	fx_end(&f);
}
END_TEST

START_TEST(test_daemon_async_shared_lock)
{
	struct fx f;
	struct cachify_lock_options r = lopts(true, true, 0, 30);
	struct arec a = { 0 }, b = { 0 };

	fx_start(&f, "areaders");
	if (!shared_supported(&f, "test_daemon_async_shared_lock")) {
		fx_end(&f);
		return;
	}
	expect_rc(cachify_async_lock_acquire(f.a, &r, arec_cb, &a, NULL, "rw"), 0);
	expect_rc(cachify_async_lock_acquire(f.a, &r, arec_cb, &b, NULL, "rw"), 0);
	run_until(f.base, a.calls == 1 && b.calls == 1);
	expect_rc(a.rc, 0);
	expect_rc(b.rc, 0);
	expect_info(f.raw, "PYC-rw-lock", "readers", "2");
	cachify_async_lock_release(a.lock, NULL, NULL, NULL);
	cachify_async_lock_release(b.lock, NULL, NULL, NULL);
	run_until(f.base, h_call_ll(f.raw, "EXISTS", "PYC-rw-lock") == 0);
	fx_end(&f);
}
END_TEST

/* ---- pooled with a wait, once is_locked / release ------------------------------------ */

static int one_fn(void *arg)
{
	return 1;
}

struct freer {
	cachify_slot *s;
	struct h_client *raw;
	pthread_t t;
};

static void *freer_main(void *arg)
{
	struct freer *f = arg;
	int64_t deadline = h_now_ms() + SLOW(SETTLE_MS);

	/* Once the pooled call waits server-side. */
	while (h_now_ms() < deadline) {
		struct resp_reply *r = h_call(f->raw, "POOL.INFO", "PYC-pw-pool");
		bool waiting = false;

		for (size_t i = 0; r->type == RESP_ARRAY && i + 1 < r->elements; i += 2)
			if (strcmp(r->element[i]->str, "waiters") == 0)
				waiting = r->element[i + 1]->integer > 0;
		resp_reply_free(r);
		if (waiting)
			break;
		h_sleep_ms(POLL_MS);
	}
	cachify_slot_release(f->s);
	return NULL;
}

START_TEST(test_daemon_pooled_waits_server_side)
{
	struct fx f;
	struct cachify_pool_options po;
	struct freer fr;
	cachify_pool *p;
	cachify_slot *s;
	int ret = 0;
	bool ran = true;

	fx_start(&f, "pools");
	cachify_pool_options_init(&po);
	po.max_size = 1;
	po.timeout = 0.2;
	po.raise_on_full = true;
	ck_assert_ptr_nonnull(p = cachify_pool_new(f.c, &po, "pw"));
	expect_rc(cachify_pool_acquire(p, &s), 0);
	expect_rc(cachify_pooled(p, one_fn, NULL, &ret, &ran), CACHIFY_ETIMEOUT);
	ck_assert(!ran);
	cachify_pool_free(p);
	po.timeout = CACHIFY_WAIT_FOREVER;
	ck_assert_ptr_nonnull(p = cachify_pool_new(f.c, &po, "pw"));
	fr.s = s;
	fr.raw = h_connect(f.d);
	ck_assert_int_eq(pthread_create(&fr.t, NULL, freer_main, &fr), 0);
	expect_rc(cachify_pooled(p, one_fn, NULL, &ret, &ran), 0);
	pthread_join(fr.t, NULL);
	ck_assert(ran);
	ck_assert_int_eq(ret, 1);
	h_close(fr.raw);
	cachify_pool_free(p);
	fx_end(&f);
}
END_TEST

START_TEST(test_daemon_once_is_locked_and_release)
{
	struct fx f;
	struct arec a = { 0 }, b = { 0 };
	struct resp_reply *r;

	fx_start(&f, "oncer");
	expect_rc(cachify_once_is_locked(f.c, "nightly"), 0);
	/* Another process's run in progress (DETACHed, as a CLI's could be). */
	r = h_call(f.raw, "LOCK.ACQUIRE", "PYC-nightly-once", "DETACH");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	resp_reply_free(r);
	expect_rc(cachify_once_is_locked(f.c, "nightly"), 1);
	expect_rc(cachify_async_once_is_locked(f.a, arec_cb, &a, NULL, "nightly"), 0);
	run_until(f.base, a.calls == 1);
	ck_assert_int_eq(a.n, 1);
	expect_rc(cachify_once_release(f.c, "nightly"), 0);
	h_call_int(f.raw, 0, "EXISTS", "PYC-nightly-once");
	r = h_call(f.raw, "LOCK.ACQUIRE", "PYC-nightly-once", "DETACH");
	resp_reply_free(r);
	expect_rc(cachify_async_once_release(f.a, arec_cb, &b, NULL, "nightly"), 0);
	run_until(f.base, b.calls == 1);
	expect_rc(b.rc, 0);
	h_call_int(f.raw, 0, "EXISTS", "PYC-nightly-once");
	fx_end(&f);
}
END_TEST

/* ---- the cross-process examples ---------------------------------------------------- */

static const char *const daemon_examples[] = {
	"example6_daemon_cached",
	"example7_daemon_lock",
	"example8_daemon_once",
	"example9_daemon_pool",
};

START_TEST(test_daemon_example_runs_across_processes) /* loop over daemon_examples */
{
	const char *build = getenv("CACHIFY_BUILD");
	struct h_daemon *d = h_daemon_start("--loglevel", "warning", NULL);
	char path[H_PATH_MAX], out[H_PATH_MAX + 8], url[H_SOCK_MAX + 8];
	struct h_client *raw;
	const char *argv[2];
	char *log;
	int status;

	ck_assert_msg(build != NULL, "CACHIFY_BUILD is not set (run through make check)");
	snprintf(path, sizeof path, "%s/examples/%s", build, daemon_examples[_i]);
	snprintf(out, sizeof out, "%s/out", d->dir);
	snprintf(url, sizeof url, "unix:%s", d->sock);
	ck_assert_msg(access(path, X_OK) == 0, "%s is not built", path);
	argv[0] = path;
	argv[1] = NULL;
	setenv("CACHIFY_URL", url, 1);
	status = h_exec(argv, NULL, out, out, SLOW(EXAMPLE_MS));
	unsetenv("CACHIFY_URL");
	log = h_slurp(out, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %d, output:\n%s",
		      daemon_examples[_i], status, log ? log : "(none)");
	ck_assert_msg(log && strstr(log, ": ok\n"), "%s said:\n%s", daemon_examples[_i], log);
	free(log);
	/* Every process worked on this daemon, and left nothing behind. */
	raw = h_connect(d);
	ck_assert_int_gt(h_info_ll(raw, "stats", "total_connections_received"), 4);
	h_call_int(raw, 0, "DBSIZE");
	h_close(raw);
	h_daemon_finish(d);
}
END_TEST

Suite *client_everyday_suite(void)
{
	Suite *s = suite_create("client_everyday");
	TCase *tc = tcase_create("cachifyd");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_daemon_connections_carry_the_client_name);
	tcase_add_test(tc, test_daemon_name_defaults_to_the_program_and_empty_is_none);
	tcase_add_test(tc, test_daemon_auto_renew_keeps_the_lock_with_one_holder);
	tcase_add_test(tc, test_daemon_auto_renew_reports_the_loss_when_the_daemon_dies);
	tcase_add_test(tc, test_daemon_shared_readers_share_and_a_writer_is_not_starved);
	tcase_add_test(tc, test_daemon_async_shared_lock);
	tcase_add_test(tc, test_daemon_pooled_waits_server_side);
	tcase_add_test(tc, test_daemon_once_is_locked_and_release);
	tcase_add_loop_test(tc, test_daemon_example_runs_across_processes, 0,
			    (int)(sizeof daemon_examples / sizeof daemon_examples[0]));
	suite_add_tcase(s, tc);
	return s;
}
