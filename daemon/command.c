/* command.c - the command table: every command's name, arity, flags, key
 * positions, ACL categories and handler, and the case-insensitive lookup.
 * Data for dispatch.c (which routes), acl.c (which checks) and COMMAND/ACL
 * CAT (which describe); it runs nothing.
 */
#include "command.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* uthash must not exit() on OOM: report it and let command_init fail. */
static int add_failed;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (add_failed = 1)
#include <uthash.h>

#include "cmd.h"

#define CMD_NAME_MAX 32 /* bytes; longer names cannot be commands */

#define W  (CMD_WRITE | CMD_DENYOOM)
#define R  CMD_READONLY
#define F  CMD_FAST
#define NA CMD_NOAUTH

/* Categories a row names (see enum cmd_category for those flags imply). */
#define KS   CAT_KEYSPACE
#define STR  CAT_STRING
#define CONN CAT_CONNECTION
#define DANG CAT_DANGEROUS
#define ZS   CAT_SORTEDSET

static const struct command table[] = {
	/* ---- connection (cmd_server.c) ---- */
	{"ping", -1, F | NA, cmd_ping, 0, 0, 0, CONN},
	{"echo", 2, F, cmd_echo, 0, 0, 0, CONN},
	{"quit", -1, F | NA | CMD_NOSCRIPT, cmd_quit, 0, 0, 0, CONN},
	{"select", 2, F, cmd_select, 0, 0, 0, CONN},
	/* (cmd_conn.c) */
	{"hello", -1, F | NA | CMD_NOSCRIPT, cmd_hello, 0, 0, 0, CONN},
	{"reset", 1, F | NA | CMD_NOSCRIPT, cmd_reset, 0, 0, 0, CONN},
	{"time", 1, F, cmd_time, 0, 0, 0, 0},
	/* Admin, as in Redis: they show every client's commands and arguments. */
	{"monitor", 1, CMD_ADMIN | CMD_NOSCRIPT, cmd_monitor, 0, 0, 0, CAT_ADMIN | DANG},
	{"slowlog", -2, CMD_ADMIN, cmd_slowlog, 0, 0, 0, CAT_ADMIN | DANG},
	{"latency", -2, CMD_ADMIN | CMD_NOSCRIPT, cmd_latency, 0, 0, 0, CAT_ADMIN | DANG},

	/* ---- server and introspection (cmd_server.c) ---- */
	{"dbsize", 1, R | F, cmd_dbsize, 0, 0, 0, KS},
	/* Admin-only like FLUSHALL: SELECT n + FLUSHDB over every database
	 * would otherwise be a FLUSHALL for anyone. */
	{"flushdb", -1, CMD_WRITE | CMD_ADMIN, cmd_flushdb, 0, 0, 0, KS | DANG},
	{"flushall", -1, CMD_WRITE | CMD_ADMIN, cmd_flushall, 0, 0, 0, KS | DANG},
	{"info", -1, 0, cmd_info, 0, 0, 0, DANG},
	{"client", -2, CMD_NOSCRIPT, cmd_client, 0, 0, 0, 0},
	{"command", -1, 0, cmd_command, 0, 0, 0, CONN},
	{"config", -2, CMD_ADMIN | CMD_NOSCRIPT, cmd_config, 0, 0, 0, CAT_ADMIN | DANG},
	{"shutdown", -1, CMD_ADMIN | CMD_NO_MULTI | CMD_NOSCRIPT, cmd_shutdown, 0, 0, 0, CAT_ADMIN | DANG},
	/* (cmd_persist.c) Admin, as in Redis: a save stalls or forks the server. */
	{"save", 1, CMD_ADMIN | CMD_NO_MULTI | CMD_NOSCRIPT, cmd_save, 0, 0, 0, CAT_ADMIN | DANG},
	{"bgsave", -1, CMD_ADMIN | CMD_NOSCRIPT, cmd_bgsave, 0, 0, 0, CAT_ADMIN | DANG},
	{"lastsave", 1, F, cmd_lastsave, 0, 0, 0, CAT_ADMIN | DANG},
	/* Its LIST, DRYRUN and LOG are admin-only: acl.c checks subcommands. */
	{"acl", -2, CMD_NOSCRIPT, cmd_acl, 0, 0, 0, 0},

	/* ---- keyspace (cmd_keys.c) ---- */
	{"del", -2, CMD_WRITE, cmd_del, 1, -1, 1, KS},
	{"exists", -2, R | F, cmd_exists, 1, -1, 1, KS},
	{"type", 2, R | F, cmd_type, 1, 1, 1, KS},
	{"expire", -3, CMD_WRITE | F, cmd_expire, 1, 1, 1, KS},
	{"pexpire", -3, CMD_WRITE | F, cmd_pexpire, 1, 1, 1, KS},
	{"ttl", 2, R | F, cmd_ttl, 1, 1, 1, KS},
	{"pttl", 2, R | F, cmd_pttl, 1, 1, 1, KS},
	{"persist", 2, CMD_WRITE | F, cmd_persist, 1, 1, 1, KS},
	{"scan", -2, R, cmd_scan, 0, 0, 0, KS},
	{"unlink", -2, CMD_WRITE | F, cmd_del, 1, -1, 1, KS},
	{"touch", -2, R | F, cmd_touch, 1, -1, 1, KS},
	{"expireat", -3, CMD_WRITE | F, cmd_expireat, 1, 1, 1, KS},
	{"pexpireat", -3, CMD_WRITE | F, cmd_pexpireat, 1, 1, 1, KS},
	{"expiretime", 2, R | F, cmd_expiretime, 1, 1, 1, KS},
	{"pexpiretime", 2, R | F, cmd_pexpiretime, 1, 1, 1, KS},
	{"keys", 2, R, cmd_keys, 0, 0, 0, KS | DANG},
	{"randomkey", 1, R, cmd_randomkey, 0, 0, 0, KS},
	{"rename", 3, CMD_WRITE, cmd_rename, 1, 2, 1, KS},
	{"renamenx", 3, CMD_WRITE | F, cmd_renamenx, 1, 2, 1, KS},
	{"move", 3, CMD_WRITE | F, cmd_move, 1, 1, 1, KS},
	{"copy", -3, W, cmd_copy, 1, 2, 1, KS},
	{"swapdb", 3, CMD_WRITE | F, cmd_swapdb, 0, 0, 0, KS | DANG},
	/* Subcommands ENCODING, FREQ, IDLETIME, REFCOUNT (key at 2), HELP (cmd_object.c). */
	{"object", -2, R, cmd_object, 2, 2, 1, KS},

	/* ---- strings (cmd_string.c) ---- */
	{"get", 2, R | F, cmd_get, 1, 1, 1, STR},
	{"set", -3, W, cmd_set, 1, 1, 1, STR},
	{"mget", -2, R | F, cmd_mget, 1, -1, 1, STR},
	{"mset", -3, W, cmd_mset, 1, -1, 2, STR},
	{"incr", 2, W | F, cmd_incr, 1, 1, 1, STR},
	{"incrby", 3, W | F, cmd_incrby, 1, 1, 1, STR},
	{"decr", 2, W | F, cmd_decr, 1, 1, 1, STR},
	{"decrby", 3, W | F, cmd_decrby, 1, 1, 1, STR},
	{"incrbyfloat", 3, W | F, cmd_incrbyfloat, 1, 1, 1, STR},
	{"setnx", 3, W | F, cmd_setnx, 1, 1, 1, STR},
	{"setex", 4, W, cmd_setex, 1, 1, 1, STR},
	{"psetex", 4, W, cmd_psetex, 1, 1, 1, STR},
	{"getset", 3, W | F, cmd_getset, 1, 1, 1, STR},
	{"getdel", 2, CMD_WRITE | F, cmd_getdel, 1, 1, 1, STR},
	{"getex", -2, CMD_WRITE | F, cmd_getex, 1, 1, 1, STR},
	{"msetnx", -3, W, cmd_msetnx, 1, -1, 2, STR},
	{"append", 3, W | F, cmd_append, 1, 1, 1, STR},
	{"setrange", 4, W, cmd_setrange, 1, 1, 1, STR},
	{"getrange", 4, R, cmd_getrange, 1, 1, 1, STR},
	{"substr", 4, R, cmd_getrange, 1, 1, 1, STR},
	{"strlen", 2, R | F, cmd_strlen, 1, 1, 1, STR},
	{"lcs", -3, R, cmd_lcs, 1, 2, 1, STR},

	/* ---- hashes (cmd_hash.c) ---- */
	{"hset", -4, W | F, cmd_hset, 1, 1, 1, CAT_HASH},
	{"hsetnx", 4, W | F, cmd_hsetnx, 1, 1, 1, CAT_HASH},
	{"hget", 3, R | F, cmd_hget, 1, 1, 1, CAT_HASH},
	{"hmget", -3, R | F, cmd_hmget, 1, 1, 1, CAT_HASH},
	{"hmset", -4, W | F, cmd_hmset, 1, 1, 1, CAT_HASH},
	{"hdel", -3, CMD_WRITE | F, cmd_hdel, 1, 1, 1, CAT_HASH},
	{"hexists", 3, R | F, cmd_hexists, 1, 1, 1, CAT_HASH},
	{"hlen", 2, R | F, cmd_hlen, 1, 1, 1, CAT_HASH},
	{"hstrlen", 3, R | F, cmd_hstrlen, 1, 1, 1, CAT_HASH},
	{"hkeys", 2, R, cmd_hkeys, 1, 1, 1, CAT_HASH},
	{"hvals", 2, R, cmd_hvals, 1, 1, 1, CAT_HASH},
	{"hgetall", 2, R, cmd_hgetall, 1, 1, 1, CAT_HASH},
	{"hincrby", 4, W | F, cmd_hincrby, 1, 1, 1, CAT_HASH},
	{"hincrbyfloat", 4, W | F, cmd_hincrbyfloat, 1, 1, 1, CAT_HASH},
	{"hrandfield", -2, R, cmd_hrandfield, 1, 1, 1, CAT_HASH},
	{"hscan", -3, R, cmd_hscan, 1, 1, 1, CAT_HASH},

	/* ---- transactions (cmd_multi.c) ---- */
	{"multi", 1, F | CMD_NOSCRIPT, cmd_multi, 0, 0, 0, CAT_TRANSACTION},
	{"exec", 1, CMD_NOSCRIPT, cmd_exec, 0, 0, 0, CAT_TRANSACTION},
	{"discard", 1, F | CMD_NOSCRIPT, cmd_discard, 0, 0, 0, CAT_TRANSACTION},
	{"watch", -2, F | CMD_NOSCRIPT, cmd_watch, 1, -1, 1, CAT_TRANSACTION},
	{"unwatch", 1, F | CMD_NOSCRIPT, cmd_unwatch, 0, 0, 0, CAT_TRANSACTION},

	/* ---- sorted sets (cmd_zset.c) ---- */
	{"zadd", -4, W | F, cmd_zadd, 1, 1, 1, ZS},
	{"zincrby", 4, W | F, cmd_zincrby, 1, 1, 1, ZS},
	{"zrem", -3, CMD_WRITE | F, cmd_zrem, 1, 1, 1, ZS},
	{"zscore", 3, R | F, cmd_zscore, 1, 1, 1, ZS},
	{"zmscore", -3, R | F, cmd_zmscore, 1, 1, 1, ZS},
	{"zcard", 2, R | F, cmd_zcard, 1, 1, 1, ZS},
	{"zrank", -3, R | F, cmd_zrank, 1, 1, 1, ZS},
	{"zrevrank", -3, R | F, cmd_zrevrank, 1, 1, 1, ZS},
	{"zpopmin", -2, CMD_WRITE | F, cmd_zpopmin, 1, 1, 1, ZS},
	{"zpopmax", -2, CMD_WRITE | F, cmd_zpopmax, 1, 1, 1, ZS},
	{"bzpopmin", -3, CMD_WRITE | F | CMD_BLOCKING | CMD_NOSCRIPT, cmd_bzpopmin, 1, -2, 1, ZS},
	{"bzpopmax", -3, CMD_WRITE | F | CMD_BLOCKING | CMD_NOSCRIPT, cmd_bzpopmax, 1, -2, 1, ZS},
	{"zrandmember", -2, R, cmd_zrandmember, 1, 1, 1, ZS},
	{"zscan", -3, R, cmd_zscan, 1, 1, 1, ZS},
	/* (cmd_zrange.c) */
	{"zrange", -4, R, cmd_zrange, 1, 1, 1, ZS},
	{"zrangestore", -5, W, cmd_zrangestore, 1, 2, 1, ZS},
	{"zrevrange", -4, R, cmd_zrevrange, 1, 1, 1, ZS},
	{"zrangebyscore", -4, R, cmd_zrangebyscore, 1, 1, 1, ZS},
	{"zrevrangebyscore", -4, R, cmd_zrevrangebyscore, 1, 1, 1, ZS},
	{"zrangebylex", -4, R, cmd_zrangebylex, 1, 1, 1, ZS},
	{"zrevrangebylex", -4, R, cmd_zrevrangebylex, 1, 1, 1, ZS},
	{"zcount", 4, R | F, cmd_zcount, 1, 1, 1, ZS},
	{"zlexcount", 4, R | F, cmd_zlexcount, 1, 1, 1, ZS},
	{"zremrangebyrank", 4, CMD_WRITE, cmd_zremrangebyrank, 1, 1, 1, ZS},
	{"zremrangebyscore", 4, CMD_WRITE, cmd_zremrangebyscore, 1, 1, 1, ZS},
	{"zremrangebylex", 4, CMD_WRITE, cmd_zremrangebylex, 1, 1, 1, ZS},

	/* ---- pub/sub (cmd_pubsub.c) ---- */
	{"subscribe", -2, CMD_NOSCRIPT, cmd_subscribe, 0, 0, 0, CAT_PUBSUB},
	{"unsubscribe", -1, CMD_NOSCRIPT, cmd_unsubscribe, 0, 0, 0, CAT_PUBSUB},
	{"psubscribe", -2, CMD_NOSCRIPT, cmd_psubscribe, 0, 0, 0, CAT_PUBSUB},
	{"punsubscribe", -1, CMD_NOSCRIPT, cmd_punsubscribe, 0, 0, 0, CAT_PUBSUB},
	{"ssubscribe", -2, CMD_NOSCRIPT, cmd_ssubscribe, 0, 0, 0, CAT_PUBSUB},
	{"sunsubscribe", -1, CMD_NOSCRIPT, cmd_sunsubscribe, 0, 0, 0, CAT_PUBSUB},
	{"publish", 3, F, cmd_publish, 0, 0, 0, CAT_PUBSUB},
	{"spublish", 3, F, cmd_spublish, 0, 0, 0, CAT_PUBSUB},
	{"pubsub", -2, 0, cmd_pubsub, 0, 0, 0, CAT_PUBSUB},

	/* ---- lists (cmd_list.c) ---- */
	{"lpush", -3, W | F, cmd_lpush, 1, 1, 1, CAT_LIST},
	{"rpush", -3, W | F, cmd_rpush, 1, 1, 1, CAT_LIST},
	{"lpushx", -3, W | F, cmd_lpushx, 1, 1, 1, CAT_LIST},
	{"rpushx", -3, W | F, cmd_rpushx, 1, 1, 1, CAT_LIST},
	{"lpop", -2, CMD_WRITE | F, cmd_lpop, 1, 1, 1, CAT_LIST},
	{"rpop", -2, CMD_WRITE | F, cmd_rpop, 1, 1, 1, CAT_LIST},
	{"llen", 2, R | F, cmd_llen, 1, 1, 1, CAT_LIST},
	{"lrange", 4, R, cmd_lrange, 1, 1, 1, CAT_LIST},
	{"lindex", 3, R, cmd_lindex, 1, 1, 1, CAT_LIST},
	{"lset", 4, W, cmd_lset, 1, 1, 1, CAT_LIST},
	{"lrem", 4, CMD_WRITE, cmd_lrem, 1, 1, 1, CAT_LIST},
	{"ltrim", 4, CMD_WRITE, cmd_ltrim, 1, 1, 1, CAT_LIST},
	{"linsert", 5, W, cmd_linsert, 1, 1, 1, CAT_LIST},
	{"lpos", -3, R, cmd_lpos, 1, 1, 1, CAT_LIST},
	{"lmove", 5, W, cmd_lmove, 1, 2, 1, CAT_LIST},
	{"rpoplpush", 3, W, cmd_rpoplpush, 1, 2, 1, CAT_LIST},
	/* Keys after numkeys: the handler checks them against ACL key rules. */
	{"lmpop", -4, CMD_WRITE, cmd_lmpop, 0, 0, 0, CAT_LIST},
	/* (cmd_list_block.c) */
	{"blpop", -3, CMD_WRITE | CMD_BLOCKING | CMD_NOSCRIPT, cmd_blpop, 1, -2, 1, CAT_LIST},
	{"brpop", -3, CMD_WRITE | CMD_BLOCKING | CMD_NOSCRIPT, cmd_brpop, 1, -2, 1, CAT_LIST},
	{"blmove", 6, W | CMD_BLOCKING | CMD_NOSCRIPT, cmd_blmove, 1, 2, 1, CAT_LIST},
	{"brpoplpush", 4, W | CMD_BLOCKING | CMD_NOSCRIPT, cmd_brpoplpush, 1, 2, 1, CAT_LIST},
	{"blmpop", -5, CMD_WRITE | CMD_BLOCKING, cmd_blmpop, 0, 0, 0, CAT_LIST},

	/* ---- scripting (cmd_script.c) ---- */
	{"eval", -3, CMD_NOSCRIPT, cmd_eval, 0, 0, 0, CAT_SCRIPTING},
	{"evalsha", -3, CMD_NOSCRIPT, cmd_evalsha, 0, 0, 0, CAT_SCRIPTING},
	{"eval_ro", -3, R | CMD_NOSCRIPT, cmd_eval_ro, 0, 0, 0, CAT_SCRIPTING},
	{"evalsha_ro", -3, R | CMD_NOSCRIPT, cmd_evalsha_ro, 0, 0, 0, CAT_SCRIPTING},
	{"script", -2, CMD_NOSCRIPT, cmd_script, 0, 0, 0, CAT_SCRIPTING},

	/* ---- locks and pools (cmd_lock.c, cmd_pool.c) ---- */
	{"lock.acquire", -2, W | CMD_BLOCKING, cmd_lock_acquire, 1, 1, 1, CAT_LOCK},
	{"lock.release", 3, CMD_WRITE | F, cmd_lock_release, 1, 1, 1, CAT_LOCK},
	{"lock.renew", 5, CMD_WRITE | F, cmd_lock_renew, 1, 1, 1, CAT_LOCK},
	{"lock.info", 2, R | F, cmd_lock_info, 1, 1, 1, CAT_LOCK},
	{"lock.check", 3, R | F, cmd_lock_check, 1, 1, 1, CAT_LOCK},
	{"pool.acquire", -3, W | CMD_BLOCKING, cmd_pool_acquire, 1, 1, 1, CAT_POOL},
	{"pool.release", 3, CMD_WRITE | F, cmd_pool_release, 1, 1, 1, CAT_POOL},
	{"pool.renew", 5, CMD_WRITE | F, cmd_pool_renew, 1, 1, 1, CAT_POOL},
	{"pool.size", 2, R | F, cmd_pool_size, 1, 1, 1, CAT_POOL},
	{"pool.info", 2, R | F, cmd_pool_info, 1, 1, 1, CAT_POOL},
};

#undef W
#undef R
#undef F
#undef NA
#undef KS
#undef STR
#undef CONN
#undef DANG
#undef ZS

struct cmd_entry {
	char name[CMD_NAME_MAX];
	const struct command *cmd;
	UT_hash_handle hh;
};

static struct cmd_entry *lookup;

int command_init(void)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		struct cmd_entry *e = calloc(1, sizeof *e);

		if (!e)
			return -1;
		strcpy(e->name, table[i].name);
		e->cmd = &table[i];
		HASH_ADD_STR(lookup, name, e);
		if (add_failed) {
			free(e);
			return -1;
		}
	}
	return 0;
}

void command_free(void)
{
	struct cmd_entry *e, *tmp;

	HASH_ITER(hh, lookup, e, tmp) {
		HASH_DEL(lookup, e);
		free(e);
	}
}

const struct command *command_lookup(const char *name, size_t len)
{
	char low[CMD_NAME_MAX];
	struct cmd_entry *e;

	if (len == 0 || len >= sizeof low)
		return NULL;
	for (size_t i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	HASH_FIND(hh, lookup, low, len, e);
	return e ? e->cmd : NULL;
}

const struct command *command_at(size_t i)
{
	return i < sizeof table / sizeof table[0] ? &table[i] : NULL;
}

size_t command_index(const struct command *cmd)
{
	return (size_t)(cmd - table);
}

size_t command_count(void)
{
	return sizeof table / sizeof table[0];
}

size_t command_flag_names(unsigned flags, const char **names, size_t max)
{
	static const struct {
		unsigned bit;
		const char *name;
	} map[] = {
		/* Redis's order (its addReplyCommandFlags table). */
		{CMD_WRITE, "write"},	    {CMD_READONLY, "readonly"}, {CMD_DENYOOM, "denyoom"},
		{CMD_ADMIN, "admin"},	    {CMD_NOSCRIPT, "noscript"}, {CMD_BLOCKING, "blocking"},
		{CMD_FAST, "fast"},	    {CMD_NOAUTH, "no_auth"},	{CMD_NO_MULTI, "no_multi"},
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof map / sizeof map[0] && n < max; i++)
		if (flags & map[i].bit)
			names[n++] = map[i].name;
	return n;
}

unsigned command_categories(const struct command *cmd)
{
	unsigned cats = cmd->categories;

	cats |= (cmd->flags & CMD_WRITE) ? CAT_WRITE : 0;
	cats |= (cmd->flags & CMD_READONLY) ? CAT_READ : 0;
	cats |= (cmd->flags & CMD_FAST) ? CAT_FAST : CAT_SLOW;
	cats |= (cmd->flags & CMD_BLOCKING) ? CAT_BLOCKING : 0;
	return cats;
}

const struct cmd_category_name *command_category_at(size_t i)
{
	/* Redis's ACL CAT order for the categories it has, then ours. */
	static const struct cmd_category_name names[] = {
		{CAT_KEYSPACE, "keyspace"},	{CAT_READ, "read"},	    {CAT_WRITE, "write"},
		{CAT_SORTEDSET, "sortedset"},	{CAT_LIST, "list"},	    {CAT_HASH, "hash"},
		{CAT_STRING, "string"},		{CAT_PUBSUB, "pubsub"},	    {CAT_ADMIN, "admin"},
		{CAT_FAST, "fast"},		{CAT_SLOW, "slow"},	    {CAT_BLOCKING, "blocking"},
		{CAT_DANGEROUS, "dangerous"},	{CAT_CONNECTION, "connection"},
		{CAT_TRANSACTION, "transaction"},
		{CAT_SCRIPTING, "scripting"},	{CAT_LOCK, "lock"},	    {CAT_POOL, "pool"},
	};

	return i < sizeof names / sizeof names[0] ? &names[i] : NULL;
}

/* Subcommands Redis counts as admin (MONITOR hides their calls): CLIENT's
 * that act on other clients, ACL's that show or change the rules. */
static bool word_in(const struct resp_arg *a, const char *const *words)
{
	for (; *words; words++)
		if (a->len == strlen(*words) && strncasecmp(a->ptr, *words, a->len) == 0)
			return true;
	return false;
}

bool command_call_is_admin(const struct command *cmd, int argc, const struct resp_arg *argv)
{
	static const char *const client_admin[] = {"list", "kill", "pause", "unpause",
						   "no-evict", "unblock", NULL};
	static const char *const acl_anyone[] = {"whoami", "cat", "genpass", "help", NULL};

	if (cmd->proc == cmd_client)
		return argc >= 2 && word_in(&argv[1], client_admin);
	if (cmd->proc == cmd_acl)
		return argc < 2 || !word_in(&argv[1], acl_anyone);
	return (cmd->flags & CMD_ADMIN) != 0;
}

bool command_arg_is_secret(const struct command *cmd, int argc, const struct resp_arg *argv, int i)
{
	if (strcmp(cmd->name, "auth") == 0)
		return i >= 1;
	if (strcmp(cmd->name, "hello") != 0)
		return false;
	/* HELLO [protover [AUTH user pass] [SETNAME name]]: the two words after
	 * each AUTH, as HELLO itself reads its options. */
	for (int j = 2; j < argc; j++) {
		if (argv[j].len == 4 && strncasecmp(argv[j].ptr, "auth", 4) == 0 &&
		    argc - 1 - j >= 2) {
			if (i == j + 1 || i == j + 2)
				return true;
			j += 2;
		} else if (argv[j].len == 7 && strncasecmp(argv[j].ptr, "setname", 7) == 0) {
			j++;
		}
	}
	return false;
}
