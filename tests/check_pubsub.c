/* check_pubsub.c - pub/sub and keyspace notifications end to end on the
 * real daemon: message shapes, patterns, counts, RESP2's subscribed mode,
 * cleanup on close and RESET, the pubsub output-buffer class, and each
 * keyspace event class, including expiry, eviction and the lock and pool
 * events (L).
 *
 * What redis-server answers the same way is also in
 * tests/diff/cases/pubsub.txt; these tests cover what needs several
 * clients, time, memory or cachifyd's own events.
 */
#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check_suites.h"
#include "harness.h"

#define T_SLOW_MS(ms)	((ms) * h_slow()) /* a bound, scaled for sanitizer builds */
#define PEER_TIMEOUT_MS 60000		  /* the redis-py script's whole run */
#define RSS_GROWTH_KIB	(40 * 1024)	  /* daemon growth allowed under a 100 MB flood */

#define SUBSCRIBED_ERR                                                                             \
	"ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "    \
	"are allowed in this context"

/* Reads one array reply of n elements and checks each: a C string for a
 * bulk, NULL for a nil bulk. The last element is an integer when
 * last_int >= 0. */
#define expect_push(c, n, last_int, ...)                                                           \
	expect_push_at(__FILE__, __LINE__, c, n, last_int, __VA_ARGS__)
static void expect_push_at(const char *file, int line, struct h_client *c, size_t n,
			   long long last_int, ...)
{
	struct resp_reply *r = h_reply_at(file, line, c);
	char got[512];
	va_list ap;

	h_reply_fmt(r, got, sizeof got);
	ck_assert_msg(r->type == RESP_ARRAY && r->elements == n, "%s:%d: got %s", file, line, got);
	va_start(ap, last_int);
	for (size_t i = 0; i < n; i++) {
		const struct resp_reply *e = r->element[i];

		if (i == n - 1 && last_int >= 0) {
			ck_assert_msg(e->type == RESP_INTEGER && e->integer == last_int,
				      "%s:%d: element %zu of %s", file, line, i, got);
			continue;
		}
		const char *want = va_arg(ap, const char *);

		if (!want) {
			ck_assert_msg(e->type == RESP_NIL, "%s:%d: element %zu of %s", file, line, i,
				      got);
			continue;
		}
		ck_assert_msg(e->type == RESP_BULK && e->len == strlen(want) &&
				      memcmp(e->str, want, e->len) == 0,
			      "%s:%d: element %zu of %s, want %s", file, line, i, got, want);
	}
	va_end(ap);
	resp_reply_free(r);
}

#define expect_confirm(c, verb, name, n) expect_push(c, 3, n, verb, name)
#define expect_message(c, ch, msg)	 expect_push(c, 3, -1, "message", ch, msg)
#define expect_pmessage(c, pat, ch, msg) expect_push(c, 4, -1, "pmessage", pat, ch, msg)

/* Sends cmd with (ptr, len) arguments: binary and large values. */
static void cmd_bin(struct h_client *c, const char *cmd, const char *a, const char *b,
		    size_t blen)
{
	struct resp_arg argv[3] = {{cmd, strlen(cmd)}, {a, strlen(a)}, {b, blen}};

	h_cmdv(c, 3, argv);
}

/* CONFIG GET name answers [name, want]. */
static void expect_config(struct h_client *c, const char *name, const char *want)
{
	struct resp_reply *r = h_call(c, "CONFIG", "GET", name);

	ck_assert_uint_eq(r->elements, 2);
	ck_assert_str_eq(r->element[1]->str, want);
	resp_reply_free(r);
}

/* PUBSUB NUMSUB ch answers [ch, n]. */
static long long numsub(struct h_client *c, const char *ch)
{
	struct resp_reply *r = h_call(c, "PUBSUB", "NUMSUB", ch);
	long long n;

	ck_assert_uint_eq(r->elements, 2);
	n = r->element[1]->integer;
	resp_reply_free(r);
	return n;
}

/* A keyspace event as a subscriber of both __keyspace@0__:* and
 * __keyevent@0__:* (two pattern subscriptions) sees it. */
static void expect_event(struct h_client *c, const char *key, const char *event)
{
	char ks[256], ke[256];

	snprintf(ks, sizeof ks, "__keyspace@0__:%s", key);
	snprintf(ke, sizeof ke, "__keyevent@0__:%s", event);
	expect_pmessage(c, "__keyspace@0__:*", ks, event);
	expect_pmessage(c, "__keyevent@0__:*", ke, key);
}

/* A client subscribed to every keyspace and keyevent channel of db 0. */
static struct h_client *event_watcher(struct h_daemon *d)
{
	struct h_client *w = h_connect(d);

	h_cmd(w, "PSUBSCRIBE", "__keyspace@0__:*", "__keyevent@0__:*");
	expect_confirm(w, "psubscribe", "__keyspace@0__:*", 1);
	expect_confirm(w, "psubscribe", "__keyevent@0__:*", 2);
	return w;
}

/* ---- channels, patterns, counts ------------------------------------------ */

START_TEST(test_publish_reaches_channel_and_pattern_subscribers_and_counts_them)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *s1 = h_connect(d), *s2 = h_connect(d), *p = h_connect(d);

	h_cmd(s1, "SUBSCRIBE", "news", "sport");
	expect_confirm(s1, "subscribe", "news", 1);
	expect_confirm(s1, "subscribe", "sport", 2);
	h_cmd(s2, "PSUBSCRIBE", "n*", "x?");
	expect_confirm(s2, "psubscribe", "n*", 1);
	expect_confirm(s2, "psubscribe", "x?", 2);
	h_call_int(p, 2, "PUBLISH", "news", "hello");
	expect_message(s1, "news", "hello");
	expect_pmessage(s2, "n*", "news", "hello");
	h_call_int(p, 1, "PUBLISH", "sport", "");
	expect_message(s1, "sport", "");
	h_call_int(p, 0, "PUBLISH", "weather", "x");
	/* A binary message goes through unchanged. */
	cmd_bin(p, "PUBLISH", "xy", "a\0\r\nb", 5);
	h_expect_int(p, 1);
	{
		struct resp_reply *r = h_reply(s2);

		ck_assert_uint_eq(r->elements, 4);
		ck_assert_uint_eq(r->element[3]->len, 5);
		ck_assert_int_eq(memcmp(r->element[3]->str, "a\0\r\nb", 5), 0);
		resp_reply_free(r);
	}
	/* A client subscribed both ways gets the message twice, counted twice. */
	h_cmd(s1, "PSUBSCRIBE", "*s");
	expect_confirm(s1, "psubscribe", "*s", 3);
	h_call_int(p, 3, "PUBLISH", "news", "again");
	expect_message(s1, "news", "again");
	expect_pmessage(s1, "*s", "news", "again");
	expect_pmessage(s2, "n*", "news", "again");
	ck_assert(h_is_quiet(s1, 100));
	h_close(s1);
	h_close(s2);
	h_close(p);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_pubsub_channels_numsub_numpat_and_shard_channels)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *s1 = h_connect(d), *s2 = h_connect(d), *c = h_connect(d);
	struct resp_reply *r;

	h_cmd(s1, "SUBSCRIBE", "a1", "b1");
	expect_confirm(s1, "subscribe", "a1", 1);
	expect_confirm(s1, "subscribe", "b1", 2);
	h_cmd(s2, "SUBSCRIBE", "a1");
	expect_confirm(s2, "subscribe", "a1", 1);
	h_cmd(s2, "PSUBSCRIBE", "a*", "a*");
	expect_confirm(s2, "psubscribe", "a*", 2);
	expect_confirm(s2, "psubscribe", "a*", 2);
	h_cmd(s2, "SSUBSCRIBE", "sh");
	expect_confirm(s2, "ssubscribe", "sh", 1); /* shard channels count apart */

	r = h_call(c, "PUBSUB", "CHANNELS", "a*");
	ck_assert_uint_eq(r->elements, 1);
	ck_assert_str_eq(r->element[0]->str, "a1");
	resp_reply_free(r);
	r = h_call(c, "PUBSUB", "CHANNELS");
	ck_assert_uint_eq(r->elements, 2);
	resp_reply_free(r);
	r = h_call(c, "PUBSUB", "NUMSUB", "a1", "b1", "zz");
	ck_assert_uint_eq(r->elements, 6);
	ck_assert_int_eq(r->element[1]->integer, 2);
	ck_assert_int_eq(r->element[3]->integer, 1);
	ck_assert_int_eq(r->element[5]->integer, 0);
	resp_reply_free(r);
	h_call_int(c, 1, "PUBSUB", "NUMPAT");
	r = h_call(c, "PUBSUB", "SHARDCHANNELS");
	ck_assert_uint_eq(r->elements, 1);
	ck_assert_str_eq(r->element[0]->str, "sh");
	resp_reply_free(r);
	r = h_call(c, "PUBSUB", "SHARDNUMSUB", "sh", "a1");
	ck_assert_int_eq(r->element[1]->integer, 1);
	ck_assert_int_eq(r->element[3]->integer, 0);
	resp_reply_free(r);
	/* SPUBLISH reaches shard subscribers only; PUBLISH never reaches them. */
	h_call_int(c, 1, "SPUBLISH", "sh", "m");
	expect_push(s2, 3, -1, "smessage", "sh", "m");
	h_call_int(c, 0, "PUBLISH", "sh", "m");
	h_call_int(c, 0, "SPUBLISH", "a1", "m");
	ck_assert(h_is_quiet(s2, 100));
	h_call_error(c, "ERR unknown subcommand 'nope'. Try PUBSUB HELP.", "PUBSUB", "nope");
	h_close(s1);
	h_close(s2);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- subscribed mode ----------------------------------------------------- */

START_TEST(test_subscribed_mode_allows_only_subscriptions_ping_quit_reset)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *s = h_connect(d);
	char err[256];

	h_cmd(s, "SUBSCRIBE", "ch");
	expect_confirm(s, "subscribe", "ch", 1);
	snprintf(err, sizeof err, SUBSCRIBED_ERR, "get");
	h_cmd(s, "GET", "k");
	h_expect_error_is(s, err);
	snprintf(err, sizeof err, SUBSCRIBED_ERR, "config|get");
	h_cmd(s, "CONFIG", "GET", "hz");
	h_expect_error_is(s, err);
	snprintf(err, sizeof err, SUBSCRIBED_ERR, "publish");
	h_cmd(s, "PUBLISH", "ch", "x");
	h_expect_error_is(s, err);
	/* Unknown commands and bad arities are judged first, as Redis. */
	h_call_error(s, "ERR unknown command 'NOPE'", "NOPE");
	h_call_error(s, "ERR wrong number of arguments for 'ping' command", "PING", "a", "b");
	h_cmd(s, "PING");
	expect_push(s, 2, -1, "pong", "");
	h_cmd(s, "PING", "hi");
	expect_push(s, 2, -1, "pong", "hi");
	/* The last unsubscription leaves the mode. */
	h_cmd(s, "UNSUBSCRIBE", "ch");
	expect_confirm(s, "unsubscribe", "ch", 0);
	h_call_nil(s, "GET", "k");
	h_call_status(s, "PONG", "PING");
	h_close(s);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_unsubscribe_without_names_goes_newest_first_or_answers_nil)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *s = h_connect(d);

	h_cmd(s, "UNSUBSCRIBE");
	expect_confirm(s, "unsubscribe", NULL, 0);
	h_cmd(s, "PUNSUBSCRIBE");
	expect_confirm(s, "punsubscribe", NULL, 0);
	h_cmd(s, "SUNSUBSCRIBE");
	expect_confirm(s, "sunsubscribe", NULL, 0);
	h_cmd(s, "SUBSCRIBE", "a", "b", "c");
	expect_confirm(s, "subscribe", "a", 1);
	expect_confirm(s, "subscribe", "b", 2);
	expect_confirm(s, "subscribe", "c", 3);
	h_cmd(s, "PSUBSCRIBE", "p*");
	expect_confirm(s, "psubscribe", "p*", 4);
	h_cmd(s, "UNSUBSCRIBE", "nope");
	expect_confirm(s, "unsubscribe", "nope", 4);
	h_cmd(s, "UNSUBSCRIBE");
	expect_confirm(s, "unsubscribe", "c", 3);
	expect_confirm(s, "unsubscribe", "b", 2);
	expect_confirm(s, "unsubscribe", "a", 1);
	/* Still subscribed to a pattern: still in subscribed mode. */
	h_cmd(s, "PING");
	expect_push(s, 2, -1, "pong", "");
	h_cmd(s, "PUNSUBSCRIBE");
	expect_confirm(s, "punsubscribe", "p*", 0);
	h_call_status(s, "PONG", "PING");
	h_close(s);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_close_and_reset_drop_every_subscription)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *s1 = h_connect(d), *s2 = h_connect(d), *c = h_connect(d);
	struct resp_reply *r;

	h_cmd(s1, "SUBSCRIBE", "x");
	expect_confirm(s1, "subscribe", "x", 1);
	h_cmd(s1, "PSUBSCRIBE", "x*");
	expect_confirm(s1, "psubscribe", "x*", 2);
	h_cmd(s2, "SUBSCRIBE", "x");
	expect_confirm(s2, "subscribe", "x", 1);
	h_call_int(c, 3, "PUBLISH", "x", "m");
	h_close(s1);
	/* The daemon notices the close on its next turn. */
	for (int i = 0; i < 100 && h_call_ll(c, "PUBSUB", "NUMPAT") != 0; i++)
		h_sleep_ms(10);
	h_call_int(c, 0, "PUBSUB", "NUMPAT");
	h_call_int(c, 1, "PUBLISH", "x", "m");
	expect_message(s2, "x", "m");
	expect_message(s2, "x", "m");
	/* RESET leaves subscribed mode at once, without unsubscribe replies. */
	h_call_status(s2, "RESET", "RESET");
	h_call_nil(s2, "GET", "k");
	h_call_int(c, 0, "PUBLISH", "x", "m");
	r = h_call(c, "PUBSUB", "CHANNELS");
	ck_assert_uint_eq(r->elements, 0);
	resp_reply_free(r);
	h_close(s2);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- slow subscribers ---------------------------------------------------- */

/* The daemon's resident memory, in KiB (0 if unreadable). */
static long daemon_rss_kib(const struct h_daemon *d)
{
	char path[64], *s, *p;
	long kib = 0;

	snprintf(path, sizeof path, "/proc/%d/status", (int)d->pid);
	s = h_slurp(path, NULL);
	if (s && (p = strstr(s, "VmRSS:")))
		kib = strtol(p + 6, NULL, 10);
	free(s);
	return kib;
}

START_TEST(test_subscriber_that_never_reads_is_closed_at_the_pubsub_limit)
{
	struct h_daemon *d = h_daemon_start("--client-output-buffer-limit",
					    "pubsub 8mb 2mb 60", NULL);
	struct h_client *slow = h_connect(d), *fast = h_connect(d), *p = h_connect(d);
	size_t len = 1024 * 1024, nread = 0;
	char *msg = malloc(len);
	long base = daemon_rss_kib(d);

	ck_assert_ptr_nonnull(msg);
	memset(msg, 'm', len);
	h_cmd(slow, "SUBSCRIBE", "flood");
	expect_confirm(slow, "subscribe", "flood", 1);
	h_cmd(fast, "SUBSCRIBE", "other");
	expect_confirm(fast, "subscribe", "other", 1);
	/* 100 MB published to a subscriber that reads nothing: it is cut off
	 * near its 8 MB, and the daemon's memory grows by far less than 100 MB
	 * (RSS_GROWTH_KIB). Not measured under sanitizers: ASan keeps freed
	 * memory in quarantine, more than the 100 MB that went through. */
	for (int i = 0; i < 100; i++) {
		struct resp_reply *r;

		cmd_bin(p, "PUBLISH", "flood", msg, len);
		r = h_reply(p);
		ck_assert_int_eq(r->type, RESP_INTEGER);
		resp_reply_free(r);
		if (h_slow() == 1)
			ck_assert_int_lt(daemon_rss_kib(d) - base, RSS_GROWTH_KIB);
	}
	free(msg);
	ck_assert_int_eq(numsub(p, "flood"), 0);
	ck_assert(h_read_until_eof(slow, T_SLOW_MS(5000), &nread));
	ck_assert_uint_lt(nread, 20 * len);
	ck_assert(h_log_wait(d, "client-output-buffer-limit", T_SLOW_MS(2000)));
	/* The others are fine. */
	h_call_int(p, 1, "PUBLISH", "other", "still here");
	expect_message(fast, "other", "still here");
	h_close(slow);
	h_close(fast);
	h_close(p);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_subscriber_over_the_soft_limit_too_long_is_closed)
{
	struct h_daemon *d = h_daemon_start("--client-output-buffer-limit", "pubsub 0 64kb 1", NULL);
	struct h_client *slow = h_connect(d), *p = h_connect(d);
	size_t len = 512 * 1024;
	char *msg = malloc(len);

	ck_assert_ptr_nonnull(msg);
	memset(msg, 's', len);
	h_cmd(slow, "SUBSCRIBE", "c");
	expect_confirm(slow, "subscribe", "c", 1);
	/* Over the soft limit, but not for long yet: kept. */
	cmd_bin(p, "PUBLISH", "c", msg, len);
	h_expect_int(p, 1);
	h_call_int(p, 1, "PUBLISH", "c", "small");
	ck_assert_int_eq(numsub(p, "c"), 1);
	h_sleep_ms(2200);
	h_call_int(p, 1, "PUBLISH", "c", "late");
	ck_assert_int_eq(numsub(p, "c"), 0);
	free(msg);
	ck_assert(h_log_wait(d, "for 1 s (client-output-buffer-limit)", T_SLOW_MS(2000)));
	ck_assert(h_read_until_eof(slow, T_SLOW_MS(5000), NULL));
	h_close(slow);
	h_close(p);
	h_daemon_finish(d);
}
END_TEST

/* ---- keyspace notifications ---------------------------------------------- */

START_TEST(test_keyspace_events_for_strings_and_keys_in_redis_order)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d), *w;

	h_ok(c, "CONFIG", "SET", "notify-keyspace-events", "KEA");
	expect_config(c, "notify-keyspace-events", "AKE");
	w = event_watcher(d);
	h_ok(c, "SET", "k", "1", "EX", "100");
	expect_event(w, "k", "set");
	expect_event(w, "k", "expire");
	h_call_int(c, 3, "INCRBY", "k", "2");
	expect_event(w, "k", "incrby");
	h_call_bulk(c, "4.5", "INCRBYFLOAT", "k", "1.5");
	expect_event(w, "k", "incrbyfloat");
	h_call_int(c, 4, "APPEND", "k", "x");
	expect_event(w, "k", "append");
	h_call_int(c, 4, "SETRANGE", "k", "0", "y");
	expect_event(w, "k", "setrange");
	h_call_int(c, 1, "PERSIST", "k");
	expect_event(w, "k", "persist");
	h_ok(c, "RENAME", "k", "k2");
	expect_event(w, "k", "rename_from");
	expect_event(w, "k2", "rename_to");
	h_call_int(c, 1, "COPY", "k2", "k3");
	expect_event(w, "k3", "copy_to");
	h_call_int(c, 1, "MOVE", "k3", "1");
	expect_event(w, "k3", "move_from"); /* move_to goes to db 1's channels */
	h_call_int(c, 1, "EXPIRE", "k2", "0"); /* a past time deletes: del */
	expect_event(w, "k2", "del");
	h_ok(c, "MSET", "a", "1", "b", "2");
	expect_event(w, "a", "set");
	expect_event(w, "b", "set");
	h_call_int(c, 2, "DEL", "a", "b", "none");
	expect_event(w, "a", "del");
	expect_event(w, "b", "del");
	/* Expiry, from the background cycle: nobody touches the key. */
	h_ok(c, "SET", "t", "v", "PX", "50");
	expect_event(w, "t", "set");
	expect_event(w, "t", "expire");
	expect_event(w, "t", "expired");
	ck_assert(h_is_quiet(w, 100));
	h_close(w);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_keyspace_classes_filter_events_and_off_sends_nothing)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d), *w = event_watcher(d);
	struct h_client *e = h_connect(d);

	/* Off (the default), and classes without K or E: nothing. */
	h_ok(c, "SET", "k", "v");
	h_ok(c, "CONFIG", "SET", "notify-keyspace-events", "g$");
	h_ok(c, "SET", "k", "v");
	ck_assert(h_is_quiet(w, 100));
	/* E with g only: DEL is told on the keyevent channel, SET is not. */
	h_ok(c, "CONFIG", "SET", "notify-keyspace-events", "Eg");
	h_ok(c, "SET", "k", "v");
	h_call_int(c, 1, "DEL", "k");
	expect_pmessage(w, "__keyevent@0__:*", "__keyevent@0__:del", "k");
	/* n: new keys, before the command's own event. */
	h_ok(c, "CONFIG", "SET", "notify-keyspace-events", "Kn$");
	h_ok(c, "SET", "k", "v");
	expect_pmessage(w, "__keyspace@0__:*", "__keyspace@0__:k", "new");
	expect_pmessage(w, "__keyspace@0__:*", "__keyspace@0__:k", "set");
	ck_assert(h_is_quiet(w, 100));
	/* e: evictions under maxmemory. */
	h_cmd(e, "SUBSCRIBE", "__keyevent@0__:evicted");
	expect_confirm(e, "subscribe", "__keyevent@0__:evicted", 1);
	h_ok(c, "CONFIG", "SET", "notify-keyspace-events", "Ee");
	h_ok(c, "CONFIG", "SET", "maxmemory-policy", "volatile-lru");
	h_ok(c, "SET", "victim", "v", "EX", "1000");
	h_ok(c, "CONFIG", "SET", "maxmemory", "1");
	h_call_error(c, "OOM", "SET", "more", "v");
	expect_message(e, "__keyevent@0__:evicted", "victim");
	h_close(e);
	h_close(w);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_lock_and_pool_events_let_a_watcher_wait_without_polling)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c1 = h_connect(d), *c2 = h_connect(d), *w = h_connect(d);
	struct resp_reply *r;

	h_ok(c1, "CONFIG", "SET", "notify-keyspace-events", "KL");
	expect_config(c1, "notify-keyspace-events", "LK");
	h_cmd(w, "SUBSCRIBE", "__keyspace@0__:lk", "__keyspace@0__:pl");
	expect_confirm(w, "subscribe", "__keyspace@0__:lk", 1);
	expect_confirm(w, "subscribe", "__keyspace@0__:pl", 2);

	r = h_call(c1, "LOCK.ACQUIRE", "lk", "TOKEN", "t1");
	resp_reply_free(r);
	expect_message(w, "__keyspace@0__:lk", "lock.acquire");
	h_cmd(c2, "LOCK.ACQUIRE", "lk", "WAIT", "0", "TOKEN", "t2");
	h_call_int(c1, 1, "LOCK.RELEASE", "lk", "t1");
	/* The release, then the waiter's grant, in the same turn. */
	expect_message(w, "__keyspace@0__:lk", "lock.release");
	expect_message(w, "__keyspace@0__:lk", "lock.acquire");
	r = h_reply(c2);
	resp_reply_free(r);
	/* A holder's disconnect releases. */
	h_close(c2);
	expect_message(w, "__keyspace@0__:lk", "lock.release");
	r = h_call(c1, "LOCK.ACQUIRE", "lk", "PX", "50");
	resp_reply_free(r);
	expect_message(w, "__keyspace@0__:lk", "lock.acquire");
	expect_message(w, "__keyspace@0__:lk", "lock.expired");

	r = h_call(c1, "POOL.ACQUIRE", "pl", "2");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	expect_message(w, "__keyspace@0__:pl", "pool.acquire");
	h_call_int(c1, 1, "POOL.RELEASE", "pl", r->element[0]->str);
	resp_reply_free(r);
	expect_message(w, "__keyspace@0__:pl", "pool.release");
	r = h_call(c1, "POOL.ACQUIRE", "pl", "2", "PX", "50");
	resp_reply_free(r);
	expect_message(w, "__keyspace@0__:pl", "pool.acquire");
	expect_message(w, "__keyspace@0__:pl", "pool.expired");
	ck_assert(h_is_quiet(w, 100));
	h_close(w);
	h_close(c1);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_notify_keyspace_events_is_reloaded_on_sighup)
{
	struct h_daemon *d = h_daemon_new();
	char conf[H_PATH_MAX + 16];
	const char *args[] = {conf, NULL};
	struct h_client *c, *w;
	struct resp_reply *r;
	int64_t deadline;
	bool on = false;

	snprintf(conf, sizeof conf, "%s/cachifyd.conf", d->dir);
	h_write_file(conf, "notify-keyspace-events \"\"\n");
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	c = h_connect(d);
	w = event_watcher(d);
	h_write_file(conf, "notify-keyspace-events KEA\n");
	h_daemon_kill(d, SIGHUP);
	deadline = h_now_ms() + T_SLOW_MS(5000);
	while (!on && h_now_ms() < deadline) {
		h_sleep_ms(20);
		r = h_call(c, "CONFIG", "GET", "notify-keyspace-events");
		on = r->elements == 2 && strcmp(r->element[1]->str, "AKE") == 0;
		resp_reply_free(r);
	}
	ck_assert(on);
	h_ok(c, "SET", "k", "v");
	expect_event(w, "k", "set");
	h_close(w);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- redis-py ------------------------------------------------------------ */

START_TEST(test_redis_py_pubsub_and_keyspace_notifications_pass)
{
	struct h_daemon *d = h_daemon_start(NULL);
	char script[H_PATH_MAX], out[H_PATH_MAX + 8], err[H_PATH_MAX + 8];
	const char *argv[] = {"/usr/bin/python3", script, d->sock, NULL};
	char *o, *e;
	int status;

	snprintf(script, sizeof script, "%s", h_src_path("tests/compat/redis_py_pubsub.py"));
	snprintf(out, sizeof out, "%s/out", d->dir);
	snprintf(err, sizeof err, "%s/err", d->dir);
	status = h_exec(argv, NULL, out, err, T_SLOW_MS(PEER_TIMEOUT_MS));
	o = h_slurp(out, NULL);
	e = h_slurp(err, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && o &&
			      strcmp(o, "ok\n") == 0,
		      "redis_py_pubsub.py: status 0x%x\nstdout:\n%.3000s\nstderr:\n%.3000s", status,
		      o ? o : "", e ? e : "");
	free(o);
	free(e);
	h_daemon_finish(d);
}
END_TEST

Suite *pubsub_suite(void)
{
	Suite *s = suite_create("pubsub");
	TCase *tc = tcase_create("pubsub");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_publish_reaches_channel_and_pattern_subscribers_and_counts_them);
	tcase_add_test(tc, test_pubsub_channels_numsub_numpat_and_shard_channels);
	tcase_add_test(tc, test_subscribed_mode_allows_only_subscriptions_ping_quit_reset);
	tcase_add_test(tc, test_unsubscribe_without_names_goes_newest_first_or_answers_nil);
	tcase_add_test(tc, test_close_and_reset_drop_every_subscription);
	tcase_add_test(tc, test_subscriber_that_never_reads_is_closed_at_the_pubsub_limit);
	tcase_add_test(tc, test_subscriber_over_the_soft_limit_too_long_is_closed);
	tcase_add_test(tc, test_keyspace_events_for_strings_and_keys_in_redis_order);
	tcase_add_test(tc, test_keyspace_classes_filter_events_and_off_sends_nothing);
	tcase_add_test(tc, test_lock_and_pool_events_let_a_watcher_wait_without_polling);
	tcase_add_test(tc, test_notify_keyspace_events_is_reloaded_on_sighup);
	tcase_add_test(tc, test_redis_py_pubsub_and_keyspace_notifications_pass);
	suite_add_tcase(s, tc);
	return s;
}
