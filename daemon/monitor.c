/* monitor.c - MONITOR's clients and the line each command becomes (see
 * monitor.h). Which clients may monitor, and what a monitoring client may
 * still run, are cmd_conn.c's and dispatch.c's.
 */
#include "monitor.h"

#include <stdio.h>
#include <string.h>
#include <sys/queue.h>

#include "client.h"
#include "clock.h"
#include "cmd.h"
#include "cmd_args.h"
#include "command.h"
#include "reply.h"
#include "server.h"

static LIST_HEAD(, conn) monitors = LIST_HEAD_INITIALIZER(monitors);

void monitor_add(struct conn *c)
{
	if (c->flags & CONN_MONITOR)
		return;
	c->flags |= CONN_MONITOR;
	LIST_INSERT_HEAD(&monitors, c, monitor_link);
}

void monitor_remove(struct conn *c)
{
	if (!(c->flags & CONN_MONITOR))
		return;
	c->flags &= ~CONN_MONITOR;
	LIST_REMOVE(c, monitor_link);
}

/* Redis hides its admin commands (CONFIG, SHUTDOWN, SLOWLOG, CLIENT KILL,
 * ACL LIST, ...). FLUSHDB and FLUSHALL are admin here only to guard the
 * keyspace; Redis shows them, so they are shown. */
static bool monitor_hides(const struct command *cmd, int argc, const struct resp_arg *argv)
{
	return command_call_is_admin(cmd, argc, argv) && cmd->proc != cmd_flushdb &&
	       cmd->proc != cmd_flushall;
}

/* sdscatrepr's quoting: printable ASCII as is, \" \\ \n \r \t \a \b, the
 * rest as \xHH. */
static int monitor_repr(struct resp_buf *b, const char *p, size_t len)
{
	int rc = resp_buf_append(b, "\"", 1);

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];
		char esc[5];
		int n;

		switch (ch) {
		case '\\':
		case '"':
			n = snprintf(esc, sizeof esc, "\\%c", ch);
			break;
		case '\n':
			n = snprintf(esc, sizeof esc, "\\n");
			break;
		case '\r':
			n = snprintf(esc, sizeof esc, "\\r");
			break;
		case '\t':
			n = snprintf(esc, sizeof esc, "\\t");
			break;
		case '\a':
			n = snprintf(esc, sizeof esc, "\\a");
			break;
		case '\b':
			n = snprintf(esc, sizeof esc, "\\b");
			break;
		default:
			if (ch >= ' ' && ch <= '~')
				n = snprintf(esc, sizeof esc, "%c", ch);
			else
				n = snprintf(esc, sizeof esc, "\\x%02x", ch);
		}
		rc |= resp_buf_append(b, esc, (size_t)n);
	}
	return rc | resp_buf_append(b, "\"", 1);
}

void monitor_feed(struct conn *c, const struct command *cmd, int argc, struct resp_arg *argv)
{
	int64_t us = clock_wall_us();
	struct resp_buf b;
	struct conn *m;
	char head[64];
	int n, rc;

	if (LIST_EMPTY(&monitors) || monitor_hides(cmd, argc, argv))
		return;
	resp_buf_init(&b);
	n = snprintf(head, sizeof head, "+%lld.%06lld [%d unix:", (long long)(us / 1000000),
		     (long long)(us % 1000000), c->db);
	rc = resp_buf_append(&b, head, (size_t)n);
	rc |= resp_buf_append(&b, server.cfg.unixsocket, strlen(server.cfg.unixsocket));
	rc |= resp_buf_append(&b, "]", 1);
	for (int i = 0; i < argc; i++) {
		rc |= resp_buf_append(&b, " ", 1);
		if (command_arg_is_secret(cmd, argc, argv, i))
			rc |= resp_buf_append(&b, "\"(redacted)\"", 12);
		else
			rc |= monitor_repr(&b, argv[i].ptr, argv[i].len);
	}
	rc |= resp_buf_append(&b, "\r\n", 2);
	/* Out of memory: no line rather than a broken one. */
	for (m = rc == 0 ? LIST_FIRST(&monitors) : NULL; m; m = LIST_NEXT(m, monitor_link)) {
		if (m->flags & CONN_CLOSING)
			continue;
		reply_raw(m, b.data, b.len);
		/* Its own callback writes it (this one writes c's). */
		if (m != c)
			client_wake(m);
	}
	resp_buf_free(&b);
}
