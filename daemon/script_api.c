/* script_api.c - what a script sees beyond plain Lua: the redis table
 * (call, pcall, error_reply, status_reply, sha1hex, log, setresp, set_repl,
 * replicate_commands, acl_check_cmd and the constants), Redis's pcall,
 * a deterministic math.random, loaders that refuse bytecode, and the
 * conversions between RESP replies and Lua values (Redis 7.0's rules).
 * The state, the sandbox and running scripts are script.c's.
 */
#include <lauxlib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "reply.h"
#include "script_int.h"
#include "server.h"
#include "sha1.h"

#define SCRIPT_NUM_MAX 64 /* bytes of a number argument as "%.17g" */

/* Redis's propagation flags, which set_repl checks (nothing propagates here). */
enum { REPL_NONE = 0, REPL_AOF = 1, REPL_REPLICA = 2, REPL_ALL = 3 };

void script_push_error(lua_State *L, const char *msg, size_t len)
{
	const char *space;

	while (len > 0 && (msg[len - 1] == '\r' || msg[len - 1] == '\n'))
		len--;
	lua_newtable(L);
	lua_pushstring(L, "err");
	if (len > 0 && msg[0] == '-') {
		msg++;
		len--;
		space = memchr(msg, ' ', len);
		if (space) {
			lua_pushlstring(L, msg, len);
		} else {
			lua_pushliteral(L, "ERR ");
			lua_pushlstring(L, msg, len);
			lua_concat(L, 2);
		}
	} else {
		lua_pushliteral(L, "ERR ");
		lua_pushlstring(L, msg, len);
		lua_concat(L, 2);
	}
	lua_settable(L, -3);
}

/* ---- replies -> Lua ---- */

static const char *reply_line_end(const char *p, const char *end)
{
	const char *cr = memchr(p, '\r', (size_t)(end - p));

	return cr ? cr : end;
}

const char *script_push_reply(lua_State *L, const char *p, const char *end)
{
	const char *eol = reply_line_end(p + 1, end);
	long long n = strtoll(p + 1, NULL, 10);

	luaL_checkstack(L, 4, "reply too deep");
	switch (p[0]) {
	case '+':
		lua_newtable(L);
		lua_pushstring(L, "ok");
		lua_pushlstring(L, p + 1, (size_t)(eol - p - 1));
		lua_settable(L, -3);
		return eol + 2;
	case '-':
		script_push_error(L, p, (size_t)(eol - p));
		return eol + 2;
	case ':':
		lua_pushnumber(L, (lua_Number)n);
		return eol + 2;
	case '$':
		if (n < 0) {
			lua_pushboolean(L, 0);
			return eol + 2;
		}
		lua_pushlstring(L, eol + 2, (size_t)n);
		return eol + 2 + n + 2;
	case '*':
		if (n < 0) {
			lua_pushboolean(L, 0);
			return eol + 2;
		}
		lua_newtable(L);
		p = eol + 2;
		for (long long i = 1; i <= n; i++) {
			p = script_push_reply(L, p, end);
			lua_rawseti(L, -2, (int)i);
		}
		return p;
	default:
		lua_pushboolean(L, 0);
		return end;
	}
}

/* ---- Lua -> replies ---- */

/* A Lua number as Redis casts it: truncated, and INT64_MIN for what does
 * not fit (what x86's conversion gives Redis for NaN and out of range). */
static long long script_number_ll(lua_Number d)
{
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return INT64_MIN;
	return (long long)d;
}

/* The string field name of the table on the top, or NULL; pushes nothing. */
static const char *script_field(lua_State *L, const char *name, size_t *len)
{
	const char *s = NULL;

	lua_pushstring(L, name);
	lua_rawget(L, -2);
	if (lua_type(L, -1) == LUA_TSTRING)
		s = lua_tolstring(L, -1, len);
	lua_pop(L, 1); /* the string stays alive in the table */
	return s;
}

/* The error of a table {err = ...} (or a plain string), as the reply
 * text: newlines become spaces, as Redis's error replies do. */
static void script_reply_error(struct conn *c, const char *msg, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy) {
		reply_error(c, ERR_OOM);
		return;
	}
	for (size_t i = 0; i < len; i++)
		copy[i] = msg[i] == '\r' || msg[i] == '\n' ? ' ' : msg[i];
	copy[len] = '\0';
	reply_error(c, copy);
	free(copy);
}

void script_reply_value(struct conn *c, lua_State *L)
{
	const char *s;
	size_t len, n;

	if (!lua_checkstack(L, 4)) {
		reply_error(c, "ERR reached lua stack limit");
		lua_pop(L, 1);
		return;
	}
	switch (lua_type(L, -1)) {
	case LUA_TSTRING:
		s = lua_tolstring(L, -1, &len);
		reply_bulk(c, s, len);
		break;
	case LUA_TBOOLEAN:
		if (lua_toboolean(L, -1))
			reply_int(c, 1);
		else
			reply_nil(c);
		break;
	case LUA_TNUMBER:
		reply_int(c, script_number_ll(lua_tonumber(L, -1)));
		break;
	case LUA_TTABLE:
		if ((s = script_field(L, "err", &len))) {
			script_reply_error(c, s, len);
			break;
		}
		if ((s = script_field(L, "ok", &len))) {
			char *ok = malloc(len + 1);

			if (!ok) {
				reply_error(c, ERR_OOM);
				break;
			}
			for (size_t i = 0; i < len; i++)
				ok[i] = s[i] == '\r' || s[i] == '\n' ? ' ' : s[i];
			ok[len] = '\0';
			reply_raw(c, "+", 1);
			reply_raw(c, ok, len);
			reply_raw(c, "\r\n", 2);
			free(ok);
			break;
		}
		/* An array up to the first nil. */
		for (n = 0;; n++) {
			lua_rawgeti(L, -1, (int)n + 1);
			if (lua_isnil(L, -1)) {
				lua_pop(L, 1);
				break;
			}
			lua_pop(L, 1);
		}
		reply_array(c, n);
		for (size_t i = 1; i <= n; i++) {
			lua_rawgeti(L, -1, (int)i);
			script_reply_value(c, L);
		}
		break;
	default:
		reply_nil(c);
	}
	lua_pop(L, 1);
}

/* ---- redis.* ---- */

static int api_call(lua_State *L)
{
	return script_call(L, true);
}

static int api_pcall(lua_State *L)
{
	return script_call(L, false);
}

static int api_error_reply(lua_State *L)
{
	const char *s;
	size_t len;

	if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
		script_push_error(L, "wrong number or type of arguments", 33);
		return 1;
	}
	s = lua_tolstring(L, -1, &len);
	if (len > 0 && s[0] == '-') {
		script_push_error(L, s, len);
	} else {
		lua_pushliteral(L, "-");
		lua_pushvalue(L, 1);
		lua_concat(L, 2);
		s = lua_tolstring(L, -1, &len);
		script_push_error(L, s, len);
	}
	return 1;
}

static int api_status_reply(lua_State *L)
{
	if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
		script_push_error(L, "wrong number or type of arguments", 33);
		return 1;
	}
	lua_newtable(L);
	lua_pushstring(L, "ok");
	lua_pushvalue(L, -3);
	lua_settable(L, -3);
	return 1;
}

/* Raises the error table of msg (redis.* argument errors). */
static int api_raise(lua_State *L, const char *msg)
{
	script_push_error(L, msg, strlen(msg));
	return lua_error(L);
}

static int api_sha1hex(lua_State *L)
{
	char hex[SHA1_HEX_LEN + 1];
	const char *s;
	size_t len = 0;

	if (lua_gettop(L) != 1)
		return api_raise(L, "wrong number of arguments");
	s = lua_tolstring(L, 1, &len);
	sha1_hex(hex, s ? s : "", s ? len : 0);
	lua_pushstring(L, hex);
	return 1;
}

static int api_log(lua_State *L)
{
	int argc = lua_gettop(L), level;
	luaL_Buffer b;

	if (argc < 2)
		return api_raise(L, "redis.log() requires two arguments or more.");
	if (!lua_isnumber(L, 1))
		return api_raise(L, "First argument must be a number (log level).");
	level = (int)lua_tonumber(L, 1);
	if (level < LOG_DEBUG_ || level > LOG_WARNING_)
		return api_raise(L, "Invalid debug level.");
	if (level < log_level())
		return 0;
	luaL_buffinit(L, &b);
	for (int i = 2; i <= argc; i++) {
		size_t len;
		const char *s = lua_tolstring(L, i, &len);

		if (!s)
			continue;
		if (i != 2)
			luaL_addchar(&b, ' ');
		luaL_addlstring(&b, s, len);
	}
	luaL_pushresult(&b);
	log_msg(level, "%s", lua_tostring(L, -1));
	return 0;
}

static int api_setresp(lua_State *L)
{
	int resp;

	if (!script_running())
		return api_raise(L, "redis.setresp can only be called inside a script invocation");
	if (lua_gettop(L) != 1)
		return api_raise(L, "redis.setresp() requires one argument.");
	resp = (int)lua_tonumber(L, 1);
	if (resp != 2 && resp != 3)
		return api_raise(L, "RESP version must be 2 or 3.");
	/* The daemon speaks RESP2 only (PROTOCOL.md, differences). */
	if (resp == 3)
		return api_raise(L, "RESP3 is not supported by this server.");
	return 0;
}

static int api_set_repl(lua_State *L)
{
	int flags;

	if (!script_running())
		return api_raise(L, "redis.set_repl can only be called inside a script invocation");
	if (lua_gettop(L) != 1)
		return api_raise(L, "redis.set_repl() requires two arguments.");
	flags = (int)lua_tonumber(L, -1);
	if ((flags & ~REPL_ALL) != 0)
		return api_raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL "
				    "or REPL_NONE.");
	return 0;
}

/* Redis 7 replicates scripts by their effects always: true, and nothing to do. */
static int api_replicate_commands(lua_State *L)
{
	lua_pushboolean(L, 1);
	return 1;
}

static void api_set_number(lua_State *L, const char *name, lua_Number v)
{
	lua_pushstring(L, name);
	lua_pushnumber(L, v);
	lua_settable(L, -3);
}

static void api_set_function(lua_State *L, const char *name, lua_CFunction f)
{
	lua_pushstring(L, name);
	lua_pushcfunction(L, f);
	lua_settable(L, -3);
}

/* ---- Redis's pcall: an error table comes back as its err string ---- */

static int api_lua_pcall(lua_State *L)
{
	int argc = lua_gettop(L);

	luaL_checkany(L, 1);
	lua_pushboolean(L, 1);
	lua_insert(L, 1);
	if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
		lua_remove(L, 1);
		if (lua_istable(L, -1)) {
			lua_getfield(L, -1, "err");
			if (lua_isstring(L, -1))
				lua_replace(L, -2);
			else
				lua_pop(L, 1);
		}
		lua_pushboolean(L, 0);
		lua_insert(L, 1);
	}
	return lua_gettop(L);
}

/* ---- math.random: rand48, as Redis's redisLrand48: one sequence from
 * start-up (or randomseed), the same on every machine ---- */

#define RAND48_MAX INT32_MAX

static uint64_t rand48_x = 0x1234abcd330eULL; /* rand48's initial state, as Redis's */

static int32_t rand48_next(void)
{
	rand48_x = (rand48_x * 0x5deece66dULL + 0xb) & 0xffffffffffffULL;
	return (int32_t)(rand48_x >> 17);
}

static int api_random(lua_State *L)
{
	lua_Number r = (lua_Number)(rand48_next() % RAND48_MAX) / (lua_Number)RAND48_MAX;
	int l, u;

	switch (lua_gettop(L)) {
	case 0:
		lua_pushnumber(L, r);
		break;
	case 1:
		u = luaL_checkint(L, 1);
		luaL_argcheck(L, 1 <= u, 1, "interval is empty");
		lua_pushnumber(L, floor(r * u) + 1);
		break;
	case 2:
		l = luaL_checkint(L, 1);
		u = luaL_checkint(L, 2);
		luaL_argcheck(L, l <= u, 2, "interval is empty");
		lua_pushnumber(L, floor(r * (u - l + 1)) + l);
		break;
	default:
		return luaL_error(L, "wrong number of arguments");
	}
	return 1;
}

static int api_randomseed(lua_State *L)
{
	rand48_x = ((uint64_t)(uint32_t)luaL_checkint(L, 1) << 16) | 0x330e;
	return 0;
}

/* ---- loaders: source only. Bytecode is how sandboxes are escaped. ---- */

static int api_loadstring(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	const char *name = luaL_optstring(L, 2, s);

	if (len > 0 && s[0] == LUA_SIGNATURE[0]) {
		lua_pushnil(L);
		lua_pushliteral(L, "bytecode loading is disabled");
		return 2;
	}
	if (luaL_loadbuffer(L, s, len, name) != 0) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	return 1;
}

/* load(f [, name]): the pieces joined first, then loaded as source. */
static int api_load(lua_State *L)
{
	const char *name = luaL_optstring(L, 2, "=(load)");
	luaL_Buffer b;
	size_t len;
	const char *s;

	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_settop(L, 2);
	luaL_buffinit(L, &b);
	for (;;) {
		lua_pushvalue(L, 1);
		lua_call(L, 0, 1);
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			break;
		}
		if (!lua_isstring(L, -1))
			return luaL_error(L, "reader function must return a string");
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	s = lua_tolstring(L, -1, &len);
	if (len > 0 && s[0] == LUA_SIGNATURE[0]) {
		lua_pushnil(L);
		lua_pushliteral(L, "bytecode loading is disabled");
		return 2;
	}
	if (luaL_loadbuffer(L, s, len, name) != 0) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	return 1;
}

void script_api_open(lua_State *L)
{
	lua_pushcfunction(L, api_lua_pcall);
	lua_setfield(L, -2, "pcall");
	lua_pushcfunction(L, api_loadstring);
	lua_setfield(L, -2, "loadstring");
	lua_pushcfunction(L, api_load);
	lua_setfield(L, -2, "load");

	lua_getfield(L, -1, "math");
	api_set_function(L, "random", api_random);
	api_set_function(L, "randomseed", api_randomseed);
	lua_pop(L, 1);

	lua_newtable(L);
	api_set_function(L, "call", api_call);
	api_set_function(L, "pcall", api_pcall);
	api_set_function(L, "log", api_log);
	api_set_number(L, "LOG_DEBUG", LOG_DEBUG_);
	api_set_number(L, "LOG_VERBOSE", LOG_VERBOSE_);
	api_set_number(L, "LOG_NOTICE", LOG_NOTICE_);
	api_set_number(L, "LOG_WARNING", LOG_WARNING_);
	api_set_number(L, "REDIS_VERSION_NUM", SCRIPT_VERSION_NUM);
	lua_pushstring(L, "REDIS_VERSION");
	lua_pushstring(L, REDIS_COMPAT_VERSION);
	lua_settable(L, -3);
	api_set_function(L, "setresp", api_setresp);
	api_set_function(L, "sha1hex", api_sha1hex);
	api_set_function(L, "error_reply", api_error_reply);
	api_set_function(L, "status_reply", api_status_reply);
	api_set_function(L, "set_repl", api_set_repl);
	api_set_function(L, "replicate_commands", api_replicate_commands);
	api_set_number(L, "REPL_NONE", REPL_NONE);
	api_set_number(L, "REPL_AOF", REPL_AOF);
	api_set_number(L, "REPL_SLAVE", REPL_REPLICA);
	api_set_number(L, "REPL_REPLICA", REPL_REPLICA);
	api_set_number(L, "REPL_ALL", REPL_ALL);
	api_set_function(L, "acl_check_cmd", script_acl_check);
	lua_setfield(L, -2, "redis");
}
