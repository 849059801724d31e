/* check_snapshot.c - snapshots end to end: real daemons saving, being
 * stopped or killed, and starting again on the same directory.
 *
 * Covers what a restart keeps (values, TTLs, the object types with their
 * encodings, DETACHed locks and slots, fences), what it drops (expired
 * keys, session-bound grants), files damaged at every byte or cut at every
 * offset, --ignore-snapshot, kill -9 during SAVE and BGSAVE, a full disk,
 * and the commands' Redis replies. The fence floor under a clock stepped
 * back is tested in process with the fake clock (the daemon's clock is the
 * real one).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"
#include "clock.h"
#include "grant.h"
#include "harness.h"
#include "persist.h"
#include "server.h"
#include "snapshot.h"
#include "store.h"

#define T_SNAP	    "cachifyd.snap"
#define T_SAVE_WAIT (10000 * h_slow()) /* ms: bound on a background save */

/* ---- helpers ---- */

/* Starts (or restarts) d with its own directory as dir, and args. */
static void start_in(struct h_daemon *d, const char *save, const char *extra)
{
	const char *args[8];
	size_t n = 0;

	args[n++] = "--dir";
	args[n++] = d->dir;
	args[n++] = "--save";
	args[n++] = save;
	if (extra)
		args[n++] = extra;
	args[n] = NULL;
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
}

static struct h_daemon *start(const char *save)
{
	struct h_daemon *d = h_daemon_new();

	start_in(d, save, NULL);
	return d;
}

/* SIGTERM (a clean stop: the final snapshot when rules are set), then start
 * again on the same directory. */
static void restart(struct h_daemon *d, const char *save)
{
	ck_assert_int_eq(h_daemon_stop(d), 0);
	start_in(d, save, NULL);
}

static void kill9(struct h_daemon *d)
{
	h_daemon_kill(d, SIGKILL);
	ck_assert_int_ne(h_daemon_wait_exit(d, H_STOP_TIMEOUT_MS * h_slow()), -1);
}

static void snap_path(const struct h_daemon *d, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", d->dir, T_SNAP);
}

static char *slurp_snap(const struct h_daemon *d, size_t *len)
{
	char path[H_PATH_MAX + 32];

	snap_path(d, path, sizeof path);
	return h_slurp(path, len);
}

static void write_snap(const struct h_daemon *d, const char *p, size_t len)
{
	char path[H_PATH_MAX + 32];
	FILE *f;

	snap_path(d, path, sizeof path);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* The reply's array element i (asserts the shape). */
static const struct resp_reply *elem(const struct resp_reply *r, size_t i)
{
	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_gt(r->elements, i);
	return r->element[i];
}

/* LOCK.ACQUIRE/POOL.ACQUIRE's [id, fence]: the fence; id copied to id.
 * Arguments after a NULL are not sent. */
static long long grant(struct h_client *c, char *id, size_t size, const char *cmd,
		       const char *key, const char *a1, const char *a2, const char *a3)
{
	struct resp_reply *r = h_call(c, cmd, key, a1, a2, a3);
	long long fence;

	snprintf(id, size, "%s", elem(r, 0)->str);
	fence = elem(r, 1)->integer;
	resp_reply_free(r);
	return fence;
}

/* Does INFO persistence hold this line? */
static bool info_has(struct h_client *c, const char *line)
{
	struct resp_reply *r = h_call(c, "INFO", "persistence");
	bool has;

	ck_assert_int_eq(r->type, RESP_BULK);
	has = strstr(r->str, line) != NULL;
	resp_reply_free(r);
	return has;
}

/* Waits for a background save to end; its INFO status. */
static bool wait_bgsave(struct h_client *c)
{
	int64_t end = h_now_ms() + T_SAVE_WAIT;

	while (h_info_ll(c, "persistence", "rdb_bgsave_in_progress") != 0) {
		ck_assert_msg(h_now_ms() < end, "the background save did not end");
		h_sleep_ms(10);
	}
	return info_has(c, "rdb_last_bgsave_status:ok");
}

static void expect_encoding(struct h_client *c, const char *key, const char *enc)
{
	h_call_bulk(c, enc, "OBJECT", "ENCODING", key);
}

/* Fills db 0 with n keys k<i> = v<i> through one script. */
static void fill(struct h_client *c, int n)
{
	char num[16];

	snprintf(num, sizeof num, "%d", n);
	h_call_nil(c, "EVAL",
		   "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'k' .. i, 'v' .. i) end",
		   "0", num);
}

/* ---- what a restart keeps ---- */

START_TEST(test_restart_keeps_strings_ttls_and_databases)
{
	struct h_daemon *d = start("3600 1");
	struct h_client *c = h_connect(d);
	static const char bin[] = "a\0b\r\nc";
	long long pttl;

	h_cmd(c, "SET", "bin", "x");
	h_expect_status(c, "OK");
	{
		struct resp_arg argv[3] = {{"SET", 3}, {"bin", 3}, {bin, sizeof bin - 1}};

		h_cmdv(c, 3, argv);
		h_expect_status(c, "OK");
	}
	h_ok(c, "SET", "ttl", "v", "PX", "600000");
	h_ok(c, "SET", "short", "v", "PX", "300");
	h_ok(c, "SELECT", "3");
	h_ok(c, "SET", "in3", "three");
	h_close(c);
	h_sleep_ms(400); /* "short" expires while the daemon still runs or is down */
	restart(d, "3600 1");
	c = h_connect(d);
	h_cmd(c, "GET", "bin");
	h_expect_bulkn(c, bin, sizeof bin - 1);
	pttl = h_call_ll(c, "PTTL", "ttl");
	ck_assert_msg(pttl > 0 && pttl <= 600000, "PTTL %lld", pttl);
	h_call_int(c, -2, "PTTL", "short");
	h_call_nil(c, "GET", "in3");
	h_ok(c, "SELECT", "3");
	h_call_bulk(c, "three", "GET", "in3");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_restart_keeps_objects_and_their_encodings)
{
	struct h_daemon *d = start("3600 1");
	struct h_client *c = h_connect(d);

	h_call_int(c, 2, "HSET", "hs", "f", "v", "g", "w");
	h_call_nil(c, "EVAL",
		   "for i = 1, 200 do redis.call('HSET', 'hb', 'f' .. i, i) "
		   "redis.call('ZADD', 'zb', i, 'm' .. i) redis.call('RPUSH', 'lb', "
		   "string.rep('x', 100) .. i) end",
		   "0");
	h_call_int(c, 2, "ZADD", "zs", "1.5", "a", "-inf", "b");
	h_call_int(c, 3, "RPUSH", "ls", "x", "", "z");
	h_call_int(c, 1, "HSET", "hlong", "f",
		   "a value longer than sixty-four bytes, so that the hash cannot be a listpack");
	h_call_int(c, 1, "PEXPIRE", "zs", "600000");
	h_close(c);
	restart(d, "3600 1");
	c = h_connect(d);
	expect_encoding(c, "hs", "listpack");
	expect_encoding(c, "hb", "hashtable");
	expect_encoding(c, "hlong", "hashtable");
	expect_encoding(c, "zs", "listpack");
	expect_encoding(c, "zb", "skiplist");
	expect_encoding(c, "ls", "listpack");
	expect_encoding(c, "lb", "quicklist");
	h_call_bulk(c, "w", "HGET", "hs", "g");
	h_call_int(c, 200, "HLEN", "hb");
	h_call_bulk(c, "137", "HGET", "hb", "f137");
	h_call_bulk(c, "1.5", "ZSCORE", "zs", "a");
	h_call_bulk(c, "-inf", "ZSCORE", "zs", "b");
	h_call_int(c, 199, "ZRANK", "zb", "m200");
	h_call_int(c, 3, "LLEN", "ls");
	h_call_bulk(c, "", "LINDEX", "ls", "1");
	h_call_int(c, 200, "LLEN", "lb");
	ck_assert_int_gt(h_call_ll(c, "PTTL", "zs"), 0);
	ck_assert_int_eq(h_info_ll(c, "persistence", "rdb_last_load_keys_loaded"), 7);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_restart_keeps_detached_locks_and_slots_not_session_ones)
{
	struct h_daemon *d = start("3600 1");
	struct h_client *c = h_connect(d), *s = h_connect(d);
	char tok[300], slot[64], sess[64];
	long long fence, after;

	fence = grant(c, tok, sizeof tok, "LOCK.ACQUIRE", "job", "PX", "600000", "DETACH");
	resp_reply_free(h_call(s, "LOCK.ACQUIRE", "held", "PX", "600000"));
	grant(c, slot, sizeof slot, "POOL.ACQUIRE", "p", "3", "DETACH", NULL);
	grant(s, sess, sizeof sess, "POOL.ACQUIRE", "p", "3", "PX", "600000");
	h_close(c);
	restart(d, "3600 1");
	c = h_connect(d);
	/* The holder releases with the token it had. */
	{
		char f[32];

		snprintf(f, sizeof f, "%lld", fence);
		h_call_int(c, 1, "LOCK.CHECK", "job", f);
	}
	ck_assert_int_gt(h_call_ll(c, "PTTL", "job"), 0);
	h_call_int(c, 0, "EXISTS", "held");
	h_call_int(c, 1, "POOL.SIZE", "p");
	h_call_error(c, "NOTOWNER", "POOL.RELEASE", "p", sess);
	h_call_int(c, 1, "POOL.RELEASE", "p", slot);
	h_call_int(c, 1, "LOCK.RELEASE", "job", tok);
	after = grant(c, tok, sizeof tok, "LOCK.ACQUIRE", "job", "PX", "1000", "DETACH");
	ck_assert_int_gt(after, fence);
	h_close(c);
	h_close(s);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_restart_keeps_detached_readers_of_a_shared_lock)
{
	struct h_daemon *d = start("3600 1");
	struct h_client *c = h_connect(d), *s = h_connect(d);
	char r1[64], r2[64], rs[64];
	long long f1;

	f1 = grant(c, r1, sizeof r1, "LOCK.ACQUIRE", "rw", "SHARED", "DETACH", NULL);
	grant(c, r2, sizeof r2, "LOCK.ACQUIRE", "rw", "SHARED", "DETACH", NULL);
	grant(s, rs, sizeof rs, "LOCK.ACQUIRE", "rw", "SHARED", NULL, NULL);
	h_close(c);
	restart(d, "3600 1");
	c = h_connect(d);
	{
		char f[32];

		snprintf(f, sizeof f, "%lld", f1);
		h_call_int(c, 1, "LOCK.CHECK", "rw", f);
	}
	/* The session-bound reader is gone, the detached ones release. */
	h_call_error(c, "NOTOWNER", "LOCK.RELEASE", "rw", rs);
	h_call_error(c, "LOCKED", "LOCK.ACQUIRE", "rw");
	h_call_int(c, 1, "LOCK.RELEASE", "rw", r1);
	h_call_int(c, 1, "LOCK.RELEASE", "rw", r2);
	h_call_int(c, 0, "EXISTS", "rw");
	h_close(c);
	h_close(s);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_expired_while_down_is_dropped_and_counted)
{
	struct h_daemon *d = start("3600 1");
	struct h_client *c = h_connect(d);

	h_ok(c, "SET", "soon", "v", "PX", "1500");
	h_ok(c, "SET", "kept", "v");
	h_ok(c, "SAVE");
	h_close(c);
	kill9(d);
	h_sleep_ms(1600);
	start_in(d, "3600 1", NULL);
	c = h_connect(d);
	h_call_int(c, 0, "EXISTS", "soon");
	h_call_int(c, 1, "EXISTS", "kept");
	ck_assert_int_eq(h_info_ll(c, "persistence", "rdb_last_load_keys_expired"), 1);
	ck_assert_int_eq(h_info_ll(c, "persistence", "rdb_last_load_keys_loaded"), 1);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- fences ---- */

START_TEST(test_fences_never_go_back_after_kill9_between_snapshots)
{
	struct h_daemon *d = start("3600 1");
	struct h_client *c = h_connect(d);
	char id[64];
	long long last = 0, f;

	grant(c, id, sizeof id, "LOCK.ACQUIRE", "a", "DETACH", NULL, NULL);
	h_ok(c, "SAVE");
	/* Grants the snapshot does not know of. */
	for (int i = 0; i < 50; i++) {
		f = grant(c, id, sizeof id, "POOL.ACQUIRE", "p", "1000", NULL, NULL);
		ck_assert_int_gt(f, last);
		last = f;
	}
	h_close(c);
	kill9(d);
	start_in(d, "3600 1", NULL);
	c = h_connect(d);
	f = grant(c, id, sizeof id, "LOCK.ACQUIRE", "b", NULL, NULL, NULL);
	ck_assert_msg(f > last, "fence %lld after a restart, %lld before", f, last);
	/* Not a clean stop: the floor is the saved mark plus the margin. */
	ck_assert_msg((unsigned long long)f > PERSIST_FENCE_MARGIN, "fence %lld", f);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* The daemon runs on the real clock; the rule is checked here with the
 * fake one: a snapshot, grants it never saw while the wall clock runs
 * ahead, a crash, then a restart with the clock stepped back an hour. */
START_TEST(test_fence_floor_covers_grants_after_the_snapshot_with_the_clock_back)
{
	struct store *st = server_store_new();
	char tmpl[] = "/tmp/cachify-snap-XXXXXX";
	int fd = mkstemp(tmpl);
	struct snapshot_info wrote, read;
	char err[SNAPIO_ERR_MAX];
	int64_t wall = 1800000000000LL;
	uint64_t saved_max = 0, after_max = 0;
	void *map;

	ck_assert_ptr_nonnull(st);
	ck_assert_int_ge(fd, 0);
	unlink(tmpl);
	clock_fake_set(1000, wall);
	for (int i = 0; i < 10; i++)
		saved_max = grant_next_fence();
	ck_assert_int_eq(snapshot_write(st, fd, 0, &wrote), 0);
	ck_assert_uint_ge(wrote.fence, saved_max);
	/* Ten minutes of grants the snapshot does not hold. */
	for (int i = 0; i < 1000; i++) {
		clock_fake_set(1000 + i * 600, wall + i * 600);
		after_max = grant_next_fence();
	}
	ck_assert_uint_gt(after_max, wrote.fence);
	/* kill -9; the clock is stepped back an hour; the daemon starts. */
	clock_fake_set(5, wall - 3600 * 1000);
	map = mmap(NULL, wrote.bytes, PROT_READ, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_msg(snapshot_load(NULL, map, wrote.bytes, true, &read, NULL, NULL, err) == 0,
		      "%s", err);
	ck_assert_uint_eq(read.fence, wrote.fence);
	ck_assert(!(read.flags & SNAPSHOT_CLEAN));
	ck_assert_uint_gt(persist_fence_floor(&read), after_max);
	/* Behind the wall-clock seed, too: the floor alone carries it. */
	ck_assert_uint_gt(persist_fence_floor(&read), (uint64_t)clock_wall_ms() * 1000);
	/* A clean stop's mark is exact: no margin. */
	read.flags = SNAPSHOT_CLEAN;
	ck_assert_uint_eq(persist_fence_floor(&read), read.fence);
	munmap(map, wrote.bytes);
	close(fd);
	clock_fake_off();
	store_free(st);
}
END_TEST

/* ---- damaged files ---- */

/* A small snapshot of one string, one TTL, a hash and a DETACHed lock. */
static char *small_snapshot(struct h_daemon *d, size_t *len)
{
	struct h_client *c;
	char id[64];
	char *s;

	start_in(d, "", NULL);
	c = h_connect(d);
	h_ok(c, "SET", "k", "v", "EX", "1000");
	h_call_int(c, 1, "HSET", "h", "f", "v");
	grant(c, id, sizeof id, "LOCK.ACQUIRE", "l", "DETACH", NULL, NULL);
	h_ok(c, "SAVE");
	h_close(c);
	kill9(d);
	s = slurp_snap(d, len);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* Starting on the damaged file fails cleanly (exit 1, no signal, no
 * sanitizer report) and says which file, where, and the fix. */
static void expect_refused(struct h_daemon *d, const char *what, size_t at)
{
	const char *args[] = {"--dir", d->dir, NULL};
	char want[H_PATH_MAX + 64];
	char *log;
	int st;

	h_daemon_spawn(d, args);
	st = h_daemon_wait_exit(d, H_STOP_TIMEOUT_MS * h_slow());
	log = h_daemon_log(d);
	snprintf(want, sizeof want, "cannot load the snapshot %s/%s: damaged at offset ", d->dir,
		 T_SNAP);
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
		      "%s at %zu: status %d\n%s", what, at, st, log);
	ck_assert_msg(strstr(log, want) && strstr(log, "--ignore-snapshot"),
		      "%s at %zu: no clear message in\n%s", what, at, log);
	free(log);
	ck_assert_int_eq(truncate(d->log, 0), 0);
}

START_TEST(test_every_flipped_byte_is_refused)
{
	struct h_daemon *d = h_daemon_new();
	size_t len;
	char *good = small_snapshot(d, &len);

	ck_assert_uint_lt(len, 400);
	for (size_t i = 0; i < len; i++) {
		good[i] ^= 0xff;
		write_snap(d, good, len);
		expect_refused(d, "a flipped byte", i);
		good[i] ^= 0xff;
	}
	free(good);
	h_daemon_free(d);
}
END_TEST

START_TEST(test_every_truncation_is_refused)
{
	struct h_daemon *d = h_daemon_new();
	size_t len;
	char *good = small_snapshot(d, &len);

	for (size_t n = 0; n < len; n++) {
		write_snap(d, good, n);
		expect_refused(d, "a file cut", n);
	}
	free(good);
	h_daemon_free(d);
}
END_TEST

START_TEST(test_future_version_is_refused_with_the_version)
{
	struct h_daemon *d = h_daemon_new();
	size_t len;
	char *good = small_snapshot(d, &len), *log;

	good[8] = 2; /* the version: a later cachifyd's */
	write_snap(d, good, len);
	expect_refused(d, "version 2", 8);
	write_snap(d, good, len);
	{
		const char *args[] = {"--dir", d->dir, NULL};

		h_daemon_spawn(d, args);
		h_daemon_wait_exit(d, H_STOP_TIMEOUT_MS * h_slow());
	}
	log = h_daemon_log(d);
	ck_assert_msg(strstr(log, "offset 8: format version 2; this cachifyd reads versions 1..1"),
		      "%s", log);
	free(log);
	free(good);
	h_daemon_free(d);
}
END_TEST

START_TEST(test_ignore_snapshot_moves_the_bad_file_aside)
{
	struct h_daemon *d = h_daemon_new();
	size_t len, blen = 0;
	char *good = small_snapshot(d, &len), *bad = NULL;
	struct h_client *c;
	struct dirent *de;
	DIR *dir;

	good[len / 2] ^= 1;
	write_snap(d, good, len);
	expect_refused(d, "a flipped bit", len / 2);
	start_in(d, "3600 1", "--ignore-snapshot");
	c = h_connect(d);
	h_call_int(c, 0, "DBSIZE");
	h_close(c);
	dir = opendir(d->dir);
	ck_assert_ptr_nonnull(dir);
	while ((de = readdir(dir)))
		if (strncmp(de->d_name, T_SNAP ".bad-", strlen(T_SNAP ".bad-")) == 0) {
			char path[H_PATH_MAX + 300];

			snprintf(path, sizeof path, "%s/%s", d->dir, de->d_name);
			bad = h_slurp(path, &blen);
		}
	closedir(dir);
	ck_assert_msg(bad != NULL, "no " T_SNAP ".bad-* in %s", d->dir);
	ck_assert_uint_eq(blen, len);
	ck_assert(memcmp(bad, good, len) == 0);
	free(bad);
	free(good);
	h_daemon_finish(d);
}
END_TEST

/* ---- crashes while saving ---- */

/* kill -9 the daemon while a save of many keys runs: the file is a whole
 * snapshot afterwards (the old one, or the new one if it got renamed). */
static void kill_during(const char *cmd)
{
	struct h_daemon *d = start("3600 1");
	struct h_client *c = h_connect(d);
	size_t before_len;
	char *before;

	h_ok(c, "SET", "old", "1");
	h_ok(c, "SAVE");
	before = slurp_snap(d, &before_len);
	ck_assert_ptr_nonnull(before);
	fill(c, 200000);
	h_cmd(c, cmd);
	h_sleep_ms(5);
	kill9(d);
	h_close(c);
	start_in(d, "3600 1", NULL);
	c = h_connect(d);
	h_call_bulk(c, "1", "GET", "old");
	h_close(c);
	free(before);
	h_daemon_finish(d);
}

START_TEST(test_kill9_during_bgsave_keeps_a_whole_snapshot)
{
	kill_during("BGSAVE");
}
END_TEST

START_TEST(test_kill9_during_save_keeps_a_whole_snapshot)
{
	kill_during("SAVE");
}
END_TEST

/* ---- a full disk ---- */

/* A 64 KiB tmpfs as dir when mount(2) is allowed (root in CI); else the
 * same failure (EFBIG instead of ENOSPC) from a file size limit the
 * daemon inherits. */
START_TEST(test_full_disk_fails_the_save_in_info_and_log_and_keeps_serving)
{
	struct h_daemon *d = h_daemon_new();
	char mnt[H_PATH_MAX + 8];
	struct rlimit old, small = {64 * 1024, 64 * 1024};
	bool mounted;
	struct h_client *c;
	char *log;

	snprintf(mnt, sizeof mnt, "%s/full", d->dir);
	ck_assert_int_eq(mkdir(mnt, 0700), 0);
	mounted = mount("tmpfs", mnt, "tmpfs", 0, "size=64k") == 0;
	{
		const char *args[] = {"--dir", mnt, "--save", "", NULL};

		getrlimit(RLIMIT_FSIZE, &old);
		if (!mounted)
			ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
		h_daemon_spawn(d, args);
		if (!mounted)
			setrlimit(RLIMIT_FSIZE, &old);
		h_daemon_wait_ready(d);
	}
	c = h_connect(d);
	h_ok(c, "SET", "small", "1");
	h_ok(c, "SAVE");
	fill(c, 20000);
	h_call_status(c, "Background saving started", "BGSAVE");
	ck_assert(!wait_bgsave(c));
	ck_assert(info_has(c, "rdb_last_bgsave_status:err"));
	h_call_error(c, "ERR", "SAVE");
	h_ok(c, "SET", "still", "serving");
	h_call_bulk(c, "serving", "GET", "still");
	log = h_daemon_log(d);
	ck_assert_msg(strstr(log, "background snapshot failed: writing ") &&
			      strstr(log, "snapshot failed: writing "),
		      "%s", log);
	ck_assert_msg(strstr(log, mounted ? "No space left on device" : "File too large"), "%s",
		      log);
	free(log);
	/* The snapshot from before is whole: a daemon starts on it. */
	h_close(c);
	kill9(d);
	{
		const char *args[] = {"--dir", mnt, NULL};

		h_daemon_spawn(d, args);
		h_daemon_wait_ready(d);
	}
	c = h_connect(d);
	h_call_int(c, 1, "DBSIZE");
	h_close(c);
	ck_assert_int_eq(h_daemon_stop(d), 0);
	if (mounted)
		umount2(mnt, MNT_DETACH);
	h_daemon_free(d);
}
END_TEST

/* ---- commands, as Redis answers them ---- */

START_TEST(test_save_bgsave_lastsave_replies)
{
	struct h_daemon *d = start("");
	struct h_client *c = h_connect(d);
	long long t0 = h_call_ll(c, "LASTSAVE");

	ck_assert_int_gt(t0, 1500000000);
	h_ok(c, "SET", "k", "v");
	ck_assert_int_eq(h_info_ll(c, "persistence", "rdb_changes_since_last_save"), 1);
	h_ok(c, "SAVE");
	ck_assert_int_eq(h_info_ll(c, "persistence", "rdb_changes_since_last_save"), 0);
	ck_assert_int_ge(h_call_ll(c, "LASTSAVE"), t0);
	/* One read buffer: the child cannot be reaped between them. */
	h_send_str(c, "BGSAVE\r\nBGSAVE\r\nBGSAVE SCHEDULE\r\nSAVE\r\nBGSAVE NOW\r\n");
	h_expect_status(c, "Background saving started");
	h_expect_error_is(c, "ERR Background save already in progress");
	h_expect_status(c, "Background saving scheduled");
	h_expect_error_is(c, "ERR Background save already in progress");
	h_expect_error_is(c, "ERR syntax error");
	ck_assert(wait_bgsave(c));
	/* The scheduled one follows from the cron. */
	{
		int64_t end = h_now_ms() + T_SAVE_WAIT;

		while (h_info_ll(c, "persistence", "rdb_saves") < 3) {
			ck_assert_msg(h_now_ms() < end, "the scheduled save did not run");
			h_sleep_ms(20);
		}
	}
	ck_assert(wait_bgsave(c));
	h_call_error(c, "ERR wrong number of arguments", "SAVE", "x");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_info_persistence_has_redis_field_names)
{
	static const char *const fields[] = {
		"loading:0",		     "async_loading:0",	      "rdb_changes_since_last_save:",
		"rdb_bgsave_in_progress:0", "rdb_last_save_time:",     "rdb_last_bgsave_status:ok",
		"rdb_last_bgsave_time_sec:-1", "rdb_current_bgsave_time_sec:-1", "rdb_saves:0",
		"rdb_last_load_keys_expired:0", "rdb_last_load_keys_loaded:0", "aof_enabled:0",
		"aof_rewrite_in_progress:0",
	};
	struct h_daemon *d = start("");
	struct h_client *c = h_connect(d);

	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		ck_assert_msg(info_has(c, fields[i]), "no %s", fields[i]);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_save_rules_write_in_the_background)
{
	struct h_daemon *d = start("1 2");
	struct h_client *c = h_connect(d);
	int64_t end = h_now_ms() + T_SAVE_WAIT;
	struct h_client *c2;

	h_ok(c, "SET", "a", "1");
	h_ok(c, "SET", "b", "2");
	while (h_info_ll(c, "persistence", "rdb_saves") < 1) {
		ck_assert_msg(h_now_ms() < end, "no snapshot after 2 changes and 1 s");
		h_sleep_ms(50);
	}
	ck_assert_int_eq(h_info_ll(c, "persistence", "rdb_changes_since_last_save"), 0);
	h_close(c);
	kill9(d);
	start_in(d, "", NULL);
	c2 = h_connect(d);
	h_call_bulk(c2, "2", "GET", "b");
	h_close(c2);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_shutdown_save_nosave_and_errors)
{
	struct h_daemon *d = start("");
	struct h_client *c = h_connect(d);

	h_call_error(c, "ERR syntax error", "SHUTDOWN", "SAVE", "NOSAVE");
	h_call_error(c, "ERR syntax error", "SHUTDOWN", "ABORT", "NOW");
	h_call_error(c, "ERR syntax error", "SHUTDOWN", "LATER");
	h_call_error(c, "ERR No shutdown in progress.", "SHUTDOWN", "ABORT");
	/* No rules: SIGTERM keeps nothing. */
	h_ok(c, "SET", "lost", "1");
	h_close(c);
	restart(d, "");
	c = h_connect(d);
	h_call_int(c, 0, "EXISTS", "lost");
	/* SHUTDOWN SAVE writes one anyway. */
	h_ok(c, "SET", "kept", "1");
	h_cmd(c, "SHUTDOWN", "SAVE");
	ck_assert(h_read_until_eof(c, H_TIMEOUT_MS * h_slow(), NULL));
	h_close(c);
	ck_assert_int_eq(h_daemon_wait_exit(d, H_STOP_TIMEOUT_MS * h_slow()), 0);
	start_in(d, "3600 1", NULL);
	c = h_connect(d);
	h_call_int(c, 1, "EXISTS", "kept");
	/* With rules, NOSAVE skips the final one. */
	h_ok(c, "SET", "skipped", "1");
	h_cmd(c, "SHUTDOWN", "NOSAVE");
	ck_assert(h_read_until_eof(c, H_TIMEOUT_MS * h_slow(), NULL));
	h_close(c);
	ck_assert_int_eq(h_daemon_wait_exit(d, H_STOP_TIMEOUT_MS * h_slow()), 0);
	start_in(d, "3600 1", NULL);
	c = h_connect(d);
	h_call_int(c, 1, "EXISTS", "kept");
	h_call_int(c, 0, "EXISTS", "skipped");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_flushall_with_rules_saves_the_empty_keyspace)
{
	struct h_daemon *d = start("3600 1");
	struct h_client *c = h_connect(d);

	h_ok(c, "SET", "k", "v");
	h_ok(c, "SAVE");
	h_ok(c, "FLUSHALL");
	h_close(c);
	kill9(d);
	start_in(d, "3600 1", NULL);
	c = h_connect(d);
	h_call_int(c, 0, "DBSIZE");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_config_save_dir_dbfilename)
{
	struct h_daemon *d = start("");
	struct h_client *c = h_connect(d);
	struct resp_reply *r;
	char other[H_PATH_MAX + 32];

	h_ok(c, "CONFIG", "SET", "save", "100 10 20 5");
	r = h_call(c, "CONFIG", "GET", "save");
	ck_assert_str_eq(elem(r, 1)->str, "100 10 20 5");
	resp_reply_free(r);
	h_call_error(c, "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid "
			"save parameters",
		     "CONFIG", "SET", "save", "100");
	h_call_error(c, "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - "
			"dbfilename can't be a path, just a filename",
		     "CONFIG", "SET", "dbfilename", "a/b");
	h_call_error(c, "ERR CONFIG SET failed (possibly related to argument 'dir')", "CONFIG",
		     "SET", "dir", "/nonexistent/dir");
	snprintf(other, sizeof other, "%s/other", d->dir);
	ck_assert_int_eq(mkdir(other, 0700), 0);
	h_ok(c, "CONFIG", "SET", "dir", other, "dbfilename", "x.snap", "save", "");
	h_ok(c, "SET", "k", "v");
	h_ok(c, "SAVE");
	snprintf(other, sizeof other, "%s/other/x.snap", d->dir);
	ck_assert_int_eq(access(other, R_OK), 0);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_t_checks_that_dir_is_a_writable_directory)
{
	const char *bad[] = {h_cachifyd(), "-t", "--dir", "/etc/passwd", NULL};
	const char *gone[] = {h_cachifyd(), "-t", "--dir", "/nonexistent/dir", NULL};
	const char *ok[] = {h_cachifyd(), "-t", "--dir", "/tmp", NULL};

	ck_assert_int_ne(h_exec(bad, NULL, NULL, NULL, H_TIMEOUT_MS * h_slow()), 0);
	ck_assert_int_ne(h_exec(gone, NULL, NULL, NULL, H_TIMEOUT_MS * h_slow()), 0);
	ck_assert_int_eq(h_exec(ok, NULL, NULL, NULL, H_TIMEOUT_MS * h_slow()), 0);
}
END_TEST

Suite *snapshot_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tk = tcase_create("keeps");
	TCase *tf = tcase_create("files");
	TCase *tc = tcase_create("commands");

	tcase_add_test(tk, test_restart_keeps_strings_ttls_and_databases);
	tcase_add_test(tk, test_restart_keeps_objects_and_their_encodings);
	tcase_add_test(tk, test_restart_keeps_detached_locks_and_slots_not_session_ones);
	tcase_add_test(tk, test_restart_keeps_detached_readers_of_a_shared_lock);
	tcase_add_test(tk, test_expired_while_down_is_dropped_and_counted);
	tcase_add_test(tk, test_fences_never_go_back_after_kill9_between_snapshots);
	tcase_add_test(tk, test_fence_floor_covers_grants_after_the_snapshot_with_the_clock_back);
	tcase_set_timeout(tk, 60);
	suite_add_tcase(s, tk);

	tcase_add_test(tf, test_every_flipped_byte_is_refused);
	tcase_add_test(tf, test_every_truncation_is_refused);
	tcase_add_test(tf, test_future_version_is_refused_with_the_version);
	tcase_add_test(tf, test_ignore_snapshot_moves_the_bad_file_aside);
	tcase_add_test(tf, test_kill9_during_bgsave_keeps_a_whole_snapshot);
	tcase_add_test(tf, test_kill9_during_save_keeps_a_whole_snapshot);
	tcase_add_test(tf, test_full_disk_fails_the_save_in_info_and_log_and_keeps_serving);
	tcase_set_timeout(tf, 120);
	suite_add_tcase(s, tf);

	tcase_add_test(tc, test_save_bgsave_lastsave_replies);
	tcase_add_test(tc, test_info_persistence_has_redis_field_names);
	tcase_add_test(tc, test_save_rules_write_in_the_background);
	tcase_add_test(tc, test_shutdown_save_nosave_and_errors);
	tcase_add_test(tc, test_flushall_with_rules_saves_the_empty_keyspace);
	tcase_add_test(tc, test_config_save_dir_dbfilename);
	tcase_add_test(tc, test_t_checks_that_dir_is_a_writable_directory);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
