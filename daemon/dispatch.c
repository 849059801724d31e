/* dispatch.c - the path from a parsed command to its handler: lookup in
 * the command table (command.c), arity, access rules (acl.c: admin-uid,
 * acl-uid/acl-gid/acl-default), maxmemory admission, stats (kept by
 * command_stats.c), queuing in MULTI (multi.h) and the diagnostics after
 * each command (diag.c: slow log, latency, MONITOR). Handlers are in
 * cmd_*.c; this file only routes.
 */
#include "dispatch.h"

#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "client.h"
#include "clock.h"
#include "cmd.h"
#include "command.h"
#include "command_docs.h"
#include "command_stats.h"
#include "diag.h"
#include "multi.h"
#include "pubsub.h"
#include "reply.h"
#include "script.h"
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

/* RESP2's subscribed mode: a subscriber may only change its subscriptions,
 * PING, QUIT or RESET, as in Redis. */
static bool dispatch_subscribed_may_run(const struct command *cmd)
{
	cmd_proc *ok[] = {cmd_subscribe, cmd_unsubscribe, cmd_psubscribe, cmd_punsubscribe,
			  cmd_ssubscribe, cmd_sunsubscribe, cmd_ping, cmd_quit, cmd_reset};

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (cmd->proc == ok[i])
			return true;
	return false;
}

/* Redis 7.0 names the command as "parent|sub" when it has subcommands. */
static void reply_subscribed(struct conn *c, const struct command *cmd, int argc,
			     struct resp_arg *argv)
{
	const struct command_doc *sub = NULL;

	if (argc >= 2 && command_docs_has_subcommands(cmd->name))
		sub = command_docs_subcommand(cmd->name, argv[1].ptr, argv[1].len);
	reply_errorf(c,
		     "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
		     "RESET are allowed in this context",
		     sub ? sub->name : cmd->name);
}

/* May cmd run: arity, access rules, memory? 0, or -1 once refused with
 * an error reply. */
static int dispatch_admit(struct conn *c, const struct command *cmd, int argc,
			  struct resp_arg *argv)
{
	const struct command_doc *sub = NULL;

	if ((cmd->arity > 0 && argc != cmd->arity) || (cmd->arity < 0 && argc < -cmd->arity)) {
		reply_errorf(c, "ERR wrong number of arguments for '%s' command", cmd->name);
		return -1;
	}
	/* A known subcommand has its own arity, checked here as Redis does
	 * ('config|get'); unknown ones are left to the handler's own error. */
	if (argc >= 2 && command_docs_has_subcommands(cmd->name))
		sub = command_docs_subcommand(cmd->name, argv[1].ptr, argv[1].len);
	if (sub && ((sub->arity > 0 && argc != sub->arity) || (sub->arity < 0 && argc < -sub->arity))) {
		reply_errorf(c, "ERR wrong number of arguments for '%s' command", sub->name);
		return -1;
	}
	if ((cmd->flags & CMD_NO_MULTI) && (c->flags & CONN_MULTI)) {
		reply_error(c, "ERR Command not allowed inside a transaction");
		return -1;
	}
	if (acl_check_command(c, cmd, argc, argv) != 0)
		return -1;
	/* As Redis: every command first evicts down to maxmemory; only those
	 * that may grow memory (and, in MULTI, all but its own commands:
	 * multi_needs_room) are refused when that fails. */
	if (store_make_room(server.store, 0) != 0 && multi_needs_room(c, cmd)) {
		reply_error(c, ERR_OOM);
		return -1;
	}
	return 0;
}

void dispatch(struct conn *c, int argc, struct resp_arg *argv)
{
	const struct command *cmd = command_lookup(argv[0].ptr, argv[0].len);
	uint64_t errors = command_stats_errors();
	size_t mark = c->out.len; /* where a refusal's reply starts (multi_rejected) */
	int64_t start, dur; /* us */

	server.stats.commands++;
	if (!cmd) {
		reply_unknown(c, argc, argv);
		multi_rejected(c, NULL, mark);
		return;
	}
	c->last_cmd = cmd->name;
	if (dispatch_admit(c, cmd, argc, argv) != 0) {
		command_stats_rejected(cmd, argc, argv);
		multi_rejected(c, cmd, mark);
		return;
	}
	if (script_refuses(c, cmd, argc, argv)) {
		command_stats_rejected(cmd, argc, argv);
		multi_rejected(c, cmd, mark);
		return;
	}
	if (pubsub_is_subscribed(c) && !dispatch_subscribed_may_run(cmd)) {
		reply_subscribed(c, cmd, argc, argv);
		return;
	}
	/* A monitor is a replica in Redis: it may not touch the keyspace. */
	if ((c->flags & CONN_MONITOR) && (cmd->flags & (CMD_WRITE | CMD_READONLY))) {
		reply_error(c, "ERR Replica can't interact with the keyspace");
		return;
	}
	if (multi_queues(c, cmd)) {
		multi_queue(c, cmd, argc, argv);
		return;
	}
	/* TOUCH touches whoever sends it. */
	store_set_no_touch(server.store,
			   (c->flags & CONN_NO_TOUCH) && strcmp(cmd->name, "touch") != 0);
	start = clock_us();
	cmd->proc(c, argc, argv);
	dur = clock_us() - start;
	store_set_no_touch(server.store, false);
	command_stats_record(cmd, argc, argv, dur, errors);
	diag_after_command(c, cmd, argc, argv, dur);
}
