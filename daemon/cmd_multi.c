/* cmd_multi.c - transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH, and a
 * client's queue of commands between MULTI and EXEC.
 *
 * dispatch.c decides with multi_queues() and multi_rejected() (multi.h)
 * what happens to a command in MULTI; the watched keys are watch.c's.
 * Semantics are Redis 7.0's, replies and errors included.
 */
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "client.h"
#include "clock.h"
#include "command_stats.h"
#include "diag.h"
#include "cmd.h"
#include "multi.h"
#include "reply.h"
#include "server.h"
#include "store.h"
#include "watch.h"

#define MULTI_QUEUE_MIN 16 /* commands room is first made for */

/* A queued command: its row, and argv copied into one block it owns (the
 * request buffer is reused by the next request). */
struct multi_cmd {
	const struct command *cmd;
	int argc;
	struct resp_arg *argv; /* owned: argc entries, then their bytes */
};

static void multi_state_free(struct multi_state *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->cmds[i].argv);
	free(m->cmds);
	free(m);
}

void multi_reset(struct conn *c)
{
	multi_state_free(c->multi);
	c->multi = NULL;
	c->flags &= ~(CONN_MULTI | CONN_DIRTY_EXEC | CONN_DIRTY_CAS);
	watch_unwatch_all(c);
}

bool multi_in_exec(const struct conn *c)
{
	return (c->flags & CONN_IN_EXEC) != 0;
}

/* The commands that act on the transaction itself (and QUIT and RESET,
 * which end it) run at once. */
static bool multi_runs_now(const struct command *cmd)
{
	return cmd->proc == cmd_exec || cmd->proc == cmd_discard || cmd->proc == cmd_multi ||
	       cmd->proc == cmd_watch || cmd->proc == cmd_quit || cmd->proc == cmd_reset;
}

bool multi_queues(const struct conn *c, const struct command *cmd)
{
	return (c->flags & CONN_MULTI) && !multi_runs_now(cmd);
}

bool multi_needs_room(const struct conn *c, const struct command *cmd)
{
	if (cmd->proc == cmd_exec)
		return c->multi && (c->multi->flags & CMD_DENYOOM);
	if ((c->flags & CONN_MULTI) && cmd->proc != cmd_discard && cmd->proc != cmd_quit &&
	    cmd->proc != cmd_reset)
		return true;
	return (cmd->flags & CMD_DENYOOM) != 0;
}

/* argv copied into one block: the array, then each argument's bytes and a
 * NUL (handlers may treat short arguments as C strings). NULL when out of
 * memory. */
static struct resp_arg *multi_argv_copy(int argc, const struct resp_arg *argv)
{
	size_t bytes = (size_t)argc * sizeof(struct resp_arg);
	struct resp_arg *copy;
	char *p;

	for (int i = 0; i < argc; i++)
		bytes += argv[i].len + 1;
	if (!(copy = malloc(bytes)))
		return NULL;
	p = (char *)(copy + argc);
	for (int i = 0; i < argc; i++) {
		memcpy(p, argv[i].ptr, argv[i].len);
		p[argv[i].len] = '\0';
		copy[i].ptr = p;
		copy[i].len = argv[i].len;
		p += argv[i].len + 1;
	}
	return copy;
}

void multi_queue(struct conn *c, const struct command *cmd, int argc,
		 const struct resp_arg *argv)
{
	struct multi_state *m = c->multi;
	struct resp_arg *copy;

	if (!m && !(m = c->multi = calloc(1, sizeof *m)))
		goto oom;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : MULTI_QUEUE_MIN;
		struct multi_cmd *cmds = realloc(m->cmds, cap * sizeof *cmds);

		if (!cmds)
			goto oom;
		m->cmds = cmds;
		m->cap = cap;
	}
	if (!(copy = multi_argv_copy(argc, argv)))
		goto oom;
	m->cmds[m->n++] = (struct multi_cmd){cmd, argc, copy};
	m->flags |= cmd->flags;
	reply_raw(c, "+QUEUED\r\n", 9);
	return;
oom:
	c->flags |= CONN_DIRTY_EXEC;
	reply_error(c, ERR_OOM);
}

/* Takes back the error reply appended to c's output since mark (nothing
 * of it has been written: output leaves only between commands), copying
 * its text without the '-' and the CRLF into msg. */
static void multi_unreply(struct conn *c, size_t mark, char *msg, size_t size)
{
	size_t len = c->out.len > mark ? c->out.len - mark : 0;

	msg[0] = '\0';
	if (len < 3 || c->out.data[mark] != '-')
		return;
	len -= 3;
	if (len >= size)
		len = size - 1;
	memcpy(msg, c->out.data + mark + 1, len);
	msg[len] = '\0';
	c->out.len = mark;
}

void multi_rejected(struct conn *c, const struct command *cmd, size_t mark)
{
	char msg[1024];
	const char *why;

	if (!cmd || cmd->proc != cmd_exec) {
		if (c->flags & CONN_MULTI)
			c->flags |= CONN_DIRTY_EXEC;
		return;
	}
	/* Redis words a refused EXEC with the refusal's text, less a
	 * generic "ERR " (its arity error has none; OOM and NOPERM keep
	 * their class). */
	multi_unreply(c, mark, msg, sizeof msg);
	why = strncmp(msg, "ERR ", 4) == 0 ? msg + 4 : msg;
	multi_reset(c);
	reply_errorf(c, "EXECABORT Transaction discarded because of: %s", why);
}

void cmd_multi(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	(void)argv;
	if (c->flags & CONN_MULTI) {
		reply_error(c, "ERR MULTI calls can not be nested");
		return;
	}
	c->flags |= CONN_MULTI;
	reply_ok(c);
}

/* A watched key whose TTL passed since WATCH counts as changed (Redis 7.0):
 * looking it up deletes it, and the deletion marks its watchers. */
static void multi_expire_cb(void *ctx, int db, const char *key, size_t klen)
{
	(void)ctx;
	store_peek(server.store, db, key, klen);
}

/* Runs one queued command inside EXEC. */
static void multi_run(struct conn *c, struct multi_cmd *q)
{
	size_t mark = c->out.len;
	uint64_t errors = command_stats_errors();
	int64_t start;
	char msg[1024];

	/* Access rules may have been reloaded (SIGHUP) since it was queued:
	 * checked again, and refused with Redis's words for it. */
	if (acl_check_command(c, q->cmd, q->argc, q->argv) != 0) {
		multi_unreply(c, mark, msg, sizeof msg);
		reply_error(c, "NOPERM ACLs rules changed between the moment the transaction was "
			       "accumulated and its execution");
		command_stats_rejected(q->cmd, q->argc, q->argv);
		return;
	}
	/* Counted in INFO commandstats, the slow log and MONITOR as if sent
	 * alone, as Redis does. */
	start = clock_us();
	q->cmd->proc(c, q->argc, q->argv);
	start = clock_us() - start;
	command_stats_record(q->cmd, q->argc, q->argv, start, errors);
	diag_after_command(c, q->cmd, q->argc, q->argv, start);
}

void cmd_exec(struct conn *c, int argc, struct resp_arg *argv)
{
	struct multi_state *m = c->multi;

	(void)argc;
	(void)argv;
	if (!(c->flags & CONN_MULTI)) {
		reply_error(c, "ERR EXEC without MULTI");
		return;
	}
	watch_each(c, multi_expire_cb, NULL);
	if (c->flags & CONN_DIRTY_EXEC) {
		reply_error(c, "EXECABORT Transaction discarded because of previous errors.");
		multi_reset(c);
		return;
	}
	if (c->flags & CONN_DIRTY_CAS) {
		reply_raw(c, "*-1\r\n", 5);
		multi_reset(c);
		return;
	}
	/* Unwatch first: the transaction's own writes do not abort it. The
	 * queue is ours now; MULTI stays set while it runs, as in Redis. */
	watch_unwatch_all(c);
	c->multi = NULL;
	c->flags |= CONN_IN_EXEC;
	reply_array(c, m ? m->n : 0);
	for (size_t i = 0; m && i < m->n; i++)
		multi_run(c, &m->cmds[i]);
	c->flags &= ~CONN_IN_EXEC;
	multi_state_free(m);
	multi_reset(c);
}

void cmd_discard(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	(void)argv;
	if (!(c->flags & CONN_MULTI)) {
		reply_error(c, "ERR DISCARD without MULTI");
		return;
	}
	multi_reset(c);
	reply_ok(c);
}

void cmd_watch(struct conn *c, int argc, struct resp_arg *argv)
{
	if (c->flags & CONN_MULTI) {
		reply_error(c, "ERR WATCH inside MULTI is not allowed");
		return;
	}
	for (int i = 1; i < argc; i++) {
		/* A key already expired goes now, before it is watched: its
		 * deletion later is no change (it was gone), as in Redis. */
		store_peek(server.store, c->db, argv[i].ptr, argv[i].len);
		if (watch_key(c, c->db, argv[i].ptr, argv[i].len) != 0) {
			reply_error(c, ERR_OOM);
			return;
		}
	}
	reply_ok(c);
}

void cmd_unwatch(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	(void)argv;
	watch_unwatch_all(c);
	c->flags &= ~CONN_DIRTY_CAS;
	reply_ok(c);
}
