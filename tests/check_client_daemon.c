/* check_client_daemon.c - libcachify's cachifyd backend against the real
 * daemon: addresses, get/set/delete/call, every API call of cachify.h over
 * it, round trips per call (counted by the daemon), session-bound grants
 * (killed holders, restarts), timeouts, threads sharing one client, and a
 * Python (redis-py) process coordinating with C on the same once key.
 *
 * Every test forks its own cachifyd (tests/harness.h) and checks the
 * library's results against raw commands on a second connection.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cachify.h"
#include "check_suites.h"
#include "harness.h"

#define SLOW(ms)        ((ms)*h_slow()) /* a bound, scaled for sanitizer builds */
#define SETTLE_MS       5000            /* bound on the daemon reaching a state (times h_slow()) */
#define POLL_STEP_MS    2               /* ms between polls of the daemon's state */
#define FREE_LATE_MS    1000            /* bound on a killed holder's lock being free */
#define THREADS         8               /* threads sharing one client */
#define RUNS_PER_THREAD 200             /* lock_run calls per thread */
#define GETS_PER_THREAD 50              /* cached hits per thread while one thread waits */
#define PYTHON          "/usr/bin/python3" /* Debian's, which sees python3-redis */
#define PEER_TIMEOUT_MS 20000              /* one python run (times h_slow()) */
#define LONG_PATH       128                /* room for a socket path one byte too long */

/* ---- fixture ------------------------------------------------------------------ */

struct fx {
	struct h_daemon *d;
	cachify_client *cl;   /* the daemon client (one reference: ours) */
	cachify *c;           /* an instance over cl, not global */
	struct h_client *raw; /* for checking what the library did */
};

static struct h_daemon *start(void)
{
	return h_daemon_start("--loglevel", "warning", NULL);
}

static cachify_client *client_at(const char *address, const struct cachify_daemon_options *o)
{
	cachify_client *cl = cachify_client_daemon(address, o);

	ck_assert_msg(cl != NULL, "cachify_client_daemon(%s): %s", address, cachify_last_error());
	return cl;
}

static cachify *instance(cachify_client *cl)
{
	struct cachify_options o;
	cachify *c = NULL;
	int rc;

	cachify_options_init(&o);
	o.sync_client = cl;
	o.is_global = false;
	rc = cachify_init(&o, &c);
	ck_assert_msg(rc == 0 && c, "cachify_init: %d %s", rc, cachify_last_error());
	return c;
}

static void fx_start(struct fx *f, const struct cachify_daemon_options *o)
{
	f->d = start();
	f->cl = client_at(f->d->sock, o);
	f->c = instance(f->cl);
	f->raw = h_connect(f->d);
}

static void fx_end(struct fx *f)
{
	cachify_free(f->c);
	cachify_client_free(f->cl);
	h_close(f->raw);
	h_daemon_finish(f->d);
}

#define expect_rc(got, want)                                                                       \
	do {                                                                                       \
		int got_ = (got);                                                                  \
		ck_assert_msg(got_ == (want), "%s: got %d (%s), want %d; last error: %s", #got,    \
		              got_, cachify_strerror(got_), (want), cachify_last_error());         \
	} while (0)

/* The integer of a raw command (asserts the type). */
#define raw_ll(c, ...) h_call_ll(c, __VA_ARGS__)

/* The value of field in LOCK.INFO/POOL.INFO style pairs, or -2 if the key is
 * absent (nil). */
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

/* Waits until LOCK.INFO key reports want waiters. */
static void wait_waiters(struct h_client *raw, const char *key, long long want)
{
	int64_t deadline = h_now_ms() + SLOW(SETTLE_MS);
	long long got;

	while ((got = info_field(raw, "LOCK.INFO", key, "waiters")) != want) {
		ck_assert_msg(h_now_ms() < deadline, "%s: %lld waiters, want %lld", key, got, want);
		h_sleep_ms(POLL_STEP_MS);
	}
}

/* total_commands_processed from INFO stats. */
static long long commands_processed(struct h_client *raw)
{
	struct resp_reply *r = h_call(raw, "INFO", "stats");
	const char *p;
	long long v;

	ck_assert_int_eq(r->type, RESP_BULK);
	p = strstr(r->str, "total_commands_processed:");
	ck_assert_ptr_nonnull(p);
	v = atoll(p + strlen("total_commands_processed:"));
	resp_reply_free(r);
	return v;
}

/* A compute callback: counts its calls, returns a copy of value (or fails
 * with fail when non-zero). */
struct compute {
	int calls;
	const char *value;
	size_t len;
	int fail;
};

static int compute_cb(void *arg, char **value, size_t *len)
{
	struct compute *k = arg;

	k->calls++;
	if (k->fail)
		return k->fail;
	*value = malloc(k->len + 1);
	if (!*value)
		return 99;
	memcpy(*value, k->value, k->len);
	*len = k->len;
	return 0;
}

static int count_cb(void *arg)
{
	atomic_int *n = arg;

	return atomic_fetch_add(n, 1) + 1;
}

static int ret7_cb(void *arg)
{
	(void)arg;
	return 7;
}

/* ---- addresses and options -------------------------------------------------- */

START_TEST(test_daemon_options_init_has_the_documented_defaults)
{
	struct cachify_daemon_options o;

	memset(&o, 0xff, sizeof o);
	cachify_daemon_options_init(&o);
	ck_assert(o.connect_timeout == 5.0);
	ck_assert(o.io_timeout == 30.0);
	ck_assert_uint_eq(o.max_idle, 4);
	ck_assert_uint_eq(o.retries, 3);
	ck_assert_int_eq(o.db, 0);
}
END_TEST

START_TEST(test_daemon_address_forms_all_reach_the_socket)
{
	struct h_daemon *d = start();
	char addr[3][H_SOCK_MAX + 16];
	char *v;
	size_t len;

	snprintf(addr[0], sizeof addr[0], "%s", d->sock);
	snprintf(addr[1], sizeof addr[1], "unix:%s", d->sock);
	snprintf(addr[2], sizeof addr[2], "unix://%s", d->sock);
	for (int i = 0; i < 3; i++) {
		cachify_client *cl = client_at(addr[i], NULL);
		char key[8] = {'k', (char)('0' + i)};

		expect_rc(cachify_client_set(cl, key, 2, "v", 1, 0, false), 1);
		expect_rc(cachify_client_get(cl, key, 2, &v, &len), 1);
		ck_assert(len == 1 && v[0] == 'v');
		free(v);
		cachify_client_free(cl);
	}
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_daemon_address_db_parameter_selects_that_database)
{
	struct h_daemon *d = start();
	struct h_client *raw = h_connect(d);
	struct cachify_daemon_options o;
	char addr[H_SOCK_MAX + 32];
	cachify_client *cl;

	snprintf(addr, sizeof addr, "unix://%s?db=3", d->sock);
	cl = client_at(addr, NULL);
	expect_rc(cachify_client_set(cl, "k", 1, "in3", 3, 0, false), 1);
	cachify_client_free(cl);
	/* The options' db, and the address's beating it. */
	cachify_daemon_options_init(&o);
	o.db = 4;
	cl = client_at(d->sock, &o);
	expect_rc(cachify_client_set(cl, "k", 1, "in4", 3, 0, false), 1);
	cachify_client_free(cl);
	snprintf(addr, sizeof addr, "unix:%s?db=5", d->sock);
	cl = client_at(addr, &o);
	expect_rc(cachify_client_set(cl, "k", 1, "in5", 3, 0, false), 1);
	cachify_client_free(cl);

	h_call_nil(raw, "GET", "k");
	h_ok(raw, "SELECT", "3");
	h_call_bulk(raw, "in3", "GET", "k");
	h_ok(raw, "SELECT", "4");
	h_call_bulk(raw, "in4", "GET", "k");
	h_ok(raw, "SELECT", "5");
	h_call_bulk(raw, "in5", "GET", "k");
	h_close(raw);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_daemon_db_out_of_range_is_a_server_error_on_first_use)
{
	struct h_daemon *d = start();
	char addr[H_SOCK_MAX + 32];
	cachify_client *cl;
	char *v = NULL;
	size_t len;

	snprintf(addr, sizeof addr, "%s?db=16", d->sock);
	cl = client_at(addr, NULL); /* lazily: the daemon decides */
	expect_rc(cachify_client_get(cl, "k", 1, &v, &len), CACHIFY_ESERVER);
	ck_assert_msg(strstr(cachify_last_error(), "DB index is out of range") != NULL, "%s",
	              cachify_last_error());
	cachify_client_free(cl);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_daemon_bad_addresses_and_options_are_rejected)
{
	static const char *const bad[] = {
	    "",
	    "unix:",
	    "unix://",
	    "?db=1",
	    "unix:///tmp/s?db=",
	    "unix:///tmp/s?db=x",
	    "/tmp/s?db=-1",
	    "/tmp/s?db=01",
	    "/tmp/s?flavour=1",
	    "tcp://127.0.0.1:6379",
	    "redis://localhost/0",
	};
	struct cachify_daemon_options o;
	char path[LONG_PATH];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cachify_client *cl = cachify_client_daemon(bad[i], NULL);

		ck_assert_msg(cl == NULL, "address '%s' accepted", bad[i]);
		ck_assert_msg(strstr(cachify_last_error(), "address") != NULL, "'%s': %s", bad[i],
		              cachify_last_error());
	}
	/* sun_path holds 107 bytes and a NUL: 108 is one too many. */
	memset(path, 'a', 108);
	path[0] = '/';
	path[108] = '\0';
	ck_assert_ptr_null(cachify_client_daemon(path, NULL));
	ck_assert_msg(strstr(cachify_last_error(), "too long") != NULL, "%s", cachify_last_error());
	{
		char url[LONG_PATH + 8];

		snprintf(url, sizeof url, "unix://%s", path);
		ck_assert_ptr_null(cachify_client_daemon(url, NULL));
	}
	path[107] = '\0';
	{
		cachify_client *cl = cachify_client_daemon(path, NULL);
		char *v;
		size_t len;

		ck_assert_msg(cl != NULL, "107-byte path: %s", cachify_last_error());
		expect_rc(cachify_client_get(cl, "k", 1, &v, &len), CACHIFY_EIO);
		cachify_client_free(cl);
	}
	cachify_daemon_options_init(&o);
	o.io_timeout = -1;
	ck_assert_ptr_null(cachify_client_daemon("/tmp/s", &o));
	cachify_daemon_options_init(&o);
	o.connect_timeout = NAN;
	ck_assert_ptr_null(cachify_client_daemon("/tmp/s", &o));
	cachify_daemon_options_init(&o);
	o.db = -1;
	ck_assert_ptr_null(cachify_client_daemon("/tmp/s", &o));
}
END_TEST

START_TEST(test_daemon_null_address_uses_cachify_url_then_the_default_path)
{
	struct h_daemon *d = start();
	struct cachify_daemon_options o;
	char url[H_SOCK_MAX + 16];
	cachify_client *cl;
	char *v;
	size_t len;
	int rc;

	snprintf(url, sizeof url, "unix://%s?db=2", d->sock);
	setenv("CACHIFY_URL", url, 1);
	cl = client_at(NULL, NULL);
	expect_rc(cachify_client_set(cl, "k", 1, "v", 1, 0, false), 1);
	cachify_client_free(cl);
	{
		struct h_client *raw = h_connect(d);

		h_ok(raw, "SELECT", "2");
		h_call_bulk(raw, "v", "GET", "k");
		h_close(raw);
	}
	unsetenv("CACHIFY_URL");
	cachify_daemon_options_init(&o);
	o.retries = 0;
	cl = client_at(NULL, &o);
	rc = cachify_client_get(cl, "k", 1, &v, &len);
	if (access("/run/cachifyd/cachifyd.sock", F_OK) != 0) {
		expect_rc(rc, CACHIFY_EIO);
		ck_assert_msg(strstr(cachify_last_error(), "/run/cachifyd/cachifyd.sock") != NULL,
		              "%s", cachify_last_error());
	} else if (rc == 1) {
		free(v);
	}
	cachify_client_free(cl);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_daemon_not_running_is_eio_with_a_useful_message)
{
	struct h_daemon *d = h_daemon_new(); /* a directory, no daemon */
	cachify_client *cl = client_at(d->sock, NULL);
	cachify *c = instance(cl);
	struct compute k = {.value = "x", .len = 1};
	cachify_lock *l = NULL;
	char *v = NULL;
	size_t len;
	int fn_err = 0;
	int64_t t0 = h_now_ms();

	expect_rc(cachify_client_get(cl, "k", 1, &v, &len), CACHIFY_EIO);
	ck_assert_msg(strstr(cachify_last_error(), d->sock) != NULL &&
	                  strstr(cachify_last_error(), "connect") != NULL &&
	                  strstr(cachify_last_error(), "No such file") != NULL,
	              "%s", cachify_last_error());
	/* 3 retries with 10, 20, 40 ms pauses: quick, not a hang. */
	ck_assert_int_ge(h_now_ms() - t0, 60);
	ck_assert_int_lt(h_now_ms() - t0, SLOW(2000));
	expect_rc(cachify_cached(c, NULL, compute_cb, &k, &fn_err, &v, &len, "x"), CACHIFY_EIO);
	ck_assert_int_eq(k.calls, 0);
	expect_rc(cachify_lock_acquire(c, NULL, &l, "x"), CACHIFY_EIO);
	ck_assert_ptr_null(l);
	ck_assert_msg(strstr(cachify_last_error(), "is cachifyd running") != NULL, "%s",
	              cachify_last_error());
	cachify_free(c);
	cachify_client_free(cl);
	h_daemon_free(d);
}
END_TEST

/* A listening socket that never answers: accept() is never called. */
static int mute_listener(const char *path, int backlog)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(fd, backlog), 0);
	return fd;
}

START_TEST(test_daemon_silent_server_is_eio_after_the_io_timeout)
{
	struct h_daemon *d = h_daemon_new();
	struct cachify_daemon_options o;
	int lfd = mute_listener(d->sock, 16);
	cachify_client *cl;
	char *v;
	size_t len;
	int64_t t0;

	cachify_daemon_options_init(&o);
	o.io_timeout = 0.2;
	cl = client_at(d->sock, &o);
	t0 = h_now_ms();
	expect_rc(cachify_client_get(cl, "k", 1, &v, &len), CACHIFY_EIO);
	ck_assert_int_ge(h_now_ms() - t0, 195);
	ck_assert_int_lt(h_now_ms() - t0, SLOW(2000));
	ck_assert_msg(strstr(cachify_last_error(), "no reply") != NULL, "%s", cachify_last_error());
	cachify_client_free(cl);
	close(lfd);
	h_daemon_free(d);
}
END_TEST

START_TEST(test_daemon_full_backlog_is_eio_after_the_connect_timeout)
{
	struct h_daemon *d = h_daemon_new();
	struct cachify_daemon_options o;
	int lfd = mute_listener(d->sock, 0), first = h_connect_fd(d->sock);
	cachify_client *cl;
	char *v;
	size_t len;
	int64_t t0;

	/* Backlog 0 admits one pending connection: ours fills it. */
	ck_assert_int_ge(first, 0);
	cachify_daemon_options_init(&o);
	o.connect_timeout = 0.2;
	o.retries = 0;
	cl = client_at(d->sock, &o);
	t0 = h_now_ms();
	expect_rc(cachify_client_get(cl, "k", 1, &v, &len), CACHIFY_EIO);
	ck_assert_int_ge(h_now_ms() - t0, 195);
	ck_assert_int_lt(h_now_ms() - t0, SLOW(2000));
	ck_assert_msg(strstr(cachify_last_error(), "connect timed out") != NULL, "%s",
	              cachify_last_error());
	cachify_client_free(cl);
	close(first);
	close(lfd);
	h_daemon_free(d);
}
END_TEST

/* A server that reads one request on each connection and hangs up without
 * a reply: counts the connections it saw. */
struct dropper {
	int lfd;
	int conns;
	atomic_bool stop;
};

static void *dropper_main(void *arg)
{
	struct dropper *d = arg;
	char buf[256];

	while (!atomic_load(&d->stop)) {
		struct pollfd p = {.fd = d->lfd, .events = POLLIN};
		ssize_t n;
		int fd;

		if (poll(&p, 1, 20) <= 0)
			continue;
		if ((fd = accept(d->lfd, NULL, NULL)) < 0)
			continue;
		d->conns++;
		n = read(fd, buf, sizeof buf); /* the request arrived... */
		(void)n;
		close(fd); /* ...and no reply ever will */
	}
	return NULL;
}

START_TEST(test_daemon_acquire_is_never_resent_after_the_connection_drops)
{
	struct h_daemon *d = h_daemon_new();
	struct dropper dr = {.lfd = mute_listener(d->sock, 16)};
	struct cachify_daemon_options o;
	cachify_client *cl;
	cachify *c;
	cachify_lock *l = NULL;
	pthread_t t;

	/* Unnamed: the acquire is the first request on the connection (a
	 * failed CLIENT SETNAME would be retried, as nothing was asked yet). */
	cachify_daemon_options_init(&o);
	o.name = "";
	cl = client_at(d->sock, &o);
	c = instance(cl);
	ck_assert_int_eq(pthread_create(&t, NULL, dropper_main, &dr), 0);
	expect_rc(cachify_lock_acquire(c, NULL, &l, "once-only"), CACHIFY_EIO);
	ck_assert_ptr_null(l);
	ck_assert_msg(strstr(cachify_last_error(), "closed") != NULL, "%s", cachify_last_error());
	h_sleep_ms(100); /* a resend would show up as a second connection */
	atomic_store(&dr.stop, true);
	pthread_join(t, NULL);
	ck_assert_int_eq(dr.conns, 1);
	cachify_free(c);
	cachify_client_free(cl);
	close(dr.lfd);
	h_daemon_free(d);
}
END_TEST

/* connected_clients from INFO clients, less the asking connection. */
static long long library_connections(struct h_client *raw)
{
	struct resp_reply *r = h_call(raw, "INFO", "clients");
	const char *p = strstr(r->str, "connected_clients:");
	long long v;

	ck_assert_ptr_nonnull(p);
	v = atoll(p + strlen("connected_clients:")) - 1;
	resp_reply_free(r);
	return v;
}

/* The daemon notices closes asynchronously: wait for the count to settle. */
static void wait_connections(struct h_client *raw, long long want)
{
	int64_t deadline = h_now_ms() + SLOW(SETTLE_MS);
	long long got;

	while ((got = library_connections(raw)) != want) {
		ck_assert_msg(h_now_ms() < deadline, "%lld library connections, want %lld", got,
		              want);
		h_sleep_ms(POLL_STEP_MS);
	}
}

START_TEST(test_daemon_max_idle_bounds_the_connections_kept)
{
	struct cachify_daemon_options o;
	struct fx f;
	cachify_lock *l[4];
	cachify_client *none;

	cachify_daemon_options_init(&o);
	o.max_idle = 2;
	fx_start(&f, &o);
	/* Four grants hold four connections at once... */
	for (int i = 0; i < 4; i++)
		expect_rc(cachify_lock_acquire(f.c, NULL, &l[i], "idle-%d", i), 0);
	wait_connections(f.raw, 4);
	/* ...and when they end, two stay for reuse. */
	for (int i = 0; i < 4; i++)
		expect_rc(cachify_lock_release(l[i]), 0);
	wait_connections(f.raw, 2);
	expect_rc(cachify_is_locked(f.c, "idle-0"), 0);
	wait_connections(f.raw, 2);
	/* max_idle 0: nothing is kept. */
	o.max_idle = 0;
	none = client_at(f.d->sock, &o);
	expect_rc(cachify_client_set(none, "k", 1, "v", 1, 0, false), 1);
	wait_connections(f.raw, 2);
	cachify_client_free(none);
	fx_end(&f);
}
END_TEST

/* ---- get / set / delete / call ---------------------------------------------------- */

START_TEST(test_daemon_get_set_del_follow_the_sync_client_contract)
{
	struct fx f;
	static const char bin[] = "v\0a\r\nl\xff";
	const char *names[3] = {"a", "missing", "b\0x"};
	size_t nlens[3] = {1, 7, 3};
	char *v;
	size_t len;

	fx_start(&f, NULL);
	expect_rc(cachify_client_get(f.cl, "a", 1, &v, &len), 0);
	expect_rc(cachify_client_set(f.cl, "a", 1, bin, sizeof bin - 1, 0, false), 1);
	expect_rc(cachify_client_get(f.cl, "a", 1, &v, &len), 1);
	ck_assert(len == sizeof bin - 1 && memcmp(v, bin, len) == 0);
	free(v);
	/* NX: 0 when the name exists, and the value stays. */
	expect_rc(cachify_client_set(f.cl, "a", 1, "other", 5, 0, true), 0);
	h_cmd(f.raw, "GET", "a");
	h_expect_bulkn(f.raw, bin, sizeof bin - 1);
	/* EX: seconds. */
	expect_rc(cachify_client_set(f.cl, "b\0x", 3, "", 0, 100, true), 1);
	{
		struct resp_arg argv[2] = {{"PTTL", 4}, {"b\0x", 3}};
		struct resp_reply *r;

		h_cmdv(f.raw, 2, argv);
		r = h_reply(f.raw);
		ck_assert_int_eq(r->type, RESP_INTEGER);
		ck_assert(r->integer > 90000 && r->integer <= 100000);
		resp_reply_free(r);
	}
	/* An empty value is a value. */
	expect_rc(cachify_client_get(f.cl, "b\0x", 3, &v, &len), 1);
	ck_assert_uint_eq(len, 0);
	free(v);
	expect_rc(cachify_client_set(f.cl, "a", 1, "x", 1, -1, false), CACHIFY_EINVAL);
	expect_rc(cachify_client_del(f.cl, 3, names, nlens), 2);
	expect_rc(cachify_client_del(f.cl, 3, names, nlens), 0);
	ck_assert_int_eq(raw_ll(f.raw, "DBSIZE"), 0);
	fx_end(&f);
}
END_TEST

START_TEST(test_daemon_del_of_more_names_than_one_command_takes)
{
	enum { N = 3000 }; /* past proto-max-args (1024) */
	static char buf[N][8];
	const char *names[N];
	size_t nlens[N];
	struct fx f;

	fx_start(&f, NULL);
	for (int i = 0; i < N; i++) {
		nlens[i] = (size_t)snprintf(buf[i], sizeof buf[i], "k%d", i);
		names[i] = buf[i];
		if (i % 2 == 0)
			expect_rc(cachify_client_set(f.cl, names[i], nlens[i], "v", 1, 0, false),
			          1);
	}
	expect_rc(cachify_client_del(f.cl, N, names, nlens), N / 2);
	ck_assert_int_eq(raw_ll(f.raw, "DBSIZE"), 0);
	fx_end(&f);
}
END_TEST

START_TEST(test_daemon_get_of_a_lock_is_its_token_and_of_a_pool_wrongtype)
{
	struct fx f;
	struct resp_reply *r;
	char *v;
	size_t len;

	fx_start(&f, NULL);
	r = h_call(f.raw, "LOCK.ACQUIRE", "L");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	expect_rc(cachify_client_get(f.cl, "L", 1, &v, &len), 1);
	ck_assert(len == r->element[0]->len && memcmp(v, r->element[0]->str, len) == 0);
	free(v);
	resp_reply_free(r);
	r = h_call(f.raw, "POOL.ACQUIRE", "P", "2");
	resp_reply_free(r);
	expect_rc(cachify_client_get(f.cl, "P", 1, &v, &len), CACHIFY_ESERVER);
	ck_assert_msg(strncmp(cachify_last_error(), "WRONGTYPE", 9) == 0, "%s",
	              cachify_last_error());
	/* The error left the connection usable. */
	expect_rc(cachify_client_set(f.cl, "k", 1, "v", 1, 0, false), 1);
	fx_end(&f);
}
END_TEST

static cachify_reply *call(cachify_client *cl, int argc, const char *const *argv)
{
	size_t lens[8];
	cachify_reply *r = NULL;

	ck_assert_int_le(argc, 8);
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	expect_rc(cachify_client_call(cl, argc, argv, lens, &r), 0);
	ck_assert_ptr_nonnull(r);
	return r;
}

#define CALL(cl, ...)                                                                              \
	call(cl, (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)),         \
	     (const char *const[]){__VA_ARGS__})

START_TEST(test_daemon_call_returns_every_reply_type)
{
	struct fx f;
	cachify_reply *r;

	fx_start(&f, NULL);
	r = CALL(f.cl, "PING");
	ck_assert(r->type == CACHIFY_REPLY_STRING && strcmp(r->str, "PONG") == 0);
	cachify_reply_free(r);
	r = CALL(f.cl, "GET", "nothing");
	ck_assert_int_eq(r->type, CACHIFY_REPLY_NIL);
	cachify_reply_free(r);
	r = CALL(f.cl, "INCRBY", "n", "41");
	ck_assert(r->type == CACHIFY_REPLY_INTEGER && r->integer == 41);
	cachify_reply_free(r);
	r = CALL(f.cl, "GET", "n");
	ck_assert(r->type == CACHIFY_REPLY_BULK && r->len == 2 && strcmp(r->str, "41") == 0);
	cachify_reply_free(r);
	r = CALL(f.cl, "NOSUCHCOMMAND", "x");
	ck_assert_int_eq(r->type, CACHIFY_REPLY_ERROR);
	ck_assert_msg(strncmp(r->str, "ERR unknown command", 19) == 0, "%s", r->str);
	cachify_reply_free(r);
	r = CALL(f.cl, "MGET", "n", "nothing");
	ck_assert(r->type == CACHIFY_REPLY_ARRAY && r->elements == 2);
	ck_assert(r->element[0]->type == CACHIFY_REPLY_BULK &&
	          r->element[1]->type == CACHIFY_REPLY_NIL);
	cachify_reply_free(r);
	/* Nested arrays: POOL.INFO's slots (on a DETACHed slot: a session-bound
	 * grant made through call ends with the call). */
	r = CALL(f.cl, "POOL.ACQUIRE", "p", "3", "DETACH");
	ck_assert(r->type == CACHIFY_REPLY_ARRAY && r->elements == 2);
	cachify_reply_free(r);
	r = CALL(f.cl, "POOL.INFO", "p");
	ck_assert(r->type == CACHIFY_REPLY_ARRAY && r->elements == 8);
	ck_assert(r->element[7]->type == CACHIFY_REPLY_ARRAY && r->element[7]->elements == 1);
	ck_assert_int_eq(r->element[7]->element[0]->type, CACHIFY_REPLY_ARRAY);
	cachify_reply_free(r);
	{
		const char *argv[1] = {"PING"};
		size_t lens[1] = {4};
		cachify_client *mem = cachify_client_memory();

		r = (cachify_reply *)1;
		expect_rc(cachify_client_call(f.cl, 0, argv, lens, &r), CACHIFY_EINVAL);
		ck_assert_ptr_null(r);
		expect_rc(cachify_client_call(mem, 1, argv, lens, &r), CACHIFY_EINVAL);
		cachify_client_free(mem);
	}
	fx_end(&f);
}
END_TEST

START_TEST(test_daemon_call_state_changes_never_leak_into_pooled_connections)
{
	struct fx f;
	cachify_reply *r;

	fx_start(&f, NULL);
	r = CALL(f.cl, "SELECT", "7");
	ck_assert_int_eq(r->type, CACHIFY_REPLY_STRING);
	cachify_reply_free(r);
	/* The next calls run in db 0, whichever connection they get. */
	for (int i = 0; i < 4; i++)
		expect_rc(cachify_client_set(f.cl, "k", 1, "v", 1, 0, false), 1);
	h_call_bulk(f.raw, "v", "GET", "k");
	/* A session-bound grant through call ends with the call. */
	r = CALL(f.cl, "LOCK.ACQUIRE", "L");
	ck_assert_int_eq(r->type, CACHIFY_REPLY_ARRAY);
	cachify_reply_free(r);
	{
		int64_t deadline = h_now_ms() + SLOW(SETTLE_MS);

		while (raw_ll(f.raw, "EXISTS", "L") != 0) {
			ck_assert(h_now_ms() < deadline);
			h_sleep_ms(POLL_STEP_MS);
		}
	}
	fx_end(&f);
}
END_TEST

/* ---- the API over cachifyd: cached ---------------------------------------------- */

START_TEST(test_daemon_cached_miss_hit_empty_failure_and_reset)
{
	struct fx f;
	struct compute k = {.value = "3", .len = 1};
	struct compute e = {.value = "", .len = 0};
	struct compute bad = {.fail = 5};
	char *v;
	size_t len;
	int fn_err = 0;

	fx_start(&f, NULL);
	expect_rc(cachify_cached(f.c, NULL, compute_cb, &k, &fn_err, &v, &len, "sum-%d-%d", 1, 2),
	          0);
	ck_assert(k.calls == 1 && len == 1 && v[0] == '3');
	free(v);
	h_call_bulk(f.raw, "3", "GET", "PYC-sum-1-2-cached");
	ck_assert_int_eq(raw_ll(f.raw, "PTTL", "PYC-sum-1-2-cached"), -1); /* default: never */
	expect_rc(cachify_cached(f.c, NULL, compute_cb, &k, &fn_err, &v, &len, "sum-%d-%d", 1, 2),
	          0);
	ck_assert(k.calls == 1 && len == 1 && v[0] == '3');
	free(v);
	/* An empty value is cached, not a miss. */
	expect_rc(cachify_cached(f.c, NULL, compute_cb, &e, &fn_err, &v, &len, "empty"), 0);
	free(v);
	expect_rc(cachify_cached(f.c, NULL, compute_cb, &e, &fn_err, &v, &len, "empty"), 0);
	ck_assert(e.calls == 1 && len == 0);
	free(v);
	/* A failing compute caches nothing. */
	expect_rc(cachify_cached(f.c, NULL, compute_cb, &bad, &fn_err, &v, &len, "bad"),
	          CACHIFY_ECALLBACK);
	ck_assert_int_eq(fn_err, 5);
	ck_assert_int_eq(raw_ll(f.raw, "EXISTS", "PYC-bad-cached"), 0);
	/* reset forgets: the next call computes again. */
	expect_rc(cachify_cached_reset(f.c, "sum-%d-%d", 1, 2), 0);
	ck_assert_int_eq(raw_ll(f.raw, "EXISTS", "PYC-sum-1-2-cached"), 0);
	expect_rc(cachify_cached(f.c, NULL, compute_cb, &k, &fn_err, &v, &len, "sum-%d-%d", 1, 2),
	          0);
	ck_assert_int_eq(k.calls, 2);
	free(v);
	fx_end(&f);
}
END_TEST

static int upper_cb(void *ctx, const char *in, size_t inlen, char **out, size_t *outlen)
{
	(void)ctx;
	*out = malloc(inlen + 1);
	for (size_t i = 0; i < inlen; i++)
		(*out)[i] = (char)(in[i] ^ 0x20); /* its own inverse on letters */
	*outlen = inlen;
	return 0;
}

START_TEST(test_daemon_cached_ttls_and_codec)
{
	struct fx f;
	struct compute k = {.value = "abc", .len = 3};
	struct cachify_codec codec = {.encode = upper_cb, .decode = upper_cb};
	struct cachify_cached_options co = {.ttl = 5};
	struct cachify_options io;
	cachify *c100;
	long long pttl;
	char *v;
	size_t len;
	int fn_err;

	fx_start(&f, NULL);
	expect_rc(cachify_cached(f.c, &co, compute_cb, &k, &fn_err, &v, &len, "t5"), 0);
	free(v);
	pttl = raw_ll(f.raw, "PTTL", "PYC-t5-cached");
	ck_assert_msg(pttl > 0 && pttl <= 5000, "pttl %lld", pttl);
	/* The instance's default, and NEVER beating it. */
	cachify_options_init(&io);
	io.sync_client = f.cl;
	io.is_global = false;
	io.default_cache_ttl = 100;
	io.prefix = "APP-";
	expect_rc(cachify_init(&io, &c100), 0);
	expect_rc(cachify_cached(c100, NULL, compute_cb, &k, &fn_err, &v, &len, "t"), 0);
	free(v);
	pttl = raw_ll(f.raw, "PTTL", "APP-t-cached");
	ck_assert_msg(pttl > 90000 && pttl <= 100000, "pttl %lld", pttl);
	co.ttl = CACHIFY_TTL_NEVER;
	expect_rc(cachify_cached(c100, &co, compute_cb, &k, &fn_err, &v, &len, "never"), 0);
	free(v);
	ck_assert_int_eq(raw_ll(f.raw, "PTTL", "APP-never-cached"), -1);
	cachify_free(c100);
	/* A codec: the daemon holds the encoded bytes, the caller gets decoded. */
	co.ttl = CACHIFY_TTL_DEFAULT;
	co.codec = &codec;
	expect_rc(cachify_cached(f.c, &co, compute_cb, &k, &fn_err, &v, &len, "coded"), 0);
	ck_assert(len == 3 && memcmp(v, "abc", 3) == 0);
	free(v);
	h_call_bulk(f.raw, "ABC", "GET", "PYC-coded-cached");
	expect_rc(cachify_cached(f.c, &co, compute_cb, &k, &fn_err, &v, &len, "coded"), 0);
	ck_assert(len == 3 && memcmp(v, "abc", 3) == 0);
	free(v);
	fx_end(&f);
}
END_TEST

START_TEST(test_daemon_global_instance_over_cachifyd)
{
	struct fx f;
	struct cachify_options o;
	struct compute k = {.value = "g", .len = 1};
	char *v;
	size_t len;
	int fn_err;

	fx_start(&f, NULL);
	cachify_options_init(&o);
	o.sync_client = f.cl;
	expect_rc(cachify_init(&o, NULL), 0);
	ck_assert_ptr_eq(cachify_get_client(NULL), f.cl);
	ck_assert_str_eq(cachify_get_prefix(NULL), "PYC-");
	expect_rc(cachify_cached(NULL, NULL, compute_cb, &k, &fn_err, &v, &len, "glob"), 0);
	free(v);
	h_call_bulk(f.raw, "g", "GET", "PYC-glob-cached");
	expect_rc(cachify_is_locked(NULL, "glob"), 0);
	cachify_global_free();
	expect_rc(cachify_is_locked(NULL, "glob"), CACHIFY_ENOTINIT);
	fx_end(&f);
}
END_TEST

/* ---- locks ---------------------------------------------------------------------- */

START_TEST(test_daemon_lock_nowait_release_fence_key_and_is_locked)
{
	struct fx f;
	cachify_lock *a = NULL, *b = NULL;
	struct cachify_lock_options o;
	uint64_t fence;
	long long pttl;

	fx_start(&f, NULL);
	cachify_lock_options_init(&o);
	expect_rc(cachify_is_locked(f.c, "job-%d", 1), 0);
	expect_rc(cachify_lock_acquire(f.c, &o, &a, "job-%d", 1), 0);
	ck_assert_str_eq(cachify_lock_key(a), "PYC-job-1-lock");
	ck_assert_uint_gt(cachify_lock_fence(a), 0);
	fence = cachify_lock_fence(a);
	expect_rc(cachify_is_locked(f.c, "job-%d", 1), 1);
	ck_assert_int_eq(raw_ll(f.raw, "LOCK.CHECK", "PYC-job-1-lock", "0"), 0);
	/* The default expiration: 30 s. */
	pttl = raw_ll(f.raw, "PTTL", "PYC-job-1-lock");
	ck_assert_msg(pttl > 25000 && pttl <= 30000, "pttl %lld", pttl);
	/* Held, nowait: ELOCKED with the server's words. */
	expect_rc(cachify_lock_acquire(f.c, &o, &b, "job-%d", 1), CACHIFY_ELOCKED);
	ck_assert_ptr_null(b);
	ck_assert_msg(strncmp(cachify_last_error(), "LOCKED", 6) == 0, "%s", cachify_last_error());
	ck_assert_int_eq(info_field(f.raw, "LOCK.INFO", "PYC-job-1-lock", "session"), 1);
	expect_rc(cachify_lock_release(a), 0);
	ck_assert_int_eq(raw_ll(f.raw, "EXISTS", "PYC-job-1-lock"), 0);
	expect_rc(cachify_is_locked(f.c, "job-%d", 1), 0);
	/* exp NEVER: no TTL; the next grant's fence is larger. */
	o.exp = CACHIFY_TTL_NEVER;
	expect_rc(cachify_lock_acquire(f.c, &o, &a, "job-%d", 1), 0);
	ck_assert_uint_gt(cachify_lock_fence(a), fence);
	ck_assert_int_eq(raw_ll(f.raw, "PTTL", "PYC-job-1-lock"), -1);
	expect_rc(cachify_lock_release(a), 0);
	expect_rc(cachify_lock_release(NULL), 0);
	fx_end(&f);
}
END_TEST

START_TEST(test_daemon_lock_timeout_is_etimeout_after_the_wait)
{
	struct fx f;
	cachify_lock *a, *b = NULL;
	struct cachify_lock_options o;
	int64_t t0, took;

	fx_start(&f, NULL);
	cachify_lock_options_init(&o);
	expect_rc(cachify_lock_acquire(f.c, &o, &a, "t"), 0);
	o.nowait = false;
	o.timeout = 0.3;
	t0 = h_now_ms();
	expect_rc(cachify_lock_acquire(f.c, &o, &b, "t"), CACHIFY_ETIMEOUT);
	took = h_now_ms() - t0;
	ck_assert_msg(took >= 290 && took < SLOW(3000), "took %lld ms", (long long)took);
	ck_assert_ptr_null(b);
	/* timeout 0 is one try. */
	o.timeout = 0;
	expect_rc(cachify_lock_acquire(f.c, &o, &b, "t"), CACHIFY_ELOCKED);
	expect_rc(cachify_lock_release(a), 0);
	fx_end(&f);
}
END_TEST

struct waiter {
	cachify *c;
	const char *key;
	double timeout;
	int rc;
	atomic_bool done;
	cachify_lock *l;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct cachify_lock_options o;

	cachify_lock_options_init(&o);
	o.nowait = false;
	o.timeout = w->timeout;
	w->rc = cachify_lock_acquire(w->c, &o, &w->l, "%s", w->key);
	atomic_store(&w->done, true);
	return NULL;
}

START_TEST(test_daemon_lock_wait_is_granted_on_release)
{
	struct fx f;
	cachify_lock *a;
	struct waiter w = {.key = "w", .timeout = CACHIFY_WAIT_FOREVER};
	pthread_t t;

	fx_start(&f, NULL);
	w.c = f.c;
	expect_rc(cachify_lock_acquire(f.c, NULL, &a, "w"), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, waiter_main, &w), 0);
	wait_waiters(f.raw, "PYC-w-lock", 1);
	ck_assert(!atomic_load(&w.done));
	expect_rc(cachify_lock_release(a), 0);
	pthread_join(t, NULL);
	expect_rc(w.rc, 0);
	ck_assert_int_eq(raw_ll(f.raw, "EXISTS", "PYC-w-lock"), 1);
	expect_rc(cachify_lock_release(w.l), 0);
	fx_end(&f);
}
END_TEST

START_TEST(test_daemon_lock_waits_are_not_cut_by_the_io_timeout)
{
	struct cachify_daemon_options o;
	struct fx f;
	cachify_lock *a;
	struct waiter w = {.key = "slow", .timeout = CACHIFY_WAIT_FOREVER};
	struct waiter w2 = {.key = "slow", .timeout = 0.8};
	pthread_t t;
	int64_t t0;

	cachify_daemon_options_init(&o);
	o.io_timeout = 0.2;
	fx_start(&f, &o);
	w.c = w2.c = f.c;
	expect_rc(cachify_lock_acquire(f.c, NULL, &a, "slow"), 0);
	/* A bounded wait may last its timeout plus the io timeout... */
	t0 = h_now_ms();
	waiter_main(&w2);
	expect_rc(w2.rc, CACHIFY_ETIMEOUT);
	ck_assert_int_ge(h_now_ms() - t0, 790);
	/* ...and a wait forever as long as it takes. */
	ck_assert_int_eq(pthread_create(&t, NULL, waiter_main, &w), 0);
	wait_waiters(f.raw, "PYC-slow-lock", 1);
	h_sleep_ms(600);
	ck_assert(!atomic_load(&w.done));
	expect_rc(cachify_lock_release(a), 0);
	pthread_join(t, NULL);
	expect_rc(w.rc, 0);
	expect_rc(cachify_lock_release(w.l), 0);
	fx_end(&f);
}
END_TEST

START_TEST(test_daemon_lock_renew_and_force_release)
{
	struct fx f;
	cachify_lock *a;
	struct cachify_lock_options o;
	cachify *other;
	long long pttl;

	fx_start(&f, NULL);
	other = instance(f.cl);
	cachify_lock_options_init(&o);
	o.exp = 2;
	expect_rc(cachify_lock_acquire(f.c, &o, &a, "r"), 0);
	pttl = raw_ll(f.raw, "PTTL", "PYC-r-lock");
	ck_assert_msg(pttl > 0 && pttl <= 2000, "pttl %lld", pttl);
	expect_rc(cachify_lock_renew(a, 100), 0);
	pttl = raw_ll(f.raw, "PTTL", "PYC-r-lock");
	ck_assert_msg(pttl > 90000 && pttl <= 100000, "pttl %lld", pttl);
	/* Another instance force-releases it; the holder then is not the owner. */
	expect_rc(cachify_is_locked(other, "r"), 1);
	expect_rc(cachify_lock_force_release(other, "r"), 0);
	expect_rc(cachify_is_locked(other, "r"), 0);
	expect_rc(cachify_lock_renew(a, 100), CACHIFY_ENOTOWNER);
	expect_rc(cachify_lock_release(a), CACHIFY_ENOTOWNER);
	ck_assert_msg(strncmp(cachify_last_error(), "NOTOWNER", 8) == 0, "%s",
	              cachify_last_error());
	expect_rc(cachify_lock_force_release(other, "r"), 0); /* not held: still fine */
	cachify_free(other);
	fx_end(&f);
}
END_TEST

static int run_checks_lock_cb(void *arg)
{
	struct fx *f = arg;

	/* Inside: held, session-bound, on the instance's key. */
	return (int)raw_ll(f->raw, "EXISTS", "PYC-run-lock") * 10 +
	       (int)info_field(f->raw, "LOCK.INFO", "PYC-run-lock", "session");
}

START_TEST(test_daemon_lock_run_holds_the_lock_around_fn)
{
	struct fx f;
	cachify_lock *a;
	int fn_ret = 0;

	fx_start(&f, NULL);
	expect_rc(cachify_lock_run(f.c, NULL, run_checks_lock_cb, &f, &fn_ret, "run"), 0);
	ck_assert_int_eq(fn_ret, 11);
	ck_assert_int_eq(raw_ll(f.raw, "EXISTS", "PYC-run-lock"), 0);
	expect_rc(cachify_lock_acquire(f.c, NULL, &a, "run"), 0);
	fn_ret = 0;
	expect_rc(cachify_lock_run(f.c, NULL, run_checks_lock_cb, &f, &fn_ret, "run"),
	          CACHIFY_ELOCKED);
	ck_assert_int_eq(fn_ret, 0);
	expect_rc(cachify_lock_release(a), 0);
	fx_end(&f);
}
END_TEST

/* ---- once ------------------------------------------------------------------------- */

struct once_arg {
	struct fx *f;
	int inner_rc, inner_ret, raise_rc;
	bool inner_ran;
};

static int once_outer_cb(void *arg)
{
	struct once_arg *a = arg;
	struct cachify_once_options o = {.return_on_locked = 42};

	/* While running, another run of the same key does not start. */
	a->inner_rc =
	    cachify_once(a->f->c, &o, ret7_cb, NULL, &a->inner_ret, &a->inner_ran, "job-%d", 7);
	o.raise_on_locked = true;
	a->raise_rc = cachify_once(a->f->c, &o, ret7_cb, NULL, NULL, NULL, "job-%d", 7);
	return 3;
}

START_TEST(test_daemon_once_runs_once_at_a_time)
{
	struct fx f;
	struct once_arg a = {.f = &f};
	int fn_ret = 0;
	bool ran = false;

	fx_start(&f, NULL);
	expect_rc(cachify_once(f.c, NULL, once_outer_cb, &a, &fn_ret, &ran, "job-%d", 7), 0);
	ck_assert(ran && fn_ret == 3);
	expect_rc(a.inner_rc, 0);
	ck_assert(!a.inner_ran && a.inner_ret == 42);
	expect_rc(a.raise_rc, CACHIFY_ELOCKED);
	ck_assert_int_eq(raw_ll(f.raw, "EXISTS", "PYC-job-7-once"), 0);
	/* Done: the next run runs. */
	expect_rc(cachify_once(f.c, NULL, ret7_cb, NULL, &fn_ret, &ran, "job-%d", 7), 0);
	ck_assert(ran && fn_ret == 7);
	fx_end(&f);
}
END_TEST

/* ---- pools ------------------------------------------------------------------------ */

static int full_cb(void *arg)
{
	int *n = arg;

	return ++*n + 100;
}

struct slot_waiter {
	cachify_pool *p;
	double timeout;
	int rc;
	atomic_bool done;
	cachify_slot *s;
};

static void *slot_waiter_main(void *arg)
{
	struct slot_waiter *w = arg;

	w->rc = cachify_pool_acquire_wait(w->p, w->timeout, &w->s);
	atomic_store(&w->done, true);
	return NULL;
}

START_TEST(test_daemon_pool_acquire_wait_is_served_on_release_and_times_out)
{
	struct fx f;
	struct cachify_pool_options po;
	struct slot_waiter w = {.timeout = CACHIFY_WAIT_FOREVER};
	cachify_slot *held, *late = NULL;
	pthread_t t;
	int64_t t0;

	fx_start(&f, NULL);
	cachify_pool_options_init(&po);
	po.max_size = 1;
	w.p = cachify_pool_new(f.c, &po, "one");
	ck_assert_ptr_nonnull(w.p);
	expect_rc(cachify_pool_acquire_wait(w.p, 0, &held), 0);
	/* Queued server-side: the pool reports the waiter, the thread blocks. */
	ck_assert_int_eq(pthread_create(&t, NULL, slot_waiter_main, &w), 0);
	{
		int64_t deadline = h_now_ms() + SLOW(SETTLE_MS);

		while (info_field(f.raw, "POOL.INFO", "PYC-one-pool", "waiters") != 1) {
			ck_assert_msg(h_now_ms() < deadline, "the slot waiter never queued");
			h_sleep_ms(POLL_STEP_MS);
		}
	}
	ck_assert(!atomic_load(&w.done));
	expect_rc(cachify_slot_release(held), 0);
	pthread_join(t, NULL);
	expect_rc(w.rc, 0);
	ck_assert_int_eq(strlen(cachify_slot_id(w.s)), 32);
	ck_assert(cachify_slot_fence(w.s) > 0);
	/* Full again: a bounded wait ends in ETIMEOUT, not before its time. */
	t0 = h_now_ms();
	expect_rc(cachify_pool_acquire_wait(w.p, 0.2, &late), CACHIFY_ETIMEOUT);
	ck_assert_int_ge(h_now_ms() - t0, 195);
	ck_assert_ptr_null(late);
	expect_rc(cachify_pool_acquire_wait(w.p, 0, &late), CACHIFY_EFULL);
	expect_rc(cachify_slot_release(w.s), 0);
	cachify_pool_free(w.p);
	fx_end(&f);
}
END_TEST

START_TEST(test_daemon_pool_acquire_full_size_release_and_pooled)
{
	struct fx f;
	struct cachify_pool_options po;
	cachify_pool *p;
	cachify_slot *s1, *s2, *s3 = NULL;
	atomic_int runs = 0;
	int fulls = 0, fn_ret;
	bool ran;
	long long pttl;

	fx_start(&f, NULL);
	cachify_pool_options_init(&po);
	po.max_size = 2;
	po.slot_exp = 60;
	p = cachify_pool_new(f.c, &po, "workers-%s", "a");
	ck_assert_msg(p != NULL, "%s", cachify_last_error());
	ck_assert_int_eq(cachify_pool_size(p), 0);
	expect_rc(cachify_pool_acquire(p, &s1), 0);
	expect_rc(cachify_pool_acquire(p, &s2), 0);
	ck_assert_int_eq(cachify_pool_size(p), 2);
	ck_assert_int_eq(raw_ll(f.raw, "POOL.SIZE", "PYC-workers-a-pool"), 2);
	pttl = raw_ll(f.raw, "PTTL", "PYC-workers-a-pool");
	ck_assert_msg(pttl > 50000 && pttl <= 60000, "pttl %lld", pttl);
	expect_rc(cachify_pool_acquire(p, &s3), CACHIFY_EFULL);
	ck_assert_ptr_null(s3);
	ck_assert_msg(strncmp(cachify_last_error(), "FULL", 4) == 0, "%s", cachify_last_error());
	/* pooled when full: nothing runs; on_full runs; raise_on_full raises. */
	ran = true;
	expect_rc(cachify_pooled(p, count_cb, &runs, &fn_ret, &ran), 0);
	ck_assert(!ran && runs == 0);
	cachify_pool_free(p);
	po.on_full = full_cb;
	p = cachify_pool_new(f.c, &po, "workers-%s", "a");
	expect_rc(cachify_pooled(p, count_cb, &fulls, &fn_ret, &ran), 0);
	ck_assert(!ran && fn_ret == 101 && fulls == 1);
	cachify_pool_free(p);
	po.raise_on_full = true;
	p = cachify_pool_new(f.c, &po, "workers-%s", "a");
	expect_rc(cachify_pooled(p, count_cb, &runs, &fn_ret, &ran), CACHIFY_EFULL);
	ck_assert_int_eq(runs, 0);
	/* A free slot: pooled runs, and gives its slot back. */
	expect_rc(cachify_slot_release(s1), 0);
	ck_assert_int_eq(cachify_pool_size(p), 1);
	expect_rc(cachify_pooled(p, count_cb, &runs, &fn_ret, &ran), 0);
	ck_assert(ran && runs == 1 && fn_ret == 1);
	ck_assert_int_eq(cachify_pool_size(p), 1);
	expect_rc(cachify_slot_release(s2), 0);
	ck_assert_int_eq(cachify_pool_size(p), 0);
	ck_assert_int_eq(raw_ll(f.raw, "EXISTS", "PYC-workers-a-pool"), 0);
	/* A released slot's second release is not its owner's. */
	expect_rc(cachify_pool_acquire(p, &s1), 0);
	ck_assert_int_eq(raw_ll(f.raw, "DEL", "PYC-workers-a-pool"), 1);
	expect_rc(cachify_slot_release(s1), CACHIFY_ENOTOWNER);
	cachify_pool_free(p);
	fx_end(&f);
}
END_TEST

START_TEST(test_daemon_pool_size_of_a_string_is_a_server_error)
{
	struct fx f;
	struct cachify_pool_options po;
	cachify_pool *p;
	cachify_slot *s = NULL;

	fx_start(&f, NULL);
	h_ok(f.raw, "SET", "PYC-x-pool", "string");
	cachify_pool_options_init(&po);
	po.max_size = 1;
	p = cachify_pool_new(f.c, &po, "x");
	ck_assert_int_eq(cachify_pool_size(p), CACHIFY_ESERVER);
	ck_assert_msg(strncmp(cachify_last_error(), "WRONGTYPE", 9) == 0, "%s",
	              cachify_last_error());
	expect_rc(cachify_pool_acquire(p, &s), CACHIFY_ESERVER);
	cachify_pool_free(p);
	fx_end(&f);
}
END_TEST

/* ---- round trips ------------------------------------------------------------------ */

/* Commands the daemon processed for one call of what (INFO's own count
 * measured and taken off). */
#define COUNT_COMMANDS(raw, base, out, ...)                                                        \
	do {                                                                                       \
		long long before_ = commands_processed(raw);                                       \
		__VA_ARGS__;                                                                       \
		(out) = commands_processed(raw) - before_ - (base);                                \
	} while (0)

START_TEST(test_daemon_round_trips_per_call)
{
	struct fx f;
	struct compute k = {.value = "v", .len = 1};
	struct cachify_pool_options po;
	cachify_pool *p;
	cachify_lock *l;
	atomic_int n = 0;
	long long base, miss, hit, run, once, pooled, pair, locked;
	char *v;
	size_t len;
	int fn_err, fn_ret;
	bool ran;

	fx_start(&f, NULL);
	cachify_pool_options_init(&po);
	po.max_size = 4;
	p = cachify_pool_new(f.c, &po, "rt");
	/* Warm: the client's connection is open. */
	expect_rc(cachify_is_locked(f.c, "warm"), 0);
	base = commands_processed(f.raw);
	base = commands_processed(f.raw) - base;
	COUNT_COMMANDS(
	    f.raw, base, miss,
	    expect_rc(cachify_cached(f.c, NULL, compute_cb, &k, &fn_err, &v, &len, "rt"), 0));
	free(v);
	COUNT_COMMANDS(
	    f.raw, base, hit,
	    expect_rc(cachify_cached(f.c, NULL, compute_cb, &k, &fn_err, &v, &len, "rt"), 0));
	free(v);
	COUNT_COMMANDS(f.raw, base, run,
	               expect_rc(cachify_lock_run(f.c, NULL, count_cb, &n, &fn_ret, "rt"), 0));
	COUNT_COMMANDS(f.raw, base, once,
	               expect_rc(cachify_once(f.c, NULL, count_cb, &n, &fn_ret, &ran, "rt"), 0));
	COUNT_COMMANDS(f.raw, base, pooled,
	               expect_rc(cachify_pooled(p, count_cb, &n, &fn_ret, &ran), 0));
	COUNT_COMMANDS(f.raw, base, pair, expect_rc(cachify_lock_acquire(f.c, NULL, &l, "rt"), 0);
	               expect_rc(cachify_lock_release(l), 0));
	COUNT_COMMANDS(f.raw, base, locked, expect_rc(cachify_is_locked(f.c, "rt"), 0));
	if (getenv("CACHIFY_TEST_REPORT"))
		fprintf(stderr,
		        "client_daemon round trips: cached miss=%lld hit=%lld lock_run=%lld "
		        "once=%lld pooled=%lld acquire+release=%lld is_locked=%lld (INFO=%lld)\n",
		        miss, hit, run, once, pooled, pair, locked, base);
	ck_assert_int_eq(n, 3);
	ck_assert_msg(hit == 1, "cached hit: %lld commands, want 1 (GET)", hit);
	ck_assert_msg(run == 2, "lock_run: %lld commands, want 2 (LOCK.ACQUIRE + LOCK.RELEASE)",
	              run);
	ck_assert_msg(once == 2, "once: %lld commands, want 2", once);
	ck_assert_msg(pooled == 2, "pooled: %lld commands, want 2 (POOL.ACQUIRE + POOL.RELEASE)",
	              pooled);
	ck_assert_msg(pair == 2, "lock acquire + release: %lld commands, want 2", pair);
	ck_assert_msg(locked == 1, "is_locked: %lld commands, want 1", locked);
	/* GET, then the fill lock, a second GET under it, SET, release; plus
	 * one CLIENT SETNAME when the GET under the lock opens a connection
	 * (the fill lock's keeps the first). */
	ck_assert_msg(miss >= 2 && miss <= 6, "cached miss: %lld commands", miss);
	cachify_pool_free(p);
	fx_end(&f);
}
END_TEST

/* ---- sessions ----------------------------------------------------------------------- */

START_TEST(test_daemon_lock_of_a_killed_holder_is_free_at_once)
{
	struct fx f;
	struct cachify_lock_options o;
	cachify_lock *l = NULL;
	int pfd[2], rc = -100;
	int64_t t0, took;
	long long pttl;
	pid_t pid;

	fx_start(&f, NULL);
	ck_assert_int_eq(pipe(pfd), 0);
	/* The child takes the lock on the client it inherited (a fork never
	 * reuses the parent's connections), reports, and sleeps. */
	expect_rc(cachify_is_locked(f.c, "k9"), 0); /* a pooled connection to inherit */
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct cachify_lock_options co;
		cachify_lock *cl = NULL;

		cachify_lock_options_init(&co);
		co.exp = 60;
		rc = cachify_lock_acquire(f.c, &co, &cl, "k9");
		if (write(pfd[1], &rc, sizeof rc) != sizeof rc)
			_exit(2);
		for (;;)
			pause();
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &rc, sizeof rc), (ssize_t)sizeof rc);
	close(pfd[0]);
	expect_rc(rc, 0);
	expect_rc(cachify_is_locked(f.c, "k9"), 1);
	cachify_lock_options_init(&o);
	expect_rc(cachify_lock_acquire(f.c, &o, &l, "k9"), CACHIFY_ELOCKED);
	pttl = raw_ll(f.raw, "PTTL", "PYC-k9-lock");
	ck_assert_msg(pttl > 50000, "pttl %lld: the lock would not expire soon", pttl);
	/* Kill it: the lock goes with its connection, not after 60 s. */
	o.nowait = false;
	o.timeout = 10;
	t0 = h_now_ms();
	kill(pid, SIGKILL);
	expect_rc(cachify_lock_acquire(f.c, &o, &l, "k9"), 0);
	took = h_now_ms() - t0;
	waitpid(pid, NULL, 0);
	ck_assert_msg(took < SLOW(FREE_LATE_MS), "granted %lld ms after the kill", (long long)took);
	if (getenv("CACHIFY_TEST_REPORT"))
		fprintf(stderr, "client_daemon: killed holder -> granted in %lld ms\n",
		        (long long)took);
	expect_rc(cachify_lock_release(l), 0);
	fx_end(&f);
}
END_TEST

START_TEST(test_daemon_grants_are_lost_with_their_connection_on_restart)
{
	struct fx f;
	struct cachify_pool_options po;
	struct compute k = {.value = "after", .len = 5};
	const char *args[] = {"--loglevel", "warning", NULL};
	cachify_pool *p;
	cachify_slot *s;
	cachify_lock *l;
	char *v;
	size_t len;
	int fn_err;

	fx_start(&f, NULL);
	cachify_pool_options_init(&po);
	po.max_size = 3;
	p = cachify_pool_new(f.c, &po, "rs");
	expect_rc(cachify_lock_acquire(f.c, NULL, &l, "rs"), 0);
	expect_rc(cachify_pool_acquire(p, &s), 0);
	expect_rc(cachify_cached(f.c, NULL, compute_cb, &k, &fn_err, &v, &len, "rs"), 0);
	free(v);
	/* Restart: every connection is cut; the idle ones are stale now. */
	h_close(f.raw);
	ck_assert_int_eq(h_daemon_stop(f.d), 0);
	h_daemon_spawn(f.d, args);
	h_daemon_wait_ready(f.d);
	f.raw = h_connect(f.d);
	expect_rc(cachify_lock_release(l), CACHIFY_ELOST);
	ck_assert_msg(strstr(cachify_last_error(), "connection") != NULL, "%s",
	              cachify_last_error());
	expect_rc(cachify_slot_release(s), CACHIFY_ELOST);
	/* Calls that had not been sent are carried on new connections. */
	expect_rc(cachify_cached(f.c, NULL, compute_cb, &k, &fn_err, &v, &len, "rs"), 0);
	ck_assert_int_eq(k.calls, 2); /* the restart lost the value */
	free(v);
	expect_rc(cachify_lock_acquire(f.c, NULL, &l, "rs"), 0);
	expect_rc(cachify_lock_release(l), 0);
	cachify_pool_free(p);
	fx_end(&f);
}
END_TEST

START_TEST(test_daemon_forked_child_uses_its_own_connections)
{
	struct fx f;
	char *v;
	size_t len;
	int status;
	pid_t pid;

	fx_start(&f, NULL);
	expect_rc(cachify_client_set(f.cl, "k", 1, "parent", 6, 0, false), 1);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int ok = 1;

		for (int i = 0; i < 50 && ok; i++) {
			ok = cachify_client_set(f.cl, "c", 1, "child", 5, 0, false) == 1 &&
			     cachify_client_get(f.cl, "c", 1, &v, &len) == 1 && len == 5;
			if (ok)
				free(v);
		}
		_exit(ok ? 0 : 1);
	}
	for (int i = 0; i < 50; i++) {
		expect_rc(cachify_client_get(f.cl, "k", 1, &v, &len), 1);
		ck_assert(len == 6 && memcmp(v, "parent", 6) == 0);
		free(v);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	h_call_bulk(f.raw, "child", "GET", "c");
	fx_end(&f);
}
END_TEST

/* ---- threads -------------------------------------------------------------------------- */

struct getter {
	cachify *c;
	int ok;
};

static void *getter_main(void *arg)
{
	struct getter *g = arg;
	struct compute k = {.value = "hot", .len = 3};

	for (int i = 0; i < GETS_PER_THREAD; i++) {
		char *v = NULL;
		size_t len = 0;
		int fn_err;

		if (cachify_cached(g->c, NULL, compute_cb, &k, &fn_err, &v, &len, "hot") == 0 &&
		    len == 3)
			g->ok++;
		free(v);
	}
	return NULL;
}

START_TEST(test_daemon_threads_never_queue_behind_a_waiting_lock)
{
	struct fx f;
	struct waiter w = {.key = "blocked", .timeout = CACHIFY_WAIT_FOREVER};
	struct getter g[THREADS - 1];
	pthread_t wt, gt[THREADS - 1];
	cachify_lock *a;

	fx_start(&f, NULL);
	w.c = f.c;
	expect_rc(cachify_lock_acquire(f.c, NULL, &a, "blocked"), 0);
	ck_assert_int_eq(pthread_create(&wt, NULL, waiter_main, &w), 0);
	wait_waiters(f.raw, "PYC-blocked-lock", 1);
	for (int i = 0; i < THREADS - 1; i++) {
		g[i] = (struct getter){.c = f.c};
		ck_assert_int_eq(pthread_create(&gt[i], NULL, getter_main, &g[i]), 0);
	}
	for (int i = 0; i < THREADS - 1; i++) {
		pthread_join(gt[i], NULL);
		ck_assert_int_eq(g[i].ok, GETS_PER_THREAD);
	}
	/* All done while the first thread is still blocked in its WAIT. */
	ck_assert(!atomic_load(&w.done));
	ck_assert_int_eq(info_field(f.raw, "LOCK.INFO", "PYC-blocked-lock", "waiters"), 1);
	expect_rc(cachify_lock_release(a), 0);
	pthread_join(wt, NULL);
	expect_rc(w.rc, 0);
	expect_rc(cachify_lock_release(w.l), 0);
	fx_end(&f);
}
END_TEST

struct runner {
	cachify *c;
	atomic_int *inside;
	atomic_int *overlaps;
	int ran, failed;
};

static int critical_cb(void *arg)
{
	struct runner *r = arg;

	if (atomic_fetch_add(r->inside, 1) != 0)
		atomic_fetch_add(r->overlaps, 1);
	sched_yield();
	atomic_fetch_sub(r->inside, 1);
	r->ran++;
	return 0;
}

static void *runner_main(void *arg)
{
	struct runner *r = arg;
	struct cachify_lock_options o;

	cachify_lock_options_init(&o);
	o.nowait = false;
	for (int i = 0; i < RUNS_PER_THREAD; i++)
		if (cachify_lock_run(r->c, &o, critical_cb, r, NULL, "crit") != 0)
			r->failed++;
	return NULL;
}

START_TEST(test_daemon_lock_run_excludes_across_threads)
{
	struct fx f;
	atomic_int inside = 0, overlaps = 0;
	struct runner r[THREADS];
	pthread_t t[THREADS];
	int total = 0;

	fx_start(&f, NULL);
	for (int i = 0; i < THREADS; i++) {
		r[i] = (struct runner){.c = f.c, .inside = &inside, .overlaps = &overlaps};
		ck_assert_int_eq(pthread_create(&t[i], NULL, runner_main, &r[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(r[i].failed == 0, "thread %d: %d failed runs; %s", i, r[i].failed,
		              cachify_last_error());
		total += r[i].ran;
	}
	ck_assert_int_eq(total, THREADS * RUNS_PER_THREAD);
	ck_assert_int_eq(overlaps, 0);
	ck_assert_int_eq(raw_ll(f.raw, "EXISTS", "PYC-crit-lock"), 0);
	fx_end(&f);
}
END_TEST

/* ---- Python and C on one key ------------------------------------------------------------ */

static void python(const struct h_daemon *d, const char *mode, const char *key)
{
	char out[H_PATH_MAX + 8];
	const char *argv[] = {PYTHON, h_src_path("tests/compat/once_cross.py"), d->sock, mode, key,
	                      NULL};
	int status;
	char *o;

	snprintf(out, sizeof out, "%s/py.out", d->dir);
	status = h_exec(argv, NULL, out, out, SLOW(PEER_TIMEOUT_MS));
	o = h_slurp(out, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	              "once_cross.py %s %s: status 0x%x\n%s", mode, key, status, o ? o : "");
	free(o);
}

struct cross {
	struct fx *f;
	int calls;
};

static int cross_cb(void *arg)
{
	struct cross *x = arg;

	/* While C runs, Python sees the key held. */
	python(x->f->d, "check-held", "PYC-job-42-once");
	return ++x->calls;
}

START_TEST(test_daemon_once_coordinates_with_python_on_one_key)
{
	struct fx f;
	struct cross x = {.f = &f};
	struct cachify_once_options o = {.raise_on_locked = true};
	int fn_ret = 0;
	bool ran = true;

	fx_start(&f, NULL);
	python(f.d, "hold", "PYC-job-42-once");
	expect_rc(cachify_once(f.c, &o, cross_cb, &x, &fn_ret, &ran, "job-%d", 42),
	          CACHIFY_ELOCKED);
	ck_assert(!ran && x.calls == 0);
	python(f.d, "release", "PYC-job-42-once");
	expect_rc(cachify_once(f.c, &o, cross_cb, &x, &fn_ret, &ran, "job-%d", 42), 0);
	ck_assert(ran && x.calls == 1 && fn_ret == 1);
	ck_assert_int_eq(raw_ll(f.raw, "EXISTS", "PYC-job-42-once"), 0);
	fx_end(&f);
}
END_TEST

Suite *client_daemon_suite(void)
{
	Suite *s = suite_create("client_daemon");
	TCase *tc;
	int timeout = 30 * h_slow();

	tc = tcase_create("address");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_daemon_options_init_has_the_documented_defaults);
	tcase_add_test(tc, test_daemon_address_forms_all_reach_the_socket);
	tcase_add_test(tc, test_daemon_address_db_parameter_selects_that_database);
	tcase_add_test(tc, test_daemon_db_out_of_range_is_a_server_error_on_first_use);
	tcase_add_test(tc, test_daemon_bad_addresses_and_options_are_rejected);
	tcase_add_test(tc, test_daemon_null_address_uses_cachify_url_then_the_default_path);
	tcase_add_test(tc, test_daemon_not_running_is_eio_with_a_useful_message);
	tcase_add_test(tc, test_daemon_silent_server_is_eio_after_the_io_timeout);
	tcase_add_test(tc, test_daemon_full_backlog_is_eio_after_the_connect_timeout);
	tcase_add_test(tc, test_daemon_acquire_is_never_resent_after_the_connection_drops);
	tcase_add_test(tc, test_daemon_max_idle_bounds_the_connections_kept);
	suite_add_tcase(s, tc);

	tc = tcase_create("client");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_daemon_get_set_del_follow_the_sync_client_contract);
	tcase_add_test(tc, test_daemon_del_of_more_names_than_one_command_takes);
	tcase_add_test(tc, test_daemon_get_of_a_lock_is_its_token_and_of_a_pool_wrongtype);
	tcase_add_test(tc, test_daemon_call_returns_every_reply_type);
	tcase_add_test(tc, test_daemon_call_state_changes_never_leak_into_pooled_connections);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_daemon_cached_miss_hit_empty_failure_and_reset);
	tcase_add_test(tc, test_daemon_cached_ttls_and_codec);
	tcase_add_test(tc, test_daemon_global_instance_over_cachifyd);
	tcase_add_test(tc, test_daemon_lock_nowait_release_fence_key_and_is_locked);
	tcase_add_test(tc, test_daemon_lock_timeout_is_etimeout_after_the_wait);
	tcase_add_test(tc, test_daemon_lock_wait_is_granted_on_release);
	tcase_add_test(tc, test_daemon_lock_waits_are_not_cut_by_the_io_timeout);
	tcase_add_test(tc, test_daemon_lock_renew_and_force_release);
	tcase_add_test(tc, test_daemon_lock_run_holds_the_lock_around_fn);
	tcase_add_test(tc, test_daemon_once_runs_once_at_a_time);
	tcase_add_test(tc, test_daemon_pool_acquire_full_size_release_and_pooled);
	tcase_add_test(tc, test_daemon_pool_acquire_wait_is_served_on_release_and_times_out);
	tcase_add_test(tc, test_daemon_pool_size_of_a_string_is_a_server_error);
	tcase_add_test(tc, test_daemon_round_trips_per_call);
	suite_add_tcase(s, tc);

	tc = tcase_create("sessions");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_daemon_lock_of_a_killed_holder_is_free_at_once);
	tcase_add_test(tc, test_daemon_grants_are_lost_with_their_connection_on_restart);
	tcase_add_test(tc, test_daemon_forked_child_uses_its_own_connections);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_daemon_threads_never_queue_behind_a_waiting_lock);
	tcase_add_test(tc, test_daemon_lock_run_excludes_across_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("compat");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_daemon_once_coordinates_with_python_on_one_key);
	suite_add_tcase(s, tc);
	return s;
}
