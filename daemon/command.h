/* command.h - the command table: name, arity, flags, key positions, ACL
 * categories, handler (cmd_*.c, one family per file). dispatch.c routes by
 * it; acl.c checks by it; COMMAND and ACL CAT describe it.
 */
#ifndef CACHIFY_COMMAND_H
#define CACHIFY_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "resp.h"

struct conn;

enum cmd_flags {
	CMD_WRITE = 1 << 0,    /* changes the keyspace */
	CMD_DENYOOM = 1 << 1,  /* may grow memory: refused past maxmemory */
	CMD_READONLY = 1 << 2, /* reads the keyspace */
	CMD_FAST = 1 << 3,     /* O(1) or O(log n) */
	CMD_ADMIN = 1 << 4,    /* operator commands */
	CMD_NOAUTH = 1 << 5,   /* allowed before anything else (PING, QUIT, ...) */
	CMD_BLOCKING = 1 << 6, /* may block the client */
	CMD_NO_MULTI = 1 << 7, /* refused inside MULTI (SHUTDOWN, as Redis) */
	CMD_NOSCRIPT = 1 << 8, /* refused from scripts (redis.call), as Redis's noscript */
};

/* ACL categories (Redis 7.2's, plus @lock and @pool). Rows name the ones
 * their flags do not imply: @read, @write, @fast/@slow and @blocking come
 * from CMD_READONLY, CMD_WRITE, CMD_FAST and CMD_BLOCKING, as in Redis. */
enum cmd_category {
	CAT_KEYSPACE = 1 << 0,
	CAT_READ = 1 << 1,
	CAT_WRITE = 1 << 2,
	CAT_STRING = 1 << 3,
	CAT_PUBSUB = 1 << 4,
	CAT_ADMIN = 1 << 5,
	CAT_FAST = 1 << 6,
	CAT_SLOW = 1 << 7,
	CAT_BLOCKING = 1 << 8,
	CAT_DANGEROUS = 1 << 9,
	CAT_CONNECTION = 1 << 10,
	CAT_SCRIPTING = 1 << 11,
	CAT_LOCK = 1 << 12,
	CAT_POOL = 1 << 13,
	CAT_TRANSACTION = 1 << 14,
	CAT_HASH = 1 << 17,
	CAT_LIST = 1 << 18,
	CAT_SORTEDSET = 1 << 19,
};

struct cmd_category_name {
	unsigned bit;	  /* enum cmd_category */
	const char *name; /* without the '@' */
};

typedef void cmd_proc(struct conn *c, int argc, struct resp_arg *argv);

struct command {
	const char *name; /* lower case */
	int arity;	  /* argc including the name; -N means at least N */
	unsigned flags;
	cmd_proc *proc;
	int first_key, last_key, key_step; /* key positions (COMMAND, ACL key rules) */
	unsigned categories;		   /* enum cmd_category beyond those flags imply */
};

/* Builds the lookup table. 0 or -1. */
int command_init(void);
void command_free(void);

/* The row for a command name (any case), or NULL. */
const struct command *command_lookup(const char *name, size_t len);
/* Rows in table order: i from 0 while the result is not NULL. */
const struct command *command_at(size_t i);
/* The row's position in table order (command_at(command_index(cmd)) == cmd),
 * and how many rows there are. */
size_t command_index(const struct command *cmd);
size_t command_count(void);
/* Names of a command's flags, for COMMAND INFO (fills up to max, returns n). */
size_t command_flag_names(unsigned flags, const char **names, size_t max);
/* A command's ACL categories: its row's and those its flags imply. */
unsigned command_categories(const struct command *cmd);
/* The categories in ACL CAT order, i from 0 while the result is not NULL. */
const struct cmd_category_name *command_category_at(size_t i);

/* Whether this call is an admin one as Redis counts them: the command's
 * CMD_ADMIN, or for CLIENT and ACL the subcommand (CLIENT KILL, ACL LIST). */
bool command_call_is_admin(const struct command *cmd, int argc, const struct resp_arg *argv);

/* Whether argv[i] is a password that the slow log and MONITOR show as
 * "(redacted)": AUTH's arguments, the two after each AUTH in HELLO. */
bool command_arg_is_secret(const struct command *cmd, int argc, const struct resp_arg *argv, int i);

#endif /* CACHIFY_COMMAND_H */
