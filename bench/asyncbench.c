/* asyncbench.c - load generator for bench/async.sh: libcachify's async
 * face on one thread against its blocking face on THREADS threads, on one
 * cachifyd, in the same run. Modes:
 *
 *   lock-async SOCK N SECONDS     one thread, one event loop, N chains of
 *                                 async lock acquire (nowait) + release, a key each
 *   lock-blocking SOCK N SECONDS  N threads of cachify_lock_acquire + release
 *   cached-async SOCK N SECONDS   one thread, N chains of async cached hits
 *   cached-blocking SOCK N SECONDS N threads of cachify_cached hits
 *   waits SOCK N                  N concurrent lock waits on one thread: the
 *                                 client heap (mallinfo2) and RSS each costs,
 *                                 then all granted, each handing on to the next
 *
 * Prints one "mode key=value ..." line; any failed call exits 1.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <event2/event.h>

#include "cachify.h"

#define THREADS_MAX 1024
#define KEYS	    64 /* cached keys, filled before the run */

static const char *sock_path;
static long nconc, seconds;
static int64_t deadline_ns;
static cachify *inst;
static struct event_base *base;
static long long total;
static pthread_barrier_t go;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("asyncbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%s)\n", cachify_last_error());
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long parse_count(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > 1000000)
		die("%s must be a positive integer, got '%s'", what, s);
	return v;
}

static void setup(bool with_async, unsigned max_idle, double connect_timeout)
{
	struct cachify_daemon_options o;
	struct cachify_options io;
	cachify_client *cl;
	cachify_async_client *ac = NULL;

	cachify_daemon_options_init(&o);
	o.max_idle = max_idle;
	o.connect_timeout = connect_timeout;
	if (!(cl = cachify_client_daemon(sock_path, &o)))
		die("client");
	if (with_async) {
		base = event_base_new();
		if (!(ac = cachify_async_client_daemon(base, sock_path, &o)))
			die("async client");
	}
	cachify_options_init(&io);
	io.sync_client = cl;
	io.async_client = ac;
	io.is_global = false;
	if (cachify_init(&io, &inst) != 0)
		die("init");
	cachify_client_free(cl);
	cachify_async_client_free(ac);
}

static int value_fn(void *arg, char **v, size_t *len)
{
	*v = strdup("a cached value of a few dozen bytes, as a small record is");
	*len = strlen(*v);
	return 0;
}

static void fill_keys(void)
{
	for (int i = 0; i < KEYS; i++) {
		char *v;
		size_t len;

		if (cachify_cached(inst, NULL, value_fn, NULL, NULL, &v, &len, "ab:c%d", i) != 0)
			die("fill");
		free(v);
	}
}

/* ---- async chains ------------------------------------------------------------------ */

struct chain {
	int id;
	long long n;
};

static void lock_next(struct chain *ch);

static void released_cb(void *arg, struct cachify_async_result *r)
{
	struct chain *ch = arg;

	if (r->rc != 0)
		die("async release: %s", cachify_strerror(r->rc));
	ch->n++;
	lock_next(ch);
}

static void acquired_cb(void *arg, struct cachify_async_result *r)
{
	struct chain *ch = arg;

	if (r->rc != 0)
		die("async acquire: %s", cachify_strerror(r->rc));
	if (cachify_async_lock_release(r->lock, released_cb, ch, NULL) != 0)
		die("async release");
	r->lock = NULL;
}

static void lock_next(struct chain *ch)
{
	if (now_ns() >= deadline_ns)
		return;
	if (cachify_async_lock_acquire(inst, NULL, acquired_cb, ch, NULL, "ab:k%d", ch->id) != 0)
		die("async acquire");
}

static void cached_next(struct chain *ch);

static void async_value_fn(void *arg, cachify_async_job *job)
{
	die("cached-async: a miss on a filled key");
}

static void hit_cb(void *arg, struct cachify_async_result *r)
{
	struct chain *ch = arg;

	if (r->rc != 0 || r->len == 0)
		die("async cached: %s", cachify_strerror(r->rc));
	ch->n++;
	cached_next(ch);
}

static void cached_next(struct chain *ch)
{
	if (now_ns() >= deadline_ns)
		return;
	if (cachify_async_cached(inst, NULL, async_value_fn, NULL, hit_cb, ch, NULL, "ab:c%d",
				 (int)(ch->n + ch->id) % KEYS) != 0)
		die("async cached");
}

static double run_async(bool lock)
{
	struct chain *ch = calloc((size_t)nconc, sizeof *ch);
	int64_t start;

	start = now_ns();
	deadline_ns = start + seconds * 1000000000LL;
	for (long i = 0; i < nconc; i++) {
		ch[i].id = (int)i;
		if (lock)
			lock_next(&ch[i]);
		else
			cached_next(&ch[i]);
	}
	event_base_dispatch(base); /* returns when every chain has stopped */
	for (long i = 0; i < nconc; i++)
		total += ch[i].n;
	free(ch);
	return (double)total * 1e9 / (double)(now_ns() - start);
}

/* ---- blocking threads ------------------------------------------------------------------- */

struct worker {
	pthread_t t;
	int id;
	bool lock;
	long long n;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&go);
	while (now_ns() < deadline_ns) {
		if (w->lock) {
			cachify_lock *l;

			if (cachify_lock_acquire(inst, NULL, &l, "ab:k%d", w->id) != 0 ||
			    cachify_lock_release(l) != 0)
				die("blocking lock pair");
		} else {
			char *v;
			size_t len;

			if (cachify_cached(inst, NULL, value_fn, NULL, NULL, &v, &len, "ab:c%d",
					   (int)(w->n + w->id) % KEYS) != 0)
				die("blocking cached");
			free(v);
		}
		w->n++;
	}
	return NULL;
}

static double run_threads(bool lock)
{
	static struct worker w[THREADS_MAX];
	int64_t start;

	if (nconc > THREADS_MAX)
		die("at most %d threads", THREADS_MAX);
	pthread_barrier_init(&go, NULL, (unsigned)nconc + 1);
	for (long i = 0; i < nconc; i++) {
		w[i] = (struct worker){ .id = (int)i, .lock = lock };
		if (pthread_create(&w[i].t, NULL, worker_main, &w[i]) != 0)
			die("pthread_create");
	}
	start = now_ns();
	deadline_ns = start + seconds * 1000000000LL;
	pthread_barrier_wait(&go);
	for (long i = 0; i < nconc; i++) {
		pthread_join(w[i].t, NULL);
		total += w[i].n;
	}
	pthread_barrier_destroy(&go);
	return (double)total * 1e9 / (double)(now_ns() - start);
}

/* ---- waits: what each pending wait costs ------------------------------------------------ */

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static long granted;

/* The waits were all started in one turn, so the daemon queued them in
 * the order their connections arrived, not start order: FIFO itself is
 * tests/check_async_daemon.c's to check (it sends one at a time). */
static void wait_cb(void *arg, struct cachify_async_result *r)
{
	long i = (long)(intptr_t)arg;

	if (r->rc != 0)
		die("wait %ld: %s", i, cachify_strerror(r->rc));
	granted++;
	/* Release at once: the next waiter's turn (r->lock is released by
	 * the library when the callback leaves it). */
}

static void run_waits(long n)
{
	struct cachify_lock_options lo;
	struct rlimit rl;
	cachify_lock *holder;
	struct mallinfo2 m0, m1;
	long r0, r1;
	int64_t t0;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (cachify_lock_acquire(inst, NULL, &holder, "ab:w") != 0)
		die("holder");
	cachify_lock_options_init(&lo);
	lo.nowait = false;
	malloc_trim(0);
	m0 = mallinfo2();
	r0 = rss_kib();
	for (long i = 0; i < n; i++)
		if (cachify_async_lock_acquire(inst, &lo, wait_cb, (void *)(intptr_t)i, NULL, "ab:w") != 0)
			die("wait %ld", i);
	/* Run the loop until every wait has been sent and queued. */
	t0 = now_ns();
	while (now_ns() - t0 < 2000000000LL) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		cachify_reply *rep = NULL;
		const char *argv[] = { "LOCK.INFO", "PYC-ab:w-lock" };
		size_t lens[] = { 9, 13 };
		long long w = -1;

		if (cachify_client_call(cachify_get_client(inst), 2, argv, lens, &rep) != 0)
			die("LOCK.INFO");
		for (size_t i = 0; rep->type == CACHIFY_REPLY_ARRAY && i + 1 < rep->elements; i += 2)
			if (strcmp(rep->element[i]->str, "waiters") == 0)
				w = rep->element[i + 1]->integer;
		cachify_reply_free(rep);
		if (w == n)
			break;
	}
	m1 = mallinfo2();
	r1 = rss_kib();
	if (cachify_lock_release(holder) != 0)
		die("holder release");
	t0 = now_ns();
	while (granted < n)
		event_base_loop(base, EVLOOP_ONCE);
	printf("waits n=%ld heap_bytes_per_wait=%.0f rss_bytes_per_wait=%.0f granted=%ld "
	       "handoffs_per_s=%.0f\n",
	       n, (double)(m1.uordblks - m0.uordblks) / (double)n,
	       (double)(r1 - r0) * 1024.0 / (double)n, granted,
	       (double)n * 1e9 / (double)(now_ns() - t0));
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	double rate;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && strcmp(mode, "waits") == 0) {
		sock_path = argv[2];
		setup(true, 8, 120); /* 10,000 connects at once queue at the backlog */
		run_waits(parse_count(argv[3], "N"));
		cachify_free(inst);
		event_base_free(base);
		return 0;
	}
	if (argc != 5 || (strcmp(mode, "lock-async") && strcmp(mode, "lock-blocking") &&
			  strcmp(mode, "cached-async") && strcmp(mode, "cached-blocking"))) {
		fprintf(stderr, "usage: asyncbench lock-async|lock-blocking|cached-async|"
				"cached-blocking SOCK N SECONDS\n       asyncbench waits SOCK N\n");
		return 2;
	}
	sock_path = argv[2];
	nconc = parse_count(argv[3], "N");
	seconds = parse_count(argv[4], "SECONDS");
	setup(strstr(mode, "async") != NULL, (unsigned)nconc, 5);
	if (strncmp(mode, "cached", 6) == 0)
		fill_keys();
	if (strstr(mode, "async"))
		rate = run_async(strncmp(mode, "lock", 4) == 0);
	else
		rate = run_threads(strncmp(mode, "lock", 4) == 0);
	printf("%s n=%ld seconds=%ld ops=%lld ops_per_s=%.0f\n", mode, nconc, seconds, total, rate);
	cachify_free(inst);
	if (base)
		event_base_free(base);
	return 0;
}
