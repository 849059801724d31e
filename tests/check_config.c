/* check_config.c - the directive table, value parsers, file reader, include, CONFIG GET.
 *
 * Each file test writes into its own mkdtemp() directory; the tree holding them is
 * removed by the parent process even when a test fails. The last test parses the shipped
 * cachifyd.conf ($CACHIFY_SRC) so it cannot drift from the table: it must load, hold
 * the defaults, and mention every directive.
 */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_suites.h"
#include "config.h"

static char rootdir[256]; /* made before the file tests, removed after them all */
static char tmpdir[512];  /* one per test, inside rootdir */

/* snprintf for expected messages; truncation there only makes a test fail. */
__attribute__((format(printf, 3, 4))) static void fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, size, f, ap);
	va_end(ap);
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Runs in the parent process, so it cleans up even after a test failed in its child. */
static void rootdir_setup(void)
{
	const char *base = getenv("TMPDIR");
	int n = snprintf(rootdir, sizeof(rootdir), "%s/check_config.XXXXXX",
			 base != NULL && base[0] != '\0' ? base : "/tmp");

	ck_assert_msg(n > 0 && (size_t)n < sizeof(rootdir), "TMPDIR is too long");
	ck_assert_ptr_nonnull(mkdtemp(rootdir));
}

static void rootdir_teardown(void)
{
	nftw(rootdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void tmpdir_setup(void)
{
	fmt(tmpdir, sizeof(tmpdir), "%s/test.XXXXXX", rootdir);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmpdir_teardown(void)
{
	nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes len bytes to tmpdir/name (parent directories are created) and returns the
 * full path in a static buffer, overwritten by the next call. */
static const char *put_bytes(const char *name, const char *data, size_t len)
{
	static char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	for (char *s = path + strlen(tmpdir) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		ck_assert(mkdir(path, 0700) == 0 || errno == EEXIST);
		*s = '/';
	}
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

static const char *put(const char *name, const char *text)
{
	return put_bytes(name, text, strlen(text));
}

static char *tmp_path(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

/* ---------------------------------------------------------------------------
 * CONFIG GET collection.
 */

struct got {
	int n;
	char names[64][64];
	char values[64][256];
};

static void got_cb(void *ctx, const char *name, const char *value)
{
	struct got *g = ctx;

	ck_assert_int_lt(g->n, 64);
	snprintf(g->names[g->n], sizeof(g->names[0]), "%s", name);
	snprintf(g->values[g->n], sizeof(g->values[0]), "%s", value);
	g->n++;
}

/* The value CONFIG GET reports for one directive (static buffer). */
static const char *get1(const struct config *c, const char *name)
{
	static struct got g;

	memset(&g, 0, sizeof(g));
	config_get(c, name, got_cb, &g);
	ck_assert_msg(g.n == 1, "config_get(%s) matched %d directives", name, g.n);
	return g.values[0];
}

static size_t ndirectives(void)
{
	size_t n = 0;

	while (config_directive_name(n) != NULL)
		n++;
	return n;
}

/* ---------------------------------------------------------------------------
 * Defaults, directive list.
 */

START_TEST(test_config_defaults_are_the_documented_values)
{
	struct config c;

	config_defaults(&c);
	ck_assert_str_eq(c.unixsocket, CONFIG_SOCKET_DEFAULT);
	ck_assert_uint_eq(c.unixsocketperm, 0660);
	ck_assert_int_eq(c.maxclients, 10000);
	ck_assert_uint_eq(c.maxmemory, 0);
	ck_assert_int_eq(c.maxmemory_policy, MAXMEMORY_NOEVICTION);
	ck_assert_int_eq(c.loglevel, LOG_NOTICE_);
	ck_assert_int_eq(c.log_format, LOG_FORMAT_AUTO);
	ck_assert_str_eq(c.logfile, "");
	ck_assert_uint_eq(c.proto_inline_max, 64 * 1024);
	ck_assert_uint_eq(c.proto_max_bulk_len, 512 * 1024 * 1024);
	ck_assert_uint_eq(c.proto_max_args, 1024 * 1024);
	ck_assert_uint_eq(c.client_query_buffer_limit, 1024 * 1024 * 1024);
	ck_assert_uint_eq(c.obuf.normal.hard, 0);
	ck_assert_uint_eq(c.obuf.pubsub.hard, 32 * 1024 * 1024);
	ck_assert_uint_eq(c.obuf.pubsub.soft, 8 * 1024 * 1024);
	ck_assert_int_eq(c.obuf.pubsub.soft_s, 60);
	ck_assert_int_eq(c.client_request_timeout, 10000);
	ck_assert_int_eq(c.timeout, 0);
	ck_assert_int_eq(c.hz, 10);
	ck_assert_uint_eq(c.lock_max_waiters, 10000);
	ck_assert_str_eq(c.user, "");
	ck_assert_str_eq(c.allow_uid, "self,root");
	ck_assert_str_eq(c.allow_gid, "socket");
	ck_assert_str_eq(c.admin_uid, "self,root");
	config_free(&c);
	ck_assert_ptr_null(c.unixsocket);
	ck_assert_ptr_null(c.logfile);
	ck_assert_ptr_null(c.allow_uid);
}
END_TEST

START_TEST(test_config_defaults_pass_validation)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";

	config_defaults(&c);
	ck_assert_msg(config_validate(&c, err) == 0, "%s", err);
	config_free(&c);
}
END_TEST

START_TEST(test_config_directive_name_lists_the_table_then_null)
{
	ck_assert_uint_eq(ndirectives(), 46);
	ck_assert_str_eq(config_directive_name(0), "unixsocket");
	ck_assert_str_eq(config_directive_name(5), "maxmemory-samples");
	ck_assert_str_eq(config_directive_name(10), "log-format");
	ck_assert_str_eq(config_directive_name(19), "lock-max-waiters");
	ck_assert_str_eq(config_directive_name(20), "busy-reply-threshold");
	ck_assert_str_eq(config_directive_name(25), "admin-uid");
	ck_assert_str_eq(config_directive_name(28), "acl-default");
	ck_assert_str_eq(config_directive_name(31), "latency-monitor-threshold");
	ck_assert_str_eq(config_directive_name(32), "notify-keyspace-events");
	ck_assert_str_eq(config_directive_name(33), "hash-max-listpack-entries");
	ck_assert_str_eq(config_directive_name(42), "list-max-ziplist-size");
	ck_assert_str_eq(config_directive_name(43), "save");
	ck_assert_str_eq(config_directive_name(45), "dbfilename");
	ck_assert_ptr_null(config_directive_name(46));
	ck_assert_ptr_null(config_directive_name((size_t)-1));
}
END_TEST

/* ---------------------------------------------------------------------------
 * config_set: every directive, valid and invalid.
 */

/* client-output-buffer-limit's default replica and pubsub classes, as shown. */
#define OBUF_REST " slave 268435456 67108864 60 pubsub 33554432 8388608 60"

static const struct {
	const char *name, *value, *shown;
} valid_cases[] = {
	{"unixsocket", "/tmp/x.sock", "/tmp/x.sock"},
	{"unixsocketperm", "0700", "700"},
	{"unixsocketperm", "755", "755"},
	{"unixsocketperm", "0", "0"},
	{"unixsocketperm", "0777", "777"},
	{"unixsocketperm", "000000000000000000000000640", "640"},
	{"maxclients", "1", "1"},
	{"maxclients", "1000000", "1000000"},
	{"maxclients", "0010", "10"},
	{"maxmemory", "0", "0"},
	{"maxmemory", "100mb", "104857600"},
	{"maxmemory", "1g", "1000000000"},
	{"maxmemory", "12345", "12345"},
	{"maxmemory-policy", "volatile-lru", "volatile-lru"},
	{"maxmemory-policy", "NoEviction", "noeviction"},
	{"maxmemory-policy", "allkeys-lfu", "allkeys-lfu"},
	{"maxmemory-policy", "VOLATILE-TTL", "volatile-ttl"},
	{"maxmemory-samples", "1", "1"},
	{"maxmemory-samples", "2147483647", "2147483647"},
	{"lfu-log-factor", "0", "0"},
	{"lfu-decay-time", "2147483647", "2147483647"},
	{"hash-max-listpack-entries", "0", "0"},
	{"hash-max-ziplist-value", "9223372036854775807", "9223372036854775807"},
	{"zset-max-listpack-entries", "512", "512"},
	{"list-max-listpack-size", "-5", "-5"},
	{"list-max-ziplist-size", "100", "100"},
	{"save", "", ""},
	{"save", "3600 1", "3600 1"},
	{"save", " 900  1\t300 10 ", "900 1 300 10"},
	{"save", "60 0", "60 0"},
	{"dir", "/var/lib/cachifyd", "/var/lib/cachifyd"},
	{"dbfilename", "dump.snap", "dump.snap"},
	{"list-max-listpack-size", "-2147483648", "-2147483648"},
	{"hash-max-ziplist-entries", "64", "64"},
	{"hash-max-listpack-value", "1024", "1024"},
	{"zset-max-ziplist-entries", "0", "0"},
	{"zset-max-listpack-value", "1kb", "1024"},
	{"zset-max-ziplist-value", "7", "7"},
	{"loglevel", "debug", "debug"},
	{"loglevel", "verbose", "verbose"},
	{"loglevel", "WARNING", "warning"},
	{"loglevel", "notice", "notice"},
	{"logfile", "", ""},
	{"logfile", "/var/log/cachifyd.log", "/var/log/cachifyd.log"},
	{"log-format", "auto", "auto"},
	{"log-format", "Plain", "plain"},
	{"log-format", "journal", "journal"},
	{"log-format", "JSON", "json"},
	{"proto-inline-max", "1kb", "1024"},
	{"proto-inline-max", "512mb", "536870912"},
	{"proto-max-bulk-len", "1024", "1024"},
	{"proto-max-bulk-len", "512MB", "536870912"},
	{"proto-max-args", "1", "1"},
	{"proto-max-args", "1048576", "1048576"},
	{"client-query-buffer-limit", "1mb", "1048576"},
	{"client-query-buffer-limit", "1gb", "1073741824"},
	{"client-output-buffer-limit", "64kb", "normal 65536 0 0" OBUF_REST},
	{"client-output-buffer-limit", "0", "normal 0 0 0" OBUF_REST},
	{"client-output-buffer-limit", "4gb", "normal 4294967296 0 0" OBUF_REST},
	{"client-output-buffer-limit", "pubsub 1mb 512kb 5",
	 "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 5"},
	{"client-output-buffer-limit", "normal 1k 0 0 replica 1 1 1 PUBSUB 0 0 0",
	 "normal 1000 0 0 slave 1 1 1 pubsub 0 0 0"},
	{"client-request-timeout", "0", "0"},
	{"client-request-timeout", "30", "30"},
	{"client-request-timeout", "1.5s", "1.5"},
	{"client-request-timeout", "250ms", "0.25"},
	{"client-request-timeout", "2m", "120"},
	{"timeout", "0", "0"},
	{"timeout", "300", "300"},
	{"timeout", "1h", "3600"},
	{"timeout", "1d", "86400"},
	{"timeout", "0.001", "0.001"},
	{"timeout", "2147483647", "2147483647"},
	{"hz", "1", "1"},
	{"hz", "500", "500"},
	{"lock-max-waiters", "1", "1"},
	{"lock-max-waiters", "10000000", "10000000"},
	{"busy-reply-threshold", "0", "0"},
	{"busy-reply-threshold", "100", "100"},
	{"busy-reply-threshold", "2s", "2000"},
	{"lua-time-limit", "5000", "5000"},
	{"user", "", ""},
	{"user", "cachifyd", "cachifyd"},
	{"user", "65534", "65534"},
	{"user", " nobody ", "nobody"},
	{"allow-uid", "self,root", "self,root"},
	{"allow-uid", "SELF  root, 1000", "self,root,1000"},
	{"allow-uid", "*", "*"},
	{"allow-uid", "", ""},
	{"allow-uid", "svc-a,svc.b,_x,host$", "svc-a,svc.b,_x,host$"},
	{"allow-uid", "4294967294", "4294967294"},
	{"allow-uid", "0001000", "0001000"},
	{"allow-gid", "socket", "socket"},
	{"allow-gid", "cachify,Socket,0", "cachify,socket,0"},
	{"allow-gid", " * ", "*"},
	{"admin-uid", "self,root", "self,root"},
	{"admin-uid", "0", "0"},
	{"acl-uid", " 1000\t~app:*  +@read ", "1000 ~app:* +@read"},
	{"acl-uid", "nobody", "nobody"},
	{"acl-uid", "", ""},
	{"acl-gid", "www-data +get", "www-data +get"},
	{"acl-default", "", ""},
	{"acl-default", "-@all +ping", "-@all +ping"},
	{"slowlog-log-slower-than", "0", "0"},
	{"slowlog-log-slower-than", "-1", "-1"},
	{"slowlog-log-slower-than", "9223372036854775807", "9223372036854775807"},
	{"slowlog-max-len", "0", "0"},
	{"slowlog-max-len", "1000", "1000"},
	{"latency-monitor-threshold", "0", "0"},
	{"latency-monitor-threshold", "100", "100"},
	{"notify-keyspace-events", "", ""},
	{"notify-keyspace-events", "KEA", "AKE"},
	{"notify-keyspace-events", "Exg$", "g$xE"},
	{"notify-keyspace-events", "KL", "LK"},
	{"notify-keyspace-events", "AnmL", "ALm"},
};

START_TEST(test_config_set_accepts_valid_values_of_every_directive)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";
	const char *name = valid_cases[_i].name;

	config_defaults(&c);
	ck_assert_msg(config_set(&c, name, valid_cases[_i].value, err) == 0, "%s %s: %s", name,
		      valid_cases[_i].value, err);
	ck_assert_str_eq(get1(&c, name), valid_cases[_i].shown);
	config_free(&c);
}
END_TEST

START_TEST(test_config_every_directive_has_a_valid_case)
{
	for (size_t i = 0; config_directive_name(i) != NULL; i++) {
		bool found = false;

		for (size_t k = 0; k < sizeof(valid_cases) / sizeof(valid_cases[0]); k++)
			if (strcmp(valid_cases[k].name, config_directive_name(i)) == 0)
				found = true;
		ck_assert_msg(found, "no valid_cases row for %s", config_directive_name(i));
	}
}
END_TEST

static const struct {
	const char *name, *value;
} invalid_cases[] = {
	{"unixsocket", ""},
	{"unixsocketperm", "0778"},
	{"unixsocketperm", "1000"},
	{"unixsocketperm", "-1"},
	{"unixsocketperm", "0x1ff"},
	{"unixsocketperm", "7777777777777777777777777"},
	{"unixsocketperm", " 0660"},
	{"unixsocketperm", "rw"},
	{"maxclients", "0"},
	{"maxclients", "1000001"},
	{"maxclients", "abc"},
	{"maxclients", "10x"},
	{"maxclients", "-1"},
	{"maxclients", "+5"},
	{"maxclients", " 5"},
	{"maxclients", "5 "},
	{"maxclients", ""},
	{"maxclients", "1e3"},
	{"maxclients", "1k"},
	{"maxclients", "99999999999999999999"},
	{"maxclients", "4294967297"},
	{"maxmemory", "-1"},
	{"maxmemory", "abc"},
	{"maxmemory", "99999999999999999999gb"},
	{"maxmemory", "18446744073709551616"},
	{"maxmemory", "17179869184gb"},
	{"maxmemory", "1tb"},
	{"maxmemory", "1.5gb"},
	{"maxmemory", "5 mb"},
	{"maxmemory", "mb"},
	{"maxmemory-policy", "allkeys-lr"},
	{"maxmemory-policy", ""},
	{"maxmemory-samples", "0"},
	{"maxmemory-samples", "2147483648"},
	{"lfu-log-factor", "-1"},
	{"lfu-decay-time", "2147483648"},
	{"hash-max-listpack-entries", "-1"},
	{"zset-max-listpack-value", "9223372036854775808"},
	{"list-max-listpack-size", "2147483648"},
	{"list-max-listpack-size", "-2147483649"},
	{"list-max-listpack-size", "-2kb"},
	{"hash-max-ziplist-entries", "x"},
	{"hash-max-listpack-value", "1.5"},
	{"hash-max-ziplist-value", "-1"},
	{"zset-max-ziplist-entries", ""},
	{"zset-max-listpack-entries", "1e3"},
	{"zset-max-ziplist-value", "64x"},
	{"list-max-ziplist-size", "two"},
	{"save", "3600"},
	{"save", "0 1"},
	{"save", "60 -1"},
	{"save", "60 x"},
	{"save", "1 1 1"},
	{"dir", ""},
	{"dbfilename", ""},
	{"loglevel", "trace"},
	{"loglevel", "2"},
	{"log-format", "syslog"},
	{"log-format", ""},
	{"proto-inline-max", "1023"},
	{"proto-inline-max", "536870913"},
	{"proto-max-bulk-len", "1023"},
	{"proto-max-bulk-len", "536870913"},
	{"proto-max-bulk-len", "1gb"},
	{"proto-max-args", "0"},
	{"proto-max-args", "1048577"},
	{"client-query-buffer-limit", "1048575"},
	{"client-query-buffer-limit", "1073741825"},
	{"client-output-buffer-limit", "4294967297"},
	{"client-output-buffer-limit", "pubsub 1mb 1mb"},
	{"client-output-buffer-limit", "other 1mb 1mb 1"},
	{"client-output-buffer-limit", "pubsub 1mb 1mb -1"},
	{"client-output-buffer-limit", "pubsub 1xb 1mb 1"},
	{"client-output-buffer-limit", ""},
	{"client-request-timeout", "-1"},
	{"client-request-timeout", "1.5ms"},
	{"client-request-timeout", "1x"},
	{"client-request-timeout", ".5"},
	{"client-request-timeout", "1."},
	{"client-request-timeout", "2147483648"},
	{"client-request-timeout", "1 s"},
	{"timeout", "-1"},
	{"timeout", "abc"},
	{"timeout", "2147483648"},
	{"timeout", "99999999999999999999d"},
	{"hz", "0"},
	{"hz", "501"},
	{"lock-max-waiters", "0"},
	{"slowlog-log-slower-than", "-2"},
	{"slowlog-log-slower-than", "1.5"},
	{"slowlog-log-slower-than", "9223372036854775808"},
	{"slowlog-max-len", "-1"},
	{"slowlog-max-len", "10k"},
	{"latency-monitor-threshold", "-1"},
	{"latency-monitor-threshold", "1ms"},
	{"notify-keyspace-events", "KEq"},
	{"notify-keyspace-events", "k"},
	{"lock-max-waiters", "10000001"},
	{"busy-reply-threshold", "-1"},
	{"busy-reply-threshold", "abc"},
	{"lua-time-limit", "-5"},
	{"user", "a,b"},
	{"user", "a b"},
	{"user", "-rf"},
	{"allow-uid", "root,,daemon"},
	{"allow-uid", "root;id"},
	{"allow-uid", "*,root"},
	{"allow-uid", "4294967295"},
	{"allow-uid", "18446744073709551616"},
	{"allow-uid", "a/b"},
	{"allow-uid", "x$y"},
	{"allow-gid", ",root"},
	{"allow-gid", "root,"},
	{"allow-gid", "-1"},
	{"admin-uid", "\"root\""},
	{"admin-uid", ","},
	{"acl-uid", "1000;x +get"},
	{"acl-uid", "-1 +get"},
	{"acl-gid", "4294967295 +get"},
	{"acl-default", "+get\x01"},
};

START_TEST(test_config_set_rejects_invalid_values_and_keeps_the_old_one)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";
	char want[CONFIG_ERR_MAX], before[256];
	const char *name = invalid_cases[_i].name, *value = invalid_cases[_i].value;

	config_defaults(&c);
	snprintf(before, sizeof(before), "%s", get1(&c, name));
	ck_assert_msg(config_set(&c, name, value, err) == -1, "%s '%s' accepted", name, value);
	fmt(want, sizeof(want), "invalid value '%s' for '%s' (expected ", value, name);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got: %s", err);
	ck_assert_str_eq(get1(&c, name), before);
	config_free(&c);
}
END_TEST

START_TEST(test_config_set_every_directive_has_an_invalid_case)
{
	for (size_t i = 0; config_directive_name(i) != NULL; i++) {
		bool found = false;

		for (size_t k = 0; k < sizeof(invalid_cases) / sizeof(invalid_cases[0]); k++)
			if (strcmp(invalid_cases[k].name, config_directive_name(i)) == 0)
				found = true;
		ck_assert_msg(found || strcmp(config_directive_name(i), "logfile") == 0,
			      "no invalid_cases row for %s", config_directive_name(i));
	}
}
END_TEST

START_TEST(test_config_set_invalid_messages_name_the_accepted_range)
{
	static const struct {
		const char *name, *value, *msg;
	} cases[] = {
		{"maxclients", "abc",
		 "invalid value 'abc' for 'maxclients' (expected an integer 1..1000000)"},
		{"proto-max-bulk-len", "1",
		 "invalid value '1' for 'proto-max-bulk-len' (expected a size 1kb..512mb)"},
		{"maxmemory", "x",
		 "invalid value 'x' for 'maxmemory' (expected a size of at least 0, e.g. 4096, "
		 "64kb or 2gb)"},
		{"unixsocketperm", "9",
		 "invalid value '9' for 'unixsocketperm' (expected an octal mode 0..0777)"},
		{"maxmemory-policy", "lru",
		 "invalid value 'lru' for 'maxmemory-policy' (expected one of noeviction, "
		 "volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, "
		 "allkeys-lfu, allkeys-random)"},
		{"loglevel", "x",
		 "invalid value 'x' for 'loglevel' (expected one of debug, verbose, notice, "
		 "warning)"},
		{"timeout", "-5",
		 "invalid value '-5' for 'timeout' (expected a duration 0..2147483647 seconds, "
		 "or with a unit: ms s m h d)"},
		{"unixsocket", "",
		 "invalid value '' for 'unixsocket' (expected 1..107 bytes)"},
	};
	struct config c;
	char err[CONFIG_ERR_MAX];

	config_defaults(&c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(config_set(&c, cases[i].name, cases[i].value, err), -1);
		ck_assert_str_eq(err, cases[i].msg);
	}
	config_free(&c);
}
END_TEST

START_TEST(test_config_set_string_length_limits)
{
	struct config c;
	char err[CONFIG_ERR_MAX];
	char path[PATH_MAX + 1];

	config_defaults(&c);
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[107] = '\0';
	ck_assert_int_eq(config_set(&c, "unixsocket", path, err), 0);
	ck_assert_uint_eq(strlen(c.unixsocket), 107);
	path[107] = 'p';
	path[108] = '\0';
	ck_assert_int_eq(config_set(&c, "unixsocket", path, err), -1);
	ck_assert_uint_eq(strlen(c.unixsocket), 107);
	/* A long rejected value is quoted back shortened, not overflowing err. */
	ck_assert_ptr_nonnull(strstr(err, "...' for 'unixsocket'"));

	memset(path, 'p', sizeof(path));
	path[PATH_MAX - 1] = '\0';
	ck_assert_int_eq(config_set(&c, "logfile", path, err), 0);
	path[PATH_MAX - 1] = 'p';
	path[PATH_MAX] = '\0';
	ck_assert_int_eq(config_set(&c, "logfile", path, err), -1);
	ck_assert_uint_eq(strlen(c.logfile), PATH_MAX - 1);
	config_free(&c);
}
END_TEST

/* allow-uid and friends: CONFIG_IDS_MAX items, CONFIG_ID_NAME_MAX bytes per name. */
START_TEST(test_config_set_id_list_limits)
{
	struct config c;
	char err[CONFIG_ERR_MAX];
	char list[CONFIG_IDS_MAX * 4 + 8], name[CONFIG_ID_NAME_MAX + 2];
	size_t n = 0;

	config_defaults(&c);
	for (int i = 0; i < CONFIG_IDS_MAX; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%d", i ? "," : "", i);
	ck_assert_msg(config_set(&c, "allow-uid", list, err) == 0, "%s", err);
	ck_assert_str_eq(c.allow_uid, list);
	snprintf(list + n, sizeof(list) - n, ",%d", CONFIG_IDS_MAX);
	ck_assert_int_eq(config_set(&c, "allow-uid", list, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "for 'allow-uid' (expected up to 64 user names"));

	memset(name, 'u', sizeof(name));
	name[CONFIG_ID_NAME_MAX] = '\0';
	ck_assert_msg(config_set(&c, "admin-uid", name, err) == 0, "%s", err);
	name[CONFIG_ID_NAME_MAX] = 'u';
	name[CONFIG_ID_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(config_set(&c, "admin-uid", name, err), -1);
	ck_assert_uint_eq(strlen(c.admin_uid), CONFIG_ID_NAME_MAX);
	config_free(&c);
}
END_TEST

START_TEST(test_config_set_names_are_case_insensitive)
{
	struct config c;
	char err[CONFIG_ERR_MAX];

	config_defaults(&c);
	ck_assert_int_eq(config_set(&c, "MaxClients", "77", err), 0);
	ck_assert_int_eq(c.maxclients, 77);
	ck_assert_int_eq(config_set(&c, "PROTO-MAX-ARGS", "5", err), 0);
	ck_assert_uint_eq(c.proto_max_args, 5);
	config_free(&c);
}
END_TEST

START_TEST(test_config_set_unknown_directive_is_named)
{
	struct config c;
	char err[CONFIG_ERR_MAX];

	config_defaults(&c);
	ck_assert_int_eq(config_set(&c, "maxclient", "5", err), -1);
	ck_assert_str_eq(err, "unknown directive 'maxclient'");
	ck_assert_int_eq(config_set(&c, "include", "x.conf", err), -1);
	ck_assert_str_eq(err, "'include' is only valid in a config file");
	config_free(&c);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Parse helpers.
 */

START_TEST(test_config_parse_size_units)
{
	static const struct {
		const char *s;
		size_t v;
	} ok[] = {
		{"0", 0},
		{"1", 1},
		{"1b", 1},
		{"1k", 1000},
		{"1K", 1000},
		{"1kb", 1024},
		{"1KB", 1024},
		{"1Kb", 1024},
		{"3m", 3000000},
		{"3mb", 3 * 1024 * 1024},
		{"2g", 2000000000},
		{"2gb", 2ULL * 1024 * 1024 * 1024},
		{"17179869183gb", 17179869183ULL * 1024 * 1024 * 1024},
		{"18446744073709551615", 18446744073709551615ULL},
	};
	size_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		ck_assert_msg(config_parse_size(ok[i].s, &v) == 0, "%s", ok[i].s);
		ck_assert_uint_eq(v, ok[i].v);
	}
}
END_TEST

START_TEST(test_config_parse_size_rejects_junk_and_overflow)
{
	static const char *const bad[] = {
		"", "k", "kb", "-1", "+1", " 1", "1 ", "1kbb", "1x", "0x10", "1.5kb", "1e6",
		"18446744073709551616", "17179869184gb", "99999999999999999999gb", "1tb",
	};
	size_t v = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(config_parse_size(bad[i], &v) == -1, "'%s' accepted", bad[i]);
	ck_assert_uint_eq(v, 42);
}
END_TEST

START_TEST(test_config_parse_duration_units)
{
	static const struct {
		const char *s;
		int64_t unit, ms;
	} ok[] = {
		{"10", 1000, 10000},
		{"10", 1, 10},
		{"0", 1000, 0},
		{"10ms", 1000, 10},
		{"10s", 1, 10000},
		{"10m", 1000, 600000},
		{"10h", 1000, 36000000},
		{"10d", 1000, 864000000},
		{"10MS", 1000, 10},
		{"10S", 1000, 10000},
		{"1.5s", 1000, 1500},
		{"1.25", 1000, 1250},
		{"0.001s", 1000, 1},
		{"1.5m", 1000, 90000},
		{"0.5d", 1000, 43200000},
		{"1.0000000000s", 1000, 1000},
		{"106751991167d", 1000, 106751991167LL * 86400000},
		{"9223372036854775807ms", 1000, INT64_MAX},
	};
	int64_t ms;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ms = -7;
		ck_assert_msg(config_parse_duration(ok[i].s, ok[i].unit, &ms) == 0, "%s", ok[i].s);
		ck_assert_int_eq(ms, ok[i].ms);
	}
}
END_TEST

START_TEST(test_config_parse_duration_rejects_junk_overflow_and_lost_precision)
{
	static const char *const bad[] = {
		"", "s", "-1", "+1", ".5", "1.", "1.5ms", "0.0001s", "1.0000000001s", "1 s",
		" 1", "1sec", "1.5.5", "1e3", "9223372036854775808ms", "106751991168d",
		"99999999999999999999",
	};
	int64_t ms = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(config_parse_duration(bad[i], 1000, &ms) == -1, "'%s' accepted",
			      bad[i]);
	ck_assert_int_eq(config_parse_duration("5", 0, &ms), -1);
	ck_assert_int_eq(config_parse_duration("5", -1000, &ms), -1);
	ck_assert_int_eq(ms, 42);
}
END_TEST

START_TEST(test_config_loglevel_names_round_trip)
{
	ck_assert_str_eq(config_loglevel_name(LOG_DEBUG_), "debug");
	ck_assert_str_eq(config_loglevel_name(LOG_VERBOSE_), "verbose");
	ck_assert_str_eq(config_loglevel_name(LOG_NOTICE_), "notice");
	ck_assert_str_eq(config_loglevel_name(LOG_WARNING_), "warning");
	ck_assert_ptr_null(config_loglevel_name(-1));
	ck_assert_ptr_null(config_loglevel_name(4));
	ck_assert_int_eq(config_loglevel_parse("debug"), LOG_DEBUG_);
	ck_assert_int_eq(config_loglevel_parse("WARNING"), LOG_WARNING_);
	ck_assert_int_eq(config_loglevel_parse("notice"), LOG_NOTICE_);
	ck_assert_int_eq(config_loglevel_parse("trace"), -1);
}
END_TEST

/* ---------------------------------------------------------------------------
 * CONFIG GET.
 */

START_TEST(test_config_get_formats_defaults_as_redis_does)
{
	static const char *const want[][2] = {
		{"unixsocket", CONFIG_SOCKET_DEFAULT},
		{"unixsocketperm", "660"},
		{"maxclients", "10000"},
		{"maxmemory", "0"},
		{"maxmemory-policy", "noeviction"},
		{"maxmemory-samples", "5"},
		{"lfu-log-factor", "10"},
		{"lfu-decay-time", "1"},
		{"loglevel", "notice"},
		{"logfile", ""},
		{"log-format", "auto"},
		{"proto-inline-max", "65536"},
		{"proto-max-bulk-len", "536870912"},
		{"proto-max-args", "1048576"},
		{"client-query-buffer-limit", "1073741824"},
		{"client-output-buffer-limit", "normal 0 0 0" OBUF_REST},
		{"client-request-timeout", "10"},
		{"timeout", "0"},
		{"hz", "10"},
		{"lock-max-waiters", "10000"},
		{"busy-reply-threshold", "5000"},
		{"lua-time-limit", "5000"},
		{"user", ""},
		{"allow-uid", "self,root"},
		{"allow-gid", "socket"},
		{"admin-uid", "self,root"},
		{"acl-uid", ""},
		{"acl-gid", ""},
		{"acl-default", ""},
		{"slowlog-log-slower-than", "10000"},
		{"slowlog-max-len", "128"},
		{"latency-monitor-threshold", "0"},
		{"notify-keyspace-events", ""},
		{"hash-max-listpack-entries", "128"},
		{"hash-max-ziplist-entries", "128"},
		{"hash-max-listpack-value", "64"},
		{"hash-max-ziplist-value", "64"},
		{"zset-max-listpack-entries", "128"},
		{"zset-max-ziplist-entries", "128"},
		{"zset-max-listpack-value", "64"},
		{"zset-max-ziplist-value", "64"},
		{"list-max-listpack-size", "-2"},
		{"list-max-ziplist-size", "-2"},
		{"save", ""},
		{"dir", "."},
		{"dbfilename", "cachifyd.snap"},
	};
	struct config c;
	struct got g = {0};

	config_defaults(&c);
	config_get(&c, "*", got_cb, &g);
	ck_assert_int_eq(g.n, (int)(sizeof(want) / sizeof(want[0])));
	ck_assert_uint_eq(ndirectives(), sizeof(want) / sizeof(want[0]));
	for (int i = 0; i < g.n; i++) {
		ck_assert_str_eq(g.names[i], want[i][0]);
		ck_assert_str_eq(g.values[i], want[i][1]);
	}
	config_free(&c);
}
END_TEST

START_TEST(test_config_get_matches_glob_patterns_case_insensitively)
{
	static const char *const max[] = {
		"maxclients",	     "maxmemory",      "maxmemory-policy", "maxmemory-samples",
		"proto-inline-max",  "proto-max-bulk-len", "proto-max-args", "lock-max-waiters",
		"slowlog-max-len", "hash-max-listpack-entries", "hash-max-ziplist-entries",
		"hash-max-listpack-value", "hash-max-ziplist-value", "zset-max-listpack-entries",
		"zset-max-ziplist-entries", "zset-max-listpack-value", "zset-max-ziplist-value",
		"list-max-listpack-size", "list-max-ziplist-size",
	};
	struct config c;
	struct got g = {0};

	config_defaults(&c);
	config_get(&c, "*max*", got_cb, &g);
	ck_assert_int_eq(g.n, (int)(sizeof max / sizeof max[0]));
	for (int i = 0; i < g.n; i++)
		ck_assert_str_eq(g.names[i], max[i]);

	memset(&g, 0, sizeof(g));
	config_get(&c, "maxclients", got_cb, &g);
	ck_assert_int_eq(g.n, 1);
	ck_assert_str_eq(g.names[0], "maxclients");
	ck_assert_str_eq(g.values[0], "10000");

	memset(&g, 0, sizeof(g));
	config_get(&c, "MAXCLIENTS", got_cb, &g);
	ck_assert_int_eq(g.n, 1);
	ck_assert_str_eq(g.names[0], "maxclients");

	memset(&g, 0, sizeof(g));
	config_get(&c, "proto-max-[ab]*", got_cb, &g);
	ck_assert_int_eq(g.n, 2);
	ck_assert_str_eq(g.names[0], "proto-max-bulk-len");
	ck_assert_str_eq(g.names[1], "proto-max-args");

	memset(&g, 0, sizeof(g));
	config_get(&c, "maxclient", got_cb, &g);
	config_get(&c, "", got_cb, &g);
	ck_assert_int_eq(g.n, 0);
	config_free(&c);
}
END_TEST

START_TEST(test_config_get_values_round_trip_through_set)
{
	struct config a, b;
	struct got ga = {0}, gb = {0};
	char err[CONFIG_ERR_MAX];

	config_defaults(&a);
	ck_assert_int_eq(config_set(&a, "timeout", "1.25m", err), 0);
	ck_assert_int_eq(config_set(&a, "client-request-timeout", "1ms", err), 0);
	ck_assert_int_eq(config_set(&a, "unixsocketperm", "0751", err), 0);
	ck_assert_int_eq(config_set(&a, "maxmemory", "3gb", err), 0);
	ck_assert_int_eq(config_set(&a, "loglevel", "verbose", err), 0);
	config_get(&a, "*", got_cb, &ga);
	config_defaults(&b);
	for (int i = 0; i < ga.n; i++)
		ck_assert_msg(config_set(&b, ga.names[i], ga.values[i], err) == 0, "%s", err);
	config_get(&b, "*", got_cb, &gb);
	ck_assert_int_eq(ga.n, gb.n);
	for (int i = 0; i < ga.n; i++)
		ck_assert_str_eq(ga.values[i], gb.values[i]);
	ck_assert_int_eq(b.timeout, 75000);
	ck_assert_int_eq(b.client_request_timeout, 1);
	ck_assert_uint_eq(b.unixsocketperm, 0751);
	config_free(&a);
	config_free(&b);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Validate and copy.
 */

START_TEST(test_config_validate_rejects_query_buffer_not_above_max_bulk_len)
{
	struct config c;
	char err[CONFIG_ERR_MAX];

	config_defaults(&c);
	ck_assert_int_eq(config_set(&c, "client-query-buffer-limit", "32mb", err), 0);
	ck_assert_int_eq(config_set(&c, "proto-max-bulk-len", "32mb", err), 0);
	ck_assert_int_eq(config_validate(&c, err), -1);
	ck_assert_str_eq(err, "client-query-buffer-limit (33554432) must be greater than "
			      "proto-max-bulk-len (33554432)");
	ck_assert_int_eq(config_set(&c, "proto-max-bulk-len", "64mb", err), 0);
	ck_assert_int_eq(config_validate(&c, err), -1);
	ck_assert_int_eq(config_set(&c, "proto-max-bulk-len", "33554431", err), 0);
	ck_assert_int_eq(config_validate(&c, err), 0);
	config_free(&c);
}
END_TEST

START_TEST(test_config_validate_rejects_inline_max_above_query_buffer)
{
	struct config c;
	char err[CONFIG_ERR_MAX];

	config_defaults(&c);
	ck_assert_int_eq(config_set(&c, "client-query-buffer-limit", "32mb", err), 0);
	ck_assert_int_eq(config_set(&c, "proto-max-bulk-len", "1mb", err), 0);
	ck_assert_int_eq(config_set(&c, "proto-inline-max", "33554433", err), 0);
	ck_assert_int_eq(config_validate(&c, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "proto-inline-max (33554433) must not exceed"));
	ck_assert_int_eq(config_set(&c, "proto-inline-max", "32mb", err), 0);
	ck_assert_int_eq(config_validate(&c, err), 0);
	config_free(&c);
}
END_TEST

START_TEST(test_config_copy_is_deep)
{
	struct config a, b;
	char err[CONFIG_ERR_MAX];

	config_defaults(&a);
	ck_assert_int_eq(config_set(&a, "logfile", "/tmp/a.log", err), 0);
	ck_assert_int_eq(config_set(&a, "hz", "42", err), 0);
	ck_assert_int_eq(config_copy(&b, &a), 0);
	ck_assert_ptr_ne(a.logfile, b.logfile);
	ck_assert_ptr_ne(a.unixsocket, b.unixsocket);
	ck_assert_str_eq(b.logfile, "/tmp/a.log");
	ck_assert_str_eq(b.unixsocket, CONFIG_SOCKET_DEFAULT);
	ck_assert_int_eq(b.hz, 42);
	ck_assert_int_eq(config_set(&b, "logfile", "/tmp/b.log", err), 0);
	ck_assert_str_eq(a.logfile, "/tmp/a.log");
	config_free(&a);
	ck_assert_str_eq(b.logfile, "/tmp/b.log");
	config_free(&b);
}
END_TEST

/* ---------------------------------------------------------------------------
 * The file reader.
 */

/* Loads text as a file into fresh defaults; returns config_load_file's result. */
static int load_text(struct config *c, const char *text, char *err)
{
	config_defaults(c);
	return config_load_file(c, put("t.conf", text), err);
}

START_TEST(test_config_file_quoted_arguments_keep_spaces_and_escapes)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";

	ck_assert_msg(load_text(&c, "logfile \"/tmp/a b/c.log\"\n", err) == 0, "%s", err);
	ck_assert_str_eq(c.logfile, "/tmp/a b/c.log");
	config_free(&c);

	ck_assert_msg(load_text(&c, "logfile \"t\\tx\\x41\\\"q\\\\\\n\"\n", err) == 0, "%s", err);
	ck_assert_str_eq(c.logfile, "t\txA\"q\\\n");
	config_free(&c);

	ck_assert_msg(load_text(&c, "unixsocket '/tmp/it\\'s \"a\".sock'\n", err) == 0, "%s", err);
	ck_assert_str_eq(c.unixsocket, "/tmp/it's \"a\".sock");
	config_free(&c);

	/* A quote inside a bare word opens a quoted part that must end the argument. */
	ck_assert_msg(load_text(&c, "logfile /tmp/\"a b\"\n", err) == 0, "%s", err);
	ck_assert_str_eq(c.logfile, "/tmp/a b");
	config_free(&c);

	ck_assert_msg(load_text(&c, "logfile /x\nlogfile \"\"\n", err) == 0, "%s", err);
	ck_assert_str_eq(c.logfile, "");
	config_free(&c);

	ck_assert_msg(load_text(&c, "maxmemory-policy 'volatile-lru'\n", err) == 0, "%s", err);
	ck_assert_int_eq(c.maxmemory_policy, MAXMEMORY_VOLATILE_LRU);
	config_free(&c);
}
END_TEST

START_TEST(test_config_file_comments_blank_lines_and_whitespace_are_ignored)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";

	ck_assert_msg(load_text(&c,
				"# a comment\n"
				"   # an indented one, with a stray ' and \"\n"
				"\n"
				" \t \n"
				"maxclients 7\r\n"
				"  \thz   20  \n"
				"MaxMemory 1kb",
				err) == 0,
		      "%s", err);
	ck_assert_int_eq(c.maxclients, 7);
	ck_assert_int_eq(c.hz, 20);
	ck_assert_uint_eq(c.maxmemory, 1024);
	config_free(&c);
}
END_TEST

START_TEST(test_config_file_hash_after_a_value_is_not_a_comment)
{
	struct config c;
	char err[CONFIG_ERR_MAX];
	char want[CONFIG_ERR_MAX];

	ck_assert_int_eq(load_text(&c, "maxclients 7 # seven\n", err), -1);
	fmt(want, sizeof(want), "%s:1: wrong number of arguments for 'maxclients'",
		 tmp_path("t.conf"));
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got: %s", err);
	ck_assert_int_eq(c.maxclients, 10000);
	config_free(&c);
}
END_TEST

START_TEST(test_config_file_errors_carry_file_and_line)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"hz 5\n\nfoo bar\n", ":3: unknown directive 'foo'"},
		{"maxclients\n", ":1: wrong number of arguments for 'maxclients' (expected 1, got 0)"},
		{"hz 1\nmaxclients 1 2\n",
		 ":2: wrong number of arguments for 'maxclients' (expected 1, got 2)"},
		{"\n\nmaxclients abc\n",
		 ":3: invalid value 'abc' for 'maxclients' (expected an integer 1..1000000)"},
		{"logfile \"abc\n", ":1: unbalanced quotes"},
		{"hz 1\nlogfile 'abc\n", ":2: unbalanced quotes"},
		{"logfile \"abc\"def\n", ":1: unbalanced quotes"},
		{"logfile 'abc'def\n", ":1: unbalanced quotes"},
		{"logfile \"a\\x00b\"\n", ":1: NUL byte in argument 2"},
		{"include\n", ":1: wrong number of arguments for 'include' (expected 1, got 0)"},
	};
	char err[CONFIG_ERR_MAX], want[CONFIG_ERR_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;

		ck_assert_msg(load_text(&c, cases[i].text, err) == -1, "%s", cases[i].text);
		fmt(want, sizeof(want), "%s%s", tmp_path("t.conf"), cases[i].msg);
		ck_assert_str_eq(err, want);
		config_free(&c);
	}
}
END_TEST

START_TEST(test_config_file_nul_byte_in_a_line_is_an_error)
{
	struct config c;
	char err[CONFIG_ERR_MAX], want[CONFIG_ERR_MAX];

	config_defaults(&c);
	ck_assert_int_eq(config_load_file(&c, put_bytes("n.conf", "hz 5\nhz 6\0\n", 11), err),
			 -1);
	fmt(want, sizeof(want), "%s:2: NUL byte in line", tmp_path("n.conf"));
	ck_assert_str_eq(err, want);
	config_free(&c);
}
END_TEST

START_TEST(test_config_file_last_value_wins)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";

	ck_assert_msg(load_text(&c, "hz 5\nlogfile /a\nhz 6\nlogfile /b\n", err) == 0, "%s", err);
	ck_assert_int_eq(c.hz, 6);
	ck_assert_str_eq(c.logfile, "/b");
	config_free(&c);
}
END_TEST

START_TEST(test_config_file_error_leaves_config_unchanged)
{
	struct config c;
	char err[CONFIG_ERR_MAX];

	config_defaults(&c);
	ck_assert_int_eq(config_set(&c, "logfile", "/before", err), 0);
	put("inc.conf", "maxclients 3\n");
	ck_assert_int_eq(config_load_file(&c, put("t.conf", "hz 5\nlogfile /after\n"
							    "include inc.conf\nbogus 1\n"),
					  err),
			 -1);
	ck_assert_int_eq(c.hz, 10);
	ck_assert_int_eq(c.maxclients, 10000);
	ck_assert_str_eq(c.logfile, "/before");
	config_free(&c);
}
END_TEST

START_TEST(test_config_file_missing_names_path_and_reason)
{
	struct config c;
	char err[CONFIG_ERR_MAX], want[CONFIG_ERR_MAX];

	config_defaults(&c);
	ck_assert_int_eq(config_load_file(&c, tmp_path("nope.conf"), err), -1);
	fmt(want, sizeof(want), "%s: %s", tmp_path("nope.conf"), strerror(ENOENT));
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(config_load_file(&c, tmpdir, err), -1);
	fmt(want, sizeof(want), "%s: %s", tmpdir, strerror(EISDIR));
	ck_assert_str_eq(err, want);
	config_free(&c);
}
END_TEST

/* A file of len bytes: comment lines of CONFIG_LINE_MAX bytes but the last. */
static const char *put_comments(const char *name, size_t len)
{
	char *text = malloc(len);
	const char *path;

	ck_assert_ptr_nonnull(text);
	memset(text, '#', len);
	for (size_t i = CONFIG_LINE_MAX; i < len; i += CONFIG_LINE_MAX + 1)
		text[i] = '\n';
	path = put_bytes(name, text, len);
	free(text);
	return path;
}

START_TEST(test_config_file_line_longer_than_the_limit_is_an_error)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "", want[CONFIG_ERR_MAX];
	size_t len = CONFIG_LINE_MAX + 8;
	char *text = malloc(len + 1);

	ck_assert_ptr_nonnull(text);
	/* "hz 5", then "hz 6" padded with blanks to exactly the limit: accepted. */
	memset(text, ' ', len);
	memcpy(text, "hz 5\nhz 6", 9);
	text[5 + CONFIG_LINE_MAX] = '\n';
	text[len - 1] = '\n';
	config_defaults(&c);
	ck_assert_msg(config_load_file(&c, put_bytes("t.conf", text, len), err) == 0, "%s", err);
	ck_assert_int_eq(c.hz, 6);
	config_free(&c);

	/* One byte more on line 2. */
	text[5 + CONFIG_LINE_MAX] = ' ';
	config_defaults(&c);
	ck_assert_int_eq(config_load_file(&c, put_bytes("t.conf", text, len), err), -1);
	fmt(want, sizeof(want), "%s:2: line too long (limit %d bytes)", tmp_path("t.conf"),
	    CONFIG_LINE_MAX);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(c.hz, 10);
	config_free(&c);
	free(text);
}
END_TEST

/* `cachifyd -t /dev/zero` grew to 24 GB: getline() had no bound. A sparse file of
 * zeros stands in for the device here (the daemon test in check_ops.c uses the real
 * one), big enough that reading it whole shows in the peak RSS. */
START_TEST(test_config_file_endless_line_fails_at_the_limit_in_bounded_memory)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "", want[CONFIG_ERR_MAX];
	const char *path = put("zeros", "");
	struct rusage before, after;

	ck_assert_int_eq(truncate(path, 256L * 1024 * 1024), 0);
	config_defaults(&c);
	ck_assert_int_eq(getrusage(RUSAGE_SELF, &before), 0);
	ck_assert_int_eq(config_load_file(&c, path, err), -1);
	ck_assert_int_eq(getrusage(RUSAGE_SELF, &after), 0);
	fmt(want, sizeof(want), "%s:1: line too long (limit %d bytes)", path, CONFIG_LINE_MAX);
	ck_assert_str_eq(err, want);
	/* ru_maxrss is in KiB. */
	ck_assert_msg(after.ru_maxrss - before.ru_maxrss < 16 * 1024,
		      "peak RSS grew by %ld KiB", after.ru_maxrss - before.ru_maxrss);
	config_free(&c);
}
END_TEST

START_TEST(test_config_files_larger_than_the_total_limit_are_an_error)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "", want[CONFIG_ERR_MAX];

	/* 30 bytes of includes, then two files: exactly the limit loads, one more byte
	 * is refused at the line that crosses it. */
	put_comments("a.conf", CONFIG_TOTAL_MAX / 2);
	put_comments("b.conf", CONFIG_TOTAL_MAX / 2 - 30);
	config_defaults(&c);
	ck_assert_msg(config_load_file(&c, put("ok.conf", "include a.conf\ninclude b.conf\n"),
				       err) == 0,
		      "%s", err);
	config_free(&c);

	put_comments("b.conf", CONFIG_TOTAL_MAX / 2 - 29);
	config_defaults(&c);
	ck_assert_int_eq(config_load_file(&c, put("t.conf", "include a.conf\ninclude b.conf\n"),
					  err),
			 -1);
	fmt(want, sizeof(want), "%s:%d: more than %d bytes of configuration in all files",
	    tmp_path("b.conf"), (CONFIG_TOTAL_MAX / 2 - 30) / (CONFIG_LINE_MAX + 1) + 1,
	    CONFIG_TOTAL_MAX);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got: %s", err);
	config_free(&c);
}
END_TEST

/* ---------------------------------------------------------------------------
 * include.
 */

START_TEST(test_config_include_glob_loads_matches_in_sorted_order)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";

	/* Written shuffled, so that neither creation order, its reverse, nor (most
	 * likely) a hashed directory order is the sorted order. */
	static const int order[] = {7, 2, 9, 1, 10, 4, 6, 3, 8, 5};
	char name[64], text[64];

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		snprintf(name, sizeof(name), "conf.d/%02d-x.conf", order[i] + 10);
		snprintf(text, sizeof(text), "hz %d\nmaxclients %d\n", order[i] + 10, order[i]);
		put(name, text);
	}
	put("conf.d/10-a.conf", "hz 11\nmaxclients 1\nloglevel debug\n");
	put("conf.d/30-b.conf", "hz 20\nmaxclients 2\n");
	put("conf.d/readme.txt", "not a directive\n");
	put("conf.d/.hidden.conf", "hidden files are skipped\n");
	config_defaults(&c);
	ck_assert_msg(config_load_file(&c, put("main.conf", "hz 1\ninclude conf.d/*.conf\n"),
				       err) == 0,
		      "%s", err);
	ck_assert_int_eq(c.hz, 20);
	ck_assert_int_eq(c.maxclients, 2);
	ck_assert_int_eq(c.loglevel, LOG_DEBUG_);
	config_free(&c);

	config_defaults(&c);
	ck_assert_msg(config_load_file(&c, put("main.conf", "include conf.d/*.conf\nhz 3\n"),
				       err) == 0,
		      "%s", err);
	ck_assert_int_eq(c.hz, 3);
	ck_assert_int_eq(c.maxclients, 2);
	config_free(&c);

	config_defaults(&c);
	ck_assert_msg(config_load_file(&c, put("main.conf", "include conf.d/1?-[a-b].conf\n"),
				       err) == 0,
		      "%s", err);
	ck_assert_int_eq(c.hz, 11);
	config_free(&c);
}
END_TEST

START_TEST(test_config_include_is_relative_to_the_including_file)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";
	char cwd[PATH_MAX];

	put("sub/inc.conf", "hz 33\n");
	put("sub/deeper/more.conf", "include ../inc.conf\nmaxclients 44\n");
	put("sub/main.conf", "include deeper/*.conf\n");
	config_defaults(&c);
	ck_assert_msg(config_load_file(&c, tmp_path("sub/main.conf"), err) == 0, "%s", err);
	ck_assert_int_eq(c.hz, 33);
	ck_assert_int_eq(c.maxclients, 44);
	config_free(&c);

	/* A bare file name has no directory: its includes resolve from the cwd. */
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(tmp_path("sub")), 0);
	config_defaults(&c);
	ck_assert_int_eq(config_load_file(&c, "main.conf", err), 0);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_int_eq(c.maxclients, 44);
	config_free(&c);
}
END_TEST

/* The including file's directory is a path, not a pattern: only the last
 * component of the include's argument is matched. */
START_TEST(test_config_include_directory_with_wildcard_characters_is_literal)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";

	put("we[ir]d*?\\dir/conf.d/a.conf", "hz 42\n");
	/* What the directory's name would match as a pattern. */
	put("weidabdir/conf.d/a.conf", "hz 43\n");
	put("we[ir]d*?\\dir/main.conf", "include conf.d/*.conf\n");
	config_defaults(&c);
	ck_assert_msg(config_load_file(&c, tmp_path("we[ir]d*?\\dir/main.conf"), err) == 0,
		      "%s", err);
	ck_assert_int_eq(c.hz, 42);
	config_free(&c);
}
END_TEST

START_TEST(test_config_include_absolute_pattern)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";
	char line[PATH_MAX + 32];

	put("abs/x.conf", "hz 55\n");
	snprintf(line, sizeof(line), "include %s/abs/*.conf\n", tmpdir);
	ck_assert_msg(load_text(&c, line, err) == 0, "%s", err);
	ck_assert_int_eq(c.hz, 55);
	config_free(&c);
}
END_TEST

START_TEST(test_config_include_wildcard_matching_nothing_is_fine)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";

	ck_assert_msg(load_text(&c, "include none-*.conf\ninclude missing-dir/*.conf\nhz 7\n",
				err) == 0,
		      "%s", err);
	ck_assert_int_eq(c.hz, 7);
	config_free(&c);
}
END_TEST

START_TEST(test_config_include_dot_pattern_skips_dot_and_dotdot)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "";

	put("d/.x.conf", "hz 12\n");
	ck_assert_msg(load_text(&c, "include d/.*\n", err) == 0, "%s", err);
	ck_assert_int_eq(c.hz, 12);
	config_free(&c);
}
END_TEST

START_TEST(test_config_include_unreadable_directory_is_an_error)
{
	struct config c;
	char err[CONFIG_ERR_MAX], want[CONFIG_ERR_MAX * 2], main_path[PATH_MAX];

	/* A symlink loop: unreadable even for root, unlike a mode 000 directory. */
	ck_assert_int_eq(symlink("loop", tmp_path("loop")), 0);
	ck_assert_int_eq(load_text(&c, "include loop/*.conf\n", err), -1);
	snprintf(main_path, sizeof(main_path), "%s", tmp_path("t.conf"));
	fmt(want, sizeof(want), "%s:1: %s: %s", main_path, tmp_path("loop"), strerror(ELOOP));
	ck_assert_str_eq(err, want);
	config_free(&c);
}
END_TEST

START_TEST(test_config_include_missing_literal_file_is_an_error)
{
	struct config c;
	char err[CONFIG_ERR_MAX], want[CONFIG_ERR_MAX * 2], main_path[PATH_MAX];

	ck_assert_int_eq(load_text(&c, "hz 5\ninclude nope.conf\n", err), -1);
	snprintf(main_path, sizeof(main_path), "%s", tmp_path("t.conf"));
	fmt(want, sizeof(want), "%s:2: %s: %s", main_path, tmp_path("nope.conf"),
		 strerror(ENOENT));
	ck_assert_str_eq(err, want);
	config_free(&c);
}
END_TEST

START_TEST(test_config_include_error_names_the_included_file)
{
	struct config c;
	char err[CONFIG_ERR_MAX], want[CONFIG_ERR_MAX];

	put("inc.conf", "hz 5\nbogus 1\n");
	ck_assert_int_eq(load_text(&c, "include inc.conf\n", err), -1);
	fmt(want, sizeof(want), "%s:2: unknown directive 'bogus'", tmp_path("inc.conf"));
	ck_assert_str_eq(err, want);
	config_free(&c);
}
END_TEST

START_TEST(test_config_include_wildcards_only_in_the_file_name)
{
	struct config c;
	char err[CONFIG_ERR_MAX];

	ck_assert_int_eq(load_text(&c, "include */x.conf\n", err), -1);
	ck_assert_ptr_nonnull(strstr(err, "t.conf:1: include '*/x.conf': wildcards are only "
					  "allowed in the file name"));
	config_free(&c);
}
END_TEST

/* f0.conf includes f1.conf ... up to f<last>.conf, which sets hz. */
static void include_chain(int last)
{
	char name[32], text[64];

	for (int i = 0; i < last; i++) {
		snprintf(name, sizeof(name), "f%d.conf", i);
		snprintf(text, sizeof(text), "include f%d.conf\n", i + 1);
		put(name, text);
	}
	snprintf(name, sizeof(name), "f%d.conf", last);
	put(name, "hz 99\n");
}

START_TEST(test_config_include_depth_limit_allows_then_refuses)
{
	struct config c;
	char err[CONFIG_ERR_MAX] = "", want[CONFIG_ERR_MAX];

	include_chain(CONFIG_INCLUDE_DEPTH);
	config_defaults(&c);
	ck_assert_msg(config_load_file(&c, tmp_path("f0.conf"), err) == 0, "%s", err);
	ck_assert_int_eq(c.hz, 99);
	config_free(&c);

	include_chain(CONFIG_INCLUDE_DEPTH + 1);
	config_defaults(&c);
	ck_assert_int_eq(config_load_file(&c, tmp_path("f0.conf"), err), -1);
	fmt(want, sizeof(want), "f%d.conf:1: includes nested more than %d deep",
		 CONFIG_INCLUDE_DEPTH, CONFIG_INCLUDE_DEPTH);
	ck_assert_msg(strstr(err, want) != NULL, "got: %s", err);
	ck_assert_int_eq(c.hz, 10);
	config_free(&c);
}
END_TEST

START_TEST(test_config_include_loop_is_caught_by_the_depth_limit)
{
	struct config c;
	char err[CONFIG_ERR_MAX];

	put("a.conf", "include b.conf\n");
	put("b.conf", "include a.conf\n");
	config_defaults(&c);
	ck_assert_int_eq(config_load_file(&c, tmp_path("a.conf"), err), -1);
	ck_assert_ptr_nonnull(strstr(err, "an include loop?"));
	config_free(&c);
}
END_TEST

/* ---------------------------------------------------------------------------
 * The shipped cachifyd.conf.
 */

static void shipped_path(char *buf, size_t size)
{
	const char *src = getenv("CACHIFY_SRC");

	if (src != NULL && src[0] != '\0')
		snprintf(buf, size, "%s/cachifyd.conf", src);
	else
		snprintf(buf, size, "cachifyd.conf");
}

/* True when some line of text, after optional "#" and blanks, starts with the
 * directive name followed by a blank: `name value` or `# name value`. */
static bool mentions(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *l = text;

	while (l != NULL) {
		const char *p = l + strspn(l, " \t");

		if (*p == '#')
			p += 1 + strspn(p + 1, " \t");
		if (strncmp(p, name, n) == 0 && (p[n] == ' ' || p[n] == '\t'))
			return true;
		l = strchr(l, '\n');
		if (l != NULL)
			l++;
	}
	return false;
}

/* The directives the shipped file sets apart from the built-in defaults on
 * purpose (CONFIG GET's spelling), as its header says: a bounded host cache
 * with LRU eviction (issue 16). NULL for every other directive. */
static const char *shipped_choice(const char *name)
{
	static const char *const choices[][2] = {
		{"maxmemory", "268435456"},
		{"maxmemory-policy", "allkeys-lru"},
		/* Snapshots: off by default, on for the service. */
		{"save", "3600 1 300 100 60 10000"},
	};

	for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++)
		if (strcmp(name, choices[i][0]) == 0)
			return choices[i][1];
	return NULL;
}

START_TEST(test_config_shipped_file_loads_with_defaults_and_documents_all)
{
	struct config c, d;
	struct got gc = {0}, gd = {0};
	char err[CONFIG_ERR_MAX] = "", path[PATH_MAX];
	char *text;
	long len;
	FILE *f;

	shipped_path(path, sizeof(path));
	config_defaults(&c);
	ck_assert_msg(config_load_file(&c, path, err) == 0, "%s", err);
	ck_assert_msg(config_validate(&c, err) == 0, "%s", err);

	config_defaults(&d);
	config_get(&c, "*", got_cb, &gc);
	config_get(&d, "*", got_cb, &gd);
	ck_assert_int_eq(gc.n, gd.n);
	for (int i = 0; i < gc.n; i++) {
		const char *want = shipped_choice(gc.names[i]);

		if (want)
			ck_assert_msg(strcmp(gc.values[i], want) == 0 &&
					      strcmp(gd.values[i], want) != 0,
				      "%s: the shipped file sets '%s' (default '%s'), want '%s'",
				      gc.names[i], gc.values[i], gd.values[i], want);
		else
			ck_assert_msg(strcmp(gc.values[i], gd.values[i]) == 0,
				      "%s: the shipped file sets '%s', the default is '%s'",
				      gc.names[i], gc.values[i], gd.values[i]);
	}

	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	ck_assert_int_gt(len, 0);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	for (size_t i = 0; config_directive_name(i) != NULL; i++)
		ck_assert_msg(mentions(text, config_directive_name(i)),
			      "%s does not document '%s'", path, config_directive_name(i));
	ck_assert(mentions(text, "include"));
	ck_assert(!mentions(text, "no-such-directive"));
	free(text);
	config_free(&c);
	config_free(&d);
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("values");
	TCase *tf = tcase_create("files");

	tcase_add_test(tc, test_config_defaults_are_the_documented_values);
	tcase_add_test(tc, test_config_defaults_pass_validation);
	tcase_add_test(tc, test_config_directive_name_lists_the_table_then_null);
	tcase_add_loop_test(tc, test_config_set_accepts_valid_values_of_every_directive, 0,
			    (int)(sizeof(valid_cases) / sizeof(valid_cases[0])));
	tcase_add_test(tc, test_config_every_directive_has_a_valid_case);
	tcase_add_loop_test(tc, test_config_set_rejects_invalid_values_and_keeps_the_old_one, 0,
			    (int)(sizeof(invalid_cases) / sizeof(invalid_cases[0])));
	tcase_add_test(tc, test_config_set_every_directive_has_an_invalid_case);
	tcase_add_test(tc, test_config_set_invalid_messages_name_the_accepted_range);
	tcase_add_test(tc, test_config_set_string_length_limits);
	tcase_add_test(tc, test_config_set_id_list_limits);
	tcase_add_test(tc, test_config_set_names_are_case_insensitive);
	tcase_add_test(tc, test_config_set_unknown_directive_is_named);
	tcase_add_test(tc, test_config_parse_size_units);
	tcase_add_test(tc, test_config_parse_size_rejects_junk_and_overflow);
	tcase_add_test(tc, test_config_parse_duration_units);
	tcase_add_test(tc, test_config_parse_duration_rejects_junk_overflow_and_lost_precision);
	tcase_add_test(tc, test_config_loglevel_names_round_trip);
	tcase_add_test(tc, test_config_get_formats_defaults_as_redis_does);
	tcase_add_test(tc, test_config_get_matches_glob_patterns_case_insensitively);
	tcase_add_test(tc, test_config_get_values_round_trip_through_set);
	tcase_add_test(tc, test_config_validate_rejects_query_buffer_not_above_max_bulk_len);
	tcase_add_test(tc, test_config_validate_rejects_inline_max_above_query_buffer);
	tcase_add_test(tc, test_config_copy_is_deep);
	suite_add_tcase(s, tc);

	tcase_add_unchecked_fixture(tf, rootdir_setup, rootdir_teardown);
	tcase_add_checked_fixture(tf, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tf, test_config_file_quoted_arguments_keep_spaces_and_escapes);
	tcase_add_test(tf, test_config_file_comments_blank_lines_and_whitespace_are_ignored);
	tcase_add_test(tf, test_config_file_hash_after_a_value_is_not_a_comment);
	tcase_add_test(tf, test_config_file_errors_carry_file_and_line);
	tcase_add_test(tf, test_config_file_nul_byte_in_a_line_is_an_error);
	tcase_add_test(tf, test_config_file_last_value_wins);
	tcase_add_test(tf, test_config_file_error_leaves_config_unchanged);
	tcase_add_test(tf, test_config_file_missing_names_path_and_reason);
	tcase_add_test(tf, test_config_file_line_longer_than_the_limit_is_an_error);
	tcase_add_test(tf, test_config_file_endless_line_fails_at_the_limit_in_bounded_memory);
	tcase_add_test(tf, test_config_files_larger_than_the_total_limit_are_an_error);
	tcase_add_test(tf, test_config_include_glob_loads_matches_in_sorted_order);
	tcase_add_test(tf, test_config_include_is_relative_to_the_including_file);
	tcase_add_test(tf, test_config_include_directory_with_wildcard_characters_is_literal);
	tcase_add_test(tf, test_config_include_absolute_pattern);
	tcase_add_test(tf, test_config_include_wildcard_matching_nothing_is_fine);
	tcase_add_test(tf, test_config_include_dot_pattern_skips_dot_and_dotdot);
	tcase_add_test(tf, test_config_include_unreadable_directory_is_an_error);
	tcase_add_test(tf, test_config_include_missing_literal_file_is_an_error);
	tcase_add_test(tf, test_config_include_error_names_the_included_file);
	tcase_add_test(tf, test_config_include_wildcards_only_in_the_file_name);
	tcase_add_test(tf, test_config_include_depth_limit_allows_then_refuses);
	tcase_add_test(tf, test_config_include_loop_is_caught_by_the_depth_limit);
	tcase_add_test(tf, test_config_shipped_file_loads_with_defaults_and_documents_all);
	suite_add_tcase(s, tf);
	return s;
}
