/* check_lock.c - locks and pools end to end: every reply and error of LOCK.*
 * and POOL.*, fencing, session-bound ownership, the keyspace they share with
 * plain keys, FIFO wait queues and their races, and mutual exclusion measured
 * by forked clients in shared memory.
 *
 * Every test runs its own cachifyd (tests/harness.h) and speaks RESP over
 * its socket; nothing reaches into the daemon's modules.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"
#include "harness.h"
#include "grant.h" /* GRANT_TOKEN_MAX, GRANT_TOKEN_HEX */
#include "pool.h"  /* POOL_MAX_SIZE */

#define SLOW(ms)	((ms) * h_slow()) /* a bound, scaled for sanitizer builds */
#define POLL_STEP_MS	2		  /* ms between polls of the daemon's state */
#define SETTLE_MS	5000		  /* bound on the daemon reaching a state (times h_slow()) */
#define GRANT_LATE_MS	1000		  /* bound on a grant after its cause (times h_slow()) */
#define QUIET_MS	200		  /* how long "nothing arrives" is watched */
#define EARLY_MS	5		  /* ms a WAIT may end early (libevent's cached time) */

/* Expiry wake-ups are timed on a daemon started with --hz 1: its active
 * expiry sweep runs once a second, so a waiter the queue's own timer failed
 * to wake waits for the sweep. STAGGER_N keys expire STAGGER_STEP_MS apart:
 * whatever the sweep's phase, a missed wake-up then lags at least
 * 1000 - STAGGER_STEP_MS ms, more than SLOW(WAKE_LATE_MS) even under ASan. */
#define STAGGER_N	 5   /* keys whose blockers expire one after another */
#define STAGGER_FIRST_MS 150 /* ms until the first one expires */
#define STAGGER_STEP_MS	 200 /* ms between expiries */
#define WAKE_LATE_MS	 250 /* ms a wake-up may lag the expiry (times h_slow()) */

/* ---- local helpers -------------------------------------------------------- */

static struct h_daemon *start(void)
{
	return h_daemon_start("--loglevel", "warning", NULL);
}

/* A grant: *2 [token or slot id, fence]. */
struct grant {
	char id[GRANT_TOKEN_MAX + 1]; /* NUL-terminated copy (ids may hold NULs: see len) */
	size_t len;
	long long fence;
};

static bool is_grant(const struct resp_reply *r)
{
	return r->type == RESP_ARRAY && r->elements == 2 && r->element[0]->type == RESP_BULK &&
	       r->element[0]->len >= 1 && r->element[0]->len <= GRANT_TOKEN_MAX &&
	       r->element[1]->type == RESP_INTEGER && r->element[1]->integer > 0;
}

static void grant_copy(const struct resp_reply *r, struct grant *g)
{
	g->len = r->element[0]->len;
	memcpy(g->id, r->element[0]->str, g->len);
	g->id[g->len] = '\0';
	g->fence = r->element[1]->integer;
}

/* Reads one reply and asserts it is a grant. */
#define expect_grant(c, g) expect_grant_at(__FILE__, __LINE__, c, g)
static void expect_grant_at(const char *file, int line, struct h_client *c, struct grant *g)
{
	struct resp_reply *r = h_reply_at(file, line, c);
	char got[512];

	h_reply_fmt(r, got, sizeof got);
	ck_assert_msg(is_grant(r), "%s:%d: expected a grant [token, fence], got %s", file, line,
		      got);
	grant_copy(r, g);
	resp_reply_free(r);
}

/* A generated token or slot id: GRANT_TOKEN_HEX lowercase hex digits. */
static bool is_hex_id(const struct grant *g)
{
	if (g->len != GRANT_TOKEN_HEX)
		return false;
	for (size_t i = 0; i < g->len; i++)
		if (!((g->id[i] >= '0' && g->id[i] <= '9') || (g->id[i] >= 'a' && g->id[i] <= 'f')))
			return false;
	return true;
}

#define lock_acquire(c, g, ...)                         \
	do {                                            \
		h_cmd(c, "LOCK.ACQUIRE", __VA_ARGS__); \
		expect_grant(c, g);                     \
	} while (0)
#define pool_acquire(c, g, ...)                         \
	do {                                            \
		h_cmd(c, "POOL.ACQUIRE", __VA_ARGS__); \
		expect_grant(c, g);                     \
	} while (0)

/* The value of field name in a flat field/value array; fails if absent. */
#define field(r, name) field_at(__FILE__, __LINE__, r, name)
static const struct resp_reply *field_at(const char *file, int line, const struct resp_reply *r,
					 const char *name)
{
	char got[1024];

	h_reply_fmt(r, got, sizeof got);
	ck_assert_msg(r->type == RESP_ARRAY && r->elements % 2 == 0,
		      "%s:%d: expected field/value pairs, got %s", file, line, got);
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == RESP_BULK && strcmp(r->element[i]->str, name) == 0)
			return r->element[i + 1];
	ck_abort_msg("%s:%d: no field '%s' in %s", file, line, name, got);
	return NULL;
}

#define field_ll(r, name) field_ll_at(__FILE__, __LINE__, r, name)
static long long field_ll_at(const char *file, int line, const struct resp_reply *r,
			     const char *name)
{
	const struct resp_reply *v = field_at(file, line, r, name);

	ck_assert_msg(v->type == RESP_INTEGER, "%s:%d: field '%s' is not an integer", file, line,
		      name);
	return v->integer;
}

/* Asserts the names of r's field/value pairs are exactly names (any order). */
static void expect_field_names(const struct resp_reply *r, const char *const *names, size_t n)
{
	char got[1024];

	h_reply_fmt(r, got, sizeof got);
	ck_assert_msg(r->type == RESP_ARRAY && r->elements == 2 * n,
		      "expected %zu field/value pairs, got %s", n, got);
	for (size_t i = 0; i < n; i++)
		field(r, names[i]);
}

/* Polls INFO until section's field reads want. */
#define wait_info(c, section, name, want) wait_info_at(__FILE__, __LINE__, c, section, name, want)
static void wait_info_at(const char *file, int line, struct h_client *c, const char *section,
			 const char *name, long long want)
{
	int64_t deadline = h_now_ms() + SLOW(SETTLE_MS);
	long long got;

	while ((got = h_info_ll_at(file, line, c, section, name)) != want) {
		ck_assert_msg(h_now_ms() < deadline, "%s:%d: INFO %s %s is %lld, want %lld", file,
			      line, section, name, got, want);
		h_sleep_ms(POLL_STEP_MS);
	}
}

/* Every slot granted is still held or ended one way: released, session
 * release or expiry (no DEL or FLUSH in the tests that use this). */
#define expect_slot_accounting(c) expect_slot_accounting_at(__FILE__, __LINE__, c)
static void expect_slot_accounting_at(const char *file, int line, struct h_client *c)
{
	long long grants = h_info_ll_at(file, line, c, "pools", "slot_grants");
	long long held = h_info_ll_at(file, line, c, "pools", "slots_held");
	long long rel = h_info_ll_at(file, line, c, "pools", "slot_releases");
	long long sess = h_info_ll_at(file, line, c, "pools", "session_releases");
	long long exp = h_info_ll_at(file, line, c, "pools", "slots_expired");

	ck_assert_msg(grants == held + rel + sess + exp,
		      "%s:%d: INFO pools: slot_grants %lld != slots_held %lld + slot_releases %lld "
		      "+ session_releases %lld + slots_expired %lld",
		      file, line, grants, held, rel, sess, exp);
}

/* Polls LOCK.INFO or POOL.INFO (cmd) of key until its waiters field reads
 * want: how a test knows a sent acquire is queued. */
#define wait_waiters(c, cmd, key, want) wait_waiters_at(__FILE__, __LINE__, c, cmd, key, want)
static void wait_waiters_at(const char *file, int line, struct h_client *c, const char *cmd,
			    const char *key, long long want)
{
	int64_t deadline = h_now_ms() + SLOW(SETTLE_MS);

	for (;;) {
		struct resp_reply *r = h_call_at(file, line, c, cmd, key, (const char *)NULL);
		long long got = r->type == RESP_ARRAY ? field_ll_at(file, line, r, "waiters") : -1;

		resp_reply_free(r);
		if (got == want)
			return;
		ck_assert_msg(h_now_ms() < deadline, "%s:%d: %s %s waiters is %lld, want %lld",
			      file, line, cmd, key, got, want);
		h_sleep_ms(POLL_STEP_MS);
	}
}

/* The index of the one client of cs[0..n) (NULL entries skipped) that has
 * bytes to read, waiting up to timeout_ms for one; fails if none or more
 * than one is readable. */
static int the_readable(struct h_client **cs, int n, int timeout_ms)
{
	struct pollfd *p = calloc((size_t)n, sizeof *p);
	int rc, found = -1, count = 0;

	ck_assert_ptr_nonnull(p);
	for (int i = 0; i < n; i++) {
		p[i].fd = cs[i] ? cs[i]->fd : -1;
		p[i].events = POLLIN;
	}
	while ((rc = poll(p, (nfds_t)n, timeout_ms)) < 0 && errno == EINTR)
		;
	ck_assert_msg(rc > 0, "no client became readable within %d ms", timeout_ms);
	for (int i = 0; i < n; i++) {
		if (p[i].revents) {
			count++;
			if (found < 0)
				found = i;
		}
	}
	free(p);
	ck_assert_msg(count == 1, "%d clients readable at once (first %d), want exactly one",
		      count, found);
	return found;
}

/* Copies the CLIENT LIST line of the client named name into buf. */
static void client_line(struct h_client *c, const char *name, char *buf, size_t size)
{
	struct resp_reply *r = h_call(c, "CLIENT", "LIST");
	char needle[64];
	const char *p, *end;

	ck_assert_int_eq(r->type, RESP_BULK);
	snprintf(needle, sizeof needle, " name=%s ", name);
	p = strstr(r->str, needle);
	ck_assert_msg(p != NULL, "no client named %s in CLIENT LIST:\n%s", name, r->str);
	while (p > r->str && p[-1] != '\n')
		p--;
	end = strchr(p, '\n');
	ck_assert_ptr_nonnull(end);
	ck_assert_uint_lt((size_t)(end - p), size);
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
	resp_reply_free(r);
}

/* Waits for the n children in pids (each must exit 0) for up to timeout_ms;
 * kills all of them and fails if they take longer. */
static void reap_children(const pid_t *pids, int n, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	int left = n, failed = 0, first_status = 0;
	bool *done = calloc((size_t)n, sizeof *done);

	ck_assert_ptr_nonnull(done);
	while (left > 0) {
		for (int i = 0; i < n; i++) {
			int status;

			if (done[i] || waitpid(pids[i], &status, WNOHANG) != pids[i])
				continue;
			done[i] = true;
			left--;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				if (!failed++)
					first_status = status;
			}
		}
		if (left > 0 && h_now_ms() > deadline) {
			for (int i = 0; i < n; i++)
				if (!done[i]) {
					kill(pids[i], SIGKILL);
					waitpid(pids[i], NULL, 0);
				}
			free(done);
			ck_abort_msg("%d of %d client processes still running after %d ms", left, n,
				     timeout_ms);
		}
		if (left > 0)
			h_sleep_ms(POLL_STEP_MS);
	}
	free(done);
	ck_assert_msg(failed == 0, "%d of %d client processes failed (first: wait status 0x%x)",
		      failed, n, first_status);
}

/* Anonymous shared memory for forked clients (zeroed). */
static void *shared_new(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert_msg(p != MAP_FAILED, "mmap: %s", strerror(errno));
	return p;
}

static int stagger_ttl(int i)
{
	return STAGGER_FIRST_MS + i * STAGGER_STEP_MS;
}

/* Each w[i] must be granted once its key's blocker expires, at expiry[i]
 * (ms, monotonic, a lower bound taken before the TTL was set): no earlier,
 * and within WAKE_LATE_MS. Fills g[i]. */
static void expect_grants_at_expiry(struct h_client **w, const int64_t *expiry,
				    struct grant *g)
{
	for (int i = 0; i < STAGGER_N; i++) {
		int64_t at;

		expect_grant(w[i], &g[i]);
		at = h_now_ms();
		ck_assert_msg(at >= expiry[i], "waiter %d granted %lld ms before its key expired",
			      i, (long long)(expiry[i] - at));
		ck_assert_msg(at - expiry[i] <= SLOW(WAKE_LATE_MS),
			      "waiter %d granted %lld ms after its key expired, not at once: "
			      "nothing woke its queue before the once-a-second expiry sweep",
			      i, (long long)(at - expiry[i]));
	}
}

/* ---- LOCK.ACQUIRE ------------------------------------------------------- */

START_TEST(test_lock_acquire_free_key_grants_token_and_fence)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct grant a, b;

	lock_acquire(c, &a, "k");
	ck_assert_msg(is_hex_id(&a), "token '%s' is not %d hex digits", a.id, GRANT_TOKEN_HEX);
	lock_acquire(c, &b, "other");
	ck_assert_msg(is_hex_id(&b), "token '%s' is not %d hex digits", b.id, GRANT_TOKEN_HEX);
	ck_assert_str_ne(a.id, b.id);
	ck_assert_int_gt(b.fence, a.fence);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_acquire_held_key_without_wait_is_locked)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d);
	struct grant g;
	struct resp_reply *r;

	lock_acquire(c1, &g, "k");
	h_call_error(c2, "LOCKED ", "LOCK.ACQUIRE", "k");
	/* Not re-entrant: the holder itself is refused too. */
	h_call_error(c1, "LOCKED ", "LOCK.ACQUIRE", "k", "PX", "1000");
	r = h_call(c2, "LOCK.INFO", "k");
	ck_assert_str_eq(field(r, "token")->str, g.id);
	ck_assert_int_eq(field_ll(r, "fence"), g.fence);
	resp_reply_free(r);
	h_close(c1);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_acquire_wait_times_out_after_the_wait)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d);
	struct grant g;
	struct resp_reply *r;
	int64_t t0, took;

	lock_acquire(c1, &g, "k");
	t0 = h_now_ms();
	h_cmd(c2, "LOCK.ACQUIRE", "k", "WAIT", "100");
	h_expect_error(c2, "TIMEOUT ");
	took = h_now_ms() - t0;
	ck_assert_msg(took >= 100 - EARLY_MS, "TIMEOUT after %lld ms, before WAIT 100 elapsed",
		      (long long)took);
	ck_assert_msg(took <= 100 + SLOW(GRANT_LATE_MS), "TIMEOUT only after %lld ms",
		      (long long)took);
	/* The waiter is unblocked and the holder untouched. */
	h_call_status(c2, "PONG", "PING");
	r = h_call(c2, "LOCK.INFO", "k");
	ck_assert_str_eq(field(r, "token")->str, g.id);
	ck_assert_int_eq(field_ll(r, "waiters"), 0);
	resp_reply_free(r);
	h_call_int(c1, 1, "LOCK.RELEASE", "k", g.id);
	h_close(c1);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_acquire_wait_0_waits_until_release)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d);
	struct grant g1, g2;

	lock_acquire(c1, &g1, "k");
	h_cmd(c2, "LOCK.ACQUIRE", "k", "WAIT", "0");
	/* Longer than any WAIT 0 could be mistaken for a short timeout. */
	ck_assert_msg(h_is_quiet(c2, 3 * QUIET_MS), "WAIT 0 answered while the lock was held");
	h_call_int(c1, 1, "LOCK.RELEASE", "k", g1.id);
	expect_grant(c2, &g2);
	ck_assert_int_gt(g2.fence, g1.fence);
	ck_assert_str_ne(g2.id, g1.id);
	h_call_status(c2, "PONG", "PING");
	h_close(c1);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_acquire_token_is_the_chosen_one_and_releases)
{
	static const char bin[] = "a\0b\r\nc";
	struct resp_arg acq[3] = {{"LOCK.ACQUIRE", 12}, {"bin", 3}, {"TOKEN", 5}};
	struct resp_arg rel[3] = {{"LOCK.RELEASE", 12}, {"bin", 3}, {bin, sizeof bin - 1}};
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	char longest[GRANT_TOKEN_MAX + 1];
	struct grant g;

	lock_acquire(c, &g, "k", "TOKEN", "my-token");
	ck_assert_str_eq(g.id, "my-token");
	h_call_bulk(c, "my-token", "GET", "k");
	h_call_error(c, "NOTOWNER ", "LOCK.RELEASE", "k", "my-toke");
	h_call_int(c, 1, "LOCK.RELEASE", "k", "my-token");
	h_call_int(c, 0, "EXISTS", "k");

	/* Binary-safe: NUL, CR and LF inside the token. */
	h_cmdv(c, 4, (struct resp_arg[]){acq[0], acq[1], acq[2], {bin, sizeof bin - 1}});
	expect_grant(c, &g);
	ck_assert_uint_eq(g.len, sizeof bin - 1);
	ck_assert_mem_eq(g.id, bin, sizeof bin - 1);
	h_call_error(c, "NOTOWNER ", "LOCK.RELEASE", "bin", "a");
	h_cmdv(c, 3, rel);
	h_expect_int(c, 1);

	/* The longest token allowed. */
	memset(longest, 't', GRANT_TOKEN_MAX);
	longest[GRANT_TOKEN_MAX] = '\0';
	lock_acquire(c, &g, "long", "TOKEN", longest);
	ck_assert_str_eq(g.id, longest);
	h_call_int(c, 1, "LOCK.RELEASE", "long", longest);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_acquire_token_empty_or_too_long_is_error)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	char toolong[GRANT_TOKEN_MAX + 2];

	memset(toolong, 't', GRANT_TOKEN_MAX + 1);
	toolong[GRANT_TOKEN_MAX + 1] = '\0';
	h_call_error(c, "ERR TOKEN must be 1 to ", "LOCK.ACQUIRE", "k", "TOKEN", "");
	h_call_error(c, "ERR TOKEN must be 1 to ", "LOCK.ACQUIRE", "k", "TOKEN", toolong);
	h_cmd(c, "LOCK.ACQUIRE", "k", "TOKEN");
	h_expect_error_is(c, "ERR syntax error");
	h_call_int(c, 0, "EXISTS", "k");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_acquire_bad_px_or_wait_is_error)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);

	h_call_error(c, "ERR invalid expire time in 'lock.acquire'", "LOCK.ACQUIRE", "k", "PX",
		     "0");
	h_call_error(c, "ERR invalid expire time in 'lock.acquire'", "LOCK.ACQUIRE", "k", "PX",
		     "-1");
	h_call_error(c, "ERR value is not an integer", "LOCK.ACQUIRE", "k", "PX", "abc");
	h_call_error(c, "ERR value is not an integer", "LOCK.ACQUIRE", "k", "PX", "10.5");
	h_cmd(c, "LOCK.ACQUIRE", "k", "PX");
	h_expect_error_is(c, "ERR syntax error");
	h_call_error(c, "ERR WAIT timeout must be ", "LOCK.ACQUIRE", "k", "WAIT", "-1");
	h_call_error(c, "ERR value is not an integer", "LOCK.ACQUIRE", "k", "WAIT", "abc");
	h_cmd(c, "LOCK.ACQUIRE", "k", "WAIT");
	h_expect_error_is(c, "ERR syntax error");
	h_call_int(c, 0, "EXISTS", "k");
	h_call_status(c, "PONG", "PING");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_acquire_unknown_option_is_syntax_error)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);

	h_cmd(c, "LOCK.ACQUIRE", "k", "FOO");
	h_expect_error_is(c, "ERR syntax error");
	h_cmd(c, "LOCK.ACQUIRE", "k", "NX");
	h_expect_error_is(c, "ERR syntax error");
	h_cmd(c, "LOCK.ACQUIRE", "k", "PX", "100", "EX", "1");
	h_expect_error_is(c, "ERR syntax error");
	h_call_int(c, 0, "EXISTS", "k");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_and_pool_commands_with_wrong_arity_are_errors)
{
	static const char *const cmds[][6] = {
		{"LOCK.ACQUIRE"},
		{"LOCK.RELEASE", "k"},
		{"LOCK.RELEASE", "k", "t", "x"},
		{"LOCK.RENEW", "k", "t", "PX"},
		{"LOCK.RENEW", "k", "t", "PX", "1", "x"},
		{"LOCK.INFO"},
		{"LOCK.INFO", "k", "x"},
		{"LOCK.CHECK", "k"},
		{"POOL.ACQUIRE", "p"},
		{"POOL.RELEASE", "p"},
		{"POOL.RENEW", "p", "id", "PX"},
		{"POOL.SIZE"},
		{"POOL.SIZE", "p", "x"},
		{"POOL.INFO"},
	};
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);

	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		struct resp_arg argv[6];
		int argc = 0;

		while (argc < 6 && cmds[i][argc]) {
			argv[argc].ptr = cmds[i][argc];
			argv[argc].len = strlen(cmds[i][argc]);
			argc++;
		}
		h_cmdv(c, argc, argv);
		h_expect_error(c, "ERR wrong number of arguments");
	}
	h_call_int(c, 0, "DBSIZE");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- LOCK.RELEASE, LOCK.RENEW ------------------------------------------- */

START_TEST(test_lock_release_with_wrong_token_is_notowner_and_keeps_holder)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d);
	struct grant g;
	struct resp_reply *r;
	char wrong[GRANT_TOKEN_HEX + 1];

	lock_acquire(c1, &g, "k");
	memcpy(wrong, g.id, sizeof wrong);
	wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
	h_call_error(c2, "NOTOWNER ", "LOCK.RELEASE", "k", wrong);
	h_call_error(c2, "NOTOWNER ", "LOCK.RELEASE", "k", "x");
	/* The holder's own connection with a wrong token is no better. */
	h_call_error(c1, "NOTOWNER ", "LOCK.RELEASE", "k", wrong);
	r = h_call(c2, "LOCK.INFO", "k");
	ck_assert_str_eq(field(r, "token")->str, g.id);
	ck_assert_int_eq(field_ll(r, "fence"), g.fence);
	resp_reply_free(r);
	h_call_bulk(c2, g.id, "GET", "k");
	/* The right token works from any connection, once. */
	h_call_int(c2, 1, "LOCK.RELEASE", "k", g.id);
	h_call_error(c1, "NOTOWNER ", "LOCK.RELEASE", "k", g.id);
	h_call_error(c1, "NOTOWNER ", "LOCK.RELEASE", "never", g.id);
	/* A plain key is nobody's lock and survives a release attempt. */
	h_ok(c1, "SET", "s", "v");
	h_call_error(c1, "NOTOWNER ", "LOCK.RELEASE", "s", "v");
	h_call_bulk(c1, "v", "GET", "s");
	h_close(c1);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_release_after_expiry_is_notowner)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct grant g;

	lock_acquire(c, &g, "k", "PX", "100");
	h_sleep_ms(250);
	h_call_error(c, "NOTOWNER ", "LOCK.RELEASE", "k", g.id);
	h_call_int(c, 0, "EXISTS", "k");
	h_call_nil(c, "LOCK.INFO", "k");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_late_release_by_expired_holder_leaves_new_holder)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d);
	struct grant g1, g2;
	struct resp_reply *r;
	char fence[32];

	lock_acquire(c1, &g1, "k", "PX", "100", "TOKEN", "same");
	h_sleep_ms(250);
	/* The new holder even chose the same token: the fence tells them apart. */
	lock_acquire(c2, &g2, "k", "TOKEN", "other");
	ck_assert_int_gt(g2.fence, g1.fence);
	h_call_error(c1, "NOTOWNER ", "LOCK.RELEASE", "k", g1.id);
	h_call_error(c1, "NOTOWNER ", "LOCK.RENEW", "k", g1.id, "PX", "100");
	r = h_call(c1, "LOCK.INFO", "k");
	ck_assert_str_eq(field(r, "token")->str, "other");
	ck_assert_int_eq(field_ll(r, "fence"), g2.fence);
	ck_assert_int_eq(field_ll(r, "ttl-ms"), -1);
	resp_reply_free(r);
	snprintf(fence, sizeof fence, "%lld", g1.fence);
	h_call_int(c1, 0, "LOCK.CHECK", "k", fence);
	snprintf(fence, sizeof fence, "%lld", g2.fence);
	h_call_int(c1, 1, "LOCK.CHECK", "k", fence);
	h_call_int(c2, 1, "LOCK.RELEASE", "k", "other");
	h_close(c1);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_renew_replaces_the_ttl)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d);
	struct grant g, h;
	struct resp_reply *r;
	long long pttl;

	lock_acquire(c1, &g, "k", "PX", "1000");
	pttl = h_call_ll(c1, "PTTL", "k");
	ck_assert_msg(pttl > 0 && pttl <= 1000, "PTTL %lld after PX 1000", pttl);
	h_call_int(c1, 1, "LOCK.RENEW", "k", g.id, "PX", "60000");
	pttl = h_call_ll(c1, "PTTL", "k");
	ck_assert_msg(pttl > 50000 && pttl <= 60000, "PTTL %lld after RENEW PX 60000", pttl);
	r = h_call(c1, "LOCK.INFO", "k");
	ck_assert_int_gt(field_ll(r, "ttl-ms"), 50000);
	resp_reply_free(r);
	/* A stranger's renew changes nothing. */
	h_call_error(c2, "NOTOWNER ", "LOCK.RENEW", "k", "wrong", "PX", "10");
	pttl = h_call_ll(c1, "PTTL", "k");
	ck_assert_msg(pttl > 50000, "PTTL %lld after a NOTOWNER renew", pttl);
	/* Renew replaces, so it also shortens; the token still releases. */
	h_call_int(c2, 1, "LOCK.RENEW", "k", g.id, "PX", "100");
	pttl = h_call_ll(c1, "PTTL", "k");
	ck_assert_msg(pttl >= 0 && pttl <= 100, "PTTL %lld after RENEW PX 100", pttl);
	h_call_int(c1, 1, "LOCK.RELEASE", "k", g.id);
	/* A lock without a TTL gets one; an expired lock cannot be renewed. */
	lock_acquire(c1, &h, "n");
	h_call_int(c1, -1, "PTTL", "n");
	h_call_int(c1, 1, "LOCK.RENEW", "n", h.id, "PX", "100");
	pttl = h_call_ll(c1, "PTTL", "n");
	ck_assert_msg(pttl > 0 && pttl <= 100, "PTTL %lld after RENEW PX 100", pttl);
	h_sleep_ms(250);
	h_call_error(c1, "NOTOWNER ", "LOCK.RENEW", "n", h.id, "PX", "1000");
	h_call_int(c1, 0, "EXISTS", "n");
	h_close(c1);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_renew_bad_arguments_are_errors)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct grant g;

	lock_acquire(c, &g, "k", "PX", "60000");
	h_cmd(c, "LOCK.RENEW", "k", g.id, "EX", "100");
	h_expect_error_is(c, "ERR syntax error");
	h_call_error(c, "ERR invalid expire time in 'lock.renew'", "LOCK.RENEW", "k", g.id, "PX",
		     "0");
	h_call_error(c, "ERR invalid expire time in 'lock.renew'", "LOCK.RENEW", "k", g.id, "PX",
		     "-5");
	h_call_error(c, "ERR value is not an integer", "LOCK.RENEW", "k", g.id, "PX", "abc");
	ck_assert_int_gt(h_call_ll(c, "PTTL", "k"), 50000);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- LOCK.INFO, LOCK.CHECK, fences --------------------------------------- */

START_TEST(test_lock_info_reports_the_holder)
{
	static const char *const names[] = {"token", "fence", "client-id", "pid", "uid",
					    "name", "held-ms", "ttl-ms", "session", "waiters",
					    "mode", "readers"};
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d), *w1 = h_connect(d),
			*w2 = h_connect(d);
	struct grant g, dg;
	struct resp_reply *r;
	long long id;

	h_ok(c1, "CLIENT", "SETNAME", "alice");
	id = h_call_ll(c1, "CLIENT", "ID");
	lock_acquire(c1, &g, "k", "PX", "10000");
	h_sleep_ms(100);
	r = h_call(c2, "LOCK.INFO", "k");
	expect_field_names(r, names, sizeof names / sizeof names[0]);
	ck_assert_int_eq(field(r, "token")->type, RESP_BULK);
	ck_assert_str_eq(field(r, "token")->str, g.id);
	ck_assert_int_eq(field_ll(r, "fence"), g.fence);
	ck_assert_int_eq(field_ll(r, "client-id"), id);
	ck_assert_int_eq(field_ll(r, "pid"), getpid());
	ck_assert_int_eq(field_ll(r, "uid"), getuid());
	ck_assert_int_eq(field(r, "name")->type, RESP_BULK);
	ck_assert_str_eq(field(r, "name")->str, "alice");
	ck_assert_int_ge(field_ll(r, "held-ms"), 100);
	ck_assert_int_lt(field_ll(r, "held-ms"), 100 + SLOW(SETTLE_MS));
	ck_assert_int_gt(field_ll(r, "ttl-ms"), 0);
	ck_assert_int_le(field_ll(r, "ttl-ms"), 9900);
	ck_assert_int_eq(field_ll(r, "session"), 1);
	ck_assert_int_eq(field_ll(r, "waiters"), 0);
	ck_assert_str_eq(field(r, "mode")->str, "exclusive");
	ck_assert_int_eq(field_ll(r, "readers"), 0);
	resp_reply_free(r);

	h_cmd(w1, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_waiters(c2, "LOCK.INFO", "k", 1);
	h_cmd(w2, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_waiters(c2, "LOCK.INFO", "k", 2);

	/* DETACH: not session-bound; no PX: no TTL; no name: empty. */
	lock_acquire(c2, &dg, "d", "DETACH");
	r = h_call(c2, "LOCK.INFO", "d");
	expect_field_names(r, names, sizeof names / sizeof names[0]);
	ck_assert_int_eq(field_ll(r, "session"), 0);
	ck_assert_int_eq(field_ll(r, "ttl-ms"), -1);
	ck_assert_str_eq(field(r, "name")->str, "");
	ck_assert_int_eq(field_ll(r, "fence"), dg.fence);
	resp_reply_free(r);

	h_call_nil(c2, "LOCK.INFO", "free");
	h_ok(c2, "SET", "s", "v");
	h_call_error(c2, "WRONGTYPE ", "LOCK.INFO", "s");
	h_close(w1);
	h_close(w2);
	h_close(c1);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_check_is_true_only_for_the_current_fence)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct grant g1, g2;
	char f1[32], f1m[32], f2[32];

	lock_acquire(c, &g1, "k");
	snprintf(f1, sizeof f1, "%lld", g1.fence);
	snprintf(f1m, sizeof f1m, "%lld", g1.fence - 1);
	h_call_int(c, 1, "LOCK.CHECK", "k", f1);
	h_call_int(c, 0, "LOCK.CHECK", "k", f1m);
	h_call_int(c, 0, "LOCK.CHECK", "other", f1);
	h_call_int(c, 1, "LOCK.RELEASE", "k", g1.id);
	h_call_int(c, 0, "LOCK.CHECK", "k", f1);
	lock_acquire(c, &g2, "k");
	snprintf(f2, sizeof f2, "%lld", g2.fence);
	h_call_int(c, 0, "LOCK.CHECK", "k", f1);
	h_call_int(c, 1, "LOCK.CHECK", "k", f2);
	h_call_error(c, "ERR value is not an integer", "LOCK.CHECK", "k", "abc");
	h_ok(c, "SET", "s", "v");
	h_call_int(c, 0, "LOCK.CHECK", "s", f2);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_fences_strictly_increase_across_locks_and_pools)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d);
	struct grant g[12];
	struct resp_reply *r;
	int n = 0;

	lock_acquire(c1, &g[n++], "a");
	pool_acquire(c1, &g[n++], "p", "1");
	lock_acquire(c1, &g[n++], "b", "DETACH", "TOKEN", "t");
	pool_acquire(c2, &g[n++], "q", "5", "PX", "10000");
	lock_acquire(c2, &g[n++], "c", "PX", "10000");
	/* Grants through the wait queues draw from the same counter. */
	h_cmd(c2, "LOCK.ACQUIRE", "a", "WAIT", "0");
	wait_waiters(c1, "LOCK.INFO", "a", 1);
	h_call_int(c1, 1, "LOCK.RELEASE", "a", g[0].id);
	expect_grant(c2, &g[n++]);
	h_cmd(c2, "POOL.ACQUIRE", "p", "1", "WAIT", "0");
	wait_waiters(c1, "POOL.INFO", "p", 1);
	h_call_int(c1, 1, "POOL.RELEASE", "p", g[1].id);
	expect_grant(c2, &g[n++]);
	pool_acquire(c1, &g[n++], "q", "5");
	lock_acquire(c1, &g[n++], "a2");
	for (int i = 1; i < n; i++)
		ck_assert_msg(g[i].fence > g[i - 1].fence, "grant %d: fence %lld after %lld", i,
			      g[i].fence, g[i - 1].fence);
	/* What INFO reports is the fence that was granted. */
	r = h_call(c1, "LOCK.INFO", "a");
	ck_assert_int_eq(field_ll(r, "fence"), g[5].fence);
	resp_reply_free(r);
	r = h_call(c1, "POOL.INFO", "p");
	ck_assert_int_eq(field_ll(field(r, "slots")->element[0], "fence"), g[6].fence);
	resp_reply_free(r);
	h_close(c1);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

/* ---- session-bound ownership ---------------------------------------------- */

START_TEST(test_lock_is_released_when_the_holder_disconnects)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d);
	struct grant g1, g2;

	lock_acquire(c1, &g1, "k", "PX", "60000");
	h_close(c1);
	/* No WAIT: the close must have freed it before this is read. */
	lock_acquire(c2, &g2, "k");
	ck_assert_int_gt(g2.fence, g1.fence);
	ck_assert_int_eq(h_info_ll(c2, "locks", "session_releases"), 1);
	ck_assert_int_eq(h_info_ll(c2, "locks", "locks_held"), 1);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_detach_survives_disconnect_until_token_or_del)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d), *c3;
	struct grant g, g3, g4;
	struct resp_reply *r;

	lock_acquire(c1, &g, "k", "DETACH");
	h_close(c1);
	wait_info(c2, "clients", "connected_clients", 1);
	h_call_error(c2, "LOCKED ", "LOCK.ACQUIRE", "k");
	r = h_call(c2, "LOCK.INFO", "k");
	ck_assert_int_eq(field_ll(r, "session"), 0);
	ck_assert_str_eq(field(r, "token")->str, g.id);
	resp_reply_free(r);
	h_call_int(c2, 1, "LOCK.RELEASE", "k", g.id);

	c3 = h_connect(d);
	lock_acquire(c3, &g3, "k", "DETACH");
	h_close(c3);
	wait_info(c2, "clients", "connected_clients", 1);
	h_call_bulk(c2, g3.id, "GET", "k");
	h_call_int(c2, 1, "DEL", "k");
	lock_acquire(c2, &g4, "k");
	ck_assert_int_gt(g4.fence, g3.fence);
	ck_assert_int_eq(h_info_ll(c2, "locks", "session_releases"), 0);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_killed_holder_process_frees_the_lock_for_a_waiter)
{
	struct h_daemon *d = start();
	struct h_client *ctl = h_connect(d), *w = h_connect(d);
	struct grant g, held;
	struct resp_reply *r;
	struct pollfd pfd;
	int pipefd[2], status;
	int64_t t0, took;
	pid_t pid;

	ck_assert_int_eq(pipe(pipefd), 0);
	fflush(NULL);
	pid = check_fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct h_client *c = h_connect(d);

		close(pipefd[0]);
		lock_acquire(c, &g, "k", "PX", "60000");
		if (write(pipefd[1], &g, sizeof g) != (ssize_t)sizeof g)
			_exit(2);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	ck_assert_msg(poll(&pfd, 1, SLOW(SETTLE_MS)) == 1, "the holder process never got the lock");
	ck_assert_int_eq(read(pipefd[0], &held, sizeof held), sizeof held);
	close(pipefd[0]);

	h_cmd(w, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_waiters(ctl, "LOCK.INFO", "k", 1);
	r = h_call(ctl, "LOCK.INFO", "k");
	ck_assert_int_eq(field_ll(r, "pid"), pid);
	ck_assert_str_eq(field(r, "token")->str, held.id);
	resp_reply_free(r);

	h_set_timeout(w, SLOW(GRANT_LATE_MS));
	t0 = h_now_ms();
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	expect_grant(w, &g);
	took = h_now_ms() - t0;
	ck_assert_msg(took <= SLOW(GRANT_LATE_MS), "granted %lld ms after the kill",
		      (long long)took);
	ck_assert_int_gt(g.fence, held.fence);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	h_call_error(ctl, "NOTOWNER ", "LOCK.RELEASE", "k", held.id);
	h_call_int(w, 1, "LOCK.RELEASE", "k", g.id);
	h_close(w);
	h_close(ctl);
	h_daemon_finish(d);
}
END_TEST

/* ---- one keyspace ---------------------------------------------------------- */

START_TEST(test_lock_shares_the_keyspace_with_plain_commands)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct grant g, n;
	struct resp_reply *r;
	long long pttl;

	lock_acquire(c, &g, "k", "PX", "5000");
	h_call_nil(c, "SET", "k", "v", "NX");
	h_call_bulk(c, g.id, "GET", "k");
	h_call_status(c, "lock", "TYPE", "k");
	h_call_int(c, 1, "EXISTS", "k");
	pttl = h_call_ll(c, "PTTL", "k");
	ck_assert_msg(pttl > 0 && pttl <= 5000, "PTTL %lld on a lock with PX 5000", pttl);
	h_call_int(c, 5, "TTL", "k");
	/* SET NX left the lock as it was. */
	r = h_call(c, "LOCK.INFO", "k");
	ck_assert_str_eq(field(r, "token")->str, g.id);
	resp_reply_free(r);
	lock_acquire(c, &n, "n");
	h_call_int(c, -1, "PTTL", "n");
	h_call_int(c, 1, "LOCK.RELEASE", "k", g.id);
	h_call_int(c, -2, "PTTL", "k");
	h_call_status(c, "none", "TYPE", "k");
	h_ok(c, "SET", "k", "v", "NX");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_del_force_releases_a_lock_and_wakes_its_waiter)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d), *c3 = h_connect(d);
	struct grant g1, g2;
	struct resp_reply *r;

	lock_acquire(c1, &g1, "k");
	h_cmd(c2, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_waiters(c3, "LOCK.INFO", "k", 1);
	h_call_int(c3, 1, "DEL", "k");
	expect_grant(c2, &g2);
	h_call_error(c1, "NOTOWNER ", "LOCK.RELEASE", "k", g1.id);
	/* The old holder's disconnect must not free the new holder's lock. */
	h_close(c1);
	wait_info(c3, "clients", "connected_clients", 2);
	r = h_call(c3, "LOCK.INFO", "k");
	ck_assert_str_eq(field(r, "token")->str, g2.id);
	resp_reply_free(r);
	h_call_int(c2, 1, "LOCK.RELEASE", "k", g2.id);
	h_close(c2);
	h_close(c3);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_plain_key_blocks_lock_until_deleted)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d);
	struct grant g;

	h_ok(c1, "SET", "k", "v");
	h_call_error(c2, "LOCKED ", "LOCK.ACQUIRE", "k");
	h_cmd(c2, "LOCK.ACQUIRE", "k", "WAIT", "0");
	ck_assert(h_is_quiet(c2, QUIET_MS));
	h_call_int(c1, 1, "DEL", "k");
	expect_grant(c2, &g);
	h_call_bulk(c1, g.id, "GET", "k");
	h_close(c1);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_plain_key_expiry_grants_lock_waiters_on_time)
{
	struct h_daemon *d = h_daemon_start("--loglevel", "warning", "--hz", "1", NULL);
	struct h_client *c = h_connect(d), *w[STAGGER_N];
	struct grant g[STAGGER_N];
	int64_t expiry[STAGGER_N];

	for (int i = 0; i < STAGGER_N; i++) {
		char key[16], px[16];

		snprintf(key, sizeof key, "k%d", i);
		snprintf(px, sizeof px, "%d", stagger_ttl(i));
		expiry[i] = h_now_ms() + stagger_ttl(i);
		h_ok(c, "SET", key, "v", "PX", px);
		w[i] = h_connect(d);
		h_cmd(w[i], "LOCK.ACQUIRE", key, "WAIT", "0");
	}
	expect_grants_at_expiry(w, expiry, g);
	for (int i = 0; i < STAGGER_N; i++)
		h_close(w[i]);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* PEXPIRE gives a blocking key a (shorter) TTL: the queue's timer must
 * follow it, as it does when SET replaces the key. */
START_TEST(test_pexpire_on_blocking_key_grants_lock_waiters_at_the_new_expiry)
{
	struct h_daemon *d = h_daemon_start("--loglevel", "warning", "--hz", "1", NULL);
	struct h_client *c = h_connect(d), *w[STAGGER_N];
	struct grant g[STAGGER_N];
	int64_t expiry[STAGGER_N];

	for (int i = 0; i < STAGGER_N; i++) {
		char key[16];

		snprintf(key, sizeof key, "k%d", i);
		h_ok(c, "SET", key, "v");
		w[i] = h_connect(d);
		h_cmd(w[i], "LOCK.ACQUIRE", key, "WAIT", "0");
		wait_info(c, "locks", "waiters", i + 1);
	}
	for (int i = 0; i < STAGGER_N; i++) {
		char key[16], px[16];

		snprintf(key, sizeof key, "k%d", i);
		snprintf(px, sizeof px, "%d", stagger_ttl(i));
		expiry[i] = h_now_ms() + stagger_ttl(i);
		h_call_int(c, 1, "PEXPIRE", key, px);
	}
	expect_grants_at_expiry(w, expiry, g);
	for (int i = 0; i < STAGGER_N; i++)
		h_close(w[i]);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_flushdb_wakes_lock_waiters)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d), *w1 = h_connect(d),
			*w2 = h_connect(d);
	struct grant g1, g2, n1, n2;

	lock_acquire(c1, &g1, "a");
	lock_acquire(c2, &g2, "b", "DETACH");
	h_cmd(w1, "LOCK.ACQUIRE", "a", "WAIT", "0");
	h_cmd(w2, "LOCK.ACQUIRE", "b", "WAIT", "0");
	wait_info(c1, "locks", "waiters", 2);
	h_ok(c1, "FLUSHDB");
	expect_grant(w1, &n1);
	expect_grant(w2, &n2);
	h_call_error(c1, "NOTOWNER ", "LOCK.RELEASE", "a", g1.id);
	h_call_error(c2, "NOTOWNER ", "LOCK.RELEASE", "b", g2.id);
	ck_assert_int_eq(h_info_ll(c1, "locks", "locks_held"), 2);
	h_call_int(w1, 1, "LOCK.RELEASE", "a", n1.id);
	h_call_int(w2, 1, "LOCK.RELEASE", "b", n2.id);
	h_close(w1);
	h_close(w2);
	h_close(c1);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_in_db_3_is_independent_of_db_0)
{
	struct h_daemon *d = start();
	struct h_client *a = h_connect(d), *b = h_connect(d), *a2 = h_connect(d),
			*w0 = h_connect(d);
	struct grant g3, g0, n;

	h_ok(a, "SELECT", "3");
	h_ok(a2, "SELECT", "3");
	lock_acquire(a, &g3, "k");
	lock_acquire(b, &g0, "k");
	h_call_error(a2, "LOCKED ", "LOCK.ACQUIRE", "k");
	h_call_error(b, "NOTOWNER ", "LOCK.RELEASE", "k", g3.id);
	/* A waiter in db 0 is not woken by a release in db 3. */
	h_cmd(w0, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_waiters(b, "LOCK.INFO", "k", 1);
	h_call_int(a, 1, "LOCK.RELEASE", "k", g3.id);
	ck_assert_msg(h_is_quiet(w0, QUIET_MS), "a release in db 3 woke a waiter in db 0");
	h_call_int(b, 1, "LOCK.RELEASE", "k", g0.id);
	expect_grant(w0, &n);
	lock_acquire(a2, &g3, "k");
	h_close(a);
	h_close(b);
	h_close(a2);
	h_close(w0);
	h_daemon_finish(d);
}
END_TEST

/* ---- wait queues ---------------------------------------------------------- */

#define FIFO_WAITERS 100

START_TEST(test_lock_waiters_are_granted_in_arrival_order)
{
	struct h_daemon *d = start();
	struct h_client *ctl = h_connect(d), *w[FIFO_WAITERS];
	struct grant g, prev;

	lock_acquire(ctl, &g, "k");
	for (int i = 0; i < FIFO_WAITERS; i++) {
		w[i] = h_connect(d);
		h_cmd(w[i], "LOCK.ACQUIRE", "k", "WAIT", "0");
		wait_waiters(ctl, "LOCK.INFO", "k", i + 1);
	}
	prev = g;
	h_call_int(ctl, 1, "LOCK.RELEASE", "k", g.id);
	for (int i = 0; i < FIFO_WAITERS; i++) {
		int got = the_readable(w, FIFO_WAITERS, SLOW(GRANT_LATE_MS));

		ck_assert_msg(got == i, "grant %d went to waiter %d", i, got);
		expect_grant(w[i], &g);
		ck_assert_int_gt(g.fence, prev.fence);
		prev = g;
		h_call_int(w[i], 1, "LOCK.RELEASE", "k", g.id);
		h_close(w[i]);
		w[i] = NULL;
	}
	ck_assert_int_eq(h_info_ll(ctl, "locks", "waiters"), 0);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "grants"), FIFO_WAITERS + 1);
	h_call_int(ctl, 0, "EXISTS", "k");
	h_close(ctl);
	h_daemon_finish(d);
}
END_TEST

#define GONE_WAITERS 50
#define GONE_CLOSED  15 /* 30% */

START_TEST(test_lock_grants_skip_disconnected_waiters)
{
	struct h_daemon *d = start();
	struct h_client *ctl = h_connect(d), *w[GONE_WAITERS];
	int order[GONE_WAITERS];
	bool closed[GONE_WAITERS] = {false};
	unsigned seed = 20240601;
	struct grant g;
	int next = 0;

	lock_acquire(ctl, &g, "k");
	for (int i = 0; i < GONE_WAITERS; i++) {
		w[i] = h_connect(d);
		h_cmd(w[i], "LOCK.ACQUIRE", "k", "WAIT", "0");
		wait_waiters(ctl, "LOCK.INFO", "k", i + 1);
		order[i] = i;
	}
	/* A fixed-seed shuffle picks which ones hang up. */
	for (int i = GONE_WAITERS - 1; i > 0; i--) {
		int j = (int)(rand_r(&seed) % (unsigned)(i + 1)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < GONE_CLOSED; i++) {
		closed[order[i]] = true;
		h_close(w[order[i]]);
		w[order[i]] = NULL;
	}
	wait_waiters(ctl, "LOCK.INFO", "k", GONE_WAITERS - GONE_CLOSED);

	h_call_int(ctl, 1, "LOCK.RELEASE", "k", g.id);
	for (int i = 0; i < GONE_WAITERS - GONE_CLOSED; i++) {
		int got = the_readable(w, GONE_WAITERS, SLOW(GRANT_LATE_MS));

		while (closed[next])
			next++;
		ck_assert_msg(got == next, "grant %d went to waiter %d, want %d", i, got, next);
		expect_grant(w[got], &g);
		h_call_int(w[got], 1, "LOCK.RELEASE", "k", g.id);
		h_close(w[got]);
		w[got] = NULL;
		next++;
	}
	ck_assert_int_eq(h_info_ll(ctl, "locks", "waiters"), 0);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "waiters_gone"), GONE_CLOSED);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "locks_held"), 0);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "grants"), 1 + GONE_WAITERS - GONE_CLOSED);
	h_close(ctl);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_pipelined_commands_wait_behind_a_blocked_acquire)
{
	static const char acq_ping[] = "*4\r\n$12\r\nLOCK.ACQUIRE\r\n$1\r\nk\r\n$4\r\nWAIT\r\n"
				       "$1\r\n0\r\n*1\r\n$4\r\nPING\r\n";
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d);
	struct grant g1, g2;

	lock_acquire(c1, &g1, "k");
	h_send(c2, acq_ping, sizeof acq_ping - 1);
	ck_assert_msg(h_is_quiet(c2, QUIET_MS), "a command behind a blocked acquire was answered");
	h_call_int(c1, 1, "LOCK.RELEASE", "k", g1.id);
	expect_grant(c2, &g2);
	h_expect_status(c2, "PONG");

	/* Inline commands too, behind a wait that ends in TIMEOUT (c2 now
	 * holds k itself: locks are not re-entrant). */
	h_send_str(c2, "LOCK.ACQUIRE k WAIT 300\r\nPING\r\nECHO after\r\n");
	ck_assert_msg(h_is_quiet(c2, QUIET_MS), "a command behind a blocked acquire was answered");
	h_expect_error(c2, "TIMEOUT ");
	h_expect_status(c2, "PONG");
	h_expect_bulk(c2, "after");
	h_call_int(c2, 1, "LOCK.RELEASE", "k", g2.id);
	h_close(c1);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

#define RACE_PAIRS   10
#define RACE_ROUNDS  20
#define RACE_WAIT_MS 50

START_TEST(test_wait_timeout_racing_a_release_gives_exactly_one_reply)
{
	struct h_daemon *d = start();
	struct h_client *ctl = h_connect(d), *hold[RACE_PAIRS], *w[RACE_PAIRS];
	char keys[RACE_PAIRS][16], wait_ms[16];
	int granted = 0, timedout = 0;

	snprintf(wait_ms, sizeof wait_ms, "%d", RACE_WAIT_MS);
	for (int i = 0; i < RACE_PAIRS; i++) {
		hold[i] = h_connect(d);
		w[i] = h_connect(d);
		snprintf(keys[i], sizeof keys[i], "race%d", i);
	}
	for (int round = 0; round < RACE_ROUNDS; round++) {
		struct grant hg[RACE_PAIRS];
		int64_t t0;

		for (int i = 0; i < RACE_PAIRS; i++)
			lock_acquire(hold[i], &hg[i], keys[i]);
		t0 = h_now_ms();
		for (int i = 0; i < RACE_PAIRS; i++)
			h_cmd(w[i], "LOCK.ACQUIRE", keys[i], "WAIT", wait_ms);
		/* Releases spread around the deadline: 40, 42, ... 58 ms. */
		for (int i = 0; i < RACE_PAIRS; i++) {
			int64_t at = t0 + RACE_WAIT_MS - 10 + 2 * i, now = h_now_ms();

			if (at > now)
				h_sleep_ms((int)(at - now));
			h_cmd(hold[i], "LOCK.RELEASE", keys[i], hg[i].id);
		}
		for (int i = 0; i < RACE_PAIRS; i++) {
			struct resp_reply *r;
			char got[512];

			h_expect_int(hold[i], 1);
			r = h_reply(w[i]);
			h_reply_fmt(r, got, sizeof got);
			if (is_grant(r)) {
				struct grant g;

				grant_copy(r, &g);
				granted++;
				h_cmd(w[i], "LOCK.RELEASE", keys[i], g.id);
				h_expect_int(w[i], 1);
			} else {
				ck_assert_msg(r->type == RESP_ERROR &&
						      strncmp(r->str, "TIMEOUT ", 8) == 0,
					      "round %d waiter %d: %s", round, i, got);
				timedout++;
			}
			resp_reply_free(r);
			/* A second reply to the acquire would arrive before PONG. */
			h_call_status(w[i], "PONG", "PING");
		}
	}
	ck_assert_int_eq(granted + timedout, RACE_PAIRS * RACE_ROUNDS);
	ck_assert_msg(granted > 0 && timedout > 0,
		      "the race was not exercised: %d grants, %d timeouts", granted, timedout);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "timeouts"), timedout);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "grants"), RACE_PAIRS * RACE_ROUNDS + granted);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "locks_held"), 0);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "waiters"), 0);
	for (int i = 0; i < RACE_PAIRS; i++) {
		h_close(hold[i]);
		h_close(w[i]);
	}
	h_close(ctl);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_max_waiters_limits_each_queue)
{
	struct h_daemon *d = h_daemon_start("--loglevel", "warning", "--lock-max-waiters", "3", NULL);
	struct h_client *ctl = h_connect(d), *w[4];
	struct grant g, o;

	lock_acquire(ctl, &g, "k");
	for (int i = 0; i < 3; i++) {
		w[i] = h_connect(d);
		h_cmd(w[i], "LOCK.ACQUIRE", "k", "WAIT", "0");
		wait_waiters(ctl, "LOCK.INFO", "k", i + 1);
	}
	w[3] = h_connect(d);
	h_call_error(w[3], "ERR too many waiters", "LOCK.ACQUIRE", "k", "WAIT", "0");
	h_call_status(w[3], "PONG", "PING");
	/* The limit is per key. */
	lock_acquire(ctl, &o, "other");
	h_cmd(w[3], "LOCK.ACQUIRE", "other", "WAIT", "0");
	wait_waiters(ctl, "LOCK.INFO", "other", 1);
	h_call_int(ctl, 1, "LOCK.RELEASE", "other", o.id);
	expect_grant(w[3], &o);
	h_call_int(w[3], 1, "LOCK.RELEASE", "other", o.id);
	/* A place freed by a grant can be taken again; order is kept. */
	h_call_int(ctl, 1, "LOCK.RELEASE", "k", g.id);
	ck_assert_int_eq(the_readable(w, 4, SLOW(GRANT_LATE_MS)), 0);
	expect_grant(w[0], &g);
	h_cmd(w[3], "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_waiters(ctl, "LOCK.INFO", "k", 3);
	for (int i = 0; i < 4; i++) {
		if (i > 0) {
			ck_assert_int_eq(the_readable(w, 4, SLOW(GRANT_LATE_MS)), i);
			expect_grant(w[i], &g);
		}
		h_call_int(w[i], 1, "LOCK.RELEASE", "k", g.id);
	}
	for (int i = 0; i < 4; i++)
		h_close(w[i]);
	h_close(ctl);
	h_daemon_finish(d);
}
END_TEST

/* ---- expiry wakes waiters on time (--hz 1) ----------------------------------- */

START_TEST(test_lock_ttl_expiry_grants_waiters_on_time)
{
	struct h_daemon *d = h_daemon_start("--loglevel", "warning", "--hz", "1", NULL);
	struct h_client *c = h_connect(d), *w[STAGGER_N];
	struct grant g[STAGGER_N], h;
	int64_t expiry[STAGGER_N];

	for (int i = 0; i < STAGGER_N; i++) {
		char key[16], px[16];

		snprintf(key, sizeof key, "k%d", i);
		snprintf(px, sizeof px, "%d", stagger_ttl(i));
		expiry[i] = h_now_ms() + stagger_ttl(i);
		lock_acquire(c, &h, key, "PX", px);
		w[i] = h_connect(d);
		h_cmd(w[i], "LOCK.ACQUIRE", key, "WAIT", "0");
	}
	expect_grants_at_expiry(w, expiry, g);
	ck_assert_int_eq(h_info_ll(c, "locks", "locks_held"), STAGGER_N);
	for (int i = 0; i < STAGGER_N; i++)
		h_close(w[i]);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* LOCK.RENEW may shorten a TTL (it replaces it): the waiters' timer must
 * follow, as it does for POOL.RENEW. */
START_TEST(test_lock_renew_to_a_shorter_ttl_grants_waiters_at_the_new_expiry)
{
	struct h_daemon *d = h_daemon_start("--loglevel", "warning", "--hz", "1", NULL);
	struct h_client *c = h_connect(d), *w[STAGGER_N];
	struct grant g[STAGGER_N], h[STAGGER_N];
	int64_t expiry[STAGGER_N];

	for (int i = 0; i < STAGGER_N; i++) {
		char key[16];

		snprintf(key, sizeof key, "k%d", i);
		lock_acquire(c, &h[i], key, "PX", "60000");
		w[i] = h_connect(d);
		h_cmd(w[i], "LOCK.ACQUIRE", key, "WAIT", "0");
		wait_waiters(c, "LOCK.INFO", key, 1);
	}
	for (int i = 0; i < STAGGER_N; i++) {
		char key[16], px[16];

		snprintf(key, sizeof key, "k%d", i);
		snprintf(px, sizeof px, "%d", stagger_ttl(i));
		expiry[i] = h_now_ms() + stagger_ttl(i);
		h_call_int(c, 1, "LOCK.RENEW", key, h[i].id, "PX", px);
	}
	expect_grants_at_expiry(w, expiry, g);
	for (int i = 0; i < STAGGER_N; i++)
		h_close(w[i]);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* A pool whose other slot never expires has no TTL of its own: only the
 * queue's timer on the earliest slot expiry can wake the waiter. */
START_TEST(test_pool_slot_expiry_grants_waiters_on_time)
{
	struct h_daemon *d = h_daemon_start("--loglevel", "warning", "--hz", "1", NULL);
	struct h_client *c = h_connect(d), *w[STAGGER_N];
	struct grant g[STAGGER_N], h;
	int64_t expiry[STAGGER_N];

	for (int i = 0; i < STAGGER_N; i++) {
		char key[16], px[16];

		snprintf(key, sizeof key, "p%d", i);
		snprintf(px, sizeof px, "%d", stagger_ttl(i));
		pool_acquire(c, &h, key, "2");
		expiry[i] = h_now_ms() + stagger_ttl(i);
		pool_acquire(c, &h, key, "2", "PX", px);
		w[i] = h_connect(d);
		h_cmd(w[i], "POOL.ACQUIRE", key, "2", "WAIT", "0");
	}
	expect_grants_at_expiry(w, expiry, g);
	for (int i = 0; i < STAGGER_N; i++) {
		char key[16];

		snprintf(key, sizeof key, "p%d", i);
		h_call_int(c, 2, "POOL.SIZE", key);
		h_close(w[i]);
	}
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- under load ------------------------------------------------------------ */

#define MX_PROCS 8
#define MX_ITERS 300
#define MX_KEYS	 3

struct mx_shared {
	int inside[MX_KEYS];	   /* 1 while a process is in the key's critical section */
	long long count[MX_KEYS];  /* critical sections run, updated non-atomically */
	long long last_fence[MX_KEYS];
	int overlaps;		   /* entries that found inside set */
	int fence_errors;	   /* grants whose fence did not exceed the previous one */
};

static void mx_child(const struct h_daemon *d, struct mx_shared *sh, int proc)
{
	static const char *const keys[MX_KEYS] = {"mx0", "mx1", "mx2"};
	struct h_client *c = h_connect(d);

	for (int i = 0; i < MX_ITERS; i++) {
		int k = (proc + i) % MX_KEYS;
		volatile long long *count = &sh->count[k];
		struct grant g;
		long long v;

		lock_acquire(c, &g, keys[k], "WAIT", "0", "PX", "5000");
		if (__atomic_exchange_n(&sh->inside[k], 1, __ATOMIC_SEQ_CST) != 0)
			__atomic_add_fetch(&sh->overlaps, 1, __ATOMIC_SEQ_CST);
		if (g.fence <= sh->last_fence[k])
			__atomic_add_fetch(&sh->fence_errors, 1, __ATOMIC_SEQ_CST);
		sh->last_fence[k] = g.fence;
		v = *count;
		usleep(50);
		*count = v + 1;
		__atomic_store_n(&sh->inside[k], 0, __ATOMIC_SEQ_CST);
		h_call_int(c, 1, "LOCK.RELEASE", keys[k], g.id);
	}
	h_close(c);
}

START_TEST(test_lock_mutual_exclusion_under_load)
{
	struct h_daemon *d = start();
	struct mx_shared *sh = shared_new(sizeof *sh);
	struct h_client *ctl;
	pid_t pids[MX_PROCS];
	long long total = 0;

	fflush(NULL);
	for (int p = 0; p < MX_PROCS; p++) {
		pids[p] = check_fork();
		ck_assert_int_ge(pids[p], 0);
		if (pids[p] == 0) {
			mx_child(d, sh, p);
			_exit(0);
		}
	}
	reap_children(pids, MX_PROCS, SLOW(40000));
	ck_assert_int_eq(sh->overlaps, 0);
	ck_assert_int_eq(sh->fence_errors, 0);
	for (int k = 0; k < MX_KEYS; k++) {
		ck_assert_int_eq(sh->count[k], MX_PROCS * MX_ITERS / MX_KEYS);
		total += sh->count[k];
	}
	ck_assert_int_eq(total, MX_PROCS * MX_ITERS);
	ctl = h_connect(d);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "grants"), MX_PROCS * MX_ITERS);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "releases"), MX_PROCS * MX_ITERS);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "locks_held"), 0);
	ck_assert_int_eq(h_info_ll(ctl, "locks", "waiters"), 0);
	h_close(ctl);
	munmap(sh, sizeof *sh);
	h_daemon_finish(d);
}
END_TEST

#define PB_PROCS 10
#define PB_ITERS 200
#define PB_MAX	 3

struct pb_shared {
	int holders;	/* processes holding a slot now */
	int max_seen;
	int violations; /* times holders exceeded PB_MAX */
};

static void pb_child(const struct h_daemon *d, struct pb_shared *sh)
{
	struct h_client *c = h_connect(d);

	for (int i = 0; i < PB_ITERS; i++) {
		struct grant g;
		int now, seen;

		pool_acquire(c, &g, "pb", "3", "WAIT", "0", "PX", "5000");
		now = __atomic_add_fetch(&sh->holders, 1, __ATOMIC_SEQ_CST);
		if (now > PB_MAX)
			__atomic_add_fetch(&sh->violations, 1, __ATOMIC_SEQ_CST);
		seen = __atomic_load_n(&sh->max_seen, __ATOMIC_SEQ_CST);
		while (now > seen && !__atomic_compare_exchange_n(&sh->max_seen, &seen, now, false,
								  __ATOMIC_SEQ_CST,
								  __ATOMIC_SEQ_CST))
			;
		usleep(100);
		__atomic_sub_fetch(&sh->holders, 1, __ATOMIC_SEQ_CST);
		h_call_int(c, 1, "POOL.RELEASE", "pb", g.id);
	}
	h_close(c);
}

START_TEST(test_pool_never_exceeds_max_size_under_load)
{
	struct h_daemon *d = start();
	struct pb_shared *sh = shared_new(sizeof *sh);
	struct h_client *ctl;
	pid_t pids[PB_PROCS];

	fflush(NULL);
	for (int p = 0; p < PB_PROCS; p++) {
		pids[p] = check_fork();
		ck_assert_int_ge(pids[p], 0);
		if (pids[p] == 0) {
			pb_child(d, sh);
			_exit(0);
		}
	}
	reap_children(pids, PB_PROCS, SLOW(40000));
	ck_assert_int_eq(sh->violations, 0);
	ck_assert_int_le(sh->max_seen, PB_MAX);
	ck_assert_msg(sh->max_seen > 1, "slots were never held concurrently (max %d)",
		      sh->max_seen);
	ctl = h_connect(d);
	h_call_int(ctl, 0, "POOL.SIZE", "pb");
	h_call_int(ctl, 0, "EXISTS", "pb");
	ck_assert_int_eq(h_info_ll(ctl, "pools", "slots_held"), 0);
	ck_assert_int_eq(h_info_ll(ctl, "pools", "pools"), 0);
	ck_assert_int_eq(h_info_ll(ctl, "pools", "slot_grants"), PB_PROCS * PB_ITERS);
	ck_assert_int_eq(h_info_ll(ctl, "pools", "slot_releases"), PB_PROCS * PB_ITERS);
	h_close(ctl);
	munmap(sh, sizeof *sh);
	h_daemon_finish(d);
}
END_TEST

/* ---- pools ----------------------------------------------------------------- */

START_TEST(test_pool_grants_distinct_slots_up_to_max_then_full)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d);
	struct grant s[3], more;

	pool_acquire(c1, &s[0], "p", "3");
	pool_acquire(c2, &s[1], "p", "3");
	pool_acquire(c1, &s[2], "p", "3", "PX", "60000");
	for (int i = 0; i < 3; i++) {
		ck_assert_msg(is_hex_id(&s[i]), "slot id '%s' is not %d hex digits", s[i].id,
			      GRANT_TOKEN_HEX);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(s[i].id, s[j].id);
	}
	h_call_error(c2, "FULL ", "POOL.ACQUIRE", "p", "3");
	h_call_error(c1, "FULL ", "POOL.ACQUIRE", "p", "2");
	h_call_int(c1, 3, "POOL.SIZE", "p");
	h_call_status(c1, "pool", "TYPE", "p");
	/* max-size is the caller's own admission limit. */
	pool_acquire(c2, &more, "p", "4");
	h_call_int(c1, 4, "POOL.SIZE", "p");
	h_close(c1);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_pool_waiter_is_granted_when_a_slot_is_released)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d), *c3 = h_connect(d);
	struct grant a, b, w;
	int64_t t0, took;

	pool_acquire(c1, &a, "p", "2");
	pool_acquire(c1, &b, "p", "2");
	t0 = h_now_ms();
	h_call_error(c3, "TIMEOUT ", "POOL.ACQUIRE", "p", "2", "WAIT", "100");
	took = h_now_ms() - t0;
	ck_assert_msg(took >= 100 - EARLY_MS && took <= 100 + SLOW(GRANT_LATE_MS),
		      "POOL.ACQUIRE WAIT 100 timed out after %lld ms", (long long)took);
	h_cmd(c2, "POOL.ACQUIRE", "p", "2", "WAIT", "0");
	ck_assert_msg(h_is_quiet(c2, QUIET_MS), "a pool waiter was answered while full");
	h_call_int(c1, 1, "POOL.RELEASE", "p", a.id);
	expect_grant(c2, &w);
	ck_assert_int_gt(w.fence, b.fence);
	h_call_int(c1, 2, "POOL.SIZE", "p");
	h_call_int(c2, 1, "POOL.RELEASE", "p", w.id);
	h_call_int(c1, 1, "POOL.RELEASE", "p", b.id);
	h_close(c1);
	h_close(c2);
	h_close(c3);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_pool_size_and_info_report_the_slots)
{
	static const char *const top[] = {"size", "max", "waiters", "slots"};
	static const char *const slot[] = {"id",	"fence",  "client-id", "pid",	 "uid",
					   "name", "held-ms", "ttl-ms",	   "session"};
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d), *w = h_connect(d);
	struct grant s[3];
	struct resp_reply *r;
	const struct resp_reply *slots;
	long long id;
	bool seen[3] = {false};

	h_call_int(c1, 0, "POOL.SIZE", "p");
	h_call_nil(c1, "POOL.INFO", "p");
	h_ok(c1, "CLIENT", "SETNAME", "pooler");
	id = h_call_ll(c1, "CLIENT", "ID");
	pool_acquire(c1, &s[0], "p", "3");
	pool_acquire(c1, &s[1], "p", "3", "PX", "60000");
	pool_acquire(c1, &s[2], "p", "3", "DETACH");
	h_cmd(w, "POOL.ACQUIRE", "p", "3", "WAIT", "0");
	wait_waiters(c2, "POOL.INFO", "p", 1);
	h_call_int(c2, 3, "POOL.SIZE", "p");

	r = h_call(c2, "POOL.INFO", "p");
	expect_field_names(r, top, 4);
	ck_assert_int_eq(field_ll(r, "size"), 3);
	ck_assert_int_eq(field_ll(r, "max"), 3);
	ck_assert_int_eq(field_ll(r, "waiters"), 1);
	slots = field(r, "slots");
	ck_assert_int_eq(slots->type, RESP_ARRAY);
	ck_assert_uint_eq(slots->elements, 3);
	for (size_t i = 0; i < slots->elements; i++) {
		const struct resp_reply *e = slots->element[i];
		int k = -1;

		expect_field_names(e, slot, sizeof slot / sizeof slot[0]);
		for (int j = 0; j < 3; j++)
			if (strcmp(field(e, "id")->str, s[j].id) == 0)
				k = j;
		ck_assert_msg(k >= 0 && !seen[k], "POOL.INFO slot %s unknown or listed twice",
			      field(e, "id")->str);
		seen[k] = true;
		ck_assert_int_eq(field_ll(e, "fence"), s[k].fence);
		ck_assert_int_eq(field_ll(e, "client-id"), id);
		ck_assert_int_eq(field_ll(e, "pid"), getpid());
		ck_assert_int_eq(field_ll(e, "uid"), getuid());
		ck_assert_str_eq(field(e, "name")->str, "pooler");
		ck_assert_int_ge(field_ll(e, "held-ms"), 0);
		if (k == 1) {
			ck_assert_int_gt(field_ll(e, "ttl-ms"), 50000);
			ck_assert_int_le(field_ll(e, "ttl-ms"), 60000);
		} else {
			ck_assert_int_eq(field_ll(e, "ttl-ms"), -1);
		}
		ck_assert_int_eq(field_ll(e, "session"), k == 2 ? 0 : 1);
	}
	resp_reply_free(r);
	h_close(w);
	h_close(c1);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_pool_release_with_wrong_or_used_id_is_notowner)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct grant a, b;
	char wrong[GRANT_TOKEN_HEX + 1];

	pool_acquire(c, &a, "p", "2");
	pool_acquire(c, &b, "p", "2");
	memcpy(wrong, a.id, sizeof wrong);
	wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
	h_call_error(c, "NOTOWNER ", "POOL.RELEASE", "p", wrong);
	h_call_error(c, "NOTOWNER ", "POOL.RELEASE", "p", "short");
	h_call_error(c, "NOTOWNER ", "POOL.RELEASE", "q", a.id);
	h_call_int(c, 2, "POOL.SIZE", "p");
	h_call_int(c, 1, "POOL.RELEASE", "p", a.id);
	h_call_error(c, "NOTOWNER ", "POOL.RELEASE", "p", a.id);
	h_call_int(c, 1, "POOL.SIZE", "p");
	h_call_error(c, "NOTOWNER ", "POOL.RENEW", "p", a.id, "PX", "1000");
	h_call_int(c, 1, "POOL.RELEASE", "p", b.id);
	h_call_error(c, "NOTOWNER ", "POOL.RELEASE", "p", b.id);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_pool_slot_expiry_frees_its_place)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct grant a, b, e;
	struct resp_reply *r;

	pool_acquire(c, &a, "p", "1", "PX", "150");
	h_call_int(c, 1, "POOL.SIZE", "p");
	h_sleep_ms(250);
	h_call_int(c, 0, "POOL.SIZE", "p");
	h_call_int(c, 0, "EXISTS", "p");
	h_call_nil(c, "POOL.INFO", "p");
	h_call_error(c, "NOTOWNER ", "POOL.RELEASE", "p", a.id);

	/* Next to a slot without a TTL, the expired one stops counting. */
	pool_acquire(c, &b, "q", "2");
	pool_acquire(c, &e, "q", "2", "PX", "150");
	h_call_error(c, "FULL ", "POOL.ACQUIRE", "q", "2");
	h_sleep_ms(250);
	h_call_int(c, 1, "POOL.SIZE", "q");
	r = h_call(c, "POOL.INFO", "q");
	ck_assert_uint_eq(field(r, "slots")->elements, 1);
	ck_assert_str_eq(field(field(r, "slots")->element[0], "id")->str, b.id);
	resp_reply_free(r);
	pool_acquire(c, &e, "q", "2");
	/* Both expired slots count, the one that took its pool's key along too. */
	expect_slot_accounting(c);
	ck_assert_int_eq(h_info_ll(c, "pools", "slots_expired"), 2);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_pool_renew_replaces_the_slot_ttl)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct grant a;
	long long pttl;

	pool_acquire(c, &a, "p", "1", "PX", "150");
	h_call_int(c, 1, "POOL.RENEW", "p", a.id, "PX", "60000");
	pttl = h_call_ll(c, "PTTL", "p");
	ck_assert_msg(pttl > 50000 && pttl <= 60000, "pool PTTL %lld after RENEW PX 60000", pttl);
	h_sleep_ms(250);
	h_call_int(c, 1, "POOL.SIZE", "p");
	h_cmd(c, "POOL.RENEW", "p", a.id, "EX", "1");
	h_expect_error_is(c, "ERR syntax error");
	h_call_error(c, "ERR invalid expire time", "POOL.RENEW", "p", a.id, "PX", "0");
	h_call_int(c, 1, "POOL.RELEASE", "p", a.id);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_pool_slots_are_released_when_the_holder_disconnects)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d);
	struct grant a, b, kept, n;
	struct resp_reply *r;

	pool_acquire(c1, &a, "p", "3");
	pool_acquire(c1, &b, "p", "3", "PX", "60000");
	pool_acquire(c1, &kept, "p", "3", "DETACH");
	h_close(c1);
	/* No WAIT: both session-bound slots must be back already. */
	pool_acquire(c2, &n, "p", "3");
	h_call_int(c2, 2, "POOL.SIZE", "p");
	r = h_call(c2, "POOL.INFO", "p");
	for (size_t i = 0; i < field(r, "slots")->elements; i++) {
		const char *id = field(field(r, "slots")->element[i], "id")->str;

		ck_assert_msg(strcmp(id, kept.id) == 0 || strcmp(id, n.id) == 0,
			      "slot %s outlived its connection", id);
	}
	resp_reply_free(r);
	ck_assert_int_eq(h_info_ll(c2, "pools", "session_releases"), 2);
	h_call_int(c2, 1, "POOL.RELEASE", "p", kept.id);
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_pool_commands_on_other_types_are_wrongtype)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	struct grant g;

	h_ok(c, "SET", "s", "v");
	lock_acquire(c, &g, "l");
	h_call_error(c, "WRONGTYPE ", "POOL.ACQUIRE", "s", "2");
	h_call_error(c, "WRONGTYPE ", "POOL.ACQUIRE", "s", "2", "WAIT", "100");
	h_call_error(c, "WRONGTYPE ", "POOL.ACQUIRE", "l", "2");
	h_call_error(c, "WRONGTYPE ", "POOL.SIZE", "s");
	h_call_error(c, "WRONGTYPE ", "POOL.INFO", "l");
	h_call_error(c, "WRONGTYPE ", "POOL.RELEASE", "s", "x");
	h_call_bulk(c, "v", "GET", "s");
	h_call_bulk(c, g.id, "GET", "l");
	/* The other way round: a pool is a key like any other to a lock. */
	pool_acquire(c, &g, "p", "2");
	h_call_error(c, "LOCKED ", "LOCK.ACQUIRE", "p");
	h_call_error(c, "WRONGTYPE ", "LOCK.INFO", "p");
	h_call_error(c, "WRONGTYPE ", "GET", "p");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_pool_key_disappears_with_its_last_slot)
{
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *w = h_connect(d);
	struct grant a, b, l;

	pool_acquire(c1, &a, "p", "2");
	pool_acquire(c1, &b, "p", "2");
	h_call_int(c1, 1, "EXISTS", "p");
	h_call_int(c1, 1, "POOL.RELEASE", "p", a.id);
	h_call_int(c1, 1, "EXISTS", "p");
	/* A lock waiter on the pool's key gets it when the pool is gone. */
	h_cmd(w, "LOCK.ACQUIRE", "p", "WAIT", "0");
	wait_info(c1, "locks", "waiters", 1);
	h_call_int(c1, 1, "POOL.RELEASE", "p", b.id);
	expect_grant(w, &l);
	h_call_status(c1, "lock", "TYPE", "p");
	h_call_int(w, 1, "LOCK.RELEASE", "p", l.id);
	h_call_int(c1, 0, "EXISTS", "p");
	ck_assert_int_eq(h_info_ll(c1, "pools", "pools"), 0);
	h_close(c1);
	h_close(w);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_pool_acquire_bad_arguments_are_errors)
{
	struct h_daemon *d = start();
	struct h_client *c = h_connect(d);
	char biggest[32], toobig[32];
	struct grant g;

	snprintf(biggest, sizeof biggest, "%lld", (long long)POOL_MAX_SIZE);
	snprintf(toobig, sizeof toobig, "%lld", (long long)POOL_MAX_SIZE + 1);
	h_call_error(c, "ERR max-size must be between 1 and 4294967296", "POOL.ACQUIRE", "p", "0");
	h_call_error(c, "ERR max-size must be between 1 and 4294967296", "POOL.ACQUIRE", "p", "-1");
	h_call_error(c, "ERR max-size must be between 1 and 4294967296", "POOL.ACQUIRE", "p", toobig);
	h_call_error(c, "ERR value is not an integer", "POOL.ACQUIRE", "p", "abc");
	h_call_error(c, "ERR invalid expire time in 'pool.acquire'", "POOL.ACQUIRE", "p", "2", "PX",
		     "0");
	h_call_error(c, "ERR WAIT timeout must be ", "POOL.ACQUIRE", "p", "2", "WAIT", "-1");
	/* TOKEN is a lock option only. */
	h_cmd(c, "POOL.ACQUIRE", "p", "2", "TOKEN", "t");
	h_expect_error_is(c, "ERR syntax error");
	h_cmd(c, "POOL.ACQUIRE", "p", "2", "FOO");
	h_expect_error_is(c, "ERR syntax error");
	h_call_int(c, 0, "EXISTS", "p");
	pool_acquire(c, &g, "p", biggest);
	h_call_int(c, 1, "POOL.SIZE", "p");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- INFO and CLIENT LIST --------------------------------------------------- */

START_TEST(test_info_locks_counts_grants_waits_timeouts_and_notowner)
{
	static const char *const fields[] = {"locks_held", "waiters",	   "grants",
					     "releases",   "waits",	   "timeouts",
					     "waiters_gone", "notowner", "session_releases"};
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d), *c3;
	struct grant g;

	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		ck_assert_int_eq(h_info_ll(c1, "locks", fields[i]), 0);
	lock_acquire(c1, &g, "k");
	ck_assert_int_eq(h_info_ll(c1, "locks", "grants"), 1);
	ck_assert_int_eq(h_info_ll(c1, "locks", "locks_held"), 1);
	h_call_error(c2, "LOCKED ", "LOCK.ACQUIRE", "k");
	ck_assert_int_eq(h_info_ll(c1, "locks", "grants"), 1);
	ck_assert_int_eq(h_info_ll(c1, "locks", "waits"), 0);
	h_call_error(c2, "TIMEOUT ", "LOCK.ACQUIRE", "k", "WAIT", "50");
	ck_assert_int_eq(h_info_ll(c1, "locks", "waits"), 1);
	ck_assert_int_eq(h_info_ll(c1, "locks", "timeouts"), 1);
	ck_assert_int_eq(h_info_ll(c1, "locks", "waiters"), 0);
	h_call_error(c2, "NOTOWNER ", "LOCK.RELEASE", "k", "nope");
	h_call_error(c2, "NOTOWNER ", "LOCK.RENEW", "k", "nope", "PX", "10");
	ck_assert_int_eq(h_info_ll(c1, "locks", "notowner"), 2);
	/* A waiter that hangs up. */
	c3 = h_connect(d);
	h_cmd(c3, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_info(c1, "locks", "waiters", 1);
	ck_assert_int_eq(h_info_ll(c1, "clients", "blocked_clients"), 1);
	h_close(c3);
	wait_info(c1, "locks", "waiters_gone", 1);
	ck_assert_int_eq(h_info_ll(c1, "locks", "waiters"), 0);
	ck_assert_int_eq(h_info_ll(c1, "locks", "waits"), 2);
	h_call_int(c1, 1, "LOCK.RELEASE", "k", g.id);
	ck_assert_int_eq(h_info_ll(c1, "locks", "releases"), 1);
	ck_assert_int_eq(h_info_ll(c1, "locks", "locks_held"), 0);
	/* A holder that hangs up. */
	lock_acquire(c2, &g, "k");
	h_close(c2);
	wait_info(c1, "locks", "session_releases", 1);
	ck_assert_int_eq(h_info_ll(c1, "locks", "locks_held"), 0);
	ck_assert_int_eq(h_info_ll(c1, "locks", "grants"), 2);
	ck_assert_int_eq(h_info_ll(c1, "locks", "releases"), 1);
	h_close(c1);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_info_pools_counts_slots)
{
	static const char *const fields[] = {"pools",	 "slots_held",	     "slot_grants",
					     "slot_releases", "full", "notowner",
					     "session_releases", "slots_expired"};
	struct h_daemon *d = start();
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d);
	struct grant a, b;

	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		ck_assert_int_eq(h_info_ll(c1, "pools", fields[i]), 0);
	pool_acquire(c1, &a, "p", "2");
	pool_acquire(c1, &b, "p", "2");
	pool_acquire(c1, &b, "q", "1", "PX", "100");
	ck_assert_int_eq(h_info_ll(c1, "pools", "pools"), 2);
	ck_assert_int_eq(h_info_ll(c1, "pools", "slots_held"), 3);
	ck_assert_int_eq(h_info_ll(c1, "pools", "slot_grants"), 3);
	h_call_error(c1, "FULL ", "POOL.ACQUIRE", "p", "2");
	ck_assert_int_eq(h_info_ll(c1, "pools", "full"), 1);
	h_call_error(c1, "NOTOWNER ", "POOL.RELEASE", "p", "nope");
	ck_assert_int_eq(h_info_ll(c1, "pools", "notowner"), 1);
	h_call_int(c1, 1, "POOL.RELEASE", "p", a.id);
	ck_assert_int_eq(h_info_ll(c1, "pools", "slot_releases"), 1);
	pool_acquire(c2, &a, "p", "2");
	h_close(c2);
	wait_info(c1, "pools", "session_releases", 1);
	ck_assert_int_eq(h_info_ll(c1, "pools", "slot_grants"), 4);
	expect_slot_accounting(c1);
	/* q's only slot expires, and with it the pool's key. */
	h_sleep_ms(250);
	h_call_int(c1, 0, "POOL.SIZE", "q");
	ck_assert_int_eq(h_info_ll(c1, "pools", "pools"), 1);
	ck_assert_int_eq(h_info_ll(c1, "pools", "slots_held"), 1);
	expect_slot_accounting(c1);
	ck_assert_int_eq(h_info_ll(c1, "pools", "slots_expired"), 1);
	h_close(c1);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_client_list_shows_holds_and_waits)
{
	struct h_daemon *d = start();
	struct h_client *h = h_connect(d), *w = h_connect(d), *ctl = h_connect(d);
	char line[1024];
	struct grant g, s, n;
	size_t len;

	h_ok(h, "CLIENT", "SETNAME", "holder");
	h_ok(w, "CLIENT", "SETNAME", "waiter");
	lock_acquire(h, &g, "k");
	client_line(ctl, "holder", line, sizeof line);
	ck_assert_msg(strstr(line, " holds=1 ") != NULL, "holder: %s", line);
	pool_acquire(h, &s, "p", "5");
	lock_acquire(h, &n, "detached", "DETACH");
	client_line(ctl, "holder", line, sizeof line);
	ck_assert_msg(strstr(line, " holds=2 ") != NULL, "holder of a lock and a slot: %s", line);
	len = strlen(line);
	ck_assert_msg(len >= 7 && strcmp(line + len - 7, " waits=") == 0,
		      "holder waits for something: %s", line);

	h_cmd(w, "LOCK.ACQUIRE", "k", "WAIT", "0");
	wait_waiters(ctl, "LOCK.INFO", "k", 1);
	client_line(ctl, "waiter", line, sizeof line);
	len = strlen(line);
	ck_assert_msg(len >= 8 && strcmp(line + len - 8, " waits=k") == 0, "waiter: %s", line);
	ck_assert_msg(strstr(line, " flags=bU ") != NULL, "waiter not blocked: %s", line);
	ck_assert_msg(strstr(line, " holds=0 ") != NULL, "waiter: %s", line);

	h_call_int(h, 1, "LOCK.RELEASE", "k", g.id);
	expect_grant(w, &g);
	client_line(ctl, "waiter", line, sizeof line);
	ck_assert_msg(strstr(line, " holds=1 ") != NULL, "new holder: %s", line);
	ck_assert_msg(strstr(line, " flags=U ") != NULL, "new holder still blocked: %s", line);
	len = strlen(line);
	ck_assert_msg(len >= 7 && strcmp(line + len - 7, " waits=") == 0,
		      "new holder still waits: %s", line);
	h_close(h);
	h_close(w);
	h_close(ctl);
	h_daemon_finish(d);
}
END_TEST

Suite *lock_suite(void)
{
	Suite *s = suite_create("lock");
	TCase *tc;
	int timeout = 30 * h_slow();

	tc = tcase_create("lock_commands");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_lock_acquire_free_key_grants_token_and_fence);
	tcase_add_test(tc, test_lock_acquire_held_key_without_wait_is_locked);
	tcase_add_test(tc, test_lock_acquire_wait_times_out_after_the_wait);
	tcase_add_test(tc, test_lock_acquire_wait_0_waits_until_release);
	tcase_add_test(tc, test_lock_acquire_token_is_the_chosen_one_and_releases);
	tcase_add_test(tc, test_lock_acquire_token_empty_or_too_long_is_error);
	tcase_add_test(tc, test_lock_acquire_bad_px_or_wait_is_error);
	tcase_add_test(tc, test_lock_acquire_unknown_option_is_syntax_error);
	tcase_add_test(tc, test_lock_and_pool_commands_with_wrong_arity_are_errors);
	tcase_add_test(tc, test_lock_release_with_wrong_token_is_notowner_and_keeps_holder);
	tcase_add_test(tc, test_lock_release_after_expiry_is_notowner);
	tcase_add_test(tc, test_lock_late_release_by_expired_holder_leaves_new_holder);
	tcase_add_test(tc, test_lock_renew_replaces_the_ttl);
	tcase_add_test(tc, test_lock_renew_bad_arguments_are_errors);
	tcase_add_test(tc, test_lock_info_reports_the_holder);
	tcase_add_test(tc, test_lock_check_is_true_only_for_the_current_fence);
	tcase_add_test(tc, test_fences_strictly_increase_across_locks_and_pools);
	suite_add_tcase(s, tc);

	tc = tcase_create("ownership");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_lock_is_released_when_the_holder_disconnects);
	tcase_add_test(tc, test_lock_detach_survives_disconnect_until_token_or_del);
	tcase_add_test(tc, test_killed_holder_process_frees_the_lock_for_a_waiter);
	suite_add_tcase(s, tc);

	tc = tcase_create("keyspace");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_lock_shares_the_keyspace_with_plain_commands);
	tcase_add_test(tc, test_del_force_releases_a_lock_and_wakes_its_waiter);
	tcase_add_test(tc, test_plain_key_blocks_lock_until_deleted);
	tcase_add_test(tc, test_plain_key_expiry_grants_lock_waiters_on_time);
	tcase_add_test(tc, test_pexpire_on_blocking_key_grants_lock_waiters_at_the_new_expiry);
	tcase_add_test(tc, test_flushdb_wakes_lock_waiters);
	tcase_add_test(tc, test_lock_in_db_3_is_independent_of_db_0);
	suite_add_tcase(s, tc);

	tc = tcase_create("queues");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_lock_waiters_are_granted_in_arrival_order);
	tcase_add_test(tc, test_lock_grants_skip_disconnected_waiters);
	tcase_add_test(tc, test_pipelined_commands_wait_behind_a_blocked_acquire);
	tcase_add_test(tc, test_wait_timeout_racing_a_release_gives_exactly_one_reply);
	tcase_add_test(tc, test_lock_max_waiters_limits_each_queue);
	tcase_add_test(tc, test_lock_ttl_expiry_grants_waiters_on_time);
	tcase_add_test(tc, test_lock_renew_to_a_shorter_ttl_grants_waiters_at_the_new_expiry);
	tcase_add_test(tc, test_pool_slot_expiry_grants_waiters_on_time);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_set_timeout(tc, 2 * timeout);
	tcase_add_test(tc, test_lock_mutual_exclusion_under_load);
	tcase_add_test(tc, test_pool_never_exceeds_max_size_under_load);
	suite_add_tcase(s, tc);

	tc = tcase_create("pools");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_pool_grants_distinct_slots_up_to_max_then_full);
	tcase_add_test(tc, test_pool_waiter_is_granted_when_a_slot_is_released);
	tcase_add_test(tc, test_pool_size_and_info_report_the_slots);
	tcase_add_test(tc, test_pool_release_with_wrong_or_used_id_is_notowner);
	tcase_add_test(tc, test_pool_slot_expiry_frees_its_place);
	tcase_add_test(tc, test_pool_renew_replaces_the_slot_ttl);
	tcase_add_test(tc, test_pool_slots_are_released_when_the_holder_disconnects);
	tcase_add_test(tc, test_pool_commands_on_other_types_are_wrongtype);
	tcase_add_test(tc, test_pool_key_disappears_with_its_last_slot);
	tcase_add_test(tc, test_pool_acquire_bad_arguments_are_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("stats");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_info_locks_counts_grants_waits_timeouts_and_notowner);
	tcase_add_test(tc, test_info_pools_counts_slots);
	tcase_add_test(tc, test_client_list_shows_holds_and_waits);
	suite_add_tcase(s, tc);
	return s;
}
