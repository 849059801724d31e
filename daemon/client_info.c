/* client_info.c - one client described as a CLIENT LIST line, for CLIENT
 * LIST/INFO and the ACL log's client-info field. */
#include "client_info.h"

#include <stdarg.h>
#include <stdio.h>

#include "client.h"
#include "lock.h"
#include "pool.h"
#include "server.h"
#include "waitq.h"

#define CLIENT_INFO_LINE_MAX 512 /* bytes of one line */

static void client_info_add(struct resp_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void client_info_add(struct resp_buf *b, const char *fmt, ...)
{
	char line[CLIENT_INFO_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0)
		resp_buf_append(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

void client_info_describe(struct resp_buf *b, const struct conn *x, int64_t now)
{
	size_t wlen = 0;
	const char *wkey = waitq_key_of(x, &wlen);

	/* The key waited on is shown printable: bytes outside ASCII as '?'. */
	char shown[65];
	size_t n = wlen < sizeof shown - 1 ? wlen : sizeof shown - 1;

	for (size_t i = 0; i < n; i++)
		shown[i] = wkey[i] > ' ' && wkey[i] < 127 ? wkey[i] : '?';
	shown[n] = '\0';
	/* Redis's letters, in its order: x in MULTI, b blocked, d a watched
	 * key changed (EXEC will fail); N for none. */
	char flags[4], *f = flags;

	if (x->flags & CONN_MULTI)
		*f++ = 'x';
	if (x->flags & CONN_BLOCKED)
		*f++ = 'b';
	if (x->flags & CONN_DIRTY_CAS)
		*f++ = 'd';
	if (f == flags)
		*f++ = 'N';
	*f = '\0';
	client_info_add(b,
		 "id=%llu addr=%s:0 fd=%d name=%s age=%lld idle=%lld flags=%s db=%d pid=%d uid=%d "
		 "gid=%d qbuf=%zu obl=%zu cmd=%s holds=%zu waits=%s\n",
		 (unsigned long long)x->id, server.cfg.unixsocket, x->fd, x->name ? x->name : "",
		 (long long)((now - x->created_ms) / 1000), (long long)((now - x->last_ms) / 1000),
		 flags, x->db, (int)x->pid, (int)x->uid,
		 (int)x->gid, x->in.len - x->in_pos, conn_pending_out(x), x->last_cmd,
		 lock_held_by(x) + pool_held_by(x), wkey ? shown : "");
}

