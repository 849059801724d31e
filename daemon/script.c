/* script.c - the Lua state scripts run in (Lua 5.1, as Redis embeds), its
 * sandbox, the script cache, running one script for a client, redis.call,
 * and the busy state: past busy-reply-threshold the count hook serves the
 * other clients (BUSY to all but SCRIPT KILL and SHUTDOWN) so a runaway
 * script can be killed. The redis.* table and the conversions are
 * script_api.c's; the commands cmd_script.c's.
 */
#include "script.h"

#include <ctype.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* uthash must not exit() on OOM: the add fails instead. */
static int script_add_failed;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (script_add_failed = 1)
#include <uthash.h>

#include "acl.h"
#include "client.h"
#include "clock.h"
#include "cmd.h"
#include "cmd_args.h"
#include "command.h"
#include "command_stats.h"
#include "log.h"
#include "reply.h"
#include "script_int.h"
#include "server.h"
#include "store.h"

/* Debian's lua-bitop and lua-cjson (Lua 5.1 modules) ship no header. */
int luaopen_bit(lua_State *L);
int luaopen_cjson(lua_State *L);

#define SCRIPT_CHUNK_NAME "@user_script" /* errors read "user_script:LINE:", as Redis's */
#define SCRIPT_GLOBALS	  "cachify_globals" /* registry: the real globals behind the proxy */
#define SCRIPT_STRING_MT  "cachify_string_mt" /* registry: strings' metatable */
#define SCRIPT_STRING_MT_RO "cachify_string_mt_ro" /* registry: its read-only proxy */
#define SCRIPT_NUM_MAX	  64	/* bytes of a number argument as "%.17g" */
#define SCRIPT_GC_PERIOD  50	/* runs between incremental GC steps (Redis's) */
#define SCRIPT_ARGV_MIN	  16	/* redis.call arguments room is first made for */

struct script {
	char sha[SHA1_HEX_LEN + 1];
	size_t len; /* bytes of the body (its compiled function is in the registry) */
	UT_hash_handle hh;
};

static struct {
	lua_State *L;
	struct script *cache;
	size_t bytes;		/* bodies and entries, for INFO */
	struct conn *caller;	/* whose script runs, or NULL */
	bool ro;		/* EVAL_RO/EVALSHA_RO: no writes */
	bool wrote;		/* a write command ran: SCRIPT KILL may not stop it */
	bool busy;		/* past busy-reply-threshold */
	bool kill;		/* SCRIPT KILL asked */
	int64_t start_ms;	/* ms, monotonic */
	const char *sha;	/* the running script's, for the log */
	unsigned runs;		/* since the last GC step */
	struct resp_buf out;	/* a called command's reply */
	struct resp_arg *argv;	/* a called command's arguments */
	int argv_cap;
} sc;

/* A unique address: the key that marks read-only proxies' metatables. */
static const char script_readonly_key;

bool script_running(void)
{
	return sc.caller != NULL;
}

bool script_is_caller(const struct conn *c)
{
	return sc.caller == c;
}

/* ---- the sandbox ---- */

static const char *script_key_text(lua_State *L, int idx)
{
	const char *s = lua_isstring(L, idx) ? lua_tostring(L, idx) : NULL;

	return s ? s : lua_typename(L, lua_type(L, idx));
}

/* __index of the globals: a missing name is an error in scripts (not in
 * the C functions that look names up), as Redis's. */
static int script_global_index(lua_State *L)
{
	lua_Debug ar;

	lua_pushvalue(L, 2);
	lua_rawget(L, lua_upvalueindex(1));
	if (!lua_isnil(L, -1))
		return 1;
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "S", &ar) && strcmp(ar.what, "C") == 0)
		return 1;
	return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
			  script_key_text(L, 2));
}

static int script_readonly_newindex(lua_State *L)
{
	return luaL_error(L, "Attempt to modify a readonly table");
}

static bool script_is_readonly(lua_State *L, int idx)
{
	bool ro = false;

	if (lua_getmetatable(L, idx)) {
		lua_pushlightuserdata(L, (void *)&script_readonly_key);
		lua_rawget(L, -2);
		ro = lua_toboolean(L, -1);
		lua_pop(L, 2);
	}
	return ro;
}

/* rawset, but not on a read-only table (Redis's readonly tables refuse it). */
static int script_rawset(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checkany(L, 2);
	luaL_checkany(L, 3);
	if (script_is_readonly(L, 1)) {
		/* No position: Redis's error comes from inside the VM. */
		lua_pushliteral(L, "Attempt to modify a readonly table");
		return lua_error(L);
	}
	lua_settop(L, 3);
	lua_rawset(L, 1);
	return 1;
}

/* setmetatable (the original, upvalue 1), but not on a read-only table. */
static int script_setmetatable(lua_State *L)
{
	if (lua_istable(L, 1) && script_is_readonly(L, 1)) {
		lua_pushliteral(L, "Attempt to modify a readonly table");
		return lua_error(L);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* Replaces the table on the top of the stack with its read-only proxy: an
 * empty table whose metatable reads through to it and refuses writes. Its
 * table fields become proxies too; memo (an absolute index) maps tables
 * to proxies, for cycles (_G) and shared tables. Stock Lua 5.1 has no
 * read-only tables (Redis patches its Lua for them); proxies give the
 * same errors, but pairs() sees nothing through them. */
static void script_protect(lua_State *L, int memo, bool globals)
{
	lua_pushvalue(L, -1);
	lua_rawget(L, memo);
	if (!lua_isnil(L, -1)) {
		lua_remove(L, -2);
		return;
	}
	lua_pop(L, 1);
	lua_newtable(L);
	lua_pushvalue(L, -2);
	lua_pushvalue(L, -2);
	lua_rawset(L, memo);
	lua_pushnil(L);
	while (lua_next(L, -3)) {
		if (lua_istable(L, -1)) {
			script_protect(L, memo, false);
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_rawset(L, -5);
		} else {
			lua_pop(L, 1);
		}
	}
	lua_newtable(L);
	lua_pushvalue(L, -3);
	if (globals)
		lua_pushcclosure(L, script_global_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, script_readonly_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pushlightuserdata(L, (void *)&script_readonly_key);
	lua_pushboolean(L, 1);
	lua_rawset(L, -3);
	lua_setmetatable(L, -2);
	lua_remove(L, -2);
}

/* Opens a library; a module that returns its table without setting a
 * global (Debian's cjson) gets its global here. */
static void script_open_lib(lua_State *L, const char *name, lua_CFunction open)
{
	lua_pushcfunction(L, open);
	lua_pushstring(L, name);
	lua_call(L, 1, 1);
	if (name[0] && lua_istable(L, -1))
		lua_setglobal(L, name);
	else
		lua_pop(L, 1);
}

/* getmetatable, but a string's metatable comes back as its read-only
 * proxy: the real one must keep a raw __index for string methods, and
 * must not be changed by one script for the next. */
static int script_getmetatable(lua_State *L)
{
	luaL_checkany(L, 1);
	if (!lua_getmetatable(L, 1)) {
		lua_pushnil(L);
		return 1;
	}
	luaL_getmetafield(L, 1, "__metatable");
	if (lua_gettop(L) == 3)
		return 1;
	lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_STRING_MT);
	if (lua_rawequal(L, -1, -2))
		lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_STRING_MT_RO);
	else
		lua_pop(L, 1);
	return 1;
}

/* The libraries Redis loads (less struct and cmsgpack, which Debian does
 * not package for Lua 5.1), the redis table, then the lock-down. */
static int script_open(lua_State *L)
{
	static const char *const removed[] = {"dofile", "loadfile", "print", "getfenv", "setfenv",
					      "newproxy", "module", "require", NULL};
	int memo;

	script_open_lib(L, "", luaopen_base);
	script_open_lib(L, LUA_TABLIBNAME, luaopen_table);
	script_open_lib(L, LUA_STRLIBNAME, luaopen_string);
	script_open_lib(L, LUA_MATHLIBNAME, luaopen_math);
	script_open_lib(L, "cjson", luaopen_cjson);
	script_open_lib(L, "bit", luaopen_bit);
	lua_pushvalue(L, LUA_GLOBALSINDEX);
	for (int i = 0; removed[i]; i++) {
		lua_pushnil(L);
		lua_setfield(L, -2, removed[i]);
	}
	lua_pushcfunction(L, script_rawset);
	lua_setfield(L, -2, "rawset");
	lua_pushcfunction(L, script_getmetatable);
	lua_setfield(L, -2, "getmetatable");
	lua_getfield(L, -1, "setmetatable");
	lua_pushcclosure(L, script_setmetatable, 1);
	lua_setfield(L, -2, "setmetatable");
	script_api_open(L);
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, SCRIPT_GLOBALS);

	lua_newtable(L);
	memo = lua_gettop(L);
	lua_pushvalue(L, -2);
	script_protect(L, memo, true);
	/* String methods read through the protected string table too. */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_getfield(L, memo - 1, "string"); /* the real globals' string: its proxy now */
	lua_setfield(L, -2, "__index");
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, SCRIPT_STRING_MT);
	script_protect(L, memo, false);
	lua_setfield(L, LUA_REGISTRYINDEX, SCRIPT_STRING_MT_RO);
	lua_pop(L, 1);
	lua_replace(L, LUA_GLOBALSINDEX);
	lua_pop(L, 2);
	return 0;
}

int script_init(void)
{
	if (!(sc.L = luaL_newstate()) || lua_cpcall(sc.L, script_open, NULL) != 0) {
		log_warning("scripting: cannot create the Lua state: %s",
			    sc.L ? lua_tostring(sc.L, -1) : "out of memory");
		if (sc.L)
			lua_close(sc.L);
		sc.L = NULL;
		return -1;
	}
	return 0;
}

static void script_cache_free(void)
{
	struct script *s, *tmp;

	HASH_ITER(hh, sc.cache, s, tmp) {
		HASH_DEL(sc.cache, s);
		free(s);
	}
	sc.bytes = 0;
}

void script_free(void)
{
	script_cache_free();
	if (sc.L)
		lua_close(sc.L);
	sc.L = NULL;
	resp_buf_free(&sc.out);
	free(sc.argv);
	sc.argv = NULL;
	sc.argv_cap = 0;
}

void script_flush(void)
{
	lua_State *old = sc.L;

	script_cache_free();
	/* No state, no scripts: nothing to start afresh (in-process harnesses
	 * that never call script_init stay without one). */
	if (!old)
		return;
	sc.L = NULL;
	if (script_init() != 0) {
		/* Keep running on the old state, emptied of nothing but names:
		 * scripts must be loaded again either way. */
		sc.L = old;
		return;
	}
	if (old)
		lua_close(old);
}

size_t script_count(void)
{
	return HASH_COUNT(sc.cache);
}

size_t script_memory_lua(void)
{
	if (!sc.L)
		return 0;
	return (size_t)lua_gc(sc.L, LUA_GCCOUNT, 0) * 1024 + (size_t)lua_gc(sc.L, LUA_GCCOUNTB, 0);
}

size_t script_memory_bodies(void)
{
	return sc.bytes;
}

/* ---- the cache ---- */

static struct script *script_find(const char *sha, size_t len)
{
	char low[SHA1_HEX_LEN + 1];
	struct script *s;

	if (len != SHA1_HEX_LEN)
		return NULL;
	for (size_t i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)sha[i]);
	low[len] = '\0';
	HASH_FIND_STR(sc.cache, low, s);
	return s;
}

bool script_exists(const char *sha, size_t len)
{
	return script_find(sha, len) != NULL;
}

int script_load(struct conn *c, const char *body, size_t len, char *sha)
{
	char name[2 + SHA1_HEX_LEN + 1];
	struct script *s;

	sha1_hex(sha, body, len);
	if (script_find(sha, SHA1_HEX_LEN))
		return 0;
	if (!sc.L) {
		reply_error(c, ERR_OOM);
		return -1;
	}
	if (luaL_loadbuffer(sc.L, body, len, SCRIPT_CHUNK_NAME) != 0) {
		reply_errorf(c, "ERR Error compiling script (new function): %s",
			     lua_tostring(sc.L, -1));
		lua_pop(sc.L, 1);
		return -1;
	}
	if (!(s = calloc(1, sizeof *s))) {
		lua_pop(sc.L, 1);
		reply_error(c, ERR_OOM);
		return -1;
	}
	snprintf(name, sizeof name, "f_%s", sha);
	lua_setfield(sc.L, LUA_REGISTRYINDEX, name);
	memcpy(s->sha, sha, SHA1_HEX_LEN + 1);
	s->len = len;
	script_add_failed = 0;
	HASH_ADD_STR(sc.cache, sha, s);
	if (script_add_failed) {
		free(s);
		lua_pushnil(sc.L);
		lua_setfield(sc.L, LUA_REGISTRYINDEX, name);
		reply_error(c, ERR_OOM);
		return -1;
	}
	sc.bytes += len + sizeof *s;
	return 0;
}

/* ---- redis.call ---- */

/* Raises (call) or returns (pcall) the error table of msg. */
static int script_call_error(lua_State *L, bool raise, const char *msg)
{
	script_push_error(L, msg, strlen(msg));
	return raise ? lua_error(L) : 1;
}

/* The arguments on L's stack as argv, numbers as Redis formats them
 * (%.17g, not Lua's lossy %.14g). -1 when one is neither. */
static int script_call_args(lua_State *L, int argc)
{
	if (argc > sc.argv_cap) {
		int cap = argc < SCRIPT_ARGV_MIN ? SCRIPT_ARGV_MIN : argc;
		struct resp_arg *v = realloc(sc.argv, (size_t)cap * sizeof *v);

		if (!v)
			return -1;
		sc.argv = v;
		sc.argv_cap = cap;
	}
	for (int i = 1; i <= argc; i++) {
		if (lua_type(L, i) == LUA_TNUMBER) {
			char num[SCRIPT_NUM_MAX];

			snprintf(num, sizeof num, "%.17g", (double)lua_tonumber(L, i));
			lua_pushstring(L, num);
			lua_replace(L, i);
		} else if (lua_type(L, i) != LUA_TSTRING) {
			return -1;
		}
		/* Lua strings end in a NUL, which handlers may rely on. */
		sc.argv[i - 1].ptr = (char *)lua_tolstring(L, i, &sc.argv[i - 1].len);
	}
	return 0;
}

/* Runs cmd for the script's client, its reply kept in sc.out: the
 * client's own output is set aside meanwhile. */
static void script_call_run(struct conn *c, const struct command *cmd, int argc)
{
	struct resp_buf saved = c->out;
	size_t saved_pos = c->out_pos;
	uint64_t errors = command_stats_errors();
	int64_t start = clock_us();

	c->out = sc.out;
	c->out.len = 0;
	c->out_pos = 0;
	server.stats.commands++;
	cmd->proc(c, argc, sc.argv);
	command_stats_record(cmd, argc, sc.argv, clock_us() - start, errors);
	sc.out = c->out;
	c->out = saved;
	c->out_pos = saved_pos;
}

/* Is c allowed cmd by the access rules? Their refusal is replied into
 * sc.out (and counted, and logged in ACL LOG), then dropped: scripts get
 * Redis's words for it. */
static bool script_call_allowed(struct conn *c, const struct command *cmd, int argc)
{
	struct resp_buf saved = c->out;
	size_t saved_pos = c->out_pos;
	int rc;

	c->out = sc.out;
	c->out.len = 0;
	c->out_pos = 0;
	rc = acl_check_command(c, cmd, argc, sc.argv);
	sc.out = c->out;
	sc.out.len = 0;
	c->out = saved;
	c->out_pos = saved_pos;
	return rc == 0;
}

int script_call(lua_State *L, bool raise)
{
	int argc = lua_gettop(L);
	struct conn *c = sc.caller;
	const struct command *cmd;

	if (!c)
		return script_call_error(L, true, "redis.call/pcall can only be called inside a "
						  "script invocation");
	if (argc == 0)
		return script_call_error(L, raise, "Please specify at least one argument for this "
						   "redis lib call");
	if (script_call_args(L, argc) != 0)
		return script_call_error(L, raise, "Lua redis lib command arguments must be "
						   "strings or integers");
	cmd = command_lookup(sc.argv[0].ptr, sc.argv[0].len);
	if (!cmd)
		return script_call_error(L, raise, "Unknown Redis command called from script");
	if ((cmd->arity > 0 && argc != cmd->arity) || (cmd->arity < 0 && argc < -cmd->arity))
		return script_call_error(L, raise, "Wrong number of args calling Redis command "
						   "from script");
	if (cmd->flags & CMD_NOSCRIPT)
		return script_call_error(L, raise, "This Redis command is not allowed from script");
	if (!script_call_allowed(c, cmd, argc))
		return script_call_error(L, raise, "The user executing the script can't run this "
						   "command or subcommand");
	if (sc.ro && (cmd->flags & CMD_WRITE))
		return script_call_error(L, raise, "-ERR Write commands are not allowed from "
						   "read-only scripts.");
	if ((cmd->flags & CMD_DENYOOM) && store_make_room(server.store, 0) != 0)
		return script_call_error(L, raise, "-" ERR_OOM);
	if (cmd->flags & CMD_WRITE)
		sc.wrote = true;
	script_call_run(c, cmd, argc);
	lua_settop(L, 0);
	if (sc.out.len == 0) /* the client failed (no memory for a reply) */
		return script_call_error(L, raise, "command gave no reply");
	script_push_reply(L, sc.out.data, sc.out.data + sc.out.len);
	if (raise && sc.out.data[0] == '-')
		return lua_error(L);
	return 1;
}

int script_acl_check(lua_State *L)
{
	int argc = lua_gettop(L);
	const struct command *cmd;

	if (!sc.caller)
		return script_call_error(L, true, "redis.acl_check_cmd can only be called inside "
						  "a script invocation");
	if (argc == 0)
		return script_call_error(L, true, "Please specify at least one argument for this "
						  "redis lib call");
	if (script_call_args(L, argc) != 0)
		return script_call_error(L, true, "Lua redis lib command arguments must be "
						  "strings or integers");
	if (!(cmd = command_lookup(sc.argv[0].ptr, sc.argv[0].len)))
		return script_call_error(L, true, "Invalid command passed to redis.acl_check_cmd()");
	lua_pushboolean(L, script_call_allowed(sc.caller, cmd, argc));
	return 1;
}

/* ---- busy scripts ---- */

/* Set by the server: serves one round of every other client's input
 * (and new connections) while this script holds the event loop. */
static script_serve_fn *serve_others;

void script_set_serve_others(script_serve_fn *fn)
{
	serve_others = fn;
}

static void script_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	if (!sc.busy) {
		if (clock_ms() - sc.start_ms < server.cfg.busy_reply_threshold)
			return;
		sc.busy = true;
		log_warning("Slow script detected: still in execution after %lld milliseconds. "
			    "You can try killing the script using the SCRIPT KILL command. "
			    "Script name is: %s.",
			    (long long)(clock_ms() - sc.start_ms), sc.sha);
	}
	if (serve_others)
		serve_others(sc.caller);
	if (sc.kill || server.shutting_down) {
		log_warning("Lua script killed by user with SCRIPT KILL.");
		/* Every line from now on raises it again, so pcall cannot
		 * catch it for good. */
		lua_sethook(L, script_hook, LUA_MASKLINE, 0);
		script_push_error(L, "Script killed by user with SCRIPT KILL...", 41);
		lua_error(L);
	}
}

bool script_refuses(struct conn *c, const struct command *cmd, int argc, struct resp_arg *argv)
{
	if (!sc.busy || c == sc.caller)
		return false;
	if (cmd->proc == cmd_shutdown || (cmd->proc == cmd_script && argc >= 2 &&
					  arg_is(&argv[1], "kill")))
		return false;
	reply_error(c, "BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
		       "SHUTDOWN NOSAVE.");
	return true;
}

void script_kill(struct conn *c)
{
	if (!sc.caller) {
		reply_error(c, "NOTBUSY No scripts in execution right now.");
	} else if (sc.wrote) {
		reply_error(c, "UNKILLABLE Sorry the script already executed write commands against "
			       "the dataset. You can either wait the script termination or kill the "
			       "server in a hard way using the SHUTDOWN NOSAVE command.");
	} else {
		sc.kill = true;
		reply_ok(c);
	}
}

/* ---- running ---- */

/* The error handler: the error as a table {err=, source=, line=}, the
 * place being the script's line (not the C function that raised). */
static int script_error_handler(lua_State *L)
{
	lua_Debug ar;
	bool where = lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar);

	if (where && strcmp(ar.what, "C") == 0)
		where = lua_getstack(L, 2, &ar) && lua_getinfo(L, "Sl", &ar);
	if (!lua_istable(L, 1)) {
		lua_newtable(L);
		lua_pushliteral(L, "ERR ");
		if (lua_isstring(L, 1))
			lua_pushvalue(L, 1);
		else if (lua_isboolean(L, 1))
			lua_pushstring(L, lua_toboolean(L, 1) ? "true" : "false");
		else
			lua_pushstring(L, lua_typename(L, lua_type(L, 1)));
		lua_concat(L, 2);
		lua_setfield(L, -2, "err");
		lua_replace(L, 1);
	}
	if (where) {
		lua_pushstring(L, ar.source);
		lua_setfield(L, 1, "source");
		lua_pushinteger(L, ar.currentline);
		lua_setfield(L, 1, "line");
	}
	lua_settop(L, 1);
	return 1;
}

/* The reply of a script that failed: its error and, when known, where. */
static void script_reply_failure(struct conn *c, lua_State *L, const char *sha)
{
	const char *msg, *source, *line;
	char *text;
	size_t len;

	if (!lua_istable(L, -1)) {
		msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "execution failure";
		reply_errorf(c, "ERR Error running script f_%s, %.100s", sha, msg);
		return;
	}
	lua_getfield(L, -1, "err");
	lua_getfield(L, -2, "source");
	lua_getfield(L, -3, "line");
	msg = lua_isstring(L, -3) ? lua_tostring(L, -3) : "";
	source = lua_isstring(L, -2) ? lua_tostring(L, -2) : NULL;
	line = lua_isstring(L, -1) ? lua_tostring(L, -1) : NULL;
	len = strlen(msg) + (source && line ? strlen(source) + strlen(line) + 64 : 0) + 1;
	if (!(text = malloc(len))) {
		reply_error(c, ERR_OOM);
	} else {
		if (source && line)
			snprintf(text, len, "%s script: %s, on %s:%s.", msg, sha, source, line);
		else
			snprintf(text, len, "%s", msg);
		for (char *p = text; *p; p++)
			if (*p == '\r' || *p == '\n')
				*p = ' ';
		reply_error(c, text);
		free(text);
	}
	lua_pop(L, 3);
}

static void script_set_array(lua_State *L, const char *name, int n, const struct resp_arg *v)
{
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		lua_pushlstring(L, v[i].ptr, v[i].len);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, name);
}

/* Runs the cached script sha for c with its keys and arguments. */
static void script_run(struct conn *c, const char *sha, int nkeys, const struct resp_arg *keys,
		       int nargs, const struct resp_arg *args, bool ro)
{
	lua_State *L = sc.L;
	char name[2 + SHA1_HEX_LEN + 1];
	int db = c->db, err;
	unsigned in_exec = c->flags & CONN_IN_EXEC;

	lua_pushcfunction(L, script_error_handler);
	snprintf(name, sizeof name, "f_%s", sha);
	lua_getfield(L, LUA_REGISTRYINDEX, name);
	lua_getfield(L, LUA_REGISTRYINDEX, SCRIPT_GLOBALS);
	script_set_array(L, "KEYS", nkeys, keys);
	script_set_array(L, "ARGV", nargs, args);
	lua_pop(L, 1);

	sc.caller = c;
	sc.sha = sha;
	sc.ro = ro;
	sc.wrote = sc.busy = sc.kill = false;
	sc.start_ms = clock_ms();
	/* A script cannot block: acquires answer at once, as in EXEC. */
	c->flags |= CONN_IN_EXEC;
	if (server.cfg.busy_reply_threshold > 0)
		lua_sethook(L, script_hook, LUA_MASKCOUNT, SCRIPT_HOOK_COUNT);
	err = lua_pcall(L, 0, 1, -2);
	lua_sethook(L, NULL, 0, 0);
	/* SELECT in a script is the script's own (Redis 7). */
	c->db = db;
	c->flags = (c->flags & ~CONN_IN_EXEC) | in_exec;
	if (sc.busy)
		log_warning("Slow script %s finished after %lld milliseconds", sha,
			    (long long)(clock_ms() - sc.start_ms));
	sc.caller = NULL;
	sc.busy = sc.kill = false;

	if (err)
		script_reply_failure(c, L, sha);
	else
		script_reply_value(c, L);
	lua_settop(L, 0);
	if (++sc.runs == SCRIPT_GC_PERIOD) {
		lua_gc(L, LUA_GCSTEP, SCRIPT_GC_PERIOD);
		sc.runs = 0;
	}
}

void script_eval(struct conn *c, int argc, struct resp_arg *argv, bool by_sha, bool ro)
{
	char sha[SHA1_HEX_LEN + 1];
	struct script *s;
	long long numkeys;

	if (arg_ll(c, &argv[2], &numkeys) != 0)
		return;
	if (numkeys > argc - 3) {
		reply_error(c, "ERR Number of keys can't be greater than number of args");
		return;
	}
	if (numkeys < 0) {
		reply_error(c, "ERR Number of keys can't be negative");
		return;
	}
	if (by_sha) {
		if (!(s = script_find(argv[1].ptr, argv[1].len))) {
			reply_error(c, "NOSCRIPT No matching script. Please use EVAL.");
			return;
		}
		memcpy(sha, s->sha, sizeof sha);
	} else if (script_load(c, argv[1].ptr, argv[1].len, sha) != 0) {
		return;
	}
	script_run(c, sha, (int)numkeys, argv + 3, argc - 3 - (int)numkeys, argv + 3 + numkeys, ro);
}
