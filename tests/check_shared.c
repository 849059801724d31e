/* check_shared.c - shared (reader) locks end to end: LOCK.ACQUIRE SHARED
 * beside other readers, writers waiting for every reader, FIFO fairness
 * between readers and writers (no writer starvation, a run of readers at
 * the head granted together), each reader's own TTL, session and token,
 * LOCK.INFO's mode and readers, DEL, a killed reader, the INFO identity,
 * notifications, WATCH, EXEC and another uid's rights.
 *
 * Every test runs its own cachifyd (tests/harness.h) and speaks RESP over
 * its socket.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"
#include "harness.h"

#define SLOW(ms)     ((ms) * h_slow()) /* a bound, scaled for sanitizer builds */
#define POLL_STEP_MS 2		       /* ms between polls of the daemon's state */
#define SETTLE_MS    5000	       /* bound on the daemon reaching a state (times h_slow()) */
#define GRANT_LATE_MS 1000	       /* bound on a grant after its cause (times h_slow()) */
#define QUIET_MS     200	       /* how long "nothing arrives" is watched */
#define TOK_MAX	     64

static struct h_daemon *start(void)
{
	return h_daemon_start("--loglevel", "warning", NULL);
}

/* A grant's token (NUL-terminated) and fence. */
struct hold {
	char token[TOK_MAX];
	long long fence;
};

/* Reads a reply and asserts it is a grant *2 [token, fence]. */
#define expect_hold(c, h) expect_hold_at(__FILE__, __LINE__, c, h)
static void expect_hold_at(const char *file, int line, struct h_client *c, struct hold *h)
{
	struct resp_reply *r = h_reply_at(file, line, c);
	char got[256];

	h_reply_fmt(r, got, sizeof got);
	ck_assert_msg(r->type == RESP_ARRAY && r->elements == 2 &&
			      r->element[0]->type == RESP_BULK && r->element[0]->len < TOK_MAX &&
			      r->element[1]->type == RESP_INTEGER && r->element[1]->integer > 0,
		      "%s:%d: expected a grant [token, fence], got %s", file, line, got);
	memcpy(h->token, r->element[0]->str, r->element[0]->len + 1);
	h->fence = r->element[1]->integer;
	resp_reply_free(r);
}

#define reader(c, h, key, ...)                                              \
	do {                                                                \
		h_cmd(c, "LOCK.ACQUIRE", key, "SHARED", ##__VA_ARGS__);     \
		expect_hold(c, h);                                          \
	} while (0)
#define writer(c, h, key, ...)                                  \
	do {                                                    \
		h_cmd(c, "LOCK.ACQUIRE", key, ##__VA_ARGS__);   \
		expect_hold(c, h);                              \
	} while (0)

/* The value of name in a flat field/value reply; fails if absent. */
#define field(r, name) field_at(__FILE__, __LINE__, r, name)
static const struct resp_reply *field_at(const char *file, int line, const struct resp_reply *r,
					 const char *name)
{
	char got[1024];

	h_reply_fmt(r, got, sizeof got);
	ck_assert_msg(r->type == RESP_ARRAY, "%s:%d: expected pairs, got %s", file, line, got);
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (strcmp(r->element[i]->str, name) == 0)
			return r->element[i + 1];
	ck_abort_msg("%s:%d: no field '%s' in %s", file, line, name, got);
	return NULL;
}

/* LOCK.INFO key's integer field name, or -1 when the key is free. */
#define info_ll(c, key, name) info_ll_at(__FILE__, __LINE__, c, key, name)
static long long info_ll_at(const char *file, int line, struct h_client *c, const char *key,
			    const char *name)
{
	struct resp_reply *r = h_call_at(file, line, c, "LOCK.INFO", key, (const char *)NULL);
	long long v = -1;

	if (r->type != RESP_NIL) {
		const struct resp_reply *f = field_at(file, line, r, name);

		ck_assert_msg(f->type == RESP_INTEGER, "%s:%d: %s is not an integer", file, line,
			      name);
		v = f->integer;
	}
	resp_reply_free(r);
	return v;
}

/* Polls LOCK.INFO key until its field name reads want. */
#define wait_info(c, key, name, want) wait_info_at(__FILE__, __LINE__, c, key, name, want)
static void wait_info_at(const char *file, int line, struct h_client *c, const char *key,
			 const char *name, long long want)
{
	int64_t deadline = h_now_ms() + SLOW(SETTLE_MS);
	long long got;

	while ((got = info_ll_at(file, line, c, key, name)) != want) {
		ck_assert_msg(h_now_ms() < deadline, "%s:%d: LOCK.INFO %s %s is %lld, want %lld",
			      file, line, key, name, got, want);
		h_sleep_ms(POLL_STEP_MS);
	}
}

/* Every hold granted is held or ended one way (INFO locks). */
#define expect_accounting(c) expect_accounting_at(__FILE__, __LINE__, c)
static void expect_accounting_at(const char *file, int line, struct h_client *c)
{
	static const char *const ends[] = {"locks_held", "releases", "session_releases",
					   "expired", "forced_releases"};
	long long grants = h_info_ll_at(file, line, c, "locks", "grants"), sum = 0;

	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
		sum += h_info_ll_at(file, line, c, "locks", ends[i]);
	ck_assert_msg(grants == sum, "%s:%d: INFO locks: grants %lld != held + ended %lld", file,
		      line, grants, sum);
}


/* LOCK.CHECK key fence's reply. */
static long long check_fence(struct h_client *c, const char *key, long long fence)
{
	char f[32];

	snprintf(f, sizeof f, "%lld", fence);
	return h_call_ll(c, "LOCK.CHECK", key, f);
}

/* ---- readers and writers ----------------------------------------------------- */

START_TEST(test_shared_readers_hold_together_and_keep_writers_out)
{
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *b = h_connect(d), *w = h_connect(d);
	struct hold ra, rb;

	reader(a, &ra, "k");
	reader(b, &rb, "k", "PX", "10000");
	ck_assert_str_ne(ra.token, rb.token);
	ck_assert_int_gt(rb.fence, ra.fence);
	h_call_status(w, "lock", "TYPE", "k");
	h_call_bulk(w, ra.token, "GET", "k"); /* the oldest reader's: "locked" */
	h_call_nil(w, "SET", "k", "v", "NX");
	h_call_error(w, "LOCKED ", "LOCK.ACQUIRE", "k");
	h_call_error(w, "TIMEOUT ", "LOCK.ACQUIRE", "k", "WAIT", "50");
	ck_assert_int_eq(check_fence(w, "k", ra.fence), 1);
	ck_assert_int_eq(check_fence(w, "k", rb.fence), 1);
	ck_assert_int_eq(check_fence(w, "k", rb.fence + 1), 0);
	/* Each reader releases its own hold, with its own token. */
	h_call_error(w, "NOTOWNER ", "LOCK.RELEASE", "k", "nope");
	h_call_int(a, 1, "LOCK.RELEASE", "k", ra.token);
	h_call_error(a, "NOTOWNER ", "LOCK.RELEASE", "k", ra.token);
	ck_assert_int_eq(check_fence(w, "k", ra.fence), 0);
	h_call_bulk(w, rb.token, "GET", "k");
	ck_assert_int_eq(info_ll(w, "k", "readers"), 1);
	h_call_int(b, 1, "LOCK.RELEASE", "k", rb.token);
	h_call_int(w, 0, "EXISTS", "k");
	expect_accounting(w);
	ck_assert_int_eq(h_info_ll(w, "locks", "releases"), 2);
	h_close(a);
	h_close(b);
	h_close(w);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_shared_reader_and_writer_exclude_each_other)
{
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *b = h_connect(d);
	struct hold h, r;

	writer(a, &h, "x");
	h_call_error(b, "LOCKED ", "LOCK.ACQUIRE", "x", "SHARED");
	h_ok(b, "SET", "s", "v");
	h_call_error(b, "LOCKED ", "LOCK.ACQUIRE", "s", "SHARED");
	h_call_int(a, 1, "LOCK.RELEASE", "x", h.token);
	reader(b, &r, "x", "TOKEN", "mine");
	ck_assert_str_eq(r.token, "mine");
	h_call_error(a, "LOCKED ", "LOCK.ACQUIRE", "x");
	h_call_error(b, "ERR syntax", "LOCK.ACQUIRE", "x", "SHARED", "SHARED", "EXTRA");
	h_call_error(b, "ERR syntax", "POOL.ACQUIRE", "p", "2", "SHARED");
	h_close(a);
	h_close(b);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_shared_writer_waits_for_every_reader)
{
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *b = h_connect(d), *w = h_connect(d),
			*ctl = h_connect(d);
	struct hold ra, rb, wr;

	reader(a, &ra, "k");
	reader(b, &rb, "k");
	h_cmd(w, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_info(ctl, "k", "waiters", 1);
	h_call_int(a, 1, "LOCK.RELEASE", "k", ra.token);
	ck_assert_msg(h_is_quiet(w, QUIET_MS), "the writer was granted while a reader held");
	h_set_timeout(w, SLOW(GRANT_LATE_MS));
	h_call_int(b, 1, "LOCK.RELEASE", "k", rb.token);
	expect_hold(w, &wr);
	ck_assert_int_gt(wr.fence, rb.fence);
	ck_assert_int_eq(info_ll(ctl, "k", "readers"), 0);
	h_close(a);
	h_close(b);
	h_close(w);
	h_close(ctl);
	h_daemon_finish(d);
}
END_TEST

/* No writer starvation: once a writer waits, readers queue behind it. */
START_TEST(test_shared_reader_behind_a_waiting_writer_waits)
{
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *w = h_connect(d), *b = h_connect(d),
			*ctl = h_connect(d);
	struct hold ra, wr, rb;

	reader(a, &ra, "k");
	h_cmd(w, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_info(ctl, "k", "waiters", 1);
	h_call_error(b, "LOCKED ", "LOCK.ACQUIRE", "k", "SHARED");
	h_cmd(b, "LOCK.ACQUIRE", "k", "SHARED", "WAIT", "0");
	wait_info(ctl, "k", "waiters", 2);
	ck_assert_int_eq(info_ll(ctl, "k", "readers"), 1);
	h_call_int(a, 1, "LOCK.RELEASE", "k", ra.token);
	expect_hold(w, &wr);
	ck_assert_msg(h_is_quiet(b, QUIET_MS), "the reader was granted beside a writer");
	h_call_int(w, 1, "LOCK.RELEASE", "k", wr.token);
	expect_hold(b, &rb);
	ck_assert_int_gt(rb.fence, wr.fence);
	h_close(a);
	h_close(w);
	h_close(b);
	h_close(ctl);
	h_daemon_finish(d);
}
END_TEST

/* A writer that gives up lets the readers behind it join the holders. */
START_TEST(test_shared_readers_behind_a_timed_out_writer_are_granted)
{
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *w = h_connect(d), *b = h_connect(d),
			*ctl = h_connect(d);
	struct hold ra, rb;

	reader(a, &ra, "k");
	h_cmd(w, "LOCK.ACQUIRE", "k", "WAIT", "300");
	wait_info(ctl, "k", "waiters", 1);
	h_cmd(b, "LOCK.ACQUIRE", "k", "SHARED", "WAIT", "0");
	wait_info(ctl, "k", "waiters", 2);
	h_expect_error(w, "TIMEOUT ");
	expect_hold(b, &rb);
	ck_assert_int_eq(info_ll(ctl, "k", "readers"), 2);
	h_close(a);
	h_close(w);
	h_close(b);
	h_close(ctl);
	h_daemon_finish(d);
}
END_TEST

/* A run of readers at the head of the queue is granted in one turn; the
 * writer and the reader behind it keep waiting. */
START_TEST(test_shared_run_of_readers_at_the_head_is_granted_together)
{
	enum { RUN = 3 };
	struct h_daemon *d = start();
	struct h_client *h = h_connect(d), *ctl = h_connect(d), *r[RUN], *w2, *r4;
	struct hold x, g[RUN], y, z;
	struct pollfd p[RUN];

	writer(h, &x, "k");
	for (int i = 0; i < RUN; i++) {
		r[i] = h_connect(d);
		h_cmd(r[i], "LOCK.ACQUIRE", "k", "SHARED", "WAIT", "0");
		wait_info(ctl, "k", "waiters", i + 1);
	}
	w2 = h_connect(d);
	h_cmd(w2, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_info(ctl, "k", "waiters", RUN + 1);
	r4 = h_connect(d);
	h_cmd(r4, "LOCK.ACQUIRE", "k", "SHARED", "WAIT", "0");
	wait_info(ctl, "k", "waiters", RUN + 2);

	h_call_int(h, 1, "LOCK.RELEASE", "k", x.token);
	/* One release, one turn: every reader of the run has its grant when
	 * the releaser has its reply, before any of them was read. */
	for (int i = 0; i < RUN; i++) {
		p[i].fd = r[i]->fd;
		p[i].events = POLLIN;
	}
	ck_assert_int_eq(poll(p, RUN, SLOW(GRANT_LATE_MS)), RUN);
	for (int i = 0; i < RUN; i++)
		expect_hold(r[i], &g[i]);
	ck_assert_int_eq(info_ll(ctl, "k", "readers"), RUN);
	ck_assert_int_eq(info_ll(ctl, "k", "waiters"), 2);
	ck_assert_msg(h_is_quiet(w2, QUIET_MS), "the writer was granted beside readers");
	ck_assert_msg(h_is_quiet(r4, 0), "a reader behind the writer was granted");
	for (int i = 0; i < RUN; i++)
		h_call_int(r[i], 1, "LOCK.RELEASE", "k", g[i].token);
	expect_hold(w2, &y);
	ck_assert_msg(h_is_quiet(r4, QUIET_MS), "a reader was granted beside the writer");
	h_call_int(w2, 1, "LOCK.RELEASE", "k", y.token);
	expect_hold(r4, &z);
	expect_accounting(ctl);
	for (int i = 0; i < RUN; i++)
		h_close(r[i]);
	h_close(w2);
	h_close(r4);
	h_close(h);
	h_close(ctl);
	h_daemon_finish(d);
}
END_TEST

/* ---- each reader's own TTL and session -------------------------------------------- */

START_TEST(test_shared_each_reader_has_its_own_ttl)
{
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *b = h_connect(d), *w = h_connect(d);
	struct hold ra, rb, wr;
	long long pttl;
	int64_t t0;

	reader(a, &ra, "k", "PX", "150");
	reader(b, &rb, "k", "PX", "60000");
	pttl = h_call_ll(w, "PTTL", "k"); /* the key lives as long as its latest reader */
	ck_assert_int_gt(pttl, 50000);
	wait_info(w, "k", "readers", 1);
	ck_assert_int_eq(check_fence(w, "k", ra.fence), 0);
	h_call_error(a, "NOTOWNER ", "LOCK.RELEASE", "k", ra.token);
	h_call_error(a, "NOTOWNER ", "LOCK.RENEW", "k", ra.token, "PX", "1000");
	ck_assert_int_ge(h_info_ll(w, "locks", "expired"), 1);
	/* Renewing one reader shortens the key's life to the new latest. */
	h_call_int(b, 1, "LOCK.RENEW", "k", rb.token, "PX", "300");
	pttl = h_call_ll(w, "PTTL", "k");
	ck_assert_int_gt(pttl, 0);
	ck_assert_int_le(pttl, 300);
	/* A writer waiting on it is woken by that reader's expiry. */
	t0 = h_now_ms();
	h_set_timeout(w, SLOW(GRANT_LATE_MS) + 300);
	writer(w, &wr, "k", "WAIT", "0");
	ck_assert_int_le(h_now_ms() - t0, SLOW(GRANT_LATE_MS) + 300);
	ck_assert_int_eq(h_info_ll(w, "locks", "expired"), 2);
	expect_accounting(w);
	h_close(a);
	h_close(b);
	h_close(w);
	h_daemon_finish(d);
}
END_TEST

/* The first reader lapses while the second holds: a waiting writer is
 * woken by each expiry in turn and granted after the last. */
START_TEST(test_shared_writer_is_granted_when_the_last_reader_expires)
{
	struct h_daemon *d = h_daemon_start("--loglevel", "warning", "--hz", "1", NULL);
	struct h_client *a = h_connect(d), *b = h_connect(d), *w = h_connect(d);
	struct hold ra, rb, wr;
	int64_t t0 = h_now_ms(), took;

	reader(a, &ra, "k", "PX", "150", "DETACH");
	reader(b, &rb, "k", "PX", "450", "DETACH");
	h_set_timeout(w, SLOW(GRANT_LATE_MS) + 450);
	writer(w, &wr, "k", "WAIT", "0");
	took = h_now_ms() - t0;
	ck_assert_msg(took >= 450, "granted %lld ms after the readers, before the last expired",
		      (long long)took);
	/* The once-a-second sweep (hz 1) would be later than this. */
	ck_assert_msg(took <= 450 + SLOW(250), "granted %lld ms after: not woken on time",
		      (long long)took);
	ck_assert_int_eq(h_info_ll(w, "locks", "expired"), 2);
	h_close(a);
	h_close(b);
	h_close(w);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_shared_session_readers_go_with_their_connection_detached_stay)
{
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *b = h_connect(d), *ctl = h_connect(d);
	struct hold ra, rb;

	reader(a, &ra, "k");
	reader(b, &rb, "k", "DETACH");
	h_close(a);
	wait_info(ctl, "k", "readers", 1);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "session_releases"), 1);
	h_close(b);
	h_sleep_ms(QUIET_MS);
	ck_assert_int_eq(info_ll(ctl, "k", "readers"), 1);
	ck_assert_int_eq(info_ll(ctl, "k", "session"), 0);
	h_call_int(ctl, 1, "LOCK.RELEASE", "k", rb.token);
	h_call_int(ctl, 0, "EXISTS", "k");
	expect_accounting(ctl);
	h_close(ctl);
	h_daemon_finish(d);
}
END_TEST

/* ---- LOCK.INFO, DEL, a killed reader ------------------------------------------------ */

START_TEST(test_shared_lock_info_reports_mode_readers_and_the_oldest_reader)
{
	static const char *const names[] = {"token", "fence",  "client-id", "pid",
					    "uid",   "name",   "held-ms",   "ttl-ms",
					    "waiters", "session", "mode",     "readers"};
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *b = h_connect(d), *w = h_connect(d);
	struct hold ra, rb;
	struct resp_reply *r;

	h_ok(a, "CLIENT", "SETNAME", "first");
	h_ok(b, "CLIENT", "SETNAME", "second");
	reader(a, &ra, "k", "PX", "20000");
	reader(b, &rb, "k", "DETACH");
	h_cmd(w, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_info(a, "k", "waiters", 1);
	r = h_call(a, "LOCK.INFO", "k");
	ck_assert_uint_eq(r->elements, 2 * sizeof names / sizeof names[0]);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		ck_assert_str_eq(r->element[2 * i]->str, names[i]);
	ck_assert_str_eq(field(r, "mode")->str, "shared");
	ck_assert_int_eq(field(r, "readers")->integer, 2);
	ck_assert_str_eq(field(r, "token")->str, ra.token);
	ck_assert_int_eq(field(r, "fence")->integer, ra.fence);
	ck_assert_str_eq(field(r, "name")->str, "first");
	ck_assert_int_eq(field(r, "pid")->integer, getpid());
	ck_assert_int_eq(field(r, "session")->integer, 1);
	ck_assert_int_gt(field(r, "ttl-ms")->integer, 15000);
	ck_assert_int_le(field(r, "ttl-ms")->integer, 20000);
	ck_assert_int_eq(field(r, "waiters")->integer, 1);
	resp_reply_free(r);
	/* The oldest gone, the next one speaks for the lock. */
	h_call_int(a, 1, "LOCK.RELEASE", "k", ra.token);
	r = h_call(a, "LOCK.INFO", "k");
	ck_assert_str_eq(field(r, "token")->str, rb.token);
	ck_assert_str_eq(field(r, "name")->str, "second");
	ck_assert_int_eq(field(r, "session")->integer, 0);
	ck_assert_int_eq(field(r, "ttl-ms")->integer, -1);
	ck_assert_int_eq(field(r, "readers")->integer, 1);
	resp_reply_free(r);
	h_call_status(a, "lock", "TYPE", "k");
	h_call_bulk(a, "lock", "OBJECT", "ENCODING", "k");
	h_close(a);
	h_close(b);
	h_close(w);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_shared_del_force_releases_every_reader)
{
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *b = h_connect(d), *w = h_connect(d),
			*ctl = h_connect(d);
	struct hold ra, rb, rc, wr;

	reader(a, &ra, "k");
	reader(b, &rb, "k");
	reader(b, &rc, "k", "DETACH");
	h_cmd(w, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_info(ctl, "k", "waiters", 1);
	h_call_int(ctl, 1, "DEL", "k");
	expect_hold(w, &wr);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "forced_releases"), 3);
	h_call_error(a, "NOTOWNER ", "LOCK.RELEASE", "k", ra.token);
	h_call_error(b, "NOTOWNER ", "LOCK.RELEASE", "k", rb.token);
	h_close(a);
	h_close(b);
	ck_assert_int_eq(info_ll(ctl, "k", "fence"), wr.fence);
	expect_accounting(ctl);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "readers_held"), 0);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "locks_held"), 1);
	h_close(w);
	h_close(ctl);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_shared_killed_reader_process_leaves_the_others)
{
	struct h_daemon *d = start();
	struct h_client *mine = h_connect(d), *w = h_connect(d), *ctl = h_connect(d);
	struct hold theirs, ours, wr;
	int pipefd[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(pipefd), 0);
	fflush(NULL);
	pid = check_fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct h_client *c = h_connect(d);

		close(pipefd[0]);
		reader(c, &theirs, "k", "PX", "60000");
		if (write(pipefd[1], &theirs, sizeof theirs) != (ssize_t)sizeof theirs)
			_exit(2);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	ck_assert_int_eq(read(pipefd[0], &theirs, sizeof theirs), sizeof theirs);
	close(pipefd[0]);
	reader(mine, &ours, "k");
	h_cmd(w, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_info(ctl, "k", "waiters", 1);
	ck_assert_int_eq(info_ll(ctl, "k", "pid"), pid); /* the oldest reader */
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	wait_info(ctl, "k", "readers", 1);
	ck_assert_int_eq(info_ll(ctl, "k", "pid"), getpid());
	ck_assert_msg(h_is_quiet(w, QUIET_MS), "the writer was granted while a reader held");
	h_call_error(ctl, "NOTOWNER ", "LOCK.RELEASE", "k", theirs.token);
	h_set_timeout(w, SLOW(GRANT_LATE_MS));
	h_call_int(mine, 1, "LOCK.RELEASE", "k", ours.token);
	expect_hold(w, &wr);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "session_releases"), 1);
	expect_accounting(ctl);
	h_close(mine);
	h_close(w);
	h_close(ctl);
	h_daemon_finish(d);
}
END_TEST

/* ---- with the rest of the server ------------------------------------------------ */

/* Reads one pub/sub message and asserts its channel and payload. */
static void expect_event(struct h_client *c, const char *channel, const char *event)
{
	struct resp_reply *r = h_reply(c);

	ck_assert_msg(r->type == RESP_ARRAY && r->elements == 3, "not a message");
	ck_assert_str_eq(r->element[0]->str, "message");
	ck_assert_str_eq(r->element[1]->str, channel);
	ck_assert_str_eq(r->element[2]->str, event);
	resp_reply_free(r);
}

START_TEST(test_shared_readers_notify_acquire_and_release)
{
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *b = h_connect(d), *s = h_connect(d);
	struct hold ra, rb;
	struct resp_reply *r;

	h_ok(a, "CONFIG", "SET", "notify-keyspace-events", "KL");
	h_cmd(s, "SUBSCRIBE", "__keyspace@0__:k");
	r = h_reply(s);
	resp_reply_free(r);
	reader(a, &ra, "k");
	expect_event(s, "__keyspace@0__:k", "lock.acquire");
	reader(b, &rb, "k");
	expect_event(s, "__keyspace@0__:k", "lock.acquire");
	h_call_int(a, 1, "LOCK.RELEASE", "k", ra.token);
	expect_event(s, "__keyspace@0__:k", "lock.release");
	h_close(b); /* the last reader's session ends */
	expect_event(s, "__keyspace@0__:k", "lock.release");
	ck_assert(h_is_quiet(s, QUIET_MS));
	h_close(a);
	h_close(s);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_shared_reader_joining_or_leaving_fails_a_watch_and_exec_never_blocks)
{
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *b = h_connect(d), *w = h_connect(d);
	struct hold ra, rb, x;
	struct resp_reply *r;

	reader(a, &ra, "k");
	h_ok(w, "WATCH", "k");
	reader(b, &rb, "k");
	h_ok(w, "MULTI");
	h_call_status(w, "QUEUED", "GET", "k");
	h_call_nil(w, "EXEC");
	h_ok(w, "WATCH", "k");
	h_call_int(b, 1, "LOCK.RELEASE", "k", rb.token);
	h_ok(w, "MULTI");
	h_call_status(w, "QUEUED", "GET", "k");
	h_call_nil(w, "EXEC");
	/* Inside EXEC a reader is granted at once or refused, never queued. */
	writer(b, &x, "busy");
	h_ok(w, "MULTI");
	h_call_status(w, "QUEUED", "LOCK.ACQUIRE", "k", "SHARED", "WAIT", "0");
	h_call_status(w, "QUEUED", "LOCK.ACQUIRE", "busy", "SHARED", "WAIT", "0");
	r = h_call(w, "EXEC");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_int_eq(r->element[0]->type, RESP_ARRAY);
	ck_assert_int_eq(r->element[1]->type, RESP_ERROR);
	ck_assert(strncmp(r->element[1]->str, "LOCKED ", 7) == 0);
	resp_reply_free(r);
	ck_assert_int_eq(info_ll(a, "k", "readers"), 2);
	/* A script takes a reader's hold as a client does. */
	r = h_call(a, "EVAL", "return redis.call('LOCK.ACQUIRE', KEYS[1], 'SHARED')[2]", "1",
		   "k");
	ck_assert_int_eq(r->type, RESP_INTEGER);
	resp_reply_free(r);
	ck_assert_int_eq(info_ll(a, "k", "readers"), 3);
	h_close(a);
	h_close(b);
	h_close(w);
	h_daemon_finish(d);
}
END_TEST

/* The CLIENT LIST line of the client named name contains want. */
static void expect_client_line(struct h_client *c, const char *name, const char *want)
{
	struct resp_reply *r = h_call(c, "CLIENT", "LIST");
	char needle[64];
	const char *p, *end;

	ck_assert_int_eq(r->type, RESP_BULK);
	snprintf(needle, sizeof needle, " name=%s ", name);
	ck_assert_msg((p = strstr(r->str, needle)) != NULL, "no %s in:\n%s", name, r->str);
	end = strchr(p, '\n');
	ck_assert_ptr_nonnull(end);
	ck_assert_msg(memmem(p, (size_t)(end - p), want, strlen(want)) != NULL,
		      "%s's line lacks '%s':\n%.*s", name, want, (int)(end - p), p);
	resp_reply_free(r);
}

START_TEST(test_shared_client_list_counts_reader_holds_and_waits)
{
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *w = h_connect(d), *b = h_connect(d);
	struct hold r1, r2, r3;

	h_ok(a, "CLIENT", "SETNAME", "reader");
	h_ok(w, "CLIENT", "SETNAME", "writer");
	h_ok(b, "CLIENT", "SETNAME", "late");
	reader(a, &r1, "k");
	reader(a, &r2, "k"); /* one client may hold two readers' holds */
	reader(a, &r3, "other", "DETACH");
	expect_client_line(a, "reader", " holds=2 ");
	h_cmd(w, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_info(a, "k", "waiters", 1);
	h_cmd(b, "LOCK.ACQUIRE", "k", "SHARED", "WAIT", "0");
	wait_info(a, "k", "waiters", 2);
	expect_client_line(a, "writer", " waits=k");
	expect_client_line(a, "late", " waits=k");
	ck_assert_int_eq(h_info_ll(a, "locks", "readers_held"), 3);
	ck_assert_int_eq(h_info_ll(a, "locks", "waiters"), 2);
	/* The writer hangs up: the reader behind it joins the holders. */
	h_set_timeout(b, SLOW(GRANT_LATE_MS));
	h_close(w);
	expect_hold(b, &r3);
	ck_assert_int_eq(info_ll(a, "k", "readers"), 3);
	ck_assert_int_eq(info_ll(a, "k", "waiters"), 0);
	h_close(a);
	wait_info(b, "k", "readers", 1);
	h_close(b);
	h_daemon_finish(d);
}
END_TEST

/* Eviction never takes a shared lock, whatever the policy. */
START_TEST(test_shared_locks_are_never_evicted)
{
	struct h_daemon *d = h_daemon_start("--loglevel", "warning", "--maxmemory", "2mb",
					    "--maxmemory-policy", "allkeys-lru", NULL);
	struct h_client *a = h_connect(d);
	struct hold r;
	char key[32], val[1024];

	memset(val, 'v', sizeof val - 1);
	val[sizeof val - 1] = '\0';
	reader(a, &r, "k");
	for (int i = 0; i < 4000; i++) {
		snprintf(key, sizeof key, "fill:%d", i);
		h_ok(a, "SET", key, val);
	}
	ck_assert_int_gt(h_info_ll(a, "stats", "evicted_keys"), 0);
	ck_assert_int_eq(info_ll(a, "k", "readers"), 1);
	ck_assert_int_eq(check_fence(a, "k", r.fence), 1);
	h_close(a);
	h_daemon_finish(d);
}
END_TEST

/* Another uid shares the read lock but may neither release a reader's hold
 * nor delete the lock (the tests run as root, the admin; a child takes the
 * uid of nobody and reports by its exit status). */
START_TEST(test_shared_lock_of_another_uid_cannot_be_released_or_deleted)
{
	struct h_daemon *d = h_daemon_new();
	const char *args[] = {"--unixsocketperm", "0666", "--allow-uid", "*", NULL};
	struct passwd *pw = getpwnam("nobody");
	char pub[] = "/tmp/cachify-shared.XXXXXX";
	struct h_client *c;
	struct hold mine;
	int status;
	pid_t pid;

	ck_assert_msg(getuid() == 0 && pw, "this test takes the uid of nobody: run it as root");
	ck_assert_ptr_nonnull(mkdtemp(pub));
	ck_assert_int_eq(chmod(pub, 0755), 0);
	snprintf(d->sock, sizeof d->sock, "%s/sock", pub);
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	c = h_connect(d);
	reader(c, &mine, "k", "DETACH");
	fflush(NULL);
	pid = check_fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct h_client *n;
		struct hold theirs;

		if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
			_exit(2);
		n = h_connect_path(d->sock);
		reader(n, &theirs, "k");
		h_call_error(n, "NOTOWNER ", "LOCK.RELEASE", "k", mine.token);
		h_call_error(n, "NOTOWNER ", "LOCK.RENEW", "k", mine.token, "PX", "10");
		h_call_error(n, "NOPERM ", "DEL", "k");
		h_call_int(n, 1, "LOCK.RELEASE", "k", theirs.token);
		h_call_error(n, "NOPERM ", "DEL", "k");
		h_close(n);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the other uid's checks failed: status 0x%x", status);
	ck_assert_int_eq(info_ll(c, "k", "readers"), 1);
	h_call_int(c, 1, "DEL", "k"); /* the holder may */
	h_close(c);
	h_daemon_finish(d);
	h_rm_rf(pub);
}
END_TEST

Suite *shared_suite(void)
{
	Suite *s = suite_create("shared");
	TCase *tc = tcase_create("readers and writers");

	tcase_set_timeout(tc, 30 * h_slow());
	tcase_add_test(tc, test_shared_readers_hold_together_and_keep_writers_out);
	tcase_add_test(tc, test_shared_reader_and_writer_exclude_each_other);
	tcase_add_test(tc, test_shared_writer_waits_for_every_reader);
	tcase_add_test(tc, test_shared_reader_behind_a_waiting_writer_waits);
	tcase_add_test(tc, test_shared_readers_behind_a_timed_out_writer_are_granted);
	tcase_add_test(tc, test_shared_run_of_readers_at_the_head_is_granted_together);
	suite_add_tcase(s, tc);

	tc = tcase_create("ttl and session");
	tcase_set_timeout(tc, 30 * h_slow());
	tcase_add_test(tc, test_shared_each_reader_has_its_own_ttl);
	tcase_add_test(tc, test_shared_writer_is_granted_when_the_last_reader_expires);
	tcase_add_test(tc, test_shared_session_readers_go_with_their_connection_detached_stay);
	tcase_add_test(tc, test_shared_lock_info_reports_mode_readers_and_the_oldest_reader);
	tcase_add_test(tc, test_shared_del_force_releases_every_reader);
	tcase_add_test(tc, test_shared_killed_reader_process_leaves_the_others);
	suite_add_tcase(s, tc);

	tc = tcase_create("with the server");
	tcase_set_timeout(tc, 30 * h_slow());
	tcase_add_test(tc, test_shared_readers_notify_acquire_and_release);
	tcase_add_test(tc, test_shared_reader_joining_or_leaving_fails_a_watch_and_exec_never_blocks);
	tcase_add_test(tc, test_shared_lock_of_another_uid_cannot_be_released_or_deleted);
	tcase_add_test(tc, test_shared_client_list_counts_reader_holds_and_waits);
	tcase_add_test(tc, test_shared_locks_are_never_evicted);
	suite_add_tcase(s, tc);
	return s;
}
