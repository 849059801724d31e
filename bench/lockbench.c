/* lockbench.c - load generator for bench/lock.sh: lock handoff latency
 * (cachifyd, flock(2), SET NX polling on redis-server, killed holder, PING
 * round trip as the floor) and lock/pool/SET NX/redis-py script pairs per second. Speaks RESP
 * through proto/resp.h over blocking Unix sockets; prints one "mode key=value"
 * line per run; any wrong reply or failed call aborts with exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tests/torture/rconn.h"
#include "resp.h"

#define WARMUP           20                 /* untimed rounds before each handoff run */
#define POLL_MS          100                /* the reference's lock_poll_interval */
#define READY_TIMEOUT_NS (5LL * 1000000000) /* waiting for a waiter to queue */
#define HANDOFF_KEY      "lockbench:L"
#define LIT(s)                                                                                     \
	{                                                                                          \
		(s), sizeof(s) - 1                                                                 \
	}

static const char *progname = "lockbench";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long parse_count(const char *s, const char *what)
{
	long long v;

	if (resp_parse_ll(s, strlen(s), &v) != 0 || v <= 0 || v > 100000000)
		die("%s must be a positive integer, got '%s'", what, s);
	return (long)v;
}

/* ---------------------------------------------------------------------------
 * One blocking RESP connection (tests/torture/rconn.h): any failure aborts.
 */

static void client_open(struct rconn *c, const char *path)
{
	if (rconn_open(c, path) != 0)
		die("connect %s: %s", path, strerror(errno));
}

static void client_close(struct rconn *c)
{
	rconn_close(c);
}

static void client_send(struct rconn *c, int argc, const struct resp_arg *argv)
{
	if (rconn_send(c, argc, argv) != 0)
		die("write: %s", strerror(errno));
}

/* Reads one bytes chunk into the reader; *t_ns is when read() returned. */
static void client_fill(struct rconn *c, int64_t *t_ns)
{
	long n = rconn_fill(c, -1, t_ns);

	if (n < 0)
		die("read: %s", strerror(errno));
	if (n == 0)
		die("server closed the connection");
}

/* The next reply, blocking. *t_ns (if not NULL) is when the read() that
 * completed it returned (or now, if it was already buffered). New: free it. */
static struct resp_reply *client_reply_at(struct rconn *c, int64_t *t_ns)
{
	struct resp_reply *r;
	int rc = rconn_reply(c, -1, &r, t_ns);

	if (rc == 0)
		die("server closed the connection");
	if (rc < 0 && errno == EPROTO)
		die("protocol error in reply: %s", c->rd.err);
	if (rc < 0)
		die("read: %s", strerror(errno));
	return r;
}

static struct resp_reply *client_call(struct rconn *c, int argc, const struct resp_arg *argv)
{
	client_send(c, argc, argv);
	return client_reply_at(c, NULL);
}

/* ---------------------------------------------------------------------------
 * Reply checks: anything unexpected aborts, naming what was expected.
 */

static const char *reply_desc(const struct resp_reply *r)
{
	static char buf[160];

	return rconn_desc(r, buf, sizeof buf);
}

/* A LOCK.ACQUIRE / POOL.ACQUIRE grant: *2 [bulk, integer]. Frees r. */
static void expect_grant(struct resp_reply *r, const char *what, struct rconn_grant *g)
{
	if (rconn_grant(r, g) != 0)
		die("%s: expected a grant [id, fence], got %s", what, reply_desc(r));
	resp_reply_free(r);
}

static void expect_int(struct resp_reply *r, const char *what, long long want)
{
	if (r->type != RESP_INTEGER || r->integer != want)
		die("%s: expected :%lld, got %s", what, want, reply_desc(r));
	resp_reply_free(r);
}

static void expect_ok(struct resp_reply *r, const char *what)
{
	if (r->type != RESP_STRING || strcmp(r->str, "OK") != 0)
		die("%s: expected +OK, got %s", what, reply_desc(r));
	resp_reply_free(r);
}

/* ---------------------------------------------------------------------------
 * Making sure a waiter really waits before the holder lets go, so every
 * sample is a handoff to a queued, sleeping waiter.
 */

/* The "waiters" field of LOCK.INFO key, or -1 when the lock is free. */
static long long lock_waiters(struct rconn *c, const char *key)
{
	struct resp_arg a[] = {LIT("LOCK.INFO"), {key, strlen(key)}};
	struct resp_reply *r = client_call(c, 2, a);
	long long n = -2;

	if (r->type == RESP_NIL)
		n = -1;
	else if (rconn_pair_int(r, "waiters", &n) != 0)
		n = -2;
	if (n == -2)
		die("LOCK.INFO %s: no waiters field in %s", key, reply_desc(r));
	resp_reply_free(r);
	return n;
}

static void wait_lock_waiters(struct rconn *c, const char *key, long long want)
{
	int64_t deadline = rconn_now_ns() + READY_TIMEOUT_NS;
	long long n;

	while ((n = lock_waiters(c, key)) != want) {
		if (rconn_now_ns() > deadline)
			die("LOCK.INFO %s: waiters is %lld after 5 s, expected %lld", key, n, want);
		sleep_ns(20000);
	}
}

/* Waits until task tid (a thread or process id) is asleep ('S' in
 * /proc/tid/stat). Without /proc this is a no-op. */
static void wait_task_sleeping(pid_t tid)
{
	int64_t deadline = rconn_now_ns() + READY_TIMEOUT_NS;
	char path[64], buf[512];

	snprintf(path, sizeof path, "/proc/%d/stat", (int)tid);
	for (;;) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n;
		char *p;

		if (fd < 0)
			return;
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			return;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return;
		if (rconn_now_ns() > deadline)
			die("task %d never went to sleep", (int)tid);
		sched_yield();
	}
}

/* Whether /proc/locks shows pid blocked on a flock. -1 without /proc/locks. */
static int flock_is_blocked(pid_t pid)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[256];
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof line, f)) {
		char type[16], adv[16], mode[16];
		char *p = strstr(line, "->");
		int lpid;

		if (p && sscanf(p, "-> %15s %15s %15s %d", type, adv, mode, &lpid) == 4 &&
		    strcmp(type, "FLOCK") == 0 && lpid == (int)pid)
			found = 1;
	}
	fclose(f);
	return found;
}

/* ---------------------------------------------------------------------------
 * Latency statistics.
 */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted s[0..n). */
static double pct_us(const int64_t *s, long n, int p)
{
	long rank = (long)(((long long)p * n + 99) / 100);

	return (double)s[rank > 0 ? rank - 1 : 0] / 1000.0;
}

static void print_latency(const char *mode, int64_t *s, long n)
{
	double sum = 0;

	qsort(s, (size_t)n, sizeof *s, cmp_i64);
	for (long i = 0; i < n; i++)
		sum += (double)s[i];
	printf("%s n=%ld p50_us=%.1f p99_us=%.1f mean_us=%.1f min_us=%.1f max_us=%.1f\n", mode, n,
	       pct_us(s, n, 50), pct_us(s, n, 99), sum / (double)n / 1000.0, (double)s[0] / 1000.0,
	       (double)s[n - 1] / 1000.0);
}

static int64_t *alloc_samples(long n)
{
	int64_t *s = calloc((size_t)n, sizeof *s);

	if (!s)
		die("out of memory");
	return s;
}

static void barrier_wait(pthread_barrier_t *b)
{
	int rc = pthread_barrier_wait(b);

	if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
		die("pthread_barrier_wait: %s", strerror(rc));
}

static pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* ---------------------------------------------------------------------------
 * handoff-cachify SOCK N: A holds L; B waits with LOCK.ACQUIRE L WAIT 0;
 * t0 just before A writes LOCK.RELEASE, t1 when B's read returns the grant.
 */

struct handoff {
	const char *sock;
	long rounds;
	pthread_barrier_t start, done;
	pid_t waiter_tid;
	int64_t t1; /* ns, monotonic: B's grant arrived */
};

static void *cachify_waiter_cb(void *arg)
{
	struct handoff *h = arg;
	struct resp_arg acq[] = {LIT("LOCK.ACQUIRE"), LIT(HANDOFF_KEY), LIT("WAIT"), LIT("0")};
	struct resp_arg rel[] = {LIT("LOCK.RELEASE"), LIT(HANDOFF_KEY), {NULL, 0}};
	struct rconn b;
	struct rconn_grant g;

	client_open(&b, h->sock);
	h->waiter_tid = my_tid();
	for (long i = 0; i < h->rounds; i++) {
		int64_t t1;

		barrier_wait(&h->start);
		client_send(&b, 4, acq);
		expect_grant(client_reply_at(&b, &t1), "B: LOCK.ACQUIRE WAIT 0", &g);
		h->t1 = t1;
		rel[2] = (struct resp_arg){g.id, g.len};
		expect_int(client_call(&b, 3, rel), "B: LOCK.RELEASE", 1);
		barrier_wait(&h->done);
	}
	client_close(&b);
	return NULL;
}

static int mode_handoff_cachify(const char *sock, long n)
{
	struct resp_arg acq[] = {LIT("LOCK.ACQUIRE"), LIT(HANDOFF_KEY)};
	struct resp_arg rel[] = {LIT("LOCK.RELEASE"), LIT(HANDOFF_KEY), {NULL, 0}};
	struct handoff h = {.sock = sock, .rounds = n + WARMUP};
	int64_t *s = alloc_samples(n);
	struct rconn a;
	pthread_t tid;
	struct rconn_grant g;
	int rc;

	client_open(&a, sock);
	pthread_barrier_init(&h.start, NULL, 2);
	pthread_barrier_init(&h.done, NULL, 2);
	if ((rc = pthread_create(&tid, NULL, cachify_waiter_cb, &h)) != 0)
		die("pthread_create: %s", strerror(rc));
	for (long i = 0; i < h.rounds; i++) {
		int64_t t0;

		expect_grant(client_call(&a, 2, acq), "A: LOCK.ACQUIRE", &g);
		barrier_wait(&h.start);
		wait_lock_waiters(&a, HANDOFF_KEY, 1);
		wait_task_sleeping(h.waiter_tid);
		rel[2] = (struct resp_arg){g.id, g.len};
		t0 = rconn_now_ns();
		client_send(&a, 3, rel);
		expect_int(client_reply_at(&a, NULL), "A: LOCK.RELEASE", 1);
		barrier_wait(&h.done);
		if (i >= WARMUP)
			s[i - WARMUP] = h.t1 - t0;
	}
	pthread_join(tid, NULL);
	client_close(&a);
	print_latency("handoff-cachify", s, n);
	free(s);
	return 0;
}

/* ---------------------------------------------------------------------------
 * rtt SOCK N: PING round trips, the floor of any handoff through a daemon
 * (one request to it, one reply from it: two wakeups, as in a handoff).
 */

static int mode_rtt(const char *sock, long n)
{
	struct resp_arg ping[] = {LIT("PING")};
	int64_t *s = alloc_samples(n);
	struct rconn c;

	client_open(&c, sock);
	for (long i = 0; i < n + WARMUP; i++) {
		int64_t t0, t1;
		struct resp_reply *r;

		t0 = rconn_now_ns();
		client_send(&c, 1, ping);
		r = client_reply_at(&c, &t1);
		if (r->type != RESP_STRING || strcmp(r->str, "PONG") != 0)
			die("PING: expected +PONG, got %s", reply_desc(r));
		resp_reply_free(r);
		if (i >= WARMUP)
			s[i - WARMUP] = t1 - t0;
	}
	client_close(&c);
	print_latency("rtt", s, n);
	free(s);
	return 0;
}

/* ---------------------------------------------------------------------------
 * handoff-flock FILE N: the parent holds LOCK_EX on one open file
 * description, a forked child blocks in flock(LOCK_EX) on another. t0 (in
 * shared memory) just before the parent's LOCK_UN, t1 when the child's
 * flock returns.
 */

struct flock_shm {
	pthread_barrier_t start, done;
	int64_t t0; /* ns, monotonic: the holder is about to unlock */
	int failed;
	int64_t samples[];
};

static void flock_waiter(const char *file, struct flock_shm *m, long rounds)
{
	int fd = open(file, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		m->failed = 1;
		perror("lockbench: child: open");
	}
	for (long i = 0; i < rounds; i++) {
		int64_t t1;

		barrier_wait(&m->start);
		if (!m->failed && flock(fd, LOCK_EX) != 0) {
			m->failed = 1;
			perror("lockbench: child: flock");
		}
		t1 = rconn_now_ns();
		if (i >= WARMUP)
			m->samples[i - WARMUP] = t1 - __atomic_load_n(&m->t0, __ATOMIC_ACQUIRE);
		if (!m->failed)
			flock(fd, LOCK_UN);
		barrier_wait(&m->done);
		if (m->failed)
			break;
	}
	_exit(m->failed);
}

static int mode_handoff_flock(const char *file, long n)
{
	long rounds = n + WARMUP;
	size_t size = sizeof(struct flock_shm) + (size_t)n * sizeof(int64_t);
	struct flock_shm *m;
	pthread_barrierattr_t ba;
	int fd, status, have_locks;
	pid_t child;

	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	pthread_barrierattr_init(&ba);
	pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
	pthread_barrier_init(&m->start, &ba, 2);
	pthread_barrier_init(&m->done, &ba, 2);
	if ((fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		die("open %s: %s", file, strerror(errno));
	fflush(stdout);
	if ((child = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (child == 0)
		flock_waiter(file, m, rounds);

	have_locks = flock_is_blocked(child) >= 0;
	for (long i = 0; i < rounds; i++) {
		int64_t deadline = rconn_now_ns() + READY_TIMEOUT_NS;

		if (flock(fd, LOCK_EX) != 0)
			die("flock: %s", strerror(errno));
		barrier_wait(&m->start);
		while (have_locks && !m->failed && flock_is_blocked(child) != 1) {
			if (rconn_now_ns() > deadline)
				die("child never blocked in flock (see /proc/locks)");
			sched_yield();
		}
		wait_task_sleeping(child);
		__atomic_store_n(&m->t0, rconn_now_ns(), __ATOMIC_RELEASE);
		if (flock(fd, LOCK_UN) != 0)
			die("flock(LOCK_UN): %s", strerror(errno));
		barrier_wait(&m->done);
		if (m->failed)
			break;
	}
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("flock waiter failed");
	close(fd);
	if (!have_locks)
		fprintf(stderr, "lockbench: no /proc/locks: waiter readiness not verified\n");
	print_latency("handoff-flock", m->samples, n);
	munmap(m, size);
	return 0;
}

/* ---------------------------------------------------------------------------
 * handoff-redis-poll SOCK N: the reference's design on redis-server. The
 * holder has L (SET NX PX 30000); the waiter tries SET L NX PX 30000 and
 * sleeps POLL_MS after each failure. The holder DELs L at a random phase of
 * the waiter's polling; latency runs from just before the DEL is written to
 * the waiter's successful SET reply.
 */

struct poller {
	const char *sock;
	long rounds;
	pthread_barrier_t start, done;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int polling; /* the waiter has failed once this round */
	int64_t t1;  /* ns, monotonic: the waiter's SET succeeded */
};

static void *redis_poller_cb(void *arg)
{
	struct poller *p = arg;
	struct resp_arg set[] = {LIT("SET"), LIT(HANDOFF_KEY), LIT("waiter"),
	                         LIT("NX"),  LIT("PX"),        LIT("30000")};
	struct resp_arg del[] = {LIT("DEL"), LIT(HANDOFF_KEY)};
	struct rconn w;

	client_open(&w, p->sock);
	for (long i = 0; i < p->rounds; i++) {
		barrier_wait(&p->start);
		for (;;) {
			int64_t t1;
			struct resp_reply *r;

			client_send(&w, 6, set);
			r = client_reply_at(&w, &t1);
			if (r->type == RESP_STRING) {
				expect_ok(r, "waiter: SET NX");
				p->t1 = t1;
				break;
			}
			if (r->type != RESP_NIL)
				die("waiter: SET NX: expected +OK or nil, got %s", reply_desc(r));
			resp_reply_free(r);
			pthread_mutex_lock(&p->mu);
			p->polling = 1;
			pthread_cond_signal(&p->cv);
			pthread_mutex_unlock(&p->mu);
			sleep_ns((int64_t)POLL_MS * 1000000);
		}
		expect_int(client_call(&w, 2, del), "waiter: DEL", 1);
		barrier_wait(&p->done);
	}
	client_close(&w);
	return NULL;
}

static int mode_handoff_redis_poll(const char *sock, long n)
{
	struct resp_arg set[] = {LIT("SET"), LIT(HANDOFF_KEY), LIT("holder"),
	                         LIT("NX"),  LIT("PX"),        LIT("30000")};
	struct resp_arg del[] = {LIT("DEL"), LIT(HANDOFF_KEY)};
	struct poller p = {.sock = sock, .rounds = n + 1};
	int64_t *s = alloc_samples(n);
	uint64_t rnd = (uint64_t)rconn_now_ns() | 1;
	struct rconn h;
	pthread_t tid;
	int rc;

	client_open(&h, sock);
	pthread_barrier_init(&p.start, NULL, 2);
	pthread_barrier_init(&p.done, NULL, 2);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	if ((rc = pthread_create(&tid, NULL, redis_poller_cb, &p)) != 0)
		die("pthread_create: %s", strerror(rc));
	for (long i = 0; i < p.rounds; i++) {
		int64_t t0;

		expect_ok(client_call(&h, 6, set), "holder: SET NX");
		barrier_wait(&p.start);
		pthread_mutex_lock(&p.mu);
		while (!p.polling)
			pthread_cond_wait(&p.cv, &p.mu);
		p.polling = 0;
		pthread_mutex_unlock(&p.mu);
		/* Release at a uniformly random point of the polling period. */
		rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
		sleep_ns((int64_t)(rnd % ((uint64_t)POLL_MS * 1000000)));
		t0 = rconn_now_ns();
		client_send(&h, 2, del);
		expect_int(client_reply_at(&h, NULL), "holder: DEL", 1);
		barrier_wait(&p.done);
		if (i >= 1)
			s[i - 1] = p.t1 - t0;
	}
	pthread_join(tid, NULL);
	client_close(&h);
	print_latency("handoff-redis-poll", s, n);
	free(s);
	return 0;
}

/* ---------------------------------------------------------------------------
 * kill-cachify SOCK N: a forked child takes L (session-bound) and sleeps;
 * the parent queues LOCK.ACQUIRE L WAIT 0, then SIGKILLs the child. t0 just
 * before kill(), t1 when the grant's read returns.
 */

static void kill_holder(const char *sock, int ready_fd)
{
	struct resp_arg acq[] = {LIT("LOCK.ACQUIRE"), LIT(HANDOFF_KEY)};
	struct rconn c;
	struct rconn_grant g;

	progname = "lockbench: holder";
	client_open(&c, sock);
	expect_grant(client_call(&c, 2, acq), "holder: LOCK.ACQUIRE", &g);
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

static int mode_kill_cachify(const char *sock, long n)
{
	struct resp_arg acq[] = {LIT("LOCK.ACQUIRE"), LIT(HANDOFF_KEY), LIT("WAIT"), LIT("0")};
	struct resp_arg rel[] = {LIT("LOCK.RELEASE"), LIT(HANDOFF_KEY), {NULL, 0}};
	long rounds = n + WARMUP;
	int64_t *s = alloc_samples(n);
	struct rconn w, ctl;

	client_open(&w, sock);
	client_open(&ctl, sock);
	for (long i = 0; i < rounds; i++) {
		int64_t t0, t1;
		struct rconn_grant g;
		int pfd[2], status;
		char byte;
		pid_t child;

		if (pipe2(pfd, O_CLOEXEC) != 0)
			die("pipe: %s", strerror(errno));
		fflush(stdout);
		if ((child = fork()) < 0)
			die("fork: %s", strerror(errno));
		if (child == 0) {
			close(w.fd);
			close(ctl.fd);
			close(pfd[0]);
			kill_holder(sock, pfd[1]);
		}
		close(pfd[1]);
		if (read(pfd[0], &byte, 1) != 1)
			die("the holder child failed to take the lock");
		close(pfd[0]);

		client_send(&w, 4, acq);
		wait_lock_waiters(&ctl, HANDOFF_KEY, 1);
		t0 = rconn_now_ns();
		if (kill(child, SIGKILL) != 0)
			die("kill: %s", strerror(errno));
		expect_grant(client_reply_at(&w, &t1), "waiter: LOCK.ACQUIRE WAIT 0", &g);
		if (waitpid(child, &status, 0) < 0)
			die("waitpid: %s", strerror(errno));
		rel[2] = (struct resp_arg){g.id, g.len};
		expect_int(client_call(&w, 3, rel), "waiter: LOCK.RELEASE", 1);
		if (i >= WARMUP)
			s[i - WARMUP] = t1 - t0;
	}
	client_close(&ctl);
	client_close(&w);
	print_latency("kill-cachify", s, n);
	free(s);
	return 0;
}

/* ---------------------------------------------------------------------------
 * pairs-cachify SOCK CLIENTS SECONDS lock|pool, pairs-redis SOCK CLIENTS
 * SECONDS, pairs-script SOCK CLIENTS SECONDS SHA: every connection loops
 * acquire + release on its own key, one request in flight, all driven by
 * one epoll loop. pairs-script is redis-py's Lock: SET NX PX, then its
 * release script by EVALSHA (SHA, loaded by the caller).
 */

enum pair_kind { PAIR_LOCK, PAIR_POOL, PAIR_REDIS, PAIR_SCRIPT };

static const char *pair_sha; /* pairs-script: the release script's sha1 */

struct pconn {
	struct rconn c;
	char key[32];
	size_t keylen;
	int releasing;        /* the request in flight is the release */
	struct rconn_grant g; /* what the last acquire granted */
	long long last_fence;
};

static void pair_send_acquire(struct pconn *p, enum pair_kind kind)
{
	struct resp_arg k = {p->key, p->keylen};

	p->releasing = 0;
	if (kind == PAIR_LOCK) {
		struct resp_arg a[] = {LIT("LOCK.ACQUIRE"), k};

		client_send(&p->c, 2, a);
	} else if (kind == PAIR_POOL) {
		struct resp_arg a[] = {LIT("POOL.ACQUIRE"), k, LIT("4")};

		client_send(&p->c, 3, a);
	} else {
		struct resp_arg a[] = {LIT("SET"), k, LIT("v"), LIT("NX"), LIT("PX"), LIT("30000")};

		client_send(&p->c, 6, a);
	}
}

static void pair_send_release(struct pconn *p, enum pair_kind kind)
{
	struct resp_arg k = {p->key, p->keylen}, id = {p->g.id, p->g.len};

	p->releasing = 1;
	if (kind == PAIR_LOCK) {
		struct resp_arg a[] = {LIT("LOCK.RELEASE"), k, id};

		client_send(&p->c, 3, a);
	} else if (kind == PAIR_POOL) {
		struct resp_arg a[] = {LIT("POOL.RELEASE"), k, id};

		client_send(&p->c, 3, a);
	} else if (kind == PAIR_SCRIPT) {
		struct resp_arg a[] = {LIT("EVALSHA"), {pair_sha, strlen(pair_sha)}, LIT("1"), k,
				       LIT("v")};

		client_send(&p->c, 5, a);
	} else {
		struct resp_arg a[] = {LIT("DEL"), k};

		client_send(&p->c, 2, a);
	}
}

/* The command in flight, for messages. */
static const char *pair_cmd(const struct pconn *p, enum pair_kind kind)
{
	static const char *const names[][2] = {
	    [PAIR_LOCK] = {"LOCK.ACQUIRE", "LOCK.RELEASE"},
	    [PAIR_POOL] = {"POOL.ACQUIRE", "POOL.RELEASE"},
	    [PAIR_REDIS] = {"SET NX", "DEL"},
	    [PAIR_SCRIPT] = {"SET NX", "EVALSHA"},
	};

	return names[kind][p->releasing];
}

/* Checks one reply; returns 1 when it completed a pair. */
static int pair_on_reply(struct pconn *p, enum pair_kind kind, struct resp_reply *r)
{
	if (p->releasing) {
		expect_int(r, pair_cmd(p, kind), 1);
		return 1;
	}
	if (kind == PAIR_REDIS || kind == PAIR_SCRIPT) {
		expect_ok(r, pair_cmd(p, kind));
		return 0;
	}
	expect_grant(r, pair_cmd(p, kind), &p->g);
	if (p->g.fence <= p->last_fence)
		die("%s %s: fence %lld not above the previous %lld", pair_cmd(p, kind), p->key,
		    p->g.fence, p->last_fence);
	p->last_fence = p->g.fence;
	return 0;
}

static int mode_pairs(const char *name, const char *sock, long nclients, long seconds,
                      enum pair_kind kind)
{
	struct pconn *pc = calloc((size_t)nclients, sizeof *pc);
	struct epoll_event evs[64];
	long long pairs = 0;
	int64_t start, end, deadline;
	int ep;

	if (!pc)
		die("out of memory");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1: %s", strerror(errno));
	for (long i = 0; i < nclients; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};

		client_open(&pc[i].c, sock);
		pc[i].keylen =
		    (size_t)snprintf(pc[i].key, sizeof pc[i].key, "%s%ld",
		                     kind == PAIR_POOL ? "lockbench:p" : "lockbench:k", i);
		pc[i].last_fence = -1;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, pc[i].c.fd, &ev) != 0)
			die("epoll_ctl: %s", strerror(errno));
	}
	start = rconn_now_ns();
	deadline = start + (int64_t)seconds * 1000000000;
	for (long i = 0; i < nclients; i++)
		pair_send_acquire(&pc[i], kind);
	while ((end = rconn_now_ns()) < deadline) {
		int timeout_ms = (int)((deadline - end) / 1000000) + 1;
		int n = epoll_wait(ep, evs, 64, timeout_ms);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait: %s", strerror(errno));
		for (int e = 0; e < n; e++) {
			struct pconn *p = &pc[evs[e].data.u64];
			struct resp_reply *r;
			int rc;

			client_fill(&p->c, NULL);
			while ((rc = resp_reader_get(&p->c.rd, &r)) == 1) {
				if (pair_on_reply(p, kind, r))
					pairs++;
				if (p->releasing)
					pair_send_acquire(p, kind);
				else
					pair_send_release(p, kind);
			}
			if (rc < 0)
				die("protocol error in reply: %s", p->c.rd.err);
		}
	}
	/* Drain: finish every request in flight and give back what is held, so
	 * no key outlives the run (SET NX keys would otherwise live 30 s). */
	for (long i = 0; i < nclients; i++) {
		struct pconn *p = &pc[i];

		if (!pair_on_reply(p, kind, client_reply_at(&p->c, NULL))) {
			pair_send_release(p, kind);
			pair_on_reply(p, kind, client_reply_at(&p->c, NULL));
		}
		client_close(&p->c);
	}
	close(ep);
	free(pc);
	printf("%s clients=%ld seconds=%ld pairs=%lld pairs_per_s=%.0f\n", name, nclients, seconds,
	       pairs, (double)pairs * 1e9 / (double)(end - start));
	return 0;
}

/* ---------------------------------------------------------------------------
 * multi SOCK CLIENTS SECONDS DEPTH: every connection writes DEPTH
 * transactions at once (MULTI, SET its key, INCR its counter, EXEC), reads
 * their 4 * DEPTH replies, checks each EXEC's array, and starts over. The
 * same bytes go to any RESP server, so the figure compares like for like.
 */

struct mconn {
	struct rconn c;
	char key[32], ctr[32];
	size_t keylen, ctrlen;
	long pending;	     /* replies still due for the batch in flight */
	long long count;     /* the counter's value the next EXEC must show */
};

static void multi_send_batch(struct mconn *m, long depth)
{
	struct resp_arg k = {m->key, m->keylen}, ctr = {m->ctr, m->ctrlen};
	struct resp_arg multi[] = {LIT("MULTI")}, exec[] = {LIT("EXEC")};
	struct resp_arg set[] = {LIT("SET"), k, LIT("value")}, incr[] = {LIT("INCR"), ctr};

	for (long i = 0; i < depth; i++) {
		client_send(&m->c, 1, multi);
		client_send(&m->c, 3, set);
		client_send(&m->c, 2, incr);
		client_send(&m->c, 1, exec);
	}
	m->pending = 4 * depth;
}

/* Checks the reply at its place in the batch; returns 1 for an EXEC. */
static int multi_on_reply(struct mconn *m, const struct resp_reply *r)
{
	long pos = m->pending-- % 4; /* 0 = MULTI, 3 = SET, 2 = INCR, 1 = EXEC */

	if (pos != 1) {
		const char *want = pos == 0 ? "OK" : "QUEUED";

		if (r->type != RESP_STRING || strcmp(r->str, want) != 0)
			die("%s: expected +%s, got %s", pos == 0 ? "MULTI" : "queued command", want,
			    reply_desc(r));
		return 0;
	}
	if (r->type != RESP_ARRAY || r->elements != 2 || r->element[1]->type != RESP_INTEGER ||
	    r->element[1]->integer != ++m->count)
		die("EXEC: %s, want [OK, %lld]", reply_desc(r), m->count);
	return 1;
}

static int mode_multi(const char *sock, long nclients, long seconds, long depth)
{
	struct mconn *mc = calloc((size_t)nclients, sizeof *mc);
	struct epoll_event evs[64];
	long long txs = 0;
	int64_t start, end, deadline;
	int ep;

	if (!mc)
		die("out of memory");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1: %s", strerror(errno));
	for (long i = 0; i < nclients; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
		struct resp_arg del[] = {LIT("DEL"), {NULL, 0}};

		client_open(&mc[i].c, sock);
		mc[i].keylen = (size_t)snprintf(mc[i].key, sizeof mc[i].key, "lockbench:m%ld", i);
		mc[i].ctrlen = (size_t)snprintf(mc[i].ctr, sizeof mc[i].ctr, "lockbench:c%ld", i);
		del[1] = (struct resp_arg){mc[i].ctr, mc[i].ctrlen};
		client_send(&mc[i].c, 2, del);
		resp_reply_free(client_reply_at(&mc[i].c, NULL));
		if (epoll_ctl(ep, EPOLL_CTL_ADD, mc[i].c.fd, &ev) != 0)
			die("epoll_ctl: %s", strerror(errno));
	}
	start = rconn_now_ns();
	deadline = start + (int64_t)seconds * 1000000000;
	for (long i = 0; i < nclients; i++)
		multi_send_batch(&mc[i], depth);
	while ((end = rconn_now_ns()) < deadline) {
		int timeout_ms = (int)((deadline - end) / 1000000) + 1;
		int n = epoll_wait(ep, evs, 64, timeout_ms);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait: %s", strerror(errno));
		for (int e = 0; e < n; e++) {
			struct mconn *m = &mc[evs[e].data.u64];
			struct resp_reply *r;
			int rc;

			client_fill(&m->c, NULL);
			while ((rc = resp_reader_get(&m->c.rd, &r)) == 1) {
				txs += multi_on_reply(m, r);
				resp_reply_free(r);
				if (m->pending == 0)
					multi_send_batch(m, depth);
			}
			if (rc < 0)
				die("protocol error in reply: %s", m->c.rd.err);
		}
	}
	for (long i = 0; i < nclients; i++) {
		while (mc[i].pending > 0) {
			struct resp_reply *r = client_reply_at(&mc[i].c, NULL);

			multi_on_reply(&mc[i], r);
			resp_reply_free(r);
		}
		client_close(&mc[i].c);
	}
	close(ep);
	free(mc);
	printf("multi clients=%ld depth=%ld seconds=%ld tx=%lld tx_per_s=%.0f\n", nclients, depth,
	       seconds, txs, (double)txs * 1e9 / (double)(end - start));
	return 0;
}

static void usage(void) __attribute__((noreturn));

static void usage(void)
{
	fprintf(stderr, "usage: lockbench handoff-cachify SOCK N\n"
	                "       lockbench rtt SOCK N\n"
	                "       lockbench handoff-flock FILE N\n"
	                "       lockbench handoff-redis-poll SOCK N\n"
	                "       lockbench kill-cachify SOCK N\n"
	                "       lockbench pairs-cachify SOCK CLIENTS SECONDS lock|pool\n"
	                "       lockbench pairs-redis SOCK CLIENTS SECONDS\n"
	                "       lockbench pairs-script SOCK CLIENTS SECONDS SHA\n"
	                "       lockbench multi SOCK CLIENTS SECONDS DEPTH\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && strcmp(mode, "handoff-cachify") == 0)
		return mode_handoff_cachify(argv[2], parse_count(argv[3], "N"));
	if (argc == 4 && strcmp(mode, "rtt") == 0)
		return mode_rtt(argv[2], parse_count(argv[3], "N"));
	if (argc == 4 && strcmp(mode, "handoff-flock") == 0)
		return mode_handoff_flock(argv[2], parse_count(argv[3], "N"));
	if (argc == 4 && strcmp(mode, "handoff-redis-poll") == 0)
		return mode_handoff_redis_poll(argv[2], parse_count(argv[3], "N"));
	if (argc == 4 && strcmp(mode, "kill-cachify") == 0)
		return mode_kill_cachify(argv[2], parse_count(argv[3], "N"));
	if (argc == 6 && strcmp(mode, "pairs-cachify") == 0) {
		long nclients = parse_count(argv[3], "CLIENTS"),
		     secs = parse_count(argv[4], "SECONDS");

		if (strcmp(argv[5], "lock") == 0)
			return mode_pairs("pairs-cachify-lock", argv[2], nclients, secs, PAIR_LOCK);
		if (strcmp(argv[5], "pool") == 0)
			return mode_pairs("pairs-cachify-pool", argv[2], nclients, secs, PAIR_POOL);
	}
	if (argc == 5 && strcmp(mode, "pairs-redis") == 0)
		return mode_pairs("pairs-redis", argv[2], parse_count(argv[3], "CLIENTS"),
		                  parse_count(argv[4], "SECONDS"), PAIR_REDIS);
	if (argc == 6 && strcmp(mode, "pairs-script") == 0) {
		pair_sha = argv[5];
		return mode_pairs("pairs-script", argv[2], parse_count(argv[3], "CLIENTS"),
		                  parse_count(argv[4], "SECONDS"), PAIR_SCRIPT);
	}
	if (argc == 6 && strcmp(mode, "multi") == 0)
		return mode_multi(argv[2], parse_count(argv[3], "CLIENTS"),
		                  parse_count(argv[4], "SECONDS"), parse_count(argv[5], "DEPTH"));
	usage();
}
