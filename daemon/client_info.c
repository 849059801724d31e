/* client_info.c - one client described as a CLIENT LIST line, for CLIENT
 * LIST/INFO and the ACL log's client-info field. Redis 7.2's fields come
 * first, in its order (those that mean nothing here at their idle value),
 * then cachifyd's own: pid uid gid holds waits. */
#include "client_info.h"

#include <stdio.h>
#include <string.h>

#include "client.h"
#include "lock.h"
#include "pool.h"
#include "pubsub.h"
#include "server.h"
#include "waitq.h"


/* " key=value" where value is a name of any length (printable by rule). */
static void client_info_name(struct resp_buf *b, const char *key, const char *value)
{
	resp_buf_append(b, key, strlen(key));
	if (value)
		resp_buf_append(b, value, strlen(value));
}

/* Redis's flag letters, in its order, for what exists here. */
static void client_info_flags(const struct conn *x, char *flags)
{
	char *p = flags;

	if (x->flags & CONN_MONITOR)
		*p++ = 'O';
	if (pubsub_is_subscribed(x))
		*p++ = 'P';
	if (x->flags & CONN_MULTI)
		*p++ = 'x';
	if (x->flags & CONN_BLOCKED)
		*p++ = 'b';
	if (x->flags & CONN_DIRTY_CAS)
		*p++ = 'd';
	if (x->flags & CONN_CLOSE_AFTER_REPLY)
		*p++ = 'c';
	if (x->flags & CONN_CLOSING)
		*p++ = 'A';
	*p++ = 'U';
	if (x->flags & CONN_NO_EVICT)
		*p++ = 'e';
	if (x->flags & CONN_NO_TOUCH)
		*p++ = 'T';
	*p = '\0';
}

void client_info_describe(struct resp_buf *b, const struct conn *x, int64_t now)
{
	size_t wlen = 0;
	const char *wkey = waitq_key_of(x, &wlen);
	char flags[16];

	/* The key waited on is shown printable: bytes outside ASCII as '?'. */
	char shown[65];
	size_t n = wlen < sizeof shown - 1 ? wlen : sizeof shown - 1;

	for (size_t i = 0; i < n; i++)
		shown[i] = wkey[i] > ' ' && wkey[i] < 127 ? wkey[i] : '?';
	shown[n] = '\0';
	client_info_flags(x, flags);
	resp_buf_printf(b, "id=%llu addr=%s:0 laddr=%s:0 fd=%d", (unsigned long long)x->id,
			server.cfg.unixsocket, server.cfg.unixsocket, x->fd);
	client_info_name(b, " name=", x->name);
	resp_buf_printf(b,
			" age=%lld idle=%lld flags=%s db=%d sub=%zu psub=%zu ssub=%zu multi=%ld qbuf=%zu "
			"qbuf-free=%zu argv-mem=0 multi-mem=0 rbs=%zu rbp=0 obl=%zu oll=0 omem=0 "
			"tot-mem=%zu events=r%s cmd=%s user=default redir=-1 resp=2",
			(long long)((now - x->created_ms) / 1000),
			(long long)((now - x->last_ms) / 1000), flags, x->db,
			pubsub_count(x, PUBSUB_CHANNEL), pubsub_count(x, PUBSUB_PATTERN),
			pubsub_count(x, PUBSUB_SHARD), client_multi_queued(x),
			x->in.len - x->in_pos,
			x->in.cap - x->in.len, x->out.cap, conn_pending_out(x),
			sizeof *x + x->in.cap + x->out.cap,
			(x->flags & CONN_WRITE_ARMED) ? "w" : "", x->last_cmd);
	client_info_name(b, " lib-name=", x->lib_name);
	client_info_name(b, " lib-ver=", x->lib_ver);
	resp_buf_printf(b, " pid=%d uid=%d gid=%d holds=%zu waits=%s\n", (int)x->pid, (int)x->uid,
			(int)x->gid, lock_held_by(x) + pool_held_by(x), wkey ? shown : "");
}
