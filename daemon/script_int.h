/* script_int.h - what script.c (the state, the cache, running) and
 * script_api.c (the redis.* table, conversions) share; nothing else
 * includes it. */
#ifndef CACHIFY_SCRIPT_INT_H
#define CACHIFY_SCRIPT_INT_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

struct conn;

#define SCRIPT_VERSION_NUM 0x07000f /* redis.REDIS_VERSION_NUM: 7.0.15, as INFO says */

/* script_api.c: adds redis.*, replaces pcall, math.random and
 * math.randomseed, loadstring and load (no bytecode) in the globals table
 * on the top of L's stack. */
void script_api_open(lua_State *L);
/* Pushes an error table {err = "CODE msg"}: msg may start with '-' and a
 * code; without a code "ERR " is put in front, as Redis does. */
void script_push_error(lua_State *L, const char *msg, size_t len);
/* Pushes the Lua value of one RESP2 reply at p (our own, well formed);
 * returns where it ends. */
const char *script_push_reply(lua_State *L, const char *p, const char *end);
/* Replies the value on the top of L's stack to c, and pops it. */
void script_reply_value(struct conn *c, lua_State *L);

/* script.c: redis.call (raise) and redis.pcall; redis.acl_check_cmd. */
int script_call(lua_State *L, bool raise);
int script_acl_check(lua_State *L);
/* Is a script running (the redis.* functions that need one ask)? */
bool script_running(void);

#endif /* CACHIFY_SCRIPT_INT_H */
