/* cmd_server.c - connection and server commands: PING, ECHO, QUIT, SELECT,
 * DBSIZE, FLUSHDB, FLUSHALL, INFO and SHUTDOWN (CLIENT is in cmd_conn.c,
 * COMMAND in cmd_command.c, CONFIG in cmd_config.c).
 * Replies follow Redis 7 so stock clients and tools work unchanged.
 */
#include <event2/event.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "acl.h"
#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "client.h"
#include "cmd_args.h"
#include "command_stats.h"
#include "lock.h"
#include "persist.h"
#include "pool.h"
#include "pubsub.h"
#include "random.h"
#include "script.h"
#include "reply.h"
#include "server.h"
#include "store.h"
#include "block.h"
#include "waitq.h"

void cmd_ping(struct conn *c, int argc, struct resp_arg *argv)
{
	if (argc > 2) {
		reply_error(c, "ERR wrong number of arguments for 'ping' command");
	} else if (pubsub_is_subscribed(c)) {
		/* A subscriber's replies are pushes: *2 [pong, arg or ""], as Redis. */
		reply_array(c, 2);
		reply_bulk(c, "pong", 4);
		reply_bulk(c, argc == 2 ? argv[1].ptr : "", argc == 2 ? argv[1].len : 0);
	} else if (argc == 2) {
		reply_bulk(c, argv[1].ptr, argv[1].len);
	} else {
		reply_raw(c, "+PONG\r\n", 7);
	}
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
	persist_after_flushall();
	reply_ok(c);
}

/* ---- INFO --------------------------------------------------------------- */

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
	static char run_id[41];
	int64_t up = (clock_ms() - server.start_ms) / 1000;
	char exe[PATH_MAX] = "";
	struct utsname un;
	ssize_t n;

	/* Redis's run_id: random, fixed for the life of the process. */
	if (!run_id[0])
		random_hex(run_id, 20);
	if (uname(&un) != 0)
		memset(&un, 0, sizeof un);
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = '\0';
	resp_buf_printf(b, "# Server\r\nredis_version:%s\r\ncachify_version:%s\r\nredis_mode:standalone\r\n"
		    "os:%s %s %s\r\narch_bits:%d\r\nmonotonic_clock:POSIX clock_gettime\r\n"
		    "multiplexing_api:%s\r\nprocess_id:%d\r\nrun_id:%s\r\ntcp_port:0\r\n"
		    "unix_socket:%s\r\nserver_time_usec:%lld\r\nuptime_in_seconds:%lld\r\n"
		    "uptime_in_days:%lld\r\nhz:%d\r\nconfigured_hz:%d\r\n",
		 REDIS_COMPAT_VERSION, CACHIFY_VERSION, un.sysname, un.release, un.machine,
		 (int)(sizeof(void *) * 8), event_base_get_method(server.base), (int)getpid(),
		 run_id, server.cfg.unixsocket, (long long)clock_wall_ms() * 1000, (long long)up,
		 (long long)(up / 86400), server.cfg.hz, server.cfg.hz);
	resp_buf_printf(b, "executable:%s\r\n", exe);
	resp_buf_printf(b, "config_file:%s\r\n", server.config_file ? server.config_file : "");
}

static void info_clients(struct resp_buf *b)
{
	size_t blocked = 0;
	const struct conn *c;

	LIST_FOREACH(c, &server.clients, link)
		blocked += (c->flags & CONN_BLOCKED) != 0;
	resp_buf_printf(b, "# Clients\r\nconnected_clients:%zu\r\ncluster_connections:0\r\nmaxclients:%d\r\n"
		    "blocked_clients:%zu\r\ntracking_clients:0\r\n"
		    "total_blocking_keys:%zu\r\n",
		 server.nclients, server.cfg.maxclients, blocked, block_keys());
}

static void info_memory(struct resp_buf *b)
{
	size_t used = store_used_memory(server.store), rss = rss_bytes();
	size_t total = (size_t)sysconf(_SC_PHYS_PAGES) * (size_t)sysconf(_SC_PAGESIZE);
	char h1[32], h2[32], h3[32], h4[32], h5[32], h6[32], h7[32];

	if (used > server.stats.used_memory_peak)
		server.stats.used_memory_peak = used;
	human_bytes(h1, sizeof h1, used);
	human_bytes(h2, sizeof h2, rss);
	human_bytes(h3, sizeof h3, server.stats.used_memory_peak);
	human_bytes(h4, sizeof h4, total);
	human_bytes(h5, sizeof h5, server.cfg.maxmemory);
	resp_buf_printf(b, "# Memory\r\nused_memory:%zu\r\nused_memory_human:%s\r\nused_memory_rss:%zu\r\n"
		    "used_memory_rss_human:%s\r\nused_memory_peak:%zu\r\nused_memory_peak_human:%s\r\n"
		    "used_memory_peak_perc:%.2f%%\r\ntotal_system_memory:%zu\r\n"
		    "total_system_memory_human:%s\r\n",
		 used, h1, rss, h2, server.stats.used_memory_peak, h3,
		 server.stats.used_memory_peak ? 100.0 * (double)used /
							 (double)server.stats.used_memory_peak
					       : 0.0,
		 total, h4);
	/* Scripting's lines, where Redis 7.0 puts them (no functions here). */
	human_bytes(h6, sizeof h6, script_memory_lua());
	human_bytes(h7, sizeof h7, script_memory_bodies());
	resp_buf_printf(b, "used_memory_lua:%zu\r\nused_memory_vm_eval:%zu\r\nused_memory_lua_human:%s\r\n"
		    "used_memory_scripts_eval:%zu\r\nnumber_of_cached_scripts:%zu\r\n"
		    "used_memory_scripts:%zu\r\nused_memory_scripts_human:%s\r\n",
		 script_memory_lua(), script_memory_lua(), h6, script_memory_bodies(), script_count(),
		 script_memory_bodies(), h7);
	resp_buf_printf(b, "maxmemory:%zu\r\nmaxmemory_human:%s\r\nmaxmemory_policy:%s\r\n"
		    "mem_fragmentation_ratio:%.2f\r\nmem_allocator:libc\r\n",
		 server.cfg.maxmemory, h5, config_maxmemory_policy_name(server.cfg.maxmemory_policy),
		 used ? (double)rss / (double)used : 0.0);
}

static void info_stats(struct resp_buf *b)
{
	const struct store_stats *st = store_stats(server.store);

	resp_buf_printf(b, "# Stats\r\ntotal_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
		    "instantaneous_ops_per_sec:%llu\r\ntotal_net_input_bytes:%llu\r\n"
		    "total_net_output_bytes:%llu\r\nrejected_connections:%llu\r\n"
		    "rejected_peer_connections:%llu\r\n",
		 (unsigned long long)server.stats.connections,
		 (unsigned long long)server.stats.commands,
		 (unsigned long long)command_stats_ops_per_sec(),
		 (unsigned long long)server.stats.net_in, (unsigned long long)server.stats.net_out,
		 (unsigned long long)server.stats.rejected,
		 (unsigned long long)server.stats.rejected_peer);
	resp_buf_printf(b, "expired_keys:%llu\r\nevicted_keys:%llu\r\nkeyspace_hits:%llu\r\n"
		    "keyspace_misses:%llu\r\npubsub_channels:0\r\npubsub_patterns:0\r\n"
		    "total_error_replies:%llu\r\ntotal_error_replies_protocol:%llu\r\n",
		 (unsigned long long)st->expired, (unsigned long long)st->evicted,
		 (unsigned long long)st->hits, (unsigned long long)st->misses,
		 (unsigned long long)command_stats_errors(),
		 (unsigned long long)server.stats.proto_errors);
}

/* No replicas: a primary on its own, as tools that read role expect. */
static void info_replication(struct resp_buf *b)
{
	resp_buf_printf(b, "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n");
}

static void info_cpu(struct resp_buf *b)
{
	struct rusage self = {0}, children = {0}, thread = {0};

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	getrusage(RUSAGE_THREAD, &thread);
	resp_buf_printf(b, "# CPU\r\nused_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\n"
		    "used_cpu_sys_children:%ld.%06ld\r\nused_cpu_user_children:%ld.%06ld\r\n"
		    "used_cpu_sys_main_thread:%ld.%06ld\r\nused_cpu_user_main_thread:%ld.%06ld\r\n",
		 (long)self.ru_stime.tv_sec, (long)self.ru_stime.tv_usec,
		 (long)self.ru_utime.tv_sec, (long)self.ru_utime.tv_usec,
		 (long)children.ru_stime.tv_sec, (long)children.ru_stime.tv_usec,
		 (long)children.ru_utime.tv_sec, (long)children.ru_utime.tv_usec,
		 (long)thread.ru_stime.tv_sec, (long)thread.ru_stime.tv_usec,
		 (long)thread.ru_utime.tv_sec, (long)thread.ru_utime.tv_usec);
}

static void info_commandstats(struct resp_buf *b)
{
	resp_buf_printf(b, "# Commandstats\r\n");
	command_stats_info_commands(b);
}

static void info_errorstats(struct resp_buf *b)
{
	resp_buf_printf(b, "# Errorstats\r\n");
	command_stats_info_errors(b);
}

static void info_latencystats(struct resp_buf *b)
{
	/* Redis's default latency-tracking-info-percentiles. */
	static const double pct[] = {50, 99, 99.9};

	resp_buf_printf(b, "# Latencystats\r\n");
	command_stats_info_latency(b, pct, (int)(sizeof pct / sizeof pct[0]));
}

static void info_keyspace(struct resp_buf *b)
{
	resp_buf_printf(b, "# Keyspace\r\n");
	for (int db = 0; db < STORE_DBS; db++) {
		size_t keys = store_dbsize(server.store, db);

		if (keys)
			resp_buf_printf(b, "db%d:keys=%zu,expires=%zu,avg_ttl=0\r\n", db, keys,
				 store_expires(server.store, db));
	}
}

static void info_locks(struct resp_buf *b)
{
	const struct lock_stats *ls = lock_stats();
	const struct waitq_stats *ws = waitq_stats();

	resp_buf_printf(b, "# Locks\r\nlocks_held:%zu\r\nwaiters:%zu\r\ngrants:%llu\r\nreleases:%llu\r\n"
		    "waits:%llu\r\ntimeouts:%llu\r\nwaiters_gone:%llu\r\nnotowner:%llu\r\n"
		    "session_releases:%llu\r\nexpired:%llu\r\nforced_releases:%llu\r\n"
		    "readers_held:%zu\r\n",
		 lock_count(), waitq_waiting(), (unsigned long long)ls->grants,
		 (unsigned long long)ls->releases, (unsigned long long)ws->waits,
		 (unsigned long long)ws->timeouts, (unsigned long long)ws->gone,
		 (unsigned long long)ls->notowner, (unsigned long long)ls->session_releases,
		 (unsigned long long)ls->expired, (unsigned long long)ls->forced,
		 lock_reader_count());
}

static void info_pools(struct resp_buf *b)
{
	const struct pool_stats *ps = pool_stats();

	resp_buf_printf(b, "# Pools\r\npools:%zu\r\nslots_held:%zu\r\nslot_grants:%llu\r\n"
		    "slot_releases:%llu\r\nfull:%llu\r\nnotowner:%llu\r\n"
		    "session_releases:%llu\r\nslots_expired:%llu\r\nslots_forced:%llu\r\n",
		 pool_count(), pool_slot_count(), (unsigned long long)ps->grants,
		 (unsigned long long)ps->releases, (unsigned long long)ps->full,
		 (unsigned long long)ps->notowner, (unsigned long long)ps->session_releases,
		 (unsigned long long)ps->expired, (unsigned long long)ps->forced);
}

/* Redis's order; "default" leaves out the per-command sections, as Redis does. */
static const struct {
	const char *name;
	void (*fn)(struct resp_buf *b);
	bool in_default;
} info_sections[] = {
	{"server", info_server, true},
	{"clients", info_clients, true},
	{"memory", info_memory, true},
	{"persistence", persist_info, true},
	{"stats", info_stats, true},
	{"replication", info_replication, true},
	{"cpu", info_cpu, true},
	{"commandstats", info_commandstats, false},
	{"errorstats", info_errorstats, true},
	{"latencystats", info_latencystats, false},
	{"locks", info_locks, true},
	{"pools", info_pools, true},
	{"keyspace", info_keyspace, true},
};

#define NSECTIONS (sizeof info_sections / sizeof info_sections[0])

/* INFO [section ...]: none or "default" give the default sections, "all"
 * and "everything" all of them; unknown names add nothing. */
void cmd_info(struct conn *c, int argc, struct resp_arg *argv)
{
	bool want[NSECTIONS] = {false};
	struct resp_buf b;
	bool first = true;

	for (size_t s = 0; s < NSECTIONS; s++)
		want[s] = argc == 1 && info_sections[s].in_default;
	for (int i = 1; i < argc; i++) {
		bool all = arg_is(&argv[i], "all") || arg_is(&argv[i], "everything");
		bool def = arg_is(&argv[i], "default");

		for (size_t s = 0; s < NSECTIONS; s++)
			want[s] |= all || (def && info_sections[s].in_default) ||
				   arg_is(&argv[i], info_sections[s].name);
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

/* SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], as Redis 7: SAVE writes a
 * final snapshot even without save rules, NOSAVE none even with them; a
 * failed one answers an error and the server stays up, unless FORCE. NOW
 * changes nothing (there are no replicas to wait for), and no shutdown
 * ever waits, so ABORT finds none. As in Redis, success has no reply: the
 * caller sees its connection close once its earlier replies are flushed. */
void cmd_shutdown(struct conn *c, int argc, struct resp_arg *argv)
{
	bool save = false, nosave = false, force = false, abort_ = false, now = false, bad = false;
	char why[64];

	for (int i = 1; i < argc; i++) {
		if (arg_is(&argv[i], "nosave"))
			nosave = true;
		else if (arg_is(&argv[i], "save"))
			save = true;
		else if (arg_is(&argv[i], "now"))
			now = true;
		else if (arg_is(&argv[i], "force"))
			force = true;
		else if (arg_is(&argv[i], "abort"))
			abort_ = true;
		else
			bad = true;
	}
	if (bad || (abort_ && (save || nosave || force || now)) || (save && nosave)) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	if (abort_) {
		reply_error(c, "ERR No shutdown in progress.");
		return;
	}
	if (persist_before_stop(save, nosave, force) != 0) {
		reply_error(c, "ERR Errors trying to SHUTDOWN. Check logs.");
		return;
	}
	snprintf(why, sizeof why, "SHUTDOWN from client %llu (uid %u)", (unsigned long long)c->id,
		 (unsigned)c->uid);
	server_shutdown(why);
}
