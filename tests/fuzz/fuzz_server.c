/* fuzz_server.c - libFuzzer target for the whole daemon path: connection,
 * parse, dispatch, handlers, wait queues and replies, on the fake clock.
 *
 * Four clients, each a real struct conn (conn_new) on one end of a
 * socketpair; the harness keeps the other end. The input is a list of lines
 * "<client><op><payload>\n" (client = the byte's low 2 bits):
 *
 *   N>bytes   client N sends bytes and '\n'; "@M" (M = 0..3) in bytes is
 *             replaced by the last grant id (token, slot id) M received
 *   N+bytes   the same without the '\n' (requests split anywhere)
 *   Nt<ms>    advance the fake clock, monotonic and wall
 *   Nr        run the loop until quiet, then check
 *   Ne        one active-expiry sweep, as server.c's expire_cb does
 *   Nx / No   close client N's end / connect client N again
 *   Ns        client N stops (or starts again) reading its replies
 *   NC<directive> <value>   a runtime directive changes, as on SIGHUP
 *
 * Other ops ('#' comments) are skipped. Client 3 is not an admin.
 * libevent reads CLOCK_MONOTONIC through clock_gettime, interposed here, so
 * WAIT deadlines and the wait queues' expiry timers fire exactly when the
 * fake clock passes them. Not reached: server.c's cron (idle and request
 * timeouts), signals, the listener, systemd notification.
 *
 * At every quiet point (no active event, every socket drained) the state is
 * checked (fuzz_server_check.c): holders, waiters, the grant accounting,
 * memory, one reply per command, no head left waiting on a free key, and
 * against the previous quiet point, FIFO order per key. A violation prints
 * what and aborts; teardown checks that every conn goes by its own close
 * path and that the flushed keyspace is back to its empty size.
 */
#include <dlfcn.h>
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "clock.h"
#include "config.h"
#include "conn.h"
#include "dict.h"
#include "command.h"
#include "dispatch.h"
#include "lock.h"
#include "log.h"
#include "pool.h"
#include "random.h"
#include "security.h"
#include "server.h"
#include "store.h"
#include "waitq.h"

#include "fuzz_server.h"

#define NONADMIN_UID 65534	     /* client 3's uid: not in admin-uid */
#define START_MS     1000000	     /* ms, fake monotonic clock at the start */
#define START_WALL   1700000000000LL /* ms since the epoch, fake wall clock */
#define ADVANCE_MAX  100000000	     /* ms, largest single clock step */
#define QUIET_TURNS  256	     /* loop turns allowed to reach a quiet point */
#define OPENS_MAX    32		     /* connections made per input */
#define SOCK_BUF     4096	     /* bytes, both ends' send buffers: short writes */

_Noreturn void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
	abort();
}

/* ---- time: one fake clock for the daemon and for libevent ---------------- */

static bool fake_mono;	    /* clock_gettime's monotonic clocks are fake */
int64_t now_ms;
int64_t now_wall_ms;

typedef int clock_gettime_fn(clockid_t, struct timespec *);

int clock_gettime(clockid_t id, struct timespec *ts)
{
	static clock_gettime_fn *real;

	if (fake_mono && (id == CLOCK_MONOTONIC || id == CLOCK_MONOTONIC_COARSE)) {
		ts->tv_sec = now_ms / 1000;
		ts->tv_nsec = (long)(now_ms % 1000) * 1000000;
		return 0;
	}
	if (!real)
		real = (clock_gettime_fn *)dlsym(RTLD_NEXT, "clock_gettime");
	return real(id, ts);
}

static void time_advance(int64_t ms)
{
	now_ms += ms;
	now_wall_ms += ms;
	clock_fake_set(now_ms, now_wall_ms);
}

/* Tokens and the hash seed from a fixed stream: inputs replay exactly. */
static uint64_t rng_state;

static ssize_t fake_random(void *buf, size_t n, unsigned flags)
{
	unsigned char *p = buf;

	(void)flags;
	for (size_t i = 0; i < n; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 7;
		rng_state ^= rng_state << 17;
		p[i] = (unsigned char)rng_state;
	}
	return (ssize_t)n;
}

/* ---- clients --------------------------------------------------------------- */

struct client cl[NCLIENTS];
static int opens;
static bool trace; /* FUZZ_SERVER_TRACE: print every reply (writing seeds) */
static bool exited;	   /* the daemon would have left server_run() */
static size_t empty_bytes; /* used memory of the new, empty keyspace */

static void client_open(int i)
{
	struct client *k = &cl[i];
	struct ucred cred = {.pid = 4242 + i, .uid = i == 3 ? NONADMIN_UID : getuid(),
			     .gid = getgid()};
	int sv[2], sz = SOCK_BUF;
	struct conn *c;

	if (k->fd >= 0 || opens >= OPENS_MAX || server.shutting_down)
		return;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	c = conn_new(sv[1], &cred);
	CHECK(c != NULL);
	opens++;
	k->fd = sv[0];
	k->id = c->id;
	k->stalled = false;
	k->uncertain = true;
	k->replies = k->cmds = 0;
	k->mirror_off = false;
	k->pending.len = k->mbuf.len = 0;
	resp_reader_free(&k->rd);
	resp_reader_init(&k->rd);
	resp_req_free(&k->mreq);
	resp_req_init(&k->mreq, &server.lim);
}

static void client_close(int i)
{
	if (cl[i].fd < 0)
		return;
	close(cl[i].fd);
	cl[i].fd = -1;
	cl[i].uncertain = true;
}

/* The mirror parses what was sent, as the daemon will. */
static void mirror_feed(struct client *k, const char *p, size_t n)
{
	size_t used;
	int rc;

	if (k->mirror_off)
		return;
	CHECK(resp_buf_append(&k->mbuf, p, n) == 0);
	while ((rc = resp_req_parse(&k->mreq, k->mbuf.data, k->mbuf.len, &used)) == 1) {
		if (k->mreq.argc > 0)
			k->cmds++;
		resp_buf_consume(&k->mbuf, used);
	}
	if (rc < 0)
		k->mirror_off = true; /* the daemon closes on it too */
}

/* Queues bytes, replacing "@M" by client M's last grant id. */
static void client_send(int i, const char *p, size_t n, bool newline)
{
	struct client *k = &cl[i];
	size_t from = k->pending.len;

	if (k->fd < 0)
		return;
	for (size_t j = 0; j < n; j++) {
		if (p[j] == '@' && j + 1 < n && p[j + 1] >= '0' && p[j + 1] <= '3') {
			const struct client *m = &cl[p[j + 1] - '0'];

			CHECK(resp_buf_append(&k->pending, m->last_id, m->last_id_len) == 0);
			j++;
		} else {
			CHECK(resp_buf_append(&k->pending, &p[j], 1) == 0);
		}
	}
	if (newline)
		CHECK(resp_buf_append(&k->pending, "\n", 1) == 0);
	mirror_feed(k, k->pending.data + from, k->pending.len - from);
}

static void client_push(struct client *k)
{
	while (k->fd >= 0 && k->pending.len > 0) {
		ssize_t n = write(k->fd, k->pending.data, k->pending.len);

		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			k->pending.len = 0; /* the daemon hung up: nobody reads it */
		if (n <= 0)
			return;
		resp_buf_consume(&k->pending, (size_t)n);
	}
}

static void client_reply(struct client *k, const struct resp_reply *r)
{
	bool grant = r->type == RESP_ARRAY && r->elements == 2 &&
		     r->element[0]->type == RESP_BULK && r->element[1]->type == RESP_INTEGER;

	k->replies++;
	if (k->replies_since++ == 0) {
		k->first_is_grant = grant;
		k->first_fence = grant ? (uint64_t)r->element[1]->integer : 0;
	}
	if (grant) {
		CHECK(r->element[0]->len > 0 && r->element[0]->len <= GRANT_TOKEN_MAX);
		memcpy(k->last_id, r->element[0]->str, r->element[0]->len);
		k->last_id_len = r->element[0]->len;
	}
}

/* Reads what the daemon wrote; every reply must be well-formed RESP. */
static void client_drain(struct client *k)
{
	char buf[16384];
	struct resp_reply *r;
	ssize_t n;
	int rc;

	if (k->fd < 0 || k->stalled)
		return;
	while ((n = read(k->fd, buf, sizeof buf)) > 0) {
		if (trace)
			fprintf(stderr, "client %d <- %.*s\n", (int)(k - cl), (int)n, buf);
		CHECK(resp_reader_feed(&k->rd, buf, (size_t)n) == 0);
		while ((rc = resp_reader_get(&k->rd, &r)) == 1) {
			client_reply(k, r);
			resp_reply_free(r);
		}
		CHECK(rc == 0);
	}
}

static size_t unread(int fd)
{
	int n = 0;

	return ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? (size_t)n : 0;
}

/* ---- the loop ------------------------------------------------------------- */

static bool is_quiet(void)
{
	struct conn *c;

	if (event_base_get_num_events(server.base, EVENT_BASE_COUNT_ACTIVE) > 0)
		return false;
	for (int i = 0; i < NCLIENTS; i++)
		if (cl[i].fd >= 0 &&
		    (cl[i].pending.len > 0 || (!cl[i].stalled && unread(cl[i].fd) > 0)))
			return false;
	LIST_FOREACH(c, &server.clients, link) {
		bool stalled = false, open = false;

		for (int i = 0; i < NCLIENTS; i++)
			if (cl[i].id == c->id) {
				open = cl[i].fd >= 0;
				stalled = cl[i].stalled;
			}
		/* A closed peer is pending EOF: its conn must still go. */
		if (!open || unread(c->fd) > 0 || (conn_pending_out(c) > 0 && !stalled))
			return false;
	}
	return true;
}

/* Runs loop turns until nothing is left to do; false if that never came. */
static bool run_until_quiet(void)
{
	for (int turn = 0; turn < QUIET_TURNS && !exited; turn++) {
		for (int i = 0; i < NCLIENTS; i++)
			client_push(&cl[i]);
		event_base_loop(server.base, EVLOOP_NONBLOCK);
		for (int i = 0; i < NCLIENTS; i++)
			client_drain(&cl[i]);
		if (server.shutting_down && server.nclients == 0)
			exited = true;
		if (is_quiet())
			return true;
	}
	return false;
}

static void shutdown_grace_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	exited = true;
	event_base_loopbreak(server.base);
}

/* "NC<directive> <value>": what a reload may change at run time. */
static void reload_one(const char *p, size_t n)
{
	static const char *const allowed[] = {
		"maxmemory",	  "maxmemory-policy", "proto-inline-max",
		"proto-max-bulk-len", "proto-max-args", "client-query-buffer-limit",
		"client-output-buffer-limit", "lock-max-waiters", "hz",
	};
	char line[256], err[CONFIG_ERR_MAX], *value;
	struct config next;
	bool ok = false;

	if (n >= sizeof line || !(value = memchr(p, ' ', n)))
		return;
	memcpy(line, p, n);
	line[n] = '\0';
	value = line + (value - p);
	*value++ = '\0';
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		ok |= strcmp(line, allowed[i]) == 0;
	if (!ok || config_copy(&next, &server.cfg) != 0)
		return;
	if (config_set(&next, line, value, err) != 0 || config_validate(&next, err) != 0) {
		config_free(&next);
		return;
	}
	config_free(&server.cfg);
	server.cfg = next;
	server_apply_config();
	log_set_level(trace ? LOG_DEBUG_ : LOG_WARNING_ + 1);
	/* Requests half-parsed under the old limits: the mirror cannot follow. */
	for (int i = 0; i < NCLIENTS; i++)
		cl[i].mirror_off = true;
}

static void run_and_check(void)
{
	if (run_until_quiet())
		check_quiet();
}

/* ---- one input ------------------------------------------------------------ */

static void server_up(void)
{
	struct event_config *ec = event_config_new();

	now_ms = START_MS;
	now_wall_ms = START_WALL;
	clock_fake_set(now_ms, now_wall_ms);
	fake_mono = true;
	rng_state = 0x9e3779b97f4a7c15ULL;
	random_set_source(fake_random);
	memset(&server.stats, 0, sizeof server.stats);
	server.next_client_id = 0;
	server.shutting_down = false;
	exited = false;
	opens = 0;
	config_defaults(&server.cfg);
	/* As server_init: precise timers. */
	CHECK(ec && event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER) == 0);
	server.base = event_base_new_with_config(ec);
	event_config_free(ec);
	server.store = server_store_new();
	CHECK(server.base && server.store && command_init() == 0);
	empty_bytes = store_used_memory(server.store);
	waitq_init(server.base);
	server_apply_config();
	log_set_level(trace ? LOG_DEBUG_ : LOG_WARNING_ + 1);
	server.ev_shutdown = evtimer_new(server.base, shutdown_grace_cb, NULL);
	CHECK(server.ev_shutdown != NULL);
	server.start_ms = clock_ms();
	server.start_wall = (time_t)(now_wall_ms / 1000);
	for (int i = 0; i < NCLIENTS; i++) {
		cl[i].fd = -1;
		cl[i].last_id_len = 0;
		resp_buf_init(&cl[i].pending);
		resp_buf_init(&cl[i].mbuf);
		resp_reader_init(&cl[i].rd);
		resp_req_init(&cl[i].mreq, &server.lim);
		client_open(i);
	}
}

/* Every client hangs up and every conn must go through its own close
 * path; then the keyspace is flushed and everything freed. */
static void server_down(void)
{
	const struct lock_stats *ls = lock_stats();
	const struct pool_stats *ps = pool_stats();

	for (int i = 0; i < NCLIENTS; i++)
		client_close(i);
	if (!exited) {
		run_until_quiet();
		CHECK(server.nclients == 0);
	}
	while (!LIST_EMPTY(&server.clients))
		conn_free(LIST_FIRST(&server.clients));
	CHECK(waitq_waiting() == 0);
	store_flushall(server.store);
	CHECK(lock_count() == 0 && pool_count() == 0 && pool_slot_count() == 0);
	CHECK(ls->grants == ls->releases + ls->session_releases + ls->expired + ls->forced);
	CHECK(ps->grants == ps->releases + ps->session_releases + ps->expired + ps->forced);
	CHECK(store_used_memory(server.store) == empty_bytes);
	waitq_free();
	store_free(server.store);
	server.store = NULL;
	event_free(server.ev_shutdown);
	server.ev_shutdown = NULL;
	command_free();
	event_base_free(server.base);
	server.base = NULL;
	config_free(&server.cfg);
	security_free();
	for (int i = 0; i < NCLIENTS; i++) {
		resp_buf_free(&cl[i].pending);
		resp_buf_free(&cl[i].mbuf);
		resp_reader_free(&cl[i].rd);
		resp_req_free(&cl[i].mreq);
	}
	check_reset();
	random_set_source(NULL);
	clock_fake_off();
	fake_mono = false;
}

static void run_line(const char *p, size_t n)
{
	int i;

	if (n < 2)
		return;
	i = p[0] & 3;
	switch (p[1]) {
	case '>':
		client_send(i, p + 2, n - 2, true);
		break;
	case '+':
		client_send(i, p + 2, n - 2, false);
		break;
	case 't': {
		int64_t ms = 0;

		for (size_t j = 2; j < n && p[j] >= '0' && p[j] <= '9' && ms <= ADVANCE_MAX; j++)
			ms = ms * 10 + (p[j] - '0');
		time_advance(ms > ADVANCE_MAX ? ADVANCE_MAX : ms);
		break;
	}
	case 'r':
		run_and_check();
		break;
	case 'e':
		store_expire_cycle(server.store, clock_ms(), SIZE_MAX);
		waitq_run();
		break;
	case 'x':
		client_close(i);
		break;
	case 'o':
		client_open(i);
		break;
	case 's':
		cl[i].stalled = !cl[i].stalled;
		cl[i].uncertain = true;
		break;
	case 'C':
		reload_one(p + 2, n - 2);
		break;
	default:
		break;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	trace = getenv("FUZZ_SERVER_TRACE") != NULL;
	/* The hash seed is drawn once per process: from the fixed stream too. */
	rng_state = 0x9e3779b97f4a7c15ULL;
	random_set_source(fake_random);
	dict_seed_init();
	random_set_source(NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	server_up();
	while (p < end && !exited) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		run_line(p, n);
		p += n + 1;
	}
	if (!exited)
		run_and_check();
	server_down();
	return 0;
}
