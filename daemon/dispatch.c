/* dispatch.c - the command table and the path from a parsed command to its
 * handler: lookup (case-insensitive), arity, admin permission (admin-uid),
 * maxmemory admission, stats. Handlers are in cmd_*.c; this file only
 * routes.
 */
#include "dispatch.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* uthash must not exit() on OOM: report it and let dispatch_init fail. */
static int add_failed;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (add_failed = 1)
#include <uthash.h>

#include "cmd.h"
#include "client.h"
#include "reply.h"
#include "security.h"
#include "server.h"
#include "store.h"

#define CMD_NAME_MAX 32 /* bytes; longer names cannot be commands */

#define W  (CMD_WRITE | CMD_DENYOOM)
#define R  CMD_READONLY
#define F  CMD_FAST
#define NA CMD_NOAUTH

static const struct command table[] = {
	{"ping", -1, F | NA, cmd_ping, 0, 0, 0},
	{"echo", 2, F, cmd_echo, 0, 0, 0},
	{"quit", -1, F | NA, cmd_quit, 0, 0, 0},
	{"select", 2, F, cmd_select, 0, 0, 0},
	{"dbsize", 1, R | F, cmd_dbsize, 0, 0, 0},
	{"flushdb", -1, CMD_WRITE, cmd_flushdb, 0, 0, 0},
	{"flushall", -1, CMD_WRITE | CMD_ADMIN, cmd_flushall, 0, 0, 0},
	{"info", -1, 0, cmd_info, 0, 0, 0},
	{"client", -2, 0, cmd_client, 0, 0, 0},
	{"command", -1, 0, cmd_command, 0, 0, 0},
	{"config", -2, CMD_ADMIN, cmd_config, 0, 0, 0},
	{"shutdown", -1, CMD_ADMIN, cmd_shutdown, 0, 0, 0},
	{"get", 2, R | F, cmd_get, 1, 1, 1},
	{"set", -3, W, cmd_set, 1, 1, 1},
	{"del", -2, CMD_WRITE, cmd_del, 1, -1, 1},
	{"exists", -2, R | F, cmd_exists, 1, -1, 1},
	{"type", 2, R | F, cmd_type, 1, 1, 1},
	{"expire", -3, CMD_WRITE | F, cmd_expire, 1, 1, 1},
	{"pexpire", -3, CMD_WRITE | F, cmd_pexpire, 1, 1, 1},
	{"ttl", 2, R | F, cmd_ttl, 1, 1, 1},
	{"pttl", 2, R | F, cmd_pttl, 1, 1, 1},
	{"persist", 2, CMD_WRITE | F, cmd_persist, 1, 1, 1},
	{"mget", -2, R | F, cmd_mget, 1, -1, 1},
	{"mset", -3, W, cmd_mset, 1, -1, 2},
	{"incr", 2, W | F, cmd_incr, 1, 1, 1},
	{"incrby", 3, W | F, cmd_incrby, 1, 1, 1},
	{"decr", 2, W | F, cmd_decr, 1, 1, 1},
	{"decrby", 3, W | F, cmd_decrby, 1, 1, 1},
	{"scan", -2, R, cmd_scan, 0, 0, 0},
	{"lock.acquire", -2, W | CMD_BLOCKING, cmd_lock_acquire, 1, 1, 1},
	{"lock.release", 3, CMD_WRITE | F, cmd_lock_release, 1, 1, 1},
	{"lock.renew", 5, CMD_WRITE | F, cmd_lock_renew, 1, 1, 1},
	{"lock.info", 2, R | F, cmd_lock_info, 1, 1, 1},
	{"lock.check", 3, R | F, cmd_lock_check, 1, 1, 1},
	{"pool.acquire", -3, W | CMD_BLOCKING, cmd_pool_acquire, 1, 1, 1},
	{"pool.release", 3, CMD_WRITE | F, cmd_pool_release, 1, 1, 1},
	{"pool.renew", 5, CMD_WRITE | F, cmd_pool_renew, 1, 1, 1},
	{"pool.size", 2, R | F, cmd_pool_size, 1, 1, 1},
	{"pool.info", 2, R | F, cmd_pool_info, 1, 1, 1},
};

#undef W
#undef R
#undef F
#undef NA

struct cmd_entry {
	char name[CMD_NAME_MAX];
	const struct command *cmd;
	UT_hash_handle hh;
};

static struct cmd_entry *lookup;

int dispatch_init(void)
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

void dispatch_free(void)
{
	struct cmd_entry *e, *tmp;

	HASH_ITER(hh, lookup, e, tmp) {
		HASH_DEL(lookup, e);
		free(e);
	}
}

const struct command *dispatch_lookup(const char *name, size_t len)
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

const struct command *dispatch_at(size_t i)
{
	return i < sizeof table / sizeof table[0] ? &table[i] : NULL;
}

size_t dispatch_flag_names(unsigned flags, const char **names, size_t max)
{
	static const struct {
		unsigned bit;
		const char *name;
	} map[] = {
		{CMD_WRITE, "write"},	{CMD_DENYOOM, "denyoom"}, {CMD_READONLY, "readonly"},
		{CMD_FAST, "fast"},	{CMD_ADMIN, "admin"},	  {CMD_NOAUTH, "no_auth"},
		{CMD_BLOCKING, "blocking"},
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof map / sizeof map[0] && n < max; i++)
		if (flags & map[i].bit)
			names[n++] = map[i].name;
	return n;
}

/* Redis 7's text: "unknown command 'x', with args beginning with: 'a' 'b' ". */
static void reply_unknown(struct conn *c, int argc, struct resp_arg *argv)
{
	char buf[512];
	size_t n = 0;
	int used;

	used = snprintf(buf, sizeof buf, "ERR unknown command '%.*s', with args beginning with: ",
			(int)(argv[0].len > 128 ? 128 : argv[0].len), argv[0].ptr);
	n = (size_t)used < sizeof buf ? (size_t)used : sizeof buf - 1;
	for (int i = 1; i < argc && n < sizeof buf - 1; i++) {
		used = snprintf(buf + n, sizeof buf - n, "'%.*s' ",
				(int)(argv[i].len > 128 ? 128 : argv[i].len), argv[i].ptr);
		n += (size_t)used < sizeof buf - n ? (size_t)used : sizeof buf - n - 1;
	}
	reply_error(c, buf);
}

void dispatch(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct command *cmd = dispatch_lookup(argv[0].ptr, argv[0].len);

	server.stats.commands++;
	if (!cmd) {
		reply_unknown(c, argc, argv);
		return;
	}
	c->last_cmd = cmd->name;
	if ((cmd->arity > 0 && argc != cmd->arity) || (cmd->arity < 0 && argc < -cmd->arity)) {
		reply_errorf(c, "ERR wrong number of arguments for '%s' command", cmd->name);
		return;
	}
	if ((cmd->flags & CMD_ADMIN) && !security_is_admin(c->uid)) {
		reply_errorf(c, "NOPERM uid %u may not run the '%s' command: see admin-uid",
			     (unsigned)c->uid, cmd->name);
		return;
	}
	if ((cmd->flags & CMD_DENYOOM) && store_make_room(server.store, 0) != 0) {
		reply_error(c, ERR_OOM);
		return;
	}
	cmd->proc(c, argc, argv);
}
