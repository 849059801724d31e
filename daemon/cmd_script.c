/* cmd_script.c - the scripting commands: EVAL, EVALSHA, EVAL_RO,
 * EVALSHA_RO and SCRIPT LOAD|EXISTS|FLUSH|KILL|HELP. The Lua state, the
 * cache and running are script.c's. Replies and errors are Redis 7.0's.
 */
#include <string.h>

#include "cmd.h"
#include "cmd_args.h"
#include "reply.h"
#include "script.h"

void cmd_eval(struct conn *c, int argc, struct resp_arg *argv)
{
	script_eval(c, argc, argv, false, false);
}

void cmd_evalsha(struct conn *c, int argc, struct resp_arg *argv)
{
	script_eval(c, argc, argv, true, false);
}

void cmd_eval_ro(struct conn *c, int argc, struct resp_arg *argv)
{
	script_eval(c, argc, argv, false, true);
}

void cmd_evalsha_ro(struct conn *c, int argc, struct resp_arg *argv)
{
	script_eval(c, argc, argv, true, true);
}

static void script_help(struct conn *c)
{
	static const char *const lines[] = {
		"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
		"HELP",
		"    Prints this help.",
	};

	reply_array(c, sizeof lines / sizeof lines[0]);
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		reply_simple(c, lines[i]);
}

/* Redis checks a known subcommand's arity before running it. */
static bool script_arity_ok(struct conn *c, int argc, int arity, const char *name)
{
	if ((arity > 0 && argc == arity) || (arity < 0 && argc >= -arity))
		return true;
	reply_errorf(c, "ERR wrong number of arguments for 'script|%s' command", name);
	return false;
}

void cmd_script(struct conn *c, int argc, struct resp_arg *argv)
{
	char sha[SHA1_HEX_LEN + 1];

	if (arg_is(&argv[1], "help")) {
		if (script_arity_ok(c, argc, 2, "help"))
			script_help(c);
	} else if (arg_is(&argv[1], "load")) {
		if (script_arity_ok(c, argc, 3, "load") &&
		    script_load(c, argv[2].ptr, argv[2].len, sha) == 0)
			reply_bulk(c, sha, SHA1_HEX_LEN);
	} else if (arg_is(&argv[1], "exists")) {
		if (!script_arity_ok(c, argc, -3, "exists"))
			return;
		reply_array(c, (size_t)argc - 2);
		for (int i = 2; i < argc; i++)
			reply_int(c, script_exists(argv[i].ptr, argv[i].len));
	} else if (arg_is(&argv[1], "flush")) {
		if (!script_arity_ok(c, argc, -2, "flush"))
			return;
		/* ASYNC is done at once too: dropping the cache is quick here. */
		if (argc > 3 || (argc == 3 && !arg_is(&argv[2], "sync") &&
				 !arg_is(&argv[2], "async"))) {
			reply_error(c, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
			return;
		}
		script_flush();
		reply_ok(c);
	} else if (arg_is(&argv[1], "kill")) {
		if (script_arity_ok(c, argc, 2, "kill"))
			script_kill(c);
	} else if (arg_is(&argv[1], "debug")) {
		if (script_arity_ok(c, argc, 3, "debug"))
			reply_error(c, "ERR SCRIPT DEBUG is not supported by this server");
	} else {
		reply_errorf(c, "ERR unknown subcommand '%.*s'. Try SCRIPT HELP.",
			     (int)(argv[1].len > 128 ? 128 : argv[1].len), argv[1].ptr);
	}
}
