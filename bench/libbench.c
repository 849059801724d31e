/* libbench.c - load generator for bench/lib.sh: cachify_lock_run and
 * cachify_pooled calls per second through libcachify's cachifyd client,
 * THREADS threads sharing one instance, each on its own key (uncontended,
 * like lockbench's pairs); and, as the floor those threads stand on, the
 * same pairs as raw RESP from THREADS threads each blocking on its own
 * socket (no library). Prints one "mode key=value ..." line; any failed
 * call aborts with exit status 1.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cachify.h"
#include "resp.h"

#define THREADS_MAX 1024

enum mode { MODE_LOCK, MODE_POOLED, MODE_RAW_LOCK, MODE_RAW_POOL };

struct worker {
	pthread_t t;
	int id;
	long long calls;
};

static cachify *inst;
static const char *sock_path;
static enum mode mode;
static int64_t deadline_ns;
static pthread_barrier_t go;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("libbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int64_t now_ns(void) /* ns, monotonic */
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long parse_count(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 100000000)
		die("%s must be a non-negative integer, got '%s'", what, s);
	return v;
}

static int body_cb(void *arg)
{
	long long *calls = arg;

	++*calls;
	return 0;
}

/* One raw command and its reply on a blocking socket (new reply). */
static struct resp_reply *raw_call(int fd, struct resp_reader *rd, int argc,
                                   const struct resp_arg *argv)
{
	struct resp_buf b;
	struct resp_reply *r;
	char buf[4096];
	size_t off = 0;
	int rc;

	resp_buf_init(&b);
	if (resp_add_command(&b, argc, argv) != 0)
		die("out of memory");
	while (off < b.len) {
		ssize_t n = send(fd, b.data + off, b.len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("send: %s", strerror(errno));
		off += (size_t)n;
	}
	resp_buf_free(&b);
	while ((rc = resp_reader_get(rd, &r)) == 0) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("recv: %s", n == 0 ? "connection closed" : strerror(errno));
		if (resp_reader_feed(rd, buf, (size_t)n) != 0)
			die("out of memory");
	}
	if (rc < 0)
		die("bad reply: %s", rd->err);
	return r;
}

/* LOCK.ACQUIRE/POOL.ACQUIRE + RELEASE pairs on the worker's own key. */
static void raw_pairs(struct worker *w)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	bool pool = mode == MODE_RAW_POOL;
	struct resp_reader rd;
	char key[32];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		die("connect %s: %s", sock_path, strerror(errno));
	resp_reader_init(&rd);
	snprintf(key, sizeof key, "libbench:%c%d", pool ? 'p' : 'k', w->id);
	pthread_barrier_wait(&go);
	while (now_ns() < deadline_ns) {
		struct resp_arg acq[3] = {
		    {pool ? "POOL.ACQUIRE" : "LOCK.ACQUIRE", 12}, {key, strlen(key)}, {"4", 1}};
		struct resp_reply *g = raw_call(fd, &rd, pool ? 3 : 2, acq), *r;

		if (g->type != RESP_ARRAY || g->elements != 2 || g->element[0]->type != RESP_BULK)
			die("%s %s: not a grant", acq[0].ptr, key);
		{
			struct resp_arg rel[3] = {{pool ? "POOL.RELEASE" : "LOCK.RELEASE", 12},
			                          {key, strlen(key)},
			                          {g->element[0]->str, g->element[0]->len}};

			r = raw_call(fd, &rd, 3, rel);
		}
		if (r->type != RESP_INTEGER || r->integer != 1)
			die("release %s: not :1", key);
		resp_reply_free(g);
		resp_reply_free(r);
		w->calls++;
	}
	resp_reader_free(&rd);
	close(fd);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct cachify_pool_options po;
	cachify_pool *p = NULL;
	long long ran = 0;
	int rc = 0;

	if (mode == MODE_RAW_LOCK || mode == MODE_RAW_POOL) {
		raw_pairs(w);
		return NULL;
	}
	if (mode == MODE_POOLED) {
		cachify_pool_options_init(&po);
		po.max_size = 4;
		if (!(p = cachify_pool_new(inst, &po, "libbench:p%d", w->id)))
			die("pool_new: %s", cachify_last_error());
	}
	pthread_barrier_wait(&go);
	while (now_ns() < deadline_ns) {
		bool did = false;

		if (mode == MODE_LOCK)
			rc = cachify_lock_run(inst, NULL, body_cb, &ran, NULL, "libbench:k%d",
			                      w->id);
		else if ((rc = cachify_pooled(p, body_cb, &ran, NULL, &did)) == 0 && !did)
			die("pooled: full on an uncontended pool of 4");
		if (rc != 0)
			die("%s: %s (%s)", mode == MODE_LOCK ? "lock_run" : "pooled",
			    cachify_strerror(rc), cachify_last_error());
		w->calls++;
	}
	if (ran != w->calls)
		die("%lld calls but fn ran %lld times", w->calls, ran);
	cachify_pool_free(p);
	return NULL;
}

int main(int argc, char **argv)
{
	struct cachify_daemon_options o;
	struct cachify_options io;
	static struct worker w[THREADS_MAX];
	cachify_client *cl;
	long threads, seconds;
	long long calls = 0;
	int64_t start, end;
	int rc;

	static const char *const modes[] = {"lock", "pooled", "raw-lock", "raw-pool"};

	mode = (enum mode) - 1;
	for (size_t i = 0; argc == 6 && i < sizeof modes / sizeof modes[0]; i++)
		if (strcmp(argv[1], modes[i]) == 0)
			mode = (enum mode)i;
	if (mode == (enum mode) - 1) {
		fprintf(stderr,
		        "usage: libbench lock|pooled|raw-lock|raw-pool SOCK THREADS SECONDS "
		        "MAX_IDLE\n");
		return 2;
	}
	sock_path = argv[2];
	threads = parse_count(argv[3], "THREADS");
	seconds = parse_count(argv[4], "SECONDS");
	if (threads < 1 || threads > THREADS_MAX || seconds < 1)
		die("THREADS must be 1..%d and SECONDS at least 1", THREADS_MAX);
	setvbuf(stdout, NULL, _IOLBF, 0);
	cachify_daemon_options_init(&o);
	o.max_idle = (unsigned)parse_count(argv[5], "MAX_IDLE");
	if (!(cl = cachify_client_daemon(argv[2], &o)))
		die("client: %s", cachify_last_error());
	cachify_options_init(&io);
	io.sync_client = cl;
	io.is_global = false;
	if ((rc = cachify_init(&io, &inst)) != 0)
		die("init: %s", cachify_last_error());
	pthread_barrier_init(&go, NULL, (unsigned)threads + 1);
	for (long i = 0; i < threads; i++) {
		w[i].id = (int)i;
		if (pthread_create(&w[i].t, NULL, worker_main, &w[i]) != 0)
			die("pthread_create failed");
	}
	deadline_ns = now_ns() + (int64_t)seconds * 1000000000 + 50000000;
	start = now_ns();
	pthread_barrier_wait(&go);
	for (long i = 0; i < threads; i++) {
		pthread_join(w[i].t, NULL);
		calls += w[i].calls;
	}
	end = now_ns();
	pthread_barrier_destroy(&go);
	cachify_free(inst);
	cachify_client_free(cl);
	printf("lib-%s threads=%ld seconds=%ld max_idle=%u calls=%lld calls_per_s=%.0f\n", argv[1],
	       threads, seconds, o.max_idle, calls, (double)calls * 1e9 / (double)(end - start));
	return 0;
}
