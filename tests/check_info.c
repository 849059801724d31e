/* check_info.c - server introspection end to end, on the real daemon: INFO
 * sections and fields, commandstats/errorstats/latencystats, CONFIG SET
 * (atomicity, Redis's errors, effect), RESETSTAT, REWRITE (round trip
 * through a restart), COMMAND COUNT/LIST/INFO/DOCS/GETKEYS, the docs table
 * against the command table, and redis-cli's argument hints built from
 * COMMAND DOCS.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"
#include "command.h"
#include "command_docs.h"
#include "command_stats.h"
#include "harness.h"

/* ---- local helpers -------------------------------------------------------- */

/* Sends a command and expects exactly this error text. */
#define h_call_error_is(c, text, ...)                                                              \
	do {                                                                                       \
		h_cmd(c, __VA_ARGS__);                                                             \
		h_expect_error_is(c, text);                                                        \
	} while (0)

/* The INFO text for the given arguments (new, NUL-terminated). */
#define info(...) info_at(__FILE__, __LINE__, __VA_ARGS__, (const char *)NULL)
static char *info_at(const char *file, int line, struct h_client *c, ...)
{
	const char *words[8];
	struct resp_arg argv[9];
	struct resp_reply *r;
	int argc = 1;
	va_list ap;
	char *s;

	argv[0].ptr = "INFO";
	argv[0].len = 4;
	va_start(ap, c);
	for (const char *w; (w = va_arg(ap, const char *)) != NULL && argc < 9;) {
		words[argc - 1] = w;
		argv[argc].ptr = words[argc - 1];
		argv[argc++].len = strlen(w);
	}
	va_end(ap);
	h_cmdv(c, argc, argv);
	r = h_reply_at(file, line, c);
	ck_assert_msg(r->type == RESP_BULK, "%s:%d: INFO did not answer a bulk string", file, line);
	s = strdup(r->str);
	ck_assert_ptr_nonnull(s);
	resp_reply_free(r);
	return s;
}

/* The value of "field:" in INFO text, up to its "\r\n" (static buffer), or NULL. */
static const char *field(const char *text, const char *name)
{
	static char value[512];
	char key[128];
	const char *p;
	size_t n;

	snprintf(key, sizeof key, "\n%s:", name);
	p = strncmp(text, key + 1, strlen(key) - 1) == 0 ? text - 1 : strstr(text, key);
	if (!p)
		return NULL;
	p += strlen(key);
	n = strcspn(p, "\r");
	snprintf(value, sizeof value, "%.*s", (int)n, p);
	return value;
}

#define expect_field(text, name) expect_field_at(__FILE__, __LINE__, text, name)
static const char *expect_field_at(const char *file, int line, const char *text, const char *name)
{
	const char *v = field(text, name);

	ck_assert_msg(v != NULL, "%s:%d: no %s field in:\n%s", file, line, name, text);
	return v;
}

static bool has_section(const char *text, const char *title)
{
	char key[64];

	snprintf(key, sizeof key, "# %s\r\n", title);
	return strstr(text, key) != NULL;
}

/* Two-element CONFIG GET reply's value (static buffer). */
static const char *config_get(struct h_client *c, const char *name)
{
	static char value[512];
	struct resp_reply *r = h_call(c, "CONFIG", "GET", name);

	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 2);
	snprintf(value, sizeof value, "%s", r->element[1]->str);
	resp_reply_free(r);
	return value;
}

/* ---- INFO ----------------------------------------------------------------- */

START_TEST(test_info_default_all_everything_and_chosen_sections)
{
	static const char *const dflt[] = {"Server", "Clients",     "Memory",  "Persistence",
					   "Stats",  "Replication", "CPU",     "Errorstats",
					   "Locks",  "Pools",       "Keyspace"};
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	char *plain = info(c), *def = info(c, "default"), *all = info(c, "all");
	char *every = info(c, "everything"), *two = info(c, "CLIENTS", "server");
	char *none = info(c, "nosuchsection");

	for (size_t i = 0; i < sizeof dflt / sizeof dflt[0]; i++) {
		ck_assert_msg(has_section(plain, dflt[i]), "INFO lacks %s", dflt[i]);
		ck_assert_msg(has_section(def, dflt[i]), "INFO default lacks %s", dflt[i]);
		ck_assert_msg(has_section(all, dflt[i]), "INFO all lacks %s", dflt[i]);
		ck_assert_msg(has_section(every, dflt[i]), "INFO everything lacks %s", dflt[i]);
	}
	/* Per-command sections only on request, as in Redis. */
	ck_assert(!has_section(plain, "Commandstats") && !has_section(plain, "Latencystats"));
	ck_assert(!has_section(def, "Commandstats"));
	ck_assert(has_section(all, "Commandstats") && has_section(all, "Latencystats"));
	ck_assert(has_section(every, "Commandstats") && has_section(every, "Latencystats"));
	/* Chosen sections come in Redis's order, whatever order they were asked in. */
	ck_assert_ptr_eq(strstr(two, "# Server\r\n"), two);
	ck_assert_ptr_nonnull(strstr(two, "\r\n\r\n# Clients\r\n"));
	ck_assert(!has_section(two, "Memory"));
	ck_assert_str_eq(none, "");
	free(plain);
	free(def);
	free(all);
	free(every);
	free(two);
	free(none);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_info_sections_have_the_fields_tools_read)
{
	static const char *const fields[] = {"redis_version",
					     "cachify_version",
					     "redis_mode",
					     "os",
					     "arch_bits",
					     "multiplexing_api",
					     "process_id",
					     "run_id",
					     "tcp_port",
					     "uptime_in_seconds",
					     "uptime_in_days",
					     "hz",
					     "configured_hz",
					     "executable",
					     "config_file",
					     "connected_clients",
					     "maxclients",
					     "blocked_clients",
					     "used_memory",
					     "used_memory_human",
					     "used_memory_rss",
					     "used_memory_peak",
					     "used_memory_peak_human",
					     "maxmemory",
					     "maxmemory_human",
					     "maxmemory_policy",
					     "mem_fragmentation_ratio",
					     "loading",
					     "total_connections_received",
					     "total_commands_processed",
					     "instantaneous_ops_per_sec",
					     "keyspace_hits",
					     "keyspace_misses",
					     "expired_keys",
					     "evicted_keys",
					     "rejected_connections",
					     "total_error_replies",
					     "role",
					     "used_cpu_sys",
					     "used_cpu_user",
					     "used_cpu_sys_children",
					     "used_cpu_user_children",
					     "used_cpu_sys_main_thread",
					     "used_cpu_user_main_thread",
					     "locks_held",
					     "pools"};
	struct h_daemon *d = h_daemon_start("--hz", "20", NULL);
	struct h_client *c = h_connect(d);
	char *s, pid[32];

	h_ok(c, "SET", "k", "v");
	s = info(c, "everything");
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		expect_field(s, fields[i]);
	snprintf(pid, sizeof pid, "%d", (int)d->pid);
	ck_assert_str_eq(expect_field(s, "process_id"), pid);
	ck_assert_str_eq(expect_field(s, "tcp_port"), "0");
	ck_assert_str_eq(expect_field(s, "hz"), "20");
	ck_assert_str_eq(expect_field(s, "config_file"), "");
	ck_assert_uint_eq(strlen(expect_field(s, "run_id")), 40);
	ck_assert_ptr_nonnull(strstr(expect_field(s, "executable"), "cachifyd"));
	/* A Redis client parses redis_version as major.minor.patch. */
	ck_assert_int_eq(atoi(expect_field(s, "redis_version")), 7);
	ck_assert_str_eq(expect_field(s, "role"), "master");
	ck_assert_str_eq(expect_field(s, "loading"), "0");
	ck_assert_str_eq(expect_field(s, "connected_clients"), "1");
	ck_assert_ptr_nonnull(strstr(s, "db0:keys=1,expires=0"));
	ck_assert_ptr_nonnull(strchr(expect_field(s, "used_cpu_user"), '.'));
	ck_assert_int_ge(atoll(expect_field(s, "used_memory_peak")),
			 atoll(expect_field(s, "used_memory")));
	free(s);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_instantaneous_ops_per_sec_follows_the_load)
{
	struct h_daemon *d = h_daemon_start("--hz", "50", NULL);
	struct h_client *c = h_connect(d);
	int64_t end = h_now_ms() + 600;
	long long ops;
	char *s;

	/* Keep the daemon busy for longer than its 16 samples (320 ms at 50 hz). */
	while (h_now_ms() < end)
		h_call_status(c, "PONG", "PING");
	s = info(c, "stats");
	ops = atoll(expect_field(s, "instantaneous_ops_per_sec"));
	ck_assert_msg(ops > 100, "instantaneous_ops_per_sec %lld under a ping loop", ops);
	free(s);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- commandstats, errorstats, latencystats ------------------------------ */

START_TEST(test_commandstats_count_calls_failed_and_rejected)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	char *s;

	h_ok(c, "SET", "k", "v");
	h_ok(c, "SET", "n", "x");
	h_call_bulk(c, "v", "GET", "k");
	h_call_error(c, "ERR wrong number of arguments for 'get' command", "GET");
	h_call_error(c, "ERR value is not an integer", "INCR", "n");
	h_call_error(c, "ERR wrong number of arguments for 'config|get' command", "CONFIG", "GET");
	h_call_error(c, "ERR unknown subcommand 'nosuch'. Try CONFIG HELP.", "CONFIG", "nosuch");
	h_call_error(c, "ERR unknown command", "NOSUCHCOMMAND");
	h_cmd(c, "CONFIG", "GET", "hz");
	resp_reply_free(h_reply(c));
	s = info(c, "commandstats");
	ck_assert_ptr_nonnull(strstr(s, "cmdstat_set:calls=2,usec="));
	ck_assert_ptr_nonnull(
	    strstr(expect_field(s, "cmdstat_set"), ",rejected_calls=0,failed_calls=0"));
	ck_assert_ptr_nonnull(strstr(expect_field(s, "cmdstat_get"), "calls=1,"));
	ck_assert_ptr_nonnull(
	    strstr(expect_field(s, "cmdstat_get"), ",rejected_calls=1,failed_calls=0"));
	ck_assert_ptr_nonnull(
	    strstr(expect_field(s, "cmdstat_incr"), ",rejected_calls=0,failed_calls=1"));
	/* Subcommands by their Redis 7 names; a wrong arity is a rejection. */
	ck_assert_ptr_nonnull(strstr(expect_field(s, "cmdstat_config|get"), "calls=1,"));
	ck_assert_ptr_nonnull(
	    strstr(expect_field(s, "cmdstat_config|get"), ",rejected_calls=1,failed_calls=0"));
	/* Unknown commands and subcommands have no line. */
	ck_assert_ptr_null(field(s, "cmdstat_config"));
	ck_assert_ptr_null(field(s, "cmdstat_nosuchcommand"));
	ck_assert_ptr_null(strstr(s, "nosuch"));
	free(s);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_errorstats_count_every_error_by_its_first_word)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d), *other = h_connect(d);
	struct resp_reply *r;
	char *s;

	h_call_error(c, "ERR unknown command", "NOSUCH");
	h_call_error(c, "ERR syntax error", "SET", "k", "v", "BOGUS");
	r = h_call(c, "POOL.ACQUIRE", "p", "2");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	resp_reply_free(r);
	h_call_error(c, "WRONGTYPE", "GET", "p");
	r = h_call(c, "LOCK.ACQUIRE", "l");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	resp_reply_free(r);
	h_call_error(other, "LOCKED", "LOCK.ACQUIRE", "l");
	s = info(c, "errorstats", "stats");
	ck_assert_str_eq(expect_field(s, "errorstat_ERR"), "count=2");
	ck_assert_str_eq(expect_field(s, "errorstat_WRONGTYPE"), "count=1");
	ck_assert_str_eq(expect_field(s, "errorstat_LOCKED"), "count=1");
	ck_assert_str_eq(expect_field(s, "total_error_replies"), "4");
	free(s);
	h_close(other);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_latencystats_give_three_percentiles_per_command)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	double p50, p99, p999;
	char *s;

	for (int i = 0; i < 200; i++)
		h_ok(c, "SET", "k", "v");
	s = info(c, "latencystats");
	ck_assert_int_eq(sscanf(expect_field(s, "latency_percentiles_usec_set"),
				"p50=%lf,p99=%lf,p99.9=%lf", &p50, &p99, &p999),
			 3);
	ck_assert(p50 <= p99 && p99 <= p999);
	ck_assert_ptr_nonnull(strstr(expect_field(s, "latency_percentiles_usec_set"), ".000,"));
	ck_assert_ptr_null(field(s, "latency_percentiles_usec_get"));
	free(s);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_config_resetstat_starts_the_counts_again)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	char *s;

	h_ok(c, "SET", "k", "v");
	h_call_bulk(c, "v", "GET", "k");
	h_call_nil(c, "GET", "missing");
	h_call_error(c, "ERR unknown command", "NOSUCH");
	h_ok(c, "CONFIG", "RESETSTAT");
	s = info(c, "everything");
	ck_assert_str_eq(expect_field(s, "keyspace_hits"), "0");
	ck_assert_str_eq(expect_field(s, "keyspace_misses"), "0");
	ck_assert_str_eq(expect_field(s, "total_error_replies"), "0");
	ck_assert_str_eq(expect_field(s, "total_connections_received"), "0");
	ck_assert_int_le(atoll(expect_field(s, "total_commands_processed")), 2);
	ck_assert_ptr_null(field(s, "cmdstat_set"));
	ck_assert_ptr_null(field(s, "errorstat_ERR"));
	ck_assert_ptr_null(field(s, "latency_percentiles_usec_get"));
	/* RESETSTAT itself ran after the reset and is counted, as in Redis. */
	ck_assert_ptr_nonnull(strstr(expect_field(s, "cmdstat_config|resetstat"), "calls=1,"));
	/* The keyspace is not a statistic. */
	ck_assert_ptr_nonnull(strstr(s, "db0:keys=1,"));
	free(s);
	h_call_error(c, "ERR wrong number of arguments for 'config|resetstat' command", "CONFIG",
		     "RESETSTAT", "x");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- CONFIG SET ----------------------------------------------------------- */

START_TEST(test_config_set_errors_match_redis)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);

	h_call_error_is(c, "ERR Unknown option or number of arguments for CONFIG SET - 'x'",
			"CONFIG", "SET", "x", "1");
	h_call_error_is(c, "ERR wrong number of arguments for 'config|set' command", "CONFIG",
			"SET", "hz");
	h_call_error_is(c, "ERR syntax error", "CONFIG", "SET", "hz", "5", "x");
	h_call_error_is(c,
			"ERR CONFIG SET failed (possibly related to argument 'maxmemory') - "
			"argument must be a memory value",
			"CONFIG", "SET", "maxmemory", "abc");
	h_call_error_is(c,
			"ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - "
			"duplicate parameter",
			"CONFIG", "SET", "maxmemory", "1", "MAXMEMORY", "2");
	h_call_error_is(c,
			"ERR CONFIG SET failed (possibly related to argument 'unixsocket') - "
			"can't set immutable config",
			"CONFIG", "SET", "unixsocket", "/x");
	h_call_error_is(c,
			"ERR CONFIG SET failed (possibly related to argument 'user') - "
			"can't set immutable config",
			"CONFIG", "SET", "user", "root");
	h_call_error_is(c,
			"ERR CONFIG SET failed (possibly related to argument 'unixsocketperm') - "
			"can't set immutable config",
			"CONFIG", "SET", "unixsocketperm", "0600");
	h_call_error_is(c,
			"ERR CONFIG SET failed (possibly related to argument 'logfile') - "
			"can't set immutable config",
			"CONFIG", "SET", "logfile", "/tmp/x.log");
	h_call_error_is(c,
			"ERR CONFIG SET failed (possibly related to argument 'loglevel') - "
			"argument(s) must be one of the following: debug, verbose, notice, warning",
			"CONFIG", "SET", "loglevel", "bogus");
	h_call_error_is(c,
			"ERR CONFIG SET failed (possibly related to argument 'timeout') - "
			"argument must be between 0 and 2147483647 inclusive",
			"CONFIG", "SET", "timeout", "-1");
	h_call_error_is(c,
			"ERR CONFIG SET failed (possibly related to argument 'hz') - "
			"argument couldn't be parsed into an integer",
			"CONFIG", "SET", "hz", "abc");
	/* An unknown name answers first even after a bad value. */
	h_call_error_is(c, "ERR Unknown option or number of arguments for CONFIG SET - 'nope'",
			"CONFIG", "SET", "hz", "abc", "nope", "1");
	h_call_error_is(c, "ERR unknown subcommand 'bogus'. Try CONFIG HELP.", "CONFIG", "bogus");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_config_set_is_all_or_nothing)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);

	h_call_error(c, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy')",
		     "CONFIG", "SET", "hz", "20", "maxmemory", "1mb", "maxmemory-policy", "bogus");
	ck_assert_str_eq(config_get(c, "hz"), "10");
	ck_assert_str_eq(config_get(c, "maxmemory"), "0");
	/* A rule between directives is checked on the whole, after every value parsed. */
	h_call_error(c,
		     "ERR CONFIG SET failed (possibly related to argument 'hz') - "
		     "client-query-buffer-limit",
		     "CONFIG", "SET", "hz", "20", "client-query-buffer-limit", "1mb");
	ck_assert_str_eq(config_get(c, "hz"), "10");
	/* Together, two values may pass where either alone would not. */
	h_ok(c, "CONFIG", "SET", "client-query-buffer-limit", "2mb", "proto-max-bulk-len", "1mb");
	ck_assert_str_eq(config_get(c, "client-query-buffer-limit"), "2097152");
	h_ok(c, "CONFIG", "SET", "hz", "20", "maxmemory", "1mb", "loglevel", "verbose");
	ck_assert_str_eq(config_get(c, "hz"), "20");
	ck_assert_str_eq(config_get(c, "maxmemory"), "1048576");
	ck_assert_str_eq(config_get(c, "loglevel"), "verbose");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_config_set_takes_effect_at_once)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	char *s;

	h_ok(c, "SET", "a", "1");
	h_ok(c, "CONFIG", "SET", "maxmemory", "1");
	h_call_error_is(c, "OOM command not allowed when used memory > 'maxmemory'.", "SET", "b",
			"2");
	s = info(c, "memory");
	ck_assert_str_eq(expect_field(s, "maxmemory"), "1");
	free(s);
	h_ok(c, "CONFIG", "SET", "maxmemory", "0", "hz", "100");
	h_ok(c, "SET", "b", "2");
	s = info(c, "server");
	ck_assert_str_eq(expect_field(s, "hz"), "100");
	free(s);
	/* There is no append-only file: it may be turned off, not on. */
	h_ok(c, "CONFIG", "SET", "save", "", "appendonly", "no");
	h_call_error(c,
		     "ERR CONFIG SET failed (possibly related to argument 'appendonly') - "
		     "cachifyd has no append-only file",
		     "CONFIG", "SET", "appendonly", "yes");
	/* acl-default replaces the rules for everyone not named elsewhere. */
	h_ok(c, "CONFIG", "SET", "admin-uid", "", "acl-default", "-@all +ping");
	h_call_error(c, "NOPERM", "GET", "a");
	h_call_status(c, "PONG", "PING");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_config_help_lists_the_subcommands)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	struct resp_reply *r = h_call(c, "CONFIG", "HELP");

	ck_assert_int_eq(r->type, RESP_ARRAY);
	ck_assert_uint_eq(r->elements, 11);
	ck_assert_str_eq(r->element[0]->str,
			 "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
	ck_assert_str_eq(r->element[10]->str, "    Prints this help.");
	resp_reply_free(r);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* ---- CONFIG REWRITE ------------------------------------------------------- */

START_TEST(test_config_rewrite_without_a_file_is_an_error)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);

	h_call_error_is(c, "ERR The server is running without a config file", "CONFIG", "REWRITE");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_config_rewrite_keeps_comments_and_survives_a_restart)
{
	struct h_daemon *d = h_daemon_new(), *d2;
	struct h_client *c;
	char conf[H_PATH_MAX + 16], *text;
	const char *args[] = {"-c", conf, NULL};

	snprintf(conf, sizeof conf, "%s/my.conf", d->dir);
	h_write_file(conf, "# my cachifyd settings\n\n# background cycles\nhz 15\nloglevel notice\n"
			   "# the end\n");
	h_daemon_spawn(d, args);
	h_daemon_wait_ready(d);
	c = h_connect(d);
	h_ok(c, "CONFIG", "SET", "hz", "25", "maxmemory", "10mb", "loglevel", "notice");
	h_ok(c, "CONFIG", "REWRITE");
	text = h_slurp(conf, NULL);
	ck_assert_ptr_nonnull(text);
	/* Comments and order kept; the changed line rewritten in place; the
	 * unchanged one (loglevel, set to what it was) left alone; new
	 * values appended under Redis's signature. */
	ck_assert_msg(strncmp(text,
			      "# my cachifyd settings\n\n# background cycles\nhz 25\n"
			      "loglevel notice\n# the end\n",
			      strlen("# my cachifyd settings\n\n# background cycles\nhz 25\n"
				     "loglevel notice\n# the end\n")) == 0,
		      "rewritten file:\n%s", text);
	ck_assert_ptr_nonnull(strstr(text, "\n# Generated by CONFIG REWRITE\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nmaxmemory 10485760\n"));
	ck_assert_ptr_null(strstr(text, "logfile"));
	/* A second rewrite with nothing changed leaves the file as it is. */
	h_ok(c, "CONFIG", "REWRITE");
	{
		char *again = h_slurp(conf, NULL);

		ck_assert_str_eq(again, text);
		free(again);
	}
	h_close(c);
	d2 = h_daemon_new();
	snprintf(conf, sizeof conf, "%s/my.conf", d2->dir);
	h_write_file(conf, text);
	free(text);
	h_daemon_finish(d);
	h_daemon_spawn(d2, args);
	h_daemon_wait_ready(d2);
	c = h_connect(d2);
	ck_assert_str_eq(config_get(c, "hz"), "25");
	ck_assert_str_eq(config_get(c, "maxmemory"), "10485760");
	h_close(c);
	h_daemon_finish(d2);
}
END_TEST

/* ---- COMMAND -------------------------------------------------------------- */

START_TEST(test_command_count_list_and_info_shapes)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	long long n = h_call_ll(c, "COMMAND", "COUNT");
	struct resp_reply *r, *e;
	bool saw_sub = false;

	r = h_call(c, "COMMAND", "LIST");
	ck_assert_int_eq(r->type, RESP_ARRAY);
	/* LIST names subcommands too ("config|get"), COUNT only commands. */
	ck_assert_uint_gt(r->elements, (size_t)n);
	for (size_t i = 0; i < r->elements; i++)
		saw_sub |= strcmp(r->element[i]->str, "config|get") == 0;
	ck_assert(saw_sub);
	resp_reply_free(r);
	r = h_call(c, "COMMAND", "LIST", "FILTERBY", "PATTERN", "lock.*");
	ck_assert_uint_eq(r->elements, 5);
	resp_reply_free(r);
	r = h_call(c, "COMMAND", "LIST", "FILTERBY", "ACLCAT", "pool");
	ck_assert_uint_eq(r->elements, 5);
	resp_reply_free(r);
	r = h_call(c, "COMMAND", "LIST", "FILTERBY", "MODULE", "x");
	ck_assert_uint_eq(r->elements, 0);
	resp_reply_free(r);
	h_call_error_is(c, "ERR syntax error", "COMMAND", "LIST", "FILTERBY", "bogus", "x");
	r = h_call(c, "COMMAND", "INFO", "config");
	e = r->element[0];
	ck_assert_uint_eq(e->elements, 10);
	ck_assert_uint_eq(e->element[9]->elements, 5); /* get set resetstat rewrite help */
	resp_reply_free(r);
	r = h_call(c, "COMMAND", "INFO", "config|get", "set");
	ck_assert_str_eq(r->element[0]->element[0]->str, "config|get");
	ck_assert_int_eq(r->element[0]->element[1]->integer, -3);
	/* SET's key spec: flags, begin_search, find_keys, and notes. */
	e = r->element[1]->element[8];
	ck_assert_uint_eq(e->elements, 1);
	ck_assert_str_eq(e->element[0]->element[0]->str, "notes");
	resp_reply_free(r);
	h_call_error_is(c, "ERR wrong number of arguments for 'command|count' command", "COMMAND",
			"COUNT", "x");
	h_call_error_is(c, "ERR unknown subcommand 'bogus'. Try COMMAND HELP.", "COMMAND", "bogus");
	r = h_call(c, "COMMAND", "HELP");
	ck_assert_uint_eq(r->elements, 21);
	resp_reply_free(r);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

START_TEST(test_command_getkeys_and_flags)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	struct resp_reply *r;

	r = h_call(c, "COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2");
	ck_assert_uint_eq(r->elements, 2);
	ck_assert_str_eq(r->element[0]->str, "a");
	ck_assert_str_eq(r->element[1]->str, "b");
	resp_reply_free(r);
	r = h_call(c, "COMMAND", "GETKEYS", "LOCK.ACQUIRE", "l", "PX", "10");
	ck_assert_uint_eq(r->elements, 1);
	ck_assert_str_eq(r->element[0]->str, "l");
	resp_reply_free(r);
	r = h_call(c, "COMMAND", "GETKEYSANDFLAGS", "SET", "k", "v", "GET");
	ck_assert_str_eq(r->element[0]->element[0]->str, "k");
	ck_assert_uint_eq(r->element[0]->element[1]->elements, 3); /* RW access update */
	resp_reply_free(r);
	h_call_error_is(c, "ERR Invalid command specified", "COMMAND", "GETKEYS", "nosuch", "a");
	h_call_error_is(c, "ERR Invalid number of arguments specified for command", "COMMAND",
			"GETKEYS", "GET", "a", "b");
	h_call_error_is(c, "ERR The command has no key arguments", "COMMAND", "GETKEYS", "PING",
			"x");
	h_call_error_is(c, "ERR wrong number of arguments for 'command|getkeys' command", "COMMAND",
			"GETKEYS", "GET");
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* The value after key in a RESP2 map given as a flat array, or NULL. */
static const struct resp_reply *map_get(const struct resp_reply *m, const char *key)
{
	for (size_t i = 0; i + 1 < m->elements; i += 2)
		if (m->element[i]->type == RESP_BULK && strcmp(m->element[i]->str, key) == 0)
			return m->element[i + 1];
	return NULL;
}

START_TEST(test_command_docs_describe_arguments)
{
	struct h_daemon *d = h_daemon_start(NULL);
	struct h_client *c = h_connect(d);
	const struct resp_reply *doc, *args, *a;
	struct resp_reply *r = h_call(c, "COMMAND", "DOCS", "SET", "nosuch", "lock.acquire");
	char header[32], got[32];

	/* Unknown names are left out: two pairs. */
	ck_assert_uint_eq(r->elements, 4);
	ck_assert_str_eq(r->element[0]->str, "set");
	doc = r->element[1];
	ck_assert_str_eq(map_get(doc, "group")->str, "string");
	ck_assert_str_eq(map_get(doc, "complexity")->str, "O(1)");
	args = map_get(doc, "arguments");
	ck_assert_uint_eq(args->elements, 5);
	ck_assert_str_eq(map_get(args->element[0], "type")->str, "key");
	ck_assert_int_eq(map_get(args->element[0], "key_spec_index")->integer, 0);
	a = args->element[4]; /* expiration: a oneof of EX/PX/EXAT/PXAT/KEEPTTL */
	ck_assert_str_eq(map_get(a, "name")->str, "expiration");
	ck_assert_str_eq(map_get(a, "type")->str, "oneof");
	ck_assert_str_eq(map_get(a, "flags")->element[0]->str, "optional");
	ck_assert_uint_eq(map_get(a, "arguments")->elements, 5);
	ck_assert_str_eq(map_get(map_get(a, "arguments")->element[0], "token")->str, "EX");
	ck_assert_str_eq(map_get(map_get(a, "arguments")->element[4], "type")->str, "pure-token");
	ck_assert_str_eq(r->element[2]->str, "lock.acquire");
	ck_assert_str_eq(map_get(r->element[3], "group")->str, "lock");
	resp_reply_free(r);
	/* Containers carry their subcommands' docs. (slowlog's are shallow
	 * enough for the harness's reader, whose nesting limit is 7.) */
	r = h_call(c, "COMMAND", "DOCS", "slowlog");
	ck_assert_uint_eq(map_get(r->element[1], "subcommands")->elements, 8);
	resp_reply_free(r);
	/* No names: a pair for every command of the table. Only the header is
	 * read: the whole reply nests deeper than the reader takes. */
	snprintf(header, sizeof header, "*%lld\r\n", 2 * h_call_ll(c, "COMMAND", "COUNT"));
	h_cmd(c, "COMMAND", "DOCS");
	h_read_exact(c, got, strlen(header));
	got[strlen(header)] = '\0';
	ck_assert_str_eq(got, header);
	h_close(c);
	h_daemon_finish(d);
}
END_TEST

/* Every command of the table has docs. Keyed by name, so on a branch where
 * the docs name commands another branch adds, only missing docs fail. */
START_TEST(test_every_command_has_docs)
{
	const struct command *cmd;

	for (size_t i = 0; (cmd = command_at(i)) != NULL; i++)
		ck_assert_msg(command_docs_find(cmd->name, strlen(cmd->name)) != NULL,
			      "no COMMAND DOCS entry for '%s' (daemon/command_docs.c)", cmd->name);
}
END_TEST

/* Runs redis-cli on d's socket in a pseudo-terminal, types text and
 * returns what it drew (new), or NULL when redis-cli is not installed. */
static char *redis_cli_screen(const struct h_daemon *d, const char *text)
{
	struct winsize ws = {.ws_row = 40, .ws_col = 200};
	char *out = calloc(1, 65536);
	size_t len = 0;
	int fd, status;
	pid_t pid;
	int64_t end;

	ck_assert_ptr_nonnull(out);
	if (access("/usr/bin/redis-cli", X_OK) != 0) {
		free(out);
		return NULL;
	}
	pid = forkpty(&fd, NULL, NULL, &ws);
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv("TERM", "xterm", 1);
		execl("/usr/bin/redis-cli", "redis-cli", "-s", d->sock, (char *)NULL);
		_exit(127);
	}
	/* Type one key at a time once the prompt is up, as a person would. */
	end = h_now_ms() + 5000 * h_slow();
	for (size_t typed = 0; h_now_ms() < end;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, 50) > 0) {
			n = read(fd, out + len, 65535 - len);
			if (n <= 0)
				break;
			len += (size_t)n;
			out[len] = '\0';
		}
		if (strstr(out, "> ") && typed < strlen(text)) {
			ck_assert_int_eq(write(fd, text + typed, 1), 1);
			typed++;
		}
		if (typed == strlen(text) && strstr(out, "[DETACH]"))
			break;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(fd);
	return out;
}

START_TEST(test_redis_cli_hints_lock_acquire_from_command_docs)
{
	struct h_daemon *d = h_daemon_start(NULL);
	char *screen = redis_cli_screen(d, "LOCK.ACQUIRE ");

	if (screen) {
		/* redis-cli builds its hints from COMMAND DOCS at start: it has
		 * none of its own for LOCK.ACQUIRE. */
		ck_assert_msg(
		    strstr(screen, "key [PX ttl-ms] [WAIT timeout-ms] [TOKEN token] [DETACH]"),
		    "no hint on screen:\n%s", screen);
		free(screen);
	}
	h_daemon_finish(d);
}
END_TEST

/* ---- command_stats.c in-process: the histogram's precision, error codes --- */

/* The value of percentile "pNN=" in a latency line, or -1. */
static double percentile_of(const char *text, const char *p)
{
	char key[16];
	const char *at;

	snprintf(key, sizeof key, "%s=", p);
	at = strstr(text, key);
	return at ? atof(at + strlen(key)) : -1;
}

START_TEST(test_latency_percentiles_are_at_most_a_sixteenth_high)
{
	static const double pct[] = {50, 99, 99.9};
	struct resp_arg argv[2] = {{"GET", 3}, {"k", 1}};
	const struct command *get;
	struct resp_buf b;
	char *text;

	ck_assert_int_eq(command_init(), 0);
	get = command_lookup("get", 3);
	ck_assert_ptr_nonnull(get);
	/* 1..1000 us, and one outlier of an hour. */
	for (int us = 1; us <= 1000; us++)
		command_stats_record(get, 2, argv, us, command_stats_errors());
	command_stats_record(get, 2, argv, 3600LL * 1000000, command_stats_errors());
	resp_buf_init(&b);
	command_stats_info_latency(&b, pct, 3);
	ck_assert_int_eq(resp_buf_append(&b, "", 1), 0);
	text = b.data;
	ck_assert_ptr_nonnull(strstr(text, "latency_percentiles_usec_get:p50="));
	/* The true values are 501, 991 and 1000 us (ranks 501, 991, 1000 of 1001). */
	ck_assert(percentile_of(text, "p50") >= 501 &&
		  percentile_of(text, "p50") <= 501 * 17 / 16.0);
	ck_assert(percentile_of(text, "p99") >= 991 &&
		  percentile_of(text, "p99") <= 991 * 17 / 16.0);
	ck_assert(percentile_of(text, "p99.9") >= 1000 &&
		  percentile_of(text, "p99.9") <= 1000 * 17 / 16.0);
	resp_buf_free(&b);
	resp_buf_init(&b);
	command_stats_info_commands(&b);
	resp_buf_append(&b, "", 1);
	ck_assert_ptr_nonnull(strstr(b.data, "cmdstat_get:calls=1001,usec=3600500500,"));
	resp_buf_free(&b);
	command_stats_free();
	command_free();
}
END_TEST

START_TEST(test_error_codes_are_first_words_and_capped)
{
	struct resp_buf b;
	char msg[64];

	command_stats_error("WRONGTYPE Operation against a key", 33);
	command_stats_error("ERR syntax error", 16);
	/* No blank within 32 bytes: filed under ERR, as Redis does. */
	command_stats_error("NOSPACEANYWHEREINTHEFIRSTTHIRTYTWOBYTES", 39);
	for (int i = 0; i < COMMAND_STATS_ERRORS_MAX + 10; i++) {
		int n = snprintf(msg, sizeof msg, "E%d oops", i);

		command_stats_error(msg, (size_t)n);
	}
	resp_buf_init(&b);
	command_stats_info_errors(&b);
	resp_buf_append(&b, "", 1);
	ck_assert_ptr_nonnull(strstr(b.data, "errorstat_WRONGTYPE:count=1\r\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "errorstat_ERR:count=2\r\n"));
	/* 128 codes kept (WRONGTYPE, ERR and 126 more); the rest only in the total. */
	ck_assert_ptr_nonnull(strstr(b.data, "errorstat_E125:count=1\r\n"));
	ck_assert_ptr_null(strstr(b.data, "errorstat_E126:"));
	ck_assert_uint_eq(command_stats_errors(), 3 + COMMAND_STATS_ERRORS_MAX + 10);
	resp_buf_free(&b);
	command_stats_reset();
	ck_assert_uint_eq(command_stats_errors(), 0);
	resp_buf_init(&b);
	command_stats_info_errors(&b);
	ck_assert_uint_eq(b.len, 0);
	resp_buf_free(&b);
	command_stats_free();
}
END_TEST

Suite *info_suite(void)
{
	Suite *s = suite_create("info");
	TCase *tc;
	int timeout = 30 * h_slow();

	tc = tcase_create("info");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_info_default_all_everything_and_chosen_sections);
	tcase_add_test(tc, test_info_sections_have_the_fields_tools_read);
	tcase_add_test(tc, test_instantaneous_ops_per_sec_follows_the_load);
	tcase_add_test(tc, test_commandstats_count_calls_failed_and_rejected);
	tcase_add_test(tc, test_errorstats_count_every_error_by_its_first_word);
	tcase_add_test(tc, test_latencystats_give_three_percentiles_per_command);
	tcase_add_test(tc, test_config_resetstat_starts_the_counts_again);
	suite_add_tcase(s, tc);

	tc = tcase_create("stats");
	tcase_add_test(tc, test_latency_percentiles_are_at_most_a_sixteenth_high);
	tcase_add_test(tc, test_error_codes_are_first_words_and_capped);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_config_set_errors_match_redis);
	tcase_add_test(tc, test_config_set_is_all_or_nothing);
	tcase_add_test(tc, test_config_set_takes_effect_at_once);
	tcase_add_test(tc, test_config_help_lists_the_subcommands);
	tcase_add_test(tc, test_config_rewrite_without_a_file_is_an_error);
	tcase_add_test(tc, test_config_rewrite_keeps_comments_and_survives_a_restart);
	suite_add_tcase(s, tc);

	tc = tcase_create("command");
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test_command_count_list_and_info_shapes);
	tcase_add_test(tc, test_command_getkeys_and_flags);
	tcase_add_test(tc, test_command_docs_describe_arguments);
	tcase_add_test(tc, test_every_command_has_docs);
	tcase_add_test(tc, test_redis_cli_hints_lock_acquire_from_command_docs);
	suite_add_tcase(s, tc);
	return s;
}
