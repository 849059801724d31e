/* script.h - Lua scripting (EVAL and friends): the one Lua state, its
 * sandbox, the script cache, running a script for a client, and the busy
 * state of a script that runs past busy-reply-threshold.
 *
 * script.c owns the state and the cache; script_api.c the redis.* table
 * and the conversions between replies and Lua values; cmd_script.c the
 * commands. Semantics, replies and errors are Redis 7.0's.
 */
#ifndef CACHIFY_SCRIPT_H
#define CACHIFY_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include "resp.h"
#include "sha1.h"

struct command;
struct conn;

#define SCRIPT_HOOK_COUNT 100000 /* Lua instructions between busy checks (Redis's) */

/* Creates the Lua state. 0 or -1 (out of memory, logged). */
int script_init(void);
void script_free(void);

/* While a script runs past busy-reply-threshold, its hook calls fn
 * between lines to serve every client but the script's caller (they are
 * answered -BUSY); the server sets it, as only it knows its sockets. */
typedef void script_serve_fn(struct conn *caller);
void script_set_serve_others(script_serve_fn *fn);

/* EVAL/EVALSHA (by_sha) and their _RO forms (ro): argv as the client sent
 * it. Replies to c, once. May serve other clients' sockets meanwhile when
 * the script runs past busy-reply-threshold (only BUSY, SCRIPT KILL and
 * SHUTDOWN answer then). */
void script_eval(struct conn *c, int argc, struct resp_arg *argv, bool by_sha, bool ro);
/* Compiles body and caches it (SCRIPT LOAD). Fills sha (SHA1_HEX_LEN + 1
 * bytes) and returns 0; or replies the compile error to c and returns -1. */
int script_load(struct conn *c, const char *body, size_t len, char *sha);
/* Is a script with this sha (any case) cached? */
bool script_exists(const char *sha, size_t len);
/* Forgets every script and starts a fresh Lua state (SCRIPT FLUSH).
 * Not while a script runs (SCRIPT is refused from scripts). */
void script_flush(void);
/* SCRIPT KILL: replies NOTBUSY, UNKILLABLE, or OK and stops the running
 * script at its next hook. */
void script_kill(struct conn *c);

/* Called by dispatch for every admitted command: true (having replied
 * BUSY) when a script is past busy-reply-threshold and c may not run cmd
 * meanwhile; false otherwise, cheaply. */
bool script_refuses(struct conn *c, const struct command *cmd, int argc, struct resp_arg *argv);
/* Is c the client whose script is running? (Its own input waits.) */
bool script_is_caller(const struct conn *c);

/* INFO memory and stats. */
size_t script_count(void);	  /* cached scripts */
size_t script_memory_lua(void);	  /* bytes the Lua state holds */
size_t script_memory_bodies(void); /* bytes of cached bodies and their entries */

#endif /* CACHIFY_SCRIPT_H */
