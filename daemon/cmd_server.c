/* cmd_server.c - connection and server commands: PING, ECHO, QUIT, SELECT,
 * DBSIZE, FLUSHDB, FLUSHALL, INFO, CLIENT, COMMAND, CONFIG GET and SHUTDOWN.
 * Replies follow Redis 7 so stock clients and tools work unchanged.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "client.h"
#include "client_info.h"
#include "cmd_args.h"
#include "keymatch.h"
#include "lock.h"
#include "pool.h"
#include "reply.h"
#include "server.h"
#include "store.h"
#include "waitq.h"

void cmd_ping(struct conn *c, int argc, struct resp_arg *argv)
{
	if (argc > 2)
		reply_error(c, "ERR wrong number of arguments for 'ping' command");
	else if (argc == 2)
		reply_bulk(c, argv[1].ptr, argv[1].len);
	else
		reply_raw(c, "+PONG\r\n", 7);
}

void cmd_echo(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	reply_bulk(c, argv[1].ptr, argv[1].len);
}

void cmd_quit(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	(void)argv;
	reply_ok(c);
	/* conn.c stops reading, flushes the +OK, then closes. */
	c->flags |= CONN_CLOSE_AFTER_REPLY;
}

void cmd_select(struct conn *c, int argc, struct resp_arg *argv)
{
	long long db;

	(void)argc;
	if (arg_ll(c, &argv[1], &db) != 0)
		return;
	if (db < 0 || db >= STORE_DBS) {
		reply_error(c, "ERR DB index is out of range");
		return;
	}
	c->db = (int)db;
	reply_ok(c);
}

void cmd_dbsize(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	(void)argv;
	reply_int(c, (long long)store_dbsize(server.store, c->db));
}

/* FLUSHDB/FLUSHALL [ASYNC|SYNC]: both run synchronously here. */
static int flush_mode_ok(struct conn *c, int argc, struct resp_arg *argv)
{
	if (argc == 1 || (argc == 2 && (arg_is(&argv[1], "async") || arg_is(&argv[1], "sync"))))
		return 0;
	reply_error(c, ERR_SYNTAX);
	return -1;
}

void cmd_flushdb(struct conn *c, int argc, struct resp_arg *argv)
{
	if (flush_mode_ok(c, argc, argv) != 0 || acl_check_flush(c, c->db) != 0)
		return;
	store_flushdb(server.store, c->db);
	reply_ok(c);
}

void cmd_flushall(struct conn *c, int argc, struct resp_arg *argv)
{
	if (flush_mode_ok(c, argc, argv) != 0 || acl_check_flush(c, -1) != 0)
		return;
	store_flushall(server.store);
	reply_ok(c);
}

/* ---- INFO --------------------------------------------------------------- */

static void info_add(struct resp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void info_add(struct resp_buf *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0)
		resp_buf_append(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static size_t rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}

static void human_bytes(char *buf, size_t n, size_t bytes)
{
	const char *units = "BKMGT";
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%zuB", bytes);
	else
		snprintf(buf, n, "%.2f%c", v, units[u]);
}

static void info_server(struct resp_buf *b)
{
	int64_t up = (clock_ms() - server.start_ms) / 1000;

	info_add(b, "# Server\r\nredis_version:%s\r\ncachify_version:%s\r\nredis_mode:standalone\r\n"
		    "multiplexing_api:libevent\r\nprocess_id:%d\r\nunix_socket:%s\r\n"
		    "uptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\nhz:%d\r\n"
		    "config_file:%s\r\n",
		 REDIS_COMPAT_VERSION, CACHIFY_VERSION, (int)getpid(), server.cfg.unixsocket,
		 (long long)up, (long long)(up / 86400), server.cfg.hz,
		 server.config_file ? server.config_file : "");
}

static void info_clients(struct resp_buf *b)
{
	size_t blocked = 0;
	const struct conn *c;

	LIST_FOREACH(c, &server.clients, link)
		blocked += (c->flags & CONN_BLOCKED) != 0;
	info_add(b, "# Clients\r\nconnected_clients:%zu\r\nmaxclients:%d\r\nblocked_clients:%zu\r\n",
		 server.nclients, server.cfg.maxclients, blocked);
}

static void info_memory(struct resp_buf *b)
{
	size_t used = store_used_memory(server.store), rss = rss_bytes();
	char h1[32], h2[32], h3[32];

	human_bytes(h1, sizeof h1, used);
	human_bytes(h2, sizeof h2, rss);
	human_bytes(h3, sizeof h3, server.cfg.maxmemory);
	info_add(b, "# Memory\r\nused_memory:%zu\r\nused_memory_human:%s\r\nused_memory_rss:%zu\r\n"
		    "used_memory_rss_human:%s\r\nmaxmemory:%zu\r\nmaxmemory_human:%s\r\n"
		    "maxmemory_policy:%s\r\n",
		 used, h1, rss, h2, server.cfg.maxmemory, h3,
		 config_maxmemory_policy_name(server.cfg.maxmemory_policy));
}

static void info_stats(struct resp_buf *b)
{
	const struct store_stats *st = store_stats(server.store);

	info_add(b, "# Stats\r\ntotal_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
		    "total_net_input_bytes:%llu\r\ntotal_net_output_bytes:%llu\r\n"
		    "rejected_connections:%llu\r\nrejected_peer_connections:%llu\r\n"
		    "total_error_replies_protocol:%llu\r\n"
		    "expired_keys:%llu\r\nevicted_keys:%llu\r\nkeyspace_hits:%llu\r\n"
		    "keyspace_misses:%llu\r\n",
		 (unsigned long long)server.stats.connections,
		 (unsigned long long)server.stats.commands,
		 (unsigned long long)server.stats.net_in, (unsigned long long)server.stats.net_out,
		 (unsigned long long)server.stats.rejected,
		 (unsigned long long)server.stats.rejected_peer,
		 (unsigned long long)server.stats.proto_errors, (unsigned long long)st->expired,
		 (unsigned long long)st->evicted, (unsigned long long)st->hits,
		 (unsigned long long)st->misses);
}

static void info_keyspace(struct resp_buf *b)
{
	info_add(b, "# Keyspace\r\n");
	for (int db = 0; db < STORE_DBS; db++) {
		size_t keys = store_dbsize(server.store, db);

		if (keys)
			info_add(b, "db%d:keys=%zu,expires=%zu,avg_ttl=0\r\n", db, keys,
				 store_expires(server.store, db));
	}
}

static void info_locks(struct resp_buf *b)
{
	const struct lock_stats *ls = lock_stats();
	const struct waitq_stats *ws = waitq_stats();

	info_add(b, "# Locks\r\nlocks_held:%zu\r\nwaiters:%zu\r\ngrants:%llu\r\nreleases:%llu\r\n"
		    "waits:%llu\r\ntimeouts:%llu\r\nwaiters_gone:%llu\r\nnotowner:%llu\r\n"
		    "session_releases:%llu\r\nexpired:%llu\r\nforced_releases:%llu\r\n",
		 lock_count(), waitq_waiting(), (unsigned long long)ls->grants,
		 (unsigned long long)ls->releases, (unsigned long long)ws->waits,
		 (unsigned long long)ws->timeouts, (unsigned long long)ws->gone,
		 (unsigned long long)ls->notowner, (unsigned long long)ls->session_releases,
		 (unsigned long long)ls->expired, (unsigned long long)ls->forced);
}

static void info_pools(struct resp_buf *b)
{
	const struct pool_stats *ps = pool_stats();

	info_add(b, "# Pools\r\npools:%zu\r\nslots_held:%zu\r\nslot_grants:%llu\r\n"
		    "slot_releases:%llu\r\nfull:%llu\r\nnotowner:%llu\r\n"
		    "session_releases:%llu\r\nslots_expired:%llu\r\nslots_forced:%llu\r\n",
		 pool_count(), pool_slot_count(), (unsigned long long)ps->grants,
		 (unsigned long long)ps->releases, (unsigned long long)ps->full,
		 (unsigned long long)ps->notowner, (unsigned long long)ps->session_releases,
		 (unsigned long long)ps->expired, (unsigned long long)ps->forced);
}

static const struct {
	const char *name;
	void (*fn)(struct resp_buf *b);
} info_sections[] = {
	{"server", info_server}, {"clients", info_clients}, {"memory", info_memory},
	{"stats", info_stats},	 {"locks", info_locks},	    {"pools", info_pools},
	{"keyspace", info_keyspace},
};

#define NSECTIONS (sizeof info_sections / sizeof info_sections[0])

/* INFO [section ...]: none, "default", "all" or "everything" give all. */
void cmd_info(struct conn *c, int argc, struct resp_arg *argv)
{
	bool want[NSECTIONS] = {false};
	struct resp_buf b;
	bool first = true;

	for (size_t s = 0; s < NSECTIONS; s++)
		want[s] = argc == 1;
	for (int i = 1; i < argc; i++) {
		bool all = arg_is(&argv[i], "all") || arg_is(&argv[i], "default") ||
			   arg_is(&argv[i], "everything");

		for (size_t s = 0; s < NSECTIONS; s++)
			want[s] |= all || arg_is(&argv[i], info_sections[s].name);
	}
	resp_buf_init(&b);
	for (size_t s = 0; s < NSECTIONS; s++) {
		if (!want[s])
			continue;
		if (!first)
			resp_buf_append(&b, "\r\n", 2);
		info_sections[s].fn(&b);
		first = false;
	}
	reply_bulk(c, b.data ? b.data : "", b.len);
	resp_buf_free(&b);
}

/* ---- CLIENT ------------------------------------------------------------- */

/* Names are shown in CLIENT LIST: printable ASCII without spaces, as Redis. */
static bool client_name_ok(const struct resp_arg *a)
{
	for (size_t i = 0; i < a->len; i++)
		if (a->ptr[i] < '!' || a->ptr[i] > '~')
			return false;
	return true;
}

void cmd_client(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct resp_arg *sub = &argv[1];
	int64_t now = clock_ms();
	const struct conn *x;

	if (arg_is(sub, "id") && argc == 2) {
		reply_int(c, (long long)c->id);
	} else if (arg_is(sub, "getname") && argc == 2) {
		if (c->name)
			reply_bulk_cstr(c, c->name);
		else
			reply_nil(c);
	} else if (arg_is(sub, "setname") && argc == 3) {
		char *name = NULL;

		if (argv[2].len > CONN_NAME_MAX) {
			reply_errorf(c, "ERR Client names are limited to %d bytes", CONN_NAME_MAX);
			return;
		}
		if (!client_name_ok(&argv[2])) {
			reply_error(c, "ERR Client names cannot contain spaces, newlines or special "
				       "characters.");
			return;
		}
		if (argv[2].len > 0 && !(name = strndup(argv[2].ptr, argv[2].len))) {
			reply_error(c, ERR_OOM);
			return;
		}
		free(c->name);
		c->name = name;
		reply_ok(c);
	} else if ((arg_is(sub, "list") && argc == 2) || (arg_is(sub, "info") && argc == 2)) {
		struct resp_buf b;

		resp_buf_init(&b);
		if (arg_is(sub, "info"))
			client_info_describe(&b, c, now);
		else
			LIST_FOREACH(x, &server.clients, link)
				client_info_describe(&b, x, now);
		reply_bulk(c, b.data ? b.data : "", b.len);
		resp_buf_free(&b);
	} else if (arg_is(sub, "setinfo") && argc == 4) {
		/* Sent by newer client libraries on connect; accepted, not kept. */
		reply_ok(c);
	} else {
		reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. "
				"Try CLIENT HELP.",
			     (int)(sub->len > 64 ? 64 : sub->len), sub->ptr);
	}
}

/* ---- COMMAND ------------------------------------------------------------ */

/* The command's ACL categories as Redis 7 shows them: "+@write" and so on. */
static void command_reply_categories(struct conn *c, const struct command *cmd)
{
	unsigned cats = command_categories(cmd);
	const struct cmd_category_name *cat;
	size_t n = 0;

	for (size_t i = 0; (cat = command_category_at(i)) != NULL; i++)
		n += (cats & cat->bit) != 0;
	reply_array(c, n);
	for (size_t i = 0; (cat = command_category_at(i)) != NULL; i++) {
		char name[32];

		if (cats & cat->bit) {
			snprintf(name, sizeof name, "@%s", cat->name);
			reply_simple(c, name);
		}
	}
}

static void command_reply_info(struct conn *c, const struct command *cmd)
{
	const char *flags[8];
	size_t nflags = command_flag_names(cmd->flags, flags, 8);

	/* Redis 7's ten fields: name, arity, flags, first key, last key, step,
	 * ACL categories, tips, key specs, subcommands. */
	reply_array(c, 10);
	reply_bulk_cstr(c, cmd->name);
	reply_int(c, cmd->arity);
	reply_array(c, nflags);
	for (size_t i = 0; i < nflags; i++)
		reply_simple(c, flags[i]);
	reply_int(c, cmd->first_key);
	reply_int(c, cmd->last_key);
	reply_int(c, cmd->key_step);
	command_reply_categories(c, cmd);
	reply_array(c, 0);
	reply_array(c, 0);
	reply_array(c, 0);
}

void cmd_command(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct command *cmd;
	size_t n = 0;

	while (command_at(n))
		n++;
	if (argc == 1) {
		reply_array(c, n);
		for (size_t i = 0; i < n; i++)
			command_reply_info(c, command_at(i));
	} else if (arg_is(&argv[1], "count") && argc == 2) {
		reply_int(c, (long long)n);
	} else if (arg_is(&argv[1], "list") && argc == 2) {
		reply_array(c, n);
		for (size_t i = 0; i < n; i++)
			reply_bulk_cstr(c, command_at(i)->name);
	} else if (arg_is(&argv[1], "info")) {
		reply_array(c, (size_t)argc - 2);
		for (int i = 2; i < argc; i++) {
			cmd = command_lookup(argv[i].ptr, argv[i].len);
			if (cmd)
				command_reply_info(c, cmd);
			else
				reply_raw(c, "*-1\r\n", 5);
		}
	} else if (arg_is(&argv[1], "docs")) {
		/* No documentation maps: redis-cli falls back to its own hints. */
		reply_array(c, 0);
	} else {
		reply_errorf(c, "ERR unknown subcommand '%.*s'. Try COMMAND HELP.",
			     (int)(argv[1].len > 64 ? 64 : argv[1].len), argv[1].ptr);
	}
}

/* ---- CONFIG ------------------------------------------------------------- */

struct config_reply {
	struct resp_buf b;
	size_t n;
	const char **seen; /* names already answered: patterns may overlap */
	size_t nseen, cap;
	size_t nprev;	   /* of them, those answered by earlier patterns (a rule
			    * directive answers once per rule) */
};

static void config_collect_cb(void *ctx, const char *name, const char *value)
{
	struct config_reply *r = ctx;

	for (size_t i = 0; i < r->nprev; i++)
		if (strcmp(r->seen[i], name) == 0)
			return;
	if (r->nseen == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		const char **p = realloc(r->seen, cap * sizeof *p);

		if (!p)
			return;
		r->seen = p;
		r->cap = cap;
	}
	r->seen[r->nseen++] = name;
	resp_add_bulk_cstr(&r->b, name);
	resp_add_bulk_cstr(&r->b, value);
	r->n += 2;
}

static const char *const no_persistence[][2] = {{"save", ""}, {"appendonly", "no"}};

void cmd_config(struct conn *c, int argc, struct resp_arg *argv)
{
	struct config_reply r = {0};

	if (!arg_is(&argv[1], "get")) {
		reply_errorf(c, "ERR CONFIG %.*s is not supported: the configuration is read-only at "
				"run time (edit cachifyd.conf and send SIGHUP)",
			     (int)(argv[1].len > 32 ? 32 : argv[1].len), argv[1].ptr);
		return;
	}
	if (argc < 3) {
		reply_error(c, "ERR wrong number of arguments for 'config|get' command");
		return;
	}
	resp_buf_init(&r.b);
	for (int i = 2; i < argc; i++) {
		char pat[256];
		size_t n = argv[i].len < sizeof pat - 1 ? argv[i].len : sizeof pat - 1;

		memcpy(pat, argv[i].ptr, n);
		pat[n] = '\0';
		r.nprev = r.nseen;
		config_get(&server.cfg, pat, config_collect_cb, &r);
		/* Persistence settings redis-benchmark and others ask about:
		 * cachifyd keeps nothing on disk. */
		for (size_t k = 0; k < sizeof no_persistence / sizeof no_persistence[0]; k++)
			if (keymatch_matches(pat, n, no_persistence[k][0], strlen(no_persistence[k][0]),
				       true))
				config_collect_cb(&r, no_persistence[k][0], no_persistence[k][1]);
	}
	reply_array(c, r.n);
	reply_raw(c, r.b.data ? r.b.data : "", r.b.len);
	resp_buf_free(&r.b);
	free(r.seen);
}

/* SHUTDOWN [NOSAVE|SAVE]: the graceful stop of SIGTERM (there is nothing
 * to save, so both words mean the same). As in Redis, success has no
 * reply: the caller sees its connection close once its earlier replies
 * are flushed. */
void cmd_shutdown(struct conn *c, int argc, struct resp_arg *argv)
{
	char why[64];

	if (argc > 2 || (argc == 2 && !arg_is(&argv[1], "nosave") && !arg_is(&argv[1], "save"))) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	snprintf(why, sizeof why, "SHUTDOWN from client %llu (uid %u)", (unsigned long long)c->id,
		 (unsigned)c->uid);
	server_shutdown(why);
}
