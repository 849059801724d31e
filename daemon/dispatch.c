/* dispatch.c - the path from a parsed command to its handler: lookup in
 * the command table (command.c), arity, access rules (acl.c: admin-uid,
 * acl-uid/acl-gid/acl-default), maxmemory admission, stats. Handlers are in
 * cmd_*.c; this file only routes.
 */
#include "dispatch.h"

#include <stdio.h>

#include "acl.h"
#include "client.h"
#include "command.h"
#include "reply.h"
#include "server.h"
#include "store.h"

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
	const struct command *cmd = command_lookup(argv[0].ptr, argv[0].len);

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
	if (acl_check_command(c, cmd, argc, argv) != 0)
		return;
	/* As Redis: every command first evicts down to maxmemory; only those
	 * that may grow memory are refused when that fails. */
	if (store_make_room(server.store, 0) != 0 && (cmd->flags & CMD_DENYOOM)) {
		reply_error(c, ERR_OOM);
		return;
	}
	cmd->proc(c, argc, argv);
}
