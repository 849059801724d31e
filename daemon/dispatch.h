/* dispatch.h - the command table: name, arity, flags, handler.
 *
 * dispatch() finds a command's row, checks arity and memory, and calls its
 * handler, which appends exactly one reply. Handlers live in cmd_*.c, one
 * family per file.
 */
#ifndef CACHIFY_DISPATCH_H
#define CACHIFY_DISPATCH_H

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
};

typedef void cmd_proc(struct conn *c, int argc, struct resp_arg *argv);

struct command {
	const char *name; /* lower case */
	int arity;	  /* argc including the name; -N means at least N */
	unsigned flags;
	cmd_proc *proc;
	int first_key, last_key, key_step; /* for COMMAND: key positions */
};

/* Builds the lookup table. 0 or -1. */
int dispatch_init(void);
void dispatch_free(void);

/* Runs one parsed command for c (argc >= 1). */
void dispatch(struct conn *c, int argc, struct resp_arg *argv);

/* The row for a command name (any case), or NULL. */
const struct command *dispatch_lookup(const char *name, size_t len);
/* Rows in table order: i from 0 while the result is not NULL. */
const struct command *dispatch_at(size_t i);
/* Names of a command's flags, for COMMAND INFO (fills up to max, returns n). */
size_t dispatch_flag_names(unsigned flags, const char **names, size_t max);

#endif /* CACHIFY_DISPATCH_H */
